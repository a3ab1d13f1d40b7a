/*
 * quotes.c - opportunities, activities and quotes as resource tables, and
 * the rules the engine cannot know: pipeline stages, quote numbers and
 * revisions, lines priced from the catalog, exact totals, the statuses a
 * quote moves through, and what acceptance creates.
 */
#include "quotes.h"

#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/money.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "jobs/jobs.h"
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

static bool has(const json_t *rec, const char *name)
{
	json_t *v = json_object_get(rec, name);
	return v && !json_is_null(v);
}

static bool is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* "YYYY-MM-DD" of t (UTC) plus days. */
static void date_of(int64_t t, int days, char out[11])
{
	char s[TIME_RFC3339_LEN];
	time_format(t + (int64_t)days * 86400, s);
	memcpy(out, s, 10);
	out[10] = '\0';
}

/* The firm's settings (ctx->arena's), or NULL. */
static json_t *settings(struct resource_ctx *ctx)
{
	json_t *s = NULL;
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	c.scope_company = 0;
	return resource_get(&c, &settings_resource, SETTINGS_ID, &s) == RC_OK ? s : NULL;
}

/* Opportunities ----------------------------------------------------------- */

static const char *const stages[] = { "new", "qualified", "quoted", "won", "lost", NULL };

static const struct field opportunity_fields[] = {
	{ .name = "company_id", .type = FT_REF, .flags = F_REQUIRED | F_FILTER,
	  .ref = &company_resource, .doc = "The company the deal is with." },
	FIELD_TEXT("title", F_REQUIRED | F_SORT, 1, 200),
	{ .name = "stage", .type = FT_ENUM, .flags = F_FILTER | F_SORT, .enum_values = stages,
	  .dflt = "\"new\"",
	  .doc = "Any stage may follow any other; `lost` needs `lost_reason`. Moving into `won` "
		 "or `lost` sets `closed_at`; moving back to an open stage clears it. Sending a "
		 "quote moves the opportunity from `new` or `qualified` to `quoted`, accepting "
		 "one to `won`." },
	/* the lead source: "referral", "web", "trade show", … */
	{ .name = "source", .type = FT_TEXT, .flags = F_FILTER, .min = 1, .max = 100,
	  .doc = "The lead source (`referral`, `web`, `trade show`, …), free text; the "
		 "referrals report groups by it." },
	{ .name = "campaign", .type = FT_TEXT, .flags = F_FILTER, .min = 1, .max = 100,
	  .doc = "The marketing campaign, free text." },
	{ .name = "referral_partner_id", .type = FT_REF, .flags = F_FILTER,
	  .ref = &company_resource,
	  .doc = "A company of kind `partner` that referred the deal (422 otherwise)." },
	{ .name = "estimated_value", .type = FT_MONEY, .flags = F_SORT, .min = 0,
	  .max = 1000000000000, .hidden_from = ROLE_TECHNICIAN,
	  .doc = "The expected value, in minor units of `currency`." },
	FIELD_CURRENCY("currency"),
	{ .name = "owner_id", .type = FT_REF, .flags = F_FILTER, .ref = &user_resource,
	  .doc = "The user responsible; defaults to the caller on create." },
	{ .name = "expected_close_on", .type = FT_DATE, .flags = F_FILTER | F_SORT,
	  .doc = "When the deal is expected to close." },
	{ .name = "lost_reason", .type = FT_TEXT, .min = 1, .max = 2000,
	  .doc = "Why the deal was lost; required while `stage` is `lost`." },
	{ .name = "closed_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When the deal was won or lost; null while it is open." },
	FIELD_TEXT("notes", 0, 0, 50000),
	FIELD_END
};

static bool closed_stage(const char *s)
{
	return is(s, "won") || is(s, "lost");
}

static int opportunity_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			       json_t *errors)
{
	const char *stage = str(rec, "stage");
	if (is(stage, "lost") && !has(rec, "lost_reason"))
		resource_error(errors, "lost_reason", "is required to mark an opportunity lost");
	if (!cur && !has(rec, "owner_id") && ctx->actor->user_id)
		json_object_set_new(rec, "owner_id", json_integer(ctx->actor->user_id));
	if (closed_stage(stage) && !(cur && closed_stage(str(cur, "stage")))) {
		char now[TIME_RFC3339_LEN];
		time_format(ctx->now, now);
		json_object_set_new(rec, "closed_at", json_string(now));
	} else if (!closed_stage(stage)) {
		json_object_set_new(rec, "closed_at", json_null());
	}
	if (has(rec, "referral_partner_id")) {
		struct db_stmt *st;
		int rc = db_run(ctx->db, &st, "SELECT kind FROM companies WHERE id = ?", "i",
				num(rec, "referral_partner_id"));
		if (rc == RC_ROW) {
			if (!is(db_col_text(st, 0), "partner"))
				resource_error(errors, "referral_partner_id",
					       "must be a company of kind partner");
			db_done(st);
		} else if (rc != RC_DONE) {
			return rc;
		}
	}
	return RC_OK;
}

static int currency_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	catalog_check_currency(rec, "currency", errors);
	return RC_OK;
}

const struct resource opportunity_resource = {
	.name = "opportunities",
	.singular = "opportunity",
	.table = "opportunities",
	.fields = opportunity_fields,
	.searchable = true,
	.default_sort = "-created_at",
	.prepare = opportunity_prepare,
	.check = currency_check,
	.company_field = "company_id",
	.doc = "Work the firm hopes to win, moving through the pipeline's stages. `q` searches "
	       "`title`, `source`, `campaign` and `notes`.",
};

/* Activities -------------------------------------------------------------- */

static const char *const activity_kinds[] = { "call", "email", "meeting", "visit", "task",
					      NULL };

static const struct field activity_fields[] = {
	FIELD_ENUM("kind", F_REQUIRED | F_FILTER, activity_kinds, NULL),
	FIELD_TEXT("subject", F_REQUIRED | F_SORT, 1, 200),
	{ .name = "company_id", .type = FT_REF, .flags = F_FILTER, .ref = &company_resource,
	  .doc = "Filled in from the opportunity (else the contact) when left out; when given, "
		 "the contact and the opportunity must be of this company (422 naming them)." },
	{ .name = "contact_id", .type = FT_REF, .flags = F_FILTER | F_SAME_COMPANY,
	  .ref = &contact_resource, .doc = "The contact the activity is with." },
	{ .name = "opportunity_id", .type = FT_REF, .flags = F_FILTER | F_SAME_COMPANY,
	  .ref = &opportunity_resource, .doc = "The opportunity it is about." },
	{ .name = "owner_id", .type = FT_REF, .flags = F_FILTER, .ref = &user_resource,
	  .doc = "The user who does it (their follow-ups); defaults to the caller on create." },
	{ .name = "due_at", .type = FT_TIME, .flags = F_FILTER | F_SORT, .doc = "When it is due." },
	{ .name = "done_at", .type = FT_TIME, .flags = F_FILTER | F_SORT,
	  .doc = "When it was done; null while it is open." },
	FIELD_TEXT("notes", 0, 0, 50000),
	{ .name = "overdue", .type = FT_BOOL, .flags = F_COMPUTED,
	  .doc = "Open (no `done_at`) and `due_at` before now: computed as the record is read, "
		 "so no filter or sort key." },
	FIELD_END
};

/* An activity about an opportunity or contact is about its company too. */
static int activity_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			    json_t *errors)
{
	if (!cur && !has(rec, "owner_id") && ctx->actor->user_id)
		json_object_set_new(rec, "owner_id", json_integer(ctx->actor->user_id));
	if (has(rec, "company_id"))
		return RC_OK;	/* the engine holds the others to it (F_SAME_COMPANY) */
	static const struct {
		const char *field;
		const struct resource *res;
	} owners[] = {
		{ "opportunity_id", &opportunity_resource },
		{ "contact_id", &contact_resource },
	};
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		if (!has(rec, owners[i].field))
			continue;
		int64_t company;
		int rc = resource_company_of(ctx, owners[i].res, num(rec, owners[i].field), &company);
		if (rc == RC_NOT_FOUND)
			continue;	/* the reference check names it */
		if (rc != RC_OK)
			return rc;
		json_object_set_new(rec, "company_id", json_integer(company));
		break;
	}
	return RC_OK;
}

/* overdue: open and due before now */
static void activity_present(json_t *rec)
{
	const char *due = str(rec, "due_at");
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	json_object_set_new(rec, "overdue",
			    json_boolean(due && !has(rec, "done_at") && strcmp(due, now) < 0));
}

const struct resource activity_resource = {
	.name = "activities",
	.singular = "activity",
	.table = "activities",
	.fields = activity_fields,
	.default_sort = "-created_at",
	.prepare = activity_prepare,
	.present = activity_present,
	.company_field = "company_id",
	.doc = "Calls, e-mails, meetings, visits and tasks: who does what, by when.",
};

int activity_follow_ups(struct resource_ctx *ctx, json_t **out)
{
	struct db_stmt *st;
	int64_t ids[200];
	int n = 0;
	int rc = db_run(ctx->db, &st,
			"SELECT id FROM activities WHERE owner_id = ? AND done_at IS NULL"
			" AND archived_at IS NULL"
			" ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, id LIMIT 200",
			"i", ctx->actor->user_id);
	bool open = rc == RC_ROW;
	while (rc == RC_ROW && n < 200) {
		ids[n++] = db_col_int(st, 0);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE && n < 200)
		return RC_ERROR;
	json_t *data = arena_json(ctx->arena, json_array());
	for (int i = 0; data && i < n; i++) {
		json_t *a;
		rc = resource_get(ctx, &activity_resource, ids[i], &a);
		if (rc == RC_OK)
			json_array_append(data, a);
		else if (rc != RC_NOT_FOUND)
			return RC_ERROR;
	}
	if (!data)
		return RC_ERROR;
	*out = arena_json(ctx->arena, json_pack("{s:O}", "data", data));
	return *out ? RC_OK : RC_ERROR;
}

/* Quotes ------------------------------------------------------------------ */

static const char *const quote_statuses[] = { "draft", "sent", "accepted", "declined",
					      "expired", "superseded", NULL };
static const char *const contract_kinds[] = { "time_materials", "managed", "block_hours",
					      NULL };
static const char *const coverages[] = { "business_hours", "extended", "24x7", NULL };
static const char *const line_kinds[] = { "equipment", "labor", "service", NULL };

static const struct field line_item[] = {
	{ .name = "kind", .type = FT_ENUM, .flags = F_REQUIRED, .enum_values = line_kinds,
	  .doc = "`labor` lines become service orders on acceptance; `service` lines are a "
		 "managed contract's monthly fee." },
	{ .name = "product_id", .type = FT_REF, .ref = &product_resource,
	  .doc = "A live product; only on `equipment` and `service` lines (422 on a labour "
		 "line)." },
	{ .name = "work_type_id", .type = FT_REF, .ref = &work_type_resource,
	  .doc = "A live work type; only on `labor` lines (422 on others)." },
	{ .name = "description", .type = FT_TEXT, .min = 1, .max = 2000,
	  .doc = "Defaults to the product's or work type's name; required without one." },
	/* hours for labour; 0.001 .. 1,000,000 */
	{ .name = "quantity", .type = FT_QUANTITY, .min = 1, .max = 1000000000,
	  .doc = "Hours for labour; defaults to 1." },
	{ .name = "unit_price", .type = FT_MONEY, .min = 0, .max = 1000000000000,
	  .doc = "In minor units of the quote's currency; defaults to the catalog's price, "
		 "required without a product or work type." },
	{ .name = "discount_bp", .type = FT_INT, .min = 0, .max = 10000,
	  .doc = "A discount on the line, in basis points; defaults to 0." },
	{ .name = "taxable", .type = FT_BOOL,
	  .doc = "Whether `tax_rate_bp` applies; defaults to the product's `taxable`, else "
		 "false for labour and true for the others." },
	/* equipment to install: acceptance makes an installation order for it */
	{ .name = "install", .type = FT_BOOL,
	  .doc = "Only on `equipment` lines (422 on others): `true` makes acceptance create an "
		 "installation order for it." },
	/* computed; a value sent is replaced */
	{ .name = "amount", .type = FT_MONEY, .flags = F_READ_ONLY, .min = -1000000000000000,
	  .max = 1000000000000000,
	  .doc = "round(quantity × unit_price × (10000 − discount_bp) / 10000), half away from "
		 "zero, once per line. Computed on every write; a value sent is replaced." },
	FIELD_END
};

static const struct field technician_item[] = {
	{ .name = "user_id", .type = FT_REF, .flags = F_REQUIRED, .ref = &user_resource,
	  .doc = "An active user who will do the work." },
	FIELD_END
};

static const struct field quote_fields[] = {
	{ .name = "number", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 1,
	  .max = 20, .doc = "`Q-000042`, assigned on create and shared by every revision." },
	{ .name = "revision", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 1,
	  .max = 0, .doc = "1 for a new quote, one more for each revision." },
	{ .name = "previous_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &quote_resource, .doc = "The quote this revision was made from." },
	{ .name = "superseded_by_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &quote_resource,
	  .doc = "The revision that superseded this quote." },
	{ .name = "company_id", .type = FT_REF, .flags = F_REQUIRED | F_FILTER,
	  .ref = &company_resource, .doc = "The client company." },
	{ .name = "contact_id", .type = FT_REF, .flags = F_FILTER | F_SAME_COMPANY,
	  .ref = &contact_resource,
	  .doc = "Service orders made on acceptance are for this contact." },
	{ .name = "opportunity_id", .type = FT_REF, .flags = F_FILTER | F_SAME_COMPANY,
	  .ref = &opportunity_resource,
	  .doc = "Sending moves it to `quoted`, acceptance to `won`." },
	FIELD_TEXT("title", F_REQUIRED | F_SORT, 1, 200),
	{ .name = "contract_kind", .type = FT_ENUM, .flags = F_FILTER,
	  .enum_values = contract_kinds, .dflt = "\"time_materials\"",
	  .doc = "The contract acceptance creates. A `managed` quote is sent only with a "
		 "`service` line (the monthly fee), a `block_hours` quote only with a `labor` "
		 "line (the hours bought)." },
	{ .name = "status", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .enum_values = quote_statuses,
	  .doc = "`draft` on create; changed only by the actions (send, revise, accept, "
		 "decline) and expiry." },
	{ .name = "valid_until", .type = FT_DATE, .flags = F_FILTER | F_SORT | F_NOT_NULL,
	  .doc = "The last day the client may accept (UTC). Defaults to today + the settings' "
		 "`quote_validity_days`. A quote is not sent with a past date (422); a sent "
		 "quote past it can no longer be answered and the `sales` job marks it "
		 "`expired`." },
	{ .name = "currency", .type = FT_TEXT, .flags = F_FILTER | F_NOT_NULL, .min = 3, .max = 3,
	  .doc = "An ISO 4217 code; defaults to the settings' `currency`. Lines priced from the "
		 "catalog must be in it." },
	{ .name = "response_time_minutes", .type = FT_INT, .min = 1, .max = 525600,
	  .doc = "The promised response time; on acceptance the contract gets an SLA policy "
		 "with this response target on the `coverage` calendar." },
	{ .name = "coverage", .type = FT_ENUM, .flags = F_FILTER, .enum_values = coverages,
	  .dflt = "\"business_hours\"",
	  .doc = "When the promised response time counts: `business_hours` (Monday to Friday "
		 "08:00–17:00), `extended` (Monday to Saturday 07:00–20:00) or `24x7`, in the "
		 "firm's time zone." },
	{ .name = "warranty_days", .type = FT_INT, .min = 0, .max = 36500,
	  .doc = "The warranty promised on the work, in days." },
	{ .name = "qualifications", .type = FT_TEXT, .min = 0, .max = 10000,
	  .doc = "The qualifications promised, shown to the client. When null and `technicians` "
		 "is not empty, it is filled from the technicians' valid certifications, one "
		 "line per technician: `Ana Lopez: CompTIA A+ (CompTIA, valid until "
		 "2027-05-01); …` (`no current certifications` when there are none); each "
		 "technician must then be an active user (422 naming `technicians`)." },
	{ .name = "technicians", .type = FT_OBJECTS, .max = 20, .dflt = "[]",
	  .items = technician_item, .doc = "The technicians proposed; replaced whole by a patch." },
	{ .name = "lines", .type = FT_OBJECTS, .max = 500, .dflt = "[]", .items = line_item,
	  .doc = "The lines, in order; replaced whole by a patch. At least one is needed to "
		 "send.\nA line priced from the catalog names a live product (`equipment` and "
		 "`service` lines) or work type (`labor` lines), in the quote's currency; what "
		 "it leaves out is taken from there: `description` (the name), `unit_price` "
		 "(the product's unit price or the work type's hourly rate) and `taxable` (the "
		 "product's; labour is not taxed). A line without a catalog reference must give "
		 "`description` and `unit_price`. Errors name the member `lines` with the place "
		 "(`[2].unit_price: is required without a product`)." },
	{ .name = "tax_rate_bp", .type = FT_INT, .flags = F_NOT_NULL, .min = 0, .max = 10000,
	  .doc = "The tax rate on taxable lines, in basis points; defaults to the settings' "
		 "`tax_rate_bp`." },
	{ .name = "subtotal", .type = FT_MONEY, .flags = F_READ_ONLY | F_SORT,
	  .min = -1000000000000000, .max = 1000000000000000,
	  .doc = "The sum of the line amounts." },
	{ .name = "tax", .type = FT_MONEY, .flags = F_READ_ONLY, .min = -1000000000000000,
	  .max = 1000000000000000,
	  .doc = "round(sum of the taxable line amounts × `tax_rate_bp` / 10000), half away "
		 "from zero." },
	{ .name = "total", .type = FT_MONEY, .flags = F_READ_ONLY | F_SORT,
	  .min = -1000000000000000, .max = 1000000000000000, .doc = "`subtotal` + `tax`." },
	{ .name = "notes", .type = FT_TEXT, .min = 0, .max = 50000,
	  .doc = "Free text shown to the client (on the link and the PDF)." },
	{ .name = "sent_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When it was last sent." },
	{ .name = "link_hash", .type = FT_TEXT, .flags = F_HIDDEN, .min = 64, .max = 64 },
	FIELD_TIME("accepted_at", F_READ_ONLY | F_FILTER | F_SORT),
	{ .name = "accepted_name", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0, .max = 0,
	  .doc = "The name typed by whoever accepted (the signature)." },
	{ .name = "accepted_address", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0, .max = 0,
	  .doc = "The IP address the acceptance came from." },
	{ .name = "accepted_by_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &user_resource,
	  .doc = "The user who recorded the acceptance; null when the client accepted through "
		 "the link or the portal." },
	FIELD_TIME("declined_at", F_READ_ONLY | F_FILTER),
	{ .name = "decline_reason", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0, .max = 0,
	  .doc = "Why the client declined." },
	{ .name = "expired_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When the `sales` job marked the sent quote expired." },
	{ .name = "contract_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &contract_resource, .doc = "The contract acceptance created." },
	FIELD_END
};

/* One catalog row a line is priced from. */
struct priced {
	const char *name, *currency;
	int64_t price;
	bool taxable;
};

/* Loads a product or work type; RC_OK, RC_NOT_FOUND or a failure. */
static int load_priced(struct resource_ctx *ctx, bool labor, int64_t id, struct priced *p)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			labor ? "SELECT name, currency, hourly_rate, 0 FROM work_types"
				" WHERE id = ? AND archived_at IS NULL"
			      : "SELECT name, currency, unit_price, taxable FROM products"
				" WHERE id = ? AND archived_at IS NULL",
			"i", id);
	if (rc == RC_DONE)
		return RC_NOT_FOUND;
	if (rc != RC_ROW)
		return rc;
	p->name = arena_strdup(ctx->arena, db_col_text(st, 0));
	p->currency = arena_strdup(ctx->arena, db_col_text(st, 1));
	p->price = db_col_int(st, 2);
	p->taxable = db_col_int(st, 3) != 0;
	db_done(st);
	return p->name && p->currency ? RC_OK : RC_ERROR;
}

static void line_error(json_t *errors, size_t i, const char *member, const char *msg)
{
	char m[256];
	snprintf(m, sizeof(m), "[%zu].%s: %s", i, member, msg);
	resource_error(errors, "lines", m);
}

/*
 * Fills each line from the catalog (description, price, taxable), prices
 * it and sums the document: one rounding per line and one for tax.
 */
static int price_lines(struct resource_ctx *ctx, json_t *rec, json_t *errors)
{
	json_t *lines = json_object_get(rec, "lines");
	const char *currency = str(rec, "currency");
	int64_t subtotal = 0, taxable_sum = 0;
	bool overflow = false;
	size_t i;
	json_t *line;
	json_array_foreach(lines, i, line) {
		bool labor = is(str(line, "kind"), "labor");
		const char *ref = labor ? "work_type_id" : "product_id";
		const char *wrong = labor ? "product_id" : "work_type_id";
		if (has(line, wrong)) {
			line_error(errors, i, wrong,
				   labor ? "labour lines are priced by work_type_id"
					 : "only labour lines take a work type");
			continue;
		}
		struct priced p = { 0 };
		if (has(line, ref)) {
			int rc = load_priced(ctx, labor, num(line, ref), &p);
			if (rc == RC_NOT_FOUND) {
				line_error(errors, i, ref,
					   labor ? "refers to no work type" : "refers to no product");
				continue;
			}
			if (rc != RC_OK)
				return rc;
			if (currency && !is(p.currency, currency)) {
				char m[96];
				snprintf(m, sizeof(m), "is priced in %s, the quote in %s", p.currency,
					 currency);
				line_error(errors, i, ref, m);
				continue;
			}
			if (!has(line, "description"))
				json_object_set_new(line, "description", json_string(p.name));
			if (!has(line, "unit_price"))
				json_object_set_new(line, "unit_price", json_integer(p.price));
			if (!has(line, "taxable"))
				json_object_set_new(line, "taxable", json_boolean(p.taxable));
		}
		if (!has(line, "description"))
			line_error(errors, i, "description",
				   labor ? "is required without a work type"
					 : "is required without a product");
		if (!has(line, "unit_price"))
			line_error(errors, i, "unit_price",
				   labor ? "is required without a work type"
					 : "is required without a product");
		if (has(line, "install") && json_is_true(json_object_get(line, "install")) &&
		    !is(str(line, "kind"), "equipment"))
			line_error(errors, i, "install", "only equipment lines are installed");
		if (!has(line, "quantity"))
			json_object_set_new(line, "quantity", json_integer(1));
		if (!has(line, "discount_bp"))
			json_object_set_new(line, "discount_bp", json_integer(0));
		if (!has(line, "taxable"))
			json_object_set_new(line, "taxable", json_boolean(!labor));
		int64_t qty = 0, amount = 0;
		if (resource_quantity(json_object_get(line, "quantity"), &qty) < 0 ||
		    !has(line, "unit_price"))
			continue;
		if (money_line_amount(qty, num(line, "unit_price"), num(line, "discount_bp"),
				      &amount) < 0 ||
		    __builtin_add_overflow(subtotal, amount, &subtotal)) {
			overflow = true;
			continue;
		}
		json_object_set_new(line, "amount", json_integer(amount));
		if (json_is_true(json_object_get(line, "taxable")) &&
		    __builtin_add_overflow(taxable_sum, amount, &taxable_sum))
			overflow = true;
	}
	int64_t tax = 0, total = 0;
	if (overflow || money_apply_bp(taxable_sum, num(rec, "tax_rate_bp"), &tax) < 0 ||
	    __builtin_add_overflow(subtotal, tax, &total)) {
		resource_error(errors, "lines", "the total is too large");
		return RC_OK;
	}
	json_object_set_new(rec, "subtotal", json_integer(subtotal));
	json_object_set_new(rec, "tax", json_integer(tax));
	json_object_set_new(rec, "total", json_integer(total));
	return RC_OK;
}

/*
 * The technicians' valid certifications, for a quote that names
 * technicians but states no qualifications of its own:
 * "Ana Lopez: CompTIA A+ (CompTIA, until 2027-05-01); …".
 */
static int default_qualifications(struct resource_ctx *ctx, json_t *rec, json_t *errors)
{
	json_t *techs = json_object_get(rec, "technicians");
	if (has(rec, "qualifications") || json_array_size(techs) == 0)
		return RC_OK;
	char today[11];
	date_of(ctx->now, 0, today);
	struct buf b;
	buf_init(&b, 10000);
	size_t i;
	json_t *t;
	int rc = RC_OK;
	json_array_foreach(techs, i, t) {
		struct db_stmt *st;
		int64_t user = num(t, "user_id");
		int r = db_run(ctx->db, &st, "SELECT name FROM users WHERE id = ? AND active = 1",
			       "i", user);
		if (r == RC_DONE) {
			char m[64];
			snprintf(m, sizeof(m), "[%zu].user_id: refers to no active user", i);
			resource_error(errors, "technicians", m);
			continue;
		}
		if (r != RC_ROW) {
			rc = r;
			break;
		}
		buf_addf(&b, "%s%s:", b.len ? "\n" : "", db_col_text(st, 0));
		db_done(st);
		r = db_run(ctx->db, &st,
			   "SELECT name, issuer, expires_on FROM user_certifications"
			   " WHERE user_id = ? AND archived_at IS NULL"
			   " AND (expires_on IS NULL OR expires_on >= ?) ORDER BY name, id",
			   "is", user, today);
		int n = 0;
		bool open = r == RC_ROW;
		while (r == RC_ROW) {
			const char *issuer = db_col_text(st, 1), *until = db_col_text(st, 2);
			buf_addf(&b, "%s %s", n++ ? ";" : "", db_col_text(st, 0));
			if (issuer || until)
				buf_addf(&b, " (%s%s%s%s)", issuer ? issuer : "",
					 issuer && until ? ", " : "", until ? "valid until " : "",
					 until ? until : "");
			r = db_step(st);
		}
		if (open)
			db_done(st);
		if (r != RC_DONE) {
			rc = r;
			break;
		}
		if (!n)
			buf_addstr(&b, " no current certifications");
	}
	if (rc == RC_OK && b.len && !b.failed)
		json_object_set_new(rec, "qualifications", json_string(buf_str(&b)));
	buf_release(&b);
	return rc;
}

/* Why a quote in this status cannot be answered, or NULL when it can. */
static const char *answer_refusal(const json_t *q, int64_t now)
{
	const char *s = str(q, "status");
	char today[11];
	date_of(now, 0, today);
	if (is(s, "draft"))
		return "the quote has not been sent";
	if (is(s, "accepted"))
		return "the quote is already accepted";
	if (is(s, "declined"))
		return "the quote was declined";
	if (is(s, "superseded"))
		return "the quote was superseded by a newer revision";
	if (is(s, "expired") || (str(q, "valid_until") && strcmp(str(q, "valid_until"), today) < 0))
		return "the quote has expired";
	return NULL;
}

bool quote_open_to_answer(const json_t *quote, int64_t now)
{
	return answer_refusal(quote, now) == NULL;
}

/* What a sent quote must have. */
static void check_sendable(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	char today[11];
	date_of(ctx->now, 0, today);
	json_t *lines = json_object_get(rec, "lines");
	if (json_array_size(lines) == 0)
		resource_error(errors, "lines", "a quote needs at least one line to be sent");
	if (strcmp(str(rec, "valid_until"), today) < 0)
		resource_error(errors, "valid_until", "is in the past: extend it before sending");
	const char *kind = str(rec, "contract_kind");
	const char *need = is(kind, "managed") ? "service" : is(kind, "block_hours") ? "labor"
										: NULL;
	bool found = !need;
	size_t i;
	json_t *line;
	json_array_foreach(lines, i, line)
		found = found || is(str(line, "kind"), need);
	if (!found)
		resource_error(errors, "lines",
			       is(need, "service")
				       ? "a managed services quote needs a service line (the monthly fee)"
				       : "a block hours quote needs a labour line (the hours bought)");
}

static void set_now(struct resource_ctx *ctx, json_t *rec, const char *field)
{
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	json_object_set_new(rec, field, json_string(now));
}

static int quote_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			 json_t *errors)
{
	if (cur && ctx->action)
		return RC_OK;	/* the action made its change itself */
	if (cur && !is(str(cur, "status"), "draft")) {
		resource_error(errors, "status",
			       "a quote that was sent changes only by a revision: POST"
			       " /api/v1/quotes/{id}/revise");
		return RC_CONFLICT;
	}
	if (!cur) {
		json_t *s = settings(ctx);
		if (!s)
			return RC_ERROR;
		if (!has(rec, "currency"))
			json_object_set(rec, "currency", json_object_get(s, "currency"));
		if (!has(rec, "tax_rate_bp"))
			json_object_set(rec, "tax_rate_bp", json_object_get(s, "tax_rate_bp"));
		if (!has(rec, "valid_until")) {
			char until[11];
			date_of(ctx->now, (int)num(s, "quote_validity_days"), until);
			json_object_set_new(rec, "valid_until", json_string(until));
		}
		json_object_set_new(rec, "status", json_string("draft"));
		/* a revision comes with its number (a trusted write of revise); a new quote gets one */
		if (!has(rec, "number")) {
			int64_t n;
			int rc = db_next_number(ctx->db, "quotes", &n);
			if (rc != RC_OK)
				return rc;
			char number[24];
			snprintf(number, sizeof(number), "Q-%06lld", (long long)n);
			json_object_set_new(rec, "number", json_string(number));
			json_object_set_new(rec, "revision", json_integer(1));
		}
	}
	if (!has(rec, "tax_rate_bp"))
		json_object_set_new(rec, "tax_rate_bp", json_integer(0));
	catalog_check_currency(rec, "currency", errors);
	int rc = default_qualifications(ctx, rec, errors);
	return rc == RC_OK ? price_lines(ctx, rec, errors) : rc;
}

/* Actions ----------------------------------------------------------------- */

/* Moves the quote's opportunity to stage (only forward from the stages listed). */
static int move_opportunity(struct resource_ctx *ctx, const json_t *quote, const char *stage,
			    const char *const *from)
{
	if (!has(quote, "opportunity_id"))
		return RC_OK;
	struct resource_ctx c = *ctx;
	c.scope_company = 0;
	json_t *opp;
	int rc = resource_get(&c, &opportunity_resource, num(quote, "opportunity_id"), &opp);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_OK : rc;
	bool move = false;
	for (const char *const *f = from; *f; f++)
		move = move || is(str(opp, "stage"), *f);
	if (!move)
		return RC_OK;
	json_t *patch = arena_json(ctx->arena, json_pack("{s:s}", "stage", stage));
	json_t *after, *errors = NULL;
	return patch ? resource_update_trusted(&c, &opportunity_resource,
					       num(quote, "opportunity_id"), patch, &after, &errors)
		     : RC_ERROR;
}

/*
 * A draft (or an already sent quote, whose old link then stops) becomes
 * sent with a new secret link; only its hash is stored, and the reply
 * carries the link once as public_url.
 */
static int send(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		json_t *errors)
{
	check_sendable(ctx, rec, errors);
	if (json_array_size(errors))
		return RC_INVALID;
	/* the link is on the firm's address or there is none: never the caller's Host */
	const char *base = settings_public_url(ctx);
	if (!base) {
		resource_error(errors, "public_url",
			       "is not set: an admin enters the address clients reach Servio at "
			       "(Settings, public URL) before a quote can be sent");
		return RC_CONFLICT;
	}
	char token[AUTH_TOKEN_LEN], hash[65];
	auth_random_token(token);
	auth_sha256_hex(token, hash);
	json_object_set_new(rec, "status", json_string("sent"));
	set_now(ctx, rec, "sent_at");
	json_object_set_new(rec, "link_hash", json_string(hash));
	ctx->reply_extra = arena_json(ctx->arena,
				      json_pack("{s:s}", "public_url",
						arena_printf(ctx->arena, "%s/q/%s", base, token)));
	if (!ctx->reply_extra)
		return RC_ERROR;
	static const char *const from[] = { "new", "qualified", NULL };
	return move_opportunity(ctx, rec, "quoted", from);
}

/* The members a revision copies; the rest is the server's. */
static const char *const revised[] = { "company_id", "contact_id", "opportunity_id", "title",
				       "contract_kind", "valid_until", "currency",
				       "response_time_minutes", "coverage", "warranty_days",
				       "qualifications", "technicians", "lines", "tax_rate_bp",
				       "notes", NULL };

/* A new draft with the quote's content, number and the next revision; this one is superseded. */
static int revise(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	json_t *draft = arena_json(ctx->arena, json_object());
	if (!draft)
		return RC_ERROR;
	for (const char *const *m = revised; *m; m++)
		if (has(cur, *m))
			json_object_set_new(draft, *m, json_deep_copy(json_object_get(cur, *m)));
	/* amounts are the server's; a lapsed validity starts over */
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(draft, "lines"), i, line)
		json_object_del(line, "amount");
	char today[11];
	date_of(ctx->now, 0, today);
	if (strcmp(str(cur, "valid_until"), today) < 0)
		json_object_del(draft, "valid_until");
	json_object_set(draft, "number", json_object_get(cur, "number"));
	json_object_set_new(draft, "revision", json_integer(num(cur, "revision") + 1));
	json_object_set_new(draft, "previous_id", json_integer(num(cur, "id")));
	json_t *made, *errs = NULL;
	int rc = resource_create_trusted(ctx, &quote_resource, draft, &made, &errs);
	if (rc != RC_OK) {
		if (errs)
			json_array_extend(errors, errs);
		return rc;
	}
	json_object_set_new(rec, "status", json_string("superseded"));
	json_object_set_new(rec, "superseded_by_id", json_integer(num(made, "id")));
	ctx->reply = made;
	return RC_OK;
}

/* Conversion ------------------------------------------------------------------ */

/* The calendar a coverage stands for, found by name or made in the firm's zone. */
static int coverage_calendar(struct resource_ctx *ctx, const char *coverage, int64_t *id)
{
	static const struct {
		const char *coverage, *name, *hours;
		bool always;
	} cals[] = {
		{ "business_hours", "Business hours", "08:00-17:00/12345", false },
		{ "extended", "Extended hours", "07:00-20:00/123456", false },
		{ "24x7", "24x7", NULL, true },
	};
	size_t k = 0;
	while (k < 2 && !is(cals[k].coverage, coverage))
		k++;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT id FROM calendars WHERE name = ?", "s",
			cals[k].name);
	if (rc == RC_ROW) {
		*id = db_col_int(st, 0);
		db_done(st);
		return RC_OK;
	}
	if (rc != RC_DONE)
		return rc;
	json_t *s = settings(ctx);
	if (!s)
		return RC_ERROR;
	json_t *hours = json_array();
	if (cals[k].hours) {
		char start[6], end[6];
		memcpy(start, cals[k].hours, 5);
		memcpy(end, cals[k].hours + 6, 5);
		start[5] = end[5] = '\0';
		for (const char *d = strchr(cals[k].hours, '/') + 1; *d; d++)
			json_array_append_new(hours, json_pack("{s:i, s:s, s:s}", "weekday",
							       *d - '0', "start", start, "end", end));
	}
	json_t *body = arena_json(ctx->arena,
				  json_pack("{s:s, s:O, s:b, s:o}", "name", cals[k].name, "timezone",
					    json_object_get(s, "timezone"), "always_open",
					    cals[k].always, "hours", hours));
	json_t *cal = NULL, *errors = NULL;
	rc = body ? resource_create_trusted(ctx, &calendar_resource, body, &cal, &errors)
		  : RC_ERROR;
	if (rc == RC_OK)
		*id = num(cal, "id");
	return rc == RC_INVALID || rc == RC_CONFLICT ? RC_ERROR : rc;
}

/*
 * The SLA policy for the promised response time: one on the coverage's
 * calendar whose every target responds in exactly that time, or a new one
 * with that response target for every priority.
 */
static int promised_policy(struct resource_ctx *ctx, const json_t *quote, int64_t *id)
{
	int64_t minutes = num(quote, "response_time_minutes"), cal = 0;
	int rc = coverage_calendar(ctx, str(quote, "coverage"), &cal);
	if (rc != RC_OK)
		return rc;
	struct db_stmt *st;
	rc = db_run(ctx->db, &st,
		    "SELECT id, targets FROM sla_policies WHERE calendar_id = ?"
		    " AND archived_at IS NULL ORDER BY id",
		    "i", cal);
	*id = 0;
	bool open = rc == RC_ROW;
	while (rc == RC_ROW) {
		json_t *targets = json_loads(db_col_text(st, 1), 0, NULL);
		bool match = json_array_size(targets) > 0;
		size_t i;
		json_t *t;
		json_array_foreach(targets, i, t)
			match = match && num(t, "response_minutes") == minutes;
		json_decref(targets);	/* read and done with here */
		if (match) {
			*id = db_col_int(st, 0);
			db_done(st);
			return RC_OK;
		}
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE)
		return rc;
	json_t *targets = json_array();
	static const char *const prios[] = { "critical", "high", "medium", "low" };
	for (int i = 0; i < 4; i++)
		json_array_append_new(targets, json_pack("{s:s, s:I}", "priority", prios[i],
							 "response_minutes", (json_int_t)minutes));
	const char *name = arena_printf(ctx->arena, "Response in %lld min, %s (%s)",
					(long long)minutes,
					is(str(quote, "coverage"), "24x7")	    ? "24x7"
					: is(str(quote, "coverage"), "extended") ? "extended hours"
										 : "business hours",
					str(quote, "number"));
	json_t *body = arena_json(ctx->arena, json_pack("{s:s, s:I, s:o}", "name", name,
							"calendar_id", (json_int_t)cal,
							"targets", targets));
	json_t *pol = NULL, *errors = NULL;
	rc = body ? resource_create_trusted(ctx, &sla_policy_resource, body, &pol, &errors)
		  : RC_ERROR;
	if (rc == RC_OK)
		*id = num(pol, "id");
	return rc == RC_INVALID || rc == RC_CONFLICT ? RC_ERROR : rc;
}

/* Sums of the quote's lines of one kind: amounts and quantities (thousandths). */
static void line_sums(const json_t *quote, const char *kind, int64_t *amount, int64_t *qty)
{
	*amount = *qty = 0;
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(quote, "lines"), i, line) {
		if (!is(str(line, "kind"), kind))
			continue;
		int64_t q = 0;
		resource_quantity(json_object_get(line, "quantity"), &q);
		*amount += num(line, "amount");
		*qty += q;
	}
}

static int create_contract(struct resource_ctx *ctx, const json_t *quote, int64_t policy,
			   int64_t *id)
{
	char today[11];
	date_of(ctx->now, 0, today);
	const char *kind = str(quote, "contract_kind");
	json_t *body = arena_json(
		ctx->arena,
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "company_id",
			  (json_int_t)num(quote, "company_id"), "name",
			  arena_printf(ctx->arena, "%.150s (%s)", str(quote, "title"),
				       str(quote, "number")),
			  "kind", kind, "status", "active", "starts_on", today, "currency",
			  str(quote, "currency"), "notes",
			  arena_printf(ctx->arena, "From quote %s revision %lld, accepted %s.",
				       str(quote, "number"), (long long)num(quote, "revision"),
				       today),
			  "quote_id", (json_int_t)num(quote, "id")));
	if (!body)
		return RC_ERROR;
	if (policy)
		json_object_set_new(body, "sla_policy_id", json_integer(policy));
	int64_t amount, qty;
	if (is(kind, "managed")) {
		/* the service lines are the monthly fee */
		line_sums(quote, "service", &amount, &qty);
		json_object_set_new(body, "monthly_fee", json_integer(amount));
	} else if (is(kind, "block_hours")) {
		/* the labour lines are the hours bought */
		line_sums(quote, "labor", &amount, &qty);
		json_object_set_new(body, "block_minutes", json_integer(qty * 60 / 1000));
		json_object_set_new(body, "block_price", json_integer(amount));
	}
	json_t *contract = NULL, *errors = NULL;
	int rc = resource_create_trusted(ctx, &contract_resource, body, &contract, &errors);
	if (rc == RC_OK) {
		*id = num(contract, "id");
	} else if (rc == RC_INVALID || rc == RC_CONFLICT) {
		char *e = json_dumps(errors, JSON_COMPACT);
		log_error("cannot make the contract of quote %s: %s", str(quote, "number"),
			  e ? e : "");
		free(e);
		rc = RC_ERROR;
	}
	return rc;
}

/* A service order per labour line and per equipment line to install. */
static int create_orders(struct resource_ctx *ctx, const json_t *quote, int64_t contract)
{
	bool equipment = false;
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(quote, "lines"), i, line)
		equipment = equipment || is(str(line, "kind"), "equipment");
	json_array_foreach(json_object_get(quote, "lines"), i, line) {
		bool install = is(str(line, "kind"), "equipment") &&
			       json_is_true(json_object_get(line, "install"));
		if (!install && !is(str(line, "kind"), "labor"))
			continue;
		char qty[32];
		snprintf(qty, sizeof(qty), "%g", json_number_value(json_object_get(line, "quantity")));
		json_t *body = arena_json(ctx->arena, json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:I}", "subject",
			arena_printf(ctx->arena, "%s%.180s", install ? "Install: " : "",
				     str(line, "description")),
			"description",
			arena_printf(ctx->arena, "From quote %s revision %lld, line %zu: %s %s %s.",
				     str(quote, "number"), (long long)num(quote, "revision"), i + 1,
				     qty, is(str(line, "kind"), "labor") ? "h" : "x",
				     str(line, "description")),
			"kind", install || equipment ? "installation" : "service_request",
			"company_id", (json_int_t)num(quote, "company_id"), "contract_id",
			(json_int_t)contract, "quote_id", (json_int_t)num(quote, "id")));
		if (!body)
			return RC_ERROR;
		if (has(quote, "contact_id"))
			json_object_set(body, "contact_id", json_object_get(quote, "contact_id"));
		json_t *t = NULL, *errors = NULL;
		int rc = resource_create_trusted(ctx, &ticket_resource, body, &t, &errors);
		if (rc != RC_OK)
			return rc == RC_INVALID || rc == RC_CONFLICT ? RC_ERROR : rc;
	}
	return RC_OK;
}

/*
 * Acceptance: in the same transaction, the opportunity is won, the
 * contract made (with an SLA policy whose response target is the promised
 * response time, made when none matches) and a service order per labour
 * line and per equipment line to install.
 */
static int accept(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	const char *why = answer_refusal(cur, ctx->now);
	if (why) {
		resource_error(errors, "status", why);
		return RC_CONFLICT;
	}
	int64_t policy = 0, contract = 0;
	int rc = has(cur, "response_time_minutes") ? promised_policy(ctx, cur, &policy) : RC_OK;
	if (rc == RC_OK)
		rc = create_contract(ctx, cur, policy, &contract);
	if (rc == RC_OK)
		rc = create_orders(ctx, cur, contract);
	if (rc == RC_OK) {
		static const char *const from[] = { "new", "qualified", "quoted", "lost", NULL };
		rc = move_opportunity(ctx, cur, "won", from);
	}
	if (rc != RC_OK)
		return rc;
	json_object_set_new(rec, "status", json_string("accepted"));
	set_now(ctx, rec, "accepted_at");
	json_object_set(rec, "accepted_name", json_object_get(body, "name"));
	json_object_set_new(rec, "accepted_address",
			    ctx->actor->address ? json_string(ctx->actor->address) : json_null());
	/* the client accepting (the link, the portal) is no user of ours */
	bool staff = ctx->actor->user_id && ctx->actor->role != ROLE_PORTAL;
	json_object_set_new(rec, "accepted_by_id", staff ? json_integer(ctx->actor->user_id)
							 : json_null());
	json_object_set_new(rec, "contract_id", json_integer(contract));
	return RC_OK;
}

static int decline(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		   json_t *errors)
{
	const char *why = answer_refusal(cur, ctx->now);
	if (why) {
		resource_error(errors, "status", why);
		return RC_CONFLICT;
	}
	json_object_set_new(rec, "status", json_string("declined"));
	set_now(ctx, rec, "declined_at");
	json_object_set(rec, "decline_reason", json_object_get(body, "reason"));
	return RC_OK;
}

/* The sales job's: a sent quote past valid_until expires. */
static int expire(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	json_object_set_new(rec, "status", json_string("expired"));
	set_now(ctx, rec, "expired_at");
	return RC_OK;
}

static const struct field accept_body[] = {
	{ .name = "name", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1, .max = 200,
	  .doc = "The full name of who accepts: the signature." },
	FIELD_END
};

static const struct field decline_body[] = {
	{ .name = "reason", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1, .max = 2000,
	  .doc = "Why the quote is declined." },
	FIELD_END
};

#define SELLERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES)

static const char *const sendable[] = { "draft", "sent", NULL };
static const char *const revisable[] = { "sent", "declined", "expired", NULL };
static const char *const sent_only[] = { "sent", NULL };

const struct resource_action quote_send = {
	.name = "send", .from = sendable, .roles = SELLERS, .flags = ACTION_SECRET_REPLY,
	.event = "sent", .apply = send,
	.summary = "Send: a new secret link for the client (public_url, shown once)",
};
const struct resource_action quote_revise = {
	.name = "revise", .from = revisable, .roles = SELLERS,
	.flags = ACTION_CREATES | ACTION_IF_MATCH_OPTIONAL, .event = "revised", .apply = revise,
	.summary = "A new revision (a draft with the same number); this one is superseded",
};
const struct resource_action quote_accept = {
	.name = "accept", .body = accept_body, .roles = SELLERS,
	.flags = ACTION_IF_MATCH_OPTIONAL, .event = "accepted", .apply = accept,
	.summary = "Record the client's acceptance: the contract and service orders are made",
};
const struct resource_action quote_decline = {
	.name = "decline", .body = decline_body, .roles = SELLERS,
	.flags = ACTION_IF_MATCH_OPTIONAL, .event = "declined", .apply = decline,
	.summary = "Record the client's refusal",
};
static const struct resource_action expire_action = {
	.name = "expire", .from = sent_only, .event = "expired", .apply = expire,
};

static const struct resource_action *const quote_actions[] = {
	&quote_send, &quote_revise, &quote_accept, &quote_decline, &expire_action, NULL
};

const struct resource quote_resource = {
	.name = "quotes",
	.singular = "quote",
	.table = "quotes",
	.fields = quote_fields,
	.searchable = true,
	.default_sort = "-created_at",
	.prepare = quote_prepare,
	.company_field = "company_id",
	.status_field = "status",
	.actions = quote_actions,
	.event = "quote",
	.doc = "Offers of equipment and labour with their terms, sent to the client by a secret "
	       "link. `status` moves `draft` → `sent` (send) → `accepted`, `declined` or "
	       "`expired`; `sent`, `declined` and `expired` quotes may be revised, which makes a "
	       "new `draft` with the same `number` and the next `revision` and leaves this one "
	       "`superseded`. Only a draft is edited. `version` is the record's edit counter (its "
	       "ETag); `revision` is the quote's version as clients see it. The secret link is "
	       "never part of the record. `q` searches `number`, `title` and `notes`.\nTotals are "
	       "computed on every write, never taken from the client: `subtotal` = the sum of the "
	       "line amounts, `tax` = round(sum of the taxable line amounts × `tax_rate_bp` / "
	       "10000), half away from zero, `total` = `subtotal` + `tax`.",
};

int quote_by_token(struct resource_ctx *ctx, const char *token, int64_t *id)
{
	char hash[65];
	auth_sha256_hex(token, hash);
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT id FROM quotes WHERE link_hash = ?", "s", hash);
	if (rc == RC_DONE)
		return RC_NOT_FOUND;
	if (rc != RC_ROW)
		return RC_ERROR;
	*id = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

static const struct audit_actor system_actor = { .label = "system" };

int quotes_expire(struct db *db, int64_t now, char *error, size_t errlen)
{
	char today[11];
	date_of(now, 0, today);
	int64_t ids[500];
	int n = 0;
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT id FROM quotes WHERE status = 'sent' AND valid_until < ?"
			" ORDER BY id LIMIT 500",
			"s", today);
	bool open = rc == RC_ROW;
	while (rc == RC_ROW && n < 500) {
		ids[n++] = db_col_int(st, 0);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE && n < 500) {
		snprintf(error, errlen, "cannot read quotes to expire: %s", db_errmsg(db));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct arena arena;
		arena_init(&arena);
		struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &system_actor };
		json_t *out = NULL, *errors = NULL;
		rc = resource_act_trusted(&ctx, &quote_resource, &expire_action, ids[i], NULL, &out,
					  &errors);
		arena_release(&arena);
		if (rc == RC_ERROR || rc == RC_RETRY) {
			snprintf(error, errlen, "cannot expire quote %lld: %s", (long long)ids[i],
				 db_errmsg(db));
			return -1;
		}
	}
	return 0;
}

/* Reports ------------------------------------------------------------------- */

/*
 * Runs sql (binding from and to as the first two '?', each "" when open)
 * and returns its rows as objects keyed by the column names; integer
 * columns listed in ints are numbers. NULL on failure.
 */
static json_t *rows(struct resource_ctx *ctx, const char *sql, const char *from, const char *to,
		    const char *const *ints)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, sql, "ssss", from ? from : "", from ? from : "",
			to ? to : "", to ? to : "");
	json_t *out = json_array();
	bool open = rc == RC_ROW;
	while (out && rc == RC_ROW) {
		json_t *row = json_object();
		for (int c = 0; row && c < db_col_count(st); c++) {
			const char *name = db_col_name(st, c);
			bool integer = false;
			for (const char *const *i = ints; *i && !integer; i++)
				integer = is(*i, name);
			json_t *v = db_col_null(st, c) ? json_null()
				    : integer		? json_integer(db_col_int(st, c))
							: json_string(db_col_text(st, c));
			json_object_set_new(row, name, v);
		}
		json_array_append_new(out, row);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE) {
		json_decref(out);
		return NULL;
	}
	return arena_json(ctx->arena, out);
}

/* "from" and "to" bound twice each: (? = '' OR col >= ?) AND (? = '' OR col < ?) */
#define IN_RANGE(col) " (? = '' OR " col " >= ?) AND (? = '' OR " col " < ?)"

int report_pipeline(struct resource_ctx *ctx, const char *from, const char *to, json_t **out)
{
	static const char *const ints[] = { "count", "value", "sent", "accepted", "declined",
					    "expired", NULL };
	/* open and closed opportunities created in the period, by stage */
	json_t *stages_ = rows(ctx,
			       "SELECT stage, currency, COUNT(*) AS count,"
			       " COALESCE(SUM(estimated_value), 0) AS value FROM opportunities"
			       " WHERE archived_at IS NULL AND" IN_RANGE("substr(created_at, 1, 10)")
			       " GROUP BY stage, currency ORDER BY stage, currency",
			       from, to, ints);
	/* quotes by the month they were sent (first revisions: one per number) */
	json_t *months = rows(ctx,
			      "SELECT substr(q.sent_at, 1, 7) AS period, COUNT(*) AS sent,"
			      " SUM(CASE WHEN f.status = 'accepted' THEN 1 ELSE 0 END) AS accepted,"
			      " SUM(CASE WHEN f.status = 'declined' THEN 1 ELSE 0 END) AS declined,"
			      " SUM(CASE WHEN f.status = 'expired' THEN 1 ELSE 0 END) AS expired"
			      " FROM quotes q JOIN quotes f ON f.number = q.number"
			      " AND f.revision = (SELECT MAX(revision) FROM quotes m"
			      "  WHERE m.number = q.number AND m.sent_at IS NOT NULL)"
			      " WHERE q.sent_at IS NOT NULL AND q.archived_at IS NULL"
			      " AND q.revision = (SELECT MIN(revision) FROM quotes m"
			      "  WHERE m.number = q.number AND m.sent_at IS NOT NULL)"
			      " AND" IN_RANGE("substr(q.sent_at, 1, 10)")
			      " GROUP BY substr(q.sent_at, 1, 7) ORDER BY period",
			      from, to, ints);
	if (!stages_ || !months)
		return RC_ERROR;
	/* win rate: accepted of those decided, in basis points (null before any) */
	size_t i;
	json_t *m;
	json_array_foreach(months, i, m) {
		int64_t decided = num(m, "accepted") + num(m, "declined") + num(m, "expired");
		json_object_set_new(m, "win_rate_bp",
				    decided ? json_integer(num(m, "accepted") * 10000 / decided)
					    : json_null());
	}
	*out = arena_json(ctx->arena, json_pack("{s:s?, s:s?, s:O, s:O}", "from", from, "to", to,
						"stages", stages_, "win_rate", months));
	return *out ? RC_OK : RC_ERROR;
}

int report_referrals(struct resource_ctx *ctx, const char *from, const char *to, json_t **out)
{
	static const char *const ints[] = { "partner_id", "won", "revenue", NULL };
	/*
	 * Revenue won: accepted quotes by when they were accepted. The partner
	 * is the opportunity's, else the one that referred the client; the
	 * source likewise.
	 */
	json_t *partners = rows(ctx,
				"SELECT p.id AS partner_id, p.name AS name, q.currency AS currency,"
				" COUNT(*) AS won, SUM(q.total) AS revenue"
				" FROM quotes q JOIN companies c ON c.id = q.company_id"
				" LEFT JOIN opportunities o ON o.id = q.opportunity_id"
				" JOIN companies p ON p.id = COALESCE(o.referral_partner_id,"
				"  c.referred_by_id)"
				" WHERE q.status = 'accepted' AND" IN_RANGE("substr(q.accepted_at, 1, 10)")
				" GROUP BY p.id, p.name, q.currency ORDER BY revenue DESC, p.id",
				from, to, ints);
	json_t *sources = rows(ctx,
			       "SELECT COALESCE(o.source, c.lead_source, 'unknown') AS source,"
			       " q.currency AS currency, COUNT(*) AS won, SUM(q.total) AS revenue"
			       " FROM quotes q JOIN companies c ON c.id = q.company_id"
			       " LEFT JOIN opportunities o ON o.id = q.opportunity_id"
			       " WHERE q.status = 'accepted' AND" IN_RANGE("substr(q.accepted_at, 1, 10)")
			       " GROUP BY COALESCE(o.source, c.lead_source, 'unknown'), q.currency"
			       " ORDER BY revenue DESC, source",
			       from, to, ints);
	if (!partners || !sources)
		return RC_ERROR;
	*out = arena_json(ctx->arena, json_pack("{s:s?, s:s?, s:O, s:O}", "from", from, "to", to,
						"partners", partners, "sources", sources));
	return *out ? RC_OK : RC_ERROR;
}

enum job_result sales_run(struct db *db, const json_t *payload, char *error, size_t errlen)
{
	return quotes_expire(db, time_now(), error, errlen) < 0 ? JOB_RETRY : JOB_DONE;
}
