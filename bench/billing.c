/*
 * bench/billing: billing's hot paths (saas/billing.h), side by side in one
 * run with a raw baseline of the same work:
 *
 *   entitlement_check, cached   saas_entitlement_check() of one tenant's
 *                               boolean feature "sso" (amount 0) and limit
 *                               feature "projects" (amount 1) over and over,
 *                               answered from the per-process view (default
 *                               authz_refresh_ms: at most one rebuild a
 *                               second), beside the floor of a cached
 *                               lookup: the same answer computed by hand
 *                               from the catalogue parsed with jansson, under
 *                               a pthread mutex (json_object_get of the
 *                               tenant's plan and state, of the plan, of the
 *                               feature's value; state active; true, or
 *                               amount <= limit);
 *   entitlement_check, store    the metered feature "api_calls" (amount 1),
 *                               whose usage this period is read from the
 *                               store on every check, beside one prepared
 *                               sqlite3 SELECT of that row by its primary
 *                               key (billing_usage_totals) on a read-only
 *                               connection of its own to the same file;
 *   usage_record                saas_usage_record() of 1 "api_calls" with a
 *                               new idempotency key each time (limit 10^9:
 *                               none refused), beside raw sqlite3 on the
 *                               same file and tables (another tenant):
 *                               BEGIN IMMEDIATE; INSERT the record row;
 *                               INSERT .. ON CONFLICT DO UPDATE the period's
 *                               total; COMMIT (the two writes the library
 *                               makes), statements prepared once;
 *   stripe_apply                saas_billing_stripe_apply() of distinct
 *                               customer.subscription.updated events (the
 *                               fixture tests/fixtures/stripe/lifecycle/
 *                               04-customer.subscription.updated.json, its
 *                               tenant filled in, each with its own "id", a
 *                               "created" one second later than the last and
 *                               the status alternating active / past_due, so
 *                               every one is APPLIED and changes the state),
 *                               beside the floor of any adapter: json_loadb
 *                               of the same body, the id, type, created,
 *                               status, subscription and tenant read from
 *                               it, then BEGIN IMMEDIATE; INSERT the event
 *                               row (billing_provider_events); UPDATE the
 *                               subscription row (billing_subscriptions);
 *                               COMMIT, on the same file (another tenant).
 *
 * The writes run at both durabilities, the library's default
 * (synchronous=FULL: a commit waits for fsync, which dominates) and the
 * option sqlite_synchronous_full = 0 (synchronous=NORMAL: the CPU cost
 * shows), the raw connection with the same pragmas as the library's
 * (journal_mode=WAL, foreign_keys=ON, secure_delete=ON, synchronous=the
 * same). The sides alternate in blocks of BLOCK operations, the order
 * reversed every other block, after an untimed warm-up of each side; the
 * WAL is checkpointed between blocks, untimed (SQLite's automatic
 * checkpoint would otherwise charge one side at random). Each write row
 * also gives the WAL pages one operation of each side writes (PAGES_K more
 * operations of a side alone, untimed, on an emptied WAL): what a commit
 * costs follows it. The check rows are the best of PASSES passes, the two
 * sides alternating.
 *
 *   usage: billing [-n N] [-w W] [-e E]
 *     -n  checks per pass on the cached rows (default 200000; the store
 *         row does N / 10)
 *     -w  usage records per side and durability (default 1000)
 *     -e  Stripe events per side and durability (default 1000)
 *
 * The setup goes through the public API on sqlite:<tmp>/billing.db with
 * synchronous=NORMAL (not measured): the catalogue CATALOG (plan "pro":
 * sso, projects 50, api_calls 10^9 per billing cycle, hard; Stripe price
 * price_pro_monthly), a tenant for the checks and usage with a "pro"
 * subscription (payment_succeeded: active), a tenant for the Stripe events
 * (its subscription made by the first, untimed, event) and a tenant for
 * the raw writes with a "pro" subscription. Output: one JSON line per
 * figure on stdout, the ratio libsaas / baseline (of operations per second)
 * in each. Figures, never pass/fail; about 5-20 s (the fsyncs decide).
 * The temporary directory (under $TMPDIR or /tmp) is removed. The
 * fixture's path is SAAS_BENCH_STRIPE_FIXTURE from the environment, else
 * the one meson compiled in.
 */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include <saas.h>

#include "common.h"

#ifndef SAAS_BENCH_STRIPE_FIXTURE
#define SAAS_BENCH_STRIPE_FIXTURE \
	"tests/fixtures/stripe/lifecycle/04-customer.subscription.updated.json"
#endif

#define DEFAULT_N 200000
#define DEFAULT_W 1000
#define DEFAULT_E 1000
#define PASSES 3  /* best of, for the checks */
#define BLOCK 50  /* writes per side before the other side's turn */
#define WARM 20   /* untimed writes per side first */
#define PAGES_K 20 /* writes per side counting WAL pages */

static const char CATALOG[] =
	"{\"features\": {"
	"  \"sso\": {\"kind\": \"boolean\"},"
	"  \"projects\": {\"kind\": \"limit\"},"
	"  \"api_calls\": {\"kind\": \"metered\", \"period\": \"billing_cycle\","
	"                  \"enforcement\": \"hard\"}},"
	" \"plans\": ["
	"  {\"id\": \"free\", \"name\": \"Free\", \"rank\": 0,"
	"   \"features\": {\"projects\": 2, \"api_calls\": 1000}},"
	"  {\"id\": \"pro\", \"name\": \"Pro\", \"rank\": 10,"
	"   \"prices\": {\"stripe\": [\"price_pro_monthly\"]},"
	"   \"features\": {\"sso\": true, \"projects\": 50, \"api_calls\": 1000000000}}],"
	" \"default_plan\": \"free\"}";

/* ---- output ---------------------------------------------------------------------- */

static void report(const char *op, const char *path, const char *feature, const char *durability,
                   size_t n, double lib_s, double raw_s, const char *baseline,
                   const double pages[2], const char *note)
{
	double lib = (double)n / lib_s, raw = (double)n / raw_s;

	printf("{\"bench\":\"billing\",\"op\":\"%s\",\"path\":\"%s\",\"backend\":\"sqlite\",", op,
	       path);
	if (feature)
		printf("\"feature\":\"%s\",", feature);
	if (durability)
		printf("\"durability\":\"%s\",", durability);
	printf("\"n\":%zu,\"libsaas_ops_per_s\":%.0f,\"baseline\":\"%s\",\"baseline_ops_per_s\":%.0f,"
	       "\"libsaas_us\":%.2f,\"baseline_us\":%.2f,\"ratio\":%.3f",
	       n, lib, baseline, raw, lib_s / (double)n * 1e6, raw_s / (double)n * 1e6, lib / raw);
	if (pages)
		printf(",\"libsaas_wal_pages_per_op\":%.1f,\"baseline_wal_pages_per_op\":%.1f", pages[0],
		       pages[1]);
	if (note)
		printf(",\"note\":\"%s\"", note);
	printf("}\n");
	fflush(stdout);
}

/* ---- raw sqlite3 helpers --------------------------------------------------------------- */

static void sq_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		bench_die("%s: %s", sql, err ? err : sqlite3_errmsg(db));
}

static sqlite3_stmt *sq_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		bench_die("prepare %s: %s", sql, sqlite3_errmsg(db));
	return st;
}

/* Step a statement that returns no row, and reset it. */
static void sq_done(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		bench_die("%s: %s", sqlite3_sql(st), sqlite3_errmsg(db));
	sqlite3_reset(st);
}

/* A read-write connection with the library's pragmas (lib/store/sqlite/sqlite.c). */
static sqlite3 *sq_open_rw(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		bench_die("sqlite3_open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	sq_exec(db, "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; PRAGMA journal_mode=WAL;");
	return db;
}

static void sq_sync(sqlite3 *db, int full)
{
	sq_exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the world ------------------------------------------------------------------------- */

struct world {
	char path[4200], url[4300];
	char *checks;      /* the tenant of the checks and the usage records */
	char *stripe;      /* the tenant of the library's Stripe events */
	char *raw;         /* the tenant of the raw writes */
	saas_scope *sys;   /* a system scope */
	saas_scope *scope; /* a system scope on `checks` */
};

static char *new_tenant(saas_ctx *ctx, const saas_scope *sys, const char *slug)
{
	saas_tenant *t = NULL;
	char *id;

	bench_check(saas_tenant_create(&t, ctx, sys, slug, slug), "saas_tenant_create");
	if (!(id = strdup(saas_tenant_id(t))))
		bench_die("out of memory");
	saas_tenant_free(t);
	return id;
}

static void subscribe(saas_ctx *ctx, const char *tenant)
{
	saas_sub_options so = SAAS_SUB_OPTIONS_INIT;
	saas_scope *s = NULL;

	so.plan = "pro";
	so.payment_method = 1;
	bench_check(saas_scope_new(&s, tenant, SAAS_ACTOR_SYSTEM, "bench"), "saas_scope_new");
	bench_check(saas_subscription_event(NULL, ctx, s, SAAS_SUB_EV_PAYMENT_SUCCEEDED, &so),
	            "saas_subscription_event");
	saas_scope_free(s);
}

static void populate(struct world *w)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;

	o.sqlite_synchronous_full = 0;
	bench_check(saas_ctx_open(&ctx, w->url, &o), "saas_ctx_open (setup)");
	bench_check(saas_scope_new(&w->sys, NULL, SAAS_ACTOR_SYSTEM, "bench"), "saas_scope_new");
	bench_check(saas_billing_plans_load(NULL, ctx, w->sys, CATALOG), "saas_billing_plans_load");
	w->checks = new_tenant(ctx, w->sys, "bench-checks");
	w->stripe = new_tenant(ctx, w->sys, "bench-stripe");
	w->raw = new_tenant(ctx, w->sys, "bench-raw");
	subscribe(ctx, w->checks);
	subscribe(ctx, w->raw);
	bench_check(saas_scope_new(&w->scope, w->checks, SAAS_ACTOR_SYSTEM, "bench"),
	            "saas_scope_new");
	/* a usage total row for the metered checks to read */
	bench_check(saas_usage_record(NULL, ctx, w->scope, "api_calls", 1, "setup-0", 0),
	            "saas_usage_record");
	saas_ctx_free(ctx);
}

/* ---- checks: the floor ------------------------------------------------------------------ */

/* The catalogue parsed once, the plans by id, and the tenants' plan and
 * state: what a hand-written cache of the same answers would hold. */
struct floor {
	pthread_mutex_t mu;
	json_t *catalog; /* the document */
	json_t *plans;   /* plan id -> plan object (borrowed from catalog) */
	json_t *tenants; /* tenant id -> {"plan", "state"} */
};

static void floor_init(struct floor *fl, const char *tenant)
{
	json_error_t err;
	size_t i;
	json_t *p;

	pthread_mutex_init(&fl->mu, NULL);
	if (!(fl->catalog = json_loads(CATALOG, 0, &err)))
		bench_die("the catalogue: %s", err.text);
	fl->plans = json_object();
	json_array_foreach(json_object_get(fl->catalog, "plans"), i, p)
		json_object_set(fl->plans, json_string_value(json_object_get(p, "id")), p);
	fl->tenants = json_object();
	json_object_set_new(fl->tenants, tenant,
	                    json_pack("{s:s,s:s}", "plan", "pro", "state", "active"));
}

static void floor_free(struct floor *fl)
{
	json_decref(fl->tenants);
	json_decref(fl->plans);
	json_decref(fl->catalog);
	pthread_mutex_destroy(&fl->mu);
}

/* 1 allowed, 0 not. */
static int floor_check(struct floor *fl, const char *tenant, const char *feature, int64_t amount)
{
	int ok = 0;

	pthread_mutex_lock(&fl->mu);
	json_t *t = json_object_get(fl->tenants, tenant);
	const char *state = json_string_value(json_object_get(t, "state"));
	json_t *plan = json_object_get(fl->plans, json_string_value(json_object_get(t, "plan")));
	json_t *v = json_object_get(json_object_get(plan, "features"), feature);

	if (state && strcmp(state, "active") == 0) {
		if (json_is_true(v))
			ok = 1;
		else if (json_is_integer(v))
			ok = amount <= json_integer_value(v);
		else if (json_is_string(v))
			ok = strcmp(json_string_value(v), "unlimited") == 0;
	}
	pthread_mutex_unlock(&fl->mu);
	return ok;
}

/* ---- checks: the two sides -------------------------------------------------------------- */

struct check {
	const char *feature;
	int64_t amount;
};

static double lib_checks(saas_ctx *ctx, const saas_scope *s, const struct check *c, size_t n)
{
	double t0 = bench_now();

	for (size_t i = 0; i < n; i++)
		bench_check(saas_entitlement_check(ctx, s, c->feature, c->amount),
		            "saas_entitlement_check");
	return bench_now() - t0;
}

static double floor_checks(struct floor *fl, const char *tenant, const struct check *c, size_t n)
{
	size_t ok = 0;
	double t0 = bench_now();

	for (size_t i = 0; i < n; i++)
		ok += (size_t)floor_check(fl, tenant, c->feature, c->amount);
	double dt = bench_now() - t0;
	if (ok != n)
		bench_die("the floor allowed %zu of %zu checks of %s", ok, n, c->feature);
	return dt;
}

/* n SELECTs of the period's total (bound to tenant, feature, period_start). */
static double select_checks(sqlite3 *db, sqlite3_stmt *st, size_t n)
{
	size_t found = 0;
	int64_t used = 0;
	double t0 = bench_now();

	for (size_t i = 0; i < n; i++) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			used = sqlite3_column_int64(st, 0);
			found += used + 1 <= 1000000000;
		}
		sqlite3_reset(st);
	}
	double dt = bench_now() - t0;
	if (found != n)
		bench_die("the raw side found %zu of %zu rows: %s", found, n, sqlite3_errmsg(db));
	return dt;
}

static void bench_checks(struct world *w, size_t n)
{
	static const struct check cached[] = {{"sso", 0}, {"projects", 1}};
	static const struct check metered = {"api_calls", 1};
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;
	struct floor fl;
	sqlite3 *db = NULL;
	sqlite3_stmt *st;

	bench_check(saas_ctx_open(&ctx, w->url, &o), "saas_ctx_open (checks)");
	floor_init(&fl, w->checks);
	for (size_t k = 0; k < sizeof cached / sizeof cached[0]; k++) {
		double best_lib = 1e30, best_raw = 1e30;

		/* untimed: the view cached, the code warm */
		lib_checks(ctx, w->scope, &cached[k], 1000);
		floor_checks(&fl, w->checks, &cached[k], 1000);
		for (int p = 0; p < PASSES; p++) {
			double lib = lib_checks(ctx, w->scope, &cached[k], n);
			double raw = floor_checks(&fl, w->checks, &cached[k], n);

			best_lib = lib < best_lib ? lib : best_lib;
			best_raw = raw < best_raw ? raw : best_raw;
		}
		report("entitlement_check", "cached", cached[k].feature, NULL, n, best_lib, best_raw,
		       "jansson lookup under a pthread mutex", NULL,
		       "baseline: the floor of a cached lookup, the same answer by hand from the "
		       "catalogue parsed with jansson (json_object_get of the tenant's plan and "
		       "state, the plan, the feature; state active; true or amount <= limit) under "
		       "a pthread mutex; no store access on either side");
	}
	floor_free(&fl);

	/* The metered check reads the period's total from the store each time. */
	if (sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		bench_die("sqlite3_open %s: %s", w->path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	st = sq_prepare(db, "SELECT period_start FROM billing_usage_totals "
	                    "WHERE tenant_id = ?1 AND feature = 'api_calls'");
	sqlite3_bind_text(st, 1, w->checks, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		bench_die("no usage total of api_calls: %s", sqlite3_errmsg(db));
	int64_t period_start = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = sq_prepare(db, "SELECT used FROM billing_usage_totals "
	                    "WHERE tenant_id = ?1 AND feature = ?2 AND period_start = ?3");
	sqlite3_bind_text(st, 1, w->checks, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, metered.feature, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, period_start);

	double best_lib = 1e30, best_raw = 1e30;
	size_t m = n / 10 ? n / 10 : 1;

	lib_checks(ctx, w->scope, &metered, 1000);
	select_checks(db, st, 1000);
	for (int p = 0; p < PASSES; p++) {
		double lib = lib_checks(ctx, w->scope, &metered, m);
		double raw = select_checks(db, st, m);

		best_lib = lib < best_lib ? lib : best_lib;
		best_raw = raw < best_raw ? raw : best_raw;
	}
	report("entitlement_check", "store", metered.feature, NULL, m, best_lib, best_raw,
	       "one sqlite3 SELECT of the usage total by primary key", NULL,
	       "metered usage is read from the store on every check; baseline: one prepared "
	       "SELECT of billing_usage_totals by (tenant_id, feature, period_start) on a "
	       "read-only connection of its own, autocommit");
	sqlite3_finalize(st);
	sqlite3_close(db);
	saas_ctx_free(ctx);
}

/* ---- writes: alternating two sides ------------------------------------------------------ */

/* One operation of a side: the i-th of its own. */
typedef void (*op_fn)(void *arg, size_t i);

/* A side: its operation, and how many it has done. */
struct side {
	op_fn op;
	void *arg;
	size_t done;
};

static void side_run(struct side *s, size_t m)
{
	for (size_t i = 0; i < m; i++)
		s->op(s->arg, s->done++);
}

/* WARM untimed operations per side, then n each in blocks of BLOCK, the
 * order reversed every other block; t[k] the seconds of side k. Between
 * blocks (untimed) `db` checkpoints the WAL, so that SQLite's automatic
 * checkpoint (at 1000 pages) never lands inside a block: its cost would
 * fall on whichever side happened to cross the mark. */
static void alternate(sqlite3 *db, struct side sides[2], size_t n, double t[2])
{
	side_run(&sides[0], WARM);
	side_run(&sides[1], WARM);
	t[0] = t[1] = 0;
	for (size_t done = 0, round = 0; done < n; done += BLOCK, round++) {
		size_t m = n - done < BLOCK ? n - done : BLOCK;

		for (int k = 0; k < 2; k++) {
			int side = round % 2 ? 1 - k : k;
			double t0 = bench_now();

			side_run(&sides[side], m);
			t[side] += bench_now() - t0;
			sq_exec(db, "PRAGMA wal_checkpoint(PASSIVE)");
		}
	}
}

/* The WAL pages per operation of each side (untimed): PAGES_K operations
 * of a side alone on an emptied WAL, then the frames the WAL holds. */
static void wal_pages(sqlite3 *db, struct side sides[2], double pages[2])
{
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *st;
		int busy, frames;

		sq_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
		side_run(&sides[k], PAGES_K);
		st = sq_prepare(db, "PRAGMA wal_checkpoint(PASSIVE)");
		if (sqlite3_step(st) != SQLITE_ROW)
			bench_die("wal_checkpoint: %s", sqlite3_errmsg(db));
		busy = sqlite3_column_int(st, 0);
		frames = sqlite3_column_int(st, 1);
		sqlite3_finalize(st);
		pages[k] = busy ? -1 : (double)frames / PAGES_K;
	}
}

/* ---- usage records ------------------------------------------------------------------- */

struct lib_usage {
	saas_ctx *ctx;
	const saas_scope *scope;
	const char *prefix;
};

static void lib_usage_op(void *arg, size_t i)
{
	struct lib_usage *u = arg;
	char key[64];

	snprintf(key, sizeof key, "%s-%zu", u->prefix, i);
	bench_check(saas_usage_record(NULL, u->ctx, u->scope, "api_calls", 1, key, 0),
	            "saas_usage_record");
}

struct raw_usage {
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *record, *total;
	const char *tenant, *prefix;
	int64_t period_start, period_end;
};

static void raw_usage_op(void *arg, size_t i)
{
	struct raw_usage *r = arg;
	int64_t now = wall_ms();
	char key[64];

	snprintf(key, sizeof key, "%s-%zu", r->prefix, i);
	sq_done(r->db, r->begin);
	sqlite3_bind_text(r->record, 1, r->tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->record, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(r->record, 3, "api_calls", -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->record, 4, 1);
	sqlite3_bind_int64(r->record, 5, r->period_start);
	sqlite3_bind_int64(r->record, 6, now);
	sqlite3_bind_int64(r->record, 7, now);
	sq_done(r->db, r->record);
	sqlite3_bind_text(r->total, 1, r->tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->total, 2, "api_calls", -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->total, 3, r->period_start);
	sqlite3_bind_int64(r->total, 4, r->period_end);
	sqlite3_bind_int64(r->total, 5, 1);
	sq_done(r->db, r->total);
	sq_done(r->db, r->commit);
}

static void bench_usage(struct world *w, sqlite3 *db, int full, size_t n)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	struct lib_usage lu = {NULL, w->scope, full ? "lib-full" : "lib-normal"};
	struct raw_usage ru = {db, NULL, NULL, NULL, NULL, w->raw, full ? "raw-full" : "raw-normal",
	                       0, 0};
	double t[2];

	o.sqlite_synchronous_full = full;
	bench_check(saas_ctx_open(&lu.ctx, w->url, &o), "saas_ctx_open (usage)");
	sq_sync(db, full);
	/* the raw tenant's period: its subscription's, as the library's would be */
	ru.begin = sq_prepare(db, "SELECT period_start, period_end FROM billing_subscriptions"
	                          " WHERE tenant_id = ?1");
	sqlite3_bind_text(ru.begin, 1, w->raw, -1, SQLITE_STATIC);
	if (sqlite3_step(ru.begin) != SQLITE_ROW)
		bench_die("the raw tenant has no subscription: %s", sqlite3_errmsg(db));
	ru.period_start = sqlite3_column_int64(ru.begin, 0);
	ru.period_end = sqlite3_column_int64(ru.begin, 1);
	sqlite3_finalize(ru.begin);
	ru.begin = sq_prepare(db, "BEGIN IMMEDIATE");
	ru.commit = sq_prepare(db, "COMMIT");
	ru.record = sq_prepare(db, "INSERT INTO billing_usage_records (tenant_id, idempotency_key,"
	                           " feature, quantity, period_start, occurred_at, created_at)"
	                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	ru.total = sq_prepare(db, "INSERT INTO billing_usage_totals (tenant_id, feature,"
	                          " period_start, period_end, used) VALUES (?1, ?2, ?3, ?4, ?5)"
	                          " ON CONFLICT (tenant_id, feature, period_start)"
	                          " DO UPDATE SET used = billing_usage_totals.used + excluded.used");
	struct side sides[2] = {{lib_usage_op, &lu, 0}, {raw_usage_op, &ru, 0}};
	double pages[2];

	alternate(db, sides, n, t);
	wal_pages(db, sides, pages);
	report("usage_record", "write", "api_calls",
	       full ? "synchronous=full" : "synchronous=normal", n, t[0], t[1],
	       "sqlite3 BEGIN IMMEDIATE; INSERT record; UPSERT total; COMMIT", pages,
	       full ? "the library's default durability: each commit waits for fsync"
	            : "option sqlite_synchronous_full = 0 on both sides");
	sqlite3_finalize(ru.begin);
	sqlite3_finalize(ru.commit);
	sqlite3_finalize(ru.record);
	sqlite3_finalize(ru.total);
	saas_ctx_free(lu.ctx);
}

/* ---- Stripe events -------------------------------------------------------------------- */

/* The fixture, read once. */
static json_t *fixture_load(void)
{
	const char *path = getenv("SAAS_BENCH_STRIPE_FIXTURE");
	json_error_t err;
	json_t *ev;

	if (!path || !*path)
		path = SAAS_BENCH_STRIPE_FIXTURE;
	if (!(ev = json_load_file(path, 0, &err)))
		bench_die("%s: %s (set SAAS_BENCH_STRIPE_FIXTURE)", path, err.text);
	return ev;
}

/* Bodies [0, n) for `tenant`: ids "evt_bench_<tag>_<i>", created base + i
 * seconds, status active for even i, past_due for odd. */
static char **bodies_make(json_t *fixture, const char *tenant, const char *tag, size_t n,
                          size_t *len_sum)
{
	char **b = bench_calloc(n, sizeof *b);
	json_t *ev = json_deep_copy(fixture);
	json_t *obj = json_object_get(json_object_get(ev, "data"), "object");
	json_int_t base = json_integer_value(json_object_get(ev, "created"));

	if (!obj || !base || json_object_set_new(json_object_get(obj, "metadata"), "tenant_id",
	                                         json_string(tenant)))
		bench_die("the fixture is not a customer.subscription event with metadata");
	*len_sum = 0;
	for (size_t i = 0; i < n; i++) {
		char id[64];

		snprintf(id, sizeof id, "evt_bench_%s_%08zu", tag, i);
		json_object_set_new(ev, "id", json_string(id));
		json_object_set_new(ev, "created", json_integer(base + (json_int_t)i));
		json_object_set_new(obj, "status", json_string(i % 2 ? "past_due" : "active"));
		if (!(b[i] = json_dumps(ev, JSON_COMPACT)))
			bench_die("out of memory");
		*len_sum += strlen(b[i]);
	}
	json_decref(ev);
	return b;
}

static void bodies_free(char **b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(b[i]);
	free(b);
}

struct lib_stripe {
	saas_ctx *ctx;
	const saas_scope *sys;
	char **bodies;
};

static void lib_stripe_op(void *arg, size_t i)
{
	struct lib_stripe *s = arg;
	int outcome = -1;

	bench_check(saas_billing_stripe_apply(&outcome, s->ctx, s->sys, s->bodies[i],
	                                      strlen(s->bodies[i]), NULL),
	            "saas_billing_stripe_apply");
	if (outcome != SAAS_BILLING_APPLIED)
		bench_die("event %zu: %s, not applied", i, saas_billing_outcome_name(outcome));
}

struct raw_stripe {
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *event, *sub;
	char **bodies;
};

static void raw_stripe_op(void *arg, size_t i)
{
	struct raw_stripe *r = arg;
	const char *body = r->bodies[i];
	int64_t now = wall_ms();
	json_error_t err;
	json_t *ev = json_loadb(body, strlen(body), 0, &err);
	json_t *obj = json_object_get(json_object_get(ev, "data"), "object");
	const char *id = json_string_value(json_object_get(ev, "id"));
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_int_t created = json_integer_value(json_object_get(ev, "created"));
	const char *status = json_string_value(json_object_get(obj, "status"));
	const char *sub = json_string_value(json_object_get(obj, "id"));
	const char *tenant =
		json_string_value(json_object_get(json_object_get(obj, "metadata"), "tenant_id"));

	if (!ev || !id || !type || !created || !status || !sub || !tenant)
		bench_die("raw event %zu does not parse: %s", i, ev ? "a member is missing" : err.text);
	sq_done(r->db, r->begin);
	sqlite3_bind_text(r->event, 1, tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->event, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->event, 3, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->event, 4, (int64_t)created * 1000);
	sqlite3_bind_int64(r->event, 5, now);
	sq_done(r->db, r->event);
	sqlite3_bind_text(r->sub, 1, tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->sub, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->sub, 3, sub, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->sub, 4, (int64_t)created * 1000);
	sqlite3_bind_int64(r->sub, 5, now);
	sq_done(r->db, r->sub);
	if (sqlite3_changes(r->db) != 1)
		bench_die("raw event %zu updated %d subscription rows", i, sqlite3_changes(r->db));
	sq_done(r->db, r->commit);
	json_decref(ev);
}

/* The bodies of both streams, made once (untimed): [0] the library's (the
 * Stripe tenant's), [1] the raw side's (the raw tenant's). */
struct streams {
	char **b[2];
	size_t n, bytes;
	size_t next; /* the first body not used yet (the same on both sides) */
};

static void bench_stripe(struct world *w, sqlite3 *db, struct streams *ss, int full, size_t n)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	struct lib_stripe ls = {NULL, w->sys, ss->b[0] + ss->next};
	struct raw_stripe rs = {db, NULL, NULL, NULL, NULL, ss->b[1] + ss->next};
	char note[256];
	double t[2];

	if (ss->next + WARM + n + PAGES_K > ss->n)
		bench_die("not enough event bodies");
	o.sqlite_synchronous_full = full;
	bench_check(saas_ctx_open(&ls.ctx, w->url, &o), "saas_ctx_open (stripe)");
	sq_sync(db, full);
	rs.begin = sq_prepare(db, "BEGIN IMMEDIATE");
	rs.commit = sq_prepare(db, "COMMIT");
	rs.event = sq_prepare(db, "INSERT INTO billing_provider_events (tenant_id, provider,"
	                          " event_id, event_type, outcome, created, applied_at)"
	                          " VALUES (?1, 'stripe', ?2, ?3, 'applied', ?4, ?5)");
	rs.sub = sq_prepare(db, "UPDATE billing_subscriptions SET state = ?2, provider = 'stripe',"
	                        " provider_id = ?3, provider_status = ?2, provider_ts = ?4,"
	                        " updated_at = ?5 WHERE tenant_id = ?1");
	struct side sides[2] = {{lib_stripe_op, &ls, 0}, {raw_stripe_op, &rs, 0}};
	double pages[2];

	alternate(db, sides, n, t);
	wal_pages(db, sides, pages);
	/* each durability continues the streams: ids new, created later */
	ss->next += WARM + n + PAGES_K;
	snprintf(note, sizeof note,
	         "customer.subscription.updated from the fixture, %zu bytes compact; status "
	         "alternating active/past_due, every event applied%s",
	         ss->bytes / ss->n, full ? "; each commit waits for fsync" : "");
	report("stripe_apply", "write", NULL, full ? "synchronous=full" : "synchronous=normal", n,
	       t[0], t[1], "json_loadb + sqlite3 BEGIN IMMEDIATE; INSERT event; UPDATE subscription; "
	       "COMMIT", pages, note);
	sqlite3_finalize(rs.begin);
	sqlite3_finalize(rs.commit);
	sqlite3_finalize(rs.event);
	sqlite3_finalize(rs.sub);
	saas_ctx_free(ls.ctx);
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");
	size_t n = DEFAULT_N, nw = DEFAULT_W, ne = DEFAULT_E;
	struct world w = {0};
	struct streams ss = {0};
	json_t *fixture;
	sqlite3 *db;
	int opt;

	bench_name = "billing";
	while ((opt = getopt(argc, argv, "n:w:e:")) != -1) {
		char *end;
		unsigned long long v = strtoull(optarg, &end, 10);

		if (*end || v == 0 || v > 100000000ULL)
			goto usage;
		if (opt == 'n')
			n = (size_t)v;
		else if (opt == 'w')
			nw = (size_t)v;
		else if (opt == 'e')
			ne = (size_t)v;
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	fixture = fixture_load();

	snprintf(bench_tmpdir, sizeof bench_tmpdir, "%s/libsaas-bench-XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(bench_tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(w.path, sizeof w.path, "%s/billing.db", bench_tmpdir);
	snprintf(w.url, sizeof w.url, "sqlite:%s", w.path);
	populate(&w);

	/* Both streams, for both durabilities; the Stripe tenant's subscription
	 * is made by its stream's first event (untimed). */
	{
		saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
		struct lib_stripe ls = {NULL, w.sys, NULL};
		size_t raw_bytes;

		ss.n = 1 + 2 * (WARM + ne + PAGES_K);
		ss.b[0] = bodies_make(fixture, w.stripe, "lib", ss.n, &ss.bytes);
		ss.b[1] = bodies_make(fixture, w.raw, "raw", ss.n, &raw_bytes);
		ls.bodies = ss.b[0];
		o.sqlite_synchronous_full = 0;
		bench_check(saas_ctx_open(&ls.ctx, w.url, &o), "saas_ctx_open");
		lib_stripe_op(&ls, 0);
		saas_ctx_free(ls.ctx);
		ss.next = 1;
	}

	bench_checks(&w, n);
	db = sq_open_rw(w.path);
	bench_usage(&w, db, 1, nw);
	bench_usage(&w, db, 0, nw);
	bench_stripe(&w, db, &ss, 1, ne);
	bench_stripe(&w, db, &ss, 0, ne);

	bodies_free(ss.b[0], ss.n);
	bodies_free(ss.b[1], ss.n);
	sqlite3_close(db);
	json_decref(fixture);
	saas_scope_free(w.scope);
	saas_scope_free(w.sys);
	free(w.checks);
	free(w.stripe);
	free(w.raw);
	bench_cleanup();
	return 0;

usage:
	fprintf(stderr, "usage: %s [-n N] [-w W] [-e E]\n", argv[0]);
	return 2;
}
