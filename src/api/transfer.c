/*
 * transfer.c - CSV import and export over HTTP (transfer/transfer.h says
 * what a file may hold):
 *
 *   POST /api/v1/imports/:kind       the CSV file as the body (text/csv);
 *        ?dry_run=true               check only
 *        &map=HEADER=FIELD           rename a header (FIELD "-": leave it out)
 *   GET  /api/v1/exports/:kind       the records as a CSV file
 *        ?archived=true              archived ones too
 *
 * An import answers 200 with its report when the file is right (written,
 * or only checked), and 422 with every problem by line number otherwise;
 * nothing is written then. Admins and managers only: an import writes
 * hundreds of records, an export reads every contact's address.
 */
#include "api.h"

#include "auth/auth.h"
#include "core/buf.h"
#include "core/result.h"
#include "core/timeutil.h"
#include "transfer/transfer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TRANSFER_ROLES (ROLE_ADMIN | ROLE_MANAGER)

static const struct resource *kind_or_reply(struct http_req *req, const char **kind)
{
	*kind = http_param(req, "kind");
	const struct resource *res = transfer_resource(*kind);
	if (!res) {
		char kinds[128] = "";
		for (int i = 0; transfer_kinds[i]; i++)
			snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				 i ? ", " : "", transfer_kinds[i]);
		http_reply_problem(req, 404, "not-found", NULL,
				   "no such kind \"%s\": one of %s", *kind ? *kind : "", kinds);
	}
	return res;
}

static bool flag_or_reply(struct http_req *req, const char *value, const char *name, bool *out)
{
	if (!value || strcmp(value, "false") == 0) {
		*out = false;
		return true;
	}
	if (strcmp(value, "true") == 0) {
		*out = true;
		return true;
	}
	http_reply_problem(req, 400, "bad-query", NULL, "%s must be true or false", name);
	return false;
}

static int import_h(struct http_req *req)
{
	const char *kind;
	if (!kind_or_reply(req, &kind))
		return 0;
	bool dry_run = false;
	json_t *mapping = http_json(req, json_object());
	if (!mapping)
		return -1;
	for (int i = 0; i < req->nquery; i++) {
		const char *n = req->query[i].name, *v = req->query[i].value;
		if (strcmp(n, "dry_run") == 0) {
			if (!flag_or_reply(req, v, "dry_run", &dry_run))
				return 0;
		} else if (strcmp(n, "map") == 0) {
			const char *eq = strrchr(v, '=');
			if (!eq || eq == v)
				return http_reply_problem(req, 400, "bad-query", NULL,
							  "map must be HEADER=FIELD, not \"%s\"", v);
			json_object_setn_new(mapping, v, (size_t)(eq - v), json_string(eq + 1));
		} else {
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "unknown parameter \"%s\": dry_run or map", n);
		}
	}
	const char *ct = http_header(req, "Content-Type");
	size_t ctlen = ct ? strcspn(ct, ";") : 0;
	if (!ct || !((ctlen == 8 && strncasecmp(ct, "text/csv", 8) == 0) ||
		     (ctlen == 10 && strncasecmp(ct, "text/plain", 10) == 0)))
		return http_reply_problem(req, 415, "unsupported-media-type", NULL,
					  "send the CSV file itself as the body, with Content-Type "
					  "text/csv");
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *report = NULL;
	int rc = transfer_import(&ctx, kind, req->raw_body.data ? req->raw_body.data : "",
				 req->raw_body.len, mapping, dry_run, &report);
	if (rc == RC_OK)
		return http_reply_json(req, 200, report);
	if (rc != RC_INVALID || !report)
		return -1;
	json_t *problems = json_object_get(report, "problems");
	size_t n = json_array_size(problems);
	http_reply_problem(req, 422, "import-invalid", problems,
			   "the file has %zu problem%s; nothing was written", n, n == 1 ? "" : "s");
	return 0;
}

static int export_h(struct http_req *req)
{
	const char *kind;
	if (!kind_or_reply(req, &kind))
		return 0;
	bool archived = false;
	for (int i = 0; i < req->nquery; i++) {
		if (strcmp(req->query[i].name, "archived") != 0)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "unknown parameter \"%s\": archived",
						  req->query[i].name);
		if (!flag_or_reply(req, req->query[i].value, "archived", &archived))
			return 0;
	}
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	struct buf out;
	buf_init(&out, 0);
	int rc = transfer_export(&ctx, kind, archived, &out);
	if (rc != RC_OK) {
		buf_release(&out);
		return -1;
	}
	char day[16];
	time_t now = (time_t)time_now();
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	http_set_header(req, "Content-Disposition",
			arena_printf(&req->arena, "attachment; filename=\"%s-%s.csv\"", kind, day));
	int r = http_reply_text(req, 200, "text/csv; charset=utf-8", out.data ? out.data : "",
				out.len);
	buf_release(&out);
	return r;
}

static const struct http_route routes[] = {
	{ "POST", "/api/v1/imports/:kind", import_h, TRANSFER_ROLES,
	  HTTP_RAW_BODY | HTTP_UPLOAD | HTTP_SLOW, NULL },
	{ "GET", "/api/v1/exports/:kind", export_h, TRANSFER_ROLES, HTTP_SLOW, NULL },
};

const struct api_routes api_transfer_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
