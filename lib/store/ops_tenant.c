/* Typed operations on the tenant catalogue, and purge/export across every
 * tenant table. */
#include <stdlib.h>
#include <string.h>

#include "saas/tenant.h"
#include "store.h"

/* Every table holding tenant rows, in an order that deletes children before
 * parents. A test checks this list against the schema: a table with a
 * tenant_id column that is missing here would survive a purge. */
const char *const saas__tenant_tables[] = {
	"member_roles",
	"memberships",
	"invitations",
	"audit_events",
	"audit_checkpoints",
	"audit_anchors",
	"tenant_roles",
	"support_grants",
	"api_keys",
	"billing_subscriptions",
	"billing_overrides",
	"billing_provider_events",
	"billing_usage_records",
	"billing_usage_totals",
	"webhook_attempts",
	"webhook_deliveries",
	"webhook_secrets",
	"webhook_endpoints",
	NULL,
};

/* One DELETE and one SELECT per tenant table, in saas__tenant_tables order. */
static saas_query q_purge[] = {
	SAAS_QUERY("DELETE FROM member_roles WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM memberships WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM invitations WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM audit_events WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM audit_checkpoints WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM audit_anchors WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM tenant_roles WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM support_grants WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM api_keys WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_subscriptions WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_overrides WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_provider_events WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_usage_records WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM billing_usage_totals WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM webhook_attempts WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM webhook_deliveries WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM webhook_secrets WHERE tenant_id = $1"),
	SAAS_QUERY("DELETE FROM webhook_endpoints WHERE tenant_id = $1"),
};
static saas_query q_export[] = {
	SAAS_QUERY("SELECT * FROM member_roles WHERE tenant_id = $1 ORDER BY user_id, role"),
	SAAS_QUERY("SELECT * FROM memberships WHERE tenant_id = $1 ORDER BY id"),
	SAAS_QUERY("SELECT tenant_id, id, email, roles, invited_by, created_at, expires_at,"
	           " accepted_at, accepted_by, revoked_at"
	           " FROM invitations WHERE tenant_id = $1 ORDER BY id"),
	SAAS_QUERY("SELECT * FROM audit_events WHERE tenant_id = $1 ORDER BY seq"),
	SAAS_QUERY("SELECT * FROM audit_checkpoints WHERE tenant_id = $1 ORDER BY seq"),
	SAAS_QUERY("SELECT * FROM audit_anchors WHERE tenant_id = $1"),
	SAAS_QUERY("SELECT * FROM tenant_roles WHERE tenant_id = $1 ORDER BY name"),
	SAAS_QUERY("SELECT * FROM support_grants WHERE tenant_id = $1 ORDER BY id"),
	SAAS_QUERY("SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY id"),
	SAAS_QUERY("SELECT * FROM billing_subscriptions WHERE tenant_id = $1 ORDER BY id"),
	SAAS_QUERY("SELECT * FROM billing_overrides WHERE tenant_id = $1 ORDER BY feature"),
	SAAS_QUERY("SELECT * FROM billing_provider_events WHERE tenant_id = $1 ORDER BY provider, event_id"),
	SAAS_QUERY("SELECT * FROM billing_usage_records WHERE tenant_id = $1 ORDER BY idempotency_key"),
	SAAS_QUERY("SELECT * FROM billing_usage_totals WHERE tenant_id = $1 ORDER BY feature, period_start"),
	SAAS_QUERY("SELECT * FROM webhook_attempts WHERE tenant_id = $1 ORDER BY delivery_id, attempt"),
	SAAS_QUERY("SELECT * FROM webhook_deliveries WHERE tenant_id = $1 ORDER BY id"),
	/* not the secrets themselves: an export is not where they travel */
	SAAS_QUERY("SELECT tenant_id, endpoint_id, id, created_at, expires_at"
	           " FROM webhook_secrets WHERE tenant_id = $1 ORDER BY endpoint_id, id"),
	SAAS_QUERY("SELECT * FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY id"),
};
_Static_assert(sizeof q_purge / sizeof q_purge[0] == 18 && sizeof q_export / sizeof q_export[0] == 18,
               "one purge and one export statement per tenant table");

#define TENANT_COLS                                                                      \
	"id, slug, name, status, suspend_reason, status_before_delete, purge_after, "     \
	"created_at, updated_at"

static saas_query q_insert = SAAS_QUERY(
	"INSERT INTO tenants (" TENANT_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
static saas_query q_get = SAAS_QUERY("SELECT " TENANT_COLS " FROM tenants WHERE id = $1");
/* The same row, locked until the transaction ends (SQLite: write transactions
 * are serialised already). Writers to a tenant's data take it first, which is
 * what keeps rules such as "the last owner cannot leave" true under
 * concurrent PostgreSQL transactions. */
static saas_query q_get_for_update = {0,
	"SELECT " TENANT_COLS " FROM tenants WHERE id = $1",
	NULL,
	"SELECT " TENANT_COLS " FROM tenants WHERE id = $1 FOR UPDATE", 0};
static saas_query q_get_slug = SAAS_QUERY("SELECT " TENANT_COLS " FROM tenants WHERE slug = $1");
static saas_query q_list = SAAS_QUERY(
	"SELECT " TENANT_COLS " FROM tenants"
	" WHERE (CAST($1 AS TEXT) IS NULL OR status = $1)"
	" AND (CAST($2 AS TEXT) IS NULL OR id > $2) ORDER BY id LIMIT $3");
static saas_query q_update_state = SAAS_QUERY(
	"UPDATE tenants SET status = $2, suspend_reason = $3, status_before_delete = $4,"
	" purge_after = $5, updated_at = $6 WHERE id = $1");
static saas_query q_due = SAAS_QUERY(
	"SELECT id FROM tenants WHERE status = 'pending_deletion' AND purge_after <= $1"
	" ORDER BY purge_after, id LIMIT $2");
static saas_query q_delete = SAAS_QUERY("DELETE FROM tenants WHERE id = $1");
/* Global rows that name the tenant: its keys' lookup hashes, the
 * sessions acting in it, its billing customers, and its webhook feeds and
 * queued deliveries. */
static saas_query q_purge_global[] = {
	SAAS_QUERY("DELETE FROM api_key_hashes WHERE key_tenant = $1"),
	SAAS_QUERY("DELETE FROM sessions WHERE acting_tenant = $1"),
	SAAS_QUERY("DELETE FROM billing_customers WHERE customer_tenant = $1"),
	SAAS_QUERY("DELETE FROM webhook_feeds WHERE feed_tenant = $1"),
	SAAS_QUERY("DELETE FROM webhook_queue WHERE queue_tenant = $1"),
};
static saas_query q_export_tenant = SAAS_QUERY("SELECT * FROM tenants WHERE id = $1");
static saas_query q_export_users = SAAS_QUERY(
	"SELECT u.id, u.email, u.display_name, u.created_at, u.updated_at"
	" FROM users u JOIN memberships m ON m.user_id = u.id"
	" WHERE m.tenant_id = $1 ORDER BY u.id");

static const char *const status_names[] = {"active", "suspended", "pending_deletion"};

static const char *status_text(int status)
{
	return (status >= 0 && status <= 2) ? status_names[status] : NULL;
}

int saas__tenant_status_value(const char *s)
{
	for (int i = 0; s && i < 3; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

void saas__tenant_row_free(struct saas_tenant *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->slug);
	free(t->name);
	free(t->suspend_reason);
	free(t);
}

static int read_row(struct saas_tenant **out, saas_stmt *st)
{
	struct saas_tenant *t = calloc(1, sizeof *t);

	if (!t)
		return saas__enomem();
	t->id = saas__q_dup(st, 0);
	t->slug = saas__q_dup(st, 1);
	t->name = saas__q_dup(st, 2);
	t->status = saas__tenant_status_value(saas__q_text(st, 3));
	t->suspend_reason = saas__q_dup(st, 4);
	t->status_before_delete = saas__q_is_null(st, 5) ? -1 : saas__tenant_status_value(saas__q_text(st, 5));
	t->purge_after = saas__q_is_null(st, 6) ? 0 : saas__q_int(st, 6);
	t->created_at = saas__q_int(st, 7);
	t->updated_at = saas__q_int(st, 8);
	if (!t->id || !t->slug || !t->name || (!saas__q_is_null(st, 4) && !t->suspend_reason)) {
		saas__tenant_row_free(t);
		return saas__enomem();
	}
	if (t->status < 0) {
		saas__tenant_row_free(t);
		return saas__err(SAAS_ESTORE, NULL, "tenant row has an unknown status");
	}
	*out = t;
	return SAAS_OK;
}

int saas__st_tenant_insert(saas_tx *tx, const struct saas_tenant *t)
{
	int rc = saas__q_exec(tx, &q_insert, NULL, "ssssssnii", t->id, t->slug, t->name,
	                      status_text(t->status), t->suspend_reason,
	                      status_text(t->status_before_delete), t->purge_after, t->created_at,
	                      t->updated_at);
	if (rc == SAAS_EEXISTS)
		rc = saas__err(SAAS_EEXISTS, "slug", "slug '%s' is already taken", saas__q(t->slug));
	/* A decision cache may remember that the id did not exist. */
	return rc ? rc : saas__st_authz_touch(tx, t->id);
}

static int get_one(struct saas_tenant **out, saas_tx *tx, saas_query *q, const char *key,
                   const char *what)
{
	saas_stmt *st;
	int rc = saas__q_open(&st, tx, q, "s", key);

	*out = NULL;
	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1)
		rc = read_row(out, st);
	else if (rc == 0)
		rc = saas__err(SAAS_ENOTFOUND, what, "no tenant with %s '%s'", what, saas__q(key));
	saas__q_close(st);
	return rc;
}

int saas__st_tenant_get(struct saas_tenant **out, saas_tx *tx, const char *id)
{
	return get_one(out, tx, &q_get, id, "id");
}

int saas__st_tenant_get_for_update(struct saas_tenant **out, saas_tx *tx, const char *id)
{
	return get_one(out, tx, &q_get_for_update, id, "id");
}

int saas__st_tenant_get_slug(struct saas_tenant **out, saas_tx *tx, const char *slug)
{
	return get_one(out, tx, &q_get_slug, slug, "slug");
}

int saas__st_tenant_list(struct saas_tenant ***out, size_t *n, saas_tx *tx, int status,
                         const char *after, unsigned limit)
{
	struct saas_tenant **v = calloc(limit + 1, sizeof *v);
	size_t k = 0;
	saas_stmt *st = NULL;
	int rc;

	if (!v)
		return saas__enomem();
	rc = saas__q_open(&st, tx, &q_list, "ssi", status < 0 ? NULL : status_text(status), after,
	                  (int64_t)limit);
	while (!rc && k < limit && (rc = saas__q_step(st)) == 1)
		rc = read_row(&v[k++], st);
	if (st)
		saas__q_close(st);
	if (rc) {
		for (size_t i = 0; i < k; i++)
			saas__tenant_row_free(v[i]);
		free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return SAAS_OK;
}

int saas__st_tenant_update_state(saas_tx *tx, const struct saas_tenant *t)
{
	int64_t changed = 0;
	int rc = saas__q_exec(tx, &q_update_state, &changed, "ssssni", t->id, status_text(t->status),
	                      t->suspend_reason, status_text(t->status_before_delete),
	                      t->purge_after, t->updated_at);
	if (!rc && changed == 0)
		rc = saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'", t->id);
	return rc ? rc : saas__st_authz_touch(tx, t->id);
}

int saas__st_tenant_due(char ***out, size_t *n, saas_tx *tx, int64_t now, unsigned limit)
{
	char **v = calloc(limit + 1, sizeof *v);
	size_t k = 0;
	saas_stmt *st = NULL;
	int rc;

	if (!v)
		return saas__enomem();
	rc = saas__q_open(&st, tx, &q_due, "ii", now, (int64_t)limit);
	while (!rc && (rc = saas__q_step(st)) == 1) {
		v[k] = saas__q_dup(st, 0);
		rc = v[k++] ? SAAS_OK : saas__enomem();
	}
	if (st)
		saas__q_close(st);
	if (rc) {
		saas__strv_free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return SAAS_OK;
}

int saas__st_tenant_purge(saas_tx *tx)
{
	const char *tenant = saas__tx_tenant(tx);
	int64_t changed = 0;
	int rc = SAAS_OK;

	for (size_t i = 0; !rc && saas__tenant_tables[i]; i++)
		rc = saas__q_exec(tx, &q_purge[i], NULL, "s", tenant);
	for (size_t i = 0; !rc && i < sizeof q_purge_global / sizeof q_purge_global[0]; i++)
		rc = saas__q_exec(tx, &q_purge_global[i], NULL, "s", tenant);
	if (!rc)
		rc = saas__q_exec(tx, &q_delete, &changed, "s", tenant);
	if (!rc && changed == 0)
		rc = saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'", tenant);
	return rc ? rc : saas__st_authz_touch(tx, tenant);
}

/* Columns stored as text that the export shows as JSON: `metadata` (a JSON
 * object) and `roles` (comma-separated role names). */
static int decode_columns(json_t *row)
{
	json_t *meta = json_object_get(row, "metadata");
	json_t *roles = json_object_get(row, "roles");

	if (json_is_string(meta)) {
		json_t *obj = json_loads(json_string_value(meta), 0, NULL);
		if (!obj)
			return saas__err(SAAS_ESTORE, NULL, "stored metadata is not JSON");
		json_object_set_new(row, "metadata", obj);
	}
	if (json_is_string(roles)) {
		json_t *arr = json_array();
		const char *p = json_string_value(roles);
		while (arr && *p) {
			size_t n = strcspn(p, ",");
			json_array_append_new(arr, json_stringn(p, n));
			p += n + (p[n] == ',');
		}
		if (!arr)
			return saas__enomem();
		json_object_set_new(row, "roles", arr);
	}
	return SAAS_OK;
}

/* All rows of one statement as a JSON array. */
static int rows_json(json_t **out, saas_tx *tx, saas_query *q, const char *tenant)
{
	json_t *arr = json_array();
	saas_stmt *st = NULL;
	int rc;

	if (!arr)
		return saas__enomem();
	rc = saas__q_open(&st, tx, q, "s", tenant);
	while (!rc && (rc = saas__q_step(st)) == 1) {
		json_t *row = saas__q_row_json(st);
		rc = (row && json_array_append_new(arr, row) == 0) ? decode_columns(row)
		                                                   : saas__enomem();
	}
	if (st)
		saas__q_close(st);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return SAAS_OK;
}

int saas__st_tenant_export_tables(json_t **out, saas_tx *tx)
{
	const char *tenant = saas__tx_tenant(tx);
	json_t *tables = json_object(), *rows;
	int rc = tables ? SAAS_OK : saas__enomem();

	if (!rc && !(rc = rows_json(&rows, tx, &q_export_tenant, tenant)))
		json_object_set_new(tables, "tenants", rows);
	for (size_t i = 0; !rc && saas__tenant_tables[i]; i++)
		if (!(rc = rows_json(&rows, tx, &q_export[i], tenant)))
			json_object_set_new(tables, saas__tenant_tables[i], rows);
	if (!rc && !(rc = rows_json(&rows, tx, &q_export_users, tenant)))
		json_object_set_new(tables, "users", rows);
	if (rc) {
		json_decref(tables);
		return rc;
	}
	*out = tables;
	return SAAS_OK;
}
