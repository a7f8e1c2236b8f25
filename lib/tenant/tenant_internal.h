/*
 * What other modules need from the tenant module: opening a transaction on
 * the scope's tenant that is refused when the tenant's status does not allow
 * the access (missing, pending deletion, or suspended for writes).
 */
#ifndef SAAS_TENANT_INTERNAL_H
#define SAAS_TENANT_INTERNAL_H

#include "../store/store.h"

enum saas__access {
	SAAS__READ,  /* refused only for a missing tenant or one pending deletion */
	SAAS__WRITE  /* also refused while suspended */
};

/*
 * Check the transaction's tenant allows `access`: SAAS_ENOTFOUND if it does
 * not exist, SAAS_EDELETED if it is pending deletion, SAAS_ESUSPENDED for a
 * write while suspended. The error message names the tenant.
 */
int saas__tenant_guard(saas_tx *tx, enum saas__access access);

/*
 * Begin a transaction on the scope's tenant (a write transaction for
 * SAAS__WRITE) and run saas__tenant_guard; on failure nothing is left open.
 * Also checks that `scope` is non-NULL and has a tenant (SAAS_EINVAL).
 */
int saas__tenant_tx(saas_tx **out, saas_ctx *ctx, const saas_scope *scope,
                    enum saas__access access);

/*
 * A new tenant row (active, with a new id and the context's time) for `slug`
 * and `name`, checked as saas_tenant_create() checks them (SAAS_EINVAL,
 * field "slug" or "name"). Free with saas__tenant_row_free.
 */
int saas__tenant_new_row(struct saas_tenant **out, saas_ctx *ctx, const char *slug,
                         const char *name);

/*
 * Insert the tenant `t` (from saas__tenant_new_row) in `tx`, which it
 * switches to the new tenant, and append "tenant.created" to the tenant's
 * stream and to the deployment's: saas_tenant_create's writes, for callers
 * that create tenants inside a larger transaction. SAAS_EEXISTS (field
 * "slug") when the slug is taken.
 */
int saas__tenant_insert_tx(saas_tx *tx, const saas_scope *scope, const struct saas_tenant *t);

#endif
