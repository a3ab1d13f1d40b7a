/*
 * buf.h - the string builder: a growable byte buffer with a hard size cap.
 *
 * Invariants: data is NULL or NUL-terminated at len; len < cap; len never
 * exceeds max. When an append would pass max or memory runs out the buffer
 * frees itself, sets failed, and every later append is a no-op returning -1,
 * so a caller may append many times and check once at the end.
 * buf_take hands the heap string to the caller (who xfree()s it) and
 * leaves the buffer empty and reusable.
 */
#ifndef SERVIO_CORE_BUF_H
#define SERVIO_CORE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap, max;
	bool failed;
};

#define BUF_DEFAULT_MAX (64u * 1024 * 1024)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);		/* len = 0, keeps memory, clears failed */
/* Drops what was appended past len n (a failed buffer stays failed). */
void buf_truncate(struct buf *b, size_t n);

/* Each returns 0, or -1 when the buffer has failed. */
int buf_add(struct buf *b, const void *data, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* Returns the NUL-terminated contents ("" when empty), never NULL. */
const char *buf_str(const struct buf *b);
/* Hands over the heap string (caller xfree()s; NULL when failed). */
char *buf_take(struct buf *b);

#endif
