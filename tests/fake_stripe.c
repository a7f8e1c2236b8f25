/* A local fake of Stripe's subscription API for tests (fake_stripe.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "fake_stripe.h"

#define PATH_PREFIX "/v1/subscriptions/"

struct entry {
	char *id;
	char *json;
	size_t len;
};

struct fake_stripe {
	struct MHD_Daemon *daemon;
	char *auth;          /* "Bearer <key>" */
	char url[64];
	/* guarded by mu: everything below (the daemon's thread reads it) */
	pthread_mutex_t mu;
	struct entry *subs;
	size_t nsubs, cap;
	int fail_status, fail_times;
	int requests;
};

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

/* A Stripe-style error body: {"error":{"type":..,"code":..,"message":..}}. */
static char *error_body(const char *type, const char *code, const char *message)
{
	json_t *e = json_pack("{s:s, s:s}", "type", type, "message", message);
	json_t *root = json_pack("{s:o}", "error", e);
	char *s;

	if (code)
		json_object_set_new(e, "code", json_string(code));
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return s ? s : xstrdup("{}");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                            size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Request-Id", "req_fake");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Send a body made by error_body (freed here). */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, char *body)
{
	enum MHD_Result ok = reply(c, status, body, strlen(body));

	free(body);
	return ok;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size, void **req)
{
	static int seen;
	struct fake_stripe *fs = cls;
	const char *auth, *id;
	char msg[160], *body = NULL;
	size_t len = 0;
	unsigned status;

	(void)version;
	(void)upload_data;
	/* The first call only announces the request (headers read). */
	if (*req == NULL) {
		*req = &seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* no call here takes a body: drop it */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0)
		return send_error(c, 405, error_body("invalid_request_error", NULL,
		                                     "Unrecognized request method"));
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	id = strncmp(url, PATH_PREFIX, strlen(PATH_PREFIX)) == 0 ? url + strlen(PATH_PREFIX) : NULL;

	pthread_mutex_lock(&fs->mu);
	fs->requests++;
	if (fs->fail_times > 0) {
		fs->fail_times--;
		status = (unsigned)fs->fail_status;
		snprintf(msg, sizeof msg, "The fake failed on purpose (HTTP %u)", status);
		body = error_body("api_error", NULL, msg);
	} else if (!auth || strcmp(auth, fs->auth) != 0) {
		status = 401;
		body = error_body("invalid_request_error", NULL, "Invalid API Key provided");
	} else if (!id || !*id || strchr(id, '/')) {
		status = 404;
		snprintf(msg, sizeof msg, "Unrecognized request URL (GET: %.100s)", url);
		body = error_body("invalid_request_error", NULL, msg);
	} else {
		size_t i;

		for (i = 0; i < fs->nsubs && strcmp(fs->subs[i].id, id) != 0; i++)
			;
		if (i < fs->nsubs) {
			status = 200;
			len = fs->subs[i].len;
			/* copied under the lock: a concurrent put may free it */
			body = malloc(len ? len : 1);
			if (body)
				memcpy(body, fs->subs[i].json, len);
		} else {
			status = 404;
			snprintf(msg, sizeof msg, "No such subscription: '%.100s'", id);
			body = error_body("invalid_request_error", "resource_missing", msg);
		}
	}
	pthread_mutex_unlock(&fs->mu);
	if (!body)
		return MHD_NO;
	if (status == 200) {
		enum MHD_Result ok = reply(c, status, body, len);
		free(body);
		return ok;
	}
	return send_error(c, status, body);
}

struct fake_stripe *fake_stripe_start(const char *api_key)
{
	struct fake_stripe *fs = calloc(1, sizeof *fs);
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	size_t n;

	if (!fs)
		return NULL;
	pthread_mutex_init(&fs->mu, NULL);
	n = strlen("Bearer ") + strlen(api_key) + 1;
	if (!(fs->auth = malloc(n)))
		goto fail;
	snprintf(fs->auth, n, "Bearer %s", api_key);
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = 0; /* the system picks */
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fs->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
	                              NULL, answer, fs, MHD_OPTION_SOCK_ADDR,
	                              (struct sockaddr *)&addr, MHD_OPTION_END);
	if (!fs->daemon)
		goto fail;
	info = MHD_get_daemon_info(fs->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || info->port == 0)
		goto fail;
	snprintf(fs->url, sizeof fs->url, "http://127.0.0.1:%u", (unsigned)info->port);
	return fs;
fail:
	fake_stripe_stop(fs);
	return NULL;
}

void fake_stripe_put(struct fake_stripe *fs, const char *sub_id, const char *json)
{
	char *copy = xstrdup(json);
	size_t i;

	pthread_mutex_lock(&fs->mu);
	for (i = 0; i < fs->nsubs && strcmp(fs->subs[i].id, sub_id) != 0; i++)
		;
	if (i == fs->nsubs) {
		if (fs->nsubs == fs->cap) {
			fs->cap = fs->cap ? 2 * fs->cap : 8;
			fs->subs = realloc(fs->subs, fs->cap * sizeof *fs->subs);
			if (!fs->subs)
				abort();
		}
		fs->subs[fs->nsubs++].id = xstrdup(sub_id);
	} else {
		free(fs->subs[i].json);
	}
	fs->subs[i].json = copy;
	fs->subs[i].len = strlen(copy);
	pthread_mutex_unlock(&fs->mu);
}

void fake_stripe_fail(struct fake_stripe *fs, int status, int times)
{
	pthread_mutex_lock(&fs->mu);
	fs->fail_status = status;
	fs->fail_times = times;
	pthread_mutex_unlock(&fs->mu);
}

const char *fake_stripe_url(const struct fake_stripe *fs)
{
	return fs->url;
}

int fake_stripe_requests(const struct fake_stripe *fs)
{
	struct fake_stripe *m = (struct fake_stripe *)fs; /* the mutex, not the state */
	int n;

	pthread_mutex_lock(&m->mu);
	n = m->requests;
	pthread_mutex_unlock(&m->mu);
	return n;
}

void fake_stripe_stop(struct fake_stripe *fs)
{
	if (!fs)
		return;
	if (fs->daemon)
		MHD_stop_daemon(fs->daemon);
	for (size_t i = 0; i < fs->nsubs; i++) {
		free(fs->subs[i].id);
		free(fs->subs[i].json);
	}
	free(fs->subs);
	free(fs->auth);
	pthread_mutex_destroy(&fs->mu);
	free(fs);
}
