/*
 * Base32 (RFC 4648 §6) for TOTP secrets (saas/totp.h): encoding with or
 * without padding, and a tolerant decoder (lower case, spaces, trailing
 * padding) that names the position of the first bad character. The
 * alphabet is mapped by arithmetic rather than a table indexed by the
 * (secret) characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "saas/totp.h"
#include "../core/core.h"
#include "totp_internal.h"

/* The most bytes saas_base32_encode() takes. */
#define ENCODE_MAX ((size_t)64 << 20)

/* The value of a base32 character (either case), or -1. */
static int b32_value(unsigned char c)
{
	unsigned letter = (unsigned)(c | 0x20) - 'a'; /* 0..25 for A-Z and a-z */
	unsigned digit = (unsigned)c - '2';           /* 0..5 for 2-7 */

	if (letter < 26)
		return (int)letter;
	if (digit < 6)
		return (int)digit + 26;
	return -1;
}

/* The character of a 5-bit value. */
static char b32_char(unsigned v)
{
	/* 0..25 → 'A'.., 26..31 → '2'.. */
	return v < 26 ? (char)('A' + v) : (char)('2' + (v - 26));
}

char *saas__base32_encode(const unsigned char *data, size_t n, bool pad)
{
	size_t groups = n / 5 + (n % 5 != 0), len, o = 0;
	uint64_t acc = 0;
	unsigned bits = 0;
	char *out;

	len = pad ? groups * 8 : (n * 8 + 4) / 5;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_char((unsigned)(acc >> bits) & 31u);
		}
	}
	if (bits > 0)
		out[o++] = b32_char((unsigned)(acc << (5 - bits)) & 31u);
	while (o < len)
		out[o++] = '=';
	out[o] = '\0';
	sodium_memzero(&acc, sizeof acc);
	return out;
}

/* A message naming the bad character at `pos` (from 0): its position, and
 * the character itself only when the text is not a secret. */
static int bad_char(const char *field, bool secret, const char *text, size_t pos,
                    const char *why)
{
	unsigned char c = (unsigned char)text[pos];

	if (secret)
		return saas__err(SAAS_EINVAL, field, "%s: character %zu %s", field, pos + 1, why);
	if (c >= 0x20 && c < 0x7f)
		return saas__err(SAAS_EINVAL, field, "%s: character %zu ('%c') %s", field, pos + 1,
		                 (char)c, why);
	return saas__err(SAAS_EINVAL, field, "%s: character %zu (byte 0x%02X) %s", field, pos + 1,
	                 (unsigned)c, why);
}

int saas__base32_decode(unsigned char **out, size_t *out_len, const char *text,
                        const char *field, bool secret)
{
	size_t nchars = 0, rem, nbytes, o = 0;
	bool padded = false;
	unsigned char *buf;
	uint64_t acc = 0;
	unsigned bits = 0;

	*out = NULL;
	*out_len = 0;
	if (!text)
		return saas__err(SAAS_EINVAL, field, "%s is required", field);
	/* First pass: check every character and count the data ones. */
	for (size_t i = 0; text[i]; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == ' ')
			continue;
		if (c == '=') {
			padded = true;
			continue;
		}
		if (b32_value(c) < 0)
			return bad_char(field, secret, text, i, "is not base32 (A-Z, 2-7)");
		if (padded)
			return bad_char(field, secret, text, i, "follows the '=' padding");
		nchars++;
	}
	rem = nchars % 8;
	if (rem == 1 || rem == 3 || rem == 6)
		return saas__err(SAAS_EINVAL, field,
		                 "%s has %zu base32 characters: no byte string encodes to that many "
		                 "(a remainder by 8 of 1, 3 or 6 is impossible)",
		                 field, nchars);
	nbytes = nchars * 5 / 8;
	buf = malloc(nbytes + 1);
	if (!buf)
		return saas__enomem();
	/* Second pass: decode. Leftover bits of the last character are dropped. */
	for (size_t i = 0; text[i]; i++) {
		int v = b32_value((unsigned char)text[i]);

		if (v < 0)
			continue;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
		}
	}
	buf[o] = '\0';
	sodium_memzero(&acc, sizeof acc);
	*out = buf;
	*out_len = o;
	return SAAS_OK;
}

int saas_base32_encode(char **out, const unsigned char *data, size_t n)
{
	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is required");
	*out = NULL;
	if (!data && n > 0)
		return saas__err(SAAS_EINVAL, "data", "data is NULL but n is %zu", n);
	if (n > ENCODE_MAX)
		return saas__err(SAAS_EINVAL, "data", "data is %zu bytes long; at most %zu are allowed",
		                 n, ENCODE_MAX);
	*out = saas__base32_encode(data, n, true);
	return *out ? SAAS_OK : saas__enomem();
}

int saas_base32_decode(unsigned char **out, size_t *out_len, const char *text)
{
	if (!out || !out_len) {
		if (out)
			*out = NULL;
		if (out_len)
			*out_len = 0;
		return saas__err(SAAS_EINVAL, "out", "out and out_len are required");
	}
	return saas__base32_decode(out, out_len, text, "text", false);
}

void saas_base32_free(unsigned char *p, size_t n)
{
	if (!p)
		return;
	sodium_memzero(p, n);
	free(p);
}
