/* The API key format: sk_<env>_<43 base62 random><6 base62 CRC-32>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../core/core.h"
#include "saas/apikey.h"

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#define KIND "sk_"
#define KIND_LEN 3
#define BODY_LEN (SAAS_APIKEY_RANDOM_CHARS + SAAS_APIKEY_CHECKSUM_CHARS)

_Static_assert(SAAS_APIKEY_MAX_LEN == KIND_LEN + SAAS_APIKEY_ENV_MAX + 1 + BODY_LEN,
               "SAAS_APIKEY_MAX_LEN adds up");
_Static_assert(SAAS_APIKEY_PREFIX_SIZE ==
                   KIND_LEN + SAAS_APIKEY_ENV_MAX + 1 + SAAS_APIKEY_PREFIX_RANDOM_CHARS + 1,
               "SAAS_APIKEY_PREFIX_SIZE adds up");

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320; zlib's crc32()),
 * four bits at a time. */
static uint32_t crc32_ieee(const char *s, size_t n)
{
	static const uint32_t t[16] = {
		0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
		0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
		0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
	};
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		crc ^= (unsigned char)s[i];
		crc = (crc >> 4) ^ t[crc & 15];
		crc = (crc >> 4) ^ t[crc & 15];
	}
	return ~crc;
}

static int b62_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

/* The checksum of the n characters at s, as 6 base62 digits (no NUL). */
static void checksum_encode(char out[SAAS_APIKEY_CHECKSUM_CHARS], const char *s, size_t n)
{
	uint32_t v = crc32_ieee(s, n);

	for (int i = SAAS_APIKEY_CHECKSUM_CHARS - 1; i >= 0; i--) {
		out[i] = b62[v % 62];
		v /= 62;
	}
}

/* 1 if `env` is 1 to SAAS_APIKEY_ENV_MAX of [a-z] (its length in *len), else 0. */
static int env_valid(const char *env, size_t *len)
{
	size_t n = 0;

	while (env[n] >= 'a' && env[n] <= 'z' && n <= SAAS_APIKEY_ENV_MAX)
		n++;
	*len = n;
	return n >= 1 && n <= SAAS_APIKEY_ENV_MAX && env[n] == '\0';
}

int saas__apikey_env_valid(const char *env)
{
	size_t len;

	return env && env_valid(env, &len);
}

static int sodium_ready(void)
{
	if (sodium_init() < 0)
		return saas__err(SAAS_EINTERNAL, NULL, "libsodium could not be initialised");
	return SAAS_OK;
}

int saas_apikey_generate(char **out_key, char out_prefix[SAAS_APIKEY_PREFIX_SIZE], const char *env)
{
	size_t envlen, head, total;
	char *key;
	int rc;

	if (out_prefix)
		out_prefix[0] = '\0';
	if (!out_key)
		return saas__err(SAAS_EINVAL, "out_key", "out_key is NULL");
	*out_key = NULL;
	if (!env)
		return saas__err(SAAS_EINVAL, "env", "env is NULL");
	if (!env_valid(env, &envlen))
		return saas__err(SAAS_EINVAL, "env",
		                 "env '%s' is not 1 to %d lower-case letters (a-z)", saas__q(env),
		                 SAAS_APIKEY_ENV_MAX);
	if ((rc = sodium_ready()) != SAAS_OK)
		return rc;
	head = KIND_LEN + envlen + 1;
	total = head + BODY_LEN;
	key = malloc(total + 1);
	if (!key)
		return saas__enomem();
	memcpy(key, KIND, KIND_LEN);
	memcpy(key + KIND_LEN, env, envlen);
	key[KIND_LEN + envlen] = '_';
	for (size_t i = 0; i < SAAS_APIKEY_RANDOM_CHARS; i++)
		key[head + i] = b62[randombytes_uniform(62)];
	checksum_encode(key + head + SAAS_APIKEY_RANDOM_CHARS, key, head + SAAS_APIKEY_RANDOM_CHARS);
	key[total] = '\0';
	if (out_prefix) {
		memcpy(out_prefix, key, head + SAAS_APIKEY_PREFIX_RANDOM_CHARS);
		out_prefix[head + SAAS_APIKEY_PREFIX_RANDOM_CHARS] = '\0';
	}
	*out_key = key;
	return SAAS_OK;
}

/* What an error message may show of a key: at most its first 8 characters,
 * never past the second '_' (the end of the environment), then "..." if
 * anything was left out. */
static const char *key_hint(char buf[16], const char *key)
{
	size_t n = 0;
	int underscores = 0;

	while (n < 8 && key[n]) {
		if (key[n] == '_' && ++underscores == 2) {
			n++;
			break;
		}
		n++;
	}
	memcpy(buf, key, n);
	if (key[n]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return saas__q(buf);
}

int saas_apikey_parse(char out_env[SAAS_APIKEY_ENV_MAX + 1], const char *key)
{
	char hint[16], sum[SAAS_APIKEY_CHECKSUM_CHARS];
	size_t n, envlen = 0, head;
	const char *body;

	if (out_env)
		out_env[0] = '\0';
	if (!key)
		return saas__err(SAAS_EINVAL, "key", "key is NULL");
	n = strnlen(key, SAAS_APIKEY_MAX_LEN + 1);
	if (n == 0)
		return saas__err(SAAS_EINVAL, "key", "key is empty");
	if (strncmp(key, KIND, KIND_LEN) != 0)
		return saas__err(SAAS_EINVAL, "key", "key '%s' does not start with '" KIND "'",
		                 key_hint(hint, key));
	while (key[KIND_LEN + envlen] >= 'a' && key[KIND_LEN + envlen] <= 'z' &&
	       envlen <= SAAS_APIKEY_ENV_MAX)
		envlen++;
	if (envlen == 0 || envlen > SAAS_APIKEY_ENV_MAX || key[KIND_LEN + envlen] != '_')
		return saas__err(SAAS_EINVAL, "key",
		                 "key '%s' has no environment of 1 to %d lower-case letters (a-z) "
		                 "followed by '_' after '" KIND "'",
		                 key_hint(hint, key), SAAS_APIKEY_ENV_MAX);
	head = KIND_LEN + envlen + 1;
	body = key + head;
	if (n > SAAS_APIKEY_MAX_LEN || n - head != BODY_LEN)
		return saas__err(SAAS_EINVAL, "key",
		                 "key '%s' is %s: %d characters must follow the environment "
		                 "(%d random, %d checksum)",
		                 key_hint(hint, key), n - head < BODY_LEN ? "too short" : "too long",
		                 BODY_LEN, SAAS_APIKEY_RANDOM_CHARS, SAAS_APIKEY_CHECKSUM_CHARS);
	for (size_t i = 0; i < BODY_LEN; i++)
		if (b62_value(body[i]) < 0)
			return saas__err(SAAS_EINVAL, "key",
			                 "key '%s' has a character outside [0-9A-Za-z] after the "
			                 "environment (at offset %zu)",
			                 key_hint(hint, key), head + i);
	checksum_encode(sum, key, head + SAAS_APIKEY_RANDOM_CHARS);
	/* Not a secret comparison (the checksum is a function of the key's
	 * public form), but there is no reason to leak where it differs. */
	if (sodium_memcmp(sum, body + SAAS_APIKEY_RANDOM_CHARS, sizeof sum) != 0)
		return saas__err(SAAS_ESIGNATURE, "key",
		                 "key '%s' has a bad checksum: mistyped, truncated or not a key",
		                 key_hint(hint, key));
	if (out_env) {
		memcpy(out_env, key + KIND_LEN, envlen);
		out_env[envlen] = '\0';
	}
	return SAAS_OK;
}

int saas_apikey_hash(char out[65], const char *key)
{
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	out[0] = '\0';
	if ((rc = saas_apikey_parse(NULL, key)) != SAAS_OK || (rc = sodium_ready()) != SAAS_OK)
		return rc;
	saas__secret_hash(out, key);
	return SAAS_OK;
}
