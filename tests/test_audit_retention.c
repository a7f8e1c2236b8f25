/*
 * Retention (saas_audit_purge): the oldest events purged under a signed
 * anchor while the stream keeps verifying, in the database and in an export
 * file; refusals (no key, a damaged stream, bad times); an attacker's
 * deletions and forged anchors detected by name; on memory:, sqlite: and,
 * when SAAS_TEST_POSTGRES_URL is set, PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_helpers.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static const char *tenant;
static char *sec_a, *pub_a, *sec_b, *pub_b;
static char path[256];

static void setup(void)
{
	ck_ok(saas_audit_keygen(&sec_a, &pub_a, "key-a"));
	ck_ok(saas_audit_keygen(&sec_b, &pub_b, "key-b"));
	setenv("SAAS_AUDIT_SIGNING_KEY", sec_a, 1);
	snprintf(path, sizeof path, "/tmp/saas-retention-%d.jsonl", (int)getpid());
	unlink(path);
	ctx = th_open(url);
	tenant = th_tenant(ctx, "acme"); /* event 1 */
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
	unsetenv("SAAS_AUDIT_SIGNING_KEY");
	unlink(path);
	saas_free_secret(sec_a);
	saas_free_secret(sec_b);
	saas_free(pub_a);
	saas_free(pub_b);
}

/* `n` events, one second apart (the test clock). */
static void events(const char *t, int n)
{
	for (int i = 0; i < n; i++) {
		th_clock_advance(1000);
		ck_ok(saas_audit_record(NULL, ctx, th_scope(t), "app.thing.done", NULL, NULL, NULL));
	}
}

static int64_t purge(const char *t, int64_t before)
{
	int64_t n = -1;

	ck_ok(saas_audit_purge(&n, ctx, th_scope(t), before));
	return n;
}

static saas_query q_anchor_seq = SAAS_QUERY(
	"UPDATE audit_anchors SET seq = $2 WHERE tenant_id = $1");
static saas_query q_anchor_hash = SAAS_QUERY(
	"UPDATE audit_anchors SET hash = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_anchor_delete = SAAS_QUERY("DELETE FROM audit_anchors WHERE tenant_id = $1");
static saas_query q_event_delete = SAAS_QUERY(
	"DELETE FROM audit_events WHERE tenant_id = $1 AND seq = $2");
static saas_query q_events_through = SAAS_QUERY(
	"DELETE FROM audit_events WHERE tenant_id = $1 AND seq <= $2");
static saas_query q_set_meta = SAAS_QUERY(
	"UPDATE audit_events SET metadata = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_ckpts = SAAS_QUERY(
	"SELECT COUNT(*) FROM audit_checkpoints WHERE tenant_id = $1 AND seq <= $2");

static int64_t ckpts_through(const char *t, int64_t seq)
{
	saas_tx *tx;
	saas_stmt *st;
	int64_t n;

	ck_ok(saas__tx_begin(&tx, ctx, t, false));
	ck_ok(saas__q_open(&st, tx, &q_ckpts, "si", t, seq));
	ck_assert_int_eq(saas__q_step(st), 1);
	n = saas__q_int(st, 0);
	saas__q_close(st);
	saas__tx_rollback(tx);
	return n;
}

/* ---- purging ---------------------------------------------------------------------- */

START_TEST(purge_keeps_the_stream_verifiable)
{
	saas_audit_report *r;
	int64_t seq, cut;
	json_t *e;

	events(tenant, 9);                        /* events 2..10 */
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(tenant)));
	ck_assert_int_eq(seq, 10);
	cut = th_clock_ms + 1;                    /* after event 10 */
	events(tenant, 5);                        /* events 11..15 */
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(tenant)));

	ck_assert_int_eq(purge(tenant, cut), 10);
	/* 11..15 and the purge's own event, 16; the anchor at 10. */
	ck_assert_int_eq(ta_count(ctx, tenant), 6);
	r = ta_verify(ctx, tenant);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_first_seq(r), 11);
	ck_assert_int_eq(saas_audit_report_events(r), 6);
	ck_assert_int_eq(saas_audit_report_last_seq(r), 16);
	ck_assert_int_eq(saas_audit_report_checkpoints(r), 1); /* the one at 15 */
	ck_assert_ptr_nonnull(strstr(saas_audit_report_message(r), "1 to 10 purged"));
	saas_audit_report_free(r);
	ck_assert_int_eq(ckpts_through(tenant, 10), 0);
	e = ta_event(ctx, tenant, "audit.purged", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e, "metadata"),
	                                                    "through_seq")), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e, "metadata"),
	                                                    "events")), 10);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e, "metadata"),
	                                                    "before")), cut);
	json_decref(e);
	/* The stream goes on; nothing older: no change and no event. */
	events(tenant, 2);
	ck_assert_int_eq(purge(tenant, cut), 0);
	ck_assert_int_eq(ta_count(ctx, tenant), 8);
	/* A second purge replaces the anchor. */
	th_clock_advance(1000);
	ck_assert_int_eq(purge(tenant, th_clock_ms), 8);
	r = ta_verify(ctx, tenant);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_first_seq(r), 19);
	saas_audit_report_free(r);
}
END_TEST

START_TEST(purging_everything_continues_from_the_anchor)
{
	int64_t seq;

	events(tenant, 3);
	th_clock_advance(1000);
	ck_assert_int_eq(purge(tenant, th_clock_ms), 4);
	ck_assert_int_eq(ta_count(ctx, tenant), 1); /* audit.purged, seq 5 */
	ck_ok(saas_audit_record(&seq, ctx, th_scope(tenant), "app.after.purge", NULL, NULL, NULL));
	ck_assert_int_eq(seq, 6);
	ck_assert_int_eq(ta_expect_intact(ctx, tenant), 2);
	/* Even the purge event can go: the next append chains onto the anchor. */
	th_clock_advance(1000);
	ck_assert_int_eq(purge(tenant, th_clock_ms), 2);
	ck_assert_int_eq(ta_expect_intact(ctx, tenant), 1);
	/* The deployment's stream is purged the same way. */
	th_clock_advance(1000);
	ck_assert_int_gt(purge(SAAS_SYSTEM_TENANT_ID, th_clock_ms), 0);
	ta_expect_intact(ctx, SAAS_SYSTEM_TENANT_ID);
	/* A stream with no events at all: nothing to do. */
	ck_assert_int_eq(purge("ten_01M8FXAZGT7RF9ENFY4MQX648T", th_clock_ms), 0);
}
END_TEST

/* A context with its own key option and the test clock, on the test's
 * PostgreSQL database or else on a private SQLite file (so that two such
 * contexts share their data). */
static char db_path[256];

static saas_ctx *open_keyed(const char *key_option)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	char db[300];
	saas_ctx *c = NULL;

	if (strncmp(url, "postgres", 8) == 0)
		snprintf(db, sizeof db, "%s", url);
	else
		snprintf(db, sizeof db, "sqlite:%s", db_path);
	o.clock = th_clock;
	o.audit_signing_key = key_option;
	ck_ok(saas_ctx_open(&c, db, &o));
	return c;
}

static void private_db(void)
{
	snprintf(db_path, sizeof db_path, "/tmp/saas-retention-%d.db", (int)getpid());
	unlink(db_path);
}

static void private_db_remove(void)
{
	th_remove_db(db_path);
}

START_TEST(purge_refusals_change_nothing)
{
	int64_t n = -1, before;
	saas_ctx *nokey;
	saas_tenant *t;
	saas_scope *s;

	events(tenant, 4);
	th_clock_advance(1000);
	before = ta_count(ctx, tenant);
	ck_rc(saas_audit_purge(&n, ctx, th_scope(tenant), 0), SAAS_EINVAL);
	ck_field("before_ms");
	ck_rc(saas_audit_purge(&n, ctx, th_scope(tenant), -5), SAAS_EINVAL);
	ck_field("before_ms");
	ck_rc(saas_audit_purge(&n, ctx, th_scope(tenant), th_clock_ms + 60000), SAAS_EINVAL);
	ck_field("before_ms");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "future"));
	ck_rc(saas_audit_purge(NULL, ctx, th_scope(tenant), th_clock_ms), SAAS_EINVAL);
	ck_rc(saas_audit_purge(&n, NULL, th_scope(tenant), th_clock_ms), SAAS_EINVAL);
	ck_rc(saas_audit_purge(&n, ctx, th_system(), th_clock_ms), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_audit_purge(&n, ctx, NULL, th_clock_ms), SAAS_EINVAL);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(ta_count(ctx, tenant), before);

	/* No signing key (its variable is not set): refused, nothing deleted. */
	private_db();
	nokey = open_keyed("env:SAAS_TEST_NO_SUCH_KEY");
	ck_ok(saas_tenant_create(&t, nokey, th_system(), "nokey", "No key"));
	ck_ok(saas_scope_new(&s, saas_tenant_id(t), SAAS_ACTOR_SYSTEM, "test"));
	th_clock_advance(1000);
	ck_rc(saas_audit_purge(&n, nokey, s, th_clock_ms), SAAS_ENOTFOUND);
	ck_field("audit_signing_key");
	ck_assert_int_eq(ta_count(nokey, saas_tenant_id(t)), 1);
	saas_scope_free(s);
	saas_tenant_free(t);
	saas_ctx_free(nokey);
	private_db_remove();
}
END_TEST

START_TEST(damaged_stream_is_not_purged)
{
	int64_t n = -1, before;

	events(tenant, 6);
	th_clock_advance(1000);
	before = ta_count(ctx, tenant);
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_set_meta, "sis", 3, "{\"x\":1}", NULL, 0), 1);
	ck_rc(saas_audit_purge(&n, ctx, th_scope(tenant), th_clock_ms), SAAS_ESTATE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "event 3 was changed"));
	ck_assert_int_eq(ta_count(ctx, tenant), before);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_CHANGED, 3, "changed");
}
END_TEST

/* ---- an attacker against the anchor ------------------------------------------------- */

/* Events 1..8, purged through 5, then 9 (audit.purged) and 10..11. */
static void purged_stream(void)
{
	int64_t cut;

	events(tenant, 4); /* 2..5 */
	cut = th_clock_ms + 1;
	events(tenant, 3); /* 6..8 */
	ck_assert_int_eq(purge(tenant, cut), 5);
	events(tenant, 2);
	ck_assert_int_eq(ta_expect_intact(ctx, tenant), 6);
}

START_TEST(forged_anchor_is_bad_signature)
{
	purged_stream();
	/* The anchor moved back to hide more deletions. */
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_anchor_seq, "si", 7, NULL, NULL, 0), 1);
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_events_through, "si", 7, NULL, NULL, 0), 2);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_BAD_SIGNATURE, 7, "retention anchor");
}
END_TEST

START_TEST(forged_anchor_hash_is_bad_signature)
{
	purged_stream();
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_anchor_hash, "sis", 5,
	                         "0000000000000000000000000000000000000000000000000000000000000001",
	                         NULL, 0),
	                 1);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_BAD_SIGNATURE, 5, "bad signature");
}
END_TEST

START_TEST(deleted_anchor_leaves_events_missing)
{
	purged_stream();
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_anchor_delete, "s", 0, NULL, NULL, 0), 1);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_MISSING, 1, "missing");
}
END_TEST

START_TEST(deleted_event_after_anchor_is_missing)
{
	purged_stream();
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_event_delete, "si", 6, NULL, NULL, 0), 1);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_MISSING, 6, "missing");
}
END_TEST

START_TEST(prefix_deleted_without_anchor_is_missing)
{
	events(tenant, 5);
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_events_through, "si", 3, NULL, NULL, 0), 3);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_MISSING, 1, "missing");
}
END_TEST

START_TEST(anchor_of_a_rotated_key_needs_trust)
{
	saas_ctx *a, *b;
	saas_tenant *t;
	saas_scope *s;
	saas_audit_report *r;
	int64_t n;

	private_db();
	setenv("RETENTION_KEY_A", sec_a, 1);
	setenv("RETENTION_KEY_B", sec_b, 1);
	a = open_keyed("env:RETENTION_KEY_A");
	ck_ok(saas_tenant_create(&t, a, th_system(), "rotated", "Rotated"));
	ck_ok(saas_scope_new(&s, saas_tenant_id(t), SAAS_ACTOR_SYSTEM, "test"));
	for (int i = 0; i < 3; i++) {
		th_clock_advance(1000);
		ck_ok(saas_audit_record(NULL, a, s, "app.thing.done", NULL, NULL, NULL));
	}
	th_clock_advance(1000);
	ck_ok(saas_audit_purge(&n, a, s, th_clock_ms));
	ck_assert_int_eq(n, 4);
	/* After a rotation to key b, the anchor (key a) is not trusted... */
	b = open_keyed("env:RETENTION_KEY_B");
	ck_ok(saas_audit_verify(&r, b, s));
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 4);
	ck_assert_ptr_nonnull(strstr(saas_audit_report_message(r), "not trusted"));
	saas_audit_report_free(r);
	/* ...until its public key is. */
	ck_ok(saas_audit_trust_key(b, pub_a));
	ck_ok(saas_audit_verify(&r, b, s));
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_first_seq(r), 5);
	saas_audit_report_free(r);
	saas_scope_free(s);
	saas_tenant_free(t);
	saas_ctx_free(a);
	saas_ctx_free(b);
	unsetenv("RETENTION_KEY_A");
	unsetenv("RETENTION_KEY_B");
	private_db_remove();
}
END_TEST

/* ---- export ----------------------------------------------------------------------- */

START_TEST(export_of_a_purged_stream_verifies)
{
	saas_audit_report *r;
	const char *keys[1];
	FILE *f;
	char line[8192], path2[300];

	purged_stream();
	ck_ok(saas_audit_export(ctx, th_scope(tenant), path));
	keys[0] = pub_a;
	ck_ok(saas_audit_verify_file(&r, path, keys, 1));
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_first_seq(r), 6);
	ck_assert_int_eq(saas_audit_report_events(r), 6);
	saas_audit_report_free(r);
	/* Another key: the anchor's signature fails. */
	keys[0] = pub_b;
	ck_ok(saas_audit_verify_file(&r, path, keys, 1));
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 5);
	saas_audit_report_free(r);
	/* The anchor line removed: events 1..5 are missing. */
	snprintf(path2, sizeof path2, "%s.cut", path);
	f = fopen(path, "r");
	FILE *g = fopen(path2, "w");
	for (int i = 0; fgets(line, sizeof line, f); i++) {
		if (i == 1)
			ck_assert_ptr_nonnull(strstr(line, "{\"anchor\":"));
		else
			fputs(line, g);
	}
	fclose(f);
	fclose(g);
	keys[0] = pub_a;
	ck_ok(saas_audit_verify_file(&r, path2, keys, 1));
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_MISSING);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 1);
	saas_audit_report_free(r);
	unlink(path2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_retention");
	TCase *tc = tcase_create("audit_retention");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, purge_keeps_the_stream_verifiable);
	tcase_add_test(tc, purging_everything_continues_from_the_anchor);
	tcase_add_test(tc, purge_refusals_change_nothing);
	tcase_add_test(tc, damaged_stream_is_not_purged);
	tcase_add_test(tc, forged_anchor_is_bad_signature);
	tcase_add_test(tc, forged_anchor_hash_is_bad_signature);
	tcase_add_test(tc, deleted_anchor_leaves_events_missing);
	tcase_add_test(tc, deleted_event_after_anchor_is_missing);
	tcase_add_test(tc, prefix_deleted_without_anchor_is_missing);
	tcase_add_test(tc, anchor_of_a_rotated_key_needs_trust);
	tcase_add_test(tc, export_of_a_purged_stream_verifies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
