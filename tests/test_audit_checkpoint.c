/*
 * Signed checkpoints of audit streams: keys, on-demand and automatic
 * checkpoints, verification of intact, cut and forged streams, key rotation,
 * purge; on memory:, sqlite: and, when SAAS_TEST_POSTGRES_URL is set,
 * PostgreSQL. The attacker's edits go straight into the database through the
 * internal store API.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "audit/audit.h"
#include "store/store.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static char db_path[256]; /* a private SQLite file ("sqlite:", and reopening memory:) */
static char key_path[256];
static char *sec_a, *pub_a, *sec_b, *pub_b;
static char logbuf[1 << 16];
static size_t loglen;
static int warn_lines;

static void capture(int level, const char *line, void *payload)
{
	size_t n = strlen(line);
	(void)payload;
	if (level >= SAAS_LOG_WARN)
		warn_lines++;
	if (loglen + n + 2 < sizeof logbuf) {
		memcpy(logbuf + loglen, line, n);
		loglen += n;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = '\0';
	}
}

static bool is_pg(void)
{
	return strncmp(url, "postgres", 8) == 0;
}

/* The database this test's contexts share. persist: reopening must find the
 * same data (memory: then uses a private SQLite file). */
static const char *db_url(bool persist)
{
	static char buf[300];
	if (is_pg())
		return url;
	if (strcmp(url, "memory:") == 0 && !persist)
		return "memory:";
	snprintf(buf, sizeof buf, "sqlite:%s", db_path);
	return buf;
}

static saas_ctx *open_with(const char *db, const char *key, unsigned every, unsigned secs)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;

	o.clock = th_clock;
	o.log = capture;
	o.log_level = SAAS_LOG_DEBUG;
	o.audit_signing_key = key;
	o.audit_checkpoint_every = every;
	o.audit_checkpoint_seconds = secs;
	ck_ok(saas_ctx_open(&c, db, &o));
	return c;
}

static saas_ctx *open_ctx(const char *key, unsigned every, unsigned secs)
{
	return open_with(db_url(false), key, every, secs);
}

static void setup(void)
{
	int fd;

	if (is_pg())
		saas_ctx_free(th_open(url)); /* empties the database */
	snprintf(db_path, sizeof db_path, "/tmp/saas-ckpt-%d-XXXXXX", (int)getpid());
	fd = mkstemp(db_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(db_path);
	snprintf(key_path, sizeof key_path, "/tmp/saas-ckpt-key-%d", (int)getpid());
	ck_ok(saas_audit_keygen(&sec_a, &pub_a, "key-a"));
	ck_ok(saas_audit_keygen(&sec_b, &pub_b, "key-b"));
	setenv("CKPT_KEY_A", sec_a, 1);
	setenv("CKPT_KEY_B", sec_b, 1);
	unsetenv("SAAS_AUDIT_SIGNING_KEY");
	loglen = 0;
	logbuf[0] = '\0';
	warn_lines = 0;
	ctx = NULL;
}

/* The base64 seed of a secret line (what must never leak). */
static const char *seed_of(const char *secret)
{
	return strrchr(secret, ':') + 1;
}

static void teardown(void)
{
	/* The secrets never reach the log. */
	ck_assert_ptr_null(strstr(logbuf, seed_of(sec_a)));
	ck_assert_ptr_null(strstr(logbuf, seed_of(sec_b)));
	th_close(ctx);
	ctx = NULL;
	th_remove_db(db_path);
	unlink(key_path);
	unsetenv("CKPT_KEY_A");
	unsetenv("CKPT_KEY_B");
	saas_free_secret(sec_a);
	saas_free_secret(sec_b);
	saas_free(pub_a);
	saas_free(pub_b);
}

/* n (even) events in the tenant's stream: suspend, reactivate, … */
static void events(saas_ctx *c, const char *tenant, int n)
{
	for (int i = 0; i < n; i += 2) {
		ck_ok(saas_tenant_suspend(c, th_scope(tenant), "test"));
		ck_ok(saas_tenant_reactivate(c, th_scope(tenant)));
	}
}

static int64_t stream_len(saas_ctx *c, const char *tenant)
{
	int64_t n = 0;
	ck_ok(saas_audit_count(&n, c, th_scope(tenant), NULL));
	return n;
}

static saas_audit_report *verify(saas_ctx *c, const char *tenant)
{
	saas_audit_report *r = NULL;
	ck_ok(saas_audit_verify(&r, c, th_scope(tenant)));
	return r;
}

/* ---- the attacker's tools ------------------------------------------------------ */

static saas_query q_ckpts = SAAS_QUERY(
	"SELECT * FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY seq");
static saas_query q_ckpt_hash = SAAS_QUERY(
	"UPDATE audit_checkpoints SET hash = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_ckpt_sig = SAAS_QUERY(
	"UPDATE audit_checkpoints SET signature = $3 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_ckpt_time = SAAS_QUERY(
	"UPDATE audit_checkpoints SET created_at = created_at + 1 WHERE tenant_id = $1 AND seq = $2 AND CAST($3 AS TEXT) IS NOT NULL");
static saas_query q_rehash = SAAS_QUERY(
	"UPDATE audit_events SET metadata = $3, hash = $4 WHERE tenant_id = $1 AND seq = $2");
static saas_query q_del_event = SAAS_QUERY(
	"DELETE FROM audit_events WHERE tenant_id = $1 AND seq = $2 AND CAST($3 AS TEXT) IS NOT NULL");

static void tamper(saas_ctx *c, const char *tenant, saas_query *q, int64_t seq, const char *v)
{
	saas_tx *tx;
	int64_t changed = 0;

	ck_ok(saas__tx_begin(&tx, c, tenant, true));
	ck_ok(saas__q_exec(tx, q, &changed, "sis", tenant, seq, v));
	ck_ok(saas__tx_commit(tx));
	ck_assert_int_eq(changed, 1);
}

/* The tenant's checkpoint rows as a JSON array (text, malloc'd). */
static char *ckpt_rows(saas_ctx *c, const char *tenant, size_t *n, int64_t *seqs)
{
	saas_tx *tx;
	saas_stmt *st;
	json_t *a = json_array();
	char *s;
	int rc;

	*n = 0;
	ck_ok(saas__tx_begin(&tx, c, tenant, false));
	ck_ok(saas__q_open(&st, tx, &q_ckpts, "s", tenant));
	while ((rc = saas__q_step(st)) == 1) {
		if (seqs)
			seqs[*n] = saas__q_int(st, 1);
		(*n)++;
		json_array_append_new(a, saas__q_row_json(st));
	}
	ck_assert_int_eq(rc, 0);
	saas__q_close(st);
	saas__tx_rollback(tx);
	s = json_dumps(a, JSON_SORT_KEYS);
	json_decref(a);
	return s;
}

static size_t ckpt_count(saas_ctx *c, const char *tenant)
{
	size_t n;
	free(ckpt_rows(c, tenant, &n, NULL));
	return n;
}

/* ---- keys ---------------------------------------------------------------------- */

START_TEST(keygen_round_trip)
{
	char *pub = NULL, *s = NULL, *p = NULL;
	FILE *f;
	char file_src[300];

	ck_assert_int_eq(strncmp(sec_a, "saas-audit-key-v1:key-a:", 24), 0);
	ck_assert_int_eq(strncmp(pub_a, "saas-audit-pub-v1:key-a:", 24), 0);
	ck_assert_uint_eq(strlen(seed_of(sec_a)), 44);
	ck_assert_str_ne(pub_a, pub_b);

	/* From an environment variable. */
	ctx = open_ctx("env:CKPT_KEY_A", 0, 0);
	ck_ok(saas_audit_public_key(&pub, ctx));
	ck_assert_str_eq(pub, pub_a);
	saas_free(pub);
	saas_ctx_free(ctx);

	/* From a file, with a trailing newline. */
	f = fopen(key_path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", sec_b);
	fclose(f);
	snprintf(file_src, sizeof file_src, "file:%s", key_path);
	ctx = open_ctx(file_src, 0, 0);
	ck_ok(saas_audit_public_key(&pub, ctx));
	ck_assert_str_eq(pub, pub_b);
	saas_free(pub);
	saas_ctx_free(ctx);

	/* The default: SAAS_AUDIT_SIGNING_KEY. */
	setenv("SAAS_AUDIT_SIGNING_KEY", sec_a, 1);
	ctx = open_ctx(NULL, 0, 0);
	ck_ok(saas_audit_public_key(&pub, ctx));
	ck_assert_str_eq(pub, pub_a);
	saas_free(pub);
	unsetenv("SAAS_AUDIT_SIGNING_KEY");
	ck_ok(saas_audit_public_key(&pub, ctx)); /* loaded once, kept */
	ck_assert_str_eq(pub, pub_a);
	saas_free(pub);

	/* A default key id; bad ones. */
	ck_ok(saas_audit_keygen(&s, &p, NULL));
	ck_assert_int_eq(strncmp(s, "saas-audit-key-v1:k", 19), 0);
	ck_assert_int_eq(strncmp(p, "saas-audit-pub-v1:k", 19), 0);
	saas_free_secret(s);
	saas_free(p);
	ck_rc(saas_audit_keygen(&s, &p, "Bad!"), SAAS_EINVAL);
	ck_field("key_id");
	ck_assert_ptr_null(s);
	ck_assert_ptr_null(p);
	ck_rc(saas_audit_keygen(&s, &p, ""), SAAS_EINVAL);
	ck_rc(saas_audit_keygen(&s, &p, "abcdefghijklmnopqrstuvwxyz0123456"), SAAS_EINVAL);
	ck_ok(saas_audit_keygen(&s, &p, "abcdefghijklmnopqrstuvwxyz012345"));
	saas_free_secret(s);
	saas_free(p);
	ck_rc(saas_audit_keygen(NULL, &p, "x"), SAAS_EINVAL);
	ck_rc(saas_audit_public_key(NULL, ctx), SAAS_EINVAL);
	ck_rc(saas_audit_public_key(&p, NULL), SAAS_EINVAL);
}
END_TEST

/* The key is loaded once however many threads ask first. */
static void *ask_key(void *payload)
{
	char *pub = NULL;
	int *bad = payload;

	for (int i = 0; i < 50; i++) {
		if (saas_audit_public_key(&pub, ctx) != SAAS_OK || strcmp(pub, pub_a) != 0)
			(*bad)++;
		saas_free(pub);
		if (saas_audit_trust_key(ctx, pub_b) != SAAS_OK)
			(*bad)++;
	}
	return NULL;
}

START_TEST(key_loads_once_across_threads)
{
	pthread_t th[4];
	int bad[4] = {0};

	ctx = open_ctx("env:CKPT_KEY_A", 0, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, ask_key, &bad[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(bad[i], 0);
	}
}
END_TEST

START_TEST(bad_key_strings)
{
	static const char *const bad[] = {
		"",
		"saas-audit-key-v1:",
		"saas-audit-key-v1:key-a",
		"saas-audit-key-v1:key-a:",
		"saas-audit-key-v1:Key-A:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=",
		"saas-audit-key-v1:key-a:c2VjcmV0c2VjcmV0",                     /* 12 bytes */
		"saas-audit-key-v1:key-a:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNA==", /* 34 */
		"saas-audit-key-v1:key-a:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MT!=",
		"saas-audit-key-v2:key-a:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=",
		"saas-audit-key-v1:key-a:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI= x",
	};
	char *pub = NULL;
	int64_t seq;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv("CKPT_BAD", bad[i], 1);
		ctx = open_ctx("env:CKPT_BAD", 0, 0);
		ck_rc(saas_audit_public_key(&pub, ctx), SAAS_EINVAL);
		ck_field("audit_signing_key");
		ck_assert_ptr_null(pub);
		if (strlen(bad[i]) > 24)
			ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), bad[i] + 24));
		ck_rc(saas_audit_checkpoint(&seq, ctx, th_scope(SAAS_SYSTEM_TENANT_ID)), SAAS_EINVAL);
		saas_ctx_free(ctx);
	}
	/* A public key is not a secret. */
	setenv("CKPT_BAD", pub_a, 1);
	ctx = open_ctx("env:CKPT_BAD", 0, 0);
	ck_rc(saas_audit_public_key(&pub, ctx), SAAS_EINVAL);
	saas_ctx_free(ctx);
	unsetenv("CKPT_BAD");

	/* Missing sources are named. */
	ctx = open_ctx("env:CKPT_NOT_SET", 0, 0);
	ck_rc(saas_audit_public_key(&pub, ctx), SAAS_ENOTFOUND);
	ck_field("audit_signing_key");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "CKPT_NOT_SET"));
	saas_ctx_free(ctx);
	ctx = open_ctx("file:/nonexistent/ckpt.key", 0, 0);
	ck_rc(saas_audit_public_key(&pub, ctx), SAAS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "/nonexistent/ckpt.key"));
	saas_ctx_free(ctx);
	ctx = open_ctx("bogus:x", 0, 0);
	ck_rc(saas_audit_public_key(&pub, ctx), SAAS_EINVAL);
	ck_field("audit_signing_key");
	/* A valid key's secret never appears in an error either. */
	saas_ctx_free(ctx);
	ctx = open_ctx("env:CKPT_KEY_A", 0, 0);
	ck_rc(saas_audit_trust_key(ctx, sec_a), SAAS_EINVAL);
	ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), seed_of(sec_a)));
}
END_TEST

START_TEST(no_key_refuses_checkpoints)
{
	const char *t;
	int64_t seq = 7;
	char *pub = NULL;
	saas_audit_report *r;

	ctx = open_ctx(NULL, 1, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 4);
	ck_rc(saas_audit_checkpoint(&seq, ctx, th_scope(t)), SAAS_ENOTFOUND);
	ck_field("audit_signing_key");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "SAAS_AUDIT_SIGNING_KEY"));
	ck_assert_int_eq(seq, 0);
	ck_rc(saas_audit_public_key(&pub, ctx), SAAS_ENOTFOUND);
	/* Automatic checkpoints were skipped, with one warning. */
	ck_assert_uint_eq(ckpt_count(ctx, t), 0);
	ck_assert_int_eq(warn_lines, 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "no audit signing key"));
	r = verify(ctx, t);
	ck_assert(saas_audit_report_ok(r));
	ck_assert_int_eq(saas_audit_report_checkpoints(r), 0);
	ck_assert_ptr_nonnull(strstr(saas_audit_report_message(r), "no signed checkpoint"));
	saas_audit_report_free(r);
	ck_rc(saas_audit_checkpoint(NULL, ctx, th_scope(t)), SAAS_EINVAL);
	ck_rc(saas_audit_checkpoint(&seq, NULL, th_scope(t)), SAAS_EINVAL);
	ck_rc(saas_audit_checkpoint(&seq, ctx, th_system()), SAAS_EINVAL);
}
END_TEST

/* ---- checkpoints --------------------------------------------------------------- */

START_TEST(on_demand_checkpoint)
{
	const char *t;
	int64_t seq = 0, n;
	size_t rows;
	char *json;
	saas_audit_report *r;

	ctx = open_ctx("env:CKPT_KEY_A", 0, 0);
	t = th_tenant(ctx, "acme");
	/* An empty stream: nothing to sign. */
	ck_rc(saas_audit_checkpoint(&seq, ctx, th_scope("ten_01JZZZZZZZZZZZZZZZZZZZZZZZ")),
	      SAAS_ESTATE);
	events(ctx, t, 4);
	n = stream_len(ctx, t);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	ck_assert_int_eq(seq, n);
	/* Idempotent. */
	th_clock_advance(1000);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	ck_assert_int_eq(seq, n);
	ck_assert_uint_eq(ckpt_count(ctx, t), 1);
	events(ctx, t, 2);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	ck_assert_int_eq(seq, n + 2);
	/* The deployment's stream too. */
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(SAAS_SYSTEM_TENANT_ID)));
	ck_assert_int_gt(seq, 0);

	r = verify(ctx, t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_checkpoints(r), 2);
	ck_assert_str_eq(saas_audit_report_message(r),
	                 n + 2 == 6 ? "intact: 6 events, 2 signed checkpoints verified"
	                            : saas_audit_report_message(r));
	ck_assert_ptr_nonnull(strstr(saas_audit_report_message(r), "2 signed checkpoints verified"));
	saas_audit_report_free(r);

	/* The rows hold the key id and signature, never the key. */
	json = ckpt_rows(ctx, t, &rows, NULL);
	ck_assert_uint_eq(rows, 2);
	ck_assert_ptr_nonnull(strstr(json, "\"key_id\": \"key-a\""));
	ck_assert_ptr_null(strstr(json, seed_of(sec_a)));
	ck_assert_ptr_null(strstr(json, "saas-audit-key"));
	free(json);
	ck_assert_int_eq(saas_audit_report_checkpoints(NULL), 0);
	ck_assert_str_eq(saas_audit_damage_name(SAAS_AUDIT_CUT), "cut");
	ck_assert_str_eq(saas_audit_damage_name(SAAS_AUDIT_BAD_SIGNATURE), "bad_signature");
	ck_assert_ptr_null(saas_audit_damage_name(7));
}
END_TEST

START_TEST(automatic_every_n)
{
	const char *t;
	int64_t seqs[64], n;
	size_t rows;
	saas_audit_report *r;

	ctx = open_ctx("env:CKPT_KEY_A", 3, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 10);
	n = stream_len(ctx, t);
	free(ckpt_rows(ctx, t, &rows, seqs));
	ck_assert_uint_eq(rows, (size_t)(n / 3));
	for (size_t i = 0; i < rows; i++)
		ck_assert_int_eq(seqs[i], 3 * (int64_t)(i + 1));
	r = verify(ctx, t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_checkpoints(r), (int64_t)rows);
	saas_audit_report_free(r);
}
END_TEST

START_TEST(automatic_by_time)
{
	const char *t;
	int64_t seqs[64];
	size_t rows;

	ctx = open_ctx("env:CKPT_KEY_A", 0, 60);
	t = th_tenant(ctx, "acme");
	free(ckpt_rows(ctx, t, &rows, seqs));
	size_t first = rows; /* the stream's first append signs at once */
	ck_assert_uint_ge(first, 1);
	events(ctx, t, 2);
	th_clock_advance(30 * 1000);
	events(ctx, t, 2);
	ck_assert_uint_eq(ckpt_count(ctx, t), first);
	th_clock_advance(31 * 1000);
	events(ctx, t, 2);
	free(ckpt_rows(ctx, t, &rows, seqs));
	ck_assert_uint_eq(rows, first + 1);
	/* The one right after the minute passed. */
	ck_assert_int_eq(seqs[rows - 1], stream_len(ctx, t) - 1);
}
END_TEST

/* ---- tampering ------------------------------------------------------------------ */

START_TEST(cut_stream_is_found)
{
	const char *t;
	int64_t seq, n;
	saas_audit_report *r;

	ctx = open_ctx("env:CKPT_KEY_A", 0, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 4);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	n = seq;
	events(ctx, t, 2);
	/* Events after the checkpoint may go unnoticed when cut... */
	tamper(ctx, t, &q_del_event, n + 2, "x");
	tamper(ctx, t, &q_del_event, n + 1, "x");
	r = verify(ctx, t);
	ck_assert(saas_audit_report_ok(r));
	saas_audit_report_free(r);
	/* ...but not the signed ones. */
	tamper(ctx, t, &q_del_event, n, "x");
	r = verify(ctx, t);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_CUT);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), n);
	ck_assert_int_eq(saas_audit_report_last_seq(r), n - 1);
	ck_assert_int_eq(saas_audit_report_events(r), n - 1);
	ck_assert_msg(strstr(saas_audit_report_message(r), "cut") != NULL, "%s",
	              saas_audit_report_message(r));
	saas_audit_report_free(r);
}
END_TEST

START_TEST(forged_checkpoint_is_found)
{
	const char *t;
	int64_t seq;
	saas_audit_report *r;
	char *pub = NULL;

	ctx = open_ctx("env:CKPT_KEY_A", 2, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 6);
	ck_ok(saas_audit_public_key(&pub, ctx));
	saas_free(pub);

	/* Another hash. */
	tamper(ctx, t, &q_ckpt_hash, 4,
	       "0000000000000000000000000000000000000000000000000000000000000abc");
	r = verify(ctx, t);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 4);
	ck_assert_int_eq(saas_audit_report_checkpoints(r), 1);
	ck_assert_ptr_nonnull(strstr(saas_audit_report_message(r), "key-a"));
	saas_audit_report_free(r);

	/* Another signature (well formed), on another checkpoint. */
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	tamper(ctx, t, &q_ckpt_sig, 2,
	       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==");
	r = verify(ctx, t);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 2);
	saas_audit_report_free(r);
	tamper(ctx, t, &q_ckpt_sig, 2, "not base64!");
	r = verify(ctx, t);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	saas_audit_report_free(r);
}
END_TEST

/* The last event edited and re-hashed: the chain holds, the checkpoint does not. */
struct rehash {
	const char *tenant;
	char hash[65];
};

static int rehash_row(const struct saas__audit_row *row, void *payload)
{
	struct rehash *rh = payload;
	struct saas__audit_row r = *row;

	r.metadata = "{\"rewritten\":true}";
	ck_ok(saas__audit_hash(rh->hash, rh->tenant, &r));
	return 0;
}

START_TEST(rewritten_tail_is_changed)
{
	const char *t;
	int64_t seq;
	saas_audit_report *r;
	struct rehash rh = {0};
	saas_tx *tx;
	size_t rows;
	int64_t changed = 0;

	ctx = open_ctx("env:CKPT_KEY_A", 0, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 4);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	rh.tenant = t;
	ck_ok(saas__tx_begin(&tx, ctx, t, true));
	ck_ok(saas__st_audit_scan(&rows, tx, seq - 1, 1, rehash_row, &rh));
	ck_assert_uint_eq(rows, 1);
	ck_ok(saas__q_exec(tx, &q_rehash, &changed, "siss", t, seq, "{\"rewritten\":true}", rh.hash));
	ck_ok(saas__tx_commit(tx));
	ck_assert_int_eq(changed, 1);
	r = verify(ctx, t);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_CHANGED);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), seq);
	ck_assert_ptr_nonnull(strstr(saas_audit_report_message(r), "signed checkpoint"));
	saas_audit_report_free(r);
}
END_TEST

START_TEST(moved_checkpoint_time_is_found)
{
	const char *t;
	int64_t seq;
	saas_audit_report *r;

	ctx = open_ctx("env:CKPT_KEY_A", 0, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 2);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	tamper(ctx, t, &q_ckpt_time, seq, "x");
	r = verify(ctx, t);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), seq);
	saas_audit_report_free(r);
}
END_TEST

START_TEST(key_rotation)
{
	const char *db = db_url(true);
	const char *t;
	int64_t seq;
	saas_audit_report *r;
	char *s = NULL, *p = NULL;

	ctx = open_with(db, "env:CKPT_KEY_A", 0, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 2);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	saas_ctx_free(ctx);

	/* The key is rotated: B signs from now on. */
	ctx = open_with(db, "env:CKPT_KEY_B", 0, 0);
	events(ctx, t, 2);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	r = verify(ctx, t);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	ck_assert_msg(strstr(saas_audit_report_message(r), "'key-a'") != NULL, "%s",
	              saas_audit_report_message(r));
	saas_audit_report_free(r);

	ck_ok(saas_audit_trust_key(ctx, pub_a));
	ck_ok(saas_audit_trust_key(ctx, pub_a)); /* again: nothing to do */
	r = verify(ctx, t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_checkpoints(r), 2);
	saas_audit_report_free(r);

	/* Another key under a trusted id; malformed keys. */
	ck_ok(saas_audit_keygen(&s, &p, "key-a"));
	ck_rc(saas_audit_trust_key(ctx, p), SAAS_ECONFLICT);
	saas_free_secret(s);
	saas_free(p);
	ck_rc(saas_audit_trust_key(ctx, "saas-audit-pub-v1:key-a:AAAA"), SAAS_EINVAL);
	ck_field("public_key");
	ck_rc(saas_audit_trust_key(ctx, NULL), SAAS_EINVAL);
	ck_rc(saas_audit_trust_key(NULL, pub_a), SAAS_EINVAL);
}
END_TEST

START_TEST(verify_with_public_keys_only)
{
	const char *db = db_url(true);
	const char *t;
	int64_t seq;
	saas_audit_report *r;

	ctx = open_with(db, "env:CKPT_KEY_A", 0, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 2);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(t)));
	saas_ctx_free(ctx);
	/* A verifier without any secret. */
	ctx = open_with(db, NULL, 0, 0);
	ck_ok(saas_audit_trust_key(ctx, pub_a));
	r = verify(ctx, t);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_checkpoints(r), 1);
	saas_audit_report_free(r);
}
END_TEST

START_TEST(purge_removes_checkpoints)
{
	const char *t;
	char *exp = NULL;

	ctx = open_ctx("env:CKPT_KEY_A", 1, 0);
	t = th_tenant(ctx, "acme");
	events(ctx, t, 2);
	ck_assert_uint_gt(ckpt_count(ctx, t), 0);
	ck_ok(saas_tenant_export(&exp, ctx, th_scope(t)));
	ck_assert_ptr_nonnull(strstr(exp, "audit_checkpoints"));
	saas_free(exp);
	ck_ok(saas_tenant_delete(ctx, th_scope(t), 0));
	ck_ok(saas_admin_tenant_purge(ctx, th_scope(t)));
	ck_assert_uint_eq(ckpt_count(ctx, t), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_checkpoint");
	TCase *tc = tcase_create("checkpoint");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keygen_round_trip);
	tcase_add_test(tc, key_loads_once_across_threads);
	tcase_add_test(tc, bad_key_strings);
	tcase_add_test(tc, no_key_refuses_checkpoints);
	tcase_add_test(tc, on_demand_checkpoint);
	tcase_add_test(tc, automatic_every_n);
	tcase_add_test(tc, automatic_by_time);
	tcase_add_test(tc, cut_stream_is_found);
	tcase_add_test(tc, forged_checkpoint_is_found);
	tcase_add_test(tc, rewritten_tail_is_changed);
	tcase_add_test(tc, moved_checkpoint_time_is_found);
	tcase_add_test(tc, key_rotation);
	tcase_add_test(tc, verify_with_public_keys_only);
	tcase_add_test(tc, purge_removes_checkpoints);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
