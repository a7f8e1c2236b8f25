/*
 * Redaction of secret-looking metadata keys (docs/audit.md, "Redaction").
 *
 * A key is compared in normalised form: ASCII letters lower-cased, the
 * separators '_', '-', ' ' and '.' removed ("API-Key", "api_key" and "apiKey"
 * all become "apikey"). It is secret-looking when the normalised name
 *   1. equals one of `exact` below or one of the context's audit_redact_keys
 *      (normalised the same way), or
 *   2. contains one of `contains` (password, passwd, passphrase, secret), or
 *   3. ends with one of `suffixes` (token, apikey, privatekey, ..., so
 *      "csrf_token" and "stripe_api_key" are caught but "token_count",
 *      "key_id" and "user_key" are not).
 * The value of such a key, whatever its type (an object or array included),
 * becomes the string "[redacted]". Other values are walked: objects and arrays
 * at any depth.
 */
#include <stdlib.h>
#include <string.h>

#include "saas/common.h"
#include "../core/core.h"
#include "redact.h"

static const char *const exact[] = {
	"password", "passwd", "pwd", "pass", "secret", "token", "accesstoken", "refreshtoken",
	"idtoken", "bearer", "apikey", "authorization", "auth", "proxyauthorization", "cookie",
	"setcookie", "session", "sessionid", "sessionkey", "privatekey", "cardnumber", "ccnumber",
	"creditcard", "cvv", "cvc", "cvv2", "pan", "ssn", "otp", "totp", "hotp", "recoverycode",
	"recoverycodes", "pin", NULL};

static const char *const contains[] = {"password", "passwd", "passphrase", "secret", NULL};

static const char *const suffixes[] = {
	"token", "apikey", "privatekey", "secretkey", "signingkey", "encryptionkey", "cookie",
	"sessionid", "cardnumber", "ccnumber", "cvv", "cvc", "ssn", "recoverycode",
	"recoverycodes", NULL};

static bool is_sep(char c)
{
	return c == '_' || c == '-' || c == ' ' || c == '.';
}

/* Normalise s[0..n) into a malloc'd string. */
static char *normalise(const char *s, size_t n)
{
	char *out = malloc(n + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (is_sep(c))
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		*p++ = c;
	}
	*p = '\0';
	return out;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* 1 secret, 0 not, < 0 out of memory. */
static int key_is_secret(const char *key, const char *extra)
{
	char *k = normalise(key, strlen(key));
	size_t n;
	int hit = 0;

	if (!k)
		return SAAS_ENOMEM;
	n = strlen(k);
	if (n == 0) {
		free(k);
		return 0;
	}
	for (size_t i = 0; !hit && exact[i]; i++)
		hit = strcmp(k, exact[i]) == 0;
	for (size_t i = 0; !hit && contains[i]; i++)
		hit = strstr(k, contains[i]) != NULL;
	for (size_t i = 0; !hit && suffixes[i]; i++)
		hit = ends_with(k, n, suffixes[i]);
	/* The context's own keys: exact normalised names, comma-separated. */
	for (const char *p = extra; !hit && p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *e = normalise(p, len);
		if (!e) {
			free(k);
			return SAAS_ENOMEM;
		}
		hit = *e && strcmp(k, e) == 0;
		free(e);
		p = end ? end + 1 : p + len;
	}
	free(k);
	return hit;
}

bool saas__audit_key_is_secret(const char *key, const char *extra)
{
	return key && key_is_secret(key, extra) == 1;
}

int saas__audit_redact(json_t *v, const char *extra)
{
	int total = 0, rc;

	if (json_is_object(v)) {
		const char *key;
		json_t *val;
		json_object_foreach(v, key, val) {
			rc = key_is_secret(key, extra);
			if (rc < 0)
				return saas__enomem();
			if (rc) {
				/* Replacing an existing key's value keeps the iteration valid. */
				json_t *r = json_string(SAAS__AUDIT_REDACTED);
				if (!r || json_object_set_new(v, key, r) != 0)
					return saas__enomem();
				total++;
			} else if ((rc = saas__audit_redact(val, extra)) < 0) {
				return rc;
			} else {
				total += rc;
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *val;
		json_array_foreach(v, i, val) {
			if ((rc = saas__audit_redact(val, extra)) < 0)
				return rc;
			total += rc;
		}
	}
	return total;
}
