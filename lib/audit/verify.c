/*
 * Verifying a tenant's audit stream: recompute the chain from event 1 (or,
 * when the oldest events were purged, from the event after the stream's
 * signed retention anchor, whose signature is checked first) to the last
 * and report the first damage found.
 *
 * Events are read in seq order, 1,000 at a time, inside one read transaction
 * (one snapshot: PostgreSQL read transactions are REPEATABLE READ), so a huge
 * stream never sits in memory. For each event, in this order:
 *
 *  1. seq must be the next number (1 for the first event). A jump from k-1 to
 *     a larger number is SAAS_AUDIT_MISSING at k, the first missing number.
 *  2. The format must be one this library knows (1 or 2; a format-1 row must
 *     leave the format-2 columns empty), and prev_hash well formed;
 *     otherwise SAAS_AUDIT_CHANGED.
 *  3. The hash recomputed from the row (its own seq, format and prev_hash)
 *     must equal the stored hash. If not, the event is recomputed with each
 *     other sequence number within OUT_OF_ORDER_WINDOW of its place (nearest
 *     first, never below 1): if one of them reproduces the stored hash, the
 *     event's content is intact but it sits at the wrong place (two events'
 *     numbers swapped, or one moved): SAAS_AUDIT_OUT_OF_ORDER. Otherwise
 *     SAAS_AUDIT_CHANGED.
 *  4. The stored prev_hash must equal the previous event's stored hash (64
 *     '0' for event 1, the anchor's hash for the event after it); otherwise SAAS_AUDIT_BROKEN_LINK (an event edited and
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
 *
 * The rows come from one of two sources and go through the same checker
 * (check_row): the database (saas_audit_verify) or an export file written by
 * saas_audit_export (saas_audit_verify_file), whose checkpoints are then
 * checked with the public keys given instead of the context's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
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
	int64_t first_seq;
	int64_t first_bad_seq;
	int64_t events;
	int64_t last_seq;
	char last_hash[65];
	int64_t checkpoints;
	char *message;
};

struct verify_state {
	const char *tenant_id;
	int64_t first_seq; /* 1, or the event after the retention anchor */
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
	if (row->format < 1 || row->format > SAAS__AUDIT_FORMAT) {
		snprintf(vs->msg, sizeof vs->msg,
		         "event %" PRId64 " was changed: its format %d is not one this library knows "
		         "(it reads formats 1 to %d)", k, row->format, SAAS__AUDIT_FORMAT);
		return found(vs, SAAS_AUDIT_CHANGED, k);
	}
	if (row->format == 1 && (row->on_behalf_of || row->subject_id || row->personal)) {
		snprintf(vs->msg, sizeof vs->msg,
		         "event %" PRId64 " was changed: it is a format-1 event with format-2 fields", k);
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
		else if (k == vs->first_seq)
			snprintf(vs->msg, sizeof vs->msg,
			         "event %" PRId64 " has a broken link: its previous hash is not the one "
			         "the retention anchor holds for event %" PRId64, k, k - 1);
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

/* Start at event 1, or after the retention anchor `a` (NULL: none). */
static void chain_init(struct verify_state *vs, const char *tenant_id,
                       const struct saas__audit_ckpt *a)
{
	memset(vs, 0, sizeof *vs);
	vs->tenant_id = tenant_id;
	vs->first_seq = vs->next_seq = 1;
	memset(vs->prev, '0', 64);
	if (a && a->hash && strlen(a->hash) == 64 && a->seq >= 1) {
		vs->first_seq = vs->next_seq = a->seq + 1;
		memcpy(vs->prev, a->hash, 65);
	}
}

/* A bad anchor signature is the first damage: it precedes every event. */
static void anchor_damage(struct verify_state *vs, const struct saas__audit_ckpt_result *ar)
{
	vs->damage = ar->damage;
	vs->bad_seq = ar->bad_seq;
	vs->events = 0;
	memcpy(vs->msg, ar->msg, sizeof vs->msg);
}

/* The report of a checked stream (chain in `vs`, then the checkpoints). */
static int make_report(struct saas_audit_report **out, struct verify_state *vs,
                       const struct saas__audit_ckpt_result *cr)
{
	struct saas_audit_report *r = calloc(1, sizeof *r);

	*out = NULL;
	if (!r)
		return saas__enomem();
	if (!vs->damage && cr->damage) {
		vs->damage = cr->damage;
		vs->bad_seq = cr->bad_seq;
		memcpy(vs->msg, cr->msg, sizeof vs->msg);
	}
	r->checkpoints = cr->checked;
	r->first_seq = vs->first_seq;
	r->damage = vs->damage;
	r->first_bad_seq = vs->damage ? vs->bad_seq : 0;
	r->events = vs->events;
	r->last_seq = vs->next_seq - 1;
	if (vs->events)
		memcpy(r->last_hash, vs->prev, 65);
	if (!vs->damage && vs->first_seq > 1)
		snprintf(vs->msg, sizeof vs->msg,
		         "intact: %" PRId64 " event%s from %" PRId64 " (1 to %" PRId64 " purged under "
		         "a signed retention anchor), %s",
		         vs->events, vs->events == 1 ? "" : "s", vs->first_seq, vs->first_seq - 1,
		         r->checkpoints ? "" : "no signed checkpoint");
	else if (!vs->damage)
		snprintf(vs->msg, sizeof vs->msg, "intact: %" PRId64 " event%s, %s", vs->events,
		         vs->events == 1 ? "" : "s",
		         r->checkpoints ? "" : "no signed checkpoint");
	if (!vs->damage && r->checkpoints) {
		size_t n = strlen(vs->msg);
		snprintf(vs->msg + n, sizeof vs->msg - n, "%" PRId64 " signed checkpoint%s verified",
		         r->checkpoints, r->checkpoints == 1 ? "" : "s");
	}
	r->message = saas__strdup(vs->msg);
	if (!r->message) {
		free(r);
		return saas__enomem();
	}
	*out = r;
	return SAAS_OK;
}

int saas__audit_verify_tx(saas_audit_report **out, saas_tx *tx)
{
	struct verify_state vs;
	struct saas__audit_ckpt_result cr, ar;
	struct saas__audit_ckpt anchor;
	bool have_anchor;
	size_t rows;
	int rc;

	memset(&cr, 0, sizeof cr);
	rc = saas__st_audit_anchor_get(&have_anchor, &anchor, tx);
	if (rc)
		return rc;
	chain_init(&vs, saas__tx_tenant(tx), have_anchor ? &anchor : NULL);
	if (have_anchor) {
		rc = saas__audit_anchor_verify(&ar, saas__tx_ctx(tx), saas__tx_tenant(tx), NULL, 0,
		                               &anchor);
		if (!rc && ar.damage)
			anchor_damage(&vs, &ar);
	}
	/* The row source: the database, in batches, in one snapshot. */
	while (!rc && !vs.damage) {
		rc = saas__st_audit_scan(&rows, tx, vs.next_seq - 1, SCAN_BATCH, check_row, &vs);
		if (rows < SCAN_BATCH)
			break;
	}
	if (!rc && !vs.damage)
		rc = saas__audit_ckpt_verify(&cr, tx, vs.first_seq, vs.next_seq - 1);
	if (!rc)
		rc = make_report(out, &vs, &cr);
	saas__audit_ckpt_clear(&anchor);
	return rc;
}

int saas_audit_verify(saas_audit_report **out, saas_ctx *ctx, const saas_scope *scope)
{
	int64_t t0 = saas__mono_ns();
	saas_tx *tx = NULL;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		goto done;
	/* No tenant check: any status, any id, the deployment's stream too. */
	rc = saas__tx_begin(&tx, ctx, scope->tenant_id, false);
	if (rc)
		goto done;
	rc = saas__audit_verify_tx(out, tx);
	saas__tx_rollback(tx);
done:
	saas__op_done(ctx, "audit.verify", t0, rc);
	return rc;
}

/* ---- verifying an export file (saas_audit_export's format) ------------------- */

struct file_ckpts {
	struct saas__audit_ckpt *ck;
	size_t n, cap;
	char (*hashes)[65]; /* the hash of event i + 1, while the chain is intact */
	size_t nh, caph;
};

static void file_ckpts_free(struct file_ckpts *f)
{
	for (size_t i = 0; i < f->n; i++)
		saas__audit_ckpt_clear(&f->ck[i]);
	free(f->ck);
	free(f->hashes);
}

static int bad_line(const char *path, size_t line, const char *what)
{
	return saas__err(SAAS_EINVAL, "path", "%s line %zu: %s", path, line, what);
}

/* A member that must be a string or null (*ok cleared otherwise). */
static const char *str_or_null(json_t *o, const char *key, bool *ok)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*ok = false;
		return NULL;
	}
	return json_string_value(v);
}

static int int_member(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int file_event(struct verify_state *vs, struct file_ckpts *fc, json_t *o,
                      const char *path, size_t line)
{
	struct saas__audit_row r = {0};
	const char *tenant;
	int64_t fmt;
	bool ok = true;

	tenant = str_or_null(o, "tenant_id", &ok);
	if (!tenant || strcmp(tenant, vs->tenant_id) != 0)
		return bad_line(path, line, "the event's tenant_id is not the header's");
	if (int_member(o, "seq", &r.seq) || int_member(o, "occurred_at", &r.occurred_at) ||
	    int_member(o, "format", &fmt) || fmt < INT32_MIN || fmt > INT32_MAX)
		return bad_line(path, line, "an event needs integer seq, occurred_at and format");
	r.format = (int)fmt;
	r.id = str_or_null(o, "id", &ok);
	r.actor_type = str_or_null(o, "actor_type", &ok);
	r.actor_id = str_or_null(o, "actor_id", &ok);
	r.action = str_or_null(o, "action", &ok);
	r.target_type = str_or_null(o, "target_type", &ok);
	r.target_id = str_or_null(o, "target_id", &ok);
	r.request_id = str_or_null(o, "request_id", &ok);
	r.ip = str_or_null(o, "ip", &ok);
	r.user_agent = str_or_null(o, "user_agent", &ok);
	r.metadata = str_or_null(o, "metadata", &ok);
	r.on_behalf_of = str_or_null(o, "on_behalf_of", &ok);
	r.subject_id = str_or_null(o, "subject_id", &ok);
	r.personal = str_or_null(o, "personal", &ok);
	r.prev_hash = str_or_null(o, "prev_hash", &ok);
	r.hash = str_or_null(o, "hash", &ok);
	if (!ok)
		return bad_line(path, line, "an event's text fields must be strings or null");
	if (vs->damage)
		return SAAS_OK; /* the first damage is reported; the rest is only parsed */
	check_row(&r, vs);
	if (!vs->damage) {
		if (fc->nh == fc->caph) {
			size_t cap = fc->caph ? fc->caph * 2 : 1024;
			void *p = realloc(fc->hashes, cap * sizeof *fc->hashes);
			if (!p)
				return saas__enomem();
			fc->hashes = p;
			fc->caph = cap;
		}
		memcpy(fc->hashes[fc->nh++], vs->prev, 65);
	}
	return SAAS_OK;
}

/* A checkpoint or anchor object of an export file into `k` (strings
 * malloc'd; free with saas__audit_ckpt_clear). */
static int parse_signed(struct saas__audit_ckpt *k, json_t *c, const char *what,
                        const char *path, size_t line)
{
	bool ok = true;
	const char *hash, *key_id, *sig;
	char msg[128];

	memset(k, 0, sizeof *k);
	if (!json_is_object(c) || int_member(c, "seq", &k->seq) ||
	    int_member(c, "created_at", &k->created_at)) {
		snprintf(msg, sizeof msg, "a %s needs integer seq and created_at", what);
		return bad_line(path, line, msg);
	}
	hash = str_or_null(c, "hash", &ok);
	key_id = str_or_null(c, "key_id", &ok);
	sig = str_or_null(c, "signature", &ok);
	if (!ok || !hash || !key_id || !sig) {
		snprintf(msg, sizeof msg, "a %s needs hash, key_id and signature strings", what);
		return bad_line(path, line, msg);
	}
	k->hash = saas__strdup(hash);
	k->key_id = saas__strdup(key_id);
	k->signature = saas__strdup(sig);
	if (!k->hash || !k->key_id || !k->signature) {
		saas__audit_ckpt_clear(k);
		return saas__enomem();
	}
	return SAAS_OK;
}

static int file_ckpt(struct file_ckpts *fc, json_t *c, const char *path, size_t line)
{
	struct saas__audit_ckpt k;
	int rc;

	if (fc->n == fc->cap) {
		size_t cap = fc->cap ? fc->cap * 2 : 16;
		void *p = realloc(fc->ck, cap * sizeof *fc->ck);
		if (!p)
			return saas__enomem();
		fc->ck = p;
		fc->cap = cap;
	}
	rc = parse_signed(&k, c, "checkpoint", path, line);
	if (!rc)
		fc->ck[fc->n++] = k;
	return rc;
}

int saas_audit_verify_file(saas_audit_report **out, const char *path,
                           const char *const *public_keys, size_t n_keys)
{
	struct verify_state vs = {0};
	struct saas__audit_ckpt_result cr, ar;
	struct saas__audit_ckpt anchor = {0};
	bool have_anchor = false;
	struct file_ckpts fc = {0};
	const char **ev_hash = NULL;
	char *buf = NULL, *tenant = NULL;
	size_t cap = 0, line = 0;
	bool in_ckpts = false;
	ssize_t len;
	FILE *f = NULL;
	int rc = SAAS_OK;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!path)
		return saas__err(SAAS_EINVAL, "path", "path is NULL");
	if (n_keys && !public_keys)
		return saas__err(SAAS_EINVAL, "public_keys", "public_keys is NULL");
	/* The keys are checked first, whatever the file holds. */
	if ((rc = saas__audit_ckpt_verify_list(&cr, "", 1, 0, public_keys, n_keys, NULL, NULL, 0)))
		return rc;
	f = fopen(path, "rb");
	if (!f)
		return saas__err(errno == ENOENT ? SAAS_ENOTFOUND : SAAS_EINVAL, "path",
		                 "cannot read %s: %s", path, strerror(errno));
	while ((len = getline(&buf, &cap, f)) >= 0) {
		json_error_t jerr;
		json_t *o, *c;

		line++;
		if (len && buf[len - 1] == '\n')
			buf[--len] = '\0';
		o = json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(o)) {
			json_decref(o);
			rc = bad_line(path, line, "not a JSON object");
			break;
		}
		if (line == 1) {
			json_t *v = json_object_get(o, "version");
			const char *fmt = json_string_value(json_object_get(o, "format"));
			const char *t = json_string_value(json_object_get(o, "tenant_id"));

			if (!fmt || strcmp(fmt, "libsaas.audit.export") != 0 || !json_is_integer(v) ||
			    json_integer_value(v) < 1 ||
			    json_integer_value(v) > SAAS__AUDIT_EXPORT_VERSION || !t || !*t)
				rc = bad_line(path, line,
				              "not a libsaas audit export header (format "
				              "\"libsaas.audit.export\", version 1 or 2, tenant_id)");
			else if (!(tenant = saas__strdup(t)))
				rc = saas__enomem();
			else
				chain_init(&vs, tenant, NULL);
		} else if (line == 2 && (c = json_object_get(o, "anchor"))) {
			rc = parse_signed(&anchor, c, "retention anchor", path, line);
			if (!rc && (anchor.seq < 1 || strlen(anchor.hash) != 64))
				rc = bad_line(path, line, "a retention anchor needs seq >= 1 and a "
				                          "64-character hash");
			if (!rc) {
				have_anchor = true;
				chain_init(&vs, tenant, &anchor);
			}
		} else if ((c = json_object_get(o, "checkpoint"))) {
			in_ckpts = true;
			rc = file_ckpt(&fc, c, path, line);
		} else if (in_ckpts) {
			rc = bad_line(path, line, "an event after the checkpoints");
		} else {
			rc = file_event(&vs, &fc, o, path, line);
		}
		json_decref(o);
		if (rc)
			break;
	}
	if (!rc && ferror(f))
		rc = saas__err(SAAS_EINVAL, "path", "reading %s failed", path);
	if (!rc && line == 0)
		rc = saas__err(SAAS_EINVAL, "path", "%s line 1: the file is empty (no header)", path);
	if (rc)
		goto out;
	memset(&cr, 0, sizeof cr);
	if (have_anchor) {
		rc = saas__audit_anchor_verify(&ar, NULL, tenant, public_keys, n_keys, &anchor);
		if (rc)
			goto out;
		if (ar.damage)
			anchor_damage(&vs, &ar);
	}
	if (!vs.damage && fc.n) {
		ev_hash = calloc(fc.n, sizeof *ev_hash);
		if (!ev_hash) {
			rc = saas__enomem();
			goto out;
		}
		for (size_t i = 0; i < fc.n; i++)
			if (fc.ck[i].seq >= vs.first_seq &&
			    fc.ck[i].seq - vs.first_seq < (int64_t)fc.nh)
				ev_hash[i] = fc.hashes[fc.ck[i].seq - vs.first_seq];
		rc = saas__audit_ckpt_verify_list(&cr, tenant, vs.first_seq, vs.next_seq - 1,
		                                  public_keys, n_keys, fc.ck, ev_hash, fc.n);
	}
	if (!rc)
		rc = make_report(out, &vs, &cr);
out:
	if (f)
		fclose(f);
	free(buf);
	free(ev_hash);
	file_ckpts_free(&fc);
	saas__audit_ckpt_clear(&anchor);
	free(tenant);
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

int64_t saas_audit_report_first_seq(const saas_audit_report *r)
{
	return r ? r->first_seq : 0;
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
