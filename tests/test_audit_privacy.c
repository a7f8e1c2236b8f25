/*
 * Personal data in the audit log (format 2) and batches: the actor's email,
 * ip and user agent encrypted per subject and readable through queries;
 * saas_audit_forget_subject makes them unreadable while the chain still
 * verifies; support actors' two identities; format-1 events still verify
 * next to format-2 ones; saas_audit_record_batch; on memory:, sqlite: and,
 * when SAAS_TEST_POSTGRES_URL is set, PostgreSQL.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_helpers.h"
#include "audit/audit.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static const char *tenant;

#define ALICE "usr_01HZX0000000000000000000A1"
#define BOB "usr_01HZX0000000000000000000B2"

static void setup(void)
{
	ctx = th_open(url);
	tenant = th_tenant(ctx, "acme");
}

static void teardown(void)
{
	th_close(ctx);
}

/* A user scope on the tenant with ip, user agent and email (freed by the caller). */
static saas_scope *user_scope(const char *user, const char *email)
{
	saas_scope *s;

	ck_ok(saas_scope_new(&s, tenant, SAAS_ACTOR_USER, user));
	ck_ok(saas_scope_set_ip(s, "198.51.100.7"));
	ck_ok(saas_scope_set_user_agent(s, "Mozilla/5.0 (test)"));
	if (email)
		ck_ok(saas_scope_set_actor_email(s, email));
	return s;
}

static void record_as(saas_scope *s, const char *action, const char *personal)
{
	saas_audit_entry e = SAAS_AUDIT_ENTRY_INIT;

	e.action = action;
	e.personal_json = personal;
	ck_ok(saas_audit_record_batch(NULL, ctx, s, &e, 1));
}

static const char *str_at(json_t *e, const char *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(e, obj), key));
}

/* The stored row of event `seq`, copied out of the scan. */
struct raw {
	char ip[64], ua[64], subject[64], personal[1024], on_behalf_of[64];
	bool has_ip, has_ua, has_personal;
};

static int keep_raw(const struct saas__audit_row *r, void *payload)
{
	struct raw *x = payload;

	x->has_ip = r->ip != NULL;
	x->has_ua = r->user_agent != NULL;
	x->has_personal = r->personal != NULL;
	snprintf(x->subject, sizeof x->subject, "%s", r->subject_id ? r->subject_id : "");
	snprintf(x->personal, sizeof x->personal, "%s", r->personal ? r->personal : "");
	snprintf(x->on_behalf_of, sizeof x->on_behalf_of, "%s",
	         r->on_behalf_of ? r->on_behalf_of : "");
	return 1;
}

static void read_raw(struct raw *x, int64_t seq)
{
	saas_tx *tx;
	size_t n;

	memset(x, 0, sizeof *x);
	ck_ok(saas__tx_begin(&tx, ctx, tenant, false));
	ck_ok(saas__st_audit_scan(&n, tx, seq - 1, 1, keep_raw, x));
	saas__tx_rollback(tx);
	ck_assert_uint_eq(n, 1);
}

/* ---- personal data ---------------------------------------------------------------- */

START_TEST(personal_fields_are_encrypted_and_readable)
{
	saas_scope *s = user_scope(ALICE, "Alice@Example.COM");
	struct raw x;
	json_t *e;

	record_as(s, "app.report.viewed", "{\"name\":\"Alice A.\"}");
	saas_scope_free(s);
	/* Stored: no clear ip or user agent, a ciphertext for the subject. */
	read_raw(&x, 2);
	ck_assert(!x.has_ip && !x.has_ua && x.has_personal);
	ck_assert_str_eq(x.subject, ALICE);
	ck_assert_ptr_null(strstr(x.personal, "198.51.100.7"));
	ck_assert_ptr_null(strstr(x.personal, "alice"));
	/* Read: decrypted. */
	e = ta_event(ctx, tenant, "app.report", 0);
	ck_assert_str_eq(str_at(e, "context", "ip"), "198.51.100.7");
	ck_assert_str_eq(str_at(e, "context", "user_agent"), "Mozilla/5.0 (test)");
	ck_assert_str_eq(str_at(e, "actor", "email"), "alice@example.com");
	ck_assert_str_eq(str_at(e, "personal", "subject_id"), ALICE);
	ck_assert(json_is_true(json_object_get(json_object_get(e, "personal"), "readable")));
	ck_assert_str_eq(json_string_value(json_object_get(
	                         json_object_get(json_object_get(e, "personal"), "data"), "name")),
	                 "Alice A.");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "format")), 2);
	json_decref(e);
	/* An event without personal fields has none. */
	ck_ok(saas_audit_record(NULL, ctx, th_scope(tenant), "app.job.ran", NULL, NULL, NULL));
	e = ta_event(ctx, tenant, "app.job", 0);
	ck_assert(json_is_null(json_object_get(e, "personal")));
	ck_assert(json_is_null(json_object_get(json_object_get(e, "context"), "ip")));
	json_decref(e);
	read_raw(&x, 3);
	ck_assert(!x.has_personal && x.subject[0] == '\0');
	ta_expect_intact(ctx, tenant);
}
END_TEST

START_TEST(forget_makes_personal_data_unreadable_and_keeps_the_chain)
{
	saas_scope *a = user_scope(ALICE, "alice@example.com");
	saas_scope *b = user_scope(BOB, "bob@example.com");
	int64_t before, sys_before;
	json_t *e;

	record_as(a, "app.doc.opened", "{\"phone\":\"+1 555 0100\"}");
	record_as(b, "app.doc.opened", NULL);
	record_as(a, "app.doc.closed", NULL);
	before = ta_count(ctx, tenant);
	sys_before = ta_count(ctx, SAAS_SYSTEM_TENANT_ID);

	ck_ok(saas_audit_forget_subject(ctx, th_system(), ALICE));
	/* Alice's events: unreadable; Bob's: as before; nothing else changed. */
	e = ta_event(ctx, tenant, "app.doc.opened", 0);
	ck_assert(json_is_false(json_object_get(json_object_get(e, "personal"), "readable")));
	ck_assert(json_is_null(json_object_get(json_object_get(e, "personal"), "data")));
	ck_assert(json_is_null(json_object_get(json_object_get(e, "context"), "ip")));
	ck_assert(json_is_null(json_object_get(json_object_get(e, "actor"), "email")));
	ck_assert_str_eq(str_at(e, "actor", "id"), ALICE); /* the opaque id stays */
	json_decref(e);
	e = ta_event(ctx, tenant, "app.doc.opened", 1);
	ck_assert_str_eq(str_at(e, "actor", "email"), "bob@example.com");
	json_decref(e);
	ck_assert_int_eq(ta_count(ctx, tenant), before);
	/* The chain still verifies: the hashes cover the ciphertext. */
	ta_expect_intact(ctx, tenant);
	/* The forgetting is itself an event, in the deployment's stream. */
	ck_assert_int_eq(ta_count(ctx, SAAS_SYSTEM_TENANT_ID), sys_before + 1);
	e = ta_event(ctx, SAAS_SYSTEM_TENANT_ID, "audit.subject_forgotten", 0);
	ck_assert_str_eq(str_at(e, "target", "type"), "subject");
	ck_assert_str_eq(str_at(e, "target", "id"), ALICE);
	json_decref(e);
	ta_expect_intact(ctx, SAAS_SYSTEM_TENANT_ID);
	/* Again: nothing to forget. */
	ck_rc(saas_audit_forget_subject(ctx, th_system(), ALICE), SAAS_ENOTFOUND);
	ck_field("subject_id");
	/* Alice acts again: a new key, readable; the old events stay unreadable. */
	record_as(a, "app.doc.reopened", NULL);
	e = ta_event(ctx, tenant, "app.doc.reopened", 0);
	ck_assert_str_eq(str_at(e, "actor", "email"), "alice@example.com");
	json_decref(e);
	e = ta_event(ctx, tenant, "app.doc.closed", 0);
	ck_assert(json_is_null(json_object_get(json_object_get(e, "actor"), "email")));
	json_decref(e);
	ta_expect_intact(ctx, tenant);
	saas_scope_free(a);
	saas_scope_free(b);
}
END_TEST

START_TEST(forget_refuses_bad_arguments)
{
	ck_rc(saas_audit_forget_subject(NULL, th_system(), ALICE), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_audit_forget_subject(ctx, NULL, ALICE), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_audit_forget_subject(ctx, th_system(), NULL), SAAS_EINVAL);
	ck_field("subject_id");
	ck_rc(saas_audit_forget_subject(ctx, th_system(), "two\nlines"), SAAS_EINVAL);
	ck_field("subject_id");
	ck_rc(saas_audit_forget_subject(ctx, th_system(), ""), SAAS_EINVAL);
	ck_rc(saas_audit_forget_subject(ctx, th_system(), BOB), SAAS_ENOTFOUND);
}
END_TEST

static saas_query q_set_personal = SAAS_QUERY(
	"UPDATE audit_events SET personal = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_set_on_behalf_of = SAAS_QUERY(
	"UPDATE audit_events SET on_behalf_of = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_set_subject = SAAS_QUERY(
	"UPDATE audit_events SET subject_id = $3 WHERE tenant_id = $1 AND seq = $2");

START_TEST(format_2_fields_are_covered_by_the_hash)
{
	saas_scope *s;
	struct raw x;

	ck_ok(saas_scope_new(&s, tenant, SAAS_ACTOR_SUPPORT, "stf_bob"));
	ck_ok(saas_scope_set_on_behalf_of(s, ALICE));
	ck_ok(saas_scope_set_ip(s, "192.0.2.1"));
	ck_ok(saas_audit_record(NULL, ctx, s, "support.session.started", NULL, NULL, NULL));
	ck_ok(saas_audit_record(NULL, ctx, s, "support.session.ended", NULL, NULL, NULL));
	saas_scope_free(s);
	read_raw(&x, 2);
	ck_assert_str_eq(x.on_behalf_of, ALICE);
	ta_expect_intact(ctx, tenant);

	/* Another ciphertext (event 3's) in event 2: changed. */
	{
		struct raw y;
		read_raw(&y, 3);
		ck_assert_int_eq(ta_exec(ctx, tenant, &q_set_personal, "sis", 2, y.personal, NULL, 0), 1);
		ta_expect_damage(ctx, tenant, SAAS_AUDIT_CHANGED, 2, "changed");
		ck_assert_int_eq(ta_exec(ctx, tenant, &q_set_personal, "sis", 2, x.personal, NULL, 0), 1);
	}
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_set_on_behalf_of, "sis", 2, BOB, NULL, 0), 1);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_CHANGED, 2, "changed");
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_set_on_behalf_of, "sis", 2, ALICE, NULL, 0), 1);
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_set_subject, "sis", 3, BOB, NULL, 0), 1);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_CHANGED, 3, "changed");
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_set_subject, "sis", 3, "stf_bob", NULL, 0), 1);
	ta_expect_intact(ctx, tenant);
}
END_TEST

START_TEST(support_actor_has_both_identities)
{
	saas_scope *s;
	json_t *e;

	ck_ok(saas_scope_new(&s, tenant, SAAS_ACTOR_SUPPORT, "stf_carol"));
	ck_ok(saas_scope_set_actor_email(s, "carol@support.example"));
	ck_ok(saas_scope_set_on_behalf_of(s, ALICE));
	ck_ok(saas_tenant_suspend(ctx, s, "fraud review"));
	e = ta_event(ctx, tenant, "tenant.suspended", 0);
	ck_assert_str_eq(str_at(e, "actor", "type"), "support");
	ck_assert_str_eq(str_at(e, "actor", "id"), "stf_carol");
	ck_assert_str_eq(str_at(e, "actor", "on_behalf_of"), ALICE);
	ck_assert_str_eq(str_at(e, "actor", "email"), "carol@support.example");
	json_decref(e);
	/* Cleared: one identity again. */
	ck_ok(saas_scope_set_on_behalf_of(s, NULL));
	ck_ok(saas_tenant_reactivate(ctx, s));
	e = ta_event(ctx, tenant, "tenant.reactivated", 0);
	ck_assert(json_is_null(json_object_get(json_object_get(e, "actor"), "on_behalf_of")));
	json_decref(e);
	saas_scope_free(s);
	/* Only support actors act on behalf of someone. */
	s = user_scope(ALICE, NULL);
	ck_rc(saas_scope_set_on_behalf_of(s, BOB), SAAS_EINVAL);
	ck_field("on_behalf_of");
	ck_rc(saas_scope_set_actor_email(s, "not an email"), SAAS_EINVAL);
	ck_field("email");
	ck_rc(saas_scope_set_actor_email(NULL, "a@example.com"), SAAS_EINVAL);
	ck_rc(saas_scope_set_on_behalf_of(NULL, BOB), SAAS_EINVAL);
	ck_ok(saas_scope_set_actor_email(s, NULL));
	saas_scope_free(s);
	ck_ok(saas_scope_new(&s, tenant, SAAS_ACTOR_SUPPORT, "stf_carol"));
	ck_rc(saas_scope_set_on_behalf_of(s, "stf_dave"), SAAS_EINVAL);
	ck_field("on_behalf_of");
	saas_scope_free(s);
	ta_expect_intact(ctx, tenant);
}
END_TEST

/* A format-1 event (as written before format 2) at the tail, by hand. */
static saas_query q_insert_v1 = SAAS_QUERY(
	"INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id, action,"
	" ip, user_agent, metadata, format, prev_hash, hash)"
	" VALUES ($1, $2, $3, $4, 'user', $5, 'app.legacy.event', $6, $7, '{}', 1, $8, $9)");

START_TEST(format_1_events_still_verify)
{
	struct saas__audit_row e = {0};
	saas_tx *tx;
	int64_t last;
	char prev[65], hash[65];
	json_t *ev;

	ck_ok(saas__tx_begin(&tx, ctx, tenant, true));
	ck_ok(saas__st_audit_tail(&last, prev, tx));
	e.seq = last + 1;
	e.format = 1;
	e.prev_hash = prev;
	e.id = "evt_01HZX00000000000000000LEGA";
	e.occurred_at = th_clock_ms;
	e.actor_type = "user";
	e.actor_id = ALICE;
	e.action = "app.legacy.event";
	e.ip = "203.0.113.5";
	e.user_agent = "old-agent";
	e.metadata = "{}";
	ck_ok(saas__audit_hash(hash, tenant, &e));
	ck_ok(saas__q_exec(tx, &q_insert_v1, NULL, "sisisssss", tenant, e.seq, e.id,
	                   e.occurred_at, ALICE, e.ip, e.user_agent, prev, hash));
	ck_ok(saas__tx_commit(tx));
	/* A format-2 event after it chains on. */
	ck_ok(saas_audit_record(NULL, ctx, th_scope(tenant), "app.new.event", NULL, NULL, NULL));
	ck_assert_int_eq(ta_expect_intact(ctx, tenant), 3);
	ev = ta_event(ctx, tenant, "app.legacy", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(ev, "format")), 1);
	ck_assert_str_eq(str_at(ev, "context", "ip"), "203.0.113.5");
	ck_assert(json_is_null(json_object_get(ev, "personal")));
	json_decref(ev);
	/* A format-1 event given format-2 fields: changed. */
	ck_assert_int_eq(ta_exec(ctx, tenant, &q_set_on_behalf_of, "sis", 2, BOB, NULL, 0), 1);
	ta_expect_damage(ctx, tenant, SAAS_AUDIT_CHANGED, 2, "format-2 fields");
}
END_TEST

/* ---- batches ---------------------------------------------------------------------- */

START_TEST(batch_appends_in_order)
{
	saas_audit_entry e[3] = {SAAS_AUDIT_ENTRY_INIT, SAAS_AUDIT_ENTRY_INIT,
	                         SAAS_AUDIT_ENTRY_INIT};
	saas_audit_page *p;
	int64_t first = 0;
	json_t *ev;

	e[0].action = "app.import.started";
	e[1].action = "app.import.row";
	e[1].target_type = "row";
	e[1].target_id = "r1";
	e[1].metadata_json = "{\"n\":1,\"password\":\"hunter2\"}";
	e[2].action = "app.import.done";
	ck_ok(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 3));
	ck_assert_int_eq(first, 2);
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 10));
	ck_assert_uint_eq(saas_audit_page_count(p), 4);
	ck_assert_str_eq(saas_audit_page_action(p, 1), "app.import.started");
	ck_assert_str_eq(saas_audit_page_action(p, 2), "app.import.row");
	ck_assert_str_eq(saas_audit_page_action(p, 3), "app.import.done");
	/* Redacted like any event. */
	ck_assert_ptr_null(strstr(saas_audit_page_event_json(p, 2), "hunter2"));
	saas_audit_page_free(p);
	ev = ta_event(ctx, tenant, "app.import.row", 0);
	ck_assert_str_eq(str_at(ev, "target", "id"), "r1");
	ck_assert_str_eq(str_at(ev, "metadata", "password"), "[redacted]");
	json_decref(ev);
	ta_expect_intact(ctx, tenant);

	/* A large batch, then singles after it. */
	{
		saas_audit_entry *many = calloc(2500, sizeof *many);
		for (int i = 0; i < 2500; i++) {
			saas_audit_entry init = SAAS_AUDIT_ENTRY_INIT;
			many[i] = init;
			many[i].action = "app.bulk.item";
		}
		ck_ok(saas_audit_record_batch(&first, ctx, th_scope(tenant), many, 2500));
		ck_assert_int_eq(first, 5);
		free(many);
	}
	ck_ok(saas_audit_record(&first, ctx, th_scope(tenant), "app.after.bulk", NULL, NULL, NULL));
	ck_assert_int_eq(first, 2505);
	ck_assert_int_eq(ta_expect_intact(ctx, tenant), 2505);
}
END_TEST

START_TEST(bad_batch_writes_nothing)
{
	saas_audit_entry e[3] = {SAAS_AUDIT_ENTRY_INIT, SAAS_AUDIT_ENTRY_INIT,
	                         SAAS_AUDIT_ENTRY_INIT};
	int64_t first = -1, before = ta_count(ctx, tenant);

	e[0].action = "app.a.b";
	e[1].action = "App.Bad";
	e[2].action = "app.c.d";
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 3), SAAS_EINVAL);
	ck_field("action");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "entry 1"));
	ck_assert_int_eq(first, 0);
	e[1].action = "app.ok.now";
	e[2].metadata_json = "[1]";
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 3), SAAS_EINVAL);
	ck_field("metadata");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "entry 2"));
	e[2].metadata_json = NULL;
	e[2].personal_json = "\"x\"";
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 3), SAAS_EINVAL);
	ck_field("personal");
	e[2].personal_json = NULL;
	e[0].target_id = "t1";
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 3), SAAS_EINVAL);
	ck_field("target_type");
	e[0].target_id = NULL;
	e[1].version = 99;
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 3), SAAS_EINVAL);
	ck_field("version");
	e[1].version = SAAS_AUDIT_ENTRY_VERSION;
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 0), SAAS_EINVAL);
	ck_field("n");
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 10001), SAAS_EINVAL);
	ck_field("n");
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope(tenant), NULL, 1), SAAS_EINVAL);
	ck_field("entries");
	ck_rc(saas_audit_record_batch(&first, NULL, th_scope(tenant), e, 3), SAAS_EINVAL);
	ck_rc(saas_audit_record_batch(&first, ctx, th_system(), e, 3), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_audit_record_batch(&first, ctx, th_scope("ten_01M8FXAZGT7RF9ENFY4MQX648T"), e, 3),
	      SAAS_ENOTFOUND);
	ck_field("tenant_id");
	/* Nothing was written by any of them. */
	ck_assert_int_eq(ta_count(ctx, tenant), before);
	ck_ok(saas_audit_record_batch(&first, ctx, th_scope(tenant), e, 3));
	ck_assert_int_eq(ta_count(ctx, tenant), before + 3);
	/* The deployment's stream takes batches too. */
	ck_ok(saas_audit_record_batch(&first, ctx, th_scope(SAAS_SYSTEM_TENANT_ID), e, 3));
	ck_assert_int_gt(first, 0);
	ta_expect_intact(ctx, SAAS_SYSTEM_TENANT_ID);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_privacy");
	TCase *tc = tcase_create("audit_privacy");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, personal_fields_are_encrypted_and_readable);
	tcase_add_test(tc, forget_makes_personal_data_unreadable_and_keeps_the_chain);
	tcase_add_test(tc, forget_refuses_bad_arguments);
	tcase_add_test(tc, format_2_fields_are_covered_by_the_hash);
	tcase_add_test(tc, support_actor_has_both_identities);
	tcase_add_test(tc, format_1_events_still_verify);
	tcase_add_test(tc, batch_appends_in_order);
	tcase_add_test(tc, bad_batch_writes_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
