/*
 * routes.c - the whole route table, the pipeline hooks, and the small
 * helpers every handler shares.
 */
#include "api.h"

#include "auth/auth.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "resource/resource.h"

#include <stdio.h>

#include <string.h>

struct api_settings api_settings = {
	.session_idle_minutes = 120,
	.session_max_hours = 24 * 7,
	.https = -1,
};

int api_reply_full(struct http_req *req)
{
	return http_reply_problem(req, 507, "storage-full", NULL,
				  "the database has no room left to write: nothing was saved; "
				  "retry once space has been freed");
}

/*
 * From the first hook on, a request is watched on its thread for two
 * failures its handler may only be able to return as -1 (a 500) or absorb:
 *
 *   - an allocation that failed: the request answers 500, whatever its
 *     handler said (an absorbed failure, a JSON member that could not be
 *     set, can turn into a wrong 4xx or a reply with something missing);
 *   - RC_FULL, the database out of room: a 500 becomes what it was, 507.
 *
 * The request is known by its address and start time (an address alone
 * comes back with the next request).
 */
static _Thread_local const struct http_req *marked_req;
static _Thread_local int64_t marked_ns;
static _Thread_local unsigned long marked_failures;

static void mark(const struct http_req *req)
{
	if (marked_req == req && marked_ns == req->started_ns)
		return;
	marked_req = req;
	marked_ns = req->started_ns;
	marked_failures = alloc_failures();
	db_full_seen_reset();
}

static int hook_authenticate(struct http_req *req)
{
	mark(req);
#ifdef SERVIO_TEST_HOOKS
	return api_test_authenticate(req);
#else
	return api_authenticate(req);
#endif
}

static int hook_before(struct http_req *req)
{
	mark(req);
	/* the writes' sync is waited for after the reply is made (hook_hold) */
	db_sync_defer_begin();
#ifdef SERVIO_TEST_HOOKS
	int rc = api_test_before(req);
#else
	int rc = api_idempotency_before(req);
#endif
	if (rc < 0 && db_full_seen())
		return api_reply_full(req), 1;
	/* a read's statements share one snapshot (hook_after ends it) */
	if (rc == 0 && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)) {
		struct db *db = db_pool_get();
		if (db)
			db_read_begin(db);
	}
	return rc;
}

static void hook_after(struct http_req *req)
{
	struct db *db = db_pool_get();
	if (db)
		db_read_end(db);
	if (marked_req == req && marked_ns == req->started_ns &&
	    alloc_failures() != marked_failures && req->status < 500) {
		log_error("request %s: out of memory on its way: 500 instead of %d", req->id,
			  req->status);
		http_reply_problem(req, 500, "internal-error", NULL,
				   "internal error (request id %s)", req->id);
	}
	if (req->status == 500 && db_full_seen())
		api_reply_full(req);
	api_after(req);
}

/* The read snapshot the caller's lookup began (api_authenticate) ends with the callback. */
static void hook_release(struct http_req *req)
{
	(void)req;
	struct db *db = db_pool_get();
	if (db)
		db_read_end(db);
}

/*
 * A reply whose writes are committed but not yet on the disk (SQLite's
 * group commit) waits for their sync on the server's settle thread, and
 * the HTTP thread goes on meanwhile. The client hears of a write only once
 * it is durable, as when the commit itself waited.
 */
static bool hook_hold(struct http_req *req)
{
	req->held_for = db_sync_defer_end();
	return req->held_for && !db_synced(req->held_for);
}

static void hook_settle(struct http_req *req)
{
	struct db *db = db_pool_get();
	if (db && db_sync_wait(db, req->held_for) == RC_OK)
		return;
	log_error("request %s: its writes could not be made durable: 500 instead of %d",
		  req->id, req->status);
	http_reply_problem(req, 500, "internal-error", NULL, "internal error (request id %s)",
			   req->id);
}

/*
 * Slow requests of routes not flagged HTTP_SLOW: a record's document, and
 * a user's create or update, which may hash a password.
 */
static bool hook_slow(const struct http_req *req)
{
	return api_pdf_requested(req) ||
	       (req->route->data == &user_resource && strcmp(req->route->method, "GET") != 0);
}

const struct http_hooks api_hooks = {
	.authenticate = hook_authenticate,
	.before = hook_before,
	.after = hook_after,
	.release = hook_release,
	.slow = hook_slow,
	.hold = hook_hold,
	.settle = hook_settle,
};

/* public_url's scheme, remembered for a few seconds: 1 https, 0 not, -1 unknown yet */
static _Atomic int public_https = -1;
static _Atomic int64_t public_https_read_ns;

bool api_https(struct http_req *req)
{
	if (api_settings.https >= 0)
		return api_settings.https;
	if (req->forwarded_https)
		return true;
	int64_t now = time_mono_ns();
	if (public_https < 0 || now - public_https_read_ns > 5 * 1000000000ll) {
		struct db *db = db_pool_get();
		struct db_stmt *st;
		if (db && db_run(db, &st, "SELECT public_url FROM settings WHERE id = 1", "") == RC_ROW) {
			const char *url = db_col_text(st, 0);
			public_https = url && strncmp(url, "https://", 8) == 0;
			db_done(st);
			public_https_read_ns = now;
		}
	}
	return public_https == 1;
}

void api_after(struct http_req *req)
{
	/* a new public_url counts at once here (other servers read it within seconds) */
	if (req->route && strcmp(req->route->pattern, "/api/v1/settings") == 0 &&
	    strcmp(req->method, "GET") && req->status < 300)
		public_https = -1;
	if (api_https(req))
		http_set_header(req, "Strict-Transport-Security", "max-age=31536000");
	api_idempotency_after(req);
}

static const struct api_routes *const groups[] = {
	&api_system_routes,
	&api_auth_routes,
	&api_resource_routes,
	&api_ticket_routes,
	&api_sales_routes,
	&api_billing_routes,
	&api_mail_routes,
	&api_alert_routes,
	&api_attachment_routes,
	&api_webhook_routes,
	&api_notification_routes,
	&api_portal_routes,
	&api_kb_routes,
	&api_quality_routes,
	&api_quality_dashboard_routes,
	&api_survey_routes,
	&api_transfer_routes,
	&api_manager_routes,
	&api_test_routes,
};

int api_route_table(const struct http_route **out, size_t *n)
{
	static struct http_route *table;
	static size_t count;
	if (!table) {
		struct http_route *actions = NULL;
		size_t nactions = 0;
		if (api_action_routes(api_resource_routes.routes, api_resource_routes.n, &actions,
				      &nactions) < 0)
			return -1;
		size_t total = nactions;
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			total += groups[g]->n;
		struct http_route *t = xcalloc(total, sizeof(*t));
		if (!t) {
			log_error("cannot build the route table: out of memory");
			xfree(actions);
			return -1;
		}
		size_t k = 0;
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			for (size_t i = 0; i < groups[g]->n; i++)
				t[k++] = groups[g]->routes[i];
		for (size_t i = 0; i < nactions; i++)
			t[k++] = actions[i];
		xfree(actions);
		char err[256];
		if (http_routes_check(t, total, err, sizeof(err)) < 0) {
			log_error("route table: %s", err);
			xfree(t);
			return -1;
		}
		table = t;
		count = total;
	}
	*out = table;
	*n = count;
	return 0;
}

struct db *api_db_or_reply(struct http_req *req)
{
	struct db *db = db_pool_get();
	if (!db)
		http_reply_problem(req, 503, "unavailable", NULL, "the database is unavailable");
	return db;
}

const struct auth_user *api_user(const struct http_req *req)
{
	return req->principal;
}

bool api_version_or_reply(struct http_req *req, const char *what, int64_t *version)
{
	const char *h = http_header(req, "If-Match");
	long long v;
	int used = 0;
	if (!h)
		return http_reply_problem(req, 428, "precondition-required", NULL,
					  "If-Match is required: send the %s's ETag, or *", what),
		       false;
	if (strcmp(h, "*") == 0) {
		*version = RESOURCE_ANY_VERSION;
		return true;
	}
	if (sscanf(h, "\"%lld\"%n", &v, &used) == 1 && used == (int)strlen(h) && v > 0) {
		*version = v;
		return true;
	}
	http_reply_problem(req, 412, "stale", NULL, "If-Match %s is not the %s's ETag", h, what);
	return false;
}

int api_reply_result(struct http_req *req, int rc, const json_t *rec, json_t *errors, int status,
		     const char *what, int64_t id)
{
	char etag[32];
	switch (rc) {
	case RC_OK:
		if (json_is_integer(json_object_get(rec, "version"))) {
			snprintf(etag, sizeof(etag), "\"%lld\"",
				 (long long)json_integer_value(json_object_get(rec, "version")));
			http_set_header(req, "ETag", etag);
		}
		return http_reply_json(req, status, rec);
	case RC_NOT_FOUND:
		if (id)
			return http_reply_problem(req, 404, "not-found", NULL, "no %s with id %lld",
						  what, (long long)id);
		return http_reply_problem(req, 404, "not-found", NULL, "no such %s", what);
	case RC_INVALID:
		return http_reply_problem(req, 422, "validation", errors, "the %s has invalid fields",
					  what);
	case RC_FORBIDDEN:
	case RC_CONFLICT: {
		/* a rule of the domain names its field; a unique constraint does not */
		int code = rc == RC_FORBIDDEN ? 403 : 409;
		const char *slug = rc == RC_FORBIDDEN ? "forbidden" : "conflict";
		json_t *first = json_array_get(errors, 0);
		const char *field = json_string_value(json_object_get(first, "field"));
		if (!field || !*field)
			return http_reply_problem(req, code, slug, errors,
						  rc == RC_FORBIDDEN
							  ? "your role may not do this to the %s"
							  : "the %s conflicts with an existing record",
						  what);
		return http_reply_problem(req, code, slug, errors, "%s: %s", field,
					  json_string_value(json_object_get(first, "message")));
	}
	case RC_STALE:
		return http_reply_problem(req, 412, "stale", NULL,
					  "the %s was changed by someone else; GET it again and "
					  "retry with its new ETag",
					  what);
	case RC_FULL:
		return api_reply_full(req);
	default:
		return -1;
	}
}

bool api_period_or_reply(struct http_req *req, const char **from, const char **to)
{
	return api_period_and_or_reply(req, from, to, NULL, NULL);
}

bool api_period_and_or_reply(struct http_req *req, const char **from, const char **to,
			     const char *extra, const char **extra_value)
{
	*from = *to = NULL;
	if (extra)
		*extra_value = NULL;
	for (int i = 0; i < req->nquery; i++) {
		const char *n = req->query[i].name, *v = req->query[i].value;
		if (extra && strcmp(n, extra) == 0) {
			*extra_value = v;
			continue;
		}
		const char **slot = strcmp(n, "from") == 0 ? from : strcmp(n, "to") == 0 ? to : NULL;
		if (!slot)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "unknown query parameter \"%s\": this report takes"
						  " from and to%s%s",
						  n, extra ? " and " : "", extra ? extra : ""),
			       false;
		if (!date_valid(v))
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "%s must be a date YYYY-MM-DD", n),
			       false;
		*slot = v;
	}
	if (*from && *to && strcmp(*from, *to) >= 0)
		return http_reply_problem(req, 400, "bad-query", NULL, "from must be before to"),
		       false;
	return true;
}
