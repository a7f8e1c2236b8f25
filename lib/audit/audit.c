/* Appending audit events inside the caller's transaction. */
#include <stdlib.h>

#include "saas/id.h"
#include "saas/tenant.h"
#include "audit.h"
#include "redact.h"

const char *saas__actor_type_name(int actor_type)
{
	switch (actor_type) {
	case SAAS_ACTOR_USER:
		return "user";
	case SAAS_ACTOR_APIKEY:
		return "apikey";
	case SAAS_ACTOR_SUPPORT:
		return "support";
	default:
		return "system";
	}
}

int saas__audit_append_seq(int64_t *out_seq, saas_tx *tx, const saas_scope *scope,
                           const char *action, const char *target_type, const char *target_id,
                           json_t *metadata)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	struct saas__audit_row e = {0};
	char *id = NULL, *meta = NULL;
	char prev[65], hash[65];
	int64_t last;
	int rc;

	if (!saas__tx_tenant(tx)) {
		json_decref(metadata);
		return saas__err(SAAS_EINTERNAL, NULL, "audit event '%s' outside a tenant stream",
		                 action);
	}
	if (!metadata)
		metadata = json_object();
	/* Secret-looking keys are redacted before the metadata is serialised, so
	 * the stored text and the hash never hold their values. */
	if (metadata && saas__audit_redact(metadata, ctx->opts.audit_redact_keys) < 0) {
		json_decref(metadata);
		return saas__enomem();
	}
	meta = saas__json_take_dump(metadata);
	rc = meta ? saas_id_new(&id, ctx, "evt") : saas__enomem();
	if (rc)
		goto out;
	e.id = id;
	e.occurred_at = saas__now(ctx);
	e.actor_type = saas__actor_type_name(scope->actor_type);
	e.actor_id = scope->actor_id;
	e.action = action;
	e.target_type = target_type;
	e.target_id = target_id;
	e.request_id = scope->request_id;
	e.ip = scope->ip;
	e.user_agent = scope->user_agent;
	e.metadata = meta;
	/* Chain onto the tail, holding the stream until the transaction ends. */
	rc = saas__st_audit_tail(&last, prev, tx);
	if (rc)
		goto out;
	e.seq = last + 1;
	e.format = SAAS__AUDIT_FORMAT;
	e.prev_hash = prev;
	e.hash = hash;
	rc = saas__audit_hash(hash, saas__tx_tenant(tx), &e);
	if (!rc)
		rc = saas__st_audit_insert(tx, &e);
	if (!rc)
		rc = saas__audit_ckpt_auto(tx, e.seq, hash);
	if (!rc && out_seq)
		*out_seq = e.seq;
out:
	free(id);
	free(meta);
	return rc;
}

int saas__audit_append(saas_tx *tx, const saas_scope *scope, const char *action,
                       const char *target_type, const char *target_id, json_t *metadata)
{
	return saas__audit_append_seq(NULL, tx, scope, action, target_type, target_id, metadata);
}

int saas__audit_append_system(saas_tx *tx, const saas_scope *scope, const char *action,
                              const char *target_type, const char *target_id, json_t *metadata)
{
	const char *cur = saas__tx_tenant(tx);
	char *saved = cur ? saas__strdup(cur) : NULL;
	int rc;

	if (cur && !saved) {
		json_decref(metadata);
		return saas__enomem();
	}
	rc = saas__tx_set_tenant(tx, SAAS_SYSTEM_TENANT_ID);
	if (rc)
		json_decref(metadata);
	else
		rc = saas__audit_append(tx, scope, action, target_type, target_id, metadata);
	int rc2 = saas__tx_set_tenant(tx, saved);
	free(saved);
	return rc ? rc : rc2;
}
