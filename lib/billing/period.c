/*
 * Usage periods: calendar days, ISO weeks, months and years in UTC, and
 * monthly billing cycles from an anchor. The civil calendar is computed here
 * (Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian)
 * rather than through timegm/gmtime: exact, thread-safe, and the same on
 * every platform whatever its time_t.
 */
#include <string.h>

#include "billing.h"

#define DAY_MS 86400000LL
/* 10000-01-01T00:00:00Z, the first instant past year 9999 */
#define MAX_MS 253402300800000LL

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Floor division: billing cycles count months backwards too. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The start of billing cycle k: the anchor + k months, its day clamped to
 * the target month's length, at the anchor's time of day. */
static int64_t cycle_start(int64_t ay, int am, int ad, int64_t tod, int64_t k)
{
	int64_t months = ay * 12 + (am - 1) + k, y = floor_div(months, 12);
	int m = (int)(months - y * 12) + 1, dim = days_in_month(y, m);

	return days_from_civil(y, m, ad < dim ? ad : dim) * DAY_MS + tod;
}

int saas__period_bounds(int64_t *start, int64_t *end, int period, int64_t anchor_ms,
                        int64_t now_ms)
{
	int64_t days, y, s, e;
	int m, d;

	if (!start || !end)
		return saas__err(SAAS_EINVAL, !start ? "start" : "end",
		                 "no place for the period's bounds");
	if (period < SAAS__PERIOD_DAY || period > SAAS__PERIOD_BILLING_CYCLE)
		return saas__err(SAAS_EINVAL, "period", "period %d is not a known period", period);
	if (now_ms < 0 || now_ms >= MAX_MS)
		return saas__err(SAAS_EINVAL, "now",
		                 "now (%lld ms since the epoch) is outside the years 1970 to 9999",
		                 (long long)now_ms);
	if (period == SAAS__PERIOD_BILLING_CYCLE && (anchor_ms < 0 || anchor_ms >= MAX_MS))
		return saas__err(SAAS_EINVAL, "anchor",
		                 "the anchor (%lld ms since the epoch) is outside the years 1970 "
		                 "to 9999",
		                 (long long)anchor_ms);
	days = now_ms / DAY_MS; /* now_ms >= 0: truncation is the floor */
	civil_from_days(days, &y, &m, &d);
	switch (period) {
	case SAAS__PERIOD_DAY:
		s = days * DAY_MS;
		e = s + DAY_MS;
		break;
	case SAAS__PERIOD_WEEK:
		/* 1970-01-01 was a Thursday: Monday is day 0 of (days + 3) % 7 */
		s = (days - (days + 3) % 7) * DAY_MS;
		e = s + 7 * DAY_MS;
		break;
	case SAAS__PERIOD_MONTH:
		s = days_from_civil(y, m, 1) * DAY_MS;
		e = days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * DAY_MS;
		break;
	case SAAS__PERIOD_YEAR:
		s = days_from_civil(y, 1, 1) * DAY_MS;
		e = days_from_civil(y + 1, 1, 1) * DAY_MS;
		break;
	default: { /* SAAS__PERIOD_BILLING_CYCLE */
		int64_t ay, tod = anchor_ms % DAY_MS, k;
		int am, ad;

		civil_from_days(anchor_ms / DAY_MS, &ay, &am, &ad);
		/* the cycle starting in now's month, or the one before */
		k = (y - ay) * 12 + (m - am);
		s = cycle_start(ay, am, ad, tod, k);
		if (s > now_ms)
			s = cycle_start(ay, am, ad, tod, --k);
		e = cycle_start(ay, am, ad, tod, k + 1);
		break;
	}
	}
	*start = s;
	*end = e;
	return SAAS_OK;
}

static const char *const names[] = {
	[SAAS__PERIOD_DAY] = "day",
	[SAAS__PERIOD_WEEK] = "week",
	[SAAS__PERIOD_MONTH] = "month",
	[SAAS__PERIOD_YEAR] = "year",
	[SAAS__PERIOD_BILLING_CYCLE] = "billing_cycle",
};

const char *saas__period_name(int period)
{
	if (period < SAAS__PERIOD_DAY || period > SAAS__PERIOD_BILLING_CYCLE)
		return "unknown";
	return names[period];
}

int saas__period_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int p = SAAS__PERIOD_DAY; p <= SAAS__PERIOD_BILLING_CYCLE; p++)
		if (strcmp(name, names[p]) == 0)
			return p;
	return -1;
}
