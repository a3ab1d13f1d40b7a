/*
 * notifications.c - the caller's own notifications and their choices
 * (src/notify/). Every route answers for the caller alone: another user's
 * notification is a 404, as if it did not exist.
 *
 *   GET  /api/v1/me/notifications              newest first; read=false, kind, ticket_id, …
 *   GET  /api/v1/me/notifications/count        {unread}
 *   POST /api/v1/me/notifications/:id/read     marks one read
 *   POST /api/v1/me/notifications/read-all     marks all read: {updated}
 *   GET  /api/v1/me/notification-settings      {email: [kinds], kinds: [every kind]}
 *   PATCH /api/v1/me/notification-settings     {email: [kinds]}
 */
#include "api.h"

#include "auth/auth.h"
#include "notify/notify.h"
#include "resource/resource.h"

#include <stdio.h>
#include <string.h>

int api_notification_list(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	struct resource_query q;
	const char *err;
	if (resource_query_parse(&notification_resource, u->role, req->query, req->nquery, &q,
				 &req->arena, &err) < 0)
		return http_reply_problem(req, 400, "bad-query", NULL, "%s", err);
	if (q.nfilters == (int)(sizeof(q.filters) / sizeof(q.filters[0])))
		return http_reply_problem(req, 400, "bad-query", NULL, "too many filters");
	/* the caller's own, whatever else was asked */
	const char **mine = arena_alloc(&req->arena, sizeof(*mine));
	if (!mine)
		return -1;
	*mine = arena_printf(&req->arena, "%lld", (long long)u->id);
	q.filters[q.nfilters++] = (struct resource_filter){
		.field = resource_field(&notification_resource, "user_id"), .column = "user_id",
		.op = FILTER_IN, .values = mine, .nvalues = 1,
	};
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *data;
	const char *next = NULL;
	int rc = resource_list(&ctx, &notification_resource, &q, &data, &next);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 200, "notification", 0);
	if (next) {
		const char *link = api_next_link(req, next);
		if (link)
			http_set_header(req, "Link", link);
	}
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O, s:s?}", "data", data,
								  "next_cursor", next)));
}

static int count_h(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	int64_t n;
	if (notify_unread(&ctx, api_user(req)->id, &n) != RC_OK)
		return -1;
	return http_reply_json(req, 200, http_json(req, json_pack("{s:I}", "unread",
								  (json_int_t)n)));
}

static int read_h(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id = api_parse_id(http_param(req, "id"));
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no notification with id \"%s\"",
					  http_param(req, "id"));
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *rec;
	int rc = notify_mark_read(&ctx, api_user(req)->id, id, &rec);
	return api_reply_result(req, rc, rc == RC_OK ? rec : NULL, NULL, 200, "notification", id);
}

static int read_all_h(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	int64_t n;
	if (notify_mark_all_read(&ctx, api_user(req)->id, &n) != RC_OK)
		return -1;
	return http_reply_json(req, 200, http_json(req, json_pack("{s:I}", "updated",
								  (json_int_t)n)));
}

static int settings_get_h(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	int rc = notify_settings(&ctx, api_user(req)->id, &out);
	return rc == RC_OK ? http_reply_json(req, 200, out) : -1;
}

static int settings_patch_h(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req))
		return 0;
	if (!json_is_object(req->body))
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object {\"email\": [kinds]} is required");
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out, *errors = NULL;
	int rc = notify_settings_set(&ctx, api_user(req)->id, req->body, &out, &errors);
	if (rc == RC_INVALID)
		return http_reply_problem(req, 422, "validation", errors,
					  "the notification settings have invalid fields");
	return rc == RC_OK ? http_reply_json(req, 200, out) : -1;
}

static const struct http_route routes[] = {
	{ "GET", "/api/v1/me/notifications", api_notification_list, ROLE_STAFF, 0,
	  &notification_resource },
	{ "GET", "/api/v1/me/notifications/count", count_h, ROLE_STAFF, 0, NULL },
	{ "POST", "/api/v1/me/notifications/:id/read", read_h, ROLE_STAFF, HTTP_RAW_BODY, NULL },
	{ "POST", "/api/v1/me/notifications/read-all", read_all_h, ROLE_STAFF, HTTP_RAW_BODY,
	  NULL },
	{ "GET", "/api/v1/me/notification-settings", settings_get_h, ROLE_STAFF, 0, NULL },
	{ "PATCH", "/api/v1/me/notification-settings", settings_patch_h, ROLE_STAFF, 0, NULL },
};

const struct api_routes api_notification_routes = { routes,
						     sizeof(routes) / sizeof(routes[0]) };
