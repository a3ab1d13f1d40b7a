/*
 * jsonout.h - JSON text from jansson values, byte for byte what
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) gives, appended to a buf
 * without jansson's per-token callback (see jsonout.c).
 */
#ifndef SERVIO_CORE_JSONOUT_H
#define SERVIO_CORE_JSONOUT_H

#include "core/buf.h"

#include <jansson.h>

/* Appends v as compact JSON. 0, or -1 when the buffer failed (or v is NULL). */
int json_write(struct buf *b, const json_t *v);

#endif
