/*
 * The audit log: verification of intact streams, and of streams tampered with
 * directly in the database as an attacker would (bypassing the library: test
 * SQL through the internal store API), on memory:, sqlite: and, when
 * SAAS_TEST_POSTGRES_URL is set, PostgreSQL; atomicity of a mutation and its
 * event.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_helpers.h"
#include "audit/audit.h"
#include "store/store.h"

static const char *url = "memory:";
static saas_ctx *ctx;

static const char *const owner[] = {"owner"};
static const char *const member[] = {"member"};

static void setup(void)
{
	ctx = th_open(url);
}

static void teardown(void)
{
	th_close(ctx);
}

/* ---- the attacker's tools: SQL straight into audit_events ---------------------- */

static saas_query q_set_metadata = SAAS_QUERY(
	"UPDATE audit_events SET metadata = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_set_actor = SAAS_QUERY(
	"UPDATE audit_events SET actor_id = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_set_hash = SAAS_QUERY(
	"UPDATE audit_events SET hash = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_set_meta_hash = SAAS_QUERY(
	"UPDATE audit_events SET metadata = $3, hash = $4 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_set_format = SAAS_QUERY(
	"UPDATE audit_events SET format = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_set_seq = SAAS_QUERY(
	"UPDATE audit_events SET seq = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_delete = SAAS_QUERY(
	"DELETE FROM audit_events WHERE tenant_id = $1 AND seq = $2");

/* Run one tampering statement in its own write transaction of the tenant (so
 * PostgreSQL's row-level security lets the application role at the rows);
 * exactly one row must change. */
static void tamper(const char *tenant, saas_query *q, const char *fmt, int64_t seq,
                   const char *a, const char *b, int64_t n)
{
	ck_assert_int_eq(ta_exec(ctx, tenant, q, fmt, seq, a, b, n), 1);
}

/* Swap two events' sequence numbers through a temporary one. */
static void swap_seq(const char *tenant, int64_t a, int64_t b)
{
	tamper(tenant, &q_set_seq, "sii", a, NULL, NULL, -1);
	tamper(tenant, &q_set_seq, "sii", b, NULL, NULL, a);
	tamper(tenant, &q_set_seq, "sii", -1, NULL, NULL, b);
}

/* One stored event, copied. */
struct saved_row {
	const char *tenant;
	const char *new_metadata; /* if set: the hash the row would have with it */
	int64_t seq;
	char hash[65];
	char rehash[65];
	char action[64];
};

static int save_row(const struct saas__audit_row *row, void *payload)
{
	struct saved_row *s = payload;
	s->seq = row->seq;
	snprintf(s->hash, sizeof s->hash, "%s", row->hash);
	snprintf(s->action, sizeof s->action, "%s", row->action);
	if (s->new_metadata) {
		struct saas__audit_row r = *row;
		r.metadata = s->new_metadata;
		ck_ok(saas__audit_hash(s->rehash, s->tenant, &r));
	}
	return 1;
}

/* Read event `seq` of `tenant` (with new_metadata: also its hash with that metadata). */
static void read_row(struct saved_row *s, const char *tenant, int64_t seq, const char *new_metadata)
{
	saas_tx *tx;
	size_t n;

	memset(s, 0, sizeof *s);
	s->tenant = tenant;
	s->new_metadata = new_metadata;
	ck_ok(saas__tx_begin(&tx, ctx, tenant, false));
	ck_ok(saas__st_audit_scan(&n, tx, seq - 1, 1, save_row, s));
	saas__tx_rollback(tx);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(s->seq, seq);
}

static int64_t count_events(const char *tenant)
{
	saas_tx *tx;
	int64_t n;

	ck_ok(saas__tx_begin(&tx, ctx, tenant, false));
	ck_ok(saas__st_audit_count(&n, tx, NULL));
	saas__tx_rollback(tx);
	return n;
}

static saas_audit_report *verify(const char *tenant)
{
	saas_audit_report *r = NULL;
	ck_ok(saas_audit_verify(&r, ctx, th_scope(tenant)));
	ck_assert_ptr_nonnull(r);
	return r;
}

/* Verify and expect `damage` at `seq`, with a message naming both. */
static void expect_damage(const char *tenant, int damage, int64_t seq, const char *words)
{
	saas_audit_report *r = verify(tenant);
	const char *msg = saas_audit_report_message(r);

	ck_assert_msg(saas_audit_report_damage(r) == damage, "expected %s at %lld, got %s: %s",
	              saas_audit_damage_name(damage), (long long)seq,
	              saas_audit_damage_name(saas_audit_report_damage(r)), msg);
	ck_assert_int_eq(saas_audit_report_ok(r), 0);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), seq);
	ck_assert_msg(strstr(msg, words) != NULL, "message '%s' lacks '%s'", msg, words);
	/* What verified is the part before the damage. */
	ck_assert_int_eq(saas_audit_report_events(r), seq - 1);
	ck_assert_int_eq(saas_audit_report_last_seq(r), seq - 1);
	if (seq > 1) {
		struct saved_row prev;
		read_row(&prev, tenant, seq - 1, NULL);
		ck_assert_str_eq(saas_audit_report_last_hash(r), prev.hash);
	} else {
		ck_assert_str_eq(saas_audit_report_last_hash(r), "");
	}
	saas_audit_report_free(r);
}

/* A tenant with a few mutations: at least 8 events. */
static const char *busy_tenant(const char *slug)
{
	char email[64];
	const char *t = th_tenant(ctx, slug);
	saas_scope *s = th_scope(t);

	snprintf(email, sizeof email, "a@%s.example", slug);
	const char *u1 = th_user(ctx, email);
	snprintf(email, sizeof email, "b@%s.example", slug);
	const char *u2 = th_user(ctx, email);
	ck_ok(saas_member_add(NULL, ctx, s, u1, owner, 1));
	ck_ok(saas_member_add(NULL, ctx, s, u2, member, 1));
	ck_ok(saas_member_set_roles(ctx, s, u2, owner, 1));
	ck_ok(saas_tenant_suspend(ctx, s, "billing"));
	ck_ok(saas_tenant_reactivate(ctx, s));
	ck_ok(saas_member_set_roles(ctx, s, u2, member, 1));
	ck_ok(saas_member_remove(ctx, s, u2));
	ck_assert_int_ge(count_events(t), 8);
	return t;
}

/* ---- intact streams ------------------------------------------------------------- */

START_TEST(intact_tenant_stream)
{
	const char *t = busy_tenant("acme");
	int64_t n = count_events(t);
	saas_audit_report *r = verify(t);
	struct saved_row last;
	char msg[64];

	read_row(&last, t, n, NULL);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_OK);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 0);
	ck_assert_int_eq(saas_audit_report_events(r), n);
	ck_assert_int_eq(saas_audit_report_last_seq(r), n);
	ck_assert_str_eq(saas_audit_report_last_hash(r), last.hash);
	snprintf(msg, sizeof msg, "intact: %lld events, no signed checkpoint", (long long)n);
	ck_assert_str_eq(saas_audit_report_message(r), msg);
	saas_audit_report_free(r);
}
END_TEST

START_TEST(intact_deployment_stream)
{
	busy_tenant("one");
	busy_tenant("two");
	int64_t n = count_events(SAAS_SYSTEM_TENANT_ID);
	ck_assert_int_ge(n, 6); /* two tenants and four users created */
	saas_audit_report *r = verify(SAAS_SYSTEM_TENANT_ID);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_events(r), n);
	ck_assert_int_eq(saas_audit_report_last_seq(r), n);
	saas_audit_report_free(r);
}
END_TEST

START_TEST(intact_in_every_status)
{
	const char *t = busy_tenant("gone");
	ck_ok(saas_tenant_suspend(ctx, th_scope(t), "abuse"));
	saas_audit_report *r = verify(t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	saas_audit_report_free(r);
	ck_ok(saas_tenant_delete(ctx, th_scope(t), 30));
	r = verify(t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_events(r), count_events(t));
	saas_audit_report_free(r);
}
END_TEST

START_TEST(empty_stream)
{
	char *id;
	ck_ok(saas_id_new(&id, ctx, "ten"));
	saas_audit_report *r = verify(id);
	ck_assert_int_ne(saas_audit_report_ok(r), 0);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_OK);
	ck_assert_int_eq(saas_audit_report_events(r), 0);
	ck_assert_int_eq(saas_audit_report_last_seq(r), 0);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 0);
	ck_assert_str_eq(saas_audit_report_last_hash(r), "");
	ck_assert_str_eq(saas_audit_report_message(r), "intact: 0 events, no signed checkpoint");
	saas_audit_report_free(r);
	saas_free(id);
}
END_TEST

/* More events than one read batch (1,000), appended through the library's own
 * append inside one transaction; damage past the first batch is found. */
START_TEST(long_stream_across_batches)
{
	const char *t = th_tenant(ctx, "long");
	saas_scope *s = th_scope(t);
	saas_tx *tx;

	ck_ok(saas__tx_begin(&tx, ctx, t, true));
	for (int i = 0; i < 2100; i++)
		ck_ok(saas__audit_append(tx, s, "test.event", NULL, NULL,
		                         json_pack("{s:i}", "i", i)));
	ck_ok(saas__tx_commit(tx));
	int64_t n = count_events(t);
	ck_assert_int_eq(n, 2101);
	saas_audit_report *r = verify(t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_events(r), n);
	ck_assert_int_eq(saas_audit_report_last_seq(r), n);
	saas_audit_report_free(r);

	tamper(t, &q_set_metadata, "sis", 2050, "{\"i\":0}", NULL, 0);
	expect_damage(t, SAAS_AUDIT_CHANGED, 2050, "event 2050 was changed");
}
END_TEST

/* ---- tampering --------------------------------------------------------------------- */

START_TEST(changed_field_is_found)
{
	const char *t = busy_tenant("edit");
	tamper(t, &q_set_metadata, "sis", 3, "{\"roles\":[\"viewer\"]}", NULL, 0);
	expect_damage(t, SAAS_AUDIT_CHANGED, 3,
	              "event 3 was changed: its content no longer matches its hash");
}
END_TEST

START_TEST(changed_first_and_last_events_are_found)
{
	const char *t1 = busy_tenant("first");
	tamper(t1, &q_set_actor, "sis", 1, "usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", NULL, 0);
	expect_damage(t1, SAAS_AUDIT_CHANGED, 1, "event 1 was changed");

	const char *t2 = busy_tenant("last");
	int64_t n = count_events(t2);
	tamper(t2, &q_set_metadata, "sis", n, "{}", NULL, 0);
	expect_damage(t2, SAAS_AUDIT_CHANGED, n, "was changed");
}
END_TEST

START_TEST(changed_hash_is_found)
{
	const char *t = busy_tenant("hash");
	tamper(t, &q_set_hash, "sis", 4,
	       "0000000000000000000000000000000000000000000000000000000000000001", NULL, 0);
	expect_damage(t, SAAS_AUDIT_CHANGED, 4, "event 4 was changed");
}
END_TEST

START_TEST(unknown_format_is_changed)
{
	const char *t = busy_tenant("format");
	tamper(t, &q_set_format, "sii", 2, NULL, NULL, 9);
	expect_damage(t, SAAS_AUDIT_CHANGED, 2, "event 2 was changed: its format 9 is not one");
}
END_TEST

START_TEST(deleted_event_is_missing)
{
	const char *t = busy_tenant("del");
	tamper(t, &q_delete, "si", 4, NULL, NULL, 0);
	expect_damage(t, SAAS_AUDIT_MISSING, 4, "event 4 is missing");

	const char *t2 = busy_tenant("delfirst");
	tamper(t2, &q_delete, "si", 1, NULL, NULL, 0);
	tamper(t2, &q_delete, "si", 2, NULL, NULL, 0);
	expect_damage(t2, SAAS_AUDIT_MISSING, 1, "event 1 is missing");
}
END_TEST

START_TEST(swapped_events_are_out_of_order)
{
	const char *t = busy_tenant("swap");
	swap_seq(t, 3, 5);
	expect_damage(t, SAAS_AUDIT_OUT_OF_ORDER, 3,
	              "event 3 is out of order: its content and hash are those of event 5");

	const char *t2 = busy_tenant("swapnext");
	swap_seq(t2, 6, 7);
	expect_damage(t2, SAAS_AUDIT_OUT_OF_ORDER, 6, "event 6 is out of order");
}
END_TEST

/* An event moved to the end of the stream: its old place is a gap first. */
START_TEST(moved_event_leaves_a_gap)
{
	const char *t = busy_tenant("move");
	int64_t n = count_events(t);
	tamper(t, &q_set_seq, "sii", 2, NULL, NULL, n + 1);
	expect_damage(t, SAAS_AUDIT_MISSING, 2, "event 2 is missing");
}
END_TEST

/* The attacker edits an event and recomputes its hash: the event itself checks
 * out, but the next one no longer chains to it. */
START_TEST(rehashed_event_breaks_the_next_link)
{
	const char *t = busy_tenant("rehash");
	const char *meta = "{\"forged\":true}";
	struct saved_row row;

	read_row(&row, t, 4, meta);
	ck_assert_str_ne(row.rehash, row.hash);
	tamper(t, &q_set_meta_hash, "siss", 4, meta, row.rehash, 0);
	expect_damage(t, SAAS_AUDIT_BROKEN_LINK, 5,
	              "event 5 has a broken link: its previous hash is not the hash of event 4");
}
END_TEST

/* Event 1 re-hashed onto a different starting hash. */
struct rechain {
	const char *tenant;
	const char *prev;
	char hash[65];
};

static int rehash_first(const struct saas__audit_row *r, void *payload)
{
	struct rechain *p = payload;
	struct saas__audit_row e = *r;

	e.prev_hash = p->prev;
	ck_ok(saas__audit_hash(p->hash, p->tenant, &e));
	return 1;
}

START_TEST(first_event_must_start_from_zeros)
{
	static saas_query q_rechain = SAAS_QUERY(
		"UPDATE audit_events SET prev_hash = $3, hash = $4 WHERE tenant_id = $1 AND seq = $2");
	const char *t = busy_tenant("zero");
	struct rechain p = {t, "1111111111111111111111111111111111111111111111111111111111111111", ""};
	saas_tx *tx;
	size_t n;

	ck_ok(saas__tx_begin(&tx, ctx, t, false));
	ck_ok(saas__st_audit_scan(&n, tx, 0, 1, rehash_first, &p));
	saas__tx_rollback(tx);
	ck_assert_uint_eq(n, 1);
	tamper(t, &q_rechain, "siss", 1, p.prev, p.hash, 0);
	expect_damage(t, SAAS_AUDIT_BROKEN_LINK, 1, "event 1 has a broken link");
}
END_TEST

/* ---- arguments ----------------------------------------------------------------------- */

START_TEST(bad_arguments)
{
	saas_audit_report *r = (saas_audit_report *)1;
	const char *t = th_tenant(ctx, "args");

	ck_rc(saas_audit_verify(NULL, ctx, th_scope(t)), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_audit_verify(&r, NULL, th_scope(t)), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_ptr_null(r);
	r = (saas_audit_report *)1;
	ck_rc(saas_audit_verify(&r, ctx, NULL), SAAS_EINVAL);
	ck_field("scope");
	ck_assert_ptr_null(r);
	ck_rc(saas_audit_verify(&r, ctx, th_system()), SAAS_EINVAL);
	ck_field("scope");
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(report_getters_on_null)
{
	ck_assert_int_eq(saas_audit_report_ok(NULL), 0);
	ck_assert_int_eq(saas_audit_report_damage(NULL), -1);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(NULL), 0);
	ck_assert_int_eq(saas_audit_report_events(NULL), 0);
	ck_assert_int_eq(saas_audit_report_last_seq(NULL), 0);
	ck_assert_ptr_null(saas_audit_report_last_hash(NULL));
	ck_assert_ptr_null(saas_audit_report_message(NULL));
	saas_audit_report_free(NULL);

	ck_assert_str_eq(saas_audit_damage_name(SAAS_AUDIT_OK), "ok");
	ck_assert_str_eq(saas_audit_damage_name(SAAS_AUDIT_CHANGED), "changed");
	ck_assert_str_eq(saas_audit_damage_name(SAAS_AUDIT_MISSING), "missing");
	ck_assert_str_eq(saas_audit_damage_name(SAAS_AUDIT_OUT_OF_ORDER), "out_of_order");
	ck_assert_str_eq(saas_audit_damage_name(SAAS_AUDIT_BROKEN_LINK), "broken_link");
	ck_assert_ptr_null(saas_audit_damage_name(7));
	ck_assert_ptr_null(saas_audit_damage_name(-1));
}
END_TEST

START_TEST(verify_is_counted)
{
	const char *t = th_tenant(ctx, "metrics");
	saas_audit_report *r = NULL;
	int64_t n = 0;

	char *text;

	saas_audit_report_free(verify(t));
	saas_audit_report_free(verify(SAAS_SYSTEM_TENANT_ID));
	ck_rc(saas_audit_verify(&r, ctx, th_system()), SAAS_EINVAL);
	/* Each call timed in the histogram "audit.verify"; errors counted apart. */
	ck_ok(saas_metrics_snapshot_json(&text, ctx));
	json_t *m = json_loads(text, 0, NULL);
	json_t *h = json_object_get(json_object_get(m, "histograms"), "audit.verify");
	ck_assert_int_eq(json_integer_value(json_object_get(h, "count")), 3);
	json_decref(m);
	saas_free(text);
	ck_ok(saas_metrics_counter_value(&n, ctx, "audit.verify.errors"));
	ck_assert_int_eq(n, 1);
}
END_TEST

/* ---- atomicity ------------------------------------------------------------------------- */

/* A mutation refused by the library writes no event. */
START_TEST(refused_mutation_appends_nothing)
{
	const char *t = th_tenant(ctx, "solo");
	const char *u = th_user(ctx, "solo@example.com");
	ck_ok(saas_member_add(NULL, ctx, th_scope(t), u, owner, 1));
	int64_t before = count_events(t);

	ck_rc(saas_member_remove(ctx, th_scope(t), u), SAAS_ESTATE);
	ck_assert_int_eq(count_events(t), before);
	saas_member *m;
	ck_ok(saas_member_get(&m, ctx, th_scope(t), u)); /* the delete was rolled back too */
	saas_member_free(m);
	saas_audit_report *r = verify(t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_events(r), before);
	saas_audit_report_free(r);
}
END_TEST

/* An event appended, then the mutation fails in the same transaction: neither
 * the event nor the change remains, and the next append continues the chain. */
START_TEST(failure_after_append_leaves_neither)
{
	const char *t = th_tenant(ctx, "atomic");
	int64_t before = count_events(t);
	saas_tenant *dup;
	saas_tx *tx;

	ck_ok(saas_tenant_get(&dup, ctx, th_scope(t)));
	ck_ok(saas__tx_begin(&tx, ctx, t, true));
	ck_ok(saas__audit_append(tx, th_scope(t), "test.before_failure", NULL, NULL, NULL));
	int rc = saas__st_tenant_insert(tx, dup); /* the same tenant again: refused */
	ck_assert_int_ne(rc, SAAS_OK);
	ck_assert_int_ne(saas__tx_finish(tx, rc), SAAS_OK);
	saas_tenant_free(dup);
	ck_assert_int_eq(count_events(t), before);

	ck_ok(saas_tenant_suspend(ctx, th_scope(t), "after"));
	ck_assert_int_eq(count_events(t), before + 1);
	saas_audit_report *r = verify(t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_events(r), before + 1);
	saas_audit_report_free(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, intact_tenant_stream);
	tcase_add_test(tc, intact_deployment_stream);
	tcase_add_test(tc, intact_in_every_status);
	tcase_add_test(tc, empty_stream);
	tcase_add_test(tc, long_stream_across_batches);
	tcase_add_test(tc, changed_field_is_found);
	tcase_add_test(tc, changed_first_and_last_events_are_found);
	tcase_add_test(tc, changed_hash_is_found);
	tcase_add_test(tc, unknown_format_is_changed);
	tcase_add_test(tc, deleted_event_is_missing);
	tcase_add_test(tc, swapped_events_are_out_of_order);
	tcase_add_test(tc, moved_event_leaves_a_gap);
	tcase_add_test(tc, rehashed_event_breaks_the_next_link);
	tcase_add_test(tc, first_event_must_start_from_zeros);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, report_getters_on_null);
	tcase_add_test(tc, verify_is_counted);
	tcase_add_test(tc, refused_mutation_appends_nothing);
	tcase_add_test(tc, failure_after_append_leaves_neither);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
