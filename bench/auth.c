/*
 * bench/auth: the identity primitives' hot paths (saas/auth.h), side by
 * side in one run with a raw baseline of the same work:
 *
 *   apikey_verify, cached   saas_apikey_verify() of the same FEW keys over
 *                           and over (served by the context's cache)
 *                           beside a bare BLAKE2b-256 of the key in hex
 *                           (crypto_generichash + sodium_bin2hex: what any
 *                           lookup by hash must compute; the floor);
 *   apikey_verify, store    a context with authz_refresh_ms = 0 cycling
 *                           through K keys (a key comes back more than a
 *                           millisecond after its last check, so the cache
 *                           never serves it) beside the hash plus one
 *                           prepared sqlite3 SELECT of the key's row by
 *                           its hash (api_key_hashes JOIN api_keys) on a
 *                           connection of its own to the same file: one
 *                           store round trip;
 *   session_validate        the same two, for saas_session_validate() of
 *                           session tokens (SELECT FROM sessions WHERE
 *                           token_hash = ?);
 *   password_hash           one saas_password_hash() at the default cost
 *                           (NULL params) beside libsodium's
 *                           crypto_pwhash_str() at OPSLIMIT/MEMLIMIT_
 *                           INTERACTIVE; median of PW_RUNS each.
 *
 *   usage: auth [-k KEYS] [-n N]
 *     -k  distinct keys and sessions for the store rows (default 2000)
 *     -n  checks per pass on the cached rows (default 200000; the store
 *         rows do N / 10)
 *
 * The population goes through the public API on sqlite:<tmp>/auth.db with
 * synchronous=NORMAL (setup, not measured): one tenant, one admin user, K
 * API keys and K sessions of that user. Each row is the best of PASSES
 * passes, the two sides alternating. Output: one JSON line per figure on
 * stdout, the ratio libsaas / baseline in each. Figures, never pass/fail;
 * about 10-20 s. The temporary directory (under $TMPDIR or /tmp) is removed.
 */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include <saas.h>

#include "common.h"

#define DEFAULT_KEYS 2000
#define DEFAULT_N 200000
#define FEW 16    /* keys and sessions of the cached rows */
#define PASSES 3  /* best of */
#define PW_RUNS 5 /* password hashes per side (median) */

/* The population: K keys and K session tokens. */
struct world {
	size_t k;
	char **keys;
	char **tokens;
};

/* ---- one figure ------------------------------------------------------------------- */

static void report(const char *op, const char *path, size_t n, double lib_s, double raw_s,
                   const char *baseline)
{
	double lib = (double)n / lib_s, raw = (double)n / raw_s;

	printf("{\"bench\":\"auth\",\"op\":\"%s\",\"path\":\"%s\",\"backend\":\"sqlite\",\"n\":%zu,"
	       "\"libsaas_ops_per_s\":%.0f,\"baseline\":\"%s\",\"baseline_ops_per_s\":%.0f,"
	       "\"ratio\":%.3f}\n",
	       op, path, n, lib, baseline, raw, lib / raw);
	fflush(stdout);
}

/* ---- the population ------------------------------------------------------------------ */

static void populate(struct world *w, const char *url, size_t k)
{
	static const char *const admin[] = {"admin"};
	static const char *const perms[] = {"member:read", "apikey:read"};
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;
	saas_scope *sys = NULL, *tsys = NULL, *as_user = NULL;
	saas_tenant *t = NULL;
	saas_user *u = NULL;
	saas_member *m = NULL;

	o.sqlite_synchronous_full = 0;
	bench_check(saas_ctx_open(&ctx, url, &o), "saas_ctx_open (population)");
	bench_check(saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "bench"), "saas_scope_new");
	bench_check(saas_tenant_create(&t, ctx, sys, "bench", "Bench"), "saas_tenant_create");
	bench_check(saas_user_create(&u, ctx, sys, "bench@bench.example", NULL), "saas_user_create");
	bench_check(saas_scope_new(&tsys, saas_tenant_id(t), SAAS_ACTOR_SYSTEM, "bench"),
	            "saas_scope_new");
	bench_check(saas_member_add(&m, ctx, tsys, saas_user_id(u), admin, 1), "saas_member_add");
	bench_check(saas_scope_new(&as_user, saas_tenant_id(t), SAAS_ACTOR_USER, saas_user_id(u)),
	            "saas_scope_new");

	w->k = k;
	w->keys = bench_calloc(k, sizeof *w->keys);
	w->tokens = bench_calloc(k, sizeof *w->tokens);
	for (size_t i = 0; i < k; i++) {
		char name[32];

		snprintf(name, sizeof name, "key %zu", i);
		bench_check(saas_apikey_create(&w->keys[i], NULL, ctx, as_user, name, perms, 2, 0),
		            "saas_apikey_create");
		bench_check(saas_session_create(&w->tokens[i], NULL, ctx, sys, saas_user_id(u),
		                                saas_tenant_id(t), 0),
		            "saas_session_create");
	}
	saas_member_free(m);
	saas_user_free(u);
	saas_tenant_free(t);
	saas_scope_free(as_user);
	saas_scope_free(tsys);
	saas_scope_free(sys);
	saas_ctx_free(ctx);
}

static void world_free(struct world *w)
{
	for (size_t i = 0; i < w->k; i++) {
		saas_free_secret(w->keys[i]);
		saas_free_secret(w->tokens[i]);
	}
	free(w->keys);
	free(w->tokens);
}

/* ---- the two sides ------------------------------------------------------------------ */

/* What is verified: API keys or session tokens. */
struct kind {
	const char *op;
	const char *select; /* the raw side's SELECT by the hash */
	int (*check)(saas_ctx *ctx, const char *secret);
};

static int check_apikey(saas_ctx *ctx, const char *key)
{
	saas_apikey *k = NULL;
	int rc = saas_apikey_verify(&k, ctx, key);

	saas_apikey_free(k);
	return rc;
}

static int check_session(saas_ctx *ctx, const char *token)
{
	saas_session *s = NULL;
	int rc = saas_session_validate(&s, ctx, token);

	saas_session_free(s);
	return rc;
}

static const struct kind kinds[] = {
	{"apikey_verify",
	 "SELECT k.name, k.permissions, k.created_by, k.expires_at, k.revoked_at "
	 "FROM api_key_hashes h JOIN api_keys k ON k.tenant_id = h.key_tenant AND k.id = h.key_id "
	 "WHERE h.key_hash = ?1",
	 check_apikey},
	{"session_validate",
	 "SELECT id, user_id, acting_tenant, mfa, last_seen_at, expires_at, revoked_at "
	 "FROM sessions WHERE token_hash = ?1",
	 check_session},
};

/* The BLAKE2b-256 of `s` in hex: what a lookup by hash computes first. */
static void hash_hex(char out[65], const char *s)
{
	unsigned char h[32];

	crypto_generichash(h, sizeof h, (const unsigned char *)s, strlen(s), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* n checks through the library, cycling over secrets[0..m); seconds. */
static double lib_pass(const struct kind *kd, saas_ctx *ctx, char **secrets, size_t m, size_t n)
{
	double t0 = bench_now();

	for (size_t i = 0; i < n; i++)
		bench_check(kd->check(ctx, secrets[i % m]), kd->op);
	return bench_now() - t0;
}

/* n hashes (and, with `st`, SELECTs by the hash), cycling over secrets[0..m); seconds. */
static double raw_pass(sqlite3 *db, sqlite3_stmt *st, char **secrets, size_t m, size_t n)
{
	size_t found = 0;
	char hex[65];
	double t0 = bench_now();

	for (size_t i = 0; i < n; i++) {
		hash_hex(hex, secrets[i % m]);
		if (!st) {
			found += hex[0] != '\0';
			continue;
		}
		sqlite3_bind_text(st, 1, hex, 64, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			found++;
		sqlite3_reset(st);
	}
	double dt = bench_now() - t0;
	if (found != n)
		bench_die("the raw side found %zu of %zu rows: %s", found, n,
		          db ? sqlite3_errmsg(db) : "-");
	return dt;
}

/* One row: best of PASSES, the sides alternating. */
static void measure(const struct kind *kd, const char *path, saas_ctx *ctx, sqlite3 *db,
                    char **secrets, size_t m, size_t n)
{
	sqlite3_stmt *st = NULL;
	double best_lib = 1e30, best_raw = 1e30;

	if (db && sqlite3_prepare_v2(db, kd->select, -1, &st, NULL) != SQLITE_OK)
		bench_die("sqlite3_prepare: %s", sqlite3_errmsg(db));
	/* untimed: the cache filled, statements prepared, pages read */
	lib_pass(kd, ctx, secrets, m, m);
	raw_pass(db, st, secrets, m, m);
	for (int p = 0; p < PASSES; p++) {
		double lib = lib_pass(kd, ctx, secrets, m, n);
		double raw = raw_pass(db, st, secrets, m, n);

		best_lib = lib < best_lib ? lib : best_lib;
		best_raw = raw < best_raw ? raw : best_raw;
	}
	sqlite3_finalize(st);
	report(kd->op, path, n, best_lib, best_raw,
	       db ? "BLAKE2b-256 hex + one sqlite3 SELECT by the hash" : "BLAKE2b-256 hex");
}

/* ---- password hashing ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void password_hash(void)
{
	static const char pw[] = "correct horse battery staple";
	double lib[PW_RUNS], raw[PW_RUNS];
	char out[crypto_pwhash_STRBYTES];

	for (int i = 0; i < PW_RUNS; i++) {
		char *h = NULL;
		double t0 = bench_now();

		bench_check(saas_password_hash(&h, pw, sizeof pw - 1, NULL), "saas_password_hash");
		lib[i] = bench_now() - t0;
		saas_free(h);
		t0 = bench_now();
		if (crypto_pwhash_str(out, pw, sizeof pw - 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
		                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
			bench_die("crypto_pwhash_str: out of memory");
		raw[i] = bench_now() - t0;
	}
	qsort(lib, PW_RUNS, sizeof lib[0], cmp_double);
	qsort(raw, PW_RUNS, sizeof raw[0], cmp_double);
	printf("{\"bench\":\"auth\",\"op\":\"password_hash\",\"runs\":%d,"
	       "\"opslimit\":%llu,\"memlimit\":%u,\"libsaas_ms\":%.1f,"
	       "\"baseline\":\"crypto_pwhash_str INTERACTIVE (opslimit %llu, memlimit %zu)\","
	       "\"baseline_ms\":%.1f,\"ratio\":%.3f}\n",
	       PW_RUNS, SAAS_PASSWORD_OPSLIMIT_DEFAULT, SAAS_PASSWORD_MEMLIMIT_DEFAULT,
	       lib[PW_RUNS / 2] * 1e3, (unsigned long long)crypto_pwhash_OPSLIMIT_INTERACTIVE,
	       (size_t)crypto_pwhash_MEMLIMIT_INTERACTIVE, raw[PW_RUNS / 2] * 1e3,
	       lib[PW_RUNS / 2] / raw[PW_RUNS / 2]);
	fflush(stdout);
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");
	size_t k = DEFAULT_KEYS, n = DEFAULT_N;
	char path[4200], url[4300];
	struct world w = {0};
	int opt;

	bench_name = "auth";
	while ((opt = getopt(argc, argv, "k:n:")) != -1) {
		char *end;
		unsigned long long v = strtoull(optarg, &end, 10);

		if (*end || v == 0 || v > 100000000ULL)
			goto usage;
		if (opt == 'k')
			k = (size_t)v;
		else if (opt == 'n')
			n = (size_t)v;
		else
			goto usage;
	}
	if (optind != argc || k < FEW)
		goto usage;
	if (sodium_init() < 0)
		bench_die("sodium_init failed");

	snprintf(bench_tmpdir, sizeof bench_tmpdir, "%s/libsaas-bench-XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(bench_tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/auth.db", bench_tmpdir);
	snprintf(url, sizeof url, "sqlite:%s", path);
	populate(&w, url, k);

	/* Cached: the default context; the same FEW secrets again and again. */
	saas_ctx *cached = NULL, *store = NULL;
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	sqlite3 *db = NULL;

	bench_check(saas_ctx_open(&cached, url, &o), "saas_ctx_open (cached)");
	/* From the store: nothing cached is fresh enough (each secret comes back
	 * more than a millisecond after its last check). */
	o.authz_refresh_ms = 0;
	bench_check(saas_ctx_open(&store, url, &o), "saas_ctx_open (store)");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		bench_die("sqlite3_open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);

	measure(&kinds[0], "cached", cached, NULL, w.keys, FEW, n);
	measure(&kinds[0], "store", store, db, w.keys, k, n / 10);
	measure(&kinds[1], "cached", cached, NULL, w.tokens, FEW, n);
	measure(&kinds[1], "store", store, db, w.tokens, k, n / 10);
	password_hash();

	sqlite3_close(db);
	saas_ctx_free(store);
	saas_ctx_free(cached);
	world_free(&w);
	bench_cleanup();
	return 0;

usage:
	fprintf(stderr, "usage: %s [-k KEYS (>= %d)] [-n N]\n", argv[0], FEW);
	return 2;
}
