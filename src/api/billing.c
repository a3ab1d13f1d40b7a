/*
 * billing.c - getting paid over HTTP: the routes that are not records.
 * Invoices, payments and credit notes are resource routes (resources.c),
 * their actions (issue, void, credit, renew, approve) come from the action
 * tables, and GET /invoices/:id.pdf is the invoice's document
 * (api_invoice_get, here).
 *
 *   POST /api/v1/invoice-runs                  {from, to, company_id?, dry_run?}
 *   GET  /api/v1/contracts/:id/balance         a block's hours, drawn and left
 *   POST /api/v1/time-entries/approve-week     {user_id, week_of, undo?}
 *   GET  /api/v1/reports/profitability         revenue - labour - parts, per client, contract, month
 *   GET  /api/v1/reports/utilisation           billable / working minutes per technician
 *   GET  /api/v1/reports/block-burn            block hours drawn per contract and month
 *   GET  /api/v1/reports/revenue-by-kind       invoiced revenue per contract kind and month
 *   GET  /api/v1/reports/ar-ageing?as_of=      what clients owe, by days past due
 *   GET  /api/v1/exports/invoices?format=qbo|xero|iif&from=&to=
 *                                              issued invoices for the accounting product
 */
#include "api.h"

#include "auth/auth.h"
#include "billing/billing.h"
#include "billing/pdf.h"
#include "core/timeutil.h"
#include "resource/resource.h"

#include <stdio.h>
#include <string.h>

static int reply(struct http_req *req, int rc, const json_t *out, json_t *errors, int status,
		 const char *what, int64_t id)
{
	if (rc == RC_OK)
		return http_reply_json(req, status, out);
	return api_reply_result(req, rc, NULL, errors, status, what, id);
}

/*
 * A body of the members fields names (validated there), or a 400/422
 * reply. Returns the body (the request's) or NULL.
 */
static const json_t *body_or_reply(struct http_req *req, const struct field *fields,
				   const char *what)
{
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object is required: see the %s fields", what),
		       NULL;
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return NULL;
	if (resource_validate_fields(fields, what, req->body, errors))
		return http_reply_problem(req, 422, "validation", errors, "the %s has invalid fields",
					  what),
		       NULL;
	return req->body;
}

/*
 * A run's reply stays in memory up to this size; past it the text goes to
 * a temporary file and is sent from there (a month of the benchmark
 * firm's 10,000 clients is 18 MB of JSON).
 */
#define RUN_REPLY_IN_MEMORY (256u * 1024)

static int run_h(struct http_req *req)
{
	static const struct field fields[] = {
		FIELD_DATE("from", F_REQUIRED),
		FIELD_DATE("to", F_REQUIRED),
		{ .name = "company_id", .type = FT_REF, .ref = NULL },
		FIELD_BOOL("dry_run", 0, NULL),
		FIELD_END
	};
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req))
		return 0;
	const json_t *b = body_or_reply(req, fields, "invoice run");
	if (!b || !api_ctx_or_reply(req, &ctx))
		return 0;
	bool dry = json_is_true(json_object_get(b, "dry_run"));
	json_t *errors = NULL;
	int64_t run = 0;
	struct spool out;
	spool_init(&out, RUN_REPLY_IN_MEMORY);
	int rc = invoice_run(&ctx, json_string_value(json_object_get(b, "from")),
			     json_string_value(json_object_get(b, "to")),
			     json_integer_value(json_object_get(b, "company_id")), dry, &out, &run,
			     &errors);
	if (rc != RC_OK) {
		spool_release(&out);
		return api_reply_result(req, rc, NULL, errors, 0, "invoice run", 0);
	}
	if (!dry)
		http_set_header(req, "Location",
				arena_printf(&req->arena, "/api/v1/invoice-runs/%lld", (long long)run));
	/* the text is complete (run_txn finished it): in memory, or in its file */
	int status = dry ? 200 : 201;
	uint64_t size;
	int fd = spool_take_fd(&out, &size);
	if (fd >= 0)
		http_reply_file(req, status, "application/json", fd, size);
	else
		http_reply_text(req, status, "application/json", out.b.data, out.b.len);
	spool_release(&out);
	return 0;
}

static int balance_h(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id = api_parse_id(http_param(req, "id"));
	if (!api_no_query_or_reply(req))
		return 0;
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no contract with id \"%s\"",
					  http_param(req, "id"));
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out = NULL, *errors = NULL;
	int rc = contract_balance(&ctx, id, &out, &errors);
	return reply(req, rc, out, errors, 200, "contract", id);
}

static int approve_week_h(struct http_req *req)
{
	static const struct field fields[] = {
		{ .name = "user_id", .type = FT_REF, .flags = F_REQUIRED, .ref = NULL },
		FIELD_DATE("week_of", F_REQUIRED),
		FIELD_BOOL("undo", 0, NULL),
		FIELD_END
	};
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req))
		return 0;
	const json_t *b = body_or_reply(req, fields, "approval");
	if (!b || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out = NULL, *errors = NULL;
	int rc = time_approve_week(&ctx, json_integer_value(json_object_get(b, "user_id")),
				   json_string_value(json_object_get(b, "week_of")),
				   json_is_true(json_object_get(b, "undo")), &out, &errors);
	return reply(req, rc, out, errors, 200, "time entry", 0);
}

typedef int (*period_report)(struct resource_ctx *, const char *, const char *, json_t **);

static int period_h(struct http_req *req, period_report fn)
{
	struct resource_ctx ctx;
	const char *from, *to;
	if (!api_period_or_reply(req, &from, &to) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	return fn(&ctx, from, to, &out) == RC_OK ? http_reply_json(req, 200, out) : -1;
}

static int profitability_h(struct http_req *req)
{
	return period_h(req, report_profitability);
}

static int utilisation_h(struct http_req *req)
{
	return period_h(req, report_utilisation);
}

static int block_burn_h(struct http_req *req)
{
	return period_h(req, report_block_burn);
}

static int revenue_h(struct http_req *req)
{
	return period_h(req, report_revenue_by_kind);
}

static int ageing_h(struct http_req *req)
{
	struct resource_ctx ctx;
	const char *as_of = NULL;
	for (int i = 0; i < req->nquery; i++) {
		if (strcmp(req->query[i].name, "as_of") != 0)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "unknown query parameter \"%s\": this report takes"
						  " as_of",
						  req->query[i].name);
		if (!date_valid(req->query[i].value))
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "as_of must be a date YYYY-MM-DD");
		as_of = req->query[i].value;
	}
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	return report_ar_ageing(&ctx, as_of, &out) == RC_OK ? http_reply_json(req, 200, out) : -1;
}

/* format plus the period of the reports (issued_on in [from, to)). */
static int export_h(struct http_req *req)
{
	const char *format = NULL, *from = NULL, *to = NULL;
	for (int i = 0; i < req->nquery; i++) {
		const char *n = req->query[i].name, *v = req->query[i].value;
		if (strcmp(n, "format") == 0) {
			format = v;
			continue;
		}
		const char **slot = strcmp(n, "from") == 0 ? &from : strcmp(n, "to") == 0 ? &to : NULL;
		if (!slot)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "unknown query parameter \"%s\": the export takes"
						  " format, from and to",
						  n);
		if (!date_valid(v))
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "%s must be a date YYYY-MM-DD", n);
		*slot = v;
	}
	if (from && to && strcmp(from, to) >= 0)
		return http_reply_problem(req, 400, "bad-query", NULL, "from must be before to");
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	const char *text = NULL, *type = NULL, *name = NULL;
	size_t len = 0;
	json_t *errors = NULL;
	int rc = invoices_export(&ctx, format, from, to, &text, &len, &type, &name, &errors);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errors, 200, "export", 0);
	http_set_header(req, "Content-Disposition",
			arena_printf(&req->arena, "attachment; filename=\"%s\"", name));
	http_set_header(req, "Cache-Control", "no-store");
	return http_reply_text(req, 200, type, text, len);
}

/* GET /invoices/:id, and /invoices/:id.pdf for the document (with its payments). */
int api_invoice_get(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	json_t *inv;
	int rc = api_pdf_record(req, &invoice_resource, &ctx, &id, &inv);
	if (rc != 1)
		return rc;
	struct resource_query q;
	const char *err;
	json_t *payments;
	const char *next;
	struct resource_ctx on = ctx;
	on.parent_id = id;
	if (resource_query_parse(&payment_resource, 0, NULL, 0, &q, &req->arena, &err) < 0)
		return -1;
	q.limit = 200;
	if (resource_list(&on, &payment_resource, &q, &payments, &next) == RC_OK)
		json_object_set(inv, "payments", payments);
	const char *number = json_string_value(json_object_get(inv, "number"));
	return api_reply_pdf(req, &ctx, inv, invoice_pdf_render,
			     number ? arena_printf(&req->arena, "%s.pdf", number)
				    : arena_printf(&req->arena, "draft-invoice-%lld.pdf",
						   (long long)id));
}

#define BILLERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_BILLING)

static const struct http_route routes[] = {
	{ "POST", "/api/v1/invoice-runs", run_h, BILLERS, HTTP_SLOW, NULL },
	{ "GET", "/api/v1/contracts/:id/balance", balance_h, ROLE_STAFF, 0, NULL },
	{ "POST", "/api/v1/time-entries/approve-week", approve_week_h,
	  ROLE_ADMIN | ROLE_MANAGER, 0, NULL },
	{ "GET", "/api/v1/reports/profitability", profitability_h, BILLERS, HTTP_SLOW, NULL },
	{ "GET", "/api/v1/reports/utilisation", utilisation_h, ROLE_ADMIN | ROLE_MANAGER,
	  HTTP_SLOW, NULL },
	{ "GET", "/api/v1/reports/block-burn", block_burn_h, BILLERS | ROLE_SALES, HTTP_SLOW,
	  NULL },
	{ "GET", "/api/v1/reports/revenue-by-kind", revenue_h, BILLERS, HTTP_SLOW, NULL },
	{ "GET", "/api/v1/reports/ar-ageing", ageing_h, BILLERS, HTTP_SLOW, NULL },
	{ "GET", "/api/v1/exports/invoices", export_h, BILLERS, HTTP_SLOW, NULL },
};

const struct api_routes api_billing_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
