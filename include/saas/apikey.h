/**
 * @file saas/apikey.h
 * @brief The API key format: making keys, checking them offline, hashing them for lookup (docs/auth.md, "API key format").
 *
 * A key is shown to its owner once, at creation, and looks like
 *
 *     sk_live_4VbXw0k2Zq7H1uRjTnC8pLmE3sYdA9fGhK6oWtB5xIe3CgTdy
 *     \_/\__/ \_________________________________________/\____/
 *      |  env   random: 43 base62 characters (256 bits)   checksum
 *
 * - `sk_`: the kind (a secret key), so that secret scanners can find leaked
 *   keys, in the manner of Stripe's `sk_live_` and GitHub's `ghp_`;
 * - the environment, 1 to 16 of `[a-z]` (`live`, `test`, ...), then `_`;
 * - 43 characters drawn uniformly from the 62 of `[0-9A-Za-z]` with
 *   libsodium's `randombytes_uniform()`: 43 × log2(62) ≈ 256 bits;
 * - a checksum, 6 base62 characters: the CRC-32 (IEEE 802.3, as in zlib) of
 *   everything before it (`sk_`, the environment and the random part),
 *   written in the alphabet `0-9A-Za-z`, most significant digit first,
 *   zero-padded; as in GitHub's token format. Any single changed character
 *   is caught, and any swap of two neighbouring characters (but for one
 *   chance in 2^32 when the swap straddles the checksum's first
 *   character), so typos and truncated keys are refused without a trip to
 *   the store.
 *
 * Base62 rather than base64url: no `-` or `_` inside the random part, so a
 * double click selects the whole key, and `_` only separates the fields.
 * A key is 54 to 69 characters long.
 *
 * The display prefix given at creation (`sk_live_4VbX`: the kind, the
 * environment and the first 4 random characters, at most 24 characters) is
 * not secret: store it next to the key's hash to show in lists. The 39
 * random characters it does not show still carry 232 bits.
 *
 * Keys are stored only as saas_apikey_hash(). Error messages never contain
 * a key: at most its first 8 characters, and never past the `_` that ends
 * the environment.
 *
 * Thread safety: every function here may be called from any thread.
 */
#ifndef SAAS_APIKEY_H
#define SAAS_APIKEY_H

#include "saas/common.h"

SAAS_BEGIN_DECL

/** The longest environment name, without its NUL. */
#define SAAS_APIKEY_ENV_MAX 16
/** Random base62 characters in a key. */
#define SAAS_APIKEY_RANDOM_CHARS 43
/** Checksum characters at the end of a key. */
#define SAAS_APIKEY_CHECKSUM_CHARS 6
/** Random characters shown in the display prefix. */
#define SAAS_APIKEY_PREFIX_RANDOM_CHARS 4
/** Room for a display prefix and its NUL: `sk_` + env (≤ 16) + `_` + 4 + NUL = 25. */
#define SAAS_APIKEY_PREFIX_SIZE 25
/** The longest key, without its NUL: 3 + 16 + 1 + 43 + 6 = 69. */
#define SAAS_APIKEY_MAX_LEN 69

/**
 * Make a new key for the environment `env`.
 *
 * @param out_key    receives the key; shown once to its owner, then
 *                   forgotten: free with saas_free_secret() (which wipes it).
 * @param out_prefix receives the display prefix (`sk_<env>_` and the first
 *                   4 random characters, NUL-terminated, at most 24
 *                   characters); may be NULL.
 * @param env        the environment: 1 to 16 of `[a-z]`.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out_key`, field `"out_key"`; a
 *         NULL or malformed `env`, field `"env"`, the message naming it);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_apikey_generate(char **out_key, char out_prefix[SAAS_APIKEY_PREFIX_SIZE],
                                      const char *env);

/**
 * Check a presented key's form and checksum, without the store: call it
 * before saas_apikey_hash() and the lookup, and refuse what fails.
 *
 * @param out_env receives the key's environment (NUL-terminated); may be
 *                NULL. Left empty on error.
 * @param key     the presented key (NUL-terminated).
 * @return `SAAS_OK`; `SAAS_ESIGNATURE` (field `"key"`) when the form is
 *         right but the checksum does not match (a typo); `SAAS_EINVAL`
 *         (field `"key"`) for a NULL key and a malformed one: no `sk_`, a
 *         missing or malformed environment, a random part or checksum of
 *         the wrong length or with a character outside `[0-9A-Za-z]`. Each
 *         has its own message, quoting at most the key's first 8 characters.
 */
SAAS_EXTERN(int) saas_apikey_parse(char out_env[SAAS_APIKEY_ENV_MAX + 1], const char *key);

/**
 * The value to store for a key and to look a presented key up by: the
 * BLAKE2b-256 (libsodium `crypto_generichash`, no key) of the whole key,
 * as 64 lower-case hex characters. A fast, unkeyed hash is right here,
 * unlike for passwords: a key carries 256 random bits, so no guessing
 * attack on a leaked hash can succeed whatever the hash costs, and an
 * unkeyed hash needs no server secret to keep or rotate. The key is
 * checked as by saas_apikey_parse() first.
 *
 * @param out receives the hex digest and a NUL.
 * @param key the key.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`, field `"out"`) and
 *         saas_apikey_parse()'s errors (`out` is then left empty).
 */
SAAS_EXTERN(int) saas_apikey_hash(char out[65], const char *key);

SAAS_END_DECL

#endif
