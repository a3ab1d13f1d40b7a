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
#include "core/calendar.h"
#include "core/log.h"
#include "core/money.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "service/service.h"
#include "terms.h"

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
/* An activity not done by its due time. */
static bool activity_overdue(const char *due, bool done)
{
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	return due && !done && strcmp(due, now) < 0;
}

static void activity_present(json_t *rec)
{
	json_object_set_new(rec, "overdue",
			    json_boolean(activity_overdue(str(rec, "due_at"), has(rec, "done_at"))));
}

static int activity_present_text(struct buf *b, const struct resource_row *r)
{
	bool overdue = activity_overdue(resource_row_text(r, "due_at"),
					resource_row_text(r, "done_at") != NULL);
	return buf_addstr(b, overdue ? ",\"overdue\":true" : ",\"overdue\":false");
}

const struct resource activity_resource = {
	.name = "activities",
	.singular = "activity",
	.table = "activities",
	.fields = activity_fields,
	.default_sort = "-created_at",
	.prepare = activity_prepare,
	.present = activity_present,
	.present_text = activity_present_text,
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
	  .doc = "`labor` lines are the work planned on the installation orders acceptance "
		 "makes (their own service orders when nothing is installed); `service` lines "
		 "are a managed contract's monthly fee." },
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
		 "installation order for it, with the line's product as a part (quantity, the "
		 "line's unit price after its discount, the product's unit cost)." },
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
	  .doc = "The promised response time, in working minutes of the `coverage` calendar. On "
		 "acceptance the contract gets an SLA policy on that calendar: an existing one "
		 "whose every target responds in this time and has a resolution target, else a "
		 "new one responding in this time and resolving in four times it, for every "
		 "priority." },
	{ .name = "coverage", .type = FT_ENUM, .flags = F_FILTER, .enum_values = coverages,
	  .dflt = "\"business_hours\"",
	  .doc = "When the promised response time counts: `business_hours` (Monday to Friday "
		 "08:00–17:00), `extended` (Monday to Saturday 07:00–20:00) or `24x7`, in the "
		 "firm's time zone; a calendar of the same name (`Business hours`, `Extended "
		 "hours`, `24x7`) gives the hours instead when the firm has one." },
	{ .name = "warranty_days", .type = FT_INT, .min = 0, .max = 36500,
	  .doc = "The warranty promised on the work, in days." },
	{ .name = "qualifications", .type = FT_TEXT, .min = 0, .max = 10000,
	  .doc = "The qualifications promised, shown to the client. When null and `technicians` "
		 "is not empty, it is filled from the technicians' valid certifications, one "
		 "line per technician who holds any: `Ana Lopez: CompTIA A+ (CompTIA, valid "
		 "until 2027-05-01); …` (a technician without one is left out); each technician "
		 "must then be an active user (422 naming `technicians`)." },
	{ .name = "technicians", .type = FT_OBJECTS, .max = 20, .dflt = "[]",
	  .items = technician_item,
	  .doc = "The technicians proposed; replaced whole by a patch. On acceptance each "
		 "service order is assigned to one of them in turn (the first that holds every "
		 "`required_certifications`, unexpired; none: the order waits for dispatch), "
		 "and a visit is proposed for it." },
	{ .name = "required_certifications", .type = FT_STRINGS, .min = 10, .max = 200,
	  .dflt = "[]",
	  .doc = "Certification names the technicians doing the work must hold (as on "
		 "`/users/{id}/certifications`); shown to the client and, on acceptance, the "
		 "`required_certifications` of every service order." },
	{ .name = "site_id", .type = FT_REF, .flags = F_FILTER | F_SAME_COMPANY,
	  .ref = &site_resource,
	  .doc = "The client's site where the work is done: the service orders' and visits' "
		 "site on acceptance." },
	{ .name = "coverage_text", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0, .max = 0,
	  .doc = "The hours of coverage in words, from the coverage calendar's hours when the "
		 "quote was last saved or sent: `Mon–Fri 08:00–17:00 (Europe/Berlin)`, `around "
		 "the clock`." },
	{ .name = "response_text", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0, .max = 0,
	  .doc = "The promised response time in words: `within 4 working hours` (working hours "
		 "of the coverage), `within 4 hours` around the clock; null without "
		 "`response_time_minutes`." },
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
	struct buf b, line;
	buf_init(&b, 10000);
	buf_init(&line, 10000);
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
		buf_reset(&line);
		buf_addf(&line, "%s:", db_col_text(st, 0));
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
			buf_addf(&line, "%s %s", n++ ? ";" : "", db_col_text(st, 0));
			if (issuer || until)
				buf_addf(&line, " (%s%s%s%s)", issuer ? issuer : "",
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
		/* a technician without a current certification is not mentioned */
		if (n && !line.failed)
			buf_addf(&b, "%s%s", b.len ? "\n" : "", buf_str(&line));
	}
	if (rc == RC_OK && b.len && !b.failed)
		json_object_set_new(rec, "qualifications", json_string(buf_str(&b)));
	buf_release(&line);
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

/* A coverage's calendar: the firm's of that name, else the built-in hours. */
struct coverage {
	int64_t calendar_id;	/* 0: the firm has no such calendar (yet) */
	const char *name, *timezone;
	bool always_open;
	json_t *hours, *holidays;	/* ctx->arena's */
};

static int coverage_of(struct resource_ctx *ctx, const char *coverage, struct coverage *c)
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
	memset(c, 0, sizeof(*c));
	c->name = cals[k].name;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT id, timezone, always_open, hours, holidays FROM calendars"
			" WHERE name = ?",
			"s", cals[k].name);
	if (rc == RC_ROW) {
		c->calendar_id = db_col_int(st, 0);
		c->timezone = arena_strdup(ctx->arena, db_col_text(st, 1));
		c->always_open = db_col_int(st, 2) != 0;
		c->hours = arena_json(ctx->arena, json_loads(db_col_null(st, 3) ? "[]"
									 : db_col_text(st, 3),
							     0, NULL));
		c->holidays = arena_json(ctx->arena,
					 json_loads(db_col_null(st, 4) ? "[]" : db_col_text(st, 4),
						    0, NULL));
		db_done(st);
		return c->timezone && c->hours && c->holidays ? RC_OK : RC_ERROR;
	}
	if (rc != RC_DONE)
		return rc;
	json_t *s = settings(ctx);
	c->hours = arena_json(ctx->arena, json_array());
	c->holidays = arena_json(ctx->arena, json_array());
	if (!s || !c->hours || !c->holidays)
		return RC_ERROR;
	c->timezone = str(s, "timezone");
	c->always_open = cals[k].always;
	if (cals[k].hours) {
		char start[6], end[6];
		memcpy(start, cals[k].hours, 5);
		memcpy(end, cals[k].hours + 6, 5);
		start[5] = end[5] = '\0';
		for (const char *d = strchr(cals[k].hours, '/') + 1; *d; d++)
			json_array_append_new(c->hours, json_pack("{s:i, s:s, s:s}", "weekday",
								  *d - '0', "start", start, "end",
								  end));
	}
	return c->timezone ? RC_OK : RC_ERROR;
}

/*
 * The terms in words (coverage_text, response_text) from the coverage's
 * calendar as it is now: a sent quote keeps the words it was sent with.
 */
static int set_terms_text(struct resource_ctx *ctx, json_t *rec)
{
	struct coverage c;
	int rc = coverage_of(ctx, str(rec, "coverage"), &c);
	if (rc != RC_OK)
		return rc;
	char hours[QUOTE_TERMS_LEN], response[QUOTE_TERMS_LEN];
	quote_hours_text(c.hours, c.always_open, hours, sizeof(hours));
	quote_response_text(num(rec, "response_time_minutes"), c.always_open, response,
			    sizeof(response));
	bool zone = hours[0] && !c.always_open && c.timezone;
	json_object_set_new(rec, "coverage_text",
			    !hours[0] ? json_null()
			    : zone    ? json_sprintf("%s (%s)", hours, c.timezone)
				      : json_string(hours));
	json_object_set_new(rec, "response_text",
			    response[0] ? json_string(response) : json_null());
	return RC_OK;
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
	if (rc == RC_OK)
		rc = set_terms_text(ctx, rec);
	return rc == RC_OK ? price_lines(ctx, rec, errors) : rc;
}

/* Actions ----------------------------------------------------------------- */

/*
 * Moves the quote's opportunity to stage (only forward from the stages
 * listed) and writes the members of also (may be NULL) whether it moves
 * or not.
 */
static int move_opportunity(struct resource_ctx *ctx, const json_t *quote, const char *stage,
			    const char *const *from, const json_t *also)
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
	if (!move && !also)
		return RC_OK;
	json_t *patch = arena_json(ctx->arena, also ? json_deep_copy(also) : json_object());
	if (patch && move)
		json_object_set_new(patch, "stage", json_string(stage));
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
	int rc = set_terms_text(ctx, rec);
	if (rc != RC_OK)
		return rc;
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
	return move_opportunity(ctx, rec, "quoted", from, NULL);
}

/* The members a revision copies; the rest is the server's. */
static const char *const revised[] = { "company_id", "contact_id", "opportunity_id", "title",
				       "contract_kind", "valid_until", "currency",
				       "response_time_minutes", "coverage", "warranty_days",
				       "qualifications", "technicians", "required_certifications",
				       "site_id", "lines", "tax_rate_bp", "notes", NULL };

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
static int coverage_calendar(struct resource_ctx *ctx, const char *coverage, struct coverage *c)
{
	int rc = coverage_of(ctx, coverage, c);
	if (rc != RC_OK || c->calendar_id)
		return rc;
	json_t *body = arena_json(ctx->arena,
				  json_pack("{s:s, s:s, s:b, s:O}", "name", c->name, "timezone",
					    c->timezone, "always_open", c->always_open, "hours",
					    c->hours));
	json_t *cal = NULL, *errors = NULL;
	rc = body ? resource_create_trusted(ctx, &calendar_resource, body, &cal, &errors)
		  : RC_ERROR;
	if (rc == RC_OK)
		c->calendar_id = num(cal, "id");
	return rc == RC_INVALID || rc == RC_CONFLICT ? RC_ERROR : rc;
}

/* A new policy resolves in this many times the promised response time. */
#define RESOLUTION_FACTOR 4

/*
 * The SLA policy for the promised response time: one on the coverage's
 * calendar whose every target responds in exactly that time and has a
 * resolution target, or a new one responding in that time and resolving
 * in RESOLUTION_FACTOR times it, for every priority. *cal is the
 * coverage's calendar (made when the firm has none of its name).
 */
static int promised_policy(struct resource_ctx *ctx, const json_t *quote, struct coverage *cal,
			   int64_t *id)
{
	int64_t minutes = num(quote, "response_time_minutes");
	int rc = coverage_calendar(ctx, str(quote, "coverage"), cal);
	if (rc != RC_OK)
		return rc;
	struct db_stmt *st;
	rc = db_run(ctx->db, &st,
		    "SELECT id, targets FROM sla_policies WHERE calendar_id = ?"
		    " AND archived_at IS NULL ORDER BY id",
		    "i", cal->calendar_id);
	*id = 0;
	bool open = rc == RC_ROW;
	while (rc == RC_ROW) {
		json_t *targets = json_loads(db_col_text(st, 1), 0, NULL);
		bool match = json_array_size(targets) > 0;
		size_t i;
		json_t *t;
		json_array_foreach(targets, i, t)
			match = match && num(t, "response_minutes") == minutes &&
				json_is_integer(json_object_get(t, "resolution_minutes"));
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
	json_t *targets = arena_json(ctx->arena, json_array());
	static const char *const prios[] = { "critical", "high", "medium", "low" };
	for (int i = 0; targets && i < 4; i++)
		json_array_append_new(targets,
				      json_pack("{s:s, s:I, s:I}", "priority", prios[i],
						"response_minutes", (json_int_t)minutes,
						"resolution_minutes",
						(json_int_t)(minutes * RESOLUTION_FACTOR)));
	/* "Respond within 4 working hours, Business hours": the promise, for the next quote too */
	char promise[QUOTE_TERMS_LEN];
	quote_response_text(minutes, cal->always_open, promise, sizeof(promise));
	const char *name = arena_printf(ctx->arena, "Respond %s, %s", promise, cal->name);
	/* names are unique: one taken by a policy that promises otherwise gets the quote's number */
	rc = name ? db_run(ctx->db, &st, "SELECT id FROM sla_policies WHERE name = ?", "s", name)
		  : RC_ERROR;
	if (rc == RC_ROW) {
		db_done(st);
		name = arena_printf(ctx->arena, "%s (%s)", name, str(quote, "number"));
	} else if (rc != RC_DONE) {
		return rc;
	}
	json_t *body = targets && name
			       ? arena_json(ctx->arena,
					    json_pack("{s:s, s:I, s:O}", "name", name, "calendar_id",
						      (json_int_t)cal->calendar_id, "targets",
						      targets))
			       : NULL;
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

/* What the orders of one acceptance share. */
struct conversion {
	const json_t *quote;
	int64_t contract;
	size_t next_tech;	/* the technicians take the orders in turn */
	struct coverage work;	/* business hours: when visits are proposed */
};

static int failed_write(const char *what, const json_t *quote, int rc, json_t *errors)
{
	if (rc != RC_INVALID && rc != RC_CONFLICT)
		return rc;
	char *e = errors ? json_dumps(errors, JSON_COMPACT) : NULL;
	log_error("cannot make the %s of quote %s: %s", what, str(quote, "number"), e ? e : "");
	free(e);
	return RC_ERROR;
}

/* Whether user is active and holds every one of certs, unexpired today. */
static int qualified(struct resource_ctx *ctx, int64_t user, const json_t *certs, bool *ok)
{
	char today[11];
	date_of(ctx->now, 0, today);
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT active FROM users WHERE id = ? AND archived_at IS NULL", "i", user);
	*ok = false;
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_OK : rc;
	*ok = db_col_int(st, 0) != 0;
	db_done(st);
	size_t i;
	const json_t *name;
	json_array_foreach(certs, i, name) {
		if (!*ok)
			break;
		rc = db_run(ctx->db, &st,
			    "SELECT COUNT(*) FROM user_certifications WHERE user_id = ? AND name = ?"
			    " AND archived_at IS NULL AND (expires_on IS NULL OR expires_on >= ?)",
			    "iss", user, json_string_value(name), today);
		if (rc != RC_ROW)
			return rc;
		*ok = db_col_int(st, 0) > 0;
		db_done(st);
	}
	return RC_OK;
}

/* The next proposed technician, in turn, who may do the work; 0 when none may. */
static int pick_technician(struct resource_ctx *ctx, struct conversion *cv, int64_t *user)
{
	const json_t *techs = json_object_get(cv->quote, "technicians");
	size_t n = json_array_size(techs);
	*user = 0;
	for (size_t j = 0; j < n; j++) {
		size_t k = (cv->next_tech + j) % n;
		int64_t id = num(json_array_get(techs, k), "user_id");
		bool ok;
		int rc = qualified(ctx, id, json_object_get(cv->quote, "required_certifications"),
				   &ok);
		if (rc != RC_OK)
			return rc;
		if (ok) {
			*user = id;
			cv->next_tech = k + 1;
			return RC_OK;
		}
	}
	return RC_OK;
}

/* The start of the next working period of cal after the one t is in (or at t's next opening). */
static int next_opening(struct calendar *cal, int64_t t, bool after_current, int64_t *start)
{
	char err[CALENDAR_ERR_LEN];
	if (after_current) {
		struct calendar_interval iv;
		if (calendar_interval_at(cal, t, t + 2 * 86400, &iv, err, sizeof(err)) < 0)
			return RC_ERROR;
		if (iv.kind == CALENDAR_COUNTED)
			t = iv.end;
	}
	return calendar_add_minutes(cal, t, 0, start, err, sizeof(err)) < 0 ? RC_ERROR : RC_OK;
}

/*
 * A proposed visit for the order: the technician at the next opening of
 * the business hours after today's, for the work planned (an hour when
 * none is), moved past the technician's appointments it would overlap.
 */
static int propose_visit(struct resource_ctx *ctx, struct conversion *cv, const json_t *order,
			 int64_t planned)
{
	int64_t user = num(order, "assignee_id");
	struct calendar cal;
	char err[CALENDAR_ERR_LEN];
	if (calendar_init_json(&cal, cv->work.timezone, cv->work.always_open, cv->work.hours,
			       cv->work.holidays, err, sizeof(err)) < 0) {
		log_error("cannot propose a visit for quote %s: %s", str(cv->quote, "number"), err);
		return RC_ERROR;
	}
	int64_t cursor = ctx->now, start = 0, end = 0, minutes = planned > 0 ? planned : 60;
	int rc = RC_OK;
	bool free_slot = false;
	for (int tries = 0; rc == RC_OK && !free_slot && tries < 20; tries++) {
		rc = next_opening(&cal, cursor, tries == 0, &start);
		if (rc == RC_OK && calendar_add_minutes(&cal, start, minutes, &end, err,
							sizeof(err)) < 0)
			rc = RC_ERROR;
		if (rc != RC_OK)
			break;
		if (end - start > 14 * 86400)
			end = start + 14 * 86400;
		char s[TIME_RFC3339_LEN], e[TIME_RFC3339_LEN];
		time_format(start, s);
		time_format(end, e);
		struct db_stmt *st;
		rc = db_run(ctx->db, &st,
			    "SELECT MAX(ends_at) FROM appointments WHERE user_id = ? AND starts_at < ?"
			    " AND ends_at > ? AND status <> 'cancelled' AND archived_at IS NULL",
			    "iss", user, e, s);
		if (rc != RC_ROW)
			break;
		rc = RC_OK;
		if (db_col_null(st, 0) || time_parse(db_col_text(st, 0), &cursor) < 0)
			free_slot = true;
		db_done(st);
	}
	calendar_release(&cal);
	if (rc != RC_OK)
		return rc;
	char s[TIME_RFC3339_LEN], e[TIME_RFC3339_LEN];
	time_format(start, s);
	time_format(end, e);
	json_t *body = arena_json(ctx->arena, json_pack(
		"{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "ticket_id",
		(json_int_t)num(order, "id"), "user_id", (json_int_t)user, "starts_at", s,
		"ends_at", e, "status", "proposed", "title",
		arena_printf(ctx->arena, "%.170s (%s)", str(order, "subject"), str(order, "number")),
		"notes",
		arena_printf(ctx->arena, "Proposed on acceptance of quote %s: confirm the time with "
					 "the client.", str(cv->quote, "number")),
		"allow_overlap", !free_slot));
	if (!body)
		return RC_ERROR;
	if (has(order, "site_id"))
		json_object_set(body, "site_id", json_object_get(order, "site_id"));
	json_t *out = NULL, *errors = NULL;
	rc = resource_create_trusted(ctx, &appointment_resource, body, &out, &errors);
	return rc == RC_OK ? RC_OK : failed_write("visit", cv->quote, rc, errors);
}

/*
 * One service order: the quote's client, contact, site, contract and
 * required certifications, the work planned on it, a proposed technician
 * who may do it (assigned) and then a proposed visit. *out is the order.
 */
static int make_order(struct resource_ctx *ctx, struct conversion *cv, const char *subject,
		      const char *kind, struct buf *description, int64_t planned, json_t **out)
{
	const json_t *quote = cv->quote;
	int64_t user;
	int rc = pick_technician(ctx, cv, &user);
	if (rc != RC_OK)
		return rc;
	const json_t *certs = json_object_get(quote, "required_certifications");
	if (json_array_size(certs)) {
		buf_addstr(description, "\nRequired certifications: ");
		size_t i;
		const json_t *c;
		json_array_foreach(certs, i, c)
			buf_addf(description, "%s%s", i ? ", " : "", json_string_value(c));
		buf_addstr(description, ".");
	}
	if (!user && json_array_size(json_object_get(quote, "technicians")))
		buf_addstr(description, "\nNone of the technicians proposed holds every required "
					"certification today: dispatch chooses who goes.");
	if (description->failed)
		return RC_ERROR;
	json_t *body = arena_json(ctx->arena, json_pack(
		"{s:s, s:s, s:s, s:I, s:I, s:I, s:O}", "subject", subject, "description",
		buf_str(description), "kind", kind, "company_id",
		(json_int_t)num(quote, "company_id"), "contract_id", (json_int_t)cv->contract,
		"quote_id", (json_int_t)num(quote, "id"), "required_certifications",
		certs ? certs : json_array()));
	if (!body)
		return RC_ERROR;
	static const char *const copied[] = { "contact_id", "site_id", NULL };
	for (const char *const *m = copied; *m; m++)
		if (has(quote, *m))
			json_object_set(body, *m, json_object_get(quote, *m));
	if (planned > 0)
		json_object_set_new(body, "planned_minutes", json_integer(planned));
	if (user)
		json_object_set_new(body, "assignee_id", json_integer(user));
	json_t *errors = NULL;
	rc = resource_create_trusted(ctx, &ticket_resource, body, out, &errors);
	if (rc != RC_OK)
		return failed_write("service order", quote, rc, errors);
	return user ? propose_visit(ctx, cv, *out, planned) : RC_OK;
}

/* An installed line's product, used on its order: quantity and the price quoted. */
static int add_part(struct resource_ctx *ctx, const json_t *quote, const json_t *line,
		    int64_t order)
{
	if (!has(line, "product_id"))
		return RC_OK;
	int64_t price;
	if (money_line_amount(1000, num(line, "unit_price"), num(line, "discount_bp"), &price) < 0)
		return RC_ERROR;
	json_t *body = arena_json(ctx->arena, json_pack(
		"{s:O, s:O, s:I}", "product_id", json_object_get(line, "product_id"), "quantity",
		json_object_get(line, "quantity"), "unit_price", (json_int_t)price));
	if (!body)
		return RC_ERROR;
	struct resource_ctx c = *ctx;
	c.parent_id = order;
	json_t *out = NULL, *errors = NULL;
	int rc = resource_create_trusted(&c, &part_resource, body, &out, &errors);
	return rc == RC_OK ? RC_OK : failed_write("part", quote, rc, errors);
}

/* "6 h", "1.5 h" of a labour line's quantity (thousandths of hours). */
static const char *hours_of(struct resource_ctx *ctx, const json_t *line)
{
	char qty[32];
	snprintf(qty, sizeof(qty), "%g", json_number_value(json_object_get(line, "quantity")));
	return arena_printf(ctx->arena, "%s h", qty);
}

static int64_t labour_minutes(const json_t *line)
{
	int64_t q = 0;
	resource_quantity(json_object_get(line, "quantity"), &q);
	return (q * 60 + 500) / 1000;
}

/*
 * The service orders: one installation order per equipment line to
 * install, with its product as a part; the labour lines are the work
 * planned on those orders (their minutes shared out, their lines named in
 * each description). With nothing to install, each labour line is an
 * order of its own, as before.
 */
static int create_orders(struct resource_ctx *ctx, const json_t *quote, int64_t contract)
{
	struct conversion cv = { .quote = quote, .contract = contract };
	int rc = coverage_of(ctx, "business_hours", &cv.work);
	if (rc != RC_OK)
		return rc;
	const json_t *lines = json_object_get(quote, "lines");
	bool equipment = false;
	int64_t installs = 0, labour = 0;
	size_t i;
	json_t *line;
	json_array_foreach(lines, i, line) {
		const char *kind = str(line, "kind");
		equipment = equipment || is(kind, "equipment");
		if (is(kind, "equipment") && json_is_true(json_object_get(line, "install")))
			installs++;
		if (is(kind, "labor"))
			labour += labour_minutes(line);
	}
	int64_t k = 0;
	json_array_foreach(lines, i, line) {
		bool install = is(str(line, "kind"), "equipment") &&
			       json_is_true(json_object_get(line, "install"));
		bool labor = is(str(line, "kind"), "labor");
		if (!install && !(labor && !installs))
			continue;
		char qty[32];
		snprintf(qty, sizeof(qty), "%g", json_number_value(json_object_get(line, "quantity")));
		struct buf d;
		buf_init(&d, 50000);
		buf_addf(&d, "From quote %s revision %lld, line %zu: %s %s %s.", str(quote, "number"),
			 (long long)num(quote, "revision"), i + 1, qty, labor ? "h" : "x",
			 str(line, "description"));
		int64_t planned = labor ? labour_minutes(line) : 0;
		if (install && labour) {
			/* the labour, shared out: the first orders take the odd minutes */
			planned = labour / installs + (k < labour % installs ? 1 : 0);
			buf_addstr(&d, installs > 1 ? "\nPlanned work (the quote's labour, shared by "
						      "its installation orders): "
						    : "\nPlanned work (the quote's labour): ");
			size_t j, n = 0;
			json_t *l;
			json_array_foreach(lines, j, l)
				if (is(str(l, "kind"), "labor"))
					buf_addf(&d, "%s%s %s", n++ ? "; " : "", hours_of(ctx, l),
						 str(l, "description"));
			if (installs > 1)
				buf_addf(&d, " (%lld h %02lld min on this order)",
					 (long long)(planned / 60), (long long)(planned % 60));
			buf_addstr(&d, ".");
		}
		json_t *order = NULL;
		rc = make_order(ctx, &cv,
				arena_printf(ctx->arena, "%s%.180s", install ? "Install: " : "",
					     str(line, "description")),
				install || equipment ? "installation" : "service_request", &d,
				planned, &order);
		buf_release(&d);
		if (rc == RC_OK && install)
			rc = add_part(ctx, quote, line, num(order, "id"));
		if (rc != RC_OK)
			return rc;
		k++;
	}
	return RC_OK;
}

/*
 * Acceptance: in the same transaction, the opportunity is won at the
 * accepted total, the contract made (with the SLA policy of the promise,
 * reused when one matches) and the service orders with their parts,
 * planned work, technicians, certifications, site and proposed visits.
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
	struct coverage cal;
	int rc = has(cur, "response_time_minutes") ? promised_policy(ctx, cur, &cal, &policy)
						   : RC_OK;
	if (rc == RC_OK)
		rc = create_contract(ctx, cur, policy, &contract);
	if (rc == RC_OK)
		rc = create_orders(ctx, cur, contract);
	if (rc == RC_OK) {
		static const char *const from[] = { "new", "qualified", "quoted", "lost", NULL };
		/* the deal is worth what was accepted */
		json_t *value = arena_json(ctx->arena,
					   json_pack("{s:I, s:s}", "estimated_value",
						     (json_int_t)num(cur, "total"), "currency",
						     str(cur, "currency")));
		rc = value ? move_opportunity(ctx, cur, "won", from, value) : RC_ERROR;
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
