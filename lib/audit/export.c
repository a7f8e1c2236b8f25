/*
 * Exporting an audit stream as JSON lines (docs/audit.md, "Export"): a
 * header, the retention anchor if the stream has one, every event with the
 * raw stored values its hash covers, then every signed checkpoint. saas_audit_verify_file() (verify.c) reads it back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "saas/audit.h"
#include "audit.h"

#define EXPORT_BATCH 1000u

struct export_state {
	FILE *f;
	const char *tenant_id;
	int64_t last;   /* the last seq written */
	int err;        /* a write failed */
};

/* Write `obj` (stolen) as one line. */
static int put_line(struct export_state *es, json_t *obj)
{
	char *s;

	if (!obj)
		return saas__enomem();
	s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (!s)
		return saas__enomem();
	if (fputs(s, es->f) == EOF || fputc('\n', es->f) == EOF)
		es->err = errno ? errno : EIO;
	free(s);
	return es->err ? saas__err(SAAS_EINVAL, "path", "writing the export failed: %s",
	                           strerror(es->err))
	               : SAAS_OK;
}

static int put_event(const struct saas__audit_row *e, void *payload)
{
	struct export_state *es = payload;
	json_t *o = json_pack(
		"{s:s,s:I,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:o,s:o}", "tenant_id",
		es->tenant_id, "seq", (json_int_t)e->seq, "id", saas__json_str_or_null(e->id),
		"occurred_at", (json_int_t)e->occurred_at, "actor_type",
		saas__json_str_or_null(e->actor_type), "actor_id", saas__json_str_or_null(e->actor_id),
		"action", saas__json_str_or_null(e->action), "target_type",
		saas__json_str_or_null(e->target_type), "target_id",
		saas__json_str_or_null(e->target_id), "request_id",
		saas__json_str_or_null(e->request_id), "ip", saas__json_str_or_null(e->ip),
		"user_agent", saas__json_str_or_null(e->user_agent), "metadata",
		saas__json_str_or_null(e->metadata), "format", e->format, "prev_hash",
		saas__json_str_or_null(e->prev_hash), "hash", saas__json_str_or_null(e->hash));

	es->last = e->seq;
	if (o && (json_object_set_new(o, "on_behalf_of", saas__json_str_or_null(e->on_behalf_of)) ||
	          json_object_set_new(o, "subject_id", saas__json_str_or_null(e->subject_id)) ||
	          json_object_set_new(o, "personal", saas__json_str_or_null(e->personal)))) {
		json_decref(o);
		o = NULL;
	}
	return put_line(es, o);
}

/* {"<kind>":{seq, hash, created_at, key_id, signature}} */
static json_t *signed_json(const char *kind, const struct saas__audit_ckpt *c)
{
	return json_pack("{s:{s:I,s:o,s:I,s:o,s:o}}", kind, "seq", (json_int_t)c->seq, "hash",
	                 saas__json_str_or_null(c->hash), "created_at", (json_int_t)c->created_at,
	                 "key_id", saas__json_str_or_null(c->key_id), "signature",
	                 saas__json_str_or_null(c->signature));
}

static int put_ckpt(const struct saas__audit_ckpt *c, const char *event_hash, void *payload)
{
	struct export_state *es = payload;
	(void)event_hash;

	es->last = c->seq;
	return put_line(es, signed_json("checkpoint", c));
}

int saas_audit_export(saas_ctx *ctx, const saas_scope *scope, const char *path)
{
	int64_t t0 = saas__mono_ns();
	struct export_state es = {0};
	struct saas__audit_ckpt anchor = {0};
	bool have_anchor = false;
	saas_tx *tx = NULL;
	size_t rows;
	bool created = false;
	int rc, fd;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		goto done;
	if (!path || !*path) {
		rc = saas__err(SAAS_EINVAL, "path", "path is NULL or empty");
		goto done;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = errno == EEXIST
		             ? saas__err(SAAS_EEXISTS, "path", "%s already exists: an export never "
		                                               "overwrites a file", path)
		             : saas__err(SAAS_EINVAL, "path", "cannot create %s: %s", path,
		                         strerror(errno));
		goto done;
	}
	created = true;
	es.f = fdopen(fd, "w");
	if (!es.f) {
		close(fd);
		rc = saas__enomem();
		goto done;
	}
	es.tenant_id = scope->tenant_id;
	rc = put_line(&es, json_pack("{s:s,s:i,s:s,s:I}", "format", "libsaas.audit.export",
	                             "version", SAAS__AUDIT_EXPORT_VERSION, "tenant_id",
	                             scope->tenant_id, "exported_at", (json_int_t)saas__now(ctx)));
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, scope->tenant_id, false);
	if (rc)
		goto done;
	/* One snapshot for the anchor, the events and the checkpoints. */
	rc = saas__st_audit_anchor_get(&have_anchor, &anchor, tx);
	if (!rc && have_anchor) {
		rc = put_line(&es, signed_json("anchor", &anchor));
		es.last = anchor.seq;
	}
	while (!rc) {
		rc = saas__st_audit_scan(&rows, tx, es.last, EXPORT_BATCH, put_event, &es);
		if (rows < EXPORT_BATCH)
			break;
	}
	es.last = 0;
	while (!rc) {
		rc = saas__st_audit_ckpt_scan(&rows, tx, es.last, EXPORT_BATCH, put_ckpt, &es);
		if (rows < EXPORT_BATCH)
			break;
	}
	saas__tx_rollback(tx);
done:
	if (es.f) {
		if ((fflush(es.f) != 0 || fsync(fileno(es.f)) != 0) && !rc)
			rc = saas__err(SAAS_EINVAL, "path", "writing %s failed: %s", path,
			               strerror(errno));
		if (fclose(es.f) != 0 && !rc)
			rc = saas__err(SAAS_EINVAL, "path", "writing %s failed", path);
	}
	if (rc && created)
		unlink(path);
	saas__audit_ckpt_clear(&anchor);
	saas__op_done(ctx, "audit.export", t0, rc);
	return rc;
}
