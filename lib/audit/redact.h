/*
 * Redaction of secret-looking metadata keys before an event is serialised and
 * hashed (docs/audit.md, "Redaction"). Private to the audit module.
 */
#ifndef SAAS_AUDIT_REDACT_H
#define SAAS_AUDIT_REDACT_H

#include <stdbool.h>
#include <jansson.h>

/* What a redacted value becomes. */
#define SAAS__AUDIT_REDACTED "[redacted]"

/*
 * Replace, in place, the value of every key of `v` (at any depth: nested
 * objects, and objects inside arrays) whose name is secret-looking by
 * saas__audit_key_is_secret() with the string "[redacted]". `extra` is the
 * context's audit_redact_keys (comma-separated; NULL for none). Returns the
 * number of values replaced, or SAAS_ENOMEM (error set). NULL `v` is 0.
 */
int saas__audit_redact(json_t *v, const char *extra);

/* Whether `key` is secret-looking: its normalised form (ASCII lower case,
 * '_', '-', ' ' and '.' removed) is in the built-in list or `extra`, or
 * contains / ends with one of the built-in fragments. */
bool saas__audit_key_is_secret(const char *key, const char *extra);

#endif
