/* Passwords in the store (saas_password_set), and what the other auth
 * files share: the scope of an auth event and failures audited on their
 * own. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "../audit/audit.h"
#include "../store/store_auth.h"

int saas__auth_scope(saas_scope **out, const char *user_id, const char *ip,
                     const char *user_agent, const char *request_id)
{
	int rc = saas_scope_new(out, NULL, user_id ? SAAS_ACTOR_USER : SAAS_ACTOR_SYSTEM,
	                        user_id ? user_id : "auth");

	if (rc)
		return rc;
	/* the client's details are for the record: a malformed one is left out
	 * rather than refusing the request it came with */
	if (ip && saas_scope_set_ip(*out, ip) == SAAS_ENOMEM)
		rc = SAAS_ENOMEM;
	if (!rc && user_agent && saas_scope_set_user_agent(*out, user_agent) == SAAS_ENOMEM)
		rc = SAAS_ENOMEM;
	if (!rc && request_id && saas_scope_set_request_id(*out, request_id) == SAAS_ENOMEM)
		rc = SAAS_ENOMEM;
	if (rc) {
		saas_scope_free(*out);
		*out = NULL;
		return saas__enomem();
	}
	saas_error_clear();
	return SAAS_OK;
}

void saas__auth_audit_alone(saas_ctx *ctx, const saas_scope *scope, const char *action,
                            const char *target_type, const char *target_id, json_t *metadata)
{
	saas_tx *tx;
	int rc = saas__tx_begin(&tx, ctx, NULL, true);

	if (rc) {
		json_decref(metadata);
	} else {
		rc = saas__tx_finish(tx, saas__audit_append_system(tx, scope, action, target_type,
		                                                   target_id, metadata));
	}
	if (rc)
		saas__log(ctx, SAAS_LOG_ERROR, "could not record a security event",
		          json_pack("{s:s,s:s}", "action", action, "error",
		                    saas_error_message(saas_error_last())));
}

int saas__password_set_tx(int64_t *out_revoked, saas_tx *tx, const saas_scope *scope,
                          const char *user_id, const char *hash)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	int64_t now = saas__now(ctx), revoked = 0;
	char **ids = NULL;
	size_t n = 0;
	int rc;

	rc = saas__st_session_live_ids(&ids, &n, tx, user_id);
	if (!rc)
		rc = saas__st_password_put(tx, user_id, hash, now);
	if (!rc)
		rc = saas__st_session_revoke_user(&revoked, tx, user_id, NULL, now);
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "user.password_changed", "user", user_id,
		                               json_pack("{s:I}", "sessions_revoked",
		                                         (json_int_t)revoked));
	/* dropped now: at worst a session is read from the store once more */
	for (size_t i = 0; !rc && i < n; i++)
		saas__tcache_drop(saas__auth_cache(ctx, SAAS__CACHE_SESSIONS), ids[i]);
	saas__strv_free(ids);
	if (out_revoked)
		*out_revoked = revoked;
	return rc;
}

int saas_password_set(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                      const char *password, size_t len)
{
	struct saas_user *u = NULL;
	char *hash = NULL;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!scope)
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	else
		rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = saas_password_hash(&hash, password, len, &saas__auth_policy(ctx)->password);
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (!rc) {
		rc = saas__st_user_get(&u, tx, user_id);
		if (rc == SAAS_ENOTFOUND)
			rc = saas__err(SAAS_ENOTFOUND, "user_id", "user %s does not exist",
			               saas__q(user_id));
		if (!rc)
			rc = saas__password_set_tx(NULL, tx, scope, user_id, hash);
		rc = saas__tx_finish(tx, rc);
	}
	saas__user_row_free(u);
	saas_free_secret(hash);
	saas__op_done(ctx, "password.set", t0, rc);
	return rc;
}
