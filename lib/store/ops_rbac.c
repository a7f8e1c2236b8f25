/* Typed operations on tenant_roles (tenant-scoped): the custom roles of a
 * tenant (lib/rbac/role.c), and moving members from one role to another. */
#include "store.h"

static saas_query q_get = SAAS_QUERY(
	"SELECT name, permissions, inherits, created_at, updated_at FROM tenant_roles"
	" WHERE tenant_id = $1 AND name = $2");
static saas_query q_list = SAAS_QUERY(
	"SELECT name, permissions, inherits, created_at, updated_at FROM tenant_roles"
	" WHERE tenant_id = $1 ORDER BY name");
static saas_query q_insert = SAAS_QUERY(
	"INSERT INTO tenant_roles (tenant_id, name, permissions, inherits, created_at, updated_at)"
	" VALUES ($1, $2, $3, $4, $5, $5)");
static saas_query q_update = SAAS_QUERY(
	"UPDATE tenant_roles SET permissions = $3, inherits = $4, updated_at = $5"
	" WHERE tenant_id = $1 AND name = $2");
static saas_query q_delete = SAAS_QUERY(
	"DELETE FROM tenant_roles WHERE tenant_id = $1 AND name = $2");
/* Members having role $2 get role $3 (unless they have it already), then
 * lose $2. */
static saas_query q_move_add = SAAS_QUERY(
	"INSERT INTO member_roles (tenant_id, user_id, role)"
	" SELECT tenant_id, user_id, $3 FROM member_roles m WHERE m.tenant_id = $1 AND m.role = $2"
	" AND NOT EXISTS (SELECT 1 FROM member_roles o WHERE o.tenant_id = $1"
	" AND o.user_id = m.user_id AND o.role = $3)");
static saas_query q_move_drop = SAAS_QUERY(
	"DELETE FROM member_roles WHERE tenant_id = $1 AND role = $2");

static void read_row(saas_stmt *st, struct saas__trole *r)
{
	r->name = saas__q_text(st, 0);
	r->permissions = saas__q_text(st, 1);
	r->inherits = saas__q_text(st, 2);
	r->created_at = saas__q_int(st, 3);
	r->updated_at = saas__q_int(st, 4);
}

int saas__st_trole_get(saas_tx *tx, const char *name,
                       int (*fn)(const struct saas__trole *r, void *payload), void *payload)
{
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, &q_get, "ss", saas__tx_tenant(tx), name);

	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1) {
		struct saas__trole r;
		read_row(st, &r);
		rc = fn(&r, payload);
		rc = rc < 0 ? rc : 1;
	}
	saas__q_close(st);
	return rc < 0 ? rc : (rc == 1 ? SAAS_OK : SAAS_ENOTFOUND);
}

int saas__st_trole_list(saas_tx *tx, int (*fn)(const struct saas__trole *r, void *payload),
                        void *payload)
{
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, &q_list, "s", saas__tx_tenant(tx));

	if (rc)
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		struct saas__trole r;
		read_row(st, &r);
		if ((rc = fn(&r, payload)))
			break;
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_trole_insert(saas_tx *tx, const struct saas__trole *r)
{
	int rc = saas__q_exec(tx, &q_insert, NULL, "ssssi", saas__tx_tenant(tx), r->name,
	                      r->permissions, r->inherits, r->created_at);

	return rc ? rc : saas__st_authz_touch(tx, saas__tx_tenant(tx));
}

int saas__st_trole_update(saas_tx *tx, const struct saas__trole *r)
{
	int64_t n = 0;
	int rc = saas__q_exec(tx, &q_update, &n, "ssssi", saas__tx_tenant(tx), r->name,
	                      r->permissions, r->inherits, r->updated_at);

	return rc ? rc : n ? saas__st_authz_touch(tx, saas__tx_tenant(tx)) : SAAS_ENOTFOUND;
}

int saas__st_trole_delete(saas_tx *tx, const char *name)
{
	int64_t n = 0;
	int rc = saas__q_exec(tx, &q_delete, &n, "ss", saas__tx_tenant(tx), name);

	return rc ? rc : n ? saas__st_authz_touch(tx, saas__tx_tenant(tx)) : SAAS_ENOTFOUND;
}

int saas__st_member_roles_move(int64_t *out_moved, saas_tx *tx, const char *from, const char *to)
{
	const char *tenant = saas__tx_tenant(tx);
	int rc = saas__q_exec(tx, &q_move_add, NULL, "sss", tenant, from, to);

	if (!rc)
		rc = saas__q_exec(tx, &q_move_drop, out_moved, "ss", tenant, from);
	return rc ? rc : saas__st_authz_touch(tx, tenant);
}
