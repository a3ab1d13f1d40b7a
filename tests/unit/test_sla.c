/*
 * test_sla.c - src/service/sla: a ticket's response and resolution clocks
 * from its status history (pauses over a weekend, a pause still open,
 * resolving, reopening, cancelling), breaches, zero targets, DST, the
 * timeline that explains a due time, its JSON, and the 50/75/90/100 %
 * warnings, and the same clocks from a calendar whose memo remembers the
 * days of many tickets as from one that remembers none. Unless a test
 * says otherwise the calendar is Europe/Berlin, Monday to Friday
 * 08:00-17:00, and times are written in local time.
 */
#include "core/alloc.h"
#include "core/arena.h"
#include "core/calendar.h"
#include "core/timeutil.h"
#include "service/sla.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct calendar_hours office[] = {
	{ 1, 480, 1020 }, { 2, 480, 1020 }, { 3, 480, 1020 }, { 4, 480, 1020 }, { 5, 480, 1020 },
};

static const char *const pauses[] = { "waiting_customer", "waiting_parts" };

static int64_t T(const char *s)
{
	int64_t t = 0;
	if (time_parse(s, &t) != 0)
		fail_msg("bad time in test: %s", s);
	return t;
}

#define assert_instant(got, want)                                                     \
	do {                                                                          \
		char g_[TIME_RFC3339_LEN], w_[TIME_RFC3339_LEN];                      \
		time_format((got), g_);                                               \
		time_format(T(want), w_);                                             \
		assert_string_equal(g_, w_);                                          \
	} while (0)

/* The office calendar, opened for each test and released after it. */
static int setup(void **state)
{
	static struct calendar cal;
	char err[CALENDAR_ERR_LEN];
	const char *hol[] = { "2026-04-03" };	/* Good Friday */
	if (calendar_init(&cal, "Europe/Berlin", false, office, N_ELEMS(office), hol, 1, err,
			  sizeof(err)))
		return -1;
	*state = &cal;
	return 0;
}

static int teardown(void **state)
{
	calendar_release(*state);
	return 0;
}

static struct sla_input input(struct calendar *cal, const char *created, int64_t response,
			      int64_t resolution, const struct sla_change *h, size_t nh,
			      const char *now)
{
	return (struct sla_input){
		.cal = cal,
		.policy_id = 3,
		.policy_name = "Gold",
		.response_minutes = response,
		.resolution_minutes = resolution,
		.pause_statuses = pauses,
		.npause_statuses = N_ELEMS(pauses),
		.created_at = T(created),
		.history = h,
		.nhistory = nh,
		.now = T(now),
	};
}

static struct sla_result compute(const struct sla_input *in)
{
	struct sla_result r;
	char err[SLA_ERR_LEN] = "";
	memset(&r, 0xa5, sizeof(r));
	if (sla_compute(in, &r, err, sizeof(err)) != 0)
		fail_msg("sla_compute: %s", err);
	return r;
}

static void assert_same_clock(const struct sla_clock *a, const struct sla_clock *b)
{
	assert_int_equal(a->has_target, b->has_target);
	assert_int_equal(a->target_minutes, b->target_minutes);
	assert_int_equal(a->due_at, b->due_at);
	assert_int_equal(a->stopped_at, b->stopped_at);
	assert_int_equal(a->elapsed_minutes, b->elapsed_minutes);
	assert_int_equal(a->percent, b->percent);
	assert_int_equal(a->breached, b->breached);
}

static void assert_same_result(const struct sla_result *a, const struct sla_result *b)
{
	assert_int_equal(a->started_at, b->started_at);
	assert_int_equal(a->now, b->now);
	assert_same_clock(&a->response, &b->response);
	assert_same_clock(&a->resolution, &b->resolution);
	assert_int_equal(a->paused_minutes, b->paused_minutes);
	assert_int_equal(a->stopped_minutes, b->stopped_minutes);
}

/* ---- response ---- */

static void response_on_time(void **state)
{
	const struct sla_change h[] = { { T("2026-03-02T09:00:00+01:00"), "new" } };
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 60, 480, h, 1,
				    "2026-03-02T11:00:00+01:00");
	in.first_responded_at = T("2026-03-02T09:30:00+01:00");
	struct sla_result r = compute(&in);
	assert_true(r.response.has_target);
	assert_instant(r.response.due_at, "2026-03-02T10:00:00+01:00");
	assert_instant(r.response.stopped_at, "2026-03-02T09:30:00+01:00");
	assert_int_equal(r.response.elapsed_minutes, 30);
	assert_int_equal(r.response.percent, 50);
	assert_false(r.response.breached);
	/* the resolution clock runs on */
	assert_instant(r.resolution.due_at, "2026-03-02T17:00:00+01:00");
	assert_int_equal(r.resolution.stopped_at, SLA_NONE);
	assert_int_equal(r.resolution.elapsed_minutes, 120);
	assert_int_equal(r.resolution.percent, 25);
	assert_false(r.resolution.breached);
	assert_int_equal(r.paused_minutes, 0);
}

static void response_breached(void **state)
{
	const struct sla_change h[] = { { T("2026-03-02T09:00:00+01:00"), "new" } };
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 60, 480, h, 1,
				    "2026-03-02T11:00:00+01:00");
	in.first_responded_at = T("2026-03-02T10:30:00+01:00");
	struct sla_result r = compute(&in);
	assert_true(r.response.breached);
	assert_int_equal(r.response.elapsed_minutes, 90);
	assert_int_equal(r.response.percent, 150);

	/* no response yet: breached once now is past the due time */
	in.first_responded_at = SLA_NONE;
	in.now = T("2026-03-02T10:00:00+01:00");
	r = compute(&in);
	assert_false(r.response.breached);
	assert_int_equal(r.response.percent, 100);
	assert_int_equal(r.response.stopped_at, SLA_NONE);
	in.now = T("2026-03-02T10:00:01+01:00");
	r = compute(&in);
	assert_true(r.response.breached);
}

static void response_overnight(void **state)
{
	const struct sla_change h[] = { { T("2026-03-02T16:30:00+01:00"), "new" } };
	struct sla_input in = input(*state, "2026-03-02T16:30:00+01:00", 60, 600, h, 1,
				    "2026-03-03T08:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_instant(r.response.due_at, "2026-03-03T08:30:00+01:00");
	assert_int_equal(r.response.elapsed_minutes, 30);
	assert_int_equal(r.response.percent, 50);
	assert_false(r.response.breached);
	/* 30 minutes on Monday, 540 on Tuesday, 30 on Wednesday */
	assert_instant(r.resolution.due_at, "2026-03-04T08:30:00+01:00");
}

static void seconds_round_up(void **state)
{
	const struct sla_change h[] = { { T("2026-03-02T09:13:47+01:00"), "new" } };
	struct sla_input in = input(*state, "2026-03-02T09:13:47+01:00", 60, SLA_NO_TARGET, h, 1,
				    "2026-03-02T12:00:00+01:00");
	in.first_responded_at = T("2026-03-02T10:14:00+01:00");
	struct sla_result r = compute(&in);
	assert_instant(r.started_at, "2026-03-02T09:14:00+01:00");
	assert_instant(r.response.due_at, "2026-03-02T10:14:00+01:00");
	assert_false(r.response.breached);
	in.first_responded_at = T("2026-03-02T10:14:01+01:00");
	r = compute(&in);
	assert_true(r.response.breached);
	assert_false(r.resolution.has_target);
	assert_int_equal(r.resolution.due_at, 0);
}

/* ---- resolution and pauses ---- */

static void resolution_due(void **state)
{
	const struct sla_change h[] = { { T("2026-03-02T09:00:00+01:00"), "new" } };
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", SLA_NO_TARGET, 600, h, 1,
				    "2026-03-02T09:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_false(r.response.has_target);
	assert_false(r.response.breached);
	/* 480 on Monday from 09:00, 120 on Tuesday */
	assert_instant(r.resolution.due_at, "2026-03-03T10:00:00+01:00");
	assert_int_equal(r.resolution.elapsed_minutes, 0);
	assert_int_equal(r.resolution.percent, 0);
}

/* Friday 09:00 to Monday 10:30; paused Friday 16:00 to Monday 10:00. */
static const struct sla_change weekend_pause[] = {
	{ 0, "new" }, { 0, "in_progress" }, { 0, "waiting_customer" }, { 0, "in_progress" },
};

static void fill_weekend_pause(struct sla_change h[4])
{
	memcpy(h, weekend_pause, sizeof(weekend_pause));
	h[0].at = T("2026-03-06T09:00:00+01:00");
	h[1].at = T("2026-03-06T09:30:00+01:00");
	h[2].at = T("2026-03-06T16:00:00+01:00");
	h[3].at = T("2026-03-09T10:00:00+01:00");
}

static void pause_across_weekend(void **state)
{
	struct sla_change h[4];
	fill_weekend_pause(h);
	struct sla_input in = input(*state, "2026-03-06T09:00:00+01:00", 60, 480, h, 4,
				    "2026-03-09T10:30:00+01:00");
	in.first_responded_at = T("2026-03-06T09:30:00+01:00");
	struct sla_result r = compute(&in);
	/* only the pause's working minutes count: 60 on Friday, 120 on Monday */
	assert_int_equal(r.paused_minutes, 180);
	assert_int_equal(r.stopped_minutes, 0);
	/* 420 run on Friday, so 60 are left from Monday 10:00 */
	assert_instant(r.resolution.due_at, "2026-03-09T11:00:00+01:00");
	assert_int_equal(r.resolution.elapsed_minutes, 450);
	assert_int_equal(r.resolution.percent, 93);
	assert_false(r.resolution.breached);
	assert_false(r.response.breached);
}

static void pause_open_at_now(void **state)
{
	struct sla_change h[4];
	fill_weekend_pause(h);
	struct sla_input in = input(*state, "2026-03-06T09:00:00+01:00", 60, 480, h, 3,
				    "2026-03-09T09:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_int_equal(r.paused_minutes, 120);
	assert_instant(r.resolution.due_at, "2026-03-09T10:00:00+01:00");
	assert_int_equal(r.resolution.elapsed_minutes, 420);
	assert_int_equal(r.resolution.percent, 87);
	assert_false(r.resolution.breached);
	/* the due time moves on with the pause */
	in.now = T("2026-03-09T09:30:00+01:00");
	r = compute(&in);
	assert_int_equal(r.paused_minutes, 150);
	assert_instant(r.resolution.due_at, "2026-03-09T10:30:00+01:00");
	assert_int_equal(r.resolution.percent, 87);
	in.now = T("2026-03-10T12:00:00+01:00");
	r = compute(&in);
	assert_instant(r.resolution.due_at, "2026-03-10T13:00:00+01:00");
	assert_false(r.resolution.breached);
	/* a pause does not stop the response clock */
	assert_true(r.response.breached);
	assert_int_equal(r.response.elapsed_minutes, 480 + 540 + 240);
}

static void pause_after_due_does_not_unbreach(void **state)
{
	const struct sla_change h[] = {
		{ T("2026-03-02T09:00:00+01:00"), "new" },
		{ T("2026-03-02T11:00:00+01:00"), "waiting_customer" },
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", SLA_NO_TARGET, 60, h, 2,
				    "2026-03-02T14:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_instant(r.resolution.due_at, "2026-03-02T10:00:00+01:00");
	assert_int_equal(r.paused_minutes, 0);
	assert_int_equal(r.resolution.elapsed_minutes, 120);
	assert_int_equal(r.resolution.percent, 200);
	assert_true(r.resolution.breached);
}

static void resolved_before_due(void **state)
{
	const struct sla_change h[] = {
		{ T("2026-03-02T09:00:00+01:00"), "new" },
		{ T("2026-03-02T09:10:00+01:00"), "in_progress" },
		{ T("2026-03-02T15:00:00+01:00"), "resolved" },
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 60, 480, h, 3,
				    "2026-03-02T15:00:00+01:00");
	in.first_responded_at = T("2026-03-02T09:10:00+01:00");
	in.resolved_at = T("2026-03-02T15:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_instant(r.resolution.due_at, "2026-03-02T17:00:00+01:00");
	assert_instant(r.resolution.stopped_at, "2026-03-02T15:00:00+01:00");
	assert_int_equal(r.resolution.elapsed_minutes, 360);
	assert_int_equal(r.resolution.percent, 75);
	assert_false(r.resolution.breached);
	/* days later nothing has moved */
	in.now = T("2026-03-11T10:00:00+01:00");
	struct sla_result later = compute(&in);
	assert_same_clock(&later.response, &r.response);
	assert_same_clock(&later.resolution, &r.resolution);
	/* the caller may not know resolved_at: the history says it */
	in.resolved_at = SLA_NONE;
	later = compute(&in);
	assert_same_clock(&later.resolution, &r.resolution);
}

static void resolved_after_due(void **state)
{
	const struct sla_change h[] = {
		{ T("2026-03-02T09:00:00+01:00"), "new" },
		{ T("2026-03-03T10:00:00+01:00"), "resolved" },
		{ T("2026-03-05T10:00:00+01:00"), "closed" },
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", SLA_NO_TARGET, 480, h, 3,
				    "2026-03-09T10:00:00+01:00");
	struct sla_result r = compute(&in);
	/* closing after resolving does not move the stop */
	assert_instant(r.resolution.stopped_at, "2026-03-03T10:00:00+01:00");
	assert_true(r.resolution.breached);
	assert_int_equal(r.resolution.elapsed_minutes, 600);
	assert_int_equal(r.resolution.percent, 125);
}

static void resolved_at_without_history(void **state)
{
	const struct sla_change h[] = { { T("2026-03-02T09:00:00+01:00"), "in_progress" } };
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", SLA_NO_TARGET, 480, h, 1,
				    "2026-03-04T10:00:00+01:00");
	in.resolved_at = T("2026-03-02T15:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_instant(r.resolution.stopped_at, "2026-03-02T15:00:00+01:00");
	assert_int_equal(r.resolution.elapsed_minutes, 360);
	assert_false(r.resolution.breached);
}

static void reopened(void **state)
{
	const struct sla_change h[] = {
		{ T("2026-03-02T09:00:00+01:00"), "new" },
		{ T("2026-03-02T12:00:00+01:00"), "resolved" },
		{ T("2026-03-03T08:30:00+01:00"), "in_progress" },
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 60, 480, h, 3,
				    "2026-03-03T10:00:00+01:00");
	struct sla_result r = compute(&in);
	/* 180 ran on Monday; resolved for 300 + 30 working minutes; 300 left from 08:30 */
	assert_int_equal(r.stopped_minutes, 330);
	assert_int_equal(r.paused_minutes, 0);
	assert_instant(r.resolution.due_at, "2026-03-03T13:30:00+01:00");
	assert_int_equal(r.resolution.stopped_at, SLA_NONE);
	assert_int_equal(r.resolution.elapsed_minutes, 270);
	assert_int_equal(r.resolution.percent, 56);
	assert_false(r.resolution.breached);
	/* never answered: the response clock stopped when the ticket was resolved */
	assert_instant(r.response.stopped_at, "2026-03-02T12:00:00+01:00");
	assert_true(r.response.breached);
	assert_int_equal(r.response.percent, 300);
	in.first_responded_at = T("2026-03-02T09:45:00+01:00");
	r = compute(&in);
	assert_false(r.response.breached);
	assert_int_equal(r.response.percent, 75);
}

static void cancelled_without_response(void **state)
{
	const struct sla_change h[] = {
		{ T("2026-03-02T09:00:00+01:00"), "new" },
		{ T("2026-03-02T09:20:00+01:00"), "cancelled" },
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 60, 480, h, 2,
				    "2026-03-03T12:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_instant(r.response.stopped_at, "2026-03-02T09:20:00+01:00");
	assert_false(r.response.breached);
	assert_int_equal(r.response.percent, 33);
	assert_instant(r.resolution.stopped_at, "2026-03-02T09:20:00+01:00");
	assert_int_equal(r.resolution.percent, 4);
	assert_false(r.resolution.breached);
	/* stopped clocks do not warn */
	assert_int_equal(sla_warnings_new(&r, 0), 0);
}

static void priority_change_is_pure(void **state)
{
	struct sla_change h[4];
	fill_weekend_pause(h);
	struct sla_input high = input(*state, "2026-03-06T09:00:00+01:00", 60, 480, h, 4,
				      "2026-03-09T10:30:00+01:00");
	struct sla_input low = high;
	low.response_minutes = 240;
	low.resolution_minutes = 1440;
	struct sla_result r1 = compute(&high);
	struct sla_result r2 = compute(&low);
	/* other work on the same calendar in between changes nothing */
	int64_t due;
	char err[CALENDAR_ERR_LEN];
	assert_int_equal(calendar_add_minutes(high.cal, T("2031-07-01T00:00:00Z"), 9999, &due, err,
					      sizeof(err)), 0);
	struct sla_result r3 = compute(&high);
	assert_same_result(&r1, &r3);
	/* the new targets count from created_at, pauses included */
	assert_instant(r2.response.due_at, "2026-03-06T13:00:00+01:00");
	assert_int_equal(r2.paused_minutes, 180);
	/* 420 Friday, 30 Monday 10:00-10:30 so far; due after 1440 running minutes */
	assert_int_equal(r2.resolution.elapsed_minutes, 450);
	assert_instant(r2.resolution.due_at, "2026-03-11T09:00:00+01:00");
	assert_int_equal(r2.resolution.percent, 31);
}

static void zero_targets(void **state)
{
	const struct sla_change h[] = { { T("2026-03-02T09:00:00+01:00"), "new" } };
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 0, 0, h, 1,
				    "2026-03-02T09:00:00+01:00");
	in.first_responded_at = T("2026-03-02T09:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_instant(r.response.due_at, "2026-03-02T09:00:00+01:00");
	assert_false(r.response.breached);
	assert_int_equal(r.response.percent, 100);
	assert_instant(r.resolution.due_at, "2026-03-02T09:00:00+01:00");
	assert_int_equal(r.resolution.percent, 100);
	in.first_responded_at = T("2026-03-02T09:01:00+01:00");
	in.now = T("2026-03-02T09:05:00+01:00");
	r = compute(&in);
	assert_true(r.response.breached);
	assert_true(r.resolution.breached);

	/* created on a Saturday: due at Monday's opening */
	const struct sla_change sat[] = { { T("2026-03-07T10:00:00+01:00"), "new" } };
	in = input(*state, "2026-03-07T10:00:00+01:00", 0, 0, sat, 1, "2026-03-07T11:00:00+01:00");
	r = compute(&in);
	assert_instant(r.response.due_at, "2026-03-09T08:00:00+01:00");
	assert_instant(r.resolution.due_at, "2026-03-09T08:00:00+01:00");
	assert_int_equal(r.response.percent, 0);
	assert_false(r.response.breached);
}

static void start_on_holiday_and_at_closing(void **state)
{
	const struct sla_change h[] = { { T("2026-04-03T10:00:00+02:00"), "new" } };
	struct sla_input in = input(*state, "2026-04-03T10:00:00+02:00", 60, 120, h, 1,
				    "2026-04-03T10:00:00+02:00");
	struct sla_result r = compute(&in);
	assert_instant(r.response.due_at, "2026-04-06T09:00:00+02:00");
	assert_instant(r.resolution.due_at, "2026-04-06T10:00:00+02:00");

	const struct sla_change c[] = { { T("2026-03-02T17:00:00+01:00"), "new" } };
	in = input(*state, "2026-03-02T17:00:00+01:00", 60, 120, c, 1, "2026-03-02T17:00:00+01:00");
	r = compute(&in);
	assert_instant(r.response.due_at, "2026-03-03T09:00:00+01:00");
	assert_instant(r.resolution.due_at, "2026-03-03T10:00:00+01:00");
}

static void no_working_time(void **state)
{
	(void)state;
	struct calendar none;
	char err[SLA_ERR_LEN];
	assert_int_equal(calendar_init(&none, "Europe/Berlin", false, NULL, 0, NULL, 0, err,
				       sizeof(err)), 0);
	const struct sla_change h[] = { { T("2026-03-02T09:00:00+01:00"), "new" } };
	struct sla_input in = input(&none, "2026-03-02T09:00:00+01:00", SLA_NO_TARGET, 60, h, 1,
				    "2026-03-02T10:00:00+01:00");
	struct sla_result r;
	r.paused_minutes = 42;
	assert_int_equal(sla_compute(&in, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "calendar has no working hours");
	assert_int_equal(r.paused_minutes, 42);
	in.resolution_minutes = SLA_NO_TARGET;
	in.response_minutes = 10;
	assert_int_equal(sla_compute(&in, &r, err, sizeof(err)), -1);
	/* no targets, nothing to compute */
	in.response_minutes = SLA_NO_TARGET;
	assert_int_equal(sla_compute(&in, &r, err, sizeof(err)), 0);
	calendar_release(&none);

	/* open all day, every day a holiday for four years */
	enum { DAYS = 4 * 366 };
	static char dates[DAYS][11];
	const char *hol[DAYS];
	int64_t day0 = T("2026-01-01T00:00:00Z") / 86400;
	for (int i = 0; i < DAYS; i++) {
		char iso[TIME_RFC3339_LEN];
		time_format((day0 + i) * 86400, iso);
		memcpy(dates[i], iso, 10);
		dates[i][10] = '\0';
		hol[i] = dates[i];
	}
	assert_int_equal(calendar_init(&none, "UTC", true, NULL, 0, hol, DAYS, err, sizeof(err)),
			 0);
	const struct sla_change h2[] = { { T("2026-01-02T09:00:00Z"), "new" } };
	in = input(&none, "2026-01-02T09:00:00Z", SLA_NO_TARGET, 60, h2, 1, "2026-01-02T10:00:00Z");
	int64_t t0 = time_mono_ns();
	assert_int_equal(sla_compute(&in, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "calendar has no working time for 3 years");
	assert_true(time_mono_ns() - t0 < 2000000000LL);
	calendar_release(&none);
}

static void bad_input(void **state)
{
	struct sla_result r;
	char err[SLA_ERR_LEN];
	const struct sla_change h[] = {
		{ T("2026-03-02T10:00:00+01:00"), "new" },
		{ T("2026-03-02T09:00:00+01:00"), "in_progress" },
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 60, 480, h, 2,
				    "2026-03-02T11:00:00+01:00");
	assert_int_equal(sla_compute(&in, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "history[1]: not in time order");
	const struct sla_change nul[] = { { T("2026-03-02T10:00:00+01:00"), NULL } };
	in.history = nul;
	in.nhistory = 1;
	assert_int_equal(sla_compute(&in, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "history[0]: status is missing");
	in.nhistory = 0;
	in.response_minutes = -5;
	assert_int_equal(sla_compute(&in, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "targets must be 0 to 52596000 minutes");
	in.response_minutes = 60;
	in.created_at = INT64_MIN;
	assert_int_equal(sla_compute(&in, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "time out of range");
	in.created_at = T("2026-03-02T09:00:00+01:00");
	in.cal = NULL;
	assert_int_equal(sla_compute(&in, &r, NULL, 0), -1);
	/* no history at all: the clock runs */
	in.cal = *state;
	r = compute(&in);
	assert_int_equal(r.resolution.elapsed_minutes, 120);
}

static void history_before_created_and_after_now(void **state)
{
	const struct sla_change h[] = {
		{ T("2026-03-02T08:59:00+01:00"), "waiting_customer" },	/* counts from created */
		{ T("2026-03-02T10:00:00+01:00"), "in_progress" },
		{ T("2026-03-02T12:00:00+01:00"), "resolved" },		/* after now: ignored */
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", SLA_NO_TARGET, 480, h, 3,
				    "2026-03-02T11:00:00+01:00");
	struct sla_result r = compute(&in);
	assert_int_equal(r.paused_minutes, 60);
	assert_int_equal(r.resolution.stopped_at, SLA_NONE);
	assert_int_equal(r.resolution.elapsed_minutes, 60);
	assert_instant(r.resolution.due_at, "2026-03-03T09:00:00+01:00");
}

/* ---- calendars with DST and 24x7 ---- */

static void always_open_and_dst(void **state)
{
	(void)state;
	struct calendar cal;
	char err[SLA_ERR_LEN];
	assert_int_equal(calendar_init(&cal, "Europe/Berlin", true, NULL, 0, NULL, 0, err,
				       sizeof(err)), 0);
	const struct sla_change h[] = {
		{ T("2026-03-28T20:00:00+01:00"), "new" },
		{ T("2026-03-29T01:00:00+01:00"), "waiting_customer" },
		{ T("2026-03-29T04:00:00+02:00"), "in_progress" },
	};
	struct sla_input in = input(&cal, "2026-03-28T20:00:00+01:00", 60, 600, h, 3,
				    "2026-03-29T05:00:00+02:00");
	struct sla_result r = compute(&in);
	assert_instant(r.response.due_at, "2026-03-28T21:00:00+01:00");
	/* the wall clock shows three hours of pause, two really passed */
	assert_int_equal(r.paused_minutes, 120);
	/* 300 minutes before the pause, 300 after it */
	assert_instant(r.resolution.due_at, "2026-03-29T09:00:00+02:00");
	assert_int_equal(r.resolution.elapsed_minutes, 360);
	in.resolution_minutes = 1440;
	in.nhistory = 1;
	r = compute(&in);
	assert_instant(r.resolution.due_at, "2026-03-29T21:00:00+02:00");
	calendar_release(&cal);
}

static void new_york_office_dst(void **state)
{
	(void)state;
	struct calendar cal;
	char err[SLA_ERR_LEN];
	assert_int_equal(calendar_init(&cal, "America/New_York", false, office, N_ELEMS(office),
				       NULL, 0, err, sizeof(err)), 0);
	const struct sla_change h[] = {
		{ T("2026-03-06T15:00:00-05:00"), "new" },
		{ T("2026-03-06T16:00:00-05:00"), "waiting_parts" },
		{ T("2026-03-09T09:00:00-04:00"), "in_progress" },
	};
	struct sla_input in = input(&cal, "2026-03-06T15:00:00-05:00", 240, 240, h, 3,
				    "2026-03-09T09:30:00-04:00");
	struct sla_result r = compute(&in);
	assert_instant(r.response.due_at, "2026-03-09T10:00:00-04:00");
	assert_int_equal(r.paused_minutes, 120);
	assert_instant(r.resolution.due_at, "2026-03-09T12:00:00-04:00");
	assert_int_equal(r.resolution.percent, 37);
	calendar_release(&cal);
}

/* ---- the timeline ---- */

#define assert_iv(tl, i, from, to, k, mins, clk, st, fut)                             \
	do {                                                                          \
		const struct sla_interval *iv_ = &(tl).items[i];                      \
		assert_instant(iv_->start, from);                                     \
		assert_instant(iv_->end, to);                                         \
		assert_string_equal(sla_kind_name(iv_->kind), k);                     \
		assert_int_equal(iv_->minutes, mins);                                 \
		assert_int_equal(iv_->clocks, clk);                                   \
		if ((st) == NULL)                                                     \
			assert_null(iv_->status);                                     \
		else                                                                  \
			assert_string_equal(iv_->status, (st) ? (st) : "");           \
		assert_int_equal(iv_->future, fut);                                   \
	} while (0)

#define BOTH (SLA_CLOCK_RESPONSE | SLA_CLOCK_RESOLUTION)
#define RES SLA_CLOCK_RESOLUTION
#define RESP SLA_CLOCK_RESPONSE

static struct sla_timeline timeline(struct arena *a, const struct sla_input *in,
				    const struct sla_result *r)
{
	struct sla_timeline tl;
	char err[SLA_ERR_LEN] = "";
	if (sla_timeline(a, in, r, &tl, err, sizeof(err)) != 0)
		fail_msg("sla_timeline: %s", err);
	return tl;
}

/*
 * The sweep's case: one calendar (its memo filling up) computes ticket
 * after ticket, each with pauses, over a year that has both DST changes
 * and holidays; a calendar with no memo (1 day) gives the same clocks and
 * the same timelines, and so does a memo that keeps evicting (8 days).
 */
static void memo_same_clocks(void **state)
{
	(void)state;
	const char *hol[] = { "2026-04-03", "2026-04-06", "2026-10-26", "2026-12-25" };
	char err[SLA_ERR_LEN];
	struct calendar cal[3];
	for (int k = 0; k < 3; k++)
		assert_int_equal(calendar_init(&cal[k], "Europe/Berlin", false, office,
					       N_ELEMS(office), hol, N_ELEMS(hol), err,
					       sizeof(err)), 0);
	assert_int_equal(calendar_memo_limit(&cal[1], 8), 0);
	assert_int_equal(calendar_memo_limit(&cal[2], 1), 0);
	struct arena a;
	arena_init(&a);
	int64_t t0 = T("2026-01-05T07:13:00+01:00");
	for (int i = 0; i < 150; i++) {
		/* created every 2 days 9 hours 17 minutes; waits on the customer from day 2 to day 5 */
		int64_t created = t0 + i * (57 * 3600 + 17 * 60);
		const struct sla_change h[] = {
			{ created, "new" },
			{ created + 2 * 86400 + 3600, "waiting_customer" },
			{ created + 5 * 86400 + 7200, "in_progress" },
		};
		struct sla_result r[3];
		struct sla_timeline tl[3];
		for (int k = 0; k < 3; k++) {
			struct sla_input in = {
				.cal = &cal[k], .policy_id = 3, .policy_name = "Gold",
				.response_minutes = 240, .resolution_minutes = 2400 + i,
				.pause_statuses = pauses, .npause_statuses = N_ELEMS(pauses),
				.created_at = created, .history = h, .nhistory = N_ELEMS(h),
				.first_responded_at = i % 3 ? created + 3600 * (i % 7) : SLA_NONE,
				.resolved_at = SLA_NONE,
				.now = created + (i % 40) * 86400 + 1234,
			};
			r[k] = compute(&in);
			tl[k] = timeline(&a, &in, &r[k]);
		}
		for (int k = 1; k < 3; k++) {
			assert_same_result(&r[0], &r[k]);
			assert_int_equal(tl[0].n, tl[k].n);
			assert_int_equal(tl[0].start, tl[k].start);
			assert_int_equal(tl[0].end, tl[k].end);
			for (size_t j = 0; j < tl[0].n; j++) {
				const struct sla_interval *x = &tl[0].items[j], *y = &tl[k].items[j];
				assert_int_equal(x->start, y->start);
				assert_int_equal(x->end, y->end);
				assert_int_equal(x->kind, y->kind);
				assert_int_equal(x->clocks, y->clocks);
				assert_int_equal(x->minutes, y->minutes);
				assert_int_equal(x->future, y->future);
			}
		}
	}
	/* the memo converted each day about once; the others many times over */
	assert_true(cal[0].days_converted < 500);
	assert_true(cal[1].days_converted > 2 * cal[0].days_converted);
	assert_true(cal[2].days_converted > cal[1].days_converted);
	arena_release(&a);
	for (int k = 0; k < 3; k++)
		calendar_release(&cal[k]);
}

static void timeline_pause_across_weekend(void **state)
{
	struct sla_change h[4];
	fill_weekend_pause(h);
	struct sla_input in = input(*state, "2026-03-06T09:00:00+01:00", 60, 480, h, 4,
				    "2026-03-09T10:30:00+01:00");
	in.first_responded_at = T("2026-03-06T09:30:00+01:00");
	struct sla_result r = compute(&in);
	struct arena a;
	arena_init(&a);
	struct sla_timeline tl = timeline(&a, &in, &r);
	assert_int_equal(tl.n, 7);
	assert_false(tl.truncated);
	assert_iv(tl, 0, "2026-03-06T09:00:00+01:00", "2026-03-06T09:30:00+01:00", "counted", 30,
		  BOTH, "new", false);
	assert_iv(tl, 1, "2026-03-06T09:30:00+01:00", "2026-03-06T16:00:00+01:00", "counted", 390,
		  RES, "in_progress", false);
	assert_iv(tl, 2, "2026-03-06T16:00:00+01:00", "2026-03-06T17:00:00+01:00", "paused", 60, 0,
		  "waiting_customer", false);
	assert_iv(tl, 3, "2026-03-06T17:00:00+01:00", "2026-03-09T08:00:00+01:00",
		  "outside_hours", 0, 0, "waiting_customer", false);
	assert_iv(tl, 4, "2026-03-09T08:00:00+01:00", "2026-03-09T10:00:00+01:00", "paused", 120,
		  0, "waiting_customer", false);
	assert_iv(tl, 5, "2026-03-09T10:00:00+01:00", "2026-03-09T10:30:00+01:00", "counted", 30,
		  RES, "in_progress", false);
	assert_iv(tl, 6, "2026-03-09T10:30:00+01:00", "2026-03-09T11:00:00+01:00", "counted", 30,
		  RES, NULL, true);
	assert_instant(tl.end, "2026-03-09T11:00:00+01:00");
	/* the counted minutes of the resolution clock add up to its target */
	int64_t counted = 0, paused = 0;
	for (size_t i = 0; i < tl.n; i++) {
		if (tl.items[i].kind == SLA_COUNTED && (tl.items[i].clocks & RES))
			counted += tl.items[i].minutes;
		if (tl.items[i].kind == SLA_PAUSED)
			paused += tl.items[i].minutes;
	}
	assert_int_equal(counted, 480);
	assert_int_equal(paused, r.paused_minutes);
	arena_release(&a);
}

static void timeline_breached_and_open(void **state)
{
	const struct sla_change h[] = { { T("2026-03-02T09:00:00+01:00"), "new" } };
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 30, 60, h, 1,
				    "2026-03-02T11:00:00+01:00");
	struct sla_result r = compute(&in);
	struct arena a;
	arena_init(&a);
	struct sla_timeline tl = timeline(&a, &in, &r);
	/* it ends at now; each due time the clocks ran past is a boundary */
	assert_int_equal(tl.n, 3);
	assert_iv(tl, 0, "2026-03-02T09:00:00+01:00", "2026-03-02T09:30:00+01:00", "counted", 30,
		  BOTH, "new", false);
	assert_iv(tl, 1, "2026-03-02T09:30:00+01:00", "2026-03-02T10:00:00+01:00", "counted", 30,
		  BOTH, "new", false);
	assert_iv(tl, 2, "2026-03-02T10:00:00+01:00", "2026-03-02T11:00:00+01:00", "counted", 60,
		  BOTH, "new", false);
	arena_release(&a);
}

static void timeline_holiday_forecast(void **state)
{
	const struct sla_change h[] = { { T("2026-04-02T16:00:00+02:00"), "new" } };
	struct sla_input in = input(*state, "2026-04-02T16:00:00+02:00", SLA_NO_TARGET, 120, h, 1,
				    "2026-04-02T16:30:00+02:00");
	struct sla_result r = compute(&in);
	assert_instant(r.resolution.due_at, "2026-04-06T09:00:00+02:00");
	struct arena a;
	arena_init(&a);
	struct sla_timeline tl = timeline(&a, &in, &r);
	assert_int_equal(tl.n, 6);
	assert_iv(tl, 0, "2026-04-02T16:00:00+02:00", "2026-04-02T16:30:00+02:00", "counted", 30,
		  RES, "new", false);
	assert_iv(tl, 1, "2026-04-02T16:30:00+02:00", "2026-04-02T17:00:00+02:00", "counted", 30,
		  RES, NULL, true);
	assert_iv(tl, 2, "2026-04-02T17:00:00+02:00", "2026-04-03T00:00:00+02:00",
		  "outside_hours", 0, 0, NULL, true);
	assert_iv(tl, 3, "2026-04-03T00:00:00+02:00", "2026-04-04T00:00:00+02:00", "holiday", 0,
		  0, NULL, true);
	assert_iv(tl, 4, "2026-04-04T00:00:00+02:00", "2026-04-06T08:00:00+02:00",
		  "outside_hours", 0, 0, NULL, true);
	assert_iv(tl, 5, "2026-04-06T08:00:00+02:00", "2026-04-06T09:00:00+02:00", "counted", 60,
		  RES, NULL, true);
	arena_release(&a);
}

static void timeline_resolved(void **state)
{
	const struct sla_change h[] = {
		{ T("2026-03-02T09:00:00+01:00"), "new" },
		{ T("2026-03-02T09:30:00+01:00"), "in_progress" },
		{ T("2026-03-02T15:00:00+01:00"), "resolved" },
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 60, 480, h, 3,
				    "2026-03-04T12:00:00+01:00");
	in.first_responded_at = T("2026-03-02T09:30:00+01:00");
	struct sla_result r = compute(&in);
	struct arena a;
	arena_init(&a);
	struct sla_timeline tl = timeline(&a, &in, &r);
	/* the stopped clocks end it: nothing after the resolution */
	assert_int_equal(tl.n, 2);
	assert_iv(tl, 0, "2026-03-02T09:00:00+01:00", "2026-03-02T09:30:00+01:00", "counted", 30,
		  BOTH, "new", false);
	assert_iv(tl, 1, "2026-03-02T09:30:00+01:00", "2026-03-02T15:00:00+01:00", "counted", 330,
		  RES, "in_progress", false);
	arena_release(&a);
}

static void timeline_reopened(void **state)
{
	const struct sla_change h[] = {
		{ T("2026-03-02T09:00:00+01:00"), "new" },
		{ T("2026-03-02T12:00:00+01:00"), "resolved" },
		{ T("2026-03-03T08:30:00+01:00"), "in_progress" },
	};
	struct sla_input in = input(*state, "2026-03-02T09:00:00+01:00", 60, 480, h, 3,
				    "2026-03-03T10:00:00+01:00");
	struct sla_result r = compute(&in);
	struct arena a;
	arena_init(&a);
	struct sla_timeline tl = timeline(&a, &in, &r);
	assert_int_equal(tl.n, 7);
	assert_iv(tl, 0, "2026-03-02T09:00:00+01:00", "2026-03-02T10:00:00+01:00", "counted", 60,
		  BOTH, "new", false);
	assert_iv(tl, 1, "2026-03-02T10:00:00+01:00", "2026-03-02T12:00:00+01:00", "counted", 120,
		  BOTH, "new", false);
	assert_iv(tl, 2, "2026-03-02T12:00:00+01:00", "2026-03-02T17:00:00+01:00", "stopped", 300,
		  0, "resolved", false);
	assert_iv(tl, 3, "2026-03-02T17:00:00+01:00", "2026-03-03T08:00:00+01:00",
		  "outside_hours", 0, 0, "resolved", false);
	assert_iv(tl, 4, "2026-03-03T08:00:00+01:00", "2026-03-03T08:30:00+01:00", "stopped", 30,
		  0, "resolved", false);
	assert_iv(tl, 5, "2026-03-03T08:30:00+01:00", "2026-03-03T10:00:00+01:00", "counted", 90,
		  RES, "in_progress", false);
	assert_iv(tl, 6, "2026-03-03T10:00:00+01:00", "2026-03-03T13:30:00+01:00", "counted", 210,
		  RES, NULL, true);
	arena_release(&a);
}

static void timeline_truncated(void **state)
{
	(void)state;
	struct calendar cal;
	char err[SLA_ERR_LEN];
	static const struct calendar_hours lunch[] = {
		{ 1, 480, 720 }, { 1, 780, 1020 }, { 2, 480, 720 }, { 2, 780, 1020 },
		{ 3, 480, 720 }, { 3, 780, 1020 }, { 4, 480, 720 }, { 4, 780, 1020 },
		{ 5, 480, 720 }, { 5, 780, 1020 },
	};
	assert_int_equal(calendar_init(&cal, "Europe/Berlin", false, lunch, N_ELEMS(lunch), NULL,
				       0, err, sizeof(err)), 0);
	/* open for seven years: four intervals a working day */
	const struct sla_change h[] = { { T("2019-01-07T09:00:00+01:00"), "new" } };
	struct sla_input in = input(&cal, "2019-01-07T09:00:00+01:00", SLA_NO_TARGET,
				    SLA_NO_TARGET, h, 1, "2026-01-05T09:00:00+01:00");
	struct sla_result r = compute(&in);
	struct arena a;
	arena_init(&a);
	struct sla_timeline tl = timeline(&a, &in, &r);
	assert_true(tl.truncated);
	assert_int_equal(tl.n, SLA_TIMELINE_MAX);
	assert_int_equal(tl.end, tl.items[tl.n - 1].end);
	for (size_t i = 1; i < tl.n; i++)
		assert_int_equal(tl.items[i].start, tl.items[i - 1].end);
	json_t *j = sla_result_to_json(&in, &r, &tl);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "timeline_truncated")));
	assert_int_equal(json_array_size(json_object_get(j, "timeline")), SLA_TIMELINE_MAX);
	json_decref(j);
	arena_release(&a);
	calendar_release(&cal);
}

static void timeline_out_of_memory(void **state)
{
	struct sla_change h[4];
	fill_weekend_pause(h);
	struct sla_input in = input(*state, "2026-03-06T09:00:00+01:00", 60, 480, h, 4,
				    "2026-03-09T10:30:00+01:00");
	struct sla_result r = compute(&in);
	for (long n = 0;; n++) {
		struct arena a;
		struct sla_timeline tl;
		char err[SLA_ERR_LEN];
		arena_init(&a);
		alloc_fail_after(n);
		int rc = sla_timeline(&a, &in, &r, &tl, err, sizeof(err));
		alloc_fail_after(-1);
		arena_release(&a);
		if (rc == 0) {
			assert_true(n >= 2);
			break;
		}
		assert_string_equal(err, "out of memory");
	}
}

/* ---- JSON ---- */

static const char *jstr(const json_t *o, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(o, path1);
	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static void json_rendering(void **state)
{
	struct sla_change h[4];
	fill_weekend_pause(h);
	struct sla_input in = input(*state, "2026-03-06T09:00:00+01:00", 60, 480, h, 4,
				    "2026-03-09T10:30:00+01:00");
	in.first_responded_at = T("2026-03-06T09:30:00+01:00");
	struct sla_result r = compute(&in);
	struct arena a;
	arena_init(&a);
	struct sla_timeline tl = timeline(&a, &in, &r);
	json_t *j = sla_result_to_json(&in, &r, &tl);
	assert_non_null(j);
	const json_t *policy = json_object_get(j, "policy");
	assert_int_equal(json_integer_value(json_object_get(policy, "id")), 3);
	assert_string_equal(jstr(policy, "name", NULL), "Gold");
	assert_string_equal(jstr(policy, "timezone", NULL), "Europe/Berlin");
	assert_true(json_is_false(json_object_get(policy, "always_open")));
	assert_int_equal(json_array_size(json_object_get(policy, "pause_statuses")), 2);
	assert_string_equal(jstr(j, "created_at", NULL), "2026-03-06T08:00:00Z");
	assert_string_equal(jstr(j, "computed_at", NULL), "2026-03-09T09:30:00Z");

	const json_t *resp = json_object_get(j, "response");
	assert_int_equal(json_integer_value(json_object_get(resp, "target_minutes")), 60);
	assert_string_equal(jstr(resp, "due_at", NULL), "2026-03-06T09:00:00Z");
	assert_string_equal(jstr(resp, "responded_at", NULL), "2026-03-06T08:30:00Z");
	assert_true(json_is_false(json_object_get(resp, "breached")));
	assert_true(json_is_false(json_object_get(resp, "running")));
	assert_int_equal(json_integer_value(json_object_get(resp, "elapsed_percent")), 50);

	const json_t *res = json_object_get(j, "resolution");
	assert_string_equal(jstr(res, "due_at", NULL), "2026-03-09T10:00:00Z");
	assert_true(json_is_null(json_object_get(res, "resolved_at")));
	assert_true(json_is_true(json_object_get(res, "running")));
	assert_int_equal(json_integer_value(json_object_get(res, "paused_minutes")), 180);
	assert_int_equal(json_integer_value(json_object_get(res, "elapsed_minutes")), 450);
	assert_int_equal(json_integer_value(json_object_get(res, "elapsed_percent")), 93);
	assert_string_equal(jstr(res, "explanation", NULL),
			    "due 480 working minutes after started_at, plus 180 paused");

	const json_t *items = json_object_get(j, "timeline");
	assert_int_equal(json_array_size(items), 7);
	const json_t *p = json_array_get(items, 2);
	assert_string_equal(jstr(p, "start", NULL), "2026-03-06T15:00:00Z");
	assert_string_equal(jstr(p, "end", NULL), "2026-03-06T16:00:00Z");
	assert_string_equal(jstr(p, "kind", NULL), "paused");
	assert_string_equal(jstr(p, "clock", NULL), "none");
	assert_string_equal(jstr(p, "status", NULL), "waiting_customer");
	assert_int_equal(json_integer_value(json_object_get(p, "minutes")), 60);
	assert_string_equal(jstr(json_array_get(items, 0), "clock", NULL), "both");
	assert_string_equal(jstr(json_array_get(items, 1), "clock", NULL), "resolution");
	assert_true(json_is_true(json_object_get(json_array_get(items, 6), "future")));
	assert_true(json_is_null(json_object_get(json_array_get(items, 6), "status")));
	json_decref(j);

	/* no timeline, no targets: nulls, never false numbers */
	in.response_minutes = SLA_NO_TARGET;
	in.resolution_minutes = SLA_NO_TARGET;
	in.policy_id = 0;
	in.policy_name = NULL;
	r = compute(&in);
	j = sla_result_to_json(&in, &r, NULL);
	assert_non_null(j);
	assert_null(json_object_get(j, "timeline"));
	assert_true(json_is_null(json_object_get(json_object_get(j, "policy"), "id")));
	resp = json_object_get(j, "response");
	assert_true(json_is_null(json_object_get(resp, "target_minutes")));
	assert_true(json_is_null(json_object_get(resp, "due_at")));
	assert_true(json_is_null(json_object_get(resp, "elapsed_percent")));
	assert_true(json_is_false(json_object_get(resp, "breached")));
	assert_string_equal(jstr(resp, "explanation", NULL), "no response target");
	json_decref(j);
	arena_release(&a);
}

static void json_out_of_memory(void **state)
{
	struct sla_change h[4];
	fill_weekend_pause(h);
	struct sla_input in = input(*state, "2026-03-06T09:00:00+01:00", 60, 480, h, 4,
				    "2026-03-09T10:30:00+01:00");
	struct sla_result r = compute(&in);
	struct arena a;
	arena_init(&a);
	struct sla_timeline tl = timeline(&a, &in, &r);
	/* every allocation failing in turn gives NULL and leaks nothing */
	for (long n = 0;; n++) {
		alloc_fail_after(n);
		json_t *j = sla_result_to_json(&in, &r, &tl);
		alloc_fail_after(-1);
		if (j) {
			assert_true(n > 20);
			json_decref(j);
			break;
		}
	}
	arena_release(&a);
}

/* ---- warnings ---- */

static void thresholds(void **state)
{
	(void)state;
	assert_int_equal(sla_thresholds_new(0, 0), 0);
	assert_int_equal(sla_thresholds_new(-10, 0), 0);
	assert_int_equal(sla_thresholds_new(49, 0), 0);
	assert_int_equal(sla_thresholds_new(50, 0), SLA_WARN_50);
	assert_int_equal(sla_thresholds_new(80, SLA_WARN_50), SLA_WARN_75);
	assert_int_equal(sla_thresholds_new(89, SLA_WARN_50 | SLA_WARN_75), 0);
	assert_int_equal(sla_thresholds_new(100, SLA_WARN_50 | SLA_WARN_75),
			 SLA_WARN_90 | SLA_WARN_100);
	/* a late check reports every threshold passed since */
	assert_int_equal(sla_thresholds_new(150, 0), SLA_WARN_ALL);
	assert_int_equal(sla_thresholds_new(150, SLA_WARN_ALL), 0);
	/* bits beyond the four are ignored */
	assert_int_equal(sla_thresholds_new(100, 0xf0), SLA_WARN_ALL);
}

static void warnings_for_a_ticket(void **state)
{
	struct sla_change h[4];
	fill_weekend_pause(h);
	struct sla_input in = input(*state, "2026-03-06T09:00:00+01:00", 60, 480, h, 4,
				    "2026-03-09T10:30:00+01:00");
	in.first_responded_at = T("2026-03-06T09:30:00+01:00");
	struct sla_result r = compute(&in);
	/* response answered (no warnings); resolution at 93 % */
	unsigned w = sla_warnings_new(&r, 0);
	assert_int_equal(w, (SLA_WARN_50 | SLA_WARN_75 | SLA_WARN_90)
				    << SLA_WARN_RESOLUTION_SHIFT);
	assert_int_equal(sla_warnings_new(&r, SLA_WARN_50 << SLA_WARN_RESOLUTION_SHIFT),
			 (SLA_WARN_75 | SLA_WARN_90) << SLA_WARN_RESOLUTION_SHIFT);
	assert_int_equal(sla_warnings_new(&r, w), 0);
	/* unanswered: the response clock at 80 % warns in the low bits */
	in.first_responded_at = SLA_NONE;
	in.now = T("2026-03-06T09:48:00+01:00");
	in.nhistory = 1;
	r = compute(&in);
	assert_int_equal(r.response.percent, 80);
	assert_int_equal(sla_warnings_new(&r, 0), SLA_WARN_50 | SLA_WARN_75);
	assert_int_equal(sla_warnings_new(&r, SLA_WARN_50), SLA_WARN_75);
}

static void kind_names(void **state)
{
	(void)state;
	static const char *const want[] = { "counted", "outside_hours", "holiday", "paused",
					    "stopped" };
	for (int k = 0; k < SLA_KIND__MAX; k++)
		assert_string_equal(sla_kind_name((enum sla_kind)k), want[k]);
	assert_string_equal(sla_kind_name(SLA_KIND__MAX), "?");
}

#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		T_(response_on_time),
		T_(response_breached),
		T_(response_overnight),
		T_(seconds_round_up),
		T_(resolution_due),
		T_(pause_across_weekend),
		T_(pause_open_at_now),
		T_(pause_after_due_does_not_unbreach),
		T_(resolved_before_due),
		T_(resolved_after_due),
		T_(resolved_at_without_history),
		T_(reopened),
		T_(cancelled_without_response),
		T_(priority_change_is_pure),
		T_(zero_targets),
		T_(start_on_holiday_and_at_closing),
		T_(no_working_time),
		T_(bad_input),
		T_(history_before_created_and_after_now),
		T_(always_open_and_dst),
		T_(new_york_office_dst),
		T_(memo_same_clocks),
		T_(timeline_pause_across_weekend),
		T_(timeline_breached_and_open),
		T_(timeline_holiday_forecast),
		T_(timeline_resolved),
		T_(timeline_reopened),
		T_(timeline_truncated),
		T_(timeline_out_of_memory),
		T_(json_rendering),
		T_(json_out_of_memory),
		T_(thresholds),
		T_(warnings_for_a_ticket),
		T_(kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
