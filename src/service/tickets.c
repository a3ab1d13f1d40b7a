/*
 * tickets.c - service orders: the resource table and the rules the engine
 * cannot know. Numbers (T-000123) come from a counter in the same
 * transaction; status changes follow the transition table below; resolving
 * needs a resolution; a closed ticket changes only by being reopened. Every
 * change of status, priority, contract, assignee or tier is written to
 * ticket_events, the history the SLA clock is computed from.
 *
 * Notes are a child resource (/tickets/{id}/notes): the first public note
 * by staff is the first response; a note naming a contact records the
 * client's words. Time entries are a resource of their own.
 */
#include "service.h"

#include "internal.h"

#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "quotes/quotes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ticket_statuses[] = { "new", "assigned", "in_progress", "waiting_customer",
					"waiting_parts", "escalated", "resolved", "closed",
					"cancelled", NULL };
const char *const ticket_kinds[] = { "incident", "service_request", "installation", "repair",
				     "maintenance", NULL };
static const char *const channels[] = { "phone", "email", "portal", "chat", "api",
					"monitoring", "onsite", NULL };
static const char *const priorities[] = { "critical", "high", "medium", "low", NULL };

static const struct field ticket_fields[] = {
	FIELD_TEXT("number", F_READ_ONLY | F_FILTER | F_SORT, 1, 20),
	FIELD_TEXT("subject", F_REQUIRED | F_SORT, 1, 200),
	FIELD_TEXT("description", 0, 0, 50000),
	FIELD_ENUM("kind", F_FILTER | F_SORT, ticket_kinds, "\"incident\""),
	FIELD_ENUM("channel", F_FILTER, channels, "\"api\""),
	FIELD_ENUM("priority", F_FILTER | F_SORT, priorities, "\"medium\""),
	FIELD_ENUM("status", F_FILTER | F_SORT, ticket_statuses, "\"new\""),
	FIELD_REF("company_id", F_REQUIRED | F_FILTER, &company_resource),
	FIELD_REF("contact_id", F_FILTER, &contact_resource),
	FIELD_REF("site_id", F_FILTER, &site_resource),
	FIELD_REF("asset_id", F_FILTER, &asset_resource),
	FIELD_REF("contract_id", F_FILTER, &contract_resource),
	FIELD_REF("assignee_id", F_FILTER, &user_resource),
	{ .name = "tier", .type = FT_INT, .flags = F_FILTER | F_SORT, .min = 1, .max = 3,
	  .dflt = "1" },
	{ .name = "required_skills", .type = FT_STRINGS, .min = 20, .max = 60, .dflt = "[]" },
	/* certification names the assignee must hold, unexpired */
	{ .name = "required_certifications", .type = FT_STRINGS, .min = 10, .max = 200,
	  .dflt = "[]" },
	FIELD_TEXT("resolution", 0, 0, 50000),
	FIELD_TIME("first_responded_at", F_READ_ONLY | F_FILTER),
	FIELD_TIME("resolved_at", F_READ_ONLY | F_FILTER | F_SORT),
	FIELD_TIME("closed_at", F_READ_ONLY | F_FILTER),
	FIELD_REF("sla_policy_id", F_READ_ONLY | F_FILTER, &sla_policy_resource),
	FIELD_TIME("response_due_at", F_READ_ONLY | F_FILTER | F_SORT),
	FIELD_TIME("resolution_due_at", F_READ_ONLY | F_FILTER | F_SORT),
	FIELD_BOOL("response_breached", F_READ_ONLY | F_FILTER, NULL),
	FIELD_BOOL("resolution_breached", F_READ_ONLY | F_FILTER, NULL),
	FIELD_INT("paused_minutes", F_READ_ONLY, 0, 0),
	FIELD_REF("merged_into_id", F_READ_ONLY | F_FILTER, &ticket_resource),
	FIELD_TIME("follow_up_at", F_FILTER | F_SORT),
	FIELD_REF("follow_up_user_id", F_FILTER, &user_resource),
	FIELD_TEXT("follow_up_note", 0, 1, 1000),
	FIELD_INT("recurring_id", F_READ_ONLY | F_FILTER, 0, 0),
	FIELD_TIME("recurring_at", F_READ_ONLY | F_FILTER),
	FIELD_TEXT("external_reference", F_FILTER, 1, 200),
	/* the accepted quote the order came from */
	FIELD_REF("quote_id", F_READ_ONLY | F_FILTER, &quote_resource),
	/* write-only: why a manager assigns someone whose certification is missing or expired */
	FIELD_TEXT("assignment_override_reason", F_WRITE_ONLY, 1, 1000),
	{ .name = "sla_warnings", .type = FT_INT, .flags = F_HIDDEN },
	FIELD_END
};

/* Allowed status changes; reopening is resolved/closed/cancelled -> in_progress or new. */
static const struct {
	const char *from;
	const char *const to[9];
} transitions[] = {
	{ "new", { "assigned", "in_progress", "waiting_customer", "waiting_parts", "escalated",
		   "resolved", "cancelled", NULL } },
	{ "assigned", { "new", "in_progress", "waiting_customer", "waiting_parts", "escalated",
			"resolved", "cancelled", NULL } },
	{ "in_progress", { "assigned", "waiting_customer", "waiting_parts", "escalated",
			   "resolved", "cancelled", NULL } },
	{ "waiting_customer", { "assigned", "in_progress", "waiting_parts", "escalated",
				"resolved", "cancelled", NULL } },
	{ "waiting_parts", { "assigned", "in_progress", "waiting_customer", "escalated",
			     "resolved", "cancelled", NULL } },
	{ "escalated", { "assigned", "in_progress", "waiting_customer", "waiting_parts",
			 "resolved", "cancelled", NULL } },
	{ "resolved", { "closed", "in_progress", NULL } },
	{ "closed", { "in_progress", NULL } },
	{ "cancelled", { "new", "in_progress", NULL } },
};

static const char *const *allowed_from(const char *status)
{
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (strcmp(transitions[i].from, status) == 0)
			return transitions[i].to;
	return NULL;
}

static bool in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static const char *str(const json_t *rec, const char *name)
{
	return json_string_value(json_object_get(rec, name));
}

static bool same(const json_t *a, const json_t *b, const char *name)
{
	json_t *x = json_object_get(a, name), *y = json_object_get(b, name);
	if (!x || json_is_null(x))
		return !y || json_is_null(y);
	return y && json_equal(x, y);
}

/* The next number from the counter, in the write's transaction. */
static int next_number(struct resource_ctx *ctx, char out[16])
{
	int64_t n;
	int rc = db_next_number(ctx->db, "tickets", &n);
	if (rc != RC_OK)
		return rc;
	snprintf(out, 16, "T-%06lld", (long long)n);
	return RC_OK;
}

/* Sites, assets, contacts and contracts of a ticket belong to its company. */
static int check_ownership(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	static const struct {
		const char *field, *table, *what;
	} owned[] = {
		{ "contact_id", "contacts", "contact" },
		{ "site_id", "sites", "site" },
		{ "asset_id", "assets", "asset" },
		{ "contract_id", "contracts", "contract" },
	};
	int64_t company = json_integer_value(json_object_get(rec, "company_id"));
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		json_t *v = json_object_get(rec, owned[i].field);
		if (!json_is_integer(v))
			continue;
		char sql[96];
		snprintf(sql, sizeof(sql), "SELECT company_id FROM %s WHERE id = ?", owned[i].table);
		struct db_stmt *st;
		int rc = db_run(ctx->db, &st, sql, "i", (int64_t)json_integer_value(v));
		if (rc == RC_DONE)
			continue;	/* reported by the reference check */
		if (rc != RC_ROW)
			return rc;
		int64_t owner = db_col_int(st, 0);
		db_done(st);
		if (owner != company) {
			char msg[96];
			snprintf(msg, sizeof(msg), "belongs to another company than the ticket's %s",
				 "company_id");
			resource_error(errors, owned[i].field, msg);
		}
	}
	return RC_OK;
}

/* Refuses a status change the table does not allow: 409 naming the allowed ones. */
static int check_transition(const char *from, const char *to, json_t *errors)
{
	const char *const *ok = allowed_from(from);
	if (in_list(ok, to))
		return RC_OK;
	char msg[512];
	size_t off = (size_t)snprintf(msg, sizeof(msg), "cannot go from %s to %s; allowed:", from,
				      to);
	for (const char *const *p = ok; p && *p && off < sizeof(msg); p++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s %s",
					p == ok ? "" : ",", *p);
	resource_error(errors, "status", msg);
	return RC_CONFLICT;
}

static void set_time(json_t *rec, const char *name, int64_t t)
{
	char s[TIME_RFC3339_LEN];
	time_format(t, s);
	json_object_set_new(rec, name, json_string(s));
}

/* The SLA policy: the contract's, else the default one (or none). */
static int resolve_policy(struct resource_ctx *ctx, json_t *rec)
{
	struct db_stmt *st;
	int rc = RC_DONE;
	json_t *contract = json_object_get(rec, "contract_id");
	if (json_is_integer(contract))
		rc = db_run(ctx->db, &st,
			    "SELECT sla_policy_id FROM contracts WHERE id = ? AND sla_policy_id IS NOT NULL",
			    "i", (int64_t)json_integer_value(contract));
	if (rc == RC_DONE)
		rc = db_run(ctx->db, &st,
			    "SELECT id FROM sla_policies WHERE is_default = 1 AND archived_at IS NULL",
			    "");
	if (rc == RC_DONE) {
		json_object_set_new(rec, "sla_policy_id", json_null());
		return RC_OK;
	}
	if (rc != RC_ROW)
		return rc;
	json_object_set_new(rec, "sla_policy_id", json_integer(db_col_int(st, 0)));
	db_done(st);
	return RC_OK;
}

/*
 * The assignee must be an active user holding every required
 * certification, unexpired today. A manager may override a missing or
 * expired certification by giving a reason, which the history keeps.
 */
static int check_assignee(struct resource_ctx *ctx, json_t *rec, json_t *errors)
{
	int64_t user = json_integer_value(json_object_get(rec, "assignee_id"));
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT active FROM users WHERE id = ?", "i", user);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_OK : rc;	/* the ref check reports it */
	bool active = db_col_int(st, 0);
	db_done(st);
	if (!active) {
		resource_error(errors, "assignee_id", "the user is deactivated");
		return RC_OK;
	}
	char today[TIME_RFC3339_LEN];
	time_format(ctx->now, today);
	today[10] = '\0';
	const json_t *need = json_object_get(rec, "required_certifications");
	struct buf missing;
	buf_init(&missing, 4096);
	size_t i;
	const json_t *name;
	json_array_foreach(need, i, name) {
		rc = db_run(ctx->db, &st,
			    "SELECT COUNT(*) FROM user_certifications WHERE user_id = ? AND name = ?"
			    " AND archived_at IS NULL AND (expires_on IS NULL OR expires_on >= ?)",
			    "iss", user, json_string_value(name), today);
		if (rc != RC_ROW) {
			buf_release(&missing);
			return rc;
		}
		bool valid = db_col_int(st, 0) > 0;
		db_done(st);
		if (!valid)
			buf_addf(&missing, "%s%s", missing.len ? ", " : "", json_string_value(name));
	}
	if (!missing.len) {
		buf_release(&missing);
		return RC_OK;
	}
	const char *reason = json_string_value(json_object_get(rec, "assignment_override_reason"));
	bool may_override = ctx->actor->role & (ROLE_ADMIN | ROLE_MANAGER);
	if (reason && may_override) {
		const char *detail = arena_printf(ctx->arena, "%s (missing or expired: %s)", reason,
						  buf_str(&missing));
		buf_release(&missing);
		ctx->hook_note = detail ? detail : reason;
		return RC_OK;
	}
	char msg[600];
	snprintf(msg, sizeof(msg),
		 "lacks a valid certification: %.300s%s", buf_str(&missing),
		 reason ? "; only a manager may override"
			: "; a manager may assign anyway with assignment_override_reason");
	buf_release(&missing);
	resource_error(errors, "assignee_id", msg);
	return reason ? RC_OK : RC_CONFLICT;
}

static int ticket_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			  json_t *errors)
{
	const char *to = str(rec, "status");
	ctx->hook_note = NULL;
	if (!cur) {
		if (strcmp(to, "new") != 0 && strcmp(to, "assigned") != 0 &&
		    strcmp(to, "in_progress") != 0) {
			resource_error(errors, "status",
				       "a new ticket starts as new, assigned or in_progress");
			return RC_OK;
		}
		char number[16];
		int rc = next_number(ctx, number);
		if (rc != RC_OK)
			return rc;
		json_object_set_new(rec, "number", json_string(number));
		if (ctx->action && strcmp(ctx->action, "recurring") == 0) {
			/* made by a recurring template, for one occurrence (unique) */
			json_t *d = json_loads(ctx->action_detail, 0, NULL);
			json_object_set(rec, "recurring_id", json_object_get(d, "recurring_id"));
			json_object_set(rec, "recurring_at", json_object_get(d, "at"));
			json_decref(d);
		}
		if (strcmp(to, "new") == 0 && json_is_integer(json_object_get(rec, "assignee_id")))
			json_object_set_new(rec, "status", json_string("assigned"));
		/* the old status string went with the replaced value */
		to = str(rec, "status");
		if (strcmp(to, "in_progress") == 0)
			set_time(rec, "first_responded_at", ctx->now);
	} else {
		const char *from = str(cur, "status");
		/* closing a resolved ticket keeps its resolution time; anything else
		   out of resolved, closed or cancelled is a reopening */
		bool reopening = strcmp(from, to) != 0 && strcmp(to, "closed") != 0 &&
				 (strcmp(from, "closed") == 0 || strcmp(from, "resolved") == 0 ||
				  strcmp(from, "cancelled") == 0);
		if (strcmp(from, "closed") == 0) {
			/* nothing but the status may change while closed */
			for (const struct field *f = ticket_fields; f->name; f++) {
				if (strcmp(f->name, "status") != 0 && !(f->flags & F_READ_ONLY) &&
				    !same(cur, rec, f->name)) {
					resource_error(errors, f->name,
						       "a closed ticket is read-only; reopen it first"
						       " (status in_progress)");
					return RC_CONFLICT;
				}
			}
		}
		if (strcmp(from, to) != 0) {
			int rc = check_transition(from, to, errors);
			if (rc != RC_OK)
				return rc;
		}
		/* giving a new ticket an assignee assigns it */
		if (strcmp(from, "new") == 0 && strcmp(to, "new") == 0 &&
		    json_is_integer(json_object_get(rec, "assignee_id")))
			json_object_set_new(rec, "status", json_string("assigned"));
		to = str(rec, "status");
		if (strcmp(to, "in_progress") == 0 &&
		    json_is_null(json_object_get(rec, "first_responded_at")))
			set_time(rec, "first_responded_at", ctx->now);
		if (reopening) {
			json_object_set_new(rec, "resolved_at", json_null());
			json_object_set_new(rec, "closed_at", json_null());
		}
		if (strcmp(to, "closed") == 0 && strcmp(from, "closed") != 0)
			set_time(rec, "closed_at", ctx->now);
	}
	if (strcmp(to, "resolved") == 0 && (!cur || strcmp(str(cur, "status"), "resolved") != 0)) {
		const char *resolution = str(rec, "resolution");
		if (!resolution || !*resolution) {
			resource_error(errors, "resolution",
				       "is required to resolve a ticket: say what was done");
			return RC_OK;
		}
		if (cur) {
			const char *open;
			int n = ticket_open_required_items(
				ctx, json_integer_value(json_object_get(cur, "id")), &open);
			if (n < 0)
				return n == -2 ? RC_RETRY : RC_ERROR;
			if (n > 0) {
				char msg[512];
				snprintf(msg, sizeof(msg),
					 "cannot resolve while required checklist items are open: %.400s",
					 open);
				resource_error(errors, "status", msg);
				return RC_CONFLICT;
			}
		}
		set_time(rec, "resolved_at", ctx->now);
	}
	int rc = check_ownership(ctx, rec, errors);
	if (rc != RC_OK || json_array_size(errors))
		return rc;
	if (json_is_integer(json_object_get(rec, "assignee_id")) &&
	    (!cur || !same(cur, rec, "assignee_id") ||
	     !same(cur, rec, "required_certifications"))) {
		rc = check_assignee(ctx, rec, errors);
		if (rc != RC_OK || json_array_size(errors))
			return rc;
	}
	json_object_del(rec, "assignment_override_reason");
	if (!cur || !same(cur, rec, "contract_id")) {
		rc = resolve_policy(ctx, rec);
		if (rc != RC_OK)
			return rc;
	}
	return ticket_sla_update(ctx, cur, rec);
}

static int add_event(struct resource_ctx *ctx, int64_t ticket, const char *kind,
		     const char *from, const char *to, const char *detail)
{
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	const char *fmt = ctx->actor->user_id ? "issssis" : "issssns";
	int rc = ctx->actor->user_id
		? db_run(ctx->db, NULL,
			 "INSERT INTO ticket_events (ticket_id, at, kind, from_value, to_value,"
			 " actor_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
			 fmt, ticket, now, kind, from, to, ctx->actor->user_id, detail)
		: db_run(ctx->db, NULL,
			 "INSERT INTO ticket_events (ticket_id, at, kind, from_value, to_value,"
			 " actor_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
			 fmt, ticket, now, kind, from, to, detail);
	return rc == RC_DONE ? RC_OK : rc;
}

/* A member's value as event text: strings as they are, numbers in decimal. */
static const char *event_value(struct resource_ctx *ctx, const json_t *rec, const char *name)
{
	json_t *v = json_object_get(rec, name);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_printf(ctx->arena, "%lld", (long long)json_integer_value(v));
	return NULL;
}

static int record_action(struct resource_ctx *ctx, int64_t id);

static int ticket_after(struct resource_ctx *ctx, const json_t *before, const json_t *after)
{
	int64_t id = json_integer_value(json_object_get(after, "id"));
	if (ctx->hook_note) {
		int rc = add_event(ctx, id, "assignment_override", NULL,
				   event_value(ctx, after, "assignee_id"), ctx->hook_note);
		if (rc != RC_OK)
			return rc;
	}
	int arc = record_action(ctx, id);
	if (arc != RC_OK)
		return arc;
	if (!before) {
		int rc = add_event(ctx, id, "created", NULL, str(after, "status"), NULL);
		if (rc == RC_OK)
			rc = ticket_checklist_from_templates(ctx, id, str(after, "kind"));
		return rc;
	}
	static const char *const tracked[] = { "status", "priority", "contract_id", "assignee_id",
					       "tier", "kind", NULL };
	for (const char *const *t = tracked; *t; t++) {
		if (same(before, after, *t))
			continue;
		const char *kind = strcmp(*t, "contract_id") == 0   ? "contract"
				   : strcmp(*t, "assignee_id") == 0 ? "assignee"
								    : *t;
		int rc = add_event(ctx, id, kind, event_value(ctx, before, *t),
				   event_value(ctx, after, *t), NULL);
		if (rc != RC_OK)
			return rc;
	}
	return RC_OK;
}

/* The DESIGN.md shape: the SLA fields also as one "sla" object. */
static void ticket_present(json_t *rec)
{
	json_t *sla = json_object();
	static const char *const members[][2] = {
		{ "sla_policy_id", "policy_id" },
		{ "response_due_at", "response_due_at" },
		{ "resolution_due_at", "resolution_due_at" },
		{ "response_breached", "response_breached" },
		{ "resolution_breached", "resolution_breached" },
		{ "paused_minutes", "paused_minutes" },
	};
	for (size_t i = 0; sla && i < sizeof(members) / sizeof(members[0]); i++) {
		json_t *v = json_object_get(rec, members[i][0]);
		json_object_set(sla, members[i][1], v ? v : json_null());
	}
	json_object_set_new(rec, "sla", sla ? sla : json_null());
}

const struct resource ticket_resource = {
	.name = "tickets",
	.singular = "ticket",
	.table = "tickets",
	.fields = ticket_fields,
	.searchable = true,
	.default_sort = "-created_at",
	.prepare = ticket_prepare,
	.after_write = ticket_after,
	.present = ticket_present,
};

/* Notes ----------------------------------------------------------------- */

static const char *const visibilities[] = { "internal", "public", NULL };

static const struct field note_fields[] = {
	FIELD_REF("ticket_id", F_READ_ONLY, &ticket_resource),
	FIELD_TEXT("body", F_REQUIRED, 1, 50000),
	FIELD_ENUM("visibility", F_FILTER, visibilities, "\"internal\""),
	FIELD_REF("author_id", F_READ_ONLY | F_FILTER, &user_resource),
	/* the client contact whose words the note records: a client reply */
	FIELD_REF("contact_id", F_FILTER, &contact_resource),
	FIELD_END
};

/* The ticket's status, or NULL (with *rc set) when it cannot be read. */
static const char *ticket_status(struct resource_ctx *ctx, int64_t id, int *rc)
{
	struct db_stmt *st;
	*rc = db_run(ctx->db, &st, "SELECT status FROM tickets WHERE id = ?", "i", id);
	if (*rc != RC_ROW) {
		*rc = *rc == RC_DONE ? RC_NOT_FOUND : *rc;
		return NULL;
	}
	const char *s = arena_strdup(ctx->arena, db_col_text(st, 0));
	db_done(st);
	*rc = s ? RC_OK : RC_ERROR;
	return s;
}

static int note_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec, json_t *errors)
{
	int rc;
	const char *status = ticket_status(ctx, ctx->parent_id, &rc);
	if (!status)
		return rc;
	if (strcmp(status, "closed") == 0) {
		resource_error(errors, "ticket_id", "the ticket is closed; reopen it to add notes");
		return RC_CONFLICT;
	}
	json_t *contact = json_object_get(rec, "contact_id");
	if (json_is_integer(contact)) {
		struct db_stmt *st;
		rc = db_run(ctx->db, &st,
			    "SELECT 1 FROM contacts c JOIN tickets t ON t.company_id = c.company_id"
			    " WHERE c.id = ? AND t.id = ?",
			    "ii", (int64_t)json_integer_value(contact), ctx->parent_id);
		if (rc == RC_ROW)
			db_done(st);
		else if (rc == RC_DONE)
			resource_error(errors, "contact_id",
				       "is not a contact of the ticket's company");
		else
			return rc;
	}
	if (!cur) {
		json_object_set_new(rec, "author_id", ctx->actor->user_id
							      ? json_integer(ctx->actor->user_id)
							      : json_null());
	} else if (json_integer_value(json_object_get(cur, "author_id")) != ctx->actor->user_id) {
		resource_error(errors, "body", "only its author may edit a note");
		return RC_CONFLICT;
	}
	return RC_OK;
}

/*
 * A note joins the ticket's search text, and the first public note by
 * staff is the first response (the clock is then recomputed).
 */
static int note_after(struct resource_ctx *ctx, const json_t *before, const json_t *after)
{
	if (before)
		return RC_OK;
	int64_t ticket = ctx->parent_id;
	int rc = db_run(ctx->db, NULL,
			"UPDATE tickets SET notes_text = notes_text || ? || ? WHERE id = ?", "ssi",
			"\n", str(after, "body"), ticket);
	if (rc != RC_DONE)
		return rc;
	/* a client's words are no response by staff */
	if (strcmp(str(after, "visibility"), "public") != 0 || !ctx->actor->user_id ||
	    json_is_integer(json_object_get(after, "contact_id")))
		return RC_OK;
	rc = add_event(ctx, ticket, "public_note", NULL,
		       arena_printf(ctx->arena, "%lld",
				    (long long)json_integer_value(json_object_get(after, "id"))),
		       NULL);
	if (rc != RC_OK)
		return rc;
	/* the response clock stops here: recompute it as the ticket's own write would */
	json_t *t;
	struct resource_ctx tctx = *ctx;
	tctx.parent_id = 0;
	rc = resource_get(&tctx, &ticket_resource, ticket, &t);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_ERROR : rc;
	if (!json_is_null(json_object_get(t, "first_responded_at"))) {
		json_decref(t);
		return RC_OK;
	}
	json_t *rec = json_deep_copy(t);
	set_time(rec, "first_responded_at", ctx->now);
	rc = rec ? ticket_sla_update(ctx, t, rec) : RC_ERROR;
	if (rc == RC_OK) {
		char now[TIME_RFC3339_LEN];
		time_format(ctx->now, now);
		rc = db_run(ctx->db, NULL,
			    "UPDATE tickets SET first_responded_at = ?, response_due_at = ?,"
			    " resolution_due_at = ?, response_breached = ?, resolution_breached = ?,"
			    " paused_minutes = ?, updated_at = ?, version = version + 1 WHERE id = ?",
			    "sssiiisi", str(rec, "first_responded_at"), str(rec, "response_due_at"),
			    str(rec, "resolution_due_at"),
			    (int64_t)json_is_true(json_object_get(rec, "response_breached")),
			    (int64_t)json_is_true(json_object_get(rec, "resolution_breached")),
			    (int64_t)json_integer_value(json_object_get(rec, "paused_minutes")), now,
			    ticket);
		rc = rc == RC_DONE ? RC_OK : rc;
	}
	json_decref(rec);
	json_decref(t);
	return rc;
}

const struct resource ticket_note_resource = {
	.name = "notes",
	.singular = "note",
	.table = "ticket_notes",
	.fields = note_fields,
	.default_sort = "created_at",
	.prepare = note_prepare,
	.after_write = note_after,
	.parent = &ticket_resource,
	.parent_field = "ticket_id",
};

/* Time entries ------------------------------------------------------------ */

static const struct field time_entry_fields[] = {
	FIELD_REF("ticket_id", F_REQUIRED | F_FILTER, &ticket_resource),
	FIELD_REF("user_id", F_FILTER | F_NOT_NULL, &user_resource),
	FIELD_REF("work_type_id", F_REQUIRED | F_FILTER, &work_type_resource),
	FIELD_TIME("started_at", F_FILTER | F_SORT | F_NOT_NULL),
	FIELD_INT("minutes", F_REQUIRED, 1, 1440),
	FIELD_BOOL("billable", F_FILTER, NULL),
	FIELD_TEXT("notes", 0, 0, 10000),
	FIELD_INT("invoice_id", F_READ_ONLY | F_FILTER, 0, 0),
	FIELD_END
};

static int time_entry_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			      json_t *errors)
{
	if (cur && !json_is_null(json_object_get(cur, "invoice_id"))) {
		resource_error(errors, "invoice_id", "the entry is invoiced and cannot change");
		return RC_CONFLICT;
	}
	if (!cur) {
		if (!json_is_integer(json_object_get(rec, "user_id"))) {
			if (!ctx->actor->user_id) {
				resource_error(errors, "user_id", "is required");
				return RC_OK;
			}
			json_object_set_new(rec, "user_id", json_integer(ctx->actor->user_id));
		}
		if (!json_is_string(json_object_get(rec, "started_at")))
			set_time(rec, "started_at", ctx->now - 60 * json_integer_value(
							      json_object_get(rec, "minutes")));
	}
	if (!json_is_boolean(json_object_get(rec, "billable"))) {
		/* the work type decides unless the entry says */
		struct db_stmt *st;
		int rc = db_run(ctx->db, &st, "SELECT billable FROM work_types WHERE id = ?", "i",
				(int64_t)json_integer_value(json_object_get(rec, "work_type_id")));
		if (rc == RC_ROW) {
			json_object_set_new(rec, "billable", json_boolean(db_col_int(st, 0)));
			db_done(st);
		} else if (rc != RC_DONE) {
			return rc;
		}
	}
	int rc;
	const char *status = ticket_status(ctx, json_integer_value(json_object_get(rec, "ticket_id")),
					   &rc);
	if (!status)
		return rc == RC_NOT_FOUND ? RC_OK : rc;	/* the reference check reports it */
	if (strcmp(status, "closed") == 0) {
		resource_error(errors, "ticket_id", "the ticket is closed; reopen it to log time");
		return RC_CONFLICT;
	}
	return RC_OK;
}

const struct resource time_entry_resource = {
	.name = "time-entries",
	.singular = "time entry",
	.table = "time_entries",
	.fields = time_entry_fields,
	.default_sort = "-started_at",
	.prepare = time_entry_prepare,
};

/* History ----------------------------------------------------------------- */

static const struct field event_fields[] = {
	FIELD_REF("ticket_id", F_READ_ONLY, &ticket_resource),
	FIELD_TIME("at", F_READ_ONLY | F_FILTER | F_SORT),
	FIELD_TEXT("kind", F_READ_ONLY | F_FILTER, 1, 40),
	FIELD_TEXT("from_value", F_READ_ONLY, 0, 0),
	FIELD_TEXT("to_value", F_READ_ONLY, 0, 0),
	FIELD_REF("actor_id", F_READ_ONLY | F_FILTER, &user_resource),
	FIELD_TEXT("detail", F_READ_ONLY, 0, 0),
	FIELD_END
};

const struct resource ticket_event_resource = {
	.name = "history",
	.singular = "history entry",
	.table = "ticket_events",
	.fields = event_fields,
	.default_sort = "id",
	.read_only = true,
	.no_record_columns = true,
	.parent = &ticket_resource,
	.parent_field = "ticket_id",
};

/* Actions ----------------------------------------------------------------- */

/*
 * The action's side of ticket_after: the history entry and, for a merge,
 * moving the duplicate's notes, time and parts to the ticket it joins.
 */
static int record_action(struct resource_ctx *ctx, int64_t id)
{
	if (!ctx->action)
		return RC_OK;
	if (strcmp(ctx->action, "merge") != 0)
		return add_event(ctx, id, ctx->action, NULL, NULL, ctx->action_detail);
	json_t *d = json_loads(ctx->action_detail, 0, NULL);
	int64_t into = json_integer_value(json_object_get(d, "into_id"));
	json_decref(d);
	static const char *const moves[] = {
		"UPDATE ticket_notes SET ticket_id = ? WHERE ticket_id = ?",
		"UPDATE time_entries SET ticket_id = ? WHERE ticket_id = ?",
		"UPDATE ticket_parts SET ticket_id = ? WHERE ticket_id = ?",
	};
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		int rc = db_run(ctx->db, NULL, moves[i], "ii", into, id);
		if (rc != RC_DONE)
			return rc;
	}
	int rc = db_run(ctx->db, NULL,
			"UPDATE tickets SET notes_text = notes_text || ? ||"
			" (SELECT notes_text FROM tickets WHERE id = ?) WHERE id = ?",
			"sii", "\n", id, into);
	if (rc == RC_DONE)
		rc = db_run(ctx->db, NULL,
			    "UPDATE tickets SET merged_into_id = ?, version = version + 1 WHERE id = ?",
			    "ii", into, id);
	if (rc != RC_DONE)
		return rc;
	const char *sid = arena_printf(ctx->arena, "%lld", (long long)id);
	const char *tid = arena_printf(ctx->arena, "%lld", (long long)into);
	rc = add_event(ctx, id, "merged_into", NULL, tid, NULL);
	return rc == RC_OK ? add_event(ctx, into, "merged_from", NULL, sid, NULL) : rc;
}

static const char *const escalation_targets[] = { "tier", "user", "vendor", "development",
						  NULL };

int ticket_escalate(struct resource_ctx *ctx, int64_t id, const json_t *body, int64_t version,
		    json_t **out, json_t **errors)
{
	static const struct field fields[] = {
		FIELD_ENUM("to", F_REQUIRED, escalation_targets, NULL),
		FIELD_INT("tier", 0, 1, 3),
		FIELD_REF("user_id", 0, &user_resource),
		FIELD_TEXT("reference", 0, 1, 200),
		FIELD_TEXT("reason", F_REQUIRED, 1, 2000),
		FIELD_END
	};
	static const struct resource escalation = { .name = "escalations",
						    .singular = "escalation", .fields = fields };
	json_t *errs = json_array();
	if (!errs)
		return RC_ERROR;
	resource_validate(&escalation, body, true, errs);
	const char *to = json_string_value(json_object_get(body, "to"));
	json_t *patch = json_object();
	if (to && strcmp(to, "user") == 0) {
		if (!json_is_integer(json_object_get(body, "user_id")))
			resource_error(errs, "user_id", "is required to escalate to a user");
		else
			json_object_set(patch, "assignee_id", json_object_get(body, "user_id"));
	} else if (to && (strcmp(to, "vendor") == 0 || strcmp(to, "development") == 0)) {
		if (!json_is_string(json_object_get(body, "reference")))
			resource_error(errs, "reference",
				       "is required: the vendor's case or the development bug id");
		else
			json_object_set(patch, "external_reference",
					json_object_get(body, "reference"));
	}
	json_t *cur = NULL;
	int rc = json_array_size(errs) ? RC_INVALID : resource_get(ctx, &ticket_resource, id, &cur);
	if (rc == RC_OK && to && strcmp(to, "tier") == 0) {
		json_int_t tier = json_integer_value(json_object_get(cur, "tier"));
		json_t *want = json_object_get(body, "tier");
		json_int_t next = json_is_integer(want) ? json_integer_value(want) : tier + 1;
		if (next <= tier || next > 3) {
			resource_error(errs, "tier", tier >= 3 ? "the ticket is at the top tier (3)"
							       : "must be above the ticket's tier");
			rc = RC_INVALID;
		} else {
			json_object_set_new(patch, "tier", json_integer(next));
		}
	}
	json_decref(cur);
	if (rc != RC_OK) {
		json_decref(patch);
		if (rc == RC_INVALID)
			*errors = errs;
		else
			json_decref(errs);
		return rc;
	}
	json_decref(errs);
	json_object_set_new(patch, "status", json_string("escalated"));
	char *detail = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	ctx->action = "escalation";
	ctx->action_detail = detail ? arena_strdup(ctx->arena, detail) : NULL;
	free(detail);
	rc = resource_update(ctx, &ticket_resource, id, patch, version, out, errors);
	json_decref(patch);
	return rc;
}

int ticket_merge(struct resource_ctx *ctx, int64_t id, int64_t into, int64_t version,
		 json_t **out, json_t **errors)
{
	json_t *a = NULL, *b = NULL;
	int rc = resource_get(ctx, &ticket_resource, id, &a);
	if (rc == RC_OK)
		rc = resource_get(ctx, &ticket_resource, into, &b);
	const char *problem = NULL;
	if (rc == RC_NOT_FOUND && a)
		problem = "refers to no ticket";
	else if (rc == RC_OK && id == into)
		problem = "a ticket cannot be merged into itself";
	else if (rc == RC_OK && !same(a, b, "company_id"))
		problem = "is a ticket of another company";
	else if (rc == RC_OK && (strcmp(str(b, "status"), "closed") == 0 ||
				 strcmp(str(b, "status"), "cancelled") == 0))
		problem = "is closed or cancelled; merge into an open ticket";
	else if (rc == RC_OK && !json_is_null(json_object_get(a, "merged_into_id")))
		problem = "this ticket is already merged";
	json_decref(a);
	json_decref(b);
	if (problem) {
		*errors = json_array();
		resource_error(*errors, "into_id", problem);
		return RC_INVALID;
	}
	if (rc != RC_OK)
		return rc;
	ctx->action = "merge";
	ctx->action_detail = arena_printf(ctx->arena, "{\"into_id\":%lld}", (long long)into);
	json_t *patch = json_pack("{s:s}", "status", "cancelled");
	rc = patch ? resource_update(ctx, &ticket_resource, id, patch, version, out, errors)
		   : RC_ERROR;
	json_decref(patch);
	if (rc == RC_OK) {
		/* the reply shows merged_into_id, which the action's hook set */
		json_decref(*out);
		ctx->action = NULL;
		rc = resource_get(ctx, &ticket_resource, id, out);
	}
	return rc;
}
