/**
 * @file saas/metrics.h
 * @brief Counters and latency histograms, read as a JSON snapshot or Prometheus text.
 *
 * The library times each of its own operations in a histogram named after it
 * (`tenant.create`, `member.add`, …) and counts its failures in a counter
 * `<operation>.errors`; an application can add its own. Names are 1 to 64
 * characters of `[a-z0-9_.]` and start with a letter. In Prometheus text,
 * names get the prefix `saas_`, dots become underscores, counters end in
 * `_total` (not added twice) and histograms in `_seconds`: `tenant.create`
 * becomes `saas_tenant_create_seconds`, `tenant.create.errors` becomes
 * `saas_tenant_create_errors_total`. All functions are thread-safe on a
 * shared context.
 */
#ifndef SAAS_METRICS_H
#define SAAS_METRICS_H

#include "saas/context.h"

SAAS_BEGIN_DECL

/**
 * Add `delta` (0 or more) to the counter `name`, creating it at zero first.
 * @return `SAAS_OK`, `SAAS_EINVAL` for a bad name or negative delta, `SAAS_ELIMIT`
 *         when 256 metrics already exist, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_metrics_count(saas_ctx *ctx, const char *name, int64_t delta);

/**
 * Record one observation of `seconds` (0 or more) in the latency histogram `name`.
 * Buckets (seconds): 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, +Inf.
 * @return as saas_metrics_count().
 */
SAAS_EXTERN(int) saas_metrics_observe(saas_ctx *ctx, const char *name, double seconds);

/**
 * The current value of counter `name`.
 * @return `SAAS_OK`, `SAAS_ENOTFOUND` if no such counter exists, `SAAS_EINVAL`.
 */
SAAS_EXTERN(int) saas_metrics_counter_value(int64_t *out, saas_ctx *ctx, const char *name);

/**
 * A snapshot of every metric as one JSON object:
 * `{"counters":{"name":n,…},"histograms":{"name":{"count":n,"sum":s,"buckets":{"0.001":n,…,"+Inf":n}}}}`
 * (bucket counts are cumulative).
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_metrics_snapshot_json(char **out, saas_ctx *ctx);

/**
 * Every metric in the Prometheus text exposition format (version 0.0.4), names
 * prefixed `saas_` with dots turned into underscores.
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_metrics_prometheus(char **out, saas_ctx *ctx);

SAAS_END_DECL

#endif
