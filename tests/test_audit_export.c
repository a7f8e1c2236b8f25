/*
 * Exporting an audit stream as JSON lines and verifying the file with only
 * the public key (saas_audit_export, saas_audit_verify_file): intact, a
 * changed line, a deleted line, a wrong key, a malformed file, refusals; on
 * memory: and sqlite:.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static const char *tenant;
static char *sec_a, *pub_a, *sec_b, *pub_b;
static char path[256], path2[256];

static void setup(void)
{
	ck_ok(saas_audit_keygen(&sec_a, &pub_a, "key-a"));
	ck_ok(saas_audit_keygen(&sec_b, &pub_b, "key-b"));
	setenv("SAAS_AUDIT_SIGNING_KEY", sec_a, 1);
	snprintf(path, sizeof path, "/tmp/saas-export-%d.jsonl", (int)getpid());
	snprintf(path2, sizeof path2, "/tmp/saas-export-%d-b.jsonl", (int)getpid());
	unlink(path);
	unlink(path2);
	ctx = th_open(url);
	tenant = th_tenant(ctx, "acme");
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
	unsetenv("SAAS_AUDIT_SIGNING_KEY");
	unlink(path);
	unlink(path2);
	saas_free_secret(sec_a);
	saas_free_secret(sec_b);
	saas_free(pub_a);
	saas_free(pub_b);
}

/* Events 2..n+1 (tenant.created is 1), a checkpoint at the middle and the end. */
static void fill(int n)
{
	int64_t seq = 0;

	for (int i = 0; i < n; i++) {
		char meta[64];
		snprintf(meta, sizeof meta, "{\"i\":%d,\"note\":\"x\\ny\"}", i);
		ck_ok(saas_audit_record(NULL, ctx, th_scope(tenant), "app.thing.done", "thing",
		                        "t1", meta));
		if (i == n / 2)
			ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(tenant)));
	}
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(tenant)));
	ck_assert_int_eq(seq, n + 1);
}

/* The file's lines (malloc'd, NULL-terminated). */
static char **read_lines(const char *p, size_t *n)
{
	FILE *f = fopen(p, "r");
	char **v = calloc(4096, sizeof *v), *buf = NULL;
	size_t cap = 0;

	ck_assert_ptr_nonnull(f);
	*n = 0;
	while (getline(&buf, &cap, f) >= 0) {
		ck_assert_uint_lt(*n, 4095);
		v[(*n)++] = strdup(buf);
	}
	free(buf);
	fclose(f);
	return v;
}

static void write_lines(const char *p, char **v, size_t n, size_t skip)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		if (i != skip)
			fputs(v[i], f);
	fclose(f);
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static saas_audit_report *verify_file(const char *p, const char *key)
{
	saas_audit_report *r = NULL;
	const char *keys[1] = {key};

	ck_ok(saas_audit_verify_file(&r, p, key ? keys : NULL, key ? 1 : 0));
	return r;
}

START_TEST(export_verifies_intact)
{
	saas_audit_report *r, *db = NULL;
	struct stat st;
	size_t n;
	char **lines;

	fill(20);
	ck_ok(saas_audit_export(ctx, th_scope(tenant), path));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	lines = read_lines(path, &n);
	ck_assert_uint_eq(n, 1 + 21 + 2);
	ck_assert_ptr_nonnull(strstr(lines[0], "\"format\":\"libsaas.audit.export\""));
	ck_assert_ptr_nonnull(strstr(lines[0], tenant));
	ck_assert_ptr_nonnull(strstr(lines[1], "\"seq\":1,"));
	ck_assert_ptr_nonnull(strstr(lines[n - 1], "{\"checkpoint\":"));
	free_lines(lines, n);

	r = verify_file(path, pub_a);
	ck_assert_msg(saas_audit_report_ok(r), "%s", saas_audit_report_message(r));
	ck_assert_int_eq(saas_audit_report_events(r), 21);
	ck_assert_int_eq(saas_audit_report_checkpoints(r), 2);
	ck_assert_int_eq(saas_audit_report_last_seq(r), 21);
	/* The same result as the database's verification. */
	ck_ok(saas_audit_verify(&db, ctx, th_scope(tenant)));
	ck_assert_str_eq(saas_audit_report_last_hash(r), saas_audit_report_last_hash(db));
	ck_assert_str_eq(saas_audit_report_message(r), saas_audit_report_message(db));
	saas_audit_report_free(r);
	saas_audit_report_free(db);

	/* The deployment's stream exports too; a tenant with no events is intact. */
	ck_ok(saas_audit_export(ctx, th_scope(SAAS_SYSTEM_TENANT_ID), path2));
	r = verify_file(path2, pub_a);
	ck_assert(saas_audit_report_ok(r));
	ck_assert_int_ge(saas_audit_report_events(r), 1);
	saas_audit_report_free(r);
	unlink(path2);
	ck_ok(saas_audit_export(ctx, th_scope("ten_01M8FXAZGT7RF9ENFY4MQX648T"), path2));
	r = verify_file(path2, NULL);
	ck_assert(saas_audit_report_ok(r));
	ck_assert_int_eq(saas_audit_report_events(r), 0);
	saas_audit_report_free(r);
}
END_TEST

START_TEST(changed_line_is_found)
{
	saas_audit_report *r;
	size_t n;
	char **lines;
	char *p;

	fill(10);
	ck_ok(saas_audit_export(ctx, th_scope(tenant), path));
	lines = read_lines(path, &n);
	/* Line 1 + 7 is event 7: change its metadata. */
	p = strstr(lines[7], "\\\"i\\\":5");
	ck_assert_ptr_nonnull(p);
	p[5] = '6';
	write_lines(path2, lines, n, (size_t)-1);
	free_lines(lines, n);
	r = verify_file(path2, pub_a);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_CHANGED);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 7);
	ck_assert_int_eq(saas_audit_report_events(r), 6);
	saas_audit_report_free(r);
}
END_TEST

START_TEST(deleted_line_is_missing)
{
	saas_audit_report *r;
	size_t n;
	char **lines;

	fill(10);
	ck_ok(saas_audit_export(ctx, th_scope(tenant), path));
	lines = read_lines(path, &n);
	write_lines(path2, lines, n, 4); /* event 4 */
	r = verify_file(path2, pub_a);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_MISSING);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 4);
	saas_audit_report_free(r);
	unlink(path2);

	/* The last event deleted: the signed checkpoint shows the cut. */
	write_lines(path2, lines, n, 11);
	r = verify_file(path2, pub_a);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_CUT);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 11);
	saas_audit_report_free(r);
	free_lines(lines, n);
}
END_TEST

START_TEST(wrong_key_is_bad_signature)
{
	saas_audit_report *r;

	fill(6);
	ck_ok(saas_audit_export(ctx, th_scope(tenant), path));
	r = verify_file(path, pub_b);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), 5); /* the first checkpoint */
	saas_audit_report_free(r);
	r = verify_file(path, NULL);
	ck_assert_int_eq(saas_audit_report_damage(r), SAAS_AUDIT_BAD_SIGNATURE);
	saas_audit_report_free(r);
	/* Both keys given: fine. */
	{
		const char *keys[2] = {pub_b, pub_a};
		ck_ok(saas_audit_verify_file(&r, path, keys, 2));
		ck_assert(saas_audit_report_ok(r));
		saas_audit_report_free(r);
	}
}
END_TEST

START_TEST(refuses_to_overwrite)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs("mine\n", f);
	fclose(f);
	ck_rc(saas_audit_export(ctx, th_scope(tenant), path), SAAS_EEXISTS);
	ck_field("path");
	{
		char buf[16] = {0};
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
		fclose(f);
		ck_assert_str_eq(buf, "mine\n");
	}
}
END_TEST

START_TEST(bad_arguments)
{
	saas_audit_report *r = NULL;
	const char *bad[1] = {"saas-audit-pub-v1:x:nope"};
	FILE *f;

	ck_rc(saas_audit_export(NULL, th_scope(tenant), path), SAAS_EINVAL);
	ck_rc(saas_audit_export(ctx, NULL, path), SAAS_EINVAL);
	ck_rc(saas_audit_export(ctx, th_system(), path), SAAS_EINVAL);
	ck_rc(saas_audit_export(ctx, th_scope(tenant), NULL), SAAS_EINVAL);
	ck_field("path");
	ck_rc(saas_audit_export(ctx, th_scope(tenant), "/nonexistent-dir/x.jsonl"), SAAS_EINVAL);
	ck_assert_int_ne(access(path, F_OK), 0);

	ck_rc(saas_audit_verify_file(NULL, path, NULL, 0), SAAS_EINVAL);
	ck_rc(saas_audit_verify_file(&r, NULL, NULL, 0), SAAS_EINVAL);
	ck_rc(saas_audit_verify_file(&r, path, NULL, 0), SAAS_ENOTFOUND);
	ck_ok(saas_audit_export(ctx, th_scope(tenant), path));
	ck_rc(saas_audit_verify_file(&r, path, bad, 1), SAAS_EINVAL);
	ck_field("public_keys");
	ck_rc(saas_audit_verify_file(&r, path, NULL, 1), SAAS_EINVAL);
	ck_assert_ptr_null(r);

	/* Malformed files name the line. */
	f = fopen(path2, "w");
	fputs("{\"format\":\"libsaas.audit.export\",\"version\":1,\"tenant_id\":\"t\"}\n", f);
	fputs("{\"tenant_id\":\"t\",\"seq\":1}\n", f);
	fclose(f);
	ck_rc(saas_audit_verify_file(&r, path2, NULL, 0), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "line 2"));
	unlink(path2);
	f = fopen(path2, "w");
	fputs("not json\n", f);
	fclose(f);
	ck_rc(saas_audit_verify_file(&r, path2, NULL, 0), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "line 1"));
	unlink(path2);
	f = fopen(path2, "w");
	fclose(f);
	ck_rc(saas_audit_verify_file(&r, path2, NULL, 0), SAAS_EINVAL);
	ck_assert_ptr_null(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_export");
	TCase *tc = tcase_create("export");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, export_verifies_intact);
	tcase_add_test(tc, changed_line_is_found);
	tcase_add_test(tc, deleted_line_is_missing);
	tcase_add_test(tc, wrong_key_is_bad_signature);
	tcase_add_test(tc, refuses_to_overwrite);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE, &url, suite);
}
