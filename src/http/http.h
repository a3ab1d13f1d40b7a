/*
 * http.h - the HTTP server: a declarative route table, one request pipeline,
 * and the reply helpers handlers use.
 *
 * http/ knows no domain and no database. The program hands it a table of
 * routes and a set of hooks; the pipeline does everything that is the same
 * for every request, in this order:
 *
 *   connection limits (503) -> framing: Host, Content-Length,
 *   Transfer-Encoding (400 / 501) -> URL length limit (414) -> route match
 *   -> body size limit, max_upload for an HTTP_UPLOAD route, else max_body
 *   (413) -> 404 / 405 with Allow -> query string (400)
 *   -> hooks.authenticate unless the route is HTTP_PUBLIC (401 / 403)
 *   -> role check against the route (403), all before the body is read
 *   -> the body -> Content-Type (415) -> JSON parse once (400)
 *   -> hooks.before (idempotency) -> handler -> hooks.after -> security
 *   headers, request id, access log, metrics.
 *
 * Deny by default: a route whose roles are 0 cannot be registered;
 * a route for callers without a login says so with HTTP_PUBLIC.
 *
 * Memory: each request owns req->arena, released when the request
 * completes, and every JSON value of the request belongs to it: req->body,
 * the values handlers build (http_json) and those the domains return. It
 * is their one owner; handlers allocate from the arena and free nothing
 * by hand.
 */
#ifndef SERVIO_HTTP_H
#define SERVIO_HTTP_H

#include "core/arena.h"
#include "core/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_PUBLIC (1u << 31)	/* route needs no authentication */
#define HTTP_MAX_PARAMS 8
#define HTTP_MAX_QUERY 64

struct http_req;
struct http_server;

/*
 * A handler sets a reply with one of the http_reply_* functions and
 * returns 0, or returns -1 for a failure of ours (the pipeline logs it
 * with the request id and replies 500).
 */
typedef int (*http_handler)(struct http_req *req);

enum http_route_flag {
	HTTP_RAW_BODY = 1 << 0,	/* do not require or parse a JSON body */
	HTTP_SECRET_REPLY = 1 << 1,	/* the reply holds a secret: never store it (idempotency) */
	HTTP_UPLOAD = 1 << 2,	/* takes bodies up to the config's max_upload, not max_body */
	/*
	 * Runs on the slow threads, not on libmicrohttpd's, whose other
	 * connections would wait for it: seconds of work, a password hash, a
	 * call to another server (server.c, slow.c).
	 */
	HTTP_SLOW = 1 << 3,
};

struct http_route {
	const char *method;	/* "GET", "POST", "PATCH", "PUT", "DELETE" */
	const char *pattern;	/* "/api/v1/companies/:id"; ":name" binds a segment */
	http_handler handler;
	unsigned roles;		/* bitmask the authenticate hook understands, or HTTP_PUBLIC */
	unsigned flags;
	const void *data;	/* the handler's own (e.g. which resource); may be NULL */
};

struct http_kv {
	const char *name, *value;
};

struct http_reply_header {
	const char *name, *value;
	struct http_reply_header *next;
};

struct http_req {
	struct arena arena;
	struct http_server *server;
	void *conn;			/* the libmicrohttpd connection; http/ only */

	/* the request */
	const char *method;
	const char *path;		/* percent-decoded, no query string */
	const char *raw_uri;
	const char *id;			/* request id, also sent as X-Request-Id */
	const char *remote_addr;	/* the client: behind trusted proxies, their X-Forwarded-For */
	bool forwarded_https;		/* a trusted proxy says the client spoke https */
	const struct http_route *route;
	struct http_kv params[HTTP_MAX_PARAMS];
	int nparams;
	struct http_kv query[HTTP_MAX_QUERY];
	int nquery;
	struct buf raw_body;
	json_t *body;			/* parsed JSON (the arena's) or NULL when there was no body */

	/* the caller, set by the authenticate hook */
	unsigned role;			/* exactly one role bit */
	int64_t user_id;
	void *principal;		/* hook-owned, arena-allocated */
	bool via_session;		/* cookie session (CSRF applies) vs bearer token */

	/* the reply */
	int status;			/* 0 until a reply is set */
	const char *content_type;
	struct buf out;
	struct http_reply_header *headers;
	int file_fd;			/* static files, downloads: reply from this fd, not out */
	uint64_t file_size;

	/* for the access log and metrics */
	int64_t started_ns;
	bool too_large;
	bool uri_too_long;
	void *hook_state;		/* for hooks.before/after, arena-allocated */
	uint64_t held_for;		/* for hooks.hold/settle: what the reply waits for */
};

struct http_hooks {
	/*
	 * Identify the caller for a non-public route: set req->role and
	 * req->user_id and return 0, or set a 401/403 reply and return 1,
	 * or return -1 on a failure of ours.
	 */
	int (*authenticate)(struct http_req *req);
	/* Before the handler: 0 go on, 1 replied already, -1 failure. */
	int (*before)(struct http_req *req);
	/* After the handler, with the reply set. */
	void (*after)(struct http_req *req);
	/*
	 * At the end of each libmicrohttpd callback that ran a hook: what a
	 * hook keeps on the thread for the request (a read snapshot) must not
	 * outlive it, as the thread serves other connections in between.
	 */
	void (*release)(struct http_req *req);
	/*
	 * Whether a request of a route not flagged HTTP_SLOW runs on the slow
	 * threads all the same (a record's rendered-document form); optional.
	 */
	bool (*slow)(const struct http_req *req);
	/*
	 * After the handler and hooks.after, on the thread that ran them:
	 * whether the reply must wait for something that may take a while
	 * (its writes reaching the disk). settle then waits for it on a
	 * thread of the server's own, while the HTTP, slow or write thread
	 * that ran the request serves others, and may replace the reply; the
	 * reply goes out after. Optional, both or neither.
	 */
	bool (*hold)(struct http_req *req);
	void (*settle)(struct http_req *req);
};

struct http_config {
	const char *listen_addr;	/* "127.0.0.1" or "0.0.0.0" or "::1" */
	uint16_t port;			/* 0 picks a free port */
	unsigned threads;
	unsigned slow_threads;		/* for HTTP_SLOW requests; 0: one a core, at least 2 */
	unsigned write_threads;		/* for other requests but GET and HEAD; 0: one a core, at least 2 */
	size_t max_body;		/* bytes */
	size_t max_upload;		/* bytes, for HTTP_UPLOAD routes (file uploads) */
	size_t max_url;			/* bytes, path plus query */
	const char *web_root;		/* static files, or NULL */
	unsigned connection_timeout;	/* seconds of idle keep-alive */
	const char *trusted_proxies;	/* "10.0.0.1, 192.168.0.0/16": whose X-Forwarded-For counts */
	unsigned max_connections;	/* open at once, in all (0: 1000) */
	unsigned max_connections_per_addr; /* open at once from one address (0: 64) */
};

/*
 * Validates the route table (roles set, patterns well formed, no duplicate
 * method+pattern). Returns 0, or -1 with a message in err.
 */
int http_routes_check(const struct http_route *routes, size_t n, char *err, size_t errlen);

/*
 * Matches method and path against the table. Returns the route and fills
 * params (arena strings), or NULL; *path_matched says whether some route
 * had this path with another method (for 405). HEAD matches GET routes.
 * When the arena runs out of memory it returns NULL with *nparams = -1.
 */
const struct http_route *http_route_match(const struct http_route *routes, size_t n,
					  const char *method, const char *path,
					  struct arena *arena, struct http_kv *params,
					  int *nparams, bool *path_matched);
/*
 * The same through an index of the table (built once; the table must
 * outlive it): the answer of http_route_match, without trying every route.
 * http_route_index_new returns NULL when out of memory.
 */
struct http_route_index;
struct http_route_index *http_route_index_new(const struct http_route *routes, size_t n);
void http_route_index_free(struct http_route_index *ix);
const struct http_route *http_route_find(const struct http_route_index *ix, const char *method,
					 const char *path, struct arena *arena,
					 struct http_kv *params, int *nparams, bool *path_matched);

/*
 * Parses a raw query string ("a=1&b=x%20y") into decoded pairs in the
 * arena. Returns the number of pairs, or -1 when it is malformed (bad
 * percent escape, NUL byte, more than max pairs).
 */
int http_query_parse(const char *qs, struct arena *arena, struct http_kv *out, int max);

/* Starts the server. Returns 0 and sets *out, or -1 (logged). */
int http_server_start(struct http_server **out, const struct http_config *config,
		      const struct http_route *routes, size_t nroutes,
		      const struct http_hooks *hooks);
uint16_t http_server_port(const struct http_server *srv);
/* Stops accepting, waits up to grace_seconds for requests in flight, frees. */
void http_server_stop(struct http_server *srv, unsigned grace_seconds);

/* Request accessors; the strings live as long as the request. NULL if absent. */
const char *http_param(const struct http_req *req, const char *name);
const char *http_query(const struct http_req *req, const char *name);
const char *http_header(const struct http_req *req, const char *name);
const char *http_cookie(const struct http_req *req, const char *name);

/*
 * Replies. Each sets the reply and returns 0, so a handler can
 * "return http_reply_…(…);". A second reply replaces the first.
 * http_reply_json serializes body at once and borrows it (NULL: out of
 * memory, a 500).
 */
int http_reply_json(struct http_req *req, int status, const json_t *body);
/*
 * A JSON reply its handler writes as text: http_reply_body empties the
 * reply's body and gives its buffer to append to; http_reply_written then
 * sets the reply (a 500 when the buffer failed).
 */
struct buf *http_reply_body(struct http_req *req);
int http_reply_written(struct http_req *req, int status);
/*
 * Hands a new JSON value over to the request (released with its arena)
 * and returns it borrowed; NULL when v is NULL or memory runs out.
 */
json_t *http_json(struct http_req *req, json_t *v);
int http_reply_empty(struct http_req *req, int status);
int http_reply_text(struct http_req *req, int status, const char *content_type,
		    const char *text, size_t len);
/*
 * RFC 9457 problem+json: type "urn:servio:problem:<slug>", title from the
 * status, detail formatted. errors (borrowed, may be NULL) becomes the
 * "errors" member: [{"field": …, "message": …}].
 */
int http_reply_problem(struct http_req *req, int status, const char *slug, json_t *errors,
		       const char *detail_fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Replies the contents of an open file (a download): fd is the request's
 * from now on (sent by libmicrohttpd, or closed when the request ends),
 * size its length in bytes.
 */
int http_reply_file(struct http_req *req, int status, const char *content_type, int fd,
		    uint64_t size);
/* Adds a reply header; name and value are copied into the arena. */
void http_set_header(struct http_req *req, const char *name, const char *value);

/* Standard reason phrase for a status ("Not Found"). */
const char *http_status_title(int status);

/* Prometheus text for the requests and latency seen so far (appends to out). */
void http_metrics_write(struct http_server *srv, struct buf *out);

#endif
