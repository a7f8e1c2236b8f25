/* A local webhook receiver for the delivery tests (webhook_receiver.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "webhook_receiver.h"

struct upload {
	char *buf;
	size_t len;
};

struct receiver {
	struct MHD_Daemon *daemon;
	char url[80];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct received *reqs;
	size_t n, cap;
	int fail_status, fail_times, hold, stopping;
	char retry_after[64];
};

static const char *header(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	return v ? v : "";
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *data, size_t *size, void **state)
{
	struct receiver *r = cls;
	struct upload *up = *state;
	struct MHD_Response *resp;
	struct received rec;
	enum MHD_Result ok;
	int status = 200;
	char retry[64] = "";

	(void)url;
	(void)version;
	if (!up) { /* first call: headers only */
		if (!(up = calloc(1, sizeof *up)))
			return MHD_NO;
		*state = up;
		return MHD_YES;
	}
	if (*size) {
		char *b = realloc(up->buf, up->len + *size + 1);

		if (!b)
			return MHD_NO;
		memcpy(b + up->len, data, *size);
		up->buf = b;
		up->len += *size;
		up->buf[up->len] = '\0';
		*size = 0;
		return MHD_YES;
	}
	memset(&rec, 0, sizeof rec);
	snprintf(rec.id, sizeof rec.id, "%s", header(c, "webhook-id"));
	snprintf(rec.timestamp, sizeof rec.timestamp, "%s", header(c, "webhook-timestamp"));
	snprintf(rec.signature, sizeof rec.signature, "%s", header(c, "webhook-signature"));
	rec.body = up->buf ? up->buf : calloc(1, 1);
	rec.len = up->len;
	up->buf = NULL;
	pthread_mutex_lock(&r->mu);
	if (strcmp(method, "POST") != 0)
		status = 405;
	else if (r->fail_times > 0) {
		status = r->fail_status;
		r->fail_times--;
		snprintf(retry, sizeof retry, "%s", r->retry_after);
	}
	rec.status = status;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct received *v = realloc(r->reqs, cap * sizeof *v);

		if (!v)
			abort();
		r->reqs = v;
		r->cap = cap;
	}
	r->reqs[r->n++] = rec;
	while (r->hold && !r->stopping)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	resp = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (retry[0])
		MHD_add_response_header(resp, "Retry-After", retry);
	if (status >= 300 && status < 400)
		MHD_add_response_header(resp, "Location", "http://127.0.0.1:9/elsewhere");
	ok = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static void done(void *cls, struct MHD_Connection *c, void **state,
	enum MHD_RequestTerminationCode why)
{
	struct upload *up = *state;

	(void)cls;
	(void)c;
	(void)why;
	if (up) {
		free(up->buf);
		free(up);
		*state = NULL;
	}
}

struct receiver *receiver_start(int ipv6)
{
	struct receiver *r = calloc(1, sizeof *r);
	const union MHD_DaemonInfo *info;
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;

	if (!r)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	memset(&a4, 0, sizeof a4);
	memset(&a6, 0, sizeof a6);
	a4.sin_family = AF_INET;
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a6.sin6_family = AF_INET6;
	a6.sin6_addr = in6addr_loopback;
	r->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                             (ipv6 ? MHD_USE_IPv6 : 0),
	                             0, NULL, NULL, answer, r, MHD_OPTION_SOCK_ADDR,
	                             ipv6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
	                             MHD_OPTION_NOTIFY_COMPLETED, done, r, MHD_OPTION_END);
	if (!r->daemon) {
		free(r);
		return NULL;
	}
	info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(r->url, sizeof r->url, ipv6 ? "http://[::1]:%u/hook" : "http://127.0.0.1:%u/hook",
	         info ? (unsigned)info->port : 0u);
	return r;
}

const char *receiver_url(const struct receiver *r)
{
	return r->url;
}

void receiver_fail(struct receiver *r, int status, int times, const char *retry_after)
{
	pthread_mutex_lock(&r->mu);
	r->fail_status = status;
	r->fail_times = times;
	snprintf(r->retry_after, sizeof r->retry_after, "%s", retry_after ? retry_after : "");
	pthread_mutex_unlock(&r->mu);
}

void receiver_hold(struct receiver *r, int hold)
{
	pthread_mutex_lock(&r->mu);
	r->hold = hold;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

size_t receiver_count(struct receiver *r)
{
	size_t n;

	pthread_mutex_lock(&r->mu);
	n = r->n;
	pthread_mutex_unlock(&r->mu);
	return n;
}

int receiver_get(struct receiver *r, size_t i, struct received *out)
{
	int ok = 0;

	pthread_mutex_lock(&r->mu);
	if (i < r->n) {
		*out = r->reqs[i];
		out->body = malloc(r->reqs[i].len + 1);
		if (!out->body)
			abort();
		memcpy(out->body, r->reqs[i].body, r->reqs[i].len + 1);
		ok = 1;
	}
	pthread_mutex_unlock(&r->mu);
	return ok;
}

size_t receiver_count_id(struct receiver *r, const char *id)
{
	size_t k = 0;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		k += strcmp(r->reqs[i].id, id) == 0;
	pthread_mutex_unlock(&r->mu);
	return k;
}

void receiver_stop(struct receiver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	MHD_stop_daemon(r->daemon);
	for (size_t i = 0; i < r->n; i++)
		free(r->reqs[i].body);
	free(r->reqs);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
