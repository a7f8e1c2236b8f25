/* The plan catalogue stored and versioned (saas_billing_plans_load), the
 * versions read once per process, and each tenant's entitlement view: the
 * plan, subscription state and overrides its checks need, cached for
 * authz_refresh_ms (this process's own changes drop it at once). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "../audit/audit.h"

#define VIEW_SLOTS 1024

struct saas__billing {
	pthread_mutex_t mu;
	struct saas__catalog **cats; /* every version read, in no order; freed with the context */
	size_t ncats, capcats;
	/* no catalogue was found: until then (ms) do not ask the store again,
	 * so that authorization without billing costs nothing */
	_Atomic int64_t no_catalog_until;
	struct vslot {
		char tenant[40];
		struct saas__ent_view *view;
		int64_t fetched_ms;
	} slots[VIEW_SLOTS];
};

int saas__billing_new(struct saas__billing **out)
{
	struct saas__billing *b = calloc(1, sizeof *b);

	*out = NULL;
	if (!b)
		return saas__enomem();
	pthread_mutex_init(&b->mu, NULL);
	*out = b;
	return SAAS_OK;
}

void saas__view_release(struct saas__ent_view *v)
{
	if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	for (size_t i = 0; v->values && i < v->cat->nfeatures; i++)
		saas__feat_value_clear(&v->values[i]);
	free(v->values);
	free(v->overridden);
	saas__sub_row_free(v->sub);
	free(v);
}

void saas__billing_free(struct saas__billing *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < VIEW_SLOTS; i++)
		saas__view_release(b->slots[i].view);
	for (size_t i = 0; i < b->ncats; i++)
		saas__catalog_free(b->cats[i]);
	free(b->cats);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

bool saas__billing_err_field(const char *field)
{
	const char *f = saas_error_field(saas_error_last());

	return f && strcmp(f, field) == 0;
}

/* ---- catalogue versions ----------------------------------------------------------------- */

static const struct saas__catalog *cat_cached(struct saas__billing *b, int64_t version)
{
	const struct saas__catalog *c = NULL;

	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; !c && i < b->ncats; i++)
		if (b->cats[i]->version == version)
			c = b->cats[i];
	pthread_mutex_unlock(&b->mu);
	return c;
}

/* Keep `c` (taking it); another thread may have kept the same version
 * first: then that one is answered and `c` freed. */
static const struct saas__catalog *cat_keep(struct saas__billing *b, struct saas__catalog *c)
{
	const struct saas__catalog *have = NULL;

	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; !have && i < b->ncats; i++)
		if (b->cats[i]->version == c->version)
			have = b->cats[i];
	if (!have && b->ncats == b->capcats) {
		size_t cap = b->capcats ? 2 * b->capcats : 4;
		struct saas__catalog **v = realloc(b->cats, cap * sizeof *v);
		if (v) {
			b->cats = v;
			b->capcats = cap;
		}
	}
	if (!have && b->ncats < b->capcats) {
		b->cats[b->ncats++] = c;
		have = c;
		c = NULL;
	}
	pthread_mutex_unlock(&b->mu);
	saas__catalog_free(c);
	if (!have)
		saas__enomem();
	return have;
}

int saas__catalog_at(const struct saas__catalog **out, saas_tx *tx, int64_t version)
{
	struct saas__billing *b = saas__tx_ctx(tx)->billing;
	struct saas__catalog *c = NULL;
	char *doc = NULL;
	int rc;

	*out = NULL;
	if (version == 0) {
		if ((rc = saas__st_catalog_latest(&version, NULL, tx)))
			return rc;
		if (version == 0)
			return saas__err(SAAS_ENOTFOUND, "catalog", "no plan catalogue is loaded");
	}
	if ((*out = cat_cached(b, version)))
		return SAAS_OK;
	rc = saas__st_catalog_get(&doc, tx, version);
	if (rc == SAAS_ENOTFOUND)
		return saas__err(SAAS_ENOTFOUND, "version", "no plan catalogue version %lld",
		                 (long long)version);
	if (!rc && (rc = saas__catalog_parse(&c, doc)))
		rc = saas__err(SAAS_ESTORE, "catalog", "stored catalogue version %lld does not parse: %s",
		               (long long)version, saas_error_message(saas_error_last()));
	free(doc);
	if (rc)
		return rc;
	c->version = version;
	return (*out = cat_keep(b, c)) ? SAAS_OK : SAAS_ENOMEM;
}

int saas_billing_plans_load(int64_t *out_version, saas_ctx *ctx, const saas_scope *scope,
                            const char *json)
{
	struct saas__catalog *c = NULL;
	int64_t version = 0, t0;
	saas_tx *tx = NULL;
	int rc;

	if (out_version)
		*out_version = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!json)
		return saas__err(SAAS_EINVAL, "json", "the catalogue is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_global(scope);
	if (!rc)
		rc = saas__catalog_parse(&c, json);
	/* Two loaders may race for the next version; the loser tries again. */
	for (int attempt = 0; !rc && attempt < 3; attempt++) {
		int64_t latest = 0;

		rc = saas__tx_begin(&tx, ctx, NULL, true);
		if (!rc)
			rc = saas__st_catalog_find(&version, tx, c->hash);
		if (!rc && version) {
			saas__tx_rollback(tx);
			break;
		}
		if (!rc)
			rc = saas__st_catalog_latest(&latest, NULL, tx);
		if (!rc) {
			version = latest + 1;
			rc = saas__st_catalog_insert(tx, version, c->hash, c->canonical, saas__now(ctx));
		}
		if (!rc)
			rc = saas__audit_append_system(
				tx, scope, "billing.catalog_loaded", "catalog", NULL,
				json_pack("{s:I,s:s,s:I}", "version", (json_int_t)version, "hash", c->hash,
				          "plans", (json_int_t)c->nplans));
		rc = saas__tx_finish(tx, rc);
		if (rc != SAAS_EEXISTS)
			break;
		rc = SAAS_OK;
		version = 0;
		if (attempt == 2)
			rc = saas__err(SAAS_ECONFLICT, "catalog", "the catalogue kept changing; try again");
	}
	saas__catalog_free(c);
	if (!rc)
		atomic_store(&ctx->billing->no_catalog_until, 0);
	if (!rc && out_version)
		*out_version = version;
	saas__op_done(ctx, "billing.plans_load", t0, rc);
	return rc;
}

int saas_billing_plans_json(char **out, saas_ctx *ctx, int64_t version)
{
	const struct saas__catalog *c = NULL;
	saas_tx *tx;
	json_t *doc;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !ctx)
		return saas__err(SAAS_EINVAL, out ? "ctx" : "out", "%s is NULL", out ? "ctx" : "out");
	if (version < 0)
		return saas__err(SAAS_EINVAL, "version", "version %lld is negative", (long long)version);
	if ((rc = saas__tx_begin(&tx, ctx, NULL, false)))
		return rc;
	rc = saas__catalog_at(&c, tx, version);
	saas__tx_rollback(tx);
	if (rc == SAAS_ENOTFOUND && version == 0)
		rc = saas__err(SAAS_ENOTFOUND, "version", "no plan catalogue is loaded");
	if (rc)
		return rc;
	doc = json_loads(c->canonical, 0, NULL);
	*out = doc ? saas__json_take_dump(json_pack("{s:I,s:o}", "version", (json_int_t)c->version,
	                                            "catalog", doc))
	           : NULL;
	return *out ? SAAS_OK : saas__enomem();
}

/* ---- tenant views ------------------------------------------------------------------------ */

/* Apply the stored overrides to the view's values; expired ones fall
 * through to the plan. */
static int view_overrides(struct saas__ent_view *v, json_t *overrides, int64_t now)
{
	const char *name;
	json_t *row;

	json_object_foreach(overrides, name, row) {
		ptrdiff_t f = saas__catalog_feature(v->cat, name);
		json_t *exp = json_object_get(row, "expires_at");
		struct saas__feat_value val = {0};
		int64_t expires = json_is_integer(exp) ? json_integer_value(exp) : 0;

		if (f < 0 || (expires && expires <= now))
			continue; /* a feature the catalogue dropped, or over */
		if (saas__feat_value_parse(&val, &v->cat->features[f], json_object_get(row, "value"),
		                           name))
			continue; /* a value the feature's new kind does not take */
		saas__feat_value_clear(&v->values[f]);
		v->values[f] = val;
		v->overridden[f] = 1;
		if (expires && (!v->valid_until || expires < v->valid_until))
			v->valid_until = expires;
	}
	return SAAS_OK;
}

static int feat_value_copy(struct saas__feat_value *dst, const struct saas__feat_value *src)
{
	*dst = *src;
	if (src->config)
		json_incref(src->config);
	return SAAS_OK;
}

bool saas__billing_off(saas_ctx *ctx, int64_t now)
{
	return now < atomic_load(&ctx->billing->no_catalog_until);
}

int saas__view_build(struct saas__ent_view **out, saas_tx *tx)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	struct saas__ent_view *v = calloc(1, sizeof *v);
	json_t *overrides = NULL;
	int64_t now = saas__now(ctx);
	int rc;

	*out = NULL;
	if (!v)
		return saas__enomem();
	atomic_init(&v->refs, 1);
	v->plan = -1;
	rc = saas__st_sub_get(&v->sub, tx);
	if (rc == SAAS_ENOTFOUND)
		rc = SAAS_OK;
	if (!rc && v->sub && !saas_sub_state_terminal(v->sub->state)) {
		rc = saas__catalog_at(&v->cat, tx, v->sub->catalog_version);
		if (!rc) {
			v->plan = saas__catalog_plan(v->cat, v->sub->plan_id);
			v->source = SAAS__SRC_SUBSCRIPTION;
		}
	} else if (!rc) {
		rc = saas__catalog_at(&v->cat, tx, 0);
		if (!rc && v->cat->default_plan >= 0) {
			v->plan = v->cat->default_plan;
			v->source = SAAS__SRC_DEFAULT_PLAN;
		}
	}
	if (!rc && !(v->values = calloc(v->cat->nfeatures + 1, sizeof *v->values)))
		rc = saas__enomem();
	if (!rc && !(v->overridden = calloc(v->cat->nfeatures + 1, 1)))
		rc = saas__enomem();
	for (size_t i = 0; !rc && v->plan >= 0 && i < v->cat->nfeatures; i++)
		rc = feat_value_copy(&v->values[i], &v->cat->plans[v->plan].values[i]);
	if (!rc)
		rc = saas__st_override_list(&overrides, tx);
	if (!rc)
		rc = view_overrides(v, overrides, now);
	json_decref(overrides);
	if (rc == SAAS_ENOTFOUND && saas__billing_err_field("catalog"))
		atomic_store(&ctx->billing->no_catalog_until, now + ctx->opts.authz_refresh_ms);
	if (rc) {
		if (!v->cat) { /* nothing to free per feature yet */
			saas__sub_row_free(v->sub);
			free(v);
		} else {
			saas__view_release(v);
		}
		return rc;
	}
	*out = v;
	return SAAS_OK;
}

static size_t view_slot(const char *tenant)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = tenant; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)(h % VIEW_SLOTS);
}

int saas__view_get(struct saas__ent_view **out, saas_ctx *ctx, const saas_scope *scope,
                   int64_t now)
{
	struct saas__billing *b = ctx->billing;
	int64_t max_age = ctx->opts.authz_refresh_ms;
	struct vslot *s;
	saas_tx *tx;
	int rc;

	*out = NULL;
	if ((rc = saas__scope_tenant(scope)))
		return rc;
	s = &b->slots[view_slot(scope->tenant_id)];
	pthread_mutex_lock(&b->mu);
	if (s->view && strcmp(s->tenant, scope->tenant_id) == 0 && now >= s->fetched_ms &&
	    now - s->fetched_ms <= max_age && (!s->view->valid_until || now < s->view->valid_until)) {
		*out = s->view;
		atomic_fetch_add(&s->view->refs, 1);
	}
	pthread_mutex_unlock(&b->mu);
	if (*out)
		return SAAS_OK;
	if (saas__billing_off(ctx, now))
		return saas__err(SAAS_ENOTFOUND, "catalog", "no plan catalogue is loaded");
	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ)))
		return rc;
	rc = saas__view_build(out, tx);
	saas__tx_rollback(tx);
	if (rc || strlen(scope->tenant_id) >= sizeof s->tenant)
		return rc;
	atomic_fetch_add(&(*out)->refs, 1);
	pthread_mutex_lock(&b->mu);
	saas__view_release(s->view);
	snprintf(s->tenant, sizeof s->tenant, "%s", scope->tenant_id);
	s->view = *out;
	s->fetched_ms = now;
	pthread_mutex_unlock(&b->mu);
	return SAAS_OK;
}

void saas__billing_changed(saas_ctx *ctx, const char *tenant_id)
{
	struct saas__billing *b = ctx->billing;
	struct vslot *s = &b->slots[view_slot(tenant_id)];
	struct saas__ent_view *drop = NULL;

	pthread_mutex_lock(&b->mu);
	if (s->view && strcmp(s->tenant, tenant_id) == 0) {
		drop = s->view;
		s->view = NULL;
	}
	pthread_mutex_unlock(&b->mu);
	saas__view_release(drop);
}
