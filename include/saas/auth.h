/**
 * @file saas/auth.h
 * @brief Identity primitives in the store: passwords, sign-in, sessions, API keys (docs/auth.md).
 *
 * The pieces that need no store have their own headers: saas/password.h
 * (Argon2id), saas/apikey.h (the key format), saas/totp.h (RFC 6238) and
 * saas/ratelimit.h (GCRA). This header puts them together on the store:
 *
 * - **Passwords**: saas_password_set() stores a user's Argon2id hash;
 *   saas_login() checks it (rehashing on success when the policy's cost
 *   changed), under rate limits per account and per IP address, and gives
 *   an unknown email the same answer in the same time as a wrong password.
 * - **Sessions**: a 256-bit token (`sst_` + 43 base64url characters) shown
 *   once and stored only as its BLAKE2b-256 hash; idle and absolute expiry;
 *   rotation; revoke one or all; a list with the last-seen time (written at
 *   most once a minute, so validation stays a read).
 * - **API keys**: tenant-bound, named, with a set of permission patterns
 *   that can never exceed its creator's permissions; optional expiry; the
 *   last-used time (at most once a minute). saas_authorize() grants a key
 *   what both its patterns and its creator's current roles allow.
 *
 * TOTP factors and recovery codes are saas/mfa.h; one-time tokens (email
 * verification, password reset, magic links) are saas/token.h.
 *
 * Everything is configured by the context's auth policy (the
 * `auth_policy` option of saas_ctx_open(), JSON; see docs/auth.md,
 * "Policy"): the Argon2id cost, the session lifetimes, the login and MFA
 * rate limits, the one-time token lifetimes and the API key environment.
 *
 * Security events are audited: sign-ins, failed sign-ins (in their own
 * transaction, so they are kept), password changes, sessions revoked, MFA
 * enrolment and removal, recovery codes used and regenerated, tokens issued
 * and consumed (saas/mfa.h, saas/token.h), all in the deployment's stream
 * (SAAS_SYSTEM_TENANT_ID: users are deployment-wide); API keys created and
 * revoked in the key's tenant's stream. No secret, hash or code ever reaches an audit
 * event, a log line or an error message.
 *
 * Thread safety: the functions take the shared `saas_ctx`; every handle
 * they return belongs to one thread at a time.
 */
#ifndef SAAS_AUTH_H
#define SAAS_AUTH_H

#include "saas/common.h"
#include "saas/context.h"

SAAS_BEGIN_DECL

/** A session as stored (never its token). */
typedef struct saas_session saas_session;
/** An API key as stored (never the key). */
typedef struct saas_apikey saas_apikey;

/* ---- passwords and login ------------------------------------------------------ */

/**
 * Set (or replace) a user's password: checked against the policy of
 * saas_password_check_policy(), hashed with the auth policy's cost, stored,
 * and every session of the user revoked, in one transaction with the audit
 * event `user.password_changed` (deployment stream; metadata: the number of
 * sessions revoked).
 *
 * @param scope    who does it (recorded in the audit event).
 * @param user_id  the user (`usr_…`).
 * @param password the bytes (need not be NUL-terminated); never copied.
 * @param len      their number.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, a malformed user id,
 *         the policy's refusals with field `"password"`); `SAAS_ENOTFOUND`
 *         (field `"user_id"`); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_password_set(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                                   const char *password, size_t len);

/** Current version of `saas_login_request`. */
#define SAAS_LOGIN_REQUEST_VERSION 1

/** A sign-in attempt. Start from `SAAS_LOGIN_REQUEST_INIT` or saas_login_request_init(). */
typedef struct saas_login_request {
	unsigned version;        /**< `SAAS_LOGIN_REQUEST_VERSION` */
	const char *email;       /**< the email typed (normalised here) */
	const char *password;    /**< the password's bytes */
	size_t password_len;     /**< their number */
	/**
	 * A TOTP code or a recovery code, for a user with a confirmed TOTP
	 * factor; NULL when the client has not asked for one yet.
	 */
	const char *second_factor;
	const char *tenant_id;   /**< the tenant the session acts in, or NULL */
	const char *ip;          /**< the client's address (rate limit per IP, audit, session list), or NULL */
	const char *user_agent;  /**< the client's user agent, or NULL */
	const char *request_id;  /**< recorded in the audit events, or NULL */
} saas_login_request;

/** Static initialiser for `saas_login_request`. */
#define SAAS_LOGIN_REQUEST_INIT { SAAS_LOGIN_REQUEST_VERSION, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL }

/**
 * Fill `req` with `SAAS_LOGIN_REQUEST_INIT` (for callers that cannot use macros).
 * @return `SAAS_OK`; `SAAS_EINVAL` for a NULL `req` or an unknown `version`.
 */
SAAS_EXTERN(int) saas_login_request_init(saas_login_request *req, unsigned version);

/**
 * Sign a user in with email and password (and a second factor when the
 * user has one), and start a session.
 *
 * In order: the request is checked; one attempt is taken from the rate
 * limits of the account (`login:email:<normalised email>`) and of the IP
 * address (`login:ip:<ip>`), shared by every process through the store,
 * before any hashing; the password is verified (for an unknown email, or a
 * user without a password, a dummy verification of the same cost runs and
 * the answer is the same as for a wrong password); a second factor is
 * checked; the hash is renewed if the policy's cost changed; the session is
 * stored with the audit event `auth.login` and the account's limit reset.
 * A failure appends `auth.login_failed` (metadata: a `reason`) in its own
 * transaction.
 *
 * @param out_token      receives the session token, shown once: free with
 *                       saas_free_secret().
 * @param out_session    receives the session (may be NULL); free with saas_session_free().
 * @param out_retry_ms   receives, when rate-limited, the ms to wait (may be
 *                       NULL); 0 otherwise.
 * @return `SAAS_OK`;
 *         `SAAS_ESIGNATURE` (field `"credentials"`): the email is unknown,
 *         the user has no password, or the password is wrong (one message
 *         for all three);
 *         `SAAS_ERATELIMIT` (field `"email"` or `"ip"`): too many attempts,
 *         the message saying when to retry;
 *         `SAAS_EMFA` (field `"second_factor"`): the password is right and
 *         the user has a TOTP factor: ask for a code and try again;
 *         `SAAS_ESIGNATURE` (field `"second_factor"`): the code is wrong;
 *         `SAAS_EUSED` (field `"second_factor"`): the code was used already;
 *         `SAAS_ERATELIMIT` (field `"second_factor"`): too many wrong codes;
 *         `SAAS_EINVAL`: a NULL or malformed argument (email, ip, tenant
 *         id, a password longer than `SAAS_PASSWORD_MAX_BYTES`);
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_login(char **out_token, saas_session **out_session,
                            int64_t *out_retry_ms, saas_ctx *ctx, const saas_login_request *req);

/* ---- sessions ------------------------------------------------------------------- */

/**
 * Start a session for a user authenticated some other way (single sign-on,
 * a magic link): the token is made, stored hashed, and audited as
 * `session.created` (deployment stream).
 *
 * @param out_token receives the token, shown once: free with saas_free_secret().
 * @param out       receives the session (may be NULL).
 * @param scope     who does it; its IP address and user agent, if set, are
 *                  stored with the session.
 * @param user_id   the user.
 * @param tenant_id the tenant the session acts in, or NULL.
 * @param mfa       non-zero if a second factor was checked.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL or malformed arguments);
 *         `SAAS_ENOTFOUND` (field `"user_id"`); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_session_create(char **out_token, saas_session **out, saas_ctx *ctx,
                                     const saas_scope *scope, const char *user_id,
                                     const char *tenant_id, int mfa);

/**
 * Validate a presented session token: the session it names, if it is
 * neither revoked nor expired (idle: not seen for the policy's idle time;
 * absolute: older than its absolute lifetime). The answer may come from the
 * context's cache, which is current with this process's revocations at once
 * and with other processes' within `authz_refresh_ms`. The last-seen time
 * is written at most once a minute.
 *
 * @param out   receives the session; free with saas_session_free().
 * @param token the presented token.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `"token"`): NULL or not of the
 *         session token form (checked before any store access);
 *         `SAAS_ENOTFOUND` (field `"token"`): no such session;
 *         `SAAS_EEXPIRED` (field `"token"`): revoked, idle too long or past
 *         its absolute expiry (the message says which);
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_session_validate(saas_session **out, saas_ctx *ctx, const char *token);

/**
 * A scope for requests made with session `s`: actor the session's user,
 * tenant `tenant_id`, or the session's own when NULL.
 * @param out receives the scope; free with saas_scope_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out` or `s`; field `"tenant_id"`
 *         when neither names a tenant, or a malformed one); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_session_scope(saas_scope **out, const saas_session *s,
                                    const char *tenant_id);

/**
 * Replace a session's token (after a privilege change: a role granted, a
 * second factor checked, a tenant switched), keeping its user, tenant and
 * absolute expiry: the old session is revoked and a new one made in one
 * transaction, audited as `session.rotated`.
 *
 * @param out_token receives the new token: free with saas_free_secret().
 * @param out       receives the new session (may be NULL).
 * @param token     the current token.
 * @param tenant_id the tenant the new session acts in; NULL keeps the old one's.
 * @param mfa       non-zero marks the new session as having passed a second
 *                  factor; 0 keeps the old one's mark.
 * @return `SAAS_OK`; saas_session_validate()'s errors for `token`;
 *         `SAAS_EINVAL` for a malformed `tenant_id`; `SAAS_ESTORE`;
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_session_rotate(char **out_token, saas_session **out, saas_ctx *ctx,
                                     const char *token, const char *tenant_id, int mfa);

/**
 * Revoke one session, by id (`ses_…`), audited as `session.revoked`.
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND` (field `"session_id"`:
 *         none, or already revoked); `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_session_revoke(saas_ctx *ctx, const saas_scope *scope,
                                     const char *session_id);

/**
 * Revoke every session of a user, but `except_session_id` (NULL: none
 * spared), audited as `session.revoked_all` with the number revoked.
 * @param out_count receives how many were revoked (may be NULL).
 * @return `SAAS_OK` (also when there was none); `SAAS_EINVAL`;
 *         `SAAS_ENOTFOUND` (field `"user_id"`); `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_session_revoke_all(int64_t *out_count, saas_ctx *ctx,
                                         const saas_scope *scope, const char *user_id,
                                         const char *except_session_id);

/**
 * A user's live sessions (neither revoked nor expired), newest first.
 * @param out receives an array of `*n` sessions; free with saas_session_list_free().
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_session_list(saas_session ***out, size_t *n, saas_ctx *ctx,
                                   const char *user_id);

/** The session's id (`ses_…`). */
SAAS_EXTERN(const char *) saas_session_id(const saas_session *s);
/** The session's user (`usr_…`). */
SAAS_EXTERN(const char *) saas_session_user_id(const saas_session *s);
/** The tenant the session acts in, or NULL. */
SAAS_EXTERN(const char *) saas_session_tenant_id(const saas_session *s);
/** 1 if a second factor was checked for this session, else 0. */
SAAS_EXTERN(int) saas_session_mfa(const saas_session *s);
/** When it started (ms since the epoch). */
SAAS_EXTERN(int64_t) saas_session_created_at(const saas_session *s);
/** When it was last seen (ms; written at most once a minute). */
SAAS_EXTERN(int64_t) saas_session_last_seen_at(const saas_session *s);
/** When it ends if it is used (absolute expiry, ms). */
SAAS_EXTERN(int64_t) saas_session_expires_at(const saas_session *s);
/** When it ends if it is not used (last seen + the idle time, capped by the absolute expiry, ms). */
SAAS_EXTERN(int64_t) saas_session_idle_expires_at(const saas_session *s);
/** The client's IP address at sign-in, or NULL. */
SAAS_EXTERN(const char *) saas_session_ip(const saas_session *s);
/** The client's user agent at sign-in, or NULL. */
SAAS_EXTERN(const char *) saas_session_user_agent(const saas_session *s);
/** Free a session. NULL is fine. */
SAAS_EXTERN(void) saas_session_free(saas_session *s);
/** Free an array from saas_session_list(). NULL is fine. */
SAAS_EXTERN(void) saas_session_list_free(saas_session **list, size_t n);

/* ---- API keys ------------------------------------------------------------------- */

/**
 * Create an API key in the scope's tenant. The scope's actor must be a user
 * allowed `apikey:create`, and each of the key's permission patterns must
 * be allowed to that user (a pattern with wildcards only if every
 * permission it covers is): a key never exceeds its creator. Audited as
 * `apikey.created` (tenant stream; metadata: name, prefix, permissions).
 *
 * @param out_key     receives the key (saas/apikey.h form, with the policy's
 *                    environment), shown once: free with saas_free_secret().
 * @param out         receives the stored key (may be NULL).
 * @param name        1 to 200 printable characters.
 * @param permissions 1 to 100 patterns (`resource:action`, `*` wildcards).
 * @param n           their number.
 * @param expires_at  when it stops working (ms since the epoch, in the
 *                    future), or 0 for never.
 * @return `SAAS_OK`; `SAAS_EINVAL` (naming the field: `"name"`,
 *         `"permissions"` with the bad pattern, `"expires_at"`);
 *         `SAAS_EDENIED` (the actor is not a user, may not create keys, or
 *         lacks a permission: the message names it; also when the tenant
 *         is suspended, pending deletion or missing, as saas_authorize()
 *         explains); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_apikey_create(char **out_key, saas_apikey **out, saas_ctx *ctx,
                                    const saas_scope *scope, const char *name,
                                    const char *const *permissions, size_t n,
                                    int64_t expires_at);

/**
 * Verify a presented key: its form and checksum first, without the store
 * (saas_apikey_parse()), then the stored key by hash. Cached like sessions.
 * The last-used time is written at most once a minute.
 *
 * @param out receives the key; free with saas_apikey_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` / `SAAS_ESIGNATURE` (field `"key"`):
 *         saas_apikey_parse()'s refusals, before any store access;
 *         `SAAS_ENOTFOUND` (field `"key"`): no such key;
 *         `SAAS_EEXPIRED` (field `"key"`): revoked or expired (the message
 *         says which); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_apikey_verify(saas_apikey **out, saas_ctx *ctx, const char *key);

/**
 * A scope for requests made with key `k`: its tenant, actor the key
 * (`SAAS_ACTOR_APIKEY`, id `key_…`).
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_apikey_scope(saas_scope **out, const saas_apikey *k);

/**
 * Revoke a key of the scope's tenant (the actor needs `apikey:revoke`),
 * audited as `apikey.revoked`.
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_EDENIED`; `SAAS_ENOTFOUND` (field
 *         `"key_id"`: none, or already revoked); `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_apikey_revoke(saas_ctx *ctx, const saas_scope *scope, const char *key_id);

/**
 * The keys of the scope's tenant, revoked ones included, newest first (the
 * actor needs `apikey:read`).
 * @param out receives an array of `*n` keys; free with saas_apikey_list_free().
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_EDENIED`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_apikey_list(saas_apikey ***out, size_t *n, saas_ctx *ctx,
                                  const saas_scope *scope);

/** The key's id (`key_…`). */
SAAS_EXTERN(const char *) saas_apikey_id(const saas_apikey *k);
/** Its tenant. */
SAAS_EXTERN(const char *) saas_apikey_tenant_id(const saas_apikey *k);
/** Its name. */
SAAS_EXTERN(const char *) saas_apikey_name(const saas_apikey *k);
/** Its display prefix (`sk_live_4VbX`), not secret. */
SAAS_EXTERN(const char *) saas_apikey_prefix(const saas_apikey *k);
/** How many permission patterns it has. */
SAAS_EXTERN(size_t) saas_apikey_permission_count(const saas_apikey *k);
/** Its `i`-th permission pattern, or NULL past the end. */
SAAS_EXTERN(const char *) saas_apikey_permission(const saas_apikey *k, size_t i);
/** The user who created it (whose roles also bound it). */
SAAS_EXTERN(const char *) saas_apikey_created_by(const saas_apikey *k);
/** When it was created (ms). */
SAAS_EXTERN(int64_t) saas_apikey_created_at(const saas_apikey *k);
/** When it expires (ms), or 0 for never. */
SAAS_EXTERN(int64_t) saas_apikey_expires_at(const saas_apikey *k);
/** When it was last used (ms, at most a minute behind), or 0 for never. */
SAAS_EXTERN(int64_t) saas_apikey_last_used_at(const saas_apikey *k);
/** When it was revoked (ms), or 0. */
SAAS_EXTERN(int64_t) saas_apikey_revoked_at(const saas_apikey *k);
/** Free a key. NULL is fine. */
SAAS_EXTERN(void) saas_apikey_free(saas_apikey *k);
/** Free an array from saas_apikey_list(). NULL is fine. */
SAAS_EXTERN(void) saas_apikey_list_free(saas_apikey **list, size_t n);

SAAS_END_DECL

#endif
