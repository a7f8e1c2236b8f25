-- libsaas schema, version 1: tenants, users, memberships, invitations, audit events.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Times are milliseconds
-- since the Unix epoch (UTC) in BIGINT columns.
--
-- Global tables (no tenant_id; Citus reference tables): tenants, users.
-- Tenant tables: tenant_id leads the primary key and every unique constraint
-- and foreign key.

CREATE TABLE tenants (
    id                   TEXT PRIMARY KEY,
    slug                 TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    status               TEXT NOT NULL
                         CHECK (status IN ('active', 'suspended', 'pending_deletion')),
    suspend_reason       TEXT,
    status_before_delete TEXT,
    purge_after          BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    email        TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE memberships (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE member_roles (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role),
    FOREIGN KEY (tenant_id, user_id)
        REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX member_roles_role ON member_roles (tenant_id, role);

CREATE TABLE invitations (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    email       TEXT NOT NULL,
    roles       TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    invited_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by TEXT,
    revoked_at  BIGINT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);

-- The audit log: one append-only stream per tenant, numbered 1, 2, 3… without
-- gaps and chained: hash = BLAKE2b-256(prev_hash || canonical encoding of the
-- event, format `format`); docs/audit.md defines the encoding. Hashes are 64
-- lower-case hex characters; the first event's prev_hash is 64 zeros.
CREATE TABLE audit_events (
    tenant_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    id          TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT,
    target_id   TEXT,
    request_id  TEXT,
    ip          TEXT,
    user_agent  TEXT,
    metadata    TEXT NOT NULL DEFAULT '{}',
    format      INTEGER NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq),
    UNIQUE (tenant_id, id)
);

-- Signed checkpoints of audit streams (docs/audit.md, "Checkpoints").
CREATE TABLE audit_checkpoints (
    tenant_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    key_id      TEXT NOT NULL,
    signature   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
