/*
 * The canonical encodings of an audit event and its chained hash, formats 1
 * and 2. docs/audit.md is the specification; a change here is a new format
 * number, and every format ever written stays readable.
 *
 *   hash = BLAKE2b-256( prev_hash (32 bytes)
 *                    || "libsaas/audit/<format>\n"
 *                    || field_1 || … || field_n )
 *
 * Each text field is its length as 4 bytes big-endian followed by its UTF-8
 * bytes; an absent (NULL) field is the 4 bytes FF FF FF FF alone. Each
 * integer field is 8 bytes big-endian two's complement. Format 1 has 13
 * fields: tenant_id, seq, id, occurred_at, actor_type, actor_id, action,
 * target_type, target_id, request_id, ip, user_agent, metadata (the stored
 * JSON text, as stored). Format 2 has those 13 and then on_behalf_of,
 * subject_id and personal (the ciphertext, as stored): the hash covers the
 * encrypted personal data, never its plaintext, so deleting a subject's key
 * leaves every hash verifiable.
 */
#include <string.h>

#include <sodium.h>

#include "audit.h"


static void put_text(crypto_generichash_state *st, const char *s)
{
	unsigned char len[4];
	uint32_t n = s ? (uint32_t)strlen(s) : 0xffffffffu;

	for (int i = 0; i < 4; i++)
		len[i] = (unsigned char)(n >> (24 - 8 * i));
	crypto_generichash_update(st, len, 4);
	if (s)
		crypto_generichash_update(st, (const unsigned char *)s, n);
}

static void put_int(crypto_generichash_state *st, int64_t v)
{
	unsigned char b[8];
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(u >> (56 - 8 * i));
	crypto_generichash_update(st, b, 8);
}

/* The domain tag of each format, indexed by format number. */
static const char *const domain_tag[SAAS__AUDIT_FORMAT + 1] = {
	NULL, "libsaas/audit/1\n", "libsaas/audit/2\n",
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex characters to 32 bytes (not constant-time: hashes are public). */
static int hash_from_hex(unsigned char out[32], const char *hex)
{
	if (!hex || strlen(hex) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int saas__audit_hash(char out_hex[65], const char *tenant_id, const struct saas__audit_row *e)
{
	unsigned char prev[32], h[32];
	crypto_generichash_state st;

	if (e->format < 1 || e->format > SAAS__AUDIT_FORMAT)
		return saas__err(SAAS_EINVAL, "format", "audit event format %d is not known (this "
		                 "library reads formats 1 to %d)", e->format, SAAS__AUDIT_FORMAT);
	if (hash_from_hex(prev, e->prev_hash) != 0)
		return saas__err(SAAS_EINVAL, "prev_hash", "audit event %lld has a malformed "
		                 "previous hash", (long long)e->seq);
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, prev, sizeof prev);
	crypto_generichash_update(&st, (const unsigned char *)domain_tag[e->format],
	                          strlen(domain_tag[e->format]));
	put_text(&st, tenant_id);
	put_int(&st, e->seq);
	put_text(&st, e->id);
	put_int(&st, e->occurred_at);
	put_text(&st, e->actor_type);
	put_text(&st, e->actor_id);
	put_text(&st, e->action);
	put_text(&st, e->target_type);
	put_text(&st, e->target_id);
	put_text(&st, e->request_id);
	put_text(&st, e->ip);
	put_text(&st, e->user_agent);
	put_text(&st, e->metadata);
	if (e->format >= 2) {
		put_text(&st, e->on_behalf_of);
		put_text(&st, e->subject_id);
		put_text(&st, e->personal);
	}
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out_hex, 65, h, sizeof h);
	return SAAS_OK;
}
