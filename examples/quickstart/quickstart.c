/*
 * quickstart.c: a tour of libsaas in one file.
 *
 * It opens a context on a SQLite file, creates two tenants and a few users,
 * gives them roles, invites someone, shows three rules the library enforces
 * (a tenant keeps its last owner, a suspended tenant refuses writes, every
 * error explains itself), gives the tenants plans (a trial, entitlements,
 * metered usage with a hard limit), exports a tenant as JSON, lists the
 * tenants and prints the library's own metrics.
 *
 * Build:  ninja -C build            (the binary is build/examples/quickstart/quickstart)
 * Run:    ./quickstart              (uses sqlite:quickstart.db, recreated on every run)
 *         ./quickstart memory:      (an in-memory database, nothing on disk)
 *
 * Every libsaas function returns 0 (SAAS_OK) or a negative SAAS_E* code, and
 * hands its results back through out-parameters placed first. On failure,
 * saas_error_last() says what went wrong, naming the offending value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h> /* only to read the export below; libsaas speaks JSON as text */

#include <saas.h>

/* ---- two small helpers ---------------------------------------------------- */

/* Print the last libsaas error of this thread: its code name and its message. */
static void print_error(const char *what, int rc)
{
	const saas_error *e = saas_error_last();

	fprintf(stderr, "%s failed: %s (%s): %s\n", what, saas_code_name(rc), saas_strerror(rc),
	        saas_error_message(e));
}

/* Check a return code: on anything but SAAS_OK, explain and stop. */
static void check(int rc, const char *what)
{
	if (rc == SAAS_OK)
		return;
	print_error(what, rc);
	exit(1);
}

/* Check that a call failed, and failed with the code we expected. */
static void expect_error(int rc, int want, const char *what)
{
	if (rc != want) {
		fprintf(stderr, "%s: expected %s, got %s\n", what, saas_code_name(want),
		        saas_code_name(rc));
		if (rc != SAAS_OK)
			print_error(what, rc);
		exit(1);
	}
	printf("  refused as expected: %s: %s\n", saas_code_name(rc),
	       saas_error_message(saas_error_last()));
}

/* For sqlite:PATH, remove PATH and its -wal/-shm companions so the run starts fresh. */
static void remove_database_files(const char *url)
{
	const char *suffixes[] = {"", "-wal", "-shm"};
	char path[4096];

	if (strncmp(url, "sqlite:", 7) != 0)
		return;
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s%s", url + 7, suffixes[i]);
		unlink(path); /* a missing file is fine */
	}
}

int main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : "sqlite:quickstart.db";

	if (argc > 2) {
		fprintf(stderr, "usage: %s [memory: | sqlite:PATH]\n", argv[0]);
		return 2;
	}
	remove_database_files(url);

	/* ---- 1. The context --------------------------------------------------
	 * One per process, shared by all threads. It holds the store (here SQLite:
	 * WAL, synchronous=FULL, foreign keys on), the clock, the logger and the
	 * metrics. NULL options mean the defaults; the schema is created on open. */
	saas_ctx *ctx = NULL;
	check(saas_ctx_open(&ctx, url, NULL), "saas_ctx_open");
	printf("libsaas %s, backend %s (%s)\n\n", saas_version(), saas_ctx_backend(ctx), url);

	/* ---- 2. A scope says who acts, and on which tenant ----------------------
	 * Deployment-wide calls (creating tenants and users, listing tenants) take
	 * a scope without a tenant. Here the actor is the system itself, named
	 * "quickstart"; it is recorded in every audit event. */
	saas_scope *sys = NULL;
	check(saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "quickstart"), "saas_scope_new");

	/* ---- 3. Two tenants ------------------------------------------------------
	 * A tenant has a unique slug (for URLs and routing) and a display name. */
	saas_tenant *acme = NULL, *globex = NULL;
	check(saas_tenant_create(&acme, ctx, sys, "acme", "Acme Corporation"), "create acme");
	check(saas_tenant_create(&globex, ctx, sys, "globex", "Globex Inc."), "create globex");
	printf("created tenant %-7s %s\n", saas_tenant_slug(acme), saas_tenant_id(acme));
	printf("created tenant %-7s %s\n\n", saas_tenant_slug(globex), saas_tenant_id(globex));

	/* ---- 4. Users --------------------------------------------------------------
	 * Users are deployment-wide: one account, any number of tenants. Emails are
	 * stored normalised (trimmed, lower-cased), so "Alice@Acme.example" and
	 * "alice@acme.example" are the same user. */
	saas_user *alice = NULL, *bob = NULL, *carol = NULL, *dave = NULL;
	check(saas_user_create(&alice, ctx, sys, "Alice@Acme.example", "Alice"), "create alice");
	check(saas_user_create(&bob, ctx, sys, "bob@acme.example", "Bob"), "create bob");
	check(saas_user_create(&carol, ctx, sys, "carol@example.org", "Carol"), "create carol");
	check(saas_user_create(&dave, ctx, sys, "dave@globex.example", "Dave"), "create dave");
	printf("created users: %s, %s, %s, %s\n\n", saas_user_email(alice), saas_user_email(bob),
	       saas_user_email(carol), saas_user_email(dave));

	/* ---- 5. Memberships ----------------------------------------------------------
	 * Everything inside a tenant goes through a scope naming that tenant. The
	 * first owner of each tenant is added by the system; after that, Alice
	 * acts in Acme and Dave in Globex, as they would in a real request. */
	saas_scope *acme_sys = NULL, *globex_sys = NULL;
	check(saas_scope_new(&acme_sys, saas_tenant_id(acme), SAAS_ACTOR_SYSTEM, "quickstart"),
	      "scope acme");
	check(saas_scope_new(&globex_sys, saas_tenant_id(globex), SAAS_ACTOR_SYSTEM, "quickstart"),
	      "scope globex");

	const char *owner[] = {SAAS_ROLE_OWNER};
	const char *admin[] = {"admin"};
	const char *member[] = {"member"};

	check(saas_member_add(NULL, ctx, acme_sys, saas_user_id(alice), owner, 1), "alice owner");
	check(saas_member_add(NULL, ctx, globex_sys, saas_user_id(dave), owner, 1), "dave owner");

	/* From here on, Alice acts in Acme and Dave in Globex. */
	saas_scope *as_alice = NULL, *as_dave = NULL;
	check(saas_scope_new(&as_alice, saas_tenant_id(acme), SAAS_ACTOR_USER, saas_user_id(alice)),
	      "scope alice");
	check(saas_scope_new(&as_dave, saas_tenant_id(globex), SAAS_ACTOR_USER, saas_user_id(dave)),
	      "scope dave");
	/* A request id ties the audit events of one request together. */
	check(saas_scope_set_request_id(as_alice, "req-quickstart-1"), "set request id");

	check(saas_member_add(NULL, ctx, as_alice, saas_user_id(bob), admin, 1), "bob admin");
	check(saas_member_add(NULL, ctx, as_alice, saas_user_id(carol), member, 1), "carol member");
	/* Carol belongs to both tenants, with a role in each. */
	check(saas_member_add(NULL, ctx, as_dave, saas_user_id(carol), member, 1), "carol globex");

	/* Read a membership back: its roles come sorted by name. */
	saas_member *m = NULL;
	check(saas_member_get(&m, ctx, as_alice, saas_user_id(bob)), "get bob");
	printf("acme:   alice=owner, bob=%s, carol=member\n", saas_member_role_at(m, 0));
	printf("globex: dave=owner, carol=member (carol is in both tenants)\n\n");
	saas_member_free(m);
	m = NULL;

	/* ---- 6. An invitation ----------------------------------------------------------
	 * The token is a secret: shown once (send it by email), stored only as a
	 * hash, single-use, and it expires (7 days by default: ttl 0). Never log
	 * it in full; here we print only its first 8 characters. */
	saas_invitation *inv = NULL;
	char *token = NULL;
	check(saas_invitation_create(&inv, &token, ctx, as_alice, "erin@example.net", member, 1, 0),
	      "invite erin");
	printf("invited %s to acme (%s), token %.8s…, status %s\n", saas_invitation_email(inv),
	       saas_invitation_id(inv), token, saas_invitation_status(inv));

	/* Erin signs up, then accepts: the membership is created with the invited
	 * roles and the invitation is marked used, in one transaction. Accepting
	 * needs the user id; the user's email must be the invited one. */
	saas_user *erin = NULL;
	check(saas_user_create(&erin, ctx, sys, "erin@example.net", "Erin"), "create erin");
	saas_scope *as_erin = NULL;
	check(saas_scope_new(&as_erin, saas_tenant_id(acme), SAAS_ACTOR_USER, saas_user_id(erin)),
	      "scope erin");
	check(saas_invitation_accept(&m, ctx, as_erin, token, saas_user_id(erin)), "accept");
	printf("erin accepted: member %s with role %s\n", saas_member_id(m), saas_member_role_at(m, 0));
	saas_member_free(m);
	m = NULL;

	/* The same token cannot be used twice. */
	expect_error(saas_invitation_accept(NULL, ctx, as_erin, token, saas_user_id(erin)),
	             SAAS_EUSED, "accept again");
	saas_free_secret(token); /* wipes the secret before freeing it */
	token = NULL;
	printf("\n");

	/* ---- 7. The last-owner rule -----------------------------------------------------
	 * A tenant always keeps at least one owner: removing Alice, Acme's only
	 * owner, is refused with SAAS_ESTATE. (saas_member_transfer_ownership
	 * hands the role over first.) */
	printf("removing alice, acme's only owner:\n");
	expect_error(saas_member_remove(ctx, as_alice, saas_user_id(alice)), SAAS_ESTATE,
	             "remove last owner");
	printf("\n");

	/* ---- 8. Suspension -------------------------------------------------------------
	 * A suspended tenant can be read but not written: every write fails with
	 * SAAS_ESUSPENDED until the tenant is reactivated. */
	check(saas_tenant_suspend(ctx, globex_sys, "invoice overdue"), "suspend globex");
	printf("globex suspended (reason: invoice overdue); adding bob to globex:\n");
	expect_error(saas_member_add(NULL, ctx, as_dave, saas_user_id(bob), member, 1),
	             SAAS_ESUSPENDED, "add while suspended");
	check(saas_member_get(&m, ctx, as_dave, saas_user_id(carol)), "read while suspended");
	printf("  reads still work: carol is a %s of globex\n", saas_member_role_at(m, 0));
	saas_member_free(m);
	m = NULL;

	check(saas_tenant_reactivate(ctx, globex_sys), "reactivate globex");
	check(saas_member_add(NULL, ctx, as_dave, saas_user_id(bob), member, 1), "bob globex");
	printf("globex reactivated; bob added to globex\n\n");

	/* ---- 9. Plans and entitlements ------------------------------------------------------
	 * A plan catalogue (stored, versioned; docs/billing.md), a trial of the
	 * pro plan for acme, and checks: globex has no subscription, so it gets
	 * the default plan. Metered usage is recorded once per idempotency key;
	 * a hard limit refuses with SAAS_ELIMIT and says what is used. */
	static const char *const catalog =
		"{\"features\":{\"sso\":{\"kind\":\"boolean\"},\"seats\":{\"kind\":\"limit\"},"
		"\"api_calls\":{\"kind\":\"metered\",\"period\":\"month\"}},"
		"\"plans\":[{\"id\":\"free\",\"name\":\"Free\",\"features\":{\"seats\":5,"
		"\"api_calls\":100}},{\"id\":\"pro\",\"name\":\"Pro\",\"rank\":10,"
		"\"trial_days\":14,\"features\":{\"sso\":true,\"seats\":50,\"api_calls\":100000}}],"
		"\"default_plan\":\"free\",\"permission_features\":{\"sso:*\":\"sso\"}}";
	int64_t catalog_version = 0;
	saas_sub_options trial = SAAS_SUB_OPTIONS_INIT;
	saas_subscription *sub = NULL;
	trial.plan = "pro";
	check(saas_billing_plans_load(&catalog_version, ctx, sys, catalog), "load plans");
	check(saas_subscription_event(&sub, ctx, acme_sys, SAAS_SUB_EV_TRIAL_STARTED, &trial),
	      "start a trial");
	printf("plan catalogue version %lld; acme: %s on %s (access %s)\n",
	       (long long)catalog_version, saas_sub_state_name(saas_subscription_state(sub)),
	       saas_subscription_plan(sub), saas_access_name(saas_subscription_access(sub)));
	saas_subscription_free(sub);
	check(saas_entitlement_check(ctx, acme_sys, "sso", 0), "acme sso");
	printf("  acme may use sso\n");
	printf("  globex (default plan) asks for sso:\n");
	expect_error(saas_entitlement_check(ctx, globex_sys, "sso", 0), SAAS_ELIMIT, "globex sso");
	check(saas_usage_record(NULL, ctx, globex_sys, "api_calls", 100, "import-1", 0),
	      "record usage");
	printf("  globex used its 100 api_calls; one more:\n");
	expect_error(saas_usage_record(NULL, ctx, globex_sys, "api_calls", 1, "import-2", 0),
	             SAAS_ELIMIT, "usage over the limit");
	printf("\n");

	/* ---- 9b. Webhooks ------------------------------------------------------------------
	 * Receiving: verify a delivery's signature over the raw body (here one we
	 * sign ourselves, as Stripe would); a changed body does not verify.
	 * Sending: acme's events go to its endpoints; the worker signs each
	 * request, and its address guard refuses private targets such as this
	 * loopback one (docs/webhooks.md). */
	const char *stripe_secret = "whsec_quickstart";
	const char *body = "{\"id\":\"evt_1\",\"object\":\"event\"}";
	saas_webhook_header *signed_headers = NULL;
	size_t nsigned = 0;
	saas_webhook_result verdict;
	check(saas_webhook_sign(&signed_headers, &nsigned, SAAS_WEBHOOK_STRIPE, &stripe_secret, 1,
	                        body, strlen(body), NULL), "sign");
	check(saas_webhook_verify_once(&verdict, SAAS_WEBHOOK_STRIPE, &stripe_secret, 1,
	                               signed_headers, nsigned, body, strlen(body), NULL), "verify");
	printf("webhooks: %s: %.40s... verifies\n", signed_headers[0].name, signed_headers[0].value);
	printf("  the same header on another body:\n");
	expect_error(saas_webhook_verify_once(&verdict, SAAS_WEBHOOK_STRIPE, &stripe_secret, 1,
	                                      signed_headers, nsigned, "{}", 2, NULL),
	             SAAS_ESIGNATURE, "verify a changed body");
	saas_free(signed_headers);
	const char *member_events = "member.*";
	char *endpoint_id = NULL;
	saas_webhook_worker_stats sent;
	check(saas_webhook_endpoint_add(&endpoint_id, NULL, ctx, acme_sys, "http://127.0.0.1:9/hooks",
	                                &member_events, 1, "demo"), "add an endpoint");
	check(saas_member_set_roles(ctx, as_alice, saas_user_id(bob), member, 1), "bob member");
	check(saas_webhook_worker_run(ctx, NULL, &sent), "deliver");
	printf("  endpoint %s: %llu delivery, %llu attempt, refused by the address guard "
	       "(127.0.0.1 is loopback); it would retry in 5 s\n\n", endpoint_id,
	       (unsigned long long)sent.fanned_out, (unsigned long long)sent.attempts);
	saas_free(endpoint_id);

	/* ---- 10. Export -------------------------------------------------------------------
	 * One JSON document of everything a tenant owns (for data portability
	 * requests, backups, or moving a tenant). Here we just count the rows. */
	char *export_text = NULL;
	check(saas_tenant_export(&export_text, ctx, as_alice), "export acme");

	json_error_t jerr;
	json_t *doc = json_loads(export_text, 0, &jerr);
	if (!doc) {
		fprintf(stderr, "export is not JSON: %s (line %d)\n", jerr.text, jerr.line);
		return 1;
	}
	printf("export of acme: %zu bytes, format %s v%lld, tables:\n", strlen(export_text),
	       json_string_value(json_object_get(doc, "format")),
	       (long long)json_integer_value(json_object_get(doc, "version")));
	const char *table;
	json_t *rows;
	json_object_foreach(json_object_get(doc, "tables"), table, rows)
		printf("  %-14s %zu row%s\n", table, json_array_size(rows),
		       json_array_size(rows) == 1 ? "" : "s");
	json_decref(doc);
	saas_free(export_text);
	printf("\n");

	/* ---- 11. Listing tenants -----------------------------------------------------------
	 * An operator's view across the deployment, oldest first, a page at a time
	 * (-1: every status; pass next_cursor back for the next page). */
	saas_tenant_page *page = NULL;
	check(saas_admin_tenant_list(&page, ctx, sys, -1, NULL, 100), "list tenants");
	printf("tenants:\n");
	for (size_t i = 0; i < saas_tenant_page_count(page); i++) {
		const saas_tenant *t = saas_tenant_page_at(page, i);
		printf("  %-7s %-18s %s  %s\n", saas_tenant_slug(t), saas_tenant_name(t),
		       saas_tenant_id(t), saas_tenant_status_name(saas_tenant_status_of(t)));
	}
	saas_tenant_page_free(page);
	printf("\n");

	/* ---- 12. Metrics ------------------------------------------------------------------
	 * The library counts its own work; serve this text on /metrics for
	 * Prometheus. We print the first few lines, skipping histogram buckets. */
	char *prom = NULL;
	check(saas_metrics_prometheus(&prom, ctx), "metrics");
	printf("metrics (Prometheus text, first lines):\n");
	int shown = 0;
	for (char *line = strtok(prom, "\n"); line && shown < 8; line = strtok(NULL, "\n")) {
		if (strstr(line, "_bucket{"))
			continue;
		printf("  %s\n", line);
		shown++;
	}
	if (shown == 0)
		printf("  (none recorded)\n");
	saas_free(prom);

	/* ---- 13. Cleanup ---------------------------------------------------------------------
	 * Every handle has its _free; all accept NULL. The context goes last. */
	saas_invitation_free(inv);
	saas_user_free(alice);
	saas_user_free(bob);
	saas_user_free(carol);
	saas_user_free(dave);
	saas_user_free(erin);
	saas_tenant_free(acme);
	saas_tenant_free(globex);
	saas_scope_free(as_alice);
	saas_scope_free(as_dave);
	saas_scope_free(as_erin);
	saas_scope_free(acme_sys);
	saas_scope_free(globex_sys);
	saas_scope_free(sys);
	saas_ctx_free(ctx);
	printf("\ndone.\n");
	return 0;
}
