/*
 * saasctl: the webhook commands (saas/webhook.h, docs/webhooks.md): verify a
 * delivery as a receiver would, sign a body as a provider would, make a
 * Standard Webhooks secret or ed25519 key pair, and print a signing key's
 * public key. None of them needs the database.
 *
 * Secrets come from --secret or, to keep them out of the process list, from
 * the environment variable --secret-env names; they are never printed.
 * verify answers a question: exit 0 valid, 1 invalid (the failed check on
 * stdout, the reason on stderr), 2 when there is no answer (a bad option,
 * secret or file).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "saasctl.h"

/* The exit status of verify when there is no answer. */
#define SC_EXIT_NO_ANSWER 2

/* ---- helpers ------------------------------------------------------------------- */

/* Read FILE ('-': stdin) whole, as bytes, into *out (malloc'd, never NULL on
 * success; *len its length). Returns an exit status (SC_EXIT_REFUSED,
 * message printed, on failure). */
static int read_body(unsigned char **out, size_t *len, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	const char *name = is_stdin ? "<stdin>" : path;
	size_t cap = 65536, n = 0;
	unsigned char *buf;
	int failed;

	*out = NULL;
	*len = 0;
	if (!f)
		return sc_fail("cannot open %s: %s", path, strerror(errno));
	buf = malloc(cap);
	if (!buf) {
		if (!is_stdin)
			fclose(f);
		return sc_fail("out of memory");
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				if (!is_stdin)
					fclose(f);
				return sc_fail("%s is too large to read", name);
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	failed = ferror(f);
	if (!is_stdin)
		fclose(f);
	if (failed) {
		free(buf);
		return sc_fail("cannot read %s", name);
	}
	*out = buf;
	*len = n;
	return SC_EXIT_OK;
}

/* The secrets of --secret (in order), then those of --secret-env (read from
 * the environment, in order). *out is a malloc'd array of borrowed strings.
 * Returns an exit status (usage error when none is given or a variable is
 * unset or empty). */
static int collect_secrets(const char ***out, size_t *n, const struct sc *sc,
                           const struct sc_args *a)
{
	size_t nargs, nenv;
	const char *const *args = sc_opt_values(sc, a, "secret", &nargs);
	const char *const *envs = sc_opt_values(sc, a, "secret-env", &nenv);
	const char **v;

	*out = NULL;
	*n = 0;
	if (nargs + nenv == 0)
		return sc_usage_error(sc, "give a secret: --secret S or --secret-env NAME");
	v = malloc((nargs + nenv) * sizeof *v);
	if (!v)
		return sc_fail("out of memory");
	for (size_t i = 0; i < nargs; i++)
		v[i] = args[i];
	for (size_t i = 0; i < nenv; i++) {
		const char *s = getenv(envs[i]);

		if (!s || !*s) {
			free(v);
			return sc_usage_error(sc, "--secret-env: the environment variable %s is %s",
			                      envs[i], s ? "empty" : "not set");
		}
		v[nargs + i] = s;
	}
	*out = v;
	*n = nargs + nenv;
	return SC_EXIT_OK;
}

/* --now: Unix seconds, 1 or more. *out is 0 when not given. Returns an exit status. */
static int parse_now(int64_t *out, const struct sc *sc, const struct sc_args *a)
{
	const char *v = sc_opt_value(sc, a, "now");
	long long t;
	char *end;

	*out = 0;
	if (!v)
		return SC_EXIT_OK;
	errno = 0;
	t = strtoll(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno == ERANGE)
		return sc_usage_error(sc, "--now '%s' is not a whole number of seconds since the epoch",
		                      v);
	if (t < 1)
		return sc_usage_error(sc, "--now must be at least 1");
	*out = (int64_t)t;
	return SC_EXIT_OK;
}

/* Remove the spaces and tabs around the string s (in place); its new start. */
static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* The headers of --header 'Name: value' (split at the first ':', the spaces
 * and tabs around the name and the value removed). *out and *store are
 * malloc'd: free both (store holds the copies the headers point into).
 * Returns an exit status. */
static int parse_headers(saas_webhook_header **out, size_t *n, char **store, const struct sc *sc,
                         const struct sc_args *a)
{
	size_t nh, total = 0;
	const char *const *hv = sc_opt_values(sc, a, "header", &nh);
	saas_webhook_header *h;
	char *buf, *p;

	*out = NULL;
	*n = 0;
	*store = NULL;
	for (size_t i = 0; i < nh; i++) {
		const char *colon = strchr(hv[i], ':');

		if (!colon)
			return sc_usage_error(sc, "--header '%s' has no ':' (give 'Name: value')",
			                      hv[i]);
		if (strspn(hv[i], " \t") == (size_t)(colon - hv[i]))
			return sc_usage_error(sc, "--header '%s' has no name before the ':'", hv[i]);
		total += strlen(hv[i]) + 1;
	}
	h = malloc((nh ? nh : 1) * sizeof *h);
	buf = malloc(total ? total : 1);
	if (!h || !buf) {
		free(h);
		free(buf);
		return sc_fail("out of memory");
	}
	p = buf;
	for (size_t i = 0; i < nh; i++) {
		size_t len = strlen(hv[i]);
		char *colon;

		memcpy(p, hv[i], len + 1);
		colon = strchr(p, ':');
		*colon = '\0';
		h[i].name = trim(p);
		h[i].value = trim(colon + 1);
		p += len + 1;
	}
	*out = h;
	*n = nh;
	*store = buf;
	return SC_EXIT_OK;
}

/* ---- verify -------------------------------------------------------------------- */

static void print_result_json(const saas_webhook_result *r)
{
	const char *check = saas_webhook_check_name(r->check);

	printf("{\"valid\":%s,\"check\":", r->check == SAAS_WEBHOOK_VALID ? "true" : "false");
	sc_json_string(stdout, check ? check : "unknown");
	printf(",\"id\":");
	if (r->id[0])
		sc_json_string(stdout, r->id);
	else
		printf("null");
	if (r->timestamp)
		printf(",\"timestamp\":%lld", (long long)r->timestamp);
	else
		printf(",\"timestamp\":null");
	printf(",\"secret_index\":%d}\n", r->secret_index);
}

int sc_cmd_webhook_verify(struct sc *sc, const struct sc_args *a)
{
	saas_webhook_verify_options opts = SAAS_WEBHOOK_VERIFY_OPTIONS_INIT;
	saas_webhook_result result;
	saas_webhook_header *headers = NULL;
	const char **secrets = NULL;
	unsigned char *body = NULL;
	char *store = NULL;
	size_t nsecrets = 0, nheaders = 0, len = 0;
	int provider, rc;

	provider = saas_webhook_provider_parse(sc_opt_value(sc, a, "provider"));
	if (provider < 0) {
		sc_lib_error(provider);
		return SC_EXIT_NO_ANSWER;
	}
	if ((rc = parse_now(&opts.now, sc, a)))
		return rc;
	opts.tolerance = sc_opt_count(sc, a, "tolerance", -1);
	opts.ignore_timestamp = sc_opt_value(sc, a, "ignore-timestamp") != NULL;
	if ((rc = parse_headers(&headers, &nheaders, &store, sc, a)))
		return rc == SC_EXIT_REFUSED ? SC_EXIT_NO_ANSWER : rc;
	rc = collect_secrets(&secrets, &nsecrets, sc, a);
	if (!rc)
		rc = read_body(&body, &len, sc_opt_value(sc, a, "body-file"));
	if (rc) {
		rc = rc == SC_EXIT_REFUSED ? SC_EXIT_NO_ANSWER : rc;
		goto out;
	}
	rc = saas_webhook_verify_once(&result, provider, secrets, nsecrets, headers, nheaders, body,
	                              len, &opts);
	if (rc == SAAS_OK || rc == SAAS_ESIGNATURE) {
		if (sc->json) {
			print_result_json(&result);
		} else if (rc == SAAS_OK) {
			printf("valid\n");
		} else {
			const char *check = saas_webhook_check_name(result.check);

			printf("invalid: %s\n", check ? check : "unknown");
		}
		if (rc)
			sc_lib_error(rc);
		rc = rc ? SC_EXIT_REFUSED : SC_EXIT_OK;
	} else {
		sc_lib_error(rc);
		rc = SC_EXIT_NO_ANSWER;
	}
out:
	free(body);
	free(secrets);
	free(headers);
	free(store);
	return rc;
}

/* ---- sign ---------------------------------------------------------------------- */

int sc_cmd_webhook_sign(struct sc *sc, const struct sc_args *a)
{
	saas_webhook_sign_options opts = SAAS_WEBHOOK_SIGN_OPTIONS_INIT;
	const char *pname = sc_opt_value(sc, a, "provider");
	saas_webhook_header *out = NULL;
	const char **secrets = NULL;
	unsigned char *body = NULL;
	size_t nsecrets = 0, len = 0, n = 0;
	int provider, rc;

	provider = saas_webhook_provider_parse(pname);
	if (provider < 0)
		return sc_lib_error(provider);
	opts.id = sc_opt_value(sc, a, "id");
	opts.svix_headers = sc_opt_value(sc, a, "svix-headers") != NULL ||
	                    strcmp(pname, "svix") == 0;
	if (opts.svix_headers && provider != SAAS_WEBHOOK_STANDARD)
		return sc_usage_error(sc, "--svix-headers is for --provider standard or svix");
	if (opts.id && (provider == SAAS_WEBHOOK_STRIPE || provider == SAAS_WEBHOOK_SLACK))
		return sc_usage_error(sc, "--id is not sent by %s (only standard, svix, github and "
		                          "shopify carry an id)",
		                      pname);
	if ((rc = parse_now(&opts.now, sc, a)))
		return rc;
	if ((rc = collect_secrets(&secrets, &nsecrets, sc, a)))
		return rc;
	if ((rc = read_body(&body, &len, sc_opt_value(sc, a, "body-file")))) {
		free(secrets);
		return rc;
	}
	rc = saas_webhook_sign(&out, &n, provider, secrets, nsecrets, body, len, &opts);
	free(body);
	free(secrets);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("{");
		for (size_t i = 0; i < n; i++) {
			printf("%s", i ? "," : "");
			sc_json_string(stdout, out[i].name);
			printf(":");
			sc_json_string(stdout, out[i].value);
		}
		printf("}\n");
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s: %s\n", out[i].name, out[i].value);
	}
	saas_free(out);
	return SC_EXIT_OK;
}

/* ---- secret, public-key ---------------------------------------------------------- */

int sc_cmd_webhook_secret(struct sc *sc, const struct sc_args *a)
{
	char *secret = NULL, *pub = NULL;
	int ed = sc_opt_value(sc, a, "ed25519") != NULL, rc;

	rc = ed ? saas_webhook_keypair_new(&secret, &pub) : saas_webhook_secret_new(&secret);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("{\"secret\":");
		sc_json_string(stdout, secret);
		if (pub) {
			printf(",\"public\":");
			sc_json_string(stdout, pub);
		}
		printf("}\n");
	} else if (pub) {
		printf("secret: %s\npublic: %s\n", secret, pub);
	} else {
		printf("%s\n", secret);
	}
	saas_free_secret(secret);
	saas_free(pub);
	return SC_EXIT_OK;
}

int sc_cmd_webhook_public_key(struct sc *sc, const struct sc_args *a)
{
	const char *secret = sc_opt_value(sc, a, "secret");
	const char *env = sc_opt_value(sc, a, "secret-env");
	char *pub = NULL;
	int rc;

	if (!secret == !env)
		return sc_usage_error(sc, "give the signing key with --secret or --secret-env (one of "
		                          "them)");
	if (env) {
		secret = getenv(env);
		if (!secret || !*secret)
			return sc_usage_error(sc, "--secret-env: the environment variable %s is %s", env,
			                      secret ? "empty" : "not set");
	}
	rc = saas_webhook_public_key(&pub, secret);
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("{\"public\":");
		sc_json_string(stdout, pub);
		printf("}\n");
	} else {
		printf("%s\n", pub);
	}
	saas_free(pub);
	return SC_EXIT_OK;
}
