/*
 * attachments.c - files on tickets over HTTP:
 *
 *   POST /api/v1/tickets/:id/attachments   upload (multipart/form-data: one or more
 *                                          "file" parts, an optional "note_id" field)
 *   GET  /api/v1/tickets/:id/attachments   the ticket's files (list parameters)
 *   GET  /api/v1/attachments/:id/content   the bytes, as a download (?inline=1: an
 *                                          image shown in a page, for previews)
 *
 * The records themselves (GET /attachments/:id, archive, restore) are the
 * generic resource routes of resources.c. A download is always sent with
 * the stored type (one of the allow-list), nosniff, a sandboxing CSP and
 * Content-Disposition attachment, so no file a client sent can run as a
 * page of ours; inline is only for the image types.
 */
#include "api.h"

#include "auth/auth.h"
#include "core/blob.h"
#include "core/log.h"
#include "db/db.h"
#include "http/multipart.h"
#include "resource/resource.h"
#include "service/attachments.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Files in one upload, and the bytes of the whole request (the parts' headers around them). */
#define UPLOAD_MAX_FILES 20
#define UPLOAD_MAX_PARTS 64	/* parts of any kind; more files than UPLOAD_MAX_FILES is a 413 */
const size_t api_upload_max_body = 2u * ATTACHMENT_MAX_BYTES + 1024u * 1024;

static bool ticket_or_reply(struct http_req *req, struct resource_ctx *ctx, int64_t *id)
{
	*id = api_parse_id(http_param(req, "id"));
	if (!*id) {
		http_reply_problem(req, 404, "not-found", NULL, "no ticket with id \"%s\"",
				   http_param(req, "id") ? http_param(req, "id") : "");
		return false;
	}
	if (!api_ctx_or_reply(req, ctx))
		return false;
	json_t *ticket;
	int rc = resource_get(ctx, &ticket_resource, *id, &ticket);
	if (rc != RC_OK) {
		api_reply_result(req, rc, NULL, NULL, 0, "ticket", *id);
		return false;
	}
	return true;
}

/*
 * Whether a client sees an attachment: one on the ticket itself or on a
 * public note, never one on the firm's internal notes. 1, 0, or -1.
 */
static int client_sees(struct resource_ctx *ctx, const json_t *rec)
{
	json_t *note = json_object_get(rec, "note_id");
	if (!json_is_integer(note))
		return 1;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT visibility FROM ticket_notes WHERE id = ?", "i",
			(int64_t)json_integer_value(note));
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	bool shown = strcmp(db_col_text(st, 0), "public") == 0;
	db_done(st);
	return shown;
}

/* The decimal id of a form field, or 0. */
static int64_t field_id(const struct http_part *p)
{
	char text[24];
	if (p->len == 0 || p->len >= sizeof(text))
		return 0;
	memcpy(text, p->data, p->len);
	text[p->len] = '\0';
	return api_parse_id(text);
}

static int upload(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t ticket;
	/* the ticket first: one the caller may not see is a 404 whatever the body holds */
	if (!api_no_query_or_reply(req) || !ticket_or_reply(req, &ctx, &ticket))
		return 0;
	const char *ct = http_header(req, "Content-Type");
	const char *boundary, *err;
	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return http_reply_problem(req, 415, "unsupported-media-type", NULL,
					  "an upload is multipart/form-data with one or more"
					  " \"file\" parts, not \"%s\"", ct ? ct : "(no Content-Type)");
	if (http_multipart_boundary(ct, &req->arena, &boundary, &err) < 0)
		return http_reply_problem(req, 400, "malformed-multipart", NULL, "%s", err);
	struct http_part *parts;
	int n = http_multipart_parse(req->raw_body.data, req->raw_body.len, boundary, &req->arena,
				     UPLOAD_MAX_PARTS, &parts, &err);
	if (n < 0)
		return http_reply_problem(req, 400, "malformed-multipart", NULL, "%s", err);

	struct attachment_file files[UPLOAD_MAX_FILES + 1];
	size_t nfiles = 0;
	int64_t note = 0;
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	for (int i = 0; i < n; i++) {
		const struct http_part *p = &parts[i];
		if (strcmp(p->name, "file") == 0) {
			if (!p->filename) {
				resource_error(errors, "file", "a file part needs a filename");
				continue;
			}
			if (p->len > ATTACHMENT_MAX_BYTES)
				return http_reply_problem(req, 413, "file-too-large", NULL,
							  "\"%s\" is %zu bytes: a file may have at most "
							  ATTACHMENT_MAX_LIMIT_TEXT " (%u bytes)",
							  p->filename, p->len, ATTACHMENT_MAX_BYTES);
			if (nfiles == UPLOAD_MAX_FILES)
				return http_reply_problem(req, 413, "too-many-files", NULL,
							  "an upload may hold at most %d files",
							  UPLOAD_MAX_FILES);
			files[nfiles++] = (struct attachment_file){ p->filename, p->content_type,
								    p->data, p->len };
		} else if (strcmp(p->name, "note_id") == 0 && !p->filename) {
			if (note) {
				resource_error(errors, "note_id", "is given twice");
				continue;
			}
			note = field_id(p);
			if (!note)
				resource_error(errors, "note_id", "must be the id of a note");
		} else {
			resource_error(errors, p->name,
				       "is not a field of an upload (file, note_id)");
		}
	}
	if (!nfiles && !json_array_size(errors))
		resource_error(errors, "file", "is required: one or more file parts");
	if (json_array_size(errors))
		return api_reply_result(req, RC_INVALID, NULL, errors, 0, "upload", 0);
	/* a client's files are theirs, on the ticket (notes are the firm's to arrange) */
	const struct auth_user *u = api_user(req);
	bool client = u->role == ROLE_PORTAL;
	if (client && note) {
		resource_error(errors, "note_id", "the portal attaches files to the ticket itself");
		return api_reply_result(req, RC_INVALID, NULL, errors, 0, "upload", 0);
	}

	int64_t ids[UPLOAD_MAX_FILES + 1];
	json_t *errs = NULL;
	int rc = attachment_store_all(&ctx, ticket, note, client ? u->contact_id : 0, files,
				      nfiles, ids, &errs);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errs, 0,
					rc == RC_INVALID ? "upload" : "ticket", ticket);
	json_t *items = http_json(req, json_array());
	if (!items)
		return -1;
	for (size_t i = 0; i < nfiles; i++) {
		json_t *rec;
		rc = resource_get(&ctx, &attachment_resource, ids[i], &rec);
		if (rc != RC_OK)
			return -1;
		json_array_append(items, rec);
	}
	if (nfiles == 1 && !client)
		http_set_header(req, "Location", arena_printf(&req->arena, "/api/v1/attachments/%lld",
							      (long long)ids[0]));
	return http_reply_json(req, 201, http_json(req, json_pack("{s:O}", "data", items)));
}

/* GET /tickets/:id/attachments: the list of /attachments with ticket_id from the path. */
static int list(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t ticket;
	for (int i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, "ticket_id") == 0)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "ticket_id comes from the path");
	if (req->nquery >= HTTP_MAX_QUERY)
		return http_reply_problem(req, 400, "bad-query", NULL, "too many parameters");
	struct http_kv pairs[HTTP_MAX_QUERY + 1];
	memcpy(pairs, req->query, sizeof(pairs[0]) * (size_t)req->nquery);
	pairs[req->nquery] = (struct http_kv){ "ticket_id", http_param(req, "id") };
	const struct auth_user *u = api_user(req);
	struct resource_query q;
	const char *err;
	if (!ticket_or_reply(req, &ctx, &ticket))
		return 0;
	if (resource_query_parse(&attachment_resource, u ? u->role : 0, pairs, req->nquery + 1, &q,
				 &req->arena, &err) < 0)
		return http_reply_problem(req, 400, "bad-query", NULL, "%s", err);
	json_t *data;
	const char *next = NULL;
	int rc = resource_list(&ctx, &attachment_resource, &q, &data, &next);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 0, "ticket", ticket);
	if (u && u->role == ROLE_PORTAL) {
		json_t *shown = http_json(req, json_array());
		size_t i;
		json_t *rec;
		json_array_foreach(data, i, rec) {
			int seen = client_sees(&ctx, rec);
			if (seen < 0)
				return -1;
			if (seen)
				json_array_append(shown, rec);
		}
		data = shown;
	}
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O, s:s?}", "data", data,
								  "next_cursor", next)));
}

/* RFC 6266: an ASCII fallback and the UTF-8 name (RFC 8187), in the arena. */
static const char *disposition(struct http_req *req, const char *kind, const char *name)
{
	size_t n = strlen(name);
	char *ascii = arena_alloc(&req->arena, n + 1);
	char *ext = arena_alloc(&req->arena, 3 * n + 1);
	if (!ascii || !ext)
		return NULL;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 0x80) {
			ascii[j++] = '_';
			while (i + 1 < n && ((unsigned char)name[i + 1] & 0xc0) == 0x80)
				i++;	/* one "_" for a whole UTF-8 character */
		} else {
			ascii[j++] = c < 0x20 || c == '"' || c == '\\' || c == 0x7f ? '_' : (char)c;
		}
	}
	ascii[j] = '\0';
	j = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("!#$&+-.^_`|~", c)) {
			ext[j++] = (char)c;
		} else {
			snprintf(ext + j, 4, "%%%02X", c);
			j += 3;
		}
	}
	ext[j] = '\0';
	return arena_printf(&req->arena, "%s; filename=\"%s\"; filename*=UTF-8''%s", kind, ascii,
			    ext);
}

/* GET /attachments/:id/content[?inline=1] */
static int content(struct http_req *req)
{
	int64_t id = api_parse_id(http_param(req, "id"));
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no attachment with id \"%s\"",
					  http_param(req, "id") ? http_param(req, "id") : "");
	bool show_inline = false;
	for (int i = 0; i < req->nquery; i++) {
		const struct http_kv *kv = &req->query[i];
		if (strcmp(kv->name, "inline") != 0)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "unknown query parameter \"%s\": this route takes"
						  " only inline", kv->name);
		if (strcmp(kv->value, "1") != 0 && strcmp(kv->value, "0") != 0)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "inline is 1 or 0, not \"%s\"", kv->value);
		show_inline = strcmp(kv->value, "1") == 0;
	}
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *rec;
	int rc = resource_get(&ctx, &attachment_resource, id, &rec);
	if (rc == RC_OK && !json_is_null(json_object_get(rec, "archived_at")))
		return http_reply_problem(req, 404, "not-found", NULL,
					  "attachment %lld is archived: restore it to download it",
					  (long long)id);
	const struct auth_user *u = api_user(req);
	if (rc == RC_OK && u->role == ROLE_PORTAL) {
		int seen = client_sees(&ctx, rec);
		if (seen < 0)
			return -1;
		rc = seen ? RC_OK : RC_NOT_FOUND;
	}
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 0, "attachment", id);
	const char *type = json_string_value(json_object_get(rec, "content_type"));
	const char *sha = json_string_value(json_object_get(rec, "sha256"));
	const char *name = json_string_value(json_object_get(rec, "filename"));
	if (show_inline && !attachment_type_is_image(type))
		return http_reply_problem(req, 400, "not-an-image", NULL,
					  "only images (png, jpeg, gif, webp) are shown inline; this"
					  " is %s: download it", type);
	const char *etag = arena_printf(&req->arena, "\"%s\"", sha);
	const char *cd = disposition(req, show_inline ? "inline" : "attachment", name);
	if (!etag || !cd)
		return -1;
	http_set_header(req, "ETag", etag);
	http_set_header(req, "X-Content-Type-Options", "nosniff");
	http_set_header(req, "Content-Security-Policy", "sandbox; default-src 'none'");
	http_set_header(req, "Cache-Control", "private, no-cache");
	const char *inm = http_header(req, "If-None-Match");
	if (inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0))
		return http_reply_empty(req, 304);
	int fd;
	uint64_t size;
	rc = blob_open(sha, &fd, &size);
	if (rc == RC_NOT_FOUND)
		log_error("request %s: the file %s of attachment %lld is missing from \"%s\"",
			  req->id, sha, (long long)id, blob_root());
	if (rc != RC_OK)
		return -1;
	http_set_header(req, "Content-Disposition", cd);
	return http_reply_file(req, 200, type, fd, size);
}

#define DESK (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES)

static const struct http_route routes[] = {
	{ "POST", "/api/v1/tickets/:id/attachments", upload, DESK, HTTP_RAW_BODY | HTTP_UPLOAD,
	  NULL },
	{ "GET", "/api/v1/tickets/:id/attachments", list, ROLE_STAFF, 0, NULL },
	{ "GET", "/api/v1/attachments/:id/content", content, ROLE_STAFF, 0, NULL },
	/* the client's, in the portal: their tickets' files but those of internal notes */
	{ "POST", "/api/v1/portal/tickets/:id/attachments", upload, ROLE_PORTAL,
	  HTTP_RAW_BODY | HTTP_UPLOAD, NULL },
	{ "GET", "/api/v1/portal/tickets/:id/attachments", list, ROLE_PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/attachments/:id/content", content, ROLE_PORTAL, 0, NULL },
};

const struct api_routes api_attachment_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
