/*
 * utf8.h - checks on UTF-8 text from outside (query strings, headers).
 * JSON bodies are checked by jansson already.
 */
#ifndef SERVIO_CORE_UTF8_H
#define SERVIO_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool utf8_valid(const char *s);

/*
 * The length of the multi-byte sequence starting at s (at most n bytes),
 * 2 to 4, when it is well-formed as utf8_valid takes it, else 0.
 */
size_t utf8_sequence(const unsigned char *s, size_t n);

#endif
