/*
 * Typed operations of billing (lib/store/ops_billing.c): the plan
 * catalogue's versions and the provider customer map (global tables), and
 * per tenant its subscription, feature overrides, applied provider events
 * and usage.
 */
#ifndef SAAS_STORE_BILLING_H
#define SAAS_STORE_BILLING_H

#include "store.h"

/* A subscription row (also the public opaque saas_subscription). */
struct saas_subscription {
	char *tenant_id;
	char *id;
	int state;            /* saas_sub_state */
	unsigned flags;       /* SAAS_SUB_F_* */
	char *plan_id;
	int64_t catalog_version;
	char *pending_plan_id; /* NULL: none */
	int64_t anchor_at, period_start, period_end;
	int64_t trial_end, past_due_since, canceled_at, ended_at; /* 0: none */
	char *provider, *provider_id, *provider_status;           /* NULL: none */
	int64_t provider_ts;  /* 0: none */
	int64_t created_at, updated_at;
	/* not stored: set when handed out */
	int access;           /* saas_access at the time it was read */
	int64_t grace_ms;     /* the catalogue's past_due grace */
};

void saas__sub_row_free(struct saas_subscription *s);

/* ---- catalogue (global) ---- */
/* The newest version (0 and NULL when none) and its document (malloc'd; out_doc may be NULL). */
int saas__st_catalog_latest(int64_t *out_version, char **out_doc, saas_tx *tx);
/* A version's document; SAAS_ENOTFOUND (no message) when absent. */
int saas__st_catalog_get(char **out_doc, saas_tx *tx, int64_t version);
/* The version holding a document with `hash`, or 0. */
int saas__st_catalog_find(int64_t *out_version, saas_tx *tx, const char *hash);
/* Add a version; SAAS_EEXISTS if the version or hash exists. */
int saas__st_catalog_insert(saas_tx *tx, int64_t version, const char *hash, const char *doc,
                            int64_t now);

/* ---- provider customers (global) ---- */
/* The tenant of a customer (malloc'd), or SAAS_ENOTFOUND (no message). */
int saas__st_customer_tenant(char **out_tenant, saas_tx *tx, const char *provider,
                             const char *customer);
/* Map a customer to a tenant (an existing identical row is fine);
 * SAAS_ECONFLICT (message set) if it is mapped to another tenant. */
int saas__st_customer_put(saas_tx *tx, const char *provider, const char *customer,
                          const char *tenant, int64_t now);

/* ---- the tenant's subscription ---- */
/* SAAS_ENOTFOUND (no message) when the tenant never had one. */
int saas__st_sub_get(struct saas_subscription **out, saas_tx *tx);
/* Insert or replace the transaction tenant's row. */
int saas__st_sub_put(saas_tx *tx, const struct saas_subscription *s);

/* ---- overrides ---- */
/* The tenant's overrides as a JSON object: feature -> {"value": JSON text
 * parsed, "expires_at": ms or null, "reason": text or null, "created_at"}. */
int saas__st_override_list(json_t **out, saas_tx *tx);
int saas__st_override_put(saas_tx *tx, const char *feature, const char *value_json,
                          int64_t expires_at, const char *reason, int64_t now);
/* *removed: whether a row was deleted. */
int saas__st_override_delete(bool *removed, saas_tx *tx, const char *feature);

/* ---- provider events ---- */
/* Record an event; SAAS_EEXISTS (no message) when it was recorded before. */
int saas__st_provider_event_insert(saas_tx *tx, const char *provider, const char *event_id,
                                   const char *type, const char *outcome, int64_t created,
                                   int64_t now);

/* ---- usage ---- */
/* A record by idempotency key: 1 found (feature malloc'd), 0 not. */
int saas__st_usage_record_get(char **out_feature, int64_t *out_quantity, int64_t *out_period,
                              saas_tx *tx, const char *key);
int saas__st_usage_record_insert(saas_tx *tx, const char *key, const char *feature,
                                 int64_t quantity, int64_t period_start, int64_t occurred_at,
                                 int64_t now);
/* The total of a feature's period (0 when none). */
int saas__st_usage_total(int64_t *out_used, saas_tx *tx, const char *feature,
                         int64_t period_start);
/* Add to a period's total (creating it). */
int saas__st_usage_add(saas_tx *tx, const char *feature, int64_t period_start,
                       int64_t period_end, int64_t quantity);

/* ---- seats ---- */
/* How many memberships the transaction's tenant has. */
int saas__st_member_count(int64_t *out, saas_tx *tx);

#endif
