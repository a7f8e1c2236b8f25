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
	SAAS_AUDIT_BROKEN_LINK = 4   /**< an event does not chain to the one before it */
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
 * @param out receives the report; free with saas_audit_report_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, a scope without a
 *         tenant); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_audit_verify(saas_audit_report **out, saas_ctx *ctx,
                                   const saas_scope *scope);

/** Non-zero if the stream verified intact. */
SAAS_EXTERN(int) saas_audit_report_ok(const saas_audit_report *r);
/** The kind of damage (`saas_audit_damage`); -1 for a NULL report. */
SAAS_EXTERN(int) saas_audit_report_damage(const saas_audit_report *r);
/** The name of a damage kind: `"ok"`, `"changed"`, `"missing"`, `"out_of_order"`, `"broken_link"`; NULL if unknown. Static. */
SAAS_EXTERN(const char *) saas_audit_damage_name(int damage);
/** The first bad sequence number, or 0 when intact (or `r` is NULL). */
SAAS_EXTERN(int64_t) saas_audit_report_first_bad_seq(const saas_audit_report *r);
/** How many events verified (for a damaged stream, those before the first bad one). */
SAAS_EXTERN(int64_t) saas_audit_report_events(const saas_audit_report *r);
/** The last sequence number of the stream (0 for an empty one); for a damaged stream, that of the last event before the damage. */
SAAS_EXTERN(int64_t) saas_audit_report_last_seq(const saas_audit_report *r);
/** The hash of the event at saas_audit_report_last_seq(), 64 hex characters ("" for an empty stream; NULL for a NULL report). Borrowed. */
SAAS_EXTERN(const char *) saas_audit_report_last_hash(const saas_audit_report *r);
/** A one-line description ("intact: 12 events", or what is wrong where: "event 7 was changed: …"); NULL for a NULL report. Borrowed. */
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
 * `occurred_at` (RFC 3339), `actor` (`type`, `id`), `action`, `target`
 * (`type`, `id`, or null), `context` (`request_id`, `ip`, `user_agent`),
 * `metadata` (an object), `format`, `prev_hash`, `hash`. Borrowed from `p`;
 * NULL past the end.
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

SAAS_END_DECL

#endif
