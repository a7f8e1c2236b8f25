/**
 * @file saas/totp.h
 * @brief One-time passwords: HOTP (RFC 4226), TOTP (RFC 6238) and base32
 *        (RFC 4648) (docs/auth.md, "TOTP").
 *
 * The functions here are pure: they touch no storage and need no context.
 * A TOTP secret travels as base32 text (RFC 4648 §6: `A-Z` and `2-7`), the
 * form authenticator apps show and take; on input, lower case letters,
 * spaces and trailing `=` padding are accepted. A code is the HMAC of the
 * 8-byte big-endian counter (for TOTP, the time step `floor(unix_seconds /
 * 30)`) under the secret, dynamically truncated to 31 bits and reduced to 6
 * to 8 decimal digits (RFC 4226 §5.3).
 *
 * Replays: RFC 6238 §5.2 forbids accepting a code twice.
 * saas_totp_check() returns the time step it matched, so that the caller
 * refuses any step at or before the last one it accepted for the same
 * secret (and remembers the new one in the same transaction as the login).
 * saas/mfa.h does this in the store, with recovery codes. Throttle attempts
 * too (saas/ratelimit.h):
 * a 6-digit code is guessed with probability about 3 in a million per try
 * with a window of 1.
 *
 * Secrets never appear in error messages, and the library wipes every
 * temporary copy of one.
 *
 * Thread safety: every function here may be called from any thread.
 */
#ifndef SAAS_TOTP_H
#define SAAS_TOTP_H

#include "saas/common.h"

SAAS_BEGIN_DECL

/** The HMAC a one-time password is computed with. */
typedef enum saas_totp_algorithm {
	SAAS_TOTP_SHA1 = 1,   /**< HMAC-SHA-1: the RFC 4226 default, what authenticator apps expect */
	SAAS_TOTP_SHA256 = 2, /**< HMAC-SHA-256 (RFC 6238) */
	SAAS_TOTP_SHA512 = 3  /**< HMAC-SHA-512 (RFC 6238) */
} saas_totp_algorithm;

/** The time step of TOTP, in seconds (RFC 6238's default X; T0 is the Unix epoch). */
#define SAAS_TOTP_PERIOD 30
/** The size of a buffer that holds any code: 8 digits and the NUL. */
#define SAAS_TOTP_CODE_SIZE 9
/** The default size of a new secret, in bytes (160 bits, the size of an HMAC-SHA-1). */
#define SAAS_TOTP_SECRET_BYTES 20
/** The largest window saas_totp_check() takes, in steps either side. */
#define SAAS_TOTP_WINDOW_MAX 10

/**
 * Make a new random TOTP secret (libsodium's CSPRNG) as base32 text: upper
 * case, without padding (32 characters for 20 bytes), as authenticator apps
 * take it.
 *
 * @param out_base32 receives the secret; free with saas_free_secret().
 * @param nbytes     random bytes, 16 to 64; 0 means SAAS_TOTP_SECRET_BYTES
 *                   (20). RFC 6238 advises the size of the HMAC's output:
 *                   20 for SHA-1, 32 for SHA-256, 64 for SHA-512.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out_base32`, field `"out"`;
 *         `nbytes` out of range, field `"nbytes"`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_totp_secret_new(char **out_base32, size_t nbytes);

/**
 * The HOTP code (RFC 4226) of a raw key and a counter: HMAC of the counter
 * as 8 big-endian bytes, dynamic truncation, the last `digits` decimal
 * digits (with leading zeros).
 *
 * @param out       receives the code and a NUL (SAAS_TOTP_CODE_SIZE bytes);
 *                  set to "" on error.
 * @param key       the key (borrowed; not kept), 1 to 1024 bytes.
 * @param keylen    its length.
 * @param counter   the moving factor.
 * @param digits    6, 7 or 8.
 * @param algorithm a saas_totp_algorithm.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`, field `"out"`; NULL key or
 *         a length out of range, field `"key"`; field `"digits"`; an unknown
 *         algorithm, field `"algorithm"`); `SAAS_EINTERNAL` (the HMAC failed).
 */
SAAS_EXTERN(int) saas_hotp_code(char out[9], const unsigned char *key, size_t keylen,
                                uint64_t counter, int digits, int algorithm);

/**
 * The TOTP code (RFC 6238) of a base32 secret at a time: the HOTP code of
 * the step `floor(unix_seconds / SAAS_TOTP_PERIOD)`. For showing a code (a
 * test, a hardware token's check); to verify one use saas_totp_check().
 *
 * @param out           receives the code and a NUL (SAAS_TOTP_CODE_SIZE
 *                      bytes); set to "" on error.
 * @param secret_base32 the secret (borrowed): base32 of 10 to 128 bytes
 *                      (16 to 205 characters); lower case, spaces and
 *                      trailing `=` are accepted.
 * @param unix_seconds  the time, 0 or later (the application's clock; the
 *                      library never reads the time here).
 * @param digits        6, 7 or 8.
 * @param algorithm     a saas_totp_algorithm.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`, field `"out"`; a NULL or
 *         malformed secret, field `"secret"`, the message naming the
 *         position of a bad character, never the secret; a negative time,
 *         field `"unix_seconds"`; fields `"digits"`, `"algorithm"`);
 *         `SAAS_ENOMEM`; `SAAS_EINTERNAL`.
 */
SAAS_EXTERN(int) saas_totp_code(char out[9], const char *secret_base32, int64_t unix_seconds,
                                int digits, int algorithm);

/**
 * Verify a TOTP code typed by a user against a base32 secret, allowing
 * `window` steps of clock drift either side of the step of `unix_seconds`
 * (RFC 6238 §5.2 recommends at most 1). Every step of the window is
 * computed and compared in constant time (sodium_memcmp), whether or not an
 * earlier one matched.
 *
 * When several steps of the window give the same code (6-digit codes of
 * adjacent steps collide now and then), the newest is returned, so that a
 * caller that refuses steps at or before the last one it accepted does not
 * take a fresh code for a replay.
 *
 * @param out_step      receives the matched time step (`floor(t / 30)` of
 *                      the code's time); the caller must refuse it if it is
 *                      not later than the last step it accepted for this
 *                      secret, and remember it. Set to -1 when the code does
 *                      not match or on error. May be NULL.
 * @param secret_base32 the secret, as for saas_totp_code().
 * @param code          the code: exactly `digits` ASCII digits; spaces
 *                      between them are ignored ("123 456"). Never quoted in
 *                      error messages.
 * @param unix_seconds  the time of the check, 0 or later.
 * @param window        steps accepted either side, 0 to SAAS_TOTP_WINDOW_MAX.
 * @param digits        6, 7 or 8: the length codes of this secret have.
 * @param algorithm     a saas_totp_algorithm.
 * @return `SAAS_OK` when the code matches a step of the window;
 *         `SAAS_ESIGNATURE` (field `"code"`) when it matches none (a wrong
 *         or too old code); `SAAS_EINVAL` (field `"code"`: NULL, a
 *         character that is not a digit, or not `digits` digits; field
 *         `"secret"`, `"unix_seconds"`, `"window"`, `"digits"` or
 *         `"algorithm"`, as for saas_totp_code()); `SAAS_ENOMEM`;
 *         `SAAS_EINTERNAL`.
 */
SAAS_EXTERN(int) saas_totp_check(int64_t *out_step, const char *secret_base32, const char *code,
                                 int64_t unix_seconds, int window, int digits, int algorithm);

/**
 * The `otpauth://` URI of a TOTP secret (Google's Key URI format), for a QR
 * code an authenticator app scans:
 * `otpauth://totp/ISSUER:ACCOUNT?secret=S&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`.
 * The issuer and the account are percent-encoded (every byte but `A-Z a-z
 * 0-9 - . _ ~`; a space is `%20`, `:` is `%3A`); the secret is written in
 * canonical form (upper case, no spaces or padding).
 *
 * @param out           receives the URI; free with saas_free_secret() (it
 *                      holds the secret).
 * @param issuer        the service's name (1 to 256 bytes of UTF-8 text
 *                      without control characters), or NULL for none: the
 *                      label is then the account alone and there is no
 *                      `issuer` parameter.
 * @param account       the user's account, usually an email (1 to 256
 *                      bytes of UTF-8 text without control characters).
 * @param secret_base32 the secret, as for saas_totp_code().
 * @param digits        6, 7 or 8.
 * @param algorithm     a saas_totp_algorithm.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`, field `"out"`; fields
 *         `"issuer"`, `"account"`, `"secret"`, `"digits"`, `"algorithm"`);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_totp_uri(char **out, const char *issuer, const char *account,
                               const char *secret_base32, int digits, int algorithm);

/**
 * Encode bytes as base32 (RFC 4648 §6): upper case, padded with `=` to a
 * multiple of 8 characters ("f" gives "MY======").
 *
 * @param out  receives the text; free with saas_free(), or with
 *             saas_free_secret() when the bytes were secret.
 * @param data the bytes (borrowed); may be NULL when `n` is 0.
 * @param n    how many, at most 64 MiB.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`, field `"out"`; NULL `data`
 *         with `n` > 0 or `n` too large, field `"data"`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_base32_encode(char **out, const unsigned char *data, size_t n);

/**
 * Decode base32 text (RFC 4648 §6). Lower case letters are taken as upper
 * case; spaces are ignored anywhere; `=` padding is ignored at the end (only
 * `=` and spaces may follow the first `=`). The text's length without them
 * must be a length base32 can have (its remainder by 8 is 0, 2, 4, 5 or 7).
 *
 * @param out     receives the bytes (a NUL follows them, not counted, so
 *                that decoded text can be read as a string); free with
 *                saas_base32_free(), which wipes them. "" gives a buffer of
 *                length 0.
 * @param out_len receives their number.
 * @param text    the text (borrowed).
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out` or `out_len`, field
 *         `"out"`; field `"text"`: NULL, a character outside the alphabet,
 *         the message naming its position (from 1) and the character, data
 *         after padding, or an impossible length); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_base32_decode(unsigned char **out, size_t *out_len, const char *text);

/**
 * Release bytes saas_base32_decode() returned, wiping its `n` bytes first.
 * `p` may be NULL.
 */
SAAS_EXTERN(void) saas_base32_free(unsigned char *p, size_t n);

SAAS_END_DECL

#endif
