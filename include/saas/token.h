/**
 * @file saas/token.h
 * @brief One-time tokens: email verification, password reset, magic links (docs/auth.md, "One-time tokens").
 *
 * A one-time token is 256 random bits (libsodium) as text: a prefix that
 * names its purpose (`vfy_`, `rst_`, `mgl_`) and 43 base64url characters.
 * It is shown once, to be sent by email in a link, and stored only as its
 * BLAKE2b-256 hash, with the user it was made for, that user's email at
 * the time and an expiry (by purpose, from the auth policy: 24 hours, 1
 * hour and 15 minutes by default). Issuing a token deletes the user's
 * earlier unconsumed tokens of the same purpose, so only the newest link
 * works.
 *
 * A token is consumed at most once: one conditional update marks it, so of
 * two concurrent requests with the same token only one succeeds. A token
 * whose user's email has changed since it was issued is refused
 * (`SAAS_ESTATE`): a link sent to the old address must not act for the new
 * one. An expired token is left as it is (not marked consumed) and is
 * refused with `SAAS_EEXPIRED` every time; a consumed one with `SAAS_EUSED`.
 *
 * What consuming means is the application's: for `SAAS_TOKEN_VERIFY_EMAIL`
 * it records the email as verified; for `SAAS_TOKEN_MAGIC_LINK` it signs
 * the user in with saas_session_create() (saas/auth.h). A password reset
 * is done by the library in one step, saas_password_reset().
 *
 * Audit events, in the deployment's stream, target `user` and the user's
 * id: `token.issued` (metadata `purpose`, `expires_at`) and
 * `token.consumed` (`purpose`). No token or hash ever reaches an event, a
 * log line or an error message.
 *
 * Thread safety: the functions take the shared `saas_ctx` and may be
 * called from any thread.
 */
#ifndef SAAS_TOKEN_H
#define SAAS_TOKEN_H

#include "saas/common.h"
#include "saas/context.h"

SAAS_BEGIN_DECL

/** What a one-time token is for. */
typedef enum saas_token_purpose {
	SAAS_TOKEN_VERIFY_EMAIL = 1,  /**< prove the user reads the email (`vfy_`; 24 h) */
	SAAS_TOKEN_RESET_PASSWORD = 2,/**< set a new password (`rst_`; 1 h) */
	SAAS_TOKEN_MAGIC_LINK = 3     /**< sign in without a password (`mgl_`; 15 min) */
} saas_token_purpose;

/** The length of a token (prefix and 43 base64url characters), without the NUL. */
#define SAAS_TOKEN_LEN 47
/** The shortest lifetime saas_token_issue() takes, in ms (1 minute). */
#define SAAS_TOKEN_TTL_MIN_MS 60000LL
/** The longest lifetime saas_token_issue() takes, in ms (30 days). */
#define SAAS_TOKEN_TTL_MAX_MS (30LL * 24 * 3600 * 1000)

/**
 * Issue a token of `purpose` for a user, bound to the user's current email.
 * The user's earlier unconsumed tokens of the same purpose are deleted in
 * the same transaction. One issue is first taken from the rate limit
 * `token:<purpose name>:<user_id>` (`verify_email`, `reset_password`,
 * `magic_link`; the auth policy's `tokens.issue`, by default 3 per 10
 * minutes), so that nobody can flood a user's mailbox. Audited as
 * `token.issued`.
 *
 * @param out_token receives the token, shown once; free with saas_free_secret().
 * @param ctx       the context.
 * @param scope     who asks (recorded in the audit event); borrowed.
 * @param purpose   a saas_token_purpose.
 * @param user_id   the user (`usr_…`).
 * @param ttl_ms    its lifetime in ms, `SAAS_TOKEN_TTL_MIN_MS` to
 *                  `SAAS_TOKEN_TTL_MAX_MS`, or 0 for the policy's lifetime
 *                  of the purpose.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `ctx`, `out_token` or `scope`,
 *         each naming its field; a malformed `user_id`; fields
 *         `"purpose"`, `"ttl_ms"`); `SAAS_ERATELIMIT` (field `"user_id"`:
 *         too many tokens of this purpose for the user lately; the message
 *         says when to retry); `SAAS_ENOTFOUND` (field `"user_id"`: no
 *         such user); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_token_issue(char **out_token, saas_ctx *ctx, const saas_scope *scope,
                                  int purpose, const char *user_id, int64_t ttl_ms);

/**
 * Consume a token of `purpose`: mark it used, once, and say whose it is.
 * Audited as `token.consumed`. The form of the token is checked before the
 * store is touched.
 *
 * @param out_user_id receives the id of the token's user (may be NULL);
 *                    free with saas_free().
 * @param scope       who presents it (recorded in the audit event); borrowed.
 * @param purpose     the saas_token_purpose the caller expects.
 * @param token       the token as presented. Never quoted in messages.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `ctx` or `scope`; field
 *         `"purpose"`; field `"token"`: NULL, not of the form, or of
 *         another purpose's prefix); `SAAS_ENOTFOUND` (field `"token"`: no
 *         such token, or one replaced by a newer one); `SAAS_EUSED` (field
 *         `"token"`: consumed already); `SAAS_EEXPIRED` (field `"token"`);
 *         `SAAS_ESTATE` (field `"token"`: the user's email changed since
 *         the token was issued); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_token_consume(char **out_user_id, saas_ctx *ctx, const saas_scope *scope,
                                    int purpose, const char *token);

/**
 * Reset a password with a `SAAS_TOKEN_RESET_PASSWORD` token. The new
 * password is checked against the policy (saas_password_check_policy())
 * and the token's state is checked before anything is hashed or consumed;
 * then, in one transaction, the token is consumed (`token.consumed`), the
 * new Argon2id hash stored, and every session of the user revoked
 * (`user.password_changed`).
 *
 * @param scope        who presents the token; borrowed.
 * @param token        the reset token. Never quoted in messages.
 * @param new_password the new password's bytes (need not be
 *                     NUL-terminated); never copied.
 * @param len          their number.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `ctx` or `scope`; field
 *         `"token"` as for saas_token_consume(); field `"password"`: the
 *         policy's refusals); the errors of saas_token_consume() for the
 *         token (`SAAS_ENOTFOUND`, `SAAS_EUSED`, `SAAS_EEXPIRED`,
 *         `SAAS_ESTATE`, field `"token"`); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_password_reset(saas_ctx *ctx, const saas_scope *scope, const char *token,
                                     const char *new_password, size_t len);

SAAS_END_DECL

#endif
