/*
 * Billing in the store (saas/billing.h): the plan catalogue and its
 * versions, a tenant's subscription driven by events and the clock,
 * entitlements (plan, default plan, overrides, access), usage with hard and
 * soft limits, the seat limit on memberships and invitations (also under
 * threads), plan features in saas_authorize, and the audit events. Runs on
 * memory:, a SQLite file and PostgreSQL when set. Edge cases of
 * ../shared/reference/billing.md §6 are named "(§6.N)".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "store/store.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

static saas_ctx *ctx;
static const char *tenant, *alice;
static saas_scope *ts; /* the tenant's system scope */

static const char *const OWNER[] = {"owner"};
static const char *const ADMIN[] = {"admin"};

/* The catalogue of these tests. */
static const char *CATALOG =
	"{\"features\":{"
	"\"sso\":{\"kind\":\"boolean\"},"
	"\"audit_export\":{\"kind\":\"boolean\",\"readonly_safe\":true},"
	"\"seats\":{\"kind\":\"limit\"},"
	"\"projects\":{\"kind\":\"limit\"},"
	"\"api_calls\":{\"kind\":\"metered\",\"period\":\"billing_cycle\",\"enforcement\":\"hard\"},"
	"\"bursts\":{\"kind\":\"metered\",\"period\":\"day\",\"enforcement\":\"hard\","
	"\"grace_percent\":10},"
	"\"exports\":{\"kind\":\"metered\",\"period\":\"month\",\"enforcement\":\"soft\"},"
	"\"support\":{\"kind\":\"config\"}},"
	"\"plans\":["
	"{\"id\":\"free\",\"name\":\"Free\",\"rank\":0,\"features\":{\"seats\":3,\"projects\":2,"
	"\"api_calls\":100,\"bursts\":10,\"exports\":5,\"support\":\"community\","
	"\"audit_export\":true}},"
	"{\"id\":\"pro\",\"name\":\"Pro\",\"rank\":10,\"trial_days\":14,"
	"\"prices\":{\"stripe\":[\"price_pro_monthly\",\"price_pro_yearly\"]},"
	"\"features\":{\"sso\":true,\"seats\":10,\"projects\":\"unlimited\",\"api_calls\":1000,"
	"\"bursts\":100,\"exports\":50,\"support\":{\"tier\":\"email\"},\"audit_export\":true}},"
	"{\"id\":\"team\",\"name\":\"Team\",\"rank\":20,"
	"\"prices\":{\"stripe\":[\"price_team_monthly\"]},"
	"\"features\":{\"sso\":true,\"seats\":50,\"projects\":\"unlimited\",\"api_calls\":10000,"
	"\"exports\":500,\"support\":{\"tier\":\"phone\"}}},"
	"{\"id\":\"tiny\",\"name\":\"Tiny\",\"rank\":-1,\"features\":{\"seats\":1,\"api_calls\":0}}"
	"],"
	"\"default_plan\":\"free\","
	"\"permission_features\":{\"sso:*\":\"sso\"}}";

static void setup(void)
{
	ctx = th_open(th_url);
	tenant = th_tenant(ctx, "acme");
	ts = th_scope(tenant);
	alice = th_user(ctx, "alice@example.com");
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), alice, OWNER, 1));
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
}

static void load(void)
{
	int64_t v = 0;

	ck_ok(saas_billing_plans_load(&v, ctx, th_system(), CATALOG));
}

/* Events of `action` in a stream (NULL tenant: the deployment's). */
static int64_t events(const char *tenant_id, const char *action)
{
	saas_tx *tx;
	int64_t n = -1;

	ck_ok(saas__tx_begin(&tx, ctx, tenant_id ? tenant_id : SAAS_SYSTEM_TENANT_ID, false));
	ck_ok(saas__st_audit_count(&n, tx, action));
	saas__tx_rollback(tx);
	return n;
}

/* Apply `event` (with `plan`, and `pm` for the payment method) to the tenant. */
static int ev(int event, const char *plan, int pm)
{
	saas_sub_options o = SAAS_SUB_OPTIONS_INIT;

	o.plan = plan;
	o.payment_method = pm;
	return saas_subscription_event(NULL, ctx, ts, event, &o);
}

static saas_subscription *sub(void)
{
	saas_subscription *s = NULL;

	ck_ok(saas_subscription_get(&s, ctx, ts));
	return s;
}

static int state(void)
{
	saas_subscription *s = sub();
	int st = saas_subscription_state(s);

	saas_subscription_free(s);
	return st;
}

static int access(void)
{
	saas_subscription *s = sub();
	int a = saas_subscription_access(s);

	saas_subscription_free(s);
	return a;
}

static const char *add_user(const char *email)
{
	return th_user(ctx, email);
}

/* ---- the catalogue ------------------------------------------------------------------ */

START_TEST(catalog_versions)
{
	int64_t v = 0;
	char *json = NULL;
	char changed[8192];

	ck_ok(saas_billing_plans_load(&v, ctx, th_system(), CATALOG));
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(events(NULL, "billing.catalog_loaded"), 1);
	/* the same document, however spaced, is the same version */
	snprintf(changed, sizeof changed, "  %s\n", CATALOG);
	ck_ok(saas_billing_plans_load(&v, ctx, th_system(), changed));
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(events(NULL, "billing.catalog_loaded"), 1);
	/* a change is a new version */
	snprintf(changed, sizeof changed, "%s", CATALOG);
	memcpy(strstr(changed, "\"seats\":3"), "\"seats\":4", 9);
	ck_ok(saas_billing_plans_load(&v, ctx, th_system(), changed));
	ck_assert_int_eq(v, 2);
	ck_ok(saas_billing_plans_json(&json, ctx, 0));
	ck_assert_ptr_nonnull(strstr(json, "\"version\": 2") ? json : strstr(json, "\"version\":2"));
	saas_free(json);
	ck_ok(saas_billing_plans_json(&json, ctx, 1));
	ck_assert_ptr_nonnull(strstr(json, "\"seats\":3") ? json : strstr(json, "\"seats\": 3"));
	saas_free(json);
	ck_rc(saas_billing_plans_json(&json, ctx, 3), SAAS_ENOTFOUND);
	ck_field("version");
	ck_rc(saas_billing_plans_json(&json, ctx, -1), SAAS_EINVAL);
	/* a bad document changes nothing and says where */
	ck_rc(saas_billing_plans_load(&v, ctx, th_system(), "{\"plans\":[]}"), SAAS_EINVAL);
	ck_rc(saas_billing_plans_load(&v, ctx, ts, CATALOG), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_billing_plans_load(&v, ctx, th_system(), NULL), SAAS_EINVAL);
	ck_rc(saas_billing_plans_load(&v, NULL, th_system(), CATALOG), SAAS_EINVAL);
	ck_ok(saas_billing_plans_json(&json, ctx, 0));
	ck_assert_ptr_nonnull(strstr(json, "\"seats\":4"));
	saas_free(json);
}
END_TEST

START_TEST(without_catalogue_billing_is_off)
{
	char *json = NULL;

	ck_rc(saas_entitlement_check(ctx, ts, "sso", 0), SAAS_ENOTFOUND);
	ck_field("catalog");
	ck_rc(saas_billing_plans_json(&json, ctx, 0), SAAS_ENOTFOUND);
	/* no seat limit, no plan features in authorization */
	for (int i = 0; i < 5; i++) {
		char email[64];
		snprintf(email, sizeof email, "u%d@example.com", i);
		ck_ok(saas_member_add(NULL, ctx, ts, add_user(email), ADMIN, 1));
	}
}
END_TEST

/* ---- subscriptions --------------------------------------------------------------------- */

START_TEST(trial_to_active_and_renewals)
{
	saas_subscription *s;
	int n = 0;

	load();
	ck_rc(saas_subscription_get(&s, ctx, ts), SAAS_ENOTFOUND);
	ck_field("subscription");
	ck_ok(ev(SAAS_SUB_EV_TRIAL_STARTED, "pro", 1));
	s = sub();
	ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_TRIALING);
	ck_assert_str_eq(saas_subscription_plan(s), "pro");
	ck_assert_int_eq(saas_subscription_trial_end(s), th_clock_ms + 14 * DAY_MS);
	ck_assert_int_eq(saas_subscription_period_end(s), th_clock_ms + 14 * DAY_MS);
	ck_assert_int_eq(saas_subscription_access(s), SAAS_ACCESS_FULL);
	ck_assert_int_eq(saas_subscription_catalog_version(s), 1);
	ck_assert_str_eq(saas_subscription_id(s) + 0, saas_subscription_id(s));
	ck_assert(strncmp(saas_subscription_id(s), "sub_", 4) == 0);
	saas_subscription_free(s);
	ck_assert_int_eq(events(tenant, "subscription.trial_started"), 1);
	/* nothing due yet */
	ck_ok(saas_subscription_tick(&n, ctx, ts));
	ck_assert_int_eq(n, 0);
	/* the trial ends with a payment method: active, periods from here (§6.5) */
	th_clock_advance(14 * DAY_MS);
	ck_ok(saas_subscription_tick(&n, ctx, ts));
	ck_assert_int_eq(n, 1);
	s = sub();
	ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_ACTIVE);
	ck_assert_int_eq(saas_subscription_period_start(s), th_clock_ms);
	ck_assert_int_gt(saas_subscription_period_end(s), th_clock_ms + 27 * DAY_MS);
	saas_subscription_free(s);
	/* three months idle: three renewals in one tick */
	th_clock_advance(92 * DAY_MS);
	ck_ok(saas_subscription_tick(&n, ctx, ts));
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(events(tenant, "subscription.period_renewed"), 3);
	s = sub();
	ck_assert_int_le(saas_subscription_period_start(s), th_clock_ms);
	ck_assert_int_gt(saas_subscription_period_end(s), th_clock_ms);
	saas_subscription_free(s);
}
END_TEST

START_TEST(trial_without_payment_method_pauses)
{
	load();
	ck_ok(ev(SAAS_SUB_EV_TRIAL_STARTED, "pro", 0));
	th_clock_advance(14 * DAY_MS);
	ck_ok(saas_subscription_tick(NULL, ctx, ts));
	ck_assert_int_eq(state(), SAAS_SUB_PAUSED);
	ck_assert_int_eq(access(), SAAS_ACCESS_READ_ONLY);
	/* resuming needs a payment method (§6.10) */
	ck_rc(ev(SAAS_SUB_EV_RESUME, NULL, -1), SAAS_ESTATE);
	ck_field("event");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "payment method"));
	ck_ok(ev(SAAS_SUB_EV_RESUME, NULL, 1));
	ck_assert_int_eq(state(), SAAS_SUB_ACTIVE);
}
END_TEST

START_TEST(refused_event_changes_nothing)
{
	int64_t before;

	load();
	ck_ok(ev(SAAS_SUB_EV_CREATED, "pro", -1));
	ck_assert_int_eq(state(), SAAS_SUB_INCOMPLETE);
	ck_assert_int_eq(access(), SAAS_ACCESS_NONE);
	before = events(tenant, NULL);
	ck_rc(ev(SAAS_SUB_EV_PAUSE, NULL, -1), SAAS_ESTATE);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "incomplete"));
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "pause"));
	ck_assert_int_eq(state(), SAAS_SUB_INCOMPLETE);
	ck_assert_int_eq(events(tenant, NULL), before);
	/* 3DS: action required keeps it incomplete; a payment activates (§6.4) */
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_FAILED, NULL, -1));
	ck_assert_int_eq(state(), SAAS_SUB_INCOMPLETE);
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, NULL, -1));
	ck_assert_int_eq(state(), SAAS_SUB_ACTIVE);
	/* creating needs a known plan */
	ck_ok(ev(SAAS_SUB_EV_CANCEL_NOW, NULL, -1));
	ck_rc(ev(SAAS_SUB_EV_CREATED, "nope", -1), SAAS_ENOTFOUND);
	ck_field("plan");
	ck_rc(ev(SAAS_SUB_EV_CREATED, NULL, -1), SAAS_EINVAL);
	ck_field("plan");
	ck_rc(ev(SAAS_SUB_EV_TRIAL_STARTED, "team", -1), SAAS_EINVAL);
	ck_field("trial_days");
	ck_rc(ev(99, "pro", -1), SAAS_EINVAL);
	ck_field("event");
	ck_rc(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, NULL, 7), SAAS_EINVAL);
	ck_field("payment_method");
	/* the ended one stays ended; a new one gets a new id (§6.2, terminal) */
	ck_assert_int_eq(state(), SAAS_SUB_CANCELED);
	ck_rc(ev(SAAS_SUB_EV_RESUME, NULL, 1), SAAS_ESTATE);
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "team", -1));
	ck_assert_int_eq(state(), SAAS_SUB_ACTIVE);
}
END_TEST

START_TEST(past_due_grace_boundary)
{
	saas_subscription *s;
	int64_t since;

	load();
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "pro", 1));
	th_clock_advance(HOUR_MS);
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_FAILED, NULL, -1));
	s = sub();
	since = saas_subscription_past_due_since(s);
	ck_assert_int_eq(since, th_clock_ms);
	saas_subscription_free(s);
	/* repeated failures do not extend the grace (§6.12) */
	th_clock_advance(DAY_MS);
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_FAILED, NULL, -1));
	s = sub();
	ck_assert_int_eq(saas_subscription_past_due_since(s), since);
	saas_subscription_free(s);
	/* full until the grace ends (7 days by default), then read-only (§6.11) */
	th_clock_ms = since + 7 * DAY_MS - 1;
	ck_assert_int_eq(access(), SAAS_ACCESS_FULL);
	ck_ok(saas_entitlement_check(ctx, ts, "sso", 0));
	th_clock_ms = since + 7 * DAY_MS;
	ck_assert_int_eq(access(), SAAS_ACCESS_READ_ONLY);
	th_clock_ms = since + 7 * DAY_MS + 1;
	ck_assert_int_eq(access(), SAAS_ACCESS_READ_ONLY);
	ck_rc(saas_entitlement_check(ctx, ts, "sso", 0), SAAS_ELIMIT);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "read-only"));
	/* readonly_safe features stay allowed (§6.49) */
	ck_ok(saas_entitlement_check(ctx, ts, "audit_export", 0));
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, NULL, -1));
	ck_assert_int_eq(access(), SAAS_ACCESS_FULL);
	s = sub();
	ck_assert_int_eq(saas_subscription_past_due_since(s), 0);
	saas_subscription_free(s);
}
END_TEST

START_TEST(cancel_at_period_end_then_default_plan)
{
	saas_subscription *s;
	int64_t end;

	load();
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "pro", 1));
	ck_ok(ev(SAAS_SUB_EV_CANCEL_AT_PERIOD_END, NULL, -1));
	s = sub();
	end = saas_subscription_period_end(s);
	ck_assert(saas_subscription_flags(s) & SAAS_SUB_F_CANCEL_PENDING);
	saas_subscription_free(s);
	/* a pending cancellation leaves access alone (§6.18); a plan change is refused (§6.22) */
	th_clock_ms = end - 1;
	ck_ok(saas_subscription_tick(NULL, ctx, ts));
	ck_assert_int_eq(state(), SAAS_SUB_ACTIVE);
	ck_ok(saas_entitlement_check(ctx, ts, "sso", 0));
	ck_rc(saas_subscription_change_plan(NULL, ctx, ts, "team",
	                                    SAAS_PLAN_CHANGE_NOW),
	      SAAS_ESTATE);
	/* canceled exactly at the period's end; the tenant falls back to the default plan */
	th_clock_ms = end;
	ck_ok(saas_subscription_tick(NULL, ctx, ts));
	s = sub();
	ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_CANCELED);
	ck_assert_int_eq(saas_subscription_ended_at(s), end);
	saas_subscription_free(s);
	ck_rc(saas_entitlement_check(ctx, ts, "sso", 0), SAAS_ELIMIT);
	ck_ok(saas_entitlement_check(ctx, ts, "projects", 2));
	/* cancelling again: the state refuses (§6.20) */
	ck_rc(ev(SAAS_SUB_EV_CANCEL_NOW, NULL, -1), SAAS_ESTATE);
}
END_TEST

START_TEST(uncancel_and_pending_change)
{
	saas_subscription *s;

	load();
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "team", 1));
	ck_ok(ev(SAAS_SUB_EV_CANCEL_AT_PERIOD_END, NULL, -1));
	ck_ok(ev(SAAS_SUB_EV_UNCANCEL, NULL, -1));
	ck_rc(ev(SAAS_SUB_EV_UNCANCEL, NULL, -1), SAAS_ESTATE); /* (§6.19) */
	/* a downgrade waits for the period's end (§6.27) */
	ck_ok(saas_subscription_change_plan(&s, ctx, ts, "pro",
	                                    SAAS_PLAN_CHANGE_AUTO));
	ck_assert_str_eq(saas_subscription_plan(s), "team");
	ck_assert_str_eq(saas_subscription_pending_plan(s), "pro");
	saas_subscription_free(s);
	ck_ok(saas_entitlement_check(ctx, ts, "exports", 400));
	/* a second downgrade replaces the first */
	ck_ok(saas_subscription_change_plan(&s, ctx, ts, "tiny",
	                                    SAAS_PLAN_CHANGE_AUTO));
	ck_assert_str_eq(saas_subscription_pending_plan(s), "tiny");
	th_clock_ms = saas_subscription_period_end(s);
	saas_subscription_free(s);
	ck_ok(saas_subscription_tick(NULL, ctx, ts));
	s = sub();
	ck_assert_str_eq(saas_subscription_plan(s), "tiny");
	ck_assert_ptr_null(saas_subscription_pending_plan(s));
	saas_subscription_free(s);
	/* an upgrade is immediate */
	ck_ok(saas_subscription_change_plan(&s, ctx, ts, "pro",
	                                    SAAS_PLAN_CHANGE_AUTO));
	ck_assert_str_eq(saas_subscription_plan(s), "pro");
	saas_subscription_free(s);
	ck_assert_int_eq(events(tenant, "subscription.plan_change_now"), 1);
	ck_assert_int_eq(events(tenant, "subscription.plan_change_at_period_end"), 2);
	ck_rc(saas_subscription_change_plan(NULL, ctx, ts, "pro", 7), SAAS_EINVAL);
	ck_field("when");
	ck_rc(saas_subscription_change_plan(NULL, ctx, ts, "nope",
	                                    SAAS_PLAN_CHANGE_NOW),
	      SAAS_ENOTFOUND);
}
END_TEST

START_TEST(downgrade_in_trial_is_immediate)
{
	saas_subscription *s;

	load();
	ck_ok(ev(SAAS_SUB_EV_TRIAL_STARTED, "pro", 1));
	ck_ok(saas_subscription_change_plan(&s, ctx, ts, "free",
	                                    SAAS_PLAN_CHANGE_AUTO));
	ck_assert_str_eq(saas_subscription_plan(s), "free");
	/* the trial is not restarted (§6.9) */
	ck_assert_int_eq(saas_subscription_state(s), SAAS_SUB_TRIALING);
	ck_assert_int_eq(saas_subscription_trial_end(s), th_clock_ms + 14 * DAY_MS);
	saas_subscription_free(s);
}
END_TEST

START_TEST(catalogue_version_kept_until_plan_changes)
{
	char v2[8192];
	saas_entitlement *e = NULL;
	int64_t v;

	load();
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "pro", 1));
	snprintf(v2, sizeof v2, "%s", CATALOG);
	memcpy(strstr(v2, "\"api_calls\":1000,"), "\"api_calls\":2000,", 17);
	ck_ok(saas_billing_plans_load(&v, ctx, th_system(), v2));
	ck_assert_int_eq(v, 2);
	ck_ok(saas_entitlement_get(&e, ctx, ts, "api_calls", 0));
	ck_assert_int_eq(saas_entitlement_limit(e), 1000);
	saas_entitlement_free(e);
	ck_ok(saas_subscription_change_plan(NULL, ctx, ts, "pro",
	                                    SAAS_PLAN_CHANGE_NOW));
	ck_ok(saas_entitlement_get(&e, ctx, ts, "api_calls", 0));
	ck_assert_int_eq(saas_entitlement_limit(e), 2000);
	saas_entitlement_free(e);
}
END_TEST

/* ---- entitlements -------------------------------------------------------------------- */

START_TEST(entitlement_values)
{
	saas_entitlement *e = NULL;
	char *json = NULL;

	load();
	/* the default plan (no subscription) */
	ck_rc(saas_entitlement_check(ctx, ts, "sso", 0), SAAS_ELIMIT);
	ck_field("feature");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "'free'"));
	ck_ok(saas_entitlement_check(ctx, ts, "projects", 2));
	ck_rc(saas_entitlement_check(ctx, ts, "projects", 3), SAAS_ELIMIT);
	ck_ok(saas_entitlement_get(&e, ctx, ts, "support", 0));
	ck_assert_str_eq(saas_entitlement_value(e), "\"community\"");
	ck_assert_str_eq(saas_entitlement_kind(e), "config");
	saas_entitlement_free(e);
	ck_rc(saas_entitlement_check(ctx, ts, "nope", 0), SAAS_ENOTFOUND);
	ck_field("feature");
	ck_rc(saas_entitlement_check(ctx, ts, "sso", -1), SAAS_EINVAL);
	ck_field("amount");
	ck_rc(saas_entitlement_check(ctx, ts, NULL, 0), SAAS_EINVAL);
	ck_rc(saas_entitlement_check(ctx, th_system(), "sso", 0), SAAS_EINVAL);
	ck_rc(saas_entitlement_get(NULL, ctx, ts, "sso", 0), SAAS_EINVAL);
	/* unlimited is not a big number; zero denies (§6.48) */
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "pro", 1));
	ck_ok(saas_entitlement_get(&e, ctx, ts, "projects", INT64_MAX));
	ck_assert_int_eq(saas_entitlement_unlimited(e), 1);
	ck_assert_str_eq(saas_entitlement_value(e), "\"unlimited\"");
	saas_entitlement_free(e);
	ck_ok(saas_subscription_change_plan(NULL, ctx, ts, "tiny",
	                                    SAAS_PLAN_CHANGE_NOW));
	ck_rc(saas_entitlement_get(&e, ctx, ts, "api_calls", 0), SAAS_ELIMIT);
	ck_assert_int_eq(saas_entitlement_reason(e), SAAS_ENT_LIMIT);
	ck_assert_int_eq(saas_entitlement_unlimited(e), 0);
	saas_entitlement_free(e);
	ck_rc(saas_entitlement_get(&e, ctx, ts, "sso", 0), SAAS_ELIMIT);
	ck_assert_int_eq(saas_entitlement_reason(e), SAAS_ENT_NOT_IN_PLAN);
	ck_assert_int_eq(saas_entitlement_allowed(e), 0);
	saas_entitlement_free(e);
	ck_ok(saas_entitlement_summary(&json, ctx, ts));
	ck_assert_ptr_nonnull(strstr(json, "\"plan\":\"tiny\""));
	ck_assert_ptr_nonnull(strstr(json, "\"access\":\"full\""));
	saas_free(json);
}
END_TEST

START_TEST(overrides_win_until_they_expire)
{
	saas_entitlement *e = NULL;
	char *json = NULL;

	load();
	ck_rc(saas_entitlement_check(ctx, ts, "sso", 0), SAAS_ELIMIT);
	ck_ok(saas_entitlement_override_set(ctx, ts, "sso", "true",
	                                    th_clock_ms + DAY_MS, "pilot"));
	ck_ok(saas_entitlement_check(ctx, ts, "sso", 0));
	ck_ok(saas_entitlement_override_set(ctx, ts, "projects", "\"unlimited\"", 0,
	                                    NULL));
	ck_ok(saas_entitlement_check(ctx, ts, "projects", 1000));
	ck_ok(saas_entitlement_summary(&json, ctx, ts));
	ck_assert_ptr_nonnull(strstr(json, "\"source\":\"override\""));
	ck_assert_ptr_nonnull(strstr(json, "\"source\":\"default_plan\""));
	saas_free(json);
	ck_assert_int_eq(events(tenant, "entitlement.override_set"), 2);
	/* an expired override falls through to the plan (§6.43) */
	th_clock_advance(DAY_MS);
	ck_rc(saas_entitlement_check(ctx, ts, "sso", 0), SAAS_ELIMIT);
	/* removal */
	ck_ok(saas_entitlement_override_remove(ctx, ts, "projects"));
	ck_rc(saas_entitlement_check(ctx, ts, "projects", 1000), SAAS_ELIMIT);
	ck_rc(saas_entitlement_override_remove(ctx, ts, "projects"), SAAS_ENOTFOUND);
	ck_assert_int_eq(events(tenant, "entitlement.override_removed"), 1);
	/* an override can take a feature away too */
	ck_ok(saas_entitlement_override_set(ctx, ts, "projects", "0", 0, NULL));
	ck_rc(saas_entitlement_get(&e, ctx, ts, "projects", 1), SAAS_ELIMIT);
	saas_entitlement_free(e);
	/* bad values change nothing */
	ck_rc(saas_entitlement_override_set(ctx, ts, "sso", "7", 0, NULL),
	      SAAS_EINVAL);
	ck_field("value");
	ck_rc(saas_entitlement_override_set(ctx, ts, "sso", "{", 0, NULL),
	      SAAS_EINVAL);
	ck_field("value");
	ck_rc(saas_entitlement_override_set(ctx, ts, "seats", "-2", 0, NULL),
	      SAAS_EINVAL);
	ck_rc(saas_entitlement_override_set(ctx, ts, "nope", "true", 0, NULL),
	      SAAS_ENOTFOUND);
	ck_rc(saas_entitlement_override_set(ctx, ts, "sso", "true", -1, NULL),
	      SAAS_EINVAL);
	ck_field("expires_at");
	ck_rc(saas_entitlement_override_set(ctx, ts, "sso", NULL, 0, NULL),
	      SAAS_EINVAL);
	ck_assert_int_eq(events(tenant, "entitlement.override_set"), 3);
}
END_TEST

/* ---- usage ----------------------------------------------------------------------------- */

START_TEST(usage_hard_soft_and_idempotent)
{
	saas_entitlement *e = NULL;
	char key[32];

	load();
	/* hard: the free plan's 100 api_calls a month (no subscription: calendar months) */
	ck_ok(saas_usage_record(&e, ctx, ts, "api_calls", 99, "k1", 0));
	ck_assert_int_eq(saas_entitlement_used(e), 99);
	saas_entitlement_free(e);
	ck_rc(saas_usage_record(&e, ctx, ts, "api_calls", 2, "k2", 0), SAAS_ELIMIT);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "99 used + 2"));
	ck_assert_int_eq(saas_entitlement_used(e), 99);
	ck_assert_int_eq(saas_entitlement_limit(e), 100);
	saas_entitlement_free(e);
	ck_assert_int_eq(events(tenant, "entitlement.limit_refused"), 1);
	ck_ok(saas_usage_record(&e, ctx, ts, "api_calls", 1, "k2", 0)); /* == limit */
	ck_assert_int_eq(saas_entitlement_used(e), 100);
	saas_entitlement_free(e);
	ck_rc(saas_usage_record(NULL, ctx, ts, "api_calls", 1, "k3", 0), SAAS_ELIMIT);
	/* the same key again: answered as before, nothing added */
	ck_ok(saas_usage_record(&e, ctx, ts, "api_calls", 99, "k1", 0));
	ck_assert_int_eq(saas_entitlement_used(e), 100);
	saas_entitlement_free(e);
	ck_rc(saas_usage_record(NULL, ctx, ts, "api_calls", 98, "k1", 0),
	      SAAS_ECONFLICT);
	ck_rc(saas_usage_record(NULL, ctx, ts, "exports", 99, "k1", 0),
	      SAAS_ECONFLICT);
	/* grace: 10 a day with 10% grace allows 11 (§6.44) */
	ck_ok(saas_usage_record(NULL, ctx, ts, "bursts", 11, "b1", 0));
	ck_rc(saas_usage_record(NULL, ctx, ts, "bursts", 1, "b2", 0), SAAS_ELIMIT);
	/* soft: allowed and flagged */
	for (int i = 0; i < 6; i++) {
		snprintf(key, sizeof key, "x%d", i);
		ck_ok(saas_usage_record(&e, ctx, ts, "exports", 1, key, 0));
		ck_assert_int_eq(saas_entitlement_over_limit(e), i >= 5);
		saas_entitlement_free(e);
	}
	/* the next month starts again; a late record counts in its own period (§6.46) */
	th_clock_advance(32 * DAY_MS);
	ck_ok(saas_usage_record(&e, ctx, ts, "api_calls", 100, "k4", 0));
	ck_assert_int_eq(saas_entitlement_used(e), 100);
	saas_entitlement_free(e);
	ck_rc(saas_usage_record(NULL, ctx, ts, "api_calls", 1, "late",
	                        th_clock_ms - 32 * DAY_MS),
	      SAAS_ELIMIT);
	/* bad input */
	ck_rc(saas_usage_record(NULL, ctx, ts, "sso", 1, "y", 0), SAAS_EINVAL);
	ck_field("feature");
	ck_rc(saas_usage_record(NULL, ctx, ts, "api_calls", 0, "y", 0), SAAS_EINVAL);
	ck_field("quantity");
	ck_rc(saas_usage_record(NULL, ctx, ts, "api_calls", 1, "", 0), SAAS_EINVAL);
	ck_field("idempotency_key");
	ck_rc(saas_usage_record(NULL, ctx, ts, "api_calls", 1, "a b", 0),
	      SAAS_EINVAL);
	ck_rc(saas_usage_record(NULL, ctx, ts, "api_calls", 1, "y",
	                        th_clock_ms + 1),
	      SAAS_EINVAL);
	ck_field("occurred_at");
	ck_rc(saas_usage_record(NULL, ctx, ts, "nope", 1, "y", 0), SAAS_ENOTFOUND);
}
END_TEST

START_TEST(usage_follows_the_billing_cycle)
{
	saas_subscription *s;
	saas_entitlement *e = NULL;
	int64_t end;

	load();
	th_clock_ms += 15 * DAY_MS; /* mid-month: the cycle is not the calendar month */
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "pro", 1));
	s = sub();
	end = saas_subscription_period_end(s);
	saas_subscription_free(s);
	ck_ok(saas_usage_record(&e, ctx, ts, "api_calls", 1000, "a", 0));
	ck_assert_int_eq(saas_entitlement_period_end(e), end);
	saas_entitlement_free(e);
	th_clock_ms = end - 1;
	ck_rc(saas_usage_record(NULL, ctx, ts, "api_calls", 1, "b", 0), SAAS_ELIMIT);
	th_clock_ms = end;
	ck_ok(saas_subscription_tick(NULL, ctx, ts));
	ck_ok(saas_usage_record(NULL, ctx, ts, "api_calls", 1, "b", 0));
	/* read-only access refuses metered use */
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_FAILED, NULL, -1));
	th_clock_advance(8 * DAY_MS);
	ck_rc(saas_usage_record(&e, ctx, ts, "api_calls", 1, "c", 0), SAAS_ELIMIT);
	ck_assert_int_eq(saas_entitlement_reason(e), SAAS_ENT_READ_ONLY);
	saas_entitlement_free(e);
}
END_TEST

/* ---- seats ------------------------------------------------------------------------------- */

START_TEST(seat_limit_on_members_and_invitations)
{
	saas_invitation *inv = NULL;
	char *token = NULL;
	const char *carol;
	char *json = NULL;

	load(); /* the free plan: 3 seats; alice has one */
	ck_ok(saas_member_add(NULL, ctx, ts, add_user("b@example.com"), ADMIN, 1));
	ck_ok(saas_member_add(NULL, ctx, ts, add_user("c@example.com"), ADMIN, 1));
	ck_rc(saas_member_add(NULL, ctx, ts, add_user("d@example.com"), ADMIN, 1),
	      SAAS_ELIMIT);
	ck_field("feature");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "3 used + 1"));
	ck_assert_int_eq(events(tenant, "entitlement.limit_refused"), 1);
	ck_assert_int_eq(events(tenant, "member.added"), 3);
	/* an invitation cannot take a seat either */
	carol = add_user("carol@example.com");
	ck_ok(saas_invitation_create(&inv, &token, ctx, ts, "carol@example.com",
	                             ADMIN, 1, 0));
	ck_rc(saas_invitation_accept(NULL, ctx, ts, token, carol), SAAS_ELIMIT);
	ck_assert_int_eq(events(tenant, "entitlement.limit_refused"), 2);
	ck_rc(saas_entitlement_check(ctx, ts, "seats", 1), SAAS_ELIMIT);
	/* more seats: the invitation, still pending, goes through */
	ck_ok(saas_entitlement_override_set(ctx, ts, "seats", "4", 0, "sales"));
	ck_ok(saas_invitation_accept(NULL, ctx, ts, token, carol));
	/* fewer seats later: nobody is removed, the summary says over the limit (§6.30) */
	ck_ok(saas_entitlement_override_remove(ctx, ts, "seats"));
	ck_ok(saas_entitlement_summary(&json, ctx, ts));
	ck_assert_ptr_nonnull(strstr(json, "\"used\":4,\"over_limit\":true") ?
	                      json : strstr(json, "\"over_limit\":true"));
	saas_free(json);
	ck_rc(saas_member_add(NULL, ctx, ts, add_user("e@example.com"), ADMIN, 1),
	      SAAS_ELIMIT);
	saas_invitation_free(inv);
	saas_free_secret(token);
}
END_TEST

struct accept_arg {
	const char *user;
	char *token;
	int rc;
};

static void *accept_thread(void *p)
{
	struct accept_arg *a = p;

	a->rc = saas_invitation_accept(NULL, ctx, ts, a->token, a->user);
	return NULL;
}

/* 8 threads accepting invitations for the last 3 seats: exactly 3 join (§6.31). */
START_TEST(seats_under_concurrency)
{
	struct accept_arg args[8];
	pthread_t th[8];
	int ok = 0, limit = 0;

	load();
	ck_ok(saas_entitlement_override_set(ctx, ts, "seats", "4", 0, NULL));
	for (int i = 0; i < 8; i++) {
		char email[64];
		saas_invitation *inv = NULL;

		snprintf(email, sizeof email, "t%d@example.com", i);
		args[i].user = add_user(email);
		ck_ok(saas_invitation_create(&inv, &args[i].token, ctx, ts, email,
		                             ADMIN, 1, 0));
		saas_invitation_free(inv);
	}
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, accept_thread, &args[i]), 0);
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ok += args[i].rc == SAAS_OK;
		limit += args[i].rc == SAAS_ELIMIT;
		saas_free_secret(args[i].token);
	}
	ck_assert_int_eq(ok, 3);
	ck_assert_int_eq(limit, 5);
	ck_assert_int_eq(events(tenant, "member.added"), 4);
}
END_TEST

/* ---- authorization ------------------------------------------------------------------------- */

START_TEST(plan_features_in_authorize)
{
	saas_decision *d = NULL;
	saas_scope *as_alice = NULL;
	char *json = NULL;

	ck_ok(saas_scope_new(&as_alice, tenant, SAAS_ACTOR_USER, alice));
	ck_ok(saas_decision_new(&d));
	/* no catalogue: the roles decide */
	ck_ok(saas_authorize(d, ctx, as_alice, "sso:configure"));
	load();
	ck_rc(saas_authorize(d, ctx, as_alice, "sso:configure"), SAAS_EDENIED);
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_PLAN_LACKS_FEATURE);
	ck_assert_str_eq(saas_reason_name(SAAS_REASON_PLAN_LACKS_FEATURE), "plan_lacks_feature");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "'sso'"));
	ck_ok(saas_decision_to_json(&json, d));
	ck_assert_ptr_nonnull(strstr(json, "\"feature\":\"sso\""));
	saas_free(json);
	/* other permissions are the roles' alone; the system is not bound by plans */
	ck_ok(saas_authorize(d, ctx, as_alice, "project:create"));
	ck_ok(saas_authorize(d, ctx, ts, "sso:configure"));
	/* on a plan with the feature */
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "pro", 1));
	ck_ok(saas_authorize(d, ctx, as_alice, "sso:configure"));
	ck_ok(saas_subscription_change_plan(NULL, ctx, ts, "tiny",
	                                    SAAS_PLAN_CHANGE_NOW));
	ck_rc(saas_authorize(d, ctx, as_alice, "sso:configure"), SAAS_EDENIED);
	ck_ok(saas_entitlement_override_set(ctx, ts, "sso", "true", 0, NULL));
	ck_ok(saas_authorize(d, ctx, as_alice, "sso:configure"));
	saas_decision_free(d);
	saas_scope_free(as_alice);
}
END_TEST

START_TEST(subscription_json_and_getters)
{
	saas_subscription *s;
	char *json = NULL;

	load();
	ck_ok(ev(SAAS_SUB_EV_TRIAL_STARTED, "pro", 1));
	ck_ok(ev(SAAS_SUB_EV_CANCEL_AT_PERIOD_END, NULL, -1));
	s = sub();
	ck_ok(saas_subscription_to_json(&json, s));
	ck_assert_ptr_nonnull(strstr(json, "\"state\":\"trialing\""));
	ck_assert_ptr_nonnull(strstr(json, "\"cancel_pending\""));
	ck_assert_ptr_nonnull(strstr(json, "\"payment_method\""));
	ck_assert_ptr_null(saas_subscription_provider_id(s));
	ck_assert_ptr_null(saas_subscription_provider_status(s));
	saas_free(json);
	ck_rc(saas_subscription_to_json(&json, NULL), SAAS_EINVAL);
	ck_rc(saas_subscription_to_json(NULL, s), SAAS_EINVAL);
	saas_subscription_free(s);
	saas_subscription_free(NULL);
	ck_assert_int_eq(saas_subscription_state(NULL), SAAS_SUB_NONE);
	ck_rc(saas_subscription_get(NULL, ctx, ts), SAAS_EINVAL);
	ck_rc(saas_subscription_event(NULL, NULL, ts, 1, NULL), SAAS_EINVAL);
	ck_rc(saas_subscription_event(NULL, ctx, th_system(), 1, NULL), SAAS_EINVAL);
	ck_rc(saas_subscription_tick(NULL, NULL, ts), SAAS_EINVAL);
	{
		saas_sub_options o;
		ck_ok(saas_sub_options_init(&o, SAAS_SUB_OPTIONS_VERSION));
		ck_assert_int_eq(o.payment_method, -1);
		ck_rc(saas_sub_options_init(&o, 99), SAAS_EINVAL);
		ck_rc(saas_sub_options_init(NULL, SAAS_SUB_OPTIONS_VERSION), SAAS_EINVAL);
		o.version = 99;
		ck_rc(saas_subscription_event(NULL, ctx, ts, 1, &o), SAAS_EINVAL);
	}
	ck_assert_str_eq(saas_ent_reason_name(SAAS_ENT_NOT_IN_PLAN), "not_in_plan");
	ck_assert_str_eq(saas_ent_reason_name(42), "unknown");
	/* a tenant unknown or going away */
	ck_rc(saas_subscription_event(NULL, ctx, th_scope("ten_00000000000000000000000000"), 1,
	                              NULL),
	      SAAS_ENOTFOUND);
}
END_TEST

START_TEST(purge_erases_billing_rows)
{
	load();
	ck_ok(ev(SAAS_SUB_EV_PAYMENT_SUCCEEDED, "pro", 1));
	ck_ok(saas_entitlement_override_set(ctx, ts, "sso", "true", 0, NULL));
	ck_ok(saas_usage_record(NULL, ctx, ts, "api_calls", 1, "k", 0));
	ck_ok(saas_billing_customer_link(ctx, ts, "stripe", "cus_123"));
	ck_rc(saas_billing_customer_link(ctx, ts, "paddle", "cus_123"), SAAS_EINVAL);
	{
		const char *other = th_tenant(ctx, "other");
		ck_rc(saas_billing_customer_link(ctx, th_scope(other), "stripe", "cus_123"),
		      SAAS_ECONFLICT);
	}
	ck_ok(saas_tenant_delete(ctx, ts, 0));
	ck_ok(saas_admin_tenant_purge(ctx, ts));
	{
		saas_tx *tx;
		int64_t n = -1;
		static saas_query q = SAAS_QUERY(
			"SELECT (SELECT COUNT(*) FROM billing_subscriptions)"
			" + (SELECT COUNT(*) FROM billing_overrides)"
			" + (SELECT COUNT(*) FROM billing_usage_records)"
			" + (SELECT COUNT(*) FROM billing_usage_totals)"
			" + (SELECT COUNT(*) FROM billing_customers)");
		ck_ok(saas__tx_begin(&tx, ctx, NULL, false));
		ck_assert_int_eq(saas__q_int_row(&n, tx, &q, ""), 1);
		saas__tx_rollback(tx);
		ck_assert_int_eq(n, 0);
	}
}
END_TEST


/* ---- a model-based run ---------------------------------------------------------------- */

/* Random events, plan changes, overrides, usage and time, with invariants
 * checked after each step: a refused event changes nothing, a terminal
 * state stays terminal, access never exceeds what the state grants, and
 * usage never passes a hard limit. */
START_TEST(random_sequences_keep_the_invariants)
{
	static const char *const plans[] = {"free", "pro", "team", "tiny"};
	unsigned seed = 20261128u;
	int steps = strncmp(th_url, "postgres", 8) == 0 ? 300 : 1500;
	int applied = 0, refused = 0, limited = 0, seen_access[3] = {0};

	load();
	for (int step = 0; step < steps; step++) {
		saas_subscription *s = NULL;
		saas_entitlement *e = NULL;
		int before = SAAS_SUB_NONE, after, r = (int)(rand_r(&seed) % 100), rc;
		char key[32];

		if (saas_subscription_get(&s, ctx, ts) == SAAS_OK)
			before = saas_subscription_state(s);
		saas_subscription_free(s);
		if (r < 45) {
			saas_sub_options o = SAAS_SUB_OPTIONS_INIT;
			int ev = 1 + (int)(rand_r(&seed) % SAAS_SUB_EVENT_MAX);
			o.plan = plans[rand_r(&seed) % 4];
			o.payment_method = (int)(rand_r(&seed) % 3) - 1;
			o.trial_days = 1 + (int)(rand_r(&seed) % 30);
			rc = saas_subscription_event(NULL, ctx, ts, ev, &o);
			ck_assert_msg(rc == SAAS_OK || rc == SAAS_ESTATE, "event %s: %s",
			              saas_sub_event_name(ev), saas_error_message(saas_error_last()));
			s = NULL;
			after = saas_subscription_get(&s, ctx, ts) == SAAS_OK
			                ? saas_subscription_state(s)
			                : SAAS_SUB_NONE;
			saas_subscription_free(s);
			applied += rc == SAAS_OK;
			refused += rc == SAAS_ESTATE;
			if (rc == SAAS_ESTATE)
				ck_assert_int_eq(after, before);
			/* an ended subscription is left only by a new one */
			if (saas_sub_state_terminal(before) && after != before)
				ck_assert(ev == SAAS_SUB_EV_TRIAL_STARTED || ev == SAAS_SUB_EV_CREATED ||
				          ev == SAAS_SUB_EV_PAYMENT_SUCCEEDED);
		} else if (r < 75) {
			int64_t q = 1 + (int64_t)(rand_r(&seed) % 400);
			snprintf(key, sizeof key, "u%d", step);
			rc = saas_usage_record(&e, ctx, ts, "api_calls", q, key, 0);
			ck_assert_msg(rc == SAAS_OK || rc == SAAS_ELIMIT, "usage: %s",
			              saas_error_message(saas_error_last()));
			/* a hard limit is never passed, and refuses only what would pass it */
			if (rc == SAAS_OK && !saas_entitlement_unlimited(e))
				ck_assert_int_le(saas_entitlement_used(e), saas_entitlement_limit(e));
			limited += rc == SAAS_ELIMIT && saas_entitlement_reason(e) == SAAS_ENT_LIMIT;
			if (rc == SAAS_ELIMIT && saas_entitlement_reason(e) == SAAS_ENT_LIMIT)
				ck_assert_int_gt(saas_entitlement_used(e) + q, saas_entitlement_limit(e));
			saas_entitlement_free(e);
		} else if (r < 85) {
			const char *v = rand_r(&seed) % 2 ? "true" : "false";
			if (rand_r(&seed) % 3)
				ck_ok(saas_entitlement_override_set(ctx, ts, "sso", v, 0, NULL));
			else
				ck_assert_int_ne(saas_entitlement_override_remove(ctx, ts,
				                                                  "sso"),
				                 SAAS_ESTORE);
		} else {
			th_clock_advance((int64_t)(rand_r(&seed) % (20 * 24)) * HOUR_MS);
			ck_ok(saas_subscription_tick(NULL, ctx, ts));
		}
		/* access never exceeds what the state grants */
		s = NULL;
		if (saas_subscription_get(&s, ctx, ts) == SAAS_OK &&
		    !saas_sub_state_terminal(saas_subscription_state(s))) {
			int access = saas_subscription_access(s);
			seen_access[access]++;
			rc = saas_entitlement_get(&e, ctx, ts, "projects", 1);
			if (access == SAAS_ACCESS_NONE)
				ck_assert_int_eq(saas_entitlement_reason(e), SAAS_ENT_NO_ACCESS);
			else if (access == SAAS_ACCESS_READ_ONLY)
				ck_assert_int_eq(saas_entitlement_reason(e), SAAS_ENT_READ_ONLY);
			else
				ck_assert_int_ne(saas_entitlement_reason(e), SAAS_ENT_READ_ONLY);
			ck_assert_int_eq(rc == SAAS_OK, saas_entitlement_allowed(e));
			saas_entitlement_free(e);
			ck_assert_int_le(access, saas_sub_access(saas_subscription_state(s),
			                                         saas_subscription_past_due_since(s),
			                                         INT64_MAX / 4, th_clock_ms));
		}
		saas_subscription_free(s);
	}
	/* the run went through what it checks */
	ck_assert_msg(applied > 10 && refused > 10 && limited > 0 && seen_access[0] > 0 &&
	                      seen_access[1] > 0 && seen_access[2] > 0,
	              "applied %d, refused %d, limited %d, access none/read-only/full %d/%d/%d",
	              applied, refused, limited, seen_access[0], seen_access[1], seen_access[2]);
}
END_TEST

static Suite *billing_suite(void)
{
	Suite *s = suite_create("billing");
	TCase *tc = tcase_create(th_url);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, catalog_versions);
	tcase_add_test(tc, without_catalogue_billing_is_off);
	tcase_add_test(tc, trial_to_active_and_renewals);
	tcase_add_test(tc, trial_without_payment_method_pauses);
	tcase_add_test(tc, refused_event_changes_nothing);
	tcase_add_test(tc, past_due_grace_boundary);
	tcase_add_test(tc, cancel_at_period_end_then_default_plan);
	tcase_add_test(tc, uncancel_and_pending_change);
	tcase_add_test(tc, downgrade_in_trial_is_immediate);
	tcase_add_test(tc, catalogue_version_kept_until_plan_changes);
	tcase_add_test(tc, entitlement_values);
	tcase_add_test(tc, overrides_win_until_they_expire);
	tcase_add_test(tc, usage_hard_soft_and_idempotent);
	tcase_add_test(tc, usage_follows_the_billing_cycle);
	tcase_add_test(tc, seat_limit_on_members_and_invitations);
	tcase_add_test(tc, seats_under_concurrency);
	tcase_add_test(tc, plan_features_in_authorize);
	tcase_add_test(tc, subscription_json_and_getters);
	tcase_add_test(tc, purge_erases_billing_rows);
	tcase_add_test(tc, random_sequences_keep_the_invariants);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &th_url, billing_suite);
}
