-- PostgreSQL: row-level security on api_keys (the one tenant table of this
-- version), the library's table list, and the grants.

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));

CREATE OR REPLACE FUNCTION saas_library_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE AS $fn$
    SELECT ARRAY['tenants', 'users', 'memberships', 'member_roles', 'invitations',
                 'audit_events', 'audit_checkpoints', 'audit_anchors',
                 'audit_subject_keys', 'tenant_roles', 'support_grants',
                 'user_passwords', 'sessions', 'api_keys', 'api_key_hashes',
                 'user_totp', 'user_recovery_codes', 'one_time_tokens',
                 'rate_limits']::regclass[]
$fn$;

-- Roles granted before this version get the new tables at once.
DO $do$
DECLARE
    g name;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'audit_events' AND privilege_type = 'INSERT'
               AND table_schema = current_schema() AND grantee <> current_user LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE user_passwords, sessions,'
                       ' api_keys, api_key_hashes, user_totp, user_recovery_codes,'
                       ' one_time_tokens, rate_limits TO %I', g);
    END LOOP;
END
$do$;
