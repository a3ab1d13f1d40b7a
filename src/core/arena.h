/*
 * arena.h - a bump allocator that owns everything a request allocates.
 *
 * A request creates one arena, allocates from it freely and releases it
 * once when the request completes; nothing from an arena is freed on its
 * own. Memory comes in chunks from xmalloc, so allocation failure is
 * reported (NULL) rather than hidden. Allocations are aligned for any type.
 */
#ifndef SERVIO_CORE_ARENA_H
#define SERVIO_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t total;		/* bytes handed out, for metrics and tests */
};

void arena_init(struct arena *a);
/* Frees every chunk; the arena may be reused after. */
void arena_release(struct arena *a);

/* Returns n bytes (n == 0 gives a valid unique pointer), or NULL. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

#endif
