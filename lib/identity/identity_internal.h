/*
 * Shared by the identity module's sources: creating a membership inside an
 * open tenant transaction (saas_member_add and saas_invitation_accept) and
 * rendering role lists as JSON.
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
int saas__member_create(struct saas_member **out, saas_tx *tx, const saas_scope *scope,
                        const char *user_id, char *const *roles, size_t nroles,
                        const char *invitation_id);

/* The roles as a JSON array of strings (a new reference; NULL on OOM). */
json_t *saas__roles_json(char *const *roles, size_t n);

#endif
