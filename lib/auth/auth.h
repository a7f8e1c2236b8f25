/*
 * The identity primitives as the rest of lib/auth sees them: the context's
 * auth policy (docs/auth.md, "Policy"), the shared rate limit, and the
 * pieces one file offers another (password set inside a transaction, the
 * security audit events of a user).
 */
#ifndef SAAS_AUTH_INTERNAL_H
#define SAAS_AUTH_INTERNAL_H

#include "saas/auth.h"
#include "saas/apikey.h"
#include "saas/id.h"
#include "saas/password.h"
#include "saas/ratelimit.h"
#include "../store/store.h"

/* One-time token purposes, also the index of their lifetimes below. */
enum { SAAS__TOKEN_PURPOSES = 4 };

/* The auth policy: what the `auth_policy` option of the context says, the
 * defaults filled in (docs/auth.md lists them). Fixed once the context is
 * open. */
struct saas__auth_policy {
	saas_password_params password;     /* Argon2id cost of new hashes */
	saas_password_params recovery;     /* Argon2id cost of recovery codes */
	int64_t session_idle_ms;           /* not seen for this long: expired */
	int64_t session_absolute_ms;       /* older than this: expired */
	saas_ratelimit_policy login_account; /* sign-in attempts per email */
	saas_ratelimit_policy login_ip;      /* sign-in attempts per IP address */
	saas_ratelimit_policy mfa;           /* second-factor attempts per user */
	saas_ratelimit_policy token_issue;   /* one-time tokens issued per user and purpose */
	int64_t token_ttl_ms[SAAS__TOKEN_PURPOSES]; /* lifetime by purpose (index 0 unused) */
	char apikey_env[SAAS_APIKEY_ENV_MAX + 1]; /* environment of new API keys */
};

struct saas__auth;
/* Parse `policy_json` (NULL: the defaults) into the context's auth state;
 * SAAS_EINVAL (field "auth_policy", the message naming the bad key) for a
 * malformed policy. */
int saas__auth_new(struct saas__auth **out, const char *policy_json); /* also in core.h */
void saas__auth_free(struct saas__auth *a);
/* The context's policy. */
const struct saas__auth_policy *saas__auth_policy(saas_ctx *ctx);

/* Whether `env` is a key environment saas_apikey_generate() takes (1 to
 * SAAS_APIKEY_ENV_MAX of [a-z]); apikey_format.c. */
int saas__apikey_env_valid(const char *env);

/* The built-in policy (what an empty auth_policy gives). */
const struct saas__auth_policy *saas__auth_default_policy(void);

/* Caches of validated secrets (policy.c): slot by the secret's hash (64
 * hex), one entry per slot, each a copy made by the caller. An entry older
 * than `max_age_ms` (the context's authz_refresh_ms) is not returned, so
 * other processes' revocations are seen within that bound; this process's
 * drop the entry at once (saas__tcache_drop by the session's or key's id;
 * NULL id drops everything). */
enum { SAAS__CACHE_SESSIONS = 0, SAAS__CACHE_APIKEYS = 1 };
struct saas__tcache;
struct saas__tcache *saas__auth_cache(saas_ctx *ctx, int which);
/* A copy (made by `copy`) of the value cached for `hash`, or NULL. */
void *saas__tcache_get(struct saas__tcache *c, const char *hash, int64_t now_ms,
                       int64_t max_age_ms, void *(*copy)(const void *));
/* Cache `value` (owned by the cache from now on) for `hash`, known by `id`. */
void saas__tcache_put(struct saas__tcache *c, const char *hash, const char *id, void *value,
                      int64_t now_ms);
void saas__tcache_drop(struct saas__tcache *c, const char *id);
/* Cache a copy of `value` (made by `copy`); out of memory: nothing cached. */
void saas__tcache_put_copy(struct saas__tcache *c, const char *hash, const char *id,
                           const void *value, void *(*copy)(const void *), int64_t now_ms);

/* GCRA (ratelimit.c), shared by the in-memory and the store limiters:
 * check the arguments and work out the policy's constants (ns), then
 * decide one request given the key's TAT (`found` false: a fresh key). */
struct saas__gcra {
	int64_t t, tau, now; /* emission interval, burst tolerance, now: ns */
	unsigned quantity, burst;
	size_t key_len;
};
int saas__gcra_init(struct saas__gcra *g, saas_ratelimit_result *out, const char *key,
                    const saas_ratelimit_policy *p, unsigned quantity, int64_t now_ms);
/* SAAS_OK (allowed: *next is the key's new TAT) or SAAS_ERATELIMIT (the
 * error set, saying when to retry); `out` (may be NULL) filled either way. */
int saas__gcra_decide(saas_ratelimit_result *out, int64_t *next, const struct saas__gcra *g,
                      bool found, int64_t tat);

/* Take `quantity` under `p` for `key` from the limit shared through the
 * store (rate_limits); as saas_ratelimit_take_shared(). */
int saas__ratelimit_shared(saas_ratelimit_result *out, saas_ctx *ctx, const char *key,
                           const saas_ratelimit_policy *p, unsigned quantity);

/* Store `hash` as `user_id`'s password and revoke all the user's sessions
 * in `tx` (global), appending `user.password_changed`; *out_revoked (may
 * be NULL) gets how many sessions. */
int saas__password_set_tx(int64_t *out_revoked, saas_tx *tx, const saas_scope *scope,
                          const char *user_id, const char *hash);

/* A scope for auth events without a caller's scope: actor `user_id` (NULL:
 * the system actor "auth"), no tenant, with the client's ip, user agent and
 * request id when given (bad ones are dropped, not errors). */
int saas__auth_scope(saas_scope **out, const char *user_id, const char *ip,
                     const char *user_agent, const char *request_id);

/* Append a security event to the deployment stream in its own transaction
 * (for failures, which must survive the caller's rollback). Errors are
 * logged, not returned: a failed sign-in must still answer. */
void saas__auth_audit_alone(saas_ctx *ctx, const saas_scope *scope, const char *action,
                            const char *target_type, const char *target_id, json_t *metadata);

/* The second-factor step of saas_login() (lib/auth/mfa.c): SAAS_OK when
 * `user_id` has no confirmed TOTP factor (*out_checked = 0) or `code` (a
 * TOTP code or a recovery code) is accepted and consumed (*out_checked =
 * 1); SAAS_EMFA (field "second_factor") when the user has a factor and
 * `code` is NULL; otherwise saas_mfa_verify()'s errors, with the field
 * "second_factor". Audits as saas_mfa_verify() does. */
int saas__mfa_login_check(int *out_checked, saas_ctx *ctx, const saas_scope *scope,
                          const char *user_id, const char *code);

#endif
