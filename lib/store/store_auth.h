/*
 * Typed operations of the identity primitives (lib/store/ops_auth.c):
 * passwords, sessions, API keys and the shared rate limits. Users'
 * passwords, sessions, key hashes and rate limits are global tables; API
 * keys are a tenant table.
 */
#ifndef SAAS_STORE_AUTH_H
#define SAAS_STORE_AUTH_H

#include "store.h"

/* A session row (also the public opaque saas_session). */
struct saas_session {
	char *id;
	char *user_id;
	char *tenant_id;  /* NULL: none */
	int mfa;
	int64_t created_at;
	int64_t last_seen_at;
	int64_t expires_at;
	int64_t revoked_at; /* 0 if not */
	char *ip;
	char *user_agent;
	int64_t idle_ms;    /* the policy's idle time when read (not stored) */
};

/* An API key row (also the public opaque saas_apikey). */
struct saas_apikey {
	char *id;
	char *tenant_id;
	char *name;
	char *prefix;
	char *env;
	char **permissions; /* NULL-terminated */
	size_t npermissions;
	char *created_by;
	int64_t created_at;
	int64_t expires_at;   /* 0: never */
	int64_t last_used_at; /* 0: never */
	int64_t revoked_at;   /* 0: not */
};

void saas__session_row_free(struct saas_session *s);
void saas__apikey_row_free(struct saas_apikey *k);

/* ---- passwords (global) ---- */
/* The user's password hash; SAAS_ENOTFOUND (no message) when none. */
int saas__st_password_get(char **out_hash, saas_tx *tx, const char *user_id);
/* Insert or replace. */
int saas__st_password_put(saas_tx *tx, const char *user_id, const char *hash, int64_t now);

/* ---- sessions (global) ---- */
int saas__st_session_insert(saas_tx *tx, const struct saas_session *s, const char *token_hash);
/* By token hash; SAAS_ENOTFOUND (no message) when none. */
int saas__st_session_get_hash(struct saas_session **out, saas_tx *tx, const char *token_hash);
/* By id; SAAS_ENOTFOUND (no message) when none. */
int saas__st_session_get(struct saas_session **out, saas_tx *tx, const char *id);
/* last_seen_at = now if it is older than `before` (*changed: 0 or 1). */
int saas__st_session_touch(int64_t *changed, saas_tx *tx, const char *id, int64_t now,
                           int64_t before);
/* Revoke one session not yet revoked (*changed: 0 or 1). */
int saas__st_session_revoke(int64_t *changed, saas_tx *tx, const char *id, int64_t now);
/* Revoke every live session of `user_id` but `except` (NULL: none). */
int saas__st_session_revoke_user(int64_t *changed, saas_tx *tx, const char *user_id,
                                 const char *except, int64_t now);
/* The ids of the sessions saas__st_session_revoke_user would revoke (to drop
 * them from caches), NULL-terminated. */
int saas__st_session_live_ids(char ***out, size_t *n, saas_tx *tx, const char *user_id);
/* `user_id`'s sessions neither revoked nor expired at `now` with idle time
 * `idle_ms`, newest first. */
int saas__st_session_list(struct saas_session ***out, size_t *n, saas_tx *tx, const char *user_id,
                          int64_t now, int64_t idle_ms);

/* ---- API keys ---- */
/* Insert the key (tenant table, the transaction's tenant) and its hash (global). */
int saas__st_apikey_insert(saas_tx *tx, const struct saas_apikey *k, const char *key_hash);
/* The tenant and id a key hash belongs to (global); SAAS_ENOTFOUND (no message). */
int saas__st_apikey_lookup(char **out_tenant, char **out_id, saas_tx *tx, const char *key_hash);
/* A key of the transaction's tenant; SAAS_ENOTFOUND (no message). */
int saas__st_apikey_get(struct saas_apikey **out, saas_tx *tx, const char *id);
/* Every key of the transaction's tenant, newest first. */
int saas__st_apikey_list(struct saas_apikey ***out, size_t *n, saas_tx *tx);
/* Revoke a key not yet revoked (*changed: 0 or 1); touches authorization. */
int saas__st_apikey_revoke(int64_t *changed, saas_tx *tx, const char *id, int64_t now);
/* last_used_at = now if it is NULL or older than `before`. */
int saas__st_apikey_touch(int64_t *changed, saas_tx *tx, const char *id, int64_t now,
                          int64_t before);

/* ---- shared rate limits (global) ---- */
/* The key's TAT (*found false when it has no row). */
int saas__st_rate_get(bool *found, int64_t *tat, saas_tx *tx, const char *key);
/* Compare and set: store `tat` (row expiring at `expires_at`) if the key's
 * TAT is still `old` (`found` false: if it still has no row). *changed 0:
 * another process got there first. */
int saas__st_rate_cas(int64_t *changed, saas_tx *tx, const char *key, bool found, int64_t old,
                      int64_t tat, int64_t expires_at);
int saas__st_rate_delete(saas_tx *tx, const char *key);
/* Delete rows whose expires_at < now (back to a full burst). */
int saas__st_rate_prune(saas_tx *tx, int64_t now);

#endif
