/* Passwords: Argon2id through libsodium, the length and UTF-8 policy, hash
 * string checks and the dummy verification for unknown accounts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../core/core.h"
#include "saas/password.h"

/* The one message of a mismatch, shared by verify and dummy_verify so that
 * they cannot be told apart. */
#define MISMATCH_TEXT "password does not match"

static int sodium_ready(void)
{
	if (sodium_init() < 0)
		return saas__err(SAAS_EINTERNAL, NULL, "libsodium could not be initialised");
	return SAAS_OK;
}

int saas_password_params_init(saas_password_params *p, unsigned version)
{
	saas_password_params def = SAAS_PASSWORD_PARAMS_INIT;

	if (!p)
		return saas__err(SAAS_EINVAL, "params", "params is NULL");
	if (version != SAAS_PASSWORD_PARAMS_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "saas_password_params version %u is not supported (this library knows %d)",
		                 version, SAAS_PASSWORD_PARAMS_VERSION);
	*p = def;
	return SAAS_OK;
}

/* Check `p` (NULL: the defaults) and copy it into *out. */
static int params_get(saas_password_params *out, const saas_password_params *p)
{
	saas_password_params def = SAAS_PASSWORD_PARAMS_INIT;

	if (!p) {
		*out = def;
		return SAAS_OK;
	}
	if (p->version != SAAS_PASSWORD_PARAMS_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "saas_password_params version %u is not supported (this library knows %d)",
		                 p->version, SAAS_PASSWORD_PARAMS_VERSION);
	if (p->opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    p->opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX)
		return saas__err(SAAS_EINVAL, "opslimit",
		                 "opslimit %llu is out of range (%llu to %llu)", p->opslimit,
		                 (unsigned long long)crypto_pwhash_argon2id_OPSLIMIT_MIN,
		                 (unsigned long long)crypto_pwhash_argon2id_OPSLIMIT_MAX);
	if (p->memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    p->memlimit > crypto_pwhash_argon2id_MEMLIMIT_MAX)
		return saas__err(SAAS_EINVAL, "memlimit",
		                 "memlimit %zu bytes is out of range (%zu to %zu)", p->memlimit,
		                 (size_t)crypto_pwhash_argon2id_MEMLIMIT_MIN,
		                 (size_t)crypto_pwhash_argon2id_MEMLIMIT_MAX);
	if (p->memlimit % 1024 != 0)
		return saas__err(SAAS_EINVAL, "memlimit",
		                 "memlimit %zu bytes is not a multiple of 1024 (Argon2 counts KiB)",
		                 p->memlimit);
	*out = *p;
	return SAAS_OK;
}

/* ---- policy ---------------------------------------------------------------- */

/* Validate strict UTF-8 (RFC 3629). Returns the offset of the first bad
 * sequence, or `len` when all is well; counts code points into *chars. */
static size_t utf8_scan(const unsigned char *s, size_t len, size_t *chars)
{
	size_t i = 0, n = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t need;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0; /* no overlong forms */
			else if (c == 0xed)
				hi = 0x9f; /* no surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90; /* no overlong forms */
			else if (c == 0xf4)
				hi = 0x8f; /* nothing above U+10FFFF */
		} else {
			break;
		}
		if (len - i <= need)
			break;
		if (s[i + 1] < lo || s[i + 1] > hi)
			break;
		for (size_t k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				goto bad;
		i += need + 1;
		n++;
	}
bad:
	*chars = n;
	return i;
}

/* The checks every function applies to a submitted password. */
static int password_arg(const char *password, size_t len)
{
	if (!password && len)
		return saas__err(SAAS_EINVAL, "password", "password is NULL with a non-zero length");
	if (len > SAAS_PASSWORD_MAX_BYTES)
		return saas__err(SAAS_EINVAL, "password", "password is too long: more than %d bytes",
		                 SAAS_PASSWORD_MAX_BYTES);
	return SAAS_OK;
}

int saas_password_check_policy(const char *password, size_t len)
{
	const unsigned char *s = (const unsigned char *)password;
	const void *nul;
	size_t bad, chars;
	int rc;

	if ((rc = password_arg(password, len)) != SAAS_OK)
		return rc;
	if (len && (nul = memchr(s, '\0', len)) != NULL)
		return saas__err(SAAS_EINVAL, "password",
		                 "password contains a NUL character (at byte offset %zu)",
		                 (size_t)((const unsigned char *)nul - s));
	bad = utf8_scan(s, len, &chars);
	if (bad != len)
		return saas__err(SAAS_EINVAL, "password",
		                 "password is not valid UTF-8 (at byte offset %zu)", bad);
	if (chars < SAAS_PASSWORD_MIN_CHARS)
		return saas__err(SAAS_EINVAL, "password",
		                 "password is too short: fewer than %d characters",
		                 SAAS_PASSWORD_MIN_CHARS);
	return SAAS_OK;
}

/* ---- hash strings ---------------------------------------------------------- */

/* Read a decimal u32 without a sign or leading zeros; advances *s. */
static int parse_u32(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint64_t v = 0;

	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
		p++;
	}
	*s = p;
	*out = (uint32_t)v;
	return 0;
}

static int b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Length of a run of unpadded standard base64 and its decoded size; -1 if
 * the run cannot be base64 (a length of 1 mod 4). */
static int b64_run(const char **s, size_t *decoded)
{
	const char *p = *s;
	size_t n = 0;

	while (b64_char(p[n]))
		n++;
	if (n % 4 == 1)
		return -1;
	*decoded = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	*s = p + n;
	return 0;
}

struct pwhash_info {
	int argon2id; /* 1 Argon2id, 0 Argon2i */
	uint32_t m, t, p;
};

/* Check a stored hash string's form; the messages never quote it. */
static int hash_parse(struct pwhash_info *info, const char *hash)
{
	const char *s = hash;
	size_t len, salt, out;

	if (!hash)
		return saas__err(SAAS_EINVAL, "hash", "hash is NULL");
	len = strnlen(hash, crypto_pwhash_STRBYTES);
	if (len == 0)
		return saas__err(SAAS_EINVAL, "hash", "hash is empty");
	if (len >= crypto_pwhash_STRBYTES)
		return saas__err(SAAS_EINVAL, "hash",
		                 "hash is not an Argon2 hash string: longer than %d characters",
		                 crypto_pwhash_STRBYTES - 1);
	if (strncmp(s, "$argon2id$", 10) == 0) {
		info->argon2id = 1;
		s += 10;
	} else if (strncmp(s, "$argon2i$", 9) == 0) {
		info->argon2id = 0;
		s += 9;
	} else {
		return saas__err(SAAS_EINVAL, "hash",
		                 "hash is not an Argon2 hash string: it does not start with "
		                 "'$argon2id$' (or '$argon2i$')");
	}
	if (strncmp(s, "v=19$", 5) != 0)
		return saas__err(SAAS_EINVAL, "hash",
		                 "hash has no Argon2 version or one other than v=19 (the only one "
		                 "verified)");
	s += 5;
	if (strncmp(s, "m=", 2) != 0 || (s += 2, parse_u32(&s, &info->m)) != 0 ||
	    strncmp(s, ",t=", 3) != 0 || (s += 3, parse_u32(&s, &info->t)) != 0 ||
	    strncmp(s, ",p=", 3) != 0 || (s += 3, parse_u32(&s, &info->p)) != 0 || *s != '$')
		return saas__err(SAAS_EINVAL, "hash",
		                 "hash has a malformed parameter section (expected m=<KiB>,t=<passes>,"
		                 "p=<lanes>)");
	if (info->t < 1 || info->p < 1 || info->m < 8 * info->p)
		return saas__err(SAAS_EINVAL, "hash",
		                 "hash has out-of-range parameters (m=%u, t=%u, p=%u)", info->m,
		                 info->t, info->p);
	s++;
	if (b64_run(&s, &salt) != 0 || *s != '$' || salt < 8)
		return saas__err(SAAS_EINVAL, "hash",
		                 "hash has a malformed salt (base64 of at least 8 bytes expected)");
	s++;
	if (b64_run(&s, &out) != 0 || *s != '\0' || out < 16)
		return saas__err(SAAS_EINVAL, "hash",
		                 "hash has a malformed digest (base64 of at least 16 bytes expected, "
		                 "then the end)");
	/* Last, what libsodium itself decodes: -1 only when it cannot. */
	if ((info->argon2id
	         ? crypto_pwhash_argon2id_str_needs_rehash(hash, crypto_pwhash_argon2id_OPSLIMIT_MIN,
	                                                   crypto_pwhash_argon2id_MEMLIMIT_MIN)
	         : crypto_pwhash_argon2i_str_needs_rehash(hash, crypto_pwhash_argon2i_OPSLIMIT_MIN,
	                                                  crypto_pwhash_argon2i_MEMLIMIT_MIN)) < 0)
		return saas__err(SAAS_EINVAL, "hash", "hash is not an Argon2 string libsodium accepts");
	return SAAS_OK;
}

/* ---- hash, verify, rehash ---------------------------------------------------- */

int saas_password_hash(char **out, const char *password, size_t len, const saas_password_params *p)
{
	saas_password_params prm = SAAS_PASSWORD_PARAMS_INIT;
	char buf[crypto_pwhash_STRBYTES];
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if ((rc = params_get(&prm, p)) != SAAS_OK || (rc = saas_password_check_policy(password, len)) != SAAS_OK ||
	    (rc = sodium_ready()) != SAAS_OK)
		return rc;
	if (crypto_pwhash_str_alg(buf, password, len, prm.opslimit, prm.memlimit,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(buf, sizeof buf);
		return saas__err(SAAS_ENOMEM, NULL,
		                 "Argon2id could not get %zu bytes of memory to hash the password",
		                 prm.memlimit);
	}
	*out = saas__strdup(buf);
	sodium_memzero(buf, sizeof buf);
	if (!*out)
		return saas__enomem();
	return SAAS_OK;
}

int saas_password_verify(const char *hash, const char *password, size_t len)
{
	struct pwhash_info info;
	int rc;

	if ((rc = hash_parse(&info, hash)) != SAAS_OK || (rc = password_arg(password, len)) != SAAS_OK ||
	    (rc = sodium_ready()) != SAAS_OK)
		return rc;
	/* crypto_pwhash_str_verify reads the password through a pointer even
	 * for length 0. */
	if (crypto_pwhash_str_verify(hash, password ? password : "", len) != 0)
		return saas__err_text(SAAS_ESIGNATURE, "password", MISMATCH_TEXT);
	return SAAS_OK;
}

int saas_password_dummy_verify(const char *password, size_t len, const saas_password_params *p)
{
	/* A fixed salt and digest: this string never matches anything anyone
	 * could know (its digest is not the output of any chosen password),
	 * and it is built with p's cost so libsodium does the work of a real
	 * verification: decoding, Argon2id with the same m and t, and a
	 * constant-time comparison. */
	static const char salt[] = "c2Fhcy1kdW1teS1zYWx0MQ";                       /* 16 bytes */
	static const char digest[] = "ZHVtbXktZGlnZXN0LW5ldmVyLW1hdGNoZXMtYW55dGg"; /* 32 bytes */
	saas_password_params prm = SAAS_PASSWORD_PARAMS_INIT;
	char hash[crypto_pwhash_STRBYTES];
	int rc, n;

	if ((rc = password_arg(password, len)) != SAAS_OK || (rc = params_get(&prm, p)) != SAAS_OK ||
	    (rc = sodium_ready()) != SAAS_OK)
		return rc;
	n = snprintf(hash, sizeof hash, "$argon2id$v=19$m=%zu,t=%llu,p=1$%s$%s",
	             prm.memlimit / 1024, prm.opslimit, salt, digest);
	if (n < 0 || (size_t)n >= sizeof hash)
		return saas__err(SAAS_EINTERNAL, NULL, "the dummy hash string does not fit");
	/* Its digest is no password's, so this fails; if it ever did not, the
	 * answer would still be a mismatch. */
	rc = crypto_pwhash_str_verify(hash, password ? password : "", len);
	(void)rc;
	return saas__err_text(SAAS_ESIGNATURE, "password", MISMATCH_TEXT);
}

int saas_password_needs_rehash(const char *hash, const saas_password_params *p)
{
	struct pwhash_info info;
	saas_password_params prm = SAAS_PASSWORD_PARAMS_INIT;
	int rc;

	if ((rc = params_get(&prm, p)) != SAAS_OK || (rc = hash_parse(&info, hash)) != SAAS_OK ||
	    (rc = sodium_ready()) != SAAS_OK)
		return rc;
	if (!info.argon2id)
		return 1; /* Argon2i: always move to Argon2id */
	rc = crypto_pwhash_argon2id_str_needs_rehash(hash, prm.opslimit, prm.memlimit);
	if (rc < 0)
		return saas__err(SAAS_EINVAL, "hash", "hash is not an Argon2 string libsodium accepts");
	return rc ? 1 : 0;
}
