/*
 * system.c - health and metrics, for load balancers and Prometheus.
 * Both are public: they reveal no records, and a scraper has no session.
 *
 * Health is three checks: the database answers, its schema is current, and
 * it can take a write. The last costs no write per check: every write of
 * the process tells the database layer whether there was room (db_full),
 * and /healthz adds its own one-row write at most every PROBE_SECONDS, so
 * a disk that filled while nobody wrote is found within that time, and one
 * that was emptied is seen without waiting for a user's write. A load
 * balancer calling every second costs one small write in thirty.
 */
#include "api.h"

#include "core/timeutil.h"
#include "db/db.h"

#include <stdatomic.h>

#define PROBE_SECONDS 30

static _Atomic int64_t last_probe = INT64_MIN;

/* The write probe, when it is due; one caller at a time runs it. */
static void probe_when_due(struct db *db)
{
	int64_t now = time_now(), last = atomic_load(&last_probe);
	/* due, or the (test) clock went back */
	if (last != INT64_MIN && now >= last && now - last < PROBE_SECONDS)
		return;
	if (!atomic_compare_exchange_strong(&last_probe, &last, now))
		return;	/* another request is probing */
	char t[TIME_RFC3339_LEN];
	time_format(now, t);
	db_write_probe(db, t);	/* its result is db_full()'s */
}

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
	probe_when_due(db);
	if (db_full())
		return http_reply_json(req, 503,
				       http_json(req, json_pack("{s:s, s:s, s:s}", "status",
								"unavailable", "database", "unwritable",
								"detail",
								"the database has no room left to write")));
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
