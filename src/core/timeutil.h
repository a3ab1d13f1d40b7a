/*
 * timeutil.h - UTC timestamps and calendar dates as Servio stores them.
 *
 * A timestamp is seconds since the Unix epoch (int64_t, UTC). In JSON and
 * in the database it is an RFC 3339 string in UTC, "2026-11-22T14:05:00Z",
 * always 20 characters, so text order is time order on every backend.
 * A date is "YYYY-MM-DD".
 *
 * The clock. time_now() is the time of the business: sessions, rate
 * limits, SLA clocks, jobs and expiry all read it, never the system clock
 * directly. Test builds (SERVIO_TEST_HOOKS, defined when SERVIO_SANITIZE
 * is on) let it run ahead of or behind the real clock by an offset, so a
 * test moves time rather than sleeping; a release build has no offset at
 * all. Durations and waits use time_mono_ns() or the real clock, never
 * time_now().
 */
#ifndef SERVIO_CORE_TIMEUTIL_H
#define SERVIO_CORE_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIME_RFC3339_LEN 21	/* with the NUL */

/* The real clock plus the test offset (none in a release build), or the pretended time. */
int64_t time_now(void);
/*
 * Makes time_now() return t (0: the clock again), whatever the offset.
 * For commands that replay the past in one thread (servio demo writes
 * weeks of history); never called while other threads run.
 */
void time_pretend(int64_t t);

#ifdef SERVIO_TEST_HOOKS
#define TIME_OFFSET_MAX (100LL * 366 * 86400)	/* a century either way */
#define TIME_OFFSET_ENV "SERVIO_TEST_CLOCK_OFFSET"

/*
 * Test builds only. time_now() returns the real clock plus seconds (which
 * may be negative) from now on, in every thread (an atomic; no lock).
 * Returns 0, or -1 and leaves the offset as it was when |seconds| >
 * TIME_OFFSET_MAX.
 */
int time_offset_set(int64_t seconds);
/* The offset time_now() adds now (0 until set). */
int64_t time_offset(void);
/*
 * Sets the offset from the environment variable TIME_OFFSET_ENV (whole
 * seconds, optional sign); absent or empty leaves it alone. Returns 0, or
 * -1 with a message in err (truncated to errlen) when the value is not a
 * whole number within TIME_OFFSET_MAX. Every servio command calls it at
 * start, so a worker or a CLI command can share a test server's clock.
 */
int time_offset_from_env(char *err, size_t errlen);
#endif
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
/* Days since 1970-01-01 of "YYYY-MM-DD" (0 when it is not a date). */
int64_t date_day(const char *date);
/* Its inverse: the date of day z since 1970-01-01 (Howard Hinnant's algorithms). */
void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
