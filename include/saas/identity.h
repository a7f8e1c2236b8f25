/**
 * @file saas/identity.h
 * @brief Users, memberships (user × tenant × roles) and invitations.
 *
 * Users are deployment-wide: an email (normalised: trimmed, lower-cased;
 * unique) and a display name. A membership joins a user to a tenant with one
 * or more roles, each a role of the deployment's catalog or a custom role of
 * the tenant (saas/rbac.h; what roles permit is the RBAC module's business);
 * a tenant always keeps at least one member with the role `owner`. An
 * invitation carries an email and roles (which must exist too); its token is
 * shown once, stored only as a hash, expires, and is used once: accepting it
 * creates the membership.
 *
 * Every mutation writes its audit event in the same transaction. Writes to a
 * suspended tenant fail with `SAAS_ESUSPENDED`; any call on a tenant pending
 * deletion fails with `SAAS_EDELETED`.
 *
 * Role names: 1 to 64 characters of `[a-z0-9_-]`, starting with a letter.
 *
 * Thread safety: handles belong to one thread at a time.
 */
#ifndef SAAS_IDENTITY_H
#define SAAS_IDENTITY_H

#include "saas/context.h"

SAAS_BEGIN_DECL

/** The role every tenant keeps at least one member in. */
#define SAAS_ROLE_OWNER "owner"

/** Default lifetime of an invitation, in seconds (7 days). */
#define SAAS_INVITATION_TTL_DEFAULT (7 * 24 * 3600)

/** A user. Opaque; free with saas_user_free(). */
typedef struct saas_user saas_user;
/** A membership. Opaque; free with saas_member_free(). */
typedef struct saas_member saas_member;
/** A page of memberships. Opaque; free with saas_member_page_free(). */
typedef struct saas_member_page saas_member_page;
/** An invitation. Opaque; free with saas_invitation_free(). */
typedef struct saas_invitation saas_invitation;

/* ---- users ---------------------------------------------------------------- */

/**
 * Create a user. Deployment-wide (`scope` names the actor; its tenant may be
 * anything and is not used); audited in the deployment's stream.
 *
 * @param out          receives the user (may be NULL); free with saas_user_free().
 * @param email        an email address (at most 254 bytes); stored normalised.
 * @param display_name 0 to 200 bytes of text without control characters, or NULL.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `email` or `display_name`);
 *         `SAAS_EEXISTS` if the normalised email is taken; `SAAS_ESTORE`; `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_user_create(saas_user **out, saas_ctx *ctx, const saas_scope *scope,
                                  const char *email, const char *display_name);

/**
 * Read a user by id (`usr_…`).
 * @return `SAAS_OK`; `SAAS_EINVAL` for a malformed id; `SAAS_ENOTFOUND`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_user_get(saas_user **out, saas_ctx *ctx, const char *user_id);

/**
 * Read a user by email (normalised before the lookup).
 * @return `SAAS_OK`; `SAAS_EINVAL` for a malformed email; `SAAS_ENOTFOUND`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_user_get_by_email(saas_user **out, saas_ctx *ctx, const char *email);

/**
 * Normalise an email as the library stores it (trim, lower-case), checking its form.
 * @param out receives the normalised email; free with saas_free().
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `email`); `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_email_normalize(char **out, const char *email);

/** The user's id. Borrowed. */
SAAS_EXTERN(const char *) saas_user_id(const saas_user *u);
/** The user's normalised email. Borrowed. */
SAAS_EXTERN(const char *) saas_user_email(const saas_user *u);
/** The user's display name ("" when none). Borrowed. */
SAAS_EXTERN(const char *) saas_user_display_name(const saas_user *u);
/** Creation time, ms since the epoch. */
SAAS_EXTERN(int64_t) saas_user_created_at(const saas_user *u);
/**
 * The user as a JSON object (`id`, `email`, `display_name`, `created_at`).
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_user_to_json(char **out, const saas_user *u);
/** Free a user. `u` may be NULL. */
SAAS_EXTERN(void) saas_user_free(saas_user *u);

/* ---- memberships ---------------------------------------------------------- */

/**
 * Add a user to the scope's tenant with the given roles.
 *
 * @param out    receives the membership (may be NULL); free with saas_member_free().
 * @param roles  1 to 16 role names (duplicates are folded), each a role of the
 *               deployment's catalog or a custom role of the tenant.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `user_id` or `roles`); `SAAS_ENOTFOUND`
 *         if the tenant or user does not exist, or (field `roles`, naming it)
 *         a role is neither the deployment's nor a custom role of the tenant;
 *         `SAAS_EEXISTS` if the user is already a member; `SAAS_ELIMIT`
 *         (field `feature`) when the tenant's plan has no seat left
 *         (saas/billing.h; audited as `entitlement.limit_refused`);
 *         `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_member_add(saas_member **out, saas_ctx *ctx, const saas_scope *scope,
                                 const char *user_id, const char *const *roles, size_t nroles);

/**
 * Replace a member's roles (1 to 16, each a role of the deployment's catalog
 * or a custom role of the tenant). Refused with `SAAS_ESTATE` if it would
 * leave the tenant without an owner.
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND` (tenant or membership;
 *         or, field `roles`, a role that does not exist, named);
 *         `SAAS_ESTATE`; `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_member_set_roles(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                                       const char *const *roles, size_t nroles);

/**
 * Remove a user from the scope's tenant. Refused with `SAAS_ESTATE` if the
 * user is the tenant's last owner.
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND`; `SAAS_ESTATE`;
 *         `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_member_remove(saas_ctx *ctx, const saas_scope *scope, const char *user_id);

/**
 * Read a user's membership of the scope's tenant.
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_member_get(saas_member **out, saas_ctx *ctx, const saas_scope *scope,
                                 const char *user_id);

/**
 * List the scope's tenant's memberships, oldest first.
 * @param cursor NULL for the first page, else the previous page's next cursor.
 * @param limit  1 to 1000.
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_member_list(saas_member_page **out, saas_ctx *ctx, const saas_scope *scope,
                                  const char *cursor, unsigned limit);

/**
 * Transfer ownership: `to_user_id` (already a member) gains `owner`, and
 * `from_user_id` (an owner) loses it, keeping its other roles (or becoming
 * `admin` if it had no other). One transaction, one audit event.
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND`; `SAAS_ESTATE` if `from`
 *         is not an owner; `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_member_transfer_ownership(saas_ctx *ctx, const saas_scope *scope,
                                                const char *from_user_id, const char *to_user_id);

/** The membership's id (`mem_…`). Borrowed. */
SAAS_EXTERN(const char *) saas_member_id(const saas_member *m);
/** The membership's tenant id. Borrowed. */
SAAS_EXTERN(const char *) saas_member_tenant_id(const saas_member *m);
/** The member's user id. Borrowed. */
SAAS_EXTERN(const char *) saas_member_user_id(const saas_member *m);
/** Number of roles the member has. */
SAAS_EXTERN(size_t) saas_member_role_count(const saas_member *m);
/** The i-th role (sorted by name), or NULL past the end. Borrowed. */
SAAS_EXTERN(const char *) saas_member_role_at(const saas_member *m, size_t i);
/** Non-zero if the member has role `role`. */
SAAS_EXTERN(int) saas_member_has_role(const saas_member *m, const char *role);
/** Creation time, ms since the epoch. */
SAAS_EXTERN(int64_t) saas_member_created_at(const saas_member *m);
/**
 * The membership as JSON (`id`, `tenant_id`, `user_id`, `roles`, `created_at`).
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_member_to_json(char **out, const saas_member *m);
/** Free a membership. `m` may be NULL. */
SAAS_EXTERN(void) saas_member_free(saas_member *m);

/** Number of memberships in the page. */
SAAS_EXTERN(size_t) saas_member_page_count(const saas_member_page *l);
/** The i-th membership (borrowed from `l`), or NULL past the end. */
SAAS_EXTERN(const saas_member *) saas_member_page_at(const saas_member_page *l, size_t i);
/** The cursor of the next page, or NULL on the last page. Borrowed. */
SAAS_EXTERN(const char *) saas_member_page_next_cursor(const saas_member_page *l);
/** Free a page. `l` may be NULL. */
SAAS_EXTERN(void) saas_member_page_free(saas_member_page *l);

/* ---- invitations ---------------------------------------------------------- */

/**
 * Invite an email address into the scope's tenant with the given roles
 * (1 to 16, each a role of the deployment's catalog or a custom role of the
 * tenant).
 *
 * @param out        receives the invitation (may be NULL); free with saas_invitation_free().
 * @param out_token  receives the secret token, shown only now (its hash is
 *                   stored): `ivt_` and 43 base64url characters (256 random
 *                   bits); free with saas_free_secret(). Required.
 * @param ttl_seconds lifetime, 60 to 90 days in seconds, or 0 for `SAAS_INVITATION_TTL_DEFAULT`.
 * @return `SAAS_OK`; `SAAS_EINVAL` (field `email`, `roles` or `ttl_seconds`);
 *         `SAAS_ENOTFOUND` (tenant; or, field `roles`, a role that does not
 *         exist, named); `SAAS_EEXISTS` if a user with that email is already
 *         a member; `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_invitation_create(saas_invitation **out, char **out_token, saas_ctx *ctx,
                                        const saas_scope *scope, const char *email,
                                        const char *const *roles, size_t nroles,
                                        int64_t ttl_seconds);

/**
 * Accept an invitation into the scope's tenant as `user_id`, whose email must
 * be the invited one. Creates the membership with the invited roles and marks
 * the invitation used, atomically. If one of those roles no longer exists (a
 * custom role deleted since), nothing changes and the invitation stays
 * pending.
 *
 * @param out receives the membership (may be NULL).
 * @return `SAAS_OK`; `SAAS_EINVAL` (malformed token or user id);
 *         `SAAS_ENOTFOUND` (no such invitation in this tenant, or no such
 *         user); `SAAS_EUSED` (already accepted); `SAAS_EEXPIRED`;
 *         `SAAS_ESTATE` (revoked; or, field `roles`, one of its roles no
 *         longer exists, named); `SAAS_EDENIED` (the user's email is not the
 *         invited one); `SAAS_EEXISTS` (already a member); `SAAS_ELIMIT`
 *         (field `feature`: no seat left in the tenant's plan, the invitation
 *         stays pending); `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_invitation_accept(saas_member **out, saas_ctx *ctx, const saas_scope *scope,
                                        const char *token, const char *user_id);

/**
 * Revoke an unused invitation by id (`inv_…`).
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND`; `SAAS_EUSED`;
 *         `SAAS_ESTATE` (already revoked); `SAAS_ECONFLICT` (accepted or revoked
 *         concurrently: read it again); `SAAS_ESUSPENDED`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_invitation_revoke(saas_ctx *ctx, const saas_scope *scope,
                                        const char *invitation_id);

/**
 * Read an invitation of the scope's tenant by id.
 * @return `SAAS_OK`; `SAAS_EINVAL`; `SAAS_ENOTFOUND`; `SAAS_EDELETED`; `SAAS_ESTORE`.
 */
SAAS_EXTERN(int) saas_invitation_get(saas_invitation **out, saas_ctx *ctx,
                                     const saas_scope *scope, const char *invitation_id);

/** The invitation's id (`inv_…`). Borrowed. */
SAAS_EXTERN(const char *) saas_invitation_id(const saas_invitation *i);
/** The invited (normalised) email. Borrowed. */
SAAS_EXTERN(const char *) saas_invitation_email(const saas_invitation *i);
/** The invitation's status: `"pending"`, `"accepted"`, `"revoked"` or `"expired"` (at read time). Static. */
SAAS_EXTERN(const char *) saas_invitation_status(const saas_invitation *i);
/** Expiry time, ms since the epoch. */
SAAS_EXTERN(int64_t) saas_invitation_expires_at(const saas_invitation *i);
/**
 * The invitation as JSON (`id`, `tenant_id`, `email`, `roles`, `status`,
 * `created_at`, `expires_at`; never the token or its hash).
 * @param out receives the text; free with saas_free().
 * @return `SAAS_OK`, `SAAS_ENOMEM`.
 */
SAAS_EXTERN(int) saas_invitation_to_json(char **out, const saas_invitation *i);
/** Free an invitation. `i` may be NULL. */
SAAS_EXTERN(void) saas_invitation_free(saas_invitation *i);

SAAS_END_DECL

#endif
