/*
 * Identity primitives in the store (saas/auth.h): passwords and sign-in
 * (same answer and time for an unknown email, rate limits per account and
 * IP, rehash on success), sessions (validation, last seen, idle and absolute
 * expiry, rotation, revoke one and all, the list), API keys (creation
 * bounded by the creator, verification, revocation, expiry, authorization
 * of a key), the shared rate limiter under threads and processes, and the
 * audit events. Runs on memory:, a SQLite file and PostgreSQL when set.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "store/store_auth.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

static const char *url = "memory:";
static saas_ctx *ctx;
static const char *tenant, *alice, *bob; /* alice owner, bob viewer */

static const char *const OWNER[] = {"owner"};
static const char *const VIEWER[] = {"viewer"};
static const char *const MEMBER[] = {"member"};

static void setup(void)
{
	ctx = th_open(url);
	tenant = th_tenant(ctx, "acme");
	alice = th_user(ctx, "alice@example.com");
	bob = th_user(ctx, "bob@example.com");
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), alice, OWNER, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(tenant), bob, VIEWER, 1));
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
}

/* Events of `action` in a stream (NULL tenant: the deployment's). */
static int64_t events(const char *tenant_id, const char *action)
{
	saas_tx *tx;
	int64_t n = -1;

	ck_ok(saas__tx_begin(&tx, ctx, tenant_id ? tenant_id : SAAS_SYSTEM_TENANT_ID, false));
	ck_ok(saas__st_audit_count(&n, tx, action));
	saas__tx_rollback(tx);
	return n;
}

static saas_scope *user_scope(const char *user)
{
	static saas_scope *s[8];
	static int i;

	saas_scope_free(s[i % 8]);
	ck_ok(saas_scope_new(&s[i % 8], tenant, SAAS_ACTOR_USER, user));
	return s[i++ % 8];
}

static int login(char **token, const char *email, const char *pw, const char *ip)
{
	saas_login_request r = SAAS_LOGIN_REQUEST_INIT;

	r.email = email;
	r.password = pw;
	r.password_len = pw ? strlen(pw) : 0;
	r.ip = ip;
	r.tenant_id = tenant;
	return saas_login(token, NULL, NULL, ctx, &r);
}

/* ---- passwords and sign-in ---------------------------------------------------------- */

START_TEST(password_and_login)
{
	saas_session *s;
	char *tok = NULL, msg[256];
	saas_login_request r = SAAS_LOGIN_REQUEST_INIT;

	ck_ok(saas_password_set(ctx, th_system(), alice, "correct horse", 13));
	ck_assert_int_eq(events(NULL, "user.password_changed"), 1);
	ck_ok(login(&tok, "Alice@Example.com ", "correct horse", "192.0.2.1"));
	ck_assert(strncmp(tok, "sst_", 4) == 0);
	ck_ok(saas_session_validate(&s, ctx, tok));
	ck_assert_str_eq(saas_session_user_id(s), alice);
	ck_assert_str_eq(saas_session_tenant_id(s), tenant);
	ck_assert_str_eq(saas_session_ip(s), "192.0.2.1");
	ck_assert_int_eq(saas_session_mfa(s), 0);
	saas_session_free(s);
	ck_assert_int_eq(events(NULL, "auth.login"), 1);
	saas_free_secret(tok);

	/* wrong password, unknown email, no password: one answer */
	ck_rc(login(&tok, "alice@example.com", "wrong horse", NULL), SAAS_ESIGNATURE);
	ck_field("credentials");
	ck_assert_ptr_null(tok);
	snprintf(msg, sizeof msg, "%s", saas_error_message(saas_error_last()));
	ck_rc(login(&tok, "nobody@example.com", "wrong horse", NULL), SAAS_ESIGNATURE);
	ck_field("credentials");
	ck_assert_str_eq(saas_error_message(saas_error_last()), msg);
	ck_rc(login(&tok, "bob@example.com", "wrong horse", NULL), SAAS_ESIGNATURE);
	ck_assert_str_eq(saas_error_message(saas_error_last()), msg);
	ck_assert_msg(strstr(msg, "wrong horse") == NULL, "the password is in the message");
	/* failures are audited although nothing else committed */
	ck_assert_int_eq(events(NULL, "auth.login_failed"), 3);

	/* bad requests */
	ck_rc(saas_login(&tok, NULL, NULL, ctx, NULL), SAAS_EINVAL);
	ck_rc(saas_login(NULL, NULL, NULL, ctx, &r), SAAS_EINVAL);
	ck_rc(saas_login(&tok, NULL, NULL, NULL, &r), SAAS_EINVAL);
	r.email = "not an email";
	ck_rc(saas_login(&tok, NULL, NULL, ctx, &r), SAAS_EINVAL);
	ck_field("email");
	r.email = "alice@example.com";
	r.ip = "300.1.1.1";
	ck_rc(saas_login(&tok, NULL, NULL, ctx, &r), SAAS_EINVAL);
	r.ip = NULL;
	r.tenant_id = "nope";
	ck_rc(saas_login(&tok, NULL, NULL, ctx, &r), SAAS_EINVAL);
	ck_field("tenant_id");
	r.version = 99;
	ck_rc(saas_login(&tok, NULL, NULL, ctx, &r), SAAS_EINVAL);
	ck_rc(saas_login_request_init(&r, 99), SAAS_EINVAL);
	ck_ok(saas_login_request_init(&r, SAAS_LOGIN_REQUEST_VERSION));

	/* saas_password_set's refusals */
	ck_rc(saas_password_set(ctx, th_system(), alice, "short", 5), SAAS_EINVAL);
	ck_field("password");
	ck_rc(saas_password_set(ctx, th_system(), "usr_nope", "long enough", 11), SAAS_EINVAL);
	ck_field("user_id");
	{
		char *ghost;

		ck_ok(saas_id_new(&ghost, ctx, "usr"));
		ck_rc(saas_password_set(ctx, th_system(), ghost, "long enough", 11), SAAS_ENOTFOUND);
		saas_free(ghost);
	}
	ck_rc(saas_password_set(ctx, NULL, alice, "long enough", 11), SAAS_EINVAL);
	ck_rc(saas_password_set(NULL, th_system(), alice, "long enough", 11), SAAS_EINVAL);
}
END_TEST

START_TEST(password_change_revokes_sessions)
{
	char *tok;
	saas_session *s;

	ck_ok(saas_password_set(ctx, th_system(), alice, "correct horse", 13));
	ck_ok(login(&tok, "alice@example.com", "correct horse", NULL));
	ck_ok(saas_session_validate(&s, ctx, tok));
	saas_session_free(s);
	ck_ok(saas_password_set(ctx, th_system(), alice, "battery staple", 14));
	ck_rc(saas_session_validate(&s, ctx, tok), SAAS_EEXPIRED);
	saas_free_secret(tok);
	ck_rc(login(&tok, "alice@example.com", "correct horse", NULL), SAAS_ESIGNATURE);
	ck_ok(login(&tok, "alice@example.com", "battery staple", NULL));
	saas_free_secret(tok);
}
END_TEST

START_TEST(login_rate_limits)
{
	char *tok;
	int64_t retry = 0;
	saas_login_request r = SAAS_LOGIN_REQUEST_INIT;

	ck_ok(saas_password_set(ctx, th_system(), alice, "correct horse", 13));
	/* the account's burst is 10: the 11th attempt is refused before hashing */
	for (int i = 0; i < 10; i++)
		ck_rc(login(&tok, "alice@example.com", "wrong horse", NULL), SAAS_ESIGNATURE);
	r.email = "alice@example.com";
	r.password = "correct horse";
	r.password_len = 13;
	ck_rc(saas_login(&tok, NULL, &retry, ctx, &r), SAAS_ERATELIMIT);
	ck_field("email");
	ck_assert_int_gt(retry, 0);
	ck_assert_int_le(retry, 90 * 1000);
	ck_assert(strstr(saas_error_message(saas_error_last()), "retry in") != NULL);
	/* an unknown email is limited the same way */
	for (int i = 0; i < 10; i++)
		ck_rc(login(&tok, "ghost@example.com", "x", NULL), SAAS_ESIGNATURE);
	ck_rc(login(&tok, "ghost@example.com", "x", NULL), SAAS_ERATELIMIT);
	/* after the emission interval (15 min / 10), one more attempt */
	th_clock_advance(90 * 1000);
	ck_ok(saas_login(&tok, NULL, &retry, ctx, &r));
	ck_assert_int_eq(retry, 0);
	saas_free_secret(tok);
	/* success cleared the account's count */
	for (int i = 0; i < 10; i++)
		ck_rc(login(&tok, "alice@example.com", "wrong horse", NULL), SAAS_ESIGNATURE);

	/* per IP: a burst of 30 over any accounts */
	for (int i = 0; i < 30; i++) {
		char email[64];

		snprintf(email, sizeof email, "u%d@example.com", i);
		ck_rc(login(&tok, email, "x", "198.51.100.7"), SAAS_ESIGNATURE);
	}
	ck_rc(login(&tok, "other@example.com", "x", "198.51.100.7"), SAAS_ERATELIMIT);
	ck_field("ip");
	ck_rc(login(&tok, "other@example.com", "x", "198.51.100.8"), SAAS_ESIGNATURE);
	ck_assert_int_ge(events(NULL, "auth.login_failed"), 53);
}
END_TEST

START_TEST(rehash_on_login)
{
	saas_password_params weak = SAAS_PASSWORD_PARAMS_INIT;
	char *h, *stored, *tok;
	saas_tx *tx;

	weak.opslimit = 2;
	weak.memlimit = 16384;
	ck_ok(saas_password_hash(&h, "correct horse", 13, &weak));
	ck_ok(saas__tx_begin(&tx, ctx, NULL, true));
	ck_ok(saas__st_password_put(tx, alice, h, 0));
	ck_ok(saas__tx_commit(tx));
	ck_ok(login(&tok, "alice@example.com", "correct horse", NULL));
	saas_free_secret(tok);
	ck_ok(saas__tx_begin(&tx, ctx, NULL, false));
	ck_ok(saas__st_password_get(&stored, tx, alice));
	saas__tx_rollback(tx);
	ck_assert_str_ne(stored, h);
	ck_assert(strstr(stored, "m=8,t=1") != NULL); /* the test policy's cost */
	free(stored);
	saas_free(h);
	ck_ok(login(&tok, "alice@example.com", "correct horse", NULL));
	saas_free_secret(tok);
}
END_TEST

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

START_TEST(unknown_email_takes_as_long)
{
	/* a cost long enough to time (1 MiB), limits out of the way */
	static const char *policy =
		"{\"password\":{\"opslimit\":2,\"memlimit\":1048576},"
		"\"login\":{\"account\":{\"count\":1000,\"period_seconds\":1,\"burst\":1000}}}";
	enum { RUNS = 21 };
	int64_t known[RUNS], unknown[RUNS];
	double ratio;
	char *tok;

	th_close(ctx);
	th_auth_policy = policy;
	setup();
	th_auth_policy = TH_FAST_AUTH_POLICY;
	ck_ok(saas_password_set(ctx, th_system(), alice, "correct horse", 13));
	ck_rc(login(&tok, "alice@example.com", "wrong horse", NULL), SAAS_ESIGNATURE);
	ck_rc(login(&tok, "ghost@example.com", "wrong horse", NULL), SAAS_ESIGNATURE);
	for (int i = 0; i < RUNS; i++) {
		for (int k = 0; k < 2; k++) {
			int64_t t0 = now_ns();

			if ((k ^ (i & 1)) == 0) {
				ck_rc(login(&tok, "alice@example.com", "wrong horse", NULL),
				      SAAS_ESIGNATURE);
				known[i] = now_ns() - t0;
			} else {
				ck_rc(login(&tok, "ghost@example.com", "wrong horse", NULL),
				      SAAS_ESIGNATURE);
				unknown[i] = now_ns() - t0;
			}
		}
	}
	qsort(known, RUNS, sizeof known[0], cmp_i64);
	qsort(unknown, RUNS, sizeof unknown[0], cmp_i64);
	ratio = (double)unknown[RUNS / 2] / (double)known[RUNS / 2];
	ck_assert_msg(ratio > 0.4 && ratio < 2.5,
	              "unknown email: median %lld ns; known email, wrong password: %lld ns (%.2f)",
	              (long long)unknown[RUNS / 2], (long long)known[RUNS / 2], ratio);
}
END_TEST

/* ---- sessions ----------------------------------------------------------------------- */

START_TEST(sessions)
{
	saas_session *s, **list;
	saas_scope *sc;
	char *t1, *t2, *t3;
	size_t n;
	int64_t count, created;

	ck_ok(saas_session_create(&t1, &s, ctx, th_system(), alice, tenant, 1));
	ck_assert_int_eq(strlen(t1), 47);
	created = saas_session_created_at(s);
	ck_assert_int_eq(saas_session_expires_at(s), created + 7 * 24 * HOUR_MS);
	ck_assert_int_eq(saas_session_idle_expires_at(s), created + 12 * HOUR_MS);
	saas_session_free(s);
	ck_ok(saas_session_create(&t2, NULL, ctx, th_system(), alice, NULL, 0));
	ck_ok(saas_session_create(&t3, NULL, ctx, th_system(), bob, NULL, 0));
	ck_assert_int_eq(events(NULL, "session.created"), 3);

	/* validation, and the scope to use */
	ck_ok(saas_session_validate(&s, ctx, t1));
	ck_assert_int_eq(saas_session_mfa(s), 1);
	ck_ok(saas_session_scope(&sc, s, NULL));
	ck_assert_str_eq(saas_scope_tenant_id(sc), tenant);
	ck_assert_str_eq(saas_scope_actor_id(sc), alice);
	ck_assert_int_eq(saas_scope_actor_type(sc), SAAS_ACTOR_USER);
	ck_ok(saas_authorize(NULL, ctx, sc, "member:invite"));
	saas_scope_free(sc);
	saas_session_free(s);
	ck_ok(saas_session_validate(&s, ctx, t2));
	ck_rc(saas_session_scope(&sc, s, NULL), SAAS_EINVAL);
	ck_field("tenant_id");
	ck_ok(saas_session_scope(&sc, s, tenant));
	saas_scope_free(sc);
	saas_session_free(s);

	/* last seen: written at most once a minute */
	th_clock_advance(30 * 1000);
	ck_ok(saas_session_validate(&s, ctx, t1));
	ck_assert_int_eq(saas_session_last_seen_at(s), created);
	saas_session_free(s);
	th_clock_advance(31 * 1000);
	ck_ok(saas_session_validate(&s, ctx, t1));
	ck_assert_int_eq(saas_session_last_seen_at(s), created + 61 * 1000);
	saas_session_free(s);

	/* the list */
	ck_ok(saas_session_list(&list, &n, ctx, alice));
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(saas_session_last_seen_at(list[0]) + saas_session_last_seen_at(list[1]),
	                 2 * created + 61 * 1000);
	saas_session_list_free(list, n);

	/* revoke all but one, then the one */
	ck_ok(saas_session_validate(&s, ctx, t2));
	ck_ok(saas_session_revoke_all(&count, ctx, th_system(), alice, saas_session_id(s)));
	ck_assert_int_eq(count, 1);
	{
		saas_session *x = NULL;

		ck_rc(saas_session_validate(&x, ctx, t1), SAAS_EEXPIRED);
		ck_assert_ptr_null(x);
	}
	ck_field("token");
	ck_assert(strstr(saas_error_message(saas_error_last()), "revoked") != NULL);
	ck_ok(saas_session_revoke(ctx, th_system(), saas_session_id(s)));
	ck_rc(saas_session_revoke(ctx, th_system(), saas_session_id(s)), SAAS_ENOTFOUND);
	saas_session_free(s);
	ck_rc(saas_session_validate(&s, ctx, t2), SAAS_EEXPIRED);
	ck_ok(saas_session_validate(&s, ctx, t3)); /* bob's untouched */
	saas_session_free(s);
	ck_ok(saas_session_revoke_all(&count, ctx, th_system(), alice, NULL));
	ck_assert_int_eq(count, 0);
	ck_assert_int_eq(events(NULL, "session.revoked"), 1);
	ck_assert_int_eq(events(NULL, "session.revoked_all"), 2);
	ck_ok(saas_session_list(&list, &n, ctx, alice));
	ck_assert_uint_eq(n, 0);
	saas_session_list_free(list, n);
	saas_free_secret(t1);
	saas_free_secret(t2);
	saas_free_secret(t3);
}
END_TEST

START_TEST(session_expiry_and_rotation)
{
	saas_session *s, *s2;
	char *t1, *t2, *t3;

	ck_ok(saas_session_create(&t1, NULL, ctx, th_system(), alice, NULL, 0));
	/* idle: 12 hours without use */
	th_clock_advance(12 * HOUR_MS);
	ck_rc(saas_session_validate(&s, ctx, t1), SAAS_EEXPIRED);
	ck_assert(strstr(saas_error_message(saas_error_last()), "not used") != NULL);
	saas_free_secret(t1);

	/* absolute: 7 days even when used every few hours */
	ck_ok(saas_session_create(&t1, &s, ctx, th_system(), alice, NULL, 0));
	for (int i = 0; i < 7 * 24 / 6 - 1; i++) {
		th_clock_advance(6 * HOUR_MS);
		ck_ok(saas_session_validate(&s2, ctx, t1));
		saas_session_free(s2);
	}
	/* rotation keeps the absolute expiry and the user, revokes the old token */
	ck_ok(saas_session_rotate(&t2, &s2, ctx, t1, tenant, 1));
	ck_assert_str_ne(saas_session_id(s2), saas_session_id(s));
	ck_assert_int_eq(saas_session_expires_at(s2), saas_session_expires_at(s));
	ck_assert_str_eq(saas_session_tenant_id(s2), tenant);
	ck_assert_int_eq(saas_session_mfa(s2), 1);
	{
		saas_session *x = NULL;

		ck_rc(saas_session_validate(&x, ctx, t1), SAAS_EEXPIRED);
	}
	ck_rc(saas_session_rotate(&t3, NULL, ctx, t1, NULL, 0), SAAS_EEXPIRED);
	ck_assert_int_eq(events(NULL, "session.rotated"), 1);
	saas_session_free(s2);
	th_clock_advance(6 * HOUR_MS);
	ck_rc(saas_session_validate(&s2, ctx, t2), SAAS_EEXPIRED);
	ck_assert(strstr(saas_error_message(saas_error_last()), "absolute") != NULL);
	saas_session_free(s);
	saas_free_secret(t1);
	saas_free_secret(t2);
}
END_TEST

START_TEST(session_refusals)
{
	saas_session *s = NULL, **list;
	char *tok, *ghost, *ses;
	size_t n;

	ck_rc(saas_session_validate(&s, ctx, NULL), SAAS_EINVAL);
	ck_rc(saas_session_validate(&s, ctx, "abc"), SAAS_EINVAL);
	ck_field("token");
	ck_rc(saas_session_validate(&s, ctx, "sst_short"), SAAS_EINVAL);
	ck_rc(saas_session_validate(&s, ctx, "sst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!"),
	      SAAS_EINVAL);
	ck_rc(saas_session_validate(&s, ctx, "sst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	      SAAS_ENOTFOUND);
	ck_field("token");
	ck_rc(saas_session_validate(NULL, ctx, "x"), SAAS_EINVAL);
	ck_rc(saas_session_validate(&s, NULL, "x"), SAAS_EINVAL);
	ck_ok(saas_id_new(&ghost, ctx, "usr"));
	ck_rc(saas_session_create(&tok, NULL, ctx, th_system(), ghost, NULL, 0), SAAS_ENOTFOUND);
	ck_field("user_id");
	ck_rc(saas_session_create(&tok, NULL, ctx, th_system(), "bad", NULL, 0), SAAS_EINVAL);
	ck_rc(saas_session_create(&tok, NULL, ctx, th_system(), alice, "bad", 0), SAAS_EINVAL);
	ck_field("tenant_id");
	ck_rc(saas_session_create(&tok, NULL, ctx, NULL, alice, NULL, 0), SAAS_EINVAL);
	ck_rc(saas_session_create(NULL, NULL, ctx, th_system(), alice, NULL, 0), SAAS_EINVAL);
	ck_rc(saas_session_revoke_all(NULL, ctx, th_system(), ghost, NULL), SAAS_ENOTFOUND);
	ck_rc(saas_session_revoke_all(NULL, ctx, th_system(), alice, "bad"), SAAS_EINVAL);
	ck_ok(saas_id_new(&ses, ctx, "ses"));
	ck_rc(saas_session_revoke(ctx, th_system(), ses), SAAS_ENOTFOUND);
	ck_field("session_id");
	ck_rc(saas_session_revoke(ctx, th_system(), "bad"), SAAS_EINVAL);
	ck_rc(saas_session_list(&list, &n, ctx, "bad"), SAAS_EINVAL);
	ck_rc(saas_session_list(NULL, &n, ctx, alice), SAAS_EINVAL);
	ck_rc(saas_session_rotate(&tok, NULL, ctx, "x", NULL, 0), SAAS_EINVAL);
	ck_rc(saas_session_scope(NULL, NULL, NULL), SAAS_EINVAL);
	/* the getters accept NULL */
	ck_assert_ptr_null(saas_session_id(NULL));
	ck_assert_int_eq(saas_session_idle_expires_at(NULL), 0);
	saas_session_free(NULL);
	saas_session_list_free(NULL, 0);
	saas_free(ghost);
	saas_free(ses);
}
END_TEST

/* ---- API keys -------------------------------------------------------------------------- */

START_TEST(apikeys)
{
	static const char *const perms[] = {"member:read", "project:*"};
	saas_apikey *k, **list;
	saas_decision *d;
	saas_scope *ks;
	char *key, *key2, bad[80];
	size_t n;

	ck_ok(saas_decision_new(&d));
	ck_ok(saas_apikey_create(&key, &k, ctx, user_scope(alice), "ci", perms, 2, 0));
	ck_assert(strncmp(key, "sk_live_", 8) == 0);
	ck_assert(strncmp(key, saas_apikey_prefix(k), strlen(saas_apikey_prefix(k))) == 0);
	ck_assert_uint_eq(saas_apikey_permission_count(k), 2);
	ck_assert_str_eq(saas_apikey_permission(k, 1), "project:*");
	ck_assert_ptr_null(saas_apikey_permission(k, 2));
	ck_assert_str_eq(saas_apikey_created_by(k), alice);
	ck_assert_int_eq(events(tenant, "apikey.created"), 1);
	saas_apikey_free(k);

	/* verification */
	ck_ok(saas_apikey_verify(&k, ctx, key));
	ck_assert_str_eq(saas_apikey_tenant_id(k), tenant);
	ck_assert_str_eq(saas_apikey_name(k), "ci");
	ck_assert_int_eq(saas_apikey_last_used_at(k), saas_ctx_now(ctx));
	ck_ok(saas_apikey_scope(&ks, k));
	ck_assert_int_eq(saas_scope_actor_type(ks), SAAS_ACTOR_APIKEY);

	/* authorization: the key's patterns and its creator's roles */
	ck_ok(saas_authorize(d, ctx, ks, "member:read"));
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_APIKEY);
	ck_assert_str_eq(saas_decision_role(d), "owner");
	ck_ok(saas_authorize(d, ctx, ks, "project:delete"));
	ck_rc(saas_authorize(d, ctx, ks, "member:invite"), SAAS_EDENIED);
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_APIKEY_LACKS);
	ck_assert_str_eq(saas_reason_name(SAAS_REASON_APIKEY_LACKS), "apikey_lacks");
	/* the creator is demoted: the key loses what the creator lost */
	ck_ok(saas_member_set_roles(ctx, th_scope(tenant), bob, OWNER, 1));
	ck_ok(saas_member_set_roles(ctx, th_scope(tenant), alice, VIEWER, 1));
	ck_rc(saas_authorize(d, ctx, ks, "project:delete"), SAAS_EDENIED);
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_APIKEY_CREATOR_LACKS);
	ck_ok(saas_authorize(d, ctx, ks, "member:read"));
	ck_ok(saas_member_set_roles(ctx, th_scope(tenant), alice, OWNER, 1));

	/* a key never exceeds its creator */
	{
		static const char *const too_much[] = {"member:read", "tenant:delete"};
		static const char *const wild[] = {"*"};

		ck_rc(saas_apikey_create(&key2, NULL, ctx, user_scope(bob), "x", too_much, 1, 0),
		      SAAS_OK);
		saas_free_secret(key2);
		ck_ok(saas_member_set_roles(ctx, th_scope(tenant), bob, MEMBER, 1));
		ck_rc(saas_apikey_create(&key2, NULL, ctx, user_scope(bob), "x", too_much, 2, 0),
		      SAAS_EDENIED);
		ck_field("permissions");
		ck_assert(strstr(saas_error_message(saas_error_last()), "tenant:delete") != NULL);
		ck_rc(saas_apikey_create(&key2, NULL, ctx, user_scope(alice), "x", wild, 1, 0),
		      SAAS_OK);
		saas_free_secret(key2);
		ck_rc(saas_apikey_create(&key2, NULL, ctx, th_scope(tenant), "x", too_much, 1, 0),
		      SAAS_EDENIED);
	}

	/* a typo is refused before the store; an unknown key after it */
	snprintf(bad, sizeof bad, "%s", key);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
	{
		saas_apikey *x = NULL;
		char *other;

		ck_rc(saas_apikey_verify(&x, ctx, bad), SAAS_ESIGNATURE);
		ck_field("key");
		ck_assert(strstr(saas_error_message(saas_error_last()), key + 12) == NULL);
		ck_rc(saas_apikey_verify(&x, ctx, "nope"), SAAS_EINVAL);
		ck_ok(saas_apikey_generate(&other, NULL, "live"));
		ck_rc(saas_apikey_verify(&x, ctx, other), SAAS_ENOTFOUND);
		saas_free_secret(other);
	}

	/* the list, then revocation */
	ck_ok(saas_apikey_list(&list, &n, ctx, user_scope(alice)));
	ck_assert_uint_eq(n, 3);
	saas_apikey_list_free(list, n);
	ck_ok(saas_apikey_revoke(ctx, user_scope(alice), saas_apikey_id(k)));
	ck_rc(saas_apikey_revoke(ctx, user_scope(alice), saas_apikey_id(k)), SAAS_ENOTFOUND);
	ck_rc(saas_apikey_revoke(ctx, user_scope(bob), saas_apikey_id(k)), SAAS_EDENIED);
	ck_assert_int_eq(events(tenant, "apikey.revoked"), 1);
	{
		saas_apikey *x = NULL;

		ck_rc(saas_apikey_verify(&x, ctx, key), SAAS_EEXPIRED);
		ck_assert_ptr_null(x);
	}
	ck_assert(strstr(saas_error_message(saas_error_last()), "revoked") != NULL);
	ck_rc(saas_authorize(d, ctx, ks, "member:read"), SAAS_EDENIED);
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_APIKEY_REVOKED);
	saas_scope_free(ks);
	saas_apikey_free(k);
	saas_free_secret(key);
	saas_decision_free(d);
}
END_TEST

START_TEST(apikey_expiry_and_refusals)
{
	static const char *const perms[] = {"member:read"};
	static const char *const badp[] = {"not a permission"};
	saas_apikey *k = NULL, **list;
	saas_decision *d;
	saas_scope *ks;
	char *key = NULL;
	size_t n;
	int64_t now = saas_ctx_now(ctx);

	ck_ok(saas_decision_new(&d));
	ck_ok(saas_apikey_create(&key, NULL, ctx, user_scope(alice), "short", perms, 1,
	                         now + HOUR_MS));
	ck_ok(saas_apikey_verify(&k, ctx, key));
	ck_assert_int_eq(saas_apikey_expires_at(k), now + HOUR_MS);
	ck_ok(saas_apikey_scope(&ks, k));
	saas_apikey_free(k);
	th_clock_advance(HOUR_MS);
	ck_rc(saas_apikey_verify(&k, ctx, key), SAAS_EEXPIRED);
	ck_assert(strstr(saas_error_message(saas_error_last()), "expired") != NULL);
	ck_rc(saas_authorize(d, ctx, ks, "member:read"), SAAS_EDENIED);
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_APIKEY_EXPIRED);
	saas_scope_free(ks);
	saas_free_secret(key);

	/* an id the tenant does not have */
	ck_ok(saas_scope_new(&ks, tenant, SAAS_ACTOR_APIKEY, "key_01JZZZZZZZZZZZZZZZZZZZZZZZ"));
	ck_rc(saas_authorize(d, ctx, ks, "member:read"), SAAS_EDENIED);
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_APIKEY_UNKNOWN);
	saas_scope_free(ks);

	ck_rc(saas_apikey_create(&key, NULL, ctx, user_scope(alice), "", perms, 1, 0), SAAS_EINVAL);
	ck_field("name");
	ck_rc(saas_apikey_create(&key, NULL, ctx, user_scope(alice), "x", perms, 0, 0), SAAS_EINVAL);
	ck_field("permissions");
	ck_rc(saas_apikey_create(&key, NULL, ctx, user_scope(alice), "x", badp, 1, 0), SAAS_EINVAL);
	ck_field("permissions");
	ck_rc(saas_apikey_create(&key, NULL, ctx, user_scope(alice), "x", perms, 1, now),
	      SAAS_EINVAL);
	ck_field("expires_at");
	ck_rc(saas_apikey_create(NULL, NULL, ctx, user_scope(alice), "x", perms, 1, 0), SAAS_EINVAL);
	ck_rc(saas_apikey_create(&key, NULL, NULL, user_scope(alice), "x", perms, 1, 0), SAAS_EINVAL);
	ck_rc(saas_apikey_create(&key, NULL, ctx, NULL, "x", perms, 1, 0), SAAS_EINVAL);
	ck_rc(saas_apikey_revoke(ctx, user_scope(alice), "bad"), SAAS_EINVAL);
	ck_rc(saas_apikey_list(NULL, &n, ctx, user_scope(alice)), SAAS_EINVAL);
	ck_rc(saas_apikey_list(&list, &n, ctx, NULL), SAAS_EINVAL);
	ck_rc(saas_apikey_verify(NULL, ctx, "x"), SAAS_EINVAL);
	ck_rc(saas_apikey_scope(&ks, NULL), SAAS_EINVAL);
	/* a suspended tenant takes no new keys */
	ck_ok(saas_tenant_suspend(ctx, th_scope(tenant), "billing"));
	ck_rc(saas_apikey_create(&key, NULL, ctx, user_scope(alice), "x", perms, 1, 0),
	      SAAS_EDENIED);
	ck_assert(strstr(saas_error_message(saas_error_last()), "suspended") != NULL);
	ck_assert_ptr_null(saas_apikey_id(NULL));
	saas_apikey_free(NULL);
	saas_apikey_list_free(NULL, 0);
	saas_decision_free(d);
}
END_TEST

/* ---- the shared rate limiter ---------------------------------------------------------------- */

static const saas_ratelimit_policy burst5 = {5, 3600 * 1000, 5};

struct taker {
	saas_ctx *ctx;
	int allowed;
};

static void *take_many(void *arg)
{
	struct taker *t = arg;

	for (int i = 0; i < 10; i++) {
		saas_ratelimit_result r;
		int rc = saas_ratelimit_take_shared(&r, t->ctx, "k", &burst5, 1);

		if (rc == SAAS_OK)
			t->allowed++;
		else if (rc != SAAS_ERATELIMIT)
			t->allowed = -1000;
	}
	return NULL;
}

START_TEST(shared_limit_threads)
{
	pthread_t th[4];
	struct taker t[4];
	int total = 0;
	saas_ratelimit_result r;

	for (int i = 0; i < 4; i++) {
		t[i] = (struct taker){ctx, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, take_many, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += t[i].allowed;
	}
	/* the clock stands still: exactly the burst */
	ck_assert_int_eq(total, 5);
	ck_rc(saas_ratelimit_take_shared(&r, ctx, "k", &burst5, 1), SAAS_ERATELIMIT);
	ck_assert_int_eq(r.allowed, 0);
	ck_assert_int_eq(r.retry_after_ms, 720 * 1000);
	th_clock_advance(720 * 1000);
	ck_ok(saas_ratelimit_take_shared(&r, ctx, "k", &burst5, 1));
	ck_ok(saas_ratelimit_reset_shared(ctx, "k"));
	ck_ok(saas_ratelimit_take_shared(&r, ctx, "k", &burst5, 5));
	ck_rc(saas_ratelimit_take_shared(&r, ctx, "k", &burst5, 6), SAAS_EINVAL);
	ck_rc(saas_ratelimit_take_shared(&r, NULL, "k", &burst5, 1), SAAS_EINVAL);
	ck_rc(saas_ratelimit_take_shared(&r, ctx, "", &burst5, 1), SAAS_EINVAL);
	ck_rc(saas_ratelimit_take_shared(&r, ctx, "k", NULL, 1), SAAS_EINVAL);
	ck_rc(saas_ratelimit_reset_shared(ctx, NULL), SAAS_EINVAL);
	ck_rc(saas_ratelimit_reset_shared(NULL, "k"), SAAS_EINVAL);
}
END_TEST

START_TEST(shared_limit_processes)
{
	/* two processes on one SQLite file (or one PostgreSQL database), each
	 * with 2 threads: never more than the burst in all */
	char dbu[400];
	int fds[2][2];
	pid_t pid[2];
	int total = 0;

	if (strcmp(url, "memory:") == 0)
		return; /* memory: is one process's own */
	if (strncmp(url, "sqlite", 6) == 0) {
		/* th_open made a temporary file: reopen it by name */
		snprintf(dbu, sizeof dbu, "sqlite:%s", th_sqlite_path());
	} else {
		snprintf(dbu, sizeof dbu, "%s", url);
	}
	for (int p = 0; p < 2; p++) {
		ck_assert_int_eq(pipe(fds[p]), 0);
		pid[p] = fork();
		ck_assert_int_ge(pid[p], 0);
		if (pid[p] == 0) {
			saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
			saas_ctx *c = NULL;
			pthread_t th[2];
			struct taker t[2];
			int sum = 0;

			o.clock = th_clock;
			if (saas_ctx_open(&c, dbu, &o) != SAAS_OK)
				_exit(3);
			for (int i = 0; i < 2; i++) {
				t[i] = (struct taker){c, 0};
				pthread_create(&th[i], NULL, take_many, &t[i]);
			}
			for (int i = 0; i < 2; i++) {
				pthread_join(th[i], NULL);
				sum += t[i].allowed;
			}
			saas_ctx_free(c);
			if (write(fds[p][1], &sum, sizeof sum) != sizeof sum)
				_exit(4);
			_exit(0);
		}
		close(fds[p][1]);
	}
	for (int p = 0; p < 2; p++) {
		int st, sum = -100;

		ck_assert_int_eq(read(fds[p][0], &sum, sizeof sum), (ssize_t)sizeof sum);
		close(fds[p][0]);
		waitpid(pid[p], &st, 0);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		ck_assert_int_ge(sum, 0);
		total += sum;
	}
	ck_assert_int_eq(total, 5);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, password_and_login);
	tcase_add_test(tc, password_change_revokes_sessions);
	tcase_add_test(tc, login_rate_limits);
	tcase_add_test(tc, rehash_on_login);
	tcase_add_test(tc, unknown_email_takes_as_long);
	tcase_add_test(tc, sessions);
	tcase_add_test(tc, session_expiry_and_rotation);
	tcase_add_test(tc, session_refusals);
	tcase_add_test(tc, apikeys);
	tcase_add_test(tc, apikey_expiry_and_refusals);
	tcase_add_test(tc, shared_limit_threads);
	tcase_add_test(tc, shared_limit_processes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
