/*
 * invoices.c - invoices as resource tables, and the rules of their life:
 *
 *   draft   made by an invoice run (or by hand), edited in place: manual
 *           lines may be added, changed and removed; removing a planned
 *           line releases what it billed (its time entries and parts become
 *           billable again, its month of fees is billed again);
 *   issued  POST /invoices/{id}/issue gives it the next INV-000001 number in
 *           that transaction (gapless, never reused), issued_on and due_on;
 *           from then on it and what it billed never change (409);
 *   paid    once payments (and credit notes) cover it;
 *   void    POST /invoices/{id}/void keeps the number and releases the
 *           sources, so the next run bills them again.
 *
 * Corrections after issue are credit notes (POST /invoices/{id}/credit,
 * CN-000001). A line's JSON is the record; the invoice_lines table is an
 * index of it (what block-hours lines drew, what each contract earned)
 * that the invoice's own writes keep.
 */
#include "billing.h"

#include "plan.h"

#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/calendar.h"
#include "core/log.h"
#include "core/money.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "service/service.h"

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

static const char *const statuses[] = { "draft", "issued", "paid", "void", NULL };
static const char *const rules[] = { "time", "block_draw", "block_overage", "block_purchase",
				     "managed_fee", "addition", "part", "manual", NULL };

#define MONEY_RANGE .min = -1000000000000000, .max = 1000000000000000

static const struct field source_item[] = {
	FIELD_TEXT("type", F_REQUIRED, 1, 20),
	FIELD_INT("id", F_REQUIRED, 1, INT64_MAX),
	FIELD_END
};

static const struct field line_item[] = {
	{ .name = "id", .type = FT_INT, .min = 1, .max = INT64_MAX,
	  .doc = "The line's number on its invoice; leave it out for a new manual line." },
	{ .name = "description", .type = FT_TEXT, .min = 1, .max = 2000 },
	{ .name = "quantity", .type = FT_QUANTITY, .min = -1000000000, .max = 1000000000,
	  .doc = "Hours for time, months for fees, a count for the rest." },
	{ .name = "unit_price", .type = FT_MONEY, MONEY_RANGE },
	{ .name = "amount", .type = FT_MONEY, .flags = F_READ_ONLY, MONEY_RANGE,
	  .doc = "Computed: round(quantity x unit_price) for a manual line; for a run's line what "
		 "its rule billed (a prorated fee, time at its rate), as its explanation says." },
	{ .name = "taxable", .type = FT_BOOL },
	{ .name = "contract_id", .type = FT_INT, .flags = F_READ_ONLY, .min = 1,
	  .max = INT64_MAX },
	{ .name = "rule", .type = FT_ENUM, .flags = F_READ_ONLY, .enum_values = rules,
	  .doc = "Which rule billed it; manual for a line typed by a person." },
	{ .name = "billed_minutes", .type = FT_INT, .flags = F_READ_ONLY, .min = 0,
	  .max = INT64_MAX },
	{ .name = "explanation", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0, .max = 4000,
	  .doc = "How the amount came about, in a sentence a client understands." },
	{ .name = "sources", .type = FT_OBJECTS, .flags = F_READ_ONLY, .items = source_item,
	  .max = 100000, .doc = "What the line bills: time entries, parts, the contract, assets." },
	{ .name = "month", .type = FT_DATE, .flags = F_READ_ONLY,
	  .doc = "Fee and addition lines: the first day of the month billed." },
	FIELD_END
};

static const struct field invoice_fields[] = {
	{ .name = "number", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 1,
	  .max = 20, .doc = "INV-000017, given when the invoice is issued; null on a draft." },
	FIELD_REF("company_id", F_REQUIRED | F_FILTER, &company_resource),
	{ .name = "status", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .enum_values = statuses, .doc = "draft, issued, paid or void." },
	{ .name = "currency", .type = FT_TEXT, .flags = F_FILTER | F_NOT_NULL, .min = 3, .max = 3 },
	FIELD_DATE("issued_on", F_READ_ONLY | F_FILTER | F_SORT),
	FIELD_DATE("due_on", F_READ_ONLY | F_FILTER | F_SORT),
	{ .name = "payment_terms_days", .type = FT_INT, .min = 0, .max = 365,
	  .doc = "Days to pay; default the company's, else the firm's (settings)." },
	FIELD_DATE("period_from", F_READ_ONLY | F_FILTER),
	FIELD_DATE("period_to", F_READ_ONLY | F_FILTER),
	{ .name = "run_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = INT64_MAX, .doc = "The invoice run that made the draft." },
	FIELD_OBJECTS("lines", 0, line_item, 2000, "[]"),
	{ .name = "tax_rate_bp", .type = FT_INT, .flags = F_NOT_NULL, .min = 0, .max = 10000 },
	{ .name = "subtotal", .type = FT_MONEY, .flags = F_READ_ONLY | F_SORT, MONEY_RANGE },
	{ .name = "tax", .type = FT_MONEY, .flags = F_READ_ONLY, MONEY_RANGE },
	{ .name = "total", .type = FT_MONEY, .flags = F_READ_ONLY | F_SORT, MONEY_RANGE },
	{ .name = "paid", .type = FT_MONEY, .flags = F_READ_ONLY, MONEY_RANGE,
	  .doc = "What the payments add up to." },
	{ .name = "credited", .type = FT_MONEY, .flags = F_READ_ONLY, MONEY_RANGE,
	  .doc = "What the credit notes take off." },
	{ .name = "balance", .type = FT_MONEY, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  MONEY_RANGE, .doc = "total - paid - credited." },
	FIELD_DATE("paid_on", F_READ_ONLY | F_FILTER),
	FIELD_TIME("voided_at", F_READ_ONLY),
	FIELD_TEXT("void_reason", F_READ_ONLY, 0, 0),
	FIELD_TEXT("notes", 0, 0, 10000),
	{ .name = "next_line", .type = FT_INT, .flags = F_HIDDEN },
	{ .name = "overdue", .type = FT_BOOL, .flags = F_COMPUTED,
	  .doc = "Issued, a balance left and past due_on." },
	FIELD_END
};

/* Settings ---------------------------------------------------------------- */

static json_t *settings(struct resource_ctx *ctx)
{
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	c.scope_company = 0;
	c.trusted = true;
	json_t *s = NULL;
	return resource_get(&c, &settings_resource, SETTINGS_ID, &s) == RC_OK ? s : NULL;
}

int billing_zone(struct resource_ctx *ctx, struct calendar_zone *z)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT timezone FROM settings WHERE id = ?", "i",
			(int64_t)SETTINGS_ID);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	char tz[128], err[CALENDAR_ERR_LEN];
	snprintf(tz, sizeof(tz), "%s", db_col_text(st, 0) ? db_col_text(st, 0) : "UTC");
	db_done(st);
	if (calendar_zone_init(z, tz, err, sizeof(err)) < 0) {
		log_error("billing: the firm's time zone: %s", err);
		return RC_ERROR;
	}
	return RC_OK;
}

void billing_today(struct resource_ctx *ctx, char out[11])
{
	int64_t now = ctx->now ? ctx->now : time_now(), local = now;
	struct calendar_zone z;
	if (billing_zone(ctx, &z) == RC_OK) {
		if (calendar_zone_local(&z, now, &local) < 0)
			local = now;
		calendar_zone_release(&z);
	}
	char s[TIME_RFC3339_LEN];
	time_format(local, s);
	memcpy(out, s, 10);
	out[10] = '\0';
}

/* Lines and totals ---------------------------------------------------------- */

/*
 * The draft's lines as they will be: the stored ones the patch keeps (a
 * planned line as it was, a manual one with its changes), new manual
 * lines numbered on, the amounts and totals computed. Appends errors.
 */
static int price_lines(struct resource_ctx *ctx, const json_t *cur, json_t *rec, json_t *errors)
{
	json_t *given = json_object_get(rec, "lines");
	json_t *stored = cur ? json_object_get(cur, "lines") : NULL;
	json_t *lines = arena_json(ctx->arena, json_array());
	int64_t next = cur ? num(cur, "next_line") : 1;
	if (!lines)
		return RC_ERROR;
	if (next < 1)
		next = 1;
	size_t i, j;
	json_t *line, *old;
	bool planned = !cur && ctx->trusted;	/* an invoice run's lines, as the plan made them */
	json_array_foreach(given, i, line) {
		json_t *kept = NULL;
		if (planned && !is(str(line, "rule"), "manual") && json_object_get(line, "rule")) {
			json_t *out = json_deep_copy(line);
			if (!out)
				return RC_ERROR;
			if (!json_is_integer(json_object_get(out, "id")))
				json_object_set_new(out, "id", json_integer(next));
			if (num(out, "id") >= next)
				next = num(out, "id") + 1;
			json_array_append_new(lines, out);
			continue;
		}
		if (json_is_integer(json_object_get(line, "id"))) {
			json_array_foreach(stored, j, old)
				if (num(old, "id") == num(line, "id"))
					kept = old;
			if (!kept) {
				resource_error(errors, "lines",
					       arena_printf(ctx->arena, "[%zu].id: the invoice has no line %lld",
							    i, (long long)num(line, "id")));
				continue;
			}
		}
		json_t *out = json_deep_copy(kept ? kept : line);
		if (!out)
			return RC_ERROR;
		json_array_append_new(lines, out);
		bool manual = !kept || is(str(kept, "rule"), "manual");
		if (!manual)
			continue;	/* a planned line is the run's: kept as it was */
		if (kept) {
			/* a manual line takes its changes */
			static const char *const editable[] = { "description", "quantity", "unit_price",
								"taxable", NULL };
			for (const char *const *m = editable; *m; m++)
				if (json_object_get(line, *m))
					json_object_set(out, *m, json_object_get(line, *m));
		} else {
			json_object_set_new(out, "id", json_integer(next++));
			json_object_set_new(out, "rule", json_string("manual"));
			json_object_set_new(out, "sources", json_array());
			json_object_set_new(out, "billed_minutes", json_integer(0));
			json_object_set_new(out, "explanation", json_string(""));
		}
		if (!json_is_string(json_object_get(out, "description")))
			resource_error(errors, "lines",
				       arena_printf(ctx->arena, "[%zu].description: is required", i));
		if (!json_is_integer(json_object_get(out, "unit_price")))
			resource_error(errors, "lines",
				       arena_printf(ctx->arena, "[%zu].unit_price: is required", i));
		if (!json_object_get(out, "quantity"))
			json_object_set_new(out, "quantity", json_integer(1));
		if (!json_is_boolean(json_object_get(out, "taxable")))
			json_object_set_new(out, "taxable", json_true());
		int64_t q = 0, amount = 0;
		if (resource_quantity(json_object_get(out, "quantity"), &q) < 0 ||
		    money_line_amount(q, num(out, "unit_price"), 0, &amount) < 0) {
			resource_error(errors, "lines",
				       arena_printf(ctx->arena, "[%zu].amount: is too large", i));
			continue;
		}
		json_object_set_new(out, "amount", json_integer(amount));
	}
	int64_t subtotal = 0, taxable = 0, tax = 0, total = 0;
	bool overflow = false;
	json_array_foreach(lines, i, line) {
		int64_t a = num(line, "amount");
		overflow = overflow || __builtin_add_overflow(subtotal, a, &subtotal);
		if (json_is_true(json_object_get(line, "taxable")))
			overflow = overflow || __builtin_add_overflow(taxable, a, &taxable);
	}
	if (overflow || money_apply_bp(taxable, num(rec, "tax_rate_bp"), &tax) < 0 ||
	    __builtin_add_overflow(subtotal, tax, &total)) {
		resource_error(errors, "lines", "the total is too large");
		return RC_OK;
	}
	json_object_set(rec, "lines", lines);
	json_object_set_new(rec, "next_line", json_integer(next));
	json_object_set_new(rec, "subtotal", json_integer(subtotal));
	json_object_set_new(rec, "tax", json_integer(tax));
	json_object_set_new(rec, "total", json_integer(total));
	json_object_set_new(rec, "balance",
			    json_integer(total - num(rec, "paid") - num(rec, "credited")));
	return RC_OK;
}

static bool has_line(const json_t *lines, int64_t id)
{
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l)
		if (num(l, "id") == id)
			return true;
	return false;
}

/* True when a line of lines bills the source {type, id}. */
static bool source_kept(const json_t *lines, const char *type, int64_t id)
{
	size_t i, k;
	json_t *line, *src;
	json_array_foreach(lines, i, line)
		json_array_foreach(json_object_get(line, "sources"), k, src)
			if (is(str(src, "type"), type) && num(src, "id") == id)
				return true;
	return false;
}

/* The row of billed_periods a fee, addition or block purchase line holds. */
static const char *period_kind(const json_t *line)
{
	const char *rule = str(line, "rule");
	return is(rule, "block_purchase")			  ? "block_purchase"
	       : is(rule, "managed_fee") || is(rule, "addition") ? "month"
								  : NULL;
}

/* True when a line of lines holds the same contract's period as line. */
static bool period_kept(const json_t *lines, const json_t *line)
{
	size_t i;
	json_t *other;
	json_array_foreach(lines, i, other)
		if (is(period_kind(other), period_kind(line)) &&
		    num(other, "contract_id") == num(line, "contract_id") &&
		    json_equal(json_object_get(other, "month") ? json_object_get(other, "month")
							       : json_null(),
			       json_object_get(line, "month") ? json_object_get(line, "month")
							      : json_null()))
			return true;
	return false;
}

/*
 * Frees what a line billed: its time entries and parts are uninvoiced
 * again (trusted writes, audited), its month of a contract is billed
 * again by the next run; but not what a line of kept (the lines the
 * invoice keeps, NULL: none) still bills, such as the other half of an
 * entry split over a block's end, or the month a kept fee line holds.
 */
static int release_line(struct resource_ctx *ctx, int64_t invoice, const json_t *line,
			const json_t *kept)
{
	json_t *clear = arena_json(ctx->arena, json_pack("{s:n}", "invoice_id"));
	if (!clear)
		return RC_ERROR;
	size_t i;
	json_t *src;
	json_array_foreach(json_object_get(line, "sources"), i, src) {
		const char *type = str(src, "type");
		int64_t id = num(src, "id");
		json_t *out, *errors = NULL;
		int rc = RC_OK;
		if (source_kept(kept, type, id))
			continue;
		if (is(type, "time_entry")) {
			rc = resource_update_trusted(ctx, &time_entry_resource, id, clear, &out, &errors);
		} else if (is(type, "part")) {
			int64_t ticket = 0;
			struct db_stmt *st;
			rc = db_run(ctx->db, &st, "SELECT ticket_id FROM ticket_parts WHERE id = ?", "i",
				    id);
			if (rc == RC_ROW) {
				ticket = db_col_int(st, 0);
				db_done(st);
				struct resource_ctx c = *ctx;
				c.parent_id = ticket;
				rc = resource_update_trusted(&c, &part_resource, id, clear, &out, &errors);
			} else {
				rc = rc == RC_DONE ? RC_OK : rc;
			}
		}
		if (rc == RC_NOT_FOUND)
			rc = RC_OK;	/* gone since: nothing to free */
		if (rc != RC_OK)
			return rc;
	}
	const char *kind = period_kind(line);
	if (kind && !period_kept(kept, line)) {
		int rc = db_run(ctx->db, NULL,
				"DELETE FROM billed_periods WHERE invoice_id = ? AND contract_id = ?"
				" AND kind = ? AND month = ?",
				"iiss", invoice, num(line, "contract_id"), kind,
				str(line, "month") ? str(line, "month") : "");
		if (rc != RC_DONE)
			return rc;
	}
	return RC_OK;
}

static int invoice_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			   json_t *errors)
{
	if (cur && ctx->action)
		return RC_OK;	/* the action made its change itself */
	if (cur && !is(str(cur, "status"), "draft")) {
		resource_error(errors, "status",
			       arena_printf(ctx->arena, "an %s invoice cannot change: void it or make"
							" a credit note (POST /api/v1/invoices/%lld/credit)",
					    str(cur, "status"), (long long)num(cur, "id")));
		return RC_CONFLICT;
	}
	if (!cur) {
		json_t *s = settings(ctx);
		if (!s)
			return RC_ERROR;
		if (!json_object_get(rec, "currency") || json_is_null(json_object_get(rec, "currency")))
			json_object_set(rec, "currency", json_object_get(s, "currency"));
		if (!json_is_integer(json_object_get(rec, "tax_rate_bp"))) {
			/* the company's rate, else the firm's */
			struct db_stmt *st;
			int rc = db_run(ctx->db, &st, "SELECT tax_rate_bp FROM companies WHERE id = ?",
					"i", num(rec, "company_id"));
			json_t *rate = NULL;
			if (rc == RC_ROW) {
				if (!db_col_null(st, 0))
					rate = json_integer(db_col_int(st, 0));
				db_done(st);
			} else if (rc != RC_DONE) {
				return rc;
			}
			json_object_set_new(rec, "tax_rate_bp",
					    rate ? rate : json_deep_copy(json_object_get(s, "tax_rate_bp")));
		}
		json_object_set_new(rec, "status", json_string("draft"));
		for (const char *const *m = (const char *const[]){ "paid", "credited", NULL }; *m; m++)
			json_object_set_new(rec, *m, json_integer(0));
	}
	catalog_check_currency(rec, "currency", errors);
	if (cur && !json_equal(json_object_get(cur, "currency"), json_object_get(rec, "currency")) &&
	    json_array_size(json_object_get(cur, "lines")))
		resource_error(errors, "currency", "a draft with lines keeps its currency");
	return price_lines(ctx, cur, rec, errors);
}

/*
 * Keeps the invoice_lines index of the invoice's JSON lines (made: the
 * invoice is new, it has none yet). The rows are written without waiting
 * (db_run_later: on PostgreSQL a run's thousands travel 64 to a statement).
 */
static int index_lines(struct resource_ctx *ctx, int64_t invoice, bool made, const json_t *lines)
{
	int rc = made ? RC_DONE
		      : db_run(ctx->db, NULL, "DELETE FROM invoice_lines WHERE invoice_id = ?",
			       "i", invoice);
	if (rc != RC_DONE)
		return rc;
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l) {
		json_t *contract = json_object_get(l, "contract_id");
		rc = json_is_integer(contract)
			? db_run_later(ctx->db,
				 "INSERT INTO invoice_lines (invoice_id, line_id, rule, contract_id,"
				 " billed_minutes, amount, month) VALUES (?, ?, ?, ?, ?, ?, ?)",
				 "iisiiis", invoice, num(l, "id"), str(l, "rule"),
				 (int64_t)json_integer_value(contract), num(l, "billed_minutes"),
				 num(l, "amount"), str(l, "month"))
			: db_run_later(ctx->db,
				 "INSERT INTO invoice_lines (invoice_id, line_id, rule, contract_id,"
				 " billed_minutes, amount, month) VALUES (?, ?, ?, ?, ?, ?, ?)",
				 "iisniis", invoice, num(l, "id"), str(l, "rule"),
				 num(l, "billed_minutes"), num(l, "amount"), str(l, "month"));
		if (rc != RC_DONE)
			return rc;
	}
	return RC_OK;
}

/*
 * After a write: the removed lines of a draft release what they billed, a
 * discarded (archived) draft releases everything, and the index follows.
 */
static int invoice_after(struct resource_ctx *ctx, const json_t *before, const json_t *after)
{
	int64_t id = num(after, "id");
	bool discarded = before && json_is_null(json_object_get(before, "archived_at")) &&
			 !json_is_null(json_object_get(after, "archived_at"));
	if (before && !json_equal(json_object_get(before, "archived_at"),
				  json_object_get(after, "archived_at")) &&
	    !is(str(before, "status"), "draft"))
		return RC_CONFLICT;	/* only a draft is discarded (or restored) */
	size_t i;
	json_t *line;
	if (before && is(str(before, "status"), "draft")) {
		json_array_foreach(json_object_get(before, "lines"), i, line) {
			json_t *kept = discarded ? NULL : json_object_get(after, "lines");
			if (has_line(kept, num(line, "id")))
				continue;
			int rc = release_line(ctx, id, line, kept);
			if (rc != RC_OK)
				return rc;
		}
	}
	return index_lines(ctx, id, !before, discarded ? NULL : json_object_get(after, "lines"));
}

/* An issued invoice with a balance past its due date. */
static bool invoice_overdue(const char *status, int64_t balance, const char *due)
{
	char today[TIME_RFC3339_LEN];
	time_format(time_now(), today);
	today[10] = '\0';
	return is(status, "issued") && balance > 0 && due && strcmp(due, today) < 0;
}

static void invoice_present(json_t *rec)
{
	json_object_set_new(rec, "overdue",
			    json_boolean(invoice_overdue(str(rec, "status"), num(rec, "balance"),
							 str(rec, "due_on"))));
}

static int invoice_present_text(struct buf *b, const struct resource_row *r)
{
	bool overdue = invoice_overdue(resource_row_text(r, "status"),
				       resource_row_int(r, "balance"), resource_row_text(r, "due_on"));
	return buf_addstr(b, overdue ? ",\"overdue\":true" : ",\"overdue\":false");
}

/* Actions ------------------------------------------------------------------- */

/* The days to pay: the invoice's, else the company's, else the firm's. */
static int terms_days(struct resource_ctx *ctx, const json_t *inv, int64_t *days)
{
	if (json_is_integer(json_object_get(inv, "payment_terms_days"))) {
		*days = num(inv, "payment_terms_days");
		return RC_OK;
	}
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT COALESCE(c.payment_terms_days, s.payment_terms_days) FROM companies c,"
			" settings s WHERE c.id = ? AND s.id = 1",
			"i", num(inv, "company_id"));
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	*days = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

static int issue(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		 json_t *errors)
{
	if (!json_array_size(json_object_get(cur, "lines"))) {
		resource_error(errors, "lines", "an invoice needs at least one line to be issued");
		return RC_CONFLICT;
	}
	int64_t n = 0, days = 0;
	int rc = terms_days(ctx, cur, &days);
	if (rc == RC_OK)
		rc = db_next_gapless(ctx->db, "invoices", &n);
	if (rc != RC_OK)
		return rc;
	char today[11], due[TIME_RFC3339_LEN];
	billing_today(ctx, today);
	int64_t t;
	time_parse(arena_printf(ctx->arena, "%sT12:00:00Z", today), &t);
	time_format(t + days * 86400, due);
	due[10] = '\0';
	json_object_set_new(rec, "number", json_string(arena_printf(ctx->arena, "INV-%06lld",
								    (long long)n)));
	json_object_set_new(rec, "status", json_string(num(cur, "total") <= 0 ? "paid" : "issued"));
	json_object_set_new(rec, "issued_on", json_string(today));
	json_object_set_new(rec, "due_on", json_string(due));
	json_object_set_new(rec, "payment_terms_days", json_integer(days));
	if (num(cur, "total") <= 0)
		json_object_set_new(rec, "paid_on", json_string(today));
	return RC_OK;
}

static const struct field void_body[] = {
	FIELD_TEXT("reason", F_REQUIRED, 1, 2000),
	FIELD_END
};

/* Keeps its number; what it billed is billable again. */
static int void_invoice(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			const json_t *body, json_t *errors)
{
	if (num(cur, "paid") != 0 || num(cur, "credited") != 0) {
		resource_error(errors, "paid",
			       "an invoice with payments or credit notes is corrected by a credit"
			       " note, not voided");
		return RC_CONFLICT;
	}
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(cur, "lines"), i, line) {
		int rc = release_line(ctx, num(cur, "id"), line, NULL);
		if (rc != RC_OK)
			return rc;
	}
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	json_object_set_new(rec, "status", json_string("void"));
	json_object_set_new(rec, "voided_at", json_string(now));
	json_object_set(rec, "void_reason", json_object_get(body, "reason"));
	json_object_set_new(rec, "balance", json_integer(0));
	return RC_OK;
}

static const struct field credit_body[] = {
	{ .name = "amount", .type = FT_MONEY, .flags = F_REQUIRED, .min = 1,
	  .max = 1000000000000000, .doc = "What is credited before tax." },
	{ .name = "taxable", .type = FT_BOOL, .doc = "Tax at the invoice's rate is credited too; default true." },
	FIELD_TEXT("reason", F_REQUIRED, 1, 2000),
	FIELD_END
};

/* A correction of an issued invoice: a credit note CN-000001 takes it off the balance. */
static int credit(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	int64_t amount = num(body, "amount"), tax = 0, total;
	bool taxable = !json_is_false(json_object_get(body, "taxable"));
	if ((taxable && money_apply_bp(amount, num(cur, "tax_rate_bp"), &tax) < 0) ||
	    __builtin_add_overflow(amount, tax, &total)) {
		resource_error(errors, "amount", "is too large");
		return RC_INVALID;
	}
	if (num(cur, "credited") + total > num(cur, "total")) {
		resource_error(errors, "amount",
			       "would credit more than the invoice's total");
		return RC_CONFLICT;
	}
	int64_t n;
	int rc = db_next_gapless(ctx->db, "credit_notes", &n);
	if (rc != RC_OK)
		return rc;
	char today[11];
	billing_today(ctx, today);
	json_t *note = arena_json(ctx->arena, json_pack(
		"{s:s, s:I, s:I, s:O, s:s, s:I, s:I, s:I, s:O}", "number",
		arena_printf(ctx->arena, "CN-%06lld", (long long)n), "invoice_id",
		(json_int_t)num(cur, "id"), "company_id", (json_int_t)num(cur, "company_id"),
		"currency", json_object_get(cur, "currency"), "issued_on", today, "amount",
		(json_int_t)amount, "tax", (json_int_t)tax, "total", (json_int_t)total, "reason",
		json_object_get(body, "reason")));
	json_t *made, *errs = NULL;
	rc = note ? resource_create_trusted(ctx, &credit_note_resource, note, &made, &errs)
		  : RC_ERROR;
	if (rc != RC_OK)
		return rc == RC_INVALID ? RC_ERROR : rc;
	int64_t credited = num(cur, "credited") + total;
	int64_t balance = num(cur, "total") - num(cur, "paid") - credited;
	json_object_set_new(rec, "credited", json_integer(credited));
	json_object_set_new(rec, "balance", json_integer(balance));
	if (balance <= 0 && is(str(cur, "status"), "issued")) {
		json_object_set_new(rec, "status", json_string("paid"));
		json_object_set_new(rec, "paid_on", json_string(today));
	}
	ctx->reply = made;
	return RC_OK;
}

/* Payments (and their removal) settle the balance: the server's own write. */
static int settle(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT COALESCE(SUM(amount), 0), MAX(received_on) FROM invoice_payments"
			" WHERE invoice_id = ? AND archived_at IS NULL",
			"i", num(cur, "id"));
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	int64_t paid = db_col_int(st, 0);
	const char *last = db_col_text(st, 1);
	char *last_on = last ? arena_strdup(ctx->arena, last) : NULL;
	db_done(st);
	int64_t balance = num(cur, "total") - paid - num(cur, "credited");
	json_object_set_new(rec, "paid", json_integer(paid));
	json_object_set_new(rec, "balance", json_integer(balance));
	bool settled = balance <= 0;
	json_object_set_new(rec, "status", json_string(settled ? "paid" : "issued"));
	json_object_set_new(rec, "paid_on", settled && last_on ? json_string(last_on) : json_null());
	return RC_OK;
}

#define BILLERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_BILLING)

static const char *const drafts[] = { "draft", NULL };
static const char *const open_invoices[] = { "issued", NULL };
static const char *const issued_or_paid[] = { "issued", "paid", NULL };

static const struct resource_action issue_action = {
	.name = "issue", .from = drafts, .roles = BILLERS, .event = "issued", .apply = issue,
	.summary = "Issue: the next invoice number (gapless), issued today, due by the terms",
};
static const struct resource_action void_action = {
	.name = "void", .body = void_body, .from = open_invoices, .roles = BILLERS,
	.event = "voided", .apply = void_invoice,
	.summary = "Void an issued, unpaid invoice: it keeps its number; what it billed bills again",
};
static const struct resource_action credit_action = {
	.name = "credit", .body = credit_body, .from = issued_or_paid, .roles = BILLERS,
	.flags = ACTION_CREATES | ACTION_IF_MATCH_OPTIONAL, .event = "credited", .apply = credit,
	.creates = &credit_note_resource,
	.summary = "A credit note (CN-000001) against an issued invoice",
};
static const struct resource_action settle_action = {
	.name = "settle", .from = issued_or_paid, .event = "paid", .apply = settle,
};

static const struct resource_action *const invoice_actions[] = {
	&issue_action, &void_action, &credit_action, &settle_action, NULL
};

const struct resource invoice_resource = {
	.name = "invoices",
	.singular = "invoice",
	.table = "invoices",
	.fields = invoice_fields,
	.default_sort = "-created_at",
	.prepare = invoice_prepare,
	.after_write = invoice_after,
	.present = invoice_present,
	.present_text = invoice_present_text,
	.company_field = "company_id",
	.status_field = "status",
	.actions = invoice_actions,
	.event = "invoice",
	.doc = "Invoices: drafts made by runs from the contracts' rules, then issued, paid or "
	       "voided. Every line says which rule billed it, why, and from what.",
};

/* Payments ------------------------------------------------------------------ */

static const char *const methods[] = { "bank_transfer", "card", "cash", "check", "direct_debit",
				       "other", NULL };

static const struct field payment_fields[] = {
	FIELD_REF("invoice_id", F_READ_ONLY, &invoice_resource),
	{ .name = "amount", .type = FT_MONEY, .flags = F_REQUIRED, .min = 1,
	  .max = 1000000000000000, .doc = "In the invoice's currency; at most its balance." },
	FIELD_DATE("received_on", F_REQUIRED | F_FILTER | F_SORT),
	FIELD_ENUM("method", F_FILTER, methods, "\"bank_transfer\""),
	FIELD_TEXT("reference", F_FILTER, 1, 200),
	FIELD_TEXT("notes", 0, 0, 2000),
	FIELD_END
};

/*
 * Whether a payment of amount may count on its invoice (ctx->parent_id):
 * the invoice takes payments (issued or paid) and amount fits its balance.
 * Returns RC_OK, or with errors RC_CONFLICT, or too_much for an overpayment.
 */
static int payment_fits(struct resource_ctx *ctx, int64_t amount, int too_much, json_t *errors)
{
	json_t *inv;
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	int rc = resource_get(&c, &invoice_resource, ctx->parent_id, &inv);
	if (rc != RC_OK)
		return rc;
	if (!is(str(inv, "status"), "issued") && !is(str(inv, "status"), "paid")) {
		resource_error(errors, "invoice_id",
			       arena_printf(ctx->arena, "a %s invoice takes no payments; issue it first",
					    str(inv, "status")));
		return RC_CONFLICT;
	}
	if (amount > num(inv, "balance")) {
		char due[MONEY_TEXT_LEN];
		money_format(num(inv, "balance"), str(inv, "currency"), due);
		resource_error(errors, "amount",
			       arena_printf(ctx->arena, "is more than the balance of %s: an"
							" overpayment is refused", due));
		return too_much;
	}
	return RC_OK;
}

static int payment_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			   json_t *errors)
{
	if (cur && !json_equal(json_object_get(cur, "amount"), json_object_get(rec, "amount"))) {
		resource_error(errors, "amount", "a recorded payment's amount does not change:"
						 " remove it and record it again");
		return RC_CONFLICT;
	}
	return payment_fits(ctx, cur ? 0 : num(rec, "amount"), RC_INVALID, errors);
}

/*
 * A payment removed (archived) and then restored counts again: it must
 * still fit the balance, and the invoice must still take payments.
 */
static int payment_archive_check(struct resource_ctx *ctx, const json_t *cur, bool archive,
				 json_t *errors)
{
	return archive ? RC_OK : payment_fits(ctx, num(cur, "amount"), RC_CONFLICT, errors);
}

/* The invoice's paid, balance and status follow its payments. */
static int payment_after(struct resource_ctx *ctx, const json_t *before, const json_t *after)
{
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	json_t *out, *errors = NULL;
	return resource_act_trusted(&c, &invoice_resource, &settle_action, ctx->parent_id, NULL,
				    &out, &errors);
}

const struct resource payment_resource = {
	.name = "payments",
	.singular = "payment",
	.table = "invoice_payments",
	.fields = payment_fields,
	.default_sort = "received_on",
	.prepare = payment_prepare,
	.after_write = payment_after,
	.archive_check = payment_archive_check,
	.parent = &invoice_resource,
	.parent_field = "invoice_id",
	.company_via = "invoice_id",
	.doc = "Money received against an issued invoice (partial payments add up; an "
	       "overpayment is refused).",
};

/* Credit notes ---------------------------------------------------------------- */

static const struct field credit_note_fields[] = {
	FIELD_TEXT("number", F_READ_ONLY | F_FILTER | F_SORT, 1, 20),
	FIELD_REF("invoice_id", F_READ_ONLY | F_FILTER, &invoice_resource),
	FIELD_REF("company_id", F_READ_ONLY | F_FILTER, &company_resource),
	FIELD_TEXT("currency", F_READ_ONLY, 3, 3),
	FIELD_DATE("issued_on", F_READ_ONLY | F_FILTER | F_SORT),
	{ .name = "amount", .type = FT_MONEY, .flags = F_READ_ONLY, MONEY_RANGE },
	{ .name = "tax", .type = FT_MONEY, .flags = F_READ_ONLY, MONEY_RANGE },
	{ .name = "total", .type = FT_MONEY, .flags = F_READ_ONLY, MONEY_RANGE },
	FIELD_TEXT("reason", F_READ_ONLY, 0, 0),
	FIELD_END
};

const struct resource credit_note_resource = {
	.name = "credit-notes",
	.singular = "credit note",
	.table = "credit_notes",
	.fields = credit_note_fields,
	.default_sort = "-id",
	.company_field = "company_id",
	.event = "credit_note",
	.doc = "Corrections of issued invoices (made by POST /invoices/{id}/credit).",
};

/* Runs -------------------------------------------------------------------------- */

static const struct field run_fields[] = {
	FIELD_DATE("period_from", F_READ_ONLY | F_FILTER | F_SORT),
	FIELD_DATE("period_to", F_READ_ONLY | F_FILTER),
	FIELD_REF("company_id", F_READ_ONLY | F_FILTER, &company_resource),
	FIELD_REF("run_by_id", F_READ_ONLY | F_FILTER, &user_resource),
	FIELD_INT("invoices", F_READ_ONLY, 0, 0),
	FIELD_JSON("summary", F_READ_ONLY),
	FIELD_END
};

const struct resource invoice_run_resource = {
	.name = "invoice-runs",
	.singular = "invoice run",
	.table = "invoice_runs",
	.fields = run_fields,
	.default_sort = "-created_at",
	.doc = "The invoice runs made: their period and what they drafted.",
};
