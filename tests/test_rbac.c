/*
 * Permissions and the deployment's role catalog (saas/rbac.h): permission
 * syntax and matching, the built-in roles' defaults, the rbac_policy option
 * (extend, replace, new roles, inheritance) and every way it can be
 * malformed; the compiled lookup agrees with saas_permission_covers on
 * random policies and requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "helpers.h"

static saas_ctx *open_policy(const char *policy, int expect)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;

	o.rbac_policy = policy;
	ck_rc(saas_ctx_open(&c, "memory:", &o), expect);
	if (expect != SAAS_OK)
		ck_assert_ptr_null(c);
	return c;
}

/* saas_rbac_role_grants as 1/0, failing on errors. */
static int grants(saas_ctx *c, const char *role, const char *perm)
{
	int rc = saas_rbac_role_grants(NULL, c, role, perm);
	ck_assert_msg(rc == 0 || rc == 1, "grants(%s, %s): %s", role, perm,
	              saas_error_message(saas_error_last()));
	return rc;
}

struct expect {
	const char *role, *permission;
	int granted;
};

static void expect_all(saas_ctx *c, const struct expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(grants(c, e[i].role, e[i].permission) == e[i].granted,
		              "%s grants %s: expected %d", e[i].role, e[i].permission, e[i].granted);
}

START_TEST(permission_syntax)
{
	static const char *const good[] = {"*", "*:*", "tenant:read", "project:*", "*:read",
	                                   "a-b_c:d-e_1", "x:y"};
	static const char *const badp[] = {"", ":", "tenant", "tenant:", ":read", "Tenant:read",
	                                   "tenant:Read", "tenant read", "proj*:read", "**",
	                                   "tenant:read:x", "tenant:re.ad", "tenant: read",
	                                   "tenant:rëad"};
	char longside[80];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_ok(saas_permission_check(good[i]));
	for (size_t i = 0; i < sizeof badp / sizeof badp[0]; i++) {
		ck_rc(saas_permission_check(badp[i]), SAAS_EINVAL);
		ck_field("permission");
		if (badp[i][0])
			ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), badp[i]));
	}
	ck_rc(saas_permission_check(NULL), SAAS_EINVAL);
	memset(longside, 'a', 65);
	strcpy(longside + 65, ":read");
	ck_rc(saas_permission_check(longside), SAAS_EINVAL);
	longside[64] = ':'; /* 64 a's: the longest side */
	strcpy(longside + 65, "read");
	ck_ok(saas_permission_check(longside));
}
END_TEST

START_TEST(permission_covering)
{
	static const struct {
		const char *grant, *request;
		int want;
	} cases[] = {
		{"*", "tenant:read", 1},        {"*", "*", 1},
		{"*", "project:*", 1},          {"*:*", "*", 1},
		{"tenant:read", "tenant:read", 1}, {"tenant:read", "tenant:update", 0},
		{"tenant:*", "tenant:read", 1}, {"tenant:*", "tenant:*", 1},
		{"tenant:*", "member:read", 0}, {"tenant:*", "*", 0},
		{"*:read", "tenant:read", 1},   {"*:read", "*:read", 1},
		{"*:read", "tenant:*", 0},      {"tenant:read", "tenant:*", 0},
		{"tenant:read", "*:read", 0},   {"tenant:*", "*:read", 0},
		{"*:read", "*", 0},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(saas_permission_covers(cases[i].grant, cases[i].request) ==
		                      cases[i].want,
		              "%s covers %s", cases[i].grant, cases[i].request);
	ck_rc(saas_permission_covers("Bad", "tenant:read"), SAAS_EINVAL);
	ck_field("pattern");
	ck_rc(saas_permission_covers("tenant:read", "bad"), SAAS_EINVAL);
	ck_field("permission");
}
END_TEST

START_TEST(builtin_roles)
{
	saas_ctx *c = open_policy(NULL, SAAS_OK);
	const char *pat = NULL;

	/* owner: everything; admin: the library's resources but not the owner's;
	 * member: viewer and its own keys; viewer: reads */
	static const struct expect builtin[] = {
		{"owner", "tenant:delete", 1},
		{"owner", "*", 1},
		{"owner", "anything:else", 1},
		{"admin", "role:create", 1},
		{"admin", "webhook:update", 1},
		{"admin", "audit:export", 1},
		{"admin", "billing:read", 1},
		{"admin", "billing:manage", 0},
		{"admin", "tenant:delete", 0},
		{"admin", "apikey:create", 1},
		{"admin", "tenant:read", 1},
		{"member", "apikey:create", 1},
		{"member", "apikey:revoke", 0},
		{"member", "member:read", 1},
		{"member", "member:remove", 0},
		{"member", "audit:read", 0},
		{"viewer", "apikey:read", 0},
	};
	expect_all(c, builtin, sizeof builtin / sizeof builtin[0]);
	/* The granting pattern. */
	ck_assert_int_eq(saas_rbac_role_grants(&pat, c, "owner", "billing:manage"), 1);
	ck_assert_str_eq(pat, "*");
	ck_assert_int_eq(saas_rbac_role_grants(&pat, c, "admin", "member:remove"), 1);
	ck_assert_str_eq(pat, "member:*");
	ck_assert_int_eq(saas_rbac_role_grants(&pat, c, "viewer", "tenant:read"), 1);
	ck_assert_str_eq(pat, "tenant:read");
	ck_assert_int_eq(saas_rbac_role_grants(&pat, c, "viewer", "member:*"), 0);
	ck_assert_ptr_null(pat);
	/* errors */
	ck_rc(saas_rbac_role_grants(NULL, c, "auditor", "tenant:read"), SAAS_ENOTFOUND);
	ck_field("role");
	ck_rc(saas_rbac_role_grants(NULL, c, "Bad Role", "tenant:read"), SAAS_EINVAL);
	ck_field("role");
	ck_rc(saas_rbac_role_grants(NULL, c, NULL, "tenant:read"), SAAS_EINVAL);
	ck_rc(saas_rbac_role_grants(NULL, c, "owner", "tenant"), SAAS_EINVAL);
	ck_field("permission");
	ck_rc(saas_rbac_role_grants(NULL, NULL, "owner", "tenant:read"), SAAS_EINVAL);
	ck_field("ctx");
	saas_ctx_free(c);
}
END_TEST

START_TEST(policy_extends_replaces_and_adds)
{
	saas_ctx *c = open_policy(
		"{\"roles\":{"
		"\"member\":{\"permissions\":[\"project:*\"]},"
		"\"viewer\":{\"permissions\":[\"project:read\",\"tenant:read\"],\"replace\":true},"
		"\"auditor\":{\"inherits\":[\"viewer\"],\"permissions\":[\"audit:read\",\"audit:export\"]},"
		"\"lead\":{\"inherits\":[\"auditor\",\"member\"],\"permissions\":[\"*:approve\"]}}}",
		SAAS_OK);
	json_t *doc, *roles, *r;
	char *text;

	/* member keeps its defaults and gains project:*; viewer is replaced (no
	 * member:read any more, for member neither; admin keeps it as its own);
	 * the new roles inherit. */
	static const struct expect policy[] = {
		{"member", "project:delete", 1},
		{"member", "apikey:create", 1},
		{"viewer", "member:read", 0},
		{"viewer", "project:read", 1},
		{"member", "member:read", 0},
		{"admin", "member:read", 1},
		{"admin", "project:update", 1},
		{"auditor", "audit:export", 1},
		{"auditor", "project:read", 1},
		{"auditor", "project:update", 0},
		{"lead", "project:update", 1},
		{"lead", "invoice:approve", 1},
		{"lead", "audit:read", 1},
		{"lead", "role:create", 0},
	};
	expect_all(c, policy, sizeof policy / sizeof policy[0]);

	ck_ok(saas_rbac_catalog_json(&text, c));
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	roles = json_object_get(doc, "roles");
	ck_assert_uint_eq(json_array_size(roles), 6);
	/* sorted by name: admin, auditor, lead, member, owner, viewer */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(roles, 0), "name")),
	                 "admin");
	r = json_array_get(roles, 2);
	ck_assert_str_eq(json_string_value(json_object_get(r, "name")), "lead");
	ck_assert(json_is_false(json_object_get(r, "builtin")));
	ck_assert_uint_eq(json_array_size(json_object_get(r, "inherits")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "permissions"), 0)),
	                 "*:approve");
	text = json_dumps(json_object_get(r, "effective"), JSON_COMPACT);
	ck_assert_str_eq(text, "[\"*:approve\",\"apikey:create\",\"apikey:read\",\"audit:export\","
	                       "\"audit:read\",\"project:*\",\"project:read\",\"tenant:read\"]");
	free(text);
	r = json_array_get(roles, 4);
	ck_assert_str_eq(json_string_value(json_object_get(r, "name")), "owner");
	ck_assert(json_is_true(json_object_get(r, "builtin")));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "effective"), 0)), "*");
	json_decref(doc);
	ck_rc(saas_rbac_catalog_json(NULL, c), SAAS_EINVAL);
	ck_rc(saas_rbac_catalog_json(&text, NULL), SAAS_EINVAL);
	saas_ctx_free(c);
}
END_TEST

START_TEST(policy_from_a_file)
{
	char path[128], opt[140];
	FILE *f;
	saas_ctx *c;

	snprintf(path, sizeof path, "/tmp/saas-rbac-%d.json", (int)getpid());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"roles\": {\"member\": {\"permissions\": [\"project:*\"]}}}\n", f);
	fclose(f);
	snprintf(opt, sizeof opt, "file:%s", path);
	c = open_policy(opt, SAAS_OK);
	ck_assert_int_eq(grants(c, "member", "project:read"), 1);
	saas_ctx_free(c);
	unlink(path);
	open_policy(opt, SAAS_EINVAL);
	ck_field("rbac_policy");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), path));
}
END_TEST

START_TEST(bad_policies_name_the_entry)
{
	static const struct {
		const char *policy, *words;
	} cases[] = {
		{"{not json", "neither 'file:PATH' nor valid JSON"},
		{"[]", "(top)"},
		{"{\"rules\":{}}", "rules: unknown key"},
		{"{\"roles\":[]}", "roles: must be an object"},
		{"{\"roles\":{\"Bad\":{}}}", "roles.Bad: the role name"},
		{"{\"roles\":{\"member\":[]}}", "roles.member: must be an object"},
		{"{\"roles\":{\"member\":{\"permissions\":[\"project:*\",\"Project:Read\"]}}}",
		 "roles.member.permissions[1]: 'Project:Read' is not a permission"},
		{"{\"roles\":{\"member\":{\"permissions\":\"project:*\"}}}",
		 "roles.member.permissions: must be an array"},
		{"{\"roles\":{\"member\":{\"permissions\":[1]}}}",
		 "roles.member.permissions[0]: must be a string"},
		{"{\"roles\":{\"member\":{\"inherits\":[\"viewer\"]}}}",
		 "roles.member.inherits: a built-in role's inheritance is fixed"},
		{"{\"roles\":{\"auditor\":{\"replace\":true}}}",
		 "roles.auditor.replace: only a built-in role"},
		{"{\"roles\":{\"member\":{\"replace\":\"yes\"}}}", "roles.member.replace: must be true"},
		{"{\"roles\":{\"auditor\":{\"grants\":[]}}}", "roles.auditor.grants: unknown key"},
		{"{\"roles\":{\"auditor\":{\"inherits\":[\"nobody\"]}}}",
		 "roles.auditor.inherits: role 'nobody' is not defined"},
		{"{\"roles\":{\"auditor\":{\"inherits\":[\"No\"]}}}",
		 "roles.auditor.inherits[0]: 'No' is not a role name"},
		{"{\"roles\":{\"a\":{\"inherits\":[\"b\"]},\"b\":{\"inherits\":[\"a\"]}}}",
		 "inherits itself through a cycle"},
		{"{\"roles\":{\"a\":{\"inherits\":[\"a\"]}}}", "roles.a.inherits: role 'a' inherits itself"},
		{"{\"roles\":{\"a\":{}},\"roles\":{}}", "neither 'file:PATH' nor valid JSON"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		open_policy(cases[i].policy, SAAS_EINVAL);
		ck_field("rbac_policy");
		ck_assert_msg(strstr(saas_error_message(saas_error_last()), cases[i].words),
		              "policy %s: message '%s' lacks '%s'", cases[i].policy,
		              saas_error_message(saas_error_last()), cases[i].words);
	}
}
END_TEST

/* A random permission over a small alphabet, wildcards included. */
static void random_perm(char *out, size_t n, unsigned *seed)
{
	static const char *const res[] = {"*", "tenant", "project", "doc"};
	static const char *const act[] = {"*", "read", "update", "delete"};
	if (rand_r(seed) % 23 == 0)
		snprintf(out, n, "*");
	else
		snprintf(out, n, "%s:%s", res[rand_r(seed) % 4], act[rand_r(seed) % 4]);
}

START_TEST(compiled_lookup_agrees_with_covers)
{
	unsigned seed = 20261128;

	for (int round = 0; round < 60; round++) {
		char grants_[6][32], policy[1024], req[32];
		int k = 1 + (int)(rand_r(&seed) % 5);
		size_t len = 0;
		saas_ctx *c;

		len += (size_t)snprintf(policy + len, sizeof policy - len,
		                        "{\"roles\":{\"r\":{\"permissions\":[");
		for (int i = 0; i < k; i++) {
			random_perm(grants_[i], sizeof grants_[i], &seed);
			len += (size_t)snprintf(policy + len, sizeof policy - len, "%s\"%s\"",
			                        i ? "," : "", grants_[i]);
		}
		snprintf(policy + len, sizeof policy - len, "]}}}");
		c = open_policy(policy, SAAS_OK);
		for (int q = 0; q < 50; q++) {
			int want = 0;
			random_perm(req, sizeof req, &seed);
			for (int i = 0; i < k; i++)
				want |= saas_permission_covers(grants_[i], req);
			ck_assert_msg(grants(c, "r", req) == want, "policy %s, request %s: want %d",
			              policy, req, want);
		}
		saas_ctx_free(c);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rbac");
	TCase *tc = tcase_create("rbac");

	tcase_add_test(tc, permission_syntax);
	tcase_add_test(tc, permission_covering);
	tcase_add_test(tc, builtin_roles);
	tcase_add_test(tc, policy_extends_replaces_and_adds);
	tcase_add_test(tc, policy_from_a_file);
	tcase_add_test(tc, bad_policies_name_the_entry);
	tcase_add_test(tc, compiled_lookup_agrees_with_covers);
	suite_add_tcase(s, tc);
	return th_run(s);
}
