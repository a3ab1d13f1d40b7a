/*
 * manager.c - the services manager's day (issue 16 point 4, 6):
 *
 *   GET  /api/v1/dashboard[?scope=team|mine]   the home dashboard's figures
 *        (service/dashboard.c): the team's for everyone but a technician,
 *        whose dashboard is their own ("mine"); anyone may ask for mine
 *   POST /api/v1/tickets/assign                {ids, assignee_id,
 *        assignment_override_reason?}: bulk assignment, all or nothing
 *        (service/assign.c); admins and managers
 *   POST /api/v1/tickets/:id/checklist/apply   {template_id}: a checklist
 *        template's items added to any ticket (service/work.c); whoever
 *        may write a checklist
 */
#include "api.h"

#include "auth/auth.h"
#include "resource/resource.h"
#include "service/service.h"

#include <stdio.h>
#include <string.h>

#define MAX_ASSIGN 200	/* tickets in one bulk assignment (a page of the list is 200 at most) */

static int dashboard_h(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	bool technician = u->role == ROLE_TECHNICIAN;
	bool mine = technician;
	for (int i = 0; i < req->nquery; i++) {
		const char *n = req->query[i].name, *v = req->query[i].value;
		if (strcmp(n, "scope") != 0)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "unknown query parameter \"%s\": the dashboard takes"
						  " scope (team or mine)",
						  n);
		if (strcmp(v, "mine") == 0)
			mine = true;
		else if (strcmp(v, "team") == 0)
			mine = false;
		else
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "scope must be team or mine");
	}
	if (!mine && technician)
		return http_reply_problem(req, 403, "forbidden", NULL,
					  "a technician's dashboard shows their own work (scope"
					  " mine); the team's figures are for the other roles");
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	int rc = manager_dashboard(&ctx, mine ? u->id : 0, &out);
	return rc == RC_OK ? http_reply_json(req, 200, out) : -1;
}

static const struct field assign_fields[] = {
	{ .name = "ids", .type = FT_IDS, .flags = F_REQUIRED, .ref = &ticket_resource,
	  .max = MAX_ASSIGN, .doc = "The tickets, 1 to 200 distinct ids." },
	{ .name = "assignee_id", .type = FT_REF, .flags = F_REQUIRED, .ref = &user_resource,
	  .doc = "Who takes them: an active user." },
	{ .name = "assignment_override_reason", .type = FT_TEXT, .min = 1, .max = 1000,
	  .doc = "As on a ticket's PATCH: a manager's reason to assign someone whose "
		 "required certification is missing or expired." },
	FIELD_END
};

static int assign_h(struct http_req *req)
{
	if (!api_no_query_or_reply(req))
		return 0;
	if (!json_is_object(req->body))
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object is required: {ids, assignee_id}");
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	if (resource_validate_fields(assign_fields, "assignment", req->body, errors) == 0 &&
	    json_array_size(json_object_get(req->body, "ids")) == 0)
		resource_error(errors, "ids", "name at least one ticket");
	if (json_array_size(errors))
		return http_reply_problem(req, 422, "validation", errors,
					  "the assignment has invalid fields");
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	/* the assignee once, rather than the same 422 for every ticket */
	int64_t assignee = json_integer_value(json_object_get(req->body, "assignee_id"));
	json_t *user;
	int rc = resource_get(&ctx, &user_resource, assignee, &user);
	if (rc == RC_NOT_FOUND) {
		char msg[64];
		snprintf(msg, sizeof(msg), "no user with id %lld", (long long)assignee);
		resource_error(errors, "assignee_id", msg);
		return http_reply_problem(req, 422, "validation", errors, "assignee_id: %s", msg);
	}
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 200, "user", assignee);
	const json_t *ids = json_object_get(req->body, "ids");
	size_t n = json_array_size(ids);
	int64_t *list = arena_alloc(&req->arena, n * sizeof(*list));
	if (!list)
		return -1;
	for (size_t i = 0; i < n; i++)
		list[i] = json_integer_value(json_array_get(ids, i));
	json_t *out;
	const char *reason = json_string_value(
		json_object_get(req->body, "assignment_override_reason"));
	rc = tickets_assign(&ctx, list, n, assignee, reason, &out, errors);
	if (rc == RC_INVALID)
		return http_reply_problem(req, 422, "validation", errors,
					  "nothing was assigned: %zu of %zu tickets cannot be"
					  " assigned (see errors)",
					  json_array_size(errors), n);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errors, 200, "ticket", 0);
	return http_reply_json(req, 200, http_json(req, json_pack("{s:I, s:O}", "assigned",
								   (json_int_t)n, "data", out)));
}

static const struct field apply_fields[] = {
	{ .name = "template_id", .type = FT_REF, .flags = F_REQUIRED,
	  .ref = &checklist_template_resource,
	  .doc = "The checklist template (of any ticket kind)." },
	FIELD_END
};

static int apply_h(struct http_req *req)
{
	int64_t id = api_parse_id(http_param(req, "id"));
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no ticket with id \"%s\"",
					  http_param(req, "id") ? http_param(req, "id") : "");
	if (!api_no_query_or_reply(req))
		return 0;
	if (!json_is_object(req->body))
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object is required: {template_id}");
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	if (resource_validate_fields(apply_fields, "template application", req->body, errors))
		return http_reply_problem(req, 422, "validation", errors,
					  "the template application has invalid fields");
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	int rc = ticket_checklist_apply(
		&ctx, id, json_integer_value(json_object_get(req->body, "template_id")), &out,
		errors);
	if (rc == RC_INVALID)
		return http_reply_problem(req, 422, "validation", errors, "%s: %s",
					  json_string_value(json_object_get(json_array_get(errors, 0),
									    "field")),
					  json_string_value(json_object_get(json_array_get(errors, 0),
									    "message")));
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errors, 200, "ticket", id);
	return http_reply_json(req, 200, out);
}

static const struct http_route routes[] = {
	{ "GET", "/api/v1/dashboard", dashboard_h, ROLE_STAFF, 0, NULL },
	{ "POST", "/api/v1/tickets/assign", assign_h, ROLE_ADMIN | ROLE_MANAGER, 0, NULL },
	{ "POST", "/api/v1/tickets/:id/checklist/apply", apply_h,
	  ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES, 0, NULL },
};

const struct api_routes api_manager_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
