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

bool api_pdf_requested(const struct http_req *req)
{
	return strcmp(req->route->method, "GET") == 0 && pdf_id(req) > 0;
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
	struct buf out;
	char err[256];
	if (document_pdf(ctx, doc, render, &out, err, sizeof(err)) < 0) {
		log_error("request %s: cannot render %s: %s", req->id, filename, err);
		return -1;
	}
	http_set_header(req, "Content-Disposition",
			arena_printf(&req->arena, "inline; filename=\"%s\"", filename));
	/* a document, no page: it may only be framed by our own UI's preview */
	http_set_header(req, "X-Frame-Options", "SAMEORIGIN");
	http_set_header(req, "Content-Security-Policy",
			"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'");
	int rc = http_reply_text(req, 200, "application/pdf", buf_str(&out), out.len);
	buf_release(&out);
	return rc;
}
