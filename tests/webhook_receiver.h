/*
 * A local webhook receiver for the delivery tests: a libmicrohttpd daemon
 * on 127.0.0.1 or ::1 (a port the system picks) that records every POST
 * (its webhook-* headers and body) and answers from a script: the next
 * `times` requests get `status` (with a Retry-After or a Location when
 * set), then 200. It can also hold requests (answer only when released),
 * so a test can kill a worker mid-request.
 *
 * Thread safety: every function may be called from any thread while the
 * daemon serves (one mutex), except receiver_stop(), the last call.
 */
#ifndef SAAS_TEST_WEBHOOK_RECEIVER_H
#define SAAS_TEST_WEBHOOK_RECEIVER_H

#include <stddef.h>

struct receiver;

/* One request received. */
struct received {
	char id[256], timestamp[32], signature[1024];
	char *body;
	size_t len;
	int status; /* what it was answered */
};

/* Start on 127.0.0.1 (ipv6 = 0) or ::1 (1). NULL if it cannot start. */
struct receiver *receiver_start(int ipv6);
/* The URL to post to: "http://127.0.0.1:PORT/hook" or "http://[::1]:PORT/hook". */
const char *receiver_url(const struct receiver *r);
/* Answer the next `times` requests with `status` (and a Retry-After of
 * `retry_after`, when non-NULL; a Location when status is 3xx). */
void receiver_fail(struct receiver *r, int status, int times, const char *retry_after);
/* Hold (1) or release (0) requests: a held request waits, unanswered,
 * until released (or the daemon stops). */
void receiver_hold(struct receiver *r, int hold);
/* How many requests have arrived (held ones included). */
size_t receiver_count(struct receiver *r);
/* Copy request i (0-based, in arrival order) into *out (body malloc'd:
 * free it); 0 if there is no such request. */
int receiver_get(struct receiver *r, size_t i, struct received *out);
/* How many requests carried webhook-id `id`. */
size_t receiver_count_id(struct receiver *r, const char *id);
void receiver_stop(struct receiver *r);

#endif
