/* Shared fixtures of the Check suites. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "store/store.h"

int64_t th_clock_ms = 1767225600000LL; /* 2026-01-01T00:00:00Z */
const char *th_url = "memory:";

#define MAX_OWNED 256
static char *owned[MAX_OWNED];
static size_t nowned;
static saas_scope *scopes[MAX_OWNED];
static size_t nscopes;
static char tmp_path[256];

int64_t th_clock(void *payload)
{
	(void)payload;
	return th_clock_ms;
}

void th_clock_advance(int64_t ms)
{
	th_clock_ms += ms;
}

static const char *own(char *s)
{
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_lt(nowned, MAX_OWNED);
	owned[nowned++] = s;
	return s;
}

/* PostgreSQL keeps its data between tests, and each test expects an empty
 * database. The application role cannot empty it (row-level security shows it
 * one tenant at a time), so the owner (SAAS_TEST_POSTGRES_OWNER_URL, set by
 * tests/conformance/run-postgres.sh) truncates every library table, through
 * the library's own store (no libpq here). Migrations stay applied. */
const char *th_auth_policy = TH_FAST_AUTH_POLICY;

const char *th_sqlite_path(void)
{
	return tmp_path;
}

static void pg_truncate(void)
{
	const char *owner = getenv("SAAS_TEST_POSTGRES_OWNER_URL");
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *c = NULL;
	saas_tx *tx = NULL;

	ck_assert_msg(owner && *owner,
	              "SAAS_TEST_POSTGRES_OWNER_URL is not set: a PostgreSQL test needs the "
	              "owner's URL to empty the database between tests");
	ck_ok(saas_ctx_open(&c, owner, &o));
	ck_ok(saas__tx_begin(&tx, c, NULL, true));
	/* Every table of the schema but the migrations' record, so tables added
	 * later are emptied too. */
	ck_ok(saas__store_exec_script(
		tx, "DO $$ BEGIN EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('%I', tablename), ', ')"
		    " || ' CASCADE' FROM pg_tables WHERE schemaname = current_schema()"
		    " AND tablename <> 'saas_schema_migrations'); END $$"));
	ck_ok(saas__tx_commit(tx));
	saas_ctx_free(c);
}

saas_ctx *th_open(const char *url)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_ctx *ctx = NULL;
	char buf[300];

	o.clock = th_clock;
	o.auth_policy = th_auth_policy;
	th_clock_ms = 1767225600000LL;
	if (strcmp(url, "sqlite:") == 0) {
		snprintf(tmp_path, sizeof tmp_path, "/tmp/saas-test-%d-XXXXXX", (int)getpid());
		int fd = mkstemp(tmp_path);
		ck_assert_int_ge(fd, 0);
		close(fd);
		snprintf(buf, sizeof buf, "sqlite:%s", tmp_path);
		url = buf;
	}
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		pg_truncate();
	ck_ok(saas_ctx_open(&ctx, url, &o));
	return ctx;
}

void th_close(saas_ctx *ctx)
{
	saas_ctx_free(ctx);
	for (size_t i = 0; i < nowned; i++)
		saas_free(owned[i]);
	nowned = 0;
	for (size_t i = 0; i < nscopes; i++)
		saas_scope_free(scopes[i]);
	nscopes = 0;
	if (tmp_path[0]) {
		th_remove_db(tmp_path);
		tmp_path[0] = '\0';
	}
}

saas_scope *th_system(void)
{
	saas_scope *s;
	ck_assert_msg(nscopes < sizeof scopes / sizeof scopes[0],
	              "too many th_system()/th_scope() scopes in one test: keep one");
	ck_ok(saas_scope_new(&s, NULL, SAAS_ACTOR_SYSTEM, "test"));
	scopes[nscopes++] = s;
	return s;
}

saas_scope *th_scope(const char *tenant_id)
{
	saas_scope *s;
	ck_assert_msg(nscopes < sizeof scopes / sizeof scopes[0],
	              "too many th_system()/th_scope() scopes in one test: keep one");
	ck_ok(saas_scope_new(&s, tenant_id, SAAS_ACTOR_SYSTEM, "test"));
	scopes[nscopes++] = s;
	return s;
}

const char *th_tenant(saas_ctx *ctx, const char *slug)
{
	saas_tenant *t;
	ck_ok(saas_tenant_create(&t, ctx, th_system(), slug, slug));
	const char *id = own(strdup(saas_tenant_id(t)));
	saas_tenant_free(t);
	return id;
}

const char *th_user(saas_ctx *ctx, const char *email)
{
	saas_user *u;
	ck_ok(saas_user_create(&u, ctx, th_system(), email, "Test User"));
	const char *id = own(strdup(saas_user_id(u)));
	saas_user_free(u);
	return id;
}

int th_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void th_audit_anchor_and_checkpoint(saas_ctx *ctx, const char *tenant_id)
{
	char *sec, *pub;
	int64_t n, seq;

	ck_ok(saas_audit_keygen(&sec, &pub, "test"));
	setenv("SAAS_AUDIT_SIGNING_KEY", sec, 1);
	th_clock_advance(1000);
	ck_ok(saas_audit_purge(&n, ctx, th_scope(tenant_id), th_clock_ms));
	ck_assert_int_gt(n, 0);
	ck_ok(saas_audit_checkpoint(&seq, ctx, th_scope(tenant_id)));
	unsetenv("SAAS_AUDIT_SIGNING_KEY");
	saas_free_secret(sec);
	saas_free(pub);
}

int th_run_on(unsigned which, const char **url, Suite *(*make)(void))
{
	const char *pg = getenv("SAAS_TEST_POSTGRES_URL");
	const char *urls[3] = {"memory:", "sqlite:", pg && *pg ? pg : NULL};
	int rc = EXIT_SUCCESS;

	for (unsigned i = 0; i < 3; i++) {
		if (!(which & (1u << i)) || !urls[i])
			continue;
		*url = urls[i];
		if (th_run(make()) != EXIT_SUCCESS)
			rc = EXIT_FAILURE;
	}
	return rc;
}

void th_custom_role(saas_ctx *ctx, const char *tenant_id)
{
	static const char *const perms[] = {"project:read"};
	static const char *const inherits[] = {"viewer"};

	ck_ok(saas_role_create(ctx, th_scope(tenant_id), "custom", perms, 1, inherits, 1));
}

void th_support_grant(saas_ctx *ctx, const char *tenant_id)
{
	char *id;

	ck_ok(saas_support_grant(&id, ctx, th_scope(tenant_id), "helpdesk", "viewer",
	                         saas_ctx_now(ctx) + 24 * 3600 * 1000LL));
	saas_free(id);
}

void th_apikey(saas_ctx *ctx, const char *tenant_id, const char *user_id)
{
	static const char *const perms[] = {"member:read"};
	saas_scope *s;
	char *key;

	ck_ok(saas_scope_new(&s, tenant_id, SAAS_ACTOR_USER, user_id));
	ck_ok(saas_apikey_create(&key, NULL, ctx, s, "th", perms, 1, 0));
	saas_free_secret(key);
	saas_scope_free(s);
}

void th_remove_db(const char *path)
{
	char p[4096];

	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

void th_billing(saas_ctx *ctx, const char *tenant_id)
{
	static const char *const catalog =
		"{\"features\":{\"seats\":{\"kind\":\"limit\"},"
		"\"api_calls\":{\"kind\":\"metered\",\"period\":\"month\"}},"
		"\"plans\":[{\"id\":\"pro\",\"name\":\"Pro\",\"prices\":{\"stripe\":[\"price_th\"]},"
		"\"features\":{\"seats\":\"unlimited\",\"api_calls\":1000}}]}";
	char event[1024], cus[64], evt[64], sub[64];

	ck_ok(saas_billing_plans_load(NULL, ctx, th_system(), catalog));
	/* ids unique per tenant (the tests use several) */
	snprintf(cus, sizeof cus, "cus_%s", tenant_id + 4);
	snprintf(evt, sizeof evt, "evt_%s", tenant_id + 4);
	snprintf(sub, sizeof sub, "sub_%s", tenant_id + 4);
	snprintf(event, sizeof event,
	         "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"customer.subscription.created\","
	         "\"created\":%lld,\"data\":{\"object\":{\"id\":\"%s\",\"object\":\"subscription\","
	         "\"status\":\"active\",\"customer\":\"%s\",\"created\":%lld,"
	         "\"metadata\":{\"tenant_id\":\"%s\"},\"items\":{\"object\":\"list\",\"data\":["
	         "{\"price\":{\"id\":\"price_th\"},\"quantity\":1}]}}}}",
	         evt, (long long)(th_clock_ms / 1000), sub, cus, (long long)(th_clock_ms / 1000),
	         tenant_id);
	ck_ok(saas_billing_stripe_apply(NULL, ctx, th_system(), event, strlen(event), NULL));
	ck_ok(saas_entitlement_override_set(ctx, th_scope(tenant_id), "api_calls", "2000", 0, NULL));
	ck_ok(saas_usage_record(NULL, ctx, th_scope(tenant_id), "api_calls", 1, "th", 0));
}

void th_webhook(saas_ctx *ctx, const char *tenant_id)
{
	const char *all = "*";
	saas_webhook_worker_stats st;
	saas_scope *scope = th_scope(tenant_id);
	char *id, *secret;

	ck_ok(saas_webhook_endpoint_add(&id, NULL, ctx, scope, "http://127.0.0.1:9/th", &all, 1, NULL));
	/* an event after the endpoint: a delivery */
	ck_ok(saas_webhook_endpoint_rotate_secret(&secret, ctx, scope, id, 60));
	ck_ok(saas_webhook_worker_run(ctx, NULL, &st));
	ck_assert_uint_ge(st.attempts, 1);
	ck_assert_uint_ge(st.retrying, 1);
	saas_free(id);
	saas_free_secret(secret);
}

char *th_source_file(const char *rel)
{
	const char *root = getenv("SAAS_SOURCE_ROOT");
	char path[4096], *buf;
	FILE *f;
	long n;

	ck_assert_msg(root != NULL, "SAAS_SOURCE_ROOT is not set (meson sets it)");
	snprintf(path, sizeof path, "%s/%s", root, rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

char *th_stripe_fixture(const char *name, const char *tenant_id)
{
	char rel[512], *raw, *out, *o;
	const char *p, *hit;
	size_t n = strlen(tenant_id);

	snprintf(rel, sizeof rel, "tests/fixtures/stripe/%s", name);
	raw = th_source_file(rel);
	out = o = malloc(strlen(raw) * (n > 9 ? n : 9) / 9 + 1);
	ck_assert_ptr_nonnull(out);
	for (p = raw; (hit = strstr(p, "TENANT_ID")); p = hit + 9) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, tenant_id, n);
		o += n;
	}
	strcpy(o, p);
	free(raw);
	return out;
}
