/*
 * bench/postgres: tenant-scoped membership writes and reads through libsaas on
 * PostgreSQL (row-level security, the tenant set in every transaction), side
 * by side with raw libpq doing the same statements on copies of the tables
 * without RLS, in one run, at 1, 2, 4 and 8 threads. The ratio libsaas/raw is
 * the figure (1.0: as fast as raw; the aim is at least 1/1.3 = 0.77).
 *
 *   usage: postgres [-m M] [APP_URL [OWNER_URL]]
 *
 * APP_URL (else $SAAS_TEST_POSTGRES_URL) is a non-owner application role, so
 * RLS applies to it; OWNER_URL (else $SAAS_TEST_POSTGRES_OWNER_URL) owns the
 * schema. Without them one "skipped" line is printed and the exit status is 0.
 * Point it at a throwaway database (scripts/pg-test-server.sh): it empties the
 * library's tables, before and after.
 *
 * Setup (untimed): a context on OWNER_URL migrates; the library's tables are
 * emptied; 15 tenants (one per thread per thread count: 1+2+4+8) and
 * 8 × (WARM + M) users are created through the library on APP_URL. The raw side
 * gets a schema bench_raw, owned by the owner, with the same tables, columns,
 * keys and indexes as migration 0001 (memberships, member_roles, audit_events,
 * tenants, users) and no RLS, the same tenants and users copied in, and the
 * application role granted what it needs.
 *
 * Timed, for k in 1, 2, 4, 8: a context with pool_size = k on APP_URL, and k
 * raw connections on APP_URL with every statement prepared. Each thread has
 * its own tenant and its own users. WARM untimed operations per thread and
 * side open the pool's connections and prepare the library's statements; then
 * each thread adds M members and reads them back, on both sides. Both sides'
 * tables are ANALYZEd (untimed) before the writes and before the reads.
 *
 *  member_add, libsaas: saas_member_add (one role).
 *  member_add, raw: what the library sends, minus the tenant setting: BEGIN;
 *    the tenant row FOR UPDATE; the user row; the membership existence check;
 *    INSERT the membership and its role; the audit stream's advisory lock;
 *    MAX(seq) + 1; INSERT the audit event; COMMIT. The same SQL text as
 *    lib/store/ops_*.c (on bench_raw's tables), prepared once per connection.
 *  member_get, libsaas: saas_member_get.
 *  member_get, raw: what the library sends, minus the tenant setting: BEGIN;
 *    the tenant row; the membership; its roles; COMMIT.
 *  member_get, raw_min: one query (tenant status, membership and roles
 *    joined), no explicit transaction: what a hand-written reader might send.
 *
 * The library adds, per transaction, `SET LOCAL lock_timeout` and
 * `SELECT saas_set_tenant($1)` (its driver sends them in one pipeline with
 * BEGIN and the first statement), and the RLS policies on the tenant tables;
 * that, the round trips its driver saves or spends, and the library's own CPU
 * are what the ratio measures.
 *
 * Within each thread the sides take turns operation by operation (the first
 * of each turn rotating), so that drift and whatever else runs on the machine
 * hit them alike; each operation is timed. A side's rate is the sum over the
 * threads of its operations per second of its own busy time: what k threads
 * doing only that would sustain. Reads make READ_PASSES passes over the M
 * members. Output: one JSON line per operation and thread count on stdout
 * ("n" counts one side's operations), then peak RSS. Figures, never
 * pass/fail.
 */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <saas.h>

#include "common.h"

#define DEFAULT_M 300   /* operations per thread and side: ~20-30 s in all on 2 cores */
#define WARM 3          /* untimed operations per thread and side before each k */
#define MAX_THREADS 8
#define N_TENANTS (1 + 2 + 4 + 8) /* thread count k uses tenants k-1 .. 2k-2 */
#define READ_PASSES 2   /* member_get: passes over the M members */

static const unsigned thread_counts[] = {1, 2, 4, 8};

static const char *app_url, *owner_url;
static PGconn *owner; /* the owner's connection, for setup and ANALYZE */
static size_t M = DEFAULT_M, per_slot; /* per_slot = WARM + M users per thread slot */
static char (*user_ids)[40];           /* MAX_THREADS * per_slot, the library's ids */
static char tenant_ids[N_TENANTS][40];

/* ---- helpers ---------------------------------------------------------------- */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *user_at(size_t slot, size_t i)
{
	return user_ids[slot * per_slot + i];
}

/* A fake prefixed id of the library's length (prefix_ + 26 characters). */
static void fake_id(char *buf, size_t len, const char *prefix, size_t i)
{
	snprintf(buf, len, "%s_%026zu", prefix, i);
}

static void notice_ignore(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *pg_connect(const char *url, const char *who)
{
	PGconn *c = PQconnectdb(url);

	if (!c || PQstatus(c) != CONNECTION_OK)
		bench_die("cannot connect as the %s: %s", who, c ? PQerrorMessage(c) : "out of memory");
	PQsetNoticeProcessor(c, notice_ignore, NULL); /* "schema ... does not exist, skipping" */
	return c;
}

/* Run a parameterless script (several statements), as the owner during setup. */
static void pg_script(PGconn *c, const char *sql, const char *what)
{
	PGresult *res = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		bench_die("%s: %s", what, PQerrorMessage(c));
	PQclear(res);
}

/* ---- the raw side's schema: the tables of 0001_init.sql, no RLS ----------------- */

static const char raw_schema[] =
	"DROP SCHEMA IF EXISTS bench_raw CASCADE;"
	"CREATE SCHEMA bench_raw;"
	"CREATE TABLE bench_raw.tenants ("
	"  id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'pending_deletion')),"
	"  suspend_reason TEXT, status_before_delete TEXT, purge_after BIGINT,"
	"  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE TABLE bench_raw.users ("
	"  id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL DEFAULT '',"
	"  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE TABLE bench_raw.memberships ("
	"  tenant_id TEXT NOT NULL REFERENCES bench_raw.tenants (id), id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL REFERENCES bench_raw.users (id),"
	"  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
	"  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, user_id));"
	"CREATE INDEX memberships_user ON bench_raw.memberships (user_id);"
	"CREATE TABLE bench_raw.member_roles ("
	"  tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL,"
	"  PRIMARY KEY (tenant_id, user_id, role),"
	"  FOREIGN KEY (tenant_id, user_id)"
	"    REFERENCES bench_raw.memberships (tenant_id, user_id) ON DELETE CASCADE);"
	"CREATE INDEX member_roles_role ON bench_raw.member_roles (tenant_id, role);"
	"CREATE TABLE bench_raw.audit_events ("
	"  tenant_id TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL,"
	"  occurred_at BIGINT NOT NULL, actor_type TEXT NOT NULL, actor_id TEXT NOT NULL,"
	"  action TEXT NOT NULL, target_type TEXT, target_id TEXT, request_id TEXT, ip TEXT,"
	"  user_agent TEXT, metadata TEXT NOT NULL DEFAULT '{}',"
	"  PRIMARY KEY (tenant_id, seq), UNIQUE (tenant_id, id));"
	/* The same tenants and users as the library's tables (the owner's search
	 * path names those, as it does for the library's migrations). */
	"INSERT INTO bench_raw.tenants SELECT id, slug, name, status, suspend_reason,"
	"  status_before_delete, purge_after, created_at, updated_at FROM tenants;"
	"INSERT INTO bench_raw.users SELECT id, email, display_name, created_at, updated_at"
	"  FROM users;";

/* The library's tables, emptied before and after the run. */
static const char lib_truncate[] =
	"TRUNCATE member_roles, memberships, invitations, audit_events, users, tenants CASCADE";

/* ---- the raw side's statements: lib/store/ops_*.c's text on bench_raw ----------- */

#define TENANT_COLS \
	"id, slug, name, status, suspend_reason, status_before_delete, purge_after, created_at, " \
	"updated_at"

enum {
	S_TENANT_LOCK, S_USER, S_MEMBER_GET, S_MEMBER_INS, S_ROLE_INS, S_LOCK, S_SEQ, S_EVENT,
	S_TENANT, S_ROLES, S_MIN, S_COUNT
};

static const char *const raw_sql[S_COUNT] = {
	[S_TENANT_LOCK] = "SELECT " TENANT_COLS " FROM bench_raw.tenants WHERE id = $1 FOR UPDATE",
	[S_USER] = "SELECT id, email, display_name, created_at, updated_at FROM bench_raw.users"
	           " WHERE id = $1",
	[S_MEMBER_GET] = "SELECT id, user_id, created_at, updated_at FROM bench_raw.memberships"
	                 " WHERE tenant_id = $1 AND user_id = $2",
	[S_MEMBER_INS] = "INSERT INTO bench_raw.memberships (tenant_id, id, user_id, created_at,"
	                 " updated_at) VALUES ($1, $2, $3, $4, $5)",
	[S_ROLE_INS] = "INSERT INTO bench_raw.member_roles (tenant_id, user_id, role)"
	               " VALUES ($1, $2, $3)",
	[S_LOCK] = "SELECT pg_advisory_xact_lock(hashtextextended('bench_raw.audit_events:' || $1,"
	           " 0))",
	[S_SEQ] = "SELECT COALESCE(MAX(seq), 0) + 1 FROM bench_raw.audit_events WHERE tenant_id = $1",
	[S_EVENT] = "INSERT INTO bench_raw.audit_events (tenant_id, seq, id, occurred_at, actor_type,"
	            " actor_id, action, target_type, target_id, request_id, ip, user_agent,"
	            " metadata) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
	[S_TENANT] = "SELECT " TENANT_COLS " FROM bench_raw.tenants WHERE id = $1",
	[S_ROLES] = "SELECT role FROM bench_raw.member_roles WHERE tenant_id = $1 AND user_id = $2",
	[S_MIN] = "SELECT t.status, m.id, m.created_at, r.role FROM bench_raw.tenants t"
	          " JOIN bench_raw.memberships m ON m.tenant_id = t.id"
	          " LEFT JOIN bench_raw.member_roles r"
	          "   ON r.tenant_id = m.tenant_id AND r.user_id = m.user_id"
	          " WHERE t.id = $1 AND m.user_id = $2 ORDER BY r.role",
};

static const char *const stmt_name[S_COUNT] = {
	"b_tenant_lock", "b_user", "b_member_get", "b_member_ins", "b_role_ins", "b_lock",
	"b_seq", "b_event", "b_tenant", "b_roles", "b_min",
};

static PGconn *raw_open(void)
{
	PGconn *c = pg_connect(app_url, "application role");

	for (int s = 0; s < S_COUNT; s++) {
		PGresult *res = PQprepare(c, stmt_name[s], raw_sql[s], 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			bench_die("raw: preparing %s: %s", stmt_name[s], PQerrorMessage(c));
		PQclear(res);
	}
	return c;
}

/* Run a simple command (BEGIN, COMMIT). */
static void raw_cmd(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		bench_die("raw: %s: %s", sql, PQerrorMessage(c));
	PQclear(res);
}

/* Run a prepared statement; `rows` >= 0: the number of rows it must return. */
static PGresult *raw_run(PGconn *c, int s, int n, const char *const *vals, int rows)
{
	PGresult *res = PQexecPrepared(c, stmt_name[s], n, vals, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		bench_die("raw: %s: %s", stmt_name[s], PQerrorMessage(c));
	if (rows >= 0 && PQntuples(res) != rows)
		bench_die("raw: %s: %d rows, expected %d", stmt_name[s], PQntuples(res), rows);
	return res;
}

static void raw_run_clear(PGconn *c, int s, int n, const char *const *vals, int rows)
{
	PQclear(raw_run(c, s, n, vals, rows));
}

/* One membership, as saas_member_add does it (one role, its audit event). */
static void raw_add_one(PGconn *c, const char *tenant, const char *uid, size_t i)
{
	char mem_id[40], evt_id[40], now[24], meta[160];
	PGresult *res;

	fake_id(mem_id, sizeof mem_id, "mem", i);
	fake_id(evt_id, sizeof evt_id, "evt", i);
	snprintf(now, sizeof now, "%lld", (long long)wall_ms());
	/* The library's event metadata (compact JSON, keys sorted). */
	snprintf(meta, sizeof meta, "{\"roles\":[\"member\"],\"user_id\":\"%s\"}", uid);

	raw_cmd(c, "BEGIN");
	res = raw_run(c, S_TENANT_LOCK, 1, (const char *[]){tenant}, 1);
	if (strcmp(PQgetvalue(res, 0, 3), "active") != 0)
		bench_die("raw: tenant %s is not active", tenant);
	PQclear(res);
	raw_run_clear(c, S_USER, 1, (const char *[]){uid}, 1);
	raw_run_clear(c, S_MEMBER_GET, 2, (const char *[]){tenant, uid}, 0);
	raw_run_clear(c, S_MEMBER_INS, 5, (const char *[]){tenant, mem_id, uid, now, now}, -1);
	raw_run_clear(c, S_ROLE_INS, 3, (const char *[]){tenant, uid, "member"}, -1);
	raw_run_clear(c, S_LOCK, 1, (const char *[]){tenant}, 1);
	res = raw_run(c, S_SEQ, 1, (const char *[]){tenant}, 1);
	char seq[24];
	snprintf(seq, sizeof seq, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	raw_run_clear(c, S_EVENT, 13,
	              (const char *[]){tenant, seq, evt_id, now, "system", "bench", "member.added",
	                               "member", mem_id, NULL, NULL, NULL, meta},
	              -1);
	raw_cmd(c, "COMMIT");
}

/* One read, as saas_member_get does it; returns the number of roles. */
static size_t raw_get_one(PGconn *c, const char *tenant, const char *uid)
{
	char id[40];
	int64_t created;
	size_t roles = 0;
	PGresult *res;

	raw_cmd(c, "BEGIN");
	res = raw_run(c, S_TENANT, 1, (const char *[]){tenant}, 1);
	if (strcmp(PQgetvalue(res, 0, 3), "active") != 0)
		bench_die("raw: tenant %s is not active", tenant);
	PQclear(res);
	res = raw_run(c, S_MEMBER_GET, 2, (const char *[]){tenant, uid}, 1);
	/* Copy out what a caller keeps: the id, the time, the roles. */
	snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
	created = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	res = raw_run(c, S_ROLES, 2, (const char *[]){tenant, uid}, -1);
	for (int r = 0; r < PQntuples(res); r++)
		if (!PQgetisnull(res, r, 0) && created > 0 && id[0])
			roles++;
	PQclear(res);
	raw_cmd(c, "COMMIT");
	return roles;
}

/* The same read in one query, outside an explicit transaction. */
static size_t raw_get_min(PGconn *c, const char *tenant, const char *uid)
{
	char id[40];
	int64_t created;
	size_t roles = 0;
	PGresult *res = raw_run(c, S_MIN, 2, (const char *[]){tenant, uid}, -1);

	for (int r = 0; r < PQntuples(res); r++) {
		if (strcmp(PQgetvalue(res, r, 0), "active") != 0)
			bench_die("raw: tenant %s is not active", tenant);
		snprintf(id, sizeof id, "%s", PQgetvalue(res, r, 1));
		created = strtoll(PQgetvalue(res, r, 2), NULL, 10);
		if (!PQgetisnull(res, r, 3) && created > 0 && id[0])
			roles++;
	}
	PQclear(res);
	return roles;
}

/* ---- threads ------------------------------------------------------------------ */

enum side { LIB, RAW, RAW_MIN, SIDES };
enum op { ADD, GET };

struct worker {
	pthread_t th;
	enum op op;
	size_t slot;           /* its users: user_at(slot, from .. to-1) */
	size_t from, to;
	int passes;            /* over [from, to) */
	const char *tenant_id; /* its tenant */
	saas_ctx *ctx;         /* LIB: the shared context */
	saas_scope *scope;     /* LIB: its tenant, acted on by the system */
	PGconn *pg;            /* RAW, RAW_MIN: its own connection */
	double busy[SIDES];    /* seconds spent in each side's operations */
	size_t roles[SIDES];   /* GET: roles read by each side */
};

static pthread_barrier_t start;

/* One operation of one side on user i of the worker's slot, timed. */
static void one(struct worker *w, enum side side, size_t i)
{
	const char *roles[] = {"member"};
	const char *uid = user_at(w->slot, i);
	saas_member *m = NULL;
	double t0 = bench_now();

	switch (side * 2 + w->op) {
	case LIB * 2 + ADD:
		bench_check(saas_member_add(NULL, w->ctx, w->scope, uid, roles, 1), "saas_member_add");
		break;
	case LIB * 2 + GET:
		bench_check(saas_member_get(&m, w->ctx, w->scope, uid), "saas_member_get");
		w->roles[side] += saas_member_role_count(m);
		saas_member_free(m);
		break;
	case RAW * 2 + ADD:
		raw_add_one(w->pg, w->tenant_id, uid, i);
		break;
	case RAW * 2 + GET:
		w->roles[side] += raw_get_one(w->pg, w->tenant_id, uid);
		break;
	case RAW_MIN * 2 + GET:
		w->roles[side] += raw_get_min(w->pg, w->tenant_id, uid);
		break;
	default:
		bench_die("bad work item");
	}
	w->busy[side] += bench_now() - t0;
}

/* The sides take turns operation by operation, the first of each turn
 * rotating, so that whatever else the machine does hits them alike. */
static void *work(void *arg)
{
	struct worker *w = arg;
	int nsides = w->op == ADD ? 2 : 3; /* writes: LIB, RAW; reads: also RAW_MIN */

	pthread_barrier_wait(&start);
	for (int pass = 0; pass < w->passes; pass++)
		for (size_t i = w->from; i < w->to; i++)
			for (int j = 0; j < nsides; j++)
				one(w, (enum side)((i + (size_t)pass + (size_t)j) % (size_t)nsides), i);
	return NULL;
}

/* Run one phase: k threads, each doing `op` on users [from, to) of its slot
 * `passes` times, started together. Returns each side's rate: the sum over the
 * threads of operations per second of that side's busy time. */
static void run_phase(double rate[SIDES], struct worker *w, size_t k, enum op op, size_t from,
                      size_t to, int passes)
{
	size_t n = (to - from) * (size_t)passes;

	if (pthread_barrier_init(&start, NULL, (unsigned)k + 1) != 0)
		bench_die("pthread_barrier_init failed");
	for (size_t i = 0; i < k; i++) {
		w[i].op = op;
		w[i].from = from;
		w[i].to = to;
		w[i].passes = passes;
		memset(w[i].busy, 0, sizeof w[i].busy);
		memset(w[i].roles, 0, sizeof w[i].roles);
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0)
			bench_die("pthread_create failed");
	}
	pthread_barrier_wait(&start);
	for (int s = 0; s < SIDES; s++)
		rate[s] = 0;
	for (size_t i = 0; i < k; i++) {
		pthread_join(w[i].th, NULL);
		for (int s = 0; s < SIDES; s++) {
			if (w[i].busy[s] > 0)
				rate[s] += (double)n / w[i].busy[s];
			if (op == GET && w[i].roles[s] != n)
				bench_die("%s read %zu roles, expected %zu",
				    s == LIB ? "libsaas" : s == RAW ? "raw" : "raw_min", w[i].roles[s], n);
		}
	}
	pthread_barrier_destroy(&start);
}

/* ---- setup ------------------------------------------------------------------- */

static void setup(void)
{
	saas_ctx *ctx = NULL;
	saas_scope *sys = NULL;
	char slug[32], email[64], *role;

	/* The owner migrates (auto_migrate), then the library's tables are emptied. */
	bench_check(saas_ctx_open(&ctx, owner_url, NULL), "saas_ctx_open (owner, migrate)");
	saas_ctx_free(ctx);
	pg_script(owner, lib_truncate, "emptying the library's tables");

	/* Tenants and users through the library, as the application. */
	bench_check(saas_ctx_open(&ctx, app_url, NULL), "saas_ctx_open (application)");
	bench_check(saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "bench"), "saas_scope_new");
	for (size_t t = 0; t < N_TENANTS; t++) {
		saas_tenant *ten = NULL;
		snprintf(slug, sizeof slug, "bench-%zu", t);
		bench_check(saas_tenant_create(&ten, ctx, sys, slug, "Bench"), "saas_tenant_create");
		snprintf(tenant_ids[t], sizeof tenant_ids[t], "%s", saas_tenant_id(ten));
		saas_tenant_free(ten);
	}
	for (size_t i = 0; i < MAX_THREADS * per_slot; i++) {
		saas_user *u = NULL;
		snprintf(email, sizeof email, "user%zu@bench.example", i);
		bench_check(saas_user_create(&u, ctx, sys, email, NULL), "saas_user_create");
		snprintf(user_ids[i], sizeof user_ids[i], "%s", saas_user_id(u));
		saas_user_free(u);
	}
	saas_scope_free(sys);
	saas_ctx_free(ctx);

	/* The raw side's tables, with the same rows; the application role may use them. */
	PGconn *app = pg_connect(app_url, "application role");
	role = PQescapeIdentifier(owner, PQuser(app), strlen(PQuser(app)));
	PQfinish(app);
	if (!role)
		bench_die("escaping the role name: %s", PQerrorMessage(owner));
	char grants[512];
	snprintf(grants, sizeof grants,
	         "GRANT USAGE ON SCHEMA bench_raw TO %s;"
	         "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bench_raw TO %s",
	         role, role);
	PQfreemem(role);
	pg_script(owner, raw_schema, "creating bench_raw");
	pg_script(owner, grants, "granting bench_raw to the application role");
}

/* Fresh statistics on both sides' tables before each timed phase: the tables
 * grow during the run, and a plan made on stale statistics (a sequential scan
 * of a table the statistics still call empty, kept as a generic plan) would
 * otherwise hit one side or the other at random, whenever autovacuum wakes. */
static void analyze(void)
{
	pg_script(owner,
	          "ANALYZE tenants, users, memberships, member_roles, audit_events,"
	          " bench_raw.tenants, bench_raw.users, bench_raw.memberships,"
	          " bench_raw.member_roles, bench_raw.audit_events",
	          "ANALYZE");
}

static void report_add(unsigned k, size_t n, const double rate[SIDES])
{
	printf("{\"bench\":\"postgres\",\"op\":\"member_add\",\"threads\":%u,\"n\":%zu,"
	       "\"libsaas_ops_per_s\":%.1f,\"raw_libpq_ops_per_s\":%.1f,\"ratio\":%.3f}\n",
	       k, n, rate[LIB], rate[RAW], rate[LIB] / rate[RAW]);
	fflush(stdout);
}

static void report_get(unsigned k, size_t n, const double rate[SIDES])
{
	printf("{\"bench\":\"postgres\",\"op\":\"member_get\",\"threads\":%u,\"n\":%zu,"
	       "\"libsaas_ops_per_s\":%.1f,\"raw_libpq_ops_per_s\":%.1f,\"ratio\":%.3f,"
	       "\"raw_min_ops_per_s\":%.1f,\"ratio_min\":%.3f}\n",
	       k, n, rate[LIB], rate[RAW], rate[LIB] / rate[RAW], rate[RAW_MIN],
	       rate[LIB] / rate[RAW_MIN]);
	fflush(stdout);
}

/* One thread count: warm up, then the timed writes and reads. */
static void run_k(unsigned k)
{
	struct worker w[MAX_THREADS];
	saas_ctx_options opts = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;
	double rate[SIDES];

	opts.pool_size = k;
	bench_check(saas_ctx_open(&ctx, app_url, &opts), "saas_ctx_open (pool)");
	memset(w, 0, sizeof w);
	for (size_t i = 0; i < k; i++) {
		w[i].slot = i;
		w[i].tenant_id = tenant_ids[k - 1 + i];
		w[i].ctx = ctx;
		bench_check(saas_scope_new(&w[i].scope, w[i].tenant_id, SAAS_ACTOR_SYSTEM, "bench"),
		      "saas_scope_new");
		w[i].pg = raw_open();
	}

	/* Untimed: the pool opens its k connections and prepares its statements. */
	run_phase(rate, w, k, ADD, 0, WARM, 1);
	run_phase(rate, w, k, GET, 0, WARM, 1);

	analyze();
	run_phase(rate, w, k, ADD, WARM, WARM + M, 1);
	report_add(k, k * M, rate);
	analyze();
	run_phase(rate, w, k, GET, WARM, WARM + M, READ_PASSES);
	report_get(k, k * M * READ_PASSES, rate);

	for (size_t i = 0; i < k; i++) {
		saas_scope_free(w[i].scope);
		PQfinish(w[i].pg);
	}
	saas_ctx_free(ctx);
}

/* ---- main ------------------------------------------------------------------- */

static void skipped(const char *why)
{
	printf("{\"bench\":\"postgres\",\"skipped\":\"%s\"}\n", why);
}

int main(int argc, char **argv)
{
	bench_name = "postgres";
	struct rusage ru;
	int opt;

	while ((opt = getopt(argc, argv, "m:")) != -1) {
		if (opt != 'm' || (M = strtoul(optarg, NULL, 10)) == 0 || M > 1000000) {
			fprintf(stderr,
			        "usage: %s [-m M] [APP_URL [OWNER_URL]]   (M > 0 operations per thread,"
			        " default %d)\n",
			        argv[0], DEFAULT_M);
			return 2;
		}
	}
	if (argc - optind > 2) {
		fprintf(stderr, "usage: %s [-m M] [APP_URL [OWNER_URL]]\n", argv[0]);
		return 2;
	}
	app_url = optind < argc ? argv[optind] : getenv("SAAS_TEST_POSTGRES_URL");
	owner_url = optind + 1 < argc ? argv[optind + 1] : getenv("SAAS_TEST_POSTGRES_OWNER_URL");
	if (!app_url || !*app_url) {
		skipped("SAAS_TEST_POSTGRES_URL is not set");
		return 0;
	}
	if (!owner_url || !*owner_url) {
		skipped("SAAS_TEST_POSTGRES_OWNER_URL is not set");
		return 0;
	}

	per_slot = WARM + M;
	user_ids = calloc(MAX_THREADS * per_slot, sizeof *user_ids);
	if (!user_ids)
		bench_die("out of memory");
	owner = pg_connect(owner_url, "owner");
	setup();

	for (size_t i = 0; i < sizeof thread_counts / sizeof thread_counts[0]; i++)
		run_k(thread_counts[i]);

	/* Leave the database as empty as it was found. */
	pg_script(owner, "DROP SCHEMA bench_raw CASCADE", "dropping bench_raw");
	pg_script(owner, lib_truncate, "emptying the library's tables");
	PQfinish(owner);
	free(user_ids);

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"bench\":\"postgres\",\"op\":\"peak_rss\",\"peak_rss_kb\":%ld}\n", ru.ru_maxrss);
	return 0;
}
