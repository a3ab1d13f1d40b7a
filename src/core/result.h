/*
 * result.h - the one result vocabulary of the program.
 *
 * The database layer, the resource engine and the domains return these
 * values, and each number means one thing everywhere: a function that
 * calls the database may hand a failure up unchanged, and db_txn() commits
 * on RC_OK, retries the whole transaction on RC_RETRY and otherwise rolls
 * back and returns the value, so a transaction body returns its own result.
 *
 * Success is RC_OK (or, from a statement step, RC_ROW / RC_DONE). Results a
 * caller answers with a 4xx are positive; failures of ours are negative.
 */
#ifndef SERVIO_CORE_RESULT_H
#define SERVIO_CORE_RESULT_H

#include <stddef.h>

enum result {
	RC_OK = 0,
	RC_ROW = 1,		/* a statement step produced a row */
	RC_DONE = 2,		/* a statement ran to its end */
	RC_NOT_FOUND = 3,	/* no such record (or not one the caller may see) */
	RC_INVALID = 4,		/* the input is wrong: errors hold [{field, message}] */
	RC_STALE = 5,		/* If-Match names a version that is no longer current */
	RC_CONFLICT = 6,		/* the record's state forbids it (errors say why) */
	RC_FORBIDDEN = 7,	/* the caller's role may not do this (errors say what) */
	RC_ERROR = -1,		/* a failure of ours, logged */
	RC_RETRY = -2,		/* lost a race (busy, serialization, deadlock): try again */
	RC_CONSTRAINT = -3,	/* a unique, foreign key or check constraint refused it */
	RC_FULL = -4,		/* no room left to write: disk, quota or database full */
};

/*
 * For the pure modules that say what is wrong in a caller's buffer
 * (calendars, SLA clocks, recurrences, exports): writes the message into
 * err (when errlen > 0) and returns -1, so a check reads
 * "return fail_with(err, errlen, "...", ...);".
 */
int fail_with(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
