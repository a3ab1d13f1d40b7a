/*
 * documents.c - records as PDF documents (a quote, an invoice): the
 * "/{resource}/:id.pdf" form of a record's GET route, and the reply of a
 * rendered document with the firm's letterhead from the settings.
 */
#include "api.h"

#include "core/alloc.h"
#include "core/log.h"
#include "crm/crm.h"
#include "render/document.h"
#include "resource/resource.h"

#include <stdio.h>
#include <string.h>

#define PDF_MAX (32u * 1024 * 1024)

/* The id of a ":id" that ends in ".pdf" (0 when the rest is not an id), or -1. */
static int64_t pdf_id(const struct http_req *req)
{
	const char *p = http_param(req, "id");
	size_t n = p ? strlen(p) : 0;
	if (n <= 4 || strcmp(p + n - 4, ".pdf") != 0)
		return -1;
	char digits[24];
	if (n - 4 >= sizeof(digits))
		return 0;
	memcpy(digits, p, n - 4);
	digits[n - 4] = '\0';
	return api_parse_id(digits);
}

int api_pdf_record(struct http_req *req, const struct resource *res, struct resource_ctx *ctx,
		   int64_t *id, json_t **doc)
{
	*doc = NULL;
	*id = pdf_id(req);
	if (*id < 0)
		return api_resource_get(req);
	if (!api_no_query_or_reply(req))
		return 0;
	if (!*id)
		return http_reply_problem(req, 404, "not-found", NULL, "no %s with id \"%s\"",
					  res->singular, http_param(req, "id"));
	if (!api_ctx_or_reply(req, ctx))
		return 0;
	int rc = resource_get(ctx, res, *id, doc);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 200, res->singular, *id);
	return 1;
}

int api_reply_pdf(struct http_req *req, struct resource_ctx *ctx, const json_t *doc,
		  api_pdf_render render, const char *filename)
{
	json_t *company = NULL, *s = NULL;
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	int64_t company_id = json_integer_value(json_object_get(doc, "company_id"));
	json_t *site = NULL;
	/* the client's block: the company's name and the address of its first site */
	if (resource_get(ctx, &company_resource, company_id, &company) == RC_OK &&
	    company_postal_site(ctx, company_id, &site) == RC_OK && site) {
		static const char *const fields[] = { "address_line1", "address_line2", "city",
						      "region", "postal_code", "country", NULL };
		for (const char *const *f = fields; *f; f++)
			json_object_set(company, *f, json_object_get(site, *f));
	}
	if (resource_get(&sys, &settings_resource, SETTINGS_ID, &s) != RC_OK)
		return -1;
	struct doc_firm firm = {
		.name = json_string_value(json_object_get(s, "firm_name")),
		.address = json_string_value(json_object_get(s, "address")),
		.phone = json_string_value(json_object_get(s, "phone")),
		.email = json_string_value(json_object_get(s, "email")),
		.website = json_string_value(json_object_get(s, "website")),
	};
	unsigned char *logo = NULL;
	if (settings_logo(s, &logo, &firm.logo_len) == 0)
		firm.logo_png = logo;
	struct buf out;
	buf_init(&out, PDF_MAX);
	char err[256];
	int rc = render(doc, company, &firm, &out, err, sizeof(err));
	xfree(logo);
	if (rc < 0) {
		buf_release(&out);
		log_error("request %s: cannot render %s: %s", req->id, filename, err);
		return -1;
	}
	http_set_header(req, "Content-Disposition",
			arena_printf(&req->arena, "inline; filename=\"%s\"", filename));
	/* a document, no page: it may only be framed by our own UI's preview */
	http_set_header(req, "X-Frame-Options", "SAMEORIGIN");
	http_set_header(req, "Content-Security-Policy",
			"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'");
	rc = http_reply_text(req, 200, "application/pdf", buf_str(&out), out.len);
	buf_release(&out);
	return rc;
}
