/**
 * @file saas/mfa.h
 * @brief TOTP factors and recovery codes in the store (docs/auth.md, "TOTP factors and recovery codes").
 *
 * A user has at most one TOTP factor (RFC 6238, saas/totp.h). Enrolment is
 * two steps: saas_mfa_totp_enroll() makes a secret and stores it as a
 * pending factor, which the user scans into an authenticator app;
 * saas_mfa_totp_confirm() checks a first code, turns the factor on and
 * hands out 10 single-use recovery codes, shown once. From then on
 * saas_mfa_verify() (and saas_login(), for a user with a factor) takes a
 * TOTP code or a recovery code.
 *
 * Replays: a factor remembers the newest time step it accepted, and a code
 * of that step or an older one is refused with `SAAS_EUSED`; the check and
 * the update are one compare-and-set, so two requests racing with the same
 * code cannot both pass. A recovery code is marked used the same way.
 *
 * Recovery codes look like `k7m2p-qx4za`: 10 characters of the RFC 4648
 * base32 alphabet in lower case (50 random bits from libsodium), typed
 * with or without the dash, in any case. They are stored only as Argon2id
 * strings (the auth policy's `recovery_codes` cost).
 *
 * Attempts are throttled per user through the store (the rate limit key
 * `mfa:<user_id>`, the auth policy's `mfa` limit: by default 5 per 30
 * minutes): each attempt takes one, a successful one gives the key a full
 * burst again.
 *
 * Audit events, in the deployment's stream (users are deployment-wide),
 * target `user` and the user's id: `mfa.enrollment_started` (metadata
 * `algorithm`, `digits`), `mfa.enrolled` (the same), `mfa.failed`
 * (`method`: `totp` or `recovery_code`; `reason`: `wrong_code` or
 * `used_code`; recorded in its own transaction, so it is kept),
 * `mfa.recovery_code_used` (`codes_left`), `mfa.recovery_codes_regenerated`
 * (`codes`), `mfa.removed` (`confirmed`). A successful TOTP check is not
 * audited by itself (saas_login() records the sign-in). No secret, code or
 * hash ever reaches an event, a log line or an error message.
 *
 * Thread safety: the functions take the shared `saas_ctx` and may be
 * called from any thread.
 */
#ifndef SAAS_MFA_H
#define SAAS_MFA_H

#include "saas/common.h"
#include "saas/context.h"

SAAS_BEGIN_DECL

/** How many recovery codes a user is given. */
#define SAAS_MFA_RECOVERY_CODES 10
/** The length of a recovery code as handed out (`k7m2p-qx4za`), without the NUL. */
#define SAAS_MFA_RECOVERY_CODE_LEN 11

/**
 * Start enrolling a TOTP factor: make a random secret (20 bytes for SHA-1,
 * 32 for SHA-256, 64 for SHA-512, as RFC 6238 advises) and store it as the
 * user's pending factor, replacing a pending one from an earlier call.
 * Show the URI as a QR code (or the secret as text); the factor is off
 * until saas_mfa_totp_confirm() sees a code of it. Audited as
 * `mfa.enrollment_started`.
 *
 * @param out_secret receives the secret as base32 text; free with
 *                   saas_free_secret().
 * @param out_uri    receives the `otpauth://totp/...` URI, whose account
 *                   is the user's email; free with saas_free_secret() (it
 *                   holds the secret).
 * @param ctx        the context.
 * @param scope      who does it (recorded in the audit event); borrowed.
 * @param user_id    the user (`usr_…`).
 * @param issuer     the service's name shown by the app (1 to 256 bytes
 *                   of UTF-8 text without control characters), or NULL.
 * @param algorithm  a saas_totp_algorithm (saas/totp.h), or 0 for
 *                   `SAAS_TOTP_SHA1`, the one every app supports.
 * @param digits     6 or 8, or 0 for 6.
 * @return `SAAS_OK`; `SAAS_EINVAL` (a NULL `ctx`, `out_secret`,
 *         `out_uri` or `scope`, each naming its field; a malformed
 *         `user_id`; fields `"issuer"`, `"algorithm"`, `"digits"`);
 *         `SAAS_ENOTFOUND` (field `"user_id"`: no such user);
 *         `SAAS_EEXISTS` (field `"user_id"`: the user has a confirmed
 *         factor; remove it first); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_mfa_totp_enroll(char **out_secret, char **out_uri, saas_ctx *ctx,
                                      const saas_scope *scope, const char *user_id,
                                      const char *issuer, int algorithm, unsigned digits);

/**
 * Finish enrolling: check `code` against the pending factor (one time step
 * of drift either side), turn the factor on, remember the code's step (so
 * that it cannot be used again to sign in) and make 10 new recovery codes,
 * replacing any earlier ones. Audited as `mfa.enrolled`.
 *
 * @param out_codes receives the recovery codes (like `k7m2p-qx4za`), shown
 *                  once: an array of `*out_n` strings followed by NULL;
 *                  free with saas_mfa_codes_free().
 * @param out_n     receives their number (`SAAS_MFA_RECOVERY_CODES`).
 * @param scope     who does it; borrowed.
 * @param user_id   the user.
 * @param code      the code the app shows now (6 or 8 digits, spaces
 *                  between them ignored). Never quoted in messages.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, each naming its field;
 *         a malformed `user_id`; field `"code"`: not the factor's number
 *         of digits); `SAAS_ENOTFOUND` (field `"user_id"`: no pending
 *         factor); `SAAS_EEXISTS` (field `"user_id"`: the factor is
 *         already confirmed); `SAAS_ESIGNATURE` (field `"code"`: the code
 *         is wrong); `SAAS_ECONFLICT` (the pending factor was replaced
 *         meanwhile by another enrolment); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_mfa_totp_confirm(char ***out_codes, size_t *out_n, saas_ctx *ctx,
                                       const saas_scope *scope, const char *user_id,
                                       const char *code);

/**
 * Check a second factor: a TOTP code of the user's confirmed factor (6 or
 * 8 digits) or one of the user's recovery codes (like `k7m2p-qx4za`, any
 * case, the dash optional). One attempt is first taken from the rate limit
 * `mfa:<user_id>`. A TOTP code is accepted for the newest step of the
 * window (one step either side) it matches, if that step is newer than the
 * last one accepted, which it becomes; a recovery code is marked used
 * (audited as `mfa.recovery_code_used`). Both happen by compare-and-set,
 * so of two concurrent requests with one code only one passes. A success
 * resets the rate limit; a wrong or used code is audited as `mfa.failed`.
 *
 * @param scope   who does it; borrowed.
 * @param user_id the user.
 * @param code    the code typed. Never quoted in messages.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, each naming its field;
 *         a malformed `user_id`; field `"code"`: neither 6 to 8 digits nor
 *         10 base32 characters; checked before the rate limit);
 *         `SAAS_ERATELIMIT` (field `"code"`: too many attempts; the
 *         message says when to retry); `SAAS_ENOTFOUND` (field
 *         `"user_id"`: the user has no confirmed factor);
 *         `SAAS_ESIGNATURE` (field `"code"`: wrong code); `SAAS_EUSED`
 *         (field `"code"`: a TOTP code of a step already accepted, or a
 *         recovery code used before); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_mfa_verify(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                                 const char *code);

/**
 * Replace all the user's recovery codes by 10 new ones (the old ones stop
 * working at once). Audited as `mfa.recovery_codes_regenerated`.
 *
 * @param out_codes receives the codes, as for saas_mfa_totp_confirm();
 *                  free with saas_mfa_codes_free().
 * @param out_n     receives their number.
 * @param scope     who does it; borrowed.
 * @param user_id   the user.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, each naming its field;
 *         a malformed `user_id`); `SAAS_ENOTFOUND` (field `"user_id"`: the
 *         user has no confirmed factor); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_mfa_recovery_regenerate(char ***out_codes, size_t *out_n, saas_ctx *ctx,
                                              const saas_scope *scope, const char *user_id);

/**
 * Remove the user's TOTP factor, pending or confirmed, and every recovery
 * code. Audited as `mfa.removed` (metadata `confirmed`: whether the factor
 * was on). Whether the actor may do this (a recent sign-in, a code) is the
 * application's decision.
 *
 * @param scope   who does it; borrowed.
 * @param user_id the user.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `ctx` or `scope`, a malformed
 *         `user_id`); `SAAS_ENOTFOUND` (field `"user_id"`: the user has no
 *         factor); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_mfa_remove(saas_ctx *ctx, const saas_scope *scope, const char *user_id);

/**
 * Whether the user has a confirmed TOTP factor, and how many recovery
 * codes are left. A user who does not exist has none (no error).
 *
 * @param out_enabled       receives 1 or 0 (may be NULL).
 * @param out_recovery_left receives the number of unused recovery codes
 *                          (may be NULL).
 * @param user_id           the user.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `ctx`, a malformed `user_id`);
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_mfa_status(int *out_enabled, unsigned *out_recovery_left, saas_ctx *ctx,
                                 const char *user_id);

/**
 * Free recovery codes handed out by saas_mfa_totp_confirm() or
 * saas_mfa_recovery_regenerate(), wiping each. `codes` may be NULL.
 */
SAAS_EXTERN(void) saas_mfa_codes_free(char **codes, size_t n);

SAAS_END_DECL

#endif
