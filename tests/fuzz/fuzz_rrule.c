/*
 * fuzz_rrule.c - libFuzzer harness for the recurrence rules of preventive
 * work (service/ical): whatever a user types as an RRULE goes through
 * ical_rrule_check and, when accepted, is expanded from a fixed start in
 * Europe/Berlin with ical_occurrences and ical_next.
 *
 * Beyond "does not crash, leak or hang", it checks what the scheduler
 * relies on, and what libical 3.0 has been caught getting wrong:
 * - a refusal comes with a one-line message; an accepted rule never makes
 *   the expansion fail (-1);
 * - occurrences ascend, lie in the asked interval, fall at 09:30 local and
 *   satisfy the rule's BYMONTH, BYDAY, BYMONTHDAY and BYYEARDAY, UNTIL and
 *   COUNT;
 * - ical_next from each occurrence gives the following one;
 * - the skip-ahead path (no COUNT) gives what walking from the start gives
 *   (the same rule with ";COUNT=10000" added is walked from the start);
 * - the first three years agree with libical's icalrecur_iterator, except
 *   for the shapes ical.c names as ones libical 3.0 gets wrong.
 */
#include "core/timeutil.h"
#include "service/ical.h"

#include <libical/ical.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define START	"2026-01-05T09:30"
#define TZ	"Europe/Berlin"
#define MAXOCC	48

static icaltimezone *berlin;

static struct icaltimetype local(int64_t t)
{
	return icaltime_from_timet_with_zone((time_t)t, 0, berlin);
}

static bool listed(const short *a, size_t size, int v)
{
	for (size_t i = 0; i < size && a[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
		if (a[i] == v)
			return true;
	return false;
}

static bool has(const short *a)
{
	return a[0] != ICAL_RECURRENCE_ARRAY_MAX;
}

/* The rule's BY parts hold for local time l. */
static void check_filters(const struct icalrecurrencetype *r, struct icaltimetype l)
{
	int dim = icaltime_days_in_month(l.month, l.year);
	int yday = icaltime_day_of_year(l);
	int diy = icaltime_days_in_year(l.year);
	if (l.hour != 9 || l.minute != 30 || l.second != 0)
		abort();	/* 09:30 never falls in Berlin's DST gap */
	if (has(r->by_month) && !listed(r->by_month, ICAL_BY_MONTH_SIZE, l.month))
		abort();
	if (has(r->by_month_day) &&
	    !listed(r->by_month_day, ICAL_BY_MONTHDAY_SIZE, l.day) &&
	    !listed(r->by_month_day, ICAL_BY_MONTHDAY_SIZE, l.day - dim - 1))
		abort();
	if (has(r->by_year_day) &&
	    !listed(r->by_year_day, ICAL_BY_YEARDAY_SIZE, yday) &&
	    !listed(r->by_year_day, ICAL_BY_YEARDAY_SIZE, yday - diy - 1))
		abort();
	if (!has(r->by_day))
		return;
	int wd = icaltime_day_of_week(l);	/* 1 = Sunday, as libical encodes */
	bool positional = !has(r->by_month_day) && !has(r->by_year_day);
	for (size_t i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		if ((int)icalrecurrencetype_day_day_of_week(r->by_day[i]) != wd)
			continue;
		int pos = icalrecurrencetype_day_position(r->by_day[i]);
		if (pos == 0 || !positional)
			return;
		bool in_month = r->freq == ICAL_MONTHLY_RECURRENCE || has(r->by_month);
		int day = in_month ? l.day : yday, len = in_month ? dim : diy;
		int nth = pos > 0 ? (day - 1) / 7 + 1 : -((len - day) / 7 + 1);
		if (nth == pos)
			return;
	}
	abort();
}

static void check_until(const struct icalrecurrencetype *r, int64_t t)
{
	if (icaltime_is_null_time(r->until))
		return;
	struct icaltimetype u = r->until, l = local(t);
	if (icaltime_is_utc(u)) {
		if (t > (int64_t)icaltime_as_timet(u))
			abort();
	} else {
		/* a date or a local time: compare the wall-clock fields */
		u.zone = NULL;
		l.zone = NULL;
		if (u.is_date ? icaltime_compare_date_only(l, u) > 0 : icaltime_compare(l, u) > 0)
			abort();
	}
}

static bool any_negative(const short *a, size_t size)
{
	for (size_t i = 0; i < size && a[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
		if (a[i] < 0)
			return true;
	return false;
}

static bool duplicates(const short *a, size_t size)
{
	for (size_t i = 0; i < size && a[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
		for (size_t j = 0; j < i; j++)
			if (a[i] == a[j])
				return true;
	return false;
}

/*
 * libical 3.0.16 ignores BYSETPOS with WEEKLY, finds nothing for a
 * negative BYMONTHDAY with DAILY (see ical.c), and counts a value listed
 * twice twice for BYSETPOS (we take lists as sets). With WEEKLY and an
 * INTERVAL, a start that is not itself an occurrence leaves the set
 * undefined (RFC 5545 3.8.5.3): we count weeks from the start's week,
 * libical does not when WKST is Monday.
 */
static bool libical_trusted(const struct icalrecurrencetype *r, bool synchronized)
{
	if (r->freq == ICAL_WEEKLY_RECURRENCE && r->interval > 1 && !synchronized)
		return false;
	if (duplicates(r->by_month, ICAL_BY_MONTH_SIZE) ||
	    duplicates(r->by_month_day, ICAL_BY_MONTHDAY_SIZE) ||
	    duplicates(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
	    duplicates(r->by_day, ICAL_BY_DAY_SIZE) ||
	    duplicates(r->by_set_pos, ICAL_BY_SETPOS_SIZE))
		return false;
	if (r->freq == ICAL_WEEKLY_RECURRENCE && has(r->by_set_pos))
		return false;
	if (r->freq == ICAL_DAILY_RECURRENCE &&
	    any_negative(r->by_month_day, ICAL_BY_MONTHDAY_SIZE))
		return false;
	return true;
}

/* Our occurrences (UTC) and libical's (floating local) are the same days. */
static void compare_with_libical(const struct icalrecurrencetype *r, const int64_t *mine, int n,
				 int64_t start, int64_t end)
{
	struct icaltimetype dt = local(start), last = local(end);
	dt.zone = NULL;
	last.zone = NULL;
	/* libical runs on floating times: give it UNTIL as local time, and a
	 * date as the end of that day (as ical.h defines it) */
	struct icalrecurrencetype rf = *r;
	if (!icaltime_is_null_time(rf.until)) {
		if (icaltime_is_utc(rf.until)) {
			rf.until = local((int64_t)icaltime_as_timet(rf.until));
		} else if (rf.until.is_date) {
			rf.until.is_date = 0;
			rf.until.hour = 23;
			rf.until.minute = 59;
			rf.until.second = 59;
		}
		rf.until.zone = NULL;
	}
	icalrecur_iterator *it = icalrecur_iterator_new(rf, dt);
	if (!it)
		abort();	/* we found occurrences, libical must be able to start */
	int k = 0;
	for (; k < MAXOCC; k++) {
		struct icaltimetype o = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(o) || icaltime_compare(o, last) >= 0)
			break;
		if (k >= n)
			abort();	/* libical has more */
		struct icaltimetype l = local(mine[k]);
		if (l.year != o.year || l.month != o.month || l.day != o.day)
			abort();
	}
	icalrecur_iterator_free(it);
	if (k < MAXOCC && k != n)
		abort();	/* we have more */
}

/* Occurrences in [from, to): sorted, in range, each one the next of the last. */
static int expand_checked(const char *rule, int64_t from, int64_t to, int64_t *out)
{
	int n = ical_occurrences(rule, START, TZ, from, to, out, MAXOCC);
	if (n < 0 || n > MAXOCC)
		abort();
	for (int i = 0; i < n; i++) {
		if (out[i] < from || out[i] >= to || (i && out[i] <= out[i - 1]))
			abort();
		int64_t next = 0;
		int rc = ical_next(rule, START, TZ, out[i] - 1, &next);
		if (rc != 1 || next != out[i])
			abort();
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		ical_init();
		berlin = icaltimezone_get_builtin_timezone(TZ);
		if (!berlin)
			abort();
		ready = true;
	}
	if (size > ICAL_RRULE_MAX + 16)
		return 0;	/* the check refuses by length; nothing more to learn */
	char rule[ICAL_RRULE_MAX + 32];
	memcpy(rule, data, size);
	rule[size] = '\0';

	char err[ICAL_ERR_LEN];
	err[0] = '\0';
	int rc = ical_rrule_check(rule, err, sizeof(err));
	if (rc == -1) {
		size_t len = strlen(err);
		if (len == 0 || err[len - 1] == '.' || strchr(err, '\n'))
			abort();
		int64_t t;
		if (ical_next(rule, START, TZ, 0, &t) == 1)
			abort();	/* what the check refuses never expands */
		return 0;
	}
	if (rc != 0)
		abort();

	/*
	 * The rule as libical reads it, to check results against. libical's
	 * lists are shorter than ours (a value listed twice counts twice
	 * there), so it may refuse a rule we take: then those checks are off.
	 */
	char upper[ICAL_RRULE_MAX + 32];
	for (size_t i = 0; i <= size; i++)
		upper[i] = (char)(rule[i] >= 'a' && rule[i] <= 'z' ? rule[i] - 32 : rule[i]);
	struct icalrecurrencetype r = icalrecurrencetype_from_string(upper);
	bool parsed = r.freq != ICAL_NO_RECURRENCE;

	int64_t start, from, to, first[MAXOCC], later[MAXOCC], walked[MAXOCC];
	if (time_parse("2026-01-05T08:30:00Z", &start) || time_parse("2031-06-01T00:00:00Z", &from))
		abort();
	to = from + INT64_C(3) * 366 * 86400;

	int nf = expand_checked(rule, start - 86400, start + INT64_C(3) * 366 * 86400, first);
	int nl = expand_checked(rule, from, to, later);
	for (int i = 0; parsed && i < nf; i++) {
		check_filters(&r, local(first[i]));
		check_until(&r, first[i]);
	}
	for (int i = 0; parsed && i < nl; i++) {
		check_filters(&r, local(later[i]));
		check_until(&r, later[i]);
	}
	if (parsed && r.count && nf > r.count)
		abort();
	if (nf && first[0] < start)
		abort();	/* nothing before the start */
	if (parsed && nf && libical_trusted(&r, first[0] == start))
		compare_with_libical(&r, first, nf, start, start + INT64_C(3) * 366 * 86400);

	/* skipping ahead and walking from the start agree */
	size_t len = strlen(rule);
	if (!strstr(upper, "COUNT=") && !strstr(upper, "UNTIL=") && len + 12 <= ICAL_RRULE_MAX) {
		char counted[ICAL_RRULE_MAX + 32];
		memcpy(counted, rule, len);
		memcpy(counted + len, ";COUNT=10000", 13);
		if (ical_rrule_check(counted, NULL, 0) == 0) {
			int nw = ical_occurrences(counted, START, TZ, from, to, walked, MAXOCC);
			if (nw != nl || memcmp(walked, later, (size_t)nl * sizeof(later[0])) != 0)
				abort();
		}
	}
	return 0;
}
