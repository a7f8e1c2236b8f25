/* Shared fixtures of the Check suites. */
#ifndef SAAS_TEST_HELPERS_H
#define SAAS_TEST_HELPERS_H

#include <check.h>
#include <stdint.h>

#include "saas.h"

/* A settable clock for tests: starts at 2026-01-01T00:00:00Z. */
extern int64_t th_clock_ms;
int64_t th_clock(void *payload);
void th_clock_advance(int64_t ms);

/* Open a context on `url` with the test clock. "sqlite:" alone means a fresh
 * temporary file (deleted by th_close). Fails the test on error. */
saas_ctx *th_open(const char *url);
void th_close(saas_ctx *ctx);
/* The auth policy th_open gives contexts (saas/auth.h): by default
 * TH_FAST_AUTH_POLICY, libsodium's smallest Argon2id cost, so that tests
 * hash quickly; a test may point it elsewhere before th_open. */
#define TH_FAST_AUTH_POLICY                                                           \
	"{\"password\":{\"opslimit\":1,\"memlimit\":8192},"                        \
	"\"recovery_codes\":{\"opslimit\":1,\"memlimit\":8192}}"
extern const char *th_auth_policy;
/* The temporary file th_open("sqlite:") made last. */
const char *th_sqlite_path(void);
/* The backend URL the conformance suite runs on (argv[1], default memory:). */
extern const char *th_url;

/* Remove a SQLite database file and its -wal and -shm companions. */
void th_remove_db(const char *path);

/* A system scope (no tenant) and a tenant scope; freed by th_close. */
saas_scope *th_system(void);
saas_scope *th_scope(const char *tenant_id);

/* Create a tenant / a user; abort the test on failure. Returned strings are
 * owned by the fixture (freed by th_close). */
const char *th_tenant(saas_ctx *ctx, const char *slug);
const char *th_user(saas_ctx *ctx, const char *email);

/* Give the tenant's audit stream a row in every audit table: purge its
 * events so far under a signed retention anchor (after advancing the test
 * clock), then sign a checkpoint of what follows. Uses a throwaway key,
 * through SAAS_AUDIT_SIGNING_KEY (which the context reads once). */
void th_audit_anchor_and_checkpoint(saas_ctx *ctx, const char *tenant_id);

/* Give the tenant a custom role, "custom" (project:read, inheriting viewer). */
void th_custom_role(saas_ctx *ctx, const char *tenant_id);
/* Give support staff "helpdesk" a grant of role viewer for a day (a row of support_grants). */
void th_support_grant(saas_ctx *ctx, const char *tenant_id);

/* Give the tenant an API key (a row of api_keys) made by `user_id`, a member
 * allowed member:read. */
void th_apikey(saas_ctx *ctx, const char *tenant_id, const char *user_id);

/* The text of file `rel` under the source tree ($SAAS_SOURCE_ROOT, which
 * meson sets); fails the test when it cannot be read. Free with free(). */
char *th_source_file(const char *rel);
/* The Stripe fixture tests/fixtures/stripe/`name` with every TENANT_ID
 * replaced by `tenant_id`. Free with free(). */
char *th_stripe_fixture(const char *name, const char *tenant_id);

/* Give the tenant a row in every billing table: a plan catalogue (loaded
 * once per context), a subscription from a Stripe event (with its customer
 * link and applied event), an override and a usage record. */
void th_billing(saas_ctx *ctx, const char *tenant_id);

/* Give the tenant a row in every webhook table: an endpoint (to a
 * loopback address the worker's guard refuses), its secrets, a delivery of
 * an event recorded after it, and that delivery's refused attempt. */
void th_webhook(saas_ctx *ctx, const char *tenant_id);

/* Assert that `expr` returns `code`, printing the last error on mismatch. */
#define ck_rc(expr, code)                                                              \
	do {                                                                           \
		int rc_ = (expr);                                                      \
		ck_assert_msg(rc_ == (code), "%s returned %s (%s), expected %s", #expr, \
		              saas_code_name(rc_), saas_error_message(saas_error_last()), \
		              saas_code_name(code));                                  \
	} while (0)
#define ck_ok(expr) ck_rc(expr, SAAS_OK)

/* Assert the last error names `field`. */
#define ck_field(name)                                                              \
	ck_assert_str_eq(saas_error_field(saas_error_last()) ? saas_error_field(saas_error_last()) : "(none)", name)

/* Run a suite; returns the process exit status. */
int th_run(Suite *s);

/* The backends th_run_on runs a suite on. */
#define TH_MEMORY 1u
#define TH_SQLITE 2u
#define TH_POSTGRES 4u /* only when SAAS_TEST_POSTGRES_URL is set */

/* Run the suite `make` builds once on each backend of `which`, setting *url
 * to the backend's URL first; EXIT_SUCCESS when every run passed. */
int th_run_on(unsigned which, const char **url, Suite *(*make)(void));

#endif
