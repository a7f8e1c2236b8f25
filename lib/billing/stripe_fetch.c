/*
 * A subscription fetched from Stripe's API (GET /v1/subscriptions/{id})
 * through libcurl. Webhook payloads can be stale or arrive out of order;
 * the API's answer is the subscription as it is now. The API key goes into
 * the Authorization header only: no message, URL or log ever holds it, and
 * the copies this file makes are wiped.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <sodium.h>

#include "billing.h"

/* A subscription is a few KiB; a bigger answer is not Stripe's. */
#define MAX_BODY (1024 * 1024)
#define MAX_BASE 512
#define MAX_KEY 255
#define DEFAULT_TIMEOUT_MS 10000L

/* The answer's body, NUL-terminated, at most MAX_BODY bytes. */
struct body {
	char *buf;
	size_t len, cap;
	bool too_large, nomem;
};

static size_t on_data(char *data, size_t size, size_t n, void *payload)
{
	struct body *b = payload;
	size_t k = size * n; /* size is 1 by libcurl's contract */

	if (k > MAX_BODY - b->len) {
		b->too_large = true;
		return 0; /* stops the transfer: CURLE_WRITE_ERROR */
	}
	if (b->len + k + 1 > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16384;
		char *buf;

		while (cap < b->len + k + 1)
			cap *= 2;
		if (cap > MAX_BODY + 1)
			cap = MAX_BODY + 1;
		if (!(buf = realloc(b->buf, cap))) {
			b->nomem = true;
			return 0;
		}
		b->buf = buf;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, k);
	b->len += k;
	b->buf[b->len] = '\0';
	return k;
}

/* Printable ASCII without spaces: what a URL or a key is made of. */
static bool graphic(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static int check_args(const char *base, const char *key, const char *sub_id)
{
	size_t n;

	if (!base)
		return saas__err(SAAS_EINVAL, "api_base", "api_base is NULL");
	n = strlen(base);
	if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0)
		return saas__err(SAAS_EINVAL, "api_base",
		                 "api_base: '%s' does not start with http:// or https://", saas__q(base));
	if (n > MAX_BASE)
		return saas__err(SAAS_EINVAL, "api_base", "api_base is %zu bytes, more than %d", n,
		                 MAX_BASE);
	if (!graphic(base) || strpbrk(base, "?#"))
		return saas__err(SAAS_EINVAL, "api_base",
		                 "api_base: '%s' holds a space, a control character, '?' or '#'",
		                 saas__q(base));
	if (base[n - 1] == '/') /* also refuses a bare "https://" */
		return saas__err(SAAS_EINVAL, "api_base",
		                 "api_base: '%s' ends with '/' (give it without: https://api.stripe.com)",
		                 saas__q(base));
	if (!key || !*key)
		return saas__err(SAAS_EINVAL, "api_key", "api_key is missing");
	if (strlen(key) > MAX_KEY)
		return saas__err(SAAS_EINVAL, "api_key", "api_key is longer than %d bytes", MAX_KEY);
	if (!graphic(key))
		return saas__err(SAAS_EINVAL, "api_key",
		                 "api_key holds a space, a line break or another character that is "
		                 "not printable ASCII");
	if (!sub_id)
		return saas__err(SAAS_EINVAL, "subscription", "subscription is NULL");
	if (!saas__stripe_sub_id_ok(sub_id))
		return saas__err(SAAS_EINVAL, "subscription",
		                 "subscription: '%s' is not a Stripe subscription id (sub_ and 1 to "
		                 "250 letters or digits)", saas__q(sub_id));
	return SAAS_OK;
}

/* Stripe's error.message from an error answer, made safe to show (at most
 * 200 bytes, no control characters), into msg; "" when there is none or
 * when it holds the key (a proxy echoing the request, say). */
static void provider_message(char msg[256], const struct body *b, const char *key)
{
	json_t *root = b->buf ? json_loadb(b->buf, b->len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(json_object_get(root, "error"), "message"));
	size_t n = 0;

	msg[0] = '\0';
	if (m && *m && !strstr(m, key)) {
		memcpy(msg, ": ", 2);
		n = 2;
		for (; *m && n < 202; m++)
			msg[n++] = ((unsigned char)*m < 0x20 || *m == 0x7f) ? '?' : *m;
		if (*m) { /* cut, on a character's start (bindings decode UTF-8), and say so */
			while (n > 2 && ((unsigned char)msg[n - 1] & 0xc0) == 0x80)
				n--;
			if (n > 2 && ((unsigned char)msg[n - 1] & 0x80))
				n--;
			memcpy(msg + n, "...", 3);
			n += 3;
		}
		msg[n] = '\0';
	}
	json_decref(root);
}

/* A 200 answer: the subscription asked for, or SAAS_ESTORE (what the
 * provider sent is not the caller's mistake). */
static int read_answer(struct saas__stripe_sub *out, const struct body *b, const char *sub_id)
{
	json_error_t err;
	json_t *root;
	int rc;

	root = json_loadb(b->buf ? b->buf : "", b->len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		if (json_error_code(&err) == json_error_out_of_memory)
			return saas__enomem();
		return saas__err(SAAS_ESTORE, NULL,
		                 "the provider's answer for %s is not valid JSON: %s (line %d, column %d)",
		                 sub_id, saas__q(err.text), err.line, err.column);
	}
	rc = saas__stripe_sub_parse(out, root, "subscription");
	json_decref(root);
	if (rc == SAAS_EINVAL)
		return saas__err(SAAS_ESTORE, NULL,
		                 "the provider's answer for %s is not a subscription we can read: %s",
		                 sub_id, saas_error_message(saas_error_last()));
	if (rc)
		return rc;
	if (strcmp(out->id, sub_id) != 0) {
		rc = saas__err(SAAS_ESTORE, NULL, "the provider's answer for %s is subscription %s",
		               sub_id, out->id);
		saas__stripe_sub_clear(out);
	}
	return rc;
}

int saas__stripe_fetch_subscription(struct saas__stripe_sub *out, const char *api_base,
                                    const char *api_key, const char *sub_id, long timeout_ms)
{
	char url[MAX_BASE + 300], auth[MAX_KEY + 32], errbuf[CURL_ERROR_SIZE] = "", msg[256];
	struct curl_slist *hdrs = NULL, *h;
	struct body b = {0};
	CURLcode code;
	long status = 0;
	CURL *curl;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	memset(out, 0, sizeof *out);
	if ((rc = check_args(api_base, api_key, sub_id)))
		return rc;
	if (saas__curl_ready() != SAAS_OK) {
		char why[256];

		snprintf(why, sizeof why, "%s", saas_error_message(saas_error_last()));
		return saas__err(SAAS_ESTORE, NULL, "the provider is unreachable: %s", why);
	}
	if (!(curl = curl_easy_init()))
		return saas__enomem();
	snprintf(url, sizeof url, "%s/v1/subscriptions/%s", api_base, sub_id);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", api_key);
	hdrs = curl_slist_append(NULL, auth);
	sodium_memzero(auth, sizeof auth);
	if (!hdrs || !curl_slist_append(hdrs, "Accept: application/json")) {
		rc = saas__enomem();
		goto done;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "libsaas/" SAAS_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	code = curl_easy_perform(curl);
	if (b.nomem) {
		rc = saas__enomem();
		goto done;
	}
	if (b.too_large) {
		rc = saas__err(SAAS_ESTORE, NULL,
		               "the provider's answer for %s is too large: response too large "
		               "(more than %d bytes)", sub_id, MAX_BODY);
		goto done;
	}
	if (code != CURLE_OK) {
		rc = saas__err(SAAS_ESTORE, NULL, "the provider is unreachable: %s%s%s%s",
		               curl_easy_strerror(code), errbuf[0] ? " (" : "", errbuf,
		               errbuf[0] ? ")" : "");
		goto done;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	switch (status) {
	case 200:
		rc = read_answer(out, &b, sub_id);
		break;
	case 404:
		rc = saas__err(SAAS_ENOTFOUND, "subscription", "the provider has no subscription %s",
		               sub_id);
		break;
	case 401:
	case 403:
		rc = saas__err(SAAS_EDENIED, "api_key", "the provider refused the API key (HTTP %ld)",
		               status);
		break;
	default:
		provider_message(msg, &b, api_key);
		rc = saas__err(SAAS_ESTORE, NULL,
		               "the provider is unreachable: HTTP %ld for subscription %s%s", status,
		               sub_id, msg);
		break;
	}
done:
	for (h = hdrs; h; h = h->next)
		sodium_memzero(h->data, strlen(h->data));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	free(b.buf);
	return rc;
}
