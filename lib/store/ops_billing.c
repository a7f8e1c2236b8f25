/* Typed operations of billing (store_billing.h). */
#include <stdlib.h>
#include <string.h>

#include "saas/billing.h"
#include "store_billing.h"

void saas__sub_row_free(struct saas_subscription *s)
{
	if (!s)
		return;
	free(s->tenant_id);
	free(s->id);
	free(s->plan_id);
	free(s->pending_plan_id);
	free(s->provider);
	free(s->provider_id);
	free(s->provider_status);
	free(s);
}

/* ---- catalogue ------------------------------------------------------------------------ */

static saas_query q_cat_latest = SAAS_QUERY(
	"SELECT version, document FROM billing_catalogs ORDER BY version DESC LIMIT 1");
static saas_query q_cat_get = SAAS_QUERY(
	"SELECT document FROM billing_catalogs WHERE version = $1");
static saas_query q_cat_find = SAAS_QUERY("SELECT version FROM billing_catalogs WHERE hash = $1");
static saas_query q_cat_insert = SAAS_QUERY(
	"INSERT INTO billing_catalogs (version, hash, document, created_at) VALUES ($1, $2, $3, $4)");

int saas__st_catalog_latest(int64_t *out_version, char **out_doc, saas_tx *tx)
{
	saas_stmt *st;
	int rc;

	*out_version = 0;
	if (out_doc)
		*out_doc = NULL;
	if ((rc = saas__q_open(&st, tx, &q_cat_latest, "")))
		return rc;
	if ((rc = saas__q_step(st)) == 1) {
		*out_version = saas__q_int(st, 0);
		rc = SAAS_OK;
		if (out_doc && !(*out_doc = saas__q_dup(st, 1)))
			rc = saas__enomem();
	}
	saas__q_close(st);
	return rc;
}

int saas__st_catalog_get(char **out_doc, saas_tx *tx, int64_t version)
{
	saas_stmt *st;
	int rc;

	*out_doc = NULL;
	if ((rc = saas__q_open(&st, tx, &q_cat_get, "i", version)))
		return rc;
	rc = saas__q_step(st);
	if (rc == 1)
		rc = (*out_doc = saas__q_dup(st, 0)) ? SAAS_OK : saas__enomem();
	else if (rc == 0)
		rc = SAAS_ENOTFOUND;
	saas__q_close(st);
	return rc;
}

int saas__st_catalog_find(int64_t *out_version, saas_tx *tx, const char *hash)
{
	int rc = saas__q_int_row(out_version, tx, &q_cat_find, "s", hash);

	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_catalog_insert(saas_tx *tx, int64_t version, const char *hash, const char *doc,
                            int64_t now)
{
	return saas__q_exec(tx, &q_cat_insert, NULL, "issi", version, hash, doc, now);
}

/* ---- customers ------------------------------------------------------------------------ */

static saas_query q_cus_get = SAAS_QUERY(
	"SELECT customer_tenant FROM billing_customers WHERE provider = $1 AND customer_id = $2");
static saas_query q_cus_put = SAAS_QUERY(
	"INSERT INTO billing_customers (provider, customer_id, customer_tenant, created_at)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT (provider, customer_id) DO NOTHING");

int saas__st_customer_tenant(char **out_tenant, saas_tx *tx, const char *provider,
                             const char *customer)
{
	saas_stmt *st;
	int rc;

	*out_tenant = NULL;
	if ((rc = saas__q_open(&st, tx, &q_cus_get, "ss", provider, customer)))
		return rc;
	rc = saas__q_step(st);
	if (rc == 1)
		rc = (*out_tenant = saas__q_dup(st, 0)) ? SAAS_OK : saas__enomem();
	else if (rc == 0)
		rc = SAAS_ENOTFOUND;
	saas__q_close(st);
	return rc;
}

int saas__st_customer_put(saas_tx *tx, const char *provider, const char *customer,
                          const char *tenant, int64_t now)
{
	int64_t changed = 0;
	char *have = NULL;
	int rc;

	/* linked already, as a rule: one read; else insert (a racing insert
	 * of the same customer leaves no row changed: read again) */
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = saas__st_customer_tenant(&have, tx, provider, customer);
		if (rc != SAAS_ENOTFOUND)
			break;
		if (attempt == 0 &&
		    ((rc = saas__q_exec(tx, &q_cus_put, &changed, "sssi", provider, customer, tenant,
		                        now)) ||
		     changed))
			return rc;
	}
	if (rc == SAAS_ENOTFOUND)
		return saas__err(SAAS_ECONFLICT, "customer", "customer %s changed concurrently",
		                 saas__q(customer));
	if (!rc && strcmp(have, tenant) != 0)
		rc = saas__err(SAAS_ECONFLICT, "customer",
		               "%s customer %s belongs to another tenant, not %s", provider,
		               saas__q(customer), saas__q(tenant));
	free(have);
	return rc;
}

/* ---- subscriptions -------------------------------------------------------------------- */

#define SUB_COLS                                                                             \
	"tenant_id, id, state, flags, plan_id, catalog_version, pending_plan_id, anchor_at, "  \
	"period_start, period_end, trial_end, past_due_since, canceled_at, ended_at, provider, " \
	"provider_id, provider_status, provider_ts, created_at, updated_at"

static saas_query q_sub_get = SAAS_QUERY(
	"SELECT " SUB_COLS " FROM billing_subscriptions WHERE tenant_id = $1");
static saas_query q_sub_put = SAAS_QUERY(
	"INSERT INTO billing_subscriptions (" SUB_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7,"
	" $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
	" ON CONFLICT (tenant_id) DO UPDATE SET id = excluded.id, state = excluded.state,"
	" flags = excluded.flags, plan_id = excluded.plan_id,"
	" catalog_version = excluded.catalog_version, pending_plan_id = excluded.pending_plan_id,"
	" anchor_at = excluded.anchor_at, period_start = excluded.period_start,"
	" period_end = excluded.period_end, trial_end = excluded.trial_end,"
	" past_due_since = excluded.past_due_since, canceled_at = excluded.canceled_at,"
	" ended_at = excluded.ended_at, provider = excluded.provider,"
	" provider_id = excluded.provider_id, provider_status = excluded.provider_status,"
	" provider_ts = excluded.provider_ts, created_at = excluded.created_at,"
	" updated_at = excluded.updated_at");

int saas__st_sub_get(struct saas_subscription **out, saas_tx *tx)
{
	struct saas_subscription *s = NULL;
	saas_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, &q_sub_get, "s", saas__tx_tenant(tx))))
		return rc;
	rc = saas__q_step(st);
	if (rc == 0)
		rc = SAAS_ENOTFOUND;
	if (rc == 1 && !(s = calloc(1, sizeof *s)))
		rc = saas__enomem();
	if (rc == 1) {
		int state = saas_sub_state_from_name(saas__q_text(st, 2));

		s->tenant_id = saas__q_dup(st, 0);
		s->id = saas__q_dup(st, 1);
		s->state = state < 0 ? SAAS_SUB_NONE : state;
		s->flags = (unsigned)saas__q_int(st, 3);
		s->plan_id = saas__q_dup(st, 4);
		s->catalog_version = saas__q_int(st, 5);
		s->pending_plan_id = saas__q_dup(st, 6);
		s->anchor_at = saas__q_int(st, 7);
		s->period_start = saas__q_int(st, 8);
		s->period_end = saas__q_int(st, 9);
		s->trial_end = saas__q_int(st, 10);
		s->past_due_since = saas__q_int(st, 11);
		s->canceled_at = saas__q_int(st, 12);
		s->ended_at = saas__q_int(st, 13);
		s->provider = saas__q_dup(st, 14);
		s->provider_id = saas__q_dup(st, 15);
		s->provider_status = saas__q_dup(st, 16);
		s->provider_ts = saas__q_int(st, 17);
		s->created_at = saas__q_int(st, 18);
		s->updated_at = saas__q_int(st, 19);
		if (state < 0)
			rc = saas__err(SAAS_ESTORE, "state", "stored subscription state %s is unknown",
			               saas__q(saas__q_text(st, 2)));
		else if (!s->tenant_id || !s->id || !s->plan_id ||
		         (!s->pending_plan_id && !saas__q_is_null(st, 6)) ||
		         (!s->provider && !saas__q_is_null(st, 14)) ||
		         (!s->provider_id && !saas__q_is_null(st, 15)) ||
		         (!s->provider_status && !saas__q_is_null(st, 16)))
			rc = saas__enomem();
		else
			rc = SAAS_OK;
	}
	saas__q_close(st);
	if (rc)
		saas__sub_row_free(s);
	else
		*out = s;
	return rc;
}

int saas__st_sub_put(saas_tx *tx, const struct saas_subscription *s)
{
	return saas__q_exec(tx, &q_sub_put, NULL, "sssisisiiinnnnsssnii", saas__tx_tenant(tx),
	                    s->id, saas_sub_state_name(s->state), (int64_t)s->flags, s->plan_id,
	                    s->catalog_version, s->pending_plan_id, s->anchor_at, s->period_start,
	                    s->period_end, s->trial_end, s->past_due_since, s->canceled_at,
	                    s->ended_at, s->provider, s->provider_id, s->provider_status,
	                    s->provider_ts, s->created_at, s->updated_at);
}

/* ---- overrides ------------------------------------------------------------------------ */

static saas_query q_ovr_list = SAAS_QUERY(
	"SELECT feature, value, expires_at, reason, created_at FROM billing_overrides"
	" WHERE tenant_id = $1 ORDER BY feature");
static saas_query q_ovr_put = SAAS_QUERY(
	"INSERT INTO billing_overrides (tenant_id, feature, value, expires_at, reason, created_at)"
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, feature) DO UPDATE SET"
	" value = excluded.value, expires_at = excluded.expires_at, reason = excluded.reason,"
	" created_at = excluded.created_at");
static saas_query q_ovr_delete = SAAS_QUERY(
	"DELETE FROM billing_overrides WHERE tenant_id = $1 AND feature = $2");

int saas__st_override_list(json_t **out, saas_tx *tx)
{
	json_t *obj = json_object();
	saas_stmt *st = NULL;
	int rc;

	*out = NULL;
	if (!obj)
		return saas__enomem();
	rc = saas__q_open(&st, tx, &q_ovr_list, "s", saas__tx_tenant(tx));
	while (!rc && (rc = saas__q_step(st)) == 1) {
		json_t *value = json_loads(saas__q_text(st, 1), JSON_DECODE_ANY, NULL);
		json_t *row = value ? json_pack("{s:o,s:o,s:o,s:I}", "value", value, "expires_at",
		                                saas__q_is_null(st, 2) ? json_null()
		                                                       : json_integer(saas__q_int(st, 2)),
		                                "reason", saas__json_str_or_null(saas__q_text(st, 3)),
		                                "created_at", (json_int_t)saas__q_int(st, 4))
		                    : NULL;
		if (!value)
			rc = saas__err(SAAS_ESTORE, "value", "a stored override of %s is not JSON",
			               saas__q(saas__q_text(st, 0)));
		else if (!row || json_object_set_new(obj, saas__q_text(st, 0), row))
			rc = saas__enomem();
		else
			rc = SAAS_OK;
	}
	if (st)
		saas__q_close(st);
	if (rc) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return SAAS_OK;
}

int saas__st_override_put(saas_tx *tx, const char *feature, const char *value_json,
                          int64_t expires_at, const char *reason, int64_t now)
{
	return saas__q_exec(tx, &q_ovr_put, NULL, "sssnsi", saas__tx_tenant(tx), feature,
	                    value_json, expires_at, reason, now);
}

int saas__st_override_delete(bool *removed, saas_tx *tx, const char *feature)
{
	int64_t changed = 0;
	int rc = saas__q_exec(tx, &q_ovr_delete, &changed, "ss", saas__tx_tenant(tx), feature);

	*removed = changed > 0;
	return rc;
}

/* ---- provider events ------------------------------------------------------------------ */

static saas_query q_pev_insert = SAAS_QUERY(
	"INSERT INTO billing_provider_events (tenant_id, provider, event_id, event_type, outcome,"
	" created, applied_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
	" ON CONFLICT (tenant_id, provider, event_id) DO NOTHING");

int saas__st_provider_event_insert(saas_tx *tx, const char *provider, const char *event_id,
                                   const char *type, const char *outcome, int64_t created,
                                   int64_t now)
{
	int64_t changed = 0;
	int rc = saas__q_exec(tx, &q_pev_insert, &changed, "sssssii", saas__tx_tenant(tx),
	                      provider, event_id, type, outcome, created, now);

	return rc ? rc : changed ? SAAS_OK : SAAS_EEXISTS;
}

/* ---- usage ---------------------------------------------------------------------------- */

static saas_query q_use_get = SAAS_QUERY(
	"SELECT feature, quantity, period_start FROM billing_usage_records"
	" WHERE tenant_id = $1 AND idempotency_key = $2");
static saas_query q_use_insert = SAAS_QUERY(
	"INSERT INTO billing_usage_records (tenant_id, idempotency_key, feature, quantity,"
	" period_start, occurred_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)");
static saas_query q_use_total = SAAS_QUERY(
	"SELECT used FROM billing_usage_totals WHERE tenant_id = $1 AND feature = $2"
	" AND period_start = $3");
static saas_query q_use_add = SAAS_QUERY(
	"INSERT INTO billing_usage_totals (tenant_id, feature, period_start, period_end, used)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, feature, period_start)"
	" DO UPDATE SET used = billing_usage_totals.used + excluded.used");
static saas_query q_member_count = SAAS_QUERY(
	"SELECT COUNT(*) FROM memberships WHERE tenant_id = $1");

int saas__st_usage_record_get(char **out_feature, int64_t *out_quantity, int64_t *out_period,
                              saas_tx *tx, const char *key)
{
	saas_stmt *st;
	int rc;

	*out_feature = NULL;
	if ((rc = saas__q_open(&st, tx, &q_use_get, "ss", saas__tx_tenant(tx), key)))
		return rc;
	rc = saas__q_step(st);
	if (rc == 1) {
		*out_quantity = saas__q_int(st, 1);
		*out_period = saas__q_int(st, 2);
		if (!(*out_feature = saas__q_dup(st, 0)))
			rc = saas__enomem();
	}
	saas__q_close(st);
	return rc;
}

int saas__st_usage_record_insert(saas_tx *tx, const char *key, const char *feature,
                                 int64_t quantity, int64_t period_start, int64_t occurred_at,
                                 int64_t now)
{
	return saas__q_exec(tx, &q_use_insert, NULL, "sssiiii", saas__tx_tenant(tx), key, feature,
	                    quantity, period_start, occurred_at, now);
}

int saas__st_usage_total(int64_t *out_used, saas_tx *tx, const char *feature,
                         int64_t period_start)
{
	int rc = saas__q_int_row(out_used, tx, &q_use_total, "ssi", saas__tx_tenant(tx), feature,
	                         period_start);

	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_usage_add(saas_tx *tx, const char *feature, int64_t period_start,
                       int64_t period_end, int64_t quantity)
{
	return saas__q_exec(tx, &q_use_add, NULL, "ssiii", saas__tx_tenant(tx), feature,
	                    period_start, period_end, quantity);
}

int saas__st_member_count(int64_t *out, saas_tx *tx)
{
	int rc = saas__q_int_row(out, tx, &q_member_count, "s", saas__tx_tenant(tx));

	return rc < 0 ? rc : SAAS_OK;
}
