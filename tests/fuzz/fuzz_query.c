/*
 * fuzz_query.c - libFuzzer harness for the URL decoders of http/: the
 * query string parser and the path decoder, the first code to see a
 * request's URL.
 *
 * Beyond "does not crash", it checks what callers rely on: a result is -1
 * or a count within the limit; every decoded string is NUL-free and no
 * longer than its input; and a parse survives a round trip (re-encode the
 * pairs, parse again, get the same pairs).
 */
#include "http/http.h"
#include "http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_addch(b, (char)*p);
		} else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_add(b, esc, 3);
		}
	}
}

static void check_pairs(const struct http_kv *kv, int n, int max, size_t inlen)
{
	if (n < -1 || n > max)
		abort();
	for (int i = 0; i < n; i++) {
		if (!kv[i].name || !kv[i].value)
			abort();
		if (strlen(kv[i].name) > inlen || strlen(kv[i].value) > inlen)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *qs = malloc(size + 1);
	if (!qs)
		return 0;
	memcpy(qs, data, size);
	qs[size] = '\0';

	struct arena a;
	arena_init(&a);
	struct http_kv kv[HTTP_MAX_QUERY], again[HTTP_MAX_QUERY];
	int n = http_query_parse(qs, &a, kv, HTTP_MAX_QUERY);
	check_pairs(kv, n, HTTP_MAX_QUERY, size);
	/* a small limit must fail cleanly, not write past the array */
	int small = http_query_parse(qs, &a, again, 2);
	check_pairs(again, small, 2, size);
	if (n >= 0 && n <= 2 && small != n)
		abort();
	if (n > 2 && small != -1)
		abort();

	if (n > 0) {
		struct buf b;
		buf_init(&b, 0);
		for (int i = 0; i < n; i++) {
			if (i)
				buf_addch(&b, '&');
			encode(&b, kv[i].name);
			buf_addch(&b, '=');
			encode(&b, kv[i].value);
		}
		if (b.failed)
			abort();
		int m = http_query_parse(buf_str(&b), &a, again, HTTP_MAX_QUERY);
		if (m != n)
			abort();
		for (int i = 0; i < n; i++)
			if (strcmp(kv[i].name, again[i].name) || strcmp(kv[i].value, again[i].value))
				abort();
		buf_release(&b);
	}

	char *path;
	bool oom;
	size_t len = strlen(qs);
	if (http_path_decode(qs, len, &a, &path, &oom) == 0 && strlen(path) > len)
		abort();

	arena_release(&a);
	free(qs);
	return 0;
}
