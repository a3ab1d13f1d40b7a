/*
 * crm.c - the resource tables for companies, contacts, sites and assets.
 * The engine does nearly everything; the rules particular to these records
 * are the check hooks below.
 */
#include "crm.h"

#include "auth/auth.h"
#include "db/db.h"


#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const company_kinds[] = { "client", "prospect", "partner", "vendor", NULL };

static const struct field company_fields[] = {
	FIELD_TEXT("name", F_REQUIRED | F_FILTER | F_SORT, 1, 200),
	FIELD_ENUM("kind", F_FILTER | F_SORT, company_kinds, "\"client\""),
	FIELD_TEXT("phone", 0, 1, 50),
	FIELD_EMAIL("email", F_FILTER),
	FIELD_URL("website", 0),
	{ .name = "referred_by_id", .type = FT_REF, .flags = F_FILTER, .ref = &company_resource,
	  .doc = "The company (typically a partner) that referred this one." },
	{ .name = "lead_source", .type = FT_TEXT, .flags = F_FILTER | F_SORT, .min = 1, .max = 100,
	  .doc = "Where the lead came from (free text)." },
	FIELD_TEXT("notes", 0, 0, 10000),
	{ .name = "tax_rate_bp", .type = FT_INT, .min = 0, .max = 10000,
	  .doc = "The company's own tax rate on invoices (basis points); default the firm's." },
	{ .name = "payment_terms_days", .type = FT_INT, .min = 0, .max = 365,
	  .doc = "Days the company has to pay an invoice; default the firm's." },
	{ .name = "email_domain", .type = FT_TEXT, .flags = F_FILTER, .min = 3, .max = 200,
	  .doc = "Mail from this domain (\"example.com\") opens tickets for this company when "
		 "its sender is none of its contacts." },
	FIELD_END
};

/* An e-mail domain: lower-case labels of letters, digits and hyphens, with a dot. */
static int company_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	const char *d = json_string_value(json_object_get(rec, "email_domain"));
	if (!d)
		return RC_OK;
	bool ok = strchr(d, '.') && d[0] != '.' && d[0] != '-' && d[strlen(d) - 1] != '.';
	for (const char *p = d; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		     (*p == '.' && p[1] != '.');
	if (!ok)
		resource_error(errors, "email_domain",
			       "must be a lower-case domain such as \"example.com\" (no @)");
	return RC_OK;
}

const struct resource company_resource = {
	.name = "companies",
	.singular = "company",
	.table = "companies",
	.fields = company_fields,
	.searchable = true,
	.default_sort = "name",
	.company_field = "id",
	.check = company_check,
	.doc = "Clients, prospects, referral partners and vendors. `q` searches `name`, `email`, "
	       "`website`, `phone` and `notes`.",
};

static const char *const portal_roles[] = { "technical", "billing", "admin", NULL };

static const struct field contact_fields[] = {
	FIELD_REF("company_id", F_REQUIRED | F_FILTER, &company_resource),
	FIELD_TEXT("first_name", F_REQUIRED | F_SORT, 1, 100),
	FIELD_TEXT("last_name", F_REQUIRED | F_FILTER | F_SORT, 1, 100),
	FIELD_EMAIL("email", F_FILTER | F_SORT),
	FIELD_TEXT("phone", 0, 1, 50),
	FIELD_TEXT("mobile", 0, 1, 50),
	{ .name = "title", .type = FT_TEXT, .min = 1, .max = 100, .doc = "Job title." },
	{ .name = "portal_access", .type = FT_BOOL, .flags = F_FILTER, .dflt = "false",
	  .doc = "May sign in to the client portal (after an invitation, `POST "
		 "/contacts/{id}/invite`); turning it off ends their portal sign-in at once." },
	{ .name = "portal_role", .type = FT_ENUM, .flags = F_FILTER, .enum_values = portal_roles,
	  .dflt = "\"technical\"",
	  .doc = "What the contact sees in the portal: `technical` tickets, assets and help "
		 "articles; `billing` quotes, invoices and hours left; `admin` both." },
	{ .name = "portal_invited_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When the contact was last invited to the portal." },
	{ .name = "portal_activated_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When the contact first set their portal password." },
	FIELD_TEXT("notes", 0, 0, 10000),
	{ .name = "email_bounced_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When mail to `email` bounced: no more mail goes to it until it changes." },
	{ .name = "email_bounce_reason", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0,
	  .max = 2000, .doc = "What the receiving mail server said." },
	FIELD_END
};

/*
 * A new address is worth trying again: its bounce is forgotten. A contact
 * with a portal login signs in with their address, so the login follows
 * it (and their name); an address another login has is refused.
 */
static int contact_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			   json_t *errors)
{
	if (!cur)
		return RC_OK;
	const json_t *email = json_object_get(rec, "email");
	bool moved = !json_equal(json_object_get(cur, "email"), email);
	if (moved) {
		json_object_set_new(rec, "email_bounced_at", json_null());
		json_object_set_new(rec, "email_bounce_reason", json_null());
	}
	bool renamed = !json_equal(json_object_get(cur, "first_name"),
				   json_object_get(rec, "first_name")) ||
		       !json_equal(json_object_get(cur, "last_name"), json_object_get(rec, "last_name"));
	if (!json_is_string(email) || (!moved && !renamed))
		return RC_OK;
	struct db_stmt *st;
	int64_t contact = json_integer_value(json_object_get(cur, "id"));
	int rc = db_run(ctx->db, &st, "SELECT id FROM users WHERE contact_id = ?", "i", contact);
	if (rc == RC_DONE)
		return RC_OK;
	if (rc != RC_ROW)
		return rc;
	int64_t login = db_col_int(st, 0);
	db_done(st);
	char norm[256];
	if (!auth_email_normalize(json_string_value(email), norm, sizeof(norm)))
		return RC_OK;	/* the engine refuses the address itself */
	rc = db_run(ctx->db, &st, "SELECT id FROM users WHERE email = ? AND id <> ?", "si", norm,
		    login);
	if (rc == RC_ROW) {
		db_done(st);
		resource_error(errors, "email", "is another user's or portal login's address");
		return RC_CONFLICT;
	}
	if (rc != RC_DONE)
		return rc;
	const char *name = arena_printf(ctx->arena, "%.100s %.99s",
					json_string_value(json_object_get(rec, "first_name")),
					json_string_value(json_object_get(rec, "last_name")));
	json_t *patch = arena_json(ctx->arena, json_pack("{s:s, s:s?}", "email", norm, "name", name));
	json_t *out, *errs = NULL;
	rc = patch ? resource_update_trusted(ctx, &user_resource, login, patch, &out, &errs) : RC_ERROR;
	return rc == RC_INVALID || rc == RC_CONFLICT ? RC_ERROR : rc;
}

const struct resource contact_resource = {
	.name = "contacts",
	.singular = "contact",
	.table = "contacts",
	.fields = contact_fields,
	.searchable = true,
	.default_sort = "last_name",
	.company_field = "company_id",
	.prepare = contact_prepare,
	.doc = "The people of a company the firm deals with. `q` searches `first_name`, "
	       "`last_name`, `email`, `phone`, `mobile` and `title`.",
};

static const struct field site_fields[] = {
	FIELD_REF("company_id", F_REQUIRED | F_FILTER, &company_resource),
	FIELD_TEXT("name", F_REQUIRED | F_FILTER | F_SORT, 1, 200),
	FIELD_TEXT("address_line1", 0, 1, 200),
	FIELD_TEXT("address_line2", 0, 1, 200),
	FIELD_TEXT("city", F_FILTER | F_SORT, 1, 100),
	{ .name = "region", .type = FT_TEXT, .flags = F_FILTER, .min = 1, .max = 100,
	  .doc = "State, province or county." },
	FIELD_TEXT("postal_code", F_FILTER, 1, 20),
	{ .name = "country", .type = FT_TEXT, .flags = F_FILTER, .min = 2, .max = 2,
	  .doc = "Two characters, by convention an ISO 3166-1 alpha-2 code (not checked against "
		 "the list)." },
	FIELD_TIMEZONE("timezone", 0),
	FIELD_TEXT("phone", 0, 1, 50),
	FIELD_TEXT("notes", 0, 0, 10000),
	FIELD_END
};

const struct resource site_resource = {
	.name = "sites",
	.singular = "site",
	.table = "sites",
	.fields = site_fields,
	.searchable = true,
	.default_sort = "name",
	.company_field = "company_id",
	.doc = "A company's locations, where work is done. `q` searches `name`, `address_line1`, "
	       "`city` and `postal_code`.",
};

int company_postal_site(struct resource_ctx *ctx, int64_t company_id, json_t **site)
{
	*site = NULL;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT id FROM sites WHERE company_id = ? AND archived_at IS NULL"
				      " AND address_line1 IS NOT NULL ORDER BY id LIMIT 1",
			"i", company_id);
	if (rc == RC_DONE)
		return RC_OK;
	if (rc != RC_ROW)
		return rc;
	int64_t id = db_col_int(st, 0);
	db_done(st);
	rc = resource_get(ctx, &site_resource, id, site);
	if (rc == RC_NOT_FOUND) {
		*site = NULL;
		return RC_OK;
	}
	return rc;
}

const char *const asset_kinds[] = { "workstation", "server", "printer", "network",
				    "phone", "other", NULL };

static const struct field asset_fields[] = {
	FIELD_REF("company_id", F_REQUIRED | F_FILTER, &company_resource),
	FIELD_REF("site_id", F_FILTER | F_SAME_COMPANY, &site_resource),
	FIELD_TEXT("name", F_REQUIRED | F_FILTER | F_SORT, 1, 200),
	FIELD_ENUM("kind", F_REQUIRED | F_FILTER | F_SORT, asset_kinds, NULL),
	FIELD_TEXT("manufacturer", F_FILTER | F_SORT, 1, 100),
	FIELD_TEXT("model", F_FILTER, 1, 100),
	FIELD_TEXT("serial_number", F_FILTER, 1, 100),
	{ .name = "warranty_expires_on", .type = FT_DATE, .flags = F_FILTER | F_SORT,
	  .doc = "The last day of the warranty." },
	FIELD_TEXT("notes", 0, 0, 10000),
	FIELD_END
};

const struct resource asset_resource = {
	.name = "assets",
	.singular = "asset",
	.table = "assets",
	.fields = asset_fields,
	.searchable = true,
	.default_sort = "name",
	.company_field = "company_id",
	.doc = "The client's equipment: workstations, servers, printers, network gear. `q` "
	       "searches `name`, `manufacturer`, `model` and `serial_number`.",
};
