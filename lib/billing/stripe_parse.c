/*
 * Stripe's events and subscription objects read into the snapshots of
 * billing.h. A payload is untrusted even once its signature verified (a
 * new API version moves members, a test sends anything), so every member
 * a kind needs is checked for its type and form, and an error names its
 * path ("data.object.items.data[0].price") so that a bad delivery can be
 * found. Stripe counts time in whole seconds; the snapshots hold ms.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing.h"

/* 9999-12-31T23:59:59Z: later times cannot be rendered, and a bigger
 * number of seconds is a mistake, not a date. */
#define MAX_SECONDS INT64_C(253402300799)
/* Ids, prices, types and metadata values are short; this bounds what a
 * payload can make us copy. */
#define MAX_TEXT 255
/* A member's path; longer ones are cut (they only name an error). */
#define PATH 192

/* ---- reading members --------------------------------------------------------------- */

static const char *jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* "pre.name" into p, or "name" when pre is empty. */
static const char *join(char p[PATH], const char *pre, const char *name)
{
	if (snprintf(p, PATH, "%s%s%s", pre, *pre ? "." : "", name) >= PATH)
		memcpy(p + PATH - 4, "...", 4);
	return p;
}

/* "pre[i]" into p. */
static const char *nth(char p[PATH], const char *pre, size_t i)
{
	if (snprintf(p, PATH, "%s[%zu]", pre, i) >= PATH)
		memcpy(p + PATH - 4, "...", 4);
	return p;
}

/* obj[name] is absent (v NULL) or of the wrong type. */
static int bad_type(const char *pre, const char *name, const char *want, const json_t *v)
{
	char p[PATH];

	join(p, pre, name);
	if (!v)
		return saas__err(SAAS_EINVAL, p, "%s is missing: expected %s", p, want);
	return saas__err(SAAS_EINVAL, p, "%s: expected %s, got %s", p, want, jtype(v));
}

/* 1 to `max` bytes, none of them a control character. */
static bool text_ok(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || strlen(s) != len) /* strlen: no embedded NUL */
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

bool saas__stripe_sub_id_ok(const char *id)
{
	size_t n;

	if (!id || strncmp(id, "sub_", 4) != 0)
		return false;
	n = strlen(id + 4);
	if (n < 1 || n > 250)
		return false;
	for (size_t i = 4; id[i]; i++)
		if (!isalnum((unsigned char)id[i]))
			return false;
	return true;
}

/* Stripe's ids are a prefix, then letters, digits and '_' ("cs_test_a1");
 * subscription ids are held to the fetch's stricter form. */
static bool id_ok(const char *s, const char *prefix)
{
	size_t k = strlen(prefix), n = strlen(s);

	if (strcmp(prefix, "sub_") == 0)
		return saas__stripe_sub_id_ok(s);
	if (n <= k || n > MAX_TEXT || strncmp(s, prefix, k) != 0)
		return false;
	for (size_t i = k; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* obj[name] as text: *out borrowed; NULL when absent, null or "" (Stripe
 * drops a metadata key set to ""), which `required` refuses. */
static int get_text(const char **out, json_t *obj, const char *pre, const char *name,
                    bool required, size_t max)
{
	json_t *v = json_object_get(obj, name);
	char p[PATH];

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? bad_type(pre, name, "a string", v) : SAAS_OK;
	if (!json_is_string(v))
		return bad_type(pre, name, "a string", v);
	if (json_string_length(v) == 0)
		return required ? saas__err(SAAS_EINVAL, join(p, pre, name), "%s is empty", p) : SAAS_OK;
	if (!text_ok(json_string_value(v), json_string_length(v), max))
		return saas__err(SAAS_EINVAL, join(p, pre, name),
		                 "%s: '%s' is not 1 to %zu bytes without control characters", p,
		                 saas__q(json_string_value(v)), max);
	*out = json_string_value(v);
	return SAAS_OK;
}

/* obj[name] as an id string of `prefix` (NULL: any short text; price and
 * plan ids may be chosen by the account). */
static int get_id(const char **out, json_t *obj, const char *pre, const char *name,
                  const char *prefix, bool required)
{
	char p[PATH];
	int rc;

	if ((rc = get_text(out, obj, pre, name, required, MAX_TEXT)) || !*out || !prefix)
		return rc;
	if (!id_ok(*out, prefix)) {
		rc = saas__err(SAAS_EINVAL, join(p, pre, name), "%s: '%s' is not a %s... id", p,
		               saas__q(*out), prefix);
		*out = NULL;
	}
	return rc;
}

/* A reference to another object: its id, or the object expanded (then its
 * "id"). *out borrowed; NULL when absent or null, which `required`
 * refuses. */
static int get_ref(const char **out, json_t *obj, const char *pre, const char *name,
                   const char *prefix, bool required)
{
	json_t *v = json_object_get(obj, name);
	char p[PATH];

	*out = NULL;
	if (!v || json_is_null(v) || json_is_string(v))
		return get_id(out, obj, pre, name, prefix, required);
	if (!json_is_object(v))
		return bad_type(pre, name, "an id or an expanded object", v);
	return get_id(out, v, join(p, pre, name), "id", prefix, true);
}

/* obj[name] as a time: integer seconds in, ms out; 0 when absent or null,
 * which `required` refuses. */
static int get_time(int64_t *out, json_t *obj, const char *pre, const char *name, bool required)
{
	json_t *v = json_object_get(obj, name);
	const char *want = "an integer (seconds since 1970)";
	char p[PATH];
	json_int_t s;

	*out = 0;
	if (!v || json_is_null(v))
		return required ? bad_type(pre, name, want, v) : SAAS_OK;
	if (!json_is_integer(v))
		return bad_type(pre, name, want, v);
	s = json_integer_value(v);
	if (s < 0 || s > MAX_SECONDS)
		return saas__err(SAAS_EINVAL, join(p, pre, name),
		                 "%s: %lld is not a time from 1970 to 9999 in seconds", p, (long long)s);
	*out = (int64_t)s * 1000;
	return SAAS_OK;
}

/* obj[name] as a boolean; false when absent or null. */
static int get_bool(bool *out, json_t *obj, const char *pre, const char *name)
{
	json_t *v = json_object_get(obj, name);

	*out = false;
	if (!v || json_is_null(v))
		return SAAS_OK;
	if (!json_is_boolean(v))
		return bad_type(pre, name, "a boolean", v);
	*out = json_is_true(v);
	return SAAS_OK;
}

/* obj[name] as an object (borrowed); NULL when absent or null, which
 * `required` refuses. */
static int get_obj(json_t **out, json_t *obj, const char *pre, const char *name, bool required)
{
	json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? bad_type(pre, name, "an object", v) : SAAS_OK;
	if (!json_is_object(v))
		return bad_type(pre, name, "an object", v);
	*out = v;
	return SAAS_OK;
}

/* obj["object"], when present, must name the kind of object expected:
 * an invoice where a subscription belongs is a sender's mistake. */
static int check_kind(json_t *obj, const char *pre, const char *kind)
{
	json_t *v = json_object_get(obj, "object");
	char p[PATH];

	if (!v)
		return SAAS_OK;
	if (!json_is_string(v))
		return bad_type(pre, "object", "a string", v);
	if (strcmp(json_string_value(v), kind) != 0)
		return saas__err(SAAS_EINVAL, join(p, pre, "object"), "%s: expected \"%s\", got '%s'",
		                 p, kind, saas__q(json_string_value(v)));
	return SAAS_OK;
}

/* metadata.tenant_id of obj (borrowed), or NULL. */
static int get_tenant(const char **out, json_t *obj, const char *pre)
{
	char p[PATH];
	json_t *md;
	int rc;

	*out = NULL;
	if ((rc = get_obj(&md, obj, pre, "metadata", false)) || !md)
		return rc;
	return get_text(out, md, join(p, pre, "metadata"), "tenant_id", false, MAX_TEXT);
}

/* *dst = a copy of s (s may be NULL). */
static int copy(char **dst, const char *s)
{
	if (!s)
		return SAAS_OK;
	if (!(*dst = strdup(s)))
		return saas__enomem();
	return SAAS_OK;
}

/* ---- statuses ------------------------------------------------------------------------ */

static const struct {
	const char *name;
	int state;
} statuses[] = {
	{"incomplete", SAAS_SUB_INCOMPLETE},
	{"incomplete_expired", SAAS_SUB_INCOMPLETE_EXPIRED},
	{"trialing", SAAS_SUB_TRIALING},
	{"active", SAAS_SUB_ACTIVE},
	{"past_due", SAAS_SUB_PAST_DUE},
	{"unpaid", SAAS_SUB_UNPAID},
	{"paused", SAAS_SUB_PAUSED},
	{"canceled", SAAS_SUB_CANCELED},
};

int saas__stripe_status_state(const char *status)
{
	for (size_t i = 0; status && i < sizeof statuses / sizeof statuses[0]; i++)
		if (strcmp(statuses[i].name, status) == 0)
			return statuses[i].state;
	return -1;
}

/* ---- subscriptions ------------------------------------------------------------------- */

void saas__stripe_sub_clear(struct saas__stripe_sub *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->customer);
	free(s->status);
	for (size_t i = 0; s->prices && i < s->nprices; i++)
		free(s->prices[i]);
	free(s->prices);
	free(s->tenant_id);
	memset(s, 0, sizeof *s);
}

/* items.data[]: the prices in order and the first item's quantity and
 * periods (where API versions from 2025-03-31.basil keep them). */
static int read_items(struct saas__stripe_sub *out, json_t *obj, const char *pre,
                      json_t **first, char first_pre[PATH])
{
	char ipre[PATH], dpre[PATH], p[PATH];
	json_t *items, *data, *it, *q;
	int rc;

	*first = NULL;
	out->quantity = 1;
	if ((rc = get_obj(&items, obj, pre, "items", false)) || !items)
		return rc;
	join(ipre, pre, "items");
	data = json_object_get(items, "data");
	if (!json_is_array(data))
		return bad_type(ipre, "data", "an array", data);
	join(dpre, ipre, "data");
	if (json_array_size(data) == 0)
		return SAAS_OK;
	if (!(out->prices = calloc(json_array_size(data), sizeof *out->prices)))
		return saas__enomem();
	for (size_t i = 0; i < json_array_size(data); i++) {
		const char *price = NULL;
		json_t *pv;

		it = json_array_get(data, i);
		nth(p, dpre, i);
		if (!json_is_object(it))
			return saas__err(SAAS_EINVAL, p, "%s: expected an object, got %s", p, jtype(it));
		/* price, else the legacy plan (same id for prices made as plans) */
		pv = json_object_get(it, "price");
		if (pv && !json_is_null(pv))
			rc = get_ref(&price, it, p, "price", NULL, true);
		else
			rc = get_ref(&price, it, p, "plan", NULL, false);
		if (rc)
			return rc;
		if (!price) {
			char pp[PATH];
			return saas__err(SAAS_EINVAL, join(pp, p, "price"),
			                 "%s is missing: expected a price id or object (or a plan)", pp);
		}
		if ((rc = copy(&out->prices[out->nprices], price)))
			return rc;
		out->nprices++;
		if (i == 0) {
			*first = it;
			memcpy(first_pre, p, PATH);
		}
	}
	q = json_object_get(*first, "quantity");
	if (q && !json_is_null(q)) {
		if (!json_is_integer(q) || json_integer_value(q) < 0)
			return saas__err(SAAS_EINVAL, join(p, first_pre, "quantity"),
			                 "%s: expected an integer 0 or more, got %s", p,
			                 json_is_integer(q) ? "a negative one" : jtype(q));
		out->quantity = json_integer_value(q);
	}
	return SAAS_OK;
}

/* A time that API versions from 2025-03-31.basil moved onto the items:
 * the top level's when it has one, else the first item's. */
static int get_period(int64_t *out, json_t *obj, const char *pre, json_t *first,
                      const char *first_pre, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if ((v && !json_is_null(v)) || !first)
		return get_time(out, obj, pre, name, false);
	return get_time(out, first, first_pre, name, false);
}

/* default_payment_method / default_source: an id or an object, or null. */
static int get_set(bool *out, json_t *obj, const char *pre, const char *name)
{
	json_t *v = json_object_get(obj, name);

	*out = false;
	if (!v || json_is_null(v))
		return SAAS_OK;
	if (!json_is_string(v) && !json_is_object(v))
		return bad_type(pre, name, "an id, an object or null", v);
	*out = true;
	return SAAS_OK;
}

static int sub_read(struct saas__stripe_sub *out, json_t *obj, const char *pre)
{
	const char *id, *status, *customer, *tenant;
	char first_pre[PATH] = "";
	json_t *first, *pc;
	bool pm, src;
	int rc;

	if ((rc = check_kind(obj, pre, "subscription")) ||
	    (rc = get_id(&id, obj, pre, "id", "sub_", true)) ||
	    (rc = get_text(&status, obj, pre, "status", true, MAX_TEXT)) ||
	    (rc = get_ref(&customer, obj, pre, "customer", "cus_", true)) ||
	    (rc = get_time(&out->created, obj, pre, "created", true)) ||
	    (rc = get_bool(&out->cancel_at_period_end, obj, pre, "cancel_at_period_end")) ||
	    (rc = get_time(&out->cancel_at, obj, pre, "cancel_at", false)) ||
	    (rc = get_time(&out->canceled_at, obj, pre, "canceled_at", false)) ||
	    (rc = get_time(&out->ended_at, obj, pre, "ended_at", false)) ||
	    (rc = get_time(&out->trial_end, obj, pre, "trial_end", false)) ||
	    (rc = read_items(out, obj, pre, &first, first_pre)) ||
	    (rc = get_period(&out->current_period_start, obj, pre, first, first_pre,
	                     "current_period_start")) ||
	    (rc = get_period(&out->current_period_end, obj, pre, first, first_pre,
	                     "current_period_end")) ||
	    (rc = get_obj(&pc, obj, pre, "pause_collection", false)) ||
	    (rc = get_set(&pm, obj, pre, "default_payment_method")) ||
	    (rc = get_set(&src, obj, pre, "default_source")) ||
	    (rc = get_tenant(&tenant, obj, pre)))
		return rc;
	out->state = saas__stripe_status_state(status);
	out->pause_collection = pc != NULL;
	out->has_payment_method = pm || src;
	if ((rc = copy(&out->id, id)) || (rc = copy(&out->status, status)) ||
	    (rc = copy(&out->customer, customer)) || (rc = copy(&out->tenant_id, tenant)))
		return rc;
	return SAAS_OK;
}

int saas__stripe_sub_parse(struct saas__stripe_sub *out, json_t *obj, const char *field)
{
	const char *pre = field ? field : "";
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	memset(out, 0, sizeof *out);
	if (!json_is_object(obj)) {
		const char *f = *pre ? pre : "subscription";
		return saas__err(SAAS_EINVAL, f, "%s: expected a subscription object, got %s", f,
		                 obj ? jtype(obj) : "nothing");
	}
	if ((rc = sub_read(out, obj, pre)))
		saas__stripe_sub_clear(out);
	return rc;
}

/* ---- events -------------------------------------------------------------------------- */

void saas__stripe_event_clear(struct saas__stripe_event *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->type);
	saas__stripe_sub_clear(&e->sub);
	free(e->object_id);
	free(e->subscription_id);
	free(e->customer);
	free(e->tenant_id);
	free(e->billing_reason);
	memset(e, 0, sizeof *e);
}

static const struct {
	const char *type;
	int kind;
} kinds[] = {
	{"invoice.paid", SAAS__STRIPE_INVOICE_PAID},
	{"invoice.payment_failed", SAAS__STRIPE_INVOICE_FAILED},
	{"invoice.payment_action_required", SAAS__STRIPE_INVOICE_ACTION},
	{"checkout.session.completed", SAAS__STRIPE_CHECKOUT},
};

static int kind_of(const char *type)
{
	if (strncmp(type, "customer.subscription.", 22) == 0)
		return SAAS__STRIPE_SUBSCRIPTION;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].type, type) == 0)
			return kinds[i].kind;
	return SAAS__STRIPE_IGNORED;
}

/* An invoice. Its subscription and the subscription's metadata sit at the
 * top level up to API version 2025-02-24.acacia (subscription,
 * subscription_details.metadata) and under parent.subscription_details
 * from 2025-03-31.basil on; both are read. */
static int invoice_read(struct saas__stripe_event *out, json_t *inv)
{
	const char *pre = "data.object", *id, *sub, *customer, *reason, *tenant;
	const char *ppre = "data.object.parent", *spre = "data.object.parent.subscription_details";
	json_t *parent = NULL, *details = NULL, *old = NULL, *v;
	int rc;

	if ((rc = check_kind(inv, pre, "invoice")) ||
	    (rc = get_id(&id, inv, pre, "id", "in_", true)) ||
	    (rc = get_ref(&sub, inv, pre, "subscription", "sub_", false)) ||
	    (rc = get_ref(&customer, inv, pre, "customer", "cus_", false)) ||
	    (rc = get_text(&reason, inv, pre, "billing_reason", false, 64)) ||
	    (rc = get_tenant(&tenant, inv, pre)))
		return rc;
	v = json_object_get(inv, "next_payment_attempt");
	if (v && !json_is_null(v) && !json_is_integer(v))
		return bad_type(pre, "next_payment_attempt", "an integer (seconds) or null", v);
	out->next_attempt = v && json_is_integer(v);
	if (!sub || !tenant) {
		if ((rc = get_obj(&parent, inv, pre, "parent", false)) ||
		    (parent && (rc = get_obj(&details, parent, ppre, "subscription_details", false))))
			return rc;
	}
	if (!sub && details && (rc = get_ref(&sub, details, spre, "subscription", "sub_", false)))
		return rc;
	if (!tenant && details && (rc = get_tenant(&tenant, details, spre)))
		return rc;
	if (!tenant) {
		if ((rc = get_obj(&old, inv, pre, "subscription_details", false)) ||
		    (old && (rc = get_tenant(&tenant, old, "data.object.subscription_details"))))
			return rc;
	}
	if ((rc = copy(&out->object_id, id)) || (rc = copy(&out->subscription_id, sub)) ||
	    (rc = copy(&out->customer, customer)) || (rc = copy(&out->billing_reason, reason)) ||
	    (rc = copy(&out->tenant_id, tenant)))
		return rc;
	return SAAS_OK;
}

/* A completed Checkout Session: the tenant is the metadata's, else the
 * client_reference_id the application passed when it made the session. */
static int checkout_read(struct saas__stripe_event *out, json_t *cs)
{
	const char *pre = "data.object", *id, *sub, *customer, *ref, *tenant;
	int rc;

	if ((rc = check_kind(cs, pre, "checkout.session")) ||
	    (rc = get_id(&id, cs, pre, "id", "cs_", true)) ||
	    (rc = get_ref(&sub, cs, pre, "subscription", "sub_", false)) ||
	    (rc = get_ref(&customer, cs, pre, "customer", "cus_", false)) ||
	    (rc = get_text(&ref, cs, pre, "client_reference_id", false, MAX_TEXT)) ||
	    (rc = get_tenant(&tenant, cs, pre)))
		return rc;
	if ((rc = copy(&out->object_id, id)) || (rc = copy(&out->subscription_id, sub)) ||
	    (rc = copy(&out->customer, customer)) || (rc = copy(&out->tenant_id, tenant ? tenant : ref)))
		return rc;
	return SAAS_OK;
}

static int event_read(struct saas__stripe_event *out, json_t *root)
{
	const char *id, *type;
	json_t *data, *obj;
	int rc;

	if ((rc = check_kind(root, "", "event")) || (rc = get_id(&id, root, "", "id", "evt_", true)) ||
	    (rc = get_text(&type, root, "", "type", true, MAX_TEXT)) ||
	    (rc = get_time(&out->created, root, "", "created", true)) ||
	    (rc = get_bool(&out->livemode, root, "", "livemode")))
		return rc;
	if ((rc = copy(&out->id, id)) || (rc = copy(&out->type, type)))
		return rc;
	out->kind = kind_of(type);
	if (out->kind == SAAS__STRIPE_IGNORED)
		return SAAS_OK;
	if ((rc = get_obj(&data, root, "", "data", true)) ||
	    (rc = get_obj(&obj, data, "data", "object", true)))
		return rc;
	switch (out->kind) {
	case SAAS__STRIPE_SUBSCRIPTION:
		return saas__stripe_sub_parse(&out->sub, obj, "data.object");
	case SAAS__STRIPE_CHECKOUT:
		return checkout_read(out, obj);
	default:
		return invoice_read(out, obj);
	}
}

int saas__stripe_event_parse(struct saas__stripe_event *out, const char *body, size_t len)
{
	json_error_t err;
	json_t *root;
	int rc;

	if (!out)
		return saas__err(SAAS_EINVAL, "out", "out is NULL");
	memset(out, 0, sizeof *out);
	if (!body)
		return saas__err(SAAS_EINVAL, "body", "body is NULL");
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		if (json_error_code(&err) == json_error_out_of_memory)
			return saas__enomem();
		return saas__err(SAAS_EINVAL, "body", "body is not valid JSON: %s (line %d, column %d)",
		                 saas__q(err.text), err.line, err.column);
	}
	if (!json_is_object(root))
		rc = saas__err(SAAS_EINVAL, "body", "body: expected an event object, got %s", jtype(root));
	else if ((rc = event_read(out, root)))
		saas__stripe_event_clear(out);
	json_decref(root);
	return rc;
}
