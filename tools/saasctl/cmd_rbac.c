/* saasctl role: the deployment's role catalog (docs/rbac.md). */
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

int sc_cmd_role_list(struct sc *sc, const struct sc_args *a)
{
	json_t *doc, *r;
	char *text = NULL;
	size_t i;
	int rc;

	(void)a;
	rc = saas_rbac_catalog_json(&text, sc->ctx);
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
	/* name  builtin|deployment  inherits  effective permissions */
	json_array_foreach(json_object_get(doc, "roles"), i, r) {
		printf("%s  %s  ", json_string_value(json_object_get(r, "name")),
		       json_is_true(json_object_get(r, "builtin")) ? "builtin" : "deployment");
		print_list(json_object_get(r, "inherits"));
		printf("  ");
		print_list(json_object_get(r, "effective"));
		printf("\n");
	}
	json_decref(doc);
	return SC_EXIT_OK;
}
