-- PostgreSQL: row-level security on the webhook tenant tables, the
-- library's table list, and the grants.

DO $do$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['webhook_endpoints', 'webhook_secrets', 'webhook_deliveries',
                             'webhook_attempts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I'
                       ' USING (tenant_id = current_setting(''saas.tenant_id'', true))'
                       ' WITH CHECK (tenant_id = current_setting(''saas.tenant_id'', true))', t);
    END LOOP;
END
$do$;

CREATE OR REPLACE FUNCTION saas_library_tables() RETURNS regclass[]
    LANGUAGE sql IMMUTABLE AS $fn$
    SELECT ARRAY['tenants', 'users', 'memberships', 'member_roles', 'invitations',
                 'audit_events', 'audit_checkpoints', 'audit_anchors',
                 'audit_subject_keys', 'tenant_roles', 'support_grants',
                 'user_passwords', 'sessions', 'api_keys', 'api_key_hashes',
                 'user_totp', 'user_recovery_codes', 'one_time_tokens',
                 'rate_limits', 'billing_catalogs', 'billing_customers',
                 'billing_subscriptions', 'billing_overrides',
                 'billing_provider_events', 'billing_usage_records',
                 'billing_usage_totals', 'webhook_replays', 'webhook_endpoints',
                 'webhook_secrets', 'webhook_deliveries', 'webhook_attempts',
                 'webhook_feeds', 'webhook_queue']::regclass[]
$fn$;

-- Roles granted before this version get the new tables at once.
DO $do$
DECLARE
    g name;
BEGIN
    FOR g IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'audit_events' AND privilege_type = 'INSERT'
               AND table_schema = current_schema() AND grantee <> current_user LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE webhook_replays,'
                       ' webhook_endpoints, webhook_secrets, webhook_deliveries,'
                       ' webhook_attempts, webhook_feeds, webhook_queue TO %I', g);
    END LOOP;
END
$do$;
