/*
 * Shared by the identity module's sources, and by modules that write users
 * and memberships inside a larger transaction (lib/rbac's policy import):
 * creating a user, creating a membership and replacing its roles inside an
 * open transaction, and rendering role lists as JSON.
 */
#ifndef SAAS_IDENTITY_INTERNAL_H
#define SAAS_IDENTITY_INTERNAL_H

#include "../store/store.h"

/*
 * Add `user_id` (whose existence the caller has checked) to the
 * transaction's tenant with `roles` (normalised: sorted, unique; copied) and
 * append "member.added" in the same transaction. `invitation_id`, when not
 * NULL, is recorded in the event. SAAS_EEXISTS if the user is already a
 * member. *out receives the new row (may be NULL).
 */
/* Audit a membership the seat limit refused (the hook's SAAS_ELIMIT),
 * after the transaction rolled back; the error is kept. */
void saas__member_refused(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                          const char *invitation_id);
int saas__member_create(struct saas_member **out, saas_tx *tx, const saas_scope *scope,
                        const char *user_id, char *const *roles, size_t nroles,
                        const char *invitation_id);

/*
 * A new user row (a new id, the context's time) for `email` (normalised and
 * checked, field "email") and `display_name` (NULL: none; checked, field
 * "display_name"). Free with saas__user_row_free.
 */
int saas__user_new_row(struct saas_user **out, saas_ctx *ctx, const char *email,
                       const char *display_name);

/*
 * Insert the user `u` (from saas__user_new_row) and append "user.created" to
 * the deployment's stream, in `tx` (whose tenant is kept): saas_user_create's
 * writes. SAAS_EEXISTS (field "email") when the email is taken.
 */
int saas__user_insert_tx(saas_tx *tx, const saas_scope *scope, const struct saas_user *u);

/*
 * Replace the roles of the membership `old` (read in `tx`, of the
 * transaction's tenant) with `roles` (normalised: sorted, unique) and append
 * "member.roles_changed" in the same transaction. The last-owner rule is the
 * caller's to check (after all its changes).
 */
int saas__member_set_roles_tx(saas_tx *tx, const saas_scope *scope,
                              const struct saas_member *old, char *const *roles, size_t nroles);

/* The roles as a JSON array of strings (a new reference; NULL on OOM). */
json_t *saas__roles_json(char *const *roles, size_t n);

#endif
