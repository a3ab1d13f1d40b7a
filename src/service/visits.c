/*
 * visits.c - a technician on site: checking in and out of a visit (an
 * appointment for a service order) and what the order's end does to its
 * visits.
 *
 * Check-in records when the technician arrived (checked_in_at, status
 * in_progress) and starts the order's work (new or assigned -> in_progress).
 * Check-out records when they left (checked_out_at, status done) and logs
 * the time between as a time entry on the order, through the engine, so it
 * is billed by the contract's rules like any other time (the entry holds
 * the whole minutes worked; the invoice rounds them). A technician checks
 * in and out of their own visits only (the resource's owner rule);
 * managers and admins of anyone's.
 *
 * An order that is resolved, closed or cancelled (any path: the action, a
 * PATCH, a merge) takes its open visits (proposed, scheduled, confirmed or
 * in progress) with it in the same transaction: one that has begun by then
 * is done, one still to come is cancelled. It
 * cannot end while a technician is checked in on one of its visits: they
 * check out first, so no worked time is lost.
 */
#include "service.h"

#include "internal.h"

#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

enum { DAY_MINUTES = 24 * 60 };

static const char *str(const json_t *rec, const char *name)
{
	return json_string_value(json_object_get(rec, name));
}

static void set_time(json_t *rec, const char *name, int64_t t)
{
	char s[TIME_RFC3339_LEN];
	time_format(t, s);
	json_object_set_new(rec, name, json_string(s));
}

/* "14:05 UTC" of an RFC 3339 time, for messages. */
static const char *clock_of(struct resource_ctx *ctx, const char *at)
{
	return at && strlen(at) >= 16 ? arena_printf(ctx->arena, "%.5s UTC", at + 11) : "?";
}

/* The visit's order, which must be open: its number and status in *number, *status. */
static int open_order(struct resource_ctx *ctx, const json_t *cur, const char *verb,
		      const char **number, const char **status, json_t *errors)
{
	json_t *t = json_object_get(cur, "ticket_id");
	if (!json_is_integer(t)) {
		resource_error(errors, "ticket_id",
			       arena_printf(ctx->arena,
					    "the visit is for no service order; link it to the "
					    "order worked on before you %s", verb));
		return RC_CONFLICT;
	}
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT number, status FROM tickets WHERE id = ?", "i",
			(int64_t)json_integer_value(t));
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	*number = arena_strdup(ctx->arena, db_col_text(st, 0));
	*status = arena_strdup(ctx->arena, db_col_text(st, 1));
	db_done(st);
	if (!*number || !*status)
		return RC_ERROR;
	if (strcmp(*status, "resolved") == 0 || strcmp(*status, "closed") == 0 ||
	    strcmp(*status, "cancelled") == 0) {
		resource_error(errors, "ticket_id",
			       arena_printf(ctx->arena, "service order %s is %s; reopen it before "
							"you %s", *number, *status, verb));
		return RC_CONFLICT;
	}
	return RC_OK;
}

static int check_in(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		    json_t *errors)
{
	const char *in = str(cur, "checked_in_at");
	if (in) {
		resource_error(errors, "checked_in_at",
			       arena_printf(ctx->arena, "the visit is checked in already, since %s",
					    clock_of(ctx, in)));
		return RC_CONFLICT;
	}
	const char *status = str(cur, "status");
	if (strcmp(status, "cancelled") == 0 || strcmp(status, "done") == 0) {
		resource_error(errors, "status",
			       arena_printf(ctx->arena, "the visit is %s; book a new one", status));
		return RC_CONFLICT;
	}
	const char *number, *order_status;
	int rc = open_order(ctx, cur, "check in", &number, &order_status, errors);
	if (rc != RC_OK)
		return rc;
	set_time(rec, "checked_in_at", ctx->now);
	json_object_set_new(rec, "status", json_string("in_progress"));
	/* the technician on site: the order's work has started */
	if (strcmp(order_status, "new") != 0 && strcmp(order_status, "assigned") != 0)
		return RC_OK;
	json_t *patch = arena_json(ctx->arena, json_pack("{s:s}", "status", "in_progress"));
	json_t *out, *errs = NULL;
	if (!patch)
		return RC_ERROR;
	rc = resource_update_trusted(ctx, &ticket_resource,
				     json_integer_value(json_object_get(cur, "ticket_id")), patch,
				     &out, &errs);
	if (rc == RC_INVALID || rc == RC_CONFLICT) {
		/* the order's own rules refused: say which */
		size_t i;
		json_t *e;
		json_array_foreach(errs, i, e)
			resource_error(errors, "ticket_id",
				       arena_printf(ctx->arena, "service order %s: %s %s", number,
						    str(e, "field"), str(e, "message")));
	}
	return rc;
}

static const struct field check_out_body[] = {
	{ .name = "work_type_id", .type = FT_REF, .ref = &work_type_resource,
	  .doc = "The work type of the time entry. Default: the technician's "
		 "`default_work_type_id`, else the firm's only work type." },
	{ .name = "notes", .type = FT_TEXT, .min = 0, .max = 10000,
	  .doc = "What was done, for the time entry (default: the visit's title)." },
	{ .name = "at", .type = FT_TIME,
	  .doc = "When the technician left, for a check-out recorded afterwards: after the "
		 "check-in, not in the future, at most 24 hours after it. Default: now." },
	FIELD_END
};

/* The work type of a check-out's time: the body's, the technician's default, the only one. */
static int work_type_of(struct resource_ctx *ctx, const json_t *cur, const json_t *body,
			int64_t *out, json_t *errors)
{
	json_t *given = json_object_get(body, "work_type_id");
	if (json_is_integer(given)) {
		*out = json_integer_value(given);
		return RC_OK;
	}
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT w.id FROM users u JOIN work_types w ON w.id = u.default_work_type_id"
			" WHERE u.id = ? AND w.archived_at IS NULL",
			"i", (int64_t)json_integer_value(json_object_get(cur, "user_id")));
	if (rc == RC_ROW) {
		*out = db_col_int(st, 0);
		db_done(st);
		return RC_OK;
	}
	if (rc != RC_DONE)
		return rc;
	rc = db_run(ctx->db, &st, "SELECT MIN(id), COUNT(*) FROM work_types WHERE archived_at IS NULL",
		    "");
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	int64_t only = db_col_int(st, 0), count = db_col_int(st, 1);
	db_done(st);
	if (count == 1) {
		*out = only;
		return RC_OK;
	}
	resource_error(errors, "work_type_id",
		       "is required: the technician has no default work type; say which work "
		       "the time was");
	return RC_INVALID;
}

static int check_out(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
		     const json_t *body, json_t *errors)
{
	int rc;
	const char *in = str(cur, "checked_in_at"), *out_at = str(cur, "checked_out_at");
	if (!in) {
		resource_error(errors, "checked_in_at",
			       "the visit is not checked in; check in before checking out");
		return RC_CONFLICT;
	}
	if (out_at) {
		resource_error(errors, "checked_out_at",
			       arena_printf(ctx->arena, "the visit is checked out already, at %s",
					    clock_of(ctx, out_at)));
		return RC_CONFLICT;
	}
	const char *number, *order_status;
	rc = open_order(ctx, cur, "check out", &number, &order_status, errors);
	if (rc != RC_OK)
		return rc;
	int64_t start, end = ctx->now;
	if (time_parse(in, &start) < 0)
		return RC_ERROR;
	if (json_is_string(json_object_get(body, "at")) &&
	    time_parse(str(body, "at"), &end) < 0)
		return RC_ERROR;	/* validated before */
	if (end > ctx->now) {
		resource_error(errors, "at", "is in the future");
		return RC_INVALID;
	}
	if (end < start) {
		resource_error(errors, "at", arena_printf(ctx->arena, "is before the check-in at %s",
							  clock_of(ctx, in)));
		return RC_INVALID;
	}
	/* a started minute counts; the contract rounds it further when it is invoiced */
	int64_t minutes = (end - start + 59) / 60;
	if (minutes < 1)
		minutes = 1;
	if (minutes > DAY_MINUTES) {
		resource_error(errors, "at",
			       arena_printf(ctx->arena, "the visit would last more than 24 hours "
							"(checked in %.10s %s); say when you left",
					    in, clock_of(ctx, in)));
		return RC_INVALID;
	}
	int64_t work_type = 0;
	rc = work_type_of(ctx, cur, body, &work_type, errors);
	if (rc != RC_OK)
		return rc;
	const char *notes = str(body, "notes");
	if (!notes || !*notes)
		notes = str(cur, "title");
	if (!notes || !*notes)
		notes = arena_printf(ctx->arena, "On-site visit for %s", number);
	json_t *entry = arena_json(ctx->arena,
				   json_pack("{s:O, s:O, s:I, s:s, s:I, s:s, s:s}", "ticket_id",
					     json_object_get(cur, "ticket_id"), "user_id",
					     json_object_get(cur, "user_id"), "work_type_id",
					     (json_int_t)work_type, "started_at", in, "minutes",
					     (json_int_t)minutes, "notes", notes ? notes : "",
					     "kind", "ticket"));
	if (!entry)
		return RC_ERROR;
	json_t *made, *errs = NULL;
	rc = resource_create_trusted(ctx, &time_entry_resource, entry, &made, &errs);
	if (rc == RC_INVALID || rc == RC_CONFLICT) {
		size_t i;
		json_t *e;
		json_array_foreach(errs, i, e)
			resource_error(errors, str(e, "field"), str(e, "message"));
		return RC_INVALID;
	}
	if (rc != RC_OK)
		return rc;
	set_time(rec, "checked_out_at", end);
	json_object_set_new(rec, "status", json_string("done"));
	json_object_set(rec, "time_entry_id", json_object_get(made, "id"));
	return RC_OK;
}

#define FIELD_STAFF (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN)

const struct resource_action visit_check_in = {
	.name = "check-in", .roles = FIELD_STAFF, .event = "checked_in", .apply = check_in,
	.flags = ACTION_IF_MATCH_OPTIONAL,
	.summary = "Check in: the technician is on site (records checked_in_at; the order's work "
		   "starts)",
};

const struct resource_action visit_check_out = {
	.name = "check-out", .body = check_out_body, .roles = FIELD_STAFF, .event = "checked_out",
	.apply = check_out, .flags = ACTION_IF_MATCH_OPTIONAL,
	.summary = "Check out: records checked_out_at and logs the time on site as a time entry "
		   "on the order",
};

/* The order's end -------------------------------------------------------- */

int visits_block_finish(struct resource_ctx *ctx, int64_t ticket, json_t *errors)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT a.id, a.checked_in_at, u.name FROM appointments a"
			" JOIN users u ON u.id = a.user_id WHERE a.ticket_id = ?"
			" AND a.checked_in_at IS NOT NULL AND a.checked_out_at IS NULL"
			" AND a.archived_at IS NULL AND a.status <> 'cancelled' ORDER BY a.id",
			"i", ticket);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_OK : rc;
	resource_error(errors, "status",
		       arena_printf(ctx->arena, "%s is checked in on a visit to this order (visit "
						"%lld, since %s); check out of it first",
				    db_col_text(st, 2), (long long)db_col_int(st, 0),
				    clock_of(ctx, db_col_text(st, 1))));
	db_done(st);
	return RC_CONFLICT;
}

int visits_close(struct resource_ctx *ctx, int64_t ticket)
{
	struct db_stmt *st = db_prepare(ctx->db,
					"SELECT id, starts_at FROM appointments WHERE ticket_id = ?"
					" AND status IN ('proposed', 'scheduled', 'confirmed', 'in_progress')"
					" AND archived_at IS NULL ORDER BY id");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, ticket);
	/* read all first: one statement at a time on a connection */
	json_t *closing = arena_json(ctx->arena, json_array());
	int rc = closing ? RC_ROW : RC_ERROR;
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	while (rc == RC_ROW && (rc = db_step(st)) == RC_ROW) {
		/* begun by now: it took place; still to come: no longer needed */
		int64_t starts;
		bool begun = time_parse(db_col_text(st, 1), &starts) == 0 && starts <= ctx->now;
		json_array_append_new(closing, json_pack("{s:I, s:s}", "id", db_col_int(st, 0),
						      "status", begun ? "done" : "cancelled"));
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	size_t i;
	json_t *v;
	json_array_foreach(closing, i, v) {
		json_t *patch = arena_json(ctx->arena,
					   json_pack("{s:O}", "status", json_object_get(v, "status")));
		json_t *out, *errors = NULL;
		rc = patch ? resource_update_trusted(ctx, &appointment_resource,
						     json_integer_value(json_object_get(v, "id")),
						     patch, &out, &errors)
			   : RC_ERROR;
		if (rc != RC_OK)
			return rc == RC_INVALID || rc == RC_CONFLICT ? RC_ERROR : rc;
	}
	return RC_OK;
}
