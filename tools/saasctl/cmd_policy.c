/* saasctl rbac import|export: a deployment's or a tenant's policy as JSON (docs/rbac.md,
 * "Import and export"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saasctl.h"

/* Read all of `path` ('-': stdin) into a malloc'd, NUL-terminated string. A
 * NUL inside makes the text end there, which the library then refuses as
 * JSON. Returns an exit status (message printed). */
static int read_all(char **out, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	const char *name = f == stdin ? "<stdin>" : path;
	size_t len = 0, cap = 0;
	char *buf = NULL;

	*out = NULL;
	if (!f)
		return sc_fail("%s: %s", path, strerror(errno));
	for (;;) {
		if (cap - len < 65536) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *p = realloc(buf, ncap + 1);
			if (!p) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return sc_fail("%s: out of memory", name);
			}
			buf = p;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		int err = errno;
		free(buf);
		if (f != stdin)
			fclose(f);
		return sc_fail("%s: %s", name, strerror(err));
	}
	if (f != stdin)
		fclose(f);
	buf[len] = '\0';
	*out = buf;
	return SC_EXIT_OK;
}

int sc_cmd_rbac_import(struct sc *sc, const struct sc_args *a)
{
	static const char *const kinds[] = {"tenants", "users", "roles", "memberships"};
	const char *tenant = sc_opt_value(sc, a, "tenant");
	saas_scope *scope = NULL;
	char *doc = NULL, *report = NULL;
	json_t *r;
	int rc;

	if ((rc = read_all(&doc, a->pos[0])))
		return rc;
	rc = tenant ? sc_tenant_scope(&scope, NULL, sc, tenant) : SAAS_OK;
	if (!rc)
		rc = saas_rbac_import(&report, sc->ctx, scope ? scope : sc->global, doc);
	saas_scope_free(scope);
	free(doc);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("%s\n", report);
		saas_free(report);
		return SC_EXIT_OK;
	}
	/* tenants: 1 created, 0 updated, 2 unchanged */
	r = json_loads(report, 0, NULL);
	saas_free(report);
	if (!r)
		return sc_fail("out of memory");
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		json_t *c = json_object_get(r, kinds[i]);
		printf("%s: %lld created, %lld updated, %lld unchanged\n", kinds[i],
		       (long long)json_integer_value(json_object_get(c, "created")),
		       (long long)json_integer_value(json_object_get(c, "updated")),
		       (long long)json_integer_value(json_object_get(c, "unchanged")));
	}
	json_decref(r);
	return SC_EXIT_OK;
}

int sc_cmd_rbac_export(struct sc *sc, const struct sc_args *a)
{
	const char *tenant = sc_opt_value(sc, a, "tenant");
	saas_scope *scope = NULL;
	char *doc = NULL, *pretty;
	json_t *v;
	int rc;

	rc = tenant ? sc_tenant_scope(&scope, NULL, sc, tenant) : SAAS_OK;
	if (!rc)
		rc = saas_rbac_export(&doc, sc->ctx, scope ? scope : sc->global);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("%s\n", doc);
		saas_free(doc);
		return SC_EXIT_OK;
	}
	/* Indented, one entry to a line or so: easier to read, edit and diff. */
	v = json_loads(doc, 0, NULL);
	saas_free(doc);
	pretty = v ? json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(v);
	if (!pretty)
		return sc_fail("out of memory");
	printf("%s\n", pretty);
	free(pretty);
	return SC_EXIT_OK;
}
