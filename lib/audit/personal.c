/*
 * Personal data in audit events (format 2; docs/audit.md, "Personal data").
 *
 * The actor's email, ip and user agent, and any personal fields the
 * application gives, are not stored in the clear: they are one JSON object
 * (compact, sorted keys: "actor_email", "data", "ip", "user_agent", each only
 * when present) sealed with libsodium's crypto_secretbox_easy
 * (XSalsa20-Poly1305) under a random 32-byte key of the event's subject (the
 * actor), and stored in `personal` as "<key id>:<base64(nonce ||
 * ciphertext)>". The hash chain covers that text. A subject's key (with a
 * random 8-byte hex id) is made at its first event and lives in
 * audit_subject_keys (one row per subject, global);
 * saas_audit_forget_subject deletes it, after which the subject's personal
 * data cannot be read anywhere while every hash still verifies. If the
 * subject acts again it gets a new key with a new id; its older events,
 * which name the deleted key's id, stay unreadable.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "saas/audit.h"
#include "audit.h"

#define B64 sodium_base64_VARIANT_ORIGINAL
#define KEY_B64_LEN sodium_base64_ENCODED_LEN(crypto_secretbox_KEYBYTES, B64)
#define SUBJECT_MAX 128
#define KEY_ID_BYTES ((SAAS__AUDIT_KEY_ID_LEN - 1) / 2)

/* A key id: KEY_ID_BYTES random bytes in lower-case hex. */
static bool key_id_ok(const char *id)
{
	if (!id || strlen(id) != SAAS__AUDIT_KEY_ID_LEN - 1)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int decode_key(unsigned char key[crypto_secretbox_KEYBYTES], const char *b64)
{
	size_t got = 0;
	const char *end;

	if (!b64 || sodium_base642bin(key, crypto_secretbox_KEYBYTES, b64, strlen(b64), NULL, &got,
	                              &end, B64) != 0 ||
	    got != crypto_secretbox_KEYBYTES || *end != '\0')
		return -1;
	return 0;
}

int saas__audit_subject_key(unsigned char key[32], char key_id[SAAS__AUDIT_KEY_ID_LEN],
                            saas_tx *tx, const char *subject_id)
{
	char *stored = NULL, *stored_id = NULL;
	int rc = saas__st_subject_key_get(&stored_id, &stored, tx, subject_id);

	if (!rc && !stored) {
		/* The subject's first event (or its first since it was
		 * forgotten): make a key. A concurrent first event of the same
		 * subject may win the insert; read back whichever key is
		 * stored, so both use it. */
		unsigned char fresh[crypto_secretbox_KEYBYTES], rid[KEY_ID_BYTES];
		char b64[KEY_B64_LEN], hex[SAAS__AUDIT_KEY_ID_LEN];

		crypto_secretbox_keygen(fresh);
		randombytes_buf(rid, sizeof rid);
		sodium_bin2hex(hex, sizeof hex, rid, sizeof rid);
		sodium_bin2base64(b64, sizeof b64, fresh, sizeof fresh, B64);
		sodium_memzero(fresh, sizeof fresh);
		rc = saas__st_subject_key_add(tx, subject_id, hex, b64, saas__now(saas__tx_ctx(tx)));
		sodium_memzero(b64, sizeof b64);
		if (!rc)
			rc = saas__st_subject_key_get(&stored_id, &stored, tx, subject_id);
		if (!rc && !stored)
			rc = saas__err(SAAS_ESTORE, NULL, "the audit key of subject '%s' vanished",
			               saas__q(subject_id));
	}
	if (!rc && (decode_key(key, stored) != 0 || !key_id_ok(stored_id)))
		rc = saas__err(SAAS_ESTORE, NULL, "the stored audit key of subject '%s' is malformed",
		               saas__q(subject_id));
	if (!rc)
		memcpy(key_id, stored_id, SAAS__AUDIT_KEY_ID_LEN);
	if (stored) {
		sodium_memzero(stored, strlen(stored));
		free(stored);
	}
	free(stored_id);
	return rc;
}

json_t *saas__audit_personal_fields(const saas_scope *scope, json_t *data)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if ((scope->actor_email &&
	     json_object_set_new(o, "actor_email", json_string(scope->actor_email))) ||
	    (scope->ip && json_object_set_new(o, "ip", json_string(scope->ip))) ||
	    (scope->user_agent && json_object_set_new(o, "user_agent", json_string(scope->user_agent))) ||
	    (data && json_object_size(data) && json_object_set(o, "data", data))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int saas__audit_seal(char **out, const unsigned char key[32], const char *key_id,
                     const char *plain, size_t n, const unsigned char nonce[24])
{
	size_t boxlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	size_t b64len = sodium_base64_ENCODED_LEN(boxlen, B64), idlen = strlen(key_id);
	unsigned char small[512], *box = boxlen <= sizeof small ? small : malloc(boxlen);

	*out = box ? malloc(idlen + 1 + b64len) : NULL;
	if (!*out) {
		if (box != small)
			free(box);
		return saas__enomem();
	}
	memcpy(box, nonce, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, n,
	                      nonce, key);
	memcpy(*out, key_id, idlen);
	(*out)[idlen] = ':';
	sodium_bin2base64(*out + idlen + 1, b64len, box, boxlen, B64);
	if (box != small)
		free(box);
	return SAAS_OK;
}

int saas__audit_unseal(json_t **out, const char *key_id, const char *key_b64,
                       const char *personal)
{
	unsigned char key[crypto_secretbox_KEYBYTES], *box = NULL, *plain = NULL;
	const char *end, *colon = personal ? strchr(personal, ':') : NULL;
	size_t cap, got = 0;
	json_error_t jerr;
	int rc = SAAS_OK;

	*out = NULL;
	if (!personal || !key_b64 || !key_id)
		return SAAS_OK;
	if (!colon)
		return saas__err(SAAS_ESTORE, NULL, "an audit event's personal data is malformed");
	/* Sealed with an earlier key of the subject, since forgotten. */
	if ((size_t)(colon - personal) != strlen(key_id) ||
	    memcmp(personal, key_id, strlen(key_id)) != 0)
		return SAAS_OK;
	personal = colon + 1;
	if (decode_key(key, key_b64) != 0)
		return saas__err(SAAS_ESTORE, NULL, "a stored audit subject key is malformed");
	cap = strlen(personal) / 4 * 3 + 3;
	box = malloc(cap);
	if (!box) {
		rc = saas__enomem();
		goto out;
	}
	if (sodium_base642bin(box, cap, personal, strlen(personal), NULL, &got, &end, B64) != 0 ||
	    *end != '\0' || got < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
		rc = saas__err(SAAS_ESTORE, NULL, "an audit event's personal data is malformed");
		goto out;
	}
	plain = malloc(got - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES + 1);
	if (!plain) {
		rc = saas__enomem();
		goto out;
	}
	if (crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
	                               got - crypto_secretbox_NONCEBYTES, box, key) != 0) {
		rc = saas__err(SAAS_ESTORE, NULL,
		               "an audit event's personal data does not open with its subject's key");
		goto out;
	}
	got -= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
	*out = json_loadb((const char *)plain, got, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		rc = saas__err(SAAS_ESTORE, NULL, "an audit event's personal data is not a JSON object");
	}
	sodium_memzero(plain, got);
out:
	sodium_memzero(key, sizeof key);
	free(plain);
	free(box);
	return rc;
}

int saas_audit_forget_subject(saas_ctx *ctx, const saas_scope *scope, const char *subject_id)
{
	int64_t t0 = saas__mono_ns();
	saas_tx *tx = NULL;
	bool deleted = false;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!scope) {
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
		goto done;
	}
	if (!subject_id) {
		rc = saas__err(SAAS_EINVAL, "subject_id", "subject_id is NULL");
		goto done;
	}
	if ((rc = saas__check_text("subject_id", subject_id, SUBJECT_MAX, false)))
		goto done;
	rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (rc)
		goto done;
	rc = saas__st_subject_key_delete(&deleted, tx, subject_id);
	if (!rc && !deleted)
		rc = saas__err(SAAS_ENOTFOUND, "subject_id",
		               "subject '%s' has no personal data in the audit log (never recorded, "
		               "or already forgotten)",
		               saas__q(subject_id));
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "audit.subject_forgotten", "subject",
		                               subject_id, NULL);
	rc = saas__tx_finish(tx, rc);
done:
	saas__op_done(ctx, "audit.forget_subject", t0, rc);
	return rc;
}
