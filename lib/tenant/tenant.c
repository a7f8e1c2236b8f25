/* Tenants: the lifecycle active ⇄ suspended → pending_deletion → purged, and export. */
#include <stdlib.h>
#include <string.h>

#include "saas/id.h"
#include "saas/tenant.h"
#include "../audit/audit.h"
#include "tenant_internal.h"

#define DAY_MS (24LL * 3600 * 1000)

struct saas_tenant_page {
	struct saas_tenant **items;
	size_t n;
	char *next_cursor;
};

/* ---- guards shared with the other modules --------------------------------------- */

static int check_access(const struct saas_tenant *t, enum saas__access access)
{
	if (t->status == SAAS_TENANT_PENDING_DELETION)
		return saas__err(SAAS_EDELETED, "tenant_id",
		                 "tenant '%s' is scheduled for deletion: only restore, export and "
		                 "purge are allowed",
		                 t->id);
	if (access == SAAS__WRITE && t->status == SAAS_TENANT_SUSPENDED)
		return saas__err(SAAS_ESUSPENDED, "tenant_id",
		                 "tenant '%s' is suspended: writes are refused", t->id);
	return SAAS_OK;
}

int saas__tenant_guard(saas_tx *tx, enum saas__access access)
{
	struct saas_tenant *t;
	/* A writer locks the tenant row: writes to one tenant's data take turns
	 * on PostgreSQL as they do on SQLite, so checks such as the last-owner rule
	 * read what they act on. */
	int rc = access == SAAS__WRITE ? saas__st_tenant_get_for_update(&t, tx, saas__tx_tenant(tx))
	                               : saas__st_tenant_get(&t, tx, saas__tx_tenant(tx));

	if (rc == SAAS_ENOTFOUND)
		return saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'",
		                 saas__tx_tenant(tx));
	if (rc)
		return rc;
	rc = check_access(t, access);
	saas__tenant_row_free(t);
	return rc;
}

int saas__tenant_tx(saas_tx **out, saas_ctx *ctx, const saas_scope *scope,
                    enum saas__access access)
{
	saas_tx *tx;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		return rc;
	rc = saas__tx_begin(&tx, ctx, scope->tenant_id, access == SAAS__WRITE);
	if (rc)
		return rc;
	rc = saas__tenant_guard(tx, access);
	if (rc) {
		saas__tx_rollback(tx);
		return rc;
	}
	*out = tx;
	return SAAS_OK;
}

/* ---- create and read ---------------------------------------------------------------- */

int saas__tenant_new_row(struct saas_tenant **out, saas_ctx *ctx, const char *slug,
                         const char *name)
{
	struct saas_tenant *t;
	int rc;

	*out = NULL;
	if ((rc = saas__check_slug(slug)) || (rc = saas__check_text("name", name, 200, false)))
		return rc;
	t = calloc(1, sizeof *t);
	if (!t)
		return saas__enomem();
	t->slug = saas__strdup(slug);
	t->name = saas__strdup(name);
	rc = (t->slug && t->name) ? saas_id_new(&t->id, ctx, "ten") : saas__enomem();
	if (rc) {
		saas__tenant_row_free(t);
		return rc;
	}
	t->status = SAAS_TENANT_ACTIVE;
	t->status_before_delete = -1;
	t->created_at = t->updated_at = saas__now(ctx);
	*out = t;
	return SAAS_OK;
}

int saas__tenant_insert_tx(saas_tx *tx, const saas_scope *scope, const struct saas_tenant *t)
{
	const char *cur = saas__tx_tenant(tx);
	int rc = cur && strcmp(cur, t->id) == 0 ? SAAS_OK : saas__tx_set_tenant(tx, t->id);

	if (!rc)
		rc = saas__st_tenant_insert(tx, t);
	if (!rc)
		rc = saas__audit_append(tx, scope, "tenant.created", "tenant", t->id,
		                        json_pack("{s:s,s:s}", "slug", t->slug, "name", t->name));
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "tenant.created", "tenant", t->id,
		                               json_pack("{s:s}", "slug", t->slug));
	return rc;
}

int saas_tenant_create(saas_tenant **out, saas_ctx *ctx, const saas_scope *scope,
                       const char *slug, const char *name)
{
	int64_t t0 = saas__mono_ns();
	struct saas_tenant *t = NULL;
	saas_tx *tx = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_global(scope)) || (rc = saas__tenant_new_row(&t, ctx, slug, name)))
		goto done;
	rc = saas__tx_begin(&tx, ctx, t->id, true);
	if (!rc)
		rc = saas__tx_finish(tx, saas__tenant_insert_tx(tx, scope, t));
	if (!rc) {
		saas__log(ctx, SAAS_LOG_INFO, "tenant created",
		          json_pack("{s:s,s:s}", "tenant_id", t->id, "slug", t->slug));
		if (out) {
			*out = t;
			t = NULL;
		}
	}
done:
	saas__tenant_row_free(t);
	saas__op_done(ctx, "tenant.create", t0, rc);
	return rc;
}

int saas_tenant_get(saas_tenant **out, saas_ctx *ctx, const saas_scope *scope)
{
	saas_tx *tx;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		return rc;
	rc = saas__tx_begin(&tx, ctx, scope->tenant_id, false);
	if (rc)
		return rc;
	rc = saas__st_tenant_get(out, tx, scope->tenant_id);
	saas__tx_rollback(tx);
	return rc;
}

int saas_tenant_find_slug(saas_tenant **out, saas_ctx *ctx, const char *slug)
{
	saas_tx *tx;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__check_slug(slug)))
		return rc;
	rc = saas__tx_begin(&tx, ctx, NULL, false);
	if (rc)
		return rc;
	rc = saas__st_tenant_get_slug(out, tx, slug);
	saas__tx_rollback(tx);
	return rc;
}

int saas_admin_tenant_list(saas_tenant_page **out, saas_ctx *ctx, const saas_scope *scope,
                           int status, const char *cursor, unsigned limit)
{
	struct saas_tenant_page *p;
	saas_tx *tx;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_global(scope)))
		return rc;
	if (status < -1 || status > SAAS_TENANT_PENDING_DELETION)
		return saas__err(SAAS_EINVAL, "status", "tenant status %d is not -1, 0, 1 or 2", status);
	if (limit < 1 || limit > 1000)
		return saas__err(SAAS_EINVAL, "limit", "limit %u is not between 1 and 1000", limit);
	if (cursor && (rc = saas__id_check(cursor, "ten", "cursor")))
		return rc;
	p = calloc(1, sizeof *p);
	if (!p)
		return saas__enomem();
	rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (rc) {
		free(p);
		return rc;
	}
	/* Read one more than asked to know whether a next page exists. A
	 * cross-tenant read is audited in the deployment's stream. */
	rc = saas__st_tenant_list(&p->items, &p->n, tx, status, cursor, limit + 1);
	if (!rc)
		rc = saas__audit_append_system(
			tx, scope, "admin.tenants_listed", NULL, NULL,
			json_pack("{s:o,s:o,s:i}", "status",
			          saas__json_str_or_null(saas_tenant_status_name(status)), "cursor",
			          saas__json_str_or_null(cursor), "limit", (int)limit));
	rc = saas__tx_finish(tx, rc);
	if (!rc && p->n > limit) {
		saas__tenant_row_free(p->items[limit]);
		p->items[limit] = NULL;
		p->n = limit;
		if (!(p->next_cursor = saas__strdup(p->items[limit - 1]->id)))
			rc = saas__enomem();
	}
	if (rc) {
		saas_tenant_page_free(p);
		return rc;
	}
	*out = p;
	return SAAS_OK;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

/*
 * Run one state change on the scope's tenant: load it in a write transaction,
 * let `change` check and edit the row (returning an error refuses), store it,
 * audit `action` with `meta`, commit.
 */
typedef int (*change_fn)(struct saas_tenant *t, saas_ctx *ctx, const void *arg);

static int transition(saas_ctx *ctx, const saas_scope *scope, const char *op, const char *action,
                      change_fn change, const void *arg, json_t *meta)
{
	int64_t t0 = saas__mono_ns();
	struct saas_tenant *t = NULL;
	saas_tx *tx = NULL;
	int rc;

	if (!ctx) {
		json_decref(meta);
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	}
	if ((rc = saas__scope_tenant(scope)) ||
	    (rc = saas__tx_begin(&tx, ctx, scope->tenant_id, true))) {
		json_decref(meta);
		goto done;
	}
	rc = saas__st_tenant_get(&t, tx, scope->tenant_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'", scope->tenant_id);
	if (!rc)
		rc = change(t, ctx, arg);
	if (!rc) {
		t->updated_at = saas__now(ctx);
		rc = saas__st_tenant_update_state(tx, t);
	}
	if (!rc) {
		json_object_set_new(meta, "status", json_string(saas_tenant_status_name(t->status)));
		rc = saas__audit_append(tx, scope, action, "tenant", t->id, meta);
		meta = NULL;
	}
	json_decref(meta);
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		saas__log(ctx, SAAS_LOG_INFO, action, json_pack("{s:s}", "tenant_id", t->id));
done:
	saas__tenant_row_free(t);
	saas__op_done(ctx, op, t0, rc);
	return rc;
}

static int do_suspend(struct saas_tenant *t, saas_ctx *ctx, const void *reason)
{
	(void)ctx;
	if (t->status == SAAS_TENANT_PENDING_DELETION)
		return check_access(t, SAAS__READ);
	if (t->status == SAAS_TENANT_SUSPENDED)
		return saas__err(SAAS_ESTATE, "tenant_id", "tenant '%s' is already suspended", t->id);
	char *r = saas__strdup(reason);
	if (!r)
		return saas__enomem();
	free(t->suspend_reason);
	t->suspend_reason = r;
	t->status = SAAS_TENANT_SUSPENDED;
	return SAAS_OK;
}

int saas_tenant_suspend(saas_ctx *ctx, const saas_scope *scope, const char *reason)
{
	int rc = saas__check_text("reason", reason, 500, false);

	if (rc)
		return rc;
	return transition(ctx, scope, "tenant.suspend", "tenant.suspended", do_suspend, reason,
	                  json_pack("{s:s}", "reason", reason));
}

static int do_reactivate(struct saas_tenant *t, saas_ctx *ctx, const void *arg)
{
	(void)ctx;
	(void)arg;
	if (t->status == SAAS_TENANT_PENDING_DELETION)
		return check_access(t, SAAS__READ);
	if (t->status != SAAS_TENANT_SUSPENDED)
		return saas__err(SAAS_ESTATE, "tenant_id", "tenant '%s' is not suspended", t->id);
	free(t->suspend_reason);
	t->suspend_reason = NULL;
	t->status = SAAS_TENANT_ACTIVE;
	return SAAS_OK;
}

int saas_tenant_reactivate(saas_ctx *ctx, const saas_scope *scope)
{
	return transition(ctx, scope, "tenant.reactivate", "tenant.reactivated", do_reactivate, NULL,
	                  json_object());
}

static int do_delete(struct saas_tenant *t, saas_ctx *ctx, const void *arg)
{
	int days = *(const int *)arg;

	if (t->status == SAAS_TENANT_PENDING_DELETION)
		return saas__err(SAAS_EDELETED, "tenant_id",
		                 "tenant '%s' is already scheduled for deletion", t->id);
	t->status_before_delete = t->status;
	t->status = SAAS_TENANT_PENDING_DELETION;
	t->purge_after = saas__now(ctx) + days * DAY_MS;
	return SAAS_OK;
}

int saas_tenant_delete(saas_ctx *ctx, const saas_scope *scope, int retention_days)
{
	if (retention_days == -1)
		retention_days = SAAS_TENANT_RETENTION_DAYS_DEFAULT;
	if (retention_days < 0 || retention_days > 3650)
		return saas__err(SAAS_EINVAL, "retention_days",
		                 "retention of %d days is not between 0 and 3650 (or -1 for the default)",
		                 retention_days);
	return transition(ctx, scope, "tenant.delete", "tenant.deletion_scheduled", do_delete,
	                  &retention_days, json_pack("{s:i}", "retention_days", retention_days));
}

static int do_restore(struct saas_tenant *t, saas_ctx *ctx, const void *arg)
{
	(void)arg;
	if (t->status != SAAS_TENANT_PENDING_DELETION)
		return saas__err(SAAS_ESTATE, "tenant_id", "tenant '%s' is not scheduled for deletion",
		                 t->id);
	if (saas__now(ctx) >= t->purge_after)
		return saas__err(SAAS_EEXPIRED, "tenant_id",
		                 "tenant '%s' can no longer be restored: its retention window has ended",
		                 t->id);
	t->status = t->status_before_delete == SAAS_TENANT_SUSPENDED ? SAAS_TENANT_SUSPENDED
	                                                              : SAAS_TENANT_ACTIVE;
	t->status_before_delete = -1;
	t->purge_after = 0;
	return SAAS_OK;
}

int saas_tenant_restore(saas_ctx *ctx, const saas_scope *scope)
{
	return transition(ctx, scope, "tenant.restore", "tenant.restored", do_restore, NULL,
	                  json_object());
}

/* ---- purge ---------------------------------------------------------------------------- */

/* Purge one tenant in its own transaction; `due_only` also requires the window to be over. */
static int purge_one(saas_ctx *ctx, const saas_scope *scope, const char *tenant_id, bool due_only)
{
	int64_t t0 = saas__mono_ns();
	struct saas_tenant *t = NULL;
	saas_tx *tx;
	int rc;

	rc = saas__tx_begin(&tx, ctx, tenant_id, true);
	if (rc)
		goto done;
	rc = saas__st_tenant_get(&t, tx, tenant_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'", tenant_id);
	if (!rc && t->status != SAAS_TENANT_PENDING_DELETION)
		rc = saas__err(SAAS_ESTATE, "tenant_id",
		               "tenant '%s' is %s: only a tenant scheduled for deletion can be purged",
		               tenant_id, saas_tenant_status_name(t->status));
	if (!rc && due_only && t->purge_after > saas__now(ctx))
		rc = saas__err(SAAS_ESTATE, "tenant_id", "tenant '%s' is not due for purging yet",
		               tenant_id);
	if (!rc)
		rc = saas__st_tenant_purge(tx);
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "tenant.purged", "tenant", tenant_id,
		                               json_pack("{s:s}", "slug", t->slug));
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		saas__log(ctx, SAAS_LOG_INFO, "tenant purged", json_pack("{s:s}", "tenant_id", tenant_id));
done:
	saas__tenant_row_free(t);
	saas__op_done(ctx, "tenant.purge", t0, rc);
	return rc;
}

int saas_admin_tenant_purge(saas_ctx *ctx, const saas_scope *scope)
{
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		return rc;
	return purge_one(ctx, scope, scope->tenant_id, false);
}

int saas_admin_tenant_purge_due(saas_ctx *ctx, const saas_scope *scope, unsigned *out_purged)
{
	unsigned purged = 0;
	char **ids = NULL;
	size_t n = 0;
	saas_tx *tx;
	int rc;

	if (out_purged)
		*out_purged = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_global(scope)))
		return rc;
	do {
		rc = saas__tx_begin(&tx, ctx, NULL, false);
		if (rc)
			break;
		rc = saas__st_tenant_due(&ids, &n, tx, saas__now(ctx), 100);
		saas__tx_rollback(tx);
		for (size_t i = 0; !rc && i < n; i++) {
			rc = purge_one(ctx, scope, ids[i], true);
			if (rc == SAAS_ENOTFOUND || rc == SAAS_ESTATE)
				rc = SAAS_OK; /* purged or restored by someone else meanwhile */
			else if (!rc)
				purged++;
		}
		saas__strv_free(ids);
		ids = NULL;
	} while (!rc && n == 100);
	if (out_purged)
		*out_purged = purged;
	return rc;
}

/* ---- export ---------------------------------------------------------------------------- */

static json_t *tenant_json(const struct saas_tenant *t);

int saas_tenant_export(char **out, saas_ctx *ctx, const saas_scope *scope)
{
	int64_t t0 = saas__mono_ns();
	struct saas_tenant *t = NULL;
	json_t *tables = NULL, *doc;
	saas_tx *tx;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		return rc;
	rc = saas__tx_begin(&tx, ctx, scope->tenant_id, false);
	if (rc)
		goto done;
	/* Export is allowed in every status: only existence is checked. */
	rc = saas__st_tenant_get(&t, tx, scope->tenant_id);
	if (!rc)
		rc = saas__st_tenant_export_tables(&tables, tx);
	saas__tx_rollback(tx);
	if (rc)
		goto done;
	doc = json_pack("{s:s,s:i,s:o,s:s,s:o,s:o}", "format", "libsaas.export", "version", 1,
	                "exported_at", saas__json_time(saas__now(ctx)), "tenant_id",
	                scope->tenant_id, "tenant", tenant_json(t), "tables", tables);
	*out = saas__json_take_dump(doc);
	if (!*out)
		rc = saas__enomem();
done:
	saas__tenant_row_free(t);
	saas__op_done(ctx, "tenant.export", t0, rc);
	return rc;
}

/* ---- getters ------------------------------------------------------------------------------ */

const char *saas_tenant_id(const saas_tenant *t)
{
	return t ? t->id : NULL;
}

const char *saas_tenant_slug(const saas_tenant *t)
{
	return t ? t->slug : NULL;
}

const char *saas_tenant_name(const saas_tenant *t)
{
	return t ? t->name : NULL;
}

int saas_tenant_status_of(const saas_tenant *t)
{
	return t ? t->status : -1;
}

const char *saas_tenant_status_name(int status)
{
	static const char *const names[] = {"active", "suspended", "pending_deletion"};
	return (status >= 0 && status <= 2) ? names[status] : NULL;
}

const char *saas_tenant_suspend_reason(const saas_tenant *t)
{
	return t ? t->suspend_reason : NULL;
}

int64_t saas_tenant_created_at(const saas_tenant *t)
{
	return t ? t->created_at : 0;
}

int64_t saas_tenant_purge_after(const saas_tenant *t)
{
	return t ? t->purge_after : 0;
}

static json_t *tenant_json(const struct saas_tenant *t)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", t->id, "slug", t->slug, "name",
	                 t->name, "status", saas_tenant_status_name(t->status), "suspend_reason",
	                 saas__json_str_or_null(t->suspend_reason), "created_at",
	                 saas__json_time(t->created_at), "updated_at",
	                 saas__json_time(t->updated_at), "purge_after",
	                 saas__json_time(t->purge_after));
}

int saas_tenant_to_json(char **out, const saas_tenant *t)
{
	if (!out || !t)
		return saas__err(SAAS_EINVAL, NULL, "out and t are required");
	*out = saas__json_take_dump(tenant_json(t));
	return *out ? SAAS_OK : saas__enomem();
}

void saas_tenant_free(saas_tenant *t)
{
	saas__tenant_row_free(t);
}

size_t saas_tenant_page_count(const saas_tenant_page *l)
{
	return l ? l->n : 0;
}

const saas_tenant *saas_tenant_page_at(const saas_tenant_page *l, size_t i)
{
	return (l && i < l->n) ? l->items[i] : NULL;
}

const char *saas_tenant_page_next_cursor(const saas_tenant_page *l)
{
	return l ? l->next_cursor : NULL;
}

void saas_tenant_page_free(saas_tenant_page *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		saas__tenant_row_free(l->items[i]);
	free(l->items);
	free(l->next_cursor);
	free(l);
}
