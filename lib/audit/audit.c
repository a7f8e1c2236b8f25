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

/* The personal part of the events: the actor's key, fetched once per call,
 * and the plaintext of the scope's own fields (the same for every event
 * without personal data of the application's), made once per call. */
struct personal_ctx {
	bool have_key;
	unsigned char key[32];
	char key_id[SAAS__AUDIT_KEY_ID_LEN];
	bool have_common;
	char *common;        /* NULL when the scope has no personal fields */
	size_t common_len;
};

static void personal_free(struct personal_ctx *pc)
{
	sodium_memzero(pc->key, sizeof pc->key);
	if (pc->common) {
		sodium_memzero(pc->common, pc->common_len);
		free(pc->common);
	}
}

/* The plaintext of the scope's fields and `data` (NULL: none), compact
 * with sorted keys; *out NULL when there is nothing personal. */
static int personal_text(char **out, size_t *len, const saas_scope *scope, json_t *data)
{
	json_t *fields = saas__audit_personal_fields(scope, data);
	bool any = fields && json_object_size(fields) > 0;

	*out = NULL;
	*len = 0;
	if (!fields)
		return saas__enomem();
	if (any) {
		*out = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
		*len = *out ? strlen(*out) : 0;
	}
	json_decref(fields);
	return any && !*out ? saas__enomem() : SAAS_OK;
}

/* Seal the event's personal data, if it has any, with `nonce`. */
static int seal_event(struct saas__audit_row *e, char **sealed, struct personal_ctx *pc,
                      saas_tx *tx, const saas_scope *scope, json_t *data,
                      const unsigned char *nonce)
{
	char *own = NULL, *plain;
	size_t len;
	int rc = SAAS_OK;

	if (data) {
		rc = personal_text(&own, &len, scope, data);
		plain = own;
	} else {
		if (!pc->have_common) {
			rc = personal_text(&pc->common, &pc->common_len, scope, NULL);
			pc->have_common = !rc;
		}
		plain = pc->common;
		len = pc->common_len;
	}
	if (!rc && plain && !pc->have_key) {
		rc = saas__audit_subject_key(pc->key, pc->key_id, tx, scope->actor_id);
		pc->have_key = !rc;
	}
	if (!rc && plain)
		rc = saas__audit_seal(sealed, pc->key, pc->key_id, plain, len, nonce);
	if (!rc && plain) {
		e->subject_id = scope->actor_id;
		e->personal = *sealed;
	}
	if (own) {
		sodium_memzero(own, len);
		free(own);
	}
	return rc;
}

/* The metadata of event `i` as stored: redacted, compact, sorted keys. An
 * entry marked same_metadata reuses the previous event's text. */
static int metadata_text(char **meta, saas_ctx *ctx, struct saas__audit_new *ev)
{
	json_t *md;

	if (ev->same_metadata && *meta)
		return SAAS_OK;
	md = ev->metadata ? ev->metadata : json_object();
	ev->metadata = NULL; /* stolen */
	free(*meta);
	/* Secret-looking keys are redacted before the metadata is serialised,
	 * so the stored text and the hash never hold their values. */
	if (!md || saas__audit_redact(md, ctx->opts.audit_redact_keys) < 0) {
		json_decref(md);
		*meta = NULL;
		return saas__enomem();
	}
	*meta = saas__json_take_dump(md);
	return *meta ? SAAS_OK : saas__enomem();
}

/* Random bytes per event: 10 for its id, 24 for the nonce of its personal
 * data; drawn once per call. */
#define ID_RANDOM 10
#define RANDOM_PER_EVENT (ID_RANDOM + crypto_secretbox_NONCEBYTES)

int saas__audit_append_many(int64_t *out_first_seq, saas_tx *tx, const saas_scope *scope,
                            struct saas__audit_new *ev, size_t n)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	struct personal_ctx pc = {0};
	char prev[65], hash[65], id[16 + SAAS_ID_BODY_LEN];
	char *meta = NULL;
	unsigned char *rnd = NULL;
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
	rnd = malloc(n * RANDOM_PER_EVENT);
	if (!rnd) {
		rc = saas__enomem();
		goto out;
	}
	randombytes_buf(rnd, n * RANDOM_PER_EVENT);
	/* Chain onto the tail, holding the stream until the transaction ends. */
	rc = saas__st_audit_tail(&last, prev, tx);
	for (; !rc && i < n; i++) {
		struct saas__audit_row e = {0};
		const unsigned char *r = rnd + i * RANDOM_PER_EVENT;
		char *sealed = NULL;

		e.occurred_at = saas__now(ctx);
		saas__id_format(id, "evt", e.occurred_at, r);
		rc = metadata_text(&meta, ctx, &ev[i]);
		if (!rc)
			rc = seal_event(&e, &sealed, &pc, tx, scope, ev[i].personal, r + ID_RANDOM);
		if (!rc) {
			e.id = id;
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
		free(sealed);
	}
out:
	for (; i < n; i++) {
		json_decref(ev[i].metadata);
		ev[i].metadata = NULL;
	}
	free(meta);
	if (rnd) {
		sodium_memzero(rnd, n * RANDOM_PER_EVENT);
		free(rnd);
	}
	personal_free(&pc);
	if (rc && out_first_seq)
		*out_first_seq = 0;
	return rc;
}

int saas__audit_append_seq(int64_t *out_seq, saas_tx *tx, const saas_scope *scope,
                           const char *action, const char *target_type, const char *target_id,
                           json_t *metadata)
{
	struct saas__audit_new ev = {action, target_type, target_id, metadata, NULL, false};

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

void saas__audit_refusal(saas_ctx *ctx, const saas_scope *scope, const char *action,
                         const char *target_type, const char *target_id, json_t *metadata)
{
	const saas_error *e = saas_error_last();
	int code = saas_error_code(e);
	char *field = saas__strdup(saas_error_field(e)), *msg = saas__strdup(saas_error_message(e));
	saas_tx *tx;
	int rc = saas__tx_begin(&tx, ctx, scope->tenant_id, true);

	if (rc)
		json_decref(metadata);
	else
		rc = saas__tx_finish(tx, saas__audit_append(tx, scope, action, target_type, target_id,
		                                            metadata));
	if (rc)
		saas__log(ctx, SAAS_LOG_ERROR, "could not record a refusal",
		          json_pack("{s:s,s:s}", "action", action, "error",
		                    saas_error_message(saas_error_last())));
	/* the caller reports the refusal, not this bookkeeping */
	if (msg)
		saas__err_text(code, field, msg);
	free(field);
	free(msg);
}
