/*
 * GCRA rate limits in memory (saas/ratelimit.h, docs/auth.md "Rate
 * limits"): one theoretical arrival time (TAT, in ns) per key, in a hash
 * table that grows with the keys, and a dense array of them to sample when
 * the limiter is full.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define KEY_MAX 512
#define MAX_KEYS 10000000u
#define BURST_MAX 1000000u
#define PERIOD_MAX_MS (366LL * 24 * 3600 * 1000)
#define EVICT_SAMPLE 8

struct rkey {
	struct rkey *next; /* hash chain */
	uint64_t hash;
	int64_t tat;       /* ns since the epoch */
	size_t index;      /* in the dense array */
	size_t len;
	char key[];
};

struct saas_ratelimiter {
	pthread_mutex_t mu;
	struct rkey **buckets;
	size_t nbuckets; /* a power of two */
	struct rkey **all;
	size_t n, cap, max;
	uint64_t rng;
};

int saas_ratelimiter_new(saas_ratelimiter **out, size_t max_keys)
{
	saas_ratelimiter *rl;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (max_keys < 1 || max_keys > MAX_KEYS)
		return saas__err(SAAS_EINVAL, "max_keys", "max_keys %zu is not 1 to 10,000,000",
		                 max_keys);
	if (!(rl = calloc(1, sizeof *rl)))
		return saas__enomem();
	rl->nbuckets = 64;
	rl->max = max_keys;
	rl->rng = 0x9e3779b97f4a7c15ULL;
	if (!(rl->buckets = calloc(rl->nbuckets, sizeof *rl->buckets))) {
		free(rl);
		return saas__enomem();
	}
	pthread_mutex_init(&rl->mu, NULL);
	*out = rl;
	return SAAS_OK;
}

void saas_ratelimiter_free(saas_ratelimiter *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < rl->n; i++)
		free(rl->all[i]);
	free(rl->all);
	free(rl->buckets);
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

size_t saas_ratelimiter_size(saas_ratelimiter *rl)
{
	size_t n;

	if (!rl)
		return 0;
	pthread_mutex_lock(&rl->mu);
	n = rl->n;
	pthread_mutex_unlock(&rl->mu);
	return n;
}

static uint64_t hash_key(const char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 31);
}

static struct rkey **where(saas_ratelimiter *rl, uint64_t h, const char *k, size_t n)
{
	struct rkey **p = &rl->buckets[h & (rl->nbuckets - 1)];

	while (*p && ((*p)->hash != h || (*p)->len != n || memcmp((*p)->key, k, n) != 0))
		p = &(*p)->next;
	return p;
}

static void drop(saas_ratelimiter *rl, struct rkey *e)
{
	struct rkey **p = &rl->buckets[e->hash & (rl->nbuckets - 1)];

	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	rl->all[e->index] = rl->all[--rl->n];
	rl->all[e->index]->index = e->index;
	free(e);
}

/* Make room for one more key: drop every key back to a full burst (TAT in
 * the past) if that frees anything, else the one with the earliest TAT of a
 * sample. */
static void make_room(saas_ratelimiter *rl, int64_t now)
{
	struct rkey *v = NULL;
	size_t k, start = 0;

	for (size_t i = rl->n; i-- > 0;)
		if (rl->all[i]->tat <= now)
			drop(rl, rl->all[i]);
	if (rl->n < rl->max)
		return;
	k = rl->n < EVICT_SAMPLE ? rl->n : EVICT_SAMPLE;
	rl->rng ^= rl->rng << 13;
	rl->rng ^= rl->rng >> 7;
	rl->rng ^= rl->rng << 17;
	start = (size_t)(rl->rng % rl->n);
	for (size_t i = 0; i < k; i++) {
		struct rkey *e = rl->all[(start + i * (rl->n / k)) % rl->n];
		if (!v || e->tat < v->tat)
			v = e;
	}
	drop(rl, v);
}

static int grow(saas_ratelimiter *rl)
{
	if (rl->n == rl->cap) {
		size_t cap = rl->cap ? 2 * rl->cap : 64;
		void *p = realloc(rl->all, cap * sizeof *rl->all);
		if (!p)
			return saas__enomem();
		rl->all = p;
		rl->cap = cap;
	}
	if (rl->n >= rl->nbuckets) {
		size_t nb = 2 * rl->nbuckets;
		struct rkey **b = calloc(nb, sizeof *b);
		if (!b)
			return saas__enomem();
		for (size_t i = 0; i < rl->n; i++) {
			struct rkey *e = rl->all[i];
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
		free(rl->buckets);
		rl->buckets = b;
		rl->nbuckets = nb;
	}
	return SAAS_OK;
}

static int64_t ceil_ms(int64_t ns)
{
	return ns <= 0 ? 0 : (ns + 999999) / 1000000;
}

static int check_policy(const saas_ratelimit_policy *p)
{
	if (!p)
		return saas__err(SAAS_EINVAL, "policy", "policy is NULL");
	if (p->count < 1 || p->period_ms < 1 || p->period_ms > PERIOD_MAX_MS || p->burst < 1 ||
	    p->burst > BURST_MAX)
		return saas__err(SAAS_EINVAL, "policy",
		                 "policy %u per %lld ms, burst %u: count and burst must be 1 or more "
		                 "(burst at most 1,000,000), the period 1 ms to 366 days",
		                 p->count, (long long)p->period_ms, p->burst);
	return SAAS_OK;
}

int saas__gcra_init(struct saas__gcra *g, saas_ratelimit_result *out, const char *key,
                    const saas_ratelimit_policy *p, unsigned quantity, int64_t now_ms)
{
	size_t len;
	int rc;

	if (out)
		memset(out, 0, sizeof *out);
	if (!key || !(len = strlen(key)) || len > KEY_MAX)
		return saas__err(SAAS_EINVAL, "key", "key must be 1 to 512 bytes");
	if ((rc = check_policy(p)))
		return rc;
	if (quantity < 1 || quantity > p->burst)
		return saas__err(SAAS_EINVAL, "quantity",
		                 "quantity %u is not 1 to the policy's burst (%u): it could never be "
		                 "granted",
		                 quantity, p->burst);
	if (now_ms < 0 || now_ms > INT64_MAX / 2000000)
		return saas__err(SAAS_EINVAL, "now_ms", "now_ms %lld is out of range",
		                 (long long)now_ms);
	/* T rounded up: never more than the policy allows. */
	g->t = (p->period_ms * 1000000 + p->count - 1) / p->count;
	if (g->t > INT64_MAX / 4 / (int64_t)p->burst)
		return saas__err(SAAS_EINVAL, "policy",
		                 "policy %u per %lld ms with a burst of %u spans more time than can be "
		                 "counted",
		                 p->count, (long long)p->period_ms, p->burst);
	g->tau = g->t * (int64_t)p->burst;
	g->now = now_ms * 1000000;
	g->quantity = quantity;
	g->burst = p->burst;
	g->key_len = len;
	return SAAS_OK;
}

int saas__gcra_decide(saas_ratelimit_result *out, int64_t *next, const struct saas__gcra *g,
                      bool found, int64_t tat)
{
	int64_t now = g->now, base, allow_at;

	if (!found)
		tat = now;
	base = tat > now ? tat : now;
	*next = base + g->t * (int64_t)g->quantity;
	allow_at = *next - g->tau;
	if (out)
		out->limit = g->burst;
	if (now < allow_at) {
		if (out) {
			out->allowed = 0;
			out->retry_after_ms = ceil_ms(allow_at - now);
			out->reset_after_ms = ceil_ms(base - now);
			out->remaining = (unsigned)((g->tau - (base - now)) / g->t);
		}
		return saas__err(SAAS_ERATELIMIT, "key", "rate limit reached: retry in %lld ms",
		                 (long long)ceil_ms(allow_at - now));
	}
	if (out) {
		out->allowed = 1;
		out->retry_after_ms = 0;
		out->reset_after_ms = ceil_ms(*next - now);
		out->remaining = (unsigned)((g->tau - (*next - now)) / g->t);
	}
	return SAAS_OK;
}

int saas_ratelimit_take(saas_ratelimit_result *out, saas_ratelimiter *rl, const char *key,
                        const saas_ratelimit_policy *p, unsigned quantity, int64_t now_ms)
{
	struct saas__gcra g;
	int64_t next = 0;
	struct rkey **w, *e;
	size_t len;
	uint64_t h;
	int rc;

	if (out)
		memset(out, 0, sizeof *out);
	if (!rl)
		return saas__err(SAAS_EINVAL, "rl", "rl is NULL");
	if ((rc = saas__gcra_init(&g, out, key, p, quantity, now_ms)))
		return rc;
	len = g.key_len;
	h = hash_key(key, len);

	pthread_mutex_lock(&rl->mu);
	w = where(rl, h, key, len);
	rc = saas__gcra_decide(out, &next, &g, *w != NULL, *w ? (*w)->tat : 0);
	if (rc == SAAS_OK && *w) {
		(*w)->tat = next;
	} else if (rc == SAAS_OK) {
		if (rl->n >= rl->max)
			make_room(rl, g.now);
		rc = grow(rl);
		if (!rc && !(e = calloc(1, sizeof *e + len + 1)))
			rc = saas__enomem();
		if (!rc) {
			memcpy(e->key, key, len);
			e->len = len;
			e->hash = h;
			e->tat = next;
			w = where(rl, h, key, len); /* the table may have grown */
			e->next = NULL;
			*w = e;
			e->index = rl->n;
			rl->all[rl->n++] = e;
		}
	}
	pthread_mutex_unlock(&rl->mu);
	return rc;
}
