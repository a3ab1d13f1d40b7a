/*
 * quality_dashboard.c - the services manager's quality dashboard
 * (GET /api/v1/reports/quality): how well the desk keeps its promises,
 * computed from the tickets and their history (ticket_events), never from
 * counters kept on the side. docs/QUALITY.md "The quality dashboard"
 * defines every number; the comments over the SQL below say the same.
 *
 * Periods are dates [from, to); months are calendar months in UTC (an
 * instant belongs to the month of its RFC 3339 text, like the billing
 * reports). Every ratio is an integer: round(scale x part / whole), half
 * up, or null when the whole is 0 (basis points: scale 10000).
 *
 * Monthly series are rows of one table (series[]): one SQL statement
 * grouped by month that binds from, to, company, company (PERIOD and
 * COMPANY) and returns "month" and integer columns, plus the ratios made
 * of those columns. Each row gives two reply members: <name> (the period:
 * columns summed, ratios of the sums) and <name>_by_month (every month of
 * the period, in order, zeros where nothing happened). A new series (a
 * satisfaction or QA average per month) is one more row.
 */
#include "service.h"

#include "core/timeutil.h"
#include "db/db.h"
#include "resource/resource.h"

#include <stdio.h>
#include <string.h>

#define MAX_MONTHS	120	/* the longest period the dashboard draws */
#define TOP_CLIENTS	20	/* sla_by_client: the clients with most SLA tickets */
#define MAX_RATIOS	4

/* every statement binds its period and company filter in this order */
#define PERIOD(col) " " col " >= ? AND " col " < ?"
#define COMPANY " AND (CAST(? AS BIGINT) = 0 OR t.company_id = ?)"

/* ratio name = round(scale x num / den), null when den is 0 */
struct ratio {
	const char *name, *num, *den;
	int64_t scale;
};

struct series {
	const char *name;
	const char *sql;
	const char *const *columns;	/* the integer columns, in reply order */
	struct ratio ratios[MAX_RATIOS];
};

/* A ticket's SLA counts: the clocks that had a due time (a target), met or breached. */
#define SLA_SUMS                                                                                 \
	" SUM(CASE WHEN t.resolution_due_at IS NOT NULL THEN 1 ELSE 0 END) AS resolution_total,"  \
	" SUM(CASE WHEN t.resolution_due_at IS NOT NULL AND t.resolution_breached = 0"            \
	" THEN 1 ELSE 0 END) AS resolution_met,"                                                  \
	" SUM(CASE WHEN t.resolution_due_at IS NOT NULL AND t.resolution_breached <> 0"           \
	" THEN 1 ELSE 0 END) AS resolution_breached,"                                             \
	" SUM(CASE WHEN t.response_due_at IS NOT NULL THEN 1 ELSE 0 END) AS response_total,"      \
	" SUM(CASE WHEN t.response_due_at IS NOT NULL AND t.response_breached = 0"                \
	" THEN 1 ELSE 0 END) AS response_met,"                                                    \
	" SUM(CASE WHEN t.response_due_at IS NOT NULL AND t.response_breached <> 0"               \
	" THEN 1 ELSE 0 END) AS response_breached"

static const char *const sla_columns[] = { "resolution_total", "resolution_met",
					   "resolution_breached", "response_total",
					   "response_met", "response_breached", NULL };
#define SLA_RATIOS                                                                        \
	{ { "resolution_compliance_bp", "resolution_met", "resolution_total", 10000 },    \
	  { "response_compliance_bp", "response_met", "response_total", 10000 } }

/*
 * Which tickets were resolved in the period: resolved_at (the last
 * resolution: a reopening clears it) in [from, to). A resolved ticket's
 * resolution clock has stopped for good, so its breach flags are final.
 */
#define RESOLVED_IN_PERIOD                                                   \
	" FROM tickets t WHERE t.archived_at IS NULL AND t.resolved_at IS NOT NULL AND" \
	PERIOD("t.resolved_at") COMPANY

/*
 * Whether ticket t was resolved at first contact: nothing in its history
 * says otherwise. Not first contact: it waited for the customer or for
 * parts (a status change to waiting_customer or waiting_parts), it was
 * escalated (an escalation, a status change to escalated, or its tier
 * raised), it was reopened (a status change out of resolved, closed or
 * cancelled to anything but closed), or staff wrote it more than one
 * public note (the public_note history entries).
 */
#define FIRST_CONTACT                                                                      \
	" NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND ("          \
	" e.kind = 'escalation'"                                                             \
	" OR (e.kind = 'status' AND e.to_value IN ('waiting_customer', 'waiting_parts',"     \
	" 'escalated'))"                                                                     \
	" OR (e.kind = 'status' AND e.from_value IN ('resolved', 'closed', 'cancelled')"     \
	" AND e.to_value <> 'closed')"                                                       \
	" OR (e.kind = 'tier' AND e.to_value > e.from_value)))"                              \
	" AND (SELECT COUNT(*) FROM ticket_events p WHERE p.ticket_id = t.id"                \
	" AND p.kind = 'public_note') <= 1"

static const char *const fcr_columns[] = { "resolved", "first_contact", NULL };
static const char *const csat_columns[] = { "answered", "satisfied", "rating_points", NULL };
static const char *const qa_columns[] = { "reviewed", "score_points", NULL };
static const char *const reopen_columns[] = { "resolved", "reopened", NULL };

static const struct series series[] = {
	/*
	 * sla: tickets resolved in the month (see RESOLVED_IN_PERIOD);
	 * resolution: those with a resolution due time, met unless
	 * resolution_breached; response likewise with response_due_at and
	 * response_breached (the response clock of the same tickets).
	 */
	{ "sla",
	  "SELECT substr(t.resolved_at, 1, 7) AS month," SLA_SUMS RESOLVED_IN_PERIOD
	  " GROUP BY substr(t.resolved_at, 1, 7)",
	  sla_columns, SLA_RATIOS },
	/* first_contact_resolution: tickets resolved in the month, and of them FIRST_CONTACT */
	{ "first_contact_resolution",
	  "SELECT substr(t.resolved_at, 1, 7) AS month, COUNT(*) AS resolved,"
	  " SUM(CASE WHEN" FIRST_CONTACT " THEN 1 ELSE 0 END) AS first_contact" RESOLVED_IN_PERIOD
	  " GROUP BY substr(t.resolved_at, 1, 7)",
	  fcr_columns, { { "rate_bp", "first_contact", "resolved", 10000 } } },
	/*
	 * reopen_rate, counted per resolution: every status change to
	 * resolved made in the month (a ticket resolved twice counts twice),
	 * and of those the ones some later status change reopened (out of
	 * resolved or closed to anything but closed, at any time up to now).
	 */
	{ "reopen_rate",
	  "SELECT substr(r.at, 1, 7) AS month, COUNT(*) AS resolved,"
	  " SUM(CASE WHEN EXISTS (SELECT 1 FROM ticket_events o WHERE o.ticket_id = r.ticket_id"
	  " AND o.id > r.id AND o.kind = 'status' AND o.from_value IN ('resolved', 'closed')"
	  " AND o.to_value <> 'closed') THEN 1 ELSE 0 END) AS reopened"
	  " FROM ticket_events r JOIN tickets t ON t.id = r.ticket_id"
	  " WHERE r.kind = 'status' AND r.to_value = 'resolved' AND t.archived_at IS NULL AND"
	  PERIOD("r.at") COMPANY " GROUP BY substr(r.at, 1, 7)",
	  reopen_columns, { { "rate_bp", "reopened", "resolved", 10000 } } },
	/*
	 * csat: satisfaction surveys answered in the month (answered_at, the
	 * latest answer), of tickets of the company; satisfied: rated 4 or 5.
	 * csat_bp the satisfied share, average_rating in hundredths (433: 4.33).
	 */
	{ "csat",
	  "SELECT substr(s.answered_at, 1, 7) AS month, COUNT(*) AS answered,"
	  " SUM(CASE WHEN s.rating >= 4 THEN 1 ELSE 0 END) AS satisfied,"
	  " SUM(s.rating) AS rating_points"
	  " FROM surveys s JOIN tickets t ON t.id = s.ticket_id"
	  " WHERE s.archived_at IS NULL AND t.archived_at IS NULL AND s.answered_at IS NOT NULL"
	  " AND s.rating IS NOT NULL AND" PERIOD("s.answered_at") COMPANY
	  " GROUP BY substr(s.answered_at, 1, 7)",
	  csat_columns,
	  { { "csat_bp", "satisfied", "answered", 10000 },
	    { "average_rating", "rating_points", "answered", 100 } } },
	/*
	 * qa_scores: quality reviews completed (status done) in the month, of
	 * tickets of the company; average_score in hundredths of a point
	 * (7550: 75.5 of 100).
	 */
	{ "qa_scores",
	  "SELECT substr(q.completed_at, 1, 7) AS month, COUNT(*) AS reviewed,"
	  " SUM(q.score) AS score_points"
	  " FROM qa_reviews q JOIN tickets t ON t.id = q.ticket_id"
	  " WHERE q.archived_at IS NULL AND t.archived_at IS NULL AND q.status = 'done'"
	  " AND q.score IS NOT NULL AND" PERIOD("q.completed_at") COMPANY
	  " GROUP BY substr(q.completed_at, 1, 7)",
	  qa_columns, { { "average_score", "score_points", "reviewed", 100 } } },
};

/* sla_by_client: the sla series per company over the period, the most SLA tickets first. */
static const char sla_by_client_sql[] =
	"SELECT t.company_id, c.name AS company_name," SLA_SUMS
	" FROM tickets t JOIN companies c ON c.id = t.company_id"
	" WHERE t.archived_at IS NULL AND t.resolved_at IS NOT NULL AND"
	" (t.resolution_due_at IS NOT NULL OR t.response_due_at IS NOT NULL) AND"
	PERIOD("t.resolved_at") COMPANY " GROUP BY t.company_id, c.name"
	" ORDER BY COUNT(*) DESC, c.name, t.company_id LIMIT 20";
_Static_assert(TOP_CLIENTS == 20, "the LIMIT of sla_by_client_sql");

/*
 * backlog_by_age: open tickets now (status new, assigned, in_progress,
 * waiting_customer, waiting_parts or escalated) by age = now - created_at,
 * in the buckets below ([min_days, max_days)), and by priority. Binds the
 * five upper bounds as instants (now - max_days), then now, the company
 * and the assignee (0: anyone's; the manager's dashboard asks for one).
 */
static const struct {
	const char *name;
	int min_days, max_days;	/* max_days 0: no upper bound */
} buckets[] = {
	{ "lt_1d", 0, 1 }, { "1_3d", 1, 3 }, { "3_7d", 3, 7 },
	{ "7_14d", 7, 14 }, { "14_30d", 14, 30 }, { "gt_30d", 30, 0 },
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static const char backlog_sql[] =
	"SELECT CASE WHEN t.created_at > ? THEN 0 WHEN t.created_at > ? THEN 1"
	" WHEN t.created_at > ? THEN 2 WHEN t.created_at > ? THEN 3"
	" WHEN t.created_at > ? THEN 4 ELSE 5 END AS bucket, t.priority, COUNT(*) AS tickets"
	" FROM tickets t WHERE t.archived_at IS NULL AND t.status IN ('new', 'assigned',"
	" 'in_progress', 'waiting_customer', 'waiting_parts', 'escalated')"
	" AND t.created_at <= ?" COMPANY
	" AND (CAST(? AS BIGINT) = 0 OR t.assignee_id = ?) GROUP BY 1, 2";
_Static_assert(NBUCKETS == 6, "backlog_sql has a WHEN per bounded bucket");

static const char *const priorities[] = { "critical", "high", "medium", "low", NULL };

static int64_t num(const json_t *o, const char *name)
{
	return json_integer_value(json_object_get(o, name));
}

/* round(scale x part / whole), half up, as JSON; null when whole is 0. */
static json_t *ratio_json(int64_t part, int64_t whole, int64_t scale)
{
	if (whole <= 0 || part < 0)
		return json_null();
	return json_integer((2 * scale * part + whole) / (2 * whole));
}

static void set_ratios(json_t *o, const struct ratio *ratios)
{
	for (const struct ratio *r = ratios; r < ratios + MAX_RATIOS && r->name; r++)
		json_object_set_new(o, r->name,
				    ratio_json(num(o, r->num), num(o, r->den), r->scale));
}

/*
 * Runs sql (binding from, to, company, company after the first nbefore
 * text values in before[], then assignee twice when it is not -1) and
 * returns its rows as objects keyed by column name: the columns named in
 * texts as strings, the others as integers. NULL on failure. The array
 * belongs to ctx->arena.
 */
static json_t *query(struct resource_ctx *ctx, const char *sql, const char *const *before,
		     int nbefore, const char *from, const char *to, int64_t company,
		     int64_t assignee, const char *const *texts)
{
	struct db_stmt *st = db_prepare(ctx->db, sql);
	if (!st)
		return NULL;
	int k = 1;
	for (int i = 0; i < nbefore; i++)
		db_bind_text(st, k++, before[i]);
	if (from) {
		db_bind_text(st, k++, from);
		db_bind_text(st, k++, to);
	}
	db_bind_int(st, k++, company);
	db_bind_int(st, k++, company);
	if (assignee >= 0) {
		db_bind_int(st, k++, assignee);
		db_bind_int(st, k++, assignee);
	}
	json_t *out = arena_json(ctx->arena, json_array());
	int rc = RC_ERROR;
	while (out && (rc = db_step(st)) == RC_ROW) {
		json_t *row = json_object();
		if (!row || json_array_append_new(out, row) != 0) {
			out = NULL;
			break;
		}
		for (int c = 0; c < db_col_count(st); c++) {
			const char *name = db_col_name(st, c);
			bool text = false;
			for (const char *const *t = texts; *t && !text; t++)
				text = strcmp(*t, name) == 0;
			json_object_set_new(row, name, db_col_null(st, c) ? json_integer(0)
						       : text ? json_string(db_col_text(st, c))
							      : json_integer(db_col_int(st, c)));
		}
	}
	db_done(st);
	return out && rc == RC_DONE ? out : NULL;
}

/* "YYYY-MM" of month index m (year * 12 + month - 1) into out[8]. */
static void month_name(int64_t m, char out[8])
{
	/* dates are years 0000-9999 (date_valid), which the modulo says to the compiler too */
	snprintf(out, 8, "%04u-%02u", (unsigned)(m / 12) % 10000u, (unsigned)(m % 12) % 12u + 1u);
}

/* The month index of a date (already valid). */
static int64_t month_of_day(int64_t day)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	return y * 12 + (m - 1);
}

/* "YYYY-MM-01" of month index m into out[11]. */
static void month_first(int64_t m, char out[11])
{
	snprintf(out, 11, "%04u-%02u-01", (unsigned)(m / 12) % 10000u, (unsigned)(m % 12) % 12u + 1u);
}

int quality_period(int64_t now, const char *from, const char *to, char from_out[11],
		   char to_out[11], const char **problem)
{
	/* the months of the day before "to" (default: the month of now) and the 11 before it */
	int64_t last = month_of_day(to ? date_day(to) - 1 : now / 86400);
	if (to)
		snprintf(to_out, 11, "%s", to);
	else
		month_first(last + 1, to_out);
	if (from) {
		snprintf(from_out, 11, "%s", from);
	} else if (last < 11) {
		*problem = "the period must begin in the year 0000 or later";
		return RC_INVALID;
	} else {
		month_first(last - 11, from_out);
	}
	if (strcmp(from_out, to_out) >= 0) {
		*problem = "from must be before to";
		return RC_INVALID;
	}
	int64_t months = month_of_day(date_day(to_out) - 1) - month_of_day(date_day(from_out)) + 1;
	if (months > MAX_MONTHS) {
		*problem = "the period may span at most 120 months";
		return RC_INVALID;
	}
	return RC_OK;
}

/* The series' reply members: the period's totals and every month's row. */
static int monthly(struct resource_ctx *ctx, const struct series *s, const char *from,
		   const char *to, int64_t company, json_t *out)
{
	static const char *const texts[] = { "month", NULL };
	json_t *rows = query(ctx, s->sql, NULL, 0, from, to, company, -1, texts);
	if (!rows)
		return RC_ERROR;
	json_t *by_month = json_array(), *total = json_object();
	int64_t first = month_of_day(date_day(from)), last = month_of_day(date_day(to) - 1);
	int rc = by_month && total ? RC_OK : RC_ERROR;
	for (const char *const *c = s->columns; rc == RC_OK && *c; c++)
		if (json_object_set_new(total, *c, json_integer(0)) != 0)
			rc = RC_ERROR;
	for (int64_t m = first; rc == RC_OK && m <= last; m++) {
		char name[8];
		month_name(m, name);
		json_t *row = NULL, *r;
		size_t i;
		json_array_foreach(rows, i, r) {
			if (strcmp(json_string_value(json_object_get(r, "month")), name) == 0)
				row = r;
		}
		json_t *o = json_pack("{s:s}", "month", name);
		if (!o || json_array_append_new(by_month, o) != 0) {
			rc = RC_ERROR;
			break;
		}
		for (const char *const *c = s->columns; *c; c++) {
			int64_t v = row ? num(row, *c) : 0;
			json_object_set_new(o, *c, json_integer(v));
			json_object_set_new(total, *c, json_integer(num(total, *c) + v));
		}
		set_ratios(o, s->ratios);
	}
	if (rc == RC_OK) {
		set_ratios(total, s->ratios);
		char member[64];
		snprintf(member, sizeof(member), "%s_by_month", s->name);
		json_object_set(out, s->name, total);
		json_object_set(out, member, by_month);
	}
	json_decref(by_month);
	json_decref(total);
	return rc;
}

static int by_client(struct resource_ctx *ctx, const char *from, const char *to,
		     int64_t company, json_t *out)
{
	static const char *const texts[] = { "company_name", NULL };
	json_t *rows = query(ctx, sla_by_client_sql, NULL, 0, from, to, company, -1, texts);
	if (!rows)
		return RC_ERROR;
	static const struct ratio ratios[MAX_RATIOS] = SLA_RATIOS;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		set_ratios(r, ratios);
	return json_object_set(out, "sla_by_client", rows) == 0 ? RC_OK : RC_ERROR;
}

int quality_backlog(struct resource_ctx *ctx, int64_t company, int64_t assignee, json_t *out)
{
	char bounds[NBUCKETS][TIME_RFC3339_LEN], now[TIME_RFC3339_LEN];
	const char *before[NBUCKETS];
	for (size_t b = 0; b + 1 < NBUCKETS; b++) {
		time_format(ctx->now - (int64_t)buckets[b].max_days * 86400, bounds[b]);
		before[b] = bounds[b];
	}
	time_format(ctx->now, now);
	before[NBUCKETS - 1] = now;
	static const char *const texts[] = { "priority", NULL };
	json_t *rows = query(ctx, backlog_sql, before, NBUCKETS, NULL, NULL, company, assignee, texts);
	json_t *list = arena_json(ctx->arena, json_array());
	json_t *sums = arena_json(ctx->arena, json_object());
	if (!rows || !list || !sums)
		return RC_ERROR;
	for (const char *const *p = priorities; *p; p++)
		json_object_set_new(sums, *p, json_integer(0));
	int64_t all = 0;
	for (size_t b = 0; b < NBUCKETS; b++) {
		json_t *o = json_pack("{s:s, s:i, s:o}", "bucket", buckets[b].name, "min_days",
				      buckets[b].min_days, "max_days",
				      buckets[b].max_days ? json_integer(buckets[b].max_days)
							  : json_null());
		if (!o || json_array_append_new(list, o) != 0)
			return RC_ERROR;
		int64_t total = 0;
		for (const char *const *p = priorities; *p; p++) {
			int64_t n = 0;
			size_t i;
			json_t *r;
			json_array_foreach(rows, i, r) {
				if (num(r, "bucket") == (int64_t)b &&
				    strcmp(json_string_value(json_object_get(r, "priority")), *p) == 0)
					n += num(r, "tickets");
			}
			json_object_set_new(o, *p, json_integer(n));
			json_object_set_new(sums, *p, json_integer(num(sums, *p) + n));
			total += n;
		}
		json_object_set_new(o, "total", json_integer(total));
		all += total;
	}
	json_object_set_new(sums, "total", json_integer(all));
	json_t *section = json_pack("{s:s, s:O, s:O}", "as_of", now, "buckets", list, "totals",
				    sums);
	if (!section)
		return RC_ERROR;
	return json_object_set_new(out, "backlog_by_age", section) == 0 ? RC_OK : RC_ERROR;
}

int quality_dashboard(struct resource_ctx *ctx, const char *from, const char *to,
		      int64_t company, json_t **out)
{
	json_t *o = arena_json(ctx->arena, json_object());
	if (!o)
		return RC_ERROR;
	json_t *who = json_null();
	if (company) {
		struct db_stmt *st;
		int rc = db_run(ctx->db, &st, "SELECT name FROM companies WHERE id = ?", "i",
				company);
		if (rc != RC_ROW)
			return rc == RC_DONE ? RC_NOT_FOUND : rc;
		who = json_pack("{s:I, s:s}", "id", (json_int_t)company, "name",
				db_col_text(st, 0));
		db_done(st);
		if (!who)
			return RC_ERROR;
	}
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	json_object_set_new(o, "from", json_string(from));
	json_object_set_new(o, "to", json_string(to));
	json_object_set_new(o, "time_zone", json_string("UTC"));
	json_object_set_new(o, "company", who);
	json_object_set_new(o, "generated_at", json_string(now));
	int rc = RC_OK;
	for (size_t i = 0; rc == RC_OK && i < sizeof(series) / sizeof(series[0]); i++)
		rc = monthly(ctx, &series[i], from, to, company, o);
	if (rc == RC_OK)
		rc = by_client(ctx, from, to, company, o);
	if (rc == RC_OK)
		rc = quality_backlog(ctx, company, 0, o);
	if (rc == RC_OK)
		*out = o;
	return rc;
}
