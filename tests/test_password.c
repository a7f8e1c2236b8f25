/* Passwords: Argon2id hashing, verification, rehash decisions, the policy and
 * the dummy verification. Most tests use libsodium's smallest cost so they
 * run fast; one uses the defaults. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "helpers.h"

/* The smallest cost libsodium allows: for speed only. */
static saas_password_params small(void)
{
	saas_password_params p = SAAS_PASSWORD_PARAMS_INIT;

	p.opslimit = crypto_pwhash_OPSLIMIT_MIN;
	p.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	return p;
}

static char *hash_of(const char *pw, const saas_password_params *p)
{
	char *h = NULL;

	ck_ok(saas_password_hash(&h, pw, strlen(pw), p));
	ck_assert_ptr_nonnull(h);
	return h;
}

/* The last error's message does not contain `needle`. */
static void ck_msg_lacks(const char *needle)
{
	const char *m = saas_error_message(saas_error_last());

	ck_assert_msg(strstr(m, needle) == NULL, "message '%s' contains '%s'", m, needle);
}

START_TEST(params_defaults)
{
	saas_password_params p = SAAS_PASSWORD_PARAMS_INIT, q;

	/* at or above OWASP's floor: m=19456 KiB, t=2 */
	ck_assert_uint_ge(p.opslimit, 2);
	ck_assert_uint_ge(p.memlimit, 19456u * 1024u);
	ck_assert_uint_eq(p.opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	ck_assert_uint_eq(p.memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	memset(&q, 0xff, sizeof q);
	ck_ok(saas_password_params_init(&q, SAAS_PASSWORD_PARAMS_VERSION));
	ck_assert_uint_eq(q.version, SAAS_PASSWORD_PARAMS_VERSION);
	ck_assert_uint_eq(q.opslimit, p.opslimit);
	ck_assert_uint_eq(q.memlimit, p.memlimit);
	ck_rc(saas_password_params_init(NULL, SAAS_PASSWORD_PARAMS_VERSION), SAAS_EINVAL);
	ck_field("params");
	ck_rc(saas_password_params_init(&q, 99), SAAS_EINVAL);
	ck_field("version");
}
END_TEST

START_TEST(bad_params)
{
	saas_password_params p = small();
	char *h = (char *)1;

	p.version = 7;
	ck_rc(saas_password_hash(&h, "correct horse", 13, &p), SAAS_EINVAL);
	ck_field("version");
	ck_assert_ptr_null(h);
	p = small();
	p.opslimit = 0;
	ck_rc(saas_password_hash(&h, "correct horse", 13, &p), SAAS_EINVAL);
	ck_field("opslimit");
	p = small();
	p.memlimit = 4096;
	ck_rc(saas_password_hash(&h, "correct horse", 13, &p), SAAS_EINVAL);
	ck_field("memlimit");
	p = small();
	p.memlimit = 8192 + 100;
	ck_rc(saas_password_hash(&h, "correct horse", 13, &p), SAAS_EINVAL);
	ck_field("memlimit");
	ck_rc(saas_password_dummy_verify("x", 1, &p), SAAS_EINVAL);
	ck_field("memlimit");
	ck_rc(saas_password_needs_rehash("$argon2id$v=19$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$"
	                                 "ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg", &p),
	      SAAS_EINVAL);
	ck_field("memlimit");
	ck_rc(saas_password_hash(NULL, "correct horse", 13, NULL), SAAS_EINVAL);
	ck_field("out");
}
END_TEST

START_TEST(round_trip)
{
	saas_password_params p = small();
	const char *pw = "correct horse battery staple";
	char *h = hash_of(pw, &p), *h2;

	ck_assert_int_eq(strncmp(h, "$argon2id$v=19$m=8,t=1,p=1$", 27), 0);
	ck_assert_uint_lt(strlen(h), crypto_pwhash_STRBYTES);
	ck_ok(saas_password_verify(h, pw, strlen(pw)));
	/* a fresh salt every time */
	h2 = hash_of(pw, &p);
	ck_assert_str_ne(h, h2);
	ck_ok(saas_password_verify(h2, pw, strlen(pw)));
	/* non-ASCII text, the longest allowed */
	{
		char big[SAAS_PASSWORD_MAX_BYTES];
		char *hb = NULL;

		for (size_t i = 0; i < sizeof big; i += 2) {
			big[i] = (char)0xc3; /* é */
			big[i + 1] = (char)0xa9;
		}
		ck_ok(saas_password_hash(&hb, big, sizeof big, &p));
		ck_ok(saas_password_verify(hb, big, sizeof big));
		ck_rc(saas_password_verify(hb, big, sizeof big - 2), SAAS_ESIGNATURE);
		saas_free(hb);
	}
	saas_free(h);
	saas_free(h2);
}
END_TEST

START_TEST(defaults_round_trip)
{
	const char *pw = "Tr0ub4dor&3 but longer";
	char *h = hash_of(pw, NULL);

	ck_assert_int_eq(strncmp(h, "$argon2id$v=19$m=65536,t=2,p=1$", 31), 0);
	ck_ok(saas_password_verify(h, pw, strlen(pw)));
	ck_rc(saas_password_verify(h, "Tr0ub4dor&3 but longeR", strlen(pw)), SAAS_ESIGNATURE);
	ck_assert_int_eq(saas_password_needs_rehash(h, NULL), 0);
	saas_free(h);
}
END_TEST

START_TEST(wrong_password)
{
	saas_password_params p = small();
	const char *pw = "correct horse battery staple";
	char *h = hash_of(pw, &p);

	ck_rc(saas_password_verify(h, "correct horse battery stapler", 29), SAAS_ESIGNATURE);
	ck_field("password");
	ck_assert_str_eq(saas_error_message(saas_error_last()), "password does not match");
	ck_rc(saas_password_verify(h, "Correct horse battery staple", strlen(pw)), SAAS_ESIGNATURE);
	/* a prefix is not the password */
	ck_rc(saas_password_verify(h, pw, strlen(pw) - 1), SAAS_ESIGNATURE);
	ck_rc(saas_password_verify(h, "", 0), SAAS_ESIGNATURE);
	ck_rc(saas_password_verify(h, NULL, 0), SAAS_ESIGNATURE);
	ck_rc(saas_password_verify(h, NULL, 3), SAAS_EINVAL);
	ck_field("password");
	{
		char big[SAAS_PASSWORD_MAX_BYTES + 1];

		memset(big, 'a', sizeof big);
		ck_rc(saas_password_verify(h, big, sizeof big), SAAS_EINVAL);
		ck_field("password");
		ck_rc(saas_password_verify(h, big, sizeof big - 1), SAAS_ESIGNATURE);
	}
	saas_free(h);
}
END_TEST

START_TEST(embedded_nul)
{
	saas_password_params p = small();
	static const char with_nul[] = "correct horse\0battery staple";
	char *h = (char *)1;

	/* the policy sees the NUL instead of a shorter password */
	ck_rc(saas_password_check_policy(with_nul, sizeof with_nul - 1), SAAS_EINVAL);
	ck_field("password");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "NUL"));
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "offset 13"));
	ck_msg_lacks("horse");
	ck_rc(saas_password_hash(&h, with_nul, sizeof with_nul - 1, &p), SAAS_EINVAL);
	ck_assert_ptr_null(h);
	/* nothing after a NUL is cut off when verifying */
	h = hash_of("correct horse", &p);
	ck_ok(saas_password_verify(h, with_nul, 13));
	ck_rc(saas_password_verify(h, with_nul, sizeof with_nul - 1), SAAS_ESIGNATURE);
	ck_rc(saas_password_verify(h, with_nul, 14), SAAS_ESIGNATURE);
	saas_free(h);
}
END_TEST

START_TEST(malformed_hashes)
{
	saas_password_params p = small();
	char *good = hash_of("correct horse battery staple", &p);
	char buf[256];
	static const char *const bad[] = {
		"",
		"correct horse battery staple",
		"$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
		"$argon2d$v=19$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=16$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=19$m=8,t=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=19$m=08,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=19$m=-8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=19$m=99999999999,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=19$m=8,t=0,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=19$m=4,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=19$m=8,t=1,p=1$c2Fh$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg",
		"$argon2id$v=19$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXk",
		"$argon2id$v=19$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg$",
		"$argon2id$v=19$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg=",
		"$argon2id$v=19$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ$ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNo*XMtYW55dGg",
		"$argon2id$v=19$m=8,t=1,p=1$c2Fhcy1kdW1teS1zYWx0MQ",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(saas_password_verify(bad[i], "correct horse battery staple", 28) ==
		                  SAAS_EINVAL,
		              "verify accepted bad hash %zu", i);
		ck_field("hash");
		ck_assert_msg(saas_password_needs_rehash(bad[i], &p) == SAAS_EINVAL,
		              "needs_rehash accepted bad hash %zu", i);
		ck_field("hash");
		/* the message never quotes the hash string */
		if (strlen(bad[i]) > 12)
			ck_msg_lacks(bad[i] + strlen(bad[i]) - 12);
	}
	ck_rc(saas_password_verify(NULL, "x", 1), SAAS_EINVAL);
	ck_field("hash");
	/* a real hash with a character of its digest changed: well formed, no match */
	snprintf(buf, sizeof buf, "%s", good);
	buf[strlen(buf) - 20] = buf[strlen(buf) - 20] == 'A' ? 'B' : 'A';
	ck_rc(saas_password_verify(buf, "correct horse battery staple", 28), SAAS_ESIGNATURE);
	/* truncated */
	snprintf(buf, sizeof buf, "%.*s", (int)strlen(good) - 30, good);
	ck_rc(saas_password_verify(buf, "correct horse battery staple", 28), SAAS_EINVAL);
	ck_field("hash");
	ck_msg_lacks(buf + strlen(buf) - 10);
	/* too long for libsodium */
	memset(buf, 'A', sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';
	memcpy(buf, good, strlen(good));
	ck_rc(saas_password_verify(buf, "correct horse battery staple", 28), SAAS_EINVAL);
	ck_field("hash");
	saas_free(good);
}
END_TEST

START_TEST(needs_rehash)
{
	saas_password_params p = small(), more = small();
	const char *pw = "correct horse battery staple";
	char *h = hash_of(pw, &p);
	char ih[crypto_pwhash_STRBYTES];

	ck_assert_int_eq(saas_password_needs_rehash(h, &p), 0);
	more.opslimit = p.opslimit + 1;
	ck_assert_int_eq(saas_password_needs_rehash(h, &more), 1);
	more = small();
	more.memlimit = p.memlimit * 2;
	ck_assert_int_eq(saas_password_needs_rehash(h, &more), 1);
	ck_assert_int_eq(saas_password_needs_rehash(h, NULL), 1); /* the defaults are higher */
	/* rehash-on-login: the new hash is current */
	{
		char *h2 = NULL;

		ck_ok(saas_password_verify(h, pw, strlen(pw)));
		ck_ok(saas_password_hash(&h2, pw, strlen(pw), &more));
		ck_assert_int_eq(saas_password_needs_rehash(h2, &more), 0);
		ck_ok(saas_password_verify(h2, pw, strlen(pw)));
		saas_free(h2);
	}
	/* an Argon2i string verifies and always wants a rehash */
	ck_assert_int_eq(crypto_pwhash_str_alg(ih, pw, strlen(pw), crypto_pwhash_argon2i_OPSLIMIT_MIN,
	                                       p.memlimit, crypto_pwhash_ALG_ARGON2I13),
	                 0);
	ck_ok(saas_password_verify(ih, pw, strlen(pw)));
	ck_rc(saas_password_verify(ih, "nope nope nope", 14), SAAS_ESIGNATURE);
	more = small();
	more.opslimit = 3;
	ck_assert_int_eq(saas_password_needs_rehash(ih, &more), 1);
	saas_free(h);
}
END_TEST

START_TEST(policy)
{
	static const char *const ok[] = {
		"12345678", "        ", "correct horse battery staple", "pässwörd",
		"\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91" "abcd", /* 🔑×4 + 4 */
		"tab\there!",
	};
	struct {
		const char *pw;
		size_t len;
		const char *says;
	} bad[] = {
		{"", 0, "too short"},
		{"1234567", 7, "too short"},
		{"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 14, "too short"}, /* 7 chars, 14 bytes */
		{"secret\xff\xfe" "abcd", 12, "not valid UTF-8 (at byte offset 6)"},
		{"secret\xc0\xaf" "abcd", 12, "not valid UTF-8"},           /* overlong '/' */
		{"secret\xed\xa0\x80" "abcd", 13, "not valid UTF-8"},       /* a surrogate */
		{"secret\xf4\x90\x80\x80" "abcd", 14, "not valid UTF-8"},   /* above U+10FFFF */
		{"secretabcd\xe2\x82", 12, "not valid UTF-8 (at byte offset 10)"}, /* cut short */
		{"secret\0abcd", 11, "NUL character (at byte offset 6)"},
	};
	char big[SAAS_PASSWORD_MAX_BYTES + 1];

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		ck_ok(saas_password_check_policy(ok[i], strlen(ok[i])));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *m;

		ck_assert_msg(saas_password_check_policy(bad[i].pw, bad[i].len) == SAAS_EINVAL,
		              "policy accepted bad password %zu", i);
		ck_field("password");
		m = saas_error_message(saas_error_last());
		ck_assert_msg(strstr(m, bad[i].says) != NULL, "case %zu: '%s' lacks '%s'", i, m,
		              bad[i].says);
		if (bad[i].len >= 6)
			ck_msg_lacks("secret");
	}
	memset(big, 'x', sizeof big);
	ck_ok(saas_password_check_policy(big, SAAS_PASSWORD_MAX_BYTES));
	ck_rc(saas_password_check_policy(big, sizeof big), SAAS_EINVAL);
	ck_field("password");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "too long"));
	ck_msg_lacks("xxxx");
	ck_rc(saas_password_check_policy(NULL, 8), SAAS_EINVAL);
	ck_field("password");
	ck_rc(saas_password_check_policy(NULL, 0), SAAS_EINVAL); /* empty: too short */
	/* hash applies the policy */
	{
		char *h = (char *)1;
		saas_password_params p = small();

		ck_rc(saas_password_hash(&h, "short", 5, &p), SAAS_EINVAL);
		ck_field("password");
		ck_assert_ptr_null(h);
	}
}
END_TEST

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

START_TEST(dummy_verify)
{
	/* 1 MiB and t=2: long enough (milliseconds) to time, short enough to be fast */
	saas_password_params p = SAAS_PASSWORD_PARAMS_INIT;
	const char *pw = "correct horse battery staple";
	enum { RUNS = 21 };
	int64_t tv[RUNS], td[RUNS];
	char real_msg[512], real_field[48];
	char *h;
	double ratio;

	p.opslimit = 2;
	p.memlimit = 1024 * 1024;
	h = hash_of(pw, &p);
	/* the same answer as a wrong password */
	ck_rc(saas_password_verify(h, "wrong password!", 15), SAAS_ESIGNATURE);
	snprintf(real_msg, sizeof real_msg, "%s", saas_error_message(saas_error_last()));
	snprintf(real_field, sizeof real_field, "%s", saas_error_field(saas_error_last()));
	ck_rc(saas_password_dummy_verify("wrong password!", 15, &p), SAAS_ESIGNATURE);
	ck_assert_str_eq(saas_error_message(saas_error_last()), real_msg);
	ck_assert_str_eq(saas_error_field(saas_error_last()), real_field);
	/* it never matches, whatever the password */
	ck_rc(saas_password_dummy_verify("", 0, &p), SAAS_ESIGNATURE);
	ck_rc(saas_password_dummy_verify(NULL, 0, NULL), SAAS_ESIGNATURE);
	ck_rc(saas_password_dummy_verify(NULL, 1, &p), SAAS_EINVAL);
	ck_field("password");
	{
		char big[SAAS_PASSWORD_MAX_BYTES + 1];

		memset(big, 'a', sizeof big);
		ck_rc(saas_password_dummy_verify(big, sizeof big, &p), SAAS_EINVAL);
		ck_field("password");
	}
	/* warm up, then time both */
	ck_rc(saas_password_verify(h, "wrong password!", 15), SAAS_ESIGNATURE);
	ck_rc(saas_password_dummy_verify("wrong password!", 15, &p), SAAS_ESIGNATURE);
	/* interleaved, the order alternating, so that a burst of load on a
	 * shared machine falls on both; the median of each side, and a
	 * generous margin: this asserts the relation, not a speed */
	for (int i = 0; i < RUNS; i++) {
		for (int k = 0; k < 2; k++) {
			int64_t t0 = now_ns();

			if ((k ^ (i & 1)) == 0) {
				ck_rc(saas_password_verify(h, "wrong password!", 15), SAAS_ESIGNATURE);
				tv[i] = now_ns() - t0;
			} else {
				ck_rc(saas_password_dummy_verify("wrong password!", 15, &p),
				      SAAS_ESIGNATURE);
				td[i] = now_ns() - t0;
			}
		}
	}
	qsort(tv, RUNS, sizeof tv[0], cmp_i64);
	qsort(td, RUNS, sizeof td[0], cmp_i64);
	ratio = (double)td[RUNS / 2] / (double)tv[RUNS / 2];
	ck_assert_msg(ratio > 0.4 && ratio < 2.5,
	              "dummy_verify median %lld ns vs verify median %lld ns (ratio %.2f)",
	              (long long)td[RUNS / 2], (long long)tv[RUNS / 2], ratio);
	saas_free(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("password");
	TCase *tc = tcase_create("password");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, params_defaults);
	tcase_add_test(tc, bad_params);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, defaults_round_trip);
	tcase_add_test(tc, wrong_password);
	tcase_add_test(tc, embedded_nul);
	tcase_add_test(tc, malformed_hashes);
	tcase_add_test(tc, needs_rehash);
	tcase_add_test(tc, policy);
	tcase_add_test(tc, dummy_verify);
	suite_add_tcase(s, tc);
	return th_run(s);
}
