-- libsaas schema, version 6: custom roles of a tenant (saas/rbac.h,
-- docs/rbac.md). Portable SQL: runs unchanged on SQLite and PostgreSQL.
--
-- permissions and inherits are JSON arrays of strings, sorted, without
-- duplicates. A tenant table: purged and exported with the tenant.
CREATE TABLE tenant_roles (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    permissions TEXT NOT NULL,
    inherits    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
