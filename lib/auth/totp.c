/*
 * HOTP (RFC 4226) and TOTP (RFC 6238) codes, their constant-time check and
 * the otpauth:// URI (saas/totp.h, docs/auth.md "TOTP"). The HMAC is
 * OpenSSL's (libsodium has no HMAC-SHA-1); randomness and wiping are
 * libsodium's. Nothing here touches storage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "saas/totp.h"
#include "../core/core.h"
#include "totp_internal.h"

#define KEY_MAX 1024           /* bytes of a raw HOTP key */
#define SECRET_MIN 10          /* bytes of a TOTP secret (80 bits, the least apps issue) */
#define SECRET_MAX 128
#define NEW_SECRET_MIN 16      /* bytes of a secret we make (128 bits, RFC 4226 §4 R6) */
#define NEW_SECRET_MAX 64
#define LABEL_MAX 256          /* bytes of an issuer or account */

static const EVP_MD *md_of(int algorithm)
{
	switch (algorithm) {
	case SAAS_TOTP_SHA1:
		return EVP_sha1();
	case SAAS_TOTP_SHA256:
		return EVP_sha256();
	case SAAS_TOTP_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static const char *alg_name(int algorithm)
{
	switch (algorithm) {
	case SAAS_TOTP_SHA1:
		return "SHA1";
	case SAAS_TOTP_SHA256:
		return "SHA256";
	default:
		return "SHA512";
	}
}

static int check_params(int digits, int algorithm)
{
	if (algorithm < SAAS_TOTP_SHA1 || algorithm > SAAS_TOTP_SHA512)
		return saas__err(SAAS_EINVAL, "algorithm",
		                 "algorithm %d is unknown: use SAAS_TOTP_SHA1 (1), SAAS_TOTP_SHA256 (2) "
		                 "or SAAS_TOTP_SHA512 (3)",
		                 algorithm);
	if (digits < 6 || digits > 8)
		return saas__err(SAAS_EINVAL, "digits", "digits %d is out of range: use 6, 7 or 8",
		                 digits);
	return SAAS_OK;
}

/* HOTP of a checked key and parameters into out[9]. */
static int hotp(char out[9], const unsigned char *key, size_t keylen, uint64_t counter,
                int digits, int algorithm)
{
	static const uint32_t mod[] = {1000000u, 10000000u, 100000000u};
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	unsigned off;
	uint32_t bin;

	out[0] = '\0';
	for (int i = 0; i < 8; i++)
		msg[i] = (unsigned char)(counter >> (56 - 8 * i));
	if (!HMAC(md_of(algorithm), key, (int)keylen, msg, sizeof msg, mac, &maclen) ||
	    maclen < 20) {
		sodium_memzero(mac, sizeof mac);
		return saas__err(SAAS_EINTERNAL, NULL, "HMAC-%s failed in libcrypto",
		                 alg_name(algorithm));
	}
	/* Dynamic truncation (RFC 4226 §5.3): 31 bits at the offset the last
	 * byte's low nibble gives (at most 15 + 4 <= 20 bytes in). */
	off = mac[maclen - 1] & 0x0fu;
	bin = ((uint32_t)(mac[off] & 0x7fu) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	bin %= mod[digits - 6];
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = (char)('0' + bin % 10u);
		bin /= 10u;
	}
	out[digits] = '\0';
	sodium_memzero(mac, sizeof mac);
	sodium_memzero(&bin, sizeof bin);
	return SAAS_OK;
}

int saas_hotp_code(char out[9], const unsigned char *key, size_t keylen, uint64_t counter,
                   int digits, int algorithm)
{
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is required");
	out[0] = '\0';
	if ((rc = check_params(digits, algorithm)))
		return rc;
	if (!key)
		return saas__err(SAAS_EINVAL, "key", "key is required");
	if (keylen < 1 || keylen > KEY_MAX)
		return saas__err(SAAS_EINVAL, "key", "key is %zu bytes long; use 1 to %d", keylen,
		                 KEY_MAX);
	return hotp(out, key, keylen, counter, digits, algorithm);
}

/* Decode and check a TOTP secret; free *key with saas_base32_free(*key, *keylen). */
static int secret_key(unsigned char **key, size_t *keylen, const char *secret_base32)
{
	int rc = saas__base32_decode(key, keylen, secret_base32, "secret", true);

	if (rc)
		return rc;
	if (*keylen < SECRET_MIN || *keylen > SECRET_MAX) {
		size_t n = *keylen;

		saas_base32_free(*key, *keylen);
		*key = NULL;
		*keylen = 0;
		return saas__err(SAAS_EINVAL, "secret",
		                 "secret decodes to %zu bytes; a TOTP secret has %d to %d "
		                 "(16 to 205 base32 characters)",
		                 n, SECRET_MIN, SECRET_MAX);
	}
	return SAAS_OK;
}

static int check_time(int64_t unix_seconds)
{
	if (unix_seconds < 0)
		return saas__err(SAAS_EINVAL, "unix_seconds",
		                 "unix_seconds %lld is before the Unix epoch", (long long)unix_seconds);
	return SAAS_OK;
}

int saas_totp_code(char out[9], const char *secret_base32, int64_t unix_seconds, int digits,
                   int algorithm)
{
	unsigned char *key = NULL;
	size_t keylen = 0;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is required");
	out[0] = '\0';
	if ((rc = check_params(digits, algorithm)) || (rc = check_time(unix_seconds)) ||
	    (rc = secret_key(&key, &keylen, secret_base32)))
		return rc;
	rc = hotp(out, key, keylen, (uint64_t)(unix_seconds / SAAS_TOTP_PERIOD), digits,
	          algorithm);
	saas_base32_free(key, keylen);
	return rc;
}

/* The code typed by the user, without spaces, into buf[9]; never quoted. */
static int typed_code(char buf[9], const char *code, int digits)
{
	int n = 0;

	if (!code)
		return saas__err(SAAS_EINVAL, "code", "code is required");
	for (size_t i = 0; code[i]; i++) {
		unsigned char c = (unsigned char)code[i];

		if (c == ' ')
			continue;
		if (c < '0' || c > '9') {
			sodium_memzero(buf, 9);
			return saas__err(SAAS_EINVAL, "code", "code: character %zu is not a digit",
			                 i + 1);
		}
		if (n < digits)
			buf[n] = (char)c;
		n++;
	}
	if (n != digits) {
		sodium_memzero(buf, 9);
		return saas__err(SAAS_EINVAL, "code", "code has %d digits; codes of this secret have %d",
		                 n, digits);
	}
	buf[n] = '\0';
	return SAAS_OK;
}

int saas_totp_check(int64_t *out_step, const char *secret_base32, const char *code,
                    int64_t unix_seconds, int window, int digits, int algorithm)
{
	char typed[SAAS_TOTP_CODE_SIZE] = {0}, cand[SAAS_TOTP_CODE_SIZE];
	unsigned char *key = NULL;
	size_t keylen = 0;
	int64_t step, matched = -1;
	int rc;

	if (out_step)
		*out_step = -1;
	if ((rc = check_params(digits, algorithm)) || (rc = check_time(unix_seconds)))
		return rc;
	if (window < 0 || window > SAAS_TOTP_WINDOW_MAX)
		return saas__err(SAAS_EINVAL, "window", "window %d is out of range: use 0 to %d",
		                 window, SAAS_TOTP_WINDOW_MAX);
	if ((rc = typed_code(typed, code, digits)) ||
	    (rc = secret_key(&key, &keylen, secret_base32)))
		goto done;
	step = unix_seconds / SAAS_TOTP_PERIOD;
	/* Every step of the window, oldest first, without stopping at a match:
	 * the newest matching step wins. */
	for (int64_t s = step - window; s <= step + window; s++) {
		if (s < 0)
			continue;
		if ((rc = hotp(cand, key, keylen, (uint64_t)s, digits, algorithm)))
			goto done;
		if (sodium_memcmp(cand, typed, (size_t)digits) == 0)
			matched = s;
	}
	if (matched < 0) {
		rc = saas__err(SAAS_ESIGNATURE, "code",
		               "code does not match the secret within %d step(s) of step %lld",
		               window, (long long)step);
		goto done;
	}
	if (out_step)
		*out_step = matched;
	rc = SAAS_OK;
done:
	sodium_memzero(cand, sizeof cand);
	sodium_memzero(typed, sizeof typed);
	saas_base32_free(key, keylen);
	return rc;
}

int saas_totp_secret_new(char **out_base32, size_t nbytes)
{
	unsigned char buf[NEW_SECRET_MAX];

	if (!out_base32)
		return saas__err(SAAS_EINVAL, "out", "out is required");
	*out_base32 = NULL;
	if (nbytes == 0)
		nbytes = SAAS_TOTP_SECRET_BYTES;
	if (nbytes < NEW_SECRET_MIN || nbytes > NEW_SECRET_MAX)
		return saas__err(SAAS_EINVAL, "nbytes", "nbytes %zu is out of range: use %d to %d", nbytes,
		                 NEW_SECRET_MIN, NEW_SECRET_MAX);
	if (sodium_init() < 0)
		return saas__err(SAAS_EINTERNAL, NULL, "libsodium failed to initialise");
	randombytes_buf(buf, nbytes);
	*out_base32 = saas__base32_encode(buf, nbytes, false);
	sodium_memzero(buf, sizeof buf);
	return *out_base32 ? SAAS_OK : saas__enomem();
}

/* ---- the otpauth:// URI --------------------------------------------------------- */

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Append `s` percent-encoded at buf + *len (room already counted). */
static void put_encoded(char *buf, size_t *len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p)) {
			buf[(*len)++] = (char)*p;
		} else {
			buf[(*len)++] = '%';
			buf[(*len)++] = hex[*p >> 4];
			buf[(*len)++] = hex[*p & 15];
		}
	}
}

static void put_text(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf + *len, s, n);
	*len += n;
}

int saas_totp_uri(char **out, const char *issuer, const char *account, const char *secret_base32,
                  int digits, int algorithm)
{
	unsigned char *key = NULL;
	size_t keylen = 0, cap, len = 0;
	char *secret = NULL, *buf, tail[64];
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is required");
	*out = NULL;
	if ((rc = check_params(digits, algorithm)))
		return rc;
	if (issuer && (rc = saas__check_text("issuer", issuer, LABEL_MAX, false)))
		return rc;
	if ((rc = saas__check_text("account", account, LABEL_MAX, false)))
		return rc;
	if ((rc = secret_key(&key, &keylen, secret_base32)))
		return rc;
	secret = saas__base32_encode(key, keylen, false);
	saas_base32_free(key, keylen);
	if (!secret)
		return saas__enomem();
	snprintf(tail, sizeof tail, "&algorithm=%s&digits=%d&period=%d", alg_name(algorithm), digits,
	         SAAS_TOTP_PERIOD);
	/* Each label byte takes at most 3 characters; the issuer appears twice. */
	cap = sizeof "otpauth://totp/" + (issuer ? 6 * strlen(issuer) + 3 + sizeof "&issuer=" : 0) +
	      3 * strlen(account) + sizeof "?secret=" + strlen(secret) + strlen(tail) + 1;
	buf = malloc(cap);
	if (!buf) {
		saas_free_secret(secret);
		return saas__enomem();
	}
	put_text(buf, &len, "otpauth://totp/");
	if (issuer) {
		put_encoded(buf, &len, issuer);
		buf[len++] = ':';
	}
	put_encoded(buf, &len, account);
	put_text(buf, &len, "?secret=");
	put_text(buf, &len, secret);
	if (issuer) {
		put_text(buf, &len, "&issuer=");
		put_encoded(buf, &len, issuer);
	}
	put_text(buf, &len, tail);
	buf[len] = '\0';
	saas_free_secret(secret);
	*out = buf;
	return SAAS_OK;
}
