/*
 * fuzz_jsonout.c - libFuzzer harness for json_write (core/jsonout.c):
 * whatever JSON jansson parses from the bytes, json_write must give
 * exactly json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), the bytes every
 * reply had before it.
 */
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonout.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	alloc_install_json();
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
	json_decref(v);
	return 0;
}
