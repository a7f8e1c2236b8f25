/* saasctl role: the deployment's role catalog and a tenant's custom roles (docs/rbac.md). */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "saasctl.h"

/* A JSON array of strings as "a, b, c" ("-" when empty). */
static void print_list(json_t *arr)
{
	size_t i;
	json_t *v;

	if (!json_array_size(arr)) {
		printf("-");
		return;
	}
	json_array_foreach(arr, i, v)
		printf("%s%s", i ? "," : "", json_string_value(v));
}

/* What kind of role `r` is: builtin, deployment (--rbac-policy) or tenant (custom). */
static const char *role_kind(json_t *r)
{
	const char *scope = json_string_value(json_object_get(r, "scope"));

	if (json_is_true(json_object_get(r, "builtin")))
		return "builtin";
	return scope ? scope : "deployment";
}

int sc_cmd_role_list(struct sc *sc, const struct sc_args *a)
{
	const char *tenant = sc_opt_value(sc, a, "tenant");
	saas_scope *scope = NULL;
	json_t *doc, *r;
	char *text = NULL;
	size_t i;
	int rc;

	if (tenant) {
		rc = sc_tenant_scope(&scope, NULL, sc, tenant);
		if (!rc)
			rc = saas_role_list(&text, sc->ctx, scope);
		saas_scope_free(scope);
	} else {
		rc = saas_rbac_catalog_json(&text, sc->ctx);
	}
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("%s\n", text);
		saas_free(text);
		return SC_EXIT_OK;
	}
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	if (!doc)
		return sc_fail("out of memory");
	/* name  builtin|deployment|tenant  inherits  effective permissions */
	json_array_foreach(json_object_get(doc, "roles"), i, r) {
		printf("%s  %s  ", json_string_value(json_object_get(r, "name")), role_kind(r));
		print_list(json_object_get(r, "inherits"));
		printf("  ");
		print_list(json_object_get(r, "effective"));
		printf("\n");
	}
	json_decref(doc);
	return SC_EXIT_OK;
}

/* The comma-separated list in option `name` as a NULL-terminated array (free
 * with sc_strv_free): an option not given, or given as "", is the empty set. */
static int opt_list(char ***out, size_t *n, const struct sc *sc, const struct sc_args *a,
                    const char *name)
{
	const char *v = sc_opt_value(sc, a, name);

	return sc_split_roles(out, n, &v, v && *v ? 1 : 0);
}

/* role create and role update: the same options, the same call. */
static int role_write(struct sc *sc, const struct sc_args *a,
                      int (*write)(saas_ctx *, const saas_scope *, const char *,
                                   const char *const *, size_t, const char *const *, size_t))
{
	static const char *const none[] = {NULL};
	saas_scope *scope = NULL;
	char **perms = NULL, **inherits = NULL;
	size_t nperms, ninherits;
	int rc;

	if ((rc = opt_list(&perms, &nperms, sc, a, "permissions")))
		return rc;
	if ((rc = opt_list(&inherits, &ninherits, sc, a, "inherits"))) {
		sc_strv_free(perms);
		return rc;
	}
	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = write(sc->ctx, scope, sc_opt_value(sc, a, "name"),
		           perms ? (const char *const *)perms : none, nperms,
		           inherits ? (const char *const *)inherits : none, ninherits);
	saas_scope_free(scope);
	sc_strv_free(perms);
	sc_strv_free(inherits);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

int sc_cmd_role_create(struct sc *sc, const struct sc_args *a)
{
	return role_write(sc, a, saas_role_create);
}

int sc_cmd_role_update(struct sc *sc, const struct sc_args *a)
{
	return role_write(sc, a, saas_role_update);
}

int sc_cmd_role_delete(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_role_delete(sc->ctx, scope, sc_opt_value(sc, a, "name"),
		                      sc_opt_value(sc, a, "move-to"));
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}
