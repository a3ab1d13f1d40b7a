/*
 * quality.c - the quality reviews' own routes (src/quality/): the list and
 * get of qa-reviews, which a technician may call for their own reviews
 * only (another's is a 404, as if it did not exist), and the report.
 * The writes are the engine's generic routes (resources.c).
 *
 *   GET /api/v1/qa-reviews             the engine's list; a technician's is theirs
 *   GET /api/v1/qa-reviews/:id         the engine's get; likewise
 *   GET /api/v1/reports/qa             ?from&to&group=technician|week|month&by=week|month
 */
#include "api.h"

#include "auth/auth.h"
#include "quality/quality.h"
#include "resource/resource.h"

#include <string.h>

/* A technician sees only the reviews of their own work. */
static bool own_only(const struct auth_user *u)
{
	return u && !(u->role & (ROLE_ADMIN | ROLE_MANAGER));
}

int api_qa_review_list(struct http_req *req)
{
	return api_list_owned(req, &qa_review_resource, own_only(api_user(req)) ? "technician_id" : NULL,
			      NULL);
}

int api_qa_review_get(struct http_req *req)
{
	int64_t id = api_parse_id(http_param(req, "id"));
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no qa review with id \"%s\"",
					  http_param(req, "id"));
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *rec;
	int rc = resource_get(&ctx, &qa_review_resource, id, &rec);
	const struct auth_user *u = api_user(req);
	if (rc == RC_OK && own_only(u) &&
	    json_integer_value(json_object_get(rec, "technician_id")) != u->id)
		rc = RC_NOT_FOUND;
	return api_reply_result(req, rc, rc == RC_OK ? rec : NULL, NULL, 200, "qa review", id);
}

/* GET /reports/qa: the period as every report takes it, plus group and by. */
static int report_h(struct http_req *req)
{
	static const char *const groups[] = { "technician", "week", "month", NULL };
	static const char *const series[] = { "week", "month", NULL };
	const char *group = "technician", *by = NULL;
	/* group and by are ours; the rest is the period's (api_period_or_reply) */
	struct http_kv saved[HTTP_MAX_QUERY];
	int nsaved = req->nquery, nrest = 0;
	memcpy(saved, req->query, sizeof(saved));
	for (int i = 0; i < nsaved; i++) {
		const char *n = saved[i].name, *v = saved[i].value;
		const char *const *allowed = strcmp(n, "group") == 0 ? groups
					     : strcmp(n, "by") == 0  ? series
								     : NULL;
		if (!allowed) {
			req->query[nrest++] = saved[i];
			continue;
		}
		const char *const *a = allowed;
		while (*a && strcmp(*a, v) != 0)
			a++;
		if (!*a) {
			memcpy(req->query, saved, sizeof(saved));
			return http_reply_problem(req, 400, "bad-query", NULL,
						  allowed == groups
							  ? "group must be technician, week or month"
							  : "by must be week or month");
		}
		if (allowed == groups)
			group = *a;
		else
			by = *a;
	}
	req->nquery = nrest;
	const char *from, *to;
	bool ok = api_period_or_reply(req, &from, &to);
	memcpy(req->query, saved, sizeof(saved));
	req->nquery = nsaved;
	if (ok && by && strcmp(group, "technician") != 0) {
		http_reply_problem(req, 400, "bad-query", NULL,
				   "by (a series per technician) needs group=technician");
		ok = false;
	}
	struct resource_ctx ctx;
	if (!ok || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	int rc = qa_report(&ctx, from, to, group, by, &out);
	return rc == RC_OK ? http_reply_json(req, 200, out) : -1;
}

static const struct http_route routes[] = {
	{ "GET", "/api/v1/reports/qa", report_h, ROLE_ADMIN | ROLE_MANAGER, HTTP_SLOW, NULL },
};

const struct api_routes api_quality_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
