/*
 * Verification with replay protection (saas/webhook.h,
 * saas_webhook_receive): a valid delivery's id is claimed in the store's
 * webhook_replays table in one statement, so that of two workers (threads or
 * processes) given the same delivery exactly one accepts it. The claim lasts
 * as long as the delivery could still verify: to its timestamp plus the
 * tolerance, or for `replay_window` where no timestamp limits it.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "lib/core/core.h"
#include "lib/store/store_webhook.h"
#include "lib/webhook/webhook.h"

/* Seven days: how long GitHub and Shopify delivery ids are remembered. */
#define DEFAULT_REPLAY_WINDOW (7 * 86400)
/* Every this many claims, expired ones are deleted (a few at a time). */
#define PURGE_EVERY 64
#define PURGE_BATCH 256

static atomic_uint claims;

/* Stripe's event id: the body's top-level "id" (the signature covers it). */
static void stripe_event_id(saas_webhook_result *r, const void *body, size_t len)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	const char *id = json_string_value(json_object_get(doc, "id"));

	if (id && *id && strlen(id) < sizeof r->id)
		strcpy(r->id, id);
	json_decref(doc);
}

/* The claim's key of a delivery without a signed id: "sig:" and the
 * BLAKE2b of the signature that matched, decoded (re-spelling the header,
 * in hex case or base64 padding, cannot make a new key). */
static void signature_key(char out[SAAS_WEBHOOK_ID_SIZE], const unsigned char *sig, size_t len)
{
	unsigned char digest[16];

	crypto_generichash(digest, sizeof digest, sig, len, NULL, 0);
	memcpy(out, "sig:", 4);
	saas__wh_hex(out + 4, digest, sizeof digest);
}

int saas_webhook_receive(saas_ctx *ctx, saas_webhook_result *result,
	const saas_webhook_verifier *v, const char *source,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len,
	const saas_webhook_verify_options *opts)
{
	static const saas_webhook_verify_options defaults = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	char key[SAAS_WEBHOOK_ID_SIZE];
	unsigned char sig[SAAS__WH_ED_SIG_LEN];
	size_t siglen = 0;
	int64_t now_ms, now, tolerance, expires, deleted;
	bool check_ts, claimed = false;
	saas_tx *tx;
	int rc;

	saas__wh_result_reset(result);
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!source)
		source = "";
	else if ((rc = saas__check_label("source", source, 128)) != SAAS_OK)
		return rc;
	if (!opts)
		opts = &defaults;
	now_ms = saas__now(ctx);
	if ((rc = saas__wh_verify_at(result, v, headers, nheaders, body, len, opts,
	                             now_ms / 1000, sig, &siglen)) != SAAS_OK ||
	    (rc = saas__wh_opts(opts, now_ms / 1000, &now, &tolerance, &check_ts)) != SAAS_OK)
		return rc;
	/* The key must be covered by the signature, or a replay could change it:
	 * Standard Webhooks signs its id, Stripe's event id is in the signed
	 * body; GitHub's and Shopify's id headers are not signed (nor is
	 * anything of Slack's but its time and body), so those are known by
	 * their signature, which changes with every new time or body. */
	if (v->provider == SAAS_WEBHOOK_STRIPE && !result->id[0])
		stripe_event_id(result, body, len);
	if (result->id[0] &&
	    (v->provider == SAAS_WEBHOOK_STANDARD || v->provider == SAAS_WEBHOOK_STRIPE))
		memcpy(key, result->id, sizeof key);
	else
		signature_key(key, sig, siglen);
	if (check_ts && result->timestamp)
		expires = (result->timestamp + tolerance + 1) * 1000;
	else
		expires = now_ms + 1000 * (opts->replay_window ? opts->replay_window : DEFAULT_REPLAY_WINDOW);
	if ((rc = saas__tx_begin(&tx, ctx, NULL, true)) != SAAS_OK)
		return rc;
	rc = saas__st_replay_claim(&claimed, tx, saas_webhook_provider_name(v->provider), source, key,
	                           expires, now_ms);
	if (rc == SAAS_OK && atomic_fetch_add(&claims, 1) % PURGE_EVERY == PURGE_EVERY - 1)
		rc = saas__st_replay_purge(&deleted, tx, now_ms, PURGE_BATCH);
	if ((rc = saas__tx_finish(tx, rc)) != SAAS_OK)
		return rc;
	if (!claimed) {
		result->check = SAAS_WEBHOOK_REPLAYED;
		result->secret_index = -1;
		return saas__err(SAAS_EUSED, NULL,
		                 "webhook rejected (replayed): %s delivery %s was already accepted",
		                 saas_webhook_provider_name(v->provider), saas__q(key));
	}
	return SAAS_OK;
}

int saas_webhook_replay_purge(saas_ctx *ctx, int64_t *out_deleted)
{
	int64_t deleted = 0;
	saas_tx *tx;
	int rc;

	if (out_deleted)
		*out_deleted = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__tx_begin(&tx, ctx, NULL, true)) != SAAS_OK)
		return rc;
	rc = saas__tx_finish(tx, saas__st_replay_purge(&deleted, tx, saas__now(ctx), 0));
	if (rc == SAAS_OK && out_deleted)
		*out_deleted = deleted;
	return rc;
}
