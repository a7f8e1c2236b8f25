/*
 * Typed operations behind saas/postgres.h. The SQL that does the work lives in
 * migration 0003 as functions taking parameters (saas_enable_tenant_policy
 * (regclass), saas_grant_app_role(text)); here they are called with the name
 * bound as a parameter on the transaction's own connection, so that their
 * SQLSTATE maps to precise codes. No name is ever spliced into SQL text.
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "../store.h"
#include "pg_internal.h"

/* Map a failed result of the helper functions to a code, the message naming
 * `fn` and carrying the server's message (and hint). `field` names the
 * argument a "not found" or "invalid" error is about. */
static int map_failure(PGconn *pg, const PGresult *res, const char *fn, const char *field)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	char text[600], msg[400];

	if (primary)
		snprintf(text, sizeof text, "%s%s%s%s", primary, hint ? " (hint: " : "",
		         hint ? hint : "", hint ? ")" : "");
	else
		snprintf(text, sizeof text, "%s",
		         res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res)
		                                           : PQerrorMessage(pg));
	saas__pg_fold_message(msg, sizeof msg, text);

	if (PQstatus(pg) != CONNECTION_OK || saas__pg_is_connection_error(state))
		return saas__err(SAAS_ESTORE, NULL,
		                 "%s: the connection to the server was lost (nothing was committed): %s",
		                 fn, msg);
	if (!res)
		return saas__enomem();
	if (!state)
		return saas__err(SAAS_ESTORE, NULL, "%s: %s", fn, msg);
	/* undefined_table, invalid_schema_name, undefined_object (a role) */
	if (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0 ||
	    strcmp(state, "42704") == 0)
		return saas__err(SAAS_ENOTFOUND, field, "%s: %s", fn, msg);
	/* undefined_column, datatype_mismatch, wrong_object_type,
	 * object_not_in_prerequisite_state, invalid_parameter_value, invalid_name */
	if (strcmp(state, "42703") == 0 || strcmp(state, "42804") == 0 ||
	    strcmp(state, "42809") == 0 || strcmp(state, "55000") == 0 ||
	    strcmp(state, "22023") == 0 || strcmp(state, "42602") == 0)
		return saas__err(SAAS_EINVAL, field, "%s: %s", fn, msg);
	if (strcmp(state, "42501") == 0)
		return saas__err(SAAS_EDENIED, NULL,
		                 "%s: %s (run it as the role that owns the schema and its tables)", fn,
		                 msg);
	if (strcmp(state, "55P03") == 0)
		return saas__err(SAAS_ESTORE, NULL, "%s: the table is locked (%s)", fn, msg);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return saas__err(SAAS_ECONFLICT, NULL,
		                 "%s: a concurrent transaction conflicted; retry (%s)", fn, msg);
	if (strcmp(state, "53200") == 0)
		return saas__enomem();
	return saas__err(SAAS_ESTORE, NULL, "%s: %s (SQLSTATE %s)", fn, msg, state);
}

/* The code of the error saas__tx_native() set when it could not start the
 * transaction on the server. */
int saas__pg_native_failed(const char *fn)
{
	int code = saas_error_code(saas_error_last());

	return code < 0 ? code
	                : saas__err(SAAS_ESTORE, NULL, "%s: the transaction could not be started", fn);
}

/* Run `sql` with one text parameter on the transaction's connection; on
 * success *out holds the result (free with PQclear). */
static int call_helper(PGresult **out, saas_tx *tx, const char *sql, const char *param,
                       const char *fn, const char *field)
{
	PGconn *pg = saas__tx_native(tx);
	const char *vals[1] = {param};
	PGresult *res;

	*out = NULL;
	if (!pg)
		return saas__pg_native_failed(fn);
	res = PQexecParams(pg, sql, 1, NULL, vals, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		int rc = map_failure(pg, res, fn, field);
		PQclear(res);
		return rc;
	}
	*out = res;
	return SAAS_OK;
}

int saas__st_pg_enable_tenant_policy(saas_tx *tx, const char *table, const char *fn)
{
	PGresult *res = NULL;
	int rc = call_helper(&res, tx, "SELECT saas_enable_tenant_policy(CAST($1 AS regclass))",
	                     table, fn, "table");

	PQclear(res);
	return rc;
}

int saas__st_pg_grant_app_role(saas_tx *tx, const char *role, bool *citus, const char *fn)
{
	PGresult *res = NULL;
	int rc = call_helper(&res, tx, "SELECT saas_grant_app_role($1)", role, fn, "role");

	*citus = !rc && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}
