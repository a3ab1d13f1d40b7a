/*
 * timeutil.c - the clock, and RFC 3339 timestamps in UTC without the C
 * library's time zone state (timegm and friends are not thread-safe with
 * TZ changes).
 */
#include "timeutil.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Set by single-threaded commands (servio demo); atomic all the same, as it costs nothing. */
static _Atomic int64_t pretend;

#ifdef SERVIO_TEST_HOOKS
/* Read by every thread on every time_now(), set by a test through the API. */
static _Atomic int64_t clock_offset;

int time_offset_set(int64_t seconds)
{
	if (seconds < -TIME_OFFSET_MAX || seconds > TIME_OFFSET_MAX)
		return -1;
	atomic_store(&clock_offset, seconds);
	return 0;
}

int64_t time_offset(void)
{
	return atomic_load(&clock_offset);
}

int time_offset_from_env(char *err, size_t errlen)
{
	const char *v = getenv(TIME_OFFSET_ENV);
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	bool starts_well = (*v >= '0' && *v <= '9') || *v == '-' || *v == '+';
	if (!starts_well || errno || *end || end == v || n < -TIME_OFFSET_MAX ||
	    n > TIME_OFFSET_MAX) {
		snprintf(err, errlen, "%s must be whole seconds within %lld either way, not \"%.40s\"",
			 TIME_OFFSET_ENV, TIME_OFFSET_MAX, v);
		return -1;
	}
	return time_offset_set((int64_t)n);
}
#endif

void time_pretend(int64_t t)
{
	atomic_store(&pretend, t);
}

int64_t time_now(void)
{
	int64_t p = atomic_load(&pretend);
	if (p)
		return p;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
#ifdef SERVIO_TEST_HOOKS
	return (int64_t)ts.tv_sec + atomic_load(&clock_offset);
#else
	return (int64_t)ts.tv_sec;
#endif
}

int64_t time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Howard Hinnant's days_from_civil / civil_from_days algorithms. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void time_format(int64_t t, char out[TIME_RFC3339_LEN])
{
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		memcpy(out, y < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z",
		       TIME_RFC3339_LEN);
		return;
	}
	char tmp[64];	/* roomy, so the compiler can see nothing truncates */
	snprintf(tmp, sizeof(tmp), "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m % 13, d % 32,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	memcpy(out, tmp, TIME_RFC3339_LEN);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	if (digits(s, 4, y) || s[4] != '-' || digits(s + 5, 2, m) || s[7] != '-' ||
	    digits(s + 8, 2, d))
		return -1;
	if (*m < 1 || *m > 12 || *d < 1 || *d > month_days(*y, *m))
		return -1;
	return 0;
}

int64_t date_day(const char *date)
{
	int y, m, d;
	if (parse_date(date, &y, &m, &d))
		return 0;
	return days_from_civil(y, (unsigned)m, (unsigned)d);
}

bool date_valid(const char *s)
{
	int y, m, d;
	return strlen(s) == 10 && parse_date(s, &y, &m, &d) == 0;
}

int time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;
	size_t n = strlen(s);
	if (n < 20 || parse_date(s, &y, &mo, &d))
		return -1;
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	if (h > 23 || mi > 59 || se > 60)
		return -1;
	if (se == 60)
		se = 59;	/* a leap second is the last second of its minute */
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return -1;
		offset = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
	       se - offset;
	return 0;
}
