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
#include "sla.h"

#include "internal.h"

#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/jsonout.h"
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

/* The members of the computed "sla" object (for the description only). */
static const struct field sla_members[] = {
	FIELD_INT("policy_id", 0, 1, 0),
	FIELD_TIME("response_due_at", 0),
	FIELD_TIME("resolution_due_at", 0),
	FIELD_BOOL("response_breached", F_REQUIRED, NULL),
	FIELD_BOOL("resolution_breached", F_REQUIRED, NULL),
	FIELD_INT("paused_minutes", F_REQUIRED, 0, 0),
	{ .name = "response_warned_percent", .type = FT_INT, .flags = F_REQUIRED,
	  .doc = "The highest warning the SLA sweep gave on the response clock: 0 (none), 50, "
		 "75, 90 or 100 % of its working time used." },
	{ .name = "resolution_warned_percent", .type = FT_INT, .flags = F_REQUIRED,
	  .doc = "The same for the resolution clock." },
	FIELD_END
};

static const struct field ticket_fields[] = {
	{ .name = "number", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 1,
	  .max = 20, .doc = "`T-000123`, assigned on create." },
	FIELD_TEXT("subject", F_REQUIRED | F_SORT, 1, 200),
	FIELD_TEXT("description", 0, 0, 50000),
	FIELD_ENUM("kind", F_FILTER | F_SORT, ticket_kinds, "\"incident\""),
	FIELD_ENUM("channel", F_FILTER, channels, "\"api\""),
	{ .name = "priority", .type = FT_ENUM, .flags = F_FILTER | F_SORT,
	  .enum_values = priorities, .dflt = "\"medium\"", .doc = "A change recomputes the SLA." },
	{ .name = "status", .type = FT_ENUM, .flags = F_FILTER | F_SORT,
	  .enum_values = ticket_statuses, .dflt = "\"new\"",
	  .doc = "Changes follow the allowed transitions (409 naming them); `resolved` needs "
		 "`resolution`; closed tickets change only by reopening (status `in_progress`)." },
	FIELD_REF("company_id", F_REQUIRED | F_FILTER, &company_resource),
	FIELD_REF("contact_id", F_FILTER | F_SAME_COMPANY, &contact_resource),
	FIELD_REF("site_id", F_FILTER | F_SAME_COMPANY, &site_resource),
	FIELD_REF("asset_id", F_FILTER | F_SAME_COMPANY, &asset_resource),
	{ .name = "contract_id", .type = FT_REF, .flags = F_FILTER | F_SAME_COMPANY,
	  .ref = &contract_resource, .doc = "Its SLA policy applies." },
	{ .name = "assignee_id", .type = FT_REF, .flags = F_FILTER, .ref = &user_resource,
	  .doc = "Assigning a new ticket makes it `assigned`.", .hidden_from = ROLE_PORTAL },
	{ .name = "tier", .type = FT_INT, .flags = F_FILTER | F_SORT, .min = 1, .max = 3,
	  .dflt = "1", .hidden_from = ROLE_PORTAL },
	{ .name = "required_skills", .type = FT_STRINGS, .min = 20, .max = 60, .dflt = "[]",
	  .hidden_from = ROLE_PORTAL },
	/* certification names the assignee must hold, unexpired */
	{ .name = "required_certifications", .type = FT_STRINGS, .min = 10, .max = 200,
	  .dflt = "[]", .doc = "Certification names the assignee must hold, unexpired.",
	  .hidden_from = ROLE_PORTAL },
	{ .name = "resolution", .type = FT_TEXT, .min = 0, .max = 50000,
	  .doc = "What was done; required to resolve." },
	{ .name = "planned_minutes", .type = FT_INT, .flags = F_FILTER | F_SORT, .min = 0,
	  .max = 5256000,
	  .doc = "The work planned, in minutes (an accepted quote's labour on its "
		 "installation orders); null when none was planned." },
	{ .name = "first_responded_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "The first public note by staff or the first change to `in_progress`." },
	FIELD_TIME("resolved_at", F_READ_ONLY | F_FILTER | F_SORT),
	FIELD_TIME("closed_at", F_READ_ONLY | F_FILTER),
	{ .name = "sla_policy_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &sla_policy_resource,
	  .doc = "The contract's policy, else the default policy; null when there is neither "
		 "(no due times then).", .hidden_from = ROLE_PORTAL },
	{ .name = "response_due_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "Null when no policy applies or it has no response target for the priority.",
	  .hidden_from = ROLE_PORTAL },
	{ .name = "resolution_due_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "Null when no policy applies or it has no resolution target for the priority.",
	  .hidden_from = ROLE_PORTAL },
	{ .name = "sla_urgency", .type = FT_TEXT, .flags = F_READ_ONLY | F_SORT,
	  .doc = "The order of SLA urgency (`sort=sla_urgency`, the order list's default): "
		 "`1 <due time>` for an open order, the due time of its running clock (the "
		 "response target until the first response, then the resolution target; a "
		 "breached one is past, so it comes first); `2` an open order without a "
		 "target; `3` a resolved, closed or cancelled order.",
	  .hidden_from = ROLE_PORTAL },
	{ .name = "response_breached", .type = FT_BOOL, .flags = F_READ_ONLY | F_FILTER,
	  .hidden_from = ROLE_PORTAL },
	{ .name = "resolution_breached", .type = FT_BOOL, .flags = F_READ_ONLY | F_FILTER,
	  .hidden_from = ROLE_PORTAL },
	{ .name = "paused_minutes", .type = FT_INT, .flags = F_READ_ONLY,
	  .hidden_from = ROLE_PORTAL },
	{ .name = "merged_into_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &ticket_resource,
	  .doc = "Set when this ticket was merged into another as a duplicate." },
	{ .name = "follow_up_at", .type = FT_TIME, .flags = F_FILTER | F_SORT,
	  .doc = "When to follow up (with `follow_up_user_id` and `follow_up_note`).",
	  .hidden_from = ROLE_PORTAL },
	{ .name = "follow_up_user_id", .type = FT_REF, .flags = F_FILTER, .ref = &user_resource,
	  .hidden_from = ROLE_PORTAL },
	{ .name = "follow_up_note", .type = FT_TEXT, .min = 1, .max = 1000,
	  .hidden_from = ROLE_PORTAL },
	{ .name = "recurring_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 0,
	  .max = 0, .doc = "The recurring ticket that made it.", .hidden_from = ROLE_PORTAL },
	{ .name = "recurring_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "The occurrence it was made for.", .hidden_from = ROLE_PORTAL },
	{ .name = "external_reference", .type = FT_TEXT, .flags = F_FILTER, .min = 1, .max = 200,
	  .doc = "A vendor case or development bug id (set by escalation).",
	  .hidden_from = ROLE_PORTAL },
	/* the accepted quote the order came from */
	{ .name = "quote_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &quote_resource,
	  .doc = "The accepted quote the service order came from (set by the acceptance); null "
		 "for tickets made otherwise." },
	/* write-only: why a manager assigns someone whose certification is missing or expired */
	{ .name = "assignment_override_reason", .type = FT_TEXT, .flags = F_WRITE_ONLY, .min = 1,
	  .max = 1000,
	  .doc = "A manager's reason to assign someone whose required certification is missing "
		 "or expired; kept in the history." },
	{ .name = "last_activity_at", .type = FT_TIME,
	  .flags = F_READ_ONLY | F_KEPT | F_FILTER | F_SORT,
	  .doc = "When someone last did something on it: a change or a note. The SLA clock's own "
		 "writes (due times, breaches, warnings) are no activity; a note sets it without a "
		 "new `version`." },
	{ .name = "sla_warnings", .type = FT_INT, .flags = F_READ_ONLY | F_KEPT,
	  .doc = "The warnings the SLA sweep gave (bits 0-3: response 50, 75, 90, 100 %; bits 4-7 "
		 "the same for resolution); `sla` has them as percentages.",
	  .hidden_from = ROLE_PORTAL },
	/* the notes' text, for full-text search (the server's bookkeeping) */
	{ .name = "notes_text", .type = FT_TEXT, .flags = F_HIDDEN },
	{ .name = "sla", .type = FT_OBJECT, .flags = F_COMPUTED, .items = sla_members,
	  .doc = "The SLA members together, as DESIGN.md names them.", .hidden_from = ROLE_PORTAL },
	FIELD_END
};

/* Allowed status changes; reopening is resolved/closed/cancelled -> in_progress or new. */
static const struct resource_transition transitions[] = {
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
	{ NULL, { NULL } }
};

/* The statuses of work still to do. */
static const char *const open_statuses[] = { "new", "assigned", "in_progress",
					     "waiting_customer", "waiting_parts", "escalated",
					     NULL };

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

static void set_time(json_t *rec, const char *name, int64_t t)
{
	char s[TIME_RFC3339_LEN];
	time_format(t, s);
	json_object_set_new(rec, name, json_string(s));
}

/*
 * A new ticket whose contract is not said works under its company's
 * contract when the company has exactly one active contract today; with
 * none or several, nobody guesses.
 */
static int only_contract(struct resource_ctx *ctx, json_t *rec)
{
	char today[TIME_RFC3339_LEN];
	time_format(ctx->now, today);
	today[10] = '\0';
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT MIN(id), COUNT(*) FROM contracts WHERE company_id = ?"
			" AND status = 'active' AND archived_at IS NULL AND starts_on <= ?"
			" AND (ends_on IS NULL OR ends_on >= ?)",
			"iss", (int64_t)json_integer_value(json_object_get(rec, "company_id")), today,
			today);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_OK : rc;
	if (db_col_int(st, 1) == 1)
		json_object_set_new(rec, "contract_id", json_integer(db_col_int(st, 0)));
	db_done(st);
	return RC_OK;
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

/*
 * Whether a write is someone's activity on the ticket (its last_activity_at):
 * a new ticket, or a change of anything but what the SLA clock keeps.
 */
static bool someones_doing(const json_t *cur, const json_t *rec)
{
	static const char *const kept[] = { "response_due_at", "resolution_due_at",
					     "response_breached", "resolution_breached",
					     "paused_minutes", "sla", "sla_urgency", "sla_warnings",
					     "notes_text", "last_activity_at", "updated_at",
					     "version", NULL };
	if (!cur)
		return true;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)rec, key, v) {
		const char *const *k = kept;
		while (*k && strcmp(*k, key) != 0)
			k++;
		if (!*k && !json_equal(v, json_object_get(cur, key)))
			return true;
	}
	return false;
}

/*
 * sla_urgency, the key the order list sorts by (0030_manager.sql computes
 * the same for the rows before it): an open order's running clock's due
 * time ("1 " and it: the response target until the first response, then
 * the resolution target, as the UI's SLA badge reads it), then open orders
 * without one ("2"), then finished ones ("3"). Due times are RFC 3339 UTC,
 * so the text sorts as the instants and a breached order, being past,
 * comes first.
 */
static void urgency_key(struct resource_ctx *ctx, json_t *rec)
{
	const char *due = str(rec, "response_due_at");
	if (!due || str(rec, "first_responded_at"))
		due = str(rec, "resolution_due_at");
	const char *key = !in_list(open_statuses, str(rec, "status")) ? "3"
			  : due ? arena_printf(ctx->arena, "1 %s", due)
				: "2";
	json_object_set_new(rec, "sla_urgency", json_string(key ? key : "2"));
}

/* Whether a new ticket may start with status to. */
static bool starting_status(const char *to)
{
	return to && (strcmp(to, "new") == 0 || strcmp(to, "assigned") == 0 ||
		      strcmp(to, "in_progress") == 0);
}

/*
 * A new ticket's start, in its prepare and in its plan: the company's only
 * active contract when none is given, assigned when it has an assignee,
 * responded to when it starts in progress.
 */
static int start_new(struct resource_ctx *ctx, json_t *rec)
{
	if (!json_object_get(rec, "contract_id")) {
		int rc = only_contract(ctx, rec);
		if (rc != RC_OK)
			return rc;
	}
	const char *to = str(rec, "status");
	if (to && strcmp(to, "new") == 0 && json_is_integer(json_object_get(rec, "assignee_id")))
		json_object_set_new(rec, "status", json_string("assigned"));
	to = str(rec, "status");
	if (!to)
		return RC_ERROR;
	if (strcmp(to, "in_progress") == 0)
		set_time(rec, "first_responded_at", ctx->now);
	return RC_OK;
}

static int ticket_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			  json_t *errors)
{
	const char *to = str(rec, "status");
	ctx->hook_note = NULL;
	if (!to)
		return RC_ERROR;	/* the default status could not be set: out of memory */
	if (!cur) {
		if (!starting_status(to)) {
			resource_error(errors, "status",
				       "a new ticket starts as new, assigned or in_progress");
			return RC_OK;
		}
		char number[16];
		int rc = next_number(ctx, number);
		if (rc != RC_OK)
			return rc;
		json_object_set_new(rec, "number", json_string(number));
		rc = start_new(ctx, rec);
		if (rc != RC_OK)
			return rc;
		/* the old status string went with the replaced value */
		to = str(rec, "status");
	} else {
		const char *from = str(cur, "status");
		/* closing a resolved ticket keeps its resolution time; anything else
		   out of resolved, closed or cancelled is a reopening */
		bool reopening = strcmp(from, to) != 0 && strcmp(to, "closed") != 0 &&
				 (strcmp(from, "closed") == 0 || strcmp(from, "resolved") == 0 ||
				  strcmp(from, "cancelled") == 0);
		if (strcmp(from, "closed") == 0) {
			/* nothing but the status (and a follow-up, which comes after the
			   work: a survey's bad rating) may change while closed */
			for (const struct field *f = ticket_fields; f->name; f++) {
				if (strcmp(f->name, "status") != 0 && !(f->flags & F_READ_ONLY) &&
				    strncmp(f->name, "follow_up_", 10) != 0 &&
				    !same(cur, rec, f->name)) {
					resource_error(errors, f->name,
						       "a closed ticket is read-only; reopen it first"
						       " (status in_progress)");
					return RC_CONFLICT;
				}
			}
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
	/* a technician on site checks out before the order ends */
	if (cur && in_list(open_statuses, str(cur, "status")) && !in_list(open_statuses, to)) {
		int rc = visits_block_finish(ctx, json_integer_value(json_object_get(cur, "id")),
					     errors);
		if (rc != RC_OK)
			return rc;
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
	int rc;
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
	if (someones_doing(cur, rec))
		set_time(rec, "last_activity_at", ctx->now);
	rc = ticket_sla_update(ctx, cur, rec);
	if (rc == RC_OK)
		urgency_key(ctx, rec);
	return rc;
}

/*
 * A new ticket's SLA clocks, worked out before the write lock is taken:
 * on a copy, what ticket_prepare will make of the ticket's contract,
 * status, first response and policy, then the clocks (ticket_sla_plan).
 * Prepare does it all again in the transaction, and its SLA step takes
 * the clocks only if that gives the same policy row and inputs; what is
 * read here needs no snapshot of its own.
 */
static void ticket_plan(struct resource_ctx *ctx, const json_t *rec0)
{
	json_t *rec = arena_json(ctx->arena, json_deep_copy(rec0));
	if (rec && starting_status(str(rec, "status")) && start_new(ctx, rec) == RC_OK &&
	    resolve_policy(ctx, rec) == RC_OK)
		ticket_sla_plan(ctx, rec);
}

static int add_event(struct resource_ctx *ctx, int64_t ticket, const char *kind,
		     const char *from, const char *to, const char *detail)
{
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	const char *fmt = ctx->actor->user_id ? "issssis" : "issssns";
	int rc = ctx->actor->user_id
		? db_run_later(ctx->db,
			 "INSERT INTO ticket_events (ticket_id, at, kind, from_value, to_value,"
			 " actor_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
			 fmt, ticket, now, kind, from, to, ctx->actor->user_id, detail)
		: db_run_later(ctx->db,
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

/*
 * "ticket.assigned": the ticket as the system sees it, and whom it had
 * before (previous_assignee_id), for whoever must hear that it is theirs
 * now (the notifications). Only here are both known.
 */
static int assigned_event(struct resource_ctx *ctx, int64_t id, const json_t *before,
			  const json_t *after)
{
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	json_t *data = resource_visible(&sys, &ticket_resource, after);
	if (!data)
		return RC_ERROR;
	json_t *prev = before ? json_object_get(before, "assignee_id") : NULL;
	json_object_set(data, "previous_assignee_id", json_is_integer(prev) ? prev : json_null());
	return resource_event(ctx, &ticket_resource, "assigned", id, data);
}

static int ticket_after(struct resource_ctx *ctx, const json_t *before, const json_t *after)
{
	int64_t id = json_integer_value(json_object_get(after, "id"));
	if (ctx->hook_note) {
		int rc = add_event(ctx, id, "assignment_override", NULL,
				   event_value(ctx, after, "assignee_id"), ctx->hook_note);
		if (rc != RC_OK)
			return rc;
	}
	if (json_is_integer(json_object_get(after, "assignee_id")) &&
	    (!before || !same(before, after, "assignee_id"))) {
		int rc = assigned_event(ctx, id, before, after);
		if (rc != RC_OK)
			return rc;
	}
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
	/* a finished ticket takes no more of its alert's repeats */
	if (!same(before, after, "status") && in_list(open_statuses, str(before, "status")) &&
	    !in_list(open_statuses, str(after, "status"))) {
		int rc = visits_close(ctx, id);
		return rc == RC_OK ? alert_ticket_finished(ctx, id) : rc;
	}
	return RC_OK;
}

/* The DESIGN.md shape: the SLA fields also as one "sla" object. */
/* The ticket's columns the sla member repeats, and their names there. */
static const char *const sla_copies[][2] = {
	{ "sla_policy_id", "policy_id" },
	{ "response_due_at", "response_due_at" },
	{ "resolution_due_at", "resolution_due_at" },
	{ "response_breached", "response_breached" },
	{ "resolution_breached", "resolution_breached" },
	{ "paused_minutes", "paused_minutes" },
};
#define SLA_COPIES (sizeof(sla_copies) / sizeof(sla_copies[0]))

/* The highest warning fired for a clock (0 response, 1 resolution): how much of its time is used. */
static int warned_percent(json_int_t fired, int clock)
{
	static const int percents[] = { 50, 75, 90, 100 };
	int top = 0;
	for (int bit = 0; bit < 4; bit++)
		if (fired & (1 << (clock * SLA_WARN_RESOLUTION_SHIFT + bit)))
			top = percents[bit];
	return top;
}

static void ticket_present(json_t *rec)
{
	json_t *sla = json_object();
	for (size_t i = 0; sla && i < SLA_COPIES; i++) {
		json_t *v = json_object_get(rec, sla_copies[i][0]);
		json_object_set(sla, sla_copies[i][1], v ? v : json_null());
	}
	json_int_t fired = json_integer_value(json_object_get(rec, "sla_warnings"));
	for (int clock = 0; sla && clock < 2; clock++)
		json_object_set_new(sla, clock ? "resolution_warned_percent" : "response_warned_percent",
				    json_integer(warned_percent(fired, clock)));
	json_object_set_new(rec, "sla", sla ? sla : json_null());
}

/* ticket_present's members written from the row (see present_text). */
static int ticket_present_text(struct buf *b, const struct resource_row *r)
{
	for (size_t i = 0; i < SLA_COPIES; i++)
		if (buf_addstr(b, i ? ",\"" : ",\"sla\":{\"") < 0 ||
		    buf_addstr(b, sla_copies[i][1]) < 0 || buf_addstr(b, "\":") < 0 ||
		    resource_row_value(b, r, sla_copies[i][0]) < 0)
			return -1;
	int64_t fired = resource_row_int(r, "sla_warnings");
	if (buf_addstr(b, ",\"response_warned_percent\":") < 0 ||
	    json_write_integer(b, warned_percent(fired, 0)) < 0 ||
	    buf_addstr(b, ",\"resolution_warned_percent\":") < 0 ||
	    json_write_integer(b, warned_percent(fired, 1)) < 0)
		return -1;
	return buf_addch(b, '}');
}

/* Actions ----------------------------------------------------------------- */

static const char *const escalation_targets[] = { "tier", "user", "vendor", "development",
						  NULL };

static const struct field escalate_body[] = {
	{ .name = "to", .type = FT_ENUM, .flags = F_REQUIRED, .enum_values = escalation_targets,
	  .doc = "Up a tier, to a user, or out to a vendor or development (as a bug)." },
	{ .name = "tier", .type = FT_INT, .min = 1, .max = 3,
	  .doc = "With to tier: the tier to go to (default the next one)." },
	{ .name = "user_id", .type = FT_REF, .ref = &user_resource,
	  .doc = "With to user: who takes it over." },
	{ .name = "reference", .type = FT_TEXT, .min = 1, .max = 200,
	  .doc = "With to vendor or development: their case or bug id." },
	{ .name = "reason", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1, .max = 2000,
	  .doc = "Why: kept in the history." },
	FIELD_END
};

/* The body as history detail text (keys sorted, so it reads the same each time). */
static const char *detail_of(struct resource_ctx *ctx, const json_t *body)
{
	char *d = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	const char *s = d ? arena_strdup(ctx->arena, d) : NULL;
	free(d);
	return s;
}

static int64_t id_of(const json_t *rec)
{
	return json_integer_value(json_object_get(rec, "id"));
}

/* Up a tier, to a user, or out to a vendor or development; the history keeps why. */
static int escalate(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		    json_t *errors)
{
	const char *to = str(body, "to");
	if (strcmp(to, "user") == 0) {
		if (!json_is_integer(json_object_get(body, "user_id")))
			resource_error(errors, "user_id", "is required to escalate to a user");
		else
			json_object_set(rec, "assignee_id", json_object_get(body, "user_id"));
	} else if (strcmp(to, "vendor") == 0 || strcmp(to, "development") == 0) {
		if (!json_is_string(json_object_get(body, "reference")))
			resource_error(errors, "reference",
				       "is required: the vendor's case or the development bug id");
		else
			json_object_set(rec, "external_reference", json_object_get(body, "reference"));
	} else {
		json_int_t tier = json_integer_value(json_object_get(cur, "tier"));
		json_t *want = json_object_get(body, "tier");
		json_int_t next = json_is_integer(want) ? json_integer_value(want) : tier + 1;
		if (next <= tier || next > 3)
			resource_error(errors, "tier", tier >= 3 ? "the ticket is at the top tier (3)"
							       : "must be above the ticket's tier");
		else
			json_object_set_new(rec, "tier", json_integer(next));
	}
	if (json_array_size(errors))
		return RC_INVALID;
	json_object_set_new(rec, "status", json_string("escalated"));
	return add_event(ctx, id_of(cur), "escalation", NULL, NULL, detail_of(ctx, body));
}

static const struct field merge_body[] = {
	{ .name = "into_id", .type = FT_REF, .flags = F_REQUIRED, .ref = &ticket_resource,
	  .doc = "The open ticket of the same company this one duplicates." },
	FIELD_END
};

/* Moves every row of a child resource that query selects from ticket from to ticket to. */
static int move_rows(struct resource_ctx *ctx, const struct resource *res, const char *sql,
		     int64_t from, int64_t to, json_t *errors)
{
	int64_t ids[500];
	int n = 0;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, sql, "i", from);
	bool open = rc == RC_ROW;
	while (rc == RC_ROW && n < 500) {
		ids[n++] = db_col_int(st, 0);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc == RC_ROW) {
		resource_error(errors, "into_id", "the ticket has too many notes to merge (500)");
		return RC_CONFLICT;
	}
	if (rc != RC_DONE)
		return rc;
	json_t *patch = arena_json(ctx->arena, json_pack("{s:I}", "ticket_id", (json_int_t)to));
	if (!patch)
		return RC_ERROR;
	struct resource_ctx c = *ctx;
	c.parent_id = res->parent ? from : 0;
	for (int i = 0; i < n; i++) {
		json_t *out, *why = NULL;
		rc = resource_update_trusted(&c, res, ids[i], patch, &out, &why);
		if (rc != RC_OK) {
			if (why)
				json_array_extend(errors, why);
			return rc;
		}
	}
	return RC_OK;
}

/*
 * The ticket is a duplicate of into_id (same company, open): it is
 * cancelled with merged_into_id set, and its notes, uninvoiced time and
 * parts move to the ticket it joins (each move audited).
 */
static int merge(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		 json_t *errors)
{
	int64_t id = id_of(cur), into = json_integer_value(json_object_get(body, "into_id"));
	json_t *b;
	int rc = id == into ? RC_OK : resource_get(ctx, &ticket_resource, into, &b);
	const char *problem = NULL;
	if (rc == RC_NOT_FOUND)
		problem = "refers to no ticket";
	else if (rc != RC_OK)
		return rc;
	else if (id == into)
		problem = "a ticket cannot be merged into itself";
	else if (!same(cur, b, "company_id"))
		problem = "is a ticket of another company";
	else if (!in_list(open_statuses, str(b, "status")) && strcmp(str(b, "status"), "resolved"))
		problem = "is closed or cancelled; merge into an open ticket";
	else if (!json_is_null(json_object_get(cur, "merged_into_id")))
		problem = "this ticket is already merged";
	if (problem) {
		resource_error(errors, "into_id", problem);
		return RC_INVALID;
	}
	static const struct {
		const struct resource *res;
		const char *sql;
	} moves[] = {
		{ &ticket_note_resource, "SELECT id FROM ticket_notes WHERE ticket_id = ? ORDER BY id" },
		{ &time_entry_resource, "SELECT id FROM time_entries WHERE ticket_id = ?"
					" AND invoice_id IS NULL ORDER BY id" },
		{ &part_resource, "SELECT id FROM ticket_parts WHERE ticket_id = ?"
				  " AND invoice_id IS NULL ORDER BY id" },
	};
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		rc = move_rows(ctx, moves[i].res, moves[i].sql, id, into, errors);
		if (rc != RC_OK)
			return rc;
	}
	/* the search text of the ticket it joins takes this one's notes along */
	struct db_stmt *st;
	rc = db_run(ctx->db, &st, "SELECT a.notes_text, b.notes_text FROM tickets a, tickets b"
				  " WHERE a.id = ? AND b.id = ?",
		    "ii", id, into);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	const char *text = arena_printf(ctx->arena, "%s\n%s", db_col_text(st, 1),
					db_col_text(st, 0));
	db_done(st);
	json_t *patch = arena_json(ctx->arena, json_pack("{s:s}", "notes_text", text ? text : ""));
	json_t *out, *errs = NULL;
	rc = patch ? resource_update_trusted(ctx, &ticket_resource, into, patch, &out, &errs)
		   : RC_ERROR;
	if (rc != RC_OK)
		return rc;
	json_object_set_new(rec, "status", json_string("cancelled"));
	json_object_set_new(rec, "merged_into_id", json_integer(into));
	const char *sid = arena_printf(ctx->arena, "%lld", (long long)id);
	const char *tid = arena_printf(ctx->arena, "%lld", (long long)into);
	rc = add_event(ctx, id, "merged_into", NULL, tid, NULL);
	return rc == RC_OK ? add_event(ctx, into, "merged_from", NULL, sid, NULL) : rc;
}

static const struct field resolve_body[] = {
	{ .name = "resolution", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1, .max = 50000,
	  .doc = "What was done." },
	FIELD_END
};

static int resolve(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		   json_t *errors)
{
	json_object_set_new(rec, "status", json_string("resolved"));
	json_object_set(rec, "resolution", json_object_get(body, "resolution"));
	return RC_OK;
}

static int close_ticket(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			const json_t *body, json_t *errors)
{
	json_object_set_new(rec, "status", json_string("closed"));
	return RC_OK;
}

static const struct field reopen_body[] = {
	{ .name = "reason", .type = FT_TEXT, .min = 1, .max = 2000,
	  .doc = "Why the work is not done: kept in the history." },
	FIELD_END
};

static int reopen(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	json_object_set_new(rec, "status", json_string("in_progress"));
	return json_object_size(body) ? add_event(ctx, id_of(cur), "reopen", NULL, NULL,
						  detail_of(ctx, body))
				      : RC_OK;
}

static const struct field autoclose_body[] = {
	FIELD_INT("after_days", F_REQUIRED, 1, 3650),
	FIELD_END
};

/* The service desk job's: a resolved ticket nobody answered closes itself. */
static int autoclose(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
		     const json_t *body, json_t *errors)
{
	json_object_set_new(rec, "status", json_string("closed"));
	return add_event(ctx, id_of(cur), "autoclose", NULL, NULL, detail_of(ctx, body));
}

#define DESK (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES)

static const char *const resolved_only[] = { "resolved", NULL };
static const char *const finished[] = { "resolved", "closed", "cancelled", NULL };

static const struct resource_action escalate_action = {
	.name = "escalate", .body = escalate_body, .from = open_statuses, .roles = DESK,
	.event = "escalated", .apply = escalate,
	.summary = "Escalate: up a tier, to a user, or to a vendor or development",
};
static const struct resource_action merge_action = {
	.name = "merge", .body = merge_body, .roles = DESK, .event = "merged", .apply = merge,
	.summary = "Merge a duplicate into another ticket of the same company",
};
const struct resource_action ticket_resolve = {
	.name = "resolve", .body = resolve_body, .from = open_statuses, .roles = DESK,
	.event = "resolved", .apply = resolve,
	.summary = "Resolve: say what was done (required checklist items must be done)",
};
const struct resource_action ticket_close = {
	.name = "close", .from = resolved_only, .roles = DESK, .event = "closed",
	.apply = close_ticket, .summary = "Close a resolved ticket",
};
const struct resource_action ticket_reopen = {
	.name = "reopen", .body = reopen_body, .from = finished, .roles = DESK,
	.event = "reopened", .apply = reopen,
	.summary = "Reopen a resolved, closed or cancelled ticket (back to in_progress)",
};

const struct resource_action ticket_autoclose = {
	.name = "autoclose", .body = autoclose_body, .from = resolved_only, .event = "closed",
	.apply = autoclose,
};

static const struct resource_action *const ticket_actions[] = {
	&escalate_action, &merge_action, &ticket_resolve, &ticket_close, &ticket_reopen,
	&ticket_autoclose, NULL
};

const struct resource ticket_resource = {
	.name = "tickets",
	.singular = "ticket",
	.table = "tickets",
	.fields = ticket_fields,
	.searchable = true,
	.default_sort = "-created_at",
	.prepare = ticket_prepare,
	.plan = ticket_plan,
	.after_write = ticket_after,
	.present = ticket_present,
	.present_text = ticket_present_text,
	.company_field = "company_id",
	.status_field = "status",
	.transitions = transitions,
	.actions = ticket_actions,
	.event = "ticket",
	.doc = "Service orders: the work a client asked for, with SLA clocks. `q` searches "
	       "`number`, `subject`, `description` and the notes.",
};

/* Notes ----------------------------------------------------------------- */

static const char *const visibilities[] = { "internal", "public", NULL };

static const struct field note_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &ticket_resource,
	  .doc = "The ticket (from the path)." },
	FIELD_TEXT("body", F_REQUIRED, 1, 50000),
	{ .name = "visibility", .type = FT_ENUM, .flags = F_FILTER, .enum_values = visibilities,
	  .dflt = "\"internal\"", .doc = "The first public note by staff is the first response." },
	{ .name = "author_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &user_resource,
	  .doc = "The user who wrote it (null when no user did: the command line, a job); only "
		 "the author edits a note." },
	/* the client contact whose words the note records: a client reply */
	{ .name = "contact_id", .type = FT_REF, .flags = F_FILTER | F_SAME_COMPANY,
	  .ref = &contact_resource,
	  .doc = "The contact of the ticket's company whose words the note records (a call, a "
		 "reply). Such a note is no first response, and one made after the resolution "
		 "keeps the ticket from closing by itself." },
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
	if (!cur) {
		/* a client's words in the portal are theirs (contact_id), no staff user's */
		bool staff = ctx->actor->user_id && ctx->actor->role != ROLE_PORTAL;
		json_object_set_new(rec, "author_id", staff ? json_integer(ctx->actor->user_id)
							    : json_null());
	} else if (!ctx->trusted &&
		   json_integer_value(json_object_get(cur, "author_id")) != ctx->actor->user_id) {
		resource_error(errors, "body", "only its author may edit a note");
		return RC_CONFLICT;
	}
	return RC_OK;
}

/*
 * A bookkeeping write of a ticket's search text after a note was written
 * (no version, no audit): the ticket's last activity too.
 */
static int set_notes_text(struct resource_ctx *ctx, int64_t ticket, const char *text)
{
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	json_t *patch = arena_json(ctx->arena, json_pack("{s:s, s:s}", "notes_text", text,
							 "last_activity_at", now));
	json_t *out, *errors = NULL;
	return patch ? resource_update_trusted(&c, &ticket_resource, ticket, patch, &out, &errors)
		     : RC_ERROR;
}

/* The search text of a ticket from its live notes, after one was edited or archived. */
static int reindex_notes(struct resource_ctx *ctx, int64_t ticket)
{
	struct db_stmt *st;
	struct buf b;
	buf_init(&b, 16 * 1024 * 1024);
	int rc = db_run(ctx->db, &st, "SELECT body FROM ticket_notes WHERE ticket_id = ?"
				      " AND archived_at IS NULL ORDER BY id",
			"i", ticket);
	bool open = rc == RC_ROW;
	while (rc == RC_ROW) {
		buf_addf(&b, "\n%s", db_col_text(st, 0));
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	const char *text = b.failed ? NULL : arena_strdup(ctx->arena, buf_str(&b));
	buf_release(&b);
	if (rc != RC_DONE)
		return rc;
	return text ? set_notes_text(ctx, ticket, text) : RC_ERROR;
}

/*
 * A note joins the ticket's search text, and the first public note by
 * staff is the first response (the ticket's write recomputes its clock).
 */
static int note_after(struct resource_ctx *ctx, const json_t *before, const json_t *after)
{
	int64_t ticket = json_integer_value(json_object_get(after, "ticket_id"));
	if (before) {
		bool moved = !same(before, after, "ticket_id");
		if (moved || (same(before, after, "body") && same(before, after, "archived_at")))
			return RC_OK;	/* a merge moves the text itself */
		return reindex_notes(ctx, ticket);
	}
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT notes_text FROM tickets WHERE id = ?", "i", ticket);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	const char *text = arena_printf(ctx->arena, "%s\n%s", db_col_text(st, 0),
					str(after, "body"));
	db_done(st);
	rc = text ? set_notes_text(ctx, ticket, text) : RC_ERROR;
	if (rc != RC_OK)
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
	rc = db_run(ctx->db, &st, "SELECT first_responded_at FROM tickets WHERE id = ?", "i",
		    ticket);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	bool responded = !db_col_null(st, 0);
	db_done(st);
	if (responded)
		return RC_OK;
	/* the response clock stops here */
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	json_t *patch = arena_json(ctx->arena, json_pack("{s:s}", "first_responded_at", now));
	json_t *out, *errors = NULL;
	return patch ? resource_update_trusted(&c, &ticket_resource, ticket, patch, &out, &errors)
		     : RC_ERROR;
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
	.company_via = "ticket_id",
	.event = "ticket.note",
	.doc = "What was said on a ticket: internal notes, public replies, the client's words. "
	       "None may be added while the ticket is closed.",
};

/* Time entries ------------------------------------------------------------ */

static const char *const time_kinds[] = { "ticket", "travel", "admin", "training", NULL };

static const struct field time_entry_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .ref = &ticket_resource, .flags = F_FILTER,
	  .doc = "The ticket worked on (not a closed one); required for kind ticket, none for "
		 "the other kinds." },
	/* a technician logs only their own; managers anyone's */
	{ .name = "user_id", .type = FT_REF, .flags = F_FILTER | F_NOT_NULL, .ref = &user_resource,
	  .doc = "Default: the caller. A technician logs and edits only their own time." },
	{ .name = "work_type_id", .type = FT_REF, .ref = &work_type_resource, .flags = F_FILTER,
	  .doc = "Required for kind ticket: it sets the rate (and whether it bills)." },
	{ .name = "started_at", .type = FT_TIME, .flags = F_FILTER | F_SORT | F_NOT_NULL,
	  .doc = "Default: now minus the minutes." },
	FIELD_INT("minutes", F_REQUIRED, 1, 1440),
	{ .name = "billable", .type = FT_BOOL, .flags = F_FILTER,
	  .doc = "Default: the work type's; time not on a ticket never bills." },
	FIELD_TEXT("notes", 0, 0, 10000),
	{ .name = "kind", .type = FT_ENUM, .flags = F_FILTER, .enum_values = time_kinds,
	  .dflt = "\"ticket\"",
	  .doc = "ticket (work on a ticket), or time that counts for utilisation but never "
		 "bills: travel, admin, training." },
	{ .name = "invoice_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 0,
	  .max = 0, .doc = "Set when invoiced (null until then); the entry then cannot change." },
	{ .name = "approved_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When a manager approved it (settings time_approval: only approved time bills)." },
	FIELD_REF("approved_by_id", F_READ_ONLY | F_FILTER, &user_resource),
	FIELD_END
};

/* Invoiced time stays on its invoice: removing it would change what was billed. */
static int time_entry_archive_check(struct resource_ctx *ctx, const json_t *cur, bool archive,
				    json_t *errors)
{
	(void)archive;
	if (!ctx->trusted && !json_is_null(json_object_get(cur, "invoice_id"))) {
		resource_error(errors, "invoice_id", "the entry is invoiced and cannot be removed"
						     " or restored");
		return RC_CONFLICT;
	}
	return RC_OK;
}

static int time_entry_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			      json_t *errors)
{
	/* what an invoice billed or a manager approved does not change (the server's
	   own writes, releasing or approving it, do) */
	if (cur && !ctx->trusted && !ctx->action &&
	    !json_is_null(json_object_get(cur, "invoice_id"))) {
		resource_error(errors, "invoice_id", "the entry is invoiced and cannot change");
		return RC_CONFLICT;
	}
	if (cur && !ctx->trusted && !ctx->action &&
	    !json_is_null(json_object_get(cur, "approved_at"))) {
		resource_error(errors, "approved_at", "the entry is approved: a manager takes the"
						      " approval back (unapprove) before it changes");
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
	bool on_ticket = strcmp(str(rec, "kind"), "ticket") == 0;
	if (!on_ticket) {
		if (json_is_integer(json_object_get(rec, "ticket_id")))
			resource_error(errors, "ticket_id",
				       arena_printf(ctx->arena, "%s time is not on a ticket",
						    str(rec, "kind")));
		if (json_is_true(json_object_get(rec, "billable")) &&
		    (!cur || !json_is_true(json_object_get(cur, "billable"))))
			resource_error(errors, "billable", "time not on a ticket never bills");
		json_object_set_new(rec, "billable", json_false());
		return RC_OK;
	}
	if (!json_is_integer(json_object_get(rec, "ticket_id")))
		resource_error(errors, "ticket_id", "is required for time on a ticket");
	if (!json_is_integer(json_object_get(rec, "work_type_id")))
		resource_error(errors, "work_type_id", "is required for time on a ticket");
	if (json_array_size(errors))
		return RC_OK;
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
	if (ctx->trusted || ctx->action)
		return RC_OK;	/* releasing, approving or moving: not the technician logging */
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

static int approve(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		   json_t *errors)
{
	if (!json_is_null(json_object_get(cur, "approved_at")))
		return RC_OK;	/* approved already: nothing to do */
	set_time(rec, "approved_at", ctx->now);
	json_object_set_new(rec, "approved_by_id", ctx->actor->user_id
						       ? json_integer(ctx->actor->user_id)
						       : json_null());
	return RC_OK;
}

static int unapprove(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
		     const json_t *body, json_t *errors)
{
	if (!json_is_null(json_object_get(cur, "invoice_id"))) {
		resource_error(errors, "invoice_id", "the entry is invoiced: its approval stands");
		return RC_CONFLICT;
	}
	json_object_set_new(rec, "approved_at", json_null());
	json_object_set_new(rec, "approved_by_id", json_null());
	return RC_OK;
}

const struct resource_action time_approve = {
	.name = "approve", .roles = ROLE_ADMIN | ROLE_MANAGER, .event = "approved",
	.apply = approve, .summary = "Approve the time (with settings time_approval, only approved time bills)",
};
const struct resource_action time_unapprove = {
	.name = "unapprove", .roles = ROLE_ADMIN | ROLE_MANAGER, .event = "unapproved",
	.apply = unapprove, .summary = "Take an approval back (until the time is invoiced)",
};

static const struct resource_action *const time_entry_actions[] = { &time_approve,
								   &time_unapprove, NULL };

const struct resource time_entry_resource = {
	.name = "time-entries",
	.singular = "time entry",
	.table = "time_entries",
	.fields = time_entry_fields,
	.default_sort = "-started_at",
	.prepare = time_entry_prepare,
	.archive_check = time_entry_archive_check,
	.company_via = "ticket_id",
	.owner_field = "user_id",
	.any_owner_roles = ROLE_ADMIN | ROLE_MANAGER,
	.actions = time_entry_actions,
	.doc = "Time worked: on tickets (billed by the contract's rules), and travel, admin and "
	       "training time that counts for utilisation only.",
};

/* History ----------------------------------------------------------------- */

static const struct field event_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &ticket_resource,
	  .doc = "The ticket (from the path)." },
	FIELD_TIME("at", F_READ_ONLY | F_FILTER | F_SORT),
	{ .name = "kind", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1, .max = 40,
	  .doc = "What happened: `created`; a change of `status`, `priority`, `kind`, `tier`, "
		 "`assignee` or `contract` (from_value, to_value); `escalation`, `reopen`, "
		 "`autoclose` (the request in detail); `merged_into`, `merged_from`, "
		 "`public_note`, `assignment_override`, `sla_warning`; `survey_answered` (the "
		 "rating from_value -> to_value), `negative_rating` (the follow-up opened, in "
		 "detail)." },
	FIELD_TEXT("from_value", F_READ_ONLY, 0, 0),
	FIELD_TEXT("to_value", F_READ_ONLY, 0, 0),
	FIELD_REF("actor_id", F_READ_ONLY | F_FILTER, &user_resource),
	{ .name = "detail", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0, .max = 0,
	  .doc = "The escalation request (JSON text), an override's reason, …" },
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
	.company_via = "ticket_id",
	.doc = "What happened to a ticket, in order: the history its SLA clocks are computed from.",
};

