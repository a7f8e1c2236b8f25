/* Typed operations on audit_events (tenant-scoped). */
#include <string.h>

#include "store.h"

/* Appenders to one stream take turns: each holds the stream's lock from before
 * it reads MAX(seq) until its transaction ends, so two concurrent writers never
 * pick the same number. PostgreSQL: a transaction-scoped advisory lock keyed on
 * the stream. SQLite: write transactions are serialised already (BEGIN
 * IMMEDIATE), so a no-op that still takes the parameter. */
static saas_query q_lock_stream = {0,
	"SELECT 1 WHERE $1 IS NOT NULL",
	NULL,
	"SELECT pg_advisory_xact_lock(hashtextextended('saas.audit_events:' || $1, 0))", 0};
static saas_query q_tail = SAAS_QUERY(
	"SELECT seq, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1");
/* A stream whose events were all purged continues from its anchor. */
static saas_query q_anchor_tail = SAAS_QUERY(
	"SELECT seq, hash FROM audit_anchors WHERE tenant_id = $1");
static saas_query q_insert = SAAS_QUERY(
	"INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id, action,"
	" target_type, target_id, request_id, ip, user_agent, metadata, format, prev_hash, hash,"
	" on_behalf_of, subject_id, personal)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
	" $19)");
static saas_query q_count = SAAS_QUERY(
	"SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1 AND (CAST($2 AS TEXT) IS NULL OR action = $2)");

/* The last (seq, hash) that `q` reads; rc 1 when there is one. */
static int read_tail(int64_t *out_seq, char out_hash[65], saas_tx *tx, saas_query *q)
{
	const char *tenant = saas__tx_tenant(tx);
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, q, "s", tenant);

	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1) {
		const char *h = saas__q_text(st, 1);
		*out_seq = saas__q_int(st, 0);
		if (!h || strlen(h) != 64)
			rc = saas__err(SAAS_ESTORE, NULL,
			               "the audit tail (event or anchor) %lld of tenant %s has no valid hash",
			               (long long)*out_seq, tenant);
		else
			memcpy(out_hash, h, 65);
	}
	saas__q_close(st);
	return rc;
}

int saas__st_audit_tail(int64_t *out_seq, char out_hash[65], saas_tx *tx)
{
	/* The lock goes out with the tail's read (PostgreSQL: one pipeline,
	 * run in order, so the read's snapshot is taken after the lock). */
	int rc = saas__q_exec_deferred(tx, &q_lock_stream, "s", saas__tx_tenant(tx));

	*out_seq = 0;
	memset(out_hash, '0', 64);
	out_hash[64] = '\0';
	if (!rc)
		rc = read_tail(out_seq, out_hash, tx, &q_tail);
	if (rc == 0)
		rc = read_tail(out_seq, out_hash, tx, &q_anchor_tail);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_audit_insert(saas_tx *tx, const struct saas__audit_row *e)
{
	/* Sent with the next statement or the COMMIT (a batch's INSERTs in one
	 * pipeline); a failure fails the transaction all the same. */
	return saas__q_exec_deferred(tx, &q_insert, "sisisssssssssisssss", saas__tx_tenant(tx),
	                             e->seq, e->id, e->occurred_at, e->actor_type, e->actor_id,
	                             e->action, e->target_type, e->target_id, e->request_id, e->ip,
	                             e->user_agent, e->metadata, (int64_t)e->format, e->prev_hash,
	                             e->hash, e->on_behalf_of, e->subject_id, e->personal);
}

int saas__st_audit_count(int64_t *out, saas_tx *tx, const char *action)
{
	int rc = saas__q_int_row(out, tx, &q_count, "ss", saas__tx_tenant(tx), action);

	return rc < 0 ? rc : SAAS_OK;
}
