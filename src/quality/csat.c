/*
 * csat.c - the satisfaction report (GET /api/v1/reports/csat, see
 * surveys.h): surveys sent in a period by technician, client or month,
 * how many were answered, the average rating and the share of 4 and 5.
 *
 * A survey counts in the period its sent_at (the ticket's last resolution)
 * falls in, answered or not, so the response rate compares like with like.
 * Rates are basis points and the average hundredths of a point, rounded
 * half up, computed in integers; null when nothing was answered.
 */
#include "surveys.h"

#include "db/db.h"

#include <string.h>

/* "from" and "to" bound twice each: (? = '' OR d >= ?) AND (? = '' OR d < ?) */
#define IN_PERIOD " (? = '' OR substr(s.sent_at, 1, 10) >= ?)" \
		  " AND (? = '' OR substr(s.sent_at, 1, 10) < ?)"
#define COUNTS " COUNT(*), SUM(s.answered), COALESCE(SUM(s.rating), 0)," \
	       " SUM(CASE WHEN s.rating >= 4 THEN 1 ELSE 0 END)"

static const struct {
	const char *group;
	const char *sql;
} groups[] = {
	{ "technician",
	  "SELECT COALESCE(s.technician_id, 0), COALESCE(MIN(u.name), 'Nobody')," COUNTS
	  " FROM surveys s LEFT JOIN users u ON u.id = s.technician_id"
	  " WHERE s.archived_at IS NULL AND" IN_PERIOD
	  " GROUP BY COALESCE(s.technician_id, 0) ORDER BY 2, 1" },
	{ "client",
	  "SELECT s.company_id, MIN(c.name)," COUNTS
	  " FROM surveys s JOIN companies c ON c.id = s.company_id"
	  " WHERE s.archived_at IS NULL AND" IN_PERIOD
	  " GROUP BY s.company_id ORDER BY 2, 1" },
	{ "month",
	  "SELECT substr(s.sent_at, 1, 7), substr(s.sent_at, 1, 7)," COUNTS
	  " FROM surveys s WHERE s.archived_at IS NULL AND" IN_PERIOD
	  " GROUP BY substr(s.sent_at, 1, 7) ORDER BY 1" },
};

/* part of whole in units (10000: basis points), rounded half up; null for nothing */
static json_t *ratio(int64_t part, int64_t whole, int64_t units)
{
	return whole ? json_integer((part * units * 2 + whole) / (whole * 2)) : json_null();
}

static json_t *figures(int64_t sent, int64_t answered, int64_t sum, int64_t good)
{
	return json_pack("{s:I, s:I, s:o, s:o, s:o}", "surveys_sent", (json_int_t)sent,
			 "answered", (json_int_t)answered, "response_rate_bp",
			 ratio(answered, sent, 10000), "average_rating", ratio(sum, answered, 100),
			 "csat_bp", ratio(good, answered, 10000));
}

int report_csat(struct resource_ctx *ctx, const char *group, const char *from, const char *to,
		json_t **out)
{
	const char *sql = NULL;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(groups[i].group, group) == 0)
			sql = groups[i].sql;
	if (!sql)
		return RC_INVALID;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, sql, "ssss", from ? from : "", from ? from : "", to ? to : "",
			to ? to : "");
	json_t *rows = arena_json(ctx->arena, json_array());
	bool open = rc == RC_ROW;
	int64_t t[4] = { 0 };
	bool month = strcmp(group, "month") == 0;
	while (rows && rc == RC_ROW) {
		int64_t v[4];
		for (int c = 0; c < 4; c++)
			t[c] += v[c] = db_col_int(st, 2 + c);
		json_t *row = figures(v[0], v[1], v[2], v[3]);
		if (!row)
			break;
		if (month)
			json_object_set_new(row, "key", json_string(db_col_text(st, 0)));
		else
			json_object_set_new(row, "key", db_col_int(st, 0) ? json_integer(db_col_int(st, 0))
									  : json_null());
		json_object_set_new(row, "label", json_string(db_col_text(st, 1)));
		json_array_append_new(rows, row);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (!rows || rc != RC_DONE)
		return rc == RC_ROW || rc == RC_DONE ? RC_ERROR : rc;
	*out = arena_json(ctx->arena, json_pack("{s:s, s:s?, s:s?, s:O, s:o}", "group", group,
						"from", from, "to", to, "rows", rows, "total",
						figures(t[0], t[1], t[2], t[3])));
	return *out ? RC_OK : RC_ERROR;
}
