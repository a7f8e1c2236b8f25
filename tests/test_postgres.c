/*
 * The PostgreSQL backend beyond the conformance suite: row-level security as
 * the application role sees it, the schema's RLS catalogue, connection errors
 * (without leaking the password), reconnection, and the driver's pipelining
 * (round trips per transaction, errors inside a pipeline).
 *
 * Usage: test_postgres URL (the application role's URL), with
 * SAAS_TEST_POSTGRES_OWNER_URL set; tests/conformance/run-postgres.sh migrates
 * and passes both, or exits 77 (skipped) when no server is configured.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "store/store.h"

static const char *url;
static saas_ctx *ctx;

static const char *const owner[] = {"owner"};
static const char *const member[] = {"member"};

static void setup(void)
{
	ctx = th_open(url);
}

static void teardown(void)
{
	th_close(ctx);
}

/* ---- small helpers over the internal store API ------------------------------------ */

/* Run `q` (binding one optional text parameter) and return the first column of
 * its first row as an integer; fails the test on error. */
static int64_t scalar(saas_tx *tx, saas_query *q, const char *arg)
{
	saas_stmt *st;
	int64_t v;

	if (arg)
		ck_ok(saas__q_open(&st, tx, q, "s", arg));
	else
		ck_ok(saas__q_open(&st, tx, q, ""));
	int rc = saas__q_step(st);
	ck_assert_msg(rc == 1, "%s: no row (%d: %s)", q->sql, rc,
	              saas_error_message(saas_error_last()));
	v = saas__q_int(st, 0);
	saas__q_close(st);
	return v;
}

/* The first column of the first row as text (copied into buf). */
static const char *scalar_text(char *buf, size_t size, saas_tx *tx, saas_query *q, const char *arg)
{
	saas_stmt *st;

	if (arg)
		ck_ok(saas__q_open(&st, tx, q, "s", arg));
	else
		ck_ok(saas__q_open(&st, tx, q, ""));
	ck_assert_int_eq(saas__q_step(st), 1);
	snprintf(buf, size, "%s", saas__q_text(st, 0) ? saas__q_text(st, 0) : "(null)");
	saas__q_close(st);
	return buf;
}

/* One COUNT(*) per tenant table, in saas__tenant_tables order (a table name
 * cannot be a parameter). */
static saas_query q_count_all[] = {
	SAAS_QUERY("SELECT COUNT(*) FROM member_roles"),
	SAAS_QUERY("SELECT COUNT(*) FROM memberships"),
	SAAS_QUERY("SELECT COUNT(*) FROM invitations"),
	SAAS_QUERY("SELECT COUNT(*) FROM audit_events"),
	SAAS_QUERY("SELECT COUNT(*) FROM audit_checkpoints"),
	SAAS_QUERY("SELECT COUNT(*) FROM audit_anchors"),
	SAAS_QUERY("SELECT COUNT(*) FROM tenant_roles"),
	SAAS_QUERY("SELECT COUNT(*) FROM support_grants"),
	SAAS_QUERY("SELECT COUNT(*) FROM api_keys"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_subscriptions"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_overrides"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_provider_events"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_usage_records"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_usage_totals"),
	SAAS_QUERY("SELECT COUNT(*) FROM webhook_attempts"),
	SAAS_QUERY("SELECT COUNT(*) FROM webhook_deliveries"),
	SAAS_QUERY("SELECT COUNT(*) FROM webhook_secrets"),
	SAAS_QUERY("SELECT COUNT(*) FROM webhook_endpoints"),
};
static saas_query q_count_of[] = {
	SAAS_QUERY("SELECT COUNT(*) FROM member_roles WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM memberships WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM invitations WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM audit_checkpoints WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM audit_anchors WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM tenant_roles WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM support_grants WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM api_keys WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_subscriptions WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_overrides WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_provider_events WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_usage_records WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM billing_usage_totals WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM webhook_attempts WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM webhook_deliveries WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM webhook_secrets WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT COUNT(*) FROM webhook_endpoints WHERE tenant_id = $1"),
};
static saas_query q_update_of[] = {
	SAAS_QUERY("UPDATE member_roles SET role = role WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE memberships SET updated_at = 0 WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE invitations SET revoked_at = 0 WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE audit_events SET action = 'x' WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE audit_checkpoints SET key_id = 'x' WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE audit_anchors SET key_id = 'x' WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE tenant_roles SET inherits = '[]' WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE support_grants SET role = 'viewer' WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE api_keys SET name = 'x' WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE billing_subscriptions SET flags = flags WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE billing_overrides SET reason = NULL WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE billing_provider_events SET outcome = outcome WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE billing_usage_records SET quantity = quantity WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE billing_usage_totals SET used = used WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE webhook_attempts SET error = error WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE webhook_deliveries SET attempts = attempts WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE webhook_secrets SET expires_at = expires_at WHERE tenant_id = $1"),
	SAAS_QUERY("UPDATE webhook_endpoints SET enabled = enabled WHERE tenant_id = $1"),
};
static saas_query q_delete_of[] = {
	SAAS_QUERY("DELETE FROM member_roles WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM memberships WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM invitations WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM audit_events WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM audit_checkpoints WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM audit_anchors WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM tenant_roles WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM support_grants WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM api_keys WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_subscriptions WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_overrides WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_provider_events WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_usage_records WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_usage_totals WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM webhook_attempts WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM webhook_deliveries WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM webhook_secrets WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM webhook_endpoints WHERE tenant_id = $1"),
};
#define NTABLES 18
static saas_query q_insert_event = SAAS_QUERY(
	"INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id, action,"
	" format, prev_hash, hash) VALUES ($1, 999, 'evt_x', 0, 'system', 'test', 'forged', 1,"
	" 'forged', 'forged')");
static saas_query q_insert_member = SAAS_QUERY(
	"INSERT INTO memberships (tenant_id, id, user_id, created_at, updated_at)"
	" VALUES ($1, 'mem_x', $2, 0, 0)");

static void tables_are_listed(void)
{
	size_t n = 0;
	while (saas__tenant_tables[n])
		n++;
	ck_assert_msg(n == NTABLES, "saas__tenant_tables has %zu tables; update this test", n);
	ck_assert_str_eq(saas__tenant_tables[0], "member_roles");
	ck_assert_str_eq(saas__tenant_tables[3], "audit_events");
}

/* Two tenants with a member, an invitation and audit events each. */
static void two_tenants(const char **a, const char **b)
{
	const char *u = th_user(ctx, "u@example.com");
	const char *v = th_user(ctx, "v@example.com");
	saas_invitation *inv;
	char *token;

	*a = th_tenant(ctx, "alpha");
	*b = th_tenant(ctx, "beta");
	ck_ok(saas_member_add(NULL, ctx, th_scope(*a), u, owner, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(*b), v, owner, 1));
	ck_ok(saas_invitation_create(&inv, &token, ctx, th_scope(*a), "n@example.com", member, 1, 0));
	saas_invitation_free(inv);
	saas_free_secret(token);
	ck_ok(saas_invitation_create(&inv, &token, ctx, th_scope(*b), "n@example.com", member, 1, 0));
	saas_invitation_free(inv);
	saas_free_secret(token);
	th_custom_role(ctx, *a);
	th_custom_role(ctx, *b);
	th_support_grant(ctx, *a);
	th_support_grant(ctx, *b);
	th_apikey(ctx, *a, u);
	th_apikey(ctx, *b, v);
	th_billing(ctx, *a);
	th_billing(ctx, *b);
	th_webhook(ctx, *a);
	th_webhook(ctx, *b);
	th_audit_anchor_and_checkpoint(ctx, *a);
	th_audit_anchor_and_checkpoint(ctx, *b);
}

/* ---- row-level security ------------------------------------------------------------ */

START_TEST(no_tenant_sees_and_writes_nothing)
{
	const char *a, *b;
	saas_tx *tx;

	tables_are_listed();
	two_tenants(&a, &b);

	/* A transaction without a tenant: every tenant table looks empty. */
	ck_ok(saas__tx_begin(&tx, ctx, NULL, false));
	for (int i = 0; i < NTABLES; i++)
		ck_assert_msg(scalar(tx, &q_count_all[i], NULL) == 0, "%s shows rows without a tenant",
		              saas__tenant_tables[i]);
	saas__tx_rollback(tx);

	/* Cleared after being set (the setting then reads '' rather than NULL). */
	ck_ok(saas__tx_begin(&tx, ctx, a, false));
	ck_assert_int_gt(scalar(tx, &q_count_all[1], NULL), 0);
	ck_ok(saas__tx_set_tenant(tx, NULL));
	for (int i = 0; i < NTABLES; i++)
		ck_assert_int_eq(scalar(tx, &q_count_all[i], NULL), 0);
	saas__tx_rollback(tx);

	/* And it cannot write a tenant row. */
	ck_ok(saas__tx_begin(&tx, ctx, NULL, true));
	ck_rc(saas__q_exec(tx, &q_insert_event, NULL, "s", a), SAAS_EDENIED);
	saas__tx_rollback(tx);
	ck_ok(saas__tx_begin(&tx, ctx, NULL, true));
	for (int i = 0; i < NTABLES; i++) {
		int64_t changed = -1;
		ck_ok(saas__q_exec(tx, &q_delete_of[i], &changed, "s", a));
		ck_assert_int_eq(changed, 0);
	}
	ck_ok(saas__tx_commit(tx));

	/* Nothing was lost. */
	ck_ok(saas__tx_begin(&tx, ctx, a, false));
	for (int i = 0; i < NTABLES; i++)
		ck_assert_int_gt(scalar(tx, &q_count_all[i], NULL), 0);
	saas__tx_rollback(tx);
}
END_TEST

START_TEST(a_tenant_sees_and_writes_only_its_rows)
{
	const char *a, *b;
	saas_tx *tx;
	int64_t own[NTABLES], theirs[NTABLES];

	two_tenants(&a, &b);
	ck_ok(saas__tx_begin(&tx, ctx, b, false));
	for (int i = 0; i < NTABLES; i++) {
		theirs[i] = scalar(tx, &q_count_all[i], NULL);
		ck_assert_int_gt(theirs[i], 0);
	}
	saas__tx_rollback(tx);

	ck_ok(saas__tx_begin(&tx, ctx, a, true));
	for (int i = 0; i < NTABLES; i++) {
		int64_t changed = -1;
		/* B's rows are invisible, even asked for by tenant_id */
		ck_assert_int_eq(scalar(tx, &q_count_of[i], b), 0);
		own[i] = scalar(tx, &q_count_all[i], NULL);
		ck_assert_int_eq(own[i], scalar(tx, &q_count_of[i], a));
		/* and cannot be updated or deleted */
		ck_ok(saas__q_exec(tx, &q_update_of[i], &changed, "s", b));
		ck_assert_int_eq(changed, 0);
		ck_ok(saas__q_exec(tx, &q_delete_of[i], &changed, "s", b));
		ck_assert_int_eq(changed, 0);
	}
	ck_ok(saas__tx_commit(tx));

	/* nor inserted */
	ck_ok(saas__tx_begin(&tx, ctx, a, true));
	ck_rc(saas__q_exec(tx, &q_insert_event, NULL, "s", b), SAAS_EDENIED);
	saas__tx_rollback(tx);
	ck_ok(saas__tx_begin(&tx, ctx, a, true));
	ck_rc(saas__q_exec(tx, &q_insert_member, NULL, "ss", b, th_user(ctx, "w@example.com")),
	      SAAS_EDENIED);
	saas__tx_rollback(tx);

	/* B is intact. */
	ck_ok(saas__tx_begin(&tx, ctx, b, false));
	for (int i = 0; i < NTABLES; i++)
		ck_assert_int_eq(scalar(tx, &q_count_all[i], NULL), theirs[i]);
	saas__tx_rollback(tx);
}
END_TEST

/* The tenant set by one transaction never reaches the next one on the same
 * (pooled) connection. */
START_TEST(a_pooled_connection_forgets_the_tenant)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *one;
	const char *a, *b;
	saas_tx *tx;

	two_tenants(&a, &b);
	o.pool_size = 1;
	ck_ok(saas_ctx_open(&one, url, &o));
	for (int round = 0; round < 2; round++) {
		ck_ok(saas__tx_begin(&tx, one, a, false));
		ck_assert_int_gt(scalar(tx, &q_count_all[1], NULL), 0);
		if (round == 0)
			ck_ok(saas__tx_commit(tx));
		else
			saas__tx_rollback(tx);
		ck_ok(saas__tx_begin(&tx, one, NULL, false));
		ck_assert_int_eq(scalar(tx, &q_count_all[1], NULL), 0);
		saas__tx_rollback(tx);
	}
	saas_ctx_free(one);
}
END_TEST

/* ---- the catalogue ------------------------------------------------------------------ */

static saas_query q_tenant_tables = SAAS_QUERY(
	"SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	" JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped"
	" WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1");
static saas_query q_rls = SAAS_QUERY(
	"SELECT CASE WHEN relrowsecurity AND relforcerowsecurity THEN 1 ELSE 0 END"
	" FROM pg_class WHERE oid = CAST($1 AS regclass)");
static saas_query q_policies = SAAS_QUERY(
	"SELECT COUNT(*) FROM pg_policy WHERE polrelid = CAST($1 AS regclass)");
/* Policies that would not work on Citus (a subquery) or do not key on the
 * tenant setting. */
static saas_query q_bad_policies = SAAS_QUERY(
	"SELECT COUNT(*) FROM pg_policies WHERE schemaname = current_schema() AND tablename = $1"
	" AND (qual IS NULL OR with_check IS NULL"
	" OR qual ILIKE '%select%' OR with_check ILIKE '%select%'"
	" OR qual NOT LIKE '%current_setting(''saas.tenant_id''%'"
	" OR with_check NOT LIKE '%current_setting(''saas.tenant_id''%')");
/* Primary keys and unique constraints without tenant_id, and foreign keys
 * into a table with tenant_id that do not carry it. */
static saas_query q_keys_without_tenant = SAAS_QUERY(
	"SELECT COUNT(*) FROM pg_constraint k WHERE k.conrelid = CAST($1 AS regclass)"
	" AND (k.contype IN ('p', 'u') OR (k.contype = 'f' AND EXISTS (SELECT 1 FROM pg_attribute r"
	"  WHERE r.attrelid = k.confrelid AND r.attname = 'tenant_id')))"
	" AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = k.conrelid"
	"  AND a.attname = 'tenant_id' AND a.attnum = ANY (k.conkey))");
static saas_query q_unique_indexes_without_tenant = SAAS_QUERY(
	"SELECT COUNT(*) FROM pg_index i WHERE i.indrelid = CAST($1 AS regclass) AND i.indisunique"
	" AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid"
	"  AND a.attname = 'tenant_id' AND a.attnum = ANY (i.indkey))");
static saas_query q_owner_is_me = SAAS_QUERY(
	"SELECT CASE WHEN pg_get_userbyid(relowner) = current_user THEN 1 ELSE 0 END"
	" FROM pg_class WHERE oid = CAST($1 AS regclass)");
static saas_query q_role_bypasses = SAAS_QUERY(
	"SELECT CASE WHEN rolsuper OR rolbypassrls THEN 1 ELSE 0 END FROM pg_roles"
	" WHERE rolname = current_user");
static saas_query q_global_rls = SAAS_QUERY(
	"SELECT COUNT(*) FROM pg_class WHERE relrowsecurity AND oid IN"
	" (CAST('tenants' AS regclass), CAST('users' AS regclass),"
	"  CAST('saas_schema_migrations' AS regclass))");
static saas_query q_set_tenant_fn = SAAS_QUERY(
	"SELECT pg_get_functiondef(CAST('saas_set_tenant(text)' AS regprocedure))");

START_TEST(every_tenant_table_is_under_rls)
{
	saas_tx *tx;
	saas_stmt *st;
	char *tables[64], buf[2048];
	size_t n = 0;
	int rc;

	ck_ok(saas__tx_begin(&tx, ctx, NULL, false));
	/* The test means something only if the application role is subject to RLS. */
	ck_assert_msg(scalar(tx, &q_role_bypasses, NULL) == 0,
	              "the application role is a superuser or has BYPASSRLS: RLS does not apply "
	              "to it");
	ck_ok(saas__q_open(&st, tx, &q_tenant_tables, ""));
	while ((rc = saas__q_step(st)) == 1 && n < 64)
		tables[n++] = saas__q_dup(st, 0);
	ck_assert_int_eq(rc, 0);
	saas__q_close(st);
	ck_assert_uint_ge(n, NTABLES);
	for (size_t i = 0; i < n; i++) {
		const char *t = tables[i];
		ck_assert_msg(scalar(tx, &q_rls, t) == 1,
		              "%s: row-level security is not both ENABLEd and FORCEd", t);
		ck_assert_msg(scalar(tx, &q_policies, t) >= 1, "%s has no policy", t);
		ck_assert_msg(scalar(tx, &q_bad_policies, t) == 0,
		              "%s: a policy lacks USING/WITH CHECK on saas.tenant_id or has a subquery",
		              t);
		ck_assert_msg(scalar(tx, &q_keys_without_tenant, t) == 0,
		              "%s: a primary key, unique constraint or foreign key lacks tenant_id", t);
		ck_assert_msg(scalar(tx, &q_unique_indexes_without_tenant, t) == 0,
		              "%s: a unique index lacks tenant_id", t);
		ck_assert_msg(scalar(tx, &q_owner_is_me, t) == 0,
		              "%s is owned by the application role", t);
		free(tables[i]);
	}
	/* Global tables have no RLS. */
	ck_assert_int_eq(scalar(tx, &q_global_rls, NULL), 0);
	/* The tenant is set with SET LOCAL, not set_config (Citus). */
	scalar_text(buf, sizeof buf, tx, &q_set_tenant_fn, NULL);
	ck_assert_ptr_nonnull(strstr(buf, "SET LOCAL saas.tenant_id"));
	ck_assert_ptr_null(strstr(buf, "set_config"));
	saas__tx_rollback(tx);
}
END_TEST

/* ---- connections -------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(a_bad_url_fails_cleanly_without_the_password)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;
	const char *msg;

	double t0 = now_s();
	ck_rc(saas_ctx_open(&c, "postgresql://saas_app:hunter2-secret@nohost.invalid/x", &o),
	      SAAS_ESTORE);
	ck_assert_ptr_null(c);
	ck_assert_msg(now_s() - t0 < 15.0, "a failed connection took %.1f s", now_s() - t0);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "nohost.invalid") != NULL, "message does not name the host: %s",
	              msg);
	ck_assert_msg(strstr(msg, "hunter2") == NULL, "message shows the password: %s", msg);

	/* a password given as a parameter is hidden too */
	ck_rc(saas_ctx_open(&c, "postgresql://nohost.invalid/x?user=a&password=hunter2-secret", &o),
	      SAAS_ESTORE);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "hunter2") == NULL, "message shows the password: %s", msg);

	/* a malformed URL */
	ck_rc(saas_ctx_open(&c, "postgresql://u:hunter2-secret@[::1/x", &o), SAAS_EINVAL);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "hunter2") == NULL, "message shows the password: %s", msg);
}
END_TEST

START_TEST(a_wrong_password_fails_cleanly)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;
	char bad[1024];
	const char *at = strstr(url, "user=saas_app");

	/* scripts/pg-test-server.sh makes role saas_pw log in with a password;
	 * on another server the role may not exist, which fails the same way. */
	if (at)
		snprintf(bad, sizeof bad, "%.*suser=saas_pw%s&password=wrong-pw-123", (int)(at - url),
		         url, at + strlen("user=saas_app"));
	else
		snprintf(bad, sizeof bad, "%s%suser=saas_pw&password=wrong-pw-123", url,
		         strchr(url, '?') ? "&" : "?");
	ck_rc(saas_ctx_open(&c, bad, &o), SAAS_ESTORE);
	const char *msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "wrong-pw-123") == NULL, "message shows the password: %s", msg);
	ck_assert_msg(strstr(msg, "saas") != NULL, "message does not name the database: %s", msg);
	if (at)
		ck_assert_msg(strstr(msg, "password authentication failed") != NULL, "%s", msg);
}
END_TEST

static saas_query q_pid = SAAS_QUERY("SELECT pg_backend_pid()");
static saas_query q_kill = SAAS_QUERY(
	"SELECT CASE WHEN pg_terminate_backend(CAST($1 AS INTEGER), 5000) THEN 1 ELSE 0 END");

static void kill_backend(int64_t pid)
{
	saas_tx *tx;
	char p[24];

	snprintf(p, sizeof p, "%lld", (long long)pid);
	ck_ok(saas__tx_begin(&tx, ctx, NULL, false));
	ck_assert_int_eq(scalar(tx, &q_kill, p), 1);
	saas__tx_rollback(tx);
}

/* A connection the server dropped: idle in the pool, the next call succeeds on
 * a new one; in the middle of a transaction, the call fails with SAAS_ESTORE,
 * nothing is applied, and the call after it succeeds. */
START_TEST(a_dropped_connection_is_replaced)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *one;
	saas_tx *tx;
	int64_t pid, pid2;

	o.pool_size = 1;
	ck_ok(saas_ctx_open(&one, url, &o));
	ck_ok(saas__tx_begin(&tx, one, NULL, false));
	pid = scalar(tx, &q_pid, NULL);
	saas__tx_rollback(tx);

	/* idle */
	kill_backend(pid);
	ck_ok(saas__tx_begin(&tx, one, NULL, false));
	pid2 = scalar(tx, &q_pid, NULL);
	saas__tx_rollback(tx);
	ck_assert_int_ne(pid, pid2);
	ck_ok(saas_tenant_create(NULL, one, th_system(), "after-idle", "After"));

	/* in a transaction: a tenant created, then the connection lost */
	saas_tenant *t;
	ck_ok(saas_tenant_create(&t, one, th_system(), "victim", "Victim"));
	ck_ok(saas__tx_begin(&tx, one, saas_tenant_id(t), true));
	pid = scalar(tx, &q_pid, NULL);
	ck_ok(saas__q_exec(tx, &q_insert_event, NULL, "s", saas_tenant_id(t)));
	kill_backend(pid);
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, &q_pid, "");
	if (!rc) {
		rc = saas__q_step(st);
		saas__q_close(st);
	}
	ck_assert_int_eq(rc, SAAS_ESTORE);
	ck_assert_msg(strstr(saas_error_message(saas_error_last()), "connection") != NULL, "%s",
	              saas_error_message(saas_error_last()));
	saas__tx_rollback(tx);

	/* the next call works, and the lost transaction left nothing */
	ck_ok(saas__tx_begin(&tx, one, saas_tenant_id(t), false));
	ck_assert_int_ne(scalar(tx, &q_pid, NULL), pid);
	ck_assert_int_eq(scalar(tx, &q_count_all[3], NULL), 1); /* tenant.created only */
	saas__tx_rollback(tx);
	saas_tenant_free(t);
	saas_ctx_free(one);
}
END_TEST

/* ---- pipelining ----------------------------------------------------------------------- */

/* lib/store/postgres/postgres.c: network round trips waited for, all
 * connections together (this test runs alone). */
unsigned long long saas__pg_round_trips(void);

static saas_query q_one = SAAS_QUERY("SELECT 1");
static saas_query q_fresh = SAAS_QUERY("SELECT 2");
static saas_query q_setting = SAAS_QUERY("SELECT current_setting('saas.tenant_id', true)");
static saas_query q_lock_timeout = SAAS_QUERY("SELECT current_setting('lock_timeout')");
static saas_query q_divide = SAAS_QUERY("SELECT 1 / (CAST($1 AS INTEGER) - 1)");
static saas_query q_bad_sql = SAAS_QUERY("SELEC 1");

/* Run `q` (one optional text parameter) expecting it to fail; returns its code. */
static int fails(saas_tx *tx, saas_query *q, const char *arg)
{
	saas_stmt *st;
	int rc = arg ? saas__q_open(&st, tx, q, "s", arg) : saas__q_open(&st, tx, q, "");

	if (rc)
		return rc;
	rc = saas__q_step(st);
	saas__q_close(st);
	ck_assert_msg(rc < 0, "%s did not fail", q->sql);
	return rc;
}

static void assert_message_has(const char *part)
{
	const char *msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, part) != NULL, "message lacks '%s': %s", part, msg);
}

static void assert_message_lacks(const char *part)
{
	const char *msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, part) == NULL, "message has '%s': %s", part, msg);
}

/* BEGIN, the lock timeout, the tenant and the first statement travel in one
 * round trip; a transaction that runs nothing costs none; the COMMIT of a
 * read and every ROLLBACK are not waited for (their answer comes with the
 * connection's next round trip). */
START_TEST(a_transaction_costs_a_round_trip_per_statement)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *one;
	const char *a, *b;
	saas_tx *tx;
	char buf[128];
	unsigned long long r0;

	two_tenants(&a, &b);
	o.pool_size = 1;
	ck_ok(saas_ctx_open(&one, url, &o));

	/* nothing run: nothing sent, committed or rolled back */
	r0 = saas__pg_round_trips();
	ck_ok(saas__tx_begin(&tx, one, a, true));
	ck_ok(saas__tx_commit(tx));
	ck_ok(saas__tx_begin(&tx, one, a, false));
	saas__tx_rollback(tx);
	ck_ok(saas__tx_begin(&tx, one, NULL, false));
	ck_ok(saas__tx_set_tenant(tx, b));
	ck_ok(saas__tx_commit(tx));
	ck_assert_int_eq(saas__pg_round_trips() - r0, 0);

	/* one statement, including its first preparation on this connection:
	 * the pipeline, then (for a write) COMMIT */
	r0 = saas__pg_round_trips();
	ck_ok(saas__tx_begin(&tx, one, a, true));
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), a);
	ck_assert_int_eq(saas__pg_round_trips() - r0, 1);
	ck_ok(saas__tx_commit(tx));
	ck_assert_int_eq(saas__pg_round_trips() - r0, 2);
	r0 = saas__pg_round_trips();
	ck_ok(saas__tx_begin(&tx, one, b, false));
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), b);
	ck_ok(saas__tx_commit(tx));
	ck_ok(saas__tx_begin(&tx, one, a, false));
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), a);
	saas__tx_rollback(tx);
	ck_ok(saas__tx_begin(&tx, one, b, true));
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), b);
	saas__tx_rollback(tx);
	ck_assert_int_eq(saas__pg_round_trips() - r0, 3);

	/* inside the transaction, with the lock timeout */
	ck_ok(saas__tx_begin(&tx, one, a, false));
	scalar_text(buf, sizeof buf, tx, &q_lock_timeout, NULL);
	ck_assert_msg(strcmp(buf, "0") != 0, "lock_timeout is %s: SET LOCAL did not apply", buf);
	saas__tx_rollback(tx);

	/* each further statement one more, prepared or not */
	r0 = saas__pg_round_trips();
	ck_ok(saas__tx_begin(&tx, one, a, false));
	ck_assert_int_eq(scalar(tx, &q_one, NULL), 1);
	ck_assert_int_eq(scalar(tx, &q_fresh, NULL), 2);
	ck_assert_int_eq(scalar(tx, &q_one, NULL), 1);
	saas__tx_rollback(tx);
	ck_assert_int_eq(saas__pg_round_trips() - r0, 3);

	/* switching the tenant rides with the next statement */
	ck_ok(saas__tx_begin(&tx, one, a, false));
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), a);
	ck_ok(saas__tx_set_tenant(tx, b));
	r0 = saas__pg_round_trips();
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), b);
	ck_assert_int_eq(saas__pg_round_trips() - r0, 1);
	ck_ok(saas__tx_set_tenant(tx, a));
	ck_ok(saas__tx_set_tenant(tx, NULL));
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), "");
	ck_assert_int_eq(scalar(tx, &q_count_all[1], NULL), 0);
	ck_ok(saas__tx_set_tenant(tx, b));
	ck_assert_int_gt(scalar(tx, &q_count_all[1], NULL), 0);
	ck_ok(saas__tx_commit(tx));

	/* a typical read: the tenant check, the membership, its roles */
	const char *u = th_user(ctx, "rt@example.com");
	saas_member *m;
	ck_ok(saas_member_add(NULL, one, th_scope(a), u, member, 1));
	ck_ok(saas_member_get(&m, one, th_scope(a), u));
	saas_member_free(m);
	r0 = saas__pg_round_trips();
	ck_ok(saas_member_get(&m, one, th_scope(a), u));
	saas_member_free(m);
	ck_assert_int_eq(saas__pg_round_trips() - r0, 3);
	saas_ctx_free(one);
}
END_TEST

/* A decision the cache does not hold reads everything it needs in one round
 * trip (the tenant, the member's roles, the custom roles, or a support
 * actor's grants); a cached one in none. */
START_TEST(an_uncached_decision_costs_one_round_trip)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *off, *on;
	saas_scope *user, *staff;
	const char *a, *b, *u;
	unsigned long long r0;
	char *g;

	two_tenants(&a, &b);
	u = th_user(ctx, "decide@example.com");
	ck_ok(saas_member_add(NULL, ctx, th_scope(a), u, (const char *[]){"custom"}, 1));
	ck_ok(saas_support_grant(&g, ctx, th_scope(a), "sam", "viewer",
	                         saas_ctx_now(ctx) + 3600 * 1000));
	saas_free(g);
	ck_ok(saas_scope_new(&user, a, SAAS_ACTOR_USER, u));
	ck_ok(saas_scope_new(&staff, a, SAAS_ACTOR_SUPPORT, "sam"));
	o.pool_size = 1;
	o.clock = th_clock;
	o.authz_cache_size = 0;
	ck_ok(saas_ctx_open(&off, url, &o));
	ck_ok(saas_authorize(NULL, off, user, "project:read")); /* prepares on the connection */
	ck_ok(saas_authorize(NULL, off, staff, "member:read"));
	for (int i = 0; i < 3; i++) {
		r0 = saas__pg_round_trips();
		ck_ok(saas_authorize(NULL, off, user, "project:read"));
		ck_assert_int_eq(saas__pg_round_trips() - r0, 1);
		r0 = saas__pg_round_trips();
		ck_ok(saas_authorize(NULL, off, staff, "member:read"));
		ck_assert_int_eq(saas__pg_round_trips() - r0, 1);
	}
	o.authz_cache_size = 100;
	o.authz_refresh_ms = 3600 * 1000;
	ck_ok(saas_ctx_open(&on, url, &o));
	ck_ok(saas_authorize(NULL, on, user, "project:read"));
	r0 = saas__pg_round_trips();
	for (int i = 0; i < 10; i++)
		ck_ok(saas_authorize(NULL, on, user, "project:read"));
	ck_assert_int_eq(saas__pg_round_trips() - r0, 0);
	saas_ctx_free(off);
	saas_ctx_free(on);
	saas_scope_free(user);
	saas_scope_free(staff);
}
END_TEST

/* The first failing message of a pipeline decides the error; the transaction
 * is then aborted, later statements fail at once, and the connection serves
 * the next transaction after the rollback. */
START_TEST(a_failure_in_a_pipeline_names_what_failed)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *one;
	const char *a, *b;
	saas_tx *tx;
	char buf[128];
	int64_t pid;

	two_tenants(&a, &b);
	o.pool_size = 1;
	ck_ok(saas_ctx_open(&one, url, &o));
	ck_ok(saas__tx_begin(&tx, one, NULL, false));
	pid = scalar(tx, &q_pid, NULL);
	saas__tx_rollback(tx);

	/* saas_set_tenant fails (a tenant id that is not UTF-8): reported as
	 * such, not as the statement's error */
	ck_ok(saas__tx_begin(&tx, one, "\xff\xfe", false));
	ck_rc(fails(tx, &q_one, NULL), SAAS_ESTORE);
	assert_message_has("saas_set_tenant");
	assert_message_lacks("SELECT 1");
	ck_rc(fails(tx, &q_one, NULL), SAAS_ESTORE);
	assert_message_has("aborted");
	ck_rc(saas__tx_commit(tx), SAAS_ESTORE);

	/* the statement fails in the first pipeline */
	ck_ok(saas__tx_begin(&tx, one, a, true));
	ck_rc(fails(tx, &q_divide, "1"), SAAS_ESTORE);
	assert_message_has("division by zero");
	assert_message_has("SELECT 1 / (CAST");
	ck_rc(fails(tx, &q_one, NULL), SAAS_ESTORE);
	assert_message_has("aborted");
	saas__tx_rollback(tx);

	/* or later */
	ck_ok(saas__tx_begin(&tx, one, a, true));
	pid = scalar(tx, &q_pid, NULL);
	ck_assert_int_eq(scalar(tx, &q_divide, "3"), 0);
	ck_rc(fails(tx, &q_divide, "1"), SAAS_ESTORE);
	ck_rc(fails(tx, &q_one, NULL), SAAS_ESTORE);
	assert_message_has("aborted");
	saas__tx_rollback(tx);

	/* its preparation fails: again on the next use, not "does not exist" */
	for (int i = 0; i < 2; i++) {
		ck_ok(saas__tx_begin(&tx, one, a, false));
		ck_rc(fails(tx, &q_bad_sql, NULL), SAAS_ESTORE);
		assert_message_has("preparing 'SELEC 1'");
		assert_message_has("syntax error");
		saas__tx_rollback(tx);
	}

	/* the same connection, with the right tenant, after all that */
	ck_ok(saas__tx_begin(&tx, one, b, false));
	ck_assert_int_eq(scalar(tx, &q_pid, NULL), pid);
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), b);
	ck_ok(saas__tx_commit(tx));
	saas_ctx_free(one);
}
END_TEST

/* A connection that dies after the transaction began (lazily) but before its
 * first statement: the first pipeline reconnects and is sent again. */
START_TEST(a_connection_lost_before_the_first_statement_is_replaced)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *one;
	const char *a, *b;
	saas_tx *tx;
	char buf[128];
	int64_t pid, pid2;

	two_tenants(&a, &b);
	o.pool_size = 1;
	ck_ok(saas_ctx_open(&one, url, &o));
	ck_ok(saas__tx_begin(&tx, one, NULL, false));
	pid = scalar(tx, &q_pid, NULL);
	ck_ok(saas__tx_commit(tx));

	ck_ok(saas__tx_begin(&tx, one, a, false));
	kill_backend(pid);
	pid2 = scalar(tx, &q_pid, NULL);
	ck_assert_int_ne(pid, pid2);
	ck_assert_str_eq(scalar_text(buf, sizeof buf, tx, &q_setting, NULL), a);
	ck_assert_int_gt(scalar(tx, &q_count_all[1], NULL), 0);
	ck_ok(saas__tx_commit(tx));
	saas_ctx_free(one);
}
END_TEST

/* Concurrent writers to one tenant keep the last-owner rule: two owners each
 * removing the other cannot both succeed. */
struct remover {
	saas_ctx *ctx;
	const char *tenant, *user;
	int rc;
};

static void *remove_member(void *arg)
{
	struct remover *r = arg;
	saas_scope *s;

	saas_scope_new(&s, r->tenant, SAAS_ACTOR_SYSTEM, "remover");
	r->rc = saas_member_remove(r->ctx, s, r->user);
	saas_scope_free(s);
	return NULL;
}

START_TEST(the_last_owner_rule_holds_under_concurrency)
{
	for (int round = 0; round < 10; round++) {
		char slug[32], e1[64], e2[64];
		snprintf(slug, sizeof slug, "owners-%d", round);
		snprintf(e1, sizeof e1, "a%d@example.com", round);
		snprintf(e2, sizeof e2, "b%d@example.com", round);
		const char *t = th_tenant(ctx, slug);
		const char *u1 = th_user(ctx, e1), *u2 = th_user(ctx, e2);
		ck_ok(saas_member_add(NULL, ctx, th_scope(t), u1, owner, 1));
		ck_ok(saas_member_add(NULL, ctx, th_scope(t), u2, owner, 1));

		struct remover r[2] = {{ctx, t, u1, 0}, {ctx, t, u2, 0}};
		pthread_t th[2];
		for (int i = 0; i < 2; i++)
			ck_assert_int_eq(pthread_create(&th[i], NULL, remove_member, &r[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		ck_assert_msg((r[0].rc == SAAS_OK && r[1].rc == SAAS_ESTATE) ||
		                  (r[0].rc == SAAS_ESTATE && r[1].rc == SAAS_OK),
		              "round %d: the removals returned %s and %s", round,
		              saas_code_name(r[0].rc), saas_code_name(r[1].rc));
	}
}
END_TEST

/* Concurrent appends to one audit stream (tenant creations all write to the
 * deployment's stream) get distinct, gapless sequence numbers. */
struct creator {
	saas_ctx *ctx;
	int index;
	int failures;
};

static void *create_tenants(void *arg)
{
	struct creator *w = arg;
	saas_scope *s;
	char slug[32];

	saas_scope_new(&s, NULL, SAAS_ACTOR_SYSTEM, "creator");
	for (int i = 0; i < 10; i++) {
		snprintf(slug, sizeof slug, "c%d-%d", w->index, i);
		if (saas_tenant_create(NULL, w->ctx, s, slug, slug))
			w->failures++;
	}
	saas_scope_free(s);
	return NULL;
}

static saas_query q_stream_gaps = SAAS_QUERY(
	"SELECT COUNT(*) - COALESCE(MAX(seq), 0) FROM audit_events WHERE tenant_id = $1");

START_TEST(concurrent_appends_to_one_stream)
{
	struct creator w[6];
	pthread_t th[6];
	saas_tx *tx;

	for (int i = 0; i < 6; i++) {
		w[i] = (struct creator){ctx, i, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, create_tenants, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	ck_ok(saas__tx_begin(&tx, ctx, SAAS_SYSTEM_TENANT_ID, false));
	ck_assert_int_eq(scalar(tx, &q_count_all[3], NULL), 60);
	ck_assert_int_eq(scalar(tx, &q_stream_gaps, SAAS_SYSTEM_TENANT_ID), 0);
	saas__tx_rollback(tx);
}
END_TEST

/* Several processes migrating one empty schema at once: each migration is
 * applied exactly once and every caller succeeds. The schema is a fresh one
 * (search_path in the URL), created and dropped as the owner. */
struct migrator {
	char url[600];
	int applied;
	int rc;
};

static void *migrate_thread(void *arg)
{
	struct migrator *m = arg;
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c;

	o.auto_migrate = SAAS_MIGRATE_DEFER;
	m->rc = saas_ctx_open(&c, m->url, &o);
	if (!m->rc) {
		m->rc = saas_store_migrate(c, &m->applied);
		saas_ctx_free(c);
	}
	return NULL;
}

static void owner_script(const char *sql)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c;
	saas_tx *tx;

	o.auto_migrate = SAAS_MIGRATE_DEFER;
	ck_ok(saas_ctx_open(&c, getenv("SAAS_TEST_POSTGRES_OWNER_URL"), &o));
	ck_ok(saas__tx_begin(&tx, c, NULL, true));
	ck_ok(saas__tx_finish(tx, saas__store_exec_script(tx, sql)));
	saas_ctx_free(c);
}

START_TEST(concurrent_migrations_apply_each_once)
{
	const char *owner_url = getenv("SAAS_TEST_POSTGRES_OWNER_URL");
	struct migrator m[4];
	pthread_t th[4];
	int total = 0, lib = 0, db = 0;

	ck_assert_ptr_nonnull(owner_url);
	owner_script("DROP SCHEMA IF EXISTS saas_migrate_race CASCADE; "
	             "CREATE SCHEMA saas_migrate_race");
	for (int i = 0; i < 4; i++) {
		snprintf(m[i].url, sizeof m[i].url, "%s%soptions=-csearch_path%%3Dsaas_migrate_race",
		         owner_url, strchr(owner_url, '?') ? "&" : "?");
		m[i].applied = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, migrate_thread, &m[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(m[i].rc == SAAS_OK, "migrator %d: %s", i, saas_code_name(m[i].rc));
		total += m[i].applied;
	}
	saas_ctx *c;
	ck_ok(saas_ctx_open(&c, m[0].url, NULL));
	ck_ok(saas_store_schema_version(c, &db, &lib));
	saas_ctx_free(c);
	ck_assert_int_eq(db, lib);
	ck_assert_int_eq(total, lib);
	owner_script("DROP SCHEMA saas_migrate_race CASCADE");
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("postgres");
	TCase *tc = tcase_create("postgres");

	url = argc > 1 ? argv[1] : getenv("SAAS_TEST_POSTGRES_URL");
	if (!url || !*url) {
		fprintf(stderr, "*** SAAS_TEST_POSTGRES_URL is not set: PostgreSQL suites SKIPPED ***\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, no_tenant_sees_and_writes_nothing);
	tcase_add_test(tc, a_tenant_sees_and_writes_only_its_rows);
	tcase_add_test(tc, a_pooled_connection_forgets_the_tenant);
	tcase_add_test(tc, every_tenant_table_is_under_rls);
	tcase_add_test(tc, a_bad_url_fails_cleanly_without_the_password);
	tcase_add_test(tc, a_wrong_password_fails_cleanly);
	tcase_add_test(tc, a_dropped_connection_is_replaced);
	tcase_add_test(tc, a_transaction_costs_a_round_trip_per_statement);
	tcase_add_test(tc, a_failure_in_a_pipeline_names_what_failed);
	tcase_add_test(tc, an_uncached_decision_costs_one_round_trip);
	tcase_add_test(tc, a_connection_lost_before_the_first_statement_is_replaced);
	tcase_add_test(tc, the_last_owner_rule_holds_under_concurrency);
	tcase_add_test(tc, concurrent_appends_to_one_stream);
	tcase_add_test(tc, concurrent_migrations_apply_each_once);
	suite_add_tcase(s, tc);
	return th_run(s);
}
