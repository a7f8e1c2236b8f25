/*
 * The authorization module's inside (docs/authz.md): the decision record,
 * what the cache holds for one (tenant, actor), and the rules that turn it
 * into a decision.
 */
#ifndef SAAS_AUTHZ_INTERNAL_H
#define SAAS_AUTHZ_INTERNAL_H

#include "saas/authz.h"
#include "saas/rbac.h"
#include "../rbac/rbac.h"
#include "../store/store.h"

#define SAAS__AUTHZ_MAX_ROLES 16
#define SAAS__AUTHZ_ROLES_TEXT (SAAS__AUTHZ_MAX_ROLES * 66)

struct saas_decision {
	bool set;
	bool allowed;
	int reason;
	int actor_type;
	int tenant_status;            /* saas_tenant_status, -1 when not found */
	char tenant_id[40];
	char actor_id[130];
	char permission[SAAS_PERMISSION_MAX + 1];
	char role[65];
	char pattern[SAAS_PERMISSION_MAX + 1];
	char grant_id[40];
	int64_t grant_expires_at;
	char roles[SAAS__AUTHZ_ROLES_TEXT]; /* the member's roles, comma-separated */
	char feature[65];             /* SAAS_REASON_PLAN_LACKS_FEATURE: the feature */
};

/* A support grant as a cached actor holds it. */
struct saas__agrant {
	char id[40];
	char role_name[65];
	const struct saas__role *role; /* NULL: a role that no longer exists */
	int64_t expires_at;
};

/* What one (tenant, actor) compiles to: everything a decision needs. What
 * every decision reads comes first (the cache's entries hold it in the
 * cache lines after their key). */
struct saas__actor {
	int status;                    /* the tenant's; -1 when it does not exist */
	bool roles_text_inline;        /* roles_text is not the actor's to free */
	size_t nroles;                 /* a user's roles; 0: not a member */
	const char *roles_text;        /* role names comma-separated, or NULL */
	size_t roles_len;
	const struct saas__role *roles[SAAS__AUTHZ_MAX_ROLES]; /* NULL: unknown role */
	char *role_names[SAAS__AUTHZ_MAX_ROLES];        /* sorted, as roles */
	struct saas__agrant grants[2]; /* a support actor's: their own, every staff's */
	size_t ngrants;
	struct saas__role *owned;      /* compiled custom roles the above point into */
	size_t nowned;
	/* An API key's: whether the tenant has it, whether it was revoked, its
	 * expiry (0: never), its patterns compiled (NULL when not found); its
	 * creator's roles are the roles above. */
	bool key_found, key_revoked;
	int64_t key_expires_at;
	struct saas__role *key_role;
};

void saas__actor_clear(struct saas__actor *a);

/* Load what (tenant, actor) compiles to, in one read of the store. */
int saas__actor_load(struct saas__actor *out, saas_ctx *ctx, const char *tenant_id,
                     int actor_type, const char *actor_id);

/* Compile the role `role` of the transaction's tenant (catalog or custom)
 * into out->roles[0] (NULL if no such role exists), in `tx`. */
int saas__role_load(struct saas__actor *out, saas_tx *tx, saas_ctx *ctx, const char *role);

/* Decide `p` (text `perm`) for the scope's actor, compiled into `a`, at
 * time `now`; fills `d` (which may not be NULL). Returns whether it
 * allowed. */
bool saas__actor_decide(saas_decision *d, saas_ctx *ctx, const struct saas__actor *a,
                        const saas_scope *scope, const struct saas__perm *p, const char *perm,
                        int64_t now);

/* The cache (cache.c): look the scope's (tenant, actor) up, loading it on a
 * miss, and decide under its lock. Returns SAAS_OK with *allowed set, or an
 * error from loading (no decision). With the cache off it loads every time. */
int saas__authz_decide(bool *allowed, saas_decision *d, saas_ctx *ctx, const saas_scope *scope,
                       const struct saas__perm *p, const char *perm);

/* Whether a denial of `perm` to the scope's actor is to be audited now: not
 * when the same one was, in this process, less than a minute ago (it is
 * then counted). *repeats gets how many were not recorded since the last
 * recorded one. */
bool saas__authz_denial_due(int64_t *repeats, saas_ctx *ctx, const saas_scope *scope,
                            const char *perm, int64_t now);

/* The decision's one-line explanation into buf. */
void saas__decision_text(char *buf, size_t size, const saas_decision *d);

/* saas_authorize without auditing a denial and without setting the denial
 * as the thread's error: SAAS_OK allowed, SAAS_EDENIED denied (d filled),
 * or an error. For the library's own checks (support grants). */
int saas__authorize_quiet(saas_decision *d, saas_ctx *ctx, const saas_scope *scope,
                          const char *permission);

#endif
