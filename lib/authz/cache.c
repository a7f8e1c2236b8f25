/*
 * The decision cache (docs/authz.md, "The decision cache"): (tenant, actor)
 * → what saas__actor_load compiled, in shards (a mutex, a hash table and a
 * dense array of entries each) so that threads rarely meet. A hit touches
 * only its entry (its use counter); a full shard drops the least recently
 * used of a sample of its entries, which approximates LRU without a list to
 * reorder on every hit.
 *
 * Staleness: each entry remembers its tenant slot's generation and the
 * cache's epoch when it was loaded. A committed change to a tenant bumps its
 * slot's generation (saas__authz_changed, called by the store); a change
 * the store cannot place bumps the epoch. An entry whose numbers differ is
 * loaded again. The generation is read before the store is, so a change
 * that commits during a load leaves the entry stale rather than wrong.
 * Other processes' changes arrive through saas__store_watch, asked at most
 * every authz_refresh_ms.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz.h"

#define NSHARDS_MAX 16
#define TSLOT_BUCKETS 4096
#define EVICT_SAMPLE 8
#define DENIAL_SLOTS 1024
#define DENIAL_WINDOW_MS (60 * 1000)

/* A tenant seen by the cache: its generation, shared by its entries. */
struct tslot {
	struct tslot *next;
	atomic_uint_fast64_t gen;
	size_t refs; /* entries pointing here (under the tenants lock) */
	char tenant_id[40];
};

/* An entry is one allocation: the key's fields (one cache line), the actor
 * id and the roles' text, then the actor (its hot fields first), so that a
 * hit reads a few adjacent cache lines. */
struct entry {
	struct entry *hnext; /* hash chain */
	uint64_t hash;
	struct tslot *slot;  /* the tenant (the key's first half) and its generation */
	uint64_t gen, epoch;
	uint64_t used;       /* the shard's clock at the last use */
	uint32_t index;      /* in the shard's dense array */
	int actor_type;
	struct saas__actor *actor; /* after text[], in the same allocation */
	char text[];         /* actor id (the key's second half), NUL, roles' text, NUL */
};

struct shard {
	pthread_mutex_t mu;
	struct entry **buckets;
	size_t mask;
	struct entry **all; /* dense: all[i]->index == i */
	size_t n, cap;
	uint64_t clock;
	uint64_t rng;
	uint64_t hits, misses, evictions;
};

struct saas__authz {
	size_t capacity;
	unsigned refresh_ms;
	unsigned nshards;
	struct shard shards[NSHARDS_MAX];
	atomic_uint_fast64_t epoch;
	atomic_uint_fast64_t invalidations;
	/* tenant slots */
	pthread_mutex_t tmu;
	struct tslot *tslots[TSLOT_BUCKETS];
	/* audited denials lately: (scope, permission) hash → when, and repeats since */
	pthread_mutex_t denial_mu;
	struct {
		uint64_t key;
		int64_t at;
		int64_t repeats;
	} denials[DENIAL_SLOTS];
	/* asking the store what other processes changed (not on memory:) */
	bool watch;
	pthread_mutex_t poll_mu;
	atomic_int_fast64_t next_poll_ms; /* monotonic */
};

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int saas__authz_new(struct saas__authz **out, const saas_ctx_options *opts, bool watch)
{
	struct saas__authz *a = calloc(1, sizeof *a);

	*out = NULL;
	if (!a)
		return saas__enomem();
	a->watch = watch;
	a->capacity = opts->authz_cache_size;
	a->refresh_ms = opts->authz_refresh_ms;
	a->nshards = a->capacity >= 1024 ? NSHARDS_MAX : 1;
	for (unsigned i = 0; i < a->nshards; i++) {
		struct shard *s = &a->shards[i];
		size_t cap = a->capacity / a->nshards, nb = 16;
		while (nb < cap + cap / 2)
			nb *= 2;
		pthread_mutex_init(&s->mu, NULL);
		s->cap = cap;
		s->mask = nb - 1;
		s->rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		if (cap && (!(s->buckets = calloc(nb, sizeof *s->buckets)) ||
		            !(s->all = calloc(cap, sizeof *s->all)))) {
			a->nshards = i + 1;
			saas__authz_free(a);
			return saas__enomem();
		}
	}
	pthread_mutex_init(&a->tmu, NULL);
	pthread_mutex_init(&a->poll_mu, NULL);
	pthread_mutex_init(&a->denial_mu, NULL);
	*out = a;
	return SAAS_OK;
}

static void entry_free(struct entry *e)
{
	saas__actor_clear(e->actor);
	free(e);
}

void saas__authz_free(struct saas__authz *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < a->nshards; i++) {
		struct shard *s = &a->shards[i];
		for (size_t k = 0; k < s->n; k++)
			entry_free(s->all[k]);
		free(s->all);
		free(s->buckets);
		pthread_mutex_destroy(&s->mu);
	}
	for (size_t i = 0; i < TSLOT_BUCKETS; i++)
		for (struct tslot *t = a->tslots[i], *next; t; t = next) {
			next = t->next;
			free(t);
		}
	pthread_mutex_destroy(&a->tmu);
	pthread_mutex_destroy(&a->poll_mu);
	pthread_mutex_destroy(&a->denial_mu);
	free(a);
}

/* ---- tenant slots ----------------------------------------------------------------- */

static struct tslot **tslot_where(struct saas__authz *a, const char *tenant_id)
{
	struct tslot **p = &a->tslots[hash_str(0xcbf29ce484222325ULL, tenant_id) % TSLOT_BUCKETS];

	while (*p && strcmp((*p)->tenant_id, tenant_id) != 0)
		p = &(*p)->next;
	return p;
}

/* The slot of `tenant_id`, made if missing, with one more reference. */
static struct tslot *tslot_ref(struct saas__authz *a, const char *tenant_id)
{
	struct tslot **p, *t;

	pthread_mutex_lock(&a->tmu);
	p = tslot_where(a, tenant_id);
	t = *p;
	if (!t && (t = calloc(1, sizeof *t))) {
		memcpy(t->tenant_id, tenant_id, strlen(tenant_id) + 1);
		*p = t;
	}
	if (t)
		t->refs++;
	pthread_mutex_unlock(&a->tmu);
	return t;
}

static void tslot_unref(struct saas__authz *a, struct tslot *t)
{
	pthread_mutex_lock(&a->tmu);
	if (--t->refs == 0) {
		struct tslot **p = tslot_where(a, t->tenant_id);
		*p = t->next;
		free(t);
	}
	pthread_mutex_unlock(&a->tmu);
}

void saas__authz_changed(saas_ctx *ctx, const char *tenant_id)
{
	struct saas__authz *a = ctx ? ctx->authz : NULL;
	struct tslot *t;

	if (!a)
		return;
	atomic_fetch_add(&a->invalidations, 1);
	if (!tenant_id) {
		atomic_fetch_add(&a->epoch, 1);
		return;
	}
	pthread_mutex_lock(&a->tmu);
	if ((t = *tslot_where(a, tenant_id)))
		atomic_fetch_add(&t->gen, 1);
	pthread_mutex_unlock(&a->tmu);
}

static void watch_fn(const char *tenant_id, void *payload)
{
	saas__authz_changed(payload, tenant_id);
}

/* Every authz_refresh_ms, one caller asks the store what other processes
 * changed (the others go on). */
static void maybe_poll(saas_ctx *ctx, struct saas__authz *a)
{
	int64_t now = mono_ms();

	if (now < atomic_load_explicit(&a->next_poll_ms, memory_order_relaxed))
		return;
	if (pthread_mutex_trylock(&a->poll_mu) != 0)
		return;
	if (saas__store_watch(ctx->store, watch_fn, ctx) != SAAS_OK) {
		/* The watch will be opened again, which drops everything; until
		 * then nothing cached can be trusted to be current. */
		saas__log(ctx, SAAS_LOG_WARN, "authorization: watching for changes failed",
		          json_pack("{s:s}", "error", saas_error_message(saas_error_last())));
		saas__authz_changed(ctx, NULL);
	}
	atomic_store(&a->next_poll_ms, now + (int64_t)a->refresh_ms);
	pthread_mutex_unlock(&a->poll_mu);
}

/* ---- entries ---------------------------------------------------------------------- */

static struct entry **find(struct shard *s, uint64_t hash, const char *tenant_id, int actor_type,
                           const char *actor_id)
{
	struct entry **p = &s->buckets[hash & s->mask];

	for (; *p; p = &(*p)->hnext) {
		struct entry *e = *p;
		if (e->hash == hash && e->actor_type == actor_type &&
		    strcmp(e->text, actor_id) == 0 && strcmp(e->slot->tenant_id, tenant_id) == 0)
			return p;
	}
	return p;
}

/* Take `e` out of the shard: its hash chain and the dense array. */
static void detach(struct shard *s, struct entry *e)
{
	struct entry **p = &s->buckets[e->hash & s->mask];

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	s->all[e->index] = s->all[--s->n];
	s->all[e->index]->index = e->index;
}

/* The least recently used of a sample of the full shard's entries (all of
 * them when there are few). */
static struct entry *victim(struct shard *s)
{
	size_t k = s->n <= EVICT_SAMPLE ? s->n : EVICT_SAMPLE, start = 0;
	struct entry *v = NULL;

	if (s->n > EVICT_SAMPLE) {
		s->rng ^= s->rng << 13;
		s->rng ^= s->rng >> 7;
		s->rng ^= s->rng << 17;
		start = (size_t)(s->rng % s->n);
	}
	for (size_t i = 0; i < k; i++) {
		struct entry *e = s->all[(start + i * (s->n / k)) % s->n];
		if (!v || e->used < v->used)
			v = e;
	}
	return v;
}

static bool current(const struct saas__authz *a, const struct entry *e)
{
	return e->gen == atomic_load_explicit(&e->slot->gen, memory_order_acquire) &&
	       e->epoch == atomic_load_explicit(&a->epoch, memory_order_acquire);
}

/* Drop an entry taken out of its shard. */
static void entry_drop(struct saas__authz *a, struct entry *e)
{
	if (e) {
		tslot_unref(a, e->slot);
		entry_free(e);
	}
}

int saas__authz_decide(bool *allowed, saas_decision *d, saas_ctx *ctx, const saas_scope *scope,
                       const struct saas__perm *p, const char *perm)
{
	struct saas__authz *a = ctx->authz;
	const char *tenant_id = scope->tenant_id, *actor_id = scope->actor_id;
	int actor_type = scope->actor_type;
	uint64_t hash = scope->key_hash;
	/* only support grants and API keys expire: nothing else needs the clock */
	int64_t now = actor_type == SAAS_ACTOR_SUPPORT || actor_type == SAAS_ACTOR_APIKEY
	                      ? saas__now(ctx)
	                      : 0;
	struct entry **where, *e, *stale = NULL, *evicted = NULL;
	struct saas__actor act;
	struct tslot *slot;
	uint64_t gen, epoch;
	size_t idlen;
	struct shard *s;
	int rc;

	if (a->capacity == 0) {
		pthread_mutex_lock(&a->shards[0].mu);
		a->shards[0].misses++;
		pthread_mutex_unlock(&a->shards[0].mu);
		if ((rc = saas__actor_load(&act, ctx, tenant_id, actor_type, actor_id)))
			return rc;
		*allowed = saas__actor_decide(d, ctx, &act, scope, p, perm, now);
		saas__actor_clear(&act);
		return SAAS_OK;
	}
	if (a->watch)
		maybe_poll(ctx, a);
	s = &a->shards[a->nshards > 1 ? (hash >> 56) % a->nshards : 0];

	pthread_mutex_lock(&s->mu);
	where = find(s, hash, tenant_id, actor_type, actor_id);
	if ((e = *where) && current(a, e)) {
		e->used = ++s->clock;
		s->hits++;
		*allowed = saas__actor_decide(d, ctx, e->actor, scope, p, perm, now);
		pthread_mutex_unlock(&s->mu);
		return SAAS_OK;
	}
	if (e) {
		detach(s, e);
		stale = e;
	}
	s->misses++;
	pthread_mutex_unlock(&s->mu);
	entry_drop(a, stale);

	/* A miss: note the generation, then load, then make the entry. */
	if (!(slot = tslot_ref(a, tenant_id)))
		return saas__enomem();
	gen = atomic_load_explicit(&slot->gen, memory_order_acquire);
	epoch = atomic_load_explicit(&a->epoch, memory_order_acquire);
	if ((rc = saas__actor_load(&act, ctx, tenant_id, actor_type, actor_id))) {
		tslot_unref(a, slot);
		return rc;
	}
	idlen = strlen(actor_id);
	{
		size_t at = (sizeof *e + idlen + act.roles_len + 2 + 15) & ~(size_t)15;
		if (!(e = calloc(1, at + sizeof *e->actor))) {
			saas__actor_clear(&act);
			tslot_unref(a, slot);
			return saas__enomem();
		}
		e->actor = (struct saas__actor *)((char *)e + at);
	}
	e->hash = hash;
	e->slot = slot;
	e->gen = gen;
	e->epoch = epoch;
	e->actor_type = actor_type;
	memcpy(e->text, actor_id, idlen + 1);
	*e->actor = act;
	if (act.roles_text) {
		memcpy(e->text + idlen + 1, act.roles_text, act.roles_len);
		free((char *)act.roles_text);
		e->actor->roles_text = e->text + idlen + 1;
		e->actor->roles_text_inline = true;
	}

	pthread_mutex_lock(&s->mu);
	*allowed = saas__actor_decide(d, ctx, e->actor, scope, p, perm, now);
	/* Another thread may have loaded it meanwhile: keep ours, the newer. */
	if ((stale = *find(s, hash, tenant_id, actor_type, actor_id)))
		detach(s, stale);
	if (s->n >= s->cap) {
		evicted = victim(s);
		detach(s, evicted);
		s->evictions++;
	}
	where = find(s, hash, tenant_id, actor_type, actor_id);
	*where = e;
	e->index = (uint32_t)s->n;
	s->all[s->n++] = e;
	e->used = ++s->clock;
	pthread_mutex_unlock(&s->mu);
	entry_drop(a, stale);
	entry_drop(a, evicted);
	return SAAS_OK;
}

bool saas__authz_denial_due(int64_t *repeats, saas_ctx *ctx, const saas_scope *scope,
                            const char *perm, int64_t now)
{
	struct saas__authz *a = ctx->authz;
	uint64_t key = hash_str(scope->key_hash ^ 0x9e3779b97f4a7c15ULL, perm) | 1;
	size_t i = (size_t)(key % DENIAL_SLOTS);
	bool due;

	pthread_mutex_lock(&a->denial_mu);
	due = a->denials[i].key != key || now - a->denials[i].at >= DENIAL_WINDOW_MS ||
	      now < a->denials[i].at;
	if (due) {
		*repeats = a->denials[i].key == key ? a->denials[i].repeats : 0;
		a->denials[i].key = key;
		a->denials[i].at = now;
		a->denials[i].repeats = 0;
	} else {
		a->denials[i].repeats++;
	}
	pthread_mutex_unlock(&a->denial_mu);
	return due;
}

/* ---- public ------------------------------------------------------------------------- */

int saas_authz_stats_get(saas_authz_stats *out, saas_ctx *ctx)
{
	struct saas__authz *a;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	memset(out, 0, sizeof *out);
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	a = ctx->authz;
	for (unsigned i = 0; i < a->nshards; i++) {
		struct shard *s = &a->shards[i];
		pthread_mutex_lock(&s->mu);
		out->hits += s->hits;
		out->misses += s->misses;
		out->evictions += s->evictions;
		out->entries += s->n;
		pthread_mutex_unlock(&s->mu);
	}
	out->invalidations = atomic_load(&a->invalidations);
	out->capacity = a->capacity;
	return SAAS_OK;
}

int saas_authz_invalidate(saas_ctx *ctx, const char *tenant_id)
{
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (tenant_id && (rc = saas__id_check(tenant_id, "ten", "tenant_id")))
		return rc;
	saas__authz_changed(ctx, tenant_id);
	return SAAS_OK;
}
