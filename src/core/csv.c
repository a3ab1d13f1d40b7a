/*
 * csv.c - the CSV reader and field writer (csv.h says what is accepted).
 *
 * The reader makes one pass over the text: a field is either unquoted (up
 * to the next separator or line end) or quoted (up to a quote not doubled).
 * Fields of a row gather in a small growing array; rows in another; both in
 * the arena, so the caller frees nothing.
 */
#include "csv.h"

#include "utf8.h"

#include <stdio.h>
#include <string.h>

/*
 * The separator the header line uses most outside quotes: , ; or tab. A
 * quote opens a quoted field only at a field's start (as the reader has
 * it), so 12" monitor does not hide the rest of the line.
 */
static char detect_sep(const char *p, const char *end)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false, at_start = true;
	for (; p < end; p++) {
		if (quoted) {
			if (*p == '"' && p + 1 < end && p[1] == '"')
				p++;
			else if (*p == '"')
				quoted = false;
			continue;
		}
		if (*p == '"' && at_start) {
			quoted = true;
			at_start = false;
			continue;
		}
		if (*p == '\n' || *p == '\r')
			break;
		comma += *p == ',';
		semi += *p == ';';
		tab += *p == '\t';
		at_start = *p == ',' || *p == ';' || *p == '\t';
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

struct growing {
	void *items;
	size_t n, cap, size;
};

static void *grow(struct arena *a, struct growing *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		void *items = arena_alloc(a, cap * g->size);
		if (!items)
			return NULL;
		if (g->n)
			memcpy(items, g->items, g->n * g->size);
		g->items = items;
		g->cap = cap;
	}
	return (char *)g->items + g->n++ * g->size;
}

/* Each error path releases the field buffer and says what went wrong where. */
#define FAIL(...)                                       \
	do {                                            \
		buf_release(&field);                    \
		snprintf(err, errlen, __VA_ARGS__);     \
		return -1;                              \
	} while (0)

int csv_parse(struct arena *arena, const char *text, size_t len, struct csv *out, char *err,
	      size_t errlen)
{
	const char *p = text, *end = text + len;
	struct buf field;
	buf_init(&field, 0);
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	if (memchr(p, '\0', (size_t)(end - p)))
		FAIL("the file holds a NUL byte: is it a spreadsheet's own format rather than CSV?");
	memset(out, 0, sizeof(*out));
	const char *first = p;
	while (first < end && (*first == '\n' || *first == '\r'))
		first++;
	out->sep = detect_sep(first, end);
	struct growing rows = { NULL, 0, 0, sizeof(struct csv_row) };
	int line = 1;
	while (p < end) {
		struct growing fields = { NULL, 0, 0, sizeof(char *) };
		int row_line = line;
		bool blank = true;
		for (;;) {
			field.len = 0;
			if (p < end && *p == '"') {
				int opened = line;
				p++;
				for (;;) {
					if (p == end)
						FAIL("line %d: a quoted field is never closed", opened);
					if (*p == '"' && p + 1 < end && p[1] == '"') {
						buf_addch(&field, '"');
						p += 2;
						continue;
					}
					if (*p == '"') {
						p++;
						break;
					}
					if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n')))
						line++;
					buf_addch(&field, *p++);
				}
				if (p < end && *p != out->sep && *p != '\n' && *p != '\r')
					FAIL("line %d: text after a closing quote (a quote inside a "
					     "quoted field is written \"\")", line);
				blank = false;
			} else {
				while (p < end && *p != out->sep && *p != '\n' && *p != '\r')
					buf_addch(&field, *p++);
				blank = blank && field.len == 0;
			}
			if (fields.n == CSV_MAX_FIELDS)
				FAIL("line %d has more than %d fields", row_line, CSV_MAX_FIELDS);
			char **slot = grow(arena, &fields);
			char *copy = field.failed ? NULL
				     : arena_strndup(arena, field.data ? field.data : "", field.len);
			if (!slot || !copy)
				FAIL("out of memory at line %d", line);
			if (!utf8_valid(copy))
				FAIL("line %d is not UTF-8 text: save the file as \"CSV UTF-8\"",
				     row_line);
			*slot = copy;
			if (p < end && *p == out->sep) {
				p++;
				continue;
			}
			break;
		}
		/* the line's end (CRLF, LF or CR), or the file's */
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		line++;
		if (blank && fields.n == 1)
			continue;	/* a blank line */
		struct csv_row *row = grow(arena, &rows);
		if (!row)
			FAIL("out of memory at line %d", row_line);
		row->line = row_line;
		row->nfields = fields.n;
		row->fields = fields.items;
	}
	buf_release(&field);
	out->nrows = rows.n;
	out->rows = rows.items;
	return 0;
}

void csv_field(struct buf *b, const char *text, char sep, bool neutralize)
{
	const char *s = text ? text : "";
	size_t n = strlen(s);
	bool formula = neutralize && n && strchr("=+-@\t\r", s[0]);
	if (formula && (s[0] == '-' || s[0] == '+'))
		/* -12.50 and +1 (555) 010-0100 are a number and a phone, not formulas */
		formula = n == 1 || s[1 + strspn(s + 1, "0123456789 .,()-/")] != '\0';
	/* any separator a reader might detect, not only ours, is quoted */
	bool quote = formula || strchr(s, sep) || strpbrk(s, ",;\t\"\r\n") ||
		     (n && (s[0] == ' ' || s[n - 1] == ' '));
	if (!quote) {
		buf_add(b, s, n);
		return;
	}
	buf_addch(b, '"');
	if (formula)
		buf_addch(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_addch(b, '"');
		buf_addch(b, *s);
	}
	buf_addch(b, '"');
}
