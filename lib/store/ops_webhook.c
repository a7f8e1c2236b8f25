/* Typed operations of the webhook module (store_webhook.h). */
#include <stdlib.h>
#include <string.h>

#include "store_webhook.h"

/* ---- replay protection ----------------------------------------------------------------- */

static saas_query q_claim = SAAS_QUERY(
	"INSERT INTO webhook_replays (provider, source, message_id, expires_at)"
	" VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (provider, source, message_id) DO UPDATE SET expires_at = excluded.expires_at"
	" WHERE webhook_replays.expires_at <= $5");
static saas_query q_purge_all = SAAS_QUERY("DELETE FROM webhook_replays WHERE expires_at <= $1");
static saas_query q_purge_some = SAAS_QUERY(
	"DELETE FROM webhook_replays WHERE (provider, source, message_id) IN"
	" (SELECT provider, source, message_id FROM webhook_replays WHERE expires_at <= $1"
	" ORDER BY expires_at LIMIT $2)");

int saas__st_replay_claim(bool *out_claimed, saas_tx *tx, const char *provider,
	const char *source, const char *message_id, int64_t expires_at, int64_t now)
{
	int64_t changed = 0;
	int rc = saas__q_exec(tx, &q_claim, &changed, "sssii", provider, source, message_id,
	                      expires_at, now);

	*out_claimed = rc == SAAS_OK && changed > 0;
	return rc;
}

int saas__st_replay_purge(int64_t *out_deleted, saas_tx *tx, int64_t now, unsigned limit)
{
	*out_deleted = 0;
	if (limit == 0)
		return saas__q_exec(tx, &q_purge_all, out_deleted, "i", now);
	return saas__q_exec(tx, &q_purge_some, out_deleted, "ii", now, (int64_t)limit);
}

/* ---- endpoints -------------------------------------------------------------------------- */

#define EP_COLS                                                                              \
	"id, url, event_types, description, enabled, disabled_reason, failing_since,"        \
	" last_success_at, created_at, updated_at"

static saas_query q_ep_insert = SAAS_QUERY(
	"INSERT INTO webhook_endpoints (tenant_id, " EP_COLS ")"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
static saas_query q_ep_get = SAAS_QUERY(
	"SELECT " EP_COLS " FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2");
static saas_query q_ep_update = SAAS_QUERY(
	"UPDATE webhook_endpoints SET enabled = $3, disabled_reason = $4, failing_since = $5,"
	" last_success_at = $6, updated_at = $7 WHERE tenant_id = $1 AND id = $2");
static saas_query q_ep_list = SAAS_QUERY(
	"SELECT " EP_COLS ","
	" (SELECT COUNT(*) FROM webhook_secrets s WHERE s.tenant_id = e.tenant_id"
	"  AND s.endpoint_id = e.id AND (s.expires_at IS NULL OR s.expires_at > $2)) AS secrets,"
	" (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.tenant_id = e.tenant_id"
	"  AND d.endpoint_id = e.id AND d.status = 'pending') AS pending"
	" FROM webhook_endpoints e WHERE e.tenant_id = $1 ORDER BY e.created_at, e.id");
/* Removal, children first; attempts stay. */
static saas_query q_ep_delete[] = {
	SAAS_QUERY("DELETE FROM webhook_queue WHERE queue_tenant = $1 AND delivery_id IN"
	           " (SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2)"),
	SAAS_QUERY("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2"),
	SAAS_QUERY("DELETE FROM webhook_secrets WHERE tenant_id = $1 AND endpoint_id = $2"),
	SAAS_QUERY("DELETE FROM webhook_feeds WHERE feed_tenant = $1 AND endpoint_id = $2"),
	SAAS_QUERY("DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"),
};

void saas__wh_endpoint_free(struct saas__wh_endpoint *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->url);
	free(e->event_types);
	free(e->description);
	free(e->disabled_reason);
	free(e);
}

int saas__st_wh_endpoint_insert(saas_tx *tx, const struct saas__wh_endpoint *e)
{
	return saas__q_exec(tx, &q_ep_insert, NULL, "sssssbsnnii", saas__tx_tenant(tx), e->id,
	                    e->url, e->event_types, e->description, e->enabled, e->disabled_reason,
	                    e->failing_since, e->last_success_at, e->created_at, e->updated_at);
}

int saas__st_wh_endpoint_get(struct saas__wh_endpoint **out, saas_tx *tx, const char *id)
{
	struct saas__wh_endpoint *e;
	saas_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, &q_ep_get, "ss", saas__tx_tenant(tx), id)))
		return rc;
	rc = saas__q_step(st);
	if (rc == 0) {
		rc = SAAS_ENOTFOUND;
	} else if (rc == 1) {
		if (!(e = calloc(1, sizeof *e))) {
			rc = saas__enomem();
		} else {
			e->id = saas__q_dup(st, 0);
			e->url = saas__q_dup(st, 1);
			e->event_types = saas__q_dup(st, 2);
			e->description = saas__q_dup(st, 3);
			e->enabled = saas__q_int(st, 4) != 0;
			e->disabled_reason = saas__q_dup(st, 5);
			e->failing_since = saas__q_int(st, 6);
			e->last_success_at = saas__q_int(st, 7);
			e->created_at = saas__q_int(st, 8);
			e->updated_at = saas__q_int(st, 9);
			if (!e->id || !e->url || !e->event_types ||
			    (!e->description && !saas__q_is_null(st, 3)) ||
			    (!e->disabled_reason && !saas__q_is_null(st, 5))) {
				saas__wh_endpoint_free(e);
				rc = saas__enomem();
			} else {
				*out = e;
				rc = SAAS_OK;
			}
		}
	}
	saas__q_close(st);
	return rc;
}

int saas__st_wh_endpoint_update(saas_tx *tx, const struct saas__wh_endpoint *e)
{
	return saas__q_exec(tx, &q_ep_update, NULL, "ssbsnni", saas__tx_tenant(tx), e->id,
	                    e->enabled, e->disabled_reason, e->failing_since, e->last_success_at,
	                    e->updated_at);
}

int saas__st_wh_endpoint_delete(saas_tx *tx, const char *id)
{
	int rc = SAAS_OK;

	for (size_t i = 0; !rc && i < sizeof q_ep_delete / sizeof q_ep_delete[0]; i++)
		rc = saas__q_exec(tx, &q_ep_delete[i], NULL, "ss", saas__tx_tenant(tx), id);
	return rc;
}

/* Every row of an open statement as a JSON array; closes it. */
static int rows_json(json_t **out, saas_stmt *st)
{
	json_t *a = json_array();
	int rc;

	while (a && (rc = saas__q_step(st)) == 1) {
		json_t *row = saas__q_row_json(st);

		if (!row || json_array_append_new(a, row)) {
			rc = saas__enomem();
			break;
		}
	}
	if (!a)
		rc = saas__enomem();
	saas__q_close(st);
	if (rc < 0) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return SAAS_OK;
}

int saas__st_wh_endpoint_list(json_t **out, saas_tx *tx, int64_t now)
{
	saas_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, &q_ep_list, "si", saas__tx_tenant(tx), now)))
		return rc;
	return rows_json(out, st);
}

/* ---- secrets --------------------------------------------------------------------------- */

static saas_query q_sec_insert = SAAS_QUERY(
	"INSERT INTO webhook_secrets (tenant_id, endpoint_id, id, secret, created_at, expires_at)"
	" VALUES ($1, $2, $3, $4, $5, NULL)");
static saas_query q_sec_expire = SAAS_QUERY(
	"UPDATE webhook_secrets SET expires_at = $3"
	" WHERE tenant_id = $1 AND endpoint_id = $2 AND expires_at IS NULL");
static saas_query q_sec_prune = SAAS_QUERY(
	"DELETE FROM webhook_secrets WHERE tenant_id = $1 AND endpoint_id = $2"
	" AND expires_at IS NOT NULL AND expires_at <= $3");
static saas_query q_sec_list = SAAS_QUERY(
	"SELECT secret FROM webhook_secrets WHERE tenant_id = $1 AND endpoint_id = $2"
	" AND (expires_at IS NULL OR expires_at > $3) ORDER BY created_at DESC, id DESC LIMIT $4");

int saas__st_wh_secret_insert(saas_tx *tx, const char *endpoint_id, const char *id,
	const char *secret, int64_t now)
{
	return saas__q_exec(tx, &q_sec_insert, NULL, "ssssi", saas__tx_tenant(tx), endpoint_id, id,
	                    secret, now);
}

int saas__st_wh_secret_expire_current(saas_tx *tx, const char *endpoint_id, int64_t expires_at)
{
	return saas__q_exec(tx, &q_sec_expire, NULL, "ssi", saas__tx_tenant(tx), endpoint_id,
	                    expires_at);
}

int saas__st_wh_secret_prune(saas_tx *tx, const char *endpoint_id, int64_t now)
{
	return saas__q_exec(tx, &q_sec_prune, NULL, "ssi", saas__tx_tenant(tx), endpoint_id, now);
}

int saas__st_wh_secrets(char **out, size_t max, size_t *n, saas_tx *tx, const char *endpoint_id,
	int64_t now)
{
	saas_stmt *st;
	int rc;

	*n = 0;
	if ((rc = saas__q_open(&st, tx, &q_sec_list, "ssii", saas__tx_tenant(tx), endpoint_id, now,
	                       (int64_t)max)))
		return rc;
	while (*n < max && (rc = saas__q_step(st)) == 1) {
		if (!(out[*n] = saas__q_dup(st, 0))) {
			rc = saas__enomem();
			break;
		}
		(*n)++;
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

/* ---- feeds ----------------------------------------------------------------------------- */

static saas_query q_feed_put = SAAS_QUERY(
	"INSERT INTO webhook_feeds (feed_tenant, endpoint_id, enabled, cursor_seq)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT (feed_tenant, endpoint_id)"
	" DO UPDATE SET enabled = excluded.enabled, cursor_seq = excluded.cursor_seq");
static saas_query q_feed_list = SAAS_QUERY(
	"SELECT feed_tenant, endpoint_id, cursor_seq FROM webhook_feeds WHERE enabled = 1"
	" ORDER BY feed_tenant, endpoint_id");
static saas_query q_feed_advance = SAAS_QUERY(
	"UPDATE webhook_feeds SET cursor_seq = $3"
	" WHERE feed_tenant = $1 AND endpoint_id = $2 AND cursor_seq < $3");

int saas__st_wh_feed_put(saas_tx *tx, const char *tenant_id, const char *endpoint_id,
	bool enabled, int64_t cursor)
{
	return saas__q_exec(tx, &q_feed_put, NULL, "ssbi", tenant_id, endpoint_id, enabled, cursor);
}

int saas__st_wh_feeds(saas_tx *tx, int (*fn)(const char *tenant_id, const char *endpoint_id,
	int64_t cursor, void *payload), void *payload)
{
	saas_stmt *st;
	int rc;

	if ((rc = saas__q_open(&st, tx, &q_feed_list, "")))
		return rc;
	while ((rc = saas__q_step(st)) == 1)
		if ((rc = fn(saas__q_text(st, 0), saas__q_text(st, 1), saas__q_int(st, 2), payload)))
			break;
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_wh_feed_advance(saas_tx *tx, const char *endpoint_id, int64_t cursor)
{
	return saas__q_exec(tx, &q_feed_advance, NULL, "ssi", saas__tx_tenant(tx), endpoint_id,
	                    cursor);
}

/* ---- deliveries and the queue ---------------------------------------------------------- */

#define DL_COLS                                                                              \
	"id, endpoint_id, event_seq, event_type, body, status, attempts, next_attempt_at,"  \
	" last_status"

static saas_query q_dl_insert = SAAS_QUERY(
	"INSERT INTO webhook_deliveries (tenant_id, " DL_COLS ", created_at, updated_at)"
	" VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, NULL, $7, $7)"
	" ON CONFLICT (tenant_id, endpoint_id, event_seq) DO NOTHING");
static saas_query q_queue_insert = SAAS_QUERY(
	"INSERT INTO webhook_queue (queue_tenant, delivery_id, next_attempt_at, lease_owner,"
	" lease_until) VALUES ($1, $2, $3, NULL, NULL)");
static saas_query q_dl_get = SAAS_QUERY(
	"SELECT " DL_COLS " FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2");
static saas_query q_dl_update = SAAS_QUERY(
	"UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5,"
	" last_status = $6, updated_at = $7 WHERE tenant_id = $1 AND id = $2");
static saas_query q_dl_cancel[] = {
	SAAS_QUERY("DELETE FROM webhook_queue WHERE queue_tenant = $1 AND delivery_id IN"
	           " (SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2"
	           " AND status = 'pending')"),
	SAAS_QUERY("UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL,"
	           " updated_at = $3 WHERE tenant_id = $1 AND endpoint_id = $2 AND status = 'pending'"),
};
static saas_query q_dl_list = SAAS_QUERY(
	"SELECT id, endpoint_id, event_seq, event_type, status, attempts, next_attempt_at,"
	" last_status, created_at, updated_at FROM webhook_deliveries"
	" WHERE tenant_id = $1 AND (CAST($2 AS TEXT) IS NULL OR endpoint_id = $2)"
	" ORDER BY created_at DESC, id DESC LIMIT $3");
static saas_query q_att_list = SAAS_QUERY(
	"SELECT attempt, started_at, duration_ms, http_status, error, response"
	" FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY attempt");
static saas_query q_att_insert = SAAS_QUERY(
	"INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt, endpoint_id, started_at,"
	" duration_ms, http_status, error, response) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
static saas_query q_queue_due = SAAS_QUERY(
	"SELECT queue_tenant, delivery_id FROM webhook_queue WHERE next_attempt_at <= $1"
	" AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at LIMIT $2");
static saas_query q_queue_take = SAAS_QUERY(
	"UPDATE webhook_queue SET lease_owner = $3, lease_until = $4"
	" WHERE queue_tenant = $1 AND delivery_id = $2 AND next_attempt_at <= $5"
	" AND (lease_until IS NULL OR lease_until <= $5)");
static saas_query q_queue_retry = SAAS_QUERY(
	"UPDATE webhook_queue SET next_attempt_at = $4, lease_owner = NULL, lease_until = NULL"
	" WHERE queue_tenant = $1 AND delivery_id = $2 AND lease_owner = $3");
static saas_query q_queue_done = SAAS_QUERY(
	"DELETE FROM webhook_queue WHERE queue_tenant = $1 AND delivery_id = $2");

void saas__wh_delivery_free(struct saas__wh_delivery *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->endpoint_id);
	free(d->event_type);
	free(d->body);
	free(d->status);
	free(d);
}

int saas__st_wh_delivery_add(bool *out_added, saas_tx *tx, const struct saas__wh_delivery *d,
	int64_t now)
{
	int64_t changed = 0;
	int rc = saas__q_exec(tx, &q_dl_insert, &changed, "sssissi", saas__tx_tenant(tx), d->id,
	                      d->endpoint_id, d->event_seq, d->event_type, d->body, now);

	*out_added = rc == SAAS_OK && changed > 0;
	if (*out_added)
		rc = saas__q_exec(tx, &q_queue_insert, NULL, "ssi", saas__tx_tenant(tx), d->id, now);
	return rc;
}

int saas__st_wh_delivery_get(struct saas__wh_delivery **out, saas_tx *tx, const char *id)
{
	struct saas__wh_delivery *d;
	saas_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, &q_dl_get, "ss", saas__tx_tenant(tx), id)))
		return rc;
	rc = saas__q_step(st);
	if (rc == 0) {
		rc = SAAS_ENOTFOUND;
	} else if (rc == 1) {
		if (!(d = calloc(1, sizeof *d))) {
			rc = saas__enomem();
		} else {
			d->id = saas__q_dup(st, 0);
			d->endpoint_id = saas__q_dup(st, 1);
			d->event_seq = saas__q_int(st, 2);
			d->event_type = saas__q_dup(st, 3);
			d->body = saas__q_dup(st, 4);
			d->status = saas__q_dup(st, 5);
			d->attempts = saas__q_int(st, 6);
			d->next_attempt_at = saas__q_int(st, 7);
			d->last_status = saas__q_int(st, 8);
			if (!d->id || !d->endpoint_id || !d->event_type || !d->body || !d->status) {
				saas__wh_delivery_free(d);
				rc = saas__enomem();
			} else {
				*out = d;
				rc = SAAS_OK;
			}
		}
	}
	saas__q_close(st);
	return rc;
}

int saas__st_wh_delivery_update(saas_tx *tx, const struct saas__wh_delivery *d, int64_t now)
{
	return saas__q_exec(tx, &q_dl_update, NULL, "sssinni", saas__tx_tenant(tx), d->id, d->status,
	                    d->attempts, d->next_attempt_at, d->last_status, now);
}

int saas__st_wh_delivery_cancel_pending(int64_t *out_n, saas_tx *tx, const char *endpoint_id,
	int64_t now)
{
	int rc = saas__q_exec(tx, &q_dl_cancel[0], NULL, "ss", saas__tx_tenant(tx), endpoint_id);

	if (!rc)
		rc = saas__q_exec(tx, &q_dl_cancel[1], out_n, "ssi", saas__tx_tenant(tx), endpoint_id,
		                  now);
	return rc;
}

int saas__st_wh_delivery_list(json_t **out, saas_tx *tx, const char *endpoint_id, unsigned limit)
{
	json_t *list = NULL, *row;
	saas_stmt *st;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, &q_dl_list, "ssi", saas__tx_tenant(tx), endpoint_id,
	                       (int64_t)limit)) ||
	    (rc = rows_json(&list, st)))
		return rc;
	json_array_foreach(list, i, row) {
		json_t *log = NULL;

		if ((rc = saas__q_open(&st, tx, &q_att_list, "ss", saas__tx_tenant(tx),
		                       json_string_value(json_object_get(row, "id")))) ||
		    (rc = rows_json(&log, st)))
			break;
		if (json_object_set_new(row, "attempt_log", log)) {
			rc = saas__enomem();
			break;
		}
	}
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return SAAS_OK;
}

int saas__st_wh_attempt_insert(saas_tx *tx, const char *delivery_id, const char *endpoint_id,
	int64_t attempt, int64_t started_at, int64_t duration_ms, int64_t http_status,
	const char *error, const char *response)
{
	return saas__q_exec(tx, &q_att_insert, NULL, "ssisiiiss", saas__tx_tenant(tx), delivery_id,
	                    attempt, endpoint_id, started_at, duration_ms, http_status, error,
	                    response);
}

/* A due row read before it is taken. */
struct due {
	char *tenant, *delivery;
};

int saas__st_wh_queue_lease(saas_tx *tx, int64_t now, const char *owner, int64_t lease_until,
	unsigned max, int (*fn)(const char *tenant_id, const char *delivery_id, void *payload),
	void *payload)
{
	struct due *due;
	size_t n = 0;
	saas_stmt *st;
	int rc;

	if (max == 0)
		return SAAS_OK;
	if (!(due = calloc(max, sizeof *due)))
		return saas__enomem();
	if ((rc = saas__q_open(&st, tx, &q_queue_due, "ii", now, (int64_t)max))) {
		free(due);
		return rc;
	}
	while (n < max && (rc = saas__q_step(st)) == 1) {
		due[n].tenant = saas__q_dup(st, 0);
		due[n].delivery = saas__q_dup(st, 1);
		if (!due[n].tenant || !due[n].delivery) {
			free(due[n].tenant);
			free(due[n].delivery);
			rc = saas__enomem();
			break;
		}
		n++;
	}
	saas__q_close(st);
	rc = rc < 0 ? rc : SAAS_OK;
	/* take each one unless another worker took it meanwhile */
	for (size_t i = 0; i < n; i++) {
		int64_t taken = 0;

		if (!rc)
			rc = saas__q_exec(tx, &q_queue_take, &taken, "sssii", due[i].tenant,
			                  due[i].delivery, owner, lease_until, now);
		if (!rc && taken)
			rc = fn(due[i].tenant, due[i].delivery, payload);
		free(due[i].tenant);
		free(due[i].delivery);
	}
	free(due);
	return rc;
}

int saas__st_wh_queue_retry(bool *out_held, saas_tx *tx, const char *delivery_id,
	const char *owner, int64_t next_at)
{
	int64_t changed = 0;
	int rc = saas__q_exec(tx, &q_queue_retry, &changed, "sssi", saas__tx_tenant(tx), delivery_id,
	                      owner, next_at);

	*out_held = rc == SAAS_OK && changed > 0;
	return rc;
}

int saas__st_wh_queue_done(saas_tx *tx, const char *delivery_id)
{
	return saas__q_exec(tx, &q_queue_done, NULL, "ss", saas__tx_tenant(tx), delivery_id);
}
