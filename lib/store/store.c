/* The store: URL → driver, a connection pool, transactions and statement helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

struct saas_store {
	const saas_driver *drv;
	const char *backend; /* "memory", "sqlite", "postgres" */
	char *url;
	char *target;
	struct saas_store_config cfg;
	unsigned acquire_timeout_ms;

	/* Other processes' changes to authorization data (saas__store_watch). */
	pthread_mutex_t watch_lock;
	void *watch;
	bool watching;

	pthread_mutex_t lock;
	pthread_cond_t freed;
	void **idle;
	size_t nidle;
	size_t open; /* connections in existence */
	size_t max;
};

struct saas_tx {
	saas_ctx *ctx;
	struct saas_store *store;
	void *conn;
	char *tenant_id;
	bool write;
	/* Tenants whose authorization data this transaction changed
	 * (saas__st_authz_touch), told to the decision cache on commit. */
	char **touched;
	size_t ntouched;
};

struct saas_stmt {
	const saas_driver *drv;
	void *st;
};

/* ---- opening ------------------------------------------------------------------ */

int saas__store_open(struct saas_store **out, const char *url, const saas_ctx_options *opts)
{
	struct saas_store *s;
	const char *target = NULL;
	const saas_driver *drv = NULL;
	const char *backend = NULL;
	bool memory = false;

	if (!url)
		return saas__err(SAAS_EINVAL, "url", "storage URL is required");
	if (strcmp(url, "memory:") == 0) {
		drv = &saas__driver_sqlite;
		backend = "memory";
		target = ":memory:";
		memory = true;
	} else if (strncmp(url, "sqlite:", 7) == 0) {
		drv = &saas__driver_sqlite;
		backend = "sqlite";
		target = url + 7;
		if (strncmp(target, "//", 2) == 0)
			target += 2; /* sqlite://PATH is accepted too */
		if (!*target || strcmp(target, ":memory:") == 0)
			return saas__err(SAAS_EINVAL, "url",
			                 "storage URL '%s' has no file path (use memory: for an "
			                 "in-memory store)",
			                 saas__q(url));
	} else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
#ifdef SAAS_HAVE_POSTGRES
		drv = &saas__driver_postgres;
		backend = "postgres";
		target = url;
#else
		/* The URL is not echoed: it may carry a password. */
		return saas__err(SAAS_EINVAL, "url",
		                 "a PostgreSQL storage URL needs PostgreSQL support, which this "
		                 "build of libsaas does not have (configure with -Dpostgres=enabled)");
#endif
	} else {
		return saas__err(SAAS_EINVAL, "url",
		                 "storage URL '%s' is not supported: use memory:, sqlite:PATH or "
		                 "postgres://...",
		                 saas__q(url));
	}

	s = calloc(1, sizeof *s);
	if (!s)
		return saas__enomem();
	s->drv = drv;
	s->backend = backend;
	s->url = saas__strdup(url);
	s->target = saas__strdup(target);
	if (!s->url || !s->target) {
		saas__store_free(s);
		return saas__enomem();
	}
	s->cfg.url = s->url;
	s->cfg.target = s->target;
	s->cfg.busy_timeout_ms = opts->busy_timeout_ms;
	s->cfg.synchronous_full = opts->sqlite_synchronous_full != 0;
	s->cfg.memory = memory;
	s->acquire_timeout_ms = opts->acquire_timeout_ms;
	/* An in-memory database lives in its one connection. */
	s->max = memory ? 1 : (opts->pool_size ? opts->pool_size : 8);
	s->idle = calloc(s->max, sizeof *s->idle);
	if (!s->idle) {
		saas__store_free(s);
		return saas__enomem();
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->freed, NULL);
	pthread_mutex_init(&s->watch_lock, NULL);

	/* Open one connection now so a bad path or server fails here. */
	void *conn;
	int rc = drv->open(&conn, &s->cfg);
	if (rc) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->freed);
		pthread_mutex_destroy(&s->watch_lock);
		free(s->idle);
		s->idle = NULL;
		saas__store_free(s);
		return rc;
	}
	s->idle[s->nidle++] = conn;
	s->open = 1;
	*out = s;
	return SAAS_OK;
}

void saas__store_free(struct saas_store *s)
{
	if (!s)
		return;
	if (s->idle) {
		for (size_t i = 0; i < s->nidle; i++)
			s->drv->close(s->idle[i]);
		free(s->idle);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->freed);
		if (s->watch)
			s->drv->watch_close(s->watch);
		pthread_mutex_destroy(&s->watch_lock);
	}
	free(s->url);
	free(s->target);
	free(s);
}

const char *saas__store_backend(const struct saas_store *s)
{
	return s->backend;
}

/* ---- the pool ------------------------------------------------------------------- */

static int pool_acquire(struct saas_store *s, void **out)
{
	struct timespec deadline;
	int rc = SAAS_OK;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += s->acquire_timeout_ms / 1000;
	deadline.tv_nsec += (long)(s->acquire_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->nidle > 0) {
			void *c = s->idle[--s->nidle];
			if (s->drv->healthy(c)) {
				pthread_mutex_unlock(&s->lock);
				*out = c;
				return SAAS_OK;
			}
			/* A broken connection is dropped; the memory database cannot be
			 * reopened, so its one connection is always kept. */
			if (s->cfg.memory) {
				s->idle[s->nidle++] = c;
				pthread_mutex_unlock(&s->lock);
				*out = c;
				return SAAS_OK;
			}
			s->drv->close(c);
			s->open--;
		}
		if (s->open < s->max) {
			s->open++;
			pthread_mutex_unlock(&s->lock);
			rc = s->drv->open(out, &s->cfg);
			if (rc) {
				pthread_mutex_lock(&s->lock);
				s->open--;
				pthread_cond_signal(&s->freed);
				pthread_mutex_unlock(&s->lock);
			}
			return rc;
		}
		if (pthread_cond_timedwait(&s->freed, &s->lock, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&s->lock);
			return saas__err(SAAS_ESTORE, NULL,
			                 "no database connection became free within %u ms (pool of %zu)",
			                 s->acquire_timeout_ms, s->max);
		}
	}
}

static void pool_release(struct saas_store *s, void *conn, bool broken)
{
	pthread_mutex_lock(&s->lock);
	if (broken && !s->cfg.memory) {
		s->drv->close(conn);
		s->open--;
	} else {
		s->idle[s->nidle++] = conn;
	}
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

/* ---- transactions ---------------------------------------------------------------- */

static void tx_free(saas_tx *tx, bool broken)
{
	pool_release(tx->store, tx->conn, broken);
	for (size_t i = 0; i < tx->ntouched; i++)
		free(tx->touched[i]);
	free(tx->touched);
	free(tx->tenant_id);
	free(tx);
}

/* Roll back and release the connection (dropped if the rollback failed),
 * keeping the error of the operation that failed rather than the rollback's. */
static void rollback_free(saas_tx *tx, bool broken)
{
	const saas_error *e = saas_error_last();
	int code = saas_error_code(e);
	char msg[512], field[48];
	const char *f = saas_error_field(e);

	snprintf(msg, sizeof msg, "%s", saas_error_message(e));
	snprintf(field, sizeof field, "%s", f ? f : "");
	if (tx->store->drv->rollback(tx->conn))
		broken = true;
	tx_free(tx, broken);
	if (e)
		saas__err(code, field[0] ? field : NULL, "%s", msg);
}

int saas__tx_begin(saas_tx **out, saas_ctx *ctx, const char *tenant_id, bool write)
{
	saas_tx *tx;
	int rc;

	tx = calloc(1, sizeof *tx);
	if (!tx)
		return saas__enomem();
	tx->ctx = ctx;
	tx->store = ctx->store;
	tx->write = write;
	if (tenant_id && !(tx->tenant_id = saas__strdup(tenant_id))) {
		free(tx);
		return saas__enomem();
	}
	rc = pool_acquire(tx->store, &tx->conn);
	if (rc) {
		free(tx->tenant_id);
		free(tx);
		return rc;
	}
	rc = tx->store->drv->begin(tx->conn, write);
	if (!rc)
		rc = tx->store->drv->set_tenant(tx->conn, tenant_id);
	if (rc) {
		rollback_free(tx, true);
		return rc;
	}
	*out = tx;
	return SAAS_OK;
}

int saas__tx_commit(saas_tx *tx)
{
	int rc = tx->store->drv->commit(tx->conn);

	if (rc) {
		rollback_free(tx, true);
		return rc;
	}
	for (size_t i = 0; i < tx->ntouched; i++)
		saas__authz_changed(tx->ctx, tx->touched[i]);
	tx_free(tx, false);
	return rc;
}

int saas__tx_note_touched(bool *first, saas_tx *tx, const char *tenant_id)
{
	char **v;

	*first = false;
	for (size_t i = 0; i < tx->ntouched; i++)
		if (strcmp(tx->touched[i], tenant_id) == 0)
			return SAAS_OK;
	v = realloc(tx->touched, (tx->ntouched + 1) * sizeof *v);
	if (!v)
		return saas__enomem();
	tx->touched = v;
	if (!(v[tx->ntouched] = saas__strdup(tenant_id)))
		return saas__enomem();
	tx->ntouched++;
	*first = true;
	return SAAS_OK;
}

int saas__store_watch(struct saas_store *s, void (*fn)(const char *tenant_id, void *payload),
                      void *payload)
{
	int rc = SAAS_OK;

	if (s->cfg.memory || !s->drv->watch_open)
		return SAAS_OK;
	pthread_mutex_lock(&s->watch_lock);
	if (!s->watch) {
		/* Start watching; what happened before is not known, so a cache
		 * that existed before (a watch that broke) starts over. */
		rc = s->drv->watch_open(&s->watch, &s->cfg);
		if (!rc && s->watching)
			fn(NULL, payload);
		s->watching = true;
	} else {
		rc = s->drv->watch_poll(s->watch, fn, payload);
		if (rc) {
			/* Broken: reopened at the next call, which drops everything. */
			s->drv->watch_close(s->watch);
			s->watch = NULL;
		}
	}
	pthread_mutex_unlock(&s->watch_lock);
	return rc;
}

void saas__tx_rollback(saas_tx *tx)
{
	if (tx)
		rollback_free(tx, false);
}

int saas__tx_finish(saas_tx *tx, int rc)
{
	if (rc) {
		saas__tx_rollback(tx);
		return rc;
	}
	return saas__tx_commit(tx);
}

const char *saas__tx_tenant(const saas_tx *tx)
{
	return tx->tenant_id;
}

saas_ctx *saas__tx_ctx(const saas_tx *tx)
{
	return tx->ctx;
}

void *saas__tx_native(const saas_tx *tx)
{
	return tx->store->drv->native(tx->conn);
}

int saas__tx_set_tenant(saas_tx *tx, const char *tenant_id)
{
	char *copy = NULL;
	int rc;

	if (tenant_id && !(copy = saas__strdup(tenant_id)))
		return saas__enomem();
	rc = tx->store->drv->set_tenant(tx->conn, tenant_id);
	if (rc) {
		free(copy);
		return rc;
	}
	free(tx->tenant_id);
	tx->tenant_id = copy;
	return SAAS_OK;
}

int saas__store_exec_script(saas_tx *tx, const char *sql)
{
	return tx->store->drv->exec_script(tx->conn, sql);
}

/* ---- statements ---------------------------------------------------------------- */

static atomic_uint next_slot = 1;

/* The highest $N in a statement's text (0: none). */
static unsigned max_param(const char *sql)
{
	unsigned max = 0;

	for (const char *p = sql ? strchr(sql, '$') : NULL; p; p = strchr(p + 1, '$')) {
		unsigned n = 0;
		for (const char *d = p + 1; *d >= '0' && *d <= '9'; d++)
			n = n * 10 + (unsigned)(*d - '0');
		if (n > max)
			max = n;
	}
	return max;
}

/* Every bind format must give each parameter of the statement exactly one
 * value: a mismatch is a bug in the library, caught before it runs. */
static int check_params(saas_query *q, const char *fmt)
{
	unsigned n = __atomic_load_n(&q->nparams, __ATOMIC_RELAXED);

	if (n == 0) {
		unsigned a = max_param(q->sql), b = max_param(q->sql_sqlite),
		         c = max_param(q->sql_postgres);
		n = 1 + (a > b ? (a > c ? a : c) : (b > c ? b : c));
		__atomic_store_n(&q->nparams, n, __ATOMIC_RELAXED);
	}
	if (strlen(fmt) != n - 1)
		return saas__err(SAAS_EINTERNAL, NULL,
		                 "a statement with %u parameters was given %zu values", n - 1,
		                 strlen(fmt));
	return SAAS_OK;
}

/* Bind the values; `held`: the caller's strings stay valid until the
 * statement is reset (saas__q_exec), so the driver need not copy them. */
static int bind_all(saas_stmt *st, const char *fmt, va_list ap, bool held)
{
	int (*bind_text)(void *, int, const char *) =
		held && st->drv->bind_text_static ? st->drv->bind_text_static : st->drv->bind_text;
	int rc = SAAS_OK;

	for (int i = 0; fmt[i] && !rc; i++) {
		switch (fmt[i]) {
		case 's':
			rc = bind_text(st->st, i + 1, va_arg(ap, const char *));
			break;
		case 'i':
			rc = st->drv->bind_int64(st->st, i + 1, va_arg(ap, int64_t));
			break;
		case 'n': {
			int64_t v = va_arg(ap, int64_t);
			rc = v ? st->drv->bind_int64(st->st, i + 1, v)
			       : st->drv->bind_text(st->st, i + 1, NULL);
			break;
		}
		case 'b':
			rc = st->drv->bind_int64(st->st, i + 1, va_arg(ap, int) ? 1 : 0);
			break;
		default:
			rc = saas__err(SAAS_EINTERNAL, NULL, "bad bind format '%c'", fmt[i]);
		}
	}
	return rc;
}

static int q_prepare(saas_stmt *st, saas_tx *tx, saas_query *q)
{
	if (q->slot == 0) {
		/* Racing threads may both assign: either value is a free slot. */
		unsigned expected = 0, slot = atomic_fetch_add(&next_slot, 1);
		__atomic_compare_exchange_n(&q->slot, &expected, slot, false, __ATOMIC_SEQ_CST,
		                            __ATOMIC_SEQ_CST);
	}
	st->drv = tx->store->drv;
	return st->drv->prepare(tx->conn, q, &st->st);
}

static int q_vopen(saas_stmt **out, saas_tx *tx, saas_query *q, const char *fmt, va_list ap)
{
	saas_stmt *st = calloc(1, sizeof *st);
	int rc;

	if (!st)
		return saas__enomem();
	rc = check_params(q, fmt);
	if (!rc)
		rc = q_prepare(st, tx, q);
	if (rc) {
		free(st);
		return rc;
	}
	rc = bind_all(st, fmt, ap, false);
	if (rc) {
		saas__q_close(st);
		return rc;
	}
	*out = st;
	return SAAS_OK;
}

int saas__q_open(saas_stmt **out, saas_tx *tx, saas_query *q, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vopen(out, tx, q, fmt, ap);
	va_end(ap);
	return rc;
}

int saas__q_int_row(int64_t *out, saas_tx *tx, saas_query *q, const char *fmt, ...)
{
	saas_stmt *st = NULL;
	va_list ap;
	int rc;

	*out = 0;
	va_start(ap, fmt);
	rc = q_vopen(&st, tx, q, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1)
		*out = saas__q_int(st, 0);
	saas__q_close(st);
	return rc;
}

int saas__q_step(saas_stmt *st)
{
	return st->drv->step(st->st);
}

const char *saas__q_text(saas_stmt *st, int col)
{
	return st->drv->column_text(st->st, col);
}

char *saas__q_dup(saas_stmt *st, int col)
{
	const char *s = st->drv->column_text(st->st, col);
	return s ? saas__strdup(s) : NULL;
}

int64_t saas__q_int(saas_stmt *st, int col)
{
	return st->drv->column_int64(st->st, col);
}

bool saas__q_is_null(saas_stmt *st, int col)
{
	return st->drv->column_type(st->st, col) == SAAS__COL_NULL;
}

int64_t saas__q_changes(saas_stmt *st)
{
	return st->drv->changes(st->st);
}

void saas__q_close(saas_stmt *st)
{
	if (!st)
		return;
	st->drv->reset(st->st);
	free(st);
}

/* Run `q` for its effect: rows, if any, are not wanted. `defer`: queue it
 * instead where the driver can (no row count then). */
static int q_vexec(saas_tx *tx, saas_query *q, int64_t *changed, bool defer, const char *fmt,
                   va_list ap)
{
	saas_stmt st;
	int rc;

	rc = check_params(q, fmt);
	if (!rc)
		rc = q_prepare(&st, tx, q);
	if (rc)
		return rc;
	defer = defer && st.drv->defer;
	/* Values stay valid until the reset below, unless the driver keeps them. */
	rc = bind_all(&st, fmt, ap, !defer);
	if (!rc && defer) {
		rc = st.drv->defer(st.st);
	} else if (!rc) {
		do
			rc = st.drv->step(st.st);
		while (rc == 1);
	}
	if (!rc && changed)
		*changed = st.drv->changes(st.st);
	st.drv->reset(st.st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__q_exec_deferred(saas_tx *tx, saas_query *q, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vexec(tx, q, NULL, true, fmt, ap);
	va_end(ap);
	return rc;
}

int saas__q_exec(saas_tx *tx, saas_query *q, int64_t *changed, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = q_vexec(tx, q, changed, false, fmt, ap);
	va_end(ap);
	return rc;
}

json_t *saas__q_row_json(saas_stmt *st)
{
	json_t *row = json_object();
	int n = st->drv->column_count(st->st);

	if (!row)
		return NULL;
	for (int i = 0; i < n; i++) {
		const char *name = st->drv->column_name(st->st, i);
		json_t *v;
		switch (st->drv->column_type(st->st, i)) {
		case SAAS__COL_NULL:
			v = json_null();
			break;
		case SAAS__COL_INT:
			v = json_integer(st->drv->column_int64(st->st, i));
			break;
		default:
			v = json_string(st->drv->column_text(st->st, i));
		}
		if (!v || json_object_set_new(row, name, v)) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}
