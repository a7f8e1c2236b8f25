-- libsaas schema, version 9: identity primitives (saas/auth.h, docs/auth.md).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
--
-- Every secret is stored only as a hash: passwords as Argon2id strings,
-- session tokens, API keys and one-time tokens as BLAKE2b-256 hex digests,
-- recovery codes as Argon2id strings. Times are ms since the epoch.

-- Global: a user's password (one per user).
CREATE TABLE user_passwords (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    hash       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Global: sessions. acting_tenant is the tenant the session acts in (NULL:
-- none chosen); not a foreign key, so a purge deletes the rows itself (and
-- not named tenant_id: this is no tenant table).
-- last_seen_at is written at most once a minute; the idle expiry is
-- last_seen_at plus the configured idle time, expires_at the absolute one.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    acting_tenant TEXT,
    mfa          BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_tenant ON sessions (acting_tenant);

-- A tenant table: API keys. permissions is a JSON array of permission
-- patterns; created_by the user whose roles bound the key.
CREATE TABLE api_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    env          TEXT NOT NULL,
    permissions  TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    PRIMARY KEY (tenant_id, id)
);

-- Global: which tenant a presented key belongs to (a key does not say), by
-- its hash; the key's row is then read under the tenant's rules.
CREATE TABLE api_key_hashes (
    key_hash   TEXT PRIMARY KEY,
    key_tenant TEXT NOT NULL,
    key_id     TEXT NOT NULL
);
CREATE INDEX api_key_hashes_tenant ON api_key_hashes (key_tenant);

-- Global: a user's TOTP factor (one per user). confirmed_at is NULL until
-- the first code is checked; last_step is the newest time step accepted
-- (a code of that step or an older one is refused: no replay).
CREATE TABLE user_totp (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    secret       TEXT NOT NULL,
    algorithm    TEXT NOT NULL,
    digits       INTEGER NOT NULL,
    last_step    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT
);

-- Global: single-use recovery codes, each an Argon2id string.
CREATE TABLE user_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id),
    id         TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, id)
);

-- Global: one-time tokens (email verification, password reset, magic
-- links), bound to a user and an email; consumed at most once.
CREATE TABLE one_time_tokens (
    token_hash  TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);

-- Global: GCRA rate limits shared by every process: one theoretical
-- arrival time per key, updated by compare-and-set; a row whose
-- expires_at has passed is back to a full burst and may be deleted.
CREATE TABLE rate_limits (
    key        TEXT PRIMARY KEY,
    tat        BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX rate_limits_expiry ON rate_limits (expires_at);
