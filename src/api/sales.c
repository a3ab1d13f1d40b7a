/*
 * sales.c - the sales actions that are not field edits, the public quote
 * link, the firm's settings and the sales reports:
 *
 *   GET   /api/v1/settings                   the firm (letterhead, defaults)
 *   PATCH /api/v1/settings                   change it (If-Match)
 *   GET   /api/v1/quotes/:id.pdf             the quote as a PDF
 *   POST  /api/v1/quotes/:id/send            a secret link for the client (public_url)
 *   POST  /api/v1/quotes/:id/revise          a new revision; the old one is superseded
 *   POST  /api/v1/quotes/:id/accept          staff record an acceptance {name}
 *   POST  /api/v1/quotes/:id/decline         staff record a refusal {reason}
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
#include "resource/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reply(struct http_req *req, int rc, json_t *rec, json_t *errors, int status,
		 const char *what)
{
	return api_reply_result(req, rc, rec, errors, status, what, 0);
}

/*
 * A body of exactly one non-empty text member (name or reason), at most
 * max characters; else a 422 naming it.
 */
static const char *text_or_reply(struct http_req *req, const char *member, size_t max,
				 const char *what)
{
	json_t *v = json_object_get(req->body, member);
	const char *s = json_string_value(v);
	size_t n = 0;
	for (const char *p = s; p && *p; p++)
		n += ((unsigned char)*p & 0xC0) != 0x80;
	bool blank = true;
	for (const char *p = s; p && *p && blank; p++)
		blank = *p == ' ' || *p == '\t';
	if (json_is_object(req->body) && json_object_size(req->body) == 1 && s && !blank &&
	    n <= max)
		return s;
	json_t *errors = json_array();
	resource_error(errors, member, arena_printf(&req->arena, "is required: %s (1 to %zu "
								 "characters)",
						    what, max));
	http_reply_problem(req, 422, "validation", errors, "the body must be {\"%s\": text}",
			   member);
	return NULL;
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

static bool quote_id_or_reply(struct http_req *req, int64_t *id)
{
	if (!api_no_query_or_reply(req))
		return false;
	*id = api_parse_id(http_param(req, "id"));
	if (!*id)
		http_reply_problem(req, 404, "not-found", NULL, "no quote with id \"%s\"",
				   http_param(req, "id") ? http_param(req, "id") : "");
	return *id != 0;
}

/* Renders a quote's PDF and replies it. */
static int reply_pdf(struct http_req *req, struct resource_ctx *ctx, json_t *quote)
{
	json_t *company = NULL, *s = NULL;
	resource_get(ctx, &company_resource,
		     json_integer_value(json_object_get(quote, "company_id")), &company);
	if (resource_get(ctx, &settings_resource, SETTINGS_ID, &s) != RC_OK) {
		json_decref(company);
		json_decref(quote);
		return -1;
	}
	struct quote_pdf_firm firm = {
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
	buf_init(&out, 32u * 1024 * 1024);
	char err[256];
	int rc = quote_pdf_render(quote, company, &firm, &out, err, sizeof(err));
	const char *number = arena_strdup(&req->arena,
					  json_string_value(json_object_get(quote, "number")));
	const char *disposition = arena_printf(
		&req->arena, "inline; filename=\"%s-rev%lld.pdf\"", number ? number : "quote",
		(long long)json_integer_value(json_object_get(quote, "revision")));
	xfree(logo);
	json_decref(s);
	json_decref(company);
	json_decref(quote);
	if (rc < 0) {
		buf_release(&out);
		log_error("request %s: cannot render the pdf of quote %s: %s", req->id,
			  number ? number : "?", err);
		return -1;
	}
	http_set_header(req, "Content-Disposition", disposition);
	/* a document, no page: it may only be framed by our own UI's preview */
	http_set_header(req, "X-Frame-Options", "SAMEORIGIN");
	http_set_header(req, "Content-Security-Policy",
			"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'");
	rc = http_reply_text(req, 200, "application/pdf", buf_str(&out), out.len);
	buf_release(&out);
	return rc;
}

/* GET /quotes/:id, and /quotes/:id.pdf for the document. */
static int quote_get(struct http_req *req)
{
	const char *p = http_param(req, "id");
	size_t n = p ? strlen(p) : 0;
	if (n <= 4 || strcmp(p + n - 4, ".pdf") != 0)
		return api_resource_get(req);
	char digits[24];
	int64_t id = 0;
	if (n - 4 < sizeof(digits)) {
		memcpy(digits, p, n - 4);
		digits[n - 4] = '\0';
		id = api_parse_id(digits);
	}
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req))
		return 0;
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no quote with id \"%s\"", p);
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *q;
	int rc = resource_get(&ctx, &quote_resource, id, &q);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? http_reply_problem(req, 404, "not-found", NULL,
							       "no quote with id %lld", (long long)id)
					  : -1;
	return reply_pdf(req, &ctx, q);
}

/* The address a public link starts with: the settings' public_url, else our own. */
static const char *public_base(struct http_req *req, struct resource_ctx *ctx)
{
	json_t *s;
	const char *base = NULL;
	if (resource_get(ctx, &settings_resource, SETTINGS_ID, &s) == RC_OK) {
		const char *u = json_string_value(json_object_get(s, "public_url"));
		base = u ? arena_strdup(&req->arena, u) : NULL;
		json_decref(s);
	}
	if (!base) {
		const char *host = http_header(req, "Host");
		base = arena_printf(&req->arena, "http://%s", host ? host : "localhost:8080");
	}
	return base;
}

static int quote_send_h(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id, version;
	if (!quote_id_or_reply(req, &id) || !api_version_or_reply(req, "quote", &version) ||
	    !api_ctx_or_reply(req, &ctx))
		return 0;
	if (req->body && !(json_is_object(req->body) && json_object_size(req->body) == 0))
		return http_reply_problem(req, 400, "bad-body", NULL,
					  "send takes no body (or {})");
	char token[AUTH_TOKEN_LEN];
	json_t *q = NULL, *errors = NULL;
	int rc = quote_send(&ctx, id, version, token, &q, &errors);
	if (rc == RC_OK)
		json_object_set_new(q, "public_url",
				    json_string(arena_printf(&req->arena, "%s/q/%s",
							     public_base(req, &ctx), token)));
	return reply(req, rc, q, errors, 200, "quote");
}

static int quote_revise_h(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!quote_id_or_reply(req, &id) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *q = NULL, *errors = NULL;
	int rc = quote_revise(&ctx, id, &q, &errors);
	if (rc == RC_OK)
		http_set_header(req, "Location",
				arena_printf(&req->arena, "/api/v1/quotes/%lld",
					     (long long)json_integer_value(json_object_get(q, "id"))));
	return reply(req, rc, q, errors, 201, "quote");
}

/* The members a client sees: the document, never our notes on the deal. */
static const char *const public_members[] = {
	"number", "revision", "status", "title", "currency", "valid_until", "created_at",
	"sent_at", "contract_kind", "response_time_minutes", "coverage", "warranty_days",
	"qualifications", "lines", "subtotal", "tax_rate_bp", "tax", "total", "notes",
	"accepted_at", "accepted_name", "declined_at", NULL
};

/* The client's view of a quote (a new reference; takes q). */
static json_t *public_view(json_t *q)
{
	json_t *doc = json_object();
	for (const char *const *m = public_members; doc && *m; m++) {
		json_t *v = json_object_get(q, *m);
		if (v)
			json_object_set(doc, *m, v);
	}
	json_decref(q);
	return doc;
}

static int answer_h(struct http_req *req, int64_t id, struct resource_ctx *ctx, bool accept,
		    bool staff)
{
	struct quote_answer a = { .address = req->remote_addr, .staff = staff };
	if (accept)
		a.name = text_or_reply(req, "name", 200, "the full name of who accepts");
	else
		a.reason = text_or_reply(req, "reason", 2000, "why the quote is declined");
	if (!a.name && !a.reason)
		return 0;
	json_t *q = NULL, *errors = NULL;
	int rc = accept ? quote_accept(ctx, id, &a, &q, &errors)
			: quote_decline(ctx, id, &a, &q, &errors);
	if (rc == RC_OK && !staff)
		return http_reply_json(req, 200, public_view(q));
	return reply(req, rc, q, errors, 200, "quote");
}

static int staff_answer(struct http_req *req, bool accept)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!quote_id_or_reply(req, &id) || !api_ctx_or_reply(req, &ctx))
		return 0;
	return answer_h(req, id, &ctx, accept, true);
}

static int quote_accept_h(struct http_req *req)
{
	return staff_answer(req, true);
}

static int quote_decline_h(struct http_req *req)
{
	return staff_answer(req, false);
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
	json_t *doc = public_view(q);
	json_t *firm = json_object();
	static const char *const firm_members[] = { "address", "phone", "email", "website",
						    NULL };
	json_object_set(firm, "name", json_object_get(s, "firm_name"));
	for (const char *const *m = firm_members; *m; m++)
		json_object_set(firm, *m, json_object_get(s, *m));
	json_object_set_new(firm, "has_logo", json_boolean(json_is_string(
						      json_object_get(s, "logo_png"))));
	json_t *out = json_pack(
		"{s:o, s:{s:O}, s:o, s:b, s:s}", "quote", doc, "company", "name",
		json_object_get(company, "name") ? json_object_get(company, "name") : json_null(),
		"firm", firm, "can_respond", open, "pdf_url",
		arena_printf(&req->arena, "/api/v1/public/quotes/%s/pdf", http_param(req, "token")));
	json_decref(company);
	json_decref(s);
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
	json_t *company = json_incref(json_object_get(q, "company_id"));
	json_t *doc = public_view(q);
	json_object_set_new(doc, "company_id", company);
	return reply_pdf(req, &ctx, doc);
}

static int public_answer(struct http_req *req, bool accept)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!link_or_reply(req, &ctx, &id))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL, "a JSON body {\"%s\": …} "
									   "is required",
					  accept ? "name" : "reason");
	return answer_h(req, id, &ctx, accept, false);
}

static int public_accept(struct http_req *req)
{
	return public_answer(req, true);
}

static int public_decline(struct http_req *req)
{
	return public_answer(req, false);
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

/* ?from=YYYY-MM-DD&to=YYYY-MM-DD, both optional; nothing else. */
static bool period_or_reply(struct http_req *req, const char **from, const char **to)
{
	*from = *to = NULL;
	for (int i = 0; i < req->nquery; i++) {
		const char *n = req->query[i].name, *v = req->query[i].value;
		const char **slot = strcmp(n, "from") == 0 ? from : strcmp(n, "to") == 0 ? to : NULL;
		if (!slot)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "unknown query parameter \"%s\": this report takes"
						  " from and to",
						  n),
			       false;
		if (!date_valid(v))
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "%s must be a date YYYY-MM-DD", n),
			       false;
		*slot = v;
	}
	if (*from && *to && strcmp(*from, *to) >= 0)
		return http_reply_problem(req, 400, "bad-query", NULL, "from must be before to"),
		       false;
	return true;
}

static int report(struct http_req *req, bool pipeline)
{
	struct resource_ctx ctx;
	const char *from, *to;
	if (!period_or_reply(req, &from, &to) || !api_ctx_or_reply(req, &ctx))
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

#define SELLERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES)

static const struct http_route routes[] = {
	{ "GET", "/api/v1/settings", settings_get, ROLE_STAFF, 0, NULL },
	{ "PATCH", "/api/v1/settings", settings_patch, ROLE_ADMIN, 0, NULL },
	{ "POST", "/api/v1/quotes/:id/send", quote_send_h, SELLERS, HTTP_SECRET_REPLY, NULL },
	{ "POST", "/api/v1/quotes/:id/revise", quote_revise_h, SELLERS, HTTP_RAW_BODY, NULL },
	{ "POST", "/api/v1/quotes/:id/accept", quote_accept_h, SELLERS, 0, NULL },
	{ "POST", "/api/v1/quotes/:id/decline", quote_decline_h, SELLERS, 0, NULL },
	{ "GET", "/api/v1/public/quotes/:token", public_get, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/public/quotes/:token/pdf", public_pdf, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/public/quotes/:token/accept", public_accept, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/public/quotes/:token/decline", public_decline, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/me/follow-ups", follow_ups, ROLE_STAFF, 0, NULL },
	{ "GET", "/api/v1/reports/pipeline", pipeline_h, ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES,
	  0, NULL },
	{ "GET", "/api/v1/reports/referrals", referrals_h,
	  ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES, 0, NULL },
};

const struct api_routes api_sales_routes = { routes, sizeof(routes) / sizeof(routes[0]) };

/* Used by resources.c for GET /quotes/:id. */
int api_quote_get(struct http_req *req)
{
	return quote_get(req);
}
