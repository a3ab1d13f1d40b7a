/*
 * jobs.h - background jobs as rows in the "jobs" table, so any number of
 * servers and workers share one queue and a job survives a restart.
 *
 * A job has a kind (which handler runs it), a JSON payload, a time to run
 * at, and optionally a unique key: enqueueing a key that exists does
 * nothing, which is how schedules avoid duplicates when workers restart.
 * A worker claims one due job at a time (FOR UPDATE SKIP LOCKED on
 * PostgreSQL; SQLite serializes writers), runs it outside any transaction,
 * and marks it done, or schedules a retry with exponential backoff until
 * max_attempts, after which it is failed and kept for inspection. A job
 * whose worker died (running for longer than the lease) is claimed again.
 */
#ifndef SERVIO_JOBS_H
#define SERVIO_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;

enum job_result {
	JOB_DONE,	/* finished */
	JOB_RETRY,	/* failed this time; try again later */
	JOB_FAIL,	/* failed for good: do not retry */
};

/*
 * Runs one job, outside any transaction. payload is borrowed. On
 * JOB_RETRY or JOB_FAIL the handler writes why into error.
 */
typedef enum job_result (*job_handler)(struct db *db, const json_t *payload, char *error,
				       size_t errlen);

struct job_kind {
	const char *name;
	job_handler run;
	int max_attempts;
};

/* The kinds this program knows, NULL-terminated (in jobs.c). */
extern const struct job_kind *const job_kinds[];

/* The handlers, one file each. */
enum job_result housekeeping_run(struct db *db, const json_t *payload, char *error,
				 size_t errlen);
/* In service/clock.c: the SLA clocks of the open tickets, and their warnings. */
enum job_result sla_sweep_run(struct db *db, const json_t *payload, char *error, size_t errlen);
/* In service/schedule.c: recurring tickets due, resolved tickets to close. */
enum job_result service_desk_run(struct db *db, const json_t *payload, char *error,
				 size_t errlen);
/* Sales (quotes/quotes.c): sent quotes past their validity become expired. */
enum job_result sales_run(struct db *db, const json_t *payload, char *error, size_t errlen);
/* E-mail (mail/): send one queued message {id}; poll the IMAP mailbox of the settings. */
enum job_result mail_send_run(struct db *db, const json_t *payload, char *error, size_t errlen);
enum job_result mail_poll_run(struct db *db, const json_t *payload, char *error, size_t errlen);
/* In webhooks/dispatch.c: events fanned out to the webhooks, deliveries due sent. */
enum job_result webhooks_run(struct db *db, const json_t *payload, char *error, size_t errlen);
/* In quality/draw.c: the weekly random draw of finished service orders to review. */
enum job_result qa_draw_run(struct db *db, const json_t *payload, char *error, size_t errlen);

/*
 * Queues a job to run at run_at (Unix seconds; 0 = now). unique_key may
 * be NULL; when a job with the key exists nothing is queued and *id is
 * that job's id. payload is borrowed (NULL = {}). Returns RC_OK or a
 * negative result. Callable inside a transaction.
 */
int jobs_enqueue(struct db *db, const char *kind, const json_t *payload, int64_t run_at,
		 const char *unique_key, int64_t *id);

/*
 * Claims and runs at most one due job. Returns 1 when a job ran, 0 when
 * none was due, -1 on a database error. worker_id names this worker in
 * the table (for operators).
 */
int jobs_run_one(struct db *db, const char *worker_id, int64_t now);

/* Queues the periodic jobs (housekeeping, the service desk) that are due; idempotent. */
int jobs_schedule_periodic(struct db *db, int64_t now);

/* A worker thread on its own database connection (from db_pool_get). */
struct jobs_worker;
struct jobs_worker *jobs_worker_start(void);
/* Asks it to stop, waits for the job in hand to finish, frees it. */
void jobs_worker_stop(struct jobs_worker *w);

#endif
