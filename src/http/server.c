/*
 * server.c - the libmicrohttpd glue and the request pipeline.
 *
 * libmicrohttpd calls us three ways for every request. The URI log callback
 * comes first, with the raw request target: it creates the request (its
 * arena, its id) and counts it in flight. The access handler comes next,
 * once when the headers are in, once per piece of body and once more at the
 * end; the steps that need only the request line and headers (URL and body
 * limits, route match, query string) run on the first call, the rest of the
 * pipeline (http.h lists the order) on the last. The completion callback
 * comes last, even when the client went away: it writes the access log and
 * the metrics and frees everything the request owned.
 *
 * A request of an HTTP_SLOW route runs on a slow thread (slow.c): where the
 * pipeline would run the route, it suspends the connection and queues the
 * request; the slow thread runs the route and resumes the connection, and
 * the access handler, called again, sends the reply. A request that may
 * change something (any method but GET and HEAD) runs the same way on a
 * write thread: an HTTP thread serves its connections in rounds, each
 * request of a round in turn, so a write that waited there for the
 * process's write lock held up every connection of the round, and its
 * reply, settled and resumed, took two rounds more; the write threads take
 * the writes first come, first served (at 1M tickets under 32 connections
 * of creates: p99 26-28 ms on the HTTP threads, 18 ms on their own). A
 * reply the hold hook holds (a write not yet on the disk) waits the same
 * way, on the settle thread: one thread, as the waits it runs one after
 * the other end together (one WAL sync makes every commit before it
 * durable).
 *
 * Some replies go out before the body is read, and libmicrohttpd then
 * closes the connection instead of reading a body we refuse: 503 for a
 * connection past a limit, 400/411/501 for a framing we do not take, 414,
 * 413, and 401/403 when the refused body is large. Any other early
 * decision (404, 405, 400 for a bad path, a 401/403 with a small body)
 * waits for the end of the body, which is read and dropped unparsed, so
 * the connection stays usable.
 */
#include "internal.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* What the pipeline tracks about a request beyond struct http_req. */
struct conn_state {
	struct http_req req;	/* first, so a request is also its state */
	bool started;		/* the first access-handler call is done */
	bool decided;		/* the reply is set; skip the rest of the pipeline */
	bool replied;		/* a response is queued */
	bool is_static;		/* no route: a file from the web root */
	uint64_t bytes;		/* body bytes of the response, for the access log */
	size_t max_body;	/* the matched route's body limit, or the server's */
	struct http_slow *pool;	/* the route runs on a thread of that pool (slow, writes) */
	bool offloaded;		/* queued for one; its reply is set when resumed */
	bool held;		/* the reply waits for hooks.settle */
	struct http_slow_job job;
	struct alloc_thread_state alloc;	/* fault injection goes along (tests) */
};

static const char csp[] =
	"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/* --- request ids ------------------------------------------------------------ */

/* splitmix64's finalizer: a bijection, so distinct counters give distinct ids. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void new_request_id(struct http_server *srv, char out[17])
{
	uint64_t n = atomic_fetch_add(&srv->next_id, 1);
	snprintf(out, 17, "%016llx", (unsigned long long)mix64(n + srv->id_key));
}

static bool request_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

static uint64_t random_key(void)
{
	uint64_t key = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, &key, sizeof(key));
		close(fd);
		if (n == (ssize_t)sizeof(key))
			return key;
	}
	log_warn("cannot read /dev/urandom: request ids are predictable");
	return (uint64_t)time_mono_ns() ^ ((uint64_t)getpid() << 32);
}

/* --- accessors ---------------------------------------------------------------- */

const char *http_header(const struct http_req *req, const char *name)
{
	if (!req->conn)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(const struct http_req *req, const char *name)
{
	if (!req->conn)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

/* --- replies ---------------------------------------------------------------- */

static void internal_error(struct http_req *req, const char *what)
{
	log_error("request %s: %s %s: %s", req->id, req->method ? req->method : "-",
		  req->route ? req->route->pattern : req->path ? req->path : "-", what);
	http_reply_problem(req, 500, "internal-error", NULL, "internal error (request id %s)",
			   req->id);
}

static void add_header(struct http_req *req, struct MHD_Response *resp, const char *name,
		       const char *value)
{
	if (MHD_add_response_header(resp, name, value) != MHD_YES)
		log_warn("request %s: reply header %s refused by libmicrohttpd", req->id, name);
}

/* A header every reply gets unless the handler set its own. */
static void add_default_header(struct http_req *req, struct MHD_Response *resp,
			       const char *name, const char *value)
{
	if (!MHD_get_response_header(resp, name))
		add_header(req, resp, name, value);
}

static bool api_path(const struct http_req *req)
{
	const char *p = req->path ? req->path : req->raw_uri;
	return strncmp(p, "/api/", 5) == 0 || strcmp(p, "/api") == 0;
}

/* Turns the reply recorded on req into a response and queues it. */
static enum MHD_Result queue_reply(struct conn_state *st)
{
	struct http_req *req = &st->req;
	struct MHD_Response *resp = NULL;
	bool head = req->method && strcmp(req->method, "HEAD") == 0;

	if (req->status == 0)
		internal_error(req, "no reply was set");
	if (req->file_fd >= 0 && req->status >= 200 && req->status < 300) {
		if (req->file_size == 0) {
			close(req->file_fd);
			req->file_fd = -1;
			resp = MHD_create_response_from_buffer(0, (void *)"",
							       MHD_RESPMEM_PERSISTENT);
		} else {
			resp = MHD_create_response_from_fd(req->file_size, req->file_fd);
			if (resp)
				req->file_fd = -1;	/* libmicrohttpd closes it */
		}
		st->bytes = req->file_size;
	} else if (req->out.failed) {
		req->status = 500;
		req->content_type = HTTP_OOM_CONTENT_TYPE;
		resp = MHD_create_response_from_buffer(strlen(http_oom_body),
						       (void *)http_oom_body,
						       MHD_RESPMEM_PERSISTENT);
		st->bytes = strlen(http_oom_body);
	} else if (req->out.len == 0) {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		size_t len = req->out.len;
		char *data = buf_take(&req->out);
		if (data) {
			resp = MHD_create_response_from_buffer_with_free_callback(len, data, xfree);
			if (!resp)
				xfree(data);
		}
		st->bytes = len;
	}
	if (!resp) {
		log_error("request %s: cannot build the response: out of memory", req->id);
		return MHD_NO;
	}
	if (head)
		st->bytes = 0;

	for (const struct http_reply_header *h = req->headers; h; h = h->next)
		add_header(req, resp, h->name, h->value);
	if (req->content_type && !MHD_get_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE))
		add_header(req, resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
	add_header(req, resp, "X-Request-Id", req->id);
	add_default_header(req, resp, "X-Content-Type-Options", "nosniff");
	add_default_header(req, resp, "X-Frame-Options", "DENY");
	add_default_header(req, resp, "Referrer-Policy", "no-referrer");
	add_default_header(req, resp, "Content-Security-Policy", csp);
	if (api_path(req))
		add_default_header(req, resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");

	enum MHD_Result rc = MHD_queue_response(req->conn, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	if (rc != MHD_YES)
		log_error("request %s: libmicrohttpd refused the response", req->id);
	st->replied = true;
	return rc;
}

/* --- the pipeline ------------------------------------------------------------- */

static bool token_eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/*
 * Whether a Content-Type names JSON: application/json or
 * application/<something>+json, with an optional charset that must be UTF-8.
 */
static bool json_media_type(const char *ct)
{
	if (!ct)
		return false;
	const char *s = ct;
	size_t n = strcspn(s, ";");
	http_trim(&s, &n);
	bool json = token_eq(s, n, "application/json");
	if (!json && n > 17 && strncasecmp(s, "application/", 12) == 0 &&
	    strncasecmp(s + n - 5, "+json", 5) == 0)
		json = memchr(s + 12, '/', n - 12) == NULL;
	if (!json)
		return false;
	const char *p = ct + strcspn(ct, ";");
	while (*p == ';') {
		p++;
		const char *param = p;
		size_t len = strcspn(p, ";");
		p += len;
		http_trim(&param, &len);
		const char *eq = memchr(param, '=', len);
		if (!eq)
			continue;
		const char *name = param;
		size_t nlen = (size_t)(eq - param);
		http_trim(&name, &nlen);
		if (!token_eq(name, nlen, "charset"))
			continue;
		const char *v = eq + 1;
		size_t vlen = (size_t)(param + len - v);
		http_trim(&v, &vlen);
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (!token_eq(v, vlen, "utf-8") && !token_eq(v, vlen, "utf8"))
			return false;
	}
	return true;
}

static bool method_takes_body(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0 ||
	       strcmp(m, "DELETE") == 0;
}

/* Content-Type, JSON parse. Returns true to go on, false when replied. */
static bool decode_body(struct http_req *req)
{
	const struct http_route *r = req->route;
	if ((r->flags & HTTP_RAW_BODY) || !method_takes_body(r->method) || req->raw_body.len == 0)
		return true;
	const char *ct = http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!json_media_type(ct)) {
		if (ct)
			http_reply_problem(req, 415, "unsupported-media-type", NULL,
					   "the body must be JSON with Content-Type "
					   "application/json (charset utf-8 if any), not \"%s\"", ct);
		else
			http_reply_problem(req, 415, "unsupported-media-type", NULL,
					   "the body must be JSON with Content-Type "
					   "application/json; the request has no Content-Type");
		return false;
	}
	json_error_t e;
	unsigned long refused = alloc_failures();
	json_t *j = json_loadb(req->raw_body.data, req->raw_body.len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		/* jansson does not always say so when its lexer could not allocate */
		if (json_error_code(&e) == json_error_out_of_memory || alloc_failures() != refused) {
			log_error("request %s: cannot parse the body: out of memory", req->id);
			http_reply_oom(req);
		} else {
			http_reply_problem(req, 400, "malformed-json", NULL,
					   "the body is not valid JSON: line %d, column %d: %s",
					   e.line, e.column, e.text);
		}
		return false;
	}
	if (!json_is_object(j)) {
		const char *kind = json_is_array(j) ? "an array" :
				   json_is_string(j) ? "a string" :
				   json_is_number(j) ? "a number" :
				   json_is_boolean(j) ? "a boolean" : "null";
		json_decref(j);
		http_reply_problem(req, 400, "body-not-object", NULL,
				   "the body must be a JSON object, not %s", kind);
		return false;
	}
	req->body = arena_json(&req->arena, j);
	if (!req->body) {
		http_reply_oom(req);
		return false;
	}
	return true;
}

/* A hook or handler said "replied" (1); check that it did. */
static void check_replied(struct http_req *req, const char *who)
{
	if (req->status == 0) {
		log_error("request %s: %s returned \"replied\" without a reply", req->id, who);
		internal_error(req, "no reply was set");
	}
}

/*
 * Who is asking, and may they: for a non-public route, before a byte of the
 * body is read, so a stranger's body is never kept or parsed and a bad one
 * cannot tell him the route exists. Returns true to go on.
 */
static bool authorize(struct http_server *srv, struct http_req *req)
{
	const struct http_route *r = req->route;
	if (r->roles & HTTP_PUBLIC)
		return true;
	if (!srv->hooks.authenticate) {
		internal_error(req, "a non-public route but no authenticate hook");
		return false;
	}
	int rc = srv->hooks.authenticate(req);
	if (rc < 0) {
		internal_error(req, "authentication failed");
		return false;
	}
	if (rc > 0) {
		check_replied(req, "the authenticate hook");
		return false;
	}
	if (!(r->roles & req->role)) {
		http_reply_problem(req, 403, "forbidden", NULL, "your role may not %s %s",
				   r->method, r->pattern);
		return false;
	}
	return true;
}

/* Whether a body follows the headers (framing_ok refused what could be read two ways). */
static bool has_body(const struct http_req *req)
{
	const char *cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return http_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
	       (cl && strtoull(cl, NULL, 10) != 0);
}

/* Everything from the body to hooks.after, for a matched route. */
static void run_route(struct http_server *srv, struct http_req *req)
{
	const struct http_route *r = req->route;
	if (!decode_body(req))
		return;
	if (srv->hooks.before) {
		int rc = srv->hooks.before(req);
		if (rc < 0) {
			internal_error(req, "the before hook failed");
			return;
		}
		if (rc > 0) {
			check_replied(req, "the before hook");
			return;
		}
	}
	int rc = r->handler(req);
	if (rc < 0)
		internal_error(req, "the handler failed");
	else if (req->status == 0)
		internal_error(req, "the handler returned without a reply");
	if (srv->hooks.after)
		srv->hooks.after(req);
}

/* --- the slow threads ------------------------------------------------------------ */

/* Where the route runs: a slow thread, a write thread, or NULL, here. */
static struct http_slow *pool_for(struct http_server *srv, const struct http_req *req)
{
	if (!req->route)
		return NULL;
	if ((req->route->flags & HTTP_SLOW) || (srv->hooks.slow && srv->hooks.slow(req)))
		return srv->slow;
	if (strcmp(req->route->method, "GET") != 0 && strcmp(req->route->method, "HEAD") != 0)
		return srv->writes;
	return NULL;
}

static void run_settle(struct http_slow_job *job);

static struct conn_state *job_state(struct http_slow_job *job)
{
	return (struct conn_state *)(void *)((char *)job - offsetof(struct conn_state, job));
}

/* The route, then whether its reply waits (hooks.hold), on the thread that ran it. */
static void run_and_hold(struct http_server *srv, struct conn_state *st)
{
	run_route(srv, &st->req);
	st->held = srv->hooks.hold && srv->hooks.hold(&st->req);
}

/*
 * On a slow or write thread: what the access handler would have run, then
 * the resume; a held reply goes on to the settle thread, so that this one
 * takes the next request while the disk syncs.
 */
static void run_slow(struct http_slow_job *job)
{
	struct conn_state *st = job_state(job);
	struct http_req *req = &st->req;
	struct http_server *srv = req->server;
	alloc_thread_give(&st->alloc);
	run_and_hold(srv, st);
	if (srv->hooks.release)
		srv->hooks.release(req);
	st->decided = true;
	alloc_thread_take(&st->alloc);
	if (st->held && srv->settle) {
		st->job.run = run_settle;
		if (http_slow_push(srv->settle, &st->job))
			return;	/* still suspended: the settle thread resumes it */
	}
	if (st->held) {
		alloc_thread_give(&st->alloc);
		srv->hooks.settle(req);	/* this thread waits */
		alloc_thread_take(&st->alloc);
	}
	st->held = false;
	MHD_resume_connection(req->conn);
}

/* On the settle thread: the held reply's wait, then the resume. */
static void run_settle(struct http_slow_job *job)
{
	struct conn_state *st = job_state(job);
	struct http_req *req = &st->req;
	alloc_thread_give(&st->alloc);
	req->server->hooks.settle(req);
	alloc_thread_take(&st->alloc);
	st->held = false;
	MHD_resume_connection(req->conn);
}

/*
 * Hands a request to a pool of ours (run: what it does there), its
 * connection suspended until the job resumes it. False when the pool takes
 * no more (stopping, or no thread could start): the caller runs it itself.
 */
static bool offload(struct http_slow *pool, struct conn_state *st,
		    void (*run)(struct http_slow_job *job))
{
	st->job.run = run;
	st->offloaded = true;
	alloc_thread_take(&st->alloc);
	MHD_suspend_connection(st->req.conn);
	if (http_slow_push(pool, &st->job))
		return true;	/* st is the pool's now */
	MHD_resume_connection(st->req.conn);
	alloc_thread_give(&st->alloc);
	st->offloaded = false;
	return false;
}

/* --- who the client is ------------------------------------------------------- */

static bool sockaddr_addr(const struct sockaddr *sa, struct http_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		out->bytes[10] = out->bytes[11] = 0xff;
		memcpy(out->bytes + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out->bytes, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

static bool peer_addr(struct MHD_Connection *conn, struct http_addr *out)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return sockaddr_addr(ci ? ci->client_addr : NULL, out);
}

/* Every line of a repeated header, joined with ", " in the order sent. */
struct joined {
	const char *name;
	struct arena *arena;
	char *text;
	int count;
};

static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct joined *j = cls;
	(void)kind;
	if (strcasecmp(key, j->name) != 0)
		return MHD_YES;
	j->count++;
	j->text = j->text ? arena_printf(j->arena, "%s, %s", j->text, value ? value : "")
			  : arena_strdup(j->arena, value ? value : "");
	return MHD_YES;
}

static const char *joined_header(struct http_req *req, const char *name, int *count)
{
	struct joined j = { name, &req->arena, NULL, 0 };
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, join_header, &j);
	if (count)
		*count = j.count;
	return j.text;
}

static void set_remote_addr(struct http_server *srv, struct http_req *req)
{
	struct http_addr peer, client;
	char text[INET6_ADDRSTRLEN] = "";
	if (peer_addr(req->conn, &peer)) {
		bool proxy = srv->ntrusted && http_nets_contain(srv->trusted, srv->ntrusted, &peer);
		client = proxy ? http_client_behind(srv->trusted, srv->ntrusted, &peer,
						    joined_header(req, "X-Forwarded-For", NULL))
			       : peer;
		http_addr_text(&client, text, sizeof(text));
		if (proxy) {
			/* the last proxy's word: the rightmost value */
			const char *proto = joined_header(req, "X-Forwarded-Proto", NULL);
			const char *last = proto ? strrchr(proto, ',') : NULL;
			last = last ? last + 1 : proto;
			while (last && (*last == ' ' || *last == '\t'))
				last++;
			req->forwarded_https = last && strncasecmp(last, "https", 5) == 0 &&
					       strspn(last + 5, " \t") == strlen(last + 5);
		}
	}
	req->remote_addr = arena_strdup(&req->arena, text);
}

/* --- open connections: in all and per address ----------------------------------- */

/*
 * Every connection is counted when libmicrohttpd starts it and uncounted
 * when it closes. A connection that starts over a limit is still accepted
 * and its first request answered 503 at once, so a client learns why; a
 * few more past the limit (CONN_SLACK) are refused at accept, so an idle
 * flood from one address cannot hold more than its share of sockets.
 * Trusted proxies carry many clients and have no per-address limit.
 */
#define CONN_SLACK 16

struct conn_count {
	struct http_addr addr;
	unsigned n;
};

struct http_conns {
	pthread_mutex_t lock;
	unsigned total;
	struct conn_count *per;		/* distinct addresses with open connections */
	size_t nper, cap;
};

/* What a connection carries (its socket context). */
struct conn_note {
	struct http_addr addr;
	bool over;			/* started over a limit: answer 503 */
};

static struct conn_count *conns_find(struct http_conns *c, const struct http_addr *a)
{
	for (size_t i = 0; i < c->nper; i++)
		if (memcmp(c->per[i].addr.bytes, a->bytes, 16) == 0)
			return &c->per[i];
	return NULL;
}

static bool trusted_peer(const struct http_server *srv, const struct http_addr *a)
{
	return srv->ntrusted && http_nets_contain(srv->trusted, srv->ntrusted, a);
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct http_server *srv = cls;
	struct http_addr a;
	(void)len;
	if (!sockaddr_addr(sa, &a))
		return MHD_YES;
	struct http_conns *c = srv->conns;
	pthread_mutex_lock(&c->lock);
	const struct conn_count *e = conns_find(c, &a);
	bool refuse = c->total >= srv->max_conns + CONN_SLACK ||
		      (e && e->n >= srv->max_conns_per_addr + CONN_SLACK && !trusted_peer(srv, &a));
	pthread_mutex_unlock(&c->lock);
	if (refuse) {
		char text[INET6_ADDRSTRLEN];
		http_addr_text(&a, text, sizeof(text));
		log_warn("refused a connection from %s: too many open connections", text);
	}
	return refuse ? MHD_NO : MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct http_conns *c = srv->conns;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_note *note = xcalloc(1, sizeof(*note));
		*socket_context = note;
		if (!note || !peer_addr(conn, &note->addr)) {
			xfree(note);
			*socket_context = NULL;
			return;
		}
		pthread_mutex_lock(&c->lock);
		struct conn_count *e = conns_find(c, &note->addr);
		if (!e && c->nper == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			struct conn_count *grown = xrealloc(c->per, cap * sizeof(*grown));
			if (grown) {
				c->per = grown;
				c->cap = cap;
			}
		}
		if (!e && c->nper < c->cap) {
			e = &c->per[c->nper++];
			e->addr = note->addr;
			e->n = 0;
		}
		if (!e) {	/* out of memory: count it in all only */
			c->total++;
			note->over = c->total > srv->max_conns;
			pthread_mutex_unlock(&c->lock);
			return;
		}
		c->total++;
		e->n++;
		note->over = c->total > srv->max_conns ||
			     (e->n > srv->max_conns_per_addr && !trusted_peer(srv, &note->addr));
		pthread_mutex_unlock(&c->lock);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct conn_note *note = *socket_context;
		*socket_context = NULL;
		if (!note)
			return;
		pthread_mutex_lock(&c->lock);
		c->total--;
		struct conn_count *e = conns_find(c, &note->addr);
		if (e && --e->n == 0)
			*e = c->per[--c->nper];
		pthread_mutex_unlock(&c->lock);
		xfree(note);
	}
}

static void conns_free(struct http_conns *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	xfree(c->per);
	xfree(c);
}

static bool connection_over_limit(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct conn_note *note = ci ? ci->socket_context : NULL;
	return note && note->over;
}

/* --- framing ----------------------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * Framings a proxy and we might read differently, refused before anything
 * else and answered at once (libmicrohttpd then closes the connection):
 * no Host or two, a Content-Length that is not one number, any
 * Transfer-Encoding (411 for chunked, 501 for the others; 400 with a
 * Content-Length too). Returns true when the request is framed soundly.
 */
static bool framing_ok(struct http_req *req, const char *version)
{
	int hosts;
	joined_header(req, MHD_HTTP_HEADER_HOST, &hosts);
	if (hosts > 1 || (hosts == 0 && version && strcmp(version, "HTTP/1.0") != 0)) {
		http_reply_problem(req, 400, "bad-host", NULL,
				   hosts ? "the request has more than one Host header"
					 : "an HTTP/1.1 request must have a Host header");
		return false;
	}
	int lengths;
	const char *cl = joined_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH, &lengths);
	if (cl) {
		/* "5", or "5, 5" from repeats: every value the same number */
		const char *first = NULL;
		size_t first_len = 0;
		for (const char *p = cl; *p;) {
			const char *v = p;
			size_t n = strcspn(p, ",");
			p += n;
			if (*p == ',')
				p++;
			http_trim(&v, &n);
			if (!all_digits(v, n) || (first && (n != first_len || memcmp(v, first, n)))) {
				http_reply_problem(req, 400, "bad-content-length", NULL,
						   "Content-Length must be one decimal number, "
						   "not \"%s\"", cl);
				return false;
			}
			first = v;
			first_len = n;
		}
	}
	int codings;
	const char *te = joined_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING, &codings);
	if (te) {
		const char *v = te;
		size_t n = strlen(v);
		http_trim(&v, &n);
		if (cl) {
			http_reply_problem(req, 400, "bad-framing", NULL,
					   "a request must not have both Content-Length and "
					   "Transfer-Encoding");
			return false;
		}
		if (codings > 1 || !token_eq(v, n, "chunked")) {
			http_reply_problem(req, 501, "transfer-coding", NULL,
					   "no transfer coding is understood (\"%s\"): send the "
					   "body with a Content-Length", te);
			return false;
		}
		/*
		 * Chunked bodies are refused too: libmicrohttpd reads chunk sizes
		 * itself, so one announced as 2^64-1 bytes would hold the
		 * connection until the idle timeout instead of being refused.
		 * Browsers and proxies (nginx buffers by default) send lengths.
		 */
		http_reply_problem(req, 411, "length-required", NULL,
				   "send the body with a Content-Length: chunked request bodies "
				   "are not taken");
		return false;
	}
	return true;
}

/*
 * The first access-handler call: headers are in, no body yet. Runs the
 * steps that need no body. Returns MHD_YES/MHD_NO for libmicrohttpd.
 */
static enum MHD_Result begin(struct http_server *srv, struct conn_state *st, const char *method,
			    const char *version)
{
	struct http_req *req = &st->req;
	req->method = arena_strdup(&req->arena, method);
	if (!req->method)
		return MHD_NO;
	set_remote_addr(srv, req);
	const char *client_id = http_header(req, "X-Request-Id");
	if (client_id && request_id_valid(client_id)) {
		const char *id = arena_strdup(&req->arena, client_id);
		if (id)
			req->id = id;
	}

	/* 503: this connection opened past a limit; say so and close it */
	if (connection_over_limit(req->conn)) {
		http_set_header(req, "Retry-After", "5");
		http_set_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
		http_reply_problem(req, 503, "too-many-connections", NULL,
				   "too many connections are open, from your address or in all; "
				   "close some, or try again shortly");
		st->decided = true;
		return queue_reply(st);
	}

	/* 400/501: framings that could be read two ways */
	if (!framing_ok(req, version)) {
		st->decided = true;
		return queue_reply(st);
	}

	/* 414 */
	if (strlen(req->raw_uri) > srv->max_url) {
		req->uri_too_long = true;
		http_reply_problem(req, 414, "uri-too-long", NULL,
				   "the URL is longer than %zu bytes", srv->max_url);
		st->decided = true;
		return queue_reply(st);
	}

	/* the path, for every later step; a proxy may send the absolute form */
	const char *target = req->raw_uri;
	bool absolute = strncasecmp(target, "http://", 7) == 0 ||
			strncasecmp(target, "https://", 8) == 0;
	if (absolute) {
		target = strstr(target, "://") + 3;
		target += strcspn(target, "/?");
	}
	size_t plen = strcspn(target, "?");
	const char *qs = target[plen] ? target + plen + 1 : NULL;
	char *path;
	bool oom;
	if (absolute && plen == 0) {
		target = "/";
		plen = 1;
	}
	if (http_path_decode(target, plen, &req->arena, &path, &oom) < 0) {
		if (oom)
			http_reply_oom(req);
		else
			http_reply_problem(req, 400, "bad-path", NULL,
					   "the path has a malformed percent escape or a NUL byte");
		st->decided = true;
		return MHD_YES;
	}
	req->path = path;
	if (path[0] != '/') {
		http_reply_problem(req, 400, "bad-path", NULL, "the path must start with \"/\"");
		st->decided = true;
		return MHD_YES;
	}

	/* route */
	bool path_matched;
	req->route = http_route_find(srv->index, method, path, &req->arena, req->params,
				     &req->nparams, &path_matched);
	st->max_body = req->route && req->route->flags & HTTP_UPLOAD ? srv->max_upload : srv->max_body;
	st->pool = pool_for(srv, req);
	buf_init(&req->raw_body, st->max_body + 1);	/* empty still: its cap follows the route's */

	/* 413 before reading a byte of the body */
	const char *cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno == ERANGE || (end != cl && n > st->max_body)) {
			req->too_large = true;
			http_reply_problem(req, 413, "body-too-large", NULL,
					   "the body is larger than %zu bytes", st->max_body);
			st->decided = true;
			return queue_reply(st);
		}
	}

	if (!req->route) {
		if (req->nparams < 0) {
			req->nparams = 0;
			http_reply_oom(req);
		} else if (path_matched) {
			char *allow = http_route_allow(srv->routes, srv->nroutes, path, &req->arena);
			if (allow)
				http_set_header(req, MHD_HTTP_HEADER_ALLOW, allow);
			http_reply_problem(req, 405, "method-not-allowed", NULL,
					   "%s is not allowed here; allowed: %s", method,
					   allow ? allow : "-");
		} else if (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
			   (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
			http_reply_problem(req, 404, "not-found", NULL, "no such path");
		} else {
			st->is_static = true;
		}
		if (!st->is_static) {
			st->decided = true;
			return MHD_YES;
		}
	}

	/* query string */
	int nq = http_query_parse_ex(qs, &req->arena, req->query, HTTP_MAX_QUERY, &oom);
	if (nq < 0) {
		if (oom)
			http_reply_oom(req);
		else
			http_reply_problem(req, 400, "bad-query", NULL,
					   "the query string is malformed: a bad percent escape, "
					   "a NUL byte, or more than %d parameters", HTTP_MAX_QUERY);
		st->decided = true;
		return MHD_YES;
	}
	req->nquery = nq;

	if (!req->route)
		return MHD_YES;
	/* 401/403 before the body: a refused body is dropped unread, or not even received */
	bool allowed = authorize(srv, req);
	/*
	 * A request without a body runs at once, in the callback that
	 * authenticated it: the caller's lookup and the handler's reads can
	 * share one read snapshot (the API's hooks), released before the
	 * thread serves another connection. A slow one or a write waits for
	 * the next call, where it is handed to its pool.
	 */
	bool ran = allowed && !has_body(req) && !st->pool;
	if (ran)
		run_and_hold(srv, st);
	if (srv->hooks.release)
		srv->hooks.release(req);
	if (!allowed || ran)
		st->decided = true;
	if (!allowed && cl && strtoull(cl, NULL, 10) > 64 * 1024)
		return queue_reply(st);
	return MHD_YES;
}

/* A piece of body: kept for a route, dropped otherwise, capped at the route's max_body. */
static void take_body(struct conn_state *st, const char *data, size_t n)
{
	struct http_req *req = &st->req;
	if (st->decided || st->replied || !req->route)
		return;
	if (n > st->max_body || req->raw_body.len > st->max_body - n) {
		req->too_large = true;
		buf_release(&req->raw_body);
		http_reply_problem(req, 413, "body-too-large", NULL,
				   "the body is larger than %zu bytes", st->max_body);
		st->decided = true;
		return;
	}
	if (buf_add(&req->raw_body, data, n) < 0) {
		log_error("request %s: out of memory for the body", req->id);
		http_reply_oom(req);
		st->decided = true;
	}
}

/*
 * A request we could not even allocate: answered with the static 500,
 * built from libmicrohttpd's memory rather than ours.
 */
static struct conn_state oom_request;

static enum MHD_Result queue_oom(struct MHD_Connection *conn)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(http_oom_body), (void *)http_oom_body, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, HTTP_OOM_CONTENT_TYPE);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result rc = MHD_queue_response(conn, 500, resp);
	MHD_destroy_response(resp);
	log_error("cannot start a request: out of memory");
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct http_server *srv = cls;
	struct conn_state *st = *con_cls;
	(void)url;
	if (!st || st == &oom_request) {
		/* the URI log callback ran out of memory */
		*upload_data_size = 0;
		if (st)
			return MHD_YES;
		*con_cls = &oom_request;
		return queue_oom(conn);
	}
	if (!st->started) {
		st->started = true;
		return begin(srv, st, method, version);
	}
	if (*upload_data_size) {
		take_body(st, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->replied)
		return MHD_YES;
	struct http_req *req = &st->req;
	if (st->offloaded) {
		/* resumed: a slow or write thread set the reply, or the settle thread let it go */
		st->offloaded = false;
		alloc_thread_give(&st->alloc);
	}
	if (!st->decided) {
		if (st->is_static) {
			if (http_static_serve(srv, req) < 0)
				internal_error(req, "cannot serve a static file");
		} else if (st->pool && offload(st->pool, st, run_slow)) {
			return MHD_YES;
		} else {
			run_and_hold(srv, st);
			if (srv->hooks.release)
				srv->hooks.release(req);
		}
		st->decided = true;
	}
	if (st->held) {
		if (offload(srv->settle, st, run_settle))
			return MHD_YES;
		srv->hooks.settle(req);
		st->held = false;
	}
	return queue_reply(st);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	atomic_fetch_add(&srv->in_flight, 1);
	struct conn_state *st = xcalloc(1, sizeof(*st));
	if (!st)
		return NULL;
	struct http_req *req = &st->req;
	arena_init(&req->arena);
	buf_init(&req->raw_body, 0);
	buf_init(&req->out, 0);
	req->server = srv;
	req->conn = conn;
	req->file_fd = -1;
	req->started_ns = time_mono_ns();
	char id[17];
	new_request_id(srv, id);
	req->id = arena_strdup(&req->arena, id);
	req->raw_uri = arena_strdup(&req->arena, uri ? uri : "");
	if (!req->id || !req->raw_uri) {
		arena_release(&req->arena);
		xfree(st);
		return NULL;
	}
	return st;
}

/* The path for the access log: as sent, without the query, bytes escaped. */
static void log_path(const struct http_req *req, char *out, size_t n)
{
	size_t j = 0;
	const char *s = req->raw_uri;
	for (size_t i = 0; s[i] && s[i] != '?' && j + 4 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\')
			j += (size_t)snprintf(out + j, n - j, "%%%02X", c);
		else
			out[j++] = (char)c;
	}
	out[j] = '\0';
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct conn_state *st = *con_cls;
	(void)conn;
	*con_cls = NULL;
	if (st && st != &oom_request) {
		struct http_req *req = &st->req;
		double secs = (double)(time_mono_ns() - req->started_ns) / 1e9;
		int status = st->replied ? req->status : 0;
		char path[512], user[24] = "-";
		log_path(req, path, sizeof(path));
		if (req->user_id)
			snprintf(user, sizeof(user), "%lld", (long long)req->user_id);
		log_info("request id=%s method=%s path=%s status=%d bytes=%llu ms=%.3f user=%s%s",
			 req->id, req->method ? req->method : "-", path, status,
			 (unsigned long long)st->bytes, secs * 1e3, user,
			 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
		if (req->method)
			http_metrics_observe(srv->metrics, req->route, st->is_static, req->method,
					     status, secs);
		buf_release(&req->raw_body);
		buf_release(&req->out);
		if (req->file_fd >= 0)
			close(req->file_fd);
		arena_release(&req->arena);
		xfree(st);
	}
	atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	(void)cls;
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '.'))
		line[--len] = '\0';
	log_warn("libmicrohttpd: %s", line);
}

/* --- start and stop ------------------------------------------------------------- */

int http_server_start(struct http_server **out, const struct http_config *config,
		      const struct http_route *routes, size_t nroutes,
		      const struct http_hooks *hooks)
{
	char err[256];
	if (http_routes_check(routes, nroutes, err, sizeof(err)) < 0) {
		log_error("invalid route table: %s", err);
		return -1;
	}
	const char *host = config->listen_addr ? config->listen_addr : "127.0.0.1";
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(config->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(config->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		log_error("cannot listen on \"%s\": not an IPv4 or IPv6 address", host);
		return -1;
	}

	struct http_server *srv = xcalloc(1, sizeof(*srv));
	if (!srv) {
		log_error("cannot start the HTTP server: out of memory");
		return -1;
	}
	srv->routes = routes;
	srv->nroutes = nroutes;
	if (hooks)
		srv->hooks = *hooks;
	srv->max_body = config->max_body;
	srv->max_upload = config->max_upload > config->max_body ? config->max_upload
							       : config->max_body;
	srv->max_url = config->max_url ? config->max_url : 8192;
	srv->web_root_fd = -1;
	srv->max_conns = config->max_connections ? config->max_connections : 1000;
	srv->max_conns_per_addr = config->max_connections_per_addr
					  ? config->max_connections_per_addr : 64;
	if (http_nets_parse(config->trusted_proxies, srv->trusted, HTTP_MAX_TRUSTED,
			    &srv->ntrusted, err, sizeof(err)) < 0) {
		log_error("SERVIO_TRUSTED_PROXIES: %s", err);
		xfree(srv);
		return -1;
	}
	atomic_init(&srv->in_flight, 0);
	atomic_init(&srv->next_id, 0);
	srv->id_key = random_key();
	srv->listen_addr = xstrdup(host);
	srv->metrics = http_metrics_new(routes, nroutes);
	srv->index = http_route_index_new(routes, nroutes);
	srv->conns = xcalloc(1, sizeof(*srv->conns));
	if (srv->conns)
		pthread_mutex_init(&srv->conns->lock, NULL);
	if (!srv->listen_addr || !srv->metrics || !srv->conns || !srv->index) {
		log_error("cannot start the HTTP server: out of memory");
		goto fail;
	}
	if (config->web_root) {
		srv->web_root_fd = open(config->web_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (srv->web_root_fd < 0)
			log_warn("no web root at \"%s\": %s: serving the API only",
				 config->web_root, strerror(errno));
	}

	/* the slow and write pools: as configured, else one thread a core, at least two */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned per_core = cores > 2 ? (unsigned)cores : 2;
	srv->slow = http_slow_start(config->slow_threads ? config->slow_threads : per_core);
	if (!srv->slow)
		log_warn("no slow-request threads: slow requests run on the HTTP threads");
	srv->writes = http_slow_start(config->write_threads ? config->write_threads : per_core);
	if (!srv->writes)
		log_warn("no write threads: writes run on the HTTP threads");
	if (srv->hooks.hold) {
		srv->settle = http_slow_start(1);
		if (!srv->settle)
			log_warn("no settle thread: held replies wait on the HTTP threads");
	}

	/* room for the longest URL we accept plus the headers */
	size_t mem = srv->max_url * 2 + 32 * 1024;
	unsigned threads = config->threads ? config->threads : 1;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, srv },
		{ MHD_OPTION_SOCK_ADDR, 0, sa },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, srv },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv },
		{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)(srv->max_conns + CONN_SLACK), NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)config->connection_timeout, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)mem, NULL },
		/* libmicrohttpd warns about a pool of one; leave it out then */
		{ threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)threads,
		  NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	srv->daemon = MHD_start_daemon(flags, config->port, on_accept, srv, on_request, srv,
				       MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!srv->daemon) {
		log_error("cannot listen on %s%s%s:%u: %s", flags & MHD_USE_IPv6 ? "[" : "", host,
			  flags & MHD_USE_IPv6 ? "]" : "", (unsigned)config->port,
			  errno ? strerror(errno) : "libmicrohttpd refused to start");
		goto fail;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon,
							       MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : config->port;
	log_info("listening on http://%s%s%s:%u", flags & MHD_USE_IPv6 ? "[" : "", host,
		 flags & MHD_USE_IPv6 ? "]" : "", (unsigned)srv->port);
	*out = srv;
	return 0;

fail:
	http_slow_free(srv->settle);
	http_slow_free(srv->writes);
	http_slow_free(srv->slow);
	http_route_index_free(srv->index);
	conns_free(srv->conns);
	http_metrics_free(srv->metrics);
	if (srv->web_root_fd >= 0)
		close(srv->web_root_fd);
	xfree(srv->listen_addr);
	xfree(srv);
	return -1;
}

uint16_t http_server_port(const struct http_server *srv)
{
	return srv->port;
}

void http_server_stop(struct http_server *srv, unsigned grace_seconds)
{
	if (!srv)
		return;
	MHD_socket lsock = MHD_quiesce_daemon(srv->daemon);
	int64_t deadline = time_mono_ns() + (int64_t)grace_seconds * 1000000000;
	while (atomic_load(&srv->in_flight) > 0 && time_mono_ns() < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	unsigned left = atomic_load(&srv->in_flight);
	if (left)
		log_warn("stopping the HTTP server with %u requests in flight", left);
	/*
	 * The slow and write threads, then the settle thread, finish what
	 * they have: their connections must be resumed (what they hand the
	 * settle thread it settles; once it stops, the HTTP threads and the
	 * slow and write threads settle their own).
	 */
	http_slow_stop(srv->slow);
	http_slow_stop(srv->writes);
	http_slow_stop(srv->settle);
	MHD_stop_daemon(srv->daemon);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	http_slow_free(srv->settle);
	http_slow_free(srv->writes);
	http_slow_free(srv->slow);
	http_route_index_free(srv->index);
	conns_free(srv->conns);
	http_metrics_free(srv->metrics);
	if (srv->web_root_fd >= 0)
		close(srv->web_root_fd);
	xfree(srv->listen_addr);
	xfree(srv);
}
