/*
 * sla.h - the SLA clocks of one ticket, computed from its history every
 * time (never accumulated by a poller), and the timeline that explains
 * them. Pure: no database, no HTTP; the same inputs give the same result,
 * so a priority or contract change is a recomputation from created_at
 * with the new targets.
 *
 * The rules (DESIGN.md "SLA clocks"), as computed here:
 *
 * - All clocks count working minutes of the policy's calendar
 *   (core/calendar.h) and start at created_at. Every instant the clocks
 *   read (created_at, status changes, first_responded_at, resolved_at,
 *   now) is rounded up to the next whole minute, so due times are whole
 *   minutes and all minute counts add up exactly. Rounding cannot change
 *   a breach: x > due_at exactly when x rounded up > due_at.
 *
 * - Response: due_at = created_at + response_minutes. The clock never
 *   pauses; it stops at first_responded_at or, with no response, when the
 *   ticket first becomes resolved, closed or cancelled. breached =
 *   (the stop, else now) > due_at.
 *
 * - Resolution: the clock runs in working time except while the status is
 *   a pause status (paused) or resolved/closed/cancelled (stopped). due_at
 *   is the instant at which the running clock reaches resolution_minutes,
 *   so due_at = created_at + resolution_minutes + paused_minutes +
 *   stopped_minutes, all in working minutes; paused_minutes and
 *   stopped_minutes count only the standstill before due_at (a ticket past
 *   its due time cannot un-breach by waiting for the customer). A pause
 *   still open counts up to now, so due_at moves later while it lasts.
 *   Stopped minutes are time spent resolved before a reopen: a reopened
 *   ticket gets back the time it sat resolved. The clock stops for good at
 *   the start of the resolved/closed/cancelled stretch the history ends in
 *   (else at resolved_at when the caller passes one); due_at is then the
 *   due time as it stood, and breached = (that stop, else now) > due_at.
 *
 * - elapsed_minutes is the clock's reading at its stop or now (response:
 *   working minutes; resolution: running minutes); percent is
 *   100 * elapsed / target rounded down (may pass 100); a zero target is
 *   100 % once its due time is reached.
 *
 * History: the status changes in time order, the first being the status
 * the ticket was created with (at created_at). Changes before created_at
 * count from created_at, changes after now are ignored; before the first
 * change the clock runs. A status not in pause_statuses that is not
 * resolved, closed or cancelled runs the clock.
 *
 * Memory: sla_compute allocates nothing. sla_timeline allocates the
 * intervals from the caller's arena; their status strings are borrowed
 * from in->history. The JSON functions return a new reference the caller
 * decrefs (NULL when out of memory). Nothing else is kept. The calendar is
 * used (and its cache mutated) during the call only; see calendar.h on
 * threads.
 *
 * Errors: 0, or -1 with a lowercase message in err (when not NULL) and
 * the out-parameters untouched: a calendar without working time, a
 * history out of order, a target out of range, instants out of range.
 */
#ifndef SERVIO_SERVICE_SLA_H
#define SERVIO_SERVICE_SLA_H

#include "core/arena.h"
#include "core/calendar.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLA_ERR_LEN		CALENDAR_ERR_LEN
#define SLA_NO_TARGET		(-1)	/* a target that is absent */
#define SLA_NONE		0	/* an instant that is absent (first_responded_at, resolved_at) */
#define SLA_TIMELINE_MAX	5000	/* intervals; a longer timeline is cut and marked truncated */

/* One status change: from `at` on, the ticket had `status`. */
struct sla_change {
	int64_t at;
	const char *status;
};

/* Everything the clocks depend on; all borrowed for the call. */
struct sla_input {
	struct calendar *cal;
	int64_t policy_id;		/* for the JSON only; 0 = none */
	const char *policy_name;	/* for the JSON only; may be NULL */
	int64_t response_minutes;	/* SLA_NO_TARGET or 0..CALENDAR_MAX_MINUTES */
	int64_t resolution_minutes;	/* SLA_NO_TARGET or 0..CALENDAR_MAX_MINUTES */
	const char *const *pause_statuses;
	size_t npause_statuses;
	int64_t created_at;
	const struct sla_change *history;
	size_t nhistory;
	int64_t first_responded_at;	/* SLA_NONE when no response yet */
	int64_t resolved_at;		/* SLA_NONE when not resolved (also after a reopen) */
	int64_t now;
};

struct sla_clock {
	bool has_target;		/* the rest is zero/false without one, except stopped_at */
	int64_t target_minutes;
	int64_t due_at;
	int64_t stopped_at;		/* when the clock stopped for good; SLA_NONE while it runs */
	int64_t elapsed_minutes;	/* at stopped_at, else at now */
	int percent;			/* of the target, rounded down; may pass 100 */
	bool breached;
};

struct sla_result {
	int64_t started_at;		/* created_at rounded up to a whole minute */
	int64_t now;			/* now rounded up (never before started_at) */
	struct sla_clock response, resolution;
	int64_t paused_minutes;		/* resolution: working minutes paused before its due time */
	int64_t stopped_minutes;	/* resolution: working minutes resolved before a reopen, before due */
};

/* Computes both clocks. Returns 0 and fills *out, or -1 (see above). */
int sla_compute(const struct sla_input *in, struct sla_result *out, char *err, size_t errlen);

/* ---- the timeline ---- */

enum sla_kind {
	SLA_COUNTED,		/* working time in which the ticket was not paused or stopped */
	SLA_OUTSIDE_HOURS,	/* not working time */
	SLA_HOLIDAY,		/* a holiday: local midnight to midnight */
	SLA_PAUSED,		/* working time in a pause status */
	SLA_STOPPED,		/* working time while resolved/closed/cancelled */
	SLA_KIND__MAX
};

/* "counted", "outside_hours", "holiday", "paused", "stopped"; "?" when out of range. */
const char *sla_kind_name(enum sla_kind kind);

#define SLA_CLOCK_RESPONSE	1u
#define SLA_CLOCK_RESOLUTION	2u

/*
 * One stretch of the timeline, [start, end). clocks says which clocks
 * (with a target) count its minutes: the response clock counts all working
 * time (paused too) until it stops, the resolution clock only SLA_COUNTED
 * time until it stops. minutes is the stretch's working minutes (0 for
 * outside hours and holidays). status is the ticket's status then (NULL
 * before the first change and in the future). future marks stretches
 * after now: a forecast that assumes the clocks run from now on.
 */
struct sla_interval {
	int64_t start, end;
	enum sla_kind kind;
	unsigned clocks;
	int64_t minutes;
	const char *status;
	bool future;
};

struct sla_timeline {
	struct sla_interval *items;	/* from the arena */
	size_t n;
	int64_t start, end;
	bool truncated;			/* more than SLA_TIMELINE_MAX intervals: the rest left out */
};

/*
 * The timeline of r (from sla_compute on the same in): consecutive maximal
 * intervals from r->started_at to the end of the clocks that matter. A
 * clock that has stopped ends at its stop; one that runs ends at its due
 * time or now, whichever is later (so an open ticket shows its future up
 * to the due time, a breached one up to now); the timeline ends at the
 * later of the two clocks (at now when neither has a target and the
 * ticket is open). Intervals break wherever kind, clocks, status or
 * future change, and at a due time its clock ran past (a breach), so
 * every stop and every due time inside the timeline is a boundary.
 * Returns 0 and fills *out, or -1 with a message (out of memory included).
 */
int sla_timeline(struct arena *a, const struct sla_input *in, const struct sla_result *r,
		 struct sla_timeline *out, char *err, size_t errlen);

/*
 * The JSON of GET /tickets/{id}/sla. Times are RFC 3339 UTC ("…Z"); absent
 * ones are null. A clock without a target has target_minutes, due_at and
 * elapsed_percent null and breached false.
 *
 * {
 *   "policy": {"id": 3, "name": "Gold", "timezone": "Europe/Berlin",
 *              "always_open": false, "pause_statuses": ["waiting_customer"]},
 *   "created_at": "2026-03-06T15:59:30Z",
 *   "started_at": "2026-03-06T16:00:00Z",     created_at rounded up
 *   "computed_at": "2026-03-09T09:00:00Z",    now rounded up
 *   "response": {"target_minutes": 60, "due_at": …, "responded_at": …,
 *                "stopped_at": …, "running": false, "elapsed_minutes": 30,
 *                "elapsed_percent": 50, "breached": false,
 *                "explanation": "due 60 working minutes after started_at"},
 *   "resolution": {"target_minutes": 480, "due_at": …, "resolved_at": null,
 *                  "running": true, "elapsed_minutes": 100,
 *                  "elapsed_percent": 20, "paused_minutes": 120,
 *                  "stopped_minutes": 0, "breached": false,
 *                  "explanation": "due 480 working minutes after started_at,
 *                                  plus 120 paused"},
 *   "timeline": [{"start": …, "end": …, "kind": "counted", "minutes": 60,
 *                 "clock": "both", "status": "new", "future": false}, …],
 *   "timeline_truncated": false
 * }
 *
 * responded_at is the caller's first_responded_at; a clock's stopped_at
 * (response) or resolved_at (resolution) is when that clock stopped,
 * rounded up. "clock" is "both", "response", "resolution" or "none"
 * (sla_interval clocks). Where the timeline reaches a due time, the
 * "minutes" of the intervals before it whose clock includes resolution
 * and whose kind is counted add up to target_minutes, and the paused and
 * stopped ones to paused_minutes and stopped_minutes; for the response
 * clock all intervals whose clock includes response add up to its
 * target. tl may be NULL: then "timeline" is left out.
 */
json_t *sla_result_to_json(const struct sla_input *in, const struct sla_result *r,
			   const struct sla_timeline *tl);

/* The "timeline" array alone. */
json_t *sla_timeline_to_json(const struct sla_timeline *tl);

/* ---- warnings at 50, 75, 90 and 100 % ---- */

#define SLA_WARN_50		(1u << 0)
#define SLA_WARN_75		(1u << 1)
#define SLA_WARN_90		(1u << 2)
#define SLA_WARN_100		(1u << 3)
#define SLA_WARN_ALL		0xfu
#define SLA_WARN_RESOLUTION_SHIFT 4	/* the ticket mask: response bits 0-3, resolution 4-7 */

/* The thresholds percent has reached that are not in fired (SLA_WARN_* bits). */
unsigned sla_thresholds_new(int percent, unsigned fired);

/*
 * The warnings a ticket should fire now, given the mask it has fired
 * (response in bits 0-3, resolution in bits 4-7; store the union of fired
 * and the result). Only clocks that have a target and still run warn, so
 * a ticket resolved at 80 % does not fire 75 % afterwards.
 */
unsigned sla_warnings_new(const struct sla_result *r, unsigned fired);

#endif
