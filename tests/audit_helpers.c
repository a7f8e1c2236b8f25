/* Shared tools of the audit suites (audit_helpers.h). */
#include <string.h>

#include "audit_helpers.h"

int64_t ta_exec(saas_ctx *c, const char *tenant, saas_query *q, const char *fmt, int64_t seq,
                const char *a, const char *b, int64_t n)
{
	saas_tx *tx;
	int64_t changed = 0;

	ck_ok(saas__tx_begin(&tx, c, tenant, true));
	if (strcmp(fmt, "sis") == 0)
		ck_ok(saas__q_exec(tx, q, &changed, "sis", tenant, seq, a));
	else if (strcmp(fmt, "siss") == 0)
		ck_ok(saas__q_exec(tx, q, &changed, "siss", tenant, seq, a, b));
	else if (strcmp(fmt, "sii") == 0)
		ck_ok(saas__q_exec(tx, q, &changed, "sii", tenant, seq, n));
	else if (strcmp(fmt, "si") == 0)
		ck_ok(saas__q_exec(tx, q, &changed, "si", tenant, seq));
	else if (strcmp(fmt, "ss") == 0)
		ck_ok(saas__q_exec(tx, q, &changed, "ss", tenant, a));
	else
		ck_ok(saas__q_exec(tx, q, &changed, "s", tenant));
	ck_ok(saas__tx_commit(tx));
	return changed;
}

saas_audit_report *ta_verify(saas_ctx *c, const char *tenant)
{
	saas_audit_report *r = NULL;

	ck_ok(saas_audit_verify(&r, c, th_scope(tenant)));
	ck_assert_ptr_nonnull(r);
	return r;
}

int64_t ta_expect_intact(saas_ctx *c, const char *tenant)
{
	saas_audit_report *r = ta_verify(c, tenant);
	int64_t n = saas_audit_report_events(r);

	ck_assert_msg(saas_audit_report_ok(r), "not intact: %s", saas_audit_report_message(r));
	saas_audit_report_free(r);
	return n;
}

void ta_expect_damage(saas_ctx *c, const char *tenant, int damage, int64_t seq,
                      const char *words)
{
	saas_audit_report *r = ta_verify(c, tenant);
	const char *msg = saas_audit_report_message(r);

	ck_assert_msg(saas_audit_report_damage(r) == damage, "expected %s at %lld, got %s: %s",
	              saas_audit_damage_name(damage), (long long)seq,
	              saas_audit_damage_name(saas_audit_report_damage(r)), msg);
	ck_assert_int_eq(saas_audit_report_first_bad_seq(r), seq);
	ck_assert_msg(strstr(msg, words) != NULL, "message '%s' lacks '%s'", msg, words);
	saas_audit_report_free(r);
}

int64_t ta_count(saas_ctx *c, const char *tenant)
{
	int64_t n = -1;

	ck_ok(saas_audit_count(&n, c, th_scope(tenant), NULL));
	return n;
}

json_t *ta_event(saas_ctx *c, const char *tenant, const char *action_prefix, size_t i)
{
	saas_audit_filter f = SAAS_AUDIT_FILTER_INIT;
	saas_audit_page *p;
	json_t *e;

	f.action_prefix = action_prefix;
	ck_ok(saas_audit_query(&p, c, th_scope(tenant), &f, NULL, 1000));
	ck_assert_msg(i < saas_audit_page_count(p), "no event %zu with action prefix %s", i,
	              action_prefix ? action_prefix : "(any)");
	e = json_loads(saas_audit_page_event_json(p, i), 0, NULL);
	saas_audit_page_free(p);
	ck_assert_ptr_nonnull(e);
	return e;
}
