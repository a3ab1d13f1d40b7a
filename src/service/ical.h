/*
 * ical.h - iCalendar for the service desk: recurrence rules of preventive
 * work (which dates a template's orders fall on) and the per-technician
 * calendar feed that Google Calendar, Outlook and Apple Calendar subscribe
 * to. Pure functions: no database, no HTTP.
 *
 * Recurrence. A template has an RRULE (RFC 5545, "FREQ=MONTHLY;BYDAY=1MO"),
 * a local start "YYYY-MM-DDTHH:MM" and an IANA zone ("Europe/Berlin"), one
 * calendar_zone_valid takes (core/calendar.h: ICU's zone data, as for the
 * SLA calendars).
 * Occurrences are computed on the wall clock of that zone: 09:00 stays
 * 09:00 local across DST changes, so its UTC instant moves. A local time
 * that does not exist (in the spring gap) is read with the offset before
 * the gap (02:30 becomes 03:30 summer time); one that exists twice (autumn)
 * is the first of the two, as RFC 5545 says. The time of day always comes
 * from the start: a FREQ below DAILY and BYHOUR, BYMINUTE and BYSECOND are
 * refused, so there is at most one occurrence a day. The start is an
 * occurrence only when it matches the rule. UNTIL may be a date (that
 * whole local day counts), a local time or a UTC time ("...Z"). Lists are
 * sets: a value given twice counts once.
 *
 * Accepted: FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with INTERVAL (1 to 1000),
 * COUNT (1 to ICAL_COUNT_MAX) or UNTIL, BYDAY (positions like "1MO" with
 * MONTHLY and YEARLY), BYMONTHDAY, BYYEARDAY (YEARLY), BYMONTH, BYSETPOS
 * (not DAILY) and WKST, in the combinations RFC 5545 gives one meaning
 * (ical_rrule_check names the others). Not supported: BYWEEKNO, RSCALE,
 * SKIP. The expansion is this module's own, bounded by construction
 * (ical.c says why libical's iterator is not used).
 *
 * Bounds: years 1970 to 2500; an occurrence is looked for at most
 * ICAL_HORIZON_YEARS after the point a search starts from (the start, or
 * after_utc / from_utc when later), so a rule with no (or no more)
 * occurrences ends within milliseconds ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6"
 * returns 0, it does not spin).
 *
 * Threads. Every function may be called from any thread: each expansion
 * opens its own zone (ICU's zone data is shared by ICU, safely), and
 * nothing here keeps state between calls. libical is not used here; the
 * tests use it to check the expansion and to parse the feed back.
 */
#ifndef SERVIO_SERVICE_ICAL_H
#define SERVIO_SERVICE_ICAL_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

#define ICAL_RRULE_MAX		512	/* bytes, without the NUL */
#define ICAL_COUNT_MAX		10000
#define ICAL_HORIZON_YEARS	50
#define ICAL_ERR_LEN		160	/* room for any message below */

/*
 * Optional, at start-up: has ICU load its zone data now (a few
 * milliseconds) rather than in the first request that expands a rule.
 * Idempotent; every function works without it.
 */
void ical_init(void);

/*
 * Validates an RRULE typed by a user, without "RRULE:". Returns 0, or -1
 * and a lowercase message naming the problem in err (when err is not NULL;
 * truncated to errlen): "FREQ is missing", "FREQ=MINUTELY is too frequent:
 * the shortest is DAILY", "rule contains a line break", "unknown rule part
 * \"FOO\"", "rule has no occurrences: no BYMONTHDAY falls in BYMONTH"
 * and so on. It refuses what can be seen wrong from the rule alone; a rule
 * that never occurs from a particular start just gives no occurrences.
 */
int ical_rrule_check(const char *rrule, char *err, size_t errlen);

/*
 * Validates a template's start: dtstart_local "YYYY-MM-DDTHH:MM" (a real
 * date, years 1970 to 2500) and tz, a zone calendar_zone_valid takes
 * ("Europe/Berlin", "UTC"). Returns 0, or -1 with a message as above.
 */
int ical_start_check(const char *dtstart_local, const char *tz, char *err, size_t errlen);

/*
 * The first occurrence strictly after after_utc. Returns 1 and sets
 * *next_utc; 0 when there is none (COUNT or UNTIL reached, or none within
 * ICAL_HORIZON_YEARS of after_utc or the start); -1 when the rule, the
 * start or the zone is invalid (*next_utc untouched unless 1).
 */
int ical_next(const char *rrule, const char *dtstart_local, const char *tz, int64_t after_utc,
	      int64_t *next_utc);

/*
 * For previews: the occurrences t with from_utc <= t < to_utc, ascending,
 * at most max of them, and none later than ICAL_HORIZON_YEARS after
 * from_utc (or after the start, when that is later). Returns how many were
 * written to out (0 to max), or -1 as ical_next.
 */
int ical_occurrences(const char *rrule, const char *dtstart_local, const char *tz,
		     int64_t from_utc, int64_t to_utc, int64_t *out, size_t max);

/* ---- the calendar feed ---- */

enum ical_feed_status {
	ICAL_FEED_CONFIRMED,
	ICAL_FEED_TENTATIVE,
	ICAL_FEED_CANCELLED,
	ICAL_FEED__MAX
};

/*
 * One VEVENT. The strings are borrowed for the call and may be NULL or ""
 * (then the property is left out). Text may hold any UTF-8 including line
 * breaks; it is escaped, control characters other than line breaks and
 * tabs are dropped and invalid UTF-8 becomes U+FFFD.
 *
 * kind and id make the UID, stable across renders: kind "appointment" and
 * id 123 give "appointment-123@servio"; kind is lowercase letters, digits
 * and '-' (NULL means "event"). Times are UTC seconds; ends_at <= starts_at
 * leaves DTEND out (a point in time). version becomes SEQUENCE (>= 0) and
 * updated_at LAST-MODIFIED. url must be printable ASCII without spaces.
 */
struct ical_event {
	const char *kind;
	int64_t id;
	int64_t starts_at, ends_at, updated_at;
	int version;
	enum ical_feed_status status;
	const char *summary, *location, *description, *url;
};

/*
 * Appends a complete VCALENDAR (METHOD:PUBLISH, X-WR-CALNAME from
 * calendar_name when not NULL, a refresh hint of one hour) with one VEVENT
 * per event to out: CRLF line ends, lines folded at 75 octets, never inside
 * a UTF-8 sequence or an escape. dtstamp is DTSTAMP of every event: the
 * time the feed is made (time_now()), or the newest updated_at when
 * byte-identical output for unchanged data matters. Returns 0, or -1 when
 * out failed (its cap or memory) or an event is invalid (a time before
 * 1970 or after 9999, a bad kind, url, version or status); on -1 out holds
 * a partial feed the caller discards.
 */
int ical_feed_render(struct buf *out, const char *calendar_name, const struct ical_event *events,
		     size_t n, int64_t dtstamp);

#endif
