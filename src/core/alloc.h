/*
 * alloc.h - the one place Servio allocates heap memory.
 *
 * Every allocation in the program (and jansson's, see alloc_install_json)
 * goes through these wrappers so a test can make the Nth allocation fail
 * and check that the failure is handled: alloc_fail_after(n) makes the
 * allocation n+1 calls from now, and every later one, return NULL until
 * alloc_fail_after(-1) switches injection off.
 *
 * The wrappers return NULL on failure like malloc; callers handle it.
 */
#ifndef SERVIO_CORE_ALLOC_H
#define SERVIO_CORE_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a heap copy of s (caller frees) or NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void xfree(void *p);

/* Fault injection for tests: n >= 0 arms, n < 0 disarms. Thread-global. */
void alloc_fail_after(long n);

/* Routes jansson's allocations through the wrappers. Call once at start. */
void alloc_install_json(void);

#endif
