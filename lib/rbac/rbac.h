/*
 * The role catalog as the other modules see it: permissions checked and
 * matched, and the deployment's roles compiled once per context (built-in
 * roles, extended by the context option rbac_policy) into sorted sets that
 * answer "does this role grant that permission" by binary search.
 */
#ifndef SAAS_RBAC_INTERNAL_H
#define SAAS_RBAC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/core.h"
#include "../store/store.h"

/* A permission's two sides, split (lengths exclude the NUL). */
struct saas__perm {
	char res[65];
	char act[65];
	bool all; /* "*" alone */
};

/* Parse `s` into `p`; SAAS_EINVAL naming `field` and the string if malformed. */
int saas__perm_parse(struct saas__perm *p, const char *s, const char *field);

/* A compiled role: its own permissions and the effective set (own and
 * inherited), split by kind, each array sorted (strcmp) and unique. */
struct saas__role {
	char *name;
	bool builtin;
	char **inherits;
	size_t ninherits;
	char **own;
	size_t nown;
	bool all;          /* "*" is effective */
	char **exact;      /* "res:act" */
	size_t nexact;
	char **res_wild;   /* "res:*" */
	size_t nres_wild;
	char **act_wild;   /* "*:act" */
	size_t nact_wild;
};

struct saas__rbac {
	struct saas__role *roles; /* sorted by name */
	size_t n;
	/* Actions a suspended tenant still allows: read, list, export and the
	 * policy's read_actions; sorted. */
	char **read_actions;
	size_t nread_actions;
	/* Denials audited (saas_authorize): the policy's audit_denials, or the
	 * defaults; a denied request overlapping one of them is recorded. */
	char **audit_denials;
	size_t naudit_denials;
};

/* Whether `action` is one a suspended tenant allows. */
bool saas__rbac_read_action(const struct saas__rbac *r, const char *action);
/* Whether a denial of the parsed request `p` is to be audited: some
 * audit_denials pattern and `p` name a permission in common. */
bool saas__rbac_audit_denial(const struct saas__rbac *r, const struct saas__perm *p);

/* Compile a role from its effective permissions (checked already), taking
 * the strings of `name` and none of `eff`'s: for a tenant's custom roles.
 * Clear it with saas__role_clear. */
int saas__role_compile(struct saas__role *out, const char *name, char *const *eff, size_t n);
void saas__role_clear(struct saas__role *r);

/* Build the catalog from the built-in roles and `policy` (the option's
 * value: JSON text, "file:PATH", or NULL). SAAS_EINVAL, field "rbac_policy",
 * naming the bad entry by its path. */
int saas__rbac_new(struct saas__rbac **out, const char *policy);
void saas__rbac_free(struct saas__rbac *r);

/* The role named `name`, or NULL. */
const struct saas__role *saas__rbac_role(const struct saas__rbac *r, const char *name);

/* The pattern of `role`'s effective set that covers the parsed request `p`
 * (whose text is `perm`), or NULL. */
const char *saas__role_match(const struct saas__role *role, const struct saas__perm *p,
                             const char *perm);

/* Call fn with each pattern of `role`'s effective set ("*" alone when it has
 * everything), stopping at the first non-zero return, which is returned. */
int saas__role_each(const struct saas__role *role, int (*fn)(const char *perm, void *payload),
                    void *payload);

/* A catalog role's effective permissions, sorted ("*" alone when it has
 * everything); and the role as saas_rbac_catalog_json shows it. New
 * references; NULL when out of memory. */
json_t *saas__role_effective_json(const struct saas__role *r);
json_t *saas__role_json(const struct saas__role *r);

/* ---- custom roles of a tenant (role.c), shared with the policy import -------- */

/* The most permissions of its own a role has, and roles it inherits. */
#define SAAS__ROLE_MAX_PERMISSIONS 256
#define SAAS__ROLE_MAX_INHERITS 16

/* A custom role's definition. */
struct saas__trole_def {
	char *name;
	json_t *permissions; /* sorted array of strings, no duplicates */
	json_t *inherits;    /* the same */
	int64_t created_at, updated_at;
};

/* A set of custom roles; finding needs it sorted by name (strcmp). */
struct saas__troles {
	struct saas__trole_def *v;
	size_t n, cap;
	bool unsorted; /* set by saas__troles_put when it appended */
};

/* Every custom role of the transaction's tenant, sorted. *out is emptied
 * first; free it with saas__troles_free (also on error). */
int saas__troles_load(struct saas__troles *out, saas_tx *tx);
void saas__troles_free(struct saas__troles *t);
/* Sort after saas__troles_put appended (a no-op when sorted). */
void saas__troles_sort(struct saas__troles *t);
/* The role `name` of a sorted set, or NULL. */
struct saas__trole_def *saas__troles_find(const struct saas__troles *t, const char *name);
/* Give `name` the definition `permissions` and `inherits` (new references
 * are taken): replaced in place when the set has it, else appended (the set
 * must then be sorted before the next find). */
int saas__troles_put(struct saas__troles *t, const char *name, json_t *permissions,
                     json_t *inherits);
/* A cycle among the set's inheritance edges (between its own roles; catalog
 * roles inherit no custom role): *out (malloc'd) gets the indices of the
 * roles on it, each inheriting the next and the last the first, *out_n their
 * number; *out NULL and *out_n 0 when there is none. The set must be sorted. */
int saas__troles_find_cycle(size_t **out, size_t *out_n, const struct saas__troles *t);
/* The strings as a sorted JSON array without duplicates (new reference;
 * NULL when out of memory). */
json_t *saas__sorted_set(const char *const *v, size_t n);
/* Insert (`old` NULL) or update the tenant's custom role `name` to the
 * sorted sets `permissions` and `inherits`, and append "role.created" or
 * "role.updated" (with `old`'s sets as the previous ones) in `tx`, whose
 * tenant it is. Everything is checked by the caller. */
int saas__trole_write_tx(saas_tx *tx, const saas_scope *scope, const char *name,
                         json_t *permissions, json_t *inherits,
                         const struct saas__trole_def *old);

/* Each of the `n` role names (checked names) exists for the transaction's
 * tenant: a role of the deployment's catalog or a custom role of the tenant.
 * SAAS_ENOTFOUND, field "roles", naming the first that is neither;
 * *out_unknown (may be NULL) then points at it in `roles` (else NULL). Used
 * inside the transaction that writes the roles (identity's memberships and
 * invitations). */
int saas__roles_check_known(const char **out_unknown, saas_tx *tx, char *const *roles, size_t n);

#endif
