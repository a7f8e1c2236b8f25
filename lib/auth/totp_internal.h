/*
 * Private to the TOTP part of lib/auth: base32 (base32.c) for totp.c.
 * Never installed.
 */
#ifndef SAAS_TOTP_INTERNAL_H
#define SAAS_TOTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Decode base32 text by saas_base32_decode()'s rules. Errors are
 * SAAS_EINVAL naming `field`; with `secret` their message names the
 * position of a bad character but never the character. *out is malloc'd
 * with a NUL after the *out_len bytes; free with saas_base32_free().
 */
int saas__base32_decode(unsigned char **out, size_t *out_len, const char *text,
                        const char *field, bool secret);

/* Encode `n` bytes as upper-case base32, padded with '=' to a multiple of
 * 8 characters when `pad`. Returns a malloc'd string, or NULL when out of
 * memory. */
char *saas__base32_encode(const unsigned char *data, size_t n, bool pad);

#endif
