/* Typed operations on users (global), memberships, member_roles and
 * invitations (tenant-scoped: every statement filters on the transaction's
 * tenant). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* ---- rows ------------------------------------------------------------------------ */

void saas__user_row_free(struct saas_user *u)
{
	if (!u)
		return;
	free(u->id);
	free(u->email);
	free(u->display_name);
	free(u);
}

void saas__member_row_free(struct saas_member *m)
{
	if (!m)
		return;
	free(m->id);
	free(m->tenant_id);
	free(m->user_id);
	saas__strv_free(m->roles);
	free(m);
}

void saas__invitation_row_free(struct saas_invitation *i)
{
	if (!i)
		return;
	free(i->id);
	free(i->tenant_id);
	free(i->email);
	saas__strv_free(i->roles);
	free(i->invited_by);
	free(i->accepted_by);
	free(i);
}

/* Append a copy of `s` to the NULL-terminated vector *v of *n entries. */
static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof *nv);
	char *copy = saas__strdup(s);

	if (nv)
		*v = nv;
	if (!nv || !copy) {
		free(copy);
		return saas__enomem();
	}
	nv[(*n)++] = copy;
	nv[*n] = NULL;
	return SAAS_OK;
}

/* An empty NULL-terminated vector. */
static char **strv_empty(void)
{
	return calloc(1, sizeof(char *));
}

/* Split the comma-separated role text of an invitation into a sorted vector. */
static int roles_split(char ***out, size_t *out_n, const char *text)
{
	char **v = strv_empty();
	size_t n = 0;
	const char *p = text ? text : "";
	int rc = SAAS_OK;

	if (!v)
		return saas__enomem();
	while (*p && !rc) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char buf[80];

		if (len > 0 && len < sizeof buf) {
			memcpy(buf, p, len);
			buf[len] = '\0';
			rc = strv_push(&v, &n, buf);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (rc) {
		saas__strv_free(v);
		return rc;
	}
	qsort(v, n, sizeof *v, saas__cmp_str);
	*out = v;
	*out_n = n;
	return SAAS_OK;
}

/* ---- users (global) ------------------------------------------------------------------ */

#define USER_COLS "id, email, display_name, created_at, updated_at"

static saas_query q_user_insert = SAAS_QUERY(
	"INSERT INTO users (id, email, display_name, created_at, updated_at)"
	" VALUES ($1, $2, $3, $4, $5)");
static saas_query q_user_get = SAAS_QUERY(
	"SELECT " USER_COLS " FROM users WHERE id = $1");
static saas_query q_user_get_email = SAAS_QUERY(
	"SELECT " USER_COLS " FROM users WHERE email = $1");

int saas__st_user_insert(saas_tx *tx, const struct saas_user *u)
{
	return saas__q_exec(tx, &q_user_insert, NULL, "sssii", u->id, u->email,
	                    u->display_name ? u->display_name : "", u->created_at, u->updated_at);
}

/* Read one user row from `st` (already bound); ENOTFOUND naming `what`. */
static int user_read(struct saas_user **out, saas_stmt *st, const char *what)
{
	struct saas_user *u;
	int rc = saas__q_step(st);

	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = saas__err(SAAS_ENOTFOUND, NULL, "no user with %s", what);
		goto out;
	}
	u = calloc(1, sizeof *u);
	if (!u) {
		rc = saas__enomem();
		goto out;
	}
	u->id = saas__q_dup(st, 0);
	u->email = saas__q_dup(st, 1);
	u->display_name = saas__q_dup(st, 2);
	u->created_at = saas__q_int(st, 3);
	u->updated_at = saas__q_int(st, 4);
	if (!u->display_name)
		u->display_name = saas__strdup("");
	if (!u->id || !u->email || !u->display_name) {
		saas__user_row_free(u);
		rc = saas__enomem();
		goto out;
	}
	*out = u;
	rc = SAAS_OK;
out:
	saas__q_close(st);
	return rc;
}

int saas__st_user_get(struct saas_user **out, saas_tx *tx, const char *id)
{
	char what[120];
	saas_stmt *st;
	int rc;

	*out = NULL;
	rc = saas__q_open(&st, tx, &q_user_get, "s", id);
	if (rc)
		return rc;
	snprintf(what, sizeof what, "id '%s'", saas__q(id));
	return user_read(out, st, what);
}

int saas__st_user_get_email(struct saas_user **out, saas_tx *tx, const char *email)
{
	char what[120];
	saas_stmt *st;
	int rc;

	*out = NULL;
	rc = saas__q_open(&st, tx, &q_user_get_email, "s", email);
	if (rc)
		return rc;
	snprintf(what, sizeof what, "email '%s'", saas__q(email));
	return user_read(out, st, what);
}

/* ---- memberships (tenant-scoped) ------------------------------------------------------- */

static saas_query q_member_insert = SAAS_QUERY(
	"INSERT INTO memberships (tenant_id, id, user_id, created_at, updated_at)"
	" VALUES ($1, $2, $3, $4, $5)");
static saas_query q_role_insert = SAAS_QUERY(
	"INSERT INTO member_roles (tenant_id, user_id, role) VALUES ($1, $2, $3)");
static saas_query q_roles_delete = SAAS_QUERY(
	"DELETE FROM member_roles WHERE tenant_id = $1 AND user_id = $2");
static saas_query q_member_get = SAAS_QUERY(
	"SELECT id, user_id, created_at, updated_at FROM memberships"
	" WHERE tenant_id = $1 AND user_id = $2");
static saas_query q_member_roles = SAAS_QUERY(
	"SELECT role FROM member_roles WHERE tenant_id = $1 AND user_id = $2");
static saas_query q_member_list = SAAS_QUERY(
	"SELECT id, user_id, created_at, updated_at FROM memberships"
	" WHERE tenant_id = $1 AND (CAST($2 AS TEXT) IS NULL OR id > $2)"
	" ORDER BY id LIMIT $3");
/* The roles of the memberships whose ids lie in [$2, $3]: one query per page. */
static saas_query q_member_list_roles = SAAS_QUERY(
	"SELECT m.id, r.role FROM memberships m"
	" JOIN member_roles r ON r.tenant_id = m.tenant_id AND r.user_id = m.user_id"
	" WHERE m.tenant_id = $1 AND m.id >= $2 AND m.id <= $3"
	" ORDER BY m.id");
static saas_query q_member_touch = SAAS_QUERY(
	"UPDATE memberships SET updated_at = $3 WHERE tenant_id = $1 AND user_id = $2");
static saas_query q_member_delete = SAAS_QUERY(
	"DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2");
static saas_query q_member_count_role = SAAS_QUERY(
	"SELECT COUNT(*) FROM member_roles WHERE tenant_id = $1 AND role = $2");

static int roles_insert(saas_tx *tx, const char *user_id, char *const *roles, size_t n)
{
	const char *tenant = saas__tx_tenant(tx);
	int rc = SAAS_OK;

	for (size_t i = 0; i < n && !rc; i++)
		rc = saas__q_exec(tx, &q_role_insert, NULL, "sss", tenant, user_id, roles[i]);
	return rc ? rc : saas__st_authz_touch(tx, tenant);
}

int saas__st_member_insert(saas_tx *tx, const struct saas_member *m)
{
	int rc = saas__q_exec(tx, &q_member_insert, NULL, "sssii", saas__tx_tenant(tx), m->id,
	                      m->user_id, m->created_at, m->updated_at);

	if (!rc)
		rc = roles_insert(tx, m->user_id, m->roles, m->nroles);
	return rc;
}

/* A membership row from the current row of `st` (columns id, user_id,
 * created_at, updated_at), with no roles yet. */
static struct saas_member *member_from_row(saas_stmt *st, const char *tenant)
{
	struct saas_member *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	m->id = saas__q_dup(st, 0);
	m->user_id = saas__q_dup(st, 1);
	m->tenant_id = saas__strdup(tenant);
	m->created_at = saas__q_int(st, 2);
	m->updated_at = saas__q_int(st, 3);
	m->roles = strv_empty();
	if (!m->id || !m->user_id || !m->tenant_id || !m->roles) {
		saas__member_row_free(m);
		return NULL;
	}
	return m;
}

int saas__st_member_get(struct saas_member **out, saas_tx *tx, const char *user_id)
{
	const char *tenant = saas__tx_tenant(tx);
	struct saas_member *m = NULL;
	saas_stmt *st;
	int rc;

	*out = NULL;
	rc = saas__q_open(&st, tx, &q_member_get, "ss", tenant, user_id);
	if (rc)
		return rc;
	rc = saas__q_step(st);
	if (rc == 1) {
		m = member_from_row(st, tenant);
		rc = m ? SAAS_OK : saas__enomem();
	} else if (rc == 0) {
		rc = saas__err(SAAS_ENOTFOUND, "user_id", "user %s is not a member of %s",
		               saas__q(user_id), saas__q(tenant));
	}
	saas__q_close(st);
	if (rc)
		return rc;

	rc = saas__q_open(&st, tx, &q_member_roles, "ss", tenant, user_id);
	if (rc) {
		saas__member_row_free(m);
		return rc;
	}
	while ((rc = saas__q_step(st)) == 1) {
		rc = strv_push(&m->roles, &m->nroles, saas__q_text(st, 0));
		if (rc)
			break;
	}
	saas__q_close(st);
	if (rc) {
		saas__member_row_free(m);
		return rc;
	}
	qsort(m->roles, m->nroles, sizeof *m->roles, saas__cmp_str);
	*out = m;
	return SAAS_OK;
}

static void member_vec_free(struct saas_member **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		saas__member_row_free(v[i]);
	free(v);
}

int saas__st_member_list(struct saas_member ***out, size_t *n, saas_tx *tx, const char *after_id,
                         unsigned limit)
{
	const char *tenant = saas__tx_tenant(tx);
	struct saas_member **v;
	size_t k = 0, j = 0;
	saas_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	v = calloc(limit ? limit : 1, sizeof *v);
	if (!v)
		return saas__enomem();
	rc = saas__q_open(&st, tx, &q_member_list, "ssi", tenant, after_id, (int64_t)limit);
	if (rc) {
		free(v);
		return rc;
	}
	while (k < limit && (rc = saas__q_step(st)) == 1) {
		v[k] = member_from_row(st, tenant);
		if (!v[k]) {
			rc = saas__enomem();
			break;
		}
		k++;
	}
	if (k == limit && rc == 1)
		rc = 0;
	saas__q_close(st);
	if (rc < 0 || k == 0) {
		member_vec_free(v, k);
		if (rc < 0)
			return rc;
		*out = NULL;
		return SAAS_OK;
	}

	/* Rows come ordered by membership id, as the page is: walk both. */
	rc = saas__q_open(&st, tx, &q_member_list_roles, "sss", tenant, v[0]->id, v[k - 1]->id);
	if (rc) {
		member_vec_free(v, k);
		return rc;
	}
	while ((rc = saas__q_step(st)) == 1) {
		const char *id = saas__q_text(st, 0);

		while (j < k && strcmp(v[j]->id, id ? id : "") != 0)
			j++;
		if (j == k) {
			rc = saas__err(SAAS_EINTERNAL, NULL,
			               "membership roles out of order while listing %s", tenant);
			break;
		}
		rc = strv_push(&v[j]->roles, &v[j]->nroles, saas__q_text(st, 1));
		if (rc)
			break;
	}
	saas__q_close(st);
	if (rc < 0) {
		member_vec_free(v, k);
		return rc;
	}
	for (size_t i = 0; i < k; i++)
		qsort(v[i]->roles, v[i]->nroles, sizeof *v[i]->roles, saas__cmp_str);
	*out = v;
	*n = k;
	return SAAS_OK;
}

int saas__st_member_set_roles(saas_tx *tx, const char *user_id, char *const *roles, size_t n,
                              int64_t now)
{
	const char *tenant = saas__tx_tenant(tx);
	int64_t changed = 0;
	int rc;

	rc = saas__q_exec(tx, &q_member_touch, &changed, "ssi", tenant, user_id, now);
	if (rc)
		return rc;
	if (changed == 0)
		return saas__err(SAAS_ENOTFOUND, "user_id", "user %s is not a member of %s",
		                 saas__q(user_id), saas__q(tenant));
	rc = saas__q_exec(tx, &q_roles_delete, NULL, "ss", tenant, user_id);
	if (!rc)
		rc = roles_insert(tx, user_id, roles, n);
	return rc;
}

int saas__st_member_delete(saas_tx *tx, const char *user_id)
{
	const char *tenant = saas__tx_tenant(tx);
	int64_t changed = 0;
	int rc;

	/* The foreign key cascades too; deleting explicitly does not depend on it. */
	rc = saas__q_exec(tx, &q_roles_delete, NULL, "ss", tenant, user_id);
	if (!rc)
		rc = saas__q_exec(tx, &q_member_delete, &changed, "ss", tenant, user_id);
	if (rc)
		return rc;
	if (changed == 0)
		return saas__err(SAAS_ENOTFOUND, "user_id", "user %s is not a member of %s",
		                 saas__q(user_id), saas__q(tenant));
	return saas__st_authz_touch(tx, tenant);
}

int saas__st_member_count_role(int64_t *out, saas_tx *tx, const char *role)
{
	int rc = saas__q_int_row(out, tx, &q_member_count_role, "ss", saas__tx_tenant(tx), role);

	return rc < 0 ? rc : SAAS_OK;
}

/* ---- invitations (tenant-scoped) ---------------------------------------------------- */

#define INVITATION_COLS \
	"id, email, roles, invited_by, created_at, expires_at, accepted_at, accepted_by, revoked_at"

static saas_query q_inv_insert = SAAS_QUERY(
	"INSERT INTO invitations (tenant_id, id, email, roles, token_hash, invited_by, created_at,"
	" expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
static saas_query q_inv_get = SAAS_QUERY(
	"SELECT " INVITATION_COLS " FROM invitations WHERE tenant_id = $1 AND id = $2");
static saas_query q_inv_get_token = SAAS_QUERY(
	"SELECT " INVITATION_COLS " FROM invitations WHERE tenant_id = $1 AND token_hash = $2");
static saas_query q_inv_accept = SAAS_QUERY(
	"UPDATE invitations SET accepted_at = $3, accepted_by = $4"
	" WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL");
static saas_query q_inv_revoke = SAAS_QUERY(
	"UPDATE invitations SET revoked_at = $3"
	" WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL");

int saas__st_invitation_insert(saas_tx *tx, const struct saas_invitation *i,
                               const char *token_hash)
{
	char *roles = saas__strv_join(i->roles, i->nroles, ',');
	int rc;

	if (!roles)
		return saas__enomem();
	rc = saas__q_exec(tx, &q_inv_insert, NULL, "ssssssii", saas__tx_tenant(tx), i->id, i->email,
	                  roles, token_hash, i->invited_by, i->created_at, i->expires_at);
	free(roles);
	return rc;
}

/* Read one invitation from `st` (already bound). `what` names it in the
 * not-found message and never holds a secret. */
static int invitation_read(struct saas_invitation **out, saas_tx *tx, saas_stmt *st,
                           const char *what)
{
	const char *tenant = saas__tx_tenant(tx);
	struct saas_invitation *i = NULL;
	int rc = saas__q_step(st);

	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = saas__err(SAAS_ENOTFOUND, NULL, "no invitation %s in %s", what,
		               saas__q(tenant));
		goto out;
	}
	i = calloc(1, sizeof *i);
	if (!i) {
		rc = saas__enomem();
		goto out;
	}
	i->id = saas__q_dup(st, 0);
	i->tenant_id = saas__strdup(tenant);
	i->email = saas__q_dup(st, 1);
	rc = roles_split(&i->roles, &i->nroles, saas__q_text(st, 2));
	if (rc)
		goto out;
	i->invited_by = saas__q_dup(st, 3);
	i->created_at = saas__q_int(st, 4);
	i->expires_at = saas__q_int(st, 5);
	i->accepted_at = saas__q_is_null(st, 6) ? 0 : saas__q_int(st, 6);
	i->accepted_by = saas__q_dup(st, 7);
	i->revoked_at = saas__q_is_null(st, 8) ? 0 : saas__q_int(st, 8);
	i->read_at = saas__now(saas__tx_ctx(tx));
	if (!i->id || !i->tenant_id || !i->email || !i->invited_by ||
	    (!saas__q_is_null(st, 7) && !i->accepted_by)) {
		rc = saas__enomem();
		goto out;
	}
	*out = i;
	i = NULL;
	rc = SAAS_OK;
out:
	saas__invitation_row_free(i);
	saas__q_close(st);
	return rc;
}

int saas__st_invitation_get(struct saas_invitation **out, saas_tx *tx, const char *id)
{
	char what[100];
	saas_stmt *st;
	int rc;

	*out = NULL;
	rc = saas__q_open(&st, tx, &q_inv_get, "ss", saas__tx_tenant(tx), id);
	if (rc)
		return rc;
	snprintf(what, sizeof what, "%s", saas__q(id));
	return invitation_read(out, tx, st, what);
}

int saas__st_invitation_get_token(struct saas_invitation **out, saas_tx *tx,
                                  const char *token_hash)
{
	saas_stmt *st;
	int rc;

	*out = NULL;
	rc = saas__q_open(&st, tx, &q_inv_get_token, "ss", saas__tx_tenant(tx), token_hash);
	if (rc)
		return rc;
	return invitation_read(out, tx, st, "with this token");
}

int saas__st_invitation_mark_accepted(int64_t *changed, saas_tx *tx, const char *id,
                                      const char *user_id, int64_t now)
{
	*changed = 0;
	return saas__q_exec(tx, &q_inv_accept, changed, "ssis", saas__tx_tenant(tx), id, now,
	                    user_id);
}

int saas__st_invitation_mark_revoked(int64_t *changed, saas_tx *tx, const char *id, int64_t now)
{
	*changed = 0;
	return saas__q_exec(tx, &q_inv_revoke, changed, "ssi", saas__tx_tenant(tx), id, now);
}
