/* Typed operations on audit_checkpoints (tenant-scoped): signed checkpoints
 * of a tenant's audit stream (lib/audit/checkpoint.c signs and checks them). */
#include "store.h"

static saas_query q_ckpt_insert = SAAS_QUERY(
	"INSERT INTO audit_checkpoints (tenant_id, seq, hash, created_at, key_id, signature)"
	" VALUES ($1, $2, $3, $4, $5, $6)");
static saas_query q_ckpt_last = SAAS_QUERY(
	"SELECT seq, created_at FROM audit_checkpoints WHERE tenant_id = $1"
	" ORDER BY seq DESC LIMIT 1");
/* Each checkpoint with the stored hash of the event it signs (NULL when that
 * event does not exist). */
static saas_query q_ckpt_scan = SAAS_QUERY(
	"SELECT c.seq, c.hash, c.created_at, c.key_id, c.signature, e.hash"
	" FROM audit_checkpoints c LEFT JOIN audit_events e"
	" ON e.tenant_id = c.tenant_id AND e.seq = c.seq"
	" WHERE c.tenant_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3");

int saas__st_audit_ckpt_insert(saas_tx *tx, const struct saas__audit_ckpt *c)
{
	return saas__q_exec(tx, &q_ckpt_insert, NULL, "sisiss", saas__tx_tenant(tx), c->seq,
	                    c->hash, c->created_at, c->key_id, c->signature);
}

int saas__st_audit_ckpt_last(int64_t *out_seq, int64_t *out_created_at, saas_tx *tx)
{
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, &q_ckpt_last, "s", saas__tx_tenant(tx));

	*out_seq = 0;
	*out_created_at = 0;
	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1) {
		*out_seq = saas__q_int(st, 0);
		*out_created_at = saas__q_int(st, 1);
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_audit_ckpt_scan(size_t *out_rows, saas_tx *tx, int64_t after_seq, unsigned limit,
                             int (*fn)(const struct saas__audit_ckpt *c, const char *event_hash,
                                       void *payload),
                             void *payload)
{
	saas_stmt *st;
	size_t n = 0;
	int rc;

	*out_rows = 0;
	rc = saas__q_open(&st, tx, &q_ckpt_scan, "sii", saas__tx_tenant(tx), after_seq,
	                  (int64_t)limit);
	if (rc)
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		struct saas__audit_ckpt c;

		c.seq = saas__q_int(st, 0);
		c.hash = saas__q_text(st, 1);
		c.created_at = saas__q_int(st, 2);
		c.key_id = saas__q_text(st, 3);
		c.signature = saas__q_text(st, 4);
		n++;
		rc = fn(&c, saas__q_text(st, 5), payload);
		if (rc)
			break;
	}
	saas__q_close(st);
	*out_rows = n;
	return rc < 0 ? rc : SAAS_OK;
}
