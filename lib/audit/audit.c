/* Appending audit events inside the caller's transaction. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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

/* The personal part of the events: sealed per event (fresh nonce) with the
 * actor's key, fetched once per call. */
struct personal_ctx {
	bool have_key;
	unsigned char key[32];
	char key_id[SAAS__AUDIT_KEY_ID_LEN];
};

static int seal_event(struct saas__audit_row *e, char **sealed, struct personal_ctx *pc,
                      saas_tx *tx, const saas_scope *scope, json_t *data)
{
	json_t *fields = saas__audit_personal_fields(scope, data);
	int rc = SAAS_OK;

	if (!fields)
		return saas__enomem();
	if (json_object_size(fields)) {
		if (!pc->have_key) {
			rc = saas__audit_subject_key(pc->key, pc->key_id, tx, scope->actor_id);
			pc->have_key = !rc;
		}
		if (!rc)
			rc = saas__audit_seal(sealed, pc->key, pc->key_id, fields);
		if (!rc) {
			e->subject_id = scope->actor_id;
			e->personal = *sealed;
		}
	}
	json_decref(fields);
	return rc;
}

int saas__audit_append_many(int64_t *out_first_seq, saas_tx *tx, const saas_scope *scope,
                            struct saas__audit_new *ev, size_t n)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	struct personal_ctx pc = {0};
	char prev[65], hash[65];
	int64_t last = 0;
	size_t i = 0;
	int rc = SAAS_OK;

	if (out_first_seq)
		*out_first_seq = 0;
	if (!saas__tx_tenant(tx)) {
		rc = saas__err(SAAS_EINTERNAL, NULL, "audit event '%s' outside a tenant stream",
		               n ? ev[0].action : "");
		goto out;
	}
	/* Chain onto the tail, holding the stream until the transaction ends. */
	rc = saas__st_audit_tail(&last, prev, tx);
	for (; !rc && i < n; i++) {
		struct saas__audit_row e = {0};
		char *id = NULL, *meta = NULL, *sealed = NULL;
		json_t *md = ev[i].metadata ? ev[i].metadata : json_object();

		ev[i].metadata = NULL; /* stolen */
		/* Secret-looking keys are redacted before the metadata is
		 * serialised, so the stored text and the hash never hold their
		 * values. */
		if (!md || saas__audit_redact(md, ctx->opts.audit_redact_keys) < 0)
			rc = saas__enomem();
		else if (!(meta = saas__json_take_dump(md)))
			rc = saas__enomem();
		md = NULL;
		if (!rc)
			rc = saas_id_new(&id, ctx, "evt");
		if (!rc)
			rc = seal_event(&e, &sealed, &pc, tx, scope, ev[i].personal);
		if (!rc) {
			e.id = id;
			e.occurred_at = saas__now(ctx);
			e.actor_type = saas__actor_type_name(scope->actor_type);
			e.actor_id = scope->actor_id;
			e.on_behalf_of = scope->actor_type == SAAS_ACTOR_SUPPORT ? scope->on_behalf_of
			                                                         : NULL;
			e.action = ev[i].action;
			e.target_type = ev[i].target_type;
			e.target_id = ev[i].target_id;
			e.request_id = scope->request_id;
			e.metadata = meta;
			e.seq = ++last;
			e.format = SAAS__AUDIT_FORMAT;
			e.prev_hash = prev;
			e.hash = hash;
			rc = saas__audit_hash(hash, saas__tx_tenant(tx), &e);
		}
		if (!rc)
			rc = saas__st_audit_insert(tx, &e);
		/* The time rule is checked once, after the last event. */
		if (!rc)
			rc = saas__audit_ckpt_auto(tx, e.seq, hash, i + 1 == n);
		if (!rc && i == 0 && out_first_seq)
			*out_first_seq = e.seq;
		memcpy(prev, hash, sizeof prev);
		free(id);
		free(meta);
		free(sealed);
	}
out:
	for (; i < n; i++) {
		json_decref(ev[i].metadata);
		ev[i].metadata = NULL;
	}
	sodium_memzero(pc.key, sizeof pc.key);
	if (rc && out_first_seq)
		*out_first_seq = 0;
	return rc;
}

int saas__audit_append_seq(int64_t *out_seq, saas_tx *tx, const saas_scope *scope,
                           const char *action, const char *target_type, const char *target_id,
                           json_t *metadata)
{
	struct saas__audit_new ev = {action, target_type, target_id, metadata, NULL};

	return saas__audit_append_many(out_seq, tx, scope, &ev, 1);
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
