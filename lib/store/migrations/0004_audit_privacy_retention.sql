-- libsaas schema, version 4: audit format 2 (personal data encrypted per
-- subject, support actors' second identity) and retention (signed anchors).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- Format 2 events (docs/audit.md): on_behalf_of is the user a support actor
-- acts for; subject_id is whose personal data `personal` holds (the actor);
-- personal is that data (actor email, ip, user agent, the application's
-- personal fields) encrypted with the subject's key. Format 2 leaves the
-- format-1 columns ip and user_agent NULL.
ALTER TABLE audit_events ADD COLUMN on_behalf_of TEXT;
ALTER TABLE audit_events ADD COLUMN subject_id TEXT;
ALTER TABLE audit_events ADD COLUMN personal TEXT;

-- One key per data subject (a global table: Citus reference table). Deleting
-- a subject's key (saas_audit_forget_subject) makes its personal data in every
-- tenant's events unreadable while every hash still verifies. key_id names the
-- key in each ciphertext, so a subject that acts again after being forgotten
-- gets a new key without its old events seeming to belong to it.
CREATE TABLE audit_subject_keys (
    subject_id  TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL,
    key         TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- The signed anchor of a stream whose oldest events were purged
-- (saas_audit_purge): the stream now starts after event `seq`, whose hash
-- was `hash`. One per stream, replaced by each purge.
CREATE TABLE audit_anchors (
    tenant_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    key_id      TEXT NOT NULL,
    signature   TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
);
