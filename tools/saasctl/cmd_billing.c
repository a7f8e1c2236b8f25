/*
 * saasctl billing, usage and entitlement (saas/billing.h, docs/billing.md
 * "saasctl"): the state table, the plan catalogue, a tenant's subscription
 * and its events, Stripe events, usage and entitlement checks.
 *
 * A Stripe secret key comes from the environment variable named by
 * --api-key-env (default STRIPE_SECRET_KEY), never from the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saasctl.h"

int sc_cmd_billing_states(struct sc *sc, const struct sc_args *a)
{
	int md = sc_opt_value(sc, a, "markdown") != NULL, dot = sc_opt_value(sc, a, "dot") != NULL;
	char *text = NULL;
	int rc;

	if (md == dot)
		return sc_usage_error(sc, "give exactly one of --markdown and --dot");
	rc = md ? saas_sub_table_markdown(&text) : saas_sub_table_dot(&text);
	if (rc)
		return sc_lib_error(rc);
	fputs(text, stdout);
	saas_free(text);
	return SC_EXIT_OK;
}

/* Read FILE ('-': stdin) whole into *out (NUL-terminated; *len its length). */
static int read_file(char **out, size_t *len, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 0, n = 0;
	char *buf = NULL;

	*out = NULL;
	if (!f)
		return sc_fail("cannot open %s", path);
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (!nb) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return sc_fail("out of memory");
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return SC_EXIT_OK;
}

/* ---- plans ------------------------------------------------------------------ */

static int plans_list(struct sc *sc, const struct sc_args *a);

/* billing plans load FILE | list */
int sc_cmd_billing_plans(struct sc *sc, const struct sc_args *a)
{
	int64_t version = 0;
	char *text = NULL;
	int rc;

	if (a->npos == 1 && strcmp(a->pos[0], "list") == 0)
		return plans_list(sc, a);
	if (a->npos != 2 || strcmp(a->pos[0], "load") != 0)
		return sc_usage_error(sc, "give 'load FILE' or 'list'");
	if ((rc = read_file(&text, NULL, a->pos[1])))
		return rc;
	rc = saas_billing_plans_load(&version, sc->ctx, sc->global, text);
	free(text);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		printf("{\"version\":%lld}\n", (long long)version);
	else
		printf("catalogue version %lld\n", (long long)version);
	return SC_EXIT_OK;
}

static int plans_list(struct sc *sc, const struct sc_args *a)
{
	long long version = sc_opt_count(sc, a, "catalog-version", 0);
	json_t *doc, *plan;
	char *text = NULL;
	size_t i;
	int rc = saas_billing_plans_json(&text, sc->ctx, version);

	if ((rc = sc_take_json(&doc, sc, rc, text)) || !doc)
		return rc;
	printf("catalogue version %lld\n",
	       (long long)json_integer_value(json_object_get(doc, "version")));
	json_array_foreach(json_object_get(json_object_get(doc, "catalog"), "plans"), i, plan) {
		char *features = json_dumps(json_object_get(plan, "features"), JSON_COMPACT);
		printf("%s\t%s\trank %lld\ttrial %lld days\t%s\n",
		       json_string_value(json_object_get(plan, "id")),
		       json_string_value(json_object_get(plan, "name")),
		       (long long)json_integer_value(json_object_get(plan, "rank")),
		       (long long)json_integer_value(json_object_get(plan, "trial_days")),
		       features ? features : "{}");
		free(features);
	}
	json_decref(doc);
	return SC_EXIT_OK;
}

/* ---- subscriptions ------------------------------------------------------------ */

static int print_sub(const struct sc *sc, const saas_subscription *s)
{
	char *text = NULL;
	json_t *doc;
	int rc = saas_subscription_to_json(&text, s);

	if ((rc = sc_take_json(&doc, sc, rc, text)) || !doc)
		return rc;
	{
		json_t *period = json_object_get(doc, "period"), *flags = json_object_get(doc, "flags");
		const char *pending = json_string_value(json_object_get(doc, "pending_plan"));
		size_t i;
		json_t *f;

		printf("subscription %s\nstate %s\naccess %s\nplan %s (catalogue version %lld)\n",
		       json_string_value(json_object_get(doc, "id")),
		       json_string_value(json_object_get(doc, "state")),
		       json_string_value(json_object_get(doc, "access")),
		       json_string_value(json_object_get(doc, "plan")),
		       (long long)json_integer_value(json_object_get(doc, "catalog_version")));
		printf("period %s .. %s\n", json_string_value(json_object_get(period, "start")),
		       json_string_value(json_object_get(period, "end")));
		if (json_is_string(json_object_get(doc, "trial_end")))
			printf("trial ends %s\n",
			       json_string_value(json_object_get(doc, "trial_end")));
		if (pending)
			printf("pending plan change to %s at the period's end\n", pending);
		json_array_foreach(flags, i, f) {
			if (strcmp(json_string_value(f), "cancel_pending") == 0)
				printf("pending cancellation at the period's end\n");
			else if (strcmp(json_string_value(f), "payment_method") == 0)
				printf("has a payment method\n");
		}
		if (json_is_string(json_object_get(doc, "ended_at")))
			printf("ended %s\n", json_string_value(json_object_get(doc, "ended_at")));
		if (json_is_string(json_object_get(doc, "provider_id")))
			printf("provider %s %s (%s)\n",
			       json_string_value(json_object_get(doc, "provider")),
			       json_string_value(json_object_get(doc, "provider_id")),
			       json_string_value(json_object_get(doc, "provider_status")));
	}
	json_decref(doc);
	return SC_EXIT_OK;
}

int sc_cmd_billing_status(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	saas_subscription *s = NULL;
	int rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));

	if (!rc)
		rc = saas_subscription_get(&s, sc->ctx, scope);
	if (rc == SAAS_ENOTFOUND && saas_error_field(saas_error_last()) &&
	    strcmp(saas_error_field(saas_error_last()), "subscription") == 0) {
		/* no subscription: say what the tenant gets instead */
		char *summary = NULL;
		rc = saas_entitlement_summary(&summary, sc->ctx, scope);
		if (!rc) {
			json_t *doc = json_loads(summary, 0, NULL);
			if (sc->json)
				rc = sc_print_json_text(sc, summary);
			else
				printf("no subscription\nstate none\naccess %s\nplan %s (default)\n",
				       json_string_value(json_object_get(doc, "access")),
				       json_is_string(json_object_get(doc, "plan"))
				               ? json_string_value(json_object_get(doc, "plan"))
				               : "none");
			json_decref(doc);
			saas_free(summary);
			saas_scope_free(scope);
			return rc;
		}
	}
	rc = rc ? sc_lib_error(rc) : print_sub(sc, s);
	saas_subscription_free(s);
	saas_scope_free(scope);
	return rc;
}

int sc_cmd_billing_event(struct sc *sc, const struct sc_args *a)
{
	saas_sub_options o = SAAS_SUB_OPTIONS_INIT;
	const char *pm = sc_opt_value(sc, a, "payment-method");
	saas_scope *scope = NULL;
	saas_subscription *s = NULL;
	int event = saas_sub_event_from_name(a->pos[0]), rc;

	if (event < 0)
		return sc_usage_error(sc, "unknown event '%s' (see 'saasctl billing states --markdown')",
		                      a->pos[0]);
	o.plan = sc_opt_value(sc, a, "plan");
	o.payment_method = pm ? strcmp(pm, "yes") == 0 : -1;
	o.trial_days = sc_opt_count(sc, a, "trial-days", -1);
	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_subscription_event(&s, sc->ctx, scope, event, &o);
	rc = rc ? sc_lib_error(rc) : print_sub(sc, s);
	saas_subscription_free(s);
	saas_scope_free(scope);
	return rc;
}

int sc_cmd_billing_change_plan(struct sc *sc, const struct sc_args *a)
{
	const char *when = sc_opt_value(sc, a, "when");
	saas_scope *scope = NULL;
	saas_subscription *s = NULL;
	int w = !when || strcmp(when, "auto") == 0 ? SAAS_PLAN_CHANGE_AUTO
	        : strcmp(when, "now") == 0         ? SAAS_PLAN_CHANGE_NOW
	                                           : SAAS_PLAN_CHANGE_AT_PERIOD_END;
	int rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));

	if (!rc)
		rc = saas_subscription_change_plan(&s, sc->ctx, scope, sc_opt_value(sc, a, "plan"), w);
	rc = rc ? sc_lib_error(rc) : print_sub(sc, s);
	saas_subscription_free(s);
	saas_scope_free(scope);
	return rc;
}

int sc_cmd_billing_tick(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int n = 0, rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));

	if (!rc)
		rc = saas_subscription_tick(&n, sc->ctx, scope);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		printf("{\"applied\":%d}\n", n);
	else
		printf("%d event%s applied\n", n, n == 1 ? "" : "s");
	return SC_EXIT_OK;
}

/* Stripe options from --api-base and the key's environment variable. */
static int stripe_options(saas_stripe_options *o, const struct sc *sc, const struct sc_args *a)
{
	const char *var = sc_opt_value(sc, a, "api-key-env");

	saas_stripe_options_init(o, SAAS_STRIPE_OPTIONS_VERSION);
	o->api_base = sc_opt_value(sc, a, "api-base");
	o->api_key = getenv(var ? var : "STRIPE_SECRET_KEY");
	if (o->api_key && !*o->api_key)
		o->api_key = NULL;
	if (var && !o->api_key)
		return sc_fail("the environment variable %s is not set", var);
	return SC_EXIT_OK;
}

int sc_cmd_billing_stripe_event(struct sc *sc, const struct sc_args *a)
{
	saas_stripe_options o;
	char *body = NULL;
	size_t len = 0;
	int outcome = 0, rc;

	if ((rc = stripe_options(&o, sc, a)) || (rc = read_file(&body, &len, sc_opt_value(sc, a, "file"))))
		return rc;
	rc = saas_billing_stripe_apply(&outcome, sc->ctx, sc->global, body, len, &o);
	free(body);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		printf("{\"outcome\":\"%s\"}\n", saas_billing_outcome_name(outcome));
	else
		printf("%s\n", saas_billing_outcome_name(outcome));
	return SC_EXIT_OK;
}

int sc_cmd_billing_stripe_reconcile(struct sc *sc, const struct sc_args *a)
{
	saas_stripe_options o;
	saas_scope *scope = NULL;
	int outcome = 0, rc;

	if ((rc = stripe_options(&o, sc, a)))
		return rc;
	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_billing_stripe_reconcile(&outcome, sc->ctx, scope, &o);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	printf(sc->json ? "{\"outcome\":\"%s\"}\n" : "%s\n", saas_billing_outcome_name(outcome));
	return SC_EXIT_OK;
}

int sc_cmd_billing_link(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));

	if (!rc)
		rc = saas_billing_customer_link(sc->ctx, scope, "stripe",
		                                sc_opt_value(sc, a, "customer"));
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

/* ---- usage and entitlements ------------------------------------------------------ */

static int print_ent(const struct sc *sc, const saas_entitlement *e)
{
	char end[32];

	if (saas_entitlement_period_end(e))
		sc_format_time(end, saas_entitlement_period_end(e));
	if (sc->json) {
		json_t *o = json_pack("{s:b,s:s,s:s,s:I,s:b,s:s}", "allowed",
		                      saas_entitlement_allowed(e), "reason",
		                      saas_ent_reason_name(saas_entitlement_reason(e)), "kind",
		                      saas_entitlement_kind(e), "used",
		                      (json_int_t)saas_entitlement_used(e), "over_limit",
		                      saas_entitlement_over_limit(e), "value",
		                      saas_entitlement_value(e));
		if (o && saas_entitlement_period_end(e))
			json_object_set_new(o, "period_end", json_string(end));
		if (!o)
			return sc_fail("out of memory");
		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
		return SC_EXIT_OK;
	}
	printf("%s (%s): %s %s, used %lld%s", saas_entitlement_allowed(e) ? "allowed" : "refused",
	       saas_ent_reason_name(saas_entitlement_reason(e)), saas_entitlement_kind(e),
	       saas_entitlement_value(e), (long long)saas_entitlement_used(e),
	       saas_entitlement_over_limit(e) ? ", over the limit" : "");
	if (saas_entitlement_period_end(e))
		printf(", period ends %s", end);
	putchar('\n');
	return SC_EXIT_OK;
}

int sc_cmd_usage_record(struct sc *sc, const struct sc_args *a)
{
	const char *at = sc_opt_value(sc, a, "at");
	saas_scope *scope = NULL;
	saas_entitlement *e = NULL;
	int64_t when = 0;
	int rc;

	if (at && sc_parse_time(&when, at) != 0)
		return sc_usage_error(sc, "--at: not a time: %s", at);
	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_usage_record(&e, sc->ctx, scope, sc_opt_value(sc, a, "feature"),
		                       sc_opt_count(sc, a, "quantity", 1), sc_opt_value(sc, a, "key"),
		                       when);
	if (rc)
		sc_lib_error(rc);
	if (e)
		print_ent(sc, e);
	saas_entitlement_free(e);
	saas_scope_free(scope);
	return rc ? SC_EXIT_REFUSED : SC_EXIT_OK;
}

/* The summary, or with `metered_only` its metered features. */
static int summary(struct sc *sc, const struct sc_args *a, int metered_only)
{
	saas_scope *scope = NULL;
	char *text = NULL;
	int rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));

	if (!rc)
		rc = saas_entitlement_summary(&text, sc->ctx, scope);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	if (metered_only || !sc->json) {
		json_t *doc = json_loads(text, 0, NULL), *f;
		const char *name, *only = sc_opt_value(sc, a, "feature");

		saas_free(text);
		if (!doc)
			return sc_fail("the library gave malformed JSON");
		if (!sc->json)
			printf("plan %s, state %s, access %s\n",
			       json_is_string(json_object_get(doc, "plan"))
			               ? json_string_value(json_object_get(doc, "plan"))
			               : "none",
			       json_string_value(json_object_get(doc, "state")),
			       json_string_value(json_object_get(doc, "access")));
		json_object_foreach(json_object_get(doc, "features"), name, f) {
			char *value = json_dumps(json_object_get(f, "value"), JSON_ENCODE_ANY);
			const char *kind = json_string_value(json_object_get(f, "kind"));

			if ((metered_only && strcmp(kind, "metered") != 0) ||
			    (only && strcmp(only, name) != 0)) {
				free(value);
				continue;
			}
			if (sc->json) {
				json_t *line = json_pack("{s:s,s:O}", "feature", name, "usage", f);
				json_dumpf(line, stdout, JSON_COMPACT);
				putchar('\n');
				json_decref(line);
			} else {
				printf("%s\t%s\t%s\t%s", name, kind, value ? value : "?",
				       json_is_true(json_object_get(f, "allowed")) ? "allowed" : "refused");
				if (json_object_get(f, "used"))
					printf("\tused %lld%s",
					       (long long)json_integer_value(json_object_get(f, "used")),
					       json_is_true(json_object_get(f, "over_limit"))
					               ? " (over the limit)"
					               : "");
				printf("\t(%s)\n", json_string_value(json_object_get(f, "source")));
			}
			free(value);
		}
		json_decref(doc);
		return SC_EXIT_OK;
	}
	rc = sc_print_json_text(sc, text);
	saas_free(text);
	return rc;
}

int sc_cmd_usage_show(struct sc *sc, const struct sc_args *a)
{
	return summary(sc, a, 1);
}

int sc_cmd_entitlement_summary(struct sc *sc, const struct sc_args *a)
{
	return summary(sc, a, 0);
}

int sc_cmd_entitlement_check(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	saas_entitlement *e = NULL;
	int rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));

	if (!rc)
		rc = saas_entitlement_get(&e, sc->ctx, scope, sc_opt_value(sc, a, "feature"),
		                          sc_opt_count(sc, a, "amount", 0));
	saas_scope_free(scope);
	if (rc && rc != SAAS_ELIMIT) {
		saas_entitlement_free(e);
		sc_lib_error(rc);
		return SC_EXIT_USAGE;
	}
	if (rc && !sc->json)
		fprintf(stderr, "saasctl: %s\n", saas_error_message(saas_error_last()));
	print_ent(sc, e);
	saas_entitlement_free(e);
	return rc ? SC_EXIT_REFUSED : SC_EXIT_OK;
}

int sc_cmd_entitlement_override(struct sc *sc, const struct sc_args *a)
{
	const char *value = sc_opt_value(sc, a, "value"), *exp = sc_opt_value(sc, a, "expires");
	int remove = sc_opt_value(sc, a, "remove") != NULL;
	saas_scope *scope = NULL;
	int64_t expires = 0;
	int rc;

	if (!value == !remove)
		return sc_usage_error(sc, "give exactly one of --value and --remove");
	if (exp && sc_parse_time(&expires, exp) != 0)
		return sc_usage_error(sc, "--expires: not a time: %s", exp);
	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc && remove)
		rc = saas_entitlement_override_remove(sc->ctx, scope, sc_opt_value(sc, a, "feature"));
	else if (!rc)
		rc = saas_entitlement_override_set(sc->ctx, scope, sc_opt_value(sc, a, "feature"),
		                                   value, expires, sc_opt_value(sc, a, "reason"));
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}
