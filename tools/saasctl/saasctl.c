/*
 * saasctl: operate a libsaas deployment from the command line.
 *
 *   saasctl [--db URL] [--json] [--actor NAME] NOUN VERB [ARGS] [OPTIONS]
 *
 * This file holds the command tables, the help, the argument parser and
 * main(); the commands live in cmd_tenant.c, cmd_identity.c, cmd_audit.c,
 * cmd_rbac.c and cmd_policy.c.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saasctl.h"

#define DEFAULT_DB "sqlite:saas.db"
#define DEFAULT_ACTOR "saasctl"

/* ---- the commands ------------------------------------------------------------ */

static const struct sc_verb migrate_verbs[] = {
	{NULL, NULL, 0, "Apply pending schema migrations; print how many and the schema version.",
	 sc_cmd_migrate,
	 {
#ifdef SAASCTL_HAVE_POSTGRES
	  {"grant", "ROLE", 0, "then grant role ROLE what the application needs (PostgreSQL)",
	   NULL},
#endif
	  {0}}},
};

static const struct sc_verb tenant_verbs[] = {
	{"create", NULL, 0, "Create a tenant; print its id.", sc_cmd_tenant_create,
	 {{"slug", "S", SC_REQUIRED, "1-63 of [a-z0-9-], unique across the deployment", NULL},
	  {"name", "N", SC_REQUIRED, "display name", NULL},
	  {0}}},
	{"get", "T", 1, "Show a tenant: id, slug, status, name.", sc_cmd_tenant_get, {{0}}},
	{"list", NULL, 0, "List tenants, oldest first (every page unless --limit is given).",
	 sc_cmd_tenant_list,
	 {{"status", "S", 0, "only tenants in status S: active, suspended or pending_deletion",
	   "active|suspended|pending_deletion"},
	  {"limit", "N", SC_COUNT,
	   "one page of at most N (1-1000); the next cursor goes to stderr", NULL},
	  {"cursor", "C", 0, "start after the page that returned cursor C", NULL},
	  {0}}},
	{"suspend", "T", 1, "Suspend a tenant: its data becomes read-only.", sc_cmd_tenant_suspend,
	 {{"reason", "R", SC_REQUIRED, "why; recorded on the tenant and in the audit log", NULL},
	  {0}}},
	{"reactivate", "T", 1, "Reactivate a suspended tenant.", sc_cmd_tenant_reactivate, {{0}}},
	{"delete", "T", 1, "Schedule a tenant for deletion; it can be restored until purged.",
	 sc_cmd_tenant_delete,
	 {{"retention-days", "N", SC_COUNT, "days before it may be purged (0-3650, default 30)",
	   NULL},
	  {0}}},
	{"restore", "T", 1, "Restore a tenant scheduled for deletion.", sc_cmd_tenant_restore,
	 {{0}}},
	{"purge", "T", 1, "Erase a tenant scheduled for deletion, now and for good.",
	 sc_cmd_tenant_purge, {{0}}},
	{"export", "T", 1, "Print everything the tenant owns as one JSON document.",
	 sc_cmd_tenant_export,
	 {{"output", "FILE", 0, "write the document to FILE (mode 0600) instead of stdout", NULL},
	  {0}}},
};

static const struct sc_verb user_verbs[] = {
	{"create", NULL, 0, "Create a user; print its id.", sc_cmd_user_create,
	 {{"email", "E", SC_REQUIRED, "email address (stored trimmed and lower-cased)", NULL},
	  {"name", "N", 0, "display name", NULL},
	  {0}}},
	{"get", "ID|EMAIL", 1, "Show a user by id or email: id, email, name.", sc_cmd_user_get,
	 {{0}}},
	{"set-password", NULL, 0,
	 "Set a user's password, read from stdin (one line); revokes the user's sessions.",
	 sc_cmd_user_set_password,
	 {{"email", "E", SC_REQUIRED, "the user's email (or id)", NULL}, {0}}},
};

static const struct sc_verb member_verbs[] = {
	{"add", NULL, 0, "Add a user to a tenant; print the membership id.", sc_cmd_member_add,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"user", "U", SC_REQUIRED, "the user: id or email", NULL},
	  {"role", "R", SC_REQUIRED | SC_REPEAT, "a role; repeat it, or separate roles with commas",
	   NULL},
	  {0}}},
	{"remove", NULL, 0, "Remove a user from a tenant (never its last owner).",
	 sc_cmd_member_remove,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"user", "U", SC_REQUIRED, "the user: id or email", NULL},
	  {0}}},
	{"list", NULL, 0, "List a tenant's memberships: id, user, email, roles.",
	 sc_cmd_member_list,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"limit", "N", SC_COUNT,
	   "one page of at most N (1-1000); the next cursor goes to stderr", NULL},
	  {"cursor", "C", 0, "start after the page that returned cursor C", NULL},
	  {0}}},
	{"set-roles", NULL, 0, "Replace a member's roles (a tenant keeps at least one owner).",
	 sc_cmd_member_set_roles,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"user", "U", SC_REQUIRED, "the user: id or email", NULL},
	  {"role", "R", SC_REQUIRED | SC_REPEAT, "a role; repeat it, or separate roles with commas",
	   NULL},
	  {0}}},
};

static const struct sc_verb invite_verbs[] = {
	{"create", NULL, 0,
	 "Invite an email into a tenant; print the token (shown only once) on stdout.",
	 sc_cmd_invite_create,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"email", "E", SC_REQUIRED, "the invited email address", NULL},
	  {"role", "R", SC_REQUIRED | SC_REPEAT, "a role; repeat it, or separate roles with commas",
	   NULL},
	  {"ttl-hours", "H", SC_POSITIVE, "hours until it expires (default 168, at most 2160)",
	   NULL},
	  {0}}},
	{"accept", NULL, 0, "Accept an invitation as a user; print the membership id.",
	 sc_cmd_invite_accept,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"token", "TOKEN", SC_REQUIRED, "the invitation token ('-' reads it from stdin)", NULL},
	  {"user", "U", SC_REQUIRED, "the accepting user: id or email (the invited one)", NULL},
	  {0}}},
	{"revoke", NULL, 0, "Revoke an unused invitation.", sc_cmd_invite_revoke,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"id", "INV", SC_REQUIRED, "the invitation id: inv_...", NULL},
	  {0}}},
};

static const struct sc_verb audit_verbs[] = {
	{"list", NULL, 0,
	 "List a tenant's audit events, oldest first: seq, time, actor, action, target.",
	 sc_cmd_audit_list,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id, slug, or 'system' for the deployment",
	   NULL},
	  {"action", "PREFIX", 0, "only actions starting with PREFIX ('member.', 'tenant.created')",
	   NULL},
	  {"actor-id", "ID", 0, "only events by this actor id (a user id, a key id, a name)",
	   NULL},
	  {"target-type", "X", 0, "only events on this kind of target (tenant, user, member, ...)",
	   NULL},
	  {"target-id", "Y", 0, "only events on the target with this id", NULL},
	  {"since", "TIME", 0, "at or after TIME: RFC 3339 (2026-01-01T00:00:00Z) or ms", NULL},
	  {"until", "TIME", 0, "before TIME: RFC 3339 or milliseconds since the epoch", NULL},
	  {"limit", "N", SC_COUNT,
	   "one page of at most N (1-1000); the next cursor goes to stderr", NULL},
	  {"cursor", "C", 0, "start after the page that returned cursor C", NULL},
	  {0}}},
	{"verify", NULL, 0,
	 "Recompute a tenant's hash chain (or an export file's) and check its signed "
	 "checkpoints; exit 0 when intact, 1 naming the first damage.",
	 sc_cmd_audit_verify,
	 {{"tenant", "T", 0, "the tenant: id, slug, or 'system' for the deployment", NULL},
	  {"trust-key", "PUB", SC_REPEAT,
	   "also trust this older public key (saas-audit-pub-v1:...) for checkpoints", NULL},
	  {"file", "FILE", 0,
	   "verify this export file instead of the database (no --db, no --tenant)", NULL},
	  {"public-key", "PUB", SC_REPEAT,
	   "with --file: a public key (saas-audit-pub-v1:...) the checkpoints may be signed with",
	   NULL},
	  {0}}},
	{"export", NULL, 0,
	 "Write a tenant's audit events and signed checkpoints to FILE as JSON lines (mode 0600, "
	 "must not exist), for 'audit verify --file'.",
	 sc_cmd_audit_export,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id, slug, or 'system' for the deployment",
	   NULL},
	  {"out", "FILE", SC_REQUIRED, "the file to create", NULL},
	  {0}}},
	{"checkpoint", NULL, 0,
	 "Sign a checkpoint of a tenant's audit stream with the signing key; print its seq.",
	 sc_cmd_audit_checkpoint,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id, slug, or 'system' for the deployment",
	   NULL},
	  {0}}},
	{"purge", NULL, 0,
	 "Delete the audit events that occurred before TIME under an anchor signed with the "
	 "signing key, so the stream still verifies: every tenant's stream, then the "
	 "deployment's, or only the one --tenant or --system names. Print how many per stream.",
	 sc_cmd_audit_purge,
	 {{"before", "TIME", SC_REQUIRED,
	   "delete the events that occurred before TIME (in the past): RFC 3339 or ms", NULL},
	  {"tenant", "T", 0, "only this tenant's stream: id or slug ('system' is --system)", NULL},
	  {"system", NULL, SC_FLAG, "only the deployment's stream", NULL},
	  {0}}},
	{"forget", NULL, 0,
	 "Forget a data subject: delete the key of its personal data (email, ip, user agent) "
	 "in every audit stream; the hashes still verify.",
	 sc_cmd_audit_forget,
	 {{"subject", "ID", SC_REQUIRED,
	   "the actor id whose personal data to forget (usr_..., or an --actor name)", NULL},
	  {0}}},
	{"keygen", NULL, 0,
	 "Make a checkpoint signing key: the secret line, then the public line.",
	 sc_cmd_audit_keygen,
	 {{"key-id", "ID", 0, "the key's id: 1-32 characters [a-z0-9_-] (default: derived)",
	   NULL},
	  {"out", "FILE", 0,
	   "write the secret to FILE (mode 0600, must not exist); print only the public line",
	   NULL},
	  {0}}},
};

static const struct sc_verb role_verbs[] = {
	{"list", NULL, 0,
	 "List the roles: name, builtin, deployment or tenant, what it inherits, and every "
	 "permission it grants (its own and inherited). Without --tenant the deployment's "
	 "catalog; with it every role a member of that tenant can have, its custom roles too.",
	 sc_cmd_role_list,
	 {{"tenant", "T", 0, "the tenant: id or slug; adds its custom roles", NULL},
	  {0}}},
	{"create", NULL, 0,
	 "Create a tenant's custom role, which may inherit the deployment's roles and the "
	 "tenant's other custom roles.",
	 sc_cmd_role_create,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"name", "N", SC_REQUIRED, "the role's name: [a-z][a-z0-9_-]{0,63}, not a deployment "
	   "role's", NULL},
	  {"permissions", "P,Q,...", 0, "its own permissions (resource:action); default none",
	   NULL},
	  {"inherits", "R,S,...", 0, "the roles it inherits; default none", NULL},
	  {0}}},
	{"update", NULL, 0,
	 "Replace a custom role's permissions and inherited roles, both at once: an option "
	 "left out (or given as '') empties its set.",
	 sc_cmd_role_update,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"name", "N", SC_REQUIRED, "the custom role", NULL},
	  {"permissions", "P,Q,...", 0, "its new own permissions; left out: none", NULL},
	  {"inherits", "R,S,...", 0, "the roles it now inherits; left out: none", NULL},
	  {0}}},
	{"delete", NULL, 0,
	 "Delete a custom role; refused while a member has it (unless --move-to) or another "
	 "custom role inherits it.",
	 sc_cmd_role_delete,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"name", "N", SC_REQUIRED, "the custom role", NULL},
	  {"move-to", "R", 0, "give role R instead to every member that has it", NULL},
	  {0}}},
};

static const struct sc_verb check_verbs[] = {
	{NULL, NULL, 0,
	 "Ask saas_authorize whether an actor may do permission P in tenant T: print 'allowed' "
	 "or 'denied (REASON)' (--explain: why; --json: the decision) and exit 0 allowed, 1 "
	 "denied. With --batch, decide each JSON line {\"tenant\",\"user\"|\"staff\"|\"system\","
	 "\"permission\"} of FILE ('-': stdin) and print one JSON line per line, in order: the "
	 "decision, or {\"line\":N,\"error\":...}; exit 2 if a line had an error.",
	 sc_cmd_check,
	 {{"tenant", "T", 0, "the tenant: id or slug", NULL},
	  {"user", "U", 0, "the actor is user U: id or email", NULL},
	  {"staff", "S", 0, "the actor is support staff S (allowed by the tenant's support grant)",
	   NULL},
	  {"system", NULL, SC_FLAG, "the actor is the system (named by --actor)", NULL},
	  {"permission", "P", 0, "resource:action; a wildcard (project:*) asks for all it names",
	   NULL},
	  {"explain", NULL, SC_FLAG, "print the decision's explanation instead", NULL},
	  {"batch", "FILE", 0, "decide every request line of FILE instead", NULL},
	  {0}}},
};

static const struct sc_verb support_verbs[] = {
	{"grant", NULL, 0,
	 "Let support staff act in tenant T with role R's permissions for a while; prints the "
	 "grant's id. A new grant to the same staff replaces theirs.",
	 sc_cmd_support_grant,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"staff", "S", 0, "the support actor's name (as they give it with --support --actor); "
	   "default: every support actor", NULL},
	  {"role", "R", SC_REQUIRED, "the role whose permissions they get (a catalog role or a "
	   "custom role of the tenant)", NULL},
	  {"hours", "N", SC_POSITIVE, "how long it lasts, 1 to 720 (default 24)", NULL},
	  {0}}},
	{"revoke", NULL, 0, "End a support grant at once.", sc_cmd_support_revoke,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"id", "G", SC_REQUIRED, "the grant (sgr_...)", NULL},
	  {0}}},
	{"list", NULL, 0,
	 "List a tenant's support grants, newest first: id, staff (* for all), role, expiry, "
	 "active|expired|revoked.",
	 sc_cmd_support_list,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL}, {0}}},
};

/* The tenants' access policy as one document (docs/rbac.md, "Import and export"). */
static const struct sc_verb rbac_verbs[] = {
	{"import", "FILE", 1,
	 "Import a policy document (JSON; FILE '-' reads stdin): tenants by slug, users by "
	 "email (both created when missing), custom roles and memberships (created, or set to "
	 "exactly what the document says); what it does not name is left alone. All or "
	 "nothing, audited. Print how many of each kind were created, updated and unchanged.",
	 sc_cmd_rbac_import,
	 {{"tenant", "T", 0,
	   "act as tenant T (id or slug): the document may name only T, and creates no tenant",
	   NULL},
	  {0}}},
	{"export", NULL, 0,
	 "Print the policy document of every tenant (but those pending deletion), or of one: "
	 "tenants, their members' users, custom roles and memberships, sorted.",
	 sc_cmd_rbac_export,
	 {{"tenant", "T", 0, "only tenant T: id or slug", NULL},
	  {0}}},
	{"test", "FILE", 1,
	 "Run policy tests: each JSON line of FILE ('-': stdin) is a request as for 'check "
	 "--batch' with \"expect\": true|false (and optionally \"reason\": NAME). Print each "
	 "mismatch as FILE:LINE: expected ..., got ...: tenant/actor/permission, then 'N passed, "
	 "M failed'; exit 0 when all pass, 1 on a mismatch, 2 on a bad line (named on stderr).",
	 sc_cmd_rbac_test,
	 {{"explain", NULL, SC_FLAG, "print the decision's explanation under each mismatch", NULL},
	  {0}}},
};

/* Billing (saas/billing.h, docs/billing.md "saasctl"): cmd_billing.c. The state
 * table needs no database. */
#define TENANT_OPT {"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL}
#define STRIPE_OPTS                                                                      \
	{"api-base", "URL", 0, "Stripe's API (default https://api.stripe.com)", NULL},    \
	{"api-key-env", "VAR", 0, "the environment variable holding the secret key "      \
	 "(default STRIPE_SECRET_KEY)", NULL}
static const struct sc_verb billing_verbs[] = {
	{"states", NULL, 0,
	 "Print the subscription state machine's transition table from the code: as a "
	 "Markdown table (--markdown) or as a Graphviz digraph (--dot, for `dot -Tsvg`).",
	 sc_cmd_billing_states,
	 {{"markdown", NULL, SC_FLAG, "a Markdown table: from, event, condition, to, flags", NULL},
	  {"dot", NULL, SC_FLAG, "a Graphviz digraph of the states and transitions", NULL},
	  {0}}},
	{"plans", "load FILE|list", -2,
	 "load FILE: store a plan catalogue (JSON; '-' reads stdin) as the newest version "
	 "(the same document again changes nothing) and print its version. list: print the "
	 "plans of the newest version (or --catalog-version N).",
	 sc_cmd_billing_plans,
	 {{"catalog-version", "N", SC_POSITIVE, "list: this catalogue version", NULL}, {0}}},
	{"status", NULL, 0,
	 "Print a tenant's subscription: state, access, plan, period, pending cancellation or "
	 "plan change, provider (without one: the default plan it gets).",
	 sc_cmd_billing_status, {TENANT_OPT, {0}}},
	{"event", "EVENT", 1,
	 "Apply EVENT (trial_started, created, payment_succeeded, payment_failed, "
	 "cancel_at_period_end, pause, ...: 'billing states --markdown' lists them) to a "
	 "tenant's subscription by the table; print the subscription after.",
	 sc_cmd_billing_event,
	 {TENANT_OPT,
	  {"plan", "P", 0, "the plan (creating a subscription, changing plans)", NULL},
	  {"payment-method", "yes|no", 0, "whether the customer has a payment method now",
	   "yes|no"},
	  {"trial-days", "N", SC_POSITIVE, "trial_started: the trial's length (default: the plan's)",
	   NULL},
	  {0}}},
	{"change-plan", NULL, 0,
	 "Change a tenant's plan: now, at the period's end, or auto (a lower-ranked plan at "
	 "the period's end, else now; always now in a trial).",
	 sc_cmd_billing_change_plan,
	 {TENANT_OPT, {"plan", "P", SC_REQUIRED, "the new plan", NULL},
	  {"when", "W", 0, "auto (default), now or period_end", "auto|now|period_end"},
	  {0}}},
	{"tick", NULL, 0,
	 "Apply the events the clock has made due to a tenant's subscription (a trial's end, "
	 "period renewals); print how many.",
	 sc_cmd_billing_tick, {TENANT_OPT, {0}}},
	{"stripe-event", NULL, 0,
	 "Apply a Stripe event (the raw body of a delivery you have verified) to its tenant; "
	 "print applied, duplicate, stale or ignored. With a secret key, invoice and checkout "
	 "events fetch the subscription.",
	 sc_cmd_billing_stripe_event,
	 {{"file", "F", SC_REQUIRED, "the event's JSON ('-': stdin)", NULL}, STRIPE_OPTS, {0}}},
	{"stripe-reconcile", NULL, 0,
	 "Fetch a tenant's subscription from Stripe's API and apply it as it is now.",
	 sc_cmd_billing_stripe_reconcile, {TENANT_OPT, STRIPE_OPTS, {0}}},
	{"link-customer", NULL, 0,
	 "Link a Stripe customer (cus_...) to a tenant, so that its events find the tenant.",
	 sc_cmd_billing_link,
	 {TENANT_OPT, {"customer", "C", SC_REQUIRED, "Stripe's customer id", NULL}, {0}}},
};

static const struct sc_verb usage_verbs[] = {
	{"record", NULL, 0,
	 "Record usage of a metered feature once per idempotency key; print the feature's "
	 "entitlement after. Exit 1 when a hard limit refuses it (nothing recorded).",
	 sc_cmd_usage_record,
	 {TENANT_OPT, {"feature", "F", SC_REQUIRED, "a metered feature", NULL},
	  {"quantity", "N", SC_POSITIVE, "how much (default 1)", NULL},
	  {"key", "K", SC_REQUIRED, "the idempotency key: the same key records once", NULL},
	  {"at", "TIME", 0, "when it happened (default now): its period counts it", NULL},
	  {0}}},
	{"show", NULL, 0, "Print a tenant's metered features: limit, used this period, over the "
	 "limit or not.",
	 sc_cmd_usage_show,
	 {TENANT_OPT, {"feature", "F", 0, "only this feature", NULL}, {0}}},
};

static const struct sc_verb entitlement_verbs[] = {
	{"check", NULL, 0,
	 "May the tenant use feature F (for amount N)? Print allowed or refused with the "
	 "reason, used and limit; exit 0 allowed, 1 refused, 2 on an error.",
	 sc_cmd_entitlement_check,
	 {TENANT_OPT, {"feature", "F", SC_REQUIRED, "the feature", NULL},
	  {"amount", "N", SC_COUNT, "how much: metered, added to this period's use; limit, the "
	   "count wanted (seats: added to the members)", NULL},
	  {0}}},
	{"summary", NULL, 0, "Print a tenant's plan, state, access and every feature: value, "
	 "where it comes from, allowed, usage.",
	 sc_cmd_entitlement_summary, {TENANT_OPT, {0}}},
	{"override", NULL, 0,
	 "Override a feature's value for a tenant (it wins over the plan's), or --remove the "
	 "override.",
	 sc_cmd_entitlement_override,
	 {TENANT_OPT, {"feature", "F", SC_REQUIRED, "the feature", NULL},
	  {"value", "JSON", 0, "the value: true, 50, \"unlimited\", or any JSON for config", NULL},
	  {"expires", "TIME", 0, "when the override ends (default: never)", NULL},
	  {"reason", "R", 0, "a note for the audit log", NULL},
	  {"remove", NULL, SC_FLAG, "remove the override instead", NULL},
	  {0}}},
};

/* One-time passwords (saas/totp.h, docs/auth.md "TOTP"); no database but for enroll
 * (saas/mfa.h: cmd_auth.c). */
static const struct sc_verb totp_verbs[] = {
	{"code", NULL, 0,
	 "Print the TOTP code (RFC 6238) of a base32 secret, now or at --time: to check an "
	 "authenticator app by hand.",
	 sc_cmd_totp_code,
	 {{"secret", "BASE32", SC_REQUIRED, "the secret, base32 (case and spaces do not matter)",
	   NULL},
	  {"time", "UNIX", 0, "seconds since the epoch (default: now)", NULL},
	  {"digits", "N", 0, "6 (default) or 8", "6|8"},
	  {"algorithm", "A", 0, "sha1 (default), sha256 or sha512", "sha1|sha256|sha512"},
	  {0}}},
	{"secret", NULL, 0,
	 "Print a new random TOTP secret (base32); with --account, then its otpauth:// URI for "
	 "a QR code.",
	 sc_cmd_totp_secret,
	 {{"bytes", "N", SC_POSITIVE, "random bytes, 16 to 64 (default 20)", NULL},
	  {"issuer", "I", 0, "the service's name in the URI (needs --account)", NULL},
	  {"account", "A", 0, "the user's account in the URI, e.g. an email", NULL},
	  {"digits", "N", 0, "the URI's digits: 6 (default) or 8", "6|8"},
	  {"algorithm", "A", 0, "the URI's algorithm: sha1 (default), sha256 or sha512",
	   "sha1|sha256|sha512"},
	  {0}}},
	{"enroll", NULL, 0,
	 "Enrol a user's TOTP factor: print the otpauth:// URI and the secret, read the code "
	 "the app shows from stdin, then print the 10 recovery codes (shown once). With --json "
	 "two lines: {\"uri\",\"secret\"}, then {\"recovery_codes\":[...]}.",
	 sc_cmd_totp_enroll,
	 {{"user", "U", SC_REQUIRED, "the user: id or email", NULL},
	  {"issuer", "I", 0, "the service's name the app shows", NULL},
	  {0}}},
};

/* Passwords, sessions and API keys (saas/auth.h, docs/auth.md "saasctl"): cmd_auth.c. */
static const struct sc_verb login_verbs[] = {
	{NULL, NULL, 0,
	 "Sign in: the password on stdin's first line, a TOTP or recovery code on the second "
	 "when the user has one. Print the session token (shown once). Exit 1 on wrong "
	 "credentials, a second factor required or wrong, or too many attempts; 2 on other "
	 "errors.",
	 sc_cmd_login,
	 {{"email", "E", SC_REQUIRED, "the user's email", NULL},
	  {"tenant", "T", 0, "the tenant the session acts in: id or slug", NULL},
	  {"ip", "IP", 0, "the client's address (rate limit per IP, session list)", NULL},
	  {0}}},
};

static const struct sc_verb session_verbs[] = {
	{"verify", "TOKEN", 1,
	 "Validate a session token: print the session (id, user, tenant, expiry); exit 1 if it "
	 "is invalid, unknown, expired or revoked.",
	 sc_cmd_session_verify, {{0}}},
	{"list", NULL, 0,
	 "List a user's live sessions, newest first: id, user, tenant, created, last seen, "
	 "expiry, IP.",
	 sc_cmd_session_list,
	 {{"user", "U", SC_REQUIRED, "the user: id or email", NULL}, {0}}},
	{"revoke", "[ID]", -1, "Revoke session ID (ses_...), or with --user U --all every session "
	 "of a user (printing how many).",
	 sc_cmd_session_revoke,
	 {{"user", "U", 0, "the user: id or email (with --all)", NULL},
	  {"all", NULL, SC_FLAG, "every session of --user", NULL},
	  {0}}},
};

static const struct sc_verb apikey_verbs[] = {
	{"create", NULL, 0,
	 "Create an API key in a tenant for user U, who must be allowed apikey:create and "
	 "every permission given; print the key (shown only once).",
	 sc_cmd_apikey_create,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL},
	  {"name", "N", SC_REQUIRED, "the key's name", NULL},
	  {"permissions", "P,Q,...", SC_REQUIRED | SC_REPEAT,
	   "permission patterns (resource:action, * wildcards); repeat or separate with commas",
	   NULL},
	  {"expires", "TIME", 0, "when it stops working (default: never)", NULL},
	  {"user", "U", SC_REQUIRED, "the creating user, id or email: the key never exceeds "
	   "their permissions", NULL},
	  {0}}},
	{"list", NULL, 0,
	 "List a tenant's API keys, newest first: id, prefix, name, permissions, creator, "
	 "expiry, last used, active|expired|revoked.",
	 sc_cmd_apikey_list,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL}, {0}}},
	{"revoke", "ID", 1, "Revoke API key ID (key_...).", sc_cmd_apikey_revoke,
	 {{"tenant", "T", SC_REQUIRED, "the tenant: id or slug", NULL}, {0}}},
	{"verify", "KEY", 1,
	 "Verify an API key: print its id, tenant and permissions; exit 1 if it is invalid "
	 "(a bad checksum is refused without opening the database), unknown, expired or "
	 "revoked.",
	 sc_cmd_apikey_verify, {{0}}},
};

/* Webhooks (saas/webhook.h, docs/webhooks.md): signatures in cmd_webhook.c (no
 * database), endpoints and delivery in cmd_webhook_endpoint.c. */
#define WEBHOOK_PROVIDERS "stripe|standard|svix|github|slack|shopify"
#define WEBHOOK_SECRET_OPTS                                                               \
	{"secret", "S", SC_REPEAT, "a secret (visible in the process list: prefer "          \
	 "--secret-env)", NULL},                                                           \
	{"secret-env", "NAME", SC_REPEAT, "a secret read from environment variable NAME",    \
	 NULL}
static const struct sc_verb webhook_verbs[] = {
	{"verify", NULL, 0,
	 "Verify a delivery as its receiver: the headers and the raw body, byte for byte. Print "
	 "'valid' and exit 0, or 'invalid: CHECK' (no_header, malformed_header, "
	 "no_known_scheme, too_old, in_future, mismatch) with the reason on stderr and exit 1; "
	 "exit 2 with no answer (a bad option, secret or file). Several secrets: valid if any "
	 "matches; --secret ones count first, then --secret-env ones. With --json: {\"valid\","
	 "\"check\",\"id\",\"timestamp\",\"secret_index\"}.",
	 sc_cmd_webhook_verify,
	 {{"provider", "P", SC_REQUIRED, "who signed: " WEBHOOK_PROVIDERS, WEBHOOK_PROVIDERS},
	  WEBHOOK_SECRET_OPTS,
	  {"header", "'NAME: VALUE'", SC_REPEAT, "a request header; repeat for each", NULL},
	  {"body-file", "F", SC_REQUIRED, "the raw body ('-': stdin)", NULL},
	  {"now", "UNIX", 0, "check the timestamp against this time (default: now)", NULL},
	  {"tolerance", "SEC", SC_COUNT, "seconds either side of now (default 300)", NULL},
	  {"ignore-timestamp", NULL, SC_FLAG, "skip the timestamp check (the signature counts)",
	   NULL},
	  {0}}},
	{"sign", NULL, 0,
	 "Sign a body as the provider would: print the headers to send, one 'Name: value' "
	 "line each (--json: one object). Stripe and Standard Webhooks sign with every secret "
	 "given (one signature each); GitHub, Slack and Shopify take one. --provider svix names "
	 "the headers svix-*.",
	 sc_cmd_webhook_sign,
	 {{"provider", "P", SC_REQUIRED, "whose scheme: " WEBHOOK_PROVIDERS, WEBHOOK_PROVIDERS},
	  WEBHOOK_SECRET_OPTS,
	  {"body-file", "F", SC_REQUIRED, "the exact body to send ('-': stdin)", NULL},
	  {"now", "UNIX", 0, "the timestamp to sign (default: now)", NULL},
	  {"id", "ID", 0, "the message id (standard: default a new msg_...; github, shopify: "
	   "the delivery id header)", NULL},
	  {"svix-headers", NULL, SC_FLAG, "standard: name the headers svix-* not webhook-*",
	   NULL},
	  {0}}},
	{"secret", NULL, 0,
	 "Print a new Standard Webhooks secret (whsec_...); with --ed25519 a key pair: "
	 "'secret: whsk_...' (sign with it) and 'public: whpk_...' (verify with it).",
	 sc_cmd_webhook_secret,
	 {{"ed25519", NULL, SC_FLAG, "an ed25519 key pair (v1a signatures) instead", NULL},
	  {0}}},
	{"public-key", NULL, 0, "Print the public key (whpk_...) of an ed25519 signing key.",
	 sc_cmd_webhook_public_key,
	 {{"secret", "whsk_...", 0, "the signing key (visible in the process list: prefer "
	   "--secret-env)", NULL},
	  {"secret-env", "NAME", 0, "the signing key read from environment variable NAME", NULL},
	  {0}}},
	{"endpoint", "add|list|remove ID|enable ID|disable ID|rotate ID|secret ID", -2,
	 "A tenant's webhook endpoints. add: a new endpoint (--url, one --event per pattern: "
	 "member.added, subscription.*, *), printing its id and its secret once. list: the "
	 "endpoints (no secrets). remove, enable, disable: audited. rotate: a new secret; the "
	 "old ones keep signing for --overlap seconds (default a day). secret: print the "
	 "current secret.",
	 sc_cmd_webhook_endpoint,
	 {TENANT_OPT,
	  {"url", "URL", 0, "add: where to POST (http:// or https://)", NULL},
	  {"event", "PATTERN", SC_REPEAT, "add: an event type pattern; repeat for each", NULL},
	  {"description", "TEXT", 0, "add: a note", NULL},
	  {"overlap", "SEC", SC_COUNT, "rotate: how long the old secrets keep signing (0 to 604800)",
	   NULL},
	  {0}}},
	{"deliver", NULL, 0,
	 "Run the delivery worker: turn new audit events into deliveries and send what is due, "
	 "until nothing is due (retries wait for their time), or with --forever until SIGINT or "
	 "SIGTERM. Print what it did.",
	 sc_cmd_webhook_deliver,
	 {{"forever", NULL, SC_FLAG, "keep running, polling for work", NULL},
	  {"concurrency", "N", SC_POSITIVE, "requests in flight at once (default 8)", NULL},
	  {"timeout-ms", "MS", SC_POSITIVE, "a whole attempt (default 15000)", NULL},
	  {"connect-timeout-ms", "MS", SC_POSITIVE, "connecting (default 5000)", NULL},
	  {"allow", "CIDR", SC_REPEAT, "let the address guard through to this range (tests, "
	   "intranets)", NULL},
	  {"https-only", NULL, SC_FLAG, "refuse http:// endpoints", NULL},
	  {0}}},
	{"attempts", NULL, 0,
	 "A tenant's deliveries, newest first, each with its attempts: time, duration, HTTP "
	 "status, error.",
	 sc_cmd_webhook_attempts,
	 {TENANT_OPT,
	  {"endpoint", "ID", 0, "only this endpoint's", NULL},
	  {"limit", "N", SC_POSITIVE, "at most N deliveries (default 100, at most 1000)", NULL},
	  {0}}},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const struct sc_noun sc_nouns[] = {
	{"migrate", "apply pending schema migrations", migrate_verbs, COUNT(migrate_verbs), 1},
	{"tenant", "tenants: create, read, suspend, delete, restore, purge, export", tenant_verbs,
	 COUNT(tenant_verbs), 0},
	{"user", "users: create, read, set a password", user_verbs, COUNT(user_verbs), 0},
	{"member", "memberships of users in tenants, with roles", member_verbs,
	 COUNT(member_verbs), 0},
	{"invite", "invitations into a tenant", invite_verbs, COUNT(invite_verbs), 0},
	{"audit",
	 "the audit log: list events, verify the hash chain, export, sign checkpoints, purge old "
	 "events, forget personal data",
	 audit_verbs,
	 COUNT(audit_verbs), 0},
	{"role",
	 "roles and their permissions: the deployment's (built-in and --rbac-policy's) and each "
	 "tenant's custom roles",
	 role_verbs, COUNT(role_verbs), 0},
	{"rbac",
	 "the tenants' access policy as one JSON document: import and export; policy tests",
	 rbac_verbs, COUNT(rbac_verbs), 0},
	{"support", "support staff's time-limited access to a tenant (support grants)",
	 support_verbs, COUNT(support_verbs), 0},
	{"check", "ask whether an actor may do a permission in a tenant (saas_authorize)",
	 check_verbs, COUNT(check_verbs), 1},
	{"totp",
	 "one-time passwords (RFC 6238): a code of a secret, a new secret and its URI; enrol a "
	 "user's factor",
	 totp_verbs, COUNT(totp_verbs), 0},
	{"billing",
	 "billing: the state table, the plan catalogue, subscriptions and their events, Stripe",
	 billing_verbs, COUNT(billing_verbs), 0},
	{"usage", "metered usage: record, show", usage_verbs, COUNT(usage_verbs), 0},
	{"entitlement", "a tenant's entitlements: check a feature, summary, overrides",
	 entitlement_verbs, COUNT(entitlement_verbs), 0},
	{"login", "sign in with email and password (and a second factor): a session token",
	 login_verbs, COUNT(login_verbs), 1},
	{"session", "sessions: verify a token, list, revoke", session_verbs, COUNT(session_verbs),
	 0},
	{"apikey", "a tenant's API keys: create, list, revoke, verify", apikey_verbs,
	 COUNT(apikey_verbs), 0},
	{"webhook",
	 "webhooks: verify and sign deliveries; a tenant's endpoints; the delivery worker",
	 webhook_verbs, COUNT(webhook_verbs), 0},
};
const size_t sc_nnouns = COUNT(sc_nouns);

/* ---- help -------------------------------------------------------------------- */

static const char global_help[] =
	"Global options (before the noun, or anywhere after it):\n"
	"  --db URL        storage URL (default: $SAAS_DB, else " DEFAULT_DB ")\n"
	"  --json          print results as one JSON document on stdout\n"
	"  --actor NAME    the actor recorded in the audit log (default: " DEFAULT_ACTOR ")\n"
	"  --support       the actor NAME is a member of support staff, not the system\n"
	"  --on-behalf-of USER  with --support: the user (usr_...) support acts for; the\n"
	"                  audit log records both\n"
	"  --actor-email E the actor's email, recorded in the audit log as personal data:\n"
	"                  encrypted, unreadable after 'audit forget --subject NAME'\n"
	"  --audit-key SRC where the audit signing key is: file:PATH or env:NAME\n"
	"                  (default: $SAAS_AUDIT_SIGNING_KEY)\n"
	"  --rbac-policy SRC  the application's role policy: JSON text or file:PATH\n"
	"                  (default: $SAAS_RBAC_POLICY; docs/rbac.md)\n"
	"  -v, --verbose   write the library's log (JSON lines) to stderr\n"
	"  -h, --help      show help: 'saasctl help', 'saasctl NOUN --help'\n"
	"  --version       print the version of saasctl and of the libsaas it runs on\n"
	"Options take their value as '--opt value' or '--opt=value', in any order.\n";

static const char tail_help[] =
	"Arguments:\n"
	"  T               a tenant: its id (ten_...) or its slug\n"
	"  U               a user: its id (usr_...) or its email (any case)\n"
	"  TIME            RFC 3339 (2026-01-01T00:00:00Z, 2026-01-01T01:00:00.5+01:00)\n"
	"                  or milliseconds since the epoch\n"
	"\n"
	"Storage URLs:\n"
	"  memory:                  a private in-memory database, gone when saasctl exits\n"
	"  sqlite:PATH              a SQLite file, created when missing\n"
	"  postgres://USER@HOST/DB  PostgreSQL (also postgresql://...), if libsaas is built\n"
	"                           with it\n"
	"  The schema is migrated automatically when the database is opened.\n"
#ifdef SAASCTL_HAVE_POSTGRES
	"  PostgreSQL: as the owner, 'saasctl --db postgresql://OWNER@... migrate --grant APP'\n"
	"  migrates and grants role APP what the application needs (docs/postgres.md).\n"
#endif
	"\n"
	"Environment:\n"
	"  SAAS_DB         the storage URL when --db is not given\n"
	"  SAAS_AUDIT_SIGNING_KEY  the audit signing key (saas-audit-key-v1:...) when\n"
	"                  --audit-key is not given\n"
	"  SAAS_RBAC_POLICY  the role policy when --rbac-policy is not given\n"
	"  SAAS_AUTH_POLICY  the auth policy (passwords' cost, sessions, rate limits:\n"
	"                  JSON or file:PATH; docs/auth.md, \"Policy\")\n"
	"\n"
	"Output:\n"
	"  Commands that create something print its id alone on one line (invite create\n"
	"  prints the token instead: it is shown only once; role create prints nothing: a\n"
	"  role is known by its name). get and list print one line per object. audit\n"
	"  purge prints a line per stream it purged, audit forget one line. Other changes\n"
	"  print nothing. With --json, stdout is one JSON document: the object; for lists\n"
	"  {\"items\":[...],\"next_cursor\":...} (role list: {\"roles\":[...]}); for invite create\n"
	"  {\"token\":...,\"invitation\":{...}}; for audit purge {\"stream\":...,\"purged\":N,\n"
	"  ...}, or an array of them for every stream; else {\"ok\":true}. rbac export prints\n"
	"  the policy document (indented; on one line with --json); rbac import a line per\n"
	"  kind (with --json its report: {\"tenants\":{\"created\":N,...},...}).\n"
	"  webhook sign prints one 'Name: value' line per header (--json: an object of\n"
	"  them); webhook verify 'valid' or 'invalid: CHECK'. Secrets are never printed\n"
	"  but by the verbs that make them.\n"
	"\n"
	"Exit status:\n"
	"  0  done\n"
	"  1  refused: not found, invalid, already exists, suspended, ... (the library's\n"
	"     message and code, e.g. SAAS_ENOTFOUND, go to stderr)\n"
	"  2  usage error: unknown noun, verb or option, missing argument\n"
	"  check exits 1 when denied; check --batch 2 when a line had an error; rbac test\n"
	"  1 on a mismatch, 2 on a bad line. login, session verify, apikey verify and\n"
	"  webhook verify exit 1 on a negative answer (wrong credentials, invalid or\n"
	"  revoked, a delivery that does not verify), 2 with no answer.\n";

char *sc_synopsis(const struct sc_noun *noun, const struct sc_verb *verb)
{
	char *buf;
	size_t cap = 512, len;

	buf = malloc(cap);
	if (!buf)
		return NULL;
	len = (size_t)snprintf(buf, cap, "%s%s%s%s%s", noun->name, verb->name ? " " : "",
	                       verb->name ? verb->name : "", verb->args ? " " : "",
	                       verb->args ? verb->args : "");
	for (const struct sc_opt *o = verb->opts; o->name && len < cap; o++) {
		const char *fmt;

		if (o->flags & SC_FLAG)
			fmt = " [--%s]";
		else if (o->flags & SC_REQUIRED)
			fmt = o->flags & SC_REPEAT ? " --%s %s [--%s %s ...]" : " --%s %s";
		else
			fmt = o->flags & SC_REPEAT ? " [--%s %s ...]" : " [--%s %s]";
		len += (size_t)snprintf(buf + len, cap - len, fmt, o->name, o->metavar, o->name,
		                        o->metavar);
	}
	return buf;
}

static void print_verb_help(FILE *f, const struct sc_noun *noun, const struct sc_verb *verb,
                            int with_options)
{
	char *syn = sc_synopsis(noun, verb);

	fprintf(f, "  saasctl %s\n      %s\n", syn ? syn : noun->name, verb->summary);
	free(syn);
	if (!with_options)
		return;
	for (const struct sc_opt *o = verb->opts; o->name; o++) {
		char left[64];

		snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
		         o->metavar ? o->metavar : "");
		fprintf(f, "        %-22s %s%s\n", left, o->help,
		        o->flags & SC_REQUIRED ? " (required)" : "");
	}
}

static void print_main_help(FILE *f)
{
	fprintf(f,
	        "saasctl - operate a libsaas deployment: tenants, users, memberships, invitations,\n"
	        "          the audit log, roles, billing, sign-in, webhook signatures\n"
	        "\n"
	        "Usage: saasctl [--db URL] [--json] [--actor NAME] NOUN VERB [ARGS] [OPTIONS]\n"
	        "       saasctl help [NOUN [VERB]]  |  saasctl NOUN --help  |  saasctl --version\n"
	        "\n"
	        "Commands:\n");
	for (size_t i = 0; i < sc_nnouns; i++)
		for (size_t j = 0; j < sc_nouns[i].nverbs; j++)
			print_verb_help(f, &sc_nouns[i], &sc_nouns[i].verbs[j], 0);
	fprintf(f, "\n%s\n%s", global_help, tail_help);
}

static void print_noun_help(FILE *f, const struct sc_noun *noun, const struct sc_verb *only)
{
	fprintf(f, "saasctl %s - %s\n\nUsage:\n", noun->name, noun->summary);
	for (size_t j = 0; j < noun->nverbs; j++)
		if (!only || only == &noun->verbs[j])
			print_verb_help(f, noun, &noun->verbs[j], 1);
	fprintf(f, "\n%s\n%s", global_help, tail_help);
}

static void print_version(void)
{
	printf("saasctl %s (libsaas %s)\n", SAAS_VERSION, saas_version());
}

/* ---- parsing ------------------------------------------------------------------ */

static const struct sc_noun *find_noun(const char *name)
{
	for (size_t i = 0; i < sc_nnouns; i++)
		if (strcmp(sc_nouns[i].name, name) == 0)
			return &sc_nouns[i];
	return NULL;
}

static const struct sc_verb *find_verb(const struct sc_noun *noun, const char *name)
{
	for (size_t j = 0; j < noun->nverbs; j++)
		if (noun->verbs[j].name && strcmp(noun->verbs[j].name, name) == 0)
			return &noun->verbs[j];
	return NULL;
}

static void list_verbs(FILE *f, const struct sc_noun *noun)
{
	fprintf(f, "%s verbs:", noun->name);
	for (size_t j = 0; j < noun->nverbs; j++)
		fprintf(f, " %s", noun->verbs[j].name);
	fprintf(f, "\n");
}

static int general_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "saasctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: saasctl [--db URL] [--json] NOUN VERB [ARGS]\n"
	                "Try 'saasctl --help'.\n");
	return SC_EXIT_USAGE;
}

enum { G_NONE, G_DONE, G_HELP, G_VERSION, G_ERROR };

/* Where the value of the global option `name` (`nlen` bytes) goes, or NULL
 * if there is no such global option with a value. */
static const char **global_value(struct sc *sc, const char *name, size_t nlen)
{
	const struct {
		const char *name;
		const char **field;
	} opts[] = {
		{"db", &sc->db},
		{"actor", &sc->actor},
		{"actor-email", &sc->actor_email},
		{"on-behalf-of", &sc->on_behalf_of},
		{"audit-key", &sc->audit_key},
		{"rbac-policy", &sc->rbac_policy},
	};

	for (size_t k = 0; k < COUNT(opts); k++)
		if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, name, nlen) == 0)
			return opts[k].field;
	return NULL;
}

/*
 * A global option at argv[*i]: consumes it (and its value). Returns G_NONE if
 * argv[*i] is not a global option, G_DONE when handled, G_HELP / G_VERSION
 * when asked for, G_ERROR (message printed) when its value is missing.
 */
static int global_option(struct sc *sc, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq, *name, **field;
	size_t nlen;

	if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
		return G_HELP;
	if (strcmp(arg, "--version") == 0)
		return G_VERSION;
	if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
		sc->verbose = 1;
		return G_DONE;
	}
	if (strcmp(arg, "--json") == 0) {
		sc->json = 1;
		return G_DONE;
	}
	if (strcmp(arg, "--support") == 0) {
		sc->support = 1;
		return G_DONE;
	}
	if (strncmp(arg, "--", 2) != 0)
		return G_NONE;
	name = arg + 2;
	eq = strchr(name, '=');
	nlen = eq ? (size_t)(eq - name) : strlen(name);
	field = global_value(sc, name, nlen);
	if (!field)
		return G_NONE;
	if (!eq && *i + 1 >= argc) {
		fprintf(stderr, "saasctl: option --%.*s needs a value\n"
		                "Try 'saasctl --help'.\n",
		        (int)nlen, name);
		return G_ERROR;
	}
	*field = eq ? eq + 1 : argv[++*i];
	return G_DONE;
}

static void args_free(struct sc_args *a)
{
	for (int k = 0; k < SC_MAX_OPTS; k++)
		free(a->opt[k].v);
}

/*
 * Parse the arguments after the verb into `a`. Returns SC_EXIT_OK, or
 * SC_EXIT_USAGE (message printed), or -1 when help was asked for (printed).
 */
static int parse_verb_args(struct sc *sc, struct sc_args *a, int argc, char **argv, int start)
{
	const struct sc_verb *verb = sc->verb;
	int only_pos = 0;

	for (int i = start; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *value;
		size_t nlen;
		int k, g;

		if (!only_pos && strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (!only_pos && arg[0] == '-' && arg[1] != '\0') {
			g = global_option(sc, argc, argv, &i);
			if (g == G_DONE)
				continue;
			if (g == G_HELP) {
				print_noun_help(stdout, sc->noun, verb);
				return -1;
			}
			if (g == G_VERSION)
				return sc_usage_error(sc, "--version goes before the noun");
			if (g == G_ERROR)
				return SC_EXIT_USAGE;
			if (arg[1] != '-')
				return sc_usage_error(sc, "unknown option '%s'", arg);
			name = arg + 2;
			eq = strchr(name, '=');
			nlen = eq ? (size_t)(eq - name) : strlen(name);
			for (k = 0; verb->opts[k].name; k++)
				if (strlen(verb->opts[k].name) == nlen &&
				    strncmp(verb->opts[k].name, name, nlen) == 0)
					break;
			if (!verb->opts[k].name)
				return sc_usage_error(sc, "unknown option '--%.*s'", (int)nlen,
				                      name);
			if (verb->opts[k].flags & SC_FLAG) {
				if (eq)
					return sc_usage_error(sc, "option --%s takes no value",
					                      verb->opts[k].name);
				value = "";
			} else if (eq) {
				value = eq + 1;
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				return sc_usage_error(sc, "option --%s needs a value (%s)",
				                      verb->opts[k].name, verb->opts[k].metavar);
			}
			if (a->opt[k].n && !(verb->opts[k].flags & SC_REPEAT))
				return sc_usage_error(sc, "option --%s is given more than once",
				                      verb->opts[k].name);
			if ((g = sc_check_value(sc, &verb->opts[k], value)))
				return g;
			{
				size_t n = a->opt[k].n + 1;
				const char **nv = realloc(a->opt[k].v, n * sizeof *nv);

				if (!nv)
					return sc_fail("out of memory");
				nv[a->opt[k].n++] = value;
				a->opt[k].v = nv;
			}
			continue;
		}
		if (a->npos >= (verb->npos < 0 ? -verb->npos : verb->npos)) {
			if (verb->npos == 0)
				return sc_usage_error(sc, "unexpected argument '%s'", arg);
			return sc_usage_error(sc, "unexpected argument '%s' (only one %s)", arg,
			                      verb->args);
		}
		a->pos[a->npos++] = arg;
	}
	if (a->npos < verb->npos)
		return sc_usage_error(sc, "missing argument %s", verb->args);
	for (int k = 0; verb->opts[k].name; k++)
		if ((verb->opts[k].flags & SC_REQUIRED) && a->opt[k].n == 0)
			return sc_usage_error(sc, "missing required option --%s %s",
			                      verb->opts[k].name, verb->opts[k].metavar);
	return SC_EXIT_OK;
}

/* ---- the context -------------------------------------------------------------- */

int sc_open_ctx(struct sc *sc)
{
	saas_ctx_options opts = SAAS_CTX_OPTIONS_INIT;
	const char *env = getenv("SAAS_AUTH_POLICY");
	int rc;

	if (sc->verbose) {
		opts.log = saas_log_stderr;
		opts.log_level = SAAS_LOG_DEBUG;
	}
	/* 'migrate' opens without migrating so that it can report what it applies. */
	if (sc->verb->run == sc_cmd_migrate)
		opts.auto_migrate = SAAS_MIGRATE_DEFER;
	opts.audit_signing_key = sc->audit_key;
	opts.rbac_policy = sc->rbac_policy;
	opts.auth_policy = env && *env ? env : NULL;
	rc = saas_ctx_open(&sc->ctx, sc->db, &opts);
	if (rc)
		return sc_lib_error(rc);
	return SC_EXIT_OK;
}

/* ---- main --------------------------------------------------------------------- */

static int run(int argc, char **argv)
{
	struct sc sc = {0};
	struct sc_args a = {0};
	const char *env;
	int i, g, rc;

	sc.actor = DEFAULT_ACTOR;
	env = getenv("SAAS_DB");
	sc.db = env && *env ? env : DEFAULT_DB;
	env = getenv("SAAS_RBAC_POLICY");
	sc.rbac_policy = env && *env ? env : NULL;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		g = global_option(&sc, argc, argv, &i);
		if (g == G_HELP) {
			print_main_help(stdout);
			return SC_EXIT_OK;
		}
		if (g == G_VERSION) {
			print_version();
			return SC_EXIT_OK;
		}
		if (g == G_ERROR)
			return SC_EXIT_USAGE;
		if (g == G_NONE)
			return general_usage_error("unknown option '%s'", argv[i]);
	}
	if (i >= argc)
		return general_usage_error("%s", "missing command");

	if (strcmp(argv[i], "help") == 0) {
		const struct sc_noun *noun = NULL;
		const struct sc_verb *verb = NULL;

		if (i + 1 < argc && !(noun = find_noun(argv[i + 1])))
			return general_usage_error("unknown command '%s'", argv[i + 1]);
		if (noun && !noun->verbless && i + 2 < argc &&
		    !(verb = find_verb(noun, argv[i + 2]))) {
			fprintf(stderr, "saasctl: unknown verb '%s %s'\n", noun->name, argv[i + 2]);
			list_verbs(stderr, noun);
			return SC_EXIT_USAGE;
		}
		if (noun)
			print_noun_help(stdout, noun, verb);
		else
			print_main_help(stdout);
		return SC_EXIT_OK;
	}
	if (strcmp(argv[i], "version") == 0 && i + 1 == argc) {
		print_version();
		return SC_EXIT_OK;
	}
	sc.noun = find_noun(argv[i]);
	if (!sc.noun)
		return general_usage_error("unknown command '%s'", argv[i]);
	i++;
	if (sc.noun->verbless) {
		sc.verb = &sc.noun->verbs[0];
	} else {
		if (i >= argc) {
			fprintf(stderr, "saasctl: missing verb after '%s'\n", sc.noun->name);
			list_verbs(stderr, sc.noun);
			fprintf(stderr, "Try 'saasctl %s --help'.\n", sc.noun->name);
			return SC_EXIT_USAGE;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "help") == 0) {
			print_noun_help(stdout, sc.noun, NULL);
			return SC_EXIT_OK;
		}
		sc.verb = find_verb(sc.noun, argv[i]);
		if (!sc.verb) {
			fprintf(stderr, "saasctl: unknown verb '%s %s'\n", sc.noun->name, argv[i]);
			list_verbs(stderr, sc.noun);
			fprintf(stderr, "Try 'saasctl %s --help'.\n", sc.noun->name);
			return SC_EXIT_USAGE;
		}
		i++;
	}

	rc = parse_verb_args(&sc, &a, argc, argv, i);
	if (rc) {
		args_free(&a);
		return rc < 0 ? SC_EXIT_OK : rc;
	}
#ifdef SAASCTL_HAVE_POSTGRES
	/* migrate --grant is for PostgreSQL only: refuse before touching the database. */
	if (sc.verb->run == sc_cmd_migrate && sc_opt_value(&sc, &a, "grant") &&
	    strncmp(sc.db, "postgres://", 11) != 0 && strncmp(sc.db, "postgresql://", 13) != 0) {
		args_free(&a);
		return sc_usage_error(&sc, "--grant needs a PostgreSQL URL (postgres://... or "
		                           "postgresql://...): only PostgreSQL has roles to grant");
	}
#endif
	if (sc.on_behalf_of && !sc.support) {
		args_free(&a);
		return sc_usage_error(&sc, "--on-behalf-of needs --support: only support staff act "
		                           "on behalf of a user");
	}
	/* Check the actor before touching the database. */
	rc = sc_scope(&sc.global, &sc, NULL);
	if (rc) {
		args_free(&a);
		return sc_lib_error(rc);
	}
	/* keygen, verify of an export file, totp code and secret, billing states and
	 * the webhook signature verbs need no database;
	 * apikey verify opens it itself once the key's checksum is right. */
	rc = sc.verb->run == sc_cmd_audit_keygen || sc.verb->run == sc_cmd_totp_code ||
	                     sc.verb->run == sc_cmd_billing_states ||
	                     sc.verb->run == sc_cmd_totp_secret ||
	                     sc.verb->run == sc_cmd_apikey_verify ||
	                     sc.verb->run == sc_cmd_webhook_verify ||
	                     sc.verb->run == sc_cmd_webhook_sign ||
	                     sc.verb->run == sc_cmd_webhook_secret ||
	                     sc.verb->run == sc_cmd_webhook_public_key ||
	                     (sc.verb->run == sc_cmd_audit_verify && sc_opt_value(&sc, &a, "file"))
	             ? SC_EXIT_OK
	             : sc_open_ctx(&sc);
	if (!rc)
		rc = sc.verb->run(&sc, &a);
	args_free(&a);
	saas_scope_free(sc.global);
	saas_ctx_free(sc.ctx);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("saasctl: writing the output");
		if (rc == SC_EXIT_OK)
			rc = SC_EXIT_REFUSED;
	}
	return rc;
}
