/*
 * dashboard.c - the figures of the home dashboard (GET /api/v1/dashboard),
 * for the team or for one person's own work ("Mine"), computed in SQL from
 * the tickets and time entries as of ctx->now, never from counters kept on
 * the side:
 *
 *   open, breached, unassigned   open orders (status new … escalated); of
 *                                them those whose running SLA clock is
 *                                past due (sla_urgency before "1 <now>",
 *                                see tickets.c urgency_key), and those
 *                                nobody is assigned to (the team only)
 *   backlog_by_age               the quality dashboard's buckets
 *                                (quality_backlog), of the person's orders
 *                                for "Mine"
 *   sla_by_day, sla_30_days      orders resolved on each of the last 30
 *                                days (today and the 29 before, the
 *                                firm's time zone): with_sla, those with a
 *                                response or resolution target; met, those
 *                                that breached neither; met_bp their share
 *   hours_this_week              minutes of time entries started from
 *                                Monday 00:00 to the end of today (the
 *                                firm's time zone) per person: every active
 *                                technician, and anyone else who logged
 *                                time; for "Mine" the person alone
 *
 * Ratios are round(10000 x met / with_sla), half up, null when nothing
 * counted, as in quality_dashboard.c.
 */
#include "service.h"

#include "billing/billing.h"
#include "core/calendar.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

#define DAYS 30

#define OPEN_STATUSES                                                                    \
	"('new', 'assigned', 'in_progress', 'waiting_customer', 'waiting_parts', 'escalated')"
/* the person's own (binds the user twice; 0 is everyone's) */
#define ASSIGNEE " AND (CAST(? AS BIGINT) = 0 OR t.assignee_id = ?)"

/* binds "1 <now>", then the user */
static const char counts_sql[] =
	"SELECT COUNT(*) AS open_orders,"
	" SUM(CASE WHEN t.sla_urgency < ? THEN 1 ELSE 0 END) AS breached,"
	" SUM(CASE WHEN t.assignee_id IS NULL THEN 1 ELSE 0 END) AS unassigned"
	" FROM tickets t WHERE t.archived_at IS NULL AND t.status IN " OPEN_STATUSES ASSIGNEE;

/*
 * The day a resolution falls on: how many of the starts of days 1 … 29
 * (bound in order) it is at or after, so 0 … 29.
 */
#define GE " + CASE WHEN t.resolved_at >= ? THEN 1 ELSE 0 END"
#define GE5 GE GE GE GE GE
#define GE29 GE5 GE5 GE5 GE5 GE5 GE GE GE GE

/* binds the 29 day starts, then [first day's start, the end of today), then the user */
static const char sla_sql[] =
	"SELECT 0" GE29 " AS day,"
	" SUM(CASE WHEN t.response_due_at IS NOT NULL OR t.resolution_due_at IS NOT NULL"
	" THEN 1 ELSE 0 END) AS with_sla,"
	" SUM(CASE WHEN (t.response_due_at IS NOT NULL OR t.resolution_due_at IS NOT NULL)"
	" AND t.response_breached = 0 AND t.resolution_breached = 0 THEN 1 ELSE 0 END) AS met"
	" FROM tickets t WHERE t.archived_at IS NULL AND t.resolved_at IS NOT NULL"
	" AND t.resolved_at >= ? AND t.resolved_at < ?" ASSIGNEE " GROUP BY 1";

/* binds [Monday's start, the end of today), then the user twice */
static const char hours_sql[] =
	"SELECT u.id, u.name, COALESCE(SUM(e.minutes), 0) AS minutes"
	" FROM users u LEFT JOIN time_entries e ON e.user_id = u.id AND e.archived_at IS NULL"
	" AND e.started_at >= ? AND e.started_at < ?"
	" WHERE (CAST(? AS BIGINT) = 0 AND ((u.role = 'technician' AND u.active = 1"
	" AND u.archived_at IS NULL) OR e.id IS NOT NULL)) OR u.id = ?"
	" GROUP BY u.id, u.name ORDER BY u.name, u.id";

static json_t *ratio_bp(int64_t part, int64_t whole)
{
	if (whole <= 0)
		return json_null();
	return json_integer((2 * 10000 * part + whole) / (2 * whole));
}

static void day_text(int64_t day, char out[11])
{
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	/* dates are years 0000-9999, which the modulo says to the compiler too */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y % 10000), m % 13, d % 32);
}

/* The day's start in the firm's zone, as RFC 3339 UTC text. */
static int day_start(struct calendar_zone *z, int64_t day, char out[TIME_RFC3339_LEN])
{
	int64_t t;
	if (calendar_zone_day_start(z, day, &t) < 0)
		return RC_ERROR;
	time_format(t, out);
	return RC_OK;
}

static int counts(struct resource_ctx *ctx, int64_t user, json_t *o)
{
	char now[TIME_RFC3339_LEN], key[TIME_RFC3339_LEN + 2];
	time_format(ctx->now, now);
	snprintf(key, sizeof(key), "1 %s", now);
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, counts_sql, "sii", key, user, user);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	json_object_set_new(o, "open", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "breached", json_integer(db_col_int(st, 1)));
	json_object_set_new(o, "unassigned", user ? json_null() : json_integer(db_col_int(st, 2)));
	db_done(st);
	return RC_OK;
}

static int sla_days(struct resource_ctx *ctx, struct calendar_zone *z, int64_t today,
		    int64_t user, json_t *o)
{
	char starts[DAYS + 1][TIME_RFC3339_LEN];
	int64_t first = today - (DAYS - 1);
	for (int i = 0; i <= DAYS; i++)
		if (day_start(z, first + i, starts[i]) != RC_OK)
			return RC_ERROR;
	struct db_stmt *st = db_prepare(ctx->db, sla_sql);
	if (!st)
		return RC_ERROR;
	int k = 1;
	for (int i = 1; i < DAYS; i++)
		db_bind_text(st, k++, starts[i]);
	db_bind_text(st, k++, starts[0]);
	db_bind_text(st, k++, starts[DAYS]);
	db_bind_int(st, k++, user);
	db_bind_int(st, k++, user);
	int64_t with[DAYS] = { 0 }, met[DAYS] = { 0 };
	int rc;
	while ((rc = db_step(st)) == RC_ROW) {
		int64_t d = db_col_int(st, 0);
		if (d >= 0 && d < DAYS) {
			with[d] = db_col_int(st, 1);
			met[d] = db_col_int(st, 2);
		}
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	json_t *list = json_array();
	int64_t all = 0, all_met = 0;
	for (int i = 0; list && i < DAYS; i++) {
		char day[11];
		day_text(first + i, day);
		json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:o}", "day", day,
						      "with_sla", (json_int_t)with[i], "met",
						      (json_int_t)met[i], "met_bp",
						      ratio_bp(met[i], with[i])));
		all += with[i];
		all_met += met[i];
	}
	char from[11], to[11];
	day_text(first, from);
	day_text(today, to);
	json_t *total = json_pack("{s:s, s:s, s:I, s:I, s:o}", "from", from, "to", to, "with_sla",
				  (json_int_t)all, "met", (json_int_t)all_met, "met_bp",
				  ratio_bp(all_met, all));
	if (!list || !total || json_array_size(list) != DAYS) {
		json_decref(list);
		json_decref(total);
		return RC_ERROR;
	}
	json_object_set_new(o, "sla_by_day", list);
	json_object_set_new(o, "sla_30_days", total);
	return RC_OK;
}

static int week_hours(struct resource_ctx *ctx, struct calendar_zone *z, int64_t today,
		      int64_t user, json_t *o)
{
	/* 1970-01-01 was a Thursday: Monday is 0 */
	int64_t weekday = ((today % 7) + 7 + 3) % 7, monday = today - weekday;
	char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN];
	if (day_start(z, monday, from) != RC_OK || day_start(z, today + 1, to) != RC_OK)
		return RC_ERROR;
	struct db_stmt *st = db_prepare(ctx->db, hours_sql);
	if (!st)
		return RC_ERROR;
	db_bind_text(st, 1, from);
	db_bind_text(st, 2, to);
	db_bind_int(st, 3, user);
	db_bind_int(st, 4, user);
	json_t *people = json_array();
	int64_t total = 0;
	int rc = people ? RC_ROW : RC_ERROR;
	while (rc == RC_ROW && (rc = db_step(st)) == RC_ROW) {
		int64_t minutes = db_col_int(st, 2);
		total += minutes;
		if (json_array_append_new(people, json_pack("{s:I, s:s, s:I}", "user_id",
							    (json_int_t)db_col_int(st, 0), "name",
							    db_col_text(st, 1), "minutes",
							    (json_int_t)minutes)) != 0)
			rc = RC_ERROR;
	}
	db_done(st);
	if (rc != RC_DONE) {
		json_decref(people);
		return rc == RC_ROW ? RC_ERROR : rc;
	}
	char first[11], last[11];
	day_text(monday, first);
	day_text(today, last);
	json_t *week = json_pack("{s:s, s:s, s:O, s:I}", "from", first, "to", last, "people",
				 people, "total_minutes", (json_int_t)total);
	json_decref(people);
	if (!week)
		return RC_ERROR;
	json_object_set_new(o, "hours_this_week", week);
	return RC_OK;
}

int manager_dashboard(struct resource_ctx *ctx, int64_t user, json_t **out)
{
	json_t *o = arena_json(ctx->arena, json_object());
	if (!o)
		return RC_ERROR;
	struct calendar_zone z;
	int rc = billing_zone(ctx, &z);
	if (rc != RC_OK)
		return rc;
	int64_t local;
	if (calendar_zone_local(&z, ctx->now, &local) < 0) {
		calendar_zone_release(&z);
		return RC_ERROR;
	}
	int64_t today = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	struct db_stmt *st;
	rc = db_run(ctx->db, &st, "SELECT timezone FROM settings WHERE id = 1", "");
	if (rc == RC_ROW) {
		json_object_set_new(o, "time_zone",
				    json_string(db_col_text(st, 0) ? db_col_text(st, 0) : "UTC"));
		db_done(st);
		rc = RC_OK;
	} else if (rc == RC_DONE) {
		json_object_set_new(o, "time_zone", json_string("UTC"));
		rc = RC_OK;
	}
	json_object_set_new(o, "scope", json_string(user ? "mine" : "team"));
	json_object_set_new(o, "user_id", user ? json_integer(user) : json_null());
	json_object_set_new(o, "generated_at", json_string(now));
	if (rc == RC_OK)
		rc = counts(ctx, user, o);
	if (rc == RC_OK)
		rc = quality_backlog(ctx, 0, user, o);
	if (rc == RC_OK)
		rc = sla_days(ctx, &z, today, user, o);
	if (rc == RC_OK)
		rc = week_hours(ctx, &z, today, user, o);
	calendar_zone_release(&z);
	if (rc == RC_OK)
		*out = o;
	return rc;
}
