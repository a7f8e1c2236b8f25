/*
 * The subscription state machine (saas/billing.h): every state × every
 * event × every combination of flags against a reference written here
 * from docs/billing.md's rules (not from the library's table), refusals
 * that change nothing and name the state and the event, access levels and
 * the grace period, random event sequences with invariants, the names,
 * and docs/billing.md holding the table the code prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define C SAAS_SUB_F_CANCEL_PENDING
#define CH SAAS_SUB_F_CHANGE_PENDING
#define PM SAAS_SUB_F_PAYMENT_METHOD

/* The rules of docs/billing.md, as a reference: 1 and the next state and
 * flags, or 0 when the event is refused. */
static int ref(int s, unsigned f, int ev, int *to, unsigned *tf)
{
	int open = s == SAAS_SUB_TRIALING || s == SAAS_SUB_ACTIVE || s == SAAS_SUB_PAST_DUE ||
	           s == SAAS_SUB_UNPAID;

	*to = s;
	*tf = f;
	switch (s) {
	case SAAS_SUB_NONE:
		if (ev == SAAS_SUB_EV_TRIAL_STARTED)
			return *to = SAAS_SUB_TRIALING, 1;
		if (ev == SAAS_SUB_EV_CREATED)
			return *to = SAAS_SUB_INCOMPLETE, 1;
		if (ev == SAAS_SUB_EV_PAYMENT_SUCCEEDED)
			return *to = SAAS_SUB_ACTIVE, 1;
		return 0;
	case SAAS_SUB_INCOMPLETE:
		if (ev == SAAS_SUB_EV_PAYMENT_SUCCEEDED)
			return *to = SAAS_SUB_ACTIVE, 1;
		if (ev == SAAS_SUB_EV_PAYMENT_FAILED)
			return 1;
		if (ev == SAAS_SUB_EV_INCOMPLETE_EXPIRED || ev == SAAS_SUB_EV_CANCEL_NOW)
			return *to = SAAS_SUB_INCOMPLETE_EXPIRED, *tf = f & ~(C | CH), 1;
		return 0;
	case SAAS_SUB_PAUSED:
		if (ev == SAAS_SUB_EV_RESUME && (f & PM))
			return *to = SAAS_SUB_ACTIVE, 1;
		if (ev == SAAS_SUB_EV_CANCEL_NOW)
			return *to = SAAS_SUB_CANCELED, *tf = f & ~(C | CH), 1;
		return 0;
	default:
		break;
	}
	if (!open)
		return 0; /* terminal */
	switch (ev) {
	case SAAS_SUB_EV_CANCEL_NOW:
		return *to = SAAS_SUB_CANCELED, *tf = f & ~(C | CH), 1;
	case SAAS_SUB_EV_CANCEL_AT_PERIOD_END:
		if (f & C)
			return 0;
		return *tf = (f | C) & ~CH, 1;
	case SAAS_SUB_EV_UNCANCEL:
		if (!(f & C))
			return 0;
		return *tf = f & ~C, 1;
	case SAAS_SUB_EV_PAYMENT_SUCCEEDED:
		return *to = SAAS_SUB_ACTIVE, 1;
	case SAAS_SUB_EV_PAYMENT_FAILED:
		return *to = s == SAAS_SUB_UNPAID ? SAAS_SUB_UNPAID : SAAS_SUB_PAST_DUE, 1;
	case SAAS_SUB_EV_RETRIES_EXHAUSTED:
		if (s != SAAS_SUB_PAST_DUE)
			return 0;
		return *to = SAAS_SUB_UNPAID, 1;
	case SAAS_SUB_EV_PAUSE:
		if (s == SAAS_SUB_UNPAID)
			return 0;
		return *to = SAAS_SUB_PAUSED, *tf = f & ~(C | CH), 1;
	case SAAS_SUB_EV_PLAN_CHANGE_NOW:
	case SAAS_SUB_EV_PLAN_CHANGE_AT_PERIOD_END:
		if ((s != SAAS_SUB_TRIALING && s != SAAS_SUB_ACTIVE) || (f & C))
			return 0;
		*tf = ev == SAAS_SUB_EV_PLAN_CHANGE_NOW ? f & ~CH : f | CH;
		return 1;
	case SAAS_SUB_EV_PERIOD_RENEWED:
		if (s == SAAS_SUB_TRIALING)
			return 0;
		if (f & C)
			return *to = SAAS_SUB_CANCELED, *tf = f & ~(C | CH), 1;
		return *tf = f & ~CH, 1;
	case SAAS_SUB_EV_TRIAL_ENDED:
		if (s != SAAS_SUB_TRIALING)
			return 0;
		if (f & C)
			return *to = SAAS_SUB_CANCELED, *tf = f & ~(C | CH), 1;
		return *to = (f & PM) ? SAAS_SUB_ACTIVE : SAAS_SUB_PAUSED, *tf = f & ~CH, 1;
	default:
		return 0;
	}
}

START_TEST(every_state_event_and_flags)
{
	int allowed = 0, refused = 0;

	for (int s = 0; s <= SAAS_SUB_STATE_MAX; s++)
		for (unsigned f = 0; f <= SAAS_SUB_F_ALL; f++)
			for (int ev = 1; ev <= SAAS_SUB_EVENT_MAX; ev++) {
				int want_s, got_s = -1;
				unsigned want_f, got_f = 99;
				int ok = ref(s, f, ev, &want_s, &want_f);
				int rc = saas_sub_transition(&got_s, &got_f, s, f, ev);

				ck_assert_msg(rc == (ok ? SAAS_OK : SAAS_ESTATE),
				              "%s + %s (flags %u): %s, expected %s", saas_sub_state_name(s),
				              saas_sub_event_name(ev), f, saas_code_name(rc),
				              ok ? "SAAS_OK" : "SAAS_ESTATE");
				ck_assert_msg(got_s == want_s && got_f == want_f,
				              "%s + %s (flags %u): %s/%u, expected %s/%u",
				              saas_sub_state_name(s), saas_sub_event_name(ev), f,
				              saas_sub_state_name(got_s), got_f,
				              saas_sub_state_name(want_s), want_f);
				if (ok) {
					allowed++;
					continue;
				}
				refused++;
				ck_field("event");
				ck_assert(strstr(saas_error_message(saas_error_last()),
				                 saas_sub_state_name(s)) != NULL);
				ck_assert(strstr(saas_error_message(saas_error_last()),
				                 saas_sub_event_name(ev)) != NULL);
			}
	ck_assert_int_eq(allowed + refused, (SAAS_SUB_STATE_MAX + 1) * 8 * SAAS_SUB_EVENT_MAX);
	ck_assert_int_gt(allowed, 100);
}
END_TEST

START_TEST(refusals_say_why)
{
	int s;
	unsigned f;

	ck_rc(saas_sub_transition(&s, &f, SAAS_SUB_CANCELED, 0, SAAS_SUB_EV_PAYMENT_SUCCEEDED),
	      SAAS_ESTATE);
	ck_assert(strstr(saas_error_message(saas_error_last()), "ended") != NULL);
	ck_assert_int_eq(s, SAAS_SUB_CANCELED);
	ck_rc(saas_sub_transition(&s, &f, SAAS_SUB_PAUSED, 0, SAAS_SUB_EV_RESUME), SAAS_ESTATE);
	ck_assert(strstr(saas_error_message(saas_error_last()), "payment method") != NULL);
	ck_rc(saas_sub_transition(&s, &f, SAAS_SUB_ACTIVE, 0, SAAS_SUB_EV_UNCANCEL), SAAS_ESTATE);
	ck_assert(strstr(saas_error_message(saas_error_last()), "no cancellation") != NULL);
	ck_rc(saas_sub_transition(&s, &f, SAAS_SUB_ACTIVE, C, SAAS_SUB_EV_PLAN_CHANGE_NOW),
	      SAAS_ESTATE);
	ck_assert(strstr(saas_error_message(saas_error_last()), "cancellation is scheduled") != NULL);
	ck_assert_uint_eq(f, C);

	ck_rc(saas_sub_transition(&s, &f, -1, 0, SAAS_SUB_EV_PAUSE), SAAS_EINVAL);
	ck_field("state");
	ck_rc(saas_sub_transition(&s, &f, SAAS_SUB_STATE_MAX + 1, 0, SAAS_SUB_EV_PAUSE),
	      SAAS_EINVAL);
	ck_rc(saas_sub_transition(&s, &f, SAAS_SUB_ACTIVE, 0, 0), SAAS_EINVAL);
	ck_field("event");
	ck_rc(saas_sub_transition(&s, &f, SAAS_SUB_ACTIVE, 0, SAAS_SUB_EVENT_MAX + 1), SAAS_EINVAL);
	ck_rc(saas_sub_transition(&s, &f, SAAS_SUB_ACTIVE, 8, SAAS_SUB_EV_PAUSE), SAAS_EINVAL);
	ck_field("flags");
	ck_ok(saas_sub_transition(NULL, NULL, SAAS_SUB_ACTIVE, 0, SAAS_SUB_EV_PAUSE));
}
END_TEST

START_TEST(access_levels)
{
	const int64_t now = 1767225600000LL, day = 86400000LL;

	ck_assert_int_eq(saas_sub_access(SAAS_SUB_NONE, 0, 0, now), SAAS_ACCESS_NONE);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_INCOMPLETE, 0, 0, now), SAAS_ACCESS_NONE);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_INCOMPLETE_EXPIRED, 0, 0, now), SAAS_ACCESS_NONE);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_TRIALING, 0, 0, now), SAAS_ACCESS_FULL);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_ACTIVE, 0, 0, now), SAAS_ACCESS_FULL);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_UNPAID, 0, 0, now), SAAS_ACCESS_READ_ONLY);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_PAUSED, 0, 0, now), SAAS_ACCESS_READ_ONLY);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_CANCELED, 0, 0, now), SAAS_ACCESS_NONE);
	/* past due: full for the grace, read-only from its last instant on */
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_PAST_DUE, now, 7 * day, now), SAAS_ACCESS_FULL);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_PAST_DUE, now, 7 * day, now + 7 * day - 1),
	                 SAAS_ACCESS_FULL);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_PAST_DUE, now, 7 * day, now + 7 * day),
	                 SAAS_ACCESS_READ_ONLY);
	ck_assert_int_eq(saas_sub_access(SAAS_SUB_PAST_DUE, now, 0, now), SAAS_ACCESS_READ_ONLY);
	ck_rc(saas_sub_access(SAAS_SUB_PAST_DUE, now, -1, now), SAAS_EINVAL);
	ck_field("grace_ms");
	ck_rc(saas_sub_access(42, 0, 0, now), SAAS_EINVAL);
	ck_field("state");
	ck_assert_str_eq(saas_access_name(SAAS_ACCESS_READ_ONLY), "read_only");
	ck_assert_str_eq(saas_access_name(SAAS_ACCESS_FULL), "full");
	ck_assert_str_eq(saas_access_name(SAAS_ACCESS_NONE), "none");
	ck_assert_str_eq(saas_access_name(3), "unknown");
}
END_TEST

static uint64_t rng = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

START_TEST(random_sequences_keep_the_invariants)
{
	const int64_t grace = 3 * 86400000LL;
	long moves = 0;

	for (int run = 0; run < 20000; run++) {
		int s = SAAS_SUB_NONE, ended = 0;
		unsigned f = rnd(2) ? PM : 0;
		int64_t now = 0, since = 0;

		for (int i = 0; i < 30; i++) {
			int ev = 1 + (int)rnd(SAAS_SUB_EVENT_MAX), ns, a;
			unsigned nf;
			int rc;

			if (rnd(8) == 0)
				f ^= PM; /* the customer adds or removes a payment method */
			now += rnd(2 * 86400) * 1000LL;
			rc = saas_sub_transition(&ns, &nf, s, f, ev);
			ck_assert(rc == SAAS_OK || rc == SAAS_ESTATE);
			if (rc != SAAS_OK) {
				ck_assert(ns == s && nf == f); /* a refusal changes nothing */
				continue;
			}
			moves++;
			ck_assert_msg(!ended, "left terminal state %s by %s", saas_sub_state_name(s),
			              saas_sub_event_name(ev));
			ck_assert((nf & PM) == (f & PM)); /* events never touch it */
			ck_assert(!((nf & C) && (nf & CH))); /* never both pending */
			if (saas_sub_state_terminal(ns))
				ck_assert_uint_eq(nf & (C | CH), 0);
			if (ns == SAAS_SUB_PAST_DUE && s != SAAS_SUB_PAST_DUE)
				since = now;
			s = ns;
			f = nf;
			ended = saas_sub_state_terminal(s);
			/* access never exceeds what the state grants */
			a = saas_sub_access(s, since, grace, now);
			if (a == SAAS_ACCESS_FULL)
				ck_assert(s == SAAS_SUB_TRIALING || s == SAAS_SUB_ACTIVE ||
				          (s == SAAS_SUB_PAST_DUE && now - since < grace));
			if (ended || s == SAAS_SUB_INCOMPLETE)
				ck_assert_int_eq(a, SAAS_ACCESS_NONE);
		}
	}
	ck_assert_int_gt(moves, 50000);
}
END_TEST

START_TEST(names)
{
	for (int s = 0; s <= SAAS_SUB_STATE_MAX; s++)
		ck_assert_int_eq(saas_sub_state_from_name(saas_sub_state_name(s)), s);
	for (int e = 1; e <= SAAS_SUB_EVENT_MAX; e++)
		ck_assert_int_eq(saas_sub_event_from_name(saas_sub_event_name(e)), e);
	ck_assert_str_eq(saas_sub_state_name(SAAS_SUB_PAST_DUE), "past_due");
	ck_assert_str_eq(saas_sub_state_name(99), "unknown");
	ck_assert_str_eq(saas_sub_event_name(SAAS_SUB_EV_CANCEL_AT_PERIOD_END),
	                 "cancel_at_period_end");
	ck_assert_str_eq(saas_sub_event_name(0), "unknown");
	ck_rc(saas_sub_state_from_name("gone"), SAAS_EINVAL);
	ck_field("state");
	ck_rc(saas_sub_state_from_name(NULL), SAAS_EINVAL);
	ck_rc(saas_sub_event_from_name("refund"), SAAS_EINVAL);
	ck_field("event");
	ck_assert_int_eq(saas_sub_state_terminal(SAAS_SUB_CANCELED), 1);
	ck_assert_int_eq(saas_sub_state_terminal(SAAS_SUB_INCOMPLETE_EXPIRED), 1);
	ck_assert_int_eq(saas_sub_state_terminal(SAAS_SUB_UNPAID), 0);
}
END_TEST

START_TEST(the_docs_hold_the_printed_table)
{
	char *md, *dot, *doc;

	ck_ok(saas_sub_table_markdown(&md));
	ck_assert(strncmp(md, "| from | event | when | to | flags |\n", 37) == 0);
	ck_assert(strstr(md, "| past_due | retries_exhausted |  | unpaid |  |\n") != NULL);
	ck_ok(saas_sub_table_dot(&dot));
	ck_assert(strncmp(dot, "digraph subscription {", 22) == 0);
	ck_assert(strstr(dot, "canceled [shape=doublecircle]") != NULL);
	ck_assert(strstr(dot, "paused -> active [label=\"resume [payment_method]\"]") != NULL);
	ck_rc(saas_sub_table_markdown(NULL), SAAS_EINVAL);
	ck_rc(saas_sub_table_dot(NULL), SAAS_EINVAL);

	doc = th_source_file("docs/billing.md");
	ck_assert_msg(strstr(doc, md) != NULL,
	              "docs/billing.md does not hold the table `saasctl billing states --markdown` "
	              "prints: paste it in again");
	free(doc);
	saas_free(md);
	saas_free(dot);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("billing_state");
	TCase *tc = tcase_create("billing_state");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_state_event_and_flags);
	tcase_add_test(tc, refusals_say_why);
	tcase_add_test(tc, access_levels);
	tcase_add_test(tc, random_sequences_keep_the_invariants);
	tcase_add_test(tc, names);
	tcase_add_test(tc, the_docs_hold_the_printed_table);
	suite_add_tcase(s, tc);
	return th_run(s);
}
