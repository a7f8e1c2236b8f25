/*
 * fuzz_shopify_header: the input is an X-Shopify-Hmac-Sha256 value,
 * verified against the derived Shopify vector (../shared/reference/
 * webhooks.md §9.9: its secret and body) four ways:
 *
 *   as X-Shopify-Hmac-Sha256: valid only if it holds the base64 of the
 *   body's HMAC (computed here with libcrypto; padding optional);
 *   as shopify-hmac-sha256 (the events-style name): the same verdict;
 *   as X-Shopify-Webhook-Id beside the valid signature: always valid, the
 *   result's id the value without surrounding spaces and tabs (or "");
 *   as X-Shopify-Hmac-Sha256 beside the valid one under another case of
 *   the name: a repeated header, always malformed.
 */
#include "fuzz.h"

static const char *const secrets[] = {FZ_SHOPIFY_SECRET};

static int verify(saas_webhook_result *r, const saas_webhook_header *h, size_t nh,
	const char *input)
{
	saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	int rc;

	o.now = 1614265330;
	rc = saas_webhook_verify_once(r, SAAS_WEBHOOK_SHOPIFY, secrets, 1, h, nh, FZ_SHOPIFY_BODY,
	                              strlen(FZ_SHOPIFY_BODY), &o);
	fz_check_verdict(rc, r, 1, secrets, input, strlen(input), o.now, 300, 0, 1);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	saas_webhook_result r1, r2;
	char *value, want[72];
	const char *trim;
	size_t len;
	int rc1, rc2;

	if (!(value = fz_strndup(data, size)))
		return 0;

	rc1 = verify(&r1, (saas_webhook_header[]){{"X-Shopify-Hmac-Sha256", value}}, 1, value);
	if (rc1 == SAAS_OK) {
		fz_hmac(want, 1, FZ_SHOPIFY_SECRET, strlen(FZ_SHOPIFY_SECRET), FZ_SHOPIFY_BODY,
		        strlen(FZ_SHOPIFY_BODY), NULL, 0, NULL, 0);
		FUZZ_ASSERT(fz_contains(value, strlen(value), want, 0));
	}
	rc2 = verify(&r2, (saas_webhook_header[]){{"shopify-hmac-sha256", value}}, 1, value);
	FUZZ_ASSERT(fz_same(rc1, &r1, rc2, &r2));

	verify(&r1, (saas_webhook_header[]){{"X-Shopify-Webhook-Id", value}, {"X-Shopify-Hmac-Sha256", FZ_SHOPIFY_SIG}},
	       2, value);
	FUZZ_ASSERT(r1.check == SAAS_WEBHOOK_VALID);
	for (trim = value; *trim == ' ' || *trim == '\t'; trim++)
		;
	len = strlen(trim);
	while (len && (trim[len - 1] == ' ' || trim[len - 1] == '\t'))
		len--;
	if (len > 0 && len < SAAS_WEBHOOK_ID_SIZE)
		FUZZ_ASSERT(strlen(r1.id) == len && memcmp(r1.id, trim, len) == 0);
	else
		FUZZ_ASSERT(r1.id[0] == '\0');

	verify(&r1, (saas_webhook_header[]){{"X-Shopify-Hmac-Sha256", value}, {"x-shopify-hmac-sha256", FZ_SHOPIFY_SIG}},
	       2, value);
	FUZZ_ASSERT(r1.check == SAAS_WEBHOOK_MALFORMED_HEADER);
	free(value);
	return 0;
}
