/*
 * kb.c - the knowledge-base routes that are not the engine's (articles,
 * their revisions and the ticket links are resources: resources.c gives
 * them their routes):
 *
 *   POST /api/v1/kb/preview                   {body} -> {html}: Markdown as an article renders it
 *   GET  /api/v1/kb/articles/:id/tickets      the tickets an article solved
 *   GET  /api/v1/tickets/:id/similar-articles the articles most like a ticket (at most 5)
 */
#include "api.h"

#include "auth/auth.h"
#include "core/alloc.h"
#include "kb/kb.h"
#include "resource/resource.h"
#include "service/service.h"

#include <string.h>

static const struct field preview_fields[] = {
	{ .name = "body", .type = FT_TEXT, .flags = F_REQUIRED, .min = 0,
	  .max = KB_BODY_MAX_BYTES, .doc = "Markdown, as an article's body." },
	FIELD_END
};

static int preview(struct http_req *req)
{
	if (!api_no_query_or_reply(req))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object {\"body\": Markdown} is required");
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	const char *body = json_string_value(json_object_get(req->body, "body"));
	if (resource_validate_fields(preview_fields, "preview", req->body, errors) == 0 &&
	    strlen(body) > KB_BODY_MAX_BYTES)
		resource_error(errors, "body", "must be at most 200000 bytes");
	if (json_array_size(errors))
		return api_reply_result(req, RC_INVALID, NULL, errors, 0, "preview", 0);
	char *html = kb_markdown_html(body, strlen(body));
	if (!html)
		return -1;
	json_t *out = http_json(req, json_pack("{s:s}", "html", html));
	xfree(html);
	if (!out)
		return -1;
	return http_reply_json(req, 200, out);
}

static int article_tickets(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id = api_parse_id(http_param(req, "id"));
	if (!api_no_query_or_reply(req))
		return 0;
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL,
					  "no knowledge-base article with id \"%s\"",
					  http_param(req, "id"));
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *list;
	int rc = kb_article_tickets(&ctx, id, &list);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 0, kb_article_resource.singular, id);
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O}", "data", list)));
}

static int similar(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id = api_parse_id(http_param(req, "id"));
	if (!api_no_query_or_reply(req))
		return 0;
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no ticket with id \"%s\"",
					  http_param(req, "id"));
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *ticket, *list;
	int rc = resource_get(&ctx, &ticket_resource, id, &ticket);
	if (rc == RC_OK)
		rc = kb_similar(&ctx, json_string_value(json_object_get(ticket, "subject")),
				json_string_value(json_object_get(ticket, "description")), 5,
				&list);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 0, "ticket", id);
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O}", "data", list)));
}

#define KB_WRITERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN)

static const struct http_route routes[] = {
	{ "POST", "/api/v1/kb/preview", preview, KB_WRITERS, 0, NULL },
	{ "GET", "/api/v1/kb/articles/:id/tickets", article_tickets, ROLE_STAFF, 0, NULL },
	{ "GET", "/api/v1/tickets/:id/similar-articles", similar, ROLE_STAFF, 0, NULL },
};

const struct api_routes api_kb_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
