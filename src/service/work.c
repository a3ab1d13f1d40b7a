/*
 * work.c - what is done on a ticket besides talking: checklists (from
 * templates chosen by ticket kind, such as an electrical safety check on
 * installations), parts used (from the catalog, with serial numbers), and
 * appointments (a technician's time booked at a site, never double-booked
 * unless someone decides to).
 */
#include "service.h"

#include "internal.h"

#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

/* Checklist templates --------------------------------------------------- */

static const struct field template_item[] = {
	FIELD_TEXT("label", F_REQUIRED, 1, 200),
	{ .name = "required", .type = FT_BOOL, .doc = "The items made from it are required." },
	FIELD_END
};

static const struct field template_fields[] = {
	{ .name = "name", .type = FT_TEXT, .flags = F_REQUIRED | F_FILTER | F_SORT, .min = 1,
	  .max = 100, .doc = "Unique." },
	{ .name = "ticket_kind", .type = FT_ENUM, .flags = F_REQUIRED | F_FILTER | F_SORT,
	  .enum_values = ticket_kinds, .doc = "New tickets of this kind get its items." },
	{ .name = "items", .type = FT_OBJECTS, .flags = F_REQUIRED, .max = 100,
	  .items = template_item, .doc = "At least one." },
	FIELD_END
};

static int template_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	if (json_array_size(json_object_get(rec, "items")) == 0)
		resource_error(errors, "items", "must have at least one item");
	return RC_OK;
}

const struct resource checklist_template_resource = {
	.name = "checklist-templates",
	.singular = "checklist template",
	.table = "checklist_templates",
	.fields = template_fields,
	.default_sort = "name",
	.check = template_check,
	.doc = "Checklists added to new tickets by kind.",
};

int ticket_checklist_from_templates(struct resource_ctx *ctx, int64_t ticket, const char *kind)
{
	struct db_stmt *st = db_prepare(ctx->db,
					"SELECT id, items FROM checklist_templates"
					" WHERE ticket_kind = ? AND archived_at IS NULL ORDER BY id");
	if (!st)
		return RC_ERROR;
	db_bind_text(st, 1, kind);
	/* read all first: one statement at a time on a connection */
	json_t *all = arena_json(ctx->arena, json_array());
	int rc = all ? RC_ROW : RC_ERROR;
	while (rc == RC_ROW && (rc = db_step(st)) == RC_ROW) {
		json_t *items = json_loads(db_col_text(st, 1), 0, NULL);
		json_array_append_new(all, json_pack("{s:I, s:o*}", "template", db_col_int(st, 0),
						     "items", items));
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	struct resource_ctx c = *ctx;
	c.parent_id = ticket;
	int position = 0;
	size_t i, j;
	json_t *t, *item;
	json_array_foreach(all, i, t) {
		json_array_foreach(json_object_get(t, "items"), j, item) {
			json_t *body = arena_json(ctx->arena, json_pack(
				"{s:O, s:b, s:i, s:O}", "label", json_object_get(item, "label"),
				"required", json_is_true(json_object_get(item, "required")),
				"position", ++position, "template_id", json_object_get(t, "template")));
			json_t *out, *errors = NULL;
			rc = body ? resource_create_trusted(&c, &checklist_item_resource, body, &out,
							    &errors)
				  : RC_ERROR;
			if (rc != RC_OK)
				return rc == RC_INVALID ? RC_ERROR : rc;
		}
	}
	return RC_OK;
}

int ticket_open_required_items(struct resource_ctx *ctx, int64_t ticket, const char **labels)
{
	struct db_stmt *st = db_prepare(ctx->db,
					"SELECT label FROM ticket_checklist_items WHERE ticket_id = ?"
					" AND required = 1 AND done = 0 AND archived_at IS NULL"
					" ORDER BY position, id");
	if (!st)
		return -1;
	db_bind_int(st, 1, ticket);
	int n = 0, rc;
	struct buf b;
	buf_init(&b, 4096);
	while ((rc = db_step(st)) == RC_ROW) {
		if (n++)
			buf_addstr(&b, ", ");
		buf_addstr(&b, db_col_text(st, 0));
	}
	db_done(st);
	*labels = b.failed ? "" : arena_strdup(ctx->arena, buf_str(&b));
	buf_release(&b);
	if (rc != RC_DONE)
		return rc == RC_RETRY ? -2 : -1;
	return n;
}

/* Ticket checklist items ------------------------------------------------- */

static const struct field item_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &ticket_resource,
	  .doc = "The ticket (from the path)." },
	FIELD_TEXT("label", F_REQUIRED, 1, 200),
	{ .name = "required", .type = FT_BOOL, .flags = F_FILTER, .dflt = "false",
	  .doc = "A ticket cannot be resolved while a required item is open; template items "
		 "stay required." },
	{ .name = "done", .type = FT_BOOL, .flags = F_FILTER, .dflt = "false",
	  .doc = "Ticking sets `done_by` and `done_at`." },
	{ .name = "done_by", .type = FT_REF, .flags = F_READ_ONLY, .ref = &user_resource,
	  .doc = "Who ticked it; null while it is open, or when no user did (the command line, "
		 "a job)." },
	{ .name = "done_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When it was ticked; null while it is open." },
	{ .name = "position", .type = FT_INT, .flags = F_SORT | F_NOT_NULL, .min = 0, .max = 10000,
	  .doc = "The order of the checklist." },
	{ .name = "template_id", .type = FT_REF, .flags = F_READ_ONLY,
	  .ref = &checklist_template_resource,
	  .doc = "The checklist template it came from; null for an item added by hand." },
	FIELD_END
};

/* A closed ticket's work is done: nothing on it changes until it is reopened. */
static int open_ticket_or_conflict(struct resource_ctx *ctx, int64_t ticket, json_t *errors,
				   const char *what)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT status FROM tickets WHERE id = ?", "i", ticket);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_NOT_FOUND : rc;
	bool closed = strcmp(db_col_text(st, 0), "closed") == 0;
	db_done(st);
	if (!closed)
		return RC_OK;
	char msg[128];
	snprintf(msg, sizeof(msg), "the ticket is closed; reopen it to change %s", what);
	resource_error(errors, "ticket_id", msg);
	return RC_CONFLICT;
}

static int item_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec, json_t *errors)
{
	int rc = open_ticket_or_conflict(ctx, ctx->parent_id, errors, "its checklist");
	if (rc != RC_OK)
		return rc;
	bool done = json_is_true(json_object_get(rec, "done"));
	bool was = cur && json_is_true(json_object_get(cur, "done"));
	if (done && !was) {
		char now[TIME_RFC3339_LEN];
		time_format(ctx->now, now);
		json_object_set_new(rec, "done_at", json_string(now));
		json_object_set_new(rec, "done_by", ctx->actor->user_id
							    ? json_integer(ctx->actor->user_id)
							    : json_null());
	} else if (!done) {
		json_object_set_new(rec, "done_at", json_null());
		json_object_set_new(rec, "done_by", json_null());
	}
	if (cur && json_is_integer(json_object_get(cur, "template_id")) &&
	    json_is_true(json_object_get(cur, "required")) &&
	    !json_is_true(json_object_get(rec, "required"))) {
		resource_error(errors, "required",
			       "an item required by its template stays required");
		return RC_OK;
	}
	return RC_OK;
}

const struct resource checklist_item_resource = {
	.name = "checklist",
	.singular = "checklist item",
	.table = "ticket_checklist_items",
	.fields = item_fields,
	.default_sort = "position",
	.prepare = item_prepare,
	.parent = &ticket_resource,
	.parent_field = "ticket_id",
	.company_via = "ticket_id",
	.doc = "A ticket's checklist: steps to do, some required before it can be resolved. "
	       "Unchangeable while the ticket is closed.",
};

/* Applying a template to any ticket -------------------------------------- */

struct apply {
	struct resource_ctx *ctx;
	int64_t ticket, template_id;
	json_t *errors, *out;
};

static bool has_label(const json_t *labels, const char *label)
{
	size_t i;
	const json_t *l;
	json_array_foreach(labels, i, l) {
		if (strcmp(json_string_value(l), label) == 0)
			return true;
	}
	return false;
}

static int apply_txn(struct db *db, void *arg)
{
	struct apply *a = arg;
	struct resource_ctx *ctx = a->ctx;
	json_array_clear(a->errors);
	json_t *ticket;
	int rc = resource_get(ctx, &ticket_resource, a->ticket, &ticket);
	if (rc != RC_OK)
		return rc;
	struct db_stmt *st;
	rc = db_run(db, &st,
		    "SELECT name, items FROM checklist_templates WHERE id = ? AND archived_at IS NULL",
		    "i", a->template_id);
	if (rc == RC_DONE) {
		char msg[96];
		snprintf(msg, sizeof(msg), "no checklist template with id %lld",
			 (long long)a->template_id);
		resource_error(a->errors, "template_id", msg);
		return RC_INVALID;
	}
	if (rc != RC_ROW)
		return rc;
	const char *name = arena_strdup(ctx->arena, db_col_text(st, 0));
	json_t *items = arena_json(ctx->arena, json_loads(db_col_text(st, 1), 0, NULL));
	db_done(st);
	if (!name || !json_is_array(items))
		return RC_ERROR;
	rc = open_ticket_or_conflict(ctx, a->ticket, a->errors, "its checklist");
	if (rc != RC_OK)
		return rc;
	/* the labels on the checklist now, and where the template's items go */
	json_t *labels = arena_json(ctx->arena, json_array());
	st = db_prepare(db, "SELECT label, position FROM ticket_checklist_items"
			    " WHERE ticket_id = ? AND archived_at IS NULL");
	if (!st || !labels)
		return RC_ERROR;
	db_bind_int(st, 1, a->ticket);
	int64_t position = 0;
	while ((rc = db_step(st)) == RC_ROW) {
		json_array_append_new(labels, json_string(db_col_text(st, 0)));
		if (db_col_int(st, 1) > position)
			position = db_col_int(st, 1);
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	json_t *added = arena_json(ctx->arena, json_array());
	json_t *skipped = arena_json(ctx->arena, json_array());
	if (!added || !skipped)
		return RC_ERROR;
	struct resource_ctx c = *ctx;
	c.parent_id = a->ticket;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item) {
		const char *label = json_string_value(json_object_get(item, "label"));
		if (!label)
			continue;
		if (has_label(labels, label)) {
			json_array_append_new(skipped, json_string(label));
			continue;
		}
		if (position < 10000)
			position++;
		json_t *body = arena_json(ctx->arena, json_pack(
			"{s:s, s:b, s:I, s:I}", "label", label, "required",
			json_is_true(json_object_get(item, "required")), "position",
			(json_int_t)position, "template_id", (json_int_t)a->template_id));
		json_t *rec, *errors = NULL;
		rc = body ? resource_create_trusted(&c, &checklist_item_resource, body, &rec,
						    &errors)
			  : RC_ERROR;
		if (rc == RC_CONFLICT && errors) {
			json_array_extend(a->errors, errors);
			return rc;
		}
		if (rc != RC_OK)
			return rc == RC_INVALID ? RC_ERROR : rc;
		json_array_append(added, rec);
		json_array_append_new(labels, json_string(label));
	}
	a->out = arena_json(ctx->arena, json_pack("{s:I, s:s, s:O, s:O}", "template_id",
						  (json_int_t)a->template_id, "template_name",
						  name, "added", added, "skipped", skipped));
	return a->out ? RC_OK : RC_ERROR;
}

int ticket_checklist_apply(struct resource_ctx *ctx, int64_t ticket, int64_t template_id,
			   json_t **out, json_t *errors)
{
	struct apply a = { ctx, ticket, template_id, errors, NULL };
	int rc = db_txn(ctx->db, apply_txn, &a);
	if (rc == RC_OK)
		*out = a.out;
	return rc;
}

/* Parts ------------------------------------------------------------------ */

static const struct field part_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &ticket_resource,
	  .doc = "The ticket (from the path)." },
	FIELD_REF("product_id", F_REQUIRED | F_FILTER, &product_resource),
	FIELD_QUANTITY("quantity", 0, 1, 1000000000, "1"),
	/* prices are the office's: a technician neither sees nor sets them */
	{ .name = "unit_cost", .type = FT_MONEY, .min = 0, .max = 1000000000000,
	  .hidden_from = ROLE_TECHNICIAN, .doc = "Default the product's unit_cost." },
	{ .name = "unit_price", .type = FT_MONEY, .min = 0, .max = 1000000000000,
	  .hidden_from = ROLE_TECHNICIAN, .doc = "Default the product's unit_price." },
	FIELD_TEXT("serial_number", F_FILTER, 1, 100),
	FIELD_BOOL("billable", F_FILTER, "true"),
	FIELD_INT("invoice_id", F_READ_ONLY | F_FILTER, 0, 0),
	FIELD_END
};

/* An invoiced part stays on its invoice. */
static int part_archive_check(struct resource_ctx *ctx, const json_t *cur, bool archive,
			      json_t *errors)
{
	(void)archive;
	if (!ctx->trusted && !json_is_null(json_object_get(cur, "invoice_id"))) {
		resource_error(errors, "invoice_id", "the part is invoiced and cannot be removed"
						     " or restored");
		return RC_CONFLICT;
	}
	return RC_OK;
}

/* Cost and price come from the product unless the part says otherwise. */
static int part_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec, json_t *errors)
{
	/* the server's own writes (an invoice releasing a part, a merge) pass */
	int rc = ctx->trusted ? RC_OK : open_ticket_or_conflict(ctx, ctx->parent_id, errors,
								 "its parts");
	if (rc != RC_OK)
		return rc;
	if (cur && !ctx->trusted && !json_is_null(json_object_get(cur, "invoice_id"))) {
		resource_error(errors, "invoice_id", "the part is invoiced and cannot change");
		return RC_CONFLICT;
	}
	if (json_is_integer(json_object_get(rec, "unit_cost")) &&
	    json_is_integer(json_object_get(rec, "unit_price")))
		return RC_OK;
	struct db_stmt *st;
	rc = db_run(ctx->db, &st, "SELECT unit_cost, unit_price FROM products WHERE id = ?", "i",
		    (int64_t)json_integer_value(json_object_get(rec, "product_id")));
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_OK : rc;	/* reported by the ref check */
	if (!json_is_integer(json_object_get(rec, "unit_cost")))
		json_object_set_new(rec, "unit_cost", json_integer(db_col_int(st, 0)));
	if (!json_is_integer(json_object_get(rec, "unit_price")))
		json_object_set_new(rec, "unit_price", json_integer(db_col_int(st, 1)));
	db_done(st);
	return RC_OK;
}

const struct resource part_resource = {
	.name = "parts",
	.singular = "part",
	.table = "ticket_parts",
	.fields = part_fields,
	.default_sort = "created_at",
	.prepare = part_prepare,
	.archive_check = part_archive_check,
	.parent = &ticket_resource,
	.parent_field = "ticket_id",
	.company_via = "ticket_id",
	.doc = "Parts used on a ticket, from the catalog.",
};

/* Appointments ------------------------------------------------------------ */

/* proposed: offered (by a quote's acceptance) and not yet agreed with the client */
static const char *const appointment_statuses[] = { "proposed", "scheduled", "confirmed", "done",
						    "cancelled", "in_progress", NULL };

static const struct field appointment_fields[] = {
	FIELD_REF("ticket_id", F_FILTER, &ticket_resource),
	{ .name = "user_id", .type = FT_REF, .flags = F_REQUIRED | F_FILTER, .ref = &user_resource,
	  .doc = "The technician." },
	FIELD_TIME("starts_at", F_REQUIRED | F_FILTER | F_SORT),
	{ .name = "ends_at", .type = FT_TIME, .flags = F_REQUIRED | F_FILTER | F_SORT,
	  .doc = "After `starts_at`, at most 14 days later." },
	FIELD_REF("site_id", F_FILTER, &site_resource),
	{ .name = "status", .type = FT_ENUM, .flags = F_FILTER, .enum_values = appointment_statuses,
	  .dflt = "\"scheduled\"",
	  .doc = "`proposed` (made by a quote's acceptance, to agree with the client), "
		 "`scheduled`, `confirmed`, `in_progress` (from check-in), `done` (from check-out) "
		 "or `cancelled`. A proposed visit holds the technician's time like a scheduled "
		 "one. When the order is resolved, closed or cancelled its open visits close: "
		 "`done` if they had begun by then, else `cancelled`." },
	FIELD_TEXT("title", 0, 1, 200),
	FIELD_TEXT("notes", 0, 0, 10000),
	{ .name = "checked_in_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When the technician checked in on site (`POST /appointments/{id}/check-in`)." },
	{ .name = "checked_out_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When the technician checked out (`POST /appointments/{id}/check-out`)." },
	{ .name = "time_entry_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &time_entry_resource,
	  .doc = "The time entry the check-out logged on the order." },
	/* write-only: book even though it overlaps another appointment */
	{ .name = "allow_overlap", .type = FT_BOOL, .flags = F_WRITE_ONLY,
	  .doc = "Book even though the technician has an overlapping appointment (else 409 "
		 "naming it)." },
	FIELD_END
};

static int appointment_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			       json_t *errors)
{
	int64_t start, end;
	if (time_parse(json_string_value(json_object_get(rec, "starts_at")), &start) < 0 ||
	    time_parse(json_string_value(json_object_get(rec, "ends_at")), &end) < 0)
		return RC_OK;	/* validated before */
	if (end <= start) {
		resource_error(errors, "ends_at", "must be after starts_at");
		return RC_OK;
	}
	if (end - start > 14 * 24 * 3600) {
		resource_error(errors, "ends_at", "an appointment lasts at most 14 days");
		return RC_OK;
	}
	const char *status = json_string_value(json_object_get(rec, "status"));
	/* checking in or out, or the order closing its visits, books nothing new */
	if (json_is_true(json_object_get(rec, "allow_overlap")) || ctx->trusted || ctx->action ||
	    strcmp(status, "cancelled") == 0 || strcmp(status, "done") == 0)
		return RC_OK;
	/* the technician's other live appointments that overlap this one */
	char s[TIME_RFC3339_LEN], e[TIME_RFC3339_LEN];
	time_format(start, s);
	time_format(end, e);
	int64_t self = cur ? json_integer_value(json_object_get(cur, "id")) : 0;
	struct db_stmt *st = db_prepare(ctx->db,
					"SELECT id, starts_at, ends_at FROM appointments WHERE user_id = ?"
					" AND starts_at < ? AND ends_at > ? AND id <> ?"
					" AND status <> 'cancelled' AND archived_at IS NULL"
					" ORDER BY starts_at, id LIMIT 5");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, json_integer_value(json_object_get(rec, "user_id")));
	db_bind_text(st, 2, e);
	db_bind_text(st, 3, s);
	db_bind_int(st, 4, self);
	int rc, n = 0;
	char msg[512];
	size_t off = (size_t)snprintf(msg, sizeof(msg),
				      "the technician is booked then (appointment");
	while ((rc = db_step(st)) == RC_ROW) {
		if (off < sizeof(msg))
			off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s %lld %s to %s",
						n ? ";" : "", (long long)db_col_int(st, 0),
						db_col_text(st, 1), db_col_text(st, 2));
		n++;
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	if (!n)
		return RC_OK;
	if (off < sizeof(msg))
		snprintf(msg + off, sizeof(msg) - off, "); send allow_overlap: true to book anyway");
	resource_error(errors, "starts_at", msg);
	return RC_CONFLICT;
}

static const struct resource_action *const appointment_actions[] = { &visit_check_in,
								    &visit_check_out, NULL };

const struct resource appointment_resource = {
	.name = "appointments",
	.singular = "appointment",
	.table = "appointments",
	.fields = appointment_fields,
	.default_sort = "starts_at",
	.prepare = appointment_prepare,
	.company_via = "ticket_id",
	/* a technician books, moves, checks in and out of their own visits; managers anyone's */
	.owner_field = "user_id",
	.any_owner_roles = ROLE_ADMIN | ROLE_MANAGER,
	.actions = appointment_actions,
	.doc = "A technician's time booked, at a site or for a ticket: a visit, checked in and "
	       "out on site.",
};
