/*
 * saasctl: outbound webhooks (saas/webhook.h, docs/webhooks.md, "Sending"):
 * a tenant's endpoints (add, list, remove, enable, disable, rotate, secret),
 * the delivery worker (deliver), and the record of deliveries and attempts
 * (attempts). An endpoint's secret is printed when it is made (add,
 * rotate) or asked for (secret), never otherwise.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saasctl.h"

static const char *text_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static int print_secret(const struct sc *sc, const char *id, const char *secret)
{
	if (sc->json) {
		printf("{\"id\":");
		sc_json_string(stdout, id);
		printf(",\"secret\":");
		sc_json_string(stdout, secret);
		printf("}\n");
	} else {
		printf("endpoint %s\nsecret %s\n", id, secret);
	}
	return SC_EXIT_OK;
}

static int endpoint_list(struct sc *sc, saas_scope *scope)
{
	char *text = NULL;
	json_t *doc, *e;
	size_t i;
	int rc = saas_webhook_endpoint_list(&text, sc->ctx, scope);

	/* text is set by the call above: read it only after */
	if ((rc = sc_take_json(&doc, sc, rc, text)) || !doc)
		return rc;
	json_array_foreach(doc, i, e) {
		char *types = json_dumps(json_object_get(e, "event_types"), JSON_COMPACT);

		printf("%s\t%s\t%s\t%s\tpending %lld\tsecrets %lld\n", text_of(e, "id"),
		       json_is_true(json_object_get(e, "enabled")) ? "enabled"
		       : json_is_string(json_object_get(e, "disabled_reason"))
		               ? text_of(e, "disabled_reason")
		               : "disabled",
		       text_of(e, "url"), types ? types : "[]",
		       (long long)json_integer_value(json_object_get(e, "pending")),
		       (long long)json_integer_value(json_object_get(e, "secrets")));
		free(types);
	}
	json_decref(doc);
	return SC_EXIT_OK;
}

int sc_cmd_webhook_endpoint(struct sc *sc, const struct sc_args *a)
{
	const char *action = a->npos > 0 ? a->pos[0] : "";
	const char *id = a->npos > 1 ? a->pos[1] : NULL;
	saas_scope *scope = NULL;
	char *new_id = NULL, *secret = NULL;
	bool needs_id = strcmp(action, "add") != 0 && strcmp(action, "list") != 0;
	int rc;

	if (strcmp(action, "add") && strcmp(action, "list") && strcmp(action, "remove") &&
	    strcmp(action, "enable") && strcmp(action, "disable") && strcmp(action, "rotate") &&
	    strcmp(action, "secret"))
		return sc_usage_error(sc, "give add, list, remove ID, enable ID, disable ID, rotate ID "
		                          "or secret ID");
	if (needs_id != (id != NULL))
		return sc_usage_error(sc, needs_id ? "endpoint %s needs the endpoint's id"
		                                   : "endpoint %s takes no id", action);
	if ((rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"))))
		return sc_lib_error(rc);
	if (strcmp(action, "list") == 0) {
		rc = endpoint_list(sc, scope);
	} else if (strcmp(action, "add") == 0) {
		size_t n = 0;
		const char *const *types = sc_opt_values(sc, a, "event", &n);
		const char *url = sc_opt_value(sc, a, "url");

		if (!url || n == 0)
			rc = sc_usage_error(sc, "endpoint add needs --url and at least one --event");
		else if ((rc = saas_webhook_endpoint_add(&new_id, &secret, sc->ctx, scope, url, types, n,
		                                         sc_opt_value(sc, a, "description"))))
			rc = sc_lib_error(rc);
		else
			rc = print_secret(sc, new_id, secret);
	} else if (strcmp(action, "rotate") == 0) {
		long long overlap = sc_opt_count(sc, a, "overlap", -1);

		if ((rc = saas_webhook_endpoint_rotate_secret(&secret, sc->ctx, scope, id, overlap)))
			rc = sc_lib_error(rc);
		else
			rc = print_secret(sc, id, secret);
	} else if (strcmp(action, "secret") == 0) {
		if ((rc = saas_webhook_endpoint_secret(&secret, sc->ctx, scope, id)))
			rc = sc_lib_error(rc);
		else
			rc = print_secret(sc, id, secret);
	} else {
		rc = strcmp(action, "remove") == 0
		             ? saas_webhook_endpoint_remove(sc->ctx, scope, id)
		             : saas_webhook_endpoint_set_enabled(sc->ctx, scope, id,
		                                                 strcmp(action, "enable") == 0);
		rc = rc ? sc_lib_error(rc) : sc_done(sc);
	}
	saas_free(new_id);
	saas_free_secret(secret);
	saas_scope_free(scope);
	return rc;
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
}

static int should_stop(void *payload)
{
	(void)payload;
	return stop_signal;
}

int sc_cmd_webhook_deliver(struct sc *sc, const struct sc_args *a)
{
	saas_webhook_worker_options o = SAAS_WEBHOOK_WORKER_OPTIONS_INIT;
	saas_webhook_worker_stats st;
	size_t nallow = 0;
	int rc;

	o.forever = sc_opt_value(sc, a, "forever") != NULL;
	o.concurrency = (unsigned)sc_opt_count(sc, a, "concurrency", 0);
	o.timeout_ms = sc_opt_count(sc, a, "timeout-ms", 0);
	o.connect_timeout_ms = sc_opt_count(sc, a, "connect-timeout-ms", 0);
	o.allow = sc_opt_values(sc, a, "allow", &nallow);
	o.nallow = nallow;
	o.https_only = sc_opt_value(sc, a, "https-only") != NULL;
	if (o.forever) {
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_stop_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		o.should_stop = should_stop;
	}
	if ((rc = saas_webhook_worker_run(sc->ctx, &o, &st)))
		return sc_lib_error(rc);
	if (sc->json)
		printf("{\"fanned_out\":%llu,\"attempts\":%llu,\"succeeded\":%llu,\"retrying\":%llu,"
		       "\"failed\":%llu,\"cancelled\":%llu,\"endpoints_disabled\":%llu}\n",
		       (unsigned long long)st.fanned_out, (unsigned long long)st.attempts,
		       (unsigned long long)st.succeeded, (unsigned long long)st.retrying,
		       (unsigned long long)st.failed, (unsigned long long)st.cancelled,
		       (unsigned long long)st.disabled);
	else
		printf("fanned out %llu, attempts %llu: succeeded %llu, retrying %llu, failed %llu; "
		       "cancelled %llu; endpoints disabled %llu\n",
		       (unsigned long long)st.fanned_out, (unsigned long long)st.attempts,
		       (unsigned long long)st.succeeded, (unsigned long long)st.retrying,
		       (unsigned long long)st.failed, (unsigned long long)st.cancelled,
		       (unsigned long long)st.disabled);
	return SC_EXIT_OK;
}

int sc_cmd_webhook_attempts(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	char *text = NULL;
	json_t *doc, *d, *t;
	size_t i, j;
	int rc;

	if ((rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"))))
		return sc_lib_error(rc);
	rc = saas_webhook_deliveries(&text, sc->ctx, scope, sc_opt_value(sc, a, "endpoint"),
	                             (unsigned)sc_opt_count(sc, a, "limit", 0));
	saas_scope_free(scope);
	if ((rc = sc_take_json(&doc, sc, rc, text)) || !doc)
		return rc;
	json_array_foreach(doc, i, d) {
		printf("%s\t%s\t%s\t%s\tattempts %lld", text_of(d, "id"), text_of(d, "endpoint_id"),
		       text_of(d, "event_type"), text_of(d, "status"),
		       (long long)json_integer_value(json_object_get(d, "attempts")));
		if (json_is_string(json_object_get(d, "next_attempt_at")))
			printf("\tnext %s", text_of(d, "next_attempt_at"));
		putchar('\n');
		json_array_foreach(json_object_get(d, "attempt_log"), j, t) {
			printf("  #%lld\t%s\t%lld ms\tHTTP %lld", (long long)json_integer_value(json_object_get(t, "attempt")),
			       text_of(t, "started_at"),
			       (long long)json_integer_value(json_object_get(t, "duration_ms")),
			       (long long)json_integer_value(json_object_get(t, "http_status")));
			if (json_is_string(json_object_get(t, "error")))
				printf("\t%s", text_of(t, "error"));
			putchar('\n');
		}
	}
	json_decref(doc);
	return SC_EXIT_OK;
}
