/**
 * @file saas/billing.h
 * @brief Billing: plans, subscriptions, entitlements, usage and Stripe (docs/billing.md).
 *
 * - **The state machine** (pure): a provider-neutral subscription state
 *   machine as one explicit transition table, and the access a state
 *   grants. A subscription is a state and a few flags: a cancellation
 *   scheduled for the end of the period, a plan change scheduled for the
 *   end of the period, and whether the customer has a payment method. An
 *   event moves it along the table (saas_sub_transition()); an event the
 *   table does not list for the state (and flags) is refused with
 *   `SAAS_ESTATE` naming both, and nothing changes. `canceled` and
 *   `incomplete_expired` are terminal: no event leaves them. The table can
 *   be printed (saas_sub_table_markdown(), saas_sub_table_dot()) so that
 *   documentation and diagrams come from the code.
 * - **The plan catalogue** (saas_billing_plans_load()): plans and their
 *   features (boolean, limit, metered, config), stored and versioned so
 *   every process agrees.
 * - **A tenant's subscription** (saas_subscription_event(),
 *   saas_subscription_change_plan(), saas_subscription_tick()): the table
 *   applied to the stored subscription, with its audit event in the same
 *   transaction.
 * - **Entitlements and usage** (saas_entitlement_check(),
 *   saas_entitlement_summary(), saas_usage_record()), with per-tenant
 *   overrides; the seat limit is enforced on new memberships.
 * - **Stripe** (saas_billing_stripe_apply(), saas_billing_stripe_reconcile()):
 *   verified Stripe events applied idempotently and in order.
 *
 * Thread safety: every function here may be called from any thread; a
 * `saas_subscription` or `saas_entitlement` handle belongs to one thread
 * at a time.
 */
#ifndef SAAS_BILLING_H
#define SAAS_BILLING_H

#include "saas/common.h"
#include "saas/context.h"

SAAS_BEGIN_DECL

/** A subscription's state. Numbers are never reused. */
typedef enum saas_sub_state {
	SAAS_SUB_NONE = 0,               /**< no subscription yet: where creation starts */
	SAAS_SUB_INCOMPLETE = 1,         /**< created; the first payment is not done */
	SAAS_SUB_INCOMPLETE_EXPIRED = 2, /**< the first payment never came (terminal) */
	SAAS_SUB_TRIALING = 3,           /**< in a free trial */
	SAAS_SUB_ACTIVE = 4,             /**< paid and current */
	SAAS_SUB_PAST_DUE = 5,           /**< a renewal payment failed; retrying */
	SAAS_SUB_UNPAID = 6,             /**< retries exhausted; kept open, not collected */
	SAAS_SUB_PAUSED = 7,             /**< no billing, no service (asked for, or a trial ended without a payment method) */
	SAAS_SUB_CANCELED = 8            /**< ended (terminal) */
} saas_sub_state;

/** The highest state number. */
#define SAAS_SUB_STATE_MAX 8

/** What happens to a subscription. Numbers are never reused. */
typedef enum saas_sub_event {
	SAAS_SUB_EV_TRIAL_STARTED = 1,     /**< created with a free trial */
	SAAS_SUB_EV_CREATED = 2,           /**< created; the first payment is due */
	SAAS_SUB_EV_PAYMENT_SUCCEEDED = 3, /**< an invoice was paid */
	SAAS_SUB_EV_PAYMENT_FAILED = 4,    /**< a payment failed (a retry may follow) */
	SAAS_SUB_EV_RETRIES_EXHAUSTED = 5, /**< the last retry failed */
	SAAS_SUB_EV_INCOMPLETE_EXPIRED = 6,/**< the first payment's window closed */
	SAAS_SUB_EV_TRIAL_ENDED = 7,       /**< the trial's end was reached */
	SAAS_SUB_EV_CANCEL_NOW = 8,        /**< cancel at once */
	SAAS_SUB_EV_CANCEL_AT_PERIOD_END = 9, /**< cancel when the period (or trial) ends */
	SAAS_SUB_EV_UNCANCEL = 10,         /**< take back a scheduled cancellation */
	SAAS_SUB_EV_PAUSE = 11,            /**< pause billing and service */
	SAAS_SUB_EV_RESUME = 12,           /**< resume a paused subscription */
	SAAS_SUB_EV_PLAN_CHANGE_NOW = 13,  /**< change the plan at once */
	SAAS_SUB_EV_PLAN_CHANGE_AT_PERIOD_END = 14, /**< change the plan when the period ends */
	SAAS_SUB_EV_PERIOD_RENEWED = 15    /**< a new period began */
} saas_sub_event;

/** The highest event number. */
#define SAAS_SUB_EVENT_MAX 15

/** Flags of a subscription besides its state (a bit set). */
enum {
	SAAS_SUB_F_CANCEL_PENDING = 1u, /**< a cancellation is scheduled for the period's end */
	SAAS_SUB_F_CHANGE_PENDING = 2u, /**< a plan change is scheduled for the period's end */
	SAAS_SUB_F_PAYMENT_METHOD = 4u  /**< the customer has a payment method */
};

/** Every flag bit. */
#define SAAS_SUB_F_ALL 7u

/** What a state lets the tenant do. */
typedef enum saas_access {
	SAAS_ACCESS_NONE = 0,      /**< nothing */
	SAAS_ACCESS_READ_ONLY = 1, /**< read and export, no writes or metered use */
	SAAS_ACCESS_FULL = 2       /**< everything the plan allows */
} saas_access;

/**
 * Apply `event` to a subscription in `state` with `flags`, by the table.
 *
 * @param out_state receives the next state (may be NULL); left as `state`
 *                  when the event is refused.
 * @param out_flags receives the next flags (may be NULL); left as `flags`
 *                  when refused. The payment-method flag is never changed
 *                  by an event.
 * @return `SAAS_OK`; `SAAS_ESTATE` (field `"event"`) when the table has no
 *         row for the event in this state with these flags: the message
 *         names the state and the event (and, where a row exists for other
 *         flags, what is missing: "no cancellation is scheduled", "a
 *         payment method is needed", ...); `SAAS_EINVAL` for an unknown
 *         state (field `"state"`), event (field `"event"`) or flag bits
 *         (field `"flags"`).
 */
SAAS_EXTERN(int) saas_sub_transition(int *out_state, unsigned *out_flags, int state,
                                     unsigned flags, int event);

/**
 * The access a subscription grants at `now_ms`: full while trialing or
 * active, and while past due for `grace_ms` after `past_due_since_ms`;
 * read-only once the grace has run out, and while unpaid or paused; none
 * when incomplete, ended, or without a subscription.
 *
 * @param state             the state.
 * @param past_due_since_ms when it became past due (ms since the epoch;
 *                          read only for `SAAS_SUB_PAST_DUE`).
 * @param grace_ms          the grace period, 0 or more (0: read-only at once).
 * @param now_ms            the time (the context's clock).
 * @return a `saas_access` (0 to 2), or `SAAS_EINVAL` for an unknown state
 *         (field `"state"`) or a negative `grace_ms` (field `"grace_ms"`).
 */
SAAS_EXTERN(int) saas_sub_access(int state, int64_t past_due_since_ms, int64_t grace_ms,
                                 int64_t now_ms);

/** Whether `state` is terminal (1: canceled, incomplete_expired) or not (0). */
SAAS_EXTERN(int) saas_sub_state_terminal(int state);

/** The state's name (`"past_due"`), or `"unknown"`. */
SAAS_EXTERN(const char *) saas_sub_state_name(int state);
/** The state of a name, or `SAAS_EINVAL` (field `"state"`) for an unknown name. */
SAAS_EXTERN(int) saas_sub_state_from_name(const char *name);
/** The event's name (`"payment_failed"`), or `"unknown"`. */
SAAS_EXTERN(const char *) saas_sub_event_name(int event);
/** The event of a name, or `SAAS_EINVAL` (field `"event"`) for an unknown name. */
SAAS_EXTERN(int) saas_sub_event_from_name(const char *name);
/** The access level's name (`"read_only"`), or `"unknown"`. */
SAAS_EXTERN(const char *) saas_access_name(int access);

/**
 * The transition table as Markdown: one row per transition (from, event,
 * condition on the flags, to, flag changes), in table order.
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_sub_table_markdown(char **out);

/**
 * The transition table as a Graphviz `digraph`: states as nodes (terminal
 * ones double-circled), one edge per transition labelled with the event and
 * its condition.
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (NULL `out`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_sub_table_dot(char **out);

/* ---- the plan catalogue ------------------------------------------------------ */

/**
 * Load a plan catalogue (the JSON document described in docs/billing.md,
 * "The plan catalogue") and store it as the newest version, unless the
 * same document (by content, whatever its key order or spacing) is stored
 * already: then nothing is written and its version is returned. A new
 * version writes `billing.catalog_loaded` to the deployment's audit stream.
 *
 * Subscriptions keep the version they were priced on until their plan
 * changes; tenants without a subscription use the newest version.
 *
 * @param out_version receives the version (1, 2, ...); may be NULL.
 * @param scope       a system scope (no tenant).
 * @param json        the document, at most 1 MiB.
 * @return `SAAS_OK`; `SAAS_EINVAL` for a bad document (the field is a
 *         path such as `plans[1].features.seats`, the message names the
 *         value), a NULL argument or a scope with a tenant; `SAAS_ESTORE`;
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_billing_plans_load(int64_t *out_version, saas_ctx *ctx,
                                         const saas_scope *scope, const char *json);

/**
 * A stored catalogue as JSON: `{"version": N, "catalog": {...}}`, the
 * document in its canonical form (sorted keys).
 * @param out     receives the text; free with saas_free().
 * @param version the version, or 0 for the newest.
 * @return `SAAS_OK`; `SAAS_ENOTFOUND` (field `"version"`) when there is no
 *         such version (or none at all); `SAAS_EINVAL` for NULL arguments
 *         or a negative version; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_billing_plans_json(char **out, saas_ctx *ctx, int64_t version);

/* ---- a tenant's subscription ---------------------------------------------------- */

/** A tenant's subscription as read (opaque; free with saas_subscription_free()). */
typedef struct saas_subscription saas_subscription;

/** Options of saas_subscription_event(). */
typedef struct saas_sub_options {
	unsigned version;       /**< SAAS_SUB_OPTIONS_VERSION */
	const char *plan;       /**< the plan: needed to create a subscription and to change plans */
	int payment_method;     /**< -1 leave as is, 0 the customer has none, 1 has one (set before the event) */
	int64_t trial_days;     /**< trial_started: -1 the plan's trial, else 1 to 730 days */
} saas_sub_options;

/** The version of saas_sub_options this header describes. */
#define SAAS_SUB_OPTIONS_VERSION 1
/** Defaults: no plan, payment method left as is, the plan's trial. */
#define SAAS_SUB_OPTIONS_INIT {SAAS_SUB_OPTIONS_VERSION, NULL, -1, -1}

/**
 * Fill `opts` with the defaults (for callers that cannot use the macro).
 * @return `SAAS_OK`; `SAAS_EINVAL` for NULL or an unknown version.
 */
SAAS_EXTERN(int) saas_sub_options_init(saas_sub_options *opts, unsigned version);

/**
 * Apply `event` to the scope's tenant's subscription by the transition
 * table, and write `subscription.<event>` (from, to, plan, flags) to the
 * tenant's audit stream in the same transaction.
 *
 * - `trial_started`, `created` and `payment_succeeded` start a
 *   subscription when the tenant has none or its last one has ended (a new
 *   subscription id); they need `opts->plan`. A trial lasts the plan's
 *   `trial_days` (or `opts->trial_days`); the period is the trial, then
 *   months from its end. Without a trial the period is a month from now.
 * - `period_renewed` moves the period on by a month (from the anchor),
 *   applies a scheduled plan change and ends a subscription whose
 *   cancellation was scheduled.
 * - `plan_change_now` / `plan_change_at_period_end` need `opts->plan`.
 * - Entering `past_due` records when; further failures do not move it.
 *
 * A suspended tenant's subscription still changes (billing does not wait
 * for the tenant's status).
 *
 * @param out   receives the subscription after the event (may be NULL).
 * @param scope a scope with a tenant.
 * @param opts  may be NULL (the defaults).
 * @return `SAAS_OK`; `SAAS_ESTATE` (field `"event"`) when the table has no
 *         such transition, naming the state and the event (nothing
 *         changes); `SAAS_ENOTFOUND` for a missing tenant (field
 *         `"tenant_id"`), no catalogue or an unknown plan (field
 *         `"plan"`); `SAAS_EINVAL` for a bad event, missing plan, bad
 *         options or scope; `SAAS_EDELETED`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_subscription_event(saas_subscription **out, saas_ctx *ctx,
                                         const saas_scope *scope, int event,
                                         const saas_sub_options *opts);

/** When a plan change takes effect (saas_subscription_change_plan()). */
typedef enum saas_plan_change {
	SAAS_PLAN_CHANGE_AUTO = 0,         /**< a downgrade (lower rank) at the period's end, anything else now; always now while trialing */
	SAAS_PLAN_CHANGE_NOW = 1,          /**< now */
	SAAS_PLAN_CHANGE_AT_PERIOD_END = 2 /**< when the period ends */
} saas_plan_change;

/**
 * Change the tenant's plan: saas_subscription_event() with
 * `plan_change_now` or `plan_change_at_period_end`, chosen by `when`.
 * Limits that a change lowers leave existing data alone: the summary
 * flags them `over_limit` and new use is refused.
 * @return as saas_subscription_event(); also `SAAS_EINVAL` (field
 *         `"when"`) for an unknown `when`.
 */
SAAS_EXTERN(int) saas_subscription_change_plan(saas_subscription **out, saas_ctx *ctx,
                                               const saas_scope *scope, const char *plan,
                                               int when);

/**
 * Apply the events the clock has made due: `trial_ended` once the trial's
 * end is reached, `period_renewed` once the period's end is reached (for
 * subscriptions the library runs itself: those fed by a provider wait for
 * its events). Call it from a periodic job; it is idempotent.
 * @param out_applied receives how many events were applied (may be NULL).
 * @return `SAAS_OK` (also when the tenant has no subscription); errors as
 *         saas_subscription_event().
 */
SAAS_EXTERN(int) saas_subscription_tick(int *out_applied, saas_ctx *ctx,
                                        const saas_scope *scope);

/**
 * Read the scope's tenant's subscription.
 * @return `SAAS_OK`; `SAAS_ENOTFOUND` (field `"subscription"`) when the
 *         tenant never had one, or (field `"tenant_id"`) no such tenant;
 *         `SAAS_EINVAL`; `SAAS_EDELETED`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_subscription_get(saas_subscription **out, saas_ctx *ctx,
                                       const saas_scope *scope);

/** Free a subscription. NULL is fine. */
SAAS_EXTERN(void) saas_subscription_free(saas_subscription *s);
/** Its id (`sub_...`). */
SAAS_EXTERN(const char *) saas_subscription_id(const saas_subscription *s);
/** Its state (`saas_sub_state`). */
SAAS_EXTERN(int) saas_subscription_state(const saas_subscription *s);
/** Its flags (`SAAS_SUB_F_*`). */
SAAS_EXTERN(unsigned) saas_subscription_flags(const saas_subscription *s);
/** Its plan's id. */
SAAS_EXTERN(const char *) saas_subscription_plan(const saas_subscription *s);
/** The plan a scheduled change goes to, or NULL. */
SAAS_EXTERN(const char *) saas_subscription_pending_plan(const saas_subscription *s);
/** The catalogue version its plan is priced on. */
SAAS_EXTERN(int64_t) saas_subscription_catalog_version(const saas_subscription *s);
/** The current period's start (ms). */
SAAS_EXTERN(int64_t) saas_subscription_period_start(const saas_subscription *s);
/** The current period's end (ms): renewal, or the end of a scheduled cancellation. */
SAAS_EXTERN(int64_t) saas_subscription_period_end(const saas_subscription *s);
/** The trial's end (ms), or 0. */
SAAS_EXTERN(int64_t) saas_subscription_trial_end(const saas_subscription *s);
/** When it became past due (ms), or 0. */
SAAS_EXTERN(int64_t) saas_subscription_past_due_since(const saas_subscription *s);
/** When it ended (ms), or 0. */
SAAS_EXTERN(int64_t) saas_subscription_ended_at(const saas_subscription *s);
/** The access it granted when read (`saas_access`). */
SAAS_EXTERN(int) saas_subscription_access(const saas_subscription *s);
/** The provider's subscription id (Stripe's `sub_...`), or NULL. */
SAAS_EXTERN(const char *) saas_subscription_provider_id(const saas_subscription *s);
/** The provider's status as last applied (Stripe's `"active"`), or NULL. */
SAAS_EXTERN(const char *) saas_subscription_provider_status(const saas_subscription *s);

/**
 * The subscription as a JSON object: id, state, access, flags by name,
 * plan, pending_plan, catalog_version, period, trial_end, past_due_since,
 * canceled_at, ended_at (RFC 3339 or null), provider fields.
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_subscription_to_json(char **out, const saas_subscription *s);

/* ---- entitlements ---------------------------------------------------------------- */

/** Why an entitlement was refused (or `SAAS_ENT_ALLOWED`). */
typedef enum saas_ent_reason {
	SAAS_ENT_ALLOWED = 0,        /**< allowed (a soft limit may be passed: see over_limit) */
	SAAS_ENT_NO_PLAN = 1,        /**< no subscription, and the catalogue has no default plan */
	SAAS_ENT_NO_ACCESS = 2,      /**< the subscription's state grants no access */
	SAAS_ENT_READ_ONLY = 3,      /**< read-only access, and the feature is not readonly_safe */
	SAAS_ENT_NOT_IN_PLAN = 4,    /**< the plan lacks the feature (or it is off) */
	SAAS_ENT_LIMIT = 5           /**< the amount passes the (hard) limit */
} saas_ent_reason;

/** One feature's entitlement for a tenant (opaque; free with saas_entitlement_free()). */
typedef struct saas_entitlement saas_entitlement;

/**
 * May the scope's tenant use `feature` for `amount`?
 *
 * - boolean: `amount` is ignored; allowed when the feature is on.
 * - limit: allowed when the count the tenant would have, `amount`, is
 *   within the limit; for the catalogue's seat feature `amount` is the
 *   number of seats to add to the tenant's members.
 * - metered: allowed when this period's usage plus `amount` is within the
 *   limit (hard), or always (soft; over_limit says when it is passed).
 * - config: allowed when the plan sets it.
 *
 * A tenant override replaces the plan's value until it expires; access
 * none denies everything, read-only all but readonly_safe features.
 * Answers come from a per-process cache refreshed every `authz_refresh_ms`
 * (this process's own changes at once); metered usage is read each time.
 *
 * @param amount 0 or more.
 * @return `SAAS_OK` (allowed); `SAAS_ELIMIT` (field `"feature"`) when
 *         refused, the message saying why with the used and allowed
 *         amounts; `SAAS_ENOTFOUND` when no catalogue is loaded (field
 *         `"catalog"`) or the feature is not in it (field `"feature"`);
 *         `SAAS_EINVAL`; `SAAS_EDELETED`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_entitlement_check(saas_ctx *ctx, const saas_scope *scope,
                                        const char *feature, int64_t amount);

/**
 * saas_entitlement_check() with the details: `*out` is set when the answer
 * is `SAAS_OK` or `SAAS_ELIMIT`.
 */
SAAS_EXTERN(int) saas_entitlement_get(saas_entitlement **out, saas_ctx *ctx,
                                      const saas_scope *scope, const char *feature,
                                      int64_t amount);
/** Free an entitlement. NULL is fine. */
SAAS_EXTERN(void) saas_entitlement_free(saas_entitlement *e);
/** 1 allowed, 0 refused. */
SAAS_EXTERN(int) saas_entitlement_allowed(const saas_entitlement *e);
/** The `saas_ent_reason`. */
SAAS_EXTERN(int) saas_entitlement_reason(const saas_entitlement *e);
/** The feature's kind: "boolean", "limit", "metered" or "config". */
SAAS_EXTERN(const char *) saas_entitlement_kind(const saas_entitlement *e);
/** 1 when the limit is "unlimited". */
SAAS_EXTERN(int) saas_entitlement_unlimited(const saas_entitlement *e);
/** The limit (limit and metered; 0 otherwise or unlimited). */
SAAS_EXTERN(int64_t) saas_entitlement_limit(const saas_entitlement *e);
/** What is used: members for the seat feature, this period's usage for metered. */
SAAS_EXTERN(int64_t) saas_entitlement_used(const saas_entitlement *e);
/** 1 when use is past the limit (a soft limit passed, or a lowered limit). */
SAAS_EXTERN(int) saas_entitlement_over_limit(const saas_entitlement *e);
/** Metered: the period's end (ms), when usage starts again; 0 otherwise. */
SAAS_EXTERN(int64_t) saas_entitlement_period_end(const saas_entitlement *e);
/** The value as JSON text (`true`, `20`, `"unlimited"`, the config); owned by `e`. */
SAAS_EXTERN(const char *) saas_entitlement_value(const saas_entitlement *e);
/** The reason's name (`"not_in_plan"`), or `"unknown"`. */
SAAS_EXTERN(const char *) saas_ent_reason_name(int reason);

/**
 * The tenant's features, limits, usage and access as one JSON object:
 * `{"plan", "catalog_version", "state", "access", "period": {start, end},
 * "features": {name: {"kind", "value", "source" ("plan", "override",
 * "default_plan"), "allowed", "used", "over_limit", "period_end"}}}`.
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`; errors as saas_entitlement_check().
 */
SAAS_EXTERN(int) saas_entitlement_summary(char **out, saas_ctx *ctx, const saas_scope *scope);

/**
 * Override a feature's value for the scope's tenant (it wins over the
 * plan's) until `expires_at` (ms; 0 never), writing
 * `entitlement.override_set` in the same transaction.
 * @param value_json the value as JSON, checked as a plan's value is
 *                   (`true`, `50`, `"unlimited"`, any JSON for config).
 * @param reason     a note for the audit log (may be NULL; at most 200 bytes).
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `"value"`, `"expires_at"`,
 *         `"reason"`); `SAAS_ENOTFOUND` (no catalogue, unknown feature);
 *         `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_entitlement_override_set(saas_ctx *ctx, const saas_scope *scope,
                                               const char *feature, const char *value_json,
                                               int64_t expires_at, const char *reason);

/**
 * Remove a feature's override, writing `entitlement.override_removed`.
 * @return `SAAS_OK`; `SAAS_ENOTFOUND` (field `"feature"`) when there is
 *         none; other errors as saas_entitlement_override_set().
 */
SAAS_EXTERN(int) saas_entitlement_override_remove(saas_ctx *ctx, const saas_scope *scope,
                                                  const char *feature);

/* ---- usage ----------------------------------------------------------------------- */

/**
 * Record `quantity` of a metered feature, in the period containing
 * `occurred_at` (ms; 0 now), once per `idempotency_key`: a second call with
 * the same key and the same feature and quantity changes nothing and
 * answers as the first did; with another feature or quantity it is
 * `SAAS_ECONFLICT`. Over a hard limit nothing is recorded and the answer
 * is `SAAS_ELIMIT`, the message saying used and allowed (and
 * `entitlement.limit_refused` is audited); over a soft one it is recorded
 * and over_limit set.
 *
 * @param out receives the feature's entitlement after recording (may be
 *            NULL); set for `SAAS_OK` and `SAAS_ELIMIT`.
 * @param quantity 1 or more.
 * @param idempotency_key 1 to 200 printable characters.
 * @return `SAAS_OK`; `SAAS_ELIMIT`; `SAAS_ECONFLICT`; `SAAS_EINVAL` (field
 *         `"feature"` for a feature that is not metered, `"quantity"`,
 *         `"idempotency_key"`, `"occurred_at"`); `SAAS_ENOTFOUND`;
 *         `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_usage_record(saas_entitlement **out, saas_ctx *ctx,
                                   const saas_scope *scope, const char *feature,
                                   int64_t quantity, const char *idempotency_key,
                                   int64_t occurred_at);

/* ---- Stripe ------------------------------------------------------------------------ */

/** What saas_billing_stripe_apply() did with an event. */
typedef enum saas_billing_outcome {
	SAAS_BILLING_APPLIED = 0,   /**< the subscription changed (or was confirmed) */
	SAAS_BILLING_DUPLICATE = 1, /**< the event was applied before: nothing changed */
	SAAS_BILLING_STALE = 2,     /**< older than what was applied, or would leave a terminal state: ignored (and recorded) */
	SAAS_BILLING_IGNORED = 3    /**< a type that does not change a subscription, or not applicable in the state: recorded, logged */
} saas_billing_outcome;

/** The outcome's name (`"duplicate"`), or `"unknown"`. */
SAAS_EXTERN(const char *) saas_billing_outcome_name(int outcome);

/** How to reach Stripe's API (reconciliation; optional for events). */
typedef struct saas_stripe_options {
	unsigned version;      /**< SAAS_STRIPE_OPTIONS_VERSION */
	const char *api_key;   /**< a secret key (`sk_...`); NULL: never call the API */
	const char *api_base;  /**< default `https://api.stripe.com` (tests point it at a fake) */
	long timeout_ms;       /**< per request; 0: 10 s */
} saas_stripe_options;

/** The version of saas_stripe_options this header describes. */
#define SAAS_STRIPE_OPTIONS_VERSION 1
/** Defaults: no key, Stripe's API, 10 s. */
#define SAAS_STRIPE_OPTIONS_INIT {SAAS_STRIPE_OPTIONS_VERSION, NULL, NULL, 0}

/**
 * Fill `opts` with the defaults.
 * @return `SAAS_OK`; `SAAS_EINVAL` for NULL or an unknown version.
 */
SAAS_EXTERN(int) saas_stripe_options_init(saas_stripe_options *opts, unsigned version);

/**
 * Apply a Stripe event (the raw body of a delivery whose signature the
 * caller has verified) to the tenant it belongs to: `metadata.tenant_id`
 * of the object (or a checkout session's `client_reference_id`), else the
 * customer's tenant as linked before (saas_billing_customer_link(), or by
 * an earlier event naming both).
 *
 * `customer.subscription.*` events carry a snapshot: the subscription
 * jumps to the state Stripe reports (mapping in docs/billing.md) unless
 * the snapshot is older than the last one applied or would leave a
 * terminal state (`SAAS_BILLING_STALE`). `invoice.paid`,
 * `invoice.payment_failed` and `invoice.payment_action_required` apply
 * payment events through the table, or, with `opts->api_key`, fetch the
 * subscription and apply it as a snapshot; so does
 * `checkout.session.completed`. Other types are `SAAS_BILLING_IGNORED`
 * and logged. Every event is recorded by id in the transaction of its
 * change: a second delivery is `SAAS_BILLING_DUPLICATE`.
 *
 * @param out_outcome receives a `saas_billing_outcome` (may be NULL).
 * @param scope a system scope (no tenant): who applies it, for the audit log.
 * @param opts  may be NULL (no API calls).
 * @return `SAAS_OK` for every outcome; `SAAS_EINVAL` for malformed JSON
 *         (field `"body"`) or a malformed object (field as a path; nothing
 *         changes); `SAAS_ENOTFOUND` (field `"tenant_id"`) when the event's
 *         tenant cannot be found (answer non-2xx so that Stripe retries);
 *         `SAAS_ECONFLICT` when the customer belongs to another tenant;
 *         errors of the API call (with `api_key`); `SAAS_ESTORE`;
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_billing_stripe_apply(int *out_outcome, saas_ctx *ctx,
                                           const saas_scope *scope, const char *body,
                                           size_t len, const saas_stripe_options *opts);

/**
 * Fetch the scope's tenant's subscription from Stripe's API and apply it
 * as a snapshot taken now: for missed events or after an outage.
 * @param out_outcome receives a `saas_billing_outcome` (may be NULL).
 * @return `SAAS_OK`; `SAAS_ENOTFOUND` (field `"subscription"`) when the
 *         tenant has no Stripe subscription, or Stripe does not know it;
 *         `SAAS_EINVAL` (no `api_key`, bad options); `SAAS_EDENIED` (key
 *         refused); `SAAS_ESTORE` (Stripe unreachable, or the store);
 *         `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_billing_stripe_reconcile(int *out_outcome, saas_ctx *ctx,
                                               const saas_scope *scope,
                                               const saas_stripe_options *opts);

/**
 * Link a provider's customer to the scope's tenant, so that events naming
 * only the customer find it.
 * @param provider "stripe".
 * @return `SAAS_OK` (also when already linked); `SAAS_ECONFLICT` when the
 *         customer is linked to another tenant; `SAAS_EINVAL`;
 *         `SAAS_ENOTFOUND`; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_billing_customer_link(saas_ctx *ctx, const saas_scope *scope,
                                            const char *provider, const char *customer_id);

SAAS_END_DECL

#endif
