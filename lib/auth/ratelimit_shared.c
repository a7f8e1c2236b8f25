/* GCRA rate limits kept in the store (rate_limits), shared by every process
 * on it: read the key's TAT, decide, compare-and-set, retry on a lost race. */
#include <stdatomic.h>
#include <string.h>

#include "auth.h"
#include "../store/store_auth.h"

/* Attempts at the compare-and-set before giving up with SAAS_ECONFLICT. */
#define CAS_TRIES 16
/* Every this many takes (per process), delete the rows back to a full burst. */
#define PRUNE_EVERY 256

static atomic_uint takes;

int saas__ratelimit_shared(saas_ratelimit_result *out, saas_ctx *ctx, const char *key,
                           const saas_ratelimit_policy *p, unsigned quantity)
{
	struct saas__gcra g;
	int rc;

	if (out)
		memset(out, 0, sizeof *out);
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__gcra_init(&g, out, key, p, quantity, saas__now(ctx))))
		return rc;
	for (int i = 0; i < CAS_TRIES; i++) {
		int64_t tat, next = 0, changed = 0;
		saas_tx *tx;
		bool found;

		if ((rc = saas__tx_begin(&tx, ctx, NULL, true)))
			return rc;
		rc = saas__st_rate_get(&found, &tat, tx, key);
		if (!rc)
			rc = saas__gcra_decide(out, &next, &g, found, tat);
		if (rc) {
			saas__tx_rollback(tx);
			return rc;
		}
		/* the row is no longer needed once the key is back to a full
		 * burst: at next (ns), in ms rounded up */
		rc = saas__st_rate_cas(&changed, tx, key, found, tat, next,
		                       (next + 999999) / 1000000);
		if (!rc && (atomic_fetch_add(&takes, 1) + 1) % PRUNE_EVERY == 0)
			rc = saas__st_rate_prune(tx, g.now / 1000000);
		if ((rc = saas__tx_finish(tx, rc)))
			return rc;
		if (changed == 1)
			return SAAS_OK;
	}
	return saas__err(SAAS_ECONFLICT, "key",
	                 "the rate limit key kept changing under %d attempts: try again", CAS_TRIES);
}

int saas_ratelimit_take_shared(saas_ratelimit_result *out, saas_ctx *ctx, const char *key,
                               const saas_ratelimit_policy *p, unsigned quantity)
{
	int64_t t0 = saas__mono_ns();
	int rc = saas__ratelimit_shared(out, ctx, key, p, quantity);

	if (ctx)
		saas__op_done(ctx, "ratelimit.take_shared", t0, rc == SAAS_ERATELIMIT ? SAAS_OK : rc);
	return rc;
}

int saas_ratelimit_reset_shared(saas_ctx *ctx, const char *key)
{
	saas_tx *tx;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!key || !*key || strlen(key) > 512)
		return saas__err(SAAS_EINVAL, "key", "key must be 1 to 512 bytes");
	if ((rc = saas__tx_begin(&tx, ctx, NULL, true)))
		return rc;
	return saas__tx_finish(tx, saas__st_rate_delete(tx, key));
}
