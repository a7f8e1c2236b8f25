/* The SQLite driver: files (WAL, busy timeout, foreign keys) and in-memory databases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../../core/core.h"
#include "../driver.h"

struct sqlite_stmt {
	sqlite3_stmt *st;
	sqlite3 *db;
	int64_t changes;
};

/* The transaction statements, prepared once per connection. */
enum { TX_BEGIN, TX_BEGIN_IMMEDIATE, TX_COMMIT, TX_ROLLBACK, TX_COUNT };
static const char *const tx_sql[TX_COUNT] = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"};

struct sqlite_conn {
	sqlite3 *db;
	struct sqlite_stmt **stmts; /* indexed by query slot; each allocated once */
	unsigned nstmts;
	sqlite3_stmt *tx[TX_COUNT];
	bool broken;
};

static int map_error(sqlite3 *db, int rc, const char *what)
{
	int ext = sqlite3_extended_errcode(db);
	const char *msg = sqlite3_errmsg(db);

	switch (ext) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return saas__err(SAAS_EEXISTS, NULL, "a unique value is already taken (%s)", msg);
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return saas__err(SAAS_ENOTFOUND, NULL, "a referenced row does not exist (%s)", msg);
	default:
		break;
	}
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return saas__err(SAAS_ESTORE, NULL, "sqlite: %s: the database is locked (%s)", what, msg);
	if ((rc & 0xff) == SQLITE_NOMEM)
		return saas__enomem();
	return saas__err(SAAS_ESTORE, NULL, "sqlite: %s failed: %s", what, msg);
}

static int exec_simple(struct sqlite_conn *c, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, &err);

	sqlite3_free(err);
	if (rc != SQLITE_OK)
		return map_error(c->db, rc, sql);
	return SAAS_OK;
}

/* Run one of the transaction statements (prepared on first use: parsing
 * BEGIN and COMMIT again for every transaction costs as much as a small
 * query). */
static int exec_tx(struct sqlite_conn *c, int which)
{
	int rc;

	if (!c->tx[which] &&
	    (rc = sqlite3_prepare_v2(c->db, tx_sql[which], -1, &c->tx[which], NULL)) != SQLITE_OK)
		return map_error(c->db, rc, tx_sql[which]);
	rc = sqlite3_step(c->tx[which]);
	sqlite3_reset(c->tx[which]);
	return rc == SQLITE_DONE ? SAAS_OK : map_error(c->db, rc, tx_sql[which]);
}

static void sq_close(void *conn)
{
	struct sqlite_conn *c = conn;

	if (!c)
		return;
	for (int i = 0; i < TX_COUNT; i++)
		sqlite3_finalize(c->tx[i]);
	for (unsigned i = 0; i < c->nstmts; i++) {
		if (c->stmts[i])
			sqlite3_finalize(c->stmts[i]->st);
		free(c->stmts[i]);
	}
	free(c->stmts);
	sqlite3_close_v2(c->db);
	free(c);
}

static int sq_open(void **out, const struct saas_store_config *cfg)
{
	struct sqlite_conn *c = calloc(1, sizeof *c);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	char pragma[128];
	int rc;

	if (!c)
		return saas__enomem();
	rc = sqlite3_open_v2(cfg->target, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = saas__err(SAAS_ESTORE, NULL, "sqlite: cannot open '%s': %s", saas__q(cfg->target),
		               c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sq_close(c);
		return rc;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, (int)cfg->busy_timeout_ms);
	/* secure_delete: deleted content (a forgotten subject's audit key, a purged
	 * tenant) is overwritten in the file, not left in free pages. */
	snprintf(pragma, sizeof pragma,
	         "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; PRAGMA synchronous=%s;",
	         cfg->synchronous_full ? "FULL" : "NORMAL");
	rc = exec_simple(c, pragma);
	if (!rc && !cfg->memory)
		rc = exec_simple(c, "PRAGMA journal_mode=WAL;");
	if (rc) {
		sq_close(c);
		return rc;
	}
	*out = c;
	return SAAS_OK;
}

static int sq_healthy(void *conn)
{
	struct sqlite_conn *c = conn;
	return !c->broken && sqlite3_get_autocommit(c->db);
}

static int sq_begin(void *conn, bool write)
{
	return exec_tx(conn, write ? TX_BEGIN_IMMEDIATE : TX_BEGIN);
}

static int sq_set_tenant(void *conn, const char *tenant_id)
{
	/* SQLite has no row-level security: every query names tenant_id itself. */
	(void)conn;
	(void)tenant_id;
	return SAAS_OK;
}

static int sq_commit(void *conn)
{
	struct sqlite_conn *c = conn;
	int rc = exec_tx(c, TX_COMMIT);

	if (rc && !sqlite3_get_autocommit(c->db)) {
		/* COMMIT failed but the transaction is still open: undo it. */
		exec_tx(c, TX_ROLLBACK);
	}
	return rc;
}

static int sq_rollback(void *conn)
{
	struct sqlite_conn *c = conn;

	if (sqlite3_get_autocommit(c->db))
		return SAAS_OK; /* SQLite already rolled back (e.g. after SQLITE_FULL) */
	int rc = exec_tx(c, TX_ROLLBACK);
	if (rc)
		c->broken = true;
	return rc;
}

static int sq_exec_script(void *conn, const char *sql)
{
	return exec_simple(conn, sql);
}

/* Rewrite `$N` placeholders as SQLite's `?N`, leaving quoted text alone. */
static char *rewrite_placeholders(const char *sql)
{
	char *out = saas__strdup(sql);
	char quote = 0;

	if (!out)
		return NULL;
	for (char *p = out; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			*p = '?';
		}
	}
	return out;
}

static int sq_prepare(void *conn, const saas_query *q, void **out)
{
	struct sqlite_conn *c = conn;
	const char *sql = q->sql_sqlite ? q->sql_sqlite : q->sql;
	char *text;
	int rc;

	if (q->slot >= c->nstmts) {
		unsigned n = q->slot + 16;
		struct sqlite_stmt **v = realloc(c->stmts, n * sizeof *v);
		if (!v)
			return saas__enomem();
		memset(v + c->nstmts, 0, (n - c->nstmts) * sizeof *v);
		c->stmts = v;
		c->nstmts = n;
	}
	if (!c->stmts[q->slot] && !(c->stmts[q->slot] = calloc(1, sizeof **c->stmts)))
		return saas__enomem();
	struct sqlite_stmt *s = c->stmts[q->slot];
	if (!s->st) {
		text = rewrite_placeholders(sql);
		if (!text)
			return saas__enomem();
		rc = sqlite3_prepare_v3(c->db, text, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
		free(text);
		if (rc != SQLITE_OK)
			return map_error(c->db, rc, "prepare");
		s->db = c->db;
	}
	s->changes = 0;
	*out = s;
	return SAAS_OK;
}

static int bind_rc(struct sqlite_stmt *s, int rc)
{
	return rc == SQLITE_OK ? SAAS_OK : map_error(s->db, rc, "bind");
}

static int sq_bind_text(void *stmt, int i, const char *v)
{
	struct sqlite_stmt *s = stmt;
	if (!v)
		return bind_rc(s, sqlite3_bind_null(s->st, i));
	return bind_rc(s, sqlite3_bind_text(s->st, i, v, -1, SQLITE_TRANSIENT));
}

static int sq_bind_text_static(void *stmt, int i, const char *v)
{
	struct sqlite_stmt *s = stmt;
	if (!v)
		return bind_rc(s, sqlite3_bind_null(s->st, i));
	return bind_rc(s, sqlite3_bind_text(s->st, i, v, -1, SQLITE_STATIC));
}

static int sq_bind_int64(void *stmt, int i, int64_t v)
{
	struct sqlite_stmt *s = stmt;
	return bind_rc(s, sqlite3_bind_int64(s->st, i, v));
}

static int sq_step(void *stmt)
{
	struct sqlite_stmt *s = stmt;
	int rc = sqlite3_step(s->st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_changes64(s->db);
		return 0;
	}
	return map_error(s->db, rc, "step");
}

static int sq_column_count(void *stmt)
{
	return sqlite3_column_count(((struct sqlite_stmt *)stmt)->st);
}

static const char *sq_column_name(void *stmt, int i)
{
	return sqlite3_column_name(((struct sqlite_stmt *)stmt)->st, i);
}

static int sq_column_type(void *stmt, int i)
{
	switch (sqlite3_column_type(((struct sqlite_stmt *)stmt)->st, i)) {
	case SQLITE_NULL:
		return SAAS__COL_NULL;
	case SQLITE_INTEGER:
		return SAAS__COL_INT;
	default:
		return SAAS__COL_TEXT;
	}
}

static const char *sq_column_text(void *stmt, int i)
{
	return (const char *)sqlite3_column_text(((struct sqlite_stmt *)stmt)->st, i);
}

static int64_t sq_column_int64(void *stmt, int i)
{
	return sqlite3_column_int64(((struct sqlite_stmt *)stmt)->st, i);
}

static int64_t sq_changes(void *stmt)
{
	return ((struct sqlite_stmt *)stmt)->changes;
}

static void sq_reset(void *stmt)
{
	struct sqlite_stmt *s = stmt;
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
}

static void *sq_native(void *conn)
{
	return ((struct sqlite_conn *)conn)->db;
}

/* ---- watching other connections' changes (saas__store_watch) ------------------
 * PRAGMA data_version on a connection of its own tells, without reading
 * anything, whether another connection committed since the last look; only
 * then are the new rows of authz_changes (migration 8) read. Their seq is
 * in commit order, since SQLite has one writer at a time. */

struct sq_watch {
	struct sqlite_conn *c;
	int64_t version; /* data_version at the last poll */
	int64_t seq;     /* the last authz_changes row seen */
};

static int watch_int(struct sqlite_conn *c, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return map_error(c->db, rc, "watch");
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? SAAS_OK : map_error(c->db, rc, "watch");
}

static void sq_watch_close(void *watch)
{
	struct sq_watch *w = watch;

	if (w) {
		sq_close(w->c);
		free(w);
	}
}

static int sq_watch_open(void **out, const struct saas_store_config *cfg)
{
	struct sq_watch *w = calloc(1, sizeof *w);
	void *c = NULL;
	int rc;

	if (!w)
		return saas__enomem();
	rc = sq_open(&c, cfg);
	w->c = c;
	if (!rc)
		rc = watch_int(w->c, "PRAGMA data_version", &w->version);
	if (!rc)
		rc = watch_int(w->c, "SELECT COALESCE(MAX(seq), 0) FROM authz_changes", &w->seq);
	if (rc) {
		sq_watch_close(w);
		return rc;
	}
	*out = w;
	return SAAS_OK;
}

static int sq_watch_poll(void *watch, void (*fn)(const char *tenant_id, void *payload),
                         void *payload)
{
	struct sq_watch *w = watch;
	int64_t version, first;
	sqlite3_stmt *st;
	int rc = watch_int(w->c, "PRAGMA data_version", &version);

	if (rc || version == w->version)
		return rc;
	w->version = version;
	/* Rows pruned before this watch saw them: which tenants is unknown. */
	if ((rc = watch_int(w->c, "SELECT COALESCE(MIN(seq), 0) FROM authz_changes", &first)))
		return rc;
	if (first > w->seq + 1)
		fn(NULL, payload);
	rc = sqlite3_prepare_v2(w->c->db,
	                        "SELECT seq, changed FROM authz_changes WHERE seq > ? ORDER BY seq", -1,
	                        &st, NULL);
	if (rc != SQLITE_OK)
		return map_error(w->c->db, rc, "watch");
	sqlite3_bind_int64(st, 1, w->seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w->seq = sqlite3_column_int64(st, 0);
		fn((const char *)sqlite3_column_text(st, 1), payload);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SAAS_OK : map_error(w->c->db, rc, "watch");
}

const saas_driver saas__driver_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.healthy = sq_healthy,
	.begin = sq_begin,
	.set_tenant = sq_set_tenant,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec_script = sq_exec_script,
	.prepare = sq_prepare,
	.bind_text = sq_bind_text,
	.bind_int64 = sq_bind_int64,
	.bind_text_static = sq_bind_text_static,
	.step = sq_step,
	.column_count = sq_column_count,
	.column_name = sq_column_name,
	.column_type = sq_column_type,
	.column_text = sq_column_text,
	.column_int64 = sq_column_int64,
	.changes = sq_changes,
	.reset = sq_reset,
	.native = sq_native,
	.watch_open = sq_watch_open,
	.watch_poll = sq_watch_poll,
	.watch_close = sq_watch_close,
};
