/*
 * saasctl check and rbac test: saas_authorize() (saas/authz.h) from the shell.
 *
 *   check --tenant T (--user U | --staff S | --system) --permission P [--explain]
 *   check --batch FILE
 *   rbac test FILE [--explain]
 *
 * A request line (of --batch and of rbac test) is one JSON object:
 * {"tenant": T, "user": U | "staff": S | "system": true, "permission": P}, and
 * for rbac test also "expect": true|false and optionally "reason": NAME.
 * Blank lines and lines starting with '#' are skipped (their numbers still
 * count).
 *
 * Exit statuses: check 0 allowed, 1 denied (or no decision: an unknown slug
 * or email, a bad permission; the message on stderr). check --batch 0 when
 * every line was decided, 2 when a line was not (its {"line","error"} object
 * says why; every other line is still decided, in order). rbac test 0 all
 * passed, 1 a mismatch, 2 a bad line (named on stderr). A file that cannot
 * be read: 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saas/authz.h"
#include "saasctl.h"

/* One request, as written (borrowed from the option values or the line's JSON). */
struct request {
	const char *tenant;     /* an id (ten_...) or a slug */
	const char *user;       /* an id (usr_...) or an email, or NULL */
	const char *staff;      /* support staff's name, or NULL */
	int system;             /* the system actor */
	const char *permission; /* resource:action */
	int expect;             /* rbac test: 1 allowed, 0 denied; -1 when not given */
	int reason;             /* rbac test: the expected reason, 0 when not given */
};

/* ---- deciding ------------------------------------------------------------------ */

/* The library's message for `rc` (the last error's, when it is about `rc`). */
static const char *lib_message(int rc)
{
	const saas_error *e = saas_error_last();
	const char *msg = saas_error_code(e) == rc ? saas_error_message(e) : "";

	return msg && *msg ? msg : saas_strerror(rc);
}

/*
 * Decide request `r` into `d`: resolve the tenant's slug and the user's
 * email, make the actor's scope, ask saas_authorize(). Returns `SAAS_OK`
 * (allowed), `SAAS_EDENIED` (denied), or another library code when there is
 * no decision (saas_error_last() says why).
 */
static int decide(saas_decision *d, struct sc *sc, const struct request *r)
{
	saas_tenant *t = NULL;
	saas_scope *scope = NULL;
	char *user_id = NULL;
	const char *tenant_id = r->tenant, *actor_id = sc->actor;
	int rc = SAAS_OK, type = SAAS_ACTOR_SYSTEM;

	if (strncmp(r->tenant, "ten_", 4) != 0) {
		rc = saas_tenant_find_slug(&t, sc->ctx, r->tenant);
		if (rc)
			return rc;
		tenant_id = saas_tenant_id(t);
	}
	if (r->user) {
		type = SAAS_ACTOR_USER;
		rc = sc_user_id(&user_id, sc, r->user);
		actor_id = user_id;
	} else if (r->staff) {
		type = SAAS_ACTOR_SUPPORT;
		actor_id = r->staff;
	}
	if (!rc)
		rc = saas_scope_new(&scope, tenant_id, type, actor_id);
	if (!rc)
		rc = saas_authorize_ex(d, sc->ctx, scope, r->permission, SAAS_AUTHZ_NO_AUDIT);
	saas_scope_free(scope);
	saas_tenant_free(t);
	free(user_id);
	return rc;
}

/* "allowed" or "denied (REASON)" into buf. */
static const char *verdict(char *buf, size_t n, const saas_decision *d)
{
	if (saas_decision_allowed(d))
		snprintf(buf, n, "allowed");
	else
		snprintf(buf, n, "denied (%s)", saas_reason_name(saas_decision_reason(d)));
	return buf;
}

/* The decision as a JSON object (new reference), or NULL out of memory. */
static json_t *decision_json(const saas_decision *d)
{
	char *text = NULL;
	json_t *doc;

	if (saas_decision_to_json(&text, d))
		return NULL;
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	return doc;
}

static int check_batch(struct sc *sc, const char *path);

int sc_cmd_check(struct sc *sc, const struct sc_args *a)
{
	const char *batch = sc_opt_value(sc, a, "batch");
	struct request r = {0};
	saas_decision *d = NULL;
	char *text = NULL, buf[128];
	int rc, nactors;

	r.tenant = sc_opt_value(sc, a, "tenant");
	r.user = sc_opt_value(sc, a, "user");
	r.staff = sc_opt_value(sc, a, "staff");
	r.system = sc_opt_value(sc, a, "system") != NULL;
	r.permission = sc_opt_value(sc, a, "permission");
	nactors = (r.user != NULL) + (r.staff != NULL) + r.system;
	if (batch) {
		if (r.tenant || nactors || r.permission || sc_opt_value(sc, a, "explain"))
			return sc_usage_error(sc, "--batch takes every request from FILE: no --tenant, "
			                          "--user, --staff, --system, --permission or "
			                          "--explain with it");
		return check_batch(sc, batch);
	}
	if (!r.tenant)
		return sc_usage_error(sc, "missing required option --tenant T (or --batch FILE)");
	if (!r.permission)
		return sc_usage_error(sc, "missing required option --permission P");
	if (nactors != 1)
		return sc_usage_error(sc, "give one actor: --user U, --staff S or --system");

	if ((rc = saas_decision_new(&d)))
		return sc_lib_error(rc);
	rc = decide(d, sc, &r);
	if (rc != SAAS_OK && rc != SAAS_EDENIED) {
		rc = sc_lib_error(rc);
		goto out;
	}
	if (sc->json || sc_opt_value(sc, a, "explain")) {
		int e = sc->json ? saas_decision_to_json(&text, d) : saas_decision_explain(&text, d);

		if (e) {
			rc = sc_lib_error(e);
			goto out;
		}
		printf("%s\n", text);
	} else {
		printf("%s\n", verdict(buf, sizeof buf, d));
	}
	rc = saas_decision_allowed(d) ? SC_EXIT_OK : SC_EXIT_REFUSED;
out:
	saas_free(text);
	saas_decision_free(d);
	return rc;
}

/* ---- request lines --------------------------------------------------------------- */

/* A file of request lines ('-': stdin), read one line at a time. */
struct lines {
	FILE *f;
	const char *name; /* for messages: the path, or "<stdin>" */
	char *buf;
	size_t cap;
	long lineno;
};

static int lines_open(struct lines *l, const char *path)
{
	memset(l, 0, sizeof *l);
	if (strcmp(path, "-") == 0) {
		l->f = stdin;
		l->name = "<stdin>";
		return SC_EXIT_OK;
	}
	l->f = fopen(path, "r");
	l->name = path;
	if (!l->f)
		return sc_fail("cannot read %s: %s", path, strerror(errno));
	return SC_EXIT_OK;
}

/* The next line that holds a request (blank and '#' lines skipped), its
 * length in *len; NULL at the end of the file, or on a read error (*err
 * set, message printed). */
static char *lines_next(struct lines *l, size_t *len, int *err)
{
	ssize_t n;

	*err = 0;
	while ((n = getline(&l->buf, &l->cap, l->f)) >= 0) {
		char *s = l->buf;

		l->lineno++;
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		*len = (size_t)n - (size_t)(s - l->buf);
		return s;
	}
	if (ferror(l->f)) {
		*err = sc_fail("%s: read error after line %ld: %s", l->name, l->lineno,
		               strerror(errno));
	}
	return NULL;
}

static void lines_close(struct lines *l)
{
	if (l->f && l->f != stdin)
		fclose(l->f);
	free(l->buf);
}

static int fmt_error(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fmt_error(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A string member `key` of `o` into *out (left NULL when absent). */
static int string_member(const char **out, json_t *o, const char *key, char *err, size_t n)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return fmt_error(err, n, "\"%s\" must be a non-empty string", key);
	*out = json_string_value(v);
	return 0;
}

/*
 * Parse one request line into `r`, whose strings are borrowed from *doc
 * (json_decref it after use, even on failure). `expect`: the line must say
 * "expect" (rbac test); otherwise "expect" and "reason" are checked but not
 * used. Returns 0, or -1 with a message in err.
 */
static int parse_request(struct request *r, json_t **doc, const char *line, size_t len, int expect,
                         char *err, size_t n)
{
	static const char *const keys[] = {"tenant", "user", "staff", "system", "permission",
	                                   "expect", "reason"};
	json_error_t je;
	const char *key, *reason;
	json_t *v, *o;

	memset(r, 0, sizeof *r);
	r->expect = -1;
	*doc = o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return fmt_error(err, n, "not JSON: %s (column %d)", je.text, je.column);
	if (!json_is_object(o))
		return fmt_error(err, n, "not a JSON object");
	json_object_foreach(o, key, v) {
		size_t k;

		for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == sizeof keys / sizeof keys[0])
			return fmt_error(err, n,
			                 "unknown key \"%s\" (keys: tenant, user, staff, system, "
			                 "permission, expect, reason)",
			                 key);
	}
	if (string_member(&r->tenant, o, "tenant", err, n) ||
	    string_member(&r->user, o, "user", err, n) ||
	    string_member(&r->staff, o, "staff", err, n) ||
	    string_member(&r->permission, o, "permission", err, n) ||
	    string_member(&reason, o, "reason", err, n))
		return -1;
	if ((v = json_object_get(o, "system"))) {
		if (!json_is_true(v))
			return fmt_error(err, n, "\"system\" can only be true");
		r->system = 1;
	}
	if (!r->tenant)
		return fmt_error(err, n, "missing \"tenant\"");
	if (!r->permission)
		return fmt_error(err, n, "missing \"permission\"");
	if ((r->user != NULL) + (r->staff != NULL) + r->system != 1)
		return fmt_error(err, n, "give one actor: \"user\", \"staff\" or \"system\"");
	if ((v = json_object_get(o, "expect"))) {
		if (!json_is_boolean(v))
			return fmt_error(err, n, "\"expect\" must be true or false");
		r->expect = json_is_true(v);
	} else if (expect) {
		return fmt_error(err, n, "missing \"expect\" (true or false)");
	}
	if (reason) {
		r->reason = saas_reason_from_name(reason);
		if (r->reason < 0)
			return fmt_error(err, n, "\"reason\": unknown reason '%s'", reason);
		if (r->expect >= 0 && (r->reason <= SAAS_REASON_SUPPORT_GRANT) != r->expect)
			return fmt_error(err, n, "\"reason\" '%s' %s, but \"expect\" is %s", reason,
			                 r->reason <= SAAS_REASON_SUPPORT_GRANT ? "allows" : "denies",
			                 r->expect ? "true" : "false");
	}
	return 0;
}

/* The line's error (from the library when `rc` is one of its codes) as text. */
static void decide_error(char *err, size_t n, int rc)
{
	snprintf(err, n, "%s (%s)", lib_message(rc), saas_code_name(rc));
}

/* ---- check --batch ------------------------------------------------------------------ */

/* Print `o` (stolen) as one compact JSON line with "line" first. */
static int print_line_object(json_t *o, long lineno)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;
	char *text;

	if (!out || json_object_set_new(out, "line", json_integer(lineno))) {
		json_decref(out);
		json_decref(o);
		return -1;
	}
	json_object_foreach(o, key, v)
		if (strcmp(key, "line") != 0)
			json_object_set(out, key, v);
	json_decref(o);
	text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(out);
	if (!text)
		return -1;
	printf("%s\n", text);
	free(text);
	return 0;
}

static int check_batch(struct sc *sc, const char *path)
{
	struct lines l;
	saas_decision *d = NULL;
	char err[512], *line;
	size_t len;
	int rc, bad = 0, rerr;

	if ((rc = lines_open(&l, path)))
		return rc;
	if ((rc = saas_decision_new(&d))) {
		lines_close(&l);
		return sc_lib_error(rc);
	}
	while ((line = lines_next(&l, &len, &rerr))) {
		struct request r;
		json_t *doc = NULL, *o;

		if (parse_request(&r, &doc, line, len, 0, err, sizeof err) == 0) {
			int e = decide(d, sc, &r);

			if (e == SAAS_OK || e == SAAS_EDENIED)
				err[0] = '\0';
			else
				decide_error(err, sizeof err, e);
		}
		json_decref(doc);
		if (err[0]) {
			bad = 1;
			o = json_pack("{ss}", "error", err);
		} else {
			o = decision_json(d);
		}
		if (!o || print_line_object(o, l.lineno)) {
			rc = sc_fail("out of memory");
			goto out;
		}
	}
	if (rerr)
		rc = rerr;
	else
		rc = bad ? SC_EXIT_USAGE : SC_EXIT_OK;
out:
	saas_decision_free(d);
	lines_close(&l);
	return rc;
}

/* ---- rbac test -------------------------------------------------------------------- */

/* What a test line expected, as text: "allowed", "denied", "denied (REASON)". */
static const char *expected_text(char *buf, size_t n, const struct request *r)
{
	if (r->reason)
		snprintf(buf, n, "%s (%s)", r->expect ? "allowed" : "denied",
		         saas_reason_name(r->reason));
	else
		snprintf(buf, n, "%s", r->expect ? "allowed" : "denied");
	return buf;
}

/* Print one mismatch: FILE:LINE: expected E, got G: tenant/actor/permission. */
static void print_mismatch(const struct lines *l, const struct request *r, const saas_decision *d,
                           int explain)
{
	char want[128];

	printf("%s:%ld: expected %s, got %s (%s): %s/", l->name, l->lineno,
	       expected_text(want, sizeof want, r), saas_decision_allowed(d) ? "allowed" : "denied",
	       saas_reason_name(saas_decision_reason(d)), r->tenant);
	if (r->user)
		printf("%s", r->user);
	else if (r->staff)
		printf("staff:%s", r->staff);
	else
		printf("system");
	printf("/%s\n", r->permission);
	if (explain) {
		char *text = NULL;

		if (saas_decision_explain(&text, d) == SAAS_OK)
			printf("    %s\n", text);
		saas_free(text);
	}
}

/* Append `o` (stolen; NULL: out of memory) to the array `arr`. */
static int append_line(json_t *arr, json_t *o)
{
	if (!o || json_array_append_new(arr, o))
		return -1;
	return 0;
}

int sc_cmd_rbac_test(struct sc *sc, const struct sc_args *a)
{
	const int explain = sc_opt_value(sc, a, "explain") != NULL;
	json_t *mismatches = NULL, *errors = NULL;
	long passed = 0, failed = 0, bad = 0;
	saas_decision *d = NULL;
	struct lines l;
	char err[512], *line;
	size_t len;
	int rc, rerr;

	if ((rc = lines_open(&l, a->pos[0])))
		return rc;
	if ((rc = saas_decision_new(&d))) {
		lines_close(&l);
		return sc_lib_error(rc);
	}
	mismatches = json_array();
	errors = json_array();
	if (!mismatches || !errors) {
		rc = sc_fail("out of memory");
		goto out;
	}
	while ((line = lines_next(&l, &len, &rerr))) {
		struct request r;
		json_t *doc = NULL;
		int e = -1, oom = 0;

		if (parse_request(&r, &doc, line, len, 1, err, sizeof err) == 0) {
			e = decide(d, sc, &r);
			if (e != SAAS_OK && e != SAAS_EDENIED)
				decide_error(err, sizeof err, e);
		}
		if (e != SAAS_OK && e != SAAS_EDENIED) {
			bad++;
			if (sc->json)
				oom = append_line(errors, json_pack("{sIss}", "line",
				                                    (json_int_t)l.lineno, "error", err));
			else
				fprintf(stderr, "saasctl: %s:%ld: %s\n", l.name, l.lineno, err);
		} else if (saas_decision_allowed(d) == r.expect &&
		           (!r.reason || saas_decision_reason(d) == r.reason)) {
			passed++;
		} else {
			failed++;
			if (sc->json)
				oom = append_line(
					mismatches,
					json_pack("{sIsbsoso}", "line", (json_int_t)l.lineno, "expect",
					          r.expect, "reason",
					          r.reason ? json_string(saas_reason_name(r.reason))
					                   : json_null(),
					          "decision", decision_json(d)));
			else
				print_mismatch(&l, &r, d, explain);
		}
		json_decref(doc);
		if (oom) {
			rc = sc_fail("out of memory");
			goto out;
		}
	}
	if (rerr) {
		rc = rerr;
		goto out;
	}
	if (sc->json) {
		char *text;
		json_t *o = json_pack("{sssIsIsOsO}", "file", l.name, "passed", (json_int_t)passed,
		                      "failed", (json_int_t)failed, "mismatches", mismatches,
		                      "errors", errors);

		text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(o);
		if (!text) {
			rc = sc_fail("out of memory");
			goto out;
		}
		printf("%s\n", text);
		free(text);
	} else if (bad) {
		printf("%ld passed, %ld failed, %ld bad lines\n", passed, failed, bad);
	} else {
		printf("%ld passed, %ld failed\n", passed, failed);
	}
	rc = bad ? SC_EXIT_USAGE : failed ? SC_EXIT_REFUSED : SC_EXIT_OK;
out:
	json_decref(mismatches);
	json_decref(errors);
	saas_decision_free(d);
	lines_close(&l);
	return rc;
}
