/*
 * Typed operations of TOTP factors, recovery codes and one-time tokens
 * (lib/store/ops_auth_mfa.c). All three tables are global: run them in a
 * global transaction.
 */
#ifndef SAAS_STORE_MFA_H
#define SAAS_STORE_MFA_H

#include "store.h"

/* ---- TOTP factors (user_totp) ---- */

/* A user's factor as stored. The secret is base32 text: wipe it. */
struct saas__totp {
	char *secret;
	char *algorithm;     /* "SHA1", "SHA256" or "SHA512" */
	int digits;
	int64_t last_step;   /* the newest time step accepted */
	int64_t created_at;
	int64_t confirmed_at; /* 0: pending */
};
/* Free a factor, wiping its secret. NULL is fine. */
void saas__totp_row_free(struct saas__totp *f);

/* The user's factor; SAAS_ENOTFOUND (no message) when there is none. */
int saas__st_totp_get(struct saas__totp **out, saas_tx *tx, const char *user_id);
/* Store `f` as the user's pending factor, replacing a pending one.
 * *changed 0: the user has a confirmed factor (left as it is). */
int saas__st_totp_put_pending(int64_t *changed, saas_tx *tx, const char *user_id,
                              const struct saas__totp *f);
/* Confirm the pending factor whose secret is `secret`, accepting `step`
 * (*changed 0: there is no such pending factor any more). */
int saas__st_totp_confirm(int64_t *changed, saas_tx *tx, const char *user_id, const char *secret,
                          int64_t step, int64_t now);
/* Compare and set: last_step = step if the confirmed factor's last_step is
 * older (*changed 0: it is not, or there is no confirmed factor). */
int saas__st_totp_advance(int64_t *changed, saas_tx *tx, const char *user_id, int64_t step);
/* Delete the user's factor, pending or confirmed, and every recovery code
 * (*changed: factors deleted, 0 or 1). */
int saas__st_totp_delete(int64_t *changed, saas_tx *tx, const char *user_id);

/* ---- recovery codes (user_recovery_codes) ---- */

/* Replace all the user's codes by `n` Argon2id strings, ids "1" to "n". */
int saas__st_recovery_replace(saas_tx *tx, const char *user_id, char *const *hashes, size_t n,
                              int64_t now);
/* Each of the user's codes, unused ones first: `fn` gets its id, its hash
 * and whether it was used (strings valid during the call) and returns 0 to
 * go on, 1 to stop, or a negative code (returned). */
int saas__st_recovery_scan(saas_tx *tx, const char *user_id,
                           int (*fn)(const char *id, const char *hash, bool used, void *payload),
                           void *payload);
/* Mark code `id` used if it is not yet (*changed: 0 or 1). */
int saas__st_recovery_use(int64_t *changed, saas_tx *tx, const char *user_id, const char *id,
                          int64_t now);
/* How many of the user's codes are unused. */
int saas__st_recovery_left(int64_t *out, saas_tx *tx, const char *user_id);

/* ---- one-time tokens (one_time_tokens) ---- */

/* A token as stored, with the current email of its user. */
struct saas__ott {
	char *user_id;
	char *email;        /* the user's email when it was issued */
	char *user_email;   /* the user's email now */
	int64_t created_at;
	int64_t expires_at;
	int64_t consumed_at; /* 0: not consumed */
};
void saas__ott_row_free(struct saas__ott *t);

/* Store a token by its hash. */
int saas__st_ott_insert(saas_tx *tx, const char *token_hash, const char *purpose,
                        const char *user_id, const char *email, int64_t created_at,
                        int64_t expires_at);
/* Delete the user's unconsumed tokens of `purpose` (*changed: how many). */
int saas__st_ott_drop_pending(int64_t *changed, saas_tx *tx, const char *user_id,
                              const char *purpose);
/* Mark a token of `purpose` consumed at `now` if it is neither consumed nor
 * expired (*changed: 0 or 1). */
int saas__st_ott_consume(int64_t *changed, saas_tx *tx, const char *token_hash,
                         const char *purpose, int64_t now);
/* A token of `purpose` by its hash; SAAS_ENOTFOUND (no message) when none. */
int saas__st_ott_get(struct saas__ott **out, saas_tx *tx, const char *token_hash,
                     const char *purpose);

#endif
