-- Webhooks (saas/webhook.h).
--
-- Global: the delivery ids saas_webhook_receive accepted, each kept until its
-- window ends (expires_at, ms since the epoch): a delivery whose id is here
-- and unexpired is a replay. source keeps two senders' ids apart.
CREATE TABLE webhook_replays (
    provider   TEXT NOT NULL,
    source     TEXT NOT NULL,
    message_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (provider, source, message_id)
);
CREATE INDEX webhook_replays_expires ON webhook_replays (expires_at);

-- A tenant table: where the tenant's events are delivered. event_types is
-- a JSON array of patterns ("*", "subscription.*", "member.added").
-- disabled_reason: NULL while enabled; "manual", "gone" (the receiver
-- answered 410) or "failing" (every attempt failed for failing_disable_ms).
-- failing_since: the first failed attempt since the last success.
CREATE TABLE webhook_endpoints (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    url             TEXT NOT NULL,
    event_types     TEXT NOT NULL,
    description     TEXT,
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT,
    failing_since   BIGINT,
    last_success_at BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- A tenant table: an endpoint's signing secrets. The current one has
-- expires_at NULL; a rotated-out one signs too until expires_at (ms).
CREATE TABLE webhook_secrets (
    tenant_id   TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    PRIMARY KEY (tenant_id, endpoint_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id)
);

-- A tenant table: one audit event to one endpoint. id is the webhook-id
-- sent on every attempt; body the exact bytes signed and sent. status:
-- pending, succeeded, failed (attempts exhausted, or the endpoint answered
-- 410), cancelled (the endpoint was disabled or removed first).
CREATE TABLE webhook_deliveries (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    event_seq       BIGINT NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT,
    last_status     INTEGER,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, endpoint_id, event_seq)
);

-- A tenant table: every attempt made. http_status 0: no response (error
-- says why: a timeout, a refused connection, the address guard).
CREATE TABLE webhook_attempts (
    tenant_id    TEXT NOT NULL,
    delivery_id  TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    endpoint_id  TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    http_status  INTEGER NOT NULL,
    error        TEXT,
    response     TEXT,
    PRIMARY KEY (tenant_id, delivery_id, attempt)
);

-- Global: the worker's index of endpoints (which tenants to look at) and
-- how far into each tenant's audit stream each endpoint has been fanned
-- out. Ids and numbers only.
CREATE TABLE webhook_feeds (
    feed_tenant TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    cursor_seq  BIGINT NOT NULL,
    PRIMARY KEY (feed_tenant, endpoint_id)
);

-- Global: deliveries waiting for an attempt, and the lease of the worker
-- making one (lease_until, ms: another worker takes over after it).
CREATE TABLE webhook_queue (
    queue_tenant    TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    PRIMARY KEY (queue_tenant, delivery_id)
);
CREATE INDEX webhook_queue_due ON webhook_queue (next_attempt_at);
