-- libsaas schema, version 3 (PostgreSQL only; on SQLite this version records
-- nothing to do): functions behind the extension header saas/postgres.h.
--
-- Both run as the caller (SECURITY INVOKER), so they can do only what the
-- caller may: they are meant for the owner of the schema. EXECUTE is revoked
-- from PUBLIC so that the application role cannot call them at all.
-- The library calls them with the table or role name as a bind parameter;
-- names reach SQL text only through format('%I') or a regclass, never spliced.

-- Put an application table under the library's tenant rules: ENABLE and FORCE
-- row-level security and one policy, saas_tenant_isolation, on
-- tenant_id = current_setting('saas.tenant_id', true) for reads and writes,
-- without subqueries (as the library's own tables, migration 2). Idempotent.
-- Refuses (with the SQLSTATE the library maps) a relation that is not a table
-- (42809), has no tenant_id column (42703) or one that is not text (42804),
-- or has another permissive policy, which would widen what a tenant sees
-- (55000).
CREATE OR REPLACE FUNCTION saas_enable_tenant_policy(tbl regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $fn$
DECLARE
    kind "char";
    typ oid;
    other name;
BEGIN
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = tbl;
    IF kind IS NULL OR kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'relation % is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    SELECT a.atttypid INTO typ FROM pg_attribute a
        WHERE a.attrelid = tbl AND a.attname = 'tenant_id' AND a.attnum > 0
          AND NOT a.attisdropped;
    IF typ IS NULL THEN
        RAISE EXCEPTION 'table % has no tenant_id column', tbl
            USING ERRCODE = 'undefined_column';
    END IF;
    IF typ NOT IN ('text'::regtype, 'varchar'::regtype) THEN
        RAISE EXCEPTION 'column tenant_id of table % is %, not text', tbl, format_type(typ, NULL)
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    SELECT p.polname INTO other FROM pg_policy p
        WHERE p.polrelid = tbl AND p.polpermissive AND p.polname <> 'saas_tenant_isolation'
        ORDER BY p.polname LIMIT 1;
    IF other IS NOT NULL THEN
        RAISE EXCEPTION 'table % has another permissive policy, %, which would widen what a tenant sees', tbl, other
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'drop it or make it AS RESTRICTIVE';
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    IF EXISTS (SELECT 1 FROM pg_policy p
               WHERE p.polrelid = tbl AND p.polname = 'saas_tenant_isolation') THEN
        EXECUTE format('DROP POLICY saas_tenant_isolation ON %s', tbl);
    END IF;
    EXECUTE format('CREATE POLICY saas_tenant_isolation ON %s'
                   ' USING (tenant_id = current_setting(''saas.tenant_id'', true))'
                   ' WITH CHECK (tenant_id = current_setting(''saas.tenant_id'', true))', tbl);
END
$fn$;

-- Grant the application role exactly what the library needs: USAGE on the
-- schema, SELECT/INSERT/UPDATE/DELETE on the library's tables, SELECT on
-- saas_schema_migrations (to check the schema version), EXECUTE on
-- saas_set_tenant. A later migration that adds a table replaces this function
-- with one that lists it. Where Citus is installed, also sets
-- citus.propagate_set_commands = 'local' for the role (ALTER ROLE needs
-- CREATEROLE), so that SET LOCAL saas.tenant_id reaches the workers.
-- Refuses a role that does not exist (42704), or one row-level security would
-- not bind: a superuser, a role with BYPASSRLS, or the owner of the tables or
-- a member of that owner (22023). Returns whether Citus was found.
CREATE OR REPLACE FUNCTION saas_grant_app_role(role_name text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $fn$
DECLARE
    r record;
    tbl regclass;
    owner_oid oid;
    nsp regnamespace;
    citus boolean;
BEGIN
    SELECT oid, rolsuper, rolbypassrls INTO r FROM pg_roles WHERE rolname = role_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not exist', quote_ident(role_name)
            USING ERRCODE = 'undefined_object';
    END IF;
    IF r.rolsuper THEN
        RAISE EXCEPTION 'role % is a superuser: row-level security would not apply to it', quote_ident(role_name)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF r.rolbypassrls THEN
        RAISE EXCEPTION 'role % has BYPASSRLS: row-level security would not apply to it', quote_ident(role_name)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH tbl IN ARRAY ARRAY['tenants', 'users', 'memberships', 'member_roles', 'invitations',
                               'audit_events', 'audit_checkpoints',
                               'saas_schema_migrations']::regclass[] LOOP
        SELECT c.relowner, c.relnamespace INTO owner_oid, nsp FROM pg_class c WHERE c.oid = tbl;
        IF pg_has_role(r.oid, owner_oid, 'MEMBER') THEN
            RAISE EXCEPTION 'role % owns table % (or is a member of its owner): it could turn row-level security off', quote_ident(role_name), tbl
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'the application must connect as a role that owns nothing';
        END IF;
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO %I', nsp, role_name);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE tenants, users, memberships,'
                   ' member_roles, invitations, audit_events, audit_checkpoints TO %I', role_name);
    EXECUTE format('GRANT SELECT ON TABLE saas_schema_migrations TO %I', role_name);
    EXECUTE format('GRANT EXECUTE ON FUNCTION saas_set_tenant(text) TO %I', role_name);
    citus := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus');
    IF citus THEN
        EXECUTE format('ALTER ROLE %I SET citus.propagate_set_commands = %L', role_name, 'local');
    END IF;
    RETURN citus;
END
$fn$;

REVOKE EXECUTE ON FUNCTION saas_enable_tenant_policy(regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION saas_grant_app_role(text) FROM PUBLIC;
