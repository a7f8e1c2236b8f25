/* saas_audit_record: an event in its own transaction (security events that
 * must outlive a rolled-back operation, and the application's own events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saas/audit.h"
#include "saas/tenant.h"
#include "audit.h"

#define ACTION_MAX 64
#define TARGET_MAX 128
#define METADATA_MAX 65536
#define BATCH_MAX 10000

/* ^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$, at most ACTION_MAX bytes. */
static int check_action(const char *a)
{
	size_t n, dots = 0;
	bool seg_empty = false;

	if (!a)
		return saas__err(SAAS_EINVAL, "action", "action is NULL");
	n = strlen(a);
	if (n == 0 || n > ACTION_MAX)
		return saas__err(SAAS_EINVAL, "action", "action '%s' must be 1 to %d characters",
		                 saas__q(a), ACTION_MAX);
	if (!(a[0] >= 'a' && a[0] <= 'z'))
		goto bad;
	for (size_t i = 1; i < n; i++) {
		char c = a[i];
		if (c == '.') {
			if (seg_empty)
				goto bad;
			dots++;
			seg_empty = true;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
			seg_empty = false;
		} else {
			goto bad;
		}
	}
	if (dots == 0 || seg_empty)
		goto bad;
	return SAAS_OK;
bad:
	return saas__err(SAAS_EINVAL, "action",
	                 "action '%s' is not dotted lower-case words such as 'user.login_failed'",
	                 saas__q(a));
}

static int check_target(const char *field, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TARGET_MAX)
		return saas__err(SAAS_EINVAL, field, "%s '%s' must be 1 to %d characters", field,
		                 saas__q(s), TARGET_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return saas__err(SAAS_EINVAL, field,
			                 "%s '%s' must be printable ASCII without spaces", field,
			                 saas__q(s));
	return SAAS_OK;
}

/* A JSON object of at most METADATA_MAX bytes, or NULL; `field` names it in
 * errors, `entry` (when >= 0) the batch entry. */
static int parse_object(json_t **out, const char *text, const char *field, long entry)
{
	json_error_t err;
	json_t *v;
	char where[48] = "";

	*out = NULL;
	if (!text)
		return SAAS_OK;
	if (entry >= 0)
		snprintf(where, sizeof where, "entry %ld: ", entry);
	if (strlen(text) > METADATA_MAX)
		return saas__err(SAAS_EINVAL, field, "%s%s is longer than %d bytes", where, field,
		                 METADATA_MAX);
	v = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!v)
		return saas__err(SAAS_EINVAL, field, "%s%s is not valid JSON: %s", where, field,
		                 saas__q(err.text));
	if (!json_is_object(v)) {
		json_decref(v);
		return saas__err(SAAS_EINVAL, field, "%s%s must be a JSON object", where, field);
	}
	*out = v;
	return SAAS_OK;
}

/* Check one entry and parse its JSON into ev (strings borrowed). */
static int prepare(struct saas__audit_new *ev, const saas_audit_entry *e, long idx)
{
	int rc;

	memset(ev, 0, sizeof *ev);
	if (e->version != SAAS_AUDIT_ENTRY_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "entry %ld: saas_audit_entry version %u is not supported (this "
		                 "library knows %d)",
		                 idx, e->version, SAAS_AUDIT_ENTRY_VERSION);
	if ((rc = check_action(e->action)))
		return rc;
	if (e->target_id && !e->target_type)
		return saas__err(SAAS_EINVAL, "target_type",
		                 "target_id is set but target_type is NULL");
	if ((e->target_type && (rc = check_target("target_type", e->target_type))) ||
	    (e->target_id && (rc = check_target("target_id", e->target_id))) ||
	    (rc = parse_object(&ev->metadata, e->metadata_json, "metadata", idx)) ||
	    (rc = parse_object(&ev->personal, e->personal_json, "personal", idx)))
		return rc;
	ev->action = e->action;
	ev->target_type = e->target_type;
	ev->target_id = e->target_id;
	return SAAS_OK;
}

/* Prefix the last error's message with the entry's index (batches only). */
static int in_entry(int rc, long idx)
{
	const saas_error *e = saas_error_last();
	const char *msg = saas_error_message(e), *field = saas_error_field(e);

	if (idx < 0 || !e || strncmp(msg, "entry ", 6) == 0)
		return rc;
	return saas__err(rc, field && *field ? field : NULL, "entry %ld: %s", idx, msg);
}

static int record(int64_t *out_first_seq, saas_ctx *ctx, const saas_scope *scope,
                  const saas_audit_entry *entries, size_t n, bool batch)
{
	struct saas__audit_new *ev = NULL;
	saas_tx *tx = NULL;
	size_t ready = 0;
	int rc;

	if ((rc = saas__scope_tenant(scope)))
		return rc;
	if (batch && (n < 1 || n > BATCH_MAX))
		return saas__err(SAAS_EINVAL, "n", "a batch holds 1 to %d entries, not %zu",
		                 BATCH_MAX, n);
	if (!entries)
		return saas__err(SAAS_EINVAL, "entries", "entries is NULL");
	ev = calloc(n, sizeof *ev);
	if (!ev)
		return saas__enomem();
	for (; ready < n; ready++) {
		const saas_audit_entry *e = &entries[ready];

		/* Metadata text equal to the previous entry's is checked, redacted
		 * and serialised once (a bulk import's repeated details). */
		if (ready > 0 && e->metadata_json && entries[ready - 1].metadata_json &&
		    strcmp(e->metadata_json, entries[ready - 1].metadata_json) == 0) {
			saas_audit_entry same = *e;
			same.metadata_json = NULL;
			rc = prepare(&ev[ready], &same, (long)ready);
			ev[ready].same_metadata = true;
		} else {
			rc = prepare(&ev[ready], e, batch ? (long)ready : -1);
		}
		if (rc) {
			rc = in_entry(rc, batch ? (long)ready : -1);
			json_decref(ev[ready].personal);
			goto out;
		}
	}
	rc = saas__tx_begin(&tx, ctx, scope->tenant_id, true);
	if (rc)
		goto out;
	/* The deployment's stream has no tenant row. Any other tenant must exist;
	 * its status does not matter (a suspended tenant's security events are
	 * kept). Its row is locked so a purge cannot run underneath. */
	if (strcmp(scope->tenant_id, SAAS_SYSTEM_TENANT_ID) != 0) {
		struct saas_tenant *t = NULL;
		rc = saas__st_tenant_get_for_update(&t, tx, scope->tenant_id);
		if (rc == SAAS_ENOTFOUND)
			rc = saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'",
			               saas__q(scope->tenant_id));
		saas__tenant_row_free(t);
	}
	if (!rc)
		rc = saas__audit_append_many(out_first_seq, tx, scope, ev, n);
	else
		for (size_t i = 0; i < n; i++)
			json_decref(ev[i].metadata);
	ready = 0; /* every metadata was stolen or freed */
	rc = saas__tx_finish(tx, rc);
	if (rc && out_first_seq)
		*out_first_seq = 0;
out:
	for (size_t i = 0; i < n; i++) {
		if (i < ready)
			json_decref(ev[i].metadata);
		json_decref(ev[i].personal);
	}
	free(ev);
	return rc;
}

int saas_audit_record(int64_t *out_seq, saas_ctx *ctx, const saas_scope *scope,
                      const char *action, const char *target_type, const char *target_id,
                      const char *metadata_json)
{
	int64_t t0 = saas__mono_ns();
	saas_audit_entry e = SAAS_AUDIT_ENTRY_INIT;
	int rc;

	if (out_seq)
		*out_seq = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	e.action = action;
	e.target_type = target_type;
	e.target_id = target_id;
	e.metadata_json = metadata_json;
	rc = record(out_seq, ctx, scope, &e, 1, false);
	saas__op_done(ctx, "audit.record", t0, rc);
	return rc;
}

int saas_audit_record_batch(int64_t *out_first_seq, saas_ctx *ctx, const saas_scope *scope,
                            const saas_audit_entry *entries, size_t n)
{
	int64_t t0 = saas__mono_ns();
	int rc;

	if (out_first_seq)
		*out_first_seq = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	rc = record(out_first_seq, ctx, scope, entries, n, true);
	saas__op_done(ctx, "audit.record_batch", t0, rc);
	return rc;
}
