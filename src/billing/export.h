/*
 * export.h - issued invoices in the import formats of accounting products:
 * QuickBooks Online's invoice import CSV, Xero's sales invoice import CSV
 * and the Intuit Interchange Format (IIF) of QuickBooks Desktop. The
 * layouts, and where they come from, are in docs/EXPORTS.md.
 *
 * A pure function: no database, no clock. The caller loads the invoices
 * (GET /api/v1/exports/invoices reads those issued in a period) as the API
 * returns them and gets the file's bytes back.
 *
 * The input, one JSON object per invoice:
 *
 *   number        "INV-000017", unique within the list
 *   status        "issued" or "paid" (a draft has no number, a void
 *                 invoice is not revenue: both are refused)
 *   issued_on, due_on   "YYYY-MM-DD"
 *   currency      an ISO 4217 code in use ("USD"; ICU's list)
 *   tax_rate_bp   integer basis points, 0..10000
 *   subtotal, tax, total   integers in minor units; subtotal must be the
 *                 sum of the line amounts and total = subtotal + tax
 *   company       {name, email (string or null), address: {line1, line2,
 *                 city, region, postal_code, country}}; email and address
 *                 and each address field may be absent
 *   lines[]       {description, quantity (a JSON number with at most three
 *                 decimals), unit_price, amount (integers in minor units),
 *                 taxable (bool)}; rule, explanation and the rest are ignored
 *   credits[]     ignored: credit notes are documents of their own and are
 *                 not exported by this module
 *
 * What comes out, in the order given, one row (CSV) or one SPL line (IIF)
 * per invoice line, the invoice's fields repeated so the importer groups
 * rows by invoice number:
 *
 *   - money in major units with the currency's decimals (money_exponent):
 *     1234 USD "12.34", 1500 JPY "1500", 1234 KWD "1.234"; no separators;
 *   - a line's quantity and unit price as given when round(quantity x
 *     unit_price) is its amount, else quantity 1 at the amount, so the
 *     product never computes a line other than ours;
 *   - the invoice's tax spread over its taxed lines (taxable, and a rate
 *     above 0) in proportion to their amounts, largest remainders first,
 *     so the line taxes add up to the invoice's tax exactly;
 *   - CSV: RFC 4180 (CRLF, fields with a comma, quote or line break in
 *     double quotes, quotes doubled), UTF-8 without a byte order mark;
 *   - IIF: tab-separated, CRLF, tabs and line breaks inside a field become
 *     a space and double quotes a single quote; Windows-1252 (characters
 *     it lacks become "?") unless iif_utf8 is set;
 *   - QuickBooks treats ":" in a name as Customer:Job, so a colon in the
 *     company's name is written as "-" (QuickBooks Online and IIF).
 *
 * IIF has no currency column (QuickBooks books the amounts in the
 * customer's currency), so an IIF export holds one currency only.
 *
 * Invariants: nothing is written unless every invoice is valid; an export
 * of no invoices is the header alone.
 */
#ifndef SERVIO_BILLING_EXPORT_H
#define SERVIO_BILLING_EXPORT_H

#include "core/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum export_format {
	EXPORT_QBO,		/* QuickBooks Online invoice import, CSV */
	EXPORT_XERO,		/* Xero sales invoice import, CSV */
	EXPORT_IIF,		/* QuickBooks Desktop, Intuit Interchange Format */
	EXPORT_FORMAT__MAX
};

/* How dates are written; DEFAULT is each product's own (see below). */
enum export_dates {
	EXPORT_DATES_DEFAULT,
	EXPORT_DATES_MDY,	/* 12/31/2026: QuickBooks (US), Xero US organisations */
	EXPORT_DATES_DMY,	/* 31/12/2026: Xero UK, AU, NZ organisations */
	EXPORT_DATES_ISO,	/* 2026-12-31 */
	EXPORT_DATES__MAX
};

/*
 * The names the accounting product knows things by. A NULL field takes the
 * default shown; "" writes an empty cell. All are borrowed.
 */
struct export_options {
	enum export_dates dates;	/* QBO MDY, Xero DMY, IIF MDY */
	/* QBO and IIF: the product/service item of every line */
	const char *item;		/* "Services" */
	/* QBO: the tax code of taxed and of untaxed lines */
	const char *qbo_tax_code;	/* "TAX" */
	const char *qbo_exempt_code;	/* "NON" */
	/* Xero: the revenue account, and the tax rate names of taxed and untaxed lines */
	const char *xero_account_code;	/* "200" */
	const char *xero_tax_type;	/* "Tax on Sales" */
	const char *xero_exempt_type;	/* "Tax Exempt" */
	/* IIF: accounts (sub-accounts as "Parent:Child"), the sales tax item and its agency */
	const char *iif_ar_account;	/* "Accounts Receivable" */
	const char *iif_income_account;	/* "Services" */
	const char *iif_tax_account;	/* "Sales Tax Payable" */
	const char *iif_tax_item;	/* "Sales Tax" */
	const char *iif_tax_agency;	/* "" (the tax item's own) */
	/*
	 * A QuickBooks Desktop company with sales tax turned on needs a sales
	 * tax line on every invoice, 0.00 when untaxed, and one without sales
	 * tax must have none: set this for the latter (untaxed invoices only;
	 * an invoice with tax keeps its line).
	 */
	bool iif_no_tax_line;
	bool iif_utf8;			/* UTF-8 instead of Windows-1252 */
};

/* The format's name in the API ("qbo", "xero", "iif"), "?" when out of range. */
const char *export_format_name(enum export_format format);
/* The file name extension without the dot ("csv", "iif"), "" when out of range. */
const char *export_format_extension(enum export_format format);
/* The Content-Type of the file (options may be NULL), "" when out of range. */
const char *export_format_media_type(enum export_format format,
				     const struct export_options *options);
/* Sets *out to the format named name; returns 0, or -1 for an unknown name. */
int export_format_from_name(const char *name, enum export_format *out);

/*
 * Appends the file of the invoices (a JSON array, borrowed) in format to
 * out, which the caller initialised and releases. options may be NULL for
 * the defaults. Returns 0; or -1 with a message in err (errlen bytes, may
 * be NULL) that names the invoice and line at fault, and nothing appended,
 * when the input is invalid; or -1 "out of memory or export too large" when
 * out fails (out is then failed, as buf.h says).
 */
int export_invoices(const json_t *invoices, enum export_format format,
		    const struct export_options *options, struct buf *out, char *err,
		    size_t errlen);

#endif
