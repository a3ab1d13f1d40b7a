/*
 * housekeeping.c - the hourly job that deletes what has expired: sessions
 * past their expiry, idempotency keys older than a day, login-failure
 * windows that have closed, finished jobs older than thirty days (a day
 * for the minutely service-desk and SLA runs), and events older than thirty
 * days (an integration that has not read them in a month reads the records).
 * Each delete is its own statement so a long one holds no lock for long.
 */
#include "jobs.h"

#include "core/timeutil.h"
#include "db/db.h"

#include <stdio.h>

enum job_result housekeeping_run(struct db *db, const json_t *payload, char *error,
				 size_t errlen)
{
	(void)payload;
	int64_t now = time_now();
	char t_now[TIME_RFC3339_LEN], t_day[TIME_RFC3339_LEN],
		t_month[TIME_RFC3339_LEN];
	time_format(now, t_now);
	time_format(now - 24 * 3600, t_day);
	time_format(now - 30 * 24 * 3600, t_month);
	static const struct {
		const char *what, *sql;
	} steps[] = {
		{ "sessions", "DELETE FROM sessions WHERE expires_at < ?" },
		{ "idempotency keys", "DELETE FROM idempotency_keys WHERE created_at < ?" },
		{ "login failures", "DELETE FROM login_failures WHERE window_start < ?" },
		{ "jobs", "DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < ?" },
		/* the service desk runs every minute: a day of its runs is plenty to inspect */
		{ "minutely runs", "DELETE FROM jobs WHERE kind IN ('service-desk', 'sla')"
				   " AND state = 'done' AND finished_at < ?" },
		{ "events", "DELETE FROM events WHERE at < ?" },
	};
	/* a sign-in counter quiet for a day is forgotten (auth/sessions.c) */
	const char *const bounds[] = { t_now, t_day, t_day, t_month, t_day, t_month };
	_Static_assert(sizeof(bounds) / sizeof(bounds[0]) == sizeof(steps) / sizeof(steps[0]),
		       "a bound for each step");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc = db_run(db, NULL, steps[i].sql, "s", bounds[i]);
		if (rc != RC_DONE) {
			snprintf(error, errlen, "cannot delete expired %s: %s", steps[i].what,
				 db_errmsg(db));
			return JOB_RETRY;
		}
	}
	return JOB_DONE;
}
