/*
 * Outbound webhooks (saas/webhook.h, second half): endpoints and their
 * refusals, the audit log as the outbox, the worker against a local
 * receiver (webhook_receiver.c) with the test clock: retries on the
 * schedule, Retry-After, 410, 3xx, exhaustion, the 5-day disable, the
 * address guard, two workers on one queue, and a worker killed mid-request.
 */
#include <check.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "saas.h"
#include "helpers.h"
#include "webhook_receiver.h"

extern int64_t th_clock_ms;
extern const char *th_url;

static const char *const loopback[] = {"127.0.0.0/8", "::1/128"};

/* Run the worker until idle; loopback allowed unless `guarded`. */
static saas_webhook_worker_stats run(saas_ctx *ctx, int guarded)
{
	saas_webhook_worker_options o = SAAS_WEBHOOK_WORKER_OPTIONS_INIT;
	saas_webhook_worker_stats st;

	if (!guarded) {
		o.allow = loopback;
		o.nallow = 2;
	}
	o.timeout_ms = 5000;
	ck_ok(saas_webhook_worker_run(ctx, &o, &st));
	return st;
}

static json_t *deliveries(saas_ctx *ctx, const saas_scope *s, const char *endpoint)
{
	char *text;
	json_t *v;

	ck_ok(saas_webhook_deliveries(&text, ctx, s, endpoint, 0));
	v = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(v);
	saas_free(text);
	return v;
}

static json_t *endpoints(saas_ctx *ctx, const saas_scope *s)
{
	char *text;
	json_t *v;

	ck_ok(saas_webhook_endpoint_list(&text, ctx, s));
	v = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(v);
	saas_free(text);
	return v;
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "(null)";
}

static json_int_t num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void event(saas_ctx *ctx, const saas_scope *s, const char *action)
{
	ck_ok(saas_audit_record(NULL, ctx, s, action, "thing", "t_1", "{\"n\":1}"));
}

/* Count audit events of `action` in the tenant. */
static int64_t audited(saas_ctx *ctx, const saas_scope *s, const char *action)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	int64_t n = 0;

	f.action_prefix = action;
	ck_ok(saas_audit_count(&n, ctx, s, &f));
	return n;
}

START_TEST(endpoints_are_checked_and_audited)
{
	saas_ctx *ctx = th_open(th_url);
	const char *t = th_tenant(ctx, "acme"), *u = th_tenant(ctx, "other");
	saas_scope *s = th_scope(t);
	const char *star = "*", *types[] = {"member.*", "subscription.activated", "member.*"};
	char *id, *secret, *again, *list_text;
	saas_scope *os;
	json_t *l, *e;

	/* refusals, each naming its field and changing nothing */
	ck_rc(saas_webhook_endpoint_add(&id, &secret, ctx, s, "ftp://example.com/x", &star, 1, NULL), SAAS_EINVAL);
	ck_field("url");
	ck_rc(saas_webhook_endpoint_add(&id, &secret, ctx, s, "example.com/x", &star, 1, NULL), SAAS_EINVAL);
	ck_field("url");
	ck_rc(saas_webhook_endpoint_add(&id, &secret, ctx, s, "https://user:pw@example.com/x", &star, 1, NULL), SAAS_EINVAL);
	ck_field("url");
	ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), "pw"));
	ck_rc(saas_webhook_endpoint_add(&id, &secret, ctx, s, NULL, &star, 1, NULL), SAAS_EINVAL);
	ck_rc(saas_webhook_endpoint_add(&id, &secret, ctx, s, "https://example.com/x", NULL, 0, NULL), SAAS_EINVAL);
	ck_field("event_types");
	{
		const char *bad[] = {"member.*", "Member.added"};

		ck_rc(saas_webhook_endpoint_add(&id, &secret, ctx, s, "https://example.com/x", bad, 2, NULL), SAAS_EINVAL);
		ck_field("event_types[1]");
		bad[1] = "member..added";
		ck_rc(saas_webhook_endpoint_add(&id, &secret, ctx, s, "https://example.com/x", bad, 2, NULL), SAAS_EINVAL);
		bad[1] = "*.added";
		ck_rc(saas_webhook_endpoint_add(&id, &secret, ctx, s, "https://example.com/x", bad, 2, NULL), SAAS_EINVAL);
	}
	ck_assert_ptr_null(id);
	ck_assert_ptr_null(secret);
	ck_assert_int_eq(audited(ctx, s, "webhook.endpoint_created"), 0);

	/* added: the secret is a Standard Webhooks one, never listed or audited */
	ck_ok(saas_webhook_endpoint_add(&id, &secret, ctx, s, "https://hooks.example.com/in", types, 3, "CRM"));
	ck_assert_int_eq(strncmp(id, "whe_", 4), 0);
	ck_assert_int_eq(strncmp(secret, "whsec_", 6), 0);
	ck_ok(saas_webhook_endpoint_secret(&again, ctx, s, id));
	ck_assert_str_eq(again, secret);
	saas_free_secret(again);
	ck_ok(saas_webhook_endpoint_list(&list_text, ctx, s));
	ck_assert_ptr_null(strstr(list_text, secret + 6));
	l = json_loads(list_text, 0, NULL);
	saas_free(list_text);
	ck_assert_uint_eq(json_array_size(l), 1);
	e = json_array_get(l, 0);
	ck_assert_str_eq(str(e, "id"), id);
	ck_assert_str_eq(str(e, "url"), "https://hooks.example.com/in");
	ck_assert_str_eq(str(e, "description"), "CRM");
	ck_assert(json_is_true(json_object_get(e, "enabled")));
	ck_assert_uint_eq(json_array_size(json_object_get(e, "event_types")), 2); /* sorted, deduplicated */
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(e, "event_types"), 0)), "member.*");
	ck_assert_int_eq(num(e, "secrets"), 1);
	ck_assert_str_eq(str(e, "created_at"), "2026-01-01T00:00:00.000Z");
	json_decref(l);
	ck_assert_int_eq(audited(ctx, s, "webhook.endpoint_created"), 1);

	/* another tenant does not see it or reach it */
	ck_ok(saas_scope_new(&os, u, SAAS_ACTOR_SYSTEM, "test"));
	l = endpoints(ctx, os);
	ck_assert_uint_eq(json_array_size(l), 0);
	json_decref(l);
	ck_rc(saas_webhook_endpoint_remove(ctx, os, id), SAAS_ENOTFOUND);
	ck_field("endpoint_id");
	ck_rc(saas_webhook_endpoint_secret(&again, ctx, os, id), SAAS_ENOTFOUND);
	ck_rc(saas_webhook_endpoint_set_enabled(ctx, os, id, 0), SAAS_ENOTFOUND);
	saas_scope_free(os);
	ck_rc(saas_webhook_endpoint_remove(ctx, s, "whe_nonsense"), SAAS_EINVAL);
	ck_field("endpoint_id");

	/* enable/disable: a no-op change audits nothing */
	ck_ok(saas_webhook_endpoint_set_enabled(ctx, s, id, 1));
	ck_assert_int_eq(audited(ctx, s, "webhook.endpoint_enabled"), 0);
	ck_ok(saas_webhook_endpoint_set_enabled(ctx, s, id, 0));
	ck_ok(saas_webhook_endpoint_set_enabled(ctx, s, id, 0));
	ck_assert_int_eq(audited(ctx, s, "webhook.endpoint_disabled"), 1);
	l = endpoints(ctx, s);
	ck_assert(json_is_false(json_object_get(json_array_get(l, 0), "enabled")));
	ck_assert_str_eq(str(json_array_get(l, 0), "disabled_reason"), "manual");
	json_decref(l);
	ck_ok(saas_webhook_endpoint_set_enabled(ctx, s, id, 1));
	ck_assert_int_eq(audited(ctx, s, "webhook.endpoint_enabled"), 1);

	/* rotation: both sign during the overlap; at most 10 at once */
	ck_rc(saas_webhook_endpoint_rotate_secret(&again, ctx, s, id, 604801), SAAS_EINVAL);
	ck_field("overlap_seconds");
	for (int i = 0; i < 9; i++) {
		ck_ok(saas_webhook_endpoint_rotate_secret(&again, ctx, s, id, 3600));
		ck_assert_str_ne(again, secret);
		saas_free_secret(again);
	}
	ck_rc(saas_webhook_endpoint_rotate_secret(&again, ctx, s, id, 3600), SAAS_ELIMIT);
	ck_assert_ptr_null(again);
	l = endpoints(ctx, s);
	ck_assert_int_eq(num(json_array_get(l, 0), "secrets"), 10);
	json_decref(l);
	th_clock_advance(3600 * 1000);
	ck_ok(saas_webhook_endpoint_rotate_secret(&again, ctx, s, id, 0));
	saas_free_secret(again);
	l = endpoints(ctx, s);
	ck_assert_int_eq(num(json_array_get(l, 0), "secrets"), 1);
	json_decref(l);
	ck_assert_int_eq(audited(ctx, s, "webhook.secret_rotated"), 10);

	/* a suspended tenant's endpoints are read, not written */
	ck_ok(saas_tenant_suspend(ctx, s, "test"));
	ck_rc(saas_webhook_endpoint_add(NULL, NULL, ctx, s, "https://example.com/x", &star, 1, NULL), SAAS_ESUSPENDED);
	ck_rc(saas_webhook_endpoint_set_enabled(ctx, s, id, 0), SAAS_ESUSPENDED);
	l = endpoints(ctx, s);
	ck_assert_uint_eq(json_array_size(l), 1);
	json_decref(l);
	ck_ok(saas_tenant_reactivate(ctx, s));

	/* removed */
	ck_ok(saas_webhook_endpoint_remove(ctx, s, id));
	ck_rc(saas_webhook_endpoint_remove(ctx, s, id), SAAS_ENOTFOUND);
	ck_assert_int_eq(audited(ctx, s, "webhook.endpoint_removed"), 1);
	l = endpoints(ctx, s);
	ck_assert_uint_eq(json_array_size(l), 0);
	json_decref(l);
	saas_free(id);
	saas_free_secret(secret);
	th_close(ctx);
}
END_TEST

/* Check a received request against the endpoint's secret: a valid
 * Standard Webhooks signature at the clock's time. */
static void ck_signed(const struct received *q, const char *secret)
{
	saas_webhook_header h[] = {{"webhook-id", q->id}, {"webhook-timestamp", q->timestamp},
	                           {"webhook-signature", q->signature}};
	saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	saas_webhook_result r;

	o.now = th_clock_ms / 1000;
	ck_ok(saas_webhook_verify_once(&r, SAAS_WEBHOOK_STANDARD, &secret, 1, h, 3, q->body, q->len, &o));
}

/* RFC 3339 text of ms, as the library writes it. */
static void rfc3339(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	char date[24];

	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", date, (int)(ms % 1000));
}

/* The one delivery of an endpoint (asserted to be one). */
static json_t *only_delivery(saas_ctx *ctx, const saas_scope *s, const char *endpoint)
{
	json_t *l = deliveries(ctx, s, endpoint), *d;

	ck_assert_uint_eq(json_array_size(l), 1);
	d = json_incref(json_array_get(l, 0));
	json_decref(l);
	return d;
}

START_TEST(events_are_delivered_signed_and_retried)
{
	saas_ctx *ctx = th_open(th_url);
	struct receiver *rcv = receiver_start(0);
	const char *t = th_tenant(ctx, "acme");
	saas_scope *s = th_scope(t);
	const char *members = "member.*", *star = "*";
	char *id1, *secret1, *id2, *secret2;
	saas_webhook_worker_stats st;
	json_t *d, *log, *l;

	ck_assert_ptr_nonnull(rcv);
	event(ctx, s, "member.before"); /* before the endpoints: not delivered */
	ck_ok(saas_webhook_endpoint_add(&id1, &secret1, ctx, s, receiver_url(rcv), &members, 1, NULL));
	ck_ok(saas_webhook_endpoint_add(&id2, &secret2, ctx, s, receiver_url(rcv), &star, 1, NULL));
	receiver_fail(rcv, 500, 3, NULL);
	event(ctx, s, "member.added");    /* both */
	event(ctx, s, "invoice.paid");    /* the second only */

	/* every first attempt fails */
	st = run(ctx, 0);
	ck_assert_uint_eq(st.fanned_out, 3);
	ck_assert_uint_eq(st.attempts, 3);
	ck_assert_uint_eq(st.retrying, 3);
	ck_assert_uint_eq(st.succeeded, 0);
	ck_assert_uint_eq(receiver_count(rcv), 3);
	/* nothing is due before the first step of the schedule (5 s +-20 %) */
	th_clock_advance(3999);
	st = run(ctx, 0);
	ck_assert_uint_eq(st.attempts, 0);
	ck_assert_uint_eq(st.fanned_out, 0);
	th_clock_advance(2001);
	st = run(ctx, 0);
	ck_assert_uint_eq(st.attempts, 3);
	ck_assert_uint_eq(st.succeeded, 3);
	ck_assert_uint_eq(receiver_count(rcv), 6);

	/* each request: signed with its endpoint's secret, the same webhook-id
	 * on both attempts, the event as the body */
	for (size_t i = 0; i < 6; i++) {
		struct received q;
		json_t *body;

		ck_assert(receiver_get(rcv, i, &q));
		ck_assert_uint_eq(receiver_count_id(rcv, q.id), 2);
		body = json_loads(q.body, 0, NULL);
		ck_assert_ptr_nonnull(body);
		if (strcmp(str(body, "type"), "invoice.paid") == 0) {
			ck_signed(&q, secret2);
		} else {
			ck_assert_str_eq(str(body, "type"), "member.added");
			/* one of the two endpoints' secrets */
			saas_webhook_header h[] = {{"webhook-id", q.id}, {"webhook-timestamp", q.timestamp},
			                           {"webhook-signature", q.signature}};
			const char *both[] = {secret1, secret2};
			saas_webhook_verify_options o = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
			saas_webhook_result r;

			o.now = th_clock_ms / 1000;
			ck_ok(saas_webhook_verify_once(&r, SAAS_WEBHOOK_STANDARD, both, 2, h, 3, q.body, q.len, &o));
		}
		ck_assert_str_eq(str(json_object_get(body, "data"), "tenant_id"), t);
		ck_assert_int_eq(num(json_object_get(json_object_get(body, "data"), "metadata"), "n"), 1);
		ck_assert_str_eq(str(json_object_get(json_object_get(body, "data"), "target"), "id"), "t_1");
		ck_assert_ptr_null(json_object_get(json_object_get(body, "data"), "context"));
		json_decref(body);
		free(q.body);
	}

	/* the record: two attempts, 500 then 200, with the response excerpt */
	d = only_delivery(ctx, s, id1);
	ck_assert_str_eq(str(d, "status"), "succeeded");
	ck_assert_str_eq(str(d, "event_type"), "member.added");
	ck_assert_int_eq(num(d, "attempts"), 2);
	ck_assert_int_eq(num(d, "last_status"), 200);
	ck_assert(json_is_null(json_object_get(d, "next_attempt_at")));
	log = json_object_get(d, "attempt_log");
	ck_assert_uint_eq(json_array_size(log), 2);
	ck_assert_int_eq(num(json_array_get(log, 0), "http_status"), 500);
	ck_assert_int_eq(num(json_array_get(log, 1), "http_status"), 200);
	ck_assert_str_eq(str(json_array_get(log, 1), "response"), "ok");
	ck_assert(json_is_null(json_object_get(json_array_get(log, 1), "error")));
	json_decref(d);
	l = endpoints(ctx, s);
	ck_assert(json_is_null(json_object_get(json_array_get(l, 0), "failing_since")));
	ck_assert(json_is_string(json_object_get(json_array_get(l, 0), "last_success_at")));
	ck_assert_int_eq(num(json_array_get(l, 0), "pending"), 0);
	json_decref(l);
	/* delivered once: later runs send nothing */
	th_clock_advance(86400 * 1000);
	st = run(ctx, 0);
	ck_assert_uint_eq(st.attempts, 0);
	ck_rc(saas_webhook_deliveries(NULL, ctx, s, NULL, 0), SAAS_EINVAL);
	{
		char *x;

		ck_rc(saas_webhook_deliveries(&x, ctx, s, NULL, 1001), SAAS_EINVAL);
		ck_field("limit");
	}
	receiver_stop(rcv);
	saas_free(id1);
	saas_free(id2);
	saas_free_secret(secret1);
	saas_free_secret(secret2);
	th_close(ctx);
}
END_TEST

START_TEST(retry_after_redirects_exhaustion_and_gone)
{
	saas_ctx *ctx = th_open(th_url);
	struct receiver *rcv = receiver_start(0);
	const char *t = th_tenant(ctx, "acme");
	saas_scope *s = th_scope(t);
	const char *star = "*";
	char *id, *want, at[32];
	saas_webhook_worker_stats st;
	json_t *d, *log, *l;
	int64_t next;

	ck_assert_ptr_nonnull(rcv);
	ck_ok(saas_webhook_endpoint_add(&id, NULL, ctx, s, receiver_url(rcv), &star, 1, NULL));
	event(ctx, s, "thing.happened");
	/* Retry-After later than the step is followed (up to twice the step) */
	receiver_fail(rcv, 500, 1, "8");
	run(ctx, 0);
	d = only_delivery(ctx, s, id);
	rfc3339(at, th_clock_ms + 8000);
	ck_assert_str_eq(str(d, "next_attempt_at"), at);
	json_decref(d);
	th_clock_advance(8000);
	/* 503: throttled, but the 5-minute step is longer than the 60 s floor
	 * and than Retry-After */
	receiver_fail(rcv, 503, 1, "120");
	run(ctx, 0);
	d = only_delivery(ctx, s, id);
	ck_assert_int_eq(num(d, "attempts"), 2);
	next = 0;
	{
		struct tm tm = {0};
		int ms = 0;

		ck_assert_int_eq(sscanf(str(d, "next_attempt_at"), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year,
		                        &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms), 7);
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		next = (int64_t)timegm(&tm) * 1000 + ms;
	}
	ck_assert_int_ge(next - th_clock_ms, 240000);
	ck_assert_int_le(next - th_clock_ms, 360000);
	json_decref(d);
	/* a redirect is a failure, not followed */
	th_clock_advance(360000);
	receiver_fail(rcv, 302, 1, NULL);
	run(ctx, 0);
	d = only_delivery(ctx, s, id);
	log = json_object_get(d, "attempt_log");
	ck_assert_int_eq(num(json_array_get(log, 2), "http_status"), 302);
	ck_assert_str_eq(str(json_array_get(log, 2), "error"), "redirects are not followed (HTTP 302)");
	json_decref(d);
	ck_assert_uint_eq(receiver_count(rcv), 3);
	/* five more failures exhaust it: 8 attempts in all */
	receiver_fail(rcv, 500, 100, NULL);
	for (int i = 0; i < 5; i++) {
		th_clock_advance(12 * 3600 * 1000LL);
		st = run(ctx, 0);
		ck_assert_uint_eq(st.attempts, 1);
	}
	ck_assert_uint_eq(st.failed, 1);
	d = only_delivery(ctx, s, id);
	ck_assert_str_eq(str(d, "status"), "failed");
	ck_assert_int_eq(num(d, "attempts"), 8);
	ck_assert_uint_eq(json_array_size(json_object_get(d, "attempt_log")), 8);
	json_decref(d);
	th_clock_advance(12 * 3600 * 1000LL);
	st = run(ctx, 0);
	ck_assert_uint_eq(st.attempts, 0);

	/* 410 Gone disables the endpoint and cancels what it had pending */
	ck_ok(saas_webhook_endpoint_remove(ctx, s, id));
	saas_free(id);
	ck_ok(saas_webhook_endpoint_add(&id, NULL, ctx, s, receiver_url(rcv), &star, 1, NULL));
	event(ctx, s, "thing.one");
	event(ctx, s, "thing.two");
	receiver_fail(rcv, 410, 1, NULL);
	{
		saas_webhook_worker_options o = SAAS_WEBHOOK_WORKER_OPTIONS_INIT;

		o.allow = loopback;
		o.nallow = 2;
		o.concurrency = 1;
		ck_ok(saas_webhook_worker_run(ctx, &o, &st));
	}
	ck_assert_uint_eq(st.attempts, 1);
	ck_assert_uint_eq(st.disabled, 1);
	l = endpoints(ctx, s);
	ck_assert(json_is_false(json_object_get(json_array_get(l, 0), "enabled")));
	ck_assert_str_eq(str(json_array_get(l, 0), "disabled_reason"), "gone");
	json_decref(l);
	l = deliveries(ctx, s, id);
	ck_assert_uint_eq(json_array_size(l), 2);
	want = (char *)str(json_array_get(l, 0), "status");
	ck_assert(strcmp(want, "failed") == 0 || strcmp(want, "cancelled") == 0);
	ck_assert_str_ne(str(json_array_get(l, 0), "status"), str(json_array_get(l, 1), "status"));
	json_decref(l);
	ck_assert_int_eq(audited(ctx, s, "webhook.endpoint_disabled"), 1);
	/* a disabled endpoint gets nothing new */
	event(ctx, s, "thing.three");
	st = run(ctx, 0);
	ck_assert_uint_eq(st.fanned_out, 0);
	ck_assert_uint_eq(st.attempts, 0);
	receiver_stop(rcv);
	saas_free(id);
	th_close(ctx);
}
END_TEST

START_TEST(an_endpoint_failing_for_five_days_is_disabled)
{
	saas_ctx *ctx = th_open(th_url);
	struct receiver *rcv = receiver_start(0);
	const char *t = th_tenant(ctx, "acme");
	saas_scope *s = th_scope(t);
	const char *star = "*";
	saas_webhook_worker_stats st;
	char *id;
	json_t *l;

	ck_assert_ptr_nonnull(rcv);
	ck_ok(saas_webhook_endpoint_add(&id, NULL, ctx, s, receiver_url(rcv), &star, 1, NULL));
	receiver_fail(rcv, 500, 1000, NULL);
	event(ctx, s, "thing.one");
	run(ctx, 0);
	th_clock_advance(5 * 86400 * 1000LL - 1000);
	event(ctx, s, "thing.two");
	st = run(ctx, 0);
	ck_assert_uint_eq(st.disabled, 0);
	th_clock_advance(1000);
	event(ctx, s, "thing.three");
	st = run(ctx, 0);
	ck_assert_uint_eq(st.disabled, 1);
	l = endpoints(ctx, s);
	ck_assert_str_eq(str(json_array_get(l, 0), "disabled_reason"), "failing");
	json_decref(l);
	/* enabled again: the streak starts over */
	ck_ok(saas_webhook_endpoint_set_enabled(ctx, s, id, 1));
	l = endpoints(ctx, s);
	ck_assert(json_is_null(json_object_get(json_array_get(l, 0), "failing_since")));
	json_decref(l);
	receiver_stop(rcv);
	saas_free(id);
	th_close(ctx);
}
END_TEST

/* The last attempt's error of an endpoint's one delivery ("" for none);
 * with `no_response`, assert that no answer came. */
static char *last_error(saas_ctx *ctx, const saas_scope *s, const char *endpoint, int no_response)
{
	json_t *d = only_delivery(ctx, s, endpoint), *log = json_object_get(d, "attempt_log");
	json_t *a = json_array_get(log, json_array_size(log) - 1);
	char *e = strdup(json_is_string(json_object_get(a, "error")) ? str(a, "error") : "");

	if (no_response)
		ck_assert_int_eq(num(a, "http_status"), 0);
	json_decref(d);
	return e;
}

START_TEST(the_address_guard)
{
	saas_ctx *ctx = th_open(th_url);
	struct receiver *v4 = receiver_start(0), *v6 = receiver_start(1);
	const char *t = th_tenant(ctx, "acme");
	saas_scope *s = th_scope(t);
	const char *star = "thing.*"; /* not the other endpoints' creation */
	static const char *const targets[] = {"http://10.0.0.1:9/x", "http://169.254.169.254/latest/meta-data/"};
	static const char *const why[] = {"10.0.0.1 is private (10.0.0.0/8)", "169.254.169.254 is link-local"};
	char *ids[4], *err;
	saas_webhook_worker_stats st;

	ck_assert_ptr_nonnull(v4);
	ck_ok(saas_webhook_endpoint_add(&ids[0], NULL, ctx, s, receiver_url(v4), &star, 1, NULL));
	if (v6)
		ck_ok(saas_webhook_endpoint_add(&ids[1], NULL, ctx, s, receiver_url(v6), &star, 1, NULL));
	else
		ids[1] = NULL, fprintf(stderr, "note: no IPv6 loopback here; the ::1 case is skipped\n");
	ck_ok(saas_webhook_endpoint_add(&ids[2], NULL, ctx, s, targets[0], &star, 1, NULL));
	ck_ok(saas_webhook_endpoint_add(&ids[3], NULL, ctx, s, targets[1], &star, 1, NULL));
	event(ctx, s, "thing.happened");

	/* without the allow-list, nothing connects */
	st = run(ctx, 1);
	ck_assert_uint_eq(st.attempts, v6 ? 4 : 3);
	ck_assert_uint_eq(st.retrying, v6 ? 4 : 3);
	ck_assert_uint_eq(receiver_count(v4), 0);
	err = last_error(ctx, s, ids[0], 1);
	ck_assert_msg(strstr(err, "address guard: 127.0.0.1 is loopback"), "%s", err);
	free(err);
	if (v6) {
		ck_assert_uint_eq(receiver_count(v6), 0);
		err = last_error(ctx, s, ids[1], 1);
		ck_assert_msg(strstr(err, "address guard: ::1 is loopback"), "%s", err);
		free(err);
	}
	for (int i = 0; i < 2; i++) {
		err = last_error(ctx, s, ids[2 + i], 1);
		ck_assert_msg(strstr(err, why[i]), "%s", err);
		free(err);
	}
	/* allowed: the loopback receivers get it; the other two are let
	 * through (to no host, or, on a cloud machine, to its metadata
	 * service): whatever happens, the guard did not stop them */
	th_clock_advance(6000);
	{
		static const char *const allow[] = {"127.0.0.0/8", "::1", "10.0.0.1/32", "169.254.0.0/16"};
		saas_webhook_worker_options o = SAAS_WEBHOOK_WORKER_OPTIONS_INIT;

		o.allow = allow;
		o.nallow = 4;
		o.connect_timeout_ms = 300;
		o.timeout_ms = 1000;
		ck_ok(saas_webhook_worker_run(ctx, &o, &st));
		ck_assert_uint_eq(st.succeeded, v6 ? 2 : 1);
		ck_assert_uint_eq(receiver_count(v4), 1);
		if (v6)
			ck_assert_uint_eq(receiver_count(v6), 1);
		for (int i = 0; i < 2; i++) {
			err = last_error(ctx, s, ids[2 + i], 0);
			ck_assert_msg(!strstr(err, "address guard"), "%s", err);
			free(err);
		}
		/* a malformed range */
		static const char *const bad[] = {"10.0.0.0/33"};
		o.allow = bad;
		o.nallow = 1;
		ck_rc(saas_webhook_worker_run(ctx, &o, &st), SAAS_EINVAL);
		ck_field("allow[0]");
	}
	for (int i = 0; i < 4; i++)
		saas_free(ids[i]);
	receiver_stop(v4);
	receiver_stop(v6);
	th_close(ctx);
}
END_TEST

struct worker_arg {
	saas_ctx *ctx;
	saas_webhook_worker_stats st;
	int rc;
};

static void *worker_thread(void *p)
{
	struct worker_arg *a = p;
	saas_webhook_worker_options o = SAAS_WEBHOOK_WORKER_OPTIONS_INIT;

	o.allow = loopback;
	o.nallow = 2;
	o.concurrency = 3;
	a->rc = saas_webhook_worker_run(a->ctx, &o, &a->st);
	return NULL;
}

START_TEST(two_workers_share_one_queue)
{
	saas_ctx *ctx = th_open(th_url);
	struct receiver *rcv = receiver_start(0);
	const char *t = th_tenant(ctx, "acme");
	saas_scope *s = th_scope(t);
	const char *star = "*";
	struct worker_arg w[2] = {{ctx, {0}, 0}, {ctx, {0}, 0}};
	pthread_t th[2];
	char *id;
	json_t *l;
	size_t i;
	json_t *d;

	ck_assert_ptr_nonnull(rcv);
	ck_ok(saas_webhook_endpoint_add(&id, NULL, ctx, s, receiver_url(rcv), &star, 1, NULL));
	for (int k = 0; k < 20; k++)
		event(ctx, s, "thing.happened");
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&th[k], NULL, worker_thread, &w[k]), 0);
	for (int k = 0; k < 2; k++) {
		pthread_join(th[k], NULL);
		ck_ok(w[k].rc);
	}
	ck_assert_uint_eq(w[0].st.fanned_out + w[1].st.fanned_out, 20);
	ck_assert_uint_eq(w[0].st.attempts + w[1].st.attempts, 20);
	ck_assert_uint_eq(receiver_count(rcv), 20);
	l = deliveries(ctx, s, id);
	ck_assert_uint_eq(json_array_size(l), 20);
	json_array_foreach(l, i, d) {
		ck_assert_str_eq(str(d, "status"), "succeeded");
		ck_assert_int_eq(num(d, "attempts"), 1);
		ck_assert_uint_eq(receiver_count_id(rcv, str(d, "id")), 1);
	}
	json_decref(l);
	receiver_stop(rcv);
	saas_free(id);
	th_close(ctx);
}
END_TEST

START_TEST(a_worker_killed_mid_request_loses_nothing)
{
	saas_ctx *ctx;
	struct receiver *rcv;
	const char *t;
	saas_scope *s;
	const char *star = "*";
	char url[512], *id;
	saas_webhook_worker_stats st;
	pid_t pid;
	int status;
	json_t *d;
	struct received q;

	if (strcmp(th_url, "memory:") == 0)
		return; /* one process's memory: nothing to share with a second */
	ctx = th_open(th_url);
	rcv = receiver_start(0);
	t = th_tenant(ctx, "acme");
	s = th_scope(t);
	ck_assert_ptr_nonnull(rcv);
	ck_ok(saas_webhook_endpoint_add(&id, NULL, ctx, s, receiver_url(rcv), &star, 1, NULL));
	event(ctx, s, "thing.happened");
	if (strcmp(th_url, "sqlite:") == 0)
		snprintf(url, sizeof url, "sqlite:%s", th_sqlite_path());
	else
		snprintf(url, sizeof url, "%s", th_url);
	receiver_hold(rcv, 1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		saas_ctx_options co = SAAS_CTX_OPTIONS_INIT;
		saas_webhook_worker_options o = SAAS_WEBHOOK_WORKER_OPTIONS_INIT;
		saas_ctx *c;

		co.clock = th_clock;
		o.allow = loopback;
		o.nallow = 2;
		o.timeout_ms = 10000;
		if (saas_ctx_open(&c, url, &co) != SAAS_OK)
			_exit(3);
		saas_webhook_worker_run(c, &o, NULL);
		_exit(4); /* not reached: killed while the request is held */
	}
	for (int i = 0; i < 400 && receiver_count(rcv) == 0; i++)
		usleep(25000);
	ck_assert_uint_eq(receiver_count(rcv), 1);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	receiver_hold(rcv, 0);
	/* leased to the dead worker: not sent again until the lease ends */
	st = run(ctx, 0);
	ck_assert_uint_eq(st.attempts, 0);
	th_clock_advance(5000 + 10000 + 30000 + 1);
	st = run(ctx, 0);
	ck_assert_uint_eq(st.attempts, 1);
	ck_assert_uint_eq(st.succeeded, 1);
	ck_assert_uint_eq(receiver_count(rcv), 2);
	ck_assert(receiver_get(rcv, 0, &q));
	ck_assert_uint_eq(receiver_count_id(rcv, q.id), 2); /* the same delivery, sent again */
	free(q.body);
	d = only_delivery(ctx, s, id);
	ck_assert_str_eq(str(d, "status"), "succeeded");
	ck_assert_int_eq(num(d, "attempts"), 1); /* the killed attempt left no record */
	json_decref(d);
	receiver_stop(rcv);
	saas_free(id);
	th_close(ctx);
}
END_TEST

static Suite *delivery_suite(void)
{
	Suite *s = suite_create("webhook_delivery");
	TCase *tc = tcase_create("delivery");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, endpoints_are_checked_and_audited);
	tcase_add_test(tc, events_are_delivered_signed_and_retried);
	tcase_add_test(tc, retry_after_redirects_exhaustion_and_gone);
	tcase_add_test(tc, an_endpoint_failing_for_five_days_is_disabled);
	tcase_add_test(tc, the_address_guard);
	tcase_add_test(tc, two_workers_share_one_queue);
	tcase_add_test(tc, a_worker_killed_mid_request_loses_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &th_url, delivery_suite);
}
