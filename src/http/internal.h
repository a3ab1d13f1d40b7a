/*
 * internal.h - what the files of http/ share among themselves and nobody
 * else may use: the server object, path decoding, the Allow list, static
 * files and the metrics store.
 *
 * struct http_server is built once by http_server_start and read by every
 * request thread; after start only in_flight, next_id and the metrics
 * (which lock themselves) change.
 */
#ifndef SERVIO_HTTP_INTERNAL_H
#define SERVIO_HTTP_INTERNAL_H

#include "http.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Daemon;
struct http_metrics;

/* An IPv4 or IPv6 address; IPv4 as ::ffff:a.b.c.d. */
struct http_addr {
	unsigned char bytes[16];
};

/* An address and a prefix length (bits of the 16-byte form). */
struct http_net {
	struct http_addr addr;
	unsigned bits;
};

#define HTTP_MAX_TRUSTED 32

/*
 * Parses "10.0.0.1, 192.168.0.0/16, ::1" into out. Returns 0 with *count
 * set, or -1 with a message naming the bad item.
 */
int http_nets_parse(const char *list, struct http_net *out, size_t max, size_t *count,
		    char *err, size_t errlen);
bool http_nets_contain(const struct http_net *nets, size_t n, const struct http_addr *a);
bool http_addr_from_text(const char *text, struct http_addr *out);
/* Narrows s[0..n) to leave out spaces and tabs at either end (header values). */
void http_trim(const char **s, size_t *n);
void http_addr_text(const struct http_addr *a, char *out, size_t n);

/*
 * The client of a request from peer: the peer itself unless it is a
 * trusted proxy, else the rightmost address of X-Forwarded-For (all its
 * lines joined with ",") that is not a trusted proxy.
 */
struct http_addr http_client_behind(const struct http_net *trusted, size_t ntrusted,
				    const struct http_addr *peer, const char *forwarded_for);

/* Open connections, in all and per peer address (see server.c). */
struct http_conns;

/*
 * The slow threads (slow.c). A job is the caller's, usually inside what it
 * belongs to; run is called on a slow thread. http_slow_start returns NULL
 * when no thread could start; http_slow_push returns false when the pool
 * is NULL or stopping (run the job yourself then); http_slow_stop runs the
 * jobs still queued and waits for the threads; http_slow_free stops the
 * pool if need be and frees it.
 */
struct http_slow_job {
	void (*run)(struct http_slow_job *job);
	struct http_slow_job *next;
};
struct http_slow;
struct http_slow *http_slow_start(unsigned nthreads);
bool http_slow_push(struct http_slow *pool, struct http_slow_job *job);
void http_slow_stop(struct http_slow *pool);
void http_slow_free(struct http_slow *pool);

struct http_server {
	struct MHD_Daemon *daemon;
	const struct http_route *routes;	/* the caller's table; outlives us */
	size_t nroutes;
	struct http_route_index *index;		/* of routes, for matching */
	struct http_hooks hooks;
	char *listen_addr;			/* heap copy */
	uint16_t port;				/* the real one, after bind */
	size_t max_body, max_upload, max_url;
	int web_root_fd;			/* open directory, or -1: no static files */
	atomic_uint in_flight;			/* requests between URI log and completion */
	atomic_uint_fast64_t next_id;		/* request id counter */
	uint64_t id_key;			/* random, mixed into every request id */
	struct http_metrics *metrics;
	struct http_net trusted[HTTP_MAX_TRUSTED];	/* proxies whose X-Forwarded-For we believe */
	size_t ntrusted;
	unsigned max_conns, max_conns_per_addr;		/* over these: 503 */
	struct http_conns *conns;
	struct http_slow *slow;			/* HTTP_SLOW requests run there */
	struct http_slow *writes;		/* requests that change something run there */
	struct http_slow *settle;		/* held replies wait there (hooks.hold) */
};

/* The body sent when not even a problem reply could be built. */
extern const char http_oom_body[];
#define HTTP_OOM_CONTENT_TYPE "application/problem+json"

/* The same reply helper every pipeline step uses for "out of memory". */
void http_reply_oom(struct http_req *req);

/*
 * Percent-decodes the path part of a request target (no '+' rule) into the
 * arena. Returns 0 and sets *out, or -1 when an escape is malformed, a byte
 * decodes to NUL, or memory runs out (*oom set then).
 */
int http_path_decode(const char *raw, size_t len, struct arena *arena, char **out, bool *oom);

/* http_query_parse that also says whether a -1 was for lack of memory. */
int http_query_parse_ex(const char *qs, struct arena *arena, struct http_kv *out, int max,
			bool *oom);

/*
 * The methods routes accept for path, as an Allow header value
 * ("GET, HEAD, POST") in the arena, or NULL when none (or out of memory).
 */
char *http_route_allow(const struct http_route *routes, size_t n, const char *path,
		       struct arena *arena);

/*
 * Serves a GET or HEAD of a non-API path from the web root: sets
 * req->file_fd/file_size and the reply, or a problem reply. Returns 0, or
 * -1 for a failure of ours (nothing replied).
 */
int http_static_serve(struct http_server *srv, struct http_req *req);

/*
 * Metrics. http_metrics_new sizes the store for the route table; observe
 * records one completed request (route NULL: is_static says "static", else
 * "unmatched"). All thread-safe.
 */
struct http_metrics *http_metrics_new(const struct http_route *routes, size_t n);
void http_metrics_free(struct http_metrics *m);
void http_metrics_observe(struct http_metrics *m, const struct http_route *route,
			  bool is_static, const char *method, int status, double seconds);

#endif
