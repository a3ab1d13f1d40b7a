/*
 * quality_dashboard.c - GET /api/v1/reports/quality: the services
 * manager's quality dashboard (service/quality_dashboard.c computes it,
 * docs/QUALITY.md defines it). Admins and managers only.
 *
 *   ?from=YYYY-MM-DD&to=YYYY-MM-DD   the period [from, to); default the
 *                                    last 12 calendar months
 *   &company_id=N                    one client only (404 when unknown)
 */
#include "api.h"

#include "auth/auth.h"
#include "service/service.h"

static int quality_h(struct http_req *req)
{
	struct resource_ctx ctx;
	const char *from, *to, *company_text, *problem = NULL;
	if (!api_period_and_or_reply(req, &from, &to, "company_id", &company_text))
		return 0;
	int64_t company = 0;
	if (company_text) {
		company = api_parse_id(company_text);
		if (!company)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "company_id must be a company's id (digits)");
	}
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	char first[11], end[11];
	if (quality_period(ctx.now, from, to, first, end, &problem) != RC_OK)
		return http_reply_problem(req, 400, "bad-query", NULL, "%s", problem);
	json_t *out;
	int rc = quality_dashboard(&ctx, first, end, company, &out);
	if (rc == RC_NOT_FOUND)
		return http_reply_problem(req, 404, "not-found", NULL, "no company with id %lld",
					  (long long)company);
	return rc == RC_OK ? http_reply_json(req, 200, out) : -1;
}

static const struct http_route routes[] = {
	{ "GET", "/api/v1/reports/quality", quality_h, ROLE_ADMIN | ROLE_MANAGER, HTTP_SLOW,
	  NULL },
};

const struct api_routes api_quality_dashboard_routes = { routes,
							 sizeof(routes) / sizeof(routes[0]) };
