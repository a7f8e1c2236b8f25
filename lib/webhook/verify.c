/*
 * Verification (saas/webhook.h, docs/webhooks.md): find the scheme's
 * headers, read them strictly, check the timestamp against the window, then
 * compare every candidate signature with every key in constant time. The
 * result says which check failed; the message names a header or a time,
 * never a key or an expected signature.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "lib/core/core.h"
#include "lib/webhook/webhook.h"

/* At most this many signatures of one header are looked at (a rotation
 * sends two or three); more is a malformed header. */
#define MAX_CANDIDATES 32

static const char *const check_names[] = {
	"valid", "no_header", "malformed_header", "no_known_scheme",
	"too_old", "in_future", "mismatch", "replayed",
};

const char *saas_webhook_check_name(int check)
{
	if (check < SAAS_WEBHOOK_VALID || check > SAAS_WEBHOOK_REPLAYED)
		return NULL;
	return check_names[check];
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

int saas__wh_header(const char **val, size_t *len, const saas_webhook_header *h, size_t n,
	const char *name)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		const char *v = h[i].value;
		size_t l;

		if (strcasecmp(h[i].name, name) != 0)
			continue;
		if (found)
			return -1;
		found = 1;
		while (ows(*v))
			v++;
		l = strlen(v);
		while (l && ows(v[l - 1]))
			l--;
		*val = v;
		*len = l;
	}
	return found;
}

int saas__wh_opts(const saas_webhook_verify_options *opts, int64_t clock_now, int64_t *now,
	int64_t *tolerance, bool *check_ts)
{
	static const saas_webhook_verify_options defaults = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;

	if (!opts)
		opts = &defaults;
	if (opts->version != SAAS_WEBHOOK_VERIFY_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version", "options version %u is unknown: this library has %u",
		                 opts->version, SAAS_WEBHOOK_VERIFY_OPTIONS_VERSION);
	if (opts->tolerance < -1 || opts->tolerance > SAAS__WH_MAX_TOLERANCE)
		return saas__err(SAAS_EINVAL, "tolerance",
		                 "tolerance %" PRId64 " s is out of range: -1 (the provider's) or 0 to %d",
		                 opts->tolerance, SAAS__WH_MAX_TOLERANCE);
	if (opts->now < 0)
		return saas__err(SAAS_EINVAL, "now", "now %" PRId64 " is negative", opts->now);
	if (opts->replay_window < 0)
		return saas__err(SAAS_EINVAL, "replay_window", "replay_window %" PRId64 " s is negative",
		                 opts->replay_window);
	*now = opts->now ? opts->now : clock_now;
	*tolerance = opts->tolerance < 0 ? SAAS__WH_DEFAULT_TOLERANCE : opts->tolerance;
	*check_ts = !opts->ignore_timestamp;
	return SAAS_OK;
}

/* One delivery being checked. */
struct job {
	const saas_webhook_verifier *v;
	saas_webhook_result *r;
	const saas_webhook_header *h;
	size_t nh;
	const unsigned char *body;
	size_t len;
	int64_t now, tolerance;
	bool check_ts;
	unsigned char *matched; /* the signature that matched, or NULL */
	size_t *matched_len;
};

static int reject(struct job *j, int check, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reject(struct job *j, int check, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	j->r->check = check;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return saas__err(SAAS_ESIGNATURE, NULL, "webhook rejected (%s): %s", check_names[check], msg);
}

/* Find a required header: 1 found, else the rejection's code. */
static int need(struct job *j, const char **val, size_t *len, const char *name)
{
	int f = saas__wh_header(val, len, j->h, j->nh, name);

	if (f == 0)
		return reject(j, SAAS_WEBHOOK_NO_HEADER, "no %s header", name);
	if (f < 0)
		return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER, "the %s header is given more than once", name);
	if (*len == 0)
		return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER, "the %s header is empty", name);
	return 1;
}

/* Copy an id into the result when it fits (else leave ""). */
static void keep_id(struct job *j, const char *id, size_t len)
{
	if (len > 0 && len < SAAS_WEBHOOK_ID_SIZE) {
		memcpy(j->r->id, id, len);
		j->r->id[len] = '\0';
	}
}

/* Keep the id of an optional header (absent, repeated or too long: ""). */
static void keep_id_header(struct job *j, const char *name)
{
	const char *v;
	size_t l;

	if (saas__wh_header(&v, &l, j->h, j->nh, name) == 1)
		keep_id(j, v, l);
}

static int read_ts(struct job *j, const char *v, size_t len, const char *name)
{
	if (!saas__wh_decimal(&j->r->timestamp, v, len)) {
		j->r->timestamp = 0;
		return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER,
		              "the %s timestamp is not a decimal integer of 1 to %d digits",
		              name, SAAS__WH_TS_DIGITS);
	}
	return SAAS_OK;
}

static int check_time(struct job *j)
{
	int64_t t = j->r->timestamp;

	if (!j->check_ts)
		return SAAS_OK;
	if (t < j->now - j->tolerance)
		return reject(j, SAAS_WEBHOOK_TOO_OLD,
		              "timestamp %" PRId64 " is %" PRId64 " s old (tolerance %" PRId64 " s)",
		              t, j->now - t, j->tolerance);
	if (t > j->now + j->tolerance)
		return reject(j, SAAS_WEBHOOK_IN_FUTURE,
		              "timestamp %" PRId64 " is %" PRId64 " s in the future (tolerance %" PRId64 " s)",
		              t, t - j->now, j->tolerance);
	return SAAS_OK;
}

/* Candidates: decoded MACs (32 bytes) or ed25519 signatures (64). A
 * candidate that did not decode has ok = false and matches nothing. */
struct cand {
	unsigned char sig[SAAS__WH_ED_SIG_LEN];
	bool ok, ed;
};

/*
 * Compare the HMAC of `pieces` under every HMAC key with every HMAC
 * candidate, and every ed25519 candidate with every ed25519 key. Every pair
 * is compared (no early exit); the first key that matched is recorded.
 */
static int match(struct job *j, const struct saas__wh_piece *pieces, size_t np,
	const struct cand *c, size_t nc)
{
	unsigned char mac[SAAS__WH_MAC_LEN];
	unsigned char *joined = NULL;
	size_t joined_len = 0;
	int hit = -1, hit_cand = -1;
	bool any_ed = false;

	for (size_t k = 0; k < nc; k++)
		any_ed |= c[k].ok && c[k].ed;
	if (any_ed && j->v->has_ed) {
		/* ed25519 signs the message whole: join the pieces once. */
		for (size_t i = 0; i < np; i++)
			joined_len += pieces[i].len;
		if (!(joined = malloc(joined_len ? joined_len : 1)))
			return saas__enomem();
		for (size_t i = 0, at = 0; i < np; at += pieces[i].len, i++)
			if (pieces[i].len)
				memcpy(joined + at, pieces[i].p, pieces[i].len);
	}
	for (size_t i = 0; i < j->v->n; i++) {
		const struct saas__wh_key *key = &j->v->keys[i];
		int ok = 0;

		if (key->kind == SAAS__WH_HMAC) {
			if (!saas__wh_mac_compute(key->mac, pieces, np, mac)) {
				free(joined);
				return saas__err(SAAS_EINTERNAL, NULL, "HMAC-SHA256 failed in libcrypto");
			}
			for (size_t k = 0; k < nc; k++) {
				int m = c[k].ok && !c[k].ed &&
				        CRYPTO_memcmp(mac, c[k].sig, SAAS__WH_MAC_LEN) == 0;

				ok |= m;
				if (m && hit_cand < 0)
					hit_cand = (int)k;
			}
		} else if (joined) {
			for (size_t k = 0; k < nc; k++) {
				int m = c[k].ok && c[k].ed &&
				        crypto_sign_verify_detached(c[k].sig, joined, joined_len, key->pk) == 0;

				ok |= m;
				if (m && hit_cand < 0)
					hit_cand = (int)k;
			}
		}
		if (ok && hit < 0)
			hit = (int)i;
	}
	OPENSSL_cleanse(mac, sizeof mac);
	free(joined);
	if (hit < 0)
		return reject(j, SAAS_WEBHOOK_MISMATCH,
		              "no signature matches %s (is the body the raw bytes received, and the secret this endpoint's?)",
		              j->v->n > 1 ? "any of the secrets" : "the secret");
	j->r->secret_index = hit;
	j->r->check = SAAS_WEBHOOK_VALID;
	if (j->matched) {
		*j->matched_len = c[hit_cand].ed ? SAAS__WH_ED_SIG_LEN : SAAS__WH_MAC_LEN;
		memcpy(j->matched, c[hit_cand].sig, *j->matched_len);
	}
	return SAAS_OK;
}

/* Stripe-Signature: t=T,v1=HEX[,v1=HEX...][,v0=...]; only v1 counts. */
static int verify_stripe(struct job *j)
{
	struct cand c[MAX_CANDIDATES];
	const char *v, *end;
	size_t len, nc = 0;
	bool have_t = false;
	char ts[24];
	int rc;

	if ((rc = need(j, &v, &len, "Stripe-Signature")) != 1)
		return rc;
	end = v + len;
	for (const char *p = v; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *eq, *val;
		const char *e = comma ? comma : end;
		size_t klen, vlen;

		while (p < e && ows(*p))
			p++;
		eq = memchr(p, '=', (size_t)(e - p));
		if (!eq || eq == p)
			return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER,
			              "Stripe-Signature has an element that is not key=value");
		klen = (size_t)(eq - p);
		val = eq + 1;
		vlen = (size_t)(e - val);
		while (vlen && ows(val[vlen - 1]))
			vlen--;
		if (klen == 1 && *p == 't') {
			if (have_t)
				return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER, "Stripe-Signature has two t= elements");
			if ((rc = read_ts(j, val, vlen, "Stripe-Signature t=")) != SAAS_OK)
				return rc;
			have_t = true;
		} else if (klen == 2 && p[0] == 'v' && p[1] == '1') {
			if (nc == MAX_CANDIDATES)
				return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER,
				              "Stripe-Signature has more than %d v1 signatures", MAX_CANDIDATES);
			c[nc].ed = false;
			c[nc].ok = saas__wh_unhex(c[nc].sig, SAAS__WH_MAC_LEN, val, vlen);
			nc++;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!have_t)
		return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER, "Stripe-Signature has no t= timestamp");
	if (nc == 0)
		return reject(j, SAAS_WEBHOOK_NO_KNOWN_SCHEME, "Stripe-Signature has no v1 signature");
	if ((rc = check_time(j)) != SAAS_OK)
		return rc;
	snprintf(ts, sizeof ts, "%" PRId64 ".", j->r->timestamp);
	return match(j, (struct saas__wh_piece[]){{ts, strlen(ts)}, {j->body, j->len}}, 2, c, nc);
}

/* Standard Webhooks: webhook-id, -timestamp, -signature (or svix-*). */
static int verify_standard(struct job *j)
{
	static const char *const names[2][3] = {
		{"webhook-id", "webhook-timestamp", "webhook-signature"},
		{"svix-id", "svix-timestamp", "svix-signature"},
	};
	struct cand c[MAX_CANDIDATES];
	const char *id, *tsv, *sig, *end;
	size_t idlen, tslen, siglen, nc = 0, known = 0;
	char ts[24];
	int rc, set = 0;
	const char *sv;
	size_t sl;

	/* The webhook-* names unless only the svix-* signature is there. */
	if (saas__wh_header(&sv, &sl, j->h, j->nh, names[0][2]) == 0 &&
	    saas__wh_header(&sv, &sl, j->h, j->nh, names[1][2]) != 0)
		set = 1;
	if ((rc = need(j, &id, &idlen, names[set][0])) != 1 ||
	    (rc = need(j, &tsv, &tslen, names[set][1])) != 1 ||
	    (rc = need(j, &sig, &siglen, names[set][2])) != 1)
		return rc;
	keep_id(j, id, idlen);
	if ((rc = read_ts(j, tsv, tslen, names[set][1])) != SAAS_OK)
		return rc;
	end = sig + siglen;
	for (const char *p = sig; p < end;) {
		const char *e, *comma;
		bool v1, v1a;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		e = memchr(p, ' ', (size_t)(end - p));
		if (!e)
			e = end;
		comma = memchr(p, ',', (size_t)(e - p));
		v1 = comma && comma - p == 2 && memcmp(p, "v1", 2) == 0;
		v1a = comma && comma - p == 3 && memcmp(p, "v1a", 3) == 0;
		if ((v1 && j->v->has_hmac) || (v1a && j->v->has_ed)) {
			size_t got = 0;

			if (nc == MAX_CANDIDATES)
				return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER,
				              "%s has more than %d signatures", names[set][2], MAX_CANDIDATES);
			c[nc].ed = v1a;
			c[nc].ok = saas__wh_unb64(c[nc].sig, sizeof c[nc].sig, &got, comma + 1,
			                          (size_t)(e - comma - 1)) &&
			           got == (v1a ? SAAS__WH_ED_SIG_LEN : SAAS__WH_MAC_LEN);
			nc++;
		}
		known += v1 || v1a;
		p = e;
	}
	if (nc == 0)
		return reject(j, SAAS_WEBHOOK_NO_KNOWN_SCHEME, known
		              ? "%s has only signatures of a kind the secrets cannot check (v1 needs a whsec_ secret, v1a a whpk_ or whsk_ key)"
		              : "%s has no v1 or v1a signature", names[set][2]);
	if ((rc = check_time(j)) != SAAS_OK)
		return rc;
	snprintf(ts, sizeof ts, ".%" PRId64 ".", j->r->timestamp);
	return match(j, (struct saas__wh_piece[]){{id, idlen}, {ts, strlen(ts)}, {j->body, j->len}},
	             3, c, nc);
}

/* One hex or base64 MAC after a prefix (GitHub, Slack, Shopify). */
static int single(struct job *j, const char *name, const char *v, size_t len, bool b64,
	struct cand *c)
{
	size_t got = 0;

	c->ed = false;
	c->ok = b64 ? saas__wh_unb64(c->sig, sizeof c->sig, &got, v, len) && got == SAAS__WH_MAC_LEN
	            : saas__wh_unhex(c->sig, SAAS__WH_MAC_LEN, v, len);
	if (!c->ok)
		return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER, "%s is not %s", name,
		              b64 ? "the base64 of 32 bytes" : "64 hex digits after its prefix");
	return SAAS_OK;
}

static int verify_github(struct job *j)
{
	struct cand c;
	const char *v, *legacy;
	size_t len, llen;
	int rc;

	keep_id_header(j, "X-GitHub-Delivery");
	if (saas__wh_header(&v, &len, j->h, j->nh, "X-Hub-Signature-256") == 0 &&
	    saas__wh_header(&legacy, &llen, j->h, j->nh, "X-Hub-Signature") != 0)
		return reject(j, SAAS_WEBHOOK_NO_KNOWN_SCHEME,
		              "only the SHA-1 X-Hub-Signature is given: X-Hub-Signature-256 is required");
	if ((rc = need(j, &v, &len, "X-Hub-Signature-256")) != 1)
		return rc;
	if (len < 7 || memcmp(v, "sha256=", 7) != 0)
		return reject(j, SAAS_WEBHOOK_MALFORMED_HEADER, "X-Hub-Signature-256 does not start with sha256=");
	if ((rc = single(j, "X-Hub-Signature-256", v + 7, len - 7, false, &c)) != SAAS_OK)
		return rc;
	return match(j, (struct saas__wh_piece[]){{j->body, j->len}}, 1, &c, 1);
}

static int verify_slack(struct job *j)
{
	struct cand c;
	const char *v, *tsv;
	size_t len, tslen;
	char ts[32];
	int rc;

	if ((rc = need(j, &v, &len, "X-Slack-Signature")) != 1 ||
	    (rc = need(j, &tsv, &tslen, "X-Slack-Request-Timestamp")) != 1)
		return rc;
	keep_id(j, v, len);
	if ((rc = read_ts(j, tsv, tslen, "X-Slack-Request-Timestamp")) != SAAS_OK)
		return rc;
	if (len < 3 || memcmp(v, "v0=", 3) != 0)
		return reject(j, SAAS_WEBHOOK_NO_KNOWN_SCHEME, "X-Slack-Signature is not a v0= signature");
	if ((rc = single(j, "X-Slack-Signature", v + 3, len - 3, false, &c)) != SAAS_OK ||
	    (rc = check_time(j)) != SAAS_OK)
		return rc;
	snprintf(ts, sizeof ts, "v0:%" PRId64 ":", j->r->timestamp);
	return match(j, (struct saas__wh_piece[]){{ts, strlen(ts)}, {j->body, j->len}}, 2, &c, 1);
}

static int verify_shopify(struct job *j)
{
	static const char *const names[] = {"X-Shopify-Hmac-Sha256", "shopify-hmac-sha256"};
	struct cand c;
	const char *v;
	size_t len;
	int rc, which = 0;

	keep_id_header(j, "X-Shopify-Webhook-Id");
	if (!j->r->id[0])
		keep_id_header(j, "shopify-webhook-id");
	if (saas__wh_header(&v, &len, j->h, j->nh, names[0]) == 0 &&
	    saas__wh_header(&v, &len, j->h, j->nh, names[1]) != 0)
		which = 1;
	if ((rc = need(j, &v, &len, names[which])) != 1 ||
	    (rc = single(j, names[which], v, len, true, &c)) != SAAS_OK)
		return rc;
	return match(j, (struct saas__wh_piece[]){{j->body, j->len}}, 1, &c, 1);
}

void saas__wh_result_reset(saas_webhook_result *result)
{
	if (!result)
		return;
	memset(result, 0, sizeof *result);
	result->check = SAAS_WEBHOOK_MALFORMED_HEADER;
	result->secret_index = -1;
}

/* Check the arguments shared by verify and receive; fill the result's defaults. */
static int check_args(saas_webhook_result *result, const saas_webhook_verifier *v,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len)
{
	saas__wh_result_reset(result);
	if (!result)
		return saas__err(SAAS_EINVAL, "result", "result is NULL");
	if (!v)
		return saas__err(SAAS_EINVAL, "verifier", "verifier is NULL");
	if (nheaders && !headers)
		return saas__err(SAAS_EINVAL, "headers", "headers is NULL with %zu headers", nheaders);
	for (size_t i = 0; i < nheaders; i++)
		if (!headers[i].name || !headers[i].value)
			return saas__err(SAAS_EINVAL, "headers", "header %zu has a NULL %s", i,
			                 headers[i].name ? "value" : "name");
	if (len && !body)
		return saas__err(SAAS_EINVAL, "body", "body is NULL with a length of %zu", len);
	return SAAS_OK;
}

int saas__wh_verify_at(saas_webhook_result *result, const saas_webhook_verifier *v,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len,
	const saas_webhook_verify_options *opts, int64_t clock_now, unsigned char *matched,
	size_t *matched_len)
{
	struct job j = {.v = v, .r = result, .h = headers, .nh = nheaders, .body = body, .len = len,
	                .matched = matched, .matched_len = matched_len};
	int rc;

	if ((rc = check_args(result, v, headers, nheaders, body, len)) != SAAS_OK ||
	    (rc = saas__wh_opts(opts, clock_now, &j.now, &j.tolerance, &j.check_ts)) != SAAS_OK)
		return rc;
	switch (v->provider) {
	case SAAS_WEBHOOK_STRIPE:
		return verify_stripe(&j);
	case SAAS_WEBHOOK_STANDARD:
		return verify_standard(&j);
	case SAAS_WEBHOOK_GITHUB:
		return verify_github(&j);
	case SAAS_WEBHOOK_SLACK:
		return verify_slack(&j);
	default:
		return verify_shopify(&j);
	}
}

int saas_webhook_verify(saas_webhook_result *result, const saas_webhook_verifier *v,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len,
	const saas_webhook_verify_options *opts)
{
	return saas__wh_verify_at(result, v, headers, nheaders, body, len, opts,
	                          (int64_t)time(NULL), NULL, NULL);
}

int saas_webhook_verify_once(saas_webhook_result *result, int provider,
	const char *const *secrets, size_t nsecrets,
	const saas_webhook_header *headers, size_t nheaders, const void *body, size_t len,
	const saas_webhook_verify_options *opts)
{
	saas_webhook_verifier *v;
	int rc;

	saas__wh_result_reset(result);
	if ((rc = saas_webhook_verifier_new(&v, provider, secrets, nsecrets)) != SAAS_OK)
		return rc;
	rc = saas_webhook_verify(result, v, headers, nheaders, body, len, opts);
	saas_webhook_verifier_free(v);
	return rc;
}
