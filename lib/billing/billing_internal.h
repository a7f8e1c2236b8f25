/*
 * What the billing files share beyond billing.h: the catalogue versions
 * read through the store, and a tenant's entitlement view (plans.c).
 */
#ifndef SAAS_BILLING_SHARED_H
#define SAAS_BILLING_SHARED_H

#include <stdatomic.h>

#include "billing.h"
#include "saas/id.h"
#include "../store/store_billing.h"
#include "../tenant/tenant_internal.h"

/* Where a view's plan comes from. */
enum {
	SAAS__SRC_NONE = 0,         /* no plan: no live subscription, no default plan */
	SAAS__SRC_SUBSCRIPTION = 1, /* the live subscription's plan */
	SAAS__SRC_DEFAULT_PLAN = 2  /* the catalogue's default plan */
};

/* What a tenant's entitlements are decided from, read in one transaction.
 * Immutable once built; shared by reference count. */
struct saas__ent_view {
	atomic_int refs;
	const struct saas__catalog *cat; /* owned by the context's billing cache */
	ptrdiff_t plan;                  /* index into cat->plans, or -1 */
	int source;                      /* SAAS__SRC_* */
	struct saas_subscription *sub;   /* NULL: the tenant never had one */
	struct saas__feat_value *values; /* per feature: the override, else the plan's */
	unsigned char *overridden;       /* per feature: 1 when an override decides */
	int64_t valid_until;             /* 0, or when the first override expires */
};

/* The catalogue of `version` (0: the newest), parsed once per process.
 * SAAS_ENOTFOUND (field "catalog") when none is loaded. */
int saas__catalog_at(const struct saas__catalog **out, saas_tx *tx, int64_t version);
/* Whether no catalogue was found lately (until authz_refresh_ms after the
 * last look, or until this process loads one): billing is off, and its
 * checks skip the store. */
bool saas__billing_off(saas_ctx *ctx, int64_t now);
/* Build the transaction tenant's view. */
int saas__view_build(struct saas__ent_view **out, saas_tx *tx);
/* The scope's tenant's view at `now`, from the cache or built in a read
 * transaction. */
int saas__view_get(struct saas__ent_view **out, saas_ctx *ctx, const saas_scope *scope,
                   int64_t now);
void saas__view_release(struct saas__ent_view *v);
/* Drop the tenant's cached view (after a committed change). */
void saas__billing_changed(saas_ctx *ctx, const char *tenant_id);

/* A billing write transaction on the scope's tenant: locks the tenant row
 * and refuses only a missing tenant or one pending deletion (billing goes
 * on while a tenant is suspended). */
int saas__billing_tx(saas_tx **out, saas_ctx *ctx, const saas_scope *scope);

/* The access the view grants at `now` and, when none, the reason
 * (SAAS_ENT_NO_PLAN or SAAS_ENT_NO_ACCESS; 0 otherwise). */
int saas__view_access(int *reason, const struct saas__ent_view *v, int64_t now);

/* What an event brings besides its kind (saas__sub_apply_tx). */
struct saas__sub_args {
	const char *plan;           /* creating, changing plans */
	int payment_method;         /* -1 as is, 0, 1 */
	int64_t trial_days;         /* -1 the plan's */
	const char *provider;       /* "stripe", or NULL */
	const char *provider_id;    /* the provider's subscription id, or NULL */
	const char *provider_event; /* the provider's event id (audit), or NULL */
};

/* Apply `event` to *sp (NULL: the tenant has none) in `tx` by the table:
 * the row written (a new row, swapped into *sp, for a new subscription),
 * `subscription.<event>` audited. SAAS_ESTATE changes nothing. */
int saas__sub_apply_tx(struct saas_subscription **sp, saas_tx *tx, const saas_scope *scope,
                       int event, const struct saas__sub_args *a);
/* Whether the thread's last error names `field`. */
bool saas__billing_err_field(const char *field);
/* Replace *dst with a copy of src (NULL: none); SAAS_ENOMEM leaves *dst. */
int saas__billing_set_str(char **dst, const char *src);
/* Set the row's access (now) and grace from its catalogue. */
int saas__sub_finish_read(struct saas_subscription *s, saas_tx *tx);

/* One feature's entitlement (also the public opaque saas_entitlement). */
struct saas_entitlement {
	int allowed;
	int reason;
	int kind;
	int unlimited;
	int64_t limit;
	int64_t used;
	int64_t requested;
	int over_limit;
	int64_t period_start, period_end;
	char *value;        /* JSON text (the handle only) */
	char *feature;      /* the handle only */
	/* while deciding: borrowed from the view */
	const char *name;
	const struct saas__feat_value *val;
	const struct saas__feature_def *def;
};

/* Decide feature `f` of the view for `amount`, given `used` (members for
 * the seat feature, the period's usage for metered ones; 0 otherwise). */
int saas__ent_decide(struct saas_entitlement *e, const struct saas__ent_view *v, ptrdiff_t f,
                     int64_t amount, int64_t used, int64_t now);
/* The period a metered feature's usage counts in at `at`. */
int saas__metered_period(int64_t *start, int64_t *end, const struct saas__ent_view *v,
                         const struct saas__feature_def *def, int64_t at);
/* Give e (decided) its own copies of the feature's name and value, for a
 * handle that outlives the view. */
int saas__ent_finish(struct saas_entitlement *e);
/* The refusal in e as the error (SAAS_ELIMIT, field "feature"). */
int saas__ent_refuse(const struct saas_entitlement *e, const struct saas__ent_view *v);

/* The boolean feature `permission` needs (catalogue permission_features)
 * when the scope's tenant's plan lacks it: *out_feature its name (owned by
 * the context), else NULL. No catalogue: NULL. For saas_authorize. */
int saas__billing_permission_feature(const char **out_feature, saas_ctx *ctx,
                                     const saas_scope *scope, const char *permission);

#endif
