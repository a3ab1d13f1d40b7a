/*
 * arena.h - a bump allocator that owns everything a request allocates.
 *
 * A request creates one arena, allocates from it freely and releases it
 * once when the request completes; nothing from an arena is freed on its
 * own. Memory comes in chunks from xmalloc, so allocation failure is
 * reported (NULL) rather than hidden. Allocations are aligned for any type.
 *
 * What is not arena memory but must live exactly as long (a jansson value
 * built for the request) is handed to the arena with arena_defer or
 * arena_json: released with it, in reverse order, and by nobody else.
 */
#ifndef SERVIO_CORE_ARENA_H
#define SERVIO_CORE_ARENA_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;
struct arena_defer;

struct arena {
	struct arena_chunk *head;
	struct arena_defer *defers;	/* run by arena_release, newest first */
	size_t total;		/* bytes handed out, for metrics and tests */
};

void arena_init(struct arena *a);
/* Runs the deferred releases, frees every chunk; the arena may be reused after. */
void arena_release(struct arena *a);

/*
 * fn(p) runs when the arena is released. Returns 0, or -1 when out of
 * memory: then fn(p) has run already, so p is never leaked nor used.
 */
int arena_defer(struct arena *a, void (*fn)(void *), void *p);
/*
 * Hands the reference v over to the arena (decref'd at release) and
 * returns v as a borrowed value, or NULL when v is NULL or the arena is out
 * of memory (then v is released at once). The one place a request's JSON
 * values are freed.
 */
json_t *arena_json(struct arena *a, json_t *v);

/* Returns n bytes (n == 0 gives a valid unique pointer), or NULL. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

#endif
