/*
 * bench/audit: durable audit appends (single and batched) and verification
 * speed, each beside raw INSERTs of the same rows at the same durability,
 * in one run.
 *
 *   usage: audit [N [V [BATCHES [BATCH]]]]
 *     N        durable single appends per side (default 500)
 *     V        events in the verified stream (default 20000)
 *     BATCHES  batches per side (default 20)
 *     BATCH    events per batch, 1 to 10000 (default 1000)
 *
 * The rows. Every libsaas event is the same: actor usr_01JBENCH…AA, action
 * user.login_failed, target user/usr_01JBENCH…AA, metadata META (nothing
 * redacted). With "personal":"ip" the scope carries an ip, so the event is
 * format 2 with personal data: the ip sealed with the actor's subject key
 * (libsodium secretbox, one key lookup per append or batch) into `personal`.
 * With "personal":"none" the scope has no ip and the event has no personal
 * data. The raw side inserts rows of the same shape into a table with the
 * same 19 columns and keys (PRIMARY KEY (tenant_id, seq), UNIQUE (tenant_id,
 * id)): the same texts, a real "<key id>:<base64 secretbox of {"ip":…}>"
 * computed once (raw inserts do not encrypt), ids evt_<seq>, and a
 * BLAKE2b-256 per row over the previous row's hash and the row's fields
 * (chained, as the library does, so the raw side also hashes each row).
 *
 * SQLite (WAL, synchronous=FULL on both sides): libsaas on sqlite:<tmp>/lib.db
 * with the default options; raw sqlite3 on <tmp>/raw.db with the same
 * pragmas and statements prepared once.
 *   append:       saas_audit_record (its own transaction) vs BEGIN IMMEDIATE;
 *                 INSERT one row; COMMIT. The four sides (libsaas and raw, with
 *                 and without personal data) alternate in blocks of BLOCK, the
 *                 order reversed every other block (each commit waits for
 *                 fsync, which dominates and drifts: on a shared machine the
 *                 ratio of single appends moves by ±0.2 from run to run).
 *   append_batch: saas_audit_record_batch of BATCH entries vs BEGIN IMMEDIATE;
 *                 multi-row INSERTs of up to SQLITE_ROWS rows (fewer if the
 *                 library's variable limit is lower) until BATCH rows; COMMIT.
 *                 The four sides alternate batch by batch.
 * Each side runs once untimed first (statements prepared, subject key made).
 *
 * PostgreSQL, when SAAS_TEST_POSTGRES_URL and SAAS_TEST_POSTGRES_OWNER_URL are
 * set (scripts/pg-test-server.sh start): a context on the owner URL migrates
 * first; libsaas runs through the application role (row-level security,
 * pool); the raw side is libpq on the owner URL into a copy table without
 * RLS (bench_audit_raw, dropped after), statements prepared once, at the
 * server's default durability on both sides. The durability field reports
 * the server's fsync and synchronous_commit: the test server runs with fsync
 * off, so its commits are not flushed and the figures measure round trips
 * and server CPU, not the disk.
 *   append:       saas_audit_record vs one autocommitted single-row INSERT.
 *   append_batch: saas_audit_record_batch vs one autocommitted multi-row
 *                 INSERT of the BATCH rows (several statements in BEGIN/COMMIT
 *                 if BATCH * 19 exceeds PostgreSQL's 65535 parameters).
 *
 * Verification: a stream of V events with personal data (and the tenant's
 * own first event), written with saas_audit_record_batch (on SQLite with
 * synchronous=NORMAL to save time), then saas_audit_verify timed, best of 3; MB/s = bytes of the verified rows
 * (sum of the columns' text lengths + 8 per integer column) per second.
 * Beside it a raw baseline: read the same rows (sqlite3, or libpq as the
 * owner) and BLAKE2b-256 each row's columns (no chain checks).
 *
 * Output: JSON lines on stdout. Figures, never pass/fail. The temporary
 * directory (under $TMPDIR or /tmp) is removed.
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

#include "common.h"

#define DEFAULT_N 500
#define DEFAULT_V 20000
#define DEFAULT_BATCHES 20
#define DEFAULT_BATCH 1000
#define BATCH_MAX 10000
#define BLOCK 50
#define SQLITE_ROWS 100  /* rows per raw multi-row INSERT on SQLite */
#define PG_MAX_PARAMS 65535
#define NCOL 19

static const char *const META = "{\"ip_country\":\"DE\",\"reason\":\"bad_password\"}";
static const char *const ACTOR = "usr_01JBENCH0000000000000000AA";
static const char *const ACTION = "user.login_failed";
static const char *const IP = "203.0.113.7";

/* The raw side's `personal`: "<key id>:" base64(nonce || secretbox({"ip":IP})),
 * the shape the library stores (a key id of 16 hex characters), computed once. */
static char raw_personal[160];

static void make_raw_personal(void)
{
	unsigned char key[crypto_secretbox_KEYBYTES], nonce[crypto_secretbox_NONCEBYTES], kid[8];
	unsigned char box[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 64];
	char plain[64];
	size_t n = (size_t)snprintf(plain, sizeof plain, "{\"ip\":\"%s\"}", IP);

	crypto_secretbox_keygen(key);
	randombytes_buf(nonce, sizeof nonce);
	randombytes_buf(kid, sizeof kid);
	memcpy(box, nonce, sizeof nonce);
	crypto_secretbox_easy(box + sizeof nonce, (const unsigned char *)plain, n, nonce, key);
	sodium_bin2hex(raw_personal, 17, kid, sizeof kid);
	raw_personal[16] = ':';
	sodium_bin2base64(raw_personal + 17, sizeof raw_personal - 17, box,
	                  sizeof nonce + crypto_secretbox_MACBYTES + n,
	                  sodium_base64_VARIANT_ORIGINAL);
}

static const char *const COLUMNS =
	"tenant_id TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, occurred_at BIGINT NOT NULL,"
	" actor_type TEXT NOT NULL, actor_id TEXT NOT NULL, action TEXT NOT NULL, target_type TEXT,"
	" target_id TEXT, request_id TEXT, ip TEXT, user_agent TEXT, metadata TEXT NOT NULL,"
	" format INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,"
	" on_behalf_of TEXT, subject_id TEXT, personal TEXT,"
	" PRIMARY KEY (tenant_id, seq), UNIQUE (tenant_id, id)";

static const char *const SELECT_COLUMNS =
	"tenant_id, seq, id, occurred_at, actor_type, actor_id, action, target_type, target_id,"
	" request_id, ip, user_agent, metadata, format, prev_hash, hash, on_behalf_of, subject_id,"
	" personal";

static const char *const ROW_BYTES =
	"SELECT COALESCE(SUM(length(tenant_id) + length(id) + length(actor_type) + length(actor_id)"
	" + length(action) + COALESCE(length(target_type),0) + COALESCE(length(target_id),0)"
	" + COALESCE(length(request_id),0) + COALESCE(length(ip),0) + COALESCE(length(user_agent),0)"
	" + length(metadata) + length(prev_hash) + length(hash) + COALESCE(length(on_behalf_of),0)"
	" + COALESCE(length(subject_id),0) + COALESCE(length(personal),0) + 24), 0), COUNT(*)"
	" FROM audit_events WHERE tenant_id = ";

/* ---- the raw side's rows ------------------------------------------------------------- */

struct raw_stream {
	const char *tenant;
	const char *personal; /* raw_personal, or NULL for rows without personal data */
	int64_t seq;
	char prev[65];
};

struct raw_row {
	int64_t seq, occurred_at;
	char id[40], seqtxt[24], occtxt[24], prev[65], hash[65];
};

static void raw_stream_init(struct raw_stream *s, const char *tenant, const char *personal)
{
	s->tenant = tenant;
	s->personal = personal;
	s->seq = 0;
	memset(s->prev, '0', 64);
	s->prev[64] = '\0';
}

/* The next m rows of the stream: ids, times and chained BLAKE2b-256 hashes. */
static void raw_rows(struct raw_stream *s, struct raw_row *rows, size_t m)
{
	for (size_t i = 0; i < m; i++) {
		struct raw_row *r = &rows[i];
		unsigned char h[32];
		crypto_generichash_state st;

		r->seq = ++s->seq;
		r->occurred_at = 1767225600000LL + r->seq;
		snprintf(r->id, sizeof r->id, "evt_%026lld", (long long)r->seq);
		snprintf(r->seqtxt, sizeof r->seqtxt, "%lld", (long long)r->seq);
		snprintf(r->occtxt, sizeof r->occtxt, "%lld", (long long)r->occurred_at);
		memcpy(r->prev, s->prev, 65);
		crypto_generichash_init(&st, NULL, 0, sizeof h);
		crypto_generichash_update(&st, (const unsigned char *)s->prev, 64);
		crypto_generichash_update(&st, (const unsigned char *)&r->seq, sizeof r->seq);
		crypto_generichash_update(&st, (const unsigned char *)r->id, strlen(r->id));
		crypto_generichash_update(&st, (const unsigned char *)META, strlen(META));
		if (s->personal)
			crypto_generichash_update(&st, (const unsigned char *)s->personal,
			                          strlen(s->personal));
		crypto_generichash_final(&st, h, sizeof h);
		sodium_bin2hex(r->hash, sizeof r->hash, h, sizeof h);
		memcpy(s->prev, r->hash, 65);
	}
}

/* The row's 19 values as text (NULL: SQL NULL), in COLUMNS order. */
static void raw_values(const struct raw_stream *s, const struct raw_row *r, const char *v[NCOL])
{
	const char *vals[NCOL] = {s->tenant, r->seqtxt, r->id, r->occtxt, "user", ACTOR, ACTION,
	                          "user", ACTOR, NULL, NULL, NULL, META, "2", r->prev, r->hash,
	                          NULL, s->personal ? ACTOR : NULL, s->personal};
	memcpy(v, vals, sizeof vals);
}

/* "INSERT INTO table VALUES (?,…),(…)" for `rows` rows, with `$N` or `?`. */
static char *multi_insert_sql(const char *table, size_t rows, int dollar)
{
	size_t cap = 64 + rows * NCOL * 8, k = 0;
	char *sql = bench_calloc(1, cap);

	k += (size_t)snprintf(sql + k, cap - k, "INSERT INTO %s VALUES ", table);
	for (size_t r = 0; r < rows; r++) {
		sql[k++] = r ? ',' : ' ';
		sql[k++] = '(';
		for (int c = 0; c < NCOL; c++) {
			if (dollar)
				k += (size_t)snprintf(sql + k, cap - k, "%s$%zu", c ? "," : "",
				                      r * NCOL + (size_t)c + 1);
			else
				k += (size_t)snprintf(sql + k, cap - k, "%s?", c ? "," : "");
		}
		sql[k++] = ')';
	}
	sql[k] = '\0';
	return sql;
}

/* ---- the libsaas side ---------------------------------------------------------------- */

static saas_ctx *open_lib(const char *url, int durable)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;
	o.sqlite_synchronous_full = durable;
	bench_check(saas_ctx_open(&c, url, &o), url);
	return c;
}

/* A new tenant and a user scope in it, with the ip set when `personal`. */
static char *new_tenant(saas_ctx *c, const char *slug, int personal, saas_scope **scope)
{
	saas_scope *sys;
	saas_tenant *t;
	char *id;
	bench_check(saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "bench"), "scope");
	bench_check(saas_tenant_create(&t, c, sys, slug, slug), "tenant");
	id = strdup(saas_tenant_id(t));
	if (!id)
		bench_die("out of memory");
	saas_tenant_free(t);
	saas_scope_free(sys);
	bench_check(saas_scope_new(scope, id, SAAS_ACTOR_USER, ACTOR), "scope");
	if (personal)
		bench_check(saas_scope_set_ip(*scope, IP), "ip");
	return id;
}

static void lib_append(saas_ctx *c, saas_scope *s)
{
	bench_check(saas_audit_record(NULL, c, s, ACTION, "user", ACTOR, META), "saas_audit_record");
}

static saas_audit_entry *lib_entries(size_t b)
{
	saas_audit_entry *e = bench_calloc(b, sizeof *e);
	for (size_t i = 0; i < b; i++) {
		saas_audit_entry one = SAAS_AUDIT_ENTRY_INIT;
		one.action = ACTION;
		one.target_type = "user";
		one.target_id = ACTOR;
		one.metadata_json = META;
		e[i] = one;
	}
	return e;
}

static void lib_batch(saas_ctx *c, saas_scope *s, const saas_audit_entry *e, size_t b)
{
	bench_check(saas_audit_record_batch(NULL, c, s, e, b), "saas_audit_record_batch");
}

/* V events with personal data, in batches (untimed setup for verification). */
static void lib_fill(saas_ctx *c, saas_scope *s, size_t v)
{
	size_t b = v < DEFAULT_BATCH ? v : DEFAULT_BATCH;
	saas_audit_entry *e = lib_entries(b);
	for (size_t done = 0; done < v; done += b)
		lib_batch(c, s, e, v - done < b ? v - done : b);
	free(e);
}

static double lib_verify_best(saas_ctx *c, saas_scope *s, int64_t *events)
{
	double best = 1e9;
	for (int pass = 0; pass < 3; pass++) {
		saas_audit_report *r = NULL;
		double t0 = bench_now();
		bench_check(saas_audit_verify(&r, c, s), "saas_audit_verify");
		double dt = bench_now() - t0;
		if (!saas_audit_report_ok(r))
			bench_die("verify: %s", saas_audit_report_message(r));
		*events = saas_audit_report_events(r);
		saas_audit_report_free(r);
		if (dt < best)
			best = dt;
	}
	return best;
}

/* ---- output ------------------------------------------------------------------------- */

static void print_append(const char *backend, const char *durability, const char *note,
                         const char *personal, const char *raw, size_t n, double lib_s,
                         double raw_s)
{
	printf("{\"bench\":\"audit\",\"op\":\"append\",\"backend\":\"%s\",\"durability\":\"%s\",%s"
	       "\"personal\":\"%s\",\"raw\":\"%s\",\"n\":%zu,\"libsaas_per_s\":%.1f,"
	       "\"raw_per_s\":%.1f,\"libsaas_us\":%.1f,\"raw_us\":%.1f,\"ratio\":%.3f}\n",
	       backend, durability, note, personal, raw, n, (double)n / lib_s, (double)n / raw_s,
	       lib_s / (double)n * 1e6, raw_s / (double)n * 1e6, lib_s / raw_s);
	fflush(stdout);
}

static void print_batch(const char *backend, const char *durability, const char *note,
                        const char *personal, const char *raw, size_t batches, size_t b,
                        double lib_s, double raw_s)
{
	double ev = (double)(batches * b);
	printf("{\"bench\":\"audit\",\"op\":\"append_batch\",\"backend\":\"%s\",\"durability\":\"%s\","
	       "%s\"personal\":\"%s\",\"raw\":\"%s\",\"batch\":%zu,\"batches\":%zu,"
	       "\"libsaas_events_per_s\":%.0f,\"raw_events_per_s\":%.0f,\"libsaas_us_per_event\":%.2f,"
	       "\"raw_us_per_event\":%.2f,\"ratio\":%.3f}\n",
	       backend, durability, note, personal, raw, b, batches, ev / lib_s, ev / raw_s,
	       lib_s / ev * 1e6, raw_s / ev * 1e6, lib_s / raw_s);
	fflush(stdout);
}

static void print_verify(const char *backend, int64_t events, double bytes, double best,
                         double raw_best)
{
	printf("{\"bench\":\"audit\",\"op\":\"verify\",\"backend\":\"%s\",\"events\":%lld,"
	       "\"bytes\":%.0f,\"seconds\":%.4f,\"libsaas_mb_per_s\":%.1f,\"libsaas_events_per_s\":%.0f,"
	       "\"raw_read_and_hash_mb_per_s\":%.1f,\"ratio\":%.3f}\n",
	       backend, (long long)events, bytes, best, bytes / best / 1e6, (double)events / best,
	       bytes / raw_best / 1e6, best / raw_best);
	fflush(stdout);
}

/* BLAKE2b-256 of one row's columns (the raw verification baseline). */
static void hash_columns(const unsigned char *const *cols, const size_t *lens, int n)
{
	unsigned char h[32];
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, sizeof h);
	for (int col = 0; col < n; col++)
		if (cols[col])
			crypto_generichash_update(&hs, cols[col], lens[col]);
	crypto_generichash_final(&hs, h, sizeof h);
}

/* ---- SQLite ---------------------------------------------------------------------------- */

static void sq(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		bench_die("sqlite: %s: %s", sql, err ? err : "?");
}

static sqlite3_stmt *sq_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		bench_die("prepare: %s", sqlite3_errmsg(db));
	return st;
}

/* Bind `m` rows to a statement of m rows, run it and reset it. */
static void sq_insert(sqlite3 *db, sqlite3_stmt *ins, const struct raw_stream *s,
                      const struct raw_row *rows, size_t m)
{
	const char *v[NCOL];
	for (size_t r = 0; r < m; r++) {
		raw_values(s, &rows[r], v);
		int base = (int)(r * NCOL);
		for (int c = 0; c < NCOL; c++) {
			if (c == 1)
				sqlite3_bind_int64(ins, base + c + 1, rows[r].seq);
			else if (c == 3)
				sqlite3_bind_int64(ins, base + c + 1, rows[r].occurred_at);
			else if (c == 13)
				sqlite3_bind_int(ins, base + c + 1, 2);
			else if (v[c])
				sqlite3_bind_text(ins, base + c + 1, v[c], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(ins, base + c + 1);
		}
	}
	if (sqlite3_step(ins) != SQLITE_DONE)
		bench_die("insert: %s", sqlite3_errmsg(db));
	sqlite3_reset(ins);
}

struct sq_raw {
	sqlite3 *db;
	sqlite3_stmt *one;   /* one row */
	sqlite3_stmt *chunk; /* `rows` rows */
	sqlite3_stmt *rest;  /* batch % rows rows, or NULL */
	size_t rows;
	struct raw_row *buf; /* batch rows */
};

static void sq_raw_open(struct sq_raw *r, const char *path, size_t batch)
{
	char sql[1024];
	if (sqlite3_open(path, &r->db) != SQLITE_OK)
		bench_die("sqlite3_open %s", path);
	sq(r->db, "PRAGMA journal_mode=WAL");
	sq(r->db, "PRAGMA synchronous=FULL");
	sq(r->db, "PRAGMA busy_timeout=5000");
	snprintf(sql, sizeof sql, "CREATE TABLE audit_events (%s)", COLUMNS);
	sq(r->db, sql);
	size_t maxrows = (size_t)sqlite3_limit(r->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1) / NCOL;
	r->rows = SQLITE_ROWS < maxrows ? SQLITE_ROWS : maxrows;
	if (r->rows > batch)
		r->rows = batch;
	char *text = multi_insert_sql("audit_events", 1, 0);
	r->one = sq_prepare(r->db, text);
	free(text);
	text = multi_insert_sql("audit_events", r->rows, 0);
	r->chunk = sq_prepare(r->db, text);
	free(text);
	r->rest = NULL;
	if (batch % r->rows) {
		text = multi_insert_sql("audit_events", batch % r->rows, 0);
		r->rest = sq_prepare(r->db, text);
		free(text);
	}
	r->buf = bench_calloc(batch, sizeof *r->buf);
}

static void sq_raw_close(struct sq_raw *r)
{
	sqlite3_finalize(r->one);
	sqlite3_finalize(r->chunk);
	sqlite3_finalize(r->rest);
	sqlite3_close(r->db);
	free(r->buf);
}

static void sq_raw_single(struct sq_raw *r, struct raw_stream *s)
{
	raw_rows(s, r->buf, 1);
	sq(r->db, "BEGIN IMMEDIATE");
	sq_insert(r->db, r->one, s, r->buf, 1);
	sq(r->db, "COMMIT");
}

static void sq_raw_batch(struct sq_raw *r, struct raw_stream *s, size_t b)
{
	size_t done = 0;
	raw_rows(s, r->buf, b);
	sq(r->db, "BEGIN IMMEDIATE");
	for (; done + r->rows <= b; done += r->rows)
		sq_insert(r->db, r->chunk, s, r->buf + done, r->rows);
	if (done < b)
		sq_insert(r->db, r->rest, s, r->buf + done, b - done);
	sq(r->db, "COMMIT");
}

/* For struct sides: one raw row (b = 0) or a batch of b. */
static void sq_raw_run(void *raw, struct raw_stream *s, size_t b)
{
	if (b)
		sq_raw_batch(raw, s, b);
	else
		sq_raw_single(raw, s);
}

/* The four sides of a comparison: the library and the raw baseline, each
 * with and without personal data (an ip), run in alternating order (reversed
 * every other round) so that drift on a shared machine falls on all alike. */
struct sides {
	saas_ctx *c;
	saas_scope *lib[2];          /* with an ip, without */
	void *raw;                   /* struct sq_raw or struct pg_raw */
	struct raw_stream *rs[2];    /* the raw streams, with personal data and without */
	void (*raw_run)(void *raw, struct raw_stream *s, size_t b); /* b = 0: one row */
	const saas_audit_entry *entries;
};

static void side_run(const struct sides *x, int side, size_t b)
{
	if (side % 2 == 0 && b == 0)
		lib_append(x->c, x->lib[side / 2]);
	else if (side % 2 == 0)
		lib_batch(x->c, x->lib[side / 2], x->entries, b);
	else
		x->raw_run(x->raw, x->rs[side / 2], b);
}

/* `rounds` rounds of `per_round` operations (single appends for b = 0, else
 * batches of b) on each side; t[side] gets the seconds each side took, in
 * the order library with ip, raw with ip, library without, raw without. */
static void alternate(const struct sides *x, double t[4], size_t total, size_t per_round,
                      size_t b)
{
	for (int side = 0; side < 4; side++) /* untimed warm-up */
		side_run(x, side, b);
	for (size_t done = 0, round = 0; done < total; done += per_round, round++) {
		size_t m = total - done < per_round ? total - done : per_round;
		for (int k = 0; k < 4; k++) {
			int side = round % 2 ? 3 - k : k;
			double t0 = bench_now();
			for (size_t i = 0; i < m; i++)
				side_run(x, side, b);
			t[side] += bench_now() - t0;
		}
	}
}

static void bench_sqlite(size_t n, size_t v, size_t batches, size_t b)
{
	const char *dur = "synchronous=full";
	char url[4200], path[4200], sql[1024], raw_desc[160];
	struct sq_raw raw;
	struct raw_stream rs_p, rs_n, rb_p, rb_n;
	saas_scope *s_p, *s_n, *sb_p, *sb_n;

	snprintf(url, sizeof url, "sqlite:%s/lib.db", bench_tmpdir);
	saas_ctx *c = open_lib(url, 1);
	char *t_p = new_tenant(c, "bench-append-ip", 1, &s_p);
	char *t_n = new_tenant(c, "bench-append-none", 0, &s_n);
	char *tb_p = new_tenant(c, "bench-batch-ip", 1, &sb_p);
	char *tb_n = new_tenant(c, "bench-batch-none", 0, &sb_n);

	snprintf(path, sizeof path, "%s/raw.db", bench_tmpdir);
	sq_raw_open(&raw, path, b);
	raw_stream_init(&rs_p, t_p, raw_personal);
	raw_stream_init(&rs_n, t_n, NULL);
	raw_stream_init(&rb_p, tb_p, raw_personal);
	raw_stream_init(&rb_n, tb_n, NULL);

	/* Single appends: four sides in blocks (after an untimed warm-up that
	 * prepares each side's statements and makes the subject key). */
	double t[4] = {0};
	struct sides x = {c, {s_p, s_n}, &raw, {&rs_p, &rs_n}, sq_raw_run, NULL};
	alternate(&x, t, n, BLOCK, 0);
	const char *raw1 = "BEGIN IMMEDIATE; INSERT 1 row; COMMIT";
	print_append("sqlite", dur, "", "ip", raw1, n, t[0], t[1]);
	print_append("sqlite", dur, "", "none", raw1, n, t[2], t[3]);

	/* Batches: the sides alternate batch by batch. */
	saas_audit_entry *entries = lib_entries(b);
	double tb[4] = {0};
	struct sides xb = {c, {sb_p, sb_n}, &raw, {&rb_p, &rb_n}, sq_raw_run, entries};
	alternate(&xb, tb, batches, 1, b);
	snprintf(raw_desc, sizeof raw_desc,
	         "BEGIN IMMEDIATE; INSERT %zu rows, %zu per statement; COMMIT", b, raw.rows);
	print_batch("sqlite", dur, "", "ip", raw_desc, batches, b, tb[0], tb[1]);
	print_batch("sqlite", dur, "", "none", raw_desc, batches, b, tb[2], tb[3]);
	free(entries);
	sq_raw_close(&raw);
	saas_scope_free(s_p);
	saas_scope_free(s_n);
	saas_scope_free(sb_p);
	saas_scope_free(sb_n);
	free(t_p);
	free(t_n);
	free(tb_p);
	free(tb_n);
	saas_ctx_free(c);

	/* Verification: a stream of v events with personal data. */
	saas_scope *s;
	c = open_lib(url, 0);
	char *tenant = new_tenant(c, "bench-verify", 1, &s);
	lib_fill(c, s, v);
	int64_t events = 0;
	double best = lib_verify_best(c, s, &events);

	/* Bytes, and the raw baseline: read every row and hash its columns. */
	sqlite3 *db;
	sqlite3_stmt *st;
	snprintf(path, sizeof path, "%s/lib.db", bench_tmpdir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		bench_die("open %s", path);
	snprintf(sql, sizeof sql, "%s'%s'", ROW_BYTES, tenant);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		bench_die("bytes: %s", sqlite3_errmsg(db));
	double bytes = (double)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	snprintf(sql, sizeof sql, "SELECT %s FROM audit_events WHERE tenant_id = '%s' ORDER BY seq",
	         SELECT_COLUMNS, tenant);
	double raw_best = 1e9;
	for (int pass = 0; pass < 3; pass++) {
		double t0 = bench_now();
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			bench_die("scan: %s", sqlite3_errmsg(db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			const unsigned char *cols[NCOL];
			size_t lens[NCOL];
			for (int col = 0; col < NCOL; col++) {
				cols[col] = sqlite3_column_text(st, col);
				lens[col] = (size_t)sqlite3_column_bytes(st, col);
			}
			hash_columns(cols, lens, NCOL);
		}
		sqlite3_finalize(st);
		double dt = bench_now() - t0;
		if (dt < raw_best)
			raw_best = dt;
	}
	sqlite3_close(db);
	print_verify("sqlite", events, bytes, best, raw_best);
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
		bench_die("postgres: %s: %s", sql, PQerrorMessage(c));
	return r;
}

static void pq_ok(PGconn *c, const char *sql)
{
	PQclear(pq(c, sql, PGRES_COMMAND_OK));
}

static void pq_prepare(PGconn *c, const char *name, const char *sql, int nparams)
{
	PGresult *r = PQprepare(c, name, sql, nparams, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		bench_die("prepare %s: %s", name, PQerrorMessage(c));
	PQclear(r);
}

struct pg_raw {
	PGconn *c;
	size_t rows;        /* rows per multi-row statement ("chunk") */
	int have_rest;      /* a statement "rest" for batch % rows rows */
	struct raw_row *buf;
	const char **vals;  /* rows * NCOL */
};

static void pg_raw_exec(struct pg_raw *r, const char *name, const struct raw_stream *s,
                        const struct raw_row *rows, size_t m)
{
	for (size_t i = 0; i < m; i++)
		raw_values(s, &rows[i], r->vals + i * NCOL);
	PGresult *res = PQexecPrepared(r->c, name, (int)(m * NCOL), r->vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		bench_die("insert: %s", PQerrorMessage(r->c));
	PQclear(res);
}

static void pg_raw_single(struct pg_raw *r, struct raw_stream *s)
{
	raw_rows(s, r->buf, 1);
	pg_raw_exec(r, "one", s, r->buf, 1);
}

static void pg_raw_batch(struct pg_raw *r, struct raw_stream *s, size_t b)
{
	size_t done = 0;
	int tx = b > r->rows;
	raw_rows(s, r->buf, b);
	if (tx)
		pq_ok(r->c, "BEGIN");
	for (; done + r->rows <= b; done += r->rows)
		pg_raw_exec(r, "chunk", s, r->buf + done, r->rows);
	if (done < b)
		pg_raw_exec(r, "rest", s, r->buf + done, b - done);
	if (tx)
		pq_ok(r->c, "COMMIT");
}

/* For struct sides: one raw row (b = 0) or a batch of b. */
static void pg_raw_run(void *raw, struct raw_stream *s, size_t b)
{
	if (b)
		pg_raw_batch(raw, s, b);
	else
		pg_raw_single(raw, s);
}

static char *pg_setting(PGconn *c, const char *name)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SHOW %s", name);
	PGresult *r = pq(c, sql, PGRES_TUPLES_OK);
	char *v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!v)
		bench_die("out of memory");
	return v;
}

static void bench_postgres(size_t n, size_t v, size_t batches, size_t b)
{
	const char *app = getenv("SAAS_TEST_POSTGRES_URL");
	const char *owner = getenv("SAAS_TEST_POSTGRES_OWNER_URL");
	char sql[1024], slug[96], dur[160], note[256], raw_desc[160];
	struct pg_raw raw;
	struct raw_stream rs_p, rs_n, rb_p, rb_n;
	saas_scope *s_p, *s_n, *sb_p, *sb_n;
	long run = (long)time(NULL), pid = (long)getpid();

	if (!app || !*app || !owner || !*owner) {
		printf("{\"bench\":\"audit\",\"backend\":\"postgres\",\"skipped\":\"SAAS_TEST_POSTGRES_URL"
		       " and SAAS_TEST_POSTGRES_OWNER_URL are not both set\"}\n");
		return;
	}
	/* The owner migrates; the application role cannot. */
	saas_ctx *c = open_lib(owner, 1);
	saas_ctx_free(c);
	c = open_lib(app, 1);
	/* Unique slugs per run: the database is not emptied. */
	snprintf(slug, sizeof slug, "bench-ai-%ld-%ld", run, pid);
	char *t_p = new_tenant(c, slug, 1, &s_p);
	snprintf(slug, sizeof slug, "bench-an-%ld-%ld", run, pid);
	char *t_n = new_tenant(c, slug, 0, &s_n);
	snprintf(slug, sizeof slug, "bench-bi-%ld-%ld", run, pid);
	char *tb_p = new_tenant(c, slug, 1, &sb_p);
	snprintf(slug, sizeof slug, "bench-bn-%ld-%ld", run, pid);
	char *tb_n = new_tenant(c, slug, 0, &sb_n);

	raw.c = PQconnectdb(owner);
	if (PQstatus(raw.c) != CONNECTION_OK)
		bench_die("connect: %s", PQerrorMessage(raw.c));
	pq_ok(raw.c, "SET client_min_messages = warning");
	char *fsync = pg_setting(raw.c, "fsync");
	char *sync_commit = pg_setting(raw.c, "synchronous_commit");
	snprintf(dur, sizeof dur, "server default (fsync=%s, synchronous_commit=%s)", fsync,
	         sync_commit);
	note[0] = '\0';
	if (strcmp(fsync, "on") != 0 || strcmp(sync_commit, "off") == 0)
		snprintf(note, sizeof note,
		         "\"note\":\"this server does not flush its commits (fsync=%s, "
		         "synchronous_commit=%s): not durable; the figures measure round trips and "
		         "server work, not the disk\",",
		         fsync, sync_commit);
	free(fsync);
	free(sync_commit);

	pq_ok(raw.c, "DROP TABLE IF EXISTS bench_audit_raw");
	snprintf(sql, sizeof sql, "CREATE TABLE bench_audit_raw (%s)", COLUMNS);
	pq_ok(raw.c, sql);
	raw.rows = PG_MAX_PARAMS / NCOL < b ? PG_MAX_PARAMS / NCOL : b;
	raw.have_rest = b % raw.rows != 0;
	char *text = multi_insert_sql("bench_audit_raw", 1, 1);
	pq_prepare(raw.c, "one", text, NCOL);
	free(text);
	text = multi_insert_sql("bench_audit_raw", raw.rows, 1);
	pq_prepare(raw.c, "chunk", text, (int)(raw.rows * NCOL));
	free(text);
	if (raw.have_rest) {
		text = multi_insert_sql("bench_audit_raw", b % raw.rows, 1);
		pq_prepare(raw.c, "rest", text, (int)(b % raw.rows * NCOL));
		free(text);
	}
	raw.buf = bench_calloc(b, sizeof *raw.buf);
	raw.vals = bench_calloc(raw.rows * NCOL, sizeof *raw.vals);
	raw_stream_init(&rs_p, t_p, raw_personal);
	raw_stream_init(&rs_n, t_n, NULL);
	raw_stream_init(&rb_p, tb_p, raw_personal);
	raw_stream_init(&rb_n, tb_n, NULL);

	double t[4] = {0};
	struct sides x = {c, {s_p, s_n}, &raw, {&rs_p, &rs_n}, pg_raw_run, NULL};
	alternate(&x, t, n, BLOCK, 0);
	const char *raw1 = "one autocommitted 1-row INSERT";
	print_append("postgres", dur, note, "ip", raw1, n, t[0], t[1]);
	print_append("postgres", dur, note, "none", raw1, n, t[2], t[3]);

	saas_audit_entry *entries = lib_entries(b);
	double tb[4] = {0};
	struct sides xb = {c, {sb_p, sb_n}, &raw, {&rb_p, &rb_n}, pg_raw_run, entries};
	alternate(&xb, tb, batches, 1, b);
	if (b > raw.rows)
		snprintf(raw_desc, sizeof raw_desc,
		         "BEGIN; INSERT %zu rows, %zu per statement; COMMIT", b, raw.rows);
	else
		snprintf(raw_desc, sizeof raw_desc, "one autocommitted %zu-row INSERT", b);
	print_batch("postgres", dur, note, "ip", raw_desc, batches, b, tb[0], tb[1]);
	print_batch("postgres", dur, note, "none", raw_desc, batches, b, tb[2], tb[3]);
	free(entries);
	pq_ok(raw.c, "DROP TABLE bench_audit_raw");
	free(raw.buf);
	free(raw.vals);
	saas_scope_free(s_p);
	saas_scope_free(s_n);
	saas_scope_free(sb_p);
	saas_scope_free(sb_n);
	free(t_p);
	free(t_n);
	free(tb_p);
	free(tb_n);

	/* Verification */
	saas_scope *s;
	snprintf(slug, sizeof slug, "bench-v-%ld-%ld", run, pid);
	char *tenant = new_tenant(c, slug, 1, &s);
	lib_fill(c, s, v);
	int64_t events = 0;
	double best = lib_verify_best(c, s, &events);

	/* Row-level security applies to the owner too (FORCE): set the tenant.
	 * Bytes, then the raw baseline: read every row and hash its columns. */
	pq_ok(raw.c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	snprintf(sql, sizeof sql, "SELECT saas_set_tenant('%s')", tenant);
	PQclear(pq(raw.c, sql, PGRES_TUPLES_OK));
	snprintf(sql, sizeof sql, "%s'%s'", ROW_BYTES, tenant);
	PGresult *br = pq(raw.c, sql, PGRES_TUPLES_OK);
	double bytes = strtod(PQgetvalue(br, 0, 0), NULL);
	PQclear(br);
	snprintf(sql, sizeof sql, "SELECT %s FROM audit_events WHERE tenant_id = '%s' ORDER BY seq",
	         SELECT_COLUMNS, tenant);
	double raw_best = 1e9;
	for (int pass = 0; pass < 3; pass++) {
		double t0 = bench_now();
		PGresult *r = pq(raw.c, sql, PGRES_TUPLES_OK);
		int rows = PQntuples(r);
		for (int i = 0; i < rows; i++) {
			const unsigned char *cols[NCOL];
			size_t lens[NCOL];
			for (int col = 0; col < NCOL; col++) {
				cols[col] = PQgetisnull(r, i, col)
				                    ? NULL
				                    : (const unsigned char *)PQgetvalue(r, i, col);
				lens[col] = (size_t)PQgetlength(r, i, col);
			}
			hash_columns(cols, lens, NCOL);
		}
		PQclear(r);
		double dt = bench_now() - t0;
		if (dt < raw_best)
			raw_best = dt;
	}
	pq_ok(raw.c, "COMMIT");
	print_verify("postgres", events, bytes, best, raw_best);
	PQfinish(raw.c);
	saas_scope_free(s);
	free(tenant);
	saas_ctx_free(c);
}
#endif

static size_t arg(int argc, char **argv, int i, size_t def)
{
	return argc > i ? strtoul(argv[i], NULL, 10) : def;
}

int main(int argc, char **argv)
{
	bench_name = "audit";
	size_t n = arg(argc, argv, 1, DEFAULT_N);
	size_t v = arg(argc, argv, 2, DEFAULT_V);
	size_t batches = arg(argc, argv, 3, DEFAULT_BATCHES);
	size_t b = arg(argc, argv, 4, DEFAULT_BATCH);
	const char *base = getenv("TMPDIR");

	if (n == 0 || v == 0 || batches == 0 || b == 0 || b > BATCH_MAX || argc > 5) {
		fprintf(stderr,
		        "usage: %s [N [V [BATCHES [BATCH]]]]   (N durable single appends per side,"
		        " V events verified, BATCHES batches of BATCH (1 to %d) events per side)\n",
		        argv[0], BATCH_MAX);
		return 2;
	}
	if (sodium_init() < 0)
		bench_die("sodium_init");
	make_raw_personal();
	snprintf(bench_tmpdir, sizeof bench_tmpdir, "%s/libsaas-bench-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(bench_tmpdir))
		bench_die("mkdtemp %s", bench_tmpdir);
	bench_sqlite(n, v, batches, b);
#ifdef SAAS_BENCH_POSTGRES
	bench_postgres(n, v, batches, b);
#else
	printf("{\"bench\":\"audit\",\"backend\":\"postgres\",\"skipped\":\"built without libpq\"}\n");
#endif
	bench_cleanup();
	return 0;
}
