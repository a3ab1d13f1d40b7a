/*
 * fuzz_listquery.c - libFuzzer harness for a list's parameters: the query
 * string as the pipeline decodes it, then the resource engine's list
 * parser (filters, "_before"/"_after", sort, limit, archived, q, cursor)
 * for a scoped client resource and for tickets, as an admin and as a
 * technician; and the same bytes as an opaque cursor.
 *
 * Beyond "does not crash": a refusal names its problem; an accepted query
 * stays within the filter table; and a cursor that decodes encodes back to
 * one that decodes to the same key, value and id.
 */
#include "auth/auth.h"
#include "core/alloc.h"
#include "crm/crm.h"
#include "http/http.h"
#include "http/internal.h"
#include "resource/resource.h"
#include "service/service.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void cursor_round_trip(const char *s)
{
	struct arena a;
	arena_init(&a);
	const char *key, *value;
	int64_t id;
	if (resource_cursor_decode(&a, s, &key, &value, &id) == 0) {
		char *again = resource_cursor_encode(&a, key, value, id);
		const char *key2, *value2;
		int64_t id2;
		if (again && (resource_cursor_decode(&a, again, &key2, &value2, &id2) < 0 ||
			      !same(key, key2) || !same(value, value2) || id != id2))
			__builtin_trap();
	}
	arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		alloc_install_json();
		ready = true;
	}
	if (size > 8192)
		return 0;
	char *qs = xmalloc(size + 1);
	if (!qs)
		return 0;
	memcpy(qs, data, size);
	qs[size] = '\0';
	if (strlen(qs) != size) {	/* a URL has no NUL byte */
		xfree(qs);
		return 0;
	}
	cursor_round_trip(qs);

	struct arena a;
	arena_init(&a);
	struct http_kv pairs[HTTP_MAX_QUERY];
	bool oom;
	int n = http_query_parse_ex(qs, &a, pairs, HTTP_MAX_QUERY, &oom);
	if (n >= 0) {
		const struct resource *all[] = { &company_resource, &contact_resource,
						 &ticket_resource };
		const unsigned roles[] = { ROLE_ADMIN, ROLE_TECHNICIAN };
		for (size_t r = 0; r < sizeof(all) / sizeof(all[0]); r++) {
			for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
				struct resource_query q;
				const char *err = NULL;
				memset(&q, 0, sizeof(q));
				if (resource_query_parse(all[r], roles[k], pairs, n, &q, &a, &err) < 0) {
					if (!err || !*err)
						__builtin_trap();
					continue;
				}
				if (q.nfilters < 0 ||
				    q.nfilters > (int)(sizeof(q.filters) / sizeof(q.filters[0])) ||
				    q.limit <= 0 || !q.sort_column)
					__builtin_trap();
			}
		}
	}
	arena_release(&a);
	xfree(qs);
	return 0;
}
