/*
 * contracts.c - the terms work is done under: work calendars (time zone,
 * weekly hours, holidays), SLA policies (targets per priority on a
 * calendar, the statuses that pause the clock) and contracts (which
 * policy a client's tickets get, and later how they are billed).
 */
#include "service.h"

#include "billing/billing.h"
#include "catalog/catalog.h"
#include "core/calendar.h"
#include "crm/crm.h"
#include "db/db.h"
#include "quotes/quotes.h"

#include <stdio.h>
#include <string.h>

static const struct field hours_item[] = {
	{ .name = "weekday", .type = FT_INT, .flags = F_REQUIRED, .min = 1, .max = 7,
	  .doc = "1 = Monday … 7 = Sunday." },
	{ .name = "start", .type = FT_TEXT, .flags = F_REQUIRED, .min = 5, .max = 5,
	  .doc = "Local time, `HH:MM`." },
	{ .name = "end", .type = FT_TEXT, .flags = F_REQUIRED, .min = 5, .max = 5,
	  .doc = "Local time, `HH:MM`, after `start`." },
	FIELD_END
};

static const struct field calendar_fields[] = {
	{ .name = "name", .type = FT_TEXT, .flags = F_REQUIRED | F_FILTER | F_SORT, .min = 1,
	  .max = 100, .doc = "Unique." },
	{ .name = "timezone", .type = FT_TIMEZONE, .flags = F_REQUIRED | F_FILTER, .max = 64,
	  .doc = "The zone of the hours and holidays." },
	{ .name = "always_open", .type = FT_BOOL, .flags = F_FILTER, .dflt = "false",
	  .doc = "24x7: every minute counts." },
	{ .name = "hours", .type = FT_OBJECTS, .max = 70, .dflt = "[]", .items = hours_item,
	  .doc = "Weekly working hours in local time; the ranges of a day must not overlap; "
		 "required unless `always_open`." },
	{ .name = "holidays", .type = FT_STRINGS, .min = 1000, .max = 10,
	  .doc = "Whole local days off, `YYYY-MM-DD`." },
	FIELD_END
};

/* The calendar module judges hours, holidays and the zone: one set of rules. */
static int calendar_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	struct calendar cal;
	char err[CALENDAR_ERR_LEN];
	if (calendar_init_json(&cal, json_string_value(json_object_get(rec, "timezone")),
			       json_is_true(json_object_get(rec, "always_open")),
			       json_object_get(rec, "hours"), json_object_get(rec, "holidays"), err,
			       sizeof(err)) < 0) {
		const char *field = strncmp(err, "holidays", 8) == 0 ? "holidays"
				    : strstr(err, "zone")	    ? "timezone"
								    : "hours";
		resource_error(errors, field, err);
		return RC_OK;
	}
	calendar_release(&cal);
	if (!json_is_true(json_object_get(rec, "always_open")) &&
	    json_array_size(json_object_get(rec, "hours")) == 0)
		resource_error(errors, "hours", "must list working hours unless always_open is true");
	return RC_OK;
}

const struct resource calendar_resource = {
	.name = "calendars",
	.singular = "calendar",
	.table = "calendars",
	.fields = calendar_fields,
	.default_sort = "name",
	.check = calendar_check,
	.doc = "Working hours and holidays: the business time SLA clocks count.",
};

static const char *const priorities[] = { "critical", "high", "medium", "low", NULL };

static const struct field target_item[] = {
	FIELD_ENUM("priority", F_REQUIRED, priorities, NULL),
	{ .name = "response_minutes", .type = FT_INT, .min = 0, .max = 525600,
	  .doc = "Business minutes of the policy's calendar to the first response; left out: no "
		 "response target." },
	{ .name = "resolution_minutes", .type = FT_INT, .min = 0, .max = 5256000,
	  .doc = "Business minutes of the policy's calendar to the resolution; left out: no "
		 "resolution target." },
	FIELD_END
};

static const struct field sla_policy_fields[] = {
	{ .name = "name", .type = FT_TEXT, .flags = F_REQUIRED | F_FILTER | F_SORT, .min = 1,
	  .max = 100, .doc = "Unique." },
	FIELD_REF("calendar_id", F_REQUIRED | F_FILTER, &calendar_resource),
	{ .name = "targets", .type = FT_OBJECTS, .max = 4, .dflt = "[]", .items = target_item,
	  .doc = "At most one target per priority." },
	{ .name = "pause_statuses", .type = FT_STRINGS, .min = 8, .max = 40,
	  .dflt = "[\"waiting_customer\"]",
	  .doc = "Ticket statuses that stop the resolution clock: any of `waiting_customer`, "
		 "`waiting_parts`, `escalated` and `assigned`." },
	{ .name = "is_default", .type = FT_BOOL, .flags = F_FILTER, .dflt = "false",
	  .doc = "The policy of tickets without a contract policy; making one the default takes "
		 "it from the others." },
	FIELD_END
};

static int sla_policy_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	const json_t *targets = json_object_get(rec, "targets");
	for (size_t i = 0; i < json_array_size(targets); i++) {
		const char *p = json_string_value(json_object_get(json_array_get(targets, i),
								  "priority"));
		for (size_t j = 0; p && j < i; j++) {
			const char *q = json_string_value(
				json_object_get(json_array_get(targets, j), "priority"));
			if (q && strcmp(p, q) == 0) {
				char msg[96];
				snprintf(msg, sizeof(msg), "has two targets for priority %s", p);
				resource_error(errors, "targets", msg);
				return RC_OK;
			}
		}
	}
	static const char *const pausable[] = { "waiting_customer", "waiting_parts", "escalated",
						"assigned", NULL };
	const json_t *pauses = json_object_get(rec, "pause_statuses");
	for (size_t i = 0; i < json_array_size(pauses); i++) {
		const char *s = json_string_value(json_array_get(pauses, i));
		bool ok = false;
		for (const char *const *p = pausable; *p && !ok; p++)
			ok = strcmp(*p, s) == 0;
		if (!ok) {
			resource_error(errors, "pause_statuses",
				       "items must be among: waiting_customer, waiting_parts, escalated,"
				       " assigned");
			return RC_OK;
		}
	}
	return RC_OK;
}

/* One default policy: making one the default takes it from the others. */
static int sla_policy_after(struct resource_ctx *ctx, const json_t *before, const json_t *after)
{
	if (!json_is_true(json_object_get(after, "is_default")) ||
	    json_is_true(json_object_get(before, "is_default")))
		return RC_OK;
	int64_t others[16];
	int n = 0;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT id FROM sla_policies WHERE is_default = 1 AND id <> ?",
			"i", (int64_t)json_integer_value(json_object_get(after, "id")));
	bool open = rc == RC_ROW;
	while (rc == RC_ROW) {
		if (n < 16)
			others[n++] = db_col_int(st, 0);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE)
		return rc;
	json_t *patch = arena_json(ctx->arena, json_pack("{s:b}", "is_default", 0));
	for (int i = 0; patch && i < n; i++) {
		json_t *out, *errors = NULL;
		rc = resource_update_trusted(ctx, &sla_policy_resource, others[i], patch, &out,
					     &errors);
		if (rc != RC_OK)
			return rc == RC_INVALID ? RC_ERROR : rc;
	}
	return patch ? RC_OK : RC_ERROR;
}

const struct resource sla_policy_resource = {
	.name = "sla-policies",
	.singular = "SLA policy",
	.table = "sla_policies",
	.fields = sla_policy_fields,
	.default_sort = "name",
	.check = sla_policy_check,
	.after_write = sla_policy_after,
	.doc = "SLA targets per priority, counted in a calendar's business time.",
};

static const char *const contract_kinds[] = { "time_materials", "managed", "block_hours", NULL };
static const char *const contract_statuses[] = { "draft", "active", "suspended", "ended", NULL };

static const struct field rate_item[] = {
	FIELD_REF("work_type_id", F_REQUIRED, &work_type_resource),
	{ .name = "hourly_rate", .type = FT_MONEY, .flags = F_REQUIRED, .min = 0,
	  .max = 100000000000 },
	FIELD_END
};

static const struct field addition_item[] = {
	FIELD_REF("product_id", 0, &product_resource),
	FIELD_TEXT("description", F_REQUIRED, 1, 200),
	{ .name = "unit_price", .type = FT_MONEY, .flags = F_REQUIRED, .min = 0,
	  .max = 100000000000 },
	FIELD_QUANTITY("quantity", 0, 1, 1000000000, NULL),
	FIELD_ENUM("asset_kind", 0, asset_kinds, NULL),
	FIELD_BOOL("taxable", 0, NULL),
	FIELD_END
};

static const struct field contract_fields[] = {
	FIELD_REF("company_id", F_REQUIRED | F_FILTER, &company_resource),
	FIELD_TEXT("name", F_REQUIRED | F_FILTER | F_SORT, 1, 200),
	FIELD_ENUM("kind", F_REQUIRED | F_FILTER | F_SORT, contract_kinds, NULL),
	FIELD_ENUM("status", F_FILTER | F_SORT, contract_statuses, "\"active\""),
	FIELD_DATE("starts_on", F_REQUIRED | F_FILTER | F_SORT),
	{ .name = "ends_on", .type = FT_DATE, .flags = F_FILTER | F_SORT,
	  .doc = "Not before `starts_on`." },
	{ .name = "sla_policy_id", .type = FT_REF, .flags = F_FILTER, .ref = &sla_policy_resource,
	  .doc = "The SLA policy of the contract's tickets." },
	FIELD_CURRENCY("currency"),
	{ .name = "monthly_fee", .type = FT_MONEY, .min = 0, .max = 100000000000,
	  .doc = "Required for `managed` contracts." },
	{ .name = "block_minutes", .type = FT_INT, .min = 1, .max = 10000000,
	  .doc = "Required for `block_hours` contracts." },
	{ .name = "block_price", .type = FT_MONEY, .min = 0, .max = 100000000000,
	  .doc = "Required for `block_hours` contracts." },
	{ .name = "overage_rate", .type = FT_MONEY, .min = 0, .max = 100000000000 },
	{ .name = "billing_increment_minutes", .type = FT_INT, .min = 1, .max = 1440,
	  .dflt = "15" },
	{ .name = "minimum_minutes", .type = FT_INT, .min = 0, .max = 1440, .dflt = "0" },
	FIELD_BOOL("rollover", 0, "false"),
	FIELD_TEXT("notes", 0, 0, 10000),
	/* the accepted quote the contract came from */
	{ .name = "quote_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &quote_resource,
	  .doc = "The accepted quote the contract came from (set by the acceptance); null for "
		 "contracts made otherwise." },
	{ .name = "rates", .type = FT_OBJECTS, .items = rate_item, .max = 100, .dflt = "[]",
	  .doc = "Hourly rates of this contract by work type, instead of the work type's own." },
	{ .name = "covered_work_type_ids", .type = FT_IDS, .ref = &work_type_resource, .max = 100,
	  .dflt = "[]",
	  .doc = "Managed services: the work types the monthly fee covers (none listed: all)." },
	FIELD_BOOL("parts_covered", 0, "false"),
	{ .name = "additions", .type = FT_OBJECTS, .items = addition_item, .max = 50,
	  .dflt = "[]",
	  .doc = "Billed monthly with the fee: a fixed quantity, or one per active asset of "
		 "asset_kind (per device)." },
	{ .name = "carried_minutes", .type = FT_INT, .flags = F_READ_ONLY, .min = 0, .max = 0,
	  .doc = "Block minutes carried over from the contract this one renewed (rollover)." },
	FIELD_REF("renewed_from_id", F_READ_ONLY | F_FILTER, &contract_resource),
	FIELD_REF("renewed_by_id", F_READ_ONLY, &contract_resource),
	{ .name = "block_warnings", .type = FT_INT, .flags = F_HIDDEN },
	FIELD_END
};

static int contract_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	catalog_check_currency(rec, "currency", errors);
	const char *from = json_string_value(json_object_get(rec, "starts_on"));
	const char *to = json_string_value(json_object_get(rec, "ends_on"));
	if (from && to && strcmp(to, from) < 0)
		resource_error(errors, "ends_on", "must not be before starts_on");
	const char *kind = json_string_value(json_object_get(rec, "kind"));
	if (kind && strcmp(kind, "managed") == 0 && !json_is_integer(json_object_get(rec, "monthly_fee")))
		resource_error(errors, "monthly_fee", "is required for a managed services contract");
	if (kind && strcmp(kind, "block_hours") == 0) {
		if (!json_is_integer(json_object_get(rec, "block_minutes")))
			resource_error(errors, "block_minutes", "is required for a block hours contract");
		if (!json_is_integer(json_object_get(rec, "block_price")))
			resource_error(errors, "block_price", "is required for a block hours contract");
	}
	size_t i, j;
	json_t *a, *b;
	json_t *rates = json_object_get(rec, "rates");
	json_array_foreach(rates, i, a) {
		for (j = 0; j < i; j++) {
			b = json_array_get(rates, j);
			if (json_equal(json_object_get(a, "work_type_id"), json_object_get(b, "work_type_id"))) {
				resource_error(errors, "rates", "has two rates for one work type");
				return RC_OK;
			}
		}
	}
	json_array_foreach(json_object_get(rec, "additions"), i, a)
		if (json_object_get(a, "asset_kind") && json_object_get(a, "quantity")) {
			resource_error(errors, "additions",
				       "an addition counted per asset_kind takes no quantity");
			return RC_OK;
		}
	if (json_array_size(json_object_get(rec, "covered_work_type_ids")) &&
	    (!kind || strcmp(kind, "managed") != 0))
		resource_error(errors, "covered_work_type_ids", "only a managed contract covers work");
	/* the ids inside the lists name live work types and products */
	static const struct {
		const char *field, *member, *sql, *what;
	} refs[] = {
		{ "rates", "work_type_id", "SELECT archived_at FROM work_types WHERE id = ?",
		  "work type" },
		{ "additions", "product_id", "SELECT archived_at FROM products WHERE id = ?",
		  "product" },
		{ "covered_work_type_ids", NULL, "SELECT archived_at FROM work_types WHERE id = ?",
		  "work type" },
	};
	for (size_t r = 0; r < sizeof(refs) / sizeof(refs[0]); r++) {
		json_array_foreach(json_object_get(rec, refs[r].field), i, a) {
			json_t *id = refs[r].member ? json_object_get(a, refs[r].member) : a;
			if (!json_is_integer(id))
				continue;
			struct db_stmt *st;
			int rc = db_run(ctx->db, &st, refs[r].sql, "i", (int64_t)json_integer_value(id));
			if (rc == RC_ROW) {
				bool archived = !db_col_null(st, 0);
				db_done(st);
				if (!archived)
					continue;
			} else if (rc != RC_DONE) {
				return rc;
			}
			resource_error(errors, refs[r].field,
				       arena_printf(ctx->arena, "[%zu]: refers to no live %s with id %lld",
						    i, refs[r].what, (long long)json_integer_value(id)));
		}
	}
	return RC_OK;
}

static const struct resource_action *const contract_actions[] = { &contract_renew, NULL };

const struct resource contract_resource = {
	.name = "contracts",
	.singular = "contract",
	.table = "contracts",
	.fields = contract_fields,
	.default_sort = "name",
	.check = contract_check,
	.actions = contract_actions,
	.status_field = "status",
	.company_field = "company_id",
	.event = "contract",
	.doc = "The terms a client's work is done and billed under.",
};
