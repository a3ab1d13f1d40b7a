/*
 * multipart.c - the multipart/form-data parser (see multipart.h).
 *
 * A body is: an optional preamble, then parts each opened by a boundary
 * line "--B" (at the start of the body or after CRLF, transport padding
 * allowed before its CRLF), a header block ending in an empty line and the
 * part's bytes up to the CRLF before the next boundary line; the last is
 * "--B--", after which an epilogue is ignored. The boundary must not
 * occur inside a part (RFC 2046 5.1.1), so the first "CRLF--B" ends it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include "http/multipart.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("'()+_,-./:=? ", c));
}

/*
 * One parameter of a header value at *p ("; name=value"): the name and
 * the value (unquoted, arena) are returned. Returns 1 for a parameter, 0 at
 * the end of s, -1 with *err when malformed.
 */
static int next_param(const char **p, struct arena *arena, char **name, char **value,
		      const char **err)
{
	const char *s = *p;
	while (is_ows(*s))
		s++;
	if (!*s)
		return 0;
	if (*s != ';') {
		*err = "a header parameter is not separated by \";\"";
		return -1;
	}
	s++;
	while (is_ows(*s))
		s++;
	if (!*s) {
		*p = s;
		return 0;	/* a trailing ";" */
	}
	const char *n = s;
	while (is_tchar((unsigned char)*s))
		s++;
	if (s == n) {
		*err = "a header parameter has no name";
		return -1;
	}
	size_t nlen = (size_t)(s - n);
	while (is_ows(*s))
		s++;
	if (*s != '=') {
		*err = "a header parameter has no \"=\" and value";
		return -1;
	}
	s++;
	while (is_ows(*s))
		s++;
	char *v;
	if (*s == '"') {
		s++;
		size_t cap = strlen(s) + 1;
		v = arena_alloc(arena, cap);
		if (!v) {
			*err = "out of memory";
			return -1;
		}
		size_t j = 0;
		while (*s && *s != '"') {
			if (*s == '\\' && s[1])
				s++;
			v[j++] = *s++;
		}
		if (*s != '"') {
			*err = "a quoted header parameter is not closed";
			return -1;
		}
		s++;
		v[j] = '\0';
	} else {
		const char *vs = s;
		while (*s && *s != ';' && !is_ows(*s))
			s++;
		if (s == vs) {
			*err = "a header parameter has an empty value";
			return -1;
		}
		v = arena_strndup(arena, vs, (size_t)(s - vs));
	}
	*name = arena_strndup(arena, n, nlen);
	if (!*name || !v) {
		*err = "out of memory";
		return -1;
	}
	*value = v;
	*p = s;
	return 1;
}

/* Whether s starts with the word w (case-insensitive) followed by the end, OWS or ";". */
static bool starts_with_word(const char *s, const char *w, const char **rest)
{
	size_t n = strlen(w);
	if (strncasecmp(s, w, n) != 0)
		return false;
	const char *r = s + n;
	while (is_ows(*r))
		r++;
	if (*r && *r != ';')
		return false;
	*rest = r;
	return true;
}

int http_multipart_boundary(const char *content_type, struct arena *arena, const char **boundary,
			    const char **err)
{
	const char *rest;
	if (!content_type || !starts_with_word(content_type, "multipart/form-data", &rest)) {
		*err = "the body must be multipart/form-data";
		return -1;
	}
	const char *found = NULL;
	char *name, *value;
	int rc;
	while ((rc = next_param(&rest, arena, &name, &value, err)) == 1) {
		if (strcasecmp(name, "boundary") != 0)
			continue;
		if (found) {
			*err = "the Content-Type names its boundary twice";
			return -1;
		}
		found = value;
	}
	if (rc < 0)
		return -1;
	if (!found) {
		*err = "the Content-Type has no boundary parameter";
		return -1;
	}
	size_t n = strlen(found);
	bool ok = n >= 1 && n <= 70 && found[n - 1] != ' ';
	for (size_t i = 0; ok && i < n; i++)
		ok = is_bchar((unsigned char)found[i]);
	if (!ok) {
		*err = "the boundary must be 1 to 70 letters, digits or '()+_,-./:=? (not ending"
		       " in a space)";
		return -1;
	}
	*boundary = found;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* filename*=UTF-8''%e2%82%ac.txt (RFC 8187): the decoded name, or NULL with *err. */
static char *ext_value(const char *v, struct arena *arena, const char **err)
{
	const char *q1 = strchr(v, '\'');
	const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	if (!q2) {
		*err = "filename* must be charset'language'value";
		return NULL;
	}
	if ((size_t)(q1 - v) != 5 || strncasecmp(v, "utf-8", 5) != 0) {
		*err = "filename* must be in UTF-8";
		return NULL;
	}
	const char *s = q2 + 1;
	char *out = arena_alloc(arena, strlen(s) + 1);
	if (!out) {
		*err = "out of memory";
		return NULL;
	}
	size_t j = 0;
	for (; *s; s++) {
		if (*s == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
			if (lo < 0 || (hi == 0 && lo == 0)) {
				*err = "filename* has a malformed percent escape";
				return NULL;
			}
			out[j++] = (char)(hi * 16 + lo);
			s += 2;
		} else {
			out[j++] = *s;
		}
	}
	out[j] = '\0';
	return out;
}

/* Content-Disposition: form-data; name=…; filename=…; filename*=… */
static int disposition(const char *v, struct arena *arena, struct http_part *part,
		       const char **err)
{
	const char *rest;
	if (!starts_with_word(v, "form-data", &rest)) {
		*err = "a part's Content-Disposition must be form-data";
		return -1;
	}
	const char *filename = NULL, *ext = NULL;
	char *name, *value;
	int rc;
	while ((rc = next_param(&rest, arena, &name, &value, err)) == 1) {
		const char **slot = strcasecmp(name, "name") == 0 ? &part->name :
				    strcasecmp(name, "filename") == 0 ? &filename :
				    strcasecmp(name, "filename*") == 0 ? &ext : NULL;
		if (!slot)
			continue;
		if (*slot) {
			*err = "a part's Content-Disposition repeats a parameter";
			return -1;
		}
		*slot = value;
	}
	if (rc < 0)
		return -1;
	if (!part->name) {
		*err = "a part's Content-Disposition has no name";
		return -1;
	}
	if (ext) {
		filename = ext_value(ext, arena, err);
		if (!filename)
			return -1;
	}
	part->filename = filename;
	return 0;
}

/* The header block [s, s + n), each line ending in CRLF. */
static int part_headers(const char *s, size_t n, struct arena *arena, struct http_part *part,
			const char **err)
{
	bool seen_cd = false, seen_ct = false;
	while (n) {
		const char *eol = memmem(s, n, "\r\n", 2);
		size_t len = (size_t)(eol - s);	/* the block ends in CRLF: eol is found */
		if (len == 0 || is_ows(s[0])) {
			*err = "a part has a folded or empty header line";
			return -1;
		}
		const char *colon = memchr(s, ':', len);
		size_t nlen = colon ? (size_t)(colon - s) : 0;
		bool ok = nlen > 0;
		for (size_t i = 0; ok && i < nlen; i++)
			ok = is_tchar((unsigned char)s[i]);
		if (!ok) {
			*err = "a part has a malformed header line";
			return -1;
		}
		const char *v = colon + 1;
		size_t vlen = len - nlen - 1;
		for (size_t i = 0; i < vlen; i++) {
			unsigned char c = (unsigned char)v[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				*err = "a part's header holds a control character";
				return -1;
			}
		}
		while (vlen && is_ows(*v)) {
			v++;
			vlen--;
		}
		while (vlen && is_ows(v[vlen - 1]))
			vlen--;
		char *value = arena_strndup(arena, v, vlen);
		if (!value) {
			*err = "out of memory";
			return -1;
		}
		if (nlen == 19 && strncasecmp(s, "Content-Disposition", 19) == 0) {
			if (seen_cd) {
				*err = "a part has two Content-Disposition headers";
				return -1;
			}
			seen_cd = true;
			if (disposition(value, arena, part, err) < 0)
				return -1;
		} else if (nlen == 12 && strncasecmp(s, "Content-Type", 12) == 0) {
			if (seen_ct) {
				*err = "a part has two Content-Type headers";
				return -1;
			}
			seen_ct = true;
			part->content_type = value;
		}
		n -= len + 2;
		s = eol + 2;
	}
	if (!seen_cd) {
		*err = "a part has no Content-Disposition header";
		return -1;
	}
	return 0;
}

/*
 * After a boundary at body + pos (just past "--B"): 1 with *pos past its
 * line when a part follows, 0 for the closing "--", -1 with *err.
 */
static int after_boundary(const char *body, size_t len, size_t *pos, const char **err)
{
	size_t p = *pos;
	if (len - p >= 2 && body[p] == '-' && body[p + 1] == '-')
		return 0;
	while (p < len && is_ows(body[p]))
		p++;
	if (len - p < 2 || body[p] != '\r' || body[p + 1] != '\n') {
		*err = len - p < 2 ? "the body ends before the closing boundary" :
				     "a boundary line has something after the boundary";
		return -1;
	}
	*pos = p + 2;
	return 1;
}

int http_multipart_parse(const char *body, size_t len, const char *boundary,
			 struct arena *arena, int max_parts, struct http_part **parts,
			 const char **err)
{
	size_t blen = strlen(boundary);
	char *delim = arena_printf(arena, "\r\n--%s", boundary);	/* CRLF "--" B */
	struct http_part *out = arena_zalloc(arena, sizeof(*out) * (size_t)(max_parts + 1));
	if (!delim || !out) {
		*err = "out of memory";
		return -1;
	}
	size_t dlen = blen + 4;
	if (!body)
		body = "";

	/* the first boundary: at the very start, or after the preamble's CRLF */
	size_t pos;
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
		pos = dlen - 2;
	} else {
		const char *first = memmem(body, len, delim, dlen);
		if (!first) {
			*err = "the body has no boundary line (the Content-Type's boundary is not in"
			       " it)";
			return -1;
		}
		pos = (size_t)(first - body) + dlen;
	}

	int n = 0;
	for (;;) {
		int rc = after_boundary(body, len, &pos, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		if (n == max_parts) {
			*err = arena_printf(arena, "the body has more than %d parts", max_parts);
			if (!*err)
				*err = "the body has too many parts";
			return -1;
		}
		struct http_part *part = &out[n];
		/* the header block, up to and including the empty line */
		size_t data;
		if (len - pos >= 2 && body[pos] == '\r' && body[pos + 1] == '\n') {
			*err = "a part has no Content-Disposition header";
			return -1;
		}
		size_t window = len - pos < MULTIPART_MAX_HEADER + 4 ? len - pos :
								       MULTIPART_MAX_HEADER + 4;
		const char *end = memmem(body + pos, window, "\r\n\r\n", 4);
		if (!end) {
			*err = window == len - pos ? "the body ends inside a part's headers" :
						     "a part's headers are longer than 8192 bytes";
			return -1;
		}
		size_t hlen = (size_t)(end - (body + pos)) + 2;
		if (part_headers(body + pos, hlen, arena, part, err) < 0)
			return -1;
		data = pos + hlen + 2;
		const char *next = memmem(body + data, len - data, delim, dlen);
		if (!next) {
			*err = "the body ends before the closing boundary";
			return -1;
		}
		part->data = body + data;
		part->len = (size_t)(next - (body + data));
		n++;
		pos = (size_t)(next - body) + dlen;
	}
	*parts = out;
	return n;
}
