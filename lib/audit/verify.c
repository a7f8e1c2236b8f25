/*
 * Verifying a tenant's audit stream: recompute the chain from event 1 to the
 * last and report the first damage found.
 *
 * Events are read in seq order, 1,000 at a time, inside one read transaction
 * (one snapshot: PostgreSQL read transactions are REPEATABLE READ), so a huge
 * stream never sits in memory. For each event, in this order:
 *
 *  1. seq must be the next number (1 for the first event). A jump from k-1 to
 *     a larger number is SAAS_AUDIT_MISSING at k, the first missing number.
 *  2. The format must be one this library knows, and prev_hash well formed;
 *     otherwise SAAS_AUDIT_CHANGED.
 *  3. The hash recomputed from the row (its own seq, format and prev_hash)
 *     must equal the stored hash. If not, the event is recomputed with each
 *     other sequence number within OUT_OF_ORDER_WINDOW of its place (nearest
 *     first, never below 1): if one of them reproduces the stored hash, the
 *     event's content is intact but it sits at the wrong place (two events'
 *     numbers swapped, or one moved): SAAS_AUDIT_OUT_OF_ORDER. Otherwise
 *     SAAS_AUDIT_CHANGED.
 *  4. The stored prev_hash must equal the previous event's stored hash (64
 *     '0' for event 1); otherwise SAAS_AUDIT_BROKEN_LINK (an event edited and
 *     re-hashed breaks the link of the one after it; events deleted and the
 *     rest renumbered and re-hashed break it too).
 *
 * Then, if the chain is intact, every signed checkpoint of the stream
 * (checkpoint.c): its signature must verify with the trusted key of its key
 * id (else SAAS_AUDIT_BAD_SIGNATURE at its seq), its event must exist (else
 * SAAS_AUDIT_CUT at the stream's last seq + 1) and hold the signed hash (else
 * SAAS_AUDIT_CHANGED at its seq).
 *
 * Damage is a finding, not an error: the call returns SAAS_OK with a report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saas/audit.h"
#include "audit.h"

#define SCAN_BATCH 1000u
/* How far from its place an event's original sequence number is looked for. */
#define OUT_OF_ORDER_WINDOW 4096

struct saas_audit_report {
	int damage;
	int64_t first_bad_seq;
	int64_t events;
	int64_t last_seq;
	char last_hash[65];
	int64_t checkpoints;
	char *message;
};

struct verify_state {
	const char *tenant_id;
	int64_t next_seq;  /* the sequence number expected next */
	char prev[65];     /* the stored hash of the last event checked (or 64 '0') */
	int64_t events;    /* events that verified */
	int damage;
	int64_t bad_seq;
	char msg[256];
};

static bool hash_is(const char *computed, const char *stored)
{
	return stored && strcmp(computed, stored) == 0;
}

/* The other sequence number, within the window, for which `row`'s content
 * reproduces its stored hash; 0 if none. */
static int64_t original_seq(const struct verify_state *vs, const struct saas__audit_row *row)
{
	struct saas__audit_row r = *row;
	char h[65];

	for (int64_t d = 1; d <= OUT_OF_ORDER_WINDOW; d++) {
		int64_t cand[2] = {row->seq + d, row->seq - d};
		for (int i = 0; i < 2; i++) {
			if (cand[i] < 1)
				continue;
			r.seq = cand[i];
			if (saas__audit_hash(h, vs->tenant_id, &r) == SAAS_OK && hash_is(h, row->hash))
				return cand[i];
		}
	}
	return 0;
}

static int found(struct verify_state *vs, int damage, int64_t seq)
{
	vs->damage = damage;
	vs->bad_seq = seq;
	return 1; /* stop the scan */
}

static int check_row(const struct saas__audit_row *row, void *payload)
{
	struct verify_state *vs = payload;
	char h[65];
	int64_t k = row->seq;

	if (k != vs->next_seq) {
		snprintf(vs->msg, sizeof vs->msg,
		         "event %" PRId64 " is missing: the stream goes from %" PRId64 " to %" PRId64,
		         vs->next_seq, vs->next_seq - 1, k);
		return found(vs, SAAS_AUDIT_MISSING, vs->next_seq);
	}
	if (row->format != SAAS__AUDIT_FORMAT) {
		snprintf(vs->msg, sizeof vs->msg,
		         "event %" PRId64 " was changed: its format %d is not one this library knows "
		         "(it reads format %d)", k, row->format, SAAS__AUDIT_FORMAT);
		return found(vs, SAAS_AUDIT_CHANGED, k);
	}
	if (saas__audit_hash(h, vs->tenant_id, row) != SAAS_OK) {
		snprintf(vs->msg, sizeof vs->msg,
		         "event %" PRId64 " was changed: its previous hash is not 64 hex characters", k);
		return found(vs, SAAS_AUDIT_CHANGED, k);
	}
	if (!hash_is(h, row->hash)) {
		int64_t orig = original_seq(vs, row);
		if (orig) {
			snprintf(vs->msg, sizeof vs->msg,
			         "event %" PRId64 " is out of order: its content and hash are those of "
			         "event %" PRId64, k, orig);
			return found(vs, SAAS_AUDIT_OUT_OF_ORDER, k);
		}
		snprintf(vs->msg, sizeof vs->msg,
		         "event %" PRId64 " was changed: its content no longer matches its hash", k);
		return found(vs, SAAS_AUDIT_CHANGED, k);
	}
	if (strcmp(row->prev_hash, vs->prev) != 0) {
		if (k == 1)
			snprintf(vs->msg, sizeof vs->msg,
			         "event 1 has a broken link: its previous hash is not 64 zeros");
		else
			snprintf(vs->msg, sizeof vs->msg,
			         "event %" PRId64 " has a broken link: its previous hash is not the hash "
			         "of event %" PRId64, k, k - 1);
		return found(vs, SAAS_AUDIT_BROKEN_LINK, k);
	}
	memcpy(vs->prev, row->hash, 65); /* verified above: 64 hex characters */
	vs->next_seq = k + 1;
	vs->events++;
	return 0;
}

int saas_audit_verify(saas_audit_report **out, saas_ctx *ctx, const saas_scope *scope)
{
	int64_t t0 = saas__mono_ns();
	struct verify_state vs;
	struct saas__audit_ckpt_result cr;
	struct saas_audit_report *r = NULL;
	saas_tx *tx = NULL;
	size_t rows;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		goto done;
	memset(&vs, 0, sizeof vs);
	vs.tenant_id = scope->tenant_id;
	vs.next_seq = 1;
	memset(vs.prev, '0', 64);
	r = calloc(1, sizeof *r);
	if (!r) {
		rc = saas__enomem();
		goto done;
	}
	/* No tenant check: any status, any id, the deployment's stream too. */
	rc = saas__tx_begin(&tx, ctx, scope->tenant_id, false);
	if (rc)
		goto done;
	do {
		rc = saas__st_audit_scan(&rows, tx, vs.next_seq - 1, SCAN_BATCH, check_row, &vs);
	} while (!rc && !vs.damage && rows == SCAN_BATCH);
	if (!rc && !vs.damage) {
		rc = saas__audit_ckpt_verify(&cr, tx, vs.next_seq - 1);
		if (!rc && cr.damage) {
			vs.damage = cr.damage;
			vs.bad_seq = cr.bad_seq;
			memcpy(vs.msg, cr.msg, sizeof vs.msg);
		}
		r->checkpoints = cr.checked;
	}
	saas__tx_rollback(tx);
	if (rc)
		goto done;

	r->damage = vs.damage;
	r->first_bad_seq = vs.damage ? vs.bad_seq : 0;
	r->events = vs.events;
	r->last_seq = vs.next_seq - 1;
	if (vs.events)
		memcpy(r->last_hash, vs.prev, 65);
	if (!vs.damage)
		snprintf(vs.msg, sizeof vs.msg, "intact: %" PRId64 " event%s, %s", vs.events,
		         vs.events == 1 ? "" : "s",
		         r->checkpoints ? "" : "no signed checkpoint");
	if (!vs.damage && r->checkpoints) {
		size_t n = strlen(vs.msg);
		snprintf(vs.msg + n, sizeof vs.msg - n, "%" PRId64 " signed checkpoint%s verified",
		         r->checkpoints, r->checkpoints == 1 ? "" : "s");
	}
	r->message = saas__strdup(vs.msg);
	if (!r->message) {
		rc = saas__enomem();
		goto done;
	}
	*out = r;
	r = NULL;
done:
	saas_audit_report_free(r);
	saas__op_done(ctx, "audit.verify", t0, rc);
	return rc;
}

int saas_audit_report_ok(const saas_audit_report *r)
{
	return r && r->damage == SAAS_AUDIT_OK;
}

int saas_audit_report_damage(const saas_audit_report *r)
{
	return r ? r->damage : -1;
}

const char *saas_audit_damage_name(int damage)
{
	switch (damage) {
	case SAAS_AUDIT_OK:
		return "ok";
	case SAAS_AUDIT_CHANGED:
		return "changed";
	case SAAS_AUDIT_MISSING:
		return "missing";
	case SAAS_AUDIT_OUT_OF_ORDER:
		return "out_of_order";
	case SAAS_AUDIT_BROKEN_LINK:
		return "broken_link";
	case SAAS_AUDIT_CUT:
		return "cut";
	case SAAS_AUDIT_BAD_SIGNATURE:
		return "bad_signature";
	default:
		return NULL;
	}
}

int64_t saas_audit_report_first_bad_seq(const saas_audit_report *r)
{
	return r ? r->first_bad_seq : 0;
}

int64_t saas_audit_report_events(const saas_audit_report *r)
{
	return r ? r->events : 0;
}

int64_t saas_audit_report_checkpoints(const saas_audit_report *r)
{
	return r ? r->checkpoints : 0;
}

int64_t saas_audit_report_last_seq(const saas_audit_report *r)
{
	return r ? r->last_seq : 0;
}

const char *saas_audit_report_last_hash(const saas_audit_report *r)
{
	return r ? r->last_hash : NULL;
}

const char *saas_audit_report_message(const saas_audit_report *r)
{
	return r ? r->message : NULL;
}

void saas_audit_report_free(saas_audit_report *r)
{
	if (!r)
		return;
	free(r->message);
	free(r);
}
