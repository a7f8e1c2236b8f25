/* The subscription state machine (saas/billing.h, docs/billing.md): the one
 * transition table, the access a state grants, and the table printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saas/billing.h"
#include "../core/core.h"

#define CANCEL SAAS_SUB_F_CANCEL_PENDING
#define CHANGE SAAS_SUB_F_CHANGE_PENDING
#define PM SAAS_SUB_F_PAYMENT_METHOD

/* A row: in state `from`, event `event` applies when every flag of `need`
 * is set and none of `refuse`; the subscription goes to `to`, with the
 * flags of `set` set and those of `clear` cleared. Rows are tried in
 * order; the first that applies decides. */
struct row {
	int from, event;
	unsigned need, refuse;
	int to;
	unsigned set, clear;
};

enum {
	NONE = SAAS_SUB_NONE,
	INCOMPLETE = SAAS_SUB_INCOMPLETE,
	EXPIRED = SAAS_SUB_INCOMPLETE_EXPIRED,
	TRIALING = SAAS_SUB_TRIALING,
	ACTIVE = SAAS_SUB_ACTIVE,
	PAST_DUE = SAAS_SUB_PAST_DUE,
	UNPAID = SAAS_SUB_UNPAID,
	PAUSED = SAAS_SUB_PAUSED,
	CANCELED = SAAS_SUB_CANCELED,
};

enum {
	TRIAL_STARTED = SAAS_SUB_EV_TRIAL_STARTED,
	CREATED = SAAS_SUB_EV_CREATED,
	PAID = SAAS_SUB_EV_PAYMENT_SUCCEEDED,
	FAILED = SAAS_SUB_EV_PAYMENT_FAILED,
	EXHAUSTED = SAAS_SUB_EV_RETRIES_EXHAUSTED,
	INCOMPLETE_EXPIRED = SAAS_SUB_EV_INCOMPLETE_EXPIRED,
	TRIAL_ENDED = SAAS_SUB_EV_TRIAL_ENDED,
	CANCEL_NOW = SAAS_SUB_EV_CANCEL_NOW,
	CANCEL_AT_END = SAAS_SUB_EV_CANCEL_AT_PERIOD_END,
	UNCANCEL = SAAS_SUB_EV_UNCANCEL,
	PAUSE = SAAS_SUB_EV_PAUSE,
	RESUME = SAAS_SUB_EV_RESUME,
	CHANGE_NOW = SAAS_SUB_EV_PLAN_CHANGE_NOW,
	CHANGE_AT_END = SAAS_SUB_EV_PLAN_CHANGE_AT_PERIOD_END,
	RENEWED = SAAS_SUB_EV_PERIOD_RENEWED,
};

/* The table. Ending (cancel now, a period or trial end with a
 * cancellation scheduled) clears every pending flag; a terminal state has
 * no rows. */
static const struct row table[] = {
	/* creation */
	{NONE, TRIAL_STARTED, 0, 0, TRIALING, 0, 0},
	{NONE, CREATED, 0, 0, INCOMPLETE, 0, 0},
	{NONE, PAID, 0, 0, ACTIVE, 0, 0},
	/* the first payment */
	{INCOMPLETE, PAID, 0, 0, ACTIVE, 0, 0},
	{INCOMPLETE, FAILED, 0, 0, INCOMPLETE, 0, 0},
	{INCOMPLETE, INCOMPLETE_EXPIRED, 0, 0, EXPIRED, 0, CANCEL | CHANGE},
	{INCOMPLETE, CANCEL_NOW, 0, 0, EXPIRED, 0, CANCEL | CHANGE},
	/* the trial */
	{TRIALING, TRIAL_ENDED, CANCEL, 0, CANCELED, 0, CANCEL | CHANGE},
	{TRIALING, TRIAL_ENDED, PM, CANCEL, ACTIVE, 0, CHANGE},
	{TRIALING, TRIAL_ENDED, 0, CANCEL | PM, PAUSED, 0, CHANGE},
	{TRIALING, PAID, 0, 0, ACTIVE, 0, 0},
	{TRIALING, FAILED, 0, 0, PAST_DUE, 0, 0},
	{TRIALING, CANCEL_NOW, 0, 0, CANCELED, 0, CANCEL | CHANGE},
	{TRIALING, CANCEL_AT_END, 0, CANCEL, TRIALING, CANCEL, CHANGE},
	{TRIALING, UNCANCEL, CANCEL, 0, TRIALING, 0, CANCEL},
	{TRIALING, PAUSE, 0, 0, PAUSED, 0, CANCEL | CHANGE},
	{TRIALING, CHANGE_NOW, 0, CANCEL, TRIALING, 0, CHANGE},
	{TRIALING, CHANGE_AT_END, 0, CANCEL, TRIALING, CHANGE, 0},
	/* active */
	{ACTIVE, PAID, 0, 0, ACTIVE, 0, 0},
	{ACTIVE, FAILED, 0, 0, PAST_DUE, 0, 0},
	{ACTIVE, RENEWED, CANCEL, 0, CANCELED, 0, CANCEL | CHANGE},
	{ACTIVE, RENEWED, 0, CANCEL, ACTIVE, 0, CHANGE},
	{ACTIVE, CANCEL_NOW, 0, 0, CANCELED, 0, CANCEL | CHANGE},
	{ACTIVE, CANCEL_AT_END, 0, CANCEL, ACTIVE, CANCEL, CHANGE},
	{ACTIVE, UNCANCEL, CANCEL, 0, ACTIVE, 0, CANCEL},
	{ACTIVE, PAUSE, 0, 0, PAUSED, 0, CANCEL | CHANGE},
	{ACTIVE, CHANGE_NOW, 0, CANCEL, ACTIVE, 0, CHANGE},
	{ACTIVE, CHANGE_AT_END, 0, CANCEL, ACTIVE, CHANGE, 0},
	/* past due: retries run */
	{PAST_DUE, PAID, 0, 0, ACTIVE, 0, 0},
	{PAST_DUE, FAILED, 0, 0, PAST_DUE, 0, 0},
	{PAST_DUE, EXHAUSTED, 0, 0, UNPAID, 0, 0},
	{PAST_DUE, RENEWED, CANCEL, 0, CANCELED, 0, CANCEL | CHANGE},
	{PAST_DUE, RENEWED, 0, CANCEL, PAST_DUE, 0, CHANGE},
	{PAST_DUE, CANCEL_NOW, 0, 0, CANCELED, 0, CANCEL | CHANGE},
	{PAST_DUE, CANCEL_AT_END, 0, CANCEL, PAST_DUE, CANCEL, CHANGE},
	{PAST_DUE, UNCANCEL, CANCEL, 0, PAST_DUE, 0, CANCEL},
	{PAST_DUE, PAUSE, 0, 0, PAUSED, 0, CANCEL | CHANGE},
	/* unpaid: open, not collected */
	{UNPAID, PAID, 0, 0, ACTIVE, 0, 0},
	{UNPAID, FAILED, 0, 0, UNPAID, 0, 0},
	{UNPAID, RENEWED, CANCEL, 0, CANCELED, 0, CANCEL | CHANGE},
	{UNPAID, RENEWED, 0, CANCEL, UNPAID, 0, CHANGE},
	{UNPAID, CANCEL_NOW, 0, 0, CANCELED, 0, CANCEL | CHANGE},
	{UNPAID, CANCEL_AT_END, 0, CANCEL, UNPAID, CANCEL, CHANGE},
	{UNPAID, UNCANCEL, CANCEL, 0, UNPAID, 0, CANCEL},
	/* paused */
	{PAUSED, RESUME, PM, 0, ACTIVE, 0, 0},
	{PAUSED, CANCEL_NOW, 0, 0, CANCELED, 0, CANCEL | CHANGE},
};

#define NROWS (sizeof table / sizeof table[0])

static const char *const state_names[] = {
	[NONE] = "none",         [INCOMPLETE] = "incomplete", [EXPIRED] = "incomplete_expired",
	[TRIALING] = "trialing", [ACTIVE] = "active",         [PAST_DUE] = "past_due",
	[UNPAID] = "unpaid",     [PAUSED] = "paused",         [CANCELED] = "canceled",
};

static const char *const event_names[] = {
	[0] = NULL,
	[TRIAL_STARTED] = "trial_started",
	[CREATED] = "created",
	[PAID] = "payment_succeeded",
	[FAILED] = "payment_failed",
	[EXHAUSTED] = "retries_exhausted",
	[INCOMPLETE_EXPIRED] = "incomplete_expired",
	[TRIAL_ENDED] = "trial_ended",
	[CANCEL_NOW] = "cancel_now",
	[CANCEL_AT_END] = "cancel_at_period_end",
	[UNCANCEL] = "uncancel",
	[PAUSE] = "pause",
	[RESUME] = "resume",
	[CHANGE_NOW] = "plan_change_now",
	[CHANGE_AT_END] = "plan_change_at_period_end",
	[RENEWED] = "period_renewed",
};

static const char *const flag_text[] = {"a cancellation is scheduled",
                                        "a plan change is scheduled",
                                        "the customer has a payment method"};
static const char *const flag_names[] = {"cancel_pending", "change_pending", "payment_method"};

const char *saas_sub_state_name(int state)
{
	return state >= 0 && state <= SAAS_SUB_STATE_MAX ? state_names[state] : "unknown";
}

const char *saas_sub_event_name(int event)
{
	return event >= 1 && event <= SAAS_SUB_EVENT_MAX ? event_names[event] : "unknown";
}

const char *saas_access_name(int access)
{
	switch (access) {
	case SAAS_ACCESS_NONE:
		return "none";
	case SAAS_ACCESS_READ_ONLY:
		return "read_only";
	case SAAS_ACCESS_FULL:
		return "full";
	default:
		return "unknown";
	}
}

int saas_sub_state_from_name(const char *name)
{
	for (int s = 0; name && s <= SAAS_SUB_STATE_MAX; s++)
		if (strcmp(name, state_names[s]) == 0)
			return s;
	return saas__err(SAAS_EINVAL, "state", "'%s' is not a subscription state",
	                 saas__q(name ? name : "(null)"));
}

int saas_sub_event_from_name(const char *name)
{
	for (int e = 1; name && e <= SAAS_SUB_EVENT_MAX; e++)
		if (strcmp(name, event_names[e]) == 0)
			return e;
	return saas__err(SAAS_EINVAL, "event", "'%s' is not a subscription event",
	                 saas__q(name ? name : "(null)"));
}

int saas_sub_state_terminal(int state)
{
	return state == CANCELED || state == EXPIRED;
}

/* Why row `r` does not apply with `flags`: the first condition it misses. */
static const char *unmet(const struct row *r, unsigned flags)
{
	for (int b = 0; b < 3; b++) {
		unsigned bit = 1u << b;

		if ((r->need & bit) && !(flags & bit))
			return b == 0 ? "no cancellation is scheduled"
			              : b == 1 ? "no plan change is scheduled"
			                       : "a payment method is needed";
		if ((r->refuse & bit) && (flags & bit))
			return flag_text[b];
	}
	return "";
}

int saas_sub_transition(int *out_state, unsigned *out_flags, int state, unsigned flags,
                        int event)
{
	const struct row *near = NULL;

	if (out_state)
		*out_state = state;
	if (out_flags)
		*out_flags = flags;
	if (state < 0 || state > SAAS_SUB_STATE_MAX)
		return saas__err(SAAS_EINVAL, "state", "%d is not a subscription state", state);
	if (event < 1 || event > SAAS_SUB_EVENT_MAX)
		return saas__err(SAAS_EINVAL, "event", "%d is not a subscription event", event);
	if (flags & ~SAAS_SUB_F_ALL)
		return saas__err(SAAS_EINVAL, "flags", "flags 0x%x has bits no flag uses", flags);
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &table[i];

		if (r->from != state || r->event != event)
			continue;
		if ((flags & r->need) != r->need || (flags & r->refuse)) {
			if (!near)
				near = r;
			continue;
		}
		if (out_state)
			*out_state = r->to;
		if (out_flags)
			*out_flags = (flags | r->set) & ~r->clear;
		return SAAS_OK;
	}
	if (saas_sub_state_terminal(state))
		return saas__err(SAAS_ESTATE, "event",
		                 "event %s is not allowed in state %s: the subscription has ended",
		                 event_names[event], state_names[state]);
	if (near)
		return saas__err(SAAS_ESTATE, "event", "event %s is not allowed in state %s: %s",
		                 event_names[event], state_names[state], unmet(near, flags));
	return saas__err(SAAS_ESTATE, "event", "event %s is not allowed in state %s",
	                 event_names[event], state_names[state]);
}

int saas_sub_access(int state, int64_t past_due_since_ms, int64_t grace_ms, int64_t now_ms)
{
	if (state < 0 || state > SAAS_SUB_STATE_MAX)
		return saas__err(SAAS_EINVAL, "state", "%d is not a subscription state", state);
	if (grace_ms < 0)
		return saas__err(SAAS_EINVAL, "grace_ms", "grace_ms %lld is negative",
		                 (long long)grace_ms);
	switch (state) {
	case TRIALING:
	case ACTIVE:
		return SAAS_ACCESS_FULL;
	case PAST_DUE:
		return now_ms - past_due_since_ms < grace_ms ? SAAS_ACCESS_FULL : SAAS_ACCESS_READ_ONLY;
	case UNPAID:
	case PAUSED:
		return SAAS_ACCESS_READ_ONLY;
	default:
		return SAAS_ACCESS_NONE;
	}
}

/* ---- printing -------------------------------------------------------------------- */

/* The flags of `on` (named with `on_prefix`) and of `off` (`off_prefix`),
 * comma-separated: a row's condition ("cancel_pending, no payment_method")
 * or its changes ("+cancel_pending, -change_pending"). */
static void flag_list(FILE *f, unsigned on, const char *on_prefix, unsigned off,
                      const char *off_prefix)
{
	const char *sep = "";

	for (int i = 0; i < 3; i++) {
		unsigned bit = 1u << i;

		if (on & bit) {
			fprintf(f, "%s%s%s", sep, on_prefix, flag_names[i]);
			sep = ", ";
		}
		if (off & bit) {
			fprintf(f, "%s%s%s", sep, off_prefix, flag_names[i]);
			sep = ", ";
		}
	}
}

/* Print the table with `print` into a new string. */
static int print_table(char **out, void (*print)(FILE *f))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!(f = open_memstream(&text, &len)))
		return saas__enomem();
	print(f);
	if (ferror(f) | fclose(f)) {
		free(text);
		return saas__enomem();
	}
	*out = text;
	return SAAS_OK;
}

static void print_markdown(FILE *f)
{
	fputs("| from | event | when | to | flags |\n| --- | --- | --- | --- | --- |\n", f);
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &table[i];

		fprintf(f, "| %s | %s | ", state_names[r->from], event_names[r->event]);
		flag_list(f, r->need, "", r->refuse, "no ");
		fprintf(f, " | %s | ", state_names[r->to]);
		flag_list(f, r->set, "+", r->clear, "-");
		fputs(" |\n", f);
	}
}

static void print_dot(FILE *f)
{
	fputs("digraph subscription {\n  rankdir=LR;\n  node [shape=circle];\n", f);
	for (int s = 0; s <= SAAS_SUB_STATE_MAX; s++)
		fprintf(f, "  %s [shape=%s];\n", state_names[s],
		        saas_sub_state_terminal(s) ? "doublecircle" : s == NONE ? "point" : "circle");
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &table[i];

		fprintf(f, "  %s -> %s [label=\"%s", state_names[r->from], state_names[r->to],
		        event_names[r->event]);
		if (r->need | r->refuse) {
			fputs(" [", f);
			flag_list(f, r->need, "", r->refuse, "no ");
			fputc(']', f);
		}
		fputs("\"];\n", f);
	}
	fputs("}\n", f);
}

int saas_sub_table_markdown(char **out)
{
	return print_table(out, print_markdown);
}

int saas_sub_table_dot(char **out)
{
	return print_table(out, print_dot);
}
