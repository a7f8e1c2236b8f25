/* Users: deployment-wide accounts with a normalised, unique email. */
#include <stdlib.h>
#include <string.h>

#include "saas/id.h"
#include "saas/identity.h"
#include "../audit/audit.h"
#include "identity_internal.h"

#define EMAIL_MAX 254
#define DISPLAY_NAME_MAX 200

static bool is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int saas_email_normalize(char **out, const char *email)
{
	const char *start, *end;
	size_t len;
	char *s;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!email)
		return saas__err(SAAS_EINVAL, "email", "email is required");
	start = email;
	while (is_ascii_space(*start))
		start++;
	end = start + strlen(start);
	while (end > start && is_ascii_space(end[-1]))
		end--;
	len = (size_t)(end - start);
	if (len == 0)
		return saas__err(SAAS_EINVAL, "email", "email must not be empty");
	if (len > EMAIL_MAX)
		return saas__err(SAAS_EINVAL, "email",
		                 "email '%s' is %zu bytes long; at most %d are allowed",
		                 saas__q(email), len, EMAIL_MAX);
	s = malloc(len + 1);
	if (!s)
		return saas__enomem();
	for (size_t i = 0; i < len; i++) {
		char c = start[i];
		s[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	s[len] = '\0';
	if (!saas__match(SAAS__PAT_EMAIL, s)) {
		free(s);
		return saas__err(SAAS_EINVAL, "email", "email '%s' is not a valid address",
		                 saas__q(email));
	}
	*out = s;
	return SAAS_OK;
}

int saas__user_new_row(struct saas_user **out, saas_ctx *ctx, const char *email,
                       const char *display_name)
{
	struct saas_user *u;
	int rc;

	*out = NULL;
	u = calloc(1, sizeof *u);
	if (!u)
		return saas__enomem();
	rc = saas_email_normalize(&u->email, email);
	if (!rc && display_name)
		rc = saas__check_text("display_name", display_name, DISPLAY_NAME_MAX, true);
	if (!rc && !(u->display_name = saas__strdup(display_name ? display_name : "")))
		rc = saas__enomem();
	if (!rc)
		rc = saas_id_new(&u->id, ctx, "usr");
	if (rc) {
		saas__user_row_free(u);
		return rc;
	}
	u->created_at = u->updated_at = saas__now(ctx);
	*out = u;
	return SAAS_OK;
}

int saas__user_insert_tx(saas_tx *tx, const saas_scope *scope, const struct saas_user *u)
{
	int rc = saas__st_user_insert(tx, u);

	if (rc == SAAS_EEXISTS)
		rc = saas__err(SAAS_EEXISTS, "email", "email '%s' is already registered",
		               saas__q(u->email));
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "user.created", "user", u->id, NULL);
	return rc;
}

int saas_user_create(saas_user **out, saas_ctx *ctx, const saas_scope *scope, const char *email,
                     const char *display_name)
{
	struct saas_user *u = NULL;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc;

	if (out)
		*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!scope) {
		rc = saas__err(SAAS_EINVAL, "scope", "scope is NULL");
		goto done;
	}
	rc = saas__user_new_row(&u, ctx, email, display_name);
	if (rc)
		goto done;
	rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (rc)
		goto done;
	rc = saas__tx_finish(tx, saas__user_insert_tx(tx, scope, u));
	if (rc)
		goto done;
	if (out) {
		*out = u;
		u = NULL;
	}
done:
	saas__user_row_free(u);
	saas__op_done(ctx, "user.create", t0, rc);
	return rc;
}

/* Read a user in a global read transaction, by id or by normalised email. */
static int user_read(saas_user **out, saas_ctx *ctx, const char *id, const char *email)
{
	saas_tx *tx;
	int rc;

	rc = saas__tx_begin(&tx, ctx, NULL, false);
	if (rc)
		return rc;
	rc = id ? saas__st_user_get(out, tx, id) : saas__st_user_get_email(out, tx, email);
	if (rc == SAAS_ENOTFOUND)
		rc = id ? saas__err(SAAS_ENOTFOUND, "user_id", "user %s does not exist",
		                    saas__q(id))
		        : saas__err(SAAS_ENOTFOUND, "email", "no user has the email '%s'",
		                    saas__q(email));
	if (rc) {
		saas__tx_rollback(tx);
		return rc;
	}
	rc = saas__tx_commit(tx);
	if (rc) {
		saas__user_row_free(*out);
		*out = NULL;
	}
	return rc;
}

int saas_user_get(saas_user **out, saas_ctx *ctx, const char *user_id)
{
	int64_t t0;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = user_read(out, ctx, user_id, NULL);
	saas__op_done(ctx, "user.get", t0, rc);
	return rc;
}

int saas_user_get_by_email(saas_user **out, saas_ctx *ctx, const char *email)
{
	char *norm = NULL;
	int64_t t0;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas_email_normalize(&norm, email);
	if (!rc)
		rc = user_read(out, ctx, NULL, norm);
	free(norm);
	saas__op_done(ctx, "user.get_by_email", t0, rc);
	return rc;
}

const char *saas_user_id(const saas_user *u)
{
	return u ? u->id : NULL;
}

const char *saas_user_email(const saas_user *u)
{
	return u ? u->email : NULL;
}

const char *saas_user_display_name(const saas_user *u)
{
	return u ? (u->display_name ? u->display_name : "") : NULL;
}

int64_t saas_user_created_at(const saas_user *u)
{
	return u ? u->created_at : 0;
}

int saas_user_to_json(char **out, const saas_user *u)
{
	json_t *v;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!u)
		return saas__err(SAAS_EINVAL, "user", "user is NULL");
	v = json_pack("{s:s, s:s, s:s, s:o}", "id", u->id, "email", u->email, "display_name",
	              u->display_name ? u->display_name : "", "created_at",
	              saas__json_time(u->created_at));
	*out = saas__json_take_dump(v);
	return *out ? SAAS_OK : saas__enomem();
}

void saas_user_free(saas_user *u)
{
	saas__user_row_free(u);
}
