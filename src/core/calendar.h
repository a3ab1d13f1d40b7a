/*
 * calendar.h - business time on a work calendar: which minutes of the
 * real time line are working minutes, and arithmetic on them (the SLA
 * clocks count only these). Pure: no database, no HTTP.
 *
 * A calendar is an IANA time zone, either "always open" (every minute
 * counts) or weekly hours (ranges of local wall-clock time per weekday),
 * and holidays: whole local days off, from local midnight to the next
 * local midnight, also on an always-open calendar.
 *
 * Wall clock to real time. Hours are local wall-clock time and minutes
 * are real elapsed minutes. A local time t of a day maps to the first
 * instant at which that day's wall clock shows t or later: a time inside
 * the spring-forward gap maps to the instant of the change (02:30 on a
 * Berlin DST-start day is 03:00 CEST), a time that repeats in autumn maps
 * to its first occurrence, and 24:00 is the next day's 00:00. So a
 * 00:00-24:00 working day has 1380 real minutes on a DST-start day and
 * 1500 on a DST-end day, a range lying wholly in the gap is empty, and
 * ranges stay in order. Zone rules come from ICU, never from offsets of
 * our own.
 *
 * Whole minutes. A clock reads an instant rounded up to the next whole
 * minute (an instant on a whole minute stays): counting from 09:13:47
 * starts at 09:14:00. calendar_add_minutes and calendar_minutes_between
 * apply that rule to their ends, so every due time is a whole minute and
 * minutes_between(a, b) + minutes_between(b, c) == minutes_between(a, c).
 * calendar_walk and calendar_interval_at work on exact instants.
 *
 * Bounds. Instants run from 1900-01-01 to 9999-12-31 (UTC); a search for a
 * due time gives up when it finds no working minute for
 * CALENDAR_IDLE_DAYS, or runs CALENDAR_HORIZON_DAYS past its start, and
 * fails with a message rather than spinning. A walk or a count covers at
 * most CALENDAR_HORIZON_DAYS.
 *
 * Errors. Fallible functions return 0, or -1 with a lowercase message in
 * err (when err is not NULL, truncated to errlen; CALENDAR_ERR_LEN is
 * room for any of them); out-parameters are written only on success.
 *
 * The memo. Turning a local day's working hours into real instants is
 * ICU's work and the costly part of every query, so a calendar remembers
 * the days it has converted: a bounded memo of local dates (days since
 * 1970-01-01) to that day's pieces (counted, outside hours, holiday) as
 * real instants. It starts at one day and doubles as walks meet new days,
 * up to CALENDAR_MEMO_DAYS; past that a day takes the slot of the one
 * CALENDAR_MEMO_DAYS (or the current size) away from it. A day's pieces
 * depend only on the zone, the hours and the holidays, all fixed at init,
 * so a remembered day is the day ICU would compute again, DST changes
 * included (each local day is converted whole, midnight to midnight).
 * calendar_memo_limit changes the bound (for tests and tuning).
 *
 * Threads and memory. A struct calendar owns its heap parts (through
 * core/alloc.h) and an ICU UCalendar that every query mutates, and its
 * memo grows as queries run, so one struct calendar must not be used by
 * two threads at once: give each request or worker its own. Queries take
 * a non-const pointer for that reason, but the answers depend only on how
 * the calendar was made. ICU's own memory is ICU's.
 */
#ifndef SERVIO_CORE_CALENDAR_H
#define SERVIO_CORE_CALENDAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CALENDAR_ERR_LEN	160	/* room for any message below */
#define CALENDAR_TZ_MAX		64	/* zone names are shorter than this */
#define CALENDAR_IDLE_DAYS	1096	/* 3 years without a working minute: no working time */
#define CALENDAR_HORIZON_DAYS	36525	/* 100 years */
#define CALENDAR_MIN_TIME	(-2208988800LL)	/* 1900-01-01T00:00:00Z */
#define CALENDAR_MAX_TIME	253402300799LL	/* 9999-12-31T23:59:59Z */
#define CALENDAR_MAX_MINUTES	((int64_t)CALENDAR_HORIZON_DAYS * 1440)
#define CALENDAR_MEMO_DAYS	1024	/* local days a calendar remembers, at most (a power of two) */

/*
 * Whether name is a time zone Servio takes: an IANA zone name ICU knows,
 * spelled exactly ("Europe/Berlin", "UTC"; not "europe/berlin"). Links
 * such as "US/Eastern" or "Asia/Calcutta" are IANA names too and are
 * taken (ICU computes them as the zone they point to). Refused: NULL, ""
 * and names of CALENDAR_TZ_MAX bytes or more; offsets that are not zones
 * ("GMT+5", "GMT+05:00", which know no DST; "Etc/GMT+5" is an IANA zone
 * and is taken); the placeholders for no zone ("Etc/Unknown", "Factory");
 * and the ids ICU keeps that IANA has not ("IST", "PST" and the other
 * three-letter ids of old Java, "SystemV/..."). Every part of Servio that
 * computes with a zone does so through ICU, so a zone this accepts is one
 * they all know. Thread-safe.
 */
bool calendar_zone_valid(const char *name);

/*
 * A time zone alone, for reading the wall clock at an instant (recurrence
 * rules, service/ical.c). Like a struct calendar, it owns an ICU UCalendar
 * that every query mutates: one thread at a time.
 */
struct calendar_zone {
	void *ucal;
};

/*
 * Opens tz, a name calendar_zone_valid takes. Returns 0, or -1 with a
 * message as calendar_init's ("unknown time zone \"Mars/Olympus\"") and
 * z left released.
 */
int calendar_zone_init(struct calendar_zone *z, const char *tz, char *err, size_t errlen);

/* Frees what z owns; z may be released twice or after a failed init. */
void calendar_zone_release(struct calendar_zone *z);

/*
 * The zone's wall clock at instant t, as seconds since 1970-01-01T00:00
 * on that wall clock (t plus the zone's UTC offset at t). Returns 0 and
 * sets *local, or -1 when t lies outside CALENDAR_MIN_TIME ..
 * CALENDAR_MAX_TIME (or ICU fails).
 */
int calendar_zone_local(struct calendar_zone *z, int64_t t, int64_t *local);

/*
 * The instant the local day `day` (days since 1970-01-01) begins in zone
 * z: the t whose wall clock reads that day's midnight. Returns 0 and sets
 * *t, or -1 as calendar_zone_local.
 */
int calendar_zone_day_start(struct calendar_zone *z, int64_t day, int64_t *t);

/* What a stretch of real time is. */
enum calendar_kind {
	CALENDAR_COUNTED,	/* working time: the minutes count */
	CALENDAR_OUTSIDE_HOURS,	/* a normal day's non-working time */
	CALENDAR_HOLIDAY,	/* a holiday, local midnight to local midnight */
	CALENDAR_KIND__MAX
};

/* "counted", "outside_hours", "holiday" (as in JSON); "?" when out of range. */
const char *calendar_kind_name(enum calendar_kind kind);

/*
 * Working hours: weekday 1 (Monday) to 7 (Sunday), start and end as
 * minutes of the local day, 0 <= start < end <= 1440 (24:00). A weekday
 * may have several ranges; ranges of one weekday must not overlap (they
 * may touch: 08:00-12:00 and 12:00-17:00 work as 08:00-17:00).
 */
struct calendar_hours {
	int weekday;
	int start, end;
};

/* Opaque to users; the fields are documented for the implementation. */
struct calendar_piece;
struct calendar_day;

struct calendar {
	void *ucal;			/* the owned ICU UCalendar of tz */
	char tz[CALENDAR_TZ_MAX];
	bool always_open;
	struct calendar_hours *hours;	/* sorted by weekday, then start */
	size_t nhours;
	size_t day_first[8];		/* weekday w: hours[day_first[w-1] .. day_first[w]) */
	int64_t *holidays;		/* days since 1970-01-01, sorted, unique */
	size_t nholidays;
	/* the memo of local days (see above): memo_slots days, each with room for pieces_cap pieces */
	struct calendar_day *memo;
	struct calendar_piece *memo_pieces;	/* pieces_cap per slot, slot by slot */
	size_t memo_slots, memo_max;		/* powers of two, memo_slots <= memo_max */
	size_t pieces_cap;
	struct calendar_day *cur;		/* the day last looked at, or NULL */
	uint64_t days_converted;		/* days converted through ICU so far (a memo miss) */
};

/*
 * Makes a calendar. tz is a zone calendar_zone_valid takes ("Europe/Berlin",
 * "UTC"); hours is ignored when always_open; holidays are "YYYY-MM-DD"
 * strings (duplicates are fine). A calendar without hours that is not
 * always open is valid but has no working time (calendar_add_minutes
 * then fails). The arrays are copied; nothing is borrowed. Returns 0, or
 * -1 with a message ("unknown time zone \"Mars/Olympus\"", "hours[2]:
 * overlaps hours[0] on weekday 1", ...) and cal left released.
 */
int calendar_init(struct calendar *cal, const char *tz, bool always_open,
		  const struct calendar_hours *hours, size_t nhours,
		  const char *const *holidays, size_t nholidays, char *err, size_t errlen);

/*
 * The same from the calendars table's JSON: hours an array (or NULL) of
 * {"weekday": 1..7, "start": "HH:MM", "end": "HH:MM"}, holidays an array
 * (or NULL) of "YYYY-MM-DD" strings. The values are only read.
 */
int calendar_init_json(struct calendar *cal, const char *tz, bool always_open,
		       const json_t *hours, const json_t *holidays, char *err, size_t errlen);

/* Frees what cal owns; cal may be released twice or after a failed init. */
void calendar_release(struct calendar *cal);

/*
 * Bounds the memo at `days` local days (rounded down to a power of two;
 * 1 remembers only the day last looked at, and so converts a day each
 * time a walk comes back to it) and forgets every remembered day. The
 * answers do not change, only their cost. Allocates nothing (the memo
 * grows as walks need it). Returns 0, or -1 when days is 0.
 */
int calendar_memo_limit(struct calendar *cal, size_t days);

/*
 * Parses "HH:MM" from "00:00" to "24:00" into minutes of the day (0..1440).
 * Returns 0, or -1 with a message for anything else (NULL included).
 */
int calendar_parse_hhmm(const char *s, int *minute, char *err, size_t errlen);

/* Parses a real date "YYYY-MM-DD" into days since 1970-01-01, or -1. */
int calendar_parse_date(const char *s, int64_t *day, char *err, size_t errlen);

/*
 * The instant at which `minutes` working minutes have passed, counting
 * from start rounded up to a whole minute; counting begins at the next
 * opening when that is outside working time. 0 minutes give the rounded
 * start when it is working time, else the next opening. A due time that
 * falls at a closing time is that closing time (16:00 + 60 minutes on
 * 08:00-17:00 is 17:00 the same day, not 08:00 the next). Fails on a
 * calendar with no working time within CALENDAR_IDLE_DAYS, minutes < 0 or
 * > CALENDAR_MAX_MINUTES, or a due time past the horizon.
 */
int calendar_add_minutes(struct calendar *cal, int64_t start, int64_t minutes, int64_t *due,
			 char *err, size_t errlen);

/*
 * Working minutes in [a, b), both ends rounded up to whole minutes; 0 when
 * b <= a. Fails when b - a exceeds the horizon (or on an ICU failure).
 */
int calendar_minutes_between(struct calendar *cal, int64_t a, int64_t b, int64_t *minutes,
			     char *err, size_t errlen);

/* A stretch of time of one kind: [start, end). */
struct calendar_interval {
	int64_t start, end;
	enum calendar_kind kind;
};

/*
 * The kind of instant t and how long it lasts: [t, end) is of one kind,
 * with end the next change of kind or `until`, whichever is first
 * (until > t; keep until - t small, the look-ahead costs a day at a time).
 */
int calendar_interval_at(struct calendar *cal, int64_t t, int64_t until,
			 struct calendar_interval *iv, char *err, size_t errlen);

/*
 * Callback of calendar_walk: 0 to go on; any other value stops the walk
 * and becomes calendar_walk's return value (use a positive one so it is
 * not taken for calendar_walk's own -1).
 */
typedef int (*calendar_walk_fn)(const struct calendar_interval *iv, void *arg);

/*
 * Splits [a, b) (exact instants) into consecutive maximal intervals of one
 * kind and calls fn on each, in order. A holiday is HOLIDAY from its
 * local midnight to the next even where it has no hours; the rest of
 * non-working time is OUTSIDE_HOURS. Returns 0 when [a, b) was walked
 * (nothing to walk when b <= a), fn's non-zero value when it stopped, or
 * -1 with a message (b - a past the horizon, instants out of range).
 */
int calendar_walk(struct calendar *cal, int64_t a, int64_t b, calendar_walk_fn fn, void *arg,
		  char *err, size_t errlen);

#endif
