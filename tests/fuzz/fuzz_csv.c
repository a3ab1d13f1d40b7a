/*
 * fuzz_csv.c - libFuzzer harness for the CSV reader (core/csv.c), which
 * reads the files people import from their spreadsheets.
 *
 * Beyond "does not crash", it checks what the importer relies on: every
 * row has 1..CSV_MAX_FIELDS fields, every field is valid UTF-8 without NUL,
 * row lines only grow; and writing the rows back with csv_field and
 * reading that again gives the same fields.
 */
#include "core/csv.h"
#include "core/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct csv *c)
{
	int last = 0;
	for (size_t r = 0; r < c->nrows; r++) {
		const struct csv_row *row = &c->rows[r];
		if (row->nfields < 1 || row->nfields > CSV_MAX_FIELDS || row->line <= last)
			abort();
		last = row->line;
		for (size_t f = 0; f < row->nfields; f++)
			if (!row->fields[f] || !utf8_valid(row->fields[f]))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	struct csv c;
	char err[256];
	if (csv_parse(&a, (const char *)data, size, &c, err, sizeof(err)) == 0) {
		check(&c);
		/* round trip: what we write, we read back the same */
		struct buf b;
		buf_init(&b, 0);
		for (size_t r = 0; r < c.nrows; r++) {
			for (size_t f = 0; f < c.rows[r].nfields; f++) {
				if (f)
					buf_addch(&b, c.sep);
				csv_field(&b, c.rows[r].fields[f], c.sep, false);
			}
			buf_addstr(&b, "\r\n");
		}
		struct csv back;
		/*
		 * The separator is detected again from the first row, so it must
		 * show there: two fields or more. A U+FEFF opening the first row
		 * would be read back as a byte order mark.
		 */
		bool comparable = c.nrows && c.rows[0].nfields > 1 &&
				  strncmp(c.rows[0].fields[0], "\xEF\xBB\xBF", 3) != 0;
		if (!b.failed && b.len && comparable) {
			if (csv_parse(&a, b.data, b.len, &back, err, sizeof(err)) != 0)
				abort();
			check(&back);
			if (back.sep != c.sep)
				abort();
			{
				size_t want = 0;
				for (size_t r = 0; r < c.nrows; r++) {
					bool blank = c.rows[r].nfields == 1 && !*c.rows[r].fields[0];
					if (blank)
						continue;
					if (want >= back.nrows || back.rows[want].nfields != c.rows[r].nfields)
						abort();
					for (size_t f = 0; f < c.rows[r].nfields; f++)
						if (strcmp(back.rows[want].fields[f], c.rows[r].fields[f]))
							abort();
					want++;
				}
			}
		}
		buf_release(&b);
	} else if (!err[0]) {
		abort();
	}
	arena_release(&a);
	return 0;
}
