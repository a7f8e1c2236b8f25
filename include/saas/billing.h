/**
 * @file saas/billing.h
 * @brief Billing: the subscription state machine and access levels (docs/billing.md).
 *
 * This first part is pure (no store, no context): a provider-neutral
 * subscription state machine as one explicit transition table, and the
 * access a state grants. Plans, entitlements, usage and the Stripe adapter
 * build on it.
 *
 * A subscription is a state and a few flags: a cancellation scheduled for
 * the end of the period, a plan change scheduled for the end of the period,
 * and whether the customer has a payment method. An event moves it along
 * the table (saas_sub_transition()); an event the table does not list for
 * the state (and flags) is refused with `SAAS_ESTATE` naming both, and
 * nothing changes. `canceled` and `incomplete_expired` are terminal: no
 * event leaves them.
 *
 * The table can be printed (saas_sub_table_markdown(), saas_sub_table_dot())
 * so that documentation and diagrams come from the code; docs/billing.md
 * holds the Markdown and a test checks that it matches.
 *
 * Thread safety: every function here may be called from any thread.
 */
#ifndef SAAS_BILLING_H
#define SAAS_BILLING_H

#include "saas/common.h"

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

SAAS_END_DECL

#endif
