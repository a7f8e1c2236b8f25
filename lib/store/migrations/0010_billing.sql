-- libsaas schema, version 10: billing (saas/billing.h, docs/billing.md).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Times are ms since
-- the epoch.

-- Global: the plan catalogue, one row per version. A document is stored
-- once (hash is of its canonical form); loading a changed one adds a
-- version. Subscriptions name the version they were priced on.
CREATE TABLE billing_catalogs (
    version    BIGINT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    document   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Global: which tenant a provider's customer is. Not a foreign key (a
-- purge deletes the rows itself).
CREATE TABLE billing_customers (
    provider        TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    customer_tenant TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (provider, customer_id)
);
CREATE INDEX billing_customers_tenant ON billing_customers (customer_tenant);

-- A tenant table: the tenant's subscription (one; a new subscription after
-- an ended one replaces the row, the audit log keeps the history).
-- flags: saas/billing.h SAAS_SUB_F_*. provider_ts is the provider's time of
-- the newest snapshot applied: an older one is ignored.
CREATE TABLE billing_subscriptions (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    state           TEXT NOT NULL,
    flags           INTEGER NOT NULL,
    plan_id         TEXT NOT NULL,
    catalog_version BIGINT NOT NULL,
    pending_plan_id TEXT,
    anchor_at       BIGINT NOT NULL,
    period_start    BIGINT NOT NULL,
    period_end      BIGINT NOT NULL,
    trial_end       BIGINT,
    past_due_since  BIGINT,
    canceled_at     BIGINT,
    ended_at        BIGINT,
    provider        TEXT,
    provider_id     TEXT,
    provider_status TEXT,
    provider_ts     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);

-- A tenant table: feature values that override the plan's, until
-- expires_at (NULL: no end). value is the JSON value.
CREATE TABLE billing_overrides (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    feature    TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at BIGINT,
    reason     TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, feature)
);

-- A tenant table: provider events applied (or deliberately ignored), so
-- that a second delivery changes nothing. Written in the transaction of
-- the change it caused.
CREATE TABLE billing_provider_events (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    provider   TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    event_type TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    created    BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, provider, event_id)
);

-- A tenant table: usage records, one per idempotency key.
CREATE TABLE billing_usage_records (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    idempotency_key TEXT NOT NULL,
    feature         TEXT NOT NULL,
    quantity        BIGINT NOT NULL,
    period_start    BIGINT NOT NULL,
    occurred_at     BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
);

-- A tenant table: usage per feature and period, the sum of its records.
CREATE TABLE billing_usage_totals (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    feature      TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end   BIGINT NOT NULL,
    used         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, feature, period_start)
);
