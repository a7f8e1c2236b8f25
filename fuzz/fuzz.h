/*
 * What the fuzz targets share: NUL-terminated copies of the input (which is
 * not a C string), the known vectors of ../shared/reference/webhooks.md §9,
 * and the invariants every verdict must keep, each a __builtin_trap() when
 * broken (libFuzzer and the replay driver both report the trap as a crash).
 * Everything here goes through the public API only.
 */
#ifndef SAAS_FUZZ_H
#define SAAS_FUZZ_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "saas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

/* Stripe (derived vector, §9.9). */
#define FZ_STRIPE_SECRET "whsec_test_secret"
#define FZ_STRIPE_BODY "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}"
#define FZ_STRIPE_T 1614265330
#define FZ_STRIPE_V1 "3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff"

/* Standard Webhooks (§9.1 and the Svix server's ed25519 vector, §9.3). */
#define FZ_STD_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define FZ_STD_SK "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
#define FZ_STD_PK "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="
#define FZ_STD_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define FZ_STD_T 1614265330
#define FZ_STD_BODY "{\"test\": 2432232314}"
#define FZ_STD_V1 "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define FZ_STD_V1A "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="

/* GitHub (§9.5). */
#define FZ_GH_SECRET "It's a Secret to Everybody"
#define FZ_GH_BODY "Hello, World!"
#define FZ_GH_SIG "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

/* Slack (§9.6). */
#define FZ_SLACK_SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define FZ_SLACK_BODY \
	"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V" \
	"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=" \
	"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIG" \
	"lgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
#define FZ_SLACK_T 1531420618
#define FZ_SLACK_SIG "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

/* Shopify (derived vector, §9.9). */
#define FZ_SHOPIFY_SECRET "hush"
#define FZ_SHOPIFY_BODY "{\"id\":1}"
#define FZ_SHOPIFY_SIG "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="

/* A malloc'd NUL-terminated copy of n bytes (NULL when out of memory). */
static inline char *fz_strndup(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/*
 * Whether `needle` occurs in hay[0..haylen), ASCII case ignored when ci.
 * A plain loop on purpose: libFuzzer intercepts strstr and memmem and would
 * learn the library's messages from the invariant checks themselves.
 */
static inline int fz_contains(const char *hay, size_t haylen, const char *needle, int ci)
{
	size_t n = strlen(needle);

	if (n == 0)
		return 1;
	for (size_t i = 0; i + n <= haylen; i++) {
		size_t k = 0;

		while (k < n && (ci ? tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k])
		                    : hay[i + k] == needle[k]))
			k++;
		if (k == n)
			return 1;
	}
	return 0;
}

/* The value of header `name` (exact) in a signed set, or NULL. */
static inline const char *fz_header(const saas_webhook_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

/* Drop a base64 value's padding (verification takes it either way). */
static inline void fz_unpad(char *s)
{
	size_t l = strlen(s);

	while (l && s[l - 1] == '=')
		s[--l] = '\0';
}

/*
 * The MAC of the concatenated pieces (p2, p3 may be NULL) under `key`,
 * computed here with libcrypto's one-shot HMAC() rather than by the
 * library: lower-case hex (b64 0) or unpadded base64 (b64 1) into out (at
 * least 65 bytes). The oracle of "valid": the header held this value.
 */
static inline void fz_hmac(char *out, int b64, const void *key, size_t keylen, const void *p1,
	size_t l1, const void *p2, size_t l2, const void *p3, size_t l3)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t n = l1 + (p2 ? l2 : 0) + (p3 ? l3 : 0);
	unsigned char *msg = malloc(n + 1);

	FUZZ_ASSERT(msg != NULL);
	if (l1)
		memcpy(msg, p1, l1);
	if (p2 && l2)
		memcpy(msg + l1, p2, l2);
	if (p3 && l3)
		memcpy(msg + l1 + (p2 ? l2 : 0), p3, l3);
	FUZZ_ASSERT(HMAC(EVP_sha256(), key, (int)keylen, msg, n, mac, &maclen) != NULL &&
	            maclen == 32);
	free(msg);
	if (b64) {
		EVP_EncodeBlock((unsigned char *)out, mac, 32);
		fz_unpad(out);
	} else {
		for (unsigned i = 0; i < 32; i++) {
			out[2 * i] = digits[mac[i] >> 4];
			out[2 * i + 1] = digits[mac[i] & 15];
		}
		out[64] = '\0';
	}
}

/*
 * The invariants of any verdict of saas_webhook_verify() given valid
 * arguments: SAAS_OK or SAAS_ESIGNATURE (SAAS_ENOMEM tolerated); check in
 * 0..6; SAAS_OK iff check is SAAS_WEBHOOK_VALID; secret_index names a
 * secret iff valid; the id is a C string; the error's code is the one
 * returned and its message names no secret absent from the input; the
 * timestamp sits on the side of the window the check says (timed: the
 * provider signs a timestamp; check_ts: the options checked it).
 */
static inline void fz_check_verdict(int rc, const saas_webhook_result *r, size_t nsecrets,
	const char *const *secrets, const void *input, size_t input_len, int64_t now,
	int64_t tolerance, int timed, int check_ts)
{
#ifdef FUZZ_VERBOSE /* to see where a corpus leads: -Dc_args=-DFUZZ_VERBOSE */
	fprintf(stderr, "verdict: %s (secret %d, t %lld, id '%s'): %s\n",
	        saas_webhook_check_name(r->check), r->secret_index, (long long)r->timestamp, r->id,
	        rc == SAAS_OK ? "" : saas_error_message(saas_error_last()));
#endif
	if (rc == SAAS_ENOMEM)
		return;
	FUZZ_ASSERT(rc == SAAS_OK || rc == SAAS_ESIGNATURE);
	FUZZ_ASSERT(r->check >= SAAS_WEBHOOK_VALID && r->check <= SAAS_WEBHOOK_MISMATCH);
	FUZZ_ASSERT((rc == SAAS_OK) == (r->check == SAAS_WEBHOOK_VALID));
	if (rc == SAAS_OK)
		FUZZ_ASSERT(r->secret_index >= 0 && (size_t)r->secret_index < nsecrets);
	else
		FUZZ_ASSERT(r->secret_index == -1);
	FUZZ_ASSERT(memchr(r->id, '\0', sizeof r->id) != NULL);
	if (!timed)
		FUZZ_ASSERT(r->check != SAAS_WEBHOOK_TOO_OLD && r->check != SAAS_WEBHOOK_IN_FUTURE &&
		            r->timestamp == 0);
	if (r->check == SAAS_WEBHOOK_TOO_OLD)
		FUZZ_ASSERT(check_ts && r->timestamp < now - tolerance);
	if (r->check == SAAS_WEBHOOK_IN_FUTURE)
		FUZZ_ASSERT(check_ts && r->timestamp > now + tolerance);
	if (rc == SAAS_OK && timed && check_ts)
		FUZZ_ASSERT(r->timestamp >= now - tolerance && r->timestamp <= now + tolerance);
	if (rc != SAAS_OK) {
		const saas_error *e = saas_error_last();
		const char *m = saas_error_message(e);

		FUZZ_ASSERT(saas_error_code(e) == rc);
		FUZZ_ASSERT(m != NULL);
		for (size_t i = 0; i < nsecrets; i++)
			if (strlen(secrets[i]) >= 8)
				FUZZ_ASSERT(!fz_contains(m, strlen(m), secrets[i], 0) ||
				            fz_contains((const char *)input, input_len, secrets[i], 0));
	}
}

/* Two verdicts are the same (code, check, secret, timestamp, id). */
static inline int fz_same(int rc1, const saas_webhook_result *a, int rc2,
	const saas_webhook_result *b)
{
	return rc1 == rc2 && a->check == b->check && a->secret_index == b->secret_index &&
	       a->timestamp == b->timestamp && strcmp(a->id, b->id) == 0;
}

#endif
