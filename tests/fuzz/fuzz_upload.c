/*
 * fuzz_upload.c - libFuzzer harness for what an upload (or a client's mail
 * attachment) tells us about itself: the file name, the declared type and
 * the first bytes (service/attachments.c). The input is "name\ntype\nbytes".
 *
 * Beyond "does not crash": a kept name is non-empty UTF-8 of at most
 * ATTACHMENT_MAX_NAME bytes with no path separator or control character; a
 * refusal says why; a type, when given, is one the allow-list knows.
 */
#include "core/alloc.h"
#include "core/arena.h"
#include "core/utf8.h"
#include "service/attachments.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next line of the input (NUL-free, arena copy), or NULL at the end. */
static char *line(struct arena *a, const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return NULL;
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = arena_strndup(a, (const char *)*p, n);
	*p += n + (nl ? 1 : 0);
	return s && strlen(s) == n ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	struct arena a;
	arena_init(&a);
	const uint8_t *p = data, *end = data + size;
	char *name = line(&a, &p, end);
	char *declared = line(&a, &p, end);
	if (!name) {
		arena_release(&a);
		return 0;
	}
	const char *why = NULL;
	const char *kept = attachment_clean_name(&a, name, &why);
	if (!kept) {
		if (!why || !*why)
			__builtin_trap();
	} else {
		size_t n = strlen(kept);
		if (n == 0 || n > ATTACHMENT_MAX_NAME || !utf8_valid(kept) || strchr(kept, '/') ||
		    strchr(kept, '\\'))
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)kept[i] < 0x20 || kept[i] == 0x7f)
				__builtin_trap();
		why = NULL;
		const char *type = attachment_type(&a, declared && *declared ? declared : NULL, kept,
						   p, (size_t)(end - p), &why);
		if (!type && (!why || !*why))
			__builtin_trap();
		if (type)
			(void)attachment_type_is_image(type);
	}
	arena_release(&a);
	return 0;
}
