/*
 * alerts.c - monitoring intake over HTTP (the rules are in
 * service/alerts.c):
 *
 *   POST /api/v1/alerts        an alert from a monitoring or RMM tool
 *                              -> 201 opened, 200 appended|resolved|cleared|ignored
 *   GET  /api/v1/alerts        the alert rows (filters source, key, state, ticket_id, …)
 *   GET  /api/v1/alerts/:id    one
 *
 * Tools post with an API token (Bearer) of a user whose role may open
 * tickets: the roles of POST /api/v1/tickets.
 */
#include "api.h"

#include "auth/auth.h"
#include "resource/resource.h"
#include "service/service.h"

#include <string.h>

static int intake(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object is required: {source, key, status, "
					  "severity, subject, body, asset, company_id, occurred_at}");
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out = NULL, *errors = NULL;
	int rc = alert_intake(&ctx, req->body, &out, &errors);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errors, 200, "alert", 0);
	bool made = strcmp(json_string_value(json_object_get(out, "outcome")), "opened") == 0;
	if (made)
		http_set_header(req, "Location",
				arena_printf(&req->arena, "/api/v1/tickets/%lld",
					     (long long)json_integer_value(
						     json_object_get(out, "ticket_id"))));
	return http_reply_json(req, made ? 201 : 200, out);
}

#define DESK (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES)

static const struct http_route routes[] = {
	{ "GET", "/api/v1/alerts", api_resource_list, ROLE_STAFF, 0, &alert_resource },
	{ "POST", "/api/v1/alerts", intake, DESK, 0, NULL },
	{ "GET", "/api/v1/alerts/:id", api_resource_get, ROLE_STAFF, 0, &alert_resource },
};

const struct api_routes api_alert_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
