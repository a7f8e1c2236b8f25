/*
 * Private core of libsaas: errors, memory, time text, validation, hashing,
 * logging and the context's layout. Never installed. Internal functions are
 * `saas__*` and stay hidden.
 */
#ifndef SAAS_CORE_INTERNAL_H
#define SAAS_CORE_INTERNAL_H

#include <stdbool.h>
#include <stdarg.h>
#include <pthread.h>
#include <jansson.h>

#include "saas/common.h"
#include "saas/context.h"

/* ---- errors ---------------------------------------------------------------- */

/* Record the error of this thread and return `code`. `field` may be NULL. */
int saas__err(int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* saas__err with a ready message (copied, at most 511 bytes), without
 * formatting: for hot paths. */
int saas__err_text(int code, const char *field, const char *text);
/* Shorthand for an out-of-memory error. */
int saas__enomem(void);
/* Quote untrusted text for a message: at most 64 bytes, control bytes as '?'.
 * Returns a pointer into a thread-local buffer ring (4 slots). */
const char *saas__q(const char *s);

/* ---- memory and strings ---------------------------------------------------- */

char *saas__strdup(const char *s);
void *saas__calloc(size_t n, size_t size);
/* Render `ms` since the epoch as RFC 3339 UTC with milliseconds into buf[32]. */
void saas__time_rfc3339(char buf[32], int64_t ms);
/* json string or null */
json_t *saas__json_str_or_null(const char *s);
json_t *saas__json_time(int64_t ms); /* RFC 3339 text, or null for 0 */
/* Dump `v` compactly into a malloc'd string (sorted keys) and decref it. NULL on OOM. */
char *saas__json_take_dump(json_t *v);

/* ---- validation (PCRE2 patterns compiled once per process) ----------------- */

enum saas__pattern {
	SAAS__PAT_SLUG,
	SAAS__PAT_EMAIL,
	SAAS__PAT_ROLE,
	SAAS__PAT_METRIC,
	SAAS__PAT_ID_PREFIX,
	SAAS__PAT_COUNT
};
bool saas__match(enum saas__pattern p, const char *s);
/* UTF-8 text of 1..max bytes (min 0 if allow_empty) without control characters. */
int saas__check_text(const char *field, const char *s, size_t max, bool allow_empty);
/* An IPv4 or IPv6 address in text (SAAS_EINVAL naming `field` otherwise). */
int saas__check_ip(const char *field, const char *ip);
int saas__check_slug(const char *slug);
/* 1 to max printable ASCII characters without spaces (an actor's name). */
int saas__check_label(const char *field, const char *s, size_t max);
int saas__check_role(const char *role);
/* Sort, fold duplicates and validate 1..16 role names; *out is a NULL-terminated
 * malloc'd array of malloc'd strings (free with saas__strv_free). */
int saas__roles_normalize(char ***out, size_t *out_n, const char *const *roles, size_t n);
void saas__strv_free(char **v);
/* qsort/bsearch comparator of two `char *` elements (strcmp order). */
int saas__cmp_str(const void *a, const void *b);
/* Roles as one canonical text (comma-separated, sorted). */
char *saas__strv_join(char *const *v, size_t n, char sep);

/* Format an id of `prefix` (2 to 8 of a-z, not checked) for time `ms` and 10
 * random bytes into `out` (room for the prefix, '_', SAAS_ID_BODY_LEN and a
 * NUL): saas_id_new without its checks, allocation or randomness, for
 * callers that make many ids at once. */
void saas__id_format(char *out, const char *prefix, int64_t ms, const unsigned char rnd[10]);

/* Check an id's form and prefix; errors name `field`. */
int saas__id_check(const char *id, const char *prefix, const char *field);

/* ---- crypto ---------------------------------------------------------------- */

/* Random URL-safe secret of `nbytes` random bytes, base64url without padding,
 * with a prefix (e.g. "ivt_"). */
char *saas__secret_new(const char *prefix, size_t nbytes);
/* BLAKE2b-256 of a secret, as 64 lower-case hex characters into out[65]. */
void saas__secret_hash(char out[65], const char *secret);

/* A context option holding JSON text or "file:PATH" (rbac_policy,
 * auth_policy): *out the parsed value, NULL when `value` is NULL;
 * SAAS_EINVAL with field `option` when it cannot be read or parsed. */
int saas__json_option(json_t **out, const char *option, const char *value);

/* Initialise libcurl once per process (any thread): SAAS_OK, or
 * SAAS_EINTERNAL naming libcurl's error. */
int saas__curl_ready(void);

/* ---- the context ----------------------------------------------------------- */

struct saas_store;
struct saas_metrics;
struct saas__audit_keys;
struct saas__authz;
/* The decision cache (lib/authz/cache.c): made when the context opens. */
int saas__authz_new(struct saas__authz **out, const saas_ctx_options *opts, bool watch);
void saas__authz_free(struct saas__authz *a);
struct saas__auth;
/* The auth policy and caches (lib/auth/policy.c): made when the context opens. */
int saas__auth_new(struct saas__auth **out, const char *policy);
void saas__auth_free(struct saas__auth *a);
struct saas__billing;
/* The billing caches (lib/billing/plans.c): the catalogue versions read
 * and the tenants' entitlement views. Made when the context opens. */
int saas__billing_new(struct saas__billing **out);
void saas__billing_free(struct saas__billing *b);
struct saas_tx;
/* A hook the identity module calls inside the transaction that adds a
 * member, before the row is written (the tenant row is locked): billing's
 * seat limit (lib/billing/entitlement.c). SAAS_ELIMIT refuses. */
typedef int (*saas__member_hook)(struct saas_tx *tx);
int saas__billing_seat_hook(struct saas_tx *tx);
/* Free the audit keys (wiping the secret); lib/audit/checkpoint.c. */
void saas__audit_keys_free(struct saas__audit_keys *k);

struct saas_ctx {
	saas_ctx_options opts;     /* its strings point at the copies below */
	char *audit_signing_key;   /* copy of opts.audit_signing_key */
	char *audit_redact_keys;   /* copy of opts.audit_redact_keys */
	/* The audit signing key (lib/audit/checkpoint.c), loaded once, lazily,
	 * under audit_key_mu; the trusted older public keys too. */
	struct saas__audit_keys *audit_keys;
	struct saas__rbac *rbac;   /* the role catalog (lib/rbac), fixed at open */
	struct saas__authz *authz; /* the decision cache (lib/authz) */
	struct saas__auth *auth;   /* the auth policy and caches (lib/auth) */
	struct saas__billing *billing; /* the billing caches (lib/billing) */
	saas__member_hook member_adding; /* billing's seat limit */
	pthread_mutex_t audit_key_mu;
	struct saas_store *store;
	struct saas_metrics *metrics;
};

struct saas_scope {
	char *tenant_id;
	int actor_type;
	char *actor_id;
	char *request_id;
	char *ip;
	char *user_agent;
	char *actor_email;   /* personal: stored encrypted in audit events */
	char *on_behalf_of;  /* support actors: the user they act for */
	uint64_t key_hash;   /* saas__scope_key_hash of tenant, actor type and id */
};

/* A hash of (tenant, actor type, actor id): the decision cache's key, made
 * once per scope. */
uint64_t saas__scope_key_hash(const char *tenant_id, int actor_type, const char *actor_id);

int64_t saas__now(saas_ctx *ctx);

/* Log a message with optional fields (a JSON object, stolen; may be NULL). */
void saas__log(saas_ctx *ctx, int level, const char *msg, json_t *fields);

/* Metrics used by the library itself. */
int saas__metrics_new(struct saas_metrics **out);
void saas__metrics_free(struct saas_metrics *m);
/* Count an operation and its latency: op_total{op}, op_errors_total{op}, op_seconds{op}. */
void saas__op_done(saas_ctx *ctx, const char *op, int64_t start_ns, int rc);
int64_t saas__mono_ns(void);

/* Tell the decision cache (lib/authz/cache.c) that `tenant_id`'s
 * authorization data changed and the change has committed (the store calls
 * it; see saas__st_authz_touch). */
void saas__authz_changed(saas_ctx *ctx, const char *tenant_id);

/* Scope checks shared by the modules. */
int saas__scope_tenant(const saas_scope *scope);  /* scope with a tenant */
int saas__scope_global(const saas_scope *scope);  /* scope without a tenant */

#endif
