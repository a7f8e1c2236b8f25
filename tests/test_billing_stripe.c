/*
 * The Stripe adapter (saas_billing_stripe_apply, _reconcile): realistic
 * event streams (tests/fixtures/stripe) delivered in order, with every
 * event twice, and shuffled, end in the same state; duplicates, also from
 * two threads at once, change nothing; stale and backwards snapshots are
 * ignored; terminal states stay terminal; unknown types and statuses are
 * ignored; malformed bodies change nothing; reconciliation and invoice
 * events fetch from a local fake of Stripe's API. Edge cases of
 * ../shared/reference/billing.md §6 are named "(§6.N)". Runs on memory:, a
 * SQLite file and PostgreSQL when set.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fake_stripe.h"
#include "helpers.h"
#include "store/store.h"

#define NLIFE 13

static saas_ctx *ctx;
static const char *tenant;
static saas_scope *sys; /* the deployment's system scope */

static const char *CATALOG =
	"{\"features\":{\"sso\":{\"kind\":\"boolean\"},\"seats\":{\"kind\":\"limit\"}},"
	"\"plans\":["
	"{\"id\":\"free\",\"name\":\"Free\",\"features\":{\"seats\":3}},"
	"{\"id\":\"pro\",\"name\":\"Pro\",\"rank\":10,\"trial_days\":14,"
	"\"prices\":{\"stripe\":[\"price_pro_monthly\"]},"
	"\"features\":{\"sso\":true,\"seats\":10}},"
	"{\"id\":\"team\",\"name\":\"Team\",\"rank\":20,"
	"\"prices\":{\"stripe\":[\"price_team_monthly\"]},"
	"\"features\":{\"sso\":true,\"seats\":50}}],"
	"\"default_plan\":\"free\"}";

static const char *const LIFE[NLIFE] = {
	"01-checkout.session.completed",       "02-customer.subscription.created",
	"03-customer.subscription.trial_will_end", "04-customer.subscription.updated",
	"05-invoice.paid",                     "06-invoice.payment_failed",
	"07-customer.subscription.updated",    "08-invoice.paid",
	"09-customer.subscription.updated",    "10-customer.subscription.updated",
	"11-customer.subscription.updated",    "12-customer.subscription.updated",
	"13-customer.subscription.deleted",
};

static void setup(void)
{
	ctx = th_open(th_url);
	sys = th_system();
	tenant = th_tenant(ctx, "acme");
	ck_ok(saas_billing_plans_load(NULL, ctx, th_system(), CATALOG));
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
}

/* A fixture's text with TENANT_ID replaced by `t` (malloc'd). */
static char *fixture_for(const char *name, const char *t)
{
	char file[256];

	snprintf(file, sizeof file, "%s.json", name);
	return th_stripe_fixture(file, t);
}

static char *fixture(const char *name)
{
	return fixture_for(name, tenant);
}

/* Apply a body; the outcome, failing the test on an error. */
static int apply_text(const char *body, const saas_stripe_options *o)
{
	int outcome = -1;

	ck_ok(saas_billing_stripe_apply(&outcome, ctx, sys, body, strlen(body), o));
	return outcome;
}

static int apply(const char *name)
{
	char *body = fixture(name);
	int outcome = apply_text(body, NULL);

	free(body);
	return outcome;
}

static char *life(int i)
{
	char name[128];

	snprintf(name, sizeof name, "lifecycle/%s", LIFE[i]);
	return fixture(name);
}

static saas_subscription *sub(void)
{
	saas_subscription *s = NULL;

	ck_ok(saas_subscription_get(&s, ctx, th_scope(tenant)));
	return s;
}

/* What a delivered stream must end in, as one string. */
static char *final_state(void)
{
	saas_subscription *s = sub();
	char buf[512];

	snprintf(buf, sizeof buf, "%s %s %s %s %u %lld %lld %lld",
	         saas_sub_state_name(saas_subscription_state(s)), saas_subscription_plan(s),
	         saas_subscription_provider_id(s), saas_subscription_provider_status(s),
	         saas_subscription_flags(s), (long long)saas_subscription_ended_at(s),
	         (long long)saas_subscription_period_start(s),
	         (long long)saas_subscription_period_end(s));
	saas_subscription_free(s);
	return strdup(buf);
}

static int64_t events(const char *action)
{
	saas_tx *tx;
	int64_t n = -1;

	ck_ok(saas__tx_begin(&tx, ctx, tenant, false));
	ck_ok(saas__st_audit_count(&n, tx, action));
	saas__tx_rollback(tx);
	return n;
}

/* ---- streams ---------------------------------------------------------------------- */

START_TEST(lifecycle_in_order)
{
	static const struct {
		int state;
		const char *plan;
		unsigned flags;
	} want[NLIFE] = {
		{-1, NULL, 0}, /* the checkout only links the customer */
		{SAAS_SUB_TRIALING, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_TRIALING, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_ACTIVE, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_ACTIVE, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_PAST_DUE, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_PAST_DUE, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_ACTIVE, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_ACTIVE, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_ACTIVE, "pro", SAAS_SUB_F_PAYMENT_METHOD | SAAS_SUB_F_CANCEL_PENDING},
		{SAAS_SUB_ACTIVE, "pro", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_ACTIVE, "team", SAAS_SUB_F_PAYMENT_METHOD},
		{SAAS_SUB_CANCELED, "team", SAAS_SUB_F_PAYMENT_METHOD},
	};
	saas_subscription *s;

	for (int i = 0; i < NLIFE; i++) {
		char *body = life(i);
		ck_assert_int_eq(apply_text(body, NULL), SAAS_BILLING_APPLIED);
		free(body);
		if (want[i].state < 0) {
			ck_rc(saas_subscription_get(&s, ctx, th_scope(tenant)), SAAS_ENOTFOUND);
			continue;
		}
		s = sub();
		ck_assert_msg(saas_subscription_state(s) == want[i].state, "after %s: %s", LIFE[i],
		              saas_sub_state_name(saas_subscription_state(s)));
		ck_assert_str_eq(saas_subscription_plan(s), want[i].plan);
		ck_assert_msg(saas_subscription_flags(s) == want[i].flags, "after %s: flags %u",
		              LIFE[i], saas_subscription_flags(s));
		saas_subscription_free(s);
		/* entitlements follow at once (this process's changes drop the cache) */
		if (want[i].state == SAAS_SUB_CANCELED)
			ck_rc(saas_entitlement_check(ctx, th_scope(tenant), "sso", 0), SAAS_ELIMIT);
		else
			ck_ok(saas_entitlement_check(ctx, th_scope(tenant), "sso", 0));
	}
	s = sub();
	/* the end is ended_at, which here equals canceled_at (§6.23) */
	ck_assert_int_eq(saas_subscription_ended_at(s), 1773576000000LL);
	ck_assert_str_eq(saas_subscription_provider_status(s), "canceled");
	ck_assert_str_eq(saas_subscription_provider_id(s), "sub_1SkR4vLkdIwHu7ixQ2pZt8Mn");
	saas_subscription_free(s);
	ck_assert_int_eq(events("subscription.synced"), 9);
	ck_assert_int_eq(events("subscription.payment_failed"), 1);
}
END_TEST

START_TEST(duplicates_and_shuffles_end_the_same)
{
	char *want, *got, *bodies[NLIFE];
	int order[NLIFE];
	unsigned seed = 20261128u;

	for (int i = 0; i < NLIFE; i++)
		bodies[i] = life(i);
	/* in order, each twice: the second is a duplicate (§6.35) */
	for (int i = 0; i < NLIFE; i++) {
		ck_assert_int_eq(apply_text(bodies[i], NULL), SAAS_BILLING_APPLIED);
		ck_assert_int_eq(apply_text(bodies[i], NULL), SAAS_BILLING_DUPLICATE);
	}
	want = final_state();
	ck_assert_int_eq(events("subscription.synced"), 9);
	/* shuffled, into fresh tenants: the same end */
	for (int round = 0; round < 6; round++) {
		char slug[32];
		const char *t;

		snprintf(slug, sizeof slug, "shuffle%d", round);
		t = th_tenant(ctx, slug);
		for (int i = 0; i < NLIFE; i++)
			order[i] = i;
		for (int i = NLIFE - 1; i > 0; i--) {
			int j = (int)(rand_r(&seed) % (unsigned)(i + 1)), k = order[i];
			order[i] = order[j];
			order[j] = k;
		}
		if (round == 0) /* the worst: newest first (§6.23, §6.37) */
			for (int i = 0; i < NLIFE; i++)
				order[i] = NLIFE - 1 - i;
		tenant = t;
		for (int i = 0; i < NLIFE; i++) {
			char name[128], *b;
			snprintf(name, sizeof name, "lifecycle/%s", LIFE[order[i]]);
			/* the same customer and subscription under another tenant: new ids */
			b = fixture(name);
			char *cus = strstr(b, "cus_TfQ8m2LkR4vWx9");
			while (cus) {
				cus[4] = (char)('a' + round);
				cus = strstr(cus + 4, "cus_TfQ8m2LkR4vWx9");
			}
			for (char *sid = strstr(b, "sub_1SkR4vLkdIwHu7ixQ2pZt8Mn"); sid;
			     sid = strstr(sid + 4, "sub_1SkR4vLkdIwHu7ixQ2pZt8Mn"))
				sid[4] = (char)('a' + round);
			for (char *eid = strstr(b, "\"evt_"); eid; eid = strstr(eid + 5, "\"evt_"))
				eid[5] = (char)('a' + round);
			apply_text(b, NULL);
			free(b);
		}
		got = final_state();
		/* the ids differ by one letter; compare the rest */
		ck_assert_msg(strncmp(got, "canceled team sub_", 18) == 0, "round %d: %s", round, got);
		ck_assert_str_eq(strchr(strchr(strchr(got, ' ') + 1, ' ') + 1, ' '),
		                 strchr(strchr(strchr(want, ' ') + 1, ' ') + 1, ' '));
		free(got);
	}
	free(want);
	for (int i = 0; i < NLIFE; i++)
		free(bodies[i]);
}
END_TEST

struct dup_arg {
	const char *body;
	int outcome;
	int rc;
};

static void *apply_thread(void *p)
{
	struct dup_arg *a = p;

	a->rc = saas_billing_stripe_apply(&a->outcome, ctx, sys, a->body, strlen(a->body),
	                                  NULL);
	return NULL;
}

START_TEST(same_event_from_two_threads)
{
	char *body = life(1);
	struct dup_arg a[2] = {{body, -1, -1}, {body, -1, -1}};
	pthread_t th[2];

	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, apply_thread, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(a[0].rc, SAAS_OK);
	ck_assert_int_eq(a[1].rc, SAAS_OK);
	ck_assert_int_eq(a[0].outcome + a[1].outcome, SAAS_BILLING_APPLIED + SAAS_BILLING_DUPLICATE);
	ck_assert_int_eq(events("subscription.synced"), 1);
	free(body);
}
END_TEST

/* ---- ordering ------------------------------------------------------------------------ */

START_TEST(stale_and_backwards_snapshots)
{
	char *b09 = life(8), *b07 = life(6), *b02 = life(1), *body;
	json_t *ev;

	ck_assert_int_eq(apply_text(b09, NULL), SAAS_BILLING_APPLIED);
	/* older than what was applied (§6.38) */
	ck_assert_int_eq(apply_text(b07, NULL), SAAS_BILLING_STALE);
	ck_assert_int_eq(apply_text(b02, NULL), SAAS_BILLING_STALE);
	{
		saas_subscription *s = sub();
		ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_ACTIVE);
		saas_subscription_free(s);
	}
	/* a stale event is recorded: its second delivery is a duplicate */
	ck_assert_int_eq(apply_text(b07, NULL), SAAS_BILLING_DUPLICATE);
	/* "created" (incomplete) in the same second as the active snapshot: not a
	 * move back (§6.36) */
	ev = json_loads(b09, 0, NULL);
	json_object_set_new(ev, "id", json_string("evt_sameSecondIncomplete"));
	json_object_set_new(ev, "type", json_string("customer.subscription.created"));
	json_object_set_new(json_object_get(json_object_get(ev, "data"), "object"), "status",
	                    json_string("incomplete"));
	body = json_dumps(ev, 0);
	ck_assert_int_eq(apply_text(body, NULL), SAAS_BILLING_STALE);
	free(body);
	/* the same second moving forward is applied */
	json_object_set_new(ev, "id", json_string("evt_sameSecondPastDue"));
	json_object_set_new(json_object_get(json_object_get(ev, "data"), "object"), "status",
	                    json_string("past_due"));
	body = json_dumps(ev, 0);
	ck_assert_int_eq(apply_text(body, NULL), SAAS_BILLING_APPLIED);
	free(body);
	json_decref(ev);
	free(b09);
	free(b07);
	free(b02);
}
END_TEST

START_TEST(terminal_stays_terminal)
{
	char *b13 = life(12), *body;
	json_t *ev;

	ck_assert_int_eq(apply_text(b13, NULL), SAAS_BILLING_APPLIED);
	/* a newer snapshot of the same subscription saying active (§6.39) */
	ev = json_loads(b13, 0, NULL);
	json_object_set_new(ev, "id", json_string("evt_afterTheEnd"));
	json_object_set_new(ev, "created", json_integer(1773576000 + 3600));
	json_object_set_new(json_object_get(json_object_get(ev, "data"), "object"), "status",
	                    json_string("active"));
	body = json_dumps(ev, 0);
	ck_assert_int_eq(apply_text(body, NULL), SAAS_BILLING_STALE);
	free(body);
	/* a payment after the end is recorded, not a resurrection (§6.2) */
	free(b13);
	b13 = life(7);
	ck_assert_int_eq(apply_text(b13, NULL), SAAS_BILLING_STALE);
	{
		saas_subscription *s = sub();
		ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_CANCELED);
		saas_subscription_free(s);
	}
	/* a new subscription for the tenant, under another id, starts afresh */
	json_object_set_new(ev, "id", json_string("evt_resubscribed"));
	json_object_set_new(json_object_get(json_object_get(ev, "data"), "object"), "id",
	                    json_string("sub_resubscribed1"));
	body = json_dumps(ev, 0);
	ck_assert_int_eq(apply_text(body, NULL), SAAS_BILLING_APPLIED);
	free(body);
	{
		saas_subscription *s = sub();
		ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_ACTIVE);
		ck_assert_str_eq(saas_subscription_provider_id(s), "sub_resubscribed1");
		saas_subscription_free(s);
	}
	json_decref(ev);
	free(b13);
}
END_TEST

/* ---- what is ignored or refused ------------------------------------------------------------ */

START_TEST(ignored_unknown_and_malformed)
{
	static const char *const bad[] = {"malformed/truncated", "malformed/missing-id",
	                                  "malformed/created-string", "malformed/status-number",
	                                  "malformed/duplicate-keys"};
	saas_subscription *s;
	int outcome = -1;

	/* a type that changes no subscription */
	ck_assert_int_eq(apply("customer-created"), SAAS_BILLING_IGNORED);
	/* an unknown status (§6.40): nothing changes, the status is kept */
	ck_assert_int_eq(apply("subscription-paused"), SAAS_BILLING_APPLIED);
	ck_assert_int_eq(apply("subscription-future-status"), SAAS_BILLING_IGNORED);
	s = sub();
	ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_PAUSED);
	ck_assert_str_eq(saas_subscription_provider_status(s), "some_future_status");
	saas_subscription_free(s);
	/* malformed bodies change nothing */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *body = fixture(bad[i]);
		int64_t before = events(NULL);
		ck_rc(saas_billing_stripe_apply(&outcome, ctx, sys, body, strlen(body), NULL),
		      SAAS_EINVAL);
		ck_assert_int_eq(events(NULL), before);
		free(body);
	}
	ck_rc(saas_billing_stripe_apply(&outcome, ctx, sys, "{", 1, NULL), SAAS_EINVAL);
	ck_field("body");
	ck_rc(saas_billing_stripe_apply(&outcome, ctx, sys, NULL, 0, NULL), SAAS_EINVAL);
	ck_rc(saas_billing_stripe_apply(&outcome, NULL, sys, "{}", 2, NULL), SAAS_EINVAL);
	ck_rc(saas_billing_stripe_apply(&outcome, ctx, th_scope(tenant), "{}", 2, NULL), SAAS_EINVAL);
	ck_field("scope");
	ck_assert_str_eq(saas_billing_outcome_name(SAAS_BILLING_STALE), "stale");
	ck_assert_str_eq(saas_billing_outcome_name(9), "unknown");
}
END_TEST

START_TEST(tenant_customer_and_price)
{
	char *body = fixture_for("lifecycle/04-customer.subscription.updated", "TENANT_ID");
	char *other = NULL;
	json_t *ev;
	int outcome;

	/* no tenant in the event and the customer unknown: retry later */
	ev = json_loads(body, 0, NULL);
	json_object_del(json_object_get(json_object_get(json_object_get(ev, "data"), "object"),
	                                "metadata"),
	                "tenant_id");
	other = json_dumps(ev, 0);
	ck_rc(saas_billing_stripe_apply(&outcome, ctx, sys, other, strlen(other), NULL),
	      SAAS_ENOTFOUND);
	ck_field("tenant_id");
	/* once linked, the customer finds the tenant */
	ck_ok(saas_billing_customer_link(ctx, th_scope(tenant), "stripe", "cus_TfQ8m2LkR4vWx9"));
	ck_assert_int_eq(apply_text(other, NULL), SAAS_BILLING_APPLIED);
	free(other);
	/* the customer belongs to this tenant: another tenant's event naming it conflicts */
	{
		const char *t2 = th_tenant(ctx, "other");
		char *b2 = fixture_for("lifecycle/09-customer.subscription.updated", t2);
		ck_rc(saas_billing_stripe_apply(&outcome, ctx, sys, b2, strlen(b2), NULL),
		      SAAS_ECONFLICT);
		free(b2);
	}
	/* a price no plan has: refused, nothing recorded; fine once the catalogue has it */
	{
		const char *t3 = th_tenant(ctx, "third");
		char *b3 = fixture_for("subscription-expanded-customer", t3);
		char *p = strstr(b3, "price_pro_monthly");
		int rc;
		/* a customer of its own */
		for (char *c = strstr(b3, "cus_TfQ8m2LkR4vWx9"); c; c = strstr(c + 4, "cus_TfQ8m2LkR4vWx9"))
			c[4] = 'Z';
		ck_assert_ptr_nonnull(p);
		{
			for (; p; p = strstr(p, "price_pro_monthly"))
				memcpy(p, "price_xyz_monthly", 17);
			rc = saas_billing_stripe_apply(&outcome, ctx, sys, b3, strlen(b3), NULL);
			ck_assert_int_eq(rc, SAAS_ENOTFOUND);
			ck_field("price");
			ck_rc(saas_billing_plans_load(NULL, ctx, sys,
			                              "{\"features\":{},\"plans\":[{\"id\":\"xyz\","
			                              "\"name\":\"X\",\"prices\":{\"stripe\":"
			                              "[\"price_xyz_monthly\"]}}]}"),
			      SAAS_OK);
			ck_assert_int_eq(apply_text(b3, NULL), SAAS_BILLING_APPLIED);
		}
		free(b3);
	}
	json_decref(ev);
	free(body);
}
END_TEST

START_TEST(pause_collection_is_not_active)
{
	saas_subscription *s;

	/* (§6.34) */
	ck_assert_int_eq(apply("subscription-pause-collection"), SAAS_BILLING_APPLIED);
	s = sub();
	ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_PAUSED);
	ck_assert_int_eq(saas_subscription_access(s), SAAS_ACCESS_READ_ONLY);
	saas_subscription_free(s);
}
END_TEST

START_TEST(basil_shapes)
{
	saas_subscription *s;

	ck_assert_int_eq(apply("basil-subscription-updated"), SAAS_BILLING_APPLIED);
	s = sub();
	ck_assert_int_gt(saas_subscription_period_end(s), saas_subscription_period_start(s));
	saas_subscription_free(s);
	ck_assert_int_ne(apply("basil-invoice-payment-failed"), SAAS_BILLING_DUPLICATE);
	ck_assert_int_ne(apply("basil-invoice-paid"), SAAS_BILLING_DUPLICATE);
}
END_TEST

/* ---- Stripe's API ---------------------------------------------------------------------------- */

/* The subscription object of a lifecycle event, as Stripe's API would give it. */
static char *object_of(int i)
{
	char *body = life(i), *out;
	json_t *ev = json_loads(body, 0, NULL);

	out = json_dumps(json_object_get(json_object_get(ev, "data"), "object"), 0);
	json_decref(ev);
	free(body);
	return out;
}

START_TEST(reconcile_and_fetching_invoices)
{
	struct fake_stripe *fs = fake_stripe_start("sk_test_fake");
	saas_stripe_options o = SAAS_STRIPE_OPTIONS_INIT;
	char *obj;
	int outcome = -1;

	ck_assert_ptr_nonnull(fs);
	o.api_key = "sk_test_fake";
	o.api_base = fake_stripe_url(fs);
	/* nothing to reconcile yet */
	ck_rc(saas_billing_stripe_reconcile(&outcome, ctx, th_scope(tenant), &o), SAAS_ENOTFOUND);
	ck_field("subscription");
	ck_assert_int_eq(apply("lifecycle/04-customer.subscription.updated"), SAAS_BILLING_APPLIED);
	/* missed events: Stripe says canceled now (§6.42) */
	obj = object_of(12);
	fake_stripe_put(fs, "sub_1SkR4vLkdIwHu7ixQ2pZt8Mn", obj);
	free(obj);
	ck_ok(saas_billing_stripe_reconcile(&outcome, ctx, th_scope(tenant), &o));
	ck_assert_int_eq(outcome, SAAS_BILLING_APPLIED);
	{
		saas_subscription *s = sub();
		ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_CANCELED);
		saas_subscription_free(s);
	}
	ck_assert_int_eq(fake_stripe_requests(fs), 1);
	/* an invoice event with a key fetches the subscription (§6.37) */
	{
		const char *t2 = th_tenant(ctx, "fetching");
		char *inv = fixture_for("lifecycle/06-invoice.payment_failed", t2), *s7;
		json_t *ev = json_loads(inv, 0, NULL);
		/* its own subscription id, so that the two tenants do not share it */
		json_object_set_new(json_object_get(json_object_get(ev, "data"), "object"),
		                    "subscription", json_string("sub_fetched1"));
		json_object_set_new(json_object_get(json_object_get(ev, "data"), "object"), "customer",
		                    json_string("cus_fetched1"));
		free(inv);
		inv = json_dumps(ev, 0);
		json_decref(ev);
		s7 = fixture_for("lifecycle/07-customer.subscription.updated", t2);
		ev = json_loads(s7, 0, NULL);
		{
			json_t *so = json_object_get(json_object_get(ev, "data"), "object");
			json_object_set_new(so, "id", json_string("sub_fetched1"));
			json_object_set_new(so, "customer", json_string("cus_fetched1"));
			free(s7);
			s7 = json_dumps(so, 0);
		}
		json_decref(ev);
		fake_stripe_put(fs, "sub_fetched1", s7);
		ck_assert_int_eq(apply_text(inv, &o), SAAS_BILLING_APPLIED);
		ck_assert_int_eq(fake_stripe_requests(fs), 2);
		{
			saas_subscription *s = NULL;
			ck_ok(saas_subscription_get(&s, ctx, th_scope(t2)));
			ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_PAST_DUE);
			saas_subscription_free(s);
		}
		/* Stripe down: the event is not recorded, so its retry can apply it */
		fake_stripe_fail(fs, 500, 1);
		{
			char *again = strdup(inv);
			char *id = strstr(again, "\"evt_");
			id[5] = 'Z';
			ck_rc(saas_billing_stripe_apply(&outcome, ctx, sys, again, strlen(again),
			                                &o),
			      SAAS_ESTORE);
			ck_assert_int_eq(apply_text(again, &o), SAAS_BILLING_APPLIED);
			free(again);
		}
		free(inv);
		free(s7);
	}
	/* a wrong key */
	o.api_key = "sk_test_wrong";
	ck_rc(saas_billing_stripe_reconcile(&outcome, ctx, th_scope(tenant), &o), SAAS_EDENIED);
	ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), "sk_test_wrong"));
	o.api_key = NULL;
	ck_rc(saas_billing_stripe_reconcile(&outcome, ctx, th_scope(tenant), &o), SAAS_EINVAL);
	ck_field("api_key");
	o.api_key = "sk_test_fake";
	o.version = 9;
	ck_rc(saas_billing_stripe_reconcile(&outcome, ctx, th_scope(tenant), &o), SAAS_EINVAL);
	{
		saas_stripe_options d;
		ck_ok(saas_stripe_options_init(&d, SAAS_STRIPE_OPTIONS_VERSION));
		ck_assert_ptr_null(d.api_key);
		ck_rc(saas_stripe_options_init(&d, 2), SAAS_EINVAL);
	}
	fake_stripe_stop(fs);
}
END_TEST

static Suite *stripe_suite(void)
{
	Suite *s = suite_create("billing_stripe");
	TCase *tc = tcase_create(th_url);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, lifecycle_in_order);
	tcase_add_test(tc, duplicates_and_shuffles_end_the_same);
	tcase_add_test(tc, same_event_from_two_threads);
	tcase_add_test(tc, stale_and_backwards_snapshots);
	tcase_add_test(tc, terminal_stays_terminal);
	tcase_add_test(tc, ignored_unknown_and_malformed);
	tcase_add_test(tc, tenant_customer_and_price);
	tcase_add_test(tc, pause_collection_is_not_active);
	tcase_add_test(tc, basil_shapes);
	tcase_add_test(tc, reconcile_and_fetching_invoices);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &th_url, stripe_suite);
}
