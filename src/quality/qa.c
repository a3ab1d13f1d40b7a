/*
 * qa.c - the tables of the quality reviews for the engine: checklist
 * templates with weighted items, the weekly draws (written by draw.c
 * only), and the reviews with their two verbs, complete (answers scored)
 * and skip.
 *
 * Scoring: a review answers every item of its template once, as
 * {item: index into the template's items (from 0), points: 0..weight,
 * comment?}. score = round(100 × points given / weights summed), half away
 * from zero, in integers: 0..100. The template's items are copied into the
 * review (checklist) when it is completed, so a later edit of the template
 * never changes what an old score meant.
 */
#include "quality.h"

#include "auth/auth.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "service/service.h"

#include <stdio.h>
#include <string.h>

#define QA_REVIEWERS (ROLE_ADMIN | ROLE_MANAGER)

static const char *str(const json_t *rec, const char *name)
{
	return json_string_value(json_object_get(rec, name));
}

static int64_t num(const json_t *rec, const char *name)
{
	return json_integer_value(json_object_get(rec, name));
}

/* Templates --------------------------------------------------------------------- */

static const struct field template_item[] = {
	FIELD_TEXT("label", F_REQUIRED, 1, 200),
	{ .name = "weight", .type = FT_INT, .flags = F_REQUIRED, .min = 1, .max = 100,
	  .doc = "How much the item counts: the points a review may give it (1..100)." },
	{ .name = "guidance", .type = FT_TEXT, .min = 0, .max = 2000,
	  .doc = "What the reviewer looks for." },
	FIELD_END
};

static const struct field template_fields[] = {
	{ .name = "name", .type = FT_TEXT, .flags = F_REQUIRED | F_FILTER | F_SORT, .min = 1,
	  .max = 100 },
	FIELD_TEXT("description", 0, 0, 2000),
	{ .name = "items", .type = FT_OBJECTS, .flags = F_REQUIRED, .max = 50,
	  .items = template_item, .doc = "The checklist, in order; at least one item." },
	{ .name = "active", .type = FT_BOOL, .flags = F_NOT_NULL | F_FILTER, .dflt = "true",
	  .doc = "Inactive templates are kept for the reviews made with them, and offered no more." },
	{ .name = "is_default", .type = FT_BOOL, .flags = F_NOT_NULL | F_FILTER, .dflt = "false",
	  .doc = "The template drawn reviews start with; at most one (making another the default "
		 "moves it)." },
	FIELD_END
};

static int template_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	if (json_array_size(json_object_get(rec, "items")) == 0)
		resource_error(errors, "items", "must have at least one item");
	if (json_is_true(json_object_get(rec, "is_default")) &&
	    !json_is_true(json_object_get(rec, "active")))
		resource_error(errors, "is_default", "an inactive template cannot be the default");
	return RC_OK;
}

/* Making a template the default takes the mark off the one that had it (audited). */
static int template_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			    json_t *errors)
{
	if (!json_is_true(json_object_get(rec, "is_default")) ||
	    (cur && json_is_true(json_object_get(cur, "is_default"))))
		return RC_OK;
	int64_t self = cur ? num(cur, "id") : 0;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT id FROM qa_templates WHERE is_default = 1 AND archived_at IS NULL"
			" AND id <> ?",
			"i", self);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_OK : rc;
	int64_t other = db_col_int(st, 0);
	db_done(st);
	json_t *patch = arena_json(ctx->arena, json_pack("{s:b}", "is_default", 0));
	json_t *out, *errs = NULL;
	rc = patch ? resource_update_trusted(ctx, &qa_template_resource, other, patch, &out, &errs)
		   : RC_ERROR;
	return rc == RC_INVALID || rc == RC_CONFLICT ? RC_ERROR : rc;
}

/* An archived default is no default: the mark goes with it. */
static int template_archive_check(struct resource_ctx *ctx, const json_t *cur, bool archive,
				  json_t *errors)
{
	if (!archive && json_is_true(json_object_get(cur, "is_default"))) {
		struct db_stmt *st;
		int rc = db_run(ctx->db, &st,
				"SELECT name FROM qa_templates WHERE is_default = 1"
				" AND archived_at IS NULL AND id <> ?",
				"i", num(cur, "id"));
		if (rc == RC_ROW) {
			char msg[300];
			snprintf(msg, sizeof(msg), "\"%.200s\" is the default now; make this one the "
				 "default after restoring it", db_col_text(st, 0));
			db_done(st);
			resource_error(errors, "is_default", msg);
			return RC_CONFLICT;
		}
		return rc == RC_DONE ? RC_OK : rc;
	}
	return RC_OK;
}

const struct resource qa_template_resource = {
	.name = "qa-templates",
	.singular = "qa template",
	.table = "qa_templates",
	.fields = template_fields,
	.default_sort = "name",
	.check = template_check,
	.prepare = template_prepare,
	.archive_check = template_archive_check,
	.doc = "Checklists for quality reviews: weighted items a reviewer scores.",
};

/* Draws --------------------------------------------------------------------------- */

static const struct field draw_fields[] = {
	{ .name = "user_id", .type = FT_REF, .ref = &user_resource,
	  .flags = F_READ_ONLY | F_REQUIRED | F_FILTER, .doc = "The technician." },
	{ .name = "week_start", .type = FT_DATE, .flags = F_READ_ONLY | F_REQUIRED | F_FILTER | F_SORT,
	  .doc = "The Monday of the week drawn (the firm's time zone)." },
	{ .name = "seed", .type = FT_TEXT, .flags = F_READ_ONLY | F_REQUIRED, .min = 16, .max = 16,
	  .doc = "The random seed (64 bits in hex): the draw is reproducible from it and the ids "
		 "of the tickets finished (see docs/QUALITY.md)." },
	{ .name = "rate_bp", .type = FT_INT, .flags = F_READ_ONLY | F_REQUIRED, .min = 0,
	  .max = 10000, .doc = "The sample rate when drawn." },
	{ .name = "closed_count", .type = FT_INT, .flags = F_READ_ONLY | F_REQUIRED, .min = 0,
	  .max = 1000000000, .doc = "Tickets the technician finished in the week." },
	{ .name = "drawn_count", .type = FT_INT, .flags = F_READ_ONLY | F_REQUIRED, .min = 0,
	  .max = 1000000000, .doc = "Reviews made." },
	{ .name = "drawn_at", .type = FT_TIME, .flags = F_READ_ONLY | F_REQUIRED | F_SORT },
	FIELD_END
};

const struct resource qa_draw_resource = {
	.name = "qa-draws",
	.singular = "qa draw",
	.table = "qa_draws",
	.fields = draw_fields,
	.default_sort = "-week_start",
	.doc = "The weekly random draws of service orders to review, one per technician and "
	       "week, made once by the worker.",
};

/* Reviews ------------------------------------------------------------------------ */

static const char *const review_statuses[] = { "pending", "done", "skipped", NULL };

static const struct field answer_item[] = {
	{ .name = "item", .type = FT_INT, .flags = F_REQUIRED, .min = 0, .max = 49,
	  .doc = "The index of the template's item, from 0." },
	{ .name = "points", .type = FT_INT, .flags = F_REQUIRED, .min = 0, .max = 100,
	  .doc = "0 up to the item's weight." },
	FIELD_TEXT("comment", 0, 0, 2000),
	FIELD_END
};

static const struct field review_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .ref = &ticket_resource,
	  .flags = F_REQUIRED | F_FILTER, .doc = "The service order reviewed." },
	{ .name = "technician_id", .type = FT_REF, .ref = &user_resource,
	  .flags = F_READ_ONLY | F_FILTER | F_SORT | F_NOT_NULL,
	  .doc = "Who did the work: the ticket's assignee when the review was made." },
	{ .name = "reviewer_id", .type = FT_REF, .ref = &user_resource, .flags = F_FILTER,
	  .doc = "The manager who takes (or took) the review; null until one does. Never the "
		 "technician reviewed." },
	{ .name = "template_id", .type = FT_REF, .ref = &qa_template_resource, .flags = F_FILTER,
	  .doc = "The checklist; drawn reviews start with the default template." },
	{ .name = "status", .type = FT_ENUM, .enum_values = review_statuses,
	  .flags = F_READ_ONLY | F_FILTER | F_SORT | F_NOT_NULL, .dflt = "\"pending\"",
	  .doc = "`pending`, then `done` (POST …/complete) or `skipped` (POST …/skip)." },
	{ .name = "answers", .type = FT_OBJECTS, .flags = F_READ_ONLY, .max = 50,
	  .items = answer_item, .doc = "One per item of the checklist, set by complete." },
	{ .name = "checklist", .type = FT_OBJECTS, .flags = F_READ_ONLY, .max = 50,
	  .items = template_item, .doc = "The template's items as they were when completed." },
	{ .name = "score", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 0,
	  .max = 100,
	  .doc = "round(100 × points given ÷ weights summed), 0..100; null until done." },
	FIELD_TEXT("notes", 0, 0, 10000),
	{ .name = "week_start", .type = FT_DATE, .flags = F_READ_ONLY | F_FILTER | F_SORT | F_NOT_NULL,
	  .doc = "The Monday of the week the work was finished (of the review's making for an "
		 "unfinished ticket)." },
	{ .name = "draw_id", .type = FT_REF, .ref = &qa_draw_resource,
	  .flags = F_READ_ONLY | F_FILTER, .doc = "The draw that picked it; null: made by hand." },
	{ .name = "completed_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When it was completed or skipped." },
	FIELD_END
};

/* The role of user id (0 when there is none), for the reviewer rule. */
static int role_of_user(struct resource_ctx *ctx, int64_t id, unsigned *role)
{
	struct db_stmt *st;
	*role = 0;
	int rc = db_run(ctx->db, &st, "SELECT role FROM users WHERE id = ?", "i", id);
	if (rc == RC_ROW) {
		*role = role_parse(db_col_text(st, 0));
		db_done(st);
		return RC_OK;
	}
	return rc == RC_DONE ? RC_OK : rc;
}

/* The ticket's number ("T-000012"), for messages. */
static const char *ticket_number(struct resource_ctx *ctx, int64_t id)
{
	struct db_stmt *st;
	const char *n = NULL;
	if (db_run(ctx->db, &st, "SELECT number FROM tickets WHERE id = ?", "i", id) == RC_ROW) {
		n = arena_strdup(ctx->arena, db_col_text(st, 0));
		db_done(st);
	}
	return n ? n : arena_printf(ctx->arena, "%lld", (long long)id);
}

static int default_template(struct resource_ctx *ctx, int64_t *id)
{
	struct db_stmt *st;
	*id = 0;
	int rc = db_run(ctx->db, &st,
			"SELECT id FROM qa_templates WHERE is_default = 1 AND active = 1"
			" AND archived_at IS NULL",
			"");
	if (rc == RC_ROW) {
		*id = db_col_int(st, 0);
		db_done(st);
		return RC_OK;
	}
	return rc == RC_DONE ? RC_OK : rc;
}

/*
 * A review made by hand (POST with ticket_id): the technician is the
 * ticket's assignee, the week that of its resolution (else this one), the
 * template the default. Only one live review of a ticket that is not
 * skipped.
 */
static bool changed(const json_t *a, const json_t *b, const char *name)
{
	json_t *x = json_object_get(a, name), *y = json_object_get(b, name);
	bool xn = !x || json_is_null(x), yn = !y || json_is_null(y);
	return xn != yn || (!xn && !json_equal(x, y));
}

/*
 * A review stays about its ticket; once done or skipped only its notes
 * change (a score's template and reviewer are history).
 */
static int review_settled(struct resource_ctx *ctx, const json_t *cur, const json_t *rec,
			  json_t *errors)
{
	if (changed(cur, rec, "ticket_id")) {
		resource_error(errors, "ticket_id",
			       "a review stays about its service order: make a new review");
		return RC_CONFLICT;
	}
	if (ctx->action || strcmp(str(cur, "status"), "pending") == 0)
		return RC_OK;
	static const char *const fixed[] = { "template_id", "reviewer_id", NULL };
	for (const char *const *f = fixed; *f; f++) {
		if (changed(cur, rec, *f)) {
			resource_error(errors, *f,
				       arena_printf(ctx->arena, "the review is %s: only its notes "
							    "change", str(cur, "status")));
			return RC_CONFLICT;
		}
	}
	return RC_OK;
}

static int review_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			  json_t *errors)
{
	if (cur)
		return review_settled(ctx, cur, rec, errors);
	int64_t ticket = num(rec, "ticket_id");
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT assignee_id, resolved_at, number FROM tickets WHERE id = ?", "i",
			ticket);
	if (rc == RC_DONE)
		return RC_OK;	/* the reference check names it */
	if (rc != RC_ROW)
		return rc;
	bool assigned = !db_col_null(st, 0);
	int64_t assignee = db_col_int(st, 0);
	int64_t resolved = 0;
	bool finished = !db_col_null(st, 1) && time_parse(db_col_text(st, 1), &resolved) == 0;
	const char *number = arena_strdup(ctx->arena, db_col_text(st, 2));
	db_done(st);
	if (!json_is_integer(json_object_get(rec, "technician_id"))) {
		if (!assigned) {
			resource_error(errors, "ticket_id",
				       arena_printf(ctx->arena, "%s has no assignee: there is no "
						    "technician's work to review", number));
			return RC_OK;
		}
		json_object_set_new(rec, "technician_id", json_integer(assignee));
	}
	if (!str(rec, "week_start")) {
		char week[11];
		rc = qa_week_of(ctx->db, finished ? resolved : ctx->now, week);
		if (rc != RC_OK)
			return rc;
		json_object_set_new(rec, "week_start", json_string(week));
	}
	if (!json_is_integer(json_object_get(rec, "template_id"))) {
		int64_t t;
		rc = default_template(ctx, &t);
		if (rc != RC_OK)
			return rc;
		if (t)
			json_object_set_new(rec, "template_id", json_integer(t));
	}
	rc = db_run(ctx->db, &st,
		    "SELECT id FROM qa_reviews WHERE ticket_id = ? AND status <> 'skipped'"
		    " AND archived_at IS NULL",
		    "i", ticket);
	if (rc == RC_ROW) {
		int64_t other = db_col_int(st, 0);
		db_done(st);
		resource_error(errors, "ticket_id",
			       arena_printf(ctx->arena, "%s already has a review (qa-reviews/%lld)",
					    number, (long long)other));
		return RC_CONFLICT;
	}
	return rc == RC_DONE ? RC_OK : rc;
}

static int review_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	json_t *reviewer = json_object_get(rec, "reviewer_id");
	if (!json_is_integer(reviewer))
		return RC_OK;
	int64_t who = json_integer_value(reviewer);
	if (who == num(rec, "technician_id")) {
		resource_error(errors, "reviewer_id",
			       arena_printf(ctx->arena, "the technician who worked %s cannot review "
						    "it: another manager must",
					    ticket_number(ctx, num(rec, "ticket_id"))));
		return RC_CONFLICT;
	}
	unsigned role;
	int rc = role_of_user(ctx, who, &role);
	if (rc != RC_OK)
		return rc;
	if (role && !(role & QA_REVIEWERS))
		resource_error(errors, "reviewer_id", "must be a manager or an admin");
	return RC_OK;
}

/* The caller takes the review: they become its reviewer (unless the server acts). */
static void take(struct resource_ctx *ctx, json_t *rec)
{
	if (ctx->actor && ctx->actor->user_id)
		json_object_set_new(rec, "reviewer_id", json_integer(ctx->actor->user_id));
}

static void set_now(struct resource_ctx *ctx, json_t *rec, const char *name)
{
	char t[TIME_RFC3339_LEN];
	time_format(ctx->now ? ctx->now : time_now(), t);
	json_object_set_new(rec, name, json_string(t));
}

static const struct field complete_body[] = {
	{ .name = "answers", .type = FT_OBJECTS, .flags = F_REQUIRED, .max = 50,
	  .items = answer_item,
	  .doc = "One per item of the template: {item, points 0..weight, comment?}." },
	FIELD_TEXT("notes", 0, 0, 10000),
	{ .name = "template_id", .type = FT_REF, .ref = &qa_template_resource,
	  .doc = "Another checklist than the review's." },
	FIELD_END
};

static int complete(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		    json_t *errors)
{
	take(ctx, rec);
	if (json_is_integer(json_object_get(rec, "reviewer_id")) &&
	    num(rec, "reviewer_id") == num(cur, "technician_id")) {
		resource_error(errors, "reviewer_id",
			       arena_printf(ctx->arena, "you worked %s: another manager reviews it",
					    ticket_number(ctx, num(cur, "ticket_id"))));
		return RC_CONFLICT;
	}
	json_t *tid = json_object_get(body, "template_id");
	if (!json_is_integer(tid))
		tid = json_object_get(rec, "template_id");
	if (!json_is_integer(tid)) {
		resource_error(errors, "template_id",
			       "the review has no template: name one (GET /api/v1/qa-templates)");
		return RC_INVALID;
	}
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	json_t *tpl;
	int rc = resource_get(&sys, &qa_template_resource, json_integer_value(tid), &tpl);
	if (rc == RC_NOT_FOUND || (rc == RC_OK && json_is_string(json_object_get(tpl, "archived_at")))) {
		resource_error(errors, "template_id",
			       arena_printf(ctx->arena, "no qa template with id %lld",
					    (long long)json_integer_value(tid)));
		return RC_INVALID;
	}
	if (rc != RC_OK)
		return rc;
	json_t *items = json_object_get(tpl, "items");
	size_t nitems = json_array_size(items);
	json_t *answers = json_object_get(body, "answers");
	bool seen[50] = { false };
	int64_t given = 0, total = 0;
	size_t i;
	json_t *a;
	json_array_foreach(answers, i, a) {
		int64_t item = num(a, "item"), points = num(a, "points");
		const char *field = arena_printf(ctx->arena, "answers[%zu].item", i);
		if (item < 0 || (size_t)item >= nitems) {
			resource_error(errors, field,
				       arena_printf(ctx->arena, "is %lld: the template \"%s\" has "
							    "items 0 to %zu",
						    (long long)item, str(tpl, "name"), nitems - 1));
			continue;
		}
		if (seen[item]) {
			resource_error(errors, field,
				       arena_printf(ctx->arena, "item %lld is answered twice",
						    (long long)item));
			continue;
		}
		seen[item] = true;
		json_t *it = json_array_get(items, (size_t)item);
		int64_t weight = num(it, "weight");
		if (points > weight)
			resource_error(errors, arena_printf(ctx->arena, "answers[%zu].points", i),
				       arena_printf(ctx->arena, "is %lld, above the weight %lld of "
							    "\"%s\"",
						    (long long)points, (long long)weight,
						    str(it, "label")));
		given += points;
	}
	for (size_t k = 0; k < nitems; k++) {
		json_t *it = json_array_get(items, k);
		total += num(it, "weight");
		if (!seen[k])
			resource_error(errors, "answers",
				       arena_printf(ctx->arena, "item %zu (\"%s\") has no answer", k,
						    str(it, "label")));
	}
	if (json_array_size(errors))
		return RC_INVALID;
	/* half away from zero; total >= 1 (every weight is) */
	int64_t score = (200 * given + total) / (2 * total);
	json_object_set_new(rec, "status", json_string("done"));
	json_object_set(rec, "answers", answers);
	json_object_set(rec, "checklist", items);
	json_object_set_new(rec, "score", json_integer(score));
	json_object_set(rec, "template_id", tid);
	if (json_object_get(body, "notes"))
		json_object_set(rec, "notes", json_object_get(body, "notes"));
	set_now(ctx, rec, "completed_at");
	return RC_OK;
}

static const struct field skip_body[] = {
	{ .name = "notes", .type = FT_TEXT, .min = 1, .max = 10000,
	  .doc = "Why it is not reviewed (kept as the review's notes)." },
	FIELD_END
};

static int skip(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		json_t *errors)
{
	take(ctx, rec);
	json_object_set_new(rec, "status", json_string("skipped"));
	if (json_object_get(body, "notes"))
		json_object_set(rec, "notes", json_object_get(body, "notes"));
	set_now(ctx, rec, "completed_at");
	return RC_OK;
}

static const char *const pending_only[] = { "pending", NULL };

const struct resource_action qa_review_complete = {
	.name = "complete", .body = complete_body, .from = pending_only, .roles = QA_REVIEWERS,
	.event = "completed", .apply = complete,
	.summary = "Complete a review: answer every item of the checklist; the score is computed",
};

const struct resource_action qa_review_skip = {
	.name = "skip", .body = skip_body, .from = pending_only, .roles = QA_REVIEWERS,
	.event = "skipped", .apply = skip,
	.summary = "Skip a review (nothing to judge: say why in notes)",
};

static const struct resource_action *const review_actions[] = { &qa_review_complete,
								 &qa_review_skip, NULL };

static const struct resource_transition review_transitions[] = {
	{ "pending", { "done", "skipped", NULL } },
	{ NULL, { NULL } }
};

const struct resource qa_review_resource = {
	.name = "qa-reviews",
	.singular = "qa review",
	.table = "qa_reviews",
	.fields = review_fields,
	.default_sort = "-week_start",
	.prepare = review_prepare,
	.check = review_check,
	.status_field = "status",
	.transitions = review_transitions,
	.actions = review_actions,
	.doc = "Quality reviews of finished service orders: drawn at random each week "
	       "(qa-draws) or made by a manager; a technician reads only their own.",
};
