/**
 * @file saas/webhook.h
 * @brief Webhook signatures: verify what Stripe, Standard Webhooks (and
 *        Svix), GitHub, Slack and Shopify send; sign the same way; refuse
 *        replays (docs/webhooks.md).
 *
 * Verification takes the request's raw body as bytes, exactly as received:
 * never a parsed and re-serialised JSON document, whose bytes differ. Headers
 * are name/value pairs, looked up case-insensitively; surrounding spaces and
 * tabs of a value are ignored. Each provider's scheme:
 *
 * | Provider | Header(s) | Signed bytes | MAC | Key |
 * |---|---|---|---|---|
 * | `SAAS_WEBHOOK_STRIPE` | `Stripe-Signature: t=T,v1=HEX[,v1=…]` | `T.body` | HMAC-SHA256, hex | the whole `whsec_…` string |
 * | `SAAS_WEBHOOK_STANDARD` | `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,B64 [v1a,B64]…` (or `svix-*`) | `id.T.body` | HMAC-SHA256 (`v1`) or ed25519 (`v1a`), base64 | `whsec_` + base64 (or bare base64); `whpk_`/`whsk_` for ed25519 |
 * | `SAAS_WEBHOOK_GITHUB` | `X-Hub-Signature-256: sha256=HEX` | body | HMAC-SHA256, hex | the secret string |
 * | `SAAS_WEBHOOK_SLACK` | `X-Slack-Signature: v0=HEX`, `X-Slack-Request-Timestamp` | `v0:T:body` | HMAC-SHA256, hex | the signing secret |
 * | `SAAS_WEBHOOK_SHOPIFY` | `X-Shopify-Hmac-Sha256` (or `shopify-hmac-sha256`) | body | HMAC-SHA256, base64 | the app's secret key |
 *
 * Several secrets may be given at once (rotation on the receiving side), and
 * a header may carry several signatures (rotation on the sending side): the
 * message is valid if any signature matches any secret. Only the schemes in
 * the table count: Stripe's test-mode `v0`, GitHub's SHA-1 `X-Hub-Signature`
 * and unknown Standard Webhooks versions are ignored, so a downgrade cannot
 * pass. Signatures are compared in constant time, and a rejection never says
 * which byte differed.
 *
 * Timestamps: a signed timestamp must be within the tolerance of now, in
 * both directions (`now - tolerance <= t <= now + tolerance`). Every provider
 * here with a timestamp documents 300 s. Stripe's own libraries accept any
 * future timestamp and read `t=` leniently; libsaas follows the documented
 * scheme strictly: `t` is a decimal integer, and a future one beyond the
 * tolerance is refused. GitHub and Shopify sign no timestamp: replay
 * protection (saas_webhook_receive()) is what stops a replayed delivery.
 *
 * The second half of this header sends the library's own events: endpoints
 * per tenant fed by the audit log, and a delivery worker.
 *
 * Secrets never appear in error messages; temporary copies are wiped.
 *
 * Thread safety: every function may be called from any thread; a
 * saas_webhook_verifier may be used by several threads at once.
 */
#ifndef SAAS_WEBHOOK_H
#define SAAS_WEBHOOK_H

#include "saas/common.h"
#include "saas/context.h"

SAAS_BEGIN_DECL

/** Who signed (or is to sign) a webhook. */
typedef enum saas_webhook_provider {
	SAAS_WEBHOOK_STRIPE = 1,   /**< Stripe (`Stripe-Signature`) */
	SAAS_WEBHOOK_STANDARD = 2, /**< Standard Webhooks 1.0, and Svix (`webhook-*` or `svix-*` headers) */
	SAAS_WEBHOOK_GITHUB = 3,   /**< GitHub (`X-Hub-Signature-256`) */
	SAAS_WEBHOOK_SLACK = 4,    /**< Slack (`X-Slack-Signature`, `X-Slack-Request-Timestamp`) */
	SAAS_WEBHOOK_SHOPIFY = 5   /**< Shopify (`X-Shopify-Hmac-Sha256`) */
} saas_webhook_provider;

/**
 * The provider named `name`: `"stripe"`, `"standard"` (also `"svix"`),
 * `"github"`, `"slack"`, `"shopify"` (lower case).
 *
 * @return the saas_webhook_provider (positive); `SAAS_EINVAL` for NULL or an
 *         unknown name (field `"provider"`).
 */
SAAS_EXTERN(int) saas_webhook_provider_parse(const char *name);

/** The name of a provider (`"stripe"`), or NULL for an unknown one. Static string. */
SAAS_EXTERN(const char *) saas_webhook_provider_name(int provider);

/** Which check a delivery failed (or `SAAS_WEBHOOK_VALID`). The numbers are ABI. */
typedef enum saas_webhook_check {
	SAAS_WEBHOOK_VALID = 0,            /**< a signature matched, the timestamp is in the window */
	SAAS_WEBHOOK_NO_HEADER = 1,        /**< a header the scheme needs is missing */
	SAAS_WEBHOOK_MALFORMED_HEADER = 2, /**< a header is empty, repeated or unparseable, or the timestamp is not a decimal integer */
	SAAS_WEBHOOK_NO_KNOWN_SCHEME = 3,  /**< no signature of a scheme the secrets can check (only `v0`, only `v2`, `v1a` with only HMAC secrets, …) */
	SAAS_WEBHOOK_TOO_OLD = 4,          /**< the timestamp is older than now minus the tolerance */
	SAAS_WEBHOOK_IN_FUTURE = 5,        /**< the timestamp is later than now plus the tolerance */
	SAAS_WEBHOOK_MISMATCH = 6,         /**< no signature matches any secret */
	SAAS_WEBHOOK_REPLAYED = 7          /**< valid, but this delivery id was already accepted (saas_webhook_receive()) */
} saas_webhook_check;

/** The name of a check (`"valid"`, `"no_header"`, `"malformed_header"`, `"no_known_scheme"`, `"too_old"`, `"in_future"`, `"mismatch"`, `"replayed"`), or NULL. Static string. */
SAAS_EXTERN(const char *) saas_webhook_check_name(int check);

/** One HTTP header: both strings borrowed. */
typedef struct saas_webhook_header {
	const char *name;  /**< the header's name, any case */
	const char *value; /**< its value */
} saas_webhook_header;

/** The version of saas_webhook_verify_options this header describes. */
#define SAAS_WEBHOOK_VERIFY_OPTIONS_VERSION 1u

/** How to verify (and, for saas_webhook_receive(), how long to remember ids). */
typedef struct saas_webhook_verify_options {
	unsigned version;      /**< SAAS_WEBHOOK_VERIFY_OPTIONS_VERSION */
	int64_t now;           /**< the time to check against, Unix seconds; 0: the clock (the context's in saas_webhook_receive()) */
	int64_t tolerance;     /**< seconds either side of now; -1: the provider's (300); 0 to 31536000 */
	int ignore_timestamp;  /**< 1: skip the timestamp check (old deliveries replayed on purpose); the signature is still checked */
	int64_t replay_window; /**< saas_webhook_receive(): seconds to remember an id where no timestamp limits it (GitHub, Shopify, `ignore_timestamp`); 0: 7 days */
} saas_webhook_verify_options;

/** Default options: the clock, the provider's tolerance, the timestamp checked. */
#define SAAS_WEBHOOK_VERIFY_OPTIONS_INIT { SAAS_WEBHOOK_VERIFY_OPTIONS_VERSION, 0, -1, 0, 0 }

/** The largest delivery id kept in saas_webhook_result, with its NUL. */
#define SAAS_WEBHOOK_ID_SIZE 256

/** What a verification found. */
typedef struct saas_webhook_result {
	int check;          /**< a saas_webhook_check */
	int secret_index;   /**< the index of the secret that matched, or -1 */
	int64_t timestamp;  /**< the signed timestamp (Unix seconds), 0 for providers that sign none or when it could not be read */
	/**
	 * The delivery's id, "" if none: `webhook-id` (or `svix-id`),
	 * `X-GitHub-Delivery`, `X-Shopify-Webhook-Id`; for Slack (which sends
	 * none) the signature header; for Stripe the event's `id`, read from the
	 * JSON body by saas_webhook_receive() only (saas_webhook_verify() never
	 * parses the body). Ids
	 * longer than SAAS_WEBHOOK_ID_SIZE - 1 bytes are left "".
	 */
	char id[SAAS_WEBHOOK_ID_SIZE];
} saas_webhook_result;

/**
 * A provider and its secrets, decoded once: verify many deliveries with it.
 * Immutable after creation; share it between threads.
 */
typedef struct saas_webhook_verifier saas_webhook_verifier;

/**
 * Decode the secrets a provider's deliveries are checked with.
 *
 * Stripe, GitHub, Slack and Shopify: each secret is used as its bytes (the
 * whole `whsec_…` string for Stripe). Standard Webhooks: `whsec_` + base64 or
 * bare base64 is an HMAC key (`v1`), padding optional; `whpk_` + base64 of a
 * 32-byte ed25519 public key verifies `v1a`; so does `whsk_` + base64 of a
 * 32-byte seed or a 64-byte seed and public key (whose halves must agree).
 *
 * @param out       receives the verifier; free with saas_webhook_verifier_free().
 * @param provider  a saas_webhook_provider.
 * @param secrets   1 to 16 secrets, each 1 to 1024 bytes (borrowed; copied).
 * @param nsecrets  how many.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`; an unknown provider, field
 *         `"provider"`; no secrets or more than 16, field `"secrets"`; an
 *         empty, too long or undecodable secret, field `"secrets[i]"`, the
 *         message naming the index and the problem, never the secret);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_webhook_verifier_new(saas_webhook_verifier **out, int provider,
	const char *const *secrets, size_t nsecrets);

/** Free a verifier, wiping its keys. NULL is ignored. */
SAAS_EXTERN(void) saas_webhook_verifier_free(saas_webhook_verifier *v);

/** The provider a verifier checks. */
SAAS_EXTERN(int) saas_webhook_verifier_provider(const saas_webhook_verifier *v);

/**
 * Verify one delivery: its headers and raw body.
 *
 * @param result   receives the verdict (always filled when non-NULL, also on error).
 * @param v        the verifier.
 * @param headers  the request's headers (`nheaders` of them; may be NULL if 0).
 * @param nheaders how many.
 * @param body     the raw body (may be NULL if `len` is 0).
 * @param len      its length in bytes (0 is allowed).
 * @param opts     NULL for SAAS_WEBHOOK_VERIFY_OPTIONS_INIT.
 * @return `SAAS_OK` when valid; `SAAS_ESIGNATURE` when not, with
 *         `result->check` saying which check failed and the error message
 *         saying why (a header's name, a timestamp's age), never a secret or
 *         an expected signature; `SAAS_EINVAL` for bad arguments (NULL `v`
 *         or `result`, a NULL header name or value, NULL body with a length,
 *         a bad options version or tolerance, field `"tolerance"`);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_webhook_verify(saas_webhook_result *result, const saas_webhook_verifier *v,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len,
	const saas_webhook_verify_options *opts);

/**
 * saas_webhook_verify() with a one-time verifier: decode `secrets`, verify,
 * free. Same arguments and results as both.
 */
SAAS_EXTERN(int) saas_webhook_verify_once(saas_webhook_result *result, int provider,
	const char *const *secrets, size_t nsecrets,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len,
	const saas_webhook_verify_options *opts);

/**
 * Verify a delivery, then claim its id in the store so that no other call,
 * in this process or another, accepts the same delivery again while it could
 * still verify: until its timestamp plus the tolerance, or, where no
 * timestamp limits it (GitHub, Shopify, `ignore_timestamp`), for
 * `replay_window`. The claim is one atomic statement; of two workers given
 * the same delivery at once, one gets `SAAS_OK` and the other `SAAS_EUSED`.
 * What is claimed is covered by the signature, so that a replay cannot
 * change it: the `webhook-id` (Standard Webhooks signs it), Stripe's event
 * `id` (in the signed body); for GitHub, Shopify and Slack, whose id headers
 * are not signed, and a Stripe body without an `"id"`, the signature that
 * matched, decoded (a re-spelled header, in hex case or base64 padding,
 * claims the same). A GitHub redelivery of a delivery already accepted is
 * therefore refused as a replay.
 *
 * @param ctx     the context whose store remembers ids (and whose clock is
 *                used when `opts->now` is 0).
 * @param source  a label that keeps two senders' ids apart (an endpoint's
 *                name, an account; 1 to 128 printable bytes), or NULL for "".
 * Other parameters as saas_webhook_verify().
 * @return `SAAS_OK` (valid and first); `SAAS_EUSED` (valid, already
 *         accepted: `result->check` is `SAAS_WEBHOOK_REPLAYED`);
 *         `SAAS_ESIGNATURE` (invalid: nothing is claimed); `SAAS_EINVAL`
 *         (as saas_webhook_verify(), or a bad `source`, or a negative
 *         `replay_window`); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_webhook_receive(saas_ctx *ctx, saas_webhook_result *result,
	const saas_webhook_verifier *v, const char *source,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len,
	const saas_webhook_verify_options *opts);

/**
 * Delete the remembered delivery ids whose window has ended (the store keeps
 * them until then; saas_webhook_receive() also removes a few on its way).
 *
 * @param out_deleted receives how many were deleted (may be NULL).
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `ctx`); `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_webhook_replay_purge(saas_ctx *ctx, int64_t *out_deleted);

/** The version of saas_webhook_sign_options this header describes. */
#define SAAS_WEBHOOK_SIGN_OPTIONS_VERSION 1u

/** How to sign. */
typedef struct saas_webhook_sign_options {
	unsigned version;    /**< SAAS_WEBHOOK_SIGN_OPTIONS_VERSION */
	int64_t now;         /**< the timestamp to sign, Unix seconds; 0: the system clock */
	const char *id;      /**< Standard Webhooks: the message id (1 to 255 bytes, no `.`, printable); NULL: a new `msg_…` id. GitHub and Shopify: sent as `X-GitHub-Delivery` / `X-Shopify-Webhook-Id` when non-NULL. Stripe, Slack: unused */
	int svix_headers;    /**< Standard Webhooks: 1 to name the headers `svix-*` instead of `webhook-*` */
} saas_webhook_sign_options;

/** Default options: the clock's time, a new id, `webhook-*` headers. */
#define SAAS_WEBHOOK_SIGN_OPTIONS_INIT { SAAS_WEBHOOK_SIGN_OPTIONS_VERSION, 0, NULL, 0 }

/**
 * Sign a body as a provider would: the headers a receiver verifies.
 *
 * Stripe: `Stripe-Signature: t=T,v1=…` with one `v1` per secret. Standard
 * Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature` with
 * one entry per secret, space-separated: `v1` for a `whsec_` (or bare
 * base64) secret, `v1a` for a `whsk_` key. GitHub: `X-Hub-Signature-256`
 * (and `X-GitHub-Delivery` with an id). Slack: `X-Slack-Request-Timestamp`
 * and `X-Slack-Signature`. Shopify: `X-Shopify-Hmac-Sha256` (and
 * `X-Shopify-Webhook-Id` with an id). GitHub, Slack and Shopify take exactly
 * one secret.
 *
 * @param out      receives an array of `*out_n` headers in one allocation
 *                 (names and values inside it); free with saas_free().
 * @param out_n    receives how many.
 * @param provider a saas_webhook_provider.
 * @param secrets  the secrets (1 to 16; exactly 1 for GitHub, Slack, Shopify),
 *                 decoded as saas_webhook_verifier_new() does; a `whpk_`
 *                 public key cannot sign.
 * @param nsecrets how many.
 * @param body     the exact bytes to send (may be NULL if `len` is 0).
 * @param len      their length.
 * @param opts     NULL for SAAS_WEBHOOK_SIGN_OPTIONS_INIT.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`/`out_n`; field `"provider"`;
 *         field `"secrets"` or `"secrets[i]"`; a bad id, field `"id"`;
 *         a negative time, field `"now"`; a bad options version);
 *         `SAAS_ENOMEM`; `SAAS_EINTERNAL` (libcrypto failed).
 */
SAAS_EXTERN(int) saas_webhook_sign(saas_webhook_header **out, size_t *out_n, int provider,
	const char *const *secrets, size_t nsecrets, const void *body, size_t len,
	const saas_webhook_sign_options *opts);

/**
 * A new Standard Webhooks HMAC secret: `whsec_` + base64 of 32 random bytes
 * (libsodium's CSPRNG).
 *
 * @param out receives it; free with saas_free_secret().
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_webhook_secret_new(char **out);

/**
 * A new ed25519 key pair for Standard Webhooks `v1a`: the signing key as
 * `whsk_` + base64 of the 64-byte seed and public key, the verifying key as
 * `whpk_` + base64 of the 32-byte public key.
 *
 * @param out_secret receives the signing key; free with saas_free_secret().
 * @param out_public receives the public key; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (a NULL out-parameter); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_webhook_keypair_new(char **out_secret, char **out_public);

/**
 * The `whpk_` public key of a `whsk_` signing key (either form).
 *
 * @param out    receives it; free with saas_free().
 * @param secret the `whsk_` key.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`; a `secret` that is not a
 *         valid `whsk_` key, field `"secret"`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_webhook_public_key(char **out, const char *secret);

/* ---- Delivery: endpoints, the outbox, the worker ----------------------------------- */

/*
 * Outbound webhooks (docs/webhooks.md, "Sending"). A tenant's endpoints
 * subscribe to event types; every audit event of the tenant whose action
 * matches becomes a delivery to each such endpoint. The audit log is the
 * outbox: an event exists only if its mutation committed, so an event is
 * delivered if and only if its change happened. The worker sends each
 * delivery as a Standard Webhooks request (`webhook-id`, stable over the
 * attempts; `webhook-timestamp`, the attempt's; `webhook-signature`, one
 * `v1` per current secret) with the body
 *
 *     {"type":"<action>","timestamp":"<RFC 3339>","data":{"event_id":…,
 *      "seq":…,"tenant_id":…,"actor":{"type":…,"id":…},"target":{…}|null,
 *      "metadata":{…}}}
 *
 * (the event's context and personal fields are not sent).
 */

/** The most event-type patterns an endpoint takes. */
#define SAAS_WEBHOOK_MAX_EVENT_TYPES 64

/**
 * Add an endpoint to the scope's tenant, with a new signing secret, and
 * audit `webhook.endpoint_created` (its URL and event types; never the
 * secret). Events recorded from then on are delivered to it.
 *
 * @param out_id      receives the endpoint's id (`whe_…`); free with saas_free(). May be NULL.
 * @param out_secret  receives the endpoint's `whsec_` secret, which the
 *                    receiver verifies with; free with saas_free_secret().
 *                    May be NULL (read it later with saas_webhook_endpoint_secret()).
 * @param ctx         the context.
 * @param scope       the tenant and the actor.
 * @param url         `http://` or `https://` URL with a host, at most 2048
 *                    bytes (the address it resolves to is checked when the
 *                    worker connects).
 * @param event_types 1 to SAAS_WEBHOOK_MAX_EVENT_TYPES patterns: an action
 *                    (`member.added`), a prefix and `*` (`subscription.*`),
 *                    or `*` for every event; lower-case letters, digits,
 *                    `_` and `.`, at most 128 bytes each.
 * @param ntypes      how many.
 * @param description free text (at most 512 bytes) or NULL.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `"url"`, `"event_types"` or
 *         `"event_types[i]"`, `"description"`, or the scope); `SAAS_ENOTFOUND`
 *         (no such tenant); `SAAS_ESUSPENDED`; `SAAS_EDELETED`;
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_webhook_endpoint_add(char **out_id, char **out_secret, saas_ctx *ctx,
	const saas_scope *scope, const char *url, const char *const *event_types, size_t ntypes,
	const char *description);

/**
 * Remove an endpoint, its secrets and its deliveries (attempts already made
 * stay, for the record), and audit `webhook.endpoint_removed`.
 *
 * @return `SAAS_OK`; `SAAS_EINVAL` (a malformed id, field `"endpoint_id"`);
 *         `SAAS_ENOTFOUND` (no such endpoint in the tenant); as saas_webhook_endpoint_add().
 */
SAAS_EXTERN(int) saas_webhook_endpoint_remove(saas_ctx *ctx, const saas_scope *scope,
	const char *endpoint_id);

/**
 * Enable or disable an endpoint (audited `webhook.endpoint_enabled` /
 * `webhook.endpoint_disabled`). A disabled endpoint gets no new deliveries
 * and its pending ones are cancelled; enabled again, it receives the events
 * recorded from then on. Setting the state it has changes nothing and
 * audits nothing.
 *
 * @return as saas_webhook_endpoint_remove().
 */
SAAS_EXTERN(int) saas_webhook_endpoint_set_enabled(saas_ctx *ctx, const saas_scope *scope,
	const char *endpoint_id, int enabled);

/**
 * Give an endpoint a new secret. The old ones keep signing (every request
 * carries one signature per secret) for `overlap_seconds`, so that the
 * receiver can switch without losing a delivery. Audited
 * `webhook.secret_rotated`.
 *
 * @param out_secret      receives the new `whsec_` secret; free with saas_free_secret(). May be NULL.
 * @param overlap_seconds 0 to 604800 (7 days); -1: 86400 (a day).
 * @return as saas_webhook_endpoint_remove(); `SAAS_EINVAL` (field
 *         `"overlap_seconds"`); `SAAS_ELIMIT` (already 10 secrets in overlap).
 */
SAAS_EXTERN(int) saas_webhook_endpoint_rotate_secret(char **out_secret, saas_ctx *ctx,
	const saas_scope *scope, const char *endpoint_id, int64_t overlap_seconds);

/**
 * An endpoint's current secret (the newest), for the receiver's setup.
 *
 * @param out receives it; free with saas_free_secret().
 * @return as saas_webhook_endpoint_remove().
 */
SAAS_EXTERN(int) saas_webhook_endpoint_secret(char **out, saas_ctx *ctx, const saas_scope *scope,
	const char *endpoint_id);

/**
 * The tenant's endpoints as a JSON array, oldest first: `id`, `url`,
 * `event_types`, `description`, `enabled`, `disabled_reason` (null,
 * `"manual"`, `"gone"` or `"failing"`), `failing_since`, `last_success_at`,
 * `created_at`, `updated_at` (RFC 3339 or null), `secrets` (how many sign),
 * `pending` (deliveries waiting). No secret.
 *
 * @param out receives the JSON text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND` (no such tenant); `SAAS_EDELETED`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_webhook_endpoint_list(char **out, saas_ctx *ctx, const saas_scope *scope);

/**
 * Deliveries of the tenant, newest first, as a JSON array: `id` (the
 * webhook-id), `endpoint_id`, `event_seq`, `event_type`, `status`
 * (`pending`, `succeeded`, `failed`, `cancelled`), `attempts`,
 * `next_attempt_at`, `last_status`, `created_at`, and `attempt_log`: every
 * attempt (`attempt`, `started_at`, `duration_ms`, `http_status` (0: no
 * response), `error`, `response`: the first 1024 bytes of the response
 * body, as text).
 *
 * @param out         receives the JSON text; free with saas_free().
 * @param endpoint_id only this endpoint's, or NULL for all.
 * @param limit       at most this many deliveries (1 to 1000; 0: 100).
 * @return as saas_webhook_endpoint_list(); `SAAS_EINVAL` (field `"limit"`, `"endpoint_id"`).
 */
SAAS_EXTERN(int) saas_webhook_deliveries(char **out, saas_ctx *ctx, const saas_scope *scope,
	const char *endpoint_id, unsigned limit);

/** The version of saas_webhook_worker_options this header describes. */
#define SAAS_WEBHOOK_WORKER_OPTIONS_VERSION 1u

/** How the delivery worker runs. Zero values take the defaults. */
typedef struct saas_webhook_worker_options {
	unsigned version;            /**< SAAS_WEBHOOK_WORKER_OPTIONS_VERSION */
	int forever;                 /**< 0: return once nothing is due (retries waiting for their time stay queued); 1: run until `should_stop` says so */
	int (*should_stop)(void *payload); /**< polled between steps (at least every `poll_ms`): non-zero stops the worker after its requests in flight finish; NULL: never */
	void *stop_payload;          /**< passed to `should_stop` */
	unsigned concurrency;        /**< requests in flight at once: 1 to 256; 0: 8 */
	int64_t connect_timeout_ms;  /**< 0: 5000 */
	int64_t timeout_ms;          /**< a whole attempt, connect included; 0: 15000 */
	int64_t poll_ms;             /**< how often an idle `forever` worker looks for work; 0: 1000 */
	const char *const *allow;    /**< CIDR ranges (`127.0.0.0/8`, `fd00::/8`) the address guard lets through (tests, intranets); NULL: none */
	size_t nallow;               /**< how many */
	int https_only;              /**< 1: refuse `http://` endpoints (the attempt fails) */
	const char *user_agent;      /**< NULL: `libsaas-webhooks/<version>` */
} saas_webhook_worker_options;

/** Defaults: return when idle, 8 in flight, 5 s to connect, 15 s per attempt. */
#define SAAS_WEBHOOK_WORKER_OPTIONS_INIT { SAAS_WEBHOOK_WORKER_OPTIONS_VERSION, 0, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0, NULL }

/** What one run of the worker did. */
typedef struct saas_webhook_worker_stats {
	uint64_t fanned_out;  /**< deliveries made from audit events */
	uint64_t attempts;    /**< requests made (or refused by the guard) */
	uint64_t succeeded;   /**< deliveries that got a 2xx */
	uint64_t retrying;    /**< failed attempts scheduled to retry */
	uint64_t failed;      /**< deliveries given up (attempts exhausted, 410) */
	uint64_t cancelled;   /**< deliveries dropped: their endpoint was disabled or removed */
	uint64_t disabled;    /**< endpoints disabled (410, or failing for 5 days) */
} saas_webhook_worker_stats;

/**
 * Run the delivery worker: fan new audit events out to the endpoints that
 * subscribe to them, then send due deliveries on libcurl's multi interface,
 * several at once, and record every attempt.
 *
 * - No redirects (a 3xx is a failure); connect and total timeouts.
 * - A 2xx succeeds. Any other answer or none is a failed attempt, retried
 *   after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (each ±20 %, so 8
 *   attempts in all). A `Retry-After` (seconds or an HTTP date) later than
 *   the schedule is followed, up to twice the step; 429, 502, 503, 504 and
 *   timeouts wait at least 60 s.
 * - 410 Gone disables the endpoint. An endpoint whose attempts have all
 *   failed for 5 days is disabled. Both are audited
 *   (`webhook.endpoint_disabled`, actor `system`).
 * - The address guard: a connection to a loopback, private, link-local,
 *   shared, multicast, documentation or otherwise reserved IPv4 or IPv6
 *   address is refused when the socket opens (after name resolution, so a
 *   DNS answer cannot slip past it), unless `allow` covers it.
 * - At least once: a delivery is leased to one worker while it is sent, and
 *   recorded after; a worker that dies mid-request leaves it to be sent
 *   again when the lease ends (the attempt's timeout plus 30 s). Several
 *   workers, in threads or processes, share the queue without sending one
 *   attempt twice.
 *
 * Times (schedules, leases, `webhook-timestamp`) come from the context's
 * clock.
 *
 * @param ctx       the context.
 * @param opts      NULL for SAAS_WEBHOOK_WORKER_OPTIONS_INIT.
 * @param out_stats receives what the run did (may be NULL).
 * @return `SAAS_OK`; `SAAS_EINVAL` (a bad option: its field; a malformed
 *         `allow` range, field `"allow[i]"`); `SAAS_ESTORE`; `SAAS_ENOMEM`;
 *         `SAAS_EINTERNAL` (libcurl could not start).
 */
SAAS_EXTERN(int) saas_webhook_worker_run(saas_ctx *ctx, const saas_webhook_worker_options *opts,
	saas_webhook_worker_stats *out_stats);

SAAS_END_DECL

#endif
