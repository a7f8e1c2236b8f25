/*
 * Retention: purging the oldest events of a stream while it stays verifiable
 * (docs/audit.md, "Retention").
 *
 * A purge deletes a prefix of the stream, events 1 (or the previous anchor's
 * next) to S, with their checkpoints, and stores a signed anchor: the
 * statement "libsaas audit anchor v1\n<tenant>\n<S>\n<hash of S>\n<time>\n"
 * signed with the context's key. Verification then starts at S + 1, chained
 * to the anchor's hash; deleting events without a valid anchor is still
 * reported as missing events. The stream is verified before anything is
 * deleted, so a purge never erases the evidence of damage, and the purge is
 * itself an event (audit.purged) appended in the same transaction.
 */
#include <inttypes.h>
#include <string.h>

#include "saas/audit.h"
#include "audit.h"

int saas_audit_purge(int64_t *out_purged, saas_ctx *ctx, const saas_scope *scope,
                     int64_t before_ms)
{
	int64_t t0 = saas__mono_ns(), last, first_kept, through, deleted = 0;
	struct saas_audit_report *report = NULL;
	struct saas__audit_ckpt anchor = {0}, old;
	char tail_hash[65], hash[65], sig64[SAAS__AUDIT_SIG64_LEN];
	bool have_old = false, found;
	saas_tx *tx = NULL;
	json_t *meta;
	int rc;

	if (out_purged)
		*out_purged = 0;
	if (!out_purged)
		return saas__err(SAAS_EINVAL, "out_purged", "out_purged is NULL");
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		goto done;
	if (before_ms <= 0) {
		rc = saas__err(SAAS_EINVAL, "before_ms",
		               "before_ms %" PRId64 " is not a time after the epoch", before_ms);
		goto done;
	}
	if (before_ms > saas__now(ctx)) {
		rc = saas__err(SAAS_EINVAL, "before_ms",
		               "before_ms %" PRId64 " is in the future: only past events can be "
		               "purged", before_ms);
		goto done;
	}
	/* Needed whether or not anything is old enough, so that a job without
	 * its key fails on its first run, not on the first day it has work. */
	rc = saas__audit_require_key(ctx);
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, scope->tenant_id, true);
	if (rc)
		goto done;
	/* Hold the stream: nothing is appended while it is checked and cut. */
	rc = saas__st_audit_tail(&last, tail_hash, tx);
	if (!rc)
		rc = saas__st_audit_anchor_get(&have_old, &old, tx);
	if (!rc)
		rc = saas__st_audit_first_at(&first_kept, tx, before_ms);
	if (rc)
		goto finish;
	through = first_kept ? first_kept - 1 : last;
	if (through <= (have_old ? old.seq : 0))
		goto finish; /* nothing older than before_ms: no change, no event */
	rc = saas__audit_verify_tx(&report, tx);
	if (!rc && !saas_audit_report_ok(report))
		rc = saas__err(SAAS_ESTATE, NULL,
		               "the audit stream of %s is damaged (%s): nothing was purged, so the "
		               "evidence stays",
		               scope->tenant_id, saas_audit_report_message(report));
	if (!rc)
		rc = saas__st_audit_hash_at(&found, hash, tx, through);
	if (!rc && !found)
		rc = saas__err(SAAS_ESTORE, NULL, "audit event %" PRId64 " of %s vanished during "
		               "the purge", through, scope->tenant_id);
	if (rc)
		goto finish;
	anchor.seq = through;
	anchor.hash = hash;
	rc = saas__audit_anchor_sign(&anchor, sig64, tx);
	if (!rc)
		rc = saas__st_audit_delete_through(&deleted, tx, through);
	if (!rc)
		rc = saas__st_audit_anchor_put(tx, &anchor);
	if (!rc) {
		meta = json_pack("{s:I, s:I, s:I}", "through_seq", (json_int_t)through, "events",
		                 (json_int_t)deleted, "before", (json_int_t)before_ms);
		rc = meta ? saas__audit_append(tx, scope, "audit.purged", NULL, NULL, meta)
		          : saas__enomem();
	}
finish:
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		*out_purged = deleted;
done:
	if (have_old)
		saas__audit_ckpt_clear(&old);
	saas_audit_report_free(report);
	saas__op_done(ctx, "audit.purge", t0, rc);
	return rc;
}
