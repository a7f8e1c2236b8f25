/* saasctl: migrate and the tenant commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "saasctl.h"
#ifdef SAASCTL_HAVE_POSTGRES
#include "saas/postgres.h"
#endif

/* Page size when a list follows every page. */
#define ALL_PAGES_LIMIT 1000u

int sc_cmd_migrate(struct sc *sc, const struct sc_args *a)
{
	const char *grant = NULL;
	int applied = 0, db = 0, lib = 0, rc;

#ifdef SAASCTL_HAVE_POSTGRES
	/* (run() has checked that the URL is PostgreSQL's.) */
	grant = sc_opt_value(sc, a, "grant");
#else
	(void)a;
#endif
	rc = saas_store_migrate(sc->ctx, &applied);
	if (!rc)
		rc = saas_store_schema_version(sc->ctx, &db, &lib);
#ifdef SAASCTL_HAVE_POSTGRES
	if (!rc && grant)
		rc = saas_pg_grant_app_role(sc->ctx, sc->global, grant);
#endif
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("{\"applied\":%d,\"schema_version\":%d,\"library_schema_version\":%d",
		       applied, db, lib);
		if (grant) {
			printf(",\"granted\":");
			sc_json_string(stdout, grant);
		}
		printf("}\n");
	} else {
		printf("applied %d migration%s; schema version %d\n", applied,
		       applied == 1 ? "" : "s", db);
		if (grant)
			printf("granted role '%s' what libsaas needs\n", grant);
	}
	return SC_EXIT_OK;
}

static void print_tenant_line(const saas_tenant *t)
{
	const char *status = saas_tenant_status_name(saas_tenant_status_of(t));

	printf("%s  %s  %s  %s\n", saas_tenant_id(t), saas_tenant_slug(t), status ? status : "?",
	       saas_tenant_name(t));
}

/* Print a tenant as a line, or as JSON with --json. */
static int print_tenant(const struct sc *sc, const saas_tenant *t)
{
	char *json = NULL;
	int rc;

	if (!sc->json) {
		print_tenant_line(t);
		return SC_EXIT_OK;
	}
	rc = saas_tenant_to_json(&json, t);
	if (rc)
		return sc_lib_error(rc);
	printf("%s\n", json);
	saas_free(json);
	return SC_EXIT_OK;
}

int sc_cmd_tenant_create(struct sc *sc, const struct sc_args *a)
{
	saas_tenant *t = NULL;
	int rc;

	rc = saas_tenant_create(&t, sc->ctx, sc->global, sc_opt_value(sc, a, "slug"),
	                        sc_opt_value(sc, a, "name"));
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		rc = print_tenant(sc, t);
	else
		printf("%s\n", saas_tenant_id(t));
	saas_tenant_free(t);
	return rc;
}

int sc_cmd_tenant_get(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	saas_tenant *t = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, &t, sc, a->pos[0]);
	if (!rc && !t)
		rc = saas_tenant_get(&t, sc->ctx, scope);
	rc = rc ? sc_lib_error(rc) : print_tenant(sc, t);
	saas_tenant_free(t);
	saas_scope_free(scope);
	return rc;
}

/* The status named by --status (already checked against the choices), or -1. */
static int status_of(const char *text)
{
	for (int s = SAAS_TENANT_ACTIVE; text && s <= SAAS_TENANT_PENDING_DELETION; s++) {
		const char *name = saas_tenant_status_name(s);

		if (name && strcmp(name, text) == 0)
			return s;
	}
	return -1;
}

void sc_tenant_pages_free(saas_tenant_page **pages, size_t n)
{
	for (size_t p = 0; p < n; p++)
		saas_tenant_page_free(pages[p]);
	free(pages);
}

int sc_tenant_pages(saas_tenant_page ***out, size_t *n, const char **next, struct sc *sc,
                    int status, const char *cursor, unsigned limit, int one_page)
{
	saas_tenant_page **pages = NULL;
	size_t npages = 0;
	int rc = SAAS_OK;

	for (;;) {
		saas_tenant_page *page = NULL, **np;

		rc = saas_admin_tenant_list(&page, sc->ctx, sc->global, status, cursor, limit);
		if (rc)
			break;
		np = realloc(pages, (npages + 1) * sizeof *np);
		if (!np) {
			saas_tenant_page_free(page);
			rc = SAAS_ENOMEM;
			break;
		}
		pages = np;
		pages[npages++] = page;
		cursor = saas_tenant_page_next_cursor(page);
		if (!cursor || one_page)
			break;
	}
	if (rc) {
		sc_tenant_pages_free(pages, npages);
		pages = NULL;
		npages = 0;
		cursor = NULL;
	}
	*out = pages;
	*n = npages;
	*next = cursor;
	return rc;
}

int sc_cmd_tenant_list(struct sc *sc, const struct sc_args *a)
{
	const char *limit_text = sc_opt_value(sc, a, "limit");
	const char *cursor = NULL;
	saas_tenant_page **pages = NULL;
	size_t npages = 0;
	int first = 1;
	long long limit = sc_opt_count(sc, a, "limit", ALL_PAGES_LIMIT);
	int status = status_of(sc_opt_value(sc, a, "status")), rc;

	/* Read every page first so a failure prints nothing on stdout. */
	rc = sc_tenant_pages(&pages, &npages, &cursor, sc, status, sc_opt_value(sc, a, "cursor"),
	                     (unsigned)limit, limit_text != NULL);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json)
		printf("{\"items\":[");
	for (size_t p = 0; p < npages; p++) {
		for (size_t i = 0; i < saas_tenant_page_count(pages[p]); i++) {
			const saas_tenant *t = saas_tenant_page_at(pages[p], i);
			char *json = NULL;

			if (!sc->json) {
				print_tenant_line(t);
				continue;
			}
			rc = saas_tenant_to_json(&json, t);
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
	sc_tenant_pages_free(pages, npages);
	return rc;
}

int sc_cmd_tenant_suspend(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, a->pos[0]);
	if (!rc)
		rc = saas_tenant_suspend(sc->ctx, scope, sc_opt_value(sc, a, "reason"));
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

int sc_cmd_tenant_reactivate(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, a->pos[0]);
	if (!rc)
		rc = saas_tenant_reactivate(sc->ctx, scope);
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

int sc_cmd_tenant_delete(struct sc *sc, const struct sc_args *a)
{
	long long days = sc_opt_count(sc, a, "retention-days", -1);
	saas_scope *scope = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, a->pos[0]);
	if (!rc)
		rc = saas_tenant_delete(sc->ctx, scope, (int)days);
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

int sc_cmd_tenant_restore(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, a->pos[0]);
	if (!rc)
		rc = saas_tenant_restore(sc->ctx, scope);
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

int sc_cmd_tenant_purge(struct sc *sc, const struct sc_args *a)
{
	saas_scope *scope = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, a->pos[0]);
	if (!rc)
		rc = saas_admin_tenant_purge(sc->ctx, scope);
	saas_scope_free(scope);
	return rc ? sc_lib_error(rc) : sc_done(sc);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write the document and a final newline to `path`, created with mode 0600. */
static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return sc_fail("cannot write '%s': %s", path, strerror(errno));
	err = write_all(fd, text, len);
	if (!err && (len == 0 || text[len - 1] != '\n'))
		err = write_all(fd, "\n", 1);
	if (close(fd) != 0 && !err)
		err = errno;
	if (err)
		return sc_fail("cannot write '%s': %s", path, strerror(err));
	return SC_EXIT_OK;
}

int sc_cmd_tenant_export(struct sc *sc, const struct sc_args *a)
{
	const char *output = sc_opt_value(sc, a, "output");
	saas_scope *scope = NULL;
	char *doc = NULL;
	int rc;

	rc = sc_tenant_scope(&scope, NULL, sc, a->pos[0]);
	if (!rc)
		rc = saas_tenant_export(&doc, sc->ctx, scope);
	saas_scope_free(scope);
	if (rc)
		return sc_lib_error(rc);
	if (output) {
		rc = write_file(output, doc);
		if (!rc)
			rc = sc_done(sc);
	} else {
		size_t len = strlen(doc);

		fputs(doc, stdout);
		if (len == 0 || doc[len - 1] != '\n')
			fputc('\n', stdout);
	}
	saas_free(doc);
	return rc;
}
