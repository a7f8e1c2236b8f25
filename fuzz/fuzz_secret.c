/*
 * fuzz_secret: the input as a secret (and as a provider name). For each
 * provider, saas_webhook_verifier_new() takes it or refuses it with
 * SAAS_EINVAL and a message that does not repeat it; a secret it takes
 * signs (saas_webhook_sign(), except a whpk_ public key, which cannot) a
 * delivery that the verifier then finds valid by that secret.
 * saas_webhook_public_key() takes exactly the whsk_ keys the Standard
 * Webhooks verifier takes, and its whpk_ key verifies what the whsk_ key
 * signed. The input split at '\n' is a list of secrets: taken iff there
 * are 1 to 16 and each is taken alone.
 */
#include "fuzz.h"

#define MAX_PARTS 20
#define FZ_BODY "{\"id\":\"evt_fuzz\",\"object\":\"event\"}"
#define FZ_T 1700000000

/* The message of the last error does not repeat a secret long enough to
 * tell (a short one may well be any message's substring). */
static void not_in_message(const char *secret)
{
	const char *m = saas_error_message(saas_error_last());

	FUZZ_ASSERT(m != NULL);
	if (strlen(secret) >= 16)
		FUZZ_ASSERT(!fz_contains(m, strlen(m), secret, 0));
}

/* Sign with `secret` for provider p, verify with v: valid by secret 0. */
static void round_trip(const saas_webhook_verifier *v, int p, const char *secret)
{
	saas_webhook_sign_options so = SAAS_WEBHOOK_SIGN_OPTIONS_INIT;
	saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	saas_webhook_header *h = NULL;
	saas_webhook_result r;
	size_t n = 0;
	int rc;

	so.now = FZ_T;
	so.id = "msg_fuzz";
	rc = saas_webhook_sign(&h, &n, p, &secret, 1, FZ_BODY, strlen(FZ_BODY), &so);
	if (p == SAAS_WEBHOOK_STANDARD && strncmp(secret, "whpk_", 5) == 0) {
		FUZZ_ASSERT(rc == SAAS_EINVAL && h == NULL);
		return;
	}
	if (rc == SAAS_ENOMEM)
		return;
	FUZZ_ASSERT(rc == SAAS_OK && h != NULL && n >= 1);
	o.now = FZ_T;
	rc = saas_webhook_verify(&r, v, h, n, FZ_BODY, strlen(FZ_BODY), &o);
	FUZZ_ASSERT(rc == SAAS_OK && r.check == SAAS_WEBHOOK_VALID && r.secret_index == 0);
	saas_free(h);
}

/* Whether provider p takes `secret` alone (checking what it answers). */
static int takes(int p, const char *secret, int sign)
{
	saas_webhook_verifier *v = NULL;
	int rc = saas_webhook_verifier_new(&v, p, &secret, 1);

	if (rc == SAAS_ENOMEM)
		return -1;
	if (rc != SAAS_OK) {
		FUZZ_ASSERT(rc == SAAS_EINVAL && v == NULL);
		FUZZ_ASSERT(saas_error_code(saas_error_last()) == SAAS_EINVAL);
		not_in_message(secret);
		return 0;
	}
	FUZZ_ASSERT(v != NULL && saas_webhook_verifier_provider(v) == p);
	if (sign)
		round_trip(v, p, secret);
	saas_webhook_verifier_free(v);
	return 1;
}

static void public_key(const char *s)
{
	char *pk = (char *)1;
	int rc = saas_webhook_public_key(&pk, s);

	if (rc == SAAS_ENOMEM)
		return;
	if (rc != SAAS_OK) {
		FUZZ_ASSERT(rc == SAAS_EINVAL && pk == NULL);
		not_in_message(s);
		if (strncmp(s, "whsk_", 5) == 0)
			FUZZ_ASSERT(takes(SAAS_WEBHOOK_STANDARD, s, 0) != 1);
		return;
	}
	FUZZ_ASSERT(pk && strncmp(s, "whsk_", 5) == 0 && strncmp(pk, "whpk_", 5) == 0);
	FUZZ_ASSERT(takes(SAAS_WEBHOOK_STANDARD, s, 0) != 0);
	{
		saas_webhook_sign_options so = SAAS_WEBHOOK_SIGN_OPTIONS_INIT;
		saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
		const char *pks[1] = {pk};
		saas_webhook_header *h = NULL;
		saas_webhook_result r;
		char *again = NULL;
		size_t n = 0;

		so.now = o.now = FZ_T;
		so.id = "msg_fuzz";
		if (saas_webhook_sign(&h, &n, SAAS_WEBHOOK_STANDARD, &s, 1, FZ_BODY, strlen(FZ_BODY),
		                      &so) == SAAS_OK) {
			rc = saas_webhook_verify_once(&r, SAAS_WEBHOOK_STANDARD, pks, 1, h, n, FZ_BODY,
			                              strlen(FZ_BODY), &o);
			FUZZ_ASSERT(rc == SAAS_OK && r.secret_index == 0);
			saas_free(h);
		}
		/* A public key is not a signing key. */
		FUZZ_ASSERT(saas_webhook_public_key(&again, pk) == SAAS_EINVAL && again == NULL);
	}
	saas_free(pk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *parts[MAX_PARTS];
	const char *cparts[MAX_PARTS];
	size_t nparts = 0;
	int rc;

	if (!(s = fz_strndup(data, size)))
		return 0;

	rc = saas_webhook_provider_parse(s);
	if (rc > 0) {
		const char *name = saas_webhook_provider_name(rc);

		FUZZ_ASSERT(rc <= SAAS_WEBHOOK_SHOPIFY && name);
		FUZZ_ASSERT(strcmp(name, s) == 0 || (rc == SAAS_WEBHOOK_STANDARD && strcmp(s, "svix") == 0));
	} else {
		FUZZ_ASSERT(rc == SAAS_EINVAL);
	}

	for (int p = SAAS_WEBHOOK_STRIPE; p <= SAAS_WEBHOOK_SHOPIFY; p++)
		takes(p, s, 1);
	public_key(s);

	/* The input as a list of secrets, one a line. */
	if (memchr(s, '\n', strlen(s))) {
		for (char *p = s; nparts < MAX_PARTS;) {
			char *nl = strchr(p, '\n');

			parts[nparts] = p;
			cparts[nparts++] = p;
			if (!nl)
				break;
			*nl = '\0';
			p = nl + 1;
		}
		for (int p = SAAS_WEBHOOK_STRIPE; p <= SAAS_WEBHOOK_SHOPIFY; p++) {
			saas_webhook_verifier *v = NULL;
			int each = nparts <= 16;

			for (size_t i = 0; i < nparts && each > 0; i++)
				each = takes(p, parts[i], 0);
			if (each < 0)
				continue;
			rc = saas_webhook_verifier_new(&v, p, cparts, nparts);
			if (rc == SAAS_ENOMEM)
				continue;
			FUZZ_ASSERT((rc == SAAS_OK) == (each == 1));
			FUZZ_ASSERT((rc == SAAS_OK) == (v != NULL));
			saas_webhook_verifier_free(v);
		}
	}
	free(s);
	return 0;
}
