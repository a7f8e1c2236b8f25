/**
 * @file saas/tenant.h
 * @brief Tenants: create, read, list, suspend, reactivate, delete with a retention window, restore, purge, export.
 *
 * A tenant is `active`, `suspended` (reads only: writes fail with
 * `SAAS_ESUSPENDED`) or `pending_deletion` (everything but restore, export and
 * purge fails with `SAAS_EDELETED`). Purging erases every row the tenant owns
 * in every table; afterwards only the deployment's own audit stream records
 * that it existed. Every mutation writes its audit event in the same
 * transaction, in the tenant's stream; creation and purge are also recorded in
 * the deployment's stream (tenant id `SAAS_SYSTEM_TENANT_ID`).
 *
 * Thread safety: a `saas_tenant` or `saas_tenant_page` belongs to one thread at a time.
 */
#ifndef SAAS_TENANT_H
#define SAAS_TENANT_H

#include "saas/context.h"

SAAS_BEGIN_DECL

/** The reserved tenant id of the deployment's own audit stream. No tenant row has it. */
#define SAAS_SYSTEM_TENANT_ID "ten_00000000000000000000000000"

/** Default retention window of saas_tenant_delete(), in days. */
#define SAAS_TENANT_RETENTION_DAYS_DEFAULT 30

/** A tenant's status. */
typedef enum saas_tenant_status {
	SAAS_TENANT_ACTIVE = 0,
	SAAS_TENANT_SUSPENDED = 1,
	SAAS_TENANT_PENDING_DELETION = 2
} saas_tenant_status;

/** A tenant as read from the store. Opaque; free with saas_tenant_free(). */
typedef struct saas_tenant saas_tenant;

/** A page of tenants. Opaque; free with saas_tenant_page_free(). */
typedef struct saas_tenant_page saas_tenant_page;

/**
 * Create a tenant. Deployment-wide: `scope` names the actor; its tenant must be NULL.
 *
 * @param out   receives the new tenant (may be NULL); free with saas_tenant_free().
 * @param slug  1 to 63 characters of `[a-z0-9-]`, starting and ending with a
 *              letter or digit; unique across the deployment.
 * @param name  1 to 200 bytes of UTF-8 text without control characters.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `slug` or `name`, or a scope with a
 *         tenant); `SAAS_EEXISTS` if the slug is taken; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_tenant_create(saas_tenant **out, saas_ctx *ctx, const saas_scope *scope,
                                    const char *slug, const char *name);

/**
 * Read the scope's tenant, whatever its status.
 * @return `SAAS_OK`; `SAAS_EINVAL` if the scope has no tenant; `SAAS_ENOTFOUND`
 *         (never created, or purged); `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_tenant_get(saas_tenant **out, saas_ctx *ctx, const saas_scope *scope);

/**
 * Find a tenant by slug (for routing a request to its tenant). Reads only the
 * tenant catalogue, never tenant data.
 * @return `SAAS_OK`; `SAAS_EINVAL` for a malformed slug; `SAAS_ENOTFOUND`;
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_tenant_find_slug(saas_tenant **out, saas_ctx *ctx, const char *slug);

/**
 * List tenants across the deployment, oldest first, for operators. Reads only
 * the tenant catalogue; the listing itself is audited in the deployment's
 * stream (`admin.tenants_listed`).
 *
 * @param scope  the actor (tenant must be NULL).
 * @param status a `saas_tenant_status`, or -1 for every status.
 * @param cursor NULL for the first page, else the `next_cursor` of the previous page.
 * @param limit  1 to 1000.
 * @return `SAAS_OK`; `SAAS_EINVAL` (bad cursor, limit, status or scope);
 *         `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_admin_tenant_list(saas_tenant_page **out, saas_ctx *ctx,
                                        const saas_scope *scope, int status,
                                        const char *cursor, unsigned limit);

/**
 * Suspend the scope's tenant: afterwards writes fail with `SAAS_ESUSPENDED`.
 * @param reason 1 to 500 bytes of text, recorded on the tenant and in the audit event.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `reason`); `SAAS_ENOTFOUND`;
 *         `SAAS_ESTATE` if already suspended; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_tenant_suspend(saas_ctx *ctx, const saas_scope *scope, const char *reason);

/**
 * Reactivate a suspended tenant.
 * @return `SAAS_OK`; `SAAS_ENOTFOUND`; `SAAS_ESTATE` if it is not suspended;
 *         `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_tenant_reactivate(saas_ctx *ctx, const saas_scope *scope);

/**
 * Schedule the scope's tenant for deletion: it becomes `pending_deletion`
 * and may be purged once `retention_days` have passed (or earlier by an
 * explicit saas_admin_tenant_purge()).
 *
 * @param retention_days 0 to 3650, or -1 for `SAAS_TENANT_RETENTION_DAYS_DEFAULT`.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `retention_days`); `SAAS_ENOTFOUND`;
 *         `SAAS_EDELETED` if already scheduled; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_tenant_delete(saas_ctx *ctx, const saas_scope *scope, int retention_days);

/**
 * Restore a tenant scheduled for deletion, before its window ends, to the
 * status it had before (active or suspended).
 * @return `SAAS_OK`; `SAAS_ENOTFOUND`; `SAAS_ESTATE` if it is not pending
 *         deletion; `SAAS_EEXPIRED` if the window has ended; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_tenant_restore(saas_ctx *ctx, const saas_scope *scope);

/**
 * Purge a tenant pending deletion: erase every row it owns in every table
 * (memberships, invitations, its audit stream, the tenant itself) in one
 * transaction, and record `tenant.purged` in the deployment's stream.
 * Afterwards nothing of the tenant can be read.
 *
 * @param scope the tenant to purge and the actor.
 * @return `SAAS_OK`; `SAAS_ENOTFOUND`; `SAAS_ESTATE` if the tenant is not
 *         pending deletion; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_admin_tenant_purge(saas_ctx *ctx, const saas_scope *scope);

/**
 * Purge every tenant whose retention window has ended (a periodic job).
 * @param scope       the actor (tenant must be NULL).
 * @param out_purged  receives how many were purged (may be NULL).
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ESTORE` (tenants purged before the
 *         failure stay purged).
 */
SAAS_EXTERN(int) saas_admin_tenant_purge_due(saas_ctx *ctx, const saas_scope *scope,
                                             unsigned *out_purged);

/**
 * Export everything the scope's tenant owns as one JSON document:
 *
 *     {"format":"libsaas.export", "version":1, "exported_at":"<RFC 3339>",
 *      "tenant_id":"ten_…", "tenant":{…as saas_tenant_to_json…},
 *      "tables":{"<table>":[{column:value,…},…],…}}
 *
 * `tables` has one entry per table that holds tenant rows (empty arrays
 * included), its row in `tenants`, and the `users` its members are. Rows are
 * as stored: times are milliseconds since the epoch; `metadata` columns are
 * JSON objects and `roles` columns arrays of role names. Secrets (invitation
 * token hashes) are left out.
 * Allowed in every status, including pending deletion.
 *
 * @param out receives the JSON text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_tenant_export(char **out, saas_ctx *ctx, const saas_scope *scope);

/** The tenant's id (`ten_…`). Borrowed from `t`. */
SAAS_EXTERN(const char *) saas_tenant_id(const saas_tenant *t);
/** The tenant's slug. Borrowed. */
SAAS_EXTERN(const char *) saas_tenant_slug(const saas_tenant *t);
/** The tenant's display name. Borrowed. */
SAAS_EXTERN(const char *) saas_tenant_name(const saas_tenant *t);
/** The tenant's status (`saas_tenant_status`). */
SAAS_EXTERN(int) saas_tenant_status_of(const saas_tenant *t);
/** The name of a status: `"active"`, `"suspended"`, `"pending_deletion"`, or NULL if unknown. Static. */
SAAS_EXTERN(const char *) saas_tenant_status_name(int status);
/** The suspension reason, or NULL when not suspended. Borrowed. */
SAAS_EXTERN(const char *) saas_tenant_suspend_reason(const saas_tenant *t);
/** Creation time, ms since the epoch. */
SAAS_EXTERN(int64_t) saas_tenant_created_at(const saas_tenant *t);
/** When a pending deletion may be purged (ms since the epoch), or 0 when not pending deletion. */
SAAS_EXTERN(int64_t) saas_tenant_purge_after(const saas_tenant *t);
/**
 * The tenant as a JSON object (`id`, `slug`, `name`, `status`, `suspend_reason`,
 * `created_at`, `updated_at`, `purge_after`; times as RFC 3339 text).
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_tenant_to_json(char **out, const saas_tenant *t);
/** Free a tenant. `t` may be NULL. */
SAAS_EXTERN(void) saas_tenant_free(saas_tenant *t);

/** Number of tenants in the page. */
SAAS_EXTERN(size_t) saas_tenant_page_count(const saas_tenant_page *l);
/** The i-th tenant of the page (borrowed from `l`), or NULL past the end. */
SAAS_EXTERN(const saas_tenant *) saas_tenant_page_at(const saas_tenant_page *l, size_t i);
/** The cursor of the next page, or NULL on the last page. Borrowed. */
SAAS_EXTERN(const char *) saas_tenant_page_next_cursor(const saas_tenant_page *l);
/** Free a page. `l` may be NULL. */
SAAS_EXTERN(void) saas_tenant_page_free(saas_tenant_page *l);

SAAS_END_DECL

#endif
