/*
 * export.c - issued invoices as QuickBooks Online CSV, Xero CSV and IIF.
 *
 * Two passes: every invoice is read and checked into a struct invoice
 * first (so bad input appends nothing), then the chosen writer prints the
 * rows. The column layouts are tables indexed by enums, one per product,
 * so a header and the cell under it are spelled in one place; why each
 * column holds what it holds is in docs/EXPORTS.md.
 */
#include "export.h"

#include "core/alloc.h"
#include "core/money.h"
#include "core/result.h"
#include "core/timeutil.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct format_info {
	const char *name, *extension;
	enum export_dates dates;	/* the product's own date order */
};

static const struct format_info formats[] = {
	[EXPORT_QBO] = { "qbo", "csv", EXPORT_DATES_MDY },
	[EXPORT_XERO] = { "xero", "csv", EXPORT_DATES_DMY },
	[EXPORT_IIF] = { "iif", "iif", EXPORT_DATES_MDY },
};
_Static_assert(N_ELEMS(formats) == EXPORT_FORMAT__MAX, "a row for each export format");

const char *export_format_name(enum export_format format)
{
	return (unsigned)format < EXPORT_FORMAT__MAX ? formats[format].name : "?";
}

const char *export_format_extension(enum export_format format)
{
	return (unsigned)format < EXPORT_FORMAT__MAX ? formats[format].extension : "";
}

const char *export_format_media_type(enum export_format format,
				     const struct export_options *options)
{
	if ((unsigned)format >= EXPORT_FORMAT__MAX)
		return "";
	if (format != EXPORT_IIF)
		return "text/csv; charset=utf-8";
	return options && options->iif_utf8 ? "text/plain; charset=utf-8"
					     : "text/plain; charset=windows-1252";
}

int export_format_from_name(const char *name, enum export_format *out)
{
	for (unsigned i = 0; name && i < EXPORT_FORMAT__MAX; i++) {
		if (strcmp(name, formats[i].name) == 0) {
			*out = (enum export_format)i;
			return 0;
		}
	}
	return -1;
}

/* ---- the input, checked ---- */

enum addr { ADDR_LINE1, ADDR_LINE2, ADDR_CITY, ADDR_REGION, ADDR_POSTAL, ADDR_COUNTRY, ADDR__MAX };

static const char *const addr_keys[] = {
	[ADDR_LINE1] = "line1", [ADDR_LINE2] = "line2", [ADDR_CITY] = "city",
	[ADDR_REGION] = "region", [ADDR_POSTAL] = "postal_code", [ADDR_COUNTRY] = "country",
};
_Static_assert(N_ELEMS(addr_keys) == ADDR__MAX, "a key for each address field");

struct line {
	const char *description;
	int64_t quantity;	/* thousandths: what is written, see read_line */
	int64_t unit_price;	/* minor units: what is written */
	int64_t amount;
	int64_t tax;		/* this line's share of the invoice's tax */
	bool taxed;
};

/* Strings are borrowed from the JSON, but for qb_name and city_line (ours). */
struct invoice {
	const char *number, *status, *currency, *issued_on, *due_on;
	int exponent;
	int64_t rate_bp, subtotal, tax, total;
	const char *name, *email;
	char *qb_name;		/* name with ":" as "-", for QuickBooks */
	char *city_line;	/* "City, Region Postal" for IIF's address block */
	const char *addr[ADDR__MAX];	/* "" when absent */
	struct line *lines;
	size_t nlines;
};

/* Money is within what the resources accept, so no sum or negation overflows. */
#define MONEY_MAX 1000000000000000LL

/* An integer member; 0, or -1 when absent or not an integer. */
static int get_int(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* An integer amount of money within +-MONEY_MAX; 0, or -1. */
static int get_money(const json_t *obj, const char *key, int64_t *out)
{
	int64_t v;
	if (get_int(obj, key, &v) < 0 || v > MONEY_MAX || v < -MONEY_MAX)
		return -1;
	*out = v;
	return 0;
}

/* A string member; NULL when absent or not a string. */
static const char *get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* A string member that may be absent or null ("" then); -1 for another type. */
static int get_opt_str(const json_t *obj, const char *key, const char **out)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		*out = "";
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/*
 * A quantity in thousandths: a JSON integer, or a real with at most three
 * decimals (the real printed with three decimals must read back as
 * itself, so 1.333 passes and 1.3335 does not). 0, or -1.
 */
static int read_quantity(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t q = json_integer_value(v);
		if (q > INT64_MAX / 1000 || q < INT64_MIN / 1000)
			return -1;
		*out = q * 1000;
		return 0;
	}
	if (!json_is_real(v))
		return -1;
	double d = json_real_value(v);
	if (!isfinite(d) || fabs(d) >= 1e12)
		return -1;
	char text[32];
	snprintf(text, sizeof(text), "%.3f", d);
	if (strtod(text, NULL) != d)
		return -1;
	/* text is [-]digits.ddd: read it as an integer of thousandths */
	int64_t t = 0;
	bool neg = text[0] == '-';
	for (const char *p = text + neg; *p; p++)
		if (*p != '.')
			t = t * 10 + (*p - '0');
	*out = neg ? -t : t;
	return 0;
}

static int read_line(const json_t *l, struct line *line, const char *number, size_t n,
		     char *err, size_t errlen)
{
	if (!json_is_object(l))
		return fail_with(err, errlen, "%s line %zu: must be an object", number, n);
	line->description = get_str(l, "description");
	if (!line->description)
		return fail_with(err, errlen, "%s line %zu: description must be a string", number, n);
	int64_t q, price;
	if (read_quantity(json_object_get(l, "quantity"), &q) < 0)
		return fail_with(err, errlen,
				 "%s line %zu: quantity must be a number with at most three decimals",
				 number, n);
	if (get_money(l, "unit_price", &price) < 0)
		return fail_with(err, errlen, "%s line %zu: unit_price must be an integer of minor units",
				 number, n);
	if (get_money(l, "amount", &line->amount) < 0)
		return fail_with(err, errlen, "%s line %zu: amount must be an integer of minor units",
				 number, n);
	const json_t *taxable = json_object_get(l, "taxable");
	if (!json_is_boolean(taxable))
		return fail_with(err, errlen, "%s line %zu: taxable must be true or false", number, n);
	line->taxed = json_is_true(taxable);
	/*
	 * The products compute quantity x price themselves; where that is not
	 * our amount (a line priced by hand), one unit at the amount says the same.
	 */
	int64_t computed;
	if (money_line_amount(q, price, 0, &computed) == 0 && computed == line->amount) {
		line->quantity = q;
		line->unit_price = price;
	} else {
		line->quantity = 1000;
		line->unit_price = line->amount;
	}
	return 0;
}

/*
 * Spreads the invoice's tax over its taxed lines in proportion to their
 * amounts: each gets the floor of its share, and what the floors leave
 * (fewer units than lines) goes one unit at a time to the largest
 * remainders, earlier lines first on a tie. 0; -1 when there is tax but
 * no taxed amount to carry it; -2 out of memory; -3 when a share does not
 * fit (taxed lines of both signs that nearly cancel out).
 */
static int spread_tax(struct invoice *inv)
{
	int64_t base = 0;
	for (size_t i = 0; i < inv->nlines; i++) {
		inv->lines[i].tax = 0;
		if (inv->lines[i].taxed && __builtin_add_overflow(base, inv->lines[i].amount, &base))
			return -3;
	}
	if (inv->tax == 0)
		return 0;
	if (base == 0)
		return -1;
	__int128 den = base < 0 ? -(__int128)base : base;
	__int128 *rem = xcalloc(inv->nlines, sizeof(*rem));
	if (!rem)
		return -2;
	int64_t left = inv->tax;
	for (size_t i = 0; i < inv->nlines; i++) {
		struct line *l = &inv->lines[i];
		if (!l->taxed)
			continue;
		__int128 num = (__int128)inv->tax * l->amount;
		if (base < 0)
			num = -num;
		__int128 q = num / den, r = num % den;
		if (r < 0) {	/* floor, not truncation */
			q -= 1;
			r += den;
		}
		if (q > MONEY_MAX || q < -MONEY_MAX) {
			xfree(rem);
			return -3;
		}
		l->tax = (int64_t)q;
		left -= l->tax;
		rem[i] = r;
	}
	/* 0 <= left < number of taxed lines: the floors lost less than one unit each */
	while (left > 0) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < inv->nlines; i++)
			if (inv->lines[i].taxed && rem[i] >= 0 &&
			    (best == SIZE_MAX || rem[i] > rem[best]))
				best = i;
		assert(best != SIZE_MAX);
		inv->lines[best].tax += 1;
		rem[best] = -1;	/* one unit each at most */
		left--;
	}
	xfree(rem);
	return 0;
}

static void invoice_release(struct invoice *inv)
{
	xfree(inv->lines);
	xfree(inv->qb_name);
	xfree(inv->city_line);
}

/* qb_name and city_line, made while reading so that writing cannot fail. 0, or -1. */
static int names(struct invoice *inv)
{
	inv->qb_name = xstrdup(inv->name);
	if (!inv->qb_name)
		return -1;
	for (char *p = inv->qb_name; *p; p++)
		if (*p == ':')
			*p = '-';
	const char *city = inv->addr[ADDR_CITY], *region = inv->addr[ADDR_REGION],
		   *postal = inv->addr[ADDR_POSTAL];
	size_t len = strlen(city) + strlen(region) + strlen(postal) + 4;
	inv->city_line = xmalloc(len);
	if (!inv->city_line)
		return -1;
	snprintf(inv->city_line, len, "%s%s%s%s%s", city, *city && (*region || *postal) ? ", " : "",
		 region, *region && *postal ? " " : "", postal);
	return 0;
}

/* Reads invoice i (0-based) into inv. On error inv holds nothing to release. */
static int read_invoice(const json_t *v, size_t i, struct invoice *inv, char *err, size_t errlen)
{
	memset(inv, 0, sizeof(*inv));
	if (!json_is_object(v))
		return fail_with(err, errlen, "invoice %zu: must be an object", i + 1);
	inv->number = get_str(v, "number");
	if (!inv->number || !*inv->number)
		return fail_with(err, errlen, "invoice %zu: number must be a non-empty string", i + 1);
	const char *no = inv->number;
	inv->status = get_str(v, "status");
	if (!inv->status)
		return fail_with(err, errlen, "%s: status must be \"issued\" or \"paid\"", no);
	if (strcmp(inv->status, "issued") != 0 && strcmp(inv->status, "paid") != 0)
		return fail_with(err, errlen, "%s: status \"%s\" is not issued or paid", no, inv->status);
	inv->issued_on = get_str(v, "issued_on");
	if (!inv->issued_on || !date_valid(inv->issued_on))
		return fail_with(err, errlen, "%s: issued_on must be a date YYYY-MM-DD", no);
	inv->due_on = get_str(v, "due_on");
	if (!inv->due_on || !date_valid(inv->due_on))
		return fail_with(err, errlen, "%s: due_on must be a date YYYY-MM-DD", no);
	inv->currency = get_str(v, "currency");
	if (!inv->currency)
		return fail_with(err, errlen, "%s: currency must be a string", no);
	if (!money_currency_known(inv->currency))
		return fail_with(err, errlen, "%s: currency \"%s\" is not an ISO 4217 code in use", no,
				 inv->currency);
	inv->exponent = money_exponent(inv->currency);
	if (get_int(v, "tax_rate_bp", &inv->rate_bp) < 0 || inv->rate_bp < 0 ||
	    inv->rate_bp > 10000)
		return fail_with(err, errlen, "%s: tax_rate_bp must be an integer from 0 to 10000", no);
	if (get_money(v, "subtotal", &inv->subtotal) < 0)
		return fail_with(err, errlen, "%s: subtotal must be an integer of minor units", no);
	if (get_money(v, "tax", &inv->tax) < 0)
		return fail_with(err, errlen, "%s: tax must be an integer of minor units", no);
	if (get_money(v, "total", &inv->total) < 0)
		return fail_with(err, errlen, "%s: total must be an integer of minor units", no);

	const json_t *company = json_object_get(v, "company");
	if (!json_is_object(company))
		return fail_with(err, errlen, "%s: company must be an object", no);
	inv->name = get_str(company, "name");
	if (!inv->name || !*inv->name)
		return fail_with(err, errlen, "%s: company name must be a non-empty string", no);
	if (get_opt_str(company, "email", &inv->email) < 0)
		return fail_with(err, errlen, "%s: company email must be a string or null", no);
	const json_t *addr = json_object_get(company, "address");
	if (addr && !json_is_null(addr) && !json_is_object(addr))
		return fail_with(err, errlen, "%s: company address must be an object", no);
	for (int a = 0; a < ADDR__MAX; a++)
		if (get_opt_str(addr, addr_keys[a], &inv->addr[a]) < 0)
			return fail_with(err, errlen, "%s: company address %s must be a string", no,
					 addr_keys[a]);

	const json_t *lines = json_object_get(v, "lines");
	if (!json_is_array(lines) || json_array_size(lines) == 0)
		return fail_with(err, errlen, "%s: lines must be a non-empty array", no);
	inv->nlines = json_array_size(lines);
	inv->lines = xcalloc(inv->nlines, sizeof(*inv->lines));
	if (!inv->lines)
		return fail_with(err, errlen, "out of memory");
	int64_t sum = 0, total;
	for (size_t l = 0; l < inv->nlines; l++) {
		if (read_line(json_array_get(lines, l), &inv->lines[l], no, l + 1, err, errlen) < 0)
			goto bad;
		if (__builtin_add_overflow(sum, inv->lines[l].amount, &sum)) {
			fail_with(err, errlen, "%s: the line amounts overflow", no);
			goto bad;
		}
		/* taxed: what the product applies a tax rate to */
		inv->lines[l].taxed = inv->lines[l].taxed && inv->rate_bp > 0;
	}
	if (sum != inv->subtotal) {
		fail_with(err, errlen, "%s: subtotal %" PRId64 " is not the sum of the lines, %" PRId64,
			  no, inv->subtotal, sum);
		goto bad;
	}
	if (__builtin_add_overflow(inv->subtotal, inv->tax, &total) || total != inv->total) {
		fail_with(err, errlen, "%s: total %" PRId64 " is not subtotal + tax", no, inv->total);
		goto bad;
	}
	int rc = spread_tax(inv);
	if (rc == -1)
		fail_with(err, errlen, "%s: tax %" PRId64 " but no taxable amount at a rate above 0", no,
			  inv->tax);
	else if (rc == -3)
		fail_with(err, errlen, "%s: tax %" PRId64 " cannot be spread over the taxable lines", no,
			  inv->tax);
	else if (rc < 0 || names(inv) < 0)
		rc = fail_with(err, errlen, "out of memory");
	if (rc < 0)
		goto bad;
	return 0;
bad:
	invoice_release(inv);
	memset(inv, 0, sizeof(*inv));
	return -1;
}

static int cmp_number(const void *a, const void *b)
{
	const struct invoice *x = *(const struct invoice *const *)a;
	const struct invoice *y = *(const struct invoice *const *)b;
	return strcmp(x->number, y->number);
}

/* The importers group rows by number: two invoices with one number would merge. */
static int check_unique(struct invoice *inv, size_t n, char *err, size_t errlen)
{
	if (n < 2)
		return 0;
	struct invoice **by = xcalloc(n, sizeof(*by));
	if (!by)
		return fail_with(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++)
		by[i] = &inv[i];
	qsort(by, n, sizeof(*by), cmp_number);
	int rc = 0;
	for (size_t i = 1; i < n && rc == 0; i++)
		if (strcmp(by[i - 1]->number, by[i]->number) == 0)
			rc = fail_with(err, errlen, "%s: the number appears twice", by[i]->number);
	xfree(by);
	return rc;
}

/* ---- formatting values ---- */

#define CELL_LEN 48

/* Minor units as major units: 1234 USD "12.34", -5 USD "-0.05", 1500 JPY "1500". */
static void fmt_money(int64_t minor, int exponent, char out[CELL_LEN])
{
	uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	uint64_t scale = exponent == 0 ? 1 : exponent == 3 ? 1000 : 100;
	if (exponent == 0)
		snprintf(out, CELL_LEN, "%s%" PRIu64, minor < 0 ? "-" : "", mag);
	else
		snprintf(out, CELL_LEN, "%s%" PRIu64 ".%0*" PRIu64, minor < 0 ? "-" : "",
			 mag / scale, exponent, mag % scale);
}

/* Thousandths as a decimal without trailing zeros: 1500 "1.5", 2000 "2", -125 "-0.125". */
static void fmt_quantity(int64_t thousandths, char out[CELL_LEN])
{
	uint64_t mag = thousandths < 0 ? (uint64_t)0 - (uint64_t)thousandths
				       : (uint64_t)thousandths;
	unsigned frac = (unsigned)(mag % 1000), digits = 3;
	while (digits > 0 && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	if (digits == 0)
		snprintf(out, CELL_LEN, "%s%" PRIu64, thousandths < 0 ? "-" : "", mag / 1000);
	else
		snprintf(out, CELL_LEN, "%s%" PRIu64 ".%0*u", thousandths < 0 ? "-" : "",
			 mag / 1000, (int)digits, frac);
}

/* Basis points as a percentage for IIF's PRICE: 825 "8.25%", 800 "8%". */
static void fmt_rate(int64_t bp, char out[CELL_LEN])
{
	if (bp % 100 == 0)
		snprintf(out, CELL_LEN, "%" PRId64 "%%", bp / 100);
	else if (bp % 10 == 0)
		snprintf(out, CELL_LEN, "%" PRId64 ".%" PRId64 "%%", bp / 100, bp % 100 / 10);
	else
		snprintf(out, CELL_LEN, "%" PRId64 ".%02" PRId64 "%%", bp / 100, bp % 100);
}

/* A checked "YYYY-MM-DD" in the order asked for. */
static void fmt_date(const char *iso, enum export_dates order, char out[CELL_LEN])
{
	const char *y = iso, *m = iso + 5, *d = iso + 8;
	switch (order) {
	case EXPORT_DATES_DMY:
		snprintf(out, CELL_LEN, "%.2s/%.2s/%.4s", d, m, y);
		break;
	case EXPORT_DATES_ISO:
		snprintf(out, CELL_LEN, "%.10s", iso);
		break;
	default:
		snprintf(out, CELL_LEN, "%.2s/%.2s/%.4s", m, d, y);
		break;
	}
}

/* ---- CSV (RFC 4180) ---- */

static void csv_field(struct buf *b, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		buf_addstr(b, s);
		return;
	}
	buf_addch(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_addch(b, '"');
		buf_addch(b, *p);
	}
	buf_addch(b, '"');
}

/* One record: n cells (NULL is empty), CRLF. */
static void csv_row(struct buf *b, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(b, ',');
		csv_field(b, cells[i]);
	}
	buf_addstr(b, "\r\n");
}

/* ---- QuickBooks Online ---- */

enum qbo_col {
	QBO_NUMBER, QBO_CUSTOMER, QBO_DATE, QBO_DUE, QBO_TERMS, QBO_LOCATION, QBO_MEMO,
	QBO_ITEM, QBO_DESCRIPTION, QBO_QUANTITY, QBO_RATE, QBO_AMOUNT, QBO_TAX_CODE,
	QBO_TAX_AMOUNT, QBO_CURRENCY, QBO_SERVICE_DATE, QBO__MAX
};

static const char *const qbo_header[] = {
	[QBO_NUMBER] = "*InvoiceNo", [QBO_CUSTOMER] = "*Customer",
	[QBO_DATE] = "*InvoiceDate", [QBO_DUE] = "*DueDate", [QBO_TERMS] = "Terms",
	[QBO_LOCATION] = "Location", [QBO_MEMO] = "Memo",
	[QBO_ITEM] = "Item(Product/Service)", [QBO_DESCRIPTION] = "ItemDescription",
	[QBO_QUANTITY] = "ItemQuantity", [QBO_RATE] = "ItemRate", [QBO_AMOUNT] = "*ItemAmount",
	[QBO_TAX_CODE] = "ItemTaxCode", [QBO_TAX_AMOUNT] = "ItemTaxAmount",
	[QBO_CURRENCY] = "Currency", [QBO_SERVICE_DATE] = "Service Date",
};
_Static_assert(N_ELEMS(qbo_header) == QBO__MAX, "a header for each QuickBooks Online column");

static void write_qbo(struct buf *b, const struct invoice *inv, size_t n,
		      const struct export_options *o)
{
	csv_row(b, qbo_header, QBO__MAX);
	for (size_t i = 0; i < n; i++) {
		char date[CELL_LEN], due[CELL_LEN];
		fmt_date(inv[i].issued_on, o->dates, date);
		fmt_date(inv[i].due_on, o->dates, due);
		for (size_t l = 0; l < inv[i].nlines; l++) {
			const struct line *line = &inv[i].lines[l];
			char qty[CELL_LEN], rate[CELL_LEN], amount[CELL_LEN], tax[CELL_LEN];
			fmt_quantity(line->quantity, qty);
			fmt_money(line->unit_price, inv[i].exponent, rate);
			fmt_money(line->amount, inv[i].exponent, amount);
			fmt_money(line->tax, inv[i].exponent, tax);
			const char *cell[QBO__MAX] = {
				[QBO_NUMBER] = inv[i].number, [QBO_CUSTOMER] = inv[i].qb_name,
				[QBO_DATE] = date, [QBO_DUE] = due, [QBO_ITEM] = o->item,
				[QBO_DESCRIPTION] = line->description, [QBO_QUANTITY] = qty,
				[QBO_RATE] = rate, [QBO_AMOUNT] = amount,
				[QBO_TAX_CODE] = line->taxed ? o->qbo_tax_code : o->qbo_exempt_code,
				[QBO_TAX_AMOUNT] = tax, [QBO_CURRENCY] = inv[i].currency,
			};
			csv_row(b, cell, QBO__MAX);
		}
	}
}

/* ---- Xero ---- */

enum xero_col {
	XERO_CONTACT, XERO_EMAIL, XERO_PO1, XERO_PO2, XERO_PO3, XERO_PO4, XERO_CITY,
	XERO_REGION, XERO_POSTAL, XERO_COUNTRY, XERO_NUMBER, XERO_REFERENCE, XERO_DATE,
	XERO_DUE, XERO_TOTAL, XERO_ITEM_CODE, XERO_DESCRIPTION, XERO_QUANTITY, XERO_UNIT,
	XERO_DISCOUNT, XERO_ACCOUNT, XERO_TAX_TYPE, XERO_TAX_AMOUNT, XERO_TRACKING_NAME1,
	XERO_TRACKING_OPTION1, XERO_TRACKING_NAME2, XERO_TRACKING_OPTION2, XERO_CURRENCY,
	XERO_BRANDING, XERO__MAX
};

static const char *const xero_header[] = {
	[XERO_CONTACT] = "*ContactName", [XERO_EMAIL] = "EmailAddress",
	[XERO_PO1] = "POAddressLine1", [XERO_PO2] = "POAddressLine2",
	[XERO_PO3] = "POAddressLine3", [XERO_PO4] = "POAddressLine4", [XERO_CITY] = "POCity",
	[XERO_REGION] = "PORegion", [XERO_POSTAL] = "POPostalCode",
	[XERO_COUNTRY] = "POCountry", [XERO_NUMBER] = "*InvoiceNumber",
	[XERO_REFERENCE] = "Reference", [XERO_DATE] = "*InvoiceDate", [XERO_DUE] = "*DueDate",
	[XERO_TOTAL] = "Total", [XERO_ITEM_CODE] = "InventoryItemCode",
	[XERO_DESCRIPTION] = "*Description", [XERO_QUANTITY] = "*Quantity",
	[XERO_UNIT] = "*UnitAmount", [XERO_DISCOUNT] = "Discount",
	[XERO_ACCOUNT] = "*AccountCode", [XERO_TAX_TYPE] = "*TaxType",
	[XERO_TAX_AMOUNT] = "TaxAmount", [XERO_TRACKING_NAME1] = "TrackingName1",
	[XERO_TRACKING_OPTION1] = "TrackingOption1", [XERO_TRACKING_NAME2] = "TrackingName2",
	[XERO_TRACKING_OPTION2] = "TrackingOption2", [XERO_CURRENCY] = "Currency",
	[XERO_BRANDING] = "BrandingTheme",
};
_Static_assert(N_ELEMS(xero_header) == XERO__MAX, "a header for each Xero column");

static void write_xero(struct buf *b, const struct invoice *inv, size_t n,
		       const struct export_options *o)
{
	csv_row(b, xero_header, XERO__MAX);
	for (size_t i = 0; i < n; i++) {
		char date[CELL_LEN], due[CELL_LEN], total[CELL_LEN];
		fmt_date(inv[i].issued_on, o->dates, date);
		fmt_date(inv[i].due_on, o->dates, due);
		fmt_money(inv[i].total, inv[i].exponent, total);
		for (size_t l = 0; l < inv[i].nlines; l++) {
			const struct line *line = &inv[i].lines[l];
			char qty[CELL_LEN], unit[CELL_LEN], tax[CELL_LEN];
			fmt_quantity(line->quantity, qty);
			fmt_money(line->unit_price, inv[i].exponent, unit);
			fmt_money(line->tax, inv[i].exponent, tax);
			const char *cell[XERO__MAX] = {
				[XERO_CONTACT] = inv[i].name, [XERO_EMAIL] = inv[i].email,
				[XERO_PO1] = inv[i].addr[ADDR_LINE1],
				[XERO_PO2] = inv[i].addr[ADDR_LINE2],
				[XERO_CITY] = inv[i].addr[ADDR_CITY],
				[XERO_REGION] = inv[i].addr[ADDR_REGION],
				[XERO_POSTAL] = inv[i].addr[ADDR_POSTAL],
				[XERO_COUNTRY] = inv[i].addr[ADDR_COUNTRY],
				[XERO_NUMBER] = inv[i].number, [XERO_DATE] = date, [XERO_DUE] = due,
				[XERO_TOTAL] = total, [XERO_DESCRIPTION] = line->description,
				[XERO_QUANTITY] = qty, [XERO_UNIT] = unit,
				[XERO_ACCOUNT] = o->xero_account_code,
				[XERO_TAX_TYPE] = line->taxed ? o->xero_tax_type
							      : o->xero_exempt_type,
				[XERO_TAX_AMOUNT] = tax, [XERO_CURRENCY] = inv[i].currency,
			};
			csv_row(b, cell, XERO__MAX);
		}
	}
}

/* ---- IIF ---- */

/* Windows-1252's characters 0x80..0x9f as Unicode (0: unassigned). */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* The Windows-1252 byte of code point c, or '?'. */
static char cp1252(uint32_t c)
{
	if (c < 0x80 || (c >= 0xa0 && c <= 0xff))
		return (char)c;
	for (unsigned i = 0; i < N_ELEMS(cp1252_high); i++)
		if (cp1252_high[i] && cp1252_high[i] == c)
			return (char)(0x80 + i);
	return '?';
}

/*
 * Decodes the UTF-8 sequence at s: sets *c and returns its length, or
 * returns 1 with *c = 0xfffd for a byte that starts no valid sequence.
 */
static size_t utf8_next(const unsigned char *s, uint32_t *c)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 1;
	if (n == 1 || s[0] >= 0xf8) {
		*c = s[0] < 0x80 ? s[0] : 0xfffd;
		return 1;
	}
	uint32_t v = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*c = 0xfffd;
			return 1;
		}
		v = v << 6 | (s[i] & 0x3f);
	}
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (v < least[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
		*c = 0xfffd;
		return 1;
	}
	*c = v;
	return n;
}

/*
 * One IIF field: a tab, a line break (CRLF counts once) or another control
 * character becomes a space, a double quote a single quote (QuickBooks
 * reads a field in double quotes as quoted); the rest is copied as UTF-8
 * or mapped to Windows-1252.
 */
static void iif_field(struct buf *b, const char *s, bool utf8)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		uint32_t c;
		size_t n = utf8_next(p, &c);
		if (c == '\r' && p[1] == '\n')
			n = 2;
		if (c < 0x20 || c == 0x7f)
			buf_addch(b, ' ');
		else if (c == '"')
			buf_addch(b, '\'');
		else if (c < 0x80)
			buf_addch(b, (char)c);
		else if (!utf8)
			buf_addch(b, cp1252(c));
		else if (c == 0xfffd && n == 1)
			buf_addch(b, '?');
		else
			buf_add(b, p, n);
		p += n;
	}
}

static void iif_row(struct buf *b, const char *const *cells, size_t n, bool utf8)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(b, '\t');
		iif_field(b, cells[i], utf8);
	}
	buf_addstr(b, "\r\n");
}

enum trns_col {
	TRNS_KEY, TRNS_ID, TRNS_TYPE, TRNS_DATE, TRNS_ACCNT, TRNS_NAME, TRNS_CLASS, TRNS_AMOUNT,
	TRNS_DOCNUM, TRNS_MEMO, TRNS_CLEAR, TRNS_TOPRINT, TRNS_NAMEISTAXABLE, TRNS_ADDR1,
	TRNS_ADDR2, TRNS_ADDR3, TRNS_ADDR4, TRNS_ADDR5, TRNS_DUEDATE, TRNS_TERMS, TRNS__MAX
};

static const char *const trns_header[] = {
	[TRNS_KEY] = "!TRNS", [TRNS_ID] = "TRNSID", [TRNS_TYPE] = "TRNSTYPE",
	[TRNS_DATE] = "DATE", [TRNS_ACCNT] = "ACCNT", [TRNS_NAME] = "NAME",
	[TRNS_CLASS] = "CLASS", [TRNS_AMOUNT] = "AMOUNT", [TRNS_DOCNUM] = "DOCNUM",
	[TRNS_MEMO] = "MEMO", [TRNS_CLEAR] = "CLEAR", [TRNS_TOPRINT] = "TOPRINT",
	[TRNS_NAMEISTAXABLE] = "NAMEISTAXABLE", [TRNS_ADDR1] = "ADDR1", [TRNS_ADDR2] = "ADDR2",
	[TRNS_ADDR3] = "ADDR3", [TRNS_ADDR4] = "ADDR4", [TRNS_ADDR5] = "ADDR5",
	[TRNS_DUEDATE] = "DUEDATE", [TRNS_TERMS] = "TERMS",
};
_Static_assert(N_ELEMS(trns_header) == TRNS__MAX, "a header for each TRNS column");

enum spl_col {
	SPL_KEY, SPL_ID, SPL_TYPE, SPL_DATE, SPL_ACCNT, SPL_NAME, SPL_CLASS, SPL_AMOUNT,
	SPL_DOCNUM, SPL_MEMO, SPL_CLEAR, SPL_QNTY, SPL_PRICE, SPL_INVITEM, SPL_TAXABLE,
	SPL_EXTRA, SPL__MAX
};

static const char *const spl_header[] = {
	[SPL_KEY] = "!SPL", [SPL_ID] = "SPLID", [SPL_TYPE] = "TRNSTYPE", [SPL_DATE] = "DATE",
	[SPL_ACCNT] = "ACCNT", [SPL_NAME] = "NAME", [SPL_CLASS] = "CLASS",
	[SPL_AMOUNT] = "AMOUNT", [SPL_DOCNUM] = "DOCNUM", [SPL_MEMO] = "MEMO",
	[SPL_CLEAR] = "CLEAR", [SPL_QNTY] = "QNTY", [SPL_PRICE] = "PRICE",
	[SPL_INVITEM] = "INVITEM", [SPL_TAXABLE] = "TAXABLE", [SPL_EXTRA] = "EXTRA",
};
_Static_assert(N_ELEMS(spl_header) == SPL__MAX, "a header for each SPL column");

/* The bill-to block, ADDR1..ADDR5: name, street lines, "City, Region Postal", country. */
static void iif_address(const struct invoice *inv, const char *out[5])
{
	const char *parts[] = { inv->qb_name, inv->addr[ADDR_LINE1], inv->addr[ADDR_LINE2],
				inv->city_line, inv->addr[ADDR_COUNTRY] };
	size_t k = 0;
	for (size_t i = 0; i < N_ELEMS(parts); i++)
		if (*parts[i])
			out[k++] = parts[i];
	while (k < 5)
		out[k++] = "";
}

static void write_iif(struct buf *b, const struct invoice *inv, size_t n,
		     const struct export_options *o)
{
	bool utf8 = o->iif_utf8;
	iif_row(b, trns_header, TRNS__MAX, utf8);
	iif_row(b, spl_header, SPL__MAX, utf8);
	iif_row(b, (const char *const[]){ "!ENDTRNS" }, 1, utf8);
	for (size_t i = 0; i < n; i++) {
		char date[CELL_LEN], due[CELL_LEN], total[CELL_LEN];
		const char *addr[5];
		iif_address(&inv[i], addr);
		fmt_date(inv[i].issued_on, o->dates, date);
		fmt_date(inv[i].due_on, o->dates, due);
		fmt_money(inv[i].total, inv[i].exponent, total);
		const char *trns[TRNS__MAX] = {
			[TRNS_KEY] = "TRNS", [TRNS_TYPE] = "INVOICE", [TRNS_DATE] = date,
			[TRNS_ACCNT] = o->iif_ar_account, [TRNS_NAME] = inv[i].qb_name,
			[TRNS_AMOUNT] = total, [TRNS_DOCNUM] = inv[i].number, [TRNS_CLEAR] = "N",
			[TRNS_TOPRINT] = "N", [TRNS_NAMEISTAXABLE] = inv[i].rate_bp > 0 ? "Y" : "N",
			[TRNS_ADDR1] = addr[0], [TRNS_ADDR2] = addr[1], [TRNS_ADDR3] = addr[2],
			[TRNS_ADDR4] = addr[3], [TRNS_ADDR5] = addr[4], [TRNS_DUEDATE] = due,
		};
		iif_row(b, trns, TRNS__MAX, utf8);
		/* income is a credit: amounts and quantities negative, prices positive */
		for (size_t l = 0; l < inv[i].nlines; l++) {
			const struct line *line = &inv[i].lines[l];
			char amount[CELL_LEN], qty[CELL_LEN], price[CELL_LEN];
			fmt_money(-line->amount, inv[i].exponent, amount);
			fmt_quantity(-line->quantity, qty);
			fmt_money(line->unit_price, inv[i].exponent, price);
			const char *spl[SPL__MAX] = {
				[SPL_KEY] = "SPL", [SPL_TYPE] = "INVOICE", [SPL_DATE] = date,
				[SPL_ACCNT] = o->iif_income_account, [SPL_AMOUNT] = amount,
				[SPL_DOCNUM] = inv[i].number, [SPL_MEMO] = line->description,
				[SPL_CLEAR] = "N", [SPL_QNTY] = qty, [SPL_PRICE] = price,
				[SPL_INVITEM] = o->item, [SPL_TAXABLE] = line->taxed ? "Y" : "N",
			};
			iif_row(b, spl, SPL__MAX, utf8);
		}
		if (inv[i].tax != 0 || !o->iif_no_tax_line) {
			char amount[CELL_LEN], rate[CELL_LEN];
			fmt_money(-inv[i].tax, inv[i].exponent, amount);
			fmt_rate(inv[i].rate_bp, rate);
			const char *spl[SPL__MAX] = {
				[SPL_KEY] = "SPL", [SPL_TYPE] = "INVOICE", [SPL_DATE] = date,
				[SPL_ACCNT] = o->iif_tax_account, [SPL_NAME] = o->iif_tax_agency,
				[SPL_AMOUNT] = amount, [SPL_DOCNUM] = inv[i].number, [SPL_CLEAR] = "N",
				[SPL_PRICE] = rate, [SPL_INVITEM] = o->iif_tax_item,
				[SPL_TAXABLE] = "N", [SPL_EXTRA] = "AUTOSTAX",
			};
			iif_row(b, spl, SPL__MAX, utf8);
		}
		iif_row(b, (const char *const[]){ "ENDTRNS" }, 1, utf8);
	}
}

/* ---- the entry point ---- */

/* The caller's options over the defaults. */
static void resolve(const struct export_options *in, enum export_format format,
		    struct export_options *o)
{
	*o = (struct export_options){
		.dates = formats[format].dates,
		.item = "Services",
		.qbo_tax_code = "TAX",
		.qbo_exempt_code = "NON",
		.xero_account_code = "200",
		.xero_tax_type = "Tax on Sales",
		.xero_exempt_type = "Tax Exempt",
		.iif_ar_account = "Accounts Receivable",
		.iif_income_account = "Services",
		.iif_tax_account = "Sales Tax Payable",
		.iif_tax_item = "Sales Tax",
		.iif_tax_agency = "",
	};
	if (!in)
		return;
	if (in->dates > EXPORT_DATES_DEFAULT && in->dates < EXPORT_DATES__MAX)
		o->dates = in->dates;
#define TAKE(f) do { if (in->f) o->f = in->f; } while (0)
	TAKE(item);
	TAKE(qbo_tax_code);
	TAKE(qbo_exempt_code);
	TAKE(xero_account_code);
	TAKE(xero_tax_type);
	TAKE(xero_exempt_type);
	TAKE(iif_ar_account);
	TAKE(iif_income_account);
	TAKE(iif_tax_account);
	TAKE(iif_tax_item);
	TAKE(iif_tax_agency);
#undef TAKE
	o->iif_no_tax_line = in->iif_no_tax_line;
	o->iif_utf8 = in->iif_utf8;
}

int export_invoices(const json_t *invoices, enum export_format format,
		    const struct export_options *options, struct buf *out, char *err,
		    size_t errlen)
{
	if ((unsigned)format >= EXPORT_FORMAT__MAX)
		return fail_with(err, errlen, "unknown export format %d", (int)format);
	if (!json_is_array(invoices))
		return fail_with(err, errlen, "invoices must be an array");
	struct export_options o;
	resolve(options, format, &o);

	size_t n = json_array_size(invoices), done = 0;
	struct invoice *inv = xcalloc(n, sizeof(*inv));
	if (!inv)
		return fail_with(err, errlen, "out of memory");
	int rc = 0;
	for (; done < n; done++) {
		rc = read_invoice(json_array_get(invoices, done), done, &inv[done], err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = check_unique(inv, n, err, errlen);
	if (rc < 0)
		goto out;
	/* IIF has no currency column: the amounts land in the company's own */
	for (size_t i = 1; format == EXPORT_IIF && i < n; i++) {
		if (strcmp(inv[i].currency, inv[0].currency) != 0) {
			rc = fail_with(err, errlen,
				       "%s: IIF has no currency, export %s and %s invoices apart",
				       inv[i].number, inv[0].currency, inv[i].currency);
			goto out;
		}
	}
	switch (format) {
	case EXPORT_QBO:
		write_qbo(out, inv, n, &o);
		break;
	case EXPORT_XERO:
		write_xero(out, inv, n, &o);
		break;
	default:
		write_iif(out, inv, n, &o);
		break;
	}
	if (out->failed)
		rc = fail_with(err, errlen, "out of memory or export too large");
out:
	for (size_t i = 0; i < done; i++)
		invoice_release(&inv[i]);
	xfree(inv);
	return rc;
}
