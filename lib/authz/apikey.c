/* Creating, revoking and listing API keys (saas/auth.h): these need
 * authorization, so they live here rather than in lib/auth. A key never
 * exceeds its creator: each of its patterns must be allowed to the
 * creating user, and saas_authorize later grants the key only what both its
 * patterns and its creator's current roles allow. */
#include <stdlib.h>
#include <string.h>

#include "saas/auth.h"
#include "saas/id.h"
#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../store/store_auth.h"
#include "../tenant/tenant_internal.h"
#include "authz.h"

#define NAME_MAX_LEN 200
#define PERMS_MAX 100

static int check_create(saas_ctx *ctx, const saas_scope *scope, const char *name,
                        const char *const *perms, size_t n, int64_t expires_at)
{
	int rc;

	if ((rc = saas__scope_tenant(scope)))
		return rc;
	if (scope->actor_type != SAAS_ACTOR_USER)
		return saas__err(SAAS_EDENIED, "scope",
		                 "API keys are created by users (a key is bounded by its creator's "
		                 "roles): the scope's actor is a %s",
		                 saas__actor_type_name(scope->actor_type));
	if ((rc = saas__check_text("name", name, NAME_MAX_LEN, false)))
		return rc;
	if (!perms || n == 0 || n > PERMS_MAX)
		return saas__err(SAAS_EINVAL, "permissions", "a key needs 1 to %d permissions, not %zu",
		                 PERMS_MAX, perms ? n : 0);
	for (size_t i = 0; i < n; i++) {
		struct saas__perm p;

		if ((rc = saas__perm_parse(&p, perms[i], "permissions")))
			return rc;
	}
	if (expires_at && expires_at <= saas__now(ctx)) {
		char t[32];

		saas__time_rfc3339(t, expires_at);
		return saas__err(SAAS_EINVAL, "expires_at", "expires_at %s is not in the future", t);
	}
	if (expires_at < 0)
		return saas__err(SAAS_EINVAL, "expires_at", "expires_at must be 0 (never) or a time");
	return SAAS_OK;
}

/* The creator must be allowed each pattern (a wildcard: everything it covers). */
static int check_subset(saas_ctx *ctx, const saas_scope *scope, const char *const *perms,
                        size_t n)
{
	saas_decision d;

	for (size_t i = 0; i < n; i++) {
		int rc = saas__authorize_quiet(&d, ctx, scope, perms[i]);

		if (rc == SAAS_EDENIED)
			return saas__err(SAAS_EDENIED, "permissions",
			                 "the key would grant '%s', which its creator %s may not do (%s): "
			                 "a key cannot exceed its creator's permissions",
			                 perms[i], scope->actor_id, saas_reason_name(d.reason));
		if (rc)
			return rc;
	}
	return SAAS_OK;
}

int saas_apikey_create(char **out_key, saas_apikey **out, saas_ctx *ctx, const saas_scope *scope,
                       const char *name, const char *const *permissions, size_t n,
                       int64_t expires_at)
{
	struct saas_apikey *k = NULL;
	char *key = NULL, hash[65], prefix[SAAS_APIKEY_PREFIX_SIZE];
	saas_tx *tx = NULL;
	json_t *meta = NULL, *arr;
	int64_t t0;
	int rc;

	if (out_key)
		*out_key = NULL;
	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out_key) {
		rc = saas__err(SAAS_EINVAL, "out_key", "out_key is NULL");
		goto done;
	}
	if ((rc = check_create(ctx, scope, name, permissions, n, expires_at)) ||
	    (rc = saas_authorize(NULL, ctx, scope, "apikey:create")) ||
	    (rc = check_subset(ctx, scope, permissions, n)))
		goto done;
	k = calloc(1, sizeof *k);
	if (!k || !(k->permissions = calloc(n + 1, sizeof *k->permissions)) ||
	    !(k->name = saas__strdup(name)) || !(k->created_by = saas__strdup(scope->actor_id)) ||
	    !(k->tenant_id = saas__strdup(scope->tenant_id)) ||
	    !(k->env = saas__strdup(saas__auth_policy(ctx)->apikey_env))) {
		rc = saas__enomem();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(k->permissions[i] = saas__strdup(permissions[i]))) {
			rc = saas__enomem();
			goto done;
		}
		k->npermissions++;
	}
	if ((rc = saas_apikey_generate(&key, prefix, k->env)) || (rc = saas_apikey_hash(hash, key)) ||
	    (rc = saas_id_new(&k->id, ctx, "key")))
		goto done;
	if (!(k->prefix = saas__strdup(prefix))) {
		rc = saas__enomem();
		goto done;
	}
	k->created_at = saas__now(ctx);
	k->expires_at = expires_at;
	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE)))
		goto done;
	rc = saas__st_apikey_insert(tx, k, hash);
	if (!rc) {
		arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, json_string(permissions[i]));
		meta = arr ? json_pack("{s:s,s:s,s:o,s:o}", "name", name, "prefix", prefix,
		                       "permissions", arr, "expires_at",
		                       expires_at ? saas__json_time(expires_at) : json_null())
		           : NULL;
		rc = meta ? saas__audit_append(tx, scope, "apikey.created", "apikey", k->id, meta)
		          : saas__enomem();
	}
	if ((rc = saas__tx_finish(tx, rc)))
		goto done;
	*out_key = key;
	key = NULL;
	if (out) {
		*out = k;
		k = NULL;
	}
done:
	saas_free_secret(key);
	saas__apikey_row_free(k);
	saas__op_done(ctx, "apikey.create", t0, rc);
	return rc;
}

int saas_apikey_revoke(saas_ctx *ctx, const saas_scope *scope, const char *key_id)
{
	struct saas_apikey *k = NULL;
	saas_tx *tx = NULL;
	int64_t t0, changed = 0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if ((rc = saas__scope_tenant(scope)) || (rc = saas__id_check(key_id, "key", "key_id")) ||
	    (rc = saas_authorize(NULL, ctx, scope, "apikey:revoke")) ||
	    (rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE)))
		goto done;
	rc = saas__st_apikey_get(&k, tx, key_id);
	if (!rc)
		rc = saas__st_apikey_revoke(&changed, tx, key_id, saas__now(ctx));
	if (rc == SAAS_ENOTFOUND || (!rc && changed == 0))
		rc = saas__err(SAAS_ENOTFOUND, "key_id",
		               "the tenant has no API key %s that is not revoked already",
		               saas__q(key_id));
	if (!rc)
		rc = saas__audit_append(tx, scope, "apikey.revoked", "apikey", key_id,
		                        json_pack("{s:s,s:s}", "name", k->name, "prefix", k->prefix));
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		saas__tcache_drop(saas__auth_cache(ctx, SAAS__CACHE_APIKEYS), key_id);
done:
	saas__apikey_row_free(k);
	saas__op_done(ctx, "apikey.revoke", t0, rc);
	return rc;
}

int saas_apikey_list(saas_apikey ***out, size_t *n, saas_ctx *ctx, const saas_scope *scope)
{
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
	if (!out || !n)
		rc = saas__err(SAAS_EINVAL, out ? "n" : "out", "%s is NULL", out ? "n" : "out");
	else if (!(rc = saas__scope_tenant(scope)) &&
	         !(rc = saas_authorize(NULL, ctx, scope, "apikey:read")) &&
	         !(rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ))) {
		rc = saas__st_apikey_list(out, n, tx);
		if ((rc = saas__tx_finish(tx, rc)) && *out) {
			saas_apikey_list_free(*out, *n);
			*out = NULL;
			*n = 0;
		}
	}
	saas__op_done(ctx, "apikey.list", t0, rc);
	return rc;
}
