/*
 * route.c - the route table: checking it once at start, and matching a
 * request's method and percent-decoded path against it.
 *
 * A pattern is "/" or '/'-separated non-empty segments, each a literal or
 * a ":name" that binds one non-empty path segment. When several patterns
 * match a path, the one with a literal at the first place where they differ
 * wins, so "/api/v1/me/totp" beats "/api/v1/me/:x" whatever the table
 * order. A trailing slash is a segment of its own ("/a/" is not "/a").
 *
 * http_route_match scans the whole table. The server matches through an
 * index (http_route_index_new) by a pattern's third segment, "tickets" of
 * "/api/v1/tickets/:id": a path tries only the routes of its own third
 * segment and the few without one (a parameter there, or fewer segments),
 * with the same answer; the scan of every route for every request was half
 * of a ticket GET's own CPU.
 */
#include "internal.h"

#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
};
#define NKNOWN (sizeof(known_methods) / sizeof(known_methods[0]))

static bool method_known(const char *m)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strcmp(m, known_methods[i]) == 0)
			return true;
	return false;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Checks one pattern; returns NULL or what is wrong with it. */
static const char *pattern_problem(const char *pattern)
{
	if (pattern[0] != '/')
		return "does not start with \"/\"";
	if (strcmp(pattern, "/") == 0)
		return NULL;
	const char *names[HTTP_MAX_PARAMS];
	size_t name_lens[HTTP_MAX_PARAMS];
	int nparams = 0;
	const char *s = pattern + 1;
	for (;;) {
		size_t len = strcspn(s, "/");
		if (len == 0)
			return "has an empty segment";
		if (s[0] == ':') {
			if (len == 1)
				return "has a parameter without a name";
			for (size_t i = 1; i < len; i++)
				if (!name_char(s[i]))
					return "has a parameter name that is not [A-Za-z0-9_]";
			if (nparams == HTTP_MAX_PARAMS)
				return "has too many parameters";
			for (int i = 0; i < nparams; i++)
				if (name_lens[i] == len - 1 && memcmp(names[i], s + 1, len - 1) == 0)
					return "binds the same parameter twice";
			names[nparams] = s + 1;
			name_lens[nparams] = len - 1;
			nparams++;
		} else {
			for (size_t i = 0; i < len; i++) {
				unsigned char c = (unsigned char)s[i];
				if (c <= ' ' || c == 0x7f || c == '?' || c == '#' || c == '%')
					return "has a segment with a space, control character, '?', "
					       "'#' or '%'";
			}
		}
		s += len;
		if (!*s)
			return NULL;
		s++;
	}
}

/* Whether two patterns have the same shape (parameter names aside). */
static bool same_shape(const char *a, const char *b)
{
	for (;;) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		bool pa = a[0] == ':', pb = b[0] == ':';
		if (pa != pb)
			return false;
		if (!pa && (la != lb || memcmp(a, b, la) != 0))
			return false;
		a += la;
		b += lb;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

int http_routes_check(const struct http_route *routes, size_t n, char *err, size_t errlen)
{
	if (n && !routes) {
		snprintf(err, errlen, "route table is NULL");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct http_route *r = &routes[i];
		const char *m = r->method ? r->method : "(null)";
		const char *p = r->pattern ? r->pattern : "(null)";
		const char *why = NULL;
		if (!r->method || !method_known(r->method))
			why = "has an unknown method";
		else if (!r->pattern)
			why = "has no pattern";
		else if (!r->handler)
			why = "has no handler";
		else if (r->roles == 0)
			why = "allows no role (use HTTP_PUBLIC for routes without a login)";
		else
			why = pattern_problem(r->pattern);
		if (why) {
			snprintf(err, errlen, "route %zu (%s %s) %s", i, m, p, why);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(routes[j].method, r->method) == 0 &&
			    same_shape(routes[j].pattern, r->pattern)) {
				snprintf(err, errlen, "route %zu (%s %s) duplicates route %zu (%s %s)",
					 i, m, p, j, routes[j].method, routes[j].pattern);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Whether pattern matches path; both start with '/'. One pass, byte by
 * byte: every request tries it against each route, so it stays cheap.
 */
static bool matches(const char *pattern, const char *path)
{
	const char *a = pattern + 1, *b = path + 1;
	for (;;) {
		if (*a == ':') {
			/* a parameter binds one non-empty segment */
			if (!*b || *b == '/')
				return false;
			while (*a && *a != '/')
				a++;
			while (*b && *b != '/')
				b++;
		} else {
			while (*a && *a != '/' && *a == *b) {
				a++;
				b++;
			}
			if ((*a && *a != '/') || (*b && *b != '/'))
				return false;
		}
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

/*
 * Of two patterns that match the same path (so have as many segments),
 * whether a is more specific than b: a literal at the first difference.
 */
static bool more_specific(const char *a, const char *b)
{
	for (;;) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		bool pa = a[0] == ':', pb = b[0] == ':';
		if (pa != pb)
			return pb;
		a += la;
		b += lb;
		if (!*a || !*b)
			return false;
		a++;
		b++;
	}
}

/* Binds the parameters of a matching pattern; -1 when out of memory. */
static int bind_params(const char *pattern, const char *path, struct arena *arena,
		       struct http_kv *params, int *nparams)
{
	const char *a = pattern + 1, *b = path + 1;
	int n = 0;
	for (;;) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		if (a[0] == ':') {
			if (n >= HTTP_MAX_PARAMS)
				return -1;
			params[n].name = arena_strndup(arena, a + 1, la - 1);
			params[n].value = arena_strndup(arena, b, lb);
			if (!params[n].name || !params[n].value)
				return -1;
			n++;
		}
		a += la;
		b += lb;
		if (!*a)
			break;
		a++;
		b++;
	}
	*nparams = n;
	return 0;
}

static bool method_fits(const struct http_route *r, const char *method)
{
	return strcmp(r->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

/* Route r as a candidate for method and path: the best so far in *best. */
static void consider(const struct http_route *r, const char *method, const char *path,
		     const struct http_route **best, bool *path_matched)
{
	if (!matches(r->pattern, path))
		return;
	if (!method_fits(r, method)) {
		*path_matched = true;
		return;
	}
	/* an explicit HEAD route beats running the GET one (whatever the order) */
	if (!*best || more_specific(r->pattern, (*best)->pattern) ||
	    (strcmp(r->pattern, (*best)->pattern) == 0 && strcmp(r->method, method) == 0))
		*best = r;
}

/* The params of the best route, or NULL (*nparams -1 when out of memory). */
static const struct http_route *bound(const struct http_route *best, const char *path,
				      struct arena *arena, struct http_kv *params, int *nparams)
{
	if (!best)
		return NULL;
	if (bind_params(best->pattern, path, arena, params, nparams) < 0) {
		*nparams = -1;
		return NULL;
	}
	return best;
}

const struct http_route *http_route_match(const struct http_route *routes, size_t n,
					  const char *method, const char *path,
					  struct arena *arena, struct http_kv *params,
					  int *nparams, bool *path_matched)
{
	const struct http_route *best = NULL;
	*path_matched = false;
	*nparams = 0;
	if (path[0] != '/')
		return NULL;
	for (size_t i = 0; i < n; i++)
		consider(&routes[i], method, path, &best, path_matched);
	return bound(best, path, arena, params, nparams);
}

/* --- the index ------------------------------------------------------------ */

#define KEY_SEGMENT 3	/* "/api/v1/tickets": the third */

struct keyed {
	const char *key;	/* the literal third segment, not terminated */
	size_t len;
	const struct http_route *route;
};

struct http_route_index {
	struct keyed *keyed;	/* by key, then table order */
	size_t nkeyed;
	const struct http_route **rest;	/* no literal third segment, table order */
	size_t nrest;
};

/* The third segment of a pattern or path: its start and length; false when none. */
static bool third_segment(const char *s, const char **seg, size_t *len)
{
	for (int i = 1; i < KEY_SEGMENT; i++) {
		s = strchr(s + 1, '/');
		if (!s)
			return false;
	}
	*seg = s + 1;
	*len = strcspn(s + 1, "/");
	return true;
}

static int key_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);
	return c ? c : la < lb ? -1 : la > lb;
}

static int keyed_cmp(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	int c = key_cmp(a->key, a->len, b->key, b->len);
	return c ? c : a->route < b->route ? -1 : a->route > b->route;
}

struct http_route_index *http_route_index_new(const struct http_route *routes, size_t n)
{
	struct http_route_index *ix = xcalloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	ix->keyed = xcalloc(n ? n : 1, sizeof(*ix->keyed));
	ix->rest = xcalloc(n ? n : 1, sizeof(*ix->rest));
	if (!ix->keyed || !ix->rest) {
		http_route_index_free(ix);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *seg;
		size_t len;
		if (third_segment(routes[i].pattern, &seg, &len) && seg[0] != ':')
			ix->keyed[ix->nkeyed++] = (struct keyed){ seg, len, &routes[i] };
		else
			ix->rest[ix->nrest++] = &routes[i];
	}
	qsort(ix->keyed, ix->nkeyed, sizeof(*ix->keyed), keyed_cmp);
	return ix;
}

void http_route_index_free(struct http_route_index *ix)
{
	if (!ix)
		return;
	xfree(ix->keyed);
	xfree(ix->rest);
	xfree(ix);
}

const struct http_route *http_route_find(const struct http_route_index *ix, const char *method,
					 const char *path, struct arena *arena,
					 struct http_kv *params, int *nparams, bool *path_matched)
{
	const struct http_route *best = NULL;
	*path_matched = false;
	*nparams = 0;
	if (path[0] != '/')
		return NULL;
	for (size_t i = 0; i < ix->nrest; i++)
		consider(ix->rest[i], method, path, &best, path_matched);
	/* a pattern matches only a path of as many segments, each literal the same */
	const char *seg;
	size_t len;
	if (third_segment(path, &seg, &len)) {
		size_t lo = 0, hi = ix->nkeyed;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (key_cmp(ix->keyed[mid].key, ix->keyed[mid].len, seg, len) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < ix->nkeyed &&
				    key_cmp(ix->keyed[i].key, ix->keyed[i].len, seg, len) == 0; i++)
			consider(ix->keyed[i].route, method, path, &best, path_matched);
	}
	return bound(best, path, arena, params, nparams);
}

char *http_route_allow(const struct http_route *routes, size_t n, const char *path,
		       struct arena *arena)
{
	bool seen[NKNOWN] = { false };
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!matches(routes[i].pattern, path))
			continue;
		for (size_t k = 0; k < NKNOWN; k++)
			if (strcmp(routes[i].method, known_methods[k]) == 0)
				seen[k] = any = true;
		if (strcmp(routes[i].method, "GET") == 0)
			seen[1] = true;	/* HEAD runs the GET handler */
	}
	if (!any)
		return NULL;
	struct buf b;
	buf_init(&b, 256);
	for (size_t k = 0; k < NKNOWN; k++)
		if (seen[k])
			buf_addf(&b, "%s%s", b.len ? ", " : "", known_methods[k]);
	char *s = b.failed ? NULL : arena_strdup(arena, buf_str(&b));
	buf_release(&b);
	return s;
}
