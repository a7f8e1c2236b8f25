/*
 * Support grants (docs/authz.md, "Support access"): a tenant's owner lets
 * support staff act in the tenant with a role's permissions for a while.
 * Stored in support_grants; every change audited in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saas/id.h"
#include "../audit/audit.h"
#include "../tenant/tenant_internal.h"
#include "authz.h"

#define MIN_MS (60 * 1000LL)
#define MAX_MS (30 * 24 * 3600 * 1000LL)

struct exceed {
	saas_ctx *ctx;
	const saas_scope *scope;
	const char *role;
	saas_decision *d;
};

/* The granting actor must be allowed every permission the role gives. */
static int check_own(const char *perm, void *payload)
{
	struct exceed *x = payload;
	int rc = saas__authorize_quiet(x->d, x->ctx, x->scope, perm);

	if (rc == SAAS_EDENIED)
		return saas__err(SAAS_EDENIED, "role",
		                 "role '%s' grants '%s', which the granting actor may not do (%s): a "
		                 "support grant cannot exceed its giver's permissions",
		                 x->role, perm, saas_reason_name(saas_decision_reason(x->d)));
	return rc;
}

/* The role compiled for the tenant, and the granting actor's own right to
 * everything it gives (checked before the write: the cache reads the store). */
static int check_role(saas_ctx *ctx, const saas_scope *scope, const char *role)
{
	struct saas__actor a;
	saas_decision d;
	saas_tx *tx = NULL;
	int rc;

	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ)))
		return rc;
	rc = saas__role_load(&a, tx, ctx, role);
	saas__tx_rollback(tx);
	if (rc)
		return rc;
	if (!a.roles[0])
		rc = saas__err(SAAS_ENOTFOUND, "role",
		               "role '%s' is neither a role of the deployment nor a custom role of the "
		               "tenant",
		               role);
	else
		rc = saas__role_each(a.roles[0], check_own,
		                  &(struct exceed){ctx, scope, role, &d});
	saas__actor_clear(&a);
	return rc;
}

static int check_args(saas_ctx *ctx, const saas_scope *scope, const char *staff,
                      const char *role, int64_t expires_at)
{
	int64_t now;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)) ||
	    (staff && (rc = saas__check_label("staff", staff, 128))))
		return rc;
	if (!role || !saas__match(SAAS__PAT_ROLE, role))
		return saas__err(SAAS_EINVAL, "role", "role '%s' is not a role name ([a-z][a-z0-9_-]{0,63})",
		                 saas__q(role ? role : "(null)"));
	now = saas__now(ctx);
	if (expires_at < now + MIN_MS || expires_at > now + MAX_MS) {
		char t[32];
		saas__time_rfc3339(t, expires_at);
		return saas__err(SAAS_EINVAL, "expires_at",
		                 "expires_at %s is not between 1 minute and 30 days from now", t);
	}
	return SAAS_OK;
}

int saas_support_grant(char **out_id, saas_ctx *ctx, const saas_scope *scope, const char *staff,
                       const char *role, int64_t expires_at)
{
	int64_t t0 = saas__mono_ns(), now;
	char *id = NULL;
	saas_tx *tx = NULL;
	json_t *meta;
	int rc;

	if (!out_id)
		return saas__err(SAAS_EINVAL, "out_id", "out_id is NULL");
	*out_id = NULL;
	if ((rc = check_args(ctx, scope, staff, role, expires_at)))
		return rc;
	if ((rc = saas_authorize(NULL, ctx, scope, "support:grant")) ||
	    (rc = check_role(ctx, scope, role)) || (rc = saas_id_new(&id, ctx, "sgr")) ||
	    (rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE)))
		goto done;
	now = saas__now(ctx);
	rc = saas__st_sgrant_revoke_staff(tx, staff, now);
	if (!rc) {
		struct saas__sgrant g = {id, staff, role, scope->actor_id, now, expires_at, 0};
		rc = saas__st_sgrant_insert(tx, &g);
	}
	if (!rc) {
		meta = json_pack("{s:o,s:s,s:o}", "staff", saas__json_str_or_null(staff), "role", role,
		                 "expires_at", saas__json_time(expires_at));
		rc = meta ? saas__audit_append(tx, scope, "support.granted", "support_grant", id, meta)
		          : saas__enomem();
	}
	rc = saas__tx_finish(tx, rc);
	if (!rc) {
		*out_id = id;
		id = NULL;
	}
done:
	saas_free(id);
	saas__op_done(ctx, "support.grant", t0, rc);
	return rc;
}

int saas_support_revoke(saas_ctx *ctx, const saas_scope *scope, const char *grant_id)
{
	int64_t t0 = saas__mono_ns(), changed = 0;
	saas_tx *tx = NULL;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)) ||
	    (rc = saas__id_check(grant_id, "sgr", "grant_id")) ||
	    (rc = saas_authorize(NULL, ctx, scope, "support:revoke")) ||
	    (rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE)))
		goto done;
	rc = saas__st_sgrant_revoke(&changed, tx, grant_id, saas__now(ctx));
	if (!rc && !changed)
		rc = saas__err(SAAS_ENOTFOUND, "grant_id",
		               "the tenant has no support grant '%s' that is not revoked already",
		               grant_id);
	if (!rc)
		rc = saas__audit_append(tx, scope, "support.revoked", "support_grant", grant_id, NULL);
	rc = saas__tx_finish(tx, rc);
done:
	saas__op_done(ctx, "support.revoke", t0, rc);
	return rc;
}

struct listing {
	json_t *arr;
	int64_t now;
};

static int list_row(const struct saas__sgrant *g, void *payload)
{
	struct listing *l = payload;
	json_t *o = json_pack("{s:s,s:o,s:s,s:s,s:o,s:o,s:o,s:b}", "id", g->id, "staff",
	                      saas__json_str_or_null(g->staff), "role", g->role, "granted_by",
	                      g->granted_by, "created_at", saas__json_time(g->created_at),
	                      "expires_at", saas__json_time(g->expires_at), "revoked_at",
	                      saas__json_time(g->revoked_at),
	                      "active", !g->revoked_at && g->expires_at > l->now);

	return o && !json_array_append_new(l->arr, o) ? 0 : saas__enomem();
}

int saas_support_list(char **out, saas_ctx *ctx, const saas_scope *scope)
{
	int64_t t0 = saas__mono_ns();
	struct listing l = {NULL, 0};
	saas_tx *tx = NULL;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)) ||
	    (rc = saas_authorize(NULL, ctx, scope, "support:read")) ||
	    (rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ)))
		goto done;
	l.now = saas__now(ctx);
	rc = (l.arr = json_array()) ? saas__st_sgrant_list(tx, list_row, &l) : saas__enomem();
	saas__tx_rollback(tx);
	if (!rc) {
		*out = saas__json_take_dump(json_pack("{s:O}", "grants", l.arr));
		if (!*out)
			rc = saas__enomem();
	}
	json_decref(l.arr);
done:
	saas__op_done(ctx, "support.list", t0, rc);
	return rc;
}
