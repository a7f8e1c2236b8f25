/*
 * Signed checkpoints of audit streams (docs/audit.md, "Checkpoints").
 *
 * A checkpoint signs, with the context's ed25519 key, the statement
 *
 *     libsaas audit checkpoint v1\n<tenant_id>\n<seq>\n<hash>\n<created_at ms>\n
 *
 * so that whoever holds the public key can tell that the stream reached event
 * <seq> with hash <hash> at that time: a stream cut or rewritten afterwards,
 * even one re-chained consistently, no longer matches its signed checkpoints.
 *
 * Keys: the secret is "saas-audit-key-v1:<key_id>:<base64 of the 32-byte
 * seed>", read from "file:PATH", "env:NAME" or (option NULL) the environment
 * variable SAAS_AUDIT_SIGNING_KEY, once per context, under the context's
 * audit_key_mu; kept in sodium_malloc'd memory and wiped when the context is
 * freed. Its public form is "saas-audit-pub-v1:<key_id>:<base64 of the
 * 32-byte public key>". Only the key id and signatures reach the database.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "saas/audit.h"
#include "audit.h"

#define SECRET_PREFIX "saas-audit-key-v1:"
#define PUBLIC_PREFIX "saas-audit-pub-v1:"
#define KEY_ID_MAX 32
#define DEFAULT_ENV "SAAS_AUDIT_SIGNING_KEY"
#define B64 sodium_base64_VARIANT_ORIGINAL
#define STATEMENT_MAX 512
#define MAX_TRUSTED 64
#define CKPT_BATCH 1000u
#define SIG64_LEN SAAS__AUDIT_SIG64_LEN
_Static_assert(SIG64_LEN == sodium_base64_ENCODED_LEN(crypto_sign_BYTES, B64),
               "the base64 length of a signature");

struct pubkey {
	char id[KEY_ID_MAX + 1];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
};

struct saas__audit_keys {
	bool loaded;          /* the configured key was read (or none is configured) */
	bool have;            /* a signing key is configured and loaded */
	bool warned;          /* "no key: no automatic checkpoints" logged */
	unsigned char *sk;    /* sodium_malloc'd, crypto_sign_SECRETKEYBYTES */
	struct pubkey own;
	struct pubkey trusted[MAX_TRUSTED];
	size_t ntrusted;
};

void saas__audit_keys_free(struct saas__audit_keys *k)
{
	if (!k)
		return;
	if (k->sk)
		sodium_free(k->sk); /* wipes it */
	sodium_memzero(k, sizeof *k);
	free(k);
}

static bool key_id_ok(const char *s, size_t n)
{
	if (n < 1 || n > KEY_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Parse "<prefix><key_id>:<base64 of 32 bytes>" (trailing whitespace allowed)
 * into id and raw[32]. false if malformed. */
static bool parse_key(const char *s, size_t len, const char *prefix, char id[KEY_ID_MAX + 1],
                      unsigned char raw[32])
{
	size_t plen = strlen(prefix), got = 0;
	const char *colon, *end;

	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
	               s[len - 1] == '\t'))
		len--;
	if (len <= plen || memcmp(s, prefix, plen) != 0)
		return false;
	s += plen;
	len -= plen;
	colon = memchr(s, ':', len);
	if (!colon || !key_id_ok(s, (size_t)(colon - s)))
		return false;
	memcpy(id, s, (size_t)(colon - s));
	id[colon - s] = '\0';
	if (sodium_base642bin(raw, 32, colon + 1, len - (size_t)(colon + 1 - s), NULL, &got, &end,
	                      B64) != 0 ||
	    got != 32 || end != s + len) {
		sodium_memzero(raw, 32);
		return false;
	}
	return true;
}

static char *format_key(const char *prefix, const char *id, const unsigned char raw[32])
{
	size_t enc = sodium_base64_ENCODED_LEN(32, B64);
	size_t n = strlen(prefix) + strlen(id) + 1 + enc;
	char *s = malloc(n);

	if (!s)
		return NULL;
	int k = snprintf(s, n, "%s%s:", prefix, id);
	sodium_bin2base64(s + k, n - (size_t)k, raw, 32, B64);
	return s;
}

/* Read the configured key's text into a malloc'd buffer (wiped and freed by
 * the caller). *out NULL and SAAS_OK: no key is configured. */
static int read_key_text(char **out, size_t *out_len, saas_ctx *ctx)
{
	const char *src = ctx->opts.audit_signing_key;
	const char *v;

	*out = NULL;
	*out_len = 0;
	if (!src) {
		v = getenv(DEFAULT_ENV);
		if (!v || !*v)
			return SAAS_OK;
		goto copy;
	}
	if (strncmp(src, "env:", 4) == 0) {
		v = getenv(src + 4);
		if (!v)
			return saas__err(SAAS_ENOTFOUND, "audit_signing_key",
			                 "the audit signing key's environment variable %s is not set",
			                 src + 4);
		goto copy;
	}
	if (strncmp(src, "file:", 5) == 0) {
		FILE *f = fopen(src + 5, "rb");
		char *buf;
		size_t n;

		if (!f)
			return saas__err(errno == ENOENT ? SAAS_ENOTFOUND : SAAS_EINVAL,
			                 "audit_signing_key", "cannot read the audit signing key file %s: %s",
			                 src + 5, strerror(errno));
		buf = sodium_malloc(1024);
		if (!buf) {
			fclose(f);
			return saas__enomem();
		}
		n = fread(buf, 1, 1023, f);
		fclose(f);
		buf[n] = '\0';
		*out = malloc(n + 1);
		if (*out) {
			memcpy(*out, buf, n + 1);
			*out_len = n;
		}
		sodium_free(buf);
		return *out ? SAAS_OK : saas__enomem();
	}
	return saas__err(SAAS_EINVAL, "audit_signing_key",
	                 "audit_signing_key must be \"file:PATH\" or \"env:NAME\"");
copy:
	*out_len = strlen(v);
	*out = malloc(*out_len + 1);
	if (!*out)
		return saas__enomem();
	memcpy(*out, v, *out_len + 1);
	return SAAS_OK;
}

static const char *key_source(saas_ctx *ctx)
{
	return ctx->opts.audit_signing_key ? ctx->opts.audit_signing_key : "env:" DEFAULT_ENV;
}

/* With ctx->audit_key_mu held: load the key once. */
static int load_locked(saas_ctx *ctx)
{
	struct saas__audit_keys *k = ctx->audit_keys;
	unsigned char seed[crypto_sign_SEEDBYTES];
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!k) {
		k = calloc(1, sizeof *k);
		if (!k)
			return saas__enomem();
		ctx->audit_keys = k;
	}
	if (k->loaded)
		return SAAS_OK;
	rc = read_key_text(&text, &len, ctx);
	if (rc)
		return rc; /* tried again at the next call */
	if (!text) {
		k->loaded = true;
		return SAAS_OK;
	}
	if (!parse_key(text, len, SECRET_PREFIX, k->own.id, seed)) {
		rc = saas__err(SAAS_EINVAL, "audit_signing_key",
		               "the audit signing key from %s is malformed: expected "
		               "'saas-audit-key-v1:<key_id>:<base64 of a 32-byte seed>' with a key id "
		               "of 1 to 32 characters [a-z0-9_-]",
		               key_source(ctx));
		goto out;
	}
	k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!k->sk) {
		rc = saas__enomem();
		goto out;
	}
	crypto_sign_seed_keypair(k->own.pk, k->sk, seed);
	k->have = true;
	k->loaded = true;
out:
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(text, len);
	free(text);
	return rc;
}

/* Load the key if not yet; *have tells whether one is configured. */
static int load_key(bool *have, saas_ctx *ctx)
{
	int rc;

	pthread_mutex_lock(&ctx->audit_key_mu);
	rc = load_locked(ctx);
	*have = !rc && ctx->audit_keys->have;
	pthread_mutex_unlock(&ctx->audit_key_mu);
	return rc;
}

static int no_key(void)
{
	return saas__err(SAAS_ENOTFOUND, "audit_signing_key",
	                 "no audit signing key is configured: set the context option "
	                 "audit_signing_key or the environment variable " DEFAULT_ENV);
}

/* ---- public keys -------------------------------------------------------------- */

int saas_audit_keygen(char **out_secret, char **out_public, const char *key_id)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned char seed[crypto_sign_SEEDBYTES];
	char idbuf[KEY_ID_MAX + 1];
	char *sec, *pub;

	if (out_secret)
		*out_secret = NULL;
	if (out_public)
		*out_public = NULL;
	if (!out_secret)
		return saas__err(SAAS_EINVAL, "out_secret", "out_secret is NULL");
	if (!out_public)
		return saas__err(SAAS_EINVAL, "out_public", "out_public is NULL");
	if (key_id && !key_id_ok(key_id, strlen(key_id)))
		return saas__err(SAAS_EINVAL, "key_id",
		                 "key id '%s' must be 1 to 32 characters of [a-z0-9_-]", key_id);
	if (sodium_init() < 0)
		return saas__err(SAAS_EINTERNAL, NULL, "libsodium failed to initialise");
	crypto_sign_keypair(pk, sk);
	crypto_sign_ed25519_sk_to_seed(seed, sk);
	if (!key_id) {
		/* A default id from the public key: "k" and 12 hex characters. */
		unsigned char h[6];
		crypto_generichash(h, sizeof h, pk, sizeof pk, NULL, 0);
		idbuf[0] = 'k';
		sodium_bin2hex(idbuf + 1, sizeof idbuf - 1, h, sizeof h);
		key_id = idbuf;
	}
	sec = format_key(SECRET_PREFIX, key_id, seed);
	pub = format_key(PUBLIC_PREFIX, key_id, pk);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	if (!sec || !pub) {
		saas_free_secret(sec);
		free(pub);
		return saas__enomem();
	}
	*out_secret = sec;
	*out_public = pub;
	return SAAS_OK;
}

int saas_audit_public_key(char **out, saas_ctx *ctx)
{
	bool have;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	*out = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	rc = load_key(&have, ctx);
	if (rc)
		return rc;
	if (!have)
		return no_key();
	*out = format_key(PUBLIC_PREFIX, ctx->audit_keys->own.id, ctx->audit_keys->own.pk);
	return *out ? SAAS_OK : saas__enomem();
}

int saas_audit_trust_key(saas_ctx *ctx, const char *public_key)
{
	struct pubkey p;
	struct saas__audit_keys *k;
	int rc = SAAS_OK;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if (!public_key)
		return saas__err(SAAS_EINVAL, "public_key", "public_key is NULL");
	if (!parse_key(public_key, strlen(public_key), PUBLIC_PREFIX, p.id, p.pk))
		return saas__err(SAAS_EINVAL, "public_key",
		                 "public key is malformed: expected 'saas-audit-pub-v1:<key_id>:"
		                 "<base64 of a 32-byte public key>'");
	pthread_mutex_lock(&ctx->audit_key_mu);
	if (!ctx->audit_keys && !(ctx->audit_keys = calloc(1, sizeof *ctx->audit_keys))) {
		rc = saas__enomem();
		goto out;
	}
	k = ctx->audit_keys;
	for (size_t i = 0; i < k->ntrusted; i++) {
		if (strcmp(k->trusted[i].id, p.id) != 0)
			continue;
		if (memcmp(k->trusted[i].pk, p.pk, sizeof p.pk) != 0)
			rc = saas__err(SAAS_ECONFLICT, "public_key",
			               "another public key with id '%s' is already trusted", p.id);
		goto out; /* the same key again: nothing to do */
	}
	if (k->ntrusted == MAX_TRUSTED) {
		rc = saas__err(SAAS_ELIMIT, "public_key", "at most %d public keys can be trusted",
		               MAX_TRUSTED);
		goto out;
	}
	k->trusted[k->ntrusted++] = p;
out:
	pthread_mutex_unlock(&ctx->audit_key_mu);
	return rc;
}

/* ---- signing ------------------------------------------------------------------ */

/* The signed statement of a checkpoint ("checkpoint") or of a retention
 * anchor ("anchor"); its length, or -1 if it does not fit. */
static int statement(char *buf, size_t n, const char *kind, const char *tenant, int64_t seq,
                     const char *hash, int64_t created_at)
{
	int k = snprintf(buf, n, "libsaas audit %s v1\n%s\n%" PRId64 "\n%s\n%" PRId64 "\n", kind,
	                 tenant, seq, hash, created_at);
	if (k < 0 || (size_t)k >= n)
		return -1;
	return k;
}

/* Sign `c` (seq and hash set) as a `kind` of the transaction's tenant with
 * the loaded key: sets created_at, key_id and signature (into sig64). */
static int sign(struct saas__audit_ckpt *c, char sig64[SIG64_LEN], saas_tx *tx,
                const char *kind)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	struct saas__audit_keys *k = ctx->audit_keys;
	unsigned char sig[crypto_sign_BYTES];
	char text[STATEMENT_MAX];
	int len;

	c->created_at = saas__now(ctx);
	c->key_id = k->own.id;
	c->signature = sig64;
	len = statement(text, sizeof text, kind, saas__tx_tenant(tx), c->seq, c->hash,
	                c->created_at);
	if (len < 0)
		return saas__err(SAAS_EINTERNAL, NULL, "%s statement too long", kind);
	crypto_sign_detached(sig, NULL, (const unsigned char *)text, (size_t)len, k->sk);
	sodium_bin2base64(sig64, SIG64_LEN, sig, sizeof sig, B64);
	return SAAS_OK;
}

/* Sign and insert a checkpoint of event `seq` (hash `hash`) of the
 * transaction's tenant; the key is loaded. */
static int sign_insert(saas_tx *tx, int64_t seq, const char *hash)
{
	struct saas__audit_ckpt c = {.seq = seq, .hash = hash};
	char sig64[SIG64_LEN];
	int rc = sign(&c, sig64, tx, "checkpoint");

	return rc ? rc : saas__st_audit_ckpt_insert(tx, &c);
}

int saas__audit_require_key(saas_ctx *ctx)
{
	bool have;
	int rc = load_key(&have, ctx);

	return rc ? rc : have ? SAAS_OK : no_key();
}

int saas__audit_anchor_sign(struct saas__audit_ckpt *a, char sig64[SIG64_LEN], saas_tx *tx)
{
	bool have;
	int rc = load_key(&have, saas__tx_ctx(tx));

	if (!rc && !have)
		rc = no_key();
	return rc ? rc : sign(a, sig64, tx, "anchor");
}

int saas__audit_ckpt_auto(saas_tx *tx, int64_t seq, const char *hash, bool check_time)
{
	saas_ctx *ctx = saas__tx_ctx(tx);
	unsigned every = ctx->opts.audit_checkpoint_every;
	unsigned secs = ctx->opts.audit_checkpoint_seconds;
	bool due = false, have, warn = false;
	int rc;

	if (!every && !secs)
		return SAAS_OK;
	if (every && seq % every == 0)
		due = true;
	if (!due && secs && check_time) {
		int64_t last, at;
		rc = saas__st_audit_ckpt_last(&last, &at, tx);
		if (rc)
			return rc;
		/* A stream never signed is due at once. */
		due = last == 0 || saas__now(ctx) - at >= (int64_t)secs * 1000;
	}
	if (!due)
		return SAAS_OK;
	rc = load_key(&have, ctx);
	if (rc)
		return rc;
	if (!have) {
		pthread_mutex_lock(&ctx->audit_key_mu);
		warn = !ctx->audit_keys->warned;
		ctx->audit_keys->warned = true;
		pthread_mutex_unlock(&ctx->audit_key_mu);
		if (warn)
			saas__log(ctx, SAAS_LOG_WARN,
			          "automatic audit checkpoints are configured but no audit signing key "
			          "is: no checkpoint is signed",
			          NULL);
		return SAAS_OK;
	}
	return sign_insert(tx, seq, hash);
}

int saas_audit_checkpoint(int64_t *out_seq, saas_ctx *ctx, const saas_scope *scope)
{
	int64_t t0 = saas__mono_ns();
	saas_tx *tx = NULL;
	int64_t last, cseq, cat;
	char hash[65];
	bool have;
	int rc;

	if (out_seq)
		*out_seq = 0;
	if (!out_seq)
		return saas__err(SAAS_EINVAL, "out_seq", "out_seq is NULL");
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	if ((rc = saas__scope_tenant(scope)))
		goto done;
	rc = load_key(&have, ctx);
	if (!rc && !have)
		rc = no_key();
	if (rc)
		goto done;
	rc = saas__tx_begin(&tx, ctx, scope->tenant_id, true);
	if (rc)
		goto done;
	rc = saas__st_audit_tail(&last, hash, tx); /* holds the stream */
	if (!rc && last == 0)
		rc = saas__err(SAAS_ESTATE, NULL,
		               "the audit stream of %s is empty: there is nothing to checkpoint",
		               scope->tenant_id);
	if (!rc)
		rc = saas__st_audit_ckpt_last(&cseq, &cat, tx);
	if (!rc && cseq != last)
		rc = sign_insert(tx, last, hash);
	rc = saas__tx_finish(tx, rc);
	if (!rc)
		*out_seq = last;
done:
	saas__op_done(ctx, "audit.checkpoint", t0, rc);
	return rc;
}

/* ---- verification ------------------------------------------------------------- */

struct ckpt_check {
	const char *tenant;
	int64_t first_seq;             /* the stream's first event (after its anchor) */
	int64_t last_seq;              /* the verified stream's last event */
	struct pubkey keys[MAX_TRUSTED + 1];
	size_t nkeys;
	struct saas__audit_ckpt_result *res;
};

static const struct pubkey *find_key(const struct ckpt_check *cc, const char *id)
{
	for (size_t i = 0; i < cc->nkeys; i++)
		if (id && strcmp(cc->keys[i].id, id) == 0)
			return &cc->keys[i];
	return NULL;
}

/* Whether `c`'s signature, as a `kind` statement, verifies with the key of
 * its id; if not, the finding is in cc->res (BAD_SIGNATURE at c->seq). */
static bool signature_ok(struct ckpt_check *cc, const struct saas__audit_ckpt *c,
                         const char *kind, const char *what)
{
	struct saas__audit_ckpt_result *r = cc->res;
	const struct pubkey *pk = find_key(cc, c->key_id);
	unsigned char sig[crypto_sign_BYTES];
	char text[STATEMENT_MAX];
	size_t got = 0;
	const char *end;
	int len;

	if (!pk) {
		snprintf(r->msg, sizeof r->msg,
		         "the %s of event %" PRId64 " is signed with key '%s', which is not "
		         "trusted: give its public key (saas_audit_trust_key, or the keys given to "
		         "saas_audit_verify_file) to verify it",
		         what, c->seq, c->key_id ? c->key_id : "");
		r->damage = SAAS_AUDIT_BAD_SIGNATURE;
		r->bad_seq = c->seq;
		return false;
	}
	len = c->hash ? statement(text, sizeof text, kind, cc->tenant, c->seq, c->hash,
	                          c->created_at)
	              : -1;
	if (len < 0 || !c->signature ||
	    sodium_base642bin(sig, sizeof sig, c->signature, strlen(c->signature), NULL, &got, &end,
	                      B64) != 0 ||
	    got != sizeof sig || *end != '\0' ||
	    crypto_sign_verify_detached(sig, (const unsigned char *)text, (size_t)len, pk->pk) != 0) {
		snprintf(r->msg, sizeof r->msg,
		         "the %s of event %" PRId64 " has a bad signature for key '%s': "
		         "it was forged or altered",
		         what, c->seq, pk->id);
		r->damage = SAAS_AUDIT_BAD_SIGNATURE;
		r->bad_seq = c->seq;
		return false;
	}
	return true;
}

static int check_ckpt(const struct saas__audit_ckpt *c, const char *event_hash, void *payload)
{
	struct ckpt_check *cc = payload;
	struct saas__audit_ckpt_result *r = cc->res;

	r->last_seq = c->seq;
	if (!signature_ok(cc, c, "checkpoint", "checkpoint"))
		return 1;
	if (c->seq <= cc->first_seq - 1) {
		/* Its event was purged under the anchor: only the signature
		 * can be checked. */
		r->checked++;
		return 0;
	}
	if (c->seq > cc->last_seq) {
		snprintf(r->msg, sizeof r->msg,
		         "the stream was cut after checkpoint %" PRId64 ": events up to %" PRId64
		         " were signed but the stream ends at %" PRId64,
		         r->checked + 1, c->seq, cc->last_seq);
		r->damage = SAAS_AUDIT_CUT;
		r->bad_seq = cc->last_seq + 1;
		return 1;
	}
	if (!event_hash || strcmp(event_hash, c->hash) != 0) {
		snprintf(r->msg, sizeof r->msg,
		         "event %" PRId64 " was changed: its hash is not the one its signed "
		         "checkpoint holds (the stream was rewritten)",
		         c->seq);
		r->damage = SAAS_AUDIT_CHANGED;
		r->bad_seq = c->seq;
		return 1;
	}
	r->checked++;
	return 0;
}

/* The context's own key and the keys it trusts. */
static int keys_from_ctx(struct ckpt_check *cc, saas_ctx *ctx)
{
	bool have;
	int rc = load_key(&have, ctx);

	if (rc)
		return rc;
	pthread_mutex_lock(&ctx->audit_key_mu);
	if (have)
		cc->keys[cc->nkeys++] = ctx->audit_keys->own;
	for (size_t i = 0; i < ctx->audit_keys->ntrusted; i++)
		cc->keys[cc->nkeys++] = ctx->audit_keys->trusted[i];
	pthread_mutex_unlock(&ctx->audit_key_mu);
	return SAAS_OK;
}

/* Public keys given as text (saas-audit-pub-v1:…). */
static int keys_from_list(struct ckpt_check *cc, const char *const *public_keys, size_t n_keys)
{
	if (n_keys > MAX_TRUSTED)
		return saas__err(SAAS_EINVAL, "public_keys", "at most %d public keys can be given",
		                 MAX_TRUSTED);
	for (size_t i = 0; i < n_keys; i++) {
		struct pubkey p;

		if (!public_keys[i] ||
		    !parse_key(public_keys[i], strlen(public_keys[i]), PUBLIC_PREFIX, p.id, p.pk))
			return saas__err(SAAS_EINVAL, "public_keys",
			                 "public key %zu is malformed: expected 'saas-audit-pub-v1:"
			                 "<key_id>:<base64 of a 32-byte public key>'",
			                 i + 1);
		if (!find_key(cc, p.id))
			cc->keys[cc->nkeys++] = p;
	}
	return SAAS_OK;
}

int saas__audit_anchor_verify(struct saas__audit_ckpt_result *res, saas_ctx *ctx,
                              const char *tenant_id, const char *const *public_keys,
                              size_t n_keys, const struct saas__audit_ckpt *anchor)
{
	struct ckpt_check *cc = calloc(1, sizeof *cc);
	int rc;

	memset(res, 0, sizeof *res);
	if (!cc)
		return saas__enomem();
	cc->tenant = tenant_id;
	cc->res = res;
	rc = ctx ? keys_from_ctx(cc, ctx) : keys_from_list(cc, public_keys, n_keys);
	if (!rc && signature_ok(cc, anchor, "anchor", "retention anchor"))
		res->checked = 1;
	free(cc);
	return rc;
}

int saas__audit_ckpt_verify(struct saas__audit_ckpt_result *res, saas_tx *tx, int64_t first_seq,
                            int64_t last_seq)
{
	struct ckpt_check *cc;
	int64_t after = 0;
	size_t rows;
	int rc;

	memset(res, 0, sizeof *res);
	cc = calloc(1, sizeof *cc);
	if (!cc)
		return saas__enomem();
	cc->tenant = saas__tx_tenant(tx);
	cc->first_seq = first_seq;
	cc->last_seq = last_seq;
	cc->res = res;
	rc = keys_from_ctx(cc, saas__tx_ctx(tx));
	while (!rc) {
		rc = saas__st_audit_ckpt_scan(&rows, tx, after, CKPT_BATCH, check_ckpt, cc);
		after = res->last_seq;
		if (res->damage || rows < CKPT_BATCH)
			break;
	}
	free(cc);
	return rc;
}

int saas__audit_ckpt_verify_list(struct saas__audit_ckpt_result *res, const char *tenant_id,
                                 int64_t first_seq, int64_t last_seq,
                                 const char *const *public_keys, size_t n_keys,
                                 const struct saas__audit_ckpt *ck,
                                 const char *const *event_hash, size_t n)
{
	struct ckpt_check *cc;
	int rc;

	memset(res, 0, sizeof *res);
	cc = calloc(1, sizeof *cc);
	if (!cc)
		return saas__enomem();
	cc->tenant = tenant_id;
	cc->first_seq = first_seq;
	cc->last_seq = last_seq;
	cc->res = res;
	rc = keys_from_list(cc, public_keys, n_keys);
	for (size_t i = 0; !rc && i < n; i++)
		if (check_ckpt(&ck[i], event_hash[i], cc))
			break;
	free(cc);
	return rc;
}
