/* The API key format: generation, offline checks (form and CRC-32
 * checksum), hashing for lookup, and messages that never show a key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Made independently with Python's zlib.crc32 over "sk_test_<random>",
 * base62-encoded, zero-padded to 6. */
static const char known_key[] = "sk_test_aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zA1bC2dE3fG4h2GZ1Pt";
static const char known_live[] = "sk_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy";

static char *gen(const char *env, char prefix[SAAS_APIKEY_PREFIX_SIZE])
{
	char *k = NULL;

	ck_ok(saas_apikey_generate(&k, prefix, env));
	ck_assert_ptr_nonnull(k);
	return k;
}

/* The random part of `key` (after sk_<env>_) is not in the last message,
 * nor any 9 characters of it. */
static void ck_msg_hides(const char *key)
{
	const char *m = saas_error_message(saas_error_last());
	const char *r = strchr(key + 3, '_');
	char piece[10];

	r = r ? r + 1 : key + 3;
	for (size_t i = 0; i + 9 <= strlen(r); i++) {
		memcpy(piece, r + i, 9);
		piece[9] = '\0';
		ck_assert_msg(strstr(m, piece) == NULL, "message '%s' shows '%s' of the key", m, piece);
	}
}

START_TEST(known_vector)
{
	char env[SAAS_APIKEY_ENV_MAX + 1] = "junk";

	ck_ok(saas_apikey_parse(env, known_key));
	ck_assert_str_eq(env, "test");
	ck_ok(saas_apikey_parse(env, known_live));
	ck_assert_str_eq(env, "live");
	ck_ok(saas_apikey_parse(NULL, known_live));
}
END_TEST

START_TEST(round_trip)
{
	static const char *const envs[] = {"live", "test", "x", "abcdefghijklmnop"};

	for (int i = 0; i < 2000; i++) {
		const char *e = envs[i % 4];
		char prefix[SAAS_APIKEY_PREFIX_SIZE], env[SAAS_APIKEY_ENV_MAX + 1];
		char *k = gen(e, prefix);
		size_t el = strlen(e);

		ck_assert_uint_eq(strlen(k), 3 + el + 1 + SAAS_APIKEY_RANDOM_CHARS +
		                                 SAAS_APIKEY_CHECKSUM_CHARS);
		ck_assert_uint_le(strlen(k), SAAS_APIKEY_MAX_LEN);
		ck_assert_int_eq(strncmp(k, "sk_", 3), 0);
		ck_assert_int_eq(strncmp(k + 3, e, el), 0);
		ck_assert_int_eq(k[3 + el], '_');
		for (const char *c = k + 3 + el + 1; *c; c++)
			ck_assert_ptr_nonnull(strchr(b62, *c));
		/* the display prefix: sk_<env>_ and 4 random characters */
		ck_assert_uint_eq(strlen(prefix), 3 + el + 1 + SAAS_APIKEY_PREFIX_RANDOM_CHARS);
		ck_assert_uint_lt(strlen(prefix), SAAS_APIKEY_PREFIX_SIZE);
		ck_assert_int_eq(strncmp(prefix, k, strlen(prefix)), 0);
		ck_ok(saas_apikey_parse(env, k));
		ck_assert_str_eq(env, e);
		saas_free_secret(k);
	}
	/* out_prefix may be NULL */
	{
		char *k = NULL;

		ck_ok(saas_apikey_generate(&k, NULL, "live"));
		ck_ok(saas_apikey_parse(NULL, k));
		saas_free_secret(k);
	}
}
END_TEST

START_TEST(keys_differ)
{
	char *a = gen("live", NULL), *b = gen("live", NULL);

	ck_assert_str_ne(a, b);
	saas_free_secret(a);
	saas_free_secret(b);
}
END_TEST

START_TEST(bad_env)
{
	static const char *const bad[] = {"", "Live", "live1", "li-ve", "abcdefghijklmnopq", "live_", " "};
	char prefix[SAAS_APIKEY_PREFIX_SIZE] = "junk";
	char *k = (char *)1;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_rc(saas_apikey_generate(&k, prefix, bad[i]), SAAS_EINVAL);
		ck_field("env");
		ck_assert_ptr_null(k);
		ck_assert_str_eq(prefix, "");
	}
	ck_rc(saas_apikey_generate(&k, prefix, NULL), SAAS_EINVAL);
	ck_field("env");
	ck_rc(saas_apikey_generate(NULL, prefix, "live"), SAAS_EINVAL);
	ck_field("out_key");
}
END_TEST

START_TEST(every_substitution_caught)
{
	/* every position, every other character of the key's alphabet */
	for (int n = 0; n < 20; n++) {
		char *k = gen(n % 2 ? "live" : "test", NULL);
		size_t len = strlen(k);
		char *m = malloc(len + 1);
		static const char alphabet[] =
		    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";

		for (size_t pos = 0; pos < len; pos++) {
			for (const char *c = alphabet; *c; c++) {
				int rc;

				if (*c == k[pos])
					continue;
				memcpy(m, k, len + 1);
				m[pos] = *c;
				rc = saas_apikey_parse(NULL, m);
				ck_assert_msg(rc == SAAS_ESIGNATURE || rc == SAAS_EINVAL,
				              "a change at %zu to '%c' was not caught", pos, *c);
				ck_field("key");
				/* inside the random part and checksum, with a base62
				 * character: the form holds, the checksum refuses it */
				if (pos >= len - SAAS_APIKEY_RANDOM_CHARS - SAAS_APIKEY_CHECKSUM_CHARS &&
				    strchr(b62, *c))
					ck_assert_int_eq(rc, SAAS_ESIGNATURE);
			}
		}
		free(m);
		saas_free_secret(k);
	}
}
END_TEST

START_TEST(transpositions_caught)
{
	for (int n = 0; n < 200; n++) {
		char *k = gen("live", NULL);
		size_t len = strlen(k);
		char *m = malloc(len + 1);

		for (size_t pos = 0; pos + 1 < len; pos++) {
			if (k[pos] == k[pos + 1])
				continue;
			memcpy(m, k, len + 1);
			m[pos] = k[pos + 1];
			m[pos + 1] = k[pos];
			ck_assert_msg(saas_apikey_parse(NULL, m) != SAAS_OK,
			              "a swap at %zu was not caught", pos);
			ck_field("key");
		}
		free(m);
		saas_free_secret(k);
	}
}
END_TEST

START_TEST(malformed)
{
	char *k = gen("live", NULL);
	size_t len = strlen(k);
	char buf[256];
	struct {
		const char *text;
		const char *says;
	} cases[] = {
		{"", "empty"},
		{"pk_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy", "does not start with 'sk_'"},
		{"SK_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy", "does not start with 'sk_'"},
		{"ghp_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy", "does not start with 'sk_'"},
		{"sk__4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy", "no environment"},
		{"sk_Live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy", "no environment"},
		{"sk_live4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy", "no environment"},
		{"sk_abcdefghijklmnopq_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy", "no environment"},
		{"sk_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTd", "too short"},
		{"sk_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdyy", "too long"},
		{"sk_live_", "too short"},
		{"sk_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9-GhK6oWtB5xIe3CgTdy", "outside [0-9A-Za-z]"},
		{"sk_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTd=", "outside [0-9A-Za-z]"},
		{"sk_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTd\n", "outside [0-9A-Za-z]"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *m;
		char env[SAAS_APIKEY_ENV_MAX + 1] = "junk";

		ck_assert_msg(saas_apikey_parse(env, cases[i].text) == SAAS_EINVAL,
		              "case %zu accepted", i);
		ck_field("key");
		ck_assert_str_eq(env, "");
		m = saas_error_message(saas_error_last());
		ck_assert_msg(strstr(m, cases[i].says) != NULL, "case %zu: '%s' lacks '%s'", i, m,
		              cases[i].says);
		ck_assert_ptr_null(strchr(m, '\n'));
		if (strlen(cases[i].text) > 20)
			ck_msg_hides(strncmp(cases[i].text, "sk_", 3) == 0 ? cases[i].text
			                                                   : known_live);
	}
	ck_rc(saas_apikey_parse(NULL, NULL), SAAS_EINVAL);
	ck_field("key");
	/* far too long: stops reading after the longest key */
	memset(buf, 'a', sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';
	memcpy(buf, k, len);
	ck_rc(saas_apikey_parse(NULL, buf), SAAS_EINVAL);
	ck_field("key");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "too long"));
	ck_msg_hides(k);
	/* a checksum error quotes sk_<env>_ at most */
	snprintf(buf, sizeof buf, "%s", k);
	buf[len - 1] = buf[len - 1] == 'A' ? 'B' : 'A';
	ck_rc(saas_apikey_parse(NULL, buf), SAAS_ESIGNATURE);
	ck_field("key");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "'sk_live_...'"));
	ck_msg_hides(k);
	/* a short environment: nothing past its '_' */
	{
		char *t = gen("t", NULL);

		snprintf(buf, sizeof buf, "%s", t);
		buf[10] = buf[10] == 'A' ? 'B' : 'A';
		ck_rc(saas_apikey_parse(NULL, buf), SAAS_ESIGNATURE);
		ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "'sk_t_...'"));
		ck_msg_hides(t);
		ck_msg_hides(buf);
		saas_free_secret(t);
	}
	saas_free_secret(k);
}
END_TEST

START_TEST(hash)
{
	char h1[65], h2[65], h3[65];
	char *a = gen("live", NULL), *b = gen("live", NULL);

	ck_ok(saas_apikey_hash(h1, a));
	ck_ok(saas_apikey_hash(h2, a));
	ck_ok(saas_apikey_hash(h3, b));
	ck_assert_uint_eq(strlen(h1), 64);
	ck_assert_uint_eq(strspn(h1, "0123456789abcdef"), 64);
	ck_assert_str_eq(h1, h2);
	ck_assert_str_ne(h1, h3);
	/* the hash is not the key, nor contains it */
	ck_assert_ptr_null(strstr(h1, a + 8));
	/* a known value: BLAKE2b-256 of the known key (Python hashlib.blake2b, digest_size=32) */
	ck_ok(saas_apikey_hash(h1, known_live));
	ck_assert_str_eq(h1, "6d477b1f3a5095a1989b76792a50b0fb95a6a3a0dfebeca470df3ebe752452bb");
	/* malformed or mistyped keys are refused, out left empty */
	strcpy(h1, "junk");
	ck_rc(saas_apikey_hash(h1, "sk_live_nope"), SAAS_EINVAL);
	ck_field("key");
	ck_assert_str_eq(h1, "");
	strcpy(h1, "junk");
	{
		char bad[SAAS_APIKEY_MAX_LEN + 1];

		snprintf(bad, sizeof bad, "%s", a);
		bad[20] = bad[20] == 'A' ? 'B' : 'A';
		ck_rc(saas_apikey_hash(h1, bad), SAAS_ESIGNATURE);
		ck_field("key");
		ck_assert_str_eq(h1, "");
		ck_msg_hides(a);
	}
	ck_rc(saas_apikey_hash(NULL, a), SAAS_EINVAL);
	ck_field("out");
	saas_free_secret(a);
	saas_free_secret(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apikey_format");
	TCase *tc = tcase_create("apikey_format");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, known_vector);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, keys_differ);
	tcase_add_test(tc, bad_env);
	tcase_add_test(tc, every_substitution_caught);
	tcase_add_test(tc, transpositions_caught);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, hash);
	suite_add_tcase(s, tc);
	return th_run(s);
}
