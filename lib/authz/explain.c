/* Decisions as values: their parts, their names, and their explanation as
 * text and JSON (docs/authz.md, "Explanations"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saas/tenant.h"
#include "authz.h"

static const char *const reason_names[SAAS_REASON_MAX + 1] = {
	[SAAS_REASON_ROLE] = "role",
	[SAAS_REASON_SYSTEM] = "system",
	[SAAS_REASON_SUPPORT_GRANT] = "support_grant",
	[SAAS_REASON_TENANT_NOT_FOUND] = "tenant_not_found",
	[SAAS_REASON_TENANT_SUSPENDED] = "tenant_suspended",
	[SAAS_REASON_TENANT_DELETED] = "tenant_deleted",
	[SAAS_REASON_NOT_MEMBER] = "not_member",
	[SAAS_REASON_NO_ROLE_GRANTS] = "no_role_grants",
	[SAAS_REASON_SUPPORT_GRANT_MISSING] = "support_grant_missing",
	[SAAS_REASON_SUPPORT_GRANT_EXPIRED] = "support_grant_expired",
	[SAAS_REASON_SUPPORT_GRANT_LACKS] = "support_grant_lacks",
	[SAAS_REASON_APIKEY_UNKNOWN] = "apikey_unknown",
	[SAAS_REASON_APIKEY] = "apikey",
	[SAAS_REASON_APIKEY_REVOKED] = "apikey_revoked",
	[SAAS_REASON_APIKEY_EXPIRED] = "apikey_expired",
	[SAAS_REASON_APIKEY_LACKS] = "apikey_lacks",
	[SAAS_REASON_APIKEY_CREATOR_LACKS] = "apikey_creator_lacks",
	[SAAS_REASON_PLAN_LACKS_FEATURE] = "plan_lacks_feature",
};

static const char *const actor_names[] = {"system", "user", "apikey", "support"};

const char *saas_reason_name(int reason)
{
	return reason > 0 && reason <= SAAS_REASON_MAX ? reason_names[reason] : "unknown";
}

int saas_reason_from_name(const char *name)
{
	for (int i = 1; name && i <= SAAS_REASON_MAX; i++)
		if (strcmp(reason_names[i], name) == 0)
			return i;
	return saas__err(SAAS_EINVAL, "reason", "'%s' is not a reason (role, not_member, …)",
	                 saas__q(name ? name : "(null)"));
}

int saas_decision_new(saas_decision **out)
{
	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = calloc(1, sizeof **out);
	return *out ? SAAS_OK : saas__enomem();
}

void saas_decision_free(saas_decision *d)
{
	free(d);
}

int saas_decision_allowed(const saas_decision *d)
{
	return d && d->set && d->allowed;
}

int saas_decision_reason(const saas_decision *d)
{
	return d && d->set ? d->reason : 0;
}

static const char *or_null(const saas_decision *d, const char *s)
{
	return d && d->set && s[0] ? s : NULL;
}

const char *saas_decision_role(const saas_decision *d)
{
	return d ? or_null(d, d->role) : NULL;
}

const char *saas_decision_pattern(const saas_decision *d)
{
	return d ? or_null(d, d->pattern) : NULL;
}

const char *saas_decision_grant_id(const saas_decision *d)
{
	return d ? or_null(d, d->grant_id) : NULL;
}

static const char *actor_name(int type)
{
	return type >= 0 && type <= 3 ? actor_names[type] : "actor";
}

/* A bounded string builder: every decision denied formats its explanation
 * (it becomes the error message), so this path avoids printf. */
struct sb {
	char *p;
	size_t n, cap;
};

static void put(struct sb *b, const char *s)
{
	size_t l = strlen(s);

	if (l > b->cap - 1 - b->n)
		l = b->cap - 1 - b->n;
	memcpy(b->p + b->n, s, l);
	b->n += l;
	b->p[b->n] = '\0';
}

static void put_time(struct sb *b, int64_t ms)
{
	char t[32];

	saas__time_rfc3339(t, ms);
	put(b, t);
}

/* Why, after "allowed: …" or "denied: …". */
static void why(struct sb *b, const saas_decision *d)
{
	switch (d->reason) {
	case SAAS_REASON_ROLE:
		put(b, "role '");
		put(b, d->role);
		put(b, "' grants it through '");
		put(b, d->pattern);
		put(b, "'");
		break;
	case SAAS_REASON_SYSTEM:
		put(b, "the system actor may do anything the tenant's status allows");
		break;
	case SAAS_REASON_SUPPORT_GRANT:
		put(b, "support grant ");
		put(b, d->grant_id);
		put(b, " (role '");
		put(b, d->role);
		put(b, "', until ");
		put_time(b, d->grant_expires_at);
		put(b, ") grants it through '");
		put(b, d->pattern);
		put(b, "'");
		break;
	case SAAS_REASON_TENANT_NOT_FOUND:
		put(b, "the tenant does not exist");
		break;
	case SAAS_REASON_TENANT_SUSPENDED:
		put(b, "the tenant is suspended: only read actions are allowed");
		break;
	case SAAS_REASON_TENANT_DELETED:
		put(b, "the tenant is pending deletion: only tenant:read, tenant:restore, "
		       "tenant:export and audit:export are allowed");
		break;
	case SAAS_REASON_NOT_MEMBER:
		put(b, "the user is not a member of the tenant");
		break;
	case SAAS_REASON_NO_ROLE_GRANTS:
		put(b, "none of the member's roles (");
		put(b, d->roles);
		put(b, ") grants it");
		break;
	case SAAS_REASON_SUPPORT_GRANT_MISSING:
		put(b, "no support grant of the tenant covers this support actor");
		break;
	case SAAS_REASON_SUPPORT_GRANT_EXPIRED:
		put(b, "support grant ");
		put(b, d->grant_id);
		put(b, " expired at ");
		put_time(b, d->grant_expires_at);
		break;
	case SAAS_REASON_SUPPORT_GRANT_LACKS:
		put(b, "support grant ");
		put(b, d->grant_id);
		put(b, " gives role '");
		put(b, d->role);
		put(b, "', which does not grant it");
		break;
	case SAAS_REASON_APIKEY_UNKNOWN:
		put(b, "the tenant has no API key with this id");
		break;
	case SAAS_REASON_APIKEY:
		put(b, "the key's permissions include it and its creator's role '");
		put(b, d->role);
		put(b, "' grants it (");
		put(b, d->pattern);
		put(b, ")");
		break;
	case SAAS_REASON_APIKEY_REVOKED:
		put(b, "the API key was revoked");
		break;
	case SAAS_REASON_APIKEY_EXPIRED:
		put(b, "the API key has expired");
		break;
	case SAAS_REASON_APIKEY_LACKS:
		put(b, "the key's own permissions do not include it");
		break;
	case SAAS_REASON_APIKEY_CREATOR_LACKS:
		put(b, "the key's creator may not do it (roles: ");
		put(b, d->roles[0] ? d->roles : "none; no longer a member");
		put(b, ")");
		break;
	case SAAS_REASON_PLAN_LACKS_FEATURE:
		put(b, "the tenant's plan lacks the feature '");
		put(b, d->feature);
		put(b, "' that it needs");
		break;
	default:
		put(b, "no reason recorded");
	}
}

void saas__decision_text(char *buf, size_t size, const saas_decision *d)
{
	struct sb b = {buf, 0, size};

	buf[0] = '\0';
	put(&b, d->allowed ? "allowed: " : "denied: ");
	put(&b, actor_name(d->actor_type));
	put(&b, " ");
	put(&b, d->actor_id);
	put(&b, d->allowed ? " may do " : " may not do ");
	put(&b, d->permission);
	put(&b, " in tenant ");
	put(&b, d->tenant_id);
	put(&b, ": ");
	why(&b, d);
}

int saas_decision_explain(char **out, const saas_decision *d)
{
	char text[1024];

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!d || !d->set)
		return saas__err(SAAS_EINVAL, "decision",
		                 d ? "the decision is empty (saas_authorize did not fill it)"
		                   : "decision is NULL");
	saas__decision_text(text, sizeof text, d);
	*out = saas__strdup(text);
	return *out ? SAAS_OK : saas__enomem();
}

int saas_decision_to_json(char **out, const saas_decision *d)
{
	char text[1024];
	json_t *roles, *o;
	int rc;

	if ((rc = saas_decision_explain(out, d)))
		return rc;
	saas_free(*out);
	*out = NULL;
	saas__decision_text(text, sizeof text, d);
	roles = json_array();
	for (const char *p = d->roles; roles && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		json_array_append_new(roles, json_stringn(p, n));
		p += n + (comma ? 1 : 0);
	}
	o = roles ? json_pack("{s:b,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:o}", "allowed",
	                      d->allowed, "reason", saas_reason_name(d->reason), "tenant_id",
	                      d->tenant_id, "actor_type", actor_name(d->actor_type), "actor_id",
	                      d->actor_id, "permission", d->permission, "role",
	                      saas__json_str_or_null(or_null(d, d->role)), "pattern",
	                      saas__json_str_or_null(or_null(d, d->pattern)), "grant_id",
	                      saas__json_str_or_null(or_null(d, d->grant_id)), "roles", roles,
	                      "tenant_status",
	                      d->tenant_status < 0 ? json_null()
	                                           : json_string(saas_tenant_status_name(
	                                                     d->tenant_status)),
	                      "explanation", text, "feature",
	                      saas__json_str_or_null(d->feature[0] ? d->feature : NULL))
	      : NULL;
	*out = o ? saas__json_take_dump(o) : NULL;
	return *out ? SAAS_OK : saas__enomem();
}
