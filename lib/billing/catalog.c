/*
 * The plan catalogue (docs/billing.md, "The plan catalogue"): one JSON
 * document read strictly. An unknown key is refused rather than ignored, so
 * that a typo never leaves a default in force; every error names the member
 * at fault by its path ("plans[1].features.seats") and the value it holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saas/rbac.h"
#include "billing.h"

#define CATALOG_MAX_BYTES ((size_t)1 << 20)
#define MAX_FEATURES 256
#define MAX_PLANS 256
#define MAX_PRICES 256 /* per plan */
#define MAX_PERMS 256
#define NAME_MAX_LEN 63
#define PLAN_NAME_MAX 200
#define PRICE_MAX 255
#define DAY_MS 86400000LL
#define PERIODS "day, week, month, year or billing_cycle"

/* ---- small helpers ------------------------------------------------------------- */

/* A JSON value in a message: what it is, never more than ~70 bytes. */
static const char *show(char buf[96], const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_NULL:
		return "null";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_INTEGER:
		snprintf(buf, 96, "%lld", (long long)json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, 96, "%g", json_real_value(v));
		return buf;
	case JSON_STRING:
		snprintf(buf, 96, "\"%s\"", saas__q(json_string_value(v)));
		return buf;
	case JSON_ARRAY:
		return "an array";
	case JSON_OBJECT:
		return "an object";
	}
	return "an unknown value";
}

/* path + "." + key (or key alone at the top), the key quoted safely. */
static void join(char *out, size_t n, const char *path, const char *key)
{
	/* a path too long for `out` is cut: it only names the place in errors */
	int r = path[0] ? snprintf(out, n, "%s.%s", path, saas__q(key))
	                : snprintf(out, n, "%s", saas__q(key));

	if (r < 0)
		out[0] = '\0';
}

/* Refuse members of `obj` not named in `known` (NULL-terminated). `who`
 * prefixes the message ("plan \"pro\": "). */
static int only_known(json_t *obj, const char *path, const char *who, const char *const *known)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		size_t i = 0;
		char where[128];

		while (known[i] && strcmp(known[i], key) != 0)
			i++;
		if (!known[i]) {
			join(where, sizeof where, path, key);
			return saas__err(SAAS_EINVAL, where, "%sunknown key \"%s\" in %s", who,
			                 saas__q(key), path[0] ? path : "the catalogue");
		}
	}
	return SAAS_OK;
}

/* An integer member `key` of `obj` in [lo, hi] into *out; absent: `def`. */
static int get_int(int64_t *out, json_t *obj, const char *key, const char *path,
                   const char *who, int64_t lo, int64_t hi, int64_t def)
{
	json_t *v = json_object_get(obj, key);
	char where[128], buf[96];

	*out = def;
	if (!v)
		return SAAS_OK;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		join(where, sizeof where, path, key);
		return saas__err(SAAS_EINVAL, where,
		                 "%s\"%s\" must be an integer from %lld to %lld, not %s", who, key,
		                 (long long)lo, (long long)hi, show(buf, v));
	}
	*out = json_integer_value(v);
	return SAAS_OK;
}

/* [a-z][a-z0-9_]{0,62} */
static bool feature_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > NAME_MAX_LEN || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* [a-z0-9][a-z0-9_-]{0,62} */
static bool plan_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '_' || c == '-'))))
			return false;
	}
	return true;
}

static const char *const kind_names[] = {NULL, "boolean", "limit", "metered", "config"};

static int kind_from_name(const char *s)
{
	for (int k = SAAS__FEAT_BOOLEAN; k <= SAAS__FEAT_CONFIG; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return 0;
}

static const char *kind_name(int k)
{
	return k >= SAAS__FEAT_BOOLEAN && k <= SAAS__FEAT_CONFIG ? kind_names[k] : "unknown";
}

/* ---- feature values ------------------------------------------------------------ */

/* saas__feat_value_parse, with the plan (when there is one) in messages. */
static int value_parse(struct saas__feat_value *out, const struct saas__feature_def *def,
                       json_t *v, const char *field, const char *plan)
{
	char who[96] = "", buf[96];

	memset(out, 0, sizeof *out);
	if (!def)
		return saas__err(SAAS_EINVAL, field, "%s: no feature definition", field);
	if (plan)
		snprintf(who, sizeof who, "plan \"%s\": ", saas__q(plan));
	switch (def->kind) {
	case SAAS__FEAT_BOOLEAN:
		if (!json_is_boolean(v))
			break;
		out->enabled = json_is_true(v);
		out->present = true;
		return SAAS_OK;
	case SAAS__FEAT_LIMIT:
	case SAAS__FEAT_METERED:
		if (json_is_string(v) && strcmp(json_string_value(v), "unlimited") == 0) {
			out->unlimited = true;
			out->present = true;
			return SAAS_OK;
		}
		/* json_int_t is long long: INT64_MAX at most */
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return saas__err(SAAS_EINVAL, field,
			                 "%sfeature \"%s\" must be an integer >= 0 or "
			                 "\"unlimited\", not %s",
			                 who, def->name, show(buf, v));
		out->limit = (int64_t)json_integer_value(v);
		out->present = true;
		return SAAS_OK;
	case SAAS__FEAT_CONFIG:
		/* null would read back as "not present" */
		if (!v || json_is_null(v))
			break;
		out->config = json_incref(v);
		out->present = true;
		return SAAS_OK;
	default:
		return saas__err(SAAS_EINVAL, field, "%sfeature \"%s\" has an unknown kind %d", who,
		                 def->name, def->kind);
	}
	if (def->kind == SAAS__FEAT_CONFIG)
		return saas__err(SAAS_EINVAL, field,
		                 "%sfeature \"%s\" (config) needs a value, not %s", who, def->name,
		                 show(buf, v));
	return saas__err(SAAS_EINVAL, field,
	                 "%sfeature \"%s\" (boolean) must be true or false, not %s", who, def->name,
	                 show(buf, v));
}

int saas__feat_value_parse(struct saas__feat_value *out, const struct saas__feature_def *def,
                           json_t *v, const char *field)
{
	if (!field)
		field = "value";
	if (!out)
		return saas__err(SAAS_EINVAL, field, "no place for the value of %s", field);
	return value_parse(out, def, v, field, NULL);
}

void saas__feat_value_clear(struct saas__feat_value *v)
{
	if (!v)
		return;
	json_decref(v->config);
	memset(v, 0, sizeof *v);
}

json_t *saas__feat_value_json(const struct saas__feat_value *v, const struct saas__feature_def *def)
{
	if (!v || !def || !v->present)
		return json_null();
	switch (def->kind) {
	case SAAS__FEAT_BOOLEAN:
		return json_boolean(v->enabled);
	case SAAS__FEAT_LIMIT:
	case SAAS__FEAT_METERED:
		return v->unlimited ? json_string("unlimited") : json_integer((json_int_t)v->limit);
	case SAAS__FEAT_CONFIG:
		return v->config ? json_incref(v->config) : json_null();
	default:
		return json_null();
	}
}

/* ---- the catalogue's parts ------------------------------------------------------- */

static int parse_feature(struct saas__feature_def *f, json_t *def, const char *path)
{
	static const char *const keys[] = {"kind", "readonly_safe", "period", "enforcement",
	                                   "grace_percent", NULL};
	static const char *const metered_only[] = {"period", "enforcement", "grace_percent", NULL};
	char who[96], where[128], buf[96];
	json_t *v;
	int64_t g;
	int rc;

	snprintf(who, sizeof who, "feature \"%s\": ", f->name);
	if (!json_is_object(def))
		return saas__err(SAAS_EINVAL, path, "%smust be an object, not %s", who,
		                 show(buf, def));
	if ((rc = only_known(def, path, who, keys)))
		return rc;
	v = json_object_get(def, "kind");
	join(where, sizeof where, path, "kind");
	if (!v)
		return saas__err(SAAS_EINVAL, where,
		                 "%s\"kind\" is required (boolean, limit, metered or config)", who);
	if (!json_is_string(v) || !(f->kind = kind_from_name(json_string_value(v))))
		return saas__err(SAAS_EINVAL, where,
		                 "%s\"kind\" must be boolean, limit, metered or config, not %s",
		                 who, show(buf, v));
	if ((v = json_object_get(def, "readonly_safe"))) {
		if (!json_is_boolean(v)) {
			join(where, sizeof where, path, "readonly_safe");
			return saas__err(SAAS_EINVAL, where,
			                 "%s\"readonly_safe\" must be true or false, not %s", who,
			                 show(buf, v));
		}
		f->readonly_safe = json_is_true(v);
	}
	if (f->kind != SAAS__FEAT_METERED) {
		for (size_t i = 0; metered_only[i]; i++)
			if (json_object_get(def, metered_only[i])) {
				join(where, sizeof where, path, metered_only[i]);
				return saas__err(SAAS_EINVAL, where,
				                 "%s\"%s\" is only for metered features, not %s",
				                 who, metered_only[i], kind_name(f->kind));
			}
		return SAAS_OK;
	}
	v = json_object_get(def, "period");
	join(where, sizeof where, path, "period");
	if (!v)
		return saas__err(SAAS_EINVAL, where,
		                 "%sa metered feature needs a \"period\" (%s)", who, PERIODS);
	if (!json_is_string(v) || (f->period = saas__period_from_name(json_string_value(v))) < 0)
		return saas__err(SAAS_EINVAL, where, "%s\"period\" must be %s, not %s", who,
		                 PERIODS, show(buf, v));
	f->hard = true;
	if ((v = json_object_get(def, "enforcement"))) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(s, "hard") != 0 && strcmp(s, "soft") != 0) {
			join(where, sizeof where, path, "enforcement");
			return saas__err(SAAS_EINVAL, where,
			                 "%s\"enforcement\" must be hard or soft, not %s", who,
			                 show(buf, v));
		}
		f->hard = strcmp(s, "hard") == 0;
	}
	if (!f->hard && json_object_get(def, "grace_percent")) {
		join(where, sizeof where, path, "grace_percent");
		return saas__err(SAAS_EINVAL, where,
		                 "%s\"grace_percent\" is only for hard enforcement (soft never "
		                 "refuses)",
		                 who);
	}
	if ((rc = get_int(&g, def, "grace_percent", path, who, 0, 1000, 0)))
		return rc;
	f->grace_percent = (int)g;
	return SAAS_OK;
}

static int cmp_feature(const void *a, const void *b)
{
	return strcmp(((const struct saas__feature_def *)a)->name,
	              ((const struct saas__feature_def *)b)->name);
}

static int parse_features(struct saas__catalog *c, json_t *obj)
{
	const char *name;
	json_t *def;
	char buf[96], path[128];
	size_t n;
	int rc;

	if (!obj)
		return saas__err(SAAS_EINVAL, "features",
		                 "the catalogue has no \"features\" object");
	if (!json_is_object(obj))
		return saas__err(SAAS_EINVAL, "features", "\"features\" must be an object, not %s",
		                 show(buf, obj));
	n = json_object_size(obj);
	if (n > MAX_FEATURES)
		return saas__err(SAAS_EINVAL, "features",
		                 "the catalogue declares %zu features; at most %d are allowed", n,
		                 MAX_FEATURES);
	if (!(c->features = calloc(n ? n : 1, sizeof *c->features)))
		return saas__enomem();
	json_object_foreach(obj, name, def) {
		struct saas__feature_def *f = &c->features[c->nfeatures];

		join(path, sizeof path, "features", name);
		if (!feature_name_ok(name))
			return saas__err(SAAS_EINVAL, path,
			                 "feature name \"%s\" is invalid: use 1 to 63 of a-z, 0-9 "
			                 "and '_', starting with a letter",
			                 saas__q(name));
		if (!(f->name = saas__strdup(name)))
			return saas__enomem();
		c->nfeatures++;
		if ((rc = parse_feature(f, def, path)))
			return rc;
	}
	/* by name, so that indexes do not depend on the document's key order */
	qsort(c->features, c->nfeatures, sizeof *c->features, cmp_feature);
	return SAAS_OK;
}

static int parse_prices(struct saas__catalog *c, struct saas__plan *p, json_t *prices,
                        const char *path, const char *who)
{
	static const char *const keys[] = {"stripe", NULL};
	char where[128], buf[96];
	json_t *arr, *v;
	size_t i;
	int rc;

	if (!json_is_object(prices))
		return saas__err(SAAS_EINVAL, path, "%s\"prices\" must be an object, not %s", who,
		                 show(buf, prices));
	if ((rc = only_known(prices, path, who, keys)))
		return rc;
	if (!(arr = json_object_get(prices, "stripe")))
		return SAAS_OK;
	join(where, sizeof where, path, "stripe");
	if (!json_is_array(arr))
		return saas__err(SAAS_EINVAL, where, "%sStripe prices must be an array, not %s",
		                 who, show(buf, arr));
	if (json_array_size(arr) > MAX_PRICES)
		return saas__err(SAAS_EINVAL, where, "%s%zu Stripe prices; at most %d are allowed",
		                 who, json_array_size(arr), MAX_PRICES);
	if (!(p->stripe_prices = calloc(json_array_size(arr) + 1, sizeof *p->stripe_prices)))
		return saas__enomem();
	json_array_foreach(arr, i, v) {
		char at[160];
		const char *s;
		ptrdiff_t other;

		snprintf(at, sizeof at, "%s[%zu]", where, i);
		if (!json_is_string(v))
			return saas__err(SAAS_EINVAL, at,
			                 "%sa Stripe price must be a string, not %s", who,
			                 show(buf, v));
		s = json_string_value(v);
		if (saas__check_label(at, s, PRICE_MAX))
			return saas__err(SAAS_EINVAL, at,
			                 "%sStripe price %s: must be 1 to %d printable ASCII "
			                 "characters without spaces",
			                 who, show(buf, v), PRICE_MAX);
		/* the plans so far, this one included: a price means one plan */
		if ((other = saas__catalog_plan_for_stripe_price(c, s)) >= 0) {
			if (&c->plans[other] == p)
				return saas__err(SAAS_EINVAL, at,
				                 "%sStripe price \"%s\" is listed twice", who,
				                 saas__q(s));
			return saas__err(SAAS_EINVAL, at,
			                 "Stripe price \"%s\" is in both plan \"%s\" and plan "
			                 "\"%s\"",
			                 saas__q(s), c->plans[other].id, p->id);
		}
		if (!(p->stripe_prices[p->nstripe_prices] = saas__strdup(s)))
			return saas__enomem();
		p->nstripe_prices++;
	}
	return SAAS_OK;
}

static int parse_plan_features(struct saas__catalog *c, struct saas__plan *p, json_t *obj,
                               const char *path, const char *who)
{
	const char *name;
	json_t *v;
	char buf[96];
	int rc;

	if (!json_is_object(obj))
		return saas__err(SAAS_EINVAL, path, "%s\"features\" must be an object, not %s", who,
		                 show(buf, obj));
	json_object_foreach(obj, name, v) {
		char where[128];
		ptrdiff_t f = saas__catalog_feature(c, name);

		join(where, sizeof where, path, name);
		if (f < 0)
			return saas__err(SAAS_EINVAL, where,
			                 "%sfeature \"%s\" is not declared in the catalogue's "
			                 "\"features\"",
			                 who, saas__q(name));
		if ((rc = value_parse(&p->values[f], &c->features[f], v, where, p->id)))
			return rc;
	}
	return SAAS_OK;
}

static int parse_plan(struct saas__catalog *c, struct saas__plan *p, json_t *obj, size_t idx)
{
	static const char *const keys[] = {"id", "name", "rank", "trial_days", "prices", "features",
	                                   NULL};
	char path[32], where[128], who[96], buf[96];
	json_t *v;
	int64_t n;
	int rc;

	snprintf(path, sizeof path, "plans[%zu]", idx);
	if (!json_is_object(obj))
		return saas__err(SAAS_EINVAL, path, "a plan must be an object, not %s",
		                 show(buf, obj));
	join(where, sizeof where, path, "id");
	v = json_object_get(obj, "id");
	if (!v)
		return saas__err(SAAS_EINVAL, where, "plan %zu has no \"id\"", idx);
	if (!json_is_string(v) || !plan_id_ok(json_string_value(v)))
		return saas__err(SAAS_EINVAL, where,
		                 "plan id %s is invalid: use 1 to 63 of a-z, 0-9, '_' and '-', "
		                 "starting with a letter or digit",
		                 show(buf, v));
	for (size_t i = 0; i < idx; i++)
		if (strcmp(c->plans[i].id, json_string_value(v)) == 0)
			return saas__err(SAAS_EINVAL, where,
			                 "plan id \"%s\" is used twice (plans[%zu])",
			                 json_string_value(v), i);
	if (!(p->id = saas__strdup(json_string_value(v))))
		return saas__enomem();
	snprintf(who, sizeof who, "plan \"%s\": ", p->id);
	if ((rc = only_known(obj, path, who, keys)))
		return rc;

	join(where, sizeof where, path, "name");
	v = json_object_get(obj, "name");
	if (!v)
		return saas__err(SAAS_EINVAL, where, "%s\"name\" is required", who);
	if (!json_is_string(v))
		return saas__err(SAAS_EINVAL, where, "%s\"name\" must be a string, not %s", who,
		                 show(buf, v));
	if (saas__check_text(where, json_string_value(v), PLAN_NAME_MAX, false))
		return saas__err(SAAS_EINVAL, where,
		                 "%sname %s must be 1 to %d bytes of UTF-8 text without control "
		                 "characters",
		                 who, show(buf, v), PLAN_NAME_MAX);
	if (!(p->name = saas__strdup(json_string_value(v))))
		return saas__enomem();

	if ((rc = get_int(&n, obj, "rank", path, who, -1000000, 1000000, 0)))
		return rc;
	p->rank = (int)n;
	if ((rc = get_int(&n, obj, "trial_days", path, who, 0, 730, 0)))
		return rc;
	p->trial_days = (int)n;

	/* every feature has a slot; those the plan does not list stay absent */
	if (!(p->values = calloc(c->nfeatures ? c->nfeatures : 1, sizeof *p->values)))
		return saas__enomem();
	if ((v = json_object_get(obj, "prices"))) {
		join(where, sizeof where, path, "prices");
		if ((rc = parse_prices(c, p, v, where, who)))
			return rc;
	}
	if ((v = json_object_get(obj, "features"))) {
		join(where, sizeof where, path, "features");
		if ((rc = parse_plan_features(c, p, v, where, who)))
			return rc;
	}
	return SAAS_OK;
}

static int parse_plans(struct saas__catalog *c, json_t *arr)
{
	char buf[96];
	json_t *v;
	size_t i, n;
	int rc;

	if (!arr)
		return saas__err(SAAS_EINVAL, "plans", "the catalogue has no \"plans\" array");
	if (!json_is_array(arr))
		return saas__err(SAAS_EINVAL, "plans", "\"plans\" must be an array, not %s",
		                 show(buf, arr));
	n = json_array_size(arr);
	if (n < 1 || n > MAX_PLANS)
		return saas__err(SAAS_EINVAL, "plans",
		                 "the catalogue has %zu plans; 1 to %d are allowed", n, MAX_PLANS);
	if (!(c->plans = calloc(n, sizeof *c->plans)))
		return saas__enomem();
	json_array_foreach(arr, i, v) {
		/* counted first so that a half-read plan is freed with the rest */
		c->nplans++;
		if ((rc = parse_plan(c, &c->plans[i], v, i)))
			return rc;
	}
	return SAAS_OK;
}

static int cmp_perm(const void *a, const void *b)
{
	return strcmp(((const struct saas__perm_feature *)a)->pattern,
	              ((const struct saas__perm_feature *)b)->pattern);
}

static int parse_perm_features(struct saas__catalog *c, json_t *obj)
{
	const char *pattern;
	json_t *v;
	char buf[96];
	size_t n;

	if (!json_is_object(obj))
		return saas__err(SAAS_EINVAL, "permission_features",
		                 "\"permission_features\" must be an object, not %s",
		                 show(buf, obj));
	n = json_object_size(obj);
	if (n > MAX_PERMS)
		return saas__err(SAAS_EINVAL, "permission_features",
		                 "%zu permission features; at most %d are allowed", n, MAX_PERMS);
	if (!(c->perm_features = calloc(n ? n : 1, sizeof *c->perm_features)))
		return saas__enomem();
	json_object_foreach(obj, pattern, v) {
		struct saas__perm_feature *pf = &c->perm_features[c->nperm_features];
		char where[128];
		ptrdiff_t f;

		join(where, sizeof where, "permission_features", pattern);
		if (saas_permission_check(pattern))
			return saas__err(SAAS_EINVAL, where,
			                 "permission pattern \"%s\" is not resource:action "
			                 "(each side 1 to 64 of a-z, 0-9, '_', '-', or '*'; "
			                 "or '*' alone)",
			                 saas__q(pattern));
		if (!json_is_string(v))
			return saas__err(SAAS_EINVAL, where,
			                 "permission \"%s\" must name a boolean feature, not %s",
			                 saas__q(pattern), show(buf, v));
		f = saas__catalog_feature(c, json_string_value(v));
		if (f < 0)
			return saas__err(SAAS_EINVAL, where,
			                 "permission \"%s\": feature \"%s\" is not declared in the "
			                 "catalogue's \"features\"",
			                 saas__q(pattern), saas__q(json_string_value(v)));
		if (c->features[f].kind != SAAS__FEAT_BOOLEAN)
			return saas__err(SAAS_EINVAL, where,
			                 "permission \"%s\": feature \"%s\" is a %s feature; "
			                 "only a boolean one can gate a permission",
			                 saas__q(pattern), c->features[f].name,
			                 kind_name(c->features[f].kind));
		if (!(pf->pattern = saas__strdup(pattern)))
			return saas__enomem();
		pf->feature = (size_t)f;
		c->nperm_features++;
	}
	qsort(c->perm_features, c->nperm_features, sizeof *c->perm_features, cmp_perm);
	return SAAS_OK;
}

static int parse_root(struct saas__catalog *c, json_t *root)
{
	static const char *const keys[] = {"features", "plans", "default_plan", "seat_feature",
	                                   "permission_features", "past_due_grace_days", NULL};
	char buf[96];
	json_t *v;
	int64_t days;
	int rc;

	if ((rc = only_known(root, "", "", keys)) ||
	    (rc = parse_features(c, json_object_get(root, "features"))) ||
	    (rc = parse_plans(c, json_object_get(root, "plans"))))
		return rc;

	c->default_plan = -1;
	/* null: said explicitly that there is none */
	if ((v = json_object_get(root, "default_plan")) && !json_is_null(v)) {
		if (json_is_string(v))
			c->default_plan = saas__catalog_plan(c, json_string_value(v));
		if (c->default_plan < 0)
			return saas__err(SAAS_EINVAL, "default_plan",
			                 "\"default_plan\" must name a plan of the catalogue, "
			                 "not %s",
			                 show(buf, v));
	}

	c->seat_feature = -1;
	if (!(v = json_object_get(root, "seat_feature"))) {
		ptrdiff_t f = saas__catalog_feature(c, "seats");

		/* the default applies only where it makes sense */
		if (f >= 0 && c->features[f].kind == SAAS__FEAT_LIMIT)
			c->seat_feature = f;
	} else if (!json_is_null(v)) {
		ptrdiff_t f = -1;

		if (json_is_string(v))
			f = saas__catalog_feature(c, json_string_value(v));
		if (f < 0)
			return saas__err(SAAS_EINVAL, "seat_feature",
			                 "\"seat_feature\" must name a limit feature of the "
			                 "catalogue, not %s",
			                 show(buf, v));
		if (c->features[f].kind != SAAS__FEAT_LIMIT)
			return saas__err(SAAS_EINVAL, "seat_feature",
			                 "\"seat_feature\" names feature \"%s\", a %s feature; "
			                 "it must be a limit",
			                 c->features[f].name, kind_name(c->features[f].kind));
		c->seat_feature = f;
	}

	if ((v = json_object_get(root, "permission_features")) && (rc = parse_perm_features(c, v)))
		return rc;
	if ((rc = get_int(&days, root, "past_due_grace_days", "", "", 0, 90, 7)))
		return rc;
	c->past_due_grace_ms = days * DAY_MS;
	return SAAS_OK;
}

/* ---- the catalogue --------------------------------------------------------------- */

int saas__catalog_parse(struct saas__catalog **out, const char *json_text)
{
	struct saas__catalog *c;
	json_error_t jerr;
	json_t *root;
	size_t len;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "no place for the catalogue");
	*out = NULL;
	if (!json_text)
		return saas__err(SAAS_EINVAL, "catalog", "the catalogue is NULL");
	len = strnlen(json_text, CATALOG_MAX_BYTES + 1);
	if (len > CATALOG_MAX_BYTES)
		return saas__err(SAAS_EINVAL, "catalog",
		                 "the catalogue is more than %zu bytes long; at most %zu are "
		                 "allowed",
		                 CATALOG_MAX_BYTES, CATALOG_MAX_BYTES);
	root = json_loadb(json_text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return saas__err(SAAS_EINVAL, "catalog",
		                 "the catalogue is not valid JSON: line %d, column %d: %s",
		                 jerr.line, jerr.column, jerr.text);
	if (!json_is_object(root)) {
		rc = saas__err(SAAS_EINVAL, "catalog",
		               "the catalogue must be a JSON object, not %s",
		               json_is_array(root) ? "an array" : "a scalar");
		json_decref(root);
		return rc;
	}
	if (!(c = calloc(1, sizeof *c))) {
		json_decref(root);
		return saas__enomem();
	}
	rc = parse_root(c, root);
	if (!rc && !(c->canonical = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS)))
		rc = saas__enomem();
	json_decref(root);
	if (rc) {
		saas__catalog_free(c);
		return rc;
	}
	saas__secret_hash(c->hash, c->canonical);
	*out = c;
	return SAAS_OK;
}

void saas__catalog_free(struct saas__catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nfeatures; i++)
		free(c->features[i].name);
	for (size_t i = 0; i < c->nplans; i++) {
		struct saas__plan *p = &c->plans[i];

		free(p->id);
		free(p->name);
		for (size_t j = 0; j < p->nstripe_prices; j++)
			free(p->stripe_prices[j]);
		free(p->stripe_prices);
		if (p->values)
			for (size_t j = 0; j < c->nfeatures; j++)
				saas__feat_value_clear(&p->values[j]);
		free(p->values);
	}
	for (size_t i = 0; i < c->nperm_features; i++)
		free(c->perm_features[i].pattern);
	free(c->features);
	free(c->plans);
	free(c->perm_features);
	free(c->canonical);
	free(c);
}

ptrdiff_t saas__catalog_feature(const struct saas__catalog *c, const char *name)
{
	size_t lo = 0, hi;

	if (!c || !name)
		return -1;
	/* features are sorted by name */
	hi = c->nfeatures;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(name, c->features[mid].name);

		if (d == 0)
			return (ptrdiff_t)mid;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

ptrdiff_t saas__catalog_plan(const struct saas__catalog *c, const char *id)
{
	if (!c || !id)
		return -1;
	for (size_t i = 0; i < c->nplans; i++)
		if (c->plans[i].id && strcmp(c->plans[i].id, id) == 0)
			return (ptrdiff_t)i;
	return -1;
}

ptrdiff_t saas__catalog_plan_for_stripe_price(const struct saas__catalog *c, const char *price)
{
	if (!c || !price)
		return -1;
	for (size_t i = 0; i < c->nplans; i++)
		for (size_t j = 0; j < c->plans[i].nstripe_prices; j++)
			if (strcmp(c->plans[i].stripe_prices[j], price) == 0)
				return (ptrdiff_t)i;
	return -1;
}
