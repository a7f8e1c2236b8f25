/*
 * The audit log as the other modules call it. Every mutation appends its event
 * inside the mutation's own transaction, so both commit or neither does. The
 * foundation stores a minimal append-only stream per tenant (audit_events);
 * the audit module's hash chain, signing and redaction grow behind these same
 * calls, so call sites do not change.
 */
#ifndef SAAS_AUDIT_INTERNAL_H
#define SAAS_AUDIT_INTERNAL_H

#include "../store/store.h"

/*
 * Append an event to the stream of the transaction's tenant.
 *
 * action       dotted name, e.g. "tenant.suspended", "member.added".
 * target_type  what was acted on ("tenant", "user", "member", "invitation"), or NULL.
 * target_id    its id, or NULL.
 * metadata     a JSON object (stolen; NULL for {}). Never put secrets in it.
 */
int saas__audit_append(saas_tx *tx, const saas_scope *scope, const char *action,
                       const char *target_type, const char *target_id, json_t *metadata);
/* The same, also giving the event's sequence number in *out_seq (may be NULL). */
int saas__audit_append_seq(int64_t *out_seq, saas_tx *tx, const saas_scope *scope,
                           const char *action, const char *target_type, const char *target_id,
                           json_t *metadata);

/*
 * The same, in the deployment's own stream (SAAS_SYSTEM_TENANT_ID), inside the
 * same transaction; the transaction's tenant is restored afterwards.
 */
int saas__audit_append_system(saas_tx *tx, const saas_scope *scope, const char *action,
                              const char *target_type, const char *target_id, json_t *metadata);

/* The canonical encoding this library writes (docs/audit.md). */
#define SAAS__AUDIT_FORMAT 1

/* The chained hash of `e` (whose seq, format and prev_hash are set) in the
 * stream of `tenant_id`, as 64 hex characters. SAAS_EINVAL for an unknown
 * format or a malformed prev_hash. */
int saas__audit_hash(char out_hex[65], const char *tenant_id, const struct saas__audit_row *e);

/* The name of an actor type as stored ("user", "apikey", "system", "support"). */
const char *saas__actor_type_name(int actor_type);


/* ---- signed checkpoints (checkpoint.c) ---- */

/* After appending event `seq` with `hash` in `tx`: sign a checkpoint of it in
 * the same transaction if the context's options make one due and a key is
 * configured (none: skipped, logged once at warn level). */
int saas__audit_ckpt_auto(saas_tx *tx, int64_t seq, const char *hash);

/* What checking a stream's checkpoints found. */
struct saas__audit_ckpt_result {
	int damage;         /* SAAS_AUDIT_OK, _CUT, _BAD_SIGNATURE or _CHANGED */
	int64_t bad_seq;
	int64_t checked;    /* checkpoints that verified */
	int64_t last_seq;   /* internal: the last checkpoint read */
	char msg[256];
};
/* Check every checkpoint of the transaction's tenant against its stream,
 * whose chain verified intact up to `last_seq`. */
int saas__audit_ckpt_verify(struct saas__audit_ckpt_result *res, saas_tx *tx, int64_t last_seq);
/* The same for checkpoints read from an export file (verify_file): `ck[i]`
 * with the stream's hash of its event `event_hash[i]` (NULL when there is no
 * such event), checked with the public keys given (saas-audit-pub-v1:…;
 * SAAS_EINVAL, field "public_keys", for a malformed one). */
int saas__audit_ckpt_verify_list(struct saas__audit_ckpt_result *res, const char *tenant_id,
                                 int64_t last_seq, const char *const *public_keys,
                                 size_t n_keys, const struct saas__audit_ckpt *ck,
                                 const char *const *event_hash, size_t n);

#endif
