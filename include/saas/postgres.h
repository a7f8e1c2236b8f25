/**
 * @file saas/postgres.h
 * @brief PostgreSQL extension: the application's own tables under the tenant rules.
 *
 * The one public header that exposes a dependency's type (libpq's `PGconn`),
 * so it is not part of the umbrella header `saas.h`: include it explicitly,
 * and only if you use these calls,
 *
 * @code
 * #include <saas.h>
 * #include <saas/postgres.h>   // needs libpq's headers: pkg-config --cflags libpq
 * @endcode
 *
 * and link libpq yourself if you call it (`pkg-config --libs libsaas libpq`).
 * It is installed only when libsaas is built with PostgreSQL support; the
 * functions exist only in such a build.
 *
 * - saas_pg_enable_tenant_policy() puts a table of yours that has a
 *   `tenant_id` column under the same row-level security as the library's
 *   own tenant tables.
 * - saas_pg_with_tenant() runs your callback with a libpq connection inside a
 *   transaction on the scope's tenant: every statement it runs sees, and may
 *   write, only that tenant's rows.
 * - saas_pg_grant_app_role() grants the application's (non-owner) role what
 *   the library needs, and nothing more (`saasctl migrate --grant ROLE`).
 *
 * Every function here refuses a context that is not on PostgreSQL with
 * `SAAS_EINVAL`. docs/postgres.md shows the two-role setup they are part of.
 *
 * Thread safety: each function may be called from any thread on a shared
 * context; a callback runs on the calling thread.
 */
#ifndef SAAS_POSTGRES_H
#define SAAS_POSTGRES_H

#include <libpq-fe.h>

#include "saas/context.h"

SAAS_BEGIN_DECL

/**
 * Put an application table under the library's tenant rules.
 *
 * Enables and forces row-level security on `table` and (re)creates one
 * policy, `saas_tenant_isolation`, for reads (`USING`) and writes
 * (`WITH CHECK`): `tenant_id = current_setting('saas.tenant_id', true)`,
 * without subqueries, exactly as on the library's tenant tables. From then
 * on a transaction sees and may write only the rows of the tenant it names
 * (saas_pg_with_tenant() names the scope's), and one that names no tenant
 * sees none and can write none, whatever its SQL says. Running it again is
 * harmless.
 *
 * Run it as the role that owns the table (normally the one that runs the
 * migrations), not as the application's role: the context's URL must
 * connect as that owner. The table keeps its other restrictive policies;
 * another *permissive* policy would widen what a tenant sees, so a table with
 * one is refused. Follow the schema rules too (docs/storage.md): `tenant_id`
 * leads the table's primary key, unique constraints and foreign keys to
 * other tenant tables. The table name never becomes part of SQL text: it is
 * checked against a pattern and bound as a parameter.
 *
 * @param ctx   a context on PostgreSQL.
 * @param table the table: `name` or `schema.name`, each part matching
 *              `[A-Za-z_][A-Za-z0-9_]{0,62}` and taken as SQL would take it
 *              unquoted (folded to lower case); unqualified names are looked
 *              up in the connection's `search_path`. Borrowed for the call.
 * @return `SAAS_OK`;
 *         `SAAS_EINVAL` if `ctx` or `table` is NULL, the context is not on
 *         PostgreSQL, the name does not match the pattern (field `table`),
 *         the relation is not a table, has no `tenant_id` column or one that
 *         is not `text`, or has another permissive policy (the message says
 *         which);
 *         `SAAS_ENOTFOUND` if no such table (or schema) exists (field `table`);
 *         `SAAS_EDENIED` if the connected role does not own the table or may
 *         not run the library's helper (the application's role may not);
 *         `SAAS_ESTORE` if the database fails or the table stays locked past
 *         `busy_timeout_ms`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_pg_enable_tenant_policy(saas_ctx *ctx, const char *table);

/**
 * A callback run inside a tenant-scoped transaction by saas_pg_with_tenant().
 *
 * It runs on the thread that called saas_pg_with_tenant(). `conn` is the
 * transaction's connection, borrowed for the call: do not keep it, close it,
 * or use it from another thread. Use it with libpq's synchronous calls
 * (`PQexecParams`, `PQexec`, ...), and consume every result before
 * returning. Every statement sees and may write only the rows of the scope's
 * tenant in each table under the tenant rules (the library's and those given
 * to saas_pg_enable_tenant_policy()).
 *
 * Do not end the transaction (`COMMIT`, `ROLLBACK`) or change the session
 * beyond it: use `SET LOCAL`, never `SET` (a session setting outlives the
 * transaction on a pooled connection), and no `SET ROLE`, `DEALLOCATE`,
 * `DISCARD`, `LISTEN`, session-level advisory locks or pipeline mode left on.
 * Calls into libsaas from the callback run in transactions of their own, on
 * other pooled connections (with `pool_size` 1 they wait for this one, and
 * fail after `acquire_timeout_ms`).
 *
 * @param conn    the transaction's connection (borrowed).
 * @param payload what was passed to saas_pg_with_tenant().
 * @return 0 to commit; anything else to roll back.
 */
typedef int (*saas_pg_fn)(PGconn *conn, void *payload);

/**
 * Run `fn` with a libpq connection inside a write transaction on the scope's
 * tenant, then commit if it returns 0, or roll back.
 *
 * The transaction is opened as the library's own writes are: the tenant must
 * exist and be writable (not suspended, not scheduled for deletion), its row
 * is checked and locked (`FOR UPDATE`) inside the transaction, so writers to
 * one tenant take turns until it ends (keep `fn` short), and the tenant is set
 * for row-level
 * security with `SET LOCAL` (through `saas_set_tenant`), so it ends with the
 * transaction. If a check fails, `fn` is not called. Nothing is audited:
 * write your own events if the change needs one.
 *
 * @param ctx     a context on PostgreSQL; its URL connects as the
 *                application's role (row-level security does not bind a
 *                superuser or a role with `BYPASSRLS`).
 * @param scope   the tenant and actor (borrowed for the call).
 * @param fn      the callback (see ::saas_pg_fn for its rules).
 * @param payload passed to `fn` unchanged (may be NULL).
 * @return `SAAS_OK` when `fn` returned 0 and the transaction committed;
 *         `SAAS_EUSER` when `fn` returned non-zero (rolled back; the message
 *         gives the value);
 *         `SAAS_EINVAL` if `ctx`, `fn` or `scope` is NULL, the scope has no
 *         tenant, the context is not on PostgreSQL, or `fn` ended the
 *         transaction itself or left a command in progress (then what it did
 *         before a `COMMIT` of its own is committed, what is left is rolled
 *         back, and a connection left unusable is closed);
 *         `SAAS_ENOTFOUND` if the tenant does not exist;
 *         `SAAS_ESUSPENDED` if it is suspended;
 *         `SAAS_EDELETED` if it is scheduled for deletion;
 *         `SAAS_ESTORE` if the database fails (including a statement of `fn`
 *         that failed while `fn` still returned 0: the transaction was
 *         aborted, so it is rolled back), or the commit fails;
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_pg_with_tenant(saas_ctx *ctx, const saas_scope *scope, saas_pg_fn fn,
                                     void *payload);

/**
 * Grant the application's role what the library needs, and nothing more.
 *
 * Run it as the owner of the schema, after migrating (`saasctl migrate
 * --grant ROLE` does both). Grants `role`: `USAGE` on the schema;
 * `SELECT, INSERT, UPDATE, DELETE` on the library's tables `tenants`,
 * `users`, `memberships`, `member_roles`, `invitations` and `audit_events`;
 * `SELECT` on `saas_schema_migrations` (to check the schema version when a
 * context opens); `EXECUTE` on `saas_set_tenant`. Where the `citus`
 * extension is installed, it also sets `citus.propagate_set_commands =
 * 'local'` for the role (`ALTER ROLE ... SET`, which needs the owner to have
 * `CREATEROLE`), so that the tenant reaches the worker nodes. Privileges on
 * your own tables are yours to grant. Running it again is harmless; run it
 * after each upgrade, since a new version may add tables.
 *
 * The role must be one row-level security binds: a superuser, a role with
 * `BYPASSRLS`, and the owner of the tables (or a member of the owner) are
 * refused. The grant is recorded in the deployment's audit stream
 * (`store.app_role_granted`, target the role) in the same transaction.
 *
 * @param ctx   a context on PostgreSQL whose URL connects as the owner.
 * @param scope a deployment-wide scope (no tenant) naming the actor (borrowed).
 * @param role  the role's name, exactly as in the catalogue (not folded), at
 *              most 63 bytes; bound as a parameter, never spliced. Borrowed.
 * @return `SAAS_OK`;
 *         `SAAS_EINVAL` if `ctx`, `scope` or `role` is NULL, the scope has a
 *         tenant, the context is not on PostgreSQL, the name is empty, too
 *         long or has control characters (field `role`), or the role is a
 *         superuser, has `BYPASSRLS` or owns the tables (the message says
 *         which, field `role`);
 *         `SAAS_ENOTFOUND` if no such role exists (field `role`);
 *         `SAAS_EDENIED` if the connected role may not grant these (it is
 *         not the owner) or may not run the library's helper;
 *         `SAAS_ESTORE` if the database fails; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_pg_grant_app_role(saas_ctx *ctx, const saas_scope *scope,
                                        const char *role);

SAAS_END_DECL

#endif
