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
};

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

/* A catalog role's effective permissions, sorted ("*" alone when it has
 * everything); and the role as saas_rbac_catalog_json shows it. New
 * references; NULL when out of memory. */
json_t *saas__role_effective_json(const struct saas__role *r);
json_t *saas__role_json(const struct saas__role *r);

#endif
