/* Typed operations on audit_events for queries and counts (tenant-scoped). */
#include "saas/audit.h"
#include "store.h"

/* The selection shared by the query and the count. Each criterion is NULL
 * when not set ('n' binds 0 as NULL). The action prefix is compared with
 * substr/length rather than LIKE so that '%' and '_' in it are literal. */
#define SELECTION                                                                        \
	" WHERE e.tenant_id = $1"                                                         \
	" AND (CAST($2 AS BIGINT) IS NULL OR e.occurred_at >= $2)"                        \
	" AND (CAST($3 AS BIGINT) IS NULL OR e.occurred_at < $3)"                         \
	" AND (CAST($4 AS TEXT) IS NULL OR e.actor_id = $4)"                              \
	" AND (CAST($5 AS TEXT) IS NULL OR substr(e.action, 1, length($5)) = $5)"         \
	" AND (CAST($6 AS TEXT) IS NULL OR e.target_type = $6)"                           \
	" AND (CAST($7 AS TEXT) IS NULL OR e.target_id = $7)"

/* Each event with its subject's key (NULL once forgotten), to decrypt its
 * personal data. */
static saas_query q_select = SAAS_QUERY(
	"SELECT " SAAS__AUDIT_COLUMNS("e.") ", k.key_id, k.key FROM audit_events e"
	" LEFT JOIN audit_subject_keys k ON k.subject_id = e.subject_id"
	SELECTION " AND e.seq > $8 ORDER BY e.seq LIMIT $9");
static saas_query q_count = SAAS_QUERY("SELECT COUNT(*) FROM audit_events e" SELECTION);

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
		struct saas__audit_row e;

		saas__st_audit_row(st, &e);
		e.subject_key_id = saas__q_text(st, SAAS__AUDIT_NCOLUMNS);
		e.subject_key = saas__q_text(st, SAAS__AUDIT_NCOLUMNS + 1);
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
	int rc;

	if (!f)
		f = &any;
	rc = saas__q_int_row(out, tx, &q_count, "snnssss", saas__tx_tenant(tx), f->since_ms,
	                     f->until_ms, f->actor_id, f->action_prefix, f->target_type,
	                     f->target_id);
	return rc < 0 ? rc : SAAS_OK;
}
