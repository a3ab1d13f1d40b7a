/*
 * alloc.c - allocation wrappers with fault injection for tests.
 */
#include "alloc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = -1;

/* alloc_thread_arm's state; count < 0 when this thread is not armed */
static _Thread_local long thread_count = -1;
static _Thread_local long thread_nth;
static _Thread_local long thread_refused;
static _Thread_local bool thread_sticky;
static _Thread_local unsigned long thread_failures;

unsigned long alloc_failures(void)
{
	return thread_failures;
}

/* Every allocation's result passes here on its way out. */
static void *counted(void *p)
{
	if (!p)
		thread_failures++;
	return p;
}

static int thread_should_fail(void)
{
	if (thread_count < 0)
		return 0;
	thread_count++;
	bool fail = thread_nth > 0 && (thread_count == thread_nth ||
					(thread_sticky && thread_count > thread_nth));
	if (fail)
		thread_refused++;
	return fail;
}

void alloc_thread_arm(long nth, bool sticky)
{
	thread_count = 0;
	thread_nth = nth > 0 ? nth : 0;
	thread_sticky = sticky;
	thread_refused = 0;
}

bool alloc_thread_armed(void)
{
	return thread_count >= 0;
}

void alloc_thread_disarm(long *count, long *refused)
{
	*count = thread_count < 0 ? 0 : thread_count;
	*refused = thread_refused;
	thread_count = -1;
	thread_nth = 0;
	thread_refused = 0;
}

void alloc_thread_take(struct alloc_thread_state *s)
{
	*s = (struct alloc_thread_state){ thread_count, thread_nth, thread_refused, thread_sticky };
	thread_count = -1;
	thread_nth = 0;
	thread_refused = 0;
}

void alloc_thread_give(const struct alloc_thread_state *s)
{
	thread_count = s->count;
	thread_nth = s->nth;
	thread_refused = s->refused;
	thread_sticky = s->sticky;
}

static int should_fail(void)
{
	if (thread_should_fail())
		return 1;
	long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (n < 0)
		return 0;
	if (n == 0)
		return 1;
	atomic_fetch_sub_explicit(&fail_countdown, 1, memory_order_relaxed);
	return 0;
}

bool alloc_injecting(void)
{
	return thread_count >= 0 || atomic_load_explicit(&fail_countdown, memory_order_relaxed) >= 0;
}

void alloc_fail_after(long n)
{
	atomic_store(&fail_countdown, n < 0 ? -1 : n);
}

void *xmalloc(size_t n)
{
	if (should_fail())
		return counted(NULL);
	return counted(malloc(n ? n : 1));
}

void *xcalloc(size_t count, size_t size)
{
	if (should_fail())
		return counted(NULL);
	return counted(calloc(count ? count : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	if (should_fail())
		return counted(NULL);
	return counted(realloc(p, n ? n : 1));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void xfree(void *p)
{
	free(p);
}

void alloc_install_json(void)
{
	json_set_alloc_funcs(xmalloc, xfree);
}
