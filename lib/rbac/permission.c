/* Permission strings: `resource:action`, either side `*`, or `*` alone. */
#include <string.h>

#include "saas/rbac.h"
#include "rbac.h"

#define SIDE_MAX 64

/* A side: `*`, or 1 to SIDE_MAX of [a-z0-9_-]. */
static bool side_ok(const char *s, size_t n)
{
	if (n == 1 && s[0] == '*')
		return true;
	if (n == 0 || n > SIDE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int saas__perm_parse(struct saas__perm *p, const char *s, const char *field)
{
	const char *colon;
	size_t rn, an;

	memset(p, 0, sizeof *p);
	if (!s)
		return saas__err(SAAS_EINVAL, field, "%s is NULL", field);
	if (strcmp(s, "*") == 0) {
		p->all = true;
		p->res[0] = p->act[0] = '*';
		return SAAS_OK;
	}
	colon = strchr(s, ':');
	if (!colon)
		goto bad;
	rn = (size_t)(colon - s);
	an = strlen(colon + 1);
	if (!side_ok(s, rn) || !side_ok(colon + 1, an))
		goto bad;
	memcpy(p->res, s, rn);
	memcpy(p->act, colon + 1, an);
	p->all = strcmp(p->res, "*") == 0 && strcmp(p->act, "*") == 0; /* "*:*" is "*" */
	return SAAS_OK;
bad:
	return saas__err(SAAS_EINVAL, field,
	                 "%s '%s' is not resource:action (each side 1 to 64 of a-z, 0-9, '_', '-', "
	                 "or '*'; or '*' alone)",
	                 field, saas__q(s));
}

int saas_permission_check(const char *permission)
{
	struct saas__perm p;

	return saas__perm_parse(&p, permission, "permission");
}

/*
 * Grant g covers request r when g is everything, or when each side of g is
 * `*` or equal to r's. A request's `*` side thus asks for all it names: only
 * a grant with `*` on that side covers it.
 */
int saas_permission_covers(const char *pattern, const char *permission)
{
	struct saas__perm g, r;
	int rc;

	if ((rc = saas__perm_parse(&g, pattern, "pattern")) ||
	    (rc = saas__perm_parse(&r, permission, "permission")))
		return rc;
	if (g.all)
		return 1;
	if (r.all)
		return 0;
	return (strcmp(g.res, "*") == 0 || strcmp(g.res, r.res) == 0) &&
	       (strcmp(g.act, "*") == 0 || strcmp(g.act, r.act) == 0);
}
