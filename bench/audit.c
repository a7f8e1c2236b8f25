/*
 * bench/audit: durable audit appends and verification speed.
 *
 *   usage: audit [N [V]]   N durable appends per side (default 500),
 *                          V events in the verified stream (default 20000)
 *
 * SQLite: saas_audit_record (its own transaction: tenant check, stream lock,
 * tail read, BLAKE2b chain hash, insert, commit) on sqlite:<tmp>/lib.db with
 * the default options (WAL, synchronous=FULL), side by side with raw sqlite3
 * on <tmp>/raw.db with the same pragmas: one transaction per row (BEGIN
 * IMMEDIATE; INSERT the same 16 columns with a precomputed hash; COMMIT), a
 * reused prepared statement. The sides alternate in blocks of BLOCK (each
 * commit waits for fsync, which dominates and drifts).
 *
 * PostgreSQL, when SAAS_TEST_POSTGRES_URL and SAAS_TEST_POSTGRES_OWNER_URL are
 * set (scripts/pg-test-server.sh start): saas_audit_record through the
 * application role (row-level security, pool) side by side with a raw libpq
 * INSERT (one autocommitted statement, the server's default durability) into
 * a copy table without RLS made by the owner (bench_audit_raw, dropped after).
 *
 * Verification: a stream of V events (written with synchronous=NORMAL to save
 * time), then saas_audit_verify timed; MB/s = bytes of the verified rows (sum
 * of the columns' text lengths + 8 per integer column) per second. On SQLite,
 * beside a raw baseline: read the same rows with sqlite3 and BLAKE2b-256 each
 * row's columns (no chain checks).
 *
 * Output: JSON lines on stdout. Figures, never pass/fail.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#ifdef SAAS_BENCH_POSTGRES
#include <libpq-fe.h>
#endif

#include <saas.h>

#define DEFAULT_N 500
#define DEFAULT_V 20000
#define BLOCK 50

static char tmpdir[4096];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bench/audit: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cleanup();
	exit(1);
}

static void ok(int rc, const char *what)
{
	if (rc != SAAS_OK)
		die("%s: %s: %s", what, saas_code_name(rc), saas_error_message(saas_error_last()));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const META = "{\"ip_country\":\"DE\",\"reason\":\"bad_password\"}";

static const char *const COLUMNS =
	"tenant_id TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, occurred_at BIGINT NOT NULL,"
	" actor_type TEXT NOT NULL, actor_id TEXT NOT NULL, action TEXT NOT NULL, target_type TEXT,"
	" target_id TEXT, request_id TEXT, ip TEXT, user_agent TEXT, metadata TEXT NOT NULL,"
	" format INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
	" PRIMARY KEY (tenant_id, seq), UNIQUE (tenant_id, id)";

static const char *const ROW_BYTES =
	"SELECT COALESCE(SUM(length(tenant_id) + length(id) + length(actor_type) + length(actor_id)"
	" + length(action) + COALESCE(length(target_type),0) + COALESCE(length(target_id),0)"
	" + COALESCE(length(request_id),0) + COALESCE(length(ip),0) + COALESCE(length(user_agent),0)"
	" + length(metadata) + length(prev_hash) + length(hash) + 24), 0), COUNT(*)"
	" FROM audit_events WHERE tenant_id = ";

/* A fake precomputed hash for the raw side: BLAKE2b-256 of the row's text. */
static void row_hash(char out[65], const char *prev, int64_t seq, const char *id)
{
	unsigned char h[32];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)prev, 64);
	crypto_generichash_update(&st, (const unsigned char *)&seq, sizeof seq);
	crypto_generichash_update(&st, (const unsigned char *)id, strlen(id));
	crypto_generichash_update(&st, (const unsigned char *)META, strlen(META));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, 65, h, sizeof h);
}

static saas_ctx *open_lib(const char *url, int durable)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;
	o.sqlite_synchronous_full = durable;
	ok(saas_ctx_open(&c, url, &o), url);
	return c;
}

static char *new_tenant(saas_ctx *c, const char *slug, saas_scope **scope)
{
	saas_scope *sys;
	saas_tenant *t;
	char *id;
	ok(saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "bench"), "scope");
	ok(saas_tenant_create(&t, c, sys, slug, slug), "tenant");
	id = strdup(saas_tenant_id(t));
	saas_tenant_free(t);
	saas_scope_free(sys);
	ok(saas_scope_new(scope, id, SAAS_ACTOR_USER, "usr_01JBENCH0000000000000000AA"), "scope");
	ok(saas_scope_set_ip(*scope, "203.0.113.7"), "ip");
	return id;
}

static void lib_append(saas_ctx *c, saas_scope *s)
{
	ok(saas_audit_record(NULL, c, s, "user.login_failed", "user", "usr_01JBENCH0000000000000000AA",
	                     META),
	   "saas_audit_record");
}

static void print_append(const char *backend, size_t n, double lib_s, double raw_s)
{
	printf("{\"bench\":\"audit\",\"op\":\"append\",\"backend\":\"%s\",\"durability\":\"%s\","
	       "\"n\":%zu,\"libsaas_per_s\":%.1f,\"raw_per_s\":%.1f,\"ratio\":%.3f}\n",
	       backend, strcmp(backend, "sqlite") == 0 ? "synchronous=full" : "server default",
	       n, (double)n / lib_s, (double)n / raw_s, lib_s / raw_s);
	fflush(stdout);
}

static double lib_verify(saas_ctx *c, saas_scope *s, int64_t *events)
{
	saas_audit_report *r = NULL;
	double t0 = now_s();
	ok(saas_audit_verify(&r, c, s), "saas_audit_verify");
	double dt = now_s() - t0;
	if (!saas_audit_report_ok(r))
		die("verify: %s", saas_audit_report_message(r));
	*events = saas_audit_report_events(r);
	saas_audit_report_free(r);
	return dt;
}

/* ---- SQLite ---------------------------------------------------------------------------- */

static void sq(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die("sqlite: %s: %s", sql, err ? err : "?");
}

static void bench_sqlite(size_t n, size_t v)
{
	char url[4200], path[4200], sql[1024], id[40], prev[65], hash[65];
	sqlite3 *db;
	sqlite3_stmt *ins;
	saas_scope *s;

	/* libsaas side */
	snprintf(url, sizeof url, "sqlite:%s/lib.db", tmpdir);
	saas_ctx *c = open_lib(url, 1);
	char *tenant = new_tenant(c, "bench-append", &s);

	/* raw side */
	snprintf(path, sizeof path, "%s/raw.db", tmpdir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("sqlite3_open %s", path);
	sq(db, "PRAGMA journal_mode=WAL");
	sq(db, "PRAGMA synchronous=FULL");
	sq(db, "PRAGMA busy_timeout=5000");
	snprintf(sql, sizeof sql, "CREATE TABLE audit_events (%s)", COLUMNS);
	sq(db, sql);
	if (sqlite3_prepare_v2(db,
	        "INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ins,
	        NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(db));
	memset(prev, '0', 64);
	prev[64] = '\0';

	double lib_s = 0, raw_s = 0;
	size_t seq = 0;
	for (size_t done = 0; done < n; done += BLOCK) {
		size_t m = n - done < BLOCK ? n - done : BLOCK;
		double t0 = now_s();
		for (size_t i = 0; i < m; i++)
			lib_append(c, s);
		double t1 = now_s();
		for (size_t i = 0; i < m; i++) {
			seq++;
			snprintf(id, sizeof id, "evt_%026zu", seq);
			row_hash(hash, prev, (int64_t)seq, id);
			sq(db, "BEGIN IMMEDIATE");
			sqlite3_bind_text(ins, 1, tenant, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 2, (sqlite3_int64)seq);
			sqlite3_bind_text(ins, 3, id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 4, 1767225600000LL + (sqlite3_int64)seq);
			sqlite3_bind_text(ins, 5, "user", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 6, "usr_01JBENCH0000000000000000AA", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 7, "user.login_failed", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 8, "user", -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 9, "usr_01JBENCH0000000000000000AA", -1, SQLITE_STATIC);
			sqlite3_bind_null(ins, 10);
			sqlite3_bind_text(ins, 11, "203.0.113.7", -1, SQLITE_STATIC);
			sqlite3_bind_null(ins, 12);
			sqlite3_bind_text(ins, 13, META, -1, SQLITE_STATIC);
			sqlite3_bind_int(ins, 14, 1);
			sqlite3_bind_text(ins, 15, prev, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 16, hash, -1, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die("insert: %s", sqlite3_errmsg(db));
			sqlite3_reset(ins);
			sq(db, "COMMIT");
			memcpy(prev, hash, 65);
		}
		double t2 = now_s();
		lib_s += t1 - t0;
		raw_s += t2 - t1;
	}
	print_append("sqlite", n, lib_s, raw_s);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	saas_scope_free(s);
	free(tenant);
	saas_ctx_free(c);

	/* Verification: a stream of v events. */
	c = open_lib(url, 0);
	tenant = new_tenant(c, "bench-verify", &s);
	for (size_t i = 0; i < v; i++)
		lib_append(c, s);
	int64_t events = 0;
	double best = 1e9;
	for (int pass = 0; pass < 3; pass++) {
		double dt = lib_verify(c, s, &events);
		if (dt < best)
			best = dt;
	}
	/* Bytes, and the raw baseline: read every row and hash its columns. */
	snprintf(path, sizeof path, "%s/lib.db", tmpdir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("open %s", path);
	snprintf(sql, sizeof sql, "%s'%s'", ROW_BYTES, tenant);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		die("bytes: %s", sqlite3_errmsg(db));
	double bytes = (double)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	snprintf(sql, sizeof sql,
	         "SELECT tenant_id, seq, id, occurred_at, actor_type, actor_id, action, target_type,"
	         " target_id, request_id, ip, user_agent, metadata, format, prev_hash, hash"
	         " FROM audit_events WHERE tenant_id = '%s' ORDER BY seq", tenant);
	double raw_best = 1e9;
	unsigned char h[32];
	for (int pass = 0; pass < 3; pass++) {
		double t0 = now_s();
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			die("scan: %s", sqlite3_errmsg(db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			crypto_generichash_state hs;
			crypto_generichash_init(&hs, NULL, 0, sizeof h);
			for (int col = 0; col < 15; col++) {
				const unsigned char *t = sqlite3_column_text(st, col);
				if (t)
					crypto_generichash_update(&hs, t, (size_t)sqlite3_column_bytes(st, col));
			}
			crypto_generichash_final(&hs, h, sizeof h);
		}
		sqlite3_finalize(st);
		double dt = now_s() - t0;
		if (dt < raw_best)
			raw_best = dt;
	}
	sqlite3_close(db);
	printf("{\"bench\":\"audit\",\"op\":\"verify\",\"backend\":\"sqlite\",\"events\":%lld,"
	       "\"bytes\":%.0f,\"seconds\":%.4f,\"libsaas_mb_per_s\":%.1f,\"libsaas_events_per_s\":%.0f,"
	       "\"raw_read_and_hash_mb_per_s\":%.1f,\"ratio\":%.3f}\n",
	       (long long)events, bytes, best, bytes / best / 1e6, (double)events / best,
	       bytes / raw_best / 1e6, best / raw_best);
	fflush(stdout);
	saas_scope_free(s);
	free(tenant);
	saas_ctx_free(c);
}

/* ---- PostgreSQL ------------------------------------------------------------------------ */

#ifdef SAAS_BENCH_POSTGRES
static PGresult *pq(PGconn *c, const char *sql, ExecStatusType want)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != want)
		die("postgres: %s: %s", sql, PQerrorMessage(c));
	return r;
}

static void bench_postgres(size_t n, size_t v)
{
	const char *app = getenv("SAAS_TEST_POSTGRES_URL");
	const char *owner = getenv("SAAS_TEST_POSTGRES_OWNER_URL");
	char sql[1024], id[40], prev[65], hash[65], seqtxt[24], occ[24];
	saas_scope *s;

	if (!app || !*app || !owner || !*owner) {
		printf("{\"bench\":\"audit\",\"backend\":\"postgres\",\"skipped\":\"SAAS_TEST_POSTGRES_URL"
		       " and SAAS_TEST_POSTGRES_OWNER_URL are not both set\"}\n");
		return;
	}
	saas_ctx *c = open_lib(app, 1);
	/* A unique slug per run: the database is not emptied. */
	char slug[64];
	snprintf(slug, sizeof slug, "bench-a-%ld", (long)time(NULL));
	char *tenant = new_tenant(c, slug, &s);

	PGconn *raw = PQconnectdb(owner);
	if (PQstatus(raw) != CONNECTION_OK)
		die("connect: %s", PQerrorMessage(raw));
	PQclear(pq(raw, "SET client_min_messages = warning", PGRES_COMMAND_OK));
	PQclear(pq(raw, "DROP TABLE IF EXISTS bench_audit_raw", PGRES_COMMAND_OK));
	snprintf(sql, sizeof sql, "CREATE TABLE bench_audit_raw (%s)", COLUMNS);
	PQclear(pq(raw, sql, PGRES_COMMAND_OK));
	PGresult *pr = PQprepare(raw, "ins",
		"INSERT INTO bench_audit_raw VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)",
		16, NULL);
	if (PQresultStatus(pr) != PGRES_COMMAND_OK)
		die("prepare: %s", PQerrorMessage(raw));
	PQclear(pr);
	memset(prev, '0', 64);
	prev[64] = '\0';

	double lib_s = 0, raw_s = 0;
	size_t seq = 0;
	for (size_t done = 0; done < n; done += BLOCK) {
		size_t m = n - done < BLOCK ? n - done : BLOCK;
		double t0 = now_s();
		for (size_t i = 0; i < m; i++)
			lib_append(c, s);
		double t1 = now_s();
		for (size_t i = 0; i < m; i++) {
			seq++;
			snprintf(id, sizeof id, "evt_%026zu", seq);
			snprintf(seqtxt, sizeof seqtxt, "%zu", seq);
			snprintf(occ, sizeof occ, "%lld", 1767225600000LL + (long long)seq);
			row_hash(hash, prev, (int64_t)seq, id);
			const char *vals[16] = {tenant, seqtxt, id, occ, "user",
			                        "usr_01JBENCH0000000000000000AA", "user.login_failed", "user",
			                        "usr_01JBENCH0000000000000000AA", NULL, "203.0.113.7", NULL,
			                        META, "1", prev, hash};
			PGresult *r = PQexecPrepared(raw, "ins", 16, vals, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				die("insert: %s", PQerrorMessage(raw));
			PQclear(r);
			memcpy(prev, hash, 65);
		}
		double t2 = now_s();
		lib_s += t1 - t0;
		raw_s += t2 - t1;
	}
	print_append("postgres", n, lib_s, raw_s);
	PQclear(pq(raw, "DROP TABLE bench_audit_raw", PGRES_COMMAND_OK));
	saas_scope_free(s);
	free(tenant);

	/* Verification */
	snprintf(slug, sizeof slug, "bench-v-%ld", (long)time(NULL));
	tenant = new_tenant(c, slug, &s);
	for (size_t i = 0; i < v; i++)
		lib_append(c, s);
	int64_t events = 0;
	double best = 1e9;
	for (int pass = 0; pass < 3; pass++) {
		double dt = lib_verify(c, s, &events);
		if (dt < best)
			best = dt;
	}
	/* Row-level security applies to the owner too (FORCE): set the tenant. */
	PQclear(pq(raw, "BEGIN", PGRES_COMMAND_OK));
	snprintf(sql, sizeof sql, "SELECT saas_set_tenant('%s')", tenant);
	PQclear(pq(raw, sql, PGRES_TUPLES_OK));
	snprintf(sql, sizeof sql, "%s'%s'", ROW_BYTES, tenant);
	PGresult *br = pq(raw, sql, PGRES_TUPLES_OK);
	double bytes = strtod(PQgetvalue(br, 0, 0), NULL);
	PQclear(br);
	PQclear(pq(raw, "COMMIT", PGRES_COMMAND_OK));
	printf("{\"bench\":\"audit\",\"op\":\"verify\",\"backend\":\"postgres\",\"events\":%lld,"
	       "\"bytes\":%.0f,\"seconds\":%.4f,\"libsaas_mb_per_s\":%.1f,\"libsaas_events_per_s\":%.0f}\n",
	       (long long)events, bytes, best, bytes / best / 1e6, (double)events / best);
	PQfinish(raw);
	saas_scope_free(s);
	free(tenant);
	saas_ctx_free(c);
}
#endif

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : DEFAULT_N;
	size_t v = argc > 2 ? strtoul(argv[2], NULL, 10) : DEFAULT_V;
	const char *base = getenv("TMPDIR");

	if (n == 0 || v == 0) {
		fprintf(stderr, "usage: %s [N [V]]   (N durable appends, V events verified)\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0)
		die("sodium_init");
	snprintf(tmpdir, sizeof tmpdir, "%s/libsaas-bench-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		die("mkdtemp %s", tmpdir);
	bench_sqlite(n, v);
#ifdef SAAS_BENCH_POSTGRES
	bench_postgres(n, v / 2);
#else
	printf("{\"bench\":\"audit\",\"backend\":\"postgres\",\"skipped\":\"built without libpq\"}\n");
#endif
	cleanup();
	return 0;
}
