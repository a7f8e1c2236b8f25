/*
 * fuzz_verify: whole deliveries for every provider through
 * saas_webhook_verify() and saas_webhook_verify_once(). The input:
 *
 *   byte 0   bits 0-2: the provider ((b & 7) % 5 + 1: Stripe, Standard
 *            Webhooks, GitHub, Slack, Shopify); bit 3: ignore_timestamp;
 *            bit 4: tolerance 60 (else -1, the provider's 300); bit 5: a
 *            wrong secret first (rotation); bits 6-7: now = the vector's
 *            time, +300, -301 or +1 year
 *   byte 1   the number of headers (& 15)
 *   headers  each: name length (1 byte), name, value length (2 bytes, big
 *            endian), value; any name, so case and repeats are the input's
 *   rest     the body
 *
 * Each provider verifies with the secrets of its vector in
 * ../shared/reference/webhooks.md §9 (Standard Webhooks: the whsec_ secret
 * and the whpk_ key), so a seed made of a vector's headers and body is
 * valid. Invariants: those of every verdict (fuzz.h); the same inputs give
 * the same verdict again, through verify_once, with every header name
 * upper-cased and with the headers in reverse order; a valid delivery is
 * not valid under the wrong secret alone, never matches the wrong secret
 * in a rotation, and stays valid with the timestamp unchecked.
 */
#include "fuzz.h"

#define MAX_HEADERS 15

struct provider {
	int id;
	int64_t now;
	const char *secrets[3]; /* the wrong one first: rotation uses all, else from [1] */
	size_t n;               /* right secrets */
	int timed;
};

static const struct provider providers[5] = {
	{SAAS_WEBHOOK_STRIPE, FZ_STRIPE_T, {"whsec_not_this_one", FZ_STRIPE_SECRET}, 1, 1},
	{SAAS_WEBHOOK_STANDARD, FZ_STD_T, {"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", FZ_STD_SECRET, FZ_STD_PK}, 2, 1},
	{SAAS_WEBHOOK_GITHUB, 1614265330, {"not the secret", FZ_GH_SECRET}, 1, 0},
	{SAAS_WEBHOOK_SLACK, FZ_SLACK_T, {"0000000000000000000000000000000", FZ_SLACK_SECRET}, 1, 1},
	{SAAS_WEBHOOK_SHOPIFY, 1614265330, {"shh", FZ_SHOPIFY_SECRET}, 1, 0},
};

static int verify_with(saas_webhook_result *r, int provider, const char *const *secrets, size_t n,
	const saas_webhook_header *h, size_t nh, const uint8_t *body, size_t len,
	const saas_webhook_verify_options *o)
{
	saas_webhook_verifier *v = NULL;
	int rc;

	FUZZ_ASSERT(saas_webhook_verifier_new(&v, provider, secrets, n) == SAAS_OK);
	rc = saas_webhook_verify(r, v, h, nh, body, len, o);
	saas_webhook_verifier_free(v);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t offsets[4] = {0, 300, -301, 31536000};
	saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	saas_webhook_header h[MAX_HEADERS], alt[MAX_HEADERS];
	char *names[MAX_HEADERS], *values[MAX_HEADERS], *upper[MAX_HEADERS];
	saas_webhook_verifier *v = NULL;
	saas_webhook_result r, r2;
	const struct provider *p;
	const char *const *secrets;
	size_t nsecrets, nh = 0, want, at = 2;
	int rc, rc2, rotation;

	if (size < 2)
		return 0;
	p = &providers[(data[0] & 7) % 5];
	o.ignore_timestamp = (data[0] >> 3) & 1;
	o.tolerance = (data[0] >> 4) & 1 ? 60 : -1;
	rotation = (data[0] >> 5) & 1;
	o.now = p->now + offsets[data[0] >> 6];
	secrets = rotation ? p->secrets : p->secrets + 1;
	nsecrets = p->n + (size_t)rotation;
	want = data[1] & 15;

	while (nh < want && at < size) {
		size_t nl = data[at++], vl;

		if (size - at < nl + 2)
			break;
		vl = (size_t)data[at + nl] << 8 | data[at + nl + 1];
		if (size - at - nl - 2 < vl)
			break;
		names[nh] = fz_strndup(data + at, nl);
		values[nh] = fz_strndup(data + at + nl + 2, vl);
		upper[nh] = fz_strndup(data + at, nl);
		if (!names[nh] || !values[nh] || !upper[nh]) {
			free(names[nh]);
			free(values[nh]);
			free(upper[nh]);
			break;
		}
		for (char *c = upper[nh]; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		h[nh].name = names[nh];
		h[nh].value = values[nh];
		at += nl + 2 + vl;
		nh++;
	}

	FUZZ_ASSERT(saas_webhook_verifier_new(&v, p->id, secrets, nsecrets) == SAAS_OK);
	rc = saas_webhook_verify(&r, v, h, nh, data + at, size - at, &o);
	fz_check_verdict(rc, &r, nsecrets, secrets, data, size, o.now,
	                 o.tolerance < 0 ? 300 : o.tolerance, p->timed, !o.ignore_timestamp);

	/* Again: the same verdict. */
	rc2 = saas_webhook_verify(&r2, v, h, nh, data + at, size - at, &o);
	FUZZ_ASSERT(fz_same(rc, &r, rc2, &r2));
	rc2 = saas_webhook_verify_once(&r2, p->id, secrets, nsecrets, h, nh, data + at, size - at, &o);
	FUZZ_ASSERT(fz_same(rc, &r, rc2, &r2));

	/* Header names in upper case: the same verdict. */
	for (size_t i = 0; i < nh; i++) {
		alt[i].name = upper[i];
		alt[i].value = values[i];
	}
	rc2 = saas_webhook_verify(&r2, v, alt, nh, data + at, size - at, &o);
	FUZZ_ASSERT(fz_same(rc, &r, rc2, &r2));

	/* The headers in reverse order: the same verdict. */
	for (size_t i = 0; i < nh; i++)
		alt[i] = h[nh - 1 - i];
	rc2 = saas_webhook_verify(&r2, v, alt, nh, data + at, size - at, &o);
	FUZZ_ASSERT(fz_same(rc, &r, rc2, &r2));
	saas_webhook_verifier_free(v);

	if (rc == SAAS_OK) {
		saas_webhook_verify_options loose = o;

		if (rotation)
			FUZZ_ASSERT(r.secret_index != 0);
		rc2 = verify_with(&r2, p->id, p->secrets, 1, h, nh, data + at, size - at, &o);
		FUZZ_ASSERT(rc2 == SAAS_ESIGNATURE && r2.check != SAAS_WEBHOOK_VALID);
		loose.ignore_timestamp = 1;
		rc2 = verify_with(&r2, p->id, secrets, nsecrets, h, nh, data + at, size - at, &loose);
		FUZZ_ASSERT(fz_same(rc, &r, rc2, &r2));
	}

	for (size_t i = 0; i < nh; i++) {
		free(names[i]);
		free(values[i]);
		free(upper[i]);
	}
	return 0;
}
