/* Entitlements: one feature decided from a tenant's view (plan, state,
 * overrides) and what it uses, the summary of them all, overrides, the
 * seat limit on new memberships, and the feature a permission needs
 * (saas_authorize). */
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "saas/rbac.h"
#include "../audit/audit.h"

static const char *const kind_names[] = {"none", "boolean", "limit", "metered", "config"};
static const char *const reason_names[] = {"allowed",   "no_plan",     "no_access",
                                           "read_only", "not_in_plan", "limit"};

const char *saas_ent_reason_name(int reason)
{
	return reason >= 0 && reason <= SAAS_ENT_LIMIT ? reason_names[reason] : "unknown";
}

int saas__view_access(int *reason, const struct saas__ent_view *v, int64_t now)
{
	int access;

	*reason = 0;
	if (v->source == SAAS__SRC_SUBSCRIPTION) {
		access = saas_sub_access(v->sub->state, v->sub->past_due_since,
		                         v->cat->past_due_grace_ms, now);
		if (access == SAAS_ACCESS_NONE)
			*reason = SAAS_ENT_NO_ACCESS;
		return access;
	}
	if (v->source == SAAS__SRC_DEFAULT_PLAN)
		return SAAS_ACCESS_FULL;
	*reason = SAAS_ENT_NO_PLAN;
	return SAAS_ACCESS_NONE;
}

static void ent_clear(struct saas_entitlement *e)
{
	free(e->value);
	free(e->feature);
	memset(e, 0, sizeof *e);
}

void saas_entitlement_free(saas_entitlement *e)
{
	if (e) {
		ent_clear(e);
		free(e);
	}
}

/* a + b, or INT64_MAX when that overflows (both 0 or more) */
static int64_t sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int saas__ent_decide(struct saas_entitlement *e, const struct saas__ent_view *v, ptrdiff_t f,
                     int64_t amount, int64_t used, int64_t now)
{
	const struct saas__feature_def *def = &v->cat->features[f];
	const struct saas__feat_value *val = &v->values[f];
	int access = saas__view_access(&e->reason, v, now);
	bool seats = f == v->cat->seat_feature;
	int64_t want;

	e->kind = def->kind;
	e->unlimited = val->present && val->unlimited;
	e->limit = val->present && !val->unlimited ? val->limit : 0;
	e->used = used;
	e->requested = amount;
	e->name = def->name;
	e->val = val;
	e->def = def;
	if (def->kind == SAAS__FEAT_METERED || seats)
		e->over_limit = val->present && !val->unlimited && used > val->limit;
	if (access == SAAS_ACCESS_NONE)
		return SAAS_OK; /* reason set */
	if (access == SAAS_ACCESS_READ_ONLY && !def->readonly_safe) {
		e->reason = SAAS_ENT_READ_ONLY;
		return SAAS_OK;
	}
	if (!val->present || (def->kind == SAAS__FEAT_BOOLEAN && !val->enabled)) {
		e->reason = SAAS_ENT_NOT_IN_PLAN;
		return SAAS_OK;
	}
	if (def->kind == SAAS__FEAT_BOOLEAN || def->kind == SAAS__FEAT_CONFIG || val->unlimited) {
		e->allowed = 1;
		return SAAS_OK;
	}
	/* a limit of 0 denies, whatever the amount */
	want = def->kind == SAAS__FEAT_LIMIT && !seats ? amount : sat_add(used, amount);
	if (val->limit == 0) {
		e->reason = SAAS_ENT_LIMIT;
	} else if (def->kind == SAAS__FEAT_METERED && !def->hard) {
		e->allowed = 1;
		e->over_limit = want > val->limit;
	} else {
		int64_t max = val->limit;
		if (def->kind == SAAS__FEAT_METERED && def->grace_percent)
			max = max > INT64_MAX / (100 + def->grace_percent)
			              ? INT64_MAX
			              : max * (100 + def->grace_percent) / 100;
		if (want > max)
			e->reason = SAAS_ENT_LIMIT;
		else
			e->allowed = 1;
	}
	return SAAS_OK;
}

int saas__ent_finish(struct saas_entitlement *e)
{
	json_t *j = e->val ? saas__feat_value_json(e->val, e->def) : NULL;

	e->value = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	e->feature = e->name ? saas__strdup(e->name) : NULL;
	e->name = NULL;
	e->val = NULL;
	e->def = NULL;
	return e->value && e->feature ? SAAS_OK : saas__enomem();
}

int saas__ent_refuse(const struct saas_entitlement *e, const struct saas__ent_view *v)
{
	const char *plan = v->plan >= 0 ? v->cat->plans[v->plan].id : "(none)";

	switch (e->reason) {
	case SAAS_ENT_NO_PLAN:
		return saas__err(SAAS_ELIMIT, "feature",
		                 "feature '%s' refused: the tenant has no subscription and the "
		                 "catalogue has no default plan", e->name);
	case SAAS_ENT_NO_ACCESS:
		return saas__err(SAAS_ELIMIT, "feature",
		                 "feature '%s' refused: the subscription is %s, which grants no access",
		                 e->name, saas_sub_state_name(v->sub->state));
	case SAAS_ENT_READ_ONLY:
		return saas__err(SAAS_ELIMIT, "feature",
		                 "feature '%s' refused: access is read-only (the subscription is %s)",
		                 e->name, saas_sub_state_name(v->sub->state));
	case SAAS_ENT_NOT_IN_PLAN:
		return saas__err(SAAS_ELIMIT, "feature", "plan '%s' does not include feature '%s'",
		                 plan, e->name);
	default:
		if (e->limit == 0)
			return saas__err(SAAS_ELIMIT, "feature",
			                 "feature '%s' refused: its limit is 0 (plan '%s')", e->name,
			                 plan);
		return saas__err(SAAS_ELIMIT, "feature",
		                 "feature '%s' refused: %lld used + %lld requested passes the limit "
		                 "of %lld (plan '%s')",
		                 e->name, (long long)e->used, (long long)e->requested,
		                 (long long)e->limit, plan);
	}
}

int saas__metered_period(int64_t *start, int64_t *end, const struct saas__ent_view *v,
                         const struct saas__feature_def *def, int64_t at)
{
	/* without a subscription, billing cycles are calendar months */
	int64_t anchor = v->source == SAAS__SRC_SUBSCRIPTION ? v->sub->anchor_at : 0;

	return saas__period_bounds(start, end, def->period, anchor, at);
}

/* What feature f uses now: members for the seat feature, this period's
 * usage for a metered one (read in `tx`, or a read transaction of its own). */
static int used_of(int64_t *used, int64_t *pstart, int64_t *pend, saas_ctx *ctx,
                   const saas_scope *scope, saas_tx *tx, const struct saas__ent_view *v,
                   ptrdiff_t f, int64_t now)
{
	const struct saas__feature_def *def = &v->cat->features[f];
	saas_tx *own = NULL;
	int rc = SAAS_OK;

	*used = *pstart = *pend = 0;
	if (f != v->cat->seat_feature && def->kind != SAAS__FEAT_METERED)
		return SAAS_OK;
	if (def->kind == SAAS__FEAT_METERED &&
	    (rc = saas__metered_period(pstart, pend, v, def, now)))
		return rc;
	if (!tx && (rc = saas__tenant_tx(&own, ctx, scope, SAAS__READ)))
		return rc;
	if (def->kind == SAAS__FEAT_METERED)
		rc = saas__st_usage_total(used, tx ? tx : own, def->name, *pstart);
	else
		rc = saas__st_member_count(used, tx ? tx : own);
	saas__tx_rollback(own);
	return rc;
}

static int feature_index(ptrdiff_t *f, const struct saas__ent_view *v, const char *feature)
{
	if ((*f = saas__catalog_feature(v->cat, feature)) < 0)
		return saas__err(SAAS_ENOTFOUND, "feature",
		                 "no feature '%s' in plan catalogue version %lld", saas__q(feature),
		                 (long long)v->cat->version);
	return SAAS_OK;
}

/* Decide `feature` for the scope's tenant into `e` (zeroed by the caller);
 * with `details`, also its name and value as owned text (for the handle).
 * SAAS_OK allowed, SAAS_ELIMIT refused (e filled either way), or an error. */
static int get(struct saas_entitlement *e, bool details, saas_ctx *ctx,
               const saas_scope *scope, const char *feature, int64_t amount)
{
	struct saas__ent_view *v = NULL;
	int64_t used = 0, now;
	ptrdiff_t f;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!feature)
		return saas__err(SAAS_EINVAL, "feature", "feature is NULL");
	if (amount < 0)
		return saas__err(SAAS_EINVAL, "amount", "amount %lld is negative", (long long)amount);
	now = saas__now(ctx);
	if ((rc = saas__view_get(&v, ctx, scope, now)))
		return rc;
	rc = feature_index(&f, v, feature);
	if (!rc)
		rc = used_of(&used, &e->period_start, &e->period_end, ctx, scope, NULL, v, f, now);
	if (!rc)
		rc = saas__ent_decide(e, v, f, amount, used, now);
	if (!rc && !e->allowed)
		rc = saas__ent_refuse(e, v);
	if ((!rc || rc == SAAS_ELIMIT) && details && saas__ent_finish(e))
		rc = SAAS_ENOMEM;
	e->name = NULL; /* borrowed from the view */
	saas__view_release(v);
	return rc;
}

int saas_entitlement_get(saas_entitlement **out, saas_ctx *ctx, const saas_scope *scope,
                         const char *feature, int64_t amount)
{
	struct saas_entitlement *e;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!(e = calloc(1, sizeof *e)))
		return saas__enomem();
	rc = get(e, true, ctx, scope, feature, amount);
	if (rc && rc != SAAS_ELIMIT) {
		saas_entitlement_free(e);
		return rc;
	}
	*out = e;
	return rc;
}

int saas_entitlement_check(saas_ctx *ctx, const saas_scope *scope, const char *feature,
                           int64_t amount)
{
	struct saas_entitlement e = {0};

	return get(&e, false, ctx, scope, feature, amount);
}

int saas_entitlement_allowed(const saas_entitlement *e) { return e ? e->allowed : 0; }
int saas_entitlement_reason(const saas_entitlement *e) { return e ? e->reason : 0; }
const char *saas_entitlement_kind(const saas_entitlement *e)
{
	return e && e->kind >= 1 && e->kind <= 4 ? kind_names[e->kind] : "unknown";
}
int saas_entitlement_unlimited(const saas_entitlement *e) { return e ? e->unlimited : 0; }
int64_t saas_entitlement_limit(const saas_entitlement *e) { return e ? e->limit : 0; }
int64_t saas_entitlement_used(const saas_entitlement *e) { return e ? e->used : 0; }
int saas_entitlement_over_limit(const saas_entitlement *e) { return e ? e->over_limit : 0; }
int64_t saas_entitlement_period_end(const saas_entitlement *e) { return e ? e->period_end : 0; }
const char *saas_entitlement_value(const saas_entitlement *e) { return e ? e->value : NULL; }

/* ---- the summary ---------------------------------------------------------------------- */

static const char *source_name(const struct saas__ent_view *v, ptrdiff_t f)
{
	if (v->overridden[f])
		return "override";
	return v->source == SAAS__SRC_DEFAULT_PLAN ? "default_plan"
	       : v->source == SAAS__SRC_SUBSCRIPTION ? "plan"
	                                             : "none";
}

int saas_entitlement_summary(char **out, saas_ctx *ctx, const saas_scope *scope)
{
	struct saas__ent_view *v = NULL;
	saas_tx *tx = NULL;
	json_t *doc = NULL, *features = NULL;
	int64_t now;
	int reason, rc;

	if (out)
		*out = NULL;
	if (!out || !ctx)
		return saas__err(SAAS_EINVAL, out ? "ctx" : "out", "%s is NULL", out ? "ctx" : "out");
	now = saas__now(ctx);
	if ((rc = saas__view_get(&v, ctx, scope, now)))
		return rc;
	rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ);
	if (!rc) {
		const struct saas_subscription *s = v->source == SAAS__SRC_SUBSCRIPTION ? v->sub : NULL;
		int access = saas__view_access(&reason, v, now);

		features = json_object();
		doc = json_pack("{s:o,s:I,s:s,s:s,s:o}", "plan",
		                saas__json_str_or_null(v->plan >= 0 ? v->cat->plans[v->plan].id : NULL),
		                "catalog_version", (json_int_t)v->cat->version, "state",
		                saas_sub_state_name(s ? s->state : SAAS_SUB_NONE), "access",
		                saas_access_name(access), "period",
		                s ? json_pack("{s:o,s:o}", "start", saas__json_time(s->period_start),
		                              "end", saas__json_time(s->period_end))
		                  : json_null());
		if (!doc || !features || json_object_set(doc, "features", features))
			rc = saas__enomem();
	}
	for (size_t f = 0; !rc && f < v->cat->nfeatures; f++) {
		struct saas_entitlement e = {0};
		int64_t used = 0;
		json_t *row = NULL;

		rc = used_of(&used, &e.period_start, &e.period_end, ctx, scope, tx, v, (ptrdiff_t)f,
		             now);
		if (!rc)
			rc = saas__ent_decide(&e, v, (ptrdiff_t)f, 0, used, now);
		if (!rc) {
			row = json_pack("{s:s,s:o,s:s,s:b,s:s}", "kind", kind_names[e.kind], "value",
			                saas__feat_value_json(&v->values[f], &v->cat->features[f]),
			                "source", source_name(v, (ptrdiff_t)f), "allowed", e.allowed,
			                "reason", saas_ent_reason_name(e.reason));
			if (row && (e.kind == SAAS__FEAT_METERED || (ptrdiff_t)f == v->cat->seat_feature)) {
				json_object_set_new(row, "used", json_integer(used));
				json_object_set_new(row, "over_limit", json_boolean(e.over_limit));
			}
			if (row && e.kind == SAAS__FEAT_METERED)
				json_object_set_new(row, "period_end", saas__json_time(e.period_end));
			if (!row || json_object_set_new(features, e.name, row))
				rc = saas__enomem();
		}
		ent_clear(&e);
	}
	saas__tx_rollback(tx);
	json_decref(features);
	saas__view_release(v);
	if (!rc && !(*out = saas__json_take_dump(doc)))
		rc = saas__enomem();
	else if (rc)
		json_decref(doc);
	return rc;
}

/* ---- overrides ------------------------------------------------------------------------ */

static int override_write(saas_ctx *ctx, const saas_scope *scope, const char *feature,
                          const char *value_json, int64_t expires_at, const char *reason)
{
	const struct saas__catalog *cat = NULL;
	struct saas__feat_value val = {0};
	json_t *value = NULL, *meta = NULL;
	char *canon = NULL;
	bool removed = false;
	saas_tx *tx = NULL;
	ptrdiff_t f;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!feature)
		return saas__err(SAAS_EINVAL, "feature", "feature is NULL");
	if (expires_at < 0)
		return saas__err(SAAS_EINVAL, "expires_at", "expires_at %lld is negative",
		                 (long long)expires_at);
	if (reason && (rc = saas__check_text("reason", reason, 200, false)))
		return rc;
	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE)))
		return rc;
	rc = saas__catalog_at(&cat, tx, 0);
	if (!rc && (f = saas__catalog_feature(cat, feature)) < 0)
		rc = saas__err(SAAS_ENOTFOUND, "feature", "no feature '%s' in plan catalogue version %lld",
		               saas__q(feature), (long long)cat->version);
	if (!rc && value_json) {
		json_error_t jerr;
		if (!(value = json_loads(value_json, JSON_DECODE_ANY, &jerr)))
			rc = saas__err(SAAS_EINVAL, "value", "the value is not JSON: %s", jerr.text);
		if (!rc)
			rc = saas__feat_value_parse(&val, &cat->features[f], value, "value");
		if (!rc && !(canon = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)))
			rc = saas__enomem();
		if (!rc)
			rc = saas__st_override_put(tx, feature, canon, expires_at, reason, saas__now(ctx));
		if (!rc)
			meta = json_pack("{s:s,s:O,s:o,s:o}", "feature", feature, "value", value,
			                 "expires_at", saas__json_time(expires_at), "reason",
			                 saas__json_str_or_null(reason));
	} else if (!rc) {
		rc = saas__st_override_delete(&removed, tx, feature);
		if (!rc && !removed)
			rc = saas__err(SAAS_ENOTFOUND, "feature", "feature '%s' has no override",
			               saas__q(feature));
		if (!rc)
			meta = json_pack("{s:s}", "feature", feature);
	}
	if (!rc && !meta)
		rc = saas__enomem();
	if (!rc)
		rc = saas__audit_append(tx, scope,
		                        value_json ? "entitlement.override_set"
		                                   : "entitlement.override_removed",
		                        "feature", feature, meta);
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		saas__billing_changed(ctx, scope->tenant_id);
	saas__feat_value_clear(&val);
	json_decref(value);
	free(canon);
	return rc;
}

int saas_entitlement_override_set(saas_ctx *ctx, const saas_scope *scope, const char *feature,
                                  const char *value_json, int64_t expires_at,
                                  const char *reason)
{
	if (!value_json)
		return saas__err(SAAS_EINVAL, "value", "value is NULL");
	return override_write(ctx, scope, feature, value_json, expires_at, reason);
}

int saas_entitlement_override_remove(saas_ctx *ctx, const saas_scope *scope,
                                     const char *feature)
{
	return override_write(ctx, scope, feature, NULL, 0, NULL);
}

/* ---- seats ------------------------------------------------------------------------------ */

int saas__billing_seat_hook(struct saas_tx *tx)
{
	struct saas__ent_view *v = NULL;
	struct saas_entitlement e = {0};
	int64_t members = 0;
	ptrdiff_t f;
	int rc;

	/* no catalogue: billing is not in use */
	if (saas__billing_off(saas__tx_ctx(tx), saas__now(saas__tx_ctx(tx))))
		return SAAS_OK;
	rc = saas__view_build(&v, tx);
	if (rc == SAAS_ENOTFOUND && saas__billing_err_field("catalog"))
		return SAAS_OK;
	if (rc)
		return rc;
	f = v->cat->seat_feature;
	/* only a plan that sets a seat number limits members (a tenant with
	 * no plan, or a plan without the seat feature, does not) */
	if (f >= 0 && v->plan >= 0 && v->values[f].present && !v->values[f].unlimited) {
		rc = saas__st_member_count(&members, tx);
		if (!rc) {
			struct saas__ent_view full = *v;
			/* seats are decided on the plan's number alone: who may join is
			 * not a question of the subscription's access */
			full.source = SAAS__SRC_DEFAULT_PLAN;
			rc = saas__ent_decide(&e, &full, f, 1, members, saas__now(saas__tx_ctx(tx)));
			if (!rc && !e.allowed)
				rc = saas__ent_refuse(&e, &full);
		}
		ent_clear(&e);
	}
	saas__view_release(v);
	return rc;
}

/* ---- authorization ------------------------------------------------------------------------ */

int saas__billing_permission_feature(const char **out_feature, saas_ctx *ctx,
                                     const saas_scope *scope, const char *permission)
{
	struct saas__ent_view *v = NULL;
	struct saas_entitlement e = {0};
	int rc;

	*out_feature = NULL;
	rc = saas__view_get(&v, ctx, scope, saas__now(ctx));
	/* no catalogue: no plan features; a missing tenant or one pending
	 * deletion: the tenant's status has decided already */
	if ((rc == SAAS_ENOTFOUND &&
	     (saas__billing_err_field("catalog") ||
	      saas__billing_err_field("tenant_id"))) ||
	    rc == SAAS_EDELETED)
		return SAAS_OK;
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < v->cat->nperm_features; i++) {
		const struct saas__perm_feature *pf = &v->cat->perm_features[i];
		ptrdiff_t f = (ptrdiff_t)pf->feature;

		if (saas_permission_covers(pf->pattern, permission) != 1)
			continue;
		rc = saas__ent_decide(&e, v, f, 0, 0, saas__now(ctx));
		if (!rc && !e.allowed)
			*out_feature = v->cat->features[f].name; /* lives as long as the context */
		ent_clear(&e);
		if (*out_feature)
			break;
	}
	saas__view_release(v);
	return rc;
}
