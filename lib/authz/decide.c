/*
 * saas_authorize (docs/authz.md): what one (tenant, actor) compiles to,
 * loaded in one read of the store, and the rules, in the order the header
 * gives them, that turn it into a decision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saas/tenant.h"
#include "../audit/audit.h"
#include "authz.h"
#include "../billing/billing_internal.h"

/* What a tenant pending deletion still allows: restoring it and taking its
 * data out. */
static const char *const deleted_allows[] = {"audit:export", "tenant:export", "tenant:read",
                                             "tenant:restore"};

void saas__actor_clear(struct saas__actor *a)
{
	for (size_t i = 0; i < a->nroles; i++)
		free(a->role_names[i]);
	for (size_t i = 0; i < a->nowned; i++)
		saas__role_clear(&a->owned[i]);
	free(a->owned);
	if (a->key_role) {
		saas__role_clear(a->key_role);
		free(a->key_role);
	}
	if (!a->roles_text_inline)
		free((char *)a->roles_text);
	memset(a, 0, sizeof *a);
}

/* ---- loading ------------------------------------------------------------------ */

/* A custom role of the tenant as read. */
struct cdef {
	char *name;
	json_t *perms, *inherits;
};

struct load {
	struct saas__actor *a;
	struct cdef *defs;
	size_t ndefs, capdefs;
	bool bad_role; /* the store held a role row it could not read */
};

/* An API key's row: its patterns compiled into a role of their own. */
static int key_row(struct saas__actor *a, const struct saas__authz_row *r)
{
	json_t *arr = json_loads(r->a ? r->a : "", 0, NULL);
	const char **v = NULL;
	size_t n = 0, k = 0, i;
	json_t *p;
	int rc = SAAS_OK;

	if (!json_is_array(arr)) {
		json_decref(arr);
		return saas__err(SAAS_ESTORE, NULL, "an API key's permissions are malformed in the store");
	}
	if (!(v = calloc(json_array_size(arr) + 1, sizeof *v)) ||
	    !(a->key_role = calloc(1, sizeof *a->key_role)))
		rc = saas__enomem();
	json_array_foreach(arr, i, p)
		if (!rc && json_is_string(p))
			v[n++] = json_string_value(p);
	if (!rc && n) {
		qsort(v, n, sizeof *v, saas__cmp_str);
		for (i = 0; i < n; i++)
			if (k == 0 || strcmp(v[i], v[k - 1]) != 0)
				v[k++] = v[i];
	}
	if (!rc && (rc = saas__role_compile(a->key_role, "apikey", (char *const *)v, k))) {
		free(a->key_role);
		a->key_role = NULL;
	}
	if (!rc) {
		a->key_found = true;
		a->key_revoked = r->c != NULL;
		a->key_expires_at = r->n;
	}
	free(v);
	json_decref(arr);
	return rc;
}

static int load_row(const struct saas__authz_row *r, void *payload)
{
	struct load *l = payload;
	struct saas__actor *a = l->a;

	switch (r->kind) {
	case 't':
		a->status = saas__tenant_status_value(r->a);
		if (a->status < 0)
			return saas__err(SAAS_ESTORE, NULL, "tenant status '%s' in the store is unknown",
			                 saas__q(r->a));
		return SAAS_OK;
	case 'm':
		if (a->nroles == SAAS__AUTHZ_MAX_ROLES || !r->a)
			return SAAS_OK; /* more than a membership can hold: ignored */
		if (!(a->role_names[a->nroles] = saas__strdup(r->a)))
			return saas__enomem();
		a->nroles++;
		return SAAS_OK;
	case 'r': {
		json_error_t err;
		struct cdef *d;
		if (l->ndefs == l->capdefs) {
			size_t cap = l->capdefs ? 2 * l->capdefs : 8;
			void *p = realloc(l->defs, cap * sizeof *l->defs);
			if (!p)
				return saas__enomem();
			l->defs = p;
			l->capdefs = cap;
		}
		d = &l->defs[l->ndefs++];
		d->name = saas__strdup(r->a ? r->a : "");
		d->perms = json_loads(r->b ? r->b : "", 0, &err);
		d->inherits = json_loads(r->c ? r->c : "", 0, &err);
		if (!d->name)
			return saas__enomem();
		if (!json_is_array(d->perms) || !json_is_array(d->inherits))
			return saas__err(SAAS_ESTORE, NULL,
			                 "custom role '%s' of the tenant is malformed in the store",
			                 saas__q(d->name));
		return SAAS_OK;
	}
	case 'g': {
		struct saas__agrant *g;
		if (a->ngrants == 2 || !r->a || !r->b)
			return SAAS_OK;
		g = &a->grants[a->ngrants++];
		snprintf(g->id, sizeof g->id, "%s", r->a);
		snprintf(g->role_name, sizeof g->role_name, "%s", r->b);
		g->expires_at = r->n;
		return SAAS_OK;
	}
	case 'k':
		return key_row(a, r);
	default:
		return saas__err(SAAS_EINTERNAL, NULL, "authorization read an unknown row kind");
	}
}

static const struct cdef *def_find(const struct load *l, const char *name)
{
	for (size_t i = 0; i < l->ndefs; i++)
		if (strcmp(l->defs[i].name, name) == 0)
			return &l->defs[i];
	return NULL;
}

/* A growable list of borrowed strings (sorted and folded at the end). */
struct list {
	const char **v;
	size_t n, cap;
};

static int list_add(struct list *s, const char *str)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		void *p = realloc(s->v, cap * sizeof *s->v);
		if (!p)
			return saas__enomem();
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	return SAAS_OK;
}

static int list_add_fn(const char *perm, void *payload)
{
	return list_add(payload, perm);
}

/* Add what role `name` grants, its own and inherited, to `acc`. Roles were
 * checked for cycles when saved; the depth bound guards the store anyway. */
static int add_effective(struct list *acc, saas_ctx *ctx, const struct load *l, const char *name,
                         int depth)
{
	const struct saas__role *c = saas__rbac_role(ctx->rbac, name);
	const struct cdef *d;
	size_t i;
	json_t *v;
	int rc = SAAS_OK;

	if (c)
		return saas__role_each(c, list_add_fn, acc);
	if (depth > 64)
		return saas__err(SAAS_ESTORE, NULL, "custom roles of the tenant inherit in a cycle");
	if (!(d = def_find(l, name)))
		return SAAS_OK; /* a role that no longer exists grants nothing */
	json_array_foreach(d->perms, i, v)
		if (json_is_string(v) && (rc = list_add(acc, json_string_value(v))))
			return rc;
	json_array_foreach(d->inherits, i, v)
		if (json_is_string(v) && (rc = add_effective(acc, ctx, l, json_string_value(v), depth + 1)))
			return rc;
	return SAAS_OK;
}

/* The compiled role `name`: the catalog's, or a custom role compiled into
 * the actor's own list; NULL (with SAAS_OK) when it does not exist. */
static int resolve(const struct saas__role **out, struct saas__actor *a, saas_ctx *ctx,
                   const struct load *l, const char *name)
{
	struct list acc = {0};
	size_t k = 0;
	int rc;

	*out = saas__rbac_role(ctx->rbac, name);
	if (*out || !def_find(l, name))
		return SAAS_OK;
	for (size_t i = 0; i < a->nowned; i++)
		if (strcmp(a->owned[i].name, name) == 0) {
			*out = &a->owned[i];
			return SAAS_OK;
		}
	rc = add_effective(&acc, ctx, l, name, 0);
	if (!rc && acc.n) {
		qsort(acc.v, acc.n, sizeof *acc.v, saas__cmp_str);
		for (size_t i = 0; i < acc.n; i++)
			if (k == 0 || strcmp(acc.v[i], acc.v[k - 1]) != 0)
				acc.v[k++] = acc.v[i];
	}
	if (!rc)
		rc = saas__role_compile(&a->owned[a->nowned], name, (char *const *)acc.v, k);
	if (!rc)
		*out = &a->owned[a->nowned++];
	free(acc.v);
	return rc;
}

/* Read (tenant, user or staff) in `tx` and compile it into `out`; with
 * `role`, that role takes the place of a user's. */
static int load_in(struct saas__actor *out, saas_tx *tx, saas_ctx *ctx, const char *user_id,
                   const char *staff, const char *key_id, const char *role)
{
	struct load l = {.a = out};
	int rc;

	memset(out, 0, sizeof *out);
	out->status = -1;
	rc = saas__st_authz_load(tx, user_id, staff, key_id, user_id || staff || key_id || role,
	                         load_row, &l);
	if (!rc && role) {
		if ((out->role_names[0] = saas__strdup(role)))
			out->nroles = 1;
		else
			rc = saas__enomem();
	}
	if (!rc && out->nroles)
		qsort(out->role_names, out->nroles, sizeof *out->role_names, saas__cmp_str);
	if (!rc && (out->nroles || out->ngrants) &&
	    !(out->owned = calloc(out->nroles + out->ngrants, sizeof *out->owned)))
		rc = saas__enomem();
	for (size_t i = 0; !rc && i < out->nroles; i++)
		rc = resolve(&out->roles[i], out, ctx, &l, out->role_names[i]);
	if (!rc && out->nroles &&
	    !(out->roles_text = saas__strv_join(out->role_names, out->nroles, ',')))
		rc = saas__enomem();
	if (out->roles_text) {
		out->roles_len = strlen(out->roles_text);
		if (out->roles_len >= SAAS__AUTHZ_ROLES_TEXT)
			out->roles_len = SAAS__AUTHZ_ROLES_TEXT - 1;
	}
	for (size_t i = 0; !rc && i < out->ngrants; i++)
		rc = resolve(&out->grants[i].role, out, ctx, &l, out->grants[i].role_name);
	for (size_t i = 0; i < l.ndefs; i++) {
		free(l.defs[i].name);
		json_decref(l.defs[i].perms);
		json_decref(l.defs[i].inherits);
	}
	free(l.defs);
	if (rc)
		saas__actor_clear(out);
	return rc;
}

int saas__actor_load(struct saas__actor *out, saas_ctx *ctx, const char *tenant_id,
                     int actor_type, const char *actor_id)
{
	saas_tx *tx = NULL;
	int rc = saas__tx_begin(&tx, ctx, tenant_id, false);

	if (rc) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	rc = load_in(out, tx, ctx, actor_type == SAAS_ACTOR_USER ? actor_id : NULL,
	             actor_type == SAAS_ACTOR_SUPPORT ? actor_id : NULL,
	             actor_type == SAAS_ACTOR_APIKEY ? actor_id : NULL, NULL);
	saas__tx_rollback(tx);
	return rc;
}

int saas__role_load(struct saas__actor *out, saas_tx *tx, saas_ctx *ctx, const char *role)
{
	return load_in(out, tx, ctx, NULL, NULL, NULL, role);
}

/* ---- deciding ------------------------------------------------------------------- */

/* Copy at most size-1 bytes and terminate (the inputs were checked to fit). */
static void copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static bool status_allows(saas_ctx *ctx, int status, const struct saas__perm *p, const char *perm,
                          int *reason)
{
	if (status < 0) {
		*reason = SAAS_REASON_TENANT_NOT_FOUND;
		return false;
	}
	if (status == SAAS_TENANT_SUSPENDED &&
	    (p->all || strcmp(p->act, "*") == 0 || !saas__rbac_read_action(ctx->rbac, p->act))) {
		*reason = SAAS_REASON_TENANT_SUSPENDED;
		return false;
	}
	if (status == SAAS_TENANT_PENDING_DELETION) {
		for (size_t i = 0; i < sizeof deleted_allows / sizeof *deleted_allows; i++)
			if (strcmp(perm, deleted_allows[i]) == 0)
				return true;
		*reason = SAAS_REASON_TENANT_DELETED;
		return false;
	}
	return true;
}

static bool decide_user(saas_decision *d, const struct saas__actor *a, const struct saas__perm *p,
                        const char *perm)
{
	if (a->nroles == 0) {
		d->reason = SAAS_REASON_NOT_MEMBER;
		return false;
	}
	for (size_t i = 0; i < a->nroles; i++) {
		const char *hit = a->roles[i] ? saas__role_match(a->roles[i], p, perm) : NULL;
		if (hit) {
			d->reason = SAAS_REASON_ROLE;
			copy(d->role, sizeof d->role, a->roles[i]->name);
			copy(d->pattern, sizeof d->pattern, hit);
			return true;
		}
	}
	d->reason = SAAS_REASON_NO_ROLE_GRANTS;
	return false;
}

static bool decide_support(saas_decision *d, const struct saas__actor *a,
                           const struct saas__perm *p, const char *perm, int64_t now)
{
	const struct saas__agrant *first_active = NULL, *newest = NULL;

	if (a->ngrants == 0) {
		d->reason = SAAS_REASON_SUPPORT_GRANT_MISSING;
		return false;
	}
	for (size_t i = 0; i < a->ngrants; i++) {
		const struct saas__agrant *g = &a->grants[i];
		const char *hit;
		if (!newest || g->expires_at > newest->expires_at)
			newest = g;
		if (g->expires_at <= now)
			continue;
		if (!first_active)
			first_active = g;
		if (g->role && (hit = saas__role_match(g->role, p, perm))) {
			d->reason = SAAS_REASON_SUPPORT_GRANT;
			copy(d->role, sizeof d->role, g->role_name);
			copy(d->pattern, sizeof d->pattern, hit);
			copy(d->grant_id, sizeof d->grant_id, g->id);
			d->grant_expires_at = g->expires_at;
			return true;
		}
	}
	if (!first_active) {
		d->reason = SAAS_REASON_SUPPORT_GRANT_EXPIRED;
		first_active = newest;
	} else {
		d->reason = SAAS_REASON_SUPPORT_GRANT_LACKS;
	}
	copy(d->role, sizeof d->role, first_active->role_name);
	copy(d->grant_id, sizeof d->grant_id, first_active->id);
	d->grant_expires_at = first_active->expires_at;
	return false;
}

/* An API key: what both its patterns and its creator's current roles allow. */
static bool decide_key(saas_decision *d, const struct saas__actor *a, const struct saas__perm *p,
                       const char *perm, int64_t now)
{
	const char *hit;

	if (!a->key_found) {
		d->reason = SAAS_REASON_APIKEY_UNKNOWN;
		return false;
	}
	if (a->key_revoked) {
		d->reason = SAAS_REASON_APIKEY_REVOKED;
		return false;
	}
	if (a->key_expires_at && a->key_expires_at <= now) {
		d->reason = SAAS_REASON_APIKEY_EXPIRED;
		return false;
	}
	if (!(hit = saas__role_match(a->key_role, p, perm))) {
		d->reason = SAAS_REASON_APIKEY_LACKS;
		return false;
	}
	if (!decide_user(d, a, p, perm)) {
		d->reason = SAAS_REASON_APIKEY_CREATOR_LACKS;
		return false;
	}
	/* the role and pattern that allowed are the creator's */
	d->reason = SAAS_REASON_APIKEY;
	return true;
}

bool saas__actor_decide(saas_decision *d, saas_ctx *ctx, const struct saas__actor *a,
                        const saas_scope *scope, const struct saas__perm *p, const char *perm,
                        int64_t now)
{
	d->set = true;
	d->allowed = false;
	d->reason = 0;
	d->actor_type = scope->actor_type;
	d->tenant_status = a->status;
	copy(d->tenant_id, sizeof d->tenant_id, scope->tenant_id);
	copy(d->actor_id, sizeof d->actor_id, scope->actor_id);
	copy(d->permission, sizeof d->permission, perm);
	d->role[0] = d->pattern[0] = d->grant_id[0] = '\0';
	d->grant_expires_at = 0;
	d->feature[0] = '\0';
	memcpy(d->roles, a->roles_text ? a->roles_text : "", a->roles_len);
	d->roles[a->roles_len] = '\0';
	if (!status_allows(ctx, a->status, p, perm, &d->reason))
		return false;
	switch (scope->actor_type) {
	case SAAS_ACTOR_SYSTEM:
		d->reason = SAAS_REASON_SYSTEM;
		d->allowed = true;
		break;
	case SAAS_ACTOR_USER:
		d->allowed = decide_user(d, a, p, perm);
		break;
	case SAAS_ACTOR_SUPPORT:
		d->allowed = decide_support(d, a, p, perm, now);
		break;
	default: /* SAAS_ACTOR_APIKEY */
		d->allowed = decide_key(d, a, p, perm, now);
		break;
	}
	return d->allowed;
}

/* ---- saas_authorize -------------------------------------------------------------- */

/* Record a denial in the tenant's stream, in a transaction of its own. A
 * failure is logged: the decision stands. */
static void audit_denial(saas_ctx *ctx, const saas_scope *scope, const saas_decision *d)
{
	int64_t repeats = 0;
	saas_tx *tx = NULL;
	json_t *meta;
	int rc;

	if (!saas__authz_denial_due(&repeats, ctx, scope, d->permission, saas__now(ctx)))
		return;
	meta = json_pack("{s:s,s:o,s:o,s:I}", "reason", saas_reason_name(d->reason), "role",
	                 saas__json_str_or_null(d->role[0] ? d->role : NULL), "grant_id",
	                 saas__json_str_or_null(d->grant_id[0] ? d->grant_id : NULL), "repeats",
	                 (json_int_t)repeats);
	rc = meta ? saas__tx_begin(&tx, ctx, d->tenant_id, true) : saas__enomem();
	if (!rc) {
		rc = saas__audit_append(tx, scope, "authz.denied", "permission", d->permission, meta);
		meta = NULL;
		rc = saas__tx_finish(tx, rc);
	}
	json_decref(meta);
	if (rc)
		saas__log(ctx, SAAS_LOG_ERROR, "authorization: could not audit a denial",
		          json_pack("{s:s,s:s,s:s}", "tenant_id", d->tenant_id, "permission",
		                    d->permission, "error", saas_error_message(saas_error_last())));
}

/* quiet: neither audit a denial nor set it as the thread's error. */
static int authorize(saas_decision *out, saas_ctx *ctx, const saas_scope *scope,
                     const char *permission, bool quiet, bool audit)
{
	saas_decision local;
	saas_decision *d = out ? out : &local;
	struct saas__perm p;
	bool allowed = false;
	int rc;

	if (out)
		out->set = false;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)) || (rc = saas__perm_parse(&p, permission, "permission")))
		return rc;
	rc = saas__authz_decide(&allowed, d, ctx, scope, &p, permission);
	if (!rc && allowed && scope->actor_type != SAAS_ACTOR_SYSTEM &&
	    d->tenant_status != SAAS_TENANT_PENDING_DELETION) {
		/* the roles allow it; does the plan? (a tenant pending deletion
		 * keeps restore and export whatever its plan) */
		const char *feature = NULL;
		rc = saas__billing_permission_feature(&feature, ctx, scope, permission);
		if (!rc && feature) {
			allowed = d->allowed = false;
			d->reason = SAAS_REASON_PLAN_LACKS_FEATURE;
			copy(d->feature, sizeof d->feature, feature);
		}
	}
	if (rc)
		return rc;
	if (allowed)
		return SAAS_OK;
	if (quiet)
		return SAAS_EDENIED;
	if (audit && d->tenant_status >= 0 && saas__rbac_audit_denial(ctx->rbac, &p))
		audit_denial(ctx, scope, d);
	{
		char text[512];
		saas__decision_text(text, sizeof text, d);
		return saas__err_text(SAAS_EDENIED, NULL, text);
	}
}

int saas_authorize(saas_decision *out, saas_ctx *ctx, const saas_scope *scope,
                   const char *permission)
{
	return authorize(out, ctx, scope, permission, false, true);
}

int saas_authorize_ex(saas_decision *out, saas_ctx *ctx, const saas_scope *scope,
                      const char *permission, unsigned flags)
{
	if (out)
		out->set = false;
	if (flags & ~SAAS_AUTHZ_NO_AUDIT)
		return saas__err(SAAS_EINVAL, "flags", "flags 0x%x has unknown bits", flags);
	return authorize(out, ctx, scope, permission, false, !(flags & SAAS_AUTHZ_NO_AUDIT));
}

int saas__authorize_quiet(saas_decision *d, saas_ctx *ctx, const saas_scope *scope,
                          const char *permission)
{
	return authorize(d, ctx, scope, permission, true, false);
}
