/* Shared tools of the audit suites: the attacker's SQL, verification
 * expectations and counts, for any context and stream. */
#ifndef SAAS_TEST_AUDIT_HELPERS_H
#define SAAS_TEST_AUDIT_HELPERS_H

#include "helpers.h"
#include "store/store.h"

/* Run `q` in its own write transaction of `tenant` (so PostgreSQL's
 * row-level security lets the application role at the rows) with the
 * parameters the format names: "s" (tenant), "si" (tenant, seq), "sis"
 * (tenant, seq, a), "siss" (tenant, seq, a, b), "sii" (tenant, seq, n) or
 * "ss" (tenant, a). Returns the number of rows changed. */
int64_t ta_exec(saas_ctx *c, const char *tenant, saas_query *q, const char *fmt, int64_t seq,
                const char *a, const char *b, int64_t n);

/* Verify the stream (the report is the caller's to free). */
saas_audit_report *ta_verify(saas_ctx *c, const char *tenant);

/* Verify, expecting it intact; returns the number of events verified. */
int64_t ta_expect_intact(saas_ctx *c, const char *tenant);

/* Verify, expecting `damage` at `seq` with a message holding `words`. */
void ta_expect_damage(saas_ctx *c, const char *tenant, int damage, int64_t seq,
                      const char *words);

/* The number of events stored in the stream. */
int64_t ta_count(saas_ctx *c, const char *tenant);

/* Event `i` (0-based) of the first page of the stream matching the action
 * prefix (NULL: any), parsed; the caller decrefs. Fails if there is none. */
json_t *ta_event(saas_ctx *c, const char *tenant, const char *action_prefix, size_t i);

#endif
