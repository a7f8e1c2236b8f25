/*
 * Import and export of the access policy of tenants (docs/rbac.md, "Import
 * and export"): tenants by slug, users by email, the tenants' custom roles and
 * memberships, as one JSON document.
 *
 * Import reads the whole document and checks it (its form, then against the
 * database, inside the write transaction) before it writes anything; then
 * every write goes through the same internal functions as the single-object
 * calls (tenant, user, role and membership creation, role and membership
 * changes) in that one transaction, each with its usual audit event in its
 * tenant's stream, and `rbac.imported` per tenant changed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saas/identity.h"
#include "saas/rbac.h"
#include "saas/tenant.h"
#include "../audit/audit.h"
#include "../identity/identity_internal.h"
#include "../tenant/tenant_internal.h"
#include "rbac.h"

/* Entries per array of the document, and the document's size. */
#define MAX_ENTRIES SAAS_POLICY_MAX_ENTRIES
#define MAX_TEXT (64u * 1024 * 1024)
/* Members and tenants read per store call while exporting. */
#define PAGE 1000

enum op { OP_CREATE, OP_UPDATE, OP_SAME };

struct counts {
	int64_t created, updated, unchanged;
};

static void count(struct counts *c, enum op op)
{
	if (op == OP_CREATE)
		c->created++;
	else if (op == OP_UPDATE)
		c->updated++;
	else
		c->unchanged++;
}

/* A tenant the document names (in tenants[] or only in references). */
struct ten {
	const char *slug;        /* borrowed from the document */
	const char *name;        /* from tenants[], or NULL */
	char ref[64];            /* where it is first named: "tenants[0].slug", "roles[2].tenant" */
	struct saas_tenant *row; /* the database's, or the one to create */
	bool create;
	struct saas__troles defs; /* its custom roles as they will be */
	int64_t owners;          /* members with "owner" now */
	int64_t owners_gained, owners_lost;
	size_t first_loss;       /* position of the first membership losing "owner" */
	struct counts roles, members;
};

/* A user the document names. */
struct usr {
	char *email;             /* normalised */
	char ref[64];            /* "users[0].email", "memberships[3].user" */
	bool listed;             /* in users[] */
	struct saas_user *row;   /* the database's, or the one to create */
	bool create;
};

struct role {
	size_t t;                /* index in tenants */
	const char *name;
	json_t *doc;             /* the entry (borrowed) */
	json_t *perms, *inh;     /* sorted sets */
	enum op op;
	struct saas__trole_def old; /* OP_UPDATE: the previous sets (references) */
};

struct mem {
	size_t pos;              /* index in memberships[] */
	size_t t, u;             /* indices in tenants and users */
	json_t *doc;
	char **roles;            /* normalised */
	size_t nroles;
	enum op op;
	struct saas_member *old; /* the membership now, or NULL */
};

struct import {
	saas_ctx *ctx;
	const saas_scope *scope;
	json_t *doc;
	struct ten *ten;
	size_t nten;
	json_t *ten_by_slug;     /* slug -> index */
	struct usr *usr;
	size_t nusr;
	json_t *usr_by_email;    /* email -> index */
	struct role *roles;
	size_t nroles;
	json_t *role_keys;       /* "slug/name" -> index (duplicates) */
	struct mem *mems;
	size_t nmems;
	json_t *mem_keys;        /* "slug/email" -> index */
	struct counts tenants, users;
	saas_tx *tx;
};

/* An error of the document: "policy: <where>: <what>". */
static int bad(int code, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(int code, const char *where, const char *fmt, ...)
{
	char what[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return saas__err(code, "policy", "policy: %s: %s", where, what);
}

/* "kind[i].field", or "kind[i].field[k]" when k >= 0, into buf. */
static const char *at(char *buf, size_t size, const char *kind, size_t i, const char *field,
                      long k)
{
	if (k >= 0)
		snprintf(buf, size, "%s[%zu].%s[%ld]", kind, i, field, k);
	else if (field)
		snprintf(buf, size, "%s[%zu].%s", kind, i, field);
	else
		snprintf(buf, size, "%s[%zu]", kind, i);
	return buf;
}

/* ---- reading the document ----------------------------------------------------- */

/* The entry's keys are among `allowed` (NULL-terminated); it is an object. */
static int check_keys(json_t *e, const char *kind, size_t i, const char *const *allowed)
{
	char w[64];
	const char *key;
	json_t *v;

	if (!json_is_object(e))
		return bad(SAAS_EINVAL, at(w, sizeof w, kind, i, NULL, -1), "must be a JSON object");
	json_object_foreach(e, key, v) {
		size_t k = 0;
		while (allowed[k] && strcmp(allowed[k], key) != 0)
			k++;
		if (!allowed[k]) {
			char list[128] = "";
			for (k = 0; allowed[k]; k++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				         k ? ", " : "", allowed[k]);
			return bad(SAAS_EINVAL, at(w, sizeof w, kind, i, NULL, -1),
			           "unknown key '%s' (an entry has %s)", saas__q(key), list);
		}
	}
	return SAAS_OK;
}

/* The string member `field` of entry `e` (required). */
static int get_str(const char **out, json_t *e, const char *kind, size_t i, const char *field)
{
	char w[64];
	json_t *v = json_object_get(e, field);

	*out = json_string_value(v);
	if (!v)
		return bad(SAAS_EINVAL, at(w, sizeof w, kind, i, NULL, -1), "'%s' is required",
		           field);
	if (!*out)
		return bad(SAAS_EINVAL, at(w, sizeof w, kind, i, field, -1), "must be a string");
	return SAAS_OK;
}

/* The array member `field` of `e` (absent: NULL when optional), at most `max`
 * entries, each a string. */
static int get_strings(json_t **out, json_t *e, const char *kind, size_t i, const char *field,
                       size_t max, bool required)
{
	char w[64];
	json_t *v = json_object_get(e, field), *s;
	size_t k;

	*out = v;
	if (!v) {
		if (required)
			return bad(SAAS_EINVAL, at(w, sizeof w, kind, i, NULL, -1), "'%s' is required",
			           field);
		return SAAS_OK;
	}
	if (!json_is_array(v))
		return bad(SAAS_EINVAL, at(w, sizeof w, kind, i, field, -1),
		           "must be an array of strings");
	if (json_array_size(v) > max)
		return bad(SAAS_EINVAL, at(w, sizeof w, kind, i, field, -1),
		           "%zu entries: at most %zu are allowed", json_array_size(v), max);
	json_array_foreach(v, k, s)
		if (!json_is_string(s))
			return bad(SAAS_EINVAL, at(w, sizeof w, kind, i, field, (long)k),
			           "must be a string");
	return SAAS_OK;
}

/* A slug's form, reported at `where`. */
static int check_slug_at(const char *where, const char *slug)
{
	if (saas__check_slug(slug) == SAAS_OK)
		return SAAS_OK;
	return bad(SAAS_EINVAL, where, "'%s' is not a tenant slug (1 to 63 of a-z, 0-9 and '-')",
	           saas__q(slug));
}

static int check_role_at(const char *where, const char *role)
{
	if (saas__match(SAAS__PAT_ROLE, role))
		return SAAS_OK;
	return bad(SAAS_EINVAL, where, "'%s' is not a role name ([a-z][a-z0-9_-]{0,63})",
	           saas__q(role));
}

/* Normalise an email, reported at `where`. */
static int email_at(char **out, const char *where, const char *email)
{
	int rc = saas_email_normalize(out, email);

	if (rc == SAAS_EINVAL)
		return bad(SAAS_EINVAL, where, "'%s' is not an email address", saas__q(email));
	return rc;
}

/* A map's value as an index (the map holds only integers). */
static bool map_get(size_t *out, json_t *map, const char *key)
{
	json_t *v = json_object_get(map, key);

	if (!v)
		return false;
	*out = (size_t)json_integer_value(v);
	return true;
}

static int map_set(json_t *map, const char *key, size_t i)
{
	return json_object_set_new(map, key, json_integer((json_int_t)i)) ? saas__enomem()
	                                                                    : SAAS_OK;
}

/* The tenant named `slug` at `ref`: found, or added (a reference only). */
static int ten_ref(size_t *out, struct import *im, const char *slug, const char *ref)
{
	struct ten *t;

	if (map_get(out, im->ten_by_slug, slug))
		return SAAS_OK;
	t = &im->ten[im->nten];
	memset(t, 0, sizeof *t);
	t->slug = slug;
	snprintf(t->ref, sizeof t->ref, "%s", ref);
	*out = im->nten++;
	return map_set(im->ten_by_slug, slug, *out);
}

/* The user with the normalised `email` (taken) at `ref`: found, or added. */
static int usr_ref(size_t *out, struct import *im, char *email, const char *ref)
{
	struct usr *u;

	if (map_get(out, im->usr_by_email, email)) {
		free(email);
		return SAAS_OK;
	}
	u = &im->usr[im->nusr];
	memset(u, 0, sizeof *u);
	u->email = email;
	snprintf(u->ref, sizeof u->ref, "%s", ref);
	*out = im->nusr++;
	return map_set(im->usr_by_email, email, *out);
}

/* The top level: an object of the four arrays, each at most MAX_ENTRIES. */
static int read_top(struct import *im, json_t **tenants, json_t **users, json_t **roles,
                    json_t **mems)
{
	static const char *const kinds[] = {"tenants", "users", "roles", "memberships"};
	json_t **slots[] = {tenants, users, roles, mems};
	const char *key;
	json_t *v;

	if (!json_is_object(im->doc))
		return saas__err(SAAS_EINVAL, "policy",
		                 "policy: must be a JSON object with \"tenants\", \"users\", "
		                 "\"roles\" and \"memberships\"");
	json_object_foreach(im->doc, key, v) {
		size_t k = 0;
		while (k < 4 && strcmp(kinds[k], key) != 0)
			k++;
		if (k == 4)
			return saas__err(SAAS_EINVAL, "policy",
			                 "policy: unknown key '%s' (the document has \"tenants\", "
			                 "\"users\", \"roles\" and \"memberships\")",
			                 saas__q(key));
		if (!json_is_array(v))
			return bad(SAAS_EINVAL, key, "must be an array");
		if (json_array_size(v) > MAX_ENTRIES)
			return bad(SAAS_EINVAL, key,
			           "%zu entries: at most %d are allowed (import the rest in another "
			           "document)",
			           json_array_size(v), MAX_ENTRIES);
		*slots[k] = v;
	}
	return SAAS_OK;
}

static int read_tenants(struct import *im, json_t *arr)
{
	static const char *const keys[] = {"slug", "name", NULL};
	char w[64];
	json_t *e;
	size_t i, k;
	int rc;

	json_array_foreach(arr, i, e) {
		const char *slug, *name;
		if ((rc = check_keys(e, "tenants", i, keys)) ||
		    (rc = get_str(&slug, e, "tenants", i, "slug")) ||
		    (rc = check_slug_at(at(w, sizeof w, "tenants", i, "slug", -1), slug)) ||
		    (rc = get_str(&name, e, "tenants", i, "name")))
			return rc;
		if (saas__check_text("name", name, 200, false) != SAAS_OK)
			return bad(SAAS_EINVAL, at(w, sizeof w, "tenants", i, "name", -1),
			           "'%s' is not a tenant name (1 to 200 bytes of text without control "
			           "characters)",
			           saas__q(name));
		if (map_get(&k, im->ten_by_slug, slug))
			return bad(SAAS_EINVAL, at(w, sizeof w, "tenants", i, "slug", -1),
			           "tenant '%s' is listed twice (also %s)", slug, im->ten[k].ref);
		if ((rc = ten_ref(&k, im, slug, w)))
			return rc;
		im->ten[k].name = name;
	}
	return SAAS_OK;
}

static int read_users(struct import *im, json_t *arr)
{
	static const char *const keys[] = {"email", NULL};
	char w[64];
	json_t *e;
	size_t i, k;
	int rc;

	json_array_foreach(arr, i, e) {
		const char *email;
		char *norm = NULL;
		if ((rc = check_keys(e, "users", i, keys)) ||
		    (rc = get_str(&email, e, "users", i, "email")) ||
		    (rc = email_at(&norm, at(w, sizeof w, "users", i, "email", -1), email)))
			return rc;
		if (map_get(&k, im->usr_by_email, norm)) {
			rc = bad(SAAS_EINVAL, w, "user '%s' is listed twice (also %s)", saas__q(norm),
			         im->usr[k].ref);
			free(norm);
			return rc;
		}
		if ((rc = usr_ref(&k, im, norm, w)))
			return rc;
		im->usr[k].listed = true;
	}
	return SAAS_OK;
}

/* A JSON array of strings as a C array (borrowed strings; free the array). */
static const char **strings_of(json_t *arr, size_t *n)
{
	const char **v = calloc(json_array_size(arr) + 1, sizeof *v);
	json_t *s;
	size_t k;

	*n = 0;
	if (!v)
		return NULL;
	json_array_foreach(arr, k, s)
		v[(*n)++] = json_string_value(s);
	return v;
}

static int read_roles(struct import *im, json_t *arr)
{
	static const char *const keys[] = {"tenant", "name", "permissions", "inherits", NULL};
	char w[64], key[200];
	json_t *e, *perms, *inh, *s;
	size_t i, k;
	int rc;

	json_array_foreach(arr, i, e) {
		struct role *r = &im->roles[im->nroles];
		const char *slug, *name;
		const char **v;
		size_t n;

		memset(r, 0, sizeof *r);
		if ((rc = check_keys(e, "roles", i, keys)) ||
		    (rc = get_str(&slug, e, "roles", i, "tenant")) ||
		    (rc = check_slug_at(at(w, sizeof w, "roles", i, "tenant", -1), slug)) ||
		    (rc = ten_ref(&r->t, im, slug, w)) ||
		    (rc = get_str(&name, e, "roles", i, "name")) ||
		    (rc = check_role_at(at(w, sizeof w, "roles", i, "name", -1), name)))
			return rc;
		if (saas__rbac_role(im->ctx->rbac, name))
			return bad(SAAS_EINVAL, w,
			           "'%s' is a role of the deployment (built-in or from rbac_policy): a "
			           "custom role needs another name",
			           name);
		if ((rc = get_strings(&perms, e, "roles", i, "permissions",
		                      SAAS__ROLE_MAX_PERMISSIONS, false)) ||
		    (rc = get_strings(&inh, e, "roles", i, "inherits", SAAS__ROLE_MAX_INHERITS,
		                      false)))
			return rc;
		json_array_foreach(perms, k, s) {
			struct saas__perm p;
			if (saas__perm_parse(&p, json_string_value(s), "permission") != SAAS_OK)
				return bad(SAAS_EINVAL, at(w, sizeof w, "roles", i, "permissions", (long)k),
				           "'%s' is not a permission (resource:action, each side 1 to 64 "
				           "of a-z, 0-9, '_', '-', or '*'; or '*' alone)",
				           saas__q(json_string_value(s)));
		}
		json_array_foreach(inh, k, s) {
			const char *in = json_string_value(s);
			at(w, sizeof w, "roles", i, "inherits", (long)k);
			if ((rc = check_role_at(w, in)))
				return rc;
			if (strcmp(in, name) == 0)
				return bad(SAAS_EINVAL, w, "role '%s' cannot inherit itself", name);
		}
		snprintf(key, sizeof key, "%s/%s", slug, name);
		if (map_get(&k, im->role_keys, key))
			return bad(SAAS_EINVAL, at(w, sizeof w, "roles", i, "name", -1),
			           "tenant '%s' has the role '%s' twice (also roles[%zu])", slug, name, k);
		if ((rc = map_set(im->role_keys, key, i)))
			return rc;
		r->name = name;
		r->doc = e;
		v = strings_of(perms, &n);
		r->perms = v ? saas__sorted_set(v, n) : NULL;
		free(v);
		v = strings_of(inh, &n);
		r->inh = v ? saas__sorted_set(v, n) : NULL;
		free(v);
		im->nroles++;
		if (!r->perms || !r->inh)
			return saas__enomem();
	}
	return SAAS_OK;
}

static int read_memberships(struct import *im, json_t *arr)
{
	static const char *const keys[] = {"tenant", "user", "roles", NULL};
	char w[64], key[400];
	json_t *e, *roles, *s;
	size_t i, k;
	int rc;

	json_array_foreach(arr, i, e) {
		struct mem *m = &im->mems[im->nmems];
		const char *slug, *email;
		const char **v;
		char *norm = NULL;
		size_t n;

		memset(m, 0, sizeof *m);
		m->pos = i;
		m->doc = e;
		im->nmems++;
		if ((rc = check_keys(e, "memberships", i, keys)) ||
		    (rc = get_str(&slug, e, "memberships", i, "tenant")) ||
		    (rc = check_slug_at(at(w, sizeof w, "memberships", i, "tenant", -1), slug)) ||
		    (rc = ten_ref(&m->t, im, slug, w)) ||
		    (rc = get_str(&email, e, "memberships", i, "user")) ||
		    (rc = email_at(&norm, at(w, sizeof w, "memberships", i, "user", -1), email)))
			return rc;
		snprintf(key, sizeof key, "%s/%s", slug, norm);
		if (map_get(&k, im->mem_keys, key)) {
			rc = bad(SAAS_EINVAL, w, "user '%s' is given twice for tenant '%s' (also "
			                         "memberships[%zu])",
			         saas__q(norm), slug, k);
			free(norm);
			return rc;
		}
		if ((rc = map_set(im->mem_keys, key, i)) || (rc = usr_ref(&m->u, im, norm, w)) ||
		    (rc = get_strings(&roles, e, "memberships", i, "roles", 16, true)))
			return rc;
		if (json_array_size(roles) == 0)
			return bad(SAAS_EINVAL, at(w, sizeof w, "memberships", i, "roles", -1),
			           "a membership has at least one role");
		json_array_foreach(roles, k, s)
			if ((rc = check_role_at(at(w, sizeof w, "memberships", i, "roles", (long)k),
			                        json_string_value(s))))
				return rc;
		v = strings_of(roles, &n);
		rc = v ? saas__roles_normalize(&m->roles, &m->nroles, v, n) : saas__enomem();
		free(v);
		if (rc)
			return rc;
	}
	return SAAS_OK;
}

/* Parse and check the document's form: nothing read from the database yet. */
static int read_document(struct import *im, const char *json)
{
	json_t *tenants = NULL, *users = NULL, *roles = NULL, *mems = NULL;
	json_error_t err;
	size_t nt, nu;
	int rc;

	im->doc = json_loads(json, JSON_REJECT_DUPLICATES, &err);
	if (!im->doc)
		return saas__err(SAAS_EINVAL, "policy",
		                 "policy: not valid JSON: %s (line %d, column %d)", saas__q(err.text),
		                 err.line, err.column);
	if ((rc = read_top(im, &tenants, &users, &roles, &mems)))
		return rc;
	/* Every tenant and user named anywhere gets an entry. */
	nt = json_array_size(tenants) + json_array_size(roles) + json_array_size(mems);
	nu = json_array_size(users) + json_array_size(mems);
	im->ten = calloc(nt + 1, sizeof *im->ten);
	im->usr = calloc(nu + 1, sizeof *im->usr);
	im->roles = calloc(json_array_size(roles) + 1, sizeof *im->roles);
	im->mems = calloc(json_array_size(mems) + 1, sizeof *im->mems);
	im->ten_by_slug = json_object();
	im->usr_by_email = json_object();
	im->role_keys = json_object();
	im->mem_keys = json_object();
	if (!im->ten || !im->usr || !im->roles || !im->mems || !im->ten_by_slug ||
	    !im->usr_by_email || !im->role_keys || !im->mem_keys)
		return saas__enomem();
	if ((rc = read_tenants(im, tenants)) || (rc = read_users(im, users)) ||
	    (rc = read_roles(im, roles)) || (rc = read_memberships(im, mems)))
		return rc;
	return SAAS_OK;
}

/* ---- checking against the database ------------------------------------------------ */

static int cmp_ten_id(const void *a, const void *b)
{
	const struct ten *x = *(struct ten *const *)a, *y = *(struct ten *const *)b;

	return strcmp(x->row->id, y->row->id);
}

/* Find each tenant; refuse one missing (unless tenants[] creates it) or
 * outside the scope; lock the existing ones, in id order, and check their
 * status. */
static int resolve_tenants(struct import *im)
{
	struct saas_tenant *scope_t = NULL;
	struct ten **order = NULL;
	size_t n = 0;
	int rc = SAAS_OK;

	if (im->scope->tenant_id) {
		rc = saas__st_tenant_get(&scope_t, im->tx, im->scope->tenant_id);
		if (rc == SAAS_ENOTFOUND)
			rc = saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'",
			               im->scope->tenant_id);
		else if (!rc && scope_t->status == SAAS_TENANT_PENDING_DELETION)
			rc = saas__err(SAAS_EDELETED, "tenant_id",
			               "tenant '%s' is scheduled for deletion: restore it first",
			               scope_t->id);
		if (rc) {
			saas__tenant_row_free(scope_t);
			return rc;
		}
	}
	for (size_t i = 0; !rc && i < im->nten; i++) {
		struct ten *t = &im->ten[i];

		if (scope_t && strcmp(t->slug, scope_t->slug) != 0) {
			rc = bad(SAAS_EINVAL, t->ref,
			         "tenant '%s' is not the scope's tenant ('%s'): import other tenants "
			         "with a deployment-wide scope",
			         t->slug, scope_t->slug);
			break;
		}
		rc = saas__st_tenant_get_slug(&t->row, im->tx, t->slug);
		if (rc == SAAS_ENOTFOUND && !t->name)
			rc = bad(SAAS_EINVAL, t->ref, "no tenant '%s' in the document or the database",
			         t->slug);
		else if (rc == SAAS_ENOTFOUND) {
			t->create = true;
			rc = saas__tenant_new_row(&t->row, im->ctx, t->slug, t->name);
		}
	}
	saas__tenant_row_free(scope_t);
	if (rc)
		return rc;
	order = calloc(im->nten + 1, sizeof *order);
	if (!order)
		return saas__enomem();
	for (size_t i = 0; i < im->nten; i++)
		if (!im->ten[i].create)
			order[n++] = &im->ten[i];
	qsort(order, n, sizeof *order, cmp_ten_id);
	/* Lock in id order (two imports never wait on each other in a circle),
	 * reading the status each write will be checked against. */
	for (size_t i = 0; !rc && i < n; i++) {
		struct ten *t = order[i];
		struct saas_tenant *locked = NULL;

		rc = saas__st_tenant_get_for_update(&locked, im->tx, t->row->id);
		if (rc == SAAS_ENOTFOUND)
			rc = bad(SAAS_ECONFLICT, t->ref, "tenant '%s' was purged during the import",
			         t->slug);
		if (rc)
			break;
		saas__tenant_row_free(t->row);
		t->row = locked;
	}
	free(order);
	for (size_t i = 0; !rc && i < im->nten; i++)
		if (!im->ten[i].create && im->ten[i].row->status == SAAS_TENANT_PENDING_DELETION)
			rc = bad(SAAS_EDELETED, im->ten[i].ref,
			         "tenant '%s' is scheduled for deletion: restore it first",
			         im->ten[i].slug);
	return rc;
}

static int resolve_users(struct import *im)
{
	for (size_t i = 0; i < im->nusr; i++) {
		struct usr *u = &im->usr[i];
		int rc = saas__st_user_get_email(&u->row, im->tx, u->email);

		if (rc == SAAS_ENOTFOUND && !u->listed)
			return bad(SAAS_EINVAL, u->ref, "no user '%s' in the document or the database",
			           saas__q(u->email));
		if (rc == SAAS_ENOTFOUND) {
			u->create = true;
			rc = saas__user_new_row(&u->row, im->ctx, u->email, NULL);
		}
		if (rc)
			return rc;
	}
	return SAAS_OK;
}

/* Switch the transaction to tenant `t` (existing, or just created). */
static int use_tenant(struct import *im, const struct ten *t)
{
	const char *cur = saas__tx_tenant(im->tx);

	if (cur && strcmp(cur, t->row->id) == 0)
		return SAAS_OK;
	return saas__tx_set_tenant(im->tx, t->row->id);
}

/* Entries (roles or memberships) of one tenant after another: each entry's
 * tenant index and its position, sorted. */
struct pair {
	size_t t, i;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The roles' (which 'r') or memberships' pairs, sorted (malloc'd). */
static struct pair *by_tenant(const struct import *im, char which)
{
	size_t n = which == 'r' ? im->nroles : im->nmems;
	struct pair *p = calloc(n + 1, sizeof *p);

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pair){which == 'r' ? im->roles[i].t : im->mems[i].t, i};
	qsort(p, n, sizeof *p, cmp_pair);
	return p;
}

/* Whether `role` exists for tenant `t` once the document is imported. */
static bool role_known(const struct import *im, const struct ten *t, const char *role)
{
	return saas__rbac_role(im->ctx->rbac, role) || saas__troles_find(&t->defs, role);
}

/* A cycle in tenant `t`'s roles as they would be: *pos gets the smallest
 * position of a document role on it (a cycle always goes through one: the
 * database's roles had none), msg the cycle. False when there is none. */
static int find_cycle(bool *found, size_t *pos, char *msg, size_t size, const struct import *im,
                      const struct ten *t)
{
	size_t *cyc = NULL, n = 0, best = 0, k;
	char key[200];
	int rc;

	*found = false;
	if ((rc = saas__troles_find_cycle(&cyc, &n, &t->defs)) || !cyc)
		return rc;
	*pos = (size_t)-1;
	for (k = 0; k < n; k++) {
		size_t p;
		snprintf(key, sizeof key, "%s/%s", t->slug, t->defs.v[cyc[k]].name);
		if (map_get(&p, im->role_keys, key) && p < *pos) {
			*pos = p;
			best = k;
		}
	}
	*found = *pos != (size_t)-1;
	snprintf(msg, size, "role '%s' would inherit itself through '%s' (a cycle: %s",
	         t->defs.v[cyc[best]].name, t->defs.v[cyc[(best + 1) % n]].name,
	         t->defs.v[cyc[best]].name);
	for (k = 1; k <= n && strlen(msg) + 80 < size; k++)
		snprintf(msg + strlen(msg), size - strlen(msg), " -> %s",
		         t->defs.v[cyc[(best + k) % n]].name);
	snprintf(msg + strlen(msg), size - strlen(msg), "%s)", k <= n ? " ..." : "");
	free(cyc);
	return SAAS_OK;
}

/* Load each existing tenant's custom roles and owners; classify the
 * document's roles, lay them over the tenants' sets and check what they
 * inherit. */
static int check_roles(struct import *im)
{
	char w[64], msg[400];
	size_t best = (size_t)-1;
	int rc = SAAS_OK;

	for (size_t i = 0; !rc && i < im->nten; i++) {
		struct ten *t = &im->ten[i];
		if (t->create)
			continue;
		if (!(rc = use_tenant(im, t)) && !(rc = saas__troles_load(&t->defs, im->tx)))
			rc = saas__st_member_count_role(&t->owners, im->tx, SAAS_ROLE_OWNER);
	}
	for (size_t i = 0; !rc && i < im->nroles; i++) {
		struct role *r = &im->roles[i];
		const struct saas__trole_def *old = saas__troles_find(&im->ten[r->t].defs, r->name);

		if (!old) {
			r->op = OP_CREATE;
		} else if (json_equal(old->permissions, r->perms) && json_equal(old->inherits, r->inh)) {
			r->op = OP_SAME;
		} else {
			r->op = OP_UPDATE;
			r->old.name = old->name; /* only for the record: not freed */
			r->old.permissions = json_incref(old->permissions);
			r->old.inherits = json_incref(old->inherits);
		}
	}
	/* The old definitions are referenced: now lay the new ones over them. */
	for (size_t i = 0; !rc && i < im->nroles; i++)
		rc = saas__troles_put(&im->ten[im->roles[i].t].defs, im->roles[i].name,
		                      im->roles[i].perms, im->roles[i].inh);
	for (size_t i = 0; i < im->nten; i++)
		saas__troles_sort(&im->ten[i].defs);
	for (size_t i = 0; !rc && i < im->nroles; i++) {
		const struct role *r = &im->roles[i];
		const struct ten *t = &im->ten[r->t];
		json_t *s;
		size_t k;

		json_array_foreach(json_object_get(r->doc, "inherits"), k, s)
			if (!role_known(im, t, json_string_value(s)))
				return bad(SAAS_EINVAL, at(w, sizeof w, "roles", i, "inherits", (long)k),
				           "role '%s' is neither a role of the deployment nor a custom role "
				           "of tenant '%s' (in the document or the database)",
				           json_string_value(s), t->slug);
	}
	/* Cycles: report the one through the earliest entry. */
	for (size_t i = 0; !rc && i < im->nten; i++) {
		char m[400];
		size_t pos;
		bool found;

		rc = find_cycle(&found, &pos, m, sizeof m, im, &im->ten[i]);
		if (!rc && found && pos < best) {
			best = pos;
			memcpy(msg, m, sizeof msg);
		}
	}
	if (!rc && best != (size_t)-1)
		rc = bad(SAAS_EINVAL, at(w, sizeof w, "roles", best, "inherits", -1), "%s", msg);
	return rc;
}

static bool has_owner(char *const *roles, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(roles[i], SAAS_ROLE_OWNER) == 0)
			return true;
	return false;
}

static bool same_roles(const struct saas_member *m, char *const *roles, size_t n)
{
	if (m->nroles != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(m->roles[i], roles[i]) != 0)
			return false;
	return true;
}

/* Each membership's roles exist; read the memberships there are now (tenant
 * by tenant) and classify; no tenant may be left without an owner. */
static int check_memberships(struct import *im)
{
	struct pair *order;
	size_t best = (size_t)-1, bad_t = 0;
	char w[64];
	int rc = SAAS_OK;

	for (size_t i = 0; i < im->nmems; i++) {
		const struct ten *t = &im->ten[im->mems[i].t];
		json_t *s;
		size_t k;

		json_array_foreach(json_object_get(im->mems[i].doc, "roles"), k, s)
			if (!role_known(im, t, json_string_value(s)))
				return bad(SAAS_EINVAL, at(w, sizeof w, "memberships", i, "roles", (long)k),
				           "role '%s' is neither a role of the deployment nor a custom role "
				           "of tenant '%s' (in the document or the database)",
				           json_string_value(s), t->slug);
	}
	if (!(order = by_tenant(im, 'm')))
		return saas__enomem();
	for (size_t j = 0; !rc && j < im->nmems; j++) {
		struct mem *m = &im->mems[order[j].i];
		struct ten *t = &im->ten[m->t];
		const struct usr *u = &im->usr[m->u];
		bool had = false, has = has_owner(m->roles, m->nroles);

		m->op = OP_CREATE;
		if (!t->create && !u->create) {
			if (!(rc = use_tenant(im, t)))
				rc = saas__st_member_get(&m->old, im->tx, u->row->id);
			if (rc == SAAS_ENOTFOUND)
				rc = SAAS_OK;
			else if (!rc)
				m->op = same_roles(m->old, m->roles, m->nroles) ? OP_SAME : OP_UPDATE;
		}
		if (m->old)
			had = has_owner(m->old->roles, m->old->nroles);
		if (had && !has) {
			if (!t->owners_lost++ || m->pos < t->first_loss)
				t->first_loss = m->pos;
		} else if (!had && has) {
			t->owners_gained++;
		}
	}
	free(order);
	for (size_t i = 0; !rc && i < im->nten; i++) {
		const struct ten *t = &im->ten[i];
		if (t->owners_lost && t->owners - t->owners_lost + t->owners_gained <= 0 &&
		    t->first_loss < best) {
			best = t->first_loss;
			bad_t = i;
		}
	}
	if (!rc && best != (size_t)-1)
		rc = bad(SAAS_ESTATE, at(w, sizeof w, "memberships", best, "roles", -1),
		         "tenant '%s' would be left without an owner (a tenant keeps at least one "
		         "member with the role 'owner')",
		         im->ten[bad_t].slug);
	return rc;
}

static bool ten_changed(const struct ten *t)
{
	return t->create || t->roles.created || t->roles.updated || t->members.created ||
	       t->members.updated;
}

/* Count what changes; a suspended tenant takes no change. */
static int tally(struct import *im)
{
	for (size_t i = 0; i < im->nroles; i++)
		count(&im->ten[im->roles[i].t].roles, im->roles[i].op);
	for (size_t i = 0; i < im->nmems; i++)
		count(&im->ten[im->mems[i].t].members, im->mems[i].op);
	/* Users and tenants count as entries of users[] and tenants[]. */
	for (size_t i = 0; i < im->nusr; i++)
		if (im->usr[i].listed)
			count(&im->users, im->usr[i].create ? OP_CREATE : OP_SAME);
	for (size_t i = 0; i < im->nten; i++) {
		const struct ten *t = &im->ten[i];
		if (t->name)
			count(&im->tenants, t->create ? OP_CREATE : OP_SAME);
		if (!t->create && ten_changed(t) && t->row->status == SAAS_TENANT_SUSPENDED)
			return bad(SAAS_ESUSPENDED, t->ref,
			           "tenant '%s' is suspended: writes are refused (reactivate it first)",
			           t->slug);
	}
	return SAAS_OK;
}

/* ---- writing ---------------------------------------------------------------------- */

static json_t *counts_json(const struct counts *c)
{
	return json_pack("{s:I,s:I,s:I}", "created", (json_int_t)c->created, "updated",
	                 (json_int_t)c->updated, "unchanged", (json_int_t)c->unchanged);
}

/* The totals over every tenant: {"tenants","users","roles","memberships"}. */
static json_t *report_json(const struct import *im)
{
	struct counts roles = {0}, mems = {0};

	for (size_t i = 0; i < im->nten; i++) {
		const struct ten *t = &im->ten[i];
		roles.created += t->roles.created;
		roles.updated += t->roles.updated;
		roles.unchanged += t->roles.unchanged;
		mems.created += t->members.created;
		mems.updated += t->members.updated;
		mems.unchanged += t->members.unchanged;
	}
	return json_pack("{s:o,s:o,s:o,s:o}", "tenants", counts_json(&im->tenants), "users",
	                 counts_json(&im->users), "roles", counts_json(&roles), "memberships",
	                 counts_json(&mems));
}

static bool any_change(const struct import *im)
{
	if (im->users.created)
		return true;
	for (size_t i = 0; i < im->nten; i++)
		if (ten_changed(&im->ten[i]))
			return true;
	return false;
}

/* Tenant `t`'s writes: itself if new, its roles, its memberships, and its
 * rbac.imported; `r` and `m` walk the sorted pairs. */
static int write_tenant(struct import *im, struct ten *t, size_t ti, const struct pair *rp,
                        size_t *r, const struct pair *mp, size_t *m)
{
	int rc = t->create ? saas__tenant_insert_tx(im->tx, im->scope, t->row) : use_tenant(im, t);

	for (; !rc && *r < im->nroles && rp[*r].t == ti; (*r)++) {
		struct role *x = &im->roles[rp[*r].i];
		if (x->op != OP_SAME)
			rc = saas__trole_write_tx(im->tx, im->scope, x->name, x->perms, x->inh,
			                          x->op == OP_UPDATE ? &x->old : NULL);
	}
	for (; !rc && *m < im->nmems && mp[*m].t == ti; (*m)++) {
		struct mem *x = &im->mems[mp[*m].i];
		if (x->op == OP_CREATE)
			rc = saas__member_create(NULL, im->tx, im->scope, im->usr[x->u].row->id,
			                         x->roles, x->nroles, NULL);
		else if (x->op == OP_UPDATE)
			rc = saas__member_set_roles_tx(im->tx, im->scope, x->old, x->roles, x->nroles);
	}
	if (!rc)
		rc = saas__audit_append(im->tx, im->scope, "rbac.imported", "tenant", t->row->id,
		                        json_pack("{s:b,s:o,s:o}", "tenant_created", t->create,
		                                  "roles", counts_json(&t->roles), "memberships",
		                                  counts_json(&t->members)));
	return rc;
}

static int write_all(struct import *im)
{
	struct pair *rp = by_tenant(im, 'r'), *mp = by_tenant(im, 'm');
	size_t r = 0, m = 0;
	int rc = rp && mp ? SAAS_OK : saas__enomem();

	for (size_t i = 0; !rc && i < im->nusr; i++)
		if (im->usr[i].create)
			rc = saas__user_insert_tx(im->tx, im->scope, im->usr[i].row);
	for (size_t i = 0; !rc && i < im->nten; i++) {
		struct ten *t = &im->ten[i];
		if (ten_changed(t)) {
			rc = write_tenant(im, t, i, rp, &r, mp, &m);
		} else {
			/* Nothing to write: skip its entries. */
			while (r < im->nroles && rp[r].t == i)
				r++;
			while (m < im->nmems && mp[m].t == i)
				m++;
		}
	}
	/* A deployment-wide import, or one that created users, is also recorded
	 * in the deployment's stream. */
	if (!rc && (!im->scope->tenant_id || im->users.created))
		rc = saas__audit_append_system(im->tx, im->scope, "rbac.imported", NULL, NULL,
		                               report_json(im));
	free(rp);
	free(mp);
	return rc;
}

static void import_free(struct import *im)
{
	for (size_t i = 0; i < im->nten; i++) {
		saas__tenant_row_free(im->ten[i].row);
		saas__troles_free(&im->ten[i].defs);
	}
	for (size_t i = 0; i < im->nusr; i++) {
		free(im->usr[i].email);
		saas__user_row_free(im->usr[i].row);
	}
	for (size_t i = 0; i < im->nroles; i++) {
		json_decref(im->roles[i].perms);
		json_decref(im->roles[i].inh);
		json_decref(im->roles[i].old.permissions);
		json_decref(im->roles[i].old.inherits);
	}
	for (size_t i = 0; i < im->nmems; i++) {
		saas__strv_free(im->mems[i].roles);
		saas__member_row_free(im->mems[i].old);
	}
	free(im->ten);
	free(im->usr);
	free(im->roles);
	free(im->mems);
	json_decref(im->ten_by_slug);
	json_decref(im->usr_by_email);
	json_decref(im->role_keys);
	json_decref(im->mem_keys);
	json_decref(im->doc);
}

int saas_rbac_import(char **out_report, saas_ctx *ctx, const saas_scope *scope, const char *json)
{
	struct import im = {0};
	int64_t t0 = saas__mono_ns();
	size_t len;
	int rc;

	if (out_report)
		*out_report = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	im.ctx = ctx;
	im.scope = scope;
	if (!scope) {
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
		goto done;
	}
	if (!json) {
		rc = saas__err(SAAS_EINVAL, "policy", "policy: the document is NULL");
		goto done;
	}
	if ((len = strnlen(json, (size_t)MAX_TEXT + 1)) > MAX_TEXT) {
		rc = saas__err(SAAS_EINVAL, "policy",
		               "policy: the document is longer than %u bytes: import it in parts",
		               MAX_TEXT);
		goto done;
	}
	if ((rc = read_document(&im, json)))
		goto done;
	if ((rc = saas__tx_begin(&im.tx, ctx, NULL, true)))
		goto done;
	if (!(rc = resolve_tenants(&im)) && !(rc = resolve_users(&im)) &&
	    !(rc = check_roles(&im)) && !(rc = check_memberships(&im)) && !(rc = tally(&im)) &&
	    any_change(&im))
		rc = write_all(&im);
	rc = saas__tx_finish(im.tx, rc);
	im.tx = NULL;
	if (!rc && out_report && !(*out_report = saas__json_take_dump(report_json(&im))))
		rc = saas__enomem();
	if (!rc && any_change(&im))
		saas__log(ctx, SAAS_LOG_INFO, "policy imported", report_json(&im));
done:
	import_free(&im);
	saas__op_done(ctx, "rbac.import", t0, rc);
	return rc;
}

/* ---- export ------------------------------------------------------------------------ */

struct exp {
	json_t *tenants, *users, *roles, *mems;
	json_t *emails; /* user id -> email, for the users already listed */
};

static int append(json_t *arr, json_t *v)
{
	return v && !json_array_append_new(arr, v) ? SAAS_OK : saas__enomem();
}

/* The email of user `id`, listing the user the first time. */
static int email_of(const char **out, struct exp *e, saas_tx *tx, const char *id)
{
	struct saas_user *u = NULL;
	int rc;

	if ((*out = json_string_value(json_object_get(e->emails, id))))
		return SAAS_OK;
	if ((rc = saas__st_user_get(&u, tx, id)))
		return rc;
	rc = json_object_set_new(e->emails, id, json_string(u->email)) ? saas__enomem() : SAAS_OK;
	if (!rc)
		rc = append(e->users, json_pack("{s:s}", "email", u->email));
	saas__user_row_free(u);
	*out = rc ? NULL : json_string_value(json_object_get(e->emails, id));
	return rc;
}

/* Tenant `t` (the transaction's) with its custom roles and memberships. */
static int export_tenant(struct exp *e, saas_tx *tx, const struct saas_tenant *t)
{
	struct saas__troles defs = {0};
	struct saas_member **v = NULL;
	char *after = NULL;
	size_t n = 0;
	int rc;

	rc = append(e->tenants, json_pack("{s:s,s:s}", "slug", t->slug, "name", t->name));
	if (!rc)
		rc = saas__troles_load(&defs, tx);
	for (size_t i = 0; !rc && i < defs.n; i++)
		rc = append(e->roles, json_pack("{s:s,s:s,s:O,s:O}", "tenant", t->slug, "name",
		                                defs.v[i].name, "permissions", defs.v[i].permissions,
		                                "inherits", defs.v[i].inherits));
	saas__troles_free(&defs);
	do {
		if (!rc)
			rc = saas__st_member_list(&v, &n, tx, after, PAGE);
		for (size_t i = 0; !rc && i < n; i++) {
			const char *email;
			if (!(rc = email_of(&email, e, tx, v[i]->user_id)))
				rc = append(e->mems, json_pack("{s:s,s:s,s:o}", "tenant", t->slug, "user",
				                               email, "roles",
				                               saas__roles_json(v[i]->roles, v[i]->nroles)));
		}
		free(after);
		after = !rc && n ? saas__strdup(v[n - 1]->id) : NULL;
		if (!rc && n && !after)
			rc = saas__enomem();
		for (size_t i = 0; i < n; i++)
			saas__member_row_free(v[i]);
		free(v);
		v = NULL;
	} while (!rc && n == PAGE);
	free(after);
	return rc;
}

/* Sort an array of objects by the string members k1, then k2 (NULL: none). */
struct sort_keys {
	json_t *o;
	const char *a, *b;
};

static int cmp_keys(const void *x, const void *y)
{
	const struct sort_keys *p = x, *q = y;
	int c = strcmp(p->a, q->a);

	return c ? c : (p->b && q->b ? strcmp(p->b, q->b) : 0);
}

static int sort_array(json_t *arr, const char *k1, const char *k2)
{
	size_t n = json_array_size(arr);
	struct sort_keys *v = calloc(n + 1, sizeof *v);
	int rc = SAAS_OK;

	if (!v)
		return saas__enomem();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		v[i] = (struct sort_keys){json_incref(o), json_string_value(json_object_get(o, k1)),
		                          k2 ? json_string_value(json_object_get(o, k2)) : NULL};
	}
	qsort(v, n, sizeof *v, cmp_keys);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		if (!rc && json_array_append(arr, v[i].o))
			rc = saas__enomem();
	for (size_t i = 0; i < n; i++)
		json_decref(v[i].o);
	free(v);
	return rc;
}

/* Every tenant but those pending deletion, one page after another. */
static int export_all(struct exp *e, saas_tx *tx)
{
	struct saas_tenant **v = NULL;
	char *after = NULL;
	size_t n = 0;
	int rc = SAAS_OK;

	do {
		rc = saas__st_tenant_list(&v, &n, tx, -1, after, PAGE);
		for (size_t i = 0; !rc && i < n; i++)
			if (v[i]->status != SAAS_TENANT_PENDING_DELETION &&
			    !(rc = saas__tx_set_tenant(tx, v[i]->id)))
				rc = export_tenant(e, tx, v[i]);
		free(after);
		after = !rc && n ? saas__strdup(v[n - 1]->id) : NULL;
		if (!rc && n && !after)
			rc = saas__enomem();
		for (size_t i = 0; v && i < n; i++)
			saas__tenant_row_free(v[i]);
		free(v);
		v = NULL;
	} while (!rc && n == PAGE);
	free(after);
	return rc;
}

int saas_rbac_export(char **out, saas_ctx *ctx, const saas_scope *scope)
{
	struct exp e = {json_array(), json_array(), json_array(), json_array(), json_object()};
	const char *tenant_id = scope ? scope->tenant_id : NULL;
	struct saas_tenant *t = NULL;
	int64_t t0 = saas__mono_ns();
	saas_tx *tx = NULL;
	json_t *doc;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		rc = saas__err(SAAS_EINVAL, "out", "out is NULL");
	else if (!ctx)
		rc = saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	else if (!scope)
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	else if (!e.tenants || !e.users || !e.roles || !e.mems || !e.emails)
		rc = saas__enomem();
	else
		rc = SAAS_OK;
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, tenant_id, false);
	if (rc)
		goto done;
	if (tenant_id) {
		/* A tenant pending deletion has no policy to give (SAAS_EDELETED). */
		rc = saas__tenant_guard(tx, SAAS__READ);
		if (!rc)
			rc = saas__st_tenant_get(&t, tx, tenant_id);
		if (!rc)
			rc = export_tenant(&e, tx, t);
	} else {
		rc = export_all(&e, tx);
	}
	saas__tx_rollback(tx);
	if (!rc && (rc = sort_array(e.tenants, "slug", NULL)) == SAAS_OK &&
	    (rc = sort_array(e.users, "email", NULL)) == SAAS_OK &&
	    (rc = sort_array(e.roles, "tenant", "name")) == SAAS_OK)
		rc = sort_array(e.mems, "tenant", "user");
	if (rc)
		goto done;
	doc = json_pack("{s:O,s:O,s:O,s:O}", "tenants", e.tenants, "users", e.users, "roles",
	                e.roles, "memberships", e.mems);
	if (!(*out = saas__json_take_dump(doc)))
		rc = saas__enomem();
done:
	saas__tenant_row_free(t);
	json_decref(e.tenants);
	json_decref(e.users);
	json_decref(e.roles);
	json_decref(e.mems);
	json_decref(e.emails);
	if (ctx)
		saas__op_done(ctx, "rbac.export", t0, rc);
	return rc;
}
