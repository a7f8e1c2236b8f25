/* Sessions as login.c and the other auth files use them. */
#ifndef SAAS_AUTH_SESSION_H
#define SAAS_AUTH_SESSION_H

#include "auth.h"
#include "../store/store_auth.h"

/* What a new session is made of. */
struct saas__session_spec {
	const char *user_id;
	const char *tenant_id;  /* NULL: none */
	int mfa;
	const char *ip;         /* NULL: none */
	const char *user_agent; /* NULL: none */
	int64_t expires_at;     /* 0: now + the policy's absolute lifetime */
	const char *action;     /* its audit event: "session.created", "auth.login", ... */
	json_t *metadata;       /* the event's metadata (borrowed); NULL: {"mfa": ...} */
};

/* Make and store a session in `tx` (global) with its audit event; the
 * token (free with saas_free_secret) and the row (may be NULL). */
int saas__session_start_tx(char **out_token, struct saas_session **out, saas_tx *tx,
                           const saas_scope *scope, const struct saas__session_spec *spec);

/* Validate `token` (form, cache or store, expiry, touch): the session or an
 * error as saas_session_validate(). */
int saas__session_check(struct saas_session **out, saas_ctx *ctx, const char *token);

#endif
