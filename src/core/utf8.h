/*
 * utf8.h - checks on UTF-8 text from outside (query strings, headers).
 * JSON bodies are checked by jansson already.
 */
#ifndef SERVIO_CORE_UTF8_H
#define SERVIO_CORE_UTF8_H

#include <stdbool.h>

/* True when s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool utf8_valid(const char *s);

#endif
