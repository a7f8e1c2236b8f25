/* One-time tokens (saas/token.h): email verification, password reset and
 * magic links. 256 bits, stored as a hash, bound to the user's email,
 * consumed by one conditional update. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "saas/token.h"
#include "auth.h"
#include "../audit/audit.h"
#include "../store/store_mfa.h"

#define TOKEN_BYTES 32
#define PREFIX_LEN 4

static const struct {
	const char *prefix;
	const char *name; /* as stored, in rate limit keys and in audit metadata */
} PURPOSE[SAAS__TOKEN_PURPOSES] = {
	{NULL, NULL},
	{"vfy_", "verify_email"},
	{"rst_", "reset_password"},
	{"mgl_", "magic_link"},
};

static const char BASE64URL[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int check_purpose(int purpose)
{
	if (purpose >= SAAS_TOKEN_VERIFY_EMAIL && purpose <= SAAS_TOKEN_MAGIC_LINK)
		return SAAS_OK;
	return saas__err(SAAS_EINVAL, "purpose",
	                 "purpose %d is not a saas_token_purpose: use 1 (verify email), 2 (reset "
	                 "password) or 3 (magic link)", purpose);
}

/* The arguments of a consumption: the scope, the purpose and the token's
 * form (never echoing it). */
static int check_presented(const saas_scope *scope, int purpose, const char *token)
{
	int rc;

	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	if ((rc = check_purpose(purpose)))
		return rc;
	if (!token)
		return saas__err(SAAS_EINVAL, "token", "token is required");
	if (strnlen(token, SAAS_TOKEN_LEN + 1) != SAAS_TOKEN_LEN ||
	    memcmp(token, PURPOSE[purpose].prefix, PREFIX_LEN) != 0 ||
	    strspn(token + PREFIX_LEN, BASE64URL) != SAAS_TOKEN_LEN - PREFIX_LEN)
		return saas__err(SAAS_EINVAL, "token",
		                 "token is not a %s token: expected '%s' and %d base64url characters",
		                 PURPOSE[purpose].name, PURPOSE[purpose].prefix,
		                 SAAS_TOKEN_LEN - PREFIX_LEN);
	return SAAS_OK;
}

/* ---- issue -------------------------------------------------------------------------- */

/* Take one issue from the user's limit for `purpose`. */
static int take_issue(saas_ctx *ctx, int purpose, const char *user_id)
{
	saas_ratelimit_result r;
	char key[80];
	int rc;

	snprintf(key, sizeof key, "token:%s:%s", PURPOSE[purpose].name, user_id);
	rc = saas__ratelimit_shared(&r, ctx, key, &saas__auth_policy(ctx)->token_issue, 1);
	if (rc == SAAS_ERATELIMIT)
		rc = saas__err(SAAS_ERATELIMIT, "user_id",
		               "too many %s tokens issued for user %s lately: retry in %lld s",
		               PURPOSE[purpose].name, user_id,
		               (long long)((r.retry_after_ms + 999) / 1000));
	return rc;
}

int saas_token_issue(char **out_token, saas_ctx *ctx, const saas_scope *scope, int purpose,
                     const char *user_id, int64_t ttl_ms)
{
	struct saas_user *u = NULL;
	char hash[65] = "";
	char *token = NULL;
	saas_tx *tx = NULL;
	int64_t t0, now;
	int rc;

	if (out_token)
		*out_token = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out_token)
		rc = saas__err(SAAS_EINVAL, "out_token", "out_token is NULL");
	else if (!scope)
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	else if (!(rc = check_purpose(purpose)))
		rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc && ttl_ms != 0 && (ttl_ms < SAAS_TOKEN_TTL_MIN_MS || ttl_ms > SAAS_TOKEN_TTL_MAX_MS))
		rc = saas__err(SAAS_EINVAL, "ttl_ms",
		               "ttl_ms %lld is out of range: use %lld (1 minute) to %lld (30 days), "
		               "or 0 for the policy's lifetime",
		               (long long)ttl_ms, SAAS_TOKEN_TTL_MIN_MS, SAAS_TOKEN_TTL_MAX_MS);
	if (!rc && ttl_ms == 0)
		ttl_ms = saas__auth_policy(ctx)->token_ttl_ms[purpose];
	if (!rc)
		rc = take_issue(ctx, purpose, user_id);
	if (rc)
		goto done;
	if (!(token = saas__secret_new(PURPOSE[purpose].prefix, TOKEN_BYTES))) {
		rc = saas__enomem();
		goto done;
	}
	saas__secret_hash(hash, token);
	if ((rc = saas__tx_begin(&tx, ctx, NULL, true)))
		goto done;
	now = saas__now(ctx);
	rc = saas__st_user_get(&u, tx, user_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "user_id", "user %s does not exist", user_id);
	/* only the newest link of a purpose works */
	if (!rc)
		rc = saas__st_ott_drop_pending(NULL, tx, user_id, PURPOSE[purpose].name);
	if (!rc) {
		rc = saas__st_ott_insert(tx, hash, PURPOSE[purpose].name, user_id, u->email, now,
		                         now + ttl_ms);
		/* 256 random bits: a collision means broken randomness */
		if (rc == SAAS_EEXISTS)
			rc = saas__err(SAAS_EINTERNAL, NULL, "one-time token collision");
	}
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "token.issued", "user", user_id,
		                               json_pack("{s:s, s:I}", "purpose",
		                                         PURPOSE[purpose].name, "expires_at",
		                                         (json_int_t)(now + ttl_ms)));
	if ((rc = saas__tx_finish(tx, rc)))
		goto done;
	*out_token = token;
	token = NULL;
done:
	sodium_memzero(hash, sizeof hash);
	saas_free_secret(token);
	saas__user_row_free(u);
	saas__op_done(ctx, "token.issue", t0, rc);
	return rc;
}

/* ---- consume ------------------------------------------------------------------------ */

/* The stored token of `hash`, or SAAS_ENOTFOUND. */
static int token_get(struct saas__ott **out, saas_tx *tx, const char *hash, int purpose)
{
	int rc = saas__st_ott_get(out, tx, hash, PURPOSE[purpose].name);

	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "token",
		               "no such %s token (or a newer one was issued since)",
		               PURPOSE[purpose].name);
	return rc;
}

/* Why `t` cannot be consumed at `now` (SAAS_OK if it can); `consumed_now`:
 * this transaction has just marked it. */
static int refusal(const struct saas__ott *t, int purpose, int64_t now, bool consumed_now)
{
	const char *name = PURPOSE[purpose].name;
	char when[32];

	if (!consumed_now && t->consumed_at)
		return saas__err(SAAS_EUSED, "token", "this %s token was already used", name);
	if (!consumed_now && t->expires_at <= now) {
		saas__time_rfc3339(when, t->expires_at);
		return saas__err(SAAS_EEXPIRED, "token", "this %s token expired at %s", name, when);
	}
	if (strcmp(t->email, t->user_email) != 0)
		return saas__err(SAAS_ESTATE, "token",
		                 "user %s's email changed since this %s token was issued: issue a "
		                 "new one", t->user_id, name);
	return SAAS_OK;
}

/* Consume the token of `hash` in `tx`; *out_user_id gets its user. */
static int consume_tx(char **out_user_id, saas_tx *tx, const saas_scope *scope, int purpose,
                      const char *hash)
{
	struct saas__ott *t = NULL;
	int64_t now = saas__now(saas__tx_ctx(tx)), changed = 0;
	int rc;

	rc = saas__st_ott_consume(&changed, tx, hash, PURPOSE[purpose].name, now);
	if (!rc)
		rc = token_get(&t, tx, hash, purpose);
	if (!rc)
		rc = refusal(t, purpose, now, changed == 1);
	if (!rc && changed == 0)
		rc = saas__err(SAAS_ECONFLICT, "token", "the token changed while it was consumed");
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "token.consumed", "user", t->user_id,
		                               json_pack("{s:s}", "purpose", PURPOSE[purpose].name));
	if (!rc) {
		*out_user_id = t->user_id;
		t->user_id = NULL;
	}
	saas__ott_row_free(t);
	return rc;
}

int saas_token_consume(char **out_user_id, saas_ctx *ctx, const saas_scope *scope, int purpose,
                       const char *token)
{
	char hash[65] = "";
	char *user_id = NULL;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (out_user_id)
		*out_user_id = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = check_presented(scope, purpose, token);
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (!rc) {
		saas__secret_hash(hash, token);
		rc = saas__tx_finish(tx, consume_tx(&user_id, tx, scope, purpose, hash));
	}
	if (!rc && out_user_id) {
		*out_user_id = user_id;
		user_id = NULL;
	}
	sodium_memzero(hash, sizeof hash);
	free(user_id);
	saas__op_done(ctx, "token.consume", t0, rc);
	return rc;
}

/* ---- password reset ----------------------------------------------------------------- */

/* Whether the token of `hash` could be consumed now, in a read transaction
 * (so that a bad token costs no hashing). */
static int token_usable(saas_ctx *ctx, const char *hash, int purpose)
{
	struct saas__ott *t = NULL;
	saas_tx *tx;
	int rc;

	if ((rc = saas__tx_begin(&tx, ctx, NULL, false)))
		return rc;
	rc = token_get(&t, tx, hash, purpose);
	if (!rc)
		rc = refusal(t, purpose, saas__now(ctx), false);
	saas__ott_row_free(t);
	return saas__tx_finish(tx, rc);
}

int saas_password_reset(saas_ctx *ctx, const saas_scope *scope, const char *token,
                        const char *new_password, size_t len)
{
	char hash[65] = "";
	char *pw_hash = NULL, *user_id = NULL;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = check_presented(scope, SAAS_TOKEN_RESET_PASSWORD, token);
	if (!rc)
		rc = saas_password_check_policy(new_password, len);
	if (rc)
		goto done;
	saas__secret_hash(hash, token);
	if ((rc = token_usable(ctx, hash, SAAS_TOKEN_RESET_PASSWORD)) ||
	    (rc = saas_password_hash(&pw_hash, new_password, len,
	                             &saas__auth_policy(ctx)->password)) ||
	    (rc = saas__tx_begin(&tx, ctx, NULL, true)))
		goto done;
	rc = consume_tx(&user_id, tx, scope, SAAS_TOKEN_RESET_PASSWORD, hash);
	if (!rc)
		rc = saas__password_set_tx(NULL, tx, scope, user_id, pw_hash);
	rc = saas__tx_finish(tx, rc);
done:
	sodium_memzero(hash, sizeof hash);
	saas_free_secret(pw_hash);
	free(user_id);
	saas__op_done(ctx, "password.reset", t0, rc);
	return rc;
}
