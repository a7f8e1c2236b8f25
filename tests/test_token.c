/*
 * One-time tokens (saas/token.h): issue and single use, expiry, purposes,
 * replacement by a newer token, the binding to the user's email, the issue
 * rate limit, and the password reset that revokes every session. Runs on
 * memory:, a SQLite file and PostgreSQL (when configured).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "helpers.h"
#include "audit_helpers.h"

#define MIN_MS (60LL * 1000)
#define HOUR_MS (60 * MIN_MS)

static saas_ctx *ctx;
static const char *user;

static void setup(void)
{
	ctx = th_open(th_url);
	user = th_user(ctx, "bob@example.com");
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
}

static char *issue(int purpose, int64_t ttl_ms)
{
	char *t = NULL;

	ck_ok(saas_token_issue(&t, ctx, th_system(), purpose, user, ttl_ms));
	ck_assert_uint_eq(strlen(t), SAAS_TOKEN_LEN);
	return t;
}

/* Consume, expecting `code`; on success the token's user must be `user`. */
static void consume(int purpose, const char *token, int code)
{
	char *uid = (char *)1;

	ck_rc(saas_token_consume(&uid, ctx, th_system(), purpose, token), code);
	if (code == SAAS_OK) {
		ck_assert_str_eq(uid, user);
		saas_free(uid);
	} else {
		ck_assert_ptr_null(uid);
		ck_field("token");
		ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), token));
	}
}

/* How many events of the deployment's stream have `action`; the last one's
 * text must not hold `token` (NULL: not checked). */
static int64_t events(const char *action, const char *token)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	int64_t n = 0;

	f.action_prefix = action;
	ck_ok(saas_audit_count(&n, ctx, th_scope(SAAS_SYSTEM_TENANT_ID), &f));
	if (token && n > 0) {
		json_t *e = ta_event(ctx, SAAS_SYSTEM_TENANT_ID, action, (size_t)n - 1);
		char *text = json_dumps(e, 0);

		ck_assert_ptr_null(strstr(text, token));
		free(text);
		json_decref(e);
	}
	return n;
}

START_TEST(issue_and_consume_once)
{
	char *t = issue(SAAS_TOKEN_VERIFY_EMAIL, 0);
	json_t *e, *meta;

	ck_assert_int_eq(strncmp(t, "vfy_", 4), 0);
	ck_assert_int_eq(events("token.issued", t), 1);
	e = ta_event(ctx, SAAS_SYSTEM_TENANT_ID, "token.issued", 0);
	meta = json_object_get(e, "metadata");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "purpose")), "verify_email");
	ck_assert_int_eq(json_integer_value(json_object_get(meta, "expires_at")),
	                 th_clock_ms + 24 * HOUR_MS);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "target"), "id")),
	                 user);
	json_decref(e);

	consume(SAAS_TOKEN_VERIFY_EMAIL, t, SAAS_OK);
	ck_assert_int_eq(events("token.consumed", t), 1);
	consume(SAAS_TOKEN_VERIFY_EMAIL, t, SAAS_EUSED);
	ck_assert_int_eq(events("token.consumed", NULL), 1);
	/* out_user_id may be NULL */
	saas_free_secret(t);
	t = issue(SAAS_TOKEN_MAGIC_LINK, 0);
	ck_assert_int_eq(strncmp(t, "mgl_", 4), 0);
	ck_ok(saas_token_consume(NULL, ctx, th_system(), SAAS_TOKEN_MAGIC_LINK, t));
	saas_free_secret(t);
}
END_TEST

START_TEST(expiry)
{
	char *t = issue(SAAS_TOKEN_MAGIC_LINK, 0), *s;

	/* 15 minutes by default */
	th_clock_advance(15 * MIN_MS);
	consume(SAAS_TOKEN_MAGIC_LINK, t, SAAS_EEXPIRED);
	/* an expired token is left as it is: it stays expired, not used */
	consume(SAAS_TOKEN_MAGIC_LINK, t, SAAS_EEXPIRED);
	saas_free_secret(t);

	/* a lifetime of one's own */
	s = issue(SAAS_TOKEN_VERIFY_EMAIL, MIN_MS);
	th_clock_advance(MIN_MS - 1);
	t = issue(SAAS_TOKEN_RESET_PASSWORD, 2 * HOUR_MS);
	th_clock_advance(1);
	consume(SAAS_TOKEN_VERIFY_EMAIL, s, SAAS_EEXPIRED);
	th_clock_advance(HOUR_MS);
	consume(SAAS_TOKEN_RESET_PASSWORD, t, SAAS_OK);
	saas_free_secret(s);
	saas_free_secret(t);
}
END_TEST

START_TEST(newer_token_replaces_older)
{
	char *a = issue(SAAS_TOKEN_RESET_PASSWORD, 0);
	char *v = issue(SAAS_TOKEN_VERIFY_EMAIL, 0);
	char *b = issue(SAAS_TOKEN_RESET_PASSWORD, 0);

	ck_assert_str_ne(a, b);
	consume(SAAS_TOKEN_RESET_PASSWORD, a, SAAS_ENOTFOUND);
	/* other purposes are untouched */
	consume(SAAS_TOKEN_VERIFY_EMAIL, v, SAAS_OK);
	consume(SAAS_TOKEN_RESET_PASSWORD, b, SAAS_OK);
	saas_free_secret(a);
	saas_free_secret(b);
	saas_free_secret(v);
}
END_TEST

START_TEST(purpose_and_form)
{
	char *t = issue(SAAS_TOKEN_RESET_PASSWORD, 0);
	char bad[64];

	/* another purpose's token: refused by its form, before the store */
	consume(SAAS_TOKEN_VERIFY_EMAIL, t, SAAS_EINVAL);
	consume(SAAS_TOKEN_MAGIC_LINK, t, SAAS_EINVAL);
	/* wrong length, wrong characters */
	snprintf(bad, sizeof bad, "%.46s", t);
	consume(SAAS_TOKEN_RESET_PASSWORD, bad, SAAS_EINVAL);
	snprintf(bad, sizeof bad, "%sA", t);
	consume(SAAS_TOKEN_RESET_PASSWORD, bad, SAAS_EINVAL);
	snprintf(bad, sizeof bad, "%s", t);
	bad[10] = '+';
	consume(SAAS_TOKEN_RESET_PASSWORD, bad, SAAS_EINVAL);
	/* well-formed but unknown */
	snprintf(bad, sizeof bad, "%s", t);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	consume(SAAS_TOKEN_RESET_PASSWORD, bad, SAAS_ENOTFOUND);
	/* still unconsumed after all that */
	consume(SAAS_TOKEN_RESET_PASSWORD, t, SAAS_OK);
	saas_free_secret(t);
}
END_TEST

static saas_query q_set_email = SAAS_QUERY("UPDATE users SET email = $2 WHERE id = $1");

START_TEST(email_changed_since_issue)
{
	char *t = issue(SAAS_TOKEN_VERIFY_EMAIL, 0);
	saas_tx *tx;

	/* no public API changes an email yet: the store does it here */
	ck_ok(saas__tx_begin(&tx, ctx, NULL, true));
	ck_ok(saas__q_exec(tx, &q_set_email, NULL, "ss", user, "bob@new.example.com"));
	ck_ok(saas__tx_commit(tx));
	consume(SAAS_TOKEN_VERIFY_EMAIL, t, SAAS_ESTATE);
	ck_assert_int_eq(events("token.consumed", NULL), 0);
	saas_free_secret(t);
	/* a token issued now is bound to the new address */
	t = issue(SAAS_TOKEN_VERIFY_EMAIL, 0);
	consume(SAAS_TOKEN_VERIFY_EMAIL, t, SAAS_OK);
	saas_free_secret(t);
}
END_TEST

START_TEST(issue_rate_limit)
{
	char *t = NULL;

	for (int i = 0; i < 3; i++)
		saas_free_secret(issue(SAAS_TOKEN_MAGIC_LINK, 0));
	ck_rc(saas_token_issue(&t, ctx, th_system(), SAAS_TOKEN_MAGIC_LINK, user, 0),
	      SAAS_ERATELIMIT);
	ck_field("user_id");
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "retry in"));
	/* per purpose: another one is still allowed */
	saas_free_secret(issue(SAAS_TOKEN_VERIFY_EMAIL, 0));
	/* 3 per 10 minutes: one more every 200 s */
	th_clock_advance(200 * 1000);
	saas_free_secret(issue(SAAS_TOKEN_MAGIC_LINK, 0));
	ck_assert_int_eq(events("token.issued", NULL), 5);
}
END_TEST

START_TEST(password_reset)
{
	char *t, *session;
	saas_session *s = NULL;

	ck_ok(saas_password_set(ctx, th_system(), user, "old password", 12));
	ck_ok(saas_session_create(&session, NULL, ctx, th_system(), user, NULL, 0));
	ck_ok(saas_session_validate(&s, ctx, session));
	saas_session_free(s);
	t = issue(SAAS_TOKEN_RESET_PASSWORD, 0);

	/* a password the policy refuses: the token is not consumed */
	ck_rc(saas_password_reset(ctx, th_system(), t, "short", 5), SAAS_EINVAL);
	ck_field("password");
	ck_rc(saas_password_reset(ctx, th_system(), t, NULL, 3), SAAS_EINVAL);
	ck_field("password");
	ck_assert_int_eq(events("token.consumed", NULL), 0);

	ck_ok(saas_password_reset(ctx, th_system(), t, "a new password", 14));
	ck_assert_int_eq(events("token.consumed", t), 1);
	ck_assert_int_eq(events("user.password_changed", "a new password"), 2);
	/* every session was revoked */
	s = (saas_session *)1;
	ck_rc(saas_session_validate(&s, ctx, session), SAAS_EEXPIRED);
	ck_assert_ptr_null(s);

	/* once */
	ck_rc(saas_password_reset(ctx, th_system(), t, "another password", 16), SAAS_EUSED);
	ck_field("token");
	saas_free_secret(t);

	/* an expired token changes nothing */
	t = issue(SAAS_TOKEN_RESET_PASSWORD, 0);
	th_clock_advance(HOUR_MS);
	ck_rc(saas_password_reset(ctx, th_system(), t, "another password", 16), SAAS_EEXPIRED);
	ck_field("token");
	ck_assert_int_eq(events("user.password_changed", NULL), 2);
	saas_free_secret(t);

	/* another purpose's token is refused by its form */
	t = issue(SAAS_TOKEN_MAGIC_LINK, 0);
	ck_rc(saas_password_reset(ctx, th_system(), t, "another password", 16), SAAS_EINVAL);
	ck_field("token");
	saas_free_secret(t);
	saas_free_secret(session);
}
END_TEST

START_TEST(null_and_malformed_arguments)
{
	saas_scope *sys = th_system();
	char *t = (char *)1, *other;

	ck_rc(saas_token_issue(&t, NULL, sys, SAAS_TOKEN_MAGIC_LINK, user, 0), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_ptr_null(t);
	ck_rc(saas_token_issue(NULL, ctx, sys, SAAS_TOKEN_MAGIC_LINK, user, 0), SAAS_EINVAL);
	ck_field("out_token");
	ck_rc(saas_token_issue(&t, ctx, NULL, SAAS_TOKEN_MAGIC_LINK, user, 0), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_token_issue(&t, ctx, sys, 0, user, 0), SAAS_EINVAL);
	ck_field("purpose");
	ck_rc(saas_token_issue(&t, ctx, sys, 4, user, 0), SAAS_EINVAL);
	ck_field("purpose");
	ck_rc(saas_token_issue(&t, ctx, sys, SAAS_TOKEN_MAGIC_LINK, NULL, 0), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_token_issue(&t, ctx, sys, SAAS_TOKEN_MAGIC_LINK, "ten_x", 0), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_token_issue(&t, ctx, sys, SAAS_TOKEN_MAGIC_LINK, user, MIN_MS - 1), SAAS_EINVAL);
	ck_field("ttl_ms");
	ck_rc(saas_token_issue(&t, ctx, sys, SAAS_TOKEN_MAGIC_LINK, user, -MIN_MS), SAAS_EINVAL);
	ck_field("ttl_ms");
	ck_rc(saas_token_issue(&t, ctx, sys, SAAS_TOKEN_MAGIC_LINK, user,
	                       SAAS_TOKEN_TTL_MAX_MS + 1),
	      SAAS_EINVAL);
	ck_field("ttl_ms");
	ck_ok(saas_id_new(&other, ctx, "usr"));
	ck_rc(saas_token_issue(&t, ctx, sys, SAAS_TOKEN_MAGIC_LINK, other, 0), SAAS_ENOTFOUND);
	ck_field("user_id");
	ck_assert_ptr_null(t);
	saas_free(other);

	ck_rc(saas_token_consume(&t, NULL, sys, SAAS_TOKEN_MAGIC_LINK, "x"), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_token_consume(&t, ctx, NULL, SAAS_TOKEN_MAGIC_LINK, "x"), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_token_consume(&t, ctx, sys, 9, "x"), SAAS_EINVAL);
	ck_field("purpose");
	ck_rc(saas_token_consume(&t, ctx, sys, SAAS_TOKEN_MAGIC_LINK, NULL), SAAS_EINVAL);
	ck_field("token");
	ck_rc(saas_token_consume(&t, ctx, sys, SAAS_TOKEN_MAGIC_LINK, ""), SAAS_EINVAL);
	ck_field("token");

	ck_rc(saas_password_reset(NULL, sys, "x", "a new password", 14), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_password_reset(ctx, NULL, "x", "a new password", 14), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_password_reset(ctx, sys, NULL, "a new password", 14), SAAS_EINVAL);
	ck_field("token");
	ck_rc(saas_password_reset(ctx, sys, "rst_short", "a new password", 14), SAAS_EINVAL);
	ck_field("token");
}
END_TEST

static Suite *token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create(th_url);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, issue_and_consume_once);
	tcase_add_test(tc, expiry);
	tcase_add_test(tc, newer_token_replaces_older);
	tcase_add_test(tc, purpose_and_form);
	tcase_add_test(tc, email_changed_since_issue);
	tcase_add_test(tc, issue_rate_limit);
	tcase_add_test(tc, password_reset);
	tcase_add_test(tc, null_and_malformed_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &th_url, token_suite);
}
