/**
 * @file saas/id.h
 * @brief Prefixed, time-ordered, random identifiers (`ten_01J…`).
 *
 * An id is a lower-case prefix of 2 to 8 letters, an underscore, and 26
 * characters of Crockford base32 (upper case): 48 bits of milliseconds since
 * the epoch followed by 80 random bits from libsodium. Ids of one prefix sort
 * by creation time. Thread-safe.
 */
#ifndef SAAS_ID_H
#define SAAS_ID_H

#include "saas/context.h"

SAAS_BEGIN_DECL

/** Length of an id's random-and-time part. */
#define SAAS_ID_BODY_LEN 26

/**
 * Make a new id with the given prefix at the context's current time.
 *
 * @param out    receives the id; free with saas_free().
 * @param ctx    the context (its clock gives the time); NULL uses the system clock.
 * @param prefix 2 to 8 lower-case letters, without the underscore (`"ten"`).
 * @return `SAAS_OK`, `SAAS_EINVAL` for a bad prefix, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_id_new(char **out, saas_ctx *ctx, const char *prefix);

/**
 * Check an id's form. `prefix` may be NULL to accept any prefix.
 *
 * @return `SAAS_OK` if `id` is well formed (and has `prefix`), else
 *         `SAAS_EINVAL` with a message naming the id.
 */
SAAS_EXTERN(int) saas_id_check(const char *id, const char *prefix);

/**
 * The creation time encoded in an id, in milliseconds since the epoch.
 *
 * @param out_ms receives the time.
 * @return `SAAS_OK` or `SAAS_EINVAL` for a malformed id.
 */
SAAS_EXTERN(int) saas_id_time(int64_t *out_ms, const char *id);

SAAS_END_DECL

#endif
