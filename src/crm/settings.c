/*
 * settings.c - the firm itself, one record (id 1, made by its migration):
 * the letterhead on quotes (name, address, logo), the address clients
 * reach public links at, and the defaults of new quotes (currency, tax
 * rate, validity, time zone of the calendars a sale creates).
 */
#include "crm.h"

#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "render/document.h"
#include "db/db.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mail_security[] = { "starttls", "tls", "none", NULL };
#define NOT_ADMIN (ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES | ROLE_BILLING)

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
	{ .name = "document_footer", .type = FT_TEXT, .min = 1, .max = 300,
	  .doc = "One line at the foot of every page of quotes and invoices, under the firm's name: "
		 "registration number, tax id, bank details." },
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
	/* mail: the servers are the admin's business (role masks), passwords never leave */
	{ .name = "mail_from", .type = FT_EMAIL, .max = 254,
	  .doc = "The address our mail comes from and clients write to (support@…); also the "
		 "domain of our Message-IDs." },
	{ .name = "smtp_host", .type = FT_TEXT, .min = 1, .max = 253, .hidden_from = NOT_ADMIN,
	  .doc = "The SMTP server for outgoing mail; none: no mail is sent." },
	{ .name = "smtp_port", .type = FT_INT, .flags = F_NOT_NULL, .min = 1, .max = 65535,
	  .hidden_from = NOT_ADMIN },
	{ .name = "smtp_security", .type = FT_ENUM, .flags = F_NOT_NULL,
	  .enum_values = mail_security, .hidden_from = NOT_ADMIN,
	  .doc = "`starttls` (port 587), `tls` (port 465) or `none` (a relay on this host)." },
	{ .name = "smtp_username", .type = FT_TEXT, .min = 1, .max = 254, .hidden_from = NOT_ADMIN },
	{ .name = "smtp_password", .type = FT_TEXT, .flags = F_WRITE_ONLY, .min = 1, .max = 1000,
	  .doc = "Written, never read back; null clears it." },
	{ .name = "smtp_secret", .type = FT_TEXT, .flags = F_HIDDEN },
	{ .name = "imap_host", .type = FT_TEXT, .min = 1, .max = 253, .hidden_from = NOT_ADMIN,
	  .doc = "The IMAP server whose mailbox the worker polls every minute; none: no polling "
		 "(mail may still come by `servio mail-in`)." },
	{ .name = "imap_port", .type = FT_INT, .flags = F_NOT_NULL, .min = 1, .max = 65535,
	  .hidden_from = NOT_ADMIN },
	{ .name = "imap_security", .type = FT_ENUM, .flags = F_NOT_NULL,
	  .enum_values = mail_security, .hidden_from = NOT_ADMIN,
	  .doc = "`tls` (port 993), `starttls` (port 143) or `none`." },
	{ .name = "imap_username", .type = FT_TEXT, .min = 1, .max = 254, .hidden_from = NOT_ADMIN },
	{ .name = "imap_password", .type = FT_TEXT, .flags = F_WRITE_ONLY, .min = 1, .max = 1000,
	  .doc = "Written, never read back; null clears it." },
	{ .name = "imap_secret", .type = FT_TEXT, .flags = F_HIDDEN },
	{ .name = "imap_mailbox", .type = FT_TEXT, .flags = F_NOT_NULL, .min = 1, .max = 200,
	  .hidden_from = NOT_ADMIN, .doc = "The folder polled (INBOX)." },
	{ .name = "mail_flood_limit", .type = FT_INT, .flags = F_NOT_NULL, .min = 0, .max = 100000,
	  .hidden_from = NOT_ADMIN,
	  .doc = "Messages one sender may send in an hour before the rest are held for triage "
		 "instead of opening tickets (0: no limit)." },
	{ .name = "qa_sample_rate_bp", .type = FT_INT, .flags = F_NOT_NULL, .min = 0, .max = 10000,
	  .doc = "The share of each technician's finished service orders drawn every week for a "
		 "quality review, in basis points (1000 = 10 %, at least one); 0 turns the draw "
		 "off." },
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
	if (json_is_string(json_object_get(rec, "smtp_host")) &&
	    !json_is_string(json_object_get(rec, "mail_from")))
		resource_error(errors, "mail_from", "is required to send mail (smtp_host is set)");
	static const char *const hosts[] = { "smtp_host", "imap_host", NULL };
	for (const char *const *h = hosts; *h; h++) {
		const char *v = json_string_value(json_object_get(rec, *h));
		if (v && strpbrk(v, " /:@?#\\"))
			resource_error(errors, *h, "must be a host name or address, without a scheme "
				       "or port");
	}
	if (json_is_string(json_object_get(rec, "imap_host")) &&
	    !json_is_string(json_object_get(rec, "imap_username")))
		resource_error(errors, "imap_username", "is required to read the mailbox");
	return RC_OK;
}

/* The mail passwords are kept in hidden columns: written here, read by settings_secret. */
static int settings_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			    json_t *errors)
{
	static const char *const pairs[][2] = { { "smtp_password", "smtp_secret" },
						{ "imap_password", "imap_secret" } };
	for (size_t i = 0; i < 2; i++) {
		json_t *v = json_object_get(rec, pairs[i][0]);
		if (v)
			json_object_set(rec, pairs[i][1], v);
	}
	return RC_OK;
}

const struct resource settings_resource = {
	.name = "settings",
	.singular = "settings",
	.table = "settings",
	.fields = settings_fields,
	.check = settings_check,
	.prepare = settings_prepare,
};

#define PDF_MAX (32u * 1024 * 1024)

int document_pdf(struct resource_ctx *ctx, const json_t *doc, document_renderer render,
		 struct buf *out, char *err, size_t errlen)
{
	json_t *company = NULL, *s = NULL;
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	int64_t company_id = json_integer_value(json_object_get(doc, "company_id"));
	json_t *site = NULL;
	buf_init(out, PDF_MAX);
	/* the client's block: the company's name and the address of its first site */
	if (resource_get(ctx, &company_resource, company_id, &company) == RC_OK &&
	    company_postal_site(ctx, company_id, &site) == RC_OK && site) {
		static const char *const fields[] = { "address_line1", "address_line2", "city",
						      "region", "postal_code", "country", NULL };
		for (const char *const *f = fields; *f; f++)
			json_object_set(company, *f, json_object_get(site, *f));
	}
	if (resource_get(&sys, &settings_resource, SETTINGS_ID, &s) != RC_OK) {
		snprintf(err, errlen, "cannot read the settings");
		return -1;
	}
	struct doc_firm firm = {
		.name = json_string_value(json_object_get(s, "firm_name")),
		.address = json_string_value(json_object_get(s, "address")),
		.phone = json_string_value(json_object_get(s, "phone")),
		.email = json_string_value(json_object_get(s, "email")),
		.website = json_string_value(json_object_get(s, "website")),
		.footer = json_string_value(json_object_get(s, "document_footer")),
	};
	unsigned char *logo = NULL;
	if (settings_logo(s, &logo, &firm.logo_len) == 0)
		firm.logo_png = logo;
	int rc = render(doc, company, &firm, out, err, errlen);
	xfree(logo);
	if (rc < 0) {
		buf_release(out);
		return -1;
	}
	return 0;
}

const char *settings_public_url(struct resource_ctx *ctx)
{
	struct db_stmt *st;
	if (db_run(ctx->db, &st, "SELECT public_url FROM settings WHERE id = 1", "") != RC_ROW)
		return NULL;
	const char *v = db_col_text(st, 0);
	const char *out = v && *v ? arena_strdup(ctx->arena, v) : NULL;
	db_done(st);
	return out;
}

const char *settings_secret(struct resource_ctx *ctx, const char *name)
{
	/* hidden columns never leave the engine: read here */
	const char *sql = strcmp(name, "smtp_password") == 0
				  ? "SELECT smtp_secret FROM settings WHERE id = 1"
			  : strcmp(name, "imap_password") == 0
				  ? "SELECT imap_secret FROM settings WHERE id = 1"
				  : NULL;
	if (!sql)
		return NULL;
	struct db_stmt *st;
	if (db_run(ctx->db, &st, sql, "") != RC_ROW)
		return NULL;
	const char *v = db_col_text(st, 0);
	const char *out = v ? arena_strdup(ctx->arena, v) : NULL;
	db_done(st);
	return out;
}
