/*
 * jobs.c - the job queue, the worker loop and the kinds of job.
 */
#include "jobs.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "webhooks/webhooks.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEASE_SECONDS 600	/* a running job older than this is taken as abandoned */
#define POLL_MS 1000
#define MAX_BACKOFF 3600

static const struct job_kind housekeeping = { "housekeeping", housekeeping_run, 3 };

static const struct job_kind service_desk = { "service-desk", service_desk_run, 3 };
static const struct job_kind sla = { "sla", sla_sweep_run, 3 };
static const struct job_kind sales = { "sales", sales_run, 3 };
/* mail-send counts its own tries (outbound_messages.attempts) and gives up itself */
static const struct job_kind mail_send = { "mail-send", mail_send_run, 100 };
static const struct job_kind mail_poll = { "mail-poll", mail_poll_run, 3 };
static const struct job_kind webhooks = { "webhooks", webhooks_run, 3 };
static const struct job_kind qa_draw = { "qa-draw", qa_draw_run, 3 };
const struct job_kind *const job_kinds[] = { &housekeeping, &service_desk, &sla, &sales,
					     &mail_send, &mail_poll, &webhooks, &qa_draw, NULL };

static const struct job_kind *kind_find(const char *name)
{
	for (const struct job_kind *const *k = job_kinds; *k; k++)
		if (strcmp((*k)->name, name) == 0)
			return *k;
	return NULL;
}

int jobs_enqueue(struct db *db, const char *kind, const json_t *payload, int64_t run_at,
		 const char *unique_key, int64_t *id)
{
	const struct job_kind *k = kind_find(kind);
	if (!k) {
		log_error("cannot queue job: unknown kind \"%s\"", kind);
		return RC_ERROR;
	}
	char now[TIME_RFC3339_LEN], at[TIME_RFC3339_LEN];
	int64_t t = time_now();
	time_format(t, now);
	time_format(run_at ? run_at : t, at);
	char *body = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	if (payload && !body)
		return RC_ERROR;
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"INSERT INTO jobs (kind, payload, run_at, max_attempts, unique_key, created_at)"
			" VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			"sssiss", kind, body ? body : "{}", at, (int64_t)k->max_attempts,
			unique_key, now);
	xfree(body);
	if (rc == RC_ROW) {
		if (id)
			*id = db_col_int(st, 0);
		db_done(st);
		return RC_OK;
	}
	if (rc != RC_CONSTRAINT || !unique_key)
		return rc == RC_DONE ? RC_ERROR : rc;
	/* already queued under this key */
	rc = db_run(db, &st, "SELECT id FROM jobs WHERE unique_key = ?", "s", unique_key);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_RETRY : rc;
	if (id)
		*id = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

struct claim {
	const char *worker_id;
	int64_t now;
	int64_t id;
	char *kind;
	char *payload;
	int64_t attempts, max_attempts;
};

static int claim_txn(struct db *db, void *arg)
{
	struct claim *c = arg;
	char now[TIME_RFC3339_LEN], stale[TIME_RFC3339_LEN];
	time_format(c->now, now);
	time_format(c->now - LEASE_SECONDS, stale);
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT id, kind, payload, attempts, max_attempts FROM jobs"
		 " WHERE (state = 'queued' AND run_at <= ?)"
		 " OR (state = 'running' AND locked_at < ?)"
		 " ORDER BY run_at, id LIMIT 1%s",
		 db_skip_locked(db));
	struct db_stmt *st;
	int rc = db_run(db, &st, sql, "ss", now, stale);
	if (rc == RC_DONE) {
		c->id = 0;
		return RC_OK;
	}
	if (rc != RC_ROW)
		return rc;
	c->id = db_col_int(st, 0);
	xfree(c->kind);
	xfree(c->payload);
	c->kind = xstrdup(db_col_text(st, 1));
	c->payload = xstrdup(db_col_text(st, 2));
	c->attempts = db_col_int(st, 3) + 1;
	c->max_attempts = db_col_int(st, 4);
	db_done(st);
	if (!c->kind || !c->payload)
		return RC_ERROR;
	rc = db_run(db, NULL,
		    "UPDATE jobs SET state = 'running', attempts = ?, locked_by = ?, locked_at = ?"
		    " WHERE id = ?",
		    "issi", c->attempts, c->worker_id, now, c->id);
	return rc == RC_DONE ? RC_OK : rc;
}

static int64_t backoff_seconds(int64_t attempts)
{
	int64_t s = 10;
	for (int64_t i = 1; i < attempts && s < MAX_BACKOFF; i++)
		s *= 2;
	if (s > MAX_BACKOFF)
		s = MAX_BACKOFF;
	return s + randombytes_uniform((uint32_t)(s / 4 + 1));
}

int jobs_run_one(struct db *db, const char *worker_id, int64_t now)
{
	struct claim c = { .worker_id = worker_id, .now = now };
	int rc = db_txn(db, claim_txn, &c);
	if (rc != RC_OK || c.id == 0) {
		xfree(c.kind);
		xfree(c.payload);
		return rc == RC_OK ? 0 : -1;
	}

	const struct job_kind *k = kind_find(c.kind);
	char error[512] = "";
	enum job_result result = JOB_FAIL;
	json_t *payload = json_loads(c.payload, 0, NULL);
	if (!k)
		snprintf(error, sizeof(error), "unknown job kind \"%s\"", c.kind);
	else if (!payload)
		snprintf(error, sizeof(error), "payload is not JSON");
	else
		result = k->run(db, payload, error, sizeof(error));
	json_decref(payload);

	char fin[TIME_RFC3339_LEN];
	time_format(time_now(), fin);
	if (result == JOB_DONE) {
		rc = db_run(db, NULL,
			    "UPDATE jobs SET state = 'done', finished_at = ?, last_error = NULL,"
			    " locked_by = NULL, locked_at = NULL WHERE id = ?",
			    "si", fin, c.id);
	} else if (result == JOB_RETRY && c.attempts < c.max_attempts) {
		char at[TIME_RFC3339_LEN];
		time_format(time_now() + backoff_seconds(c.attempts), at);
		log_warn("job %lld (%s) failed, attempt %lld of %lld, retrying at %s: %s",
			 (long long)c.id, c.kind, (long long)c.attempts, (long long)c.max_attempts,
			 at, error);
		rc = db_run(db, NULL,
			    "UPDATE jobs SET state = 'queued', run_at = ?, last_error = ?,"
			    " locked_by = NULL, locked_at = NULL WHERE id = ?",
			    "ssi", at, error, c.id);
	} else {
		log_error("job %lld (%s) failed for good after %lld attempts: %s", (long long)c.id,
			  c.kind, (long long)c.attempts, error);
		rc = db_run(db, NULL,
			    "UPDATE jobs SET state = 'failed', finished_at = ?, last_error = ?,"
			    " locked_by = NULL, locked_at = NULL WHERE id = ?",
			    "ssi", fin, error, c.id);
	}
	xfree(c.kind);
	xfree(c.payload);
	return rc == RC_DONE ? 1 : -1;
}

int jobs_schedule_periodic(struct db *db, int64_t now)
{
	/* housekeeping once an hour, on the hour; the key makes it once per hour in all */
	int64_t hour = now - now % 3600;
	char key[64], at[TIME_RFC3339_LEN];
	time_format(hour, at);
	snprintf(key, sizeof(key), "housekeeping:%s", at);
	int rc = jobs_enqueue(db, "housekeeping", NULL, hour, key, NULL);
	if (rc != RC_OK)
		return rc;
	/* quotes expire by the day: hourly is soon enough */
	snprintf(key, sizeof(key), "sales:%s", at);
	rc = jobs_enqueue(db, "sales", NULL, hour, key, NULL);
	if (rc != RC_OK)
		return rc;
	/* the weekly quality draw: hourly finds an ended week soon enough */
	snprintf(key, sizeof(key), "qa-draw:%s", at);
	rc = jobs_enqueue(db, "qa-draw", NULL, hour, key, NULL);
	if (rc != RC_OK)
		return rc;
	/* the service desk every minute: recurring tickets are due to the minute */
	int64_t minute = now - now % 60;
	time_format(minute, at);
	snprintf(key, sizeof(key), "service-desk:%s", at);
	rc = jobs_enqueue(db, "service-desk", NULL, minute, key, NULL);
	if (rc != RC_OK)
		return rc;
	/* breaches and warnings happen as time passes, not only on writes */
	snprintf(key, sizeof(key), "sla:%s", at);
	rc = jobs_enqueue(db, "sla", NULL, minute, key, NULL);
	if (rc != RC_OK)
		return rc;
	/* the IMAP mailbox, when the settings name one */
	snprintf(key, sizeof(key), "mail-poll:%s", at);
	return jobs_enqueue(db, "mail-poll", NULL, minute, key, NULL);
}

struct jobs_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	char id[64];
};

static void *worker_main(void *arg)
{
	struct jobs_worker *w = arg;
	/* a wait, not business time: the monotonic clock (a test may move time_now back) */
	int64_t last_schedule_ns = 0;
	bool scheduled = false;
	log_info("job worker %s started", w->id);
	for (;;) {
		pthread_mutex_lock(&w->lock);
		bool stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
		struct db *db = db_pool_get();
		int ran = 0;
		if (db) {
			int64_t now = time_now(), mono = time_mono_ns();
			if (!scheduled || mono - last_schedule_ns >= 60 * INT64_C(1000000000)) {
				if (jobs_schedule_periodic(db, now) == RC_OK) {
					last_schedule_ns = mono;
					scheduled = true;
				}
			}
			ran = jobs_run_one(db, w->id, now);
			/* webhooks go out within the poll interval, between jobs */
			if (ran == 0 && webhooks_pump(db, now) > 0)
				ran = 1;
		}
		if (ran == 1)
			continue;	/* there may be more due */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += POLL_MS / 1000;
		pthread_mutex_lock(&w->lock);
		if (!w->stop)
			pthread_cond_timedwait(&w->wake, &w->lock, &until);
		pthread_mutex_unlock(&w->lock);
	}
	db_pool_release();
	log_info("job worker %s stopped", w->id);
	return NULL;
}

struct jobs_worker *jobs_worker_start(void)
{
	struct jobs_worker *w = xcalloc(1, sizeof(*w));
	if (!w)
		return NULL;
	char host[32] = "host";
	gethostname(host, sizeof(host) - 1);
	snprintf(w->id, sizeof(w->id), "%s:%ld", host, (long)getpid());
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		log_error("cannot start the job worker thread");
		xfree(w);
		return NULL;
	}
	return w;
}

void jobs_worker_stop(struct jobs_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	xfree(w);
}
