-- PostgreSQL: row-level security on support_grants, and the grants. Other
-- processes learn of changes through NOTIFY libsaas_authz (payload: the
-- tenant id), sent by the committing transaction: no table is needed.

ALTER TABLE support_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE support_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON support_grants
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));

CREATE OR REPLACE FUNCTION saas_library_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE AS $fn$
    SELECT ARRAY['tenants', 'users', 'memberships', 'member_roles', 'invitations',
                 'audit_events', 'audit_checkpoints', 'audit_anchors',
                 'audit_subject_keys', 'tenant_roles', 'support_grants']::regclass[]
$fn$;

-- Roles granted before this version get the new table at once.
DO $do$
DECLARE
    g name;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'audit_events' AND privilege_type = 'INSERT'
               AND table_schema = current_schema() AND grantee <> current_user LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE support_grants TO %I', g);
    END LOOP;
END
$do$;
