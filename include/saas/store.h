/**
 * @file saas/store.h
 * @brief Schema migrations of the context's store.
 *
 * The schema is a numbered list of migrations embedded in the library. They
 * are recorded in `saas_schema_migrations`, applied in order, each in its own
 * transaction, and applying them twice (or from two processes at once) is
 * harmless. Thread-safe.
 */
#ifndef SAAS_STORE_H
#define SAAS_STORE_H

#include "saas/context.h"

SAAS_BEGIN_DECL

/**
 * Apply every pending migration.
 *
 * @param out_applied receives how many migrations this call applied (may be NULL).
 * @return `SAAS_OK`; `SAAS_ESTORE` if a migration fails (that migration is
 *         rolled back; earlier ones stay) or the database is newer than this
 *         library.
 */
SAAS_EXTERN(int) saas_store_migrate(saas_ctx *ctx, int *out_applied);

/**
 * The schema version of the database (the highest applied migration, 0 for
 * an empty database) and of this library.
 *
 * @param out_db      receives the database's version (may be NULL).
 * @param out_library receives the library's latest version (may be NULL).
 * @return `SAAS_OK`, `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_store_schema_version(saas_ctx *ctx, int *out_db, int *out_library);

SAAS_END_DECL

#endif
