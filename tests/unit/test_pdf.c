/*
 * test_pdf.c - src/quotes/pdf.c and src/billing/pdf.c (both laid out by
 * src/render/document.c): a quote or an invoice renders to a well-formed
 * PDF whatever it holds. When poppler-utils is installed the text is read
 * back with pdftotext, so the tests see what a client would read: the
 * number, the money, the terms, each invoice line's explanation, every
 * line of a long document, and footers whose "page N of M" agrees with
 * pdfinfo's page count. SERVIO_PDF_KEEP=dir keeps quote-small.pdf,
 * quote-sample.pdf (the long one), quote-bare.pdf and the invoice-*.pdf
 * there, to look at.
 */
#include "billing/pdf.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/money.h"
#include "core/result.h"
#include "quotes/pdf.h"

#include <cairo.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define PDFTOTEXT "/usr/bin/pdftotext"
#define PDFINFO "/usr/bin/pdfinfo"

/* ---- helpers ---- */

static cairo_status_t png_sink(void *closure, const unsigned char *data, unsigned int length)
{
	return buf_add(closure, data, length) == 0 ? CAIRO_STATUS_SUCCESS
						   : CAIRO_STATUS_WRITE_ERROR;
}

/* A small logo drawn with cairo: a rounded badge with an "S"-ish mark. */
static void make_png(struct buf *png)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 240, 80);
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0.11, 0.23, 0.38);
	cairo_arc(cr, 40, 40, 34, 0, 6.2832);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_set_line_width(cr, 7);
	cairo_arc(cr, 40, 30, 10, 0.5, 4.8);
	cairo_stroke(cr);
	cairo_arc(cr, 40, 50, 10, 3.6, 7.9);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.85, 0.45, 0.10);
	cairo_rectangle(cr, 90, 30, 140, 20);
	cairo_fill(cr);
	cairo_destroy(cr);
	buf_init(png, 0);
	assert_int_equal(cairo_surface_write_to_png_stream(s, png_sink, png), CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(s);
	assert_false(png->failed);
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("bad test json: %s", e.text);
	return v;
}

/* Keeps a copy in $SERVIO_PDF_KEEP, when set. */
static void keep(const struct buf *out, const char *name)
{
	const char *dir = getenv("SERVIO_PDF_KEEP");
	char path[512];
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(out->data, 1, out->len, f), out->len);
	assert_int_equal(fclose(f), 0);
}

static void assert_pdf_shape(const struct buf *out)
{
	assert_true(out->len > 100);
	assert_memory_equal(out->data, "%PDF-", 5);
	size_t n = out->len;
	while (n > 0 && (out->data[n - 1] == '\n' || out->data[n - 1] == '\r'))
		n--;
	assert_true(n >= 5);
	assert_memory_equal(out->data + n - 5, "%%EOF", 5);
}

static bool have(const char *tool)
{
	return access(tool, X_OK) == 0;
}

/* Writes the PDF to a temporary file; path holds its name. */
static void save(const struct buf *out, char path[64])
{
	snprintf(path, 64, "/tmp/servio-test-pdf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(out->data, 1, out->len, f), out->len);
	assert_int_equal(fclose(f), 0);
}

/* The output of "tool args path" (caller buf_release()s text). */
static void run(const char *cmd, const char *path, struct buf *text)
{
	char line[512];
	snprintf(line, sizeof(line), "%s '%s'%s", cmd, path,
		 strstr(cmd, "pdftotext") ? " -" : "");
	FILE *p = popen(line, "r");
	assert_non_null(p);
	buf_init(text, 0);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		assert_int_equal(buf_add(text, chunk, n), 0);
	assert_int_equal(pclose(p), 0);
}

static void text_of(const struct buf *out, struct buf *text)
{
	char path[64];
	save(out, path);
	run(PDFTOTEXT " -layout", path, text);
	unlink(path);
}

static int pages_of(const struct buf *out)
{
	char path[64];
	struct buf info;
	save(out, path);
	run(PDFINFO, path, &info);
	unlink(path);
	const char *p = strstr(buf_str(&info), "\nPages:");
	assert_non_null(p);
	int pages = (int)strtol(p + strlen("\nPages:"), NULL, 10);
	buf_release(&info);
	return pages;
}

#define assert_has(hay, needle)                                                   \
	do {                                                                      \
		if (!strstr((hay), (needle)))                                     \
			fail_msg("\"%s\" is not in the pdf text:\n%s", (needle), (hay)); \
	} while (0)

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static const struct doc_firm letterhead = {
	.name = "Northwind IT Services",
	.address = "1200 Harbor Boulevard, Suite 400\nSpringfield, IL 62701",
	.phone = "+1 217 555 0100",
	.email = "sales@northwind.example",
	.website = "www.northwind.example",
};

/* ---- (a) a small quote, with a logo ---- */

static const char small_quote[] =
	"{\"id\": 45, \"number\": \"Q-000045\", \"revision\": 2, \"version\": 7,"
	" \"status\": \"sent\", \"currency\": \"USD\", \"created_at\": \"2026-11-22T14:05:00Z\","
	" \"valid_until\": \"2026-12-22\", \"tax_rate_bp\": 825,"
	" \"lines\": ["
	"  {\"kind\": \"equipment\", \"description\": \"Managed firewall appliance (FG-60F) with"
	"    three years of vendor support\", \"quantity\": 2, \"unit_price\": 89900,"
	"    \"discount_bp\": 1000, \"taxable\": true, \"amount\": 161820},"
	"  {\"kind\": \"labor\", \"description\": \"On-site installation and configuration\","
	"    \"quantity\": 1.5, \"unit_price\": 12000, \"discount_bp\": 0, \"taxable\": false,"
	"    \"amount\": 18000},"
	"  {\"kind\": \"service\", \"description\": \"Caf\\u00e9 Wi-Fi survey \\u2014 na\\u00efve"
	" r\\u00e9sum\\u00e9 \\u00c5ngstr\\u00f6m \\u20ac\","
	"    \"quantity\": 0.125, \"unit_price\": 10000,"
	"    \"taxable\": true}"
	" ],"
	" \"subtotal\": 181070, \"tax\": 13350, \"total\": 194420,"
	" \"response_time_minutes\": 240, \"coverage\": \"24x7\", \"warranty_days\": 90,"
	" \"qualifications\": \"Prices assume the site is ready for installation.\","
	" \"notes\": \"Thank you for the opportunity.\"}";

static void renders_small_quote(void **state)
{
	(void)state;
	struct buf png, out;
	make_png(&png);
	struct doc_firm firm = letterhead;
	firm.logo_png = (const unsigned char *)png.data;
	firm.logo_len = png.len;
	json_t *quote = parse(small_quote);
	json_t *company = parse("{\"name\": \"Acme Widgets Ltd\", \"email\": \"ap@acme.example\","
				" \"phone\": \"+1 555 0199\","
				" \"address\": \"7 Mill Road\\nSpringfield\","
				" \"website\": null, \"kind\": \"client\"}");
	char err[128] = "";

	buf_init(&out, 0);
	assert_int_equal(quote_pdf_render(quote, company, &firm, &out, err, sizeof(err)), 0);
	assert_pdf_shape(&out);
	keep(&out, "quote-small.pdf");
	if (have(PDFTOTEXT)) {
		struct buf t;
		text_of(&out, &t);
		const char *s = buf_str(&t);
		assert_has(s, "Quote Q-000045");
		assert_has(s, "revision 2");
		/* "version" is the edit counter, not the revision */
		assert_true(strstr(s, "revision 7") == NULL);
		assert_has(s, "Northwind IT Services");
		assert_has(s, "sales@northwind.example");
		assert_has(s, "Acme Widgets Ltd");
		assert_has(s, "ap@acme.example");
		assert_has(s, "2026-11-22");
		assert_has(s, "2026-12-22");
		assert_has(s, "Sent");
		assert_has(s, "1,618.20 USD");
		assert_has(s, "899.00 USD");
		assert_has(s, "10 %");
		assert_has(s, "1.5");
		assert_has(s, "0.125");
		assert_has(s, "12.50 USD");	/* the third line's amount, worked out */
		assert_has(s, "na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xc3\x85ngstr\xc3\xb6m");
		assert_has(s, "\xe2\x82\xac");	/* the euro sign, wrapped to the next line */
		assert_has(s, "Subtotal");
		assert_has(s, "1,810.70 USD");
		assert_has(s, "Tax 8.25 %");
		assert_has(s, "133.50 USD");
		assert_has(s, "1,944.20 USD");
		assert_has(s, "4 hours");
		assert_has(s, "24\xc3\x97" "7");
		assert_has(s, "90 days");
		assert_has(s, "site is ready");
		assert_has(s, "Thank you for the opportunity.");
		assert_has(s, "Q-000045 rev 2 \xe2\x80\x94 page 1 of 1");
		buf_release(&t);
	}
	if (have(PDFINFO))
		assert_int_equal(pages_of(&out), 1);

	buf_release(&out);
	buf_release(&png);
	json_decref(quote);
	json_decref(company);
}

/* ---- (b) 120 lines and long terms: several pages ---- */

static const char long_words[] =
	"Includes remote monitoring of the device, patching in the agreed maintenance window, "
	"quarterly health reports and escalation to the vendor when a hardware fault is found; "
	"replacement parts ship next business day.";

static json_t *long_quote(void)
{
	json_t *q = parse("{\"number\": \"Q-000046\", \"revision\": 1, \"status\": \"draft\","
			  " \"currency\": \"USD\", \"created_at\": \"2026-11-23T09:00:00Z\","
			  " \"valid_until\": \"2027-01-31\", \"tax_rate_bp\": 700,"
			  " \"response_time_minutes\": 1590, \"coverage\": \"business_hours\","
			  " \"warranty_days\": 365}");
	json_t *lines = json_array();
	int64_t subtotal = 0, taxable = 0;
	for (int i = 1; i <= 120; i++) {
		char desc[600];
		/* every third line is long, so rows of several heights share pages */
		snprintf(desc, sizeof(desc), "L%03d %s %s", i,
			 i % 2 ? "Workstation support" : "Server backup licence",
			 i % 3 == 0 ? long_words : "");
		int64_t price = 1000 + i * 137, amount = price * 3;
		json_array_append_new(lines, json_pack("{s:s, s:s, s:i, s:I, s:i, s:b, s:I}",
						       "description", desc, "kind",
						       i % 2 ? "labor" : "service", "quantity", 3,
						       "unit_price", (json_int_t)price,
						       "discount_bp", 0, "taxable", i % 4 != 0,
						       "amount", (json_int_t)amount));
		subtotal += amount;
		if (i % 4 != 0)
			taxable += amount;
	}
	int64_t tax = (taxable * 700 + 5000) / 10000;
	json_object_set_new(q, "lines", lines);
	json_object_set_new(q, "subtotal", json_integer(subtotal));
	json_object_set_new(q, "tax", json_integer(tax));
	json_object_set_new(q, "total", json_integer(subtotal + tax));

	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 30; i++)
		buf_addf(&b, "Clause %d: %s ", i + 1, long_words);
	buf_addstr(&b, "ENDOFQUALIFICATIONS");
	json_object_set_new(q, "qualifications", json_string(buf_str(&b)));
	buf_release(&b);
	json_object_set_new(q, "notes", json_string("Prices are valid for the quantities shown."));
	return q;
}

static void renders_long_quote(void **state)
{
	(void)state;
	json_t *quote = long_quote();
	json_t *company = parse("{\"name\": \"Globex Corporation\"}");
	struct buf out;
	char err[128] = "";
	char total[MONEY_TEXT_LEN];
	money_format(json_integer_value(json_object_get(quote, "total")), "USD", total);

	/* the firm's footer line is on every page */
	struct doc_firm firm = letterhead;
	firm.footer = "Registered in Illinois No. 7781204 \xc2\xb7 EIN 36-4455120 \xc2\xb7 "
		      "First Harbor Bank, routing 071000013, account 4402 1187";

	buf_init(&out, 0);
	assert_int_equal(quote_pdf_render(quote, company, &firm, &out, err, sizeof(err)), 0);
	assert_pdf_shape(&out);
	keep(&out, "quote-sample.pdf");
	if (have(PDFINFO) && have(PDFTOTEXT)) {
		int pages = pages_of(&out);
		assert_true(pages >= 4);
		struct buf tb;
		text_of(&out, &tb);
		const char *s = buf_str(&tb);
		char want[96];
		assert_has(s, "Q-000046");
		assert_has(s, "page 3 of");
		assert_int_equal(count(s, "EIN 36-4455120"), pages);
		/* every page's footer knows the true page count */
		for (int i = 1; i <= pages; i++) {
			snprintf(want, sizeof(want), "Q-000046 rev 1 \xe2\x80\x94 page %d of %d", i,
				 pages);
			assert_has(s, want);
		}
		/* every line made it, in order */
		const char *prev = s;
		for (int i = 1; i <= 120; i++) {
			snprintf(want, sizeof(want), "L%03d ", i);
			const char *at = strstr(prev, want);
			if (!at)
				fail_msg("line %s is missing or out of order", want);
			prev = at;
		}
		/* the table header starts each page the table is on */
		assert_true(count(s, "Unit price") >= 3);
		assert_has(s, "1 day 2 hours 30 minutes");
		assert_has(s, "Business hours");
		assert_has(s, "365 days");
		assert_has(s, "ENDOFQUALIFICATIONS");
		assert_has(s, "Prices are valid for the quantities shown.");
		assert_has(s, total);
		buf_release(&tb);
	}
	buf_release(&out);
	json_decref(quote);
	json_decref(company);
}

/* A description longer than a page flows on, under a repeated header. */
static void renders_description_longer_than_a_page(void **state)
{
	(void)state;
	json_t *quote = parse("{\"number\": \"Q-000050\", \"currency\": \"EUR\","
			      " \"total\": 100, \"status\": \"accepted\"}");
	struct buf b, out;
	buf_init(&b, 0);
	buf_addstr(&b, "STARTOFDESCRIPTION ");
	for (int i = 0; i < 60; i++)
		buf_addf(&b, "Step %d: %s ", i + 1, long_words);
	buf_addstr(&b, "ENDOFDESCRIPTION");
	json_t *lines = json_pack("[{s:s, s:i, s:i, s:i}, {s:s, s:i, s:i}]", "description",
				  buf_str(&b), "quantity", 1, "unit_price", 100, "amount", 100,
				  "description", "AFTERTHELONGONE", "quantity", 1, "unit_price", 0);
	json_object_set_new(quote, "lines", lines);
	buf_release(&b);
	char err[128];

	buf_init(&out, 0);
	assert_int_equal(quote_pdf_render(quote, NULL, &letterhead, &out, err, sizeof(err)), 0);
	assert_pdf_shape(&out);
	keep(&out, "quote-tall-line.pdf");
	if (have(PDFINFO) && have(PDFTOTEXT)) {
		int pages = pages_of(&out);
		assert_true(pages >= 2);
		struct buf t;
		text_of(&out, &t);
		const char *s = buf_str(&t);
		const char *start = strstr(s, "STARTOFDESCRIPTION");
		const char *end = strstr(s, "ENDOFDESCRIPTION");
		const char *after = strstr(s, "AFTERTHELONGONE");
		assert_true(start && end && after && start < end && end < after);
		/* on every page but the last, which holds the totals alone */
		assert_int_equal(count(s, "Unit price"), (size_t)pages - 1);
		assert_has(s, "1.00 EUR");
		assert_true(strstr(s, "Acceptance") == NULL);	/* accepted already */
		buf_release(&t);
	}
	buf_release(&out);
	json_decref(quote);
}

/* ---- (c) nothing optional, no company, a garbage logo ---- */

static void renders_bare_quote(void **state)
{
	(void)state;
	static const unsigned char garbage[] = "\x89PNG\r\n\x1a\nthis is not really a png at all";
	struct doc_firm firm = { .logo_png = garbage, .logo_len = sizeof(garbage) };
	json_t *quote = parse("{\"number\": \"Q-000007\"}");
	struct buf out;
	char err[128] = "";

	buf_init(&out, 0);
	assert_int_equal(quote_pdf_render(quote, NULL, &firm, &out, err, sizeof(err)), 0);
	assert_pdf_shape(&out);
	keep(&out, "quote-bare.pdf");
	if (have(PDFTOTEXT)) {
		struct buf t;
		text_of(&out, &t);
		assert_has(buf_str(&t), "Quote Q-000007");
		assert_has(buf_str(&t), "Q-000007 \xe2\x80\x94 page 1 of 1");
		assert_true(strstr(buf_str(&t), "Terms") == NULL);
		assert_true(strstr(buf_str(&t), "Total") == NULL);
		buf_release(&t);
	}
	buf_release(&out);
	json_decref(quote);

	/* an empty object and no firm at all */
	quote = json_object();
	buf_init(&out, 0);
	assert_int_equal(quote_pdf_render(quote, NULL, NULL, &out, err, sizeof(err)), 0);
	assert_pdf_shape(&out);
	buf_release(&out);
	json_decref(quote);
}

/* Nulls and wrong types everywhere are left out, not trusted. */
static void renders_mistyped_quote(void **state)
{
	(void)state;
	json_t *quote = parse(
		"{\"number\": 45, \"revision\": null, \"status\": 3, \"currency\": null,"
		" \"created_at\": \"yesterday\", \"valid_until\": 20261222,"
		" \"lines\": [null, 5, \"x\", [], {}, {\"description\": null, \"quantity\": \"2\","
		"   \"unit_price\": 1.5, \"discount_bp\": \"10\", \"amount\": null},"
		"   {\"description\": \"huge\", \"quantity\": 1e300,"
		"    \"unit_price\": 9223372036854775807},"
		"   {\"description\": \"credit\", \"quantity\": -1, \"unit_price\": 5000,"
		"    \"discount_bp\": 10000, \"kind\": \"other_kind\"}],"
		" \"subtotal\": \"12\", \"tax\": null, \"total\": 1.5, \"tax_rate_bp\": null,"
		" \"response_time_minutes\": null, \"coverage\": 7, \"warranty_days\": -3,"
		" \"qualifications\": null, \"notes\": \"\"}");
	json_t *company = parse("{\"name\": null, \"email\": 5}");
	struct buf out;
	char err[128] = "";

	buf_init(&out, 0);
	assert_int_equal(quote_pdf_render(quote, company, &letterhead, &out, err, sizeof(err)), 0);
	assert_pdf_shape(&out);
	if (have(PDFTOTEXT)) {
		struct buf t;
		text_of(&out, &t);
		assert_has(buf_str(&t), "Quote Q-000045");	/* a bare sequence number */
		assert_has(buf_str(&t), "Other kind");
		buf_release(&t);
	}
	buf_release(&out);
	json_decref(quote);
	json_decref(company);
}

/* ---- logos that must be skipped ---- */

static void bad_logos_are_skipped(void **state)
{
	(void)state;
	struct buf png, out;
	make_png(&png);
	json_t *quote = parse(small_quote);
	char err[128];

	/* a cut-off file, a header claiming 100000 x 100000 pixels, one byte, nothing */
	unsigned char *huge = malloc(png.len);
	assert_non_null(huge);
	memcpy(huge, png.data, png.len);
	huge[16] = 0, huge[17] = 1, huge[18] = 0x86, huge[19] = 0xa0;
	huge[20] = 0, huge[21] = 1, huge[22] = 0x86, huge[23] = 0xa0;
	const struct {
		const unsigned char *data;
		size_t len;
	} logos[] = {
		{ (const unsigned char *)png.data, png.len / 2 },
		{ (const unsigned char *)png.data, 40 },
		{ huge, png.len },
		{ (const unsigned char *)png.data, 1 },
		{ (const unsigned char *)png.data, 0 },
	};
	for (size_t i = 0; i < sizeof(logos) / sizeof(logos[0]); i++) {
		struct doc_firm firm = letterhead;
		firm.logo_png = logos[i].data;
		firm.logo_len = logos[i].len;
		buf_init(&out, 0);
		assert_int_equal(quote_pdf_render(quote, NULL, &firm, &out, err, sizeof(err)), 0);
		assert_pdf_shape(&out);
		buf_release(&out);
	}
	free(huge);
	buf_release(&png);
	json_decref(quote);
}

/* ---- errors ---- */

static void refuses_what_it_cannot_do(void **state)
{
	(void)state;
	json_t *quote = long_quote();
	struct buf out;
	char err[128] = "";

	/* the output buffer's cap is the limit on the document */
	buf_init(&out, 4096);
	assert_int_equal(quote_pdf_render(quote, NULL, &letterhead, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "pdf larger than the buffer cap");
	buf_release(&out);

	json_t *array = json_array();
	buf_init(&out, 0);
	err[0] = '\0';
	assert_int_equal(quote_pdf_render(array, NULL, &letterhead, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot render the pdf: the quote is not a json object");
	assert_int_equal(out.len, 0);
	assert_int_equal(quote_pdf_render(NULL, NULL, NULL, &out, NULL, 0), -1);
	buf_release(&out);
	json_decref(array);
	json_decref(quote);
}

/* Each of our allocations failing in turn gives an error, never a crash or a leak. */
static void out_of_memory_is_an_error(void **state)
{
	(void)state;
	json_t *quote = parse(small_quote);
	int failures = 0;
	for (long n = 0; n < 40; n++) {
		struct buf out;
		char err[128] = "";
		buf_init(&out, 0);
		alloc_fail_after(n);
		int rc = quote_pdf_render(quote, NULL, &letterhead, &out, err, sizeof(err));
		alloc_fail_after(-1);
		if (rc == 0) {
			assert_pdf_shape(&out);
		} else {
			assert_string_equal(err, "cannot render the pdf: out of memory");
			failures++;
		}
		buf_release(&out);
	}
	assert_true(failures > 0);
	json_decref(quote);
}

/* The same quote renders the same text twice: no state leaks between calls. */
static void renders_repeatably(void **state)
{
	(void)state;
	json_t *quote = parse(small_quote);
	struct buf a, b;
	char err[128];
	buf_init(&a, 0);
	buf_init(&b, 0);
	assert_int_equal(quote_pdf_render(quote, NULL, &letterhead, &a, err, sizeof(err)), 0);
	assert_int_equal(quote_pdf_render(quote, NULL, &letterhead, &b, err, sizeof(err)), 0);
	if (have(PDFTOTEXT)) {
		struct buf ta, tb;
		text_of(&a, &ta);
		text_of(&b, &tb);
		assert_string_equal(buf_str(&ta), buf_str(&tb));
		buf_release(&ta);
		buf_release(&tb);
	}
	buf_release(&a);
	buf_release(&b);
	json_decref(quote);
}

/* ---- invoices ---- */

/* The text of page `page` (1-based) of pdftotext's output, whose pages end with a form feed. */
static void page_text(const char *s, int page, struct buf *out)
{
	for (int i = 1; i < page && s; i++) {
		s = strchr(s, '\f');
		if (s)
			s++;
	}
	buf_init(out, 0);
	if (!s)
		return;
	const char *end = strchr(s, '\f');
	assert_int_equal(buf_add(out, s, end ? (size_t)(end - s) : strlen(s)), 0);
}

/* The page (1-based) of the first needle in pdftotext's output, 0 when it is not there. */
static int page_with(const char *s, const char *needle)
{
	const char *at = strstr(s, needle);
	if (!at)
		return 0;
	int page = 1;
	for (const char *c = s; c < at; c++)
		if (*c == '\f')
			page++;
	return page;
}

static const char bill_to[] =
	"{\"name\": \"Acme Widgets Ltd\", \"email\": \"ap@acme.example\","
	" \"address_line1\": \"7 Mill Road\", \"address_line2\": null, \"city\": \"Springfield\","
	" \"region\": \"IL\", \"postal_code\": \"62704\", \"country\": \"US\"}";

/*
 * An issued invoice of n time lines, each with its explanation ("Ennn
 * ...", every fourth one long) and every third one not taxed; subtotal,
 * tax, total, paid 0 and the balance add up as the API's would.
 */
static json_t *invoice_of(int n, const char *number)
{
	json_t *inv = json_pack("{s:s?, s:s, s:s, s:s, s:s, s:i, s:i}", "number", number, "status",
				"issued", "issued_on", "2026-11-30", "due_on", "2026-12-30",
				"currency", "USD", "payment_terms_days", 30, "tax_rate_bp", 825);
	if (!number)
		json_object_set_new(inv, "number", json_null());
	json_t *lines = json_array();
	int64_t subtotal = 0, taxable = 0;
	for (int i = 1; i <= n; i++) {
		char desc[96], expl[600];
		int64_t qty = i % 2 ? 1250 : 2000, amount;
		assert_int_equal(money_line_amount(qty, 12000, 0, &amount), 0);
		snprintf(desc, sizeof(desc), "L%03d T-000%03d printer repair at the main office", i,
			 100 + i);
		snprintf(expl, sizeof(expl),
			 "E%03d %d min worked, billed %s (15-min increments, 1:00 minimum) at "
			 "120.00 USD/h%s%s",
			 i, i % 2 ? 62 : 110, i % 2 ? "1:15" : "2:00", i % 4 ? "" : ". ",
			 i % 4 ? "" : long_words);
		json_t *line = json_pack("{s:s, s:f, s:i, s:I, s:b, s:s, s:s, s:i}",
					 "description", desc, "quantity", (double)qty / 1000,
					 "unit_price", 12000, "amount", (json_int_t)amount,
					 "taxable", i % 3 != 0, "rule", "time", "explanation", expl,
					 "billed_minutes", (int)(qty * 60 / 1000));
		json_array_append_new(lines, line);
		subtotal += amount;
		if (i % 3 != 0)
			taxable += amount;
	}
	int64_t tax;
	assert_int_equal(money_apply_bp(taxable, 825, &tax), 0);
	json_object_set_new(inv, "lines", lines);
	json_object_set_new(inv, "subtotal", json_integer(subtotal));
	json_object_set_new(inv, "tax", json_integer(tax));
	json_object_set_new(inv, "total", json_integer(subtotal + tax));
	json_object_set_new(inv, "paid", json_integer(0));
	json_object_set_new(inv, "balance", json_integer(subtotal + tax));
	return inv;
}

/* obj[key], minor units, as the PDF prints it. */
static void money_of(const json_t *obj, const char *key, char out[MONEY_TEXT_LEN])
{
	const json_t *v = json_object_get(obj, key);
	assert_true(json_is_integer(v));
	money_format(json_integer_value(v), "USD", out);
}

/* Renders the invoice for Acme under the letterhead; text gets pdftotext's (0 pages: none). */
static int render_invoice(const json_t *inv, const char *keep_as, struct buf *text)
{
	json_t *company = parse(bill_to);
	struct buf out;
	char err[128] = "";
	buf_init(&out, 0);
	int rc = invoice_pdf_render(inv, company, &letterhead, &out, err, sizeof(err));
	if (rc != RC_OK)
		fail_msg("invoice_pdf_render: %s", err);
	assert_pdf_shape(&out);
	keep(&out, keep_as);
	int pages = 0;
	buf_init(text, 0);
	if (have(PDFINFO) && have(PDFTOTEXT)) {
		buf_release(text);
		pages = pages_of(&out);
		text_of(&out, text);
	}
	buf_release(&out);
	json_decref(company);
	return pages;
}

static void renders_one_page_invoice(void **state)
{
	(void)state;
	json_t *inv = invoice_of(3, "INV-000017");
	struct buf t;
	char total[MONEY_TEXT_LEN], want[128];
	money_of(inv, "total", total);

	int pages = render_invoice(inv, "invoice-small.pdf", &t);
	if (pages) {
		const char *s = buf_str(&t);
		assert_int_equal(pages, 1);
		assert_has(s, "Northwind IT Services");
		assert_has(s, "Invoice INV-000017");
		assert_has(s, "BILL TO");
		assert_has(s, "Acme Widgets Ltd");
		assert_has(s, "7 Mill Road");
		assert_has(s, "Springfield, IL 62704");
		assert_has(s, "ap@acme.example");
		assert_has(s, "2026-11-30");
		assert_has(s, "30 days");
		assert_has(s, "Issued");
		/* each line's explanation comes under it, before the next line */
		const char *l1 = strstr(s, "L001 T-000101"), *e1 = strstr(s, "E001 62 min worked");
		const char *l2 = strstr(s, "L002 T-000102"), *e3 = strstr(s, "E003 62 min");
		assert_true(l1 && e1 && l2 && e3 && l1 < e1 && e1 < l2 && l2 < e3);
		assert_has(s, "1.25");
		assert_has(s, "120.00 USD");
		assert_has(s, "150.00 USD");
		assert_has(s, "240.00 USD");
		assert_has(s, "not taxed");	/* line 3 */
		assert_has(s, "Subtotal");
		assert_has(s, "Tax 8.25 %");
		assert_has(s, total);
		assert_has(s, "Balance due");
		snprintf(want, sizeof(want), "%s by 2026-12-30", total);
		assert_has(s, want);
		assert_has(s, "INV-000017 \xe2\x80\x94 page 1 of 1");
		assert_true(strstr(s, "DRAFT") == NULL);
		assert_true(strstr(s, "VOID") == NULL);
	}
	buf_release(&t);
	json_decref(inv);
}

/* Checks a long invoice's pagination: header on every page of lines, totals whole, footers. */
static void assert_paginated(const char *s, int pages, int nlines, const char *number)
{
	char want[128];
	struct buf pg;
	for (int i = 1; i <= pages; i++) {
		snprintf(want, sizeof(want), "%s \xe2\x80\x94 page %d of %d", number, i, pages);
		page_text(s, i, &pg);
		assert_has(buf_str(&pg), want);
		buf_release(&pg);
	}
	const char *prev = s;
	for (int i = 1; i <= nlines; i++) {
		char line[16], expl[16];
		snprintf(line, sizeof(line), "L%03d ", i);
		snprintf(expl, sizeof(expl), "E%03d ", i);
		const char *l = strstr(prev, line), *e = l ? strstr(l, expl) : NULL;
		if (!l || !e)
			fail_msg("line %s or its explanation is missing or out of order", line);
		prev = e;
		/* the table's header is at the top of each page the lines are on */
		page_text(s, page_with(s, line), &pg);
		assert_has(buf_str(&pg), "Unit price");
		buf_release(&pg);
	}
	/* the totals, paid and balance together on one page */
	int at = page_with(s, "Subtotal");
	assert_true(at > 0);
	page_text(s, at, &pg);
	assert_has(buf_str(&pg), "Tax 8.25 %");
	assert_has(buf_str(&pg), "Total");
	assert_has(buf_str(&pg), "Paid");
	assert_has(buf_str(&pg), "Balance due");
	/* above the footer, not over it */
	snprintf(want, sizeof(want), "%s \xe2\x80\x94 page %d of", number, at);
	assert_true(strstr(buf_str(&pg), "Balance due") < strstr(buf_str(&pg), want));
	buf_release(&pg);
}

static void renders_long_invoice(void **state)
{
	(void)state;
	json_t *inv = invoice_of(60, "INV-000018");
	struct buf t;
	char total[MONEY_TEXT_LEN];
	money_of(inv, "total", total);

	int pages = render_invoice(inv, "invoice-long.pdf", &t);
	if (pages) {
		const char *s = buf_str(&t);
		assert_true(pages >= 3);
		assert_paginated(s, pages, 60, "INV-000018");
		assert_true(count(s, "Unit price") >= (size_t)pages - 1);
		assert_true(page_with(s, total) == page_with(s, "Subtotal"));
		/* the letterhead and the heading are on the first page only */
		assert_int_equal(count(s, "BILL TO"), 1);
		assert_int_equal(count(s, "sales@northwind.example"), 1);
	}
	buf_release(&t);
	json_decref(inv);
}

/*
 * For every length around where the totals reach the foot of a page,
 * they stay together; at least one length pushes them whole onto a page
 * after the last line, so the rule was put to work.
 */
static void totals_are_never_split(void **state)
{
	(void)state;
	if (!have(PDFINFO) || !have(PDFTOTEXT))
		return;
	bool pushed = false;
	for (int n = 8; n <= 16; n++) {
		json_t *inv = invoice_of(n, "INV-000020");
		struct buf t;
		int pages = render_invoice(inv, "invoice-sweep.pdf", &t);
		const char *s = buf_str(&t);
		char last[16];
		snprintf(last, sizeof(last), "L%03d ", n);
		assert_paginated(s, pages, n, "INV-000020");
		if (page_with(s, "Subtotal") > page_with(s, last))
			pushed = true;
		buf_release(&t);
		json_decref(inv);
	}
	assert_true(pushed);
}

static void renders_draft_invoice(void **state)
{
	(void)state;
	json_t *inv = invoice_of(2, NULL);
	json_object_set_new(inv, "status", json_string("draft"));
	json_object_set_new(inv, "issued_on", json_null());
	json_object_set_new(inv, "due_on", json_null());
	struct buf t;
	char total[MONEY_TEXT_LEN];
	money_of(inv, "total", total);

	if (render_invoice(inv, "invoice-draft.pdf", &t)) {
		const char *s = buf_str(&t);
		assert_has(s, "Draft invoice");
		assert_has(s, "DRAFT: not issued yet");
		assert_has(s, "DRAFT \xe2\x80\x94 page 1 of 1");
		assert_has(s, "E002 110 min worked, billed 2:00");
		assert_has(s, total);
		/* a draft asks for nothing and has no number yet */
		assert_true(strstr(s, "INV-") == NULL);
		assert_true(strstr(s, "Balance due") == NULL);
		assert_true(strstr(s, "Amount due") == NULL);
		assert_true(strstr(s, "2026-12-30") == NULL);
	}
	buf_release(&t);
	json_decref(inv);
}

static void renders_void_invoice(void **state)
{
	(void)state;
	json_t *inv = invoice_of(30, "INV-000019");
	json_object_set_new(inv, "status", json_string("void"));
	struct buf t;

	int pages = render_invoice(inv, "invoice-void.pdf", &t);
	if (pages) {
		const char *s = buf_str(&t);
		char want[96];
		assert_true(pages >= 2);
		assert_has(s, "Invoice INV-000019");
		assert_has(s, "VOID: cancelled, nothing is due");
		/* every page says so, not only the first */
		for (int i = 1; i <= pages; i++) {
			snprintf(want, sizeof(want), "INV-000019 VOID \xe2\x80\x94 page %d of %d",
				 i, pages);
			assert_has(s, want);
		}
		assert_has(s, "Void");
		assert_true(strstr(s, "Balance due") == NULL);
		assert_true(strstr(s, "Amount due") == NULL);
		/* the stamp across the page is drawn, not text: the lines read undisturbed */
		assert_has(s, "E001 62 min worked, billed 1:15 (15-min increments, 1:00");
	}
	buf_release(&t);
	json_decref(inv);
}

static void renders_invoice_with_payments(void **state)
{
	(void)state;
	json_t *inv = invoice_of(4, "INV-000021");
	int64_t total = json_integer_value(json_object_get(inv, "total"));
	json_object_set_new(inv, "paid", json_integer(50000));
	json_object_set_new(inv, "balance", json_integer(total - 50000));
	json_object_set_new(inv, "payments",
			    parse("[{\"received_on\": \"2026-12-05\", \"amount\": 30000,"
				  "  \"method\": \"bank_transfer\", \"reference\": \"WIRE 88812\"},"
				  " {\"received_on\": \"2026-12-10\", \"amount\": 20000,"
				  "  \"method\": \"card\"}]"));
	struct buf t;
	char balance[MONEY_TEXT_LEN], want[128];
	money_of(inv, "balance", balance);

	if (render_invoice(inv, "invoice-payments.pdf", &t)) {
		const char *s = buf_str(&t);
		assert_has(s, "Paid");
		assert_has(s, "500.00 USD");
		assert_has(s, "Balance due");
		assert_has(s, balance);
		assert_has(s, "Payments received");
		assert_has(s, "2026-12-05");
		assert_has(s, "Bank transfer");
		assert_has(s, "WIRE 88812");
		assert_has(s, "300.00 USD");
		assert_has(s, "2026-12-10");
		assert_has(s, "Card");
		assert_has(s, "200.00 USD");
		snprintf(want, sizeof(want), "%s by 2026-12-30", balance);
		assert_has(s, want);
		/* the totals first, then the payments that make up "Paid" */
		assert_true(strstr(s, "Balance due") < strstr(s, "Payments received"));
	}
	buf_release(&t);

	/* paid in full */
	json_object_set_new(inv, "status", json_string("paid"));
	json_object_set_new(inv, "paid", json_integer(total));
	json_object_set_new(inv, "balance", json_integer(0));
	if (render_invoice(inv, "invoice-paid.pdf", &t)) {
		const char *s = buf_str(&t);
		assert_has(s, "Paid");
		assert_has(s, "0.00 USD");
		assert_has(s, "paid in full");
		assert_true(strstr(s, " by 2026-12-30") == NULL);
	}
	buf_release(&t);
	json_decref(inv);
}

static void renders_non_ascii_invoice(void **state)
{
	(void)state;
	json_t *inv = parse(
		"{\"number\": \"INV-000022\", \"status\": \"issued\", \"currency\": \"EUR\","
		" \"issued_on\": \"2026-11-30\", \"due_on\": \"2026-12-14\","
		" \"payment_terms_days\": 14, \"tax_rate_bp\": 1900,"
		" \"lines\": [{\"description\": \"Caf\\u00e9 Wi-Fi \\u2014 na\\u00efve"
		"   r\\u00e9sum\\u00e9 \\u00c5ngstr\\u00f6m \\u20ac\", \"quantity\": 0.5,"
		"   \"unit_price\": 9000, \"amount\": 4500, \"taxable\": true, \"rule\": \"time\","
		"   \"explanation\": \"30 Min. vor Ort in der Stra\\u00dfe, \\u00bd h \\u2713\"}],"
		" \"subtotal\": 4500, \"tax\": 855, \"total\": 5355, \"paid\": 0,"
		" \"balance\": 5355}");
	json_t *company = parse("{\"name\": \"M\\u00fcller & S\\u00f8n GmbH\","
				" \"address_line1\": \"Bahnhofstra\\u00dfe 1\","
				" \"city\": \"Z\\u00fcrich\","
				" \"postal_code\": \"8001\", \"country\": \"CH\"}");
	struct buf out;
	char err[128] = "";
	buf_init(&out, 0);
	assert_int_equal(invoice_pdf_render(inv, company, &letterhead, &out, err, sizeof(err)),
			 RC_OK);
	assert_pdf_shape(&out);
	keep(&out, "invoice-utf8.pdf");
	if (have(PDFTOTEXT)) {
		struct buf t;
		text_of(&out, &t);
		const char *s = buf_str(&t);
		assert_has(s, "Caf\xc3\xa9 Wi-Fi \xe2\x80\x94 na\xc3\xafve r\xc3\xa9sum\xc3\xa9");
		assert_has(s, "\xc3\x85ngstr\xc3\xb6m");
		assert_has(s, "Stra\xc3\x9f" "e, \xc2\xbd h \xe2\x9c\x93");
		assert_has(s, "M\xc3\xbcller & S\xc3\xb8n GmbH");
		assert_has(s, "Bahnhofstra\xc3\x9f" "e 1");
		assert_has(s, "Z\xc3\xbcrich 8001");
		assert_has(s, "0.5");
		assert_has(s, "45.00 EUR");
		assert_has(s, "Tax 19 %");
		assert_has(s, "53.55 EUR by 2026-12-14");
		assert_has(s, "14 days");
		buf_release(&t);
	}
	buf_release(&out);
	json_decref(inv);
	json_decref(company);
}

/* An explanation longer than the column wraps onto several lines, all of it kept. */
static void long_explanation_wraps(void **state)
{
	(void)state;
	json_t *inv = invoice_of(2, "INV-000023");
	struct buf b, t;
	buf_init(&b, 0);
	buf_addstr(&b, "STARTOFEXPLANATION ");
	for (int i = 0; i < 4; i++)
		buf_addf(&b, "%s ", long_words);
	buf_addstr(&b, "ENDOFEXPLANATION");
	json_t *line = json_array_get(json_object_get(inv, "lines"), 0);
	json_object_set_new(line, "explanation", json_string(buf_str(&b)));
	buf_release(&b);

	if (render_invoice(inv, "invoice-long-explanation.pdf", &t)) {
		const char *s = buf_str(&t);
		const char *start = strstr(s, "STARTOFEXPLANATION");
		const char *end = strstr(s, "ENDOFEXPLANATION");
		const char *next = strstr(s, "L002 ");
		assert_true(start && end && next && start < end && end < next);
		/* several lines of it, each within the description column */
		size_t lines = 0;
		for (const char *c = start; c < end; c++)
			lines += *c == '\n';
		assert_true(lines >= 5);
		assert_true(count(s, "replacement") >= 4);
		assert_has(s, "150.00 USD");
		assert_has(s, "INV-000023 \xe2\x80\x94 page 1 of 1");
	}
	buf_release(&t);
	json_decref(inv);
}

/* Nulls and wrong types are left out; a bare sequence number is still a number. */
static void renders_mistyped_invoice(void **state)
{
	(void)state;
	json_t *inv = parse(
		"{\"number\": 24, \"status\": 5, \"currency\": null, \"issued_on\": \"soon\","
		" \"due_on\": 20261230, \"payment_terms_days\": -1, \"tax_rate_bp\": \"x\","
		" \"lines\": [null, 1, [], {}, {\"description\": null, \"quantity\": \"2\","
		"   \"unit_price\": 1.5, \"amount\": null, \"explanation\": 7, \"taxable\": 0},"
		"   {\"description\": \"credit\", \"quantity\": -1, \"unit_price\": 5000,"
		"    \"amount\": -5000, \"taxable\": false}],"
		" \"subtotal\": \"12\", \"tax\": null, \"total\": 1.5, \"paid\": [],"
		" \"balance\": {}, \"payments\": [null, {\"amount\": \"1\"}, 3]}");
	json_t *company = parse("{\"name\": null, \"email\": 5, \"city\": \"\"}");
	struct buf out;
	char err[128] = "";
	buf_init(&out, 0);
	assert_int_equal(invoice_pdf_render(inv, company, NULL, &out, err, sizeof(err)), RC_OK);
	assert_pdf_shape(&out);
	if (have(PDFTOTEXT)) {
		struct buf t;
		text_of(&out, &t);
		assert_has(buf_str(&t), "Invoice INV-000024");
		assert_has(buf_str(&t), "credit");
		assert_has(buf_str(&t), "Not taxed");
		assert_has(buf_str(&t), "-50.00");
		assert_true(strstr(buf_str(&t), "Balance due") == NULL);
		buf_release(&t);
	}
	buf_release(&out);
	json_decref(inv);
	json_decref(company);
}

static void invoice_errors(void **state)
{
	(void)state;
	struct buf out;
	char err[128] = "";

	json_t *array = json_array();
	buf_init(&out, 0);
	assert_int_equal(invoice_pdf_render(array, NULL, &letterhead, &out, err, sizeof(err)),
			 RC_ERROR);
	assert_string_equal(err, "cannot render the pdf: the invoice is not a json object");
	assert_int_equal(out.len, 0);
	assert_int_equal(invoice_pdf_render(NULL, NULL, NULL, &out, NULL, 0), RC_ERROR);
	buf_release(&out);
	json_decref(array);

	json_t *inv = invoice_of(40, "INV-000025");
	buf_init(&out, 4096);
	assert_int_equal(invoice_pdf_render(inv, NULL, &letterhead, &out, err, sizeof(err)),
			 RC_ERROR);
	assert_string_equal(err, "pdf larger than the buffer cap");
	buf_release(&out);
	json_decref(inv);

	/* each of our allocations failing in turn: an error, never a crash or a leak */
	inv = invoice_of(3, "INV-000026");
	int failures = 0;
	for (long n = 0; n < 40; n++) {
		buf_init(&out, 0);
		err[0] = '\0';
		alloc_fail_after(n);
		int rc = invoice_pdf_render(inv, NULL, &letterhead, &out, err, sizeof(err));
		alloc_fail_after(-1);
		if (rc == RC_OK) {
			assert_pdf_shape(&out);
		} else {
			assert_string_equal(err, "cannot render the pdf: out of memory");
			failures++;
		}
		buf_release(&out);
	}
	assert_true(failures > 0);
	json_decref(inv);
}

/* Font caches live for the process; let them go so LeakSanitizer sees ours only. */
static int release_fonts(void **state)
{
	(void)state;
	quote_pdf_cleanup();
	return 0;
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renders_small_quote),
		cmocka_unit_test(renders_long_quote),
		cmocka_unit_test(renders_description_longer_than_a_page),
		cmocka_unit_test(renders_bare_quote),
		cmocka_unit_test(renders_mistyped_quote),
		cmocka_unit_test(bad_logos_are_skipped),
		cmocka_unit_test(refuses_what_it_cannot_do),
		cmocka_unit_test(out_of_memory_is_an_error),
		cmocka_unit_test(renders_repeatably),
		cmocka_unit_test(renders_one_page_invoice),
		cmocka_unit_test(renders_long_invoice),
		cmocka_unit_test(totals_are_never_split),
		cmocka_unit_test(renders_draft_invoice),
		cmocka_unit_test(renders_void_invoice),
		cmocka_unit_test(renders_invoice_with_payments),
		cmocka_unit_test(renders_non_ascii_invoice),
		cmocka_unit_test(long_explanation_wraps),
		cmocka_unit_test(renders_mistyped_invoice),
		cmocka_unit_test(invoice_errors),
	};
	return cmocka_run_group_tests(tests, NULL, release_fonts);
}
