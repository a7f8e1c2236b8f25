/* Sessions: a 256-bit token shown once and stored as its BLAKE2b-256 hash,
 * idle and absolute expiry, rotation, revocation, the list of a user's
 * sessions; validation served from a cache bounded in staleness. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "session.h"
#include "../audit/audit.h"

#define TOKEN_PREFIX "sst_"
#define TOKEN_BYTES 32
#define TOKEN_LEN (4 + 43)
/* last_seen_at is written at most this often */
#define TOUCH_MS 60000

static const char *const b64url =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The token's form, before any store access. */
static int token_check(const char *token)
{
	if (!token)
		return saas__err(SAAS_EINVAL, "token", "token is NULL");
	if (strncmp(token, TOKEN_PREFIX, 4) != 0)
		return saas__err(SAAS_EINVAL, "token", "not a session token: it does not start with '"
		                                       TOKEN_PREFIX "'");
	if (strlen(token) != TOKEN_LEN || strspn(token + 4, b64url) != TOKEN_LEN - 4)
		return saas__err(SAAS_EINVAL, "token",
		                 "not a session token: '" TOKEN_PREFIX "' must be followed by 43 "
		                 "base64url characters");
	return SAAS_OK;
}

/* ---- the opaque handle ---------------------------------------------------------------- */

const char *saas_session_id(const saas_session *s) { return s ? s->id : NULL; }
const char *saas_session_user_id(const saas_session *s) { return s ? s->user_id : NULL; }
const char *saas_session_tenant_id(const saas_session *s) { return s ? s->tenant_id : NULL; }
int saas_session_mfa(const saas_session *s) { return s ? s->mfa : 0; }
int64_t saas_session_created_at(const saas_session *s) { return s ? s->created_at : 0; }
int64_t saas_session_last_seen_at(const saas_session *s) { return s ? s->last_seen_at : 0; }
int64_t saas_session_expires_at(const saas_session *s) { return s ? s->expires_at : 0; }
const char *saas_session_ip(const saas_session *s) { return s ? s->ip : NULL; }
const char *saas_session_user_agent(const saas_session *s) { return s ? s->user_agent : NULL; }

int64_t saas_session_idle_expires_at(const saas_session *s)
{
	int64_t t;

	if (!s)
		return 0;
	t = s->last_seen_at + s->idle_ms;
	return t < s->expires_at ? t : s->expires_at;
}

void saas_session_free(saas_session *s)
{
	saas__session_row_free(s);
}

void saas_session_list_free(saas_session **list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		saas__session_row_free(list[i]);
	free(list);
}

static void *session_copy(const void *v)
{
	const struct saas_session *s = v;
	struct saas_session *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	*c = *s;
	c->id = saas__strdup(s->id);
	c->user_id = saas__strdup(s->user_id);
	c->tenant_id = s->tenant_id ? saas__strdup(s->tenant_id) : NULL;
	c->ip = s->ip ? saas__strdup(s->ip) : NULL;
	c->user_agent = s->user_agent ? saas__strdup(s->user_agent) : NULL;
	if (!c->id || !c->user_id || (s->tenant_id && !c->tenant_id) || (s->ip && !c->ip) ||
	    (s->user_agent && !c->user_agent)) {
		saas__session_row_free(c);
		return NULL;
	}
	return c;
}

/* ---- starting one ----------------------------------------------------------------------- */

int saas__session_start_tx(char **out_token, struct saas_session **out, saas_tx *tx,
                           const saas_scope *scope, const struct saas__session_spec *spec)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	const struct saas__auth_policy *pol = saas__auth_policy(ctx);
	struct saas_session *s = calloc(1, sizeof *s);
	char hash[65], *token = NULL;
	int64_t now = saas__now(ctx);
	int rc = SAAS_OK;

	*out_token = NULL;
	if (out)
		*out = NULL;
	if (!s)
		return saas__enomem();
	if (!(token = saas__secret_new(TOKEN_PREFIX, TOKEN_BYTES)) ||
	    !(s->user_id = saas__strdup(spec->user_id)) ||
	    (spec->tenant_id && !(s->tenant_id = saas__strdup(spec->tenant_id))) ||
	    (spec->ip && !(s->ip = saas__strdup(spec->ip))) ||
	    (spec->user_agent && !(s->user_agent = saas__strdup(spec->user_agent))))
		rc = saas__enomem();
	if (!rc)
		rc = saas_id_new(&s->id, ctx, "ses");
	if (!rc) {
		s->mfa = spec->mfa != 0;
		s->created_at = s->last_seen_at = now;
		s->expires_at = spec->expires_at ? spec->expires_at : now + pol->session_absolute_ms;
		s->idle_ms = pol->session_idle_ms;
		saas__secret_hash(hash, token);
		rc = saas__st_session_insert(tx, s, hash);
	}
	if (!rc)
		rc = saas__audit_append_system(tx, scope, spec->action, "session", s->id,
		                               spec->metadata ? json_incref(spec->metadata)
		                                              : json_pack("{s:b}", "mfa", s->mfa));
	if (rc) {
		saas_free_secret(token);
		saas__session_row_free(s);
		return rc;
	}
	*out_token = token;
	if (out)
		*out = s;
	else
		saas__session_row_free(s);
	return SAAS_OK;
}

/* The session's scope fields as the session row stores them. */
static const char *scope_ip(const saas_scope *scope)
{
	return scope ? scope->ip : NULL;
}

static const char *scope_ua(const saas_scope *scope)
{
	return scope ? scope->user_agent : NULL;
}

static int check_tenant_arg(const char *tenant_id)
{
	return tenant_id ? saas__id_check(tenant_id, "ten", "tenant_id") : SAAS_OK;
}

/* The user must exist. */
static int user_exists(saas_tx *tx, const char *user_id)
{
	struct saas_user *u = NULL;
	int rc = saas__st_user_get(&u, tx, user_id);

	saas__user_row_free(u);
	if (rc == SAAS_ENOTFOUND)
		return saas__err(SAAS_ENOTFOUND, "user_id", "user %s does not exist", saas__q(user_id));
	return rc;
}

int saas_session_create(char **out_token, saas_session **out, saas_ctx *ctx,
                        const saas_scope *scope, const char *user_id, const char *tenant_id,
                        int mfa)
{
	struct saas__session_spec spec = {user_id, tenant_id, mfa, scope_ip(scope),
	                                  scope_ua(scope), 0, "session.created", NULL};
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (out_token)
		*out_token = NULL;
	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out_token)
		rc = saas__err(SAAS_EINVAL, "out_token", "out_token is NULL");
	else if (!scope)
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	else if (!(rc = saas__id_check(user_id, "usr", "user_id")))
		rc = check_tenant_arg(tenant_id);
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (!rc) {
		rc = user_exists(tx, user_id);
		if (!rc)
			rc = saas__session_start_tx(out_token, out, tx, scope, &spec);
		if ((rc = saas__tx_finish(tx, rc))) {
			saas_free_secret(*out_token);
			*out_token = NULL;
			if (out) {
				saas__session_row_free(*out);
				*out = NULL;
			}
		}
	}
	saas__op_done(ctx, "session.create", t0, rc);
	return rc;
}

/* ---- validating ---------------------------------------------------------------------------- */

/* Whether `s` may be used at `now`: SAAS_OK or SAAS_EEXPIRED saying why. */
static int session_live(const struct saas_session *s, int64_t now)
{
	if (s->revoked_at)
		return saas__err(SAAS_EEXPIRED, "token", "session %s was revoked", s->id);
	if (now >= s->expires_at)
		return saas__err(SAAS_EEXPIRED, "token",
		                 "session %s has expired (its absolute lifetime ended)", s->id);
	if (now >= s->last_seen_at + s->idle_ms)
		return saas__err(SAAS_EEXPIRED, "token",
		                 "session %s has expired (not used for %lld minutes)", s->id,
		                 (long long)(s->idle_ms / 60000));
	return SAAS_OK;
}

/* Read the session of token hash `hash` from the store. */
static int session_read(struct saas_session **out, saas_ctx *ctx, const char *hash)
{
	saas_tx *tx;
	int rc;

	if ((rc = saas__tx_begin(&tx, ctx, NULL, false)))
		return rc;
	rc = saas__st_session_get_hash(out, tx, hash);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "token", "no session has this token");
	rc = saas__tx_finish(tx, rc);
	if (rc) {
		saas__session_row_free(*out);
		*out = NULL;
	}
	return rc;
}

int saas__session_check(struct saas_session **out, saas_ctx *ctx, const char *token)
{
	struct saas__tcache *cache = saas__auth_cache(ctx, SAAS__CACHE_SESSIONS);
	struct saas_session *s;
	int64_t now = saas__now(ctx);
	char hash[65];
	int rc;

	*out = NULL;
	if ((rc = token_check(token)))
		return rc;
	saas__secret_hash(hash, token);
	s = saas__tcache_get(cache, hash, now, ctx->opts.authz_refresh_ms, session_copy);
	if (!s) {
		if ((rc = session_read(&s, ctx, hash)))
			return rc;
		if (!s->revoked_at)
			saas__tcache_put_copy(cache, hash, s->id, s, session_copy, now);
	}
	s->idle_ms = saas__auth_policy(ctx)->session_idle_ms;
	if ((rc = session_live(s, now))) {
		saas__session_row_free(s);
		return rc;
	}
	if (now - s->last_seen_at >= TOUCH_MS) {
		saas_tx *tx;
		int64_t changed = 0;

		rc = saas__tx_begin(&tx, ctx, NULL, true);
		if (!rc)
			rc = saas__tx_finish(tx, saas__st_session_touch(&changed, tx, s->id, now,
			                                                  now - TOUCH_MS));
		if (rc) {
			saas__session_row_free(s);
			return rc;
		}
		s->last_seen_at = now;
		saas__tcache_put_copy(cache, hash, s->id, s, session_copy, now);
	}
	*out = s;
	return SAAS_OK;
}

int saas_session_validate(saas_session **out, saas_ctx *ctx, const char *token)
{
	struct saas_session *s = NULL;
	int64_t t0;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out)
		rc = saas__err(SAAS_EINVAL, "out", "out is NULL");
	else if (!(rc = saas__session_check(&s, ctx, token)))
		*out = s;
	saas__op_done(ctx, "session.validate", t0, rc);
	return rc;
}

int saas_session_scope(saas_scope **out, const saas_session *s, const char *tenant_id)
{
	if (out)
		*out = NULL;
	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	if (!s)
		return saas__err(SAAS_EINVAL, "session", "session is NULL");
	if (!tenant_id)
		tenant_id = s->tenant_id;
	if (!tenant_id)
		return saas__err(SAAS_EINVAL, "tenant_id",
		                 "session %s acts in no tenant and no tenant_id was given", s->id);
	return saas_scope_new(out, tenant_id, SAAS_ACTOR_USER, s->user_id);
}

/* ---- rotating and revoking --------------------------------------------------------------------- */

int saas_session_rotate(char **out_token, saas_session **out, saas_ctx *ctx, const char *token,
                        const char *tenant_id, int mfa)
{
	struct saas_session *old = NULL;
	saas_scope *scope = NULL;
	saas_tx *tx = NULL;
	int64_t t0, changed = 0;
	int rc;

	if (out_token)
		*out_token = NULL;
	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out_token)
		rc = saas__err(SAAS_EINVAL, "out_token", "out_token is NULL");
	else if (!(rc = check_tenant_arg(tenant_id)))
		rc = saas__session_check(&old, ctx, token);
	if (!rc)
		rc = saas__auth_scope(&scope, old->user_id, old->ip, old->user_agent, NULL);
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (!rc) {
		struct saas__session_spec spec = {old->user_id,
		                                  tenant_id ? tenant_id : old->tenant_id,
		                                  mfa ? 1 : old->mfa,
		                                  old->ip,
		                                  old->user_agent,
		                                  old->expires_at,
		                                  "session.rotated",
		                                  NULL};
		json_t *meta = json_pack("{s:s,s:b}", "replaces", old->id, "mfa", spec.mfa);

		spec.metadata = meta;
		rc = meta ? saas__st_session_revoke(&changed, tx, old->id, saas__now(ctx))
		          : saas__enomem();
		if (!rc && changed == 0)
			rc = saas__err(SAAS_EEXPIRED, "token", "session %s was revoked", old->id);
		if (!rc)
			rc = saas__session_start_tx(out_token, out, tx, scope, &spec);
		json_decref(meta);
		if ((rc = saas__tx_finish(tx, rc))) {
			saas_free_secret(*out_token);
			*out_token = NULL;
			if (out) {
				saas__session_row_free(*out);
				*out = NULL;
			}
		}
	}
	if (old)
		saas__tcache_drop(saas__auth_cache(ctx, SAAS__CACHE_SESSIONS), old->id);
	saas__session_row_free(old);
	saas_scope_free(scope);
	saas__op_done(ctx, "session.rotate", t0, rc);
	return rc;
}

int saas_session_revoke(saas_ctx *ctx, const saas_scope *scope, const char *session_id)
{
	struct saas_session *s = NULL;
	saas_tx *tx = NULL;
	int64_t t0, changed = 0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!scope)
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	else
		rc = saas__id_check(session_id, "ses", "session_id");
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (!rc) {
		rc = saas__st_session_get(&s, tx, session_id);
		if (!rc)
			rc = saas__st_session_revoke(&changed, tx, session_id, saas__now(ctx));
		if (rc == SAAS_ENOTFOUND || (!rc && changed == 0))
			rc = saas__err(SAAS_ENOTFOUND, "session_id",
			               "no session %s that is not revoked already", saas__q(session_id));
		if (!rc)
			rc = saas__audit_append_system(tx, scope, "session.revoked", "session", session_id,
			                               json_pack("{s:s}", "user_id", s->user_id));
		rc = saas__tx_finish(tx, rc);
	}
	if (!rc)
		saas__tcache_drop(saas__auth_cache(ctx, SAAS__CACHE_SESSIONS), session_id);
	saas__session_row_free(s);
	saas__op_done(ctx, "session.revoke", t0, rc);
	return rc;
}

int saas_session_revoke_all(int64_t *out_count, saas_ctx *ctx, const saas_scope *scope,
                            const char *user_id, const char *except_session_id)
{
	saas_tx *tx = NULL;
	char **ids = NULL;
	size_t n = 0;
	int64_t t0, changed = 0;
	int rc;

	if (out_count)
		*out_count = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!scope)
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	else if (!(rc = saas__id_check(user_id, "usr", "user_id")) && except_session_id)
		rc = saas__id_check(except_session_id, "ses", "except_session_id");
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (!rc) {
		rc = user_exists(tx, user_id);
		if (!rc)
			rc = saas__st_session_live_ids(&ids, &n, tx, user_id);
		if (!rc)
			rc = saas__st_session_revoke_user(&changed, tx, user_id, except_session_id,
			                                  saas__now(ctx));
		if (!rc)
			rc = saas__audit_append_system(tx, scope, "session.revoked_all", "user", user_id,
			                               json_pack("{s:I}", "revoked", (json_int_t)changed));
		rc = saas__tx_finish(tx, rc);
	}
	for (size_t i = 0; !rc && i < n; i++)
		if (!except_session_id || strcmp(ids[i], except_session_id) != 0)
			saas__tcache_drop(saas__auth_cache(ctx, SAAS__CACHE_SESSIONS), ids[i]);
	saas__strv_free(ids);
	if (!rc && out_count)
		*out_count = changed;
	saas__op_done(ctx, "session.revoke_all", t0, rc);
	return rc;
}

int saas_session_list(saas_session ***out, size_t *n, saas_ctx *ctx, const char *user_id)
{
	const struct saas__auth_policy *pol;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	pol = saas__auth_policy(ctx);
	if (!out || !n)
		rc = saas__err(SAAS_EINVAL, out ? "n" : "out", "%s is NULL", out ? "n" : "out");
	else
		rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, false);
	if (!rc) {
		rc = saas__st_session_list(out, n, tx, user_id, saas__now(ctx), pol->session_idle_ms);
		rc = saas__tx_finish(tx, rc);
		if (rc && *out) {
			saas_session_list_free(*out, *n);
			*out = NULL;
			*n = 0;
		}
		for (size_t i = 0; !rc && i < *n; i++)
			(*out)[i]->idle_ms = pol->session_idle_ms;
	}
	saas__op_done(ctx, "session.list", t0, rc);
	return rc;
}
