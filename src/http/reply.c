/*
 * reply.c - the reply helpers handlers and the pipeline use: JSON, empty,
 * text, RFC 9457 problems, extra headers, status titles.
 *
 * A reply is only recorded on the request (status, content type, body in
 * req->out, headers); server.c turns it into a libmicrohttpd response once
 * the pipeline is done, so hooks.after still sees it and a later reply
 * replaces an earlier one. When memory runs out while a reply is built the
 * request gets a 500 whose body is a static string (http_oom_body): a
 * client always gets an answer.
 */
#include "internal.h"

#include "core/jsonout.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

const char http_oom_body[] =
	"{\"type\":\"urn:servio:problem:internal-error\",\"title\":\"Internal Server Error\","
	"\"status\":500,\"detail\":\"out of memory\"}";

void http_reply_oom(struct http_req *req)
{
	buf_release(&req->out);
	req->out.failed = true;		/* server.c sends http_oom_body */
	req->status = 500;
	req->content_type = HTTP_OOM_CONTENT_TYPE;
}

/* Forgets a previous reply's body, a file's among them; keeps its headers. */
static void reply_reset(struct http_req *req)
{
	buf_reset(&req->out);
	req->content_type = NULL;
	if (req->file_fd >= 0) {
		close(req->file_fd);
		req->file_fd = -1;
	}
}

json_t *http_json(struct http_req *req, json_t *v)
{
	return arena_json(&req->arena, v);
}

struct buf *http_reply_body(struct http_req *req)
{
	reply_reset(req);
	return &req->out;
}

int http_reply_written(struct http_req *req, int status)
{
	if (req->out.failed) {
		log_error("request %s: cannot write the reply", req->id ? req->id : "-");
		http_reply_oom(req);
		return 0;
	}
	req->status = status;
	req->content_type = "application/json";
	return 0;
}

int http_reply_json(struct http_req *req, int status, const json_t *body)
{
	reply_reset(req);
	if (!body) {
		/* the handler's json_pack() ran out of memory */
		http_reply_oom(req);
		return 0;
	}
	if (json_write(&req->out, body) < 0 && !req->out.failed) {
		log_error("request %s: cannot serialize the reply", req->id ? req->id : "-");
		http_reply_oom(req);
		return 0;
	}
	return http_reply_written(req, status);
}

int http_reply_empty(struct http_req *req, int status)
{
	reply_reset(req);
	req->status = status;
	return 0;
}

int http_reply_text(struct http_req *req, int status, const char *content_type,
		    const char *text, size_t len)
{
	reply_reset(req);
	const char *ct = content_type ? arena_strdup(&req->arena, content_type) : NULL;
	if ((content_type && !ct) || buf_add(&req->out, text, len) < 0) {
		http_reply_oom(req);
		return 0;
	}
	req->status = status;
	req->content_type = ct;
	return 0;
}

int http_reply_file(struct http_req *req, int status, const char *content_type, int fd,
		    uint64_t size)
{
	reply_reset(req);
	req->file_fd = fd;
	req->file_size = size;
	req->content_type = content_type ? arena_strdup(&req->arena, content_type) : NULL;
	if (content_type && !req->content_type) {
		http_reply_oom(req);
		return 0;
	}
	req->status = status;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * A detail often quotes the client's input, which need not be UTF-8; JSON
 * must be. Invalid bytes become U+FFFD rather than failing the reply.
 */
static char *utf8_clean(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t l = utf8_seq(u + i, n - i);
		if (!l)
			break;
		i += l;
	}
	if (i == n)
		return (char *)s;
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *out = arena_alloc(a, n * 3 + 1);
	if (!out)
		return NULL;
	size_t j = 0;
	for (i = 0; i < n;) {
		size_t l = utf8_seq(u + i, n - i);
		if (l) {
			memcpy(out + j, s + i, l);
			j += l;
			i += l;
		} else {
			memcpy(out + j, "\xEF\xBF\xBD", 3);
			j += 3;
			i++;
		}
	}
	out[j] = '\0';
	return out;
}

int http_reply_problem(struct http_req *req, int status, const char *slug, json_t *errors,
		       const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	char *detail = arena_vprintf(&req->arena, detail_fmt, ap);
	va_end(ap);
	if (detail)
		detail = utf8_clean(&req->arena, detail);
	char *type = arena_printf(&req->arena, "urn:servio:problem:%s", slug);
	json_t *p = NULL;
	if (detail && type)
		p = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title",
			      http_status_title(status), "status", status, "detail", detail);
	if (p && errors && json_object_set(p, "errors", errors) < 0) {
		json_decref(p);
		p = NULL;
	}
	if (!p) {
		http_reply_oom(req);
		return 0;
	}
	http_reply_json(req, status, p);
	json_decref(p);
	if (req->status == status)
		req->content_type = "application/problem+json";
	return 0;
}

void http_set_header(struct http_req *req, const char *name, const char *value)
{
	struct http_reply_header *h = arena_alloc(&req->arena, sizeof(*h));
	char *n = arena_strdup(&req->arena, name);
	char *v = arena_strdup(&req->arena, value);
	if (!h || !n || !v) {
		log_error("request %s: out of memory for reply header %s",
			  req->id ? req->id : "-", name);
		return;
	}
	h->name = n;
	h->value = v;
	h->next = NULL;
	struct http_reply_header **tail = &req->headers;
	while (*tail)
		tail = &(*tail)->next;
	*tail = h;
}

const char *http_status_title(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 507: return "Insufficient Storage";
	default: break;
	}
	if (status >= 100 && status < 200)
		return "Informational";
	if (status >= 200 && status < 300)
		return "Success";
	if (status >= 300 && status < 400)
		return "Redirection";
	if (status >= 400 && status < 500)
		return "Client Error";
	return "Server Error";
}
