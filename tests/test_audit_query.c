/* The audit log's queries: filters, time ranges, pagination, counts, the
 * deployment stream, the JSON form of an event, and bad arguments. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "helpers.h"
#include "audit/audit.h"
#include "store/store.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static const char *tenant;   /* acme */
static const char *u1, *u2;  /* members of acme */
static int64_t t0;           /* when acme was created */
static saas_scope *ops;      /* a second actor, "ops" */

/*
 * acme's stream after setup (one second apart, from t0):
 *   1 tenant.created     actor test  target tenant
 *   2 member.added       actor test  target member (u1)
 *   3 tenant.suspended   actor ops   target tenant
 *   4 tenant.reactivated actor ops   target tenant
 *   5 member.added       actor test  target member (u2)
 */
static void setup(void)
{
	saas_member *m;
	const char *owner[] = {"owner"}, *member[] = {"member"};

	ctx = th_open(url);
	t0 = th_clock_ms;
	tenant = th_tenant(ctx, "acme");
	ck_ok(saas_scope_new(&ops, tenant, SAAS_ACTOR_SYSTEM, "ops"));
	th_clock_advance(1000);
	u1 = th_user(ctx, "one@example.com");
	ck_ok(saas_member_add(&m, ctx, th_scope(tenant), u1, owner, 1));
	saas_member_free(m);
	th_clock_advance(1000);
	ck_ok(saas_tenant_suspend(ctx, ops, "unpaid"));
	th_clock_advance(1000);
	ck_ok(saas_tenant_reactivate(ctx, ops));
	th_clock_advance(1000);
	u2 = th_user(ctx, "two@example.com");
	ck_ok(saas_member_add(&m, ctx, th_scope(tenant), u2, member, 1));
	saas_member_free(m);
}

static void teardown(void)
{
	saas_scope_free(ops);
	th_close(ctx);
}

/* The sequence numbers `f` selects in acme, as "1,2,3" (static buffer), after
 * checking that saas_audit_count agrees. */
static const char *seqs_in(const char *tenant_id, const saas_audit_filter *f)
{
	static char buf[256];
	saas_audit_page *p;
	int64_t n;
	size_t len = 0;

	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant_id), f, NULL, 1000));
	buf[0] = '\0';
	for (size_t i = 0; i < saas_audit_page_count(p); i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%lld", i ? "," : "",
		                        (long long)saas_audit_page_seq(p, i));
	ck_assert_ptr_null(saas_audit_page_next_cursor(p));
	ck_ok(saas_audit_count(&n, ctx, th_scope(tenant_id), f));
	ck_assert_int_eq(n, (int64_t)saas_audit_page_count(p));
	saas_audit_page_free(p);
	return buf;
}

static const char *seqs(const saas_audit_filter *f)
{
	return seqs_in(tenant, f);
}

START_TEST(filter_init)
{
	saas_audit_filter f;

	memset(&f, 0xab, sizeof f);
	ck_ok(saas_audit_filter_init(&f, SAAS_AUDIT_FILTER_VERSION));
	ck_assert_uint_eq(f.version, SAAS_AUDIT_FILTER_VERSION);
	ck_assert(f.since_ms == 0 && f.until_ms == 0);
	ck_assert(!f.actor_id && !f.action_prefix && !f.target_type && !f.target_id);
	ck_rc(saas_audit_filter_init(&f, 2), SAAS_EINVAL);
	ck_field("version");
	ck_rc(saas_audit_filter_init(NULL, SAAS_AUDIT_FILTER_VERSION), SAAS_EINVAL);
	ck_field("filter");
}
END_TEST

START_TEST(everything_in_order)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	saas_audit_page *p;

	ck_assert_str_eq(seqs(NULL), "1,2,3,4,5");
	ck_assert_str_eq(seqs(&f), "1,2,3,4,5");
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 10));
	ck_assert_uint_eq(saas_audit_page_count(p), 5);
	ck_assert_str_eq(saas_audit_page_action(p, 0), "tenant.created");
	ck_assert_str_eq(saas_audit_page_action(p, 1), "member.added");
	ck_assert_str_eq(saas_audit_page_action(p, 2), "tenant.suspended");
	ck_assert_str_eq(saas_audit_page_action(p, 3), "tenant.reactivated");
	ck_assert_str_eq(saas_audit_page_action(p, 4), "member.added");
	/* past the end */
	ck_assert_ptr_null(saas_audit_page_action(p, 5));
	ck_assert_ptr_null(saas_audit_page_event_json(p, 5));
	ck_assert_int_eq(saas_audit_page_seq(p, 5), 0);
	saas_audit_page_free(p);
	/* NULL pages are harmless */
	ck_assert_uint_eq(saas_audit_page_count(NULL), 0);
	ck_assert_ptr_null(saas_audit_page_next_cursor(NULL));
	saas_audit_page_free(NULL);
}
END_TEST

START_TEST(each_filter_alone)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;

	f.actor_id = "ops";
	ck_assert_str_eq(seqs(&f), "3,4");
	f.actor_id = "test";
	ck_assert_str_eq(seqs(&f), "1,2,5");
	f.actor_id = "nobody";
	ck_assert_str_eq(seqs(&f), "");

	f = (saas_audit_filter)SAAS_AUDIT_FILTER_INIT;
	f.action_prefix = "member.";
	ck_assert_str_eq(seqs(&f), "2,5");
	f.action_prefix = "tenant.";
	ck_assert_str_eq(seqs(&f), "1,3,4");
	f.action_prefix = "tenant.suspended";
	ck_assert_str_eq(seqs(&f), "3");
	f.action_prefix = "tenant.suspended.more";
	ck_assert_str_eq(seqs(&f), "");
	f.action_prefix = "Tenant.";
	ck_assert_str_eq(seqs(&f), "");

	f = (saas_audit_filter)SAAS_AUDIT_FILTER_INIT;
	f.target_type = "tenant";
	ck_assert_str_eq(seqs(&f), "1,3,4");
	f.target_type = "member";
	ck_assert_str_eq(seqs(&f), "2,5");

	f = (saas_audit_filter)SAAS_AUDIT_FILTER_INIT;
	f.target_id = tenant;
	ck_assert_str_eq(seqs(&f), "1,3,4");
}
END_TEST

START_TEST(filters_combined)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;

	f.actor_id = "test";
	f.target_type = "member";
	ck_assert_str_eq(seqs(&f), "2,5");
	f.since_ms = t0 + 2000;
	ck_assert_str_eq(seqs(&f), "5");
	f.action_prefix = "tenant.";
	ck_assert_str_eq(seqs(&f), "");

	f = (saas_audit_filter)SAAS_AUDIT_FILTER_INIT;
	f.actor_id = "ops";
	f.action_prefix = "tenant.re";
	f.target_id = tenant;
	f.until_ms = t0 + 10000;
	ck_assert_str_eq(seqs(&f), "4");
}
END_TEST

START_TEST(time_range_edges)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;

	/* since is inclusive */
	f.since_ms = t0 + 2000;
	ck_assert_str_eq(seqs(&f), "3,4,5");
	f.since_ms = t0 + 2001;
	ck_assert_str_eq(seqs(&f), "4,5");
	f.since_ms = t0 + 1999;
	ck_assert_str_eq(seqs(&f), "3,4,5");
	/* until is exclusive */
	f = (saas_audit_filter)SAAS_AUDIT_FILTER_INIT;
	f.until_ms = t0 + 2000;
	ck_assert_str_eq(seqs(&f), "1,2");
	f.until_ms = t0 + 2001;
	ck_assert_str_eq(seqs(&f), "1,2,3");
	/* a window of one event, and an empty window (since == until) */
	f.since_ms = t0 + 3000;
	f.until_ms = t0 + 3001;
	ck_assert_str_eq(seqs(&f), "4");
	f.until_ms = t0 + 3000;
	ck_assert_str_eq(seqs(&f), "");
	/* after everything */
	f.since_ms = t0 + 4001;
	f.until_ms = 0;
	ck_assert_str_eq(seqs(&f), "");
}
END_TEST

/* Append an event with a chosen action to acme's stream. */
static void append(const char *action)
{
	saas_tx *tx;

	ck_ok(saas__tx_begin(&tx, ctx, tenant, true));
	ck_ok(saas__tx_finish(tx, saas__audit_append(tx, th_scope(tenant), action, NULL, NULL,
	                                             NULL)));
}

START_TEST(prefix_is_literal)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;

	append("x%y.one");  /* 6 */
	append("x_y.two");  /* 7 */
	append("xay.three"); /* 8 */
	append("xzzy.four"); /* 9 */

	/* With LIKE, '_' would match any one character and '%' anything. */
	f.action_prefix = "x_y";
	ck_assert_str_eq(seqs(&f), "7");
	f.action_prefix = "x%y";
	ck_assert_str_eq(seqs(&f), "6");
	f.action_prefix = "x%";
	ck_assert_str_eq(seqs(&f), "6");
	f.action_prefix = "%";
	ck_assert_str_eq(seqs(&f), "");
	f.action_prefix = "_";
	ck_assert_str_eq(seqs(&f), "");
	f.action_prefix = "tenant_";
	ck_assert_str_eq(seqs(&f), "");
	f.action_prefix = "x";
	ck_assert_str_eq(seqs(&f), "6,7,8,9");
	/* a backslash is literal too */
	f.action_prefix = "x\\";
	ck_assert_str_eq(seqs(&f), "");
}
END_TEST

START_TEST(pagination_round_trip)
{
	char *cursor = NULL;
	char got[256] = "";
	size_t len = 0, pages = 0;

	for (int i = 0; i < 6; i++)
		append("bulk.item"); /* 6..11 */
	for (;;) {
		saas_audit_page *p;

		ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, cursor, 2));
		ck_assert_uint_le(saas_audit_page_count(p), 2);
		for (size_t i = 0; i < saas_audit_page_count(p); i++)
			len += (size_t)snprintf(got + len, sizeof got - len, "%s%lld",
			                        len ? "," : "", (long long)saas_audit_page_seq(p, i));
		free(cursor);
		cursor = saas_audit_page_next_cursor(p) ? strdup(saas_audit_page_next_cursor(p))
		                                        : NULL;
		pages++;
		if (cursor) {
			/* the cursor is the page's last sequence number */
			char want[24];
			snprintf(want, sizeof want, "%lld",
			         (long long)saas_audit_page_seq(p, saas_audit_page_count(p) - 1));
			ck_assert_str_eq(cursor, want);
		}
		saas_audit_page_free(p);
		if (!cursor)
			break;
		ck_assert_uint_lt(pages, 20);
	}
	ck_assert_str_eq(got, "1,2,3,4,5,6,7,8,9,10,11");
	/* 11 events by 2: 6 pages, the last with one event and no cursor. */
	ck_assert_uint_eq(pages, 6);

	/* A filtered walk: bulk.* by 4 gives 4 then 2. */
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	saas_audit_page *p;
	f.action_prefix = "bulk.";
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 4));
	ck_assert_uint_eq(saas_audit_page_count(p), 4);
	ck_assert_int_eq(saas_audit_page_seq(p, 0), 6);
	ck_assert_str_eq(saas_audit_page_next_cursor(p), "9");
	saas_audit_page *q;
	ck_ok(saas_audit_query(&q, ctx, th_scope(tenant), &f, saas_audit_page_next_cursor(p), 4));
	ck_assert_uint_eq(saas_audit_page_count(q), 2);
	ck_assert_int_eq(saas_audit_page_seq(q, 0), 10);
	ck_assert_ptr_null(saas_audit_page_next_cursor(q));
	saas_audit_page_free(q);
	saas_audit_page_free(p);

	/* Exactly `limit` events left: no next page. */
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, "6", 5));
	ck_assert_uint_eq(saas_audit_page_count(p), 5);
	ck_assert_ptr_null(saas_audit_page_next_cursor(p));
	saas_audit_page_free(p);
	/* A cursor past the end: an empty last page. */
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, "99", 5));
	ck_assert_uint_eq(saas_audit_page_count(p), 0);
	ck_assert_ptr_null(saas_audit_page_next_cursor(p));
	saas_audit_page_free(p);
	/* limit 1 and 1000 are the bounds */
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 1));
	ck_assert_uint_eq(saas_audit_page_count(p), 1);
	ck_assert_str_eq(saas_audit_page_next_cursor(p), "1");
	saas_audit_page_free(p);
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 1000));
	ck_assert_uint_eq(saas_audit_page_count(p), 11);
	saas_audit_page_free(p);
}
END_TEST

START_TEST(count_matches_query)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	int64_t n;

	ck_ok(saas_audit_count(&n, ctx, th_scope(tenant), NULL));
	ck_assert_int_eq(n, 5);
	f.action_prefix = "member.";
	ck_ok(saas_audit_count(&n, ctx, th_scope(tenant), &f));
	ck_assert_int_eq(n, 2);
	f.since_ms = t0 + 4000;
	ck_ok(saas_audit_count(&n, ctx, th_scope(tenant), &f));
	ck_assert_int_eq(n, 1);
	/* A tenant with no events of its own but the id's stream: 0. */
	ck_ok(saas_audit_count(&n, ctx, th_scope("ten_01HZZZZZZZZZZZZZZZZZZZZZZZ"), NULL));
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(deployment_stream)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	saas_audit_page *p;

	/* acme's creation and the two users, in the deployment's own stream. */
	ck_assert_str_eq(seqs_in(SAAS_SYSTEM_TENANT_ID, NULL), "1,2,3");
	ck_ok(saas_audit_query(&p, ctx, th_scope(SAAS_SYSTEM_TENANT_ID), NULL, NULL, 10));
	ck_assert_str_eq(saas_audit_page_action(p, 0), "tenant.created");
	ck_assert_str_eq(saas_audit_page_action(p, 1), "user.created");
	ck_assert_str_eq(saas_audit_page_action(p, 2), "user.created");
	json_t *e = json_loads(saas_audit_page_event_json(p, 1), 0, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "tenant_id")), SAAS_SYSTEM_TENANT_ID);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "target"), "id")), u1);
	json_decref(e);
	saas_audit_page_free(p);
	f.target_id = u2;
	ck_assert_str_eq(seqs_in(SAAS_SYSTEM_TENANT_ID, &f), "3");
	f.target_id = NULL;
	f.action_prefix = "user.";
	ck_assert_str_eq(seqs_in(SAAS_SYSTEM_TENANT_ID, &f), "2,3");
}
END_TEST

START_TEST(readable_in_every_status)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;

	ck_ok(saas_tenant_suspend(ctx, ops, "again"));
	ck_assert_str_eq(seqs(NULL), "1,2,3,4,5,6");
	ck_ok(saas_tenant_delete(ctx, ops, 30));
	f.action_prefix = "tenant.";
	ck_assert_str_eq(seqs(&f), "1,3,4,6,7");
}
END_TEST

START_TEST(json_shape)
{
	saas_audit_page *p;
	saas_scope *web;
	char prev[65];

	/* an event with a request context */
	ck_ok(saas_scope_new(&web, tenant, SAAS_ACTOR_SYSTEM, "web"));
	ck_ok(saas_scope_set_request_id(web, "req-42"));
	ck_ok(saas_scope_set_ip(web, "192.0.2.7"));
	ck_ok(saas_scope_set_user_agent(web, "curl/8.0"));
	ck_ok(saas_tenant_suspend(ctx, web, "checking"));
	saas_scope_free(web);

	memset(prev, '0', 64);
	prev[64] = '\0';
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 100));
	ck_assert_uint_eq(saas_audit_page_count(p), 6);
	for (size_t i = 0; i < saas_audit_page_count(p); i++) {
		json_error_t err;
		json_t *e = json_loads(saas_audit_page_event_json(p, i), 0, &err);

		ck_assert_msg(e != NULL, "event %zu is not JSON: %s", i, err.text);
		ck_assert_int_eq(json_integer_value(json_object_get(e, "seq")), (json_int_t)i + 1);
		ck_assert_int_eq(json_integer_value(json_object_get(e, "seq")),
		                 saas_audit_page_seq(p, i));
		ck_ok(saas_id_check(json_string_value(json_object_get(e, "id")), "evt"));
		ck_assert_str_eq(json_string_value(json_object_get(e, "tenant_id")), tenant);
		ck_assert_str_eq(json_string_value(json_object_get(e, "action")),
		                 saas_audit_page_action(p, i));
		ck_assert(json_is_string(json_object_get(e, "occurred_at")));
		json_t *actor = json_object_get(e, "actor");
		ck_assert(json_is_object(actor));
		ck_assert_str_eq(json_string_value(json_object_get(actor, "type")), "system");
		ck_assert(json_is_string(json_object_get(actor, "id")));
		json_t *target = json_object_get(e, "target");
		ck_assert(json_is_object(target));
		ck_assert(json_is_string(json_object_get(target, "type")));
		ck_assert(json_is_string(json_object_get(target, "id")));
		json_t *c = json_object_get(e, "context");
		ck_assert(json_is_object(c));
		ck_assert(json_object_get(c, "request_id") && json_object_get(c, "ip") &&
		          json_object_get(c, "user_agent"));
		ck_assert(json_is_object(json_object_get(e, "metadata")));
		ck_assert_int_eq(json_integer_value(json_object_get(e, "format")), 2);
		ck_assert(json_object_get(actor, "on_behalf_of") && json_object_get(actor, "email"));
		ck_assert(json_object_get(e, "personal"));
		const char *ph = json_string_value(json_object_get(e, "prev_hash"));
		const char *h = json_string_value(json_object_get(e, "hash"));
		ck_assert_ptr_nonnull(ph);
		ck_assert_ptr_nonnull(h);
		ck_assert_uint_eq(strlen(h), 64);
		/* the chain: each event's prev_hash is the hash of the one before */
		ck_assert_str_eq(ph, prev);
		ck_assert_str_ne(h, prev);
		memcpy(prev, h, 65);
		json_decref(e);
	}
	/* the first: created at t0, with the slug and name */
	json_t *e = json_loads(saas_audit_page_event_json(p, 0), 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(e, "occurred_at")),
	                 "2026-01-01T00:00:00.000Z");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "metadata"), "slug")),
	                 "acme");
	ck_assert(json_is_null(json_object_get(json_object_get(e, "context"), "ip")));
	json_decref(e);
	/* the last: the request context and the reason */
	e = json_loads(saas_audit_page_event_json(p, 5), 0, NULL);
	json_t *c = json_object_get(e, "context");
	ck_assert_str_eq(json_string_value(json_object_get(c, "request_id")), "req-42");
	ck_assert_str_eq(json_string_value(json_object_get(c, "ip")), "192.0.2.7");
	ck_assert_str_eq(json_string_value(json_object_get(c, "user_agent")), "curl/8.0");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "actor"), "id")), "web");
	ck_assert_str_eq(json_string_value(json_object_get(e, "occurred_at")),
	                 "2026-01-01T00:00:04.000Z");
	json_decref(e);
	saas_audit_page_free(p);

	/* an event without a target has target null */
	append("custom.no_target");
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	f.action_prefix = "custom.";
	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 1));
	e = json_loads(saas_audit_page_event_json(p, 0), 0, NULL);
	ck_assert(json_is_null(json_object_get(e, "target")));
	ck_assert_int_eq(json_object_size(json_object_get(e, "metadata")), 0);
	json_decref(e);
	saas_audit_page_free(p);
}
END_TEST

START_TEST(bad_arguments)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	saas_audit_page *p = (saas_audit_page *)1;
	saas_scope *global = th_system();
	int64_t n = 7;

	/* NULL out, ctx, scope; a scope without a tenant */
	ck_rc(saas_audit_query(NULL, ctx, th_scope(tenant), NULL, NULL, 10), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_audit_query(&p, NULL, th_scope(tenant), NULL, NULL, 10), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_ptr_null(p);
	ck_rc(saas_audit_query(&p, ctx, NULL, NULL, NULL, 10), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_audit_query(&p, ctx, global, NULL, NULL, 10), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_audit_count(NULL, ctx, th_scope(tenant), NULL), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_audit_count(&n, NULL, th_scope(tenant), NULL), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_int_eq(n, 0);
	ck_rc(saas_audit_count(&n, ctx, NULL, NULL), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_audit_count(&n, ctx, global, NULL), SAAS_EINVAL);
	ck_field("scope");

	/* limit */
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 0), SAAS_EINVAL);
	ck_field("limit");
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 1001), SAAS_EINVAL);
	ck_field("limit");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "1001"));

	/* cursor */
	const char *bad_cursors[] = {"", "abc", "-1", "12x", "+3", " 3", "1.5",
	                             "99999999999999999999", "ten_01HZZZZZZZZZZZZZZZZZZZZZZZ"};
	for (size_t i = 0; i < sizeof bad_cursors / sizeof bad_cursors[0]; i++) {
		ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), NULL, bad_cursors[i], 10),
		      SAAS_EINVAL);
		ck_field("cursor");
	}

	/* filter version */
	f.version = 2;
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 10), SAAS_EINVAL);
	ck_field("version");
	ck_rc(saas_audit_count(&n, ctx, th_scope(tenant), &f), SAAS_EINVAL);
	ck_field("version");
	f.version = 0;
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 10), SAAS_EINVAL);
	ck_field("version");

	/* range */
	f = (saas_audit_filter)SAAS_AUDIT_FILTER_INIT;
	f.since_ms = t0 + 2;
	f.until_ms = t0 + 1;
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 10), SAAS_EINVAL);
	ck_field("until_ms");
	ck_rc(saas_audit_count(&n, ctx, th_scope(tenant), &f), SAAS_EINVAL);
	ck_field("until_ms");
	f.since_ms = -5;
	f.until_ms = 0;
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 10), SAAS_EINVAL);
	ck_field("since_ms");
	f.since_ms = 0;
	f.until_ms = -5;
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 10), SAAS_EINVAL);
	ck_field("until_ms");

	/* text criteria: empty or with control characters */
	f = (saas_audit_filter)SAAS_AUDIT_FILTER_INIT;
	f.actor_id = "";
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 10), SAAS_EINVAL);
	ck_field("actor_id");
	f.actor_id = NULL;
	f.action_prefix = "a\nb";
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), &f, NULL, 10), SAAS_EINVAL);
	ck_field("action_prefix");
	f.action_prefix = NULL;
	f.target_type = "";
	ck_rc(saas_audit_count(&n, ctx, th_scope(tenant), &f), SAAS_EINVAL);
	ck_field("target_type");
	f.target_type = NULL;
	f.target_id = "";
	ck_rc(saas_audit_count(&n, ctx, th_scope(tenant), &f), SAAS_EINVAL);
	ck_field("target_id");
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(metrics_count_operations)
{
	saas_audit_page *p;
	int64_t n;
	char *text = NULL;

	ck_ok(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 10));
	saas_audit_page_free(p);
	ck_ok(saas_audit_count(&n, ctx, th_scope(tenant), NULL));
	ck_rc(saas_audit_query(&p, ctx, th_scope(tenant), NULL, NULL, 0), SAAS_EINVAL);
	ck_ok(saas_metrics_snapshot_json(&text, ctx));
	json_t *m = json_loads(text, 0, NULL);
	json_t *h = json_object_get(m, "histograms");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(h, "audit.query"), "count")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(h, "audit.count"), "count")), 1);
	json_decref(m);
	ck_ok(saas_metrics_counter_value(&n, ctx, "audit.query.errors"));
	ck_assert_int_eq(n, 1);
	saas_free(text);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_query");
	TCase *tc = tcase_create("audit_query");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, filter_init);
	tcase_add_test(tc, everything_in_order);
	tcase_add_test(tc, each_filter_alone);
	tcase_add_test(tc, filters_combined);
	tcase_add_test(tc, time_range_edges);
	tcase_add_test(tc, prefix_is_literal);
	tcase_add_test(tc, pagination_round_trip);
	tcase_add_test(tc, count_matches_query);
	tcase_add_test(tc, deployment_stream);
	tcase_add_test(tc, readable_in_every_status);
	tcase_add_test(tc, json_shape);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, metrics_count_operations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE, &url, suite);
}
