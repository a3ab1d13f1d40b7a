/*
 * testing.c - routes for the API tests, compiled into test builds only
 * (SERVIO_TEST_HOOKS, see CMakeLists.txt): a release build has none of
 * them, and "servio routes" shows which build is which.
 *
 * GET/POST /api/v1/test/clock reads or moves this process's clock
 * (core/timeutil.h): a test that needs a session to idle out or a rate
 * limit window to pass moves time instead of sleeping. Only this process
 * moves; a separate "servio worker" takes the same offset from
 * SERVIO_TEST_CLOCK_OFFSET when it starts. Admins only.
 *
 * The allocation-failure sweep (tests/api/test_allocfail.py) sends a
 * request with "X-Servio-Fail-Alloc: N" (sticky: the Nth allocation and
 * every later one fail) or "N once" (only the Nth): the first pipeline
 * hook it reaches (authenticate, else before) arms core/alloc's per-thread
 * injection, and the release of the request's arena disarms it, so the
 * count covers the hooks, the handler, the reply and the access log, on
 * the request's thread alone (the job worker and other connections' threads
 * go on). What ran before the first hook (the URI, route match, body
 * parse) is the HTTP layer's, whose failures tests/unit/test_http.c
 * injects. GET /api/v1/test/alloc tells how many allocations the last
 * armed request asked for and how many were refused (anyone may ask: it
 * tells counts only). The sweep sends one request at a time on one
 * connection: between a request's reply and its completion the thread is
 * still armed.
 */
#include "api.h"

#ifdef SERVIO_TEST_HOOKS

#include "auth/auth.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void field_error(json_t *errors, const char *field, const char *message)
{
	json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "message", message));
}

static int clock_reply(struct http_req *req)
{
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	return http_reply_json(req, 200,
			       http_json(req, json_pack("{s:s, s:I}", "now", now, "offset_seconds",
							(json_int_t)time_offset())));
}

static int clock_get(struct http_req *req)
{
	if (!api_no_query_or_reply(req))
		return 0;
	return clock_reply(req);
}

/*
 * Decodes {"offset_seconds": N} or {"now": "RFC 3339"} into the offset to
 * set. Returns 0, 1 when it replied 400/422 naming the field, or -1 when
 * out of memory.
 */
static int offset_or_reply(struct http_req *req, int64_t *offset)
{
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object body is required: {\"offset_seconds\": N}"
					  " or {\"now\": \"2026-11-22T14:05:00Z\"}"),
		       1;
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	const char *key;
	json_t *v;
	json_object_foreach(req->body, key, v) {
		if (strcmp(key, "offset_seconds") != 0 && strcmp(key, "now") != 0)
			field_error(errors, key, "is not a field here");
	}
	const json_t *secs = json_object_get(req->body, "offset_seconds");
	const json_t *now = json_object_get(req->body, "now");
	int64_t t;
	if (secs && now) {
		field_error(errors, "now", "cannot be given with offset_seconds");
	} else if (!secs && !now) {
		field_error(errors, "offset_seconds", "is required (or give now)");
	} else if (secs) {
		if (!json_is_integer(secs))
			field_error(errors, "offset_seconds", "must be an integer");
		else if (json_integer_value(secs) < -TIME_OFFSET_MAX ||
			 json_integer_value(secs) > TIME_OFFSET_MAX)
			field_error(errors, "offset_seconds", "must be within a century either way");
		else
			*offset = (int64_t)json_integer_value(secs);
	} else if (!json_is_string(now) || time_parse(json_string_value(now), &t) < 0) {
		field_error(errors, "now", "must be an RFC 3339 time such as 2026-11-22T14:05:00Z");
	} else {
		/* relative to the real clock, whatever the offset is now */
		int64_t real = time_now() - time_offset();
		if (t - real < -TIME_OFFSET_MAX || t - real > TIME_OFFSET_MAX)
			field_error(errors, "now", "must be within a century of the real time");
		else
			*offset = t - real;
	}
	if (json_array_size(errors))
		return http_reply_problem(req, 422, "validation", errors,
					  "the clock setting is invalid"),
		       1;
	return 0;
}

static int clock_set(struct http_req *req)
{
	int64_t offset = 0;
	if (!api_no_query_or_reply(req))
		return 0;
	int rc = offset_or_reply(req, &offset);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (time_offset_set(offset) < 0)
		return -1;	/* offset_or_reply checked the range */
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	log_info("test clock moved: offset %lld s, now %s (request %s)", (long long)offset, now,
		 req->id);
	return clock_reply(req);
}

/* --- the allocation-failure sweep ------------------------------------------------ */

/* What the last armed request did, for GET /api/v1/test/alloc. */
static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static long alloc_seq, alloc_count, alloc_refused, alloc_nth;

/* An arena release of an armed request: the count ends here. */
static void alloc_disarm(void *p)
{
	long nth = (long)(intptr_t)p, count, refused;
	alloc_thread_disarm(&count, &refused);
	pthread_mutex_lock(&alloc_lock);
	alloc_seq++;
	alloc_count = count;
	alloc_refused = refused;
	alloc_nth = nth;
	pthread_mutex_unlock(&alloc_lock);
}

/* 0 to go on (armed or not asked), 1 replied 400, -1 out of memory. */
static int alloc_arm_or_reply(struct http_req *req)
{
	const char *v = http_header(req, "X-Servio-Fail-Alloc");
	if (!v || alloc_thread_armed())
		return 0;
	char *end;
	errno = 0;
	long nth = strtol(v, &end, 10);
	bool once = strcmp(end, " once") == 0;
	if (end == v || errno || nth < 0 || (*end && !once))
		return http_reply_problem(req, 400, "bad-fail-alloc", NULL,
					  "X-Servio-Fail-Alloc must be \"N\" or \"N once\" with "
					  "N >= 0 (0 counts only)"),
		       1;
	/* the record comes from the arena before counting starts */
	if (arena_defer(&req->arena, alloc_disarm, (void *)(intptr_t)nth) < 0)
		return -1;
	alloc_thread_arm(nth, !once);
	return 0;
}

int api_test_authenticate(struct http_req *req)
{
	int rc = alloc_arm_or_reply(req);
	return rc ? rc : api_authenticate(req);
}

int api_test_before(struct http_req *req)
{
	int rc = alloc_arm_or_reply(req);
	return rc ? rc : api_idempotency_before(req);
}

static int alloc_get(struct http_req *req)
{
	if (!api_no_query_or_reply(req))
		return 0;
	pthread_mutex_lock(&alloc_lock);
	json_int_t seq = alloc_seq, count = alloc_count, refused = alloc_refused,
		   nth = alloc_nth;
	pthread_mutex_unlock(&alloc_lock);
	return http_reply_json(req, 200,
			       http_json(req, json_pack("{s:I, s:I, s:I, s:I}", "seq", seq,
							"allocations", count, "refused", refused,
							"nth", nth)));
}

static const struct http_route routes[] = {
	/* public: the replay of a suite's GETs (tests/api/allocfail.py) asks as anyone */
	{ "GET", "/api/v1/test/alloc", alloc_get, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/test/clock", clock_get, ROLE_ADMIN, 0, NULL },
	{ "POST", "/api/v1/test/clock", clock_set, ROLE_ADMIN, 0, NULL },
};

const struct api_routes api_test_routes = { routes, sizeof(routes) / sizeof(routes[0]) };

#else

/* A release build has no test routes. */
const struct api_routes api_test_routes = { NULL, 0 };

#endif
