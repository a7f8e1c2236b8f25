/* Typed operations of the webhook module (lib/store/ops_webhook.c). Tenant
 * tables are read and written in the transaction's tenant; the global ones
 * (webhook_replays, webhook_feeds, webhook_queue) name the tenant in a column. */
#ifndef SAAS_STORE_WEBHOOK_H
#define SAAS_STORE_WEBHOOK_H

#include <jansson.h>

#include "store.h"

/* ---- replay protection (global) ---- */

/* Claim a delivery id until expires_at (ms): *out_claimed is true when no
 * unexpired claim existed (an expired one is taken over), false for a
 * replay. One statement: of two concurrent claims one wins. */
int saas__st_replay_claim(bool *out_claimed, saas_tx *tx, const char *provider,
	const char *source, const char *message_id, int64_t expires_at, int64_t now);
/* Delete up to `limit` claims expired at `now` (0: all); *out_deleted how many. */
int saas__st_replay_purge(int64_t *out_deleted, saas_tx *tx, int64_t now, unsigned limit);

/* ---- endpoints (tenant) ---- */

struct saas__wh_endpoint {
	char *id, *url, *event_types, *description, *disabled_reason;
	bool enabled;
	int64_t failing_since, last_success_at, created_at, updated_at; /* 0: none */
};
void saas__wh_endpoint_free(struct saas__wh_endpoint *e);

int saas__st_wh_endpoint_insert(saas_tx *tx, const struct saas__wh_endpoint *e);
/* SAAS_ENOTFOUND (without an error message) when absent. */
int saas__st_wh_endpoint_get(struct saas__wh_endpoint **out, saas_tx *tx, const char *id);
/* Write enabled, disabled_reason, failing_since, last_success_at, updated_at. */
int saas__st_wh_endpoint_update(saas_tx *tx, const struct saas__wh_endpoint *e);
/* Delete the endpoint, its secrets, its deliveries and their queue rows,
 * and its feed. Attempts stay. */
int saas__st_wh_endpoint_delete(saas_tx *tx, const char *id);
/* The tenant's endpoints, oldest first, as JSON rows (columns by name),
 * each with "secrets" (signing now) and "pending" counts. */
int saas__st_wh_endpoint_list(json_t **out, saas_tx *tx, int64_t now);

/* ---- secrets (tenant) ---- */

int saas__st_wh_secret_insert(saas_tx *tx, const char *endpoint_id, const char *id,
	const char *secret, int64_t now);
/* Give every current (expires_at NULL) secret of the endpoint expires_at. */
int saas__st_wh_secret_expire_current(saas_tx *tx, const char *endpoint_id, int64_t expires_at);
/* Delete the endpoint's secrets expired at `now`. */
int saas__st_wh_secret_prune(saas_tx *tx, const char *endpoint_id, int64_t now);
/* The secrets that sign at `now`, newest first (at most max): malloc'd
 * strings into out[], their number into *n. */
int saas__st_wh_secrets(char **out, size_t max, size_t *n, saas_tx *tx, const char *endpoint_id,
	int64_t now);

/* ---- the fan-out index (global) ---- */

int saas__st_wh_feed_put(saas_tx *tx, const char *tenant_id, const char *endpoint_id,
	bool enabled, int64_t cursor);
/* Enabled feeds of every tenant, ordered by tenant: fn(tenant, endpoint,
 * cursor, payload) for each (non-zero stops; negative is returned). */
int saas__st_wh_feeds(saas_tx *tx, int (*fn)(const char *tenant_id, const char *endpoint_id,
	int64_t cursor, void *payload), void *payload);
/* Move a feed's cursor forward to `cursor` (never back). */
int saas__st_wh_feed_advance(saas_tx *tx, const char *endpoint_id, int64_t cursor);

/* ---- deliveries (tenant) and the queue (global) ---- */

struct saas__wh_delivery {
	char *id, *endpoint_id, *event_type, *body, *status;
	int64_t event_seq, attempts, next_attempt_at, last_status;
};
void saas__wh_delivery_free(struct saas__wh_delivery *d);

/* Insert a pending delivery and queue it; *out_added false when the
 * endpoint has that event already (another worker fanned it out). */
int saas__st_wh_delivery_add(bool *out_added, saas_tx *tx, const struct saas__wh_delivery *d,
	int64_t now);
/* SAAS_ENOTFOUND (without a message) when absent. */
int saas__st_wh_delivery_get(struct saas__wh_delivery **out, saas_tx *tx, const char *id);
/* Write status, attempts, next_attempt_at, last_status. */
int saas__st_wh_delivery_update(saas_tx *tx, const struct saas__wh_delivery *d, int64_t now);
/* Cancel the endpoint's pending deliveries and drop their queue rows. */
int saas__st_wh_delivery_cancel_pending(int64_t *out_n, saas_tx *tx, const char *endpoint_id,
	int64_t now);
/* The tenant's deliveries, newest first (of one endpoint, or all for
 * NULL), at most `limit`, as JSON rows, each with "attempt_log" (rows). */
int saas__st_wh_delivery_list(json_t **out, saas_tx *tx, const char *endpoint_id, unsigned limit);

int saas__st_wh_attempt_insert(saas_tx *tx, const char *delivery_id, const char *endpoint_id,
	int64_t attempt, int64_t started_at, int64_t duration_ms, int64_t http_status,
	const char *error, const char *response);

/* Lease up to `max` due queue rows (next_attempt_at <= now, no live lease)
 * to `owner` until lease_until: fn(tenant, delivery) for each one leased. */
int saas__st_wh_queue_lease(saas_tx *tx, int64_t now, const char *owner, int64_t lease_until,
	unsigned max, int (*fn)(const char *tenant_id, const char *delivery_id, void *payload),
	void *payload);
/* Reschedule a delivery's queue row to next_at, releasing the lease;
 * *out_held false if `owner` no longer held it. */
int saas__st_wh_queue_retry(bool *out_held, saas_tx *tx, const char *delivery_id,
	const char *owner, int64_t next_at);
/* Delete a delivery's queue row. */
int saas__st_wh_queue_done(saas_tx *tx, const char *delivery_id);

#endif
