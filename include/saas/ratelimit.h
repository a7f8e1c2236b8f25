/**
 * @file saas/ratelimit.h
 * @brief Rate limits with GCRA, in memory (docs/auth.md, "Rate limits").
 *
 * The generic cell rate algorithm keeps one number per key, its theoretical
 * arrival time (TAT): with a policy of `count` requests per `period_ms` and
 * a `burst`, each request of quantity q moves the key's TAT forward by
 * q × T (T = period_ms / count, the emission interval, from the later of the
 * TAT and now), and is refused when that TAT would be more than burst × T
 * ahead of now. So a fresh key may take `burst` at once, then one more every
 * T; in any window of W ms a key is granted at most burst + W / T. No
 * background refill is needed, and the answer says when to retry.
 *
 * A limiter (saas_ratelimiter) is in-process: keys (any string: an
 * account, an IP address, an API key) of one process. Several processes
 * share a limit through the store with saas_ratelimit_take_shared().
 *
 * Thread safety: a limiter may be used from any number of threads at once.
 */
#ifndef SAAS_RATELIMIT_H
#define SAAS_RATELIMIT_H

#include "saas/common.h"
#include "saas/context.h"

SAAS_BEGIN_DECL

/** A policy: `count` per `period_ms`, at most `burst` at once. */
typedef struct saas_ratelimit_policy {
	unsigned count;    /**< requests per period, 1 or more */
	int64_t period_ms; /**< the period, 1 ms to 366 days */
	unsigned burst;    /**< requests a fresh key may make at once, 1 or more */
} saas_ratelimit_policy;

/** The answer to one request, allowed or not. */
typedef struct saas_ratelimit_result {
	int allowed;            /**< 1 allowed, 0 refused */
	unsigned limit;         /**< the policy's burst */
	unsigned remaining;     /**< requests of quantity 1 the key could make now */
	int64_t retry_after_ms; /**< refused: when this request would be allowed; allowed: 0 */
	int64_t reset_after_ms; /**< when the key is back to a full burst */
} saas_ratelimit_result;

/** A set of keys and their TATs. */
typedef struct saas_ratelimiter saas_ratelimiter;

/**
 * Make a limiter holding at most `max_keys` keys (1 to 10,000,000). When it
 * is full, keys that are back to a full burst are dropped first (forgetting
 * them changes nothing); if none is, the one closest to it among a sample
 * is dropped (it then starts fresh), so memory stays bounded.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`, field `"out"`; `max_keys`
 *         out of range, field `"max_keys"`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_ratelimiter_new(saas_ratelimiter **out, size_t max_keys);

/** Free a limiter. `rl` may be NULL. */
SAAS_EXTERN(void) saas_ratelimiter_free(saas_ratelimiter *rl);

/**
 * Ask for `quantity` (1 or more) under policy `p` for `key` at time `now_ms`
 * (ms since the epoch, e.g. saas_ctx_now()): granted and counted, or refused
 * and not counted.
 * @param out  receives the answer (may be NULL).
 * @param key  1 to 512 bytes (copied; not interpreted).
 * @return `SAAS_OK` allowed; `SAAS_ERATELIMIT` refused (the message says
 *         when to retry); `SAAS_EINVAL` (a NULL or bad argument, naming the
 *         field: `"key"`, `"policy"` with the bad value, `"quantity"` — a
 *         quantity above the burst can never be granted); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_ratelimit_take(saas_ratelimit_result *out, saas_ratelimiter *rl,
                                     const char *key, const saas_ratelimit_policy *p,
                                     unsigned quantity, int64_t now_ms);

/**
 * The same as saas_ratelimit_take(), but the key's TAT is kept in the
 * context's store (the `rate_limits` table), so that every process using
 * the store shares one limit: the check and the update are one
 * compare-and-set, retried when another process changed the key in
 * between, so no interleaving of processes or threads grants more than the
 * policy allows. The time is the context's clock. Costs a store round trip
 * or two; rows of keys back to a full burst are deleted now and then.
 *
 * @return `SAAS_OK` allowed; `SAAS_ERATELIMIT` refused (the message says
 *         when to retry; `out->retry_after_ms` too); `SAAS_EINVAL` as
 *         saas_ratelimit_take() (and a NULL `ctx`); `SAAS_ECONFLICT` if the
 *         key kept changing under it (heavy contention: try again);
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_ratelimit_take_shared(saas_ratelimit_result *out, saas_ctx *ctx,
                                            const char *key, const saas_ratelimit_policy *p,
                                            unsigned quantity);

/**
 * Forget a key of the shared limiter (it starts again with a full burst):
 * after a successful sign-in, say.
 * @return `SAAS_OK` (also when the key had no row); `SAAS_EINVAL` (NULL
 *         `ctx`, a NULL, empty or over-long key); `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_ratelimit_reset_shared(saas_ctx *ctx, const char *key);

/** How many keys the limiter holds now. */
SAAS_EXTERN(size_t) saas_ratelimiter_size(saas_ratelimiter *rl);

SAAS_END_DECL

#endif
