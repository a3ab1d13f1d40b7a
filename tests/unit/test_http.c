/*
 * test_http.c - the HTTP layer: route table checks and matching, query and
 * path decoding, reply helpers, and a real round trip: a server on a free
 * port of 127.0.0.1 spoken to with plain sockets, so what is checked is
 * what a client sees on the wire.
 */
#define _GNU_SOURCE /* pthread_getname_np */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/api.h"
#include "core/alloc.h"
#include "http/http.h"
#include "http/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int dummy(struct http_req *req)
{
	return http_reply_empty(req, 204);
}

/* --- route table checks ------------------------------------------------------- */

static int check(const struct http_route *r, size_t n, char *err)
{
	return http_routes_check(r, n, err, 256);
}

static void test_routes_check_ok(void **state)
{
	(void)state;
	char err[256];
	const struct http_route ok[] = {
		{ "GET", "/", dummy, HTTP_PUBLIC, 0, NULL },
		{ "GET", "/api/v1/companies/:id", dummy, 1, 0, NULL },
		{ "PATCH", "/api/v1/companies/:id", dummy, 1, 0, NULL },
		{ "GET", "/api/v1/companies/:id/contacts/:cid", dummy, 3, 0, NULL },
	};
	assert_int_equal(check(ok, 4, err), 0);
}

static void test_routes_check_refuses(void **state)
{
	(void)state;
	char err[256];
	const struct http_route no_roles[] = { { "GET", "/a", dummy, 0, 0, NULL } };
	assert_int_equal(check(no_roles, 1, err), -1);
	assert_non_null(strstr(err, "no role"));

	const struct http_route dup[] = {
		{ "GET", "/a/:id", dummy, 1, 0, NULL },
		{ "GET", "/a/:id", dummy, 2, 0, NULL },
	};
	assert_int_equal(check(dup, 2, err), -1);
	assert_non_null(strstr(err, "duplicates"));

	/* the same shape with other parameter names is the same route */
	const struct http_route dup2[] = {
		{ "GET", "/a/:id", dummy, 1, 0, NULL },
		{ "GET", "/a/:key", dummy, 1, 0, NULL },
	};
	assert_int_equal(check(dup2, 2, err), -1);

	const struct http_route methods[] = {
		{ "GET", "/a/:id", dummy, 1, 0, NULL },
		{ "DELETE", "/a/:id", dummy, 1, 0, NULL },
	};
	assert_int_equal(check(methods, 2, err), 0);

	const char *bad[] = { "a/b", "", "/a//b", "/a/", "//", "/:", "/a/:x/:x", "/a b",
			      "/a?b", "/:x-y",
			      "/:a/:b/:c/:d/:e/:f/:g/:h/:i" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct http_route r[] = { { "GET", bad[i], dummy, 1, 0, NULL } };
		if (check(r, 1, err) != -1)
			fail_msg("pattern \"%s\" was accepted", bad[i]);
	}
	const struct http_route eight[] = {
		{ "GET", "/:a/:b/:c/:d/:e/:f/:g/:h", dummy, 1, 0, NULL },
	};
	assert_int_equal(check(eight, 1, err), 0);

	const struct http_route bad_method[] = { { "FETCH", "/a", dummy, 1, 0, NULL } };
	assert_int_equal(check(bad_method, 1, err), -1);
	const struct http_route no_handler[] = { { "GET", "/a", NULL, 1, 0, NULL } };
	assert_int_equal(check(no_handler, 1, err), -1);
}

/* --- matching ------------------------------------------------------------------- */

static const struct http_route match_table[] = {
	{ "GET", "/api/v1/companies", dummy, 1, 0, NULL },
	{ "GET", "/api/v1/companies/:id", dummy, 1, 0, NULL },
	{ "PATCH", "/api/v1/companies/:id", dummy, 1, 0, NULL },
	{ "GET", "/api/v1/me/:x", dummy, 1, 0, NULL },
	{ "GET", "/api/v1/me/totp", dummy, 1, 0, NULL },
	{ "GET", "/t/:x/c", dummy, 1, 0, NULL },
	{ "GET", "/t/b/:y", dummy, 1, 0, NULL },
	{ "POST", "/", dummy, 1, 0, NULL },
};
#define NMATCH (sizeof(match_table) / sizeof(match_table[0]))

/* The scan's answer, checked against the index's (the server's way) every time. */
static const struct http_route *same_both_ways(const struct http_route *table, size_t count,
					       struct arena *a, const char *method,
					       const char *path, struct http_kv *params, int *n,
					       bool *pm)
{
	const struct http_route *r = http_route_match(table, count, method, path, a, params, n, pm);
	struct http_route_index *ix = http_route_index_new(table, count);
	assert_non_null(ix);
	struct http_kv p2[HTTP_MAX_PARAMS];
	int n2;
	bool pm2;
	const struct http_route *r2 = http_route_find(ix, method, path, a, p2, &n2, &pm2);
	http_route_index_free(ix);
	assert_ptr_equal(r2, r);
	assert_int_equal(n2, *n);
	assert_int_equal(pm2, *pm);
	for (int i = 0; i < *n; i++) {
		assert_string_equal(p2[i].name, params[i].name);
		assert_string_equal(p2[i].value, params[i].value);
	}
	return r;
}

static const struct http_route *match(struct arena *a, const char *method, const char *path,
				      struct http_kv *params, int *n, bool *pm)
{
	return same_both_ways(match_table, NMATCH, a, method, path, params, n, pm);
}

/*
 * The index against the scan over the API's own table: each pattern with
 * its parameters filled, with a segment too many, one too few, and its
 * third segment changed, by every method.
 */
static void test_match_index_api(void **state)
{
	(void)state;
	const struct http_route *table;
	size_t count;
	assert_int_equal(api_route_table(&table, &count), 0);
	static const char *const methods[] = { "GET", "HEAD", "POST", "PATCH", "PUT", "DELETE" };
	struct arena a;
	arena_init(&a);
	struct http_kv p[HTTP_MAX_PARAMS];
	int n;
	bool pm;
	size_t found = 0;
	for (size_t i = 0; i < count; i++) {
		char path[512];
		size_t k = 0;
		for (const char *s = table[i].pattern; *s && k < sizeof(path) - 8;) {
			if (*s == ':') {
				path[k++] = '7';
				s += strcspn(s, "/");
			} else {
				path[k++] = *s++;
			}
		}
		path[k] = '\0';
		char longer[520], shorter[512], other[520];
		snprintf(longer, sizeof(longer), "%s/x", path);
		snprintf(shorter, sizeof(shorter), "%s", path);
		char *slash = strrchr(shorter, '/');
		if (slash && slash != shorter)
			*slash = '\0';
		snprintf(other, sizeof(other), "/api/v1/zz%s", path + strcspn(path + 8, "/") + 8);
		const char *paths[] = { path, longer, shorter, other };
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
			for (size_t q = 0; q < 4; q++)
				found += same_both_ways(table, count, &a, methods[m], paths[q], p, &n,
							&pm) != NULL;
		arena_release(&a);
		arena_init(&a);
	}
	assert_true(found >= count);	/* every route found its own path at least */
	arena_release(&a);
}

static void test_match(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct http_kv p[HTTP_MAX_PARAMS];
	int n;
	bool pm;
	char err[256];
	assert_int_equal(http_routes_check(match_table, NMATCH, err, sizeof(err)), 0);

	const struct http_route *r = match(&a, "GET", "/api/v1/companies/42", p, &n, &pm);
	assert_ptr_equal(r, &match_table[1]);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "id");
	assert_string_equal(p[0].value, "42");

	r = match(&a, "GET", "/api/v1/companies", p, &n, &pm);
	assert_ptr_equal(r, &match_table[0]);
	assert_int_equal(n, 0);

	/* literal beats parameter, whatever the order in the table */
	r = match(&a, "GET", "/api/v1/me/totp", p, &n, &pm);
	assert_ptr_equal(r, &match_table[4]);
	assert_int_equal(n, 0);
	r = match(&a, "GET", "/api/v1/me/other", p, &n, &pm);
	assert_ptr_equal(r, &match_table[3]);
	assert_string_equal(p[0].value, "other");
	/* at the first place the patterns differ */
	r = match(&a, "GET", "/t/b/c", p, &n, &pm);
	assert_ptr_equal(r, &match_table[6]);
	assert_string_equal(p[0].name, "y");
	assert_string_equal(p[0].value, "c");

	/* HEAD runs GET routes */
	r = match(&a, "HEAD", "/api/v1/companies/7", p, &n, &pm);
	assert_ptr_equal(r, &match_table[1]);

	/* 405 detection */
	r = match(&a, "DELETE", "/api/v1/companies/7", p, &n, &pm);
	assert_null(r);
	assert_true(pm);
	char *allow = http_route_allow(match_table, NMATCH, "/api/v1/companies/7", &a);
	assert_string_equal(allow, "GET, HEAD, PATCH");
	r = match(&a, "GET", "/", p, &n, &pm);
	assert_null(r);
	assert_true(pm);

	/* no such path at all */
	r = match(&a, "GET", "/api/v1/nothing", p, &n, &pm);
	assert_null(r);
	assert_false(pm);

	/* a trailing slash is another path; an empty segment binds nothing */
	r = match(&a, "GET", "/api/v1/companies/", p, &n, &pm);
	assert_null(r);
	assert_false(pm);
	r = match(&a, "GET", "/api/v1/companies/42/", p, &n, &pm);
	assert_null(r);
	assert_false(pm);
	r = match(&a, "GET", "/api/v1//companies", p, &n, &pm);
	assert_null(r);

	/* matching is on the percent-decoded path */
	char *path;
	bool oom;
	assert_int_equal(http_path_decode("/api/v1/me/tot%70", 17, &a, &path, &oom), 0);
	r = match(&a, "GET", path, p, &n, &pm);
	assert_ptr_equal(r, &match_table[4]);
	const char *raw = "/api/v1/companies/a%20b%2Fc";
	assert_int_equal(http_path_decode(raw, strlen(raw), &a, &path, &oom), 0);
	assert_string_equal(path, "/api/v1/companies/a b/c");
	raw = "/api/v1/companies/a%20b+c";
	assert_int_equal(http_path_decode(raw, strlen(raw), &a, &path, &oom), 0);
	r = match(&a, "GET", path, p, &n, &pm);
	assert_ptr_equal(r, &match_table[1]);
	assert_string_equal(p[0].value, "a b+c");	/* '+' is only a space in queries */
	assert_int_equal(http_path_decode("/a%00", 5, &a, &path, &oom), -1);
	assert_false(oom);
	assert_int_equal(http_path_decode("/a%2", 4, &a, &path, &oom), -1);
	assert_int_equal(http_path_decode("/a%g0", 5, &a, &path, &oom), -1);
	arena_release(&a);
}

/* --- query strings -------------------------------------------------------------- */

static void test_query(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct http_kv q[8];

	assert_int_equal(http_query_parse(NULL, &a, q, 8), 0);
	assert_int_equal(http_query_parse("", &a, q, 8), 0);

	assert_int_equal(http_query_parse("a=1&b=x+y%21&c=%e2%82%AC", &a, q, 8), 3);
	assert_string_equal(q[0].name, "a");
	assert_string_equal(q[0].value, "1");
	assert_string_equal(q[1].name, "b");
	assert_string_equal(q[1].value, "x y!");
	assert_string_equal(q[2].value, "\xe2\x82\xac");

	assert_int_equal(http_query_parse("flag&x=", &a, q, 8), 2);
	assert_string_equal(q[0].name, "flag");
	assert_string_equal(q[0].value, "");
	assert_string_equal(q[1].name, "x");
	assert_string_equal(q[1].value, "");

	assert_int_equal(http_query_parse("&a=1&&b=2&", &a, q, 8), 2);
	assert_string_equal(q[1].name, "b");
	assert_int_equal(http_query_parse("a=b=c&%61+b=1", &a, q, 8), 2);
	assert_string_equal(q[0].value, "b=c");
	assert_string_equal(q[1].name, "a b");
	assert_int_equal(http_query_parse("status=new,in_progress", &a, q, 8), 1);
	assert_string_equal(q[0].value, "new,in_progress");

	/* malformed */
	assert_int_equal(http_query_parse("a=%zz", &a, q, 8), -1);
	assert_int_equal(http_query_parse("a=%4", &a, q, 8), -1);
	assert_int_equal(http_query_parse("a=%", &a, q, 8), -1);
	assert_int_equal(http_query_parse("%=1", &a, q, 8), -1);
	assert_int_equal(http_query_parse("a=%00", &a, q, 8), -1);
	assert_int_equal(http_query_parse("a%00=1", &a, q, 8), -1);

	/* the limit */
	assert_int_equal(http_query_parse("a&b&c", &a, q, 3), 3);
	assert_int_equal(http_query_parse("a&b&c&d", &a, q, 3), -1);
	assert_int_equal(http_query_parse("a&&&b&&", &a, q, 2), 2);
	arena_release(&a);
}

/* --- replies ---------------------------------------------------------------------- */

static void req_init(struct http_req *req)
{
	memset(req, 0, sizeof(*req));
	arena_init(&req->arena);
	buf_init(&req->raw_body, 0);
	buf_init(&req->out, 0);
	req->file_fd = -1;
	req->id = "testid";
}

static void req_release(struct http_req *req)
{
	buf_release(&req->out);
	buf_release(&req->raw_body);
	arena_release(&req->arena);
}

static void test_status_titles(void **state)
{
	(void)state;
	static const struct {
		int status;
		const char *title;
	} t[] = {
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" }, { 304, "Not Modified" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 409, "Conflict" },
		{ 410, "Gone" }, { 412, "Precondition Failed" }, { 413, "Content Too Large" },
		{ 414, "URI Too Long" }, { 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Content" }, { 428, "Precondition Required" },
		{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
		{ 503, "Service Unavailable" }, { 499, "Client Error" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(http_status_title(t[i].status), t[i].title);
}

static void test_reply_problem(void **state)
{
	(void)state;
	struct http_req req;
	req_init(&req);
	json_t *errors = http_json(&req, json_pack("[{s:s, s:s}]", "field", "name", "message", "is required"));
	http_reply_problem(&req, 422, "validation", errors, "%d field is wrong: \"%s\"", 1,
			   "caf\xe9");
	assert_int_equal(req.status, 422);
	assert_string_equal(req.content_type, "application/problem+json");
	json_error_t e;
	json_t *j = json_loads(buf_str(&req.out), 0, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
			    "urn:servio:problem:validation");
	assert_string_equal(json_string_value(json_object_get(j, "title")),
			    "Unprocessable Content");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 422);
	/* bytes that are not UTF-8 do not turn a 4xx into a 500 */
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
			    "1 field is wrong: \"caf\xef\xbf\xbd\"");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(j, "errors"), 0), "field")),
			    "name");
	json_decref(j);

	/* a second reply replaces the first; headers stay */
	http_set_header(&req, "Location", "/x/1");
	http_reply_json(&req, 201, http_json(&req, json_pack("{s:i}", "id", 1)));
	assert_int_equal(req.status, 201);
	assert_string_equal(req.content_type, "application/json");
	assert_string_equal(buf_str(&req.out), "{\"id\":1}");
	assert_string_equal(req.headers->name, "Location");
	assert_string_equal(req.headers->value, "/x/1");

	http_reply_text(&req, 200, "text/plain", "hi", 2);
	assert_string_equal(buf_str(&req.out), "hi");
	http_reply_empty(&req, 204);
	assert_int_equal(req.out.len, 0);
	assert_null(req.content_type);
	req_release(&req);
}

static void test_reply_out_of_memory(void **state)
{
	(void)state;
	struct http_req req;
	req_init(&req);
	/* every allocation fails: the reply is still a 500 with a static body */
	alloc_fail_after(0);
	http_reply_problem(&req, 404, "not-found", NULL, "no such %s", "thing");
	alloc_fail_after(-1);
	assert_int_equal(req.status, 500);
	assert_true(req.out.failed);
	assert_string_equal(req.content_type, "application/problem+json");
	json_t *j = json_loads(http_oom_body, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 500);
	json_decref(j);

	/* a NULL body from a failed json_pack is the same */
	http_reply_json(&req, 200, NULL);
	assert_int_equal(req.status, 500);
	req_release(&req);
}

/* --- trusted proxies and the client behind them ------------------------------------ */

static struct http_addr A(const char *text)
{
	struct http_addr a;
	assert_true(http_addr_from_text(text, &a));
	return a;
}

static const char *behind(const struct http_net *nets, size_t n, const char *peer,
			  const char *xff, char *out)
{
	struct http_addr p = A(peer);
	struct http_addr c = http_client_behind(nets, n, &p, xff);
	http_addr_text(&c, out, INET6_ADDRSTRLEN);
	return out;
}

static void test_trusted_proxies(void **state)
{
	(void)state;
	struct http_net nets[HTTP_MAX_TRUSTED];
	size_t n;
	char err[256], out[INET6_ADDRSTRLEN];
	assert_int_equal(http_nets_parse(" 127.0.0.1 , 10.0.0.0/8,fd00::/8,, ", nets,
					 HTTP_MAX_TRUSTED, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	struct http_addr a = A("10.200.3.4");
	assert_true(http_nets_contain(nets, n, &a));
	a = A("11.0.0.1");
	assert_false(http_nets_contain(nets, n, &a));
	a = A("fd12::1");
	assert_true(http_nets_contain(nets, n, &a));
	a = A("::ffff:127.0.0.1");	/* a mapped address is the IPv4 one */
	assert_true(http_nets_contain(nets, n, &a));
	a = A("127.0.0.2");
	assert_false(http_nets_contain(nets, n, &a));

	/* the bad ones are named */
	const char *bad[] = { "10.0.0.1/33", "localhost", "10.0.0.0/", "10.0.0.0/8x", "::1/129" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(http_nets_parse(bad[i], nets, HTTP_MAX_TRUSTED, &n, err,
						 sizeof(err)), -1);
	assert_int_equal(http_nets_parse("1.2.3.4, 5.6.7.8", nets, 1, &n, err, sizeof(err)), -1);
	assert_int_equal(http_nets_parse(NULL, nets, HTTP_MAX_TRUSTED, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);

	assert_int_equal(http_nets_parse("127.0.0.1, 10.0.0.0/8", nets, HTTP_MAX_TRUSTED, &n, err,
					 sizeof(err)), 0);
	/* an untrusted peer is the client, whatever it says */
	assert_string_equal(behind(nets, n, "192.0.2.1", "203.0.113.5", out), "192.0.2.1");
	/* through the proxy: the rightmost address that is not a trusted proxy */
	assert_string_equal(behind(nets, n, "127.0.0.1", "203.0.113.5", out), "203.0.113.5");
	assert_string_equal(behind(nets, n, "127.0.0.1", "6.6.6.6, 203.0.113.5", out),
			    "203.0.113.5");
	assert_string_equal(behind(nets, n, "127.0.0.1", "203.0.113.5 ,10.1.1.1", out),
			    "203.0.113.5");
	assert_string_equal(behind(nets, n, "127.0.0.1", "2001:db8::7", out), "2001:db8::7");
	/* all hops trusted: the leftmost */
	assert_string_equal(behind(nets, n, "127.0.0.1", "10.9.9.9, 10.1.1.1", out), "10.9.9.9");
	/* unreadable hops: the last one read */
	assert_string_equal(behind(nets, n, "127.0.0.1", "junk", out), "127.0.0.1");
	assert_string_equal(behind(nets, n, "127.0.0.1", "203.0.113.5, junk, 10.1.1.1", out),
			    "10.1.1.1");
	assert_string_equal(behind(nets, n, "127.0.0.1", "", out), "127.0.0.1");
	assert_string_equal(behind(nets, n, "127.0.0.1", ",,", out), "127.0.0.1");
	assert_string_equal(behind(nets, n, "127.0.0.1", NULL, out), "127.0.0.1");
}

/* --- a live server ---------------------------------------------------------------- */

#define ROLE_A 1u
#define ROLE_B 2u

static int h_echo_param(struct http_req *req)
{
	const char *q = http_query(req, "q");
	return http_reply_json(req, 200, http_json(req, json_pack("{s:s, s:s?, s:s}", "name",
								  http_param(req, "name"), "q", q,
								  "method", req->method)));
}

static int h_echo_body(struct http_req *req)
{
	json_t *b = req->body ? req->body : http_json(req, json_object());
	return http_reply_json(req, 200, b);
}

static int h_private(struct http_req *req)
{
	return http_reply_json(req, 200,
			       http_json(req, json_pack("{s:I}", "user", (json_int_t)req->user_id)));
}

static int h_fail(struct http_req *req)
{
	(void)req;
	return -1;
}

static int h_noreply(struct http_req *req)
{
	(void)req;
	return 0;
}

static int h_slow(struct http_req *req)
{
	struct timespec ts = { 0, 400 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	return http_reply_text(req, 200, "text/plain", "slow", 4);
}

/*
 * A reply held after its handler (hooks.hold) until the test opens the
 * gate; settle runs on the server's settle thread and marks the reply.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool settling, open;
	pthread_t handler_thread, settle_thread;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, 0, 0 };

static int h_held(struct http_req *req)
{
	gate.handler_thread = pthread_self();
	req->held_for = 1;
	return http_reply_text(req, 200, "text/plain", "held", 4);
}

static bool hold(struct http_req *req)
{
	return req->held_for == 1;
}

static void settle(struct http_req *req)
{
	pthread_mutex_lock(&gate.lock);
	gate.settle_thread = pthread_self();
	gate.settling = true;
	pthread_cond_broadcast(&gate.changed);
	while (!gate.open)
		pthread_cond_wait(&gate.changed, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	http_set_header(req, "X-Settled", "yes");
}

/* The name of the thread a write ran on: libmicrohttpd names its own "MHD-…". */
static char write_thread_name[16];

static int h_write(struct http_req *req)
{
	pthread_getname_np(pthread_self(), write_thread_name, sizeof(write_thread_name));
	return http_reply_text(req, 201, "text/plain", "written", 7);
}

static int h_raw(struct http_req *req)
{
	return http_reply_text(req, 200, "text/plain", buf_str(&req->raw_body),
			       req->raw_body.len);
}

static int h_metrics(struct http_req *req)
{
	struct buf b;
	buf_init(&b, 0);
	http_metrics_write(req->server, &b);
	if (b.failed)
		return -1;
	http_reply_text(req, 200, "text/plain; version=0.0.4", buf_str(&b), b.len);
	buf_release(&b);
	return 0;
}

static const struct http_route live_routes[] = {
	{ "GET", "/api/v1/echo/:name", h_echo_param, HTTP_PUBLIC, 0, NULL },
	{ "DELETE", "/api/v1/echo/:name", dummy, ROLE_A, 0, NULL },
	{ "POST", "/api/v1/echo", h_echo_body, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/raw", h_raw, HTTP_PUBLIC, HTTP_RAW_BODY, NULL },
	{ "POST", "/api/v1/upload", h_raw, HTTP_PUBLIC, HTTP_RAW_BODY | HTTP_UPLOAD, NULL },
	{ "GET", "/api/v1/private", h_private, ROLE_A, 0, NULL },
	{ "GET", "/api/v1/fail", h_fail, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/noreply", h_noreply, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/slow", h_slow, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/held", h_held, HTTP_PUBLIC, 0, NULL },
	{ "PATCH", "/api/v1/write", h_write, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/write", h_write, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/metrics", h_metrics, HTTP_PUBLIC, 0, NULL },
};

static int authenticate(struct http_req *req)
{
	const char *h = http_header(req, "Authorization");
	if (h && strcmp(h, "Bearer a") == 0) {
		req->role = ROLE_A;
		req->user_id = 7;
		return 0;
	}
	if (h && strcmp(h, "Bearer b") == 0) {
		req->role = ROLE_B;
		req->user_id = 8;
		return 0;
	}
	return http_reply_problem(req, 401, "unauthenticated", NULL, "log in first") + 1;
}

static const struct http_hooks live_hooks = {
	.authenticate = authenticate,
	.hold = hold,
	.settle = settle,
};

struct live {
	struct http_server *srv;
	uint16_t port;
	char root[200];
	char outside[160];
};

static struct live live;

struct resp {
	int status;
	char *raw;		/* the whole reply, NUL-terminated */
	size_t len;
	const char *body;	/* into raw */
	size_t body_len;
};

static int connect_port(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes raw (len bytes), reads until the server closes; 0 or -1. */
static int exchange_n(uint16_t port, const char *raw, size_t len, struct resp *r)
{
	memset(r, 0, sizeof(*r));
	int fd = connect_port(port);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, raw + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;	/* the server may close early (413) */
		off += (size_t)n;
	}
	size_t cap = 4096;
	r->raw = malloc(cap);
	for (;;) {
		if (r->len + 1 == cap) {
			cap *= 2;
			r->raw = realloc(r->raw, cap);
		}
		ssize_t n = recv(fd, r->raw + r->len, cap - r->len - 1, 0);
		if (n <= 0)
			break;
		r->len += (size_t)n;
	}
	r->raw[r->len] = '\0';
	close(fd);
	if (sscanf(r->raw, "HTTP/1.1 %d", &r->status) != 1)
		return -1;
	char *sep = strstr(r->raw, "\r\n\r\n");
	if (sep) {
		r->body = sep + 4;
		r->body_len = r->len - (size_t)(r->body - r->raw);
	}
	return 0;
}

static int exchange(const char *raw, struct resp *r)
{
	return exchange_n(live.port, raw, strlen(raw), r);
}

/* The value of a reply header (static buffer), or NULL. */
static const char *header(const struct resp *r, const char *name)
{
	static char value[1024];
	size_t nlen = strlen(name);
	const char *p = strstr(r->raw, "\r\n");
	const char *end = r->body ? r->body : r->raw + r->len;
	while (p && p + 2 < end) {
		p += 2;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;
			while (*v == ' ')
				v++;
			size_t vlen = strcspn(v, "\r\n");
			if (vlen >= sizeof(value))
				vlen = sizeof(value) - 1;
			memcpy(value, v, vlen);
			value[vlen] = '\0';
			return value;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static json_t *body_json(const struct resp *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->body_len, 0, &e);
	if (!j)
		fail_msg("reply body is not JSON (%s): %s", e.text, r->raw);
	return j;
}

static void resp_free(struct resp *r)
{
	free(r->raw);
}

static void expect_problem(const struct resp *r, int status, const char *slug)
{
	if (r->status != status)
		fail_msg("expected %d, got: %s", status, r->raw);
	assert_string_equal(header(r, "Content-Type"), "application/problem+json");
	json_t *j = body_json(r);
	char type[128];
	snprintf(type, sizeof(type), "urn:servio:problem:%s", slug);
	assert_string_equal(json_string_value(json_object_get(j, "type")), type);
	assert_int_equal(json_integer_value(json_object_get(j, "status")), status);
	assert_non_null(json_string_value(json_object_get(j, "detail")));
	json_decref(j);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int live_setup(void **state)
{
	(void)state;
	snprintf(live.outside, sizeof(live.outside), "/tmp/servio-test-http-XXXXXX");
	if (!mkdtemp(live.outside))
		return -1;
	snprintf(live.root, sizeof(live.root), "%s/root", live.outside);
	char assets[240];
	snprintf(assets, sizeof(assets), "%s/assets", live.root);
	if (mkdir(live.root, 0700) < 0 || mkdir(assets, 0700) < 0)
		return -1;
	write_file(live.root, "index.html", "<!doctype html><title>index</title>\n");
	write_file(live.root, "robots.txt", "User-agent: *\n");
	write_file(live.root, "assets/app-1234.js", "console.log(1);\n");
	write_file(live.outside, "secret.txt", "top secret\n");

	struct http_config cfg = {
		.listen_addr = "127.0.0.1",
		.port = 0,
		.threads = 4,
		.max_body = 1024,
		.max_upload = 4096,
		.max_url = 512,
		.web_root = live.root,
		.connection_timeout = 10,
	};
	if (http_server_start(&live.srv, &cfg, live_routes,
			      sizeof(live_routes) / sizeof(live_routes[0]), &live_hooks) < 0)
		return -1;
	live.port = http_server_port(live.srv);
	return live.port ? 0 : -1;
}

static int live_teardown(void **state)
{
	(void)state;
	if (live.srv)
		http_server_stop(live.srv, 5);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", live.outside);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_live_get(void **state)
{
	(void)state;
	struct resp r;
	assert_int_equal(exchange("GET /api/v1/echo/hello%20world?q=a+b HTTP/1.1\r\n"
				  "Host: x\r\nConnection: close\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	json_t *j = body_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "hello world");
	assert_string_equal(json_string_value(json_object_get(j, "q")), "a b");
	json_decref(j);

	/* security headers on every reply, no-store on the API */
	assert_string_equal(header(&r, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(header(&r, "X-Frame-Options"), "DENY");
	assert_string_equal(header(&r, "Referrer-Policy"), "no-referrer");
	assert_string_equal(header(&r, "Content-Security-Policy"),
			    "default-src 'self'; img-src 'self' data:; style-src 'self' "
			    "'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
			    "form-action 'self'");
	assert_string_equal(header(&r, "Cache-Control"), "no-store");
	const char *id = header(&r, "X-Request-Id");
	assert_non_null(id);
	assert_int_equal(strlen(id), 16);
	assert_int_equal(strspn(id, "0123456789abcdef"), 16);
	char first[17];
	memcpy(first, id, 17);
	resp_free(&r);

	/* ids are unique; a well-formed client id is kept, a bad one replaced */
	assert_int_equal(exchange("GET /api/v1/echo/x HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	assert_string_not_equal(header(&r, "X-Request-Id"), first);
	resp_free(&r);
	assert_int_equal(exchange("GET /api/v1/echo/x HTTP/1.1\r\nHost: x\r\n"
				  "X-Request-Id: trace-42.a_b\r\nConnection: close\r\n\r\n", &r), 0);
	assert_string_equal(header(&r, "X-Request-Id"), "trace-42.a_b");
	resp_free(&r);
	assert_int_equal(exchange("GET /api/v1/echo/x HTTP/1.1\r\nHost: x\r\n"
				  "X-Request-Id: bad id{}\r\nConnection: close\r\n\r\n", &r), 0);
	assert_int_equal(strlen(header(&r, "X-Request-Id")), 16);
	resp_free(&r);

	/* HEAD runs the GET handler and sends no body */
	assert_int_equal(exchange("HEAD /api/v1/echo/x HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_non_null(header(&r, "X-Request-Id"));
	assert_string_equal(header(&r, "Content-Type"), "application/json");
	resp_free(&r);

	/* two requests on one keep-alive connection */
	const char *two = "GET /api/v1/echo/one HTTP/1.1\r\nHost: x\r\n\r\n"
			  "GET /api/v1/echo/two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	assert_int_equal(exchange(two, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.raw, "\"one\""));
	assert_non_null(strstr(r.raw, "\"two\""));
	resp_free(&r);
}

static void test_live_errors(void **state)
{
	(void)state;
	struct resp r;
	/* 404 for unknown API paths */
	assert_int_equal(exchange("GET /api/v1/nothing HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 404, "not-found");
	assert_string_equal(header(&r, "Cache-Control"), "no-store");
	resp_free(&r);
	/* a trailing slash is another path */
	assert_int_equal(exchange("GET /api/v1/echo/x/ HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 404, "not-found");
	resp_free(&r);

	/* 405 with Allow */
	assert_int_equal(exchange("POST /api/v1/echo/x HTTP/1.1\r\nHost: x\r\n"
				  "Content-Length: 0\r\nConnection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 405, "method-not-allowed");
	assert_string_equal(header(&r, "Allow"), "GET, HEAD, DELETE");
	resp_free(&r);

	/* 414 */
	char url[2048];
	int n = snprintf(url, sizeof(url), "GET /api/v1/echo/x?q=");
	memset(url + n, 'a', 600);
	snprintf(url + n + 600, sizeof(url) - (size_t)n - 600,
		 " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_int_equal(exchange(url, &r), 0);
	expect_problem(&r, 414, "uri-too-long");
	assert_non_null(header(&r, "X-Request-Id"));
	assert_string_equal(header(&r, "Cache-Control"), "no-store");
	resp_free(&r);

	/* the absolute form a proxy sends */
	assert_int_equal(exchange("GET http://x/api/v1/echo/abs?q=1 HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"abs\""));
	resp_free(&r);
	assert_int_equal(exchange("GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
				  &r), 0);
	expect_problem(&r, 400, "bad-path");
	resp_free(&r);

	/* 400 for a malformed query or path */
	assert_int_equal(exchange("GET /api/v1/echo/x?q=%zz HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 400, "bad-query");
	resp_free(&r);
	assert_int_equal(exchange("GET /api/v1/echo/a%00b HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 400, "bad-path");
	resp_free(&r);

	/* handler failures are 500 problems, never a dropped connection */
	assert_int_equal(exchange("GET /api/v1/fail HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 500, "internal-error");
	resp_free(&r);
	assert_int_equal(exchange("GET /api/v1/noreply HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 500, "internal-error");
	resp_free(&r);
}

static void post(const char *path, const char *ctype, const char *body, struct resp *r)
{
	char req[4096];
	int n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: x\r\n%s%s%s"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", path,
			 ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
			 strlen(body), body);
	assert_true(n > 0 && (size_t)n < sizeof(req));
	assert_int_equal(exchange(req, r), 0);
}

static void test_live_bodies(void **state)
{
	(void)state;
	struct resp r;
	post("/api/v1/echo", "application/json", "{\"a\": [1, 2], \"b\": \"\\u00e9\"}", &r);
	assert_int_equal(r.status, 200);
	json_t *j = body_json(&r);
	assert_int_equal(json_array_size(json_object_get(j, "a")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "b")), "\xc3\xa9");
	json_decref(j);
	resp_free(&r);

	post("/api/v1/echo", "application/merge-patch+json; charset=UTF-8", "{\"x\":null}", &r);
	assert_int_equal(r.status, 200);
	resp_free(&r);

	/* an empty body is no body */
	post("/api/v1/echo", NULL, "", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{}");
	resp_free(&r);

	/* 415 */
	post("/api/v1/echo", "text/plain", "{}", &r);
	expect_problem(&r, 415, "unsupported-media-type");
	resp_free(&r);
	post("/api/v1/echo", NULL, "{}", &r);
	expect_problem(&r, 415, "unsupported-media-type");
	resp_free(&r);
	post("/api/v1/echo", "application/json; charset=latin1", "{}", &r);
	expect_problem(&r, 415, "unsupported-media-type");
	resp_free(&r);

	/* 400 naming line and column */
	post("/api/v1/echo", "application/json", "{\"a\":\n  1,}", &r);
	expect_problem(&r, 400, "malformed-json");
	j = body_json(&r);
	const char *detail = json_string_value(json_object_get(j, "detail"));
	assert_non_null(strstr(detail, "line 2"));
	assert_non_null(strstr(detail, "column"));
	json_decref(j);
	resp_free(&r);
	post("/api/v1/echo", "application/json", "{\"a\":1,\"a\":2}", &r);
	expect_problem(&r, 400, "malformed-json");
	resp_free(&r);
	post("/api/v1/echo", "application/json", "[1,2]", &r);
	expect_problem(&r, 400, "body-not-object");
	resp_free(&r);
	post("/api/v1/echo", "application/json", "\"\xff\"", &r);
	expect_problem(&r, 400, "malformed-json");
	resp_free(&r);

	/* a raw-body route takes anything */
	post("/api/v1/raw", "text/csv", "a,b\n1,2\n", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "a,b\n1,2\n");
	resp_free(&r);

	/* 413 from Content-Length, before the body is sent */
	assert_int_equal(exchange("POST /api/v1/echo HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: application/json\r\nContent-Length: 100000\r\n"
				  "\r\n", &r), 0);
	expect_problem(&r, 413, "body-too-large");
	resp_free(&r);

	/* a chunked body is refused at once, whatever its size (411) */
	char big[4096];
	int n = snprintf(big, sizeof(big), "POST /api/v1/echo HTTP/1.1\r\nHost: x\r\n"
			 "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
			 "Connection: close\r\n\r\n");
	for (int i = 0; i < 3; i++) {
		n += snprintf(big + n, sizeof(big) - (size_t)n, "200\r\n");
		memset(big + n, ' ', 512);
		n += 512;
		n += snprintf(big + n, sizeof(big) - (size_t)n, "\r\n");
	}
	n += snprintf(big + n, sizeof(big) - (size_t)n, "0\r\n\r\n");
	assert_int_equal(exchange_n(live.port, big, (size_t)n, &r), 0);
	expect_problem(&r, 411, "length-required");
	resp_free(&r);
}

/* An HTTP_UPLOAD route takes bodies up to max_upload; every other route keeps max_body. */
static void test_live_upload_limit(void **state)
{
	(void)state;
	struct resp r;
	char req[8192];
	char body[3000];
	memset(body, 'u', sizeof(body));
	for (int route = 0; route < 2; route++) {
		int n = snprintf(req, sizeof(req), "POST /api/v1/%s HTTP/1.1\r\nHost: x\r\n"
				 "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
				 "Connection: close\r\n\r\n", route ? "raw" : "upload", sizeof(body));
		memcpy(req + n, body, sizeof(body));
		assert_int_equal(exchange_n(live.port, req, (size_t)n + sizeof(body), &r), 0);
		if (route == 0) {
			assert_int_equal(r.status, 200);
			assert_int_equal(r.body_len, sizeof(body));
		} else {
			expect_problem(&r, 413, "body-too-large");
			assert_non_null(strstr(r.body, "1024 bytes"));
		}
		resp_free(&r);
	}
	assert_int_equal(exchange("POST /api/v1/upload HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: text/plain\r\nContent-Length: 4097\r\n\r\n", &r), 0);
	expect_problem(&r, 413, "body-too-large");
	assert_non_null(strstr(r.body, "4096 bytes"));
	resp_free(&r);
}

static void test_live_auth(void **state)
{
	(void)state;
	struct resp r;
	assert_int_equal(exchange("GET /api/v1/private HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 401, "unauthenticated");
	resp_free(&r);
	assert_int_equal(exchange("GET /api/v1/private HTTP/1.1\r\nHost: x\r\n"
				  "Authorization: Bearer b\r\nConnection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 403, "forbidden");
	resp_free(&r);
	assert_int_equal(exchange("GET /api/v1/private HTTP/1.1\r\nHost: x\r\n"
				  "Authorization: Bearer a\r\nConnection: close\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"user\":7}");
	resp_free(&r);
}

/*
 * Each allocation of ours failing in turn, on a request that parses a body:
 * the server answers 200 or a 500, and never crashes or leaks.
 */
static void test_live_out_of_memory(void **state)
{
	(void)state;
	const char *raw = "POST /api/v1/echo?a=1 HTTP/1.1\r\nHost: x\r\n"
			  "Content-Type: application/json\r\nContent-Length: 17\r\n"
			  "Connection: close\r\n\r\n{\"a\": {\"b\": [1]}}";
	int ok = 0, failed = 0;
	for (long n = 0; n < 60; n++) {
		struct resp r;
		alloc_fail_after(n);
		int rc = exchange(raw, &r);
		alloc_fail_after(-1);
		bool good = rc == 0 && (r.status == 200 || r.status == 500);
		if (good && r.status == 200)
			ok++;
		else if (good)
			failed++;
		else
			print_error("allocation %ld failing gave: %s\n", n, r.raw ? r.raw : "");
		resp_free(&r);
		assert_true(good);
	}
	assert_true(ok > 0);
	assert_true(failed > 0);
}

static void test_live_static(void **state)
{
	(void)state;
	struct resp r;
	assert_int_equal(exchange("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "<!doctype html><title>index</title>\n");
	assert_string_equal(header(&r, "Content-Type"), "text/html; charset=utf-8");
	assert_string_equal(header(&r, "Cache-Control"), "no-cache");
	assert_string_equal(header(&r, "X-Frame-Options"), "DENY");
	resp_free(&r);

	/* single-page app fallback */
	assert_int_equal(exchange("GET /tickets/42 HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "<!doctype html><title>index</title>\n");
	resp_free(&r);

	/* a missing file with an extension is a 404 */
	assert_int_equal(exchange("GET /missing.js HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 404, "not-found");
	resp_free(&r);

	assert_int_equal(exchange("GET /assets/app-1234.js HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "console.log(1);\n");
	assert_string_equal(header(&r, "Content-Type"), "text/javascript; charset=utf-8");
	assert_string_equal(header(&r, "Cache-Control"), "public, max-age=31536000, immutable");
	resp_free(&r);

	assert_int_equal(exchange("HEAD /robots.txt HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(header(&r, "Content-Length"), "14");
	resp_free(&r);

	/* ".." never leaves the web root, encoded or not */
	const char *escapes[] = { "/../secret.txt", "/%2e%2e/secret.txt",
				  "/assets/..%2fsecret.txt", "/assets/../../secret.txt" };
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		char req[256];
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			 escapes[i]);
		assert_int_equal(exchange(req, &r), 0);
		if (r.status != 400 || strstr(r.raw, "top secret"))
			fail_msg("%s: %s", escapes[i], r.raw);
		resp_free(&r);
	}

	/* only GET and HEAD reach the files */
	assert_int_equal(exchange("POST /index.html HTTP/1.1\r\nHost: x\r\n"
				  "Content-Length: 0\r\nConnection: close\r\n\r\n", &r), 0);
	expect_problem(&r, 404, "not-found");
	resp_free(&r);
}

static void test_live_metrics(void **state)
{
	(void)state;
	struct resp r;
	/* completion (and so the count) may trail the reply by a moment */
	const char *want = "servio_http_requests_total{route=\"/api/v1/echo/:name\","
			   "method=\"GET\",status=\"200\"} ";
	bool found = false;
	for (int i = 0; i < 50 && !found; i++) {
		assert_int_equal(exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n"
					  "Connection: close\r\n\r\n", &r), 0);
		assert_int_equal(r.status, 200);
		/* in flight: only this very request */
		found = strstr(r.body, want) != NULL &&
			strstr(r.body, "route=\"static\",method=\"GET\",status=\"200\"") != NULL &&
			strstr(r.body, "\nservio_http_requests_in_flight 1\n") != NULL;
		if (found)
			break;
		resp_free(&r);
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (!found)
		fail_msg("metrics lack the echo route:\n%s", r.body);
	assert_non_null(strstr(r.body, "# TYPE servio_http_requests_total counter"));
	assert_non_null(strstr(r.body, "# TYPE servio_http_request_duration_seconds histogram"));
	assert_non_null(strstr(r.body, "servio_http_request_duration_seconds_bucket{route=\""
				       "/api/v1/echo/:name\",method=\"GET\",le=\"0.005\"} "));
	assert_non_null(strstr(r.body, "le=\"+Inf\"}"));
	assert_non_null(strstr(r.body, "servio_http_request_duration_seconds_count{route=\""
				       "/api/v1/echo/:name\",method=\"GET\"} "));
	assert_non_null(strstr(r.body, "route=\"unmatched\",method=\"GET\",status=\"404\""));
	assert_non_null(strstr(r.body, "route=\"/api/v1/private\",method=\"GET\",status=\"403\""));
	resp_free(&r);
}

static void *slow_client(void *arg)
{
	struct resp *r = arg;
	exchange("GET /api/v1/slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", r);
	return NULL;
}

static void *held_client(void *arg)
{
	struct resp *r = arg;
	exchange("POST /api/v1/held HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Content-Length: 2\r\nConnection: close\r\n\r\n{}", r);
	return NULL;
}

/*
 * A held reply goes out only once settled, and the wait is not on the
 * HTTP thread that ran the handler; requests without a hold go out as
 * soon as their handler is done, also while one waits.
 */
static void test_live_held_reply(void **state)
{
	(void)state;
	struct resp r, other;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, held_client, &r), 0);
	pthread_mutex_lock(&gate.lock);
	while (!gate.settling)
		pthread_cond_wait(&gate.changed, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	assert_false(pthread_equal(gate.handler_thread, gate.settle_thread));

	assert_int_equal(exchange("GET /api/v1/echo/x HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &other), 0);
	assert_int_equal(other.status, 200);
	assert_null(header(&other, "X-Settled"));
	resp_free(&other);

	pthread_mutex_lock(&gate.lock);
	gate.open = true;
	pthread_cond_broadcast(&gate.changed);
	pthread_mutex_unlock(&gate.lock);
	pthread_join(t, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "held");
	assert_string_equal(header(&r, "X-Settled"), "yes");
	resp_free(&r);
}

/*
 * A request that may change something runs on a write thread, not on the
 * HTTP thread that serves its connection with others; a GET runs there.
 */
static void test_live_write_threads(void **state)
{
	(void)state;
	struct resp r;
	assert_int_equal(exchange("PATCH /api/v1/write HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: application/json\r\nContent-Length: 2\r\n"
				  "Connection: close\r\n\r\n{}", &r), 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "written");
	assert_true(write_thread_name[0]);
	assert_false(strncmp(write_thread_name, "MHD-", 4) == 0);
	resp_free(&r);

	memset(write_thread_name, 0, sizeof(write_thread_name));
	assert_int_equal(exchange("GET /api/v1/write HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", &r), 0);
	assert_int_equal(r.status, 201);
	assert_true(strncmp(write_thread_name, "MHD-", 4) == 0);
	resp_free(&r);
}

/* Last: stops the server with a request in flight, which must still finish. */
static void test_live_graceful_stop(void **state)
{
	(void)state;
	struct resp r;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, slow_client, &r), 0);
	for (int i = 0; i < 200 && atomic_load(&live.srv->in_flight) == 0; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(atomic_load(&live.srv->in_flight), 1);
	http_server_stop(live.srv, 5);
	live.srv = NULL;
	pthread_join(t, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "slow");
	resp_free(&r);

	/* nobody listens any more */
	int fd = connect_port(live.port);
	if (fd >= 0)
		close(fd);
	assert_true(fd < 0);
}

static void test_start_refuses(void **state)
{
	(void)state;
	struct http_server *srv;
	struct http_config cfg = { .listen_addr = "localhost", .threads = 1, .max_body = 10,
				   .max_url = 100 };
	/* an address must be a literal */
	assert_int_equal(http_server_start(&srv, &cfg, live_routes, 1, &live_hooks), -1);
	const struct http_route bad[] = { { "GET", "/x", dummy, 0, 0, NULL } };
	cfg.listen_addr = "127.0.0.1";
	assert_int_equal(http_server_start(&srv, &cfg, bad, 1, &live_hooks), -1);
	/* IPv6 works when the host has it */
	cfg.listen_addr = "::1";
	if (http_server_start(&srv, &cfg, live_routes, 1, &live_hooks) == 0) {
		assert_true(http_server_port(srv) != 0);
		http_server_stop(srv, 1);
	}
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_routes_check_ok),
		cmocka_unit_test(test_trusted_proxies),
		cmocka_unit_test(test_routes_check_refuses),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_index_api),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_status_titles),
		cmocka_unit_test(test_reply_problem),
		cmocka_unit_test(test_reply_out_of_memory),
		cmocka_unit_test(test_start_refuses),
	};
	const struct CMUnitTest server[] = {
		cmocka_unit_test(test_live_get),
		cmocka_unit_test(test_live_errors),
		cmocka_unit_test(test_live_bodies),
		cmocka_unit_test(test_live_auth),
		cmocka_unit_test(test_live_out_of_memory),
		cmocka_unit_test(test_live_static),
		cmocka_unit_test(test_live_upload_limit),
		cmocka_unit_test(test_live_metrics),
		cmocka_unit_test(test_live_held_reply),
		cmocka_unit_test(test_live_write_threads),
		cmocka_unit_test(test_live_graceful_stop),
	};
	int failed = cmocka_run_group_tests_name("http units", unit, NULL, NULL);
	failed += cmocka_run_group_tests_name("http server", server, live_setup, live_teardown);
	return failed ? 1 : 0;
}
