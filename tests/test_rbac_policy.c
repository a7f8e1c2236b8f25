/*
 * Policy import and export (saas_rbac_import, saas_rbac_export): what an
 * import creates, updates and leaves alone, its report and audit events; the
 * round trip export -> import into an empty database -> export; atomicity (a
 * bad entry anywhere changes nothing); every refusal naming its entry's
 * position; idempotence; the scope; on memory:, sqlite: and, when
 * SAAS_TEST_POSTGRES_URL is set, PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit_helpers.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static const char *acme, *alice;

#define MAX_KNOWN 16
static const char *known[MAX_KNOWN]; /* tenants whose streams the state counts */
static size_t nknown;

static void setup(void)
{
	ctx = th_open(url);
	nknown = 0;
	acme = known[nknown++] = th_tenant(ctx, "acme");
	alice = th_user(ctx, "alice@acme.example");
	ck_ok(saas_member_add(NULL, ctx, th_scope(acme), alice, (const char *[]){"owner"}, 1));
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
}

static const char *last_message(void)
{
	return saas_error_message(saas_error_last());
}

/* A document written with single quotes (easier to read in C), as JSON. */
static char *J(const char *s)
{
	char *d = strdup(s);

	ck_assert_ptr_nonnull(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

/* Import `doc` (single quotes) expecting `code`; the report, if any, in *report. */
static int imp(const saas_scope *scope, const char *doc, char **report)
{
	char *json = J(doc);
	int rc = saas_rbac_import(report, ctx, scope, json);

	free(json);
	return rc;
}

static char *export_all(void)
{
	char *out = NULL;

	ck_ok(saas_rbac_export(&out, ctx, th_system()));
	ck_assert_ptr_nonnull(out);
	return out;
}

/* Everything an import could change: the deployment's export, the tenants'
 * and users' rows it does not show, and the audit streams. */
static char *state(void)
{
	char *exp = export_all(), *s;
	size_t len = strlen(exp) + 64 * (MAX_KNOWN + 1);

	s = malloc(len);
	ck_assert_ptr_nonnull(s);
	snprintf(s, len, "%s|system=%lld", exp,
	         (long long)ta_count(ctx, SAAS_SYSTEM_TENANT_ID));
	for (size_t i = 0; i < nknown; i++)
		snprintf(s + strlen(s), len - strlen(s), "|%zu=%lld", i,
		         (long long)ta_count(ctx, known[i]));
	saas_free(exp);
	return s;
}

/* Import `doc` expecting `code`, field "policy" and `words` in the message,
 * and nothing changed. */
static void refused(const saas_scope *scope, const char *doc, int code, const char *words)
{
	char *before = state(), *after, *report = (char *)doc;

	ck_rc(imp(scope, doc, &report), code);
	ck_assert_ptr_null(report);
	ck_field("policy");
	ck_assert_msg(strstr(last_message(), words), "message '%s' lacks '%s'", last_message(),
	              words);
	after = state();
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
}

static int64_t count_of(const char *tenant, const char *action)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	int64_t n = -1;

	f.action_prefix = action;
	ck_ok(saas_audit_count(&n, ctx, th_scope(tenant), &f));
	return n;
}

static const char *tenant_id_of(const char *slug)
{
	saas_tenant *t;
	static char id[64];

	ck_ok(saas_tenant_find_slug(&t, ctx, slug));
	snprintf(id, sizeof id, "%s", saas_tenant_id(t));
	saas_tenant_free(t);
	return id;
}

static char *member_roles(const char *tenant, const char *email)
{
	saas_user *u;
	saas_member *m;
	char *roles = calloc(1, 256);

	ck_ok(saas_user_get_by_email(&u, ctx, email));
	ck_ok(saas_member_get(&m, ctx, th_scope(tenant), saas_user_id(u)));
	for (size_t i = 0; i < saas_member_role_count(m); i++)
		snprintf(roles + strlen(roles), 256 - strlen(roles), "%s%s", i ? "," : "",
		         saas_member_role_at(m, i));
	saas_member_free(m);
	saas_user_free(u);
	return roles;
}

#define ck_roles_of(tenant, email, want)                                                   \
	do {                                                                               \
		char *r_ = member_roles(tenant, email);                                    \
		ck_assert_str_eq(r_, want);                                                \
		free(r_);                                                                  \
	} while (0)

START_TEST(import_creates_and_reports)
{
	char *report = NULL;
	json_t *e;

	ck_ok(imp(th_system(),
	          "{'tenants':[{'slug':'acme','name':'ignored'},{'slug':'globex','name':'Globex'}],"
	          " 'users':[{'email':'alice@acme.example'},{'email':'Bob@Acme.Example'},"
	          "          {'email':'carol@globex.example'}],"
	          " 'roles':[{'tenant':'acme','name':'editor','permissions':['project:update',"
	          "           'project:read','project:read'],'inherits':['viewer']},"
	          "          {'tenant':'acme','name':'lead','inherits':['editor','admin']},"
	          "          {'tenant':'globex','name':'ops'}],"
	          " 'memberships':[{'tenant':'acme','user':'alice@acme.example','roles':['owner']},"
	          "                {'tenant':'acme','user':'bob@acme.example','roles':['lead','viewer']},"
	          "                {'tenant':'globex','user':'carol@globex.example',"
	          "                 'roles':['owner','ops']},"
	          "                {'tenant':'globex','user':'alice@acme.example','roles':['viewer']}]}",
	          &report));
	ck_assert_str_eq(report,
	                 "{\"memberships\":{\"created\":3,\"unchanged\":1,\"updated\":0},"
	                 "\"roles\":{\"created\":3,\"unchanged\":0,\"updated\":0},"
	                 "\"tenants\":{\"created\":1,\"unchanged\":1,\"updated\":0},"
	                 "\"users\":{\"created\":2,\"unchanged\":1,\"updated\":0}}");
	saas_free(report);

	/* What it made. */
	const char *globex = known[nknown++] = strdup(tenant_id_of("globex"));
	saas_tenant *t;
	ck_ok(saas_tenant_find_slug(&t, ctx, "acme"));
	ck_assert_str_eq(saas_tenant_name(t), "acme"); /* an existing tenant keeps its name */
	saas_tenant_free(t);
	ck_ok(saas_tenant_find_slug(&t, ctx, "globex"));
	ck_assert_str_eq(saas_tenant_name(t), "Globex");
	ck_assert_int_eq(saas_tenant_status_of(t), SAAS_TENANT_ACTIVE);
	saas_tenant_free(t);
	ck_roles_of(acme, "bob@acme.example", "lead,viewer");
	ck_roles_of(acme, "alice@acme.example", "owner");
	ck_roles_of(globex, "carol@globex.example", "ops,owner");
	ck_roles_of(globex, "alice@acme.example", "viewer");
	char *list;
	ck_ok(saas_role_list(&list, ctx, th_scope(acme)));
	ck_assert_ptr_nonnull(strstr(list, "\"name\":\"editor\""));
	ck_assert_ptr_nonnull(strstr(list, "\"permissions\":[\"project:read\",\"project:update\"]"));
	saas_free(list);

	/* Audited, each with its usual event, by the scope's actor. */
	ck_assert_int_eq(count_of(acme, "role.created"), 2);
	ck_assert_int_eq(count_of(acme, "member.added"), 2); /* alice in setup, bob now */
	ck_assert_int_eq(count_of(acme, "rbac.imported"), 1);
	ck_assert_int_eq(count_of(globex, "tenant.created"), 1);
	ck_assert_int_eq(count_of(globex, "role.created"), 1);
	ck_assert_int_eq(count_of(globex, "member.added"), 2);
	ck_assert_int_eq(count_of(globex, "rbac.imported"), 1);
	ck_assert_int_eq(count_of(SAAS_SYSTEM_TENANT_ID, "user.created"), 3); /* 1 + 2 */
	ck_assert_int_eq(count_of(SAAS_SYSTEM_TENANT_ID, "tenant.created"), 2);
	ck_assert_int_eq(count_of(SAAS_SYSTEM_TENANT_ID, "rbac.imported"), 1);
	e = ta_event(ctx, acme, "rbac.imported", 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "actor"), "id")), "test");
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_object_get(json_object_get(e, "metadata"), "roles"), "created")),
	                 2);
	ck_assert(json_is_false(json_object_get(json_object_get(e, "metadata"), "tenant_created")));
	json_decref(e);
	e = ta_event(ctx, globex, "rbac.imported", 0);
	ck_assert(json_is_true(json_object_get(json_object_get(e, "metadata"), "tenant_created")));
	json_decref(e);
	e = ta_event(ctx, SAAS_SYSTEM_TENANT_ID, "rbac.imported", 0);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                         json_object_get(json_object_get(e, "metadata"), "users"), "created")),
	                 2);
	json_decref(e);
	ta_expect_intact(ctx, acme);
	ta_expect_intact(ctx, globex);
	ta_expect_intact(ctx, SAAS_SYSTEM_TENANT_ID);

	/* The report is optional; an empty document changes nothing. */
	ck_ok(imp(th_system(), "{}", NULL));
	ck_ok(imp(th_system(), "{'tenants':[],'users':[],'roles':[],'memberships':[]}", &report));
	ck_assert_str_eq(report,
	                 "{\"memberships\":{\"created\":0,\"unchanged\":0,\"updated\":0},"
	                 "\"roles\":{\"created\":0,\"unchanged\":0,\"updated\":0},"
	                 "\"tenants\":{\"created\":0,\"unchanged\":0,\"updated\":0},"
	                 "\"users\":{\"created\":0,\"unchanged\":0,\"updated\":0}}");
	saas_free(report);
	free((char *)globex);
}
END_TEST

/* Import twice: the second changes and records nothing. Then a changed
 * document updates exactly what it names. */
START_TEST(idempotent_and_updates)
{
	static const char doc[] =
		"{'users':[{'email':'bob@acme.example'},{'email':'dan@acme.example'}],"
		" 'roles':[{'tenant':'acme','name':'editor','permissions':['project:read']},"
		"          {'tenant':'acme','name':'auditor','permissions':['audit:read']}],"
		" 'memberships':[{'tenant':'acme','user':'bob@acme.example','roles':['editor']},"
		"                {'tenant':'acme','user':'dan@acme.example','roles':['member']}]}";
	char *report, *before, *after;

	ck_ok(imp(th_system(), doc, NULL));
	before = state();
	ck_ok(imp(th_system(), doc, &report));
	ck_assert_str_eq(report,
	                 "{\"memberships\":{\"created\":0,\"unchanged\":2,\"updated\":0},"
	                 "\"roles\":{\"created\":0,\"unchanged\":2,\"updated\":0},"
	                 "\"tenants\":{\"created\":0,\"unchanged\":0,\"updated\":0},"
	                 "\"users\":{\"created\":0,\"unchanged\":2,\"updated\":0}}");
	saas_free(report);
	after = state();
	ck_assert_str_eq(after, before); /* not even rbac.imported */
	free(after);
	free(before);

	/* Something the document does not name is left alone. */
	ck_ok(saas_role_create(ctx, th_scope(acme), "keeper", NULL, 0, NULL, 0));
	const char *erin = th_user(ctx, "erin@acme.example");
	ck_ok(saas_member_add(NULL, ctx, th_scope(acme), erin, (const char *[]){"keeper"}, 1));

	int64_t events = ta_count(ctx, acme);
	ck_ok(imp(th_system(),
	          "{'roles':[{'tenant':'acme','name':'editor','permissions':['project:read',"
	          "           'project:update'],'inherits':['auditor']},"
	          "          {'tenant':'acme','name':'auditor','permissions':['audit:read']}],"
	          " 'memberships':[{'tenant':'acme','user':'bob@acme.example','roles':['editor']},"
	          "                {'tenant':'acme','user':'dan@acme.example',"
	          "                 'roles':['member','auditor']}]}",
	          &report));
	ck_assert_str_eq(report,
	                 "{\"memberships\":{\"created\":0,\"unchanged\":1,\"updated\":1},"
	                 "\"roles\":{\"created\":0,\"unchanged\":1,\"updated\":1},"
	                 "\"tenants\":{\"created\":0,\"unchanged\":0,\"updated\":0},"
	                 "\"users\":{\"created\":0,\"unchanged\":0,\"updated\":0}}");
	saas_free(report);
	/* role.updated, member.roles_changed, rbac.imported; and nothing in the
	 * deployment's stream but its own rbac.imported */
	ck_assert_int_eq(ta_count(ctx, acme), events + 3);
	ck_assert_int_eq(count_of(acme, "role.updated"), 1);
	ck_assert_int_eq(count_of(acme, "member.roles_changed"), 1);
	json_t *e = ta_event(ctx, acme, "role.updated", 0);
	json_t *meta = json_object_get(e, "metadata");
	char *s = json_dumps(json_object_get(meta, "previous_permissions"), JSON_COMPACT);
	ck_assert_str_eq(s, "[\"project:read\"]");
	free(s);
	s = json_dumps(json_object_get(meta, "inherits"), JSON_COMPACT);
	ck_assert_str_eq(s, "[\"auditor\"]");
	free(s);
	json_decref(e);
	ck_roles_of(acme, "dan@acme.example", "auditor,member");
	ck_roles_of(acme, "erin@acme.example", "keeper");
	ck_roles_of(acme, "alice@acme.example", "owner");
	char *list;
	ck_ok(saas_role_list(&list, ctx, th_scope(acme)));
	ck_assert_ptr_nonnull(strstr(list, "\"name\":\"keeper\""));
	saas_free(list);
	ta_expect_intact(ctx, acme);
}
END_TEST

/* A policy built with the single-object calls; exported, imported into an
 * empty database, exported again: the same text. */
START_TEST(round_trip)
{
	const char *globex = known[nknown++] = th_tenant(ctx, "globex");
	const char *gone = th_tenant(ctx, "gone");
	const char *bob = th_user(ctx, "bob@acme.example");
	const char *carol = th_user(ctx, "carol@globex.example");
	const char *loner = th_user(ctx, "loner@example.com");
	char *a, *b, *one, *report;

	(void)loner;
	ck_ok(saas_role_create(ctx, th_scope(acme), "editor",
	                       (const char *[]){"project:update", "project:read"}, 2,
	                       (const char *[]){"viewer"}, 1));
	ck_ok(saas_role_create(ctx, th_scope(acme), "lead", (const char *[]){"*:approve"}, 1,
	                       (const char *[]){"editor", "admin"}, 2));
	ck_ok(saas_role_create(ctx, th_scope(acme), "empty", NULL, 0, NULL, 0));
	ck_ok(saas_role_create(ctx, th_scope(globex), "editor", (const char *[]){"doc:*"}, 1, NULL, 0));
	ck_ok(saas_member_add(NULL, ctx, th_scope(acme), bob, (const char *[]){"lead", "member"}, 2));
	ck_ok(saas_member_add(NULL, ctx, th_scope(globex), carol, (const char *[]){"owner"}, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(globex), bob, (const char *[]){"editor"}, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(gone), carol, (const char *[]){"owner"}, 1));
	ck_ok(saas_tenant_suspend(ctx, th_scope(globex), "unpaid"));
	ck_ok(saas_tenant_delete(ctx, th_scope(gone), 30));

	a = export_all();
	ck_assert_str_eq(
		a,
		"{\"memberships\":["
		"{\"roles\":[\"owner\"],\"tenant\":\"acme\",\"user\":\"alice@acme.example\"},"
		"{\"roles\":[\"lead\",\"member\"],\"tenant\":\"acme\",\"user\":\"bob@acme.example\"},"
		"{\"roles\":[\"editor\"],\"tenant\":\"globex\",\"user\":\"bob@acme.example\"},"
		"{\"roles\":[\"owner\"],\"tenant\":\"globex\",\"user\":\"carol@globex.example\"}],"
		"\"roles\":["
		"{\"inherits\":[\"viewer\"],\"name\":\"editor\",\"permissions\":[\"project:read\","
		"\"project:update\"],\"tenant\":\"acme\"},"
		"{\"inherits\":[],\"name\":\"empty\",\"permissions\":[],\"tenant\":\"acme\"},"
		"{\"inherits\":[\"admin\",\"editor\"],\"name\":\"lead\",\"permissions\":[\"*:approve\"],"
		"\"tenant\":\"acme\"},"
		"{\"inherits\":[],\"name\":\"editor\",\"permissions\":[\"doc:*\"],\"tenant\":\"globex\"}],"
		"\"tenants\":[{\"name\":\"acme\",\"slug\":\"acme\"},{\"name\":\"globex\",\"slug\":\"globex\"}],"
		"\"users\":[{\"email\":\"alice@acme.example\"},{\"email\":\"bob@acme.example\"},"
		"{\"email\":\"carol@globex.example\"}]}");

	/* One tenant: only its own. */
	ck_ok(saas_rbac_export(&one, ctx, th_scope(globex)));
	ck_assert_str_eq(
		one,
		"{\"memberships\":["
		"{\"roles\":[\"editor\"],\"tenant\":\"globex\",\"user\":\"bob@acme.example\"},"
		"{\"roles\":[\"owner\"],\"tenant\":\"globex\",\"user\":\"carol@globex.example\"}],"
		"\"roles\":[{\"inherits\":[],\"name\":\"editor\",\"permissions\":[\"doc:*\"],"
		"\"tenant\":\"globex\"}],"
		"\"tenants\":[{\"name\":\"globex\",\"slug\":\"globex\"}],"
		"\"users\":[{\"email\":\"bob@acme.example\"},{\"email\":\"carol@globex.example\"}]}");
	saas_free(one);
	/* A suspended tenant exports; one pending deletion does not. */
	ck_rc(saas_rbac_export(&one, ctx, th_scope(gone)), SAAS_EDELETED);
	ck_assert_ptr_null(one);

	/* Into an empty database. */
	th_close(ctx);
	ctx = th_open(url);
	nknown = 0;
	ck_ok(saas_rbac_import(&report, ctx, th_system(), a));
	ck_assert_str_eq(report,
	                 "{\"memberships\":{\"created\":4,\"unchanged\":0,\"updated\":0},"
	                 "\"roles\":{\"created\":4,\"unchanged\":0,\"updated\":0},"
	                 "\"tenants\":{\"created\":2,\"unchanged\":0,\"updated\":0},"
	                 "\"users\":{\"created\":3,\"unchanged\":0,\"updated\":0}}");
	saas_free(report);
	b = export_all();
	ck_assert_str_eq(b, a);
	saas_free(b);
	/* And once more: nothing to do. */
	ck_ok(saas_rbac_import(&report, ctx, th_system(), a));
	ck_assert_ptr_nonnull(strstr(report, "\"memberships\":{\"created\":0,\"unchanged\":4"));
	saas_free(report);
	saas_free(a);
}
END_TEST

/* More members than one page of the store's listing (1,000). */
START_TEST(export_pages)
{
	enum { N = 1005 };
	size_t len = 100 + N * 120, n = 0;
	char *doc = malloc(len), *out, *report;
	json_t *parsed;

	ck_assert_ptr_nonnull(doc);
	n += (size_t)snprintf(doc + n, len - n, "{\"users\":[");
	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(doc + n, len - n, "%s{\"email\":\"u%04d@example.com\"}",
		                      i ? "," : "", i);
	n += (size_t)snprintf(doc + n, len - n, "],\"memberships\":[");
	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(doc + n, len - n,
		                      "%s{\"tenant\":\"acme\",\"user\":\"u%04d@example.com\","
		                      "\"roles\":[\"viewer\"]}",
		                      i ? "," : "", i);
	snprintf(doc + n, len - n, "]}");
	ck_ok(saas_rbac_import(&report, ctx, th_scope(acme), doc));
	ck_assert_ptr_nonnull(strstr(report, "\"memberships\":{\"created\":1005"));
	saas_free(report);
	ck_ok(saas_rbac_export(&out, ctx, th_scope(acme)));
	parsed = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(parsed);
	ck_assert_uint_eq(json_array_size(json_object_get(parsed, "memberships")), N + 1);
	ck_assert_uint_eq(json_array_size(json_object_get(parsed, "users")), N + 1);
	json_decref(parsed);
	saas_free(out);
	free(doc);
}
END_TEST

/* A bad entry anywhere, the last one included, changes nothing; each
 * refusal names the entry by its position. */
START_TEST(refusals_name_positions)
{
	const saas_scope *sys = th_system();

	/* The document as a whole. */
	refused(sys, "{'tenants':", SAAS_EINVAL, "policy: not valid JSON");
	refused(sys, "[]", SAAS_EINVAL, "must be a JSON object");
	refused(sys, "{'groups':[]}", SAAS_EINVAL, "unknown key 'groups'");
	refused(sys, "{'users':[],'users':[]}", SAAS_EINVAL, "not valid JSON");
	refused(sys, "{'tenants':{}}", SAAS_EINVAL, "policy: tenants: must be an array");
	/* tenants */
	refused(sys, "{'tenants':[{'slug':'beta','name':'B'},{'slug':'c','name':'C','id':1}]}",
	        SAAS_EINVAL, "policy: tenants[1]: unknown key 'id'");
	refused(sys, "{'tenants':['acme']}", SAAS_EINVAL, "tenants[0]: must be a JSON object");
	refused(sys, "{'tenants':[{'slug':'Acme','name':'A'}]}", SAAS_EINVAL,
	        "tenants[0].slug: 'Acme' is not a tenant slug");
	refused(sys, "{'tenants':[{'slug':'beta'}]}", SAAS_EINVAL, "tenants[0]: 'name' is required");
	refused(sys, "{'tenants':[{'slug':'beta','name':7}]}", SAAS_EINVAL,
	        "tenants[0].name: must be a string");
	refused(sys, "{'tenants':[{'slug':'beta','name':''}]}", SAAS_EINVAL,
	        "tenants[0].name: '' is not a tenant name");
	refused(sys, "{'tenants':[{'slug':'beta','name':'B'},{'slug':'beta','name':'B'}]}",
	        SAAS_EINVAL, "tenants[1].slug: tenant 'beta' is listed twice (also tenants[0].slug)");
	/* users */
	refused(sys, "{'users':[{'email':'nope'}]}", SAAS_EINVAL,
	        "users[0].email: 'nope' is not an email address");
	refused(sys, "{'users':[{'email':'a@x.example'},{'email':' A@X.example'}]}", SAAS_EINVAL,
	        "users[1].email: user 'a@x.example' is listed twice (also users[0].email)");
	refused(sys, "{'users':[{'email':'a@x.example','name':'A'}]}", SAAS_EINVAL,
	        "users[0]: unknown key 'name'");
	/* roles */
	refused(sys,
	        "{'roles':[{'tenant':'acme','name':'a'},{'tenant':'acme','name':'b'},"
	        "{'tenant':'acme','name':'c'},"
	        "{'tenant':'acme','name':'d','permissions':['project:read','Project:Read']}]}",
	        SAAS_EINVAL, "policy: roles[3].permissions[1]: 'Project:Read' is not a permission");
	refused(sys, "{'roles':[{'tenant':'acme','name':'admin'}]}", SAAS_EINVAL,
	        "roles[0].name: 'admin' is a role of the deployment");
	refused(sys, "{'roles':[{'tenant':'acme','name':'Editor'}]}", SAAS_EINVAL,
	        "roles[0].name: 'Editor' is not a role name");
	refused(sys, "{'roles':[{'tenant':'acme','name':'e','inherits':['nobody']}]}", SAAS_EINVAL,
	        "roles[0].inherits[0]: role 'nobody' is neither a role of the deployment nor a "
	        "custom role of tenant 'acme'");
	refused(sys, "{'roles':[{'tenant':'acme','name':'e','inherits':['viewer','e']}]}",
	        SAAS_EINVAL, "roles[0].inherits[1]: role 'e' cannot inherit itself");
	refused(sys,
	        "{'roles':[{'tenant':'acme','name':'x'},{'tenant':'acme','name':'a','inherits':['b']},"
	        "{'tenant':'acme','name':'b','inherits':['c']},"
	        "{'tenant':'acme','name':'c','inherits':['a']}]}",
	        SAAS_EINVAL,
	        "roles[1].inherits: role 'a' would inherit itself through 'b' (a cycle: a -> b -> c "
	        "-> a)");
	refused(sys, "{'roles':[{'tenant':'acme','name':'e','permissions':'x:y'}]}", SAAS_EINVAL,
	        "roles[0].permissions: must be an array of strings");
	refused(sys, "{'roles':[{'tenant':'acme','name':'e','permissions':[1]}]}", SAAS_EINVAL,
	        "roles[0].permissions[0]: must be a string");
	refused(sys, "{'roles':[{'tenant':'acme','name':'e'},{'tenant':'acme','name':'e'}]}",
	        SAAS_EINVAL, "roles[1].name: tenant 'acme' has the role 'e' twice (also roles[0])");
	refused(sys, "{'roles':[{'name':'e'}]}", SAAS_EINVAL, "roles[0]: 'tenant' is required");
	refused(sys, "{'roles':[{'tenant':'nosuch','name':'e'}]}", SAAS_EINVAL,
	        "roles[0].tenant: no tenant 'nosuch' in the document or the database");
	/* memberships */
	refused(sys,
	        "{'users':[{'email':'b@x.example'}],'memberships':["
	        "{'tenant':'acme','user':'b@x.example','roles':['viewer']},"
	        "{'tenant':'acme','user':'alice@acme.example','roles':['owner']},"
	        "{'tenant':'nosuch','user':'b@x.example','roles':['viewer']}]}",
	        SAAS_EINVAL, "memberships[2].tenant: no tenant 'nosuch' in the document or the database");
	refused(sys, "{'memberships':[{'tenant':'acme','user':'ghost@x.example','roles':['viewer']}]}",
	        SAAS_EINVAL, "memberships[0].user: no user 'ghost@x.example' in the document or the database");
	refused(sys, "{'memberships':[{'tenant':'acme','user':'alice@acme.example','roles':[]}]}",
	        SAAS_EINVAL, "memberships[0].roles: a membership has at least one role");
	refused(sys, "{'memberships':[{'tenant':'acme','user':'alice@acme.example'}]}", SAAS_EINVAL,
	        "memberships[0]: 'roles' is required");
	refused(sys,
	        "{'memberships':[{'tenant':'acme','user':'alice@acme.example','roles':['owner','billing']}]}",
	        SAAS_EINVAL,
	        "memberships[0].roles[1]: role 'billing' is neither a role of the deployment nor a "
	        "custom role of tenant 'acme'");
	refused(sys,
	        "{'memberships':[{'tenant':'acme','user':'alice@acme.example','roles':['owner']},"
	        "{'tenant':'acme','user':'ALICE@acme.example','roles':['owner']}]}",
	        SAAS_EINVAL, "memberships[1].user: user 'alice@acme.example' is given twice");
	refused(sys,
	        "{'memberships':[{'tenant':'acme','user':'alice@acme.example','roles':"
	        "['a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p','q']}]}",
	        SAAS_EINVAL, "memberships[0].roles: 17 entries: at most 16 are allowed");

	/* The last entry bad, after entries that would create and change things
	 * in several tenants and streams: nothing at all is written. */
	refused(sys,
	        "{'tenants':[{'slug':'globex','name':'Globex'}],"
	        " 'users':[{'email':'new@x.example'}],"
	        " 'roles':[{'tenant':'acme','name':'editor'},{'tenant':'globex','name':'ops'}],"
	        " 'memberships':[{'tenant':'globex','user':'new@x.example','roles':['ops']},"
	        "                {'tenant':'acme','user':'alice@acme.example','roles':['owner','editor']},"
	        "                {'tenant':'acme','user':'new@x.example','roles':['ghost']}]}",
	        SAAS_EINVAL, "memberships[2].roles[0]: role 'ghost'");
	saas_tenant *t = (saas_tenant *)sys;
	ck_rc(saas_tenant_find_slug(&t, ctx, "globex"), SAAS_ENOTFOUND);
	saas_user *u;
	ck_rc(saas_user_get_by_email(&u, ctx, "new@x.example"), SAAS_ENOTFOUND);

	/* The last owner. */
	const char *bob = th_user(ctx, "bob@acme.example");
	ck_ok(saas_member_add(NULL, ctx, th_scope(acme), bob, (const char *[]){"member"}, 1));
	refused(sys,
	        "{'memberships':[{'tenant':'acme','user':'bob@acme.example','roles':['viewer']},"
	        "{'tenant':'acme','user':'alice@acme.example','roles':['admin']}]}",
	        SAAS_ESTATE,
	        "memberships[1].roles: tenant 'acme' would be left without an owner");
	/* ... but handing ownership over in the same document is fine, in either order. */
	ck_ok(imp(sys,
	          "{'memberships':[{'tenant':'acme','user':'alice@acme.example','roles':['admin']},"
	          "{'tenant':'acme','user':'bob@acme.example','roles':['owner']}]}",
	          NULL));
	ck_roles_of(acme, "bob@acme.example", "owner");
	ck_roles_of(acme, "alice@acme.example", "admin");
}
END_TEST

static void big_array(const char *key, const char *entry, size_t n, const char *words)
{
	size_t len = 64 + n * (strlen(entry) + 1), k = 0;
	char *doc = malloc(len);
	char *before = state(), *after;

	ck_assert_ptr_nonnull(doc);
	k += (size_t)snprintf(doc, len, "{\"%s\":[", key);
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(doc + k, len - k, "%s%s", i ? "," : "", entry);
	snprintf(doc + k, len - k, "]}");
	ck_rc(saas_rbac_import(NULL, ctx, th_system(), doc), SAAS_EINVAL);
	ck_field("policy");
	ck_assert_msg(strstr(last_message(), words), "message '%s' lacks '%s'", last_message(),
	              words);
	after = state();
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
	free(doc);
}

START_TEST(limits_and_arguments)
{
	char *report = (char *)ctx, *out = (char *)ctx;

	big_array("users", "{\"email\":\"a@b.example\"}", SAAS_POLICY_MAX_ENTRIES + 1,
	          "users: 10001 entries: at most 10000 are allowed");
	big_array("roles", "{}", SAAS_POLICY_MAX_ENTRIES + 1, "roles: 10001 entries");
	/* 257 permissions */
	{
		size_t len = 300 * 20, k = 0;
		char *doc = malloc(len);
		k += (size_t)snprintf(doc, len,
		                      "{\"roles\":[{\"tenant\":\"acme\",\"name\":\"r\",\"permissions\":[");
		for (int i = 0; i < 257; i++)
			k += (size_t)snprintf(doc + k, len - k, "%s\"p%d:read\"", i ? "," : "", i);
		snprintf(doc + k, len - k, "]}]}");
		ck_rc(saas_rbac_import(NULL, ctx, th_system(), doc), SAAS_EINVAL);
		ck_assert_ptr_nonnull(strstr(last_message(), "roles[0].permissions: 257 entries"));
		free(doc);
	}
	/* Arguments. */
	ck_rc(saas_rbac_import(&report, NULL, th_system(), "{}"), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_ptr_null(report);
	ck_rc(saas_rbac_import(&report, ctx, NULL, "{}"), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_rbac_import(&report, ctx, th_system(), NULL), SAAS_EINVAL);
	ck_field("policy");
	ck_rc(saas_rbac_export(NULL, ctx, th_system()), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_rbac_export(&out, NULL, th_system()), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_ptr_null(out);
	ck_rc(saas_rbac_export(&out, ctx, NULL), SAAS_EINVAL);
	ck_field("scope");
	char *ghost;
	ck_ok(saas_id_new(&ghost, ctx, "ten"));
	ck_rc(saas_rbac_export(&out, ctx, th_scope(ghost)), SAAS_ENOTFOUND);
	ck_rc(saas_rbac_import(&report, ctx, th_scope(ghost), "{}"), SAAS_ENOTFOUND);
	ck_field("tenant_id");
	saas_free(ghost);
}
END_TEST

/* A tenant's scope: only that tenant; its status. */
START_TEST(scope_and_status)
{
	const char *globex = known[nknown++] = th_tenant(ctx, "globex");
	const saas_scope *sa = th_scope(acme);
	char *report;

	/* Another tenant, or creating one, needs a deployment-wide scope. */
	refused(sa, "{'roles':[{'tenant':'acme','name':'ok'},{'tenant':'globex','name':'e'}]}",
	        SAAS_EINVAL,
	        "roles[1].tenant: tenant 'globex' is not the scope's tenant ('acme')");
	refused(sa, "{'tenants':[{'slug':'newco','name':'N'}]}", SAAS_EINVAL,
	        "tenants[0].slug: tenant 'newco' is not the scope's tenant ('acme')");
	/* Its own policy, creating users: fine; the deployment's stream records the
	 * users and the import. */
	int64_t sys_events = ta_count(ctx, SAAS_SYSTEM_TENANT_ID);
	ck_ok(imp(sa,
	          "{'tenants':[{'slug':'acme','name':'A'}],'users':[{'email':'bob@acme.example'}],"
	          " 'roles':[{'tenant':'acme','name':'editor'}],"
	          " 'memberships':[{'tenant':'acme','user':'bob@acme.example','roles':['editor']}]}",
	          &report));
	ck_assert_ptr_nonnull(strstr(report, "\"users\":{\"created\":1"));
	saas_free(report);
	ck_assert_int_eq(ta_count(ctx, SAAS_SYSTEM_TENANT_ID), sys_events + 2);
	ck_assert_int_eq(count_of(acme, "rbac.imported"), 1);
	ck_assert_int_eq(count_of(globex, "rbac.imported"), 0);
	/* Without new users, only the tenant's stream. */
	ck_ok(imp(sa, "{'roles':[{'tenant':'acme','name':'writer'}]}", NULL));
	ck_assert_int_eq(ta_count(ctx, SAAS_SYSTEM_TENANT_ID), sys_events + 2);
	ck_assert_int_eq(count_of(acme, "rbac.imported"), 2);

	/* Suspended: a change is refused, the same document unchanged is not. */
	ck_ok(saas_tenant_suspend(ctx, th_scope(acme), "unpaid"));
	refused(th_system(),
	        "{'tenants':[{'slug':'globex','name':'G'},{'slug':'acme','name':'A'}],"
	        " 'roles':[{'tenant':'globex','name':'ok'},{'tenant':'acme','name':'new'}]}",
	        SAAS_ESUSPENDED, "tenants[1].slug: tenant 'acme' is suspended");
	ck_ok(imp(th_system(), "{'roles':[{'tenant':'acme','name':'writer'}]}", &report));
	ck_assert_ptr_nonnull(strstr(report, "\"roles\":{\"created\":0,\"unchanged\":1"));
	saas_free(report);
	ck_ok(saas_tenant_reactivate(ctx, th_scope(acme)));
	/* Pending deletion: refused even unchanged. */
	ck_ok(saas_tenant_delete(ctx, th_scope(acme), 30));
	refused(th_system(), "{'roles':[{'tenant':'acme','name':'writer'}]}", SAAS_EDELETED,
	        "roles[0].tenant: tenant 'acme' is scheduled for deletion");
	/* ... and with a scope on it, whatever the document says. */
	ck_rc(imp(sa, "{}", NULL), SAAS_EDELETED);
	ck_field("tenant_id");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rbac_policy");
	TCase *tc = tcase_create(url);

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, import_creates_and_reports);
	tcase_add_test(tc, idempotent_and_updates);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, export_pages);
	tcase_add_test(tc, refusals_name_positions);
	tcase_add_test(tc, limits_and_arguments);
	tcase_add_test(tc, scope_and_status);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
