/*
 * reports.c - seeing the business behind the invoices:
 *
 *   profitability     revenue (issued invoices, less credit notes) - labour
 *                     cost (minutes worked x the worker's cost_rate) - parts
 *                     cost, per client, per contract, per month
 *   utilisation       per technician: billable minutes / working minutes of
 *                     their calendar in the period
 *   block_burn        per block-hours contract: the block, and the minutes
 *                     its time drew month by month
 *   revenue_by_kind   invoiced revenue per contract kind and month
 *   ar_ageing         what clients owe, by how long it is past due
 *
 * Periods are dates [from, to) like the sales reports; money stays in its
 * currency (never converted), so revenue rows carry one.
 */
#include "billing.h"

#include "plan.h"

#include "auth/auth.h"
#include "core/calendar.h"
#include "core/money.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *rec, const char *name)
{
	return json_string_value(json_object_get(rec, name));
}

static int64_t num(const json_t *rec, const char *name)
{
	return json_integer_value(json_object_get(rec, name));
}

static bool is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/*
 * Runs sql with from and to bound as its first four "?" ((? = '' OR col >= ?)
 * AND (? = '' OR col < ?)), and returns its rows as objects keyed by column
 * name, the columns listed in ints as integers (the arena's), or NULL.
 */
static json_t *rows(struct resource_ctx *ctx, const char *sql, const char *from, const char *to,
		    const char *const *ints)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, sql, "ssss", from ? from : "", from ? from : "",
			to ? to : "", to ? to : "");
	json_t *out = arena_json(ctx->arena, json_array());
	bool open = rc == RC_ROW;
	while (out && rc == RC_ROW) {
		json_t *row = json_object();
		for (int c = 0; row && c < db_col_count(st); c++) {
			const char *name = db_col_name(st, c);
			bool integer = false;
			for (const char *const *i = ints; *i && !integer; i++)
				integer = is(*i, name);
			json_object_set_new(row, name, db_col_null(st, c) ? json_null()
						       : integer ? json_integer(db_col_int(st, c))
								 : json_string(db_col_text(st, c)));
		}
		json_array_append_new(out, row);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	return rc == RC_DONE ? out : NULL;
}

#define IN_RANGE(col) " (? = '' OR " col " >= ?) AND (? = '' OR " col " < ?)"

/* The row of list whose members named in keys equal row's, or a new one appended. */
static json_t *bucket(json_t *list, const json_t *row, const char *const *keys)
{
	size_t i;
	json_t *b;
	json_array_foreach(list, i, b) {
		bool same = true;
		for (const char *const *k = keys; *k && same; k++)
			same = json_equal(json_object_get(b, *k), json_object_get(row, *k));
		if (same)
			return b;
	}
	b = json_object();
	for (const char *const *k = keys; *k; k++)
		json_object_set(b, *k, json_object_get(row, *k) ? json_object_get(row, *k)
								 : json_null());
	for (const char *const *m = (const char *const[]){ "revenue", "credited", "labour_cost",
							    "parts_cost", NULL };
	     *m; m++)
		json_object_set_new(b, *m, json_integer(0));
	json_array_append_new(list, b);
	return b;
}

static void add(json_t *b, const char *member, int64_t v)
{
	json_object_set_new(b, member, json_integer(num(b, member) + v));
}

static void profit(json_t *list)
{
	size_t i;
	json_t *b;
	json_array_foreach(list, i, b)
		json_object_set_new(b, "profit",
				    json_integer(num(b, "revenue") - num(b, "credited") -
						 num(b, "labour_cost") - num(b, "parts_cost")));
}

int report_profitability(struct resource_ctx *ctx, const char *from, const char *to,
			 json_t **out)
{
	static const char *const ints[] = { "company_id", "contract_id", "amount", "cost", NULL };
	/*
	 * Revenue counts in the month of service, as the cost does: an
	 * invoice's period (a run's month), else its issue date for one made
	 * by hand; a credit note in the month of the invoice it corrects.
	 */
#define SERVED "COALESCE(i.period_from, i.issued_on)"
	json_t *revenue = rows(ctx,
			       "SELECT i.company_id, l.contract_id, substr(" SERVED ", 1, 7) AS month,"
			       " i.currency, SUM(l.amount) AS amount FROM invoice_lines l"
			       " JOIN invoices i ON i.id = l.invoice_id"
			       " WHERE i.status IN ('issued', 'paid') AND" IN_RANGE(SERVED)
			       " GROUP BY i.company_id, l.contract_id, substr(" SERVED ", 1, 7),"
			       " i.currency",
			       from, to, ints);
	json_t *credits = rows(ctx,
			       "SELECT n.company_id, substr(" SERVED ", 1, 7) AS month, n.currency,"
			       " SUM(n.amount) AS amount FROM credit_notes n"
			       " JOIN invoices i ON i.id = n.invoice_id WHERE" IN_RANGE(SERVED)
			       " GROUP BY n.company_id, substr(" SERVED ", 1, 7), n.currency",
			       from, to, ints);
#undef SERVED
	/* costs in minor units of the firm's currency: minutes x hourly cost / 60, once per group */
	json_t *labour = rows(ctx,
			      "SELECT t.company_id, t.contract_id, substr(e.started_at, 1, 7) AS month,"
			      " SUM(e.minutes * COALESCE(u.cost_rate, 0)) AS cost FROM time_entries e"
			      " JOIN tickets t ON t.id = e.ticket_id JOIN users u ON u.id = e.user_id"
			      " WHERE e.archived_at IS NULL AND" IN_RANGE("substr(e.started_at, 1, 10)")
			      " GROUP BY t.company_id, t.contract_id, substr(e.started_at, 1, 7)",
			      from, to, ints);
	json_t *parts = rows(ctx,
			     "SELECT t.company_id, t.contract_id, substr(p.created_at, 1, 7) AS month,"
			     " SUM(p.quantity * p.unit_cost) AS cost FROM ticket_parts p"
			     " JOIN tickets t ON t.id = p.ticket_id"
			     " WHERE p.archived_at IS NULL AND" IN_RANGE("substr(p.created_at, 1, 10)")
			     " GROUP BY t.company_id, t.contract_id, substr(p.created_at, 1, 7)",
			     from, to, ints);
	json_t *firm = NULL;
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	if (!revenue || !credits || !labour || !parts ||
	    resource_get(&sys, &settings_resource, 1, &firm) != RC_OK)
		return RC_ERROR;
	json_t *by_month = arena_json(ctx->arena, json_array());
	if (!by_month)
		return RC_ERROR;
	static const char *const keys[] = { "company_id", "contract_id", "month", "currency", NULL };
	size_t i;
	json_t *r;
	json_array_foreach(revenue, i, r)
		add(bucket(by_month, r, keys), "revenue", num(r, "amount"));
	json_array_foreach(credits, i, r) {
		json_t *row = json_pack("{s:O, s:n, s:O, s:O}", "company_id",
					json_object_get(r, "company_id"), "contract_id", "month",
					json_object_get(r, "month"), "currency",
					json_object_get(r, "currency"));
		add(bucket(by_month, row, keys), "credited", num(r, "amount"));
		json_decref(row);
	}
	for (int pass = 0; pass < 2; pass++) {
		json_t *list = pass ? parts : labour;
		json_array_foreach(list, i, r) {
			json_object_set(r, "currency", json_object_get(firm, "currency"));
			/* labour: minutes x rate / 60; parts: thousandths x cost / 1000 */
			int64_t cost = (int64_t)money_div_round((__int128)num(r, "cost"),
								 pass ? 1000 : 60);
			add(bucket(by_month, r, keys), pass ? "parts_cost" : "labour_cost", cost);
		}
	}
	profit(by_month);
	/* the same, summed per client and per contract over the period */
	json_t *clients = arena_json(ctx->arena, json_array());
	json_t *contracts = arena_json(ctx->arena, json_array());
	if (!clients || !contracts)
		return RC_ERROR;
	static const char *const client_keys[] = { "company_id", "currency", NULL };
	static const char *const contract_keys[] = { "contract_id", "company_id", "currency", NULL };
	json_array_foreach(by_month, i, r) {
		for (int k = 0; k < 2; k++) {
			json_t *b = bucket(k ? contracts : clients, r, k ? contract_keys : client_keys);
			for (const char *const *m = (const char *const[]){ "revenue", "credited",
									    "labour_cost", "parts_cost",
									    NULL };
			     *m; m++)
				add(b, *m, num(r, *m));
		}
	}
	profit(clients);
	profit(contracts);
	*out = arena_json(ctx->arena, json_pack("{s:s?, s:s?, s:O, s:O, s:O}", "from", from, "to", to,
						"clients", clients, "contracts", contracts, "months",
						by_month));
	return *out ? RC_OK : RC_ERROR;
}

/* A user's working calendar: theirs, else the default SLA policy's, else Mon-Fri 08-17. */
static int user_calendar(struct resource_ctx *ctx, int64_t calendar_id, const char *tz,
			 struct calendar *cal)
{
	struct db_stmt *st;
	char err[CALENDAR_ERR_LEN];
	int rc = db_run(ctx->db, &st,
			"SELECT timezone, always_open, hours, holidays FROM calendars WHERE id ="
			" COALESCE(?, (SELECT calendar_id FROM sla_policies WHERE is_default = 1"
			" AND archived_at IS NULL ORDER BY id LIMIT 1))",
			calendar_id ? "i" : "n", calendar_id);
	if (rc == RC_ROW) {
		json_t *hours = json_loads(db_col_text(st, 2), 0, NULL);
		json_t *holidays = json_loads(db_col_text(st, 3), 0, NULL);
		rc = calendar_init_json(cal, db_col_text(st, 0), db_col_int(st, 1) != 0, hours,
					holidays, err, sizeof(err)) < 0
			     ? RC_ERROR
			     : RC_OK;
		db_done(st);
		json_decref(hours);
		json_decref(holidays);
		return rc;
	}
	if (rc != RC_DONE)
		return rc;
	json_t *hours = json_array();
	for (int d = 1; d <= 5; d++)
		json_array_append_new(hours, json_pack("{s:i, s:s, s:s}", "weekday", d, "start",
						       "08:00", "end", "17:00"));
	rc = calendar_init_json(cal, tz, false, hours, NULL, err, sizeof(err)) < 0 ? RC_ERROR
										    : RC_OK;
	json_decref(hours);
	return rc;
}

int report_utilisation(struct resource_ctx *ctx, const char *from, const char *to,
		       json_t **out)
{
	char today[11], first[11];
	billing_today(ctx, today);
	snprintf(first, sizeof(first), "%.8s01", today);
	const char *a = from ? from : first, *b = to ? to : today;
	if (strcmp(a, b) >= 0)
		b = a;	/* an empty period: nothing worked, nothing to work */
	json_t *firm;
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	if (resource_get(&sys, &settings_resource, 1, &firm) != RC_OK)
		return RC_ERROR;
	struct db_stmt *st = db_prepare(
		ctx->db,
		"SELECT u.id, u.name, u.calendar_id,"
		" (SELECT COALESCE(SUM(e.minutes), 0) FROM time_entries e WHERE e.user_id = u.id"
		"  AND e.archived_at IS NULL AND e.billable = 1"
		"  AND substr(e.started_at, 1, 10) >= ? AND substr(e.started_at, 1, 10) < ?),"
		" (SELECT COALESCE(SUM(e.minutes), 0) FROM time_entries e WHERE e.user_id = u.id"
		"  AND e.archived_at IS NULL"
		"  AND substr(e.started_at, 1, 10) >= ? AND substr(e.started_at, 1, 10) < ?)"
		" FROM users u WHERE u.active = 1 AND u.archived_at IS NULL AND u.role = 'technician'"
		" ORDER BY u.name, u.id");
	if (!st)
		return RC_ERROR;
	for (int k = 0; k < 2; k++) {
		db_bind_text(st, 1 + 2 * k, a);
		db_bind_text(st, 2 + 2 * k, b);
	}
	json_t *list = arena_json(ctx->arena, json_array());
	int rc;
	while (list && (rc = db_step(st)) == RC_ROW)
		json_array_append_new(list, json_pack("{s:I, s:s, s:o, s:I, s:I}", "user_id",
						      db_col_int(st, 0), "name", db_col_text(st, 1),
						      "calendar_id",
						      db_col_null(st, 2) ? json_null()
									 : json_integer(db_col_int(st, 2)),
						      "billable_minutes", db_col_int(st, 3),
						      "worked_minutes", db_col_int(st, 4)));
	db_done(st);
	if (!list)
		return RC_ERROR;
	int64_t t0, t1;
	char s0[24], s1[24];
	snprintf(s0, sizeof(s0), "%sT00:00:00Z", a);
	snprintf(s1, sizeof(s1), "%sT00:00:00Z", b);
	time_parse(s0, &t0);
	time_parse(s1, &t1);
	size_t i;
	json_t *u;
	json_array_foreach(list, i, u) {
		struct calendar cal;
		if (user_calendar(ctx, num(u, "calendar_id"), str(firm, "timezone"), &cal) != RC_OK)
			return RC_ERROR;
		int64_t working = 0;
		char err[CALENDAR_ERR_LEN];
		int crc = calendar_minutes_between(&cal, t0, t1, &working, err, sizeof(err));
		calendar_release(&cal);
		if (crc < 0)
			return RC_ERROR;
		json_object_set_new(u, "working_minutes", json_integer(working));
		json_object_set_new(u, "utilisation_bp",
				    working ? json_integer(num(u, "billable_minutes") * 10000 / working)
					    : json_null());
	}
	*out = arena_json(ctx->arena, json_pack("{s:s, s:s, s:O}", "from", a, "to", b,
						"technicians", list));
	return *out ? RC_OK : RC_ERROR;
}

int report_block_burn(struct resource_ctx *ctx, const char *from, const char *to, json_t **out)
{
	struct db_stmt *st = db_prepare(
		ctx->db,
		"SELECT c.id, c.name, c.company_id, c.block_minutes + c.carried_minutes,"
		" c.billing_increment_minutes, c.minimum_minutes, substr(e.started_at, 1, 7),"
		" e.minutes FROM contracts c LEFT JOIN tickets t ON t.contract_id = c.id"
		" LEFT JOIN time_entries e ON e.ticket_id = t.id AND e.billable = 1"
		" AND e.archived_at IS NULL AND e.kind = 'ticket'"
		" AND substr(e.started_at, 1, 10) >= c.starts_on"
		" AND (c.ends_on IS NULL OR substr(e.started_at, 1, 10) <= c.ends_on)"
		" AND (? = '' OR substr(e.started_at, 1, 10) >= ?)"
		" AND (? = '' OR substr(e.started_at, 1, 10) < ?)"
		" WHERE c.kind = 'block_hours' AND c.archived_at IS NULL"
		" ORDER BY c.id, e.started_at, e.id");
	if (!st)
		return RC_ERROR;
	db_bind_text(st, 1, from ? from : "");
	db_bind_text(st, 2, from ? from : "");
	db_bind_text(st, 3, to ? to : "");
	db_bind_text(st, 4, to ? to : "");
	json_t *list = arena_json(ctx->arena, json_array());
	json_t *cur = NULL;
	int rc;
	while (list && (rc = db_step(st)) == RC_ROW) {
		int64_t id = db_col_int(st, 0);
		if (!cur || num(cur, "contract_id") != id) {
			cur = json_pack("{s:I, s:s, s:I, s:I, s:I, s:[]}", "contract_id", (json_int_t)id,
					"name", db_col_text(st, 1), "company_id", db_col_int(st, 2),
					"block_minutes", db_col_int(st, 3), "used_minutes",
					(json_int_t)0, "months");
			json_array_append_new(list, cur);
		}
		if (db_col_null(st, 7))
			continue;
		int64_t billed = bill_round_minutes(db_col_int(st, 7), (int)db_col_int(st, 4),
						    (int)db_col_int(st, 5));
		add(cur, "used_minutes", billed);
		json_t *months = json_object_get(cur, "months");
		json_t *last = json_array_get(months, json_array_size(months) - 1);
		if (!last || !is(str(last, "month"), db_col_text(st, 6))) {
			last = json_pack("{s:s, s:I}", "month", db_col_text(st, 6), "minutes",
					 (json_int_t)0);
			json_array_append_new(months, last);
		}
		add(last, "minutes", billed);
	}
	db_done(st);
	if (!list)
		return RC_ERROR;
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c) {
		int64_t left = num(c, "block_minutes") - num(c, "used_minutes");
		json_object_set_new(c, "remaining_minutes", json_integer(left > 0 ? left : 0));
		json_object_set_new(c, "overage_minutes", json_integer(left < 0 ? -left : 0));
	}
	*out = arena_json(ctx->arena, json_pack("{s:s?, s:s?, s:O}", "from", from, "to", to,
						"contracts", list));
	return *out ? RC_OK : RC_ERROR;
}

int report_revenue_by_kind(struct resource_ctx *ctx, const char *from, const char *to,
			   json_t **out)
{
	static const char *const ints[] = { "revenue", "lines", NULL };
	json_t *list = rows(ctx,
			    "SELECT COALESCE(c.kind, 'none') AS kind, substr(i.issued_on, 1, 7) AS month,"
			    " i.currency, SUM(l.amount) AS revenue, COUNT(*) AS lines"
			    " FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id"
			    " LEFT JOIN contracts c ON c.id = l.contract_id"
			    " WHERE i.status IN ('issued', 'paid') AND" IN_RANGE("i.issued_on")
			    " GROUP BY COALESCE(c.kind, 'none'), substr(i.issued_on, 1, 7), i.currency"
			    " ORDER BY month, kind, i.currency",
			    from, to, ints);
	if (!list)
		return RC_ERROR;
	*out = arena_json(ctx->arena, json_pack("{s:s?, s:s?, s:O}", "from", from, "to", to,
						"rows", list));
	return *out ? RC_OK : RC_ERROR;
}

int report_ar_ageing(struct resource_ctx *ctx, const char *as_of, json_t **out)
{
	char today[11];
	billing_today(ctx, today);
	const char *day = as_of ? as_of : today;
	/*
	 * As the books stood at the end of that day: invoices issued by then
	 * and not yet voided, less the payments received and the credit notes
	 * issued by then (for today, each invoice's balance).
	 */
	struct db_stmt *st = db_prepare(
		ctx->db,
		"SELECT i.company_id, c.name, i.currency, i.id, i.number, i.due_on, i.total"
		" - COALESCE((SELECT SUM(p.amount) FROM invoice_payments p WHERE p.invoice_id = i.id"
		" AND p.archived_at IS NULL AND p.received_on <= ?), 0)"
		" - COALESCE((SELECT SUM(n.total) FROM credit_notes n WHERE n.invoice_id = i.id"
		" AND n.issued_on <= ?), 0)"
		" FROM invoices i JOIN companies c ON c.id = i.company_id"
		" WHERE i.issued_on <= ? AND (i.status IN ('issued', 'paid')"
		" OR (i.status = 'void' AND substr(i.voided_at, 1, 10) > ?))"
		" ORDER BY c.name, i.company_id, i.currency, i.due_on, i.id");
	if (!st)
		return RC_ERROR;
	for (int k = 1; k <= 4; k++)
		db_bind_text(st, k, day);
	static const char *const buckets[] = { "current", "days_1_30", "days_31_60", "days_61_90",
					       "days_over_90" };
	json_t *companies = arena_json(ctx->arena, json_array());
	json_t *totals = arena_json(ctx->arena, json_array());
	int64_t now_t, due_t;
	char s[24];
	snprintf(s, sizeof(s), "%sT00:00:00Z", day);
	time_parse(s, &now_t);
	json_t *cur = NULL;
	int rc;
	while (companies && totals && (rc = db_step(st)) == RC_ROW) {
		snprintf(s, sizeof(s), "%sT00:00:00Z", db_col_text(st, 5));
		time_parse(s, &due_t);
		int64_t late = (now_t - due_t) / 86400;
		int k = late <= 0 ? 0 : late <= 30 ? 1 : late <= 60 ? 2 : late <= 90 ? 3 : 4;
		int64_t amount = db_col_int(st, 6);
		if (amount <= 0)
			continue;
		if (!cur || num(cur, "company_id") != db_col_int(st, 0) ||
		    !is(str(cur, "currency"), db_col_text(st, 2))) {
			cur = json_pack("{s:I, s:s, s:s, s:I, s:[]}", "company_id", db_col_int(st, 0),
					"name", db_col_text(st, 1), "currency", db_col_text(st, 2),
					"total", (json_int_t)0, "invoices");
			for (int b = 0; b < 5; b++)
				json_object_set_new(cur, buckets[b], json_integer(0));
			json_array_append_new(companies, cur);
		}
		add(cur, buckets[k], amount);
		add(cur, "total", amount);
		json_array_append_new(json_object_get(cur, "invoices"),
				      json_pack("{s:I, s:s, s:s, s:I, s:I, s:s}", "id",
						db_col_int(st, 3), "number", db_col_text(st, 4),
						"due_on", db_col_text(st, 5), "balance", amount,
						"days_past_due", (json_int_t)(late > 0 ? late : 0),
						"bucket", buckets[k]));
		/* the totals per currency */
		json_t *t = NULL;
		size_t i;
		json_t *x;
		json_array_foreach(totals, i, x)
			if (is(str(x, "currency"), db_col_text(st, 2)))
				t = x;
		if (!t) {
			t = json_pack("{s:s, s:I}", "currency", db_col_text(st, 2), "total",
				      (json_int_t)0);
			for (int b = 0; b < 5; b++)
				json_object_set_new(t, buckets[b], json_integer(0));
			json_array_append_new(totals, t);
		}
		add(t, buckets[k], amount);
		add(t, "total", amount);
	}
	db_done(st);
	if (!companies || !totals)
		return RC_ERROR;
	*out = arena_json(ctx->arena, json_pack("{s:s, s:O, s:O}", "as_of", day, "companies",
						companies, "totals", totals));
	return *out ? RC_OK : RC_ERROR;
}
