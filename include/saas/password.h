/**
 * @file saas/password.h
 * @brief Password hashing with Argon2id, and the password policy (docs/auth.md, "Passwords").
 *
 * Hashes are made with libsodium's `crypto_pwhash_str_alg()` and
 * `crypto_pwhash_ALG_ARGON2ID13`, as PHC/modular strings that carry their
 * own parameters and salt:
 *
 *     $argon2id$v=19$m=65536,t=2,p=1$<salt, base64>$<hash, base64>
 *
 * `m` is in KiB (`memlimit / 1024`), `t` is `opslimit`; libsodium fixes the
 * parallelism `p` at 1. Store the string as it is; verify with
 * saas_password_verify(), and after a successful login ask
 * saas_password_needs_rehash() whether to hash the password again with the
 * current parameters (rehash-on-login).
 *
 * The default parameters are libsodium's `INTERACTIVE` pair, t = 2 and
 * 64 MiB, above the floor of the OWASP Password Storage Cheat Sheet
 * (Argon2id with m = 19456 KiB, t = 2, p = 1) by a factor of 3.4 in memory.
 * Each hash or verification holds `memlimit` bytes while it runs, so bound
 * the number of concurrent logins and rate-limit before hashing
 * (saas/ratelimit.h).
 *
 * Passwords are taken as (pointer, length) so that an embedded NUL is seen,
 * not silently cut off. The policy (saas_password_check_policy()) follows
 * NIST SP 800-63B and OWASP: at least 8 characters (Unicode code points),
 * at most 1024 bytes, valid UTF-8, no NUL; no composition rules. Text is
 * hashed as given: libsaas does not normalise Unicode (NFKC), so an
 * application that accepts non-ASCII passwords from several clients should
 * normalise them the same way before hashing and verifying.
 *
 * No error message ever contains a password or a whole hash string.
 *
 * Thread safety: every function here may be called from any thread; a
 * `saas_password_params` is only read.
 */
#ifndef SAAS_PASSWORD_H
#define SAAS_PASSWORD_H

#include "saas/common.h"

SAAS_BEGIN_DECL

/** The shortest password saas_password_check_policy() accepts, in characters (code points). */
#define SAAS_PASSWORD_MIN_CHARS 8
/** The longest password accepted anywhere, in bytes (a bound on work per request). */
#define SAAS_PASSWORD_MAX_BYTES 1024

/**
 * The default `opslimit` (Argon2 `t`, passes over memory): 2, libsodium's
 * `crypto_pwhash_OPSLIMIT_INTERACTIVE`. OWASP's floor is t = 2 with 19 MiB.
 */
#define SAAS_PASSWORD_OPSLIMIT_DEFAULT 2ULL
/**
 * The default `memlimit`, in bytes: 67108864 (64 MiB, Argon2 m = 65536 KiB),
 * libsodium's `crypto_pwhash_MEMLIMIT_INTERACTIVE`. OWASP's floor is
 * m = 19456 KiB (19922944 bytes) with t = 2.
 */
#define SAAS_PASSWORD_MEMLIMIT_DEFAULT 67108864U

/** Current version of `saas_password_params`. */
#define SAAS_PASSWORD_PARAMS_VERSION 1

/**
 * Argon2id cost parameters. Start from `SAAS_PASSWORD_PARAMS_INIT` or
 * saas_password_params_init(). Every function taking one also accepts NULL
 * for the defaults.
 */
typedef struct saas_password_params {
	unsigned version;             /**< `SAAS_PASSWORD_PARAMS_VERSION` */
	/**
	 * Passes over memory (Argon2 `t`), from libsodium's
	 * `crypto_pwhash_OPSLIMIT_MIN` (1) to `crypto_pwhash_OPSLIMIT_MAX`.
	 */
	unsigned long long opslimit;
	/**
	 * Memory in bytes, a multiple of 1024 (Argon2 counts KiB), from
	 * libsodium's `crypto_pwhash_MEMLIMIT_MIN` (8192) to
	 * `crypto_pwhash_MEMLIMIT_MAX`.
	 */
	size_t memlimit;
} saas_password_params;

/** Static initialiser for `saas_password_params` with the defaults (t = 2, 64 MiB). */
#define SAAS_PASSWORD_PARAMS_INIT \
	{ SAAS_PASSWORD_PARAMS_VERSION, SAAS_PASSWORD_OPSLIMIT_DEFAULT, SAAS_PASSWORD_MEMLIMIT_DEFAULT }

/**
 * Fill `p` with the defaults of `SAAS_PASSWORD_PARAMS_INIT` (for callers
 * that cannot use macros).
 * @return `SAAS_OK`; `SAAS_EINVAL` if `p` is NULL (field `"params"`) or
 *         `version` is not one this library knows (field `"version"`).
 */
SAAS_EXTERN(int) saas_password_params_init(saas_password_params *p, unsigned version);

/**
 * Check a new password against the policy: at least
 * `SAAS_PASSWORD_MIN_CHARS` characters (Unicode code points), at most
 * `SAAS_PASSWORD_MAX_BYTES` bytes, valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF), no NUL. Any other character is
 * allowed, spaces and emoji included. Each refusal has its own message;
 * none repeats the password or its length.
 *
 * @param password the bytes; may be NULL only when `len` is 0.
 * @param len      their number (the password need not be NUL-terminated).
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `"password"`): NULL with a
 *         non-zero `len`, too short, too long, not valid UTF-8 (the message
 *         gives the byte offset), contains a NUL (the offset).
 */
SAAS_EXTERN(int) saas_password_check_policy(const char *password, size_t len);

/**
 * Hash a new password with Argon2id and a fresh random salt. The password
 * must pass saas_password_check_policy() first (checked here too).
 *
 * @param out      receives the hash string (at most 127 characters, not a
 *                 secret but not for display either); free with saas_free().
 * @param password the bytes (not NUL-terminated); never copied.
 * @param len      their number.
 * @param p        the cost; NULL: the defaults.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`, field `"out"`; the policy's
 *         refusals, field `"password"`; bad params, fields `"version"`,
 *         `"opslimit"`, `"memlimit"`); `SAAS_ENOMEM` (also when the
 *         system cannot give Argon2 `memlimit` bytes).
 */
SAAS_EXTERN(int) saas_password_hash(char **out, const char *password, size_t len,
                                    const saas_password_params *p);

/**
 * Verify a password against a hash string made by saas_password_hash() (or
 * any Argon2id or Argon2i v=19 string libsodium can verify), in time that
 * does not depend on where the password differs. The cost is the one
 * recorded in the hash. Only the length cap of the policy applies: any
 * other password that was never hashed simply does not match.
 *
 * @param hash     the stored string.
 * @param password the bytes; may be NULL only when `len` is 0.
 * @param len      their number (at most `SAAS_PASSWORD_MAX_BYTES`).
 * @return `SAAS_OK` on a match; `SAAS_ESIGNATURE` (field `"password"`) when
 *         it does not match; `SAAS_EINVAL` for a malformed hash string
 *         (field `"hash"`: the message says what is wrong, never the
 *         string), a NULL password with a non-zero `len` or one longer than
 *         `SAAS_PASSWORD_MAX_BYTES` (field `"password"`).
 */
SAAS_EXTERN(int) saas_password_verify(const char *hash, const char *password, size_t len);

/**
 * Spend the time of a failed saas_password_verify() against a hash made
 * with `p`, without any hash: for a login naming an account that does not
 * exist, so that its answer comes as late as for a wrong password and the
 * response time does not tell which emails have accounts (no account
 * enumeration). It runs the same libsodium verification, on the submitted
 * password, against a fixed hash string with `p`'s cost, and fails the same
 * way, with the same code, field and message as a mismatch.
 *
 *     if (user == NULL)
 *         return saas_password_dummy_verify(pw, pwlen, &params);
 *     return saas_password_verify(user->hash, pw, pwlen);
 *
 * Pass the parameters current hashes are made with.
 *
 * @param password the submitted bytes; may be NULL only when `len` is 0.
 * @param len      their number.
 * @param p        the cost; NULL: the defaults.
 * @return `SAAS_ESIGNATURE` (field `"password"`: never matches), or
 *         `SAAS_EINVAL` for the same bad passwords as saas_password_verify()
 *         and for bad params (fields `"version"`, `"opslimit"`, `"memlimit"`).
 */
SAAS_EXTERN(int) saas_password_dummy_verify(const char *password, size_t len,
                                            const saas_password_params *p);

/**
 * Whether a stored hash should be replaced by a new one made with `p`:
 * after a successful saas_password_verify(), hash the password again and
 * store the result when this says 1 (rehash-on-login).
 *
 * @param hash the stored string.
 * @param p    the current cost; NULL: the defaults.
 * @return 1 if the hash is not Argon2id (an Argon2i string) or its `t` or
 *         `m` differs from `p`, higher or lower (libsodium's
 *         `crypto_pwhash_argon2id_str_needs_rehash()`); 0 if it was made
 *         with `p`;
 *         `SAAS_EINVAL` for a malformed hash (field `"hash"`) or bad params
 *         (fields `"version"`, `"opslimit"`, `"memlimit"`).
 */
SAAS_EXTERN(int) saas_password_needs_rehash(const char *hash, const saas_password_params *p);

SAAS_END_DECL

#endif
