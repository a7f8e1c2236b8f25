/*
 * fuzz_standard_headers: the input, split at its first two '\n', is the
 * values of webhook-id, webhook-timestamp and webhook-signature (fewer
 * parts: the later headers are absent). A verifier of Standard Webhooks
 * with the whsec_ secret of ../shared/reference/webhooks.md §9.1 and the
 * whpk_ key of §9.3 checks them against that vector's body at its time,
 * three ways:
 *
 *   webhook-* names, timestamp checked;
 *   svix-* names, timestamp unchecked: a valid verdict stays valid, with
 *   the same secret, timestamp and id;
 *   the vector's valid v1 signature appended to webhook-signature: never
 *   "no known scheme", and never a mismatch for the vector's own id and
 *   timestamp.
 *
 * A valid verdict by the whsec_ secret needs the HMAC of id.timestamp.body
 * (computed here with libcrypto) in the signature header; by the whpk_ key,
 * the vector's own message and v1a signature (nobody else can sign).
 */
#include <stdio.h>

#include <openssl/evp.h>

#include "fuzz.h"

static const char *const secrets[] = {FZ_STD_SECRET, FZ_STD_PK};

static int verify(saas_webhook_result *r, const char *const names[3], char *const values[3],
	size_t nh, const char *input, size_t input_len, int check_ts)
{
	saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	saas_webhook_header h[3];
	saas_webhook_verifier *v = NULL;
	int rc;

	for (size_t i = 0; i < nh; i++) {
		h[i].name = names[i];
		h[i].value = values[i];
	}
	o.now = FZ_STD_T;
	o.ignore_timestamp = !check_ts;
	FUZZ_ASSERT(saas_webhook_verifier_new(&v, SAAS_WEBHOOK_STANDARD, secrets, 2) == SAAS_OK);
	rc = saas_webhook_verify(r, v, h, nh, FZ_STD_BODY, strlen(FZ_STD_BODY), &o);
	fz_check_verdict(rc, r, 2, secrets, input, input_len, FZ_STD_T, 300, 1, check_ts);
	saas_webhook_verifier_free(v);
	if (rc == SAAS_OK) {
		const char *sig = values[2];

		FUZZ_ASSERT(nh == 3);
		if (r->secret_index == 0) {
			unsigned char key[64];
			char dotted[40], want[72];
			const char *id = values[0];
			size_t idlen;
			int kl = EVP_DecodeBlock(key, (const unsigned char *)FZ_STD_SECRET + 6, 32);

			FUZZ_ASSERT(kl == 24);
			/* The id as signed: the header's value without its spaces and tabs
			 * (r->id is "" for a long one). */
			while (*id == ' ' || *id == '\t')
				id++;
			idlen = strlen(id);
			while (idlen && (id[idlen - 1] == ' ' || id[idlen - 1] == '\t'))
				idlen--;
			snprintf(dotted, sizeof dotted, ".%lld.", (long long)r->timestamp);
			fz_hmac(want, 1, key, 24, id, idlen, dotted, strlen(dotted), FZ_STD_BODY,
			        strlen(FZ_STD_BODY));
			FUZZ_ASSERT(fz_contains(sig, strlen(sig), want, 0));
		} else {
			char want[] = FZ_STD_V1A;

			fz_unpad(want);
			FUZZ_ASSERT(r->timestamp == FZ_STD_T && strcmp(r->id, FZ_STD_ID) == 0 &&
			            fz_contains(sig, strlen(sig), want + 4, 0));
		}
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const webhook[3] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
	static const char *const svix[3] = {"svix-id", "svix-timestamp", "svix-signature"};
	static const char valid[] = " " FZ_STD_V1;
	saas_webhook_result r1, r2, r3;
	char *copy, *values[3] = {NULL, NULL, NULL}, *appended;
	size_t nh = 0;
	int rc1, rc2;

	if (!(copy = fz_strndup(data, size)))
		return 0;
	/* Split at the first two '\n' (a NUL in the input ends the last value). */
	for (char *p = copy; nh < 3;) {
		char *nl = nh < 2 ? memchr(p, '\n', (size_t)(copy + size - p)) : NULL;

		values[nh++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	rc1 = verify(&r1, webhook, values, nh, copy, size, 1);
	rc2 = verify(&r2, svix, values, nh, copy, size, 0);
	if (rc1 == SAAS_OK)
		FUZZ_ASSERT(fz_same(rc1, &r1, rc2, &r2));
	if (nh == 3 && (appended = malloc(strlen(values[2]) + sizeof valid))) {
		char *sig = values[2];

		memcpy(appended, sig, strlen(sig));
		memcpy(appended + strlen(sig), valid, sizeof valid);
		values[2] = appended;
		verify(&r3, webhook, values, nh, copy, size, 1);
		FUZZ_ASSERT(r3.check != SAAS_WEBHOOK_NO_KNOWN_SCHEME);
		if (r3.check == SAAS_WEBHOOK_MISMATCH)
			FUZZ_ASSERT(r3.timestamp != FZ_STD_T || strcmp(r3.id, FZ_STD_ID) != 0);
		values[2] = sig;
		free(appended);
	}
	free(copy);
	return 0;
}
