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

#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Returns a heap copy of s (caller frees) or NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void xfree(void *p);

/*
 * How many allocations this thread has been refused since it started, by
 * the system or by injection. An allocation failure that a caller absorbed
 * (a JSON member that could not be set, a note left off) leaves no other
 * trace, so work that must be whole compares this before and after: a
 * transaction (db_txn) rolls back, a request answers 500.
 */
unsigned long alloc_failures(void);

/* Fault injection for tests: n >= 0 arms, n < 0 disarms. Thread-global. */
void alloc_fail_after(long n);
/*
 * Whether failures are being injected (either way): what keeps memory
 * to reuse (core/arena.c's spare chunks) asks malloc then, so that every
 * allocation a path makes can be made to fail.
 */
bool alloc_injecting(void);

/*
 * Fault injection for one thread (a request being served, while other
 * threads go on): from now on this thread's allocations are counted, and
 * the nth of them (1-based; 0 fails none, so a run only counts) returns
 * NULL, and with sticky every later one too. Arming again starts over.
 */
void alloc_thread_arm(long nth, bool sticky);
/* Whether this thread is armed (counting). */
bool alloc_thread_armed(void);
/*
 * Stops counting on this thread. *count gets how many allocations were
 * asked for since alloc_thread_arm, *refused how many were refused.
 */
void alloc_thread_disarm(long *count, long *refused);

/*
 * A request that moves to another thread takes its armed state along:
 * alloc_thread_take moves this thread's state into *s and disarms the
 * thread (a thread not armed gives an unarmed state), alloc_thread_give
 * puts it on this thread.
 */
struct alloc_thread_state {
	long count, nth, refused;	/* count < 0: not armed */
	bool sticky;
};
void alloc_thread_take(struct alloc_thread_state *s);
void alloc_thread_give(const struct alloc_thread_state *s);

/* Routes jansson's allocations through the wrappers. Call once at start. */
void alloc_install_json(void);

#endif
