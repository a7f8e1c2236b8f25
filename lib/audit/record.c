/* saas_audit_record: an event in its own transaction (security events that
 * must outlive a rolled-back operation, and the application's own events). */
#include <stdlib.h>
#include <string.h>

#include "saas/audit.h"
#include "saas/tenant.h"
#include "audit.h"

#define ACTION_MAX 64
#define TARGET_MAX 128
#define METADATA_MAX 65536

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

static int parse_metadata(json_t **out, const char *text)
{
	json_error_t err;
	json_t *v;

	*out = NULL;
	if (!text)
		return SAAS_OK;
	if (strlen(text) > METADATA_MAX)
		return saas__err(SAAS_EINVAL, "metadata", "metadata is longer than %d bytes",
		                 METADATA_MAX);
	v = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!v)
		return saas__err(SAAS_EINVAL, "metadata", "metadata is not valid JSON: %s",
		                 saas__q(err.text));
	if (!json_is_object(v)) {
		json_decref(v);
		return saas__err(SAAS_EINVAL, "metadata", "metadata must be a JSON object");
	}
	*out = v;
	return SAAS_OK;
}

int saas_audit_record(int64_t *out_seq, saas_ctx *ctx, const saas_scope *scope,
                      const char *action, const char *target_type, const char *target_id,
                      const char *metadata_json)
{
	int64_t t0 = saas__mono_ns();
	json_t *meta = NULL;
	saas_tx *tx = NULL;
	int rc;

	if (out_seq)
		*out_seq = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)) || (rc = check_action(action)))
		goto done;
	if (target_id && !target_type) {
		rc = saas__err(SAAS_EINVAL, "target_type", "target_id is set but target_type is NULL");
		goto done;
	}
	if ((target_type && (rc = check_target("target_type", target_type))) ||
	    (target_id && (rc = check_target("target_id", target_id))) ||
	    (rc = parse_metadata(&meta, metadata_json)))
		goto done;

	rc = saas__tx_begin(&tx, ctx, scope->tenant_id, true);
	if (rc)
		goto done;
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
	if (!rc) {
		rc = saas__audit_append_seq(out_seq, tx, scope, action, target_type, target_id,
		                            meta);
		meta = NULL; /* stolen */
	}
	rc = saas__tx_finish(tx, rc);
	if (rc && out_seq)
		*out_seq = 0;
done:
	json_decref(meta);
	saas__op_done(ctx, "audit.record", t0, rc);
	return rc;
}
