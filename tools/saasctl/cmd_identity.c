/* saasctl: users, memberships and invitations. */
#include <stdlib.h>
#include <string.h>

#include "saasctl.h"

/* Page size when a list follows every page. */
#define ALL_PAGES_LIMIT 1000u

/* ---- users -------------------------------------------------------------------- */

static int print_user(const struct sc *sc, const saas_user *u)
{
	char *json = NULL;
	int rc;

	if (!sc->json) {
		const char *name = saas_user_display_name(u);

		printf("%s  %s  %s\n", saas_user_id(u), saas_user_email(u),
		       name && *name ? name : "-");
		return SC_EXIT_OK;
	}
	rc = saas_user_to_json(&json, u);
	if (rc)
		return sc_lib_error(rc);
	printf("%s\n", json);
	saas_free(json);
	return SC_EXIT_OK;
}

int sc_cmd_user_create(struct sc *sc, const struct sc_args *a)
{
	saas_user *u = NULL;
	int rc;

	rc = saas_user_create(&u, sc->ctx, sc->global, sc_opt_value(sc, a, "email"),
	                      sc_opt_value(sc, a, "name"));
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		rc = print_user(sc, u);
	else
		printf("%s\n", saas_user_id(u));
	saas_user_free(u);
	return rc;
}

int sc_cmd_user_get(struct sc *sc, const struct sc_args *a)
{
	const char *key = a->pos[0];
	saas_user *u = NULL;
	int rc;

	if (strncmp(key, "usr_", 4) == 0)
		rc = saas_user_get(&u, sc->ctx, key);
	else
		rc = saas_user_get_by_email(&u, sc->ctx, key);
	rc = rc ? sc_lib_error(rc) : print_user(sc, u);
	saas_user_free(u);
	return rc;
}

/* ---- memberships -------------------------------------------------------------- */

/* Print a membership as JSON (with --json) or its id alone. */
static int print_member_created(const struct sc *sc, const saas_member *m)
{
	char *json = NULL;
	int rc;

	if (!sc->json) {
		printf("%s\n", saas_member_id(m));
		return SC_EXIT_OK;
	}
	rc = saas_member_to_json(&json, m);
	if (rc)
		return sc_lib_error(rc);
	printf("%s\n", json);
	saas_free(json);
	return SC_EXIT_OK;
}

/* Resolve --tenant into a scope and (when `want_user`) --user into an id. */
static int tenant_and_user(saas_scope **scope, char **user_id, struct sc *sc,
                           const struct sc_args *a)
{
	int rc;

	*scope = NULL;
	if (user_id)
		*user_id = NULL;
	rc = sc_tenant_scope(scope, NULL, sc, sc_opt_value(sc, a, "tenant"));
	if (!rc && user_id)
		rc = sc_user_id(user_id, sc, sc_opt_value(sc, a, "user"));
	if (rc) {
		saas_scope_free(*scope);
		*scope = NULL;
	}
	return rc;
}

int sc_cmd_member_add(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	saas_member *m = NULL;
	char *user_id = NULL, **roles = NULL;
	const char *const *rv;
	size_t nrv, nroles;
	int rc;

	rv = sc_opt_values(sc, a, "role", &nrv);
	if ((rc = sc_split_roles(&roles, &nroles, rv, nrv)))
		return rc;
	rc = tenant_and_user(&scope, &user_id, sc, a);
	if (!rc)
		rc = saas_member_add(&m, sc->ctx, scope, user_id, (const char *const *)roles,
		                     nroles);
	rc = rc ? sc_lib_error(rc) : print_member_created(sc, m);
	saas_member_free(m);
	saas_scope_free(scope);
	free(user_id);
	sc_strv_free(roles);
	return rc;
}

int sc_cmd_member_remove(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	char *user_id = NULL;
	int rc;

	rc = tenant_and_user(&scope, &user_id, sc, a);
	if (!rc)
		rc = saas_member_remove(sc->ctx, scope, user_id);
	saas_scope_free(scope);
	free(user_id);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

int sc_cmd_member_set_roles(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	char *user_id = NULL, **roles = NULL;
	const char *const *rv;
	size_t nrv, nroles;
	int rc;

	rv = sc_opt_values(sc, a, "role", &nrv);
	if ((rc = sc_split_roles(&roles, &nroles, rv, nrv)))
		return rc;
	rc = tenant_and_user(&scope, &user_id, sc, a);
	if (!rc)
		rc = saas_member_set_roles(sc->ctx, scope, user_id, (const char *const *)roles,
		                           nroles);
	saas_scope_free(scope);
	free(user_id);
	sc_strv_free(roles);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

static void print_member_line(struct sc *sc, const saas_member *m)
{
	saas_user *u = NULL;
	size_t n = saas_member_role_count(m);

	/* The email makes the line readable; a user that cannot be read shows "-". */
	if (saas_user_get(&u, sc->ctx, saas_member_user_id(m)) != SAAS_OK)
		u = NULL;
	printf("%s  %s  %s  ", saas_member_id(m), saas_member_user_id(m),
	       u ? saas_user_email(u) : "-");
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", saas_member_role_at(m, i));
	printf("\n");
	saas_user_free(u);
}

int sc_cmd_member_list(struct sc *sc, const struct sc_args *a)
{
	const char *limit_text = sc_opt_value(sc, a, "limit");
	const char *cursor = sc_opt_value(sc, a, "cursor");
	saas_member_page **pages = NULL;
	saas_scope *scope = NULL;
	size_t npages = 0;
	int first = 1;
	long long limit = sc_opt_count(sc, a, "limit", ALL_PAGES_LIMIT);
	int rc;

	rc = tenant_and_user(&scope, NULL, sc, a);
	if (rc)
		return sc_lib_error(rc);
	/* Read every page first so a failure prints nothing on stdout. */
	for (;;) {
		saas_member_page *page = NULL, **np;

		rc = saas_member_list(&page, sc->ctx, scope, cursor, (unsigned)limit);
		if (rc) {
			rc = sc_lib_error(rc);
			goto out;
		}
		np = realloc(pages, (npages + 1) * sizeof *np);
		if (!np) {
			saas_member_page_free(page);
			rc = sc_fail("out of memory");
			goto out;
		}
		pages = np;
		pages[npages++] = page;
		cursor = saas_member_page_next_cursor(page);
		if (!cursor || limit_text)
			break;
	}
	if (sc->json)
		printf("{\"items\":[");
	for (size_t p = 0; p < npages; p++) {
		for (size_t i = 0; i < saas_member_page_count(pages[p]); i++) {
			const saas_member *m = saas_member_page_at(pages[p], i);
			char *json = NULL;

			if (!sc->json) {
				print_member_line(sc, m);
				continue;
			}
			rc = saas_member_to_json(&json, m);
			if (rc) {
				printf("]}\n");
				rc = sc_lib_error(rc);
				goto out;
			}
			printf("%s%s", first ? "" : ",", json);
			first = 0;
			saas_free(json);
		}
	}
	sc_list_end(sc, cursor);
	rc = SC_EXIT_OK;
out:
	for (size_t p = 0; p < npages; p++)
		saas_member_page_free(pages[p]);
	free(pages);
	saas_scope_free(scope);
	return rc;
}

/* ---- invitations -------------------------------------------------------------- */

int sc_cmd_invite_create(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	saas_invitation *inv = NULL;
	char *token = NULL, **roles = NULL, *json = NULL;
	const char *const *rv;
	size_t nrv, nroles;
	long long hours = sc_opt_count(sc, a, "ttl-hours", 0);
	int rc;

	rv = sc_opt_values(sc, a, "role", &nrv);
	if ((rc = sc_split_roles(&roles, &nroles, rv, nrv)))
		return rc;
	rc = tenant_and_user(&scope, NULL, sc, a);
	if (!rc)
		rc = saas_invitation_create(&inv, &token, sc->ctx, scope,
		                            sc_opt_value(sc, a, "email"),
		                            (const char *const *)roles, nroles,
		                            (int64_t)hours * 3600);
	if (!rc && sc->json)
		rc = saas_invitation_to_json(&json, inv);
	if (rc) {
		rc = sc_lib_error(rc);
	} else {
		if (sc->json) {
			printf("{\"token\":");
			sc_json_string(stdout, token);
			printf(",\"invitation\":%s}\n", json);
		} else {
			printf("%s\n", token);
		}
		fprintf(stderr, "invitation %s created; the token above is shown only once\n",
		        saas_invitation_id(inv));
	}
	saas_free_secret(token);
	saas_free(json);
	saas_invitation_free(inv);
	saas_scope_free(scope);
	sc_strv_free(roles);
	return rc;
}

/* Read a token from the first line of stdin. *out is malloc'd; wipe it after use. */
static int read_token(char **out, size_t *cap)
{
	ssize_t n;

	*out = NULL;
	*cap = 0;
	n = getline(out, cap, stdin);
	if (n < 0) {
		free(*out);
		*out = NULL;
		return sc_fail("no token on standard input");
	}
	while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == '\r' || (*out)[n - 1] == ' '))
		(*out)[--n] = '\0';
	return SC_EXIT_OK;
}

int sc_cmd_invite_accept(struct sc *sc, const struct sc_args *a)
{
	const char *token = sc_opt_value(sc, a, "token");
	saas_scope *scope = NULL;
	saas_member *m = NULL;
	char *user_id = NULL, *stdin_token = NULL;
	size_t cap = 0;
	int rc;

	if (strcmp(token, "-") == 0) {
		if ((rc = read_token(&stdin_token, &cap)))
			return rc;
		token = stdin_token;
	}
	rc = tenant_and_user(&scope, &user_id, sc, a);
	if (!rc)
		rc = saas_invitation_accept(&m, sc->ctx, scope, token, user_id);
	rc = rc ? sc_lib_error(rc) : print_member_created(sc, m);
	if (stdin_token) {
		explicit_bzero(stdin_token, cap);
		free(stdin_token);
	}
	saas_member_free(m);
	saas_scope_free(scope);
	free(user_id);
	return rc;
}

int sc_cmd_invite_revoke(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc;

	rc = tenant_and_user(&scope, NULL, sc, a);
	if (!rc)
		rc = saas_invitation_revoke(sc->ctx, scope, sc_opt_value(sc, a, "id"));
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}
