/*
 * Codecs of lib/webhook: hex, base64 and decimal read strictly (a signature
 * header is untrusted input), and HMAC-SHA256 through libcrypto, whose key
 * is scheduled once per secret and copied for each message (the copy costs
 * less than hashing the key's two padded blocks again).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "lib/webhook/webhook.h"

void saas__wh_hex(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool saas__wh_unhex(unsigned char *out, size_t outlen, const char *in, size_t len)
{
	if (len != 2 * outlen)
		return false;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval((unsigned char)in[2 * i]), lo = hexval((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

void saas__wh_b64(char *out, size_t outcap, const unsigned char *in, size_t len)
{
	sodium_bin2base64(out, outcap, in, len, sodium_base64_VARIANT_ORIGINAL);
}

bool saas__wh_unb64(unsigned char *out, size_t outcap, size_t *outlen, const char *in,
	size_t len)
{
	size_t pad = 0, bin_len = 0;
	const char *end = NULL;

	/* Padding is optional, but when present it must be what the length
	 * implies: strip it, then let libsodium decode the unpadded text (which
	 * refuses a length that no byte count gives, and stray bits). */
	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if (len == 0 || (pad && (len + pad) % 4 != 0))
		return false;
	/* libsodium 1.0.18 reads bytes >= 0x80 as '/': refuse anything but
	 * the alphabet first (found by fuzz/fuzz_shopify_header) */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	if (sodium_base642bin(out, outcap, in, len, NULL, &bin_len, &end,
	                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    end != in + len)
		return false;
	*outlen = bin_len;
	return true;
}

bool saas__wh_decimal(int64_t *out, const char *s, size_t len)
{
	int64_t v = 0;

	if (len == 0 || len > SAAS__WH_TS_DIGITS)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

struct saas__wh_mac {
	EVP_MAC_CTX *ctx; /* keyed; copied for each message */
};

/* The HMAC algorithm, fetched once per process and kept. */
static EVP_MAC *hmac_fetched;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
	hmac_fetched = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

struct saas__wh_mac *saas__wh_mac_new(const unsigned char *key, size_t len)
{
	struct saas__wh_mac *m;
	char digest[] = "SHA256";
	OSSL_PARAM params[2];

	pthread_once(&hmac_once, hmac_fetch);
	if (!hmac_fetched || !(m = calloc(1, sizeof *m)))
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* An empty key is valid HMAC; libcrypto wants a non-NULL pointer. */
	if (!(m->ctx = EVP_MAC_CTX_new(hmac_fetched)) ||
	    !EVP_MAC_init(m->ctx, len ? key : (const unsigned char *)"", len, params)) {
		saas__wh_mac_free(m);
		return NULL;
	}
	return m;
}

void saas__wh_mac_free(struct saas__wh_mac *m)
{
	if (!m)
		return;
	EVP_MAC_CTX_free(m->ctx); /* libcrypto cleanses the key schedule */
	free(m);
}

bool saas__wh_mac_compute(const struct saas__wh_mac *m, const struct saas__wh_piece *pieces,
	size_t npieces, unsigned char out[SAAS__WH_MAC_LEN])
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(m->ctx);
	size_t outl = 0;
	bool ok = c != NULL;

	for (size_t i = 0; ok && i < npieces; i++)
		if (pieces[i].len)
			ok = EVP_MAC_update(c, pieces[i].p, pieces[i].len) == 1;
	ok = ok && EVP_MAC_final(c, out, &outl, SAAS__WH_MAC_LEN) == 1 &&
	     outl == SAAS__WH_MAC_LEN;
	EVP_MAC_CTX_free(c);
	return ok;
}
