/*
 * draw.c - the weekly random draw of service orders to review (the
 * "qa-draw" job, run hourly by the worker and by "servio worker --run
 * qa-draw").
 *
 * For each ended week (Monday to Sunday in the firm's time zone) of the
 * last QA_LOOKBACK_WEEKS, each technician who finished tickets in it (see
 * quality.h) and has no draw for it gets one: a qa_draws row with a fresh
 * random seed and the rate of the moment, and a pending review of each
 * ticket drawn. The (user, week) row is unique, so a week is drawn once
 * per technician whatever runs the job, how often, or what the rate
 * becomes later.
 *
 * The draw is reproducible from its seed: the candidates (the tickets
 * finished that have no review yet) sorted by id, then a partial
 * Fisher-Yates shuffle with splitmix64 seeded by the recorded seed.
 */
#include "quality.h"

#include "core/alloc.h"
#include "core/calendar.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "jobs/jobs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sample ------------------------------------------------------------------ */

int64_t qa_sample_size(int64_t n, int64_t rate_bp)
{
	if (n <= 0 || rate_bp <= 0)
		return 0;
	if (rate_bp > 10000)
		rate_bp = 10000;
	int64_t k = (n * rate_bp + 9999) / 10000;
	return k < 1 ? 1 : k > n ? n : k;
}

uint64_t qa_prng_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0: rejection keeps it free of modulo bias. */
static uint64_t below(uint64_t *state, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;
	do
		r = qa_prng_next(state);
	while (r >= limit);
	return r % n;
}

static int by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void qa_sample(uint64_t seed, int64_t *ids, size_t n, size_t k)
{
	if (n == 0)
		return;
	if (k > n)
		k = n;
	qsort(ids, n, sizeof(*ids), by_id);
	uint64_t state = seed;
	for (size_t i = 0; i < k; i++) {
		size_t j = i + (size_t)below(&state, n - i);
		int64_t t = ids[i];
		ids[i] = ids[j];
		ids[j] = t;
	}
	qsort(ids, k, sizeof(*ids), by_id);
}

/* Weeks ----------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void date_of_day(int64_t day, char out[11])
{
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* The settings the draw needs: the firm's zone and the rate. */
static int read_settings(struct db *db, char tz[64], int64_t *rate)
{
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT timezone, qa_sample_rate_bp FROM settings WHERE id = 1",
			"");
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	snprintf(tz, 64, "%s", db_col_text(st, 0) ? db_col_text(st, 0) : "UTC");
	if (rate)
		*rate = db_col_int(st, 1);
	db_done(st);
	return RC_OK;
}

/* The day number of the Monday of the week holding t in zone z. */
static int monday_of(struct calendar_zone *z, int64_t t, int64_t *monday)
{
	int64_t local;
	if (calendar_zone_local(z, t, &local) < 0)
		return -1;
	int64_t day = floor_div(local, 86400);
	/* 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays */
	*monday = day - (((day + 3) % 7) + 7) % 7;
	return 0;
}

int qa_week_of(struct db *db, int64_t t, char out[11])
{
	char tz[64], err[200];
	int rc = read_settings(db, tz, NULL);
	if (rc != RC_OK)
		return rc;
	struct calendar_zone z;
	if (calendar_zone_init(&z, tz, err, sizeof(err)) < 0) {
		log_error("cannot open the firm's time zone: %s", err);
		return RC_ERROR;
	}
	int64_t monday;
	rc = monday_of(&z, t, &monday) < 0 ? RC_ERROR : RC_OK;
	calendar_zone_release(&z);
	if (rc == RC_OK)
		date_of_day(monday, out);
	return rc;
}

/* The draw ------------------------------------------------------------------------ */

static const struct audit_actor draw_actor = { .label = "system (qa draw)" };

/* One technician's week, drawn in one transaction (db_txn). */
struct draw_one {
	int64_t user;
	const char *week;	/* "YYYY-MM-DD" */
	int64_t rate, closed;
	int64_t *cand;		/* finished and not reviewed yet */
	size_t ncand;
	uint64_t seed;
	int64_t made;		/* out: reviews made */
};

static int draw_one_txn(struct db *db, void *arg)
{
	struct draw_one *d = arg;
	d->made = 0;
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT id FROM qa_draws WHERE user_id = ? AND week_start = ?",
			"is", d->user, d->week);
	if (rc == RC_ROW) {
		db_done(st);
		return RC_OK;	/* drawn already (another worker, a moment ago) */
	}
	if (rc != RC_DONE)
		return rc;
	size_t k = (size_t)qa_sample_size(d->closed, d->rate);
	if (k > d->ncand)
		k = d->ncand;
	int64_t *pick = xmalloc((d->ncand ? d->ncand : 1) * sizeof(*pick));
	if (!pick)
		return RC_ERROR;
	memcpy(pick, d->cand, d->ncand * sizeof(*pick));
	qa_sample(d->seed, pick, d->ncand, k);

	struct arena arena;
	arena_init(&arena);
	struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &draw_actor,
				    .trusted = true };
	char seed[17], now[TIME_RFC3339_LEN];
	snprintf(seed, sizeof(seed), "%016llx", (unsigned long long)d->seed);
	time_format(time_now(), now);
	json_t *body = arena_json(&arena, json_pack(
		"{s:I, s:s, s:s, s:I, s:I, s:I, s:s}", "user_id", (json_int_t)d->user,
		"week_start", d->week, "seed", seed, "rate_bp", (json_int_t)d->rate,
		"closed_count", (json_int_t)d->closed, "drawn_count", (json_int_t)k, "drawn_at", now));
	json_t *draw = NULL, *errors = NULL;
	rc = body ? resource_create_trusted(&ctx, &qa_draw_resource, body, &draw, &errors)
		  : RC_ERROR;
	/* a unique (user, week) another worker just wrote: look again */
	if (rc == RC_CONFLICT || rc == RC_CONSTRAINT)
		rc = RC_RETRY;
	int64_t draw_id = rc == RC_OK ? json_integer_value(json_object_get(draw, "id")) : 0;
	for (size_t i = 0; rc == RC_OK && i < k; i++) {
		json_t *review = arena_json(&arena, json_pack(
			"{s:I, s:I, s:s, s:I}", "ticket_id", (json_int_t)pick[i], "technician_id",
			(json_int_t)d->user, "week_start", d->week, "draw_id", (json_int_t)draw_id));
		json_t *out;
		errors = NULL;
		rc = review ? resource_create_trusted(&ctx, &qa_review_resource, review, &out,
						      &errors)
			    : RC_ERROR;
		if (rc == RC_INVALID || rc == RC_CONFLICT) {
			char *e = json_dumps(errors, JSON_COMPACT);
			log_error("qa draw: cannot make the review of ticket %lld: %s",
				  (long long)pick[i], e ? e : "");
			free(e);
			rc = RC_ERROR;
		}
		if (rc == RC_OK)
			d->made++;
	}
	arena_release(&arena);
	xfree(pick);
	return rc;
}

struct finished {
	int64_t user, ticket;
	bool reviewed;
};

/* Draws one week [t0, t1) for every technician not drawn for it yet. */
static int draw_week(struct db *db, const char *week, int64_t t0, int64_t t1, int64_t rate,
		     int64_t *made, char *error, size_t errlen)
{
	char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN];
	time_format(t0, from);
	time_format(t1, to);
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT t.assignee_id, t.id, (SELECT COUNT(*) FROM qa_reviews r"
			" WHERE r.ticket_id = t.id AND r.archived_at IS NULL)"
			" FROM tickets t WHERE t.status IN ('resolved', 'closed')"
			" AND t.assignee_id IS NOT NULL AND t.resolved_at >= ? AND t.resolved_at < ?"
			" AND NOT EXISTS (SELECT 1 FROM qa_draws d WHERE d.user_id = t.assignee_id"
			" AND d.week_start = ?)"
			" ORDER BY t.assignee_id, t.id",
			"sss", from, to, week);
	struct finished *all = NULL;
	size_t n = 0, cap = 0;
	bool open = rc == RC_ROW;
	while (rc == RC_ROW) {
		if (n == cap) {
			size_t more = cap ? cap * 2 : 64;
			struct finished *p = xrealloc(all, more * sizeof(*p));
			if (!p) {
				rc = RC_ERROR;
				break;
			}
			all = p;
			cap = more;
		}
		all[n++] = (struct finished){ db_col_int(st, 0), db_col_int(st, 1),
					      db_col_int(st, 2) > 0 };
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE) {
		snprintf(error, errlen, "cannot read the tickets finished in the week of %s: %s",
			 week, db_errmsg(db));
		xfree(all);
		return -1;
	}
	int64_t *cand = xmalloc((n ? n : 1) * sizeof(*cand));
	if (!cand) {
		xfree(all);
		snprintf(error, errlen, "out of memory");
		return -1;
	}
	int result = 0;
	for (size_t i = 0; i < n && result == 0;) {
		struct draw_one d = { .user = all[i].user, .week = week, .rate = rate, .cand = cand };
		for (; i < n && all[i].user == d.user; i++) {
			d.closed++;
			if (!all[i].reviewed)
				cand[d.ncand++] = all[i].ticket;
		}
		randombytes_buf(&d.seed, sizeof(d.seed));
		rc = db_txn(db, draw_one_txn, &d);
		if (rc != RC_OK) {
			snprintf(error, errlen, "cannot draw the week of %s for user %lld: %s", week,
				 (long long)d.user, db_errmsg(db));
			result = -1;
		}
		*made += d.made;
	}
	xfree(cand);
	xfree(all);
	return result;
}

int qa_draw(struct db *db, int64_t now, int64_t *drawn, char *error, size_t errlen)
{
	char tz[64], err[200];
	int64_t rate = 0, made = 0;
	if (drawn)
		*drawn = 0;
	if (read_settings(db, tz, &rate) != RC_OK) {
		snprintf(error, errlen, "cannot read the settings: %s", db_errmsg(db));
		return -1;
	}
	if (rate <= 0)
		return 0;	/* the draw is off */
	struct calendar_zone z;
	if (calendar_zone_init(&z, tz, err, sizeof(err)) < 0) {
		snprintf(error, errlen, "cannot open the firm's time zone: %s", err);
		return -1;
	}
	int64_t monday;
	int result = monday_of(&z, now, &monday);
	if (result < 0)
		snprintf(error, errlen, "cannot read the local time in %s", tz);
	/* oldest first: the order the weeks ended */
	for (int k = QA_LOOKBACK_WEEKS; k >= 1 && result == 0; k--) {
		int64_t day = monday - 7 * k, t0, t1;
		char week[11];
		date_of_day(day, week);
		if (calendar_zone_day_start(&z, day, &t0) < 0 ||
		    calendar_zone_day_start(&z, day + 7, &t1) < 0) {
			snprintf(error, errlen, "cannot compute the week of %s in %s", week, tz);
			result = -1;
			break;
		}
		result = draw_week(db, week, t0, t1, rate, &made, error, errlen);
	}
	calendar_zone_release(&z);
	if (made)
		log_info("qa draw: %lld service orders drawn for review", (long long)made);
	if (drawn)
		*drawn = made;
	return result;
}

enum job_result qa_draw_run(struct db *db, const json_t *payload, char *error, size_t errlen)
{
	return qa_draw(db, time_now(), NULL, error, errlen) < 0 ? JOB_RETRY : JOB_DONE;
}
