/*
 * quality.h - random quality reviews: the services manager checks a random
 * sample of every technician's finished service orders each week against
 * a checklist of weighted items, and the scores feed a report.
 *
 *   qa-templates  the checklists (name, items[] {label, weight 1..100,
 *                 guidance}, active, at most one is_default)
 *   qa-draws      one row per technician and ended week: the random seed,
 *                 the rate, how many were finished and how many drawn;
 *                 written by the draw only, never drawn again
 *   qa-reviews    one service order under review: pending, then done
 *                 (answers scored) or skipped
 *
 * "Finished in a week" means: the ticket is resolved or closed now, has an
 * assignee (the technician), and its resolved_at lies in that week, Monday
 * 00:00 to the next Monday 00:00 in the firm's time zone (settings
 * timezone). Closing keeps resolved_at; reopening clears it, so a ticket
 * counts in the week its work was last finished.
 *
 * The resources are tables for the engine (qa.c); the weekly draw is the
 * "qa-draw" job (draw.c); the report is report.c.
 */
#ifndef SERVIO_QUALITY_H
#define SERVIO_QUALITY_H

#include "resource/resource.h"

#include <stddef.h>
#include <stdint.h>

struct db;

extern const struct resource qa_template_resource;	/* /api/v1/qa-templates */
extern const struct resource qa_draw_resource;		/* /api/v1/qa-draws (read only) */
extern const struct resource qa_review_resource;	/* /api/v1/qa-reviews */
/* POST /qa-reviews/{id}/complete {answers, notes?, template_id?} and /skip {notes?}. */
extern const struct resource_action qa_review_complete;
extern const struct resource_action qa_review_skip;

/* The weeks a draw looks back over: a worker down for a while catches up on at most these. */
#define QA_LOOKBACK_WEEKS 8

/*
 * The sample size for n finished tickets at rate_bp basis points:
 * ceil(n × rate_bp / 10000), at least 1 when n > 0 and rate_bp > 0, at
 * most n; 0 when n or rate_bp is 0 (or less).
 */
int64_t qa_sample_size(int64_t n, int64_t rate_bp);

/* splitmix64: advances *state and returns the next 64 random bits (deterministic). */
uint64_t qa_prng_next(uint64_t *state);

/*
 * The draw, reproducible from its seed: sorts ids[0..n) ascending, then a
 * partial Fisher-Yates shuffle driven by qa_prng_next from seed moves a
 * uniform sample of k of them into ids[0..k), which is then sorted
 * ascending. k is clamped to n. The same seed and the same set of ids
 * (in any order) always give the same sample. ids is the caller's.
 */
void qa_sample(uint64_t seed, int64_t *ids, size_t n, size_t k);

/*
 * The Monday ("YYYY-MM-DD") of the week holding instant t, in the firm's
 * time zone. Returns RC_OK or a failure (db or zone).
 */
int qa_week_of(struct db *db, int64_t t, char out[11]);

/*
 * The weekly draw as of now: for each of the last QA_LOOKBACK_WEEKS ended
 * weeks and each technician who finished tickets in it and has no draw
 * for it yet, records a draw with a fresh random seed (libsodium) and
 * makes a pending review of each ticket drawn (with the default template,
 * if any). Tickets that already have a review are not drawn again. Does
 * nothing when settings qa_sample_rate_bp is 0. *drawn (may be NULL): the
 * reviews made. Returns 0, or -1 with error.
 */
int qa_draw(struct db *db, int64_t now, int64_t *drawn, char *error, size_t errlen);

/*
 * GET /reports/qa: reviews by technician, week or month of the work
 * (week_start in [from, to); NULL: open), each row {technician_id,
 * technician_name | period, done, skipped, pending, average_score}; group
 * "technician" with by "week" or "month" gives a series per technician.
 * *out (ctx->arena) on RC_OK.
 */
int qa_report(struct resource_ctx *ctx, const char *from, const char *to, const char *group,
	      const char *by, json_t **out);

#endif
