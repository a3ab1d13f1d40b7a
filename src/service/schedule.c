/*
 * schedule.c - the service desk's clockwork: recurring ticket templates
 * (preventive work on an iCalendar RRULE such as "the first Monday of each
 * month") and the periodic job that turns due templates into tickets and
 * closes tickets resolved long enough ago, and records block-hour warnings.
 *
 * A template's next occurrence is stored (next_run_at). The job creates
 * the ticket for it and then moves next_run_at on; a ticket remembers its
 * template and occurrence under a unique index, so a worker that dies in
 * between and runs again finds the ticket made and only moves on.
 */
#include "service.h"

#include "auth/auth.h"
#include "billing/billing.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "ical.h"
#include "jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const priorities[] = { "critical", "high", "medium", "low", NULL };

static const struct field recurring_fields[] = {
	FIELD_TEXT("name", F_REQUIRED | F_FILTER | F_SORT, 1, 200),
	{ .name = "rrule", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1, .max = ICAL_RRULE_MAX,
	  .doc = "An RFC 5545 RRULE without `RRULE:` (FREQ of DAILY or longer; no BYHOUR or "
		 "BYMINUTE), for example `FREQ=MONTHLY;BYDAY=1MO`." },
	{ .name = "starts_local", .type = FT_TEXT, .flags = F_REQUIRED, .min = 16, .max = 16,
	  .doc = "The first local date and time (`YYYY-MM-DDTHH:MM`); the time of day of every "
		 "ticket." },
	{ .name = "timezone", .type = FT_TIMEZONE, .flags = F_REQUIRED, .max = 64,
	  .doc = "The zone of `starts_local`." },
	FIELD_BOOL("active", F_FILTER, "true"),
	{ .name = "next_run_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When the next ticket is made; null when the rule has ended." },
	{ .name = "last_run_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When the last ticket was made; null before the first." },
	{ .name = "subject", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1, .max = 200,
	  .doc = "Of the tickets made." },
	FIELD_TEXT("description", 0, 0, 50000),
	FIELD_ENUM("kind", 0, ticket_kinds, "\"maintenance\""),
	FIELD_ENUM("priority", 0, priorities, "\"medium\""),
	FIELD_REF("company_id", F_REQUIRED | F_FILTER, &company_resource),
	FIELD_REF("site_id", F_FILTER | F_SAME_COMPANY, &site_resource),
	FIELD_REF("asset_id", F_FILTER | F_SAME_COMPANY, &asset_resource),
	FIELD_REF("contract_id", F_FILTER | F_SAME_COMPANY, &contract_resource),
	FIELD_REF("assignee_id", F_FILTER, &user_resource),
	{ .name = "required_skills", .type = FT_STRINGS, .min = 20, .max = 60, .dflt = "[]" },
	{ .name = "next_occurrences", .type = FT_STRINGS, .flags = F_COMPUTED, .min = 5, .max = 20,
	  .doc = "The next five occurrences from now (UTC), to check the rule." },
	FIELD_END
};

static const char *str(const json_t *rec, const char *name)
{
	return json_string_value(json_object_get(rec, name));
}

/* The rule and start must make sense; the next occurrence is computed here. */
static int recurring_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			     json_t *errors)
{
	char err[ICAL_ERR_LEN];
	if (ical_rrule_check(str(rec, "rrule"), err, sizeof(err)) < 0) {
		resource_error(errors, "rrule", err);
		return RC_OK;
	}
	if (ical_start_check(str(rec, "starts_local"), str(rec, "timezone"), err, sizeof(err)) < 0) {
		resource_error(errors, strstr(err, "zone") ? "timezone" : "starts_local", err);
		return RC_OK;
	}
	bool rule_changed = !cur || !json_equal(json_object_get(cur, "rrule"),
						json_object_get(rec, "rrule")) ||
			    !json_equal(json_object_get(cur, "starts_local"),
					json_object_get(rec, "starts_local")) ||
			    !json_equal(json_object_get(cur, "timezone"),
					json_object_get(rec, "timezone"));
	if (!rule_changed && !(json_is_true(json_object_get(rec, "active")) &&
			       !json_is_true(json_object_get(cur, "active"))))
		return RC_OK;
	/* from now on (a template never makes tickets for the past) */
	int64_t next;
	int rc = ical_next(str(rec, "rrule"), str(rec, "starts_local"), str(rec, "timezone"),
			   ctx->now - 1, &next);
	if (rc < 0) {
		resource_error(errors, "rrule", "cannot compute the occurrences of this rule");
		return RC_OK;
	}
	if (rc == 0) {
		json_object_set_new(rec, "next_run_at", json_null());
		return RC_OK;
	}
	char at[TIME_RFC3339_LEN];
	time_format(next, at);
	json_object_set_new(rec, "next_run_at", json_string(at));
	return RC_OK;
}

/* next_occurrences: a preview of the next five, so a person can check the rule */
/* The next five occurrences of a recurring ticket's rule, from now; how many. */
static int next_occurrences(const char *rrule, const char *starts_local, const char *tz,
			    int64_t when[5])
{
	return ical_occurrences(rrule, starts_local, tz, time_now(), INT64_MAX / 2, when, 5);
}

static void recurring_present(json_t *rec)
{
	int64_t when[5];
	int n = next_occurrences(str(rec, "rrule"), str(rec, "starts_local"), str(rec, "timezone"),
				 when);
	json_t *list = json_array();
	for (int i = 0; i < n; i++) {
		char at[TIME_RFC3339_LEN];
		time_format(when[i], at);
		json_array_append_new(list, json_string(at));
	}
	json_object_set_new(rec, "next_occurrences", list);
}

static int recurring_present_text(struct buf *b, const struct resource_row *r)
{
	int64_t when[5];
	int n = next_occurrences(resource_row_text(r, "rrule"), resource_row_text(r, "starts_local"),
				 resource_row_text(r, "timezone"), when);
	if (buf_addstr(b, ",\"next_occurrences\":[") < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char at[TIME_RFC3339_LEN];
		time_format(when[i], at);
		if (buf_addstr(b, i ? ",\"" : "\"") < 0 || buf_addstr(b, at) < 0 ||
		    buf_addch(b, '"') < 0)
			return -1;
	}
	return buf_addch(b, ']');
}

const struct resource recurring_resource = {
	.name = "recurring-tickets",
	.singular = "recurring ticket",
	.table = "recurring_tickets",
	.fields = recurring_fields,
	.default_sort = "name",
	.prepare = recurring_prepare,
	.present = recurring_present,
	.present_text = recurring_present_text,
	.company_field = "company_id",
	.doc = "Preventive work on a schedule (an iCalendar RRULE): each occurrence makes a "
	       "ticket, once, through the job worker.",
};

/* The job --------------------------------------------------------------- */

static const struct audit_actor system_actor = { .label = "system" };

/* Makes the ticket of one due template and moves the template on. */
static int run_template(struct resource_ctx *ctx, const json_t *tpl, int64_t now)
{
	int64_t id = json_integer_value(json_object_get(tpl, "id"));
	const char *at = str(tpl, "next_run_at");
	json_t *body = arena_json(ctx->arena, json_object());
	if (!body)
		return -1;
	static const char *const copied[] = { "subject", "description", "kind", "priority",
					      "company_id", "site_id", "asset_id", "contract_id",
					      "assignee_id", "required_skills", NULL };
	for (const char *const *c = copied; *c; c++) {
		json_t *v = json_object_get(tpl, *c);
		if (v && !json_is_null(v))
			json_object_set(body, *c, v);
	}
	json_object_set_new(body, "channel", json_string("api"));
	/* made for one occurrence (unique): a retried run finds it made */
	json_object_set_new(body, "recurring_id", json_integer(id));
	json_object_set_new(body, "recurring_at", json_string(at));
	json_t *ticket = NULL, *errors = NULL;
	int rc = resource_create_trusted(ctx, &ticket_resource, body, &ticket, &errors);
	if (rc == RC_OK)
		log_info("recurring ticket %lld made %s for %s", (long long)id,
			 str(ticket, "number"), at);
	else if (rc == RC_CONFLICT)
		log_info("recurring ticket %lld: the ticket for %s exists", (long long)id, at);
	else if (rc == RC_INVALID) {
		/* the template no longer makes a valid ticket (an archived company…) */
		char *why = json_dumps(errors, JSON_COMPACT);
		log_warn("recurring ticket %lld cannot make its ticket for %s: %s", (long long)id, at,
			 why ? why : "");
		free(why);
	}
	if (rc != RC_OK && rc != RC_CONFLICT && rc != RC_INVALID)
		return -1;
	/* on to the next occurrence after this one (and after now: no backlog of misses) */
	int64_t t, next;
	time_parse(at, &t);
	int found = ical_next(str(tpl, "rrule"), str(tpl, "starts_local"), str(tpl, "timezone"),
			      t > now ? t : now, &next);
	char next_at[TIME_RFC3339_LEN], now_at[TIME_RFC3339_LEN];
	time_format(now, now_at);
	if (found == 1)
		time_format(next, next_at);
	json_t *patch = arena_json(ctx->arena, json_pack("{s:s?, s:s}", "next_run_at",
							 found == 1 ? next_at : NULL,
							 "last_run_at", now_at));
	if (!patch)
		return -1;
	/* the version read: another worker that moved it on first wins */
	struct resource_ctx c = *ctx;
	c.trusted = true;
	json_t *out;
	errors = NULL;
	rc = resource_update(&c, &recurring_resource, id, patch,
			     json_integer_value(json_object_get(tpl, "version")), &out, &errors);
	return rc == RC_OK || rc == RC_STALE ? 0 : -1;
}

enum { BATCH = 500 };

/*
 * The ids a query with one time bound selects (at most BATCH, so one run
 * stays short; the next run takes the rest). Returns how many, or -1.
 */
static int select_ids(struct db *db, const char *sql, const char *bound, int64_t *ids)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, bound);
	int n = 0, rc;
	while (n < BATCH && (rc = db_step(st)) == RC_ROW)
		ids[n++] = db_col_int(st, 0);
	db_done(st);
	return n == BATCH || rc == RC_DONE ? n : -1;
}

static int run_recurring(struct db *db, int64_t now, char *error, size_t errlen)
{
	char t_now[TIME_RFC3339_LEN];
	time_format(now, t_now);
	/* the due templates first, then one at a time */
	int64_t ids[BATCH];
	int n = select_ids(db, "SELECT id FROM recurring_tickets WHERE active = 1"
			       " AND archived_at IS NULL AND next_run_at <= ?"
			       " ORDER BY next_run_at, id LIMIT 500",
			   t_now, ids);
	if (n < 0) {
		snprintf(error, errlen, "cannot read due recurring tickets: %s", db_errmsg(db));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct arena arena;
		arena_init(&arena);
		struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &system_actor };
		json_t *tpl;
		int rc = resource_get(&ctx, &recurring_resource, ids[i], &tpl);
		if (rc == RC_OK)
			rc = run_template(&ctx, tpl, now);
		arena_release(&arena);
		if (rc < 0) {
			snprintf(error, errlen, "recurring ticket %lld: %s", (long long)ids[i],
				 db_errmsg(db));
			return -1;
		}
	}
	return 0;
}

/*
 * Resolved tickets close by themselves after SERVIO_AUTOCLOSE_DAYS
 * (default 7; 0 = never) unless the client replied: a note recording a
 * contact's words made at or after the resolution keeps the ticket for a person
 * to look at. Archived tickets are left as they are (and the query walks
 * tickets_live_status).
 */
static int run_autoclose(struct db *db, int64_t now, char *error, size_t errlen)
{
	const char *env = getenv("SERVIO_AUTOCLOSE_DAYS");
	long days = env && *env ? strtol(env, NULL, 10) : 7;
	if (days <= 0)
		return 0;
	char before[TIME_RFC3339_LEN];
	time_format(now - days * 24 * 3600, before);
	int64_t ids[BATCH];
	int n = select_ids(db, "SELECT id FROM tickets WHERE status = 'resolved'"
			       " AND archived_at IS NULL AND resolved_at < ? AND NOT EXISTS (SELECT 1 FROM ticket_notes n"
			       " WHERE n.ticket_id = tickets.id AND n.contact_id IS NOT NULL"
			       " AND n.created_at >= tickets.resolved_at)"
			       " ORDER BY id LIMIT 500",
			   before, ids);
	if (n < 0) {
		snprintf(error, errlen, "cannot read resolved tickets: %s", db_errmsg(db));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct arena arena;
		arena_init(&arena);
		struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &system_actor };
		json_t *body = arena_json(&arena, json_pack("{s:I}", "after_days", (json_int_t)days));
		json_t *out = NULL, *errors = NULL;
		int rc = body ? resource_act_trusted(&ctx, &ticket_resource, &ticket_autoclose, ids[i],
						     body, &out, &errors)
			      : RC_ERROR;
		arena_release(&arena);
		if (rc == RC_ERROR || rc == RC_RETRY) {
			snprintf(error, errlen, "cannot close ticket %lld: %s", (long long)ids[i],
				 db_errmsg(db));
			return -1;
		}
	}
	return 0;
}

enum job_result service_desk_run(struct db *db, const json_t *payload, char *error,
				 size_t errlen)
{
	int64_t now = time_now();
	if (run_recurring(db, now, error, errlen) < 0 || run_autoclose(db, now, error, errlen) < 0 ||
	    billing_block_warnings(db, error, errlen) < 0)
		return JOB_RETRY;
	return JOB_DONE;
}
