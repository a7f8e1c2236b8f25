/**
 * @file saas/context.h
 * @brief The context (store, clock, logger, metrics) and the scope every tenant call takes.
 *
 * A `saas_ctx` is created once per process from a storage URL and shared by
 * all threads: every function taking a `saas_ctx *` may be called on the same
 * context from several threads at once. A `saas_scope` (tenant + actor +
 * request data) belongs to one thread at a time.
 */
#ifndef SAAS_CONTEXT_H
#define SAAS_CONTEXT_H

#include "saas/common.h"

SAAS_BEGIN_DECL

/** A library context. Opaque; thread-safe. */
typedef struct saas_ctx saas_ctx;

/**
 * A clock: milliseconds since the Unix epoch (UTC). Called from any thread
 * that uses the context, so it must be thread-safe. `payload` is the
 * `clock_payload` given in the options.
 */
typedef int64_t (*saas_clock_fn)(void *payload);

/** Log levels, in increasing severity. */
typedef enum saas_log_level {
	SAAS_LOG_DEBUG = 0,
	SAAS_LOG_INFO = 1,
	SAAS_LOG_WARN = 2,
	SAAS_LOG_ERROR = 3
} saas_log_level;

/**
 * A log sink. `line` is one JSON object without a trailing newline, with at
 * least `level`, `time` (RFC 3339, UTC) and `msg`, plus event fields. It never
 * contains secrets (tokens, passwords, keys). `line` is borrowed for the call.
 * Called from whichever thread logged; must be thread-safe.
 */
typedef void (*saas_log_fn)(int level, const char *line, void *payload);

/** `auto_migrate`: apply pending migrations when the context opens (the default). */
#define SAAS_MIGRATE_AUTO 1
/** `auto_migrate`: refuse to open a database that needs migrations (`SAAS_ESTORE`). */
#define SAAS_MIGRATE_REFUSE 0
/**
 * `auto_migrate`: open whatever the schema version (only refusing one newer
 * than the library); the caller runs saas_store_migrate() before any other
 * call. For migration tools that report what they applied.
 */
#define SAAS_MIGRATE_DEFER 2

/** Current version of `saas_ctx_options`. */
#define SAAS_CTX_OPTIONS_VERSION 1

/** Options for saas_ctx_open(). Start from `SAAS_CTX_OPTIONS_INIT` or saas_ctx_options_init(). */
typedef struct saas_ctx_options {
	unsigned version;          /**< `SAAS_CTX_OPTIONS_VERSION` */
	saas_clock_fn clock;       /**< NULL: the system's real-time clock */
	void *clock_payload;       /**< passed to `clock` */
	saas_log_fn log;           /**< NULL: no logging */
	void *log_payload;         /**< passed to `log` */
	int log_level;             /**< lowest level passed to `log` (default `SAAS_LOG_INFO`) */
	int auto_migrate;          /**< `SAAS_MIGRATE_AUTO` (default), `SAAS_MIGRATE_REFUSE` or `SAAS_MIGRATE_DEFER` */
	unsigned busy_timeout_ms;  /**< wait at most this long for a lock (default 5000): SQLite's busy timeout, PostgreSQL's lock_timeout */
	unsigned pool_size;        /**< maximum connections held (default 8; memory: always 1) */
	unsigned acquire_timeout_ms; /**< wait at most this long for a free connection (default 10000) */
	int sqlite_synchronous_full; /**< SQLite: non-zero (default) for `synchronous=FULL`, else NORMAL */
	/**
	 * Where the ed25519 key that signs audit checkpoints comes from (copied):
	 * `"file:PATH"` or `"env:NAME"`; NULL (default): the environment variable
	 * `SAAS_AUDIT_SIGNING_KEY` if set, else checkpoints cannot be made. The
	 * key is never stored in the database. See saas/audit.h.
	 */
	const char *audit_signing_key;
	unsigned audit_checkpoint_every;   /**< sign a checkpoint every N events of a stream (default 0: on demand only) */
	unsigned audit_checkpoint_seconds; /**< also when a stream's last checkpoint is older than this at an append (default 0: never) */
	/**
	 * Extra metadata keys to redact before hashing, comma-separated, added to
	 * the built-in list (password, secret, token, authorization, card number
	 * and the like); NULL (default): the built-in list only. Copied.
	 */
	const char *audit_redact_keys;
	/**
	 * The application's role policy (saas/rbac.h, docs/rbac.md): JSON text,
	 * or `"file:PATH"` of a JSON file, read when the context opens; NULL
	 * (default): the built-in roles only. A malformed policy makes
	 * saas_ctx_open() fail with `SAAS_EINVAL`, field `"rbac_policy"`.
	 */
	const char *rbac_policy;
	/**
	 * The decision cache of saas_authorize() (saas/authz.h): at most this
	 * many (tenant, actor) pairs are held, the least recently used dropped
	 * first (default 100000; 0 turns the cache off: every decision reads
	 * the store).
	 */
	unsigned authz_cache_size;
	/**
	 * How stale a cached decision may be with respect to changes made by
	 * other processes, in ms (default 1000): at most this often the cache
	 * asks the store what changed. 0 asks on every decision. Changes made
	 * through this context are seen at once whatever it says.
	 */
	unsigned authz_refresh_ms;
	/**
	 * The identity primitives' policy (saas/auth.h, docs/auth.md,
	 * "Policy"): JSON text, or `"file:PATH"` of a JSON file, read when the
	 * context opens: the Argon2id cost, session lifetimes, sign-in and MFA
	 * rate limits, one-time token lifetimes, the API key environment. NULL
	 * (default): every default. A malformed policy makes saas_ctx_open()
	 * fail with `SAAS_EINVAL`, field `"auth_policy"`.
	 */
	const char *auth_policy;
} saas_ctx_options;

/** Static initialiser for `saas_ctx_options` with every default. */
#define SAAS_CTX_OPTIONS_INIT \
	{ SAAS_CTX_OPTIONS_VERSION, NULL, NULL, NULL, NULL, SAAS_LOG_INFO, 1, 5000, 8, 10000, 1, \
	  NULL, 0, 0, NULL, NULL, 100000, 1000, NULL }

/**
 * Fill `opts` with the defaults of `SAAS_CTX_OPTIONS_INIT` (for callers that
 * cannot use macros).
 *
 * @return `SAAS_OK`, or `SAAS_EINVAL` if `opts` is NULL or `version` is not
 *         one this library knows.
 */
SAAS_EXTERN(int) saas_ctx_options_init(saas_ctx_options *opts, unsigned version);

/**
 * Open a context on a storage URL.
 *
 * URLs: `memory:` (a private SQLite in-memory database, gone when the context
 * is freed), `sqlite:PATH` (a SQLite file, created when missing; WAL, foreign
 * keys on), and, when built with PostgreSQL, `postgres://…` / `postgresql://…`.
 *
 * @param out   receives the context; free it with saas_ctx_free().
 * @param url   the storage URL (borrowed).
 * @param opts  options, or NULL for the defaults (borrowed; copied).
 * @return `SAAS_OK`; `SAAS_EINVAL` for a NULL/unknown/malformed URL or bad
 *         options; `SAAS_ESTORE` if the database cannot be opened, is newer
 *         than this library, or needs migrations while `auto_migrate` is
 *         `SAAS_MIGRATE_REFUSE`;
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_ctx_open(saas_ctx **out, const char *url, const saas_ctx_options *opts);

/** Close a context: every connection is closed. `ctx` may be NULL. No call on it may be running. */
SAAS_EXTERN(void) saas_ctx_free(saas_ctx *ctx);

/** The context's current time in milliseconds since the epoch (from its clock). */
SAAS_EXTERN(int64_t) saas_ctx_now(saas_ctx *ctx);

/** The name of the context's storage backend: `"memory"`, `"sqlite"` or `"postgres"`. Static string. */
SAAS_EXTERN(const char *) saas_ctx_backend(const saas_ctx *ctx);

/**
 * A ready-made log sink that writes each line, with a newline, to standard
 * error. Pass it as `opts.log`; `payload` is ignored.
 */
SAAS_EXTERN(void) saas_log_stderr(int level, const char *line, void *payload);

/** Who performs an operation. */
typedef enum saas_actor_type {
	SAAS_ACTOR_SYSTEM = 0,  /**< the deployment itself (a job, an operator tool); id names it */
	SAAS_ACTOR_USER = 1,    /**< a user (`usr_…`) */
	SAAS_ACTOR_APIKEY = 2,  /**< an API key (`key_…`) */
	SAAS_ACTOR_SUPPORT = 3  /**< support staff acting on behalf of the tenant; id names the staff member */
} saas_actor_type;

/**
 * A scope: the tenant a call acts on, who acts, and request data for the audit
 * log. Belongs to one thread at a time.
 */
typedef struct saas_scope saas_scope;

/**
 * Create a scope.
 *
 * @param out        receives the scope; free with saas_scope_free().
 * @param tenant_id  the tenant (`ten_…`), or NULL for deployment-wide calls
 *                   (creating a tenant or a user, admin listings).
 * @param actor_type one of `saas_actor_type`.
 * @param actor_id   who acts: a user or key id, or for system and support a
 *                   name of 1 to 128 printable ASCII characters
 *                   without spaces. Copied.
 * @return `SAAS_OK`; `SAAS_EINVAL` if the tenant id is malformed, the actor
 *         type unknown, or the actor id missing or malformed; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_scope_new(saas_scope **out, const char *tenant_id, int actor_type,
                                const char *actor_id);

/**
 * Set the request id recorded with audit events (1 to 128 printable
 * characters, or NULL to clear). Copied.
 * @return `SAAS_OK`, `SAAS_EINVAL` naming the bad value, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_scope_set_request_id(saas_scope *scope, const char *request_id);

/**
 * Set the client's IP address (IPv4 or IPv6 text, or NULL to clear). Copied.
 * @return `SAAS_OK`, `SAAS_EINVAL` if it is not an IP address, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_scope_set_ip(saas_scope *scope, const char *ip);

/**
 * Set the client's user agent (at most 512 bytes of printable text, or NULL
 * to clear). Copied.
 * @return `SAAS_OK`, `SAAS_EINVAL`, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_scope_set_user_agent(saas_scope *scope, const char *user_agent);

/**
 * Set the actor's email, recorded with audit events as personal data:
 * encrypted with the actor's audit key, never in the clear (see "Personal
 * data" in docs/audit.md). NULL clears it. Normalised and copied.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `"email"`) if it is not an email
 *         address; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_scope_set_actor_email(saas_scope *scope, const char *email);

/**
 * For a support actor (`SAAS_ACTOR_SUPPORT`, whose id names the staff
 * member): the user they act on behalf of, so that audit events carry both
 * identities: a user id (`usr_…`), or NULL to clear. Copied.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `"on_behalf_of"`) for another
 *         actor type or a malformed id; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_scope_set_on_behalf_of(saas_scope *scope, const char *user_id);

/** The scope's tenant id, or NULL. Borrowed. */
SAAS_EXTERN(const char *) saas_scope_tenant_id(const saas_scope *scope);

/** The scope's actor type (`saas_actor_type`). */
SAAS_EXTERN(int) saas_scope_actor_type(const saas_scope *scope);

/** The scope's actor id. Borrowed. */
SAAS_EXTERN(const char *) saas_scope_actor_id(const saas_scope *scope);

/** Free a scope. `scope` may be NULL. */
SAAS_EXTERN(void) saas_scope_free(saas_scope *scope);

SAAS_END_DECL

#endif
