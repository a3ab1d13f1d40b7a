/*
 * utf8.c - UTF-8 validation after RFC 3629.
 */
#include "utf8.h"

#include <stdint.h>

size_t utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned c = s[0], min;
	size_t len;
	if ((c & 0xe0) == 0xc0) {
		len = 2, min = 0x80, c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, min = 0x800, c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	/* a NUL is no continuation byte: the loop never reads past a string's end */
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	return c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ? 0 : len;
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		size_t len = utf8_sequence(p, SIZE_MAX);
		if (!len)
			return false;
		p += len;
	}
	return true;
}
