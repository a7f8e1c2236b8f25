/*
 * The PostgreSQL driver, on libpq.
 *
 * - Connections come from the store's pool (lib/store/store.c); one thread
 *   uses a connection at a time. `healthy` notices a connection the server
 *   closed (restart, idle timeout) without a round trip, and `begin` reconnects
 *   once if the connection turns out dead before anything ran in the
 *   transaction, so a restarted server costs at most one failed call.
 * - Every statement is sent with parameters, never with values spliced into
 *   SQL, and prepared once per connection (PQprepare, named by query slot).
 *   Values travel as text; results come back as text.
 * - The tenant is set inside each transaction by `SELECT saas_set_tenant($1)`
 *   (a SET LOCAL, see migration 0002): row-level security keys on it, and it
 *   ends with the transaction.
 * - Errors map to SAAS_E* codes by SQLSTATE; a lost connection is SAAS_ESTORE
 *   and marks the connection broken so the pool drops it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "../../core/core.h"
#include "../driver.h"

/* Type OIDs (server/catalog/pg_type_d.h, stable since forever). */
#define PG_INT8OID 20
#define PG_INT2OID 21
#define PG_INT4OID 23

#define DEFAULT_CONNECT_TIMEOUT "10"

struct pg_conn;

struct pg_stmt {
	struct pg_conn *c;
	unsigned slot;
	const char *sql;    /* the dialect's text (static storage of the query) */
	bool prepared;      /* on the current session */
	unsigned gen;       /* bumped when the server's copy went stale */
	char **params;      /* bound values as text (NULL: SQL NULL), owned */
	int nparams;        /* highest index bound */
	int cap;
	PGresult *res;      /* of the last execution */
	int row;            /* current row, -1 before the first */
	int64_t changes;
};

struct pg_conn {
	PGconn *pg;
	struct pg_stmt **stmts; /* indexed by query slot; stable pointers */
	unsigned nstmts;
	bool broken;
	bool tenant_set;        /* saas_set_tenant ran in this transaction */
	bool set_tenant_prepared;
	unsigned lock_timeout_ms;
};

/* ---- messages -------------------------------------------------------------------- */

/* Replace every occurrence of `secret` in `msg` (in place) with "***". */
static void redact(char *msg, size_t size, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *p;

	if (n == 0)
		return;
	while ((p = strstr(msg, secret)) != NULL) {
		size_t tail = strlen(p + n);
		if ((size_t)(p - msg) + 3 + tail + 1 > size)
			break;
		memmove(p + 3, p + n, tail + 1);
		memcpy(p, "***", 3);
	}
}

/* Copy a libpq message into buf: trailing white space trimmed, new lines
 * (libpq adds DETAIL/HINT lines) folded into "; ". */
static void fold_message(char *buf, size_t size, const char *msg)
{
	size_t k = 0;

	if (!msg || !*msg)
		msg = "unknown error";
	for (const char *p = msg; *p && k + 3 < size; p++) {
		if (*p == '\n') {
			while (p[1] == '\n' || p[1] == ' ' || p[1] == '\t')
				p++;
			if (p[1]) {
				buf[k++] = ';';
				buf[k++] = ' ';
			}
		} else {
			buf[k++] = *p;
		}
	}
	while (k > 0 && isspace((unsigned char)buf[k - 1]))
		k--;
	buf[k] = '\0';
}

/* The URL with any password (user:PASSWORD@ or password=...) replaced by ***,
 * into buf; also returns the raw password text found, for redacting messages. */
static void sanitize_url(char *buf, size_t size, const char *url, char *pw, size_t pwsize)
{
	const char *auth = strstr(url, "://");
	size_t k = 0;

	pw[0] = '\0';
	buf[0] = '\0';
	if (!auth) {
		snprintf(buf, size, "%s", saas__q(url));
		return;
	}
	auth += 3;
	const char *end = auth + strcspn(auth, "/?");
	const char *at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	for (const char *p = url; *p && k + 4 < size; p++) {
		if (colon && p == colon + 1) {
			snprintf(pw, pwsize, "%.*s", (int)(at - p), p);
			memcpy(buf + k, "***", 3);
			k += 3;
			p = at - 1;
			continue;
		}
		if (p > end && (p[-1] == '?' || p[-1] == '&') && strncmp(p, "password=", 9) == 0) {
			size_t n = strcspn(p + 9, "&");
			if (!pw[0])
				snprintf(pw, pwsize, "%.*s", (int)n, p + 9);
			if (k + 12 >= size)
				break;
			memcpy(buf + k, "password=***", 12);
			k += 12;
			p += 9 + n - 1;
			continue;
		}
		buf[k++] = (char)((unsigned char)*p < 0x20 ? '?' : *p);
	}
	buf[k] = '\0';
}

/* ---- connections -------------------------------------------------------------------- */

static void notice_ignore(void *arg, const char *message)
{
	/* A library does not print: notices (e.g. "there is no transaction in
	 * progress") are dropped. */
	(void)arg;
	(void)message;
}

static void stmts_forget(struct pg_conn *c)
{
	for (unsigned i = 0; i < c->nstmts; i++)
		if (c->stmts[i])
			c->stmts[i]->prepared = false;
	c->set_tenant_prepared = false;
}

static void stmt_clear(struct pg_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	for (int i = 0; i < s->nparams; i++) {
		free(s->params[i]);
		s->params[i] = NULL;
	}
	s->nparams = 0;
	s->row = -1;
}

static void pg_close(void *conn)
{
	struct pg_conn *c = conn;

	if (!c)
		return;
	for (unsigned i = 0; i < c->nstmts; i++) {
		if (c->stmts[i]) {
			stmt_clear(c->stmts[i]);
			free(c->stmts[i]->params);
			free(c->stmts[i]);
		}
	}
	free(c->stmts);
	PQfinish(c->pg);
	free(c);
}

static int pg_open(void **out, const struct saas_store_config *cfg)
{
	struct pg_conn *c = NULL;
	PQconninfoOption *opts = NULL;
	char *perr = NULL;
	char safe[256], pw[256], msg[400];
	const char **keys = NULL, **vals = NULL;
	const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;
	bool has_timeout = false, has_app = false, has_encoding = false;
	size_t n = 0, k = 0;
	int rc = SAAS_OK;

	/* Messages name the URL without its password, and libpq's own text is
	 * scrubbed of it too. */
	sanitize_url(safe, sizeof safe, cfg->target, pw, sizeof pw);
	opts = PQconninfoParse(cfg->target, &perr);
	if (!opts) {
		if (perr) {
			fold_message(msg, sizeof msg, perr);
			redact(msg, sizeof msg, pw);
			rc = saas__err(SAAS_EINVAL, "url", "postgres: invalid connection URL '%s': %s",
			               safe, msg);
		} else {
			rc = saas__enomem();
		}
		goto out;
	}
	/* Every keyword the URL gives, plus defaults for some it does not. */
	for (PQconninfoOption *o = opts; o->keyword; o++)
		n++;
	keys = calloc(n + 4, sizeof *keys);
	vals = calloc(n + 4, sizeof *vals);
	c = calloc(1, sizeof *c);
	if (!keys || !vals || !c) {
		rc = saas__enomem();
		goto out;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		keys[k] = o->keyword;
		vals[k++] = o->val;
		if (strcmp(o->keyword, "connect_timeout") == 0)
			has_timeout = true;
		else if (strcmp(o->keyword, "fallback_application_name") == 0 ||
		         strcmp(o->keyword, "application_name") == 0)
			has_app = true;
		else if (strcmp(o->keyword, "client_encoding") == 0)
			has_encoding = true;
		else if (strcmp(o->keyword, "host") == 0 || (!host && strcmp(o->keyword, "hostaddr") == 0))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
	}
	if (!has_timeout) {
		keys[k] = "connect_timeout";
		vals[k++] = DEFAULT_CONNECT_TIMEOUT;
	}
	if (!has_app) {
		keys[k] = "fallback_application_name";
		vals[k++] = "libsaas";
	}
	if (!has_encoding) {
		keys[k] = "client_encoding";
		vals[k++] = "UTF8";
	}

	c->pg = PQconnectdbParams(keys, vals, 0);
	if (!c->pg) {
		rc = saas__enomem();
		goto out;
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		fold_message(msg, sizeof msg, PQerrorMessage(c->pg));
		redact(msg, sizeof msg, pw);
		rc = saas__err(SAAS_ESTORE, NULL,
		               "postgres: cannot connect to database '%s' on %s%s%s as '%s' (%s): %s",
		               db ? saas__q(db) : "(default)",
		               host ? saas__q(host) : "the default host", port ? " port " : "",
		               port ? saas__q(port) : "", user ? saas__q(user) : "(default)", safe,
		               msg);
		goto out;
	}
	PQsetNoticeProcessor(c->pg, notice_ignore, NULL);
	c->lock_timeout_ms = cfg->busy_timeout_ms;
	*out = c;
	c = NULL;
out:
	if (perr)
		PQfreemem(perr);
	free(keys);
	free(vals);
	if (opts)
		PQconninfoFree(opts); /* also clears the password it holds */
	pg_close(c);
	sodium_memzero(pw, sizeof pw);
	return rc;
}

/* Whether the connection still reaches the server, without a round trip: an
 * idle connection has nothing to read unless the server closed it (or sent a
 * termination notice). */
static bool conn_alive(struct pg_conn *c)
{
	struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};

	if (PQstatus(c->pg) != CONNECTION_OK || p.fd < 0)
		return false;
	if (poll(&p, 1, 0) > 0) {
		if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK)
			return false;
		/* Drop asynchronous notifications, if any. */
		PGnotify *nt;
		while ((nt = PQnotifies(c->pg)) != NULL)
			PQfreemem(nt);
	}
	return PQstatus(c->pg) == CONNECTION_OK;
}

static int pg_healthy(void *conn)
{
	struct pg_conn *c = conn;

	return !c->broken && PQtransactionStatus(c->pg) == PQTRANS_IDLE && conn_alive(c);
}

static bool is_connection_error(const char *state)
{
	/* 08: connection exception; 57P01..03: the server is shutting down or
	 * restarting. */
	return state && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
	                 strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0);
}

/* Map a failed result (or the connection's failure) to a SAAS_E* code. */
static int map_error(struct pg_conn *c, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[400];

	if (primary) {
		/* The server's message (and hint), without the "ERROR:" prefix or the
		 * position. Not the DETAIL: for constraint violations it quotes the
		 * row's values. */
		const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
		char text[400];
		snprintf(text, sizeof text, "%s%s%s", primary, hint ? " (hint: " : "",
		         hint ? hint : "");
		fold_message(msg, sizeof msg - 1, text);
		if (hint)
			strcat(msg, ")");
	} else {
		fold_message(msg, sizeof msg, res && *PQresultErrorMessage(res)
		                                  ? PQresultErrorMessage(res)
		                                  : PQerrorMessage(c->pg));
	}
	if (PQstatus(c->pg) != CONNECTION_OK || is_connection_error(state)) {
		c->broken = true;
		return saas__err(SAAS_ESTORE, NULL,
		                 "postgres: the connection to the server was lost during %s: %s", what,
		                 msg);
	}
	if (!res)
		return saas__enomem();
	if (!state)
		return saas__err(SAAS_ESTORE, NULL, "postgres: %s failed: %s", what, msg);
	if (strcmp(state, "23505") == 0)
		return saas__err(SAAS_EEXISTS, NULL, "a unique value is already taken (%s)", msg);
	if (strcmp(state, "23503") == 0)
		return saas__err(SAAS_ENOTFOUND, NULL, "a referenced row does not exist (%s)", msg);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return saas__err(SAAS_ECONFLICT, NULL,
		                 "postgres: a concurrent transaction conflicted; retry (%s)", msg);
	if (strcmp(state, "42501") == 0)
		return saas__err(SAAS_EDENIED, NULL, "postgres: %s refused: %s", what, msg);
	if (strcmp(state, "55P03") == 0)
		return saas__err(SAAS_ESTORE, NULL, "postgres: %s: the data is locked (%s)", what, msg);
	if (strcmp(state, "53200") == 0)
		return saas__enomem();
	return saas__err(SAAS_ESTORE, NULL, "postgres: %s failed: %s (SQLSTATE %s)", what, msg,
	                 state);
}

/* Run a parameterless command; `ok` is the expected status. */
static int exec_simple(struct pg_conn *c, const char *sql, const char *what)
{
	PGresult *res = PQexec(c->pg, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = SAAS_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = map_error(c, res, what);
	PQclear(res);
	return rc;
}

static int begin_once(struct pg_conn *c, bool write)
{
	char sql[96];

	(void)write; /* READ COMMITTED either way: writers lock what they must
	              * (the tenant row, the audit stream) explicitly. */
	c->tenant_set = false;
	/* One round trip: the transaction and how long it waits for a lock
	 * (busy_timeout_ms, as SQLite waits on a locked database). */
	if (c->lock_timeout_ms)
		snprintf(sql, sizeof sql, "BEGIN; SET LOCAL lock_timeout = %u", c->lock_timeout_ms);
	else
		snprintf(sql, sizeof sql, "BEGIN");
	return exec_simple(c, sql, "BEGIN");
}

static int pg_begin(void *conn, bool write)
{
	struct pg_conn *c = conn;
	int rc = begin_once(c, write);

	if (rc && c->broken && PQtransactionStatus(c->pg) != PQTRANS_INTRANS) {
		/* The connection died while idle in the pool (a server restart, say):
		 * nothing ran yet, so reconnect once and start again. */
		char msg[400];
		PQreset(c->pg);
		stmts_forget(c);
		if (PQstatus(c->pg) == CONNECTION_OK) {
			c->broken = false;
			rc = begin_once(c, write);
		} else {
			fold_message(msg, sizeof msg, PQerrorMessage(c->pg));
			rc = saas__err(SAAS_ESTORE, NULL,
			               "postgres: the connection to the server was lost and reconnecting "
			               "to database '%s' failed: %s",
			               saas__q(PQdb(c->pg)), msg);
		}
	}
	return rc;
}

static int pg_set_tenant(void *conn, const char *tenant_id)
{
	struct pg_conn *c = conn;
	const char *vals[1] = {tenant_id};
	PGresult *res;

	/* A transaction starts with no tenant: nothing to clear. (Also what lets
	 * the migrations run before saas_set_tenant exists.) */
	if (!tenant_id && !c->tenant_set)
		return SAAS_OK;
	if (!c->set_tenant_prepared) {
		res = PQprepare(c->pg, "saas_set_tenant", "SELECT saas_set_tenant($1)", 1, NULL);
		if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
			int rc = map_error(c, res, "saas_set_tenant");
			PQclear(res);
			return rc;
		}
		PQclear(res);
		c->set_tenant_prepared = true;
	}
	res = PQexecPrepared(c->pg, "saas_set_tenant", 1, vals, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		int rc = map_error(c, res, "saas_set_tenant");
		PQclear(res);
		return rc;
	}
	PQclear(res);
	c->tenant_set = tenant_id != NULL;
	return SAAS_OK;
}

static int pg_commit(void *conn)
{
	struct pg_conn *c = conn;
	PGresult *res = PQexec(c->pg, "COMMIT");
	int rc = SAAS_OK;

	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = map_error(c, res, "COMMIT");
		if (c->broken)
			rc = saas__err(SAAS_ESTORE, NULL,
			               "postgres: the connection was lost during COMMIT: the transaction "
			               "may or may not have been applied (%s)",
			               saas_error_message(saas_error_last()));
	} else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		/* COMMIT of a failed transaction rolls it back and says so. */
		rc = saas__err(SAAS_ESTORE, NULL,
		               "postgres: the transaction had failed and was rolled back");
	}
	PQclear(res);
	return rc;
}

static int pg_rollback(void *conn)
{
	struct pg_conn *c = conn;

	/* The store rolls back after a failure: keep that failure's message. */
	if (c->broken)
		return SAAS_ESTORE;
	if (PQstatus(c->pg) != CONNECTION_OK) {
		c->broken = true;
		return saas__err(SAAS_ESTORE, NULL,
		                 "postgres: the connection to the server was lost (nothing was "
		                 "committed)");
	}
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		return SAAS_OK;
	int rc = exec_simple(c, "ROLLBACK", "ROLLBACK");
	if (rc)
		c->broken = true;
	return rc;
}

static int pg_exec_script(void *conn, const char *sql)
{
	return exec_simple(conn, sql, "script");
}

/* ---- statements ---------------------------------------------------------------------- */

static int pg_prepare(void *conn, const saas_query *q, void **out)
{
	struct pg_conn *c = conn;
	const char *sql = q->sql_postgres ? q->sql_postgres : q->sql;
	struct pg_stmt *s;

	if (q->slot >= c->nstmts) {
		unsigned n = q->slot + 16;
		struct pg_stmt **v = realloc(c->stmts, n * sizeof *v);
		if (!v)
			return saas__enomem();
		memset(v + c->nstmts, 0, (n - c->nstmts) * sizeof *v);
		c->stmts = v;
		c->nstmts = n;
	}
	s = c->stmts[q->slot];
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return saas__enomem();
		s->c = c;
		s->slot = q->slot;
		s->row = -1;
		c->stmts[q->slot] = s;
	}
	s->sql = sql;
	if (!s->prepared) {
		char name[32];
		snprintf(name, sizeof name, "saas_s%u_%u", s->slot, s->gen);
		PGresult *res = PQprepare(c->pg, name, sql, 0, NULL);
		if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
			char what[96];
			snprintf(what, sizeof what, "preparing '%s'", saas__q(sql));
			int rc = map_error(c, res, what);
			PQclear(res);
			return rc;
		}
		PQclear(res);
		s->prepared = true;
	}
	stmt_clear(s);
	s->changes = 0;
	*out = s;
	return SAAS_OK;
}

static int set_param(struct pg_stmt *s, int i, char *v, bool is_null)
{
	if (i < 1)
		return saas__err(SAAS_EINTERNAL, NULL, "postgres: parameter index %d", i);
	if (i > s->cap) {
		int n = i + 8;
		char **p = realloc(s->params, (size_t)n * sizeof *p);
		if (!p) {
			free(v);
			return saas__enomem();
		}
		memset(p + s->cap, 0, (size_t)(n - s->cap) * sizeof *p);
		s->params = p;
		s->cap = n;
	}
	if (!v && !is_null)
		return saas__enomem();
	free(s->params[i - 1]);
	s->params[i - 1] = v;
	if (i > s->nparams)
		s->nparams = i;
	return SAAS_OK;
}

static int pg_bind_text(void *stmt, int i, const char *v)
{
	return set_param(stmt, i, v ? saas__strdup(v) : NULL, v == NULL);
}

static int pg_bind_int64(void *stmt, int i, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%" PRId64, v);
	return set_param(stmt, i, saas__strdup(buf), false);
}

static int pg_step(void *stmt)
{
	struct pg_stmt *s = stmt;
	struct pg_conn *c = s->c;

	if (!s->res) {
		char name[32];
		snprintf(name, sizeof name, "saas_s%u_%u", s->slot, s->gen);
		s->res = PQexecPrepared(c->pg, name, s->nparams, (const char *const *)s->params, NULL,
		                        NULL, 0);
		ExecStatusType st = s->res ? PQresultStatus(s->res) : PGRES_FATAL_ERROR;
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
			const char *state = s->res ? PQresultErrorField(s->res, PG_DIAG_SQLSTATE) : NULL;
			if (state && strcmp(state, "0A000") == 0) {
				/* "cached plan must not change result type": a migration
				 * changed a table under the prepared statement. This call
				 * fails; the next one prepares it again under a new name
				 * (the transaction is aborted, so no DEALLOCATE now). */
				s->prepared = false;
				s->gen++;
			}
			char what[96];
			snprintf(what, sizeof what, "statement '%s'", saas__q(s->sql));
			int rc = map_error(c, s->res, what);
			PQclear(s->res);
			s->res = NULL;
			return rc;
		}
		const char *n = PQcmdTuples(s->res);
		s->changes = (n && *n) ? strtoll(n, NULL, 10) : 0;
		s->row = -1;
	}
	if (s->row + 1 < PQntuples(s->res)) {
		s->row++;
		return 1;
	}
	s->row = PQntuples(s->res);
	return 0;
}

static int pg_column_count(void *stmt)
{
	struct pg_stmt *s = stmt;
	return s->res ? PQnfields(s->res) : 0;
}

static const char *pg_column_name(void *stmt, int i)
{
	struct pg_stmt *s = stmt;
	return s->res ? PQfname(s->res, i) : NULL;
}

static bool has_value(struct pg_stmt *s, int i)
{
	return s->res && s->row >= 0 && s->row < PQntuples(s->res) && i >= 0 &&
	       i < PQnfields(s->res) && !PQgetisnull(s->res, s->row, i);
}

static int pg_column_type(void *stmt, int i)
{
	struct pg_stmt *s = stmt;

	if (!has_value(s, i))
		return SAAS__COL_NULL;
	switch (PQftype(s->res, i)) {
	case PG_INT8OID:
	case PG_INT4OID:
	case PG_INT2OID:
		return SAAS__COL_INT;
	default:
		return SAAS__COL_TEXT;
	}
}

static const char *pg_column_text(void *stmt, int i)
{
	struct pg_stmt *s = stmt;
	return has_value(s, i) ? PQgetvalue(s->res, s->row, i) : NULL;
}

static int64_t pg_column_int64(void *stmt, int i)
{
	struct pg_stmt *s = stmt;
	return has_value(s, i) ? strtoll(PQgetvalue(s->res, s->row, i), NULL, 10) : 0;
}

static int64_t pg_changes(void *stmt)
{
	return ((struct pg_stmt *)stmt)->changes;
}

static void pg_reset(void *stmt)
{
	stmt_clear(stmt);
}

static void *pg_native(void *conn)
{
	return ((struct pg_conn *)conn)->pg;
}

const saas_driver saas__driver_postgres = {
	.name = "postgres",
	.open = pg_open,
	.close = pg_close,
	.healthy = pg_healthy,
	.begin = pg_begin,
	.set_tenant = pg_set_tenant,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec_script = pg_exec_script,
	.prepare = pg_prepare,
	.bind_text = pg_bind_text,
	.bind_int64 = pg_bind_int64,
	.step = pg_step,
	.column_count = pg_column_count,
	.column_name = pg_column_name,
	.column_type = pg_column_type,
	.column_text = pg_column_text,
	.column_int64 = pg_column_int64,
	.changes = pg_changes,
	.reset = pg_reset,
	.native = pg_native,
};
