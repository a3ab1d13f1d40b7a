/*
 * test_core.c - the string builder, the arena, allocation failure, UTC
 * timestamps and UTF-8 validation.
 */
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "core/utf8.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void buf_appends(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_addstr(&b, "hello"), 0);
	assert_int_equal(buf_addch(&b, ' '), 0);
	assert_int_equal(buf_addf(&b, "%d-%s", 42, "x"), 0);
	assert_int_equal(buf_add(&b, "\0z", 2), 0);	/* binary safe: len counts it */
	assert_int_equal(b.len, 12);
	assert_string_equal(buf_str(&b), "hello 42-x");
	assert_int_equal(b.data[b.len], '\0');
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	for (int i = 0; i < 10000; i++)
		buf_addch(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.data[9999], 'a' + 9999 % 26);
	char *taken = buf_take(&b);
	assert_non_null(taken);
	assert_int_equal(strlen(taken), 10000);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	xfree(taken);
	/* taking an empty buffer gives "" not NULL */
	taken = buf_take(&b);
	assert_string_equal(taken, "");
	xfree(taken);
	buf_release(&b);
}

static void buf_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 10);
	assert_int_equal(buf_addstr(&b, "0123456789"), 0);	/* exactly the cap */
	assert_int_equal(b.len, 10);
	assert_int_equal(buf_addch(&b, 'x'), -1);		/* one past: fails */
	assert_true(b.failed);
	assert_null(b.data);					/* and frees itself */
	assert_int_equal(buf_addstr(&b, "y"), -1);		/* later appends are no-ops */
	assert_int_equal(buf_addf(&b, "%s", "z"), -1);
	assert_string_equal(buf_str(&b), "");
	assert_null(buf_take(&b));
	buf_reset(&b);						/* reset makes it usable again */
	assert_false(b.failed);
	assert_int_equal(buf_addstr(&b, "ok"), 0);
	assert_string_equal(buf_str(&b), "ok");
	buf_release(&b);

	buf_init(&b, 5);
	assert_int_equal(buf_addf(&b, "%s", "toolong"), -1);
	assert_true(b.failed);
	buf_release(&b);
}

static void arena_alloc_and_align(void **state)
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
	/* big ones beyond a chunk */
	char *big = arena_alloc(&a, 100000);
	assert_non_null(big);
	memset(big, 1, 100000);
	char *after = arena_alloc(&a, 16);	/* small ones still work after a big one */
	assert_non_null(after);
	memset(after, 2, 16);
	assert_int_equal(big[99999], 1);
	unsigned char *z = arena_zalloc(&a, 64);
	for (int i = 0; i < 64; i++)
		assert_int_equal(z[i], 0);
	assert_string_equal(arena_strdup(&a, "copy"), "copy");
	assert_string_equal(arena_strndup(&a, "copy", 2), "co");
	assert_string_equal(arena_printf(&a, "%s=%d", "n", 7), "n=7");
	char *long_text = arena_printf(&a, "%05000d", 1);
	assert_int_equal(strlen(long_text), 5000);
	assert_true(a.total > 100000);
	arena_release(&a);
	assert_int_equal(a.total, 0);
	/* reusable after release */
	assert_string_equal(arena_strdup(&a, "again"), "again");
	arena_release(&a);
}

/* Every allocation failing in turn: the builder and the arena say so and never crash. */
static void allocation_failure(void **state)
{
	(void)state;
	for (long n = 0; n < 40; n++) {
		struct buf b;
		buf_init(&b, 0);
		alloc_fail_after(n);
		int failed = 0;
		for (int i = 0; i < 200; i++)
			failed |= buf_addf(&b, "%d,", i) < 0;
		alloc_fail_after(-1);
		if (failed) {
			assert_true(b.failed);
			assert_null(b.data);
		} else {
			assert_false(b.failed);
			assert_true(b.len > 0);
		}
		buf_release(&b);

		struct arena a;
		arena_init(&a);
		alloc_fail_after(n);
		bool any_null = false;
		for (int i = 0; i < 50; i++) {
			char *p = arena_alloc(&a, (size_t)(i * 400));
			if (!p)
				any_null = true;
			else
				memset(p, 0, (size_t)(i * 400));
		}
		alloc_fail_after(-1);
		(void)any_null;
		arena_release(&a);
	}
	/* with injection off, nothing fails */
	char *s = xstrdup("fine");
	assert_string_equal(s, "fine");
	xfree(s);
	alloc_fail_after(0);
	assert_null(xmalloc(1));
	assert_null(xstrdup("x"));
	alloc_fail_after(-1);
}

static void time_round_trips(void **state)
{
	(void)state;
	char out[TIME_RFC3339_LEN];
	int64_t t;
	time_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	time_format(1795000000, out);
	assert_string_equal(out, "2026-11-18T11:06:40Z");
	assert_int_equal(time_parse(out, &t), 0);
	assert_int_equal(t, 1795000000);
	time_format(951782400, out);	/* a leap day */
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	time_format(4102444799, out);
	assert_string_equal(out, "2099-12-31T23:59:59Z");
	time_format(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59Z");

	assert_int_equal(time_parse("2026-11-22T14:05:00+01:00", &t), 0);
	time_format(t, out);
	assert_string_equal(out, "2026-11-22T13:05:00Z");
	assert_int_equal(time_parse("2026-11-22T14:05:00-05:30", &t), 0);
	time_format(t, out);
	assert_string_equal(out, "2026-11-22T19:35:00Z");
	assert_int_equal(time_parse("2026-11-22t14:05:00.123456z", &t), 0);
	time_format(t, out);
	assert_string_equal(out, "2026-11-22T14:05:00Z");
	assert_int_equal(time_parse("2026-11-22 14:05:00Z", &t), 0);
	assert_int_equal(time_parse("2016-12-31T23:59:60Z", &t), 0);	/* leap second */

	const char *bad[] = { "", "2026-11-22", "2026-11-22T14:05:00", "2026-13-01T00:00:00Z",
			      "2026-11-31T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-22T24:00:00Z",
			      "2026-11-22T14:60:00Z", "2026-11-22T14:05:00Zjunk",
			      "2026-11-22T14:05:00+1:00", "2026-11-22T14:05:00.Z",
			      "26-11-22T14:05:00Z", "2026/11/22T14:05:00Z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(time_parse(bad[i], &t), -1);
}

static void dates(void **state)
{
	(void)state;
	assert_true(date_valid("2024-02-29"));
	assert_false(date_valid("2023-02-29"));
	assert_false(date_valid("1900-02-29"));
	assert_true(date_valid("2000-02-29"));
	assert_true(date_valid("2026-12-31"));
	assert_false(date_valid("2026-12-32"));
	assert_false(date_valid("2026-00-10"));
	assert_false(date_valid("2026-1-10"));
	assert_false(date_valid("2026-01-10T00:00:00Z"));
	assert_false(date_valid(""));
	assert_int_equal(days_from_civil(1970, 1, 1), 0);
	assert_int_equal(days_from_civil(2000, 3, 1), 11017);
}

static void utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid(""));
	assert_true(utf8_valid("plain"));
	assert_true(utf8_valid("Café ångström 日本 😀"));
	assert_false(utf8_valid("\xff"));
	assert_false(utf8_valid("\xc3"));		/* truncated */
	assert_false(utf8_valid("\xc0\xaf"));		/* overlong '/' */
	assert_false(utf8_valid("\xe0\x80\xaf"));	/* overlong */
	assert_false(utf8_valid("\xed\xa0\x80"));	/* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80"));	/* above U+10FFFF */
	assert_false(utf8_valid("a\x80z"));		/* stray continuation */
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_appends),	   cmocka_unit_test(buf_cap),
		cmocka_unit_test(arena_alloc_and_align), cmocka_unit_test(allocation_failure),
		cmocka_unit_test(time_round_trips), cmocka_unit_test(dates),
		cmocka_unit_test(utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
