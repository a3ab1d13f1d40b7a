/*
 * catalog.c - the product and work-type resources. Markup is shown, not
 * stored: it follows from cost and price.
 */
#include "catalog.h"

#include "auth/auth.h"
#include "core/buf.h"
#include "core/jsonout.h"
#include "core/money.h"

#include <stdio.h>
#include <string.h>

void catalog_check_currency(const json_t *rec, const char *field, json_t *errors)
{
	const char *c = json_string_value(json_object_get(rec, field));
	if (c && !money_currency_known(c))
		resource_error(errors, field, "must be an ISO 4217 code in use, such as USD or EUR");
}

static const char *const product_kinds[] = { "equipment", "software", "service", NULL };

static const struct field product_fields[] = {
	{ .name = "sku", .type = FT_TEXT, .flags = F_REQUIRED | F_FILTER | F_SORT, .min = 1,
	  .max = 64, .doc = "Unique." },
	FIELD_TEXT("name", F_REQUIRED | F_FILTER | F_SORT, 1, 200),
	FIELD_ENUM("kind", F_REQUIRED | F_FILTER | F_SORT, product_kinds, NULL),
	FIELD_TEXT("description", 0, 0, 10000),
	FIELD_CURRENCY("currency"),
	/* what the firm pays and charges: the office's business, not a technician's */
	{ .name = "unit_cost", .type = FT_MONEY, .flags = F_SORT, .min = 0, .max = 1000000000000,
	  .dflt = "0", .hidden_from = ROLE_TECHNICIAN,
	  .doc = "What the firm pays, in minor units of `currency`." },
	{ .name = "unit_price", .type = FT_MONEY, .flags = F_REQUIRED | F_SORT, .min = 0,
	  .max = 1000000000000, .hidden_from = ROLE_TECHNICIAN,
	  .doc = "What the firm charges, in minor units of `currency`." },
	FIELD_BOOL("taxable", F_FILTER, "true"),
	{ .name = "markup_bp", .type = FT_INT, .flags = F_COMPUTED, .min = 0, .max = 0,
	  .hidden_from = ROLE_TECHNICIAN,
	  .doc = "(unit_price - unit_cost) / unit_cost in basis points; null without a cost." },
	FIELD_END
};

/* The check of a resource whose only rule is its currency code. */
static int currency_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	catalog_check_currency(rec, "currency", errors);
	return RC_OK;
}

/* markup_bp: (price - cost) / cost in basis points, null without a cost */
static void product_present(json_t *rec)
{
	json_int_t cost = json_integer_value(json_object_get(rec, "unit_cost"));
	json_int_t price = json_integer_value(json_object_get(rec, "unit_price"));
	json_object_set_new(rec, "markup_bp",
			    cost > 0 ? json_integer((price - cost) * 10000 / cost) : json_null());
}

static int product_present_text(struct buf *b, const struct resource_row *r)
{
	int64_t cost = resource_row_int(r, "unit_cost");
	int64_t price = resource_row_int(r, "unit_price");
	if (buf_addstr(b, ",\"markup_bp\":") < 0)
		return -1;
	return cost > 0 ? json_write_integer(b, (price - cost) * 10000 / cost) : buf_addstr(b, "null");
}

const struct resource product_resource = {
	.name = "products",
	.singular = "product",
	.table = "products",
	.fields = product_fields,
	.searchable = true,
	.default_sort = "name",
	.check = currency_check,
	.present = product_present,
	.present_text = product_present_text,
	.doc = "What the firm sells: equipment, software and services, with cost and price. `q` "
	       "searches `sku`, `name` and `description`.",
};

static const struct field work_type_fields[] = {
	{ .name = "name", .type = FT_TEXT, .flags = F_REQUIRED | F_FILTER | F_SORT, .min = 1,
	  .max = 100, .doc = "Unique." },
	FIELD_CURRENCY("currency"),
	{ .name = "hourly_rate", .type = FT_MONEY, .flags = F_REQUIRED | F_SORT, .min = 0,
	  .max = 100000000000, .hidden_from = ROLE_TECHNICIAN,
	  .doc = "In minor units of `currency` per hour." },
	{ .name = "billable", .type = FT_BOOL, .flags = F_FILTER, .dflt = "true",
	  .doc = "Time of this type is billable unless the entry says otherwise." },
	FIELD_END
};

const struct resource work_type_resource = {
	.name = "work-types",
	.singular = "work type",
	.table = "work_types",
	.fields = work_type_fields,
	.default_sort = "name",
	.check = currency_check,
	.doc = "Kinds of labour and their hourly rates.",
};
