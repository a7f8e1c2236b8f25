/* API keys as presented: verification (form and checksum first, then the
 * store by hash, through a cache bounded in staleness), the stored key's
 * getters, and the scope a key acts with. Creating, listing and revoking
 * keys needs authorization: lib/authz/apikey.c. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "../store/store_auth.h"

/* last_used_at is written at most this often */
#define TOUCH_MS 60000

const char *saas_apikey_id(const saas_apikey *k) { return k ? k->id : NULL; }
const char *saas_apikey_tenant_id(const saas_apikey *k) { return k ? k->tenant_id : NULL; }
const char *saas_apikey_name(const saas_apikey *k) { return k ? k->name : NULL; }
const char *saas_apikey_prefix(const saas_apikey *k) { return k ? k->prefix : NULL; }
size_t saas_apikey_permission_count(const saas_apikey *k) { return k ? k->npermissions : 0; }
const char *saas_apikey_created_by(const saas_apikey *k) { return k ? k->created_by : NULL; }
int64_t saas_apikey_created_at(const saas_apikey *k) { return k ? k->created_at : 0; }
int64_t saas_apikey_expires_at(const saas_apikey *k) { return k ? k->expires_at : 0; }
int64_t saas_apikey_last_used_at(const saas_apikey *k) { return k ? k->last_used_at : 0; }
int64_t saas_apikey_revoked_at(const saas_apikey *k) { return k ? k->revoked_at : 0; }

const char *saas_apikey_permission(const saas_apikey *k, size_t i)
{
	return k && i < k->npermissions ? k->permissions[i] : NULL;
}

void saas_apikey_free(saas_apikey *k)
{
	saas__apikey_row_free(k);
}

void saas_apikey_list_free(saas_apikey **list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++)
		saas__apikey_row_free(list[i]);
	free(list);
}

static void *saas__apikey_copy(const void *v)
{
	const struct saas_apikey *k = v;
	struct saas_apikey *c = calloc(1, sizeof *c);
	bool ok;

	if (!c)
		return NULL;
	*c = *k;
	c->id = saas__strdup(k->id);
	c->tenant_id = saas__strdup(k->tenant_id);
	c->name = saas__strdup(k->name);
	c->prefix = saas__strdup(k->prefix);
	c->env = saas__strdup(k->env);
	c->created_by = saas__strdup(k->created_by);
	c->permissions = calloc(k->npermissions + 1, sizeof *c->permissions);
	c->npermissions = 0;
	ok = c->id && c->tenant_id && c->name && c->prefix && c->env && c->created_by &&
	     c->permissions;
	for (size_t i = 0; ok && i < k->npermissions; i++)
		if ((ok = (c->permissions[i] = saas__strdup(k->permissions[i])) != NULL))
			c->npermissions++;
	if (!ok) {
		saas__apikey_row_free(c);
		return NULL;
	}
	return c;
}

int saas_apikey_scope(saas_scope **out, const saas_apikey *k)
{
	if (out)
		*out = NULL;
	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	if (!k)
		return saas__err(SAAS_EINVAL, "key", "key is NULL");
	return saas_scope_new(out, k->tenant_id, SAAS_ACTOR_APIKEY, k->id);
}

/* Read the key of hash `hash`: its tenant from the global index, then the
 * row under the tenant's rules. */
static int apikey_read(struct saas_apikey **out, saas_ctx *ctx, const char *hash)
{
	char *tenant = NULL, *id = NULL;
	saas_tx *tx;
	int rc;

	*out = NULL;
	if ((rc = saas__tx_begin(&tx, ctx, NULL, false)))
		return rc;
	rc = saas__st_apikey_lookup(&tenant, &id, tx, hash);
	if (!rc)
		rc = saas__tx_set_tenant(tx, tenant);
	if (!rc)
		rc = saas__st_apikey_get(out, tx, id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "key", "no API key matches");
	rc = saas__tx_finish(tx, rc);
	if (rc) {
		saas__apikey_row_free(*out);
		*out = NULL;
	}
	free(tenant);
	free(id);
	return rc;
}

static int apikey_live(const struct saas_apikey *k, int64_t now)
{
	if (k->revoked_at)
		return saas__err(SAAS_EEXPIRED, "key", "API key %s (%s) was revoked", k->id, k->prefix);
	if (k->expires_at && now >= k->expires_at)
		return saas__err(SAAS_EEXPIRED, "key", "API key %s (%s) has expired", k->id, k->prefix);
	return SAAS_OK;
}

int saas_apikey_verify(saas_apikey **out, saas_ctx *ctx, const char *key)
{
	struct saas__tcache *cache;
	struct saas_apikey *k = NULL;
	char hash[65];
	int64_t t0, now;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out) {
		rc = saas__err(SAAS_EINVAL, "out", "out is NULL");
		goto done;
	}
	/* form and checksum: a typo never reaches the store */
	if ((rc = saas_apikey_hash(hash, key)))
		goto done;
	cache = saas__auth_cache(ctx, SAAS__CACHE_APIKEYS);
	now = saas__now(ctx);
	k = saas__tcache_get(cache, hash, now, ctx->opts.authz_refresh_ms, saas__apikey_copy);
	if (!k) {
		if ((rc = apikey_read(&k, ctx, hash)))
			goto done;
		if (!k->revoked_at)
			saas__tcache_put_copy(cache, hash, k->id, k, saas__apikey_copy, now);
	}
	if ((rc = apikey_live(k, now)))
		goto done;
	if (now - k->last_used_at >= TOUCH_MS) {
		int64_t changed = 0;
		saas_tx *tx;

		rc = saas__tx_begin(&tx, ctx, k->tenant_id, true);
		if (!rc)
			rc = saas__tx_finish(tx, saas__st_apikey_touch(&changed, tx, k->id, now,
			                                                 now - TOUCH_MS));
		if (rc)
			goto done;
		k->last_used_at = now;
		saas__tcache_put_copy(cache, hash, k->id, k, saas__apikey_copy, now);
	}
	*out = k;
	k = NULL;
done:
	saas__apikey_row_free(k);
	saas__op_done(ctx, "apikey.verify", t0, rc);
	return rc;
}
