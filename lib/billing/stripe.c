/* The Stripe adapter: verified events applied to the tenant they belong
 * to, idempotently (each event recorded in the transaction of its change)
 * and in order (a snapshot older than the last one applied is ignored;
 * terminal states stay terminal); reconciliation through Stripe's API. */
#include <stdlib.h>
#include <string.h>

#include "billing_internal.h"
#include "../audit/audit.h"

#define PROVIDER "stripe"

static const char *const outcome_names[] = {"applied", "duplicate", "stale", "ignored"};

const char *saas_billing_outcome_name(int outcome)
{
	return outcome >= 0 && outcome <= SAAS_BILLING_IGNORED ? outcome_names[outcome] : "unknown";
}

int saas_stripe_options_init(saas_stripe_options *opts, unsigned version)
{
	static const saas_stripe_options init = SAAS_STRIPE_OPTIONS_INIT;

	if (!opts)
		return saas__err(SAAS_EINVAL, "opts", "opts is NULL");
	if (version != SAAS_STRIPE_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version", "unknown saas_stripe_options version %u",
		                 version);
	*opts = init;
	return SAAS_OK;
}

static int check_opts(const saas_stripe_options *o)
{
	if (o && o->version != SAAS_STRIPE_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version", "unknown saas_stripe_options version %u",
		                 o->version);
	if (o && o->timeout_ms < 0)
		return saas__err(SAAS_EINVAL, "timeout_ms", "timeout_ms %ld is negative", o->timeout_ms);
	return SAAS_OK;
}

static int fetch(struct saas__stripe_sub *out, const saas_stripe_options *o, const char *id)
{
	return saas__stripe_fetch_subscription(out, o->api_base ? o->api_base
	                                                        : "https://api.stripe.com",
	                                       o->api_key, id, o->timeout_ms);
}

/* A tie between two snapshots of the same time: moving back to incomplete
 * is taken as the older one arriving late. */
static bool backwards(int from, int to)
{
	return to == SAAS_SUB_INCOMPLETE && from != SAAS_SUB_INCOMPLETE && from != SAAS_SUB_NONE;
}

static void log_outcome(saas_ctx *ctx, const char *event_id, const char *type, int outcome,
                        const char *why)
{
	saas__log(ctx, outcome == SAAS_BILLING_APPLIED ? SAAS_LOG_DEBUG : SAAS_LOG_INFO,
	          "stripe event not applied",
	          json_pack("{s:s?,s:s?,s:s,s:s}", "event", event_id, "type", type, "outcome",
	                    saas_billing_outcome_name(outcome), "why", why));
}

/* Jump the tenant's subscription to the snapshot `snap` taken at `ts`.
 * `fetched`: the snapshot comes from Stripe's API just now, so it is newer
 * than anything applied before, whatever the clocks say. */
static int snapshot_tx(int *outcome, const char **why, saas_tx *tx, const saas_scope *scope,
                       const struct saas__stripe_sub *snap, int64_t ts, bool fetched,
                       const char *event_id)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	struct saas_subscription *s = NULL, *fresh = NULL;
	const struct saas__catalog *cat = NULL;
	int64_t now = saas__now(ctx);
	ptrdiff_t plan = -1;
	int from, to = snap->state, rc;
	unsigned flags;
	json_t *meta;

	*outcome = SAAS_BILLING_APPLIED;
	rc = saas__st_sub_get(&s, tx);
	if (rc == SAAS_ENOTFOUND)
		rc = SAAS_OK;
	if (rc)
		return rc;
	from = s ? s->state : SAAS_SUB_NONE;
	if (fetched && s && ts <= s->provider_ts)
		ts = s->provider_ts + 1;
	if (s && s->provider_id && strcmp(s->provider_id, snap->id) != 0 &&
	    !saas_sub_state_terminal(from)) {
		*outcome = SAAS_BILLING_IGNORED;
		*why = "the tenant has another live subscription";
		goto out;
	}
	if (s && s->provider_id && strcmp(s->provider_id, snap->id) == 0) {
		if (ts < s->provider_ts || (ts == s->provider_ts && backwards(from, to))) {
			*outcome = SAAS_BILLING_STALE;
			*why = "older than the snapshot applied";
			goto out;
		}
		if (saas_sub_state_terminal(from)) {
			*outcome = SAAS_BILLING_STALE;
			*why = "the subscription has ended";
			goto out;
		}
	}
	if (to < 0) {
		/* an unknown status: keep it for people to see, change nothing */
		*outcome = SAAS_BILLING_IGNORED;
		*why = "unknown Stripe status";
		if (s && s->provider_id && strcmp(s->provider_id, snap->id) == 0 &&
		    !(rc = saas__billing_set_str(&s->provider_status, snap->status)))
			rc = saas__st_sub_put(tx, s);
		goto out;
	}
	/* Stripe's pause_collection stops billing: not ordinary active service */
	if (to == SAAS_SUB_ACTIVE && snap->pause_collection)
		to = SAAS_SUB_PAUSED;
	if ((rc = saas__catalog_at(&cat, tx, 0)))
		goto out;
	for (size_t i = 0; plan < 0 && i < snap->nprices; i++)
		plan = saas__catalog_plan_for_stripe_price(cat, snap->prices[i]);
	if (!s || (s->provider_id && strcmp(s->provider_id, snap->id) != 0) ||
	    (!s->provider_id && saas_sub_state_terminal(from))) {
		if (plan < 0) {
			rc = saas__err(SAAS_ENOTFOUND, "price",
			               "no plan in catalogue version %lld has Stripe price %s",
			               (long long)cat->version,
			               saas__q(snap->nprices ? snap->prices[0] : "(none)"));
			goto out;
		}
		if (!(fresh = calloc(1, sizeof *fresh)) ||
		    !(fresh->tenant_id = saas__strdup(saas__tx_tenant(tx)))) {
			rc = saas__enomem();
			goto out;
		}
		if ((rc = saas_id_new(&fresh->id, ctx, "sub")))
			goto out;
		fresh->created_at = now;
		from = SAAS_SUB_NONE;
		saas__sub_row_free(s);
		s = fresh;
		fresh = NULL;
	}
	if (plan >= 0 && (!s->plan_id || strcmp(s->plan_id, cat->plans[plan].id) != 0 ||
	                  !s->catalog_version)) {
		if ((rc = saas__billing_set_str(&s->plan_id, cat->plans[plan].id)))
			goto out;
		s->catalog_version = cat->version;
	}
	if ((rc = saas__billing_set_str(&s->pending_plan_id, NULL)))
		goto out;
	flags = snap->has_payment_method ? SAAS_SUB_F_PAYMENT_METHOD : 0;
	if (!saas_sub_state_terminal(to) && (snap->cancel_at_period_end || snap->cancel_at))
		flags |= SAAS_SUB_F_CANCEL_PENDING;
	if (snap->current_period_start)
		s->anchor_at = s->period_start = snap->current_period_start;
	if (snap->current_period_end)
		s->period_end = snap->current_period_end;
	if (snap->cancel_at && flags & SAAS_SUB_F_CANCEL_PENDING)
		s->period_end = snap->cancel_at;
	if (!s->period_start)
		s->anchor_at = s->period_start = snap->created ? snap->created : now;
	if (!s->period_end && (rc = saas__period_bounds(&s->period_start, &s->period_end,
	                                                SAAS__PERIOD_BILLING_CYCLE, s->anchor_at,
	                                                s->period_start)))
		goto out;
	s->trial_end = snap->trial_end;
	if (to == SAAS_SUB_PAST_DUE && from != SAAS_SUB_PAST_DUE)
		s->past_due_since = now;
	else if (to != SAAS_SUB_PAST_DUE)
		s->past_due_since = 0;
	s->canceled_at = snap->canceled_at;
	/* the end is ended_at, not canceled_at (the request's time) */
	s->ended_at = saas_sub_state_terminal(to) ? (snap->ended_at ? snap->ended_at : now) : 0;
	s->state = to;
	s->flags = flags;
	s->provider_ts = ts;
	s->updated_at = now;
	if ((rc = saas__billing_set_str(&s->provider, PROVIDER)) || (rc = saas__billing_set_str(&s->provider_id, snap->id)) ||
	    (rc = saas__billing_set_str(&s->provider_status, snap->status)) || (rc = saas__st_sub_put(tx, s)))
		goto out;
	meta = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s?}", "subscription", s->id, "provider",
	                 PROVIDER, "provider_id", snap->id, "provider_status", snap->status, "from",
	                 saas_sub_state_name(from), "to", saas_sub_state_name(to), "provider_event",
	                 event_id);
	if (meta)
		json_object_set_new(meta, "plan", json_string(s->plan_id));
	rc = meta ? saas__audit_append(tx, scope, "subscription.synced", "subscription", s->id, meta)
	          : saas__enomem();
out:
	saas__sub_row_free(fresh);
	saas__sub_row_free(s);
	return rc;
}

/* An invoice's payment as a table event. */
static int invoice_tx(int *outcome, const char **why, saas_tx *tx, const saas_scope *scope,
                      const struct saas__stripe_event *e)
{
	struct saas_subscription *s = NULL;
	struct saas__sub_args a = {NULL, -1, -1, NULL, NULL, e->id};
	int event = e->kind == SAAS__STRIPE_INVOICE_PAID ? SAAS_SUB_EV_PAYMENT_SUCCEEDED
	                                                 : SAAS_SUB_EV_PAYMENT_FAILED;
	int rc = saas__st_sub_get(&s, tx);

	*outcome = SAAS_BILLING_APPLIED;
	if (rc == SAAS_ENOTFOUND || (!rc && (!s->provider_id || !e->subscription_id ||
	                                     strcmp(s->provider_id, e->subscription_id) != 0))) {
		*outcome = SAAS_BILLING_IGNORED;
		*why = "not the tenant's subscription (or none yet)";
		rc = SAAS_OK;
	} else if (!rc && e->created < s->provider_ts) {
		*outcome = SAAS_BILLING_STALE;
		*why = "older than the snapshot applied";
	} else if (!rc) {
		s->provider_ts = e->created;
		rc = saas__sub_apply_tx(&s, tx, scope, event, &a);
		if (rc == SAAS_ESTATE) {
			*outcome = SAAS_BILLING_IGNORED;
			*why = "the payment does not apply in the subscription's state";
			rc = SAAS_OK;
		}
	}
	saas__sub_row_free(s);
	return rc;
}

/* The tenant an event belongs to: its metadata, else its customer's link. */
static int event_tenant(char **out, saas_ctx *ctx, const struct saas__stripe_event *e)
{
	const char *tenant = e->kind == SAAS__STRIPE_SUBSCRIPTION ? e->sub.tenant_id : e->tenant_id;
	const char *customer = e->kind == SAAS__STRIPE_SUBSCRIPTION ? e->sub.customer : e->customer;
	saas_tx *tx;
	int rc;

	*out = NULL;
	if (tenant)
		return (*out = saas__strdup(tenant)) ? SAAS_OK : saas__enomem();
	if (!customer)
		return saas__err(SAAS_ENOTFOUND, "tenant_id",
		                 "Stripe event %s names no tenant and no customer", e->id);
	if ((rc = saas__tx_begin(&tx, ctx, NULL, false)))
		return rc;
	rc = saas__st_customer_tenant(out, tx, PROVIDER, customer);
	saas__tx_rollback(tx);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "tenant_id",
		               "Stripe event %s: customer %s is not linked to a tenant", e->id,
		               saas__q(customer));
	return rc;
}

int saas_billing_stripe_apply(int *out_outcome, saas_ctx *ctx, const saas_scope *scope,
                              const char *body, size_t len, const saas_stripe_options *opts)
{
	struct saas__stripe_event e;
	struct saas__stripe_sub fetched = {0};
	const struct saas__stripe_sub *snap = NULL;
	saas_scope *ts = NULL;
	char *tenant = NULL;
	const char *why = NULL, *customer;
	int64_t t0 = saas__mono_ns(), snap_ts = 0;
	int outcome = SAAS_BILLING_APPLIED, rc;
	saas_tx *tx = NULL;

	memset(&e, 0, sizeof e);
	if (out_outcome)
		*out_outcome = SAAS_BILLING_IGNORED;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!body)
		return saas__err(SAAS_EINVAL, "body", "body is NULL");
	if ((rc = saas__scope_global(scope)) || (rc = check_opts(opts)) ||
	    (rc = saas__stripe_event_parse(&e, body, len)))
		goto done;
	if (e.kind == SAAS__STRIPE_IGNORED) {
		outcome = SAAS_BILLING_IGNORED;
		log_outcome(ctx, e.id, e.type, outcome, "a type that does not change subscriptions");
		goto done;
	}
	if ((rc = event_tenant(&tenant, ctx, &e)))
		goto done;
	if (e.kind == SAAS__STRIPE_SUBSCRIPTION) {
		snap = &e.sub;
		snap_ts = e.created;
	} else if (opts && opts->api_key && e.subscription_id) {
		/* a fetched snapshot is newer than anything delivered so far */
		if ((rc = fetch(&fetched, opts, e.subscription_id)))
			goto done;
		snap = &fetched;
		snap_ts = saas__now(ctx) > e.created ? saas__now(ctx) : e.created;
	}
	/* the caller's scope, on the event's tenant */
	if ((rc = saas_scope_new(&ts, tenant, scope->actor_type, scope->actor_id)) ||
	    (scope->request_id && (rc = saas_scope_set_request_id(ts, scope->request_id))) ||
	    (scope->ip && (rc = saas_scope_set_ip(ts, scope->ip))))
		goto done;
	if ((rc = saas__billing_tx(&tx, ctx, ts)))
		goto done;
	customer = e.kind == SAAS__STRIPE_SUBSCRIPTION ? e.sub.customer : e.customer;
	if (customer)
		rc = saas__st_customer_put(tx, PROVIDER, customer, tenant, saas__now(ctx));
	if (!rc && snap)
		rc = snapshot_tx(&outcome, &why, tx, ts, snap, snap_ts, snap == &fetched, e.id);
	else if (!rc && e.kind != SAAS__STRIPE_CHECKOUT)
		rc = invoice_tx(&outcome, &why, tx, ts, &e);
	if (!rc) {
		rc = saas__st_provider_event_insert(tx, PROVIDER, e.id, e.type,
		                                    saas_billing_outcome_name(outcome), e.created,
		                                    saas__now(ctx));
		if (rc == SAAS_EEXISTS) {
			/* delivered before: undo this run's work */
			saas__tx_rollback(tx);
			tx = NULL;
			outcome = SAAS_BILLING_DUPLICATE;
			why = "delivered before";
			rc = SAAS_OK;
		}
	}
	if (tx)
		rc = saas__tx_finish(tx, rc);
	if (!rc && outcome == SAAS_BILLING_APPLIED)
		saas__billing_changed(ctx, tenant);
	if (!rc && outcome != SAAS_BILLING_APPLIED)
		log_outcome(ctx, e.id, e.type, outcome, why);
done:
	if (!rc && out_outcome)
		*out_outcome = outcome;
	saas__stripe_event_clear(&e);
	saas__stripe_sub_clear(&fetched);
	saas_scope_free(ts);
	free(tenant);
	saas__op_done(ctx, "billing.stripe_apply", t0, rc);
	return rc;
}

int saas_billing_stripe_reconcile(int *out_outcome, saas_ctx *ctx, const saas_scope *scope,
                                  const saas_stripe_options *opts)
{
	struct saas_subscription *s = NULL;
	struct saas__stripe_sub snap = {0};
	const char *why = NULL;
	int outcome = SAAS_BILLING_APPLIED, rc;
	saas_tx *tx = NULL;

	if (out_outcome)
		*out_outcome = SAAS_BILLING_IGNORED;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!opts || !opts->api_key)
		return saas__err(SAAS_EINVAL, "api_key", "reconciling needs a Stripe API key");
	if ((rc = check_opts(opts)) || (rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ)))
		return rc;
	rc = saas__st_sub_get(&s, tx);
	saas__tx_rollback(tx);
	if (rc == SAAS_ENOTFOUND || (!rc && (!s->provider || strcmp(s->provider, PROVIDER) != 0 ||
	                                     !s->provider_id)))
		rc = saas__err(SAAS_ENOTFOUND, "subscription",
		               "tenant '%s' has no Stripe subscription", scope->tenant_id);
	if (!rc)
		rc = fetch(&snap, opts, s->provider_id);
	if (!rc)
		rc = saas__billing_tx(&tx, ctx, scope);
	if (!rc)
		rc = saas__tx_finish(tx, snapshot_tx(&outcome, &why, tx, scope, &snap,
		                                     saas__now(ctx), true, NULL));
	if (!rc && outcome == SAAS_BILLING_APPLIED)
		saas__billing_changed(ctx, scope->tenant_id);
	if (!rc && out_outcome)
		*out_outcome = outcome;
	saas__sub_row_free(s);
	saas__stripe_sub_clear(&snap);
	return rc;
}

int saas_billing_customer_link(saas_ctx *ctx, const saas_scope *scope, const char *provider,
                               const char *customer_id)
{
	saas_tx *tx;
	int rc;

	if (!provider || strcmp(provider, PROVIDER) != 0)
		return saas__err(SAAS_EINVAL, "provider", "unknown billing provider %s",
		                 saas__q(provider));
	if ((rc = saas__check_text("customer_id", customer_id, 255, false)))
		return rc;
	if ((rc = saas__billing_tx(&tx, ctx, scope)))
		return rc;
	rc = saas__st_customer_put(tx, PROVIDER, customer_id, scope->tenant_id, saas__now(ctx));
	if (!rc)
		rc = saas__audit_append(tx, scope, "billing.customer_linked", "customer", customer_id,
		                        json_pack("{s:s}", "provider", provider));
	return saas__tx_finish(tx, rc);
}
