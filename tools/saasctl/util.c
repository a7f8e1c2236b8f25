/* saasctl: helpers the commands share. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "saasctl.h"

int sc_lib_error_at(int rc, const char *where)
{
	const saas_error *e = saas_error_last();
	const char *msg = saas_error_code(e) == rc ? saas_error_message(e) : "";

	fprintf(stderr, "saasctl: %s%s%s (%s)\n", where ? where : "", where ? ": " : "",
	        *msg ? msg : saas_strerror(rc), saas_code_name(rc));
	return SC_EXIT_REFUSED;
}

int sc_lib_error(int rc)
{
	return sc_lib_error_at(rc, NULL);
}

int sc_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "saasctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return SC_EXIT_REFUSED;
}

int sc_usage_error(const struct sc *sc, const char *fmt, ...)
{
	va_list ap;
	char *syn;

	fprintf(stderr, "saasctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	syn = sc_synopsis(sc->noun, sc->verb);
	fprintf(stderr, "\nusage: saasctl %s\nTry 'saasctl %s%s%s --help'.\n", syn ? syn : "",
	        sc->noun->name, sc->verb->name ? " " : "", sc->verb->name ? sc->verb->name : "");
	free(syn);
	return SC_EXIT_USAGE;
}

static int opt_index(const struct sc *sc, const char *name)
{
	for (int k = 0; sc->verb->opts[k].name; k++)
		if (strcmp(sc->verb->opts[k].name, name) == 0)
			return k;
	return -1;
}

const char *sc_opt_value(const struct sc *sc, const struct sc_args *a, const char *name)
{
	int k = opt_index(sc, name);

	if (k < 0 || a->opt[k].n == 0)
		return NULL;
	return a->opt[k].v[a->opt[k].n - 1];
}

const char *const *sc_opt_values(const struct sc *sc, const struct sc_args *a, const char *name,
                                 size_t *n)
{
	int k = opt_index(sc, name);

	*n = k < 0 ? 0 : a->opt[k].n;
	return k < 0 ? NULL : a->opt[k].v;
}

/* Numbers above this are refused outright; below it the library names its own bound. */
#define SC_COUNT_MAX 1000000000LL

int sc_check_value(const struct sc *sc, const struct sc_opt *o, const char *value)
{
	if (o->flags & (SC_COUNT | SC_POSITIVE)) {
		char *end;
		long long v;

		errno = 0;
		if (value[0] < '0' || value[0] > '9' ||
		    ((v = strtoll(value, &end, 10)), *end != '\0'))
			return sc_usage_error(sc, "--%s '%s' is not a whole number", o->name,
			                      value);
		if (errno == ERANGE || v > SC_COUNT_MAX)
			return sc_usage_error(sc, "--%s '%s' is out of range", o->name, value);
		if ((o->flags & SC_POSITIVE) && v < 1)
			return sc_usage_error(sc, "--%s must be at least 1", o->name);
	}
	if (o->choices) {
		size_t n = strlen(value);

		for (const char *c = o->choices; *c;) {
			const char *bar = strchr(c, '|');
			size_t len = bar ? (size_t)(bar - c) : strlen(c);

			if (len == n && strncmp(c, value, n) == 0)
				return SC_EXIT_OK;
			c += len + (bar ? 1 : 0);
		}
		return sc_usage_error(sc, "--%s '%s' is not one of %s", o->name, value, o->choices);
	}
	return SC_EXIT_OK;
}

long long sc_opt_count(const struct sc *sc, const struct sc_args *a, const char *name,
                       long long def)
{
	const char *v = sc_opt_value(sc, a, name);

	return v ? strtoll(v, NULL, 10) : def;
}

void sc_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int sc_split_roles(char ***out, size_t *n, const char *const *values, size_t nvalues)
{
	char **v = NULL;
	size_t cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < nvalues; i++) {
		const char *s = values[i];

		for (;;) {
			const char *comma = strchr(s, ',');
			size_t len = comma ? (size_t)(comma - s) : strlen(s);

			if (cnt + 2 > cap) {
				char **nv;

				cap = cap ? cap * 2 : 8;
				nv = realloc(v, cap * sizeof *nv);
				if (!nv)
					goto oom;
				v = nv;
			}
			v[cnt] = strndup(s, len);
			if (!v[cnt])
				goto oom;
			v[++cnt] = NULL;
			if (!comma)
				break;
			s = comma + 1;
		}
	}
	*out = v;
	*n = cnt;
	return SC_EXIT_OK;
oom:
	if (v) {
		v[cnt] = NULL;
		sc_strv_free(v);
	}
	return sc_fail("out of memory");
}

int sc_scope(saas_scope **out, const struct sc *sc, const char *tenant_id)
{
	int rc;

	rc = saas_scope_new(out, tenant_id, sc->support ? SAAS_ACTOR_SUPPORT : SAAS_ACTOR_SYSTEM,
	                    sc->actor);
	if (!rc && sc->actor_email)
		rc = saas_scope_set_actor_email(*out, sc->actor_email);
	if (!rc && sc->on_behalf_of)
		rc = saas_scope_set_on_behalf_of(*out, sc->on_behalf_of);
	if (rc) {
		saas_scope_free(*out);
		*out = NULL;
	}
	return rc;
}

int sc_tenant_scope(saas_scope **out, saas_tenant **out_tenant, struct sc *sc, const char *t)
{
	saas_tenant *tn = NULL;
	int rc;

	*out = NULL;
	if (out_tenant)
		*out_tenant = NULL;
	if (strncmp(t, "ten_", 4) != 0) {
		rc = saas_tenant_find_slug(&tn, sc->ctx, t);
		if (rc)
			return rc;
		t = saas_tenant_id(tn);
	}
	rc = sc_scope(out, sc, t);
	if (rc || !out_tenant)
		saas_tenant_free(tn);
	else
		*out_tenant = tn;
	return rc;
}

int sc_user_id(char **out, struct sc *sc, const char *u)
{
	saas_user *user = NULL;
	int rc;

	*out = NULL;
	if (strncmp(u, "usr_", 4) == 0) {
		rc = saas_id_check(u, "usr");
		if (rc)
			return rc;
		*out = strdup(u);
		return *out ? SAAS_OK : SAAS_ENOMEM;
	}
	rc = saas_user_get_by_email(&user, sc->ctx, u);
	if (rc)
		return rc;
	*out = strdup(saas_user_id(user));
	saas_user_free(user);
	return *out ? SAAS_OK : SAAS_ENOMEM;
}

void sc_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

int sc_done(const struct sc *sc)
{
	if (sc->json)
		printf("{\"ok\":true}\n");
	return SC_EXIT_OK;
}

void sc_list_end(const struct sc *sc, const char *next)
{
	if (sc->json) {
		printf("],\"next_cursor\":");
		if (next)
			sc_json_string(stdout, next);
		else
			printf("null");
		printf("}\n");
	} else if (next) {
		fprintf(stderr, "next cursor: %s\n", next);
	}
}

/* Print JSON text `text` (the library's), pretty unless --json asks for one line. */
int sc_print_json_text(const struct sc *sc, const char *text)
{
	json_t *doc = json_loads(text, 0, NULL);

	if (!doc)
		return sc_fail("the library gave malformed JSON");
	json_dumpf(doc, stdout, sc->json ? JSON_COMPACT : JSON_INDENT(2));
	putchar('\n');
	json_decref(doc);
	return SC_EXIT_OK;
}

/* The library's answer `text` (taken; rc its code): with --json printed
 * as is (*doc NULL), else parsed into *doc for the caller to print.
 * Returns an exit status; SC_EXIT_OK with *doc NULL means done. */
int sc_take_json(json_t **doc, const struct sc *sc, int rc, char *text)
{
	*doc = NULL;
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		rc = sc_print_json_text(sc, text);
		saas_free(text);
		return rc;
	}
	*doc = json_loads(text, 0, NULL);
	saas_free(text);
	return *doc ? SC_EXIT_OK : sc_fail("the library gave malformed JSON");
}
