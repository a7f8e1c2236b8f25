/* saasctl: the audit commands (list, verify, export, checkpoint, purge, forget, keygen). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "saasctl.h"

/* Page size when a list follows every page. */
#define ALL_PAGES_LIMIT 1000u

/* A scope on tenant T (id, slug, or "system" for the deployment's stream).
 * A tenant given by id is read, so that an unknown one is reported.
 * `out_tenant` (may be NULL) receives the tenant, or NULL for "system". */
static int audit_scope(saas_scope **out, saas_tenant **out_tenant, struct sc *sc, const char *t)
{
	saas_tenant *tn = NULL;
	int rc;

	if (out_tenant)
		*out_tenant = NULL;
	if (strcmp(t, "system") == 0)
		return sc_scope(out, sc, SAAS_SYSTEM_TENANT_ID);
	rc = sc_tenant_scope(out, &tn, sc, t);
	if (!rc && !tn)
		rc = saas_tenant_get(&tn, sc->ctx, *out);
	if (rc) {
		saas_scope_free(*out);
		*out = NULL;
	}
	if (!rc && out_tenant)
		*out_tenant = tn;
	else
		saas_tenant_free(tn);
	return rc;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * A time given to --since/--until: milliseconds since the epoch (digits
 * only), or RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]". 0 on
 * success, -1 if malformed.
 */
int sc_parse_time(int64_t *out, const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, ms = 0, oh = 0, om = 0, sign = 0;
	const char *p;

	if (*s && strspn(s, "0123456789") == strlen(s)) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == ERANGE || *end)
			return -1;
		*out = v;
		return 0;
	}
	if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 3)
				ms = ms * 10 + (*p - '0');
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*out = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
	         (sec > 59 ? 59 : sec)) -
	        (int64_t)sign * (oh * 3600 + om * 60)) *
	               1000 +
	       ms;
	return 0;
}

static int time_option(int64_t *out, const struct sc *sc, const struct sc_args *a,
                       const char *name)
{
	const char *v = sc_opt_value(sc, a, name);

	*out = 0;
	if (!v)
		return SC_EXIT_OK;
	if (sc_parse_time(out, v) != 0 || *out < 0)
		return sc_usage_error(sc,
		                      "--%s '%s' is not a time: give RFC 3339 "
		                      "(2026-01-01T00:00:00Z) or milliseconds since the epoch",
		                      name, v);
	if (*out == 0)
		*out = 1; /* 0 would mean "any" to the library; 1 ms selects the same events */
	return SC_EXIT_OK;
}

/* A string member of `obj`, or "-" when absent or null. */
static const char *member(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "-";
}

static void print_event_line(const char *json)
{
	json_t *e = json_loads(json, 0, NULL);
	json_t *actor = json_object_get(e, "actor"), *target = json_object_get(e, "target");

	printf("%lld  %s  %s:%s  %s  ", (long long)json_integer_value(json_object_get(e, "seq")),
	       member(e, "occurred_at"), member(actor, "type"), member(actor, "id"),
	       member(e, "action"));
	if (json_is_object(target))
		printf("%s:%s\n", member(target, "type"), member(target, "id"));
	else
		printf("-\n");
	json_decref(e);
}

int sc_cmd_audit_list(struct sc *sc, const struct sc_args *a)
{
	const char *limit_text = sc_opt_value(sc, a, "limit");
	const char *cursor = sc_opt_value(sc, a, "cursor");
	long long limit = sc_opt_count(sc, a, "limit", ALL_PAGES_LIMIT);
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	saas_audit_page **pages = NULL;
	saas_scope *scope = NULL;
	size_t npages = 0;
	int first = 1, rc;

	if ((rc = time_option(&f.since_ms, sc, a, "since")) ||
	    (rc = time_option(&f.until_ms, sc, a, "until")))
		return rc;
	f.action_prefix = sc_opt_value(sc, a, "action");
	f.actor_id = sc_opt_value(sc, a, "actor-id");
	f.target_type = sc_opt_value(sc, a, "target-type");
	f.target_id = sc_opt_value(sc, a, "target-id");
	rc = audit_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (rc)
		return sc_lib_error(rc);
	/* Read every page first so a failure prints nothing on stdout. */
	for (;;) {
		saas_audit_page *page = NULL, **np;

		rc = saas_audit_query(&page, sc->ctx, scope, &f, cursor, (unsigned)limit);
		if (rc) {
			rc = sc_lib_error(rc);
			goto out;
		}
		np = realloc(pages, (npages + 1) * sizeof *np);
		if (!np) {
			saas_audit_page_free(page);
			rc = sc_fail("out of memory");
			goto out;
		}
		pages = np;
		pages[npages++] = page;
		cursor = saas_audit_page_next_cursor(page);
		if (!cursor || limit_text)
			break;
	}
	if (sc->json)
		printf("{\"items\":[");
	for (size_t p = 0; p < npages; p++) {
		for (size_t i = 0; i < saas_audit_page_count(pages[p]); i++) {
			const char *json = saas_audit_page_event_json(pages[p], i);

			if (sc->json) {
				printf("%s%s", first ? "" : ",", json);
				first = 0;
			} else {
				print_event_line(json);
			}
		}
	}
	sc_list_end(sc, cursor);
	rc = SC_EXIT_OK;
out:
	for (size_t p = 0; p < npages; p++)
		saas_audit_page_free(pages[p]);
	free(pages);
	saas_scope_free(scope);
	return rc;
}

int sc_cmd_audit_verify(struct sc *sc, const struct sc_args *a)
{
	saas_audit_report *r = NULL;
	saas_scope *scope = NULL;
	int rc, ok;

	size_t ntrust = 0, npub = 0;
	const char *const *trust = sc_opt_values(sc, a, "trust-key", &ntrust);
	const char *const *pub = sc_opt_values(sc, a, "public-key", &npub);
	const char *file = sc_opt_value(sc, a, "file");
	const char *tenant = sc_opt_value(sc, a, "tenant");

	if (file && (tenant || ntrust))
		return sc_usage_error(sc, "--file verifies an export file: it takes --public-key, "
		                          "not --tenant or --trust-key");
	if (!file && npub)
		return sc_usage_error(sc, "--public-key goes with --file (for the database, use "
		                          "--trust-key)");
	if (!file && !tenant)
		return sc_usage_error(sc, "missing required option --tenant T (or --file FILE)");
	rc = SAAS_OK;
	if (file) {
		rc = saas_audit_verify_file(&r, file, pub, npub);
	} else {
		for (size_t i = 0; !rc && i < ntrust; i++)
			rc = saas_audit_trust_key(sc->ctx, trust[i]);
		if (!rc)
			rc = audit_scope(&scope, NULL, sc, tenant);
		if (!rc)
			rc = saas_audit_verify(&r, sc->ctx, scope);
	}
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	ok = saas_audit_report_ok(r);
	if (sc->json) {
		const char *damage = saas_audit_damage_name(saas_audit_report_damage(r));

		printf("{\"ok\":%s,\"damage\":", ok ? "true" : "false");
		sc_json_string(stdout, damage ? damage : "unknown");
		printf(",\"first_bad_seq\":%lld,\"events\":%lld,\"checkpoints\":%lld,"
		       "\"first_seq\":%lld,\"last_seq\":%lld,\"last_hash\":",
		       (long long)saas_audit_report_first_bad_seq(r),
		       (long long)saas_audit_report_events(r),
		       (long long)saas_audit_report_checkpoints(r),
		       (long long)saas_audit_report_first_seq(r),
		       (long long)saas_audit_report_last_seq(r));
		sc_json_string(stdout, saas_audit_report_last_hash(r));
		printf(",\"message\":");
		sc_json_string(stdout, saas_audit_report_message(r));
		printf("}\n");
	} else {
		printf("%s\n", saas_audit_report_message(r));
	}
	if (!ok) {
		const char *damage = saas_audit_damage_name(saas_audit_report_damage(r));

		fprintf(stderr, "saasctl: the audit log is damaged: %s at sequence number %lld\n",
		        damage ? damage : "unknown", (long long)saas_audit_report_first_bad_seq(r));
	}
	saas_audit_report_free(r);
	return ok ? SC_EXIT_OK : SC_EXIT_REFUSED;
}

int sc_cmd_audit_checkpoint(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int64_t seq = 0;
	int rc;

	rc = audit_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_audit_checkpoint(&seq, sc->ctx, scope);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		printf("{\"seq\":%lld}\n", (long long)seq);
	else
		printf("%lld\n", (long long)seq);
	return SC_EXIT_OK;
}

int sc_cmd_audit_keygen(struct sc *sc, const struct sc_args *a)
{
	const char *out = sc_opt_value(sc, a, "out");
	char *secret = NULL, *pub = NULL;
	int rc, fd;

	rc = saas_audit_keygen(&secret, &pub, sc_opt_value(sc, a, "key-id"));
	if (rc)
		return sc_lib_error(rc);
	if (out) {
		FILE *f;

		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			saas_free_secret(secret);
			saas_free(pub);
			return sc_fail("cannot create %s: %s", out, strerror(e));
		}
		fprintf(f, "%s\n", secret);
		saas_free_secret(secret);
		if (fclose(f) != 0) {
			saas_free(pub);
			return sc_fail("writing %s failed", out);
		}
	} else {
		fprintf(stderr, "saasctl: warning: the secret signing key is printed on stdout: keep "
		                "it out of logs and shell history (prefer --out FILE)\n");
		if (sc->json) {
			printf("{\"secret_key\":");
			sc_json_string(stdout, secret);
			printf(",\"public_key\":");
			sc_json_string(stdout, pub);
			printf("}\n");
			saas_free_secret(secret);
			saas_free(pub);
			return SC_EXIT_OK;
		}
		printf("%s\n", secret);
		saas_free_secret(secret);
	}
	if (sc->json) {
		printf("{\"public_key\":");
		sc_json_string(stdout, pub);
		printf("}\n");
	} else {
		printf("%s\n", pub);
	}
	saas_free(pub);
	return SC_EXIT_OK;
}

int sc_cmd_audit_export(struct sc *sc, const struct sc_args *a)
{
	const char *out = sc_opt_value(sc, a, "out");
	saas_scope *scope = NULL;
	int rc;

	rc = audit_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_audit_export(sc->ctx, scope, out);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("{\"out\":");
		sc_json_string(stdout, out);
		printf("}\n");
	}
	return SC_EXIT_OK;
}

/* `ms` as RFC 3339 in UTC with milliseconds, as events show their time. */
void sc_format_time(char buf[32], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999) {
		snprintf(buf, 32, "%lld", (long long)ms);
		return;
	}
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + 19, 13, ".%03dZ", (int)(ms % 1000));
}

/* Purge one stream (`name`: the tenant's slug, or "system") and print the
 * result: a line, or with --json an object (`n` is how many were printed
 * before it in the same array, or -1 outside an array). */
static int purge_stream(struct sc *sc, const saas_scope *scope, const char *name,
                        int64_t before, const char *before_text, long n)
{
	int64_t purged = 0;
	char where[200];
	int rc;

	rc = saas_audit_purge(&purged, sc->ctx, scope, before);
	if (rc) {
		snprintf(where, sizeof where, "purging the audit stream of %s", name);
		return sc_lib_error_at(rc, where);
	}
	if (sc->json) {
		printf("%s{\"stream\":", n > 0 ? "," : "");
		sc_json_string(stdout, name);
		printf(",\"tenant_id\":");
		sc_json_string(stdout, saas_scope_tenant_id(scope));
		printf(",\"purged\":%lld,\"before\":", (long long)purged);
		sc_json_string(stdout, before_text);
		printf("}%s", n < 0 ? "\n" : "");
	} else {
		printf("purged %lld event%s from %s (before %s)\n", (long long)purged,
		       purged == 1 ? "" : "s", name, before_text);
	}
	return SC_EXIT_OK;
}

/* Purge every tenant's stream, whatever its status, then the deployment's;
 * stop at the first refusal (the streams before it stay purged, and are
 * printed). */
static int purge_all(struct sc *sc, int64_t before, const char *before_text)
{
	saas_tenant_page **pages = NULL;
	saas_scope *scope = NULL;
	const char *next = NULL;
	size_t npages = 0;
	long n = 0;
	int rc;

	/* Read every tenant first: purging appends to the streams as it goes. */
	rc = sc_tenant_pages(&pages, &npages, &next, sc, -1, NULL, ALL_PAGES_LIMIT, 0);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		printf("[");
	for (size_t p = 0; !rc && p < npages; p++) {
		for (size_t i = 0; !rc && i < saas_tenant_page_count(pages[p]); i++) {
			const saas_tenant *t = saas_tenant_page_at(pages[p], i);

			rc = sc_scope(&scope, sc, saas_tenant_id(t));
			if (rc)
				rc = sc_lib_error(rc);
			else
				rc = purge_stream(sc, scope, saas_tenant_slug(t), before, before_text,
				                  n++);
			saas_scope_free(scope);
			scope = NULL;
		}
	}
	if (!rc) {
		rc = sc_scope(&scope, sc, SAAS_SYSTEM_TENANT_ID);
		if (rc)
			rc = sc_lib_error(rc);
		else
			rc = purge_stream(sc, scope, "system", before, before_text, n);
		saas_scope_free(scope);
	}
	if (sc->json)
		printf("]\n");
	sc_tenant_pages_free(pages, npages);
	return rc;
}

int sc_cmd_audit_purge(struct sc *sc, const struct sc_args *a)
{
	const char *tenant = sc_opt_value(sc, a, "tenant");
	int system = sc_opt_value(sc, a, "system") != NULL;
	saas_tenant *tn = NULL;
	saas_scope *scope = NULL;
	char before_text[32], *pub = NULL;
	int64_t before;
	int rc;

	if (tenant && system)
		return sc_usage_error(sc, "give --tenant T or --system, not both");
	if ((rc = time_option(&before, sc, a, "before")))
		return rc;
	/* The library needs the key only when a stream has events to purge:
	 * ask for it up front, so that a purge without one always fails. */
	rc = saas_audit_public_key(&pub, sc->ctx);
	saas_free(pub);
	if (rc)
		return sc_lib_error(rc);
	sc_format_time(before_text, before);
	if (!tenant && !system)
		return purge_all(sc, before, before_text);
	rc = audit_scope(&scope, &tn, sc, system ? "system" : tenant);
	if (rc)
		return sc_lib_error(rc);
	rc = purge_stream(sc, scope, tn ? saas_tenant_slug(tn) : "system", before, before_text,
	                  -1);
	saas_tenant_free(tn);
	saas_scope_free(scope);
	return rc;
}

int sc_cmd_audit_forget(struct sc *sc, const struct sc_args *a)
{
	const char *subject = sc_opt_value(sc, a, "subject");
	int rc;

	rc = saas_audit_forget_subject(sc->ctx, sc->global, subject);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("{\"subject_id\":");
		sc_json_string(stdout, subject);
		printf(",\"forgotten\":true}\n");
	} else {
		printf("forgot the personal data of %s\n", subject);
	}
	return SC_EXIT_OK;
}
