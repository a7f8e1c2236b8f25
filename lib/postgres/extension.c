/*
 * The PostgreSQL extension header (saas/postgres.h): the application's own
 * tables under the tenant rules, a callback inside a tenant-scoped
 * transaction, and the application role's grants. The SQL is in the store's
 * typed operations (lib/store/postgres/ops_ext.c); this module only checks
 * input, runs the transactions and audits.
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "saas/postgres.h"
#include "saas/tenant.h"
#include "../audit/audit.h"
#include "../core/core.h"
#include "../tenant/tenant_internal.h"
#include "../store/store.h"

/* ---- shared checks --------------------------------------------------------------- */

/* SAAS_OK if `ctx` is a context on PostgreSQL; else SAAS_EINVAL naming `fn`. */
static int need_postgres(saas_ctx *ctx, const char *fn)
{
	const char *backend;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	backend = saas_ctx_backend(ctx);
	if (!backend || strcmp(backend, "postgres") != 0)
		return saas__err(SAAS_EINVAL, "ctx", "%s needs a PostgreSQL context; this one is %s", fn,
		                 backend ? backend : "unknown");
	return SAAS_OK;
}

/* An SQL identifier as the pattern [A-Za-z_][A-Za-z0-9_]{0,62} allows (ASCII
 * only, whatever the locale). */
static bool ident_ok(const char *s, size_t n)
{
	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

/* `name` or `schema.name`. */
static bool table_name_ok(const char *t)
{
	const char *dot = strchr(t, '.');

	if (!dot)
		return ident_ok(t, strlen(t));
	return ident_ok(t, (size_t)(dot - t)) && ident_ok(dot + 1, strlen(dot + 1));
}

/* ---- saas_pg_enable_tenant_policy ----------------------------------------------- */

int saas_pg_enable_tenant_policy(saas_ctx *ctx, const char *table)
{
	static const char fn[] = "saas_pg_enable_tenant_policy";
	int64_t t0 = saas__mono_ns();
	saas_tx *tx;
	int rc;

	if ((rc = need_postgres(ctx, fn)))
		return rc;
	if (!table)
		return saas__err(SAAS_EINVAL, "table", "%s: table is NULL", fn);
	if (!table_name_ok(table))
		return saas__err(SAAS_EINVAL, "table",
		                 "%s: '%s' is not a table name: expected NAME or SCHEMA.NAME, each "
		                 "[A-Za-z_][A-Za-z0-9_]{0,62}",
		                 fn, saas__q(table));
	rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (rc)
		goto done;
	if (!rc)
		rc = saas__st_pg_enable_tenant_policy(tx, table, fn);
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		saas__log(ctx, SAAS_LOG_INFO, "tenant policy enabled", json_pack("{s:s}", "table", table));
done:
	saas__op_done(ctx, "pg.enable_tenant_policy", t0, rc);
	return rc;
}

/* ---- saas_pg_with_tenant ------------------------------------------------------------ */

static bool in_pipeline(PGconn *pg)
{
#ifdef LIBPQ_HAS_PIPELINING
	return PQpipelineStatus(pg) != PQ_PIPELINE_OFF;
#else
	(void)pg;
	return false;
#endif
}

int saas_pg_with_tenant(saas_ctx *ctx, const saas_scope *scope, saas_pg_fn fn, void *payload)
{
	static const char name[] = "saas_pg_with_tenant";
	int64_t t0 = saas__mono_ns();
	PGTransactionStatusType st;
	saas_tx *tx;
	PGconn *pg;
	int r, rc;

	if ((rc = need_postgres(ctx, name)))
		return rc;
	if (!fn)
		return saas__err(SAAS_EINVAL, "fn", "%s: fn is NULL", name);
	rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE);
	if (rc)
		goto done;
	/* The transaction started on the server, with the tenant set. */
	pg = saas__tx_native(tx);
	if (!pg) {
		rc = saas__pg_native_failed(name);
		saas__tx_rollback(tx);
		goto done;
	}
	if (in_pipeline(pg) || PQtransactionStatus(pg) != PQTRANS_INTRANS) {
		saas__tx_rollback(tx);
		rc = saas__err(SAAS_EINTERNAL, NULL, "%s: the transaction's connection is not ready",
		               name);
		goto done;
	}

	r = fn(pg, payload);

	if (in_pipeline(pg)) {
		/* Left on: leave it if nothing is pending; the rollback below
		 * drops the connection if that fails. */
		PQexitPipelineMode(pg);
		saas__tx_rollback(tx);
		rc = saas__err(SAAS_EINVAL, NULL,
		               "%s: the callback left the connection in pipeline mode; the "
		               "transaction was rolled back",
		               name);
		goto done;
	}
	st = PQtransactionStatus(pg);
	switch (st) {
	case PQTRANS_INTRANS:
		if (r == 0) {
			rc = saas__tx_commit(tx);
		} else {
			saas__tx_rollback(tx);
			rc = saas__err(SAAS_EUSER, NULL,
			               "%s: the callback returned %d: the transaction was rolled back",
			               name, r);
		}
		break;
	case PQTRANS_INERROR:
		saas__tx_rollback(tx);
		if (r != 0)
			rc = saas__err(SAAS_EUSER, NULL,
			               "%s: the callback returned %d: the transaction was rolled back",
			               name, r);
		else
			rc = saas__err(SAAS_ESTORE, NULL,
			               "%s: a statement of the callback failed, which aborted the "
			               "transaction, yet the callback returned 0: the transaction was "
			               "rolled back",
			               name);
		break;
	case PQTRANS_IDLE:
		saas__tx_rollback(tx);
		rc = saas__err(SAAS_EINVAL, NULL,
		               "%s: the callback ended the transaction itself (a COMMIT or ROLLBACK of "
		               "its own); it must not: return non-zero to roll back. What it committed "
		               "stays committed (the callback returned %d)",
		               name, r);
		break;
	case PQTRANS_ACTIVE:
		saas__tx_rollback(tx);
		rc = saas__err(SAAS_EINVAL, NULL,
		               "%s: the callback returned with a command still in progress (consume "
		               "every result before returning); the transaction was rolled back",
		               name);
		break;
	default: /* PQTRANS_UNKNOWN: the connection is bad */
		saas__tx_rollback(tx);
		rc = saas__err(SAAS_ESTORE, NULL,
		               "%s: the connection to the server was lost during the callback; the "
		               "transaction was not committed",
		               name);
		break;
	}
done:
	saas__op_done(ctx, "pg.with_tenant", t0, rc);
	return rc;
}

/* ---- saas_pg_grant_app_role ------------------------------------------------------- */

int saas_pg_grant_app_role(saas_ctx *ctx, const saas_scope *scope, const char *role)
{
	static const char fn[] = "saas_pg_grant_app_role";
	int64_t t0 = saas__mono_ns();
	bool citus = false;
	saas_tx *tx;
	int rc;

	if ((rc = need_postgres(ctx, fn)))
		return rc;
	if ((rc = saas__scope_global(scope)))
		return rc;
	if (!role)
		return saas__err(SAAS_EINVAL, "role", "%s: role is NULL", fn);
	if ((rc = saas__check_text("role", role, 63, false)))
		return rc;
	rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (rc)
		goto done;
	rc = saas__st_pg_grant_app_role(tx, role, &citus, fn);
	if (!rc) {
		rc = saas__audit_append_system(tx, scope, "store.app_role_granted", "role", role,
		                               json_pack("{s:s,s:b}", "role", role, "citus", citus));
	}
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		saas__log(ctx, SAAS_LOG_INFO, "application role granted",
		          json_pack("{s:s,s:b}", "role", role, "citus", citus));
done:
	saas__op_done(ctx, "pg.grant_app_role", t0, rc);
	return rc;
}
