/*
 * fuzz_github_header: the input is an X-Hub-Signature-256 value, verified
 * against GitHub's official vector (../shared/reference/webhooks.md §9.5:
 * its secret and body) four ways:
 *
 *   as X-Hub-Signature-256: valid only if it holds the body's HMAC
 *   (computed here with libcrypto);
 *   as the legacy SHA-1 X-Hub-Signature alone: never valid (no downgrade);
 *   as X-GitHub-Delivery beside the valid signature: always valid, and the
 *   result's id is the value without its surrounding spaces and tabs (or ""
 *   when empty or 256 bytes or longer);
 *   as X-Hub-Signature-256 beside the valid one under another case of the
 *   name: a repeated header, always malformed.
 */
#include "fuzz.h"

static const char *const secrets[] = {FZ_GH_SECRET};

static int verify(saas_webhook_result *r, const saas_webhook_header *h, size_t nh,
	const char *input)
{
	saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	int rc;

	o.now = 1614265330;
	rc = saas_webhook_verify_once(r, SAAS_WEBHOOK_GITHUB, secrets, 1, h, nh, FZ_GH_BODY,
	                              strlen(FZ_GH_BODY), &o);
	fz_check_verdict(rc, r, 1, secrets, input, strlen(input), o.now, 300, 0, 1);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	saas_webhook_result r;
	char *value, want[72];
	const char *trim;
	size_t len;

	if (!(value = fz_strndup(data, size)))
		return 0;

	if (verify(&r, (saas_webhook_header[]){{"X-Hub-Signature-256", value}}, 1, value) == SAAS_OK) {
		fz_hmac(want, 0, FZ_GH_SECRET, strlen(FZ_GH_SECRET), FZ_GH_BODY, strlen(FZ_GH_BODY),
		        NULL, 0, NULL, 0);
		FUZZ_ASSERT(fz_contains(value, strlen(value), want, 1));
	}

	verify(&r, (saas_webhook_header[]){{"X-Hub-Signature", value}}, 1, value);
	FUZZ_ASSERT(r.check != SAAS_WEBHOOK_VALID);

	verify(&r, (saas_webhook_header[]){{"X-GitHub-Delivery", value}, {"X-Hub-Signature-256", FZ_GH_SIG}},
	       2, value);
	FUZZ_ASSERT(r.check == SAAS_WEBHOOK_VALID);
	for (trim = value; *trim == ' ' || *trim == '\t'; trim++)
		;
	len = strlen(trim);
	while (len && (trim[len - 1] == ' ' || trim[len - 1] == '\t'))
		len--;
	if (len > 0 && len < SAAS_WEBHOOK_ID_SIZE)
		FUZZ_ASSERT(strlen(r.id) == len && memcmp(r.id, trim, len) == 0);
	else
		FUZZ_ASSERT(r.id[0] == '\0');

	verify(&r, (saas_webhook_header[]){{"x-hub-signature-256", value}, {"X-HUB-SIGNATURE-256", FZ_GH_SIG}},
	       2, value);
	FUZZ_ASSERT(r.check == SAAS_WEBHOOK_MALFORMED_HEADER);
	free(value);
	return 0;
}
