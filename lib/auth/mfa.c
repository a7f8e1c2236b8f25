/* TOTP factors and recovery codes in the store (saas/mfa.h): two-step
 * enrolment, replay-safe verification by compare-and-set on the last time
 * step, single-use recovery codes stored as Argon2id strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "saas/mfa.h"
#include "saas/totp.h"
#include "auth.h"
#include "../audit/audit.h"
#include "../store/store_mfa.h"

/* Steps of clock drift accepted either side (RFC 6238 §5.2: at most one). */
#define WINDOW 1
#define ISSUER_MAX 256
/* A code is never longer than this (a bound on work before any check). */
#define CODE_MAX 64

/* Algorithm names as stored and as the otpauth URI spells them, and the
 * secret size RFC 6238 advises for each, by saas_totp_algorithm. */
static const char *const ALG_NAME[] = {NULL, "SHA1", "SHA256", "SHA512"};
static const size_t ALG_BYTES[] = {0, 20, 32, 64};
/* RFC 4648 §6 in lower case: the characters of a recovery code. */
static const char RECOVERY_ALPHABET[] = "abcdefghijklmnopqrstuvwxyz234567";

static int alg_value(const char *name)
{
	for (int i = SAAS_TOTP_SHA1; i <= SAAS_TOTP_SHA512; i++)
		if (name && strcmp(name, ALG_NAME[i]) == 0)
			return i;
	return 0;
}

/* ---- arguments ------------------------------------------------------------------- */

static int check_who(const saas_scope *scope, const char *user_id)
{
	if (!scope)
		return saas__err(SAAS_EINVAL, "scope", "scope is NULL");
	return saas__id_check(user_id, "usr", "user_id");
}

/* What a typed code is: a TOTP code (6 to 8 digits, spaces ignored), put
 * into `out` as its digits, or a recovery code (10 of RECOVERY_ALPHABET in
 * any case, spaces and dashes ignored), put into `out` in its canonical
 * form `k7m2p-qx4za`: 5 + 5 base32 characters. */
enum code_kind { CODE_TOTP = 1, CODE_RECOVERY = 2 };

static int code_kind(int *kind, char out[SAAS_MFA_RECOVERY_CODE_LEN + 1], const char *code,
                     const char *field)
{
	char digits[SAAS_TOTP_CODE_SIZE];
	size_t nd = 0, nr = 0;
	bool totp = true, recovery = true;

	if (!code)
		return saas__err(SAAS_EINVAL, field, "%s is required", field);
	if (strnlen(code, CODE_MAX + 1) > CODE_MAX)
		totp = recovery = false;
	for (const char *p = code; (totp || recovery) && *p; p++) {
		char c = *p;

		if (c == ' ')
			continue;
		if (c == '-') {
			totp = false;
			continue;
		}
		if (c >= '0' && c <= '9' && nd < 8)
			digits[nd++] = c;
		else
			totp = false;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (nr < 10 && strchr(RECOVERY_ALPHABET, c)) {
			out[nr < 5 ? nr : nr + 1] = c;
			nr++;
		} else {
			recovery = false;
		}
	}
	*kind = totp && nd >= 6 ? CODE_TOTP : recovery && nr == 10 ? CODE_RECOVERY : 0;
	if (*kind == CODE_TOTP) {
		memcpy(out, digits, nd);
		out[nd] = '\0';
	} else if (*kind == CODE_RECOVERY) {
		out[5] = '-';
		out[SAAS_MFA_RECOVERY_CODE_LEN] = '\0';
	}
	sodium_memzero(digits, sizeof digits);
	if (*kind)
		return SAAS_OK;
	sodium_memzero(out, SAAS_MFA_RECOVERY_CODE_LEN + 1);
	return saas__err(SAAS_EINVAL, field,
	                 "%s is neither a TOTP code (6 to 8 digits) nor a recovery code "
	                 "(5 + 5 base32 characters, like k7m2p-qx4za)", field);
}

/* ---- the factor --------------------------------------------------------------------- */

enum want { WANT_PENDING, WANT_CONFIRMED };

/* The user's factor as `want` needs it, or the error saying why not. */
static int factor_get(struct saas__totp **out, saas_tx *tx, const char *user_id, enum want want)
{
	int rc = saas__st_totp_get(out, tx, user_id);

	if (rc && rc != SAAS_ENOTFOUND)
		return rc;
	if (want == WANT_PENDING && !rc && (*out)->confirmed_at)
		rc = saas__err(SAAS_EEXISTS, "user_id",
		               "user %s already has a confirmed TOTP factor: remove it first", user_id);
	else if (want == WANT_PENDING && rc)
		rc = saas__err(SAAS_ENOTFOUND, "user_id",
		               "user %s has no pending TOTP factor: enroll first", user_id);
	else if (want == WANT_CONFIRMED && (rc || !(*out)->confirmed_at))
		rc = saas__err(SAAS_ENOTFOUND, "user_id", "user %s has no confirmed TOTP factor",
		               user_id);
	if (rc) {
		saas__totp_row_free(*out);
		*out = NULL;
	}
	return rc;
}

/* factor_get in a read transaction of its own. */
static int factor_read(struct saas__totp **out, saas_ctx *ctx, const char *user_id, enum want want)
{
	saas_tx *tx;
	int rc;

	*out = NULL;
	if ((rc = saas__tx_begin(&tx, ctx, NULL, false)))
		return rc;
	rc = saas__tx_finish(tx, factor_get(out, tx, user_id, want));
	if (rc && *out) {
		saas__totp_row_free(*out);
		*out = NULL;
	}
	return rc;
}

static json_t *factor_meta(const char *algorithm, int digits)
{
	return json_pack("{s:s, s:i}", "algorithm", algorithm, "digits", digits);
}

/* ---- recovery codes ----------------------------------------------------------------- */

void saas_mfa_codes_free(char **codes, size_t n)
{
	if (!codes)
		return;
	for (size_t i = 0; i < n; i++)
		saas_free_secret(codes[i]);
	free(codes);
}

/* Make SAAS_MFA_RECOVERY_CODES new codes (NULL-terminated) and their
 * Argon2id strings (NULL-terminated, for saas__strv_free), outside any
 * transaction: hashing takes a while. */
static int codes_make(char ***out_codes, char ***out_hashes, saas_ctx *ctx)
{
	const saas_password_params *cost = &saas__auth_policy(ctx)->recovery;
	enum { N = SAAS_MFA_RECOVERY_CODES, LEN = SAAS_MFA_RECOVERY_CODE_LEN };
	char **codes = calloc(N + 1, sizeof *codes);
	char **hashes = calloc(N + 1, sizeof *hashes);
	int rc = codes && hashes ? SAAS_OK : saas__enomem();

	for (size_t i = 0; !rc && i < N; i++) {
		char *c = codes[i] = malloc(LEN + 1);

		if (!c) {
			rc = saas__enomem();
			break;
		}
		for (size_t j = 0; j < LEN; j++)
			c[j] = j == 5 ? '-' : RECOVERY_ALPHABET[randombytes_uniform(32)];
		c[LEN] = '\0';
		rc = saas_password_hash(&hashes[i], c, LEN, cost);
	}
	if (rc) {
		saas_mfa_codes_free(codes, N);
		saas__strv_free(hashes);
		return rc;
	}
	*out_codes = codes;
	*out_hashes = hashes;
	return SAAS_OK;
}

/* Unless `rc` is an error already, replace the user's codes in `tx` by
 * those codes_make() made and append `action` (metadata `meta`, stolen);
 * then end the transaction. On success the codes are handed out, else
 * freed; the hashes are freed either way. */
static int codes_finish(char ***out_codes, size_t *out_n, saas_tx *tx, int rc,
                        const saas_scope *scope, const char *user_id, char **codes,
                        char **hashes, const char *action, json_t *meta)
{
	if (!rc)
		rc = saas__st_recovery_replace(tx, user_id, hashes, SAAS_MFA_RECOVERY_CODES,
		                               saas__now(saas__tx_ctx(tx)));
	if (!rc)
		rc = saas__audit_append_system(tx, scope, action, "user", user_id, meta);
	else
		json_decref(meta);
	rc = saas__tx_finish(tx, rc);
	saas__strv_free(hashes);
	if (rc) {
		saas_mfa_codes_free(codes, SAAS_MFA_RECOVERY_CODES);
	} else {
		*out_codes = codes;
		*out_n = SAAS_MFA_RECOVERY_CODES;
	}
	return rc;
}

/* ---- enrolment ---------------------------------------------------------------------- */

int saas_mfa_totp_enroll(char **out_secret, char **out_uri, saas_ctx *ctx,
                         const saas_scope *scope, const char *user_id, const char *issuer,
                         int algorithm, unsigned digits)
{
	struct saas__totp f = {0};
	struct saas_user *u = NULL;
	char *uri = NULL;
	saas_tx *tx = NULL;
	int64_t t0, changed = 0;
	int rc;

	if (out_secret)
		*out_secret = NULL;
	if (out_uri)
		*out_uri = NULL;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!out_secret)
		rc = saas__err(SAAS_EINVAL, "out_secret", "out_secret is NULL");
	else if (!out_uri)
		rc = saas__err(SAAS_EINVAL, "out_uri", "out_uri is NULL");
	else
		rc = check_who(scope, user_id);
	if (!rc && issuer)
		rc = saas__check_text("issuer", issuer, ISSUER_MAX, false);
	if (!rc && algorithm == 0)
		algorithm = SAAS_TOTP_SHA1;
	if (!rc && (algorithm < SAAS_TOTP_SHA1 || algorithm > SAAS_TOTP_SHA512))
		rc = saas__err(SAAS_EINVAL, "algorithm",
		               "algorithm %d is not a saas_totp_algorithm: use 1 (SHA-1), 2 "
		               "(SHA-256), 3 (SHA-512) or 0 for SHA-1", algorithm);
	if (!rc && digits == 0)
		digits = 6;
	if (!rc && digits != 6 && digits != 8)
		rc = saas__err(SAAS_EINVAL, "digits", "digits %u is not allowed: use 6 or 8", digits);
	if (rc)
		goto done;

	f.digits = (int)digits;
	f.created_at = saas__now(ctx);
	f.algorithm = saas__strdup(ALG_NAME[algorithm]);
	if (!f.algorithm) {
		rc = saas__enomem();
		goto done;
	}
	if ((rc = saas_totp_secret_new(&f.secret, ALG_BYTES[algorithm])) ||
	    (rc = saas__tx_begin(&tx, ctx, NULL, true)))
		goto done;
	rc = saas__st_user_get(&u, tx, user_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "user_id", "user %s does not exist", user_id);
	if (!rc)
		rc = saas__st_totp_put_pending(&changed, tx, user_id, &f);
	if (!rc && changed == 0)
		rc = saas__err(SAAS_EEXISTS, "user_id",
		               "user %s already has a confirmed TOTP factor: remove it first", user_id);
	if (!rc)
		rc = saas_totp_uri(&uri, issuer, u->email, f.secret, f.digits, algorithm);
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "mfa.enrollment_started", "user", user_id,
		                               factor_meta(f.algorithm, f.digits));
	if ((rc = saas__tx_finish(tx, rc)))
		goto done;
	*out_secret = f.secret;
	*out_uri = uri;
	f.secret = uri = NULL;
done:
	saas_free_secret(f.secret);
	free(f.algorithm);
	saas_free_secret(uri);
	saas__user_row_free(u);
	saas__op_done(ctx, "mfa.totp_enroll", t0, rc);
	return rc;
}

/* The arguments every function handing out codes checks. */
static int check_codes_out(char ***out_codes, size_t *out_n)
{
	if (out_codes)
		*out_codes = NULL;
	if (out_n)
		*out_n = 0;
	if (!out_codes)
		return saas__err(SAAS_EINVAL, "out_codes", "out_codes is NULL");
	if (!out_n)
		return saas__err(SAAS_EINVAL, "out_n", "out_n is NULL");
	return SAAS_OK;
}

int saas_mfa_totp_confirm(char ***out_codes, size_t *out_n, saas_ctx *ctx,
                          const saas_scope *scope, const char *user_id, const char *code)
{
	struct saas__totp *f = NULL, *now_f = NULL;
	char **codes = NULL, **hashes = NULL;
	saas_tx *tx = NULL;
	int64_t t0, step = -1, changed = 0;
	int rc = check_codes_out(out_codes, out_n);

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!rc)
		rc = check_who(scope, user_id);
	if (!rc && !code)
		rc = saas__err(SAAS_EINVAL, "code", "code is required");
	if (!rc)
		rc = factor_read(&f, ctx, user_id, WANT_PENDING);
	if (!rc) {
		rc = saas_totp_check(&step, f->secret, code, saas__now(ctx) / 1000, WINDOW, f->digits,
		                     alg_value(f->algorithm));
		if (rc == SAAS_ESIGNATURE)
			rc = saas__err(SAAS_ESIGNATURE, "code",
			               "the code does not match user %s's new TOTP factor: check the "
			               "device's clock and try the next code", user_id);
	}
	if (!rc)
		rc = codes_make(&codes, &hashes, ctx);
	if (rc)
		goto done;

	if ((rc = saas__tx_begin(&tx, ctx, NULL, true)))
		goto done;
	rc = factor_get(&now_f, tx, user_id, WANT_PENDING);
	if (!rc)
		rc = saas__st_totp_confirm(&changed, tx, user_id, f->secret, step, saas__now(ctx));
	if (!rc && changed == 0)
		rc = saas__err(SAAS_ECONFLICT, "user_id",
		               "user %s enrolled a new TOTP factor meanwhile: confirm that one",
		               user_id);
	rc = codes_finish(out_codes, out_n, tx, rc, scope, user_id, codes, hashes, "mfa.enrolled",
	                  factor_meta(f->algorithm, f->digits));
	codes = hashes = NULL;
done:
	saas_mfa_codes_free(codes, SAAS_MFA_RECOVERY_CODES);
	saas__strv_free(hashes);
	saas__totp_row_free(f);
	saas__totp_row_free(now_f);
	saas__op_done(ctx, "mfa.totp_confirm", t0, rc);
	return rc;
}

int saas_mfa_recovery_regenerate(char ***out_codes, size_t *out_n, saas_ctx *ctx,
                                 const saas_scope *scope, const char *user_id)
{
	struct saas__totp *f = NULL;
	char **codes = NULL, **hashes = NULL;
	saas_tx *tx = NULL;
	int64_t t0;
	int rc = check_codes_out(out_codes, out_n);

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	if (!rc)
		rc = check_who(scope, user_id);
	if (!rc)
		rc = factor_read(&f, ctx, user_id, WANT_CONFIRMED);
	saas__totp_row_free(f);
	f = NULL;
	if (!rc)
		rc = codes_make(&codes, &hashes, ctx);
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (rc)
		goto done;
	/* removed meanwhile: no codes without a factor */
	rc = factor_get(&f, tx, user_id, WANT_CONFIRMED);
	rc = codes_finish(out_codes, out_n, tx, rc, scope, user_id, codes, hashes,
	                  "mfa.recovery_codes_regenerated",
	                  json_pack("{s:i}", "codes", SAAS_MFA_RECOVERY_CODES));
	codes = hashes = NULL;
done:
	saas_mfa_codes_free(codes, SAAS_MFA_RECOVERY_CODES);
	saas__strv_free(hashes);
	saas__totp_row_free(f);
	saas__op_done(ctx, "mfa.recovery_regenerate", t0, rc);
	return rc;
}

/* ---- verification ------------------------------------------------------------------- */

/* Record a failed attempt (in its own transaction, so that it is kept) and
 * return the error. */
static int refuse(saas_ctx *ctx, const saas_scope *scope, const char *user_id, int code,
                  const char *field, const char *method, const char *what)
{
	bool used = code == SAAS_EUSED;

	saas__auth_audit_alone(ctx, scope, "mfa.failed", "user", user_id,
	                       json_pack("{s:s, s:s}", "method", method, "reason",
	                                 used ? "used_code" : "wrong_code"));
	return used ? saas__err(code, field, "this %s was already used", what)
	            : saas__err(code, field, "the %s is wrong", what);
}

/* Accept `code` (digits only) for the factor `f`, or refuse it. */
static int totp_accept(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                       const struct saas__totp *f, const char *code, const char *field)
{
	int64_t step = -1, changed = 0;
	saas_tx *tx;
	int rc;

	/* the newest step of the window the code matches: when an older one
	 * matches too (adjacent codes collide now and then) the newer wins */
	rc = (int)strlen(code) != f->digits
		? SAAS_ESIGNATURE
		: saas_totp_check(&step, f->secret, code, saas__now(ctx) / 1000, WINDOW, f->digits,
		                  alg_value(f->algorithm));
	if (rc == SAAS_ESIGNATURE)
		return refuse(ctx, scope, user_id, SAAS_ESIGNATURE, field, "totp", "code");
	if (rc)
		return rc;
	if (step > f->last_step) {
		if ((rc = saas__tx_begin(&tx, ctx, NULL, true)))
			return rc;
		rc = saas__tx_finish(tx, saas__st_totp_advance(&changed, tx, user_id, step));
		if (rc)
			return rc;
	}
	/* a step at or before the last one accepted, here or by a request
	 * that got there first: a replay */
	if (changed == 0)
		return refuse(ctx, scope, user_id, SAAS_EUSED, field, "totp", "code");
	return SAAS_OK;
}

/* The user's recovery codes, unused ones first. */
struct stored_code {
	char id[24];
	char *hash;
	bool used;
};
struct code_list {
	struct stored_code *v;
	size_t n;
};

static int code_collect(const char *id, const char *hash, bool used, void *payload)
{
	struct code_list *l = payload;
	struct stored_code *v = realloc(l->v, (l->n + 1) * sizeof *v);

	if (!v)
		return saas__enomem();
	l->v = v;
	snprintf(v[l->n].id, sizeof v[l->n].id, "%s", id);
	v[l->n].used = used;
	if (!(v[l->n].hash = saas__strdup(hash)))
		return saas__enomem();
	l->n++;
	return 0;
}

static int recovery_accept(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                           const char *canon, const char *field)
{
	struct code_list l = {0};
	const struct stored_code *hit = NULL;
	int64_t changed = 0, left = 0;
	saas_tx *tx;
	int rc;

	if ((rc = saas__tx_begin(&tx, ctx, NULL, false)))
		return rc;
	rc = saas__tx_finish(tx, saas__st_recovery_scan(tx, user_id, code_collect, &l));
	/* Argon2id outside any transaction; every stored code is tried
	 * (used ones too, to tell a reuse from a wrong code) */
	for (size_t i = 0; !rc && !hit && i < l.n; i++) {
		int vr = saas_password_verify(l.v[i].hash, canon, SAAS_MFA_RECOVERY_CODE_LEN);

		if (vr == SAAS_OK)
			hit = &l.v[i];
		else if (vr != SAAS_ESIGNATURE)
			rc = vr;
	}
	if (rc)
		goto done;
	if (!hit) {
		rc = refuse(ctx, scope, user_id, SAAS_ESIGNATURE, field, "recovery_code",
		            "recovery code");
		goto done;
	}
	if (!hit->used) {
		if ((rc = saas__tx_begin(&tx, ctx, NULL, true)))
			goto done;
		rc = saas__st_recovery_use(&changed, tx, user_id, hit->id, saas__now(ctx));
		if (!rc && changed == 1)
			rc = saas__st_recovery_left(&left, tx, user_id);
		if (!rc && changed == 1)
			rc = saas__audit_append_system(tx, scope, "mfa.recovery_code_used", "user",
			                               user_id, json_pack("{s:I}", "codes_left",
			                                                  (json_int_t)left));
		if ((rc = saas__tx_finish(tx, rc)))
			goto done;
	}
	if (changed == 0)
		rc = refuse(ctx, scope, user_id, SAAS_EUSED, field, "recovery_code", "recovery code");
done:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].hash);
	free(l.v);
	return rc;
}

/* Take one attempt from the user's second-factor limit. */
static int take_attempt(char key[64], saas_ctx *ctx, const char *user_id, const char *field)
{
	saas_ratelimit_result r;
	int rc;

	snprintf(key, 64, "mfa:%s", user_id);
	rc = saas__ratelimit_shared(&r, ctx, key, &saas__auth_policy(ctx)->mfa, 1);
	if (rc == SAAS_ERATELIMIT)
		rc = saas__err(SAAS_ERATELIMIT, field,
		               "too many second-factor attempts for user %s: retry in %lld s", user_id,
		               (long long)((r.retry_after_ms + 999) / 1000));
	return rc;
}

/* saas_mfa_verify with errors naming `field`, and the factor already read
 * (`f`) or not (NULL). */
static int mfa_check(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                     const char *code, const char *field, const struct saas__totp *f)
{
	char canon[SAAS_MFA_RECOVERY_CODE_LEN + 1] = "", key[64];
	struct saas__totp *own = NULL;
	int kind = 0;
	int rc = code_kind(&kind, canon, code, field);

	if (!rc)
		rc = take_attempt(key, ctx, user_id, field);
	if (!rc && !f && !(rc = factor_read(&own, ctx, user_id, WANT_CONFIRMED)))
		f = own;
	if (!rc)
		rc = kind == CODE_TOTP ? totp_accept(ctx, scope, user_id, f, canon, field)
		                       : recovery_accept(ctx, scope, user_id, canon, field);
	/* a success gives the user a full burst again (a failure to is harmless) */
	if (!rc)
		(void)saas_ratelimit_reset_shared(ctx, key);
	sodium_memzero(canon, sizeof canon);
	saas__totp_row_free(own);
	return rc;
}

int saas_mfa_verify(saas_ctx *ctx, const saas_scope *scope, const char *user_id,
                    const char *code)
{
	int64_t t0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = check_who(scope, user_id);
	if (!rc)
		rc = mfa_check(ctx, scope, user_id, code, "code", NULL);
	saas__op_done(ctx, "mfa.verify", t0, rc);
	return rc;
}

int saas__mfa_login_check(int *out_checked, saas_ctx *ctx, const saas_scope *scope,
                          const char *user_id, const char *code)
{
	struct saas__totp *f = NULL;
	int rc;

	*out_checked = 0;
	rc = factor_read(&f, ctx, user_id, WANT_CONFIRMED);
	if (rc == SAAS_ENOTFOUND) {
		saas_error_clear();
		return SAAS_OK;
	}
	if (!rc && !code)
		rc = saas__err(SAAS_EMFA, "second_factor",
		               "user %s has a second factor: ask for a code and sign in again",
		               user_id);
	else if (!rc)
		rc = mfa_check(ctx, scope, user_id, code, "second_factor", f);
	if (!rc)
		*out_checked = 1;
	saas__totp_row_free(f);
	return rc;
}

/* ---- removal and status ------------------------------------------------------------- */

int saas_mfa_remove(saas_ctx *ctx, const saas_scope *scope, const char *user_id)
{
	struct saas__totp *f = NULL;
	saas_tx *tx = NULL;
	int64_t t0, changed = 0;
	int rc;

	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = check_who(scope, user_id);
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, true);
	if (rc)
		goto done;
	rc = saas__st_totp_get(&f, tx, user_id);
	if (rc == SAAS_ENOTFOUND)
		rc = saas__err(SAAS_ENOTFOUND, "user_id", "user %s has no TOTP factor", user_id);
	if (!rc)
		rc = saas__st_totp_delete(&changed, tx, user_id);
	if (!rc)
		rc = saas__audit_append_system(tx, scope, "mfa.removed", "user", user_id,
		                               json_pack("{s:b}", "confirmed", f->confirmed_at != 0));
	rc = saas__tx_finish(tx, rc);
done:
	saas__totp_row_free(f);
	saas__op_done(ctx, "mfa.remove", t0, rc);
	return rc;
}

int saas_mfa_status(int *out_enabled, unsigned *out_recovery_left, saas_ctx *ctx,
                    const char *user_id)
{
	struct saas__totp *f = NULL;
	saas_tx *tx = NULL;
	int64_t t0, left = 0;
	int rc;

	if (out_enabled)
		*out_enabled = 0;
	if (out_recovery_left)
		*out_recovery_left = 0;
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	t0 = saas__mono_ns();
	rc = saas__id_check(user_id, "usr", "user_id");
	if (!rc)
		rc = saas__tx_begin(&tx, ctx, NULL, false);
	if (rc)
		goto done;
	rc = saas__st_totp_get(&f, tx, user_id);
	if (rc == SAAS_ENOTFOUND)
		rc = SAAS_OK;
	if (!rc)
		rc = saas__st_recovery_left(&left, tx, user_id);
	if (!(rc = saas__tx_finish(tx, rc))) {
		if (out_enabled)
			*out_enabled = f && f->confirmed_at != 0;
		if (out_recovery_left)
			*out_recovery_left = (unsigned)left;
	}
done:
	saas__totp_row_free(f);
	saas__op_done(ctx, "mfa.status", t0, rc);
	return rc;
}
