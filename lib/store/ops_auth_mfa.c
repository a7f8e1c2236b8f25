/* Typed operations of TOTP factors, recovery codes and one-time tokens
 * (store_mfa.h). Every table here is global. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_mfa.h"

/* Step `st` to its first row: 1, or SAAS_ENOTFOUND (no message) or an
 * error after closing it. */
static int first_row(saas_stmt *st)
{
	int rc = saas__q_step(st);

	if (rc <= 0)
		saas__q_close(st);
	return rc < 0 ? rc : rc == 0 ? SAAS_ENOTFOUND : 1;
}

/* ---- TOTP factors ------------------------------------------------------------------- */

static saas_query q_totp_get = SAAS_QUERY(
	"SELECT secret, algorithm, digits, last_step, created_at, confirmed_at"
	" FROM user_totp WHERE user_id = $1");
/* a pending factor is replaced; a confirmed one is kept (0 rows changed) */
static saas_query q_totp_put_pending = SAAS_QUERY(
	"INSERT INTO user_totp (user_id, secret, algorithm, digits, last_step, created_at,"
	" confirmed_at) VALUES ($1, $2, $3, $4, 0, $5, NULL)"
	" ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret,"
	" algorithm = excluded.algorithm, digits = excluded.digits, last_step = 0,"
	" created_at = excluded.created_at WHERE user_totp.confirmed_at IS NULL");
static saas_query q_totp_confirm = SAAS_QUERY(
	"UPDATE user_totp SET confirmed_at = $4, last_step = $3"
	" WHERE user_id = $1 AND secret = $2 AND confirmed_at IS NULL");
static saas_query q_totp_advance = SAAS_QUERY(
	"UPDATE user_totp SET last_step = $2"
	" WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2");
static saas_query q_totp_delete = SAAS_QUERY("DELETE FROM user_totp WHERE user_id = $1");

void saas__totp_row_free(struct saas__totp *f)
{
	if (!f)
		return;
	saas_free_secret(f->secret);
	free(f->algorithm);
	free(f);
}

int saas__st_totp_get(struct saas__totp **out, saas_tx *tx, const char *user_id)
{
	struct saas__totp *f;
	saas_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, &q_totp_get, "s", user_id)) || (rc = first_row(st)) != 1)
		return rc;
	f = calloc(1, sizeof *f);
	if (f) {
		f->secret = saas__q_dup(st, 0);
		f->algorithm = saas__q_dup(st, 1);
		f->digits = (int)saas__q_int(st, 2);
		f->last_step = saas__q_int(st, 3);
		f->created_at = saas__q_int(st, 4);
		f->confirmed_at = saas__q_int(st, 5);
	}
	saas__q_close(st);
	if (!f || !f->secret || !f->algorithm) {
		saas__totp_row_free(f);
		return saas__enomem();
	}
	*out = f;
	return SAAS_OK;
}

int saas__st_totp_put_pending(int64_t *changed, saas_tx *tx, const char *user_id,
                              const struct saas__totp *f)
{
	return saas__q_exec(tx, &q_totp_put_pending, changed, "sssii", user_id, f->secret,
	                    f->algorithm, (int64_t)f->digits, f->created_at);
}

int saas__st_totp_confirm(int64_t *changed, saas_tx *tx, const char *user_id, const char *secret,
                          int64_t step, int64_t now)
{
	return saas__q_exec(tx, &q_totp_confirm, changed, "ssii", user_id, secret, step, now);
}

int saas__st_totp_advance(int64_t *changed, saas_tx *tx, const char *user_id, int64_t step)
{
	return saas__q_exec(tx, &q_totp_advance, changed, "si", user_id, step);
}

/* ---- recovery codes ------------------------------------------------------------------- */

static saas_query q_rc_delete = SAAS_QUERY("DELETE FROM user_recovery_codes WHERE user_id = $1");
static saas_query q_rc_insert = SAAS_QUERY(
	"INSERT INTO user_recovery_codes (user_id, id, code_hash, created_at) VALUES ($1, $2, $3, $4)");
static saas_query q_rc_scan = SAAS_QUERY(
	"SELECT id, code_hash, used_at FROM user_recovery_codes WHERE user_id = $1"
	" ORDER BY CASE WHEN used_at IS NULL THEN 0 ELSE 1 END, id");
static saas_query q_rc_use = SAAS_QUERY(
	"UPDATE user_recovery_codes SET used_at = $3"
	" WHERE user_id = $1 AND id = $2 AND used_at IS NULL");
static saas_query q_rc_left = SAAS_QUERY(
	"SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL");

int saas__st_totp_delete(int64_t *changed, saas_tx *tx, const char *user_id)
{
	int rc = saas__q_exec(tx, &q_rc_delete, NULL, "s", user_id);

	return rc ? rc : saas__q_exec(tx, &q_totp_delete, changed, "s", user_id);
}

int saas__st_recovery_replace(saas_tx *tx, const char *user_id, char *const *hashes, size_t n,
                              int64_t now)
{
	int rc = saas__q_exec(tx, &q_rc_delete, NULL, "s", user_id);

	for (size_t i = 0; !rc && i < n; i++) {
		char id[24];

		snprintf(id, sizeof id, "%zu", i + 1);
		rc = saas__q_exec(tx, &q_rc_insert, NULL, "sssi", user_id, id, hashes[i], now);
	}
	return rc;
}

int saas__st_recovery_scan(saas_tx *tx, const char *user_id,
                           int (*fn)(const char *id, const char *hash, bool used, void *payload),
                           void *payload)
{
	saas_stmt *st;
	int rc;

	if ((rc = saas__q_open(&st, tx, &q_rc_scan, "s", user_id)))
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		rc = fn(saas__q_text(st, 0), saas__q_text(st, 1), !saas__q_is_null(st, 2), payload);
		if (rc)
			break;
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_recovery_use(int64_t *changed, saas_tx *tx, const char *user_id, const char *id,
                          int64_t now)
{
	return saas__q_exec(tx, &q_rc_use, changed, "ssi", user_id, id, now);
}

int saas__st_recovery_left(int64_t *out, saas_tx *tx, const char *user_id)
{
	int rc = saas__q_int_row(out, tx, &q_rc_left, "s", user_id);

	return rc < 0 ? rc : SAAS_OK;
}

/* ---- one-time tokens ---------------------------------------------------------------- */

static saas_query q_ott_insert = SAAS_QUERY(
	"INSERT INTO one_time_tokens (token_hash, purpose, user_id, email, created_at, expires_at)"
	" VALUES ($1, $2, $3, $4, $5, $6)");
static saas_query q_ott_drop_pending = SAAS_QUERY(
	"DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL");
static saas_query q_ott_consume = SAAS_QUERY(
	"UPDATE one_time_tokens SET consumed_at = $3 WHERE token_hash = $1 AND purpose = $2"
	" AND consumed_at IS NULL AND expires_at > $3");
static saas_query q_ott_get = SAAS_QUERY(
	"SELECT t.user_id, t.email, u.email, t.created_at, t.expires_at, t.consumed_at"
	" FROM one_time_tokens t JOIN users u ON u.id = t.user_id"
	" WHERE t.token_hash = $1 AND t.purpose = $2");

void saas__ott_row_free(struct saas__ott *t)
{
	if (!t)
		return;
	free(t->user_id);
	free(t->email);
	free(t->user_email);
	free(t);
}

int saas__st_ott_insert(saas_tx *tx, const char *token_hash, const char *purpose,
                        const char *user_id, const char *email, int64_t created_at,
                        int64_t expires_at)
{
	return saas__q_exec(tx, &q_ott_insert, NULL, "ssssii", token_hash, purpose, user_id, email,
	                    created_at, expires_at);
}

int saas__st_ott_drop_pending(int64_t *changed, saas_tx *tx, const char *user_id,
                              const char *purpose)
{
	return saas__q_exec(tx, &q_ott_drop_pending, changed, "ss", user_id, purpose);
}

int saas__st_ott_consume(int64_t *changed, saas_tx *tx, const char *token_hash,
                         const char *purpose, int64_t now)
{
	return saas__q_exec(tx, &q_ott_consume, changed, "ssi", token_hash, purpose, now);
}

int saas__st_ott_get(struct saas__ott **out, saas_tx *tx, const char *token_hash,
                     const char *purpose)
{
	struct saas__ott *t;
	saas_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, &q_ott_get, "ss", token_hash, purpose)) ||
	    (rc = first_row(st)) != 1)
		return rc;
	t = calloc(1, sizeof *t);
	if (t) {
		t->user_id = saas__q_dup(st, 0);
		t->email = saas__q_dup(st, 1);
		t->user_email = saas__q_dup(st, 2);
		t->created_at = saas__q_int(st, 3);
		t->expires_at = saas__q_int(st, 4);
		t->consumed_at = saas__q_int(st, 5);
	}
	saas__q_close(st);
	if (!t || !t->user_id || !t->email || !t->user_email) {
		saas__ott_row_free(t);
		return saas__enomem();
	}
	*out = t;
	return SAAS_OK;
}
