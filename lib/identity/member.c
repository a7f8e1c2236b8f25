/* Memberships: a user in a tenant with a set of roles. A tenant always keeps
 * at least one member with the role "owner". */
#include <stdlib.h>
#include <string.h>

#include "saas/id.h"
#include "saas/identity.h"
#include "../audit/audit.h"
#include "../rbac/rbac.h"
#include "../tenant/tenant_internal.h"
#include "identity_internal.h"

#define LIST_LIMIT_MAX 1000

struct saas_member_page {
	struct saas_member **items;
	size_t count;
	char *next_cursor; /* NULL on the last page */
};

json_t *saas__roles_json(char *const *roles, size_t n)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(a, json_string(roles[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static bool roles_have(char *const *roles, size_t n, const char *role)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(roles[i], role) == 0)
			return true;
	return false;
}

static bool roles_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static char **roles_dup(char *const *roles, size_t n)
{
	char **v = calloc(n + 1, sizeof *v);

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = saas__strdup(roles[i]);
		if (!v[i]) {
			saas__strv_free(v);
			return NULL;
		}
	}
	return v;
}

int saas__member_create(struct saas_member **out, saas_tx *tx, const saas_scope *scope,
                        const char *user_id, char *const *roles, size_t nroles,
                        const char *invitation_id)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	const char *tenant = saas__tx_tenant(tx);
	struct saas_member *m = NULL, *old = NULL;
	json_t *meta;
	int rc;

	if (out)
		*out = NULL;
	rc = saas__st_member_get(&old, tx, user_id);
	if (rc == SAAS_OK) {
		saas__member_row_free(old);
		return saas__err(SAAS_EEXISTS, "user_id", "user %s is already a member of %s",
		                 saas__q(user_id), saas__q(tenant));
	}
	if (rc != SAAS_ENOTFOUND)
		return rc;

	m = calloc(1, sizeof *m);
	if (!m)
		return saas__enomem();
	m->tenant_id = saas__strdup(tenant);
	m->user_id = saas__strdup(user_id);
	m->roles = roles_dup(roles, nroles);
	m->nroles = nroles;
	if (!m->tenant_id || !m->user_id || !m->roles) {
		rc = saas__enomem();
		goto out;
	}
	rc = saas_id_new(&m->id, ctx, "mem");
	if (!rc && ctx->member_adding)
		rc = ctx->member_adding(tx);
	if (rc)
		goto out;
	m->created_at = m->updated_at = saas__now(ctx);
	rc = saas__st_member_insert(tx, m);
	if (rc == SAAS_EEXISTS)
		rc = saas__err(SAAS_EEXISTS, "user_id", "user %s is already a member of %s",
		               saas__q(user_id), saas__q(tenant));
	if (rc)
		goto out;
	meta = json_pack("{s:s, s:o}", "user_id", user_id, "roles",
	                 saas__roles_json(m->roles, m->nroles));
	if (meta && invitation_id && json_object_set_new(meta, "invitation_id",
	                                                 json_string(invitation_id))) {
		json_decref(meta);
		meta = NULL;
	}
	if (!meta) {
		rc = saas__enomem();
		goto out;
	}
	rc = saas__audit_append(tx, scope, "member.added", "member", m->id, meta);
	if (rc)
		goto out;
	if (out) {
		*out = m;
		m = NULL;
	}
out:
	saas__member_row_free(m);
	return rc;
}

void saas__member_refused(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                          const char *invitation_id)
{
	json_t *meta = json_pack("{s:s,s:s,s:s}", "operation",
	                         invitation_id ? "invitation.accept" : "member.add", "user_id",
	                         user_id, "feature", saas_error_field(saas_error_last()));

	if (meta && invitation_id)
		json_object_set_new(meta, "invitation_id", json_string(invitation_id));
	saas__audit_refusal(ctx, scope, "entitlement.limit_refused", "user", user_id, meta);
}

int saas__member_set_roles_tx(saas_tx *tx, const saas_scope *scope,
                              const struct saas_member *old, char *const *roles, size_t nroles)
{
	int rc = saas__st_member_set_roles(tx, old->user_id, roles, nroles,
	                                   saas__now(saas__tx_ctx(tx)));
	json_t *meta;

	if (rc)
		return rc;
	meta = json_pack("{s:s, s:o, s:o}", "user_id", old->user_id, "roles",
	                 saas__roles_json(roles, nroles), "previous_roles",
	                 saas__roles_json(old->roles, old->nroles));
	return meta ? saas__audit_append(tx, scope, "member.roles_changed", "member", old->id, meta)
	            : saas__enomem();
}

/* After a change that may have removed an owner: refuse if none is left. */
static int check_owner_left(saas_tx *tx, const char *user_id)
{
	int64_t owners = 0;
	int rc = saas__st_member_count_role(&owners, tx, SAAS_ROLE_OWNER);

	if (rc)
		return rc;
	if (owners == 0)
		return saas__err(SAAS_ESTATE, "user_id",
		                 "tenant %s must keep at least one owner: "
		                 "user %s is its last owner",
		                 saas__q(saas__tx_tenant(tx)), saas__q(user_id));
	return SAAS_OK;
}

int saas_member_add(saas_member **out, saas_ctx *ctx, const saas_scope *scope,
                    const char *user_id, const char *const *roles, size_t nroles)
{
	struct saas_user *u = NULL;
	struct saas_member *m = NULL;
	char **v = NULL;
	size_t n = 0;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc)
		rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = saas__roles_normalize(&v, &n, roles, nroles);
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE);
	if (rc)
		goto done;
	rc = saas__st_user_get(&u, tx, user_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "user_id", "user %s does not exist",
		               saas__q(user_id));
	if (!rc)
		rc = saas__roles_check_known(NULL, tx, v, n);
	if (!rc)
		rc = saas__member_create(&m, tx, scope, user_id, v, n, NULL);
	rc = saas__tx_finish(tx, rc);
	if (rc == SAAS_ELIMIT)
		saas__member_refused(ctx, scope, user_id, NULL);
	if (!rc && out) {
		*out = m;
		m = NULL;
	}
done:
	saas__member_row_free(m);
	saas__user_row_free(u);
	saas__strv_free(v);
	saas__op_done(ctx, "member.add", t0, rc);
	return rc;
}

int saas_member_set_roles(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                          const char *const *roles, size_t nroles)
{
	struct saas_member *old = NULL;
	char **v = NULL;
	size_t n = 0;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc)
		rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = saas__roles_normalize(&v, &n, roles, nroles);
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE);
	if (rc)
		goto done;
	rc = saas__st_member_get(&old, tx, user_id);
	if (!rc)
		rc = saas__roles_check_known(NULL, tx, v, n);
	if (rc || roles_equal(old->roles, old->nroles, v, n)) {
		/* Unknown member, or nothing to change (and so nothing to audit). */
		rc = saas__tx_finish(tx, rc);
		goto done;
	}
	rc = saas__member_set_roles_tx(tx, scope, old, v, n);
	if (!rc && roles_have(old->roles, old->nroles, SAAS_ROLE_OWNER) &&
	    !roles_have(v, n, SAAS_ROLE_OWNER))
		rc = check_owner_left(tx, user_id);
	rc = saas__tx_finish(tx, rc);
done:
	saas__member_row_free(old);
	saas__strv_free(v);
	saas__op_done(ctx, "member.set_roles", t0, rc);
	return rc;
}

int saas_member_remove(saas_ctx *ctx, const saas_scope *scope, const char *user_id)
{
	struct saas_member *old = NULL;
	saas_tx *tx = NULL;
	json_t *meta;
	int64_t t0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc)
		rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE);
	if (rc)
		goto done;
	rc = saas__st_member_get(&old, tx, user_id);
	if (!rc)
		rc = saas__st_member_delete(tx, user_id);
	if (!rc && roles_have(old->roles, old->nroles, SAAS_ROLE_OWNER))
		rc = check_owner_left(tx, user_id);
	if (!rc) {
		meta = json_pack("{s:s, s:o}", "user_id", user_id, "roles",
		                 saas__roles_json(old->roles, old->nroles));
		rc = meta ? saas__audit_append(tx, scope, "member.removed", "member", old->id, meta)
		          : saas__enomem();
	}
	rc = saas__tx_finish(tx, rc);
done:
	saas__member_row_free(old);
	saas__op_done(ctx, "member.remove", t0, rc);
	return rc;
}

int saas_member_get(saas_member **out, saas_ctx *ctx, const saas_scope *scope,
                    const char *user_id)
{
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc)
		rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ);
	if (rc)
		goto done;
	rc = saas__tx_finish(tx, saas__st_member_get(out, tx, user_id));
	if (rc) {
		saas__member_row_free(*out);
		*out = NULL;
	}
done:
	saas__op_done(ctx, "member.get", t0, rc);
	return rc;
}

int saas_member_list(saas_member_page **out, saas_ctx *ctx, const saas_scope *scope,
                     const char *cursor, unsigned limit)
{
	struct saas_member_page *page = NULL;
	struct saas_member **v = NULL;
	size_t n = 0;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc && cursor)
		rc = saas__id_check(cursor, "mem", "cursor");
	if (!rc && (limit < 1 || limit > LIST_LIMIT_MAX))
		rc = saas__err(SAAS_EINVAL, "limit", "limit %u is out of range: use 1 to %d", limit,
		               LIST_LIMIT_MAX);
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ);
	if (rc)
		goto done;
	/* One row more than asked tells whether another page follows. */
	rc = saas__tx_finish(tx, saas__st_member_list(&v, &n, tx, cursor, limit + 1));
	if (rc)
		goto done;
	page = calloc(1, sizeof *page);
	if (!page) {
		rc = saas__enomem();
		goto done;
	}
	if (n > limit) {
		page->next_cursor = saas__strdup(v[limit - 1]->id);
		if (!page->next_cursor) {
			rc = saas__enomem();
			goto done;
		}
		while (n > limit)
			saas__member_row_free(v[--n]);
	}
	page->items = v;
	page->count = n;
	v = NULL;
	n = 0;
	*out = page;
	page = NULL;
done:
	for (size_t i = 0; i < n; i++)
		saas__member_row_free(v[i]);
	free(v);
	saas_member_page_free(page);
	saas__op_done(ctx, "member.list", t0, rc);
	return rc;
}

int saas_member_transfer_ownership(saas_ctx *ctx, const saas_scope *scope,
                                   const char *from_user_id, const char *to_user_id)
{
	struct saas_member *from = NULL, *to = NULL;
	const char *want[17];
	char **from_roles = NULL, **to_roles = NULL;
	size_t nfrom = 0, nto = 0, k;
	saas_tx *tx = NULL;
	int64_t t0, now;
	json_t *meta;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc)
		rc = saas__id_check(from_user_id, "usr", "from_user_id");
	if (!rc)
		rc = saas__id_check(to_user_id, "usr", "to_user_id");
	if (!rc && strcmp(from_user_id, to_user_id) == 0)
		rc = saas__err(SAAS_EINVAL, "to_user_id",
		               "cannot transfer ownership from user %s to itself",
		               saas__q(from_user_id));
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE);
	if (rc)
		goto done;

	rc = saas__st_member_get(&from, tx, from_user_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "from_user_id", "user %s is not a member of %s",
		               saas__q(from_user_id), saas__q(scope->tenant_id));
	if (!rc && !roles_have(from->roles, from->nroles, SAAS_ROLE_OWNER))
		rc = saas__err(SAAS_ESTATE, "from_user_id", "user %s is not an owner of %s",
		               saas__q(from_user_id), saas__q(scope->tenant_id));
	if (!rc) {
		rc = saas__st_member_get(&to, tx, to_user_id);
		if (rc == SAAS_ENOTFOUND)
			rc = saas__err(SAAS_ENOTFOUND, "to_user_id",
			               "user %s is not a member of %s", saas__q(to_user_id),
			               saas__q(scope->tenant_id));
	}
	if (rc)
		goto fail;

	/* The new owner keeps its roles and gains "owner"... */
	for (k = 0; k < to->nroles && k < 16; k++)
		want[k] = to->roles[k];
	if (!roles_have(to->roles, to->nroles, SAAS_ROLE_OWNER))
		want[k++] = SAAS_ROLE_OWNER;
	rc = saas__roles_normalize(&to_roles, &nto, want, k);
	/* ...the old one keeps every role but "owner", or becomes "admin". */
	k = 0;
	for (size_t i = 0; i < from->nroles; i++)
		if (strcmp(from->roles[i], SAAS_ROLE_OWNER) != 0)
			want[k++] = from->roles[i];
	if (k == 0)
		want[k++] = "admin";
	if (!rc)
		rc = saas__roles_normalize(&from_roles, &nfrom, want, k);
	now = saas__now(ctx);
	if (!rc)
		rc = saas__st_member_set_roles(tx, to_user_id, to_roles, nto, now);
	if (!rc)
		rc = saas__st_member_set_roles(tx, from_user_id, from_roles, nfrom, now);
	if (!rc)
		rc = check_owner_left(tx, from_user_id);
	if (!rc) {
		meta = json_pack("{s:s, s:s, s:s, s:o, s:o}", "from_user_id", from_user_id,
		                 "to_user_id", to_user_id, "from_membership_id", from->id,
		                 "from_roles", saas__roles_json(from_roles, nfrom), "to_roles",
		                 saas__roles_json(to_roles, nto));
		rc = meta ? saas__audit_append(tx, scope, "member.ownership_transferred", "member",
		                               to->id, meta)
		          : saas__enomem();
	}
fail:
	rc = saas__tx_finish(tx, rc);
done:
	saas__member_row_free(from);
	saas__member_row_free(to);
	saas__strv_free(from_roles);
	saas__strv_free(to_roles);
	saas__op_done(ctx, "member.transfer_ownership", t0, rc);
	return rc;
}

/* ---- accessors ------------------------------------------------------------------ */

const char *saas_member_id(const saas_member *m)
{
	return m ? m->id : NULL;
}

const char *saas_member_tenant_id(const saas_member *m)
{
	return m ? m->tenant_id : NULL;
}

const char *saas_member_user_id(const saas_member *m)
{
	return m ? m->user_id : NULL;
}

size_t saas_member_role_count(const saas_member *m)
{
	return m ? m->nroles : 0;
}

const char *saas_member_role_at(const saas_member *m, size_t i)
{
	return (m && i < m->nroles) ? m->roles[i] : NULL;
}

int saas_member_has_role(const saas_member *m, const char *role)
{
	return (m && role && roles_have(m->roles, m->nroles, role)) ? 1 : 0;
}

int64_t saas_member_created_at(const saas_member *m)
{
	return m ? m->created_at : 0;
}

int saas_member_to_json(char **out, const saas_member *m)
{
	json_t *v;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!m)
		return saas__err(SAAS_EINVAL, "member", "member is NULL");
	v = json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", m->id, "tenant_id", m->tenant_id,
	              "user_id", m->user_id, "roles", saas__roles_json(m->roles, m->nroles),
	              "created_at", saas__json_time(m->created_at));
	*out = saas__json_take_dump(v);
	return *out ? SAAS_OK : saas__enomem();
}

void saas_member_free(saas_member *m)
{
	saas__member_row_free(m);
}

size_t saas_member_page_count(const saas_member_page *l)
{
	return l ? l->count : 0;
}

const saas_member *saas_member_page_at(const saas_member_page *l, size_t i)
{
	return (l && i < l->count) ? l->items[i] : NULL;
}

const char *saas_member_page_next_cursor(const saas_member_page *l)
{
	return l ? l->next_cursor : NULL;
}

void saas_member_page_free(saas_member_page *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		saas__member_row_free(l->items[i]);
	free(l->items);
	free(l->next_cursor);
	free(l);
}
