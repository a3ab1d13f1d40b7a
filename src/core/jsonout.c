/*
 * jsonout.c - JSON text from jansson values, the same bytes as
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), written straight into a
 * buf: one append per run of plain characters instead of jansson's
 * callback per token. A 50-row ticket list spent half its instructions in
 * json_dump_callback.
 *
 * What "the same bytes" takes: members in insertion order (jansson keeps
 * it); ',' and ':' with no spaces; in strings '"' and '\\' escaped, the
 * control characters below 0x20 as \b \f \n \r \t or \u00XX (upper-case
 * hex), everything else, '/' and non-ASCII included, as it is; integers
 * in decimal. Reals are rare (none in the API's replies today) and
 * jansson's formatting of them is subtle, so they are jansson's own.
 * With sorted keys (JSON_SORT_KEYS: the audit log's and the events'
 * text) each object's members go in bytewise key order. tests/unit/
 * test_core.c and tests/fuzz/fuzz_jsonout.c compare with json_dumps.
 */
#include "core/jsonout.h"

#include "core/alloc.h"
#include "core/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deeper than any reply; jansson's own parser stops at 2048. */
#define MAX_DEPTH 2048

/* buf_add and buf_addch, without a call while the buffer has room */
static inline int put(struct buf *b, const char *s, size_t n)
{
	if (b->failed || b->len + n >= b->cap)
		return buf_add(b, s, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static inline int putch(struct buf *b, char c)
{
	if (b->failed || b->len + 1 >= b->cap)
		return buf_addch(b, c);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
	return 0;
}

/* s as a JSON string; with check, -1 when s is not UTF-8 (checked in the same pass). */
static int write_string(struct buf *b, const char *s, size_t n, bool check)
{
	static const char hex[] = "0123456789ABCDEF";
	if (putch(b, '"') < 0)
		return -1;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 && check) {
			size_t len = utf8_sequence((const unsigned char *)s + i, n - i);
			if (!len)
				return -1;
			i += len - 1;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (put(b, s + run, i - run) < 0)
			return -1;
		run = i + 1;
		char esc[6] = { '\\', 0 };
		size_t len = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		if (put(b, esc, len) < 0)
			return -1;
	}
	if (put(b, s + run, n - run) < 0)
		return -1;
	return putch(b, '"');
}

static int write_integer(struct buf *b, json_int_t v)
{
	char digits[24], *p = digits + sizeof(digits);
	/* in unsigned arithmetic, so the most negative value has a magnitude too */
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		*--p = '-';
	return put(b, p, (size_t)(digits + sizeof(digits) - p));
}

static int write_real(struct buf *b, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return -1;
	int rc = buf_addstr(b, s);
	xfree(s);	/* jansson allocates through core/alloc (alloc_install_json) */
	return rc;
}

struct key {
	const char *s;
	size_t len;
	json_t *member;
};

/* Bytewise, a key before the longer keys it begins: the order JSON_SORT_KEYS gives. */
static int key_order(const void *x, const void *y)
{
	const struct key *a = x, *b = y;
	int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int write_value(struct buf *b, const json_t *v, int depth, bool sorted);

static int write_member(struct buf *b, bool first, const char *key, size_t klen,
			const json_t *member, int depth, bool sorted)
{
	return (!first && putch(b, ',') < 0) || write_string(b, key, klen, false) < 0 ||
			       putch(b, ':') < 0 || write_value(b, member, depth + 1, sorted) < 0
		       ? -1
		       : 0;
}

/* An object's members in key order (a small object's keys on the stack). */
static int write_sorted(struct buf *b, json_t *obj, int depth)
{
	struct key few[32], *keys = few;
	size_t n = json_object_size(obj), i = 0;
	if (n > sizeof(few) / sizeof(few[0]) && !(keys = xmalloc(n * sizeof(*keys))))
		return -1;
	const char *key;
	size_t klen;
	json_t *member;
	json_object_keylen_foreach(obj, key, klen, member) {
		keys[i++] = (struct key){ key, klen, member };
	}
	qsort(keys, i, sizeof(*keys), key_order);
	int rc = 0;
	for (size_t k = 0; rc == 0 && k < i; k++)
		rc = write_member(b, k == 0, keys[k].s, keys[k].len, keys[k].member, depth, true);
	if (keys != few)
		xfree(keys);
	return rc;
}

static int write_value(struct buf *b, const json_t *v, int depth, bool sorted)
{
	if (depth > MAX_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		if (putch(b, '{') < 0)
			return -1;
		/* json_t * is not const in jansson's iteration macros */
		json_t *obj = (json_t *)v;
		if (sorted) {
			if (write_sorted(b, obj, depth) < 0)
				return -1;
			return putch(b, '}');
		}
		const char *key;
		size_t klen;
		json_t *member;
		bool first = true;
		json_object_keylen_foreach(obj, key, klen, member) {
			if (write_member(b, first, key, klen, member, depth, false) < 0)
				return -1;
			first = false;
		}
		return putch(b, '}');
	}
	case JSON_ARRAY: {
		if (putch(b, '[') < 0)
			return -1;
		size_t n = json_array_size(v);
		for (size_t i = 0; i < n; i++)
			if ((i && putch(b, ',') < 0) ||
			    write_value(b, json_array_get(v, i), depth + 1, sorted) < 0)
				return -1;
		return putch(b, ']');
	}
	case JSON_STRING:
		return write_string(b, json_string_value(v), json_string_length(v), false);
	case JSON_INTEGER:
		return write_integer(b, json_integer_value(v));
	case JSON_REAL:
		return write_real(b, v);
	case JSON_TRUE:
		return put(b, "true", 4);
	case JSON_FALSE:
		return put(b, "false", 5);
	case JSON_NULL:
		return put(b, "null", 4);
	}
	return -1;
}

int json_write_string(struct buf *b, const char *s, size_t n)
{
	return write_string(b, s, n, false) < 0 || b->failed ? -1 : 0;
}

int json_write_utf8(struct buf *b, const char *s, size_t n)
{
	return write_string(b, s, n, true) < 0 || b->failed ? -1 : 0;
}

int json_write_integer(struct buf *b, json_int_t v)
{
	return write_integer(b, v) < 0 || b->failed ? -1 : 0;
}

int json_write(struct buf *b, const json_t *v)
{
	if (!v)
		return -1;
	return write_value(b, v, 0, false) < 0 || b->failed ? -1 : 0;
}

int json_write_sorted(struct buf *b, const json_t *v)
{
	if (!v)
		return -1;
	return write_value(b, v, 0, true) < 0 || b->failed ? -1 : 0;
}

char *json_text_sorted(const json_t *v)
{
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	if (json_write_sorted(&b, v) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b);
}
