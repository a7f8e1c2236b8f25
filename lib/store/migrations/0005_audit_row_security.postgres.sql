-- libsaas schema, version 5 (PostgreSQL only; on SQLite this version records
-- nothing to do): row-level security and grants for the tables of version 4.
--
-- audit_anchors is a tenant table under the same policy as the others (as in
-- migration 2). audit_subject_keys is global, like users: the application
-- role reads a subject's key to encrypt and decrypt personal data.

ALTER TABLE audit_anchors ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_anchors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_anchors
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));

-- The library's tables, for saas_grant_app_role. A later migration that adds
-- a table replaces this function only.
CREATE OR REPLACE FUNCTION saas_library_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE AS $fn$
    SELECT ARRAY['tenants', 'users', 'memberships', 'member_roles', 'invitations',
                 'audit_events', 'audit_checkpoints', 'audit_anchors',
                 'audit_subject_keys']::regclass[]
$fn$;

-- As in migration 3, with the table list from saas_library_tables().
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
    FOREACH tbl IN ARRAY saas_library_tables() || 'saas_schema_migrations'::regclass LOOP
        SELECT c.relowner, c.relnamespace INTO owner_oid, nsp FROM pg_class c WHERE c.oid = tbl;
        IF pg_has_role(r.oid, owner_oid, 'MEMBER') THEN
            RAISE EXCEPTION 'role % owns table % (or is a member of its owner): it could turn row-level security off', quote_ident(role_name), tbl
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'the application must connect as a role that owns nothing';
        END IF;
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO %I', nsp, role_name);
    FOREACH tbl IN ARRAY saas_library_tables() LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO %I', tbl, role_name);
    END LOOP;
    EXECUTE format('GRANT SELECT ON TABLE saas_schema_migrations TO %I', role_name);
    EXECUTE format('GRANT EXECUTE ON FUNCTION saas_set_tenant(text) TO %I', role_name);
    citus := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus');
    IF citus THEN
        EXECUTE format('ALTER ROLE %I SET citus.propagate_set_commands = %L', role_name, 'local');
    END IF;
    RETURN citus;
END
$fn$;

REVOKE EXECUTE ON FUNCTION saas_grant_app_role(text) FROM PUBLIC;

-- Roles granted before this version (they can write audit_events) get the
-- new tables at once, so upgrading does not need `saasctl migrate --grant`.
DO $do$
DECLARE
    g name;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'audit_events' AND privilege_type = 'INSERT'
               AND table_schema = current_schema() AND grantee <> current_user LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE audit_anchors,'
                       ' audit_subject_keys TO %I', g);
    END LOOP;
END
$do$;
