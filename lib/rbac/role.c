/*
 * Custom roles of a tenant (docs/rbac.md, "Custom roles"): stored in
 * tenant_roles with their own permissions and the roles they inherit (roles
 * of the deployment's catalog or other custom roles of the tenant), checked
 * for cycles, audited in the same transaction as each change.
 */
#include <stdlib.h>
#include <string.h>

#include "saas/rbac.h"
#include "../audit/audit.h"
#include "../tenant/tenant_internal.h"
#include "rbac.h"

/* ---- a set of custom roles --------------------------------------------------- */

void saas__troles_free(struct saas__troles *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		json_decref(t->v[i].permissions);
		json_decref(t->v[i].inherits);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

static int cmp_def(const void *a, const void *b)
{
	return strcmp(((const struct saas__trole_def *)a)->name,
	              ((const struct saas__trole_def *)b)->name);
}

void saas__troles_sort(struct saas__troles *t)
{
	if (t->unsorted && t->n > 1)
		qsort(t->v, t->n, sizeof *t->v, cmp_def);
	t->unsorted = false;
}

struct saas__trole_def *saas__troles_find(const struct saas__troles *t, const char *name)
{
	struct saas__trole_def key = {.name = (char *)name};

	return t->n ? bsearch(&key, t->v, t->n, sizeof *t->v, cmp_def) : NULL;
}

/* A new zeroed entry at the end of the set. */
static struct saas__trole_def *troles_append(struct saas__troles *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		void *p = realloc(t->v, cap * sizeof *t->v);
		if (!p)
			return NULL;
		t->v = p;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof t->v[t->n]);
	return &t->v[t->n++];
}

int saas__troles_put(struct saas__troles *t, const char *name, json_t *permissions,
                     json_t *inherits)
{
	struct saas__trole_def *x = t->unsorted ? NULL : saas__troles_find(t, name);

	for (size_t i = 0; !x && t->unsorted && i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			x = &t->v[i];
	if (!x) {
		if (!(x = troles_append(t)))
			return saas__enomem();
		if (!(x->name = saas__strdup(name)))
			return saas__enomem();
		t->unsorted = true;
	}
	json_decref(x->permissions);
	json_decref(x->inherits);
	x->permissions = json_incref(permissions);
	x->inherits = json_incref(inherits);
	return SAAS_OK;
}

static int load_row(const struct saas__trole *r, void *payload)
{
	struct saas__troles *t = payload;
	struct saas__trole_def *x = troles_append(t);
	json_error_t err;

	if (!x)
		return saas__enomem();
	x->name = saas__strdup(r->name ? r->name : "");
	x->permissions = json_loads(r->permissions ? r->permissions : "", 0, &err);
	x->inherits = json_loads(r->inherits ? r->inherits : "", 0, &err);
	x->created_at = r->created_at;
	x->updated_at = r->updated_at;
	if (!x->name)
		return saas__enomem();
	if (!json_is_array(x->permissions) || !json_is_array(x->inherits))
		return saas__err(SAAS_ESTORE, NULL, "custom role '%s' of tenant is malformed in the store",
		                 saas__q(x->name));
	return 0;
}

int saas__troles_load(struct saas__troles *out, saas_tx *tx)
{
	int rc;

	memset(out, 0, sizeof *out);
	rc = saas__st_trole_list(tx, load_row, out);
	/* The database's collation may order names otherwise than strcmp. */
	out->unsorted = true;
	saas__troles_sort(out);
	return rc;
}

/*
 * Three-colour depth-first search over the set's own roles, without
 * recursion (a chain of inheritance may be as long as the set): a grey role
 * met again closes a cycle, which the stack of grey roles holds.
 */
int saas__troles_find_cycle(size_t **out, size_t *out_n, const struct saas__troles *t)
{
	unsigned char *colour = calloc(t->n + 1, 1); /* 0 white, 1 grey, 2 black */
	size_t *stack = malloc((t->n + 1) * sizeof *stack);
	size_t *edge = malloc((t->n + 1) * sizeof *edge); /* next inherits index per depth */
	size_t depth;

	*out = NULL;
	*out_n = 0;
	if (!colour || !stack || !edge) {
		free(colour);
		free(stack);
		free(edge);
		return saas__enomem();
	}
	for (size_t root = 0; root < t->n; root++) {
		if (colour[root])
			continue;
		depth = 0;
		stack[depth] = root;
		edge[depth] = 0;
		colour[root] = 1;
		while (1) {
			size_t u = stack[depth];
			json_t *inh = t->v[u].inherits;
			const struct saas__trole_def *next = NULL;

			while (!next && edge[depth] < json_array_size(inh)) {
				const char *name = json_string_value(json_array_get(inh, edge[depth]++));
				next = name ? saas__troles_find(t, name) : NULL;
			}
			if (!next) {
				colour[u] = 2;
				if (depth == 0)
					break;
				depth--;
				continue;
			}
			size_t v = (size_t)(next - t->v);
			if (colour[v] == 1) {
				size_t from = depth;
				while (stack[from] != v)
					from--;
				*out_n = depth - from + 1;
				*out = malloc(*out_n * sizeof **out);
				if (*out)
					memcpy(*out, &stack[from], *out_n * sizeof **out);
				free(colour);
				free(stack);
				free(edge);
				if (!*out) {
					*out_n = 0;
					return saas__enomem();
				}
				return SAAS_OK;
			}
			if (colour[v] == 0) {
				colour[v] = 1;
				stack[++depth] = v;
				edge[depth] = 0;
			}
		}
	}
	free(colour);
	free(stack);
	free(edge);
	return SAAS_OK;
}

/* ---- roles given to members ---------------------------------------------------- */

static int row_exists(const struct saas__trole *r, void *payload)
{
	(void)r;
	(void)payload;
	return 0;
}

int saas__roles_check_known(const char **out_unknown, saas_tx *tx, char *const *roles, size_t n)
{
	saas_ctx *ctx = saas__tx_ctx(tx);

	if (out_unknown)
		*out_unknown = NULL;
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (saas__rbac_role(ctx->rbac, roles[i]))
			continue;
		rc = saas__st_trole_get(tx, roles[i], row_exists, NULL);
		if (rc == SAAS_ENOTFOUND) {
			if (out_unknown)
				*out_unknown = roles[i];
			return saas__err(SAAS_ENOTFOUND, "roles",
			                 "role '%s' is neither a role of the deployment nor a custom "
			                 "role of the tenant",
			                 saas__q(roles[i]));
		}
		if (rc)
			return rc;
	}
	return SAAS_OK;
}

/* ---- checking a definition ---------------------------------------------------- */

static int check_name(const char *field, const char *name)
{
	if (!name)
		return saas__err(SAAS_EINVAL, field, "%s is NULL", field);
	if (!saas__match(SAAS__PAT_ROLE, name))
		return saas__err(SAAS_EINVAL, field, "%s '%s' is not a role name ([a-z][a-z0-9_-]{0,63})",
		                 field, saas__q(name));
	return SAAS_OK;
}

json_t *saas__sorted_set(const char *const *v, size_t n)
{
	const char **c = n ? malloc(n * sizeof *c) : NULL;
	json_t *a = json_array();

	if ((n && !c) || !a) {
		free(c);
		json_decref(a);
		return NULL;
	}
	if (n) {
		memcpy(c, v, n * sizeof *c);
		qsort(c, n, sizeof *c, saas__cmp_str);
	}
	for (size_t i = 0; i < n; i++)
		if ((i == 0 || strcmp(c[i], c[i - 1]) != 0) &&
		    json_array_append_new(a, json_string(c[i]))) {
			json_decref(a);
			a = NULL;
			break;
		}
	free(c);
	return a;
}

/* Check the permissions and inherited names (not yet whether those roles
 * exist) and make their sorted sets. */
static int check_definition(json_t **perms, json_t **inh, const char *const *permissions,
                            size_t np, const char *const *inherits, size_t ni)
{
	struct saas__perm p;
	int rc;

	*perms = *inh = NULL;
	if (np > SAAS__ROLE_MAX_PERMISSIONS || (np && !permissions))
		return saas__err(SAAS_EINVAL, "permissions",
		                 np ? "a role has at most 256 permissions of its own, not %zu"
		                    : "permissions is NULL with %zu entries",
		                 np);
	if (ni > SAAS__ROLE_MAX_INHERITS || (ni && !inherits))
		return saas__err(SAAS_EINVAL, "inherits",
		                 ni ? "a role inherits at most 16 roles, not %zu"
		                    : "inherits is NULL with %zu entries",
		                 ni);
	for (size_t i = 0; i < np; i++)
		if (saas__perm_parse(&p, permissions[i], "permission") != SAAS_OK)
			return saas__err(SAAS_EINVAL, "permissions",
			                 "permission %zu, '%s', is not resource:action (each side 1 to 64 "
			                 "of a-z, 0-9, '_', '-', or '*'; or '*' alone)",
			                 i, saas__q(permissions[i] ? permissions[i] : "(null)"));
	for (size_t i = 0; i < ni; i++)
		if ((rc = check_name("inherits", inherits[i])))
			return rc;
	*perms = saas__sorted_set(permissions, np);
	*inh = saas__sorted_set(inherits, ni);
	if (!*perms || !*inh) {
		json_decref(*perms);
		json_decref(*inh);
		*perms = *inh = NULL;
		return saas__enomem();
	}
	return SAAS_OK;
}

/* Each role `name` (already in `defs`, sorted) inherits exists (catalog, or
 * a custom role of the tenant) and none leads back to `name`. */
static int check_inherits(saas_ctx *ctx, const struct saas__troles *defs, const char *name)
{
	const struct saas__trole_def *def = saas__troles_find(defs, name);
	size_t i, *cycle = NULL, ncycle = 0, k = 0;
	json_t *v;
	int rc;

	json_array_foreach(def->inherits, i, v) {
		const char *r = json_string_value(v);
		if (strcmp(r, name) == 0)
			return saas__err(SAAS_EINVAL, "inherits", "role '%s' cannot inherit itself", name);
		if (!saas__rbac_role(ctx->rbac, r) && !saas__troles_find(defs, r))
			return saas__err(SAAS_EINVAL, "inherits",
			                 "role '%s' inherits '%s', which is neither a role of the "
			                 "deployment nor a custom role of the tenant",
			                 name, saas__q(r));
	}
	/* The tenant's roles had no cycle: one now goes through `name`. */
	if ((rc = saas__troles_find_cycle(&cycle, &ncycle, defs)) || !cycle)
		return rc;
	while (k < ncycle && strcmp(defs->v[cycle[k]].name, name) != 0)
		k++;
	rc = saas__err(SAAS_EINVAL, "inherits", "role '%s' would inherit itself through '%s' (a cycle)",
	               name, defs->v[cycle[(k + 1) % ncycle]].name);
	free(cycle);
	return rc;
}

/* ---- create, update, delete ------------------------------------------------------ */

int saas__trole_write_tx(saas_tx *tx, const saas_scope *scope, const char *name,
                         json_t *permissions, json_t *inherits,
                         const struct saas__trole_def *old)
{
	int64_t now = saas__now(saas__tx_ctx(tx));
	char *ptext = json_dumps(permissions, JSON_COMPACT);
	char *itext = json_dumps(inherits, JSON_COMPACT);
	json_t *meta;
	int rc;

	if (!ptext || !itext) {
		rc = saas__enomem();
		goto out;
	}
	struct saas__trole row = {name, ptext, itext, now, now};
	rc = old ? saas__st_trole_update(tx, &row) : saas__st_trole_insert(tx, &row);
	if (rc == SAAS_EEXISTS)
		rc = saas__err(SAAS_EEXISTS, "name", "the tenant already has a custom role '%s'", name);
	if (rc)
		goto out;
	meta = old ? json_pack("{s:O,s:O,s:O,s:O}", "permissions", permissions, "inherits",
	                       inherits, "previous_permissions", old->permissions,
	                       "previous_inherits", old->inherits)
	           : json_pack("{s:O,s:O}", "permissions", permissions, "inherits", inherits);
	rc = meta ? saas__audit_append(tx, scope, old ? "role.updated" : "role.created", "role", name,
	                               meta)
	          : saas__enomem();
out:
	free(ptext);
	free(itext);
	return rc;
}

static int save(saas_ctx *ctx, const saas_scope *scope, const char *name,
                const char *const *permissions, size_t np, const char *const *inherits,
                size_t ni, bool create)
{
	json_t *perms = NULL, *inh = NULL;
	struct saas__troles defs = {0};
	struct saas__trole_def *cur, old = {0};
	saas_tx *tx = NULL;
	int rc;

	if ((rc = check_name("name", name)) ||
	    (rc = check_definition(&perms, &inh, permissions, np, inherits, ni)))
		goto out;
	if (create && saas__rbac_role(ctx->rbac, name)) {
		rc = saas__err(SAAS_EEXISTS, "name",
		               "'%s' is a role of the deployment (built-in or from rbac_policy): a "
		               "custom role needs another name",
		               name);
		goto out;
	}
	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE)))
		goto out;
	rc = saas__troles_load(&defs, tx);
	if (!rc) {
		cur = saas__troles_find(&defs, name);
		if (create && cur)
			rc = saas__err(SAAS_EEXISTS, "name", "the tenant already has a custom role '%s'",
			               name);
		else if (!create && !cur)
			rc = saas__err(SAAS_ENOTFOUND, "name", "the tenant has no custom role '%s'%s",
			               saas__q(name),
			               saas__rbac_role(ctx->rbac, name)
			                       ? " (it is a role of the deployment: change it in rbac_policy)"
			                       : "");
		else if (cur)
			old = (struct saas__trole_def){cur->name, json_incref(cur->permissions),
			                               json_incref(cur->inherits), cur->created_at,
			                               cur->updated_at};
	}
	/* Check the set as it would be. */
	if (!rc)
		rc = saas__troles_put(&defs, name, perms, inh);
	saas__troles_sort(&defs);
	if (!rc)
		rc = check_inherits(ctx, &defs, name);
	if (!rc)
		rc = saas__trole_write_tx(tx, scope, name, perms, inh, create ? NULL : &old);
	rc = saas__tx_finish(tx, rc);
out:
	json_decref(old.permissions);
	json_decref(old.inherits);
	saas__troles_free(&defs);
	json_decref(perms);
	json_decref(inh);
	return rc;
}

/* saas_role_create or saas_role_update, measured as one operation. */
static int save_op(saas_ctx *ctx, const saas_scope *scope, const char *name,
                   const char *const *permissions, size_t np, const char *const *inherits,
                   size_t ni, bool create)
{
	int64_t t0 = saas__mono_ns();
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	rc = save(ctx, scope, name, permissions, np, inherits, ni, create);
	saas__op_done(ctx, create ? "role.create" : "role.update", t0, rc);
	return rc;
}

int saas_role_create(saas_ctx *ctx, const saas_scope *scope, const char *name,
                     const char *const *permissions, size_t npermissions,
                     const char *const *inherits, size_t ninherits)
{
	return save_op(ctx, scope, name, permissions, npermissions, inherits, ninherits, true);
}

int saas_role_update(saas_ctx *ctx, const saas_scope *scope, const char *name,
                     const char *const *permissions, size_t npermissions,
                     const char *const *inherits, size_t ninherits)
{
	return save_op(ctx, scope, name, permissions, npermissions, inherits, ninherits, false);
}

/* The first custom role (other than `name`) that inherits `name`, or NULL. */
static const char *inherited_by(const struct saas__troles *defs, const char *name)
{
	for (size_t i = 0; i < defs->n; i++) {
		size_t k;
		json_t *v;
		json_array_foreach(defs->v[i].inherits, k, v)
			if (strcmp(json_string_value(v), name) == 0)
				return defs->v[i].name;
	}
	return NULL;
}

int saas_role_delete(saas_ctx *ctx, const saas_scope *scope, const char *name, const char *move_to)
{
	int64_t t0 = saas__mono_ns(), members = 0, moved = 0;
	struct saas__troles defs = {0};
	const struct saas__trole_def *r;
	const char *heir;
	saas_tx *tx = NULL;
	json_t *meta;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = check_name("name", name)) || (move_to && (rc = check_name("move_to", move_to))))
		goto done;
	if (move_to && strcmp(move_to, name) == 0) {
		rc = saas__err(SAAS_EINVAL, "move_to", "move_to is the role being deleted, '%s'", name);
		goto done;
	}
	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE)))
		goto done;
	rc = saas__troles_load(&defs, tx);
	r = rc ? NULL : saas__troles_find(&defs, name);
	if (!rc && !r)
		rc = saas__err(SAAS_ENOTFOUND, "name", "the tenant has no custom role '%s'",
		               saas__q(name));
	if (!rc && (heir = inherited_by(&defs, name)))
		rc = saas__err(SAAS_EUSED, "name",
		               "custom role '%s' is inherited by '%s': change that role first", name,
		               heir);
	if (!rc && move_to && !saas__rbac_role(ctx->rbac, move_to) && !saas__troles_find(&defs, move_to))
		rc = saas__err(SAAS_ENOTFOUND, "move_to",
		               "move_to '%s' is neither a role of the deployment nor a custom role of "
		               "the tenant",
		               saas__q(move_to));
	if (!rc)
		rc = saas__st_member_count_role(&members, tx, name);
	if (!rc && members && !move_to)
		rc = saas__err(SAAS_EUSED, "name",
		               "%lld member%s the role '%s': name a role to move them to (move_to)",
		               (long long)members, members == 1 ? " has" : "s have", name);
	if (!rc && members)
		rc = saas__st_member_roles_move(&moved, tx, name, move_to);
	if (!rc)
		rc = saas__st_trole_delete(tx, name);
	if (!rc) {
		meta = json_pack("{s:O,s:O,s:o,s:I}", "permissions", r->permissions, "inherits",
		                 r->inherits, "moved_to", move_to ? json_string(move_to) : json_null(),
		                 "members_moved", (json_int_t)moved);
		rc = meta ? saas__audit_append(tx, scope, "role.deleted", "role", name, meta)
		          : saas__enomem();
	}
	rc = saas__tx_finish(tx, rc);
done:
	saas__troles_free(&defs);
	saas__op_done(ctx, "role.delete", t0, rc);
	return rc;
}

/* ---- listing -------------------------------------------------------------------- */

/* Add `role`'s effective permissions (a catalog role's, or a custom role's
 * own and inherited) to the set `acc` (an object used as a set). */
static int add_effective(json_t *acc, saas_ctx *ctx, const struct saas__troles *defs, const char *role,
                         int depth)
{
	const struct saas__role *c = saas__rbac_role(ctx->rbac, role);
	const struct saas__trole_def *t;
	json_t *v, *eff;
	size_t i;

	if (depth > 1024)
		return saas__err(SAAS_ESTORE, NULL, "custom roles of the tenant inherit in a cycle");
	if (c) {
		eff = saas__role_effective_json(c);
		if (!eff)
			return saas__enomem();
		json_array_foreach(eff, i, v)
			json_object_set(acc, json_string_value(v), json_true());
		json_decref(eff);
		return SAAS_OK;
	}
	t = saas__troles_find(defs, role);
	if (!t)
		return SAAS_OK; /* a role deleted from rbac_policy since: it grants nothing */
	json_array_foreach(t->permissions, i, v)
		json_object_set(acc, json_string_value(v), json_true());
	json_array_foreach(t->inherits, i, v) {
		int rc = add_effective(acc, ctx, defs, json_string_value(v), depth + 1);
		if (rc)
			return rc;
	}
	return SAAS_OK;
}

static json_t *custom_json(saas_ctx *ctx, const struct saas__troles *defs, const struct saas__trole_def *t,
                           int *rc)
{
	json_t *acc = json_object(), *eff = json_array(), *o = NULL;
	const char *key;
	json_t *v;
	const char **keys = NULL;
	size_t n = 0;

	*rc = (acc && eff) ? add_effective(acc, ctx, defs, t->name, 0) : saas__enomem();
	if (!*rc && json_object_get(acc, "*")) {
		json_object_clear(acc);
		json_object_set(acc, "*", json_true());
	}
	if (!*rc && !(keys = calloc(json_object_size(acc) + 1, sizeof *keys)))
		*rc = saas__enomem();
	if (!*rc) {
		json_object_foreach(acc, key, v)
			keys[n++] = key;
		qsort(keys, n, sizeof *keys, saas__cmp_str);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(eff, json_string(keys[i]));
		o = json_pack("{s:s,s:s,s:b,s:O,s:O,s:O,s:o,s:o}", "name", t->name, "scope", "tenant",
		              "builtin", 0, "inherits", t->inherits, "permissions", t->permissions,
		              "effective", eff, "created_at", saas__json_time(t->created_at),
		              "updated_at", saas__json_time(t->updated_at));
		if (!o)
			*rc = saas__enomem();
	}
	free(keys);
	json_decref(acc);
	json_decref(eff);
	return o;
}

static int cmp_role_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
	              json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

int saas_role_list(char **out, saas_ctx *ctx, const saas_scope *scope)
{
	int64_t t0 = saas__mono_ns();
	struct saas__troles defs = {0};
	json_t **items = NULL, *arr = NULL, *doc;
	saas_tx *tx = NULL;
	size_t n = 0;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ)))
		goto done;
	rc = saas__troles_load(&defs, tx);
	saas__tx_rollback(tx);
	if (rc)
		goto done;
	items = calloc(ctx->rbac->n + defs.n, sizeof *items);
	if (!items) {
		rc = saas__enomem();
		goto done;
	}
	for (size_t i = 0; !rc && i < ctx->rbac->n; i++) {
		json_t *o = saas__role_json(&ctx->rbac->roles[i]);
		if (!o || json_object_set_new(o, "scope", json_string("deployment"))) {
			json_decref(o);
			rc = saas__enomem();
		} else {
			items[n++] = o;
		}
	}
	for (size_t i = 0; !rc && i < defs.n; i++) {
		json_t *o = custom_json(ctx, &defs, &defs.v[i], &rc);
		if (o)
			items[n++] = o;
	}
	if (!rc) {
		qsort(items, n, sizeof *items, cmp_role_name);
		arr = json_array();
		for (size_t i = 0; arr && i < n; i++) {
			json_array_append_new(arr, items[i]);
			items[i] = NULL;
		}
		doc = arr ? json_pack("{s:o}", "roles", arr) : NULL;
		*out = doc ? saas__json_take_dump(doc) : NULL;
		if (!*out)
			rc = saas__enomem();
	}
done:
	for (size_t i = 0; items && i < n; i++)
		json_decref(items[i]);
	free(items);
	saas__troles_free(&defs);
	saas__op_done(ctx, "role.list", t0, rc);
	return rc;
}
