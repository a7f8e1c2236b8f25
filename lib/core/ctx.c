/* The context: options, clock, store; and scopes. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../rbac/rbac.h"
#include "../store/store.h"
#include "core.h"
#include "saas/id.h"
#include "saas/identity.h"

int saas_ctx_options_init(saas_ctx_options *opts, unsigned version)
{
	saas_ctx_options def = SAAS_CTX_OPTIONS_INIT;

	if (!opts)
		return saas__err(SAAS_EINVAL, "opts", "opts is NULL");
	if (version != SAAS_CTX_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "saas_ctx_options version %u is not supported (this library knows %d)",
		                 version, SAAS_CTX_OPTIONS_VERSION);
	*opts = def;
	return SAAS_OK;
}

static int64_t system_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t saas__now(saas_ctx *ctx)
{
	if (ctx && ctx->opts.clock)
		return ctx->opts.clock(ctx->opts.clock_payload);
	return system_clock();
}

int64_t saas_ctx_now(saas_ctx *ctx)
{
	return saas__now(ctx);
}

const char *saas_ctx_backend(const saas_ctx *ctx)
{
	return ctx ? saas__store_backend(ctx->store) : NULL;
}

int saas_ctx_open(saas_ctx **out, const char *url, const saas_ctx_options *opts)
{
	saas_ctx_options def = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx;
	int rc, db = 0, lib = 0;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!opts)
		opts = &def;
	if (opts->version != SAAS_CTX_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "saas_ctx_options version %u is not supported (this library knows %d)",
		                 opts->version, SAAS_CTX_OPTIONS_VERSION);
	if (opts->auto_migrate < SAAS_MIGRATE_REFUSE || opts->auto_migrate > SAAS_MIGRATE_DEFER)
		return saas__err(SAAS_EINVAL, "auto_migrate",
		                 "auto_migrate %d is not SAAS_MIGRATE_REFUSE (0), _AUTO (1) or _DEFER (2)",
		                 opts->auto_migrate);
	if (opts->log_level < SAAS_LOG_DEBUG || opts->log_level > SAAS_LOG_ERROR)
		return saas__err(SAAS_EINVAL, "log_level", "log level %d is not one of 0..3",
		                 opts->log_level);
	if (sodium_init() < 0)
		return saas__err(SAAS_EINTERNAL, NULL, "libsodium failed to initialise");
	ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return saas__enomem();
	ctx->opts = *opts;
	pthread_mutex_init(&ctx->audit_key_mu, NULL);
	/* The options' strings are the caller's: keep copies. */
	if ((opts->audit_signing_key &&
	     !(ctx->audit_signing_key = saas__strdup(opts->audit_signing_key))) ||
	    (opts->audit_redact_keys &&
	     !(ctx->audit_redact_keys = saas__strdup(opts->audit_redact_keys)))) {
		saas_ctx_free(ctx);
		return saas__enomem();
	}
	ctx->opts.audit_signing_key = ctx->audit_signing_key;
	ctx->opts.audit_redact_keys = ctx->audit_redact_keys;
	ctx->opts.rbac_policy = NULL; /* read now; not kept */
	rc = saas__rbac_new(&ctx->rbac, opts->rbac_policy);
	ctx->opts.auth_policy = NULL; /* read now; not kept */
	if (!rc)
		rc = saas__auth_new(&ctx->auth, opts->auth_policy);
	if (!rc)
		rc = saas__billing_new(&ctx->billing);
	ctx->member_adding = saas__billing_seat_hook;
	if (!rc)
		rc = saas__metrics_new(&ctx->metrics);
	if (!rc)
		rc = saas__store_open(&ctx->store, url, &ctx->opts);
	if (!rc)
		rc = saas__authz_new(&ctx->authz, &ctx->opts,
		                     strcmp(saas__store_backend(ctx->store), "memory") != 0);
	if (!rc)
		rc = saas__store_schema_version(ctx, &db, &lib);
	if (!rc && db > lib)
		rc = saas__err(SAAS_ESTORE, NULL,
		               "the database's schema is version %d, newer than this library's %d: "
		               "upgrade libsaas",
		               db, lib);
	if (!rc && db < lib && ctx->opts.auto_migrate != SAAS_MIGRATE_DEFER) {
		if (ctx->opts.auto_migrate == SAAS_MIGRATE_AUTO)
			rc = saas__store_migrate(ctx, NULL);
		else
			rc = saas__err(SAAS_ESTORE, NULL,
			               "the database's schema is version %d and this library needs %d: "
			               "run 'saasctl migrate' or open with SAAS_MIGRATE_AUTO",
			               db, lib);
	}
	if (rc) {
		saas_ctx_free(ctx);
		return rc;
	}
	saas__log(ctx, SAAS_LOG_DEBUG, "context opened",
	          json_pack("{s:s}", "backend", saas__store_backend(ctx->store)));
	*out = ctx;
	return SAAS_OK;
}

void saas_ctx_free(saas_ctx *ctx)
{
	if (!ctx)
		return;
	saas__store_free(ctx->store);
	saas__authz_free(ctx->authz);
	saas__auth_free(ctx->auth);
	saas__billing_free(ctx->billing);
	saas__metrics_free(ctx->metrics);
	free(ctx->audit_signing_key);
	free(ctx->audit_redact_keys);
	saas__audit_keys_free(ctx->audit_keys);
	saas__rbac_free(ctx->rbac);
	pthread_mutex_destroy(&ctx->audit_key_mu);
	free(ctx);
}

/* ---- scopes ----------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t saas__scope_key_hash(const char *tenant_id, int actor_type, const char *actor_id)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, tenant_id);

	h ^= (uint64_t)(actor_type + 1) << 8;
	h *= 0x100000001b3ULL;
	h = fnv(h, actor_id);
	return h ^ (h >> 29);
}

int saas__check_label(const char *field, const char *s, size_t max)
{
	size_t n;

	if (!s)
		return saas__err(SAAS_EINVAL, field, "%s is required", field);
	n = strlen(s);
	if (n == 0 || n > max)
		return saas__err(SAAS_EINVAL, field, "%s '%s' must be 1 to %zu characters", field,
		                 saas__q(s), max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return saas__err(SAAS_EINVAL, field,
			                 "%s '%s' must be printable ASCII without spaces", field,
			                 saas__q(s));
	return SAAS_OK;
}

static int replace(char **slot, const char *v)
{
	char *copy = NULL;

	if (v && !(copy = saas__strdup(v)))
		return saas__enomem();
	free(*slot);
	*slot = copy;
	return SAAS_OK;
}

int saas_scope_new(saas_scope **out, const char *tenant_id, int actor_type, const char *actor_id)
{
	saas_scope *s;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (tenant_id && (rc = saas__id_check(tenant_id, "ten", "tenant_id")))
		return rc;
	switch (actor_type) {
	case SAAS_ACTOR_USER:
		rc = saas__id_check(actor_id, "usr", "actor_id");
		break;
	case SAAS_ACTOR_APIKEY:
		rc = saas__id_check(actor_id, "key", "actor_id");
		break;
	case SAAS_ACTOR_SYSTEM:
	case SAAS_ACTOR_SUPPORT:
		rc = saas__check_label("actor_id", actor_id, 128);
		break;
	default:
		return saas__err(SAAS_EINVAL, "actor_type", "actor type %d is not one of 0..3",
		                 actor_type);
	}
	if (rc)
		return rc;
	/* The tenant and actor never change: kept in the scope's own
	 * allocation, which every decision reads. */
	{
		size_t tl = tenant_id ? strlen(tenant_id) + 1 : 0, al = strlen(actor_id) + 1;
		s = calloc(1, sizeof *s + tl + al);
		if (!s)
			return saas__enomem();
		s->actor_id = (char *)(s + 1);
		memcpy(s->actor_id, actor_id, al);
		if (tenant_id) {
			s->tenant_id = s->actor_id + al;
			memcpy(s->tenant_id, tenant_id, tl);
		}
	}
	s->actor_type = actor_type;
	s->key_hash = saas__scope_key_hash(tenant_id ? tenant_id : "", actor_type, actor_id);
	*out = s;
	return SAAS_OK;
}

int saas_scope_set_request_id(saas_scope *scope, const char *request_id)
{
	int rc;

	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	if (request_id && (rc = saas__check_label("request_id", request_id, 128)))
		return rc;
	return replace(&scope->request_id, request_id);
}

int saas_scope_set_ip(saas_scope *scope, const char *ip)
{
	int rc;

	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	if (ip && (rc = saas__check_ip("ip", ip)))
		return rc;
	return replace(&scope->ip, ip);
}

int saas_scope_set_user_agent(saas_scope *scope, const char *user_agent)
{
	int rc;

	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	if (user_agent && (rc = saas__check_text("user_agent", user_agent, 512, false)))
		return rc;
	return replace(&scope->user_agent, user_agent);
}

int saas_scope_set_actor_email(saas_scope *scope, const char *email)
{
	char *norm = NULL;
	int rc;

	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	if (email && (rc = saas_email_normalize(&norm, email)))
		return rc;
	free(scope->actor_email);
	scope->actor_email = norm;
	return SAAS_OK;
}

int saas_scope_set_on_behalf_of(saas_scope *scope, const char *user_id)
{
	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	if (user_id && scope->actor_type != SAAS_ACTOR_SUPPORT)
		return saas__err(SAAS_EINVAL, "on_behalf_of",
		                 "only a support actor acts on behalf of a user: this scope's actor "
		                 "'%s' is not SAAS_ACTOR_SUPPORT",
		                 saas__q(scope->actor_id));
	if (user_id && saas_id_check(user_id, "usr") != SAAS_OK)
		return saas__err(SAAS_EINVAL, "on_behalf_of", "on_behalf_of '%s' is not a user id (usr_…)",
		                 saas__q(user_id));
	return replace(&scope->on_behalf_of, user_id);
}

const char *saas_scope_tenant_id(const saas_scope *scope)
{
	return scope ? scope->tenant_id : NULL;
}

int saas_scope_actor_type(const saas_scope *scope)
{
	return scope ? scope->actor_type : -1;
}

const char *saas_scope_actor_id(const saas_scope *scope)
{
	return scope ? scope->actor_id : NULL;
}

void saas_scope_free(saas_scope *scope)
{
	if (!scope)
		return;
	free(scope->request_id);
	free(scope->ip);
	free(scope->user_agent);
	free(scope->actor_email);
	free(scope->on_behalf_of);
	free(scope);
}

int saas__scope_tenant(const saas_scope *scope)
{
	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	if (!scope->tenant_id)
		return saas__err(SAAS_EINVAL, "scope", "this call needs a scope with a tenant");
	return SAAS_OK;
}

int saas__scope_global(const saas_scope *scope)
{
	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	if (scope->tenant_id)
		return saas__err(SAAS_EINVAL, "scope",
		                 "this is a deployment-wide call: the scope must have no tenant "
		                 "(it has '%s')",
		                 scope->tenant_id);
	return SAAS_OK;
}
