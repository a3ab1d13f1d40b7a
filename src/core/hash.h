/*
 * hash.h - FNV-1a, 64 bits: for the in-memory tables that key on text (the
 * statement cache, the search routes remembered). Not for anything an
 * outsider chooses to collide: every user checks the key itself.
 */
#ifndef SERVIO_CORE_HASH_H
#define SERVIO_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return h;
}

#endif
