/* Typed operations for authorization (lib/authz/): the one-statement read a
 * decision needs, support grants, and the change notes that keep decision
 * caches current (saas__st_authz_touch). */
#include <string.h>

#include "store.h"

/* SQLite: a row per change, read by other processes' watches (the newest
 * 10,000 kept); PostgreSQL: a notification, delivered when the
 * transaction commits. */
static saas_query q_touch = {0, NULL,
	"INSERT INTO authz_changes (changed) VALUES ($1)",
	"SELECT pg_notify('libsaas_authz', $1)", 0};
static saas_query q_prune = SAAS_QUERY(
	"DELETE FROM authz_changes WHERE seq <= (SELECT MAX(seq) FROM authz_changes) - 10000");

int saas__st_authz_touch(saas_tx *tx, const char *tenant_id)
{
	bool first;
	int rc = saas__tx_note_touched(&first, tx, tenant_id);

	if (rc || !first)
		return rc;
	if (strcmp(saas__store_backend(saas__tx_ctx(tx)->store), "postgres") == 0)
		return saas__q_exec_deferred(tx, &q_touch, "s", tenant_id);
	rc = saas__q_exec(tx, &q_touch, NULL, "s", tenant_id);
	return rc ? rc : saas__q_exec(tx, &q_prune, NULL, "");
}

/* Everything one decision reads, as rows of (kind, a, b, c, n), in one
 * statement per kind of actor: the tenant's status; a user's roles and the
 * tenant's custom roles; or a support actor's newest grant, the newest
 * grant to every staff, and the custom roles; or a role's definition. A
 * missing part is simply absent. */
#define LOAD_TENANT "SELECT 't', status, NULL, NULL, 0 FROM tenants WHERE id = $1"
#define LOAD_ROLES                                                                         \
	" UNION ALL SELECT 'r', name, permissions, inherits, 0 FROM tenant_roles"          \
	" WHERE tenant_id = $1"
static saas_query q_load_tenant = SAAS_QUERY(LOAD_TENANT);
static saas_query q_load_user = SAAS_QUERY(
	LOAD_TENANT
	" UNION ALL SELECT 'm', role, NULL, NULL, 0 FROM member_roles"
	" WHERE tenant_id = $1 AND user_id = $2" LOAD_ROLES);
static saas_query q_load_staff = SAAS_QUERY(
	LOAD_TENANT
	" UNION ALL SELECT * FROM (SELECT 'g', id, role, staff, expires_at FROM support_grants"
	" WHERE tenant_id = $1 AND staff = $2 AND revoked_at IS NULL"
	" ORDER BY expires_at DESC LIMIT 1) g1"
	" UNION ALL SELECT * FROM (SELECT 'g', id, role, staff, expires_at FROM support_grants"
	" WHERE tenant_id = $1 AND staff IS NULL AND revoked_at IS NULL"
	" ORDER BY expires_at DESC LIMIT 1) g2" LOAD_ROLES);
static saas_query q_load_key = SAAS_QUERY(
	LOAD_TENANT
	" UNION ALL SELECT 'k', permissions, created_by, CAST(revoked_at AS TEXT),"
	" COALESCE(expires_at, 0) FROM api_keys WHERE tenant_id = $1 AND id = $2"
	" UNION ALL SELECT 'm', role, NULL, NULL, 0 FROM member_roles"
	" WHERE tenant_id = $1 AND user_id ="
	" (SELECT created_by FROM api_keys WHERE tenant_id = $1 AND id = $2)" LOAD_ROLES);
static saas_query q_load_roles = SAAS_QUERY(LOAD_TENANT LOAD_ROLES);

int saas__st_authz_load(saas_tx *tx, const char *user_id, const char *staff, const char *key_id,
                        bool with_roles,
                        int (*fn)(const struct saas__authz_row *r, void *payload), void *payload)
{
	const char *tenant = saas__tx_tenant(tx);
	saas_stmt *st;
	int rc = user_id     ? saas__q_open(&st, tx, &q_load_user, "ss", tenant, user_id)
	         : staff     ? saas__q_open(&st, tx, &q_load_staff, "ss", tenant, staff)
	         : key_id    ? saas__q_open(&st, tx, &q_load_key, "ss", tenant, key_id)
	         : with_roles ? saas__q_open(&st, tx, &q_load_roles, "s", tenant)
	                      : saas__q_open(&st, tx, &q_load_tenant, "s", tenant);

	if (rc)
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		const char *k = saas__q_text(st, 0);
		struct saas__authz_row r = {k ? k[0] : '?', saas__q_text(st, 1), saas__q_text(st, 2),
		                            saas__q_text(st, 3), saas__q_int(st, 4)};
		if ((rc = fn(&r, payload)))
			break;
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

/* ---- support grants ---------------------------------------------------------------- */

#define SGRANT_COLS "id, staff, role, granted_by, created_at, expires_at, revoked_at"

static saas_query q_sg_insert = SAAS_QUERY(
	"INSERT INTO support_grants (tenant_id, " SGRANT_COLS ")"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)");
static saas_query q_sg_revoke = SAAS_QUERY(
	"UPDATE support_grants SET revoked_at = $3"
	" WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL");
static saas_query q_sg_revoke_staff = SAAS_QUERY(
	"UPDATE support_grants SET revoked_at = $3"
	" WHERE tenant_id = $1 AND revoked_at IS NULL"
	" AND (staff = $2 OR (staff IS NULL AND $2 IS NULL))");
static saas_query q_sg_list = SAAS_QUERY(
	"SELECT " SGRANT_COLS " FROM support_grants WHERE tenant_id = $1"
	" ORDER BY created_at DESC, id DESC");

int saas__st_sgrant_insert(saas_tx *tx, const struct saas__sgrant *g)
{
	const char *tenant = saas__tx_tenant(tx);
	int rc = saas__q_exec(tx, &q_sg_insert, NULL, "ssssiii", tenant, g->id, g->staff, g->role,
	                      g->granted_by, g->created_at, g->expires_at);

	return rc ? rc : saas__st_authz_touch(tx, tenant);
}

int saas__st_sgrant_revoke(int64_t *changed, saas_tx *tx, const char *id, int64_t now)
{
	const char *tenant = saas__tx_tenant(tx);
	int rc = saas__q_exec(tx, &q_sg_revoke, changed, "ssi", tenant, id, now);

	return rc ? rc : saas__st_authz_touch(tx, tenant);
}

int saas__st_sgrant_revoke_staff(saas_tx *tx, const char *staff, int64_t now)
{
	const char *tenant = saas__tx_tenant(tx);
	int rc = saas__q_exec(tx, &q_sg_revoke_staff, NULL, "ssi", tenant, staff, now);

	return rc ? rc : saas__st_authz_touch(tx, tenant);
}

int saas__st_sgrant_list(saas_tx *tx, int (*fn)(const struct saas__sgrant *g, void *payload),
                         void *payload)
{
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, &q_sg_list, "s", saas__tx_tenant(tx));

	if (rc)
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		struct saas__sgrant g = {saas__q_text(st, 0), saas__q_text(st, 1), saas__q_text(st, 2),
		                         saas__q_text(st, 3), saas__q_int(st, 4), saas__q_int(st, 5),
		                         saas__q_int(st, 6)};
		if ((rc = fn(&g, payload)))
			break;
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}
