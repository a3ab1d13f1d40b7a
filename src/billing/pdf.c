/*
 * pdf.c - an invoice as an A4 PDF, in the firm's document layout
 * (render/document.h): what is particular to invoices is here, how a page
 * is laid out is there.
 *
 * Top to bottom: the letterhead, the title (the number, or "Draft
 * invoice") with the issue and due dates, terms and status beside the
 * client's block, the lines (each with its explanation under the
 * description, and "not taxed" where it is not, so the tax line adds up),
 * the totals with what was paid and the balance due, the payments
 * received and what remains to pay by when. A draft is stamped DRAFT and
 * a void invoice VOID across every page, so neither can pass for a bill.
 */
#include "pdf.h"

#include "core/result.h"
#include "render/format.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MIDDLE_DOT " \xc2\xb7 "

/* ---- the tables ---- */

enum col { COL_DESC, COL_QTY, COL_PRICE, COL_AMOUNT, COL__MAX };

static const struct doc_col cols[] = {
	[COL_DESC]	= { "Description", 0, false },
	[COL_QTY]	= { "Qty", 44, true },
	[COL_PRICE]	= { "Unit price", 92, true },
	[COL_AMOUNT]	= { "Amount", 96, true },
};
_Static_assert(N_ELEMS(cols) == COL__MAX, "one row per column");

static const struct doc_table lines_table = { NULL, cols, COL__MAX };

/* The totals sit under Qty .. Amount: room for a large total in bold. */
#define TOTALS_W (cols[COL_QTY].width + cols[COL_PRICE].width + cols[COL_AMOUNT].width)

enum pay_col { PAY_DATE, PAY_METHOD, PAY_AMOUNT, PAY__MAX };

static const struct doc_col pay_cols[] = {
	[PAY_DATE]	= { "Received", 92, false },
	[PAY_METHOD]	= { "Method", 0, false },
	[PAY_AMOUNT]	= { "Amount", 96, true },
};
_Static_assert(N_ELEMS(pay_cols) == PAY__MAX, "one row per column");

static const struct doc_table payments_table = { "Payments received", pay_cols, PAY__MAX };

/* What both passes render. */
struct invoice_doc {
	const json_t *invoice;
	const json_t *company;
	const char *currency;
	char number[64];		/* "INV-000017", or "" for a draft */
	char title[96];			/* "Invoice INV-000017", "Draft invoice" */
	bool draft, voided;
};

/* ---- reading the invoice ---- */

/* "INV-000017", from a string or the plain sequence number; "" when there is none. */
static void invoice_number(const json_t *invoice, char *out, size_t n)
{
	const char *s = fmt_json_str(invoice, "number");
	int64_t v;
	out[0] = '\0';
	if (s)
		snprintf(out, n, "%s", s);
	else if (fmt_json_int(invoice, "number", &v))
		snprintf(out, n, "INV-%06lld", (long long)v);
}

/* Appends s to out (n bytes) after sep, when both are there; out stays a string. */
static void append(char *out, size_t n, const char *sep, const char *s)
{
	size_t k = strlen(out);
	if (!s || k + 1 >= n)
		return;
	snprintf(out + k, n - k, "%s%s", k ? sep : "", s);
}

/*
 * The company's postal address, one line each: its free-text address if
 * it has one, else "line 1", "line 2", "City, Region Postcode", "Country".
 */
static const char *company_address(const json_t *c, char *out, size_t n)
{
	const char *free_text = fmt_json_str(c, "address");
	if (free_text)
		return free_text;
	char place[256] = "";
	append(place, sizeof(place), "", fmt_json_str(c, "city"));
	append(place, sizeof(place), ", ", fmt_json_str(c, "region"));
	append(place, sizeof(place), " ", fmt_json_str(c, "postal_code"));
	out[0] = '\0';
	append(out, n, "\n", fmt_json_str(c, "address_line1"));
	append(out, n, "\n", fmt_json_str(c, "address_line2"));
	append(out, n, "\n", place[0] ? place : NULL);
	append(out, n, "\n", fmt_json_str(c, "country"));
	return out[0] ? out : NULL;
}

/* ---- title, client, dates ---- */

static void heading(struct doc *d, const struct invoice_doc *v)
{
	char issued[11], due[11], terms[64], status[64], address[1024];
	const char *st = fmt_json_str(v->invoice, "status");
	int64_t days;

	if (st)
		fmt_label(st, NULL, status, sizeof(status));
	bool has_issued = fmt_date(fmt_json_str(v->invoice, "issued_on"), issued);
	bool has_due = fmt_date(fmt_json_str(v->invoice, "due_on"), due);
	bool has_terms = fmt_json_int(v->invoice, "payment_terms_days", &days) && days >= 0;
	if (has_terms) {
		if (days == 0)
			snprintf(terms, sizeof(terms), "On receipt");
		else
			snprintf(terms, sizeof(terms), "%lld day%s", (long long)days,
				 days == 1 ? "" : "s");
	}
	struct doc_fact facts[] = {
		{ "Issued", has_issued ? issued : NULL, false },
		{ "Due", has_due ? due : NULL, false },
		{ "Terms", has_terms ? terms : NULL, false },
		{ "Status", st ? status : NULL, true },
	};
	const json_t *c = v->company;
	struct doc_heading h = {
		.title = v->title,
		.subtitle = v->voided ? "VOID: cancelled, nothing is due on this invoice"
			  : v->draft ? "DRAFT: not issued yet, not a request for payment"
				     : NULL,
		.to_label = "BILL TO",
		.to_name = fmt_json_str(c, "name"),
		.to_address = company_address(c, address, sizeof(address)),
		.to_contact = { fmt_json_str(c, "email"), fmt_json_str(c, "phone"), NULL },
		.facts = facts,
		.nfacts = N_ELEMS(facts),
	};
	doc_heading(d, &h);
}

/* ---- the lines ---- */

static void line_row(struct doc *d, const struct invoice_doc *v, const json_t *line)
{
	char qty[32] = "", price[MONEY_TEXT_LEN] = "", amount[MONEY_TEXT_LEN] = "";
	int64_t n;

	if (fmt_json_quantity(json_object_get(line, "quantity"), &n))
		fmt_quantity(n, qty, sizeof(qty));
	if (fmt_json_int(line, "unit_price", &n))
		fmt_money(n, v->currency, price);
	if (fmt_json_int(line, "amount", &n))
		fmt_money(n, v->currency, amount);

	/* under the description in small grey: why the line costs what it does */
	const char *explanation = fmt_json_str(line, "explanation");
	bool untaxed = json_is_false(json_object_get(line, "taxable"));
	struct buf sub;
	buf_init(&sub, 0);
	if (explanation)
		buf_addstr(&sub, explanation);
	if (untaxed)
		buf_addstr(&sub, explanation ? MIDDLE_DOT "not taxed" : "Not taxed");
	if (sub.failed)
		doc_fail(d);

	const char *cells[COL__MAX] = { fmt_json_str(line, "description"), qty, price, amount };
	doc_table_row(d, &lines_table, cells, buf_str(&sub));
	buf_release(&sub);
}

static void lines(struct doc *d, const struct invoice_doc *v)
{
	const json_t *all = json_object_get(v->invoice, "lines");
	size_t i;
	const json_t *line;
	json_array_foreach(all, i, line) {
		if (json_is_object(line))
			line_row(d, v, line);
	}
	doc_table_end(d);
}

/* ---- totals ---- */

static void totals(struct doc *d, const struct invoice_doc *v)
{
	/* a draft or void invoice asks for nothing: no paid, no balance due */
	static const struct {
		const char *key, *label;
		bool grand, payable_only;
	} rows[] = {
		{ "subtotal", "Subtotal", false, false },
		{ "tax", NULL, false, false },		/* labelled with its rate */
		{ "total", "Total", true, false },
		{ "paid", "Paid", false, true },
		{ "balance", "Balance due", true, true },
	};
	char tax[48], val[N_ELEMS(rows)][MONEY_TEXT_LEN];
	struct doc_total t[N_ELEMS(rows)];
	size_t n = 0;
	int64_t x;

	if (fmt_json_int(v->invoice, "tax_rate_bp", &x)) {
		char pct[24];
		fmt_bp(x, pct, sizeof(pct));
		snprintf(tax, sizeof(tax), "Tax %s", pct);
	} else {
		snprintf(tax, sizeof(tax), "Tax");
	}
	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		if (rows[i].payable_only && (v->draft || v->voided))
			continue;
		if (!fmt_json_int(v->invoice, rows[i].key, &x))
			continue;
		fmt_money(x, v->currency, val[i]);
		t[n++] = (struct doc_total){ rows[i].label ? rows[i].label : tax, val[i],
					     rows[i].grand };
	}
	doc_totals(d, TOTALS_W, t, n);
}

/* ---- payments ---- */

static void payments(struct doc *d, const struct invoice_doc *v)
{
	const json_t *all = json_object_get(v->invoice, "payments");
	size_t i;
	const json_t *p;
	json_array_foreach(all, i, p) {
		if (!json_is_object(p))
			continue;
		char date[11] = "", method[64] = "", amount[MONEY_TEXT_LEN] = "";
		const char *m = fmt_json_str(p, "method");
		int64_t a;
		if (!fmt_date(fmt_json_str(p, "received_on"), date))
			date[0] = '\0';
		if (m)
			fmt_label(m, NULL, method, sizeof(method));
		if (fmt_json_int(p, "amount", &a))
			fmt_money(a, v->currency, amount);
		const char *cells[PAY__MAX] = { date, method, amount };
		doc_table_row(d, &payments_table, cells, fmt_json_str(p, "reference"));
	}
	doc_table_end(d);
}

/* What remains to pay and by when, in a sentence: only an issued or paid invoice asks. */
static void amount_due(struct doc *d, const struct invoice_doc *v)
{
	char text[160], money[MONEY_TEXT_LEN], date[11];
	int64_t balance;

	if (v->draft || v->voided || !fmt_json_int(v->invoice, "balance", &balance))
		return;
	if (balance > 0) {
		bool by = fmt_date(fmt_json_str(v->invoice, "due_on"), date);
		fmt_money(balance, v->currency, money);
		snprintf(text, sizeof(text), "%s%s%s", money, by ? " by " : "", by ? date : "");
	} else if (balance < 0) {
		fmt_money(-balance, v->currency, money);
		snprintf(text, sizeof(text), "Nothing: %s in your favour", money);
	} else {
		snprintf(text, sizeof(text), "Nothing: paid in full, thank you");
	}
	const struct doc_term t = { "Amount due", text };
	doc_terms(d, "Payment", &t, 1);
}

static void body(struct doc *d, void *arg)
{
	const struct invoice_doc *v = arg;
	doc_letterhead(d);
	heading(d, v);
	lines(d, v);
	totals(d, v);
	payments(d, v);
	amount_due(d, v);
}

/* ---- the entry point ---- */

int invoice_pdf_render(const json_t *invoice, const json_t *company,
		       const struct doc_firm *firm, struct buf *out, char *err, size_t errlen)
{
	if (!json_is_object(invoice)) {
		if (err && errlen)
			snprintf(err, errlen, "%s",
				 "cannot render the pdf: the invoice is not a json object");
		return RC_ERROR;
	}
	const char *st = fmt_json_str(invoice, "status");
	struct invoice_doc v = {
		.invoice = invoice,
		.company = json_is_object(company) ? company : NULL,
		.currency = fmt_json_str(invoice, "currency"),
	};
	invoice_number(invoice, v.number, sizeof(v.number));
	v.voided = st && strcmp(st, "void") == 0;
	v.draft = !v.voided && (!v.number[0] || (st && strcmp(st, "draft") == 0));

	if (v.draft)
		snprintf(v.title, sizeof(v.title), "Draft invoice");
	else
		snprintf(v.title, sizeof(v.title), "Invoice%s%s", v.number[0] ? " " : "", v.number);
	/* the stamp is not text: the footer says it in words */
	const char *stamp = v.voided ? "VOID" : v.draft ? "DRAFT" : NULL;
	char ident[96];
	snprintf(ident, sizeof(ident), "%s%s%s", v.number, stamp && v.number[0] ? " " : "",
		 stamp ? stamp : "");
	struct doc_info info = {
		.firm = firm,
		.title = v.title,
		.ident = ident,
		.stamp = stamp,
	};
	return doc_render(&info, body, &v, out, err, errlen) == 0 ? RC_OK : RC_ERROR;
}
