/*
 * TOTP factors and recovery codes (saas/mfa.h): enrolment, confirmation,
 * verification with replay protection, the rate limit, recovery codes,
 * removal, the audit trail, and the second-factor step of sign-in. Runs on
 * memory:, a SQLite file and PostgreSQL (when configured).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "helpers.h"
#include "audit_helpers.h"
#include "auth/auth.h"
#include "store/store_mfa.h"

#define MIN_MS (60LL * 1000)
#define STEP_MS (SAAS_TOTP_PERIOD * 1000LL)

static saas_ctx *ctx;
static const char *user;

static void setup(void)
{
	ctx = th_open(th_url);
	user = th_user(ctx, "ann@example.com");
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
}

/* The code of `secret` at the test clock plus `offset_ms`. */
static const char *code_at(const char *secret, int64_t offset_ms, int digits, int alg)
{
	static char buf[4][SAAS_TOTP_CODE_SIZE];
	static unsigned next;
	char *out = buf[next++ % 4];

	ck_ok(saas_totp_code(out, secret, (th_clock_ms + offset_ms) / 1000, digits, alg));
	return out;
}

/* Enrol `user` (SHA-1, 6 digits) and confirm at the test clock; *secret
 * (may be NULL) gets the secret, *codes the recovery codes (NULL: freed). */
static void enrol(char **secret, char ***codes)
{
	char *sec, *uri, **rc;
	size_t n;

	ck_ok(saas_mfa_totp_enroll(&sec, &uri, ctx, th_system(), user, "Acme", 0, 0));
	ck_ok(saas_mfa_totp_confirm(&rc, &n, ctx, th_system(), user,
	                            code_at(sec, 0, 6, SAAS_TOTP_SHA1)));
	ck_assert_uint_eq(n, SAAS_MFA_RECOVERY_CODES);
	saas_free_secret(uri);
	if (secret)
		*secret = sec;
	else
		saas_free_secret(sec);
	if (codes)
		*codes = rc;
	else
		saas_mfa_codes_free(rc, n);
}

/* Events of the deployment's stream whose action starts with `prefix`;
 * none of them may hold `secret` (NULL: not checked). */
static int64_t audited(const char *prefix, const char *secret)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	saas_audit_page *p;
	size_t n;

	f.action_prefix = prefix;
	ck_ok(saas_audit_query(&p, ctx, th_scope(SAAS_SYSTEM_TENANT_ID), &f, NULL, 1000));
	n = saas_audit_page_count(p);
	for (size_t i = 0; secret && i < n; i++)
		ck_assert_msg(!strstr(saas_audit_page_event_json(p, i), secret),
		              "event %s holds a secret", saas_audit_page_action(p, i));
	saas_audit_page_free(p);
	return (int64_t)n;
}

static void ck_status(int enabled, unsigned left)
{
	int e = -1;
	unsigned l = 99;

	ck_ok(saas_mfa_status(&e, &l, ctx, user));
	ck_assert_int_eq(e, enabled);
	ck_assert_uint_eq(l, left);
}

static const char *msg(void)
{
	return saas_error_message(saas_error_last());
}

START_TEST(enroll_confirm_verify)
{
	char *secret, *uri, **codes;
	size_t n;
	const char *c0;

	ck_status(0, 0);
	ck_ok(saas_mfa_totp_enroll(&secret, &uri, ctx, th_system(), user, "Acme Inc", 0, 0));
	ck_assert_uint_eq(strlen(secret), 32); /* 20 bytes */
	ck_assert_msg(strncmp(uri, "otpauth://totp/Acme%20Inc:ann%40example.com?secret=", 51) == 0,
	              "uri %s", uri);
	ck_assert_ptr_nonnull(strstr(uri, secret));
	ck_assert_ptr_nonnull(strstr(uri, "algorithm=SHA1&digits=6"));
	ck_status(0, 0); /* pending: not on yet */
	ck_assert_int_eq(audited("mfa.enrollment_started", secret), 1);

	/* a pending factor is no second factor yet */
	ck_rc(saas_mfa_verify(ctx, th_system(), user, code_at(secret, 0, 6, SAAS_TOTP_SHA1)),
	      SAAS_ENOTFOUND);
	ck_field("user_id");

	c0 = code_at(secret, 0, 6, SAAS_TOTP_SHA1);
	ck_ok(saas_mfa_totp_confirm(&codes, &n, ctx, th_system(), user, c0));
	ck_assert_uint_eq(n, 10);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(strlen(codes[i]), SAAS_MFA_RECOVERY_CODE_LEN);
		ck_assert_int_eq(codes[i][5], '-');
		ck_assert_uint_eq(strspn(codes[i], "abcdefghijklmnopqrstuvwxyz234567-"), 11);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(codes[i], codes[j]);
	}
	ck_assert_ptr_null(codes[n]);
	ck_status(1, 10);
	ck_assert_int_eq(audited("mfa.enrolled", secret), 1);

	/* the code that confirmed cannot sign in: its step is taken */
	ck_rc(saas_mfa_verify(ctx, th_system(), user, c0), SAAS_EUSED);
	ck_field("code");

	/* the next step's code works once */
	th_clock_advance(STEP_MS);
	ck_ok(saas_mfa_verify(ctx, th_system(), user, code_at(secret, 0, 6, SAAS_TOTP_SHA1)));
	ck_rc(saas_mfa_verify(ctx, th_system(), user, code_at(secret, 0, 6, SAAS_TOTP_SHA1)),
	      SAAS_EUSED);
	ck_field("code");
	ck_assert_int_eq(audited("mfa.failed", secret), 2);

	/* spaces between the digits are fine */
	th_clock_advance(STEP_MS);
	{
		const char *c = code_at(secret, 0, 6, SAAS_TOTP_SHA1);
		char spaced[8];

		snprintf(spaced, sizeof spaced, "%.3s %.3s", c, c + 3);
		ck_ok(saas_mfa_verify(ctx, th_system(), user, spaced));
	}

	/* no secret or code in any event */
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(audited("mfa.", codes[i]), audited("mfa.", NULL));
	audited("mfa.", secret);
	saas_mfa_codes_free(codes, n);
	saas_free_secret(secret);
	saas_free_secret(uri);
}
END_TEST

START_TEST(older_step_after_newer_refused)
{
	char *secret;
	const char *later, *earlier;

	enrol(&secret, NULL);
	th_clock_advance(3 * STEP_MS);
	earlier = code_at(secret, -STEP_MS, 6, SAAS_TOTP_SHA1); /* still inside the window */
	later = code_at(secret, 0, 6, SAAS_TOTP_SHA1);
	ck_ok(saas_mfa_verify(ctx, th_system(), user, later));
	ck_rc(saas_mfa_verify(ctx, th_system(), user, earlier), SAAS_EUSED);
	ck_field("code");
	/* and a code from outside the window is simply wrong */
	ck_rc(saas_mfa_verify(ctx, th_system(), user, code_at(secret, -5 * STEP_MS, 6,
	                                                      SAAS_TOTP_SHA1)),
	      SAAS_ESIGNATURE);
	saas_free_secret(secret);
}
END_TEST

/* The RFC 6238 test secret gives 963181 at both steps 59061240 and
 * 59061241 (found offline): a code for the newer step must pass although
 * the older, already used step matches it too. */
START_TEST(adjacent_step_collision)
{
	static const char secret[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	const int64_t c = 59061240;
	struct saas__totp f = {0};
	char **codes;
	size_t n;
	int64_t changed = 0;
	saas_tx *tx;

	th_clock_ms = (c - 10) * STEP_MS + 1000;
	ck_assert_str_eq(code_at(secret, 10 * STEP_MS, 6, SAAS_TOTP_SHA1), "963181");
	ck_assert_str_eq(code_at(secret, 11 * STEP_MS, 6, SAAS_TOTP_SHA1), "963181");

	/* enrol, then put the known secret in the pending factor's place */
	enrol(NULL, NULL);
	ck_ok(saas_mfa_remove(ctx, th_system(), user));
	{
		char *s, *u;
		ck_ok(saas_mfa_totp_enroll(&s, &u, ctx, th_system(), user, NULL, 0, 0));
		saas_free_secret(s);
		saas_free_secret(u);
	}
	f.secret = (char *)secret;
	f.algorithm = (char *)"SHA1";
	f.digits = 6;
	f.created_at = th_clock_ms;
	ck_ok(saas__tx_begin(&tx, ctx, NULL, true));
	ck_ok(saas__st_totp_put_pending(&changed, tx, user, &f));
	ck_ok(saas__tx_commit(tx));
	ck_assert_int_eq(changed, 1);
	ck_ok(saas_mfa_totp_confirm(&codes, &n, ctx, th_system(), user,
	                            code_at(secret, 0, 6, SAAS_TOTP_SHA1)));
	saas_mfa_codes_free(codes, n);

	/* step c was the last accepted; at step c + 1 the fresh code (equal to
	 * step c's) is taken for step c + 1 */
	ck_ok(saas__tx_begin(&tx, ctx, NULL, true));
	ck_ok(saas__st_totp_advance(&changed, tx, user, c));
	ck_ok(saas__tx_commit(tx));
	ck_assert_int_eq(changed, 1);
	th_clock_ms = (c + 1) * STEP_MS + 1000;
	ck_ok(saas_mfa_verify(ctx, th_system(), user, "963181"));
	ck_rc(saas_mfa_verify(ctx, th_system(), user, "963181"), SAAS_EUSED);
}
END_TEST

START_TEST(wrong_code_and_rate_limit)
{
	char *secret;
	char wrong[SAAS_TOTP_CODE_SIZE];
	int64_t failed;

	enrol(&secret, NULL);
	th_clock_advance(STEP_MS);
	/* a code that matches no step of the window */
	snprintf(wrong, sizeof wrong, "%s", code_at(secret, 0, 6, SAAS_TOTP_SHA1));
	for (;;) {
		wrong[0] = (char)('0' + (wrong[0] - '0' + 1) % 10);
		if (strcmp(wrong, code_at(secret, -STEP_MS, 6, SAAS_TOTP_SHA1)) &&
		    strcmp(wrong, code_at(secret, 0, 6, SAAS_TOTP_SHA1)) &&
		    strcmp(wrong, code_at(secret, STEP_MS, 6, SAAS_TOTP_SHA1)))
			break;
	}
	failed = audited("mfa.failed", NULL);
	for (int i = 0; i < 5; i++) {
		ck_rc(saas_mfa_verify(ctx, th_system(), user, wrong), SAAS_ESIGNATURE);
		ck_field("code");
		ck_assert_ptr_null(strstr(msg(), wrong));
	}
	ck_assert_int_eq(audited("mfa.failed", NULL), failed + 5);
	/* the sixth attempt is refused, even with the right code */
	ck_rc(saas_mfa_verify(ctx, th_system(), user, code_at(secret, 0, 6, SAAS_TOTP_SHA1)),
	      SAAS_ERATELIMIT);
	ck_field("code");
	ck_assert_ptr_nonnull(strstr(msg(), "retry in"));
	/* 5 per 30 minutes: one more every 6 minutes */
	th_clock_advance(6 * MIN_MS);
	ck_ok(saas_mfa_verify(ctx, th_system(), user, code_at(secret, 0, 6, SAAS_TOTP_SHA1)));
	/* and a success gives back the whole burst */
	for (int i = 0; i < 5; i++)
		ck_rc(saas_mfa_verify(ctx, th_system(), user, wrong), SAAS_ESIGNATURE);
	saas_free_secret(secret);
}
END_TEST

START_TEST(recovery_codes)
{
	char **codes, **fresh;
	size_t n;
	char upper[16];
	json_t *e;

	enrol(NULL, &codes);
	ck_ok(saas_mfa_verify(ctx, th_system(), user, codes[0]));
	ck_status(1, 9);
	ck_rc(saas_mfa_verify(ctx, th_system(), user, codes[0]), SAAS_EUSED);
	ck_field("code");
	ck_assert_ptr_null(strstr(msg(), codes[0]));

	/* any case, with or without the dash */
	{
		size_t j = 0;

		for (const char *p = codes[1]; *p; p++)
			if (*p != '-')
				upper[j++] = (char)(*p >= 'a' ? *p - 'a' + 'A' : *p);
		upper[j] = '\0';
	}
	ck_assert_uint_eq(strlen(upper), 10);
	ck_ok(saas_mfa_verify(ctx, th_system(), user, upper));
	ck_status(1, 8);
	ck_assert_int_eq(audited("mfa.recovery_code_used", codes[1]), 2);
	e = ta_event(ctx, SAAS_SYSTEM_TENANT_ID, "mfa.recovery_code_used", 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(e, "metadata"),
	                                                    "codes_left")), 8);
	json_decref(e);

	/* a code that never was */
	ck_rc(saas_mfa_verify(ctx, th_system(), user, "aaaaa-aaaaa"), SAAS_ESIGNATURE);
	ck_field("code");

	/* regenerating invalidates every old code */
	ck_ok(saas_mfa_recovery_regenerate(&fresh, &n, ctx, th_system(), user));
	ck_assert_uint_eq(n, 10);
	ck_status(1, 10);
	ck_rc(saas_mfa_verify(ctx, th_system(), user, codes[2]), SAAS_ESIGNATURE);
	ck_ok(saas_mfa_verify(ctx, th_system(), user, fresh[0]));
	ck_status(1, 9);
	ck_assert_int_eq(audited("mfa.recovery_codes_regenerated", fresh[1]), 1);
	for (size_t i = 0; i < n; i++)
		audited("mfa.", fresh[i]);
	for (size_t i = 0; i < 10; i++)
		audited("mfa.", codes[i]);
	saas_mfa_codes_free(codes, 10);
	saas_mfa_codes_free(fresh, n);
}
END_TEST

START_TEST(remove_factor)
{
	char *secret, *uri;

	ck_rc(saas_mfa_remove(ctx, th_system(), user), SAAS_ENOTFOUND);
	ck_field("user_id");
	enrol(&secret, NULL);
	ck_ok(saas_mfa_remove(ctx, th_system(), user));
	ck_status(0, 0);
	ck_assert_int_eq(audited("mfa.removed", secret), 1);
	th_clock_advance(STEP_MS);
	ck_rc(saas_mfa_verify(ctx, th_system(), user, code_at(secret, 0, 6, SAAS_TOTP_SHA1)),
	      SAAS_ENOTFOUND);
	ck_rc(saas_mfa_recovery_regenerate((char **[1]){0}, (size_t[1]){0}, ctx, th_system(), user),
	      SAAS_ENOTFOUND);
	ck_rc(saas_mfa_remove(ctx, th_system(), user), SAAS_ENOTFOUND);
	saas_free_secret(secret);

	/* a pending factor can be removed too, and enrolment starts again */
	ck_ok(saas_mfa_totp_enroll(&secret, &uri, ctx, th_system(), user, NULL, 0, 0));
	ck_assert_msg(strncmp(uri, "otpauth://totp/ann%40example.com?", 33) == 0, "%s", uri);
	ck_assert_ptr_null(strstr(uri, "issuer="));
	ck_ok(saas_mfa_remove(ctx, th_system(), user));
	ck_assert_int_eq(audited("mfa.removed", NULL), 2);
	saas_free_secret(secret);
	saas_free_secret(uri);
}
END_TEST

START_TEST(enroll_and_confirm_refusals)
{
	char *s1, *u1, *s2, *u2, **codes = (char **)1;
	size_t n = 7;

	/* confirm without a pending factor */
	ck_rc(saas_mfa_totp_confirm(&codes, &n, ctx, th_system(), user, "123456"), SAAS_ENOTFOUND);
	ck_field("user_id");
	ck_assert_ptr_null(codes);
	ck_assert_uint_eq(n, 0);

	/* enrolling again replaces the pending secret */
	ck_ok(saas_mfa_totp_enroll(&s1, &u1, ctx, th_system(), user, "Acme", 0, 0));
	ck_ok(saas_mfa_totp_enroll(&s2, &u2, ctx, th_system(), user, "Acme", 0, 0));
	ck_assert_str_ne(s1, s2);
	if (strcmp(code_at(s1, 0, 6, SAAS_TOTP_SHA1), code_at(s2, 0, 6, SAAS_TOTP_SHA1)) != 0) {
		ck_rc(saas_mfa_totp_confirm(&codes, &n, ctx, th_system(), user,
		                            code_at(s1, 0, 6, SAAS_TOTP_SHA1)),
		      SAAS_ESIGNATURE);
		ck_field("code");
	}
	/* a malformed code */
	ck_rc(saas_mfa_totp_confirm(&codes, &n, ctx, th_system(), user, "12345"), SAAS_EINVAL);
	ck_field("code");
	ck_ok(saas_mfa_totp_confirm(&codes, &n, ctx, th_system(), user,
	                            code_at(s2, 0, 6, SAAS_TOTP_SHA1)));
	saas_mfa_codes_free(codes, n);

	/* confirmed: neither a second confirmation nor a new enrolment */
	th_clock_advance(STEP_MS);
	ck_rc(saas_mfa_totp_confirm(&codes, &n, ctx, th_system(), user,
	                            code_at(s2, 0, 6, SAAS_TOTP_SHA1)),
	      SAAS_EEXISTS);
	ck_field("user_id");
	saas_free_secret(s1);
	saas_free_secret(u1);
	ck_rc(saas_mfa_totp_enroll(&s1, &u1, ctx, th_system(), user, "Acme", 0, 0), SAAS_EEXISTS);
	ck_field("user_id");
	ck_assert_ptr_null(s1);
	ck_assert_ptr_null(u1);
	ck_assert_int_eq(audited("mfa.enrolled", NULL), 1);
	saas_free_secret(s2);
	saas_free_secret(u2);
}
END_TEST

START_TEST(sha256_eight_digits)
{
	char *secret, *uri, **codes;
	size_t n;

	ck_ok(saas_mfa_totp_enroll(&secret, &uri, ctx, th_system(), user, "Acme",
	                           SAAS_TOTP_SHA256, 8));
	ck_assert_uint_eq(strlen(secret), 52); /* 32 bytes */
	ck_assert_ptr_nonnull(strstr(uri, "algorithm=SHA256&digits=8"));
	ck_ok(saas_mfa_totp_confirm(&codes, &n, ctx, th_system(), user,
	                            code_at(secret, 0, 8, SAAS_TOTP_SHA256)));
	saas_mfa_codes_free(codes, n);
	th_clock_advance(STEP_MS);
	/* a 6-digit code cannot be right */
	ck_rc(saas_mfa_verify(ctx, th_system(), user, code_at(secret, 0, 6, SAAS_TOTP_SHA256)),
	      SAAS_ESIGNATURE);
	ck_ok(saas_mfa_verify(ctx, th_system(), user, code_at(secret, 0, 8, SAAS_TOTP_SHA256)));
	ck_ok(saas_mfa_remove(ctx, th_system(), user));
	saas_free_secret(secret);
	saas_free_secret(uri);

	ck_ok(saas_mfa_totp_enroll(&secret, &uri, ctx, th_system(), user, NULL, SAAS_TOTP_SHA512, 6));
	ck_assert_uint_eq(strlen(secret), 103); /* 64 bytes */
	ck_assert_ptr_nonnull(strstr(uri, "algorithm=SHA512&digits=6"));
	saas_free_secret(secret);
	saas_free_secret(uri);
}
END_TEST

START_TEST(login_second_factor_step)
{
	char *secret, **codes;
	int checked = -1;

	/* no factor: nothing to check */
	ck_ok(saas__mfa_login_check(&checked, ctx, th_system(), user, NULL));
	ck_assert_int_eq(checked, 0);
	enrol(&secret, &codes);
	th_clock_advance(STEP_MS);
	ck_rc(saas__mfa_login_check(&checked, ctx, th_system(), user, NULL), SAAS_EMFA);
	ck_field("second_factor");
	ck_assert_int_eq(checked, 0);
	ck_rc(saas__mfa_login_check(&checked, ctx, th_system(), user, "000000x"), SAAS_EINVAL);
	ck_field("second_factor");
	ck_ok(saas__mfa_login_check(&checked, ctx, th_system(), user,
	                            code_at(secret, 0, 6, SAAS_TOTP_SHA1)));
	ck_assert_int_eq(checked, 1);
	ck_rc(saas__mfa_login_check(&checked, ctx, th_system(), user,
	                            code_at(secret, 0, 6, SAAS_TOTP_SHA1)),
	      SAAS_EUSED);
	ck_field("second_factor");
	ck_ok(saas__mfa_login_check(&checked, ctx, th_system(), user, codes[3]));
	ck_assert_int_eq(checked, 1);
	ck_rc(saas__mfa_login_check(&checked, ctx, th_system(), user, codes[3]), SAAS_EUSED);
	ck_field("second_factor");
	saas_mfa_codes_free(codes, 10);
	saas_free_secret(secret);
}
END_TEST

START_TEST(null_and_malformed_arguments)
{
	saas_scope *sys = th_system();
	char *s = (char *)1, *u = (char *)1, **codes = (char **)1;
	size_t n = 3;
	int e;
	unsigned l;

	ck_rc(saas_mfa_totp_enroll(&s, &u, NULL, sys, user, NULL, 0, 0), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_ptr_null(s);
	ck_assert_ptr_null(u);
	ck_rc(saas_mfa_totp_enroll(NULL, &u, ctx, sys, user, NULL, 0, 0), SAAS_EINVAL);
	ck_field("out_secret");
	ck_rc(saas_mfa_totp_enroll(&s, NULL, ctx, sys, user, NULL, 0, 0), SAAS_EINVAL);
	ck_field("out_uri");
	ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, NULL, user, NULL, 0, 0), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, sys, NULL, NULL, 0, 0), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, sys, "usr_nope", NULL, 0, 0), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, sys, user, "", 0, 0), SAAS_EINVAL);
	ck_field("issuer");
	ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, sys, user, "bad\n", 0, 0), SAAS_EINVAL);
	ck_field("issuer");
	ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, sys, user, NULL, 4, 0), SAAS_EINVAL);
	ck_field("algorithm");
	ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, sys, user, NULL, -1, 0), SAAS_EINVAL);
	ck_field("algorithm");
	ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, sys, user, NULL, 0, 7), SAAS_EINVAL);
	ck_field("digits");
	{
		char *other;
		ck_ok(saas_id_new(&other, ctx, "usr"));
		ck_rc(saas_mfa_totp_enroll(&s, &u, ctx, sys, other, NULL, 0, 0), SAAS_ENOTFOUND);
		ck_field("user_id");
		saas_free(other);
	}

	ck_rc(saas_mfa_totp_confirm(&codes, &n, NULL, sys, user, "123456"), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_mfa_totp_confirm(NULL, &n, ctx, sys, user, "123456"), SAAS_EINVAL);
	ck_field("out_codes");
	ck_rc(saas_mfa_totp_confirm(&codes, NULL, ctx, sys, user, "123456"), SAAS_EINVAL);
	ck_field("out_n");
	ck_rc(saas_mfa_totp_confirm(&codes, &n, ctx, NULL, user, "123456"), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_mfa_totp_confirm(&codes, &n, ctx, sys, "x", "123456"), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_mfa_totp_confirm(&codes, &n, ctx, sys, user, NULL), SAAS_EINVAL);
	ck_field("code");

	ck_rc(saas_mfa_verify(NULL, sys, user, "123456"), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_mfa_verify(ctx, NULL, user, "123456"), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_mfa_verify(ctx, sys, NULL, "123456"), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_mfa_verify(ctx, sys, user, NULL), SAAS_EINVAL);
	ck_field("code");
	/* malformed codes: refused before the rate limit is touched */
	for (int i = 0; i < 8; i++) {
		static const char *const bad[] = {"12345", "123456789", "12a456", "aaaa-aaaa",
		                                  "aaaaa-aaaaa1", "aaaaa-aaaa!", "", "11111-11111"};
		ck_rc(saas_mfa_verify(ctx, sys, user, bad[i]), SAAS_EINVAL);
		ck_field("code");
	}
	ck_rc(saas_mfa_verify(ctx, sys, user, "123456"), SAAS_ENOTFOUND);

	ck_rc(saas_mfa_recovery_regenerate(&codes, &n, NULL, sys, user), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_mfa_recovery_regenerate(NULL, &n, ctx, sys, user), SAAS_EINVAL);
	ck_field("out_codes");
	ck_rc(saas_mfa_recovery_regenerate(&codes, NULL, ctx, sys, user), SAAS_EINVAL);
	ck_field("out_n");
	ck_rc(saas_mfa_recovery_regenerate(&codes, &n, ctx, NULL, user), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_mfa_recovery_regenerate(&codes, &n, ctx, sys, NULL), SAAS_EINVAL);
	ck_field("user_id");

	ck_rc(saas_mfa_remove(NULL, sys, user), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_mfa_remove(ctx, NULL, user), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_mfa_remove(ctx, sys, "usr_"), SAAS_EINVAL);
	ck_field("user_id");

	ck_rc(saas_mfa_status(&e, &l, NULL, user), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_mfa_status(&e, &l, ctx, NULL), SAAS_EINVAL);
	ck_field("user_id");
	ck_ok(saas_mfa_status(NULL, NULL, ctx, user));

	saas_mfa_codes_free(NULL, 3);
}
END_TEST

static Suite *mfa_suite(void)
{
	Suite *s = suite_create("mfa");
	TCase *tc = tcase_create(th_url);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, enroll_confirm_verify);
	tcase_add_test(tc, older_step_after_newer_refused);
	tcase_add_test(tc, adjacent_step_collision);
	tcase_add_test(tc, wrong_code_and_rate_limit);
	tcase_add_test(tc, recovery_codes);
	tcase_add_test(tc, remove_factor);
	tcase_add_test(tc, enroll_and_confirm_refusals);
	tcase_add_test(tc, sha256_eight_digits);
	tcase_add_test(tc, login_second_factor_step);
	tcase_add_test(tc, null_and_malformed_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &th_url, mfa_suite);
}
