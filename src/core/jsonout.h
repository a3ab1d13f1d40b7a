/*
 * jsonout.h - JSON text from jansson values, byte for byte what
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) gives (with
 * JSON_SORT_KEYS: json_write_sorted), appended to a buf without jansson's
 * per-token callback (see jsonout.c).
 */
#ifndef SERVIO_CORE_JSONOUT_H
#define SERVIO_CORE_JSONOUT_H

#include "core/buf.h"

#include <jansson.h>

/* Appends v as compact JSON. 0, or -1 when the buffer failed (or v is NULL). */
int json_write(struct buf *b, const json_t *v);
/*
 * The same with every object's members in key order, as json_dumps(v,
 * JSON_COMPACT | JSON_SORT_KEYS) writes them; json_text_sorted gives the
 * text to xfree (NULL: out of memory, or v NULL).
 */
int json_write_sorted(struct buf *b, const json_t *v);
char *json_text_sorted(const json_t *v);

/*
 * The pieces, for JSON written without jansson values (the engine's rows):
 * a string of n bytes, escaped as json_write escapes, and an integer.
 * json_write_utf8 also refuses (-1) what json_string would: text that is
 * not UTF-8. 0, or -1 when the buffer failed.
 */
int json_write_string(struct buf *b, const char *s, size_t n);
int json_write_utf8(struct buf *b, const char *s, size_t n);
int json_write_integer(struct buf *b, json_int_t v);

#endif
