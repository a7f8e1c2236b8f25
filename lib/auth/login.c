/* saas_login: email and password (and a second factor), rate-limited per
 * account and per IP address before any hashing, the same answer in the
 * same time for an unknown email as for a wrong password, rehash on
 * success, and the session with its audit event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "session.h"
#include "saas/identity.h"
#include "../audit/audit.h"

/* The one message of every credential failure. */
#define BAD_CREDENTIALS "email or password is wrong"

int saas_login_request_init(saas_login_request *req, unsigned version)
{
	saas_login_request def = SAAS_LOGIN_REQUEST_INIT;

	if (!req)
		return saas__err(SAAS_EINVAL, "req", "req is NULL");
	if (version != SAAS_LOGIN_REQUEST_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "saas_login_request version %u is not supported (this library knows %d)",
		                 version, SAAS_LOGIN_REQUEST_VERSION);
	*req = def;
	return SAAS_OK;
}

static int check_request(const saas_login_request *req)
{
	int rc;

	if (!req)
		return saas__err(SAAS_EINVAL, "req", "req is NULL");
	if (req->version != SAAS_LOGIN_REQUEST_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "saas_login_request version %u is not supported (this library knows %d)",
		                 req->version, SAAS_LOGIN_REQUEST_VERSION);
	if (!req->password && req->password_len)
		return saas__err(SAAS_EINVAL, "password", "password is NULL");
	if (req->password_len > SAAS_PASSWORD_MAX_BYTES)
		return saas__err(SAAS_EINVAL, "password", "password is longer than %d bytes",
		                 SAAS_PASSWORD_MAX_BYTES);
	if (req->tenant_id && (rc = saas__id_check(req->tenant_id, "ten", "tenant_id")))
		return rc;
	return req->ip ? saas__check_ip("ip", req->ip) : SAAS_OK;
}

/* Take one attempt from `key`'s shared limit; a refusal names `field`. */
static int take(int64_t *retry_ms, saas_ctx *ctx, const char *key,
                const saas_ratelimit_policy *p, const char *field, const char *what)
{
	saas_ratelimit_result r;
	int rc = saas__ratelimit_shared(&r, ctx, key, p, 1);

	if (rc == SAAS_ERATELIMIT) {
		*retry_ms = r.retry_after_ms;
		return saas__err(SAAS_ERATELIMIT, field,
		                 "too many sign-in attempts for this %s: retry in %lld s", what,
		                 (long long)((r.retry_after_ms + 999) / 1000));
	}
	return rc;
}

/* The user of `email` and their password hash; both NULL when either is
 * missing. */
static int lookup(struct saas_user **u, char **hash, saas_ctx *ctx, const char *email)
{
	saas_tx *tx;
	int rc;

	*u = NULL;
	*hash = NULL;
	if ((rc = saas__tx_begin(&tx, ctx, NULL, false)))
		return rc;
	rc = saas__st_user_get_email(u, tx, email);
	if (!rc)
		rc = saas__st_password_get(hash, tx, (*u)->id);
	if (rc == SAAS_ENOTFOUND) {
		saas_error_clear();
		rc = SAAS_OK;
	}
	rc = saas__tx_finish(tx, rc);
	if (rc || !*hash) {
		saas__user_row_free(*u);
		*u = NULL;
	}
	return rc;
}

/* A failed attempt, recorded in a transaction of its own. */
static void audit_failure(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                          const char *reason)
{
	int saved = saas_error_code(saas_error_last());
	char msg[512], field[48];

	/* keep the answer's error record: the audit must not replace it */
	snprintf(msg, sizeof msg, "%s", saas_error_message(saas_error_last()));
	snprintf(field, sizeof field, "%s",
	         saas_error_field(saas_error_last()) ? saas_error_field(saas_error_last()) : "");
	saas__auth_audit_alone(ctx, scope, "auth.login_failed", user_id ? "user" : NULL, user_id,
	                       json_pack("{s:s}", "reason", reason));
	saas__err_text(saved, field[0] ? field : NULL, msg);
}

int saas_login(char **out_token, saas_session **out_session, int64_t *out_retry_ms, saas_ctx *ctx,
               const saas_login_request *req)
{
	struct saas_user *u = NULL;
	saas_scope *scope = NULL;
	char *email = NULL, *hash = NULL, *newhash = NULL, key[600];
	int64_t t0, retry = 0;
	int mfa = 0, rc;
	saas_tx *tx;

	if (out_token)
		*out_token = NULL;
	if (out_session)
		*out_session = NULL;
	if (out_retry_ms)
		*out_retry_ms = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out_token)
		rc = saas__err(SAAS_EINVAL, "out_token", "out_token is NULL");
	else if (!(rc = check_request(req)))
		rc = saas_email_normalize(&email, req->email);
	if (rc)
		goto done;
	const struct saas__auth_policy *pol = saas__auth_policy(ctx);

	if ((rc = saas__auth_scope(&scope, NULL, req->ip, req->user_agent, req->request_id)))
		goto done;
	/* the limits first: an attacker's guesses cost no hashing once refused */
	snprintf(key, sizeof key, "login:email:%s", email);
	rc = take(&retry, ctx, key, &pol->login_account, "email", "account");
	if (!rc && req->ip) {
		snprintf(key, sizeof key, "login:ip:%s", req->ip);
		rc = take(&retry, ctx, key, &pol->login_ip, "ip", "address");
	}
	if (rc == SAAS_ERATELIMIT) {
		audit_failure(ctx, scope, NULL, "rate_limited");
		goto done;
	}
	if (rc || (rc = lookup(&u, &hash, ctx, email)))
		goto done;
	if (!u) {
		/* unknown email, or no password: the same work, the same answer */
		saas_password_dummy_verify(req->password, req->password_len, &pol->password);
		rc = saas__err_text(SAAS_ESIGNATURE, "credentials", BAD_CREDENTIALS);
		audit_failure(ctx, scope, NULL, "unknown_account");
		goto done;
	}
	saas_scope_free(scope);
	scope = NULL;
	if ((rc = saas__auth_scope(&scope, u->id, req->ip, req->user_agent, req->request_id)))
		goto done;
	rc = saas_password_verify(hash, req->password, req->password_len);
	if (rc == SAAS_ESIGNATURE || rc == SAAS_EINVAL) {
		rc = saas__err_text(SAAS_ESIGNATURE, "credentials", BAD_CREDENTIALS);
		audit_failure(ctx, scope, u->id, "wrong_password");
		goto done;
	}
	if (rc)
		goto done;
	/* the password is right: a second factor if the user has one */
	rc = saas__mfa_login_check(&mfa, ctx, scope, u->id, req->second_factor);
	if (rc) {
		if (rc != SAAS_EMFA)
			audit_failure(ctx, scope, u->id, "second_factor");
		goto done;
	}
	if (saas_password_needs_rehash(hash, &pol->password) == 1 &&
	    saas_password_hash(&newhash, req->password, req->password_len, &pol->password) != SAAS_OK)
		newhash = NULL; /* the old hash still works: try again next time */
	if ((rc = saas__tx_begin(&tx, ctx, NULL, true)))
		goto done;
	{
		json_t *meta = json_pack("{s:b,s:b}", "mfa", mfa, "rehashed", newhash != NULL);
		struct saas__session_spec spec = {u->id, req->tenant_id, mfa, req->ip, req->user_agent,
		                                  0, "auth.login", meta};

		rc = meta ? SAAS_OK : saas__enomem();
		if (!rc && newhash)
			rc = saas__st_password_put(tx, u->id, newhash, saas__now(ctx));
		if (!rc)
			rc = saas__session_start_tx(out_token, out_session, tx, scope, &spec);
		json_decref(meta);
	}
	if ((rc = saas__tx_finish(tx, rc))) {
		saas_free_secret(*out_token);
		*out_token = NULL;
		if (out_session) {
			saas__session_row_free(*out_session);
			*out_session = NULL;
		}
		goto done;
	}
	/* a successful sign-in clears the account's count of attempts */
	snprintf(key, sizeof key, "login:email:%s", email);
	if (saas_ratelimit_reset_shared(ctx, key) != SAAS_OK)
		saas_error_clear();
done:
	if (out_retry_ms)
		*out_retry_ms = rc == SAAS_ERATELIMIT ? retry : 0;
	saas__user_row_free(u);
	saas_free_secret(hash);
	saas_free_secret(newhash);
	saas_free(email);
	saas_scope_free(scope);
	saas__op_done(ctx, "auth.login", t0, rc);
	return rc;
}
