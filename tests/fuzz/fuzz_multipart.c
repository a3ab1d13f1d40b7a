/*
 * fuzz_multipart.c - libFuzzer harness for the multipart/form-data parser
 * (http/multipart.c): whatever arrives as an upload's Content-Type and
 * body must neither crash nor leak, and what the parser returns must be
 * what the upload handler relies on.
 *
 * Input: the Content-Type header value, a newline, then the body. When the
 * header is refused the body is parsed with the boundary "B" as well, so
 * bodies are fuzzed even when the header is garbage.
 *
 * Checked: a refusal has a message and a success none is needed; the count
 * is within 0..max; every part has a name, its data lies inside the body
 * and never holds the delimiter "CRLF--boundary" (the first one ends a
 * part), and parts come in order without overlapping.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include "core/alloc.h"
#include "core/arena.h"
#include "http/multipart.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARTS 8

static void check(const char *body, size_t len, const char *boundary)
{
	struct arena a;
	arena_init(&a);
	struct http_part *parts = NULL;
	const char *err = NULL;
	int n = http_multipart_parse(body, len, boundary, &a, MAX_PARTS, &parts, &err);
	if (n < 0) {
		if (!err || !*err)
			__builtin_trap();	/* a refusal names its problem */
		arena_release(&a);
		return;
	}
	if (n > MAX_PARTS || !parts)
		__builtin_trap();
	char delim[80];
	int dlen = snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	const char *prev_end = body;
	for (int i = 0; i < n; i++) {
		const struct http_part *p = &parts[i];
		if (!p->name || !p->data || p->data < prev_end || p->data + p->len > body + len)
			__builtin_trap();
		if (p->len && memmem(p->data, p->len, delim, (size_t)dlen))
			__builtin_trap();
		/* names are C strings of the arena: reading them whole must be fine */
		if (strlen(p->name) > len || (p->filename && strlen(p->filename) > len) ||
		    (p->content_type && strlen(p->content_type) > len))
			__builtin_trap();
		prev_end = p->data + p->len;
	}
	arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		alloc_install_json();
		ready = true;
	}
	const char *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - (const char *)data) : size;
	char header[512];
	if (hlen >= sizeof(header))
		hlen = sizeof(header) - 1;
	memcpy(header, data, hlen);
	header[hlen] = '\0';
	const char *body = nl ? nl + 1 : (const char *)data + size;
	size_t len = (size_t)((const char *)data + size - body);

	struct arena a;
	arena_init(&a);
	const char *boundary = NULL, *err = NULL;
	if (http_multipart_boundary(header, &a, &boundary, &err) == 0) {
		if (!boundary || strlen(boundary) < 1 || strlen(boundary) > 70)
			__builtin_trap();
		check(body, len, boundary);
	} else if (!err || !*err) {
		__builtin_trap();
	}
	arena_release(&a);
	check(body, len, "B");
	return 0;
}
