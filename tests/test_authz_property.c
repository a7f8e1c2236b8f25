/*
 * A property test of saas_authorize() (saas/authz.h): random role policies
 * (deployment roles with inheritance, built-in roles extended or replaced),
 * tenants with custom roles (inheritance), statuses, memberships and support
 * grants (some expired, some revoked), then 100,000 random requests; every
 * decision (allowed, reason, and the role, pattern and grant it names) must
 * equal that of a plain reference evaluator written here from the documented
 * semantics only (saas/authz.h, saas/rbac.h, docs/rbac.md). Mutations between
 * batches (roles, memberships, grants, statuses, the clock) are followed at
 * once by requests on what changed: the cache must see every change made
 * through the context. A plan catalogue gates some permissions by boolean
 * features (docs/billing.md, "Authorization"): each tenant's subscription
 * and overrides change at random too, and a decision the roles allow must
 * be denied with plan_lacks_feature exactly when the reference says the
 * tenant's entitlement to the feature is refused. Also: each reason is
 * reached (at random and in targeted cases), reason names round-trip, and
 * the API's refusals.
 *
 * On memory:, sqlite: and, when SAAS_TEST_POSTGRES_URL is set, PostgreSQL.
 * SAAS_TEST_SEED picks another random run (a mismatch prints its seed);
 * SAAS_TEST_VERBOSE=1 prints how often each reason was reached.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "helpers.h"
#include "saas/authz.h"
#include "saas/billing.h"

static const char *url = "memory:";
static saas_ctx *ctx;
static char db[300];

/* ---- randomness (reproducible) -------------------------------------------------- */

static uint64_t rng_state;
static uint64_t seed_used;

static uint64_t rnd64(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rnd(int n)
{
	return (int)(rnd64() % (uint64_t)n);
}

static void seed_rng(uint64_t salt)
{
	const char *s = getenv("SAAS_TEST_SEED");

	seed_used = (s && *s ? strtoull(s, NULL, 0) : 20260101ULL) ^ salt;
	rng_state = seed_used;
}

/* ---- the reference model ------------------------------------------------------------ */

#define NAMELEN 24
#define PERMLEN 40
#define MAXPERMS 16
#define MAXINH 4
#define NBUILTIN 4
#define MAXDEP 5
#define NT 5          /* tenants created */
#define MAXC 10       /* custom roles per tenant */
#define NU 10         /* users; u0 owns every tenant */
#define NS 4          /* support staff */
#define MAXMR 4       /* roles per membership */
/* Actors: users 0..NU-1, a user id nobody has, staff, the system, an API key. */
#define A_GHOST NU
#define A_STAFF (NU + 1)
#define A_SYSTEM (A_STAFF + NS)
#define A_APIKEY (A_SYSTEM + 1) /* a key id no tenant has */
#define NK 3                    /* API key slots per tenant */
#define A_KEY (A_APIKEY + 1)    /* the key in slot 0 of the tenant; then 1, 2 */
#define NA (A_KEY + NK)
#define T_NONE NT /* the tenant slot of an id no tenant has */
#define NF 2      /* the catalogue's boolean features: f1, f2 */

static const char *const RES[] = {"tenant", "project", "audit", "member", "role", "doc"};
static const char *const ACT[] = {"read", "update", "export", "restore",
                                   "list", "delete", "create"};
#define NRES (int)(sizeof RES / sizeof RES[0])
#define NACT (int)(sizeof ACT / sizeof ACT[0])
static const char *const STAFF[NS] = {"sam", "kim", "lee@support", "ana"};
static const char *const GHOST_USER = "usr_01M8FXAZGT7RF9ENFY4MQX648T";
static const char *const NO_TENANT = "ten_01M8FXAZGT7RF9ENFY4MQX648T";
static const char *const API_KEY = "key_01M8FXAZGT7RF9ENFY4MQX648T";

struct role {
	char name[NAMELEN];
	int alive;
	int nperms;
	char perms[MAXPERMS][PERMLEN];
	int ninh;
	char inh[MAXINH][NAMELEN];
};

struct grant {
	int present; /* given (and not replaced) */
	int revoked;
	char id[64];
	char role[NAMELEN];
	int64_t expires;
};

/* An API key: what a key grants is what both its patterns and its
 * creator's current roles grant. */
struct key {
	int present; /* made (and not replaced) */
	int revoked;
	int creator; /* a user index */
	int64_t expires; /* 0: never */
	int npats;
	char pats[3][PERMLEN];
	char id[64];
};

struct tenant {
	char id[64];
	int exists; /* 0 once purged */
	int status;
	int before_delete; /* the status restore returns to */
	struct role custom[MAXC];
	int ncustom; /* slots used (dead ones stay, alive = 0) */
	int member[NU];
	int nroles[NU];
	char roles[NU][MAXMR][NAMELEN];
	struct grant grant[NS + 1]; /* per staff member; [NS]: to all staff */
	struct key key[NK];
	saas_scope *sys;            /* the system actor in this tenant, for mutations */
	/* billing: the subscription's state (SAAS_SUB_NONE: never had one)
	 * and plan (P_*), and per feature its override (-1: none, 0, 1) */
	int sub;
	int plan;
	int ovr[NF];
};

/* ---- the plan catalogue (docs/billing.md) -------------------------------------------- */

#define P_BASIC 0
#define P_PLUS 1
static const char *const FEAT[NF] = {"f1", "f2"};
static const int FEAT_RO_SAFE[NF] = {0, 1}; /* readonly_safe */
static const char *const PLAN[2] = {"basic", "plus"};
/* basic (the default plan) lacks f1 (absent, or false); plus has both */
static const int PLAN_HAS[2][NF] = {{0, 1}, {1, 1}};
/* The catalogue's permission_features, in strcmp order of the pattern (the
 * first covering pattern whose feature is refused is the one reported).
 * They cover about a quarter of the requests random_perm() makes. */
static const struct {
	const char *pattern;
	int feature;
} PERM_FEAT[] = {{"*:export", 1}, {"doc:*", 0}, {"project:delete", 0}};
#define NPF (int)(sizeof PERM_FEAT / sizeof PERM_FEAT[0])

static struct role catalog[NBUILTIN + MAXDEP];
static int ncatalog;
static const char *read_actions[3]; /* the policy's, added to read, list, export */
static int nread_actions;
static struct tenant T[NT];
static char user_id[NU][64];
static saas_scope *scopes[NT + 1][NA];
static saas_decision *dec;
static unsigned seen; /* bit r: reason r was seen */
static long nseen[SAAS_REASON_MAX + 1]; /* how often (SAAS_TEST_VERBOSE prints them) */
static long nrequests_done;
static int purged_one;

/* Split "res:act" ("*" alone is "*:*"). */
static void split(const char *p, const char **res, size_t *rlen, const char **act)
{
	const char *colon = strchr(p, ':');

	if (!colon) {
		*res = "*";
		*rlen = 1;
		*act = "*";
		return;
	}
	*res = p;
	*rlen = (size_t)(colon - p);
	*act = colon + 1;
}

static int side_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* docs/rbac.md: a granted pattern covers a request when the pattern is
 * everything or each of its sides is `*` or equal to the request's side. */
static int ref_covers(const char *g, const char *r)
{
	const char *gr, *ga, *rr, *ra;
	size_t grl, rrl;

	split(g, &gr, &grl, &ga);
	split(r, &rr, &rrl, &ra);
	return (side_eq(gr, grl, "*", 1) || side_eq(gr, grl, rr, rrl)) &&
	       (strcmp(ga, "*") == 0 || strcmp(ga, ra) == 0);
}

static const struct role *find_role(const struct tenant *t, const char *name)
{
	for (int i = 0; i < ncatalog; i++)
		if (strcmp(catalog[i].name, name) == 0)
			return &catalog[i];
	for (int i = 0; t && i < t->ncustom; i++)
		if (t->custom[i].alive && strcmp(t->custom[i].name, name) == 0)
			return &t->custom[i];
	return NULL;
}

/* The pattern by which role `name` (counting what it inherits) grants `perm`, or NULL. */
static const char *ref_grants(const struct tenant *t, const char *name, const char *perm, int depth)
{
	const struct role *r = find_role(t, name);

	ck_assert_msg(r, "reference: role '%s' is not defined", name);
	ck_assert_int_lt(depth, 64);
	for (int i = 0; i < r->nperms; i++)
		if (ref_covers(r->perms[i], perm))
			return r->perms[i];
	for (int i = 0; i < r->ninh; i++) {
		const char *p = ref_grants(t, r->inh[i], perm, depth + 1);
		if (p)
			return p;
	}
	return NULL;
}

/* Whether `pattern` is one of the effective permissions of role `name`. */
static int ref_has_pattern(const struct tenant *t, const char *name, const char *pattern, int depth)
{
	const struct role *r = find_role(t, name);

	if (!r || depth > 64)
		return 0;
	for (int i = 0; i < r->nperms; i++)
		if (strcmp(r->perms[i], pattern) == 0)
			return 1;
	for (int i = 0; i < r->ninh; i++)
		if (ref_has_pattern(t, r->inh[i], pattern, depth + 1))
			return 1;
	return 0;
}

/* A suspended tenant allows only read actions; a wildcard action names them all. */
static int suspended_ok(const char *perm)
{
	const char *res, *act;
	size_t rl;

	split(perm, &res, &rl, &act);
	for (int i = 0; i < nread_actions; i++)
		if (strcmp(act, read_actions[i]) == 0)
			return 1;
	return strcmp(act, "read") == 0 || strcmp(act, "list") == 0 || strcmp(act, "export") == 0;
}

/* Pending deletion allows only what restore and export need; a wildcard
 * names more than those four, so it never passes. */
static int pending_ok(const char *perm)
{
	static const char *const ok[] = {"tenant:read", "tenant:restore", "tenant:export",
	                                 "audit:export"};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(perm, ok[i]) == 0)
			return 1;
	return 0;
}

/* Whether a subscription in this state is live (its plan decides; the
 * terminal states and none fall back to the default plan). */
static int sub_live(int state)
{
	return state == SAAS_SUB_INCOMPLETE || state == SAAS_SUB_ACTIVE ||
	       state == SAAS_SUB_PAST_DUE;
}

/* docs/billing.md, "Entitlements": whether tenant t is entitled to boolean
 * feature f. Access first: incomplete grants none; past due is read-only at
 * once (the catalogue's grace is 0 days), which keeps only readonly_safe
 * features. Then the override, else the live subscription's plan, else the
 * default plan (basic). */
static int ref_feature_on(const struct tenant *t, int f)
{
	int plan = sub_live(t->sub) ? t->plan : P_BASIC;

	if (t->sub == SAAS_SUB_INCOMPLETE)
		return 0;
	if (t->sub == SAAS_SUB_PAST_DUE && !FEAT_RO_SAFE[f])
		return 0;
	return t->ovr[f] >= 0 ? t->ovr[f] : PLAN_HAS[plan][f];
}

/* docs/billing.md, "Authorization": the feature a permission needs and the
 * tenant lacks (the first such pattern in order), or NULL. */
static const char *ref_plan_lacks(const struct tenant *t, const char *perm)
{
	for (int i = 0; i < NPF; i++)
		if (ref_covers(PERM_FEAT[i].pattern, perm) && !ref_feature_on(t, PERM_FEAT[i].feature))
			return FEAT[PERM_FEAT[i].feature];
	return NULL;
}

/* docs/authz.md: the grants that apply to staff member s are their own
 * and the one to all staff, unless revoked. */
struct expect {
	int allowed;
	int reason;
	int under;           /* plan_lacks_feature: the reason the roles allowed by */
	const char *feature; /* plan_lacks_feature: the feature */
	int ngrants; /* support: the unrevoked grants that apply */
	const struct grant *grant[2];
	int active[2]; /* not expired */
	int grants[2]; /* and its role grants the permission */
};

static void ref_decide(struct expect *e, int ti, int ai, const char *perm)
{
	const struct tenant *t = ti < NT ? &T[ti] : NULL;

	memset(e, 0, sizeof *e);
	if (!t || !t->exists) {
		e->reason = SAAS_REASON_TENANT_NOT_FOUND;
		return;
	}
	if (t->status == SAAS_TENANT_SUSPENDED && !suspended_ok(perm)) {
		e->reason = SAAS_REASON_TENANT_SUSPENDED;
		return;
	}
	if (t->status == SAAS_TENANT_PENDING_DELETION && !pending_ok(perm)) {
		e->reason = SAAS_REASON_TENANT_DELETED;
		return;
	}
	if (ai == A_SYSTEM) {
		e->allowed = 1;
		e->reason = SAAS_REASON_SYSTEM;
	} else if (ai == A_APIKEY || (ai >= A_KEY && !t->key[ai - A_KEY].present)) {
		e->reason = SAAS_REASON_APIKEY_UNKNOWN;
	} else if (ai >= A_KEY) {
		/* docs/authz.md: revoked, expired, the key's own patterns, then
		 * its creator's current roles */
		const struct key *k = &t->key[ai - A_KEY];
		int covered = 0, u = k->creator;

		for (int i = 0; i < k->npats; i++)
			covered |= ref_covers(k->pats[i], perm);
		if (k->revoked)
			e->reason = SAAS_REASON_APIKEY_REVOKED;
		else if (k->expires && th_clock_ms >= k->expires)
			e->reason = SAAS_REASON_APIKEY_EXPIRED;
		else if (!covered)
			e->reason = SAAS_REASON_APIKEY_LACKS;
		else {
			e->reason = SAAS_REASON_APIKEY_CREATOR_LACKS;
			for (int i = 0; t->member[u] && i < t->nroles[u]; i++)
				if (ref_grants(t, t->roles[u][i], perm, 0)) {
					e->allowed = 1;
					e->reason = SAAS_REASON_APIKEY;
				}
		}
	} else if (ai == A_GHOST || (ai < NU && !t->member[ai])) {
		e->reason = SAAS_REASON_NOT_MEMBER;
	} else if (ai < NU) {
		e->reason = SAAS_REASON_NO_ROLE_GRANTS;
		for (int i = 0; i < t->nroles[ai]; i++)
			if (ref_grants(t, t->roles[ai][i], perm, 0)) {
				e->allowed = 1;
				e->reason = SAAS_REASON_ROLE;
			}
	} else {
		/* None (or only revoked ones): missing; only expired ones:
		 * expired; an active one whose role grants it: allowed; else
		 * the active ones lack it. */
		const struct grant *own = &t->grant[ai - A_STAFF], *all = &t->grant[NS];
		int nactive = 0;

		if (own->present && !own->revoked)
			e->grant[e->ngrants++] = own;
		if (all->present && !all->revoked)
			e->grant[e->ngrants++] = all;
		for (int i = 0; i < e->ngrants; i++) {
			e->active[i] = th_clock_ms < e->grant[i]->expires;
			e->grants[i] = e->active[i] && ref_grants(t, e->grant[i]->role, perm, 0);
			nactive += e->active[i];
			e->allowed |= e->grants[i];
		}
		if (!e->ngrants)
			e->reason = SAAS_REASON_SUPPORT_GRANT_MISSING;
		else if (!nactive)
			e->reason = SAAS_REASON_SUPPORT_GRANT_EXPIRED;
		else if (e->allowed)
			e->reason = SAAS_REASON_SUPPORT_GRANT;
		else
			e->reason = SAAS_REASON_SUPPORT_GRANT_LACKS;
	}
	/* The roles (grant, key) allow it: the plan must too, except for the
	 * system actor; a tenant pending deletion has been decided by its
	 * status (restore and export only). */
	if (e->allowed && ai != A_SYSTEM && t->status != SAAS_TENANT_PENDING_DELETION &&
	    (e->feature = ref_plan_lacks(t, perm))) {
		e->allowed = 0;
		e->under = e->reason;
		e->reason = SAAS_REASON_PLAN_LACKS_FEATURE;
	}
}

/* ---- describing a request (for a mismatch) ----------------------------------------- */

static void actor_text(char *buf, size_t n, int ai)
{
	if (ai < NU)
		snprintf(buf, n, "user u%d %s", ai, user_id[ai]);
	else if (ai == A_GHOST)
		snprintf(buf, n, "user %s (no such user)", GHOST_USER);
	else if (ai == A_SYSTEM)
		snprintf(buf, n, "the system");
	else if (ai == A_APIKEY)
		snprintf(buf, n, "API key %s", API_KEY);
	else if (ai >= A_KEY)
		snprintf(buf, n, "API key slot %d", ai - A_KEY);
	else
		snprintf(buf, n, "staff '%s'", STAFF[ai - A_STAFF]);
}

static void dump_role(FILE *f, const struct tenant *t, const char *name, int depth)
{
	const struct role *r = find_role(t, name);

	if (!r || depth > 8)
		return;
	fprintf(f, "#     %*srole %s: permissions [", depth * 2, "", name);
	for (int i = 0; i < r->nperms; i++)
		fprintf(f, "%s%s", i ? " " : "", r->perms[i]);
	fprintf(f, "] inherits [");
	for (int i = 0; i < r->ninh; i++)
		fprintf(f, "%s%s", i ? " " : "", r->inh[i]);
	fprintf(f, "]\n");
	for (int i = 0; i < r->ninh; i++)
		dump_role(f, t, r->inh[i], depth + 1);
}

static void report_mismatch(int ti, int ai, const char *perm, const struct expect *e,
                            int rc, const char *what)
{
	char actor[160], *json = NULL;
	const struct tenant *t = ti < NT ? &T[ti] : NULL;

	actor_text(actor, sizeof actor, ai);
	fprintf(stderr, "# MISMATCH (%s) after %ld requests, seed %" PRIu64 " (%s)\n", what,
	        nrequests_done, seed_used, url);
	fprintf(stderr, "#   request: %s may %s in tenant %s (slot %d, %s)\n", actor, perm,
	        t ? t->id : NO_TENANT, ti,
	        t ? (t->exists ? saas_tenant_status_name(t->status) : "purged") : "never existed");
	fprintf(stderr, "#   expected: %s (%s%s%s%s%s)\n", e->allowed ? "allowed" : "denied",
	        saas_reason_name(e->reason), e->feature ? ": feature " : "",
	        e->feature ? e->feature : "", e->feature ? ", the roles allow by " : "",
	        e->feature ? saas_reason_name(e->under) : "");
	if (t)
		fprintf(stderr,
		        "#   billing: subscription %s, plan %s, overrides f1 %d f2 %d (-1: none); "
		        "entitled f1 %d f2 %d\n",
		        saas_sub_state_name(t->sub), PLAN[t->plan], t->ovr[0], t->ovr[1],
		        ref_feature_on(t, 0), ref_feature_on(t, 1));
	fprintf(stderr, "#   got: rc %s, %s (%s), role %s, pattern %s, grant %s\n",
	        saas_code_name(rc), saas_decision_allowed(dec) ? "allowed" : "denied",
	        saas_reason_name(saas_decision_reason(dec)),
	        saas_decision_role(dec) ? saas_decision_role(dec) : "(null)",
	        saas_decision_pattern(dec) ? saas_decision_pattern(dec) : "(null)",
	        saas_decision_grant_id(dec) ? saas_decision_grant_id(dec) : "(null)");
	if (saas_decision_to_json(&json, dec) == SAAS_OK)
		fprintf(stderr, "#   decision: %s\n", json);
	saas_free(json);
	if (t && ai < NU && t->member[ai]) {
		fprintf(stderr, "#   the member's roles:\n");
		for (int i = 0; i < t->nroles[ai]; i++)
			dump_role(stderr, t, t->roles[ai][i], 0);
	}
	for (int i = 0; i < e->ngrants; i++) {
		fprintf(stderr,
		        "#   grant %s (%s) expires %" PRId64 " (now %" PRId64 "), %s, role %s:\n",
		        e->grant[i]->id, e->grant[i] == &t->grant[NS] ? "to all staff" : "own",
		        e->grant[i]->expires, th_clock_ms, e->active[i] ? "active" : "expired",
		        e->grant[i]->role);
		dump_role(stderr, t, e->grant[i]->role, 0);
	}
}

/* ---- asking, and comparing ------------------------------------------------------------ */

static void random_perm(char *out, size_t n)
{
	int k = rnd(100);

	if (k < 3)
		snprintf(out, n, "*");
	else if (k < 15)
		snprintf(out, n, "%s:*", RES[rnd(NRES)]);
	else if (k < 27)
		snprintf(out, n, "*:%s", ACT[rnd(NACT)]);
	else
		snprintf(out, n, "%s:%s", RES[rnd(NRES)], ACT[rnd(NACT)]);
}

/* A pattern a role grants: wildcards less often than in requests. */
static void random_pattern(char *out, size_t n)
{
	int k = rnd(100);

	if (k < 2)
		snprintf(out, n, "*");
	else if (k < 12)
		snprintf(out, n, "%s:*", RES[rnd(NRES)]);
	else if (k < 20)
		snprintf(out, n, "*:%s", ACT[rnd(NACT)]);
	else
		snprintf(out, n, "%s:%s", RES[rnd(NRES)], ACT[rnd(NACT)]);
}

/* The member's roles as a sorted JSON array (for the decision's "roles"). */
static json_t *sorted_roles(const struct tenant *t, int u)
{
	const char *v[MAXMR];
	int n = t->nroles[u];
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		v[i] = t->roles[u][i];
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			const char *x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

#define FAIL_IF(cond, what)                                                   \
	do {                                                                  \
		if (cond) {                                                   \
			report_mismatch(ti, ai, perm, &e, rc, what);          \
			ck_abort_msg("decision differs from the reference: %s", what); \
		}                                                             \
	} while (0)

/* The decision's JSON and the error record, checked against the decision. */
static void check_outputs(int ti, int ai, const char *perm, const struct expect *ep, int rc,
                          int err_code, const char *err_msg)
{
	struct expect e = *ep;
	char *text = NULL, *explain = NULL;
	json_t *doc, *v;

	ck_ok(saas_decision_to_json(&text, dec));
	doc = json_loads(text, 0, NULL);
	saas_free(text);
	FAIL_IF(!doc || !json_is_object(doc), "to_json is not a JSON object");
	FAIL_IF(!json_is_boolean(json_object_get(doc, "allowed")) ||
	                json_is_true(json_object_get(doc, "allowed")) != e.allowed,
	        "to_json: allowed");
	v = json_object_get(doc, "reason");
	FAIL_IF(!json_is_string(v) || strcmp(json_string_value(v), saas_reason_name(e.reason)),
	        "to_json: reason");
	v = json_object_get(doc, "permission");
	FAIL_IF(!json_is_string(v) || strcmp(json_string_value(v), perm), "to_json: permission");
	v = json_object_get(doc, "tenant_id");
	FAIL_IF(!json_is_string(v) || strcmp(json_string_value(v), ti < NT ? T[ti].id : NO_TENANT),
	        "to_json: tenant_id");
	v = json_object_get(doc, "explanation");
	ck_ok(saas_decision_explain(&explain, dec));
	FAIL_IF(!json_is_string(v) || strcmp(json_string_value(v), explain),
	        "to_json: explanation is not saas_decision_explain()'s text");
	FAIL_IF(strncmp(explain, e.allowed ? "allowed" : "denied", e.allowed ? 7 : 6) != 0,
	        "the explanation does not start with allowed/denied");
	if (!e.allowed)
		FAIL_IF(err_code != SAAS_EDENIED || !err_msg || strcmp(err_msg, explain) != 0,
		        "the error record of a denial does not hold the explanation's text");
	/* the feature: named for plan_lacks_feature only, and in the text */
	v = json_object_get(doc, "feature");
	if (e.reason == SAAS_REASON_PLAN_LACKS_FEATURE) {
		FAIL_IF(!json_is_string(v) || strcmp(json_string_value(v), e.feature),
		        "to_json: feature is not the first lacking feature");
		FAIL_IF(!strstr(explain, e.feature), "the explanation does not name the feature");
	} else {
		FAIL_IF(!json_is_null(v), "to_json: a feature where the plan did not decide");
	}
	saas_free(explain);
	if (e.reason == SAAS_REASON_ROLE || e.reason == SAAS_REASON_NO_ROLE_GRANTS ||
	    (e.reason == SAAS_REASON_PLAN_LACKS_FEATURE && e.under == SAAS_REASON_ROLE)) {
		json_t *want = sorted_roles(&T[ti], ai);

		FAIL_IF(!json_equal(json_object_get(doc, "roles"), want),
		        "to_json: roles are not the member's roles, sorted");
		json_decref(want);
	}
	json_decref(doc);
}

static void ask(int ti, int ai, const char *perm)
{
	struct expect e;
	int rc, err_code = 0;
	const char *role, *pattern, *gid;
	char *err_msg = NULL;

	ref_decide(&e, ti, ai, perm);
	rc = saas_authorize(dec, ctx, scopes[ti][ai], perm);
	nrequests_done++;
	if (nrequests_done % 61 == 0) { /* the error record, before any other call */
		const char *m = saas_error_message(saas_error_last());

		err_code = saas_error_code(saas_error_last());
		err_msg = strdup(m ? m : "");
		ck_assert_ptr_nonnull(err_msg);
	}
	FAIL_IF(rc != (e.allowed ? SAAS_OK : SAAS_EDENIED), "return code");
	FAIL_IF(saas_decision_allowed(dec) != e.allowed, "allowed");
	FAIL_IF(saas_decision_reason(dec) != e.reason, "reason");
	seen |= 1u << e.reason;
	nseen[e.reason]++;
	role = saas_decision_role(dec);
	pattern = saas_decision_pattern(dec);
	gid = saas_decision_grant_id(dec);
	/* A plan's denial keeps the role, pattern and grant that allowed. */
	switch (e.reason == SAAS_REASON_PLAN_LACKS_FEATURE ? e.under : e.reason) {
	case SAAS_REASON_ROLE:
	case SAAS_REASON_APIKEY: {
		/* docs/authz.md: roles are tried in name order; the first that
		 * grants is reported (for a key, among its creator's roles). */
		const char *first = NULL;
		int u = (e.reason == SAAS_REASON_PLAN_LACKS_FEATURE ? e.under : e.reason) ==
		                        SAAS_REASON_APIKEY
		                ? T[ti].key[ai - A_KEY].creator
		                : ai;

		for (int i = 0; i < T[ti].nroles[u]; i++)
			if ((!first || strcmp(T[ti].roles[u][i], first) < 0) &&
			    ref_grants(&T[ti], T[ti].roles[u][i], perm, 0))
				first = T[ti].roles[u][i];
		FAIL_IF(!role || strcmp(role, first), "role: not the first granting role by name");
		FAIL_IF(!pattern || saas_permission_covers(pattern, perm) != 1,
		        "pattern: does not cover the permission");
		FAIL_IF(!ref_has_pattern(&T[ti], role, pattern, 0),
		        "pattern: not an effective permission of the role");
		FAIL_IF(gid != NULL, "grant id of a role decision");
		break;
	}
	case SAAS_REASON_SUPPORT_GRANT:
	case SAAS_REASON_SUPPORT_GRANT_LACKS: {
		/* The grant named is an active one that applies (for an
		 * allowed decision, one whose role grants it), with its role. */
		int found = 0;

		for (int i = 0; i < e.ngrants; i++)
			found |= gid && role && e.active[i] && strcmp(gid, e.grant[i]->id) == 0 &&
			         strcmp(role, e.grant[i]->role) == 0 &&
			         (e.reason == SAAS_REASON_SUPPORT_GRANT_LACKS || e.grants[i]);
		FAIL_IF(!found, "grant id and role: not those of a deciding grant");
		if (e.reason != SAAS_REASON_SUPPORT_GRANT_LACKS)
			FAIL_IF(!pattern || saas_permission_covers(pattern, perm) != 1 ||
			                !ref_has_pattern(&T[ti], role, pattern, 0),
			        "pattern of a support grant");
		else
			FAIL_IF(pattern != NULL, "a pattern in a denial");
		break;
	}
	case SAAS_REASON_SUPPORT_GRANT_EXPIRED: {
		int found = !gid;

		for (int i = 0; i < e.ngrants; i++)
			found |= gid && strcmp(gid, e.grant[i]->id) == 0;
		FAIL_IF(!found, "grant id of the expired grant");
		FAIL_IF(pattern != NULL, "a pattern in a denial");
		break;
	}
	default:
		FAIL_IF(role != NULL, "a role where none decided");
		FAIL_IF(pattern != NULL, "a pattern where none decided");
		FAIL_IF(gid != NULL, "a grant id where no grant decided");
	}
	if (err_msg) {
		check_outputs(ti, ai, perm, &e, rc, err_code, err_msg);
		free(err_msg);
	}
}

/* A random actor: mostly users, then staff, then the rest. */
static int random_actor(void)
{
	int k = rnd(100);

	if (k < 62)
		return rnd(NU);
	if (k < 65)
		return A_GHOST;
	if (k < 87)
		return A_STAFF + rnd(NS);
	if (k < 92)
		return A_SYSTEM;
	if (k < 94)
		return A_APIKEY;
	return A_KEY + rnd(NK);
}

static void ask_random(int ti, int ai)
{
	char perm[PERMLEN];
	const struct key *k = ti < NT && ai >= A_KEY ? &T[ti].key[ai - A_KEY] : NULL;

	/* a key is asked for its own patterns half the time: what its
	 * creator's roles then decide */
	if (k && k->present && rnd(2))
		snprintf(perm, sizeof perm, "%s", k->pats[rnd(k->npats)]);
	else
		random_perm(perm, sizeof perm);
	ask(ti, ai, perm);
}

/* ---- building the world, through the API, mirrored in the model ------------------- */

/* Every role name a member of tenant t can have (borrowed). */
static int role_names(const char **out, const struct tenant *t, int with_owner)
{
	int n = 0;

	for (int i = 0; i < ncatalog; i++)
		if (with_owner || strcmp(catalog[i].name, "owner") != 0)
			out[n++] = catalog[i].name;
	for (int i = 0; i < t->ncustom; i++)
		if (t->custom[i].alive)
			out[n++] = t->custom[i].name;
	return n;
}

/* 1 to 3 distinct roles of tenant t into roles[] (owner rarely). */
static int random_roles(char roles[MAXMR][NAMELEN], const struct tenant *t)
{
	const char *names[NBUILTIN + MAXDEP + MAXC];
	int n = role_names(names, t, rnd(12) == 0), k = 1 + rnd(3), got = 0;

	for (int tries = 0; got < k && tries < 20; tries++) {
		const char *r = names[rnd(n)];
		int dup = 0;

		for (int i = 0; i < got; i++)
			dup |= strcmp(roles[i], r) == 0;
		if (!dup)
			snprintf(roles[got++], NAMELEN, "%s", r);
	}
	return got;
}

static void roles_ptrs(const char **p, char roles[][NAMELEN], int n)
{
	for (int i = 0; i < n; i++)
		p[i] = roles[i];
}

/* The built-in roles' defaults (docs/rbac.md). */
static void builtin_defaults(void)
{
	static const struct {
		const char *name, *inherits;
		const char *perms[10];
	} b[NBUILTIN] = {
		{"owner", "admin", {"*"}},
		{"admin", "member", {"tenant:update", "tenant:export", "member:*", "role:*", "apikey:*",
		                     "webhook:*", "audit:read", "audit:export", "billing:read"}},
		{"member", "viewer", {"apikey:read", "apikey:create"}},
		{"viewer", NULL, {"tenant:read", "member:read", "role:read"}},
	};

	memset(catalog, 0, sizeof catalog);
	for (int i = 0; i < NBUILTIN; i++) {
		struct role *r = &catalog[i];

		snprintf(r->name, NAMELEN, "%s", b[i].name);
		r->alive = 1;
		for (int j = 0; j < 10 && b[i].perms[j]; j++)
			snprintf(r->perms[r->nperms++], PERMLEN, "%s", b[i].perms[j]);
		if (b[i].inherits)
			snprintf(r->inh[r->ninh++], NAMELEN, "%s", b[i].inherits);
	}
	ncatalog = NBUILTIN;
}

/* A random policy: built-in roles extended (or replaced), and deployment roles
 * d0.. inheriting built-in roles and earlier ones. Returns its JSON text. */
static char *random_policy(void)
{
	json_t *roles = json_object(), *doc;
	char *text;

	builtin_defaults();
	for (int i = 0; i < NBUILTIN; i++) {
		struct role *r = &catalog[i];
		json_t *o, *perms;
		int replace = rnd(100) < 15, k = rnd(4);

		if (!replace && rnd(2))
			continue;
		o = json_object();
		perms = json_array();
		if (replace)
			r->nperms = 0;
		for (int j = 0; j < k; j++) {
			char p[PERMLEN];

			random_pattern(p, sizeof p);
			json_array_append_new(perms, json_string(p));
			snprintf(r->perms[r->nperms++], PERMLEN, "%s", p);
		}
		json_object_set_new(o, "permissions", perms);
		if (replace)
			json_object_set_new(o, "replace", json_true());
		json_object_set_new(roles, r->name, o);
	}
	for (int d = 0, nd = 2 + rnd(MAXDEP - 1); d < nd; d++) {
		struct role *r = &catalog[ncatalog];
		json_t *o = json_object(), *perms = json_array(), *inh = json_array();

		snprintf(r->name, NAMELEN, "d%d", d);
		r->alive = 1;
		for (int j = 0, k = rnd(4); j < k; j++) {
			char p[PERMLEN];

			random_pattern(p, sizeof p);
			json_array_append_new(perms, json_string(p));
			snprintf(r->perms[r->nperms++], PERMLEN, "%s", p);
		}
		for (int j = 0, k = rnd(3); j < k; j++) {
			char from[NAMELEN];
			int dup = 0;

			memcpy(from, catalog[rnd(ncatalog)].name, NAMELEN);

			for (int x = 0; x < r->ninh; x++)
				dup |= strcmp(r->inh[x], from) == 0;
			if (dup)
				continue;
			json_array_append_new(inh, json_string(from));
			snprintf(r->inh[r->ninh++], NAMELEN, "%s", from);
		}
		json_object_set_new(o, "permissions", perms);
		json_object_set_new(o, "inherits", inh);
		json_object_set_new(roles, r->name, o);
		ncatalog++;
	}
	doc = json_pack("{so}", "roles", roles);
	/* Actions a suspended tenant also allows (docs/authz.md). */
	nread_actions = 0;
	if (rnd(2)) {
		static const char *const extra[] = {"update", "create", "restore"};
		json_t *ra = json_array();

		for (int i = 0; i < 3; i++)
			if (rnd(2)) {
				read_actions[nread_actions++] = extra[i];
				json_array_append_new(ra, json_string(extra[i]));
			}
		json_object_set_new(doc, "read_actions", ra);
	}
	/* Audited denials: the defaults, none, or a few (they change no decision). */
	if (rnd(3) == 0)
		json_object_set_new(doc, "audit_denials", json_array());
	else if (rnd(2))
		json_object_set_new(doc, "audit_denials",
		                    json_pack("[sss]", "*:delete", "project:*", "doc:update"));
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* Fill custom role slot `c` of tenant t with random permissions and
 * inheritance (catalog roles and custom roles of lower slots: never a cycle). */
static void random_custom(struct tenant *t, int c, const char **perms, const char **inh)
{
	struct role *r = &t->custom[c];
	const char *names[NBUILTIN + MAXDEP + MAXC];
	int n = 0;

	for (int i = 0; i < ncatalog; i++)
		names[n++] = catalog[i].name;
	for (int i = 0; i < c; i++)
		if (t->custom[i].alive)
			names[n++] = t->custom[i].name;
	r->nperms = 0;
	r->ninh = 0;
	for (int j = 0, k = rnd(5); j < k; j++) {
		char p[PERMLEN];
		int dup = 0;

		random_pattern(p, sizeof p);
		for (int x = 0; x < r->nperms; x++)
			dup |= strcmp(r->perms[x], p) == 0;
		if (!dup)
			snprintf(r->perms[r->nperms++], PERMLEN, "%s", p);
	}
	for (int j = 0, k = rnd(3); j < k; j++) {
		const char *from = names[rnd(n)];
		int dup = 0;

		for (int x = 0; x < r->ninh; x++)
			dup |= strcmp(r->inh[x], from) == 0;
		if (!dup)
			snprintf(r->inh[r->ninh++], NAMELEN, "%s", from);
	}
	for (int i = 0; i < r->nperms; i++)
		perms[i] = r->perms[i];
	for (int i = 0; i < r->ninh; i++)
		inh[i] = r->inh[i];
}

static void custom_create(struct tenant *t)
{
	const char *perms[MAXPERMS], *inh[MAXINH];
	int c = t->ncustom++;
	struct role *r = &t->custom[c];

	ck_assert_int_lt(c, MAXC);
	snprintf(r->name, NAMELEN, "c%d", c);
	random_custom(t, c, perms, inh);
	ck_ok(saas_role_create(ctx, t->sys, r->name, perms, (size_t)r->nperms, inh, (size_t)r->ninh));
	r->alive = 1;
}

static void custom_update(struct tenant *t, int c)
{
	const char *perms[MAXPERMS], *inh[MAXINH];
	struct role *r = &t->custom[c];

	random_custom(t, c, perms, inh);
	ck_ok(saas_role_update(ctx, t->sys, r->name, perms, (size_t)r->nperms, inh, (size_t)r->ninh));
}

/* Whether custom role c of t may be deleted without refusal or doubt: no
 * other custom role inherits it and no unrevoked grant names it. */
static int custom_deletable(const struct tenant *t, int c)
{
	const char *name = t->custom[c].name;

	for (int i = 0; i < t->ncustom; i++)
		for (int j = 0; t->custom[i].alive && j < t->custom[i].ninh; j++)
			if (strcmp(t->custom[i].inh[j], name) == 0)
				return 0;
	for (int s = 0; s <= NS; s++)
		if (t->grant[s].present && !t->grant[s].revoked && strcmp(t->grant[s].role, name) == 0)
			return 0;
	return 1;
}

static void custom_delete(struct tenant *t, int c)
{
	const char *names[NBUILTIN + MAXDEP + MAXC], *move_to = NULL;
	char name[NAMELEN];
	int n, used = 0;

	snprintf(name, sizeof name, "%s", t->custom[c].name);
	for (int u = 0; u < NU; u++)
		for (int i = 0; t->member[u] && i < t->nroles[u]; i++)
			used |= strcmp(t->roles[u][i], name) == 0;
	if (used || rnd(2)) {
		n = role_names(names, t, 0);
		do
			move_to = names[rnd(n)];
		while (strcmp(move_to, name) == 0);
	}
	ck_ok(saas_role_delete(ctx, t->sys, name, move_to));
	t->custom[c].alive = 0;
	/* Members that had it have move_to instead (once). */
	for (int u = 0; move_to && u < NU; u++) {
		int had = -1, has_target = 0;

		for (int i = 0; t->member[u] && i < t->nroles[u]; i++) {
			if (strcmp(t->roles[u][i], name) == 0)
				had = i;
			if (strcmp(t->roles[u][i], move_to) == 0)
				has_target = 1;
		}
		if (had < 0)
			continue;
		if (has_target) {
			for (int i = had; i + 1 < t->nroles[u]; i++)
				memcpy(t->roles[u][i], t->roles[u][i + 1], NAMELEN);
			t->nroles[u]--;
		} else {
			snprintf(t->roles[u][had], NAMELEN, "%s", move_to);
		}
	}
}

static void member_add(struct tenant *t, int u, char roles[MAXMR][NAMELEN], int n)
{
	const char *p[MAXMR];

	roles_ptrs(p, roles, n);
	ck_ok(saas_member_add(NULL, ctx, t->sys, user_id[u], p, (size_t)n));
	t->member[u] = 1;
	t->nroles[u] = n;
	memcpy(t->roles[u], roles, sizeof t->roles[u]);
}

static void member_set(struct tenant *t, int u, char roles[MAXMR][NAMELEN], int n)
{
	const char *p[MAXMR];

	roles_ptrs(p, roles, n);
	ck_ok(saas_member_set_roles(ctx, t->sys, user_id[u], p, (size_t)n));
	t->nroles[u] = n;
	memcpy(t->roles[u], roles, sizeof t->roles[u]);
}

static void member_remove(struct tenant *t, int u)
{
	ck_ok(saas_member_remove(ctx, t->sys, user_id[u]));
	t->member[u] = 0;
	t->nroles[u] = 0;
}

/* Give staff member s (NS: every staff member) a grant of `role` (NULL: a
 * random one). */
static void grant_give(struct tenant *t, int s, int64_t ttl, const char *role)
{
	const char *names[NBUILTIN + MAXDEP + MAXC];
	int n = role_names(names, t, 1);
	struct grant *g = &t->grant[s];
	char *id = NULL;

	snprintf(g->role, NAMELEN, "%s", role ? role : names[rnd(n)]);
	g->expires = th_clock_ms + ttl;
	ck_ok(saas_support_grant(&id, ctx, t->sys, s < NS ? STAFF[s] : NULL, g->role, g->expires));
	ck_assert_ptr_nonnull(id);
	ck_assert_msg(strncmp(id, "sgr_", 4) == 0, "grant id %s", id);
	snprintf(g->id, sizeof g->id, "%s", id);
	saas_free(id);
	g->present = 1;
	g->revoked = 0;
}

static void grant_revoke(struct tenant *t, int s)
{
	ck_ok(saas_support_revoke(ctx, t->sys, t->grant[s].id));
	t->grant[s].revoked = 1;
}

/* A grant's lifetime: 1 minute and a bit up to 3 hours. */
static int64_t random_ttl(void)
{
	return 61000 + (int64_t)rnd(3 * 3600 * 1000);
}

/* Move the clock on, never onto a grant's expiry exactly (which side of
 * the boundary counts is not the point here). */
static void clock_advance(int64_t ms)
{
	int again;

	th_clock_advance(ms);
	do {
		again = 0;
		for (int ti = 0; ti < NT; ti++)
			for (int s = 0; s <= NS; s++)
				if (T[ti].grant[s].present && T[ti].grant[s].expires == th_clock_ms)
					again = 1;
		for (int ti = 0; ti < NT; ti++)
			for (int k = 0; k < NK; k++)
				if (T[ti].key[k].present && T[ti].key[k].expires == th_clock_ms)
					again = 1;
		if (again)
			th_clock_advance(1);
	} while (again);
}

/* Make the key of slot k of tenant ti (expiring after `ttl` ms; 0: never
 * or a random time; -1: never), by user `creator` (-1: a random one), with 1 to 3
 * patterns, some the creator holds and some random; the library must
 * refuse it exactly when the creator may not create keys or lacks a
 * pattern (docs/auth.md: a key never exceeds its creator). */
static void key_create(int ti, int k, int64_t ttl, int creator)
{
	struct tenant *t = &T[ti];
	struct key *key = &t->key[k];
	const char *pats[3];
	struct expect e;
	int u = creator >= 0 ? creator : rnd(NU), npats = 1 + rnd(3), ok = 1, rc;
	char *secret = NULL;
	saas_apikey *made = NULL;
	int64_t expires = ttl < 0   ? 0
	                  : ttl     ? th_clock_ms + ttl
	                  : rnd(3) == 0 ? th_clock_ms + random_ttl()
	                                : 0;
	char pbuf[3][PERMLEN];

	for (int i = 0; i < npats; i++) {
		const struct role *r =
			t->member[u] && t->nroles[u] ? find_role(t, t->roles[u][rnd(t->nroles[u])]) : NULL;

		if (r && r->nperms && rnd(2))
			snprintf(pbuf[i], PERMLEN, "%s", r->perms[rnd(r->nperms)]);
		else
			random_pattern(pbuf[i], PERMLEN);
		pats[i] = pbuf[i];
		ref_decide(&e, ti, u, pats[i]);
		ok &= e.allowed;
	}
	ref_decide(&e, ti, u, "apikey:create");
	ok &= e.allowed;
	rc = saas_apikey_create(&secret, &made, ctx, scopes[ti][u], "prop", pats, (size_t)npats,
	                        expires);
	ck_assert_msg(rc == (ok ? SAAS_OK : SAAS_EDENIED),
	              "key by user u%d (member %d) in tenant t%d with %s %s %s: %s, expected %s "
	              "(seed %" PRIu64 "): %s",
	              u, t->member[u], ti, pats[0], npats > 1 ? pats[1] : "", npats > 2 ? pats[2] : "",
	              saas_code_name(rc), ok ? "SAAS_OK" : "SAAS_EDENIED", seed_used,
	              saas_error_message(saas_error_last()));
	if (rc == SAAS_OK) {
		memset(key, 0, sizeof *key);
		key->present = 1;
		key->creator = u;
		key->expires = expires;
		key->npats = npats;
		for (int i = 0; i < npats; i++)
			snprintf(key->pats[i], PERMLEN, "%s", pats[i]);
		snprintf(key->id, sizeof key->id, "%s", saas_apikey_id(made));
		saas_scope_free(scopes[ti][A_KEY + k]);
		ck_ok(saas_scope_new(&scopes[ti][A_KEY + k], t->id, SAAS_ACTOR_APIKEY, key->id));
	}
	saas_apikey_free(made);
	saas_free_secret(secret);
}

static void key_revoke(int ti, int k)
{
	ck_ok(saas_apikey_revoke(ctx, T[ti].sys, T[ti].key[k].id));
	T[ti].key[k].revoked = 1;
}

/* The plan catalogue: f1 and f2, plans basic (the default) and plus, the
 * permission features above; past due is read-only at once. */
static void load_catalog(const saas_scope *sys)
{
	json_t *features = json_object(), *plans = json_array(), *pf = json_object(), *doc;
	int64_t version = 0;
	char *text;

	for (int f = 0; f < NF; f++)
		json_object_set_new(features, FEAT[f],
		                    json_pack("{s:s,s:b}", "kind", "boolean", "readonly_safe",
		                              FEAT_RO_SAFE[f]));
	for (int p = 0; p < 2; p++) {
		json_t *values = json_object();

		/* a feature a plan lacks is absent or false, at random */
		for (int f = 0; f < NF; f++)
			if (PLAN_HAS[p][f] || rnd(2))
				json_object_set_new(values, FEAT[f], json_boolean(PLAN_HAS[p][f]));
		json_array_append_new(plans, json_pack("{s:s,s:s,s:i,s:o}", "id", PLAN[p], "name",
		                                       PLAN[p], "rank", 10 * p, "features", values));
	}
	for (int i = 0; i < NPF; i++) {
		ck_assert(i == 0 || strcmp(PERM_FEAT[i - 1].pattern, PERM_FEAT[i].pattern) < 0);
		json_object_set_new(pf, PERM_FEAT[i].pattern, json_string(FEAT[PERM_FEAT[i].feature]));
	}
	doc = json_pack("{s:o,s:o,s:s,s:o,s:i}", "features", features, "plans", plans,
	                "default_plan", PLAN[P_BASIC], "permission_features", pf,
	                "past_due_grace_days", 0);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	ck_assert_ptr_nonnull(text);
	ck_ok(saas_billing_plans_load(&version, ctx, sys, text));
	ck_assert_int_eq(version, 1);
	free(text);
}

/* One random billing change of tenant ti through the API (a subscription
 * event, a plan change, an override set or removed), its answer checked
 * against the reference's, which then follows it (docs/billing.md): a
 * tenant pending deletion refuses everything (SAAS_EDELETED); a suspended
 * one takes subscription events but no override (SAAS_ESUSPENDED). */
static void billing_mutate(int ti)
{
	struct tenant *t = &T[ti];
	saas_sub_options o = SAAS_SUB_OPTIONS_INIT;
	int k = rnd(100), p = rnd(2), f = rnd(NF), v = rnd(2), live = sub_live(t->sub);
	int nsub = t->sub, nplan = t->plan, novr = t->ovr[f], want = SAAS_OK, rc;
	int override = k >= 72;
	char what[80];

	o.plan = PLAN[p];
	if (k < 30) { /* paid: starts a subscription (on plan p) or makes it active */
		snprintf(what, sizeof what, "payment_succeeded (plan %s)", PLAN[p]);
		nsub = SAAS_SUB_ACTIVE;
		nplan = live ? t->plan : p;
		rc = saas_subscription_event(NULL, ctx, t->sys, SAAS_SUB_EV_PAYMENT_SUCCEEDED, &o);
	} else if (k < 38) { /* created: no access until paid */
		snprintf(what, sizeof what, "created (plan %s)", PLAN[p]);
		if (live)
			want = SAAS_ESTATE;
		nsub = SAAS_SUB_INCOMPLETE;
		nplan = p;
		rc = saas_subscription_event(NULL, ctx, t->sys, SAAS_SUB_EV_CREATED, &o);
	} else if (k < 50) {
		snprintf(what, sizeof what, "payment_failed");
		if (!live)
			want = SAAS_ESTATE;
		else if (t->sub != SAAS_SUB_INCOMPLETE)
			nsub = SAAS_SUB_PAST_DUE;
		rc = saas_subscription_event(NULL, ctx, t->sys, SAAS_SUB_EV_PAYMENT_FAILED, NULL);
	} else if (k < 58) { /* ended: back to the default plan */
		snprintf(what, sizeof what, "cancel_now");
		if (!live)
			want = SAAS_ESTATE;
		nsub = t->sub == SAAS_SUB_INCOMPLETE ? SAAS_SUB_INCOMPLETE_EXPIRED : SAAS_SUB_CANCELED;
		rc = saas_subscription_event(NULL, ctx, t->sys, SAAS_SUB_EV_CANCEL_NOW, NULL);
	} else if (k < 72) { /* only an active subscription changes plans */
		snprintf(what, sizeof what, "change_plan now to %s", PLAN[p]);
		if (t->sub != SAAS_SUB_ACTIVE)
			want = SAAS_ESTATE;
		nplan = p;
		rc = saas_subscription_change_plan(NULL, ctx, t->sys, PLAN[p], SAAS_PLAN_CHANGE_NOW);
	} else if (k < 90) {
		snprintf(what, sizeof what, "override %s = %s", FEAT[f], v ? "true" : "false");
		novr = v;
		rc = saas_entitlement_override_set(ctx, t->sys, FEAT[f], v ? "true" : "false", 0,
		                                   "property test");
	} else {
		snprintf(what, sizeof what, "override of %s removed", FEAT[f]);
		if (t->ovr[f] < 0)
			want = SAAS_ENOTFOUND;
		novr = -1;
		rc = saas_entitlement_override_remove(ctx, t->sys, FEAT[f]);
	}
	if (t->status == SAAS_TENANT_PENDING_DELETION)
		want = SAAS_EDELETED;
	else if (t->status == SAAS_TENANT_SUSPENDED && override)
		want = SAAS_ESUSPENDED;
	ck_assert_msg(rc == want,
	              "billing: %s in tenant t%d (%s; subscription %s, plan %s, override %d): %s, "
	              "expected %s (seed %" PRIu64 "): %s",
	              what, ti, saas_tenant_status_name(t->status), saas_sub_state_name(t->sub),
	              PLAN[t->plan], t->ovr[f], saas_code_name(rc), saas_code_name(want), seed_used,
	              saas_error_message(saas_error_last()));
	if (rc == SAAS_OK) {
		t->sub = nsub;
		t->plan = nplan;
		t->ovr[f] = novr;
	}
}

static void make_scope(saas_scope **out, const char *tenant, int ai)
{
	int type = SAAS_ACTOR_USER;
	const char *id = NULL;

	if (ai < NU)
		id = user_id[ai];
	else if (ai == A_GHOST)
		id = GHOST_USER;
	else if (ai == A_SYSTEM)
		type = SAAS_ACTOR_SYSTEM, id = "prop-system";
	else if (ai >= A_APIKEY)
		type = SAAS_ACTOR_APIKEY, id = API_KEY; /* slots: until their key is made */
	else
		type = SAAS_ACTOR_SUPPORT, id = STAFF[ai - A_STAFF];
	ck_ok(saas_scope_new(out, tenant, type, id));
}

/* A failed check ends the test's process: remove our SQLite file then too. */
static void remove_db_at_exit(void)
{
	if (strncmp(db, "sqlite:/", 8) == 0)
		th_remove_db(db + 7);
}

static void open_world(unsigned cache_size, uint64_t salt)
{
	saas_ctx_options o = SAAS_CTX_OPTIONS_INIT;
	saas_scope *sys;
	char *policy;

	saas_ctx_free(th_open(url)); /* empties PostgreSQL; sets the clock */
	seed_rng(salt);
	snprintf(db, sizeof db, "%s", url);
	if (strcmp(url, "sqlite:") == 0) {
		snprintf(db, sizeof db, "sqlite:/tmp/saas-authz-prop-%d.db", (int)getpid());
		th_remove_db(db + 7);
		atexit(remove_db_at_exit);
	}
	policy = random_policy();
	o.clock = th_clock;
	o.rbac_policy = policy;
	o.authz_cache_size = cache_size;
	o.sqlite_synchronous_full = 0;
	ck_ok(saas_ctx_open(&ctx, db, &o));
	free(policy);
	ck_ok(saas_decision_new(&dec));
	seen = 0;
	memset(nseen, 0, sizeof nseen);
	nrequests_done = 0;
	purged_one = 0;
	memset(T, 0, sizeof T);
	memset(scopes, 0, sizeof scopes);

	ck_ok(saas_scope_new(&sys, NULL, SAAS_ACTOR_SYSTEM, "prop-system"));
	load_catalog(sys);
	for (int u = 0; u < NU; u++) {
		saas_user *usr;
		char email[64];

		snprintf(email, sizeof email, "u%d@prop.example", u);
		ck_ok(saas_user_create(&usr, ctx, sys, email, NULL));
		snprintf(user_id[u], sizeof user_id[u], "%s", saas_user_id(usr));
		saas_user_free(usr);
	}
	for (int ti = 0; ti < NT; ti++) {
		struct tenant *t = &T[ti];
		saas_tenant *tn;
		char slug[32];

		snprintf(slug, sizeof slug, "prop-t%d", ti);
		ck_ok(saas_tenant_create(&tn, ctx, sys, slug, slug));
		snprintf(t->id, sizeof t->id, "%s", saas_tenant_id(tn));
		saas_tenant_free(tn);
		t->exists = 1;
		t->status = SAAS_TENANT_ACTIVE;
		t->sub = SAAS_SUB_NONE;
		t->plan = P_BASIC;
		for (int f = 0; f < NF; f++)
			t->ovr[f] = -1;
		ck_ok(saas_scope_new(&t->sys, t->id, SAAS_ACTOR_SYSTEM, "prop-system"));
		for (int c = 0, k = 2 + rnd(3); c < k; c++)
			custom_create(t);
		{
			char owner[MAXMR][NAMELEN] = {"owner"};
			member_add(t, 0, owner, 1);
		}
		for (int u = 1; u < NU - 1; u++)
			if (rnd(100) < 65) {
				char roles[MAXMR][NAMELEN];
				int n = random_roles(roles, t);
				member_add(t, u, roles, n);
			}
		/* Grants: to some staff, and maybe to all staff; one that
		 * expires within minutes; one revoked. */
		if (rnd(4) == 0)
			grant_give(t, NS, random_ttl(), NULL);
		for (int s = 0; s < NS; s++)
			if (rnd(100) < 60)
				grant_give(t, s, s == 1 ? 61000 + rnd(60000) : random_ttl(), NULL);
		if (t->grant[3].present)
			grant_revoke(t, 3);
		/* in t0, u1 is a member, and staff 0 or 2 (if given a grant
		 * above) holds a grant, of roles that do not grant everything
		 * (when the policy has such roles): what roles lack is asked
		 * about even when most grant "*" */
		if (ti == 0) {
			const char *names[NBUILTIN + MAXDEP + MAXC], *lacking[NBUILTIN + MAXDEP + MAXC];
			int n = role_names(names, t, 0), nl = 0;

			for (int i = 0; i < n; i++)
				if (!ref_grants(t, names[i], "*", 0))
					lacking[nl++] = names[i];
			if (nl) {
				char roles[MAXMR][NAMELEN];

				int s = t->grant[0].present ? 0 : 2;

				if (t->grant[s].present)
					grant_give(t, s, t->grant[s].expires - th_clock_ms,
					           lacking[rnd(nl)]);
				snprintf(roles[0], NAMELEN, "%s", lacking[rnd(nl)]);
				if (t->member[1])
					member_set(t, 1, roles, 1);
				else
					member_add(t, 1, roles, 1);
			}
		}
		/* a subscription, overrides: before the keys, which the plan bounds */
		for (int i = 0, n = rnd(4); i < n; i++)
			billing_mutate(ti);
	}
	for (int ti = 0; ti <= NT; ti++)
		for (int ai = 0; ai < NA; ai++)
			make_scope(&scopes[ti][ai], ti < NT ? T[ti].id : NO_TENANT, ai);
	/* API keys: a few per tenant, before two tenants change status */
	for (int ti = 0; ti < NT; ti++)
		for (int k = 0; k < NK; k++)
			for (int tries = 0; tries < 3 && !T[ti].key[k].present; tries++)
				key_create(ti, k, k == 1 ? 61000 + rnd(120000) : 0, -1);
	/* one whose creator has left the tenant since: one that never expires
	 * if there is one, else one made for the purpose by a member who is
	 * not the owner (when one may make keys), else any */
	for (int pass = 0, done = 0; pass < 3 && !done; pass++) {
		for (int ti = 0; ti < 3 && !done && pass != 1; ti++)
			for (int k = 0; k < 2 && !done; k++)
				if (T[ti].key[k].present && T[ti].key[k].creator != 0 &&
				    T[ti].member[T[ti].key[k].creator] &&
				    (pass || T[ti].key[k].expires == 0)) {
					member_remove(&T[ti], T[ti].key[k].creator);
					done = 1;
				}
		for (int ti = 0; ti < 3 && !done && pass == 1; ti++)
			for (int u = 1; u < NU && !done; u++) {
				struct expect e;

				if (!T[ti].member[u])
					continue;
				ref_decide(&e, ti, u, "apikey:create");
				for (int tries = 0; e.allowed && tries < 4 && !done; tries++) {
					key_create(ti, 0, -1, u);
					if (T[ti].key[0].present && T[ti].key[0].creator == u &&
					    T[ti].key[0].expires == 0) {
						member_remove(&T[ti], u);
						done = 1;
					}
				}
			}
	}
	/* and one revoked: in an active tenant if any has a key in slot 2
	 * (else one made by the owner of t0 for the purpose) */
	for (int tries = 0; tries < 5 && !T[0].key[2].present && !T[1].key[2].present &&
	                    !T[2].key[2].present;
	     tries++)
		key_create(0, 2, 0, 0);
	for (int ti = 0; ti < NT; ti++)
		if (T[ti].key[2].present) {
			key_revoke(ti, 2);
			break;
		}
	/* Statuses: t3 suspended, t4 pending deletion (from suspended, so
	 * that restoring it gives back a suspended tenant). */
	ck_ok(saas_tenant_suspend(ctx, T[3].sys, "property test"));
	T[3].status = SAAS_TENANT_SUSPENDED;
	ck_ok(saas_tenant_suspend(ctx, T[4].sys, "property test"));
	ck_ok(saas_tenant_delete(ctx, T[4].sys, 3650));
	T[4].status = SAAS_TENANT_PENDING_DELETION;
	T[4].before_delete = SAAS_TENANT_SUSPENDED;
	saas_scope_free(sys);
}

static void close_world(void)
{
	for (int ti = 0; ti <= NT; ti++)
		for (int ai = 0; ai < NA; ai++)
			saas_scope_free(scopes[ti][ai]);
	for (int ti = 0; ti < NT; ti++)
		saas_scope_free(T[ti].sys);
	memset(scopes, 0, sizeof scopes);
	saas_decision_free(dec);
	dec = NULL;
	saas_ctx_free(ctx);
	ctx = NULL;
	th_close(NULL);
	if (strncmp(db, "sqlite:/", 8) == 0)
		th_remove_db(db + 7);
}

/* ---- mutations ------------------------------------------------------------------------- */

/* A request the catalogue's permission features cover (or nearly). */
static void ask_gated(int ti, int ai)
{
	static const char *const perms[] = {"doc:read",      "doc:update",     "doc:*",
	                                    "doc:export",    "project:delete", "project:export",
	                                    "audit:export",  "tenant:export",  "*:export",
	                                    "project:update"};

	ask(ti, ai, perms[rnd((int)(sizeof perms / sizeof perms[0]))]);
}

/* Requests on tenant ti right after a change: every actor once, then random ones. */
static void focus(int ti, int n)
{
	for (int ai = 0; ai < NA; ai++)
		ask_random(ti, ai);
	for (int i = 0; i < n; i++)
		ask_random(ti, random_actor());
}

/* One random change through the API, mirrored in the model; then requests on it. */
static void mutate(void)
{
	for (int tries = 0; tries < 100; tries++) {
		int ti = rnd(NT), k = rnd(100);
		struct tenant *t = &T[ti];

		if (!t->exists)
			continue;
		if (k < 8) { /* the clock: grants expire */
			clock_advance(60000 + rnd(40 * 60000));
			for (int x = 0; x < NT; x++)
				if (T[x].exists)
					for (int s = 0; s < NS; s++)
						for (int q = 0; q < 3; q++)
							ask_random(x, A_STAFF + s);
			for (int x = 0; x < NT; x++)
				if (T[x].exists)
					for (int s = 0; s < NK; s++)
						ask_random(x, A_KEY + s);
			return;
		}
		if (k < 12) { /* invalidation by hand changes nothing */
			ck_ok(saas_authz_invalidate(ctx, rnd(2) ? t->id : NULL));
			focus(ti, 20);
			return;
		}
		if (rnd(100) < 12) { /* billing, whatever the tenant's status */
			billing_mutate(ti);
			for (int ai = 0; ai < NA; ai++)
				ask_gated(ti, ai);
			for (int i = 0; i < 30; i++)
				ask_gated(ti, random_actor());
			focus(ti, 20);
			return;
		}
		if (t->status == SAAS_TENANT_SUSPENDED) {
			if (k < 60) {
				ck_ok(saas_tenant_reactivate(ctx, t->sys));
				t->status = SAAS_TENANT_ACTIVE;
			} else {
				ck_ok(saas_tenant_delete(ctx, t->sys, 3650));
				t->before_delete = t->status;
				t->status = SAAS_TENANT_PENDING_DELETION;
			}
			focus(ti, 40);
			return;
		}
		if (t->status == SAAS_TENANT_PENDING_DELETION) {
			if (k < 20 && !purged_one && ti != 0) {
				ck_ok(saas_admin_tenant_purge(ctx, t->sys));
				t->exists = 0;
				purged_one = 1;
			} else {
				ck_ok(saas_tenant_restore(ctx, t->sys));
				t->status = t->before_delete;
			}
			focus(ti, 40);
			return;
		}
		/* Active. */
		if (k < 18) {
			ck_ok(saas_tenant_suspend(ctx, t->sys, "property test"));
			t->status = SAAS_TENANT_SUSPENDED;
		} else if (k < 22) {
			ck_ok(saas_tenant_delete(ctx, t->sys, 3650));
			t->before_delete = SAAS_TENANT_ACTIVE;
			t->status = SAAS_TENANT_PENDING_DELETION;
		} else if (k < 36) {
			int c = rnd(t->ncustom);
			if (!t->custom[c].alive)
				continue;
			custom_update(t, c);
		} else if (k < 41) {
			if (t->ncustom >= MAXC)
				continue;
			custom_create(t);
		} else if (k < 46) {
			int c = rnd(t->ncustom);
			if (!t->custom[c].alive || !custom_deletable(t, c))
				continue;
			custom_delete(t, c);
		} else if (k < 64) {
			int u = 1 + rnd(NU - 1), s = rnd(NK);
			char roles[MAXMR][NAMELEN];
			int n = random_roles(roles, t);

			/* half the time, a key's creator: their keys follow them */
			if (rnd(2) && t->key[s].present && t->key[s].creator != 0)
				u = t->key[s].creator;

			if (t->member[u] && rnd(4) == 0)
				member_remove(t, u);
			else if (t->member[u])
				member_set(t, u, roles, n);
			else
				member_add(t, u, roles, n);
			for (int i = 0; i < 25; i++)
				ask_random(ti, u);
			/* the keys the user made shrink and grow with their roles */
			for (int s = 0; s < NK; s++)
				for (int i = 0; i < 5; i++)
					ask_random(ti, A_KEY + s);
		} else if (k < 76) {
			int s = rnd(NS + 1);

			grant_give(t, s, rnd(4) ? random_ttl() : 61000 + rnd(120000), NULL);
			for (int i = 0; i < 25; i++)
				ask_random(ti, A_STAFF + (s < NS ? s : rnd(NS)));
		} else if (k < 82) {
			int s = rnd(NS + 1);
			if (!t->grant[s].present || t->grant[s].revoked)
				continue;
			grant_revoke(t, s);
			for (int i = 0; i < 25; i++)
				ask_random(ti, A_STAFF + (s < NS ? s : rnd(NS)));
		} else if (k < 92) {
			int s = rnd(NK);

			key_create(ti, s, 0, -1);
			for (int i = 0; i < 25; i++)
				ask_random(ti, A_KEY + s);
		} else {
			int s = rnd(NK);
			if (!t->key[s].present || t->key[s].revoked)
				continue;
			key_revoke(ti, s);
			for (int i = 0; i < 10; i++)
				ask_random(ti, A_KEY + s);
		}
		focus(ti, 30);
		return;
	}
}

/* The property: n random requests in batches, a change between batches. */
static void run_property(long n, unsigned cache_size, uint64_t salt)
{
	saas_authz_stats st;

	open_world(cache_size, salt);
	while (nrequests_done < n) {
		for (int i = 0; i < 400; i++) {
			int ti = rnd(100) < 8 ? T_NONE : rnd(NT);
			ask_random(ti, random_actor());
		}
		/* Time passes (the cache must check expiry on every decision). */
		clock_advance(rnd(180000));
		mutate();
	}
	ck_ok(saas_authz_stats_get(&st, ctx));
	ck_assert_uint_eq(st.capacity, cache_size);
	ck_assert_uint_le(st.entries, cache_size);
	if (cache_size) {
		ck_assert_uint_gt(st.hits, 0);
		ck_assert_uint_gt(st.misses, 0);
		ck_assert_uint_gt(st.invalidations, 0);
	} else {
		ck_assert_uint_eq(st.hits, 0);
		ck_assert_uint_eq(st.entries, 0);
	}
	if (cache_size && cache_size < (NT + 1) * NA)
		ck_assert_uint_gt(st.evictions, 0);
	if (getenv("SAAS_TEST_VERBOSE") && *getenv("SAAS_TEST_VERBOSE")) {
		fprintf(stderr, "# %s, cache %u, seed %" PRIu64 ": %ld requests;", url, cache_size,
		        seed_used, nrequests_done);
		for (int r = 1; r <= SAAS_REASON_MAX; r++)
			fprintf(stderr, " %s %ld", saas_reason_name(r), nseen[r]);
		fprintf(stderr, "\n");
	}
	for (int r = 1; r <= SAAS_REASON_MAX; r++)
		ck_assert_msg(seen & (1u << r),
		              "reason %s was never reached in %ld requests (seed %" PRIu64 ")",
		              saas_reason_name(r), nrequests_done, seed_used);
	close_world();
}

START_TEST(property)
{
	run_property(100000, 100000, 0);
}
END_TEST

START_TEST(property_small_cache)
{
	/* Fewer actors fit than are asked about: evictions all the time. */
	run_property(20000, 7, 1);
}
END_TEST

START_TEST(property_no_cache)
{
	run_property(8000, 0, 2);
}
END_TEST

/* ---- targeted cases: every reason, the outputs, the refusals ----------------------- */

static void expect_decision(const saas_scope *s, const char *perm, int allowed, int reason)
{
	int rc = saas_authorize(dec, ctx, s, perm);
	char *text = NULL;

	ck_ok(saas_decision_explain(&text, dec));
	ck_assert_msg(rc == (allowed ? SAAS_OK : SAAS_EDENIED) &&
	                      saas_decision_allowed(dec) == allowed &&
	                      saas_decision_reason(dec) == reason,
	              "%s: rc %s, reason %s, expected %s: %s", perm, saas_code_name(rc),
	              saas_reason_name(saas_decision_reason(dec)), saas_reason_name(reason), text);
	saas_free(text);
	/* Without a decision to fill: the same answer. */
	ck_rc(saas_authorize(NULL, ctx, s, perm), allowed ? SAAS_OK : SAAS_EDENIED);
}

START_TEST(every_reason)
{
	static const char *const viewer[] = {"viewer"};
	static const char *const owner[] = {"owner"};
	saas_scope *s;
	const char *a, *susp, *del, *u0, *u1, *u2;
	char *gid = NULL, *gid2 = NULL, *text = NULL;

	ctx = th_open(url);
	ck_ok(saas_decision_new(&dec));
	a = th_tenant(ctx, "acme");
	susp = th_tenant(ctx, "susp");
	del = th_tenant(ctx, "gone");
	u0 = th_user(ctx, "owner@example.com");
	u1 = th_user(ctx, "viewer@example.com");
	u2 = th_user(ctx, "outsider@example.com");
	ck_ok(saas_member_add(NULL, ctx, th_scope(a), u0, owner, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(a), u1, viewer, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(susp), u0, owner, 1));
	ck_ok(saas_member_add(NULL, ctx, th_scope(del), u0, owner, 1));
	ck_ok(saas_support_grant(&gid, ctx, th_scope(a), "sam", "viewer", th_clock_ms + 3600000));
	ck_ok(saas_support_grant(&gid2, ctx, th_scope(a), "kim", "admin", th_clock_ms + 60000));
	ck_ok(saas_support_grant(&text, ctx, th_scope(a), "ana", "admin", th_clock_ms + 3600000));
	ck_ok(saas_support_revoke(ctx, th_scope(a), text));
	ck_rc(saas_support_revoke(ctx, th_scope(a), text), SAAS_ENOTFOUND);
	saas_free(text);
	text = NULL;
	ck_ok(saas_tenant_suspend(ctx, th_scope(susp), "unpaid"));
	ck_ok(saas_tenant_delete(ctx, th_scope(del), -1));

	ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_USER, u1));
	expect_decision(s, "tenant:read", 1, SAAS_REASON_ROLE);
	ck_assert_str_eq(saas_decision_role(dec), "viewer");
	ck_assert_str_eq(saas_decision_pattern(dec), "tenant:read");
	ck_assert_ptr_null(saas_decision_grant_id(dec));
	ck_ok(saas_decision_explain(&text, dec));
	ck_assert_msg(strncmp(text, "allowed", 7) == 0 && strstr(text, "viewer") &&
	                      strstr(text, u1) && strstr(text, a),
	              "explanation: %s", text);
	saas_free(text);
	expect_decision(s, "tenant:update", 0, SAAS_REASON_NO_ROLE_GRANTS);
	ck_assert_ptr_null(saas_decision_role(dec));
	ck_assert_ptr_null(saas_decision_pattern(dec));
	/* The error record of a denial holds the explanation. */
	ck_rc(saas_authorize(dec, ctx, s, "tenant:update"), SAAS_EDENIED);
	{
		char *msg = strdup(saas_error_message(saas_error_last()));

		ck_ok(saas_decision_explain(&text, dec));
		ck_assert_str_eq(msg, text);
		free(msg);
	}
	ck_assert_msg(strncmp(text, "denied", 6) == 0, "explanation: %s", text);
	saas_free(text);
	ck_ok(saas_decision_to_json(&text, dec));
	{
		json_t *doc = json_loads(text, 0, NULL);

		ck_assert_ptr_nonnull(doc);
		ck_assert(json_is_false(json_object_get(doc, "allowed")));
		ck_assert_str_eq(json_string_value(json_object_get(doc, "reason")), "no_role_grants");
		ck_assert_str_eq(json_string_value(json_object_get(doc, "tenant_id")), a);
		ck_assert_str_eq(json_string_value(json_object_get(doc, "actor_id")), u1);
		ck_assert_str_eq(json_string_value(json_object_get(doc, "permission")), "tenant:update");
		ck_assert(json_is_null(json_object_get(doc, "role")));
		ck_assert(json_is_null(json_object_get(doc, "pattern")));
		ck_assert(json_is_null(json_object_get(doc, "grant_id")));
		ck_assert_uint_eq(json_array_size(json_object_get(doc, "roles")), 1);
		ck_assert_str_eq(json_string_value(json_array_get(json_object_get(doc, "roles"), 0)),
		                 "viewer");
		ck_assert_str_eq(json_string_value(json_object_get(doc, "tenant_status")), "active");
		ck_assert(json_is_string(json_object_get(doc, "explanation")));
		ck_assert_msg(json_object_get(doc, "actor_type"), "no actor_type in %s", text);
		json_decref(doc);
	}
	saas_free(text);
	saas_scope_free(s);

	ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_USER, u2));
	expect_decision(s, "tenant:read", 0, SAAS_REASON_NOT_MEMBER);
	saas_scope_free(s);
	ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_SYSTEM, "cron"));
	expect_decision(s, "*", 1, SAAS_REASON_SYSTEM);
	saas_scope_free(s);
	ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_APIKEY, API_KEY));
	expect_decision(s, "tenant:read", 0, SAAS_REASON_APIKEY_UNKNOWN);
	saas_scope_free(s);

	ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_SUPPORT, "sam"));
	expect_decision(s, "member:read", 1, SAAS_REASON_SUPPORT_GRANT);
	ck_assert_str_eq(saas_decision_role(dec), "viewer");
	ck_assert_str_eq(saas_decision_grant_id(dec), gid);
	expect_decision(s, "member:remove", 0, SAAS_REASON_SUPPORT_GRANT_LACKS);
	ck_assert_str_eq(saas_decision_role(dec), "viewer");
	ck_assert_str_eq(saas_decision_grant_id(dec), gid);
	saas_scope_free(s);
	ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_SUPPORT, "kim"));
	expect_decision(s, "member:remove", 1, SAAS_REASON_SUPPORT_GRANT);
	th_clock_advance(61000); /* the clock alone: no change in the store */
	expect_decision(s, "member:remove", 0, SAAS_REASON_SUPPORT_GRANT_EXPIRED);
	saas_scope_free(s);
	ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_SUPPORT, "lee"));
	expect_decision(s, "tenant:read", 0, SAAS_REASON_SUPPORT_GRANT_MISSING);
	saas_scope_free(s);
	ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_SUPPORT, "ana")); /* revoked */
	expect_decision(s, "tenant:read", 0, SAAS_REASON_SUPPORT_GRANT_MISSING);
	saas_scope_free(s);

	ck_ok(saas_scope_new(&s, NO_TENANT, SAAS_ACTOR_USER, u0));
	expect_decision(s, "tenant:read", 0, SAAS_REASON_TENANT_NOT_FOUND);
	saas_scope_free(s);

	/* Suspended: read actions only; a wildcard action is more than reading. */
	ck_ok(saas_scope_new(&s, susp, SAAS_ACTOR_USER, u0));
	expect_decision(s, "tenant:update", 0, SAAS_REASON_TENANT_SUSPENDED);
	expect_decision(s, "project:*", 0, SAAS_REASON_TENANT_SUSPENDED);
	expect_decision(s, "*", 0, SAAS_REASON_TENANT_SUSPENDED);
	expect_decision(s, "tenant:read", 1, SAAS_REASON_ROLE);
	expect_decision(s, "project:list", 1, SAAS_REASON_ROLE);
	expect_decision(s, "audit:export", 1, SAAS_REASON_ROLE);
	expect_decision(s, "*:read", 1, SAAS_REASON_ROLE);
	saas_scope_free(s);
	ck_ok(saas_scope_new(&s, susp, SAAS_ACTOR_SYSTEM, "cron"));
	expect_decision(s, "tenant:update", 0, SAAS_REASON_TENANT_SUSPENDED);
	saas_scope_free(s);

	/* Pending deletion: restore and export only. */
	ck_ok(saas_scope_new(&s, del, SAAS_ACTOR_USER, u0));
	expect_decision(s, "tenant:read", 1, SAAS_REASON_ROLE);
	expect_decision(s, "tenant:restore", 1, SAAS_REASON_ROLE);
	expect_decision(s, "tenant:export", 1, SAAS_REASON_ROLE);
	expect_decision(s, "audit:export", 1, SAAS_REASON_ROLE);
	expect_decision(s, "audit:read", 0, SAAS_REASON_TENANT_DELETED);
	expect_decision(s, "tenant:*", 0, SAAS_REASON_TENANT_DELETED);
	expect_decision(s, "*:export", 0, SAAS_REASON_TENANT_DELETED);
	expect_decision(s, "project:read", 0, SAAS_REASON_TENANT_DELETED);
	saas_scope_free(s);
	ck_ok(saas_scope_new(&s, del, SAAS_ACTOR_USER, u2)); /* the status comes first */
	expect_decision(s, "tenant:update", 0, SAAS_REASON_TENANT_DELETED);
	expect_decision(s, "tenant:read", 0, SAAS_REASON_NOT_MEMBER);
	saas_scope_free(s);

	/* A plan catalogue: what its permission_features gate needs the feature
	 * too, once the roles allow it (docs/billing.md, "Authorization"). */
	{
		static const char *const cat =
			"{\"features\": {\"sso\": {\"kind\": \"boolean\"}},"
			" \"plans\": [{\"id\": \"free\", \"name\": \"Free\", \"rank\": 0,"
			" \"features\": {}}],"
			" \"default_plan\": \"free\", \"permission_features\": {\"tenant:*\": \"sso\"}}";
		const char *late = th_tenant(ctx, "late");
		json_t *doc;

		ck_ok(saas_member_add(NULL, ctx, th_scope(late), u0, owner, 1));
		ck_ok(saas_billing_plans_load(NULL, ctx, th_system(), cat));
		ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_USER, u1));
		expect_decision(s, "tenant:read", 0, SAAS_REASON_PLAN_LACKS_FEATURE);
		/* the role and pattern that allowed stay named */
		ck_assert_str_eq(saas_decision_role(dec), "viewer");
		ck_assert_str_eq(saas_decision_pattern(dec), "tenant:read");
		ck_ok(saas_decision_explain(&text, dec));
		ck_assert_msg(strncmp(text, "denied", 6) == 0 && strstr(text, "'sso'"),
		              "explanation: %s", text);
		saas_free(text);
		ck_ok(saas_decision_to_json(&text, dec));
		doc = json_loads(text, 0, NULL);
		ck_assert_ptr_nonnull(doc);
		ck_assert_str_eq(json_string_value(json_object_get(doc, "reason")),
		                 "plan_lacks_feature");
		ck_assert_str_eq(json_string_value(json_object_get(doc, "feature")), "sso");
		json_decref(doc);
		saas_free(text);
		/* the roles come first; what no pattern covers is the roles' alone */
		expect_decision(s, "tenant:update", 0, SAAS_REASON_NO_ROLE_GRANTS);
		ck_ok(saas_decision_to_json(&text, dec));
		doc = json_loads(text, 0, NULL);
		ck_assert(json_is_null(json_object_get(doc, "feature")));
		json_decref(doc);
		saas_free(text);
		expect_decision(s, "member:read", 1, SAAS_REASON_ROLE);
		/* an override gives the feature, and its removal takes it back */
		ck_ok(saas_entitlement_override_set(ctx, th_scope(a), "sso", "true", 0, NULL));
		expect_decision(s, "tenant:read", 1, SAAS_REASON_ROLE);
		ck_ok(saas_entitlement_override_remove(ctx, th_scope(a), "sso"));
		expect_decision(s, "tenant:read", 0, SAAS_REASON_PLAN_LACKS_FEATURE);
		saas_scope_free(s);
		/* support staff are bound by the plan; the system actor is not */
		ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_SUPPORT, "sam"));
		expect_decision(s, "tenant:read", 0, SAAS_REASON_PLAN_LACKS_FEATURE);
		ck_assert_str_eq(saas_decision_grant_id(dec), gid);
		saas_scope_free(s);
		ck_ok(saas_scope_new(&s, a, SAAS_ACTOR_SYSTEM, "cron"));
		expect_decision(s, "tenant:read", 1, SAAS_REASON_SYSTEM);
		saas_scope_free(s);
		/* A tenant pending deletion has been decided by its status: the
		 * plan is not consulted (lib/billing/entitlement.c), whether or not
		 * its billing was read while it was active. */
		ck_ok(saas_scope_new(&s, late, SAAS_ACTOR_USER, u0));
		expect_decision(s, "tenant:export", 0, SAAS_REASON_PLAN_LACKS_FEATURE);
		ck_ok(saas_tenant_delete(ctx, th_scope(late), -1));
		expect_decision(s, "tenant:export", 1, SAAS_REASON_ROLE);
		th_clock_advance(60000);
		expect_decision(s, "tenant:export", 1, SAAS_REASON_ROLE);
		saas_scope_free(s);
	}

	saas_free(gid);
	saas_free(gid2);
	saas_decision_free(dec);
	dec = NULL;
	th_close(ctx);
	ctx = NULL;
}
END_TEST

START_TEST(reason_names)
{
	static const char *const names[SAAS_REASON_MAX + 1] = {
		NULL, "role", "system", "support_grant", "tenant_not_found", "tenant_suspended",
		"tenant_deleted", "not_member", "no_role_grants", "support_grant_missing",
		"support_grant_expired", "support_grant_lacks", "apikey_unknown", "apikey",
		"apikey_revoked", "apikey_expired", "apikey_lacks", "apikey_creator_lacks",
		"plan_lacks_feature"};

	for (int r = 1; r <= SAAS_REASON_MAX; r++) {
		ck_assert_str_eq(saas_reason_name(r), names[r]);
		ck_assert_int_eq(saas_reason_from_name(saas_reason_name(r)), r);
	}
	ck_assert_str_eq(saas_reason_name(0), "unknown");
	ck_assert_str_eq(saas_reason_name(-1), "unknown");
	ck_assert_str_eq(saas_reason_name(SAAS_REASON_MAX + 1), "unknown");
	ck_rc(saas_reason_from_name("unknown"), SAAS_EINVAL);
	ck_field("reason");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "unknown"));
	ck_rc(saas_reason_from_name("Role"), SAAS_EINVAL);
	ck_field("reason");
	ck_rc(saas_reason_from_name(""), SAAS_EINVAL);
	ck_rc(saas_reason_from_name(NULL), SAAS_EINVAL);
}
END_TEST

START_TEST(api_refusals)
{
	saas_decision *d = NULL;
	saas_scope *s, *none;
	saas_authz_stats st;
	const char *t;
	char *text = NULL;

	ctx = th_open(url);
	t = th_tenant(ctx, "acme");
	ck_rc(saas_decision_new(NULL), SAAS_EINVAL);
	ck_ok(saas_decision_new(&d));
	/* An empty decision. */
	ck_assert_int_eq(saas_decision_allowed(d), 0);
	ck_assert_int_eq(saas_decision_reason(d), 0);
	ck_assert_ptr_null(saas_decision_role(d));
	ck_assert_ptr_null(saas_decision_pattern(d));
	ck_assert_ptr_null(saas_decision_grant_id(d));
	ck_rc(saas_decision_explain(&text, d), SAAS_EINVAL);
	ck_rc(saas_decision_to_json(&text, d), SAAS_EINVAL);
	ck_assert_int_eq(saas_decision_allowed(NULL), 0);
	ck_assert_int_eq(saas_decision_reason(NULL), 0);
	ck_assert_ptr_null(saas_decision_role(NULL));
	ck_assert_ptr_null(saas_decision_pattern(NULL));
	ck_assert_ptr_null(saas_decision_grant_id(NULL));
	ck_rc(saas_decision_explain(NULL, d), SAAS_EINVAL);
	ck_rc(saas_decision_explain(&text, NULL), SAAS_EINVAL);
	ck_rc(saas_decision_to_json(NULL, d), SAAS_EINVAL);
	ck_rc(saas_decision_to_json(&text, NULL), SAAS_EINVAL);
	saas_decision_free(NULL);

	ck_ok(saas_scope_new(&s, t, SAAS_ACTOR_SYSTEM, "cron"));
	ck_ok(saas_scope_new(&none, NULL, SAAS_ACTOR_SYSTEM, "cron"));
	ck_rc(saas_authorize(d, NULL, s, "tenant:read"), SAAS_EINVAL);
	ck_rc(saas_authorize(d, ctx, NULL, "tenant:read"), SAAS_EINVAL);
	ck_field("scope");
	ck_rc(saas_authorize(d, ctx, none, "tenant:read"), SAAS_EINVAL);
	ck_field("scope");
	for (const char *const *p = (const char *const[]){"Tenant:read", "tenant", "tenant:",
	                                                  "proj*:read", "a:b:c", "", NULL};
	     *p; p++) {
		ck_rc(saas_authorize(d, ctx, s, *p), SAAS_EINVAL);
		ck_field("permission");
	}
	ck_rc(saas_authorize(d, ctx, s, NULL), SAAS_EINVAL);
	ck_field("permission");
	/* A refusal leaves no decision behind. */
	ck_assert_int_eq(saas_decision_reason(d), 0);
	ck_ok(saas_authorize(d, ctx, s, "*:*"));
	ck_assert_int_eq(saas_decision_reason(d), SAAS_REASON_SYSTEM);

	ck_rc(saas_authz_stats_get(NULL, ctx), SAAS_EINVAL);
	ck_rc(saas_authz_stats_get(&st, NULL), SAAS_EINVAL);
	ck_ok(saas_authz_stats_get(&st, ctx));
	ck_assert_uint_eq(st.capacity, 100000);
	ck_rc(saas_authz_invalidate(NULL, t), SAAS_EINVAL);
	ck_rc(saas_authz_invalidate(ctx, "ten_nope"), SAAS_EINVAL);
	ck_ok(saas_authz_invalidate(ctx, t));
	ck_ok(saas_authz_invalidate(ctx, NULL));
	ck_ok(saas_authz_invalidate(ctx, NO_TENANT));

	saas_scope_free(s);
	saas_scope_free(none);
	saas_decision_free(d);
	th_close(ctx);
	ctx = NULL;
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("authz_property");
	TCase *tc = tcase_create("authz_property");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, reason_names);
	tcase_add_test(tc, api_refusals);
	tcase_add_test(tc, every_reason);
	tcase_add_test(tc, property);
	tcase_add_test(tc, property_small_cache);
	tcase_add_test(tc, property_no_cache);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run_on(TH_MEMORY | TH_SQLITE | TH_POSTGRES, &url, suite);
}
