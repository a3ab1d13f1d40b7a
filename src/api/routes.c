/*
 * routes.c - the whole route table, the pipeline hooks, and the small
 * helpers every handler shares.
 */
#include "api.h"

#include "auth/auth.h"
#include "core/alloc.h"
#include "core/log.h"
#include "db/db.h"

#include <string.h>

struct api_settings api_settings = {
	.session_idle_minutes = 120,
	.session_max_hours = 24 * 7,
};

const struct http_hooks api_hooks = {
	.authenticate = api_authenticate,
	.before = api_idempotency_before,
	.after = api_idempotency_after,
};

static const struct api_routes *const groups[] = {
	&api_system_routes,
	&api_auth_routes,
	&api_resource_routes,
	&api_ticket_routes,
};

int api_route_table(const struct http_route **out, size_t *n)
{
	static struct http_route *table;
	static size_t count;
	if (!table) {
		size_t total = 0;
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			total += groups[g]->n;
		struct http_route *t = xcalloc(total, sizeof(*t));
		if (!t) {
			log_error("cannot build the route table: out of memory");
			return -1;
		}
		size_t k = 0;
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			for (size_t i = 0; i < groups[g]->n; i++)
				t[k++] = groups[g]->routes[i];
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
