/*
 * mail.c - e-mail over HTTP, beyond its records. Inbound and outbound
 * messages and the templates are resource routes (resources.c), triage's
 * assign and discard and a message's retry come from the action tables.
 *
 *   GET  /api/v1/inbound-messages/:id/raw         the message as it came (message/rfc822)
 *   GET  /api/v1/outbound-messages/:id/attempts   each try to hand it to the SMTP server
 *   POST /api/v1/settings/mail-test {to}          send a test message now, and say how it went
 */
#include "api.h"

#include "auth/auth.h"
#include "core/blob.h"
#include "core/buf.h"
#include "db/db.h"
#include "mail/mail.h"
#include "resource/resource.h"

#include <string.h>

static int attempts_h(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	int64_t id = api_parse_id(http_param(req, "id"));
	json_t *msg;
	int rc = id > 0 ? resource_get(&ctx, &outbound_message_resource, id, &msg) : RC_NOT_FOUND;
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 200, "outbound message", id);
	json_t *data = http_json(req, json_array());
	struct db_stmt *st = db_prepare(ctx.db, "SELECT at, ok, detail FROM outbound_attempts"
					" WHERE message_id = ? ORDER BY id");
	if (!data || !st)
		return -1;
	db_bind_int(st, 1, id);
	while ((rc = db_step(st)) == RC_ROW)
		json_array_append_new(data, json_pack("{s:s, s:b, s:s}", "at", db_col_text(st, 0),
						      "ok", (int)db_col_int(st, 1), "detail",
						      db_col_text(st, 2)));
	db_done(st);
	if (rc != RC_DONE)
		return -1;
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O}", "data", data)));
}

static int raw_h(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	int64_t id = api_parse_id(http_param(req, "id"));
	json_t *msg;
	int rc = id > 0 ? resource_get(&ctx, &inbound_message_resource, id, &msg) : RC_NOT_FOUND;
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 200, "inbound message", id);
	const char *hash = json_string_value(json_object_get(msg, "raw_sha256"));
	struct buf raw;
	buf_init(&raw, MAIL_MAX_BYTES);
	rc = hash ? blob_read(hash, &raw) : RC_NOT_FOUND;
	if (rc == RC_NOT_FOUND) {
		buf_release(&raw);
		return http_reply_problem(req, 404, "not-found", NULL,
					  "inbound message %lld was not kept as it came (%s)",
					  (long long)id, hash ? "its file is missing" : "it was too large or empty");
	}
	if (rc != RC_OK) {
		buf_release(&raw);
		return -1;
	}
	http_set_header(req, "Content-Disposition",
			arena_printf(&req->arena, "attachment; filename=\"inbound-%lld.eml\"",
				     (long long)id));
	http_set_header(req, "X-Content-Type-Options", "nosniff");
	rc = http_reply_text(req, 200, "message/rfc822", raw.data ? raw.data : "", raw.len);
	buf_release(&raw);
	return rc;
}

static int mail_test_h(struct http_req *req)
{
	static const struct field fields[] = {
		{ .name = "to", .type = FT_EMAIL, .flags = F_REQUIRED, .max = 254,
		  .doc = "Where to send the test message." },
		FIELD_END
	};
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object {\"to\": address} is required");
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	if (resource_validate_fields(fields, "mail test", req->body, errors))
		return http_reply_problem(req, 422, "validation", errors,
					  "the mail test has invalid fields");
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	char detail[1024] = "";
	int rc = mail_send_test(&ctx, json_string_value(json_object_get(req->body, "to")), detail,
				sizeof(detail));
	if (rc < 0)
		return -1;
	return http_reply_json(req, 200, http_json(req, json_pack("{s:b, s:s}", "sent", rc == 1,
								  "detail", detail)));
}

static const struct http_route routes[] = {
	{ "GET", "/api/v1/inbound-messages/:id/raw", raw_h, ROLE_ADMIN | ROLE_MANAGER, 0,
	  &inbound_message_resource },
	{ "GET", "/api/v1/outbound-messages/:id/attempts", attempts_h, ROLE_STAFF, 0,
	  &outbound_message_resource },
	{ "POST", "/api/v1/settings/mail-test", mail_test_h, ROLE_ADMIN, HTTP_SLOW, NULL },
};

const struct api_routes api_mail_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
