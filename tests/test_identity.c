/*
 * Identity: users (normalised unique email), memberships with roles and the
 * last-owner rule, ownership transfer, pagination, invitations (hashed
 * single-use token, expiry, revocation). Runs on memory: and on a SQLite file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "helpers.h"
#include "store/store.h"

#define DAY_MS (24LL * 3600 * 1000)

static saas_ctx *ctx;

static const char *const OWNER[] = {"owner"};
static const char *const MEMBER[] = {"member"};
static const char *const ADMIN[] = {"admin"};

static void setup(void)
{
	ctx = th_open(th_url);
}

static void teardown(void)
{
	th_close(ctx);
	ctx = NULL;
}

/* Events in a tenant's audit stream (optionally of one action). */
static int64_t audit_count(const char *tenant, const char *action)
{
	saas_tx *tx;
	int64_t n = -1;

	ck_ok(saas__tx_begin(&tx, ctx, tenant, false));
	ck_ok(saas__st_audit_count(&n, tx, action));
	saas__tx_rollback(tx);
	return n;
}

/* Members of a tenant (all of them, one page). */
static size_t member_count(const saas_scope *sc)
{
	saas_member_page *p;
	size_t n;

	ck_ok(saas_member_list(&p, ctx, sc, NULL, 1000));
	n = saas_member_page_count(p);
	saas_member_page_free(p);
	return n;
}

/* A fresh, well-formed id that names nothing. */
static char *unknown_id(const char *prefix)
{
	char *id;

	ck_ok(saas_id_new(&id, ctx, prefix));
	return id;
}

static const char *last_message(void)
{
	return saas_error_message(saas_error_last());
}

static json_t *export_doc(const char *tenant)
{
	saas_scope *sc;
	char *text;
	json_t *doc;

	ck_ok(saas_scope_new(&sc, tenant, SAAS_ACTOR_SYSTEM, "test"));
	ck_ok(saas_tenant_export(&text, ctx, sc));
	saas_scope_free(sc);
	doc = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	saas_free(text);
	return doc;
}

/* The metadata of the first audit event with `action` in an export (a new reference). */
static json_t *event_metadata(json_t *doc, const char *action)
{
	json_t *rows = json_object_get(json_object_get(doc, "tables"), "audit_events");
	size_t i;
	json_t *row;

	ck_assert(json_is_array(rows));
	json_array_foreach(rows, i, row) {
		if (strcmp(json_string_value(json_object_get(row, "action")), action) == 0) {
			json_t *meta = json_object_get(row, "metadata");

			/* an object, or (older exports) its text */
			if (json_is_string(meta))
				meta = json_loads(json_string_value(meta), 0, NULL);
			else
				json_incref(meta);
			ck_assert(json_is_object(meta));
			return meta;
		}
	}
	ck_abort_msg("no audit event %s", action);
	return NULL;
}

static void ck_roles(const saas_member *m, size_t n, const char *const *want)
{
	ck_assert_uint_eq(saas_member_role_count(m), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(saas_member_role_at(m, i), want[i]);
	ck_assert_ptr_null(saas_member_role_at(m, n));
}

static void ck_member_roles(const saas_scope *sc, const char *user, size_t n,
                            const char *const *want)
{
	saas_member *m;

	ck_ok(saas_member_get(&m, ctx, sc, user));
	ck_roles(m, n, want);
	saas_member_free(m);
}

static const char *invitation_status(const saas_scope *sc, const char *id)
{
	static char status[16];
	saas_invitation *inv;

	ck_ok(saas_invitation_get(&inv, ctx, sc, id));
	snprintf(status, sizeof status, "%s", saas_invitation_status(inv));
	saas_invitation_free(inv);
	return status;
}

/* ---- emails and users ------------------------------------------------------------ */

START_TEST(email_normalize)
{
	static const char *const bad[] = {
		"",
		"   \t ",
		"alice",
		"alice@",
		"@example.com",
		"alice@example",
		"alice@@example.com",
		"al ice@example.com",
		"alice@exa_mple.com",
		".alice@example.com",
		"alice.@example.com",
		"al..ice@example.com",
		"alice@-example.com",
		"alice@example-.com",
		"alic\xc3\xa9@example.com",
		"alice@example.com\r\nbcc: x@example.com",
		"a\x01@example.com",
		"alice@example..com",
	};
	char local[66], longest[300], *s;

	ck_ok(saas_email_normalize(&s, "  Alice.Smith+Tag@Example.COM \t\n"));
	ck_assert_str_eq(s, "alice.smith+tag@example.com");
	saas_free(s);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = (char *)bad;
		ck_rc(saas_email_normalize(&s, bad[i]), SAAS_EINVAL);
		ck_field("email");
		ck_assert_ptr_null(s);
	}
	ck_rc(saas_email_normalize(&s, "not-an-email"), SAAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(last_message(), "'not-an-email'"));
	ck_rc(saas_email_normalize(&s, NULL), SAAS_EINVAL);
	ck_field("email");
	ck_rc(saas_email_normalize(NULL, "a@example.com"), SAAS_EINVAL);
	ck_field("out");

	/* 64 bytes of local part are allowed, 65 are not */
	memset(local, 'a', 65);
	local[65] = '\0';
	snprintf(longest, sizeof longest, "%s@example.com", local);
	ck_rc(saas_email_normalize(&s, longest), SAAS_EINVAL);
	local[64] = '\0';
	snprintf(longest, sizeof longest, "%s@example.com", local);
	ck_ok(saas_email_normalize(&s, longest));
	saas_free(s);

	/* 254 bytes in all are allowed, 255 are not (trimmed whitespace does not count) */
	char d1[64], d2[64], d3[64];
	memset(d1, 'b', 63);
	d1[63] = '\0';
	memset(d2, 'c', 63);
	d2[63] = '\0';
	memset(d3, 'd', 62);
	d3[62] = '\0';
	snprintf(longest, sizeof longest, "%s@%s.%s.%s", local, d1, d2, d3);
	ck_assert_uint_eq(strlen(longest), 255);
	ck_rc(saas_email_normalize(&s, longest), SAAS_EINVAL);
	ck_field("email");
	d3[61] = '\0';
	snprintf(longest, sizeof longest, "  %s@%s.%s.%s  ", local, d1, d2, d3);
	ck_ok(saas_email_normalize(&s, longest));
	ck_assert_uint_eq(strlen(s), 254);
	saas_free(s);
}
END_TEST

START_TEST(user_create_and_read)
{
	saas_scope *sys = th_system();
	saas_user *u, *g;
	char *text;
	json_t *doc;

	ck_ok(saas_user_create(&u, ctx, sys, "  Bob@Example.com ", "Bob Builder"));
	ck_assert_str_eq(saas_user_email(u), "bob@example.com");
	ck_assert_str_eq(saas_user_display_name(u), "Bob Builder");
	ck_ok(saas_id_check(saas_user_id(u), "usr"));
	ck_assert_int_eq(saas_user_created_at(u), th_clock_ms);

	ck_ok(saas_user_to_json(&text, u));
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(json_object_size(doc), 4);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "id")), saas_user_id(u));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "email")), "bob@example.com");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "display_name")), "Bob Builder");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "created_at")),
	                 "2026-01-01T00:00:00.000Z");
	json_decref(doc);

	ck_ok(saas_user_get(&g, ctx, saas_user_id(u)));
	ck_assert_str_eq(saas_user_email(g), "bob@example.com");
	ck_assert_str_eq(saas_user_display_name(g), "Bob Builder");
	ck_assert_int_eq(saas_user_created_at(g), saas_user_created_at(u));
	saas_user_free(g);
	ck_ok(saas_user_get_by_email(&g, ctx, " BOB@example.COM"));
	ck_assert_str_eq(saas_user_id(g), saas_user_id(u));
	saas_user_free(g);

	/* the deployment's stream records the creation, without the email */
	ck_assert_int_eq(audit_count(SAAS_SYSTEM_TENANT_ID, "user.created"), 1);

	/* NULL display name: "" */
	ck_ok(saas_user_create(&g, ctx, sys, "carol@example.com", NULL));
	ck_assert_str_eq(saas_user_display_name(g), "");
	saas_user_free(g);
	/* a scope with a tenant is fine: the tenant is not used */
	ck_ok(saas_user_create(NULL, ctx, th_scope(SAAS_SYSTEM_TENANT_ID), "dan@example.com", ""));
	saas_user_free(u);
	ck_assert_int_eq(audit_count(SAAS_SYSTEM_TENANT_ID, "user.created"), 3);
}
END_TEST

START_TEST(user_create_refusals)
{
	saas_scope *sys = th_system();
	char name[202];
	saas_user *u = (saas_user *)sys;

	ck_ok(saas_user_create(NULL, ctx, sys, "bob@example.com", NULL));

	/* duplicates, whatever the case and whitespace */
	ck_rc(saas_user_create(&u, ctx, sys, "bob@example.com", NULL), SAAS_EEXISTS);
	ck_field("email");
	ck_assert_ptr_nonnull(strstr(last_message(), "bob@example.com"));
	ck_assert_ptr_null(u);
	ck_rc(saas_user_create(&u, ctx, sys, "  BOB@Example.COM\t", "Other Bob"), SAAS_EEXISTS);
	ck_field("email");

	ck_rc(saas_user_create(&u, ctx, sys, "not an email", NULL), SAAS_EINVAL);
	ck_field("email");
	ck_assert_ptr_null(u);
	ck_rc(saas_user_create(NULL, ctx, sys, NULL, NULL), SAAS_EINVAL);
	ck_field("email");
	ck_rc(saas_user_create(NULL, ctx, sys, "eve@example.com", "bad\nname"), SAAS_EINVAL);
	ck_field("display_name");
	ck_rc(saas_user_create(NULL, ctx, sys, "eve@example.com", "bad\xff"), SAAS_EINVAL);
	ck_field("display_name");
	memset(name, 'x', 201);
	name[201] = '\0';
	ck_rc(saas_user_create(NULL, ctx, sys, "eve@example.com", name), SAAS_EINVAL);
	ck_field("display_name");
	ck_rc(saas_user_create(NULL, ctx, NULL, "eve@example.com", NULL), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_user_create(NULL, NULL, sys, "eve@example.com", NULL), SAAS_EINVAL);
	ck_field("ctx");

	/* nothing of the refused calls was written */
	ck_rc(saas_user_get_by_email(&u, ctx, "eve@example.com"), SAAS_ENOTFOUND);
	ck_assert_int_eq(audit_count(SAAS_SYSTEM_TENANT_ID, "user.created"), 1);

	name[200] = '\0';
	ck_ok(saas_user_create(&u, ctx, sys, "eve@example.com", name));
	ck_assert_str_eq(saas_user_display_name(u), name);
	saas_user_free(u);
}
END_TEST

START_TEST(user_read_refusals)
{
	char *unknown = unknown_id("usr"), *ten = unknown_id("ten");
	saas_user *u = (saas_user *)ctx;

	ck_rc(saas_user_get(&u, ctx, NULL), SAAS_EINVAL);
	ck_field("user_id");
	ck_assert_ptr_null(u);
	ck_rc(saas_user_get(&u, ctx, "usr_123"), SAAS_EINVAL);
	ck_field("user_id");
	ck_assert_ptr_nonnull(strstr(last_message(), "usr_123"));
	ck_rc(saas_user_get(&u, ctx, ten), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_user_get(&u, ctx, unknown), SAAS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(last_message(), unknown));
	ck_rc(saas_user_get(NULL, ctx, unknown), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_user_get(&u, NULL, unknown), SAAS_EINVAL);
	ck_field("ctx");
	ck_rc(saas_user_get_by_email(&u, ctx, "nobody@example.com"), SAAS_ENOTFOUND);
	ck_field("email");
	ck_rc(saas_user_get_by_email(&u, ctx, "nobody"), SAAS_EINVAL);
	ck_field("email");
	ck_rc(saas_user_get_by_email(NULL, ctx, "nobody@example.com"), SAAS_EINVAL);
	ck_assert_ptr_null(u);

	/* accessors and JSON of NULL */
	char *text = (char *)ctx;
	ck_assert_ptr_null(saas_user_id(NULL));
	ck_assert_ptr_null(saas_user_email(NULL));
	ck_assert_int_eq(saas_user_created_at(NULL), 0);
	ck_rc(saas_user_to_json(&text, NULL), SAAS_EINVAL);
	ck_assert_ptr_null(text);
	ck_rc(saas_user_to_json(NULL, NULL), SAAS_EINVAL);
	saas_user_free(NULL);
	saas_free(unknown);
	saas_free(ten);
}
END_TEST

/* ---- memberships ------------------------------------------------------------------ */

START_TEST(member_add_and_get)
{
	const char *t = th_tenant(ctx, "acme");
	const char *u = th_user(ctx, "u@example.com");
	const char *v = th_user(ctx, "v@example.com");
	const char *roles[] = {"member", "admin", "member"};
	const char *sorted[] = {"admin", "member"};
	saas_scope *sc = th_scope(t);
	saas_member *m, *g;
	char *text;
	json_t *doc, *meta;

	ck_ok(saas_member_add(&m, ctx, sc, u, roles, 3));
	ck_ok(saas_id_check(saas_member_id(m), "mem"));
	ck_assert_str_eq(saas_member_tenant_id(m), t);
	ck_assert_str_eq(saas_member_user_id(m), u);
	ck_roles(m, 2, sorted);
	ck_assert(saas_member_has_role(m, "admin"));
	ck_assert(!saas_member_has_role(m, "owner"));
	ck_assert(!saas_member_has_role(m, NULL));
	ck_assert_int_eq(saas_member_created_at(m), th_clock_ms);

	ck_ok(saas_member_to_json(&text, m));
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(json_object_size(doc), 5);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "id")), saas_member_id(m));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "tenant_id")), t);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "user_id")), u);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "roles")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(doc, "roles"), 0)),
	                 "admin");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "created_at")),
	                 "2026-01-01T00:00:00.000Z");
	json_decref(doc);

	ck_ok(saas_member_get(&g, ctx, sc, u));
	ck_assert_str_eq(saas_member_id(g), saas_member_id(m));
	ck_assert_str_eq(saas_member_tenant_id(g), t);
	ck_roles(g, 2, sorted);
	saas_member_free(g);

	/* one audit event with the user and the roles */
	ck_assert_int_eq(audit_count(t, "member.added"), 1);
	doc = export_doc(t);
	meta = event_metadata(doc, "member.added");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "user_id")), u);
	ck_assert_uint_eq(json_array_size(json_object_get(meta, "roles")), 2);
	json_decref(meta);
	json_decref(doc);
	saas_member_free(m);

	/* out may be NULL */
	ck_ok(saas_member_add(NULL, ctx, sc, v, OWNER, 1));
	ck_assert_uint_eq(member_count(sc), 2);
}
END_TEST

START_TEST(member_add_refusals)
{
	const char *t = th_tenant(ctx, "acme");
	const char *u = th_user(ctx, "u@example.com");
	const char *v = th_user(ctx, "v@example.com");
	char *nouser = unknown_id("usr"), *noten = unknown_id("ten");
	saas_scope *sc = th_scope(t), *ghost = th_scope(noten), *sys = th_system();
	const char *bad_role[] = {"Admin"};
	const char *empty_role[] = {""};
	const char *null_role[] = {"owner", NULL};
	const char *many[17];
	char names[17][8];
	saas_member *m = (saas_member *)sc;

	ck_ok(saas_member_add(NULL, ctx, sc, u, OWNER, 1));
	int64_t events = audit_count(t, NULL);

	ck_rc(saas_member_add(&m, ctx, sc, u, MEMBER, 1), SAAS_EEXISTS);
	ck_field("user_id");
	ck_assert_ptr_nonnull(strstr(last_message(), u));
	ck_assert_ptr_null(m);
	ck_rc(saas_member_add(&m, ctx, sc, nouser, MEMBER, 1), SAAS_ENOTFOUND);
	ck_field("user_id");
	ck_assert_ptr_nonnull(strstr(last_message(), nouser));
	ck_rc(saas_member_add(&m, ctx, sc, "usr_bad", MEMBER, 1), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_member_add(&m, ctx, sc, t, MEMBER, 1), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_member_add(&m, ctx, sc, NULL, MEMBER, 1), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_member_add(&m, ctx, sc, v, NULL, 0), SAAS_EINVAL);
	ck_field("roles");
	ck_rc(saas_member_add(&m, ctx, sc, v, MEMBER, 0), SAAS_EINVAL);
	ck_field("roles");
	ck_rc(saas_member_add(&m, ctx, sc, v, bad_role, 1), SAAS_EINVAL);
	ck_field("roles");
	ck_assert_ptr_nonnull(strstr(last_message(), "Admin"));
	ck_rc(saas_member_add(&m, ctx, sc, v, empty_role, 1), SAAS_EINVAL);
	ck_field("roles");
	ck_rc(saas_member_add(&m, ctx, sc, v, null_role, 2), SAAS_EINVAL);
	ck_field("roles");
	for (int i = 0; i < 17; i++) {
		snprintf(names[i], sizeof names[i], "r%d", i);
		many[i] = names[i];
	}
	ck_rc(saas_member_add(&m, ctx, sc, v, many, 17), SAAS_EINVAL);
	ck_field("roles");
	ck_rc(saas_member_add(&m, ctx, ghost, v, MEMBER, 1), SAAS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(last_message(), noten));
	ck_rc(saas_member_add(&m, ctx, sys, v, MEMBER, 1), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_member_add(&m, ctx, NULL, v, MEMBER, 1), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_member_add(&m, NULL, sc, v, MEMBER, 1), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_ptr_null(m);
	saas_free(nouser);
	saas_free(noten);

	/* roles that are neither the deployment's nor custom roles of the tenant */
	ck_rc(saas_member_add(&m, ctx, sc, v, many, 16), SAAS_ENOTFOUND);
	ck_field("roles");
	ck_assert_ptr_nonnull(strstr(last_message(), "role 'r0' is neither"));
	ck_rc(saas_member_add(&m, ctx, sc, v, (const char *[]){"member", "billing"}, 2),
	      SAAS_ENOTFOUND);
	ck_field("roles");
	ck_assert_ptr_nonnull(strstr(last_message(), "'billing'"));
	ck_assert_ptr_null(m);

	/* nothing changed */
	ck_assert_uint_eq(member_count(sc), 1);
	ck_assert_int_eq(audit_count(t, NULL), events);

	/* 16 roles are fine, custom roles of the tenant too */
	for (int i = 0; i < 16; i++)
		ck_ok(saas_role_create(ctx, sc, names[i], NULL, 0, NULL, 0));
	ck_ok(saas_member_add(&m, ctx, sc, v, many, 16));
	ck_assert_uint_eq(saas_member_role_count(m), 16);
	/* sorted by name */
	ck_assert_str_eq(saas_member_role_at(m, 0), "r0");
	ck_assert_str_eq(saas_member_role_at(m, 1), "r1");
	ck_assert_str_eq(saas_member_role_at(m, 2), "r10");
	ck_assert_str_eq(saas_member_role_at(m, 15), "r9");
	saas_member_free(m);
}
END_TEST

START_TEST(member_get_refusals)
{
	const char *a = th_tenant(ctx, "alpha"), *b = th_tenant(ctx, "beta");
	const char *u = th_user(ctx, "u@example.com"), *v = th_user(ctx, "v@example.com");
	char *noten = unknown_id("ten");
	saas_scope *sa = th_scope(a), *sb = th_scope(b);
	saas_member *m = (saas_member *)sa;

	ck_ok(saas_member_add(NULL, ctx, sa, u, OWNER, 1));
	ck_ok(saas_member_add(NULL, ctx, sb, v, OWNER, 1));
	/* each tenant sees only its own members */
	ck_rc(saas_member_get(&m, ctx, sb, u), SAAS_ENOTFOUND);
	ck_field("user_id");
	ck_assert_ptr_null(m);
	ck_rc(saas_member_get(&m, ctx, sa, v), SAAS_ENOTFOUND);
	ck_rc(saas_member_remove(ctx, sb, u), SAAS_ENOTFOUND);
	ck_rc(saas_member_set_roles(ctx, sb, u, MEMBER, 1), SAAS_ENOTFOUND);
	ck_rc(saas_member_get(&m, ctx, sa, "nope"), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_member_get(NULL, ctx, sa, u), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_member_get(&m, ctx, th_scope(noten), u), SAAS_ENOTFOUND);
	ck_rc(saas_member_get(&m, ctx, th_system(), u), SAAS_EINVAL);
	ck_field("scope");
	ck_assert_ptr_null(m);

	/* accessors and JSON of NULL */
	char *text = (char *)sa;
	ck_assert_ptr_null(saas_member_id(NULL));
	ck_assert_ptr_null(saas_member_role_at(NULL, 0));
	ck_assert_uint_eq(saas_member_role_count(NULL), 0);
	ck_assert_int_eq(saas_member_has_role(NULL, "owner"), 0);
	ck_rc(saas_member_to_json(&text, NULL), SAAS_EINVAL);
	ck_assert_ptr_null(text);
	saas_member_free(NULL);
	saas_member_page_free(NULL);
	ck_assert_uint_eq(saas_member_page_count(NULL), 0);
	ck_assert_ptr_null(saas_member_page_at(NULL, 0));
	ck_assert_ptr_null(saas_member_page_next_cursor(NULL));
	saas_free(noten);
}
END_TEST

START_TEST(suspended_tenant_refuses_writes)
{
	const char *t = th_tenant(ctx, "acme");
	const char *u = th_user(ctx, "u@example.com");
	const char *v = th_user(ctx, "v@example.com");
	const char *w = th_user(ctx, "w@example.com");
	saas_scope *sc = th_scope(t);
	saas_invitation *inv;
	saas_member *m;
	char *tok, *tok2 = (char *)sc;

	ck_ok(saas_member_add(NULL, ctx, sc, u, OWNER, 1));
	ck_ok(saas_member_add(NULL, ctx, sc, v, MEMBER, 1));
	ck_ok(saas_invitation_create(&inv, &tok, ctx, sc, "w@example.com", MEMBER, 1, 0));
	ck_ok(saas_tenant_suspend(ctx, sc, "unpaid invoices"));
	int64_t events = audit_count(t, NULL);

	ck_rc(saas_member_add(NULL, ctx, sc, w, MEMBER, 1), SAAS_ESUSPENDED);
	ck_rc(saas_member_set_roles(ctx, sc, v, ADMIN, 1), SAAS_ESUSPENDED);
	ck_rc(saas_member_remove(ctx, sc, v), SAAS_ESUSPENDED);
	ck_rc(saas_member_transfer_ownership(ctx, sc, u, v), SAAS_ESUSPENDED);
	ck_rc(saas_invitation_create(NULL, &tok2, ctx, sc, "x@example.com", MEMBER, 1, 0),
	      SAAS_ESUSPENDED);
	ck_assert_ptr_null(tok2);
	ck_rc(saas_invitation_accept(NULL, ctx, sc, tok, w), SAAS_ESUSPENDED);
	ck_rc(saas_invitation_revoke(ctx, sc, saas_invitation_id(inv)), SAAS_ESUSPENDED);

	/* reads still work, and nothing changed */
	ck_assert_uint_eq(member_count(sc), 2);
	ck_member_roles(sc, v, 1, MEMBER);
	ck_assert_str_eq(invitation_status(sc, saas_invitation_id(inv)), "pending");
	ck_assert_int_eq(audit_count(t, NULL), events);

	ck_ok(saas_tenant_reactivate(ctx, sc));
	ck_ok(saas_invitation_accept(&m, ctx, sc, tok, w));
	saas_member_free(m);
	ck_ok(saas_member_set_roles(ctx, sc, v, ADMIN, 1));
	ck_assert_uint_eq(member_count(sc), 3);
	saas_free_secret(tok);
	saas_invitation_free(inv);
}
END_TEST

START_TEST(deleted_tenant_refuses_everything)
{
	const char *t = th_tenant(ctx, "acme");
	const char *u = th_user(ctx, "u@example.com");
	saas_scope *sc = th_scope(t);
	saas_invitation *inv, *g;
	saas_member_page *p;
	saas_member *m;
	char *tok, *tok2;

	ck_ok(saas_member_add(NULL, ctx, sc, u, OWNER, 1));
	ck_ok(saas_invitation_create(&inv, &tok, ctx, sc, "v@example.com", MEMBER, 1, 0));
	ck_ok(saas_tenant_delete(ctx, sc, 30));
	ck_rc(saas_member_get(&m, ctx, sc, u), SAAS_EDELETED);
	ck_rc(saas_member_list(&p, ctx, sc, NULL, 10), SAAS_EDELETED);
	ck_rc(saas_member_add(NULL, ctx, sc, u, OWNER, 1), SAAS_EDELETED);
	ck_rc(saas_member_remove(ctx, sc, u), SAAS_EDELETED);
	ck_rc(saas_invitation_get(&g, ctx, sc, saas_invitation_id(inv)), SAAS_EDELETED);
	ck_assert_ptr_null(g);
	ck_rc(saas_invitation_accept(NULL, ctx, sc, tok, u), SAAS_EDELETED);
	ck_rc(saas_invitation_revoke(ctx, sc, saas_invitation_id(inv)), SAAS_EDELETED);
	ck_rc(saas_invitation_create(NULL, &tok2, ctx, sc, "w@example.com", MEMBER, 1, 0),
	      SAAS_EDELETED);
	ck_rc(saas_member_transfer_ownership(ctx, sc, u, u), SAAS_EINVAL);
	/* restored, everything is back */
	ck_ok(saas_tenant_restore(ctx, sc));
	ck_ok(saas_invitation_get(&g, ctx, sc, saas_invitation_id(inv)));
	ck_assert_str_eq(saas_invitation_status(g), "pending");
	saas_invitation_free(g);
	ck_assert_uint_eq(member_count(sc), 1);
	saas_invitation_free(inv);
	saas_free_secret(tok);
}
END_TEST

START_TEST(last_owner_stays)
{
	const char *t = th_tenant(ctx, "acme");
	const char *a = th_user(ctx, "a@example.com");
	const char *b = th_user(ctx, "b@example.com");
	const char *owner_billing[] = {"owner", "billing"};
	saas_scope *sc = th_scope(t);

	ck_ok(saas_role_create(ctx, sc, "billing", (const char *[]){"billing:*"}, 1, NULL, 0));
	ck_ok(saas_member_add(NULL, ctx, sc, a, OWNER, 1));
	ck_ok(saas_member_add(NULL, ctx, sc, b, MEMBER, 1));
	int64_t events = audit_count(t, NULL);

	ck_rc(saas_member_remove(ctx, sc, a), SAAS_ESTATE);
	ck_assert_ptr_nonnull(strstr(last_message(), t));
	ck_assert_ptr_nonnull(strstr(last_message(), "owner"));
	ck_rc(saas_member_set_roles(ctx, sc, a, MEMBER, 1), SAAS_ESTATE);
	ck_assert_ptr_nonnull(strstr(last_message(), t));
	ck_member_roles(sc, a, 1, OWNER);
	ck_assert_uint_eq(member_count(sc), 2);
	ck_assert_int_eq(audit_count(t, NULL), events);

	/* keeping owner among other roles is fine */
	ck_ok(saas_member_set_roles(ctx, sc, a, owner_billing, 2));
	ck_member_roles(sc, a, 2, (const char *[]){"billing", "owner"});
	/* the same roles again change nothing and are not audited */
	ck_ok(saas_member_set_roles(ctx, sc, a, (const char *[]){"billing", "owner", "billing"},
	                            3));
	ck_assert_int_eq(audit_count(t, "member.roles_changed"), 1);

	/* with two owners, one may go */
	ck_ok(saas_member_set_roles(ctx, sc, b, OWNER, 1));
	ck_ok(saas_member_remove(ctx, sc, a));
	ck_assert_uint_eq(member_count(sc), 1);
	ck_assert_int_eq(audit_count(t, "member.removed"), 1);
	ck_rc(saas_member_set_roles(ctx, sc, b, MEMBER, 1), SAAS_ESTATE);
	ck_rc(saas_member_remove(ctx, sc, b), SAAS_ESTATE);
	ck_member_roles(sc, b, 1, OWNER);

	/* the removed member is gone, its roles too */
	ck_rc(saas_member_remove(ctx, sc, a), SAAS_ENOTFOUND);
	ck_field("user_id");
	ck_rc(saas_member_set_roles(ctx, sc, a, MEMBER, 1), SAAS_ENOTFOUND);
	ck_field("user_id");
	ck_ok(saas_member_add(NULL, ctx, sc, a, MEMBER, 1));
	ck_member_roles(sc, a, 1, MEMBER);

	/* argument checks */
	ck_rc(saas_member_set_roles(ctx, sc, a, NULL, 0), SAAS_EINVAL);
	ck_field("roles");
	ck_rc(saas_member_set_roles(ctx, sc, "usr_x", MEMBER, 1), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_member_remove(ctx, sc, NULL), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_member_remove(NULL, sc, a), SAAS_EINVAL);
	ck_rc(saas_member_remove(ctx, th_system(), a), SAAS_EINVAL);
	ck_field("scope");
	ck_assert_int_eq(audit_count(t, "member.roles_changed"), 2);

	json_t *doc = export_doc(t);
	json_t *meta = event_metadata(doc, "member.removed");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "user_id")), a);
	json_decref(meta);
	meta = event_metadata(doc, "member.roles_changed");
	ck_assert_uint_eq(json_array_size(json_object_get(meta, "previous_roles")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(meta, "roles")), 2);
	json_decref(meta);
	/* member_roles rows follow the memberships: a's old roles are gone */
	json_t *rows = json_object_get(json_object_get(doc, "tables"), "member_roles");
	ck_assert_uint_eq(json_array_size(rows), 2);
	json_decref(doc);
}
END_TEST

START_TEST(transfer_ownership)
{
	const char *t = th_tenant(ctx, "acme");
	const char *a = th_user(ctx, "a@example.com");
	const char *b = th_user(ctx, "b@example.com");
	const char *c = th_user(ctx, "c@example.com");
	const char *d = th_user(ctx, "d@example.com");
	saas_scope *sc = th_scope(t);

	ck_ok(saas_role_create(ctx, sc, "billing", (const char *[]){"billing:*"}, 1, NULL, 0));
	ck_ok(saas_member_add(NULL, ctx, sc, a, (const char *[]){"owner", "billing"}, 2));
	ck_ok(saas_member_add(NULL, ctx, sc, b, MEMBER, 1));

	ck_ok(saas_member_transfer_ownership(ctx, sc, a, b));
	ck_member_roles(sc, a, 1, (const char *[]){"billing"});
	ck_member_roles(sc, b, 2, (const char *[]){"member", "owner"});
	ck_assert_int_eq(audit_count(t, "member.ownership_transferred"), 1);
	int64_t events = audit_count(t, NULL);

	ck_rc(saas_member_transfer_ownership(ctx, sc, a, b), SAAS_ESTATE);
	ck_field("from_user_id");
	ck_rc(saas_member_transfer_ownership(ctx, sc, b, c), SAAS_ENOTFOUND);
	ck_field("to_user_id");
	ck_rc(saas_member_transfer_ownership(ctx, sc, c, b), SAAS_ENOTFOUND);
	ck_field("from_user_id");
	ck_rc(saas_member_transfer_ownership(ctx, sc, b, b), SAAS_EINVAL);
	ck_field("to_user_id");
	ck_rc(saas_member_transfer_ownership(ctx, sc, "usr_", b), SAAS_EINVAL);
	ck_field("from_user_id");
	ck_rc(saas_member_transfer_ownership(ctx, sc, b, NULL), SAAS_EINVAL);
	ck_field("to_user_id");
	ck_rc(saas_member_transfer_ownership(NULL, sc, b, a), SAAS_EINVAL);
	ck_rc(saas_member_transfer_ownership(ctx, NULL, b, a), SAAS_EINVAL);
	ck_field("scope");
	ck_assert_int_eq(audit_count(t, NULL), events);
	ck_member_roles(sc, b, 2, (const char *[]){"member", "owner"});

	/* back again: b keeps "member" */
	ck_ok(saas_member_transfer_ownership(ctx, sc, b, a));
	ck_member_roles(sc, a, 2, (const char *[]){"billing", "owner"});
	ck_member_roles(sc, b, 1, MEMBER);

	/* an owner with no other role becomes admin; a new owner already owning stays so */
	ck_ok(saas_member_add(NULL, ctx, sc, d, OWNER, 1));
	ck_ok(saas_member_transfer_ownership(ctx, sc, d, a));
	ck_member_roles(sc, d, 1, ADMIN);
	ck_member_roles(sc, a, 2, (const char *[]){"billing", "owner"});
	ck_assert_int_eq(audit_count(t, "member.ownership_transferred"), 3);

	json_t *doc = export_doc(t);
	json_t *meta = event_metadata(doc, "member.ownership_transferred");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "from_user_id")), a);
	ck_assert_str_eq(json_string_value(json_object_get(meta, "to_user_id")), b);
	json_decref(meta);
	json_decref(doc);
}
END_TEST

START_TEST(member_list_pages)
{
	const char *t = th_tenant(ctx, "acme"), *other = th_tenant(ctx, "other");
	saas_scope *sc = th_scope(t), *so = th_scope(other);
	const char *users[5];
	char mids[5][40], email[40], role[8], *cursor = NULL;
	saas_member_page *p = (saas_member_page *)sc;
	saas_member *m;
	size_t seen = 0, pages = 0;

	/* the other tenant is empty */
	ck_ok(saas_member_list(&p, ctx, so, NULL, 10));
	ck_assert_uint_eq(saas_member_page_count(p), 0);
	ck_assert_ptr_null(saas_member_page_next_cursor(p));
	ck_assert_ptr_null(saas_member_page_at(p, 0));
	saas_member_page_free(p);

	for (int i = 0; i < 5; i++) {
		snprintf(email, sizeof email, "user%d@example.com", i);
		users[i] = th_user(ctx, email);
		snprintf(role, sizeof role, "role%d", i);
		ck_ok(saas_role_create(ctx, sc, role, NULL, 0, NULL, 0));
		ck_ok(saas_member_add(&m, ctx, sc, users[i], (const char *[]){role, "member"}, 2));
		snprintf(mids[i], sizeof mids[i], "%s", saas_member_id(m));
		saas_member_free(m);
		th_clock_advance(1);
	}
	ck_ok(saas_member_add(NULL, ctx, so, users[0], OWNER, 1));

	/* 2 + 2 + 1, oldest first, each with its own roles */
	do {
		ck_ok(saas_member_list(&p, ctx, sc, cursor, 2));
		free(cursor);
		cursor = NULL;
		pages++;
		ck_assert_uint_eq(saas_member_page_count(p), pages < 3 ? 2 : 1);
		for (size_t i = 0; i < saas_member_page_count(p); i++, seen++) {
			const saas_member *pm = saas_member_page_at(p, i);
			ck_assert_str_eq(saas_member_id(pm), mids[seen]);
			ck_assert_str_eq(saas_member_user_id(pm), users[seen]);
			ck_assert_str_eq(saas_member_tenant_id(pm), t);
			snprintf(role, sizeof role, "role%zu", seen);
			ck_assert_uint_eq(saas_member_role_count(pm), 2);
			ck_assert_str_eq(saas_member_role_at(pm, 0), "member");
			ck_assert_str_eq(saas_member_role_at(pm, 1), role);
		}
		ck_assert_ptr_null(saas_member_page_at(p, saas_member_page_count(p)));
		if (saas_member_page_next_cursor(p)) {
			ck_assert_str_eq(saas_member_page_next_cursor(p), mids[seen - 1]);
			cursor = strdup(saas_member_page_next_cursor(p));
		}
		saas_member_page_free(p);
	} while (cursor && pages < 10);
	ck_assert_uint_eq(pages, 3);
	ck_assert_uint_eq(seen, 5);

	/* exactly a page: no next cursor */
	ck_ok(saas_member_list(&p, ctx, sc, NULL, 5));
	ck_assert_uint_eq(saas_member_page_count(p), 5);
	ck_assert_ptr_null(saas_member_page_next_cursor(p));
	saas_member_page_free(p);
	ck_ok(saas_member_list(&p, ctx, sc, mids[3], 1000));
	ck_assert_uint_eq(saas_member_page_count(p), 1);
	ck_assert_str_eq(saas_member_id(saas_member_page_at(p, 0)), mids[4]);
	ck_assert_ptr_null(saas_member_page_next_cursor(p));
	saas_member_page_free(p);
	ck_ok(saas_member_list(&p, ctx, sc, mids[4], 1));
	ck_assert_uint_eq(saas_member_page_count(p), 0);
	ck_assert_ptr_null(saas_member_page_next_cursor(p));
	saas_member_page_free(p);
	ck_ok(saas_member_list(&p, ctx, sc, NULL, 1));
	ck_assert_uint_eq(saas_member_page_count(p), 1);
	ck_assert_str_eq(saas_member_page_next_cursor(p), mids[0]);
	saas_member_page_free(p);

	/* the other tenant sees only its member */
	ck_ok(saas_member_list(&p, ctx, so, NULL, 10));
	ck_assert_uint_eq(saas_member_page_count(p), 1);
	ck_assert_str_eq(saas_member_user_id(saas_member_page_at(p, 0)), users[0]);
	saas_member_page_free(p);

	/* refusals */
	ck_rc(saas_member_list(&p, ctx, sc, NULL, 0), SAAS_EINVAL);
	ck_field("limit");
	ck_assert_ptr_null(p);
	ck_rc(saas_member_list(&p, ctx, sc, NULL, 1001), SAAS_EINVAL);
	ck_field("limit");
	ck_rc(saas_member_list(&p, ctx, sc, "garbage", 2), SAAS_EINVAL);
	ck_field("cursor");
	ck_assert_ptr_nonnull(strstr(last_message(), "garbage"));
	ck_rc(saas_member_list(&p, ctx, sc, users[0], 2), SAAS_EINVAL);
	ck_field("cursor");
	ck_rc(saas_member_list(NULL, ctx, sc, NULL, 2), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_member_list(&p, ctx, NULL, NULL, 2), SAAS_EINVAL);
	ck_field("scope");
	ck_assert_ptr_null(p);
}
END_TEST

/* ---- invitations ------------------------------------------------------------------- */

START_TEST(invitation_accept_flow)
{
	const char *t = th_tenant(ctx, "acme");
	const char *o = th_user(ctx, "owner@example.com");
	const char *roles[] = {"member", "admin"};
	saas_scope *sc = th_scope(t);
	saas_invitation *inv, *g;
	saas_member *m;
	char *tok, *text, hash[65];
	json_t *doc, *meta;

	ck_ok(saas_member_add(NULL, ctx, sc, o, OWNER, 1));
	ck_ok(saas_invitation_create(&inv, &tok, ctx, sc, " New.User@Example.com ", roles, 2, 0));
	ck_assert_int_eq(strncmp(tok, "ivt_", 4), 0);
	ck_assert_uint_eq(strlen(tok), 47);
	ck_ok(saas_id_check(saas_invitation_id(inv), "inv"));
	ck_assert_str_eq(saas_invitation_email(inv), "new.user@example.com");
	ck_assert_str_eq(saas_invitation_status(inv), "pending");
	ck_assert_int_eq(saas_invitation_expires_at(inv), th_clock_ms + 7 * DAY_MS);

	/* the JSON never carries the token or its hash */
	saas__secret_hash(hash, tok);
	ck_ok(saas_invitation_to_json(&text, inv));
	ck_assert_ptr_null(strstr(text, tok + 4));
	ck_assert_ptr_null(strstr(text, hash));
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_uint_eq(json_object_size(doc), 7);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "id")), saas_invitation_id(inv));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "tenant_id")), t);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "email")), "new.user@example.com");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "status")), "pending");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "expires_at")),
	                 "2026-01-08T00:00:00.000Z");
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "roles")), 2);
	json_decref(doc);

	/* the audit event has the roles and expiry, not the email or token */
	ck_assert_int_eq(audit_count(t, "invitation.created"), 1);
	doc = export_doc(t);
	meta = event_metadata(doc, "invitation.created");
	ck_assert_uint_eq(json_object_size(meta), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(meta, "roles")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(meta, "expires_at")),
	                 saas_invitation_expires_at(inv));
	json_decref(meta);
	text = json_dumps(json_object_get(json_object_get(doc, "tables"), "audit_events"), 0);
	ck_assert_ptr_null(strstr(text, "new.user"));
	free(text);
	text = json_dumps(doc, 0);
	ck_assert_ptr_null(strstr(text, tok + 4));
	ck_assert_ptr_null(strstr(text, hash));
	free(text);
	json_decref(doc);

	ck_ok(saas_invitation_get(&g, ctx, sc, saas_invitation_id(inv)));
	ck_assert_str_eq(saas_invitation_email(g), "new.user@example.com");
	ck_assert_str_eq(saas_invitation_status(g), "pending");
	ck_assert_int_eq(saas_invitation_expires_at(g), saas_invitation_expires_at(inv));
	saas_invitation_free(g);

	/* the invited user accepts */
	const char *n = th_user(ctx, "NEW.user@example.com");
	th_clock_advance(1000);
	ck_ok(saas_invitation_accept(&m, ctx, sc, tok, n));
	ck_assert_str_eq(saas_member_user_id(m), n);
	ck_assert_str_eq(saas_member_tenant_id(m), t);
	ck_roles(m, 2, (const char *[]){"admin", "member"});
	saas_member_free(m);
	ck_member_roles(sc, n, 2, (const char *[]){"admin", "member"});
	ck_assert_str_eq(invitation_status(sc, saas_invitation_id(inv)), "accepted");
	ck_assert_int_eq(audit_count(t, "invitation.accepted"), 1);
	ck_assert_int_eq(audit_count(t, "member.added"), 2);
	int64_t events = audit_count(t, NULL);

	/* used once */
	ck_rc(saas_invitation_accept(&m, ctx, sc, tok, n), SAAS_EUSED);
	ck_field("token");
	ck_assert_ptr_null(strstr(last_message(), tok + 4));
	ck_assert_ptr_null(m);
	ck_rc(saas_invitation_revoke(ctx, sc, saas_invitation_id(inv)), SAAS_EUSED);
	/* a member is not invited again */
	ck_rc(saas_invitation_create(NULL, &text, ctx, sc, "new.USER@example.com", roles, 2, 0),
	      SAAS_EEXISTS);
	ck_field("email");
	ck_assert_ptr_null(text);
	ck_assert_int_eq(audit_count(t, NULL), events);
	ck_assert_uint_eq(member_count(sc), 2);

	saas_free_secret(tok);
	saas_invitation_free(inv);
}
END_TEST

START_TEST(invitation_expires)
{
	const char *t = th_tenant(ctx, "acme");
	const char *u = th_user(ctx, "late@example.com");
	saas_scope *sc = th_scope(t);
	saas_invitation *inv;
	char *tok;

	ck_ok(saas_invitation_create(&inv, &tok, ctx, sc, "late@example.com", MEMBER, 1, 60));
	ck_assert_int_eq(saas_invitation_expires_at(inv), th_clock_ms + 60000);
	th_clock_advance(59999);
	ck_assert_str_eq(invitation_status(sc, saas_invitation_id(inv)), "pending");
	th_clock_advance(1);
	ck_assert_str_eq(invitation_status(sc, saas_invitation_id(inv)), "expired");
	int64_t events = audit_count(t, NULL);

	ck_rc(saas_invitation_accept(NULL, ctx, sc, tok, u), SAAS_EEXPIRED);
	ck_field("token");
	ck_assert_uint_eq(member_count(sc), 0);
	ck_assert_int_eq(audit_count(t, NULL), events);

	/* an expired invitation can still be revoked; revoked wins afterwards */
	ck_ok(saas_invitation_revoke(ctx, sc, saas_invitation_id(inv)));
	ck_rc(saas_invitation_accept(NULL, ctx, sc, tok, u), SAAS_ESTATE);
	saas_free_secret(tok);
	saas_invitation_free(inv);
}
END_TEST

START_TEST(invitation_revoked)
{
	const char *t = th_tenant(ctx, "acme"), *other = th_tenant(ctx, "other");
	const char *u = th_user(ctx, "guest@example.com");
	char *noinv = unknown_id("inv");
	saas_scope *sc = th_scope(t), *so = th_scope(other);
	saas_invitation *inv;
	char *tok;

	ck_ok(saas_invitation_create(&inv, &tok, ctx, sc, "guest@example.com", MEMBER, 1, 3600));
	ck_rc(saas_invitation_revoke(ctx, so, saas_invitation_id(inv)), SAAS_ENOTFOUND);
	ck_field("invitation_id");
	ck_ok(saas_invitation_revoke(ctx, sc, saas_invitation_id(inv)));
	ck_assert_int_eq(audit_count(t, "invitation.revoked"), 1);
	ck_assert_str_eq(invitation_status(sc, saas_invitation_id(inv)), "revoked");
	int64_t events = audit_count(t, NULL);

	ck_rc(saas_invitation_accept(NULL, ctx, sc, tok, u), SAAS_ESTATE);
	ck_field("token");
	ck_rc(saas_invitation_revoke(ctx, sc, saas_invitation_id(inv)), SAAS_ESTATE);
	ck_field("invitation_id");
	ck_rc(saas_invitation_revoke(ctx, sc, noinv), SAAS_ENOTFOUND);
	ck_field("invitation_id");
	ck_assert_ptr_nonnull(strstr(last_message(), noinv));
	ck_rc(saas_invitation_revoke(ctx, sc, "inv_1"), SAAS_EINVAL);
	ck_field("invitation_id");
	ck_rc(saas_invitation_revoke(ctx, sc, u), SAAS_EINVAL);
	ck_field("invitation_id");
	ck_rc(saas_invitation_revoke(ctx, NULL, noinv), SAAS_EINVAL);
	ck_field("scope");
	ck_assert_int_eq(audit_count(t, NULL), events);
	ck_assert_uint_eq(member_count(sc), 0);

	saas_invitation *g = (saas_invitation *)sc;
	ck_rc(saas_invitation_get(&g, ctx, sc, noinv), SAAS_ENOTFOUND);
	ck_field("invitation_id");
	ck_assert_ptr_null(g);
	ck_rc(saas_invitation_get(&g, ctx, so, saas_invitation_id(inv)), SAAS_ENOTFOUND);
	ck_rc(saas_invitation_get(&g, ctx, sc, "x"), SAAS_EINVAL);
	ck_rc(saas_invitation_get(NULL, ctx, sc, noinv), SAAS_EINVAL);
	ck_field("out");

	saas_free(noinv);
	saas_free_secret(tok);
	saas_invitation_free(inv);
}
END_TEST

START_TEST(invitation_accept_refusals)
{
	const char *t = th_tenant(ctx, "acme"), *other = th_tenant(ctx, "other");
	const char *o = th_user(ctx, "owner@example.com");
	const char *invitee = th_user(ctx, "invitee@example.com");
	const char *someone = th_user(ctx, "someone@example.com");
	char *nouser = unknown_id("usr");
	saas_scope *sc = th_scope(t), *so = th_scope(other);
	saas_invitation *inv;
	saas_member *m = (saas_member *)sc;
	char *tok, unknown[48], bad[64];

	ck_ok(saas_member_add(NULL, ctx, sc, o, OWNER, 1));
	ck_ok(saas_invitation_create(&inv, &tok, ctx, sc, "invitee@example.com", MEMBER, 1, 0));
	int64_t events = audit_count(t, NULL);

	/* someone else cannot use it */
	ck_rc(saas_invitation_accept(&m, ctx, sc, tok, someone), SAAS_EDENIED);
	ck_field("user_id");
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(strstr(last_message(), "invitee@"));
	ck_rc(saas_invitation_accept(&m, ctx, sc, tok, nouser), SAAS_ENOTFOUND);
	ck_field("user_id");
	ck_rc(saas_invitation_accept(&m, ctx, sc, tok, "usr_0"), SAAS_EINVAL);
	ck_field("user_id");
	ck_rc(saas_invitation_accept(&m, ctx, sc, tok, NULL), SAAS_EINVAL);
	ck_field("user_id");
	/* the token works in its own tenant only */
	ck_rc(saas_invitation_accept(&m, ctx, so, tok, invitee), SAAS_ENOTFOUND);
	ck_field("token");

	/* malformed tokens are refused without being echoed: well formed is
	 * "ivt_" and 43 base64url characters */
	char malformed[7][64];
	snprintf(malformed[0], 64, "%s", "");
	snprintf(malformed[1], 64, "%s", "ivt_");
	snprintf(malformed[2], 64, "%s", "ivt_abcdef");
	snprintf(malformed[3], 64, "xyz_%s", tok + 4);      /* wrong prefix */
	snprintf(malformed[4], 64, "%s!", tok);              /* one too many */
	snprintf(malformed[5], 64, "%.46s", tok);            /* one too few */
	snprintf(malformed[6], 64, "%.46s=", tok);           /* not base64url */
	for (size_t i = 0; i < 7; i++) {
		ck_rc(saas_invitation_accept(&m, ctx, sc, malformed[i], invitee), SAAS_EINVAL);
		ck_field("token");
		if (strlen(malformed[i]) > 4)
			ck_assert_ptr_null(strstr(last_message(), malformed[i] + 4));
	}
	ck_rc(saas_invitation_accept(&m, ctx, sc, NULL, invitee), SAAS_EINVAL);
	ck_field("token");
	snprintf(bad, sizeof bad, "%s", tok);
	bad[10] = '.';
	ck_rc(saas_invitation_accept(&m, ctx, sc, bad, invitee), SAAS_EINVAL);
	ck_assert_ptr_null(strstr(last_message(), bad + 11));
	/* well formed but unknown */
	snprintf(unknown, sizeof unknown, "ivt_%s", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	ck_rc(saas_invitation_accept(&m, ctx, sc, unknown, invitee), SAAS_ENOTFOUND);
	ck_field("token");
	ck_rc(saas_invitation_accept(&m, ctx, NULL, tok, invitee), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_invitation_accept(&m, NULL, sc, tok, invitee), SAAS_EINVAL);
	ck_field("ctx");
	ck_assert_ptr_null(m);

	/* already a member (joined another way) */
	ck_ok(saas_member_add(NULL, ctx, sc, invitee, ADMIN, 1));
	events = audit_count(t, NULL);
	ck_rc(saas_invitation_accept(&m, ctx, sc, tok, invitee), SAAS_EEXISTS);
	ck_field("user_id");
	ck_assert_ptr_null(m);

	/* nothing changed by any refusal */
	ck_assert_str_eq(invitation_status(sc, saas_invitation_id(inv)), "pending");
	ck_assert_uint_eq(member_count(sc), 2);
	ck_assert_int_eq(audit_count(t, NULL), events);
	ck_assert_int_eq(audit_count(t, "invitation.accepted"), 0);

	/* once it has left, the invitation still works */
	ck_ok(saas_member_remove(ctx, sc, invitee));
	ck_ok(saas_invitation_accept(NULL, ctx, sc, tok, invitee));
	ck_member_roles(sc, invitee, 1, MEMBER);

	saas_free(nouser);
	saas_free_secret(tok);
	saas_invitation_free(inv);
}
END_TEST

START_TEST(invitation_create_refusals)
{
	const char *t = th_tenant(ctx, "acme");
	const char *o = th_user(ctx, "Owner@example.com");
	char *noten = unknown_id("ten");
	saas_scope *sc = th_scope(t);
	saas_invitation *inv = (saas_invitation *)sc;
	char *tok = (char *)sc;
	const char *bad_roles[] = {"Bad Role"};

	ck_ok(saas_member_add(NULL, ctx, sc, o, OWNER, 1));

	ck_rc(saas_invitation_create(&inv, NULL, ctx, sc, "x@example.com", MEMBER, 1, 0),
	      SAAS_EINVAL);
	ck_field("out_token");
	ck_assert_ptr_null(inv);
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, "x@", MEMBER, 1, 0), SAAS_EINVAL);
	ck_field("email");
	ck_assert_ptr_null(tok);
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, NULL, MEMBER, 1, 0), SAAS_EINVAL);
	ck_field("email");
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, "x@example.com", NULL, 0, 0),
	      SAAS_EINVAL);
	ck_field("roles");
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, "x@example.com", bad_roles, 1, 0),
	      SAAS_EINVAL);
	ck_field("roles");
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, "x@example.com", MEMBER, 1, 59),
	      SAAS_EINVAL);
	ck_field("ttl_seconds");
	ck_assert_ptr_nonnull(strstr(last_message(), "59"));
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, "x@example.com", MEMBER, 1, -1),
	      SAAS_EINVAL);
	ck_field("ttl_seconds");
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, "x@example.com", MEMBER, 1,
	                             90 * 24 * 3600 + 1),
	      SAAS_EINVAL);
	ck_field("ttl_seconds");
	ck_rc(saas_invitation_create(&inv, &tok, ctx, th_scope(noten), "x@example.com", MEMBER, 1,
	                             0),
	      SAAS_ENOTFOUND);
	ck_rc(saas_invitation_create(&inv, &tok, ctx, NULL, "x@example.com", MEMBER, 1, 0),
	      SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_invitation_create(&inv, &tok, NULL, sc, "x@example.com", MEMBER, 1, 0),
	      SAAS_EINVAL);
	ck_field("ctx");
	/* the owner is a member already, whatever the case of the email */
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, "OWNER@EXAMPLE.COM", MEMBER, 1, 0),
	      SAAS_EEXISTS);
	ck_field("email");
	ck_assert_ptr_null(inv);
	ck_assert_ptr_null(tok);
	ck_assert_int_eq(audit_count(t, "invitation.created"), 0);

	/* the bounds themselves are fine, and a known user who is not a member too */
	th_user(ctx, "known@example.com");
	ck_ok(saas_invitation_create(&inv, &tok, ctx, sc, "known@example.com", MEMBER, 1, 60));
	saas_free_secret(tok);
	saas_invitation_free(inv);
	ck_ok(saas_invitation_create(NULL, &tok, ctx, sc, "x@example.com", MEMBER, 1,
	                             90 * 24 * 3600));
	saas_free_secret(tok);
	ck_assert_int_eq(audit_count(t, "invitation.created"), 2);

	/* accessors and JSON of NULL */
	char *text = (char *)sc;
	ck_assert_ptr_null(saas_invitation_id(NULL));
	ck_assert_ptr_null(saas_invitation_status(NULL));
	ck_assert_int_eq(saas_invitation_expires_at(NULL), 0);
	ck_rc(saas_invitation_to_json(&text, NULL), SAAS_EINVAL);
	ck_assert_ptr_null(text);
	saas_invitation_free(NULL);
	saas_free(noten);
}
END_TEST

/* Memberships and invitations carry only roles that exist: the deployment's
 * or the tenant's custom roles, checked in the writing transaction. */
START_TEST(roles_must_exist)
{
	const char *t = th_tenant(ctx, "acme"), *other = th_tenant(ctx, "other");
	const char *o = th_user(ctx, "owner@example.com");
	const char *u = th_user(ctx, "u@example.com");
	const char *invitee = th_user(ctx, "invitee@example.com");
	saas_scope *sc = th_scope(t), *so = th_scope(other);
	saas_invitation *inv = (saas_invitation *)sc, *g;
	saas_member *m = (saas_member *)sc;
	char *tok = (char *)sc;

	ck_ok(saas_member_add(NULL, ctx, sc, o, OWNER, 1));
	ck_ok(saas_member_add(NULL, ctx, sc, u, MEMBER, 1));
	ck_ok(saas_role_create(ctx, so, "billing", NULL, 0, NULL, 0));
	int64_t events = audit_count(t, NULL);

	/* set roles: an unknown role, or another tenant's custom role */
	ck_rc(saas_member_set_roles(ctx, sc, u, (const char *[]){"member", "billing"}, 2),
	      SAAS_ENOTFOUND);
	ck_field("roles");
	ck_assert_str_eq(last_message(), "role 'billing' is neither a role of the deployment nor a "
	                                 "custom role of the tenant");
	/* also when only the unknown role would be new, and with the same roles */
	ck_rc(saas_member_set_roles(ctx, sc, u, (const char *[]){"ghost"}, 1), SAAS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(last_message(), "'ghost'"));
	ck_member_roles(sc, u, 1, MEMBER);

	/* invitation: refused, nothing stored */
	ck_rc(saas_invitation_create(&inv, &tok, ctx, sc, "invitee@example.com",
	                             (const char *[]){"viewer", "billing"}, 2, 0),
	      SAAS_ENOTFOUND);
	ck_field("roles");
	ck_assert_ptr_nonnull(strstr(last_message(), "'billing'"));
	ck_assert_ptr_null(inv);
	ck_assert_ptr_null(tok);
	ck_assert_int_eq(audit_count(t, NULL), events);

	/* with the custom role created, all three work */
	ck_ok(saas_role_create(ctx, sc, "billing", (const char *[]){"billing:*"}, 1, NULL, 0));
	ck_ok(saas_member_set_roles(ctx, sc, u, (const char *[]){"member", "billing"}, 2));
	ck_member_roles(sc, u, 2, (const char *[]){"billing", "member"});
	ck_ok(saas_invitation_create(&inv, &tok, ctx, sc, "invitee@example.com",
	                             (const char *[]){"viewer", "billing"}, 2, 0));

	/* the role deleted since the invitation: accepting is refused, and the
	 * invitation stays pending */
	ck_ok(saas_role_delete(ctx, sc, "billing", "member"));
	events = audit_count(t, NULL);
	ck_rc(saas_invitation_accept(&m, ctx, sc, tok, invitee), SAAS_ESTATE);
	ck_field("roles");
	ck_assert_ptr_nonnull(strstr(last_message(), "'billing'"));
	ck_assert_ptr_nonnull(strstr(last_message(), saas_invitation_id(inv)));
	ck_assert_ptr_null(m);
	ck_assert_int_eq(audit_count(t, NULL), events);
	ck_assert_uint_eq(member_count(sc), 2);
	ck_ok(saas_invitation_get(&g, ctx, sc, saas_invitation_id(inv)));
	ck_assert_str_eq(saas_invitation_status(g), "pending");
	saas_invitation_free(g);

	/* the role back: the same invitation is accepted */
	ck_ok(saas_role_create(ctx, sc, "billing", NULL, 0, NULL, 0));
	ck_ok(saas_invitation_accept(&m, ctx, sc, tok, invitee));
	ck_assert_int_eq(saas_member_has_role(m, "billing"), 1);
	saas_member_free(m);
	saas_invitation_free(inv);
	saas_free_secret(tok);
}
END_TEST

static Suite *identity_suite(const char *url)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create(url);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, email_normalize);
	tcase_add_test(tc, user_create_and_read);
	tcase_add_test(tc, user_create_refusals);
	tcase_add_test(tc, user_read_refusals);
	tcase_add_test(tc, member_add_and_get);
	tcase_add_test(tc, member_add_refusals);
	tcase_add_test(tc, member_get_refusals);
	tcase_add_test(tc, suspended_tenant_refuses_writes);
	tcase_add_test(tc, deleted_tenant_refuses_everything);
	tcase_add_test(tc, last_owner_stays);
	tcase_add_test(tc, transfer_ownership);
	tcase_add_test(tc, member_list_pages);
	tcase_add_test(tc, invitation_accept_flow);
	tcase_add_test(tc, invitation_expires);
	tcase_add_test(tc, invitation_revoked);
	tcase_add_test(tc, invitation_accept_refusals);
	tcase_add_test(tc, invitation_create_refusals);
	tcase_add_test(tc, roles_must_exist);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	static const char *const urls[] = {"memory:", "sqlite:"};
	int status = EXIT_SUCCESS;

	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		th_url = urls[i];
		if (th_run(identity_suite(urls[i])) != EXIT_SUCCESS)
			status = EXIT_FAILURE;
	}
	return status;
}
