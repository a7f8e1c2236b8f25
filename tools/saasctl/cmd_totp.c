/*
 * saasctl: the totp commands (code, secret), for checking an authenticator
 * app by hand and for making a secret and its otpauth:// URI. Neither needs
 * the database.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "saasctl.h"

/* --algorithm's value as a saas_totp_algorithm (checked against the choices). */
static int algorithm_of(const struct sc *sc, const struct sc_args *a)
{
	const char *v = sc_opt_value(sc, a, "algorithm");

	if (!v || strcmp(v, "sha1") == 0)
		return SAAS_TOTP_SHA1;
	return strcmp(v, "sha256") == 0 ? SAAS_TOTP_SHA256 : SAAS_TOTP_SHA512;
}

int sc_cmd_totp_code(struct sc *sc, const struct sc_args *a)
{
	const char *tv = sc_opt_value(sc, a, "time");
	char code[SAAS_TOTP_CODE_SIZE];
	long long t;
	int rc;

	if (tv) {
		char *end;

		errno = 0;
		t = strtoll(tv, &end, 10);
		if (tv[0] < '0' || tv[0] > '9' || *end != '\0' || errno == ERANGE)
			return sc_usage_error(sc, "--time '%s' is not a whole number of seconds since "
			                          "the epoch",
			                      tv);
	} else {
		t = (long long)time(NULL);
	}
	rc = saas_totp_code(code, sc_opt_value(sc, a, "secret"), (int64_t)t,
	                    (int)sc_opt_count(sc, a, "digits", 6), algorithm_of(sc, a));
	if (rc)
		return sc_lib_error(rc);
	if (sc->json) {
		printf("{\"code\":\"%s\",\"step\":%lld}\n", code, t / SAAS_TOTP_PERIOD);
	} else {
		printf("%s\n", code);
	}
	return SC_EXIT_OK;
}

int sc_cmd_totp_secret(struct sc *sc, const struct sc_args *a)
{
	const char *issuer = sc_opt_value(sc, a, "issuer");
	const char *account = sc_opt_value(sc, a, "account");
	char *secret = NULL, *uri = NULL;
	int rc;

	if (issuer && !account)
		return sc_usage_error(sc, "--issuer needs --account: they name the URI's label");
	rc = saas_totp_secret_new(&secret, (size_t)sc_opt_count(sc, a, "bytes", 0));
	if (!rc && account)
		rc = saas_totp_uri(&uri, issuer, account, secret,
		                   (int)sc_opt_count(sc, a, "digits", 6), algorithm_of(sc, a));
	if (rc) {
		saas_free_secret(secret);
		return sc_lib_error(rc);
	}
	if (sc->json) {
		printf("{\"secret\":");
		sc_json_string(stdout, secret);
		if (uri) {
			printf(",\"uri\":");
			sc_json_string(stdout, uri);
		}
		printf("}\n");
	} else {
		printf("%s\n", secret);
		if (uri)
			printf("%s\n", uri);
	}
	saas_free_secret(uri);
	saas_free_secret(secret);
	return SC_EXIT_OK;
}
