/*
 * The PostgreSQL extension header, saas/postgres.h: an application table put
 * under the tenant rules, callbacks inside tenant-scoped transactions, and the
 * application role's grants.
 *
 * Needs SAAS_TEST_POSTGRES_URL (the application role) and
 * SAAS_TEST_POSTGRES_OWNER_URL (the owner, with CREATEROLE: test tables and
 * roles are created and dropped through it); scripts/pg-test-server.sh start
 * prints both. Without them only the refusals on memory: run, and the suite
 * reports itself SKIPPED (exit 77).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "helpers.h"
#include "saas/postgres.h"
#include "store/store.h"

static const char *app_url, *owner_url;
static char app_role[64];
static saas_ctx *ctx;  /* the application role */
static saas_ctx *octx; /* the owner */
static PGconn *owner;  /* the owner, for the test's own SQL */

#define TEST_ROLE "saas_ext_role"
#define TEST_MEMBER "saas_ext_member"

/* ---- libpq helpers for the test's own SQL ------------------------------------------- */

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *connect_url(const char *url)
{
	PGconn *c = PQconnectdb(url);

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "cannot connect to %s: %s", url,
	              PQerrorMessage(c));
	PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

/* Run `sql` (no parameters); fails the test unless it succeeds. */
static void sql_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);

	ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
	              PQerrorMessage(c));
	PQclear(r);
}

/* The first column of the first row of `sql` (with up to three text
 * parameters) as an integer; fails the test on error. */
static long long sql_int(PGconn *c, const char *sql, const char *p1, const char *p2,
                         const char *p3)
{
	const char *p[3] = {p1, p2, p3};
	int n = p3 ? 3 : p2 ? 2 : p1 ? 1 : 0;
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	long long v;

	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
	              PQerrorMessage(c));
	v = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* The SQLSTATE `sql` fails with, or "" when it succeeds (copied into buf). */
static const char *sql_state(char buf[8], PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(buf, 8, "%s", st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? "" : s ? s : "?");
	PQclear(r);
	return buf;
}

/* The URL of the application with its user replaced by `user`, or NULL when
 * the URL does not name its user as user=... */
static const char *url_as(char *buf, size_t size, const char *user)
{
	char key[80];
	const char *at;

	snprintf(key, sizeof key, "user=%s", app_role);
	at = strstr(app_url, key);
	if (!at)
		return NULL;
	snprintf(buf, size, "%.*suser=%s%s", (int)(at - app_url), app_url, user,
	         at + strlen(key));
	return buf;
}

static void drop_test_objects(void)
{
	sql_ok(owner, "DROP VIEW IF EXISTS app_view");
	sql_ok(owner, "DROP TABLE IF EXISTS app_notes, app_plain, app_uuid, app_open");
	sql_ok(owner,
	       "DO $$ DECLARE r text; BEGIN"
	       " FOREACH r IN ARRAY ARRAY['" TEST_MEMBER "', '" TEST_ROLE "'] LOOP"
	       "  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN"
	       "   EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', current_schema(), r);"
	       "   EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %I', current_schema(), r);"
	       "   EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', current_schema(), r);"
	       "   EXECUTE format('DROP ROLE %I', r);"
	       "  END IF;"
	       " END LOOP; END $$");
}

static void setup(void)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	char grant[200];

	ctx = th_open(app_url); /* empties the database */
	o.clock = th_clock;
	ck_ok(saas_ctx_open(&octx, owner_url, &o));
	owner = connect_url(owner_url);
	drop_test_objects();
	sql_ok(owner, "CREATE TABLE app_notes (tenant_id text NOT NULL, id text, body text,"
	              " PRIMARY KEY (tenant_id, id))");
	/* The application's own tables are the application's to grant. */
	snprintf(grant, sizeof grant, "GRANT SELECT, INSERT, UPDATE, DELETE ON app_notes TO \"%s\"",
	         app_role);
	sql_ok(owner, grant);
}

static void teardown(void)
{
	drop_test_objects();
	PQfinish(owner);
	owner = NULL;
	saas_ctx_free(octx);
	octx = NULL;
	th_close(ctx);
}

/* ---- callbacks ------------------------------------------------------------------------ */

/* One statement (with parameters) run by the callback, and what it saw. */
struct call {
	const char *sql;
	const char *params[3];
	int nparams;
	const char *then;  /* a second statement run afterwards ("COMMIT"), or NULL */
	int ret;           /* returned when the statement succeeded */
	int ret_on_error;  /* returned when it failed */
	/* results */
	int called;
	char state[8];     /* the failure's SQLSTATE, "" if none */
	long long value;   /* first column of the first row, if any */
	char text[64];     /* the same as text */
};

static int run_call(PGconn *conn, void *payload)
{
	struct call *c = payload;
	PGresult *r;
	ExecStatusType st;

	c->called++;
	r = PQexecParams(conn, c->sql, c->nparams, NULL, c->params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		snprintf(c->state, sizeof c->state, "%s", s ? s : "?");
		PQclear(r);
		return c->ret_on_error;
	}
	if (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0) {
		c->value = atoll(PQgetvalue(r, 0, 0));
		snprintf(c->text, sizeof c->text, "%s", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	if (c->then)
		PQclear(PQexec(conn, c->then));
	return c->ret;
}

static int with(const char *tenant, struct call *c)
{
	return saas_pg_with_tenant(ctx, th_scope(tenant), run_call, c);
}

static int insert_note(const char *tenant, const char *row_tenant, const char *id,
                       const char *body)
{
	struct call c = {.sql = "INSERT INTO app_notes (tenant_id, id, body) VALUES ($1, $2, $3)",
	                 .params = {row_tenant, id, body}, .nparams = 3, .ret_on_error = 1};
	return with(tenant, &c);
}

/* Rows of app_notes the tenant's transaction sees. */
static long long count_notes(const char *tenant)
{
	struct call c = {.sql = "SELECT COUNT(*) FROM app_notes", .ret_on_error = 1};

	ck_ok(with(tenant, &c));
	return c.value;
}

/* ---- saas_pg_enable_tenant_policy ---------------------------------------------------- */

START_TEST(an_app_table_is_isolated_by_tenant)
{
	const char *a = th_tenant(ctx, "alpha"), *b = th_tenant(ctx, "beta");
	char state[8];

	ck_ok(saas_pg_enable_tenant_policy(octx, "app_notes"));
	ck_assert_int_eq(sql_int(owner,
	                         "SELECT COUNT(*) FROM pg_class WHERE oid = CAST('app_notes' AS regclass)"
	                         " AND relrowsecurity AND relforcerowsecurity",
	                         NULL, NULL, NULL),
	                 1);
	ck_assert_int_eq(sql_int(owner,
	                         "SELECT COUNT(*) FROM pg_policies WHERE tablename = 'app_notes'"
	                         " AND policyname = 'saas_tenant_isolation' AND cmd = 'ALL'"
	                         " AND qual LIKE '%current_setting(''saas.tenant_id''%'"
	                         " AND with_check LIKE '%current_setting(''saas.tenant_id''%'"
	                         " AND qual NOT ILIKE '%select%'",
	                         NULL, NULL, NULL),
	                 1);

	/* Each tenant writes its rows (the same ids: the key leads with tenant_id)... */
	ck_ok(insert_note(a, a, "n1", "from alpha"));
	ck_ok(insert_note(a, a, "n2", "from alpha"));
	ck_ok(insert_note(b, b, "n1", "from beta"));
	/* ...and sees only them, even when asking for the other's by tenant_id. */
	ck_assert_int_eq(count_notes(a), 2);
	ck_assert_int_eq(count_notes(b), 1);
	struct call c = {.sql = "SELECT body FROM app_notes WHERE id = 'n1'"};
	ck_ok(with(b, &c));
	ck_assert_str_eq(c.text, "from beta");
	struct call other = {.sql = "SELECT COUNT(*) FROM app_notes WHERE tenant_id = $1",
	                     .params = {a}, .nparams = 1};
	ck_ok(with(b, &other));
	ck_assert_int_eq(other.value, 0);

	/* Another tenant's rows can be neither updated nor deleted... */
	struct call upd = {.sql = "UPDATE app_notes SET body = 'x' WHERE tenant_id = $1",
	                   .params = {a}, .nparams = 1, .ret_on_error = 1};
	ck_ok(with(b, &upd));
	struct call del = {.sql = "DELETE FROM app_notes WHERE tenant_id = $1", .params = {a},
	                   .nparams = 1, .ret_on_error = 1};
	ck_ok(with(b, &del));
	ck_assert_int_eq(count_notes(a), 2);
	/* ...nor written: the policy's WITH CHECK refuses the row. */
	struct call forged = {.sql = "INSERT INTO app_notes (tenant_id, id, body) VALUES ($1, 'x', 'x')",
	                      .params = {a}, .nparams = 1, .ret_on_error = 1};
	ck_rc(with(b, &forged), SAAS_EUSER);
	ck_assert_str_eq(forged.state, "42501");
	struct call moved = {.sql = "UPDATE app_notes SET tenant_id = $1", .params = {a},
	                     .nparams = 1, .ret_on_error = 1};
	ck_rc(with(b, &moved), SAAS_EUSER);
	ck_assert_str_eq(moved.state, "42501");
	ck_assert_int_eq(count_notes(a), 2);
	ck_assert_int_eq(count_notes(b), 1);

	/* A plain session of the application role, with no tenant, sees nothing
	 * and writes nothing; nor does the owner (FORCE). */
	PGconn *raw = connect_url(app_url);
	ck_assert_int_eq(sql_int(raw, "SELECT COUNT(*) FROM app_notes", NULL, NULL, NULL), 0);
	ck_assert_str_eq(sql_state(state, raw, "INSERT INTO app_notes VALUES ('x', 'y', 'z')"),
	                 "42501");
	ck_assert_int_eq(sql_int(raw, "SELECT COUNT(*) FROM app_notes WHERE tenant_id = $1", a,
	                         NULL, NULL),
	                 0);
	PQfinish(raw);
	ck_assert_int_eq(sql_int(owner, "SELECT COUNT(*) FROM app_notes", NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(enabling_twice_is_harmless)
{
	const char *a = th_tenant(ctx, "alpha");

	ck_ok(saas_pg_enable_tenant_policy(octx, "app_notes"));
	ck_ok(insert_note(a, a, "n1", "kept"));
	ck_ok(saas_pg_enable_tenant_policy(octx, "app_notes"));
	ck_ok(saas_pg_enable_tenant_policy(octx, "public.app_notes"));
	ck_ok(saas_pg_enable_tenant_policy(octx, "App_Notes")); /* folded, as SQL does */
	ck_assert_int_eq(sql_int(owner,
	                         "SELECT COUNT(*) FROM pg_policy WHERE polrelid = CAST('app_notes' AS regclass)",
	                         NULL, NULL, NULL),
	                 1);
	ck_assert_int_eq(count_notes(a), 1);
	/* A restrictive policy of the application's own is allowed alongside
	 * (and narrows further). */
	ck_ok(insert_note(a, a, "n2", "secret"));
	ck_assert_int_eq(count_notes(a), 2);
	sql_ok(owner, "CREATE POLICY app_no_secret ON app_notes AS RESTRICTIVE"
	              " USING (body <> 'secret')");
	ck_ok(saas_pg_enable_tenant_policy(octx, "app_notes"));
	ck_assert_int_eq(count_notes(a), 1);
}
END_TEST

START_TEST(bad_table_names_are_refused)
{
	static const char *const bad[] = {
		"",
		"app_notes; DROP TABLE users",
		"app_notes; --",
		"app_notes'",
		"\"app_notes\"",
		"app_notes)",
		"users CASCADE",
		"x y",
		"1abc",
		"a.b.c",
		"public.",
		".app_notes",
		"app-notes",
		"app_notes\n",
		"t\xc3\xa9",
		"a234567890123456789012345678901234567890123456789012345678901234", /* 64 */
	};
	char state[8];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_rc(saas_pg_enable_tenant_policy(octx, bad[i]), SAAS_EINVAL);
		ck_field("table");
	}
	ck_rc(saas_pg_enable_tenant_policy(octx, NULL), SAAS_EINVAL);
	ck_rc(saas_pg_enable_tenant_policy(NULL, "app_notes"), SAAS_EINVAL);
	/* 63 characters is a valid name (of no table). */
	ck_rc(saas_pg_enable_tenant_policy(
		      octx, "a23456789012345678901234567890123456789012345678901234567890123"),
	      SAAS_ENOTFOUND);
	/* Nothing was run. */
	ck_assert_str_eq(sql_state(state, owner, "SELECT COUNT(*) FROM users"), "");
	ck_assert_int_eq(sql_int(owner,
	                         "SELECT COUNT(*) FROM pg_class WHERE oid = CAST('app_notes' AS regclass)"
	                         " AND relrowsecurity",
	                         NULL, NULL, NULL),
	                 0);
}
END_TEST

START_TEST(unsuitable_tables_are_refused)
{
	const char *msg;

	ck_rc(saas_pg_enable_tenant_policy(octx, "no_such_table"), SAAS_ENOTFOUND);
	ck_field("table");
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "no_such_table") != NULL, "%s", msg);
	ck_rc(saas_pg_enable_tenant_policy(octx, "no_such_schema.app_notes"), SAAS_ENOTFOUND);

	sql_ok(owner, "CREATE TABLE app_plain (id text PRIMARY KEY, body text)");
	ck_rc(saas_pg_enable_tenant_policy(octx, "app_plain"), SAAS_EINVAL);
	ck_field("table");
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "app_plain") && strstr(msg, "tenant_id"), "%s", msg);

	sql_ok(owner, "CREATE TABLE app_uuid (tenant_id uuid NOT NULL, id text)");
	ck_rc(saas_pg_enable_tenant_policy(octx, "app_uuid"), SAAS_EINVAL);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "uuid") != NULL, "%s", msg);

	sql_ok(owner, "CREATE VIEW app_view AS SELECT * FROM app_notes");
	ck_rc(saas_pg_enable_tenant_policy(octx, "app_view"), SAAS_EINVAL);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "not a table") != NULL, "%s", msg);

	/* A permissive policy of its own would widen what a tenant sees. */
	sql_ok(owner, "CREATE TABLE app_open (tenant_id text NOT NULL, id text)");
	sql_ok(owner, "CREATE POLICY everything ON app_open USING (true)");
	ck_rc(saas_pg_enable_tenant_policy(octx, "app_open"), SAAS_EINVAL);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "everything") != NULL, "%s", msg);

	/* The application's role may not run it (no EXECUTE, not the owner). */
	ck_rc(saas_pg_enable_tenant_policy(ctx, "app_notes"), SAAS_EDENIED);
	ck_assert_int_eq(sql_int(owner,
	                         "SELECT CASE WHEN has_function_privilege($1,"
	                         " 'saas_enable_tenant_policy(regclass)', 'EXECUTE')"
	                         " OR has_function_privilege($1, 'saas_grant_app_role(text)', 'EXECUTE')"
	                         " THEN 1 ELSE 0 END",
	                         app_role, NULL, NULL),
	                 0);
}
END_TEST

/* ---- saas_pg_with_tenant -------------------------------------------------------------- */

START_TEST(a_non_zero_result_rolls_back)
{
	const char *a = th_tenant(ctx, "alpha");
	struct call c = {.sql = "INSERT INTO app_notes VALUES ($1, 'n1', 'x')", .params = {a},
	                 .nparams = 1, .ret = 7, .ret_on_error = 1};

	ck_ok(saas_pg_enable_tenant_policy(octx, "app_notes"));
	ck_rc(with(a, &c), SAAS_EUSER);
	ck_assert_int_eq(c.called, 1);
	ck_assert_str_eq(c.state, "");
	ck_assert_msg(strstr(saas_error_message(saas_error_last()), "returned 7") != NULL, "%s",
	              saas_error_message(saas_error_last()));
	ck_assert_int_eq(count_notes(a), 0);

	/* A statement that failed, with the callback still returning 0. */
	ck_ok(insert_note(a, a, "n1", "x"));
	struct call dup = {.sql = "INSERT INTO app_notes VALUES ($1, 'n2', 'y')", .params = {a},
	                   .nparams = 1, .then = "INSERT INTO app_notes VALUES ('oops')"};
	/* The second statement fails (a NULL id in the primary key), which aborts
	 * the transaction. */
	ck_rc(with(a, &dup), SAAS_ESTORE);
	ck_assert_msg(strstr(saas_error_message(saas_error_last()), "aborted") != NULL, "%s",
	              saas_error_message(saas_error_last()));
	ck_assert_int_eq(count_notes(a), 1);
}
END_TEST

START_TEST(a_callback_may_not_end_the_transaction)
{
	const char *a = th_tenant(ctx, "alpha");
	struct call c = {.sql = "INSERT INTO app_notes VALUES ($1, 'n1', 'x')", .params = {a},
	                 .nparams = 1, .then = "COMMIT", .ret_on_error = 1};

	ck_ok(saas_pg_enable_tenant_policy(octx, "app_notes"));
	ck_rc(with(a, &c), SAAS_EINVAL);
	ck_assert_msg(strstr(saas_error_message(saas_error_last()), "COMMIT") != NULL, "%s",
	              saas_error_message(saas_error_last()));
	/* What it committed itself stays (as documented)... */
	ck_assert_int_eq(count_notes(a), 1);
	/* ...and the connection is fine for the next call. */
	struct call rb = {.sql = "INSERT INTO app_notes VALUES ($1, 'n2', 'x')", .params = {a},
	                  .nparams = 1, .then = "ROLLBACK", .ret_on_error = 1};
	ck_rc(with(a, &rb), SAAS_EINVAL);
	ck_assert_int_eq(count_notes(a), 1);
	ck_ok(insert_note(a, a, "n3", "x"));
	ck_assert_int_eq(count_notes(a), 2);
}
END_TEST

START_TEST(the_tenant_status_rules_apply)
{
	const char *a = th_tenant(ctx, "alpha"), *b = th_tenant(ctx, "beta");
	struct call c = {.sql = "SELECT 1"};

	ck_ok(saas_tenant_suspend(ctx, th_scope(a), "unpaid"));
	ck_rc(with(a, &c), SAAS_ESUSPENDED);
	ck_field("tenant_id");
	ck_assert_int_eq(c.called, 0);
	ck_ok(saas_tenant_delete(ctx, th_scope(b), 30));
	ck_rc(with(b, &c), SAAS_EDELETED);
	ck_assert_int_eq(c.called, 0);
	ck_rc(with("ten_01J00000000000000000000000", &c), SAAS_ENOTFOUND);
	ck_assert_int_eq(c.called, 0);
	ck_ok(saas_tenant_reactivate(ctx, th_scope(a)));
	ck_ok(with(a, &c));
	ck_assert_int_eq(c.called, 1);

	/* Bad arguments. */
	ck_rc(saas_pg_with_tenant(ctx, NULL, run_call, &c), SAAS_EINVAL);
	ck_rc(saas_pg_with_tenant(ctx, th_system(), run_call, &c), SAAS_EINVAL);
	ck_rc(saas_pg_with_tenant(ctx, th_scope(a), NULL, &c), SAAS_EINVAL);
	ck_rc(saas_pg_with_tenant(NULL, th_scope(a), run_call, &c), SAAS_EINVAL);
	ck_assert_int_eq(c.called, 1);
}
END_TEST

/* The tenant is set with SET LOCAL: inside the callback it is the scope's, and
 * the pooled connection forgets it afterwards. */
START_TEST(the_tenant_ends_with_the_transaction)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *one;
	const char *a = th_tenant(ctx, "alpha");
	struct call c = {.sql = "SELECT current_setting('saas.tenant_id', true)"};
	saas_tx *tx;
	saas_stmt *st;
	static saas_query q = SAAS_QUERY("SELECT COALESCE(current_setting('saas.tenant_id', true), '')");

	o.pool_size = 1;
	ck_ok(saas_ctx_open(&one, app_url, &o));
	ck_ok(saas_pg_with_tenant(one, th_scope(a), run_call, &c));
	ck_assert_str_eq(c.text, a);
	ck_ok(saas__tx_begin(&tx, one, NULL, false));
	ck_ok(saas__q_open(&st, tx, &q, ""));
	ck_assert_int_eq(saas__q_step(st), 1);
	ck_assert_str_eq(saas__q_text(st, 0), "");
	saas__q_close(st);
	saas__tx_rollback(tx);
	saas_ctx_free(one);
}
END_TEST

/* ---- saas_pg_grant_app_role ---------------------------------------------------------- */

static long long has_priv(const char *fn, const char *object, const char *priv)
{
	char sql[160];

	snprintf(sql, sizeof sql, "SELECT CASE WHEN %s($1, $2, $3) THEN 1 ELSE 0 END", fn);
	return sql_int(owner, sql, TEST_ROLE, object, priv);
}

START_TEST(the_app_role_gets_what_it_needs)
{
	static const char *const tables[] = {"tenants", "users", "memberships", "member_roles",
	                                     "invitations", "audit_events", "audit_checkpoints"};
	char buf[1024];
	saas_tx *tx;
	int64_t n = 0;

	sql_ok(owner, "CREATE ROLE " TEST_ROLE " LOGIN NOSUPERUSER NOBYPASSRLS");
	ck_assert_int_eq(has_priv("has_table_privilege", "tenants", "SELECT"), 0);
	ck_ok(saas_pg_grant_app_role(octx, th_system(), TEST_ROLE));
	ck_ok(saas_pg_grant_app_role(octx, th_system(), TEST_ROLE)); /* again: harmless */

	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		ck_assert_msg(has_priv("has_table_privilege", tables[i], "SELECT, INSERT, UPDATE, DELETE") == 1
		              && has_priv("has_table_privilege", tables[i], "SELECT") == 1
		              && has_priv("has_table_privilege", tables[i], "DELETE") == 1,
		              "%s: privileges missing", tables[i]);
		ck_assert_msg(has_priv("has_table_privilege", tables[i], "TRUNCATE") == 0 &&
		                      has_priv("has_table_privilege", tables[i], "REFERENCES") == 0 &&
		                      has_priv("has_table_privilege", tables[i], "TRIGGER") == 0,
		              "%s: more than needed", tables[i]);
	}
	ck_assert_int_eq(has_priv("has_table_privilege", "saas_schema_migrations", "SELECT"), 1);
	ck_assert_int_eq(has_priv("has_table_privilege", "saas_schema_migrations", "INSERT"), 0);
	ck_assert_int_eq(has_priv("has_table_privilege", "saas_schema_migrations", "UPDATE"), 0);
	ck_assert_int_eq(has_priv("has_table_privilege", "app_notes", "SELECT"), 0);
	ck_assert_int_eq(has_priv("has_function_privilege", "saas_set_tenant(text)", "EXECUTE"), 1);
	ck_assert_int_eq(has_priv("has_function_privilege", "saas_grant_app_role(text)", "EXECUTE"), 0);
	ck_assert_int_eq(
		has_priv("has_function_privilege", "saas_enable_tenant_policy(regclass)", "EXECUTE"), 0);
	ck_assert_int_eq(sql_int(owner,
	                         "SELECT CASE WHEN has_schema_privilege($1, current_schema(), 'USAGE')"
	                         " AND NOT has_schema_privilege($1, current_schema(), 'CREATE')"
	                         " THEN 1 ELSE 0 END",
	                         TEST_ROLE, NULL, NULL),
	                 1);
	/* No Citus here: no role setting. */
	ck_assert_int_eq(sql_int(owner,
	                         "SELECT COUNT(*) FROM pg_db_role_setting s JOIN pg_roles r"
	                         " ON r.oid = s.setrole WHERE r.rolname = $1",
	                         TEST_ROLE, NULL, NULL),
	                 0);

	/* Recorded in the deployment's stream, twice. */
	ck_ok(saas__tx_begin(&tx, octx, SAAS_SYSTEM_TENANT_ID, false));
	ck_ok(saas__st_audit_count(&n, tx, "store.app_role_granted"));
	saas__tx_rollback(tx);
	ck_assert_int_eq(n, 2);

	/* And that is enough to run the library as that role, on a database it
	 * may not migrate. */
	if (url_as(buf, sizeof buf, TEST_ROLE)) {
		saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
		saas_ctx *rc_ctx;
		saas_tenant *t;
		saas_user *u;
		char *doc;
		saas_scope *s;

		o.auto_migrate = SAAS_MIGRATE_REFUSE;
		ck_ok(saas_ctx_open(&rc_ctx, buf, &o));
		ck_ok(saas_tenant_create(&t, rc_ctx, th_system(), "granted", "Granted"));
		ck_ok(saas_user_create(&u, rc_ctx, th_system(), "g@example.com", "G"));
		ck_ok(saas_scope_new(&s, saas_tenant_id(t), SAAS_ACTOR_SYSTEM, "test"));
		ck_ok(saas_member_add(NULL, rc_ctx, s, saas_user_id(u), (const char *const[]){"owner"}, 1));
		ck_ok(saas_tenant_export(&doc, rc_ctx, s));
		ck_assert_ptr_nonnull(strstr(doc, "g@example.com"));
		saas_free(doc);
		ck_ok(saas_tenant_delete(rc_ctx, s, 0));
		ck_ok(saas_admin_tenant_purge(rc_ctx, s));
		saas_scope_free(s);
		saas_user_free(u);
		saas_tenant_free(t);
		saas_ctx_free(rc_ctx);
	}
}
END_TEST

START_TEST(roles_rls_would_not_bind_are_refused)
{
	char super[64], who[64], sql[200];
	PGresult *r;
	const char *msg;

	r = PQexec(owner, "SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY oid LIMIT 1");
	ck_assert_int_eq(PQntuples(r), 1);
	snprintf(super, sizeof super, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	r = PQexec(owner, "SELECT current_user");
	snprintf(who, sizeof who, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);

	ck_rc(saas_pg_grant_app_role(octx, th_system(), super), SAAS_EINVAL);
	ck_field("role");
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "superuser") != NULL, "%s", msg);

	ck_assert_msg(sql_int(owner, "SELECT COUNT(*) FROM pg_roles WHERE rolname = 'saas_bypass'"
	                             " AND rolbypassrls", NULL, NULL, NULL) == 1,
	              "the server lacks role saas_bypass: restart it with the current "
	              "scripts/pg-test-server.sh");
	ck_rc(saas_pg_grant_app_role(octx, th_system(), "saas_bypass"), SAAS_EINVAL);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "BYPASSRLS") != NULL, "%s", msg);

	/* The owner itself, and a member of the owner. */
	ck_rc(saas_pg_grant_app_role(octx, th_system(), who), SAAS_EINVAL);
	msg = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(msg, "owns") != NULL, "%s", msg);
	snprintf(sql, sizeof sql, "CREATE ROLE " TEST_MEMBER " NOLOGIN IN ROLE \"%s\"", who);
	sql_ok(owner, sql);
	ck_rc(saas_pg_grant_app_role(octx, th_system(), TEST_MEMBER), SAAS_EINVAL);
	ck_assert_int_eq(sql_int(owner, "SELECT CASE WHEN has_table_privilege($1, 'tenants', 'SELECT')"
	                                " THEN 1 ELSE 0 END", "saas_bypass", NULL, NULL),
	                 0);

	/* Unknown roles, whatever their name looks like. */
	ck_rc(saas_pg_grant_app_role(octx, th_system(), "no_such_role"), SAAS_ENOTFOUND);
	ck_field("role");
	ck_rc(saas_pg_grant_app_role(octx, th_system(), "x\"; DROP TABLE users; --"),
	      SAAS_ENOTFOUND);
	ck_rc(saas_pg_grant_app_role(octx, th_system(), "Saas_App'"), SAAS_ENOTFOUND);
	ck_assert_int_eq(sql_int(owner, "SELECT COUNT(*) FROM users", NULL, NULL, NULL), 0);

	/* Bad arguments. */
	ck_rc(saas_pg_grant_app_role(octx, th_system(), ""), SAAS_EINVAL);
	ck_field("role");
	ck_rc(saas_pg_grant_app_role(octx, th_system(),
	                             "r234567890123456789012345678901234567890123456789012345678901234"),
	      SAAS_EINVAL);
	ck_rc(saas_pg_grant_app_role(octx, th_system(), "a\nb"), SAAS_EINVAL);
	ck_rc(saas_pg_grant_app_role(octx, th_system(), NULL), SAAS_EINVAL);
	ck_rc(saas_pg_grant_app_role(octx, NULL, app_role), SAAS_EINVAL);
	ck_rc(saas_pg_grant_app_role(octx, th_scope(th_tenant(ctx, "alpha")), app_role),
	      SAAS_EINVAL);
	ck_field("scope");

	/* The application's role may not grant anything. */
	ck_rc(saas_pg_grant_app_role(ctx, th_system(), app_role), SAAS_EDENIED);

	/* Nothing of this was audited. */
	saas_tx *tx;
	int64_t n = -1;
	ck_ok(saas__tx_begin(&tx, octx, SAAS_SYSTEM_TENANT_ID, false));
	ck_ok(saas__st_audit_count(&n, tx, "store.app_role_granted"));
	saas__tx_rollback(tx);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* `saasctl ARGS...` from the build tree: its exit status, stdout and stderr
 * (together, cut to `size`) in out. -1 if saasctl cannot be found. */
static int saasctl(char *out, size_t size, const char *const *args)
{
	const char *root = getenv("SAAS_BUILD_ROOT");
	char path[512];
	const char *argv[16];
	int fds[2], status;
	size_t n = 0, k = 0;
	pid_t pid;

	out[0] = '\0';
	if (!root)
		return -1;
	snprintf(path, sizeof path, "%s/tools/saasctl/saasctl", root);
	if (access(path, X_OK) != 0)
		return -1;
	argv[n++] = path;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], out + k, size - 1 - k);
		if (r <= 0)
			break;
		k += (size_t)r;
		if (k == size - 1)
			break;
	}
	out[k] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* saasctl migrate --grant ROLE, as an operator runs it. */
START_TEST(saasctl_migrate_grants_the_app_role)
{
	char out[2048];
	int rc;

	sql_ok(owner, "CREATE ROLE " TEST_ROLE " NOLOGIN NOSUPERUSER NOBYPASSRLS");
	rc = saasctl(out, sizeof out,
	             (const char *const[]){"--db", owner_url, "--actor", "deployer", "migrate",
	                                   "--grant", TEST_ROLE, NULL});
	if (rc == -1) {
		fprintf(stderr, "saasctl not found under SAAS_BUILD_ROOT: saasctl test skipped\n");
		return;
	}
	ck_assert_msg(rc == 0, "saasctl exited %d: %s", rc, out);
	ck_assert_msg(strstr(out, "applied 0 migrations") && strstr(out, "granted role '" TEST_ROLE "'"),
	              "%s", out);
	ck_assert_int_eq(has_priv("has_table_privilege", "memberships", "SELECT, INSERT, UPDATE, DELETE"),
	                 1);
	ck_assert_int_eq(sql_int(owner,
	                         "SELECT COUNT(*) FROM audit_events WHERE action = 'store.app_role_granted'"
	                         " AND actor_id = 'deployer' AND target_id = $1",
	                         TEST_ROLE, NULL, NULL),
	                 0); /* invisible without the deployment's tenant (RLS)... */
	saas_tx *tx;
	int64_t n = 0;
	ck_ok(saas__tx_begin(&tx, octx, SAAS_SYSTEM_TENANT_ID, false));
	ck_ok(saas__st_audit_count(&n, tx, "store.app_role_granted"));
	saas__tx_rollback(tx);
	ck_assert_int_eq(n, 1); /* ...and there in its stream */

	/* Refusals: exit 1 with the library's message and code. */
	rc = saasctl(out, sizeof out,
	             (const char *const[]){"--db", owner_url, "migrate", "--grant", "saas_bypass",
	                                   NULL});
	ck_assert_msg(rc == 1 && strstr(out, "BYPASSRLS") && strstr(out, "(SAAS_EINVAL)"), "%d: %s",
	              rc, out);
	rc = saasctl(out, sizeof out,
	             (const char *const[]){"--db", app_url, "migrate", "--grant", TEST_ROLE, NULL});
	ck_assert_msg(rc == 1 && strstr(out, "(SAAS_EDENIED)"), "%d: %s", rc, out);
}
END_TEST

/* ---- other backends --------------------------------------------------------------------- */

static int must_not_run(PGconn *conn, void *payload)
{
	(void)conn;
	(*(int *)payload)++;
	return 0;
}

static void refused_on(const char *url, const char *backend)
{
	saas_ctx *c = th_open(url);
	char want[96];
	int called = 0;
	const char *t = th_tenant(c, "alpha");

	snprintf(want, sizeof want, "needs a PostgreSQL context; this one is %s", backend);
	ck_rc(saas_pg_enable_tenant_policy(c, "app_notes"), SAAS_EINVAL);
	ck_assert_msg(strstr(saas_error_message(saas_error_last()), want) != NULL, "%s",
	              saas_error_message(saas_error_last()));
	ck_rc(saas_pg_with_tenant(c, th_scope(t), must_not_run, &called), SAAS_EINVAL);
	ck_assert_msg(strstr(saas_error_message(saas_error_last()), want) != NULL, "%s",
	              saas_error_message(saas_error_last()));
	ck_assert_int_eq(called, 0);
	ck_rc(saas_pg_grant_app_role(c, th_system(), "saas_app"), SAAS_EINVAL);
	ck_assert_msg(strstr(saas_error_message(saas_error_last()), want) != NULL, "%s",
	              saas_error_message(saas_error_last()));
	th_close(c);
}

START_TEST(other_backends_are_refused)
{
	refused_on("memory:", "memory");
	refused_on("sqlite:", "sqlite");
}
END_TEST

/* ---- main ------------------------------------------------------------------------------ */

int main(void)
{
	Suite *s = suite_create("pg_extension");
	TCase *other = tcase_create("other_backends");
	TCase *tc = tcase_create("postgres");
	SRunner *sr;
	int failed;

	tcase_add_test(other, other_backends_are_refused);
	suite_add_tcase(s, other);

	app_url = getenv("SAAS_TEST_POSTGRES_URL");
	owner_url = getenv("SAAS_TEST_POSTGRES_OWNER_URL");
	if (!app_url || !*app_url) {
		sr = srunner_create(s);
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
		if (failed)
			return EXIT_FAILURE;
		fprintf(stderr, "*** SAAS_TEST_POSTGRES_URL is not set: PostgreSQL suites SKIPPED ***\n"
		                "*** (only the refusals on memory: and sqlite: ran) ***\n");
		return 77;
	}
	if (!owner_url || !*owner_url) {
		fprintf(stderr, "test_pg_extension: SAAS_TEST_POSTGRES_URL is set but "
		                "SAAS_TEST_POSTGRES_OWNER_URL is not\n");
		return EXIT_FAILURE;
	}
	/* Migrate as the owner (the application role may not), and learn the
	 * application role's name. */
	{
		saas_ctx *m = NULL;
		PGconn *c;
		PGresult *r;

		if (saas_ctx_open(&m, owner_url, NULL)) {
			fprintf(stderr, "test_pg_extension: migrating as the owner failed: %s\n",
			        saas_error_message(saas_error_last()));
			return EXIT_FAILURE;
		}
		saas_ctx_free(m);
		c = PQconnectdb(app_url);
		r = PQexec(c, "SELECT current_user");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "test_pg_extension: %s", PQerrorMessage(c));
			return EXIT_FAILURE;
		}
		snprintf(app_role, sizeof app_role, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		PQfinish(c);
	}

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, an_app_table_is_isolated_by_tenant);
	tcase_add_test(tc, enabling_twice_is_harmless);
	tcase_add_test(tc, bad_table_names_are_refused);
	tcase_add_test(tc, unsuitable_tables_are_refused);
	tcase_add_test(tc, a_non_zero_result_rolls_back);
	tcase_add_test(tc, a_callback_may_not_end_the_transaction);
	tcase_add_test(tc, the_tenant_status_rules_apply);
	tcase_add_test(tc, the_tenant_ends_with_the_transaction);
	tcase_add_test(tc, the_app_role_gets_what_it_needs);
	tcase_add_test(tc, roles_rls_would_not_bind_are_refused);
	tcase_add_test(tc, saasctl_migrate_grants_the_app_role);
	suite_add_tcase(s, tc);
	return th_run(s);
}
