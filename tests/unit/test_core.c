/*
 * test_core.c - src/core: the capped string builder, the spool (text
 * spilled to a temporary file), the arena, allocation failure injection,
 * UTC timestamps and dates, the clock (and, in test builds, its offset),
 * UTF-8 validation, log levels and the configuration (defaults,
 * environment, flags, checks).
 */
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/jsonout.h"
#include "core/log.h"
#include "core/spool.h"
#include "core/timeutil.h"
#include "core/utf8.h"

#include <jansson.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- buf ---- */

static void buf_empty_is_never_null(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(b.max, BUF_DEFAULT_MAX);
	assert_non_null(buf_str(&b));
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(b.len, 0);
	assert_false(b.failed);
	buf_reset(&b);			/* reset of a never-used buffer is harmless */
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);		/* twice is harmless */
}

static void buf_appends(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_addstr(&b, "hello"), 0);
	assert_int_equal(buf_addch(&b, ' '), 0);
	assert_int_equal(buf_addf(&b, "%d-%s-%05.1f", 42, "x", 2.5), 0);
	assert_string_equal(buf_str(&b), "hello 42-x-002.5");
	assert_int_equal(b.len, strlen("hello 42-x-002.5"));
	assert_int_equal(buf_addstr(&b, ""), 0);	/* empty appends change nothing */
	assert_int_equal(buf_add(&b, "ignored", 0), 0);
	assert_int_equal(b.len, strlen("hello 42-x-002.5"));
	assert_int_equal(buf_add(&b, "\0z", 2), 0);	/* binary safe: len counts the NUL */
	assert_int_equal(b.len, strlen("hello 42-x-002.5") + 2);
	assert_int_equal(b.data[b.len - 1], 'z');
	assert_int_equal(b.data[b.len], '\0');
	assert_string_equal(buf_str(&b), "hello 42-x-002.5");
	buf_release(&b);
}

static void buf_grows_and_stays_terminated(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(buf_addch(&b, (char)('a' + i % 26)), 0);
		assert_int_equal(b.len, (size_t)i + 1);
		assert_int_equal(b.data[b.len], '\0');
		assert_true(b.cap > b.len);
	}
	for (int i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	/* a long formatted append in one go */
	assert_int_equal(buf_addf(&b, "%05000d", 7), 0);
	assert_int_equal(b.len, 15000);
	assert_int_equal(b.data[14999], '7');
	assert_int_equal(b.data[10000], '0');
	assert_int_equal(b.data[15000], '\0');
	buf_release(&b);
}

static void buf_vaddf_wrapper(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void buf_vaddf_wrapper(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	assert_int_equal(buf_vaddf(b, fmt, ap), 0);
	va_end(ap);
}

static void buf_vaddf_works(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	buf_vaddf_wrapper(&b, "%s:%u", "port", 8080u);
	buf_vaddf_wrapper(&b, "%c", '!');
	assert_string_equal(buf_str(&b), "port:8080!");
	buf_release(&b);
}

static void buf_reset_keeps_memory(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_int_equal(buf_addstr(&b, "something long enough"), 0);
	size_t cap = b.cap;
	char *data = b.data;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(b.cap, cap);
	assert_ptr_equal(b.data, data);
	assert_int_equal(buf_addstr(&b, "new"), 0);
	assert_string_equal(buf_str(&b), "new");
	buf_release(&b);
}

static void buf_take_hands_over(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 100);
	assert_int_equal(buf_addstr(&b, "payload"), 0);
	char *taken = buf_take(&b);
	assert_non_null(taken);
	assert_string_equal(taken, "payload");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);		/* the cap survives */
	assert_string_equal(buf_str(&b), "");
	/* the buffer is reusable and does not share memory with the taken string */
	assert_int_equal(buf_addstr(&b, "again"), 0);
	assert_string_equal(buf_str(&b), "again");
	assert_string_equal(taken, "payload");
	xfree(taken);
	buf_release(&b);

	/* taking an empty buffer gives "" not NULL */
	buf_init(&b, 0);
	taken = buf_take(&b);
	assert_non_null(taken);
	assert_string_equal(taken, "");
	xfree(taken);
	buf_release(&b);
}

static void buf_cap_reached(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 10);
	assert_int_equal(buf_addstr(&b, "01234"), 0);
	assert_int_equal(buf_addstr(&b, "56789"), 0);	/* exactly the cap */
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_str(&b), "0123456789");
	assert_int_equal(buf_addch(&b, 'x'), -1);	/* one past: fails */
	assert_true(b.failed);
	assert_null(b.data);				/* and frees itself */
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	/* later appends are no-ops, even ones that would fit */
	assert_int_equal(buf_addstr(&b, "y"), -1);
	assert_int_equal(buf_addch(&b, 'y'), -1);
	assert_int_equal(buf_add(&b, "", 0), -1);
	assert_int_equal(buf_addf(&b, "%s", "z"), -1);
	assert_null(b.data);
	assert_string_equal(buf_str(&b), "");
	assert_null(buf_take(&b));			/* failed: nothing to hand over */
	assert_true(b.failed);
	buf_reset(&b);					/* reset makes it usable again */
	assert_false(b.failed);
	assert_int_equal(buf_addstr(&b, "ok"), 0);
	assert_string_equal(buf_str(&b), "ok");
	buf_release(&b);
}

static void buf_cap_edges(void **state)
{
	(void)state;
	struct buf b;
	/* a formatted append that does not fit fails as a whole */
	buf_init(&b, 5);
	assert_int_equal(buf_addf(&b, "%s", "toolong"), -1);
	assert_true(b.failed);
	assert_null(b.data);
	buf_release(&b);

	/* one byte cap */
	buf_init(&b, 1);
	assert_int_equal(buf_addch(&b, 'a'), 0);
	assert_int_equal(buf_addch(&b, 'b'), -1);
	buf_release(&b);

	/* a length that would overflow size_t fails instead of wrapping */
	buf_init(&b, 0);
	assert_int_equal(buf_addstr(&b, "abc"), 0);
	assert_int_equal(buf_add(&b, "x", SIZE_MAX), -1);
	assert_true(b.failed);
	assert_null(b.data);
	buf_release(&b);
	buf_init(&b, 0);
	assert_int_equal(buf_add(&b, "x", SIZE_MAX - 1), -1);
	buf_release(&b);

	/* growth never allocates beyond the cap (+ NUL) */
	buf_init(&b, 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_addch(&b, 'q'), 0);
	assert_true(b.cap <= 101);
	assert_int_equal(buf_addch(&b, 'q'), -1);
	buf_release(&b);
}

/* ---- spool ---- */

/* Points TMPDIR at dir; returns the value it had, for tmpdir_restore. */
static char *tmpdir_set(const char *dir)
{
	const char *old = getenv("TMPDIR");
	char *saved = old ? strdup(old) : NULL;
	setenv("TMPDIR", dir, 1);
	return saved;
}

static void tmpdir_restore(char *saved)
{
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
}

/* The whole of an open file, from offset 0. */
static char *read_fd(int fd, uint64_t size)
{
	char *s = malloc(size + 1);
	assert_non_null(s);
	assert_int_equal(pread(fd, s, size, 0), (ssize_t)size);
	s[size] = '\0';
	char extra;
	assert_int_equal(pread(fd, &extra, 1, (off_t)size), 0);	/* nothing past it */
	return s;
}

static void spool_under_threshold_stays_in_memory(void **state)
{
	(void)state;
	struct spool s;
	spool_init(&s, 64);
	assert_int_equal(buf_addstr(&s.b, "[1,2,3]"), 0);
	assert_int_equal(spool_flush(&s), 0);
	assert_int_equal(spool_size(&s), 7);
	uint64_t size = 0;
	assert_int_equal(spool_finish(&s), 0);
	assert_int_equal(spool_take_fd(&s, &size), -1);	/* no file to hand over */
	assert_string_equal(buf_str(&s.b), "[1,2,3]");
	spool_release(&s);
	/* a threshold of 0: never a file, however long */
	spool_init(&s, 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(buf_addstr(&s.b, "0123456789"), 0);
		assert_int_equal(spool_flush(&s), 0);
	}
	assert_int_equal(spool_finish(&s), 0);
	assert_int_equal(s.b.len, 10000);
	spool_release(&s);
}

static void spool_spills_whole_pieces_in_order(void **state)
{
	(void)state;
	char dir[] = "/tmp/servio-spool-test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *saved = tmpdir_set(dir);
	struct spool s;
	spool_init(&s, 100);
	struct buf want;
	buf_init(&want, 0);
	for (int i = 0; i < 500; i++) {
		assert_int_equal(buf_addf(&s.b, "%s{\"n\":%d}", i ? "," : "[", i), 0);
		assert_int_equal(buf_addf(&want, "%s{\"n\":%d}", i ? "," : "[", i), 0);
		assert_int_equal(spool_flush(&s), 0);
		assert_true(s.b.len <= 100);	/* never more than a piece past the threshold */
		assert_int_equal(spool_size(&s), want.len);
	}
	assert_int_equal(buf_addch(&s.b, ']'), 0);
	assert_int_equal(buf_addch(&want, ']'), 0);
	assert_true(s.fd >= 0);
	uint64_t size = 0;
	assert_int_equal(spool_take_fd(&s, &size), -1);	/* not finished: a piece is in memory */
	assert_int_equal(spool_finish(&s), 1);
	assert_int_equal(spool_finish(&s), 1);		/* twice is harmless */
	int fd = spool_take_fd(&s, &size);
	assert_true(fd >= 0);
	assert_int_equal(size, want.len);
	char *got = read_fd(fd, size);
	assert_string_equal(got, buf_str(&want));
	free(got);
	close(fd);
	spool_release(&s);	/* the descriptor was handed over: not closed twice */
	/* the file had no name: the directory is empty (rmdir fails otherwise) */
	assert_int_equal(rmdir(dir), 0);
	tmpdir_restore(saved);
	buf_release(&want);
}

static void spool_reset_starts_over(void **state)
{
	(void)state;
	struct spool s;
	spool_init(&s, 8);
	assert_int_equal(buf_addstr(&s.b, "a first attempt, long"), 0);
	assert_int_equal(spool_flush(&s), 0);
	assert_true(s.fd >= 0);
	assert_int_equal(buf_addstr(&s.b, "more"), 0);
	spool_reset(&s);	/* a retried transaction writes its reply again */
	assert_int_equal(spool_size(&s), 0);
	assert_int_equal(buf_addstr(&s.b, "the second, written"), 0);
	assert_int_equal(spool_flush(&s), 0);
	assert_int_equal(buf_addstr(&s.b, "!"), 0);
	assert_int_equal(spool_finish(&s), 1);
	spool_reset(&s);	/* a commit that failed: the transaction runs again */
	assert_int_equal(buf_addstr(&s.b, "the third, written"), 0);
	assert_int_equal(spool_flush(&s), 0);
	assert_int_equal(buf_addstr(&s.b, "!"), 0);
	assert_int_equal(spool_finish(&s), 1);
	uint64_t size = 0;
	int fd = spool_take_fd(&s, &size);
	char *got = read_fd(fd, size);
	assert_string_equal(got, "the third, written!");
	free(got);
	close(fd);
	spool_release(&s);
}

static void spool_failures_stick(void **state)
{
	(void)state;
	struct spool s;
	/* a directory that does not exist: the first spill fails, and stays failed */
	char *saved = tmpdir_set("/nonexistent/servio-spool");
	spool_init(&s, 4);
	assert_int_equal(buf_addstr(&s.b, "too long for memory"), 0);
	assert_int_equal(spool_flush(&s), -1);
	assert_true(s.failed);
	assert_int_equal(buf_addstr(&s.b, "x"), 0);	/* the buffer is usable, the spool is not */
	assert_int_equal(spool_flush(&s), -1);
	uint64_t size = 0;
	assert_int_equal(spool_finish(&s), -1);
	assert_int_equal(spool_take_fd(&s, &size), -1);
	spool_release(&s);
	tmpdir_restore(saved);
	/* a buffer that failed (out of memory) fails the spool */
	spool_init(&s, 1 << 20);
	s.b.max = 8;
	assert_int_equal(buf_addstr(&s.b, "past the cap"), -1);
	assert_int_equal(spool_flush(&s), -1);
	assert_int_equal(spool_finish(&s), -1);
	spool_release(&s);
}

/* ---- arena ---- */

static void arena_alignment(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	for (size_t n = 0; n < 300; n++) {
		void *p = arena_alloc(&a, n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		memset(p, 0xab, n);	/* ASan checks the size is real */
	}
	/* odd sizes followed by types that need the full alignment */
	for (int i = 0; i < 100; i++) {
		char *c = arena_alloc(&a, 1);
		assert_non_null(c);
		long double *ld = arena_alloc(&a, sizeof(long double));
		assert_int_equal((uintptr_t)ld % alignof(max_align_t), 0);
		*ld = (long double)i;
		*c = 'c';
	}
	void *big = arena_alloc(&a, 50000);
	assert_int_equal((uintptr_t)big % alignof(max_align_t), 0);
	assert_int_equal((uintptr_t)arena_zalloc(&a, 3) % alignof(max_align_t), 0);
	assert_int_equal((uintptr_t)arena_strdup(&a, "x") % alignof(max_align_t), 0);
	arena_release(&a);
}

static void arena_zero_size_unique(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	void *p = arena_alloc(&a, 0);
	void *q = arena_alloc(&a, 0);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);
	arena_release(&a);
}

static void arena_big_allocations(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	char *small1 = arena_alloc(&a, 16);
	assert_non_null(small1);
	memset(small1, 's', 16);
	/* big ones beyond a chunk, each intact after the others */
	size_t sizes[] = { 8192, 8193, 100000, 2049, 1 << 20 };
	char *bigs[N_ELEMS(sizes)];
	for (size_t i = 0; i < N_ELEMS(sizes); i++) {
		bigs[i] = arena_alloc(&a, sizes[i]);
		assert_non_null(bigs[i]);
		memset(bigs[i], (int)('A' + i), sizes[i]);
	}
	/* small ones still work after a big one, and do not overlap it */
	char *small2 = arena_alloc(&a, 16);
	assert_non_null(small2);
	memset(small2, 't', 16);
	for (size_t i = 0; i < N_ELEMS(sizes); i++) {
		assert_int_equal(bigs[i][0], 'A' + (int)i);
		assert_int_equal(bigs[i][sizes[i] - 1], 'A' + (int)i);
	}
	for (int i = 0; i < 16; i++)
		assert_int_equal(small1[i], 's');
	assert_true(a.total >= 16 + 8192 + 8193 + 100000 + 2049 + (1 << 20) + 16);
	arena_release(&a);
}

static void arena_impossible_sizes(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	/* sizes whose rounding would wrap are refused, not truncated */
	assert_null(arena_alloc(&a, SIZE_MAX));
	assert_null(arena_alloc(&a, SIZE_MAX - 8));
	assert_null(arena_alloc(&a, SIZE_MAX - 15));
	/* and the arena still works afterwards */
	char *p = arena_strdup(&a, "still fine");
	assert_string_equal(p, "still fine");
	arena_release(&a);
}

static void arena_strings(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	const char *src = "copy";
	char *c = arena_strdup(&a, src);
	assert_string_equal(c, "copy");
	assert_ptr_not_equal(c, src);
	assert_string_equal(arena_strdup(&a, ""), "");
	assert_string_equal(arena_strndup(&a, "copy", 2), "co");
	assert_string_equal(arena_strndup(&a, "copy", 0), "");
	/* strndup copies exactly n bytes, even past a NUL-less region */
	char raw[3] = { 'x', 'y', 'z' };
	assert_string_equal(arena_strndup(&a, raw, 3), "xyz");
	assert_string_equal(arena_printf(&a, "%s=%d", "n", 7), "n=7");
	assert_string_equal(arena_printf(&a, "%s", ""), "");
	char *long_text = arena_printf(&a, "%05000d", 1);
	assert_int_equal(strlen(long_text), 5000);
	assert_int_equal(long_text[4999], '1');
	char *huge = arena_printf(&a, "%020000d", 2);	/* beyond a chunk */
	assert_int_equal(strlen(huge), 20000);
	arena_release(&a);
}

static void arena_zalloc_zeroes(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	/* dirty the memory first so zalloc has something to clear on reuse */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 20; i++)
			memset(arena_alloc(&a, 500), 0xff, 500);
		arena_release(&a);
		unsigned char *z = arena_zalloc(&a, 4000);
		for (int i = 0; i < 4000; i++)
			assert_int_equal(z[i], 0);
		unsigned char *zb = arena_zalloc(&a, 30000);
		for (int i = 0; i < 30000; i++)
			assert_int_equal(zb[i], 0);
	}
	assert_non_null(arena_zalloc(&a, 0));
	arena_release(&a);
}

static void arena_many_allocations(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	enum { N = 20000 };
	unsigned **ptrs = xmalloc(sizeof(*ptrs) * N);
	assert_non_null(ptrs);
	size_t want = 0;
	for (unsigned i = 0; i < N; i++) {
		size_t n = sizeof(unsigned) * (1 + i % 7);
		ptrs[i] = arena_alloc(&a, n);
		assert_non_null(ptrs[i]);
		want += n;
		for (size_t k = 0; k < 1 + i % 7; k++)
			ptrs[i][k] = i;
	}
	/* nothing overlapped: every value is still what was written */
	for (unsigned i = 0; i < N; i++)
		for (size_t k = 0; k < 1 + i % 7; k++)
			assert_int_equal(ptrs[i][k], i);
	assert_int_equal(a.total, want);
	xfree(ptrs);
	arena_release(&a);
}

static void arena_release_then_reuse(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	assert_int_equal(a.total, 0);
	assert_null(a.head);
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 100; i++)
			assert_non_null(arena_alloc(&a, (size_t)(i * 37)));
		assert_non_null(arena_alloc(&a, 70000));
		assert_true(a.total > 0);
		arena_release(&a);
		assert_int_equal(a.total, 0);
		assert_null(a.head);
	}
	arena_release(&a);	/* releasing an empty arena is harmless */
	assert_string_equal(arena_strdup(&a, "again"), "again");
	arena_release(&a);
}

/* ---- allocation failure ---- */

static void alloc_countdown(void **state)
{
	(void)state;
	/* with injection off, nothing fails */
	char *s = xstrdup("fine");
	assert_string_equal(s, "fine");
	xfree(s);
	assert_string_equal((s = xstrndup("fine", 2)), "fi");
	xfree(s);
	void *z = xmalloc(0);	/* zero bytes is still a pointer */
	assert_non_null(z);
	xfree(z);
	z = xcalloc(0, 0);
	assert_non_null(z);
	xfree(z);
	xfree(NULL);

	/* n = 0: the very next allocation fails, and every later one */
	alloc_fail_after(0);
	assert_null(xmalloc(1));
	assert_null(xcalloc(1, 1));
	assert_null(xrealloc(NULL, 1));
	assert_null(xstrdup("x"));
	assert_null(xstrndup("x", 1));
	assert_null(xmalloc(1));
	alloc_fail_after(-1);

	/* n = 3: three succeed (whatever the wrapper), the fourth fails */
	alloc_fail_after(3);
	void *a = xmalloc(8);
	void *b = xcalloc(2, 4);
	char *c = xstrdup("three");
	void *d = xmalloc(8);
	void *e = xstrdup("five");
	alloc_fail_after(-1);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_null(d);
	assert_null(e);
	xfree(a);
	xfree(b);
	xfree(c);

	/* a failing realloc leaves the old block alone */
	char *p = xstrdup("keep me");
	assert_non_null(p);
	alloc_fail_after(0);
	char *q = xrealloc(p, 4096);
	alloc_fail_after(-1);
	assert_null(q);
	assert_string_equal(p, "keep me");
	q = xrealloc(p, 4096);
	assert_non_null(q);
	assert_string_equal(q, "keep me");
	xfree(q);

	/* disarming works after arming */
	alloc_fail_after(5);
	alloc_fail_after(-7);
	for (int i = 0; i < 20; i++) {
		void *m = xmalloc(4);
		assert_non_null(m);
		xfree(m);
	}
}

static void alloc_json_goes_through_wrappers(void **state)
{
	(void)state;
	/* alloc_install_json ran in main: jansson fails when we say so */
	alloc_fail_after(0);
	json_t *o = json_object();
	alloc_fail_after(-1);
	assert_null(o);

	/* parsing under failure at every position returns NULL, never crashes or leaks */
	const char *text = "{\"name\": \"Acme\", \"tags\": [1, 2, {\"x\": null}], \"k\": \"v\"}";
	bool parsed = false;
	for (long n = 0; n < 200 && !parsed; n++) {
		json_error_t err;
		alloc_fail_after(n);
		json_t *v = json_loads(text, 0, &err);
		alloc_fail_after(-1);
		if (v) {
			parsed = true;
			assert_string_equal(json_string_value(json_object_get(v, "name")), "Acme");
			json_decref(v);
		}
	}
	assert_true(parsed);
}

/* The expected text of the builder scenario below. */
static char *expected_numbers(void)
{
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 300; i++)
		buf_addf(&b, "%d,", i);
	return buf_take(&b);
}

/* Every allocation failing in turn: the builder says so, frees itself, never crashes. */
static void alloc_failure_buf(void **state)
{
	(void)state;
	char *want = expected_numbers();
	assert_non_null(want);
	long n;
	bool completed = false;
	for (n = 0; n < 1000 && !completed; n++) {
		struct buf b;
		buf_init(&b, 0);
		alloc_fail_after(n);
		int first_failure = -1;
		for (int i = 0; i < 300; i++) {
			int rc = buf_addf(&b, "%d,", i);
			if (rc < 0 && first_failure < 0)
				first_failure = i;
			/* once failed, every later append fails too */
			if (first_failure >= 0)
				assert_int_equal(rc, -1);
		}
		alloc_fail_after(-1);
		if (first_failure >= 0) {
			assert_true(b.failed);
			assert_null(b.data);
			assert_int_equal(b.len, 0);
			assert_string_equal(buf_str(&b), "");
			assert_null(buf_take(&b));
			/* and it recovers on reset */
			buf_reset(&b);
			assert_int_equal(buf_addstr(&b, "ok"), 0);
			assert_string_equal(buf_str(&b), "ok");
		} else {
			completed = true;
			assert_false(b.failed);
			assert_string_equal(buf_str(&b), want);
		}
		buf_release(&b);
	}
	assert_true(completed);
	assert_true(n > 1);	/* at least one position actually failed */
	xfree(want);

	/* buf_take of an empty buffer when the copy cannot be made: NULL, no crash */
	struct buf e;
	buf_init(&e, 0);
	alloc_fail_after(0);
	char *t = buf_take(&e);
	alloc_fail_after(-1);
	assert_null(t);
	buf_release(&e);
}

/* Every allocation failing in turn: the arena hands out NULL, keeps what it gave, never crashes. */
static void alloc_failure_arena(void **state)
{
	(void)state;
	enum { STEPS = 60 };
	bool completed = false;
	long n;
	for (n = 0; n < 1000 && !completed; n++) {
		struct arena a;
		arena_init(&a);
		unsigned char *ptrs[STEPS];
		size_t sizes[STEPS];
		int nulls = 0;
		alloc_fail_after(n);
		for (int i = 0; i < STEPS; i++) {
			/* small, medium and chunk-sized-or-bigger allocations interleaved */
			sizes[i] = (size_t)(i % 3 == 0 ? 9000 + i : i % 3 == 1 ? 700 : 24);
			ptrs[i] = arena_alloc(&a, sizes[i]);
			if (ptrs[i])
				memset(ptrs[i], i, sizes[i]);
			else
				nulls++;
		}
		char *s = arena_strdup(&a, "tail");
		char *f = arena_printf(&a, "%d-%s", 5, "five");
		alloc_fail_after(-1);
		if (s)
			assert_string_equal(s, "tail");
		if (f)
			assert_string_equal(f, "5-five");
		/* what was handed out is intact: no allocation overlapped another */
		for (int i = 0; i < STEPS; i++) {
			if (!ptrs[i])
				continue;
			assert_int_equal(ptrs[i][0], (unsigned char)i);
			assert_int_equal(ptrs[i][sizes[i] - 1], (unsigned char)i);
		}
		/* with memory back, the same arena works again */
		char *after = arena_printf(&a, "%s", "recovered");
		assert_string_equal(after, "recovered");
		if (nulls == 0 && s && f)
			completed = true;
		arena_release(&a);
		assert_int_equal(a.total, 0);
	}
	assert_true(completed);
	assert_true(n > 1);
}

/* ---- time ---- */

static void time_format_known_values(void **state)
{
	(void)state;
	char out[TIME_RFC3339_LEN];
	struct {
		int64_t t;
		const char *s;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00Z" },
		{ 1, "1970-01-01T00:00:01Z" },
		{ 86399, "1970-01-01T23:59:59Z" },
		{ 86400, "1970-01-02T00:00:00Z" },
		{ -1, "1969-12-31T23:59:59Z" },
		{ -86400, "1969-12-31T00:00:00Z" },
		{ -86401, "1969-12-30T23:59:59Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 951868799, "2000-02-29T23:59:59Z" },
		{ 951868800, "2000-03-01T00:00:00Z" },
		{ 1709164800, "2024-02-29T00:00:00Z" },
		{ 1795000000, "2026-11-18T11:06:40Z" },
		{ 4102444799, "2099-12-31T23:59:59Z" },
		{ 4102444800, "2100-01-01T00:00:00Z" },
		{ 4107542400, "2100-03-01T00:00:00Z" },	/* 2100 is not a leap year */
		{ 253402300799, "9999-12-31T23:59:59Z" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		memset(out, 'x', sizeof(out));
		time_format(cases[i].t, out);
		assert_string_equal(out, cases[i].s);
		assert_int_equal(strlen(out), 20);
	}
	/* out of the 4-digit range: clamped, still 20 characters, no UB */
	time_format(253402300800, out);
	assert_int_equal(strlen(out), 20);
	time_format(INT64_MAX, out);
	assert_string_equal(out, "9999-12-31T23:59:59Z");
	time_format(INT64_MIN, out);
	assert_string_equal(out, "0000-01-01T00:00:00Z");
	time_format(-62167219201, out);	/* one second before year 0 */
	assert_int_equal(strlen(out), 20);
}

static void time_round_trips(void **state)
{
	(void)state;
	char out[TIME_RFC3339_LEN];
	int64_t samples[] = { 0, 1, 59, 3600, 86399, 86400, 951782400, 1709251199, 1709251200,
			      1795000000, 1798761599, 4102444799, -1, -86400 };
	for (size_t i = 0; i < N_ELEMS(samples); i++) {
		int64_t t = 12345;
		time_format(samples[i], out);
		assert_int_equal(time_parse(out, &t), 0);
		assert_int_equal(t, samples[i]);
	}
	/* every day of a leap year and a common year survives the round trip */
	for (int64_t t = 1704067200; t < 1767225600; t += 86400 - 1) {
		int64_t back;
		time_format(t, out);
		assert_int_equal(time_parse(out, &back), 0);
		assert_int_equal(back, t);
	}
}

static void time_parse_offsets_and_forms(void **state)
{
	(void)state;
	struct {
		const char *in, *utc;
	} cases[] = {
		{ "2026-11-22T14:05:00Z", "2026-11-22T14:05:00Z" },
		{ "2026-11-22T14:05:00+01:00", "2026-11-22T13:05:00Z" },
		{ "2026-11-22T14:05:00-05:30", "2026-11-22T19:35:00Z" },
		{ "2026-11-22T14:05:00+00:00", "2026-11-22T14:05:00Z" },
		{ "2026-11-22T14:05:00-00:00", "2026-11-22T14:05:00Z" },
		{ "2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z" },	/* back a year */
		{ "2025-12-31T23:30:00-01:00", "2026-01-01T00:30:00Z" },	/* forward a year */
		{ "2024-03-01T00:00:00+00:01", "2024-02-29T23:59:00Z" },	/* into a leap day */
		{ "2026-11-22T14:05:00+23:59", "2026-11-21T14:06:00Z" },
		{ "2026-11-22t14:05:00.123456z", "2026-11-22T14:05:00Z" },	/* fraction dropped */
		{ "2026-11-22T14:05:00.999999999Z", "2026-11-22T14:05:00Z" },	/* never rounds up */
		{ "2026-11-22T14:05:00.5+02:00", "2026-11-22T12:05:00Z" },
		{ "2026-11-22 14:05:00Z", "2026-11-22T14:05:00Z" },
		{ "2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z" },		/* leap second */
		{ "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z" },
		{ "1970-01-01T00:00:00+01:00", "1969-12-31T23:00:00Z" },
		{ "2099-12-31T23:59:59Z", "2099-12-31T23:59:59Z" },
		{ "2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z" },
		{ "2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z" },
	};
	char out[TIME_RFC3339_LEN];
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		int64_t t;
		if (time_parse(cases[i].in, &t) != 0)
			fail_msg("refused \"%s\"", cases[i].in);
		time_format(t, out);
		if (strcmp(out, cases[i].utc) != 0)
			fail_msg("\"%s\" gave %s, not %s", cases[i].in, out, cases[i].utc);
	}
}

static void time_parse_refuses(void **state)
{
	(void)state;
	const char *bad[] = {
		"",
		"2026-11-22",				/* a date is not a time */
		"2026-11-22T14:05:00",			/* missing Z */
		"2026-11-22T14:05:00.123",		/* fraction but no zone */
		"2026-11-22T14:05Z",			/* no seconds */
		"2026-11-22T14:05:0Z",
		"2026-13-01T00:00:00Z",			/* month 13 */
		"2026-00-01T00:00:00Z",			/* month 0 */
		"2026-11-00T00:00:00Z",			/* day 0 */
		"2026-11-31T00:00:00Z",			/* November 31 */
		"2026-02-29T00:00:00Z",			/* not a leap year */
		"2100-02-29T00:00:00Z",			/* century, not leap */
		"2026-11-22T24:00:00Z",			/* hour 24 */
		"2026-11-22T14:60:00Z",			/* minute 60 */
		"2026-11-22T14:05:61Z",			/* second 61 */
		"2026-11-22T14:05:00Zjunk",		/* trailing junk */
		"2026-11-22T14:05:00Z ",
		"2026-11-22T14:05:00+01:00x",
		"2026-11-22T14:05:00+01:00Z",
		"2026-11-22T14:05:00+1:00",		/* short offset */
		"2026-11-22T14:05:00+0100",		/* offset without colon */
		"2026-11-22T14:05:00+01",
		"2026-11-22T14:05:00+01:0",
		"2026-11-22T14:05:00+24:00",		/* offset hour 24 */
		"2026-11-22T14:05:00+01:60",		/* offset minute 60 */
		"2026-11-22T14:05:00.Z",		/* empty fraction */
		"2026-11-22T14:05:00,5Z",		/* comma fraction */
		"2026-11-22X14:05:00Z",			/* bad separator */
		"26-11-22T14:05:00Z",			/* two-digit year */
		"2026/11/22T14:05:00Z",
		" 2026-11-22T14:05:00Z",		/* leading space */
		"2026-11-22T14:05:00z+01:00",
		"+2026-11-22T14:05:00Z",
		"2026-1a-22T14:05:00Z",
		"2026-11-22T1:05:00Z ",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		int64_t t = 777;
		if (time_parse(bad[i], &t) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(t, 777);	/* out-parameter untouched on failure */
	}
}

static void dates(void **state)
{
	(void)state;
	const char *good[] = { "2024-02-29", "2000-02-29", "2026-12-31", "2026-01-01",
			       "1970-01-01", "2099-12-31", "2026-04-30", "0001-01-01" };
	for (size_t i = 0; i < N_ELEMS(good); i++)
		if (!date_valid(good[i]))
			fail_msg("refused %s", good[i]);
	const char *bad[] = { "2023-02-29", "1900-02-29", "2100-02-29", "2026-12-32",
			      "2026-04-31", "2026-00-10", "2026-13-10", "2026-01-00",
			      "2026-1-10", "2026-01-1", "2026-01-10T00:00:00Z", "", "2026-01-10 ",
			      " 2026-01-10", "2026/01/10", "20260110", "2026-01-1x", "abcd-ef-gh",
			      "2026-02-30" };
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		if (date_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(days_from_civil(1970, 1, 1), 0);
	assert_int_equal(days_from_civil(1970, 1, 2), 1);
	assert_int_equal(days_from_civil(1969, 12, 31), -1);
	assert_int_equal(days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(days_from_civil(2000, 2, 29), 11016);
	assert_int_equal(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28), 2);
	assert_int_equal(days_from_civil(2023, 3, 1) - days_from_civil(2023, 2, 28), 1);
	assert_int_equal(days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28), 1);
	assert_int_equal(days_from_civil(2026, 1, 1) - days_from_civil(2025, 1, 1), 365);
	assert_int_equal(days_from_civil(2025, 1, 1) - days_from_civil(2024, 1, 1), 366);
}

static void time_now_is_sane(void **state)
{
	(void)state;
	int64_t now = time_now();
	assert_true(now > 1700000000);		/* after 2023 */
	int64_t a = time_mono_ns();
	int64_t b = time_mono_ns();
	assert_true(b >= a);
}

#ifdef SERVIO_TEST_HOOKS
/* time_now() minus the real clock, in whole seconds (one more when a second turns between). */
static int64_t ahead(void)
{
	int64_t before = (int64_t)time(NULL);
	return time_now() - before;
}

static void assert_ahead(int64_t want)
{
	int64_t got = ahead();
	if (got < want - 1 || got > want + 1)
		fail_msg("time_now() is %lld s off the real clock, want %lld", (long long)got,
			 (long long)want);
}

static void clock_offset(void **state)
{
	(void)state;
	assert_int_equal(time_offset(), 0);
	assert_ahead(0);
	assert_int_equal(time_offset_set(3600), 0);
	assert_int_equal(time_offset(), 3600);
	assert_ahead(3600);
	assert_int_equal(time_offset_set(-86400 * 30), 0);
	assert_ahead(-86400 * 30);
	/* a century either way, not more; a refusal leaves the offset alone */
	assert_int_equal(time_offset_set(TIME_OFFSET_MAX), 0);
	assert_int_equal(time_offset_set(-TIME_OFFSET_MAX), 0);
	assert_int_equal(time_offset_set(TIME_OFFSET_MAX + 1), -1);
	assert_int_equal(time_offset_set(-TIME_OFFSET_MAX - 1), -1);
	assert_int_equal(time_offset_set(INT64_MIN), -1);
	assert_int_equal(time_offset(), -TIME_OFFSET_MAX);
	assert_int_equal(time_offset_set(0), 0);
	assert_ahead(0);
}

static void clock_offset_and_pretend(void **state)
{
	(void)state;
	/* servio demo's pretended time wins over the offset, and the offset comes back after */
	assert_int_equal(time_offset_set(600), 0);
	time_pretend(1700000000);
	assert_int_equal(time_now(), 1700000000);
	time_pretend(0);
	assert_ahead(600);
	assert_int_equal(time_offset_set(0), 0);
}

static void clock_offset_from_env(void **state)
{
	(void)state;
	char err[160];
	unsetenv(TIME_OFFSET_ENV);
	assert_int_equal(time_offset_from_env(err, sizeof(err)), 0);
	assert_int_equal(time_offset(), 0);
	static const struct {
		const char *value;
		int64_t offset;
	} good[] = {
		{ "120", 120 }, { "-86400", -86400 }, { "+5", 5 }, { "0", 0 },
		{ "3162240000", TIME_OFFSET_MAX }, { "-3162240000", -TIME_OFFSET_MAX },
	};
	for (size_t i = 0; i < N_ELEMS(good); i++) {
		setenv(TIME_OFFSET_ENV, good[i].value, 1);
		if (time_offset_from_env(err, sizeof(err)) != 0)
			fail_msg("%s refused: %s", good[i].value, err);
		assert_int_equal(time_offset(), good[i].offset);
	}
	assert_int_equal(time_offset_set(42), 0);
	/* empty is absent: the offset stays */
	setenv(TIME_OFFSET_ENV, "", 1);
	assert_int_equal(time_offset_from_env(err, sizeof(err)), 0);
	assert_int_equal(time_offset(), 42);
	static const char *const bad[] = {
		"abc", "12x", " 5", "5 ", "1e3", "1.5", "-", "+", "3162240001", "-3162240001",
		"99999999999999999999",
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		setenv(TIME_OFFSET_ENV, bad[i], 1);
		err[0] = '\0';
		if (time_offset_from_env(err, sizeof(err)) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_non_null(strstr(err, TIME_OFFSET_ENV));
		assert_int_equal(time_offset(), 42);
	}
	unsetenv(TIME_OFFSET_ENV);
	assert_int_equal(time_offset_set(0), 0);
}

struct clock_reader {
	atomic_int *stop;
	int bad;
};

/* Every time_now() is the real clock or the real clock plus the one offset used. */
static void *read_clock(void *arg)
{
	struct clock_reader *r = arg;
	for (int i = 0; i < 1000000; i++) {
		int64_t off = ahead();
		if (!(off >= -1 && off <= 1) && !(off >= 999999 && off <= 1000001))
			r->bad++;
		if (atomic_load(r->stop))
			break;
	}
	return NULL;
}

static void clock_offset_across_threads(void **state)
{
	(void)state;
	atomic_int stop = 0;
	struct clock_reader r[4];
	pthread_t th[4];
	for (size_t i = 0; i < N_ELEMS(r); i++) {
		r[i] = (struct clock_reader){ .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, read_clock, &r[i]), 0);
	}
	for (int i = 0; i < 20000; i++)
		assert_int_equal(time_offset_set(i % 2 ? 1000000 : 0), 0);
	atomic_store(&stop, 1);
	for (size_t i = 0; i < N_ELEMS(r); i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(r[i].bad, 0);
	}
	/* the threads see the last setting */
	assert_int_equal(time_offset_set(0), 0);
	assert_ahead(0);
}
#endif

/* ---- UTF-8 ---- */

static void utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid(""));
	assert_true(utf8_valid("plain"));
	assert_true(utf8_valid("Café ångström 日本 😀"));
	assert_true(utf8_valid("\xf4\x8f\xbf\xbf"));	/* U+10FFFF */
	assert_true(utf8_valid("\xed\x9f\xbf"));	/* U+D7FF, just below surrogates */
	assert_false(utf8_valid("\xff"));
	assert_false(utf8_valid("\xc3"));		/* truncated */
	assert_false(utf8_valid("\xe6\x97"));		/* truncated three-byte */
	assert_false(utf8_valid("\xc0\xaf"));		/* overlong '/' */
	assert_false(utf8_valid("\xc1\xbf"));		/* overlong */
	assert_false(utf8_valid("\xe0\x80\xaf"));	/* overlong */
	assert_false(utf8_valid("\xf0\x80\x80\xaf"));	/* overlong */
	assert_false(utf8_valid("\xed\xa0\x80"));	/* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80"));	/* above U+10FFFF */
	assert_false(utf8_valid("\xf8\x88\x80\x80\x80"));	/* five bytes */
	assert_false(utf8_valid("a\x80z"));		/* stray continuation */
}

/* ---- log levels ---- */

static void log_levels(void **state)
{
	(void)state;
	enum log_level l = LOG_LEVEL__MAX;
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_DEBUG);
	assert_int_equal(log_level_parse("info", &l), 0);
	assert_int_equal(l, LOG_INFO);
	assert_int_equal(log_level_parse("warn", &l), 0);
	assert_int_equal(l, LOG_WARN);
	assert_int_equal(log_level_parse("error", &l), 0);
	assert_int_equal(l, LOG_ERROR);
	const char *bad[] = { "", "verbose", "warning", "err", "info ", "debug\n", "fatal" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		l = LOG_WARN;
		assert_int_equal(log_level_parse(bad[i], &l), -1);
		assert_int_equal(l, LOG_WARN);	/* untouched */
	}
	enum log_level saved = log_get_level();
	log_set_level(LOG_ERROR);
	assert_int_equal(log_get_level(), LOG_ERROR);
	log_debug("not shown %d", 1);	/* below the level: must be a no-op */
	log_set_level(saved);
	assert_int_equal(log_get_level(), saved);
}

/* ---- configuration ---- */

static const char *const conf_env[] = {
	"SERVIO_DATA_DIR", "SERVIO_LISTEN", "SERVIO_DATABASE_URL", "SERVIO_LOG_LEVEL",
	"SERVIO_WEB_ROOT", "SERVIO_ADMIN_EMAIL", "SERVIO_ADMIN_PASSWORD", "SERVIO_THREADS",
	"SERVIO_MAX_BODY", "SERVIO_SESSION_IDLE_MINUTES", "SERVIO_SESSION_MAX_HOURS",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEMS(conf_env); i++)
		unsetenv(conf_env[i]);
	return 0;
}

static void conf_defaults(void **state)
{
	(void)state;
	struct conf c;
	conf_init(&c);
	assert_string_equal(c.data_dir, "var");
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_null(c.database_url);
	assert_string_equal(c.log_level, "info");
	assert_string_equal(c.web_root, "web/dist");
	assert_null(c.admin_email);
	assert_null(c.admin_password);
	assert_int_equal(c.threads, 0);	/* picked by conf_validate, by database */
	assert_int_equal(c.max_body, 1024 * 1024);
	assert_int_equal(c.session_idle_minutes, 120);
	assert_int_equal(c.session_max_hours, 24 * 7);

	char err[256] = "";
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	/* SQLite: one HTTP thread a core, at least two; PostgreSQL: four a core */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cores = cores > 0 ? cores : 2;
	assert_int_equal(c.threads, cores < 2 ? 2u : (unsigned)cores);
	struct conf pg;
	conf_init(&pg);
	pg.database_url = "postgres://servio@db.internal/servio";
	assert_int_equal(conf_validate(&pg, err, sizeof(err)), 0);
	assert_int_equal(pg.threads, (unsigned)cores * 4);
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.listen_port, 8080);
	assert_string_equal(c.database_url, "sqlite:var/servio.db");
	assert_non_null(strstr(conf_flags_help, "--data-dir"));
	assert_non_null(strstr(conf_flags_help, "--max-body"));
}

static void conf_from_environment(void **state)
{
	(void)state;
	setenv("SERVIO_DATA_DIR", "/srv/servio", 1);
	setenv("SERVIO_LISTEN", "0.0.0.0:9999", 1);
	setenv("SERVIO_LOG_LEVEL", "debug", 1);
	setenv("SERVIO_WEB_ROOT", "/srv/www", 1);
	setenv("SERVIO_ADMIN_EMAIL", "admin@example.com", 1);
	setenv("SERVIO_ADMIN_PASSWORD", "secret", 1);
	setenv("SERVIO_THREADS", "3", 1);
	setenv("SERVIO_MAX_BODY", "2048", 1);
	setenv("SERVIO_SESSION_IDLE_MINUTES", "15", 1);
	setenv("SERVIO_SESSION_MAX_HOURS", "48", 1);
	struct conf c;
	conf_init(&c);
	assert_string_equal(c.data_dir, "/srv/servio");
	assert_string_equal(c.listen, "0.0.0.0:9999");
	assert_string_equal(c.log_level, "debug");
	assert_string_equal(c.web_root, "/srv/www");
	assert_string_equal(c.admin_email, "admin@example.com");
	assert_string_equal(c.admin_password, "secret");
	char err[256] = "";
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(c.threads, 3);
	assert_int_equal(c.max_body, 2048);
	assert_int_equal(c.session_idle_minutes, 15);
	assert_int_equal(c.session_max_hours, 48);
	assert_string_equal(c.database_url, "sqlite:/srv/servio/servio.db");
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 9999);

	/* empty variables mean the default */
	clear_env(NULL);
	setenv("SERVIO_DATA_DIR", "", 1);
	setenv("SERVIO_THREADS", "", 1);
	conf_init(&c);
	assert_string_equal(c.data_dir, "var");
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	clear_env(NULL);

	setenv("SERVIO_DATABASE_URL", "postgres://u@h/db", 1);
	conf_init(&c);
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	assert_string_equal(c.database_url, "postgres://u@h/db");
	clear_env(NULL);
}

/* A bad numeric environment value is refused by conf_validate, naming the variable. */
static void conf_bad_environment(void **state)
{
	(void)state;
	struct {
		const char *name, *value;
	} cases[] = {
		{ "SERVIO_THREADS", "abc" },	   { "SERVIO_THREADS", "0" },
		{ "SERVIO_THREADS", "1025" },	   { "SERVIO_THREADS", "-4" },
		{ "SERVIO_THREADS", "4x" },	   { "SERVIO_THREADS", "+4" },
		{ "SERVIO_THREADS", "4 " },	   { "SERVIO_THREADS", "99999999999999999999999" },
		{ "SERVIO_MAX_BODY", "1023" },	   { "SERVIO_MAX_BODY", "1073741825" },
		{ "SERVIO_MAX_BODY", "1MB" },	   { "SERVIO_SESSION_IDLE_MINUTES", "0" },
		{ "SERVIO_SESSION_IDLE_MINUTES", "43201" },
		{ "SERVIO_SESSION_MAX_HOURS", "0" }, { "SERVIO_SESSION_MAX_HOURS", "8761" },
		{ "SERVIO_SESSION_MAX_HOURS", "1.5" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		clear_env(NULL);
		setenv(cases[i].name, cases[i].value, 1);
		struct conf c;
		conf_init(&c);
		char err[256] = "";
		if (conf_validate(&c, err, sizeof(err)) != -1)
			fail_msg("%s=%s accepted", cases[i].name, cases[i].value);
		if (!strstr(err, cases[i].name))
			fail_msg("%s=%s: message \"%s\" does not name it", cases[i].name,
				 cases[i].value, err);
	}
	clear_env(NULL);
	/* the bounds themselves are fine */
	setenv("SERVIO_THREADS", "1024", 1);
	setenv("SERVIO_MAX_BODY", "1073741824", 1);
	setenv("SERVIO_SESSION_IDLE_MINUTES", "43200", 1);
	setenv("SERVIO_SESSION_MAX_HOURS", "8760", 1);
	struct conf c;
	conf_init(&c);
	char err[256] = "";
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(c.threads, 1024);
	assert_int_equal(c.max_body, 1073741824);
	clear_env(NULL);
}

static void conf_string_flags(void **state)
{
	(void)state;
	struct conf c;
	conf_init(&c);
	char err[256];
	struct {
		const char *flag, *value;
		const char **slot;
	} cases[] = {
		{ "--data-dir", "/data", &c.data_dir },
		{ "--listen", "[::1]:9000", &c.listen },
		{ "--database-url", "sqlite:/tmp/x.db", &c.database_url },
		{ "--log-level", "warn", &c.log_level },
		{ "--web-root", "/www", &c.web_root },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		assert_int_equal(conf_flag(&c, cases[i].flag, cases[i].value, err, sizeof(err)), 1);
		assert_string_equal(*cases[i].slot, cases[i].value);
		/* a flag with no value is an error naming the flag */
		err[0] = '\0';
		assert_int_equal(conf_flag(&c, cases[i].flag, NULL, err, sizeof(err)), -1);
		assert_non_null(strstr(err, cases[i].flag));
		err[0] = '\0';
		assert_int_equal(conf_flag(&c, cases[i].flag, "", err, sizeof(err)), -1);
		assert_non_null(strstr(err, cases[i].flag));
		assert_string_equal(*cases[i].slot, cases[i].value);	/* unchanged */
	}
	/* not ours: 0, nothing changed */
	assert_int_equal(conf_flag(&c, "--verbose", "1", err, sizeof(err)), 0);
	assert_int_equal(conf_flag(&c, "--data", "/x", err, sizeof(err)), 0);
	assert_int_equal(conf_flag(&c, "data-dir", "/x", err, sizeof(err)), 0);
	assert_int_equal(conf_flag(&c, "--no-worker", NULL, err, sizeof(err)), 0);
	assert_string_equal(c.data_dir, "/data");
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	assert_string_equal(c.listen_host, "::1");
	assert_int_equal(c.listen_port, 9000);
	assert_string_equal(c.database_url, "sqlite:/tmp/x.db");
}

static void conf_number_flags(void **state)
{
	(void)state;
	struct conf c;
	conf_init(&c);
	char err[256];
	assert_int_equal(conf_flag(&c, "--threads", "1", err, sizeof(err)), 1);
	assert_int_equal(c.threads, 1);
	assert_int_equal(conf_flag(&c, "--threads", "1024", err, sizeof(err)), 1);
	assert_int_equal(c.threads, 1024);
	const char *bad_threads[] = { "0", "1025", "-1", "+2", "abc", "4x", "4 ", "",
				      "1e3", "0x10", "18446744073709551617" };
	for (size_t i = 0; i < N_ELEMS(bad_threads); i++) {
		err[0] = '\0';
		if (conf_flag(&c, "--threads", bad_threads[i], err, sizeof(err)) != -1)
			fail_msg("--threads \"%s\" accepted", bad_threads[i]);
		assert_non_null(strstr(err, "--threads"));
		assert_int_equal(c.threads, 1024);	/* unchanged */
	}
	assert_int_equal(conf_flag(&c, "--max-body", "1024", err, sizeof(err)), 1);
	assert_int_equal(c.max_body, 1024);
	assert_int_equal(conf_flag(&c, "--max-body", "1073741824", err, sizeof(err)), 1);
	assert_int_equal(c.max_body, 1073741824);
	const char *bad_body[] = { "1023", "0", "1073741825", "-5", "1k", "", "abc",
				   "99999999999999999999999" };
	for (size_t i = 0; i < N_ELEMS(bad_body); i++) {
		err[0] = '\0';
		if (conf_flag(&c, "--max-body", bad_body[i], err, sizeof(err)) != -1)
			fail_msg("--max-body \"%s\" accepted", bad_body[i]);
		assert_non_null(strstr(err, "--max-body"));
		assert_int_equal(c.max_body, 1073741824);
	}
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	assert_int_equal(c.threads, 1024);
	assert_int_equal(c.max_body, 1073741824);
}

/* conf.h: "defaults, then SERVIO_* environment variables, then command-line flags (flags win)". */
static void conf_flags_win_over_environment(void **state)
{
	(void)state;
	setenv("SERVIO_LISTEN", "127.0.0.1:1111", 1);
	setenv("SERVIO_LOG_LEVEL", "error", 1);
	setenv("SERVIO_THREADS", "8", 1);
	setenv("SERVIO_MAX_BODY", "4096", 1);
	struct conf c;
	conf_init(&c);
	char err[256] = "";
	assert_int_equal(conf_flag(&c, "--listen", "127.0.0.1:2222", err, sizeof(err)), 1);
	assert_int_equal(conf_flag(&c, "--log-level", "debug", err, sizeof(err)), 1);
	assert_int_equal(conf_flag(&c, "--threads", "2", err, sizeof(err)), 1);
	assert_int_equal(conf_flag(&c, "--max-body", "8192", err, sizeof(err)), 1);
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	clear_env(NULL);
	assert_int_equal(c.listen_port, 2222);
	assert_string_equal(c.log_level, "debug");
	/* the numeric flags must win too */
	if (c.threads != 2)
		fail_msg("--threads 2 lost to SERVIO_THREADS=8: threads is %u", c.threads);
	if (c.max_body != 8192)
		fail_msg("--max-body 8192 lost to SERVIO_MAX_BODY=4096: max_body is %zu",
			 c.max_body);
}

static void conf_listen_addresses(void **state)
{
	(void)state;
	struct {
		const char *listen, *host;
		unsigned port;
	} good[] = {
		{ "127.0.0.1:8080", "127.0.0.1", 8080 },
		{ "[::1]:9000", "::1", 9000 },
		{ "[::]:443", "::", 443 },
		{ ":8080", "0.0.0.0", 8080 },
		{ "localhost:1", "127.0.0.1", 1 },
		{ "0.0.0.0:65535", "0.0.0.0", 65535 },
		{ "example.com:80", "example.com", 80 },
	};
	for (size_t i = 0; i < N_ELEMS(good); i++) {
		struct conf c;
		conf_init(&c);
		c.listen = good[i].listen;
		char err[256] = "";
		if (conf_validate(&c, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", good[i].listen, err);
		assert_string_equal(c.listen_host, good[i].host);
		assert_int_equal(c.listen_port, good[i].port);
	}
	char longhost[200];
	memset(longhost, 'h', 100);
	strcpy(longhost + 100, ":80");
	const char *bad[] = { "nonsense", "127.0.0.1:70000", "127.0.0.1:65536", "127.0.0.1:",
			      "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x", "127.0.0.1:http",
			      "", "[::1]", longhost };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		struct conf c;
		conf_init(&c);
		c.listen = bad[i];
		char err[256] = "";
		if (conf_validate(&c, err, sizeof(err)) != -1)
			fail_msg("listen \"%s\" accepted", bad[i]);
		assert_non_null(strstr(err, "listen"));
	}
}

static void conf_log_level_and_dirs(void **state)
{
	(void)state;
	const char *levels[] = { "debug", "info", "warn", "error" };
	for (size_t i = 0; i < N_ELEMS(levels); i++) {
		struct conf c;
		conf_init(&c);
		c.log_level = levels[i];
		char err[256];
		assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	}
	const char *bad_levels[] = { "verbose", "", "warning", "Info " };
	for (size_t i = 0; i < N_ELEMS(bad_levels); i++) {
		struct conf c;
		conf_init(&c);
		c.log_level = bad_levels[i];
		char err[256] = "";
		assert_int_equal(conf_validate(&c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "log level"));
	}
	/* the bad log level from the environment is caught too */
	setenv("SERVIO_LOG_LEVEL", "loud", 1);
	struct conf c;
	conf_init(&c);
	char err[256] = "";
	assert_int_equal(conf_validate(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "loud"));
	clear_env(NULL);

	/* an empty data directory is refused */
	conf_init(&c);
	c.data_dir = "";
	assert_int_equal(conf_validate(&c, err, sizeof(err)), -1);

	/* the default database follows the data directory */
	conf_init(&c);
	assert_int_equal(conf_flag(&c, "--data-dir", "/tmp/dir", err, sizeof(err)), 1);
	assert_int_equal(conf_validate(&c, err, sizeof(err)), 0);
	assert_string_equal(c.database_url, "sqlite:/tmp/dir/servio.db");
	assert_ptr_equal(c.database_url, c.db_url_buf);

	/* a data directory too long for the URL buffer is refused, not truncated */
	static char long_dir[1100];
	memset(long_dir, 'd', sizeof(long_dir) - 1);
	long_dir[0] = '/';
	conf_init(&c);
	c.data_dir = long_dir;
	err[0] = '\0';
	assert_int_equal(conf_validate(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
}

static void conf_database_urls(void **state)
{
	(void)state;
	const char *good[] = { "sqlite:/tmp/t.db", "sqlite:relative.db", "postgres://u:p@h:5432/d",
			       "postgresql://localhost/servio" };
	for (size_t i = 0; i < N_ELEMS(good); i++) {
		struct conf c;
		conf_init(&c);
		c.database_url = good[i];
		char err[256] = "";
		if (conf_validate(&c, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", good[i], err);
		assert_string_equal(c.database_url, good[i]);
	}
	const char *bad[] = { "mysql://x", "", "postgres:/x", "/var/servio.db",
			      "http://db" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		struct conf c;
		conf_init(&c);
		c.database_url = bad[i];
		char err[256] = "";
		if (conf_validate(&c, err, sizeof(err)) != -1)
			fail_msg("database URL \"%s\" accepted", bad[i]);
		assert_non_null(strstr(err, "database URL"));
	}
	/* the message survives a small error buffer (truncated, terminated) */
	struct conf c;
	conf_init(&c);
	c.database_url = "mysql://x";
	char small[8];
	memset(small, 'x', sizeof(small));
	assert_int_equal(conf_validate(&c, small, sizeof(small)), -1);
	assert_int_equal(small[sizeof(small) - 1], '\0');
}

/* ---- json_write: json_dumps's bytes ---- */

/* v written by json_write is byte for byte json_dumps(v, COMPACT | ENCODE_ANY). */
static void same_as_jansson(json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_non_null(want);
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	assert_int_equal(json_write(&b, v), 0);
	assert_string_equal(buf_str(&b), want);
	assert_int_equal(b.len, strlen(want));
	buf_release(&b);
	xfree(want);
	/* and with sorted keys, as the audit log and the events keep records */
	want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	char *got = json_text_sorted(v);
	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	xfree(got);
	xfree(want);
}

static void json_write_matches_jansson(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"{}", "[]", "null", "true", "false", "0", "-1", "9223372036854775807",
		"-9223372036854775808", "\"\"", "\"plain\"", "[[], {}, [{}], {\"a\": []}]",
		"\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r bs \\b ff \\f\"",
		"\"ctl \\u0001 \\u001f \\u0000 del \\u007f\"",
		"\"caf\\u00e9 \\u20ac \\u2028 \\u2029 \\ud83d\\ude00 \xe6\x97\xa5\"",
		"{\"key \\\"q\\\"\": 1, \"\\n\": [true, false, null], \"\xc3\xa9\": {\"x\": -0}}",
		"1.5", "-0.0", "1e300", "[0.1, 2.5e-8, 100.0]", "{\"b\": 2, \"a\": 1, \"c\": 3}",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		json_error_t err;
		json_t *v = json_loads(texts[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (!v)
			fail_msg("cannot parse %s: %s", texts[i], err.text);
		same_as_jansson(v);
		json_decref(v);
	}
	/* members in the order they were set, as jansson dumps them */
	json_t *o = json_object();
	json_object_set_new(o, "zeta", json_integer(1));
	json_object_set_new(o, "alpha", json_stringn("a\0b", 3));
	json_object_set_new(o, "mid", json_null());
	json_object_del(o, "alpha");
	json_object_set_new(o, "alpha", json_string("again"));
	same_as_jansson(o);
	json_decref(o);
	/* sorted: keys that begin others, upper case before lower, nested, past 32 keys */
	o = json_object();
	static const char *const keys[] = { "ab", "a", "b", "B", "a_b", "aa", "", "\xc3\xa9", "_" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set_new(o, keys[i], json_pack("{s:i, s:[{s:n, s:n}]}", "z", (int)i, "y",
							  "d", "c"));
	for (int i = 40; i > 0; i--) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i * 7 % 41);
		json_object_set_new(o, key, json_integer(i));
	}
	same_as_jansson(o);
	json_decref(o);

	/* every byte value in a string, and strings of random characters */
	char all[256];
	for (int c = 1; c < 256; c++)
		all[c - 1] = (char)(c < 0x80 ? c : 'x');
	json_t *s = json_stringn(all, 255);
	assert_non_null(s);
	same_as_jansson(s);
	json_decref(s);
	unsigned seed = 7;
	for (int round = 0; round < 200; round++) {
		char text[64];
		size_t n = 0;
		while (n < 40) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) & 0x7fff;
			if (r % 5 == 0)
				text[n++] = (char)(r % 32);	/* a control character */
			else if (r % 5 == 1)
				text[n++] = "\"\\/"[r % 3];
			else if (r % 5 == 2 && n + 2 <= 40) {
				text[n++] = (char)0xc3;		/* é */
				text[n++] = (char)0xa9;
			} else
				text[n++] = (char)(' ' + r % 95);
		}
		json_t *arr = json_pack("[s#, {s#: I}]", text, (int)n, text, (int)n,
					(json_int_t)round * -977);
		assert_non_null(arr);
		same_as_jansson(arr);
		json_decref(arr);
	}
}

/* A capped buffer that cannot hold the text says so. */
static void json_write_fails_with_its_buffer(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:s}", "name", "a long enough value to pass sixteen bytes");
	struct buf b;
	buf_init(&b, 16);
	assert_int_equal(json_write(&b, v), -1);
	assert_true(b.failed);
	buf_release(&b);
	assert_int_equal(json_write(&b, NULL), -1);
	json_decref(v);
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_empty_is_never_null),
		cmocka_unit_test(buf_appends),
		cmocka_unit_test(buf_grows_and_stays_terminated),
		cmocka_unit_test(buf_vaddf_works),
		cmocka_unit_test(buf_reset_keeps_memory),
		cmocka_unit_test(buf_take_hands_over),
		cmocka_unit_test(buf_cap_reached),
		cmocka_unit_test(buf_cap_edges),
		cmocka_unit_test(spool_under_threshold_stays_in_memory),
		cmocka_unit_test(spool_spills_whole_pieces_in_order),
		cmocka_unit_test(spool_reset_starts_over),
		cmocka_unit_test(spool_failures_stick),
		cmocka_unit_test(arena_alignment),
		cmocka_unit_test(arena_zero_size_unique),
		cmocka_unit_test(arena_big_allocations),
		cmocka_unit_test(arena_impossible_sizes),
		cmocka_unit_test(arena_strings),
		cmocka_unit_test(arena_zalloc_zeroes),
		cmocka_unit_test(arena_many_allocations),
		cmocka_unit_test(arena_release_then_reuse),
		cmocka_unit_test(alloc_countdown),
		cmocka_unit_test(alloc_json_goes_through_wrappers),
		cmocka_unit_test(alloc_failure_buf),
		cmocka_unit_test(alloc_failure_arena),
		cmocka_unit_test(time_format_known_values),
		cmocka_unit_test(time_round_trips),
		cmocka_unit_test(time_parse_offsets_and_forms),
		cmocka_unit_test(time_parse_refuses),
		cmocka_unit_test(dates),
		cmocka_unit_test(time_now_is_sane),
#ifdef SERVIO_TEST_HOOKS
		cmocka_unit_test(clock_offset),
		cmocka_unit_test(clock_offset_and_pretend),
		cmocka_unit_test(clock_offset_from_env),
		cmocka_unit_test(clock_offset_across_threads),
#endif
		cmocka_unit_test(utf8),
		cmocka_unit_test(log_levels),
		cmocka_unit_test_setup_teardown(conf_defaults, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(conf_from_environment, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(conf_bad_environment, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(conf_string_flags, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(conf_number_flags, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(conf_flags_win_over_environment, clear_env,
						clear_env),
		cmocka_unit_test_setup_teardown(conf_listen_addresses, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(conf_log_level_and_dirs, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(conf_database_urls, clear_env, clear_env),
		cmocka_unit_test(json_write_matches_jansson),
		cmocka_unit_test(json_write_fails_with_its_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
