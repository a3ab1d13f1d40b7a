/*
 * fuzz_excerpt.c - libFuzzer harness for the webhook delivery log's
 * excerpt of an endpoint's answer (webhooks/dispatch.c): whatever bytes an
 * endpoint sends, the cleaned excerpt must be valid UTF-8 without control
 * characters but tab and line ends, no longer than what came, and the
 * bytes that were valid text already must be kept as they were.
 */
#include "core/alloc.h"
#include "core/utf8.h"
#include "webhooks/webhooks.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > WEBHOOK_EXCERPT_MAX)
		size = WEBHOOK_EXCERPT_MAX;
	char *s = xmalloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	webhook_excerpt_clean(s, size);
	size_t n = strlen(s);
	if (n > size || !utf8_valid(s))
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			__builtin_trap();
		/* ASCII text that came is kept */
		if (data[i] >= 0x20 && data[i] < 0x7f && c != data[i])
			__builtin_trap();
	}
	xfree(s);
	return 0;
}
