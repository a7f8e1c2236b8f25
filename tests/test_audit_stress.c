/*
 * The audit log under concurrent writers and crashes.
 *
 * Concurrency: 4 processes (fork, no context open at the fork: each child
 * opens its own) × SAAS_STRESS_N (default 1000) saas_audit_record calls on
 * one tenant, on a SQLite file (synchronous=NORMAL: this part is about
 * ordering, not durability) and on PostgreSQL when SAAS_TEST_POSTGRES_URL is
 * set; the stream must be one gapless chain of every event that verifies.
 *
 * Crash: a child appends in a loop with the default durability (SQLite
 * synchronous=FULL) and writes each sequence number to a pipe after the call
 * returned; it is killed with SIGKILL at a random moment, SAAS_STRESS_KILLS
 * (default 20) times. Every acknowledged append must be present and the
 * stream must verify. On SQLite and on PostgreSQL when configured.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define WRITERS 4

static const char *url = "sqlite:";
static char path[96];
static char dburl[1024];

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : def;
}

static int is_pg(void)
{
	return strncmp(url, "postgres", 8) == 0;
}

/* A fresh database: a new SQLite file, or the emptied PostgreSQL database. */
static void setup(void)
{
	if (is_pg()) {
		th_close(th_open(url)); /* empties it */
		snprintf(dburl, sizeof dburl, "%s", url);
	} else {
		snprintf(path, sizeof path, "/tmp/saas-stress-%d-XXXXXX", (int)getpid());
		int fd = mkstemp(path);
		ck_assert_int_ge(fd, 0);
		close(fd);
		snprintf(dburl, sizeof dburl, "sqlite:%s", path);
	}
}

static void teardown(void)
{
	th_close(NULL); /* frees the fixture's scopes */
	if (path[0]) {
		th_remove_db(path);
		path[0] = '\0';
	}
}

static saas_ctx *open_ctx(int durable)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;

	o.sqlite_synchronous_full = durable;
	o.busy_timeout_ms = 120000;
	return saas_ctx_open(&c, dburl, &o) == SAAS_OK ? c : NULL;
}

/* Create the tenant in its own context, closed again before any fork. */
static char *make_tenant(void)
{
	saas_ctx *c = open_ctx(1);
	saas_tenant *t = NULL;
	char *id;

	ck_assert_ptr_nonnull(c);
	ck_ok(saas_tenant_create(&t, c, th_system(), "stress", "Stress"));
	id = strdup(saas_tenant_id(t));
	saas_tenant_free(t);
	saas_ctx_free(c);
	return id;
}

/* Verify the tenant's stream in a fresh context: intact, and its last seq. */
static int64_t verify_intact(const char *tenant, int64_t *events)
{
	saas_ctx *c = open_ctx(1);
	saas_audit_report *r = NULL;
	int64_t last;

	ck_assert_ptr_nonnull(c);
	ck_ok(saas_audit_verify(&r, c, th_scope(tenant)));
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	last = saas_audit_report_last_seq(r);
	if (events)
		*events = saas_audit_report_events(r);
	saas_audit_report_free(r);
	saas_ctx_free(c);
	return last;
}

static int64_t count_action(const char *tenant, const char *prefix)
{
	saas_ctx *c = open_ctx(1);
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	int64_t n = -1;

	ck_assert_ptr_nonnull(c);
	f.action_prefix = prefix;
	ck_ok(saas_audit_count(&n, c, th_scope(tenant), &f));
	saas_ctx_free(c);
	return n;
}

/* ---- 4 processes × N appends ------------------------------------------------------ */

static void writer(char *tenant, int w, long n)
{
	saas_ctx *c = open_ctx(0);
	saas_scope *s = NULL;
	int64_t prev = 0, seq;
	char meta[64];

	char ip[32];

	/* Every writer's events carry personal data of one subject, so the
	 * writers also race to create that subject's key. */
	snprintf(ip, sizeof ip, "192.0.2.%d", w + 1);
	if (!c || saas_scope_new(&s, tenant, SAAS_ACTOR_SYSTEM, "stress") != SAAS_OK ||
	    saas_scope_set_ip(s, ip) != SAAS_OK) {
		fprintf(stderr, "writer %d: open: %s\n", w, saas_error_message(saas_error_last()));
		free(tenant);
		_exit(1);
	}
	for (long i = 0; i < n; i++) {
		snprintf(meta, sizeof meta, "{\"w\":%d,\"i\":%ld}", w, i);
		int rc = saas_audit_record(&seq, c, s, "stress.append", NULL, NULL, meta);
		if (rc != SAAS_OK || seq <= prev) {
			fprintf(stderr, "writer %d append %ld: %s (seq %lld after %lld)\n", w, i,
			        saas_error_message(saas_error_last()), (long long)seq, (long long)prev);
			free(tenant);
			_exit(1);
		}
		prev = seq;
	}
	saas_scope_free(s);
	saas_ctx_free(c);
	free(tenant); /* the child's copy: valgrind checks children for leaks too */
	_exit(0);
}

START_TEST(concurrent_writers)
{
	long n = env_long("SAAS_STRESS_N", 1000);
	char *tenant = make_tenant();
	int64_t before = 0, events = 0;
	pid_t pids[WRITERS];

	verify_intact(tenant, &before);
	fflush(NULL);
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0)
			writer(tenant, w, n);
	}
	for (int w = 0; w < WRITERS; w++) {
		int status = 0;
		ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		              "writer %d failed (status %d)", w, status);
	}
	int64_t last = verify_intact(tenant, &events);
	ck_assert_int_eq(events, before + WRITERS * n);
	ck_assert_int_eq(last, before + WRITERS * n);
	ck_assert_int_eq(count_action(tenant, "stress.append"), WRITERS * n);
	/* One key for the subject, whoever made it: every event decrypts. */
	{
		saas_ctx *c = open_ctx(1);
		saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
		saas_audit_page *p;

		f.action_prefix = "stress.append";
		ck_ok(saas_audit_query(&p, c, th_scope(tenant), &f, NULL, 1000));
		ck_assert_uint_gt(saas_audit_page_count(p), 0);
		for (size_t i = 0; i < saas_audit_page_count(p); i++) {
			const char *e = saas_audit_page_event_json(p, i);
			ck_assert_msg(strstr(e, "\"readable\":true") && strstr(e, "\"ip\":\"192.0.2."),
			              "event not readable: %s", e);
		}
		saas_audit_page_free(p);
		saas_ctx_free(c);
	}
	free(tenant);
}
END_TEST

/* ---- SIGKILL mid-stream -------------------------------------------------------------- */

static void crash_writer(const char *tenant, int fd)
{
	saas_ctx *c = open_ctx(1); /* the default durability: synchronous=FULL */
	saas_scope *s = NULL;
	int64_t seq;

	if (!c || saas_scope_new(&s, tenant, SAAS_ACTOR_SYSTEM, "crash") != SAAS_OK)
		_exit(1);
	for (;;) {
		if (saas_audit_record(&seq, c, s, "stress.crash", NULL, NULL, "{\"k\":1}") != SAAS_OK) {
			fprintf(stderr, "crash writer: %s\n", saas_error_message(saas_error_last()));
			_exit(2);
		}
		if (write(fd, &seq, sizeof seq) != (ssize_t)sizeof seq)
			_exit(3);
	}
}

START_TEST(killed_writer_loses_nothing_acknowledged)
{
	long kills = env_long("SAAS_STRESS_KILLS", 20);
	long max_delay_ms = env_long("SAAS_STRESS_DELAY_MS", 300);
	char *tenant = make_tenant();
	int64_t acked_total = 0, max_acked = 0;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (long k = 0; k < kills; k++) {
		int fds[2];
		ck_assert_int_eq(pipe(fds), 0);
		fflush(NULL);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(fds[0]);
			crash_writer(tenant, fds[1]);
		}
		close(fds[1]);
		struct timespec d = {0, (20 + rand() % max_delay_ms) * 1000000L};
		while (d.tv_nsec >= 1000000000L) {
			d.tv_sec++;
			d.tv_nsec -= 1000000000L;
		}
		nanosleep(&d, NULL);
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		int status = 0;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		              "the writer ended by itself (status %d) before it was killed", status);
		/* Every sequence number acknowledged before the kill. */
		int64_t seq, prev = max_acked;
		ssize_t got;
		while ((got = read(fds[0], &seq, sizeof seq)) == (ssize_t)sizeof seq) {
			ck_assert_int_gt(seq, prev);
			prev = seq;
			acked_total++;
		}
		ck_assert_int_eq(got, 0);
		close(fds[0]);
		max_acked = prev;
		/* All present (the chain is gapless and reaches past them) and intact. */
		int64_t last = verify_intact(tenant, NULL);
		ck_assert_msg(last >= max_acked, "kill %ld: acknowledged seq %lld but the stream ends at %lld",
		              k, (long long)max_acked, (long long)last);
	}
	ck_assert_int_gt(acked_total, 0);
	ck_assert_int_ge(count_action(tenant, "stress.crash"), acked_total);
	free(tenant);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create(is_pg() ? "audit_stress (postgres)" : "audit_stress (sqlite)");
	TCase *tc = tcase_create("audit_stress");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, concurrent_writers);
	tcase_add_test(tc, killed_writer_loses_nothing_acknowledged);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_SQLITE | TH_POSTGRES, &url, suite);
}
