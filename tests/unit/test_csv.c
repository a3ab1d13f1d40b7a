/*
 * test_csv.c - src/core/csv.c: files as spreadsheets write them (a byte
 * order mark, "," ";" or tab, quoted separators, quotes and line breaks,
 * CRLF, LF or CR, no last line end, blank lines), the errors that would
 * otherwise shift data between columns (named by line), and the writer's
 * quoting and its guard against spreadsheet formulas.
 */
#include "core/csv.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static struct arena arena;

static int setup(void **state)
{
	(void)state;
	arena_init(&arena);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	arena_release(&arena);
	return 0;
}

static struct csv parse_ok(const char *text)
{
	struct csv c;
	char err[256] = "";
	int rc = csv_parse(&arena, text, strlen(text), &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("parse failed: %s", err);
	return c;
}

static void parse_bad(const char *text, size_t len, const char *want)
{
	struct csv c;
	char err[256] = "";
	assert_int_equal(csv_parse(&arena, text, len, &c, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void excel_semicolons_with_bom(void **state)
{
	(void)state;
	struct csv c = parse_ok("\xEF\xBB\xBFName;Notes;Price\r\n"
				"\"Acme; Ltd\";\"two\r\nlines\";\"1.234,50\"\r\n"
				"Beta;;3\r\n");
	assert_int_equal(c.sep, ';');
	assert_int_equal(c.nrows, 3);
	assert_string_equal(c.rows[0].fields[0], "Name");	/* the BOM is gone */
	assert_string_equal(c.rows[1].fields[0], "Acme; Ltd");
	assert_string_equal(c.rows[1].fields[1], "two\r\nlines");
	assert_string_equal(c.rows[1].fields[2], "1.234,50");
	assert_int_equal(c.rows[1].line, 2);
	assert_int_equal(c.rows[2].line, 4);	/* the quoted line break counts */
	assert_int_equal(c.rows[2].nfields, 3);
	assert_string_equal(c.rows[2].fields[1], "");
}

static void commas_tabs_and_line_ends(void **state)
{
	(void)state;
	struct csv c = parse_ok("a,b\n1,\"say \"\"hi\"\"\"\n\n2,12\" monitor");
	assert_int_equal(c.sep, ',');
	assert_int_equal(c.nrows, 3);		/* the blank line is left out */
	assert_string_equal(c.rows[1].fields[1], "say \"hi\"");
	assert_string_equal(c.rows[2].fields[1], "12\" monitor");	/* a quote inside stays */
	assert_int_equal(c.rows[2].line, 4);
	c = parse_ok("a\tb\r1\t2\r");
	assert_int_equal(c.sep, '\t');
	assert_int_equal(c.nrows, 2);
	assert_string_equal(c.rows[1].fields[1], "2");
	/* a header of one column: the separator defaults to a comma */
	c = parse_ok("name\nAcme\n");
	assert_int_equal(c.sep, ',');
	assert_int_equal(c.nrows, 2);
	/* a quote that is not at a field's start does not hide separators */
	c = parse_ok("12\" screen;b;c\n1;2;3\n");
	assert_int_equal(c.sep, ';');
	assert_int_equal(c.rows[0].nfields, 3);
	/* an empty file has no rows */
	c = parse_ok("");
	assert_int_equal(c.nrows, 0);
	c = parse_ok("\xEF\xBB\xBF\r\n\r\n");
	assert_int_equal(c.nrows, 0);
}

static void errors_name_the_line(void **state)
{
	(void)state;
	parse_bad("a,b\n1,2\n\"open,3\n4,5\n", strlen("a,b\n1,2\n\"open,3\n4,5\n"),
		  "line 3: a quoted field is never closed");
	parse_bad("a,b\n\"x\"y,1\n", strlen("a,b\n\"x\"y,1\n"), "line 2: text after a closing quote");
	parse_bad("a,b\n1,\xff\n", strlen("a,b\n1,\xff\n"), "line 2 is not UTF-8");
	parse_bad("a,b\n1,\0\n", 7, "NUL byte");
	char wide[CSV_MAX_FIELDS * 2 + 8];
	size_t n = 0;
	for (int i = 0; i <= CSV_MAX_FIELDS; i++)
		wide[n++] = ',';
	wide[n] = '\0';
	parse_bad(wide, n, "more than 256 fields");
}

/* one field as written, in the arena */
static const char *field(const char *text, bool neutralize)
{
	struct buf b;
	buf_init(&b, 0);
	csv_field(&b, text, ',', neutralize);
	char *s = arena_strdup(&arena, buf_str(&b));
	buf_release(&b);
	return s;
}

static void writer_quotes_and_neutralizes(void **state)
{
	(void)state;
	assert_string_equal(field("plain", true), "plain");
	assert_string_equal(field("a,b", true), "\"a,b\"");
	assert_string_equal(field("a;b", true), "\"a;b\"");	/* any separator a reader may pick */
	assert_string_equal(field("say \"hi\"", true), "\"say \"\"hi\"\"\"");
	assert_string_equal(field("two\nlines", true), "\"two\nlines\"");
	assert_string_equal(field(" padded", true), "\" padded\"");
	assert_string_equal(field("", true), "");
	/* formulas a spreadsheet would run get an apostrophe */
	assert_string_equal(field("=HYPERLINK(\"x\")", true), "\"'=HYPERLINK(\"\"x\"\")\"");
	assert_string_equal(field("@SUM(A1)", true), "\"'@SUM(A1)\"");
	assert_string_equal(field("+cmd|' /C calc'!A0", true), "\"'+cmd|' /C calc'!A0\"");
	assert_string_equal(field("-", true), "\"'-\"");
	/* numbers and phone numbers are not formulas */
	assert_string_equal(field("-12.50", true), "-12.50");
	assert_string_equal(field("+1 (555) 010-0100", true), "+1 (555) 010-0100");
	assert_string_equal(field("=1+1", false), "=1+1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(excel_semicolons_with_bom, setup, teardown),
		cmocka_unit_test_setup_teardown(commas_tabs_and_line_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(errors_name_the_line, setup, teardown),
		cmocka_unit_test_setup_teardown(writer_quotes_and_neutralizes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
