/* Typed operations on audit_events for queries and counts (tenant-scoped). */
#include "saas/audit.h"
#include "store.h"

/* The selection shared by the query and the count. Each criterion is NULL
 * when not set ('n' binds 0 as NULL). The action prefix is compared with
 * substr/length rather than LIKE so that '%' and '_' in it are literal. */
#define SELECTION                                                                        \
	" WHERE tenant_id = $1"                                                           \
	" AND (CAST($2 AS BIGINT) IS NULL OR occurred_at >= $2)"                          \
	" AND (CAST($3 AS BIGINT) IS NULL OR occurred_at < $3)"                           \
	" AND (CAST($4 AS TEXT) IS NULL OR actor_id = $4)"                                \
	" AND (CAST($5 AS TEXT) IS NULL OR substr(action, 1, length($5)) = $5)"           \
	" AND (CAST($6 AS TEXT) IS NULL OR target_type = $6)"                             \
	" AND (CAST($7 AS TEXT) IS NULL OR target_id = $7)"

static saas_query q_select = SAAS_QUERY(
	"SELECT seq, format, prev_hash, hash, id, occurred_at, actor_type, actor_id, action,"
	" target_type, target_id, request_id, ip, user_agent, metadata FROM audit_events"
	SELECTION " AND seq > $8 ORDER BY seq LIMIT $9");
static saas_query q_count = SAAS_QUERY("SELECT COUNT(*) FROM audit_events" SELECTION);

static const saas_audit_filter any = SAAS_AUDIT_FILTER_INIT;

int saas__st_audit_query(saas_tx *tx, const struct saas_audit_filter *f, int64_t after_seq,
                         unsigned limit,
                         int (*fn)(const struct saas__audit_row *row, void *payload),
                         void *payload)
{
	saas_stmt *st = NULL;
	int rc;

	if (!f)
		f = &any;
	rc = saas__q_open(&st, tx, &q_select, "snnssssii", saas__tx_tenant(tx), f->since_ms,
	                  f->until_ms, f->actor_id, f->action_prefix, f->target_type,
	                  f->target_id, after_seq, (int64_t)limit);
	while (!rc && (rc = saas__q_step(st)) == 1) {
		struct saas__audit_row e = {
			.seq = saas__q_int(st, 0),
			.format = (int)saas__q_int(st, 1),
			.prev_hash = saas__q_text(st, 2),
			.hash = saas__q_text(st, 3),
			.id = saas__q_text(st, 4),
			.occurred_at = saas__q_int(st, 5),
			.actor_type = saas__q_text(st, 6),
			.actor_id = saas__q_text(st, 7),
			.action = saas__q_text(st, 8),
			.target_type = saas__q_text(st, 9),
			.target_id = saas__q_text(st, 10),
			.request_id = saas__q_text(st, 11),
			.ip = saas__q_text(st, 12),
			.user_agent = saas__q_text(st, 13),
			.metadata = saas__q_text(st, 14),
		};
		rc = fn(&e, payload);
		if (rc > 0) {
			rc = 0;
			break;
		}
	}
	if (st)
		saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_audit_query_count(int64_t *out, saas_tx *tx, const struct saas_audit_filter *f)
{
	saas_stmt *st = NULL;
	int rc;

	if (!f)
		f = &any;
	rc = saas__q_open(&st, tx, &q_count, "snnssss", saas__tx_tenant(tx), f->since_ms,
	                  f->until_ms, f->actor_id, f->action_prefix, f->target_type,
	                  f->target_id);
	if (rc)
		return rc;
	rc = saas__q_step(st);
	*out = rc == 1 ? saas__q_int(st, 0) : 0;
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}
