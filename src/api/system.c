/*
 * system.c - health and metrics, for load balancers and Prometheus.
 * Both are public: they reveal no records, and a scraper has no session.
 */
#include "api.h"

#include "db/db.h"

static int healthz(struct http_req *req)
{
	struct db *db = db_pool_get();
	int current = 0, latest = 0;
	if (!db || db_schema_version(db, &current, &latest) != RC_OK)
		return http_reply_json(req, 503,
				       http_json(req, json_pack("{s:s, s:s}", "status", "unavailable",
								"database", "unreachable")));
	if (current != latest)
		return http_reply_json(req, 503,
				       http_json(req, json_pack("{s:s, s:s, s:i, s:i}", "status",
								"unavailable", "database",
								"schema out of date", "schema_version",
								current, "expected_schema_version",
								latest)));
	return http_reply_json(req, 200,
			       http_json(req, json_pack("{s:s, s:s, s:s, s:i}", "status", "ok",
							"database", "ok", "version", SERVIO_VERSION,
							"schema_version", current)));
}

static int metrics(struct http_req *req)
{
	struct buf b;
	buf_init(&b, 8 * 1024 * 1024);
	http_metrics_write(req->server, &b);
	if (b.failed)
		return -1;
	http_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&b), b.len);
	buf_release(&b);
	return 0;
}

static const struct http_route routes[] = {
	{ "GET", "/healthz", healthz, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/metrics", metrics, HTTP_PUBLIC, 0, NULL },
};

const struct api_routes api_system_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
