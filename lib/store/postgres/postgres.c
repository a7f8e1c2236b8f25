/*
 * The PostgreSQL driver, on libpq.
 *
 * - Connections come from the store's pool (lib/store/store.c); one thread
 *   uses a connection at a time. `healthy` notices a connection the server
 *   closed (restart, idle timeout) without a round trip, and the first batch
 *   of a transaction reconnects once and is sent again if the connection
 *   turns out dead before anything ran, so a restarted server costs at most
 *   one failed call.
 * - Every statement is sent with parameters, never with values spliced into
 *   SQL, and prepared once per connection (a Parse message named by query
 *   slot). Values travel as text; results come back as text.
 * - The tenant is set inside each transaction by `SELECT saas_set_tenant($1)`
 *   (a SET LOCAL, see migration 0002): row-level security keys on it, and it
 *   ends with the transaction.
 * - Round trips: `begin` and `set_tenant` only record what the transaction
 *   needs. The first statement sends, in one pipeline (libpq's pipeline mode,
 *   one network round trip): BEGIN, SET LOCAL lock_timeout, saas_set_tenant($1)
 *   (and its Parse the first time on the connection), the statement's Parse
 *   the first time, and the statement itself. Later statements send a tenant
 *   switch and a first-time Parse with them the same way. A transaction that
 *   ran no statement costs no round trip at all (its COMMIT or ROLLBACK is not
 *   sent). The COMMIT of a read-only transaction and every ROLLBACK are sent
 *   without waiting for the answer (nothing can depend on it: a read-only
 *   transaction has nothing to lose, a rolled back one nothing to keep); the
 *   answer is read with the connection's next pipeline. So a read costs one
 *   round trip per statement, a write one more for its COMMIT.
 * - Deferred statements (saas__q_exec_deferred: writes whose result nobody
 *   reads, such as an audit event's INSERT or the stream's advisory lock)
 *   are not sent at once: their bound values are copied and they go out in
 *   the next pipeline, ahead of the next statement or of the COMMIT, which a
 *   write transaction also sends in a pipeline (or before the transaction's
 *   tenant changes: they run under the tenant they were queued with). An audit append thus costs
 *   the tail's read and the COMMIT, and a batch of events one pipeline for
 *   all of its INSERTs. A deferred statement's error is the error of the
 *   pipeline it went out in (the transaction is aborted either way). The first
 *   failing message decides the error (a failed BEGIN or saas_set_tenant is
 *   reported as that, not as the statement's error); the server skips the
 *   rest of the pipeline, the transaction is aborted, and every later
 *   statement in it fails at once until the rollback.
 * - Isolation: a write transaction runs at READ COMMITTED and locks what it
 *   acts on explicitly; a read transaction at REPEATABLE READ, READ ONLY, so
 *   that its statements see one snapshot (as a SQLite transaction does).
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
#include "pg_internal.h"

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

/* A statement queued by pg_defer, with a copy of its bound values. */
struct pg_deferred {
	struct pg_stmt *s;
	char **params;
	int nparams;
};

struct pg_conn {
	PGconn *pg;
	struct pg_stmt **stmts; /* indexed by query slot; stable pointers */
	unsigned nstmts;
	bool broken;
	bool set_tenant_prepared;
	unsigned lock_timeout_ms;
	/* The transaction, started lazily (see the top of the file). */
	bool in_tx;             /* begin was called; commit or rollback not yet */
	bool write;             /* ... for a write transaction */
	bool begun;             /* the server has the transaction (BEGIN ran) */
	bool failed;            /* something in it failed: it is aborted */
	bool tenant_unknown;    /* the application had the connection: set it again */
	bool end_pending;       /* a COMMIT or ROLLBACK was sent, its answer not read */
	char *want_tenant;      /* the tenant the transaction asked for (NULL: none) */
	char *server_tenant;    /* the tenant the server has (NULL: none or cleared) */
	struct pg_deferred *deferred; /* statements for the next pipeline */
	size_t ndeferred, capdeferred;
};

/* Network round trips (batches sent and waited for), for tests and measurements. */
static _Atomic unsigned long long round_trips;

unsigned long long saas__pg_round_trips(void)
{
	return round_trips;
}

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
void saas__pg_fold_message(char *buf, size_t size, const char *msg)
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

static void deferred_clear(struct pg_conn *c)
{
	for (size_t i = 0; i < c->ndeferred; i++) {
		for (int k = 0; k < c->deferred[i].nparams; k++)
			free(c->deferred[i].params[k]);
		free(c->deferred[i].params);
	}
	c->ndeferred = 0;
}

/* Forget the transaction's tenant state (it ended, or the session did). */
static void tx_forget(struct pg_conn *c)
{
	deferred_clear(c);
	free(c->want_tenant);
	free(c->server_tenant);
	c->want_tenant = c->server_tenant = NULL;
	c->begun = c->failed = c->tenant_unknown = false;
}

static void pg_close(void *conn)
{
	struct pg_conn *c = conn;

	if (!c)
		return;
	tx_forget(c);
	free(c->deferred);
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
			saas__pg_fold_message(msg, sizeof msg, perr);
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
		saas__pg_fold_message(msg, sizeof msg, PQerrorMessage(c->pg));
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

	if (c->broken)
		return 0;
	/* With a COMMIT or ROLLBACK in flight the connection is still in
	 * pipeline mode; its answer is read with the next pipeline. */
	if (c->end_pending)
		return PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF && conn_alive(c);
	return PQtransactionStatus(c->pg) == PQTRANS_IDLE &&
	       PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF && conn_alive(c);
}

bool saas__pg_is_connection_error(const char *state)
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
		saas__pg_fold_message(msg, sizeof msg - 1, text);
		if (hint)
			strcat(msg, ")");
	} else {
		saas__pg_fold_message(msg, sizeof msg, res && *PQresultErrorMessage(res)
		                                  ? PQresultErrorMessage(res)
		                                  : PQerrorMessage(c->pg));
	}
	if (PQstatus(c->pg) != CONNECTION_OK || saas__pg_is_connection_error(state)) {
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

/* Run a parameterless command (a script of several, possibly) and wait. */
static bool end_collect(struct pg_conn *c);

static int exec_simple(struct pg_conn *c, const char *sql, const char *what)
{
	PGresult *res;
	ExecStatusType st;
	int rc = SAAS_OK;

	/* Not reached with an answer pending (a batch always runs first), but a
	 * PQexec in pipeline mode would fail. */
	if (c->end_pending && !end_collect(c)) {
		c->broken = true;
		return map_error(c, NULL, what);
	}
	res = PQexec(c->pg, sql);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	round_trips++;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = map_error(c, res, what);
	PQclear(res);
	return rc;
}

/* The error of a statement in a transaction that already failed: the server
 * would refuse it anyway ("current transaction is aborted"), so it is not sent. */
static int aborted(struct pg_conn *c)
{
	if (c->broken)
		return saas__err(SAAS_ESTORE, NULL,
		                 "postgres: the connection to the server was lost earlier in this "
		                 "transaction (nothing in it was committed)");
	return saas__err(SAAS_ESTORE, NULL,
	                 "postgres: the transaction was aborted by an earlier error (nothing in it "
	                 "will be committed)");
}

/* Whether the server's tenant differs from the one the transaction wants. */
static bool tenant_pending(const struct pg_conn *c)
{
	if (c->tenant_unknown)
		return true;
	if (!c->want_tenant || !c->server_tenant)
		return c->want_tenant != c->server_tenant;
	return strcmp(c->want_tenant, c->server_tenant) != 0;
}

/* What one batch sends, in order. */
enum batch_item {
	IT_BEGIN,       /* BEGIN */
	IT_LOCK,        /* SET LOCAL lock_timeout */
	IT_PREP_TENANT, /* Parse of SELECT saas_set_tenant($1) */
	IT_TENANT,      /* saas_set_tenant($1) */
	IT_PREP,        /* Parse of a statement (the batch's or a deferred one's) */
	IT_DEFERRED,    /* a deferred statement */
	IT_EXEC,        /* the statement */
	IT_COMMIT,      /* COMMIT of a write transaction */
};

struct item {
	enum batch_item it;
	struct pg_stmt *s;          /* IT_PREP, IT_DEFERRED, IT_EXEC */
	const struct pg_deferred *d; /* IT_DEFERRED */
};

static void stmt_name(char *buf, size_t size, const struct pg_stmt *s)
{
	snprintf(buf, size, "saas_s%u_%u", s->slot, s->gen);
}

static void item_what(char *buf, size_t size, const struct item *item)
{
	const struct pg_stmt *s = item->s;

	switch (item->it) {
	case IT_BEGIN:
		snprintf(buf, size, "BEGIN");
		break;
	case IT_LOCK:
		snprintf(buf, size, "SET LOCAL lock_timeout");
		break;
	case IT_PREP_TENANT:
	case IT_TENANT:
		snprintf(buf, size, "saas_set_tenant");
		break;
	case IT_PREP:
		snprintf(buf, size, "preparing '%s'", saas__q(s->sql));
		break;
	case IT_DEFERRED:
	case IT_EXEC:
		snprintf(buf, size, "statement '%s'", saas__q(s->sql));
		break;
	case IT_COMMIT:
		snprintf(buf, size, "COMMIT");
		break;
	}
}

/* Queue one item of the pipeline; 0 if libpq refused (no memory, or the
 * connection is gone). */
static int send_item(struct pg_conn *c, const struct item *item, const char *lock_sql)
{
	const char *tenant[1] = {c->want_tenant};
	struct pg_stmt *s = item->s;
	char name[32];

	switch (item->it) {
	case IT_BEGIN:
		/* A writer runs at READ COMMITTED and locks what it must (the tenant
		 * row, the audit stream) explicitly. A reader sees one snapshot
		 * across its statements (a page of memberships and their roles, an
		 * export), as on SQLite: REPEATABLE READ, which never fails a
		 * read-only transaction, and READ ONLY, so that a write in it is
		 * refused rather than left to race. */
		return PQsendQueryParams(c->pg,
		                         c->write ? "BEGIN"
		                                  : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
		                         0, NULL, NULL, NULL, NULL, 0);
	case IT_LOCK:
		return PQsendQueryParams(c->pg, lock_sql, 0, NULL, NULL, NULL, NULL, 0);
	case IT_PREP_TENANT:
		return PQsendPrepare(c->pg, "saas_set_tenant", "SELECT saas_set_tenant($1)", 1, NULL);
	case IT_TENANT:
		return PQsendQueryPrepared(c->pg, "saas_set_tenant", 1, tenant, NULL, NULL, 0);
	case IT_PREP:
		stmt_name(name, sizeof name, s);
		return PQsendPrepare(c->pg, name, s->sql, 0, NULL);
	case IT_DEFERRED:
		stmt_name(name, sizeof name, s);
		return PQsendQueryPrepared(c->pg, name, item->d->nparams,
		                           (const char *const *)item->d->params, NULL, NULL, 0);
	case IT_EXEC:
		stmt_name(name, sizeof name, s);
		return PQsendQueryPrepared(c->pg, name, s->nparams, (const char *const *)s->params,
		                           NULL, NULL, 0);
	case IT_COMMIT:
		return PQsendQueryParams(c->pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
	}
	return 0;
}

/* Record what a successful item changed on the server. */
static void item_done(struct pg_conn *c, const struct item *item, PGresult **res)
{
	struct pg_stmt *s = item->s;

	switch (item->it) {
	case IT_BEGIN:
	case IT_LOCK:
	case IT_DEFERRED:
	case IT_COMMIT:
		break;
	case IT_PREP_TENANT:
		c->set_tenant_prepared = true;
		break;
	case IT_TENANT:
		free(c->server_tenant);
		c->server_tenant = c->want_tenant ? saas__strdup(c->want_tenant) : NULL;
		/* Out of memory: not knowing what the server has, set it again next time. */
		c->tenant_unknown = c->want_tenant && !c->server_tenant;
		break;
	case IT_PREP:
		s->prepared = true;
		break;
	case IT_EXEC:
		s->res = *res;
		*res = NULL;
		{
			const char *n = PQcmdTuples(s->res);
			s->changes = (n && *n) ? strtoll(n, NULL, 10) : 0;
		}
		s->row = -1;
		break;
	}
}

/* Send COMMIT or ROLLBACK and do not wait: the connection stays in pipeline
 * mode, and the next batch reads the answer (end_collect). False if it could
 * not be sent. */
static bool end_deferred(struct pg_conn *c, const char *sql)
{
	if (PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF && !PQenterPipelineMode(c->pg))
		return false;
	/* PQpipelineSync flushes: the server has the command when this returns. */
	if (!PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQpipelineSync(c->pg))
		return false;
	c->end_pending = true;
	return true;
}

/* Read the answer to a deferred COMMIT or ROLLBACK: its result (whatever it
 * says: see the top of the file), the end of it, the sync. False if the
 * connection failed. Leaves pipeline mode on. */
static bool end_collect(struct pg_conn *c)
{
	PGresult *res;
	bool ok;

	c->end_pending = false;
	res = PQgetResult(c->pg);
	ok = res != NULL;
	PQclear(res);
	while (ok && PQstatus(c->pg) == CONNECTION_OK && (res = PQgetResult(c->pg)) != NULL)
		PQclear(res);
	if (ok && PQstatus(c->pg) == CONNECTION_OK) {
		res = PQgetResult(c->pg);
		ok = res && PQresultStatus(res) == PGRES_PIPELINE_SYNC;
		PQclear(res);
	}
	return ok && PQstatus(c->pg) == CONNECTION_OK;
}

/* Whether the batch being built already has a Parse of `s`. */
static bool prep_queued(const struct item *items, size_t n, const struct pg_stmt *s)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].it == IT_PREP && items[i].s == s)
			return true;
	return false;
}

/* The items of the next batch: what the transaction still owes the server
 * (BEGIN, the lock timeout, the tenant), the deferred statements, the
 * statement `s` (NULL: none), each with its Parse the first time, and COMMIT
 * if `commit`. Returns how many (at most 6 + 2 * ndeferred + 1). */
static size_t batch_items(struct item *items, struct pg_conn *c, struct pg_stmt *s, bool commit)
{
	size_t n = 0;

	if (c->in_tx && !c->begun) {
		items[n++] = (struct item){IT_BEGIN, NULL, NULL};
		if (c->lock_timeout_ms)
			items[n++] = (struct item){IT_LOCK, NULL, NULL};
	}
	/* A transaction starts with no tenant: nothing to clear. (Also what lets
	 * the migrations run before saas_set_tenant exists.) */
	if (c->in_tx && tenant_pending(c)) {
		if (!c->set_tenant_prepared)
			items[n++] = (struct item){IT_PREP_TENANT, NULL, NULL};
		items[n++] = (struct item){IT_TENANT, NULL, NULL};
	}
	for (size_t i = 0; i < c->ndeferred; i++) {
		struct pg_stmt *d = c->deferred[i].s;
		if (!d->prepared && !prep_queued(items, n, d))
			items[n++] = (struct item){IT_PREP, d, NULL};
		items[n++] = (struct item){IT_DEFERRED, d, &c->deferred[i]};
	}
	if (s) {
		if (!s->prepared && !prep_queued(items, n, s))
			items[n++] = (struct item){IT_PREP, s, NULL};
		items[n++] = (struct item){IT_EXEC, s, NULL};
	}
	if (commit)
		items[n++] = (struct item){IT_COMMIT, NULL, NULL};
	return n;
}

/* Send the next batch (batch_items) in one pipeline and read every result.
 * The first failure decides the error; a COMMIT that the server turned into
 * a ROLLBACK (the transaction had failed) is an error too. */
static int batch_once(struct pg_conn *c, struct pg_stmt *s, bool commit)
{
	struct item small[8], *items = small;
	size_t cap = 7 + 2 * c->ndeferred, n;
	char lock_sql[64], what[96], err_what[96];
	PGresult *err = NULL;      /* the first failure the server reported */
	const struct item *err_item = NULL;
	bool lost = false, rolled_back = false;
	int rc = SAAS_OK;

	if (cap > sizeof small / sizeof small[0] && !(items = malloc(cap * sizeof *items))) {
		c->failed = true;
		return saas__enomem();
	}
	n = batch_items(items, c, s, commit);
	if (c->lock_timeout_ms)
		/* How long a statement waits for a lock (busy_timeout_ms, as
		 * SQLite waits on a locked database). SET takes no parameter; the
		 * value is an integer of the configuration, not input. */
		snprintf(lock_sql, sizeof lock_sql, "SET LOCAL lock_timeout = %u", c->lock_timeout_ms);
	if (n == 0 && !c->end_pending)
		goto out;

	/* With an answer pending, the pipeline is already on: this batch goes
	 * right behind it, and both are read below. */
	if (!c->end_pending && !PQenterPipelineMode(c->pg)) {
		/* Only refused when the connection is not idle: not expected. */
		char msg[400];
		item_what(what, sizeof what, &items[0]);
		saas__pg_fold_message(msg, sizeof msg, PQerrorMessage(c->pg));
		c->broken = true;
		c->failed = true;
		rc = saas__err(SAAS_ESTORE, NULL, "postgres: cannot start a pipeline for %s: %s",
		               what, msg);
		goto out;
	}
	if (n > 0)
		round_trips++;
	for (size_t i = 0; i < n; i++) {
		if (!send_item(c, &items[i], lock_sql)) {
			item_what(what, sizeof what, &items[i]);
			lost = true;
			break;
		}
	}
	if (!lost && n > 0 && !PQpipelineSync(c->pg)) {
		snprintf(what, sizeof what, "sending %s", n > 1 ? "a pipeline" : "a statement");
		lost = true;
	}
	if (!lost && c->end_pending && !end_collect(c)) {
		snprintf(what, sizeof what, "the end of the previous transaction");
		lost = true;
	}
	c->end_pending = false;

	/* Each item's result (an error, or PGRES_PIPELINE_ABORTED for what the
	 * server skipped after one), each followed by NULL; then the sync. */
	for (size_t i = 0; i < n && !lost; i++) {
		PGresult *res = PQgetResult(c->pg);
		if (!res) {
			item_what(what, sizeof what, &items[i]);
			lost = true;
			break;
		}
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (items[i].it == IT_COMMIT && strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
				rolled_back = true;
			item_done(c, &items[i], &res);
			break;
		case PGRES_PIPELINE_ABORTED:
			break;
		default:
			if (!err) {
				err = res;
				err_item = &items[i];
				item_what(err_what, sizeof err_what, &items[i]);
				res = NULL;
			}
		}
		PQclear(res);
		if (PQstatus(c->pg) != CONNECTION_OK) {
			item_what(what, sizeof what, &items[i]);
			lost = true;
			break;
		}
		/* The end of this item's results. */
		while ((res = PQgetResult(c->pg)) != NULL) {
			PQclear(res);
			if (PQstatus(c->pg) != CONNECTION_OK)
				break;
		}
	}
	if (!lost && n > 0) {
		PGresult *res = PQgetResult(c->pg);
		if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
			snprintf(what, sizeof what, "the end of a pipeline");
			lost = true;
			/* The server's last word (terminating the connection, say). */
			if (res && !err && PQresultStatus(res) == PGRES_FATAL_ERROR) {
				err = res;
				snprintf(err_what, sizeof err_what, "%s", what);
				res = NULL;
			}
		}
		PQclear(res);
	}
	if (!lost && !PQexitPipelineMode(c->pg)) {
		snprintf(what, sizeof what, "the end of a pipeline");
		lost = true;
	}

	if (err) {
		const char *state = PQresultErrorField(err, PG_DIAG_SQLSTATE);
		if (err_item && err_item->s &&
		    (err_item->it == IT_EXEC || err_item->it == IT_DEFERRED) && state &&
		    strcmp(state, "0A000") == 0) {
			/* "cached plan must not change result type": a migration
			 * changed a table under the prepared statement. This call
			 * fails; the next one prepares it again under a new name (the
			 * transaction is aborted, so no DEALLOCATE now). */
			err_item->s->prepared = false;
			err_item->s->gen++;
		}
		rc = map_error(c, err, err_what);
		PQclear(err);
	} else if (lost && PQstatus(c->pg) != CONNECTION_OK) {
		rc = map_error(c, NULL, what);
	} else if (rolled_back) {
		rc = saas__err(SAAS_ESTORE, NULL,
		               "postgres: the transaction had failed and was rolled back");
	}
	if (lost && !c->broken) {
		/* Results out of step with what was sent: the connection cannot be
		 * trusted any more. */
		char msg[400];
		saas__pg_fold_message(msg, sizeof msg, PQerrorMessage(c->pg));
		c->broken = true;
		if (!rc)
			rc = saas__err(SAAS_ESTORE, NULL,
			               "postgres: the connection failed during %s: %s", what, msg);
	}
	if (lost && commit) {
		/* (saas__err cannot take the last message as an argument.) */
		char msg[400];
		snprintf(msg, sizeof msg, "%s", saas_error_message(saas_error_last()));
		rc = saas__err(SAAS_ESTORE, NULL,
		               "postgres: the connection was lost during COMMIT: the transaction "
		               "may or may not have been applied (%s)",
		               msg);
	}
	if (rc) {
		c->failed = true;
		if (s && s->res) {
			PQclear(s->res);
			s->res = NULL;
		}
	}
	if (!c->broken) {
		PGTransactionStatusType ts = PQtransactionStatus(c->pg);
		c->begun = ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
	}
out:
	/* Done with: sent and run. After a failure they stay until the
	 * transaction ends, for run_batch to send again on a new connection. */
	if (!rc)
		deferred_clear(c);
	if (items != small)
		free(items);
	return rc;
}

/* Reconnect a connection found dead before its transaction did anything. */
static int reconnect(struct pg_conn *c)
{
	char msg[400];

	PQreset(c->pg);
	stmts_forget(c);
	free(c->server_tenant);
	c->server_tenant = NULL;
	c->begun = c->failed = c->tenant_unknown = c->end_pending = false;
	if (PQstatus(c->pg) != CONNECTION_OK) {
		saas__pg_fold_message(msg, sizeof msg, PQerrorMessage(c->pg));
		c->failed = true;
		return saas__err(SAAS_ESTORE, NULL,
		                 "postgres: the connection to the server was lost and reconnecting "
		                 "to database '%s' failed: %s",
		                 saas__q(PQdb(c->pg)), msg);
	}
	c->broken = false;
	return SAAS_OK;
}

static int run_batch(struct pg_conn *c, struct pg_stmt *s)
{
	/* The first batch of a transaction: nothing ran on the server yet. */
	bool first = c->in_tx && !c->begun;
	int rc = batch_once(c, s, false);

	if (rc && first && c->broken) {
		/* The connection died while idle in the pool (a server restart,
		 * say), before anything of this transaction ran and with no COMMIT
		 * in the batch: reconnect once and send it again. */
		rc = reconnect(c);
		if (!rc)
			rc = batch_once(c, s, false);
	}
	return rc;
}

static int pg_begin(void *conn, bool write)
{
	struct pg_conn *c = conn;

	tx_forget(c);
	c->in_tx = true;
	c->write = write; /* the isolation level (see send_item) */
	return SAAS_OK;
}

static int pg_set_tenant(void *conn, const char *tenant_id)
{
	struct pg_conn *c = conn;
	char *copy = NULL;

	/* Deferred statements run under the tenant they were queued with: send
	 * them before the tenant changes. */
	if (c->ndeferred && (!tenant_id != !c->want_tenant ||
	                     (tenant_id && strcmp(tenant_id, c->want_tenant) != 0))) {
		int rc = c->failed ? aborted(c) : run_batch(c, NULL);
		if (rc)
			return rc;
	}
	if (tenant_id && !(copy = saas__strdup(tenant_id)))
		return saas__enomem();
	free(c->want_tenant);
	c->want_tenant = copy;
	return SAAS_OK;
}

static int pg_commit(void *conn)
{
	struct pg_conn *c = conn;
	int rc;

	if (!c->begun && c->ndeferred == 0) {
		/* Nothing ran: nothing to commit, and nothing is sent. */
		c->in_tx = false;
		tx_forget(c);
		return SAAS_OK;
	}
	if (c->failed) {
		c->in_tx = false;
		return saas__err(SAAS_ESTORE, NULL,
		                 "postgres: the transaction had failed and is rolled back: %s",
		                 c->broken ? "the connection to the server was lost"
		                           : "an earlier statement failed");
	}
	if (!c->write && c->ndeferred == 0) {
		/* READ ONLY at REPEATABLE READ: its COMMIT cannot fail in a way
		 * that matters (it wrote nothing), so it is not waited for. */
		c->in_tx = false;
		if (!end_deferred(c, "COMMIT"))
			c->broken = true; /* the pool drops it; what was read stands */
		tx_forget(c);
		return SAAS_OK;
	}
	/* The deferred statements, then COMMIT, in one pipeline (with BEGIN and
	 * the tenant first if nothing was sent yet: still in the transaction). */
	rc = batch_once(c, NULL, true);
	c->in_tx = false;
	if (rc)
		c->failed = true;
	else
		tx_forget(c);
	return rc;
}

static int pg_rollback(void *conn)
{
	struct pg_conn *c = conn;
	int rc = SAAS_OK;

	c->in_tx = false;
	/* The store rolls back after a failure: keep that failure's message. */
	if (c->broken)
		return SAAS_ESTORE;
	if (PQstatus(c->pg) != CONNECTION_OK) {
		c->broken = true;
		return saas__err(SAAS_ESTORE, NULL,
		                 "postgres: the connection to the server was lost (nothing was "
		                 "committed)");
	}
	/* Not begun (nothing ran): nothing is sent. Else ROLLBACK, not waited
	 * for: whatever its answer, nothing of the transaction is committed. */
	if (c->begun && !end_deferred(c, "ROLLBACK")) {
		char msg[400];
		saas__pg_fold_message(msg, sizeof msg, PQerrorMessage(c->pg));
		c->broken = true;
		rc = saas__err(SAAS_ESTORE, NULL, "postgres: sending ROLLBACK failed: %s", msg);
	}
	tx_forget(c);
	return rc;
}

static int pg_exec_script(void *conn, const char *sql)
{
	struct pg_conn *c = conn;
	int rc = c->failed ? aborted(c) : run_batch(c, NULL);

	if (!rc)
		rc = exec_simple(c, sql, "script");
	if (rc)
		c->failed = true;
	return rc;
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
	/* Prepared (Parse) with its first execution, in the same pipeline. */
	s->sql = sql;
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
		int rc = c->failed ? aborted(c) : run_batch(c, s);
		if (rc)
			return rc;
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

/* Queue the bound statement for the next pipeline (see the top of the file);
 * the statement itself can be bound again at once. */
static int pg_defer(void *stmt)
{
	struct pg_stmt *s = stmt;
	struct pg_conn *c = s->c;
	struct pg_deferred *d;

	if (c->failed)
		return aborted(c);
	if (c->ndeferred == c->capdeferred) {
		size_t cap = c->capdeferred ? c->capdeferred * 2 : 16;
		void *p = realloc(c->deferred, cap * sizeof *c->deferred);
		if (!p)
			return saas__enomem();
		c->deferred = p;
		c->capdeferred = cap;
	}
	d = &c->deferred[c->ndeferred];
	d->s = s;
	d->nparams = s->nparams;
	d->params = s->nparams ? calloc((size_t)s->nparams, sizeof *d->params) : NULL;
	if (s->nparams && !d->params)
		return saas__enomem();
	for (int i = 0; i < s->nparams; i++) {
		if (s->params[i] && !(d->params[i] = saas__strdup(s->params[i]))) {
			for (int k = 0; k < i; k++)
				free(d->params[k]);
			free(d->params);
			return saas__enomem();
		}
	}
	c->ndeferred++;
	return SAAS_OK;
}

static void pg_reset(void *stmt)
{
	stmt_clear(stmt);
}

static void *pg_native(void *conn)
{
	struct pg_conn *c = conn;

	/* The application gets the connection inside the transaction: start it
	 * on the server now, with its tenant. */
	if (c->failed ? aborted(c) : run_batch(c, NULL))
		return NULL;
	/* It may change settings (the tenant among them): set the tenant again
	 * before the library's next statement. */
	c->tenant_unknown = true;
	return c->pg;
}

/* ---- watching other connections' changes (saas__store_watch) ------------------
 * A connection of its own LISTENs on libsaas_authz; writers NOTIFY it with
 * the tenant's id as they commit (saas__st_authz_touch). A poll reads what
 * the socket already holds and never waits. */

static void pg_watch_close(void *watch)
{
	pg_close(watch);
}

static int pg_watch_open(void **out, const struct saas_store_config *cfg)
{
	void *conn = NULL;
	struct pg_conn *c;
	PGresult *res;
	int rc = pg_open(&conn, cfg);

	if (rc)
		return rc;
	c = conn;
	res = PQexec(c->pg, "LISTEN libsaas_authz");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		char msg[400];
		saas__pg_fold_message(msg, sizeof msg, PQerrorMessage(c->pg));
		rc = saas__err(SAAS_ESTORE, NULL, "postgres: LISTEN for authorization changes: %s", msg);
	}
	PQclear(res);
	if (rc) {
		pg_close(c);
		return rc;
	}
	*out = c;
	return SAAS_OK;
}

static int pg_watch_poll(void *watch, void (*fn)(const char *tenant_id, void *payload),
                         void *payload)
{
	struct pg_conn *c = watch;
	PGnotify *n;

	if (PQstatus(c->pg) != CONNECTION_OK || !PQconsumeInput(c->pg))
		return saas__err(SAAS_ESTORE, NULL,
		                 "postgres: the connection watching authorization changes was lost");
	while ((n = PQnotifies(c->pg))) {
		fn(n->extra && *n->extra ? n->extra : NULL, payload);
		PQfreemem(n);
	}
	return SAAS_OK;
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
	.defer = pg_defer,
	.native = pg_native,
	.watch_open = pg_watch_open,
	.watch_poll = pg_watch_poll,
	.watch_close = pg_watch_close,
};
