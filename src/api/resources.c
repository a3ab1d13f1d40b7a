/*
 * resources.c - the generic handlers that put a resource table on HTTP:
 *
 *   GET    /api/v1/<name>              list (filters, q, sort, cursor, limit)
 *   POST   /api/v1/<name>              create            -> 201, Location, ETag
 *   GET    /api/v1/<name>/:id          get               -> ETag
 *   PATCH  /api/v1/<name>/:id          merge-patch update  (If-Match required)
 *   DELETE /api/v1/<name>/:id          archive             (If-Match required)
 *   POST   /api/v1/<name>/:id/restore  undo an archive
 *   POST   /api/v1/<name>/:id/<action>   an action of the resource's table
 *
 * The route's data is the struct resource (for an action, a struct
 * api_action naming both). ETags are the record's version. The caller's
 * role travels in the context: the engine masks fields and owner rows.
 */
#include "api.h"

#include "auth/auth.h"
#include "billing/billing.h"
#include "core/alloc.h"
#include "core/jsonout.h"
#include "core/log.h"
#include "catalog/catalog.h"
#include "crm/crm.h"
#include "kb/kb.h"
#include "mail/mail.h"
#include "quality/quality.h"
#include "quotes/quotes.h"
#include "core/timeutil.h"
#include "resource/resource.h"
#include "service/attachments.h"
#include "service/service.h"
#include "webhooks/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct resource *res_of(const struct http_req *req)
{
	return req->route->data;
}

int64_t api_parse_id(const char *s)
{
	bool ok = s && s[0] >= '1' && s[0] <= '9' && strlen(s) <= 18;
	for (const char *p = s; ok && *p; p++)
		ok = *p >= '0' && *p <= '9';
	return ok ? strtoll(s, NULL, 10) : 0;
}

bool api_ctx_or_reply(struct http_req *req, struct resource_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->db = api_db_or_reply(req);
	if (!ctx->db)
		return false;
	ctx->arena = &req->arena;
	ctx->now = time_now();
	const struct auth_user *u = api_user(req);
	struct audit_actor *actor = arena_zalloc(&req->arena, sizeof(*actor));
	if (!actor) {
		http_reply_problem(req, 503, "unavailable", NULL, "out of memory");
		return false;
	}
	actor->user_id = u ? u->id : 0;
	actor->label = u ? u->email : "anonymous";
	actor->request_id = req->id;
	actor->role = u ? u->role : 0;
	actor->address = req->remote_addr;
	ctx->actor = actor;
	/* a client in the portal: only their company's records exist */
	if (u && u->role == ROLE_PORTAL)
		ctx->scope_company = u->company_id ? u->company_id : -1;
	return true;
}

static struct resource_ctx *ctx_or_reply(struct http_req *req, struct resource_ctx *ctx)
{
	const struct resource *res = res_of(req);
	int64_t parent = 0;
	if (res->parent) {
		/* /tickets/:id/notes: the parent must be named by a well-formed id */
		parent = api_parse_id(http_param(req, "id"));
		if (!parent) {
			http_reply_problem(req, 404, "not-found", NULL, "no %s with id \"%s\"",
					   res->parent->singular, http_param(req, "id"));
			return NULL;
		}
	}
	if (!api_ctx_or_reply(req, ctx))
		return NULL;
	ctx->parent_id = parent;
	return ctx;
}

/*
 * The record's id from the path (":id", or ":item" under a parent) as a
 * positive id, or a 404 reply.
 */
static bool id_or_reply(struct http_req *req, int64_t *id)
{
	const char *s = http_param(req, res_of(req)->parent ? "item" : "id");
	*id = api_parse_id(s);
	if (!*id) {
		http_reply_problem(req, 404, "not-found", NULL, "no %s with id \"%s\"",
				   res_of(req)->singular, s ? s : "");
		return false;
	}
	return true;
}

static void set_etag_version(struct http_req *req, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)version);
	http_set_header(req, "ETag", etag);
}

static void set_etag(struct http_req *req, const json_t *record)
{
	json_t *v = json_object_get(record, "version");
	if (json_is_integer(v))
		set_etag_version(req, json_integer_value(v));
}

/*
 * If-Match: required for changes, so two people editing one record never
 * overwrite each other unknowingly. "*" opts out. A list of ETags matches
 * when any does (RFC 9110 13.1.1): the current version is looked up and
 * the engine then checks it again inside the write's transaction.
 * Sets *version (RESOURCE_ANY_VERSION for "*" or no header) or replies.
 */
static bool if_match_or_reply(struct http_req *req, struct resource_ctx *ctx, int64_t id,
			      bool required, int64_t *version)
{
	const char *h = http_header(req, "If-Match");
	*version = RESOURCE_ANY_VERSION;
	if (!h) {
		if (!required)
			return true;
		http_reply_problem(req, 428, "precondition-required", NULL,
				   "If-Match is required: send the ETag from a GET of this %s, "
				   "or * to overwrite whatever is there",
				   res_of(req)->singular);
		return false;
	}
	int64_t listed[16];
	int n = 0;
	const char *p = h;
	bool star = false, ok = true;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '*' && n == 0 && !star) {
			star = true;
			p++;
		} else {
			if (strncmp(p, "W/", 2) == 0)
				p += 2;
			long long v;
			int used = 0;
			if (star || n == 16 || sscanf(p, "\"%lld\"%n", &v, &used) != 1 || used == 0 ||
			    v < 1) {
				ok = false;
				break;
			}
			listed[n++] = v;
			p += used;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p != ',' || star) {
			ok = false;
			break;
		}
		p++;
	}
	if (ok && star)
		return true;
	if (ok && n == 1) {
		*version = listed[0];
		return true;
	}
	if (ok) {
		json_t *cur;
		int rc = resource_get(ctx, res_of(req), id, &cur);
		if (rc == RC_NOT_FOUND) {
			http_reply_problem(req, 404, "not-found", NULL, "no %s with id %lld",
					   res_of(req)->singular, (long long)id);
			return false;
		}
		if (rc != RC_OK) {
			http_reply_problem(req, 503, "unavailable", NULL, "cannot read the %s",
					   res_of(req)->singular);
			return false;
		}
		int64_t current = json_integer_value(json_object_get(cur, "version"));
		for (int i = 0; i < n; i++) {
			if (listed[i] == current) {
				*version = current;
				return true;
			}
		}
	}
	http_reply_problem(req, 412, "stale", NULL,
			   "If-Match %s does not match the current version of this %s", h,
			   res_of(req)->singular);
	return false;
}

/* Only list routes take query parameters; elsewhere one is a mistake to name. */
bool api_no_query_or_reply(struct http_req *req)
{
	if (req->nquery == 0)
		return true;
	http_reply_problem(req, 400, "bad-query", NULL,
			   "unknown query parameter \"%s\": this route takes none",
			   req->query[0].name);
	return false;
}

static int reply_status(struct http_req *req, int status, json_t *errors, int64_t id)
{
	const struct resource *res = res_of(req);
	switch (status) {
	case RC_NOT_FOUND:
		if (res->parent && !id)
			return http_reply_problem(req, 404, "not-found", NULL, "no %s with id %s",
						  res->parent->singular, http_param(req, "id"));
		if (res->parent)
			return http_reply_problem(req, 404, "not-found", NULL,
						  "no %s with id %lld on %s %s", res->singular,
						  (long long)id, res->parent->singular,
						  http_param(req, "id"));
		return http_reply_problem(req, 404, "not-found", NULL, "no %s with id %lld",
					  res->singular, (long long)id);
	case RC_FORBIDDEN:
		if (!json_array_size(errors))
			return http_reply_problem(req, 403, "forbidden", NULL,
						  "your role may change only your own %s", res->name);
		return api_reply_result(req, status, NULL, errors, 0, res->singular, id);
	default:
		return api_reply_result(req, status, NULL, errors, 0, res->singular, id);
	}
}

static int reply_record(struct http_req *req, int status, json_t *record)
{
	set_etag(req, record);
	return http_reply_json(req, status, record);
}

/* Rebuilds the request's query with a new cursor, for the Link header. */
const char *api_next_link(struct http_req *req, const char *cursor)
{
	struct buf b;
	buf_init(&b, 16 * 1024);
	buf_addstr(&b, req->path);
	char sep = '?';
	for (int i = 0; i < req->nquery; i++) {
		if (strcmp(req->query[i].name, "cursor") == 0)
			continue;
		buf_addch(&b, sep);
		sep = '&';
		for (int part = 0; part < 2; part++) {
			const unsigned char *s = (const unsigned char *)(part ? req->query[i].value
									: req->query[i].name);
			if (part)
				buf_addch(&b, '=');
			for (; *s; s++) {
				if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				    (*s >= '0' && *s <= '9') || strchr("-._~,", *s))
					buf_addch(&b, (char)*s);
				else
					buf_addf(&b, "%%%02X", *s);
			}
		}
	}
	buf_addf(&b, "%ccursor=%s", sep, cursor);
	const char *link = b.failed ? NULL : arena_printf(&req->arena, "<%s>; rel=\"next\"",
							   buf_str(&b));
	buf_release(&b);
	return link;
}

int api_resource_list(struct http_req *req)
{
	const struct resource *res = res_of(req);
	struct resource_ctx ctx;
	struct resource_query q;
	const char *err;
	const struct auth_user *u = api_user(req);
	if (resource_query_parse(res, u ? u->role : 0, req->query, req->nquery, &q, &req->arena,
				 &err) < 0)
		return http_reply_problem(req, 400, "bad-query", NULL, "%s", err);
	if (!ctx_or_reply(req, &ctx))
		return 0;
	/* {"data": […], "next_cursor": …} written as the rows are read */
	struct buf *b = http_reply_body(req);
	const char *next = NULL;
	buf_addstr(b, "{\"data\":");
	int rc = resource_list_text(&ctx, res, &q, b, &next);
	if (rc != RC_OK)
		return reply_status(req, rc, NULL, 0);
	buf_addstr(b, ",\"next_cursor\":");
	if (next) {
		const char *link = api_next_link(req, next);
		if (link)
			http_set_header(req, "Link", link);
		json_write_string(b, next, strlen(next));
	} else {
		buf_addstr(b, "null");
	}
	buf_addch(b, '}');
	return http_reply_written(req, 200);
}

int api_resource_get(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!id_or_reply(req, &id) || !api_no_query_or_reply(req) || !ctx_or_reply(req, &ctx))
		return 0;
	int64_t version;
	int rc = resource_get_text(&ctx, res_of(req), id, http_reply_body(req), &version);
	if (rc != RC_OK)
		return reply_status(req, rc, NULL, id);
	if (version >= 0)
		set_etag_version(req, version);
	return http_reply_written(req, 200);
}

int api_list_owned(struct http_req *req, const struct resource *res, const char *owner,
		   int (*present)(struct resource_ctx *ctx, json_t *list))
{
	const struct auth_user *u = api_user(req);
	struct resource_query q;
	const char *err;
	if (resource_query_parse(res, u->role, req->query, req->nquery, &q, &req->arena, &err) < 0)
		return http_reply_problem(req, 400, "bad-query", NULL, "%s", err);
	if (owner) {
		if (q.nfilters == (int)(sizeof(q.filters) / sizeof(q.filters[0])))
			return http_reply_problem(req, 400, "bad-query", NULL, "too many filters");
		const char **mine = arena_alloc(&req->arena, sizeof(*mine));
		if (!mine)
			return -1;
		*mine = arena_printf(&req->arena, "%lld", (long long)u->id);
		q.filters[q.nfilters++] = (struct resource_filter){
			.field = resource_field(res, owner), .column = owner, .op = FILTER_IN,
			.values = mine, .nvalues = 1,
		};
	}
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *data;
	const char *next = NULL;
	int rc = resource_list(&ctx, res, &q, &data, &next);
	if (rc == RC_OK && present)
		rc = present(&ctx, data);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 200, res->singular, 0);
	if (next) {
		const char *link = api_next_link(req, next);
		if (link)
			http_set_header(req, "Link", link);
	}
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O, s:s?}", "data", data,
								  "next_cursor", next)));
}

static int res_create(struct http_req *req)
{
	const struct resource *res = res_of(req);
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object with the new %s's fields is required",
					  res->singular);
	if (!ctx_or_reply(req, &ctx))
		return 0;
	json_t *rec, *errors = NULL;
	int rc = resource_create(&ctx, res, req->body, &rec, &errors);
	if (rc != RC_OK)
		return reply_status(req, rc, errors, 0);
	char loc[512];
	snprintf(loc, sizeof(loc), "%s/%lld", req->path,
		 (long long)json_integer_value(json_object_get(rec, "id")));
	http_set_header(req, "Location", loc);
	return reply_record(req, 201, rec);
}

static int res_update(struct http_req *req)
{
	const struct resource *res = res_of(req);
	struct resource_ctx ctx;
	int64_t id, version;
	if (!id_or_reply(req, &id) || !api_no_query_or_reply(req))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON merge patch of the %s's fields is required",
					  res->singular);
	if (!ctx_or_reply(req, &ctx) || !if_match_or_reply(req, &ctx, id, true, &version))
		return 0;
	json_t *rec, *errors = NULL;
	int rc = resource_update(&ctx, res, id, req->body, version, &rec, &errors);
	if (rc != RC_OK)
		return reply_status(req, rc, errors, id);
	return reply_record(req, 200, rec);
}

static int archive(struct http_req *req, bool on)
{
	struct resource_ctx ctx;
	int64_t id, version;
	if (!id_or_reply(req, &id) || !api_no_query_or_reply(req) || !ctx_or_reply(req, &ctx) ||
	    !if_match_or_reply(req, &ctx, id, on, &version))
		return 0;
	json_t *rec, *errors = NULL;
	int rc = resource_archive(&ctx, res_of(req), id, version, on, &rec, &errors);
	if (rc != RC_OK)
		return reply_status(req, rc, errors, id);
	return reply_record(req, 200, rec);
}

static int res_archive(struct http_req *req)
{
	return archive(req, true);
}

static int res_restore(struct http_req *req)
{
	return archive(req, false);
}

/* DELETE /invoices/:id discards a draft (what it billed bills again); an issued one is voided. */
static int invoice_discard(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	if (!id_or_reply(req, &id) || !api_no_query_or_reply(req) || !ctx_or_reply(req, &ctx))
		return 0;
	json_t *inv;
	int rc = resource_get(&ctx, &invoice_resource, id, &inv);
	if (rc != RC_OK)
		return reply_status(req, rc, NULL, id);
	const char *status = json_string_value(json_object_get(inv, "status"));
	if (strcmp(status, "draft") != 0)
		return http_reply_problem(req, 409, "conflict", NULL,
					  "an %s invoice is not discarded: void it (POST"
					  " /api/v1/invoices/%lld/void) or make a credit note",
					  status, (long long)id);
	return archive(req, true);
}

/* An action route's data: the resource and its action. */
struct api_action {
	const struct resource *res;
	const struct resource_action *action;
};

/* POST /{resource}/{id}/{action}: the engine applies it; If-Match unless optional. */
static int res_act(struct http_req *req)
{
	const struct api_action *a = req->route->data;
	struct resource_ctx ctx;
	int64_t id = api_parse_id(http_param(req, "id")), version = RESOURCE_ANY_VERSION;
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no %s with id \"%s\"",
					  a->res->singular, http_param(req, "id"));
	if (!api_no_query_or_reply(req))
		return 0;
	bool required = !(a->action->flags & ACTION_IF_MATCH_OPTIONAL);
	if ((required || http_header(req, "If-Match")) &&
	    !api_version_or_reply(req, a->res->singular, &version))
		return 0;
	if (a->action->body && !req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "%s takes a JSON object: see the %s action's fields",
					  a->action->name, a->action->name);
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	json_t *rec = NULL, *errors = NULL;
	int rc = resource_act(&ctx, a->res, a->action, id, req->body, version, &rec, &errors);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errors, 0, a->res->singular, id);
	if (a->action->flags & ACTION_CREATES) {
		const struct resource *made = a->action->creates ? a->action->creates : a->res;
		http_set_header(req, "Location",
				arena_printf(&req->arena, "/api/v1/%s/%lld", made->name,
					     (long long)json_integer_value(json_object_get(rec, "id"))));
		return api_reply_result(req, rc, rec, NULL, 201, a->res->singular, id);
	}
	return api_reply_result(req, rc, rec, NULL, 200, a->res->singular, id);
}

const struct resource *api_route_resource(const struct http_route *r,
					   const struct resource_action **action)
{
	static const http_handler generic[] = {
		api_resource_list, res_create, api_resource_get, res_update, res_archive, res_restore,
		api_quote_get, api_notification_list, api_qa_review_list, api_qa_review_get,
		api_survey_list, api_survey_get,
	};
	*action = NULL;
	if (r->handler == res_act) {
		const struct api_action *a = r->data;
		*action = a->action;
		return a->res;
	}
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (r->handler == generic[i])
			return r->data;
	return NULL;
}

int api_action_routes(const struct http_route *table, size_t n, struct http_route **out,
		      size_t *nout)
{
	size_t count = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct http_route *r = &table[i];
			size_t len = strlen(r->pattern);
			const struct resource *res = r->data;
			/* the resource's record route, GET …/:id, names where its actions live */
			if (strcmp(r->method, "GET") != 0 || len < 4 ||
			    strcmp(r->pattern + len - 4, "/:id") != 0 || !res)
				continue;
			for (const struct resource_action *const *a = res->actions; a && *a; a++) {
				if (!(*a)->roles)
					continue;
				if (pass == 1) {
					struct api_action *aa = xcalloc(1, sizeof(*aa));
					size_t plen = len + strlen((*a)->name) + 2;
					char *pattern = xmalloc(plen);
					if (!aa || !pattern) {
						xfree(aa);
						xfree(pattern);
						log_error("cannot build the action routes: out of memory");
						return -1;
					}
					snprintf(pattern, plen, "%s/%s", r->pattern, (*a)->name);
					aa->res = res;
					aa->action = *a;
					(*out)[count] = (struct http_route){
						"POST", pattern, res_act, (*a)->roles,
						(*a)->flags & ACTION_SECRET_REPLY ? HTTP_SECRET_REPLY : 0,
						aa
					};
				}
				count++;
			}
		}
		if (pass == 0) {
			*out = count ? xcalloc(count, sizeof(**out)) : NULL;
			if (count && !*out) {
				log_error("cannot build the action routes: out of memory");
				return -1;
			}
			*nout = count;
			count = 0;
		}
	}
	return 0;
}

#define WRITERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES | ROLE_BILLING)
#define ARCHIVERS (ROLE_ADMIN | ROLE_MANAGER)

#define RESOURCE_ROUTES(path, res, readers, writers, archivers)                               \
	{ "GET", "/api/v1/" path, api_resource_list, readers, 0, &res },                      \
	{ "POST", "/api/v1/" path, res_create, writers, 0, &res },                           \
	{ "GET", "/api/v1/" path "/:id", api_resource_get, readers, 0, &res },                \
	{ "PATCH", "/api/v1/" path "/:id", res_update, writers, 0, &res },                   \
	{ "DELETE", "/api/v1/" path "/:id", res_archive, archivers, HTTP_RAW_BODY, &res },    \
	{ "POST", "/api/v1/" path "/:id/restore", res_restore, archivers, HTTP_RAW_BODY, &res }

/* Records that are never archived, only moved through their statuses (tickets). */
#define RECORD_ROUTES(path, res, readers, writers)                                            \
	{ "GET", "/api/v1/" path, api_resource_list, readers, 0, &res },                      \
	{ "POST", "/api/v1/" path, res_create, writers, 0, &res },                           \
	{ "GET", "/api/v1/" path "/:id", api_resource_get, readers, 0, &res },                \
	{ "PATCH", "/api/v1/" path "/:id", res_update, writers, 0, &res }

/* A child resource: /parent/:id/children[/:item] */
#define CHILD_ROUTES(path, res, readers, writers, archivers)                                  \
	{ "GET", "/api/v1/" path, api_resource_list, readers, 0, &res },                      \
	{ "POST", "/api/v1/" path, res_create, writers, 0, &res },                           \
	{ "GET", "/api/v1/" path "/:item", api_resource_get, readers, 0, &res },              \
	{ "PATCH", "/api/v1/" path "/:item", res_update, writers, 0, &res },                 \
	{ "DELETE", "/api/v1/" path "/:item", res_archive, archivers, HTTP_RAW_BODY, &res },  \
	{ "POST", "/api/v1/" path "/:item/restore", res_restore, archivers, HTTP_RAW_BODY, &res }

#define MANAGERS (ROLE_ADMIN | ROLE_MANAGER)
#define COMMERCIAL (ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES | ROLE_BILLING)
#define DESK (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES)
#define SELLERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES)
#define BILLERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_BILLING)
#define QA_READERS (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN)

static const struct http_route routes[] = {
	RESOURCE_ROUTES("companies", company_resource, ROLE_STAFF, WRITERS, ARCHIVERS),
	RESOURCE_ROUTES("contacts", contact_resource, ROLE_STAFF, WRITERS, ARCHIVERS),
	RESOURCE_ROUTES("sites", site_resource, ROLE_STAFF, WRITERS, ARCHIVERS),
	RESOURCE_ROUTES("assets", asset_resource, ROLE_STAFF, WRITERS, ARCHIVERS),
	RESOURCE_ROUTES("users", user_resource, ROLE_STAFF, ROLE_ADMIN, ROLE_ADMIN),
	CHILD_ROUTES("users/:id/certifications", certification_resource, ROLE_STAFF, MANAGERS,
		     MANAGERS),
	RESOURCE_ROUTES("products", product_resource, ROLE_STAFF,
			ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES, MANAGERS),
	RESOURCE_ROUTES("work-types", work_type_resource, ROLE_STAFF, MANAGERS, MANAGERS),
	RESOURCE_ROUTES("calendars", calendar_resource, ROLE_STAFF, MANAGERS, MANAGERS),
	RESOURCE_ROUTES("sla-policies", sla_policy_resource, ROLE_STAFF, MANAGERS, MANAGERS),
	RESOURCE_ROUTES("contracts", contract_resource, COMMERCIAL, COMMERCIAL, MANAGERS),
	RECORD_ROUTES("tickets", ticket_resource, ROLE_STAFF, DESK),
	CHILD_ROUTES("tickets/:id/notes", ticket_note_resource, ROLE_STAFF, DESK, MANAGERS),
	RESOURCE_ROUTES("time-entries", time_entry_resource, ROLE_STAFF,
			ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN, MANAGERS),
	CHILD_ROUTES("tickets/:id/checklist", checklist_item_resource, ROLE_STAFF, DESK, DESK),
	CHILD_ROUTES("tickets/:id/parts", part_resource, ROLE_STAFF,
		     ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN, MANAGERS),
	{ "GET", "/api/v1/tickets/:id/history", api_resource_list, ROLE_STAFF, 0, &ticket_event_resource },
	{ "GET", "/api/v1/tickets/:id/history/:item", api_resource_get, ROLE_STAFF, 0,
	  &ticket_event_resource },
	RESOURCE_ROUTES("checklist-templates", checklist_template_resource, ROLE_STAFF, MANAGERS,
			MANAGERS),
	RESOURCE_ROUTES("recurring-tickets", recurring_resource, ROLE_STAFF, MANAGERS, MANAGERS),
	RESOURCE_ROUTES("appointments", appointment_resource, ROLE_STAFF,
			ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN, ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN),
	RESOURCE_ROUTES("opportunities", opportunity_resource, ROLE_STAFF, SELLERS, MANAGERS),
	RESOURCE_ROUTES("activities", activity_resource, ROLE_STAFF, WRITERS, MANAGERS),
	/* GET /quotes/:id also answers /quotes/:id.pdf */
	{ "GET", "/api/v1/quotes", api_resource_list, COMMERCIAL, 0, &quote_resource },
	{ "POST", "/api/v1/quotes", res_create, SELLERS, 0, &quote_resource },
	{ "GET", "/api/v1/quotes/:id", api_quote_get, COMMERCIAL, 0, &quote_resource },
	{ "PATCH", "/api/v1/quotes/:id", res_update, SELLERS, 0, &quote_resource },
	{ "DELETE", "/api/v1/quotes/:id", res_archive, MANAGERS, HTTP_RAW_BODY, &quote_resource },
	{ "POST", "/api/v1/quotes/:id/restore", res_restore, MANAGERS, HTTP_RAW_BODY,
	  &quote_resource },
	{ "GET", "/api/v1/audit", api_resource_list, ROLE_ADMIN | ROLE_MANAGER, 0, &audit_resource },
	{ "GET", "/api/v1/audit/:id", api_resource_get, ROLE_ADMIN | ROLE_MANAGER, 0, &audit_resource },
	/* getting paid: drafts are edited and discarded; issued invoices only act */
	{ "GET", "/api/v1/invoices", api_resource_list, COMMERCIAL, 0, &invoice_resource },
	{ "POST", "/api/v1/invoices", res_create, BILLERS, 0, &invoice_resource },
	/* GET /invoices/:id also answers /invoices/:id.pdf */
	{ "GET", "/api/v1/invoices/:id", api_invoice_get, COMMERCIAL, 0, &invoice_resource },
	{ "PATCH", "/api/v1/invoices/:id", res_update, BILLERS, 0, &invoice_resource },
	{ "DELETE", "/api/v1/invoices/:id", invoice_discard, BILLERS, HTTP_RAW_BODY,
	  &invoice_resource },
	CHILD_ROUTES("invoices/:id/payments", payment_resource, COMMERCIAL, BILLERS, BILLERS),
	{ "GET", "/api/v1/credit-notes", api_resource_list, COMMERCIAL, 0, &credit_note_resource },
	{ "GET", "/api/v1/credit-notes/:id", api_resource_get, COMMERCIAL, 0, &credit_note_resource },
	{ "GET", "/api/v1/invoice-runs", api_resource_list, BILLERS, 0, &invoice_run_resource },
	{ "GET", "/api/v1/invoice-runs/:id", api_resource_get, BILLERS, 0, &invoice_run_resource },
	/* files on tickets: made by an upload (attachments.c); a technician archives their own */
	{ "GET", "/api/v1/attachments", api_resource_list, ROLE_STAFF, 0, &attachment_resource },
	{ "GET", "/api/v1/attachments/:id", api_resource_get, ROLE_STAFF, 0, &attachment_resource },
	{ "DELETE", "/api/v1/attachments/:id", res_archive, DESK, HTTP_RAW_BODY,
	  &attachment_resource },
	{ "POST", "/api/v1/attachments/:id/restore", res_restore, DESK, HTTP_RAW_BODY,
	  &attachment_resource },
	{ "GET", "/api/v1/events", api_resource_list, ROLE_ADMIN | ROLE_MANAGER, 0, &event_resource },
	{ "GET", "/api/v1/events/:id", api_resource_get, ROLE_ADMIN | ROLE_MANAGER, 0, &event_resource },
	/* mail: what came in (and triage), what went out, and its templates */
	{ "GET", "/api/v1/inbound-messages", api_resource_list, MANAGERS, 0, &inbound_message_resource },
	{ "GET", "/api/v1/inbound-messages/:id", api_resource_get, MANAGERS, 0, &inbound_message_resource },
	{ "GET", "/api/v1/outbound-messages", api_resource_list, ROLE_STAFF, 0, &outbound_message_resource },
	{ "GET", "/api/v1/outbound-messages/:id", api_resource_get, ROLE_STAFF, 0,
	  &outbound_message_resource },
	{ "GET", "/api/v1/mail-templates", api_resource_list, MANAGERS, 0, &mail_template_resource },
	{ "GET", "/api/v1/mail-templates/:id", api_resource_get, MANAGERS, 0, &mail_template_resource },
	{ "PATCH", "/api/v1/mail-templates/:id", res_update, ROLE_ADMIN, 0,
	  &mail_template_resource },
	/* webhooks: admins only (a URL may hold a token); create and rotate show the secret */
	{ "GET", "/api/v1/webhooks", api_resource_list, ROLE_ADMIN, 0, &webhook_resource },
	{ "POST", "/api/v1/webhooks", res_create, ROLE_ADMIN, HTTP_SECRET_REPLY, &webhook_resource },
	{ "GET", "/api/v1/webhooks/:id", api_resource_get, ROLE_ADMIN, 0, &webhook_resource },
	{ "PATCH", "/api/v1/webhooks/:id", res_update, ROLE_ADMIN, 0, &webhook_resource },
	{ "DELETE", "/api/v1/webhooks/:id", res_archive, ROLE_ADMIN, HTTP_RAW_BODY,
	  &webhook_resource },
	{ "POST", "/api/v1/webhooks/:id/restore", res_restore, ROLE_ADMIN, HTTP_RAW_BODY,
	  &webhook_resource },
	{ "GET", "/api/v1/webhooks/:id/deliveries", api_resource_list, ROLE_ADMIN, 0,
	  &webhook_delivery_resource },
	{ "GET", "/api/v1/webhooks/:id/deliveries/:item", api_resource_get, ROLE_ADMIN, 0,
	  &webhook_delivery_resource },
	/* the knowledge base (src/kb/): the desk writes; revisions are kept by the engine's hooks */
	RESOURCE_ROUTES("kb/articles", kb_article_resource, ROLE_STAFF,
			ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN, MANAGERS),
	{ "GET", "/api/v1/kb/articles/:id/revisions", api_resource_list, ROLE_STAFF, 0,
	  &kb_revision_resource },
	{ "GET", "/api/v1/kb/articles/:id/revisions/:item", api_resource_get, ROLE_STAFF, 0,
	  &kb_revision_resource },
	{ "GET", "/api/v1/tickets/:id/kb-links", api_resource_list, ROLE_STAFF, 0, &kb_link_resource },
	{ "POST", "/api/v1/tickets/:id/kb-links", res_create, ROLE_ADMIN | ROLE_MANAGER |
	  ROLE_TECHNICIAN, 0, &kb_link_resource },
	{ "GET", "/api/v1/tickets/:id/kb-links/:item", api_resource_get, ROLE_STAFF, 0, &kb_link_resource },
	{ "DELETE", "/api/v1/tickets/:id/kb-links/:item", res_archive, ROLE_ADMIN | ROLE_MANAGER |
	  ROLE_TECHNICIAN, HTTP_RAW_BODY, &kb_link_resource },
	{ "POST", "/api/v1/tickets/:id/kb-links/:item/restore", res_restore, ROLE_ADMIN |
	  ROLE_MANAGER | ROLE_TECHNICIAN, HTTP_RAW_BODY, &kb_link_resource },
	/* quality reviews: managers review; a technician reads their own (quality.c) */
	RESOURCE_ROUTES("qa-templates", qa_template_resource, ROLE_STAFF, MANAGERS, MANAGERS),
	{ "GET", "/api/v1/qa-draws", api_resource_list, MANAGERS, 0, &qa_draw_resource },
	{ "GET", "/api/v1/qa-draws/:id", api_resource_get, MANAGERS, 0, &qa_draw_resource },
	{ "GET", "/api/v1/qa-reviews", api_qa_review_list, QA_READERS, 0, &qa_review_resource },
	{ "POST", "/api/v1/qa-reviews", res_create, MANAGERS, 0, &qa_review_resource },
	{ "GET", "/api/v1/qa-reviews/:id", api_qa_review_get, QA_READERS, 0, &qa_review_resource },
	{ "PATCH", "/api/v1/qa-reviews/:id", res_update, MANAGERS, 0, &qa_review_resource },
	{ "DELETE", "/api/v1/qa-reviews/:id", res_archive, MANAGERS, HTTP_RAW_BODY,
	  &qa_review_resource },
	{ "POST", "/api/v1/qa-reviews/:id/restore", res_restore, MANAGERS, HTTP_RAW_BODY,
	  &qa_review_resource },
};

const struct api_routes api_resource_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
