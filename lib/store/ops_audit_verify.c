/* Reading an audit stream in sequence order, for verification (tenant-scoped). */
#include <string.h>

#include "store.h"

static saas_query q_scan = SAAS_QUERY(
	"SELECT " SAAS__AUDIT_COLUMNS("")
	" FROM audit_events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");

void saas__st_audit_row(saas_stmt *st, struct saas__audit_row *r)
{
	memset(r, 0, sizeof *r);
	r->seq = saas__q_int(st, 0);
	r->format = (int)saas__q_int(st, 1);
	r->prev_hash = saas__q_text(st, 2);
	r->hash = saas__q_text(st, 3);
	r->id = saas__q_text(st, 4);
	r->occurred_at = saas__q_int(st, 5);
	r->actor_type = saas__q_text(st, 6);
	r->actor_id = saas__q_text(st, 7);
	r->action = saas__q_text(st, 8);
	r->target_type = saas__q_text(st, 9);
	r->target_id = saas__q_text(st, 10);
	r->request_id = saas__q_text(st, 11);
	r->ip = saas__q_text(st, 12);
	r->user_agent = saas__q_text(st, 13);
	r->metadata = saas__q_text(st, 14);
	r->on_behalf_of = saas__q_text(st, 15);
	r->subject_id = saas__q_text(st, 16);
	r->personal = saas__q_text(st, 17);
}

int saas__st_audit_scan(size_t *out_rows, saas_tx *tx, int64_t after_seq, unsigned limit,
                        int (*fn)(const struct saas__audit_row *row, void *payload),
                        void *payload)
{
	saas_stmt *st;
	size_t n = 0;
	int rc;

	if (out_rows)
		*out_rows = 0;
	rc = saas__q_open(&st, tx, &q_scan, "sii", saas__tx_tenant(tx), after_seq, (int64_t)limit);
	if (rc)
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		struct saas__audit_row r;

		saas__st_audit_row(st, &r);
		n++;
		rc = fn(&r, payload);
		if (rc)
			break;
	}
	saas__q_close(st);
	if (out_rows)
		*out_rows = n;
	if (rc < 0)
		return rc;
	return SAAS_OK;
}
