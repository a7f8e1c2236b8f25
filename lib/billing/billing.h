/*
 * Billing inside the library: the plan catalogue parsed, usage periods, and
 * Stripe's objects read into provider-neutral snapshots. Nothing here talks
 * to the store; lib/billing/{plans,subscription,entitlement,usage,stripe}.c
 * do that through lib/store/.
 */
#ifndef SAAS_BILLING_INTERNAL_H
#define SAAS_BILLING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "saas/billing.h"
#include "../core/core.h"

/* ---- the plan catalogue (catalog.c) ----------------------------------------- */

/* A feature's kind. */
enum saas__feat_kind {
	SAAS__FEAT_BOOLEAN = 1, /* on or off */
	SAAS__FEAT_LIMIT = 2,   /* a number of live things (seats, projects) */
	SAAS__FEAT_METERED = 3, /* a quantity used per period */
	SAAS__FEAT_CONFIG = 4   /* a configuration value (any JSON) */
};

/* The period a metered feature's usage counts over. */
enum saas__period {
	SAAS__PERIOD_DAY = 1,
	SAAS__PERIOD_WEEK = 2,
	SAAS__PERIOD_MONTH = 3,         /* calendar month, UTC */
	SAAS__PERIOD_YEAR = 4,          /* calendar year, UTC */
	SAAS__PERIOD_BILLING_CYCLE = 5  /* monthly from the subscription's anchor */
};

/* A feature as the catalogue declares it. */
struct saas__feature_def {
	char *name;
	int kind;            /* saas__feat_kind */
	int period;          /* metered only: saas__period */
	bool hard;           /* metered only: refuse past the limit (else allow and flag) */
	int grace_percent;   /* metered, hard only: refuse past limit * (100 + g) / 100 */
	bool readonly_safe;  /* allowed while access is read-only */
};

/* A feature's value in a plan (or an override). `present` false: the plan
 * does not list it, which denies it. */
struct saas__feat_value {
	bool present;
	bool enabled;      /* boolean */
	bool unlimited;    /* limit, metered: no limit */
	int64_t limit;     /* limit, metered: 0 or more (0 denies, and is not unlimited) */
	json_t *config;    /* config: the value (owned) */
};

struct saas__plan {
	char *id;            /* [a-z0-9][a-z0-9_-]{0,62} */
	char *name;
	int rank;            /* higher is more: decides upgrade or downgrade */
	int trial_days;      /* 0 to 730 */
	char **stripe_prices;/* the Stripe price ids that mean this plan */
	size_t nstripe_prices;
	struct saas__feat_value *values; /* one per catalogue feature, same index */
};

/* A permission pattern that needs a feature (saas_authorize). */
struct saas__perm_feature {
	char *pattern;   /* a permission pattern (saas_permission_check) */
	size_t feature;  /* index into features; a boolean feature */
};

struct saas__catalog {
	int64_t version;      /* set by the store; 0 until stored */
	char hash[65];        /* BLAKE2b-256 (hex) of the canonical JSON */
	char *canonical;      /* the document, compact with sorted keys */
	struct saas__feature_def *features; size_t nfeatures;
	struct saas__plan *plans; size_t nplans;
	ptrdiff_t default_plan; /* index into plans, or -1 */
	ptrdiff_t seat_feature; /* index into features (a limit feature), or -1 */
	struct saas__perm_feature *perm_features; size_t nperm_features;
	int64_t past_due_grace_ms; /* "past_due_grace_days" (0 to 90, default 7) in ms */
};

/* Parse and check a catalogue document (docs/billing.md, "The plan
 * catalogue"). SAAS_EINVAL with the field as a path ("plans[1].features.seats")
 * and a message naming the bad value; SAAS_ENOMEM. */
int saas__catalog_parse(struct saas__catalog **out, const char *json_text);
void saas__catalog_free(struct saas__catalog *c);
/* Index of a feature / a plan, or -1. */
ptrdiff_t saas__catalog_feature(const struct saas__catalog *c, const char *name);
ptrdiff_t saas__catalog_plan(const struct saas__catalog *c, const char *id);
/* The plan a Stripe price id belongs to, or -1. */
ptrdiff_t saas__catalog_plan_for_stripe_price(const struct saas__catalog *c, const char *price);
/* Parse one feature value against its definition (overrides use this too):
 * true/false for boolean; an integer >= 0 or "unlimited" for limit and
 * metered; any JSON for config. SAAS_EINVAL names `field`. */
int saas__feat_value_parse(struct saas__feat_value *out, const struct saas__feature_def *def,
                           json_t *v, const char *field);
void saas__feat_value_clear(struct saas__feat_value *v);
/* A value as JSON (true/false, an integer, "unlimited", the config), or
 * null when not present. New reference. */
json_t *saas__feat_value_json(const struct saas__feat_value *v, const struct saas__feature_def *def);

/* ---- periods (period.c) ------------------------------------------------------ */

/* The period containing `now_ms`: [*start, *end). Calendar units are UTC.
 * BILLING_CYCLE counts whole months from `anchor_ms` (a month from the 31st
 * ends on the last day of a shorter month, at the anchor's time of day, and
 * the next goes back to the 31st). `anchor_ms` is read only for
 * BILLING_CYCLE. Works for any int64 ms from year 1970 to 9999; SAAS_EINVAL
 * outside that or for an unknown period. */
int saas__period_bounds(int64_t *start, int64_t *end, int period, int64_t anchor_ms,
                        int64_t now_ms);
/* The name ("billing_cycle") of a period, and back (-1 if unknown). */
const char *saas__period_name(int period);
int saas__period_from_name(const char *name);

/* ---- Stripe objects (stripe_parse.c) ------------------------------------------ */

/* What a Stripe event asks of us. */
enum saas__stripe_kind {
	SAAS__STRIPE_IGNORED = 0,        /* a type we do not act on */
	SAAS__STRIPE_SUBSCRIPTION = 1,   /* customer.subscription.*: a snapshot */
	SAAS__STRIPE_INVOICE_PAID = 2,
	SAAS__STRIPE_INVOICE_FAILED = 3, /* invoice.payment_failed */
	SAAS__STRIPE_INVOICE_ACTION = 4, /* invoice.payment_action_required */
	SAAS__STRIPE_CHECKOUT = 5        /* checkout.session.completed */
};

/* A Stripe subscription object, read. Times in ms since the epoch, 0 when
 * absent or null. */
struct saas__stripe_sub {
	char *id;                 /* sub_... */
	char *customer;           /* cus_... (the id, or the expanded object's id) */
	char *status;             /* Stripe's status as given */
	int state;                /* saas_sub_state, or -1 for an unknown status */
	bool cancel_at_period_end;
	int64_t cancel_at;
	int64_t canceled_at;
	int64_t ended_at;
	int64_t created;
	int64_t current_period_start; /* top level, else items.data[0] (newer API versions) */
	int64_t current_period_end;
	int64_t trial_end;
	bool pause_collection;    /* pause_collection is an object, not null */
	bool has_payment_method;  /* default_payment_method or default_source set */
	char **prices;            /* items.data[].price.id (or .plan.id), in order */
	size_t nprices;
	int64_t quantity;         /* items.data[0].quantity, 1 when absent */
	char *tenant_id;          /* metadata.tenant_id, or NULL */
};

struct saas__stripe_event {
	char *id;                 /* evt_... */
	char *type;               /* "invoice.paid" */
	int kind;                 /* saas__stripe_kind */
	int64_t created;          /* ms */
	bool livemode;
	struct saas__stripe_sub sub; /* kind SUBSCRIPTION: data.object */
	/* the other kinds: from data.object */
	char *object_id;          /* in_... / cs_... */
	char *subscription_id;    /* the invoice's or session's subscription, or NULL */
	char *customer;           /* cus_..., or NULL */
	char *tenant_id;          /* metadata.tenant_id, else (checkout) client_reference_id */
	bool next_attempt;        /* invoice: next_payment_attempt is not null */
	char *billing_reason;     /* invoice: "subscription_create", "subscription_cycle", ... */
};

/* Read an event (the raw body of a verified delivery). SAAS_EINVAL for
 * malformed JSON (field "body", message with the line and column), or for
 * a missing or mistyped member the kind needs (field as a path,
 * "data.object.status"); an unknown type is not an error (kind IGNORED,
 * only id, type and created read). SAAS_ENOMEM. */
int saas__stripe_event_parse(struct saas__stripe_event *out, const char *body, size_t len);
void saas__stripe_event_clear(struct saas__stripe_event *e);
/* Read a subscription object (event payloads and the API's answer);
 * `field` prefixes error paths. */
int saas__stripe_sub_parse(struct saas__stripe_sub *out, json_t *obj, const char *field);
void saas__stripe_sub_clear(struct saas__stripe_sub *s);
/* Stripe's status name to a state: -1 when unknown. */
int saas__stripe_status_state(const char *status);
/* Whether `id` is a Stripe subscription id as the fetch puts it in a URL:
 * "sub_" and 1 to 250 letters or digits. The parser holds ids it reads to
 * the same form. */
bool saas__stripe_sub_id_ok(const char *id);

/* GET {api_base}/v1/subscriptions/{id} with `api_key` (Bearer), through
 * libcurl, no redirects, `timeout_ms` total. SAAS_EINVAL for a bad id or
 * base; SAAS_ENOTFOUND for 404; SAAS_EDENIED for 401/403; SAAS_ESTORE
 * ("the provider is unreachable", with curl's message or the HTTP status)
 * for anything else. The key never reaches a message. */
int saas__stripe_fetch_subscription(struct saas__stripe_sub *out, const char *api_base,
                                    const char *api_key, const char *sub_id, long timeout_ms);

#endif
