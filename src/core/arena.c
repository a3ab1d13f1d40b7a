/*
 * arena.c - chunked bump allocator. Small allocations share 8 KiB chunks;
 * a large one gets a chunk of its own so the waste stays bounded.
 */
#include "arena.h"

#include "alloc.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CHUNK_SIZE 8192

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	alignas(max_align_t) unsigned char data[];
};

struct arena_defer {
	struct arena_defer *next;
	void (*fn)(void *);
	void *p;
};

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->defers = NULL;
	a->total = 0;
}

/*
 * Chunks of CHUNK_SIZE that arenas gave back, kept by their thread for its
 * next arenas (at most SPARE_MAX): requests and the sweep's writes make
 * and drop arenas all the time, and an 8 KiB block asked of malloc after
 * many small frees first makes glibc consolidate its fast bins (3 % of an
 * SLA sweep's time). A thread's spares are freed when it ends.
 */
#define SPARE_MAX 16

/*
 * Under AddressSanitizer a spare chunk's bytes are poisoned until it is
 * used again, so that a pointer kept past arena_release still faults as
 * it did when the chunk went back to malloc.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define SPARE_POISON(c) ASAN_POISON_MEMORY_REGION((c)->data, CHUNK_SIZE)
#define SPARE_UNPOISON(c) ASAN_UNPOISON_MEMORY_REGION((c)->data, CHUNK_SIZE)
#else
#define SPARE_POISON(c) ((void)(c))
#define SPARE_UNPOISON(c) ((void)(c))
#endif

struct spares {
	struct arena_chunk *head;
	int n;
};

static _Thread_local struct spares *spares;
static pthread_key_t spares_key;
static pthread_once_t spares_once = PTHREAD_ONCE_INIT;
static bool spares_keyed;

static void spares_free(void *p)
{
	struct spares *s = p;
	while (s->head) {
		struct arena_chunk *next = s->head->next;
		SPARE_UNPOISON(s->head);
		xfree(s->head);
		s->head = next;
	}
	xfree(s);
	spares = NULL;	/* the thread is ending: a later arena of it starts afresh */
}

static void spares_key_create(void)
{
	spares_keyed = pthread_key_create(&spares_key, spares_free) == 0;
}

/* This thread's spares, made on first use (NULL: none can be kept). */
static struct spares *my_spares(void)
{
	if (spares)
		return spares;
	pthread_once(&spares_once, spares_key_create);
	struct spares *s = spares_keyed ? xcalloc(1, sizeof(*s)) : NULL;
	if (s && pthread_setspecific(spares_key, s) != 0) {
		xfree(s);
		s = NULL;
	}
	return spares = s;
}

static struct arena_chunk *chunk_new(size_t size)
{
	struct spares *s = size == CHUNK_SIZE && !alloc_injecting() ? spares : NULL;
	if (s && s->head) {
		struct arena_chunk *c = s->head;
		s->head = c->next;
		s->n--;
		SPARE_UNPOISON(c);
		return c;
	}
	return xmalloc(sizeof(struct arena_chunk) + size);
}

static void chunk_free(struct arena_chunk *c)
{
	struct spares *s = c->size == CHUNK_SIZE ? my_spares() : NULL;
	if (s && s->n < SPARE_MAX) {
		c->next = s->head;
		s->head = c;
		s->n++;
		SPARE_POISON(c);
		return;
	}
	xfree(c);
}

void arena_release(struct arena *a)
{
	/* the records live in the chunks: run them all before freeing any */
	for (struct arena_defer *d = a->defers; d; d = d->next)
		d->fn(d->p);
	a->defers = NULL;
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		chunk_free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	size_t need = (n + align - 1) & ~(align - 1);
	struct arena_chunk *c = a->head;

	if (need < n)
		return NULL;	/* overflow */
	if (need == 0)
		need = align;
	if (!c || c->size - c->used < need) {
		size_t size = need > CHUNK_SIZE / 4 ? need : CHUNK_SIZE;
		if (size > SIZE_MAX - sizeof(*c))
			return NULL;
		c = chunk_new(size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		if (size == need && a->head) {
			/* big one-off: keep the current chunk in front */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->used;
	c->used += need;
	a->total += n;
	return p;
}

int arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
	struct arena_defer *d = arena_alloc(a, sizeof(*d));
	if (!d) {
		fn(p);
		return -1;
	}
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
	return 0;
}

static void json_release(void *p)
{
	json_decref(p);
}

json_t *arena_json(struct arena *a, json_t *v)
{
	if (!v)
		return NULL;
	return arena_defer(a, json_release, v) == 0 ? v : NULL;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}
