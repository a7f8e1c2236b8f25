/*
 * Signing (saas/webhook.h, saas_webhook_sign): the headers each provider
 * sends, built with the same keys and signed content as verification reads
 * them, returned as one allocation of name/value pairs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "saas/id.h"
#include "lib/core/core.h"
#include "lib/webhook/webhook.h"

#define MAX_HEADERS 3

/* Headers being built: names are static strings, values malloc'd. */
struct out {
	const char *name[MAX_HEADERS];
	char *value[MAX_HEADERS];
	size_t n;
};

static int add(struct out *o, const char *name, char *value)
{
	if (!value)
		return saas__enomem();
	o->name[o->n] = name;
	o->value[o->n++] = value;
	return SAAS_OK;
}

static char *dup_text(const char *s)
{
	return saas__strdup(s);
}

/* Pack the headers into one block: the array, then the strings. */
static int pack(saas_webhook_header **out, size_t *out_n, const struct out *o)
{
	size_t size = o->n * sizeof(saas_webhook_header);
	saas_webhook_header *h;
	char *at;

	for (size_t i = 0; i < o->n; i++)
		size += strlen(o->name[i]) + 1 + strlen(o->value[i]) + 1;
	if (!(h = malloc(size)))
		return saas__enomem();
	at = (char *)(h + o->n);
	for (size_t i = 0; i < o->n; i++) {
		size_t nl = strlen(o->name[i]) + 1, vl = strlen(o->value[i]) + 1;

		memcpy(at, o->name[i], nl);
		h[i].name = at;
		at += nl;
		memcpy(at, o->value[i], vl);
		h[i].value = at;
		at += vl;
	}
	*out = h;
	*out_n = o->n;
	return SAAS_OK;
}

static int mac_of(unsigned char mac[SAAS__WH_MAC_LEN], const struct saas__wh_key *k,
	const struct saas__wh_piece *pieces, size_t np)
{
	if (!saas__wh_mac_compute(k->mac, pieces, np, mac))
		return saas__err(SAAS_EINTERNAL, NULL, "HMAC-SHA256 failed in libcrypto");
	return SAAS_OK;
}

/* A hex MAC after a prefix ("sha256=", "v0="). */
static char *hex_with(const char *prefix, const unsigned char mac[SAAS__WH_MAC_LEN])
{
	size_t pl = strlen(prefix);
	char *s = malloc(pl + 2 * SAAS__WH_MAC_LEN + 1);

	if (s) {
		memcpy(s, prefix, pl);
		saas__wh_hex(s + pl, mac, SAAS__WH_MAC_LEN);
	}
	return s;
}

static int check_id(const char *id, bool standard)
{
	size_t len = strnlen(id, SAAS_WEBHOOK_ID_SIZE);

	if (len == 0 || len >= SAAS_WEBHOOK_ID_SIZE)
		return saas__err(SAAS_EINVAL, "id", "id must be 1 to %d bytes", SAAS_WEBHOOK_ID_SIZE - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] >= 0x7f || (standard && id[i] == '.'))
			return saas__err(SAAS_EINVAL, "id",
			                 "id '%s' must be printable ASCII without spaces%s", saas__q(id),
			                 standard ? " or '.' (Standard Webhooks signs id.timestamp.body)" : "");
	return SAAS_OK;
}

static int sign_stripe(struct out *o, const saas_webhook_verifier *v, int64_t now,
	const void *body, size_t len)
{
	char ts[24];
	size_t tl, cap;
	char *s;
	unsigned char mac[SAAS__WH_MAC_LEN];
	int rc;

	snprintf(ts, sizeof ts, "%" PRId64 ".", now);
	tl = strlen(ts);
	cap = 2 + tl + v->n * (4 + 2 * SAAS__WH_MAC_LEN) + 1;
	if (!(s = malloc(cap)))
		return saas__enomem();
	snprintf(s, cap, "t=%" PRId64, now);
	for (size_t i = 0; i < v->n; i++) {
		if ((rc = mac_of(mac, &v->keys[i], (struct saas__wh_piece[]){{ts, tl}, {body, len}}, 2)) != SAAS_OK) {
			free(s);
			return rc;
		}
		strcat(s, ",v1=");
		saas__wh_hex(s + strlen(s), mac, SAAS__WH_MAC_LEN);
	}
	return add(o, "Stripe-Signature", s);
}

static int sign_standard(struct out *o, const saas_webhook_verifier *v, int64_t now,
	const void *body, size_t len, const char *id, bool svix)
{
	char ts[24], dotted[26], *s, *msg_id = NULL;
	const size_t b64_cap = sodium_base64_ENCODED_LEN(SAAS__WH_ED_SIG_LEN, sodium_base64_VARIANT_ORIGINAL);
	size_t cap = v->n * (4 + b64_cap + 1) + 1, idlen;
	unsigned char sig[SAAS__WH_ED_SIG_LEN];
	unsigned char *joined = NULL;
	int rc = SAAS_OK;

	if (!id) {
		if ((rc = saas_id_new(&msg_id, NULL, "msg")) != SAAS_OK)
			return rc;
		id = msg_id;
	}
	idlen = strlen(id);
	snprintf(ts, sizeof ts, "%" PRId64, now);
	snprintf(dotted, sizeof dotted, ".%s.", ts);
	if (!(s = calloc(1, cap))) {
		free(msg_id);
		return saas__enomem();
	}
	for (size_t i = 0; rc == SAAS_OK && i < v->n; i++) {
		const struct saas__wh_key *k = &v->keys[i];
		struct saas__wh_piece pieces[] = {{id, idlen}, {dotted, strlen(dotted)}, {body, len}};

		if (i)
			strcat(s, " ");
		if (k->kind == SAAS__WH_HMAC) {
			if ((rc = mac_of(sig, k, pieces, 3)) != SAAS_OK)
				break;
			strcat(s, "v1,");
			saas__wh_b64(s + strlen(s), b64_cap, sig, SAAS__WH_MAC_LEN);
		} else {
			size_t total = idlen + strlen(dotted) + len;

			if (!joined) {
				if (!(joined = malloc(total ? total : 1))) {
					rc = saas__enomem();
					break;
				}
				memcpy(joined, id, idlen);
				memcpy(joined + idlen, dotted, strlen(dotted));
				if (len)
					memcpy(joined + idlen + strlen(dotted), body, len);
			}
			crypto_sign_detached(sig, NULL, joined, total, k->sk);
			strcat(s, "v1a,");
			saas__wh_b64(s + strlen(s), b64_cap, sig, SAAS__WH_ED_SIG_LEN);
		}
	}
	free(joined);
	if (rc == SAAS_OK && (rc = add(o, svix ? "svix-id" : "webhook-id", dup_text(id))) == SAAS_OK &&
	    (rc = add(o, svix ? "svix-timestamp" : "webhook-timestamp", dup_text(ts))) == SAAS_OK) {
		rc = add(o, svix ? "svix-signature" : "webhook-signature", s);
		s = NULL;
	}
	free(s);
	free(msg_id);
	return rc;
}

int saas_webhook_sign(saas_webhook_header **out, size_t *out_n, int provider,
	const char *const *secrets, size_t nsecrets, const void *body, size_t len,
	const saas_webhook_sign_options *opts)
{
	static const saas_webhook_sign_options defaults = SAAS_WEBHOOK_SIGN_OPTIONS_INIT;
	saas_webhook_verifier *v = NULL;
	unsigned char mac[SAAS__WH_MAC_LEN];
	struct out o = {0};
	int64_t now;
	int rc;

	if (!out || !out_n)
		return saas__err(SAAS_EINVAL, out ? "out_n" : "out", "%s is NULL", out ? "out_n" : "out");
	*out = NULL;
	*out_n = 0;
	if (!opts)
		opts = &defaults;
	if (opts->version != SAAS_WEBHOOK_SIGN_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version", "options version %u is unknown: this library has %u",
		                 opts->version, SAAS_WEBHOOK_SIGN_OPTIONS_VERSION);
	if (opts->now < 0)
		return saas__err(SAAS_EINVAL, "now", "now %" PRId64 " is negative", opts->now);
	if (len && !body)
		return saas__err(SAAS_EINVAL, "body", "body is NULL with a length of %zu", len);
	if (opts->id && (rc = check_id(opts->id, provider == SAAS_WEBHOOK_STANDARD)) != SAAS_OK)
		return rc;
	if (saas__wh_provider_ok(provider) && provider != SAAS_WEBHOOK_STRIPE &&
	    provider != SAAS_WEBHOOK_STANDARD && secrets && nsecrets > 1)
		return saas__err(SAAS_EINVAL, "secrets", "%s signs with one secret; %zu given",
		                 saas_webhook_provider_name(provider), nsecrets);
	if ((rc = saas_webhook_verifier_new(&v, provider, secrets, nsecrets)) != SAAS_OK)
		return rc;
	for (size_t i = 0; i < v->n; i++)
		if (v->keys[i].kind == SAAS__WH_ED_PUBLIC) {
			saas_webhook_verifier_free(v);
			return saas__err(SAAS_EINVAL, "secrets", "secrets[%zu] is a whpk_ public key: it cannot sign", i);
		}
	now = opts->now ? opts->now : (int64_t)time(NULL);
	switch (provider) {
	case SAAS_WEBHOOK_STRIPE:
		rc = sign_stripe(&o, v, now, body, len);
		break;
	case SAAS_WEBHOOK_STANDARD:
		rc = sign_standard(&o, v, now, body, len, opts->id, opts->svix_headers);
		break;
	case SAAS_WEBHOOK_GITHUB:
		if ((rc = mac_of(mac, &v->keys[0], (struct saas__wh_piece[]){{body, len}}, 1)) == SAAS_OK &&
		    (rc = add(&o, "X-Hub-Signature-256", hex_with("sha256=", mac))) == SAAS_OK && opts->id)
			rc = add(&o, "X-GitHub-Delivery", dup_text(opts->id));
		break;
	case SAAS_WEBHOOK_SLACK: {
		char base[32];

		snprintf(base, sizeof base, "v0:%" PRId64 ":", now);
		if ((rc = mac_of(mac, &v->keys[0], (struct saas__wh_piece[]){{base, strlen(base)}, {body, len}}, 2)) != SAAS_OK)
			break;
		base[strlen(base) - 1] = '\0'; /* "v0:T" */
		if ((rc = add(&o, "X-Slack-Request-Timestamp", dup_text(base + 3))) == SAAS_OK)
			rc = add(&o, "X-Slack-Signature", hex_with("v0=", mac));
		break;
	}
	default: {
		char b64[sodium_base64_ENCODED_LEN(SAAS__WH_MAC_LEN, sodium_base64_VARIANT_ORIGINAL)];

		if ((rc = mac_of(mac, &v->keys[0], (struct saas__wh_piece[]){{body, len}}, 1)) == SAAS_OK) {
			saas__wh_b64(b64, sizeof b64, mac, sizeof mac);
			if ((rc = add(&o, "X-Shopify-Hmac-Sha256", dup_text(b64))) == SAAS_OK && opts->id)
				rc = add(&o, "X-Shopify-Webhook-Id", dup_text(opts->id));
		}
		break;
	}
	}
	sodium_memzero(mac, sizeof mac);
	saas_webhook_verifier_free(v);
	if (rc == SAAS_OK)
		rc = pack(out, out_n, &o);
	for (size_t i = 0; i < o.n; i++)
		free(o.value[i]);
	return rc;
}
