-- libsaas schema, version 8: support grants (saas/authz.h, docs/authz.md).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
--
-- A tenant's owner (anyone allowed support:grant) lets support staff act in
-- the tenant with a role's permissions until expires_at (ms since the
-- epoch). staff is the support actor's id, or NULL for every support actor.
-- A tenant table: purged and exported with the tenant.
CREATE TABLE support_grants (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    staff      TEXT,
    role       TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX support_grants_staff ON support_grants (tenant_id, staff, expires_at);
