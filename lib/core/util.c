/* Memory, time text, JSON helpers, version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "core.h"

char *saas__strdup(const char *s)
{
	size_t n;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void *saas__calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void saas_free(void *p)
{
	free(p);
}

void saas_free_secret(char *s)
{
	if (!s)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

void saas__time_rfc3339(char buf[32], int64_t ms)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		snprintf(buf, 32, "%lld", (long long)ms);
		return;
	}
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + 19, 13, ".%03dZ", frac % 1000);
}

json_t *saas__json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *saas__json_time(int64_t ms)
{
	char buf[32];

	if (ms == 0)
		return json_null();
	saas__time_rfc3339(buf, ms);
	return json_string(buf);
}

char *saas__json_take_dump(json_t *v)
{
	char *s;

	if (!v)
		return NULL;
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(v);
	return s;
}

int64_t saas__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *saas_version(void)
{
	return SAAS_VERSION;
}

int saas_version_number(void)
{
	return SAAS_VERSION_NUMBER;
}

int saas__json_option(json_t **out, const char *option, const char *value)
{
	json_error_t err;

	*out = NULL;
	if (!value)
		return SAAS_OK;
	if (strncmp(value, "file:", 5) == 0) {
		*out = json_load_file(value + 5, JSON_REJECT_DUPLICATES, &err);
		if (!*out)
			return saas__err(SAAS_EINVAL, option, "%s: %s: %s (line %d)", option, value + 5,
			                 saas__q(err.text), err.line);
		return SAAS_OK;
	}
	*out = json_loads(value, JSON_REJECT_DUPLICATES, &err);
	if (!*out)
		return saas__err(SAAS_EINVAL, option,
		                 "%s is neither 'file:PATH' nor valid JSON: %s (line %d)", option,
		                 saas__q(err.text), err.line);
	return SAAS_OK;
}

/* curl_global_init is not thread-safe in every libcurl build: once per
 * process, whichever thread needs libcurl first. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int saas__curl_ready(void)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return saas__err(SAAS_EINTERNAL, NULL, "libcurl could not start: %s",
		                 curl_easy_strerror(curl_init_rc));
	return SAAS_OK;
}
