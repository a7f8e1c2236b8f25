-- libsaas schema, version 7 (PostgreSQL only; on SQLite this version records
-- nothing to do): row-level security on tenant_roles, and the grants.

ALTER TABLE tenant_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_roles
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));

CREATE OR REPLACE FUNCTION saas_library_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE AS $fn$
    SELECT ARRAY['tenants', 'users', 'memberships', 'member_roles', 'invitations',
                 'audit_events', 'audit_checkpoints', 'audit_anchors',
                 'audit_subject_keys', 'tenant_roles']::regclass[]
$fn$;

-- Roles granted before this version get the new table at once.
DO $do$
DECLARE
    g name;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'audit_events' AND privilege_type = 'INSERT'
               AND table_schema = current_schema() AND grantee <> current_user LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE tenant_roles TO %I', g);
    END LOOP;
END
$do$;
