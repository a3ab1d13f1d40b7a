/*
 * csv.h - comma-separated values as spreadsheets write them (RFC 4180 and
 * its everyday variants): a UTF-8 byte order mark, "," ";" or tab between
 * fields (whichever the first line uses outside quotes), quoted fields with
 * "" for a quote and line breaks inside, CRLF, LF or CR line ends, and a
 * missing last line end.
 *
 * The reader is strict where a mistake would shift data between columns:
 * a quote left open, text after a closing quote, a NUL byte or text that
 * is not UTF-8 is an error naming its line. A quote inside an unquoted
 * field is kept as it is (spreadsheets write 12" monitor so).
 */
#ifndef SERVIO_CORE_CSV_H
#define SERVIO_CORE_CSV_H

#include "core/arena.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define CSV_MAX_FIELDS 256

struct csv_row {
	int line;		/* the line the row starts on, from 1 */
	size_t nfields;
	char **fields;		/* NUL-terminated UTF-8, in the arena */
};

struct csv {
	char sep;
	size_t nrows;		/* the header row included; blank lines left out */
	struct csv_row *rows;
};

/*
 * Parses text (len bytes) into out, in arena. Returns 0, or -1 with a
 * sentence naming the line in err (out of memory says so).
 */
int csv_parse(struct arena *arena, const char *text, size_t len, struct csv *out, char *err,
	      size_t errlen);

/*
 * Appends one field to b, quoted when it has to be (any of , ; or tab, a
 * quote, a line break, leading or trailing space). A field a spreadsheet would
 * take for a formula (starting with = + - @, a tab or a carriage return)
 * gets a leading apostrophe when neutralize is true, so an exported name
 * cannot run in the spreadsheet that opens it; numbers are left alone.
 */
void csv_field(struct buf *b, const char *text, char sep, bool neutralize);

#endif
