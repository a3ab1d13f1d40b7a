/*
 * test_export.c - src/billing/export.c: issued invoices as QuickBooks
 * Online CSV, Xero CSV and IIF. Every export is read back the way an
 * importer reads it (an RFC 4180 reader and a tab splitter written here,
 * strict about CRLF and quoting) before anything is checked: headers, one
 * row per line grouped by invoice number, money in the currency's decimals,
 * dates, tax per line adding up to the invoice's, escaping, and the input
 * refused with a message.
 */
#include "billing/export.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/money.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reading the files back ---- */

/* A table of text cells: rows of fields, each a heap string. */
struct table {
	size_t nrows;
	struct row {
		size_t n;
		char **f;
	} *rows;
};

static void table_free(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->rows[r].n; i++)
			free(t->rows[r].f[i]);
		free(t->rows[r].f);
	}
	free(t->rows);
	t->rows = NULL;
	t->nrows = 0;
}

static void add_field(struct table *t, const char *s, size_t len)
{
	struct row *row = &t->rows[t->nrows - 1];
	row->f = realloc(row->f, (row->n + 1) * sizeof(*row->f));
	assert_non_null(row->f);
	row->f[row->n] = strndup(s, len);
	assert_non_null(row->f[row->n]);
	row->n++;
}

static void add_row(struct table *t)
{
	t->rows = realloc(t->rows, (t->nrows + 1) * sizeof(*t->rows));
	assert_non_null(t->rows);
	t->rows[t->nrows++] = (struct row){ 0 };
}

/*
 * RFC 4180, strictly: records end in CRLF (the last one too), a quoted
 * field ends at a lone quote followed by a comma or CRLF, a doubled quote
 * is one quote, and an unquoted field holds no quote, CR or LF.
 */
static void csv_read(const char *s, struct table *t)
{
	*t = (struct table){ 0 };
	char *cell = malloc(strlen(s) + 1);
	assert_non_null(cell);
	const char *p = s;
	while (*p) {
		add_row(t);
		for (;;) {
			size_t len = 0;
			if (*p == '"') {
				for (p++;; p++) {
					if (*p == '\0')
						fail_msg("unterminated quoted field in row %zu", t->nrows);
					if (*p == '"') {
						if (p[1] != '"')
							break;
						p++;
					}
					cell[len++] = *p;
				}
				p++;
				if (*p != ',' && !(p[0] == '\r' && p[1] == '\n'))
					fail_msg("text after a closing quote in row %zu", t->nrows);
			} else {
				while (*p && *p != ',' && *p != '\r' && *p != '\n') {
					if (*p == '"')
						fail_msg("quote in an unquoted field in row %zu", t->nrows);
					cell[len++] = *p++;
				}
			}
			add_field(t, cell, len);
			if (*p == ',') {
				p++;
				continue;
			}
			if (p[0] == '\r' && p[1] == '\n') {
				p += 2;
				break;
			}
			fail_msg("row %zu does not end in CRLF", t->nrows);
		}
	}
	free(cell);
}

/* IIF: lines end in CRLF, fields are split at tabs; no other CR or LF. */
static void tab_split(const char *s, struct table *t)
{
	*t = (struct table){ 0 };
	const char *p = s;
	while (*p) {
		const char *end = strstr(p, "\r\n");
		if (!end)
			fail_msg("line %zu does not end in CRLF", t->nrows + 1);
		for (const char *q = p; q < end; q++)
			if (*q == '\r' || *q == '\n')
				fail_msg("a line break inside line %zu", t->nrows + 1);
		add_row(t);
		for (;;) {
			const char *tab = memchr(p, '\t', (size_t)(end - p));
			add_field(t, p, (size_t)((tab ? tab : end) - p));
			if (!tab)
				break;
			p = tab + 1;
		}
		p = end + 2;
	}
}

static const char *cell(const struct table *t, size_t r, size_t c)
{
	if (r >= t->nrows || c >= t->rows[r].n)
		fail_msg("no cell at row %zu column %zu", r, c);
	return t->rows[r].f[c];
}

/* The column of header name in row 0. */
static size_t col(const struct table *t, const char *name)
{
	for (size_t c = 0; t->nrows && c < t->rows[0].n; c++)
		if (strcmp(t->rows[0].f[c], name) == 0)
			return c;
	fail_msg("no column %s", name);
	return 0;
}

/* What a person typed in a cell, as minor units: "-12.34" with 2 decimals is -1234. */
static int64_t minor(const char *s, int exponent)
{
	bool neg = *s == '-';
	const char *p = s + neg;
	int64_t v = 0;
	int decimals = -1;
	for (; *p; p++) {
		if (*p == '.') {
			assert_int_equal(decimals, -1);
			decimals = 0;
			continue;
		}
		assert_true(*p >= '0' && *p <= '9');
		v = v * 10 + (*p - '0');
		if (decimals >= 0)
			decimals++;
	}
	assert_int_equal(decimals < 0 ? 0 : decimals, exponent);
	return neg ? -v : v;
}

/* ---- invoices as the API returns them ---- */

static json_t *line(const char *description, json_t *quantity, int64_t unit_price,
		    int64_t amount, bool taxable)
{
	json_t *l = json_pack("{s:s, s:o, s:I, s:I, s:b, s:s, s:s}", "description", description,
			      "quantity", quantity, "unit_price", (json_int_t)unit_price, "amount",
			      (json_int_t)amount, "taxable", taxable, "rule", "manual",
			      "explanation", "typed on the draft");
	assert_non_null(l);
	return l;
}

/* An issued invoice whose subtotal, tax and total follow DESIGN.md from its lines. */
static json_t *invoice(const char *number, const char *currency, int64_t rate_bp,
		       json_t *company, json_t *lines)
{
	int64_t subtotal = 0, taxable = 0, tax;
	for (size_t i = 0; i < json_array_size(lines); i++) {
		json_t *l = json_array_get(lines, i);
		int64_t a = json_integer_value(json_object_get(l, "amount"));
		subtotal += a;
		if (json_is_true(json_object_get(l, "taxable")))
			taxable += a;
	}
	assert_int_equal(money_apply_bp(taxable, rate_bp, &tax), 0);
	json_t *inv = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:[]}",
				"number", number, "status", "issued", "issued_on", "2026-11-30",
				"due_on", "2026-12-30", "currency", currency, "tax_rate_bp",
				(json_int_t)rate_bp, "subtotal", (json_int_t)subtotal, "tax",
				(json_int_t)tax, "total", (json_int_t)(subtotal + tax), "company",
				company, "lines", lines, "credits");
	assert_non_null(inv);
	return inv;
}

static json_t *acme(void)
{
	return json_pack("{s:I, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "id",
			 (json_int_t)7, "name", "Acme, Inc.", "email", "ap@acme.example", "address",
			 "line1", "1 Main St", "line2", "Suite 4", "city", "Springfield", "region",
			 "IL", "postal_code", "62701", "country", "US");
}

static json_t *globex(void)
{
	return json_pack("{s:I, s:s, s:n}", "id", (json_int_t)9, "name", "Globex", "email");
}

/*
 * The two invoices of docs/EXPORTS.md: INV-000017 with an untaxed line of
 * labour and a taxed part at 8.25 % (tax 14.85), INV-000018 without tax.
 */
static json_t *two_invoices(void)
{
	json_t *a = invoice("INV-000017", "USD", 825, acme(),
			    json_pack("[o, o]",
				      line("Remote support, 1:30 billed", json_real(1.5), 12000,
					   18000, false),
				      line("SSD 1 TB", json_integer(2), 8999, 17998, true)));
	json_t *b = invoice("INV-000018", "USD", 0, globex(),
			    json_pack("[o]", line("Block of 10 hours", json_integer(1), 150000,
						   150000, false)));
	return json_pack("[o, o]", a, b);
}

/* Exports, asserts success, and returns the file (caller frees). */
static char *export_ok(const json_t *invoices, enum export_format format,
		       const struct export_options *o)
{
	struct buf b;
	char err[256] = "";
	buf_init(&b, 0);
	int rc = export_invoices(invoices, format, o, &b, err, sizeof(err));
	if (rc != 0)
		fail_msg("export failed: %s", err);
	char *s = buf_take(&b);
	assert_non_null(s);
	buf_release(&b);
	return s;
}

static void csv_of(const json_t *invoices, enum export_format format,
		   const struct export_options *o, struct table *t)
{
	char *s = export_ok(invoices, format, o);
	csv_read(s, t);
	xfree(s);
}

static void iif_of(const json_t *invoices, const struct export_options *o, struct table *t)
{
	char *s = export_ok(invoices, EXPORT_IIF, o);
	tab_split(s, t);
	xfree(s);
}

/* ---- QuickBooks Online ---- */

static const char *const qbo_header[] = {
	"*InvoiceNo", "*Customer", "*InvoiceDate", "*DueDate", "Terms", "Location", "Memo",
	"Item(Product/Service)", "ItemDescription", "ItemQuantity", "ItemRate", "*ItemAmount",
	"ItemTaxCode", "ItemTaxAmount", "Currency", "Service Date",
};

static void qbo_layout(void **state)
{
	(void)state;
	json_t *in = two_invoices();
	struct table t;
	csv_of(in, EXPORT_QBO, NULL, &t);
	assert_int_equal(t.nrows, 4);	/* the header and one row per line */
	for (size_t r = 0; r < t.nrows; r++)
		assert_int_equal(t.rows[r].n, N_ELEMS(qbo_header));
	for (size_t c = 0; c < N_ELEMS(qbo_header); c++)
		assert_string_equal(cell(&t, 0, c), qbo_header[c]);

	size_t no = col(&t, "*InvoiceNo"), cust = col(&t, "*Customer"),
	       date = col(&t, "*InvoiceDate"), due = col(&t, "*DueDate"),
	       item = col(&t, "Item(Product/Service)"), desc = col(&t, "ItemDescription"),
	       qty = col(&t, "ItemQuantity"), rate = col(&t, "ItemRate"),
	       amount = col(&t, "*ItemAmount"), code = col(&t, "ItemTaxCode"),
	       tax = col(&t, "ItemTaxAmount"), cur = col(&t, "Currency");
	/* INV-000017: two rows with its number, customer and dates on each */
	for (size_t r = 1; r <= 2; r++) {
		assert_string_equal(cell(&t, r, no), "INV-000017");
		assert_string_equal(cell(&t, r, cust), "Acme, Inc.");
		assert_string_equal(cell(&t, r, date), "11/30/2026");
		assert_string_equal(cell(&t, r, due), "12/30/2026");
		assert_string_equal(cell(&t, r, item), "Services");
		assert_string_equal(cell(&t, r, cur), "USD");
	}
	assert_string_equal(cell(&t, 1, desc), "Remote support, 1:30 billed");
	assert_string_equal(cell(&t, 1, qty), "1.5");
	assert_string_equal(cell(&t, 1, rate), "120.00");
	assert_string_equal(cell(&t, 1, amount), "180.00");
	assert_string_equal(cell(&t, 1, code), "NON");
	assert_string_equal(cell(&t, 1, tax), "0.00");
	assert_string_equal(cell(&t, 2, desc), "SSD 1 TB");
	assert_string_equal(cell(&t, 2, qty), "2");
	assert_string_equal(cell(&t, 2, rate), "89.99");
	assert_string_equal(cell(&t, 2, amount), "179.98");
	assert_string_equal(cell(&t, 2, code), "TAX");
	assert_string_equal(cell(&t, 2, tax), "14.85");	/* 179.98 x 8.25 % = 14.848 */
	/* INV-000018: one row, no tax */
	assert_string_equal(cell(&t, 3, no), "INV-000018");
	assert_string_equal(cell(&t, 3, cust), "Globex");
	assert_string_equal(cell(&t, 3, amount), "1500.00");
	assert_string_equal(cell(&t, 3, code), "NON");
	assert_string_equal(cell(&t, 3, tax), "0.00");
	/* what the product adds up is our total */
	int64_t sum = 0;
	for (size_t r = 1; r <= 2; r++)
		sum += minor(cell(&t, r, amount), 2) + minor(cell(&t, r, tax), 2);
	assert_int_equal(sum, 37483);
	table_free(&t);
	json_decref(in);
}

/* ---- Xero ---- */

static const char *const xero_header[] = {
	"*ContactName", "EmailAddress", "POAddressLine1", "POAddressLine2", "POAddressLine3",
	"POAddressLine4", "POCity", "PORegion", "POPostalCode", "POCountry", "*InvoiceNumber",
	"Reference", "*InvoiceDate", "*DueDate", "Total", "InventoryItemCode", "*Description",
	"*Quantity", "*UnitAmount", "Discount", "*AccountCode", "*TaxType", "TaxAmount",
	"TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2", "Currency",
	"BrandingTheme",
};

static void xero_layout(void **state)
{
	(void)state;
	json_t *in = two_invoices();
	struct table t;
	csv_of(in, EXPORT_XERO, NULL, &t);
	assert_int_equal(t.nrows, 4);
	for (size_t r = 0; r < t.nrows; r++)
		assert_int_equal(t.rows[r].n, N_ELEMS(xero_header));
	for (size_t c = 0; c < N_ELEMS(xero_header); c++)
		assert_string_equal(cell(&t, 0, c), xero_header[c]);

	size_t contact = col(&t, "*ContactName"), email = col(&t, "EmailAddress"),
	       po1 = col(&t, "POAddressLine1"), po2 = col(&t, "POAddressLine2"),
	       city = col(&t, "POCity"), region = col(&t, "PORegion"),
	       postal = col(&t, "POPostalCode"), country = col(&t, "POCountry"),
	       no = col(&t, "*InvoiceNumber"), date = col(&t, "*InvoiceDate"),
	       due = col(&t, "*DueDate"), total = col(&t, "Total"),
	       desc = col(&t, "*Description"), qty = col(&t, "*Quantity"),
	       unit = col(&t, "*UnitAmount"), account = col(&t, "*AccountCode"),
	       type = col(&t, "*TaxType"), tax = col(&t, "TaxAmount"), cur = col(&t, "Currency");
	for (size_t r = 1; r <= 2; r++) {
		assert_string_equal(cell(&t, r, contact), "Acme, Inc.");
		assert_string_equal(cell(&t, r, email), "ap@acme.example");
		assert_string_equal(cell(&t, r, po1), "1 Main St");
		assert_string_equal(cell(&t, r, po2), "Suite 4");
		assert_string_equal(cell(&t, r, city), "Springfield");
		assert_string_equal(cell(&t, r, region), "IL");
		assert_string_equal(cell(&t, r, postal), "62701");
		assert_string_equal(cell(&t, r, country), "US");
		assert_string_equal(cell(&t, r, no), "INV-000017");
		assert_string_equal(cell(&t, r, date), "30/11/2026");	/* Xero's own DD/MM/YYYY */
		assert_string_equal(cell(&t, r, due), "30/12/2026");
		assert_string_equal(cell(&t, r, total), "374.83");
		assert_string_equal(cell(&t, r, account), "200");
		assert_string_equal(cell(&t, r, cur), "USD");
	}
	assert_string_equal(cell(&t, 1, desc), "Remote support, 1:30 billed");
	assert_string_equal(cell(&t, 1, qty), "1.5");
	assert_string_equal(cell(&t, 1, unit), "120.00");
	assert_string_equal(cell(&t, 1, type), "Tax Exempt");
	assert_string_equal(cell(&t, 1, tax), "0.00");
	assert_string_equal(cell(&t, 2, qty), "2");
	assert_string_equal(cell(&t, 2, unit), "89.99");
	assert_string_equal(cell(&t, 2, type), "Tax on Sales");
	assert_string_equal(cell(&t, 2, tax), "14.85");
	/* a contact without e-mail or address: empty cells */
	assert_string_equal(cell(&t, 3, contact), "Globex");
	assert_string_equal(cell(&t, 3, email), "");
	assert_string_equal(cell(&t, 3, po1), "");
	assert_string_equal(cell(&t, 3, city), "");
	assert_string_equal(cell(&t, 3, no), "INV-000018");
	assert_string_equal(cell(&t, 3, total), "1500.00");
	assert_string_equal(cell(&t, 3, type), "Tax Exempt");
	table_free(&t);
	json_decref(in);
}

/* ---- IIF ---- */

static const char *const trns_header[] = {
	"!TRNS", "TRNSID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT", "DOCNUM",
	"MEMO", "CLEAR", "TOPRINT", "NAMEISTAXABLE", "ADDR1", "ADDR2", "ADDR3", "ADDR4", "ADDR5",
	"DUEDATE", "TERMS",
};
static const char *const spl_header[] = {
	"!SPL", "SPLID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "CLASS", "AMOUNT", "DOCNUM",
	"MEMO", "CLEAR", "QNTY", "PRICE", "INVITEM", "TAXABLE", "EXTRA",
};

/* The column of name in the IIF header row key ("!TRNS", "!SPL"). */
static size_t iif_col(const char *key, const char *name)
{
	const char *const *h = strcmp(key, "!TRNS") == 0 ? trns_header : spl_header;
	size_t n = strcmp(key, "!TRNS") == 0 ? N_ELEMS(trns_header) : N_ELEMS(spl_header);
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i], name) == 0)
			return i;
	fail_msg("no IIF column %s %s", key, name);
	return 0;
}

#define T(name) iif_col("!TRNS", name)
#define S(name) iif_col("!SPL", name)

/*
 * Checks the structure: the three header rows, then TRNS, SPL..., ENDTRNS
 * blocks, every row as wide as its header, each block balancing to zero.
 * Returns the number of blocks.
 */
static size_t iif_check(const struct table *t)
{
	assert_true(t->nrows >= 3);
	assert_int_equal(t->rows[0].n, N_ELEMS(trns_header));
	for (size_t c = 0; c < N_ELEMS(trns_header); c++)
		assert_string_equal(cell(t, 0, c), trns_header[c]);
	assert_int_equal(t->rows[1].n, N_ELEMS(spl_header));
	for (size_t c = 0; c < N_ELEMS(spl_header); c++)
		assert_string_equal(cell(t, 1, c), spl_header[c]);
	assert_int_equal(t->rows[2].n, 1);
	assert_string_equal(cell(t, 2, 0), "!ENDTRNS");
	size_t blocks = 0, r = 3;
	while (r < t->nrows) {
		assert_string_equal(cell(t, r, 0), "TRNS");
		assert_int_equal(t->rows[r].n, N_ELEMS(trns_header));
		assert_string_equal(cell(t, r, T("TRNSTYPE")), "INVOICE");
		const char *docnum = cell(t, r, T("DOCNUM"));
		int64_t balance = minor(cell(t, r, T("AMOUNT")), 2);
		size_t splits = 0;
		for (r++; r < t->nrows && strcmp(cell(t, r, 0), "SPL") == 0; r++, splits++) {
			assert_int_equal(t->rows[r].n, N_ELEMS(spl_header));
			assert_string_equal(cell(t, r, S("TRNSTYPE")), "INVOICE");
			assert_string_equal(cell(t, r, S("DOCNUM")), docnum);
			balance += minor(cell(t, r, S("AMOUNT")), 2);
		}
		assert_true(splits >= 1);
		assert_int_equal(balance, 0);	/* QuickBooks takes balanced transactions only */
		assert_int_equal(t->rows[r].n, 1);
		assert_string_equal(cell(t, r, 0), "ENDTRNS");
		r++;
		blocks++;
	}
	return blocks;
}

static void iif_layout(void **state)
{
	(void)state;
	json_t *in = two_invoices();
	struct table t;
	iif_of(in, NULL, &t);
	/* 3 header rows; TRNS, 2 lines, tax, ENDTRNS; TRNS, 1 line, tax 0.00, ENDTRNS */
	assert_int_equal(t.nrows, 12);
	assert_int_equal(iif_check(&t), 2);

	/* INV-000017 */
	assert_string_equal(cell(&t, 3, T("DATE")), "11/30/2026");
	assert_string_equal(cell(&t, 3, T("ACCNT")), "Accounts Receivable");
	assert_string_equal(cell(&t, 3, T("NAME")), "Acme, Inc.");
	assert_string_equal(cell(&t, 3, T("AMOUNT")), "374.83");
	assert_string_equal(cell(&t, 3, T("DOCNUM")), "INV-000017");
	assert_string_equal(cell(&t, 3, T("NAMEISTAXABLE")), "Y");
	assert_string_equal(cell(&t, 3, T("ADDR1")), "Acme, Inc.");
	assert_string_equal(cell(&t, 3, T("ADDR2")), "1 Main St");
	assert_string_equal(cell(&t, 3, T("ADDR3")), "Suite 4");
	assert_string_equal(cell(&t, 3, T("ADDR4")), "Springfield, IL 62701");
	assert_string_equal(cell(&t, 3, T("ADDR5")), "US");
	assert_string_equal(cell(&t, 3, T("DUEDATE")), "12/30/2026");
	/* income lines are credits: negative amount and quantity, positive price */
	assert_string_equal(cell(&t, 4, S("ACCNT")), "Services");
	assert_string_equal(cell(&t, 4, S("AMOUNT")), "-180.00");
	assert_string_equal(cell(&t, 4, S("MEMO")), "Remote support, 1:30 billed");
	assert_string_equal(cell(&t, 4, S("QNTY")), "-1.5");
	assert_string_equal(cell(&t, 4, S("PRICE")), "120.00");
	assert_string_equal(cell(&t, 4, S("INVITEM")), "Services");
	assert_string_equal(cell(&t, 4, S("TAXABLE")), "N");
	assert_string_equal(cell(&t, 5, S("AMOUNT")), "-179.98");
	assert_string_equal(cell(&t, 5, S("QNTY")), "-2");
	assert_string_equal(cell(&t, 5, S("TAXABLE")), "Y");
	/* the sales tax line */
	assert_string_equal(cell(&t, 6, S("ACCNT")), "Sales Tax Payable");
	assert_string_equal(cell(&t, 6, S("AMOUNT")), "-14.85");
	assert_string_equal(cell(&t, 6, S("PRICE")), "8.25%");
	assert_string_equal(cell(&t, 6, S("INVITEM")), "Sales Tax");
	assert_string_equal(cell(&t, 6, S("QNTY")), "");
	assert_string_equal(cell(&t, 6, S("EXTRA")), "AUTOSTAX");

	/* INV-000018: no address but the name, and a zero tax line */
	assert_string_equal(cell(&t, 8, T("DOCNUM")), "INV-000018");
	assert_string_equal(cell(&t, 8, T("AMOUNT")), "1500.00");
	assert_string_equal(cell(&t, 8, T("NAMEISTAXABLE")), "N");
	assert_string_equal(cell(&t, 8, T("ADDR1")), "Globex");
	assert_string_equal(cell(&t, 8, T("ADDR2")), "");
	assert_string_equal(cell(&t, 9, S("AMOUNT")), "-1500.00");
	assert_string_equal(cell(&t, 10, S("AMOUNT")), "0.00");
	assert_string_equal(cell(&t, 10, S("PRICE")), "0%");
	assert_string_equal(cell(&t, 10, S("EXTRA")), "AUTOSTAX");
	table_free(&t);

	/* a company without sales tax: no tax line on untaxed invoices */
	struct export_options o = { .iif_no_tax_line = true };
	iif_of(in, &o, &t);
	assert_int_equal(t.nrows, 11);
	assert_int_equal(iif_check(&t), 2);
	assert_string_equal(cell(&t, 6, S("EXTRA")), "AUTOSTAX");	/* INV-000017 keeps its tax */
	assert_string_equal(cell(&t, 9, S("AMOUNT")), "-1500.00");
	assert_string_equal(cell(&t, 10, 0), "ENDTRNS");
	table_free(&t);
	json_decref(in);
}

/* Accounts, items and dates as a firm names them. */
static void options_override_defaults(void **state)
{
	(void)state;
	json_t *in = two_invoices();
	struct export_options o = {
		.dates = EXPORT_DATES_ISO,
		.item = "Support",
		.qbo_tax_code = "20.0% S",
		.qbo_exempt_code = "No VAT",
		.xero_account_code = "4000",
		.xero_tax_type = "20% (VAT on Income)",
		.xero_exempt_type = "No VAT",
		.iif_ar_account = "Accounts Receivable:USD",
		.iif_income_account = "Income:Managed Services",
		.iif_tax_account = "Sales Tax Payable",
		.iif_tax_item = "IL Sales Tax",
		.iif_tax_agency = "Illinois Department of Revenue",
	};
	struct table t;
	csv_of(in, EXPORT_QBO, &o, &t);
	assert_string_equal(cell(&t, 1, col(&t, "*InvoiceDate")), "2026-11-30");
	assert_string_equal(cell(&t, 1, col(&t, "Item(Product/Service)")), "Support");
	assert_string_equal(cell(&t, 1, col(&t, "ItemTaxCode")), "No VAT");
	assert_string_equal(cell(&t, 2, col(&t, "ItemTaxCode")), "20.0% S");
	table_free(&t);

	o.dates = EXPORT_DATES_MDY;	/* a Xero organisation in the US */
	csv_of(in, EXPORT_XERO, &o, &t);
	assert_string_equal(cell(&t, 1, col(&t, "*InvoiceDate")), "11/30/2026");
	assert_string_equal(cell(&t, 1, col(&t, "*AccountCode")), "4000");
	assert_string_equal(cell(&t, 1, col(&t, "*TaxType")), "No VAT");
	assert_string_equal(cell(&t, 2, col(&t, "*TaxType")), "20% (VAT on Income)");
	table_free(&t);

	o.dates = EXPORT_DATES_DMY;	/* QuickBooks Desktop outside the US */
	iif_of(in, &o, &t);
	assert_int_equal(iif_check(&t), 2);
	assert_string_equal(cell(&t, 3, T("DATE")), "30/11/2026");
	assert_string_equal(cell(&t, 3, T("ACCNT")), "Accounts Receivable:USD");
	assert_string_equal(cell(&t, 4, S("ACCNT")), "Income:Managed Services");
	assert_string_equal(cell(&t, 4, S("INVITEM")), "Support");
	assert_string_equal(cell(&t, 6, S("INVITEM")), "IL Sales Tax");
	assert_string_equal(cell(&t, 6, S("NAME")), "Illinois Department of Revenue");
	table_free(&t);
	json_decref(in);
}

/* ---- money, quantities, tax ---- */

static json_t *one(const char *number, const char *currency, int64_t rate_bp, json_t *lines)
{
	return json_pack("[o]", invoice(number, currency, rate_bp, globex(), lines));
}

static void money_in_major_units(void **state)
{
	(void)state;
	static const struct {
		const char *currency;
		int64_t price, amount;
		const char *rate, *text;
	} cases[] = {
		{ "USD", 1234, 1234, "12.34", "12.34" },
		{ "EUR", 5, 5, "0.05", "0.05" },
		{ "USD", -1234, -1234, "-12.34", "-12.34" },	/* a credit line */
		{ "JPY", 1500, 1500, "1500", "1500" },
		{ "KRW", 0, 0, "0", "0" },
		{ "KWD", 1234, 1234, "1.234", "1.234" },
		{ "BHD", 5, 5, "0.005", "0.005" },
		{ "USD", 100000000000000, 100000000000000, "1000000000000.00",
		  "1000000000000.00" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *in = one("INV-1", cases[i].currency, 0,
				 json_pack("[o]", line("x", json_integer(1), cases[i].price,
						       cases[i].amount, false)));
		struct table t;
		csv_of(in, EXPORT_QBO, NULL, &t);
		assert_string_equal(cell(&t, 1, col(&t, "ItemRate")), cases[i].rate);
		assert_string_equal(cell(&t, 1, col(&t, "*ItemAmount")), cases[i].text);
		assert_string_equal(cell(&t, 1, col(&t, "Currency")), cases[i].currency);
		table_free(&t);
		csv_of(in, EXPORT_XERO, NULL, &t);
		assert_string_equal(cell(&t, 1, col(&t, "*UnitAmount")), cases[i].rate);
		assert_string_equal(cell(&t, 1, col(&t, "Total")), cases[i].text);
		table_free(&t);
		iif_of(in, NULL, &t);
		assert_string_equal(cell(&t, 3, T("AMOUNT")), cases[i].text);
		assert_string_equal(cell(&t, 4, S("PRICE")), cases[i].rate);
		table_free(&t);
		json_decref(in);
	}
}

static void quantities_as_decimals(void **state)
{
	(void)state;
	static const struct {
		double quantity;	/* < 0: a JSON integer of -quantity */
		int64_t price, amount;
		const char *qty, *iif_qty, *rate;
	} cases[] = {
		{ 1.5, 12000, 18000, "1.5", "-1.5", "120.00" },
		{ 0.125, 8000, 1000, "0.125", "-0.125", "80.00" },
		{ 1.333, 9000, 11997, "1.333", "-1.333", "90.00" },
		{ 2.0, 500, 1000, "2", "-2", "5.00" },		/* a real 2.0 */
		{ -3, 500, 1500, "3", "-3", "5.00" },		/* an integer 3 */
		{ 0.25, 4999, 1250, "0.25", "-0.25", "49.99" },	/* 12.4975 rounds to 12.50 */
		/* priced by hand: quantity x price is not the amount, so one unit at the amount */
		{ 2, 1000, 1500, "1", "-1", "15.00" },
		{ 1, 0, 0, "1", "-1", "0.00" },			/* block hours drawn: nothing billed */
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *q = cases[i].quantity < 0 ? json_integer((json_int_t)-cases[i].quantity)
						  : json_real(cases[i].quantity);
		json_t *in = one("INV-1", "USD", 0,
				 json_pack("[o]", line("x", q, cases[i].price, cases[i].amount,
						       false)));
		struct table t;
		csv_of(in, EXPORT_QBO, NULL, &t);
		assert_string_equal(cell(&t, 1, col(&t, "ItemQuantity")), cases[i].qty);
		assert_string_equal(cell(&t, 1, col(&t, "ItemRate")), cases[i].rate);
		table_free(&t);
		csv_of(in, EXPORT_XERO, NULL, &t);
		assert_string_equal(cell(&t, 1, col(&t, "*Quantity")), cases[i].qty);
		assert_string_equal(cell(&t, 1, col(&t, "*UnitAmount")), cases[i].rate);
		table_free(&t);
		iif_of(in, NULL, &t);
		assert_string_equal(cell(&t, 4, S("QNTY")), cases[i].iif_qty);
		assert_string_equal(cell(&t, 4, S("PRICE")), cases[i].rate);
		table_free(&t);
		json_decref(in);
	}
}

/* The line taxes the products receive add up to the invoice's tax. */
static void tax_spread_over_lines(void **state)
{
	(void)state;
	static const struct {
		int64_t rate_bp;
		int64_t amounts[4];
		bool taxable[4];
		const char *want[4];
	} cases[] = {
		/* 10 % of 10.00: 0.333 + 0.333 + 0.334, the largest remainder gets the cent */
		{ 1000, { 333, 333, 334 }, { true, true, true }, { "0.33", "0.33", "0.34" } },
		/* 50 % of 0.03 is 0.02: tied remainders, the earlier lines first */
		{ 5000, { 1, 1, 1 }, { true, true, true }, { "0.01", "0.01", "0.00" } },
		/* untaxed lines carry none */
		{ 825, { 10000, 5000, 2500 }, { true, false, true }, { "8.25", "0.00", "2.06" } },
		/* a taxable credit line takes its share back */
		{ 1000, { 10000, -2500 }, { true, true }, { "10.00", "-2.50" } },
		/* a rate of 0: nothing is taxed, whatever the flags say */
		{ 0, { 10000 }, { true }, { "0.00" } },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *lines = json_array();
		size_t n = 0;
		while (n < 4 && cases[i].want[n]) {
			json_array_append_new(lines, line("x", json_integer(1), cases[i].amounts[n],
							  cases[i].amounts[n], cases[i].taxable[n]));
			n++;
		}
		json_t *in = one("INV-1", "USD", cases[i].rate_bp, lines);
		int64_t tax = json_integer_value(json_object_get(json_array_get(in, 0), "tax"));
		struct table t;
		csv_of(in, EXPORT_QBO, NULL, &t);
		int64_t sum = 0;
		for (size_t l = 0; l < n; l++) {
			const char *got = cell(&t, l + 1, col(&t, "ItemTaxAmount"));
			assert_string_equal(got, cases[i].want[l]);
			assert_string_equal(cell(&t, l + 1, col(&t, "ItemTaxCode")),
					    cases[i].rate_bp && cases[i].taxable[l] ? "TAX" : "NON");
			sum += minor(got, 2);
		}
		assert_int_equal(sum, tax);
		table_free(&t);
		csv_of(in, EXPORT_XERO, NULL, &t);
		for (size_t l = 0; l < n; l++)
			assert_string_equal(cell(&t, l + 1, col(&t, "TaxAmount")), cases[i].want[l]);
		table_free(&t);
		json_decref(in);
	}
}

/* ---- text: escaping, encodings, names ---- */

#define NASTY "Cable, 6\" \"Cat6\"\r\nZ\xc3\xbcrich caf\xc3\xa9 \xe2\x98\x95\tend"

static void csv_escaping_round_trips(void **state)
{
	(void)state;
	json_t *company = json_pack("{s:s, s:s}", "name", "\"Quotes\", Ltd\nBranch \xc3\x98st",
				    "email", "a@b.example");
	json_t *in = json_pack("[o]", invoice("INV-1", "EUR", 0, company,
					      json_pack("[o]", line(NASTY, json_integer(1), 100,
								    100, false))));
	for (enum export_format f = EXPORT_QBO; f <= EXPORT_XERO; f++) {
		char *s = export_ok(in, f, NULL);
		/* UTF-8 as given, and no byte order mark */
		assert_true((unsigned char)s[0] != 0xef);
		assert_non_null(strstr(s, "Z\xc3\xbcrich caf\xc3\xa9 \xe2\x98\x95"));
		/* the field is quoted and its quotes doubled */
		assert_non_null(strstr(s, "\"Cable, 6\"\" \"\"Cat6\"\"\r\nZ"));
		struct table t;
		csv_read(s, &t);
		assert_int_equal(t.nrows, 2);
		const char *desc = f == EXPORT_QBO ? "ItemDescription" : "*Description";
		const char *who = f == EXPORT_QBO ? "*Customer" : "*ContactName";
		assert_string_equal(cell(&t, 1, col(&t, desc)), NASTY);
		assert_string_equal(cell(&t, 1, col(&t, who)), "\"Quotes\", Ltd\nBranch \xc3\x98st");
		table_free(&t);
		xfree(s);
	}
	json_decref(in);
}

static void iif_fields_cleaned(void **state)
{
	(void)state;
	json_t *company = json_pack("{s:s, s:{s:s}}", "name", "Caf\xc3\xa9 M\xc3\xbcller: \"West\"",
				    "address", "line1", "Rue\t1\n2");
	json_t *in = json_pack("[o]", invoice("INV-1", "USD", 0, company,
					      json_pack("[o]", line(NASTY, json_integer(1), 100,
								    100, false))));
	struct table t;
	/* Windows-1252: é and ü are bytes of their own, the cup is not there at all */
	iif_of(in, NULL, &t);
	assert_int_equal(iif_check(&t), 1);
	assert_string_equal(cell(&t, 4, S("MEMO")),
			    "Cable, 6' 'Cat6' Z\xfcrich caf\xe9 ? end");
	/* ":" would make a Customer:Job; quotes are not QuickBooks' to keep */
	assert_string_equal(cell(&t, 3, T("NAME")), "Caf\xe9 M\xfcller- 'West'");
	assert_string_equal(cell(&t, 3, T("ADDR2")), "Rue 1 2");
	table_free(&t);
	/* UTF-8 when asked: the same text, with the characters as they are */
	struct export_options o = { .iif_utf8 = true };
	iif_of(in, &o, &t);
	assert_string_equal(cell(&t, 4, S("MEMO")),
			    "Cable, 6' 'Cat6' Z\xc3\xbcrich caf\xc3\xa9 \xe2\x98\x95 end");
	table_free(&t);
	json_decref(in);
}

/* Windows-1252's own characters in 0x80..0x9f come through. */
static void iif_windows_1252_punctuation(void **state)
{
	(void)state;
	json_t *in = one("INV-1", "USD", 0,
			 json_pack("[o]", line("\xe2\x82\xac 5 \xe2\x80\x93 \xe2\x80\x9cok\xe2\x80\x9d"
					       " \xc5\x93 \xe2\x84\xa2 \xc2\xa0",
					       json_integer(1), 100, 100, false)));
	struct table t;
	iif_of(in, NULL, &t);
	assert_string_equal(cell(&t, 4, S("MEMO")), "\x80 5 \x96 \x93ok\x94 \x9c \x99 \xa0");
	table_free(&t);
	json_decref(in);
}

static void colon_in_customer_names(void **state)
{
	(void)state;
	json_t *company = json_pack("{s:s}", "name", "Acme: West");
	json_t *in = json_pack("[o]", invoice("INV-1", "USD", 0, company,
					      json_pack("[o]", line("x", json_integer(1), 100, 100,
								    false))));
	struct table t;
	csv_of(in, EXPORT_QBO, NULL, &t);
	assert_string_equal(cell(&t, 1, col(&t, "*Customer")), "Acme- West");
	table_free(&t);
	csv_of(in, EXPORT_XERO, NULL, &t);
	assert_string_equal(cell(&t, 1, col(&t, "*ContactName")), "Acme: West");
	table_free(&t);
	json_decref(in);
}

/* ---- edges ---- */

static void no_invoices_is_the_header(void **state)
{
	(void)state;
	json_t *in = json_array();
	char *s = export_ok(in, EXPORT_QBO, NULL);
	struct table t;
	csv_read(s, &t);
	assert_int_equal(t.nrows, 1);
	assert_string_equal(cell(&t, 0, 0), "*InvoiceNo");
	table_free(&t);
	xfree(s);
	iif_of(in, NULL, &t);
	assert_int_equal(t.nrows, 3);
	assert_int_equal(iif_check(&t), 0);
	table_free(&t);
	json_decref(in);
}

/* A paid invoice is still an issued one; several currencies in one CSV. */
static void paid_and_mixed_currencies(void **state)
{
	(void)state;
	json_t *in = two_invoices();
	json_object_set_new(json_array_get(in, 0), "status", json_string("paid"));
	json_object_set_new(json_array_get(in, 1), "currency", json_string("EUR"));
	struct table t;
	csv_of(in, EXPORT_XERO, NULL, &t);
	assert_string_equal(cell(&t, 1, col(&t, "Currency")), "USD");
	assert_string_equal(cell(&t, 3, col(&t, "Currency")), "EUR");
	table_free(&t);
	/* IIF has no currency column */
	struct buf b;
	char err[256];
	buf_init(&b, 0);
	assert_int_equal(export_invoices(in, EXPORT_IIF, NULL, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "INV-000018: IIF has no currency, export USD and EUR invoices apart");
	assert_int_equal(b.len, 0);
	buf_release(&b);
	json_decref(in);
}

static void format_names(void **state)
{
	(void)state;
	enum export_format f;
	assert_int_equal(export_format_from_name("qbo", &f), 0);
	assert_int_equal(f, EXPORT_QBO);
	assert_int_equal(export_format_from_name("xero", &f), 0);
	assert_int_equal(f, EXPORT_XERO);
	assert_int_equal(export_format_from_name("iif", &f), 0);
	assert_int_equal(f, EXPORT_IIF);
	assert_int_equal(export_format_from_name("QBO", &f), -1);
	assert_int_equal(export_format_from_name("csv", &f), -1);
	assert_int_equal(export_format_from_name(NULL, &f), -1);
	assert_string_equal(export_format_name(EXPORT_XERO), "xero");
	assert_string_equal(export_format_name(EXPORT_FORMAT__MAX), "?");
	assert_string_equal(export_format_extension(EXPORT_QBO), "csv");
	assert_string_equal(export_format_extension(EXPORT_IIF), "iif");
	assert_string_equal(export_format_extension(EXPORT_FORMAT__MAX), "");
	assert_string_equal(export_format_media_type(EXPORT_XERO, NULL), "text/csv; charset=utf-8");
	assert_string_equal(export_format_media_type(EXPORT_IIF, NULL),
			    "text/plain; charset=windows-1252");
	struct export_options o = { .iif_utf8 = true };
	assert_string_equal(export_format_media_type(EXPORT_IIF, &o), "text/plain; charset=utf-8");
	assert_string_equal(export_format_media_type(EXPORT_FORMAT__MAX, NULL), "");
}

/* ---- bad input ---- */

static json_t *first(json_t *in)
{
	return json_array_get(in, 0);
}

static json_t *first_line(json_t *in)
{
	return json_array_get(json_object_get(first(in), "lines"), 0);
}

static void set(json_t *obj, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(obj, key, v);
	else
		json_object_del(obj, key);
}

/* Each case breaks the valid two_invoices() one way. */
static void break_input(json_t *in, int which)
{
	switch (which) {
	case 0: set(first(in), "number", NULL); break;
	case 1: set(first(in), "number", json_string("")); break;
	case 2: set(first(in), "number", json_integer(17)); break;
	case 3: set(first(in), "currency", json_string("XYZ")); break;
	case 4: set(first(in), "currency", json_string("usd")); break;
	case 5: set(first(in), "currency", json_string("USDX")); break;
	case 6: set(first_line(in), "amount", json_real(180.5)); break;
	case 7: set(first_line(in), "amount", json_string("18000")); break;
	case 8: set(first_line(in), "amount", NULL); break;
	case 9: set(first_line(in), "unit_price", json_real(120.0)); break;
	case 10: set(first_line(in), "quantity", json_real(1.2345)); break;
	case 11: set(first_line(in), "quantity", json_string("1.5")); break;
	case 12: set(first(in), "issued_on", json_string("2026-02-30")); break;
	case 13: set(first(in), "due_on", json_string("30/12/2026")); break;
	case 14: set(first(in), "status", json_string("draft")); break;
	case 15: set(first(in), "status", json_string("void")); break;
	case 16: set(first(in), "subtotal", json_integer(35000)); break;
	case 17: set(first(in), "total", json_integer(37484)); break;
	case 18: set(first(in), "tax", json_real(14.85)); break;
	case 19: set(first(in), "tax_rate_bp", json_integer(20000)); break;
	case 20: set(first(in), "lines", json_array()); break;
	case 21: set(first(in), "lines", NULL); break;
	case 22: set(first(in), "company", NULL); break;
	case 23: set(json_object_get(first(in), "company"), "name", json_null()); break;
	case 24: set(json_object_get(first(in), "company"), "email", json_integer(1)); break;
	case 25: set(json_object_get(first(in), "company"), "address", json_string("1 Main St"));
		break;
	case 26: set(first_line(in), "taxable", NULL); break;
	case 27: set(first_line(in), "description", NULL); break;
	case 28: set(json_array_get(in, 1), "number", json_string("INV-000017")); break;
	case 29: json_array_set_new(in, 1, json_integer(1)); break;
	case 30: json_array_set_new(json_object_get(first(in), "lines"), 1, json_string("x"));
		break;
	case 31: /* tax on an invoice with nothing taxable */
		set(json_array_get(in, 1), "tax", json_integer(100));
		set(json_array_get(in, 1), "total", json_integer(150100));
		break;
	case 32: set(first_line(in), "amount", json_integer(10000000000000000)); break;
	default: fail_msg("no case %d", which);
	}
}

static void bad_input_refused(void **state)
{
	(void)state;
	static const char *const want[] = {
		"invoice 1: number must be a non-empty string",
		"invoice 1: number must be a non-empty string",
		"invoice 1: number must be a non-empty string",
		"INV-000017: currency \"XYZ\" is not an ISO 4217 code in use",
		"INV-000017: currency \"usd\" is not an ISO 4217 code in use",
		"INV-000017: currency \"USDX\" is not an ISO 4217 code in use",
		"INV-000017 line 1: amount must be an integer of minor units",
		"INV-000017 line 1: amount must be an integer of minor units",
		"INV-000017 line 1: amount must be an integer of minor units",
		"INV-000017 line 1: unit_price must be an integer of minor units",
		"INV-000017 line 1: quantity must be a number with at most three decimals",
		"INV-000017 line 1: quantity must be a number with at most three decimals",
		"INV-000017: issued_on must be a date YYYY-MM-DD",
		"INV-000017: due_on must be a date YYYY-MM-DD",
		"INV-000017: status \"draft\" is not issued or paid",
		"INV-000017: status \"void\" is not issued or paid",
		"INV-000017: subtotal 35000 is not the sum of the lines, 35998",
		"INV-000017: total 37484 is not subtotal + tax",
		"INV-000017: tax must be an integer of minor units",
		"INV-000017: tax_rate_bp must be an integer from 0 to 10000",
		"INV-000017: lines must be a non-empty array",
		"INV-000017: lines must be a non-empty array",
		"INV-000017: company must be an object",
		"INV-000017: company name must be a non-empty string",
		"INV-000017: company email must be a string or null",
		"INV-000017: company address must be an object",
		"INV-000017 line 1: taxable must be true or false",
		"INV-000017 line 1: description must be a string",
		"INV-000017: the number appears twice",
		"invoice 2: must be an object",
		"INV-000017 line 2: must be an object",
		"INV-000018: tax 100 but no taxable amount at a rate above 0",
		"INV-000017 line 1: amount must be an integer of minor units",
	};
	for (int i = 0; i < (int)N_ELEMS(want); i++) {
		for (enum export_format f = 0; f < EXPORT_FORMAT__MAX; f++) {
			json_t *in = two_invoices();
			break_input(in, i);
			struct buf b;
			char err[256] = "";
			buf_init(&b, 0);
			buf_addstr(&b, "kept");
			int rc = export_invoices(in, f, NULL, &b, err, sizeof(err));
			if (rc != -1 || strcmp(err, want[i]) != 0)
				fail_msg("case %d, %s: rc %d, \"%s\"", i, export_format_name(f), rc,
					 err);
			/* nothing appended to what the buffer held */
			assert_string_equal(buf_str(&b), "kept");
			/* no room for a message is no reason to crash */
			assert_int_equal(export_invoices(in, f, NULL, &b, NULL, 0), -1);
			buf_release(&b);
			json_decref(in);
		}
	}
}

static void not_an_array_or_format(void **state)
{
	(void)state;
	struct buf b;
	char err[256];
	buf_init(&b, 0);
	json_t *obj = json_object();
	assert_int_equal(export_invoices(obj, EXPORT_QBO, NULL, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "invoices must be an array");
	assert_int_equal(export_invoices(NULL, EXPORT_XERO, NULL, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "invoices must be an array");
	json_t *in = two_invoices();
	assert_int_equal(export_invoices(in, EXPORT_FORMAT__MAX, NULL, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown export format 3");
	assert_int_equal(export_invoices(in, (enum export_format)-1, NULL, &b, err, sizeof(err)),
			 -1);
	/* a short buffer truncates the message, and still ends it */
	char small[8];
	assert_int_equal(export_invoices(obj, EXPORT_QBO, NULL, &b, small, sizeof(small)), -1);
	assert_string_equal(small, "invoice");
	assert_int_equal(b.len, 0);
	buf_release(&b);
	json_decref(in);
	json_decref(obj);
}

/* ---- failures of ours ---- */

static void buffer_cap(void **state)
{
	(void)state;
	json_t *in = two_invoices();
	for (enum export_format f = 0; f < EXPORT_FORMAT__MAX; f++) {
		struct buf b;
		char err[256];
		buf_init(&b, 200);
		assert_int_equal(export_invoices(in, f, NULL, &b, err, sizeof(err)), -1);
		assert_string_equal(err, "out of memory or export too large");
		assert_true(b.failed);
		buf_release(&b);
	}
	json_decref(in);
}

static void out_of_memory(void **state)
{
	(void)state;
	json_t *in = two_invoices();
	for (enum export_format f = 0; f < EXPORT_FORMAT__MAX; f++) {
		/* every allocation failing in turn is reported, and leaks nothing */
		for (long n = 0;; n++) {
			struct buf b;
			char err[256] = "";
			buf_init(&b, 0);
			alloc_fail_after(n);
			int rc = export_invoices(in, f, NULL, &b, err, sizeof(err));
			alloc_fail_after(-1);
			buf_release(&b);
			if (rc == 0) {
				assert_true(n >= 4);
				break;
			}
			if (strcmp(err, "out of memory") != 0 &&
			    strcmp(err, "out of memory or export too large") != 0)
				fail_msg("%s, allocation %ld: \"%s\"", export_format_name(f), n, err);
		}
	}
	json_decref(in);
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qbo_layout),
		cmocka_unit_test(xero_layout),
		cmocka_unit_test(iif_layout),
		cmocka_unit_test(options_override_defaults),
		cmocka_unit_test(money_in_major_units),
		cmocka_unit_test(quantities_as_decimals),
		cmocka_unit_test(tax_spread_over_lines),
		cmocka_unit_test(csv_escaping_round_trips),
		cmocka_unit_test(iif_fields_cleaned),
		cmocka_unit_test(iif_windows_1252_punctuation),
		cmocka_unit_test(colon_in_customer_names),
		cmocka_unit_test(no_invoices_is_the_header),
		cmocka_unit_test(paid_and_mixed_currencies),
		cmocka_unit_test(format_names),
		cmocka_unit_test(bad_input_refused),
		cmocka_unit_test(not_an_array_or_format),
		cmocka_unit_test(buffer_cap),
		cmocka_unit_test(out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
