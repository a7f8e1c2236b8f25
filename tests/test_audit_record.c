/*
 * The audit log: redaction of secret-looking metadata keys, and
 * saas_audit_record (an event in its own transaction), on memory:, sqlite:
 * and, when SAAS_TEST_POSTGRES_URL is set, PostgreSQL.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "audit/audit.h"
#include "audit/redact.h"
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

/* The stored metadata text of event `seq` of `tenant`, copied. */
struct row_copy {
	char *metadata;
	char *action;
};

static int copy_row(const struct saas__audit_row *row, void *payload)
{
	struct row_copy *c = payload;
	c->metadata = strdup(row->metadata ? row->metadata : "");
	c->action = strdup(row->action);
	return 1;
}

static struct row_copy stored_row(const char *tenant, int64_t seq)
{
	struct row_copy c = {0};
	saas_tx *tx;
	size_t n;

	ck_ok(saas__tx_begin(&tx, ctx, tenant, false));
	ck_ok(saas__st_audit_scan(&n, tx, seq - 1, 1, copy_row, &c));
	saas__tx_rollback(tx);
	ck_assert_uint_eq(n, 1);
	return c;
}

static void row_free(struct row_copy *c)
{
	free(c->metadata);
	free(c->action);
}

static void expect_intact(const char *tenant, int64_t events)
{
	saas_audit_report *r = NULL;
	ck_ok(saas_audit_verify(&r, ctx, th_scope(tenant)));
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	if (events >= 0)
		ck_assert_int_eq(saas_audit_report_events(r), events);
	saas_audit_report_free(r);
}

/* The event at `seq` as the query API returns it (malloc'd JSON text). */
static char *query_event(const char *tenant, int64_t seq)
{
	saas_audit_page *p = NULL;
	char *out = NULL;

	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 1000));
	for (size_t i = 0; i < saas_audit_page_count(p); i++)
		if (saas_audit_page_seq(p, i) == seq)
			out = strdup(saas_audit_page_event_json(p, i));
	saas_audit_page_free(p);
	ck_assert_ptr_nonnull(out);
	return out;
}

static int64_t count_events(const char *tenant)
{
	int64_t n = -1;
	ck_ok(saas_audit_count(&n, ctx, th_scope(tenant), NULL));
	return n;
}

/* ---- the rule ---------------------------------------------------------------------- */

START_TEST(key_rule)
{
	static const char *const secret[] = {
		"password", "Password", "PASSWORD", "pass_word", "new_password", "password_confirmation",
		"passwordHash", "passwd", "pwd", "secret", "client_secret", "clientSecret", "Secret-Key",
		"token", "access_token", "accessToken", "refresh-token", "id_token", "csrf.token",
		"api_key", "apiKey", "API-KEY", "x-api-key", "stripe_api_key", "authorization",
		"Authorization", "auth", "cookie", "Set-Cookie", "session", "session_id", "sessionId",
		"private_key", "privateKey", "signing_key", "card_number", "cardNumber", "cc_number",
		"cvv", "CVC", "pan", "ssn", "otp", "totp", "recovery_code", "recovery-codes",
		"passphrase", "a.b-c d_password", NULL};
	static const char *const plain[] = {
		"user", "user_key", "key", "key_id", "token_count", "tokens_used", "author",
		"authority", "session_count", "sessions", "company", "panel", "pin_code_length",
		"email", "role", "ip", "reason", "", "passage", NULL};

	for (size_t i = 0; secret[i]; i++)
		ck_assert_msg(saas__audit_key_is_secret(secret[i], NULL), "'%s' not secret", secret[i]);
	for (size_t i = 0; plain[i]; i++)
		ck_assert_msg(!saas__audit_key_is_secret(plain[i], NULL), "'%s' secret", plain[i]);
	/* The context's keys: exact normalised names, separators and case ignored. */
	ck_assert(saas__audit_key_is_secret("Birth-Date", "birth_date, tax.id"));
	ck_assert(saas__audit_key_is_secret("taxid", "birth_date, tax.id"));
	ck_assert(saas__audit_key_is_secret("TAX_ID", ",,tax.id,"));
	ck_assert(!saas__audit_key_is_secret("tax_id_kind", "birth_date, tax.id"));
	ck_assert(!saas__audit_key_is_secret("anything", ",, ,"));
	ck_assert(!saas__audit_key_is_secret("anything", ""));
	ck_assert(!saas__audit_key_is_secret(NULL, NULL));
}
END_TEST

START_TEST(redact_walks_everything)
{
	json_t *v = json_loads(
		"{\"a\":{\"b\":{\"Password\":\"p1\",\"keep\":1}},"
		"\"list\":[{\"token\":\"t1\"},{\"x\":[{\"API_KEY\":\"k1\"}]},\"plain\",3],"
		"\"secret\":{\"nested\":\"whole object goes\"},"
		"\"cards\":[[{\"card-number\":\"4111\"}]],\"n\":null}",
		0, NULL);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(saas__audit_redact(v, NULL), 5);
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_str_eq(s,
		"{\"a\":{\"b\":{\"Password\":\"[redacted]\",\"keep\":1}},"
		"\"cards\":[[{\"card-number\":\"[redacted]\"}]],"
		"\"list\":[{\"token\":\"[redacted]\"},{\"x\":[{\"API_KEY\":\"[redacted]\"}]},\"plain\",3],"
		"\"n\":null,\"secret\":\"[redacted]\"}");
	free(s);
	json_decref(v);
	ck_assert_int_eq(saas__audit_redact(NULL, NULL), 0);
}
END_TEST

/* ---- redaction on the way to the store --------------------------------------------- */

static const char *const leaky =
	"{\"user\":\"u1\",\"password\":\"hunter2-SECRET-VALUE\","
	"\"req\":{\"headers\":{\"Authorization\":\"Bearer abc-SECRET-VALUE\",\"Accept\":\"*/*\"}},"
	"\"items\":[{\"sku\":\"x\",\"card_number\":\"4111-SECRET-VALUE\"},{\"sku\":\"y\"}],"
	"\"Session-ID\":\"ses-SECRET-VALUE\",\"birth.date\":\"1970-SECRET-VALUE\"}";

START_TEST(values_never_stored)
{
	saas_ctx_options opts = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *fixture = ctx;
	char path[64] = "", u[80];
	const char *t;
	int64_t seq = 0;

	/* This test's own context, with custom keys, on the same backend. */
	opts.clock = th_clock;
	opts.audit_redact_keys = "Birth_Date, tax-id";
	if (strcmp(url, "sqlite:") == 0) {
		snprintf(path, sizeof path, "/tmp/saas-redact-%d-XXXXXX", (int)getpid());
		int fd = mkstemp(path);
		ck_assert_int_ge(fd, 0);
		close(fd);
		snprintf(u, sizeof u, "sqlite:%s", path);
	} else {
		snprintf(u, sizeof u, "%s", strncmp(url, "memory:", 7) == 0 ? "memory:" : "");
	}
	ck_ok(saas_ctx_open(&ctx, u[0] ? u : url, &opts));
	t = th_tenant(ctx, "redact");
	ck_ok(saas_audit_record(&seq, ctx, th_scope(t), "user.login_failed", "user", "usr_1", leaky));
	ck_assert_int_gt(seq, 0);

	struct row_copy c = stored_row(t, seq);
	ck_assert_ptr_null(strstr(c.metadata, "SECRET-VALUE"));
	json_t *m = json_loads(c.metadata, 0, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(json_string_value(json_object_get(m, "password")), "[redacted]");
	ck_assert_str_eq(json_string_value(json_object_get(m, "Session-ID")), "[redacted]");
	ck_assert_str_eq(json_string_value(json_object_get(m, "birth.date")), "[redacted]");
	ck_assert_str_eq(json_string_value(json_object_get(m, "user")), "u1");
	json_t *h = json_object_get(json_object_get(m, "req"), "headers");
	ck_assert_str_eq(json_string_value(json_object_get(h, "Authorization")), "[redacted]");
	ck_assert_str_eq(json_string_value(json_object_get(h, "Accept")), "*/*");
	json_t *items = json_object_get(m, "items");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "card_number")),
	                 "[redacted]");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 1), "sku")), "y");
	json_decref(m);
	row_free(&c);

	/* Neither the query API nor the tenant export shows them. */
	char *q = query_event(t, seq);
	ck_assert_ptr_null(strstr(q, "SECRET-VALUE"));
	ck_assert_ptr_nonnull(strstr(q, "[redacted]"));
	free(q);
	char *ex = NULL;
	ck_ok(saas_tenant_export(&ex, ctx, th_scope(t)));
	ck_assert_ptr_null(strstr(ex, "SECRET-VALUE"));
	ck_assert_ptr_nonnull(strstr(ex, "[redacted]"));
	saas_free(ex);

	/* The hash covers the redacted text: the stream verifies. */
	expect_intact(t, seq);
	saas_ctx_free(ctx);
	ctx = fixture;
	if (path[0])
		th_remove_db(path);
}
END_TEST

/* The library's own appends (saas__audit_append) are redacted too. */
START_TEST(internal_appends_are_redacted)
{
	const char *t = th_tenant(ctx, "inner");
	saas_tx *tx;

	ck_ok(saas__tx_begin(&tx, ctx, t, true));
	ck_ok(saas__audit_append(tx, th_scope(t), "test.inner", NULL, NULL,
	                         json_pack("{s:s, s:[{s:s}]}", "refresh_token", "rt-SECRET-VALUE",
	                                   "list", "otp", "123456")));
	ck_ok(saas__tx_commit(tx));
	int64_t n = count_events(t);
	struct row_copy c = stored_row(t, n);
	ck_assert_str_eq(c.action, "test.inner");
	ck_assert_str_eq(c.metadata, "{\"list\":[{\"otp\":\"[redacted]\"}],\"refresh_token\":\"[redacted]\"}");
	row_free(&c);
	expect_intact(t, n);
}
END_TEST

/* ---- saas_audit_record ---------------------------------------------------------------- */

START_TEST(record_success)
{
	const char *t = th_tenant(ctx, "rec");
	int64_t before = count_events(t), seq = 0, seq2 = 0;
	saas_scope *s;

	ck_ok(saas_scope_new(&s, t, SAAS_ACTOR_USER, "usr_01J0000000000000000000000X"));
	ck_ok(saas_scope_set_request_id(s, "req-1"));
	ck_ok(saas_scope_set_ip(s, "203.0.113.9"));
	ck_ok(saas_audit_record(&seq, ctx, s, "user.login_failed", "user",
	                        "usr_01J0000000000000000000000X", "{\"reason\":\"bad_password\"}"));
	ck_assert_int_eq(seq, before + 1);
	ck_ok(saas_audit_record(&seq2, ctx, s, "app.report.exported", NULL, NULL, NULL));
	ck_assert_int_eq(seq2, before + 2);
	ck_ok(saas_audit_record(NULL, ctx, s, "app.x_1.y2", "report", NULL, "{}"));
	saas_scope_free(s);

	char *q = query_event(t, seq);
	json_t *e = json_loads(q, 0, NULL);
	free(q);
	ck_assert_str_eq(json_string_value(json_object_get(e, "action")), "user.login_failed");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "actor"), "type")), "user");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "target"), "id")),
	                 "usr_01J0000000000000000000000X");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "context"), "ip")),
	                 "203.0.113.9");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "metadata"), "reason")),
	                 "bad_password");
	json_decref(e);
	expect_intact(t, before + 3);
}
END_TEST

START_TEST(record_any_status_and_deployment)
{
	const char *t = th_tenant(ctx, "sus");
	int64_t seq = 0;

	ck_ok(saas_tenant_suspend(ctx, th_scope(t), "unpaid"));
	ck_ok(saas_audit_record(&seq, ctx, th_scope(t), "authz.denied", NULL, NULL, NULL));
	ck_assert_int_eq(seq, count_events(t));
	ck_ok(saas_tenant_delete(ctx, th_scope(t), 30));
	ck_ok(saas_audit_record(&seq, ctx, th_scope(t), "authz.denied", NULL, NULL, NULL));
	ck_assert_int_eq(seq, count_events(t));
	expect_intact(t, seq);

	int64_t before = count_events(SAAS_SYSTEM_TENANT_ID);
	ck_ok(saas_audit_record(&seq, ctx, th_scope(SAAS_SYSTEM_TENANT_ID), "operator.login_failed",
	                        NULL, NULL, "{\"password\":\"x\"}"));
	ck_assert_int_eq(seq, before + 1);
	expect_intact(SAAS_SYSTEM_TENANT_ID, before + 1);
}
END_TEST

START_TEST(record_bad_arguments)
{
	const char *t = th_tenant(ctx, "bad");
	int64_t before = count_events(t), seq = 7;
	char long_action[80], long_target[140];

	memset(long_action, 'a', sizeof long_action);
	memcpy(long_action, "app.", 4);
	long_action[65] = '\0';
	memset(long_target, 'x', sizeof long_target);
	long_target[129] = '\0';

	ck_rc(saas_audit_record(&seq, NULL, th_scope(t), "a.b", NULL, NULL, NULL), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_int_eq(seq, 0);
	ck_rc(saas_audit_record(&seq, ctx, NULL, "a.b", NULL, NULL, NULL), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_audit_record(&seq, ctx, th_system(), "a.b", NULL, NULL, NULL), SAAS_EINVAL);
	ck_field("scope");
	static const char *const bad_actions[] = {"", "login", "User.login", "1a.b", "a..b", "a.b.",
	                                          ".a.b", "a.b-c", "a. b", "a.B", "_a.b", NULL};
	for (size_t i = 0; bad_actions[i]; i++) {
		ck_rc(saas_audit_record(&seq, ctx, th_scope(t), bad_actions[i], NULL, NULL, NULL),
		      SAAS_EINVAL);
		ck_field("action");
	}
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), NULL, NULL, NULL, NULL), SAAS_EINVAL);
	ck_field("action");
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), long_action, NULL, NULL, NULL), SAAS_EINVAL);
	ck_field("action");
	long_action[64] = '\0'; /* 64 bytes: allowed */
	ck_ok(saas_audit_record(&seq, ctx, th_scope(t), long_action, NULL, NULL, NULL));
	before++;

	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", NULL, "x", NULL), SAAS_EINVAL);
	ck_field("target_type");
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", "", NULL, NULL), SAAS_EINVAL);
	ck_field("target_type");
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", "has space", NULL, NULL), SAAS_EINVAL);
	ck_field("target_type");
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", long_target, NULL, NULL), SAAS_EINVAL);
	ck_field("target_type");
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", "user", "a\nb", NULL), SAAS_EINVAL);
	ck_field("target_id");
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", "user", long_target, NULL), SAAS_EINVAL);
	ck_field("target_id");
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", "user", "\xc3\xa9", NULL), SAAS_EINVAL);
	ck_field("target_id");

	static const char *const bad_meta[] = {"", "[]", "1", "\"s\"", "null", "{", "{\"a\":1,\"a\":2}",
	                                       "{} {}", NULL};
	for (size_t i = 0; bad_meta[i]; i++) {
		ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", NULL, NULL, bad_meta[i]),
		      SAAS_EINVAL);
		ck_field("metadata");
	}
	char *big = malloc(70000);
	memset(big, ' ', 70000);
	big[0] = '{';
	big[69998] = '}';
	big[69999] = '\0';
	ck_rc(saas_audit_record(&seq, ctx, th_scope(t), "a.b", NULL, NULL, big), SAAS_EINVAL);
	ck_field("metadata");
	free(big);

	ck_rc(saas_audit_record(&seq, ctx, th_scope("ten_01J00000000000000000000000"), "a.b", NULL,
	                        NULL, NULL),
	      SAAS_ENOTFOUND);
	ck_field("tenant_id");
	ck_assert_int_eq(seq, 0);
	ck_assert_int_eq(count_events(t), before);
	expect_intact(t, before);
}
END_TEST

/* The event is kept although the library call around it failed and rolled back. */
START_TEST(record_survives_a_failed_call)
{
	const char *t = th_tenant(ctx, "fail");
	const char *u = th_user(ctx, "fail@example.com");
	static const char *const owner[] = {"owner"};
	int64_t seq = 0;

	ck_ok(saas_member_add(NULL, ctx, th_scope(t), u, owner, 1));
	int64_t before = count_events(t);
	/* The last owner cannot leave: refused, rolled back, no event of its own. */
	int rc = saas_member_remove(ctx, th_scope(t), u);
	ck_assert_int_eq(rc, SAAS_ESTATE);
	ck_ok(saas_audit_record(&seq, ctx, th_scope(t), "member.remove_refused", "user", u,
	                        "{\"code\":\"SAAS_ESTATE\"}"));
	ck_assert_int_eq(seq, before + 1);

	/* And inside a transaction of the caller's that then rolls back. */
	saas_tx *tx;
	ck_ok(saas__tx_begin(&tx, ctx, t, false));
	saas__tx_rollback(tx);
	ck_ok(saas__tx_begin(&tx, ctx, t, true));
	ck_ok(saas__audit_append(tx, th_scope(t), "test.rolled_back", NULL, NULL, NULL));
	saas__tx_rollback(tx);
	ck_ok(saas_audit_record(&seq, ctx, th_scope(t), "authz.denied", NULL, NULL, NULL));
	ck_assert_int_eq(seq, before + 2);
	struct row_copy c = stored_row(t, before + 1);
	ck_assert_str_eq(c.action, "member.remove_refused");
	row_free(&c);
	expect_intact(t, before + 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_record");
	TCase *tc = tcase_create("audit_record");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, key_rule);
	tcase_add_test(tc, redact_walks_everything);
	tcase_add_test(tc, values_never_stored);
	tcase_add_test(tc, internal_appends_are_redacted);
	tcase_add_test(tc, record_success);
	tcase_add_test(tc, record_any_status_and_deployment);
	tcase_add_test(tc, record_bad_arguments);
	tcase_add_test(tc, record_survives_a_failed_call);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
