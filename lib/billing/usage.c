/* Usage metering: quantities of metered features recorded once per
 * idempotency key into the period they happened in, hard limits refused
 * before anything is written (saas_usage_record). */
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "../audit/audit.h"

static int check_key(const char *key)
{
	size_t n;

	if (!key)
		return saas__err(SAAS_EINVAL, "idempotency_key", "idempotency_key is NULL");
	n = strlen(key);
	if (n == 0 || n > 200)
		return saas__err(SAAS_EINVAL, "idempotency_key",
		                 "idempotency_key must be 1 to 200 characters, not %zu", n);
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return saas__err(SAAS_EINVAL, "idempotency_key",
			                 "idempotency_key %s has a character that is not printable ASCII",
			                 saas__q(key));
	return SAAS_OK;
}

int saas_usage_record(saas_entitlement **out, saas_ctx *ctx, const saas_scope *scope,
                      const char *feature, int64_t quantity, const char *idempotency_key,
                      int64_t occurred_at)
{
	struct saas__ent_view *v = NULL;
	struct saas_entitlement *e = NULL;
	const struct saas__feature_def *def = NULL;
	int64_t now, used = 0, had_qty = 0, had_period = 0, t0 = saas__mono_ns();
	char *had_feature = NULL;
	saas_tx *tx = NULL;
	ptrdiff_t f = -1;
	int found, rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!feature)
		return saas__err(SAAS_EINVAL, "feature", "feature is NULL");
	if (quantity < 1)
		return saas__err(SAAS_EINVAL, "quantity", "quantity must be 1 or more, not %lld",
		                 (long long)quantity);
	if ((rc = check_key(idempotency_key)))
		return rc;
	now = saas__now(ctx);
	if (occurred_at < 0 || occurred_at > now)
		return saas__err(SAAS_EINVAL, "occurred_at",
		                 "occurred_at %lld is %s", (long long)occurred_at,
		                 occurred_at < 0 ? "negative" : "in the future");
	if (!occurred_at)
		occurred_at = now;
	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE)))
		goto done;
	/* the view as of this transaction (the tenant row is locked): no
	 * cached plan lets two writers pass one limit */
	rc = saas__view_build(&v, tx);
	if (!rc && (f = saas__catalog_feature(v->cat, feature)) < 0)
		rc = saas__err(SAAS_ENOTFOUND, "feature", "no feature '%s' in plan catalogue version %lld",
		               saas__q(feature), (long long)v->cat->version);
	if (!rc && (def = &v->cat->features[f])->kind != SAAS__FEAT_METERED)
		rc = saas__err(SAAS_EINVAL, "feature", "feature '%s' is not metered", feature);
	if (!rc && !(e = calloc(1, sizeof *e)))
		rc = saas__enomem();
	if (!rc)
		rc = saas__metered_period(&e->period_start, &e->period_end, v, def, occurred_at);
	if (rc)
		goto fail;
	found = saas__st_usage_record_get(&had_feature, &had_qty, &had_period, tx, idempotency_key);
	if (found < 0) {
		rc = found;
		goto fail;
	}
	if (found && (strcmp(had_feature, feature) != 0 || had_qty != quantity))
		rc = saas__err(SAAS_ECONFLICT, "idempotency_key",
		               "idempotency_key %s was recorded for %lld of '%s', not %lld of '%s'",
		               saas__q(idempotency_key), (long long)had_qty, saas__q(had_feature),
		               (long long)quantity, feature);
	if (!rc && found) {
		/* answered as the first time: the period it went to, as it is now */
		rc = saas__metered_period(&e->period_start, &e->period_end, v, def, had_period);
	}
	if (!rc)
		rc = saas__st_usage_total(&used, tx, feature, e->period_start);
	if (!rc && found) {
		rc = saas__ent_decide(e, v, f, 0, used, now);
		e->allowed = 1;
		e->reason = SAAS_ENT_ALLOWED;
		goto fail; /* nothing to write */
	}
	if (!rc)
		rc = saas__ent_decide(e, v, f, quantity, used, now);
	if (!rc && !e->allowed)
		rc = saas__ent_refuse(e, v);
	if (!rc)
		rc = saas__st_usage_record_insert(tx, idempotency_key, feature, quantity,
		                                  e->period_start, occurred_at, now);
	if (rc == SAAS_EEXISTS)
		rc = saas__err(SAAS_ECONFLICT, "idempotency_key",
		               "idempotency_key %s was recorded concurrently", saas__q(idempotency_key));
	if (!rc)
		rc = saas__st_usage_add(tx, feature, e->period_start, e->period_end, quantity);
	if (!rc) {
		e->over_limit = !e->unlimited && used + quantity > e->limit;
		e->used = used + quantity;
	}
fail:
	rc = saas__tx_finish(tx, rc);
	if (rc == SAAS_ELIMIT)
		saas__audit_refusal(ctx, scope, "entitlement.limit_refused", "feature", feature,
		                    json_pack("{s:s,s:I,s:I,s:I}", "operation", "usage.record",
		                              "used", (json_int_t)e->used, "requested",
		                              (json_int_t)quantity, "limit", (json_int_t)e->limit));
done:
	free(had_feature);
	if (e && out && (rc == SAAS_OK || rc == SAAS_ELIMIT) && saas__ent_finish(e))
		rc = SAAS_ENOMEM;
	saas__view_release(v);
	if (out && (rc == SAAS_OK || rc == SAAS_ELIMIT)) {
		*out = e;
		e = NULL;
	}
	saas_entitlement_free(e);
	saas__op_done(ctx, "billing.usage_record", t0, rc);
	return rc;
}
