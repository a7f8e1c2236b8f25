/*
 * bench/store: tenant-scoped membership writes and reads through libsaas on
 * SQLite, side by side with raw sqlite3 statements doing the same work with
 * the same durability, in one run. The ratio libsaas/raw is the figure.
 *
 *   usage: store [N]     N memberships (default 1000)
 *
 * libsaas side: a context on sqlite:<tmp>/lib.db with the default options
 * (WAL, synchronous=FULL, foreign keys on), one tenant and N users; then N
 * saas_member_add calls (each its own transaction with its audit event) and
 * N saas_member_get calls.
 *
 * Raw side: <tmp>/raw.db opened with sqlite3 directly, the same pragmas and the
 * same tables; users inserted untimed; then N transactions each doing what the
 * library does for one membership (BEGIN IMMEDIATE; check the tenant's status;
 * check the user exists; insert the membership, its role and the audit event
 * with seq = max + 1; COMMIT), with prepared statements reused across
 * iterations; then N reads of a membership and its roles (one join).
 *
 * Writes are timed once, the two sides alternating in blocks of WRITE_BLOCK
 * (each commit waits for fsync, which dominates and drifts); reads take the
 * best of READ_PASSES passes over the N memberships per side.
 *
 * Output: one JSON line per measurement on stdout, then peak RSS. Figures,
 * never pass/fail. The temporary directory (under $TMPDIR or /tmp) is removed.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <saas.h>

#include "common.h"

#define DEFAULT_N 1000 /* ~3-10 s in all on a 2-core VM, fsync-bound */
#define WRITE_BLOCK 50 /* member_add: the sides alternate in blocks of this many */
#define READ_PASSES 10 /* member_get: best of this many passes over the N members */

/* ---- helpers ---------------------------------------------------------------- */

static void sq_check(sqlite3 *db, int rc, int want, const char *what)
{
	if (rc != want)
		bench_die("sqlite: %s: %s (%d)", what, sqlite3_errmsg(db), rc);
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(const char *op, size_t n, double lib_s, double raw_s)
{
	double lib = (double)n / lib_s, raw = (double)n / raw_s;

	printf("{\"bench\":\"store\",\"op\":\"%s\",\"backend\":\"sqlite\",\"synchronous\":\"full\","
	       "\"n\":%zu,\"libsaas_ops_per_s\":%.1f,\"raw_sqlite_ops_per_s\":%.1f,"
	       "\"ratio\":%.3f}\n",
	       op, n, lib, raw, lib / raw);
	fflush(stdout);
}

/* ---- the raw side's schema (the relevant tables of 0001_init.sql) ------------ */

static const char raw_schema[] =
	"CREATE TABLE tenants ("
	"  id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'pending_deletion')),"
	"  suspend_reason TEXT, status_before_delete TEXT, purge_after BIGINT,"
	"  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL DEFAULT '',"
	"  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE TABLE memberships ("
	"  tenant_id TEXT NOT NULL REFERENCES tenants (id), id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL REFERENCES users (id),"
	"  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
	"  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, user_id));"
	"CREATE INDEX memberships_user ON memberships (user_id);"
	"CREATE TABLE member_roles ("
	"  tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL,"
	"  PRIMARY KEY (tenant_id, user_id, role),"
	"  FOREIGN KEY (tenant_id, user_id)"
	"    REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE);"
	"CREATE INDEX member_roles_role ON member_roles (tenant_id, role);"
	"CREATE TABLE audit_events ("
	"  tenant_id TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL,"
	"  occurred_at BIGINT NOT NULL, actor_type TEXT NOT NULL, actor_id TEXT NOT NULL,"
	"  action TEXT NOT NULL, target_type TEXT, target_id TEXT, request_id TEXT, ip TEXT,"
	"  user_agent TEXT, metadata TEXT NOT NULL DEFAULT '{}',"
	"  PRIMARY KEY (tenant_id, seq), UNIQUE (tenant_id, id));";

/* A fake prefixed id of the library's length (prefix_ + 26 characters). */
static void fake_id(char *buf, size_t len, const char *prefix, size_t i)
{
	snprintf(buf, len, "%s_%026zu", prefix, i);
}

/* ---- libsaas --------------------------------------------------------------- */

struct lib_side {
	saas_ctx *ctx;
	saas_scope *scope; /* the tenant, acted on by the system */
	char **user_ids;
	size_t n;
};

static void lib_setup(struct lib_side *L, size_t n)
{
	char url[4200], email[64];
	saas_ctx_options fast = SAAS_CTX_OPTIONS_INIT;
	saas_scope *sys = NULL;
	saas_tenant *t = NULL;

	snprintf(url, sizeof url, "sqlite:%s/lib.db", bench_tmpdir);
	L->n = n;
	L->user_ids = calloc(n, sizeof *L->user_ids);
	if (!L->user_ids)
		bench_die("out of memory");

	/* Setup is untimed: create the tenant and the users with synchronous=NORMAL
	 * to spare N fsyncs, then reopen with the defaults for the measurement. */
	fast.sqlite_synchronous_full = 0;
	bench_check(saas_ctx_open(&L->ctx, url, &fast), "saas_ctx_open (setup)");
	bench_check(saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "bench"), "saas_scope_new");
	bench_check(saas_tenant_create(&t, L->ctx, sys, "bench", "Bench"), "saas_tenant_create");
	bench_check(saas_scope_new(&L->scope, saas_tenant_id(t), SAAS_ACTOR_SYSTEM, "bench"),
	      "saas_scope_new");
	for (size_t i = 0; i < n; i++) {
		saas_user *u = NULL;
		snprintf(email, sizeof email, "user%zu@bench.example", i);
		bench_check(saas_user_create(&u, L->ctx, sys, email, NULL), "saas_user_create");
		L->user_ids[i] = strdup(saas_user_id(u));
		saas_user_free(u);
		if (!L->user_ids[i])
			bench_die("out of memory");
	}
	saas_tenant_free(t);
	saas_scope_free(sys);
	saas_ctx_free(L->ctx);

	bench_check(saas_ctx_open(&L->ctx, url, NULL), "saas_ctx_open"); /* WAL, synchronous=FULL */
}

/* Add members [from, to); returns the seconds taken. */
static double lib_member_add(struct lib_side *L, size_t from, size_t to)
{
	const char *roles[] = {"member"};
	double t0 = bench_now();

	for (size_t i = from; i < to; i++)
		bench_check(saas_member_add(NULL, L->ctx, L->scope, L->user_ids[i], roles, 1),
		      "saas_member_add");
	return bench_now() - t0;
}

static double lib_member_get(struct lib_side *L)
{
	size_t found = 0;
	double t0 = bench_now();

	for (size_t i = 0; i < L->n; i++) {
		saas_member *m = NULL;
		bench_check(saas_member_get(&m, L->ctx, L->scope, L->user_ids[i]), "saas_member_get");
		found += saas_member_role_count(m);
		saas_member_free(m);
	}
	double dt = bench_now() - t0;
	if (found != L->n)
		bench_die("libsaas: read %zu roles, expected %zu", found, L->n);
	return dt;
}

static void lib_teardown(struct lib_side *L)
{
	for (size_t i = 0; i < L->n; i++)
		free(L->user_ids[i]);
	free(L->user_ids);
	saas_scope_free(L->scope);
	saas_ctx_free(L->ctx);
}

/* ---- raw sqlite3 ------------------------------------------------------------ */

enum { S_BEGIN, S_COMMIT, S_TENANT, S_USER, S_MEMBER, S_ROLE, S_SEQ, S_EVENT, S_READ, S_COUNT };

static const char *const raw_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_TENANT] = "SELECT status FROM tenants WHERE id = ?1",
	[S_USER] = "SELECT 1 FROM users WHERE id = ?1",
	[S_MEMBER] = "INSERT INTO memberships (tenant_id, id, user_id, created_at, updated_at)"
	             " VALUES (?1, ?2, ?3, ?4, ?4)",
	[S_ROLE] = "INSERT INTO member_roles (tenant_id, user_id, role) VALUES (?1, ?2, ?3)",
	[S_SEQ] = "SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_events WHERE tenant_id = ?1",
	[S_EVENT] = "INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id,"
	            " action, target_type, target_id, request_id, ip, user_agent, metadata)"
	            " VALUES (?1, ?2, ?3, ?4, 'system', 'bench', 'member.added', 'member', ?5,"
	            " NULL, NULL, NULL, ?6)",
	[S_READ] = "SELECT m.id, m.created_at, r.role FROM memberships m"
	           " LEFT JOIN member_roles r ON r.tenant_id = m.tenant_id AND r.user_id = m.user_id"
	           " WHERE m.tenant_id = ?1 AND m.user_id = ?2 ORDER BY r.role",
};

struct raw_side {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	char tenant_id[40];
	char (*user_ids)[40];
	size_t n;
};

/* Run one prepared statement that returns no rows, then reset it. */
static void raw_exec(struct raw_side *R, int s, const char *what)
{
	sq_check(R->db, sqlite3_step(R->st[s]), SQLITE_DONE, what);
	sqlite3_reset(R->st[s]);
}

static void raw_setup(struct raw_side *R, size_t n)
{
	char path[4200], email[64];
	int64_t now = wall_ms();

	snprintf(path, sizeof path, "%s/raw.db", bench_tmpdir);
	R->n = n;
	R->user_ids = calloc(n, sizeof *R->user_ids);
	if (!R->user_ids)
		bench_die("out of memory");
	sq_check(R->db, sqlite3_open_v2(path, &R->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                                                   SQLITE_OPEN_NOMUTEX, NULL),
	         SQLITE_OK, "open");
	/* The library's pragmas: foreign keys, synchronous=FULL, WAL, busy timeout. */
	sqlite3_busy_timeout(R->db, 5000);
	sq_check(R->db,
	         sqlite3_exec(R->db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
	                             " PRAGMA journal_mode=WAL;", NULL, NULL, NULL),
	         SQLITE_OK, "pragmas");
	sq_check(R->db, sqlite3_exec(R->db, raw_schema, NULL, NULL, NULL), SQLITE_OK, "schema");

	/* Untimed: the tenant and the users, in one transaction. */
	fake_id(R->tenant_id, sizeof R->tenant_id, "ten", 1);
	sq_check(R->db, sqlite3_exec(R->db, "BEGIN", NULL, NULL, NULL), SQLITE_OK, "begin");
	sqlite3_stmt *st;
	sq_check(R->db, sqlite3_prepare_v2(R->db,
	                                   "INSERT INTO tenants (id, slug, name, status, created_at,"
	                                   " updated_at) VALUES (?1, 'bench', 'Bench', 'active', ?2, ?2)",
	                                   -1, &st, NULL),
	         SQLITE_OK, "prepare tenant");
	sqlite3_bind_text(st, 1, R->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sq_check(R->db, sqlite3_step(st), SQLITE_DONE, "insert tenant");
	sqlite3_finalize(st);
	sq_check(R->db, sqlite3_prepare_v2(R->db,
	                                   "INSERT INTO users (id, email, created_at, updated_at)"
	                                   " VALUES (?1, ?2, ?3, ?3)",
	                                   -1, &st, NULL),
	         SQLITE_OK, "prepare user");
	for (size_t i = 0; i < n; i++) {
		fake_id(R->user_ids[i], sizeof R->user_ids[i], "usr", i);
		snprintf(email, sizeof email, "user%zu@bench.example", i);
		sqlite3_bind_text(st, 1, R->user_ids[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, email, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, now);
		sq_check(R->db, sqlite3_step(st), SQLITE_DONE, "insert user");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sq_check(R->db, sqlite3_exec(R->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK, "commit");

	for (int s = 0; s < S_COUNT; s++)
		sq_check(R->db,
		         sqlite3_prepare_v3(R->db, raw_sql[s], -1, SQLITE_PREPARE_PERSISTENT, &R->st[s],
		                            NULL),
		         SQLITE_OK, raw_sql[s]);
}

/* One membership insert, as the library does it: one transaction, its audit event. */
static void raw_add_one(struct raw_side *R, size_t i)
{
	char mem_id[40], evt_id[40], meta[160];
	const char *uid = R->user_ids[i];
	int64_t now = wall_ms(), seq;
	sqlite3_stmt *st;

	fake_id(mem_id, sizeof mem_id, "mem", i);
	fake_id(evt_id, sizeof evt_id, "evt", i);
	/* The library's event: target the membership, metadata {roles, user_id}. */
	snprintf(meta, sizeof meta, "{\"roles\":[\"member\"],\"user_id\":\"%s\"}", uid);

	raw_exec(R, S_BEGIN, "begin immediate");

	st = R->st[S_TENANT]; /* the tenant exists and is writable */
	sqlite3_bind_text(st, 1, R->tenant_id, -1, SQLITE_STATIC);
	sq_check(R->db, sqlite3_step(st), SQLITE_ROW, "tenant status");
	if (strcmp((const char *)sqlite3_column_text(st, 0), "active") != 0)
		bench_die("raw: tenant not active");
	sqlite3_reset(st);

	st = R->st[S_USER]; /* the user exists */
	sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	sq_check(R->db, sqlite3_step(st), SQLITE_ROW, "user exists");
	sqlite3_reset(st);

	st = R->st[S_MEMBER];
	sqlite3_bind_text(st, 1, R->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mem_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, uid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	raw_exec(R, S_MEMBER, "insert membership");

	st = R->st[S_ROLE];
	sqlite3_bind_text(st, 1, R->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, "member", -1, SQLITE_STATIC);
	raw_exec(R, S_ROLE, "insert role");

	st = R->st[S_SEQ]; /* the tenant's next audit sequence number */
	sqlite3_bind_text(st, 1, R->tenant_id, -1, SQLITE_STATIC);
	sq_check(R->db, sqlite3_step(st), SQLITE_ROW, "next seq");
	seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	st = R->st[S_EVENT];
	sqlite3_bind_text(st, 1, R->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_text(st, 3, evt_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_text(st, 5, mem_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, meta, -1, SQLITE_STATIC);
	raw_exec(R, S_EVENT, "insert audit event");

	raw_exec(R, S_COMMIT, "commit");
}

static double raw_member_add(struct raw_side *R, size_t from, size_t to)
{
	double t0 = bench_now();

	for (size_t i = from; i < to; i++)
		raw_add_one(R, i);
	return bench_now() - t0;
}

static double raw_member_get(struct raw_side *R)
{
	sqlite3_stmt *st = R->st[S_READ];
	size_t found = 0;
	double t0 = bench_now();

	for (size_t i = 0; i < R->n; i++) {
		char id[40];
		int64_t created;
		int rc;

		sqlite3_bind_text(st, 1, R->tenant_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, R->user_ids[i], -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			/* Copy out what a caller would keep: the id, the time, the roles. */
			snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
			created = sqlite3_column_int64(st, 1);
			if (sqlite3_column_type(st, 2) != SQLITE_NULL && created > 0 && id[0])
				found++;
		}
		sq_check(R->db, rc, SQLITE_DONE, "read membership");
		sqlite3_reset(st);
	}
	double dt = bench_now() - t0;
	if (found != R->n)
		bench_die("raw: read %zu roles, expected %zu", found, R->n);
	return dt;
}

static void raw_teardown(struct raw_side *R)
{
	for (int s = 0; s < S_COUNT; s++)
		sqlite3_finalize(R->st[s]);
	sqlite3_close(R->db);
	free(R->user_ids);
}

/* ---- main ------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	bench_name = "store";
	size_t n = DEFAULT_N;
	struct lib_side L = {0};
	struct raw_side R = {0};
	struct rusage ru;
	const char *base = getenv("TMPDIR");

	if (argc > 2 || (argc == 2 && (n = strtoul(argv[1], NULL, 10)) == 0)) {
		fprintf(stderr, "usage: %s [N]   (N > 0 memberships, default %d)\n", argv[0],
		        DEFAULT_N);
		return 2;
	}
	snprintf(bench_tmpdir, sizeof bench_tmpdir, "%s/libsaas-bench-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(bench_tmpdir)) {
		perror("mkdtemp");
		return 1;
	}

	lib_setup(&L, n);
	raw_setup(&R, n);

	/* Writes: each commit waits for fsync, whose speed drifts with the disk's
	 * load; alternate the sides in blocks so that drift affects both alike. */
	double lib_add = 0, raw_add = 0;
	for (size_t from = 0; from < n; from += WRITE_BLOCK) {
		size_t to = from + WRITE_BLOCK < n ? from + WRITE_BLOCK : n;
		lib_add += lib_member_add(&L, from, to);
		raw_add += raw_member_add(&R, from, to);
	}
	report("member_add", n, lib_add, raw_add);

	/* Reads are fast and so noisy: take the best of a few passes per side,
	 * alternating sides so that drift affects both alike. */
	double lib_get = 1e30, raw_get = 1e30;
	for (int pass = 0; pass < READ_PASSES; pass++) {
		double l = lib_member_get(&L), r = raw_member_get(&R);
		lib_get = l < lib_get ? l : lib_get;
		raw_get = r < raw_get ? r : raw_get;
	}
	report("member_get", n, lib_get, raw_get);

	lib_teardown(&L);
	raw_teardown(&R);
	bench_cleanup();

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"bench\":\"store\",\"op\":\"peak_rss\",\"peak_rss_kb\":%ld}\n", ru.ru_maxrss);
	return 0;
}
