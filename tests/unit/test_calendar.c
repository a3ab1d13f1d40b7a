/*
 * test_calendar.c - src/core/calendar: working-time arithmetic on weekly
 * hours, holidays and 24x7 calendars, DST changes in Europe and America,
 * half-hour zones, the interval walker, parsing and validation, which zone
 * names are taken (calendar_zone_valid), a zone's wall clock alone
 * (struct calendar_zone), and the memo of converted days (the same answers
 * remembered, evicted or not remembered at all). Expected
 * instants are written in local time with their offset, as a person
 * reading a wall clock in that zone would see them.
 */
#include "core/alloc.h"
#include "core/calendar.h"
#include "core/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Monday to Friday, 08:00-17:00. */
static const struct calendar_hours office[] = {
	{ 1, 480, 1020 }, { 2, 480, 1020 }, { 3, 480, 1020 }, { 4, 480, 1020 }, { 5, 480, 1020 },
};

/* Monday to Friday, 08:00-12:00 and 13:00-17:00 (lunch break). */
static const struct calendar_hours lunch[] = {
	{ 1, 780, 1020 }, { 1, 480, 720 }, { 2, 480, 720 }, { 2, 780, 1020 }, { 3, 480, 720 },
	{ 3, 780, 1020 }, { 4, 480, 720 }, { 4, 780, 1020 }, { 5, 480, 720 }, { 5, 780, 1020 },
};

static int64_t T(const char *s)
{
	int64_t t = 0;
	if (time_parse(s, &t) != 0)
		fail_msg("bad time in test: %s", s);
	return t;
}

/* Compares instants as UTC text so a failure shows both times. */
#define assert_instant(got, want)                                                     \
	do {                                                                          \
		char g_[TIME_RFC3339_LEN], w_[TIME_RFC3339_LEN];                      \
		time_format((got), g_);                                               \
		time_format(T(want), w_);                                             \
		assert_string_equal(g_, w_);                                          \
	} while (0)

static void open_cal(struct calendar *cal, const char *tz, bool always_open,
		     const struct calendar_hours *h, size_t nh, const char *const *hol, size_t nhol)
{
	char err[CALENDAR_ERR_LEN] = "";
	int rc = calendar_init(cal, tz, always_open, h, nh, hol, nhol, err, sizeof(err));
	if (rc != 0)
		fail_msg("calendar_init: %s", err);
}

static int64_t add(struct calendar *cal, const char *start, int64_t minutes)
{
	char err[CALENDAR_ERR_LEN] = "";
	int64_t due = 0;
	if (calendar_add_minutes(cal, T(start), minutes, &due, err, sizeof(err)) != 0)
		fail_msg("calendar_add_minutes: %s", err);
	return due;
}

static int64_t between(struct calendar *cal, const char *a, const char *b)
{
	char err[CALENDAR_ERR_LEN] = "";
	int64_t m = -1;
	if (calendar_minutes_between(cal, T(a), T(b), &m, err, sizeof(err)) != 0)
		fail_msg("calendar_minutes_between: %s", err);
	return m;
}

/* ---- parsing ---- */

static void parse_hhmm(void **state)
{
	(void)state;
	char err[CALENDAR_ERR_LEN];
	int m = -1;
	assert_int_equal(calendar_parse_hhmm("00:00", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0);
	assert_int_equal(calendar_parse_hhmm("08:30", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 510);
	assert_int_equal(calendar_parse_hhmm("24:00", &m, err, sizeof(err)), 0);
	assert_int_equal(m, 1440);
	static const char *const bad[] = { "24:01", "25:00", "8:00", "08:60", "08-00", "ab:cd",
					   "08:00 ", "", "-1:00", "0800" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		m = 7;
		err[0] = '\0';
		assert_int_equal(calendar_parse_hhmm(bad[i], &m, err, sizeof(err)), -1);
		assert_int_equal(m, 7);		/* untouched on failure */
		assert_string_equal(err, "time of day must be HH:MM from 00:00 to 24:00");
	}
	assert_int_equal(calendar_parse_hhmm(NULL, &m, NULL, 0), -1);
}

static void parse_date(void **state)
{
	(void)state;
	char err[CALENDAR_ERR_LEN];
	int64_t d = -1;
	assert_int_equal(calendar_parse_date("1970-01-01", &d, err, sizeof(err)), 0);
	assert_int_equal(d, 0);
	assert_int_equal(calendar_parse_date("2026-03-02", &d, err, sizeof(err)), 0);
	assert_int_equal(d, T("2026-03-02T00:00:00Z") / 86400);
	assert_int_equal(calendar_parse_date("2024-02-29", &d, err, sizeof(err)), 0);
	static const char *const bad[] = { "2026-02-29", "2026-13-01", "2026-3-02", "2026-03-02x",
					   "", "02.03.2026" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		assert_int_equal(calendar_parse_date(bad[i], &d, err, sizeof(err)), -1);
		assert_string_equal(err, "date must be a real date as YYYY-MM-DD");
	}
	assert_int_equal(calendar_parse_date(NULL, &d, NULL, 0), -1);
}

/* ---- making a calendar ---- */

static void init_refuses_bad_input(void **state)
{
	(void)state;
	struct calendar cal;
	char err[CALENDAR_ERR_LEN];

	assert_int_equal(calendar_init(&cal, "Mars/Olympus_Mons", false, office, 5, NULL, 0, err,
				       sizeof(err)), -1);
	assert_string_equal(err, "unknown time zone \"Mars/Olympus_Mons\"");
	assert_int_equal(calendar_init(&cal, "", false, office, 5, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "time zone is missing");
	assert_int_equal(calendar_init(&cal, NULL, true, NULL, 0, NULL, 0, err, sizeof(err)), -1);
	/* an offset is not a zone: it knows no DST */
	assert_int_equal(calendar_init(&cal, "GMT+05:00", false, office, 5, NULL, 0, err,
				       sizeof(err)), -1);
	assert_string_equal(err, "unknown time zone \"GMT+05:00\"");
	assert_int_equal(calendar_init(&cal, "Europe/Berlin\n", false, office, 5, NULL, 0, err,
				       sizeof(err)), -1);

	struct calendar_hours h[2] = { { 0, 480, 1020 } };
	assert_int_equal(calendar_init(&cal, "UTC", false, h, 1, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "hours[0]: weekday must be 1 (Monday) to 7 (Sunday)");
	h[0] = (struct calendar_hours){ 8, 480, 1020 };
	assert_int_equal(calendar_init(&cal, "UTC", false, h, 1, NULL, 0, err, sizeof(err)), -1);
	h[0] = (struct calendar_hours){ 1, 600, 600 };
	assert_int_equal(calendar_init(&cal, "UTC", false, h, 1, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "hours[0]: start and end must be 00:00 to 24:00, start before end");
	h[0] = (struct calendar_hours){ 1, 600, 1441 };
	assert_int_equal(calendar_init(&cal, "UTC", false, h, 1, NULL, 0, err, sizeof(err)), -1);
	h[0] = (struct calendar_hours){ 1, -1, 60 };
	assert_int_equal(calendar_init(&cal, "UTC", false, h, 1, NULL, 0, err, sizeof(err)), -1);

	h[0] = (struct calendar_hours){ 3, 480, 720 };
	h[1] = (struct calendar_hours){ 3, 700, 1020 };
	assert_int_equal(calendar_init(&cal, "UTC", false, h, 2, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "hours[1]: overlaps hours[0] on weekday 3");
	/* the same ranges on different days, and touching ranges, are fine */
	h[1] = (struct calendar_hours){ 4, 700, 1020 };
	assert_int_equal(calendar_init(&cal, "UTC", false, h, 2, NULL, 0, err, sizeof(err)), 0);
	calendar_release(&cal);
	h[1] = (struct calendar_hours){ 3, 720, 1020 };
	assert_int_equal(calendar_init(&cal, "UTC", false, h, 2, NULL, 0, err, sizeof(err)), 0);
	calendar_release(&cal);

	const char *hol[] = { "2026-12-25", "2026-02-30" };
	assert_int_equal(calendar_init(&cal, "UTC", false, office, 5, hol, 2, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "holidays[1]: \"2026-02-30\" is not a date as YYYY-MM-DD");
	const char *nul[] = { NULL };
	assert_int_equal(calendar_init(&cal, "UTC", false, office, 5, nul, 1, err, sizeof(err)),
			 -1);

	/* NULL err is allowed, and release after a failure or twice is harmless */
	assert_int_equal(calendar_init(&cal, "Nowhere/At_All", true, NULL, 0, NULL, 0, NULL, 0),
			 -1);
	calendar_release(&cal);
	calendar_release(&cal);
}

static void init_from_json(void **state)
{
	(void)state;
	struct calendar cal;
	char err[CALENDAR_ERR_LEN];
	json_t *hours = json_loads("[{\"weekday\": 1, \"start\": \"08:00\", \"end\": \"12:00\"},"
				   " {\"weekday\": 1, \"start\": \"13:00\", \"end\": \"17:00\"}]",
				   0, NULL);
	json_t *hol = json_loads("[\"2026-03-09\"]", 0, NULL);
	assert_non_null(hours);
	assert_non_null(hol);
	assert_int_equal(calendar_init_json(&cal, "Europe/Berlin", false, hours, hol, err,
					    sizeof(err)), 0);
	assert_string_equal(cal.tz, "Europe/Berlin");
	/* Monday 11:00 + 120: one hour before lunch, one after; the next Monday is off */
	assert_instant(add(&cal, "2026-03-02T11:00:00+01:00", 120), "2026-03-02T14:00:00+01:00");
	assert_instant(add(&cal, "2026-03-02T16:00:00+01:00", 120), "2026-03-16T09:00:00+01:00");
	calendar_release(&cal);

	json_t *bad = json_loads("[{\"weekday\": 1, \"start\": \"8:00\", \"end\": \"12:00\"}]", 0,
				 NULL);
	assert_int_equal(calendar_init_json(&cal, "UTC", false, bad, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "hours[0]: time of day must be HH:MM from 00:00 to 24:00");
	json_decref(bad);
	bad = json_loads("[{\"weekday\": \"1\", \"start\": \"08:00\", \"end\": \"12:00\"}]", 0,
			 NULL);
	assert_int_equal(calendar_init_json(&cal, "UTC", false, bad, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "hours[0]: weekday must be 1 (Monday) to 7 (Sunday)");
	json_decref(bad);
	bad = json_loads("[20260309]", 0, NULL);
	assert_int_equal(calendar_init_json(&cal, "UTC", false, hours, bad, err, sizeof(err)), -1);
	assert_string_equal(err, "holidays[0]: must be a date as YYYY-MM-DD");
	assert_int_equal(calendar_init_json(&cal, "UTC", false, hol, NULL, err, sizeof(err)), -1);
	json_decref(bad);
	bad = json_object();
	assert_int_equal(calendar_init_json(&cal, "UTC", false, bad, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "hours and holidays must be arrays");
	json_decref(bad);
	/* no hours at all: a 24x7 calendar */
	assert_int_equal(calendar_init_json(&cal, "UTC", true, NULL, NULL, err, sizeof(err)), 0);
	assert_instant(add(&cal, "2026-03-07T10:00:00Z", 90), "2026-03-07T11:30:00Z");
	calendar_release(&cal);
	json_decref(hours);
	json_decref(hol);
}

static void init_out_of_memory(void **state)
{
	(void)state;
	const char *hol[] = { "2026-12-25" };
	char err[CALENDAR_ERR_LEN];
	/* every allocation failing in turn is reported and leaks nothing */
	for (long n = 0;; n++) {
		struct calendar cal;
		alloc_fail_after(n);
		int rc = calendar_init(&cal, "Europe/Berlin", false, office, 5, hol, 1, err,
				       sizeof(err));
		alloc_fail_after(-1);
		if (rc == 0) {
			assert_true(n >= 3);
			calendar_release(&cal);
			break;
		}
		assert_string_equal(err, "out of memory");
	}
}

/* ---- zone names ---- */

static void zone_names_taken(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"Europe/Berlin", "America/New_York", "America/Argentina/Buenos_Aires",
		"Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham",
		"America/St_Johns", "UTC", "Etc/UTC", "Etc/GMT", "GMT",
		"Etc/GMT+5", "Etc/GMT-14", "EST5EDT", "CET",
		/* links (tzdata's "backward" file) are IANA names too: ICU computes their target */
		"US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Universal", "Zulu", "GB",
		"America/Argentina/ComodRivadavia",
	};
	for (size_t i = 0; i < N_ELEMS(ok); i++)
		if (!calendar_zone_valid(ok[i]))
			fail_msg("\"%s\" refused", ok[i]);
}

static void zone_names_refused(void **state)
{
	(void)state;
	char long_name[CALENDAR_TZ_MAX + 8];
	memset(long_name, 'A', sizeof(long_name) - 1);
	memcpy(long_name, "Europe/", 7);
	long_name[sizeof(long_name) - 1] = '\0';
	static const char *const bad[] = {
		"", "Mars/Olympus_Mons", "Europe", "Europe/",
		/* spelled otherwise */
		"europe/berlin", "EUROPE/BERLIN", " Europe/Berlin", "Europe/Berlin ",
		"Europe/Berlin\n", "Europe//Berlin", "Europe/Berlin/", "Europe\\Berlin",
		/* offsets are not zones: ICU's custom ids */
		"GMT+5", "GMT+05:00", "GMT-0130", "UTC+1", "+01:00", "Etc/GMT+13",
		/* the placeholders for no zone */
		"Etc/Unknown", "Unknown", "Factory",
		/* ids ICU has and IANA has not */
		"IST", "PST", "CST", "AET", "BST", "SystemV/AST4", "SystemV/PST8PDT",
		"US/Pacific-New", "Canada/East-Saskatchewan",
		/* files of /usr/share/zoneinfo that are not names */
		"posix/Europe/Berlin", "right/UTC", "localtime", "posixrules", "../zoneinfo/UTC",
		"/usr/share/zoneinfo/UTC", "zone.tab",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		if (calendar_zone_valid(bad[i]))
			fail_msg("\"%s\" taken", bad[i]);
	assert_false(calendar_zone_valid(NULL));
	assert_false(calendar_zone_valid(long_name));
	/* one byte shorter is looked up (and unknown) */
	long_name[CALENDAR_TZ_MAX - 1] = '\0';
	assert_false(calendar_zone_valid(long_name));
	/* a calendar takes what calendar_zone_valid takes, and nothing else */
	struct calendar cal;
	char err[CALENDAR_ERR_LEN];
	assert_int_equal(calendar_init(&cal, "IST", true, NULL, 0, NULL, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown time zone \"IST\"");
	assert_int_equal(calendar_init(&cal, "Etc/Unknown", true, NULL, 0, NULL, 0, err,
				       sizeof(err)), -1);
	assert_int_equal(calendar_init(&cal, "US/Eastern", true, NULL, 0, NULL, 0, err,
				       sizeof(err)), 0);
	calendar_release(&cal);
}

/* A zone alone: the wall clock at an instant, as service/ical reads it. */
static void zone_wall_clock(void **state)
{
	(void)state;
	static const struct {
		const char *tz, *at;
		int64_t offset;	/* seconds east of UTC */
	} cases[] = {
		{ "Europe/Berlin", "2026-03-29T00:59:59Z", 3600 },
		{ "Europe/Berlin", "2026-03-29T01:00:00Z", 7200 },	/* DST begins */
		{ "Europe/Berlin", "2026-10-25T00:59:59Z", 7200 },
		{ "Europe/Berlin", "2026-10-25T01:00:00Z", 3600 },	/* and ends */
		{ "Europe/Berlin", "2400-06-02T07:00:00Z", 7200 },	/* rules go on */
		{ "America/New_York", "2026-03-08T06:59:59Z", -18000 },
		{ "America/New_York", "2026-03-08T07:00:00Z", -14400 },
		{ "US/Eastern", "2026-07-01T12:00:00Z", -14400 },	/* a link is its target */
		{ "Australia/Sydney", "2026-01-15T00:00:00Z", 39600 },
		{ "Australia/Sydney", "2026-07-15T00:00:00Z", 36000 },
		{ "Asia/Kolkata", "2026-07-15T00:00:00Z", 19800 },
		{ "Asia/Kathmandu", "2026-07-15T00:00:00Z", 20700 },
		{ "Pacific/Chatham", "2026-01-15T00:00:00Z", 49500 },
		{ "Africa/Monrovia", "1970-06-01T00:00:00Z", -2670 },	/* -00:44:30 until 1972 */
		{ "UTC", "1970-01-01T00:00:00Z", 0 },
		{ "Etc/GMT+5", "2026-07-01T00:00:00Z", -18000 },	/* POSIX sign: west */
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct calendar_zone z;
		char err[CALENDAR_ERR_LEN];
		if (calendar_zone_init(&z, cases[i].tz, err, sizeof(err)) != 0)
			fail_msg("%s: %s", cases[i].tz, err);
		int64_t t = T(cases[i].at), local = 0;
		assert_int_equal(calendar_zone_local(&z, t, &local), 0);
		if (local - t != cases[i].offset)
			fail_msg("%s at %s: offset %lld, want %lld", cases[i].tz, cases[i].at,
				 (long long)(local - t), (long long)cases[i].offset);
		calendar_zone_release(&z);
		calendar_zone_release(&z);	/* twice is fine */
	}
	struct calendar_zone z;
	char err[CALENDAR_ERR_LEN];
	assert_int_equal(calendar_zone_init(&z, "PST", err, sizeof(err)), -1);
	assert_string_equal(err, "unknown time zone \"PST\"");
	assert_null(z.ucal);
	calendar_zone_release(&z);
	assert_int_equal(calendar_zone_init(&z, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "time zone is missing");
	assert_int_equal(calendar_zone_init(&z, "UTC", NULL, 0), 0);
	int64_t local = 7;
	assert_int_equal(calendar_zone_local(&z, CALENDAR_MIN_TIME - 1, &local), -1);
	assert_int_equal(calendar_zone_local(&z, CALENDAR_MAX_TIME + 1, &local), -1);
	assert_int_equal(local, 7);	/* untouched */
	assert_int_equal(calendar_zone_local(&z, CALENDAR_MAX_TIME, &local), 0);
	assert_int_equal(local, CALENDAR_MAX_TIME);
	calendar_zone_release(&z);
}

/* ---- adding minutes on weekly hours ---- */

static void same_day(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, office, 5, NULL, 0);
	/* 2026-03-02 is a Monday */
	assert_instant(add(&cal, "2026-03-02T09:00:00+01:00", 60), "2026-03-02T10:00:00+01:00");
	assert_instant(add(&cal, "2026-03-02T08:00:00+01:00", 540), "2026-03-02T17:00:00+01:00");
	calendar_release(&cal);
}

static void overnight(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, office, 5, NULL, 0);
	assert_instant(add(&cal, "2026-03-02T16:30:00+01:00", 60), "2026-03-03T08:30:00+01:00");
	/* a due time at closing is that closing time, not the next opening */
	assert_instant(add(&cal, "2026-03-02T16:00:00+01:00", 60), "2026-03-02T17:00:00+01:00");
	/* from before opening, counting begins at the opening */
	assert_instant(add(&cal, "2026-03-03T06:15:00+01:00", 30), "2026-03-03T08:30:00+01:00");
	calendar_release(&cal);
}

static void start_at_closing_time(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, office, 5, NULL, 0);
	assert_instant(add(&cal, "2026-03-02T17:00:00+01:00", 30), "2026-03-03T08:30:00+01:00");
	assert_instant(add(&cal, "2026-03-02T17:00:00+01:00", 0), "2026-03-03T08:00:00+01:00");
	/* at opening time, 0 minutes is the start itself */
	assert_instant(add(&cal, "2026-03-02T08:00:00+01:00", 0), "2026-03-02T08:00:00+01:00");
	calendar_release(&cal);
}

static void weekend(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, office, 5, NULL, 0);
	/* Friday 2026-03-06 16:00 + 2 h: one hour on Friday, one on Monday */
	assert_instant(add(&cal, "2026-03-06T16:00:00+01:00", 120), "2026-03-09T09:00:00+01:00");
	/* from Saturday: Monday's opening */
	assert_instant(add(&cal, "2026-03-07T11:00:00+01:00", 0), "2026-03-09T08:00:00+01:00");
	assert_instant(add(&cal, "2026-03-08T23:59:00+01:00", 540), "2026-03-09T17:00:00+01:00");
	/* a whole working week is 45 hours */
	assert_instant(add(&cal, "2026-03-09T08:00:00+01:00", 5 * 540),
		       "2026-03-13T17:00:00+01:00");
	assert_instant(add(&cal, "2026-03-09T08:00:00+01:00", 5 * 540 + 1),
		       "2026-03-16T08:01:00+01:00");
	calendar_release(&cal);
}

static void holiday_on_friday(void **state)
{
	(void)state;
	struct calendar cal;
	const char *hol[] = { "2026-04-03" };	/* Good Friday */
	open_cal(&cal, "Europe/Berlin", false, office, 5, hol, 1);
	/* Thursday 16:00 + 2 h: Thursday's last hour, then Monday */
	assert_instant(add(&cal, "2026-04-02T16:00:00+02:00", 120), "2026-04-06T09:00:00+02:00");
	/* starting on the holiday itself */
	assert_instant(add(&cal, "2026-04-03T10:00:00+02:00", 60), "2026-04-06T09:00:00+02:00");
	assert_instant(add(&cal, "2026-04-03T10:00:00+02:00", 0), "2026-04-06T08:00:00+02:00");
	assert_int_equal(between(&cal, "2026-04-02T00:00:00+02:00", "2026-04-07T00:00:00+02:00"),
			 2 * 540);
	calendar_release(&cal);
}

static void holiday_on_monday_after_weekend(void **state)
{
	(void)state;
	struct calendar cal;
	const char *hol[] = { "2026-04-06", "2026-04-06" };	/* Easter Monday, twice */
	open_cal(&cal, "Europe/Berlin", false, office, 5, hol, 2);
	assert_int_equal(cal.nholidays, 1);
	assert_instant(add(&cal, "2026-04-03T16:00:00+02:00", 120), "2026-04-07T09:00:00+02:00");
	assert_instant(add(&cal, "2026-04-03T17:00:00+02:00", 0), "2026-04-07T08:00:00+02:00");
	calendar_release(&cal);
}

static void lunch_break(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, lunch, N_ELEMS(lunch), NULL, 0);
	assert_instant(add(&cal, "2026-03-02T11:30:00+01:00", 60), "2026-03-02T13:30:00+01:00");
	/* due exactly when lunch begins */
	assert_instant(add(&cal, "2026-03-02T11:30:00+01:00", 30), "2026-03-02T12:00:00+01:00");
	/* started during lunch */
	assert_instant(add(&cal, "2026-03-02T12:10:00+01:00", 0), "2026-03-02T13:00:00+01:00");
	assert_instant(add(&cal, "2026-03-02T12:10:00+01:00", 250), "2026-03-03T08:10:00+01:00");
	assert_int_equal(between(&cal, "2026-03-02T00:00:00+01:00", "2026-03-03T00:00:00+01:00"),
			 480);
	assert_int_equal(between(&cal, "2026-03-02T11:00:00+01:00", "2026-03-02T14:00:00+01:00"),
			 120);
	calendar_release(&cal);
}

static void zero_minutes(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, office, 5, NULL, 0);
	assert_instant(add(&cal, "2026-03-02T10:20:00+01:00", 0), "2026-03-02T10:20:00+01:00");
	assert_instant(add(&cal, "2026-03-02T19:20:00+01:00", 0), "2026-03-03T08:00:00+01:00");
	calendar_release(&cal);
}

static void seconds_round_up(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, office, 5, NULL, 0);
	/* counting starts at the next whole minute */
	assert_instant(add(&cal, "2026-03-02T09:13:47+01:00", 60), "2026-03-02T10:14:00+01:00");
	assert_instant(add(&cal, "2026-03-02T09:13:47+01:00", 0), "2026-03-02T09:14:00+01:00");
	/* 16:59:30 rounds to 17:00, which is closing time */
	assert_instant(add(&cal, "2026-03-02T16:59:30+01:00", 1), "2026-03-03T08:01:00+01:00");
	/* both ends round up, so counts add up */
	assert_int_equal(between(&cal, "2026-03-02T09:00:30+01:00", "2026-03-02T10:00:00+01:00"),
			 59);
	assert_int_equal(between(&cal, "2026-03-02T09:00:00+01:00", "2026-03-02T09:00:01+01:00"),
			 1);
	assert_int_equal(between(&cal, "2026-03-02T09:00:01+01:00", "2026-03-02T09:00:59+01:00"),
			 0);
	assert_int_equal(between(&cal, "2026-03-02T09:00:00+01:00", "2026-03-02T09:30:10+01:00") +
				 between(&cal, "2026-03-02T09:30:10+01:00",
					 "2026-03-02T11:00:00+01:00"),
			 120);
	calendar_release(&cal);
}

static void minutes_between(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, office, 5, NULL, 0);
	assert_int_equal(between(&cal, "2026-03-02T10:00:00+01:00", "2026-03-02T10:00:00+01:00"), 0);
	assert_int_equal(between(&cal, "2026-03-02T11:00:00+01:00", "2026-03-02T10:00:00+01:00"), 0);
	assert_int_equal(between(&cal, "2026-03-06T16:00:00+01:00", "2026-03-09T09:00:00+01:00"),
			 120);
	assert_int_equal(between(&cal, "2026-03-02T00:00:00+01:00", "2026-03-09T00:00:00+01:00"),
			 5 * 540);
	assert_int_equal(between(&cal, "2026-03-07T00:00:00+01:00", "2026-03-09T00:00:00+01:00"), 0);
	/* a year: 261 weekdays in 2026 */
	assert_int_equal(between(&cal, "2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00"),
			 261 * 540);
	char err[CALENDAR_ERR_LEN];
	int64_t m = 42;
	assert_int_equal(calendar_minutes_between(&cal, 0, (int64_t)200 * 366 * 86400, &m, err,
						  sizeof(err)), -1);
	assert_string_equal(err, "span is more than 100 years");
	assert_int_equal(m, 42);
	calendar_release(&cal);
}

/* ---- 24x7 and DST ---- */

static void always_open_utc(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "UTC", true, office, 5, NULL, 0);	/* hours ignored */
	assert_instant(add(&cal, "2026-03-07T22:30:00Z", 1440), "2026-03-08T22:30:00Z");
	assert_instant(add(&cal, "2026-03-07T22:30:00Z", 0), "2026-03-07T22:30:00Z");
	assert_int_equal(between(&cal, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"), 31 * 1440);
	calendar_release(&cal);
}

static void always_open_with_holiday(void **state)
{
	(void)state;
	struct calendar cal;
	const char *hol[] = { "2026-12-25" };
	open_cal(&cal, "Europe/Berlin", true, NULL, 0, hol, 1);
	/* Thursday noon: 12 hours to midnight, the holiday, 12 hours on Saturday */
	assert_instant(add(&cal, "2026-12-24T12:00:00+01:00", 1440), "2026-12-26T12:00:00+01:00");
	assert_int_equal(between(&cal, "2026-12-24T00:00:00+01:00", "2026-12-27T00:00:00+01:00"),
			 2 * 1440);
	calendar_release(&cal);
}

static void dst_berlin_always_open(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", true, NULL, 0, NULL, 0);
	/* 24 real hours across the spring change: the wall clock moves 25 */
	assert_instant(add(&cal, "2026-03-28T12:00:00+01:00", 1440), "2026-03-29T13:00:00+02:00");
	assert_int_equal(between(&cal, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),
			 1380);
	/* and across the autumn change the wall clock moves 23 */
	assert_instant(add(&cal, "2026-10-24T12:00:00+02:00", 1440), "2026-10-25T11:00:00+01:00");
	assert_int_equal(between(&cal, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
			 1500);
	calendar_release(&cal);
}

static void dst_berlin_business_day(void **state)
{
	(void)state;
	struct calendar cal;
	/* Sundays 00:00-24:00 only */
	const struct calendar_hours sunday[] = { { 7, 0, 1440 } };
	open_cal(&cal, "Europe/Berlin", false, sunday, 1, NULL, 0);
	assert_int_equal(between(&cal, "2026-03-28T00:00:00+01:00", "2026-03-31T00:00:00+02:00"),
			 1380);
	assert_int_equal(between(&cal, "2026-10-24T00:00:00+02:00", "2026-10-27T00:00:00+01:00"),
			 1500);
	/* an ordinary Sunday */
	assert_int_equal(between(&cal, "2026-03-21T00:00:00+01:00", "2026-03-23T00:00:00+01:00"),
			 1440);
	/* 1380 minutes fill the short Sunday exactly */
	assert_instant(add(&cal, "2026-03-29T00:00:00+01:00", 1380), "2026-03-30T00:00:00+02:00");
	assert_instant(add(&cal, "2026-03-29T00:00:00+01:00", 1381), "2026-04-05T00:01:00+02:00");
	/* 02:00 CET + 60 real minutes is 04:00 CEST */
	assert_instant(add(&cal, "2026-03-29T01:30:00+01:00", 60), "2026-03-29T03:30:00+02:00");
	/* in autumn the hour from 02:00 to 03:00 comes twice and counts twice */
	assert_instant(add(&cal, "2026-10-25T01:30:00+02:00", 120), "2026-10-25T02:30:00+01:00");
	calendar_release(&cal);
}

static void dst_berlin_office(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, office, 5, NULL, 0);
	/* Friday before the change to Monday after: opening moves an hour in UTC */
	assert_instant(add(&cal, "2026-03-27T16:00:00+01:00", 120), "2026-03-30T09:00:00+02:00");
	assert_instant(add(&cal, "2026-10-23T16:00:00+02:00", 120), "2026-10-26T09:00:00+01:00");
	calendar_release(&cal);
}

static void dst_hours_in_the_gap(void **state)
{
	(void)state;
	struct calendar cal;
	/* Sunday 02:00-03:00 does not exist on the DST-start day */
	const struct calendar_hours gap[] = { { 7, 120, 180 } };
	open_cal(&cal, "Europe/Berlin", false, gap, 1, NULL, 0);
	assert_int_equal(between(&cal, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"), 0);
	assert_instant(add(&cal, "2026-03-29T00:00:00+01:00", 0), "2026-04-05T02:00:00+02:00");
	/* and comes twice on the DST-end day: from its first 02:00 to the first 03:00 */
	assert_int_equal(between(&cal, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
			 120);
	calendar_release(&cal);

	/* 02:30-04:00 on DST start: counted from the change (03:00 CEST) */
	const struct calendar_hours part[] = { { 7, 150, 240 } };
	open_cal(&cal, "Europe/Berlin", false, part, 1, NULL, 0);
	assert_int_equal(between(&cal, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),
			 60);
	assert_instant(add(&cal, "2026-03-28T12:00:00+01:00", 0), "2026-03-29T03:00:00+02:00");
	/* DST end: from the first 02:30 (CEST) to 04:00 CET */
	assert_int_equal(between(&cal, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
			 150);
	calendar_release(&cal);
}

static void dst_new_york(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "America/New_York", true, NULL, 0, NULL, 0);
	assert_int_equal(between(&cal, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"),
			 1380);
	assert_int_equal(between(&cal, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00"),
			 1500);
	assert_instant(add(&cal, "2026-03-07T12:00:00-05:00", 1440), "2026-03-08T13:00:00-04:00");
	calendar_release(&cal);

	open_cal(&cal, "America/New_York", false, office, 5, NULL, 0);
	assert_instant(add(&cal, "2026-03-06T16:00:00-05:00", 120), "2026-03-09T09:00:00-04:00");
	assert_instant(add(&cal, "2026-10-30T16:30:00-04:00", 60), "2026-11-02T08:30:00-05:00");
	calendar_release(&cal);
}

static void half_hour_zones(void **state)
{
	(void)state;
	struct calendar cal;
	const struct calendar_hours india[] = { { 1, 540, 1080 }, { 2, 540, 1080 } };
	open_cal(&cal, "Asia/Kolkata", false, india, 2, NULL, 0);
	assert_instant(add(&cal, "2026-03-02T17:30:00+05:30", 60), "2026-03-03T09:30:00+05:30");
	assert_instant(add(&cal, "2026-03-03T03:00:00Z", 0), "2026-03-03T09:00:00+05:30");
	calendar_release(&cal);

	/* Lord Howe Island moves its clocks by half an hour */
	open_cal(&cal, "Australia/Lord_Howe", true, NULL, 0, NULL, 0);
	assert_int_equal(between(&cal, "2026-04-05T00:00:00+11:00", "2026-04-06T00:00:00+10:30"),
			 1470);
	assert_int_equal(between(&cal, "2026-10-04T00:00:00+10:30", "2026-10-05T00:00:00+11:00"),
			 1410);
	calendar_release(&cal);
	const struct calendar_hours sunday[] = { { 7, 0, 1440 } };
	open_cal(&cal, "Australia/Lord_Howe", false, sunday, 1, NULL, 0);
	assert_instant(add(&cal, "2026-04-04T12:00:00+11:00", 1470), "2026-04-06T00:00:00+10:30");
	calendar_release(&cal);
}

/* ---- no working time ---- */

static void no_working_time(void **state)
{
	(void)state;
	struct calendar cal;
	char err[CALENDAR_ERR_LEN];
	int64_t due = 42;
	open_cal(&cal, "Europe/Berlin", false, NULL, 0, NULL, 0);
	assert_int_equal(calendar_add_minutes(&cal, T("2026-03-02T09:00:00Z"), 10, &due, err,
					      sizeof(err)), -1);
	assert_string_equal(err, "calendar has no working hours");
	assert_int_equal(due, 42);
	assert_int_equal(between(&cal, "2026-03-02T00:00:00Z", "2027-03-02T00:00:00Z"), 0);
	calendar_release(&cal);

	/* 24x7, but every day of four years is a holiday: fails, does not spin */
	enum { DAYS = 4 * 366 };
	static char dates[DAYS][11];
	const char *hol[DAYS];
	int64_t day0 = T("2026-01-01T00:00:00Z") / 86400;
	for (int i = 0; i < DAYS; i++) {
		char iso[TIME_RFC3339_LEN];
		time_format((day0 + i) * 86400, iso);	/* "YYYY-MM-DDT00:00:00Z" */
		memcpy(dates[i], iso, 10);
		dates[i][10] = '\0';
		hol[i] = dates[i];
	}
	open_cal(&cal, "Europe/Berlin", true, NULL, 0, hol, DAYS);
	int64_t t0 = time_mono_ns();
	assert_int_equal(calendar_add_minutes(&cal, T("2026-01-01T00:00:00Z"), 0, &due, err,
					      sizeof(err)), -1);
	assert_string_equal(err, "calendar has no working time for 3 years");
	assert_true(time_mono_ns() - t0 < 2000000000LL);
	/* with two years of holidays the first working minute comes after them */
	calendar_release(&cal);
	open_cal(&cal, "UTC", true, NULL, 0, hol, 2 * 365);
	assert_instant(add(&cal, "2026-01-01T00:00:00Z", 1), "2028-01-01T00:01:00Z");
	calendar_release(&cal);
}

static void bad_arguments(void **state)
{
	(void)state;
	struct calendar cal;
	char err[CALENDAR_ERR_LEN];
	int64_t due = 42;
	open_cal(&cal, "UTC", true, NULL, 0, NULL, 0);
	assert_int_equal(calendar_add_minutes(&cal, T("2026-03-02T09:00:00Z"), -1, &due, err,
					      sizeof(err)), -1);
	assert_string_equal(err, "minutes must be 0 to 52596000");
	assert_int_equal(calendar_add_minutes(&cal, T("2026-03-02T09:00:00Z"),
					      CALENDAR_MAX_MINUTES + 1, &due, err, sizeof(err)),
			 -1);
	assert_int_equal(calendar_add_minutes(&cal, INT64_MIN, 1, &due, err, sizeof(err)), -1);
	assert_string_equal(err, "time out of range");
	assert_int_equal(calendar_add_minutes(&cal, CALENDAR_MAX_TIME - 60, 2, &due, err,
					      sizeof(err)), -1);
	assert_int_equal(due, 42);
	calendar_release(&cal);
}

static void long_target_is_quick(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "Europe/Berlin", false, lunch, N_ELEMS(lunch), NULL, 0);
	/* the largest resolution target the API allows: ten years of minutes */
	int64_t t0 = time_mono_ns();
	int64_t due = add(&cal, "2026-01-01T00:00:00Z", 5256000);
	assert_true(time_mono_ns() - t0 < 2000000000LL);
	assert_true(due > T("2060-01-01T00:00:00Z"));
	assert_int_equal(between(&cal, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), 0);
	int64_t m = 0;
	char err[CALENDAR_ERR_LEN];
	assert_int_equal(calendar_minutes_between(&cal, T("2026-01-01T00:00:00Z"), due, &m, err,
						  sizeof(err)), 0);
	assert_int_equal(m, 5256000);
	calendar_release(&cal);
}

/* ---- the walker ---- */

struct seen {
	struct calendar_interval iv[32];
	size_t n;
	size_t stop_after;	/* 0: never */
};

static int collect(const struct calendar_interval *iv, void *arg)
{
	struct seen *s = arg;
	if (s->n < N_ELEMS(s->iv))
		s->iv[s->n] = *iv;
	s->n++;
	return s->stop_after && s->n == s->stop_after ? 7 : 0;
}

#define assert_interval(s, i, from, to, k)                                \
	do {                                                              \
		assert_instant((s).iv[i].start, from);                   \
		assert_instant((s).iv[i].end, to);                       \
		assert_string_equal(calendar_kind_name((s).iv[i].kind), k); \
	} while (0)

static void walker_intervals(void **state)
{
	(void)state;
	struct calendar cal;
	const char *hol[] = { "2026-04-03" };
	open_cal(&cal, "Europe/Berlin", false, office, 5, hol, 1);
	struct seen s = { .n = 0 };
	char err[CALENDAR_ERR_LEN];
	assert_int_equal(calendar_walk(&cal, T("2026-04-02T12:00:00+02:00"),
				       T("2026-04-07T12:00:00+02:00"), collect, &s, err,
				       sizeof(err)), 0);
	assert_int_equal(s.n, 7);
	assert_interval(s, 0, "2026-04-02T12:00:00+02:00", "2026-04-02T17:00:00+02:00", "counted");
	assert_interval(s, 1, "2026-04-02T17:00:00+02:00", "2026-04-03T00:00:00+02:00",
			"outside_hours");
	assert_interval(s, 2, "2026-04-03T00:00:00+02:00", "2026-04-04T00:00:00+02:00", "holiday");
	assert_interval(s, 3, "2026-04-04T00:00:00+02:00", "2026-04-06T08:00:00+02:00",
			"outside_hours");
	assert_interval(s, 4, "2026-04-06T08:00:00+02:00", "2026-04-06T17:00:00+02:00", "counted");
	assert_interval(s, 5, "2026-04-06T17:00:00+02:00", "2026-04-07T08:00:00+02:00",
			"outside_hours");
	assert_interval(s, 6, "2026-04-07T08:00:00+02:00", "2026-04-07T12:00:00+02:00", "counted");

	/* the callback stops the walk and its value comes back */
	s = (struct seen){ .stop_after = 2 };
	assert_int_equal(calendar_walk(&cal, T("2026-04-02T12:00:00+02:00"),
				       T("2026-04-07T12:00:00+02:00"), collect, &s, err,
				       sizeof(err)), 7);
	assert_int_equal(s.n, 2);

	/* nothing to walk */
	s = (struct seen){ .n = 0 };
	assert_int_equal(calendar_walk(&cal, T("2026-04-02T12:00:00Z"), T("2026-04-02T12:00:00Z"),
				       collect, &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	calendar_release(&cal);
}

static void walker_holiday_on_weekend_and_lunch(void **state)
{
	(void)state;
	struct calendar cal;
	const char *hol[] = { "2026-12-26" };	/* a Saturday */
	open_cal(&cal, "Europe/Berlin", false, lunch, N_ELEMS(lunch), hol, 1);
	struct seen s = { .n = 0 };
	char err[CALENDAR_ERR_LEN];
	assert_int_equal(calendar_walk(&cal, T("2026-12-25T11:00:00+01:00"),
				       T("2026-12-28T12:30:00+01:00"), collect, &s, err,
				       sizeof(err)), 0);
	assert_int_equal(s.n, 8);
	assert_interval(s, 0, "2026-12-25T11:00:00+01:00", "2026-12-25T12:00:00+01:00", "counted");
	assert_interval(s, 1, "2026-12-25T12:00:00+01:00", "2026-12-25T13:00:00+01:00",
			"outside_hours");
	assert_interval(s, 2, "2026-12-25T13:00:00+01:00", "2026-12-25T17:00:00+01:00", "counted");
	assert_interval(s, 3, "2026-12-25T17:00:00+01:00", "2026-12-26T00:00:00+01:00",
			"outside_hours");
	assert_interval(s, 4, "2026-12-26T00:00:00+01:00", "2026-12-27T00:00:00+01:00", "holiday");
	assert_interval(s, 5, "2026-12-27T00:00:00+01:00", "2026-12-28T08:00:00+01:00",
			"outside_hours");
	assert_interval(s, 6, "2026-12-28T08:00:00+01:00", "2026-12-28T12:00:00+01:00", "counted");
	assert_interval(s, 7, "2026-12-28T12:00:00+01:00", "2026-12-28T12:30:00+01:00",
			"outside_hours");
	calendar_release(&cal);
}

static void walker_across_dst(void **state)
{
	(void)state;
	struct calendar cal;
	open_cal(&cal, "America/New_York", false, office, 5, NULL, 0);
	struct seen s = { .n = 0 };
	char err[CALENDAR_ERR_LEN];
	/* exact instants, seconds included; the weekend gap spans the change */
	assert_int_equal(calendar_walk(&cal, T("2026-03-06T16:59:30-05:00"),
				       T("2026-03-09T08:00:10-04:00"), collect, &s, err,
				       sizeof(err)), 0);
	assert_int_equal(s.n, 3);
	assert_interval(s, 0, "2026-03-06T16:59:30-05:00", "2026-03-06T17:00:00-05:00", "counted");
	assert_interval(s, 1, "2026-03-06T17:00:00-05:00", "2026-03-09T08:00:00-04:00",
			"outside_hours");
	assert_interval(s, 2, "2026-03-09T08:00:00-04:00", "2026-03-09T08:00:10-04:00", "counted");
	assert_int_equal(s.iv[1].end - s.iv[1].start, (24 + 24 + 15) * 3600 - 3600);
	calendar_release(&cal);
}

static void walker_always_open_and_interval_at(void **state)
{
	(void)state;
	struct calendar cal;
	const char *hol[] = { "2026-05-01" };
	open_cal(&cal, "Europe/Berlin", true, NULL, 0, hol, 1);
	struct seen s = { .n = 0 };
	char err[CALENDAR_ERR_LEN];
	/* 24x7 merges days into one interval, even over months */
	assert_int_equal(calendar_walk(&cal, T("2026-01-01T00:00:00Z"),
				       T("2026-09-01T00:00:00Z"), collect, &s, err, sizeof(err)),
			 0);
	assert_int_equal(s.n, 3);
	assert_interval(s, 0, "2026-01-01T00:00:00Z", "2026-05-01T00:00:00+02:00", "counted");
	assert_interval(s, 1, "2026-05-01T00:00:00+02:00", "2026-05-02T00:00:00+02:00", "holiday");
	assert_interval(s, 2, "2026-05-02T00:00:00+02:00", "2026-09-01T00:00:00Z", "counted");

	struct calendar_interval iv;
	assert_int_equal(calendar_interval_at(&cal, T("2026-04-30T20:00:00+02:00"),
					      T("2026-05-30T00:00:00Z"), &iv, err, sizeof(err)), 0);
	assert_int_equal(iv.kind, CALENDAR_COUNTED);
	assert_instant(iv.end, "2026-05-01T00:00:00+02:00");
	/* until caps the answer */
	assert_int_equal(calendar_interval_at(&cal, T("2026-04-30T20:00:00+02:00"),
					      T("2026-04-30T21:00:00+02:00"), &iv, err,
					      sizeof(err)), 0);
	assert_instant(iv.end, "2026-04-30T21:00:00+02:00");
	assert_int_equal(calendar_interval_at(&cal, 100, 100, &iv, err, sizeof(err)), -1);
	calendar_release(&cal);
}

/* ---- the memo of local days ---- */

/* Every answer of one query kind at t, as numbers, to compare calendars by. */
struct answers {
	int64_t due[6], between[4], iv_end, walk[64];
	int iv_kind, nwalk;
};

static int collect_ends(const struct calendar_interval *iv, void *arg)
{
	struct answers *a = arg;
	if (a->nwalk < (int)N_ELEMS(a->walk))
		a->walk[a->nwalk] = iv->end * CALENDAR_KIND__MAX + iv->kind;
	a->nwalk++;
	return 0;
}

static void ask(struct calendar *cal, int64_t t, struct answers *a)
{
	static const int64_t minutes[] = { 0, 1, 59, 600, 2400, 6000 };
	static const int64_t spans[] = { 60, 7 * 3600 + 13 * 60, 3 * 86400, 16 * 86400 };
	char err[CALENDAR_ERR_LEN];
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < N_ELEMS(minutes); i++)
		assert_int_equal(calendar_add_minutes(cal, t, minutes[i], &a->due[i], err,
						      sizeof(err)), 0);
	for (size_t i = 0; i < N_ELEMS(spans); i++)
		assert_int_equal(calendar_minutes_between(cal, t, t + spans[i], &a->between[i], err,
							  sizeof(err)), 0);
	struct calendar_interval iv;
	assert_int_equal(calendar_interval_at(cal, t, t + 9 * 86400, &iv, err, sizeof(err)), 0);
	a->iv_end = iv.end;
	a->iv_kind = iv.kind;
	assert_int_equal(calendar_walk(cal, t, t + 11 * 86400, collect_ends, a, err, sizeof(err)),
			 0);
}

static void assert_same_answers(const struct answers *a, const struct answers *b, int64_t t)
{
	char when[TIME_RFC3339_LEN];
	time_format(t, when);
	if (memcmp(a, b, sizeof(*a)) != 0)
		fail_msg("the memo answers differently at %s", when);
}

/*
 * Three copies of one calendar: the memo at its default bound, at 4 days
 * (a walk evicts all the time) and at 1 day (no memo: the day last looked
 * at, converted again whenever a walk comes back to it). Every query at
 * instants over a year (both DST changes, the holidays), forwards, then
 * backwards, answers the same on all three; the default memo converts
 * each day once.
 */
static void memo_matches(const char *tz, bool always_open, const struct calendar_hours *h,
			 size_t nh, const char *const *hol, size_t nhol, const char *from)
{
	struct calendar memo, small, none;
	open_cal(&memo, tz, always_open, h, nh, hol, nhol);
	open_cal(&small, tz, always_open, h, nh, hol, nhol);
	open_cal(&none, tz, always_open, h, nh, hol, nhol);
	assert_int_equal(calendar_memo_limit(&small, 4), 0);
	assert_int_equal(calendar_memo_limit(&none, 1), 0);
	int64_t t0 = T(from), step = 43 * 3600 + 47 * 60 + 7;	/* every hour of the day in turn */
	int n = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 200; i++) {
			int64_t t = pass == 0 ? t0 + i * step : t0 + (199 - i) * step;
			struct answers a, b, c;
			ask(&memo, t, &a);
			ask(&small, t, &b);
			ask(&none, t, &c);
			assert_same_answers(&a, &b, t);
			assert_same_answers(&a, &c, t);
			n++;
		}
		if (pass == 0 && !(always_open && !nhol)) {
			/* about 400 days asked about, each converted once; the others again and again */
			assert_true(memo.days_converted > 300 && memo.days_converted < 600);
			assert_true(small.days_converted > 2 * memo.days_converted);
			assert_true(none.days_converted > small.days_converted);
		}
	}
	assert_int_equal(n, 400);
	if (!(always_open && !nhol)) {
		/* the backward pass found every day remembered */
		assert_true(memo.days_converted < 600);
		assert_int_equal(small.memo_slots, 4);
		assert_int_equal(memo.memo_slots, 512);
	} else {
		/* a 24x7 calendar without holidays needs no days at all */
		assert_int_equal(memo.days_converted + small.days_converted + none.days_converted, 0);
	}
	assert_int_equal(none.memo_slots, 1);
	calendar_release(&memo);
	calendar_release(&small);
	calendar_release(&none);
}

static void memo_same_answers(void **state)
{
	(void)state;
	/* Easter, a holiday on the autumn change's Sunday, Christmas */
	const char *hol[] = { "2026-04-03", "2026-04-06", "2026-10-25", "2026-12-25" };
	memo_matches("Europe/Berlin", false, office, N_ELEMS(office), hol, N_ELEMS(hol),
		     "2026-01-03T05:00:00+01:00");
	memo_matches("Europe/Berlin", false, lunch, N_ELEMS(lunch), NULL, 0,
		     "2026-01-03T05:00:00+01:00");
	memo_matches("Europe/Berlin", true, NULL, 0, hol, N_ELEMS(hol), "2026-01-03T05:00:00+01:00");
	/* Sundays only, with hours that fall in the spring gap and repeat in autumn */
	const struct calendar_hours sunday[] = { { 7, 0, 150 }, { 7, 150, 240 }, { 7, 600, 1440 } };
	memo_matches("Europe/Berlin", false, sunday, N_ELEMS(sunday), NULL, 0,
		     "2026-01-03T05:00:00+01:00");
	memo_matches("America/New_York", false, lunch, N_ELEMS(lunch), hol, N_ELEMS(hol),
		     "2026-01-03T05:00:00-05:00");
	/* half-hour changes, and a zone far ahead of UTC */
	memo_matches("Australia/Lord_Howe", false, office, N_ELEMS(office), NULL, 0,
		     "2026-01-03T05:00:00+11:00");
	memo_matches("Pacific/Kiritimati", false, office, N_ELEMS(office), hol, N_ELEMS(hol),
		     "2026-01-03T05:00:00+14:00");
	memo_matches("UTC", true, NULL, 0, NULL, 0, "2026-01-03T05:00:00Z");
}

/* The DST days themselves: remembered, evicted and converted again, never changed. */
static void memo_dst_days_and_eviction(void **state)
{
	(void)state;
	struct calendar cal;
	const char *hol[] = { "2026-10-25" };	/* the autumn change's Sunday */
	const struct calendar_hours every[] = {
		{ 1, 0, 1440 }, { 2, 0, 1440 }, { 3, 0, 1440 }, { 4, 0, 1440 },
		{ 5, 0, 1440 }, { 6, 0, 1440 }, { 7, 0, 1440 },
	};
	open_cal(&cal, "Europe/Berlin", false, every, N_ELEMS(every), hol, 1);
	const char *spring_a = "2026-03-29T00:00:00+01:00", *spring_b = "2026-03-30T00:00:00+02:00";
	const char *autumn_a = "2026-10-24T00:00:00+02:00", *autumn_b = "2026-10-26T00:00:00+01:00";
	assert_int_equal(between(&cal, spring_a, spring_b), 1380);
	assert_true(cal.days_converted >= 1 && cal.days_converted <= 3);
	/* a due time looks up to a month ahead */
	assert_instant(add(&cal, spring_a, 1380), spring_b);
	uint64_t converted = cal.days_converted;
	/* asked again: the memo answers, ICU is not asked */
	assert_int_equal(between(&cal, spring_a, spring_b), 1380);
	assert_instant(add(&cal, spring_a, 1380), spring_b);
	assert_int_equal(cal.days_converted, converted);
	/* Saturday counts 24 hours; the holiday's 25 do not */
	assert_int_equal(between(&cal, autumn_a, autumn_b), 1440);
	assert_instant(add(&cal, autumn_a, 1440 + 1), "2026-10-26T00:01:00+01:00");
	converted = cal.days_converted;

	/* a year walked with a memo of 8 days: the DST days are evicted */
	assert_int_equal(calendar_memo_limit(&cal, 8), 0);
	assert_int_equal(calendar_memo_limit(&cal, 0), -1);
	assert_int_equal(between(&cal, "2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00"),
			 365 * 1440 - 1500);	/* the holiday had 25 hours */
	assert_int_equal(cal.memo_slots, 8);
	converted = cal.days_converted;
	assert_int_equal(between(&cal, spring_a, spring_b), 1380);
	assert_true(cal.days_converted > converted);	/* converted again, the same answer */
	converted = cal.days_converted;
	assert_int_equal(between(&cal, autumn_a, autumn_b), 1440);
	assert_true(cal.days_converted > converted);
	/* and the bound grows back: a memo of 12 days holds a week and a half */
	assert_int_equal(calendar_memo_limit(&cal, 12), 0);
	assert_int_equal(cal.memo_max, 8);
	assert_int_equal(calendar_memo_limit(&cal, 16), 0);
	assert_int_equal(between(&cal, "2026-03-25T00:00:00+01:00", "2026-04-04T00:00:00+02:00"),
			 10 * 1440 - 60);
	converted = cal.days_converted;
	assert_int_equal(between(&cal, "2026-03-25T00:00:00+01:00", "2026-04-04T00:00:00+02:00"),
			 10 * 1440 - 60);
	assert_int_equal(cal.days_converted, converted);
	assert_int_equal(cal.memo_slots, 16);
	calendar_release(&cal);
}

/* A memo that cannot grow (no memory) still answers, from the days it has. */
static void memo_out_of_memory(void **state)
{
	(void)state;
	struct calendar cal, none;
	open_cal(&cal, "Europe/Berlin", false, office, N_ELEMS(office), NULL, 0);
	open_cal(&none, "Europe/Berlin", false, office, N_ELEMS(office), NULL, 0);
	assert_int_equal(calendar_memo_limit(&none, 1), 0);
	char err[CALENDAR_ERR_LEN];
	int64_t want = 0, got = 0;
	assert_int_equal(calendar_minutes_between(&none, T("2026-03-02T10:00:00+01:00"),
						  T("2026-04-02T10:00:00+02:00"), &want, err,
						  sizeof(err)), 0);
	alloc_fail_after(0);
	int rc = calendar_minutes_between(&cal, T("2026-03-02T10:00:00+01:00"),
					  T("2026-04-02T10:00:00+02:00"), &got, err, sizeof(err));
	alloc_fail_after(-1);
	assert_int_equal(rc, 0);
	assert_int_equal(got, want);
	assert_int_equal(cal.memo_slots, 1);
	calendar_release(&cal);
	calendar_release(&none);
}

static void kind_names(void **state)
{
	(void)state;
	assert_string_equal(calendar_kind_name(CALENDAR_COUNTED), "counted");
	assert_string_equal(calendar_kind_name(CALENDAR_OUTSIDE_HOURS), "outside_hours");
	assert_string_equal(calendar_kind_name(CALENDAR_HOLIDAY), "holiday");
	assert_string_equal(calendar_kind_name(CALENDAR_KIND__MAX), "?");
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_hhmm),
		cmocka_unit_test(parse_date),
		cmocka_unit_test(init_refuses_bad_input),
		cmocka_unit_test(init_from_json),
		cmocka_unit_test(init_out_of_memory),
		cmocka_unit_test(zone_names_taken),
		cmocka_unit_test(zone_names_refused),
		cmocka_unit_test(zone_wall_clock),
		cmocka_unit_test(same_day),
		cmocka_unit_test(overnight),
		cmocka_unit_test(start_at_closing_time),
		cmocka_unit_test(weekend),
		cmocka_unit_test(holiday_on_friday),
		cmocka_unit_test(holiday_on_monday_after_weekend),
		cmocka_unit_test(lunch_break),
		cmocka_unit_test(zero_minutes),
		cmocka_unit_test(seconds_round_up),
		cmocka_unit_test(minutes_between),
		cmocka_unit_test(always_open_utc),
		cmocka_unit_test(always_open_with_holiday),
		cmocka_unit_test(dst_berlin_always_open),
		cmocka_unit_test(dst_berlin_business_day),
		cmocka_unit_test(dst_berlin_office),
		cmocka_unit_test(dst_hours_in_the_gap),
		cmocka_unit_test(dst_new_york),
		cmocka_unit_test(half_hour_zones),
		cmocka_unit_test(no_working_time),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(long_target_is_quick),
		cmocka_unit_test(walker_intervals),
		cmocka_unit_test(walker_holiday_on_weekend_and_lunch),
		cmocka_unit_test(walker_across_dst),
		cmocka_unit_test(walker_always_open_and_interval_at),
		cmocka_unit_test(memo_same_answers),
		cmocka_unit_test(memo_dst_days_and_eviction),
		cmocka_unit_test(memo_out_of_memory),
		cmocka_unit_test(kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
