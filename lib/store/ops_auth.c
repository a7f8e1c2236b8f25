/* Typed operations of the identity primitives: passwords, sessions, API
 * keys and the shared rate limits (store_auth.h). */
#include <stdlib.h>
#include <string.h>

#include "store_auth.h"

void saas__session_row_free(struct saas_session *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->user_id);
	free(s->tenant_id);
	free(s->ip);
	free(s->user_agent);
	free(s);
}

void saas__apikey_row_free(struct saas_apikey *k)
{
	if (!k)
		return;
	free(k->id);
	free(k->tenant_id);
	free(k->name);
	free(k->prefix);
	free(k->env);
	saas__strv_free(k->permissions);
	free(k->created_by);
	free(k);
}

/* Step `st` once: 1 with a row, SAAS_ENOTFOUND (no message set) without,
 * or the error. */
static int one_row(saas_stmt *st)
{
	int rc = saas__q_step(st);

	return rc < 0 ? rc : rc == 0 ? SAAS_ENOTFOUND : 1;
}

/* ---- passwords ---------------------------------------------------------------------- */

static saas_query q_pw_get = SAAS_QUERY("SELECT hash FROM user_passwords WHERE user_id = $1");
static saas_query q_pw_put = SAAS_QUERY(
	"INSERT INTO user_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)"
	" ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at");

int saas__st_password_get(char **out_hash, saas_tx *tx, const char *user_id)
{
	saas_stmt *st;
	int rc;

	*out_hash = NULL;
	if ((rc = saas__q_open(&st, tx, &q_pw_get, "s", user_id)))
		return rc;
	if ((rc = one_row(st)) == 1) {
		rc = (*out_hash = saas__q_dup(st, 0)) ? SAAS_OK : saas__enomem();
	}
	saas__q_close(st);
	return rc;
}

int saas__st_password_put(saas_tx *tx, const char *user_id, const char *hash, int64_t now)
{
	return saas__q_exec(tx, &q_pw_put, NULL, "ssi", user_id, hash, now);
}

/* ---- sessions ------------------------------------------------------------------------ */

#define SES_COLS                                                                             \
	"id, user_id, acting_tenant, mfa, created_at, last_seen_at, expires_at, revoked_at, ip, "    \
	"user_agent"

static saas_query q_ses_insert = SAAS_QUERY(
	"INSERT INTO sessions (" SES_COLS ", token_hash)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
static saas_query q_ses_get_hash = SAAS_QUERY(
	"SELECT " SES_COLS " FROM sessions WHERE token_hash = $1");
static saas_query q_ses_get = SAAS_QUERY("SELECT " SES_COLS " FROM sessions WHERE id = $1");
static saas_query q_ses_touch = SAAS_QUERY(
	"UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $3");
static saas_query q_ses_revoke = SAAS_QUERY(
	"UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL");
static saas_query q_ses_revoke_user = SAAS_QUERY(
	"UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND revoked_at IS NULL"
	" AND (CAST($2 AS TEXT) IS NULL OR id <> $2)");
static saas_query q_ses_live_ids = SAAS_QUERY(
	"SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL");
static saas_query q_ses_list = SAAS_QUERY(
	"SELECT " SES_COLS " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL"
	" AND expires_at > $2 AND last_seen_at > $3 ORDER BY created_at DESC, id DESC");

static int session_row(struct saas_session **out, saas_stmt *st)
{
	struct saas_session *s = calloc(1, sizeof *s);

	*out = NULL;
	if (!s)
		return saas__enomem();
	s->id = saas__q_dup(st, 0);
	s->user_id = saas__q_dup(st, 1);
	s->tenant_id = saas__q_dup(st, 2);
	s->mfa = saas__q_int(st, 3) != 0;
	s->created_at = saas__q_int(st, 4);
	s->last_seen_at = saas__q_int(st, 5);
	s->expires_at = saas__q_int(st, 6);
	s->revoked_at = saas__q_int(st, 7);
	s->ip = saas__q_dup(st, 8);
	s->user_agent = saas__q_dup(st, 9);
	if (!s->id || !s->user_id || (!s->tenant_id && !saas__q_is_null(st, 2)) ||
	    (!s->ip && !saas__q_is_null(st, 8)) || (!s->user_agent && !saas__q_is_null(st, 9))) {
		saas__session_row_free(s);
		return saas__enomem();
	}
	*out = s;
	return SAAS_OK;
}

int saas__st_session_insert(saas_tx *tx, const struct saas_session *s, const char *token_hash)
{
	return saas__q_exec(tx, &q_ses_insert, NULL, "sssiiiinsss", s->id, s->user_id,
	                    s->tenant_id, (int64_t)(s->mfa != 0), s->created_at, s->last_seen_at,
	                    s->expires_at, s->revoked_at, s->ip, s->user_agent, token_hash);
}

static int session_one(struct saas_session **out, saas_tx *tx, saas_query *q, const char *arg)
{
	saas_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, q, "s", arg)))
		return rc;
	if ((rc = one_row(st)) == 1)
		rc = session_row(out, st);
	saas__q_close(st);
	return rc;
}

int saas__st_session_get_hash(struct saas_session **out, saas_tx *tx, const char *token_hash)
{
	return session_one(out, tx, &q_ses_get_hash, token_hash);
}

int saas__st_session_get(struct saas_session **out, saas_tx *tx, const char *id)
{
	return session_one(out, tx, &q_ses_get, id);
}

int saas__st_session_touch(int64_t *changed, saas_tx *tx, const char *id, int64_t now,
                           int64_t before)
{
	return saas__q_exec(tx, &q_ses_touch, changed, "sii", id, now, before);
}

int saas__st_session_revoke(int64_t *changed, saas_tx *tx, const char *id, int64_t now)
{
	return saas__q_exec(tx, &q_ses_revoke, changed, "si", id, now);
}

int saas__st_session_revoke_user(int64_t *changed, saas_tx *tx, const char *user_id,
                                 const char *except, int64_t now)
{
	return saas__q_exec(tx, &q_ses_revoke_user, changed, "ssi", user_id, except, now);
}

int saas__st_session_live_ids(char ***out, size_t *n, saas_tx *tx, const char *user_id)
{
	saas_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = saas__q_open(&st, tx, &q_ses_live_ids, "s", user_id)))
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		char **v = realloc(*out, (*n + 2) * sizeof *v);
		char *id = saas__q_dup(st, 0);

		if (v)
			*out = v;
		if (!v || !id) {
			free(id);
			rc = saas__enomem();
			break;
		}
		v[(*n)++] = id;
		v[*n] = NULL;
	}
	saas__q_close(st);
	if (rc < 0) {
		saas__strv_free(*out);
		*out = NULL;
		*n = 0;
		return rc;
	}
	return SAAS_OK;
}

int saas__st_session_list(struct saas_session ***out, size_t *n, saas_tx *tx, const char *user_id,
                          int64_t now, int64_t idle_ms)
{
	struct saas_session **v = NULL;
	saas_stmt *st;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = saas__q_open(&st, tx, &q_ses_list, "sii", user_id, now, now - idle_ms)))
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		struct saas_session **nv = realloc(v, (cnt + 1) * sizeof *nv);

		if (!nv) {
			rc = saas__enomem();
			break;
		}
		v = nv;
		if ((rc = session_row(&v[cnt], st)))
			break;
		cnt++;
	}
	saas__q_close(st);
	if (rc < 0) {
		for (size_t i = 0; i < cnt; i++)
			saas__session_row_free(v[i]);
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return SAAS_OK;
}

/* ---- API keys ------------------------------------------------------------------------- */

#define KEY_COLS                                                                              \
	"id, tenant_id, name, prefix, env, permissions, created_by, created_at, expires_at, "      \
	"last_used_at, revoked_at"

static saas_query q_key_insert = SAAS_QUERY(
	"INSERT INTO api_keys (" KEY_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
static saas_query q_key_hash_insert = SAAS_QUERY(
	"INSERT INTO api_key_hashes (key_hash, key_tenant, key_id) VALUES ($1, $2, $3)");
static saas_query q_key_lookup = SAAS_QUERY(
	"SELECT key_tenant, key_id FROM api_key_hashes WHERE key_hash = $1");
static saas_query q_key_get = SAAS_QUERY(
	"SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = $1 AND id = $2");
static saas_query q_key_list = SAAS_QUERY(
	"SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC");
static saas_query q_key_revoke = SAAS_QUERY(
	"UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL");
static saas_query q_key_touch = SAAS_QUERY(
	"UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2"
	" AND (last_used_at IS NULL OR last_used_at < $4)");

/* The permissions of a key as stored: a JSON array of strings. */
static int perms_decode(struct saas_apikey *k, const char *text)
{
	json_t *arr = text ? json_loads(text, 0, NULL) : NULL;
	size_t i;
	json_t *v;
	int rc = SAAS_OK;

	if (!json_is_array(arr)) {
		json_decref(arr);
		return saas__err(SAAS_ESTORE, NULL, "API key %s: stored permissions are not a JSON array",
		                 saas__q(k->id));
	}
	k->permissions = calloc(json_array_size(arr) + 1, sizeof *k->permissions);
	if (!k->permissions)
		rc = saas__enomem();
	json_array_foreach(arr, i, v) {
		if (rc)
			break;
		if (!json_is_string(v))
			rc = saas__err(SAAS_ESTORE, NULL, "API key %s: a stored permission is not a string",
			               saas__q(k->id));
		else if (!(k->permissions[k->npermissions] = saas__strdup(json_string_value(v))))
			rc = saas__enomem();
		else
			k->npermissions++;
	}
	json_decref(arr);
	return rc;
}

static int apikey_row(struct saas_apikey **out, saas_stmt *st)
{
	struct saas_apikey *k = calloc(1, sizeof *k);
	int rc;

	*out = NULL;
	if (!k)
		return saas__enomem();
	k->id = saas__q_dup(st, 0);
	k->tenant_id = saas__q_dup(st, 1);
	k->name = saas__q_dup(st, 2);
	k->prefix = saas__q_dup(st, 3);
	k->env = saas__q_dup(st, 4);
	k->created_by = saas__q_dup(st, 6);
	k->created_at = saas__q_int(st, 7);
	k->expires_at = saas__q_int(st, 8);
	k->last_used_at = saas__q_int(st, 9);
	k->revoked_at = saas__q_int(st, 10);
	if (!k->id || !k->tenant_id || !k->name || !k->prefix || !k->env || !k->created_by)
		rc = saas__enomem();
	else
		rc = perms_decode(k, saas__q_text(st, 5));
	if (rc) {
		saas__apikey_row_free(k);
		return rc;
	}
	*out = k;
	return SAAS_OK;
}

int saas__st_apikey_insert(saas_tx *tx, const struct saas_apikey *k, const char *key_hash)
{
	json_t *arr = json_array();
	char *perms = NULL;
	int rc = SAAS_OK;

	for (size_t i = 0; arr && i < k->npermissions; i++)
		if (json_array_append_new(arr, json_string(k->permissions[i])))
			rc = saas__enomem();
	if (!arr || rc || !(perms = json_dumps(arr, JSON_COMPACT))) {
		json_decref(arr);
		return saas__enomem();
	}
	json_decref(arr);
	rc = saas__q_exec(tx, &q_key_insert, NULL, "sssssssinnn", k->id, saas__tx_tenant(tx),
	                  k->name, k->prefix, k->env, perms, k->created_by, k->created_at, k->expires_at,
	                  k->last_used_at, k->revoked_at);
	free(perms);
	return rc ? rc : saas__q_exec(tx, &q_key_hash_insert, NULL, "sss", key_hash,
	                              saas__tx_tenant(tx), k->id);
}

int saas__st_apikey_lookup(char **out_tenant, char **out_id, saas_tx *tx, const char *key_hash)
{
	saas_stmt *st;
	int rc;

	*out_tenant = *out_id = NULL;
	if ((rc = saas__q_open(&st, tx, &q_key_lookup, "s", key_hash)))
		return rc;
	if ((rc = one_row(st)) == 1) {
		*out_tenant = saas__q_dup(st, 0);
		*out_id = saas__q_dup(st, 1);
		rc = SAAS_OK;
		if (!*out_tenant || !*out_id) {
			free(*out_tenant);
			free(*out_id);
			*out_tenant = *out_id = NULL;
			rc = saas__enomem();
		}
	}
	saas__q_close(st);
	return rc;
}

int saas__st_apikey_get(struct saas_apikey **out, saas_tx *tx, const char *id)
{
	saas_stmt *st;
	int rc;

	*out = NULL;
	if ((rc = saas__q_open(&st, tx, &q_key_get, "ss", saas__tx_tenant(tx), id)))
		return rc;
	if ((rc = one_row(st)) == 1)
		rc = apikey_row(out, st);
	saas__q_close(st);
	return rc;
}

int saas__st_apikey_list(struct saas_apikey ***out, size_t *n, saas_tx *tx)
{
	struct saas_apikey **v = NULL;
	saas_stmt *st;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = saas__q_open(&st, tx, &q_key_list, "s", saas__tx_tenant(tx))))
		return rc;
	while ((rc = saas__q_step(st)) == 1) {
		struct saas_apikey **nv = realloc(v, (cnt + 1) * sizeof *nv);

		if (!nv) {
			rc = saas__enomem();
			break;
		}
		v = nv;
		if ((rc = apikey_row(&v[cnt], st)))
			break;
		cnt++;
	}
	saas__q_close(st);
	if (rc < 0) {
		for (size_t i = 0; i < cnt; i++)
			saas__apikey_row_free(v[i]);
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return SAAS_OK;
}

int saas__st_apikey_revoke(int64_t *changed, saas_tx *tx, const char *id, int64_t now)
{
	int rc = saas__q_exec(tx, &q_key_revoke, changed, "ssi", saas__tx_tenant(tx), id, now);

	return rc ? rc : saas__st_authz_touch(tx, saas__tx_tenant(tx));
}

int saas__st_apikey_touch(int64_t *changed, saas_tx *tx, const char *id, int64_t now,
                          int64_t before)
{
	return saas__q_exec(tx, &q_key_touch, changed, "ssii", saas__tx_tenant(tx), id, now, before);
}

/* ---- shared rate limits ------------------------------------------------------------------ */

static saas_query q_rate_get = SAAS_QUERY("SELECT tat FROM rate_limits WHERE key = $1");
static saas_query q_rate_new = SAAS_QUERY(
	"INSERT INTO rate_limits (key, tat, expires_at) VALUES ($1, $2, $3)"
	" ON CONFLICT (key) DO NOTHING");
static saas_query q_rate_cas = SAAS_QUERY(
	"UPDATE rate_limits SET tat = $3, expires_at = $4 WHERE key = $1 AND tat = $2");
static saas_query q_rate_delete = SAAS_QUERY("DELETE FROM rate_limits WHERE key = $1");
static saas_query q_rate_prune = SAAS_QUERY("DELETE FROM rate_limits WHERE expires_at < $1");

int saas__st_rate_get(bool *found, int64_t *tat, saas_tx *tx, const char *key)
{
	saas_stmt *st;
	int rc;

	*found = false;
	*tat = 0;
	if ((rc = saas__q_open(&st, tx, &q_rate_get, "s", key)))
		return rc;
	if ((rc = saas__q_step(st)) == 1) {
		*found = true;
		*tat = saas__q_int(st, 0);
	}
	saas__q_close(st);
	return rc < 0 ? rc : SAAS_OK;
}

int saas__st_rate_cas(int64_t *changed, saas_tx *tx, const char *key, bool found, int64_t old,
                      int64_t tat, int64_t expires_at)
{
	if (!found)
		return saas__q_exec(tx, &q_rate_new, changed, "sii", key, tat, expires_at);
	return saas__q_exec(tx, &q_rate_cas, changed, "siii", key, old, tat, expires_at);
}

int saas__st_rate_delete(saas_tx *tx, const char *key)
{
	return saas__q_exec(tx, &q_rate_delete, NULL, "s", key);
}

int saas__st_rate_prune(saas_tx *tx, int64_t now)
{
	return saas__q_exec(tx, &q_rate_prune, NULL, "i", now);
}
