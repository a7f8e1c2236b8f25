/* The context's auth policy (docs/auth.md, "Policy"), read once when the
 * context opens, and the caches of validated session tokens and API keys. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

static const struct saas__auth_policy defaults = {
	.password = SAAS_PASSWORD_PARAMS_INIT,
	/* recovery codes: OWASP's Argon2id floor (19 MiB, t = 2); each code
	 * carries 50 bits and their use is rate-limited */
	.recovery = {SAAS_PASSWORD_PARAMS_VERSION, 2, 19456 * 1024},
	.session_idle_ms = 12 * HOUR_MS,
	.session_absolute_ms = 7 * DAY_MS,
	.login_account = {10, 15 * MIN_MS, 10},
	.login_ip = {60, MIN_MS, 30},
	.mfa = {5, 30 * MIN_MS, 5},
	.token_issue = {3, 10 * MIN_MS, 3},
	.token_ttl_ms = {0, DAY_MS, HOUR_MS, 15 * MIN_MS},
	.apikey_env = "live",
};

const struct saas__auth_policy *saas__auth_default_policy(void)
{
	return &defaults;
}

static int bad(const char *path, const char *what)
{
	return saas__err(SAAS_EINVAL, "auth_policy", "auth_policy: %s: %s", path, what);
}

/* An integer member `key` of `obj` in [lo, hi] times `scale` into *out;
 * absent: left alone. */
static int get_int(int64_t *out, json_t *obj, const char *path, const char *key, int64_t lo,
                   int64_t hi, int64_t scale)
{
	json_t *v = json_object_get(obj, key);
	char where[96];

	if (!v)
		return SAAS_OK;
	snprintf(where, sizeof where, "%s.%s", path, key);
	if (!json_is_integer(v))
		return bad(where, "must be an integer");
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return saas__err(SAAS_EINVAL, "auth_policy",
		                 "auth_policy: %s: %lld is out of range (%lld to %lld)", where,
		                 (long long)json_integer_value(v), (long long)lo, (long long)hi);
	*out = json_integer_value(v) * scale;
	return SAAS_OK;
}

/* Refuse members of `obj` not named in `known` (NULL-terminated): a typo
 * must not silently leave a default in force. */
static int only_known(json_t *obj, const char *path, const char *const *known)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return bad(path, "must be an object");
	json_object_foreach(obj, key, v) {
		size_t i = 0;

		while (known[i] && strcmp(known[i], key) != 0)
			i++;
		if (!known[i])
			return saas__err(SAAS_EINVAL, "auth_policy", "auth_policy: %s: unknown key '%s'",
			                 path, saas__q(key));
	}
	return SAAS_OK;
}

static int get_cost(saas_password_params *p, json_t *obj, const char *path)
{
	static const char *const known[] = {"opslimit", "memlimit", NULL};
	int64_t ops = (int64_t)p->opslimit, mem = (int64_t)p->memlimit;
	int rc;

	if (!obj)
		return SAAS_OK;
	if ((rc = only_known(obj, path, known)) ||
	    (rc = get_int(&ops, obj, path, "opslimit", 1, 100, 1)) ||
	    (rc = get_int(&mem, obj, path, "memlimit", 8192, (int64_t)4 << 30, 1)))
		return rc;
	if (mem % 1024)
		return bad(path, "memlimit must be a multiple of 1024 bytes");
	p->opslimit = (unsigned long long)ops;
	p->memlimit = (size_t)mem;
	return SAAS_OK;
}

static int get_limit(saas_ratelimit_policy *p, json_t *obj, const char *path)
{
	static const char *const known[] = {"count", "period_seconds", "burst", NULL};
	int64_t count = p->count, period = p->period_ms, burst = p->burst;
	int rc;

	if (!obj)
		return SAAS_OK;
	if ((rc = only_known(obj, path, known)) ||
	    (rc = get_int(&count, obj, path, "count", 1, 1000000, 1)) ||
	    (rc = get_int(&period, obj, path, "period_seconds", 1, 366 * 86400, 1000)) ||
	    (rc = get_int(&burst, obj, path, "burst", 1, 1000000, 1)))
		return rc;
	p->count = (unsigned)count;
	p->period_ms = period;
	p->burst = (unsigned)burst;
	return SAAS_OK;
}

static int parse(struct saas__auth_policy *p, json_t *doc)
{
	static const char *const top[] = {"password", "recovery_codes", "session", "login", "mfa",
	                                  "tokens", "apikey", NULL};
	static const char *const session[] = {"idle_seconds", "absolute_seconds", NULL};
	static const char *const login[] = {"account", "ip", NULL};
	static const char *const tokens[] = {"verify_email_seconds", "reset_password_seconds",
	                                     "magic_link_seconds", "issue", NULL};
	static const char *const apikey[] = {"env", NULL};
	json_t *o;
	int rc;

	if ((rc = only_known(doc, "(top)", top)) ||
	    (rc = get_cost(&p->password, json_object_get(doc, "password"), "password")) ||
	    (rc = get_cost(&p->recovery, json_object_get(doc, "recovery_codes"), "recovery_codes")))
		return rc;
	if ((o = json_object_get(doc, "session")) &&
	    ((rc = only_known(o, "session", session)) ||
	     (rc = get_int(&p->session_idle_ms, o, "session", "idle_seconds", 60, 366 * 86400,
	                   1000)) ||
	     (rc = get_int(&p->session_absolute_ms, o, "session", "absolute_seconds", 60,
	                   3660 * 86400, 1000))))
		return rc;
	if ((o = json_object_get(doc, "login")) &&
	    ((rc = only_known(o, "login", login)) ||
	     (rc = get_limit(&p->login_account, json_object_get(o, "account"), "login.account")) ||
	     (rc = get_limit(&p->login_ip, json_object_get(o, "ip"), "login.ip"))))
		return rc;
	if ((rc = get_limit(&p->mfa, json_object_get(doc, "mfa"), "mfa")))
		return rc;
	if ((o = json_object_get(doc, "tokens")) &&
	    ((rc = only_known(o, "tokens", tokens)) ||
	     (rc = get_int(&p->token_ttl_ms[1], o, "tokens", "verify_email_seconds", 60,
	                   30 * 86400, 1000)) ||
	     (rc = get_int(&p->token_ttl_ms[2], o, "tokens", "reset_password_seconds", 60,
	                   86400, 1000)) ||
	     (rc = get_int(&p->token_ttl_ms[3], o, "tokens", "magic_link_seconds", 60, 86400,
	                   1000)) ||
	     (rc = get_limit(&p->token_issue, json_object_get(o, "issue"), "tokens.issue"))))
		return rc;
	if ((o = json_object_get(doc, "apikey"))) {
		json_t *env;

		if ((rc = only_known(o, "apikey", apikey)))
			return rc;
		if ((env = json_object_get(o, "env"))) {
			if (!json_is_string(env))
				return bad("apikey.env", "must be a string");
			if (!saas__apikey_env_valid(json_string_value(env)))
				return saas__err(SAAS_EINVAL, "auth_policy",
				                 "auth_policy: apikey.env: '%s' is not 1 to %d of [a-z]",
				                 saas__q(json_string_value(env)), SAAS_APIKEY_ENV_MAX);
			snprintf(p->apikey_env, sizeof p->apikey_env, "%s", json_string_value(env));
		}
	}
	if (p->session_idle_ms > p->session_absolute_ms)
		return bad("session", "idle_seconds must not exceed absolute_seconds");
	return SAAS_OK;
}

/* ---- the caches ------------------------------------------------------------------- */

/* A direct-mapped cache of validated secrets: slot by the secret's hash,
 * a colliding entry replaces the older one. Values are copies owned by
 * the cache, freed with the cache's `free_fn`. */
#define CACHE_SLOTS 4096

struct saas__tcache {
	pthread_mutex_t mu;
	void (*free_fn)(void *);
	struct tslot {
		char hash[65];
		char *id;          /* the session's or key's id, for revocation */
		void *value;
		int64_t fetched_ms;
	} slots[CACHE_SLOTS];
};

struct saas__auth {
	struct saas__auth_policy policy;
	struct saas__tcache sessions, apikeys;
};

static void cache_init(struct saas__tcache *c, void (*free_fn)(void *))
{
	pthread_mutex_init(&c->mu, NULL);
	c->free_fn = free_fn;
}

static void slot_clear(struct saas__tcache *c, struct tslot *s)
{
	if (s->value)
		c->free_fn(s->value);
	free(s->id);
	memset(s, 0, sizeof *s);
}

static void cache_destroy(struct saas__tcache *c)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		slot_clear(c, &c->slots[i]);
	pthread_mutex_destroy(&c->mu);
}

static size_t slot_of(const char *hash)
{
	/* the hash is uniformly random hex: its first 3 digits pick the slot */
	size_t v = 0;

	for (int i = 0; i < 3; i++) {
		char ch = hash[i];

		v = v * 16 + (size_t)(ch >= 'a' ? ch - 'a' + 10 : ch - '0');
	}
	return v & (CACHE_SLOTS - 1);
}

struct saas__tcache *saas__auth_cache(saas_ctx *ctx, int which)
{
	return which == SAAS__CACHE_SESSIONS ? &ctx->auth->sessions : &ctx->auth->apikeys;
}

void *saas__tcache_get(struct saas__tcache *c, const char *hash, int64_t now_ms,
                       int64_t max_age_ms, void *(*copy)(const void *))
{
	struct tslot *s = &c->slots[slot_of(hash)];
	void *out = NULL;

	pthread_mutex_lock(&c->mu);
	if (s->value && strcmp(s->hash, hash) == 0) {
		if (now_ms - s->fetched_ms <= max_age_ms && now_ms >= s->fetched_ms)
			out = copy(s->value);
		else
			slot_clear(c, s);
	}
	pthread_mutex_unlock(&c->mu);
	return out;
}

void saas__tcache_put(struct saas__tcache *c, const char *hash, const char *id, void *value,
                      int64_t now_ms)
{
	struct tslot *s = &c->slots[slot_of(hash)];
	char *idc = saas__strdup(id);

	if (!idc) {
		c->free_fn(value);
		return;
	}
	pthread_mutex_lock(&c->mu);
	slot_clear(c, s);
	snprintf(s->hash, sizeof s->hash, "%s", hash);
	s->id = idc;
	s->value = value;
	s->fetched_ms = now_ms;
	pthread_mutex_unlock(&c->mu);
}

void saas__tcache_put_copy(struct saas__tcache *c, const char *hash, const char *id,
                           const void *value, void *(*copy)(const void *), int64_t now_ms)
{
	void *v = copy(value);

	if (v)
		saas__tcache_put(c, hash, id, v, now_ms);
}

void saas__tcache_drop(struct saas__tcache *c, const char *id)
{
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i].id && (!id || strcmp(c->slots[i].id, id) == 0))
			slot_clear(c, &c->slots[i]);
	pthread_mutex_unlock(&c->mu);
}

/* ---- the state ---------------------------------------------------------------------- */

static void free_session_value(void *v)
{
	saas_session_free(v);
}

static void free_apikey_value(void *v)
{
	saas_apikey_free(v);
}

int saas__auth_new(struct saas__auth **out, const char *policy_json)
{
	struct saas__auth *a;
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	if ((rc = saas__json_option(&doc, "auth_policy", policy_json)))
		return rc;
	a = calloc(1, sizeof *a);
	if (!a) {
		json_decref(doc);
		return saas__enomem();
	}
	a->policy = defaults;
	rc = doc ? parse(&a->policy, doc) : SAAS_OK;
	json_decref(doc);
	if (rc) {
		free(a);
		return rc;
	}
	cache_init(&a->sessions, free_session_value);
	cache_init(&a->apikeys, free_apikey_value);
	*out = a;
	return SAAS_OK;
}

void saas__auth_free(struct saas__auth *a)
{
	if (!a)
		return;
	cache_destroy(&a->sessions);
	cache_destroy(&a->apikeys);
	free(a);
}

const struct saas__auth_policy *saas__auth_policy(saas_ctx *ctx)
{
	return &ctx->auth->policy;
}
