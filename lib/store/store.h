/*
 * The store as the modules see it: transactions and typed operations. No SQL
 * crosses this header; every statement lives in lib/store/.
 *
 * A transaction is tenant-scoped (every tenant-data operation acts on the
 * transaction's tenant and no other) or global (the tenant and user
 * catalogues, migrations). Operations report errors through saas__err and
 * return SAAS_E* codes.
 */
#ifndef SAAS_STORE_INTERNAL_H
#define SAAS_STORE_INTERNAL_H

#include <stdbool.h>
#include <jansson.h>

#include "../core/core.h"
#include "driver.h"

/* ---- rows (also the public opaque types of tenant and identity) ----------- */

struct saas_tenant {
	char *id;
	char *slug;
	char *name;
	int status;                /* saas_tenant_status */
	char *suspend_reason;      /* NULL unless suspended */
	int status_before_delete;  /* the status restore goes back to */
	int64_t purge_after;       /* 0 unless pending deletion */
	int64_t created_at;
	int64_t updated_at;
};

struct saas_user {
	char *id;
	char *email;
	char *display_name;
	int64_t created_at;
	int64_t updated_at;
};

struct saas_member {
	char *id;
	char *tenant_id;
	char *user_id;
	char **roles; /* sorted, NULL-terminated */
	size_t nroles;
	int64_t created_at;
	int64_t updated_at;
};

struct saas_invitation {
	char *id;
	char *tenant_id;
	char *email;
	char **roles; /* sorted, NULL-terminated */
	size_t nroles;
	char *invited_by;
	int64_t created_at;
	int64_t expires_at;
	int64_t accepted_at; /* 0 if not */
	char *accepted_by;   /* user id, or NULL */
	int64_t revoked_at;  /* 0 if not */
	int64_t read_at;     /* when it was read: decides "expired" */
};

/* An audit event as stored (strings borrowed). */
struct saas__audit_row {
	int64_t seq;
	int format;             /* version of the canonical encoding */
	const char *prev_hash;  /* 64 hex */
	const char *hash;       /* 64 hex */
	const char *id;
	int64_t occurred_at;
	const char *actor_type;
	const char *actor_id;
	const char *action;
	const char *target_type;
	const char *target_id;
	const char *request_id;
	const char *ip;
	const char *user_agent;
	const char *metadata; /* JSON object text */
	/* format 2 */
	const char *on_behalf_of; /* the user a support actor acts for */
	const char *subject_id;   /* whose personal data `personal` holds */
	const char *personal;     /* that data, encrypted with the subject's key */
	const char *subject_key_id; /* read by queries only: the subject's current key's id */
	const char *subject_key;  /* and that key (base64); NULL if forgotten */
};

void saas__tenant_row_free(struct saas_tenant *t);
void saas__user_row_free(struct saas_user *u);
void saas__member_row_free(struct saas_member *m);
void saas__invitation_row_free(struct saas_invitation *i);

/* ---- the store and its transactions ---------------------------------------- */

struct saas_store;
typedef struct saas_tx saas_tx;

/* Open the store for a URL (memory:, sqlite:PATH, postgres://…). */
int saas__store_open(struct saas_store **out, const char *url, const saas_ctx_options *opts);
void saas__store_free(struct saas_store *s);
const char *saas__store_backend(const struct saas_store *s);

/* Begin a transaction. `tenant_id` NULL: a global transaction. A write
 * transaction takes the database's write lock at once where that matters. */
int saas__tx_begin(saas_tx **out, saas_ctx *ctx, const char *tenant_id, bool write);
/* Commit and free. On failure the transaction is rolled back and freed. */
int saas__tx_commit(saas_tx *tx);
/* Roll back and free. NULL is fine. */
void saas__tx_rollback(saas_tx *tx);
/* Commit if rc is SAAS_OK, else roll back (keeping rc's error); returns the outcome. */
int saas__tx_finish(saas_tx *tx, int rc);
/* The transaction's tenant, or NULL. */
const char *saas__tx_tenant(const saas_tx *tx);
saas_ctx *saas__tx_ctx(const saas_tx *tx);
/* The driver's native connection handle of the transaction (see driver.h):
 * the transaction is started on the server, with its tenant, first. NULL, with
 * the error set, if that fails (the caller then rolls back). */
void *saas__tx_native(const saas_tx *tx);
/* Switch the transaction's tenant (writing to the deployment's stream from a
 * tenant operation, say). NULL makes it global. */
int saas__tx_set_tenant(saas_tx *tx, const char *tenant_id);

/* ---- statements (used by lib/store/ only) ----------------------------------- */

typedef struct saas_stmt saas_stmt;
/* Prepare `q` and bind parameters described by `fmt`: 's' text (NULL binds
 * NULL), 'i' int64_t, 'n' int64_t where 0 binds NULL, 'b' bool (an int) as 0/1. */
int saas__q_open(saas_stmt **out, saas_tx *tx, saas_query *q, const char *fmt, ...);
/* Run `q` for its first row's first column (an integer) into *out (0 when
 * there is no row). Returns 1 with a row, 0 without, or a negative code. */
int saas__q_int_row(int64_t *out, saas_tx *tx, saas_query *q, const char *fmt, ...);
/* 1 row, 0 done, < 0 error. */
int saas__q_step(saas_stmt *st);
const char *saas__q_text(saas_stmt *st, int col);
char *saas__q_dup(saas_stmt *st, int col); /* malloc'd copy, NULL for NULL */
int64_t saas__q_int(saas_stmt *st, int col);
bool saas__q_is_null(saas_stmt *st, int col);
int64_t saas__q_changes(saas_stmt *st);
void saas__q_close(saas_stmt *st);
/* Run a statement to completion; *changed (may be NULL) gets rows changed. */
int saas__q_exec(saas_tx *tx, saas_query *q, int64_t *changed, const char *fmt, ...);
/* saas__q_exec for a write whose result and row count nobody needs: a
 * driver that can (PostgreSQL) sends it with the transaction's next
 * statement or its COMMIT, saving a round trip; its error is then theirs
 * (the transaction fails either way). Others run it at once. */
int saas__q_exec_deferred(saas_tx *tx, saas_query *q, const char *fmt, ...);
/* Remember that the transaction changed `tenant_id`'s authorization data
 * (saas__st_authz_touch); *first tells whether it is the first time. */
int saas__tx_note_touched(bool *first, saas_tx *tx, const char *tenant_id);
/* A row of the current statement as a JSON object (column name → value). */
json_t *saas__q_row_json(saas_stmt *st);

/* ---- migrations -------------------------------------------------------------- */

/* Run a parameterless script of several statements (migrations only). */
int saas__store_exec_script(saas_tx *tx, const char *sql);

int saas__store_migrate(saas_ctx *ctx, int *applied);
int saas__store_schema_version(saas_ctx *ctx, int *db, int *lib);

/* ---- typed operations: tenants (global catalogue) --------------------------- */

int saas__st_tenant_insert(saas_tx *tx, const struct saas_tenant *t);
int saas__st_tenant_get(struct saas_tenant **out, saas_tx *tx, const char *id);
/* The same, locking the row until the transaction ends (PostgreSQL: FOR
 * UPDATE): what a write to the tenant's data takes first. */
int saas__st_tenant_get_for_update(struct saas_tenant **out, saas_tx *tx, const char *id);
int saas__st_tenant_get_slug(struct saas_tenant **out, saas_tx *tx, const char *slug);
/* Tenants with id > after (NULL: from the start), status filter -1 for all. */
int saas__st_tenant_list(struct saas_tenant ***out, size_t *n, saas_tx *tx, int status,
                         const char *after, unsigned limit);
/* Write status, suspend_reason, status_before_delete, purge_after, updated_at. */
int saas__st_tenant_update_state(saas_tx *tx, const struct saas_tenant *t);
/* Ids of tenants pending deletion whose purge_after <= now (at most limit). */
int saas__st_tenant_due(char ***out, size_t *n, saas_tx *tx, int64_t now, unsigned limit);
/* Delete every row of the transaction's tenant in every tenant table, then the
 * tenant row. */
int saas__st_tenant_purge(saas_tx *tx);
/* Every tenant table's rows for the transaction's tenant: {"table":[rows]}, plus
 * "users" (the members' user rows). */
int saas__st_tenant_export_tables(json_t **out, saas_tx *tx);
/* The names of the tables that hold tenant rows, NULL-terminated (for tests). */
extern const char *const saas__tenant_tables[];

/* ---- users (global) ----------------------------------------------------------- */

int saas__st_user_insert(saas_tx *tx, const struct saas_user *u);
int saas__st_user_get(struct saas_user **out, saas_tx *tx, const char *id);
int saas__st_user_get_email(struct saas_user **out, saas_tx *tx, const char *email);

/* ---- memberships (tenant-scoped: the transaction's tenant) ------------------- */

int saas__st_member_insert(saas_tx *tx, const struct saas_member *m);
int saas__st_member_get(struct saas_member **out, saas_tx *tx, const char *user_id);
int saas__st_member_list(struct saas_member ***out, size_t *n, saas_tx *tx, const char *after_id,
                         unsigned limit);
int saas__st_member_set_roles(saas_tx *tx, const char *user_id, char *const *roles, size_t n,
                              int64_t now);
int saas__st_member_delete(saas_tx *tx, const char *user_id);
/* Members holding `role`. */
int saas__st_member_count_role(int64_t *out, saas_tx *tx, const char *role);

/* ---- invitations (tenant-scoped) ---------------------------------------------- */

int saas__st_invitation_insert(saas_tx *tx, const struct saas_invitation *i,
                               const char *token_hash);
int saas__st_invitation_get(struct saas_invitation **out, saas_tx *tx, const char *id);
int saas__st_invitation_get_token(struct saas_invitation **out, saas_tx *tx,
                                  const char *token_hash);
/* Mark accepted if still pending (changed = 0 when someone else got there first). */
int saas__st_invitation_mark_accepted(int64_t *changed, saas_tx *tx, const char *id,
                                      const char *user_id, int64_t now);
int saas__st_invitation_mark_revoked(int64_t *changed, saas_tx *tx, const char *id, int64_t now);

/* ---- audit events (tenant-scoped) --------------------------------------------- */

/* Take the transaction's tenant's stream for appending (other appenders wait
 * until this transaction ends) and read its tail: the last sequence number (0
 * for an empty stream) and its hash (64 zeros for an empty stream). */
int saas__st_audit_tail(int64_t *out_seq, char out_hash[65], saas_tx *tx);
/* Insert an event, chained by the caller, into the transaction's tenant's stream. */
int saas__st_audit_insert(saas_tx *tx, const struct saas__audit_row *e);
/* Count the events of the transaction's tenant (optionally with `action`). */
int saas__st_audit_count(int64_t *out, saas_tx *tx, const char *action);
/* Verification's read (lib/store/ops_audit_verify.c): the events of the
 * transaction's tenant with seq > after_seq, in seq order, at most `limit` of
 * them, each passed to `fn` (its strings valid only during the call). `fn`
 * returns 0 to go on, 1 to stop early (the scan then returns SAAS_OK), or a
 * negative SAAS_E* code, which the scan returns. *out_rows (may be NULL) gets
 * the number of rows passed to `fn`. */
/* The columns of an audit_events row that saas__st_audit_row reads, in its
 * order, for SELECTs inside lib/store (prefix each with the table's alias). */
#define SAAS__AUDIT_COLUMNS(a)                                                              \
	a "seq, " a "format, " a "prev_hash, " a "hash, " a "id, " a "occurred_at, "           \
	a "actor_type, " a "actor_id, " a "action, " a "target_type, " a "target_id, "         \
	a "request_id, " a "ip, " a "user_agent, " a "metadata, " a "on_behalf_of, "           \
	a "subject_id, " a "personal"
#define SAAS__AUDIT_NCOLUMNS 18
/* Fill `r` from the current row of `st` (strings borrowed from `st`). */
void saas__st_audit_row(saas_stmt *st, struct saas__audit_row *r);
int saas__st_audit_scan(size_t *out_rows, saas_tx *tx, int64_t after_seq, unsigned limit,
                        int (*fn)(const struct saas__audit_row *row, void *payload),
                        void *payload);
/* Queries (lib/store/ops_audit_query.c). `f` is a saas_audit_filter already
 * checked by the caller (NULL: every event); 0 and NULL criteria match
 * anything. saas__st_audit_query passes the matching events of the
 * transaction's tenant with seq > after_seq, in seq order, at most `limit`,
 * to `fn` (strings valid only during the call; a non-zero return stops the
 * read and is returned when negative). */
struct saas_audit_filter;
int saas__st_audit_query(saas_tx *tx, const struct saas_audit_filter *f, int64_t after_seq,
                         unsigned limit,
                         int (*fn)(const struct saas__audit_row *row, void *payload),
                         void *payload);
/* How many events of the transaction's tenant match `f`. */
int saas__st_audit_query_count(int64_t *out, saas_tx *tx, const struct saas_audit_filter *f);

/* The signed anchor of a purged stream prefix (audit_anchors), the same
 * fields as a checkpoint, its strings malloc'd (free them with
 * saas__audit_ckpt_clear); *found false (and *out zeroed) when the stream
 * has none. */
struct saas__audit_ckpt;
int saas__st_audit_anchor_get(bool *found, struct saas__audit_ckpt *out, saas_tx *tx);
void saas__audit_ckpt_clear(struct saas__audit_ckpt *c);
int saas__st_audit_anchor_put(saas_tx *tx, const struct saas__audit_ckpt *a);
/* The first seq of the transaction's tenant with occurred_at >= at_ms (0 if none). */
int saas__st_audit_first_at(int64_t *out_seq, saas_tx *tx, int64_t at_ms);
/* The stored hash of event `seq` (*found false when there is none). */
int saas__st_audit_hash_at(bool *found, char out_hash[65], saas_tx *tx, int64_t seq);
/* Delete the events and checkpoints with seq <= through_seq; *out_events
 * gets the number of events deleted. */
int saas__st_audit_delete_through(int64_t *out_events, saas_tx *tx, int64_t through_seq);

/* Subject keys (global table audit_subject_keys; key as base64 text, with
 * its id); both NULL when the subject has none. */
int saas__st_subject_key_get(char **out_key_id, char **out_key, saas_tx *tx,
                             const char *subject_id);
/* Insert unless the subject has a key already. */
int saas__st_subject_key_add(saas_tx *tx, const char *subject_id, const char *key_id,
                             const char *key, int64_t created_at);
/* *out_deleted: whether a key was deleted. */
int saas__st_subject_key_delete(bool *out_deleted, saas_tx *tx, const char *subject_id);

/* ---- custom roles (tenant-scoped; lib/store/ops_rbac.c) -------------------------- */

/* A row of tenant_roles (strings borrowed): permissions and inherits are
 * JSON arrays of strings. */
struct saas__trole {
	const char *name;
	const char *permissions;
	const char *inherits;
	int64_t created_at;
	int64_t updated_at;
};
/* Pass the transaction's tenant's role `name` to `fn`; SAAS_ENOTFOUND (no
 * message) when there is none. */
int saas__st_trole_get(saas_tx *tx, const char *name,
                       int (*fn)(const struct saas__trole *r, void *payload), void *payload);
/* Each of the tenant's roles, by name; `fn` returns 0 to go on, 1 to stop
 * or a negative code (returned). */
int saas__st_trole_list(saas_tx *tx, int (*fn)(const struct saas__trole *r, void *payload),
                        void *payload);
int saas__st_trole_insert(saas_tx *tx, const struct saas__trole *r); /* created_at used */
int saas__st_trole_update(saas_tx *tx, const struct saas__trole *r); /* updated_at used */
int saas__st_trole_delete(saas_tx *tx, const char *name);
/* Members with role `from` get `to` instead; *out_moved: how many had `from`. */
int saas__st_member_roles_move(int64_t *out_moved, saas_tx *tx, const char *from, const char *to);

/* ---- authorization (lib/store/ops_authz.c) -------------------------------------- */

/* A tenant status's stored name as saas_tenant_status, or -1. */
int saas__tenant_status_value(const char *s);

/* Note that what authorization reads of `tenant_id` (its status, memberships,
 * roles, custom roles, support grants) changes in this transaction: when it
 * commits, this process's decision cache drops the tenant at once, and other
 * processes learn of it (SQLite: a row of authz_changes; PostgreSQL: NOTIFY
 * libsaas_authz, sent with the commit). Every store operation that changes
 * one of those calls it; nothing else needs to. */
int saas__st_authz_touch(saas_tx *tx, const char *tenant_id);

/* What one decision needs, in one statement (one round trip): rows of kind
 * 't' (the tenant: a = status name; none if it does not exist), 'm' (a
 * member role: a = role; only for `user_id`), 'r' (a custom role: a = name,
 * b = permissions, c = inherits; with `user_id`, `staff` or `with_roles`),
 * 'g' (a support grant not revoked: a = id, b = role, c = staff or NULL, n =
 * expires_at; only for `staff`, at most one for them and one for every
 * staff), 'k' (an API key `key_id`: a = its permissions as a JSON array, b =
 * its creator, c = revoked_at as text or NULL, n = expires_at or 0; the 'm'
 * rows are then its creator's roles). Strings valid during the call of
 * `fn`, which returns 0 or a negative code. */
struct saas__authz_row {
	char kind;
	const char *a, *b, *c;
	int64_t n;
};
int saas__st_authz_load(saas_tx *tx, const char *user_id, const char *staff, const char *key_id,
                        bool with_roles,
                        int (*fn)(const struct saas__authz_row *r, void *payload), void *payload);

/* Support grants of the transaction's tenant (lib/authz/support.c). */
struct saas__sgrant {
	const char *id;
	const char *staff;      /* NULL: every support actor */
	const char *role;
	const char *granted_by;
	int64_t created_at;
	int64_t expires_at;
	int64_t revoked_at;     /* 0 if not */
};
int saas__st_sgrant_insert(saas_tx *tx, const struct saas__sgrant *g);
/* Revoke the grant `id` (*changed: 0 if there is none not yet revoked). */
int saas__st_sgrant_revoke(int64_t *changed, saas_tx *tx, const char *id, int64_t now);
/* Revoke every grant to the same staff (NULL: to every staff) not yet revoked. */
int saas__st_sgrant_revoke_staff(saas_tx *tx, const char *staff, int64_t now);
/* Each grant, newest first; `fn` returns 0 to go on, 1 to stop or a negative code. */
int saas__st_sgrant_list(saas_tx *tx, int (*fn)(const struct saas__sgrant *g, void *payload),
                         void *payload);

/* Changes to authorization data committed by other processes since the last
 * call: `fn(tenant_id)` for each tenant, `fn(NULL)` when the store cannot
 * tell which (everything is to be dropped). The first call only starts
 * watching. A no-op on memory:. Thread-safe. */
int saas__store_watch(struct saas_store *s, void (*fn)(const char *tenant_id, void *payload),
                      void *payload);

/* Signed checkpoints (lib/store/ops_audit_checkpoint.c; strings borrowed). */
struct saas__audit_ckpt {
	int64_t seq;            /* the event signed */
	const char *hash;       /* its hash, 64 hex */
	int64_t created_at;     /* ms since the epoch */
	const char *key_id;
	const char *signature;  /* base64 ed25519 signature of the statement */
};
int saas__st_audit_ckpt_insert(saas_tx *tx, const struct saas__audit_ckpt *c);
/* The transaction's tenant's last checkpoint (seq 0 and time 0 when none). */
int saas__st_audit_ckpt_last(int64_t *out_seq, int64_t *out_created_at, saas_tx *tx);
/* The checkpoints with seq > after_seq, in seq order, at most `limit`, each
 * with the stored hash of its event (NULL if there is no such event); `fn`
 * returns 0 to go on, 1 to stop, or a negative code (returned). */
int saas__st_audit_ckpt_scan(size_t *out_rows, saas_tx *tx, int64_t after_seq, unsigned limit,
                             int (*fn)(const struct saas__audit_ckpt *c, const char *event_hash,
                                       void *payload),
                             void *payload);

#ifdef SAAS_HAVE_POSTGRES
/* ---- PostgreSQL extension helpers (saas/postgres.h) --------------------------- */

/* Put an application table under the tenant policy (migration 0003's
 * saas_enable_tenant_policy); errors are prefixed with `fn`. */
int saas__st_pg_enable_tenant_policy(saas_tx *tx, const char *table, const char *fn);
/* Grant the application role what the library needs; *citus tells whether
 * Citus was found and its setting applied. */
int saas__st_pg_grant_app_role(saas_tx *tx, const char *role, bool *citus, const char *fn);
/* The error saas__tx_native() left when it could not start the transaction. */
int saas__pg_native_failed(const char *fn);
#endif

#endif
