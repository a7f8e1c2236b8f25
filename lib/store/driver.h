/*
 * The database driver interface: what a backend implements so that the typed
 * operations in lib/store/ run on it unchanged. Private for now; it becomes
 * `saas/sys/store.h` when third-party drivers are supported.
 *
 * A connection is used by one thread at a time (the pool hands it out). SQL
 * text uses PostgreSQL's `$1…$N` placeholders; a driver whose database wants
 * another style rewrites them in `prepare`.
 */
#ifndef SAAS_STORE_DRIVER_H
#define SAAS_STORE_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

/* One SQL statement of the library. `slot` is assigned on first use and
 * indexes each connection's prepared-statement cache. `sql_sqlite` and
 * `sql_postgres`, when set, replace `sql` on that dialect. */
typedef struct saas_query {
	unsigned slot;
	const char *sql;
	const char *sql_sqlite;
	const char *sql_postgres;
	unsigned nparams;   /* 1 + the highest $N of the text, computed at first use */
} saas_query;

#define SAAS_QUERY(text) {0, text, NULL, NULL, 0}

/* Column types as a driver reports them. */
enum { SAAS__COL_NULL = 0, SAAS__COL_INT = 1, SAAS__COL_TEXT = 2 };

struct saas_store_config {
	const char *url;         /* as given */
	const char *target;      /* driver-specific: the file path, ":memory:", the conninfo */
	unsigned busy_timeout_ms;
	bool synchronous_full;
	bool memory;
};

typedef struct saas_driver {
	const char *name;    /* "sqlite", "postgres": also the dialect */
	int (*open)(void **conn, const struct saas_store_config *cfg);
	void (*close)(void *conn);
	/* Non-zero if the connection is still usable (checked before reuse). */
	int (*healthy)(void *conn);
	/* Start a transaction; `write` transactions take the write lock at once. */
	int (*begin)(void *conn, bool write);
	/* Set (or clear, with NULL) the tenant inside the open transaction. */
	int (*set_tenant)(void *conn, const char *tenant_id);
	int (*commit)(void *conn);
	int (*rollback)(void *conn);
	/* Run a script of several statements without parameters (migrations). */
	int (*exec_script)(void *conn, const char *sql);
	/* The prepared statement for `q` on this connection, prepared on first use. */
	int (*prepare)(void *conn, const saas_query *q, void **stmt);
	int (*bind_text)(void *stmt, int i, const char *v); /* i from 1; v NULL binds NULL */
	int (*bind_int64)(void *stmt, int i, int64_t v);
	/* Optional: bind_text for a value that stays valid and unchanged until
	 * the statement is reset (the driver need not copy it). */
	int (*bind_text_static)(void *stmt, int i, const char *v);
	/* 1: a row is available; 0: done; < 0: a SAAS_E* code with the error set. */
	int (*step)(void *stmt);
	int (*column_count)(void *stmt);
	const char *(*column_name)(void *stmt, int i); /* i from 0 */
	int (*column_type)(void *stmt, int i);
	const char *(*column_text)(void *stmt, int i); /* NULL for SQL NULL */
	int64_t (*column_int64)(void *stmt, int i);
	/* Rows changed by the last completed DML statement. */
	int64_t (*changes)(void *stmt);
	/* Finish with a statement: clear results and bindings for the next use. */
	void (*reset)(void *stmt);
	/* Optional: instead of stepping a bound statement whose result nobody
	 * reads, queue it (with a copy of its values) to run before the
	 * connection's next statement or COMMIT; its error is theirs. */
	int (*defer)(void *stmt);
	/* The database library's own handle (sqlite3 *, PGconn *), for extension
	 * helpers that hand it to the application inside a transaction. A driver
	 * that starts transactions lazily (postgres) starts it on the server here,
	 * with its tenant; NULL, with the error set, if that fails. */
	void *(*native)(void *conn);
	/* Optional: watch changes that other connections commit to what
	 * authorization reads (saas__store_watch). watch_open opens a
	 * connection of its own for it; watch_poll, without waiting, calls fn
	 * with each tenant changed since the last poll, or NULL when it cannot
	 * tell (then everything counts as changed); an error means the watch
	 * is broken and will be closed and reopened. */
	int (*watch_open)(void **watch, const struct saas_store_config *cfg);
	int (*watch_poll)(void *watch, void (*fn)(const char *tenant_id, void *payload),
	                  void *payload);
	void (*watch_close)(void *watch);
} saas_driver;

extern const saas_driver saas__driver_sqlite;
#ifdef SAAS_HAVE_POSTGRES
extern const saas_driver saas__driver_postgres;
/* Network round trips the postgres driver has waited for, all connections
 * together (for tests and measurements). */
unsigned long long saas__pg_round_trips(void);
#endif

#endif
