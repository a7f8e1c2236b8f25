/*
 * One-time passwords (saas/totp.h): every test vector of RFC 4226 Appendix
 * D and RFC 6238 Appendix B (with the per-algorithm seeds of Appendix A),
 * base32 against RFC 4648 §10 both ways, the check's window and its
 * refusals, malformed input naming the field (and never the secret), new
 * secrets, and the otpauth:// URI's encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* The RFC seeds (ASCII). */
static const char SEED20[] = "12345678901234567890";
static const char SEED32[] = "12345678901234567890123456789012";
static const char SEED64[] =
	"1234567890123456789012345678901234567890123456789012345678901234";

/* Base32 of a byte string, failing the test on error; free with saas_free. */
static char *b32(const void *data, size_t n)
{
	char *s = NULL;

	ck_ok(saas_base32_encode(&s, data, n));
	return s;
}

START_TEST(hotp_rfc4226_appendix_d)
{
	static const char *const want[] = {"755224", "287082", "359152", "969429", "338314",
	                                   "254676", "287922", "162583", "399871", "520489"};
	char code[SAAS_TOTP_CODE_SIZE];

	for (uint64_t c = 0; c < 10; c++) {
		ck_ok(saas_hotp_code(code, (const unsigned char *)SEED20, 20, c, 6, SAAS_TOTP_SHA1));
		ck_assert_msg(strcmp(code, want[c]) == 0, "counter %d: got %s, want %s", (int)c,
		              code, want[c]);
	}
	/* 7 and 8 digits keep more of the same truncated value (Table 2's decimals). */
	ck_ok(saas_hotp_code(code, (const unsigned char *)SEED20, 20, 0, 8, SAAS_TOTP_SHA1));
	ck_assert_str_eq(code, "84755224");
	ck_ok(saas_hotp_code(code, (const unsigned char *)SEED20, 20, 7, 8, SAAS_TOTP_SHA1));
	ck_assert_str_eq(code, "82162583");
	ck_ok(saas_hotp_code(code, (const unsigned char *)SEED20, 20, 2, 7, SAAS_TOTP_SHA1));
	ck_assert_str_eq(code, "7359152"); /* 137359152: a leading digit of the 31 bits */
}
END_TEST

START_TEST(totp_rfc6238_appendix_b)
{
	static const struct {
		int64_t t;
		const char *sha1, *sha256, *sha512;
	} v[] = {
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000LL, "65353130", "77737706", "47863826"},
	};
	char *s1 = b32(SEED20, 20), *s256 = b32(SEED32, 32), *s512 = b32(SEED64, 64);
	char code[SAAS_TOTP_CODE_SIZE];
	int64_t step;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		ck_ok(saas_totp_code(code, s1, v[i].t, 8, SAAS_TOTP_SHA1));
		ck_assert_msg(strcmp(code, v[i].sha1) == 0, "SHA1 t=%lld: %s", (long long)v[i].t,
		              code);
		ck_ok(saas_totp_code(code, s256, v[i].t, 8, SAAS_TOTP_SHA256));
		ck_assert_msg(strcmp(code, v[i].sha256) == 0, "SHA256 t=%lld: %s",
		              (long long)v[i].t, code);
		ck_ok(saas_totp_code(code, s512, v[i].t, 8, SAAS_TOTP_SHA512));
		ck_assert_msg(strcmp(code, v[i].sha512) == 0, "SHA512 t=%lld: %s",
		              (long long)v[i].t, code);
		/* ... and each verifies at its own time, with no window. */
		ck_ok(saas_totp_check(&step, s1, v[i].sha1, v[i].t, 0, 8, SAAS_TOTP_SHA1));
		ck_assert_int_eq(step, v[i].t / 30);
		ck_ok(saas_totp_check(&step, s256, v[i].sha256, v[i].t, 0, 8, SAAS_TOTP_SHA256));
		ck_ok(saas_totp_check(&step, s512, v[i].sha512, v[i].t, 0, 8, SAAS_TOTP_SHA512));
	}
	/* The errata's gotcha: the 20-byte seed under SHA-256 is not the table's value. */
	ck_ok(saas_totp_code(code, s1, 59, 8, SAAS_TOTP_SHA256));
	ck_assert_str_eq(code, "32247374");
	/* The secret may come in lower case, grouped with spaces, padded. */
	{
		char spaced[80];
		size_t o = 0;

		for (size_t i = 0; s1[i]; i++) {
			if (i && i % 4 == 0)
				spaced[o++] = ' ';
			spaced[o++] = (char)(s1[i] >= 'A' && s1[i] <= 'Z' ? s1[i] + 32 : s1[i]);
		}
		memcpy(spaced + o, "  ", 3);
		ck_ok(saas_totp_code(code, spaced, 59, 8, SAAS_TOTP_SHA1));
		ck_assert_str_eq(code, "94287082");
	}
	saas_free(s1);
	saas_free(s256);
	saas_free(s512);
}
END_TEST

START_TEST(base32_rfc4648_section_10)
{
	static const struct {
		const char *plain, *enc;
	} v[] = {
		{"", ""},
		{"f", "MY======"},
		{"fo", "MZXQ===="},
		{"foo", "MZXW6==="},
		{"foob", "MZXW6YQ="},
		{"fooba", "MZXW6YTB"},
		{"foobar", "MZXW6YTBOI======"},
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *enc = b32(v[i].plain, strlen(v[i].plain));
		unsigned char *dec = NULL;
		size_t n = 99;
		char lower[32];

		ck_assert_str_eq(enc, v[i].enc);
		saas_free(enc);
		ck_ok(saas_base32_decode(&dec, &n, v[i].enc));
		ck_assert_uint_eq(n, strlen(v[i].plain));
		ck_assert_str_eq((const char *)dec, v[i].plain); /* NUL-terminated */
		saas_base32_free(dec, n);
		/* Lower case, and without the padding. */
		for (size_t k = 0; k <= strlen(v[i].enc); k++)
			lower[k] = v[i].enc[k] == '=' || v[i].enc[k] == '\0' ? '\0'
			                                                    : (char)(v[i].enc[k] | 0x20);
		ck_ok(saas_base32_decode(&dec, &n, lower));
		ck_assert_mem_eq(dec, v[i].plain, strlen(v[i].plain));
		saas_base32_free(dec, n);
	}
	/* Every byte value survives the round trip. */
	{
		unsigned char all[256], *dec = NULL;
		size_t n = 0;
		char *enc;

		for (int i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		enc = b32(all, sizeof all);
		ck_ok(saas_base32_decode(&dec, &n, enc));
		ck_assert_uint_eq(n, 256);
		ck_assert_mem_eq(dec, all, 256);
		saas_base32_free(dec, n);
		saas_free(enc);
	}
	saas_base32_free(NULL, 0);
}
END_TEST

START_TEST(base32_refusals_name_the_position)
{
	unsigned char *dec = (unsigned char *)"x";
	size_t n = 5;
	const char *msg;

	ck_rc(saas_base32_decode(&dec, &n, "MZXW1YTB"), SAAS_EINVAL);
	ck_field("text");
	ck_assert_ptr_null(dec);
	ck_assert_uint_eq(n, 0);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "character 5") && strstr(msg, "'1'"), "%s", msg);
	ck_rc(saas_base32_decode(&dec, &n, "MZXW6YQ=A"), SAAS_EINVAL); /* data after padding */
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "character 9"));
	ck_rc(saas_base32_decode(&dec, &n, "MZX"), SAAS_EINVAL); /* 3 characters: impossible */
	ck_field("text");
	ck_rc(saas_base32_decode(&dec, &n, "MZXW-6YTB"), SAAS_EINVAL);
	ck_rc(saas_base32_decode(&dec, &n, "MZ\xc3\xa9"), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "0xC3"));
	ck_rc(saas_base32_decode(&dec, &n, NULL), SAAS_EINVAL);
	ck_field("text");
	ck_rc(saas_base32_decode(NULL, &n, "MY"), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_base32_decode(&dec, NULL, "MY"), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_base32_encode(NULL, (const unsigned char *)"f", 1), SAAS_EINVAL);
	ck_field("out");
	{
		char *s = (char *)"x";
		ck_rc(saas_base32_encode(&s, NULL, 3), SAAS_EINVAL);
		ck_field("data");
		ck_assert_ptr_null(s);
		ck_ok(saas_base32_encode(&s, NULL, 0));
		ck_assert_str_eq(s, "");
		saas_free(s);
	}
}
END_TEST

START_TEST(check_window)
{
	char *secret = NULL, code[SAAS_TOTP_CODE_SIZE], c[7][SAAS_TOTP_CODE_SIZE];
	const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z, a step boundary */
	const int64_t step = now / 30;
	int64_t got = 0;

	ck_ok(saas_totp_secret_new(&secret, 0));
	/* The codes of steps -3 to +3 (c[3] is now's). */
	for (int d = -3; d <= 3; d++)
		ck_ok(saas_totp_code(c[d + 3], secret, now + 30 * d, 6, SAAS_TOTP_SHA1));
	for (int d = -3; d <= 3; d++) {
		int64_t want = -1;

		/* The newest step of the window [-1, +1] with the same code: d
		 * itself, unless a 6-digit code of a newer step collides (rare). */
		for (int k = -1; k <= 1; k++)
			if (strcmp(c[k + 3], c[d + 3]) == 0)
				want = step + k;
		if (want >= 0) {
			ck_ok(saas_totp_check(&got, secret, c[d + 3], now, 1, 6, SAAS_TOTP_SHA1));
			ck_assert_int_eq(got, want);
			/* Any second of the check's step gives the same answer. */
			ck_ok(saas_totp_check(&got, secret, c[d + 3], now + 29, 1, 6, SAAS_TOTP_SHA1));
			ck_assert_int_eq(got, want);
		} else {
			/* Steps -3, -2, +2 and +3 are refused with a window of 1... */
			got = 0;
			ck_rc(saas_totp_check(&got, secret, c[d + 3], now, 1, 6, SAAS_TOTP_SHA1),
			      SAAS_ESIGNATURE);
			ck_field("code");
			ck_assert_int_eq(got, -1);
			/* ... and accepted with a window of 3. */
			ck_ok(saas_totp_check(&got, secret, c[d + 3], now, 3, 6, SAAS_TOTP_SHA1));
			ck_assert_int_ge(got, step + d);
		}
	}
	/* Window 0: only the current step, for all of its 30 seconds. */
	ck_ok(saas_totp_check(&got, secret, c[3], now + 29, 0, 6, SAAS_TOTP_SHA1));
	ck_assert_int_eq(got, step);
	if (strcmp(c[2], c[3]) != 0)
		ck_rc(saas_totp_check(&got, secret, c[2], now, 0, 6, SAAS_TOTP_SHA1),
		      SAAS_ESIGNATURE);
	ck_ok(saas_totp_check(NULL, secret, c[3], now, 0, 6, SAAS_TOTP_SHA1));
	/* Spaces inside the typed code are ignored. */
	{
		char spaced[16];
		snprintf(spaced, sizeof spaced, " %.3s %.3s ", c[3], c[3] + 3);
		ck_ok(saas_totp_check(&got, secret, spaced, now, 0, 6, SAAS_TOTP_SHA1));
		ck_assert_int_eq(got, step);
	}
	/* Near the epoch the window does not go below step 0. */
	ck_ok(saas_totp_code(code, secret, 0, 6, SAAS_TOTP_SHA1));
	ck_ok(saas_totp_check(&got, secret, code, 10, 2, 6, SAAS_TOTP_SHA1));
	ck_assert_int_ge(got, 0);
	saas_free_secret(secret);
}
END_TEST

START_TEST(check_refuses_a_wrong_code)
{
	char *s1 = b32(SEED20, 20);
	int64_t got = 5;
	const char *msg;

	/* RFC 6238's SHA1 value at T=59, one digit off, and the right code of
	 * another algorithm. */
	ck_rc(saas_totp_check(&got, s1, "94287083", 59, 1, 8, SAAS_TOTP_SHA1), SAAS_ESIGNATURE);
	ck_field("code");
	ck_assert_int_eq(got, -1);
	msg = saas_error_message(saas_error_last());
	ck_assert_ptr_null(strstr(msg, "9428708"));
	ck_rc(saas_totp_check(&got, s1, "94287082", 59, 1, 8, SAAS_TOTP_SHA512), SAAS_ESIGNATURE);
	/* The 6-digit form of the same code verifies with 6 digits only. */
	ck_ok(saas_totp_check(&got, s1, "287082", 59, 0, 6, SAAS_TOTP_SHA1));
	ck_assert_int_eq(got, 1);
	ck_rc(saas_totp_check(&got, s1, "287082", 59, 0, 8, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("code");
	/* Far away in time. */
	ck_rc(saas_totp_check(&got, s1, "94287082", 1111111109, 10, 8, SAAS_TOTP_SHA1),
	      SAAS_ESIGNATURE);
	saas_free(s1);
}
END_TEST

START_TEST(malformed_inputs_name_the_field)
{
	char *s1 = b32(SEED20, 20), code[SAAS_TOTP_CODE_SIZE], *out = NULL;
	const char *secret_bad = "GEZDGNBVGY3TQOJQ1EZDGNBVGY3TQOJQ"; /* '1' at 17 */
	const char *msg;
	int64_t got;

	/* A bad character of a secret: its position, never the secret. */
	ck_rc(saas_totp_code(code, secret_bad, 59, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("secret");
	ck_assert_str_eq(code, "");
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "character 17") != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "GEZDG") == NULL && strstr(msg, "'1'") == NULL, "%s", msg);
	ck_rc(saas_totp_check(&got, secret_bad, "123456", 59, 1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("secret");
	ck_rc(saas_totp_uri(&out, "Acme", "a@b.c", secret_bad, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("secret");
	/* Too short (8 bytes) and too long (129 bytes) secrets; an empty one. */
	{
		unsigned char big[129] = {0};
		char *s8 = b32(SEED20, 8), *s129 = b32(big, sizeof big), *s10 = b32(SEED20, 10);
		ck_rc(saas_totp_code(code, s8, 59, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
		ck_field("secret");
		ck_rc(saas_totp_code(code, s129, 59, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
		ck_field("secret");
		ck_rc(saas_totp_code(code, "", 59, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
		ck_field("secret");
		ck_ok(saas_totp_code(code, s10, 59, 6, SAAS_TOTP_SHA1)); /* 80 bits: the least */
		saas_free(s8);
		saas_free(s129);
		saas_free(s10);
	}
	/* digits */
	for (int d = -1; d <= 10; d++) {
		if (d >= 6 && d <= 8)
			continue;
		ck_rc(saas_totp_code(code, s1, 59, d, SAAS_TOTP_SHA1), SAAS_EINVAL);
		ck_field("digits");
		ck_rc(saas_hotp_code(code, (const unsigned char *)SEED20, 20, 0, d, SAAS_TOTP_SHA1),
		      SAAS_EINVAL);
		ck_field("digits");
		ck_rc(saas_totp_check(&got, s1, "123456", 59, 1, d, SAAS_TOTP_SHA1), SAAS_EINVAL);
		ck_field("digits");
		ck_rc(saas_totp_uri(&out, "Acme", "a", s1, d, SAAS_TOTP_SHA1), SAAS_EINVAL);
		ck_field("digits");
	}
	/* algorithm */
	{
		static const int bad[] = {0, 4, -1, 256};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			ck_rc(saas_totp_code(code, s1, 59, 6, bad[i]), SAAS_EINVAL);
			ck_field("algorithm");
			ck_rc(saas_hotp_code(code, (const unsigned char *)SEED20, 20, 0, 6, bad[i]),
			      SAAS_EINVAL);
			ck_field("algorithm");
			ck_rc(saas_totp_check(&got, s1, "123456", 59, 1, 6, bad[i]), SAAS_EINVAL);
			ck_field("algorithm");
			ck_rc(saas_totp_uri(&out, "Acme", "a", s1, 6, bad[i]), SAAS_EINVAL);
			ck_field("algorithm");
		}
	}
	/* the typed code */
	{
		static const char *const bad[] = {"", "12345", "1234567", "12345a", "-12345",
		                                  "123\t456", "１２３４５６"};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			got = 7;
			ck_rc(saas_totp_check(&got, s1, bad[i], 59, 1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
			ck_field("code");
			ck_assert_int_eq(got, -1);
		}
		ck_rc(saas_totp_check(&got, s1, NULL, 59, 1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
		ck_field("code");
	}
	/* time, window, NULLs */
	ck_rc(saas_totp_code(code, s1, -1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("unix_seconds");
	ck_rc(saas_totp_check(&got, s1, "123456", -30, 1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("unix_seconds");
	ck_rc(saas_totp_check(&got, s1, "123456", 59, -1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("window");
	ck_rc(saas_totp_check(&got, s1, "123456", 59, SAAS_TOTP_WINDOW_MAX + 1, 6, SAAS_TOTP_SHA1),
	      SAAS_EINVAL);
	ck_field("window");
	ck_rc(saas_totp_code(NULL, s1, 59, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_totp_code(code, NULL, 59, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("secret");
	ck_rc(saas_totp_check(&got, NULL, "123456", 59, 1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("secret");
	ck_rc(saas_hotp_code(NULL, (const unsigned char *)SEED20, 20, 0, 6, SAAS_TOTP_SHA1),
	      SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_hotp_code(code, NULL, 20, 0, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("key");
	ck_rc(saas_hotp_code(code, (const unsigned char *)SEED20, 0, 0, 6, SAAS_TOTP_SHA1),
	      SAAS_EINVAL);
	ck_field("key");
	ck_rc(saas_totp_uri(NULL, "Acme", "a", s1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_totp_uri(&out, "Acme", NULL, s1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("account");
	ck_rc(saas_totp_uri(&out, "Acme", "", s1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("account");
	ck_rc(saas_totp_uri(&out, "", "a", s1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("issuer");
	ck_rc(saas_totp_uri(&out, "Ac\nme", "a", s1, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("issuer");
	ck_rc(saas_totp_uri(&out, "Acme", "a", NULL, 6, SAAS_TOTP_SHA1), SAAS_EINVAL);
	ck_field("secret");
	ck_assert_ptr_null(out);
	ck_rc(saas_totp_secret_new(NULL, 20), SAAS_EINVAL);
	ck_field("out");
	saas_free(s1);
}
END_TEST

START_TEST(new_secrets)
{
	char *a = NULL, *b = NULL;
	unsigned char *dec = NULL;
	size_t n = 0;

	ck_ok(saas_totp_secret_new(&a, 0));
	ck_ok(saas_totp_secret_new(&b, 0));
	ck_assert_uint_eq(strlen(a), 32); /* 20 bytes, no padding */
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
	ck_ok(saas_base32_decode(&dec, &n, a));
	ck_assert_uint_eq(n, 20);
	saas_base32_free(dec, n);
	saas_free_secret(a);
	saas_free_secret(b);
	ck_ok(saas_totp_secret_new(&a, 16));
	ck_assert_uint_eq(strlen(a), 26);
	ck_assert_ptr_null(strchr(a, '='));
	saas_free_secret(a);
	ck_ok(saas_totp_secret_new(&a, 64));
	ck_ok(saas_base32_decode(&dec, &n, a));
	ck_assert_uint_eq(n, 64);
	saas_base32_free(dec, n);
	saas_free_secret(a);
	a = (char *)"x";
	ck_rc(saas_totp_secret_new(&a, 15), SAAS_EINVAL);
	ck_field("nbytes");
	ck_assert_ptr_null(a);
	ck_rc(saas_totp_secret_new(&a, 65), SAAS_EINVAL);
	ck_field("nbytes");
}
END_TEST

START_TEST(uri_encoding)
{
	char *s1 = b32(SEED20, 20), *uri = NULL;

	ck_ok(saas_totp_uri(&uri, "Acme & Co: Billing", "jane doe@example.com", s1, 6,
	                    SAAS_TOTP_SHA1));
	ck_assert_str_eq(uri, "otpauth://totp/Acme%20%26%20Co%3A%20Billing:jane%20doe%40example.com"
	                      "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	                      "&issuer=Acme%20%26%20Co%3A%20Billing"
	                      "&algorithm=SHA1&digits=6&period=30");
	saas_free_secret(uri);
	/* No issuer; the secret in canonical form; another algorithm and digits;
	 * UTF-8 and reserved characters of the account. */
	ck_ok(saas_totp_uri(&uri, NULL, "zoë:a&b=c/d?e#f+g%h", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
	                    8, SAAS_TOTP_SHA256));
	ck_assert_str_eq(uri, "otpauth://totp/zo%C3%AB%3Aa%26b%3Dc%2Fd%3Fe%23f%2Bg%25h"
	                      "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	                      "&algorithm=SHA256&digits=8&period=30");
	saas_free_secret(uri);
	ck_ok(saas_totp_uri(&uri, "A-b.c_d~e", "x", s1, 6, SAAS_TOTP_SHA512));
	ck_assert_str_eq(uri, "otpauth://totp/A-b.c_d~e:x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	                      "&issuer=A-b.c_d~e&algorithm=SHA512&digits=6&period=30");
	saas_free_secret(uri);
	saas_free(s1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("totp");
	TCase *tc = tcase_create("totp");

	tcase_add_test(tc, hotp_rfc4226_appendix_d);
	tcase_add_test(tc, totp_rfc6238_appendix_b);
	tcase_add_test(tc, base32_rfc4648_section_10);
	tcase_add_test(tc, base32_refusals_name_the_position);
	tcase_add_test(tc, check_window);
	tcase_add_test(tc, check_refuses_a_wrong_code);
	tcase_add_test(tc, malformed_inputs_name_the_field);
	tcase_add_test(tc, new_secrets);
	tcase_add_test(tc, uri_encoding);
	suite_add_tcase(s, tc);
	return th_run(s);
}
