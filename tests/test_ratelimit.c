/*
 * GCRA rate limits in memory (saas/ratelimit.h): bursts and the emission
 * interval, retry-after and remaining, the window bound under random
 * arrivals and under 4 threads, the key bound, and every refusal.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers.h"

static saas_ratelimiter *rl;

static void setup(void)
{
	ck_ok(saas_ratelimiter_new(&rl, 1000));
}

static void teardown(void)
{
	saas_ratelimiter_free(rl);
	rl = NULL;
}

START_TEST(burst_then_one_per_interval)
{
	saas_ratelimit_policy p = {5, 1000, 5}; /* 5 per second, 5 at once */
	saas_ratelimit_result r;
	int64_t t0 = 1700000000000;

	for (unsigned i = 0; i < 5; i++) {
		ck_ok(saas_ratelimit_take(&r, rl, "acct:1", &p, 1, t0));
		ck_assert_int_eq(r.allowed, 1);
		ck_assert_uint_eq(r.remaining, 4 - i);
		ck_assert_uint_eq(r.limit, 5);
		ck_assert_int_eq(r.retry_after_ms, 0);
		ck_assert_int_eq(r.reset_after_ms, 200 * (i + 1));
	}
	ck_rc(saas_ratelimit_take(&r, rl, "acct:1", &p, 1, t0), SAAS_ERATELIMIT);
	ck_assert_int_eq(r.allowed, 0);
	ck_assert_int_eq(r.retry_after_ms, 200);
	ck_assert_uint_eq(r.remaining, 0);
	ck_assert_int_eq(r.reset_after_ms, 1000);
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "retry in 200 ms"));
	/* A refusal is not counted: at the time given, it is allowed. */
	ck_rc(saas_ratelimit_take(&r, rl, "acct:1", &p, 1, t0 + 199), SAAS_ERATELIMIT);
	ck_assert_int_eq(r.retry_after_ms, 1);
	ck_ok(saas_ratelimit_take(&r, rl, "acct:1", &p, 1, t0 + 200));
	ck_rc(saas_ratelimit_take(&r, rl, "acct:1", &p, 1, t0 + 200), SAAS_ERATELIMIT);
	/* Other keys are not affected; a quantity counts several. */
	ck_ok(saas_ratelimit_take(&r, rl, "ip:10.0.0.1", &p, 5, t0));
	ck_assert_uint_eq(r.remaining, 0);
	ck_rc(saas_ratelimit_take(&r, rl, "ip:10.0.0.1", &p, 2, t0 + 200), SAAS_ERATELIMIT);
	ck_assert_int_eq(r.retry_after_ms, 200);
	ck_ok(saas_ratelimit_take(&r, rl, "ip:10.0.0.1", &p, 2, t0 + 400));
	/* After a quiet period the key is back to a full burst. */
	ck_ok(saas_ratelimit_take(&r, rl, "acct:1", &p, 5, t0 + 5000));
	ck_assert_uint_eq(saas_ratelimiter_size(rl), 2);
	/* out may be NULL. */
	ck_rc(saas_ratelimit_take(NULL, rl, "acct:1", &p, 1, t0 + 5000), SAAS_ERATELIMIT);
}
END_TEST

/* Random arrivals: in every window of W ms at most burst + W / T granted. */
START_TEST(no_window_holds_more_than_allowed)
{
	saas_ratelimit_policy p = {10, 60000, 4}; /* T = 6 s */
	int64_t *granted = malloc(20000 * sizeof *granted), t = 1700000000000;
	size_t n = 0;
	unsigned seed = 7;

	for (int i = 0; i < 20000; i++) {
		seed = seed * 1103515245u + 12345u;
		t += (seed >> 16) % 4000; /* 0 to 4 s apart: faster than allowed */
		int rc = saas_ratelimit_take(NULL, rl, "k", &p, 1, t);
		ck_assert(rc == SAAS_OK || rc == SAAS_ERATELIMIT);
		if (rc == SAAS_OK)
			granted[n++] = t;
	}
	ck_assert_uint_gt(n, 1000);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n && j < i + 64; j++) {
			int64_t w = granted[j] - granted[i];
			ck_assert_msg((int64_t)(j - i + 1) <= 4 + w / 6000,
			              "%zu granted within %lld ms", j - i + 1, (long long)w);
		}
	free(granted);
}
END_TEST

struct worker {
	const saas_ratelimit_policy *p;
	atomic_int *granted;
	atomic_int *stop;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *hammer(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(w->stop))
		if (saas_ratelimit_take(NULL, rl, "shared", w->p, 1, wall_ms()) == SAAS_OK)
			atomic_fetch_add(w->granted, 1);
	return NULL;
}

START_TEST(four_threads_share_one_limit)
{
	saas_ratelimit_policy p = {50, 1000, 10}; /* T = 20 ms */
	atomic_int granted = 0, stop = 0;
	struct worker w = {&p, &granted, &stop};
	pthread_t th[4];
	int64_t t0 = wall_ms(), elapsed;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &w), 0);
	struct timespec nap = {0, 400 * 1000000L};
	nanosleep(&nap, NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	elapsed = wall_ms() - t0;
	/* Never more than the burst plus one per 20 ms (plus the millisecond
	 * the clock may have moved between the first call and t0). */
	ck_assert_msg(atomic_load(&granted) <= 10 + (int)(elapsed / 20) + 1,
	              "%d granted in %lld ms", atomic_load(&granted), (long long)elapsed);
	ck_assert_int_ge(atomic_load(&granted), 10);
}
END_TEST

START_TEST(keys_stay_bounded)
{
	saas_ratelimit_policy p = {1, 60000, 1};
	saas_ratelimiter *small;
	int64_t t = 1700000000000;
	char key[32];

	ck_ok(saas_ratelimiter_new(&small, 3));
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "k%d", i);
		ck_ok(saas_ratelimit_take(NULL, small, key, &p, 1, t + i));
		ck_assert_uint_le(saas_ratelimiter_size(small), 3);
	}
	/* The three newest are still limited. */
	ck_rc(saas_ratelimit_take(NULL, small, "k99", &p, 1, t + 100), SAAS_ERATELIMIT);
	/* Keys back to a full burst go first, and forgetting them changes nothing. */
	ck_ok(saas_ratelimit_take(NULL, small, "fresh", &p, 1, t + 120000));
	ck_assert_uint_eq(saas_ratelimiter_size(small), 1);
	saas_ratelimiter_free(small);
	saas_ratelimiter_free(NULL);
	ck_assert_uint_eq(saas_ratelimiter_size(NULL), 0);
}
END_TEST

START_TEST(refusals)
{
	saas_ratelimit_policy p = {5, 1000, 5};
	saas_ratelimit_result r;
	saas_ratelimiter *x = (saas_ratelimiter *)1;
	char big[600];

	ck_rc(saas_ratelimiter_new(NULL, 10), SAAS_EINVAL);
	ck_field("out");
	ck_rc(saas_ratelimiter_new(&x, 0), SAAS_EINVAL);
	ck_field("max_keys");
	ck_assert_ptr_null(x);
	ck_rc(saas_ratelimiter_new(&x, 10000001), SAAS_EINVAL);
	ck_rc(saas_ratelimit_take(&r, NULL, "k", &p, 1, 0), SAAS_EINVAL);
	ck_field("rl");
	ck_rc(saas_ratelimit_take(&r, rl, NULL, &p, 1, 0), SAAS_EINVAL);
	ck_field("key");
	ck_rc(saas_ratelimit_take(&r, rl, "", &p, 1, 0), SAAS_EINVAL);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_rc(saas_ratelimit_take(&r, rl, big, &p, 1, 0), SAAS_EINVAL);
	ck_field("key");
	ck_rc(saas_ratelimit_take(&r, rl, "k", NULL, 1, 0), SAAS_EINVAL);
	ck_field("policy");
	for (const saas_ratelimit_policy *bad = (const saas_ratelimit_policy[]){
	             {0, 1000, 5}, {5, 0, 5}, {5, 1000, 0}, {5, 400LL * 24 * 3600 * 1000, 5},
	             {5, 1000, 2000000}, {1, 300LL * 24 * 3600 * 1000, 1000000}, {0, 0, 0}};
	     bad->count || bad->period_ms || bad->burst; bad++) {
		ck_rc(saas_ratelimit_take(&r, rl, "k", bad, 1, 0), SAAS_EINVAL);
		ck_field("policy");
	}
	ck_rc(saas_ratelimit_take(&r, rl, "k", &p, 0, 0), SAAS_EINVAL);
	ck_field("quantity");
	ck_rc(saas_ratelimit_take(&r, rl, "k", &p, 6, 0), SAAS_EINVAL);
	ck_field("quantity");
	ck_assert_ptr_nonnull(strstr(saas_error_message(saas_error_last()), "never"));
	ck_rc(saas_ratelimit_take(&r, rl, "k", &p, 1, -1), SAAS_EINVAL);
	ck_field("now_ms");
	ck_assert_int_eq(r.allowed, 0);
	ck_assert_uint_eq(saas_ratelimiter_size(rl), 0); /* nothing was counted */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, burst_then_one_per_interval);
	tcase_add_test(tc, no_window_holds_more_than_allowed);
	tcase_add_test(tc, four_threads_share_one_limit);
	tcase_add_test(tc, keys_stay_bounded);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return th_run(s);
}
