/**
 * @file saas/rbac.h
 * @brief Permissions and the deployment's role catalog (docs/rbac.md).
 *
 * A permission is `resource:action`: each side 1 to 64 of `[a-z0-9_-]`, or
 * `*` for any; `*` alone means everything. A role grants a set of
 * permissions, its own and those of the roles it inherits.
 *
 * The deployment's catalog holds the four built-in roles, `owner` ⊇ `admin`
 * ⊇ `member` ⊇ `viewer` (each inherits the next), with defaults for the
 * library's own resources (tenant, member, role, billing, audit, apikey,
 * webhook; the table is in docs/rbac.md), and the application's roles. The
 * application extends or overrides the built-in roles and adds its own at
 * context creation, with the context option `rbac_policy` (saas/context.h):
 *
 *     {"roles": {
 *        "member":  {"permissions": ["project:*"]},
 *        "viewer":  {"permissions": ["project:read"]},
 *        "auditor": {"inherits": ["viewer"], "permissions": ["audit:read"]}}}
 *
 * A built-in role's `permissions` are added to its defaults, or replace them
 * with `"replace": true`; its inheritance is fixed. Another name defines a
 * role shared by every tenant, which may inherit built-in roles and other
 * such roles (no cycles). A malformed policy makes saas_ctx_open() fail with
 * `SAAS_EINVAL`, field `"rbac_policy"`, the message naming the bad entry by
 * its path (`roles.member.permissions[1]`).
 *
 * Thread safety: the catalog is fixed when the context opens; every function
 * here may be called from any thread.
 */
#ifndef SAAS_RBAC_H
#define SAAS_RBAC_H

#include "saas/context.h"

SAAS_BEGIN_DECL

/** The longest permission string, without its NUL. */
#define SAAS_PERMISSION_MAX 129

/**
 * Check a permission string's form.
 * @return `SAAS_OK`, or `SAAS_EINVAL` (field `"permission"`) naming the bad
 *         string: NULL, empty, upper case, no `:`, an empty side, a side
 *         longer than 64 or with another character, a partial wildcard
 *         (`proj*:read`).
 */
SAAS_EXTERN(int) saas_permission_check(const char *permission);

/**
 * Whether the granted pattern covers the requested permission: `*` covers
 * everything; `res:*` covers every action on `res` (and `res:*` itself);
 * `*:act` covers any resource's `act` (and `*:act`); otherwise only the same
 * string. A request with a wildcard asks for all it names: `res:*` is covered
 * only by `*` and `res:*`.
 * @return 1 covered, 0 not; `SAAS_EINVAL` (field `"pattern"` or
 *         `"permission"`) if either is malformed.
 */
SAAS_EXTERN(int) saas_permission_covers(const char *pattern, const char *permission);

/**
 * Whether the deployment role `role` (built-in or from `rbac_policy`) grants
 * `permission`, counting inherited roles.
 *
 * @param out_pattern receives the granting pattern (borrowed from the
 *                    context, valid while it lives), NULL when not granted;
 *                    may be NULL.
 * @return 1 granted, 0 not; `SAAS_EINVAL` (NULL ctx, field `"ctx"`; a
 *         malformed permission, field `"permission"`; a malformed role name,
 *         field `"role"`); `SAAS_ENOTFOUND` (no such role in the catalog,
 *         field `"role"`).
 */
SAAS_EXTERN(int) saas_rbac_role_grants(const char **out_pattern, saas_ctx *ctx, const char *role,
                                       const char *permission);

/**
 * The deployment's role catalog as JSON: `{"roles":[{"name","builtin",
 * "inherits":[…],"permissions":[…],"effective":[…]}]}`, roles sorted by name;
 * `permissions` are the role's own (after `rbac_policy`), `effective` adds
 * every inherited one (both sorted, without duplicates).
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_rbac_catalog_json(char **out, saas_ctx *ctx);

SAAS_END_DECL

#endif
