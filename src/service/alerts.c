/*
 * alerts.c - monitoring intake: alerts from monitoring and RMM tools
 * (POST /api/v1/alerts) become tickets, one open ticket per alert.
 *
 * An alert is named by its source (the tool: "zabbix") and its key (the
 * alert's identity there: a trigger id, an Alertmanager fingerprint). The
 * alerts table holds one row per episode: the first firing opens a ticket
 * (channel monitoring, kind incident, priority from the severity, company
 * and asset from the matched asset) and the row; repeats while that ticket
 * is open add an internal note and count; `resolved` resolves the ticket
 * when nobody has worked it (alert_worked below), else notes that the
 * alert cleared and leaves the ticket to its technician. Once the ticket
 * is resolved, closed or cancelled the row is closed (ticket_after calls
 * alert_ticket_finished), and the next firing opens a new ticket.
 *
 * At most one open row per (source, key) is a unique index: two deliveries
 * of one new alert at once cannot both open a ticket. On SQLite writers
 * are serialized (BEGIN IMMEDIATE); on PostgreSQL the loser's transaction
 * fails with a serialization failure or the unique violation and is run
 * again, and then finds the row and appends.
 *
 * Every write goes through the engine as a trusted write (the intake
 * writes read-only fields and records the caller may not write), audited
 * under the caller: the token of the monitoring tool.
 */
#include "service.h"

#include "internal.h"

#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

const char *const alert_severities[5] = { "critical", "high", "warning", "info", NULL };
static const char *const alert_statuses[] = { "firing", "resolved", NULL };
static const char *const alert_states[] = { "open", "closed", NULL };
enum outcome { OPENED, APPENDED, RESOLVED, CLEARED, IGNORED, OUTCOME__MAX };
static const char *const outcomes[] = { "opened", "appended", "resolved", "cleared", "ignored" };
_Static_assert(sizeof(outcomes) / sizeof(outcomes[0]) == OUTCOME__MAX, "one name per outcome");

/* Ticket priorities from the most urgent: the one of alert_severities[i] is priorities[i]. */
static const char *const priorities[] = { "critical", "high", "medium", "low", NULL };
_Static_assert(sizeof(priorities) == sizeof(alert_severities), "one priority per severity");

const char *alert_priority(const char *severity)
{
	for (int i = 0; severity && alert_severities[i]; i++)
		if (strcmp(alert_severities[i], severity) == 0)
			return priorities[i];
	return NULL;
}

/* 0 for critical … 3 for low; 4 for anything else (the least urgent). */
static int urgency(const char *priority)
{
	int i = 0;
	while (priorities[i] && (!priority || strcmp(priorities[i], priority) != 0))
		i++;
	return i;
}

bool alert_priority_higher(const char *a, const char *b)
{
	return urgency(a) < urgency(b);
}

bool alert_worked(const struct alert_work *w)
{
	return strcmp(w->status, "new") != 0 || w->assigned || w->time_entries > 0 ||
	       w->parts > 0 || w->notes > w->own_notes;
}

/* The alert rows ------------------------------------------------------------------ */

static const struct field alert_fields[] = {
	{ .name = "source", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 1,
	  .max = 100, .doc = "The monitoring tool that sent the alert (`zabbix`)." },
	{ .name = "key", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1, .max = 200,
	  .doc = "The alert's identity at its source (a trigger id, a fingerprint)." },
	{ .name = "state", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER,
	  .enum_values = alert_states,
	  .doc = "`open` while its ticket is open: repeats append to it; `closed` once the "
		 "ticket was resolved, closed or cancelled: the next firing opens a new one." },
	{ .name = "last_status", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER,
	  .enum_values = alert_statuses, .doc = "What the source said last: firing or resolved." },
	{ .name = "severity", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER,
	  .enum_values = alert_severities, .doc = "The severity of the last firing." },
	{ .name = "subject", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 1, .max = 200,
	  .doc = "The subject of the last firing." },
	{ .name = "count", .type = FT_INT, .flags = F_READ_ONLY | F_SORT, .min = 1, .max = 0,
	  .doc = "How many times it fired in this episode (the first firing is 1)." },
	{ .name = "first_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When it first fired (the firing's `occurred_at`, else its arrival)." },
	{ .name = "last_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When it last fired." },
	{ .name = "cleared_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When the source last said resolved (null while it has not)." },
	{ .name = "closed_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When the row closed (its ticket was resolved, closed or cancelled)." },
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &ticket_resource, .doc = "The ticket the alert opened." },
	FIELD_REF("company_id", F_READ_ONLY | F_FILTER, &company_resource),
	FIELD_REF("asset_id", F_READ_ONLY | F_FILTER, &asset_resource),
	/* the notes the intake wrote on the ticket: any other note is work */
	{ .name = "own_notes", .type = FT_INT, .flags = F_HIDDEN },
	FIELD_END
};

const struct resource alert_resource = {
	.name = "alerts",
	.singular = "alert",
	.table = "alerts",
	.fields = alert_fields,
	.default_sort = "-created_at",
	.company_field = "company_id",
	.doc = "Alerts from monitoring and RMM tools, one row per episode of an alert (source, "
	       "key) with the ticket it opened. Written only by `POST /api/v1/alerts`.",
};

/* The intake ---------------------------------------------------------------------- */

static const struct field asset_body[] = {
	FIELD_TEXT("name", 0, 1, 200),
	FIELD_TEXT("serial_number", 0, 1, 100),
	FIELD_ENUM("kind", 0, asset_kinds, NULL),
	FIELD_TEXT("manufacturer", 0, 1, 100),
	FIELD_TEXT("model", 0, 1, 100),
	FIELD_END
};

static const struct field alert_body[] = {
	FIELD_TEXT("source", F_REQUIRED, 1, 100),
	FIELD_TEXT("key", F_REQUIRED, 1, 200),
	FIELD_ENUM("status", F_REQUIRED, alert_statuses, NULL),
	FIELD_ENUM("severity", 0, alert_severities, NULL),
	FIELD_TEXT("subject", 0, 1, 200),
	FIELD_TEXT("body", 0, 0, 20000),
	FIELD_JSON("asset", 0),
	FIELD_REF("company_id", 0, &company_resource),
	FIELD_TIME("occurred_at", 0),
	FIELD_END
};

static const char *str(const json_t *rec, const char *name)
{
	return json_string_value(json_object_get(rec, name));
}

static int64_t num(const json_t *rec, const char *name)
{
	return json_integer_value(json_object_get(rec, name));
}

/*
 * The body's rules beyond the field table: a firing needs a subject; the
 * asset is a name or an object naming the asset by name or serial number;
 * without an asset the company must be said. Appends to errors.
 */
static void check_body(const json_t *body, json_t *errors)
{
	if (resource_validate_fields(alert_body, "alert", body, errors))
		return;
	bool firing = strcmp(str(body, "status"), "firing") == 0;
	if (firing && !json_is_string(json_object_get(body, "subject")))
		resource_error(errors, "subject", "is required for a firing alert");
	const json_t *asset = json_object_get(body, "asset");
	if (!asset || json_is_null(asset)) {
		if (firing && !json_is_integer(json_object_get(body, "company_id")))
			resource_error(errors, "company_id",
				       "is required when the alert names no asset");
		return;
	}
	if (json_is_string(asset)) {
		const json_t *wrap = json_pack("{s:O}", "name", asset);
		json_t *errs = json_array();
		if (wrap && errs && resource_validate_fields(asset_body, "asset", wrap, errs))
			resource_error(errors, "asset",
				       "must be an asset name of 1 to 200 characters without "
				       "control characters, or an object");
		json_decref((json_t *)wrap);
		json_decref(errs);
		return;
	}
	if (!json_is_object(asset)) {
		resource_error(errors, "asset", "must be an asset name or an object "
						"{name, serial_number, kind, manufacturer, model}");
		return;
	}
	json_t *errs = json_array();
	if (!errs)
		return;
	resource_validate_fields(asset_body, "asset", asset, errs);
	size_t i;
	json_t *e;
	char field[80];
	json_array_foreach(errs, i, e) {
		snprintf(field, sizeof(field), "asset.%s", str(e, "field"));
		resource_error(errors, field, str(e, "message"));
	}
	json_decref(errs);
	if (!json_object_get(asset, "name") && !json_object_get(asset, "serial_number"))
		resource_error(errors, "asset", "must have a name or a serial_number");
}

struct intake {
	struct resource_ctx *ctx;
	const json_t *body;
	const char *at;		/* occurred_at, else now */
	json_t *out;
	json_t *errors;
	enum outcome outcome;
};

/*
 * Looks an asset up by column (serial_number or name) among the live
 * assets, of company when it is not 0. *id is 0 when none matched; a
 * value matching assets of several companies (no company said) is an
 * error on field. The oldest match wins within one company.
 */
static int find_asset(struct intake *in, const char *column, const char *value, int64_t company,
		      const char *field, int64_t *id, int64_t *company_out, int64_t *site)
{
	static const char *const by_company[] = {
		"SELECT id, company_id, site_id FROM assets WHERE serial_number = ?"
		" AND company_id = ? AND archived_at IS NULL ORDER BY id",
		"SELECT id, company_id, site_id FROM assets WHERE name = ?"
		" AND company_id = ? AND archived_at IS NULL ORDER BY id",
	};
	static const char *const anywhere[] = {
		"SELECT id, company_id, site_id FROM assets WHERE serial_number = ?"
		" AND archived_at IS NULL ORDER BY id",
		"SELECT id, company_id, site_id FROM assets WHERE name = ?"
		" AND archived_at IS NULL ORDER BY id",
	};
	int which = strcmp(column, "serial_number") == 0 ? 0 : 1;
	struct db_stmt *st;
	int rc = company ? db_run(in->ctx->db, &st, by_company[which], "si", value, company)
			 : db_run(in->ctx->db, &st, anywhere[which], "s", value);
	*id = 0;
	bool open = rc == RC_ROW, several = false;
	while (rc == RC_ROW) {
		if (!*id) {
			*id = db_col_int(st, 0);
			*company_out = db_col_int(st, 1);
			*site = db_col_null(st, 2) ? 0 : db_col_int(st, 2);
		} else if (db_col_int(st, 1) != *company_out) {
			several = true;
		}
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE)
		return rc;
	if (several) {
		resource_error(in->errors, field,
			       "matches assets of several companies; say which with company_id");
		return RC_INVALID;
	}
	return RC_OK;
}

/*
 * The asset of a first firing: matched by serial number, then by name
 * (within company_id when given), else created in company_id. Sets *asset
 * (0: the alert names none), *company and *site, or fails with errors.
 */
static int match_asset(struct intake *in, int64_t *asset, int64_t *company, int64_t *site)
{
	const json_t *a = json_object_get(in->body, "asset");
	int64_t said = num(in->body, "company_id");
	*asset = 0;
	*company = said;
	*site = 0;
	if (!a || json_is_null(a))
		return RC_OK;
	const char *name = json_is_string(a) ? json_string_value(a) : str(a, "name");
	const char *serial = json_is_object(a) ? str(a, "serial_number") : NULL;
	int rc;
	if (serial) {
		rc = find_asset(in, "serial_number", serial, said, "asset.serial_number", asset,
				company, site);
		if (rc != RC_OK || *asset)
			return rc;
	}
	if (name) {
		rc = find_asset(in, "name", name, said, json_is_string(a) ? "asset" : "asset.name",
				asset, company, site);
		if (rc != RC_OK || *asset)
			return rc;
	}
	if (!said) {
		resource_error(in->errors, "company_id",
			       "no asset matches; company_id is needed to create it");
		return RC_INVALID;
	}
	json_t *rec = arena_json(in->ctx->arena, json_pack("{s:I, s:s, s:s}", "company_id",
							   (json_int_t)said, "name",
							   name ? name : serial, "kind", "other"));
	if (!rec)
		return RC_ERROR;
	if (json_is_object(a)) {
		static const char *const copied[] = { "serial_number", "kind", "manufacturer",
						      "model", NULL };
		for (const char *const *c = copied; *c; c++)
			if (json_is_string(json_object_get(a, *c)))
				json_object_set(rec, *c, json_object_get(a, *c));
	}
	json_t *made, *errs = NULL;
	rc = resource_create_trusted(in->ctx, &asset_resource, rec, &made, &errs);
	if (rc != RC_OK) {
		if (errs)
			json_array_extend(in->errors, errs);
		return rc;
	}
	*asset = num(made, "id");
	return RC_OK;
}

/* The open alert row of (source, key) as stored, or NULL (none, or *rc a failure). */
static json_t *open_alert(struct intake *in, int *rc)
{
	struct db_stmt *st;
	*rc = db_run(in->ctx->db, &st, "SELECT id, own_notes FROM alerts WHERE source = ?"
				       " AND key = ? AND state = 'open'",
		     "ss", str(in->body, "source"), str(in->body, "key"));
	if (*rc != RC_ROW) {
		*rc = *rc == RC_DONE ? RC_OK : *rc;
		return NULL;
	}
	int64_t id = db_col_int(st, 0), own = db_col_int(st, 1);
	db_done(st);
	json_t *row = NULL;
	*rc = resource_get(in->ctx, &alert_resource, id, &row);
	if (*rc != RC_OK)
		return NULL;
	/* a hidden column: the engine never hands it out */
	json_object_set_new(row, "own_notes", json_integer(own));
	return row;
}

static int write_alert(struct intake *in, int64_t id, json_t *patch, json_t **row)
{
	json_t *errs = NULL;
	int rc = resource_update_trusted(in->ctx, &alert_resource, id, patch, row, &errs);
	if (rc != RC_OK && errs)
		json_array_extend(in->errors, errs);
	return rc;
}

static int add_note(struct intake *in, int64_t ticket, const char *text)
{
	struct resource_ctx c = *in->ctx;
	c.parent_id = ticket;
	json_t *note = arena_json(in->ctx->arena, json_pack("{s:s, s:s}", "body", text,
							    "visibility", "internal"));
	json_t *out, *errs = NULL;
	int rc = note ? resource_create_trusted(&c, &ticket_note_resource, note, &out, &errs)
		      : RC_ERROR;
	if (rc != RC_OK && errs)
		json_array_extend(in->errors, errs);
	return rc;
}

/* One value of the first row a query returns (a count), or a failure. */
static int count_of(struct intake *in, const char *sql, int64_t ticket, int64_t *n)
{
	struct db_stmt *st;
	int rc = db_run(in->ctx->db, &st, sql, "i", ticket);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	*n = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

/* What has been done on the ticket, for alert_worked. */
static int work_on(struct intake *in, const json_t *ticket, const json_t *row,
		   struct alert_work *w)
{
	int64_t id = num(ticket, "id");
	memset(w, 0, sizeof(*w));
	w->status = str(ticket, "status");
	w->assigned = json_is_integer(json_object_get(ticket, "assignee_id"));
	w->own_notes = num(row, "own_notes");
	int rc = count_of(in, "SELECT COUNT(*) FROM time_entries WHERE ticket_id = ?"
			      " AND archived_at IS NULL",
			  id, &w->time_entries);
	if (rc == RC_OK)
		rc = count_of(in, "SELECT COUNT(*) FROM ticket_parts WHERE ticket_id = ?"
				  " AND archived_at IS NULL",
			      id, &w->parts);
	if (rc == RC_OK)
		rc = count_of(in, "SELECT COUNT(*) FROM ticket_notes WHERE ticket_id = ?"
				  " AND archived_at IS NULL",
			      id, &w->notes);
	return rc;
}

static const char *ordinal(struct arena *arena, int64_t n)
{
	const char *suffix = "th";
	if (n % 100 < 11 || n % 100 > 13)
		suffix = n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
	return arena_printf(arena, "%lld%s", (long long)n, suffix);
}

/* The alert's words for a note: subject and body, when it has them. */
static const char *alert_text(struct intake *in)
{
	const char *subject = str(in->body, "subject"), *text = str(in->body, "body");
	return arena_printf(in->ctx->arena, "%s%s%s%s", subject ? "\n\n" : "",
			    subject ? subject : "", text && *text ? "\n\n" : "",
			    text && *text ? text : "");
}

static int opened(struct intake *in)
{
	int64_t asset, company, site;
	int rc = match_asset(in, &asset, &company, &site);
	if (rc != RC_OK)
		return rc;
	const char *severity = str(in->body, "severity") ? str(in->body, "severity") : "warning";
	const char *text = str(in->body, "body");
	json_t *t = arena_json(in->ctx->arena,
			       json_pack("{s:s, s:s, s:s, s:s, s:I}", "subject",
					 str(in->body, "subject"), "kind", "incident", "channel",
					 "monitoring", "priority", alert_priority(severity),
					 "company_id", (json_int_t)company));
	if (!t)
		return RC_ERROR;
	json_object_set_new(t, "description",
			    json_string(arena_printf(in->ctx->arena, "%s%sAlert %s from %s, %s at %s.",
						     text && *text ? text : "",
						     text && *text ? "\n\n" : "",
						     str(in->body, "key"), str(in->body, "source"),
						     severity, in->at)));
	if (asset)
		json_object_set_new(t, "asset_id", json_integer(asset));
	if (site)
		json_object_set_new(t, "site_id", json_integer(site));
	json_t *ticket, *errs = NULL;
	rc = resource_create_trusted(in->ctx, &ticket_resource, t, &ticket, &errs);
	if (rc != RC_OK) {
		if (errs)
			json_array_extend(in->errors, errs);
		return rc;
	}
	json_t *row = arena_json(in->ctx->arena,
				 json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I}",
					   "source", str(in->body, "source"), "key",
					   str(in->body, "key"), "state", "open", "last_status",
					   "firing", "severity", severity, "subject",
					   str(in->body, "subject"), "count", (json_int_t)1,
					   "first_at", in->at, "last_at", in->at, "ticket_id",
					   (json_int_t)num(ticket, "id"), "company_id",
					   (json_int_t)company));
	if (!row)
		return RC_ERROR;
	if (asset)
		json_object_set_new(row, "asset_id", json_integer(asset));
	json_t *made;
	errs = NULL;
	rc = resource_create_trusted(in->ctx, &alert_resource, row, &made, &errs);
	if (rc == RC_CONFLICT)
		return RC_RETRY;	/* the same alert opened meanwhile: append to it */
	if (rc != RC_OK) {
		if (errs)
			json_array_extend(in->errors, errs);
		return rc;
	}
	in->outcome = OPENED;
	in->out = json_pack("{s:O, s:O}", "alert", made, "ticket", ticket);
	return in->out ? RC_OK : RC_ERROR;
}

static int appended(struct intake *in, json_t *row, json_t *ticket)
{
	int64_t count = num(row, "count") + 1, id = num(ticket, "id");
	const char *severity = str(in->body, "severity") ? str(in->body, "severity")
							 : str(row, "severity");
	const char *want = alert_priority(severity), *have = str(ticket, "priority");
	const char *raised = "";
	int rc;
	if (alert_priority_higher(want, have)) {
		json_t *patch = arena_json(in->ctx->arena, json_pack("{s:s}", "priority", want));
		json_t *errs = NULL;
		rc = patch ? resource_update_trusted(in->ctx, &ticket_resource, id, patch, &ticket,
						     &errs)
			   : RC_ERROR;
		if (rc != RC_OK) {
			if (errs)
				json_array_extend(in->errors, errs);
			return rc;
		}
		raised = arena_printf(in->ctx->arena, " Severity %s: priority raised from %s to %s.",
				      severity, have, want);
	}
	rc = add_note(in, id, arena_printf(in->ctx->arena, "Alert fired again at %s, %s time.%s%s",
					   in->at, ordinal(in->ctx->arena, count), raised,
					   alert_text(in)));
	if (rc != RC_OK)
		return rc;
	const char *last = strcmp(in->at, str(row, "last_at")) > 0 ? in->at : str(row, "last_at");
	json_t *patch = arena_json(in->ctx->arena,
				   json_pack("{s:I, s:s, s:s, s:s, s:I}", "count", (json_int_t)count,
					     "last_at", last, "last_status", "firing", "severity",
					     severity, "own_notes",
					     (json_int_t)(num(row, "own_notes") + 1)));
	if (!patch)
		return RC_ERROR;
	if (json_is_string(json_object_get(in->body, "subject")))
		json_object_set(patch, "subject", json_object_get(in->body, "subject"));
	rc = write_alert(in, num(row, "id"), patch, &row);
	if (rc != RC_OK)
		return rc;
	in->outcome = APPENDED;
	in->out = json_pack("{s:O, s:O}", "alert", row, "ticket", ticket);
	return in->out ? RC_OK : RC_ERROR;
}

static int cleared(struct intake *in, json_t *row, json_t *ticket)
{
	int64_t id = num(ticket, "id");
	struct alert_work w;
	int rc = work_on(in, ticket, row, &w);
	if (rc != RC_OK)
		return rc;
	const char *open_items = NULL;
	if (!alert_worked(&w)) {
		int n = ticket_open_required_items(in->ctx, id, &open_items);
		if (n < 0)
			return n == -2 ? RC_RETRY : RC_ERROR;
		if (n == 0)
			open_items = NULL;
	}
	bool resolve = !alert_worked(&w) && !open_items;
	json_t *patch = arena_json(in->ctx->arena,
				   json_pack("{s:s, s:s}", "last_status", "resolved", "cleared_at",
					     in->at));
	if (!patch)
		return RC_ERROR;
	if (!resolve)
		json_object_set_new(patch, "own_notes", json_integer(num(row, "own_notes") + 1));
	rc = write_alert(in, num(row, "id"), patch, &row);
	if (rc != RC_OK)
		return rc;
	if (resolve) {
		json_t *body = arena_json(
			in->ctx->arena,
			json_pack("{s:s}", "resolution",
				  arena_printf(in->ctx->arena,
					       "Resolved by the monitoring: %s reported alert %s "
					       "resolved at %s, and nobody had worked the ticket.%s",
					       str(in->body, "source"), str(in->body, "key"), in->at,
					       alert_text(in))));
		json_t *errs = NULL;
		rc = body ? resource_act_trusted(in->ctx, &ticket_resource, &ticket_resolve, id,
						 body, &ticket, &errs)
			  : RC_ERROR;
		if (rc != RC_OK) {
			if (errs)
				json_array_extend(in->errors, errs);
			return rc;
		}
		/* the ticket's resolution closed the row (alert_ticket_finished) */
		struct resource_ctx c = *in->ctx;
		c.trusted = true;
		rc = resource_get(&c, &alert_resource, num(row, "id"), &row);
		if (rc != RC_OK)
			return rc;
		in->outcome = RESOLVED;
	} else {
		const char *why = open_items ? arena_printf(in->ctx->arena,
							    " Not resolved automatically: required"
							    " checklist items are open (%s).",
							    open_items)
					     : " Someone has worked the ticket, so it stays open"
					       " for its technician.";
		rc = add_note(in, id, arena_printf(in->ctx->arena,
						   "Alert cleared at %s: %s reports %s resolved.%s%s",
						   in->at, str(in->body, "source"),
						   str(in->body, "key"), why, alert_text(in)));
		if (rc != RC_OK)
			return rc;
		rc = resource_get(in->ctx, &ticket_resource, id, &ticket);
		if (rc != RC_OK)
			return rc;
		in->outcome = CLEARED;
	}
	in->out = json_pack("{s:O, s:O}", "alert", row, "ticket", ticket);
	return in->out ? RC_OK : RC_ERROR;
}

/* Ticket statuses of work still to do: a row whose ticket left them is done. */
static bool ticket_open(const json_t *ticket)
{
	static const char *const done[] = { "resolved", "closed", "cancelled", NULL };
	for (const char *const *d = done; *d; d++)
		if (strcmp(str(ticket, "status"), *d) == 0)
			return false;
	return true;
}

static int close_row(struct resource_ctx *ctx, int64_t id)
{
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	json_t *patch = arena_json(ctx->arena, json_pack("{s:s, s:s}", "state", "closed",
							 "closed_at", now));
	json_t *out, *errs = NULL;
	return patch ? resource_update_trusted(ctx, &alert_resource, id, patch, &out, &errs)
		     : RC_ERROR;
}

static int intake_txn(struct db *db, void *arg)
{
	struct intake *in = arg;
	(void)db;
	json_array_clear(in->errors);
	if (in->out) {
		json_decref(in->out);
		in->out = NULL;
	}
	int rc;
	json_t *row = open_alert(in, &rc), *ticket = NULL;
	if (rc != RC_OK)
		return rc;
	if (row) {
		struct resource_ctx c = *in->ctx;
		c.trusted = true;
		rc = resource_get(&c, &ticket_resource, num(row, "ticket_id"), &ticket);
		if (rc != RC_OK)
			return rc == RC_NOT_FOUND ? RC_ERROR : rc;
		if (!ticket_open(ticket)) {
			/* finished before the hook closed rows (or by a path that did not) */
			rc = close_row(in->ctx, num(row, "id"));
			if (rc != RC_OK)
				return rc;
			row = NULL;
		}
	}
	bool firing = strcmp(str(in->body, "status"), "firing") == 0;
	if (!row && !firing) {
		in->outcome = IGNORED;
		in->out = json_pack("{s:n, s:n}", "alert", "ticket");
		return in->out ? RC_OK : RC_ERROR;
	}
	if (!row)
		return opened(in);
	return firing ? appended(in, row, ticket) : cleared(in, row, ticket);
}

int alert_intake(struct resource_ctx *ctx, const json_t *body, json_t **out, json_t **errors)
{
	json_t *errs = arena_json(ctx->arena, json_array());
	if (!errs)
		return RC_ERROR;
	check_body(body, errs);
	if (json_array_size(errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	/* the time as the server writes times (an offset given is turned into UTC) */
	int64_t t = ctx->now;
	if (str(body, "occurred_at") && time_parse(str(body, "occurred_at"), &t) != 0)
		return RC_ERROR;	/* validated above */
	char at[TIME_RFC3339_LEN];
	time_format(t, at);
	struct intake in = { .ctx = ctx, .body = body, .errors = errs,
			     .at = arena_strdup(ctx->arena, at) };
	if (!in.at)
		return RC_ERROR;
	int rc = db_txn(ctx->db, intake_txn, &in);
	if (rc != RC_OK) {
		json_decref(in.out);
		if (rc == RC_INVALID || rc == RC_CONFLICT || rc == RC_FORBIDDEN)
			*errors = errs;
		return rc == RC_RETRY || rc == RC_CONSTRAINT ? RC_ERROR : rc;
	}
	json_t *reply = arena_json(ctx->arena, in.out);
	if (!reply)
		return RC_ERROR;
	json_t *ticket = json_object_get(reply, "ticket");
	json_object_set_new(reply, "outcome", json_string(outcomes[in.outcome]));
	json_object_set_new(reply, "ticket_id",
			    json_is_object(ticket) ? json_integer(num(ticket, "id")) : json_null());
	/* the caller's view: hidden columns and masked fields left out */
	json_t *alert = json_object_get(reply, "alert");
	if (json_is_object(alert))
		json_object_set(reply, "alert", resource_visible(ctx, &alert_resource, alert));
	if (json_is_object(ticket))
		json_object_set(reply, "ticket", resource_visible(ctx, &ticket_resource, ticket));
	*out = reply;
	return RC_OK;
}

int alert_ticket_finished(struct resource_ctx *ctx, int64_t ticket)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT id FROM alerts WHERE ticket_id = ? AND state = 'open'",
			"i", ticket);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_OK : rc;
	int64_t id = db_col_int(st, 0);
	db_done(st);
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	return close_row(&c, id);
}
