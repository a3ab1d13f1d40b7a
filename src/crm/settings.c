/*
 * settings.c - the firm itself, one record (id 1, made by its migration):
 * the letterhead on quotes (name, address, logo), the address clients
 * reach public links at, and the defaults of new quotes (currency, tax
 * rate, validity, time zone of the calendars a sale creates).
 */
#include "crm.h"

#include "catalog/catalog.h"
#include "core/alloc.h"
#include "db/db.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const struct field settings_fields[] = {
	FIELD_TEXT("firm_name", F_REQUIRED, 1, 200),
	FIELD_TEXT("address", 0, 0, 1000),
	FIELD_TEXT("phone", 0, 0, 50),
	FIELD_EMAIL("email", 0),
	FIELD_URL("website", 0),
	/* where clients reach this server: the start of every public link */
	FIELD_URL("public_url", 0),
	FIELD_TIMEZONE("timezone", F_REQUIRED),
	FIELD_CURRENCY("currency"),
	FIELD_INT("tax_rate_bp", F_NOT_NULL, 0, 10000),
	FIELD_INT("quote_validity_days", F_NOT_NULL, 1, 3650),
	/* base64 of a PNG; 512 KiB of image at most */
	FIELD_TEXT("logo_png", 0, 1, 700000),
	{ .name = "billing_increment_minutes", .type = FT_INT, .flags = F_NOT_NULL, .min = 1,
	  .max = 1440, .doc = "Work under no contract bills in steps of this many minutes." },
	{ .name = "minimum_minutes", .type = FT_INT, .flags = F_NOT_NULL, .min = 0, .max = 1440,
	  .doc = "Work under no contract bills at least this long." },
	{ .name = "labor_taxable", .type = FT_BOOL, .flags = F_NOT_NULL,
	  .doc = "Labour lines of invoices are taxed." },
	{ .name = "payment_terms_days", .type = FT_INT, .flags = F_NOT_NULL, .min = 0, .max = 365,
	  .doc = "Days to pay an invoice, unless the company says otherwise." },
	{ .name = "time_approval", .type = FT_BOOL, .flags = F_NOT_NULL,
	  .doc = "Only time a manager approved bills." },
	FIELD_END
};

int settings_logo(const json_t *settings, unsigned char **png, size_t *len)
{
	const char *b64 = json_string_value(json_object_get(settings, "logo_png"));
	*png = NULL;
	*len = 0;
	if (!b64)
		return 0;
	size_t max = strlen(b64) / 4 * 3 + 3;
	unsigned char *out = xmalloc(max);
	if (!out)
		return -1;
	size_t n;
	if (sodium_base642bin(out, max, b64, strlen(b64), " \n\r", &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n < 8 || memcmp(out, "\x89PNG\r\n\x1a\n", 8) != 0) {
		xfree(out);
		return -1;
	}
	*png = out;
	*len = n;
	return 0;
}

static int settings_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	catalog_check_currency(rec, "currency", errors);
	unsigned char *png;
	size_t len;
	if (settings_logo(rec, &png, &len) < 0)
		resource_error(errors, "logo_png", "must be a PNG image in base64");
	xfree(png);
	const char *url = json_string_value(json_object_get(rec, "public_url"));
	if (url && url[strlen(url) - 1] == '/')
		resource_error(errors, "public_url", "must not end with a slash");
	return RC_OK;
}

const struct resource settings_resource = {
	.name = "settings",
	.singular = "settings",
	.table = "settings",
	.fields = settings_fields,
	.check = settings_check,
};
