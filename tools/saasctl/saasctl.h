/*
 * saasctl: the command-line tool of libsaas. Private to the tool.
 *
 * saasctl.c parses the command line, prints help and dispatches; cmd_tenant.c,
 * cmd_identity.c, cmd_audit.c, cmd_rbac.c, cmd_policy.c, cmd_webhook.c and the
 * other cmd_*.c files hold the commands; util.c the helpers they share
 * (errors, argument lookup, resolving tenants and users, output).
 */
#ifndef SAASCTL_H
#define SAASCTL_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "saas.h"

/* Exit statuses. */
#define SC_EXIT_OK 0
#define SC_EXIT_REFUSED 1
#define SC_EXIT_USAGE 2

/* Option flags. */
#define SC_REQUIRED 1u /* the option must be given */
#define SC_REPEAT 2u   /* the option may be given several times (values accumulate) */
#define SC_COUNT 4u    /* the value is a whole number, 0 or more */
#define SC_POSITIVE 8u /* the value is a whole number, 1 or more */
#define SC_FLAG 16u    /* the option takes no value (its value reads as "") */

#define SC_MAX_OPTS 10
#define SC_MAX_POS 2

/* One option of a verb. Every verb option takes a value, except SC_FLAG ones. */
struct sc_opt {
	const char *name;    /* without the leading "--"; NULL ends the list */
	const char *metavar; /* the value's name in help ("S", "N"); NULL for SC_FLAG */
	unsigned flags;      /* SC_REQUIRED, SC_REPEAT */
	const char *help;    /* one line */
	const char *choices; /* "a|b|c": the value must be one of these, or NULL */
};

struct sc;
struct sc_args;

/* One verb of a noun (or the noun itself, for verbless nouns such as migrate). */
struct sc_verb {
	const char *name;    /* NULL for a verbless noun's single entry */
	const char *args;    /* synopsis of the positional arguments ("T"), or NULL */
	int npos;            /* how many positional arguments it takes (exactly); -1: one, optional */
	const char *summary; /* one line */
	int (*run)(struct sc *sc, const struct sc_args *a);
	struct sc_opt opts[SC_MAX_OPTS + 1];
};

struct sc_noun {
	const char *name;
	const char *summary;
	const struct sc_verb *verbs;
	size_t nverbs;
	int verbless; /* the noun is itself the command (verbs[0]) */
};

/* The parsed arguments of one verb. */
struct sc_args {
	const char *pos[SC_MAX_POS];
	int npos;
	struct {
		const char **v;
		size_t n;
	} opt[SC_MAX_OPTS];
};

/* The tool's state for one run. */
struct sc {
	const char *db;    /* storage URL */
	const char *actor; /* the actor's name (system, or support staff with --support) */
	const char *actor_email;  /* --actor-email, or NULL */
	const char *on_behalf_of; /* --on-behalf-of (support only), or NULL */
	int support;       /* --support: the actor is support staff, not the system */
	const char *audit_key; /* --audit-key: the audit signing key's source, or NULL */
	const char *rbac_policy; /* --rbac-policy or $SAAS_RBAC_POLICY: JSON or file:PATH, or NULL */
	int json;          /* --json */
	int verbose;       /* --verbose: the library's log on stderr */
	saas_ctx *ctx;     /* opened before the verb runs */
	saas_scope *global; /* deployment-wide scope (no tenant) */
	const struct sc_noun *noun;
	const struct sc_verb *verb;
};

/* The command tables. */
extern const struct sc_noun sc_nouns[];
extern const size_t sc_nnouns;

/* Verb implementations. */
int sc_cmd_migrate(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_create(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_get(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_list(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_suspend(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_reactivate(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_delete(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_restore(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_purge(struct sc *sc, const struct sc_args *a);
int sc_cmd_tenant_export(struct sc *sc, const struct sc_args *a);
int sc_cmd_user_create(struct sc *sc, const struct sc_args *a);
int sc_cmd_user_get(struct sc *sc, const struct sc_args *a);
int sc_cmd_member_add(struct sc *sc, const struct sc_args *a);
int sc_cmd_member_remove(struct sc *sc, const struct sc_args *a);
int sc_cmd_member_list(struct sc *sc, const struct sc_args *a);
int sc_cmd_member_set_roles(struct sc *sc, const struct sc_args *a);
int sc_cmd_invite_create(struct sc *sc, const struct sc_args *a);
int sc_cmd_invite_accept(struct sc *sc, const struct sc_args *a);
int sc_cmd_invite_revoke(struct sc *sc, const struct sc_args *a);
int sc_cmd_audit_list(struct sc *sc, const struct sc_args *a);
int sc_cmd_audit_verify(struct sc *sc, const struct sc_args *a);
int sc_cmd_audit_keygen(struct sc *sc, const struct sc_args *a);
int sc_cmd_audit_checkpoint(struct sc *sc, const struct sc_args *a);
int sc_cmd_audit_export(struct sc *sc, const struct sc_args *a);
int sc_cmd_audit_purge(struct sc *sc, const struct sc_args *a);
int sc_cmd_audit_forget(struct sc *sc, const struct sc_args *a);
int sc_cmd_role_list(struct sc *sc, const struct sc_args *a);
int sc_cmd_role_create(struct sc *sc, const struct sc_args *a);
int sc_cmd_role_update(struct sc *sc, const struct sc_args *a);
int sc_cmd_role_delete(struct sc *sc, const struct sc_args *a);
int sc_cmd_rbac_import(struct sc *sc, const struct sc_args *a); /* cmd_policy.c */
int sc_cmd_rbac_export(struct sc *sc, const struct sc_args *a); /* cmd_policy.c */
int sc_cmd_support_grant(struct sc *sc, const struct sc_args *a);  /* cmd_support.c */
int sc_cmd_support_revoke(struct sc *sc, const struct sc_args *a);
int sc_cmd_support_list(struct sc *sc, const struct sc_args *a);
int sc_cmd_check(struct sc *sc, const struct sc_args *a);      /* cmd_check.c */
int sc_cmd_rbac_test(struct sc *sc, const struct sc_args *a);  /* cmd_check.c */
int sc_cmd_totp_code(struct sc *sc, const struct sc_args *a);   /* cmd_totp.c */
int sc_cmd_billing_states(struct sc *sc, const struct sc_args *a); /* cmd_billing.c */
int sc_cmd_billing_plans(struct sc *sc, const struct sc_args *a);
int sc_cmd_billing_status(struct sc *sc, const struct sc_args *a);
int sc_cmd_billing_event(struct sc *sc, const struct sc_args *a);
int sc_cmd_billing_change_plan(struct sc *sc, const struct sc_args *a);
int sc_cmd_billing_tick(struct sc *sc, const struct sc_args *a);
int sc_cmd_billing_stripe_event(struct sc *sc, const struct sc_args *a);
int sc_cmd_billing_stripe_reconcile(struct sc *sc, const struct sc_args *a);
int sc_cmd_billing_link(struct sc *sc, const struct sc_args *a);
int sc_cmd_usage_record(struct sc *sc, const struct sc_args *a);
int sc_cmd_usage_show(struct sc *sc, const struct sc_args *a);
int sc_cmd_entitlement_check(struct sc *sc, const struct sc_args *a);
int sc_cmd_entitlement_summary(struct sc *sc, const struct sc_args *a);
int sc_cmd_entitlement_override(struct sc *sc, const struct sc_args *a);
int sc_cmd_totp_secret(struct sc *sc, const struct sc_args *a);
int sc_cmd_user_set_password(struct sc *sc, const struct sc_args *a); /* cmd_auth.c */
int sc_cmd_login(struct sc *sc, const struct sc_args *a);
int sc_cmd_session_verify(struct sc *sc, const struct sc_args *a);
int sc_cmd_session_list(struct sc *sc, const struct sc_args *a);
int sc_cmd_session_revoke(struct sc *sc, const struct sc_args *a);
int sc_cmd_apikey_create(struct sc *sc, const struct sc_args *a);
int sc_cmd_apikey_list(struct sc *sc, const struct sc_args *a);
int sc_cmd_apikey_revoke(struct sc *sc, const struct sc_args *a);
int sc_cmd_apikey_verify(struct sc *sc, const struct sc_args *a);
int sc_cmd_totp_enroll(struct sc *sc, const struct sc_args *a);
int sc_cmd_webhook_endpoint(struct sc *sc, const struct sc_args *a);
int sc_cmd_webhook_deliver(struct sc *sc, const struct sc_args *a);
int sc_cmd_webhook_attempts(struct sc *sc, const struct sc_args *a);
int sc_cmd_webhook_verify(struct sc *sc, const struct sc_args *a); /* cmd_webhook.c */
int sc_cmd_webhook_sign(struct sc *sc, const struct sc_args *a);
int sc_cmd_webhook_secret(struct sc *sc, const struct sc_args *a);
int sc_cmd_webhook_public_key(struct sc *sc, const struct sc_args *a);

/* ---- cmd_tenant.c ------------------------------------------------------------ */

/* Read tenants (status: a saas_tenant_status or -1 for all) from `cursor`:
 * one page of `limit` when `one_page`, else every page. *out (free with
 * sc_tenant_pages_free) holds *n pages; *next the last page's next cursor
 * (borrowed from it, NULL at the end). Returns a library code. */
int sc_tenant_pages(saas_tenant_page ***out, size_t *n, const char **next, struct sc *sc,
                    int status, const char *cursor, unsigned limit, int one_page);
void sc_tenant_pages_free(saas_tenant_page **pages, size_t n);

/* ---- cmd_audit.c ------------------------------------------------------------- */

/* A TIME argument: milliseconds since the epoch (digits only), or RFC 3339
 * "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)". 0 on success, -1 if malformed. */
int sc_parse_time(int64_t *out, const char *s);
/* `ms` as RFC 3339 in UTC with milliseconds (or the number, past year 9999). */
void sc_format_time(char buf[32], int64_t ms);

/* ---- saasctl.c ----------------------------------------------------------------- */

/* Open sc->ctx from --db and the options (for verbs that check their input
 * first and open the store only then). Returns an exit status. */
int sc_open_ctx(struct sc *sc);

/* ---- util.c ---------------------------------------------------------------- */

/* Print "saasctl: <message> (<CODE>)" for a library error `rc`; returns SC_EXIT_REFUSED. */
int sc_lib_error(int rc);
/* The same, "saasctl: <where>: <message> (<CODE>)". */
int sc_lib_error_at(int rc, const char *where);
/* Print "saasctl: <message>" for a failure outside the library; returns SC_EXIT_REFUSED. */
int sc_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "saasctl: <message>", the verb's usage and a hint; returns SC_EXIT_USAGE. */
int sc_usage_error(const struct sc *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last value of option `name` of the current verb, or NULL when not given. */
const char *sc_opt_value(const struct sc *sc, const struct sc_args *a, const char *name);
/* Every value of a repeatable option. */
const char *const *sc_opt_values(const struct sc *sc, const struct sc_args *a, const char *name,
                                 size_t *n);
/* Check an option's value against its flags and choices before anything
 * runs; on a bad value prints a usage error and returns SC_EXIT_USAGE. */
int sc_check_value(const struct sc *sc, const struct sc_opt *o, const char *value);
/* The value of a numeric option (checked by sc_check_value), or `def` when not given. */
long long sc_opt_count(const struct sc *sc, const struct sc_args *a, const char *name,
                       long long def);
/* Role values: each --role may also hold a comma-separated list. *out is a
 * NULL-terminated malloc'd array of malloc'd strings; free with sc_strv_free. */
int sc_split_roles(char ***out, size_t *n, const char *const *values, size_t nvalues);
void sc_strv_free(char **v);

/* A scope on `tenant_id` (NULL: deployment-wide) for the tool's actor: the
 * --actor name as system (or, with --support, support staff), with
 * --actor-email and --on-behalf-of. Returns a library code. */
int sc_scope(saas_scope **out, const struct sc *sc, const char *tenant_id);
/* A scope for tenant T (an id `ten_…` or a slug) acting as the tool's actor.
 * `out_tenant` (may be NULL) receives the tenant when it had to be read to
 * resolve a slug (else NULL). Returns a library code. */
int sc_tenant_scope(saas_scope **out, saas_tenant **out_tenant, struct sc *sc, const char *t);
/* The id of user U (an id `usr_…`, used as given, or an email looked up).
 * *out is malloc'd. Returns a library code. */
int sc_user_id(char **out, struct sc *sc, const char *u);

/* Write `s` as a JSON string (quoted, escaped) to `f`. */
void sc_json_string(FILE *f, const char *s);
/* Print `{"ok":true}` when --json is set; returns SC_EXIT_OK. */
int sc_done(const struct sc *sc);
/* End a list: with --json close the document with its next cursor (or null);
 * else print "next cursor: C" on stderr when there is a next page. */
void sc_list_end(const struct sc *sc, const char *next);
/* The synopsis of a verb ("tenant create --slug S --name N") into a malloc'd string. */
/* Print the library's JSON text, pretty unless --json asks for one line. */
int sc_print_json_text(const struct sc *sc, const char *text);
/* The library's answer `text` (taken; rc its code): with --json printed as
 * is (*doc NULL), else parsed into *doc for the caller to print. Returns an
 * exit status; SC_EXIT_OK with *doc NULL means done. */
int sc_take_json(json_t **doc, const struct sc *sc, int rc, char *text);
char *sc_synopsis(const struct sc_noun *noun, const struct sc_verb *verb);

#endif
