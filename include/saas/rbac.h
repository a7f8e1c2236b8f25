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

/* ---- custom roles of a tenant ---------------------------------------------------- */

/**
 * Create a custom role in the scope's tenant: a name no role of the
 * deployment's catalog has (`[a-z][a-z0-9_-]{0,63}`), its own permissions
 * (0 to 256, each checked as saas_permission_check(); duplicates folded) and
 * the roles it inherits (0 to 16: roles of the catalog or other custom roles
 * of the tenant; a cycle is refused). Audited as `role.created` in the same
 * transaction. Members get it through saas_member_add() and
 * saas_member_set_roles() like any role.
 *
 * @return `SAAS_OK`; `SAAS_EINVAL` (a bad name, field `"name"`; a bad
 *         permission, field `"permissions"`, the message naming it and its
 *         index; a bad or unknown inherited role or a cycle, field
 *         `"inherits"`; too many); `SAAS_EEXISTS` (the tenant has a custom
 *         role of that name, or the catalog has it; field `"name"`);
 *         `SAAS_ENOTFOUND`, `SAAS_ESUSPENDED`, `SAAS_EDELETED` (the tenant);
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_role_create(saas_ctx *ctx, const saas_scope *scope, const char *name,
                                  const char *const *permissions, size_t npermissions,
                                  const char *const *inherits, size_t ninherits);

/**
 * Replace a custom role's permissions and inherited roles (the same rules as
 * saas_role_create(); a cycle through other custom roles is refused).
 * Audited as `role.updated` with the previous and new sets.
 * @return as saas_role_create(), and `SAAS_ENOTFOUND` (field `"name"`) when
 *         the tenant has no custom role of that name (a catalog role cannot
 *         be changed here: see `rbac_policy`).
 */
SAAS_EXTERN(int) saas_role_update(saas_ctx *ctx, const saas_scope *scope, const char *name,
                                  const char *const *permissions, size_t npermissions,
                                  const char *const *inherits, size_t ninherits);

/**
 * Delete a custom role. Refused with `SAAS_EUSED` while another custom role
 * inherits it (checked first, whatever `move_to` says), or while a member
 * has it, unless `move_to` names a role (of the catalog or another custom
 * role of the tenant) that every member having it gets instead, in the same
 * transaction. Audited as `role.deleted` (metadata: the members moved).
 * @param move_to NULL, or the role to give its members.
 * @return `SAAS_OK`; `SAAS_EINVAL` (bad names; `move_to` equal to `name`,
 *         field `"move_to"`); `SAAS_ENOTFOUND` (no such custom role, field
 *         `"name"`; an unknown `move_to`, field `"move_to"`); `SAAS_EUSED`
 *         (the message says how many members have it, or which role inherits
 *         it); the tenant's errors; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_role_delete(saas_ctx *ctx, const saas_scope *scope, const char *name,
                                  const char *move_to);

/**
 * The roles a member of the scope's tenant can have, as JSON: the catalog's
 * roles (saas_rbac_catalog_json()'s objects, with `"scope":"deployment"`)
 * and the tenant's custom roles (`"scope":"tenant"`, with `created_at` and
 * `updated_at` in RFC 3339), sorted by name: `{"roles":[…]}`. `effective` of a custom
 * role counts what it inherits. Allowed in every status but pending deletion.
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL`; the tenant's errors; `SAAS_ESTORE`;
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_role_list(char **out, saas_ctx *ctx, const saas_scope *scope);

/* ---- policy import and export ----------------------------------------------------- */

/** The most entries each array of a policy document may have. */
#define SAAS_POLICY_MAX_ENTRIES 10000

/**
 * Import a policy document (docs/rbac.md, "Import and export"):
 *
 *     {"tenants":     [{"slug":"acme","name":"Acme"}],
 *      "users":       [{"email":"ann@acme.example"}],
 *      "roles":       [{"tenant":"acme","name":"editor",
 *                       "permissions":["project:*"],"inherits":["viewer"]}],
 *      "memberships": [{"tenant":"acme","user":"ann@acme.example",
 *                       "roles":["editor"]}]}
 *
 * Every key is optional; any other key, anywhere, is refused. Tenants are
 * named by slug and users by email (normalised). The import adds and
 * updates, and never removes:
 * - a tenant of `tenants` that does not exist is created (active, with its
 *   `name`); an existing one is left as it is (its name is not changed);
 * - a user of `users` that does not exist is created;
 * - a role is a custom role of its tenant (not a name of the deployment's
 *   catalog), created, or updated to exactly the given `permissions` and
 *   `inherits` (both optional, default empty; the rules of
 *   saas_role_create());
 * - a membership is created, or its roles are set to exactly `roles` (1 to
 *   16, each a role of the catalog or a custom role of the tenant once the
 *   document is imported);
 * - tenants, users, custom roles and memberships the document does not name
 *   are left alone.
 * A tenant or user that a role or membership names must be in the document or
 * in the database. With a scope on a tenant, every entry must name that
 * tenant (by its slug) and no tenant is created; a deployment-wide scope
 * (no tenant) may name any.
 *
 * The whole document is checked first; then everything is written in one
 * transaction, each change with its usual audit event (`tenant.created`,
 * `user.created`, `role.created`, `role.updated`, `member.added`,
 * `member.roles_changed`) in its tenant's stream, recording the scope's
 * actor, plus `rbac.imported` (with the tenant's counts) in the stream of
 * each tenant that changed and, for a deployment-wide import or one that
 * created users, in the deployment's stream (with the totals). An import
 * that changes nothing writes nothing, not even `rbac.imported`; importing
 * the same document twice is therefore harmless. A bad document changes
 * nothing.
 *
 * @param out_report receives (may be NULL) the counts as JSON, free with
 *        saas_free(): `{"tenants":{"created":N,"updated":0,"unchanged":N},
 *        "users":{…},"roles":{…},"memberships":{…}}` (`unchanged` tenants and
 *        users are entries of `tenants` and `users` that existed already).
 * @param json the document, at most 64 MiB; at most
 *        `SAAS_POLICY_MAX_ENTRIES` entries per array.
 * @return `SAAS_OK`; `SAAS_EINVAL`, field `"policy"`, for a bad document:
 *         the message names the first bad entry by its position
 *         (`policy: roles[3].permissions[1]: 'Project:Read' is not a
 *         permission …`, `policy: memberships[2].tenant: no tenant 'acme' in
 *         the document or the database`; invalid JSON, a duplicate key or
 *         entry, an unknown key, too many entries, an unknown or cyclic
 *         inherited role, an entry naming a tenant outside the scope);
 *         `SAAS_EINVAL` also for NULL arguments (fields `"ctx"`, `"scope"`);
 *         field `"policy"` and the entry's position too for
 *         `SAAS_ESTATE` (a membership change would leave a tenant without an
 *         owner), `SAAS_ESUSPENDED` (a change to a suspended tenant) and
 *         `SAAS_EDELETED` (a tenant pending deletion);
 *         `SAAS_ENOTFOUND` and `SAAS_EDELETED` (the scope's tenant does not
 *         exist, or is pending deletion; field `"tenant_id"`); `SAAS_ESTORE`;
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_rbac_import(char **out_report, saas_ctx *ctx, const saas_scope *scope,
                                  const char *json);

/**
 * Export a policy document in the form saas_rbac_import() reads: the
 * scope's tenant's, or, for a scope without a tenant, every tenant's but
 * those pending deletion. A tenant's part holds the tenant (slug and name), its
 * custom roles, its memberships and its members' users (email); users who are
 * members of no exported tenant are not exported. Sorted: tenants by slug,
 * users by email, roles by tenant and name, memberships by tenant and user;
 * keys sorted; compact. Importing the export into an empty database gives
 * the same export.
 *
 * @param out receives the text; free with saas_free().
 * @param scope a tenant's scope, or one without a tenant for the whole
 *              deployment.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`, `ctx` or `scope`);
 *         `SAAS_ENOTFOUND` (no such tenant); `SAAS_EDELETED` (the tenant is
 *         pending deletion); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_rbac_export(char **out, saas_ctx *ctx, const saas_scope *scope);

SAAS_END_DECL

#endif
