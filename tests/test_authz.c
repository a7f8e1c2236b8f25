/*
 * saas_authorize and support grants (saas/authz.h): every reason code, the
 * explanations, the tenant's status rules, audited denials, the decision
 * cache (in-process invalidation, another context's changes within the
 * bound, the LRU bound, the cache turned off), and every refusal; on
 * memory:, sqlite: and, when SAAS_TEST_POSTGRES_URL is set, PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "audit_helpers.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static const char *tenant;
static const char *alice, *bob, *carol; /* owner, admin, viewer */
static saas_decision *d;
static char db[300];
/* The scopes as() made, freed at teardown. */
static saas_scope *made[4096];
static size_t nmade;


#define POLICY                                                                           \
	"{\"roles\":{\"member\":{\"permissions\":[\"project:*\"]},"                           \
	"\"viewer\":{\"permissions\":[\"project:read\"]}},"                                   \
	"\"read_actions\":[\"download\"]}"

static saas_ctx *open_with(unsigned cache_size, unsigned refresh_ms, const char *policy)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c;

	o.clock = th_clock;
	o.rbac_policy = policy;
	o.authz_cache_size = cache_size;
	o.authz_refresh_ms = refresh_ms;
	ck_ok(saas_ctx_open(&c, db, &o));
	return c;
}

/* The tenant acme with its owner, admin and viewer. */
static void populate(void)
{
	tenant = th_tenant(ctx, "acme");
	alice = th_user(ctx, "alice@example.com");
	bob = th_user(ctx, "bob@example.com");
	carol = th_user(ctx, "carol@example.com");
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), alice, (const char *[]){"owner"}, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), bob, (const char *[]){"admin"}, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), carol, (const char *[]){"viewer"}, 1));
}

static void setup(void)
{
	/* th_open empties a PostgreSQL database; then contexts of our own on
	 * it (or on a file of our own for sqlite:). */
	saas_ctx_free(th_open(url));
	snprintf(db, sizeof db, "%s", url);
	if (strcmp(url, "sqlite:") == 0) {
		snprintf(db, sizeof db, "sqlite:/tmp/saas-authz-%d.db", (int)getpid());
		th_remove_db(db + 7);
	}
	ctx = open_with(100000, 1000, POLICY);
	populate();
	ck_ok(saas_decision_new(&d));
}

/* Open the main context again with other options. A memory: database goes
 * with its context, so it is populated again (new ids). */
static void reopen(unsigned cache_size, unsigned refresh_ms, const char *policy)
{
	saas_ctx_free(ctx);
	ctx = open_with(cache_size, refresh_ms, policy);
	if (strcmp(url, "memory:") == 0)
		populate();
}

static void teardown(void)
{
	while (nmade)
		saas_scope_free(made[--nmade]);
	saas_decision_free(d);
	saas_ctx_free(ctx);
	th_close(NULL);
	if (strncmp(db, "sqlite:/", 8) == 0)
		th_remove_db(db + 7);
}

static saas_scope *as(const char *t, int type, const char *id)
{
	saas_scope *s;

	ck_assert_uint_lt(nmade, 4096);
	ck_ok(saas_scope_new(&s, t, type, id));
	return made[nmade++] = s;
}

/* Decide on `c`, expecting `allowed` for `reason`. */
static void expect_on(saas_ctx *c, saas_scope *s, const char *perm, int allowed, int reason)
{
	int rc = saas_authorize(d, c, s, perm);
	char *text = NULL;

	saas_decision_explain(&text, d);
	ck_assert_msg(rc == (allowed ? SAAS_OK : SAAS_EDENIED) &&
	                      saas_decision_allowed(d) == allowed &&
	                      saas_decision_reason(d) == reason,
	              "%s: got %s, reason %s, expected %s (%s): %s", perm, saas_code_name(rc),
	              saas_reason_name(saas_decision_reason(d)), allowed ? "allowed" : "denied",
	              saas_reason_name(reason), text ? text : "(no decision)");
	saas_free(text);
}

static void expect(saas_scope *s, const char *perm, int allowed, int reason)
{
	expect_on(ctx, s, perm, allowed, reason);
}

static saas_scope *user(const char *id)
{
	return as(tenant, SAAS_ACTOR_USER, id);
}

static int64_t count_action(saas_ctx *c, const char *t, const char *action)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	int64_t n = -1;

	f.action_prefix = action;
	ck_ok(saas_audit_count(&n, c, th_scope(t), &f));
	return n;
}

/* ---- the reasons ------------------------------------------------------------------- */

START_TEST(roles_decide_and_explain)
{
	char *text, *json;
	json_t *o;

	expect(user(alice), "tenant:delete", 1, SAAS_REASON_ROLE);
	ck_assert_str_eq(saas_decision_role(d), "owner");
	ck_assert_str_eq(saas_decision_pattern(d), "*");
	expect(user(bob), "member:remove", 1, SAAS_REASON_ROLE);
	ck_assert_str_eq(saas_decision_role(d), "admin");
	ck_assert_str_eq(saas_decision_pattern(d), "member:*");
	ck_assert_ptr_null(saas_decision_grant_id(d));
	expect(user(bob), "project:update", 1, SAAS_REASON_ROLE); /* member's, inherited */
	ck_assert_str_eq(saas_decision_pattern(d), "project:*");
	expect(user(carol), "project:read", 1, SAAS_REASON_ROLE);
	expect(user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_assert_ptr_null(saas_decision_role(d));
	ck_assert_ptr_null(saas_decision_pattern(d));
	/* A wildcard request asks for everything it names. */
	expect(user(bob), "project:*", 1, SAAS_REASON_ROLE);
	expect(user(bob), "*", 0, SAAS_REASON_NO_ROLE_GRANTS);
	expect(user(alice), "*", 1, SAAS_REASON_ROLE);

	/* The explanation, as text and JSON. */
	ck_rc(saas_authorize(d, ctx, user(carol), "project:delete"), SAAS_EDENIED);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()),
	                             "none of the member's roles (viewer) grants it"));
	ck_ok(saas_decision_explain(&text, d));
	ck_assert_msg(strncmp(text, "denied: user usr_", 17) == 0 &&
	                      strstr(text, "may not do project:delete in tenant ten_"),
	              "%s", text);
	saas_free(text);
	ck_ok(saas_decision_to_json(&json, d));
	o = json_loads(json, 0, NULL);
	saas_free(json);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_is_false(json_object_get(o, "allowed")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "reason")), "no_role_grants");
	ck_assert_str_eq(json_string_value(json_object_get(o, "tenant_id")), tenant);
	ck_assert_str_eq(json_string_value(json_object_get(o, "actor_type")), "user");
	ck_assert_str_eq(json_string_value(json_object_get(o, "actor_id")), carol);
	ck_assert_str_eq(json_string_value(json_object_get(o, "permission")), "project:delete");
	ck_assert_str_eq(json_string_value(json_object_get(o, "tenant_status")), "active");
	ck_assert(json_is_null(json_object_get(o, "role")));
	ck_assert_uint_eq(json_array_size(json_object_get(o, "roles")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "roles"), 0)), "viewer");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(o, "explanation")));
	json_decref(o);

	ck_ok(saas_authorize(d, ctx, user(bob), "member:add"));
	ck_ok(saas_decision_explain(&text, d));
	ck_assert_msg(strstr(text, "allowed: user ") && strstr(text, "role 'admin' grants it through "
	                                                             "'member:*'"),
	              "%s", text);
	saas_free(text);
	/* NULL decision: the answer only. */
	ck_ok(saas_authorize(NULL, ctx, user(alice), "billing:manage"));
	ck_rc(saas_authorize(NULL, ctx, user(carol), "billing:manage"), SAAS_EDENIED);
}
END_TEST

START_TEST(actors_and_membership)
{
	const char *dave = th_user(ctx, "dave@example.com");
	const char *other = th_tenant(ctx, "other");

	expect(user(dave), "project:read", 0, SAAS_REASON_NOT_MEMBER);
	expect(as(other, SAAS_ACTOR_USER, alice), "tenant:read", 0, SAAS_REASON_NOT_MEMBER);
	expect(as(tenant, SAAS_ACTOR_SYSTEM, "billing-job"), "tenant:delete", 1, SAAS_REASON_SYSTEM);
	expect(as(tenant, SAAS_ACTOR_APIKEY, "key_01JD5V1W2X3Y4Z5A6B7C8D9E0F"), "project:read", 0,
	       SAAS_REASON_APIKEY_UNKNOWN);
	expect(as("ten_01JD5V1W2X3Y4Z5A6B7C8D9E0F", SAAS_ACTOR_USER, alice), "tenant:read", 0,
	       SAAS_REASON_TENANT_NOT_FOUND);
	expect(as("ten_01JD5V1W2X3Y4Z5A6B7C8D9E0F", SAAS_ACTOR_SYSTEM, "job"), "tenant:read", 0,
	       SAAS_REASON_TENANT_NOT_FOUND);
	/* A member with a custom role (inheriting viewer) and a deployment role. */
	th_custom_role(ctx, tenant);
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), dave, (const char *[]){"custom"}, 1));
	expect(user(dave), "project:read", 1, SAAS_REASON_ROLE);
	ck_assert_str_eq(saas_decision_role(d), "custom");
	expect(user(dave), "member:read", 1, SAAS_REASON_ROLE); /* viewer's, inherited */
	expect(user(dave), "member:add", 0, SAAS_REASON_NO_ROLE_GRANTS);
	/* Several roles: the first granting one decides. */
	ck_ok(saas_member_set_roles(ctx, th_scope(tenant), dave, (const char *[]){"custom", "admin"},
	                            2));
	expect(user(dave), "member:add", 1, SAAS_REASON_ROLE);
	ck_assert_str_eq(saas_decision_role(d), "admin");
}
END_TEST

START_TEST(tenant_status_rules)
{
	saas_scope *sys = th_scope(tenant);

	ck_ok(saas_tenant_suspend(ctx, sys, "unpaid"));
	expect(user(bob), "project:read", 1, SAAS_REASON_ROLE);
	expect(user(bob), "member:list", 1, SAAS_REASON_ROLE);  /* "list" is a read */
	expect(user(bob), "tenant:export", 1, SAAS_REASON_ROLE); /* and "export" */
	expect(user(bob), "project:download", 1, SAAS_REASON_ROLE); /* the policy's read_actions */
	expect(user(bob), "project:update", 0, SAAS_REASON_TENANT_SUSPENDED);
	expect(user(bob), "project:*", 0, SAAS_REASON_TENANT_SUSPENDED);
	expect(user(alice), "*", 0, SAAS_REASON_TENANT_SUSPENDED);
	expect(as(tenant, SAAS_ACTOR_SYSTEM, "job"), "project:update", 0,
	       SAAS_REASON_TENANT_SUSPENDED);
	/* The status comes first: a non-member reading is still not a member. */
	expect(user(th_user(ctx, "x@example.com")), "project:read", 0, SAAS_REASON_NOT_MEMBER);
	expect(user(carol), "project:update", 0, SAAS_REASON_TENANT_SUSPENDED);
	ck_ok(saas_tenant_reactivate(ctx, sys));
	expect(user(bob), "project:update", 1, SAAS_REASON_ROLE);

	ck_ok(saas_tenant_delete(ctx, sys, 30));
	expect(user(alice), "tenant:restore", 1, SAAS_REASON_ROLE);
	expect(user(alice), "tenant:export", 1, SAAS_REASON_ROLE);
	expect(user(alice), "audit:export", 1, SAAS_REASON_ROLE);
	expect(user(alice), "tenant:read", 1, SAAS_REASON_ROLE);
	expect(user(alice), "project:read", 0, SAAS_REASON_TENANT_DELETED);
	expect(user(alice), "tenant:*", 0, SAAS_REASON_TENANT_DELETED);
	expect(user(bob), "tenant:restore", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_ok(saas_tenant_restore(ctx, sys));
	expect(user(alice), "project:read", 1, SAAS_REASON_ROLE);
}
END_TEST

START_TEST(refusals)
{
	saas_scope *global;
	char *text;

	ck_rc(saas_authorize(d, NULL, user(alice), "tenant:read"), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_authorize(d, ctx, NULL, "tenant:read"), SAAS_EINVAL);
	ck_field("scope");
	ck_ok(saas_scope_new(&global, NULL, SAAS_ACTOR_USER, alice));
	ck_rc(saas_authorize(d, ctx, global, "tenant:read"), SAAS_EINVAL);
	ck_field("scope");
	saas_scope_free(global);
	for (const char *const *p = (const char *const[]){"Tenant:read", "tenant", "tenant:", ":read",
	                                                  "proj*:read", "a:b:c", "", NULL};
	     *p; p++) {
		saas_scope *s = user(alice);
		ck_rc(saas_authorize(d, ctx, s, *p), SAAS_EINVAL);
		ck_field("permission");
		ck_assert_int_eq(saas_decision_allowed(d), 0); /* no decision was made */
		ck_assert_int_eq(saas_decision_reason(d), 0);
	}
	ck_rc(saas_authorize(d, ctx, user(alice), NULL), SAAS_EINVAL);
	/* An empty decision explains nothing. */
	ck_rc(saas_decision_explain(&text, d), SAAS_EINVAL);
	ck_field("decision");
	ck_rc(saas_decision_to_json(&text, d), SAAS_EINVAL);
	ck_rc(saas_decision_explain(NULL, d), SAAS_EINVAL);
	ck_rc(saas_decision_explain(&text, NULL), SAAS_EINVAL);
	ck_rc(saas_decision_new(NULL), SAAS_EINVAL);
	ck_assert_int_eq(saas_decision_allowed(NULL), 0);
	ck_assert_int_eq(saas_decision_reason(NULL), 0);
	ck_assert_ptr_null(saas_decision_role(NULL));
	saas_decision_free(NULL);
	/* Reason names both ways. */
	for (int r = 1; r <= SAAS_REASON_MAX; r++)
		ck_assert_int_eq(saas_reason_from_name(saas_reason_name(r)), r);
	ck_assert_str_eq(saas_reason_name(0), "unknown");
	ck_assert_str_eq(saas_reason_name(SAAS_REASON_MAX + 1), "unknown");
	ck_rc(saas_reason_from_name("nope"), SAAS_EINVAL);
	ck_field("reason");
	ck_rc(saas_reason_from_name(NULL), SAAS_EINVAL);
	ck_rc(saas_authz_invalidate(NULL, NULL), SAAS_EINVAL);
	ck_rc(saas_authz_invalidate(ctx, "acme"), SAAS_EINVAL);
	ck_field("tenant_id");
	ck_rc(saas_authz_stats_get(NULL, ctx), SAAS_EINVAL);
	ck_rc(saas_authz_stats_get(&(saas_authz_stats){0}, NULL), SAAS_EINVAL);
}
END_TEST

START_TEST(policy_settings_are_checked)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;

	o.rbac_policy = "{\"read_actions\":[\"Read\"]}";
	ck_rc(saas_ctx_open(&c, "memory:", &o), SAAS_EINVAL);
	ck_field("rbac_policy");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "read_actions[0]"));
	o.rbac_policy = "{\"read_actions\":[\"*\"]}";
	ck_rc(saas_ctx_open(&c, "memory:", &o), SAAS_EINVAL);
	o.rbac_policy = "{\"audit_denials\":[\"member\"]}";
	ck_rc(saas_ctx_open(&c, "memory:", &o), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "audit_denials[0]"));
	o.rbac_policy = "{\"audit_denials\":\"member:*\"}";
	ck_rc(saas_ctx_open(&c, "memory:", &o), SAAS_EINVAL);
	o.rbac_policy = "{\"readactions\":[]}";
	ck_rc(saas_ctx_open(&c, "memory:", &o), SAAS_EINVAL);
	ck_assert_ptr_null(c);
}
END_TEST

/* ---- audited denials --------------------------------------------------------------- */

START_TEST(sensitive_denials_are_audited)
{
	json_t *e;
	int64_t n;

	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), 0);
	expect(user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS); /* not sensitive */
	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), 0);
	expect(user(carol), "member:remove", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), 1);
	e = ta_event(ctx, tenant, "authz.denied", 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "actor"), "id")), carol);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "target"), "id")),
	                 "member:remove");
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(e, "metadata"), "reason")),
	                 "no_role_grants");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e, "metadata"),
	                                                    "repeats")),
	                 0);
	json_decref(e);
	/* The same denial again within a minute is counted, not recorded; the
	 * next recorded one says how many were not. */
	expect(user(carol), "member:remove", 0, SAAS_REASON_NO_ROLE_GRANTS);
	expect(user(carol), "member:remove", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), 1);
	th_clock_advance(60 * 1000);
	expect(user(carol), "member:remove", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), 2);
	e = ta_event(ctx, tenant, "authz.denied", 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e, "metadata"),
	                                                    "repeats")),
	                 2);
	json_decref(e);
	/* A wildcard request overlapping a sensitive permission counts. */
	expect(user(carol), "*:delete", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), 3);
	/* Recorded even while the tenant is suspended; not for allowed ones. */
	ck_ok(saas_tenant_suspend(ctx, th_scope(tenant), "unpaid"));
	expect(user(alice), "tenant:update", 0, SAAS_REASON_TENANT_SUSPENDED);
	expect(user(alice), "member:read", 1, SAAS_REASON_ROLE);
	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), 4);
	ck_ok(saas_tenant_reactivate(ctx, th_scope(tenant)));
	ta_expect_intact(ctx, tenant);

	/* A question that is not an attempt records nothing. */
	n = count_action(ctx, tenant, "authz.denied");
	ck_rc(saas_authorize_ex(d, ctx, user(carol), "member:invite", SAAS_AUTHZ_NO_AUDIT),
	      SAAS_EDENIED);
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_NO_ROLE_GRANTS);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "member:invite"));
	ck_ok(saas_authorize_ex(d, ctx, user(alice), "member:invite", 0));
	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), n);
	ck_rc(saas_authorize_ex(d, ctx, user(alice), "member:invite", 2), SAAS_EINVAL);
	ck_field("flags");
	ck_assert_int_eq(saas_decision_allowed(d), 0);
	/* An unknown tenant has no stream to write to. */
	expect(as("ten_01JD5V1W2X3Y4Z5A6B7C8D9E0F", SAAS_ACTOR_USER, alice), "member:remove", 0,
	       SAAS_REASON_TENANT_NOT_FOUND);
	/* "audit_denials": [] turns it off. */
	reopen(100, 1000, "{\"audit_denials\":[]}");
	n = count_action(ctx, tenant, "authz.denied");
	expect(user(carol), "member:remove", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_assert_int_eq(count_action(ctx, tenant, "authz.denied"), n);
}
END_TEST

/* ---- support grants ---------------------------------------------------------------- */

START_TEST(support_grants)
{
	int64_t day = 24 * 3600 * 1000LL;
	char *g1, *g2, *text;
	json_t *doc;

	expect(as(tenant, SAAS_ACTOR_SUPPORT, "jo@support"), "member:read", 0,
	       SAAS_REASON_SUPPORT_GRANT_MISSING);
	/* The owner gives jo "admin" for a day. */
	ck_ok(saas_support_grant(&g1, ctx, user(alice), "jo@support", "admin", th_clock_ms + day));
	expect(as(tenant, SAAS_ACTOR_SUPPORT, "jo@support"), "member:read", 1,
	       SAAS_REASON_SUPPORT_GRANT);
	ck_assert_str_eq(saas_decision_grant_id(d), g1);
	ck_assert_str_eq(saas_decision_role(d), "admin");
	expect(as(tenant, SAAS_ACTOR_SUPPORT, "jo@support"), "tenant:delete", 0,
	       SAAS_REASON_SUPPORT_GRANT_LACKS);
	ck_assert_str_eq(saas_decision_grant_id(d), g1);
	expect(as(tenant, SAAS_ACTOR_SUPPORT, "sam@support"), "member:read", 0,
	       SAAS_REASON_SUPPORT_GRANT_MISSING);
	/* A grant to every staff. */
	th_clock_advance(1000);
	ck_ok(saas_support_grant(&g2, ctx, user(alice), NULL, "viewer", th_clock_ms + 2 * day));
	expect(as(tenant, SAAS_ACTOR_SUPPORT, "sam@support"), "member:read", 1,
	       SAAS_REASON_SUPPORT_GRANT);
	ck_assert_str_eq(saas_decision_grant_id(d), g2);
	/* Expiry is checked on every decision, cached or not. */
	th_clock_advance(day + 1);
	expect(as(tenant, SAAS_ACTOR_SUPPORT, "jo@support"), "member:add", 0,
	       SAAS_REASON_SUPPORT_GRANT_LACKS); /* only the every-staff viewer grant is left */
	ck_assert_str_eq(saas_decision_grant_id(d), g2);
	th_clock_advance(day);
	expect(as(tenant, SAAS_ACTOR_SUPPORT, "jo@support"), "member:read", 0,
	       SAAS_REASON_SUPPORT_GRANT_EXPIRED);
	ck_assert_str_eq(saas_decision_grant_id(d), g2);
	ck_ok(saas_decision_explain(&text, d));
	ck_assert_msg(strstr(text, "expired at 2026-"), "%s", text);
	saas_free(text);

	/* The list, newest first. */
	ck_ok(saas_support_list(&text, ctx, user(alice)));
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "grants")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_array_get(json_object_get(doc, "grants"), 0), "id")),
	                 g2);
	ck_assert(json_is_null(json_object_get(json_array_get(json_object_get(doc, "grants"), 0),
	                                       "staff")));
	ck_assert(json_is_false(json_object_get(json_array_get(json_object_get(doc, "grants"), 1),
	                                        "active")));
	json_decref(doc);

	/* A new grant to the same staff replaces the old; revoking takes effect at once. */
	saas_free(g1);
	ck_ok(saas_support_grant(&g1, ctx, user(alice), "jo@support", "member", th_clock_ms + day));
	expect(as(tenant, SAAS_ACTOR_SUPPORT, "jo@support"), "project:update", 1,
	       SAAS_REASON_SUPPORT_GRANT);
	ck_ok(saas_support_revoke(ctx, user(alice), g1));
	expect(as(tenant, SAAS_ACTOR_SUPPORT, "jo@support"), "project:update", 0,
	       SAAS_REASON_SUPPORT_GRANT_EXPIRED); /* g2, expired, is what is left */
	ck_rc(saas_support_revoke(ctx, user(alice), g1), SAAS_ENOTFOUND);
	ck_field("grant_id");
	ck_assert_int_eq(count_action(ctx, tenant, "support.granted"), 3);
	ck_assert_int_eq(count_action(ctx, tenant, "support.revoked"), 1);
	ta_expect_intact(ctx, tenant);
	saas_free(g1);
	saas_free(g2);
}
END_TEST

START_TEST(support_grant_refusals)
{
	int64_t day = 24 * 3600 * 1000LL;
	char *g = NULL, *text = NULL;

	/* Only who may support:grant (the owner by default), and never beyond their own. */
	ck_rc(saas_support_grant(&g, ctx, user(bob), "jo", "viewer", th_clock_ms + day), SAAS_EDENIED);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "support:grant"));
	ck_rc(saas_support_revoke(ctx, user(bob), "sgr_01JD5V1W2X3Y4Z5A6B7C8D9E0F"), SAAS_EDENIED);
	ck_rc(saas_support_list(&text, ctx, user(carol)), SAAS_EDENIED);
	ck_assert_ptr_null(text);
	/* Arguments. */
	ck_rc(saas_support_grant(NULL, ctx, user(alice), "jo", "viewer", th_clock_ms + day),
	      SAAS_EINVAL);
	ck_rc(saas_support_grant(&g, NULL, user(alice), "jo", "viewer", th_clock_ms + day),
	      SAAS_EINVAL);
	ck_rc(saas_support_grant(&g, ctx, th_system(), "jo", "viewer", th_clock_ms + day), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_support_grant(&g, ctx, user(alice), "j o", "viewer", th_clock_ms + day),
	      SAAS_EINVAL);
	ck_field("staff");
	ck_rc(saas_support_grant(&g, ctx, user(alice), "jo", "Viewer", th_clock_ms + day),
	      SAAS_EINVAL);
	ck_field("role");
	ck_rc(saas_support_grant(&g, ctx, user(alice), "jo", NULL, th_clock_ms + day), SAAS_EINVAL);
	ck_rc(saas_support_grant(&g, ctx, user(alice), "jo", "nobody", th_clock_ms + day),
	      SAAS_ENOTFOUND);
	ck_field("role");
	ck_rc(saas_support_grant(&g, ctx, user(alice), "jo", "viewer", th_clock_ms + 30 * 1000),
	      SAAS_EINVAL);
	ck_field("expires_at");
	ck_rc(saas_support_grant(&g, ctx, user(alice), "jo", "viewer", th_clock_ms + 31 * day),
	      SAAS_EINVAL);
	ck_field("expires_at");
	ck_assert_ptr_null(g);
	ck_rc(saas_support_revoke(ctx, user(alice), "nope"), SAAS_EINVAL);
	ck_field("grant_id");
	ck_rc(saas_support_revoke(ctx, user(alice), "sgr_01JD5V1W2X3Y4Z5A6B7C8D9E0F"), SAAS_ENOTFOUND);
	ck_rc(saas_support_revoke(NULL, user(alice), "sgr_01JD5V1W2X3Y4Z5A6B7C8D9E0F"), SAAS_EINVAL);
	ck_rc(saas_support_list(NULL, ctx, user(alice)), SAAS_EINVAL);
	ck_rc(saas_support_list(&text, NULL, user(alice)), SAAS_EINVAL);
	/* The tenant's status. */
	ck_ok(saas_tenant_suspend(ctx, th_scope(tenant), "unpaid"));
	ck_rc(saas_support_grant(&g, ctx, user(alice), "jo", "viewer", th_clock_ms + day),
	      SAAS_EDENIED);
	ck_ok(saas_support_list(&text, ctx, user(alice))); /* a read */
	saas_free(text);
	ck_rc(saas_support_grant(&g, ctx, th_scope(tenant), "jo", "viewer", th_clock_ms + day),
	      SAAS_EDENIED); /* even the system actor: tenant_suspended */
	/* Nothing was written by any refusal. */
	ck_assert_int_eq(count_action(ctx, tenant, "support."), 0);
	ck_ok(saas_tenant_reactivate(ctx, th_scope(tenant)));

	/* An admin allowed to grant still cannot give more than they have. */
	reopen(100, 1000, "{\"roles\":{\"admin\":{\"permissions\":[\"support:grant\"]}}}");
	ck_rc(saas_support_grant(&g, ctx, user(bob), "jo", "owner", th_clock_ms + day), SAAS_EDENIED);
	ck_field("role");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "'*'"));
	ck_ok(saas_support_grant(&g, ctx, user(bob), "jo", "member", th_clock_ms + day));
	saas_free(g);
}
END_TEST

/* ---- the cache ----------------------------------------------------------------------- */

static saas_authz_stats stats(saas_ctx *c)
{
	saas_authz_stats s;

	ck_ok(saas_authz_stats_get(&s, c));
	return s;
}

START_TEST(cache_sees_changes_made_here)
{
	saas_authz_stats s0, s1;

	expect(user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS);
	s0 = stats(ctx);
	expect(user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS);
	expect(user(carol), "project:read", 1, SAAS_REASON_ROLE);
	s1 = stats(ctx);
	ck_assert_uint_eq(s1.hits, s0.hits + 2);
	ck_assert_uint_eq(s1.misses, s0.misses);
	ck_assert_uint_eq(s1.capacity, 100000);

	/* A membership's roles. */
	ck_ok(saas_member_set_roles(ctx, th_scope(tenant), carol, (const char *[]){"member"}, 1));
	expect(user(carol), "project:update", 1, SAAS_REASON_ROLE);
	/* A custom role's permissions. */
	th_custom_role(ctx, tenant);
	ck_ok(saas_member_set_roles(ctx, th_scope(tenant), carol, (const char *[]){"custom"}, 1));
	expect(user(carol), "report:read", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_ok(saas_role_update(ctx, th_scope(tenant), "custom", (const char *[]){"report:read"}, 1,
	                       NULL, 0));
	expect(user(carol), "report:read", 1, SAAS_REASON_ROLE);
	/* Leaving the tenant. */
	ck_ok(saas_member_remove(ctx, th_scope(tenant), carol));
	expect(user(carol), "report:read", 0, SAAS_REASON_NOT_MEMBER);
	/* The tenant's status. */
	expect(user(bob), "project:update", 1, SAAS_REASON_ROLE);
	ck_ok(saas_tenant_suspend(ctx, th_scope(tenant), "unpaid"));
	expect(user(bob), "project:update", 0, SAAS_REASON_TENANT_SUSPENDED);
	/* A tenant created after a miss. */
	{
		saas_tenant *t;
		saas_scope *s;
		expect(as(tenant, SAAS_ACTOR_SYSTEM, "job"), "project:read", 1, SAAS_REASON_SYSTEM);
		ck_ok(saas_tenant_create(&t, ctx, th_system(), "later", "Later"));
		s = as(saas_tenant_id(t), SAAS_ACTOR_SYSTEM, "job");
		expect(s, "project:read", 1, SAAS_REASON_SYSTEM);
		saas_tenant_free(t);
	}
	/* saas_authz_invalidate drops entries. */
	s0 = stats(ctx);
	ck_ok(saas_authz_invalidate(ctx, tenant));
	expect(user(bob), "project:read", 1, SAAS_REASON_ROLE);
	ck_ok(saas_authz_invalidate(ctx, NULL));
	expect(user(bob), "project:read", 1, SAAS_REASON_ROLE);
	s1 = stats(ctx);
	ck_assert_uint_eq(s1.misses, s0.misses + 2);
	ck_assert_uint_ge(s1.invalidations, s0.invalidations + 2);
}
END_TEST

START_TEST(cache_sees_other_processes_within_the_bound)
{
	saas_ctx *strict, *lazy, *writer;

	if (strcmp(url, "memory:") == 0)
		return; /* one process's private database: no other writer exists */
	strict = open_with(1000, 0, POLICY);       /* asks on every decision */
	lazy = open_with(1000, 3600 * 1000, POLICY); /* an hour: does not ask during this test */
	writer = open_with(1000, 1000, POLICY);
	expect_on(strict, user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS);
	expect_on(lazy, user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS);
	expect_on(ctx, user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS);

	/* Another process (saasctl) makes carol an admin. */
	{
		char saasctl[4096];
		pid_t pid;
		int status = -1;
		snprintf(saasctl, sizeof saasctl, "%s/tools/saasctl/saasctl",
		         getenv("SAAS_BUILD_ROOT") ? getenv("SAAS_BUILD_ROOT") : ".");
		fflush(NULL);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			execl(saasctl, saasctl, "--db", db, "--actor", "other-process", "member",
			      "set-roles", "--tenant", tenant, "--user", carol, "--role", "admin",
			      (char *)NULL);
			_exit(127);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		              "%s could not change the roles (status %d)", saasctl, status);
	}
	/* PostgreSQL's notification travels through the server: wait for it. */
	for (int i = 0; i < 100 && saas_authorize(NULL, strict, user(carol), "project:update"); i++)
		usleep(10 * 1000);
	expect_on(strict, user(carol), "project:update", 1, SAAS_REASON_ROLE);
	/* Within the hour, the lazy context still has what it cached. */
	expect_on(lazy, user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS);
	/* The default bound, a second. */
	usleep(1100 * 1000);
	for (int i = 0; i < 100 && saas_authorize(NULL, ctx, user(carol), "project:update"); i++)
		usleep(10 * 1000);
	expect(user(carol), "project:update", 1, SAAS_REASON_ROLE);
	/* Only the changed tenant is dropped: another tenant's entry stays. */
	{
		const char *other = th_tenant(writer, "other");
		saas_scope *bob_other = as(other, SAAS_ACTOR_USER, bob);
		saas_authz_stats s0;
		ck_ok(saas_member_add(NULL, writer, th_scope(other), bob, (const char *[]){"member"}, 1));
		for (int i = 0; i < 100 && saas_authorize(NULL, strict, bob_other, "project:update"); i++)
			usleep(10 * 1000);
		expect_on(strict, user(bob), "project:update", 1, SAAS_REASON_ROLE);
		ck_ok(saas_tenant_suspend(writer, th_scope(other), "unpaid"));
		for (int i = 0; i < 100 && saas_authorize(NULL, strict, bob_other, "project:update") == SAAS_OK;
		     i++)
			usleep(10 * 1000);
		ck_rc(saas_authorize(d, strict, bob_other, "project:update"), SAAS_EDENIED);
		ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_TENANT_SUSPENDED);
		s0 = stats(strict);
		expect_on(strict, user(bob), "project:update", 1, SAAS_REASON_ROLE);
		ck_assert_uint_eq(stats(strict).hits, s0.hits + 1);
	}
	saas_ctx_free(strict);
	saas_ctx_free(lazy);
	saas_ctx_free(writer);
}
END_TEST

/* 30 members (even ones can update projects), each decided twice. */
static void thirty_twice(const char *prefix)
{
	const char *users[30];
	char email[64];

	for (int i = 0; i < 30; i++) {
		snprintf(email, sizeof email, "%s%d@example.com", prefix, i);
		users[i] = th_user(ctx, email);
		ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), users[i],
		                      (const char *[]){i % 2 ? "viewer" : "member"}, 1));
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 30; i++)
			expect(user(users[i]), "project:update", i % 2 == 0,
			       i % 2 ? SAAS_REASON_NO_ROLE_GRANTS : SAAS_REASON_ROLE);
	/* The most recent is (still) there. */
	expect(user(users[29]), "project:read", 1, SAAS_REASON_ROLE);
}

START_TEST(cache_is_bounded_and_can_be_off)
{
	saas_authz_stats s;

	reopen(10, 1000, POLICY);
	thirty_twice("s");
	s = stats(ctx);
	ck_assert_uint_le(s.entries, 10);
	ck_assert_uint_eq(s.capacity, 10);
	ck_assert_uint_ge(s.evictions, 50);
	ck_assert_uint_eq(s.hits, 1);
	reopen(0, 1000, POLICY);
	thirty_twice("o");
	s = stats(ctx);
	ck_assert_uint_eq(s.entries, 0);
	ck_assert_uint_eq(s.hits, 0);
	ck_assert_uint_eq(s.misses, 61);
}
END_TEST

/* Several threads deciding while another changes roles: every answer is one
 * of the two truths, and after the writer stops, the last one. */
struct reader {
	saas_ctx *c;
	const char *user;
	int bad;
};

static void *read_loop(void *p)
{
	struct reader *r = p;
	saas_decision *dd;
	saas_scope *s;

	saas_decision_new(&dd);
	saas_scope_new(&s, tenant, SAAS_ACTOR_USER, r->user);
	for (int i = 0; i < 2000; i++) {
		int rc = saas_authorize(dd, r->c, s, "project:update");
		if (rc != SAAS_OK && rc != SAAS_EDENIED)
			r->bad++;
	}
	saas_scope_free(s);
	saas_decision_free(dd);
	return NULL;
}

START_TEST(cache_under_threads)
{
	struct reader r[3];
	pthread_t th[3];

	for (int i = 0; i < 3; i++) {
		r[i] = (struct reader){ctx, carol, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, read_loop, &r[i]), 0);
	}
	for (int i = 0; i < 10; i++)
		ck_ok(saas_member_set_roles(ctx, th_scope(tenant), carol,
		                            (const char *[]){i % 2 ? "viewer" : "member"}, 1));
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(r[i].bad, 0);
	}
	expect(user(carol), "project:update", 0, SAAS_REASON_NO_ROLE_GRANTS); /* viewer, last */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("authz");
	TCase *tc = tcase_create("authz");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, roles_decide_and_explain);
	tcase_add_test(tc, actors_and_membership);
	tcase_add_test(tc, tenant_status_rules);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, policy_settings_are_checked);
	tcase_add_test(tc, sensitive_denials_are_audited);
	tcase_add_test(tc, support_grants);
	tcase_add_test(tc, support_grant_refusals);
	tcase_add_test(tc, cache_sees_changes_made_here);
	tcase_add_test(tc, cache_sees_other_processes_within_the_bound);
	tcase_add_test(tc, cache_is_bounded_and_can_be_off);
	tcase_add_test(tc, cache_under_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
