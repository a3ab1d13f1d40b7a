/*
 * webhooks.c - the webhook route that is not the engine's (the webhooks
 * and their deliveries are resources, rotate-secret and test their
 * actions: resources.c gives them their routes):
 *
 *   POST /api/v1/webhooks/:id/deliveries/:item/replay   send a delivery again
 *
 * A replay is a new delivery (201, Location) with the same webhook-id and
 * payload as the one replayed, sent now even when the webhook is disabled.
 */
#include "api.h"

#include "auth/auth.h"
#include "resource/resource.h"
#include "webhooks/webhooks.h"

#include <stdio.h>

static int replay(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t hook = api_parse_id(http_param(req, "id"));
	int64_t item = api_parse_id(http_param(req, "item"));
	if (!api_no_query_or_reply(req))
		return 0;
	if (req->body && (!json_is_object(req->body) || json_object_size(req->body)))
		return http_reply_problem(req, 422, "validation", NULL,
					  "a replay takes no body (or {})");
	if (!hook)
		return http_reply_problem(req, 404, "not-found", NULL, "no webhook with id \"%s\"",
					  http_param(req, "id"));
	if (!item)
		return http_reply_problem(req, 404, "not-found", NULL,
					  "no webhook delivery with id \"%s\"", http_param(req, "item"));
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out = NULL;
	int rc = webhook_replay(&ctx, hook, item, &out);
	if (rc == RC_NOT_FOUND)
		return http_reply_problem(req, 404, "not-found", NULL,
					  "no delivery %lld of a webhook %lld", (long long)item,
					  (long long)hook);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 0, "webhook delivery", item);
	http_set_header(req, "Location",
			arena_printf(&req->arena, "/api/v1/webhooks/%lld/deliveries/%lld",
				     (long long)hook,
				     (long long)json_integer_value(json_object_get(out, "id"))));
	return http_reply_json(req, 201, out);
}

static const struct http_route routes[] = {
	{ "POST", "/api/v1/webhooks/:id/deliveries/:item/replay", replay, ROLE_ADMIN, 0, NULL },
};

const struct api_routes api_webhook_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
