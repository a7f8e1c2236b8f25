/* Core: error codes, ids, scopes, context options, logging, metrics, migrations. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "helpers.h"

START_TEST(codes_have_names)
{
	for (int c = 0; c >= SAAS_CODE_MIN; c--) {
		ck_assert_str_ne(saas_code_name(c), "SAAS_E?");
		ck_assert_str_ne(saas_strerror(c), "unknown error");
	}
	ck_assert_str_eq(saas_code_name(SAAS_EINVAL), "SAAS_EINVAL");
	ck_assert_str_eq(saas_code_name(SAAS_EDELETED), "SAAS_EDELETED");
	ck_assert_str_eq(saas_code_name(1), "SAAS_E?");
	ck_assert_str_eq(saas_code_name(SAAS_CODE_MIN - 1), "SAAS_E?");
	ck_assert_str_eq(saas_strerror(-1000), "unknown error");
	/* the numbers are ABI: never renumbered */
	ck_assert_int_eq(SAAS_EINVAL, -1);
	ck_assert_int_eq(SAAS_ESTORE, -12);
	ck_assert_int_eq(SAAS_EINTERNAL, -15);
	ck_assert_int_eq(SAAS_EUSED, -17);
	ck_assert_int_eq(SAAS_EMFA, -18);
}
END_TEST

START_TEST(error_last_is_per_call)
{
	saas_error_clear();
	ck_assert_ptr_null(saas_error_last());
	ck_assert_int_eq(saas_error_code(NULL), SAAS_OK);
	ck_assert_str_eq(saas_error_message(NULL), "");
	ck_assert_ptr_null(saas_error_field(NULL));
	ck_rc(saas_id_check("bogus", NULL), SAAS_EINVAL);
	const saas_error *e = saas_error_last();
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(saas_error_code(e), SAAS_EINVAL);
	ck_assert_str_eq(saas_error_field(e), "id");
	ck_assert_ptr_nonnull(strstr(saas_error_message(e), "'bogus'"));
	/* control characters never reach the message */
	ck_rc(saas_id_check("ten_\n\x1b[31m", NULL), SAAS_EINVAL);
	ck_assert_ptr_null(strchr(saas_error_message(saas_error_last()), '\n'));
	ck_assert_ptr_null(strchr(saas_error_message(saas_error_last()), '\x1b'));
	saas_error_clear();
	ck_assert_ptr_null(saas_error_last());
}
END_TEST

static void *thread_error(void *arg)
{
	(void)arg;
	return (void *)saas_error_last();
}

START_TEST(error_last_is_thread_local)
{
	pthread_t th;
	void *res = (void *)1;

	ck_rc(saas_id_check("x", NULL), SAAS_EINVAL);
	ck_assert_int_eq(pthread_create(&th, NULL, thread_error, NULL), 0);
	pthread_join(th, &res);
	ck_assert_ptr_null(res);
	ck_assert_ptr_nonnull(saas_error_last());
}
END_TEST

START_TEST(version)
{
	ck_assert_str_eq(saas_version(), SAAS_VERSION);
	ck_assert_int_eq(saas_version_number(), SAAS_VERSION_NUMBER);
	ck_assert_int_eq(SAAS_VERSION_NUMBER,
	                 SAAS_VERSION_MAJOR * 10000 + SAAS_VERSION_MINOR * 100 + SAAS_VERSION_PATCH);
}
END_TEST

START_TEST(ids)
{
	saas_ctx *ctx = th_open("memory:");
	char *a, *b;
	int64_t ms;

	ck_ok(saas_id_new(&a, ctx, "ten"));
	ck_assert_uint_eq(strlen(a), 4 + SAAS_ID_BODY_LEN);
	ck_assert(strncmp(a, "ten_", 4) == 0);
	ck_ok(saas_id_check(a, "ten"));
	ck_ok(saas_id_check(a, NULL));
	ck_rc(saas_id_check(a, "usr"), SAAS_EINVAL);
	ck_ok(saas_id_time(&ms, a));
	ck_assert_int_eq(ms, th_clock_ms);

	/* time-ordered: a later id sorts after */
	th_clock_advance(1);
	ck_ok(saas_id_new(&b, ctx, "ten"));
	ck_assert_int_lt(strcmp(a, b), 0);
	ck_assert_str_ne(a, b);
	saas_free(a);
	saas_free(b);

	/* same millisecond: still unique */
	ck_ok(saas_id_new(&a, ctx, "evt"));
	ck_ok(saas_id_new(&b, ctx, "evt"));
	ck_assert_str_ne(a, b);
	saas_free(a);
	saas_free(b);

	const char *bad[] = {"", "ten", "ten_", "TEN_01J0000000000000000000000", "t_01J00000000000000000000000",
	                     "ten_01J0000000000000000000000",  /* 25 */
	                     "ten_01J000000000000000000000000", /* 27 */
	                     "ten_81J00000000000000000000000",  /* first char > 7 */
	                     "ten_01J0000000000000000000000U",  /* U is not Crockford */
	                     "ten_01j00000000000000000000000"}; /* lower case */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_rc(saas_id_check(bad[i], NULL), SAAS_EINVAL);
	ck_rc(saas_id_check(NULL, NULL), SAAS_EINVAL);
	ck_rc(saas_id_time(&ms, "nope"), SAAS_EINVAL);
	ck_rc(saas_id_time(NULL, "ten_00000000000000000000000000"), SAAS_EINVAL);

	ck_rc(saas_id_new(&a, ctx, "T"), SAAS_EINVAL);
	ck_field("prefix");
	ck_rc(saas_id_new(&a, ctx, "toolongprefix"), SAAS_EINVAL);
	ck_rc(saas_id_new(&a, ctx, NULL), SAAS_EINVAL);
	ck_rc(saas_id_new(NULL, ctx, "ten"), SAAS_EINVAL);
	/* without a context the system clock is used */
	ck_ok(saas_id_new(&a, NULL, "abc"));
	ck_ok(saas_id_time(&ms, a));
	ck_assert_int_gt(ms, 1767225600000LL);
	saas_free(a);
	th_close(ctx);
}
END_TEST

START_TEST(scopes)
{
	saas_scope *s;

	ck_ok(saas_scope_new(&s, NULL, SAAS_ACTOR_SYSTEM, "billing-job"));
	ck_assert_ptr_null(saas_scope_tenant_id(s));
	ck_assert_int_eq(saas_scope_actor_type(s), SAAS_ACTOR_SYSTEM);
	ck_assert_str_eq(saas_scope_actor_id(s), "billing-job");
	ck_ok(saas_scope_set_request_id(s, "req_1"));
	ck_ok(saas_scope_set_request_id(s, NULL));
	ck_ok(saas_scope_set_ip(s, "192.0.2.7"));
	ck_ok(saas_scope_set_ip(s, "::1"));
	ck_rc(saas_scope_set_ip(s, "999.1.1.1"), SAAS_EINVAL);
	ck_field("ip");
	ck_rc(saas_scope_set_ip(s, "example.com"), SAAS_EINVAL);
	ck_ok(saas_scope_set_user_agent(s, "Mozilla/5.0 (X11)"));
	ck_rc(saas_scope_set_user_agent(s, "bad\r\nheader"), SAAS_EINVAL);
	ck_field("user_agent");
	ck_rc(saas_scope_set_request_id(s, "has space"), SAAS_EINVAL);
	ck_field("request_id");
	ck_rc(saas_scope_set_request_id(NULL, "x"), SAAS_EINVAL);
	saas_scope_free(s);
	saas_scope_free(NULL);

	ck_ok(saas_scope_new(&s, "ten_01JAAAAAAAAAAAAAAAAAAAAAAA", SAAS_ACTOR_USER,
	                     "usr_01JAAAAAAAAAAAAAAAAAAAAAAA"));
	ck_assert_str_eq(saas_scope_tenant_id(s), "ten_01JAAAAAAAAAAAAAAAAAAAAAAA");
	saas_scope_free(s);

	ck_rc(saas_scope_new(&s, "acme", SAAS_ACTOR_SYSTEM, "x"), SAAS_EINVAL);
	ck_field("tenant_id");
	ck_assert_ptr_null(s);
	ck_rc(saas_scope_new(&s, NULL, SAAS_ACTOR_USER, "bob"), SAAS_EINVAL);
	ck_field("actor_id");
	ck_rc(saas_scope_new(&s, NULL, SAAS_ACTOR_APIKEY, "usr_01JAAAAAAAAAAAAAAAAAAAAAAA"), SAAS_EINVAL);
	ck_rc(saas_scope_new(&s, NULL, 9, "x"), SAAS_EINVAL);
	ck_field("actor_type");
	ck_rc(saas_scope_new(&s, NULL, SAAS_ACTOR_SYSTEM, ""), SAAS_EINVAL);
	ck_rc(saas_scope_new(&s, NULL, SAAS_ACTOR_SUPPORT, NULL), SAAS_EINVAL);
	ck_rc(saas_scope_new(NULL, NULL, SAAS_ACTOR_SYSTEM, "x"), SAAS_EINVAL);
}
END_TEST

START_TEST(ctx_options)
{
	saas_ctx_options o;
	saas_ctx *ctx = (saas_ctx *)1;

	ck_ok(saas_ctx_options_init(&o, SAAS_CTX_OPTIONS_VERSION));
	ck_assert_uint_eq(o.version, SAAS_CTX_OPTIONS_VERSION);
	ck_assert_int_eq(o.auto_migrate, 1);
	ck_assert_uint_eq(o.busy_timeout_ms, 5000);
	ck_rc(saas_ctx_options_init(&o, 99), SAAS_EINVAL);
	ck_field("version");
	ck_rc(saas_ctx_options_init(NULL, SAAS_CTX_OPTIONS_VERSION), SAAS_EINVAL);

	o.version = 2;
	ck_rc(saas_ctx_open(&ctx, "memory:", &o), SAAS_EINVAL);
	ck_assert_ptr_null(ctx);
	saas_ctx_options_init(&o, SAAS_CTX_OPTIONS_VERSION);
	o.log_level = 9;
	ck_rc(saas_ctx_open(&ctx, "memory:", &o), SAAS_EINVAL);
	ck_field("log_level");

	const char *bad[] = {"", "mysql://x", "sqlite:", "memory", "postgres"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_rc(saas_ctx_open(&ctx, bad[i], NULL), SAAS_EINVAL);
		ck_field("url");
	}
	ck_rc(saas_ctx_open(&ctx, NULL, NULL), SAAS_EINVAL);
	ck_rc(saas_ctx_open(NULL, "memory:", NULL), SAAS_EINVAL);
	ck_rc(saas_ctx_open(&ctx, "sqlite:/nonexistent-dir/x/y.db", NULL), SAAS_ESTORE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "/nonexistent-dir/x/y.db"));

	ck_ok(saas_ctx_open(&ctx, "memory:", NULL));
	ck_assert_str_eq(saas_ctx_backend(ctx), "memory");
	ck_assert_int_gt(saas_ctx_now(ctx), 1767225600000LL);
	saas_ctx_free(ctx);
	saas_ctx_free(NULL);
}
END_TEST

START_TEST(migrations)
{
	char path[] = "/tmp/saas-mig-XXXXXX";
	char url[64], wal[80], shm[80];
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx;
	int db, lib, applied;

	close(mkstemp(path));
	snprintf(url, sizeof url, "sqlite:%s", path);

	/* without auto_migrate an empty database is refused with a clear hint */
	o.auto_migrate = 0;
	ck_rc(saas_ctx_open(&ctx, url, &o), SAAS_ESTORE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "saasctl migrate"));

	o.auto_migrate = 7;
	ck_rc(saas_ctx_open(&ctx, url, &o), SAAS_EINVAL);
	ck_field("auto_migrate");

	/* deferred: the open succeeds and the caller migrates, learning the count */
	o.auto_migrate = SAAS_MIGRATE_DEFER;
	ck_ok(saas_ctx_open(&ctx, url, &o));
	ck_ok(saas_store_schema_version(ctx, &db, &lib));
	ck_assert_int_eq(db, 0);
	ck_ok(saas_store_migrate(ctx, &applied));
	ck_assert_int_eq(applied, lib);
	saas_ctx_free(ctx);

	o.auto_migrate = SAAS_MIGRATE_AUTO;
	ck_ok(saas_ctx_open(&ctx, url, &o));
	ck_assert_str_eq(saas_ctx_backend(ctx), "sqlite");
	ck_ok(saas_store_schema_version(ctx, &db, &lib));
	ck_assert_int_eq(db, lib);
	ck_assert_int_ge(lib, 1);
	/* idempotent */
	ck_ok(saas_store_migrate(ctx, &applied));
	ck_assert_int_eq(applied, 0);
	ck_ok(saas_store_migrate(ctx, NULL));
	ck_rc(saas_store_migrate(NULL, &applied), SAAS_EINVAL);
	ck_rc(saas_store_schema_version(NULL, &db, &lib), SAAS_EINVAL);
	saas_ctx_free(ctx);

	/* reopening without auto_migrate works once migrated */
	o.auto_migrate = 0;
	ck_ok(saas_ctx_open(&ctx, url, &o));
	saas_ctx_free(ctx);

	unlink(path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	snprintf(shm, sizeof shm, "%s-shm", path);
	unlink(wal);
	unlink(shm);
}
END_TEST

static char *last_line;
static int lines;

static void capture(int level, const char *line, void *payload)
{
	(void)level;
	ck_assert_str_eq(payload, "cookie");
	free(last_line);
	last_line = strdup(line);
	lines++;
}

START_TEST(logging)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx;
	saas_scope *s;
	saas_tenant *t;

	o.log = capture;
	o.log_payload = "cookie";
	o.clock = th_clock;
	th_clock_ms = 1767225600000LL;
	ck_ok(saas_ctx_open(&ctx, "memory:", &o));
	ck_ok(saas_scope_new(&s, NULL, SAAS_ACTOR_SYSTEM, "test"));
	ck_ok(saas_tenant_create(&t, ctx, s, "acme", "Acme"));
	ck_assert_int_gt(lines, 0);
	json_error_t err;
	json_t *j = json_loads(last_line, 0, &err);
	ck_assert_msg(j != NULL, "log line is not JSON: %s", last_line);
	ck_assert_str_eq(json_string_value(json_object_get(j, "level")), "info");
	ck_assert_str_eq(json_string_value(json_object_get(j, "msg")), "tenant created");
	ck_assert_str_eq(json_string_value(json_object_get(j, "time")), "2026-01-01T00:00:00.000Z");
	ck_assert_str_eq(json_string_value(json_object_get(j, "tenant_id")), saas_tenant_id(t));
	json_decref(j);
	saas_tenant_free(t);

	/* below the level: nothing */
	saas_ctx_free(ctx);
	o.log_level = SAAS_LOG_ERROR;
	lines = 0;
	ck_ok(saas_ctx_open(&ctx, "memory:", &o));
	ck_ok(saas_tenant_create(NULL, ctx, s, "acme", "Acme"));
	ck_assert_int_eq(lines, 0);
	saas_ctx_free(ctx);
	saas_scope_free(s);
	free(last_line);
	last_line = NULL;
}
END_TEST

START_TEST(metrics)
{
	saas_ctx *ctx = th_open("memory:");
	int64_t v;
	char *text;

	ck_ok(saas_metrics_count(ctx, "app.signups", 2));
	ck_ok(saas_metrics_count(ctx, "app.signups", 3));
	ck_ok(saas_metrics_counter_value(&v, ctx, "app.signups"));
	ck_assert_int_eq(v, 5);
	ck_rc(saas_metrics_counter_value(&v, ctx, "app.none"), SAAS_ENOTFOUND);
	ck_rc(saas_metrics_count(ctx, "Bad Name", 1), SAAS_EINVAL);
	ck_field("name");
	ck_rc(saas_metrics_count(ctx, "app.signups", -1), SAAS_EINVAL);
	ck_rc(saas_metrics_count(NULL, "x", 1), SAAS_EINVAL);
	ck_ok(saas_metrics_observe(ctx, "app.latency", 0.003));
	ck_ok(saas_metrics_observe(ctx, "app.latency", 2.0));
	ck_rc(saas_metrics_observe(ctx, "app.latency", -1), SAAS_EINVAL);
	ck_rc(saas_metrics_observe(ctx, "app.signups", 1), SAAS_EINVAL); /* kind clash */

	ck_ok(saas_metrics_snapshot_json(&text, ctx));
	json_t *j = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "counters"), "app.signups")), 5);
	json_t *h = json_object_get(json_object_get(j, "histograms"), "app.latency");
	ck_assert_int_eq(json_integer_value(json_object_get(h, "count")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(h, "buckets"), "0.005")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(h, "buckets"), "+Inf")), 2);
	json_decref(j);
	saas_free(text);

	ck_ok(saas_metrics_prometheus(&text, ctx));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE saas_app_signups_total counter\nsaas_app_signups_total 5\n"));
	ck_assert_ptr_nonnull(strstr(text, "saas_app_latency_seconds_bucket{le=\"0.005\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "saas_app_latency_seconds_count 2\n"));
	saas_free(text);

	/* the library counts its own operations */
	saas_scope *s = th_system();
	ck_ok(saas_tenant_create(NULL, ctx, s, "acme", "Acme"));
	ck_rc(saas_tenant_create(NULL, ctx, s, "acme", "Acme"), SAAS_EEXISTS);
	ck_ok(saas_metrics_counter_value(&v, ctx, "tenant.create.errors"));
	ck_assert_int_eq(v, 1);
	ck_ok(saas_metrics_prometheus(&text, ctx));
	ck_assert_ptr_nonnull(strstr(text, "saas_tenant_create_seconds_count 2\n"));
	saas_free(text);

	/* the registry is bounded */
	char name[32];
	int rc = SAAS_OK;
	for (int i = 0; i < 300 && !rc; i++) {
		snprintf(name, sizeof name, "fill.m%d", i);
		rc = saas_metrics_count(ctx, name, 1);
	}
	ck_assert_int_eq(rc, SAAS_ELIMIT);
	th_close(ctx);
}
END_TEST

struct race {
	saas_ctx *ctx;
	int ok;
	int next;
};

static void *race_create(void *arg)
{
	struct race *r = arg;
	saas_scope *s;
	char slug[32];

	int me = __atomic_fetch_add(&r->next, 1, __ATOMIC_SEQ_CST);

	saas_scope_new(&s, NULL, SAAS_ACTOR_SYSTEM, "thread");
	for (int i = 0; i < 20; i++) {
		snprintf(slug, sizeof slug, "t%d-%d", me, i);
		if (saas_tenant_create(NULL, r->ctx, s, slug, "Threaded") == SAAS_OK)
			__atomic_add_fetch(&r->ok, 1, __ATOMIC_SEQ_CST);
		saas_metrics_count(r->ctx, "race.count", 1);
	}
	saas_scope_free(s);
	return NULL;
}

START_TEST(ctx_is_shared_by_threads)
{
	struct race r = {th_open("sqlite:"), 0, 0};
	pthread_t th[4];
	int64_t v;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, race_create, &r), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(r.ok, 80);
	ck_ok(saas_metrics_counter_value(&v, r.ctx, "race.count"));
	ck_assert_int_eq(v, 80);
	th_close(r.ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, codes_have_names);
	tcase_add_test(tc, error_last_is_per_call);
	tcase_add_test(tc, error_last_is_thread_local);
	tcase_add_test(tc, version);
	tcase_add_test(tc, ids);
	tcase_add_test(tc, scopes);
	tcase_add_test(tc, ctx_options);
	tcase_add_test(tc, migrations);
	tcase_add_test(tc, logging);
	tcase_add_test(tc, metrics);
	tcase_add_test(tc, ctx_is_shared_by_threads);
	suite_add_tcase(s, tc);
	return th_run(s);
}
