-- libsaas schema, version 2 (PostgreSQL only; on SQLite this version records
-- nothing to do): row-level security on every tenant table.
--
-- The application connects as a role that neither owns the tables nor has
-- BYPASSRLS; FORCE makes the policies bind the owner too. Each transaction
-- names its tenant with saas_set_tenant($1), which runs SET LOCAL: the setting
-- ends with the transaction, so a pooled connection never carries a tenant into
-- the next one. Not set_config(..., true): Citus does not pass that on to its
-- worker nodes, while it does pass SET LOCAL (with
-- citus.propagate_set_commands = 'local' for the application role).
--
-- With no tenant set, current_setting('saas.tenant_id', true) is NULL (never
-- set on this connection) or '' (cleared, or set earlier and rolled back):
-- neither equals a tenant_id, so no row is visible and no row can be written.
-- The policies hold no subquery (Citus refuses those).
--
-- Global tables (tenants, users, saas_schema_migrations) have no RLS.

CREATE OR REPLACE FUNCTION saas_set_tenant(tenant text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $fn$
BEGIN
    -- NULL clears the tenant: '' matches no row.
    EXECUTE format('SET LOCAL saas.tenant_id = %L', coalesce(tenant, ''));
END
$fn$;

ALTER TABLE member_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_roles
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints
    USING (tenant_id = current_setting('saas.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('saas.tenant_id', true));
