/**
 * @file saas/audit.h
 * @brief The audit log: every mutation's event, chained per tenant; verification and queries.
 *
 * Each tenant has one append-only stream of events numbered 1, 2, 3… without
 * gaps. Every library mutation appends its event in the same transaction as
 * the change, so both commit or neither does. Each event carries the hash of
 * the one before it and its own: BLAKE2b-256 over the previous hash and a
 * versioned canonical encoding of the event (docs/audit.md specifies it, so a
 * third party can write a verifier). Operations on the deployment as a whole
 * (creating or purging a tenant, creating a user, operators' listings) are in
 * the deployment's own stream, `SAAS_SYSTEM_TENANT_ID`.
 *
 * Thread safety: a `saas_audit_report` or `saas_audit_page` belongs to one
 * thread at a time.
 */
#ifndef SAAS_AUDIT_H
#define SAAS_AUDIT_H

#include "saas/context.h"

SAAS_BEGIN_DECL

/** What verification found wrong (`SAAS_AUDIT_OK` when nothing). */
typedef enum saas_audit_damage {
	SAAS_AUDIT_OK = 0,           /**< the stream is intact */
	SAAS_AUDIT_CHANGED = 1,      /**< an event's content no longer matches its hash */
	SAAS_AUDIT_MISSING = 2,      /**< a sequence number is missing (an event was deleted) */
	SAAS_AUDIT_OUT_OF_ORDER = 3, /**< events were moved: an event's hash is right for another place */
	SAAS_AUDIT_BROKEN_LINK = 4,  /**< an event does not chain to the one before it */
	SAAS_AUDIT_CUT = 5,          /**< the stream ends before the event a signed checkpoint holds */
	SAAS_AUDIT_BAD_SIGNATURE = 6 /**< a checkpoint's signature does not verify, or its key is not trusted */
} saas_audit_damage;

/** The result of saas_audit_verify(). Opaque; free with saas_audit_report_free(). */
typedef struct saas_audit_report saas_audit_report;

/** A page of events from saas_audit_query(). Opaque; free with saas_audit_page_free(). */
typedef struct saas_audit_page saas_audit_page;

/**
 * Recompute the scope's tenant's stream (or, with a scope whose tenant is
 * `SAAS_SYSTEM_TENANT_ID`, the deployment's stream) from the first event to
 * the last and report the first damage found.
 *
 * Damage is a finding, not an error: the call returns `SAAS_OK` and the
 * report says what is wrong. Allowed in every tenant status, and for any
 * tenant id (one with no events is intact with 0 events). The whole stream is
 * read in one snapshot, in batches, so its size does not matter.
 *
 * Each event, in sequence order, must (1) carry the next number (a gap is
 * `SAAS_AUDIT_MISSING` at the first missing number); (2) have a known format
 * and reproduce its stored hash from its content, its own sequence number and
 * its stored previous hash; if it does not, but does with another sequence
 * number within 4096 of its place, it is `SAAS_AUDIT_OUT_OF_ORDER` (its
 * content is intact but it was moved or swapped), else `SAAS_AUDIT_CHANGED`;
 * (3) carry as previous hash the stored hash of the event before it (64 '0'
 * for event 1), else `SAAS_AUDIT_BROKEN_LINK` (an event edited and re-hashed
 * breaks the link of the next one).
 *
 * A stream whose oldest events were purged (saas_audit_purge()) starts
 * after its signed retention anchor: the anchor's signature is checked first
 * (else `SAAS_AUDIT_BAD_SIGNATURE` at the anchor's seq), and the first event
 * must chain to the anchor's hash.
 *
 * Then, if the chain is intact, each signed checkpoint of the stream (see
 * saas_audit_checkpoint()), in sequence order: its signature must verify with
 * the public key of its key id, the context's own key or one given to
 * saas_audit_trust_key() (else `SAAS_AUDIT_BAD_SIGNATURE` at its seq: a
 * forged or altered checkpoint, or a key not trusted); its event must exist
 * (else `SAAS_AUDIT_CUT` at the stream's last seq + 1: events were deleted
 * from the end) and have the signed hash (else `SAAS_AUDIT_CHANGED` at its
 * seq: the stream was rewritten and re-chained). A stream without a
 * checkpoint still verifies; the message says so.
 *
 * @param out receives the report; free with saas_audit_report_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, a scope without a
 *         tenant); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_verify(saas_audit_report **out, saas_ctx *ctx,
                                   const saas_scope *scope);

/**
 * Export the scope's tenant's stream (or, with `SAAS_SYSTEM_TENANT_ID`, the
 * deployment's) to `path` as JSON lines, for a verifier with no database
 * (saas_audit_verify_file(), `saasctl audit verify --file`). The file is
 * created with mode 0600 and never overwritten. Line 1 is the header
 * `{"format":"libsaas.audit.export","version":2,"tenant_id":…,"exported_at":…}`
 * (exported_at in ms since the epoch); then each event in sequence order with
 * the raw stored values the hash covers (`tenant_id`, `seq`, `id`,
 * `occurred_at` in ms, `actor_type`, `actor_id`, `action`, `target_type`,
 * `target_id`, `request_id`, `ip`, `user_agent`, `metadata` as the stored
 * text, `on_behalf_of`, `subject_id`, `personal` (the ciphertext: an export
 * holds no personal data in the clear and no keys), `format`, `prev_hash`,
 * `hash`; absent values null); then each signed checkpoint as
 * `{"checkpoint":{"seq":…,"hash":…,"created_at":…,"key_id":…,
 * "signature":…}}`. A stream whose oldest events were purged has, as line 2,
 * its retention anchor `{"anchor":{…}}` with the same members. Read in one snapshot, in batches. Allowed in every
 * tenant status; a file written halfway is removed.
 *
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, a scope without a
 *         tenant, a path that cannot be created; field `"path"`);
 *         `SAAS_EEXISTS` (`path` exists; field `"path"`); `SAAS_ESTORE`;
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_export(saas_ctx *ctx, const saas_scope *scope, const char *path);

/**
 * Verify an export file written by saas_audit_export() (version 1 or 2)
 * without a context or database: the retention anchor's signature if there
 * is one, the same chain checks as saas_audit_verify(), then each
 * checkpoint in the file with the given public keys (`saas-audit-pub-v1:…`;
 * a checkpoint whose key is not among them is `SAAS_AUDIT_BAD_SIGNATURE`).
 * Damage is a finding, reported as by saas_audit_verify().
 *
 * @param public_keys `n_keys` public keys (borrowed); may be NULL when n_keys is 0.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, a malformed key (field
 *         `"public_keys"`), a file that is not an export: the message names
 *         the line number, field `"path"`); `SAAS_ENOTFOUND` (no such file);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_verify_file(saas_audit_report **out, const char *path,
                                        const char *const *public_keys, size_t n_keys);

/** Non-zero if the stream verified intact. */
SAAS_EXTERN(int) saas_audit_report_ok(const saas_audit_report *r);
/** The kind of damage (`saas_audit_damage`); -1 for a NULL report. */
SAAS_EXTERN(int) saas_audit_report_damage(const saas_audit_report *r);
/** The name of a damage kind: `"ok"`, `"changed"`, `"missing"`, `"out_of_order"`, `"broken_link"`, `"cut"`, `"bad_signature"`; NULL if unknown. Static. */
SAAS_EXTERN(const char *) saas_audit_damage_name(int damage);
/** The first bad sequence number, or 0 when intact (or `r` is NULL). */
SAAS_EXTERN(int64_t) saas_audit_report_first_bad_seq(const saas_audit_report *r);
/** The first sequence number of the stream as verified: 1, or, after a purge (saas_audit_purge()), the event after the signed retention anchor; 0 for a NULL report. */
SAAS_EXTERN(int64_t) saas_audit_report_first_seq(const saas_audit_report *r);
/** How many events verified (for a damaged stream, those before the first bad one). */
SAAS_EXTERN(int64_t) saas_audit_report_events(const saas_audit_report *r);
/** The last sequence number of the stream (0 for an empty one); for a damaged stream, that of the last event before the damage. */
SAAS_EXTERN(int64_t) saas_audit_report_last_seq(const saas_audit_report *r);
/** The hash of the event at saas_audit_report_last_seq(), 64 hex characters ("" for an empty stream; NULL for a NULL report). Borrowed. */
SAAS_EXTERN(const char *) saas_audit_report_last_hash(const saas_audit_report *r);
/** How many signed checkpoints verified (0 when the chain is damaged: checkpoints are checked after it). */
SAAS_EXTERN(int64_t) saas_audit_report_checkpoints(const saas_audit_report *r);
/** A one-line description ("intact: 12 events, 2 signed checkpoints verified", "intact: 3 events, no signed checkpoint", or what is wrong where: "event 7 was changed: …"); NULL for a NULL report. Borrowed. */
SAAS_EXTERN(const char *) saas_audit_report_message(const saas_audit_report *r);
/** Free a report. `r` may be NULL. */
SAAS_EXTERN(void) saas_audit_report_free(saas_audit_report *r);

/** Current version of `saas_audit_filter`. */
#define SAAS_AUDIT_FILTER_VERSION 1

/**
 * What saas_audit_query() selects. Every criterion is optional (NULL or 0
 * means "any"); all that are set must match. Start from
 * `SAAS_AUDIT_FILTER_INIT` or saas_audit_filter_init().
 */
typedef struct saas_audit_filter {
	unsigned version;        /**< `SAAS_AUDIT_FILTER_VERSION` */
	int64_t since_ms;        /**< events at or after this time (ms since the epoch), 0: any */
	int64_t until_ms;        /**< events before this time, 0: any */
	const char *actor_id;    /**< exactly this actor id */
	const char *action_prefix; /**< actions starting with this text ("member." or "tenant.suspended") */
	const char *target_type; /**< exactly this target type */
	const char *target_id;   /**< exactly this target id */
} saas_audit_filter;

/** Static initialiser for `saas_audit_filter` (matches every event). */
#define SAAS_AUDIT_FILTER_INIT { SAAS_AUDIT_FILTER_VERSION, 0, 0, NULL, NULL, NULL, NULL }

/**
 * Fill `f` with `SAAS_AUDIT_FILTER_INIT` (for callers that cannot use macros).
 * @return `SAAS_OK`, or `SAAS_EINVAL` for a NULL `f` or an unknown version.
 */
SAAS_EXTERN(int) saas_audit_filter_init(saas_audit_filter *f, unsigned version);

/**
 * Read the scope's tenant's events (or the deployment's, with
 * `SAAS_SYSTEM_TENANT_ID`) matching `filter`, in sequence order, one page at
 * a time. Allowed in every tenant status.
 *
 * @param filter NULL for every event (borrowed).
 * @param cursor NULL for the first page, else the previous page's next cursor.
 * @param limit  1 to 1000.
 * @return `SAAS_OK`; `SAAS_EINVAL` (a bad filter, version, range, cursor or
 *         limit, with the field); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_query(saas_audit_page **out, saas_ctx *ctx, const saas_scope *scope,
                                  const saas_audit_filter *filter, const char *cursor,
                                  unsigned limit);

/**
 * Count the scope's tenant's events matching `filter` (NULL: all).
 * @return as saas_audit_query().
 */
SAAS_EXTERN(int) saas_audit_count(int64_t *out, saas_ctx *ctx, const saas_scope *scope,
                                  const saas_audit_filter *filter);

/** Number of events in the page. */
SAAS_EXTERN(size_t) saas_audit_page_count(const saas_audit_page *p);
/**
 * The i-th event of the page as a JSON object: `seq`, `id`, `tenant_id`,
 * `occurred_at` (RFC 3339), `actor` (`type`, `id`, `on_behalf_of`: for a
 * support actor the user it acted for, else null; `email`), `action`,
 * `target` (`type`, `id`, or null), `context` (`request_id`, `ip`,
 * `user_agent`), `metadata` (an object), `personal` (null when the event
 * holds no personal data, else `subject_id`, `readable`: false once the
 * subject was forgotten, and `data`: the application's personal fields or
 * null), `format`, `prev_hash`, `hash`. The actor's email, ip and user agent
 * are decrypted from the event's personal data (null once forgotten; format
 * 1 events stored ip and user agent in the clear). Borrowed from `p`; NULL
 * past the end.
 */
SAAS_EXTERN(const char *) saas_audit_page_event_json(const saas_audit_page *p, size_t i);
/** The sequence number of the i-th event, or 0 past the end. */
SAAS_EXTERN(int64_t) saas_audit_page_seq(const saas_audit_page *p, size_t i);
/** The action of the i-th event, or NULL past the end. Borrowed. */
SAAS_EXTERN(const char *) saas_audit_page_action(const saas_audit_page *p, size_t i);
/** The cursor of the next page, or NULL on the last page. Borrowed. */
SAAS_EXTERN(const char *) saas_audit_page_next_cursor(const saas_audit_page *p);
/** Free a page. `p` may be NULL. */
SAAS_EXTERN(void) saas_audit_page_free(saas_audit_page *p);

/**
 * Append one event to the scope's tenant's stream (or, with a scope whose
 * tenant is `SAAS_SYSTEM_TENANT_ID`, to the deployment's stream) in its OWN
 * transaction, committed before the call returns.
 *
 * Library mutations append their events inside their own transaction, so a
 * rolled-back operation leaves no event. This call is for events that must be
 * kept although the operation they describe failed or was refused (a denied
 * access, a failed login, a rate limit hit), and for the application's own
 * events: it commits even when the caller's work fails. It does not join a
 * transaction the caller may have open elsewhere. The event is chained and
 * hashed like every other, with the scope's actor (and, for support, the
 * user it acts for), request id, and personal data (actor email, ip, user
 * agent: encrypted with the actor's subject key, see
 * saas_audit_forget_subject()), and its metadata is redacted first (see "Redaction" in
 * docs/audit.md: secret-looking keys, and the context's `audit_redact_keys`,
 * get the value `"[redacted]"`).
 *
 * Allowed whatever the tenant's status: a suspended tenant, or one pending
 * deletion, still records (security events must be kept). The tenant must
 * exist, except for `SAAS_SYSTEM_TENANT_ID`, whose stream has no tenant row.
 *
 * @param out_seq     receives the event's sequence number (0 on error); may be NULL.
 * @param ctx         the context.
 * @param scope       whose stream, and the actor and request context (borrowed).
 * @param action      dotted lower-case words, at least two: `^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`,
 *                    at most 64 bytes (e.g. `"user.login_failed"`, `"app.report.exported"`).
 * @param target_type what was acted on, or NULL: 1 to 128 printable ASCII characters
 *                    without spaces. Required when `target_id` is set.
 * @param target_id   its id, or NULL: same rules.
 * @param metadata_json a JSON object as text (at most 65536 bytes, no duplicate
 *                    keys), or NULL for `{}`. Copied; never stored unredacted.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL ctx, a scope without a tenant, a bad
 *         action, target or metadata; the error names the field: `"ctx"`,
 *         `"scope"`, `"action"`, `"target_type"`, `"target_id"`, `"metadata"`);
 *         `SAAS_ENOTFOUND` (no such tenant; field `"tenant_id"`); `SAAS_ESTORE`
 *         (including a lock not obtained within the context's busy timeout);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_record(int64_t *out_seq, saas_ctx *ctx, const saas_scope *scope,
                                   const char *action, const char *target_type,
                                   const char *target_id, const char *metadata_json);

/** Current version of `saas_audit_entry`. */
#define SAAS_AUDIT_ENTRY_VERSION 1

/**
 * One event for saas_audit_record_batch(). Start from
 * `SAAS_AUDIT_ENTRY_INIT`. All strings are borrowed for the call.
 */
typedef struct saas_audit_entry {
	unsigned version;          /**< `SAAS_AUDIT_ENTRY_VERSION` */
	const char *action;        /**< as saas_audit_record()'s `action` */
	const char *target_type;   /**< as saas_audit_record()'s, or NULL */
	const char *target_id;     /**< as saas_audit_record()'s, or NULL */
	const char *metadata_json; /**< a JSON object, or NULL for `{}`; redacted, hashed in the clear */
	/** Personal data about the actor, or NULL: a JSON object (at most 65536
	 *  bytes) stored encrypted with the actor's subject key, like the
	 *  scope's ip, user agent and actor email (see "Personal data" in
	 *  docs/audit.md), and readable until saas_audit_forget_subject(). */
	const char *personal_json;
} saas_audit_entry;

/** Static initialiser for `saas_audit_entry`. */
#define SAAS_AUDIT_ENTRY_INIT { SAAS_AUDIT_ENTRY_VERSION, NULL, NULL, NULL, NULL, NULL }

/**
 * Append `n` events, in order, to the scope's tenant's stream (or the
 * deployment's, with `SAAS_SYSTEM_TENANT_ID`) in ONE transaction of their
 * own: all of them commit, or none (the first bad entry refuses the whole
 * batch before anything is written). The same rules as saas_audit_record(),
 * whose single event this call also writes with personal data; far faster
 * per event for bulk imports and high-volume application events, because
 * the stream is read and locked once.
 *
 * @param out_first_seq receives the first event's sequence number (the others
 *                      follow without gaps), 0 on error; may be NULL.
 * @param entries       `n` entries (1 to 10000), borrowed.
 * @return `SAAS_OK`; `SAAS_EINVAL` (as saas_audit_record(), the message
 *         naming the entry by its index from 0; a bad version, field
 *         `"version"`; `"personal"` for personal_json that is not a JSON
 *         object; `"n"` for 0 or more than 10000 entries); `SAAS_ENOTFOUND`;
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_record_batch(int64_t *out_first_seq, saas_ctx *ctx,
                                         const saas_scope *scope,
                                         const saas_audit_entry *entries, size_t n);

/**
 * Forget a data subject: delete the key that encrypts its personal data
 * (the email, ip and user agent recorded when it acted, and any
 * `personal_json`) in every stream, in one transaction with the event
 * `audit.subject_forgotten` in the deployment's stream. Afterwards queries
 * show that data as unreadable (`"readable": false`) while every hash, and
 * so saas_audit_verify(), still verifies: the hashes cover the ciphertext.
 * Events the subject records later get a new key. A subject is an actor id
 * (`usr_…` for users). Deleting a key does not reach copies of the
 * database made before (backups): see "Personal data" in docs/audit.md.
 *
 * @param scope      who asks (the actor recorded); its tenant is not used.
 * @param subject_id the actor id whose personal data to forget.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, a malformed subject id:
 *         field `"subject_id"`); `SAAS_ENOTFOUND` (the subject has no key:
 *         never recorded with personal data, or already forgotten; field
 *         `"subject_id"`); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_forget_subject(saas_ctx *ctx, const saas_scope *scope,
                                           const char *subject_id);

/**
 * Retention: delete the oldest events of the scope's tenant's stream (or the
 * deployment's), those that occurred before `before_ms`, keeping the stream
 * verifiable. The events deleted are a prefix: from the first to the last
 * one before the first event at or after `before_ms` (all of them when none
 * is that recent). In one write transaction that holds the stream: the
 * stream is verified first (damage refuses the purge with `SAAS_ESTATE`, so
 * the evidence stays); the prefix and its checkpoints are deleted; a signed
 * retention anchor (the last purged event's seq and hash, see "Retention"
 * in docs/audit.md) replaces the stream's previous one; the event
 * `audit.purged` (metadata `through_seq`, `events`, `before`) is appended.
 * Verification then starts after the anchor (and needs the anchor's public
 * key: the context's own, or one given to saas_audit_trust_key()). Nothing
 * older: no change and no event, `*out_purged` 0. Needs the signing key
 * always, as checkpoints do, even when nothing is old enough.
 *
 * @param out_purged receives the number of events deleted.
 * @param before_ms  a time in the past, in ms since the epoch.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, a scope without a
 *         tenant, `before_ms` not positive or in the future, field
 *         `"before_ms"`); `SAAS_ENOTFOUND` (no signing key, field
 *         `"audit_signing_key"`); `SAAS_ESTATE` (the stream is damaged: the
 *         message says how); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_purge(int64_t *out_purged, saas_ctx *ctx, const saas_scope *scope,
                                  int64_t before_ms);

/**
 * Make a new ed25519 key for signing audit checkpoints.
 *
 * @param out_secret receives `saas-audit-key-v1:<key_id>:<base64 of the
 *                   32-byte seed>`, the text to put in the file or variable
 *                   named by the `audit_signing_key` option; free with
 *                   saas_free_secret(). Never log it.
 * @param out_public receives `saas-audit-pub-v1:<key_id>:<base64 of the
 *                   32-byte public key>`, for verifiers; free with saas_free().
 * @param key_id     1 to 32 characters of `[a-z0-9_-]`, stored with every
 *                   checkpoint the key signs; NULL: `k` + 12 hex characters
 *                   derived from the public key.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL out, a bad key id, field `"key_id"`);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_keygen(char **out_secret, char **out_public, const char *key_id);

/**
 * The public form of the context's signing key (loaded on first use from the
 * `audit_signing_key` option, or `SAAS_AUDIT_SIGNING_KEY`).
 * @param out receives `saas-audit-pub-v1:…`; free with saas_free().
 * @return `SAAS_OK`; `SAAS_ENOTFOUND` (no key configured, or its file or
 *         environment variable missing, field `"audit_signing_key"`);
 *         `SAAS_EINVAL` (a malformed key or option: the secret is never
 *         echoed); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_public_key(char **out, saas_ctx *ctx);

/**
 * Trust an older public key (`saas-audit-pub-v1:…`) when verifying, so that
 * checkpoints signed before a key rotation still verify. The context's own
 * key is always trusted. Thread-safe; at most 64 keys.
 * @return `SAAS_OK` (also when the same key is already trusted);
 *         `SAAS_EINVAL` (NULL or malformed, field `"public_key"`);
 *         `SAAS_ECONFLICT` (another key with the same id is trusted);
 *         `SAAS_ELIMIT`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_trust_key(saas_ctx *ctx, const char *public_key);

/**
 * Sign a checkpoint of the tail of the scope's tenant's stream (or the
 * deployment's, with `SAAS_SYSTEM_TENANT_ID`) with the context's key, in a
 * write transaction that holds the stream (no event is appended meanwhile).
 * The checkpoint (seq, hash, time, key id, signature; never the key) is
 * stored in `audit_checkpoints`; the signed statement is
 * `libsaas audit checkpoint v1\n<tenant_id>\n<seq>\n<hash>\n<created_at ms>\n`
 * (docs/audit.md). Idempotent: if the tail is already checkpointed, nothing
 * is written. Allowed in every tenant status. Checkpoints are also made
 * automatically at appends with the context options
 * `audit_checkpoint_every` and `audit_checkpoint_seconds`.
 *
 * @param out_seq receives the sequence number signed (0 on error).
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, a scope without a
 *         tenant, a malformed key); `SAAS_ENOTFOUND` (no signing key
 *         configured, or its file or variable missing; field
 *         `"audit_signing_key"`); `SAAS_ESTATE` (the stream is empty: nothing
 *         to sign); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_checkpoint(int64_t *out_seq, saas_ctx *ctx, const saas_scope *scope);

SAAS_END_DECL

#endif
