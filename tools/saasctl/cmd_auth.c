/*
 * saasctl: passwords, sign-in, sessions and API keys (saas/auth.h,
 * docs/auth.md "saasctl"): user set-password, login, session
 * verify|list|revoke, apikey create|list|revoke|verify, totp enroll.
 *
 * Secrets come from stdin (a password, a second factor), never from the
 * command line, where other users could read them in the process list.
 * login and the verify verbs answer a question: they exit 1 for a negative
 * answer (wrong credentials, an invalid, expired or revoked token or key)
 * and 2 when there is no answer (the store failed, a bad argument).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "saasctl.h"

/* The exit status of login and the verify verbs when there is no answer. */
#define SC_EXIT_NO_ANSWER 2

/* ---- helpers ------------------------------------------------------------------- */

/* Report library error `rc`: exit 1 when it is a negative answer, else 2. */
static int answer_error(int rc, int negative)
{
	sc_lib_error(rc);
	return negative ? SC_EXIT_REFUSED : SC_EXIT_NO_ANSWER;
}

/* saas_login()'s refusals of the credentials (as opposed to errors). */
static int login_refused(int rc)
{
	return rc == SAAS_ESIGNATURE || rc == SAAS_ERATELIMIT || rc == SAAS_EMFA ||
	       rc == SAAS_EUSED;
}

/* saas_session_validate()'s and saas_apikey_verify()'s refusals of a token or key. */
static int token_refused(int rc)
{
	return rc == SAAS_EINVAL || rc == SAAS_ESIGNATURE || rc == SAAS_ENOTFOUND ||
	       rc == SAAS_EEXPIRED;
}

/* Secret lines read from stdin: a password, a second factor. */
struct secret_lines {
	char *line[2];
	size_t cap[2];
	size_t len[2];
	int n;
};

/* Read up to `max` (at most 2) lines of stdin into `s`. Only the line end
 * ("\n" or "\r\n") is stripped: spaces are part of a password. Returns how
 * many lines were read. */
static int read_secret_lines(struct secret_lines *s, int max)
{
	while (s->n < max) {
		ssize_t n = getline(&s->line[s->n], &s->cap[s->n], stdin);

		if (n < 0)
			break;
		if (n > 0 && s->line[s->n][n - 1] == '\n')
			s->line[s->n][--n] = '\0';
		if (n > 0 && s->line[s->n][n - 1] == '\r')
			s->line[s->n][--n] = '\0';
		s->len[s->n++] = (size_t)n;
	}
	return s->n;
}

static void secret_lines_free(struct secret_lines *s)
{
	for (int i = 0; i < 2; i++) {
		if (s->line[i])
			explicit_bzero(s->line[i], s->cap[i]);
		free(s->line[i]);
	}
}

/* Set `key` of `o` to time `ms` as RFC 3339, or null when 0. */
static void put_time(json_t *o, const char *key, int64_t ms)
{
	char buf[32];

	if (ms == 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	sc_format_time(buf, ms);
	json_object_set_new(o, key, json_string(buf));
}

/* Time `ms` as RFC 3339 into buf, or "-" when 0. */
static const char *time_text(char buf[32], int64_t ms)
{
	if (ms == 0)
		return "-";
	sc_format_time(buf, ms);
	return buf;
}

/* Print `doc` (taken) on one line; SC_EXIT_OK, or a failure when NULL (out of memory). */
static int emit(json_t *doc)
{
	int rc;

	if (!doc)
		return sc_fail("out of memory");
	rc = json_dumpf(doc, stdout, JSON_COMPACT) == 0 ? SC_EXIT_OK : sc_fail("out of memory");
	json_decref(doc);
	if (rc == SC_EXIT_OK)
		putchar('\n');
	return rc;
}

/* How a kind of item (a session, an API key) is shown. */
struct item_kind {
	json_t *(*to_json)(const struct sc *sc, const void *item);
	void (*print_line)(const struct sc *sc, const void *item);
};

/* Print `n` items: a line each, or with --json one object (`one`) or
 * {"items":[...],"next_cursor":null}. */
static int print_items(const struct sc *sc, const struct item_kind *kind, void *const *items,
                       size_t n, int one)
{
	json_t *arr;

	if (!sc->json) {
		for (size_t i = 0; i < n; i++)
			kind->print_line(sc, items[i]);
		return SC_EXIT_OK;
	}
	if (one)
		return emit(kind->to_json(sc, items[0]));
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, kind->to_json(sc, items[i])) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	return emit(arr ? json_pack("{s:o,s:n}", "items", arr, "next_cursor") : NULL);
}

/* Print a secret shown once (a token, a key) and what it belongs to: the
 * secret alone on a line, or with --json {"<name>":secret,"<kind>":{...}}. */
static int print_secret(const struct sc *sc, const char *name, const char *secret,
                        const char *kind_name, const struct item_kind *kind, const void *item)
{
	if (!sc->json) {
		printf("%s\n", secret);
		return SC_EXIT_OK;
	}
	return emit(json_pack("{s:s,s:o}", name, secret, kind_name, kind->to_json(sc, item)));
}

/* ---- passwords and login ----------------------------------------------------------- */

int sc_cmd_user_set_password(struct sc *sc, const struct sc_args *a)
{
	struct secret_lines in = {0};
	char *user_id = NULL;
	int rc;

	rc = sc_user_id(&user_id, sc, sc_opt_value(sc, a, "email"));
	if (rc)
		return sc_lib_error(rc);
	if (read_secret_lines(&in, 1) < 1) {
		free(user_id);
		return sc_fail("no password on standard input");
	}
	rc = saas_password_set(sc->ctx, sc->global, user_id, in.line[0], in.len[0]);
	secret_lines_free(&in);
	free(user_id);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

/* ---- sessions -------------------------------------------------------------------- */

static json_t *session_json(const struct sc *sc, const void *item)
{
	const saas_session *s = item;
	json_t *o;

	(void)sc;
	o = json_pack("{s:s,s:s,s:s?,s:b,s:s?,s:s?}", "id", saas_session_id(s), "user_id",
	              saas_session_user_id(s), "tenant_id", saas_session_tenant_id(s), "mfa",
	              saas_session_mfa(s), "ip", saas_session_ip(s), "user_agent",
	              saas_session_user_agent(s));
	if (!o)
		return NULL;
	put_time(o, "created_at", saas_session_created_at(s));
	put_time(o, "last_seen_at", saas_session_last_seen_at(s));
	put_time(o, "idle_expires_at", saas_session_idle_expires_at(s));
	put_time(o, "expires_at", saas_session_expires_at(s));
	return o;
}

/* id  user  tenant|-  created  last_seen  idle_expires  expires  ip|- */
static void session_line(const struct sc *sc, const void *item)
{
	const saas_session *s = item;
	const char *tenant = saas_session_tenant_id(s), *ip = saas_session_ip(s);
	char t[4][32];

	(void)sc;
	printf("%s  %s  %s  %s  %s  %s  %s  %s\n", saas_session_id(s), saas_session_user_id(s),
	       tenant ? tenant : "-", time_text(t[0], saas_session_created_at(s)),
	       time_text(t[1], saas_session_last_seen_at(s)),
	       time_text(t[2], saas_session_idle_expires_at(s)),
	       time_text(t[3], saas_session_expires_at(s)), ip ? ip : "-");
}

static const struct item_kind session_kind = {session_json, session_line};

int sc_cmd_login(struct sc *sc, const struct sc_args *a)
{
	saas_login_request req = SAAS_LOGIN_REQUEST_INIT;
	const char *tenant = sc_opt_value(sc, a, "tenant");
	struct secret_lines in = {0};
	saas_scope *tscope = NULL;
	saas_session *s = NULL;
	char *token = NULL;
	int rc;

	if (read_secret_lines(&in, 2) < 1) {
		secret_lines_free(&in);
		sc_fail("no password on standard input (line 1: the password; line 2, when the "
		        "user has a second factor: a TOTP or recovery code)");
		return SC_EXIT_NO_ANSWER;
	}
	rc = tenant ? sc_tenant_scope(&tscope, NULL, sc, tenant) : SAAS_OK;
	if (!rc) {
		req.email = sc_opt_value(sc, a, "email");
		req.password = in.line[0];
		req.password_len = in.len[0];
		req.second_factor = in.n > 1 && in.len[1] > 0 ? in.line[1] : NULL;
		req.tenant_id = tscope ? saas_scope_tenant_id(tscope) : NULL;
		req.ip = sc_opt_value(sc, a, "ip");
		req.user_agent = "saasctl";
		rc = saas_login(&token, &s, NULL, sc->ctx, &req);
	}
	secret_lines_free(&in);
	saas_scope_free(tscope);
	if (rc == SAAS_EMFA) {
		fprintf(stderr, "saasctl: second factor required: give a TOTP or recovery code on "
		                "the second line of standard input (SAAS_EMFA)\n");
		return SC_EXIT_REFUSED;
	}
	if (rc)
		return answer_error(rc, login_refused(rc));
	rc = print_secret(sc, "token", token, "session", &session_kind, s);
	saas_free_secret(token);
	saas_session_free(s);
	return rc;
}

int sc_cmd_session_verify(struct sc *sc, const struct sc_args *a)
{
	saas_session *s = NULL;
	int rc;

	rc = saas_session_validate(&s, sc->ctx, a->pos[0]);
	if (rc)
		return answer_error(rc, token_refused(rc));
	rc = print_items(sc, &session_kind, (void *const *)&s, 1, 1);
	saas_session_free(s);
	return rc;
}

int sc_cmd_session_list(struct sc *sc, const struct sc_args *a)
{
	saas_session **list = NULL;
	char *user_id = NULL;
	size_t n = 0;
	int rc;

	rc = sc_user_id(&user_id, sc, sc_opt_value(sc, a, "user"));
	if (!rc)
		rc = saas_session_list(&list, &n, sc->ctx, user_id);
	free(user_id);
	if (rc)
		return sc_lib_error(rc);
	rc = print_items(sc, &session_kind, (void *const *)list, n, 0);
	saas_session_list_free(list, n);
	return rc;
}

int sc_cmd_session_revoke(struct sc *sc, const struct sc_args *a)
{
	const char *user = sc_opt_value(sc, a, "user");
	int all = sc_opt_value(sc, a, "all") != NULL;
	char *user_id = NULL;
	int64_t count = 0;
	int rc;

	if (a->npos == 1 ? user || all : !user || !all)
		return sc_usage_error(sc, "give a session ID, or --user U --all");
	if (a->npos == 1) {
		rc = saas_session_revoke(sc->ctx, sc->global, a->pos[0]);
		return rc ? sc_lib_error(rc) : sc_done(sc);
	}
	rc = sc_user_id(&user_id, sc, user);
	if (!rc)
		rc = saas_session_revoke_all(&count, sc->ctx, sc->global, user_id, NULL);
	free(user_id);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		printf("{\"revoked\":%lld}\n", (long long)count);
	else
		printf("%lld\n", (long long)count);
	return SC_EXIT_OK;
}

/* ---- API keys ------------------------------------------------------------------ */

/* active, expired or revoked, now. */
static const char *apikey_status(const struct sc *sc, const saas_apikey *k)
{
	int64_t expires = saas_apikey_expires_at(k);

	if (saas_apikey_revoked_at(k))
		return "revoked";
	return expires && expires <= saas_ctx_now(sc->ctx) ? "expired" : "active";
}

static json_t *apikey_json(const struct sc *sc, const void *item)
{
	const saas_apikey *k = item;
	json_t *o, *perms = json_array();
	size_t n = saas_apikey_permission_count(k);

	for (size_t i = 0; perms && i < n; i++)
		json_array_append_new(perms, json_string(saas_apikey_permission(k, i)));
	o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s}", "id", saas_apikey_id(k), "tenant_id",
	              saas_apikey_tenant_id(k), "name", saas_apikey_name(k), "prefix",
	              saas_apikey_prefix(k), "permissions", perms, "created_by",
	              saas_apikey_created_by(k), "status", apikey_status(sc, k));
	if (!o)
		return NULL;
	put_time(o, "created_at", saas_apikey_created_at(k));
	put_time(o, "expires_at", saas_apikey_expires_at(k));
	put_time(o, "last_used_at", saas_apikey_last_used_at(k));
	put_time(o, "revoked_at", saas_apikey_revoked_at(k));
	return o;
}

/* id  tenant  prefix  permissions  created_by  expires|-  last_used|-  status  name */
static void apikey_line(const struct sc *sc, const void *item)
{
	const saas_apikey *k = item;
	size_t n = saas_apikey_permission_count(k);
	char t[2][32];

	printf("%s  %s  %s  ", saas_apikey_id(k), saas_apikey_tenant_id(k), saas_apikey_prefix(k));
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", saas_apikey_permission(k, i));
	printf("  %s  %s  %s  %s  %s\n", saas_apikey_created_by(k),
	       time_text(t[0], saas_apikey_expires_at(k)),
	       time_text(t[1], saas_apikey_last_used_at(k)), apikey_status(sc, k),
	       saas_apikey_name(k));
}

static const struct item_kind apikey_kind = {apikey_json, apikey_line};

/* The scope of user U acting in tenant T (an id or a slug). */
static int user_scope(saas_scope **out, struct sc *sc, const char *t, const char *u)
{
	saas_scope *tscope = NULL;
	char *user_id = NULL;
	int rc;

	*out = NULL;
	rc = sc_tenant_scope(&tscope, NULL, sc, t);
	if (!rc)
		rc = sc_user_id(&user_id, sc, u);
	if (!rc)
		rc = saas_scope_new(out, saas_scope_tenant_id(tscope), SAAS_ACTOR_USER, user_id);
	saas_scope_free(tscope);
	free(user_id);
	return rc;
}

int sc_cmd_apikey_create(struct sc *sc, const struct sc_args *a)
{
	const char *expires_text = sc_opt_value(sc, a, "expires");
	const char *const *pv;
	saas_scope *scope = NULL;
	saas_apikey *k = NULL;
	char **perms = NULL, *key = NULL;
	int64_t expires = 0;
	size_t npv, nperms;
	int rc;

	if (expires_text && (sc_parse_time(&expires, expires_text) != 0 || expires <= 0))
		return sc_usage_error(sc,
		                      "--expires '%s' is not a time: give RFC 3339 "
		                      "(2026-01-01T00:00:00Z) or milliseconds since the epoch",
		                      expires_text);
	pv = sc_opt_values(sc, a, "permissions", &npv);
	if ((rc = sc_split_roles(&perms, &nperms, pv, npv)))
		return rc;
	rc = user_scope(&scope, sc, sc_opt_value(sc, a, "tenant"), sc_opt_value(sc, a, "user"));
	if (!rc)
		rc = saas_apikey_create(&key, &k, sc->ctx, scope, sc_opt_value(sc, a, "name"),
		                        (const char *const *)perms, nperms, expires);
	saas_scope_free(scope);
	sc_strv_free(perms);
	if (rc)
		return sc_lib_error(rc);
	rc = print_secret(sc, "key", key, "apikey", &apikey_kind, k);
	saas_free_secret(key);
	saas_apikey_free(k);
	return rc;
}

int sc_cmd_apikey_list(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	saas_apikey **list = NULL;
	size_t n = 0;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_apikey_list(&list, &n, sc->ctx, scope);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	rc = print_items(sc, &apikey_kind, (void *const *)list, n, 0);
	saas_apikey_list_free(list, n);
	return rc;
}

int sc_cmd_apikey_revoke(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_apikey_revoke(sc->ctx, scope, a->pos[0]);
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

int sc_cmd_apikey_verify(struct sc *sc, const struct sc_args *a)
{
	saas_apikey *k = NULL;
	int rc;

	/* The form and the checksum first: a typo is refused without the store. */
	rc = saas_apikey_parse(NULL, a->pos[0]);
	if (!rc && sc_open_ctx(sc) != SC_EXIT_OK)
		return SC_EXIT_NO_ANSWER;
	if (!rc)
		rc = saas_apikey_verify(&k, sc->ctx, a->pos[0]);
	if (rc)
		return answer_error(rc, token_refused(rc));
	rc = print_items(sc, &apikey_kind, (void *const *)&k, 1, 1);
	saas_apikey_free(k);
	return rc;
}

/* ---- TOTP factors (saas/mfa.h) ---------------------------------------------------- */

/* Print the recovery codes: a line each, or with --json {"recovery_codes":[...]}. */
static int print_codes(const struct sc *sc, char **codes, size_t n)
{
	json_t *arr;

	if (!sc->json) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", codes[i]);
		return SC_EXIT_OK;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_string(codes[i]));
	return emit(arr ? json_pack("{s:o}", "recovery_codes", arr) : NULL);
}

int sc_cmd_totp_enroll(struct sc *sc, const struct sc_args *a)
{
	struct secret_lines in = {0};
	char *user_id = NULL, *secret = NULL, *uri = NULL, **codes = NULL;
	size_t ncodes = 0;
	int rc;

	rc = sc_user_id(&user_id, sc, sc_opt_value(sc, a, "user"));
	if (!rc)
		rc = saas_mfa_totp_enroll(&secret, &uri, sc->ctx, sc->global, user_id,
		                          sc_opt_value(sc, a, "issuer"), 0, 0);
	if (rc) {
		free(user_id);
		return sc_lib_error(rc);
	}
	/* The secret first, so that it can be scanned and its code typed in. */
	if (sc->json)
		rc = emit(json_pack("{s:s,s:s}", "uri", uri, "secret", secret));
	else
		printf("%s\n%s\n", uri, secret);
	saas_free_secret(uri);
	saas_free_secret(secret);
	fflush(stdout);
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "The code the authenticator app shows: ");
	if (rc == SC_EXIT_OK && read_secret_lines(&in, 1) < 1)
		rc = sc_fail("no code on standard input: the factor stays pending (run totp enroll "
		             "again)");
	if (rc == SC_EXIT_OK) {
		rc = saas_mfa_totp_confirm(&codes, &ncodes, sc->ctx, sc->global, user_id,
		                           in.line[0]);
		rc = rc ? sc_lib_error(rc) : print_codes(sc, codes, ncodes);
	}
	saas_mfa_codes_free(codes, ncodes);
	secret_lines_free(&in);
	free(user_id);
	return rc;
}
