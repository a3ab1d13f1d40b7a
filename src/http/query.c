/*
 * query.c - decoding what the client put in the URL: the percent-encoded
 * path and the query string ("a=1&b=x+y%21").
 *
 * This is outside input, so every rule is strict and every error is a
 * result, never a crash: a '%' not followed by two hex digits, or an escape
 * that decodes to NUL, makes the whole string malformed (the pipeline
 * answers 400). tests/fuzz/fuzz_query.c fuzzes http_query_parse.
 */
#include "internal.h"

#include <string.h>

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes s[0..len) into a new arena string. plus_is_space applies the
 * form rule of query strings. Returns 0, -1 when malformed, -2 when out of
 * memory.
 */
static int decode(const char *s, size_t len, bool plus_is_space, struct arena *arena, char **out)
{
	char *d = arena_alloc(arena, len + 1);
	if (!d)
		return -2;
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3)
				return -1;
			int hi = hex_value((unsigned char)s[i + 1]);
			int lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			if (c == '\0')
				return -1;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '\0') {
			return -1;
		}
		d[j++] = (char)c;
	}
	d[j] = '\0';
	*out = d;
	return 0;
}

int http_path_decode(const char *raw, size_t len, struct arena *arena, char **out, bool *oom)
{
	char *p;
	int rc = decode(raw, len, false, arena, &p);
	*oom = rc == -2;
	if (rc < 0)
		return -1;
	*out = p;
	return 0;
}

int http_query_parse_ex(const char *qs, struct arena *arena, struct http_kv *out, int max,
			bool *oom)
{
	int n = 0;
	*oom = false;
	if (!qs)
		return 0;
	const char *p = qs;
	while (*p) {
		size_t len = strcspn(p, "&");
		const char *next = p[len] ? p + len + 1 : p + len;
		if (len == 0) {
			p = next;
			continue;
		}
		if (n >= max)
			return -1;
		const char *eq = memchr(p, '=', len);
		size_t nlen = eq ? (size_t)(eq - p) : len;
		char *name, *value;
		int rc = decode(p, nlen, true, arena, &name);
		if (rc == 0)
			rc = decode(eq ? eq + 1 : p + len, eq ? len - nlen - 1 : 0, true, arena,
				    &value);
		if (rc < 0) {
			*oom = rc == -2;
			return -1;
		}
		out[n].name = name;
		out[n].value = value;
		n++;
		p = next;
	}
	return n;
}

int http_query_parse(const char *qs, struct arena *arena, struct http_kv *out, int max)
{
	bool oom;
	return http_query_parse_ex(qs, arena, out, max, &oom);
}

const char *http_query(const struct http_req *req, const char *name)
{
	for (int i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, name) == 0)
			return req->query[i].value;
	return NULL;
}

const char *http_param(const struct http_req *req, const char *name)
{
	for (int i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}
