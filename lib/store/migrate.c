/* Applying the embedded migrations, one transaction each, recorded in
 * saas_schema_migrations. */
#include <string.h>

#include "saas/store.h"
#include "migrations/migrations.h"
#include "store.h"

static saas_query q_create_table = SAAS_QUERY(
	"CREATE TABLE IF NOT EXISTS saas_schema_migrations ("
	" version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
static saas_query q_max = SAAS_QUERY("SELECT COALESCE(MAX(version), 0) FROM saas_schema_migrations");
static saas_query q_has = SAAS_QUERY("SELECT 1 FROM saas_schema_migrations WHERE version = $1");
static saas_query q_record = SAAS_QUERY(
	"INSERT INTO saas_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)");
/* Whether the bookkeeping table exists, without creating it. */
static saas_query q_exists = {0,
	"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'saas_schema_migrations'",
	"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'saas_schema_migrations'",
	NULL, 0};

/* Migrations from several processes at once take turns: on PostgreSQL a
 * transaction-scoped advisory lock (key: "libsaas migrate" as a number); SQLite
 * write transactions are serialised already. */
static saas_query q_lock = {0, "SELECT 1", NULL,
	"SELECT pg_advisory_xact_lock(7021223985413252453)", 0};

/* Begin a write transaction holding the migration lock. */
static int begin_locked(saas_tx **tx, saas_ctx *ctx)
{
	int rc = saas__tx_begin(tx, ctx, NULL, true);

	if (!rc && (rc = saas__q_exec(*tx, &q_lock, NULL, ""))) {
		saas__tx_rollback(*tx);
		*tx = NULL;
	}
	return rc;
}

static int read_int(int64_t *out, saas_tx *tx, saas_query *q, const char *fmt, int64_t arg)
{
	int rc = fmt[0] ? saas__q_int_row(out, tx, q, fmt, arg) : saas__q_int_row(out, tx, q, "");

	return rc < 0 ? rc : SAAS_OK;
}

int saas__store_schema_version(saas_ctx *ctx, int *db, int *lib)
{
	saas_tx *tx;
	int64_t exists = 0, v = 0;
	int rc;

	if (lib)
		*lib = saas__migration_count;
	if (!db)
		return SAAS_OK;
	rc = saas__tx_begin(&tx, ctx, NULL, false);
	if (rc)
		return rc;
	rc = read_int(&exists, tx, &q_exists, "", 0);
	if (!rc && exists)
		rc = read_int(&v, tx, &q_max, "", 0);
	if (rc) {
		saas__tx_rollback(tx);
		return rc;
	}
	saas__tx_rollback(tx);
	*db = (int)v;
	return SAAS_OK;
}

static int apply_one(saas_ctx *ctx, const struct saas__migration *m, int *applied)
{
	const char *dialect = saas__store_backend(ctx->store);
	const char *extra = strcmp(dialect, "postgres") == 0 ? m->sql_postgres : m->sql_sqlite;
	saas_tx *tx;
	int64_t has = 0;
	int rc;

	rc = begin_locked(&tx, ctx);
	if (rc)
		return rc;
	rc = read_int(&has, tx, &q_has, "i", m->version);
	if (rc || has) {
		saas__tx_rollback(tx); /* applied already, by us or by another process */
		return rc;
	}
	if (m->sql)
		rc = saas__store_exec_script(tx, m->sql);
	if (!rc && extra)
		rc = saas__store_exec_script(tx, extra);
	if (!rc)
		rc = saas__q_exec(tx, &q_record, NULL, "isi", (int64_t)m->version, m->name,
		                  saas__now(ctx));
	if (rc)
		saas__err(rc, NULL, "migration %d (%s) failed: %s", m->version, m->name,
		          saas_error_message(saas_error_last()));
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		(*applied)++;
	return rc;
}

int saas__store_migrate(saas_ctx *ctx, int *applied)
{
	saas_tx *tx;
	int db = 0, n = 0, rc;

	rc = saas__store_schema_version(ctx, &db, NULL);
	if (rc)
		return rc;
	if (db > saas__migration_count)
		return saas__err(SAAS_ESTORE, NULL,
		                 "the database's schema is version %d, newer than this library's %d: "
		                 "upgrade libsaas",
		                 db, saas__migration_count);
	if (applied)
		*applied = 0;
	if (db == saas__migration_count)
		return SAAS_OK; /* up to date: no DDL, so a role that may not create tables can ask */
	rc = begin_locked(&tx, ctx);
	if (rc)
		return rc;
	rc = saas__tx_finish(tx, saas__q_exec(tx, &q_create_table, NULL, ""));
	for (int i = 0; !rc && i < saas__migration_count; i++)
		rc = apply_one(ctx, &saas__migrations[i], &n);
	if (applied)
		*applied = n;
	if (n)
		saas__log(ctx, SAAS_LOG_INFO, "schema migrated",
		          json_pack("{s:i,s:i}", "applied", n, "version", saas__migration_count));
	return rc;
}

int saas_store_migrate(saas_ctx *ctx, int *out_applied)
{
	if (out_applied)
		*out_applied = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	return saas__store_migrate(ctx, out_applied);
}

int saas_store_schema_version(saas_ctx *ctx, int *out_db, int *out_library)
{
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	return saas__store_schema_version(ctx, out_db, out_library);
}
