/**
 * @file saas/common.h
 * @brief Export macro, version, error codes, the last-error record and memory release.
 *
 * Every public libsaas function returns `int`: `SAAS_OK` (0) or a negative
 * `SAAS_E*` code. The thread-local record returned by saas_error_last() then
 * holds a one-line message naming the offending value and, for validation
 * errors, the field. Codes are never renumbered; new ones are only appended.
 *
 * Thread safety: every function in this header may be called from any thread.
 */
#ifndef SAAS_COMMON_H
#define SAAS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "saas/version.h"

#ifdef __cplusplus
#define SAAS__BEGIN extern "C" {
#define SAAS__END }
#else
#define SAAS__BEGIN
#define SAAS__END
#endif
/** Opens the C-linkage block of a header (for C++ callers). */
#define SAAS_BEGIN_DECL SAAS__BEGIN
/** Closes the C-linkage block of a header. */
#define SAAS_END_DECL SAAS__END

#if defined(SAAS_BUILDING_LIBRARY) && defined(__GNUC__)
#define SAAS__VISIBLE __attribute__((visibility("default")))
#else
#define SAAS__VISIBLE extern
#endif
/** Marks a declaration as part of the exported ABI. */
#define SAAS_EXTERN(type) SAAS__VISIBLE type

SAAS_BEGIN_DECL

/**
 * Result codes. `SAAS_OK` is zero; every error is negative. The numbers are
 * part of the ABI: they are never renumbered or reused.
 */
typedef enum saas_code {
	SAAS_OK = 0,          /**< success */
	SAAS_EINVAL = -1,     /**< bad input: a malformed value, a missing argument */
	SAAS_ENOTFOUND = -2,  /**< the named thing does not exist (or is not visible to the scope) */
	SAAS_EEXISTS = -3,    /**< a unique value (slug, email, membership) is already taken */
	SAAS_ECONFLICT = -4,  /**< a concurrent change or an idempotency mismatch */
	SAAS_EDENIED = -5,    /**< the actor may not do this */
	SAAS_ESUSPENDED = -6, /**< the tenant is suspended: reads only */
	SAAS_ESTATE = -7,     /**< the transition is not allowed from the current state */
	SAAS_ELIMIT = -8,     /**< an entitlement or quota would be exceeded */
	SAAS_ERATELIMIT = -9, /**< too many attempts; retry later */
	SAAS_EEXPIRED = -10,  /**< a token, invitation or window has expired */
	SAAS_ESIGNATURE = -11,/**< a signature or secret did not verify */
	SAAS_ESTORE = -12,    /**< the storage backend is unavailable or failed */
	SAAS_ENOMEM = -13,    /**< out of memory */
	SAAS_EUSER = -14,     /**< a user callback asked to stop */
	SAAS_EINTERNAL = -15, /**< a bug in libsaas: please report it */
	SAAS_EDELETED = -16,  /**< the tenant is scheduled for deletion: only restore, export and purge */
	SAAS_EUSED = -17,     /**< a single-use token or code (invitation, TOTP step, recovery code) was already used */
	SAAS_EMFA = -18       /**< the password was right; a second factor is required */
} saas_code;

/** The lowest (most negative) code this version of the library defines. */
#define SAAS_CODE_MIN (-18)

/**
 * The last error raised on the calling thread.
 *
 * Owned by the library; valid until the next libsaas call on the same thread.
 */
typedef struct saas_error saas_error;

/**
 * The last error on this thread, or NULL if the last failing call did not set
 * one (or none has failed yet). Never freed by the caller.
 */
SAAS_EXTERN(const saas_error *) saas_error_last(void);

/** The code of an error record (a negative `saas_code`). `e` may be NULL: returns `SAAS_OK`. */
SAAS_EXTERN(int) saas_error_code(const saas_error *e);

/**
 * The one-line human message of an error record, naming the offending value.
 * Borrowed; `e` may be NULL: returns "".
 */
SAAS_EXTERN(const char *) saas_error_message(const saas_error *e);

/**
 * For validation errors, the name of the field at fault (`"slug"`, `"email"`),
 * else NULL. Borrowed.
 */
SAAS_EXTERN(const char *) saas_error_field(const saas_error *e);

/** Forget the last error of the calling thread. */
SAAS_EXTERN(void) saas_error_clear(void);

/**
 * The symbolic name of a code (`"SAAS_EINVAL"`), or `"SAAS_E?"` for an
 * unknown code. Static string.
 */
SAAS_EXTERN(const char *) saas_code_name(int code);

/**
 * A short description of a code ("invalid argument"). Static string; an
 * unknown code gives "unknown error".
 */
SAAS_EXTERN(const char *) saas_strerror(int code);

/**
 * Release memory the library handed out as a plain string or buffer (ids, JSON
 * text, tokens). Secret strings are wiped first by the functions that return
 * them; `saas_free` wipes nothing. `p` may be NULL.
 */
SAAS_EXTERN(void) saas_free(void *p);

/**
 * Release a secret string the library handed out (an invitation token),
 * wiping it first. `s` may be NULL.
 */
SAAS_EXTERN(void) saas_free_secret(char *s);

/** The library's version as `"MAJOR.MINOR.PATCH"`. Static string. */
SAAS_EXTERN(const char *) saas_version(void);

/** The library's version as `MAJOR*10000 + MINOR*100 + PATCH`. */
SAAS_EXTERN(int) saas_version_number(void);

SAAS_END_DECL

#endif
