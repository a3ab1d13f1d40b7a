/*
 * tickets.c - what the service desk asks of a ticket besides its fields
 * (the ticket actions, escalate, merge, resolve, close and reopen, are rows
 * of its resource table: resources.c gives them their routes):
 *
 *   GET  /api/v1/tickets/:id/candidates   who should take it, ranked, with reasons
 *   GET  /api/v1/tickets/:id/sla          the SLA clocks and the timeline that explains them
 *
 * and the technicians' calendar feeds:
 *
 *   POST   /api/v1/users/:id/calendar-feed    a new secret feed URL (the old one stops)
 *   DELETE /api/v1/users/:id/calendar-feed    revoke it
 *   GET    /api/v1/public/calendar/:token     the feed (text/calendar), for calendar programs
 *
 */
#include "api.h"

#include "auth/auth.h"
#include "core/buf.h"
#include "resource/resource.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The :id as a positive id, or a 404 reply. */
static bool ticket_id_or_reply(struct http_req *req, int64_t *id)
{
	*id = api_parse_id(http_param(req, "id"));
	if (!*id)
		http_reply_problem(req, 404, "not-found", NULL, "no ticket with id \"%s\"",
				   http_param(req, "id") ? http_param(req, "id") : "");
	return *id != 0;
}

static int reply(struct http_req *req, int rc, json_t *rec, json_t *errors, int64_t id)
{
	return api_reply_result(req, rc, rec, errors, 200, "ticket", id);
}

static int candidates(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!ticket_id_or_reply(req, &id) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	int rc = ticket_candidates(&ctx, id, &out);
	if (rc != RC_OK)
		return reply(req, rc, NULL, NULL, id);
	return http_reply_json(req, 200, out);
}

/* A user manages their own feed; managers manage everyone's. */
static bool feed_owner_or_reply(struct http_req *req, int64_t *user)
{
	*user = api_parse_id(http_param(req, "id"));
	const struct auth_user *u = api_user(req);
	if (!*user)
		return http_reply_problem(req, 404, "not-found", NULL, "no user with id \"%s\"",
					  http_param(req, "id")),
		       false;
	if (*user != u->id && !(u->role & (ROLE_ADMIN | ROLE_MANAGER)))
		return http_reply_problem(req, 403, "forbidden", NULL,
					  "only managers manage other users' calendar feeds"),
		       false;
	return true;
}

static int feed_new(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t user;
	if (!feed_owner_or_reply(req, &user) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *rec;
	if (resource_get(&ctx, &user_resource, user, &rec) != RC_OK)
		return http_reply_problem(req, 404, "not-found", NULL, "no user with id %lld",
					  (long long)user);
	char token[AUTH_TOKEN_LEN];
	if (feed_create(&ctx, user, token) != RC_OK)
		return -1;
	const char *path = arena_printf(&req->arena, "/api/v1/public/calendar/%s.ics", token);
	return http_reply_json(req, 201,
			       http_json(req, json_pack("{s:I, s:s, s:s}", "user_id",
							(json_int_t)user, "path", path, "note",
							"shown once: subscribe to this URL (prefixed"
							" with the server's address); a new one"
							" replaces it")));
}

static int feed_delete(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t user;
	if (!feed_owner_or_reply(req, &user) || !api_ctx_or_reply(req, &ctx))
		return 0;
	int rc = feed_revoke(&ctx, user);
	if (rc == RC_NOT_FOUND)
		return http_reply_problem(req, 404, "not-found", NULL,
					  "user %lld has no calendar feed", (long long)user);
	return rc == RC_OK ? http_reply_empty(req, 204) : -1;
}

/* The secret in the path is the only credential: unknown and revoked look alike. */
static int feed_get(struct http_req *req)
{
	struct resource_ctx ctx;
	const char *t = http_param(req, "token");
	size_t n = t ? strlen(t) : 0;
	char token[AUTH_TOKEN_LEN];
	if (n > 4 && strcmp(t + n - 4, ".ics") == 0)
		n -= 4;
	if (n != AUTH_TOKEN_LEN - 1)
		return http_reply_problem(req, 404, "not-found", NULL, "no such calendar feed");
	memcpy(token, t, n);
	token[n] = '\0';
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	struct buf out;
	buf_init(&out, 16 * 1024 * 1024);
	int rc = feed_render(&ctx, token, &out);
	if (rc == RC_NOT_FOUND) {
		buf_release(&out);
		return http_reply_problem(req, 404, "not-found", NULL, "no such calendar feed");
	}
	if (rc != RC_OK) {
		buf_release(&out);
		return -1;
	}
	http_set_header(req, "Cache-Control", "private, max-age=300");
	rc = http_reply_text(req, 200, "text/calendar; charset=utf-8", buf_str(&out), out.len);
	buf_release(&out);
	return rc;
}

static int sla(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!ticket_id_or_reply(req, &id) || !api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *out;
	int rc = ticket_sla_explain(&ctx, id, &out);
	if (rc != RC_OK)
		return reply(req, rc, NULL, NULL, id);
	return http_reply_json(req, 200, out);
}

static const struct http_route routes[] = {
	{ "GET", "/api/v1/tickets/:id/candidates", candidates, ROLE_STAFF, 0, NULL },
	{ "GET", "/api/v1/tickets/:id/sla", sla, ROLE_STAFF, 0, NULL },
	{ "POST", "/api/v1/users/:id/calendar-feed", feed_new, ROLE_STAFF,
	  HTTP_RAW_BODY | HTTP_SECRET_REPLY, NULL },
	{ "DELETE", "/api/v1/users/:id/calendar-feed", feed_delete, ROLE_STAFF, HTTP_RAW_BODY,
	  NULL },
	{ "GET", "/api/v1/public/calendar/:token", feed_get, HTTP_PUBLIC, 0, NULL },
};

const struct api_routes api_ticket_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
