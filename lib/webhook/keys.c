/*
 * Secrets to keys (saas/webhook.h, saas_webhook_verifier_new): Stripe,
 * GitHub, Slack and Shopify key their HMAC with the secret's bytes as given
 * (for Stripe the whole `whsec_…` string); Standard Webhooks strips `whsec_`
 * and decodes base64, and takes ed25519 keys as `whpk_` (public) and `whsk_`
 * (a 32-byte seed, or seed and public key as libsodium and Svix keep it).
 * Also new secrets and key pairs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/core/core.h"
#include "lib/webhook/webhook.h"

static const char *const provider_names[] = {
	[SAAS_WEBHOOK_STRIPE] = "stripe",
	[SAAS_WEBHOOK_STANDARD] = "standard",
	[SAAS_WEBHOOK_GITHUB] = "github",
	[SAAS_WEBHOOK_SLACK] = "slack",
	[SAAS_WEBHOOK_SHOPIFY] = "shopify",
};

int saas__wh_sodium(void)
{
	if (sodium_init() < 0)
		return saas__err(SAAS_EINTERNAL, NULL, "libsodium failed to initialise");
	return SAAS_OK;
}

bool saas__wh_provider_ok(int provider)
{
	return provider >= SAAS_WEBHOOK_STRIPE && provider <= SAAS_WEBHOOK_SHOPIFY;
}

int saas_webhook_provider_parse(const char *name)
{
	if (!name)
		return saas__err(SAAS_EINVAL, "provider", "provider is NULL");
	for (int p = SAAS_WEBHOOK_STRIPE; p <= SAAS_WEBHOOK_SHOPIFY; p++)
		if (strcmp(name, provider_names[p]) == 0)
			return p;
	if (strcmp(name, "svix") == 0)
		return SAAS_WEBHOOK_STANDARD;
	return saas__err(SAAS_EINVAL, "provider",
	                 "provider '%s' is unknown: use stripe, standard (or svix), github, slack or shopify",
	                 saas__q(name));
}

const char *saas_webhook_provider_name(int provider)
{
	return saas__wh_provider_ok(provider) ? provider_names[provider] : NULL;
}

/* The field of secret i ("secrets[3]"), in a thread-local buffer. */
static const char *field_of(size_t i)
{
	static _Thread_local char buf[32];

	snprintf(buf, sizeof buf, "secrets[%zu]", i);
	return buf;
}

static int bad_secret(const char *field, const char *why)
{
	return saas__err(SAAS_EINVAL, field, "%s %s", field, why);
}

/* An ed25519 key of Standard Webhooks: base64 after its prefix. */
static int decode_ed(struct saas__wh_key *k, const char *b64, bool secret, const char *field)
{
	unsigned char raw[64];
	size_t len = 0;
	int rc = SAAS_OK;

	if (!saas__wh_unb64(raw, sizeof raw, &len, b64, strlen(b64)))
		return bad_secret(field, secret ? "is not a whsk_ key: the text after whsk_ is not base64"
		                            : "is not a whpk_ key: the text after whpk_ is not base64");
	if (!secret) {
		if (len != 32)
			rc = bad_secret(field, "is not a whpk_ key: it must hold 32 bytes (an ed25519 public key)");
		else
			memcpy(k->pk, raw, 32);
		k->kind = SAAS__WH_ED_PUBLIC;
	} else if (len != 32 && len != 64) {
		rc = bad_secret(field, "is not a whsk_ key: it must hold a 32-byte seed or 64 bytes of seed and public key");
	} else if (crypto_sign_seed_keypair(k->pk, k->sk, raw) != 0) {
		rc = saas__err(SAAS_EINTERNAL, field, "ed25519 key derivation failed");
	} else if (len == 64 && sodium_memcmp(k->pk, raw + 32, 32) != 0) {
		rc = bad_secret(field, "is not a whsk_ key: its public half is not the seed's public key");
	} else {
		k->kind = SAAS__WH_ED_SECRET;
	}
	sodium_memzero(raw, sizeof raw);
	return rc;
}

int saas__wh_key_decode(struct saas__wh_key *k, int provider, const char *secret, size_t i)
{
	unsigned char raw[SAAS__WH_MAX_SECRET_LEN];
	const unsigned char *key = (const unsigned char *)secret;
	size_t len;
	int rc = SAAS_OK;

	memset(k, 0, sizeof *k);
	if (!secret)
		return bad_secret(field_of(i), "is NULL");
	len = strnlen(secret, SAAS__WH_MAX_SECRET_LEN + 1);
	if (len == 0)
		return bad_secret(field_of(i), "is empty");
	if (len > SAAS__WH_MAX_SECRET_LEN)
		return bad_secret(field_of(i), "is longer than 1024 bytes");
	if (provider == SAAS_WEBHOOK_STANDARD) {
		const char *b64 = secret;

		if (strncmp(secret, "whpk_", 5) == 0)
			return decode_ed(k, secret + 5, false, field_of(i));
		if (strncmp(secret, "whsk_", 5) == 0)
			return decode_ed(k, secret + 5, true, field_of(i));
		if (strncmp(secret, "whsec_", 6) == 0)
			b64 += 6;
		if (!*b64)
			return bad_secret(field_of(i), "is empty after its whsec_ prefix");
		if (!saas__wh_unb64(raw, sizeof raw, &len, b64, strlen(b64))) {
			sodium_memzero(raw, sizeof raw);
			return bad_secret(field_of(i), "is not base64 after its whsec_ prefix (Standard Webhooks "
			                     "secrets are whsec_ and base64, whpk_ or whsk_)");
		}
		key = raw;
	}
	k->kind = SAAS__WH_HMAC;
	if (!(k->mac = saas__wh_mac_new(key, len)))
		rc = saas__err(SAAS_EINTERNAL, field_of(i), "libcrypto could not make an HMAC-SHA256 key");
	sodium_memzero(raw, sizeof raw);
	return rc;
}

void saas__wh_key_clear(struct saas__wh_key *k)
{
	saas__wh_mac_free(k->mac);
	sodium_memzero(k, sizeof *k);
}

int saas_webhook_verifier_new(saas_webhook_verifier **out, int provider,
	const char *const *secrets, size_t nsecrets)
{
	saas_webhook_verifier *v;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!saas__wh_provider_ok(provider))
		return saas__err(SAAS_EINVAL, "provider", "provider %d is unknown", provider);
	if (!secrets || nsecrets == 0)
		return saas__err(SAAS_EINVAL, "secrets", "no secrets given");
	if ((rc = saas__wh_sodium()))
		return rc;
	if (nsecrets > SAAS__WH_MAX_SECRETS)
		return saas__err(SAAS_EINVAL, "secrets", "%zu secrets given: at most %d",
		                 nsecrets, SAAS__WH_MAX_SECRETS);
	v = calloc(1, sizeof *v + nsecrets * sizeof v->keys[0]);
	if (!v)
		return saas__enomem();
	v->provider = provider;
	for (size_t i = 0; i < nsecrets; i++) {
		if ((rc = saas__wh_key_decode(&v->keys[i], provider, secrets[i], i)) != SAAS_OK) {
			v->n = i + 1;
			saas_webhook_verifier_free(v);
			return rc;
		}
		v->n = i + 1;
		if (v->keys[i].kind == SAAS__WH_HMAC)
			v->has_hmac = true;
		else
			v->has_ed = true;
	}
	*out = v;
	return SAAS_OK;
}

void saas_webhook_verifier_free(saas_webhook_verifier *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		saas__wh_key_clear(&v->keys[i]);
	free(v);
}

int saas_webhook_verifier_provider(const saas_webhook_verifier *v)
{
	return v ? v->provider : SAAS_EINVAL;
}

/* prefix + base64 of len bytes, malloc'd (NULL on OOM). */
static char *prefixed_b64(const char *prefix, const unsigned char *in, size_t len)
{
	size_t plen = strlen(prefix), cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(plen + cap);

	if (!s)
		return NULL;
	memcpy(s, prefix, plen);
	saas__wh_b64(s + plen, cap, in, len);
	return s;
}

int saas_webhook_secret_new(char **out)
{
	unsigned char raw[32];
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	if ((rc = saas__wh_sodium()))
		return rc;
	randombytes_buf(raw, sizeof raw);
	*out = prefixed_b64("whsec_", raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	return *out ? SAAS_OK : saas__enomem();
}

int saas_webhook_keypair_new(char **out_secret, char **out_public)
{
	unsigned char pk[32], sk[64];

	if (!out_secret || !out_public)
		return saas__err(SAAS_EINVAL, out_secret ? "out_public" : "out_secret",
		                 "%s is NULL", out_secret ? "out_public" : "out_secret");
	*out_secret = *out_public = NULL;
	if (saas__wh_sodium())
		return SAAS_EINTERNAL;
	crypto_sign_keypair(pk, sk);
	*out_secret = prefixed_b64("whsk_", sk, sizeof sk);
	*out_public = prefixed_b64("whpk_", pk, sizeof pk);
	sodium_memzero(sk, sizeof sk);
	if (!*out_secret || !*out_public) {
		saas_free_secret(*out_secret);
		free(*out_public);
		*out_secret = *out_public = NULL;
		return saas__enomem();
	}
	return SAAS_OK;
}

int saas_webhook_public_key(char **out, const char *secret)
{
	struct saas__wh_key k;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!secret || strncmp(secret, "whsk_", 5) != 0 ||
	    strnlen(secret, SAAS__WH_MAX_SECRET_LEN + 1) > SAAS__WH_MAX_SECRET_LEN)
		return saas__err(SAAS_EINVAL, "secret", "secret is not a whsk_ key");
	memset(&k, 0, sizeof k);
	if ((rc = decode_ed(&k, secret + 5, true, "secret")) != SAAS_OK) {
		sodium_memzero(&k, sizeof k);
		return rc;
	}
	*out = prefixed_b64("whpk_", k.pk, sizeof k.pk);
	saas__wh_key_clear(&k);
	return *out ? SAAS_OK : saas__enomem();
}
