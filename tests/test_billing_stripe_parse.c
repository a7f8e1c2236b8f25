/*
 * The Stripe reader (lib/billing/stripe_parse.c, stripe_fetch.c): every
 * fixture of tests/fixtures/stripe read to the fields it holds (the
 * lifecycle stream, unknown statuses and types, paused collection,
 * expanded objects, the 2025-03-31.basil shapes), each malformed fixture
 * and each mistyped member refused with SAAS_EINVAL naming its path, and
 * the subscription fetched from a local fake of Stripe's API (fake_stripe.h)
 * with every answer the fetch must tell apart.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "fake_stripe.h"
#include "billing/billing.h"

#define TENANT "ten_01KDX8Q3ZC5W7M2N4P6R8T0V1A"
#define SUB "sub_1SkR4vLkdIwHu7ixQ2pZt8Mn"
#define CUS "cus_TfQ8m2LkR4vWx9"
#define KEY "sk_test_51FakeKeyForLibsaasTests"

/* The lifecycle's times, in seconds (tests/fixtures/stripe/README.md). */
#define T0 INT64_C(1767607200)         /* 2026-01-05T10:00:00Z: subscription created */
#define TRIAL_END INT64_C(1768816800)  /* 2026-01-19T10:00:00Z */
#define FEB19 INT64_C(1771495200)
#define MAR19 INT64_C(1773914400)
#define CANCEL_REQ INT64_C(1772465400) /* 2026-03-02T15:30:00Z */
#define END INT64_C(1773576000)        /* 2026-03-15T12:00:00Z */
#define MS(s) ((s) * 1000)

/* ---- fixtures --------------------------------------------------------------------- */

/* A whole file, NUL-terminated; *len its size. Fails the test if unreadable. */
/* The fixture `rel` with every TENANT_ID replaced by TENANT (same length
 * or longer: rebuilt). Free with free(). */
static char *fixture(const char *rel, size_t *len)
{
	char *out = th_stripe_fixture(rel, TENANT);

	*len = strlen(out);
	return out;
}

/* Parse fixture `rel` into *ev; returns the code. */
static int parse_fixture(struct saas__stripe_event *ev, const char *rel)
{
	size_t len;
	char *body = fixture(rel, &len);
	int rc = saas__stripe_event_parse(ev, body, len);

	free(body);
	return rc;
}

/* A fixture as JSON (to change a member and parse again). */
static json_t *fixture_json(const char *rel)
{
	size_t len;
	char *body = fixture(rel, &len);
	json_t *v = json_loadb(body, len, 0, NULL);

	free(body);
	ck_assert_ptr_nonnull(v);
	return v;
}

/* Set (value = JSON text) or delete (value NULL) the member at `path`
 * ("data.object.items.data[0].price") of root. */
static void set_path(json_t *root, const char *path, const char *value)
{
	char buf[256], *save = NULL, *tok, *next;
	json_t *cur = root, *v = NULL;

	if (value) {
		v = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		ck_assert_msg(v != NULL, "bad test value %s", value);
	}
	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = next) {
		char *br = strchr(tok, '[');
		size_t idx = 0;

		next = strtok_r(NULL, ".", &save);
		if (br) {
			*br = '\0';
			idx = strtoul(br + 1, NULL, 10);
		}
		if (!next) {
			if (br && v)
				ck_assert_int_eq(json_array_set_new(json_object_get(cur, tok), idx, v), 0);
			else if (br)
				ck_assert_int_eq(json_array_remove(json_object_get(cur, tok), idx), 0);
			else if (v)
				ck_assert_int_eq(json_object_set_new(cur, tok, v), 0);
			else
				ck_assert_int_eq(json_object_del(cur, tok), 0);
			return;
		}
		cur = json_object_get(cur, tok);
		if (br)
			cur = json_array_get(cur, idx);
		ck_assert_msg(cur != NULL, "no %s in the fixture", path);
	}
}

/* Parse a JSON value as an event body. */
static int parse_json(struct saas__stripe_event *ev, json_t *root)
{
	char *text = json_dumps(root, JSON_COMPACT);
	int rc;

	ck_assert_ptr_nonnull(text);
	rc = saas__stripe_event_parse(ev, text, strlen(text));
	free(text);
	return rc;
}

/* ---- statuses --------------------------------------------------------------------- */

START_TEST(status_names)
{
	ck_assert_int_eq(saas__stripe_status_state("incomplete"), SAAS_SUB_INCOMPLETE);
	ck_assert_int_eq(saas__stripe_status_state("incomplete_expired"),
	                 SAAS_SUB_INCOMPLETE_EXPIRED);
	ck_assert_int_eq(saas__stripe_status_state("trialing"), SAAS_SUB_TRIALING);
	ck_assert_int_eq(saas__stripe_status_state("active"), SAAS_SUB_ACTIVE);
	ck_assert_int_eq(saas__stripe_status_state("past_due"), SAAS_SUB_PAST_DUE);
	ck_assert_int_eq(saas__stripe_status_state("unpaid"), SAAS_SUB_UNPAID);
	ck_assert_int_eq(saas__stripe_status_state("paused"), SAAS_SUB_PAUSED);
	ck_assert_int_eq(saas__stripe_status_state("canceled"), SAAS_SUB_CANCELED);
	ck_assert_int_eq(saas__stripe_status_state("cancelled"), -1);
	ck_assert_int_eq(saas__stripe_status_state("Active"), -1);
	ck_assert_int_eq(saas__stripe_status_state(""), -1);
	ck_assert_int_eq(saas__stripe_status_state("none"), -1);
	ck_assert_int_eq(saas__stripe_status_state(NULL), -1);
}
END_TEST

START_TEST(sub_id_form)
{
	char id[300];

	ck_assert(saas__stripe_sub_id_ok(SUB));
	ck_assert(saas__stripe_sub_id_ok("sub_1"));
	ck_assert(!saas__stripe_sub_id_ok("sub_"));
	ck_assert(!saas__stripe_sub_id_ok("sub_a_b"));
	ck_assert(!saas__stripe_sub_id_ok("sub_a-b"));
	ck_assert(!saas__stripe_sub_id_ok("sub_a/../b"));
	ck_assert(!saas__stripe_sub_id_ok("cus_abc"));
	ck_assert(!saas__stripe_sub_id_ok("SUB_abc"));
	ck_assert(!saas__stripe_sub_id_ok(NULL));
	memcpy(id, "sub_", 4);
	memset(id + 4, 'a', 250);
	id[254] = '\0';
	ck_assert(saas__stripe_sub_id_ok(id));
	id[254] = 'a';
	id[255] = '\0';
	ck_assert(!saas__stripe_sub_id_ok(id));
}
END_TEST

/* ---- the lifecycle ------------------------------------------------------------------ */

/* What one lifecycle event reads as. Subscription fields only for kind
 * SUBSCRIPTION; times in seconds, 0 for null. */
struct want {
	const char *file;
	const char *type;
	int kind;
	int state;
	bool cape;
	int64_t start, end, trial_end, cancel_at, canceled_at, ended_at;
	const char *price;
	int64_t quantity;
	bool next_attempt; /* invoices */
};

#define SUBKIND SAAS__STRIPE_SUBSCRIPTION
/* A subscription event. */
#define SUBW(f, t, st, cp, s, e, tr, ca, cd, en, pr, q)                                   \
	{.file = f, .type = t, .kind = SUBKIND, .state = st, .cape = cp, .start = s, .end = e,  \
	 .trial_end = tr, .cancel_at = ca, .canceled_at = cd, .ended_at = en, .price = pr,      \
	 .quantity = q}
#define UPD "customer.subscription.updated"
static const struct want life[] = {
	{.file = "01-checkout.session.completed.json", .type = "checkout.session.completed",
	 .kind = SAAS__STRIPE_CHECKOUT},
	SUBW("02-customer.subscription.created.json", "customer.subscription.created",
	     SAAS_SUB_TRIALING, false, T0, TRIAL_END, TRIAL_END, 0, 0, 0, "price_pro_monthly", 1),
	SUBW("03-customer.subscription.trial_will_end.json", "customer.subscription.trial_will_end",
	     SAAS_SUB_TRIALING, false, T0, TRIAL_END, TRIAL_END, 0, 0, 0, "price_pro_monthly", 1),
	SUBW("04-customer.subscription.updated.json", UPD, SAAS_SUB_ACTIVE, false, TRIAL_END,
	     FEB19, TRIAL_END, 0, 0, 0, "price_pro_monthly", 1),
	{.file = "05-invoice.paid.json", .type = "invoice.paid", .kind = SAAS__STRIPE_INVOICE_PAID},
	{.file = "06-invoice.payment_failed.json", .type = "invoice.payment_failed",
	 .kind = SAAS__STRIPE_INVOICE_FAILED, .next_attempt = true},
	SUBW("07-customer.subscription.updated.json", UPD, SAAS_SUB_PAST_DUE, false, FEB19, MAR19,
	     TRIAL_END, 0, 0, 0, "price_pro_monthly", 1),
	{.file = "08-invoice.paid.json", .type = "invoice.paid", .kind = SAAS__STRIPE_INVOICE_PAID},
	SUBW("09-customer.subscription.updated.json", UPD, SAAS_SUB_ACTIVE, false, FEB19, MAR19,
	     TRIAL_END, 0, 0, 0, "price_pro_monthly", 1),
	SUBW("10-customer.subscription.updated.json", UPD, SAAS_SUB_ACTIVE, true, FEB19, MAR19,
	     TRIAL_END, MAR19, CANCEL_REQ, 0, "price_pro_monthly", 1),
	SUBW("11-customer.subscription.updated.json", UPD, SAAS_SUB_ACTIVE, false, FEB19, MAR19,
	     TRIAL_END, 0, 0, 0, "price_pro_monthly", 1),
	SUBW("12-customer.subscription.updated.json", UPD, SAAS_SUB_ACTIVE, false, FEB19, MAR19,
	     TRIAL_END, 0, 0, 0, "price_team_monthly", 5),
	SUBW("13-customer.subscription.deleted.json", "customer.subscription.deleted",
	     SAAS_SUB_CANCELED, false, FEB19, MAR19, TRIAL_END, 0, END, END, "price_team_monthly", 5),
};
#define NLIFE (sizeof life / sizeof life[0])

static void check_sub(const struct saas__stripe_sub *s, const struct want *w)
{
	ck_assert_str_eq(s->id, SUB);
	ck_assert_str_eq(s->customer, CUS);
	ck_assert_str_eq(s->status, saas_sub_state_name(w->state));
	ck_assert_int_eq(s->state, w->state);
	ck_assert_int_eq(s->cancel_at_period_end, w->cape);
	ck_assert_int_eq(s->created, MS(T0));
	ck_assert_int_eq(s->current_period_start, MS(w->start));
	ck_assert_int_eq(s->current_period_end, MS(w->end));
	ck_assert_int_eq(s->trial_end, MS(w->trial_end));
	ck_assert_int_eq(s->cancel_at, MS(w->cancel_at));
	ck_assert_int_eq(s->canceled_at, MS(w->canceled_at));
	ck_assert_int_eq(s->ended_at, MS(w->ended_at));
	ck_assert(!s->pause_collection);
	ck_assert(s->has_payment_method);
	ck_assert_uint_eq(s->nprices, 1);
	ck_assert_str_eq(s->prices[0], w->price);
	ck_assert_int_eq(s->quantity, w->quantity);
	ck_assert_str_eq(s->tenant_id, TENANT);
}

START_TEST(lifecycle)
{
	char invoice_failed[64] = "", ids[NLIFE][64];
	int64_t last = 0;

	for (size_t i = 0; i < NLIFE; i++) {
		const struct want *w = &life[i];
		struct saas__stripe_event ev;
		char rel[128];

		snprintf(rel, sizeof rel, "lifecycle/%s", w->file);
		ck_ok(parse_fixture(&ev, rel));
		ck_assert_msg(strncmp(ev.id, "evt_", 4) == 0, "%s: id %s", w->file, ev.id);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(ids[j], ev.id);
		snprintf(ids[i], sizeof ids[i], "%s", ev.id);
		ck_assert_str_eq(ev.type, w->type);
		ck_assert_int_eq(ev.kind, w->kind);
		ck_assert_msg(ev.created > last, "%s: created does not increase", w->file);
		ck_assert_int_eq(ev.created % 1000, 0);
		last = ev.created;
		ck_assert(!ev.livemode);
		if (w->kind == SUBKIND) {
			check_sub(&ev.sub, w);
			ck_assert_ptr_null(ev.object_id);
			ck_assert_ptr_null(ev.tenant_id);
		} else {
			ck_assert_ptr_null(ev.sub.id);
			ck_assert_str_eq(ev.subscription_id, SUB);
			ck_assert_str_eq(ev.customer, CUS);
			ck_assert_str_eq(ev.tenant_id, TENANT);
			ck_assert_int_eq(ev.next_attempt, w->next_attempt);
		}
		if (w->kind == SAAS__STRIPE_CHECKOUT) {
			ck_assert(strncmp(ev.object_id, "cs_test_", 8) == 0);
			ck_assert_ptr_null(ev.billing_reason);
		} else if (w->kind != SUBKIND) {
			ck_assert(strncmp(ev.object_id, "in_", 3) == 0);
			ck_assert_str_eq(ev.billing_reason, "subscription_cycle");
		}
		/* the retry pays the invoice that failed */
		if (w->kind == SAAS__STRIPE_INVOICE_FAILED)
			snprintf(invoice_failed, sizeof invoice_failed, "%s", ev.object_id);
		if (i == 7)
			ck_assert_str_eq(ev.object_id, invoice_failed);
		saas__stripe_event_clear(&ev);
		saas__stripe_event_clear(&ev); /* twice: harmless */
	}
}
END_TEST

/* ---- single fixtures ---------------------------------------------------------------- */

START_TEST(unknown_type_ignored)
{
	struct saas__stripe_event ev;
	json_t *root;

	ck_ok(parse_fixture(&ev, "customer-created.json"));
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_IGNORED);
	ck_assert_str_eq(ev.type, "customer.created");
	ck_assert(strncmp(ev.id, "evt_", 4) == 0);
	ck_assert_int_eq(ev.created, MS(T0 - 310));
	ck_assert_ptr_null(ev.sub.id);
	ck_assert_ptr_null(ev.object_id);
	ck_assert_ptr_null(ev.tenant_id);
	saas__stripe_event_clear(&ev);

	/* an ignored type's data is not read: anything, or nothing, passes */
	root = fixture_json("customer-created.json");
	set_path(root, "data", "\"not an object\"");
	ck_ok(parse_json(&ev, root));
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_IGNORED);
	saas__stripe_event_clear(&ev);
	set_path(root, "data", NULL);
	set_path(root, "type", "\"invoice.upcoming\"");
	ck_ok(parse_json(&ev, root));
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_IGNORED);
	saas__stripe_event_clear(&ev);
	/* ...but the envelope still is */
	set_path(root, "created", "\"yesterday\"");
	ck_rc(parse_json(&ev, root), SAAS_EINVAL);
	ck_field("created");
	json_decref(root);
}
END_TEST

START_TEST(future_status)
{
	struct saas__stripe_event ev;

	ck_ok(parse_fixture(&ev, "subscription-future-status.json"));
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_SUBSCRIPTION);
	ck_assert_int_eq(ev.sub.state, -1);
	ck_assert_str_eq(ev.sub.status, "some_future_status");
	ck_assert_str_eq(ev.sub.id, "sub_1SmA7cLkdIwHu7ixK5rT2wQe");
	ck_assert_str_eq(ev.sub.tenant_id, TENANT);
	ck_assert_int_eq(ev.sub.current_period_end, MS(FEB19));
	saas__stripe_event_clear(&ev);
}
END_TEST

START_TEST(pause_collection)
{
	struct saas__stripe_event ev;

	ck_ok(parse_fixture(&ev, "subscription-pause-collection.json"));
	ck_assert_int_eq(ev.sub.state, SAAS_SUB_ACTIVE);
	ck_assert(ev.sub.pause_collection);
	ck_assert(ev.sub.has_payment_method);
	ck_assert_int_eq(ev.sub.trial_end, 0);
	saas__stripe_event_clear(&ev);
}
END_TEST

START_TEST(paused_without_payment_method)
{
	struct saas__stripe_event ev;

	ck_ok(parse_fixture(&ev, "subscription-paused.json"));
	ck_assert_str_eq(ev.type, "customer.subscription.paused");
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_SUBSCRIPTION);
	ck_assert_int_eq(ev.sub.state, SAAS_SUB_PAUSED);
	ck_assert(!ev.sub.pause_collection);
	ck_assert(!ev.sub.has_payment_method);
	ck_assert_int_eq(ev.sub.trial_end, MS(TRIAL_END));
	saas__stripe_event_clear(&ev);
}
END_TEST

START_TEST(expanded_customer)
{
	struct saas__stripe_event ev;

	ck_ok(parse_fixture(&ev, "subscription-expanded-customer.json"));
	ck_assert_str_eq(ev.sub.customer, CUS);
	ck_assert(ev.sub.has_payment_method); /* an expanded payment method */
	ck_assert_str_eq(ev.sub.tenant_id, TENANT);
	ck_assert_int_eq(ev.sub.state, SAAS_SUB_ACTIVE);
	saas__stripe_event_clear(&ev);
}
END_TEST

START_TEST(invoice_action_required)
{
	struct saas__stripe_event ev;

	ck_ok(parse_fixture(&ev, "invoice-payment-action-required.json"));
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_INVOICE_ACTION);
	ck_assert(strncmp(ev.object_id, "in_", 3) == 0);
	ck_assert_str_eq(ev.subscription_id, SUB);
	ck_assert_str_eq(ev.customer, CUS);
	ck_assert_str_eq(ev.tenant_id, TENANT);
	ck_assert(!ev.next_attempt);
	saas__stripe_event_clear(&ev);
}
END_TEST

START_TEST(checkout_client_reference)
{
	struct saas__stripe_event ev;
	json_t *root;

	ck_ok(parse_fixture(&ev, "checkout-client-reference.json"));
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_CHECKOUT);
	ck_assert_str_eq(ev.tenant_id, TENANT); /* from client_reference_id */
	ck_assert_str_eq(ev.subscription_id, SUB);
	saas__stripe_event_clear(&ev);

	/* metadata wins over client_reference_id */
	root = fixture_json("checkout-client-reference.json");
	set_path(root, "data.object.metadata", "{\"tenant_id\":\"ten_from_metadata\"}");
	ck_ok(parse_json(&ev, root));
	ck_assert_str_eq(ev.tenant_id, "ten_from_metadata");
	saas__stripe_event_clear(&ev);
	/* neither, and no subscription or customer: all NULL, not an error */
	set_path(root, "data.object.metadata", "{}");
	set_path(root, "data.object.client_reference_id", "null");
	set_path(root, "data.object.subscription", "null");
	set_path(root, "data.object.customer", NULL);
	ck_ok(parse_json(&ev, root));
	ck_assert_ptr_null(ev.tenant_id);
	ck_assert_ptr_null(ev.subscription_id);
	ck_assert_ptr_null(ev.customer);
	ck_assert_ptr_nonnull(ev.object_id);
	saas__stripe_event_clear(&ev);
	/* an expanded subscription */
	set_path(root, "data.object.subscription", "{\"id\":\"" SUB "\",\"object\":\"subscription\"}");
	ck_ok(parse_json(&ev, root));
	ck_assert_str_eq(ev.subscription_id, SUB);
	saas__stripe_event_clear(&ev);
	json_decref(root);
}
END_TEST

START_TEST(basil_shapes)
{
	struct saas__stripe_event ev;
	json_t *root;

	ck_ok(parse_fixture(&ev, "basil-subscription-updated.json"));
	ck_assert_int_eq(ev.sub.state, SAAS_SUB_ACTIVE);
	ck_assert_int_eq(ev.sub.current_period_start, MS(FEB19));
	ck_assert_int_eq(ev.sub.current_period_end, MS(MAR19));
	ck_assert_str_eq(ev.sub.prices[0], "price_pro_monthly");
	ck_assert_str_eq(ev.sub.tenant_id, TENANT);
	saas__stripe_event_clear(&ev);

	ck_ok(parse_fixture(&ev, "basil-invoice-paid.json"));
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_INVOICE_PAID);
	ck_assert_str_eq(ev.subscription_id, "sub_1T2bC4LkdIwHu7ixV9sD3fGh");
	ck_assert_str_eq(ev.tenant_id, TENANT);
	ck_assert_str_eq(ev.customer, CUS);
	ck_assert(!ev.next_attempt);
	saas__stripe_event_clear(&ev);

	ck_ok(parse_fixture(&ev, "basil-invoice-payment-failed.json"));
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_INVOICE_FAILED);
	ck_assert_str_eq(ev.subscription_id, "sub_1T2bC4LkdIwHu7ixV9sD3fGh");
	ck_assert(ev.next_attempt);
	saas__stripe_event_clear(&ev);

	/* the top level wins when a payload has both (a 2024 subscription whose
	 * items also carry periods) */
	root = fixture_json("lifecycle/04-customer.subscription.updated.json");
	set_path(root, "data.object.items.data[0].current_period_start", "1");
	set_path(root, "data.object.items.data[0].current_period_end", "2");
	ck_ok(parse_json(&ev, root));
	ck_assert_int_eq(ev.sub.current_period_start, MS(TRIAL_END));
	saas__stripe_event_clear(&ev);
	/* null at the top level: the item's */
	set_path(root, "data.object.current_period_start", "null");
	set_path(root, "data.object.current_period_end", NULL);
	ck_ok(parse_json(&ev, root));
	ck_assert_int_eq(ev.sub.current_period_start, 1000);
	ck_assert_int_eq(ev.sub.current_period_end, 2000);
	saas__stripe_event_clear(&ev);
	json_decref(root);

	/* an invoice with an expanded parent subscription, and top-level
	 * metadata taking precedence over the subscription's */
	root = fixture_json("basil-invoice-paid.json");
	set_path(root, "data.object.parent.subscription_details.subscription",
	         "{\"id\":\"sub_Expanded1\",\"object\":\"subscription\"}");
	set_path(root, "data.object.metadata", "{\"tenant_id\":\"ten_own\"}");
	ck_ok(parse_json(&ev, root));
	ck_assert_str_eq(ev.subscription_id, "sub_Expanded1");
	ck_assert_str_eq(ev.tenant_id, "ten_own");
	saas__stripe_event_clear(&ev);
	/* no parent at all (a one-off invoice): no subscription, no tenant */
	set_path(root, "data.object.parent", "null");
	set_path(root, "data.object.metadata", "{}");
	ck_ok(parse_json(&ev, root));
	ck_assert_ptr_null(ev.subscription_id);
	ck_assert_ptr_null(ev.tenant_id);
	saas__stripe_event_clear(&ev);
	/* a mistyped parent member; the path is longer than the error record's
	 * field, so the message carries it whole */
	set_path(root, "data.object.parent",
	         "{\"type\":\"subscription_details\",\"subscription_details\":{\"subscription\":7}}");
	ck_rc(parse_json(&ev, root), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()),
	                             "data.object.parent.subscription_details.subscription"));
	ck_assert_ptr_null(ev.object_id);
	json_decref(root);
}
END_TEST

START_TEST(defaults_and_variants)
{
	struct saas__stripe_event ev;
	json_t *root = fixture_json("lifecycle/02-customer.subscription.created.json");

	/* optional members absent */
	set_path(root, "data.object.cancel_at_period_end", NULL);
	set_path(root, "data.object.trial_end", NULL);
	set_path(root, "data.object.default_payment_method", NULL);
	set_path(root, "data.object.pause_collection", NULL);
	set_path(root, "data.object.metadata", NULL);
	set_path(root, "livemode", NULL);
	set_path(root, "object", NULL);
	set_path(root, "data.object.object", NULL);
	set_path(root, "data.object.items.data[0].quantity", NULL);
	ck_ok(parse_json(&ev, root));
	ck_assert(!ev.sub.cancel_at_period_end);
	ck_assert_int_eq(ev.sub.trial_end, 0);
	ck_assert(!ev.sub.has_payment_method);
	ck_assert(!ev.sub.pause_collection);
	ck_assert_ptr_null(ev.sub.tenant_id);
	ck_assert(!ev.livemode);
	ck_assert_int_eq(ev.sub.quantity, 1);
	saas__stripe_event_clear(&ev);

	/* a default_source instead; livemode true; quantity 0 and null */
	set_path(root, "data.object.default_source", "\"card_1Abc\"");
	set_path(root, "livemode", "true");
	set_path(root, "data.object.items.data[0].quantity", "0");
	ck_ok(parse_json(&ev, root));
	ck_assert(ev.sub.has_payment_method);
	ck_assert(ev.livemode);
	ck_assert_int_eq(ev.sub.quantity, 0);
	saas__stripe_event_clear(&ev);
	set_path(root, "data.object.items.data[0].quantity", "null");
	ck_ok(parse_json(&ev, root));
	ck_assert_int_eq(ev.sub.quantity, 1);
	saas__stripe_event_clear(&ev);

	/* a price given as an id; a legacy item with only a plan; two items in order */
	set_path(root, "data.object.items.data[0].price", "\"price_as_string\"");
	ck_ok(parse_json(&ev, root));
	ck_assert_str_eq(ev.sub.prices[0], "price_as_string");
	saas__stripe_event_clear(&ev);
	set_path(root, "data.object.items.data[0].price", "null");
	ck_ok(parse_json(&ev, root));
	ck_assert_str_eq(ev.sub.prices[0], "price_pro_monthly"); /* the plan's id */
	saas__stripe_event_clear(&ev);
	json_array_append_new(json_object_get(json_object_get(json_object_get(json_object_get(
	                                           root, "data"), "object"), "items"), "data"),
	                      json_pack("{s:s, s:{s:s}, s:i}", "id", "si_2", "price", "id",
	                                "price_seats", "quantity", 7));
	ck_ok(parse_json(&ev, root));
	ck_assert_uint_eq(ev.sub.nprices, 2);
	ck_assert_str_eq(ev.sub.prices[1], "price_seats");
	ck_assert_int_eq(ev.sub.quantity, 1); /* the first item's */
	saas__stripe_event_clear(&ev);

	/* no items: no prices */
	set_path(root, "data.object.items", NULL);
	ck_ok(parse_json(&ev, root));
	ck_assert_uint_eq(ev.sub.nprices, 0);
	ck_assert_int_eq(ev.sub.quantity, 1);
	saas__stripe_event_clear(&ev);
	set_path(root, "data.object.items", "{\"object\":\"list\",\"data\":[]}");
	ck_ok(parse_json(&ev, root));
	ck_assert_uint_eq(ev.sub.nprices, 0);
	saas__stripe_event_clear(&ev);

	/* the last second of 9999 is a time; 0 is "absent" */
	set_path(root, "data.object.cancel_at", "253402300799");
	set_path(root, "data.object.ended_at", "0");
	ck_ok(parse_json(&ev, root));
	ck_assert_int_eq(ev.sub.cancel_at, INT64_C(253402300799000));
	ck_assert_int_eq(ev.sub.ended_at, 0);
	saas__stripe_event_clear(&ev);

	/* metadata: "" and a missing key are no tenant */
	set_path(root, "data.object.metadata", "{\"tenant_id\":\"\"}");
	ck_ok(parse_json(&ev, root));
	ck_assert_ptr_null(ev.sub.tenant_id);
	saas__stripe_event_clear(&ev);
	set_path(root, "data.object.metadata", "{\"other\":\"x\"}");
	ck_ok(parse_json(&ev, root));
	ck_assert_ptr_null(ev.sub.tenant_id);
	saas__stripe_event_clear(&ev);
	json_decref(root);
}
END_TEST

/* ---- refusals ------------------------------------------------------------------------- */

START_TEST(malformed_fixtures)
{
	static const struct {
		const char *file, *field;
	} cases[] = {
		{"malformed/truncated.json", "body"},
		{"malformed/missing-id.json", "id"},
		{"malformed/created-string.json", "created"},
		{"malformed/status-number.json", "data.object.status"},
		{"malformed/duplicate-keys.json", "body"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct saas__stripe_event ev;

		ck_rc(parse_fixture(&ev, cases[i].file), SAAS_EINVAL);
		ck_field(cases[i].field);
		/* cleared: nothing to free, nothing half-read */
		ck_assert_ptr_null(ev.id);
		ck_assert_ptr_null(ev.type);
		ck_assert_ptr_null(ev.sub.id);
		ck_assert_ptr_null(ev.sub.prices);
		ck_assert_int_eq(ev.kind, 0);
		saas__stripe_event_clear(&ev);
	}
	/* the body error says where */
	{
		struct saas__stripe_event ev;
		const char *m;

		ck_rc(parse_fixture(&ev, "malformed/truncated.json"), SAAS_EINVAL);
		m = saas_error_message(saas_error_last());
		ck_assert_msg(strstr(m, "line") && strstr(m, "column"), "%s", m);
		ck_rc(parse_fixture(&ev, "malformed/duplicate-keys.json"), SAAS_EINVAL);
		m = saas_error_message(saas_error_last());
		ck_assert_msg(strstr(m, "duplicate"), "%s", m);
	}
}
END_TEST

START_TEST(bodies)
{
	struct saas__stripe_event ev;
	const char *text;

	ck_rc(saas__stripe_event_parse(&ev, NULL, 0), SAAS_EINVAL);
	ck_field("body");
	ck_rc(saas__stripe_event_parse(NULL, "{}", 2), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas__stripe_event_parse(&ev, "", 0), SAAS_EINVAL);
	ck_field("body");
	ck_rc(saas__stripe_event_parse(&ev, "[]", 2), SAAS_EINVAL);
	ck_field("body");
	ck_rc(saas__stripe_event_parse(&ev, "\"evt_1\"", 7), SAAS_EINVAL);
	ck_field("body");
	ck_rc(saas__stripe_event_parse(&ev, "{} trailing", 11), SAAS_EINVAL);
	ck_field("body");
	/* len is honoured: the same text cut short is refused */
	ck_rc(saas__stripe_event_parse(&ev, "{\"id\":\"evt_1\"}", 8), SAAS_EINVAL);
	ck_field("body");
	/* an envelope alone, of an ignored type */
	text = "{\"id\":\"evt_1\",\"type\":\"ping\",\"created\":5}";
	ck_ok(saas__stripe_event_parse(&ev, text, strlen(text)));
	ck_assert_int_eq(ev.created, 5000);
	ck_assert_int_eq(ev.kind, SAAS__STRIPE_IGNORED);
	saas__stripe_event_clear(&ev);
}
END_TEST

/* One member changed (value NULL: removed) and the field the refusal must name. */
struct mistyped {
	const char *file, *path, *value, *field;
};

#define SUBF "lifecycle/02-customer.subscription.created.json"
#define INVF "lifecycle/06-invoice.payment_failed.json"
#define CSF "lifecycle/01-checkout.session.completed.json"
#define BASILF "basil-subscription-updated.json"

static const struct mistyped mistyped[] = {
	/* the envelope */
	{SUBF, "id", NULL, "id"},
	{SUBF, "id", "42", "id"},
	{SUBF, "id", "\"sub_1\"", "id"},
	{SUBF, "id", "\"evt_\"", "id"},
	{SUBF, "id", "\"evt_a b\"", "id"},
	{SUBF, "id", "{\"id\":\"evt_1\"}", "id"},
	{SUBF, "type", NULL, "type"},
	{SUBF, "type", "5", "type"},
	{SUBF, "type", "\"\"", "type"},
	{SUBF, "type", "\"customer.subscription.\\nupdated\"", "type"},
	{SUBF, "created", NULL, "created"},
	{SUBF, "created", "null", "created"},
	{SUBF, "created", "1767607202.5", "created"},
	{SUBF, "created", "-1", "created"},
	{SUBF, "created", "253402300800", "created"},
	{SUBF, "created", "9223372036854775807", "created"},
	{SUBF, "object", "\"subscription\"", "object"},
	{SUBF, "object", "7", "object"},
	{SUBF, "livemode", "\"false\"", "livemode"},
	{SUBF, "livemode", "0", "livemode"},
	{SUBF, "data", NULL, "data"},
	{SUBF, "data", "[]", "data"},
	{SUBF, "data.object", NULL, "data.object"},
	{SUBF, "data.object", "\"" SUB "\"", "data.object"},
	/* a subscription */
	{SUBF, "data.object.object", "\"invoice\"", "data.object.object"},
	{SUBF, "data.object.id", NULL, "data.object.id"},
	{SUBF, "data.object.id", "5", "data.object.id"},
	{SUBF, "data.object.id", "\"cus_TfQ8m2LkR4vWx9\"", "data.object.id"},
	{SUBF, "data.object.id", "\"sub_with_underscore\"", "data.object.id"},
	{SUBF, "data.object.status", NULL, "data.object.status"},
	{SUBF, "data.object.status", "3", "data.object.status"},
	{SUBF, "data.object.status", "null", "data.object.status"},
	{SUBF, "data.object.status", "\"\"", "data.object.status"},
	/* a NUL inside a string: jansson refuses it before any member is read */
	{SUBF, "data.object.status", "\"act\\u0000ive\"", "body"},
	{SUBF, "data.object.customer", NULL, "data.object.customer"},
	{SUBF, "data.object.customer", "42", "data.object.customer"},
	{SUBF, "data.object.customer", "\"acct_1\"", "data.object.customer"},
	{SUBF, "data.object.customer", "{\"object\":\"customer\"}", "data.object.customer.id"},
	{SUBF, "data.object.customer", "{\"id\":7}", "data.object.customer.id"},
	{SUBF, "data.object.created", NULL, "data.object.created"},
	{SUBF, "data.object.created", "\"1767607200\"", "data.object.created"},
	{SUBF, "data.object.cancel_at_period_end", "\"yes\"", "data.object.cancel_at_period_end"},
	{SUBF, "data.object.cancel_at", "\"soon\"", "data.object.cancel_at"},
	{SUBF, "data.object.canceled_at", "-5", "data.object.canceled_at"},
	{SUBF, "data.object.ended_at", "true", "data.object.ended_at"},
	{SUBF, "data.object.trial_end", "1.5", "data.object.trial_end"},
	{SUBF, "data.object.current_period_start", "{}", "data.object.current_period_start"},
	{SUBF, "data.object.current_period_end", "\"x\"", "data.object.current_period_end"},
	{SUBF, "data.object.pause_collection", "true", "data.object.pause_collection"},
	{SUBF, "data.object.pause_collection", "\"void\"", "data.object.pause_collection"},
	{SUBF, "data.object.default_payment_method", "5", "data.object.default_payment_method"},
	{SUBF, "data.object.default_source", "false", "data.object.default_source"},
	{SUBF, "data.object.metadata", "\"x\"", "data.object.metadata"},
	{SUBF, "data.object.metadata.tenant_id", "5", "data.object.metadata.tenant_id"},
	{SUBF, "data.object.metadata.tenant_id", "\"ten\\n1\"", "data.object.metadata.tenant_id"},
	{SUBF, "data.object.items", "[]", "data.object.items"},
	{SUBF, "data.object.items.data", NULL, "data.object.items.data"},
	{SUBF, "data.object.items.data", "{}", "data.object.items.data"},
	{SUBF, "data.object.items.data[0]", "7", "data.object.items.data[0]"},
	{SUBF, "data.object.items.data[0].price", "9", "data.object.items.data[0].price"},
	{SUBF, "data.object.items.data[0].price", "{}", "data.object.items.data[0].price.id"},
	{SUBF, "data.object.items.data[0].price", "\"\"", "data.object.items.data[0].price"},
	{SUBF, "data.object.items.data[0].quantity", "\"2\"", "data.object.items.data[0].quantity"},
	{SUBF, "data.object.items.data[0].quantity", "-1", "data.object.items.data[0].quantity"},
	/* items.data[0] with neither price nor plan */
	{SUBF, "data.object.items.data[0]", "{\"id\":\"si_1\",\"quantity\":1}",
	 "data.object.items.data[0].price"},
	{BASILF, "data.object.items.data[0].current_period_start", "\"x\"",
	 "data.object.items.data[0].current_period_start"},
	{BASILF, "data.object.items.data[0].current_period_end", "-1",
	 "data.object.items.data[0].current_period_end"},
	/* an invoice */
	{INVF, "data.object.object", "\"subscription\"", "data.object.object"},
	{INVF, "data.object.id", NULL, "data.object.id"},
	{INVF, "data.object.id", "\"" SUB "\"", "data.object.id"},
	{INVF, "data.object.subscription", "5", "data.object.subscription"},
	{INVF, "data.object.subscription", "\"in_1\"", "data.object.subscription"},
	{INVF, "data.object.subscription", "{\"id\":false}", "data.object.subscription.id"},
	{INVF, "data.object.customer", "[]", "data.object.customer"},
	{INVF, "data.object.next_payment_attempt", "\"soon\"", "data.object.next_payment_attempt"},
	{INVF, "data.object.next_payment_attempt", "true", "data.object.next_payment_attempt"},
	{INVF, "data.object.billing_reason", "5", "data.object.billing_reason"},
	{INVF, "data.object.metadata", "[]", "data.object.metadata"},
	{INVF, "data.object.metadata", "{\"tenant_id\":1}", "data.object.metadata.tenant_id"},
	{INVF, "data.object.subscription_details", "3", "data.object.subscription_details"},
	/* a checkout session */
	{CSF, "data.object.object", "\"invoice\"", "data.object.object"},
	{CSF, "data.object.id", NULL, "data.object.id"},
	{CSF, "data.object.id", "\"in_1\"", "data.object.id"},
	{CSF, "data.object.subscription", "{}", "data.object.subscription.id"},
	{CSF, "data.object.customer", "1", "data.object.customer"},
	{CSF, "data.object.client_reference_id", "5", "data.object.client_reference_id"},
	{CSF, "data.object.metadata", "null", NULL}, /* null metadata: no tenant there, fine */
	{CSF, "data.object.metadata.tenant_id", "{}", "data.object.metadata.tenant_id"},
};

START_TEST(mistyped_members)
{
	for (size_t i = 0; i < sizeof mistyped / sizeof mistyped[0]; i++) {
		const struct mistyped *m = &mistyped[i];
		struct saas__stripe_event ev;
		json_t *root = fixture_json(m->file);
		int rc;

		set_path(root, m->path, m->value);
		rc = parse_json(&ev, root);
		json_decref(root);
		if (!m->field) {
			ck_assert_msg(rc == SAAS_OK, "%s = %s: %s", m->path, m->value,
			              saas_error_message(saas_error_last()));
			saas__stripe_event_clear(&ev);
			continue;
		}
		ck_assert_msg(rc == SAAS_EINVAL, "%s %s = %s: got %s", m->file, m->path,
		              m->value ? m->value : "(removed)", saas_code_name(rc));
		ck_assert_msg(saas_error_field(saas_error_last()) &&
		                  strcmp(saas_error_field(saas_error_last()), m->field) == 0,
		              "%s = %s: field %s, expected %s (%s)", m->path,
		              m->value ? m->value : "(removed)", saas_error_field(saas_error_last()),
		              m->field, saas_error_message(saas_error_last()));
		/* the message names the path too */
		ck_assert_msg(strstr(saas_error_message(saas_error_last()), m->field) != NULL, "%s",
		              saas_error_message(saas_error_last()));
		ck_assert_ptr_null(ev.id);
		ck_assert_ptr_null(ev.sub.id);
		ck_assert_ptr_null(ev.sub.prices);
		ck_assert_ptr_null(ev.object_id);
	}
}
END_TEST

START_TEST(sub_parse_direct)
{
	struct saas__stripe_sub s;
	json_t *root = fixture_json(SUBF), *obj;
	json_t *arr = json_array();

	obj = json_object_get(json_object_get(root, "data"), "object");
	ck_ok(saas__stripe_sub_parse(&s, obj, "subscription"));
	ck_assert_str_eq(s.id, SUB);
	saas__stripe_sub_clear(&s);
	saas__stripe_sub_clear(&s);
	/* paths with no prefix, and with one */
	json_object_set_new(obj, "status", json_integer(1));
	ck_rc(saas__stripe_sub_parse(&s, obj, NULL), SAAS_EINVAL);
	ck_field("status");
	ck_rc(saas__stripe_sub_parse(&s, obj, ""), SAAS_EINVAL);
	ck_field("status");
	ck_rc(saas__stripe_sub_parse(&s, obj, "subscription"), SAAS_EINVAL);
	ck_field("subscription.status");
	ck_assert_ptr_null(s.id);
	/* not an object */
	ck_rc(saas__stripe_sub_parse(&s, arr, "subscription"), SAAS_EINVAL);
	ck_field("subscription");
	ck_rc(saas__stripe_sub_parse(&s, NULL, NULL), SAAS_EINVAL);
	ck_field("subscription");
	ck_rc(saas__stripe_sub_parse(NULL, obj, NULL), SAAS_EINVAL);
	ck_field("out");
	json_decref(arr);
	json_decref(root);
}
END_TEST

/* ---- fetching ------------------------------------------------------------------------- */

static struct fake_stripe *fake;

/* The lifecycle's 04 subscription object, as the API would answer it. */
static char *api_subscription(void)
{
	json_t *root = fixture_json("lifecycle/04-customer.subscription.updated.json");
	char *s = json_dumps(json_object_get(json_object_get(root, "data"), "object"), 0);

	json_decref(root);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void fake_setup(void)
{
	char *sub;

	fake = fake_stripe_start(KEY);
	ck_assert_ptr_nonnull(fake);
	sub = api_subscription();
	fake_stripe_put(fake, SUB, sub);
	free(sub);
}

static void fake_teardown(void)
{
	fake_stripe_stop(fake);
	fake = NULL;
}

START_TEST(fetch_ok)
{
	struct saas__stripe_sub s;
	int before = fake_stripe_requests(fake);

	ck_assert(strncmp(fake_stripe_url(fake), "http://127.0.0.1:", 17) == 0);
	ck_ok(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 5000));
	ck_assert_int_eq(fake_stripe_requests(fake), before + 1);
	ck_assert_str_eq(s.id, SUB);
	ck_assert_str_eq(s.customer, CUS);
	ck_assert_int_eq(s.state, SAAS_SUB_ACTIVE);
	ck_assert_int_eq(s.current_period_start, MS(TRIAL_END));
	ck_assert_int_eq(s.current_period_end, MS(FEB19));
	ck_assert_str_eq(s.prices[0], "price_pro_monthly");
	ck_assert_str_eq(s.tenant_id, TENANT);
	saas__stripe_sub_clear(&s);
	/* timeout 0 or below: the default, not "no time at all" */
	ck_ok(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 0));
	saas__stripe_sub_clear(&s);
	ck_ok(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, -1));
	saas__stripe_sub_clear(&s);
}
END_TEST

START_TEST(fetch_not_found)
{
	struct saas__stripe_sub s;

	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, "sub_Missing123", 5000),
	      SAAS_ENOTFOUND);
	ck_field("subscription");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "sub_Missing123"));
	ck_assert_ptr_null(s.id);
}
END_TEST

START_TEST(fetch_wrong_key)
{
	const char *wrong = "sk_test_WrongKeyThatMustNotLeak";
	struct saas__stripe_sub s;

	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), wrong, SUB, 5000),
	      SAAS_EDENIED);
	ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), wrong));
	ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), "WrongKey"));
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "API key"));
	ck_assert_ptr_null(s.id);
	/* 403 too */
	fake_stripe_fail(fake, 403, 1);
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 5000),
	      SAAS_EDENIED);
	ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), KEY));
}
END_TEST

START_TEST(fetch_server_error)
{
	struct saas__stripe_sub s;
	const char *m;

	fake_stripe_fail(fake, 500, 1);
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 5000),
	      SAAS_ESTORE);
	m = saas_error_message(saas_error_last());
	ck_assert_msg(strstr(m, "500") != NULL, "%s", m);
	ck_assert_msg(strstr(m, "The fake failed on purpose") != NULL, "%s", m); /* Stripe's message */
	ck_assert_ptr_null(strstr(m, KEY));
	ck_assert_ptr_null(s.id);
	/* only once */
	ck_ok(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 5000));
	saas__stripe_sub_clear(&s);
	/* 429 (rate limited) and a 3xx (no redirects followed) are failures too */
	fake_stripe_fail(fake, 429, 1);
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 5000),
	      SAAS_ESTORE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "429"));
	fake_stripe_fail(fake, 302, 1);
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 5000),
	      SAAS_ESTORE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "302"));
}
END_TEST

START_TEST(fetch_bad_arguments)
{
	static const char *bases[] = {
		"ftp://127.0.0.1", "127.0.0.1:80", "http://127.0.0.1/", "https://", "http://",
		"http://a b", "http://a\r\nb", "http://a?x=1", "http://a#f", "HTTP://a", "",
	};
	static const char *subs[] = {
		"sub_", "sub_a-b", "sub_a_b", "cus_abc", "sub_../../v1/customers", "sub_a%2Fb",
		"sub_a?b", "", "sub_\xc3\xa9",
	};
	static const char *keys[] = {
		"", "sk_test_a\nX-Injected: 1", "sk_test_a\rb", "sk test", "sk_test_\x01",
		"sk_test_\xc3\xa9",
	};
	struct saas__stripe_sub s;
	char big[700], longsub[300], longkey[300];
	int before = fake_stripe_requests(fake);

	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		ck_rc(saas__stripe_fetch_subscription(&s, bases[i], KEY, SUB, 1000), SAAS_EINVAL);
		ck_field("api_base");
	}
	ck_rc(saas__stripe_fetch_subscription(&s, NULL, KEY, SUB, 1000), SAAS_EINVAL);
	ck_field("api_base");
	memcpy(big, "http://", 7);
	memset(big + 7, 'a', 513 - 7);
	big[513] = '\0';
	ck_rc(saas__stripe_fetch_subscription(&s, big, KEY, SUB, 1000), SAAS_EINVAL);
	ck_field("api_base");

	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, subs[i], 1000),
		      SAAS_EINVAL);
		ck_field("subscription");
	}
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, NULL, 1000),
	      SAAS_EINVAL);
	ck_field("subscription");
	memcpy(longsub, "sub_", 4);
	memset(longsub + 4, 'a', 251);
	longsub[255] = '\0';
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, longsub, 1000),
	      SAAS_EINVAL);
	ck_field("subscription");

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), keys[i], SUB, 1000),
		      SAAS_EINVAL);
		ck_field("api_key");
		if (*keys[i])
			ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), keys[i]));
		ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), "sk_test_a"));
	}
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), NULL, SUB, 1000),
	      SAAS_EINVAL);
	ck_field("api_key");
	memset(longkey, 'k', 256);
	longkey[256] = '\0';
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), longkey, SUB, 1000),
	      SAAS_EINVAL);
	ck_field("api_key");
	ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), "kkkk"));
	longkey[255] = '\0'; /* 255 bytes: accepted (and refused by the fake) */
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), longkey, SUB, 5000),
	      SAAS_EDENIED);

	ck_rc(saas__stripe_fetch_subscription(NULL, fake_stripe_url(fake), KEY, SUB, 1000),
	      SAAS_EINVAL);
	ck_field("out");
	/* none of the refused calls reached the server */
	ck_assert_int_eq(fake_stripe_requests(fake), before + 1);
}
END_TEST

/* A port nothing listens on: bind one, note it, close it. */
static int free_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t n = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	ck_assert_int_ge(fd, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

START_TEST(fetch_unreachable)
{
	struct saas__stripe_sub s;
	char url[64];

	snprintf(url, sizeof url, "http://127.0.0.1:%d", free_port());
	ck_rc(saas__stripe_fetch_subscription(&s, url, KEY, SUB, 5000), SAAS_ESTORE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "unreachable"));
	ck_assert_ptr_null(strstr(saas_error_message(saas_error_last()), KEY));
	ck_assert_ptr_null(s.id);
}
END_TEST

START_TEST(fetch_timeout)
{
	struct sockaddr_in a = {0};
	struct saas__stripe_sub s;
	socklen_t n = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	int64_t t;

	/* a server that accepts the connection (the backlog does) and never answers */
	ck_assert_int_ge(fd, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
	t = saas__mono_ns();
	ck_rc(saas__stripe_fetch_subscription(&s, url, KEY, SUB, 300), SAAS_ESTORE);
	t = saas__mono_ns() - t;
	ck_assert_msg(t >= INT64_C(250000000) && t < INT64_C(5000000000), "took %lld ns",
	              (long long)t);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "unreachable"));
	close(fd);
}
END_TEST

START_TEST(fetch_bad_answers)
{
	struct saas__stripe_sub s;
	char *big, *sub = api_subscription();
	size_t n;
	json_t *v;

	/* not JSON */
	fake_stripe_put(fake, "sub_Broken1", "{\"id\": \"sub_Broken1\", ");
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, "sub_Broken1", 5000),
	      SAAS_ESTORE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "the provider's answer"));
	/* JSON, not a subscription we can read (the caller did nothing wrong: not EINVAL) */
	fake_stripe_put(fake, "sub_Broken2", "{\"id\":\"sub_Broken2\",\"object\":\"subscription\","
	                                     "\"status\":3,\"customer\":\"cus_1\",\"created\":1}");
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, "sub_Broken2", 5000),
	      SAAS_ESTORE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "the provider's answer"));
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "subscription.status"));
	ck_assert_ptr_null(s.id);
	fake_stripe_put(fake, "sub_Broken3", "[1,2,3]");
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, "sub_Broken3", 5000),
	      SAAS_ESTORE);
	fake_stripe_put(fake, "sub_Broken4", "");
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, "sub_Broken4", 5000),
	      SAAS_ESTORE);
	/* another subscription than the one asked for */
	fake_stripe_put(fake, "sub_Other1", sub);
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, "sub_Other1", 5000),
	      SAAS_ESTORE);
	ck_assert_ptr_null(s.id);

	/* just under 1 MiB: read */
	v = json_loads(sub, 0, NULL);
	n = 1024 * 1024 - strlen(sub) - 64;
	big = malloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	json_object_set_new(json_object_get(v, "metadata"), "padding", json_string(big));
	free(big);
	big = json_dumps(v, JSON_COMPACT);
	ck_assert_uint_lt(strlen(big), 1024 * 1024);
	fake_stripe_put(fake, SUB, big);
	free(big);
	ck_ok(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 10000));
	ck_assert_str_eq(s.tenant_id, TENANT);
	saas__stripe_sub_clear(&s);
	/* over: refused */
	n = 1024 * 1024 + 10;
	big = malloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	json_object_set_new(json_object_get(v, "metadata"), "padding", json_string(big));
	free(big);
	big = json_dumps(v, JSON_COMPACT);
	fake_stripe_put(fake, SUB, big);
	free(big);
	ck_rc(saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 10000),
	      SAAS_ESTORE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "too large"));
	ck_assert_ptr_null(s.id);
	json_decref(v);
	free(sub);
}
END_TEST

/* Threads fetching at once (the first ones race to initialise libcurl). */
static void *fetch_many(void *arg)
{
	long ok = 0;

	(void)arg;
	for (int i = 0; i < 5; i++) {
		struct saas__stripe_sub s;

		if (saas__stripe_fetch_subscription(&s, fake_stripe_url(fake), KEY, SUB, 5000) == 0 &&
		    strcmp(s.id, SUB) == 0)
			ok++;
		saas__stripe_sub_clear(&s);
	}
	return (void *)ok;
}

START_TEST(fetch_threads)
{
	pthread_t t[6];
	int before = fake_stripe_requests(fake);

	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, fetch_many, NULL), 0);
	for (int i = 0; i < 6; i++) {
		void *ok;

		pthread_join(t[i], &ok);
		ck_assert_int_eq((long)ok, 5);
	}
	ck_assert_int_eq(fake_stripe_requests(fake), before + 30);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("billing_stripe_parse");
	TCase *p = tcase_create("parse"), *f = tcase_create("fetch");

	tcase_add_test(p, status_names);
	tcase_add_test(p, sub_id_form);
	tcase_add_test(p, lifecycle);
	tcase_add_test(p, unknown_type_ignored);
	tcase_add_test(p, future_status);
	tcase_add_test(p, pause_collection);
	tcase_add_test(p, paused_without_payment_method);
	tcase_add_test(p, expanded_customer);
	tcase_add_test(p, invoice_action_required);
	tcase_add_test(p, checkout_client_reference);
	tcase_add_test(p, basil_shapes);
	tcase_add_test(p, defaults_and_variants);
	tcase_add_test(p, malformed_fixtures);
	tcase_add_test(p, bodies);
	tcase_add_test(p, mistyped_members);
	tcase_add_test(p, sub_parse_direct);
	suite_add_tcase(s, p);

	tcase_add_checked_fixture(f, fake_setup, fake_teardown);
	tcase_set_timeout(f, 120);
	tcase_add_test(f, fetch_ok);
	tcase_add_test(f, fetch_not_found);
	tcase_add_test(f, fetch_wrong_key);
	tcase_add_test(f, fetch_server_error);
	tcase_add_test(f, fetch_bad_arguments);
	tcase_add_test(f, fetch_unreachable);
	tcase_add_test(f, fetch_timeout);
	tcase_add_test(f, fetch_bad_answers);
	tcase_add_test(f, fetch_threads);
	suite_add_tcase(s, f);
	return s;
}

int main(void)
{
	/* the fake is local: never through a proxy the environment names */
	setenv("NO_PROXY", "127.0.0.1", 1);
	setenv("no_proxy", "127.0.0.1", 1);
	return th_run(suite());
}
