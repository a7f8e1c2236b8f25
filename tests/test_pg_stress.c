/*
 * PostgreSQL under load:
 * - concurrency: 8 threads over 50 tenants through one pool of 4 connections
 *   (so threads wait for connections), mixed reads and writes; no error, no
 *   cross-tenant row, no lost write;
 * - restart: the server restarts in the middle of writes from 2 threads; every
 *   call succeeds or returns SAAS_ESTORE with a clear message, none takes
 *   longer than the timeouts, no write is half applied (a membership exists
 *   if and only if its audit event does), and calls succeed again afterwards.
 *
 * Usage: test_pg_stress URL (the application role's URL), with
 * SAAS_TEST_POSTGRES_OWNER_URL set; tests/conformance/run-postgres.sh migrates
 * and passes both, or exits 77 (skipped) when no server is configured. The
 * restart test runs the shell command in SAAS_TEST_POSTGRES_RESTART
 * (scripts/pg-test-server.sh start prints it); without it that test is
 * skipped, loudly.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static const char *url;
static saas_ctx *ctx;

static const char *const member[] = {"member"};
static const char *const member_viewer[] = {"member", "viewer"};

static void setup(void)
{
	ctx = th_open(url);
}

static void teardown(void)
{
	th_close(ctx);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The tenant's export, parsed; fails the test on error. */
static json_t *export_doc(saas_ctx *c, const char *tenant)
{
	saas_scope *s;
	char *text;
	json_t *doc;

	ck_ok(saas_scope_new(&s, tenant, SAAS_ACTOR_SYSTEM, "test"));
	ck_ok(saas_tenant_export(&text, c, s));
	saas_scope_free(s);
	doc = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	saas_free(text);
	return doc;
}

static json_t *table(json_t *doc, const char *name)
{
	json_t *rows = json_object_get(json_object_get(doc, "tables"), name);
	ck_assert_msg(json_is_array(rows), "the export lacks table %s", name);
	return rows;
}

static const char *str(json_t *row, const char *col)
{
	const char *v = json_string_value(json_object_get(row, col));
	ck_assert_msg(v != NULL, "a row lacks text column %s", col);
	return v;
}

/* Every row of every tenant table in the export belongs to `tenant`. */
static void only_tenant_rows(json_t *doc, const char *tenant)
{
	json_t *tables = json_object_get(doc, "tables");
	const char *name;
	json_t *rows, *row;
	size_t i;

	json_object_foreach(tables, name, rows) {
		if (strcmp(name, "users") == 0)
			continue;
		json_array_foreach(rows, i, row) {
			const char *col = strcmp(name, "tenants") == 0 ? "id" : "tenant_id";
			ck_assert_msg(strcmp(str(row, col), tenant) == 0,
			              "the export of %s holds a row of %s in %s", tenant, str(row, col),
			              name);
		}
	}
}

/* ---- concurrency ------------------------------------------------------------------------ */

#define NTHREADS 8
#define NTENANTS 50

static const char *tenant_ids[NTENANTS];

struct worker {
	saas_ctx *ctx;
	int index;
	char users[NTENANTS][40];  /* the user each tenant got from this thread */
	bool viewer[NTENANTS];     /* whose roles were then changed */
	int errors;
	char first_error[400];
};

static void failed(struct worker *w, const char *what, int rc)
{
	if (w->errors++ == 0)
		snprintf(w->first_error, sizeof w->first_error, "%s: %s (%s)", what,
		         saas_code_name(rc), saas_error_message(saas_error_last()));
}

#define TRY(w, what, expr)                              \
	do {                                            \
		int rc_ = (expr);                       \
		if (rc_) {                              \
			failed(w, what, rc_);           \
			goto next;                      \
		}                                       \
	} while (0)
#define CHECK(w, what, cond)                            \
	do {                                            \
		if (!(cond)) {                          \
			failed(w, what, SAAS_EINTERNAL); \
			goto next;                      \
		}                                       \
	} while (0)

static void *work(void *arg)
{
	struct worker *w = arg;
	saas_scope *sys = NULL;

	saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "stress");
	for (int k = 0; k < NTENANTS; k++) {
		/* Each thread visits the tenants in its own order. */
		int t = (k + w->index * 7) % NTENANTS;
		int prev = (t + NTENANTS - 1) % NTENANTS;
		saas_scope *sc = NULL;
		saas_user *u = NULL;
		saas_member *m = NULL, *m2 = NULL;
		saas_member_page *page = NULL;
		char email[96];

		saas_scope_new(&sc, tenant_ids[t], SAAS_ACTOR_SYSTEM, "stress");
		snprintf(email, sizeof email, "s%d-%d@example.com", w->index, t);
		TRY(w, "user_create", saas_user_create(&u, w->ctx, sys, email, "Stress"));
		snprintf(w->users[t], sizeof w->users[t], "%s", saas_user_id(u));
		TRY(w, "member_add", saas_member_add(&m, w->ctx, sc, w->users[t], member, 1));
		CHECK(w, "member_add: tenant", strcmp(saas_member_tenant_id(m), tenant_ids[t]) == 0);
		TRY(w, "member_get", saas_member_get(&m2, w->ctx, sc, w->users[t]));
		CHECK(w, "member_get: tenant", strcmp(saas_member_tenant_id(m2), tenant_ids[t]) == 0);
		CHECK(w, "member_get: user", strcmp(saas_member_user_id(m2), w->users[t]) == 0);
		CHECK(w, "member_get: id", strcmp(saas_member_id(m2), saas_member_id(m)) == 0);
		TRY(w, "member_list", saas_member_list(&page, w->ctx, sc, NULL, 100));
		CHECK(w, "member_list: count",
		      saas_member_page_count(page) >= 1 && saas_member_page_count(page) <= NTHREADS);
		for (size_t i = 0; i < saas_member_page_count(page); i++)
			CHECK(w, "member_list: tenant",
			      strcmp(saas_member_tenant_id(saas_member_page_at(page, i)),
			             tenant_ids[t]) == 0);
		if ((k + w->index) % 3 == 0) {
			TRY(w, "member_set_roles",
			    saas_member_set_roles(w->ctx, sc, w->users[t], member_viewer, 2));
			w->viewer[t] = true;
		}
		/* This thread's member of another tenant is not visible here. */
		if (w->users[prev][0]) {
			saas_member *x = NULL;
			int rc = saas_member_get(&x, w->ctx, sc, w->users[prev]);
			saas_member_free(x);
			CHECK(w, "member_get of another tenant's member", rc == SAAS_ENOTFOUND);
		}
	next:
		saas_member_page_free(page);
		saas_member_free(m2);
		saas_member_free(m);
		saas_user_free(u);
		saas_scope_free(sc);
	}
	saas_scope_free(sys);
	return NULL;
}

START_TEST(threads_over_tenants_through_one_pool)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	static struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	saas_ctx *pool;

	for (int t = 0; t < NTENANTS; t++) {
		char slug[32];
		snprintf(slug, sizeof slug, "stress-%d", t);
		tenant_ids[t] = th_tenant(ctx, slug);
	}
	o.clock = th_clock;
	o.pool_size = 4; /* fewer connections than threads: they wait for one */
	ck_ok(saas_ctx_open(&pool, url, &o));
	memset(w, 0, sizeof w);
	for (int i = 0; i < NTHREADS; i++) {
		w[i].ctx = pool;
		w[i].index = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_msg(w[i].errors == 0, "thread %d: %d errors, the first: %s", i, w[i].errors,
		              w[i].first_error);

	for (int t = 0; t < NTENANTS; t++) {
		json_t *doc = export_doc(pool, tenant_ids[t]), *row;
		json_t *members = table(doc, "memberships"), *roles = table(doc, "member_roles");
		json_t *events = table(doc, "audit_events"), *users = table(doc, "users");
		size_t i, added = 0, changed = 0, others = 0, viewers = 0;

		only_tenant_rows(doc, tenant_ids[t]);
		/* exactly the memberships written to it: one per thread */
		ck_assert_int_eq(json_array_size(members), NTHREADS);
		ck_assert_int_eq(json_array_size(users), NTHREADS);
		for (int k = 0; k < NTHREADS; k++) {
			bool found = false, user_found = false;
			json_array_foreach(members, i, row)
				found |= strcmp(str(row, "user_id"), w[k].users[t]) == 0;
			json_array_foreach(users, i, row)
				user_found |= strcmp(str(row, "id"), w[k].users[t]) == 0;
			ck_assert_msg(found && user_found, "tenant %d lacks thread %d's member %s", t, k,
			              w[k].users[t]);
			viewers += w[k].viewer[t];
		}
		/* every role and every event */
		ck_assert_int_eq(json_array_size(roles), NTHREADS + viewers);
		json_array_foreach(events, i, row) {
			const char *action = str(row, "action");
			added += strcmp(action, "member.added") == 0;
			changed += strcmp(action, "member.roles_changed") == 0;
			others += strncmp(action, "member.", 7) != 0;
		}
		ck_assert_int_eq(added, NTHREADS);
		ck_assert_int_eq(changed, viewers);
		/* and nothing else about members (the tenant's own creation, say) */
		ck_assert_int_eq(json_array_size(events), NTHREADS + viewers + others);
		json_decref(doc);
	}
	saas_ctx_free(pool);
}
END_TEST

/* ---- restart ------------------------------------------------------------------------------- */

#define MAX_WRITES 4000
#define CALL_LIMIT_S 15.0

enum { BEFORE, DURING, AFTER };
static atomic_int phase;
static atomic_int stop;

struct writer {
	saas_ctx *ctx;
	const char *tenant;
	int index;
	int calls, ok, estore, other, ok_after;
	double max_s;
	char other_msg[400];
	char estore_msg[4][200];  /* the first SAAS_ESTORE messages that differ */
	char unclear_msg[400];    /* an SAAS_ESTORE message that does not say what happened */
	char (*tried)[40];        /* users whose membership was asked for */
	bool *added;              /* ... and whether that returned SAAS_OK */
	int ntried;
};

/* Classify one call's outcome. */
static void outcome(struct writer *w, int rc, double seconds, bool in_phase_after)
{
	const char *msg = saas_error_message(saas_error_last());

	w->calls++;
	if (seconds > w->max_s)
		w->max_s = seconds;
	if (rc == SAAS_OK) {
		w->ok++;
		if (in_phase_after)
			w->ok_after++;
	} else if (rc == SAAS_ESTORE) {
		w->estore++;
		/* Different in their first 40 characters (what failed, roughly). */
		for (int i = 0; i < 4; i++) {
			if (!w->estore_msg[i][0]) {
				snprintf(w->estore_msg[i], sizeof w->estore_msg[i], "%s", msg);
				break;
			}
			if (strncmp(w->estore_msg[i], msg, 40) == 0)
				break;
		}
		/* Clear: from the driver, and saying what went wrong. */
		bool clear = strstr(msg, "postgres: ") &&
		             (strstr(msg, "connect") || strstr(msg, "server") ||
		              strstr(msg, "transaction"));
		if (!clear && !w->unclear_msg[0])
			snprintf(w->unclear_msg, sizeof w->unclear_msg, "%s", msg);
	} else if (w->other++ == 0) {
		snprintf(w->other_msg, sizeof w->other_msg, "%s: %s", saas_code_name(rc), msg);
	}
}

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	saas_scope *sys = NULL, *sc = NULL;

	saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "restart");
	saas_scope_new(&sc, w->tenant, SAAS_ACTOR_SYSTEM, "restart");
	for (int i = 0; !atomic_load(&stop) && w->ntried < MAX_WRITES; i++) {
		saas_user *u = NULL;
		char email[96];
		double t0;
		int rc;
		bool after = atomic_load(&phase) == AFTER;

		snprintf(email, sizeof email, "r%d-%d@example.com", w->index, i);
		t0 = now_s();
		rc = saas_user_create(&u, w->ctx, sys, email, "Restart");
		outcome(w, rc, now_s() - t0, after);
		if (rc == SAAS_OK) {
			int n = w->ntried++;
			snprintf(w->tried[n], sizeof w->tried[n], "%s", saas_user_id(u));
			after = atomic_load(&phase) == AFTER;
			t0 = now_s();
			rc = saas_member_add(NULL, w->ctx, sc, w->tried[n], member, 1);
			outcome(w, rc, now_s() - t0, after);
			w->added[n] = rc == SAAS_OK;
		}
		saas_user_free(u);
		sleep_ms(2);
	}
	saas_scope_free(sc);
	saas_scope_free(sys);
	return NULL;
}

/* Wait until every writer satisfies `enough` or `seconds` pass. */
static bool wait_for(struct writer *w, int n, bool (*enough)(const struct writer *), double seconds)
{
	double end = now_s() + seconds;

	while (now_s() < end) {
		bool all = true;
		for (int i = 0; i < n; i++)
			all &= enough(&w[i]);
		if (all)
			return true;
		sleep_ms(20);
	}
	return false;
}

static bool ten_ok(const struct writer *w)
{
	return w->ok >= 10 || w->ntried >= MAX_WRITES;
}

static bool ten_ok_after(const struct writer *w)
{
	return w->ok_after >= 10 || w->ntried >= MAX_WRITES;
}

START_TEST(the_library_recovers_from_a_server_restart)
{
	const char *restart = getenv("SAAS_TEST_POSTGRES_RESTART");
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	struct writer w[2];
	pthread_t th[2];
	saas_ctx *pool;
	const char *tenant;
	double t0, restart_s;
	int rc;

	ck_assert_ptr_nonnull(restart);
	tenant = th_tenant(ctx, "restart");
	o.clock = th_clock;
	o.pool_size = 4;
	ck_ok(saas_ctx_open(&pool, url, &o));
	atomic_store(&phase, BEFORE);
	atomic_store(&stop, 0);
	memset(w, 0, sizeof w);
	for (int i = 0; i < 2; i++) {
		w[i].ctx = pool;
		w[i].tenant = tenant;
		w[i].index = i;
		w[i].tried = calloc(MAX_WRITES, sizeof *w[i].tried);
		w[i].added = calloc(MAX_WRITES, sizeof *w[i].added);
		ck_assert(w[i].tried && w[i].added);
		ck_assert_int_eq(pthread_create(&th[i], NULL, write_loop, &w[i]), 0);
	}

	/* Writes are going through; restart the server under them. */
	bool started = wait_for(w, 2, ten_ok, 60);
	atomic_store(&phase, DURING);
	t0 = now_s();
	rc = started ? system(restart) : -1;
	restart_s = now_s() - t0;
	atomic_store(&phase, AFTER);
	bool recovered = started && rc == 0 && wait_for(w, 2, ten_ok_after, 60);
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	for (int i = 0; i < 2; i++) {
		fprintf(stderr,
		        "restart: writer %d: %d calls, %d ok (%d after the restart), %d SAAS_ESTORE, "
		        "slowest call %.2f s; the restart took %.2f s\n",
		        i, w[i].calls, w[i].ok, w[i].ok_after, w[i].estore, w[i].max_s, restart_s);
		for (int k = 0; k < 4 && w[i].estore_msg[k][0]; k++)
			fprintf(stderr, "restart:   SAAS_ESTORE: %s\n", w[i].estore_msg[k]);
	}
	ck_assert_msg(started, "writes did not go through before the restart");
	ck_assert_msg(rc == 0, "the restart command failed (%d): %s", rc, restart);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(w[i].other == 0, "writer %d: a call failed otherwise than SAAS_ESTORE: %s",
		              i, w[i].other_msg);
		ck_assert_msg(!w[i].unclear_msg[0], "writer %d: an unclear message: %s", i,
		              w[i].unclear_msg);
		ck_assert_msg(w[i].max_s < CALL_LIMIT_S, "writer %d: a call took %.1f s", i,
		              w[i].max_s);
	}
	ck_assert_msg(recovered, "calls did not succeed again after the restart (%d and %d ok)",
	              w[0].ok_after, w[1].ok_after);

	/* No half-applied write: a membership exists iff its audit event does,
	 * every membership was asked for, every one that returned SAAS_OK is
	 * there, and the tenant's stream has no gap. */
	json_t *doc = export_doc(pool, tenant), *row, *ev;
	json_t *members = table(doc, "memberships"), *roles = table(doc, "member_roles");
	json_t *events = table(doc, "audit_events");
	size_t i, j, added = 0;

	only_tenant_rows(doc, tenant);
	json_array_foreach(members, i, row) {
		const char *id = str(row, "id"), *user = str(row, "user_id");
		int nevents = 0, nroles = 0;
		bool asked = false;
		json_array_foreach(events, j, ev)
			nevents += strcmp(str(ev, "action"), "member.added") == 0 &&
			           strcmp(str(ev, "target_id"), id) == 0;
		json_array_foreach(roles, j, ev)
			nroles += strcmp(str(ev, "user_id"), user) == 0;
		for (int k = 0; k < 2 && !asked; k++)
			for (int n = 0; n < w[k].ntried && !asked; n++)
				asked = strcmp(w[k].tried[n], user) == 0;
		ck_assert_msg(nevents == 1, "membership %s has %d member.added events", id, nevents);
		ck_assert_msg(nroles == 1, "membership %s has %d roles", id, nroles);
		ck_assert_msg(asked, "membership %s (user %s) was never asked for", id, user);
	}
	json_array_foreach(events, j, ev) {
		bool found = false;
		if (strcmp(str(ev, "action"), "member.added") == 0) {
			added++;
			json_array_foreach(members, i, row)
				found |= strcmp(str(ev, "target_id"), str(row, "id")) == 0;
			ck_assert_msg(found, "event %s names membership %s, which does not exist",
			              str(ev, "id"), str(ev, "target_id"));
		} else {
			ck_assert_msg(strncmp(str(ev, "action"), "member.", 7) != 0,
			              "unexpected event %s", str(ev, "action"));
		}
		/* gapless: seq runs 1..N (order of the export not assumed) */
		json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
		ck_assert_msg(seq >= 1 && (size_t)seq <= json_array_size(events),
		              "the stream has a gap (seq %lld of %zu events)", (long long)seq,
		              json_array_size(events));
	}
	ck_assert_int_eq(added, json_array_size(members));
	for (int k = 0; k < 2; k++) {
		for (int n = 0; n < w[k].ntried; n++) {
			if (!w[k].added[n])
				continue;
			bool found = false;
			json_array_foreach(members, i, row)
				found |= strcmp(str(row, "user_id"), w[k].tried[n]) == 0;
			ck_assert_msg(found, "member_add of %s returned SAAS_OK but it is not there",
			              w[k].tried[n]);
		}
		free(w[k].tried);
		free(w[k].added);
	}
	json_decref(doc);
	saas_ctx_free(pool);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("pg-stress");
	TCase *tc = tcase_create("pg-stress");
	const char *restart = getenv("SAAS_TEST_POSTGRES_RESTART");

	url = argc > 1 ? argv[1] : getenv("SAAS_TEST_POSTGRES_URL");
	if (!url || !*url) {
		fprintf(stderr, "*** SAAS_TEST_POSTGRES_URL is not set: PostgreSQL suites SKIPPED ***\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, threads_over_tenants_through_one_pool);
	if (restart && *restart)
		tcase_add_test(tc, the_library_recovers_from_a_server_restart);
	else
		fprintf(stderr, "*** SAAS_TEST_POSTGRES_RESTART is not set: the restart test is "
		                "SKIPPED (scripts/pg-test-server.sh start prints it) ***\n");
	suite_add_tcase(s, tc);
	return th_run(s);
}
