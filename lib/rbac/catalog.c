/*
 * The deployment's role catalog (docs/rbac.md): the built-in roles with their
 * defaults, extended or overridden by the context option rbac_policy, and the
 * application's own roles; each compiled into sorted sets of its effective
 * permissions (own and inherited), once per context.
 */
#include <stdlib.h>
#include <string.h>

#include "saas/rbac.h"
#include "rbac.h"

#define MAX_ROLES 1024
#define MAX_PERMISSIONS 256
#define MAX_INHERITS 16

/* The built-in roles, each inheriting the next; docs/rbac.md has this table. */
static const struct builtin {
	const char *name;
	const char *inherits;
	const char *const *permissions;
} builtins[] = {
	{"owner", "admin", (const char *const[]){"*", NULL}},
	{"admin", "member",
	 (const char *const[]){"tenant:update", "tenant:export", "member:*", "role:*", "apikey:*",
	                       "webhook:*", "audit:read", "audit:export", "billing:read", NULL}},
	{"member", "viewer", (const char *const[]){"apikey:read", "apikey:create", NULL}},
	{"viewer", NULL, (const char *const[]){"tenant:read", "member:read", "role:read", NULL}},
};
#define NBUILTIN (sizeof builtins / sizeof builtins[0])

/* Actions a suspended tenant allows whatever the policy says. */
static const char *const default_read_actions[] = {"read", "list", "export", NULL};
/* Denials audited unless the policy's audit_denials says otherwise: what
 * changes who may do what, or takes data or the tenant away. */
static const char *const default_audit_denials[] = {
	"tenant:update", "tenant:delete", "tenant:export", "member:*", "role:create",
	"role:update", "role:delete", "apikey:create", "apikey:revoke", "billing:manage",
	"audit:export", "support:grant", "support:revoke", NULL};

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A growable array of unique strings, sorted when done. */
struct strset {
	char **v;
	size_t n, cap;
};

static int set_add(struct strset *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return SAAS_OK;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return saas__enomem();
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->n] = saas__strdup(str)))
		return saas__enomem();
	s->n++;
	return SAAS_OK;
}

static void set_sort(struct strset *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, saas__cmp_str);
}

void saas__role_clear(struct saas__role *r)
{
	free(r->name);
	strv_free(r->inherits, r->ninherits);
	strv_free(r->own, r->nown);
	strv_free(r->exact, r->nexact);
	strv_free(r->res_wild, r->nres_wild);
	strv_free(r->act_wild, r->nact_wild);
	memset(r, 0, sizeof *r);
}

void saas__rbac_free(struct saas__rbac *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		saas__role_clear(&r->roles[i]);
	free(r->roles);
	strv_free(r->read_actions, r->nread_actions);
	strv_free(r->audit_denials, r->naudit_denials);
	free(r);
}

/* ---- reading the policy ------------------------------------------------------------ */

static int bad(const char *path, const char *what)
{
	return saas__err(SAAS_EINVAL, "rbac_policy", "rbac_policy: %s: %s", path, what);
}

/* The role being defined while reading (own permissions and inherits as
 * given; built-ins start from their defaults). */
struct draft {
	char *name;
	bool builtin;
	struct strset own, inherits;
	struct strset eff;      /* compiling: own and inherited */
	unsigned char state;    /* compiling: 0 not yet, 1 in progress, 2 done */
};

static void draft_free(struct draft *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].name);
		strv_free(d[i].own.v, d[i].own.n);
		strv_free(d[i].inherits.v, d[i].inherits.n);
		strv_free(d[i].eff.v, d[i].eff.n);
	}
	free(d);
}

static struct draft *draft_find(struct draft *d, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].name, name) == 0)
			return &d[i];
	return NULL;
}

/* A JSON array of strings at `path`, each checked by `check` (which names
 * the item in its error), added to `out`. */
static int read_list(struct strset *out, json_t *arr, const char *path, size_t max,
                     int (*check)(const char *item_path, const char *s))
{
	char item[256];
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return bad(path, "must be an array of strings");
	if (json_array_size(arr) > max) {
		char msg[64];
		snprintf(msg, sizeof msg, "holds more than %zu entries", max);
		return bad(path, msg);
	}
	json_array_foreach(arr, i, v) {
		int rc;
		snprintf(item, sizeof item, "%s[%zu]", path, i);
		if (!json_is_string(v))
			return bad(item, "must be a string");
		if ((rc = check(item, json_string_value(v))) || (rc = set_add(out, json_string_value(v))))
			return rc;
	}
	return SAAS_OK;
}

static int check_perm_item(const char *item, const char *s)
{
	struct saas__perm p;
	char msg[200];

	if (saas__perm_parse(&p, s, "permission") == SAAS_OK)
		return SAAS_OK;
	snprintf(msg, sizeof msg,
	         "'%s' is not a permission (resource:action, each side 1 to 64 of a-z, 0-9, '_', "
	         "'-', or '*'; or '*' alone)",
	         saas__q(s));
	return bad(item, msg);
}

static int check_action_item(const char *item, const char *s)
{
	struct saas__perm p;
	char perm[80], msg[200];

	snprintf(perm, sizeof perm, "x:%s", s);
	if (strlen(s) <= 64 && strcmp(s, "*") != 0 &&
	    saas__perm_parse(&p, perm, "permission") == SAAS_OK)
		return SAAS_OK;
	snprintf(msg, sizeof msg, "'%s' is not an action (1 to 64 of a-z, 0-9, '_', '-')",
	         saas__q(s));
	return bad(item, msg);
}

static int check_role_item(const char *item, const char *s)
{
	char msg[160];

	if (saas__match(SAAS__PAT_ROLE, s))
		return SAAS_OK;
	snprintf(msg, sizeof msg, "'%s' is not a role name ([a-z][a-z0-9_-]{0,63})", saas__q(s));
	return bad(item, msg);
}

/* One entry of "roles". */
static int read_role(struct draft *d, size_t *n, const char *name, json_t *def)
{
	struct draft *r = draft_find(d, *n, name);
	char path[200], p2[220];
	const char *key;
	json_t *v, *replace;
	int rc;

	snprintf(path, sizeof path, "roles.%s", name);
	if (!saas__match(SAAS__PAT_ROLE, name))
		return bad(path, "the role name must be [a-z][a-z0-9_-]{0,63}");
	if (!json_is_object(def))
		return bad(path, "must be an object with permissions (and inherits, or replace for a "
		                 "built-in role)");
	json_object_foreach(def, key, v) {
		if (strcmp(key, "permissions") != 0 && strcmp(key, "inherits") != 0 &&
		    strcmp(key, "replace") != 0) {
			snprintf(p2, sizeof p2, "%s.%s", path, key);
			return bad(p2, "unknown key (permissions, inherits, replace)");
		}
	}
	if (!r) {
		if (*n >= MAX_ROLES)
			return bad(path, "too many roles (at most 1024)");
		r = &d[(*n)++];
		if (!(r->name = saas__strdup(name)))
			return saas__enomem();
	}
	replace = json_object_get(def, "replace");
	if (replace && !json_is_boolean(replace)) {
		snprintf(p2, sizeof p2, "%s.replace", path);
		return bad(p2, "must be true or false");
	}
	if (replace && !r->builtin) {
		snprintf(p2, sizeof p2, "%s.replace", path);
		return bad(p2, "only a built-in role's defaults can be replaced");
	}
	if (r->builtin && json_object_get(def, "inherits")) {
		snprintf(p2, sizeof p2, "%s.inherits", path);
		return bad(p2, "a built-in role's inheritance is fixed (owner > admin > member > "
		               "viewer)");
	}
	if (json_is_true(replace)) {
		strv_free(r->own.v, r->own.n);
		memset(&r->own, 0, sizeof r->own);
	}
	if ((v = json_object_get(def, "permissions"))) {
		snprintf(p2, sizeof p2, "%s.permissions", path);
		if ((rc = read_list(&r->own, v, p2, MAX_PERMISSIONS, check_perm_item)))
			return rc;
	}
	if ((v = json_object_get(def, "inherits"))) {
		snprintf(p2, sizeof p2, "%s.inherits", path);
		if ((rc = read_list(&r->inherits, v, p2, MAX_INHERITS, check_role_item)))
			return rc;
	}
	return SAAS_OK;
}


/* The policy's settings besides roles. */
struct settings {
	struct strset reads;   /* read_actions */
	struct strset denials; /* audit_denials */
	bool denials_given;
};

static int read_policy(struct draft *d, size_t *n, struct settings *set, const char *policy)
{
	json_t *doc, *roles, *def, *v;
	const char *key;
	int rc;

	if ((rc = saas__json_option(&doc, "rbac_policy", policy)) || !doc)
		return rc;
	if (!json_is_object(doc)) {
		rc = bad("(top)", "must be a JSON object with \"roles\"");
		goto out;
	}
	json_object_foreach(doc, key, def) {
		if (strcmp(key, "roles") != 0 && strcmp(key, "read_actions") != 0 &&
		    strcmp(key, "audit_denials") != 0) {
			rc = bad(key, "unknown key (the policy has \"roles\", \"read_actions\" and "
			              "\"audit_denials\")");
			goto out;
		}
	}
	if ((v = json_object_get(doc, "read_actions")) &&
	    (rc = read_list(&set->reads, v, "read_actions", MAX_PERMISSIONS, check_action_item)))
		goto out;
	if ((v = json_object_get(doc, "audit_denials"))) {
		set->denials_given = true;
		if ((rc = read_list(&set->denials, v, "audit_denials", MAX_PERMISSIONS,
		                    check_perm_item)))
			goto out;
	}
	roles = json_object_get(doc, "roles");
	if (roles && !json_is_object(roles)) {
		rc = bad("roles", "must be an object of role name to definition");
		goto out;
	}
	/* In name order, so that the first bad entry is the same every time. */
	{
		const char **names = calloc(json_object_size(roles) + 1, sizeof *names);
		size_t k = 0;
		if (!names) {
			rc = saas__enomem();
			goto out;
		}
		json_object_foreach(roles, key, def)
			names[k++] = key;
		qsort(names, k, sizeof *names, saas__cmp_str);
		for (size_t i = 0; i < k && !rc; i++)
			rc = read_role(d, n, names[i], json_object_get(roles, names[i]));
		free(names);
	}
out:
	json_decref(doc);
	return rc;
}

/* ---- compiling -------------------------------------------------------------------- */

/* Compute d[i].eff: its own permissions and, depth first, those of the
 * roles it inherits (each computed once). An inherited role on the current
 * path is a cycle. */
static int collect(struct draft *d, size_t n, size_t i)
{
	char path[200], msg[200];
	int rc;

	if (d[i].state == 2)
		return SAAS_OK;
	snprintf(path, sizeof path, "roles.%s.inherits", d[i].name);
	if (d[i].state == 1) {
		snprintf(msg, sizeof msg, "role '%s' inherits itself through a cycle", d[i].name);
		return bad(path, msg);
	}
	d[i].state = 1;
	for (size_t k = 0; k < d[i].own.n; k++)
		if ((rc = set_add(&d[i].eff, d[i].own.v[k])))
			return rc;
	for (size_t k = 0; k < d[i].inherits.n; k++) {
		struct draft *p = draft_find(d, n, d[i].inherits.v[k]);
		if (!p) {
			snprintf(msg, sizeof msg, "role '%s' is not defined", d[i].inherits.v[k]);
			return bad(path, msg);
		}
		if ((rc = collect(d, n, (size_t)(p - d))))
			return rc;
		for (size_t m = 0; m < p->eff.n; m++)
			if ((rc = set_add(&d[i].eff, p->eff.v[m])))
				return rc;
	}
	d[i].state = 2;
	return SAAS_OK;
}

/* Split the effective set into the role's lookup arrays. */
static int compile_list(struct saas__role *r, char *const *eff, size_t n)
{
	struct strset exact = {0}, res = {0}, act = {0};
	int rc = SAAS_OK;

	for (size_t i = 0; i < n && !rc; i++) {
		struct saas__perm p;
		saas__perm_parse(&p, eff[i], "permission"); /* checked when read */
		if (p.all)
			r->all = true;
		else if (strcmp(p.res, "*") == 0)
			rc = set_add(&act, eff[i]);
		else if (strcmp(p.act, "*") == 0)
			rc = set_add(&res, eff[i]);
		else
			rc = set_add(&exact, eff[i]);
	}
	set_sort(&exact);
	set_sort(&res);
	set_sort(&act);
	r->exact = exact.v;
	r->nexact = exact.n;
	r->res_wild = res.v;
	r->nres_wild = res.n;
	r->act_wild = act.v;
	r->nact_wild = act.n;
	return rc;
}

static int compile(struct saas__role *r, struct strset *eff)
{
	return compile_list(r, eff->v, eff->n);
}

int saas__role_compile(struct saas__role *out, const char *name, char *const *eff, size_t n)
{
	int rc;

	memset(out, 0, sizeof *out);
	if (!(out->name = saas__strdup(name)))
		return saas__enomem();
	rc = compile_list(out, eff, n);
	if (rc)
		saas__role_clear(out);
	return rc;
}

static int cmp_role(const void *a, const void *b)
{
	return strcmp(((const struct saas__role *)a)->name, ((const struct saas__role *)b)->name);
}

int saas__rbac_new(struct saas__rbac **out, const char *policy)
{
	struct draft *d = calloc(MAX_ROLES, sizeof *d);
	struct saas__rbac *r = calloc(1, sizeof *r);
	struct settings set = {0};
	size_t n = 0;
	int rc = SAAS_OK;

	*out = NULL;
	if (!d || !r) {
		rc = saas__enomem();
		goto out;
	}
	for (size_t i = 0; i < NBUILTIN && !rc; i++) {
		d[n].builtin = true;
		if (!(d[n].name = saas__strdup(builtins[i].name)))
			rc = saas__enomem();
		for (const char *const *p = builtins[i].permissions; !rc && *p; p++)
			rc = set_add(&d[n].own, *p);
		if (!rc && builtins[i].inherits)
			rc = set_add(&d[n].inherits, builtins[i].inherits);
		n++;
	}
	if (!rc)
		rc = read_policy(d, &n, &set, policy);
	for (const char *const *a = default_read_actions; !rc && *a; a++)
		rc = set_add(&set.reads, *a);
	for (const char *const *a = default_audit_denials; !rc && !set.denials_given && *a; a++)
		rc = set_add(&set.denials, *a);
	if (!rc) {
		set_sort(&set.reads);
		r->read_actions = set.reads.v;
		r->nread_actions = set.reads.n;
		r->audit_denials = set.denials.v;
		r->naudit_denials = set.denials.n;
		memset(&set, 0, sizeof set);
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = collect(d, n, i);
	if (!rc && !(r->roles = calloc(n, sizeof *r->roles)))
		rc = saas__enomem();
	/* Each draft becomes a role: its strings move over, its effective set
	 * is split into the lookup arrays. */
	for (size_t i = 0; i < n && !rc; i++) {
		struct saas__role *role = &r->roles[r->n++];

		set_sort(&d[i].own);
		set_sort(&d[i].inherits);
		role->builtin = d[i].builtin;
		role->name = d[i].name;
		role->own = d[i].own.v;
		role->nown = d[i].own.n;
		role->inherits = d[i].inherits.v;
		role->ninherits = d[i].inherits.n;
		d[i].name = NULL;
		memset(&d[i].own, 0, sizeof d[i].own);
		memset(&d[i].inherits, 0, sizeof d[i].inherits);
		rc = compile(role, &d[i].eff);
	}
	if (!rc) {
		qsort(r->roles, r->n, sizeof *r->roles, cmp_role);
		*out = r;
		r = NULL;
	}
out:
	if (d)
		draft_free(d, n);
	strv_free(set.reads.v, set.reads.n);
	strv_free(set.denials.v, set.denials.n);
	saas__rbac_free(r);
	return rc;
}

const struct saas__role *saas__rbac_role(const struct saas__rbac *r, const char *name)
{
	struct saas__role key = {.name = (char *)name};

	if (!r || !name)
		return NULL;
	return bsearch(&key, r->roles, r->n, sizeof *r->roles, cmp_role);
}

static const char *find(char *const *v, size_t n, const char *s)
{
	char *const *hit = n ? bsearch(&s, v, n, sizeof *v, saas__cmp_str) : NULL;

	return hit ? *hit : NULL;
}

const char *saas__role_match(const struct saas__role *role, const struct saas__perm *p,
                             const char *perm)
{
	char key[SAAS_PERMISSION_MAX + 1];
	const char *hit;

	if (role->all)
		return "*";
	if (p->all)
		return NULL;
	if ((hit = find(role->exact, role->nexact, perm)))
		return hit;
	/* "res:*" and "*:act", made by hand: this is every decision's path. */
	if (role->nres_wild && strcmp(p->res, "*") != 0) {
		size_t n = strlen(p->res);
		memcpy(key, p->res, n);
		memcpy(key + n, ":*", 3);
		if ((hit = find(role->res_wild, role->nres_wild, key)))
			return hit;
	}
	if (role->nact_wild && strcmp(p->act, "*") != 0) {
		size_t n = strlen(p->act);
		memcpy(key, "*:", 2);
		memcpy(key + 2, p->act, n + 1);
		if ((hit = find(role->act_wild, role->nact_wild, key)))
			return hit;
	}
	return NULL;
}

bool saas__rbac_read_action(const struct saas__rbac *r, const char *action)
{
	return find(r->read_actions, r->nread_actions, action) != NULL;
}

/* Two sides name something in common when either is `*` or they are equal. */
static bool side_meets(const char *a, const char *b)
{
	return strcmp(a, "*") == 0 || strcmp(b, "*") == 0 || strcmp(a, b) == 0;
}

bool saas__rbac_audit_denial(const struct saas__rbac *r, const struct saas__perm *p)
{
	for (size_t i = 0; i < r->naudit_denials; i++) {
		struct saas__perm d;
		saas__perm_parse(&d, r->audit_denials[i], "permission"); /* checked when read */
		if (d.all || p->all || (side_meets(d.res, p->res) && side_meets(d.act, p->act)))
			return true;
	}
	return false;
}

/* ---- public ------------------------------------------------------------------------ */

int saas_rbac_role_grants(const char **out_pattern, saas_ctx *ctx, const char *role,
                          const char *permission)
{
	const struct saas__role *r;
	struct saas__perm p;
	const char *hit;
	int rc;

	if (out_pattern)
		*out_pattern = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__perm_parse(&p, permission, "permission")))
		return rc;
	if (!role || !saas__match(SAAS__PAT_ROLE, role))
		return saas__err(SAAS_EINVAL, "role", "role '%s' is not a role name",
		                 saas__q(role ? role : "(null)"));
	r = saas__rbac_role(ctx->rbac, role);
	if (!r)
		return saas__err(SAAS_ENOTFOUND, "role", "no role '%s' in the deployment's catalog",
		                 saas__q(role));
	hit = saas__role_match(r, &p, permission);
	if (out_pattern)
		*out_pattern = hit;
	return hit ? 1 : 0;
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int saas__role_each(const struct saas__role *r, int (*fn)(const char *perm, void *payload),
                    void *payload)
{
	int rc = SAAS_OK;

	if (r->all)
		return fn("*", payload);
	for (size_t i = 0; !rc && i < r->nexact; i++)
		rc = fn(r->exact[i], payload);
	for (size_t i = 0; !rc && i < r->nres_wild; i++)
		rc = fn(r->res_wild[i], payload);
	for (size_t i = 0; !rc && i < r->nact_wild; i++)
		rc = fn(r->act_wild[i], payload);
	return rc;
}

static int set_add_fn(const char *perm, void *payload)
{
	return set_add(payload, perm);
}

json_t *saas__role_effective_json(const struct saas__role *r)
{
	struct strset all = {0};
	json_t *a;

	if (saas__role_each(r, set_add_fn, &all))
		goto oom;
	set_sort(&all);
	a = strv_json(all.v, all.n);
	strv_free(all.v, all.n);
	return a;
oom:
	strv_free(all.v, all.n);
	return NULL;
}

json_t *saas__role_json(const struct saas__role *r)
{
	return json_pack("{s:s,s:b,s:o,s:o,s:o}", "name", r->name, "builtin", r->builtin,
	                 "inherits", strv_json(r->inherits, r->ninherits), "permissions",
	                 strv_json(r->own, r->nown), "effective", saas__role_effective_json(r));
}

int saas_rbac_catalog_json(char **out, saas_ctx *ctx)
{
	json_t *roles, *doc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	roles = json_array();
	for (size_t i = 0; roles && i < ctx->rbac->n; i++) {
		json_t *o = saas__role_json(&ctx->rbac->roles[i]);
		if (!o || json_array_append_new(roles, o)) {
			json_decref(roles);
			roles = NULL;
		}
	}
	doc = roles ? json_pack("{s:o}", "roles", roles) : NULL;
	*out = doc ? saas__json_take_dump(doc) : NULL;
	return *out ? SAAS_OK : saas__enomem();
}
