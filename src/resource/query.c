/*
 * query.c - list parameters: filters, search, sort, paging and cursors.
 *
 * Parsing is strict: an unknown parameter, a repeated one, a value of the
 * wrong type or a cursor made for another sort is refused with a message
 * naming it, so a typo never silently returns the wrong records.
 * Pure (no database): unit-tested and fuzzed.
 */
#include "resource.h"

#include "core/buf.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "http/http.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 50
#define MAX_LIMIT 200
#define DEFAULT_LIMIT 50

static int fail(struct arena *arena, const char **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct arena *arena, const char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	*err = arena_vprintf(arena, fmt, ap);
	va_end(ap);
	if (!*err)
		*err = "invalid query";
	return -1;
}

static int parse_int(const char *s, int64_t *out)
{
	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

char *resource_cursor_encode(struct arena *arena, const char *sort_key, const char *value,
			     int64_t id)
{
	char *raw = arena_printf(arena, "%s\x1f%c%s\x1f%lld", sort_key, value ? 'v' : 'n',
				 value ? value : "", (long long)id);
	if (!raw)
		return NULL;
	size_t n = strlen(raw);
	size_t outlen = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = arena_alloc(arena, outlen);
	if (!out)
		return NULL;
	sodium_bin2base64(out, outlen, (const unsigned char *)raw, n,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

int resource_cursor_decode(struct arena *arena, const char *cursor, const char **sort_key,
			   const char **value, int64_t *id)
{
	size_t clen = strlen(cursor);
	if (clen == 0 || clen > 4096)	/* above any cursor encode makes (a 200-character value in UTF-8) */
		return -1;
	unsigned char *raw = arena_alloc(arena, clen + 1);
	size_t n;
	if (!raw || sodium_base642bin(raw, clen, cursor, clen, NULL, &n, NULL,
				      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	raw[n] = '\0';
	if (memchr(raw, '\0', n) || !utf8_valid((const char *)raw))
		return -1;
	char *s = (char *)raw;
	char *sep1 = strchr(s, '\x1f');
	if (!sep1)
		return -1;
	char *sep2 = strrchr(sep1 + 1, '\x1f');
	if (!sep2 || sep2 == sep1 + 1)
		return -1;
	*sep1 = *sep2 = '\0';
	char kind = sep1[1];
	if ((kind != 'v' && kind != 'n') || (kind == 'n' && sep1[2]))
		return -1;
	if (parse_int(sep2 + 1, id) < 0 || *id < 0)
		return -1;
	*sort_key = s;
	*value = kind == 'v' ? sep1 + 2 : NULL;
	return 0;
}

static bool sortable_builtin(const char *name)
{
	return strcmp(name, "id") == 0 || strcmp(name, "created_at") == 0 ||
	       strcmp(name, "updated_at") == 0;
}

/*
 * An FT_STRINGS filter value as the LIKE pattern (escape '!') that finds
 * it as an item of the stored JSON array: tag -> %"tag"%. In ASCII lower
 * case, as SQLite's LIKE compares anyway: the items are kept so.
 */
static char *strings_pattern(struct arena *arena, const char *v)
{
	json_t *s = json_string(v);
	char *item = s ? json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	json_decref(s);
	if (!item)
		return NULL;
	size_t n = strlen(item);
	char *out = arena_alloc(arena, 2 * n + 3);
	if (out) {
		char *o = out;
		*o++ = '%';
		for (const char *p = item; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '!')
				*o++ = '!';
			*o++ = *p >= 'A' && *p <= 'Z' ? (char)(*p | 0x20) : *p;
		}
		*o++ = '%';
		*o = '\0';
	}
	free(item);
	return out;
}

/* Splits "a,b,c" into validated arena strings for field f (NULL: an id list). */
static int parse_values(const struct resource *res, const struct field *f, const char *name,
			const char *raw, struct resource_filter *flt, struct arena *arena,
			const char **err)
{
	if (!*raw)
		return fail(arena, err, "filter \"%s\" needs a value", name);
	/* "assignee_id=none": records that refer to nothing */
	if (f && f->type == FT_REF && strcmp(raw, "none") == 0) {
		flt->op = FILTER_NONE;
		flt->values = NULL;
		flt->nvalues = 0;
		return 0;
	}
	const char **values = arena_alloc(arena, sizeof(*values) * MAX_VALUES);
	if (!values)
		return fail(arena, err, "out of memory");
	int n = 0;
	const char *p = raw;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (n == MAX_VALUES)
			return fail(arena, err, "filter \"%s\" takes at most %d values", name,
				    MAX_VALUES);
		char *v = arena_strndup(arena, p, len);
		if (!v)
			return fail(arena, err, "out of memory");
		if (!*v)
			return fail(arena, err, "filter \"%s\" has an empty value", name);
		enum field_type type = f ? f->type : FT_REF;
		int64_t iv;
		switch (type) {
		case FT_REF:
		case FT_INT:
		case FT_MONEY:
			if (parse_int(v, &iv) < 0)
				return fail(arena, err,
					    type == FT_REF && strcmp(v, "none") == 0
						    ? "filter \"%s\": \"%s\" stands alone, not in a list"
						    : "filter \"%s\": \"%s\" is not an integer",
					    name, v);
			break;
		case FT_BOOL:
			if (strcmp(v, "true") == 0)
				v = "1";
			else if (strcmp(v, "false") == 0)
				v = "0";
			else
				return fail(arena, err, "filter \"%s\" must be true or false", name);
			break;
		case FT_ENUM: {
			bool ok = false;
			for (const char *const *e = f->enum_values; *e && !ok; e++)
				ok = strcmp(*e, v) == 0;
			if (!ok)
				return fail(arena, err, "filter \"%s\": \"%s\" is not a %s %s", name,
					    v, res->singular, name);
			break;
		}
		case FT_DATE:
			if (!date_valid(v))
				return fail(arena, err, "filter \"%s\": \"%s\" is not a date YYYY-MM-DD",
					    name, v);
			break;
		case FT_TIME: {
			/* stored in UTC as RFC 3339: compare in the same form */
			int64_t t;
			if (time_parse(v, &t) < 0)
				return fail(arena, err, "filter \"%s\": \"%s\" is not an RFC 3339 time",
					    name, v);
			v = arena_alloc(arena, TIME_RFC3339_LEN);
			if (!v)
				return fail(arena, err, "out of memory");
			time_format(t, v);
			break;
		}
		case FT_STRINGS:
			if (!utf8_valid(v))
				return fail(arena, err, "filter \"%s\" must be UTF-8 text", name);
			v = strings_pattern(arena, v);
			if (!v)
				return fail(arena, err, "out of memory");
			break;
		default:
			break;
		}
		values[n++] = v;
		if (!end)
			break;
		p = end + 1;
	}
	flt->values = values;
	flt->nvalues = n;
	return 0;
}

/* "created_at_before=2026-…": a time or a date bound, normalised to sort as text. */
static int parse_bound(const char *name, const char *raw, enum field_type type,
		       struct resource_filter *flt, struct arena *arena, const char **err)
{
	const char **values = arena_alloc(arena, sizeof(*values));
	if (!values)
		return fail(arena, err, "out of memory");
	if (type == FT_DATE) {
		if (!date_valid(raw))
			return fail(arena, err, "\"%s\" must be a date YYYY-MM-DD", name);
		values[0] = raw;
	} else {
		int64_t t;
		if (time_parse(raw, &t) == 0) {
			char *s = arena_alloc(arena, TIME_RFC3339_LEN);
			if (!s)
				return fail(arena, err, "out of memory");
			time_format(t, s);
			values[0] = s;
		} else if (date_valid(raw)) {
			/* a bare date means its midnight, UTC */
			values[0] = arena_printf(arena, "%sT00:00:00Z", raw);
		} else {
			return fail(arena, err, "\"%s\" must be an RFC 3339 time or a date", name);
		}
	}
	flt->values = values;
	flt->nvalues = 1;
	return 0;
}

/* A field role may filter or sort by: NULL for one it has no right to see. */
static const struct field *field_for(const struct resource *res, unsigned role, const char *name)
{
	const struct field *f = resource_field(res, name);
	if (f && (f->flags & (F_HIDDEN | F_WRITE_ONLY | F_COMPUTED) ||
		  !resource_field_visible(f, role)))
		return NULL;
	return f;
}

static const struct field *bound_field(const struct resource *res, unsigned role,
				       const char *name, size_t base_len, const char **column,
				       struct arena *arena)
{
	char *base = arena_strndup(arena, name, base_len);
	if (!base)
		return NULL;
	*column = base;
	return field_for(res, role, base);
}

int resource_query_parse(const struct resource *res, unsigned role, const struct http_kv *pairs,
			 int n, struct resource_query *out, struct arena *arena, const char **err)
{
	memset(out, 0, sizeof(*out));
	out->limit = DEFAULT_LIMIT;
	const char *cursor = NULL;
	const char *sort = res->default_sort ? res->default_sort : "id";

	for (int i = 0; i < n; i++) {
		const char *name = pairs[i].name, *value = pairs[i].value;
		if (!utf8_valid(name) || !utf8_valid(value))
			return fail(arena, err, "query parameters must be UTF-8 text");
		for (int j = 0; j < i; j++)
			if (strcmp(pairs[j].name, name) == 0)
				return fail(arena, err, "query parameter \"%s\" is given twice; "
						       "use commas for several values", name);
		if (strcmp(name, "limit") == 0) {
			int64_t v;
			if (parse_int(value, &v) < 0 || v < 1 || v > MAX_LIMIT)
				return fail(arena, err, "limit must be from 1 to %d", MAX_LIMIT);
			out->limit = (int)v;
			continue;
		}
		if (strcmp(name, "cursor") == 0) {
			cursor = value;
			continue;
		}
		if (strcmp(name, "sort") == 0) {
			sort = value;
			continue;
		}
		if (strcmp(name, "q") == 0 && res->searchable) {
			size_t chars = 0;
			for (const char *p = value; *p; p++)
				chars += ((unsigned char)*p & 0xc0) != 0x80;
			if (chars > 200)
				return fail(arena, err, "q must be at most 200 characters");
			out->q = *value ? value : NULL;
			continue;
		}
		if (strcmp(name, "archived") == 0 && !res->no_record_columns) {
			if (strcmp(value, "false") == 0)
				out->archived = ARCHIVED_NO;
			else if (strcmp(value, "true") == 0)
				out->archived = ARCHIVED_ONLY;
			else if (strcmp(value, "all") == 0)
				out->archived = ARCHIVED_ALL;
			else
				return fail(arena, err, "archived must be false, true or all");
			continue;
		}
		if (out->nfilters == (int)(sizeof(out->filters) / sizeof(out->filters[0])))
			return fail(arena, err, "too many filters");
		struct resource_filter *flt = &out->filters[out->nfilters];
		const struct field *f = field_for(res, role, name);
		if (strcmp(name, "id") == 0 || (f && f->flags & F_FILTER && f->type != FT_JSON &&
			   f->type != FT_OBJECTS)) {
			flt->field = f;
			flt->column = f ? f->name : "id";
			flt->op = FILTER_IN;
			if (parse_values(res, f, name, value, flt, arena, err) < 0)
				return -1;
			out->nfilters++;
			continue;
		}
		size_t len = strlen(name);
		bool before = len > 7 && strcmp(name + len - 7, "_before") == 0;
		bool after = len > 6 && strcmp(name + len - 6, "_after") == 0;
		if (before || after) {
			const char *column = NULL;
			f = bound_field(res, role, name, len - (before ? 7 : 6), &column, arena);
			bool builtin = column && !res->no_record_columns &&
				       (strcmp(column, "created_at") == 0 ||
					strcmp(column, "updated_at") == 0);
			if (builtin || (f && f->flags & F_FILTER &&
					(f->type == FT_DATE || f->type == FT_TIME))) {
				flt->field = f;
				flt->column = column;
				flt->op = before ? FILTER_BEFORE : FILTER_AFTER;
				if (parse_bound(name, value, f ? f->type : FT_TIME, flt, arena, err) <
				    0)
					return -1;
				out->nfilters++;
				continue;
			}
		}
		return fail(arena, err, "unknown query parameter \"%s\" for %s", name, res->name);
	}

	/* sort */
	bool desc = sort[0] == '-';
	const char *key = desc ? sort + 1 : sort;
	const struct field *sf = field_for(res, role, key);
	if (sf && sf->flags & F_SORT) {
		out->sort_field = sf;
		out->sort_column = sf->name;
	} else if (sortable_builtin(key) &&
		   (strcmp(key, "id") == 0 || !res->no_record_columns)) {
		out->sort_column = strcmp(key, "id") == 0 ? "id"
			: strcmp(key, "created_at") == 0 ? "created_at" : "updated_at";
	} else {
		return fail(arena, err, "cannot sort %s by \"%s\"", res->name, key);
	}
	out->sort_desc = desc;

	if (cursor) {
		const char *ckey, *cval;
		int64_t cid;
		if (resource_cursor_decode(arena, cursor, &ckey, &cval, &cid) < 0)
			return fail(arena, err, "cursor is malformed");
		if (strcmp(ckey, sort) != 0)
			return fail(arena, err, "cursor was made for sort \"%s\", not \"%s\"", ckey,
				    sort);
		out->has_cursor = true;
		out->cursor_value = cval;
		out->cursor_id = cid;
	}
	return 0;
}
