/*
 * The conformance suite: what every storage backend must do, run unchanged on
 * each. Usage: conformance URL (memory:, sqlite: for a fresh temporary file,
 * sqlite:PATH, postgres://…).
 *
 * A backend is done when this passes: tenant isolation, atomic mutations with
 * their audit events, uniqueness, stable cursor pagination, concurrent writers
 * keeping a gapless audit stream, purge erasing every tenant table, export
 * listing every tenant table, and the schema rules (tenant_id leads the
 * primary key of every tenant table).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../helpers.h"
#include "store/store.h"

static saas_ctx *ctx;

static void setup(void)
{
	ctx = th_open(th_url);
}

static void teardown(void)
{
	th_close(ctx);
}

static const char *const owner[] = {"owner"};
static const char *const member[] = {"member"};

static json_t *export_doc(const char *tenant)
{
	char *text;
	ck_ok(saas_tenant_export(&text, ctx, th_scope(tenant)));
	json_t *doc = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	saas_free(text);
	return doc;
}

static size_t table_rows(json_t *doc, const char *table)
{
	json_t *rows = json_object_get(json_object_get(doc, "tables"), table);
	ck_assert_msg(json_is_array(rows), "export lacks table %s", table);
	return json_array_size(rows);
}

/* Tables (from the live schema) having a tenant_id column. */
static saas_query q_tenant_tables = {
	0,
	"SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema()"
	" AND column_name = 'tenant_id' ORDER BY table_name",
	"SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p"
	" WHERE m.type = 'table' AND p.name = 'tenant_id' ORDER BY m.name",
	NULL, 0};
/* For a table, the first column of its primary key. */
static saas_query q_first_pk = {
	0,
	"SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
	" AND a.attnum = i.indkey[0] WHERE i.indrelid = CAST($1 AS regclass) AND i.indisprimary",
	"SELECT name FROM pragma_table_info($1) WHERE pk = 1",
	NULL, 0};

START_TEST(schema_rules)
{
	saas_tx *tx;
	saas_stmt *st;
	char *tables[64];
	size_t n = 0;
	int rc;

	ck_ok(saas__tx_begin(&tx, ctx, NULL, false));
	ck_ok(saas__q_open(&st, tx, &q_tenant_tables, ""));
	while ((rc = saas__q_step(st)) == 1 && n < 64)
		tables[n++] = saas__q_dup(st, 0);
	ck_assert_int_eq(rc, 0);
	saas__q_close(st);
	ck_assert_uint_gt(n, 0);

	for (size_t i = 0; i < n; i++) {
		/* every table with tenant rows is purged and exported */
		bool listed = false;
		for (size_t k = 0; saas__tenant_tables[k]; k++)
			listed |= strcmp(saas__tenant_tables[k], tables[i]) == 0;
		ck_assert_msg(listed, "table %s has tenant_id but is not in saas__tenant_tables",
		              tables[i]);
		/* and tenant_id leads its primary key */
		ck_ok(saas__q_open(&st, tx, &q_first_pk, "s", tables[i]));
		ck_assert_int_eq(saas__q_step(st), 1);
		ck_assert_msg(strcmp(saas__q_text(st, 0), "tenant_id") == 0,
		              "primary key of %s starts with %s", tables[i], saas__q_text(st, 0));
		saas__q_close(st);
		free(tables[i]);
	}
	saas__tx_rollback(tx);
}
END_TEST

START_TEST(tenant_isolation)
{
	const char *a = th_tenant(ctx, "alpha");
	const char *b = th_tenant(ctx, "beta");
	const char *u = th_user(ctx, "u@example.com");
	const char *v = th_user(ctx, "v@example.com");
	saas_member *m;
	saas_member_page *p;

	ck_ok(saas_member_add(NULL, ctx, th_scope(a), u, owner, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(b), v, owner, 1));

	/* each tenant sees only its own memberships */
	ck_rc(saas_member_get(&m, ctx, th_scope(b), u), SAAS_ENOTFOUND);
	ck_rc(saas_member_get(&m, ctx, th_scope(a), v), SAAS_ENOTFOUND);
	ck_ok(saas_member_list(&p, ctx, th_scope(a), NULL, 100));
	ck_assert_uint_eq(saas_member_page_count(p), 1);
	ck_assert_str_eq(saas_member_user_id(saas_member_page_at(p, 0)), u);
	saas_member_page_free(p);
	/* removing from the wrong tenant touches nothing */
	ck_rc(saas_member_remove(ctx, th_scope(b), u), SAAS_ENOTFOUND);
	ck_ok(saas_member_get(&m, ctx, th_scope(a), u));
	saas_member_free(m);

	/* exports hold only the tenant's rows */
	json_t *doc = export_doc(a);
	json_t *tables = json_object_get(doc, "tables");
	const char *key;
	json_t *rows;
	json_object_foreach(tables, key, rows) {
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row) {
			json_t *tid = json_object_get(row, "tenant_id");
			if (tid)
				ck_assert_str_eq(json_string_value(tid), a);
		}
	}
	ck_assert_uint_eq(table_rows(doc, "users"), 1);
	json_decref(doc);
}
END_TEST

START_TEST(uniqueness)
{
	const char *t = th_tenant(ctx, "acme");
	const char *u = th_user(ctx, "Dup@Example.com");
	saas_user *x;

	ck_rc(saas_tenant_create(NULL, ctx, th_system(), "acme", "Again"), SAAS_EEXISTS);
	ck_rc(saas_user_create(&x, ctx, th_system(), "dup@example.com", NULL), SAAS_EEXISTS);
	ck_rc(saas_user_create(&x, ctx, th_system(), "  DUP@EXAMPLE.COM ", NULL), SAAS_EEXISTS);
	ck_ok(saas_member_add(NULL, ctx, th_scope(t), u, owner, 1));
	ck_rc(saas_member_add(NULL, ctx, th_scope(t), u, member, 1), SAAS_EEXISTS);
}
END_TEST

START_TEST(refused_writes_change_nothing)
{
	const char *t = th_tenant(ctx, "acme");
	const char *u = th_user(ctx, "owner@example.com");
	const char *v = th_user(ctx, "other@example.com");

	ck_ok(saas_member_add(NULL, ctx, th_scope(t), u, owner, 1));
	json_t *before = export_doc(t);

	ck_rc(saas_member_remove(ctx, th_scope(t), u), SAAS_ESTATE);
	ck_rc(saas_member_set_roles(ctx, th_scope(t), u, member, 1), SAAS_ESTATE);
	ck_ok(saas_tenant_suspend(ctx, th_scope(t), "test"));
	ck_rc(saas_member_add(NULL, ctx, th_scope(t), v, member, 1), SAAS_ESUSPENDED);
	ck_ok(saas_tenant_reactivate(ctx, th_scope(t)));

	json_t *after = export_doc(t);
	json_t *tb = json_object_get(before, "tables"), *ta = json_object_get(after, "tables");
	ck_assert(json_equal(json_object_get(tb, "memberships"), json_object_get(ta, "memberships")));
	ck_assert(json_equal(json_object_get(tb, "member_roles"), json_object_get(ta, "member_roles")));
	/* only the suspension and reactivation were audited */
	ck_assert_uint_eq(table_rows(after, "audit_events"), table_rows(before, "audit_events") + 2);
	json_decref(before);
	json_decref(after);
}
END_TEST

START_TEST(pagination_is_stable)
{
	const char *t = th_tenant(ctx, "acme");
	char email[64];
	const char *ids[23];
	saas_member_page *p;
	char *cursor = NULL;
	size_t seen = 0;

	for (int i = 0; i < 23; i++) {
		snprintf(email, sizeof email, "user%02d@example.com", i);
		ids[i] = th_user(ctx, email);
		ck_ok(saas_member_add(NULL, ctx, th_scope(t), ids[i], i ? member : owner, 1));
		th_clock_advance(1);
	}
	do {
		ck_ok(saas_member_list(&p, ctx, th_scope(t), cursor, 5));
		/* a member added mid-iteration appears at the end, not twice */
		if (seen == 5) {
			const char *late = th_user(ctx, "late@example.com");
			ck_ok(saas_member_add(NULL, ctx, th_scope(t), late, member, 1));
		}
		for (size_t i = 0; i < saas_member_page_count(p); i++, seen++)
			if (seen < 23)
				ck_assert_str_eq(saas_member_user_id(saas_member_page_at(p, i)), ids[seen]);
		free(cursor);
		cursor = saas_member_page_next_cursor(p) ? strdup(saas_member_page_next_cursor(p)) : NULL;
		saas_member_page_free(p);
	} while (cursor);
	ck_assert_uint_eq(seen, 24);
}
END_TEST

struct writer {
	const char *tenant;
	int index;
	int failures;
};

static void *write_members(void *arg)
{
	struct writer *w = arg;
	saas_scope *s;
	char email[64];

	saas_scope_new(&s, w->tenant, SAAS_ACTOR_SYSTEM, "writer");
	for (int i = 0; i < 10; i++) {
		saas_user *u;
		snprintf(email, sizeof email, "w%d-%d@example.com", w->index, i);
		if (saas_user_create(&u, ctx, s, email, NULL) ||
		    saas_member_add(NULL, ctx, s, saas_user_id(u), member, 1))
			w->failures++;
		saas_user_free(u);
	}
	saas_scope_free(s);
	return NULL;
}

START_TEST(concurrent_writers_keep_a_gapless_stream)
{
	const char *t = th_tenant(ctx, "busy");
	struct writer w[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct writer){t, i, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, write_members, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	json_t *doc = export_doc(t);
	ck_assert_uint_eq(table_rows(doc, "memberships"), 40);
	json_t *events = json_object_get(json_object_get(doc, "tables"), "audit_events");
	ck_assert_uint_eq(json_array_size(events), 41);
	for (size_t i = 0; i < json_array_size(events); i++)
		ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(events, i), "seq")),
		                 (json_int_t)i + 1);
	json_decref(doc);
}
END_TEST

START_TEST(purge_and_export_cover_every_table)
{
	const char *t = th_tenant(ctx, "acme");
	const char *u = th_user(ctx, "o@example.com");
	saas_invitation *inv;
	char *token;

	ck_ok(saas_member_add(NULL, ctx, th_scope(t), u, owner, 1));
	ck_ok(saas_invitation_create(&inv, &token, ctx, th_scope(t), "n@example.com", member, 1, 0));
	saas_invitation_free(inv);
	saas_free_secret(token);
	th_custom_role(ctx, t);
	th_support_grant(ctx, t);
	th_apikey(ctx, t, u);
	th_billing(ctx, t);
	th_webhook(ctx, t);
	th_audit_anchor_and_checkpoint(ctx, t);

	json_t *doc = export_doc(t);
	for (size_t k = 0; saas__tenant_tables[k]; k++)
		ck_assert_msg(table_rows(doc, saas__tenant_tables[k]) > 0, "no rows in %s",
		              saas__tenant_tables[k]);
	json_decref(doc);

	ck_ok(saas_tenant_delete(ctx, th_scope(t), 0));
	ck_ok(saas_admin_tenant_purge(ctx, th_scope(t)));

	/* nothing of the tenant remains in any tenant table */
	saas_tx *tx;
	ck_ok(saas__tx_begin(&tx, ctx, t, false));
	for (size_t k = 0; saas__tenant_tables[k]; k++) {
		json_t *tables;
		ck_ok(saas__st_tenant_export_tables(&tables, tx));
		ck_assert_uint_eq(json_array_size(json_object_get(tables, saas__tenant_tables[k])), 0);
		ck_assert_uint_eq(json_array_size(json_object_get(tables, "tenants")), 0);
		json_decref(tables);
	}
	saas__tx_rollback(tx);

	/* and the deployment's stream records the purge */
	int64_t n = 0;
	ck_ok(saas__tx_begin(&tx, ctx, SAAS_SYSTEM_TENANT_ID, false));
	ck_ok(saas__st_audit_count(&n, tx, "tenant.purged"));
	saas__tx_rollback(tx);
	ck_assert_int_eq(n, 1);
}
END_TEST

START_TEST(text_round_trips)
{
	saas_tenant *t;
	const char *name = "Ünïcødé 株式会社 — \"quotes\" 'and' \\ back";
	ck_ok(saas_tenant_create(&t, ctx, th_system(), "unicode", name));
	saas_tenant *g;
	ck_ok(saas_tenant_get(&g, ctx, th_scope(saas_tenant_id(t))));
	ck_assert_str_eq(saas_tenant_name(g), name);
	saas_tenant_free(g);
	saas_tenant_free(t);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("conformance");
	TCase *tc = tcase_create(argc > 1 ? argv[1] : "memory:");

	th_url = argc > 1 ? argv[1] : "memory:";
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, schema_rules);
	tcase_add_test(tc, tenant_isolation);
	tcase_add_test(tc, uniqueness);
	tcase_add_test(tc, refused_writes_change_nothing);
	tcase_add_test(tc, pagination_is_stable);
	tcase_add_test(tc, concurrent_writers_keep_a_gapless_stream);
	tcase_add_test(tc, purge_and_export_cover_every_table);
	tcase_add_test(tc, text_round_trips);
	suite_add_tcase(s, tc);
	return th_run(s);
}
