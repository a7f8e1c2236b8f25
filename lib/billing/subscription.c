/* A tenant's subscription in the store: the transition table applied to
 * the stored row with its audit event in the same transaction, plan
 * changes, the clock's events, and the handle's getters. */
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "saas/tenant.h"
#include "../audit/audit.h"

#define DAY_MS 86400000LL

int saas__billing_tx(saas_tx **out, saas_ctx *ctx, const saas_scope *scope)
{
	struct saas_tenant *t = NULL;
	saas_tx *tx;
	int rc;

	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		return rc;
	if ((rc = saas__tx_begin(&tx, ctx, scope->tenant_id, true)))
		return rc;
	rc = saas__st_tenant_get_for_update(&t, tx, scope->tenant_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "tenant_id", "no tenant with id '%s'", scope->tenant_id);
	else if (!rc && t->status == SAAS_TENANT_PENDING_DELETION)
		rc = saas__err(SAAS_EDELETED, "tenant_id",
		               "tenant '%s' is pending deletion: billing is closed", t->id);
	saas__tenant_row_free(t);
	if (rc) {
		saas__tx_rollback(tx);
		return rc;
	}
	*out = tx;
	return SAAS_OK;
}

static json_t *flag_names(unsigned flags)
{
	json_t *a = json_array();

	if (a && (flags & SAAS_SUB_F_CANCEL_PENDING))
		json_array_append_new(a, json_string("cancel_pending"));
	if (a && (flags & SAAS_SUB_F_CHANGE_PENDING))
		json_array_append_new(a, json_string("change_pending"));
	if (a && (flags & SAAS_SUB_F_PAYMENT_METHOD))
		json_array_append_new(a, json_string("payment_method"));
	return a;
}

int saas__billing_set_str(char **dst, const char *src)
{
	char *c = NULL;

	if (src && !(c = saas__strdup(src)))
		return saas__enomem();
	free(*dst);
	*dst = c;
	return SAAS_OK;
}

/* The period of a billing cycle anchored at `anchor` that contains `at`. */
static int cycle(struct saas_subscription *s, int64_t at)
{
	return saas__period_bounds(&s->period_start, &s->period_end, SAAS__PERIOD_BILLING_CYCLE,
	                           s->anchor_at, at);
}

/* The plan `id` in the newest catalogue: SAAS_ENOTFOUND naming it. */
static int plan_in(const struct saas__catalog **cat, ptrdiff_t *idx, saas_tx *tx, const char *id)
{
	int rc;

	if (!id)
		return saas__err(SAAS_EINVAL, "plan", "the event needs a plan");
	if ((rc = saas__catalog_at(cat, tx, 0)))
		return rc;
	if ((*idx = saas__catalog_plan(*cat, id)) < 0)
		return saas__err(SAAS_ENOTFOUND, "plan", "no plan '%s' in catalogue version %lld",
		                 saas__q(id), (long long)(*cat)->version);
	return SAAS_OK;
}

static bool creates(int event)
{
	return event == SAAS_SUB_EV_TRIAL_STARTED || event == SAAS_SUB_EV_CREATED ||
	       event == SAAS_SUB_EV_PAYMENT_SUCCEEDED;
}

/* A fresh row for a new subscription of the transaction's tenant. */
static int sub_new(struct saas_subscription **out, saas_tx *tx)
{
	struct saas_subscription *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return saas__enomem();
	rc = saas_id_new(&s->id, saas__tx_ctx(tx), "sub");
	if (!rc && !(s->tenant_id = saas__strdup(saas__tx_tenant(tx))))
		rc = saas__enomem();
	if (rc) {
		saas__sub_row_free(s);
		return rc;
	}
	*out = s;
	return SAAS_OK;
}

int saas__sub_apply_tx(struct saas_subscription **sp, saas_tx *tx, const saas_scope *scope,
                       int event, const struct saas__sub_args *a)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	int64_t now = saas__now(ctx);
	struct saas_subscription *s = *sp, *fresh = NULL;
	const struct saas__catalog *cat = NULL;
	ptrdiff_t plan = -1;
	unsigned flags, nflags;
	int from, to, rc;
	json_t *meta;

	from = s ? s->state : SAAS_SUB_NONE;
	if (s && saas_sub_state_terminal(from) && creates(event))
		from = SAAS_SUB_NONE; /* a new subscription after an ended one */
	flags = from == SAAS_SUB_NONE ? 0 : s->flags;
	if (a->payment_method >= 0)
		flags = a->payment_method ? flags | SAAS_SUB_F_PAYMENT_METHOD
		                          : flags & ~(unsigned)SAAS_SUB_F_PAYMENT_METHOD;
	if ((rc = saas_sub_transition(&to, &nflags, from, flags, event)))
		return rc;
	if (from == SAAS_SUB_NONE || event == SAAS_SUB_EV_PLAN_CHANGE_NOW ||
	    event == SAAS_SUB_EV_PLAN_CHANGE_AT_PERIOD_END)
		if ((rc = plan_in(&cat, &plan, tx, a->plan)))
			return rc;
	if (from == SAAS_SUB_NONE) {
		int64_t days = a->trial_days >= 0 ? a->trial_days : cat->plans[plan].trial_days;

		if (event == SAAS_SUB_EV_TRIAL_STARTED && days <= 0)
			return saas__err(SAAS_EINVAL, "trial_days",
			                 "plan '%s' has no trial: give trial_days", a->plan);
		if ((rc = sub_new(&fresh, tx)))
			return rc;
		s = fresh;
		s->created_at = now;
		s->anchor_at = now;
		if (event == SAAS_SUB_EV_TRIAL_STARTED) {
			s->trial_end = now + days * DAY_MS;
			s->anchor_at = s->trial_end;
			s->period_start = now;
			s->period_end = s->trial_end;
		} else if ((rc = cycle(s, now))) {
			goto out;
		}
	}
	if (cat && event != SAAS_SUB_EV_PLAN_CHANGE_AT_PERIOD_END) {
		if ((rc = saas__billing_set_str(&s->plan_id, a->plan)) || (rc = saas__billing_set_str(&s->pending_plan_id, NULL)))
			goto out;
		s->catalog_version = cat->version;
	}
	if (event == SAAS_SUB_EV_PLAN_CHANGE_AT_PERIOD_END &&
	    (rc = saas__billing_set_str(&s->pending_plan_id, a->plan)))
		goto out;
	/* a scheduled change applies when the trial or the period ends, and is
	 * dropped by anything else that clears it */
	if ((flags & SAAS_SUB_F_CHANGE_PENDING) && !(nflags & SAAS_SUB_F_CHANGE_PENDING) &&
	    s->pending_plan_id && event != SAAS_SUB_EV_PLAN_CHANGE_NOW) {
		if (!saas_sub_state_terminal(to) &&
		    (event == SAAS_SUB_EV_PERIOD_RENEWED || event == SAAS_SUB_EV_TRIAL_ENDED)) {
			if ((rc = plan_in(&cat, &plan, tx, s->pending_plan_id)))
				goto out;
			free(s->plan_id);
			s->plan_id = s->pending_plan_id;
			s->pending_plan_id = NULL;
			s->catalog_version = cat->version;
		} else if ((rc = saas__billing_set_str(&s->pending_plan_id, NULL))) {
			goto out;
		}
	}
	/* dates */
	if (event == SAAS_SUB_EV_PERIOD_RENEWED && !saas_sub_state_terminal(to)) {
		if ((rc = cycle(s, s->period_end)))
			goto out;
	} else if (from == SAAS_SUB_TRIALING && to == SAAS_SUB_ACTIVE) {
		/* the trial ended, or was paid for early: periods run from here */
		if (event == SAAS_SUB_EV_PAYMENT_SUCCEEDED)
			s->trial_end = now;
		s->anchor_at = s->trial_end && s->trial_end < now ? s->trial_end : now;
		if ((rc = cycle(s, now)))
			goto out;
	} else if (from == SAAS_SUB_PAUSED && to == SAAS_SUB_ACTIVE) {
		s->anchor_at = now;
		if ((rc = cycle(s, now)))
			goto out;
	}
	if (to == SAAS_SUB_PAST_DUE && from != SAAS_SUB_PAST_DUE)
		s->past_due_since = now;
	else if (to != SAAS_SUB_PAST_DUE)
		s->past_due_since = 0;
	if (event == SAAS_SUB_EV_CANCEL_AT_PERIOD_END || event == SAAS_SUB_EV_CANCEL_NOW)
		s->canceled_at = now;
	else if (event == SAAS_SUB_EV_UNCANCEL)
		s->canceled_at = 0;
	if (saas_sub_state_terminal(to) && !s->ended_at)
		s->ended_at = now;
	s->state = to;
	s->flags = nflags;
	s->updated_at = now;
	if (a->provider && ((rc = saas__billing_set_str(&s->provider, a->provider)) ||
	                    (a->provider_id && (rc = saas__billing_set_str(&s->provider_id, a->provider_id)))))
		goto out;
	if ((rc = saas__st_sub_put(tx, s)))
		goto out;
	meta = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "subscription", s->id, "event",
	                 saas_sub_event_name(event), "from", saas_sub_state_name(from), "to",
	                 saas_sub_state_name(to), "plan", saas__json_str_or_null(s->plan_id),
	                 "flags", flag_names(nflags));
	if (meta && s->pending_plan_id)
		json_object_set_new(meta, "pending_plan", json_string(s->pending_plan_id));
	if (meta && a->provider_event)
		json_object_set_new(meta, "provider_event", json_string(a->provider_event));
	if (!meta) {
		rc = saas__enomem();
		goto out;
	}
	{
		char action[64];

		snprintf(action, sizeof action, "subscription.%s", saas_sub_event_name(event));
		rc = saas__audit_append(tx, scope, action, "subscription", s->id, meta);
	}
out:
	if (fresh) {
		if (rc) {
			saas__sub_row_free(fresh);
		} else {
			saas__sub_row_free(*sp);
			*sp = fresh;
		}
	}
	return rc;
}

/* The access `s` grants now, by its catalogue's grace. */
int saas__sub_finish_read(struct saas_subscription *s, saas_tx *tx)
{
	const struct saas__catalog *cat = NULL;
	int rc = saas__catalog_at(&cat, tx, s->catalog_version);

	if (rc)
		return rc;
	s->grace_ms = cat->past_due_grace_ms;
	s->access = saas_sub_access(s->state, s->past_due_since, s->grace_ms,
	                            saas__now(saas__tx_ctx(tx)));
	return SAAS_OK;
}

int saas_sub_options_init(saas_sub_options *opts, unsigned version)
{
	static const saas_sub_options init = SAAS_SUB_OPTIONS_INIT;

	if (!opts)
		return saas__err(SAAS_EINVAL, "opts", "opts is NULL");
	if (version != SAAS_SUB_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version", "unknown saas_sub_options version %u", version);
	*opts = init;
	return SAAS_OK;
}

static int check_options(const saas_sub_options *o)
{
	if (o->version != SAAS_SUB_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version", "unknown saas_sub_options version %u",
		                 o->version);
	if (o->payment_method < -1 || o->payment_method > 1)
		return saas__err(SAAS_EINVAL, "payment_method",
		                 "payment_method must be -1, 0 or 1, not %d", o->payment_method);
	if (o->trial_days != -1 && (o->trial_days < 1 || o->trial_days > 730))
		return saas__err(SAAS_EINVAL, "trial_days",
		                 "trial_days must be -1 or 1 to 730, not %lld", (long long)o->trial_days);
	return SAAS_OK;
}

/* Run `event` (or, with event 0, the clock's due events) in one billing
 * transaction; *out gets the row after. */
static int run(saas_subscription **out, int *applied, saas_ctx *ctx, const saas_scope *scope,
               int event, const saas_sub_options *opts, const char *op)
{
	static const saas_sub_options defaults = SAAS_SUB_OPTIONS_INIT;
	struct saas_subscription *s = NULL;
	int64_t t0 = saas__mono_ns();
	saas_tx *tx = NULL;
	int n = 0, rc;

	if (out)
		*out = NULL;
	if (applied)
		*applied = 0;
	if (!opts)
		opts = &defaults;
	rc = check_options(opts);
	if (!rc && event && (event < 1 || event > SAAS_SUB_EVENT_MAX))
		rc = saas__err(SAAS_EINVAL, "event", "unknown subscription event %d", event);
	if (!rc)
		rc = saas__billing_tx(&tx, ctx, scope);
	if (rc)
		goto done;
	rc = saas__st_sub_get(&s, tx);
	if (rc == SAAS_ENOTFOUND)
		rc = SAAS_OK;
	if (!rc && event) {
		struct saas__sub_args a = {opts->plan, opts->payment_method, opts->trial_days,
		                           NULL, NULL, NULL};
		rc = saas__sub_apply_tx(&s, tx, scope, event, &a);
	} else if (!rc && s && !s->provider) {
		struct saas__sub_args a = {NULL, -1, -1, NULL, NULL, NULL};
		int64_t now = saas__now(ctx);

		/* catching up: at most ten years of months in one call */
		while (!rc && n < 120) {
			int due = 0;
			if (s->state == SAAS_SUB_TRIALING && s->trial_end && now >= s->trial_end)
				due = SAAS_SUB_EV_TRIAL_ENDED;
			else if (!saas_sub_state_terminal(s->state) && s->state != SAAS_SUB_TRIALING &&
			         s->state != SAAS_SUB_INCOMPLETE && s->state != SAAS_SUB_PAUSED &&
			         now >= s->period_end)
				due = SAAS_SUB_EV_PERIOD_RENEWED;
			if (!due)
				break;
			rc = saas__sub_apply_tx(&s, tx, scope, due, &a);
			n += !rc;
		}
	}
	if (!rc && s && out)
		rc = saas__sub_finish_read(s, tx);
	rc = saas__tx_finish(tx, rc);
	if (!rc && (event || n))
		saas__billing_changed(ctx, scope->tenant_id);
	if (!rc && applied)
		*applied = n;
	if (!rc && out && s) {
		*out = s;
		s = NULL;
	}
done:
	saas__sub_row_free(s);
	saas__op_done(ctx, op, t0, rc);
	return rc;
}

int saas_subscription_event(saas_subscription **out, saas_ctx *ctx, const saas_scope *scope,
                            int event, const saas_sub_options *opts)
{
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (event < 1 || event > SAAS_SUB_EVENT_MAX)
		return saas__err(SAAS_EINVAL, "event", "unknown subscription event %d", event);
	return run(out, NULL, ctx, scope, event, opts, "billing.subscription_event");
}

int saas_subscription_tick(int *out_applied, saas_ctx *ctx, const saas_scope *scope)
{
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	return run(NULL, out_applied, ctx, scope, 0, NULL, "billing.subscription_tick");
}

int saas_subscription_change_plan(saas_subscription **out, saas_ctx *ctx,
                                  const saas_scope *scope, const char *plan, int when)
{
	saas_sub_options o = SAAS_SUB_OPTIONS_INIT;
	int event = SAAS_SUB_EV_PLAN_CHANGE_NOW;

	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (when < SAAS_PLAN_CHANGE_AUTO || when > SAAS_PLAN_CHANGE_AT_PERIOD_END)
		return saas__err(SAAS_EINVAL, "when", "unknown plan change timing %d", when);
	if (!plan)
		return saas__err(SAAS_EINVAL, "plan", "plan is NULL");
	if (when == SAAS_PLAN_CHANGE_AT_PERIOD_END) {
		event = SAAS_SUB_EV_PLAN_CHANGE_AT_PERIOD_END;
	} else if (when == SAAS_PLAN_CHANGE_AUTO) {
		/* decided by rank, never by price (a yearly plan is not a downgrade) */
		struct saas__ent_view *v = NULL;
		int rc = saas__view_get(&v, ctx, scope, saas__now(ctx));
		ptrdiff_t to;

		if (rc)
			return rc;
		to = saas__catalog_plan(v->cat, plan);
		if (v->sub && v->sub->state != SAAS_SUB_TRIALING && v->source == SAAS__SRC_SUBSCRIPTION &&
		    v->plan >= 0 && to >= 0 && v->cat->plans[to].rank < v->cat->plans[v->plan].rank)
			event = SAAS_SUB_EV_PLAN_CHANGE_AT_PERIOD_END;
		saas__view_release(v);
	}
	o.plan = plan;
	return run(out, NULL, ctx, scope, event, &o, "billing.change_plan");
}

int saas_subscription_get(saas_subscription **out, saas_ctx *ctx, const saas_scope *scope)
{
	struct saas_subscription *s = NULL;
	saas_tx *tx;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	if ((rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ)))
		return rc;
	rc = saas__st_sub_get(&s, tx);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "subscription", "tenant '%s' has no subscription",
		               scope->tenant_id);
	if (!rc)
		rc = saas__sub_finish_read(s, tx);
	saas__tx_rollback(tx);
	if (rc)
		saas__sub_row_free(s);
	else
		*out = s;
	return rc;
}

void saas_subscription_free(saas_subscription *s)
{
	saas__sub_row_free(s);
}

const char *saas_subscription_id(const saas_subscription *s) { return s ? s->id : NULL; }
int saas_subscription_state(const saas_subscription *s) { return s ? s->state : SAAS_SUB_NONE; }
unsigned saas_subscription_flags(const saas_subscription *s) { return s ? s->flags : 0; }
const char *saas_subscription_plan(const saas_subscription *s) { return s ? s->plan_id : NULL; }
const char *saas_subscription_pending_plan(const saas_subscription *s)
{
	return s ? s->pending_plan_id : NULL;
}
int64_t saas_subscription_catalog_version(const saas_subscription *s)
{
	return s ? s->catalog_version : 0;
}
int64_t saas_subscription_period_start(const saas_subscription *s)
{
	return s ? s->period_start : 0;
}
int64_t saas_subscription_period_end(const saas_subscription *s) { return s ? s->period_end : 0; }
int64_t saas_subscription_trial_end(const saas_subscription *s) { return s ? s->trial_end : 0; }
int64_t saas_subscription_past_due_since(const saas_subscription *s)
{
	return s ? s->past_due_since : 0;
}
int64_t saas_subscription_ended_at(const saas_subscription *s) { return s ? s->ended_at : 0; }
int saas_subscription_access(const saas_subscription *s)
{
	return s ? s->access : SAAS_ACCESS_NONE;
}
const char *saas_subscription_provider_id(const saas_subscription *s)
{
	return s ? s->provider_id : NULL;
}
const char *saas_subscription_provider_status(const saas_subscription *s)
{
	return s ? s->provider_status : NULL;
}

int saas_subscription_to_json(char **out, const saas_subscription *s)
{
	json_t *o;

	if (out)
		*out = NULL;
	if (!out || !s)
		return saas__err(SAAS_EINVAL, out ? "subscription" : "out", "%s is NULL",
		                 out ? "subscription" : "out");
	o = json_pack("{s:s,s:s,s:s,s:o,s:s,s:o,s:I,s:{s:o,s:o},s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	              "id", s->id, "state", saas_sub_state_name(s->state), "access",
	              saas_access_name(s->access), "flags", flag_names(s->flags), "plan", s->plan_id,
	              "pending_plan", saas__json_str_or_null(s->pending_plan_id), "catalog_version",
	              (json_int_t)s->catalog_version, "period", "start",
	              saas__json_time(s->period_start), "end", saas__json_time(s->period_end),
	              "trial_end", saas__json_time(s->trial_end), "past_due_since",
	              saas__json_time(s->past_due_since), "canceled_at",
	              saas__json_time(s->canceled_at), "ended_at", saas__json_time(s->ended_at),
	              "provider", saas__json_str_or_null(s->provider), "provider_id",
	              saas__json_str_or_null(s->provider_id), "provider_status",
	              saas__json_str_or_null(s->provider_status));
	*out = saas__json_take_dump(o);
	return *out ? SAAS_OK : saas__enomem();
}
