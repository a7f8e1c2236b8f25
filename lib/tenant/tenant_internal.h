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

#endif
