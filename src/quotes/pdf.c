/*
 * pdf.c - a quote as an A4 PDF, in the firm's document layout
 * (render/document.h): what is particular to quotes is here, how a page is
 * laid out is there.
 *
 * Top to bottom: the letterhead, the title (number and revision) with the
 * date, validity and status beside the client's block, the lines (each
 * with its kind and whether it is taxed under the description, so the tax
 * line adds up), the totals, the terms (response time, coverage,
 * warranty, qualifications, notes) and, while the quote is open, a place
 * to sign. A missing, null or mistyped member of the quote is simply left
 * out.
 */
#include "pdf.h"

#include "render/document.h"
#include "render/format.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the lines table ---- */

enum col { COL_DESC, COL_QTY, COL_PRICE, COL_DISC, COL_AMOUNT, COL__MAX };

/* Description takes what the others leave. */
static const struct doc_col cols[] = {
	[COL_DESC]	= { "Description", 0, false },
	[COL_QTY]	= { "Qty", 44, true },
	[COL_PRICE]	= { "Unit price", 92, true },
	[COL_DISC]	= { "Disc.", 50, true },
	[COL_AMOUNT]	= { "Amount", 96, true },
};
_Static_assert(N_ELEMS(cols) == COL__MAX, "one row per column");

static const struct doc_table lines_table = { NULL, cols, COL__MAX };

/* The totals sit under Unit price .. Amount. */
#define TOTALS_W (cols[COL_PRICE].width + cols[COL_DISC].width + cols[COL_AMOUNT].width)

static const char *const kinds[][2] = {
	{ "equipment", "Equipment" },
	{ "labor", "Labor" },
	{ "service", "Service" },
	{ NULL, NULL },
};

static const char *const coverages[][2] = {
	{ "business_hours", "Business hours" },
	{ "extended", "Extended hours" },
	{ "24x7", "24\xc3\x97" "7" },		/* U+00D7, the multiplication sign */
	{ NULL, NULL },
};

/* What both passes render. */
struct quote_doc {
	const json_t *quote;
	const json_t *company;
	const char *currency;
	char number[64];		/* "Q-000045", or "" */
};

/* ---- formatting for people ---- */

static void append_unit(char *out, size_t n, int64_t v, const char *unit)
{
	size_t k = strlen(out);
	if (v == 0 || k + 1 >= n)
		return;
	snprintf(out + k, n - k, "%s%lld %s%s", k ? " " : "", (long long)v, unit,
		 v == 1 ? "" : "s");
}

/* 240 -> "4 hours", 30 -> "30 minutes", 1560 -> "1 day 2 hours". */
static void duration_format(int64_t minutes, char *out, size_t n)
{
	out[0] = '\0';
	append_unit(out, n, minutes / 1440, "day");
	append_unit(out, n, minutes % 1440 / 60, "hour");
	append_unit(out, n, minutes % 60, "minute");
	if (!out[0])
		snprintf(out, n, "0 minutes");
}

/* "Q-000045", from a string or the plain sequence number. */
static void quote_number(const json_t *quote, char *out, size_t n)
{
	const char *s = fmt_json_str(quote, "number");
	int64_t v;
	out[0] = '\0';
	if (s)
		snprintf(out, n, "%s", s);
	else if (fmt_json_int(quote, "number", &v))
		snprintf(out, n, "Q-%06lld", (long long)v);
}

/* ---- title, client, dates ---- */

static void heading(struct doc *d, const struct quote_doc *q)
{
	char title[96], sub[64], created[11], valid[11], status[64];
	const char *st = fmt_json_str(q->quote, "status");
	int64_t v;

	snprintf(title, sizeof(title), "Quote%s%s", q->number[0] ? " " : "", q->number);
	bool has_rev = fmt_json_int(q->quote, "revision", &v);
	if (has_rev)
		snprintf(sub, sizeof(sub), "revision %lld", (long long)v);
	if (st)
		fmt_label(st, NULL, status, sizeof(status));
	bool has_created = fmt_date(fmt_json_str(q->quote, "created_at"), created);
	bool has_valid = fmt_date(fmt_json_str(q->quote, "valid_until"), valid);
	struct doc_fact facts[] = {
		{ "Date", has_created ? created : NULL, false },
		{ "Valid until", has_valid ? valid : NULL, false },
		{ "Status", st ? status : NULL, true },
	};
	const json_t *c = q->company;
	struct doc_heading h = {
		.title = title,
		.subtitle = has_rev ? sub : NULL,
		.to_label = "PREPARED FOR",
		.to_name = fmt_json_str(c, "name"),
		.to_address = fmt_json_str(c, "address"),
		.to_contact = { fmt_json_str(c, "email"), fmt_json_str(c, "phone"),
				fmt_json_str(c, "website") },
		.facts = facts,
		.nfacts = N_ELEMS(facts),
	};
	doc_heading(d, &h);
}

/* ---- the lines ---- */

static void table_row(struct doc *d, const struct quote_doc *q, const json_t *line)
{
	char qty[32] = "", price[MONEY_TEXT_LEN] = "", disc[24] = "", amount[MONEY_TEXT_LEN] = "";
	int64_t n = 0, u = 0, bp = 0, a;
	bool has_q = fmt_json_quantity(json_object_get(line, "quantity"), &n);
	bool has_u = fmt_json_int(line, "unit_price", &u);
	bool has_bp = fmt_json_int(line, "discount_bp", &bp);

	if (has_q)
		fmt_quantity(n, qty, sizeof(qty));
	if (has_u)
		fmt_money(u, q->currency, price);
	if (has_bp && bp != 0)
		fmt_bp(bp, disc, sizeof(disc));
	/* the server's amount; worked out the same way when it is not there */
	if (fmt_json_int(line, "amount", &a) ||
	    (has_q && has_u && money_line_amount(n, u, has_bp ? bp : 0, &a) == 0))
		fmt_money(a, q->currency, amount);

	/* under the description in small grey: the kind of line and whether it is taxed */
	const char *kind = fmt_json_str(line, "kind");
	char caption[96] = "";
	if (kind)
		fmt_label(kind, kinds, caption, sizeof(caption));
	if (json_is_false(json_object_get(line, "taxable"))) {
		size_t k = strlen(caption);
		snprintf(caption + k, sizeof(caption) - k, "%snot taxed", k ? " \xc2\xb7 " : "");
	}

	const char *cells[COL__MAX] = { fmt_json_str(line, "description"), qty, price, disc,
					amount };
	doc_table_row(d, &lines_table, cells, caption);
}

static void table(struct doc *d, const struct quote_doc *q)
{
	const json_t *lines = json_object_get(q->quote, "lines");
	size_t i;
	const json_t *line;
	json_array_foreach(lines, i, line) {
		if (json_is_object(line))
			table_row(d, q, line);
	}
	doc_table_end(d);
}

static void totals(struct doc *d, const struct quote_doc *q)
{
	char label[48], val[3][MONEY_TEXT_LEN];
	static const char *const keys[3] = { "subtotal", "tax", "total" };
	struct doc_total rows[3];
	size_t n = 0;
	int64_t v, rate;

	if (fmt_json_int(q->quote, "tax_rate_bp", &rate)) {
		char pct[24];
		fmt_bp(rate, pct, sizeof(pct));
		snprintf(label, sizeof(label), "Tax %s", pct);
	} else {
		snprintf(label, sizeof(label), "Tax");
	}
	const char *labels[3] = { "Subtotal", label, "Total" };
	for (size_t i = 0; i < 3; i++) {
		if (!fmt_json_int(q->quote, keys[i], &v))
			continue;
		fmt_money(v, q->currency, val[i]);
		rows[n++] = (struct doc_total){ labels[i], val[i], i == 2 };
	}
	doc_totals(d, TOTALS_W, rows, n);
}

/* ---- terms ---- */

static void terms(struct doc *d, const struct quote_doc *q)
{
	char response[64], coverage[64], warranty[48];
	struct doc_term t[7];
	size_t n = 0;
	int64_t v;
	const char *s;

	/* the words the quote was written with (terms.c), else the bare values of an older one */
	s = fmt_json_str(q->quote, "response_text");
	if (s) {
		t[n++] = (struct doc_term){ "Response time", s };
	} else if (fmt_json_int(q->quote, "response_time_minutes", &v) && v >= 0) {
		duration_format(v, response, sizeof(response));
		t[n++] = (struct doc_term){ "Response time", response };
	}
	s = fmt_json_str(q->quote, "coverage_text");
	if (s) {
		t[n++] = (struct doc_term){ "Coverage", s };
	} else if ((s = fmt_json_str(q->quote, "coverage"))) {
		fmt_label(s, coverages, coverage, sizeof(coverage));
		t[n++] = (struct doc_term){ "Coverage", coverage };
	}
	if (fmt_json_int(q->quote, "warranty_days", &v) && v >= 0) {
		snprintf(warranty, sizeof(warranty), "%lld day%s", (long long)v, v == 1 ? "" : "s");
		t[n++] = (struct doc_term){ "Warranty", warranty };
	}
	s = fmt_json_str(q->quote, "qualifications");
	if (s && s[0])
		t[n++] = (struct doc_term){ "Qualifications", s };
	/* the certifications promised: "CompTIA Network+, Cisco CCNA" */
	char certs[1024] = "";
	size_t i, len = 0;
	const json_t *c;
	json_array_foreach(json_object_get(q->quote, "required_certifications"), i, c) {
		if (json_is_string(c) && len + 1 < sizeof(certs)) {
			int w = snprintf(certs + len, sizeof(certs) - len, "%s%s", len ? ", " : "",
					 json_string_value(c));
			len = w > 0 && (size_t)w < sizeof(certs) - len ? len + (size_t)w
								       : sizeof(certs) - 1;
		}
	}
	if (certs[0])
		t[n++] = (struct doc_term){ "Technicians certified in", certs };
	s = fmt_json_str(q->quote, "notes");
	if (s)
		t[n++] = (struct doc_term){ "Notes", s };
	doc_terms(d, "Terms", t, n);
}

/* While the quote is still open, room for the client's signature. */
static void acceptance(struct doc *d, const struct quote_doc *q)
{
	const char *st = fmt_json_str(q->quote, "status");
	if (st && strcmp(st, "draft") != 0 && strcmp(st, "sent") != 0)
		return;
	const char *name = fmt_json_str(q->company, "name");
	char intro[512];
	snprintf(intro, sizeof(intro), "Signed for %s, accepting this quote and its terms.",
		 name ? name : "the client");
	static const char *const fields[] = { "Name", "Signature", "Date" };
	doc_sign_here(d, "Acceptance", intro, fields, N_ELEMS(fields));
}

static void body(struct doc *d, void *arg)
{
	const struct quote_doc *q = arg;
	doc_letterhead(d);
	heading(d, q);
	table(d, q);
	totals(d, q);
	terms(d, q);
	acceptance(d, q);
}

/* ---- the entry point ---- */

int quote_pdf_render(const json_t *quote, const json_t *company, const struct doc_firm *firm,
		     struct buf *out, char *err, size_t errlen)
{
	if (!json_is_object(quote)) {
		if (err && errlen)
			snprintf(err, errlen, "%s",
				 "cannot render the pdf: the quote is not a json object");
		return -1;
	}
	struct quote_doc q = {
		.quote = quote,
		.company = json_is_object(company) ? company : NULL,
		.currency = fmt_json_str(quote, "currency"),
	};
	quote_number(quote, q.number, sizeof(q.number));

	char title[96], ident[96];
	int64_t rev;
	snprintf(title, sizeof(title), "Quote%s%s", q.number[0] ? " " : "", q.number);
	if (fmt_json_int(quote, "revision", &rev))
		snprintf(ident, sizeof(ident), "%s%srev %lld", q.number, q.number[0] ? " " : "",
			 (long long)rev);
	else
		snprintf(ident, sizeof(ident), "%s", q.number);

	struct doc_info info = { .firm = firm, .title = title, .ident = ident };
	return doc_render(&info, body, &q, out, err, errlen);
}

void quote_pdf_cleanup(void)
{
	doc_cleanup();
}
