/*
 * api.h - the REST API: joins HTTP to the domains. Handlers are thin:
 * decode (or reply 4xx), call the domain, encode.
 *
 * Each file of api/ contributes a group of routes; routes.c puts them in
 * one table for the server. The hooks (authentication, idempotency) live
 * in api/ too because they need the database.
 */
#ifndef SERVIO_API_H
#define SERVIO_API_H

#include "crm/crm.h"
#include "http/http.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct auth_user;
struct db;
struct resource;
struct resource_ctx;

struct api_routes {
	const struct http_route *routes;
	size_t n;
};

/* Route groups, one per file. */
extern const struct api_routes api_auth_routes;		/* auth.c: login, logout, me, totp */
extern const struct api_routes api_resource_routes;	/* resources.c: companies … audit */
extern const struct api_routes api_system_routes;	/* system.c: healthz, metrics */
extern const struct api_routes api_ticket_routes;	/* tickets.c: escalate, merge, … */
extern const struct api_routes api_sales_routes;	/* sales.c: quote actions, link, reports */
extern const struct api_routes api_mail_routes;		/* mail.c: delivery logs, a test message */
extern const struct api_routes api_billing_routes;	/* billing.c: runs, balances, approvals */
extern const struct api_routes api_alert_routes;	/* alerts.c: monitoring intake */
extern const struct api_routes api_attachment_routes;	/* attachments.c: upload, download */
extern const struct api_routes api_webhook_routes;	/* webhooks.c: a delivery's replay */
extern const struct api_routes api_notification_routes;	/* notifications.c: the caller's own */
extern const struct api_routes api_portal_routes;	/* portal.c: the client portal */
extern const struct api_routes api_kb_routes;		/* kb.c: preview, similar articles */
extern const struct api_routes api_quality_routes;	/* quality.c: qa reviews' reads, report */
extern const struct api_routes api_quality_dashboard_routes; /* quality_dashboard.c */
extern const struct api_routes api_survey_routes;	/* surveys.c: surveys, their link, CSAT */
extern const struct api_routes api_manager_routes;	/* manager.c: dashboard, bulk assign */
extern const struct api_routes api_transfer_routes;	/* transfer.c: CSV import and export */
extern const struct api_routes api_test_routes;	/* testing.c: the clock (test builds; else none) */

/* resources.c: a 400 naming the first query parameter of a route that takes none. */
bool api_no_query_or_reply(struct http_req *req);
/* resources.c: the generic GET of one record and of a list (the route's data is its resource). */
int api_resource_get(struct http_req *req);
int api_resource_list(struct http_req *req);
/*
 * resources.c: the generic list of res for the caller, limited to the
 * rows whose owner column (when not NULL) is the caller's user id, each
 * page passed to present (when not NULL: members added to every record).
 */
int api_list_owned(struct http_req *req, const struct resource *res, const char *owner,
		   int (*present)(struct resource_ctx *ctx, json_t *list));
/* resources.c: the Link header's value for a list's next page (cursor), or NULL. */
const char *api_next_link(struct http_req *req, const char *cursor);
/* notifications.c: GET /me/notifications, a list of the engine's (for "servio schema"). */
int api_notification_list(struct http_req *req);
/* quality.c: GET /qa-reviews[/:id], the engine's list and get (a technician's own only). */
int api_qa_review_list(struct http_req *req);
int api_qa_review_get(struct http_req *req);
/* surveys.c: GET /surveys and /surveys/:id, the engine's with each url (for "servio schema"). */
int api_survey_list(struct http_req *req);
int api_survey_get(struct http_req *req);
/* sales.c: GET /quotes/:id, or its PDF for /quotes/:id.pdf. */
int api_quote_get(struct http_req *req);
/* sales.c: a quote as its client sees it (the request's): the document, never our notes. */
json_t *api_quote_client_view(struct http_req *req, const json_t *q);
/* sales.c: replies the quote's PDF. */
int api_quote_pdf(struct http_req *req, struct resource_ctx *ctx, const json_t *quote);
/* billing.c: GET /invoices/:id, or its PDF for /invoices/:id.pdf. */
int api_invoice_get(struct http_req *req);

/*
 * documents.c: the start of a record's GET route that also answers
 * "/{resource}/:id.pdf". Without ".pdf" it replies the record's JSON and
 * returns 0 with *doc NULL; with it, the record the caller may see is in
 * *doc (the request's) with *ctx and *id set, and it returns 1; after a
 * problem it has replied and returns 0, or -1 for a failure of ours.
 */
int api_pdf_record(struct http_req *req, const struct resource *res, struct resource_ctx *ctx,
		   int64_t *id, json_t **doc);
/* Renders doc (borrowed) with the firm's letterhead and replies it as filename. */
typedef document_renderer api_pdf_render;
/* Whether a GET asks for a record's ":id.pdf" form (rendering takes a while). */
bool api_pdf_requested(const struct http_req *req);
struct resource_ctx;
int api_reply_pdf(struct http_req *req, struct resource_ctx *ctx, const json_t *doc,
		  api_pdf_render render, const char *filename);
/*
 * resources.c: POST /{resource}/{id}/{action} for every action of the
 * resources of the route table that has roles. Returns 0 and a heap table
 * in *out (lives until exit), or -1 (logged).
 */
int api_action_routes(const struct http_route *table, size_t n, struct http_route **out,
		      size_t *nout);

struct resource;
struct resource_action;
/*
 * resources.c: the resource a route serves through the engine (the
 * generic list, get, create, patch, archive and restore handlers, and the
 * action routes), or NULL for a route with a handler of its own. *action
 * is the action of an action route, else NULL. For "servio schema".
 */
const struct resource *api_route_resource(const struct http_route *r,
					   const struct resource_action **action);

/*
 * Builds the whole route table once (heap, lives until exit).
 * Returns 0, or -1 when a group is malformed (logged).
 */
int api_route_table(const struct http_route **out, size_t *n);

/* auth.c: whether path is one of the client portal's (/api/v1/portal/…). */
bool api_portal_path(const char *path);
/* portal.c: whether a portal contact of portal_role may call path. */
bool api_portal_allows(const char *portal_role, const char *path);
/*
 * portal.c: the i-th area of the portal (a path prefix) and, in *roles,
 * the portal roles that reach it ("technical admin"); NULL past the last.
 * For "servio schema roles".
 */
const char *api_portal_area(size_t i, const char **roles);
/*
 * auth.c: checks that the body is an object of string members, all in
 * allowed, with every name of required present and non-empty; replies
 * 400/422 and returns false otherwise.
 */
bool api_strings_or_reply(struct http_req *req, const char *const *allowed,
			  const char *const *required);
/* auth.c: sets (or, with "" and 0, clears) the session cookie of the route's side (staff, portal). */
void api_session_cookie(struct http_req *req, const char *value, long max_age);
/*
 * auth.c: checks a sign-in's body {email, password, totp?} as the login
 * routes take it: counted against the account and address first, the same
 * time spent for unknown addresses, a staff user (portal false) or a
 * portal login (true) alone, the TOTP code when the account has one. 1
 * with *u filled; 0 after replying (400, 401, 422, 429); -1 on error.
 */
struct auth_user;
int api_credentials_or_reply(struct http_req *req, struct db *db, bool portal,
			     struct auth_user *u);
/*
 * auth.c: signs u in (staff or portal, by the route's side): the session
 * and its "login" audit entry in one transaction (neither is kept without
 * the other), then its cookie. 1 with s->csrf and s->id set (s->token is
 * wiped once in the cookie); 0 after replying (507 when the database has no
 * room); -1 on a failure of ours (nothing kept).
 */
struct auth_session_new;
int api_session_start(struct http_req *req, struct db *db, const struct auth_user *u,
		      struct auth_session_new *s);
/*
 * auth.c: counts a sign-in attempt against the account (and address):
 * 0 when it may go on, > 0 after replying 429, -1 on error.
 */
int api_login_limit_or_reply(struct http_req *req, struct db *db, const char *email,
			     const char *addr);

/* The pipeline hooks. */
extern const struct http_hooks api_hooks;
/* In auth.c: identifies the caller by session cookie or bearer token. */
int api_authenticate(struct http_req *req);
/* In idempotency.c: Idempotency-Key on POST (hooks.before / hooks.after). */
int api_idempotency_before(struct http_req *req);
void api_idempotency_after(struct http_req *req);
/*
 * In testing.c, test builds only: the allocation-failure sweep's switch.
 * A request with "X-Servio-Fail-Alloc: N" (or "N once") has its
 * allocations counted on its thread from the first of these hooks on to
 * the release of its arena, the Nth failing (and every later one unless
 * "once"); GET /api/v1/test/alloc reports the count. The two wrap the
 * hooks above: authenticate for a non-public route, before for every one.
 */
int api_test_authenticate(struct http_req *req);
int api_test_before(struct http_req *req);

/* Settings the API reads at run time, set once by "servio serve". */
struct api_settings {
	unsigned session_idle_minutes;
	unsigned session_max_hours;
	int https;			/* SERVIO_HTTPS: -1 auto, 0 off, 1 on */
};
extern struct api_settings api_settings;

/*
 * Whether clients reach this server over https: SERVIO_HTTPS when on or
 * off; else (auto) a trusted proxy's X-Forwarded-Proto, or a public_url
 * that starts with https:// (read at most every few seconds). Cookies get
 * Secure and replies HSTS when it is true.
 */
bool api_https(struct http_req *req);
/* hooks.after: HSTS over https, then the idempotency record. */
void api_after(struct http_req *req);
/* attachments.c: the bytes an upload request may have (the server's max_upload). */
extern const size_t api_upload_max_body;

/* This thread's database connection, or a 503 reply and NULL. */
struct db *api_db_or_reply(struct http_req *req);
/* The caller (never NULL on a non-public route after authentication). */
const struct auth_user *api_user(const struct http_req *req);

/*
 * If-Match for an action: one ETag ("N") or *. Sets *version
 * (RESOURCE_ANY_VERSION for *) or replies 428 / 412 naming what.
 */
bool api_version_or_reply(struct http_req *req, const char *what, int64_t *version);

/*
 * routes.c: the 507 of a write the database had no room for (RC_FULL):
 * problem storage-full, "the database has no room left to write". Returns 0.
 * A handler that returns -1 after meeting RC_FULL gets it too (the after
 * hook), so only a handler that words its own reply needs to call it.
 */
int api_reply_full(struct http_req *req);

/*
 * Replies a domain result (enum result): rec with its ETag and
 * status on RC_OK, else the problem (404 naming what and id when id is not
 * 0, 422, 403 or 409 with the first error, 412, 507 for RC_FULL). rec and errors are
 * borrowed (the request's). Returns as the http_reply functions; -1 for a
 * failure of ours (the pipeline replies 500).
 */
int api_reply_result(struct http_req *req, int rc, const json_t *rec, json_t *errors, int status,
		     const char *what, int64_t id);

/*
 * ?from=YYYY-MM-DD&to=YYYY-MM-DD, both optional, from before to, nothing
 * else (the reports): sets both (NULL when absent) or replies 400.
 */
bool api_period_or_reply(struct http_req *req, const char **from, const char **to);
/* The same with one more parameter named extra, its value in *extra_value (NULL when absent). */
bool api_period_and_or_reply(struct http_req *req, const char **from, const char **to,
			     const char *extra, const char **extra_value);

struct resource_ctx;
/* "123" -> 123; 0 for anything but a positive id in digits (no sign, no zero). */
int64_t api_parse_id(const char *s);
/*
 * Fills a resource context for this request (connection, arena, the
 * caller as audit actor with role and address, now, the address the
 * caller reached us at), or replies 503 and returns false.
 */
bool api_ctx_or_reply(struct http_req *req, struct resource_ctx *ctx);

#endif
