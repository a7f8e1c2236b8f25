/* Counters and latency histograms: a small registry under one mutex. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "saas/metrics.h"

#define MAX_METRICS 256
#define NBUCKETS 11

static const double bucket_bounds[NBUCKETS - 1] = {0.0001, 0.0005, 0.001, 0.005, 0.01,
                                                   0.05,   0.1,    0.5,   1,     5};
static const char *const bucket_names[NBUCKETS] = {"0.0001", "0.0005", "0.001", "0.005",
                                                   "0.01",   "0.05",   "0.1",   "0.5",
                                                   "1",      "5",      "+Inf"};

enum kind { COUNTER, HISTOGRAM };

struct metric {
	char name[65];
	enum kind kind;
	int64_t value;             /* counter */
	uint64_t count;            /* histogram */
	double sum;
	uint64_t buckets[NBUCKETS]; /* not cumulative */
};

struct saas_metrics {
	pthread_mutex_t lock;
	size_t n;
	struct metric m[MAX_METRICS];
};

int saas__metrics_new(struct saas_metrics **out)
{
	struct saas_metrics *m = calloc(1, sizeof *m);

	if (!m)
		return saas__enomem();
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return SAAS_OK;
}

void saas__metrics_free(struct saas_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Find or create; called with the lock held. */
static struct metric *lookup(struct saas_metrics *ms, const char *name, enum kind kind,
                             bool create, int *rc)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (strcmp(ms->m[i].name, name) == 0) {
			if (ms->m[i].kind != kind) {
				*rc = saas__err(SAAS_EINVAL, "name",
				                "metric '%s' already exists as another kind", name);
				return NULL;
			}
			return &ms->m[i];
		}
	}
	if (!create) {
		*rc = saas__err(SAAS_ENOTFOUND, "name", "no metric named '%s'", name);
		return NULL;
	}
	if (ms->n == MAX_METRICS) {
		*rc = saas__err(SAAS_ELIMIT, "name", "cannot add metric '%s': %d metrics exist", name,
		                MAX_METRICS);
		return NULL;
	}
	struct metric *m = &ms->m[ms->n++];
	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	m->kind = kind;
	return m;
}

static int check_name(saas_ctx *ctx, const char *name)
{
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!saas__match(SAAS__PAT_METRIC, name))
		return saas__err(SAAS_EINVAL, "name",
		                 "metric name '%s' is invalid: use 1 to 64 of a-z, 0-9, '_' and '.', "
		                 "starting with a letter",
		                 saas__q(name));
	return SAAS_OK;
}

/* Count and observe with a name known to be valid (the library's own
 * operations: no pattern match on every call). */
static int count_valid(saas_ctx *ctx, const char *name, int64_t delta)
{
	struct metric *m;
	int rc = SAAS_OK;

	pthread_mutex_lock(&ctx->metrics->lock);
	m = lookup(ctx->metrics, name, COUNTER, true, &rc);
	if (m)
		m->value += delta;
	pthread_mutex_unlock(&ctx->metrics->lock);
	return rc;
}

static int observe_valid(saas_ctx *ctx, const char *name, double seconds)
{
	struct metric *m;
	int b = 0, rc = SAAS_OK;

	while (b < NBUCKETS - 1 && seconds > bucket_bounds[b])
		b++;
	pthread_mutex_lock(&ctx->metrics->lock);
	m = lookup(ctx->metrics, name, HISTOGRAM, true, &rc);
	if (m) {
		m->count++;
		m->sum += seconds;
		m->buckets[b]++;
	}
	pthread_mutex_unlock(&ctx->metrics->lock);
	return rc;
}

int saas_metrics_count(saas_ctx *ctx, const char *name, int64_t delta)
{
	int rc = check_name(ctx, name);

	if (rc)
		return rc;
	if (delta < 0)
		return saas__err(SAAS_EINVAL, "delta", "counter delta %lld is negative", (long long)delta);
	return count_valid(ctx, name, delta);
}

int saas_metrics_observe(saas_ctx *ctx, const char *name, double seconds)
{
	int rc = check_name(ctx, name);

	if (rc)
		return rc;
	if (!(seconds >= 0) || isinf(seconds))
		return saas__err(SAAS_EINVAL, "seconds", "observation %g is not a finite number >= 0",
		                 seconds);
	return observe_valid(ctx, name, seconds);
}

int saas_metrics_counter_value(int64_t *out, saas_ctx *ctx, const char *name)
{
	int rc = check_name(ctx, name);
	struct metric *m;

	if (rc)
		return rc;
	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	pthread_mutex_lock(&ctx->metrics->lock);
	m = lookup(ctx->metrics, name, COUNTER, false, &rc);
	if (m)
		*out = m->value;
	pthread_mutex_unlock(&ctx->metrics->lock);
	return rc;
}

void saas__op_done(saas_ctx *ctx, const char *op, int64_t start_ns, int rc)
{
	double seconds = (double)(saas__mono_ns() - start_ns) / 1e9;
	char name[80];

	/* `op` is one of the library's names; a clock step back counts as 0 */
	observe_valid(ctx, op, seconds > 0 ? seconds : 0);
	if (rc) {
		snprintf(name, sizeof name, "%s.errors", op);
		count_valid(ctx, name, 1);
	}
}

/* Copy the registry so formatting runs without the lock. */
static struct saas_metrics *snapshot(saas_ctx *ctx)
{
	struct saas_metrics *copy = malloc(sizeof *copy);

	if (!copy)
		return NULL;
	pthread_mutex_lock(&ctx->metrics->lock);
	copy->n = ctx->metrics->n;
	memcpy(copy->m, ctx->metrics->m, copy->n * sizeof copy->m[0]);
	pthread_mutex_unlock(&ctx->metrics->lock);
	return copy;
}

int saas_metrics_snapshot_json(char **out, saas_ctx *ctx)
{
	struct saas_metrics *s;
	json_t *root, *counters, *hists;

	if (!out || !ctx)
		return saas__err(SAAS_EINVAL, NULL, "out and ctx are required");
	*out = NULL;
	s = snapshot(ctx);
	root = json_object();
	counters = json_object();
	hists = json_object();
	if (!s || !root || !counters || !hists)
		goto oom;
	json_object_set_new(root, "counters", counters);
	json_object_set_new(root, "histograms", hists);
	for (size_t i = 0; i < s->n; i++) {
		struct metric *m = &s->m[i];
		if (m->kind == COUNTER) {
			json_object_set_new(counters, m->name, json_integer(m->value));
			continue;
		}
		json_t *h = json_object(), *b = json_object();
		uint64_t cum = 0;
		for (int k = 0; k < NBUCKETS; k++) {
			cum += m->buckets[k];
			json_object_set_new(b, bucket_names[k], json_integer((json_int_t)cum));
		}
		json_object_set_new(h, "count", json_integer((json_int_t)m->count));
		json_object_set_new(h, "sum", json_real(m->sum));
		json_object_set_new(h, "buckets", b);
		json_object_set_new(hists, m->name, h);
	}
	free(s);
	*out = saas__json_take_dump(root);
	return *out ? SAAS_OK : saas__enomem();
oom:
	free(s);
	json_decref(root);
	json_decref(counters);
	json_decref(hists);
	return saas__enomem();
}

/* Append formatted text to a growing buffer. */
struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

int saas_metrics_prometheus(char **out, saas_ctx *ctx)
{
	struct saas_metrics *s;
	struct buf b = {0};

	if (!out || !ctx)
		return saas__err(SAAS_EINVAL, NULL, "out and ctx are required");
	*out = NULL;
	s = snapshot(ctx);
	if (!s)
		return saas__enomem();
	bprintf(&b, "%s", "");
	for (size_t i = 0; i < s->n; i++) {
		struct metric *m = &s->m[i];
		char name[80];
		size_t k;

		for (k = 0; m->name[k]; k++)
			name[k] = m->name[k] == '.' ? '_' : m->name[k];
		name[k] = '\0';
		if (m->kind == COUNTER) {
			size_t len = strlen(name);
			const char *suffix =
				(len >= 6 && strcmp(name + len - 6, "_total") == 0) ? "" : "_total";
			bprintf(&b, "# TYPE saas_%s%s counter\nsaas_%s%s %lld\n", name, suffix, name,
			        suffix, (long long)m->value);
			continue;
		}
		uint64_t cum = 0;
		bprintf(&b, "# TYPE saas_%s_seconds histogram\n", name);
		for (int j = 0; j < NBUCKETS; j++) {
			cum += m->buckets[j];
			bprintf(&b, "saas_%s_seconds_bucket{le=\"%s\"} %llu\n", name, bucket_names[j],
			        (unsigned long long)cum);
		}
		bprintf(&b, "saas_%s_seconds_sum %.9g\nsaas_%s_seconds_count %llu\n", name, m->sum,
		        name, (unsigned long long)m->count);
	}
	free(s);
	if (b.oom) {
		free(b.p);
		return saas__enomem();
	}
	*out = b.p;
	return SAAS_OK;
}
