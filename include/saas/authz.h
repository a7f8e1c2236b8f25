/**
 * @file saas/authz.h
 * @brief saas_authorize(): the one decision that combines the tenant's
 *        status, the actor's membership and roles, and support grants, and
 *        explains itself (docs/authz.md).
 *
 * A decision is taken in this order; the first step that decides wins:
 *
 * 1. **The tenant** must exist (else `tenant_not_found`). Its status limits
 *    what anyone may do in it: a suspended tenant allows only read actions
 *    (`read`, `list`, `export` and the policy's `read_actions`), else
 *    `tenant_suspended`; a tenant pending deletion allows only what restore
 *    and export need (`tenant:read`, `tenant:restore`, `tenant:export`,
 *    `audit:export`), else `tenant_deleted`. A wildcard request (`project:*`)
 *    asks for every action it names, so it passes these rules only when all
 *    of them would.
 * 2. **The actor**: the system actor (`SAAS_ACTOR_SYSTEM`, the deployment
 *    itself) is allowed (`system`). A user must be a member of the tenant
 *    (`not_member`) and one of the member's roles (catalog or custom,
 *    counting inheritance) must grant the permission (`role`, else
 *    `no_role_grants`). Support staff (`SAAS_ACTOR_SUPPORT`) need a support
 *    grant of the tenant, given by someone allowed `support:grant` (the
 *    owner by default), to them or to all staff, not revoked
 *    (`support_grant_missing`), not expired (`support_grant_expired`), whose
 *    role grants the permission (`support_grant`, else
 *    `support_grant_lacks`). An API key (`SAAS_ACTOR_APIKEY`, saas/auth.h) must
 *    be one of the tenant's keys (`apikey_unknown`), not revoked
 *    (`apikey_revoked`), not expired (`apikey_expired`); its own patterns
 *    must cover the permission (`apikey_lacks`), and so must its creator's
 *    current roles (`apikey_creator_lacks`, also when the creator is no
 *    longer a member): then `apikey`, naming the creator's role.
 * 3. The plan's entitlements (billing, to come) will follow as a last step
 *    with a reason of their own.
 *
 * **The decision cache.** Each (tenant, actor) compiles, on its first check,
 * into a structure that answers later checks without the store (well under
 * a microsecond): the tenant's status, the member's roles as compiled sets,
 * a support grant's role and expiry (expiry is checked against the clock on
 * every decision). Changes made through this context are seen by the next
 * check (the store invalidates the tenant's entries when a transaction that
 * changed memberships, roles, custom roles, grants or the tenant's status
 * commits). Changes made by another process are seen within
 * `authz_refresh_ms` (saas_ctx_options; default 1000): the cache then asks
 * the store whether anything changed (SQLite: `PRAGMA data_version`, and
 * everything cached is dropped when it did; PostgreSQL: `LISTEN`/`NOTIFY`,
 * per tenant, without a round trip). At most `authz_cache_size` actors
 * (default 100,000; 0 turns the cache off) are held; the least recently
 * used are dropped first.
 *
 * **Audited denials.** A denial of a permission matching the policy's
 * `audit_denials` patterns (docs/authz.md has the defaults) appends
 * `authz.denied` to the tenant's audit stream in a transaction of its own
 * (it is recorded even though the caller's operation will not happen).
 *
 * Thread safety: saas_authorize() may be called from any thread; a
 * `saas_decision` belongs to one thread at a time.
 */
#ifndef SAAS_AUTHZ_H
#define SAAS_AUTHZ_H

#include "saas/context.h"

SAAS_BEGIN_DECL

/** Why a decision came out as it did. Numbers are never reused. */
typedef enum saas_reason {
	SAAS_REASON_ROLE = 1,                /**< allowed: a role of the membership grants it */
	SAAS_REASON_SYSTEM = 2,              /**< allowed: the system actor */
	SAAS_REASON_SUPPORT_GRANT = 3,       /**< allowed: a support grant's role grants it */
	SAAS_REASON_TENANT_NOT_FOUND = 4,    /**< denied: no such tenant */
	SAAS_REASON_TENANT_SUSPENDED = 5,    /**< denied: suspended, and it is not a read action */
	SAAS_REASON_TENANT_DELETED = 6,      /**< denied: pending deletion, and restore or export do not need it */
	SAAS_REASON_NOT_MEMBER = 7,          /**< denied: the user is not a member of the tenant */
	SAAS_REASON_NO_ROLE_GRANTS = 8,      /**< denied: none of the member's roles grants it */
	SAAS_REASON_SUPPORT_GRANT_MISSING = 9,  /**< denied: no support grant (or it was revoked) */
	SAAS_REASON_SUPPORT_GRANT_EXPIRED = 10, /**< denied: the support grant has expired */
	SAAS_REASON_SUPPORT_GRANT_LACKS = 11,   /**< denied: the support grant's role does not grant it */
	SAAS_REASON_APIKEY_UNKNOWN = 12,        /**< denied: the tenant has no such API key */
	SAAS_REASON_APIKEY = 13,                /**< allowed: the key's permissions and its creator's role both grant it */
	SAAS_REASON_APIKEY_REVOKED = 14,        /**< denied: the API key was revoked */
	SAAS_REASON_APIKEY_EXPIRED = 15,        /**< denied: the API key has expired */
	SAAS_REASON_APIKEY_LACKS = 16,          /**< denied: the key's own permissions do not include it */
	SAAS_REASON_APIKEY_CREATOR_LACKS = 17,  /**< denied: the key's creator (no longer) may do it */
	SAAS_REASON_PLAN_LACKS_FEATURE = 18     /**< denied: the roles allow it, but the tenant's plan lacks the feature the permission needs (saas/billing.h) */
} saas_reason;

/** The highest reason number this version defines. */
#define SAAS_REASON_MAX 18

/**
 * The reason's name as it appears in JSON and text (`"role"`,
 * `"not_member"`, `"tenant_suspended"`, …), or `"unknown"`. Static string.
 */
SAAS_EXTERN(const char *) saas_reason_name(int reason);

/**
 * A reason by its name (the inverse of saas_reason_name()).
 * @return the reason (> 0), or `SAAS_EINVAL` (field `"reason"`) naming an
 *         unknown name.
 */
SAAS_EXTERN(int) saas_reason_from_name(const char *name);

/**
 * A decision with its explanation. Allocate one with saas_decision_new() and
 * reuse it for many calls: saas_authorize() fills it without allocating.
 */
typedef struct saas_decision saas_decision;

/**
 * Allocate an empty decision.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_decision_new(saas_decision **out);

/** Free a decision. `d` may be NULL. */
SAAS_EXTERN(void) saas_decision_free(saas_decision *d);

/**
 * Decide whether the scope's actor may do `permission` in the scope's
 * tenant (the order of the rules is at the top of this header).
 *
 * @param out        NULL, or a decision to fill with the answer and its
 *                   explanation (on `SAAS_OK` and `SAAS_EDENIED` only).
 * @param permission a permission as saas_permission_check() accepts;
 *                   `res:*` and `*` ask for everything they name.
 * @return `SAAS_OK` allowed; `SAAS_EDENIED` denied, with the error record
 *         (saas_error_last()) holding the explanation's text;
 *         `SAAS_EINVAL` (NULL ctx or scope, a scope without a tenant, field
 *         `"scope"`; a malformed permission, field `"permission"`);
 *         `SAAS_ESTORE` (the store failed while loading: no decision);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_authorize(saas_decision *out, saas_ctx *ctx, const saas_scope *scope,
                                const char *permission);

/** saas_authorize_ex() flag: do not audit a denial (see "Audited denials"). */
#define SAAS_AUTHZ_NO_AUDIT 1u

/**
 * saas_authorize() with flags: `SAAS_AUTHZ_NO_AUDIT` decides without
 * recording a sensitive denial, for questions that are not attempts (a
 * policy test, a UI showing what a user could do, an operator's check).
 * @return as saas_authorize(); also `SAAS_EINVAL` (field `"flags"`) for an
 *         unknown flag.
 */
SAAS_EXTERN(int) saas_authorize_ex(saas_decision *out, saas_ctx *ctx, const saas_scope *scope,
                                   const char *permission, unsigned flags);

/** 1 if the decision allowed, 0 if it denied (or `d` is NULL or empty). */
SAAS_EXTERN(int) saas_decision_allowed(const saas_decision *d);

/** The decision's reason (`saas_reason`), 0 if `d` is NULL or empty. */
SAAS_EXTERN(int) saas_decision_reason(const saas_decision *d);

/**
 * The role that decided: the member's role that granted (`role`), the
 * support grant's role (`support_grant`, `support_grant_lacks`), else NULL.
 * For `plan_lacks_feature` the role, pattern and grant that allowed are
 * kept: the roles allowed it, the plan did not.
 * Borrowed from `d`, valid until it is reused or freed.
 */
SAAS_EXTERN(const char *) saas_decision_role(const saas_decision *d);

/** The granted pattern that covered the permission (`project:*`), or NULL. Borrowed from `d`. */
SAAS_EXTERN(const char *) saas_decision_pattern(const saas_decision *d);

/** The support grant that decided (`sgr_…`), or NULL. Borrowed from `d`. */
SAAS_EXTERN(const char *) saas_decision_grant_id(const saas_decision *d);

/**
 * The decision as one line of text, e.g. `allowed: user usr_… may
 * project:update in tenant ten_…: role 'admin' grants it through
 * 'project:*'` or `denied: tenant ten_… is suspended: only read actions are
 * allowed, not 'project:update'`.
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments, or an empty decision);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_decision_explain(char **out, const saas_decision *d);

/**
 * The decision as a JSON object: `{"allowed","reason","tenant_id",
 * "actor_type","actor_id","permission","role","pattern","grant_id",
 * "roles","tenant_status","explanation","feature"}` (`roles`: the member's
 * roles, sorted, or `[]`; `feature`: the plan feature that was missing, for
 * `plan_lacks_feature`; absent values are null).
 * @param out receives the text; free with saas_free().
 * @return as saas_decision_explain().
 */
SAAS_EXTERN(int) saas_decision_to_json(char **out, const saas_decision *d);

/* ---- the decision cache ----------------------------------------------------------- */

/** Counters of a context's decision cache (since it opened). */
typedef struct saas_authz_stats {
	uint64_t hits;          /**< decisions answered from the cache */
	uint64_t misses;        /**< decisions that loaded from the store */
	uint64_t invalidations; /**< tenants (or, counted once, the whole cache) invalidated */
	uint64_t evictions;     /**< actors dropped to stay within authz_cache_size */
	uint64_t entries;       /**< actors cached now */
	uint64_t capacity;      /**< authz_cache_size */
} saas_authz_stats;

/**
 * Read the cache's counters.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL arguments).
 */
SAAS_EXTERN(int) saas_authz_stats_get(saas_authz_stats *out, saas_ctx *ctx);

/**
 * Drop the cached decisions of one tenant (`tenant_id`), or of every tenant
 * (NULL): for an application that changed the database behind the
 * library's back. The library's own changes never need it.
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL ctx, a malformed tenant id).
 */
SAAS_EXTERN(int) saas_authz_invalidate(saas_ctx *ctx, const char *tenant_id);

/* ---- support grants ---------------------------------------------------------------- */

/**
 * Give support staff time-limited access to the scope's tenant, acting with
 * the permissions of `role`. The scope's actor must be allowed
 * `support:grant` (a user: by their roles, so the owner by default; or the
 * system actor), and `role` (a catalog role or a custom role of the tenant)
 * may not grant anything the actor's own roles do not (so an admin cannot
 * hand out `owner`). A support actor is covered by the grants to them and
 * by the grants to all staff: a new grant to a staff member revokes their
 * previous one, a new grant to all staff the previous grant to all staff.
 * A grant is expired once the clock reaches `expires_at`. Audited as
 * `support.granted` in the same transaction.
 *
 * @param out_id     receives the grant's id (`sgr_…`); free with saas_free().
 * @param staff      the support actor's id (as in their scope), or NULL for
 *                   every support actor.
 * @param role       the role the grant gives.
 * @param expires_at when it ends, ms since the epoch: 1 minute to 30 days
 *                   from now.
 * @return `SAAS_OK`; `SAAS_EINVAL` (bad staff, field `"staff"`; a bad role
 *         name, field `"role"`; expiry out of range, field `"expires_at"`);
 *         `SAAS_ENOTFOUND` (no such role, field `"role"`); `SAAS_EDENIED`
 *         (the actor may not grant, or the role exceeds their own
 *         permissions: the message says which permission); the tenant's
 *         errors (`SAAS_ENOTFOUND`, `SAAS_ESUSPENDED`, `SAAS_EDELETED`);
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_support_grant(char **out_id, saas_ctx *ctx, const saas_scope *scope,
                                    const char *staff, const char *role, int64_t expires_at);

/**
 * Revoke a support grant at once. The actor must be allowed
 * `support:revoke`. Audited as `support.revoked`.
 * @return `SAAS_OK`; `SAAS_EINVAL` (a malformed id, field `"grant_id"`);
 *         `SAAS_ENOTFOUND` (no such grant in the tenant, or already
 *         revoked); `SAAS_EDENIED`; the tenant's errors; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_support_revoke(saas_ctx *ctx, const saas_scope *scope, const char *grant_id);

/**
 * The tenant's support grants, newest first, as JSON: `{"grants":[{"id",
 * "staff","role","granted_by","created_at","expires_at","revoked_at",
 * "active"}]}` (times RFC 3339; `staff` null for every support actor;
 * `active` false once expired or revoked). The actor must be allowed
 * `support:read`.
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_EDENIED`; the tenant's errors;
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_support_list(char **out, saas_ctx *ctx, const saas_scope *scope);

SAAS_END_DECL

#endif
