/*
 * bench/webhook: inbound webhook verification per second (saas/webhook.h)
 * for Stripe and Standard Webhooks at 1 KiB, 16 KiB and 256 KiB bodies,
 * side by side in one run with
 *
 *   raw HMAC      libcrypto's one-shot HMAC(EVP_sha256(), ...) of the signed
 *                 content prepared contiguous in advance (Stripe "t.body",
 *                 Standard Webhooks "id.t.body") under the same key: the
 *                 floor of any verifier;
 *   keyed HMAC    the same HMAC with its key scheduled once: an EVP_MAC_CTX
 *                 keyed in advance, copied (EVP_MAC_CTX_dup) for each
 *                 message, as libsaas does (OpenSSL 3's one-shot HMAC()
 *                 fetches the digest and hashes the padded key on every call,
 *                 which costs more than a 1 KiB message);
 *   Node          stripe's stripe.webhooks.constructEvent(body, header,
 *                 secret) (stripe@17) and standardwebhooks' new
 *                 Webhook(secret).verify(body, headers) (standardwebhooks@1),
 *                 the body a Buffer as a raw-body middleware hands it over;
 *                 both JSON.parse the body as part of verifying, so every
 *                 body is a JSON document of exactly its size. Installed
 *                 with npm into the temporary directory (or taken from
 *                 $SAAS_BENCH_WEBHOOK_NODE_DIR if it holds node_modules with
 *                 both), run by bench/webhook-node.js; without node or npm,
 *                 one "skipped" line says why.
 *
 * libsaas: one saas_webhook_verifier made once from one secret (a
 * saas_webhook_secret_new() whsec_ secret for both schemes; Stripe keys its
 * HMAC with the whole string), then saas_webhook_verify() of the headers
 * saas_webhook_sign() made at the current time, options NULL (the system
 * clock, the provider's 300 s), every call checked valid. The Node
 * libraries verify those same headers and bytes (so they also confirm that
 * libsaas signs as they expect), against the real clock too.
 *
 * Each figure is the best of PASSES passes of about SECONDS each (-t), the
 * libsaas and raw HMAC passes alternating, after an untimed warm-up. The
 * ratios are the figures: libsaas / raw HMAC in verifications per second
 * (the aim: at least 1 / 1.2 at 256 KiB; also given against the
 * keyed HMAC) and libsaas / Node (aim: at least 5 at 1 KiB).
 *
 *   usage: webhook [-t SECONDS] [-n]
 *     -t  seconds per pass (default 0.25)
 *     -n  no Node peers
 *
 * Output: a table, the ratio lines, then one JSON line per scheme and size.
 * Figures, never pass/fail; about 30 s with the Node peers (and the npm
 * install). The temporary directory (under $TMPDIR or /tmp) is removed.
 */
#define _XOPEN_SOURCE 700
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <sodium.h>

#include <saas.h>

#include "common.h"

#ifndef SAAS_BENCH_WEBHOOK_JS
#define SAAS_BENCH_WEBHOOK_JS "bench/webhook-node.js"
#endif

#define PASSES 5
#define DEFAULT_SECONDS 0.25
#define NSIZES 3
#define NSCHEMES 2
#define MSG_ID "msg_2bench0webhook0verify0001"

static const size_t SIZES[NSIZES] = {1024, 16384, 262144};
static const char *const SIZE_NAMES[NSIZES] = {"1 KiB", "16 KiB", "256 KiB"};

/* One scheme at one size: what each side verifies, and its figures. */
struct scheme {
	const char *name;      /* "stripe", "standard" */
	const char *node_call; /* what the Node side calls */
	int provider;
	const char *secret;
	unsigned char key[64]; /* the HMAC key's bytes */
	size_t keylen;
};

struct result {
	double lib_ns, raw_ns, keyed_ns, node_ns; /* per verification; node_ns 0: not run */
	long node_n;
};

static volatile unsigned char sink;

/* A JSON document of exactly len bytes (len >= 64): an event with padding. */
static char *make_body(size_t len)
{
	static const char head[] = "{\"id\":\"evt_bench\",\"object\":\"event\",\"type\":\"bench\",\"data\":{\"pad\":\"";
	static const char tail[] = "\"}}";
	char *b = bench_calloc(len + 1, 1);
	size_t h = sizeof head - 1, t = sizeof tail - 1;

	memcpy(b, head, h);
	for (size_t i = h; i < len - t; i++)
		b[i] = (char)('a' + (i * 7) % 26);
	memcpy(b + len - t, tail, t);
	return b;
}

/* Sign body at time t: the headers (free with saas_free). */
static saas_webhook_header *sign(const struct scheme *s, const char *body, size_t len, int64_t t,
                                 size_t *n)
{
	saas_webhook_sign_options so = SAAS_WEBHOOK_SIGN_OPTIONS_INIT;
	saas_webhook_header *h = NULL;

	so.now = t;
	so.id = s->provider == SAAS_WEBHOOK_STANDARD ? MSG_ID : NULL;
	bench_check(saas_webhook_sign(&h, n, s->provider, &s->secret, 1, body, len, &so),
	            "saas_webhook_sign");
	return h;
}

/* ---- the two C sides ----------------------------------------------------------------------- */

struct job {
	const saas_webhook_verifier *v;
	const saas_webhook_header *h;
	size_t nh;
	const char *body;
	size_t len;
	const unsigned char *key;
	size_t keylen;
	const unsigned char *content; /* the signed content, contiguous */
	size_t clen;
	EVP_MAC_CTX *keyed; /* HMAC-SHA256 under key, scheduled once */
};

static void run_lib(const struct job *j, size_t n)
{
	saas_webhook_result r;

	for (size_t i = 0; i < n; i++)
		if (saas_webhook_verify(&r, j->v, j->h, j->nh, j->body, j->len, NULL) != SAAS_OK)
			bench_die("saas_webhook_verify: %s (check %s)",
			          saas_error_message(saas_error_last()), saas_webhook_check_name(r.check));
}

static void run_raw(const struct job *j, size_t n)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;

	for (size_t i = 0; i < n; i++) {
		if (!HMAC(EVP_sha256(), j->key, (int)j->keylen, j->content, j->clen, mac, &ml))
			bench_die("HMAC failed");
		sink ^= mac[0];
	}
}

static void run_keyed(const struct job *j, size_t n)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t ml = 0;

	for (size_t i = 0; i < n; i++) {
		EVP_MAC_CTX *c = EVP_MAC_CTX_dup(j->keyed);

		if (!c || !EVP_MAC_update(c, j->content, j->clen) ||
		    !EVP_MAC_final(c, mac, &ml, sizeof mac))
			bench_die("EVP_MAC failed");
		EVP_MAC_CTX_free(c);
		sink ^= mac[0];
	}
}

/* How many iterations of fn last about `seconds` (at least 1). */
static size_t calibrate(void (*fn)(const struct job *, size_t), const struct job *j,
                        double seconds)
{
	size_t n = 1;

	for (;;) {
		double t0 = bench_now(), dt;

		fn(j, n);
		dt = bench_now() - t0;
		if (dt >= 0.02 || n >= ((size_t)1 << 30))
			return (size_t)((double)n * seconds / (dt > 0 ? dt : 1e-9)) + 1;
		n *= 4;
	}
}

static double pass(void (*fn)(const struct job *, size_t), const struct job *j, size_t n)
{
	double t0 = bench_now();

	fn(j, n);
	return (bench_now() - t0) * 1e9 / (double)n;
}

static void measure(struct result *res, const struct scheme *s, const char *body, size_t len,
                    double seconds)
{
	struct job j = {.body = body, .len = len, .key = s->key, .keylen = s->keylen};
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	                       OSSL_PARAM_construct_end()};
	EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	saas_webhook_verifier *v;
	saas_webhook_header *h;
	int64_t t = (int64_t)time(NULL);
	char prefix[128];
	unsigned char *content;
	size_t nh, pl, nlib, nraw, nkeyed;

	h = sign(s, body, len, t, &nh);
	bench_check(saas_webhook_verifier_new(&v, s->provider, &s->secret, 1),
	            "saas_webhook_verifier_new");
	if (s->provider == SAAS_WEBHOOK_STANDARD)
		snprintf(prefix, sizeof prefix, "%s.%lld.", MSG_ID, (long long)t);
	else
		snprintf(prefix, sizeof prefix, "%lld.", (long long)t);
	pl = strlen(prefix);
	content = bench_calloc(pl + len, 1);
	memcpy(content, prefix, pl);
	memcpy(content + pl, body, len);
	j.v = v;
	j.h = h;
	j.nh = nh;
	j.content = content;
	j.clen = pl + len;
	if (!alg || !(j.keyed = EVP_MAC_CTX_new(alg)) ||
	    !EVP_MAC_init(j.keyed, s->key, s->keylen, params))
		bench_die("EVP_MAC HMAC-SHA256 failed");

	nlib = calibrate(run_lib, &j, seconds);
	nraw = calibrate(run_raw, &j, seconds);
	nkeyed = calibrate(run_keyed, &j, seconds);
	res->lib_ns = res->raw_ns = res->keyed_ns = 1e300;
	for (int p = 0; p < PASSES; p++) {
		double a, b, k;

		if (p % 2) {
			k = pass(run_keyed, &j, nkeyed);
			b = pass(run_raw, &j, nraw);
			a = pass(run_lib, &j, nlib);
		} else {
			a = pass(run_lib, &j, nlib);
			b = pass(run_raw, &j, nraw);
			k = pass(run_keyed, &j, nkeyed);
		}
		if (a < res->lib_ns)
			res->lib_ns = a;
		if (b < res->raw_ns)
			res->raw_ns = b;
		if (k < res->keyed_ns)
			res->keyed_ns = k;
	}
	EVP_MAC_CTX_free(j.keyed);
	EVP_MAC_free(alg);
	free(content);
	saas_webhook_verifier_free(v);
	saas_free(h);
}

/* ---- the Node side --------------------------------------------------------------------------- */

struct node_run {
	int ran;
	char skipped[512];
	char node[32], stripe[32], standardwebhooks[32];
	double install_s;
};

/* A JSON string of s (the values here are ASCII: only " and \ need it). */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void node_run(struct node_run *nr, struct result res[NSCHEMES][NSIZES],
                     const struct scheme *schemes, char *const bodies[NSIZES], double seconds)
{
	char prefix[4200], input[4200], log[4200], path[4200], cmd[16384], line[1024];
	const char *script = getenv("SAAS_BENCH_WEBHOOK_JS");
	const char *dir = getenv("SAAS_BENCH_WEBHOOK_NODE_DIR");
	struct stat sb;
	FILE *f;
	int rc;

	memset(nr, 0, sizeof *nr);
	if (!script || !*script)
		script = SAAS_BENCH_WEBHOOK_JS;
	if (stat(script, &sb) != 0) {
		snprintf(nr->skipped, sizeof nr->skipped, "%s not found", script);
		return;
	}
	if (bench_run_quiet("node --version >/dev/null 2>&1") != 0) {
		snprintf(nr->skipped, sizeof nr->skipped, "node not found");
		return;
	}
	snprintf(log, sizeof log, "%s/npm.log", bench_tmpdir);
	if (dir && *dir) {
		snprintf(prefix, sizeof prefix, "%s", dir);
	} else {
		double t0;

		if (bench_run_quiet("npm --version >/dev/null 2>&1") != 0) {
			snprintf(nr->skipped, sizeof nr->skipped, "npm not found");
			return;
		}
		snprintf(prefix, sizeof prefix, "%s/node", bench_tmpdir);
		snprintf(cmd, sizeof cmd,
		         "npm install --prefix '%s' stripe@17 standardwebhooks@1 --no-audit --no-fund"
		         " --loglevel=error >'%s' 2>&1",
		         prefix, log);
		t0 = bench_now();
		rc = bench_run_quiet(cmd);
		nr->install_s = bench_now() - t0;
		if (rc != 0) {
			char why[400];

			bench_last_line(log, why, sizeof why);
			snprintf(nr->skipped, sizeof nr->skipped,
			         "npm install stripe@17 standardwebhooks@1 failed: %s",
			         why[0] ? why : "no output");
			return;
		}
	}

	/* The bodies as files, and the cases: headers signed now. */
	for (size_t z = 0; z < NSIZES; z++) {
		snprintf(path, sizeof path, "%s/body-%zu.json", bench_tmpdir, SIZES[z]);
		if (!(f = fopen(path, "wb")) || fwrite(bodies[z], 1, SIZES[z], f) != SIZES[z] ||
		    fclose(f) != 0)
			bench_die("%s: cannot write", path);
	}
	snprintf(input, sizeof input, "%s/webhook-node.json", bench_tmpdir);
	if (!(f = fopen(input, "w")))
		bench_die("%s: cannot write", input);
	fprintf(f, "{\"seconds\":%.3f,\"passes\":%d,\"cases\":[", seconds, PASSES);
	for (size_t s = 0; s < NSCHEMES; s++)
		for (size_t z = 0; z < NSIZES; z++) {
			size_t nh;
			saas_webhook_header *h = sign(&schemes[s], bodies[z], SIZES[z],
			                              (int64_t)time(NULL), &nh);

			fprintf(f, "%s{\"scheme\":\"%s\",\"size\":%zu,\"body\":\"%s/body-%zu.json\",\"secret\":",
			        s + z ? "," : "", schemes[s].name, SIZES[z], bench_tmpdir, SIZES[z]);
			json_string(f, schemes[s].secret);
			fputs(",\"headers\":{", f);
			for (size_t i = 0; i < nh; i++) {
				fputs(i ? "," : "", f);
				json_string(f, h[i].name);
				fputc(':', f);
				json_string(f, h[i].value);
			}
			fputs("}}", f);
			saas_free(h);
		}
	fputs("]}\n", f);
	if (fclose(f) != 0)
		bench_die("%s: write failed", input);

	snprintf(log, sizeof log, "%s/node.log", bench_tmpdir);
	snprintf(cmd, sizeof cmd, "NODE_PATH='%s/node_modules' node '%s' '%s' 2>'%s'", prefix, script,
	         input, log);
	if (!(f = popen(cmd, "r")))
		bench_die("popen node");
	while (fgets(line, sizeof line, f)) {
		char scheme[32];
		size_t size;
		double ns;
		long n;

		if (sscanf(line, "case %31s %zu %lf %ld", scheme, &size, &ns, &n) == 4) {
			for (size_t s = 0; s < NSCHEMES; s++)
				for (size_t z = 0; z < NSIZES; z++)
					if (strcmp(scheme, schemes[s].name) == 0 && size == SIZES[z]) {
						res[s][z].node_ns = ns;
						res[s][z].node_n = n;
					}
		} else {
			sscanf(line, "versions %31s %31s %31s", nr->node, nr->stripe, nr->standardwebhooks);
		}
	}
	rc = pclose(f);
	if (rc != 0) {
		char why[400];

		bench_last_line(log, why, sizeof why);
		snprintf(nr->skipped, sizeof nr->skipped, "node failed: %s", why[0] ? why : "no output");
		for (size_t s = 0; s < NSCHEMES; s++)
			for (size_t z = 0; z < NSIZES; z++)
				res[s][z].node_ns = 0;
		return;
	}
	nr->ran = 1;
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct scheme schemes[NSCHEMES] = {
		{"stripe", "stripe.webhooks.constructEvent", SAAS_WEBHOOK_STRIPE, NULL, {0}, 0},
		{"standard", "new Webhook(secret).verify", SAAS_WEBHOOK_STANDARD, NULL, {0}, 0},
	};
	struct result res[NSCHEMES][NSIZES];
	const char *base = getenv("TMPDIR");
	struct node_run nr = {0};
	char *bodies[NSIZES], *secret = NULL;
	double seconds = DEFAULT_SECONDS;
	int c, node = 1;

	bench_name = "webhook";
	while ((c = getopt(argc, argv, "t:n")) != -1) {
		char *end;

		switch (c) {
		case 't':
			seconds = strtod(optarg, &end);
			if (*end || !(seconds > 0.001 && seconds <= 60))
				goto usage;
			break;
		case 'n':
			node = 0;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (sodium_init() < 0)
		bench_die("sodium_init failed");

	snprintf(bench_tmpdir, sizeof bench_tmpdir, "%s/libsaas-bench-XXXXXX",
	         base && *base ? base : "/tmp");
	if (!mkdtemp(bench_tmpdir)) {
		perror("mkdtemp");
		return 1;
	}

	/* One whsec_ secret: Stripe's HMAC key is the whole string, Standard
	 * Webhooks' the bytes its base64 decodes to. */
	bench_check(saas_webhook_secret_new(&secret), "saas_webhook_secret_new");
	for (size_t s = 0; s < NSCHEMES; s++)
		schemes[s].secret = secret;
	schemes[0].keylen = strlen(secret);
	memcpy(schemes[0].key, secret, schemes[0].keylen);
	if (sodium_base642bin(schemes[1].key, sizeof schemes[1].key, secret + 6, strlen(secret + 6),
	                      NULL, &schemes[1].keylen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		bench_die("the secret is not whsec_ and base64");

	memset(res, 0, sizeof res);
	for (size_t z = 0; z < NSIZES; z++)
		bodies[z] = make_body(SIZES[z]);
	for (size_t s = 0; s < NSCHEMES; s++)
		for (size_t z = 0; z < NSIZES; z++)
			measure(&res[s][z], &schemes[s], bodies[z], SIZES[z], seconds);
	if (node) {
		fflush(stdout);
		node_run(&nr, res, schemes, bodies, seconds);
	} else {
		snprintf(nr.skipped, sizeof nr.skipped, "-n");
	}

	printf("verifications per second (ratios: libsaas / the other, in verifications per second)\n");
	printf("%-9s %-8s %11s %11s %11s %11s %9s %9s %9s\n", "scheme", "body", "libsaas", "raw HMAC",
	       "keyed HMAC", "node", "lib/raw", "lib/keyed", "lib/node");
	for (size_t s = 0; s < NSCHEMES; s++)
		for (size_t z = 0; z < NSIZES; z++) {
			const struct result *r = &res[s][z];

			printf("%-9s %-8s %11.0f %11.0f %11.0f ", schemes[s].name, SIZE_NAMES[z],
			       1e9 / r->lib_ns, 1e9 / r->raw_ns, 1e9 / r->keyed_ns);
			if (r->node_ns > 0)
				printf("%11.0f %9.3f %9.3f %9.2f\n", 1e9 / r->node_ns, r->raw_ns / r->lib_ns,
				       r->keyed_ns / r->lib_ns, r->node_ns / r->lib_ns);
			else
				printf("%11s %9.3f %9.3f %9s\n", "-", r->raw_ns / r->lib_ns,
				       r->keyed_ns / r->lib_ns, "-");
		}
	for (size_t s = 0; s < NSCHEMES; s++) {
		printf("%s: libsaas / raw HMAC = %.3f at 256 KiB (libsaas takes %.3fx the raw time;"
		       " aim: within 1.2x), %.3f at 16 KiB, %.3f at 1 KiB\n",
		       schemes[s].name, res[s][2].raw_ns / res[s][2].lib_ns,
		       res[s][2].lib_ns / res[s][2].raw_ns, res[s][1].raw_ns / res[s][1].lib_ns,
		       res[s][0].raw_ns / res[s][0].lib_ns);
		printf("%s: libsaas / keyed HMAC = %.3f at 256 KiB, %.3f at 16 KiB, %.3f at 1 KiB\n",
		       schemes[s].name, res[s][2].keyed_ns / res[s][2].lib_ns,
		       res[s][1].keyed_ns / res[s][1].lib_ns, res[s][0].keyed_ns / res[s][0].lib_ns);
		if (nr.ran)
			printf("%s: libsaas / node (%s) = %.1fx at 1 KiB (aim: at least 5x), %.1fx at 16 KiB,"
			       " %.1fx at 256 KiB\n",
			       schemes[s].name, schemes[s].node_call, res[s][0].node_ns / res[s][0].lib_ns,
			       res[s][1].node_ns / res[s][1].lib_ns, res[s][2].node_ns / res[s][2].lib_ns);
	}
	if (nr.ran)
		printf("node: %s, stripe %s, standardwebhooks %s%s\n", nr.node, nr.stripe,
		       nr.standardwebhooks, nr.install_s > 0 ? " (installed with npm)" : "");
	else
		printf("node: skipped (%s)\n", nr.skipped);

	for (size_t s = 0; s < NSCHEMES; s++)
		for (size_t z = 0; z < NSIZES; z++) {
			const struct result *r = &res[s][z];

			printf("{\"bench\":\"webhook\",\"op\":\"verify\",\"scheme\":\"%s\",\"body_bytes\":%zu,"
			       "\"libsaas_ops_per_s\":%.0f,\"raw_hmac_ops_per_s\":%.0f,"
			       "\"libsaas_over_raw_hmac\":%.3f,\"keyed_hmac_ops_per_s\":%.0f,"
			       "\"libsaas_over_keyed_hmac\":%.3f",
			       schemes[s].name, SIZES[z], 1e9 / r->lib_ns, 1e9 / r->raw_ns,
			       r->raw_ns / r->lib_ns, 1e9 / r->keyed_ns, r->keyed_ns / r->lib_ns);
			if (r->node_ns > 0)
				printf(",\"node\":\"%s\",\"node_ops_per_s\":%.0f,\"libsaas_over_node\":%.2f",
				       schemes[s].node_call, 1e9 / r->node_ns, r->node_ns / r->lib_ns);
			printf("}\n");
		}

	for (size_t z = 0; z < NSIZES; z++)
		free(bodies[z]);
	saas_free_secret(secret);
	bench_cleanup();
	return 0;

usage:
	fprintf(stderr, "usage: %s [-t SECONDS] [-n]\n", argv[0]);
	return 2;
}
