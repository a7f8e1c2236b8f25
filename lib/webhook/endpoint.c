/*
 * Endpoints of outbound delivery (saas/webhook.h): add, remove, enable,
 * disable, rotate secrets, list; the delivery log. Each change is audited in
 * its transaction, and keeps the worker's global index (webhook_feeds) in
 * step: an endpoint's feed starts after the event that created or enabled
 * it, so it receives what is recorded from then on.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "saas/id.h"
#include "saas/tenant.h"
#include "lib/audit/audit.h"
#include "lib/core/core.h"
#include "lib/store/store_webhook.h"
#include "lib/webhook/webhook.h"

#define MAX_URL 2048
#define MAX_TYPE 128
#define MAX_DESCRIPTION 512
#define DEFAULT_OVERLAP_S 86400
#define MAX_OVERLAP_S (7 * 86400)
/* Secrets signing at once: the current one and at most 9 in overlap. */
#define MAX_SIGNING 10

/* A transaction on the scope's tenant: writes lock the tenant row and need
 * it active; reads refuse a tenant pending deletion. */
static int wh_tx(saas_tx **out, saas_ctx *ctx, const saas_scope *scope, bool write)
{
	struct saas_tenant *t = NULL;
	saas_tx *tx;
	int rc;

	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)) || (rc = saas__tx_begin(&tx, ctx, scope->tenant_id, write)))
		return rc;
	rc = write ? saas__st_tenant_get_for_update(&t, tx, scope->tenant_id)
	           : saas__st_tenant_get(&t, tx, scope->tenant_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'", scope->tenant_id);
	else if (!rc && t->status == SAAS_TENANT_PENDING_DELETION)
		rc = saas__err(SAAS_EDELETED, "tenant_id",
		               "tenant '%s' is scheduled for deletion: webhooks are closed", t->id);
	else if (!rc && write && t->status == SAAS_TENANT_SUSPENDED)
		rc = saas__err(SAAS_ESUSPENDED, "tenant_id",
		               "tenant '%s' is suspended: writes are refused", t->id);
	saas__tenant_row_free(t);
	if (rc) {
		saas__tx_rollback(tx);
		return rc;
	}
	*out = tx;
	return SAAS_OK;
}

/* An endpoint of the transaction's tenant; SAAS_ENOTFOUND names it. */
static int get_endpoint(struct saas__wh_endpoint **out, saas_tx *tx, const char *id)
{
	int rc = saas__st_wh_endpoint_get(out, tx, id);

	if (rc == SAAS_ENOTFOUND)
		return saas__err(SAAS_ENOTFOUND, "endpoint_id", "no webhook endpoint '%s' in tenant %s",
		                 saas__q(id), saas__tx_tenant(tx));
	return rc;
}

static int check_url(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
	int rc = SAAS_OK;

	if (!url)
		return saas__err(SAAS_EINVAL, "url", "url is NULL");
	if (strlen(url) > MAX_URL)
		return saas__err(SAAS_EINVAL, "url", "url is longer than %d bytes", MAX_URL);
	if (!(u = curl_url()))
		return saas__enomem();
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0])
		rc = saas__err(SAAS_EINVAL, "url", "url '%s' is not an absolute URL with a host",
		               saas__q(url));
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		rc = saas__err(SAAS_EINVAL, "url", "url '%s' is not http:// or https://", saas__q(scheme));
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	         curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
		/* they would be listed and audited with the URL */
		rc = saas__err(SAAS_EINVAL, "url",
		               "url has credentials (user:password@): put a secret in the path, or "
		               "verify the signature instead");
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);
	return rc;
}

/* One event-type pattern: segments of [a-z0-9_] joined by '.', optionally
 * ending in ".*"; or "*". */
static bool type_ok(const char *t)
{
	size_t n = strlen(t);
	bool seg = false;

	if (n == 0 || n > MAX_TYPE)
		return false;
	if (strcmp(t, "*") == 0)
		return true;
	if (n >= 2 && strcmp(t + n - 2, ".*") == 0)
		n -= 2;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		if (c == '.') {
			if (!seg)
				return false;
			seg = false;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
			seg = true;
		} else {
			return false;
		}
	}
	return seg;
}

/* The patterns as a sorted JSON array without duplicates. */
static int types_json(json_t **out, const char *const *types, size_t n)
{
	const char *sorted[SAAS_WEBHOOK_MAX_EVENT_TYPES];
	json_t *a;

	*out = NULL;
	if (!types || n == 0)
		return saas__err(SAAS_EINVAL, "event_types",
		                 "no event types: give at least one (\"*\" for every event)");
	if (n > SAAS_WEBHOOK_MAX_EVENT_TYPES)
		return saas__err(SAAS_EINVAL, "event_types", "%zu event types: at most %d", n,
		                 SAAS_WEBHOOK_MAX_EVENT_TYPES);
	for (size_t i = 0; i < n; i++) {
		char field[32];

		if (!types[i] || !type_ok(types[i])) {
			snprintf(field, sizeof field, "event_types[%zu]", i);
			return saas__err(SAAS_EINVAL, field,
			                 "event type '%s' is not an action (member.added), a prefix and "
			                 "* (subscription.*) or *",
			                 saas__q(types[i] ? types[i] : "(null)"));
		}
		sorted[i] = types[i];
	}
	qsort(sorted, n, sizeof sorted[0], saas__cmp_str);
	if (!(a = json_array()))
		return saas__enomem();
	for (size_t i = 0; i < n; i++)
		if ((i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0) &&
		    json_array_append_new(a, json_string(sorted[i]))) {
			json_decref(a);
			return saas__enomem();
		}
	*out = a;
	return SAAS_OK;
}

static int new_secret(saas_tx *tx, const char *endpoint_id, char **out_secret, int64_t now)
{
	char *secret = NULL, *sid = NULL;
	int rc;

	if ((rc = saas_webhook_secret_new(&secret)) == SAAS_OK &&
	    (rc = saas_id_new(&sid, saas__tx_ctx(tx), "whs")) == SAAS_OK)
		rc = saas__st_wh_secret_insert(tx, endpoint_id, sid, secret, now);
	free(sid);
	if (rc == SAAS_OK && out_secret)
		*out_secret = secret;
	else
		saas_free_secret(secret);
	return rc;
}

int saas_webhook_endpoint_add(char **out_id, char **out_secret, saas_ctx *ctx,
	const saas_scope *scope, const char *url, const char *const *event_types, size_t ntypes,
	const char *description)
{
	struct saas__wh_endpoint e = {0};
	json_t *types = NULL;
	char *secret = NULL;
	int64_t seq = 0, now;
	saas_tx *tx;
	int rc;

	if (out_id)
		*out_id = NULL;
	if (out_secret)
		*out_secret = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = check_url(url)) || (rc = types_json(&types, event_types, ntypes)))
		return rc;
	if (description && (rc = saas__check_text("description", description, MAX_DESCRIPTION, true))) {
		json_decref(types);
		return rc;
	}
	if ((rc = wh_tx(&tx, ctx, scope, true))) {
		json_decref(types);
		return rc;
	}
	now = saas__now(ctx);
	e.url = (char *)url;
	e.description = (char *)description;
	e.enabled = true;
	e.created_at = e.updated_at = now;
	if (!(e.event_types = json_dumps(types, JSON_COMPACT)))
		rc = saas__enomem();
	if (!rc)
		rc = saas_id_new(&e.id, ctx, "whe");
	if (!rc)
		rc = saas__st_wh_endpoint_insert(tx, &e);
	if (!rc)
		rc = new_secret(tx, e.id, &secret, now);
	if (!rc)
		rc = saas__audit_append_seq(&seq, tx, scope, "webhook.endpoint_created", "webhook_endpoint",
		                            e.id, json_pack("{s:s,s:O,s:o}", "url", url, "event_types",
		                                            types, "description",
		                                            saas__json_str_or_null(description)));
	if (!rc)
		rc = saas__st_wh_feed_put(tx, scope->tenant_id, e.id, true, seq);
	rc = saas__tx_finish(tx, rc);
	json_decref(types);
	free(e.event_types);
	if (rc) {
		free(e.id);
		saas_free_secret(secret);
		return rc;
	}
	if (out_id)
		*out_id = e.id;
	else
		free(e.id);
	if (out_secret)
		*out_secret = secret;
	else
		saas_free_secret(secret);
	return SAAS_OK;
}

static int check_endpoint_id(const char *id)
{
	return saas__id_check(id, "whe", "endpoint_id");
}

int saas_webhook_endpoint_remove(saas_ctx *ctx, const saas_scope *scope, const char *endpoint_id)
{
	struct saas__wh_endpoint *e = NULL;
	saas_tx *tx;
	int rc;

	if ((rc = check_endpoint_id(endpoint_id)) || (rc = wh_tx(&tx, ctx, scope, true)))
		return rc;
	rc = get_endpoint(&e, tx, endpoint_id);
	if (!rc)
		rc = saas__st_wh_endpoint_delete(tx, endpoint_id);
	if (!rc)
		rc = saas__audit_append(tx, scope, "webhook.endpoint_removed", "webhook_endpoint",
		                        endpoint_id, json_pack("{s:s}", "url", e->url));
	saas__wh_endpoint_free(e);
	return saas__tx_finish(tx, rc);
}

int saas__wh_endpoint_disable_tx(saas_tx *tx, const saas_scope *scope,
	struct saas__wh_endpoint *e, const char *reason, int64_t now, int64_t *out_cancelled)
{
	int rc;

	e->enabled = false;
	free(e->disabled_reason);
	if (!(e->disabled_reason = saas__strdup(reason)))
		return saas__enomem();
	e->updated_at = now;
	if ((rc = saas__st_wh_endpoint_update(tx, e)) ||
	    (rc = saas__st_wh_feed_put(tx, saas__tx_tenant(tx), e->id, false, 0)) ||
	    (rc = saas__st_wh_delivery_cancel_pending(out_cancelled, tx, e->id, now)))
		return rc;
	return saas__audit_append(tx, scope, "webhook.endpoint_disabled", "webhook_endpoint", e->id,
	                          json_pack("{s:s}", "reason", reason));
}

int saas_webhook_endpoint_set_enabled(saas_ctx *ctx, const saas_scope *scope,
	const char *endpoint_id, int enabled)
{
	struct saas__wh_endpoint *e = NULL;
	int64_t seq = 0, now;
	saas_tx *tx;
	int rc;

	if ((rc = check_endpoint_id(endpoint_id)) || (rc = wh_tx(&tx, ctx, scope, true)))
		return rc;
	now = saas__now(ctx);
	rc = get_endpoint(&e, tx, endpoint_id);
	if (!rc && e->enabled == (enabled != 0)) {
		saas__wh_endpoint_free(e);
		saas__tx_rollback(tx);
		return SAAS_OK;
	}
	if (!rc && !enabled) {
		rc = saas__wh_endpoint_disable_tx(tx, scope, e, "manual", now, NULL);
	} else if (!rc) {
		e->enabled = true;
		free(e->disabled_reason);
		e->disabled_reason = NULL;
		e->failing_since = 0;
		e->updated_at = now;
		if (!(rc = saas__st_wh_endpoint_update(tx, e)) &&
		    !(rc = saas__audit_append_seq(&seq, tx, scope, "webhook.endpoint_enabled",
		                                  "webhook_endpoint", e->id, NULL)))
			rc = saas__st_wh_feed_put(tx, scope->tenant_id, e->id, true, seq);
	}
	saas__wh_endpoint_free(e);
	return saas__tx_finish(tx, rc);
}

int saas_webhook_endpoint_rotate_secret(char **out_secret, saas_ctx *ctx,
	const saas_scope *scope, const char *endpoint_id, int64_t overlap_seconds)
{
	struct saas__wh_endpoint *e = NULL;
	char *signing[MAX_SIGNING];
	size_t n = 0;
	int64_t now;
	saas_tx *tx;
	int rc;

	if (out_secret)
		*out_secret = NULL;
	if (overlap_seconds < -1 || overlap_seconds > MAX_OVERLAP_S)
		return saas__err(SAAS_EINVAL, "overlap_seconds",
		                 "overlap_seconds %" PRId64 " is out of range: -1 (a day) or 0 to %d",
		                 overlap_seconds, MAX_OVERLAP_S);
	if (overlap_seconds < 0)
		overlap_seconds = DEFAULT_OVERLAP_S;
	if ((rc = check_endpoint_id(endpoint_id)) || (rc = wh_tx(&tx, ctx, scope, true)))
		return rc;
	now = saas__now(ctx);
	if (!(rc = get_endpoint(&e, tx, endpoint_id)) &&
	    !(rc = saas__st_wh_secret_prune(tx, endpoint_id, now)) &&
	    !(rc = saas__st_wh_secrets(signing, MAX_SIGNING, &n, tx, endpoint_id, now)) &&
	    n >= MAX_SIGNING)
		rc = saas__err(SAAS_ELIMIT, "endpoint_id",
		               "endpoint %s has %d secrets signing already: wait for the oldest to expire",
		               endpoint_id, MAX_SIGNING);
	for (size_t i = 0; i < n; i++)
		saas_free_secret(signing[i]);
	/* the current ones sign on for the overlap (0: they stop now) */
	if (!rc)
		rc = saas__st_wh_secret_expire_current(tx, endpoint_id, now + overlap_seconds * 1000);
	if (!rc)
		rc = new_secret(tx, endpoint_id, out_secret, now);
	if (!rc)
		rc = saas__audit_append(tx, scope, "webhook.secret_rotated", "webhook_endpoint",
		                        endpoint_id, json_pack("{s:I}", "overlap_seconds",
		                                               (json_int_t)overlap_seconds));
	saas__wh_endpoint_free(e);
	rc = saas__tx_finish(tx, rc);
	if (rc && out_secret) {
		saas_free_secret(*out_secret);
		*out_secret = NULL;
	}
	return rc;
}

int saas_webhook_endpoint_secret(char **out, saas_ctx *ctx, const saas_scope *scope,
	const char *endpoint_id)
{
	struct saas__wh_endpoint *e = NULL;
	char *newest = NULL;
	size_t n = 0;
	saas_tx *tx;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if ((rc = check_endpoint_id(endpoint_id)) || (rc = wh_tx(&tx, ctx, scope, false)))
		return rc;
	if (!(rc = get_endpoint(&e, tx, endpoint_id)))
		rc = saas__st_wh_secrets(&newest, 1, &n, tx, endpoint_id, saas__now(ctx));
	saas__wh_endpoint_free(e);
	rc = saas__tx_finish(tx, rc);
	if (!rc && n == 0)
		rc = saas__err(SAAS_EINTERNAL, "endpoint_id", "endpoint %s has no current secret",
		               endpoint_id);
	if (rc) {
		saas_free_secret(newest);
		return rc;
	}
	*out = newest;
	return SAAS_OK;
}

/* Columns of a listed row: ms times to RFC 3339 (null for none). */
static int times_to_text(json_t *row, const char *const *cols)
{
	for (size_t i = 0; cols[i]; i++) {
		json_t *v = json_object_get(row, cols[i]);

		if (v && json_is_integer(v) &&
		    json_object_set_new(row, cols[i], saas__json_time(json_integer_value(v))))
			return saas__enomem();
	}
	return SAAS_OK;
}

static int bool_of(json_t *row, const char *col)
{
	json_t *v = json_object_get(row, col);

	return v && json_object_set_new(row, col, json_boolean(json_integer_value(v) != 0)) ? saas__enomem()
	                                                                                   : SAAS_OK;
}

int saas_webhook_endpoint_list(char **out, saas_ctx *ctx, const saas_scope *scope)
{
	static const char *const times[] = {"failing_since", "last_success_at", "created_at",
	                                    "updated_at", NULL};
	json_t *list = NULL, *row;
	saas_tx *tx;
	size_t i;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if ((rc = wh_tx(&tx, ctx, scope, false)))
		return rc;
	rc = saas__tx_finish(tx, saas__st_wh_endpoint_list(&list, tx, saas__now(ctx)));
	if (rc)
		return rc;
	json_array_foreach(list, i, row) {
		json_t *types = json_loads(json_string_value(json_object_get(row, "event_types")), 0, NULL);

		if (!types || json_object_set_new(row, "event_types", types) ||
		    (rc = times_to_text(row, times)) || (rc = bool_of(row, "enabled"))) {
			json_decref(list);
			return rc ? rc : saas__enomem();
		}
	}
	*out = saas__json_take_dump(list);
	return *out ? SAAS_OK : saas__enomem();
}

int saas_webhook_deliveries(char **out, saas_ctx *ctx, const saas_scope *scope,
	const char *endpoint_id, unsigned limit)
{
	static const char *const times[] = {"next_attempt_at", "created_at", "updated_at", NULL};
	static const char *const attempt_times[] = {"started_at", NULL};
	json_t *list = NULL, *row, *a;
	saas_tx *tx;
	size_t i, j;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (limit > 1000)
		return saas__err(SAAS_EINVAL, "limit", "limit %u is out of range: 1 to 1000 (0: 100)", limit);
	if (endpoint_id && (rc = check_endpoint_id(endpoint_id)))
		return rc;
	if ((rc = wh_tx(&tx, ctx, scope, false)))
		return rc;
	rc = saas__tx_finish(tx, saas__st_wh_delivery_list(&list, tx, endpoint_id, limit ? limit : 100));
	if (rc)
		return rc;
	json_array_foreach(list, i, row) {
		if ((rc = times_to_text(row, times)))
			break;
		json_array_foreach(json_object_get(row, "attempt_log"), j, a)
			if ((rc = times_to_text(a, attempt_times)))
				break;
		if (rc)
			break;
	}
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = saas__json_take_dump(list);
	return *out ? SAAS_OK : saas__enomem();
}
