/*
 * sales.c - the public quote link, the firm's settings, the quote's PDF and
 * the sales reports (the quote actions, send, revise, accept and decline,
 * are rows of its resource table: resources.c gives them their routes):
 *
 *   GET   /api/v1/settings                   the firm (letterhead, defaults)
 *   PATCH /api/v1/settings                   change it (If-Match)
 *   GET   /api/v1/quotes/:id.pdf             the quote as a PDF
 *   GET   /api/v1/public/quotes/:token       the quote behind a link (no login)
 *   GET   /api/v1/public/quotes/:token/pdf   its PDF
 *   POST  /api/v1/public/quotes/:token/accept   {name}: typed name as signature
 *   POST  /api/v1/public/quotes/:token/decline  {reason}
 *   GET   /api/v1/me/follow-ups              my open activities, overdue first
 *   GET   /api/v1/reports/pipeline           value by stage, quote win rate by month
 *   GET   /api/v1/reports/referrals          revenue won per partner and lead source
 *
 * A GET never changes a quote: mail scanners follow links.
 */
#include "api.h"

#include "auth/auth.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "quotes/pdf.h"
#include "quotes/quotes.h"
#include "quotes/terms.h"
#include "resource/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reply(struct http_req *req, int rc, const json_t *rec, json_t *errors, int status,
		 const char *what)
{
	return api_reply_result(req, rc, rec, errors, status, what, 0);
}

/* Settings ---------------------------------------------------------------- */

static int settings_get(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *s;
	int rc = resource_get(&ctx, &settings_resource, SETTINGS_ID, &s);
	return reply(req, rc, s, NULL, 200, "settings");
}

static int settings_patch(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t version;
	if (!api_no_query_or_reply(req))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON merge patch of the settings is required");
	if (!api_version_or_reply(req, "settings", &version) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *s = NULL, *errors = NULL;
	int rc = resource_update(&ctx, &settings_resource, SETTINGS_ID, req->body, version, &s,
				 &errors);
	return reply(req, rc, s, errors, 200, "settings");
}

/* Quotes ------------------------------------------------------------------ */

/* Renders a quote's PDF and replies it. */
int api_quote_pdf(struct http_req *req, struct resource_ctx *ctx, const json_t *quote)
{
	const char *number = json_string_value(json_object_get(quote, "number"));
	return api_reply_pdf(req, ctx, quote, quote_pdf_render,
			     arena_printf(&req->arena, "%s-rev%lld.pdf", number ? number : "quote",
					  (long long)json_integer_value(
						  json_object_get(quote, "revision"))));
}

/* GET /quotes/:id, and /quotes/:id.pdf for the document. */
static int quote_get(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	json_t *q;
	int rc = api_pdf_record(req, &quote_resource, &ctx, &id, &q);
	if (rc != 1)
		return rc;
	return api_quote_pdf(req, &ctx, q);
}

/* The members a client sees: the document, never our notes on the deal. */
static const char *const public_members[] = {
	"number", "revision", "status", "title", "currency", "valid_until", "created_at",
	"sent_at", "contract_kind", "response_time_minutes", "coverage", "warranty_days",
	"qualifications", "lines", "subtotal", "tax_rate_bp", "tax", "total", "notes",
	"accepted_at", "accepted_name", "declined_at", "coverage_text", "response_text",
	"required_certifications", NULL
};

/* The client's view of a quote (the request's). */
json_t *api_quote_client_view(struct http_req *req, const json_t *q)
{
	json_t *doc = http_json(req, json_object());
	for (const char *const *m = public_members; doc && *m; m++) {
		json_t *v = json_object_get(q, *m);
		if (v)
			json_object_set(doc, *m, v);
	}
	/* a client never reads that a technician has "no current certifications" */
	const char *qual = json_string_value(json_object_get(q, "qualifications"));
	char *room = qual ? arena_alloc(&req->arena, strlen(qual) + 1) : NULL;
	if (doc && room) {
		const char *shown = quote_qualifications_text(qual, room, strlen(qual) + 1);
		json_object_set_new(doc, "qualifications", shown ? json_string(shown) : json_null());
	}
	return doc;
}

/* The public link ------------------------------------------------------------ */

static const struct audit_actor client_actor = { .label = "client (quote link)" };

/*
 * The quote a link opens, with a context acting as the client; unknown and
 * malformed tokens look alike (404).
 */
static bool link_or_reply(struct http_req *req, struct resource_ctx *ctx, int64_t *id)
{
	const char *t = http_param(req, "token");
	if (!api_no_query_or_reply(req))
		return false;
	if (!t || strlen(t) != AUTH_TOKEN_LEN - 1)
		return http_reply_problem(req, 404, "not-found", NULL, "no such quote link"), false;
	if (!api_ctx_or_reply(req, ctx))
		return false;
	struct audit_actor *actor = arena_zalloc(&req->arena, sizeof(*actor));
	if (!actor)
		return http_reply_problem(req, 503, "unavailable", NULL, "out of memory"), false;
	*actor = client_actor;
	actor->request_id = req->id;
	actor->address = req->remote_addr;
	ctx->actor = actor;
	int rc = quote_by_token(ctx, t, id);
	if (rc == RC_NOT_FOUND)
		return http_reply_problem(req, 404, "not-found", NULL, "no such quote link"), false;
	if (rc != RC_OK)
		return http_reply_problem(req, 503, "unavailable", NULL, "cannot read the quote"),
		       false;
	return true;
}

static int public_get(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!link_or_reply(req, &ctx, &id))
		return 0;
	json_t *q, *company = NULL, *s = NULL;
	if (resource_get(&ctx, &quote_resource, id, &q) != RC_OK)
		return -1;
	resource_get(&ctx, &company_resource, json_integer_value(json_object_get(q, "company_id")),
		     &company);
	resource_get(&ctx, &settings_resource, SETTINGS_ID, &s);
	bool open = quote_open_to_answer(q, ctx.now);
	json_t *doc = api_quote_client_view(req, q);
	json_t *firm = http_json(req, json_object());
	if (!doc || !firm)
		return -1;
	static const char *const firm_members[] = { "address", "phone", "email", "website",
						    NULL };
	json_object_set(firm, "name", json_object_get(s, "firm_name"));
	for (const char *const *m = firm_members; *m; m++)
		json_object_set(firm, *m, json_object_get(s, *m));
	json_object_set_new(firm, "has_logo", json_boolean(json_is_string(
						      json_object_get(s, "logo_png"))));
	json_t *out = http_json(req, json_pack(
		"{s:O, s:{s:O}, s:O, s:b, s:s}", "quote", doc, "company", "name",
		json_object_get(company, "name") ? json_object_get(company, "name") : json_null(),
		"firm", firm, "can_respond", open, "pdf_url",
		arena_printf(&req->arena, "/api/v1/public/quotes/%s/pdf", http_param(req, "token"))));
	http_set_header(req, "Cache-Control", "no-store");
	http_set_header(req, "Referrer-Policy", "no-referrer");
	return http_reply_json(req, 200, out);
}

static int public_pdf(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!link_or_reply(req, &ctx, &id))
		return 0;
	json_t *q;
	if (resource_get(&ctx, &quote_resource, id, &q) != RC_OK)
		return -1;
	/* the client's copy carries none of our internal members */
	json_t *doc = api_quote_client_view(req, q);
	if (!doc)
		return -1;
	json_object_set(doc, "company_id", json_object_get(q, "company_id"));
	return api_quote_pdf(req, &ctx, doc);
}

/* The client answers through the link: the same actions as staff, as the client. */
static int public_answer(struct http_req *req, const struct resource_action *action)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!link_or_reply(req, &ctx, &id))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL, "a JSON body {\"%s\": …} "
									   "is required",
					  action == &quote_accept ? "name" : "reason");
	json_t *q = NULL, *errors = NULL;
	int rc = resource_act(&ctx, &quote_resource, action, id, req->body, RESOURCE_ANY_VERSION,
			      &q, &errors);
	if (rc == RC_OK)
		return http_reply_json(req, 200, api_quote_client_view(req, q));
	return reply(req, rc, NULL, errors, 200, "quote");
}

static int public_accept(struct http_req *req)
{
	return public_answer(req, &quote_accept);
}

static int public_decline(struct http_req *req)
{
	return public_answer(req, &quote_decline);
}

/* Follow-ups and reports ----------------------------------------------------- */

static int follow_ups(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	return activity_follow_ups(&ctx, &out) == RC_OK ? http_reply_json(req, 200, out) : -1;
}

static int report(struct http_req *req, bool pipeline)
{
	struct resource_ctx ctx;
	const char *from, *to;
	if (!api_period_or_reply(req, &from, &to) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	int rc = pipeline ? report_pipeline(&ctx, from, to, &out)
			  : report_referrals(&ctx, from, to, &out);
	return rc == RC_OK ? http_reply_json(req, 200, out) : -1;
}

static int pipeline_h(struct http_req *req)
{
	return report(req, true);
}

static int referrals_h(struct http_req *req)
{
	return report(req, false);
}

static const struct http_route routes[] = {
	{ "GET", "/api/v1/settings", settings_get, ROLE_STAFF, 0, NULL },
	{ "PATCH", "/api/v1/settings", settings_patch, ROLE_ADMIN, 0, NULL },
	{ "GET", "/api/v1/public/quotes/:token", public_get, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/public/quotes/:token/pdf", public_pdf, HTTP_PUBLIC, HTTP_SLOW, NULL },
	{ "POST", "/api/v1/public/quotes/:token/accept", public_accept, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/public/quotes/:token/decline", public_decline, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/me/follow-ups", follow_ups, ROLE_STAFF, 0, NULL },
	{ "GET", "/api/v1/reports/pipeline", pipeline_h, ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES,
	  HTTP_SLOW, NULL },
	{ "GET", "/api/v1/reports/referrals", referrals_h,
	  ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES, HTTP_SLOW, NULL },
};

const struct api_routes api_sales_routes = { routes, sizeof(routes) / sizeof(routes[0]) };

/* Used by resources.c for GET /quotes/:id. */
int api_quote_get(struct http_req *req)
{
	return quote_get(req);
}
