/*
 * test_ical.c - src/service/ical: recurrence rules of preventive work
 * (the check and its messages, occurrences on the local wall clock across
 * DST changes in Berlin, New York and Sydney, the DST gap and the repeated
 * hour, COUNT and UNTIL, rules without occurrences, agreement with
 * libical's icalrecur_iterator where libical is right and the cases where
 * it is not, zones as core/calendar knows them (ICU's data, where
 * libical's zones were wrong; the same names taken), concurrent callers)
 * and the technicians' calendar feed,
 * parsed back with libical to prove it is valid, plus its folding, line
 * ends, escaping and failure paths.
 */
#include "core/alloc.h"
#include "core/buf.h"
#include "core/calendar.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "service/ical.h"

#include <libical/ical.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static int64_t utc(const char *s)
{
	int64_t t;
	assert_int_equal(time_parse(s, &t), 0);
	return t;
}

/* Asserts the occurrences of a rule in [from, to) are exactly want[]. */
static void expect_occurrences(const char *rule, const char *start, const char *tz,
			       const char *from, const char *to, const char *const *want,
			       size_t nwant)
{
	int64_t got[64];
	int n = ical_occurrences(rule, start, tz, utc(from), utc(to), got, N_ELEMS(got));
	char s[TIME_RFC3339_LEN];
	for (int i = 0; i < n && (size_t)i < nwant; i++) {
		time_format(got[i], s);
		if (strcmp(s, want[i]) != 0)
			fail_msg("%s %s %s: occurrence %d is %s, want %s", rule, start, tz, i, s,
				 want[i]);
	}
	assert_int_equal(n, nwant);
}

static void expect_next(const char *rule, const char *start, const char *tz, const char *after,
			const char *want)
{
	int64_t next = -7;
	int rc = ical_next(rule, start, tz, utc(after), &next);
	if (!want) {
		assert_int_equal(rc, 0);
		assert_int_equal(next, -7);	/* untouched */
		return;
	}
	assert_int_equal(rc, 1);
	char s[TIME_RFC3339_LEN];
	time_format(next, s);
	assert_string_equal(s, want);
}

/* ---- the rule check ---- */

static void rrule_check_accepts(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"FREQ=MONTHLY;BYDAY=1MO",
		"FREQ=WEEKLY;BYDAY=MO,TH",
		"FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15",
		"FREQ=DAILY",
		"FREQ=DAILY;INTERVAL=2;COUNT=10",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;WKST=SU",
		"FREQ=MONTHLY;BYMONTHDAY=-1",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		"FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231",
		"FREQ=MONTHLY;UNTIL=20271231T170000Z",
		"FREQ=MONTHLY;UNTIL=20271231T170000",
		"FREQ=YEARLY;BYDAY=20MO",
		"FREQ=YEARLY;BYYEARDAY=100,-1",
		"freq=monthly;byday=1mo",		/* RFC 5545: case-insensitive */
		"FREQ=DAILY;COUNT=10000",
		"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
		"FREQ=DAILY;BYMONTHDAY=-1",
		"FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=-1",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",	/* valid, if never */
	};
	char err[ICAL_ERR_LEN];
	for (size_t i = 0; i < N_ELEMS(ok); i++) {
		err[0] = '\0';
		if (ical_rrule_check(ok[i], err, sizeof(err)) != 0)
			fail_msg("%s refused: %s", ok[i], err);
	}
}

static void rrule_check_refuses_with_reasons(void **state)
{
	(void)state;
	char too_long[ICAL_RRULE_MAX + 2];
	memset(too_long, 'X', sizeof(too_long) - 1);
	memcpy(too_long, "FREQ=DAILY;", 11);
	too_long[ICAL_RRULE_MAX + 1] = '\0';
	static const struct {
		const char *rule, *message;
	} bad[] = {
		{ "", "rule is empty" },
		{ "garbage", "rule part \"GARBAGE\" has no value" },
		{ "FREQ=MINUTELY", "FREQ=MINUTELY is too frequent: the shortest is DAILY" },
		{ "FREQ=HOURLY;INTERVAL=24", "FREQ=HOURLY is too frequent: the shortest is DAILY" },
		{ "FREQ=SECONDLY", "FREQ=SECONDLY is too frequent: the shortest is DAILY" },
		{ "FREQ=FORTNIGHTLY", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY" },
		{ "FREQ=DAILY\nBYDAY=MO", "rule contains a line break" },
		{ "FREQ=DAILY\r", "rule contains a line break" },
		{ "FREQ=DAILY;\tCOUNT=2", "rule contains a control character" },
		{ "FREQ=DAILY; COUNT=2", "rule contains a space" },
		{ "FREQ=DAILY;COUNT=2\xc3\xa4", "rule contains a character that is not ASCII" },
		{ "RRULE:FREQ=DAILY", "write the rule without \"RRULE:\"" },
		{ "BYDAY=MO", "FREQ is missing" },
		{ "FREQ=DAILY;;COUNT=2", "rule has an empty part (two ';' or one at an end)" },
		{ "FREQ=DAILY;", "rule has an empty part (two ';' or one at an end)" },
		{ "FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice" },
		{ "FREQ=DAILY;FOO=1", "unknown rule part \"FOO\"" },
		{ "FREQ=DAILY;BYHOUR=9,17", "BYHOUR is not allowed: the time of day comes from the start" },
		{ "FREQ=DAILY;BYMINUTE=0", "BYMINUTE is not allowed: the time of day comes from the start" },
		{ "FREQ=YEARLY;BYWEEKNO=1", "BYWEEKNO is not supported" },
		{ "FREQ=YEARLY;RSCALE=GREGORIAN", "RSCALE is not supported" },
		{ "FREQ=DAILY;COUNT=0", "COUNT must be a whole number from 1 to 10000" },
		{ "FREQ=DAILY;COUNT=10001", "COUNT must be a whole number from 1 to 10000" },
		{ "FREQ=DAILY;INTERVAL=0", "INTERVAL must be a whole number from 1 to 1000" },
		{ "FREQ=DAILY;INTERVAL=", "INTERVAL has an empty value" },
		{ "FREQ=DAILY;COUNT=3;UNTIL=20270101", "COUNT and UNTIL cannot both be given" },
		{ "FREQ=DAILY;UNTIL=20270231",
		  "UNTIL must be a date or time from 1970 to 2500 like 20271231 or 20271231T170000Z" },
		{ "FREQ=DAILY;UNTIL=tomorrow",
		  "UNTIL must be a date or time from 1970 to 2500 like 20271231 or 20271231T170000Z" },
		{ "FREQ=WEEKLY;BYDAY=XX", "BYDAY: \"XX\" is not a weekday (MO to SU, \"1MO\", \"-1FR\")" },
		{ "FREQ=WEEKLY;BYDAY=MO,,TU", "BYDAY has an empty value" },
		{ "FREQ=WEEKLY;BYDAY=1MO", "BYDAY: a position (\"1MO\") needs FREQ=MONTHLY or YEARLY" },
		{ "FREQ=MONTHLY;BYDAY=6MO", "BYDAY: the position in \"6MO\" must be 1 to 5 or -1 to -5" },
		{ "FREQ=MONTHLY;BYDAY=0MO", "BYDAY: the position in \"0MO\" must be 1 to 5 or -1 to -5" },
		{ "FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY must be 1 to 31 or -1 to -31" },
		{ "FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY cannot be used with FREQ=WEEKLY" },
		{ "FREQ=YEARLY;BYMONTHDAY=13",
		  "BYMONTHDAY with FREQ=YEARLY needs BYMONTH (or use FREQ=MONTHLY)" },
		{ "FREQ=MONTHLY;BYYEARDAY=1", "BYYEARDAY needs FREQ=YEARLY" },
		{ "FREQ=YEARLY;BYMONTH=13", "BYMONTH must be 1 to 12" },
		{ "FREQ=YEARLY;BYMONTH=5L", "BYMONTH must be 1 to 12" },
		{ "FREQ=DAILY;BYDAY=MO,FR;BYSETPOS=-1", "BYSETPOS needs FREQ=WEEKLY, MONTHLY or YEARLY" },
		{ "FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BY part to choose from" },
		{ "FREQ=DAILY;WKST=XX", "WKST must be a weekday (MO to SU)" },
		{ "FREQ=YEARLY;BYYEARDAY=1;BYMONTH=1", "BYYEARDAY cannot be combined with BYMONTH or BYMONTHDAY" },
		{ "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=1,2,3",
		  "BYDAY positions (\"1MO\") cannot be combined with BYMONTHDAY or BYYEARDAY" },
		{ "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
		  "rule has no occurrences: no BYMONTHDAY falls in BYMONTH" },
		{ "FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31,-31",
		  "rule has no occurrences: no BYMONTHDAY falls in BYMONTH" },
	};
	char err[ICAL_ERR_LEN];
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		snprintf(err, sizeof(err), "untouched");
		if (ical_rrule_check(bad[i].rule, err, sizeof(err)) != -1)
			fail_msg("%s accepted", bad[i].rule);
		if (strcmp(err, bad[i].message) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].rule, err, bad[i].message);
	}
	assert_int_equal(ical_rrule_check(too_long, err, sizeof(err)), -1);
	assert_string_equal(err, "rule is longer than 512 characters");
	assert_int_equal(ical_rrule_check(NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "rule is empty");
	/* a NULL or short message buffer is fine */
	assert_int_equal(ical_rrule_check("FREQ=MINUTELY", NULL, 0), -1);
	char tiny[5];
	assert_int_equal(ical_rrule_check("FREQ=MINUTELY", tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "FREQ");
}

static void rrule_check_length_edge(void **state)
{
	(void)state;
	/* exactly ICAL_RRULE_MAX characters of a valid rule pass */
	char rule[ICAL_RRULE_MAX + 2];
	struct buf b;
	buf_init(&b, 0);
	buf_addstr(&b, "FREQ=YEARLY;BYYEARDAY=1");
	for (int d = 2; b.len < ICAL_RRULE_MAX - 32; d++)
		buf_addf(&b, ",%d", d);
	while (b.len + 2 <= ICAL_RRULE_MAX)
		buf_addstr(&b, ",1");	/* duplicates are harmless */
	if (b.len < ICAL_RRULE_MAX)
		buf_addstr(&b, "1");	/* the last ",1" becomes ",11" */
	assert_int_equal(b.len, ICAL_RRULE_MAX);
	snprintf(rule, sizeof(rule), "%s", buf_str(&b));
	buf_release(&b);
	char err[ICAL_ERR_LEN] = "";
	if (ical_rrule_check(rule, err, sizeof(err)) != 0)
		fail_msg("512 characters refused: %s", err);
	rule[ICAL_RRULE_MAX] = '1';
	rule[ICAL_RRULE_MAX + 1] = '\0';
	assert_int_equal(ical_rrule_check(rule, err, sizeof(err)), -1);
	assert_string_equal(err, "rule is longer than 512 characters");
}

static void start_check(void **state)
{
	(void)state;
	char err[ICAL_ERR_LEN];
	assert_int_equal(ical_start_check("2026-12-07T09:00", "Europe/Berlin", err, sizeof(err)), 0);
	assert_int_equal(ical_start_check("2026-12-07T09:00", "UTC", err, sizeof(err)), 0);
	assert_int_equal(ical_start_check("2028-02-29T23:59", "Australia/Sydney", err, sizeof(err)), 0);
	static const struct {
		const char *start, *tz, *message;
	} bad[] = {
		{ "2026-12-07 09:00", "UTC", "start must look like 2026-12-07T09:00" },
		{ "2026-12-07T09:00:00", "UTC", "start must look like 2026-12-07T09:00" },
		{ "2026-02-29T09:00", "UTC", "start is not a real date" },
		{ "1969-12-31T09:00", "UTC", "start must be in the years 1970 to 2500" },
		{ "2501-01-01T09:00", "UTC", "start must be in the years 1970 to 2500" },
		{ "2026-12-07T24:00", "UTC", "start has no valid time of day (00:00 to 23:59)" },
		{ "2026-12-07T09:60", "UTC", "start has no valid time of day (00:00 to 23:59)" },
		{ "2026-12-07T09:00", "Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\"" },
		{ "2026-12-07T09:00", "../../etc/passwd", "time zone must be an IANA name like Europe/Berlin" },
		{ "2026-12-07T09:00", "", "time zone must be an IANA name like Europe/Berlin" },
		{ "2026-12-07T09:00", "Europe/Berlin ", "time zone must be an IANA name like Europe/Berlin" },
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		snprintf(err, sizeof(err), "untouched");
		assert_int_equal(ical_start_check(bad[i].start, bad[i].tz, err, sizeof(err)), -1);
		assert_string_equal(err, bad[i].message);
	}
}

/* ---- occurrences ---- */

static void first_monday_monthly_across_dst(void **state)
{
	(void)state;
	/* 09:00 in Berlin is 08:00Z in winter and 07:00Z in summer */
	static const char *const want[] = {
		"2026-01-05T08:00:00Z", "2026-02-02T08:00:00Z", "2026-03-02T08:00:00Z",
		"2026-04-06T07:00:00Z", "2026-05-04T07:00:00Z", "2026-06-01T07:00:00Z",
		"2026-07-06T07:00:00Z", "2026-08-03T07:00:00Z", "2026-09-07T07:00:00Z",
		"2026-10-05T07:00:00Z", "2026-11-02T08:00:00Z", "2026-12-07T08:00:00Z",
	};
	expect_occurrences("FREQ=MONTHLY;BYDAY=1MO", "2026-01-05T09:00", "Europe/Berlin",
			   "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", want, N_ELEMS(want));
	/* the brief's example: a start in December */
	expect_next("FREQ=MONTHLY;BYDAY=1MO", "2026-12-07T09:00", "Europe/Berlin",
		    "2026-12-07T08:00:00Z", "2027-01-04T08:00:00Z");
	expect_next("FREQ=MONTHLY;BYDAY=1MO", "2026-12-07T09:00", "Europe/Berlin",
		    "2027-03-01T08:00:00Z", "2027-04-05T07:00:00Z");
}

static void weekly_around_the_last_sundays(void **state)
{
	(void)state;
	/* DST starts 2026-03-29 and ends 2026-10-25 in the EU */
	static const char *const spring[] = { "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z" };
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO", "2026-03-23T09:00", "Europe/Berlin",
			   "2026-03-20T00:00:00Z", "2026-04-01T00:00:00Z", spring, N_ELEMS(spring));
	static const char *const autumn[] = { "2026-10-19T07:00:00Z", "2026-10-26T08:00:00Z" };
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO", "2026-03-23T09:00", "Europe/Berlin",
			   "2026-10-18T00:00:00Z", "2026-10-30T00:00:00Z", autumn, N_ELEMS(autumn));
}

static void weekly_several_days_new_york(void **state)
{
	(void)state;
	/* US DST starts 2026-03-08: 09:00 EST = 14:00Z, 09:00 EDT = 13:00Z */
	static const char *const want[] = {
		"2026-03-02T14:00:00Z", "2026-03-05T14:00:00Z", "2026-03-09T13:00:00Z",
		"2026-03-12T13:00:00Z", "2026-03-16T13:00:00Z",
	};
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO,TH", "2026-03-02T09:00", "America/New_York",
			   "2026-03-01T00:00:00Z", "2026-03-19T00:00:00Z", want, N_ELEMS(want));
	/* every other week, from a start that is not itself a match */
	static const char *const other[] = {
		"2026-03-05T14:00:00Z", "2026-03-16T13:00:00Z", "2026-03-19T13:00:00Z",
	};
	expect_occurrences("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "2026-03-03T09:00",
			   "America/New_York", "2026-03-01T00:00:00Z", "2026-03-23T00:00:00Z", other,
			   N_ELEMS(other));
}

static void sydney_southern_summer(void **state)
{
	(void)state;
	/* AEDT (+11) ends 2026-04-05, starts again 2026-10-04; AEST is +10 */
	static const char *const want[] = {
		"2026-03-14T22:00:00Z", "2026-04-14T23:00:00Z", "2026-09-14T23:00:00Z",
		"2026-10-14T22:00:00Z",
	};
	expect_occurrences("FREQ=MONTHLY;BYMONTHDAY=15;BYMONTH=3,4,9,10", "2026-03-15T09:00",
			   "Australia/Sydney", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", want,
			   N_ELEMS(want));
}

static void utc_yearly_and_leap_day(void **state)
{
	(void)state;
	static const char *const want[] = {
		"2026-03-15T10:00:00Z", "2027-03-15T10:00:00Z", "2028-03-15T10:00:00Z",
	};
	expect_occurrences("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15", "2026-03-15T10:00", "UTC",
			   "2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z", want, N_ELEMS(want));
	/* a yearly rule from 29 February only falls on leap years */
	static const char *const leap[] = { "2028-02-29T06:30:00Z", "2032-02-29T06:30:00Z" };
	expect_occurrences("FREQ=YEARLY", "2028-02-29T06:30", "UTC", "2028-01-01T00:00:00Z",
			   "2035-01-01T00:00:00Z", leap, N_ELEMS(leap));
	/* monthly from the 31st skips the short months */
	static const char *const longm[] = { "2026-01-31T12:00:00Z", "2026-03-31T12:00:00Z" };
	expect_occurrences("FREQ=MONTHLY", "2026-01-31T12:00", "UTC", "2026-01-01T00:00:00Z",
			   "2026-04-15T00:00:00Z", longm, N_ELEMS(longm));
	static const char *const last[] = {
		"2026-01-30T12:00:00Z", "2026-02-27T12:00:00Z", "2026-03-31T12:00:00Z",
	};
	expect_occurrences("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2026-01-05T12:00",
			   "UTC", "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z", last,
			   N_ELEMS(last));
}

static void strictly_after(void **state)
{
	(void)state;
	const char *rule = "FREQ=MONTHLY;BYDAY=1MO", *start = "2026-01-05T09:00";
	expect_next(rule, start, "Europe/Berlin", "2026-03-02T07:59:59Z", "2026-03-02T08:00:00Z");
	expect_next(rule, start, "Europe/Berlin", "2026-03-02T08:00:00Z", "2026-04-06T07:00:00Z");
	/* before the start: the start (when it matches) is the first */
	expect_next(rule, start, "Europe/Berlin", "2000-01-01T00:00:00Z", "2026-01-05T08:00:00Z");
	/* a start that does not match the rule is not an occurrence */
	expect_next(rule, "2026-01-06T09:00", "Europe/Berlin", "2000-01-01T00:00:00Z",
		    "2026-02-02T08:00:00Z");
	/* the half-open preview interval includes from, excludes to */
	static const char *const one[] = { "2026-03-02T08:00:00Z" };
	expect_occurrences(rule, start, "Europe/Berlin", "2026-03-02T08:00:00Z",
			   "2026-04-06T07:00:00Z", one, N_ELEMS(one));
	/* "the next 5 dates": max stops the list */
	int64_t out[5];
	assert_int_equal(ical_occurrences(rule, start, "Europe/Berlin", utc("2026-01-01T00:00:00Z"),
					  INT64_MAX, out, 5), 5);
	char s[TIME_RFC3339_LEN];
	time_format(out[4], s);
	assert_string_equal(s, "2026-05-04T07:00:00Z");
	assert_int_equal(ical_occurrences(rule, start, "UTC", 100, 100, out, 5), 0);
	assert_int_equal(ical_occurrences(rule, start, "UTC", 100, 200, NULL, 0), 0);
}

static void count_and_until_end_the_series(void **state)
{
	(void)state;
	const char *start = "2026-01-05T09:00";
	static const char *const three[] = {
		"2026-01-05T08:00:00Z", "2026-01-06T08:00:00Z", "2026-01-07T08:00:00Z",
	};
	expect_occurrences("FREQ=DAILY;COUNT=3", start, "Europe/Berlin", "2026-01-01T00:00:00Z",
			   "2027-01-01T00:00:00Z", three, N_ELEMS(three));
	expect_next("FREQ=DAILY;COUNT=3", start, "Europe/Berlin", "2026-01-06T08:00:00Z",
		    "2026-01-07T08:00:00Z");
	expect_next("FREQ=DAILY;COUNT=3", start, "Europe/Berlin", "2026-01-07T08:00:00Z", NULL);
	expect_next("FREQ=DAILY;COUNT=3", start, "Europe/Berlin", "2030-01-01T00:00:00Z", NULL);

	/* UNTIL in UTC is inclusive */
	static const char *const mondays[] = {
		"2026-01-05T08:00:00Z", "2026-01-12T08:00:00Z", "2026-01-19T08:00:00Z",
	};
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260119T080000Z", start, "Europe/Berlin",
			   "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", mondays, N_ELEMS(mondays));
	expect_next("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260119T080000Z", start, "Europe/Berlin",
		    "2026-01-19T08:00:00Z", NULL);
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260119T075959Z", start, "Europe/Berlin",
			   "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", mondays, 2);
	/* UNTIL as a date covers that whole local day; a local time is local */
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260119", start, "Europe/Berlin",
			   "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", mondays, N_ELEMS(mondays));
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260119T090000", start, "Europe/Berlin",
			   "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", mondays, N_ELEMS(mondays));
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260119T085959", start, "Europe/Berlin",
			   "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", mondays, 2);
	/* an UNTIL before the start: nothing */
	expect_next("FREQ=DAILY;UNTIL=20250101", start, "Europe/Berlin", "2000-01-01T00:00:00Z",
		    NULL);
	/* COUNT counts from the start even when asked much later */
	expect_next("FREQ=DAILY;COUNT=10000", start, "UTC", "2053-05-22T00:00:00Z",
		    "2053-05-22T09:00:00Z");
	expect_next("FREQ=DAILY;COUNT=10000", start, "UTC", "2053-05-22T09:00:00Z", NULL);
}

static void far_from_the_start(void **state)
{
	(void)state;
	/* skips ahead rather than walking decades of days */
	int64_t t0 = time_mono_ns();
	expect_next("FREQ=DAILY", "1970-01-01T09:00", "Europe/Berlin", "2400-06-01T12:00:00Z",
		    "2400-06-02T07:00:00Z");
	expect_next("FREQ=WEEKLY;INTERVAL=3;BYDAY=TU", "2026-01-06T09:00", "UTC",
		    "2100-01-01T00:00:00Z", "2100-01-05T09:00:00Z");
	assert_true(time_mono_ns() - t0 < INT64_C(2000000000));
	/* past year 2500 there is nothing to find */
	expect_next("FREQ=DAILY", "2026-01-05T09:00", "UTC", "2600-01-01T00:00:00Z", NULL);
	int64_t next = 0;
	assert_int_equal(ical_next("FREQ=DAILY", "2026-01-05T09:00", "UTC", INT64_MAX, &next), 0);
	assert_int_equal(ical_next("FREQ=DAILY", "2026-01-05T09:00", "UTC", INT64_MIN, &next), 1);
	assert_int_equal(next, utc("2026-01-05T09:00:00Z"));
	int64_t out[3];
	assert_int_equal(ical_occurrences("FREQ=DAILY", "2026-01-05T09:00", "UTC", INT64_MIN,
					  INT64_MIN + 5, out, 3), 0);
}

static void dst_gap_and_repeated_hour(void **state)
{
	(void)state;
	/*
	 * 02:30 does not exist on 2026-03-29 in Berlin: read with the winter
	 * offset it is 01:30Z (03:30 summer time); the next day is 02:30 again.
	 */
	static const char *const spring[] = {
		"2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z",
		"2026-03-31T00:30:00Z",
	};
	expect_occurrences("FREQ=DAILY", "2026-03-28T02:30", "Europe/Berlin",
			   "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", spring, N_ELEMS(spring));
	/* 02:30 happens twice on 2026-10-25: the first one (summer time) */
	static const char *const autumn[] = {
		"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z",
	};
	expect_occurrences("FREQ=DAILY", "2026-10-24T02:30", "Europe/Berlin",
			   "2026-10-01T00:00:00Z", "2026-10-27T00:00:00Z", autumn, N_ELEMS(autumn));
	/* and a start inside the gap */
	expect_next("FREQ=DAILY", "2026-03-29T02:30", "Europe/Berlin", "2026-01-01T00:00:00Z",
		    "2026-03-29T01:30:00Z");
}

static void no_occurrences_end_quickly(void **state)
{
	(void)state;
	int64_t t0 = time_mono_ns();
	static const struct {
		const char *rule, *start;
	} never[] = {
		/* the check refuses these two; stored anyway, they still end */
		{ "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31", "2026-01-05T09:00" },
		{ "FREQ=DAILY;COUNT=10000;BYMONTH=2;BYMONTHDAY=30", "1970-01-01T09:00" },
		/* these pass the check and never occur from their start */
		{ "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "2026-01-05T09:00" },
		{ "FREQ=YEARLY;BYMONTH=2;BYDAY=MO;BYSETPOS=6", "2026-01-05T09:00" },
		{ "FREQ=MONTHLY;INTERVAL=12;BYMONTH=6", "2026-01-05T09:00" },
		{ "FREQ=DAILY;INTERVAL=7;BYDAY=TU", "2026-01-05T09:00" },
		{ "FREQ=YEARLY;BYMONTH=2", "2026-01-30T09:00" },
		{ "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "2025-01-05T09:00" },
		{ "FREQ=WEEKLY;INTERVAL=52;BYMONTH=7", "2026-01-05T09:00" },
	};
	for (size_t i = 0; i < N_ELEMS(never); i++) {
		int64_t next = -7;
		if (ical_next(never[i].rule, never[i].start, "Europe/Berlin", 0, &next) != 0)
			fail_msg("%s from %s: has an occurrence", never[i].rule, never[i].start);
		assert_int_equal(next, -7);
		int64_t out[4];
		assert_int_equal(ical_occurrences(never[i].rule, never[i].start, "Europe/Berlin", 0,
						  INT64_MAX, out, 4), 0);
	}
	/* all of them together well under a second, even in a sanitizer build */
	assert_true(time_mono_ns() - t0 < INT64_C(1000000000));
	assert_int_equal(ical_rrule_check(never[0].rule, NULL, 0), -1);
	assert_int_equal(ical_rrule_check(never[1].rule, NULL, 0), -1);
	for (size_t i = 2; i < N_ELEMS(never); i++)
		assert_int_equal(ical_rrule_check(never[i].rule, NULL, 0), 0);
	/* rare but real: the 5th Monday of February (leap years starting on a Monday) */
	expect_next("FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2", "2026-01-05T09:00", "UTC",
		    "2026-01-01T00:00:00Z", "2044-02-29T09:00:00Z");
	expect_next("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=5;BYMONTH=2", "2026-01-05T09:00", "UTC",
		    "2044-03-01T00:00:00Z", "2072-02-29T09:00:00Z");
}

/* RFC 5545 cases libical 3.0 gets wrong, done right here. */
static void where_libical_is_wrong(void **state)
{
	(void)state;
	/* BYSETPOS with WEEKLY: the last of Monday and Friday is Friday */
	static const char *const fridays[] = {
		"2026-01-09T09:00:00Z", "2026-01-16T09:00:00Z", "2026-01-23T09:00:00Z",
	};
	expect_occurrences("FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=-1", "2026-01-05T09:00", "UTC",
			   "2026-01-01T00:00:00Z", "2026-01-24T00:00:00Z", fridays, N_ELEMS(fridays));
	/* a negative BYMONTHDAY with DAILY: the last day of each month */
	static const char *const last[] = {
		"2026-01-31T09:00:00Z", "2026-02-28T09:00:00Z", "2026-03-31T09:00:00Z",
	};
	expect_occurrences("FREQ=DAILY;BYMONTHDAY=-1", "2026-01-05T09:00", "UTC",
			   "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z", last, N_ELEMS(last));
	/* a zoned start in the spring gap does not drag the hour along */
	static const char *const gap[] = {
		"2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z",
	};
	expect_occurrences("FREQ=DAILY", "2026-03-29T02:30", "Europe/Berlin",
			   "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", gap, N_ELEMS(gap));
}

/*
 * Zones come from ICU (core/calendar.h), as the SLA calendars' do: the
 * transitions libical 3.0's zones got wrong (historic ones, and rules
 * past 2037) come out right, and the names taken are calendar_zone_valid's.
 */
static void zones_as_the_calendars_know_them(void **state)
{
	(void)state;
	/* BST ended on 1977-10-23: 09:00 that day is GMT (libical: 08:00Z) */
	expect_next("FREQ=DAILY", "1977-10-01T09:00", "Europe/London", "1977-10-22T12:00:00Z",
		    "1977-10-23T09:00:00Z");
	/* Soviet summer time ended on 1982-10-01: Moscow is +03 again (libical: 05:00Z) */
	expect_next("FREQ=DAILY", "1982-09-01T09:00", "Europe/Moscow", "1982-09-30T12:00:00Z",
		    "1982-10-01T06:00:00Z");
	/* Chatham's DST begins on the last Sunday of September, 2040-09-30: +13:45
	 * (libical stops applying the rule and says +12:45, 20:15Z) */
	expect_next("FREQ=MONTHLY;BYMONTHDAY=-1", "2040-01-31T09:00", "Pacific/Chatham",
		    "2040-09-01T00:00:00Z", "2040-09-29T19:15:00Z");
	/* a link expands as its zone */
	int64_t a[16], b[16];
	assert_int_equal(ical_occurrences("FREQ=WEEKLY;BYDAY=MO", "2026-01-05T09:00", "US/Eastern",
					  0, INT64_MAX, a, N_ELEMS(a)), N_ELEMS(a));
	assert_int_equal(ical_occurrences("FREQ=WEEKLY;BYDAY=MO", "2026-01-05T09:00",
					  "America/New_York", 0, INT64_MAX, b, N_ELEMS(b)),
			 N_ELEMS(b));
	assert_memory_equal(a, b, sizeof(a));
	/* a start is checked against the names the validation of FT_TIMEZONE takes */
	static const char *const names[] = {
		"Europe/Berlin", "UTC", "US/Eastern", "Asia/Calcutta", "Etc/GMT+5", "IST", "PST",
		"GMT+5", "Etc/Unknown", "Factory", "SystemV/AST4", "posix/Europe/Berlin",
		"localtime", "Mars/Olympus_Mons",
	};
	for (size_t i = 0; i < N_ELEMS(names); i++) {
		char err[ICAL_ERR_LEN];
		int64_t next;
		bool valid = calendar_zone_valid(names[i]);
		if ((ical_start_check("2026-01-05T09:00", names[i], err, sizeof(err)) == 0) != valid)
			fail_msg("%s: ical_start_check and calendar_zone_valid disagree", names[i]);
		if ((ical_next("FREQ=DAILY", "2026-01-05T09:00", names[i], 0, &next) == 1) != valid)
			fail_msg("%s: ical_next and calendar_zone_valid disagree", names[i]);
	}
}

/*
 * Where libical 3.0 is right, the expansion agrees with its
 * icalrecur_iterator (run on floating times, so UTC here).
 */
static void agrees_with_libical(void **state)
{
	(void)state;
	static const char *const rules[] = {
		"FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=DAILY;BYDAY=MO,WE,FR",
		"FREQ=DAILY;BYMONTH=2,3;BYMONTHDAY=1,15,28", "FREQ=DAILY;INTERVAL=2;COUNT=7",
		"FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
		"FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,WE;WKST=SU", "FREQ=WEEKLY;BYDAY=SA,SU;BYMONTH=12",
		"FREQ=MONTHLY", "FREQ=MONTHLY;INTERVAL=2", "FREQ=MONTHLY;BYDAY=1MO",
		"FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=2TU,4TU", "FREQ=MONTHLY;BYMONTHDAY=-1",
		"FREQ=MONTHLY;BYMONTHDAY=1,15", "FREQ=MONTHLY;BYMONTHDAY=31",
		"FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1", "FREQ=MONTHLY;INTERVAL=3;BYDAY=1MO",
		"FREQ=MONTHLY;BYMONTH=3,9;BYDAY=MO", "FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2",
		"FREQ=YEARLY", "FREQ=YEARLY;INTERVAL=2", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15",
		"FREQ=YEARLY;BYMONTH=1,7", "FREQ=YEARLY;BYDAY=20MO", "FREQ=YEARLY;BYDAY=-1SU",
		"FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO", "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
		"FREQ=YEARLY;BYYEARDAY=1,100,-1", "FREQ=YEARLY;BYYEARDAY=60;BYDAY=MO,TU,WE,TH,FR",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
		"FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU", "FREQ=YEARLY;BYMONTH=6;BYDAY=MO;BYSETPOS=-1",
		"FREQ=MONTHLY;UNTIL=20280615", "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270105T090000",
	};
	static const char *const starts[] = { "2026-01-05T09:00", "2027-02-28T07:15",
					      "2028-02-29T23:59", "2026-07-31T00:00" };
	int compared = 0;
	for (size_t i = 0; i < N_ELEMS(rules); i++) {
		for (size_t j = 0; j < N_ELEMS(starts); j++) {
			int64_t mine[40];
			int n = ical_occurrences(rules[i], starts[j], "UTC", 0, INT64_MAX, mine,
						 N_ELEMS(mine));
			assert_true(n >= 0);
			compared += n;

			struct icaltimetype dt = icaltime_from_string("20260105T090000");
			assert_int_equal(sscanf(starts[j], "%d-%d-%dT%d:%d", &dt.year, &dt.month,
						&dt.day, &dt.hour, &dt.minute), 5);
			struct icalrecurrencetype rt = icalrecurrencetype_from_string(rules[i]);
			icalrecur_iterator *it = icalrecur_iterator_new(rt, dt);
			assert_non_null(it);
			int k = 0;
			bool ended = false;
			for (; k < (int)N_ELEMS(mine); k++) {
				struct icaltimetype o = icalrecur_iterator_next(it);
				ended = icaltime_is_null_time(o);
				if (ended || o.year >= dt.year + ICAL_HORIZON_YEARS - 1)
					break;	/* near the horizon, where ours stops looking */
				char want[TIME_RFC3339_LEN], got[TIME_RFC3339_LEN] = "(none)";
				snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ",
					 o.year, o.month, o.day, o.hour, o.minute, o.second);
				if (k < n)
					time_format(mine[k], got);
				if (strcmp(want, got) != 0)
					fail_msg("%s from %s: occurrence %d is %s, libical says %s",
						 rules[i], starts[j], k, got, want);
			}
			icalrecur_iterator_free(it);
			if (ended || k == (int)N_ELEMS(mine))
				assert_int_equal(n, k);
			else
				assert_true(n >= k);
		}
	}
	assert_true(compared > 4000);	/* (a table that compares nothing proves nothing) */
}

static void invalid_input_is_an_error(void **state)
{
	(void)state;
	int64_t next = -7, out[2];
	assert_int_equal(ical_next("FREQ=MINUTELY", "2026-01-05T09:00", "UTC", 0, &next), -1);
	assert_int_equal(ical_next("garbage", "2026-01-05T09:00", "UTC", 0, &next), -1);
	assert_int_equal(ical_next("FREQ=DAILY", "2026-02-30T09:00", "UTC", 0, &next), -1);
	assert_int_equal(ical_next("FREQ=DAILY", "2026-01-05", "UTC", 0, &next), -1);
	assert_int_equal(ical_next("FREQ=DAILY", "2026-01-05T09:00", "Mars/Olympus_Mons", 0, &next),
			 -1);
	assert_int_equal(ical_next("FREQ=DAILY", "2026-01-05T09:00", "../../etc/passwd", 0, &next),
			 -1);
	assert_int_equal(ical_next("FREQ=DAILY", "2026-01-05T09:00", NULL, 0, &next), -1);
	assert_int_equal(ical_next(NULL, "2026-01-05T09:00", "UTC", 0, &next), -1);
	assert_int_equal(ical_next("FREQ=DAILY", NULL, "UTC", 0, &next), -1);
	assert_int_equal(next, -7);
	assert_int_equal(ical_occurrences("FREQ=HOURLY", "2026-01-05T09:00", "UTC", 0, INT64_MAX,
					  out, 2), -1);
}

/*
 * Several threads at once, each opening the same zones (ICU loads their
 * data on first use), get what one thread alone gets afterwards.
 */
static const char *const thread_zones[] = {
	"Asia/Kolkata", "America/Sao_Paulo", "Pacific/Auckland", "Europe/London",
	"Africa/Cairo", "America/Los_Angeles", "Asia/Tokyo", "Europe/Paris",
};

struct worker {
	size_t first;		/* which zone this thread starts with */
	int64_t got[N_ELEMS(thread_zones)][8];
	int bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < N_ELEMS(thread_zones); i++) {
			size_t z = (w->first + i) % N_ELEMS(thread_zones);
			char err[ICAL_ERR_LEN];
			if (ical_occurrences("FREQ=MONTHLY;BYDAY=1MO", "2026-01-05T09:00",
					     thread_zones[z], 0, INT64_MAX, w->got[z], 8) != 8 ||
			    ical_rrule_check("FREQ=MINUTELY", err, sizeof(err)) != -1 ||
			    ical_start_check("2026-01-05T09:00", thread_zones[z], err,
					     sizeof(err)) != 0)
				w->bad++;
		}
	}
	return NULL;
}

static void concurrent_callers(void **state)
{
	(void)state;
	struct worker w[8];
	pthread_t th[N_ELEMS(w)];
	for (size_t i = 0; i < N_ELEMS(w); i++) {
		w[i].first = i;
		w[i].bad = 0;
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (size_t i = 0; i < N_ELEMS(w); i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (size_t z = 0; z < N_ELEMS(thread_zones); z++) {
		int64_t want[8];
		assert_int_equal(ical_occurrences("FREQ=MONTHLY;BYDAY=1MO", "2026-01-05T09:00",
						  thread_zones[z], 0, INT64_MAX, want, 8), 8);
		for (size_t i = 0; i < N_ELEMS(w); i++) {
			assert_int_equal(w[i].bad, 0);
			assert_memory_equal(w[i].got[z], want, sizeof(want));
		}
	}
	/* and the zones really differ (Kolkata +05:30, Auckland +13) */
	assert_int_not_equal(w[0].got[0][0], w[0].got[2][0]);
}

/* ---- the feed ---- */

/* Every line ends in CRLF, has at most 75 octets and is valid UTF-8. */
static void check_lines(const char *s, size_t len)
{
	assert_true(len >= 2);
	assert_memory_equal(s + len - 2, "\r\n", 2);
	const char *p = s, *end = s + len;
	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		assert_non_null(cr);
		assert_true(cr + 1 < end && cr[1] == '\n');
		assert_null(memchr(p, '\n', (size_t)(cr - p)));		/* no bare LF */
		if ((size_t)(cr - p) > 75)
			fail_msg("line of %zu octets: %.*s", (size_t)(cr - p), (int)(cr - p), p);
		char line[80];
		memcpy(line, p, (size_t)(cr - p));
		line[cr - p] = '\0';
		assert_true(utf8_valid(line));
		p = cr + 2;
	}
}

/* The content lines: the feed unfolded. */
static char *unfold(const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	for (const char *p = s; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
			p += 2;
			continue;
		}
		buf_addch(&b, *p);
	}
	return buf_take(&b);
}

static icalproperty *prop(icalcomponent *c, icalproperty_kind k)
{
	icalproperty *p = icalcomponent_get_first_property(c, k);
	assert_non_null(p);
	return p;
}

static const char *x_prop(icalcomponent *c, const char *name)
{
	for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_X_PROPERTY); p;
	     p = icalcomponent_get_next_property(c, ICAL_X_PROPERTY))
		if (strcmp(icalproperty_get_x_name(p), name) == 0)
			return icalproperty_get_x(p);
	return NULL;
}

static int64_t as_utc(struct icaltimetype t)
{
	assert_true(icaltime_is_utc(t));
	return (int64_t)icaltime_as_timet(t);
}

static void feed_round_trip(void **state)
{
	(void)state;
	/* commas, semicolons, backslashes, line breaks, and UTF-8 past 75 octets */
	const char *summary = "Wartung, Heizung; Kessel \\ Brenner\nzweite Zeile "
			      "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x94\xa7 "
			      "Gr\xc3\xbc\xc3\x9f" "e aus M\xc3\xbc" "nchen, "
			      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86"
			      "\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88";
	const char *description = "Line one\r\nLine two\rLine three\nend; done, ok";
	struct ical_event ev[] = {
		{ .kind = "appointment", .id = 123, .starts_at = utc("2026-12-07T08:00:00Z"),
		  .ends_at = utc("2026-12-07T10:30:00Z"), .updated_at = utc("2026-11-20T12:00:00Z"),
		  .version = 3, .status = ICAL_FEED_CONFIRMED, .summary = summary,
		  .location = "Hauptstra\xc3\x9f" "e 1, 80331 M\xc3\xbcnchen",
		  .description = description, .url = "https://servio.example/app/tickets/123?x=1" },
		{ .kind = "ticket", .id = 9, .starts_at = utc("2026-12-08T13:00:00Z"),
		  .ends_at = utc("2026-12-08T13:00:00Z"), .updated_at = utc("2026-11-21T09:15:00Z"),
		  .version = 0, .status = ICAL_FEED_TENTATIVE, .summary = "Short" },
		{ .id = 10, .starts_at = utc("2026-12-09T13:00:00Z"),
		  .ends_at = utc("2026-12-09T14:00:00Z"), .updated_at = utc("2026-11-22T09:15:00Z"),
		  .version = 7, .status = ICAL_FEED_CANCELLED },
	};
	struct buf out;
	buf_init(&out, 0);
	int64_t stamp = utc("2026-11-22T14:05:00Z");
	assert_int_equal(ical_feed_render(&out, "Anna K\xc3\xb6nig, Technik", ev, N_ELEMS(ev), stamp), 0);
	check_lines(buf_str(&out), out.len);

	char *lines = unfold(buf_str(&out));
	assert_non_null(strstr(lines, "\r\nSUMMARY:Wartung\\, Heizung\\; Kessel \\\\ Brenner\\nzweite"));
	assert_non_null(strstr(lines, "\r\nDESCRIPTION:Line one\\nLine two\\nLine three\\nend\\; done\\, ok\r\n"));
	assert_non_null(strstr(lines, "\r\nPRODID:-//Servio//Servio//EN\r\n"));
	assert_non_null(strstr(lines, "\r\nCALSCALE:GREGORIAN\r\n"));
	assert_non_null(strstr(lines, "\r\nDTSTART:20261207T080000Z\r\n"));
	assert_int_equal(strncmp(lines, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30), 0);
	xfree(lines);

	icalcomponent *cal = icalparser_parse_string(buf_str(&out));
	assert_non_null(cal);
	assert_int_equal(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
	assert_int_equal(icalcomponent_count_errors(cal), 0);
	assert_string_equal(icalproperty_get_version(prop(cal, ICAL_VERSION_PROPERTY)), "2.0");
	assert_string_equal(icalproperty_get_prodid(prop(cal, ICAL_PRODID_PROPERTY)),
			    "-//Servio//Servio//EN");
	assert_string_equal(icalproperty_get_calscale(prop(cal, ICAL_CALSCALE_PROPERTY)),
			    "GREGORIAN");
	assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_PUBLISH);
	const char *calname = x_prop(cal, "X-WR-CALNAME");
	assert_non_null(calname);
	assert_non_null(strstr(calname, "Anna K\xc3\xb6nig"));
	assert_int_equal(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 3);

	icalcomponent *e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_string_equal(icalcomponent_get_uid(e), "appointment-123@servio");
	assert_string_equal(icalcomponent_get_summary(e), summary);
	assert_true(strlen(summary) > 75);
	assert_string_equal(icalcomponent_get_location(e),
			    "Hauptstra\xc3\x9f" "e 1, 80331 M\xc3\xbcnchen");
	assert_string_equal(icalcomponent_get_description(e),
			    "Line one\nLine two\nLine three\nend; done, ok");
	assert_int_equal(as_utc(icalcomponent_get_dtstart(e)), ev[0].starts_at);
	assert_int_equal(as_utc(icalcomponent_get_dtend(e)), ev[0].ends_at);
	assert_int_equal(as_utc(icalcomponent_get_dtstamp(e)), stamp);
	assert_int_equal(as_utc(icalproperty_get_lastmodified(prop(e, ICAL_LASTMODIFIED_PROPERTY))),
			 ev[0].updated_at);
	assert_int_equal(icalcomponent_get_sequence(e), 3);
	assert_int_equal(icalcomponent_get_status(e), ICAL_STATUS_CONFIRMED);
	assert_string_equal(icalproperty_get_url(prop(e, ICAL_URL_PROPERTY)), ev[0].url);

	e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT);
	assert_string_equal(icalcomponent_get_uid(e), "ticket-9@servio");
	assert_int_equal(icalcomponent_get_status(e), ICAL_STATUS_TENTATIVE);
	assert_int_equal(icalcomponent_get_sequence(e), 0);
	/* no DTEND when the end is not after the start */
	assert_null(icalcomponent_get_first_property(e, ICAL_DTEND_PROPERTY));
	assert_null(icalcomponent_get_first_property(e, ICAL_LOCATION_PROPERTY));
	assert_null(icalcomponent_get_first_property(e, ICAL_URL_PROPERTY));

	e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT);
	assert_string_equal(icalcomponent_get_uid(e), "event-10@servio");
	assert_int_equal(icalcomponent_get_status(e), ICAL_STATUS_CANCELLED);
	assert_int_equal(icalcomponent_get_sequence(e), 7);
	assert_null(icalcomponent_get_first_property(e, ICAL_SUMMARY_PROPERTY));
	icalcomponent_free(cal);

	/* the same input gives the same bytes (subscribers and ETags like that) */
	struct buf again;
	buf_init(&again, 0);
	assert_int_equal(ical_feed_render(&again, "Anna K\xc3\xb6nig, Technik", ev, N_ELEMS(ev), stamp), 0);
	assert_int_equal(again.len, out.len);
	assert_memory_equal(buf_str(&again), buf_str(&out), out.len);
	buf_release(&again);
	buf_release(&out);
}

static void feed_empty_is_valid(void **state)
{
	(void)state;
	struct buf out;
	buf_init(&out, 0);
	assert_int_equal(ical_feed_render(&out, "Empty", NULL, 0, 0), 0);
	check_lines(buf_str(&out), out.len);
	assert_int_equal(strncmp(buf_str(&out), "BEGIN:VCALENDAR\r\n", 17), 0);
	assert_non_null(strstr(buf_str(&out), "\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Empty\r\n"));
	assert_string_equal(buf_str(&out) + out.len - 15, "END:VCALENDAR\r\n");
	icalcomponent *cal = icalparser_parse_string(buf_str(&out));
	assert_non_null(cal);
	assert_int_equal(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
	assert_int_equal(icalcomponent_count_errors(cal), 0);
	assert_int_equal(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 0);
	icalcomponent_free(cal);
	/* no name: no X-WR-CALNAME */
	buf_reset(&out);
	assert_int_equal(ical_feed_render(&out, NULL, NULL, 0, 0), 0);
	assert_null(strstr(buf_str(&out), "X-WR-CALNAME"));
	buf_release(&out);
}

static void feed_folding(void **state)
{
	(void)state;
	/*
	 * Lines of 1-, 2-, 3- and 4-octet characters and of escapes, at every
	 * alignment against the fold: no physical line is longer than 75
	 * octets, none splits a character (each is valid UTF-8 by itself),
	 * none splits an escape, and unfolding gives the text back.
	 */
	static const char *const units[] = { "a", "\xc3\xa4", "\xe2\x82\xac", "\xf0\x9f\x94\xa7",
					     ",", "\\", "\n" };
	static const char *const escaped[] = { "a", "\xc3\xa4", "\xe2\x82\xac", "\xf0\x9f\x94\xa7",
					       "\\,", "\\\\", "\\n" };
	for (size_t u = 0; u < N_ELEMS(units); u++) {
		for (size_t lead = 0; lead < 4; lead++) {
			struct buf text, want;
			buf_init(&text, 0);
			buf_init(&want, 0);
			buf_addstr(&want, "SUMMARY:");
			for (size_t i = 0; i < lead; i++) {
				buf_addch(&text, 'x');
				buf_addch(&want, 'x');
			}
			for (int i = 0; i < 120; i++) {
				buf_addstr(&text, units[u]);
				buf_addstr(&want, escaped[u]);
			}
			struct ical_event ev = { .id = 1, .starts_at = 1000, .ends_at = 2000,
						 .updated_at = 500, .summary = buf_str(&text) };
			struct buf out;
			buf_init(&out, 0);
			assert_int_equal(ical_feed_render(&out, "f", &ev, 1, 0), 0);
			check_lines(buf_str(&out), out.len);
			/* a continuation line never starts inside an escape pair */
			const char *p = buf_str(&out);
			while ((p = strstr(p, "\r\n ")) != NULL) {
				size_t slashes = 0;
				while (p - 1 - slashes >= buf_str(&out) && p[-1 - (long)slashes] == '\\')
					slashes++;
				assert_int_equal(slashes % 2, 0);
				p += 3;
			}
			char *lines = unfold(buf_str(&out));
			buf_addstr(&want, "\r\n");
			assert_non_null(strstr(lines, buf_str(&want)));
			xfree(lines);
			icalcomponent *cal = icalparser_parse_string(buf_str(&out));
			assert_non_null(cal);
			icalcomponent *e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
			assert_string_equal(icalcomponent_get_summary(e), buf_str(&text));
			icalcomponent_free(cal);
			buf_release(&out);
			buf_release(&text);
			buf_release(&want);
		}
	}
	/* exactly 75 octets stay on one line; 76 fold */
	struct buf out;
	buf_init(&out, 0);
	char name[80];
	memset(name, 'n', sizeof(name));
	name[75 - strlen("X-WR-CALNAME:")] = '\0';
	assert_int_equal(ical_feed_render(&out, name, NULL, 0, 0), 0);
	assert_non_null(strstr(buf_str(&out), "\r\nX-WR-CALNAME:nnn"));
	assert_null(strstr(buf_str(&out), "\r\n n"));
	buf_reset(&out);
	name[75 - strlen("X-WR-CALNAME:")] = 'm';
	name[76 - strlen("X-WR-CALNAME:")] = '\0';
	assert_int_equal(ical_feed_render(&out, name, NULL, 0, 0), 0);
	assert_non_null(strstr(buf_str(&out), "nnn\r\n m\r\n"));
	buf_release(&out);
}

static void feed_repairs_text(void **state)
{
	(void)state;
	/* control characters go, tabs stay, invalid UTF-8 becomes U+FFFD */
	struct ical_event ev = { .id = 1, .starts_at = 1000, .ends_at = 2000, .updated_at = 500,
				 .summary = "a\x01" "b\tc\x7f" "d \xff \xc3( \xed\xa0\x80 \xc3" };
	struct buf out;
	buf_init(&out, 0);
	assert_int_equal(ical_feed_render(&out, "f", &ev, 1, 0), 0);
	check_lines(buf_str(&out), out.len);
	assert_non_null(strstr(buf_str(&out),
			       "\r\nSUMMARY:ab\tcd \xef\xbf\xbd \xef\xbf\xbd( "
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\r\n"));
	icalcomponent *cal = icalparser_parse_string(buf_str(&out));
	assert_non_null(cal);
	assert_int_equal(icalcomponent_count_errors(cal), 0);
	icalcomponent_free(cal);
	buf_release(&out);
}

static void feed_refuses_bad_events(void **state)
{
	(void)state;
	struct ical_event good = { .kind = "appointment", .id = 1, .starts_at = 1000,
				   .ends_at = 2000, .updated_at = 500, .summary = "s" };
	struct ical_event bad[] = { good, good, good, good, good, good, good, good };
	bad[0].kind = "Appointment";
	bad[1].kind = "a b";
	bad[2].url = "https://x.example/a b";
	bad[3].url = "https://x.example/\r\nX-EVIL:1";
	bad[4].starts_at = -1;
	bad[5].updated_at = INT64_C(253402300800);	/* year 10000 */
	bad[6].version = -1;
	bad[7].status = ICAL_FEED__MAX;
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		struct buf out;
		buf_init(&out, 0);
		if (ical_feed_render(&out, "f", &bad[i], 1, 0) != -1)
			fail_msg("bad event %zu accepted", i);
		buf_release(&out);
	}
	struct buf out;
	buf_init(&out, 0);
	assert_int_equal(ical_feed_render(&out, "f", &good, 1, -5), -1);	/* dtstamp */
	buf_release(&out);
}

static void feed_failures_are_reported(void **state)
{
	(void)state;
	struct ical_event ev = { .kind = "appointment", .id = 1, .starts_at = 1000,
				 .ends_at = 2000, .updated_at = 500,
				 .summary = "a summary long enough to need a fold somewhere in "
					    "the middle of it, with words" };
	/* the cap of the output buffer */
	struct buf out;
	buf_init(&out, 200);
	assert_int_equal(ical_feed_render(&out, "f", &ev, 1, 0), -1);
	assert_true(out.failed);
	buf_release(&out);
	/* out of memory at every allocation in turn, until it succeeds */
	for (long n = 0;; n++) {
		buf_init(&out, 0);
		alloc_fail_after(n);
		int rc = ical_feed_render(&out, "f", &ev, 1, 0);
		alloc_fail_after(-1);
		buf_release(&out);
		if (rc == 0)
			break;
		assert_true(n < 100);
	}
}

int main(void)
{
	ical_init();
	ical_init();	/* idempotent */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rrule_check_accepts),
		cmocka_unit_test(rrule_check_refuses_with_reasons),
		cmocka_unit_test(rrule_check_length_edge),
		cmocka_unit_test(start_check),
		cmocka_unit_test(first_monday_monthly_across_dst),
		cmocka_unit_test(weekly_around_the_last_sundays),
		cmocka_unit_test(weekly_several_days_new_york),
		cmocka_unit_test(sydney_southern_summer),
		cmocka_unit_test(utc_yearly_and_leap_day),
		cmocka_unit_test(strictly_after),
		cmocka_unit_test(count_and_until_end_the_series),
		cmocka_unit_test(far_from_the_start),
		cmocka_unit_test(dst_gap_and_repeated_hour),
		cmocka_unit_test(no_occurrences_end_quickly),
		cmocka_unit_test(where_libical_is_wrong),
		cmocka_unit_test(zones_as_the_calendars_know_them),
		cmocka_unit_test(agrees_with_libical),
		cmocka_unit_test(invalid_input_is_an_error),
		cmocka_unit_test(concurrent_callers),
		cmocka_unit_test(feed_round_trip),
		cmocka_unit_test(feed_empty_is_valid),
		cmocka_unit_test(feed_folding),
		cmocka_unit_test(feed_repairs_text),
		cmocka_unit_test(feed_refuses_bad_events),
		cmocka_unit_test(feed_failures_are_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
