/*
 * timeutil.h - UTC timestamps and calendar dates as Servio stores them.
 *
 * A timestamp is seconds since the Unix epoch (int64_t, UTC). In JSON and
 * in the database it is an RFC 3339 string in UTC, "2026-11-22T14:05:00Z",
 * always 20 characters, so text order is time order on every backend.
 * A date is "YYYY-MM-DD".
 */
#ifndef SERVIO_CORE_TIMEUTIL_H
#define SERVIO_CORE_TIMEUTIL_H

#include <stdbool.h>
#include <stdint.h>

#define TIME_RFC3339_LEN 21	/* with the NUL */

int64_t time_now(void);
/*
 * Makes time_now() return t (0: the real clock again). For commands that
 * replay the past in one thread (servio demo writes weeks of history);
 * never called while other threads run.
 */
void time_pretend(int64_t t);
/* Monotonic clock in nanoseconds, for durations. */
int64_t time_mono_ns(void);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" into out. */
void time_format(int64_t t, char out[TIME_RFC3339_LEN]);

/*
 * Parses RFC 3339 ("2026-11-22T14:05:00Z", "…T14:05:00.123+01:00"; a space
 * for T is accepted, fractions are dropped). Returns 0 and sets *out, or -1.
 */
int time_parse(const char *s, int64_t *out);

/* Validates "YYYY-MM-DD" as a real date. */
bool date_valid(const char *s);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
