/* Prefixed, time-ordered ids: prefix "_" + 26 Crockford base32 characters of
 * 48-bit milliseconds and 80 random bits. Also the library's random secrets. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core.h"
#include "saas/id.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int crockford_value(char c)
{
	const char *p = c ? strchr(crockford, c) : NULL;
	return p ? (int)(p - crockford) : -1;
}

/* Encode 16 bytes (128 bits) as 26 characters, most significant first; the
 * first character carries the top 3 bits (so it is 0-7). */
static void encode128(char out[SAAS_ID_BODY_LEN + 1], const unsigned char b[16])
{
	unsigned __int128 v = 0;

	for (int i = 0; i < 16; i++)
		v = (v << 8) | b[i];
	for (int i = SAAS_ID_BODY_LEN - 1; i >= 0; i--) {
		out[i] = crockford[(unsigned)(v & 31)];
		v >>= 5;
	}
	out[SAAS_ID_BODY_LEN] = '\0';
}

void saas__id_format(char *out, const char *prefix, int64_t ms, const unsigned char rnd[10])
{
	unsigned char b[16];
	size_t plen = strlen(prefix);

	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)((uint64_t)ms >> (40 - 8 * i));
	memcpy(b + 6, rnd, 10);
	memcpy(out, prefix, plen);
	out[plen] = '_';
	encode128(out + plen + 1, b);
}

int saas_id_new(char **out, saas_ctx *ctx, const char *prefix)
{
	unsigned char rnd[10];
	char *id;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!saas__match(SAAS__PAT_ID_PREFIX, prefix))
		return saas__err(SAAS_EINVAL, "prefix", "id prefix '%s' is invalid: use 2 to 8 of a-z",
		                 saas__q(prefix));
	id = malloc(strlen(prefix) + 1 + SAAS_ID_BODY_LEN + 1);
	if (!id)
		return saas__enomem();
	randombytes_buf(rnd, sizeof rnd);
	saas__id_format(id, prefix, saas__now(ctx), rnd);
	*out = id;
	return SAAS_OK;
}

int saas_id_check(const char *id, const char *prefix)
{
	return saas__id_check(id, prefix, "id");
}

int saas__id_check(const char *id, const char *prefix, const char *field)
{
	const char *us, *body;
	size_t plen;

	if (!id)
		return saas__err(SAAS_EINVAL, field, "%s is required", field);
	us = strchr(id, '_');
	plen = us ? (size_t)(us - id) : 0;
	if (!us || plen < 2 || plen > 8)
		goto bad;
	for (size_t i = 0; i < plen; i++)
		if (id[i] < 'a' || id[i] > 'z')
			goto bad;
	if (prefix && (strlen(prefix) != plen || memcmp(id, prefix, plen) != 0))
		return saas__err(SAAS_EINVAL, field, "%s '%s' does not start with '%s_'", field,
		                 saas__q(id), prefix);
	body = us + 1;
	if (strlen(body) != SAAS_ID_BODY_LEN || crockford_value(body[0]) > 7)
		goto bad;
	for (size_t i = 0; i < SAAS_ID_BODY_LEN; i++)
		if (crockford_value(body[i]) < 0)
			goto bad;
	return SAAS_OK;
bad:
	return saas__err(SAAS_EINVAL, field,
	                 "%s '%s' is malformed: expected a prefix, '_' and 26 base32 characters",
	                 field, saas__q(id));
}

int saas_id_time(int64_t *out_ms, const char *id)
{
	int rc = saas_id_check(id, NULL);
	const char *body;
	uint64_t v = 0;

	if (rc)
		return rc;
	if (!out_ms)
		return saas__err(SAAS_EINVAL, "out_ms", "out_ms is NULL");
	body = strchr(id, '_') + 1;
	/* The first 10 characters hold 50 bits: 2 leading zero bits and 48 of time. */
	for (int i = 0; i < 10; i++)
		v = (v << 5) | (uint64_t)crockford_value(body[i]);
	*out_ms = (int64_t)(v & 0xffffffffffffULL);
	return SAAS_OK;
}

char *saas__secret_new(const char *prefix, size_t nbytes)
{
	unsigned char raw[64];
	size_t plen = strlen(prefix);
	size_t enc = sodium_base64_ENCODED_LEN(nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s;

	if (nbytes > sizeof raw)
		return NULL;
	s = malloc(plen + enc);
	if (!s)
		return NULL;
	randombytes_buf(raw, nbytes);
	memcpy(s, prefix, plen);
	sodium_bin2base64(s + plen, enc, raw, nbytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	return s;
}

void saas__secret_hash(char out[65], const char *secret)
{
	unsigned char h[32];

	crypto_generichash(h, sizeof h, (const unsigned char *)secret, strlen(secret), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof h);
}
