/* Invitations: an email and roles, a single-use token shown once and stored
 * only as a hash, an expiry. Accepting one creates the membership. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "saas/id.h"
#include "saas/identity.h"
#include "../audit/audit.h"
#include "../rbac/rbac.h"
#include "../tenant/tenant_internal.h"
#include "identity_internal.h"

#define TOKEN_PREFIX "ivt_"
#define TOKEN_BYTES 32
/* base64url without padding of TOKEN_BYTES bytes */
#define TOKEN_B64_LEN ((4 * TOKEN_BYTES + 2) / 3)
#define TTL_MIN 60
#define TTL_MAX (90 * 24 * 3600)

/* Check a token's shape without ever echoing it. */
static int token_check(const char *token)
{
	size_t plen = strlen(TOKEN_PREFIX);

	if (!token)
		return saas__err(SAAS_EINVAL, "token", "token is required");
	if (strncmp(token, TOKEN_PREFIX, plen) != 0 || strlen(token) != plen + TOKEN_B64_LEN)
		goto bad;
	for (const char *p = token + plen; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			goto bad;
	}
	return SAAS_OK;
bad:
	return saas__err(SAAS_EINVAL, "token",
	                 "token is malformed: expected '%s' followed by %d base64url characters",
	                 TOKEN_PREFIX, TOKEN_B64_LEN);
}

static const char *status_of(const struct saas_invitation *i)
{
	if (i->revoked_at)
		return "revoked";
	if (i->accepted_at)
		return "accepted";
	if (i->expires_at <= i->read_at)
		return "expired";
	return "pending";
}

/* Refuse an invitation for an email whose user is already a member. */
static int check_not_member(saas_tx *tx, const char *email)
{
	struct saas_user *u = NULL;
	struct saas_member *m = NULL;
	int rc;

	rc = saas__st_user_get_email(&u, tx, email);
	if (rc == SAAS_ENOTFOUND)
		return SAAS_OK;
	if (!rc) {
		rc = saas__st_member_get(&m, tx, u->id);
		if (rc == SAAS_ENOTFOUND)
			rc = SAAS_OK;
		else if (!rc)
			rc = saas__err(SAAS_EEXISTS, "email",
			               "user %s with email '%s' is already a member of %s", u->id,
			               saas__q(email), saas__q(saas__tx_tenant(tx)));
	}
	saas__member_row_free(m);
	saas__user_row_free(u);
	return rc;
}

int saas_invitation_create(saas_invitation **out, char **out_token, saas_ctx *ctx,
                           const saas_scope *scope, const char *email,
                           const char *const *roles, size_t nroles, int64_t ttl_seconds)
{
	struct saas_invitation *inv = NULL;
	char hash[65] = "";
	char *token = NULL;
	saas_tx *tx = NULL;
	json_t *meta;
	int64_t t0;
	int rc;

	if (out)
		*out = NULL;
	if (out_token)
		*out_token = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out_token) {
		rc = saas__err(SAAS_EINVAL, "out_token", "out_token is NULL");
		goto done;
	}
	rc = saas__scope_tenant(scope);
	if (rc)
		goto done;
	inv = calloc(1, sizeof *inv);
	if (!inv) {
		rc = saas__enomem();
		goto done;
	}
	rc = saas_email_normalize(&inv->email, email);
	if (!rc)
		rc = saas__roles_normalize(&inv->roles, &inv->nroles, roles, nroles);
	if (!rc && ttl_seconds != 0 && (ttl_seconds < TTL_MIN || ttl_seconds > TTL_MAX))
		rc = saas__err(SAAS_EINVAL, "ttl_seconds",
		               "ttl_seconds %lld is out of range: use %d to %d (90 days), or 0 for "
		               "the default of %d",
		               (long long)ttl_seconds, TTL_MIN, TTL_MAX,
		               SAAS_INVITATION_TTL_DEFAULT);
	if (rc)
		goto done;
	if (ttl_seconds == 0)
		ttl_seconds = SAAS_INVITATION_TTL_DEFAULT;

	inv->tenant_id = saas__strdup(scope->tenant_id);
	inv->invited_by = saas__strdup(scope->actor_id);
	token = saas__secret_new(TOKEN_PREFIX, TOKEN_BYTES);
	if (!inv->tenant_id || !inv->invited_by || !token) {
		rc = saas__enomem();
		goto done;
	}
	saas__secret_hash(hash, token);
	rc = saas_id_new(&inv->id, ctx, "inv");
	if (rc)
		goto done;
	inv->created_at = inv->read_at = saas__now(ctx);
	inv->expires_at = inv->created_at + ttl_seconds * 1000;

	rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE);
	if (rc)
		goto done;
	rc = check_not_member(tx, inv->email);
	if (!rc)
		rc = saas__roles_check_known(NULL, tx, inv->roles, inv->nroles);
	if (!rc) {
		rc = saas__st_invitation_insert(tx, inv, hash);
		/* 128-bit ids and 256-bit tokens: a collision means broken randomness */
		if (rc == SAAS_EEXISTS)
			rc = saas__err(SAAS_EINTERNAL, NULL,
			               "invitation id or token collision in %s",
			               saas__q(inv->tenant_id));
	}
	if (!rc) {
		/* Neither the email nor the token goes into the log. */
		meta = json_pack("{s:o, s:I}", "roles", saas__roles_json(inv->roles, inv->nroles),
		                 "expires_at", (json_int_t)inv->expires_at);
		rc = meta ? saas__audit_append(tx, scope, "invitation.created", "invitation",
		                               inv->id, meta)
		          : saas__enomem();
	}
	rc = saas__tx_finish(tx, rc);
	if (rc)
		goto done;
	*out_token = token;
	token = NULL;
	if (out) {
		*out = inv;
		inv = NULL;
	}
done:
	sodium_memzero(hash, sizeof hash);
	saas_free_secret(token);
	saas__invitation_row_free(inv);
	saas__op_done(ctx, "invitation.create", t0, rc);
	return rc;
}

int saas_invitation_accept(saas_member **out, saas_ctx *ctx, const saas_scope *scope,
                           const char *token, const char *user_id)
{
	struct saas_invitation *inv = NULL;
	struct saas_user *u = NULL;
	struct saas_member *m = NULL;
	char hash[65] = "";
	saas_tx *tx = NULL;
	int64_t t0, now, changed = 0;
	json_t *meta;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc)
		rc = token_check(token);
	if (!rc)
		rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE);
	if (rc)
		goto done;
	saas__secret_hash(hash, token);
	now = saas__now(ctx);

	rc = saas__st_invitation_get_token(&inv, tx, hash);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "token", "no invitation with this token in %s",
		               saas__q(scope->tenant_id));
	if (rc)
		goto fail;
	if (inv->revoked_at)
		rc = saas__err(SAAS_ESTATE, "token", "invitation %s was revoked", inv->id);
	else if (inv->accepted_at)
		rc = saas__err(SAAS_EUSED, "token", "invitation %s was already accepted", inv->id);
	else if (inv->expires_at <= now)
		rc = saas__err(SAAS_EEXPIRED, "token", "invitation %s has expired", inv->id);
	if (rc)
		goto fail;

	rc = saas__st_user_get(&u, tx, user_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "user_id", "user %s does not exist",
		               saas__q(user_id));
	if (!rc && strcmp(u->email, inv->email) != 0)
		rc = saas__err(SAAS_EDENIED, "user_id",
		               "invitation %s was sent to another email address than user %s's",
		               inv->id, saas__q(user_id));
	if (!rc) {
		/* A custom role deleted since the invitation was made: refuse, and
		 * leave the invitation pending (it can be revoked). */
		const char *gone = NULL;
		rc = saas__roles_check_known(&gone, tx, inv->roles, inv->nroles);
		if (rc == SAAS_ENOTFOUND && gone)
			rc = saas__err(SAAS_ESTATE, "roles",
			               "invitation %s gives the role '%s', which no longer exists in "
			               "%s: revoke it and invite again",
			               inv->id, saas__q(gone), saas__q(scope->tenant_id));
	}
	if (!rc)
		rc = saas__member_create(&m, tx, scope, user_id, inv->roles, inv->nroles, inv->id);
	if (!rc)
		rc = saas__st_invitation_mark_accepted(&changed, tx, inv->id, user_id, now);
	if (!rc && changed == 0)
		rc = saas__err(SAAS_EUSED, "token", "invitation %s was already accepted", inv->id);
	if (!rc) {
		meta = json_pack("{s:s, s:s}", "user_id", user_id, "membership_id", m->id);
		rc = meta ? saas__audit_append(tx, scope, "invitation.accepted", "invitation",
		                               inv->id, meta)
		          : saas__enomem();
	}
fail:
	rc = saas__tx_finish(tx, rc);
	if (rc == SAAS_ELIMIT)
		saas__member_refused(ctx, scope, user_id, inv ? inv->id : NULL);
	if (!rc && out) {
		*out = m;
		m = NULL;
	}
done:
	sodium_memzero(hash, sizeof hash);
	saas__member_row_free(m);
	saas__user_row_free(u);
	saas__invitation_row_free(inv);
	saas__op_done(ctx, "invitation.accept", t0, rc);
	return rc;
}

int saas_invitation_revoke(saas_ctx *ctx, const saas_scope *scope, const char *invitation_id)
{
	struct saas_invitation *inv = NULL;
	saas_tx *tx = NULL;
	int64_t t0, changed = 0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc)
		rc = saas__id_check(invitation_id, "inv", "invitation_id");
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__WRITE);
	if (rc)
		goto done;
	rc = saas__st_invitation_get(&inv, tx, invitation_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "invitation_id",
		               "invitation %s does not exist in %s", saas__q(invitation_id),
		               saas__q(scope->tenant_id));
	if (!rc && inv->accepted_at)
		rc = saas__err(SAAS_EUSED, "invitation_id", "invitation %s was already accepted",
		               inv->id);
	else if (!rc && inv->revoked_at)
		rc = saas__err(SAAS_ESTATE, "invitation_id", "invitation %s is already revoked",
		               inv->id);
	if (!rc)
		rc = saas__st_invitation_mark_revoked(&changed, tx, invitation_id, saas__now(ctx));
	if (!rc && changed == 0)
		rc = saas__err(SAAS_ECONFLICT, "invitation_id",
		               "invitation %s changed while it was being revoked", inv->id);
	if (!rc)
		rc = saas__audit_append(tx, scope, "invitation.revoked", "invitation", inv->id,
		                        NULL);
	rc = saas__tx_finish(tx, rc);
done:
	saas__invitation_row_free(inv);
	saas__op_done(ctx, "invitation.revoke", t0, rc);
	return rc;
}

int saas_invitation_get(saas_invitation **out, saas_ctx *ctx, const saas_scope *scope,
                        const char *invitation_id)
{
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__scope_tenant(scope);
	if (!rc)
		rc = saas__id_check(invitation_id, "inv", "invitation_id");
	if (!rc)
		rc = saas__tenant_tx(&tx, ctx, scope, SAAS__READ);
	if (rc)
		goto done;
	rc = saas__st_invitation_get(out, tx, invitation_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "invitation_id",
		               "invitation %s does not exist in %s", saas__q(invitation_id),
		               saas__q(scope->tenant_id));
	rc = saas__tx_finish(tx, rc);
	if (rc) {
		saas__invitation_row_free(*out);
		*out = NULL;
	}
done:
	saas__op_done(ctx, "invitation.get", t0, rc);
	return rc;
}

/* ---- accessors ------------------------------------------------------------------ */

const char *saas_invitation_id(const saas_invitation *i)
{
	return i ? i->id : NULL;
}

const char *saas_invitation_email(const saas_invitation *i)
{
	return i ? i->email : NULL;
}

const char *saas_invitation_status(const saas_invitation *i)
{
	return i ? status_of(i) : NULL;
}

int64_t saas_invitation_expires_at(const saas_invitation *i)
{
	return i ? i->expires_at : 0;
}

int saas_invitation_to_json(char **out, const saas_invitation *i)
{
	json_t *v;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!i)
		return saas__err(SAAS_EINVAL, "invitation", "invitation is NULL");
	v = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o}", "id", i->id, "tenant_id",
	              i->tenant_id, "email", i->email, "roles",
	              saas__roles_json(i->roles, i->nroles), "status", status_of(i), "created_at",
	              saas__json_time(i->created_at), "expires_at",
	              saas__json_time(i->expires_at));
	*out = saas__json_take_dump(v);
	return *out ? SAAS_OK : saas__enomem();
}

void saas_invitation_free(saas_invitation *i)
{
	saas__invitation_row_free(i);
}
