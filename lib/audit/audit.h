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

/* One event for saas__audit_append_many. */
struct saas__audit_new {
	const char *action;
	const char *target_type;
	const char *target_id;
	json_t *metadata;  /* a JSON object (stolen, NULL for {}) */
	json_t *personal;  /* the application's personal fields (borrowed; NULL: none) */
	bool same_metadata; /* metadata NULL: the previous entry's (checked) text again */
};
/* Append `n` events in order, reading the stream's tail once; *out_first_seq
 * (may be NULL) gets the first one's seq. Every metadata is stolen, also on
 * error. */
int saas__audit_append_many(int64_t *out_first_seq, saas_tx *tx, const saas_scope *scope,
                            struct saas__audit_new *ev, size_t n);

/*
 * The same, in the deployment's own stream (SAAS_SYSTEM_TENANT_ID), inside the
 * same transaction; the transaction's tenant is restored afterwards.
 */
int saas__audit_append_system(saas_tx *tx, const saas_scope *scope, const char *action,
                              const char *target_type, const char *target_id, json_t *metadata);

/*
 * Record a refusal (a limit, say) in the scope's tenant's stream in a
 * transaction of its own, after the refused operation rolled back; the
 * thread's last error (the refusal) is kept for the caller. A failure to
 * record is logged.
 */
void saas__audit_refusal(saas_ctx *ctx, const saas_scope *scope, const char *action,
                         const char *target_type, const char *target_id, json_t *metadata);

/* The canonical encoding this library writes (docs/audit.md); it reads
 * every format from 1 to this one. */
#define SAAS__AUDIT_FORMAT 2

/* The chained hash of `e` (whose seq, format and prev_hash are set) in the
 * stream of `tenant_id`, as 64 hex characters. SAAS_EINVAL for an unknown
 * format or a malformed prev_hash. */
int saas__audit_hash(char out_hex[65], const char *tenant_id, const struct saas__audit_row *e);

/* ---- personal data (personal.c) ---- */

/* The actor's personal fields of an event ("actor_email", "ip",
 * "user_agent", "data": the application's, borrowed) as a new object, empty
 * when there are none; NULL when out of memory. */
json_t *saas__audit_personal_fields(const saas_scope *scope, json_t *data);
/* A subject key's id: 16 hex characters and a NUL. */
#define SAAS__AUDIT_KEY_ID_LEN 17
/* The subject's key and its id, made at its first use. */
int saas__audit_subject_key(unsigned char key[32], char key_id[SAAS__AUDIT_KEY_ID_LEN],
                            saas_tx *tx, const char *subject_id);
/* Seal the `n` bytes of `plain` (the fields as compact JSON with sorted
 * keys) with `key` and the 24-byte `nonce`: *out = "<key_id>:<base64(nonce
 * || secretbox)>", malloc'd. */
int saas__audit_seal(char **out, const unsigned char key[32], const char *key_id,
                     const char *plain, size_t n, const unsigned char nonce[24]);
/* Open a sealed `personal` with the subject's stored key (id and base64).
 * *out NULL when there is nothing to open: no personal data, no key, or a
 * key other than the one it was sealed with (forgotten since). */
int saas__audit_unseal(json_t **out, const char *key_id, const char *key_b64,
                       const char *personal);

/* The name of an actor type as stored ("user", "apikey", "system", "support"). */
const char *saas__actor_type_name(int actor_type);


/* ---- signed checkpoints (checkpoint.c) ---- */

/* After appending event `seq` with `hash` in `tx`: sign a checkpoint of it in
 * the same transaction if the context's options make one due and a key is
 * configured (none: skipped, logged once at warn level). */
int saas__audit_ckpt_auto(saas_tx *tx, int64_t seq, const char *hash, bool check_time);

/* What checking a stream's checkpoints found. */
struct saas__audit_ckpt_result {
	int damage;         /* SAAS_AUDIT_OK, _CUT, _BAD_SIGNATURE or _CHANGED */
	int64_t bad_seq;
	int64_t checked;    /* checkpoints that verified */
	int64_t last_seq;   /* internal: the last checkpoint read */
	char msg[256];
};
/* Check every checkpoint of the transaction's tenant against its stream,
 * whose chain verified intact from `first_seq` (1, or the event after the
 * retention anchor; checkpoints before it have only their signature checked)
 * to `last_seq`. */
int saas__audit_ckpt_verify(struct saas__audit_ckpt_result *res, saas_tx *tx, int64_t first_seq,
                            int64_t last_seq);
/* The same for checkpoints read from an export file (verify_file): `ck[i]`
 * with the stream's hash of its event `event_hash[i]` (NULL when there is no
 * such event), checked with the public keys given (saas-audit-pub-v1:…;
 * SAAS_EINVAL, field "public_keys", for a malformed one). */
int saas__audit_ckpt_verify_list(struct saas__audit_ckpt_result *res, const char *tenant_id,
                                 int64_t first_seq, int64_t last_seq,
                                 const char *const *public_keys, size_t n_keys,
                                 const struct saas__audit_ckpt *ck,
                                 const char *const *event_hash, size_t n);

/* The version of saas_audit_export's file format (1: no anchor line and no
 * format-2 fields; verify_file reads both). */
#define SAAS__AUDIT_EXPORT_VERSION 2

/* Verify the transaction's tenant's stream (saas_audit_verify's work, inside
 * `tx`). */
struct saas_audit_report;
int saas__audit_verify_tx(struct saas_audit_report **out, saas_tx *tx);

/* ---- retention anchors (checkpoint.c signs and checks; retention.c purges) ---- */

/* Base64 of an ed25519 signature, with its NUL. */
#define SAAS__AUDIT_SIG64_LEN 89
/* SAAS_OK when the context has a signing key (loading it), else its error:
 * SAAS_ENOTFOUND (none configured), SAAS_EINVAL (malformed). */
int saas__audit_require_key(saas_ctx *ctx);
/* Sign `a` (seq and hash set) as the anchor of the transaction's tenant with
 * the context's key: sets created_at, key_id (borrowed from the context) and
 * signature (into sig64). SAAS_ENOTFOUND when no key is configured. */
int saas__audit_anchor_sign(struct saas__audit_ckpt *a, char sig64[SAAS__AUDIT_SIG64_LEN],
                            saas_tx *tx);
/* Check an anchor's signature with the context's keys (ctx set) or with the
 * public keys given (ctx NULL; SAAS_EINVAL for a malformed one): res->damage
 * is SAAS_AUDIT_BAD_SIGNATURE at its seq when it does not verify. */
int saas__audit_anchor_verify(struct saas__audit_ckpt_result *res, saas_ctx *ctx,
                              const char *tenant_id, const char *const *public_keys,
                              size_t n_keys, const struct saas__audit_ckpt *anchor);

#endif
