/* Typed operations for audit retention (tenant-scoped): purging the oldest
 * events of a stream under a signed anchor (lib/audit/retention.c). */
#include <stdlib.h>
#include <string.h>

#include "store.h"

static saas_query q_anchor_get = SAAS_QUERY(
	"SELECT seq, hash, created_at, key_id, signature FROM audit_anchors WHERE tenant_id = $1");
static saas_query q_anchor_put = SAAS_QUERY(
	"INSERT INTO audit_anchors (tenant_id, seq, hash, created_at, key_id, signature)"
	" VALUES ($1, $2, $3, $4, $5, $6)"
	" ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
	" created_at = excluded.created_at, key_id = excluded.key_id,"
	" signature = excluded.signature");
/* In seq order, so the scan stops at the first event kept: the purged
 * prefix, not the whole stream. */
static saas_query q_first_at = SAAS_QUERY(
	"SELECT seq FROM audit_events WHERE tenant_id = $1 AND occurred_at >= $2"
	" ORDER BY seq LIMIT 1");
static saas_query q_hash_at = SAAS_QUERY(
	"SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = $2");
static saas_query q_delete_events = SAAS_QUERY(
	"DELETE FROM audit_events WHERE tenant_id = $1 AND seq <= $2");
static saas_query q_delete_ckpts = SAAS_QUERY(
	"DELETE FROM audit_checkpoints WHERE tenant_id = $1 AND seq <= $2");

void saas__audit_ckpt_clear(struct saas__audit_ckpt *c)
{
	free((char *)c->hash);
	free((char *)c->key_id);
	free((char *)c->signature);
	memset(c, 0, sizeof *c);
}

static char *dup_or_empty(const char *s)
{
	return saas__strdup(s ? s : "");
}

int saas__st_audit_anchor_get(bool *found, struct saas__audit_ckpt *out, saas_tx *tx)
{
	saas_stmt *st;
	int rc;

	*found = false;
	memset(out, 0, sizeof *out);
	rc = saas__q_open(&st, tx, &q_anchor_get, "s", saas__tx_tenant(tx));
	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1) {
		out->seq = saas__q_int(st, 0);
		out->hash = dup_or_empty(saas__q_text(st, 1));
		out->created_at = saas__q_int(st, 2);
		out->key_id = dup_or_empty(saas__q_text(st, 3));
		out->signature = dup_or_empty(saas__q_text(st, 4));
		if (!out->hash || !out->key_id || !out->signature) {
			saas__audit_ckpt_clear(out);
			rc = saas__enomem();
		} else {
			*found = true;
		}
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_audit_anchor_put(saas_tx *tx, const struct saas__audit_ckpt *a)
{
	return saas__q_exec(tx, &q_anchor_put, NULL, "sisiss", saas__tx_tenant(tx), a->seq,
	                    a->hash, a->created_at, a->key_id, a->signature);
}

int saas__st_audit_first_at(int64_t *out_seq, saas_tx *tx, int64_t at_ms)
{
	int rc = saas__q_int_row(out_seq, tx, &q_first_at, "si", saas__tx_tenant(tx), at_ms);

	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_audit_hash_at(bool *found, char out_hash[65], saas_tx *tx, int64_t seq)
{
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, &q_hash_at, "si", saas__tx_tenant(tx), seq);

	*found = false;
	out_hash[0] = '\0';
	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1) {
		const char *h = saas__q_text(st, 0);
		if (h && strlen(h) == 64) {
			memcpy(out_hash, h, 65);
			*found = true;
		}
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_audit_delete_through(int64_t *out_events, saas_tx *tx, int64_t through_seq)
{
	const char *tenant = saas__tx_tenant(tx);
	int rc = saas__q_exec(tx, &q_delete_events, out_events, "si", tenant, through_seq);

	return rc ? rc : saas__q_exec(tx, &q_delete_ckpts, NULL, "si", tenant, through_seq);
}
