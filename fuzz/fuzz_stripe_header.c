/*
 * fuzz_stripe_header: the input is a Stripe-Signature value, verified
 * against the derived vector of ../shared/reference/webhooks.md §9.9 (its
 * secret and body, now = its t) four ways:
 *
 *   as given;
 *   as given, with a wrong secret before the right one (rotation) and the
 *   timestamp unchecked;
 *   after "t=T,v1=<the valid signature>,": the compare is reached whatever
 *   follows, so the verdict is valid or a malformed header, nothing else;
 *   followed by ",v1=<the valid signature>": never "no header" or "no
 *   known scheme".
 *
 * A valid verdict needs the HMAC of its own timestamp and the body in the
 * header (computed here with libcrypto): nothing unsigned is accepted.
 */
#include <stdio.h>

#include "fuzz.h"

static const char *const right[] = {FZ_STRIPE_SECRET};
static const char *const rotated[] = {"whsec_an_older_secret", FZ_STRIPE_SECRET};

static int verify(saas_webhook_result *r, const char *const *secrets, size_t n,
	const char *value, int check_ts)
{
	saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	saas_webhook_header h = {"Stripe-Signature", value};
	saas_webhook_verifier *v = NULL;
	int rc;

	o.now = FZ_STRIPE_T;
	o.ignore_timestamp = !check_ts;
	FUZZ_ASSERT(saas_webhook_verifier_new(&v, SAAS_WEBHOOK_STRIPE, secrets, n) == SAAS_OK);
	rc = saas_webhook_verify(r, v, &h, 1, FZ_STRIPE_BODY, strlen(FZ_STRIPE_BODY), &o);
	fz_check_verdict(rc, r, n, secrets, value, strlen(value), FZ_STRIPE_T, 300, 1, check_ts);
	if (rc == SAAS_OK) {
		const char *key = secrets[r->secret_index];
		char ts[32], want[72];

		snprintf(ts, sizeof ts, "%lld.", (long long)r->timestamp);
		fz_hmac(want, 0, key, strlen(key), ts, strlen(ts), FZ_STRIPE_BODY,
		        strlen(FZ_STRIPE_BODY), NULL, 0);
		FUZZ_ASSERT(fz_contains(value, strlen(value), want, 1));
	}
	saas_webhook_verifier_free(v);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "t=1614265330,v1=" FZ_STRIPE_V1 ",";
	static const char suffix[] = ",v1=" FZ_STRIPE_V1;
	saas_webhook_result r;
	char *value, *wrapped;
	size_t len;

	if (!(value = fz_strndup(data, size)))
		return 0;
	len = strlen(value);
	verify(&r, right, 1, value, 1);
	verify(&r, rotated, 2, value, 0);
	if (r.check == SAAS_WEBHOOK_VALID)
		FUZZ_ASSERT(r.secret_index == 1);

	if ((wrapped = malloc(sizeof prefix + len + sizeof suffix))) {
		memcpy(wrapped, prefix, sizeof prefix - 1);
		memcpy(wrapped + sizeof prefix - 1, value, len + 1);
		verify(&r, right, 1, wrapped, 1);
		FUZZ_ASSERT(r.check == SAAS_WEBHOOK_VALID || r.check == SAAS_WEBHOOK_MALFORMED_HEADER);

		memcpy(wrapped, value, len);
		memcpy(wrapped + len, suffix, sizeof suffix);
		verify(&r, right, 1, wrapped, 1);
		FUZZ_ASSERT(r.check != SAAS_WEBHOOK_NO_HEADER && r.check != SAAS_WEBHOOK_NO_KNOWN_SCHEME);
		free(wrapped);
	}
	free(value);
	return 0;
}
