/*
 * fuzz_slack_headers: the input, split at its first '\n', is the values of
 * X-Slack-Request-Timestamp and X-Slack-Signature (no '\n': the signature
 * is absent), verified against Slack's official vector
 * (../shared/reference/webhooks.md §9.6: its secret and body, now = its
 * timestamp) three ways:
 *
 *   timestamp checked: valid only if the signature holds the HMAC of
 *   v0:T:body (computed here with libcrypto), and then the result's id is
 *   the signature value;
 *   timestamp unchecked, tolerance 0: a valid verdict stays valid;
 *   the fuzzed timestamp with the vector's valid signature: never "no
 *   header" or "no known scheme", and never a mismatch at the vector's own
 *   timestamp.
 */
#include <stdio.h>

#include "fuzz.h"

static const char *const secrets[] = {FZ_SLACK_SECRET};

static int verify(saas_webhook_result *r, const char *ts, const char *sig, const char *input,
	size_t input_len, int check_ts)
{
	saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	saas_webhook_header h[2] = {{"X-Slack-Request-Timestamp", ts}, {"X-Slack-Signature", sig}};
	int64_t tolerance = check_ts ? 300 : 0;
	int rc;

	o.now = FZ_SLACK_T;
	o.tolerance = check_ts ? -1 : 0;
	o.ignore_timestamp = !check_ts;
	rc = saas_webhook_verify_once(r, SAAS_WEBHOOK_SLACK, secrets, 1, h, sig ? 2 : 1, FZ_SLACK_BODY,
	                              strlen(FZ_SLACK_BODY), &o);
	fz_check_verdict(rc, r, 1, secrets, input, input_len, FZ_SLACK_T, tolerance, 1, check_ts);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	saas_webhook_result r1, r2;
	char *copy, *sig = NULL, *nl;
	int rc1, rc2;

	if (!(copy = fz_strndup(data, size)))
		return 0;
	if ((nl = memchr(copy, '\n', size))) {
		*nl = '\0';
		sig = nl + 1;
	}
	rc1 = verify(&r1, copy, sig, copy, size, 1);
	rc2 = verify(&r2, copy, sig, copy, size, 0);
	if (rc1 == SAAS_OK) {
		char base[40], want[72];
		const char *s = sig;
		size_t len;

		FUZZ_ASSERT(fz_same(rc1, &r1, rc2, &r2));
		snprintf(base, sizeof base, "v0:%lld:", (long long)r1.timestamp);
		fz_hmac(want, 0, FZ_SLACK_SECRET, strlen(FZ_SLACK_SECRET), base, strlen(base),
		        FZ_SLACK_BODY, strlen(FZ_SLACK_BODY), NULL, 0);
		FUZZ_ASSERT(sig && fz_contains(sig, strlen(sig), want, 1));
		while (*s == ' ' || *s == '\t')
			s++;
		len = strlen(s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len < SAAS_WEBHOOK_ID_SIZE)
			FUZZ_ASSERT(strlen(r1.id) == len && memcmp(r1.id, s, len) == 0);
	}

	verify(&r1, copy, FZ_SLACK_SIG, copy, size, 1);
	FUZZ_ASSERT(r1.check != SAAS_WEBHOOK_NO_HEADER && r1.check != SAAS_WEBHOOK_NO_KNOWN_SCHEME);
	if (r1.check == SAAS_WEBHOOK_MISMATCH)
		FUZZ_ASSERT(r1.timestamp != FZ_SLACK_T);
	free(copy);
	return 0;
}
