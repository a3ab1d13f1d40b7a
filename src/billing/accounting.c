/*
 * accounting.c - GET /api/v1/exports/invoices?format=qbo|xero|iif&from=&to=:
 * the invoices issued in a period (issued or paid, never drafts or void
 * ones), with their companies, handed to export.c for the accounting
 * product's import file.
 */
#include "billing.h"

#include "export.h"

#include "core/buf.h"
#include "crm/crm.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

#define EXPORT_MAX (64u * 1024 * 1024)

int invoices_export(struct resource_ctx *ctx, const char *format, const char *from,
		    const char *to, const char **text, size_t *len, const char **content_type,
		    const char **filename, json_t **errors)
{
	json_t *errs = arena_json(ctx->arena, json_array());
	enum export_format fmt = EXPORT_QBO;
	if (!errs)
		return RC_ERROR;
	if (!format || export_format_from_name(format, &fmt) < 0)
		resource_error(errs, "format", "must be qbo, xero or iif");
	if (json_array_size(errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	struct db_stmt *st = db_prepare(ctx->db,
					"SELECT id FROM invoices WHERE status IN ('issued', 'paid')"
					" AND archived_at IS NULL AND (? = '' OR issued_on >= ?)"
					" AND (? = '' OR issued_on < ?) ORDER BY issued_on, number");
	if (!st)
		return RC_ERROR;
	db_bind_text(st, 1, from ? from : "");
	db_bind_text(st, 2, from ? from : "");
	db_bind_text(st, 3, to ? to : "");
	db_bind_text(st, 4, to ? to : "");
	json_t *ids = arena_json(ctx->arena, json_array());
	int rc;
	while (ids && (rc = db_step(st)) == RC_ROW)
		json_array_append_new(ids, json_integer(db_col_int(st, 0)));
	db_done(st);
	json_t *invoices = arena_json(ctx->arena, json_array());
	if (!ids || !invoices)
		return RC_ERROR;
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		json_t *inv, *company;
		rc = resource_get(ctx, &invoice_resource, json_integer_value(id), &inv);
		if (rc == RC_NOT_FOUND)
			continue;
		if (rc == RC_OK)
			rc = resource_get(ctx, &company_resource,
					  json_integer_value(json_object_get(inv, "company_id")),
					  &company);
		json_t *site = NULL;
		if (rc == RC_OK)
			rc = company_postal_site(
				ctx, json_integer_value(json_object_get(inv, "company_id")), &site);
		if (rc != RC_OK)
			return rc;
		json_t *bill_to = json_pack("{s:O, s:O}", "name", json_object_get(company, "name"),
					    "email", json_object_get(company, "email"));
		if (site && bill_to)
			json_object_set_new(bill_to, "address",
					    json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "line1",
						      json_object_get(site, "address_line1"), "line2",
						      json_object_get(site, "address_line2"), "city",
						      json_object_get(site, "city"), "region",
						      json_object_get(site, "region"), "postal_code",
						      json_object_get(site, "postal_code"), "country",
						      json_object_get(site, "country")));
		json_object_set_new(inv, "company", bill_to);
		json_array_append(invoices, inv);
	}
	struct buf out;
	buf_init(&out, EXPORT_MAX);
	char err[256];
	if (export_invoices(invoices, fmt, NULL, &out, err, sizeof(err)) < 0) {
		buf_release(&out);
		resource_error(errs, "format", err);
		*errors = errs;
		return RC_CONFLICT;
	}
	*len = out.len;
	*text = arena_strndup(ctx->arena, buf_str(&out), out.len);
	buf_release(&out);
	*content_type = export_format_media_type(fmt, NULL);
	*filename = arena_printf(ctx->arena, "invoices-%s-%s.%s", from ? from : "start",
				 to ? to : "now", export_format_extension(fmt));
	return *text && *filename ? RC_OK : RC_ERROR;
}
