/*
 * bench/authz: saas_authorize() per check, cached and uncached, on a policy
 * of 1,000 tenants with 4 roles each and 10,000 users, side by side in one
 * run with a bare hash-table lookup of the same answers (the floor), one
 * plain SELECT of a member's roles (one store round trip), and node-casbin's
 * enforce() on the same policy. The ratios are the figures: cached / floor
 * (aim: at most 2) and uncached / one SELECT (aim: one round trip).
 *
 *   usage: authz [-t TENANTS] [-u USERS] [-r REQUESTS] [-U UNCACHED] [-C CASBIN]
 *                [-s SEED] [-n]
 *     -t  tenants (default 1000)           -u  users (default 10000)
 *     -r  requests in the sequence (default 200000): floor and cached
 *     -U  requests timed uncached (default 20000, the sequence's first)
 *     -C  requests timed on node-casbin (default 20000; 0: skip it)
 *     -s  the seed of the population and the requests (default 42)
 *     -n  no node-casbin (as -C 0)
 *
 * The policy, through the public API on sqlite:<tmp>/authz.db: TENANTS
 * tenants; the four built-in roles owner ⊇ admin ⊇ member ⊇ viewer, with
 * the application's permissions added by the context option rbac_policy
 * (POLICY below: member gets project:*, viewer project:read), so a check
 * asks for the library's own permissions and the application's; USERS
 * users, each a member of 1 to 3 tenants (the first i % TENANTS, so every
 * tenant has members) with one role: a tenant's first member is its owner,
 * then 10% admin, 50% member, 40% viewer. Each create/add is its own
 * transaction with its audit event (the API has no bulk form), made with
 * synchronous=NORMAL to spare fsyncs; the time is reported.
 *
 * The requests: a fixed pseudo-random sequence (SEED) of (tenant, user,
 * permission): 80% a member of the tenant, 20% a user who is not; the
 * permission 60% of the time one of project:{read,create,update,delete},
 * else one of the library's 25 (docs/rbac.md). The expected answer of each
 * comes from the catalog (saas_rbac_role_grants); every side's answers are
 * checked against it and mismatches are reported.
 *
 * Timed, in one process, best of PASSES passes where noted, sides alternating:
 *   floor       a bare open-addressing hash table keyed by the string
 *               "tenant|user|permission" -> allowed, pre-filled with every
 *               request's answer; per check: strlen, hash, probe, memcmp.
 *   cached      a context with the defaults (authz_cache_size 100,000) warmed
 *               by one pass; per check saas_authorize(decision, ctx, scope,
 *               permission) with one reused saas_decision and a scope per
 *               (tenant, user) made beforehand. Best of PASSES; also over the
 *               allowed and the denied requests alone. The cold pass (each
 *               actor's first check: load from the store and compile) is
 *               reported too, and the memory the cache took (peak RSS growth
 *               over the warm-up, per cached actor).
 *   uncached    a second context on the same file with authz_cache_size = 0:
 *               every check loads from the store. Beside it the raw round
 *               trip: a sqlite3 connection of its own on the same file, one
 *               prepared "SELECT role FROM member_roles WHERE tenant_id = ?
 *               AND user_id = ?" per request, stepped to the end. The two
 *               alternate in blocks of BLOCK requests; best of 3 passes.
 *   audited   the headline policy has "audit_denials": [] (POLICY, below);
 *               this row opens a context with the default audit_denials and
 *               default durability (synchronous=FULL) and times up to
 *               AUDITED_N cached denials of audited permissions (member:*,
 *               role:create, ...): each appends authz.denied in a transaction
 *               of its own.
 *   node-casbin casbin@5 from npm, installed into the temporary directory
 *               (npm install --prefix; or $SAAS_BENCH_CASBIN_DIR if it holds
 *               node_modules/casbin already), run by bench/authz-casbin.js on
 *               the same policy and the first CASBIN requests: the model is
 *               Casbin's RBAC with domains (CASBIN_MODEL below), one enforcer
 *               per tenant (Casbin evaluates the matcher against every p
 *               rule of an enforcer on each check, so one enforcer holding
 *               every tenant's rules would scan 31,000 rules per check), the
 *               library's roles expanded to concrete permissions. Without
 *               node or npm, one "skipped" line says why.
 * With SAAS_BENCH_POSTGRES_URL (else SAAS_TEST_POSTGRES_URL) set, the
 * uncached check also runs on PostgreSQL (a smaller population: PG_TENANTS
 * tenants, PG_USERS users, unique per run) beside one prepared libpq SELECT
 * of a member's roles on a copy of member_roles without row-level security
 * (bench_authz_raw, created by the owner URL, SAAS_BENCH_POSTGRES_OWNER_URL
 * or SAAS_TEST_POSTGRES_OWNER_URL, else the same URL, and dropped after).
 *
 * Output: a table (ns per check, checks per second, ratio to the floor) and
 * the two ratios, then one JSON line per measurement. Figures, never
 * pass/fail. The temporary directory (under $TMPDIR or /tmp) is removed.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#ifdef SAAS_BENCH_POSTGRES
#include <libpq-fe.h>
#endif

#include <saas.h>

#include "common.h"
#include <saas/authz.h>

#ifndef SAAS_BENCH_CASBIN_JS
#define SAAS_BENCH_CASBIN_JS "bench/authz-casbin.js"
#endif

#define DEFAULT_TENANTS 1000
#define DEFAULT_USERS 10000
#define DEFAULT_REQUESTS 200000
#define DEFAULT_UNCACHED 20000
#define DEFAULT_CASBIN 20000
#define DEFAULT_SEED 42
#define PASSES 5          /* floor and cached: best of this many passes */
#define UNCACHED_PASSES 3 /* uncached and the raw SELECT: best of this many */
#define BLOCK 500         /* uncached: the sides alternate in blocks of this many */
#define CASBIN_WARMUP 2000
#define PG_TENANTS 50
#define PG_USERS 500
#define MAX_TENANTS_PER_USER 3

/* The application's permissions on top of the built-in roles' defaults.
 * POLICY turns audited denials off ("audit_denials": []): with the defaults,
 * a denial of tenant:update, member:*, role:create and the like appends
 * authz.denied in a transaction of its own (a durable write per check),
 * which would swamp the decision being measured; that cost has its own row,
 * measured with POLICY_AUDITED (the default audit_denials). */
#define POLICY_ROLES                                                                              \
	"\"roles\":{\"member\":{\"permissions\":[\"project:*\"]},"                                  \
	"\"viewer\":{\"permissions\":[\"project:read\"]}}"
static const char POLICY[] = "{" POLICY_ROLES ",\"audit_denials\":[]}";
static const char POLICY_AUDITED[] = "{" POLICY_ROLES "}";
#define AUDITED_N 300 /* audited denials timed */

/* The default audit_denials (lib/rbac/catalog.c, docs/authz.md) among PERMS. */
static int audited_by_default(const char *perm)
{
	static const char *const list[] = {
		"tenant:update", "tenant:delete", "tenant:export", "role:create", "role:update",
		"role:delete", "apikey:create", "apikey:revoke", "billing:manage", "audit:export"};
	if (strncmp(perm, "member:", 7) == 0)
		return 1;
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
		if (strcmp(perm, list[i]) == 0)
			return 1;
	return 0;
}

/* The permissions asked for: the application's first (APP_PERMS of them),
 * then the library's vocabulary (docs/rbac.md). */
#define APP_PERMS 4
static const char *const PERMS[] = {
	"project:read", "project:create", "project:update", "project:delete",
	"tenant:read", "tenant:update", "tenant:export", "tenant:delete", "tenant:restore",
	"member:read", "member:invite", "member:add", "member:update", "member:remove",
	"role:read", "role:create", "role:update", "role:delete",
	"billing:read", "billing:manage",
	"audit:read", "audit:export",
	"apikey:read", "apikey:create", "apikey:revoke",
	"webhook:read", "webhook:create", "webhook:update", "webhook:delete",
};
#define NPERMS (sizeof PERMS / sizeof PERMS[0])

/* The built-in roles, each inheriting the one before it. */
#define NROLES 4
static const char *const ROLES[NROLES] = {"viewer", "member", "admin", "owner"};

/*
 * Casbin's RBAC with domains, as its documentation writes it. Exact
 * comparisons rather than keyMatch: the library's wildcard grants (owner's
 * `*`, member's `project:*`) are expanded to the concrete permissions the
 * requests ask for, which gives Casbin its cheapest matcher (a keyMatch
 * per rule would only slow it down) while answering exactly as the library
 * does for every request here (checked). The role hierarchy stays Casbin's:
 * g lines owner -> admin -> member -> viewer in each domain, each role's p
 * rules only the permissions its inherited role lacks.
 */
static const char CASBIN_MODEL[] = "[request_definition]\n"
                                   "r = sub, dom, obj, act\n"
                                   "\n"
                                   "[policy_definition]\n"
                                   "p = sub, dom, obj, act\n"
                                   "\n"
                                   "[role_definition]\n"
                                   "g = _, _, _\n"
                                   "\n"
                                   "[policy_effect]\n"
                                   "e = some(where (p.eft == allow))\n"
                                   "\n"
                                   "[matchers]\n"
                                   "m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && "
                                   "r.obj == p.obj && r.act == p.act\n";

/* ---- helpers ---------------------------------------------------------------- */

static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* xorshift64*: the same sequence for the same seed on every machine. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

/* ---- the population ------------------------------------------------------------ */

struct membership {
	uint32_t tenant;
	uint8_t role; /* index into ROLES */
};

struct world {
	size_t nt, nu, nmem;
	char (*tid)[40]; /* tenant ids */
	char (*uid)[40]; /* user ids */
	struct membership (*mem)[MAX_TENANTS_PER_USER];
	uint8_t *nmem_of; /* memberships per user */
	/* members per tenant (CSR): users tm_user[tm_off[t] .. tm_off[t+1]) */
	uint32_t *tm_off, *tm_user;
	double s_tenants, s_users, s_members;
};

/* The user's role in the tenant, or -1 when not a member. */
static int role_of(const struct world *w, size_t t, size_t u)
{
	for (unsigned k = 0; k < w->nmem_of[u]; k++)
		if (w->mem[u][k].tenant == t)
			return w->mem[u][k].role;
	return -1;
}

/* Create the tenants, users and memberships through the API. `tag` makes
 * slugs and emails unique (PostgreSQL keeps them across runs). */
static void populate(struct world *w, saas_ctx *ctx, size_t nt, size_t nu, const char *tag)
{
	saas_scope *sys = NULL;
	char slug[64], email[96];
	double t0;

	w->nt = nt;
	w->nu = nu;
	w->tid = bench_calloc(nt, sizeof *w->tid);
	w->uid = bench_calloc(nu, sizeof *w->uid);
	w->mem = bench_calloc(nu, sizeof *w->mem);
	w->nmem_of = bench_calloc(nu, 1);
	bench_check(saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "bench"), "saas_scope_new");

	t0 = bench_now();
	for (size_t t = 0; t < nt; t++) {
		saas_tenant *ten = NULL;
		snprintf(slug, sizeof slug, "bz%s-%zu", tag, t);
		bench_check(saas_tenant_create(&ten, ctx, sys, slug, slug), "saas_tenant_create");
		snprintf(w->tid[t], sizeof w->tid[t], "%s", saas_tenant_id(ten));
		saas_tenant_free(ten);
	}
	w->s_tenants = bench_now() - t0;

	t0 = bench_now();
	for (size_t u = 0; u < nu; u++) {
		saas_user *usr = NULL;
		snprintf(email, sizeof email, "u%zu%s@bench.example", u, tag);
		bench_check(saas_user_create(&usr, ctx, sys, email, NULL), "saas_user_create");
		snprintf(w->uid[u], sizeof w->uid[u], "%s", saas_user_id(usr));
		saas_user_free(usr);
	}
	w->s_users = bench_now() - t0;

	/* Memberships, one transaction each. */
	uint32_t *count = bench_calloc(nt, sizeof *count);
	t0 = bench_now();
	for (size_t u = 0; u < nu; u++) {
		unsigned k = 1 + (unsigned)rnd_below(MAX_TENANTS_PER_USER);
		if (k > nt)
			k = (unsigned)nt;
		for (unsigned j = 0; j < k; j++) {
			size_t t = j == 0 ? u % nt : rnd_below(nt);
			if (role_of(w, t, u) >= 0) {
				j--; /* a tenant it is in already: draw again */
				continue;
			}
			unsigned r = (unsigned)rnd_below(10);
			int role = count[t] == 0 ? 3 : r == 0 ? 2 : r <= 5 ? 1 : 0;
			saas_scope *s = NULL;
			const char *roles[1] = {ROLES[role]};
			bench_check(saas_scope_new(&s, w->tid[t], SAAS_ACTOR_SYSTEM, "bench"), "saas_scope_new");
			bench_check(saas_member_add(NULL, ctx, s, w->uid[u], roles, 1), "saas_member_add");
			saas_scope_free(s);
			w->mem[u][w->nmem_of[u]].tenant = (uint32_t)t;
			w->mem[u][w->nmem_of[u]].role = (uint8_t)role;
			w->nmem_of[u]++;
			count[t]++;
			w->nmem++;
		}
	}
	w->s_members = bench_now() - t0;

	w->tm_off = bench_calloc(nt + 1, sizeof *w->tm_off);
	w->tm_user = bench_calloc(w->nmem, sizeof *w->tm_user);
	for (size_t t = 0; t < nt; t++)
		w->tm_off[t + 1] = w->tm_off[t] + count[t];
	memset(count, 0, nt * sizeof *count);
	for (size_t u = 0; u < nu; u++)
		for (unsigned k = 0; k < w->nmem_of[u]; k++) {
			uint32_t t = w->mem[u][k].tenant;
			w->tm_user[w->tm_off[t] + count[t]++] = (uint32_t)u;
		}
	free(count);
	saas_scope_free(sys);
}

static void world_free(struct world *w)
{
	free(w->tid);
	free(w->uid);
	free(w->mem);
	free(w->nmem_of);
	free(w->tm_off);
	free(w->tm_user);
}

/* grants[r][p]: whether role r grants PERMS[p], from the context's catalog. */
static unsigned char grants[NROLES][NPERMS];

static void load_grants(saas_ctx *ctx)
{
	for (int r = 0; r < NROLES; r++)
		for (size_t p = 0; p < NPERMS; p++) {
			int g = saas_rbac_role_grants(NULL, ctx, ROLES[r], PERMS[p]);
			if (g < 0)
				bench_check(g, "saas_rbac_role_grants");
			grants[r][p] = (unsigned char)g;
		}
}

/* ---- the requests --------------------------------------------------------------- */

struct req {
	uint32_t tenant, user, actor; /* actor: index of the (tenant, user) pair */
	uint16_t perm;
	uint8_t want; /* the expected answer */
};

struct actor {
	uint32_t tenant, user;
};

struct requests {
	size_t n, nactors;
	struct req *r;
	struct actor *actors;
	size_t allowed;
};

/* (tenant, user) -> actor index: open addressing on 64-bit keys. */
struct pairmap {
	uint64_t *key; /* tenant << 32 | user, plus 1 (0: empty) */
	uint32_t *val;
	size_t mask;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void gen_requests(struct requests *q, const struct world *w, size_t n)
{
	struct pairmap m;
	size_t cap = 16;

	while (cap < 2 * n)
		cap <<= 1;
	m.key = bench_calloc(cap, sizeof *m.key);
	m.val = bench_calloc(cap, sizeof *m.val);
	m.mask = cap - 1;
	q->n = n;
	q->r = bench_calloc(n, sizeof *q->r);
	q->actors = bench_calloc(n, sizeof *q->actors);
	q->nactors = 0;
	q->allowed = 0;

	for (size_t i = 0; i < n; i++) {
		struct req *r = &q->r[i];
		size_t t = rnd_below(w->nt), u;
		uint32_t nm = w->tm_off[t + 1] - w->tm_off[t];

		if (nm > 0 && (nm >= w->nu || rnd_below(10) < 8)) {
			u = w->tm_user[w->tm_off[t] + rnd_below(nm)];
		} else {
			do
				u = rnd_below(w->nu);
			while (role_of(w, t, u) >= 0);
		}
		r->tenant = (uint32_t)t;
		r->user = (uint32_t)u;
		r->perm = (uint16_t)(rnd_below(10) < 6 ? rnd_below(APP_PERMS)
		                                       : APP_PERMS + rnd_below(NPERMS - APP_PERMS));
		int role = role_of(w, t, u);
		r->want = role >= 0 && grants[role][r->perm];
		q->allowed += r->want;

		uint64_t key = ((uint64_t)t << 32 | u) + 1;
		size_t h = (size_t)mix64(key) & m.mask;
		while (m.key[h] && m.key[h] != key)
			h = (h + 1) & m.mask;
		if (!m.key[h]) {
			m.key[h] = key;
			m.val[h] = (uint32_t)q->nactors;
			q->actors[q->nactors].tenant = (uint32_t)t;
			q->actors[q->nactors].user = (uint32_t)u;
			q->nactors++;
		}
		r->actor = m.val[h];
	}
	free(m.key);
	free(m.val);
}

static saas_scope **make_scopes(const struct requests *q, const struct world *w)
{
	saas_scope **s = bench_calloc(q->nactors, sizeof *s);

	for (size_t a = 0; a < q->nactors; a++)
		bench_check(saas_scope_new(&s[a], w->tid[q->actors[a].tenant], SAAS_ACTOR_USER,
		                     w->uid[q->actors[a].user]),
		      "saas_scope_new");
	return s;
}

static void free_scopes(saas_scope **s, size_t n)
{
	for (size_t a = 0; a < n; a++)
		saas_scope_free(s[a]);
	free(s);
}

/* ---- the floor: a bare hash table of "tenant|user|permission" -> allowed --------- */

struct slot {
	uint64_t hash;
	const char *key; /* NULL: empty */
	uint32_t len;
	uint8_t val;
};

struct table {
	struct slot *slots;
	size_t mask;
};

/* 8 bytes at a time; good enough spread for these keys, and quick. */
static inline uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

static void table_put(struct table *tb, const char *key, int val)
{
	size_t len = strlen(key);
	uint64_t h = hash_bytes(key, len);
	size_t i = (size_t)h & tb->mask;

	for (; tb->slots[i].key; i = (i + 1) & tb->mask)
		if (tb->slots[i].hash == h && tb->slots[i].len == len &&
		    memcmp(tb->slots[i].key, key, len) == 0)
			return;
	tb->slots[i].hash = h;
	tb->slots[i].key = key;
	tb->slots[i].len = (uint32_t)len;
	tb->slots[i].val = (uint8_t)val;
}

static inline int table_get(const struct table *tb, const char *key)
{
	size_t len = strlen(key);
	uint64_t h = hash_bytes(key, len);
	size_t i = (size_t)h & tb->mask;

	for (; tb->slots[i].key; i = (i + 1) & tb->mask)
		if (tb->slots[i].hash == h && tb->slots[i].len == len &&
		    memcmp(tb->slots[i].key, key, len) == 0)
			return tb->slots[i].val;
	return -1;
}

/* ---- measurements ------------------------------------------------------------------ */

struct row {
	const char *name;
	const char *backend;
	size_t n;
	double ns; /* per check; 0: not measured */
	const char *note;
};

#define MAX_ROWS 16
static struct row rows[MAX_ROWS];
static size_t nrows;

static void add_row(const char *name, const char *backend, size_t n, double ns, const char *note)
{
	if (nrows < MAX_ROWS)
		rows[nrows++] = (struct row){name, backend, n, ns, note};
}

/* One pass of saas_authorize over idx[0..n) (NULL: requests 0..n); returns
 * the seconds, counts allowed answers and mismatches with the expected. */
static double authorize_pass(saas_ctx *ctx, saas_decision *d, saas_scope **scopes,
                             const struct requests *q, const uint32_t *idx, size_t n,
                             size_t *allowed, size_t *mismatches)
{
	size_t ok = 0, bad = 0;
	double t0 = bench_now();

	for (size_t k = 0; k < n; k++) {
		const struct req *r = &q->r[idx ? idx[k] : k];
		int rc = saas_authorize(d, ctx, scopes[r->actor], PERMS[r->perm]);
		if (rc == SAAS_OK)
			ok++;
		else if (rc != SAAS_EDENIED)
			bench_check(rc, "saas_authorize");
		bad += (rc == SAAS_OK) != r->want;
	}
	double dt = bench_now() - t0;
	if (allowed)
		*allowed = ok;
	if (mismatches)
		*mismatches = bad;
	return dt;
}

static double floor_pass(const struct table *tb, char **keys, const uint32_t *idx, size_t n,
                         size_t *allowed)
{
	size_t ok = 0;
	double t0 = bench_now();

	for (size_t k = 0; k < n; k++)
		ok += table_get(tb, keys[idx ? idx[k] : k]) == 1;
	double dt = bench_now() - t0;
	*allowed = ok;
	return dt;
}

static void report_mismatch(const char *side, size_t bad, size_t n)
{
	if (bad)
		fprintf(stderr,
		        "bench/authz: warning: %s answered %zu of %zu requests unlike the catalog\n",
		        side, bad, n);
}

/* The first request whose answer differs, explained (for the warning). */
static void explain_first_mismatch(saas_ctx *ctx, saas_scope **scopes, const struct requests *q,
                                   size_t n)
{
	saas_decision *d = NULL;

	bench_check(saas_decision_new(&d), "saas_decision_new");
	for (size_t i = 0; i < n; i++) {
		const struct req *r = &q->r[i];
		int rc = saas_authorize(d, ctx, scopes[r->actor], PERMS[r->perm]);
		if ((rc == SAAS_OK) != r->want) {
			char *text = NULL;
			if (saas_decision_explain(&text, d) == SAAS_OK)
				fprintf(stderr, "bench/authz:   e.g. expected %s: %s\n",
				        r->want ? "allowed" : "denied", text);
			saas_free(text);
			break;
		}
	}
	saas_decision_free(d);
}

/* ---- SQLite: uncached vs one SELECT --------------------------------------------------- */

static void uncached_sqlite(const char *path, const char *url, const struct world *w,
                            const struct requests *q, saas_scope **scopes, size_t n)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;
	saas_decision *d = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	double best_lib = 1e30, best_raw = 1e30;
	size_t bad = 0, rows_read = 0;

	if (n > q->n)
		n = q->n;
	o.rbac_policy = POLICY;
	o.authz_cache_size = 0; /* the cache off: every check loads from the store */
	bench_check(saas_ctx_open(&ctx, url, &o), "saas_ctx_open (uncached)");
	bench_check(saas_decision_new(&d), "saas_decision_new");

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		bench_die("sqlite3_open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v3(db, "SELECT role FROM member_roles WHERE tenant_id = ?1 AND user_id = ?2",
	                       -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		bench_die("sqlite3_prepare: %s", sqlite3_errmsg(db));

	/* One untimed block each: statements prepared, pages in the cache. */
	authorize_pass(ctx, d, scopes, q, NULL, n < BLOCK ? n : BLOCK, NULL, NULL);

	for (int pass = 0; pass < UNCACHED_PASSES; pass++) {
		double lib = 0, raw = 0;
		for (size_t from = 0; from < n; from += BLOCK) {
			size_t to = from + BLOCK < n ? from + BLOCK : n, b = 0;
			uint32_t idx[BLOCK];
			for (size_t i = from; i < to; i++)
				idx[i - from] = (uint32_t)i;
			lib += authorize_pass(ctx, d, scopes, q, idx, to - from, NULL, &b);
			if (pass == 0)
				bad += b;

			double t0 = bench_now();
			for (size_t i = from; i < to; i++) {
				const struct req *r = &q->r[i];
				int rc;
				sqlite3_bind_text(st, 1, w->tid[r->tenant], -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 2, w->uid[r->user], -1, SQLITE_STATIC);
				while ((rc = sqlite3_step(st)) == SQLITE_ROW)
					rows_read += sqlite3_column_bytes(st, 0) > 0;
				if (rc != SQLITE_DONE)
					bench_die("sqlite3_step: %s", sqlite3_errmsg(db));
				sqlite3_reset(st);
			}
			raw += bench_now() - t0;
		}
		best_lib = lib < best_lib ? lib : best_lib;
		best_raw = raw < best_raw ? raw : best_raw;
	}
	report_mismatch("saas_authorize (uncached)", bad, n);
	if (rows_read == 0)
		fprintf(stderr, "bench/authz: warning: the raw SELECT read no rows\n");

	add_row("libsaas uncached (authz_cache_size=0)", "sqlite", n, best_lib / (double)n * 1e9,
	        NULL);
	add_row("raw sqlite3: one SELECT of the roles", "sqlite", n, best_raw / (double)n * 1e9,
	        "one store round trip");

	sqlite3_finalize(st);
	sqlite3_close(db);
	saas_decision_free(d);
	saas_ctx_free(ctx);
}

/* ---- audited denials: the default audit_denials, default durability ------------------ */

static void audited_sqlite(const char *url, const struct requests *q, saas_scope **scopes)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;
	saas_decision *d = NULL;
	uint32_t *idx = bench_calloc(AUDITED_N, sizeof *idx);
	size_t n = 0, bad = 0;

	for (size_t i = 0; i < q->n && n < AUDITED_N; i++)
		if (!q->r[i].want && audited_by_default(PERMS[q->r[i].perm]))
			idx[n++] = (uint32_t)i;
	if (n == 0) {
		free(idx);
		return;
	}
	o.rbac_policy = POLICY_AUDITED;
	bench_check(saas_ctx_open(&ctx, url, &o), "saas_ctx_open (audited)");
	bench_check(saas_decision_new(&d), "saas_decision_new");
	/* Warm these actors with a permission whose denial is not audited. */
	for (size_t k = 0; k < n; k++) {
		int rc = saas_authorize(d, ctx, scopes[q->r[idx[k]].actor], "project:read");
		if (rc != SAAS_OK && rc != SAAS_EDENIED)
			bench_check(rc, "saas_authorize");
	}
	double dt = authorize_pass(ctx, d, scopes, q, idx, n, NULL, &bad);
	report_mismatch("saas_authorize (audited denials)", bad, n);
	add_row("libsaas cached, denial audited (defaults)", "sqlite", n, dt / (double)n * 1e9,
	        "appends authz.denied, synchronous=FULL");
	saas_decision_free(d);
	saas_ctx_free(ctx);
	free(idx);
}

/* ---- node-casbin ------------------------------------------------------------------------ */

struct casbin_result {
	int ran;
	char skipped[512];
	double enforce_ns, sync_ns, build_s, install_s;
	long mismatches, rss_kb, policy_lines, n;
	char version[32], node[32];
};

static double json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

static void json_str(const char *json, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	p = strstr(json, pat);
	out[0] = '\0';
	if (p) {
		p += strlen(pat);
		size_t k = strcspn(p, "\"");
		snprintf(out, len, "%.*s", (int)(k < len ? k : len - 1), p);
	}
}

/* The policy of tenant t in Casbin's CSV: each role's permissions that the
 * role it inherits lacks, the role hierarchy, the members. */
static void casbin_tenant_policy(FILE *f, const struct world *w, size_t t)
{
	const char *dom = w->tid[t];

	for (int r = 0; r < NROLES; r++)
		for (size_t p = 0; p < NPERMS; p++)
			if (grants[r][p] && !(r > 0 && grants[r - 1][p])) {
				const char *colon = strchr(PERMS[p], ':');
				fprintf(f, "p, %s, %s, %.*s, %s\\n", ROLES[r], dom, (int)(colon - PERMS[p]),
				        PERMS[p], colon + 1);
			}
	for (int r = NROLES - 1; r > 0; r--)
		fprintf(f, "g, %s, %s, %s\\n", ROLES[r], ROLES[r - 1], dom);
	for (uint32_t k = w->tm_off[t]; k < w->tm_off[t + 1]; k++) {
		uint32_t u = w->tm_user[k];
		fprintf(f, "g, %s, %s, %s\\n", w->uid[u], ROLES[role_of(w, t, u)], dom);
	}
}

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
}

static void casbin_run(struct casbin_result *res, const struct world *w, const struct requests *q,
                       size_t n)
{
	char prefix[4200], input[4200], log[4200], cmd[16384], line[8192];
	const char *script = getenv("SAAS_BENCH_CASBIN_JS");
	const char *dir = getenv("SAAS_BENCH_CASBIN_DIR");
	struct stat sb;
	FILE *f;

	memset(res, 0, sizeof *res);
	if (!script || !*script)
		script = SAAS_BENCH_CASBIN_JS;
	if (n > q->n)
		n = q->n;
	if (stat(script, &sb) != 0) {
		snprintf(res->skipped, sizeof res->skipped, "%s not found", script);
		return;
	}
	if (bench_run_quiet("node --version >/dev/null 2>&1") != 0) {
		snprintf(res->skipped, sizeof res->skipped, "node not found");
		return;
	}
	snprintf(log, sizeof log, "%s/npm.log", bench_tmpdir);
	if (dir && *dir) {
		snprintf(prefix, sizeof prefix, "%s", dir);
	} else {
		if (bench_run_quiet("npm --version >/dev/null 2>&1") != 0) {
			snprintf(res->skipped, sizeof res->skipped, "npm not found");
			return;
		}
		snprintf(prefix, sizeof prefix, "%s/casbin", bench_tmpdir);
		snprintf(cmd, sizeof cmd,
		         "npm install --prefix '%s' casbin@5 --no-audit --no-fund --loglevel=error"
		         " >'%s' 2>&1",
		         prefix, log);
		double t0 = bench_now();
		int rc = bench_run_quiet(cmd);
		res->install_s = bench_now() - t0;
		if (rc != 0) {
			char why[400];
			bench_last_line(log, why, sizeof why);
			snprintf(res->skipped, sizeof res->skipped, "npm install casbin@5 failed: %s",
			         why[0] ? why : "no output");
			return;
		}
	}

	/* The input: the model, each tenant's policy, the requests. */
	snprintf(input, sizeof input, "%s/casbin.json", bench_tmpdir);
	if (!(f = fopen(input, "w")))
		bench_die("%s: cannot write", input);
	fputs("{\"model\":\"", f);
	json_escape(f, CASBIN_MODEL);
	fputs("\",\"tenants\":[", f);
	for (size_t t = 0; t < w->nt; t++) {
		fprintf(f, "%s{\"dom\":\"%s\",\"policy\":\"", t ? "," : "", w->tid[t]);
		casbin_tenant_policy(f, w, t);
		fputs("\"}", f);
	}
	fputs("],\"requests\":[", f);
	for (size_t i = 0; i < n; i++) {
		const struct req *r = &q->r[i];
		const char *colon = strchr(PERMS[r->perm], ':');
		fprintf(f, "%s[%u,\"%s\",\"%.*s\",\"%s\",%d]", i ? "," : "", r->tenant, w->uid[r->user],
		        (int)(colon - PERMS[r->perm]), PERMS[r->perm], colon + 1, r->want);
	}
	fprintf(f, "],\"warmup\":%d}\n", CASBIN_WARMUP);
	if (fclose(f) != 0)
		bench_die("%s: write failed", input);

	snprintf(log, sizeof log, "%s/node.log", bench_tmpdir);
	snprintf(cmd, sizeof cmd, "NODE_PATH='%s/node_modules' node '%s' '%s' 2>'%s'", prefix,
	         script, input, log);
	if (!(f = popen(cmd, "r")))
		bench_die("popen node");
	line[0] = '\0';
	while (fgets(line, sizeof line, f))
		if (strstr(line, "\"enforce_ns\""))
			break;
	int rc = pclose(f);
	if (rc != 0 || !strstr(line, "\"enforce_ns\"")) {
		char why[400];
		bench_last_line(log, why, sizeof why);
		snprintf(res->skipped, sizeof res->skipped, "node failed: %s", why[0] ? why : "no output");
		return;
	}
	res->ran = 1;
	res->enforce_ns = json_num(line, "enforce_ns");
	res->sync_ns = json_num(line, "enforce_sync_ns");
	res->build_s = json_num(line, "build_s");
	res->mismatches = (long)json_num(line, "mismatches");
	res->rss_kb = (long)json_num(line, "rss_kb");
	res->policy_lines = (long)json_num(line, "policy_lines");
	res->n = (long)json_num(line, "n");
	json_str(line, "casbin", res->version, sizeof res->version);
	json_str(line, "node", res->node, sizeof res->node);
}

/* ---- PostgreSQL (optional): uncached vs one libpq SELECT -------------------------------- */

#ifdef SAAS_BENCH_POSTGRES
static char pg_skipped[512];

static void pg_uncached(size_t n)
{
	const char *app = getenv("SAAS_BENCH_POSTGRES_URL");
	const char *owner = getenv("SAAS_BENCH_POSTGRES_OWNER_URL");
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;
	saas_decision *d = NULL;
	struct world w = {0};
	struct requests q = {0};
	char tag[48];
	PGconn *own = NULL, *raw = NULL;
	PGresult *res;

	if (!app || !*app)
		app = getenv("SAAS_TEST_POSTGRES_URL");
	if (!owner || !*owner)
		owner = getenv("SAAS_TEST_POSTGRES_OWNER_URL");
	if (!app || !*app) {
		snprintf(pg_skipped, sizeof pg_skipped,
		         "SAAS_BENCH_POSTGRES_URL and SAAS_TEST_POSTGRES_URL are not set");
		return;
	}
	if (!owner || !*owner)
		owner = app;

	/* The owner migrates; the population goes through the application role. */
	bench_check(saas_ctx_open(&ctx, owner, NULL), "saas_ctx_open (postgres owner)");
	saas_ctx_free(ctx);
	o.rbac_policy = POLICY;
	bench_check(saas_ctx_open(&ctx, app, &o), "saas_ctx_open (postgres)");
	snprintf(tag, sizeof tag, "-%ld-%ld", (long)time(NULL), (long)getpid());
	populate(&w, ctx, PG_TENANTS, PG_USERS, tag);
	gen_requests(&q, &w, n);
	saas_ctx_free(ctx);

	/* The raw side's table: member_roles' columns and key, no RLS. */
	own = PQconnectdb(owner);
	if (PQstatus(own) != CONNECTION_OK) {
		snprintf(pg_skipped, sizeof pg_skipped, "cannot connect: %s", PQerrorMessage(own));
		PQfinish(own);
		goto out;
	}
	res = PQexec(own, "SET client_min_messages = warning;"
	                  "DROP TABLE IF EXISTS bench_authz_raw;"
	                  "CREATE TABLE bench_authz_raw (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,"
	                  " role TEXT NOT NULL, PRIMARY KEY (tenant_id, user_id, role));"
	                  "GRANT SELECT ON bench_authz_raw TO PUBLIC");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(pg_skipped, sizeof pg_skipped, "cannot create bench_authz_raw: %s",
		         PQerrorMessage(own));
		PQclear(res);
		PQfinish(own);
		goto out;
	}
	PQclear(res);
	PQclear(PQexec(own, "BEGIN"));
	for (size_t u = 0; u < w.nu; u++)
		for (unsigned k = 0; k < w.nmem_of[u]; k++) {
			const char *v[3] = {w.tid[w.mem[u][k].tenant], w.uid[u], ROLES[w.mem[u][k].role]};
			res = PQexecParams(own, "INSERT INTO bench_authz_raw VALUES ($1, $2, $3)", 3, NULL, v,
			                   NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_COMMAND_OK)
				bench_die("insert bench_authz_raw: %s", PQerrorMessage(own));
			PQclear(res);
		}
	PQclear(PQexec(own, "COMMIT; ANALYZE bench_authz_raw"));

	raw = PQconnectdb(app);
	if (PQstatus(raw) != CONNECTION_OK)
		bench_die("cannot connect: %s", PQerrorMessage(raw));
	res = PQprepare(raw, "roles",
	                "SELECT role FROM bench_authz_raw WHERE tenant_id = $1 AND user_id = $2", 2,
	                NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		bench_die("prepare: %s", PQerrorMessage(raw));
	PQclear(res);

	o.authz_cache_size = 0;
	bench_check(saas_ctx_open(&ctx, app, &o), "saas_ctx_open (postgres, uncached)");
	bench_check(saas_decision_new(&d), "saas_decision_new");
	saas_scope **scopes = make_scopes(&q, &w);
	authorize_pass(ctx, d, scopes, &q, NULL, n < 50 ? n : 50, NULL, NULL); /* the pool warms */

	double best_lib = 1e30, best_raw = 1e30;
	size_t bad = 0;
	for (int pass = 0; pass < UNCACHED_PASSES; pass++) {
		double lib = 0, rawt = 0;
		for (size_t from = 0; from < n; from += BLOCK) {
			size_t to = from + BLOCK < n ? from + BLOCK : n, b = 0;
			uint32_t idx[BLOCK];
			for (size_t i = from; i < to; i++)
				idx[i - from] = (uint32_t)i;
			lib += authorize_pass(ctx, d, scopes, &q, idx, to - from, NULL, &b);
			if (pass == 0)
				bad += b;
			double t0 = bench_now();
			for (size_t i = from; i < to; i++) {
				const char *v[2] = {w.tid[q.r[i].tenant], w.uid[q.r[i].user]};
				res = PQexecPrepared(raw, "roles", 2, v, NULL, NULL, 0);
				if (PQresultStatus(res) != PGRES_TUPLES_OK)
					bench_die("select: %s", PQerrorMessage(raw));
				PQclear(res);
			}
			rawt += bench_now() - t0;
		}
		best_lib = lib < best_lib ? lib : best_lib;
		best_raw = rawt < best_raw ? rawt : best_raw;
	}
	report_mismatch("saas_authorize (postgres, uncached)", bad, n);
	add_row("libsaas uncached (authz_cache_size=0)", "postgres", n, best_lib / (double)n * 1e9,
	        NULL);
	add_row("raw libpq: one SELECT of the roles", "postgres", n, best_raw / (double)n * 1e9,
	        "one store round trip");
	free_scopes(scopes, q.nactors);
	saas_decision_free(d);
	saas_ctx_free(ctx);
	PQfinish(raw);
	PQclear(PQexec(own, "DROP TABLE IF EXISTS bench_authz_raw"));
	PQfinish(own);
out:
	free(q.r);
	free(q.actors);
	world_free(&w);
}
#endif

/* ---- output ------------------------------------------------------------------------------- */

static double find_ns(const char *name, const char *backend)
{
	for (size_t i = 0; i < nrows; i++)
		if (strcmp(rows[i].name, name) == 0 && strcmp(rows[i].backend, backend) == 0)
			return rows[i].ns;
	return 0;
}

static void print_table(double floor_ns)
{
	printf("\n%-44s %-9s %12s %14s %10s\n", "name", "backend", "ns/check", "checks/s",
	       "vs floor");
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		printf("%-44s %-9s %12.1f %14.0f %10.2f\n", r->name, r->backend, r->ns, 1e9 / r->ns,
		       r->ns / floor_ns);
	}
	putchar('\n');
}

static void print_json(double floor_ns)
{
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		printf("{\"bench\":\"authz\",\"name\":\"%s\",\"backend\":\"%s\",\"n\":%zu,"
		       "\"ns_per_check\":%.1f,\"checks_per_s\":%.0f,\"ratio_to_floor\":%.3f%s%s%s}\n",
		       r->name, r->backend, r->n, r->ns, 1e9 / r->ns, r->ns / floor_ns,
		       r->note ? ",\"note\":\"" : "", r->note ? r->note : "", r->note ? "\"" : "");
	}
}

/* ---- main ------------------------------------------------------------------------------- */

static size_t opt_num(const char *arg)
{
	char *end;
	unsigned long long v = strtoull(arg, &end, 10);

	if (*arg == '\0' || *end != '\0')
		return (size_t)-1;
	return (size_t)v;
}

int main(int argc, char **argv)
{
	bench_name = "authz";
	size_t nt = DEFAULT_TENANTS, nu = DEFAULT_USERS, nreq = DEFAULT_REQUESTS;
	size_t nunc = DEFAULT_UNCACHED, ncas = DEFAULT_CASBIN;
	uint64_t seed = DEFAULT_SEED;
	const char *base = getenv("TMPDIR");
	char path[4200], url[4300];
	int c;

	while ((c = getopt(argc, argv, "t:u:r:U:C:s:n")) != -1) {
		size_t v = optarg ? opt_num(optarg) : 0;
		switch (c) {
		case 't': nt = v; break;
		case 'u': nu = v; break;
		case 'r': nreq = v; break;
		case 'U': nunc = v; break;
		case 'C': ncas = v; break;
		case 's': seed = v; break;
		case 'n': ncas = 0; break;
		default: goto usage;
		}
		if (v == (size_t)-1)
			goto usage;
	}
	if (optind != argc || nt == 0 || nu == 0 || nreq == 0 || nunc == 0 || nt > UINT32_MAX ||
	    nu > UINT32_MAX || nreq > UINT32_MAX)
		goto usage;
	rng_state = seed ? seed : DEFAULT_SEED;

	snprintf(bench_tmpdir, sizeof bench_tmpdir, "%s/libsaas-bench-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(bench_tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/authz.db", bench_tmpdir);
	snprintf(url, sizeof url, "sqlite:%s", path);

	/* ---- the population (synchronous=NORMAL: setup, not measured as checks) ---- */
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;
	struct world w = {0};

	o.rbac_policy = POLICY;
	o.sqlite_synchronous_full = 0;
	bench_check(saas_ctx_open(&ctx, url, &o), "saas_ctx_open (population)");
	load_grants(ctx);
	double t0 = bench_now();
	populate(&w, ctx, nt, nu, "");
	double pop_s = bench_now() - t0;
	saas_ctx_free(ctx);

	struct requests q = {0};
	gen_requests(&q, &w, nreq);
	printf("bench/authz: libsaas %s; %zu tenants x %d roles, %zu users, %zu memberships"
	       " (sqlite); %zu requests (%.0f%% allowed) over %zu actors; seed %" PRIu64 "\n",
	       saas_version(), nt, NROLES, nu, w.nmem, q.n, 100.0 * (double)q.allowed / (double)q.n,
	       q.nactors, seed);
	printf("population through the API: %.1f s (saas_tenant_create %.0f us, saas_user_create"
	       " %.0f us, saas_member_add %.0f us each; one transaction each, synchronous=NORMAL)\n",
	       pop_s, w.s_tenants / (double)nt * 1e6, w.s_users / (double)nu * 1e6,
	       w.s_members / (double)w.nmem * 1e6);
	fflush(stdout);

	/* ---- the floor's table and keys (untimed) ---- */
	char **keys = bench_calloc(q.n, sizeof *keys);
	struct table tb;
	size_t cap = 16;
	while (cap < 2 * q.n)
		cap <<= 1;
	tb.slots = bench_calloc(cap, sizeof *tb.slots);
	tb.mask = cap - 1;
	for (size_t i = 0; i < q.n; i++) {
		const struct req *r = &q.r[i];
		char buf[256];
		int len = snprintf(buf, sizeof buf, "%s|%s|%s", w.tid[r->tenant], w.uid[r->user],
		                   PERMS[r->perm]);
		keys[i] = bench_calloc(1, (size_t)len + 1);
		memcpy(keys[i], buf, (size_t)len + 1);
		table_put(&tb, keys[i], r->want);
	}
	uint32_t *allowed_idx = bench_calloc(q.allowed, sizeof *allowed_idx);
	uint32_t *denied_idx = bench_calloc(q.n - q.allowed, sizeof *denied_idx);
	for (size_t i = 0, a = 0, dn = 0; i < q.n; i++) {
		if (q.r[i].want)
			allowed_idx[a++] = (uint32_t)i;
		else
			denied_idx[dn++] = (uint32_t)i;
	}

	/* ---- cached ---- */
	saas_scope **scopes = make_scopes(&q, &w);
	saas_decision *d = NULL;
	saas_authz_stats stats;
	size_t allowed = 0, bad = 0;

	o = (saas_ctx_options)SAAS_CTX_OPTIONS_INIT;
	o.rbac_policy = POLICY;
	bench_check(saas_ctx_open(&ctx, url, &o), "saas_ctx_open");
	bench_check(saas_decision_new(&d), "saas_decision_new");

	/* Cold: each actor's first check loads it from the store and compiles it. */
	uint32_t *first_idx = bench_calloc(q.nactors, sizeof *first_idx);
	{
		unsigned char *seen = bench_calloc(q.nactors, 1);
		size_t k = 0;
		for (size_t i = 0; i < q.n; i++)
			if (!seen[q.r[i].actor]) {
				seen[q.r[i].actor] = 1;
				first_idx[k++] = (uint32_t)i;
			}
		free(seen);
	}
	long rss0 = peak_rss_kb();
	double cold = authorize_pass(ctx, d, scopes, &q, first_idx, q.nactors, NULL, &bad);
	report_mismatch("saas_authorize (first check per actor)", bad, q.nactors);
	authorize_pass(ctx, d, scopes, &q, NULL, q.n, &allowed, &bad); /* the rest warm */
	long rss1 = peak_rss_kb();
	report_mismatch("saas_authorize (cached)", bad, q.n);
	if (bad)
		explain_first_mismatch(ctx, scopes, &q, q.n);
	bench_check(saas_authz_stats_get(&stats, ctx), "saas_authz_stats_get");

	double best_floor = 1e30, best_cached = 1e30, best_allowed = 1e30, best_denied = 1e30;
	size_t floor_allowed = 0;
	for (int pass = 0; pass < PASSES; pass++) {
		double f, cch;
		if (pass % 2) { /* alternate which goes first */
			cch = authorize_pass(ctx, d, scopes, &q, NULL, q.n, &allowed, NULL);
			f = floor_pass(&tb, keys, NULL, q.n, &floor_allowed);
		} else {
			f = floor_pass(&tb, keys, NULL, q.n, &floor_allowed);
			cch = authorize_pass(ctx, d, scopes, &q, NULL, q.n, &allowed, NULL);
		}
		best_floor = f < best_floor ? f : best_floor;
		best_cached = cch < best_cached ? cch : best_cached;
		double a = authorize_pass(ctx, d, scopes, &q, allowed_idx, q.allowed, NULL, NULL);
		double dn = authorize_pass(ctx, d, scopes, &q, denied_idx, q.n - q.allowed, NULL, NULL);
		best_allowed = a < best_allowed ? a : best_allowed;
		best_denied = dn < best_denied ? dn : best_denied;
	}
	if (floor_allowed != q.allowed)
		fprintf(stderr, "bench/authz: warning: the floor allowed %zu, expected %zu\n",
		        floor_allowed, q.allowed);
	saas_authz_stats after;
	bench_check(saas_authz_stats_get(&after, ctx), "saas_authz_stats_get");

	double floor_ns = best_floor / (double)q.n * 1e9;
	add_row("floor: hash table lookup", "-", q.n, floor_ns, "tenant|user|permission -> bool");
	add_row("libsaas cached", "sqlite", q.n, best_cached / (double)q.n * 1e9, NULL);
	add_row("libsaas cached, allowed requests only", "sqlite", q.allowed,
	        best_allowed / (double)q.allowed * 1e9, NULL);
	add_row("libsaas cached, denied requests only", "sqlite", q.n - q.allowed,
	        best_denied / (double)(q.n - q.allowed) * 1e9, NULL);
	add_row("libsaas first check per actor (cold)", "sqlite", q.nactors,
	        cold / (double)q.nactors * 1e9, "load from the store and compile");

	saas_decision_free(d);
	saas_ctx_free(ctx);

	/* ---- uncached ---- */
	uncached_sqlite(path, url, &w, &q, scopes, nunc);
	audited_sqlite(url, &q, scopes);
	free_scopes(scopes, q.nactors);

	/* ---- node-casbin ---- */
	struct casbin_result cb = {0};
	if (ncas > 0) {
		fflush(stdout);
		casbin_run(&cb, &w, &q, ncas);
		if (cb.ran) {
			add_row("node-casbin enforce()", "memory", (size_t)cb.n, cb.enforce_ns,
			        "await e.enforce(sub, dom, obj, act)");
			add_row("node-casbin enforceSync()", "memory", (size_t)cb.n, cb.sync_ns, NULL);
			if (cb.mismatches)
				fprintf(stderr,
				        "bench/authz: warning: node-casbin answered %ld of %ld requests unlike"
				        " the catalog\n",
				        cb.mismatches, cb.n);
		}
	} else {
		snprintf(cb.skipped, sizeof cb.skipped, "-n or -C 0");
	}

	/* ---- PostgreSQL ---- */
#ifdef SAAS_BENCH_POSTGRES
	pg_uncached(nunc < 5000 ? nunc : 5000);
	const char *pg_note = pg_skipped[0] ? pg_skipped : NULL;
#else
	const char *pg_note = "built without libpq";
#endif

	/* ---- output ---- */
	print_table(floor_ns);
	double cached_ns = find_ns("libsaas cached", "sqlite");
	double unc = find_ns("libsaas uncached (authz_cache_size=0)", "sqlite");
	double sel = find_ns("raw sqlite3: one SELECT of the roles", "sqlite");
	printf("cached / floor = %.2f (aim <= 2)\n", cached_ns / floor_ns);
	printf("uncached / one SELECT = %.2f (aim <= 1 round trip; sqlite)\n", unc / sel);
#ifdef SAAS_BENCH_POSTGRES
	if (!pg_note)
		printf("uncached / one SELECT = %.2f (aim <= 1 round trip; postgres)\n",
		       find_ns("libsaas uncached (authz_cache_size=0)", "postgres") /
		               find_ns("raw libpq: one SELECT of the roles", "postgres"));
#endif
	if (cb.ran)
		printf("node-casbin enforce() / libsaas cached = %.0f; / floor = %.0f"
		       " (casbin %s, node %s; %zu enforcers, %ld policy lines, built in %.1f s;"
		       " node RSS %ld MB)\n",
		       cb.enforce_ns / cached_ns, cb.enforce_ns / floor_ns, cb.version, cb.node, nt,
		       cb.policy_lines, cb.build_s, cb.rss_kb / 1024);
	else
		printf("node-casbin: skipped (%s)\n", cb.skipped);
	if (pg_note)
		printf("postgres: skipped (%s)\n", pg_note);
	printf("cache: %" PRIu64 " actors cached (capacity %" PRIu64 "), %" PRIu64 " hits, %" PRIu64
	       " misses, %" PRIu64 " evictions; peak RSS +%ld KB over the warm-up = %.0f bytes"
	       " per cached actor\n",
	       after.entries, after.capacity, after.hits, after.misses, after.evictions, rss1 - rss0,
	       stats.entries ? (double)(rss1 - rss0) * 1024.0 / (double)stats.entries : 0.0);
	putchar('\n');
	print_json(floor_ns);
	printf("{\"bench\":\"authz\",\"op\":\"summary\",\"tenants\":%zu,\"users\":%zu,"
	       "\"memberships\":%zu,\"population_s\":%.1f,\"requests\":%zu,\"allowed\":%zu,"
	       "\"actors\":%zu,\"cached_over_floor\":%.3f,\"uncached_over_select\":%.3f,"
	       "\"cache_entries\":%" PRIu64 ",\"cache_bytes_per_actor\":%.0f,\"casbin\":%s%s%s,"
	       "\"peak_rss_kb\":%ld}\n",
	       nt, nu, w.nmem, pop_s, q.n, q.allowed, q.nactors, cached_ns / floor_ns, unc / sel,
	       stats.entries,
	       stats.entries ? (double)(rss1 - rss0) * 1024.0 / (double)stats.entries : 0.0,
	       cb.ran ? "\"" : "null", cb.ran ? cb.version : "", cb.ran ? "\"" : "", peak_rss_kb());

	for (size_t i = 0; i < q.n; i++)
		free(keys[i]);
	free(keys);
	free(tb.slots);
	free(allowed_idx);
	free(denied_idx);
	free(first_idx);
	free(q.r);
	free(q.actors);
	world_free(&w);
	bench_cleanup();
	return 0;

usage:
	fprintf(stderr,
	        "usage: %s [-t TENANTS] [-u USERS] [-r REQUESTS] [-U UNCACHED] [-C CASBIN] [-s SEED]"
	        " [-n]\n",
	        argv[0]);
	return 2;
}
