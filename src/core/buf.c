/*
 * buf.c - capped string builder.
 */
#include "buf.h"

#include "alloc.h"

#include <stdio.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : BUF_DEFAULT_MAX;
	b->failed = false;
}

void buf_release(struct buf *b)
{
	xfree(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

void buf_truncate(struct buf *b, size_t n)
{
	if (b->failed || n >= b->len)
		return;
	b->len = n;
	b->data[n] = '\0';
}

static int fail(struct buf *b)
{
	buf_release(b);
	b->failed = true;
	return -1;
}

static int grow(struct buf *b, size_t extra)
{
	if (b->failed)
		return -1;
	if (extra > b->max || b->len > b->max - extra)
		return fail(b);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	char *p = xrealloc(b->data, cap);
	if (!p)
		return fail(b);
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t n)
{
	if (grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return fail(b);
	if (grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *buf_take(struct buf *b)
{
	if (b->failed)
		return NULL;
	char *p = b->data;
	if (!p)
		p = xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
