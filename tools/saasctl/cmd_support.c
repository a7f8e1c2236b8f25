/* saasctl support: a tenant's support grants (docs/authz.md, "Support access"). */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "saasctl.h"

int sc_cmd_support_grant(struct sc *sc, const struct sc_args *a)
{
	long long hours = sc_opt_count(sc, a, "hours", 24);
	saas_scope *scope = NULL;
	char *id = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_support_grant(&id, sc->ctx, scope, sc_opt_value(sc, a, "staff"),
		                        sc_opt_value(sc, a, "role"),
		                        saas_ctx_now(sc->ctx) + hours * 3600 * 1000LL);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("{\"id\":");
		sc_json_string(stdout, id);
		printf("}\n");
	} else {
		printf("%s\n", id);
	}
	saas_free(id);
	return SC_EXIT_OK;
}

int sc_cmd_support_revoke(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_support_revoke(sc->ctx, scope, sc_opt_value(sc, a, "id"));
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

int sc_cmd_support_list(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	char *text = NULL;
	json_t *doc, *g;
	size_t i;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc)
		rc = saas_support_list(&text, sc->ctx, scope);
	saas_scope_free(scope);
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
	/* id  staff (* for every staff)  role  expires_at  active|expired|revoked */
	json_array_foreach(json_object_get(doc, "grants"), i, g) {
		const char *staff = json_string_value(json_object_get(g, "staff"));
		printf("%s  %s  %s  %s  %s\n", json_string_value(json_object_get(g, "id")),
		       staff ? staff : "*", json_string_value(json_object_get(g, "role")),
		       json_string_value(json_object_get(g, "expires_at")),
		       json_is_true(json_object_get(g, "active"))          ? "active"
		       : json_is_null(json_object_get(g, "revoked_at")) ? "expired"
		                                                          : "revoked");
	}
	json_decref(doc);
	return SC_EXIT_OK;
}
