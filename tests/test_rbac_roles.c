/*
 * Custom roles of a tenant (saas_role_create/update/delete/list): their
 * checks (names, permissions, inheritance, cycles), deletion while assigned
 * and moving members, the tenant's status, isolation between tenants, the
 * audit events; on memory:, sqlite: and, when SAAS_TEST_POSTGRES_URL is set,
 * PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit_helpers.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static const char *tenant;

static char db[300];

static void setup(void)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;

	/* th_open empties a PostgreSQL database; then a context with a policy
	 * on it (or on a file of our own for sqlite:). */
	saas_ctx_free(th_open(url));
	snprintf(db, sizeof db, "%s", url);
	if (strcmp(url, "sqlite:") == 0) {
		snprintf(db, sizeof db, "sqlite:/tmp/saas-roles-%d.db", (int)getpid());
		unlink(db + 7);
	}
	o.clock = th_clock;
	o.rbac_policy = "{\"roles\":{\"auditor\":{\"inherits\":[\"viewer\"],"
	                "\"permissions\":[\"audit:read\"]}}}";
	ck_ok(saas_ctx_open(&ctx, db, &o));
	tenant = th_tenant(ctx, "acme");
}

static void teardown(void)
{
	saas_ctx_free(ctx);
	th_close(NULL);
	if (strncmp(db, "sqlite:/", 8) == 0)
		th_remove_db(db + 7);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The tenant's roles, parsed; the role named `name` (or NULL) in *out. */
static json_t *roles_of(const char *t, const char *name, json_t **out)
{
	char *text;
	json_t *doc, *r;
	size_t i;

	ck_ok(saas_role_list(&text, ctx, th_scope(t)));
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	ck_assert_ptr_nonnull(doc);
	*out = NULL;
	json_array_foreach(json_object_get(doc, "roles"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			*out = r;
	return doc;
}

static char *effective(const char *t, const char *name)
{
	json_t *r, *doc = roles_of(t, name, &r);
	char *s;

	ck_assert_ptr_nonnull(r);
	s = json_dumps(json_object_get(r, "effective"), JSON_COMPACT);
	json_decref(doc);
	return s;
}

START_TEST(create_and_list)
{
	static const char *const perms[] = {"project:read", "project:update", "project:read"};
	static const char *const inh[] = {"viewer"};
	json_t *doc, *r;
	char *s;

	ck_ok(saas_role_create(ctx, th_scope(tenant), "editor", perms, N(perms), inh, N(inh)));
	doc = roles_of(tenant, "editor", &r);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(json_string_value(json_object_get(r, "scope")), "tenant");
	s = json_dumps(json_object_get(r, "permissions"), JSON_COMPACT);
	ck_assert_str_eq(s, "[\"project:read\",\"project:update\"]"); /* sorted, folded */
	free(s);
	ck_assert_str_eq(json_string_value(json_object_get(r, "created_at")), "2026-01-01T00:00:00.000Z");
	/* every catalog role is listed too, with its scope */
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "roles")), 6);
	json_decref(doc);
	doc = roles_of(tenant, "auditor", &r);
	ck_assert_str_eq(json_string_value(json_object_get(r, "scope")), "deployment");
	json_decref(doc);
	s = effective(tenant, "editor");
	ck_assert_str_eq(s, "[\"member:read\",\"project:read\",\"project:update\",\"role:read\","
	                    "\"tenant:read\"]");
	free(s);
	/* A custom role inheriting a custom role and a deployment role. */
	static const char *const lead_perms[] = {"project:delete"};
	static const char *const lead_inh[] = {"editor", "auditor"};
	ck_ok(saas_role_create(ctx, th_scope(tenant), "lead", lead_perms, 1, lead_inh, 2));
	s = effective(tenant, "lead");
	ck_assert_str_eq(s, "[\"audit:read\",\"member:read\",\"project:delete\",\"project:read\","
	                    "\"project:update\",\"role:read\",\"tenant:read\"]");
	free(s);
	/* Inheriting owner: everything. */
	static const char *const top[] = {"owner"};
	ck_ok(saas_role_create(ctx, th_scope(tenant), "root", NULL, 0, top, 1));
	s = effective(tenant, "root");
	ck_assert_str_eq(s, "[\"*\"]");
	free(s);
	/* Audited. */
	json_t *e = ta_event(ctx, tenant, "role.created", 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "target"), "id")),
	                 "editor");
	s = json_dumps(json_object_get(json_object_get(e, "metadata"), "inherits"), JSON_COMPACT);
	ck_assert_str_eq(s, "[\"viewer\"]");
	free(s);
	json_decref(e);
	ta_expect_intact(ctx, tenant);
}
END_TEST

START_TEST(create_refusals)
{
	static const char *const ok[] = {"project:read"};
	static const char *const badp[] = {"project:read", "Project:Write"};
	static const char *const unknown[] = {"nobody"};
	static const char *const self[] = {"editor"};
	const char *many[300];
	int64_t before = ta_count(ctx, tenant);

	ck_rc(saas_role_create(ctx, th_scope(tenant), "Bad", ok, 1, NULL, 0), SAAS_EINVAL);
	ck_field("name");
	ck_rc(saas_role_create(ctx, th_scope(tenant), NULL, ok, 1, NULL, 0), SAAS_EINVAL);
	ck_field("name");
	ck_rc(saas_role_create(ctx, th_scope(tenant), "admin", ok, 1, NULL, 0), SAAS_EEXISTS);
	ck_field("name");
	ck_rc(saas_role_create(ctx, th_scope(tenant), "auditor", ok, 1, NULL, 0), SAAS_EEXISTS);
	ck_rc(saas_role_create(ctx, th_scope(tenant), "editor", badp, 2, NULL, 0), SAAS_EINVAL);
	ck_field("permissions");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()),
	                             "permission 1, 'Project:Write'"));
	ck_rc(saas_role_create(ctx, th_scope(tenant), "editor", NULL, 1, NULL, 0), SAAS_EINVAL);
	ck_field("permissions");
	ck_rc(saas_role_create(ctx, th_scope(tenant), "editor", ok, 1, NULL, 2), SAAS_EINVAL);
	ck_field("inherits");
	for (size_t i = 0; i < N(many); i++)
		many[i] = "project:read";
	ck_rc(saas_role_create(ctx, th_scope(tenant), "editor", many, 257, NULL, 0), SAAS_EINVAL);
	ck_rc(saas_role_create(ctx, th_scope(tenant), "editor", NULL, 0, many, 17), SAAS_EINVAL);
	ck_field("inherits");
	ck_rc(saas_role_create(ctx, th_scope(tenant), "editor", ok, 1, unknown, 1), SAAS_EINVAL);
	ck_field("inherits");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "'nobody'"));
	ck_rc(saas_role_create(ctx, th_scope(tenant), "editor", ok, 1, self, 1), SAAS_EINVAL);
	ck_field("inherits");
	ck_rc(saas_role_create(NULL, th_scope(tenant), "editor", ok, 1, NULL, 0), SAAS_EINVAL);
	ck_rc(saas_role_create(ctx, th_system(), "editor", ok, 1, NULL, 0), SAAS_EINVAL);
	ck_rc(saas_role_create(ctx, th_scope("ten_01M8FXAZGT7RF9ENFY4MQX648T"), "editor", ok, 1,
	                       NULL, 0),
	      SAAS_ENOTFOUND);
	/* Nothing was written. */
	ck_ok(saas_role_create(ctx, th_scope(tenant), "editor", ok, 1, NULL, 0));
	ck_rc(saas_role_create(ctx, th_scope(tenant), "editor", ok, 1, NULL, 0), SAAS_EEXISTS);
	ck_assert_int_eq(ta_count(ctx, tenant), before + 1);
}
END_TEST

START_TEST(update_and_cycles)
{
	static const char *const p1[] = {"project:read"};
	static const char *const p2[] = {"project:*"};
	static const char *const to_a[] = {"a"};
	static const char *const to_b[] = {"b"};
	static const char *const to_c[] = {"c"};
	json_t *e;
	char *s;

	ck_ok(saas_role_create(ctx, th_scope(tenant), "a", p1, 1, NULL, 0));
	ck_ok(saas_role_create(ctx, th_scope(tenant), "b", NULL, 0, to_a, 1));
	ck_ok(saas_role_create(ctx, th_scope(tenant), "c", NULL, 0, to_b, 1));
	s = effective(tenant, "c");
	ck_assert_str_eq(s, "[\"project:read\"]");
	free(s);
	ck_ok(saas_role_update(ctx, th_scope(tenant), "a", p2, 1, NULL, 0));
	s = effective(tenant, "c");
	ck_assert_str_eq(s, "[\"project:*\"]");
	free(s);
	e = ta_event(ctx, tenant, "role.updated", 0);
	s = json_dumps(json_object_get(json_object_get(e, "metadata"), "previous_permissions"),
	               JSON_COMPACT);
	ck_assert_str_eq(s, "[\"project:read\"]");
	free(s);
	json_decref(e);
	/* a -> c would close a -> c -> b -> a */
	ck_rc(saas_role_update(ctx, th_scope(tenant), "a", p2, 1, to_c, 1), SAAS_EINVAL);
	ck_field("inherits");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "cycle"));
	ck_rc(saas_role_update(ctx, th_scope(tenant), "a", p2, 1, to_a, 1), SAAS_EINVAL);
	ck_rc(saas_role_update(ctx, th_scope(tenant), "nope", p2, 1, NULL, 0), SAAS_ENOTFOUND);
	ck_field("name");
	ck_rc(saas_role_update(ctx, th_scope(tenant), "admin", p2, 1, NULL, 0), SAAS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "rbac_policy"));
	s = effective(tenant, "c");
	ck_assert_str_eq(s, "[\"project:*\"]"); /* unchanged by the refusals */
	free(s);
}
END_TEST

/* The roles of `user` in the tenant, comma-separated. */
static char *roles_of_member(const char *user)
{
	saas_member *m;
	char buf[256] = "";

	ck_ok(saas_member_get(&m, ctx, th_scope(tenant), user));
	for (size_t i = 0; i < saas_member_role_count(m); i++) {
		if (i)
			strcat(buf, ",");
		strcat(buf, saas_member_role_at(m, i));
	}
	saas_member_free(m);
	return strdup(buf);
}

START_TEST(delete_assigned_and_moving)
{
	static const char *const p1[] = {"project:read"};
	static const char *const to_editor[] = {"editor"};
	static const char *const editor[] = {"editor"};
	static const char *const editor_member[] = {"editor", "member"};
	const char *u1 = th_user(ctx, "u1@example.com"), *u2 = th_user(ctx, "u2@example.com");
	json_t *e;
	char *s;

	ck_ok(saas_role_create(ctx, th_scope(tenant), "editor", p1, 1, NULL, 0));
	ck_ok(saas_role_create(ctx, th_scope(tenant), "senior", NULL, 0, to_editor, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), u1, editor, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), u2, editor_member, 2));

	ck_rc(saas_role_delete(ctx, th_scope(tenant), "editor", NULL), SAAS_EUSED);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "senior"));
	ck_ok(saas_role_delete(ctx, th_scope(tenant), "senior", NULL)); /* unused: fine */
	ck_rc(saas_role_delete(ctx, th_scope(tenant), "editor", NULL), SAAS_EUSED);
	ck_field("name");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "2 members have"));
	ck_rc(saas_role_delete(ctx, th_scope(tenant), "editor", "nobody"), SAAS_ENOTFOUND);
	ck_field("move_to");
	ck_rc(saas_role_delete(ctx, th_scope(tenant), "editor", "editor"), SAAS_EINVAL);
	ck_field("move_to");
	ck_rc(saas_role_delete(ctx, th_scope(tenant), "ghost", NULL), SAAS_ENOTFOUND);
	ck_field("name");
	ck_rc(saas_role_delete(ctx, th_scope(tenant), "admin", "member"), SAAS_ENOTFOUND);
	s = roles_of_member(u1);
	ck_assert_str_eq(s, "editor"); /* nothing moved by the refusals */
	free(s);

	ck_ok(saas_role_delete(ctx, th_scope(tenant), "editor", "member"));
	s = roles_of_member(u1);
	ck_assert_str_eq(s, "member");
	free(s);
	s = roles_of_member(u2); /* had both: keeps one member */
	ck_assert_str_eq(s, "member");
	free(s);
	e = ta_event(ctx, tenant, "role.deleted", 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "metadata"),
	                                                   "moved_to")),
	                 "member");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e, "metadata"),
	                                                    "members_moved")),
	                 2);
	json_decref(e);
	json_t *r, *doc = roles_of(tenant, "editor", &r);
	ck_assert_ptr_null(r);
	json_decref(doc);
	ta_expect_intact(ctx, tenant);
}
END_TEST

START_TEST(tenant_status_and_isolation)
{
	static const char *const p1[] = {"project:read"};
	const char *other = th_tenant(ctx, "globex");
	json_t *r, *doc;
	char *text;

	ck_ok(saas_role_create(ctx, th_scope(tenant), "editor", p1, 1, NULL, 0));
	/* Another tenant neither sees it nor is kept from the same name. */
	doc = roles_of(other, "editor", &r);
	ck_assert_ptr_null(r);
	json_decref(doc);
	ck_ok(saas_role_create(ctx, th_scope(other), "editor", NULL, 0, NULL, 0));
	/* Suspended: read-only. */
	ck_ok(saas_tenant_suspend(ctx, th_scope(tenant), "billing"));
	ck_rc(saas_role_create(ctx, th_scope(tenant), "writer", p1, 1, NULL, 0), SAAS_ESUSPENDED);
	ck_rc(saas_role_update(ctx, th_scope(tenant), "editor", NULL, 0, NULL, 0), SAAS_ESUSPENDED);
	ck_rc(saas_role_delete(ctx, th_scope(tenant), "editor", NULL), SAAS_ESUSPENDED);
	ck_ok(saas_role_list(&text, ctx, th_scope(tenant)));
	saas_free(text);
	ck_ok(saas_tenant_reactivate(ctx, th_scope(tenant)));
	/* Pending deletion: nothing. */
	ck_ok(saas_tenant_delete(ctx, th_scope(tenant), 0));
	ck_rc(saas_role_list(&text, ctx, th_scope(tenant)), SAAS_EDELETED);
	ck_rc(saas_role_list(NULL, ctx, th_scope(tenant)), SAAS_EINVAL);
	ck_rc(saas_role_list(&text, NULL, th_scope(tenant)), SAAS_EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rbac_roles");
	TCase *tc = tcase_create("rbac_roles");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_and_list);
	tcase_add_test(tc, create_refusals);
	tcase_add_test(tc, update_and_cycles);
	tcase_add_test(tc, delete_assigned_and_moving);
	tcase_add_test(tc, tenant_status_and_isolation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
