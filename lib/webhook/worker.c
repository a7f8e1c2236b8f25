/*
 * The delivery worker (saas/webhook.h, saas_webhook_worker_run).
 *
 * One loop on one thread: fan new audit events out to the endpoints that
 * subscribe to them (webhook_feeds holds each endpoint's cursor in its
 * tenant's stream), lease due deliveries from the global queue, send them
 * on libcurl's multi interface, and record each attempt with its outcome
 * in the delivery's tenant. A lease outlives any attempt (the attempt's
 * timeout plus LEASE_MARGIN_MS), so two workers never hold one delivery; a
 * worker that dies leaves its leases to run out, and the delivery is sent
 * again (at least once).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <sodium.h>

#include "saas/id.h"
#include "saas/version.h"
#include "lib/audit/audit.h"
#include "lib/core/core.h"
#include "lib/store/store_webhook.h"
#include "lib/webhook/webhook.h"

#define DEFAULT_CONCURRENCY 8
#define MAX_CONCURRENCY 256
#define DEFAULT_CONNECT_MS 5000
#define DEFAULT_TIMEOUT_MS 15000
#define DEFAULT_POLL_MS 1000
#define LEASE_MARGIN_MS 30000
/* Events read from one tenant's stream per fan-out step. */
#define FANOUT_BATCH 256
/* The response body kept with an attempt, and the most read of it. */
#define EXCERPT 1024
#define MAX_RESPONSE (64 * 1024)
/* Throttling answers and timeouts wait at least this long. */
#define THROTTLE_MS 60000
/* An endpoint whose attempts all failed this long is disabled. */
#define FAILING_DISABLE_MS (5LL * 86400 * 1000)
#define MAX_SECRETS 10

/* Delays after the 1st..7th failed attempt (ms); the 8th failure ends it. */
static const int64_t schedule_ms[] = {
	5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000,
};
#define MAX_ATTEMPTS ((int64_t)(sizeof schedule_ms / sizeof schedule_ms[0]) + 1)

struct worker;

/* One request in flight. */
struct flight {
	struct worker *w;
	CURL *easy;
	struct curl_slist *headers;
	char *tenant, *delivery_id, *endpoint_id, *body;
	int64_t started_ms, started_ns;
	char response[EXCERPT + 1];
	size_t response_len, read_len;
	char retry_after[64];
	char blocked[160];
	char errbuf[CURL_ERROR_SIZE];
	struct flight *next;
};

struct worker {
	saas_ctx *ctx;
	saas_webhook_worker_options o;
	struct saas__wh_allow *allow;
	CURLM *multi;
	char owner[48];
	char user_agent[256];
	int64_t lease_ms;
	unsigned inflight;
	struct flight *flights;
	saas_webhook_worker_stats stats;
};

/* ---- event types ---------------------------------------------------------------------- */

bool saas__wh_type_matches(const char *event_types, const char *action)
{
	json_t *a = json_loads(event_types, 0, NULL), *p;
	size_t i, alen = strlen(action);
	bool hit = false;

	json_array_foreach(a, i, p) {
		const char *t = json_string_value(p);
		size_t n = t ? strlen(t) : 0;

		if (!t)
			continue;
		if (strcmp(t, "*") == 0 || strcmp(t, action) == 0 ||
		    (n >= 2 && strcmp(t + n - 2, ".*") == 0 && alen > n - 1 &&
		     memcmp(action, t, n - 1) == 0)) {
			hit = true;
			break;
		}
	}
	json_decref(a);
	return hit;
}

/* ---- fan-out --------------------------------------------------------------------------- */

struct feed {
	char *tenant, *endpoint;
	int64_t cursor;
};

struct feeds {
	struct feed *v;
	size_t n, cap;
};

static int collect_feed(const char *tenant, const char *endpoint, int64_t cursor, void *payload)
{
	struct feeds *f = payload;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct feed *v = realloc(f->v, cap * sizeof *v);

		if (!v)
			return saas__enomem();
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].tenant = saas__strdup(tenant);
	f->v[f->n].endpoint = saas__strdup(endpoint);
	f->v[f->n].cursor = cursor;
	if (!f->v[f->n].tenant || !f->v[f->n].endpoint) {
		free(f->v[f->n].tenant);
		free(f->v[f->n].endpoint);
		return saas__enomem();
	}
	f->n++;
	return 0;
}

/* An event read for fan-out: its action and the body every endpoint gets. */
struct event {
	int64_t seq;
	char *action, *body;
};

struct events {
	struct event v[FANOUT_BATCH];
	size_t n;
	const char *tenant;
};

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* {"type","timestamp","data":{event_id, seq, tenant_id, actor, target, metadata}} */
static int collect_event(const struct saas__audit_row *r, void *payload)
{
	struct events *ev = payload;
	json_t *meta = json_loads(r->metadata ? r->metadata : "{}", 0, NULL), *doc;
	json_t *target;

	if (!meta)
		meta = json_object();
	target = (r->target_type || r->target_id)
	                 ? json_pack("{s:o,s:o}", "type", text_or_null(r->target_type), "id",
	                             text_or_null(r->target_id))
	                 : json_null();
	doc = json_pack("{s:s,s:o,s:{s:o,s:I,s:s,s:{s:o,s:o},s:o,s:o}}", "type", r->action,
	                "timestamp", saas__json_time(r->occurred_at), "data", "event_id",
	                text_or_null(r->id), "seq", (json_int_t)r->seq, "tenant_id", ev->tenant,
	                "actor", "type", text_or_null(r->actor_type), "id", text_or_null(r->actor_id),
	                "target", target, "metadata", meta);
	ev->v[ev->n].seq = r->seq;
	ev->v[ev->n].action = saas__strdup(r->action);
	ev->v[ev->n].body = doc ? saas__json_take_dump(doc) : NULL;
	if (!ev->v[ev->n].action || !ev->v[ev->n].body) {
		free(ev->v[ev->n].action);
		free(ev->v[ev->n].body);
		return saas__enomem();
	}
	ev->n++;
	return ev->n == FANOUT_BATCH ? 1 : 0;
}

static void events_clear(struct events *ev)
{
	for (size_t i = 0; i < ev->n; i++) {
		free(ev->v[i].action);
		free(ev->v[i].body);
	}
	ev->n = 0;
}

static int any_event(const struct saas__audit_row *r, void *payload)
{
	(void)r;
	*(bool *)payload = true;
	return 1;
}

/* Fan out one tenant's feeds f[0..n) (all of that tenant): *out_events
 * gets how many events were read (0: the feeds are caught up). An idle
 * tenant costs one read: the write transaction is only taken for work. */
static int fanout_tenant(struct worker *w, struct feed *f, size_t n, size_t *out_events)
{
	struct events *ev;
	int64_t from = f[0].cursor, now = saas__now(w->ctx);
	bool any = false;
	saas_tx *tx;
	int rc;

	*out_events = 0;
	for (size_t i = 1; i < n; i++)
		if (f[i].cursor < from)
			from = f[i].cursor;
	if ((rc = saas__tx_begin(&tx, w->ctx, f[0].tenant, false)) ||
	    (rc = saas__tx_finish(tx, saas__st_audit_scan(NULL, tx, from, 1, any_event, &any))) ||
	    !any)
		return rc;
	if (!(ev = calloc(1, sizeof *ev)))
		return saas__enomem();
	ev->tenant = f[0].tenant;
	if ((rc = saas__tx_begin(&tx, w->ctx, f[0].tenant, true))) {
		free(ev);
		return rc;
	}
	rc = saas__st_audit_scan(NULL, tx, from, FANOUT_BATCH, collect_event, ev);
	for (size_t i = 0; !rc && ev->n && i < n; i++) {
		struct saas__wh_endpoint *e = NULL;
		int64_t last = f[i].cursor;

		rc = saas__st_wh_endpoint_get(&e, tx, f[i].endpoint);
		if (rc == SAAS_ENOTFOUND) { /* removed meanwhile: its feed went with it */
			rc = SAAS_OK;
			continue;
		}
		for (size_t k = 0; !rc && k < ev->n; k++) {
			struct saas__wh_delivery d = {0};
			bool added = false;

			if (ev->v[k].seq <= f[i].cursor)
				continue;
			last = ev->v[k].seq;
			if (!e->enabled || !saas__wh_type_matches(e->event_types, ev->v[k].action))
				continue;
			if ((rc = saas_id_new(&d.id, w->ctx, "msg")))
				break;
			d.endpoint_id = e->id;
			d.event_seq = ev->v[k].seq;
			d.event_type = ev->v[k].action;
			d.body = ev->v[k].body;
			rc = saas__st_wh_delivery_add(&added, tx, &d, now);
			free(d.id);
			w->stats.fanned_out += added;
		}
		if (!rc && last > f[i].cursor)
			rc = saas__st_wh_feed_advance(tx, f[i].endpoint, last);
		saas__wh_endpoint_free(e);
	}
	rc = saas__tx_finish(tx, rc);
	*out_events = ev->n;
	events_clear(ev);
	free(ev);
	return rc;
}

/* One pass over every enabled feed; *out_events: events read in all. */
static int fanout(struct worker *w, size_t *out_events)
{
	struct feeds f = {0};
	saas_tx *tx;
	int rc;

	*out_events = 0;
	if ((rc = saas__tx_begin(&tx, w->ctx, NULL, false)))
		return rc;
	rc = saas__tx_finish(tx, saas__st_wh_feeds(tx, collect_feed, &f));
	for (size_t i = 0, j; !rc && i < f.n; i = j) {
		size_t got = 0;

		for (j = i + 1; j < f.n && strcmp(f.v[j].tenant, f.v[i].tenant) == 0; j++)
			;
		rc = fanout_tenant(w, &f.v[i], j - i, &got);
		*out_events += got;
	}
	for (size_t i = 0; i < f.n; i++) {
		free(f.v[i].tenant);
		free(f.v[i].endpoint);
	}
	free(f.v);
	return rc;
}

/* ---- requests -------------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
	struct flight *fl = payload;
	size_t k = size * n, keep = EXCERPT - fl->response_len;

	if (keep > k)
		keep = k;
	memcpy(fl->response + fl->response_len, data, keep);
	fl->response_len += keep;
	fl->read_len += k;
	/* the status is known by now; a receiver that talks on is cut off */
	return fl->read_len > MAX_RESPONSE ? 0 : k;
}

static size_t on_header(char *data, size_t size, size_t n, void *payload)
{
	struct flight *fl = payload;
	size_t k = size * n;

	if (k > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		size_t i = 12, len;

		while (i < k && (data[i] == ' ' || data[i] == '\t'))
			i++;
		len = k - i;
		while (len && (data[i + len - 1] == '\r' || data[i + len - 1] == '\n' ||
		               data[i + len - 1] == ' '))
			len--;
		if (len < sizeof fl->retry_after) {
			memcpy(fl->retry_after, data + i, len);
			fl->retry_after[len] = '\0';
		}
	}
	return k;
}

/* The address guard: refuse the socket before it connects. */
static curl_socket_t on_open_socket(void *payload, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct flight *fl = payload;
	const char *why;

	(void)purpose;
	if ((why = saas__wh_addr_blocked(&a->addr, fl->w->allow))) {
		char ip[INET6_ADDRSTRLEN] = "?";

		if (a->family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&a->addr)->sin_addr, ip, sizeof ip);
		else if (a->family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)&a->addr)->sin6_addr, ip, sizeof ip);
		snprintf(fl->blocked, sizeof fl->blocked,
		         "refused by the address guard: %s is %s", ip, why);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static void flight_free(struct flight *fl)
{
	if (!fl)
		return;
	if (fl->easy)
		curl_easy_cleanup(fl->easy);
	curl_slist_free_all(fl->headers);
	free(fl->tenant);
	free(fl->delivery_id);
	free(fl->endpoint_id);
	free(fl->body);
	free(fl);
}

/* A header line "Name: value" appended to the flight's list. */
static int add_header(struct flight *fl, const char *name, const char *value)
{
	size_t len = strlen(name) + 2 + strlen(value) + 1;
	char *line = malloc(len);
	struct curl_slist *l;

	if (!line)
		return saas__enomem();
	snprintf(line, len, "%s: %s", name, value);
	l = curl_slist_append(fl->headers, line);
	free(line);
	if (!l)
		return saas__enomem();
	fl->headers = l;
	return SAAS_OK;
}

/* Finish a delivery without an attempt (its endpoint is gone or disabled,
 * or it is not pending any more). */
static int drop(struct worker *w, const char *tenant, struct saas__wh_delivery *d)
{
	saas_tx *tx;
	int rc;

	if ((rc = saas__tx_begin(&tx, w->ctx, tenant, true)))
		return rc;
	if (d && strcmp(d->status, "pending") == 0) {
		free(d->status);
		if (!(d->status = saas__strdup("cancelled")))
			rc = saas__enomem();
		d->next_attempt_at = 0;
		if (!rc)
			rc = saas__st_wh_delivery_update(tx, d, saas__now(w->ctx));
		w->stats.cancelled++;
	}
	if (!rc)
		rc = saas__st_wh_queue_done(tx, d ? d->id : NULL);
	return saas__tx_finish(tx, rc);
}

/* Prepare and start the request of a leased delivery. */
static int start(struct worker *w, const char *tenant, const char *delivery_id)
{
	struct saas__wh_delivery *d = NULL;
	struct saas__wh_endpoint *e = NULL;
	char *secrets[MAX_SECRETS];
	size_t ns = 0, nh = 0;
	saas_webhook_header *h = NULL;
	saas_webhook_sign_options so = SAAS_WEBHOOK_SIGN_OPTIONS_INIT;
	struct flight *fl = NULL;
	int64_t now = saas__now(w->ctx);
	saas_tx *tx;
	int rc;

	if ((rc = saas__tx_begin(&tx, w->ctx, tenant, false)))
		return rc;
	rc = saas__st_wh_delivery_get(&d, tx, delivery_id);
	if (!rc) {
		rc = saas__st_wh_endpoint_get(&e, tx, d->endpoint_id);
		if (!rc)
			rc = saas__st_wh_secrets(secrets, MAX_SECRETS, &ns, tx, d->endpoint_id, now);
	}
	rc = saas__tx_finish(tx, rc);
	if (rc == SAAS_ENOTFOUND || (!rc && (!e->enabled || strcmp(d->status, "pending") != 0 || ns == 0))) {
		/* a removed delivery's queue row went with it; anything else
		 * that cannot be sent is dropped */
		rc = d ? drop(w, tenant, d) : SAAS_OK;
		goto done;
	}
	if (rc)
		goto done;
	so.now = now / 1000;
	so.id = d->id;
	if ((rc = saas_webhook_sign(&h, &nh, SAAS_WEBHOOK_STANDARD, (const char *const *)secrets, ns,
	                            d->body, strlen(d->body), &so)))
		goto done;
	if (!(fl = calloc(1, sizeof *fl)) || !(fl->easy = curl_easy_init())) {
		rc = saas__enomem();
		goto done;
	}
	fl->w = w;
	fl->tenant = saas__strdup(tenant);
	fl->delivery_id = saas__strdup(d->id);
	fl->endpoint_id = saas__strdup(d->endpoint_id);
	fl->body = d->body;
	d->body = NULL;
	if (!fl->tenant || !fl->delivery_id || !fl->endpoint_id) {
		rc = saas__enomem();
		goto done;
	}
	for (size_t i = 0; !rc && i < nh; i++)
		rc = add_header(fl, h[i].name, h[i].value);
	if (!rc)
		rc = add_header(fl, "Content-Type", "application/json");
	if (!rc)
		rc = add_header(fl, "User-Agent", w->user_agent);
	if (!rc)
		rc = add_header(fl, "Expect", ""); /* "Expect:" with no value: no 100-continue */
	if (rc)
		goto done;
	curl_easy_setopt(fl->easy, CURLOPT_URL, e->url);
	curl_easy_setopt(fl->easy, CURLOPT_PROTOCOLS_STR, w->o.https_only ? "https" : "http,https");
	curl_easy_setopt(fl->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(fl->easy, CURLOPT_PROXY, ""); /* no proxy from the environment: the guard checks the peer */
	curl_easy_setopt(fl->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(fl->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(fl->easy, CURLOPT_POSTFIELDS, fl->body);
	curl_easy_setopt(fl->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(fl->body));
	curl_easy_setopt(fl->easy, CURLOPT_HTTPHEADER, fl->headers);
	curl_easy_setopt(fl->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)w->o.connect_timeout_ms);
	curl_easy_setopt(fl->easy, CURLOPT_TIMEOUT_MS, (long)w->o.timeout_ms);
	curl_easy_setopt(fl->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(fl->easy, CURLOPT_WRITEDATA, fl);
	curl_easy_setopt(fl->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(fl->easy, CURLOPT_HEADERDATA, fl);
	curl_easy_setopt(fl->easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(fl->easy, CURLOPT_OPENSOCKETDATA, fl);
	curl_easy_setopt(fl->easy, CURLOPT_ERRORBUFFER, fl->errbuf);
	curl_easy_setopt(fl->easy, CURLOPT_PRIVATE, fl);
	fl->started_ms = now;
	fl->started_ns = saas__mono_ns();
	if (curl_multi_add_handle(w->multi, fl->easy) != CURLM_OK) {
		rc = saas__err(SAAS_EINTERNAL, NULL, "libcurl refused a request");
		goto done;
	}
	fl->next = w->flights;
	w->flights = fl;
	w->inflight++;
	w->stats.attempts++;
	fl = NULL;
done:
	flight_free(fl);
	saas_free(h);
	for (size_t i = 0; i < ns; i++)
		saas_free_secret(secrets[i]);
	saas__wh_delivery_free(d);
	saas__wh_endpoint_free(e);
	return rc;
}

struct leased {
	char *tenant[MAX_CONCURRENCY], *delivery[MAX_CONCURRENCY];
	size_t n;
};

static int collect_lease(const char *tenant, const char *delivery, void *payload)
{
	struct leased *l = payload;

	l->tenant[l->n] = saas__strdup(tenant);
	l->delivery[l->n] = saas__strdup(delivery);
	if (!l->tenant[l->n] || !l->delivery[l->n]) {
		free(l->tenant[l->n]);
		free(l->delivery[l->n]);
		return saas__enomem();
	}
	l->n++;
	return SAAS_OK;
}

/* Lease up to `room` due deliveries and start them; *out_n how many leased. */
static int claim(struct worker *w, unsigned room, size_t *out_n)
{
	struct leased l = {.n = 0};
	int64_t now = saas__now(w->ctx);
	saas_tx *tx;
	int rc;

	*out_n = 0;
	if ((rc = saas__tx_begin(&tx, w->ctx, NULL, true)))
		return rc;
	rc = saas__tx_finish(tx, saas__st_wh_queue_lease(tx, now, w->owner, now + w->lease_ms, room,
	                                                 collect_lease, &l));
	for (size_t i = 0; i < l.n; i++) {
		if (!rc)
			rc = start(w, l.tenant[i], l.delivery[i]);
		free(l.tenant[i]);
		free(l.delivery[i]);
	}
	*out_n = l.n;
	return rc;
}

/* ---- outcomes -------------------------------------------------------------------------- */

/* Retry-After as milliseconds from now (seconds or an HTTP date); -1 if none. */
static int64_t retry_after_ms(const char *v, int64_t now_ms)
{
	char *end;
	long long s;
	time_t t;

	if (!v[0])
		return -1;
	s = strtoll(v, &end, 10);
	if (end != v && *end == '\0')
		return s < 0 ? -1 : (s > 86400 * 30 ? 86400LL * 30 : s) * 1000;
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	return (int64_t)t * 1000 > now_ms ? (int64_t)t * 1000 - now_ms : 0;
}

/* When to try again after failed attempt `n` (1-based). */
static int64_t next_delay(int64_t n, long http, bool timed_out, const char *retry_after,
	int64_t now)
{
	int64_t base = schedule_ms[n - 1];
	int64_t delay = base * (800 + (int64_t)randombytes_uniform(401)) / 1000; /* +-20 % */
	int64_t ra = retry_after_ms(retry_after, now);

	if (ra > delay)
		delay = ra < 2 * base ? ra : 2 * base;
	if ((timed_out || http == 429 || http == 502 || http == 503 || http == 504) &&
	    delay < THROTTLE_MS)
		delay = THROTTLE_MS;
	return delay;
}

/* The response excerpt as text: control bytes and invalid UTF-8 as '?'. */
static void excerpt_text(char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = n > 0 && i + n <= len;

		for (size_t k = 1; ok && k < n; k++)
			ok = ((unsigned char)s[i + k] >> 6) == 2;
		if (!ok || (n == 1 && c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			s[i++] = '?';
			continue;
		}
		i += n;
	}
	s[len] = '\0';
}

/* Record a finished request: the attempt, the delivery's next step, the
 * endpoint's health. */
static int record(struct worker *w, struct flight *fl, CURLcode res)
{
	struct saas__wh_delivery *d = NULL;
	struct saas__wh_endpoint *e = NULL;
	saas_scope *scope = NULL;
	int64_t now = saas__now(w->ctx), duration = (saas__mono_ns() - fl->started_ns) / 1000000;
	long http = 0;
	char error[CURL_ERROR_SIZE + 64] = "";
	bool ok, timed_out = res == CURLE_OPERATION_TIMEDOUT, held = true;
	saas_tx *tx;
	int rc;

	curl_easy_getinfo(fl->easy, CURLINFO_RESPONSE_CODE, &http);
	if (fl->blocked[0])
		snprintf(error, sizeof error, "%s", fl->blocked);
	else if (res != CURLE_OK && !(res == CURLE_WRITE_ERROR && http))
		snprintf(error, sizeof error, "%s%s%s", curl_easy_strerror(res),
		         fl->errbuf[0] ? ": " : "", fl->errbuf);
	else if (http >= 300 && http < 400)
		snprintf(error, sizeof error, "redirects are not followed (HTTP %ld)", http);
	excerpt_text(fl->response, fl->response_len);
	ok = !error[0] && http >= 200 && http < 300;
	if ((rc = saas_scope_new(&scope, fl->tenant, SAAS_ACTOR_SYSTEM, "webhook-worker")))
		return rc;
	if ((rc = saas__tx_begin(&tx, w->ctx, fl->tenant, true))) {
		saas_scope_free(scope);
		return rc;
	}
	rc = saas__st_wh_delivery_get(&d, tx, fl->delivery_id);
	if (rc == SAAS_ENOTFOUND) { /* removed with its endpoint meanwhile */
		saas_scope_free(scope);
		return saas__tx_finish(tx, SAAS_OK);
	}
	if (!rc)
		rc = saas__st_wh_endpoint_get(&e, tx, d->endpoint_id);
	if (!rc) {
		d->attempts++;
		d->last_status = http;
		rc = saas__st_wh_attempt_insert(tx, d->id, d->endpoint_id, d->attempts, fl->started_ms,
		                                duration, http, error[0] ? error : NULL,
		                                fl->response_len ? fl->response : NULL);
	}
	if (!rc) {
		const char *status = "pending";

		if (ok) {
			status = "succeeded";
			e->failing_since = 0;
			e->last_success_at = now;
			w->stats.succeeded++;
		} else if (http == 410 || d->attempts >= MAX_ATTEMPTS) {
			status = "failed";
			w->stats.failed++;
		} else {
			d->next_attempt_at = now + next_delay(d->attempts, http, timed_out, fl->retry_after, now);
			w->stats.retrying++;
		}
		if (!ok && !e->failing_since)
			e->failing_since = fl->started_ms;
		free(d->status);
		if (!(d->status = saas__strdup(status)))
			rc = saas__enomem();
		if (strcmp(status, "pending") != 0)
			d->next_attempt_at = 0;
		if (!rc)
			rc = saas__st_wh_delivery_update(tx, d, now);
		if (!rc && strcmp(status, "pending") == 0)
			rc = saas__st_wh_queue_retry(&held, tx, d->id, w->owner, d->next_attempt_at);
		else if (!rc)
			rc = saas__st_wh_queue_done(tx, d->id);
		e->updated_at = now;
		if (!rc && e->enabled && !ok &&
		    (http == 410 || now - e->failing_since >= FAILING_DISABLE_MS)) {
			rc = saas__wh_endpoint_disable_tx(tx, scope, e, http == 410 ? "gone" : "failing", now,
			                                  NULL);
			w->stats.disabled++;
		} else if (!rc) {
			rc = saas__st_wh_endpoint_update(tx, e);
		}
	}
	rc = saas__tx_finish(tx, rc);
	if (!rc && !held)
		saas__log(w->ctx, SAAS_LOG_WARN, "webhook delivery's lease ran out before its attempt was recorded",
		          json_pack("{s:s,s:s}", "tenant_id", fl->tenant, "delivery_id", fl->delivery_id));
	saas__wh_delivery_free(d);
	saas__wh_endpoint_free(e);
	saas_scope_free(scope);
	return rc;
}

/* Record every finished request. */
static int reap(struct worker *w, size_t *out_done)
{
	CURLMsg *m;
	int left, rc = SAAS_OK;

	*out_done = 0;
	while ((m = curl_multi_info_read(w->multi, &left))) {
		struct flight *fl = NULL, **p;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&fl);
		CURLcode res = m->data.result;

		curl_multi_remove_handle(w->multi, fl->easy);
		for (p = &w->flights; *p && *p != fl; p = &(*p)->next)
			;
		if (*p)
			*p = fl->next;
		w->inflight--;
		(*out_done)++;
		if (!rc)
			rc = record(w, fl, res);
		flight_free(fl);
	}
	return rc;
}

/* ---- the loop -------------------------------------------------------------------------- */

static int check_options(saas_webhook_worker_options *o)
{
	if (o->version != SAAS_WEBHOOK_WORKER_OPTIONS_VERSION)
		return saas__err(SAAS_EINVAL, "version", "options version %u is unknown: this library has %u",
		                 o->version, SAAS_WEBHOOK_WORKER_OPTIONS_VERSION);
	if (o->concurrency > MAX_CONCURRENCY)
		return saas__err(SAAS_EINVAL, "concurrency", "concurrency %u is out of range: 1 to %d",
		                 o->concurrency, MAX_CONCURRENCY);
	if (o->connect_timeout_ms < 0 || o->connect_timeout_ms > 600000)
		return saas__err(SAAS_EINVAL, "connect_timeout_ms",
		                 "connect_timeout_ms %" PRId64 " is out of range: 1 to 600000",
		                 o->connect_timeout_ms);
	if (o->timeout_ms < 0 || o->timeout_ms > 600000)
		return saas__err(SAAS_EINVAL, "timeout_ms",
		                 "timeout_ms %" PRId64 " is out of range: 1 to 600000", o->timeout_ms);
	if (o->poll_ms < 0 || o->poll_ms > 3600000)
		return saas__err(SAAS_EINVAL, "poll_ms", "poll_ms %" PRId64 " is out of range: 1 to 3600000",
		                 o->poll_ms);
	if (o->user_agent && (strlen(o->user_agent) == 0 || strlen(o->user_agent) > 200))
		return saas__err(SAAS_EINVAL, "user_agent", "user_agent must be 1 to 200 bytes");
	if (!o->concurrency)
		o->concurrency = DEFAULT_CONCURRENCY;
	if (!o->connect_timeout_ms)
		o->connect_timeout_ms = DEFAULT_CONNECT_MS;
	if (!o->timeout_ms)
		o->timeout_ms = DEFAULT_TIMEOUT_MS;
	if (!o->poll_ms)
		o->poll_ms = DEFAULT_POLL_MS;
	return SAAS_OK;
}

static bool stop_asked(const struct worker *w)
{
	return w->o.should_stop && w->o.should_stop(w->o.stop_payload);
}

int saas_webhook_worker_run(saas_ctx *ctx, const saas_webhook_worker_options *opts,
	saas_webhook_worker_stats *out_stats)
{
	static const saas_webhook_worker_options defaults = SAAS_WEBHOOK_WORKER_OPTIONS_INIT;
	struct worker w = {0};
	unsigned char rnd[10];
	int64_t last_look = 0;
	bool stopping = false, look = true;
	int rc;

	if (out_stats)
		memset(out_stats, 0, sizeof *out_stats);
	if (!ctx)
		return saas__err(SAAS_EINVAL, "ctx", "ctx is NULL");
	w.ctx = ctx;
	w.o = opts ? *opts : defaults;
	if ((rc = check_options(&w.o)) ||
	    (rc = saas__wh_allow_parse(&w.allow, w.o.allow, w.o.nallow)) || (rc = saas__curl_ready()))
		goto out;
	if (!(w.multi = curl_multi_init())) {
		rc = saas__err(SAAS_EINTERNAL, NULL, "libcurl could not make a multi handle");
		goto out;
	}
	randombytes_buf(rnd, sizeof rnd);
	saas__id_format(w.owner, "wkr", saas__now(ctx), rnd);
	snprintf(w.user_agent, sizeof w.user_agent, "libsaas-webhooks/%s", SAAS_VERSION);
	if (w.o.user_agent)
		snprintf(w.user_agent, sizeof w.user_agent, "%s", w.o.user_agent);
	w.lease_ms = w.o.connect_timeout_ms + w.o.timeout_ms + LEASE_MARGIN_MS;
	for (;;) {
		size_t events = 0, leased = 0, done = 0;
		int running = 0;

		if (!stopping && stop_asked(&w))
			stopping = true;
		if (!stopping && (look || saas__mono_ns() - last_look >= w.o.poll_ms * 1000000)) {
			last_look = saas__mono_ns();
			if ((rc = fanout(&w, &events)))
				break;
			if (w.inflight < w.o.concurrency &&
			    (rc = claim(&w, w.o.concurrency - w.inflight, &leased)))
				break;
			/* look again at once while there is work */
			look = events > 0 || leased > 0;
		}
		if (w.inflight == 0) {
			if (stopping || (!w.o.forever && !look))
				break;
			if (!look) /* idle: wait for the next poll, watching for stop */
				curl_multi_poll(w.multi, NULL, 0, w.o.poll_ms < 100 ? (int)w.o.poll_ms : 100, NULL);
			continue;
		}
		curl_multi_perform(w.multi, &running);
		if ((rc = reap(&w, &done)))
			break;
		if (done)
			look = true; /* room again: lease more */
		else
			curl_multi_poll(w.multi, NULL, 0, 100, NULL);
	}
	/* an error leaves requests in flight: they stay leased and are sent again later */
	while (w.flights) {
		struct flight *fl = w.flights;

		w.flights = fl->next;
		curl_multi_remove_handle(w.multi, fl->easy);
		flight_free(fl);
	}
out:
	if (w.multi)
		curl_multi_cleanup(w.multi);
	saas__wh_allow_free(w.allow);
	if (out_stats)
		*out_stats = w.stats;
	return rc;
}
