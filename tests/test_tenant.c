/* Tenants: lifecycle, validation, listing, purge and export. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "helpers.h"
#include "store/store.h"

static const char *url = "memory:";
static saas_ctx *ctx;

static void setup(void)
{
	ctx = th_open(url);
}

static void teardown(void)
{
	th_close(ctx);
}

static int status_of(const char *tenant_id)
{
	saas_tenant *t;
	ck_ok(saas_tenant_get(&t, ctx, th_scope(tenant_id)));
	int s = saas_tenant_status_of(t);
	saas_tenant_free(t);
	return s;
}

/* Number of rows of `table` in a tenant's export. */
static size_t export_rows(const char *tenant_id, const char *table)
{
	char *text;
	json_error_t err;
	ck_ok(saas_tenant_export(&text, ctx, th_scope(tenant_id)));
	json_t *doc = json_loads(text, 0, &err);
	ck_assert_msg(doc != NULL, "export is not JSON: %s", err.text);
	json_t *rows = json_object_get(json_object_get(doc, "tables"), table);
	ck_assert_msg(json_is_array(rows), "export has no table %s", table);
	size_t n = json_array_size(rows);
	json_decref(doc);
	saas_free(text);
	return n;
}

START_TEST(create_and_get)
{
	saas_tenant *t, *g;

	ck_ok(saas_tenant_create(&t, ctx, th_system(), "acme", "Acme Inc."));
	ck_ok(saas_id_check(saas_tenant_id(t), "ten"));
	ck_assert_str_eq(saas_tenant_slug(t), "acme");
	ck_assert_str_eq(saas_tenant_name(t), "Acme Inc.");
	ck_assert_int_eq(saas_tenant_status_of(t), SAAS_TENANT_ACTIVE);
	ck_assert_int_eq(saas_tenant_created_at(t), th_clock_ms);
	ck_assert_int_eq(saas_tenant_purge_after(t), 0);
	ck_assert_ptr_null(saas_tenant_suspend_reason(t));

	ck_ok(saas_tenant_get(&g, ctx, th_scope(saas_tenant_id(t))));
	ck_assert_str_eq(saas_tenant_slug(g), "acme");
	saas_tenant_free(g);
	ck_ok(saas_tenant_find_slug(&g, ctx, "acme"));
	ck_assert_str_eq(saas_tenant_id(g), saas_tenant_id(t));

	char *json;
	ck_ok(saas_tenant_to_json(&json, g));
	ck_assert_ptr_nonnull(strstr(json, "\"status\":\"active\""));
	ck_assert_ptr_nonnull(strstr(json, "\"created_at\":\"2026-01-01T00:00:00.000Z\""));
	saas_free(json);
	saas_tenant_free(g);

	/* The creation is audited in the tenant's stream. */
	ck_assert_uint_eq(export_rows(saas_tenant_id(t), "audit_events"), 1);
	saas_tenant_free(t);
	/* out may be NULL */
	ck_ok(saas_tenant_create(NULL, ctx, th_system(), "second", "Second"));
}
END_TEST

START_TEST(create_rejects_bad_input)
{
	saas_tenant *t = (saas_tenant *)1;
	const char *bad_slugs[] = {"", "Acme", "-acme", "acme-", "ac me", "acmé", "a_b",
	                           "0123456789012345678901234567890123456789012345678901234567890123"};

	for (size_t i = 0; i < sizeof bad_slugs / sizeof bad_slugs[0]; i++) {
		ck_rc(saas_tenant_create(&t, ctx, th_system(), bad_slugs[i], "Name"), SAAS_EINVAL);
		ck_field("slug");
		ck_assert_ptr_null(t);
	}
	ck_rc(saas_tenant_create(&t, ctx, th_system(), NULL, "Name"), SAAS_EINVAL);
	ck_field("slug");
	ck_rc(saas_tenant_create(&t, ctx, th_system(), "ok", ""), SAAS_EINVAL);
	ck_field("name");
	ck_rc(saas_tenant_create(&t, ctx, th_system(), "ok", "bad\nname"), SAAS_EINVAL);
	ck_field("name");
	ck_rc(saas_tenant_create(&t, ctx, th_system(), "ok", "\xff\xfe"), SAAS_EINVAL);
	ck_field("name");
	ck_rc(saas_tenant_create(&t, ctx, NULL, "ok", "Name"), SAAS_EINVAL);
	ck_rc(saas_tenant_create(&t, NULL, th_system(), "ok", "Name"), SAAS_EINVAL);
	/* a scope with a tenant cannot create tenants */
	const char *a = th_tenant(ctx, "a");
	ck_rc(saas_tenant_create(&t, ctx, th_scope(a), "ok", "Name"), SAAS_EINVAL);
	ck_field("scope");

	/* the message names the offending value */
	ck_rc(saas_tenant_create(&t, ctx, th_system(), "Bad Slug", "Name"), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "'Bad Slug'"));

	/* duplicates */
	ck_rc(saas_tenant_create(&t, ctx, th_system(), "a", "Again"), SAAS_EEXISTS);
	ck_field("slug");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "'a'"));
	ck_assert_ptr_null(t);

	/* nothing was written by the refusals */
	saas_tenant_page *p;
	ck_ok(saas_admin_tenant_list(&p, ctx, th_system(), -1, NULL, 100));
	ck_assert_uint_eq(saas_tenant_page_count(p), 1);
	saas_tenant_page_free(p);
}
END_TEST

START_TEST(get_unknown)
{
	saas_tenant *t;
	char *id;

	ck_ok(saas_id_new(&id, ctx, "ten"));
	ck_rc(saas_tenant_get(&t, ctx, th_scope(id)), SAAS_ENOTFOUND);
	ck_assert_ptr_null(t);
	saas_free(id);
	ck_rc(saas_tenant_get(&t, ctx, th_system()), SAAS_EINVAL);
	ck_rc(saas_tenant_get(NULL, ctx, th_system()), SAAS_EINVAL);
	ck_rc(saas_tenant_find_slug(&t, ctx, "nope"), SAAS_ENOTFOUND);
	ck_rc(saas_tenant_find_slug(&t, ctx, "No Pe"), SAAS_EINVAL);
	ck_rc(saas_tenant_get(&t, ctx, th_scope(SAAS_SYSTEM_TENANT_ID)), SAAS_ENOTFOUND);
}
END_TEST

START_TEST(list_paginates)
{
	char slug[16];
	saas_tenant_page *p;
	const char *cursor = NULL;
	char *saved = NULL;
	size_t seen = 0, pages = 0;

	for (int i = 0; i < 7; i++) {
		snprintf(slug, sizeof slug, "t%d", i);
		th_tenant(ctx, slug);
		th_clock_advance(1);
	}
	do {
		ck_ok(saas_admin_tenant_list(&p, ctx, th_system(), -1, cursor, 3));
		for (size_t i = 0; i < saas_tenant_page_count(p); i++) {
			snprintf(slug, sizeof slug, "t%zu", seen++);
			ck_assert_str_eq(saas_tenant_slug(saas_tenant_page_at(p, i)), slug);
		}
		ck_assert_ptr_null(saas_tenant_page_at(p, saas_tenant_page_count(p)));
		free(saved);
		saved = saas_tenant_page_next_cursor(p) ? strdup(saas_tenant_page_next_cursor(p)) : NULL;
		cursor = saved;
		saas_tenant_page_free(p);
		pages++;
	} while (cursor);
	ck_assert_uint_eq(seen, 7);
	ck_assert_uint_eq(pages, 3);

	/* status filter */
	const char *t = th_tenant(ctx, "suspended-one");
	ck_ok(saas_tenant_suspend(ctx, th_scope(t), "unpaid"));
	ck_ok(saas_admin_tenant_list(&p, ctx, th_system(), SAAS_TENANT_SUSPENDED, NULL, 10));
	ck_assert_uint_eq(saas_tenant_page_count(p), 1);
	ck_assert_str_eq(saas_tenant_slug(saas_tenant_page_at(p, 0)), "suspended-one");
	ck_assert_ptr_null(saas_tenant_page_next_cursor(p));
	saas_tenant_page_free(p);

	/* every listing is audited in the deployment's stream */
	saas_tx *tx;
	int64_t listed = 0;
	ck_ok(saas__tx_begin(&tx, ctx, SAAS_SYSTEM_TENANT_ID, false));
	ck_ok(saas__st_audit_count(&listed, tx, "admin.tenants_listed"));
	saas__tx_rollback(tx);
	ck_assert_int_eq(listed, 4);

	/* bad arguments */
	ck_rc(saas_admin_tenant_list(&p, ctx, th_system(), -1, NULL, 0), SAAS_EINVAL);
	ck_field("limit");
	ck_rc(saas_admin_tenant_list(&p, ctx, th_system(), -1, NULL, 1001), SAAS_EINVAL);
	ck_rc(saas_admin_tenant_list(&p, ctx, th_system(), 7, NULL, 10), SAAS_EINVAL);
	ck_field("status");
	ck_rc(saas_admin_tenant_list(&p, ctx, th_system(), -1, "garbage", 10), SAAS_EINVAL);
	ck_field("cursor");
	ck_rc(saas_admin_tenant_list(&p, ctx, th_scope(t), -1, NULL, 10), SAAS_EINVAL);
	ck_field("scope");
}
END_TEST

START_TEST(suspend_and_reactivate)
{
	const char *t = th_tenant(ctx, "acme");
	saas_tenant *g;

	ck_rc(saas_tenant_suspend(ctx, th_scope(t), ""), SAAS_EINVAL);
	ck_field("reason");
	ck_rc(saas_tenant_suspend(ctx, th_scope(t), NULL), SAAS_EINVAL);
	ck_rc(saas_tenant_reactivate(ctx, th_scope(t)), SAAS_ESTATE);

	ck_ok(saas_tenant_suspend(ctx, th_scope(t), "payment overdue"));
	ck_ok(saas_tenant_get(&g, ctx, th_scope(t)));
	ck_assert_int_eq(saas_tenant_status_of(g), SAAS_TENANT_SUSPENDED);
	ck_assert_str_eq(saas_tenant_suspend_reason(g), "payment overdue");
	saas_tenant_free(g);
	ck_rc(saas_tenant_suspend(ctx, th_scope(t), "again"), SAAS_ESTATE);

	ck_ok(saas_tenant_reactivate(ctx, th_scope(t)));
	ck_assert_int_eq(status_of(t), SAAS_TENANT_ACTIVE);
	ck_ok(saas_tenant_get(&g, ctx, th_scope(t)));
	ck_assert_ptr_null(saas_tenant_suspend_reason(g));
	saas_tenant_free(g);

	/* created + suspended + reactivated */
	ck_assert_uint_eq(export_rows(t, "audit_events"), 3);

	char *id;
	ck_ok(saas_id_new(&id, ctx, "ten"));
	ck_rc(saas_tenant_suspend(ctx, th_scope(id), "x"), SAAS_ENOTFOUND);
	ck_rc(saas_tenant_reactivate(ctx, th_scope(id)), SAAS_ENOTFOUND);
	saas_free(id);
}
END_TEST

START_TEST(delete_restore_purge)
{
	const char *t = th_tenant(ctx, "acme");
	saas_tenant *g;

	ck_rc(saas_tenant_delete(ctx, th_scope(t), -2), SAAS_EINVAL);
	ck_field("retention_days");
	ck_rc(saas_tenant_delete(ctx, th_scope(t), 3651), SAAS_EINVAL);
	ck_rc(saas_tenant_restore(ctx, th_scope(t)), SAAS_ESTATE);
	ck_rc(saas_admin_tenant_purge(ctx, th_scope(t)), SAAS_ESTATE);

	ck_ok(saas_tenant_suspend(ctx, th_scope(t), "closing"));
	ck_ok(saas_tenant_delete(ctx, th_scope(t), -1));
	ck_ok(saas_tenant_get(&g, ctx, th_scope(t)));
	ck_assert_int_eq(saas_tenant_status_of(g), SAAS_TENANT_PENDING_DELETION);
	ck_assert_int_eq(saas_tenant_purge_after(g), th_clock_ms + 30LL * 86400000);
	saas_tenant_free(g);

	/* pending deletion refuses everything but restore, export and purge */
	ck_rc(saas_tenant_delete(ctx, th_scope(t), 5), SAAS_EDELETED);
	ck_rc(saas_tenant_suspend(ctx, th_scope(t), "x"), SAAS_EDELETED);
	ck_rc(saas_tenant_reactivate(ctx, th_scope(t)), SAAS_EDELETED);

	/* restore goes back to the status before deletion */
	ck_ok(saas_tenant_restore(ctx, th_scope(t)));
	ck_assert_int_eq(status_of(t), SAAS_TENANT_SUSPENDED);
	ck_ok(saas_tenant_reactivate(ctx, th_scope(t)));

	/* after the window, restore is refused and purge_due erases it */
	ck_ok(saas_tenant_delete(ctx, th_scope(t), 1));
	th_clock_advance(86400000LL - 1);
	unsigned purged = 99;
	ck_ok(saas_admin_tenant_purge_due(ctx, th_system(), &purged));
	ck_assert_uint_eq(purged, 0);
	th_clock_advance(1);
	ck_rc(saas_tenant_restore(ctx, th_scope(t)), SAAS_EEXPIRED);
	ck_ok(saas_admin_tenant_purge_due(ctx, th_system(), &purged));
	ck_assert_uint_eq(purged, 1);

	ck_rc(saas_tenant_get(&g, ctx, th_scope(t)), SAAS_ENOTFOUND);
	char *text;
	ck_rc(saas_tenant_export(&text, ctx, th_scope(t)), SAAS_ENOTFOUND);
	ck_rc(saas_admin_tenant_purge(ctx, th_scope(t)), SAAS_ENOTFOUND);
	ck_rc(saas_tenant_find_slug(&g, ctx, "acme"), SAAS_ENOTFOUND);
	/* the slug is free again */
	th_tenant(ctx, "acme");
	ck_rc(saas_admin_tenant_purge_due(ctx, th_scope(t), &purged), SAAS_EINVAL);
}
END_TEST

START_TEST(purge_erases_every_row)
{
	const char *t = th_tenant(ctx, "acme");
	const char *other = th_tenant(ctx, "other");
	const char *u = th_user(ctx, "owner@example.com");
	const char *v = th_user(ctx, "viewer@example.com");
	const char *roles[] = {"owner"}, *vroles[] = {"viewer"};
	saas_invitation *inv;
	char *token;

	ck_ok(saas_member_add(NULL, ctx, th_scope(t), u, roles, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(other), u, roles, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(t), v, vroles, 1));
	ck_ok(saas_invitation_create(&inv, &token, ctx, th_scope(t), "new@example.com", vroles, 1, 0));
	saas_free_secret(token);
	saas_invitation_free(inv);

	ck_assert_uint_eq(export_rows(t, "memberships"), 2);
	ck_assert_uint_eq(export_rows(t, "member_roles"), 2);
	ck_assert_uint_eq(export_rows(t, "invitations"), 1);
	ck_assert_uint_eq(export_rows(t, "users"), 2);

	ck_ok(saas_tenant_delete(ctx, th_scope(t), 0));
	ck_ok(saas_admin_tenant_purge(ctx, th_scope(t)));

	saas_tenant *g;
	saas_member *m;
	ck_rc(saas_tenant_get(&g, ctx, th_scope(t)), SAAS_ENOTFOUND);
	ck_rc(saas_member_get(&m, ctx, th_scope(t), u), SAAS_ENOTFOUND);
	/* the other tenant is untouched, and users are global */
	ck_ok(saas_member_get(&m, ctx, th_scope(other), u));
	saas_member_free(m);
	ck_assert_uint_eq(export_rows(other, "memberships"), 1);
	saas_user *user;
	ck_ok(saas_user_get(&user, ctx, v));
	saas_user_free(user);
}
END_TEST

START_TEST(export_document)
{
	const char *t = th_tenant(ctx, "empty");
	char *text;
	json_error_t err;

	ck_ok(saas_tenant_suspend(ctx, th_scope(t), "testing"));
	ck_ok(saas_tenant_delete(ctx, th_scope(t), 3));
	/* export works in every status, including pending deletion */
	ck_ok(saas_tenant_export(&text, ctx, th_scope(t)));
	json_t *doc = json_loads(text, 0, &err);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "format")), "libsaas.export");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "version")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "tenant_id")), t);
	json_t *tenant = json_object_get(doc, "tenant");
	ck_assert_str_eq(json_string_value(json_object_get(tenant, "slug")), "empty");
	ck_assert_str_eq(json_string_value(json_object_get(tenant, "status")), "pending_deletion");
	json_t *tables = json_object_get(doc, "tables");
	const char *expected[] = {"tenants", "memberships", "member_roles", "invitations",
	                          "audit_events", "users"};
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		ck_assert_msg(json_is_array(json_object_get(tables, expected[i])), "missing %s",
		              expected[i]);
	ck_assert_uint_eq(json_array_size(json_object_get(tables, "tenants")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(tables, "memberships")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(tables, "audit_events")), 3);
	json_t *ev = json_array_get(json_object_get(tables, "audit_events"), 2);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "action")), "tenant.deletion_scheduled");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "actor_id")), "test");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ev, "metadata"),
	                                                    "retention_days")), 3);
	json_decref(doc);
	saas_free(text);

	ck_rc(saas_tenant_export(NULL, ctx, th_scope(t)), SAAS_EINVAL);
	ck_rc(saas_tenant_export(&text, ctx, th_system()), SAAS_EINVAL);
	ck_assert_ptr_null(text);
}
END_TEST

START_TEST(request_context_is_audited)
{
	const char *t = th_tenant(ctx, "acme");
	saas_scope *s;
	char *text;

	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	saas_audit_page *p;

	ck_ok(saas_scope_new(&s, t, SAAS_ACTOR_SUPPORT, "stf_alice"));
	ck_ok(saas_scope_set_request_id(s, "req-123"));
	ck_ok(saas_scope_set_ip(s, "2001:db8::1"));
	ck_ok(saas_scope_set_user_agent(s, "curl/8.0"));
	ck_ok(saas_scope_set_actor_email(s, "Alice@Support.Example"));
	ck_ok(saas_scope_set_on_behalf_of(s, "usr_01HZX0000000000000000000A8"));
	ck_ok(saas_tenant_suspend(ctx, s, "abuse report"));
	saas_scope_free(s);
	/* The export holds the stored rows: the personal fields only encrypted. */
	ck_ok(saas_tenant_export(&text, ctx, th_scope(t)));
	ck_assert_ptr_nonnull(strstr(text, "\"request_id\":\"req-123\""));
	ck_assert_ptr_nonnull(strstr(text, "\"actor_type\":\"support\""));
	ck_assert_ptr_nonnull(strstr(text, "\"on_behalf_of\":\"usr_01HZX0000000000000000000A8\""));
	ck_assert_ptr_null(strstr(text, "2001:db8::1"));
	ck_assert_ptr_null(strstr(text, "curl/8.0"));
	ck_assert_ptr_null(strstr(text, "alice@support.example"));
	saas_free(text);
	/* The log shows both identities and the decrypted context. */
	f.action_prefix = "tenant.suspended";
	ck_ok(saas_audit_query(&p, ctx, th_scope(t), &f, NULL, 10));
	ck_assert_uint_eq(saas_audit_page_count(p), 1);
	json_t *e = json_loads(saas_audit_page_event_json(p, 0), 0, NULL);
	json_t *actor = json_object_get(e, "actor"), *c = json_object_get(e, "context");
	ck_assert_str_eq(json_string_value(json_object_get(actor, "type")), "support");
	ck_assert_str_eq(json_string_value(json_object_get(actor, "id")), "stf_alice");
	ck_assert_str_eq(json_string_value(json_object_get(actor, "on_behalf_of")),
	                 "usr_01HZX0000000000000000000A8");
	ck_assert_str_eq(json_string_value(json_object_get(actor, "email")), "alice@support.example");
	ck_assert_str_eq(json_string_value(json_object_get(c, "ip")), "2001:db8::1");
	ck_assert_str_eq(json_string_value(json_object_get(c, "user_agent")), "curl/8.0");
	ck_assert_str_eq(json_string_value(json_object_get(c, "request_id")), "req-123");
	json_decref(e);
	saas_audit_page_free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tenant");
	TCase *tc = tcase_create("tenant");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_and_get);
	tcase_add_test(tc, create_rejects_bad_input);
	tcase_add_test(tc, get_unknown);
	tcase_add_test(tc, list_paginates);
	tcase_add_test(tc, suspend_and_reactivate);
	tcase_add_test(tc, delete_restore_purge);
	tcase_add_test(tc, purge_erases_every_row);
	tcase_add_test(tc, export_document);
	tcase_add_test(tc, request_context_is_audited);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *urls[] = {"memory:", "sqlite:"};
	int rc = EXIT_SUCCESS;

	for (size_t i = 0; i < 2; i++) {
		url = urls[i];
		if (th_run(suite()) != EXIT_SUCCESS)
			rc = EXIT_FAILURE;
	}
	return rc;
}
