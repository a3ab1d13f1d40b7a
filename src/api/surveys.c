/*
 * surveys.c - satisfaction surveys over HTTP (src/quality/surveys.h):
 *
 *   GET  /api/v1/surveys                  staff: list (each with its url); a
 *                                         technician sees the surveys of their own tickets
 *   GET  /api/v1/surveys/:id              one
 *   GET  /api/v1/public/surveys/:token    the survey behind a link (no login; reads only)
 *   POST /api/v1/public/surveys/:token    {rating, comment?}: answer or change it
 *   GET  /api/v1/reports/csat             ?group=technician (default)|client|month&from=&to=
 *
 * A GET never changes a survey: mail scanners follow links.
 */
#include "api.h"

#include "auth/auth.h"
#include "quality/surveys.h"
#include "resource/resource.h"

#include <string.h>

/* A technician reads the surveys of the tickets they resolved, nobody else's. */
static bool own_only(const struct auth_user *u)
{
	return u && u->role == ROLE_TECHNICIAN;
}

int api_survey_list(struct http_req *req)
{
	return api_list_owned(req, &survey_resource, own_only(api_user(req)) ? "technician_id" : NULL,
			      survey_add_urls);
}

int api_survey_get(struct http_req *req)
{
	int64_t id = api_parse_id(http_param(req, "id"));
	struct resource_ctx ctx;
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no survey with id %s",
					  http_param(req, "id"));
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *rec;
	int rc = resource_get(&ctx, &survey_resource, id, &rec);
	const struct auth_user *u = api_user(req);
	if (rc == RC_OK && own_only(u) &&
	    json_integer_value(json_object_get(rec, "technician_id")) != u->id)
		rc = RC_NOT_FOUND;	/* another's is as good as none */
	json_t *one = rc == RC_OK ? http_json(req, json_pack("[O]", rec)) : NULL;
	if (rc == RC_OK && !one)
		return -1;
	if (rc == RC_OK)
		rc = survey_add_urls(&ctx, one);
	return api_reply_result(req, rc, rc == RC_OK ? json_array_get(one, 0) : NULL, NULL, 200,
				"survey", id);
}

/* The public link ------------------------------------------------------------ */

static const struct audit_actor client_actor = { .label = "client (survey link)" };

/* The ticket of a link's survey, with a context acting as the client; unknown tokens are 404. */
static bool link_or_reply(struct http_req *req, struct resource_ctx *ctx, int64_t *ticket_id)
{
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, ctx))
		return false;
	struct audit_actor *actor = arena_zalloc(&req->arena, sizeof(*actor));
	if (!actor)
		return http_reply_problem(req, 503, "unavailable", NULL, "out of memory"), false;
	*actor = client_actor;
	actor->request_id = req->id;
	actor->address = req->remote_addr;
	ctx->actor = actor;
	int rc = survey_by_token(ctx, http_param(req, "token"), ticket_id);
	if (rc == RC_NOT_FOUND)
		return http_reply_problem(req, 404, "not-found", NULL, "no such survey link"), false;
	if (rc != RC_OK)
		return http_reply_problem(req, 503, "unavailable", NULL, "cannot read the survey"),
		       false;
	return true;
}

static int reply_view(struct http_req *req, struct resource_ctx *ctx, int64_t ticket_id)
{
	json_t *view;
	if (survey_public_view(ctx, ticket_id, &view) != RC_OK)
		return -1;
	http_set_header(req, "Cache-Control", "no-store");
	http_set_header(req, "Referrer-Policy", "no-referrer");
	return http_reply_json(req, 200, view);
}

static int public_get(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t ticket_id;
	if (!link_or_reply(req, &ctx, &ticket_id))
		return 0;
	return reply_view(req, &ctx, ticket_id);
}

static int public_answer(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t ticket_id;
	if (!link_or_reply(req, &ctx, &ticket_id))
		return 0;
	json_t *errors = http_json(req, json_array());
	json_t *empty = http_json(req, json_object());
	if (!errors || !empty)
		return -1;
	int rating;
	const char *comment;
	if (survey_decode_answer(req->body ? req->body : empty, &rating, &comment, errors))
		return api_reply_result(req, RC_INVALID, NULL, errors, 200, "survey answer", 0);
	int rc = survey_answer_ticket(&ctx, ticket_id, rating, comment, errors);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errors, 200, "survey", 0);
	return reply_view(req, &ctx, ticket_id);
}

/* The report ----------------------------------------------------------------- */

static int csat(struct http_req *req)
{
	const char *group = NULL;
	/* group is ours, the rest the period's (api_period_or_reply): take group out */
	int n = 0;
	for (int i = 0; i < req->nquery; i++) {
		if (strcmp(req->query[i].name, "group") == 0 && !group)
			group = req->query[i].value;
		else
			req->query[n++] = req->query[i];
	}
	req->nquery = n;
	if (!group)
		group = "technician";
	if ((strcmp(group, "technician") != 0 && strcmp(group, "client") != 0 &&
		       strcmp(group, "month") != 0))
		return http_reply_problem(req, 400, "bad-query", NULL,
					  "group must be technician, client or month");
	const char *from, *to;
	bool ok = api_period_or_reply(req, &from, &to);
	struct resource_ctx ctx;
	if (!ok || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	return report_csat(&ctx, group, from, to, &out) == RC_OK ? http_reply_json(req, 200, out)
								 : -1;
}

#define READERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN)

static const struct http_route routes[] = {
	{ "GET", "/api/v1/surveys", api_survey_list, READERS, 0, &survey_resource },
	{ "GET", "/api/v1/surveys/:id", api_survey_get, READERS, 0, &survey_resource },
	{ "GET", "/api/v1/public/surveys/:token", public_get, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/public/surveys/:token", public_answer, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/reports/csat", csat, ROLE_ADMIN | ROLE_MANAGER, HTTP_SLOW, NULL },
};

const struct api_routes api_survey_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
