/*
 * The plan catalogue (lib/billing/catalog.c) and usage periods
 * (lib/billing/period.c): the documented example read member by member,
 * the canonical form and its hash, every refusal with its field and a
 * message naming the bad value, and periods at their exact boundaries and
 * under random (anchor, now) pairs checked against the C library's gmtime
 * as an independent calendar.
 */
/* timegm: _GNU_SOURCE comes from the build */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "helpers.h"
#include "billing/billing.h"

#define DAY_MS 86400000LL
#define MAX_MS 253402300800000LL /* 10000-01-01T00:00:00Z */

/* JSON written with single quotes, for legibility: a malloc'd copy with
 * double quotes. */
static char *dq(const char *s)
{
	char *d = strdup(s);

	ck_assert_ptr_nonnull(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static struct saas__catalog *parse_ok(const char *sq)
{
	struct saas__catalog *c = NULL;
	char *json = dq(sq);

	ck_rc(saas__catalog_parse(&c, json), SAAS_OK);
	ck_assert_ptr_nonnull(c);
	free(json);
	return c;
}

/* Refused with SAAS_EINVAL, field `field` (ending in '*': starting with
 * what precedes it), a message holding `needle`. */
#define refuse(sq, field, needle) refuse_at(__LINE__, sq, field, needle)
static void refuse_at(int line, const char *sq, const char *field, const char *needle)
{
	struct saas__catalog *c = (struct saas__catalog *)1;
	char *json = dq(sq);
	int rc;

	saas_error_clear();
	rc = saas__catalog_parse(&c, json);
	ck_assert_msg(rc == SAAS_EINVAL, "line %d: %s returned %s (%s)", line, json,
	              saas_code_name(rc), saas_error_message(saas_error_last()));
	ck_assert_msg(c == NULL, "line %d: *out not cleared", line);
	ck_assert_msg(saas_error_field(saas_error_last()) &&
	                  (field[strlen(field) - 1] == '*'
	                           ? strncmp(saas_error_field(saas_error_last()), field,
	                                     strlen(field) - 1) == 0
	                           : strcmp(saas_error_field(saas_error_last()), field) == 0),
	              "line %d: field is '%s', expected '%s' (%s)", line,
	              saas_error_field(saas_error_last()), field,
	              saas_error_message(saas_error_last()));
	ck_assert_msg(strstr(saas_error_message(saas_error_last()), needle) != NULL,
	              "line %d: message '%s' does not name '%s'", line,
	              saas_error_message(saas_error_last()), needle);
	free(json);
}

static const char example[] =
	"{\n"
	"  'features': {\n"
	"    'sso':          {'kind': 'boolean'},\n"
	"    'audit_export': {'kind': 'boolean', 'readonly_safe': true},\n"
	"    'seats':        {'kind': 'limit'},\n"
	"    'projects':     {'kind': 'limit'},\n"
	"    'api_calls':    {'kind': 'metered', 'period': 'billing_cycle', 'enforcement': 'hard', "
	"'grace_percent': 10},\n"
	"    'exports':      {'kind': 'metered', 'period': 'month', 'enforcement': 'soft'},\n"
	"    'support':      {'kind': 'config'}\n"
	"  },\n"
	"  'plans': [\n"
	"    {'id': 'free', 'name': 'Free', 'rank': 0,\n"
	"     'features': {'seats': 3, 'api_calls': 1000, 'support': 'community'}},\n"
	"    {'id': 'pro', 'name': 'Pro', 'rank': 10, 'trial_days': 14,\n"
	"     'prices': {'stripe': ['price_pro_monthly', 'price_pro_yearly']},\n"
	"     'features': {'sso': true, 'seats': 20, 'projects': 'unlimited',\n"
	"                  'api_calls': 100000, 'exports': 50,\n"
	"                  'support': {'tier': 'email', 'hours': 24}}}\n"
	"  ],\n"
	"  'default_plan': 'free',\n"
	"  'seat_feature': 'seats',\n"
	"  'permission_features': {'sso:*': 'sso', 'audit:export': 'audit_export'}\n"
	"}\n";

/* The example, its members in another order and without whitespace. */
static const char example_reordered[] =
	"{'permission_features':{'audit:export':'audit_export','sso:*':'sso'},"
	"'seat_feature':'seats','default_plan':'free','plans':[{'rank':0,'name':'Free',"
	"'id':'free','features':{'support':'community','api_calls':1000,'seats':3}},"
	"{'features':{'support':{'hours':24,'tier':'email'},'exports':50,'api_calls':100000,"
	"'projects':'unlimited','seats':20,'sso':true},'trial_days':14,"
	"'prices':{'stripe':['price_pro_monthly','price_pro_yearly']},'rank':10,'name':'Pro',"
	"'id':'pro'}],'features':{'support':{'kind':'config'},'exports':{'enforcement':'soft',"
	"'period':'month','kind':'metered'},'api_calls':{'grace_percent':10,'enforcement':'hard',"
	"'period':'billing_cycle','kind':'metered'},'projects':{'kind':'limit'},"
	"'seats':{'kind':'limit'},'audit_export':{'readonly_safe':true,'kind':'boolean'},"
	"'sso':{'kind':'boolean'}}}";

static ptrdiff_t feat(const struct saas__catalog *c, const char *name)
{
	ptrdiff_t f = saas__catalog_feature(c, name);

	ck_assert_msg(f >= 0, "no feature %s", name);
	return f;
}

static const struct saas__feat_value *val(const struct saas__catalog *c, const char *plan,
                                          const char *feature)
{
	ptrdiff_t p = saas__catalog_plan(c, plan);

	ck_assert_msg(p >= 0, "no plan %s", plan);
	return &c->plans[p].values[feat(c, feature)];
}

/* The value as compact JSON text, for comparisons. */
static void ck_value_json(const struct saas__catalog *c, const char *plan, const char *feature,
                          const char *want)
{
	json_t *j = saas__feat_value_json(val(c, plan, feature), &c->features[feat(c, feature)]);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strcmp(s, want) == 0, "%s/%s: %s, expected %s", plan, feature, s, want);
	free(s);
	json_decref(j);
}

START_TEST(the_example_parses)
{
	struct saas__catalog *c = parse_ok(example);
	static const char *const sorted[] = {"api_calls", "audit_export", "exports", "projects",
	                                     "seats", "sso", "support"};
	const struct saas__feature_def *f;
	const struct saas__feat_value *v;
	unsigned char h[32];
	char hex[65];

	/* features sorted by name, whatever the document's order */
	ck_assert_uint_eq(c->nfeatures, 7);
	for (size_t i = 0; i < 7; i++) {
		ck_assert_str_eq(c->features[i].name, sorted[i]);
		ck_assert_int_eq(saas__catalog_feature(c, sorted[i]), (ptrdiff_t)i);
	}
	f = &c->features[feat(c, "api_calls")];
	ck_assert_int_eq(f->kind, SAAS__FEAT_METERED);
	ck_assert_int_eq(f->period, SAAS__PERIOD_BILLING_CYCLE);
	ck_assert(f->hard);
	ck_assert_int_eq(f->grace_percent, 10);
	ck_assert(!f->readonly_safe);
	f = &c->features[feat(c, "exports")];
	ck_assert_int_eq(f->kind, SAAS__FEAT_METERED);
	ck_assert_int_eq(f->period, SAAS__PERIOD_MONTH);
	ck_assert(!f->hard);
	ck_assert_int_eq(f->grace_percent, 0);
	f = &c->features[feat(c, "audit_export")];
	ck_assert_int_eq(f->kind, SAAS__FEAT_BOOLEAN);
	ck_assert(f->readonly_safe);
	ck_assert_int_eq(c->features[feat(c, "sso")].kind, SAAS__FEAT_BOOLEAN);
	ck_assert(!c->features[feat(c, "sso")].readonly_safe);
	ck_assert_int_eq(c->features[feat(c, "seats")].kind, SAAS__FEAT_LIMIT);
	ck_assert_int_eq(c->features[feat(c, "projects")].kind, SAAS__FEAT_LIMIT);
	ck_assert_int_eq(c->features[feat(c, "support")].kind, SAAS__FEAT_CONFIG);

	/* plans in document order */
	ck_assert_uint_eq(c->nplans, 2);
	ck_assert_str_eq(c->plans[0].id, "free");
	ck_assert_str_eq(c->plans[0].name, "Free");
	ck_assert_int_eq(c->plans[0].rank, 0);
	ck_assert_int_eq(c->plans[0].trial_days, 0);
	ck_assert_uint_eq(c->plans[0].nstripe_prices, 0);
	ck_assert_str_eq(c->plans[1].id, "pro");
	ck_assert_str_eq(c->plans[1].name, "Pro");
	ck_assert_int_eq(c->plans[1].rank, 10);
	ck_assert_int_eq(c->plans[1].trial_days, 14);
	ck_assert_uint_eq(c->plans[1].nstripe_prices, 2);
	ck_assert_str_eq(c->plans[1].stripe_prices[0], "price_pro_monthly");
	ck_assert_str_eq(c->plans[1].stripe_prices[1], "price_pro_yearly");

	/* values */
	v = val(c, "free", "seats");
	ck_assert(v->present && !v->unlimited && v->limit == 3);
	v = val(c, "free", "api_calls");
	ck_assert(v->present && !v->unlimited && v->limit == 1000);
	ck_assert(!val(c, "free", "sso")->present);
	ck_assert(!val(c, "free", "projects")->present);
	ck_assert(!val(c, "free", "exports")->present);
	ck_assert(!val(c, "free", "audit_export")->present);
	v = val(c, "pro", "sso");
	ck_assert(v->present && v->enabled);
	v = val(c, "pro", "projects");
	ck_assert(v->present && v->unlimited);
	ck_assert(val(c, "pro", "seats")->limit == 20);
	ck_assert(val(c, "pro", "api_calls")->limit == 100000);
	ck_assert(val(c, "pro", "exports")->limit == 50);
	ck_assert(!val(c, "pro", "audit_export")->present);
	ck_assert(val(c, "pro", "support")->present);
	ck_assert_ptr_nonnull(val(c, "pro", "support")->config);

	ck_value_json(c, "free", "sso", "null");
	ck_value_json(c, "pro", "sso", "true");
	ck_value_json(c, "free", "seats", "3");
	ck_value_json(c, "pro", "projects", "\"unlimited\"");
	ck_value_json(c, "free", "projects", "null");
	ck_value_json(c, "free", "support", "\"community\"");
	ck_value_json(c, "pro", "support", "{\"hours\":24,\"tier\":\"email\"}");

	/* the rest of the document */
	ck_assert_int_eq(c->default_plan, 0);
	ck_assert_int_eq(c->seat_feature, feat(c, "seats"));
	ck_assert_uint_eq(c->nperm_features, 2);
	ck_assert_str_eq(c->perm_features[0].pattern, "audit:export");
	ck_assert_uint_eq(c->perm_features[0].feature, (size_t)feat(c, "audit_export"));
	ck_assert_str_eq(c->perm_features[1].pattern, "sso:*");
	ck_assert_uint_eq(c->perm_features[1].feature, (size_t)feat(c, "sso"));
	ck_assert_int_eq(c->past_due_grace_ms, 7 * DAY_MS);
	ck_assert_int_eq(c->version, 0);

	/* lookups */
	ck_assert_int_eq(saas__catalog_plan(c, "free"), 0);
	ck_assert_int_eq(saas__catalog_plan(c, "pro"), 1);
	ck_assert_int_eq(saas__catalog_plan(c, "team"), -1);
	ck_assert_int_eq(saas__catalog_plan(c, NULL), -1);
	ck_assert_int_eq(saas__catalog_plan(NULL, "pro"), -1);
	ck_assert_int_eq(saas__catalog_feature(c, "nope"), -1);
	ck_assert_int_eq(saas__catalog_feature(c, "aaa"), -1);
	ck_assert_int_eq(saas__catalog_feature(c, "zzz"), -1);
	ck_assert_int_eq(saas__catalog_feature(c, NULL), -1);
	ck_assert_int_eq(saas__catalog_feature(NULL, "sso"), -1);
	ck_assert_int_eq(saas__catalog_plan_for_stripe_price(c, "price_pro_yearly"), 1);
	ck_assert_int_eq(saas__catalog_plan_for_stripe_price(c, "price_pro_monthly"), 1);
	ck_assert_int_eq(saas__catalog_plan_for_stripe_price(c, "price_other"), -1);
	ck_assert_int_eq(saas__catalog_plan_for_stripe_price(c, NULL), -1);
	ck_assert_int_eq(saas__catalog_plan_for_stripe_price(NULL, "price_pro_yearly"), -1);

	/* the canonical text and its BLAKE2b-256 */
	ck_assert_ptr_nonnull(c->canonical);
	ck_assert_ptr_null(strchr(c->canonical, '\n'));
	{
		static const char head[] =
			"{\"default_plan\":\"free\",\"features\":{\"api_calls\":";

		ck_assert(strncmp(c->canonical, head, sizeof head - 1) == 0);
	}
	ck_assert_uint_eq(strlen(c->hash), 64);
	ck_assert_uint_eq(strspn(c->hash, "0123456789abcdef"), 64);
	crypto_generichash(h, sizeof h, (const unsigned char *)c->canonical, strlen(c->canonical),
	                   NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	ck_assert_str_eq(c->hash, hex);
	saas__catalog_free(c);
	saas__catalog_free(NULL);
}
END_TEST

START_TEST(the_hash_follows_content_not_form)
{
	struct saas__catalog *a = parse_ok(example), *b = parse_ok(example_reordered), *d;
	char *changed = strdup(example), *p;

	ck_assert_str_eq(a->canonical, b->canonical);
	ck_assert_str_eq(a->hash, b->hash);
	/* the same indexes too: features are sorted, whatever the order given */
	for (size_t i = 0; i < a->nfeatures; i++)
		ck_assert_str_eq(a->features[i].name, b->features[i].name);
	/* one value changed: another hash */
	p = strstr(changed, "'seats': 20");
	ck_assert_ptr_nonnull(p);
	memcpy(p, "'seats': 21", 11);
	d = parse_ok(changed);
	ck_assert_str_ne(a->hash, d->hash);
	ck_assert_str_ne(a->canonical, d->canonical);
	saas__catalog_free(d);
	/* plan order is content: swapping them changes the hash */
	d = parse_ok("{'features':{},'plans':[{'id':'a','name':'A'},{'id':'b','name':'B'}]}");
	saas__catalog_free(a);
	a = parse_ok("{'features':{},'plans':[{'id':'b','name':'B'},{'id':'a','name':'A'}]}");
	ck_assert_str_ne(a->hash, d->hash);
	ck_assert_int_eq(d->default_plan, -1);
	ck_assert_int_eq(d->seat_feature, -1);
	ck_assert_uint_eq(d->nfeatures, 0);
	ck_assert_uint_eq(d->nperm_features, 0);
	ck_assert_int_eq(saas__catalog_feature(d, "seats"), -1);
	saas__catalog_free(d);
	saas__catalog_free(a);
	saas__catalog_free(b);
	free(changed);
}
END_TEST

START_TEST(defaults_and_edges)
{
	struct saas__catalog *c;
	char *big, *json;
	size_t n;

	/* zero is a limit (that denies), not unlimited and not absent */
	c = parse_ok("{'features':{'seats':{'kind':'limit'},"
	             "'api':{'kind':'metered','period':'day'}},"
	             "'plans':[{'id':'free','name':'Free','features':{'seats':0,'api':0}},"
	             "{'id':'max','name':'Max','features':{'seats':9223372036854775807,"
	             "'api':'unlimited'}}],'past_due_grace_days':0}");
	ck_assert(val(c, "free", "seats")->present);
	ck_assert(!val(c, "free", "seats")->unlimited);
	ck_assert_int_eq(val(c, "free", "seats")->limit, 0);
	ck_assert(val(c, "free", "api")->present && val(c, "free", "api")->limit == 0);
	ck_assert_int_eq(val(c, "max", "seats")->limit, INT64_MAX);
	ck_assert(val(c, "max", "api")->unlimited);
	ck_assert(c->features[feat(c, "api")].hard); /* the default */
	ck_assert_int_eq(c->features[feat(c, "api")].period, SAAS__PERIOD_DAY);
	ck_assert_int_eq(c->seat_feature, feat(c, "seats")); /* "seats" by default */
	ck_assert_int_eq(c->past_due_grace_ms, 0);
	ck_value_json(c, "free", "seats", "0");
	ck_value_json(c, "max", "seats", "9223372036854775807");
	ck_value_json(c, "max", "api", "\"unlimited\"");
	saas__catalog_free(c);

	/* "seats" that is not a limit is simply not the seat feature */
	c = parse_ok("{'features':{'seats':{'kind':'boolean'}},'plans':[{'id':'a','name':'A'}],"
	             "'past_due_grace_days':90}");
	ck_assert_int_eq(c->seat_feature, -1);
	ck_assert_int_eq(c->past_due_grace_ms, 90 * DAY_MS);
	saas__catalog_free(c);
	/* another limit named, or none (null) */
	c = parse_ok("{'features':{'seats':{'kind':'limit'},'users':{'kind':'limit'}},"
	             "'plans':[{'id':'a','name':'A'}],'seat_feature':'users','default_plan':null}");
	ck_assert_int_eq(c->seat_feature, feat(c, "users"));
	ck_assert_int_eq(c->default_plan, -1);
	saas__catalog_free(c);
	c = parse_ok("{'features':{'seats':{'kind':'limit'}},'plans':[{'id':'a','name':'A'},"
	             "{'id':'b','name':'B'}],'seat_feature':null,'default_plan':'b'}");
	ck_assert_int_eq(c->seat_feature, -1);
	ck_assert_int_eq(c->default_plan, 1);
	saas__catalog_free(c);

	/* names and ids at their limits; rank and trial days at theirs; every
	 * kind may be readonly_safe; a config can be any JSON but null */
	c = parse_ok("{'features':{"
	             "'a23456789012345678901234567890123456789012345678901234567890123':"
	             "{'kind':'limit','readonly_safe':false},"
	             "'x_1':{'kind':'config','readonly_safe':true},"
	             "'m':{'kind':'metered','period':'week','readonly_safe':true,"
	             "'grace_percent':1000}},"
	             "'plans':[{'id':'0-a_b','name':'\\u00e9t\\u00e9','rank':-1000000,"
	             "'trial_days':730,'features':{'x_1':[1,2.5,false]},'prices':{'stripe':[]}},"
	             "{'id':'z23456789012345678901234567890123456789012345678901234567890123',"
	             "'name':'Z','rank':1000000,'features':{'x_1':0}},"
	             "{'id':'p','name':'P','prices':{}}]}");
	ck_assert_int_eq(c->plans[0].rank, -1000000);
	ck_assert_int_eq(c->plans[0].trial_days, 730);
	ck_assert_str_eq(c->plans[0].name, "\xc3\xa9t\xc3\xa9");
	ck_assert_int_eq(c->plans[1].rank, 1000000);
	ck_assert_int_eq(c->features[feat(c, "m")].grace_percent, 1000);
	ck_assert(c->features[feat(c, "x_1")].readonly_safe);
	ck_value_json(c, "0-a_b", "x_1", "[1,2.5,false]");
	ck_value_json(c, "z23456789012345678901234567890123456789012345678901234567890123", "x_1",
	              "0");
	saas__catalog_free(c);

	/* 256 features and 256 plans */
	big = malloc(1 << 16);
	ck_assert_ptr_nonnull(big);
	n = (size_t)sprintf(big, "{'features':{");
	for (int i = 0; i < 256; i++)
		n += (size_t)sprintf(big + n, "%s'f%03d':{'kind':'boolean'}", i ? "," : "", i);
	n += (size_t)sprintf(big + n, "},'plans':[");
	for (int i = 0; i < 256; i++)
		n += (size_t)sprintf(big + n,
		                     "%s{'id':'p%03d','name':'P','features':{'f%03d':true}}",
		                     i ? "," : "", i, i);
	sprintf(big + n, "]}");
	c = parse_ok(big);
	ck_assert_uint_eq(c->nfeatures, 256);
	ck_assert_uint_eq(c->nplans, 256);
	for (int i = 0; i < 256; i++) {
		char fn[8];

		snprintf(fn, sizeof fn, "f%03d", i);
		ck_assert_int_eq(saas__catalog_feature(c, fn), i);
		ck_assert(c->plans[i].values[i].present && c->plans[i].values[i].enabled);
		ck_assert(!c->plans[i].values[(i + 1) % 256].present);
	}
	saas__catalog_free(c);
	free(big);

	/* exactly 1 MiB of text is fine (padded with whitespace) */
	json = dq("{'features':{},'plans':[{'id':'a','name':'A'}]}");
	big = malloc((1 << 20) + 2);
	ck_assert_ptr_nonnull(big);
	n = strlen(json);
	memset(big, ' ', 1 << 20);
	memcpy(big, json, n);
	big[1 << 20] = '\0';
	c = NULL;
	ck_ok(saas__catalog_parse(&c, big));
	saas__catalog_free(c);
	free(json);
	free(big);
}
END_TEST

START_TEST(values_parse_alone)
{
	struct saas__feature_def b = {.name = "sso", .kind = SAAS__FEAT_BOOLEAN};
	struct saas__feature_def l = {.name = "seats", .kind = SAAS__FEAT_LIMIT};
	struct saas__feature_def m = {.name = "api", .kind = SAAS__FEAT_METERED,
	                              .period = SAAS__PERIOD_MONTH, .hard = true};
	struct saas__feature_def g = {.name = "support", .kind = SAAS__FEAT_CONFIG};
	struct saas__feat_value v = {0};
	json_t *j;

	ck_ok(saas__feat_value_parse(&v, &b, json_false(), "value"));
	ck_assert(v.present && !v.enabled);
	j = saas__feat_value_json(&v, &b);
	ck_assert(json_is_false(j));
	json_decref(j);
	saas__feat_value_clear(&v);
	ck_assert(!v.present);

	j = json_integer(0);
	ck_ok(saas__feat_value_parse(&v, &l, j, "value"));
	ck_assert(v.present && !v.unlimited && v.limit == 0);
	json_decref(j);
	j = json_integer(INT64_MAX);
	ck_ok(saas__feat_value_parse(&v, &m, j, "value"));
	ck_assert(v.present && v.limit == INT64_MAX);
	json_decref(j);
	j = json_string("unlimited");
	ck_ok(saas__feat_value_parse(&v, &m, j, "value"));
	ck_assert(v.present && v.unlimited);
	json_decref(j);

	/* a config value is kept by reference, released by clear */
	j = json_pack("{s:[i,i]}", "a", 1, 2);
	ck_ok(saas__feat_value_parse(&v, &g, j, "value"));
	ck_assert(v.present && v.config == j);
	json_decref(j);
	j = saas__feat_value_json(&v, &g);
	ck_assert(json_equal(j, v.config));
	json_decref(j);
	saas__feat_value_clear(&v);
	ck_assert_ptr_null(v.config);
	j = saas__feat_value_json(&v, &g);
	ck_assert(json_is_null(j));
	json_decref(j);
	saas__feat_value_clear(NULL);

	/* refusals name the field given */
	j = json_integer(-1);
	ck_rc(saas__feat_value_parse(&v, &l, j, "value"), SAAS_EINVAL);
	ck_field("value");
	ck_assert_str_eq(saas_error_message(saas_error_last()),
	                 "feature \"seats\" must be an integer >= 0 or \"unlimited\", not -1");
	ck_assert(!v.present);
	ck_rc(saas__feat_value_parse(&v, &b, j, "overrides.sso"), SAAS_EINVAL);
	ck_field("overrides.sso");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "-1"));
	json_decref(j);
	j = json_real(2.0);
	ck_rc(saas__feat_value_parse(&v, &m, j, "value"), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "not 2"));
	json_decref(j);
	j = json_string("Unlimited");
	ck_rc(saas__feat_value_parse(&v, &l, j, "value"), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "\"Unlimited\""));
	json_decref(j);
	ck_rc(saas__feat_value_parse(&v, &g, json_null(), "value"), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "null"));
	ck_rc(saas__feat_value_parse(&v, &b, json_null(), "value"), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "null"));
	ck_rc(saas__feat_value_parse(&v, &l, NULL, "value"), SAAS_EINVAL);
	ck_rc(saas__feat_value_parse(&v, &g, NULL, "value"), SAAS_EINVAL);
	ck_rc(saas__feat_value_parse(&v, NULL, json_true(), "value"), SAAS_EINVAL);
	ck_rc(saas__feat_value_parse(NULL, &b, json_true(), "value"), SAAS_EINVAL);
	ck_assert(!v.present);
	j = saas__feat_value_json(NULL, &b);
	ck_assert(json_is_null(j));
	json_decref(j);
}
END_TEST

/* A catalogue with one feature set given, one plan. */
#define FEAT(x) "{'features':{" x "},'plans':[{'id':'free','name':'Free'}]}"
/* Four features of each kind, the plans given. */
#define PLANS(x)                                                                           \
	"{'features':{'sso':{'kind':'boolean'},'seats':{'kind':'limit'},"                  \
	"'api':{'kind':'metered','period':'month'},'cfg':{'kind':'config'}},'plans':[" x "]}"
#define PLAN(x) PLANS("{'id':'free','name':'Free'," x "}")
/* Two plans, the top-level members given. */
#define TOP(x)                                                                             \
	"{'features':{'sso':{'kind':'boolean'},'seats':{'kind':'limit'}},"                  \
	"'plans':[{'id':'free','name':'Free'},{'id':'pro','name':'Pro'}]," x "}"

START_TEST(the_document_is_refused)
{
	struct saas__catalog *c = (struct saas__catalog *)1;
	char *big;

	refuse("{'features':", "catalog", "line 1");
	refuse("{'features':{},'plans':[{'id':'a','name':'A'}]} x", "catalog", "line 1");
	refuse("[{'features':{}}]", "catalog", "array");
	refuse("3", "catalog", "catalog");
	refuse("", "catalog", "not valid JSON");
	refuse("{'features':{},'features':{},'plans':[{'id':'a','name':'A'}]}", "catalog",
	       "duplicate");
	refuse("{'features':{'sso':{'kind':'boolean','kind':'limit'}},"
	       "'plans':[{'id':'a','name':'A'}]}",
	       "catalog", "duplicate");
	refuse(TOP("'extra':1"), "extra", "\"extra\"");
	refuse(TOP("'Default_plan':'free'"), "Default_plan", "\"Default_plan\"");
	ck_rc(saas__catalog_parse(&c, NULL), SAAS_EINVAL);
	ck_field("catalog");
	ck_assert_ptr_null(c);
	ck_rc(saas__catalog_parse(NULL, "{}"), SAAS_EINVAL);

	/* more than 1 MiB, even of whitespace */
	big = malloc((1 << 20) + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', (1 << 20) + 1);
	big[0] = '{';
	big[(1 << 20)] = '}';
	big[(1 << 20) + 1] = '\0';
	ck_rc(saas__catalog_parse(&c, big), SAAS_EINVAL);
	ck_field("catalog");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "1048576"));
	free(big);
}
END_TEST

START_TEST(features_are_refused)
{
	char *big;
	size_t n;

	refuse("{'plans':[{'id':'a','name':'A'}]}", "features", "\"features\"");
	refuse("{'features':[],'plans':[{'id':'a','name':'A'}]}", "features", "an array");
	refuse(FEAT("'sso':true"), "features.sso", "true");
	refuse(FEAT("'sso':{'kind':'boolean','color':'red'}"), "features.sso.color", "\"color\"");
	refuse(FEAT("'sso':{}"), "features.sso.kind", "\"kind\" is required");
	refuse(FEAT("'sso':{'kind':'toggle'}"), "features.sso.kind", "\"toggle\"");
	refuse(FEAT("'sso':{'kind':'Boolean'}"), "features.sso.kind", "\"Boolean\"");
	refuse(FEAT("'sso':{'kind':1}"), "features.sso.kind", "not 1");
	refuse(FEAT("'sso':{'kind':'boolean','readonly_safe':'yes'}"), "features.sso.readonly_safe",
	       "\"yes\"");
	/* keys valid only for another kind */
	refuse(FEAT("'sso':{'kind':'boolean','period':'day'}"), "features.sso.period",
	       "only for metered features, not boolean");
	refuse(FEAT("'seats':{'kind':'limit','enforcement':'hard'}"), "features.seats.enforcement",
	       "limit");
	refuse(FEAT("'cfg':{'kind':'config','grace_percent':0}"), "features.cfg.grace_percent",
	       "config");
	/* metered */
	refuse(FEAT("'api':{'kind':'metered'}"), "features.api.period", "\"period\"");
	refuse(FEAT("'api':{'kind':'metered','period':'fortnight'}"), "features.api.period",
	       "\"fortnight\"");
	refuse(FEAT("'api':{'kind':'metered','period':null}"), "features.api.period", "null");
	refuse(FEAT("'api':{'kind':'metered','period':'month','enforcement':'strict'}"),
	       "features.api.enforcement", "\"strict\"");
	refuse(FEAT("'api':{'kind':'metered','period':'month','enforcement':true}"),
	       "features.api.enforcement", "true");
	refuse(FEAT("'api':{'kind':'metered','period':'month','grace_percent':1001}"),
	       "features.api.grace_percent", "1001");
	refuse(FEAT("'api':{'kind':'metered','period':'month','grace_percent':-1}"),
	       "features.api.grace_percent", "-1");
	refuse(FEAT("'api':{'kind':'metered','period':'month','grace_percent':5.5}"),
	       "features.api.grace_percent", "5.5");
	refuse(FEAT("'api':{'kind':'metered','period':'month','enforcement':'soft',"
	            "'grace_percent':5}"),
	       "features.api.grace_percent", "hard");
	/* names */
	refuse(FEAT("'Sso':{'kind':'boolean'}"), "features.Sso", "\"Sso\"");
	refuse(FEAT("'1sso':{'kind':'boolean'}"), "features.1sso", "\"1sso\"");
	refuse(FEAT("'_sso':{'kind':'boolean'}"), "features._sso", "\"_sso\"");
	refuse(FEAT("'s-so':{'kind':'boolean'}"), "features.s-so", "\"s-so\"");
	refuse(FEAT("'s so':{'kind':'boolean'}"), "features.s so", "\"s so\"");
	refuse(FEAT("'':{'kind':'boolean'}"), "features.", "\"\"");
	refuse(FEAT("'a234567890123456789012345678901234567890123456789012345678901234':"
	            "{'kind':'boolean'}"),
	       "features.a2345678901234567890123456789012345678*", /* the record may cut it */
	       "a234567890123456789012345678901234567890123456789012345678901234");

	/* 257 features */
	big = malloc(1 << 16);
	ck_assert_ptr_nonnull(big);
	n = (size_t)sprintf(big, "{'features':{");
	for (int i = 0; i < 257; i++)
		n += (size_t)sprintf(big + n, "%s'f%03d':{'kind':'boolean'}", i ? "," : "", i);
	sprintf(big + n, "},'plans':[{'id':'a','name':'A'}]}");
	refuse(big, "features", "257");
	free(big);
}
END_TEST

START_TEST(plans_are_refused)
{
	char *big;
	size_t n;

	refuse("{'features':{}}", "plans", "\"plans\"");
	refuse("{'features':{},'plans':{}}", "plans", "an object");
	refuse("{'features':{},'plans':[]}", "plans", "0 plans");
	refuse(PLANS("'free'"), "plans[0]", "\"free\"");
	refuse(PLANS("{'name':'Free'}"), "plans[0].id", "\"id\"");
	refuse(PLANS("{'id':'Free','name':'Free'}"), "plans[0].id", "\"Free\"");
	refuse(PLANS("{'id':'-free','name':'Free'}"), "plans[0].id", "\"-free\"");
	refuse(PLANS("{'id':'_free','name':'Free'}"), "plans[0].id", "\"_free\"");
	refuse(PLANS("{'id':'fr ee','name':'Free'}"), "plans[0].id", "\"fr ee\"");
	refuse(PLANS("{'id':'','name':'Free'}"), "plans[0].id", "\"\"");
	refuse(PLANS("{'id':7,'name':'Free'}"), "plans[0].id", "7");
	refuse(PLANS("{'id':'a234567890123456789012345678901234567890123456789012345678901234',"
	             "'name':'A'}"),
	       "plans[0].id", "a234567890123456789012345678901234567890123456789012345678901234");
	refuse(PLANS("{'id':'free','name':'Free'},{'id':'pro','name':'Pro'},"
	             "{'id':'free','name':'F'}"),
	       "plans[2].id", "\"free\"");
	refuse(PLAN("'price':1"), "plans[0].price", "\"price\"");
	refuse(PLANS("{'id':'free'}"), "plans[0].name", "\"name\"");
	refuse(PLANS("{'id':'free','name':''}"), "plans[0].name", "\"\"");
	refuse(PLANS("{'id':'free','name':3}"), "plans[0].name", "3");
	refuse(PLANS("{'id':'free','name':'a\\u0001b'}"), "plans[0].name", "\"a?b\"");
	refuse(PLAN("'rank':1000001"), "plans[0].rank", "1000001");
	refuse(PLAN("'rank':-1000001"), "plans[0].rank", "-1000001");
	refuse(PLAN("'rank':'1'"), "plans[0].rank", "\"1\"");
	refuse(PLAN("'rank':1.0"), "plans[0].rank", "not 1");
	refuse(PLAN("'trial_days':731"), "plans[0].trial_days", "731");
	refuse(PLAN("'trial_days':-1"), "plans[0].trial_days", "-1");
	refuse(PLAN("'trial_days':null"), "plans[0].trial_days", "null");

	/* features of a plan */
	refuse(PLAN("'features':[]"), "plans[0].features", "an array");
	refuse(PLAN("'features':{'sms':true}"), "plans[0].features.sms", "\"sms\"");
	refuse(PLANS("{'id':'free','name':'Free'},"
	             "{'id':'pro','name':'Pro','features':{'seats':-3}}"),
	       "plans[1].features.seats",
	       "plan \"pro\": feature \"seats\" must be an integer >= 0 or \"unlimited\", not -3");
	refuse(PLAN("'features':{'seats':null}"), "plans[0].features.seats", "not null");
	refuse(PLAN("'features':{'seats':2.5}"), "plans[0].features.seats", "not 2.5");
	refuse(PLAN("'features':{'seats':true}"), "plans[0].features.seats", "not true");
	refuse(PLAN("'features':{'seats':'infinite'}"), "plans[0].features.seats", "\"infinite\"");
	refuse(PLAN("'features':{'api':-1}"), "plans[0].features.api", "not -1");
	refuse(PLAN("'features':{'api':{}}"), "plans[0].features.api", "an object");
	refuse(PLAN("'features':{'sso':1}"), "plans[0].features.sso",
	       "must be true or false, not 1");
	refuse(PLAN("'features':{'sso':'true'}"), "plans[0].features.sso", "\"true\"");
	refuse(PLAN("'features':{'sso':null}"), "plans[0].features.sso", "null");
	refuse(PLAN("'features':{'cfg':null}"), "plans[0].features.cfg", "null");
	/* a refusal after a config value was kept: nothing leaks */
	refuse(PLAN("'features':{'cfg':{'a':[1]},'seats':-1}"), "plans[0].features.seats", "-1");

	/* prices */
	refuse(PLAN("'prices':[]"), "plans[0].prices", "an array");
	refuse(PLAN("'prices':{'paddle':[]}"), "plans[0].prices.paddle", "\"paddle\"");
	refuse(PLAN("'prices':{'stripe':'price_a'}"), "plans[0].prices.stripe", "\"price_a\"");
	refuse(PLAN("'prices':{'stripe':['price_a',3]}"), "plans[0].prices.stripe[1]", "3");
	refuse(PLAN("'prices':{'stripe':['']}"), "plans[0].prices.stripe[0]", "\"\"");
	refuse(PLAN("'prices':{'stripe':['price a']}"), "plans[0].prices.stripe[0]", "\"price a\"");
	refuse(PLAN("'prices':{'stripe':['pr\\u00edce']}"), "plans[0].prices.stripe[0]",
	       "printable");
	refuse(PLAN("'prices':{'stripe':['price_a','price_b','price_a']}"),
	       "plans[0].prices.stripe[2]", "\"price_a\" is listed twice");
	refuse(PLANS("{'id':'free','name':'Free','prices':{'stripe':['price_x']},"
	             "'features':{'cfg':1}},"
	             "{'id':'pro','name':'Pro','prices':{'stripe':['price_y','price_x']}}"),
	       "plans[1].prices.stripe[1]",
	       "\"price_x\" is in both plan \"free\" and plan \"pro\"");

	/* 257 plans */
	big = malloc(1 << 16);
	ck_assert_ptr_nonnull(big);
	n = (size_t)sprintf(big, "{'features':{},'plans':[");
	for (int i = 0; i < 257; i++)
		n += (size_t)sprintf(big + n, "%s{'id':'p%03d','name':'P'}", i ? "," : "", i);
	sprintf(big + n, "]}");
	refuse(big, "plans", "257");
	/* a price of 255 bytes, and of 256; a name of 200 bytes, and of 201 */
	for (int len = 255; len <= 256; len++) {
		char price[257];

		memset(price, 'p', (size_t)len);
		price[len] = '\0';
		sprintf(big, PLAN("'prices':{'stripe':['%s']}"), price);
		if (len == 255)
			saas__catalog_free(parse_ok(big));
		else
			refuse(big, "plans[0].prices.stripe[0]", "255");
	}
	for (int len = 200; len <= 201; len++) {
		char name[202];

		memset(name, 'n', (size_t)len);
		name[len] = '\0';
		sprintf(big, PLANS("{'id':'free','name':'%s'}"), name);
		if (len == 200)
			saas__catalog_free(parse_ok(big));
		else
			refuse(big, "plans[0].name", "200 bytes");
	}
	free(big);
}
END_TEST

START_TEST(the_rest_is_refused)
{
	char *big;
	size_t n;

	refuse(TOP("'default_plan':'gold'"), "default_plan", "\"gold\"");
	refuse(TOP("'default_plan':1"), "default_plan", "not 1");
	refuse(TOP("'default_plan':'Free'"), "default_plan", "\"Free\"");
	refuse(TOP("'seat_feature':'sso'"), "seat_feature", "\"sso\", a boolean feature");
	refuse(TOP("'seat_feature':'users'"), "seat_feature", "\"users\"");
	refuse(TOP("'seat_feature':true"), "seat_feature", "true");
	refuse(TOP("'past_due_grace_days':91"), "past_due_grace_days", "91");
	refuse(TOP("'past_due_grace_days':-1"), "past_due_grace_days", "-1");
	refuse(TOP("'permission_features':[]"), "permission_features", "an array");
	refuse(TOP("'permission_features':{'SSO':'sso'}"), "permission_features.SSO", "\"SSO\"");
	refuse(TOP("'permission_features':{'sso':'sso'}"), "permission_features.sso", "\"sso\"");
	refuse(TOP("'permission_features':{'sso*:login':'sso'}"), "permission_features.sso*:login",
	       "\"sso*:login\"");
	refuse(TOP("'permission_features':{'sso:':'sso'}"), "permission_features.sso:", "\"sso:\"");
	refuse(TOP("'permission_features':{'sso:*':'nope'}"), "permission_features.sso:*",
	       "\"nope\"");
	refuse(TOP("'permission_features':{'sso:*':'seats'}"), "permission_features.sso:*",
	       "\"seats\" is a limit feature");
	refuse(TOP("'permission_features':{'sso:*':true}"), "permission_features.sso:*", "true");
	/* every pattern form saas_permission_check takes */
	{
		struct saas__catalog *c = parse_ok(TOP("'permission_features':{'*':'sso',"
		                                       "'*:export':'sso','audit:*':'sso',"
		                                       "'a_b-c:x':'sso'}"));

		ck_assert_uint_eq(c->nperm_features, 4);
		ck_assert_str_eq(c->perm_features[0].pattern, "*");
		ck_assert_str_eq(c->perm_features[1].pattern, "*:export");
		ck_assert_str_eq(c->perm_features[2].pattern, "a_b-c:x");
		ck_assert_str_eq(c->perm_features[3].pattern, "audit:*");
		saas__catalog_free(c);
	}

	/* 257 permission features (256 are fine) */
	big = malloc(1 << 16);
	ck_assert_ptr_nonnull(big);
	for (int total = 256; total <= 257; total++) {
		n = (size_t)sprintf(big, "{'features':{'sso':{'kind':'boolean'}},"
		                         "'plans':[{'id':'a','name':'A'}],'permission_features':{");
		for (int i = 0; i < total; i++)
			n += (size_t)sprintf(big + n, "%s'r%03d:read':'sso'", i ? "," : "", i);
		sprintf(big + n, "}}");
		if (total == 256) {
			struct saas__catalog *c = parse_ok(big);

			ck_assert_uint_eq(c->nperm_features, 256);
			saas__catalog_free(c);
		} else {
			refuse(big, "permission_features", "257");
		}
	}
	free(big);
}
END_TEST

/* ---- periods ------------------------------------------------------------------------ */

static int64_t T(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
	                .tm_min = mi, .tm_sec = s};

	return (int64_t)timegm(&tm) * 1000;
}

#define ck_bounds(period, anchor, now, s, e) ck_bounds_at(__LINE__, period, anchor, now, s, e)
static void ck_bounds_at(int line, int period, int64_t anchor, int64_t now, int64_t s, int64_t e)
{
	int64_t gs = 0, ge = 0;
	char a[32], b[32], c[32], d[32], n[32];
	int rc = saas__period_bounds(&gs, &ge, period, anchor, now);

	ck_assert_msg(rc == SAAS_OK, "line %d: %s", line, saas_error_message(saas_error_last()));
	saas__time_rfc3339(a, gs);
	saas__time_rfc3339(b, ge);
	saas__time_rfc3339(c, s);
	saas__time_rfc3339(d, e);
	saas__time_rfc3339(n, now);
	ck_assert_msg(gs == s && ge == e, "line %d: %s at %s: [%s, %s), expected [%s, %s)", line,
	              saas__period_name(period), n, a, b, c, d);
}

/* Each of [s, e) at now == s, e - 1, and the next period at e. */
static void ck_edges(int period, int64_t anchor, int64_t s, int64_t e, int64_t next_e)
{
	ck_bounds(period, anchor, s, s, e);
	ck_bounds(period, anchor, s + 1, s, e);
	ck_bounds(period, anchor, e - 1, s, e);
	ck_bounds(period, anchor, e, e, next_e);
}

START_TEST(periods_at_their_boundaries)
{
	int64_t a;

	/* day */
	ck_edges(SAAS__PERIOD_DAY, 0, T(2026, 3, 15, 0, 0, 0), T(2026, 3, 16, 0, 0, 0),
	         T(2026, 3, 17, 0, 0, 0));
	ck_edges(SAAS__PERIOD_DAY, 0, T(2028, 2, 29, 0, 0, 0), T(2028, 3, 1, 0, 0, 0),
	         T(2028, 3, 2, 0, 0, 0));
	ck_bounds(SAAS__PERIOD_DAY, 0, 0, 0, DAY_MS);
	/* ISO week: from Monday 00:00; 2026-03-16 is a Monday */
	ck_edges(SAAS__PERIOD_WEEK, 0, T(2026, 3, 16, 0, 0, 0), T(2026, 3, 23, 0, 0, 0),
	         T(2026, 3, 30, 0, 0, 0));
	ck_bounds(SAAS__PERIOD_WEEK, 0, T(2026, 3, 22, 23, 59, 59), T(2026, 3, 16, 0, 0, 0),
	          T(2026, 3, 23, 0, 0, 0)); /* Sunday */
	/* a week across a new year (2026-01-01 is a Thursday) */
	ck_bounds(SAAS__PERIOD_WEEK, 0, T(2026, 1, 1, 12, 0, 0), T(2025, 12, 29, 0, 0, 0),
	          T(2026, 1, 5, 0, 0, 0));
	/* the epoch was a Thursday too: its week began in 1969 */
	ck_bounds(SAAS__PERIOD_WEEK, 0, 0, T(1969, 12, 29, 0, 0, 0), T(1970, 1, 5, 0, 0, 0));
	/* month */
	ck_edges(SAAS__PERIOD_MONTH, 0, T(2026, 2, 1, 0, 0, 0), T(2026, 3, 1, 0, 0, 0),
	         T(2026, 4, 1, 0, 0, 0));
	ck_edges(SAAS__PERIOD_MONTH, 0, T(2026, 12, 1, 0, 0, 0), T(2027, 1, 1, 0, 0, 0),
	         T(2027, 2, 1, 0, 0, 0));
	ck_edges(SAAS__PERIOD_MONTH, 0, T(2028, 2, 1, 0, 0, 0), T(2028, 3, 1, 0, 0, 0),
	         T(2028, 4, 1, 0, 0, 0));
	/* year */
	ck_edges(SAAS__PERIOD_YEAR, 0, T(2026, 1, 1, 0, 0, 0), T(2027, 1, 1, 0, 0, 0),
	         T(2028, 1, 1, 0, 0, 0));

	/* billing cycle from the 31st: the last day of shorter months, then back */
	a = T(2026, 1, 31, 10, 0, 0);
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, a, T(2026, 2, 28, 10, 0, 0),
	         T(2026, 3, 31, 10, 0, 0));
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, T(2026, 2, 28, 10, 0, 0), T(2026, 3, 31, 10, 0, 0),
	         T(2026, 4, 30, 10, 0, 0));
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, T(2026, 4, 30, 10, 0, 0), T(2026, 5, 31, 10, 0, 0),
	         T(2026, 6, 30, 10, 0, 0));
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, T(2026, 12, 31, 10, 0, 0), T(2027, 1, 31, 10, 0, 0),
	         T(2027, 2, 28, 10, 0, 0));
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, T(2028, 1, 31, 10, 0, 0), T(2028, 2, 29, 10, 0, 0),
	         T(2028, 3, 31, 10, 0, 0));
	/* before the anchor's time of day on the anchor's day: the cycle before */
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, a, T(2026, 3, 31, 9, 0, 0), T(2026, 2, 28, 10, 0, 0),
	          T(2026, 3, 31, 10, 0, 0));
	/* from a leap day */
	a = T(2028, 2, 29, 0, 0, 0);
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, a, T(2028, 3, 29, 0, 0, 0),
	         T(2028, 4, 29, 0, 0, 0));
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, T(2029, 1, 29, 0, 0, 0), T(2029, 2, 28, 0, 0, 0),
	         T(2029, 3, 29, 0, 0, 0));
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, T(2029, 2, 28, 0, 0, 0), T(2029, 3, 29, 0, 0, 0),
	         T(2029, 4, 29, 0, 0, 0));
	/* an anchor in the future: cycles count back from it */
	a = T(2026, 6, 15, 12, 30, 0) + 250;
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, a, T(2026, 3, 1, 0, 0, 0),
	          T(2026, 2, 15, 12, 30, 0) + 250, T(2026, 3, 15, 12, 30, 0) + 250);
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, a, a - 1, T(2026, 5, 15, 12, 30, 0) + 250, a);
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, a, 0, T(1969, 12, 15, 12, 30, 0) + 250,
	          T(1970, 1, 15, 12, 30, 0) + 250);
	/* an anchor on the 31st, far in the future */
	a = T(2030, 3, 31, 23, 59, 59) + 999;
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, a, T(2026, 2, 28, 23, 59, 59) + 999,
	          T(2026, 2, 28, 23, 59, 59) + 999, T(2026, 3, 31, 23, 59, 59) + 999);
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, a, T(2026, 2, 28, 23, 59, 59) + 998,
	          T(2026, 1, 31, 23, 59, 59) + 999, T(2026, 2, 28, 23, 59, 59) + 999);
	/* the anchor is read only for billing cycles */
	ck_bounds(SAAS__PERIOD_DAY, -5, T(2026, 3, 15, 1, 0, 0), T(2026, 3, 15, 0, 0, 0),
	          T(2026, 3, 16, 0, 0, 0));
	ck_bounds(SAAS__PERIOD_MONTH, INT64_MAX, T(2026, 3, 15, 1, 0, 0), T(2026, 3, 1, 0, 0, 0),
	          T(2026, 4, 1, 0, 0, 0));
}
END_TEST

START_TEST(periods_far_out)
{
	int64_t y2038 = T(2038, 1, 19, 3, 14, 8), a;

	ck_assert_int_eq(y2038, (int64_t)INT32_MAX * 1000 + 1000);
	ck_bounds(SAAS__PERIOD_DAY, 0, y2038, T(2038, 1, 19, 0, 0, 0), T(2038, 1, 20, 0, 0, 0));
	ck_bounds(SAAS__PERIOD_WEEK, 0, y2038, T(2038, 1, 18, 0, 0, 0), T(2038, 1, 25, 0, 0, 0));
	ck_bounds(SAAS__PERIOD_MONTH, 0, y2038, T(2038, 1, 1, 0, 0, 0), T(2038, 2, 1, 0, 0, 0));
	ck_bounds(SAAS__PERIOD_YEAR, 0, y2038, T(2038, 1, 1, 0, 0, 0), T(2039, 1, 1, 0, 0, 0));
	a = y2038 - 1000;
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, a, a, T(2038, 2, 19, 3, 14, 7),
	         T(2038, 3, 19, 3, 14, 7));
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, T(2026, 1, 31, 10, 0, 0), y2038,
	          T(2037, 12, 31, 10, 0, 0), T(2038, 1, 31, 10, 0, 0));
	/* 2100 is not a leap year */
	ck_edges(SAAS__PERIOD_MONTH, 0, T(2100, 2, 1, 0, 0, 0), T(2100, 3, 1, 0, 0, 0),
	         T(2100, 4, 1, 0, 0, 0));
	ck_edges(SAAS__PERIOD_BILLING_CYCLE, T(2096, 2, 29, 6, 0, 0), T(2100, 1, 29, 6, 0, 0),
	         T(2100, 2, 28, 6, 0, 0), T(2100, 3, 29, 6, 0, 0));
	/* 2000 is */
	ck_edges(SAAS__PERIOD_MONTH, 0, T(2000, 2, 1, 0, 0, 0), T(2000, 3, 1, 0, 0, 0),
	         T(2000, 4, 1, 0, 0, 0));
	/* the last instant in range; the periods may end past it */
	ck_assert_int_eq(T(10000, 1, 1, 0, 0, 0), MAX_MS);
	ck_bounds(SAAS__PERIOD_DAY, 0, MAX_MS - 1, MAX_MS - DAY_MS, MAX_MS);
	ck_bounds(SAAS__PERIOD_MONTH, 0, MAX_MS - 1, T(9999, 12, 1, 0, 0, 0), MAX_MS);
	ck_bounds(SAAS__PERIOD_YEAR, 0, MAX_MS - 1, T(9999, 1, 1, 0, 0, 0), MAX_MS);
	ck_bounds(SAAS__PERIOD_WEEK, 0, MAX_MS - 1, T(9999, 12, 27, 0, 0, 0),
	          T(10000, 1, 3, 0, 0, 0)); /* 9999-12-31 is a Friday */
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, T(9999, 12, 31, 0, 0, 0), MAX_MS - 1,
	          T(9999, 12, 31, 0, 0, 0), T(10000, 1, 31, 0, 0, 0));
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, T(9999, 12, 31, 0, 0, 0), 0,
	          T(1969, 12, 31, 0, 0, 0), T(1970, 1, 31, 0, 0, 0));
	ck_bounds(SAAS__PERIOD_BILLING_CYCLE, 0, MAX_MS - 1, T(9999, 12, 1, 0, 0, 0), MAX_MS);
}
END_TEST

START_TEST(periods_refused)
{
	int64_t s = 7, e = 9;

	ck_rc(saas__period_bounds(&s, &e, SAAS__PERIOD_DAY, 0, -1), SAAS_EINVAL);
	ck_field("now");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "-1"));
	ck_rc(saas__period_bounds(&s, &e, SAAS__PERIOD_MONTH, 0, MAX_MS), SAAS_EINVAL);
	ck_field("now");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "253402300800000"));
	ck_rc(saas__period_bounds(&s, &e, SAAS__PERIOD_YEAR, 0, INT64_MAX), SAAS_EINVAL);
	ck_field("now");
	ck_rc(saas__period_bounds(&s, &e, SAAS__PERIOD_WEEK, 0, INT64_MIN), SAAS_EINVAL);
	ck_field("now");
	ck_rc(saas__period_bounds(&s, &e, SAAS__PERIOD_BILLING_CYCLE, -1, 0), SAAS_EINVAL);
	ck_field("anchor");
	ck_rc(saas__period_bounds(&s, &e, SAAS__PERIOD_BILLING_CYCLE, MAX_MS, 0), SAAS_EINVAL);
	ck_field("anchor");
	ck_rc(saas__period_bounds(&s, &e, SAAS__PERIOD_BILLING_CYCLE, INT64_MIN, 0), SAAS_EINVAL);
	ck_field("anchor");
	ck_rc(saas__period_bounds(&s, &e, SAAS__PERIOD_BILLING_CYCLE, 0, -5), SAAS_EINVAL);
	ck_field("now");
	ck_rc(saas__period_bounds(&s, &e, 0, 0, 0), SAAS_EINVAL);
	ck_field("period");
	ck_rc(saas__period_bounds(&s, &e, 6, 0, 0), SAAS_EINVAL);
	ck_field("period");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "6"));
	ck_rc(saas__period_bounds(&s, &e, -1, 0, 0), SAAS_EINVAL);
	ck_field("period");
	ck_rc(saas__period_bounds(NULL, &e, SAAS__PERIOD_DAY, 0, 0), SAAS_EINVAL);
	ck_rc(saas__period_bounds(&s, NULL, SAAS__PERIOD_DAY, 0, 0), SAAS_EINVAL);
	/* refusals change nothing */
	ck_assert_int_eq(s, 7);
	ck_assert_int_eq(e, 9);

	/* names */
	for (int p = SAAS__PERIOD_DAY; p <= SAAS__PERIOD_BILLING_CYCLE; p++)
		ck_assert_int_eq(saas__period_from_name(saas__period_name(p)), p);
	ck_assert_str_eq(saas__period_name(SAAS__PERIOD_DAY), "day");
	ck_assert_str_eq(saas__period_name(SAAS__PERIOD_WEEK), "week");
	ck_assert_str_eq(saas__period_name(SAAS__PERIOD_MONTH), "month");
	ck_assert_str_eq(saas__period_name(SAAS__PERIOD_YEAR), "year");
	ck_assert_str_eq(saas__period_name(SAAS__PERIOD_BILLING_CYCLE), "billing_cycle");
	ck_assert_str_eq(saas__period_name(0), "unknown");
	ck_assert_str_eq(saas__period_name(6), "unknown");
	ck_assert_int_eq(saas__period_from_name(NULL), -1);
	ck_assert_int_eq(saas__period_from_name("Day"), -1);
	ck_assert_int_eq(saas__period_from_name(""), -1);
	ck_assert_int_eq(saas__period_from_name("billing-cycle"), -1);
	ck_assert_int_eq(saas__period_from_name("unknown"), -1);
}
END_TEST

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int64_t rnd_in(int64_t lo, int64_t hi) /* [lo, hi) */
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo));
}

static int mdays(int y, int m) /* m 0..11 */
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : dim[m];
}

static struct tm utc(int64_t ms)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		ck_abort_msg("gmtime_r(%lld) failed", (long long)t);
	return tm;
}

static int64_t clamp(int64_t v)
{
	return v < 0 ? 0 : v >= MAX_MS ? MAX_MS - 1 : v;
}

static int64_t tod(int64_t ms)
{
	return (ms % DAY_MS + DAY_MS) % DAY_MS;
}

/* What is wrong with [s, e) as the period `p` holding `now`, or NULL. Plain
 * tests rather than ck_assert: Check reports every assertion to the parent
 * process, which would dominate a million of them. */
static const char *period_wrong(int p, int64_t anchor, int64_t now, int64_t s, int64_t e)
{
	struct tm ts = utc(s), te = utc(e), tn = utc(now), ta;
	int want_s, want_e;

	if (!(s <= now && now < e))
		return "now is outside [start, end)";
	switch (p) {
	case SAAS__PERIOD_DAY:
		if (e - s != DAY_MS || tod(s) != 0)
			return "not a whole day from midnight";
		break;
	case SAAS__PERIOD_WEEK:
		if (e - s != 7 * DAY_MS || tod(s) != 0 || ts.tm_wday != 1)
			return "not seven days from a Monday midnight";
		break;
	case SAAS__PERIOD_MONTH:
		if (tod(s) != 0 || ts.tm_mday != 1 || te.tm_mday != 1 || ts.tm_year != tn.tm_year ||
		    ts.tm_mon != tn.tm_mon || e - s != mdays(ts.tm_year + 1900, ts.tm_mon) * DAY_MS)
			return "not now's calendar month";
		break;
	case SAAS__PERIOD_YEAR:
		if (tod(s) != 0 || ts.tm_yday != 0 || te.tm_yday != 0 || ts.tm_year != tn.tm_year ||
		    te.tm_year != tn.tm_year + 1)
			return "not now's calendar year";
		break;
	default:
		ta = utc(anchor);
		want_s = ta.tm_mday < mdays(ts.tm_year + 1900, ts.tm_mon)
		                 ? ta.tm_mday
		                 : mdays(ts.tm_year + 1900, ts.tm_mon);
		want_e = ta.tm_mday < mdays(te.tm_year + 1900, te.tm_mon)
		                 ? ta.tm_mday
		                 : mdays(te.tm_year + 1900, te.tm_mon);
		if (ts.tm_mday != want_s || te.tm_mday != want_e)
			return "a cycle's day is not min(anchor's day, days in the month)";
		if (tod(s) != tod(anchor) || tod(e) != tod(anchor))
			return "a cycle's time of day is not the anchor's";
		if ((te.tm_year - ts.tm_year) * 12 + (te.tm_mon - ts.tm_mon) != 1)
			return "a cycle is not one month long";
		if (s <= anchor && anchor < e && s != anchor)
			return "the anchor is not a cycle's start";
		break;
	}
	return NULL;
}

START_TEST(periods_hold_their_properties)
{
	const char *seed_env = getenv("SAAS_TEST_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 20260131;
	long checked = 0, contiguous = 0;

	rng_state = seed;
	for (int i = 0; i < 100000; i++) {
		int64_t anchor = rnd_in(0, MAX_MS), now;

		/* uniform instants rarely fall on an edge: aim at some */
		switch (rnd() % 4) {
		case 0:
			now = rnd_in(0, MAX_MS);
			break;
		case 1: /* around a midnight */
			now = rnd_in(0, MAX_MS / DAY_MS) * DAY_MS + rnd_in(-1, 2);
			break;
		case 2: /* within a few years of the anchor */
			now = anchor + rnd_in(-3 * 366 * DAY_MS, 3 * 366 * DAY_MS);
			break;
		default: /* at the anchor's time of day, give or take a millisecond */
			now = rnd_in(0, MAX_MS / DAY_MS) * DAY_MS + anchor % DAY_MS + rnd_in(-1, 2);
			break;
		}
		now = clamp(now);
		for (int p = SAAS__PERIOD_DAY; p <= SAAS__PERIOD_BILLING_CYCLE; p++) {
			int64_t s = 0, e = 0, s2 = 0, e2 = 0;
			const char *wrong = NULL;

			if (saas__period_bounds(&s, &e, p, anchor, now) != SAAS_OK)
				wrong = saas_error_message(saas_error_last());
			else
				wrong = period_wrong(p, anchor, now, s, e);
			/* contiguous: the next period starts where this one ends */
			if (!wrong && e < MAX_MS) {
				if (saas__period_bounds(&s2, &e2, p, anchor, e) || s2 != e)
					wrong = "the next period does not start at the end";
				contiguous++;
			}
			if (wrong)
				ck_abort_msg("seed %" PRIu64 " i %d: %s anchor %" PRId64
				             " now %" PRId64 ": [%" PRId64 ", %" PRId64 "): %s",
				             seed, i, saas__period_name(p), anchor, now, s, e,
				             wrong);
			checked++;
		}
	}
	ck_assert_int_eq(checked, 500000);
	ck_assert_int_gt(contiguous, 499000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("billing_catalog");
	TCase *tc = tcase_create("billing_catalog");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, the_example_parses);
	tcase_add_test(tc, the_hash_follows_content_not_form);
	tcase_add_test(tc, defaults_and_edges);
	tcase_add_test(tc, values_parse_alone);
	tcase_add_test(tc, the_document_is_refused);
	tcase_add_test(tc, features_are_refused);
	tcase_add_test(tc, plans_are_refused);
	tcase_add_test(tc, the_rest_is_refused);
	tcase_add_test(tc, periods_at_their_boundaries);
	tcase_add_test(tc, periods_far_out);
	tcase_add_test(tc, periods_refused);
	tcase_add_test(tc, periods_hold_their_properties);
	suite_add_tcase(s, tc);
	return th_run(s);
}
