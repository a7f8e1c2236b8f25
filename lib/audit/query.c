/* Reading the audit log: filtered, cursor-paginated queries and counts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "saas/audit.h"
#include "audit.h"

/* The longest text a filter criterion may hold. */
#define CRITERION_MAX 1000

struct saas_audit_page {
	char **json;     /* each event as a JSON object text */
	int64_t *seq;
	char **action;
	size_t n;        /* events held */
	size_t cap;      /* slots allocated (limit + 1) */
	char *next_cursor;
};

int saas_audit_filter_init(saas_audit_filter *f, unsigned version)
{
	saas_audit_filter def = SAAS_AUDIT_FILTER_INIT;

	if (!f)
		return saas__err(SAAS_EINVAL, "filter", "filter is NULL");
	if (version != SAAS_AUDIT_FILTER_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "saas_audit_filter version %u is not supported (this library knows %d)",
		                 version, SAAS_AUDIT_FILTER_VERSION);
	*f = def;
	return SAAS_OK;
}

static int check_filter(const saas_audit_filter *f)
{
	int rc;

	if (!f)
		return SAAS_OK;
	if (f->version != SAAS_AUDIT_FILTER_VERSION)
		return saas__err(SAAS_EINVAL, "version",
		                 "saas_audit_filter version %u is not supported (this library knows %d)",
		                 f->version, SAAS_AUDIT_FILTER_VERSION);
	if (f->since_ms < 0)
		return saas__err(SAAS_EINVAL, "since_ms", "since_ms %lld is negative (0 means any time)",
		                 (long long)f->since_ms);
	if (f->until_ms < 0)
		return saas__err(SAAS_EINVAL, "until_ms", "until_ms %lld is negative (0 means any time)",
		                 (long long)f->until_ms);
	if (f->since_ms && f->until_ms && f->since_ms > f->until_ms)
		return saas__err(SAAS_EINVAL, "until_ms",
		                 "until_ms %lld is before since_ms %lld", (long long)f->until_ms,
		                 (long long)f->since_ms);
	if ((f->actor_id && (rc = saas__check_text("actor_id", f->actor_id, CRITERION_MAX, false))) ||
	    (f->action_prefix &&
	     (rc = saas__check_text("action_prefix", f->action_prefix, CRITERION_MAX, false))) ||
	    (f->target_type &&
	     (rc = saas__check_text("target_type", f->target_type, CRITERION_MAX, false))) ||
	    (f->target_id && (rc = saas__check_text("target_id", f->target_id, CRITERION_MAX, false))))
		return rc;
	return SAAS_OK;
}

/* A cursor is the last sequence number of the previous page, in decimal. */
static int parse_cursor(int64_t *out, const char *cursor)
{
	char *end;
	long long v;

	*out = 0;
	if (!cursor)
		return SAAS_OK;
	if (cursor[0] < '0' || cursor[0] > '9' || strspn(cursor, "0123456789") != strlen(cursor) ||
	    strlen(cursor) > 19)
		goto bad;
	errno = 0;
	v = strtoll(cursor, &end, 10);
	if (errno == ERANGE || *end != '\0')
		goto bad;
	*out = (int64_t)v;
	return SAAS_OK;
bad:
	return saas__err(SAAS_EINVAL, "cursor",
	                 "cursor '%s' is not one this call returned (a sequence number)",
	                 saas__q(cursor));
}

/* Checks shared by the query and the count, then a read transaction on the
 * scope's tenant (whatever its status: the log is readable in every state). */
static int begin(saas_tx **tx, saas_ctx *ctx, const saas_scope *scope,
                 const saas_audit_filter *filter)
{
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)) || (rc = check_filter(filter)))
		return rc;
	return saas__tx_begin(tx, ctx, scope->tenant_id, false);
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *member_or_null(json_t *o, const char *key)
{
	json_t *v = o ? json_object_get(o, key) : NULL;

	return v ? json_incref(v) : json_null();
}

/* The event as documented in saas/audit.h, compact with sorted keys. The
 * personal data of a format-2 event is decrypted with its subject's key
 * (e->subject_key; NULL once forgotten). */
static int event_json(char **out, const char *tenant_id, const struct saas__audit_row *e)
{
	json_error_t jerr;
	json_t *meta = json_loads(e->metadata ? e->metadata : "{}", 0, &jerr), *target, *obj;
	json_t *plain = NULL, *personal = json_null(), *ip, *ua, *email;
	int rc;

	*out = NULL;
	if (!meta || !json_is_object(meta)) {
		json_decref(meta);
		return saas__err(SAAS_ESTORE, NULL,
		                 "audit event %lld of tenant %s has metadata that is not a JSON object",
		                 (long long)e->seq, tenant_id);
	}
	if (e->format >= 2) {
		rc = saas__audit_unseal(&plain, e->subject_key_id, e->subject_key, e->personal);
		if (rc) {
			json_decref(meta);
			return saas__err(rc, NULL, "audit event %lld of tenant %s: %s",
			                 (long long)e->seq, tenant_id, saas_error_message(saas_error_last()));
		}
		if (e->personal)
			personal = json_pack("{s:o,s:b,s:o}", "subject_id", text_or_null(e->subject_id),
			                     "readable", plain != NULL, "data",
			                     member_or_null(plain, "data"));
		ip = member_or_null(plain, "ip");
		ua = member_or_null(plain, "user_agent");
		email = member_or_null(plain, "actor_email");
	} else {
		ip = text_or_null(e->ip);
		ua = text_or_null(e->user_agent);
		email = json_null();
	}
	target = (e->target_type || e->target_id)
	                 ? json_pack("{s:o,s:o}", "type", text_or_null(e->target_type), "id",
	                             text_or_null(e->target_id))
	                 : json_null();
	obj = json_pack("{s:I,s:o,s:s,s:o,s:{s:o,s:o,s:o,s:o},s:o,s:o,s:{s:o,s:o,s:o},s:o,s:o,"
	                "s:i,s:o,s:o}",
	                "seq", (json_int_t)e->seq, "id", text_or_null(e->id), "tenant_id",
	                tenant_id, "occurred_at", saas__json_time(e->occurred_at), "actor", "type",
	                text_or_null(e->actor_type), "id", text_or_null(e->actor_id),
	                "on_behalf_of", text_or_null(e->on_behalf_of), "email", email, "action",
	                text_or_null(e->action), "target", target, "context", "request_id",
	                text_or_null(e->request_id), "ip", ip, "user_agent", ua, "metadata", meta,
	                "personal", personal, "format", e->format, "prev_hash",
	                text_or_null(e->prev_hash), "hash", text_or_null(e->hash));
	json_decref(plain);
	if (!obj)
		return saas__enomem();
	*out = saas__json_take_dump(obj);
	return *out ? SAAS_OK : saas__enomem();
}

struct collect {
	struct saas_audit_page *p;
	const char *tenant_id;
};

static int collect_row(const struct saas__audit_row *e, void *payload)
{
	struct collect *c = payload;
	struct saas_audit_page *p = c->p;
	int rc;

	if (p->n >= p->cap)
		return 1;
	rc = event_json(&p->json[p->n], c->tenant_id, e);
	if (rc)
		return rc;
	p->seq[p->n] = e->seq;
	p->action[p->n] = saas__strdup(e->action ? e->action : "");
	if (!p->action[p->n]) {
		free(p->json[p->n]);
		p->json[p->n] = NULL;
		return saas__enomem();
	}
	p->n++;
	return 0;
}

void saas_audit_page_free(saas_audit_page *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->json[i]);
		free(p->action[i]);
	}
	free(p->json);
	free(p->seq);
	free(p->action);
	free(p->next_cursor);
	free(p);
}

int saas_audit_query(saas_audit_page **out, saas_ctx *ctx, const saas_scope *scope,
                     const saas_audit_filter *filter, const char *cursor, unsigned limit)
{
	int64_t t0 = saas__mono_ns(), after = 0;
	struct saas_audit_page *p = NULL;
	saas_tx *tx = NULL;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (limit < 1 || limit > 1000) {
		rc = saas__err(SAAS_EINVAL, "limit", "limit %u is not between 1 and 1000", limit);
		goto done;
	}
	if ((rc = parse_cursor(&after, cursor)))
		goto done;
	if ((rc = begin(&tx, ctx, scope, filter)))
		goto done;
	p = calloc(1, sizeof *p);
	if (p) {
		/* Read one more than asked to know whether a next page exists. */
		p->cap = (size_t)limit + 1;
		p->json = calloc(p->cap, sizeof *p->json);
		p->seq = calloc(p->cap, sizeof *p->seq);
		p->action = calloc(p->cap, sizeof *p->action);
	}
	if (!p || !p->json || !p->seq || !p->action) {
		rc = saas__enomem();
	} else {
		struct collect c = {p, scope->tenant_id};
		rc = saas__st_audit_query(tx, filter, after, limit + 1, collect_row, &c);
	}
	saas__tx_rollback(tx);
	if (!rc && p->n > limit) {
		char buf[24];

		p->n--;
		free(p->json[limit]);
		free(p->action[limit]);
		p->json[limit] = p->action[limit] = NULL;
		snprintf(buf, sizeof buf, "%lld", (long long)p->seq[limit - 1]);
		if (!(p->next_cursor = saas__strdup(buf)))
			rc = saas__enomem();
	}
	if (rc) {
		saas_audit_page_free(p);
		p = NULL;
	}
	*out = p;
done:
	saas__op_done(ctx, "audit.query", t0, rc);
	return rc;
}

int saas_audit_count(int64_t *out, saas_ctx *ctx, const saas_scope *scope,
                     const saas_audit_filter *filter)
{
	int64_t t0 = saas__mono_ns();
	saas_tx *tx = NULL;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!(rc = begin(&tx, ctx, scope, filter))) {
		rc = saas__st_audit_query_count(out, tx, filter);
		saas__tx_rollback(tx);
	}
	saas__op_done(ctx, "audit.count", t0, rc);
	return rc;
}

size_t saas_audit_page_count(const saas_audit_page *p)
{
	return p ? p->n : 0;
}

const char *saas_audit_page_event_json(const saas_audit_page *p, size_t i)
{
	return p && i < p->n ? p->json[i] : NULL;
}

int64_t saas_audit_page_seq(const saas_audit_page *p, size_t i)
{
	return p && i < p->n ? p->seq[i] : 0;
}

const char *saas_audit_page_action(const saas_audit_page *p, size_t i)
{
	return p && i < p->n ? p->action[i] : NULL;
}

const char *saas_audit_page_next_cursor(const saas_audit_page *p)
{
	return p ? p->next_cursor : NULL;
}
