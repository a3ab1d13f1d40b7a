/*
 * fuzz_jsonout.c - libFuzzer harness for json_write (core/jsonout.c):
 * whatever JSON jansson parses from the bytes, json_write must give
 * exactly json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), the bytes every
 * reply had before it; json_text_sorted what it gives with JSON_SORT_KEYS.
 * And the raw bytes (up to a NUL) as a string: the
 * engine's rows are written by json_write_utf8, which must refuse exactly
 * what json_string refuses and write what json_dumps writes of the rest.
 */
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonout.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes as a column's text, as the engine writes it and as jansson did. */
static void raw_string(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	json_t *v = json_string(s);
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	int rc = json_write_utf8(&b, s, strlen(s));
	if ((rc == 0) != (v != NULL))
		__builtin_trap();	/* refuses other text than jansson */
	char *want = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (want && (b.len != strlen(want) || memcmp(buf_str(&b), want, b.len) != 0))
		__builtin_trap();
	xfree(want);
	buf_release(&b);
	json_decref(v);
	xfree(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	alloc_install_json();
	raw_string(data, size);
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!v)
		return 0;
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	int rc = json_write(&b, v);
	if (want) {
		if (rc != 0 || b.len != strlen(want) || memcmp(buf_str(&b), want, b.len) != 0)
			__builtin_trap();	/* not the bytes jansson writes */
	}
	buf_release(&b);
	xfree(want);
	/* with sorted keys, as the audit log and the events keep records */
	want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	char *got = json_text_sorted(v);
	if (want && (!got || strcmp(got, want) != 0))
		__builtin_trap();
	xfree(got);
	xfree(want);
	json_decref(v);
	return 0;
}
