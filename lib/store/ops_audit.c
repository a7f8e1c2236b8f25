/* Typed operations on audit_events (tenant-scoped). */
#include "store.h"

/* Appenders to one stream take turns: each holds the stream's lock from before
 * it reads MAX(seq) until its transaction ends, so two concurrent writers never
 * pick the same number. PostgreSQL: a transaction-scoped advisory lock keyed on
 * the stream. SQLite: write transactions are serialised already (BEGIN
 * IMMEDIATE), so a no-op that still takes the parameter. */
static saas_query q_lock_stream = {0,
	"SELECT 1 WHERE $1 IS NOT NULL",
	NULL,
	"SELECT pg_advisory_xact_lock(hashtextextended('saas.audit_events:' || $1, 0))"};
static saas_query q_next_seq = SAAS_QUERY(
	"SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_events WHERE tenant_id = $1");
static saas_query q_insert = SAAS_QUERY(
	"INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id, action,"
	" target_type, target_id, request_id, ip, user_agent, metadata)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
static saas_query q_count = SAAS_QUERY(
	"SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1 AND (CAST($2 AS TEXT) IS NULL OR action = $2)");

int saas__st_audit_append(int64_t *out_seq, saas_tx *tx, const struct saas__audit_row *e)
{
	const char *tenant = saas__tx_tenant(tx);
	saas_stmt *st;
	int64_t seq;
	int rc;

	rc = saas__q_exec(tx, &q_lock_stream, NULL, "s", tenant);
	if (rc)
		return rc;
	rc = saas__q_open(&st, tx, &q_next_seq, "s", tenant);
	if (rc)
		return rc;
	rc = saas__q_step(st);
	seq = rc == 1 ? saas__q_int(st, 0) : 1;
	saas__q_close(st);
	if (rc < 0)
		return rc;
	rc = saas__q_exec(tx, &q_insert, NULL, "sisisssssssss", tenant, seq, e->id, e->occurred_at,
	                  e->actor_type, e->actor_id, e->action, e->target_type, e->target_id,
	                  e->request_id, e->ip, e->user_agent, e->metadata);
	if (!rc && out_seq)
		*out_seq = seq;
	return rc;
}

int saas__st_audit_count(int64_t *out, saas_tx *tx, const char *action)
{
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, &q_count, "ss", saas__tx_tenant(tx), action);

	if (rc)
		return rc;
	rc = saas__q_step(st);
	*out = rc == 1 ? saas__q_int(st, 0) : 0;
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}
