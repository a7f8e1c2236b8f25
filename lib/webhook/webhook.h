/*
 * Private to lib/webhook: decoded keys, the verifier's layout, the codecs
 * and the HMAC every scheme shares. Never installed.
 *
 * codec.c  hex and base64 (strict), strict decimal timestamps, HMAC-SHA256
 *          over several pieces with a key scheduled once (libcrypto).
 * keys.c   secrets to keys per provider; verifier_new/free; new secrets.
 * verify.c header lookup and each provider's check.
 * sign.c   each provider's headers.
 * receive.c verification plus the store's claim of the delivery id.
 */
#ifndef SAAS_WEBHOOK_INTERNAL_H
#define SAAS_WEBHOOK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "saas/webhook.h"

#define SAAS__WH_MAX_SECRETS 16
#define SAAS__WH_MAX_SECRET_LEN 1024
#define SAAS__WH_MAC_LEN 32
#define SAAS__WH_ED_SIG_LEN 64
/* The provider's documented tolerance (every timestamped scheme here). */
#define SAAS__WH_DEFAULT_TOLERANCE 300
#define SAAS__WH_MAX_TOLERANCE 31536000
/* A timestamp has at most this many digits (Unix seconds to year 33658). */
#define SAAS__WH_TS_DIGITS 12

enum saas__wh_kind {
	SAAS__WH_HMAC = 1,   /* symmetric: `bytes` is the HMAC key */
	SAAS__WH_ED_PUBLIC,  /* ed25519 public key: verifies v1a */
	SAAS__WH_ED_SECRET   /* ed25519 signing key (and its public key) */
};

struct saas__wh_mac; /* an HMAC-SHA256 key, scheduled once */

struct saas__wh_key {
	enum saas__wh_kind kind;
	struct saas__wh_mac *mac;   /* SAAS__WH_HMAC */
	unsigned char pk[32];       /* ed25519 */
	unsigned char sk[64];       /* SAAS__WH_ED_SECRET: seed || pk (libsodium's form) */
};

struct saas_webhook_verifier {
	int provider;
	size_t n;
	bool has_hmac, has_ed;
	struct saas__wh_key keys[];
};

/* A piece of signed content. */
struct saas__wh_piece {
	const void *p;
	size_t len;
};

/* ---- codec.c ---- */

/* Lower-case hex of `len` bytes into out (2*len+1 bytes). */
void saas__wh_hex(char *out, const unsigned char *in, size_t len);
/* Decode exactly `outlen` bytes of hex (either case) from `len` characters;
 * false unless len == 2*outlen and every character is a hex digit. */
bool saas__wh_unhex(unsigned char *out, size_t outlen, const char *in, size_t len);
/* Standard base64 with padding into out (sodium_base64_ENCODED_LEN bytes). */
void saas__wh_b64(char *out, size_t outcap, const unsigned char *in, size_t len);
/* Decode standard base64, padding optional (but never wrong), into out;
 * *outlen receives the length. false for any other character, a bad length
 * or more than outcap bytes. */
bool saas__wh_unb64(unsigned char *out, size_t outcap, size_t *outlen, const char *in,
	size_t len);
/* A strict decimal integer of 1..SAAS__WH_TS_DIGITS digits (no sign, no
 * space); false otherwise. */
bool saas__wh_decimal(int64_t *out, const char *s, size_t len);

/* Schedule an HMAC-SHA256 key (NULL on failure: libcrypto or memory). */
struct saas__wh_mac *saas__wh_mac_new(const unsigned char *key, size_t len);
void saas__wh_mac_free(struct saas__wh_mac *m);
/* HMAC-SHA256 of the concatenated pieces; false if libcrypto fails. */
bool saas__wh_mac_compute(const struct saas__wh_mac *m, const struct saas__wh_piece *pieces,
	size_t npieces, unsigned char out[SAAS__WH_MAC_LEN]);

/* ---- keys.c ---- */

/* Decode secret i of a provider into k (messages name "secrets[i]", never
 * the secret). */
int saas__wh_key_decode(struct saas__wh_key *k, int provider, const char *secret, size_t i);
void saas__wh_key_clear(struct saas__wh_key *k);
bool saas__wh_provider_ok(int provider);

/* ---- verify.c ---- */

/* The trimmed value of header `name` (case-insensitive): 1 found (one),
 * 0 absent, -1 given more than once. */
int saas__wh_header(const char **val, size_t *len, const saas_webhook_header *h, size_t n,
	const char *name);
/* A result as a failed call leaves it (NULL is ignored): no check passed,
 * no secret matched, no id or timestamp. */
void saas__wh_result_reset(saas_webhook_result *result);
/* The tolerance and now of options (defaults filled); SAAS_EINVAL if bad. */
int saas__wh_opts(const saas_webhook_verify_options *opts, int64_t clock_now, int64_t *now,
	int64_t *tolerance, bool *check_ts);

/* ---- guard.c ---- */

struct sockaddr;
struct saas__wh_allow; /* ranges the guard lets through */
/* Parse CIDR ranges ("10.0.0.0/8", "::1", "fd00::/8"); SAAS_EINVAL naming
 * "allow[i]" and the value. */
int saas__wh_allow_parse(struct saas__wh_allow **out, const char *const *cidrs, size_t n);
void saas__wh_allow_free(struct saas__wh_allow *a);
/* NULL when the worker may connect to `sa`, else why not (static text). */
const char *saas__wh_addr_blocked(const struct sockaddr *sa, const struct saas__wh_allow *allow);

/* ---- endpoint.c, worker.c ---- */

struct saas_tx;
struct saas__wh_endpoint;
/* Disable an endpoint in the transaction: its row, its feed, its pending
 * deliveries (cancelled; how many into *out_cancelled, may be NULL), and
 * the audit event webhook.endpoint_disabled with the reason. */
int saas__wh_endpoint_disable_tx(struct saas_tx *tx, const saas_scope *scope,
	struct saas__wh_endpoint *e, const char *reason, int64_t now, int64_t *out_cancelled);
/* Whether an action matches an endpoint's patterns (a JSON array's text). */
bool saas__wh_type_matches(const char *event_types, const char *action);

/* saas_webhook_verify with the clock's time given (Unix seconds): the
 * context's for saas_webhook_receive. When valid, `matched` (may be NULL;
 * SAAS__WH_ED_SIG_LEN bytes) receives the decoded signature that matched
 * and *matched_len its length: the canonical form of what was signed, which
 * no re-spelling of the header changes. */
int saas__wh_verify_at(saas_webhook_result *result, const saas_webhook_verifier *v,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len,
	const saas_webhook_verify_options *opts, int64_t clock_now, unsigned char *matched,
	size_t *matched_len);
/* libsodium initialised (once; cheap after): SAAS_OK or SAAS_EINTERNAL. */
int saas__wh_sodium(void);

#endif
