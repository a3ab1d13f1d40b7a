/*
 * report.c - the quality report: reviews done, skipped and pending, and
 * the average score, per technician, per week or per month, or per
 * technician and week or month (a series per technician, for a chart).
 *
 * The time axis is the week the work was finished (a review's
 * week_start), not the day it was reviewed: a score speaks of the work.
 * A month is the month of the week's Monday. Periods are dates [from, to)
 * like the other reports.
 */
#include "quality.h"

#include "db/db.h"

#include <string.h>

#define COUNTS                                                                             \
	" SUM(CASE WHEN r.status = 'done' THEN 1 ELSE 0 END),"                               \
	" SUM(CASE WHEN r.status = 'skipped' THEN 1 ELSE 0 END),"                            \
	" SUM(CASE WHEN r.status = 'pending' THEN 1 ELSE 0 END),"                            \
	" SUM(CASE WHEN r.status = 'done' THEN r.score ELSE 0 END)"
#define WHERE                                                                              \
	" WHERE r.archived_at IS NULL AND (? = '' OR r.week_start >= ?)"                     \
	" AND (? = '' OR r.week_start < ?)"

/* The statements, by group and series: (technician id, name)? period? then the counts. */
static const struct {
	const char *group, *by;
	bool technician, period;
	const char *sql;
} reports[] = {
	{ "technician", NULL, true, false,
	  "SELECT r.technician_id, u.name," COUNTS " FROM qa_reviews r"
	  " JOIN users u ON u.id = r.technician_id" WHERE
	  " GROUP BY r.technician_id, u.name ORDER BY u.name, r.technician_id" },
	{ "technician", "week", true, true,
	  "SELECT r.technician_id, u.name, r.week_start," COUNTS " FROM qa_reviews r"
	  " JOIN users u ON u.id = r.technician_id" WHERE
	  " GROUP BY r.technician_id, u.name, r.week_start"
	  " ORDER BY u.name, r.technician_id, r.week_start" },
	{ "technician", "month", true, true,
	  "SELECT r.technician_id, u.name, substr(r.week_start, 1, 7)," COUNTS
	  " FROM qa_reviews r JOIN users u ON u.id = r.technician_id" WHERE
	  " GROUP BY r.technician_id, u.name, substr(r.week_start, 1, 7)"
	  " ORDER BY u.name, r.technician_id, substr(r.week_start, 1, 7)" },
	{ "week", NULL, false, true,
	  "SELECT r.week_start," COUNTS " FROM qa_reviews r" WHERE
	  " GROUP BY r.week_start ORDER BY r.week_start" },
	{ "month", NULL, false, true,
	  "SELECT substr(r.week_start, 1, 7)," COUNTS " FROM qa_reviews r" WHERE
	  " GROUP BY substr(r.week_start, 1, 7) ORDER BY substr(r.week_start, 1, 7)" },
};

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int qa_report(struct resource_ctx *ctx, const char *from, const char *to, const char *group,
	      const char *by, json_t **out)
{
	size_t which = 0;
	while (which < sizeof(reports) / sizeof(reports[0]) &&
	       !(same(reports[which].group, group) && same(reports[which].by, by)))
		which++;
	if (which == sizeof(reports) / sizeof(reports[0]))
		return RC_INVALID;	/* the handler checked the names */
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, reports[which].sql, "ssss", from ? from : "",
			from ? from : "", to ? to : "", to ? to : "");
	json_t *rows = arena_json(ctx->arena, json_array());
	bool open = rc == RC_ROW;
	while (rows && rc == RC_ROW) {
		int c = 0;
		json_t *row = json_object();
		if (reports[which].technician) {
			json_object_set_new(row, "technician_id", json_integer(db_col_int(st, c)));
			json_object_set_new(row, "technician_name", json_string(db_col_text(st, c + 1)));
			c += 2;
		}
		if (reports[which].period) {
			json_object_set_new(row, "period", json_string(db_col_text(st, c)));
			c++;
		}
		int64_t done = db_col_int(st, c), sum = db_col_int(st, c + 3);
		json_object_set_new(row, "done", json_integer(done));
		json_object_set_new(row, "skipped", json_integer(db_col_int(st, c + 1)));
		json_object_set_new(row, "pending", json_integer(db_col_int(st, c + 2)));
		/* half away from zero; scores are never negative */
		json_object_set_new(row, "average_score",
				    done ? json_integer((2 * sum + done) / (2 * done)) : json_null());
		json_array_append_new(rows, row);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (!rows || rc != RC_DONE)
		return rows ? rc : RC_ERROR;
	*out = arena_json(ctx->arena, json_pack("{s:s?, s:s?, s:s, s:s?, s:O}", "from", from, "to",
						to, "group", group, "by", by, "rows", rows));
	return *out ? RC_OK : RC_ERROR;
}
