/*
 * pdf.c - a quote as an A4 PDF, drawn with cairo and laid out with pango.
 *
 * Cairo cannot go back to a finished page, yet every footer says "page N
 * of M". So the document is laid out twice by the same code: a dry pass
 * that measures (pango layouts, no drawing) and counts the pages, then the
 * real pass, which knows M. Page breaks depend only on measurements, so
 * both passes break at the same places.
 *
 * All text goes through pango as plain text, never markup, so whatever a
 * user typed cannot restyle the document; pango wraps, shapes UTF-8 and
 * falls back between fonts. The family is the generic "DejaVu Sans, Sans"
 * so a server with only fonts-dejavu-core renders like a desktop.
 *
 * Top to bottom: the letterhead (first page), the title with dates and
 * status beside the client's block, the lines table (its header repeated
 * on every page it continues on), the totals (never split), the terms (a
 * short item is kept whole, a long text flows on line by line) and, while
 * the quote is open, a place to sign. Every page ends with a footer.
 * Units are PDF points (1/72 in). A missing or null member of the quote
 * is simply left out.
 */
#include "pdf.h"

#include "core/money.h"
#include "core/timeutil.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define PAGE_W		595.276		/* A4 */
#define PAGE_H		841.890
#define MARGIN		48.0
#define CONTENT_W	(PAGE_W - 2 * MARGIN)
#define TOP		MARGIN
#define BOTTOM		(PAGE_H - 66.0)	/* content ends here; the footer is below */
#define FOOTER_Y	(PAGE_H - 44.0)
#define CELL_PAD	5.0		/* left and right inside a table cell */
#define ROW_PAD		5.0		/* above and below a table row */
#define LOGO_W		170.0		/* the box the logo is scaled into */
#define LOGO_H		54.0
#define LOGO_MAX_PX	2048u		/* refuse bigger images before decoding them */
#define TERM_LABEL_W	110.0
#define META_W		210.0		/* date, valid until, status: top right */
#define LEFT_W		(CONTENT_W - META_W - 16)	/* the title and client beside it */
#define FONT_FAMILY	"DejaVu Sans,Sans"
#define EM_DASH		"\xe2\x80\x94"

/* ---- styles ---- */

#define INK	0.10, 0.11, 0.13
#define MUTED	0.42, 0.45, 0.50
#define ACCENT	0.11, 0.23, 0.38
#define RULE	0.80, 0.83, 0.87
#define BAND	0.94, 0.95, 0.97

enum style {
	ST_BODY, ST_BODY_MUTED, ST_BODY_BOLD, ST_STRONG, ST_SMALL, ST_LABEL, ST_FIRM,
	ST_TITLE, ST_SUBTITLE, ST_HEAD, ST_TH, ST_TOTAL, ST_FOOT,
	ST__MAX
};

static const struct style_def {
	double size;
	PangoWeight weight;
	double r, g, b;
} styles[] = {
	[ST_BODY]	= { 9.0, PANGO_WEIGHT_NORMAL, INK },
	[ST_BODY_MUTED]	= { 9.0, PANGO_WEIGHT_NORMAL, MUTED },
	[ST_BODY_BOLD]	= { 9.0, PANGO_WEIGHT_BOLD, INK },
	[ST_STRONG]	= { 10.0, PANGO_WEIGHT_BOLD, INK },
	[ST_SMALL]	= { 8.0, PANGO_WEIGHT_NORMAL, MUTED },
	[ST_LABEL]	= { 7.0, PANGO_WEIGHT_BOLD, MUTED },
	[ST_FIRM]	= { 14.0, PANGO_WEIGHT_BOLD, ACCENT },
	[ST_TITLE]	= { 20.0, PANGO_WEIGHT_BOLD, ACCENT },
	[ST_SUBTITLE]	= { 10.0, PANGO_WEIGHT_NORMAL, MUTED },
	[ST_HEAD]	= { 11.0, PANGO_WEIGHT_BOLD, ACCENT },
	[ST_TH]		= { 8.0, PANGO_WEIGHT_BOLD, INK },
	[ST_TOTAL]	= { 11.0, PANGO_WEIGHT_BOLD, ACCENT },
	[ST_FOOT]	= { 7.5, PANGO_WEIGHT_NORMAL, MUTED },
};
_Static_assert(N_ELEMS(styles) == ST__MAX, "one row per style");

/* ---- the lines table ---- */

enum col { COL_DESC, COL_QTY, COL_PRICE, COL_DISC, COL_AMOUNT, COL__MAX };

/* Description takes what the others leave. */
static const struct col_def {
	const char *title;
	double width;
	PangoAlignment align;
} cols[] = {
	[COL_DESC]	= { "Description", 0, PANGO_ALIGN_LEFT },
	[COL_QTY]	= { "Qty", 44, PANGO_ALIGN_RIGHT },
	[COL_PRICE]	= { "Unit price", 92, PANGO_ALIGN_RIGHT },
	[COL_DISC]	= { "Disc.", 50, PANGO_ALIGN_RIGHT },
	[COL_AMOUNT]	= { "Amount", 96, PANGO_ALIGN_RIGHT },
};
_Static_assert(N_ELEMS(cols) == COL__MAX, "one row per column");

static double col_width(enum col c)
{
	if (c != COL_DESC)
		return cols[c].width;
	double w = CONTENT_W;
	for (int i = 1; i < COL__MAX; i++)
		w -= cols[i].width;
	return w;
}

static double col_x(enum col c)
{
	double x = MARGIN;
	for (int i = 0; i < (int)c; i++)
		x += col_width((enum col)i);
	return x;
}

/* ---- the renderer's state for one pass ---- */

struct pdf {
	cairo_t *cr;
	PangoContext *pc;
	PangoFontDescription *font[ST__MAX];
	bool dry;		/* first pass: measure and count pages, draw nothing */
	bool failed;		/* one of our own allocations failed */
	int page;		/* 1-based */
	int pages;		/* the total, or 0 in the dry pass */
	double y;		/* where the next thing goes */
	double page_top;	/* y of the first thing on this page (after a table header) */
	bool in_table;		/* a page break repeats the table header */
	const char *firm_name;
	char ident[96];		/* "Q-000045 rev 2", for the footer */
};

/* What both passes render. */
struct doc {
	const json_t *quote;
	const json_t *company;
	const struct quote_pdf_firm *firm;
	cairo_surface_t *logo;	/* NULL when absent or unreadable */
	const char *currency;
};

/* ---- small readers of the JSON: absent, null or mistyped means "omit" ---- */

static const char *jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

static bool jint(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

/* A quantity as thousandths: 1.5 -> 1500. */
static bool quantity_of(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t q = json_integer_value(v);
		if (q > INT64_MAX / 1000 || q < -(INT64_MAX / 1000))
			return false;
		*out = (int64_t)q * 1000;
		return true;
	}
	if (json_is_real(v)) {
		double t = json_real_value(v) * 1000.0;
		if (!(fabs(t) < 9.0e18))
			return false;
		*out = (int64_t)llround(t);
		return true;
	}
	return false;
}

/* ---- formatting for people ---- */

/* 1500 -> "1.5", 2000 -> "2", 1234 -> "1.234": no trailing zeros. */
static void quantity_format(int64_t t, char *out, size_t n)
{
	uint64_t mag = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
	unsigned frac = (unsigned)(mag % 1000);
	int k = snprintf(out, n, "%s%llu", t < 0 ? "-" : "", (unsigned long long)(mag / 1000));
	if (frac == 0 || k < 0 || (size_t)k >= n)
		return;
	int digits = 3;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out + k, n - (size_t)k, ".%0*u", digits, frac);
}

/* Basis points as a percentage: 825 -> "8.25 %", 1000 -> "10 %", 1050 -> "10.5 %". */
static void bp_format(int64_t bp, char *out, size_t n)
{
	uint64_t mag = bp < 0 ? (uint64_t)0 - (uint64_t)bp : (uint64_t)bp;
	unsigned long long whole = mag / 100, frac = mag % 100;
	const char *sign = bp < 0 ? "-" : "";
	if (frac == 0)
		snprintf(out, n, "%s%llu %%", sign, whole);
	else if (frac % 10 == 0)
		snprintf(out, n, "%s%llu.%llu %%", sign, whole, frac / 10);
	else
		snprintf(out, n, "%s%llu.%02llu %%", sign, whole, frac);
}

/* money_format, without the trailing blank it leaves when there is no currency. */
static void money_text(int64_t minor, const char *currency, char out[MONEY_TEXT_LEN])
{
	money_format(minor, currency, out);
	size_t n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

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

/* "2026-11-22T14:05:00Z" -> "2026-11-22"; anything not starting with a date -> false. */
static bool date_of(const char *s, char out[11])
{
	if (!s || strlen(s) < 10)
		return false;
	memcpy(out, s, 10);
	out[10] = '\0';
	return date_valid(out);
}

/* An enum value for people: a known label, else "in_progress" -> "In progress". */
static void enum_label(const char *v, const char *const map[][2], char *out, size_t n)
{
	for (size_t i = 0; map && map[i][0]; i++) {
		if (strcmp(map[i][0], v) == 0) {
			snprintf(out, n, "%s", map[i][1]);
			return;
		}
	}
	snprintf(out, n, "%s", v);
	for (char *c = out; *c; c++)
		if (*c == '_')
			*c = ' ';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}

static const char *const coverages[][2] = {
	{ "business_hours", "Business hours" },
	{ "extended", "Extended hours" },
	{ "24x7", "24\xc3\x97" "7" },		/* U+00D7, the multiplication sign */
	{ NULL, NULL },
};

/* ---- text ---- */

static void set_text(PangoLayout *l, const char *s)
{
	/* jansson strings are valid UTF-8, the firm's settings may not be */
	if (g_utf8_validate(s, -1, NULL)) {
		pango_layout_set_text(l, s, -1);
		return;
	}
	gchar *fixed = g_utf8_make_valid(s, -1);
	pango_layout_set_text(l, fixed, -1);
	g_free(fixed);
}

/* A layout of s; width > 0 wraps it (and is needed for a right alignment). Caller unrefs. */
static PangoLayout *text_new(struct pdf *p, enum style st, const char *s, double width,
			     PangoAlignment align)
{
	PangoLayout *l = pango_layout_new(p->pc);
	pango_layout_set_font_description(l, p->font[st]);
	if (width > 0) {
		pango_layout_set_width(l, pango_units_from_double(width));
		/* a long word (a URL, a part number) breaks rather than overflows */
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_alignment(l, align);
	set_text(l, s);
	return l;
}

static double text_h(PangoLayout *l)
{
	int h;
	pango_layout_get_size(l, NULL, &h);
	return pango_units_to_double(h);
}

static double first_line_h(PangoLayout *l)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	PangoRectangle r;
	pango_layout_iter_get_line_extents(it, NULL, &r);
	pango_layout_iter_free(it);
	return pango_units_to_double(r.y + r.height);
}

static void color(struct pdf *p, enum style st)
{
	cairo_set_source_rgb(p->cr, styles[st].r, styles[st].g, styles[st].b);
}

static void show(struct pdf *p, PangoLayout *l, enum style st, double x, double y)
{
	if (p->dry)
		return;
	color(p, st);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
}

/*
 * Draws s at (x, y) and returns its height. The blocks above the table are
 * not paginated, so what a user typed there is cut to max_lines with an
 * ellipsis (0: no limit) rather than pushed over the footer.
 */
static double text_at(struct pdf *p, enum style st, const char *s, double x, double y,
		      double width, PangoAlignment align, int max_lines)
{
	PangoLayout *l = text_new(p, st, s, width, align);
	if (max_lines > 0) {
		pango_layout_set_height(l, -max_lines);
		pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	}
	show(p, l, st, x, y);
	double h = text_h(l);
	g_object_unref(l);
	return h;
}

static void hline(struct pdf *p, double x1, double x2, double y, double width, double r,
		  double g, double b)
{
	if (p->dry)
		return;
	cairo_set_source_rgb(p->cr, r, g, b);
	cairo_set_line_width(p->cr, width);
	cairo_move_to(p->cr, x1, y);
	cairo_line_to(p->cr, x2, y);
	cairo_stroke(p->cr);
}

static void fill(struct pdf *p, double x, double y, double w, double h, double r, double g,
		 double b)
{
	if (p->dry)
		return;
	cairo_set_source_rgb(p->cr, r, g, b);
	cairo_rectangle(p->cr, x, y, w, h);
	cairo_fill(p->cr);
}

/* ---- pages ---- */

static void table_head(struct pdf *p);

static void footer(struct pdf *p)
{
	if (p->dry)
		return;
	char right[160];
	snprintf(right, sizeof(right), "%s%spage %d of %d", p->ident,
		 p->ident[0] ? " " EM_DASH " " : "", p->page, p->pages);
	hline(p, MARGIN, MARGIN + CONTENT_W, FOOTER_Y, 0.5, RULE);
	/* the page number is never cut; the firm's name gets what is left */
	PangoLayout *l = text_new(p, ST_FOOT, right, 0, PANGO_ALIGN_LEFT);
	int w;
	pango_layout_get_size(l, &w, NULL);
	double rw = pango_units_to_double(w);
	show(p, l, ST_FOOT, MARGIN + CONTENT_W - rw, FOOTER_Y + 6);
	g_object_unref(l);
	if (p->firm_name && CONTENT_W - rw > 40)
		text_at(p, ST_FOOT, p->firm_name, MARGIN, FOOTER_Y + 6, CONTENT_W - rw - 16,
			PANGO_ALIGN_LEFT, 1);
}

static void new_page(struct pdf *p)
{
	footer(p);
	if (!p->dry)
		cairo_show_page(p->cr);
	p->page++;
	p->y = TOP;
	if (p->in_table)
		table_head(p);
	p->page_top = p->y;
}

/* Starts a new page unless h more points fit on this one (or this one is still empty). */
static void need(struct pdf *p, double h)
{
	if (p->y + h > BOTTOM && p->y > p->page_top)
		new_page(p);
}

/* Space before a block, but none at the top of a page. */
static void gap(struct pdf *p, double g)
{
	if (p->y > p->page_top)
		p->y += g;
}

/*
 * Draws l at x from p->y one line at a time, going on to a new page where
 * the next line would cross the bottom margin, and leaves p->y under it.
 */
static void flow(struct pdf *p, PangoLayout *l, enum style st, double x)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);
	double origin = p->y;		/* where the layout's top would be on this page */
	do {
		PangoRectangle r;
		pango_layout_iter_get_line_extents(it, NULL, &r);
		double top = origin + pango_units_to_double(r.y);
		double h = pango_units_to_double(r.height);
		if (top + h > BOTTOM && top > p->page_top) {
			new_page(p);
			origin = p->y - pango_units_to_double(r.y);
			top = p->y;
		}
		if (!p->dry) {
			/* a line is drawn from its baseline's left end */
			double base = pango_units_to_double(pango_layout_iter_get_baseline(it));
			PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
			color(p, st);
			cairo_move_to(p->cr, x + pango_units_to_double(r.x), origin + base);
			pango_cairo_show_layout_line(p->cr, line);
		}
		p->y = top + h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

/* ---- the letterhead ---- */

static void letterhead(struct pdf *p, const struct doc *d)
{
	const struct quote_pdf_firm *f = d->firm;
	double left = TOP, right = TOP;

	if (d->logo) {
		double w = cairo_image_surface_get_width(d->logo);
		double h = cairo_image_surface_get_height(d->logo);
		double s = fmin(LOGO_W / w, LOGO_H / h);
		if (!p->dry) {
			cairo_save(p->cr);
			cairo_translate(p->cr, MARGIN, TOP);
			cairo_scale(p->cr, s, s);
			cairo_set_source_surface(p->cr, d->logo, 0, 0);
			cairo_pattern_set_filter(cairo_get_source(p->cr), CAIRO_FILTER_GOOD);
			cairo_paint(p->cr);
			cairo_restore(p->cr);
		}
		left += h * s + 8;
	}
	if (f->name)
		left += text_at(p, ST_FIRM, f->name, MARGIN, left, CONTENT_W * 0.55,
				PANGO_ALIGN_LEFT, 2);

	/* contact details stacked on the right, aligned to the margin */
	const char *lines[] = { f->address, f->phone, f->email, f->website };
	double rx = MARGIN + CONTENT_W * 0.55, rw = CONTENT_W * 0.45;
	for (size_t i = 0; i < N_ELEMS(lines); i++) {
		if (!lines[i] || !lines[i][0])
			continue;
		right += text_at(p, ST_SMALL, lines[i], rx, right, rw, PANGO_ALIGN_RIGHT,
				 i == 0 ? 5 : 2) + 1;
	}

	double bottom = fmax(left, right);
	if (bottom == TOP)
		return;			/* no letterhead at all */
	p->y = bottom + 12;
	hline(p, MARGIN, MARGIN + CONTENT_W, p->y, 0.75, RULE);
	p->y += 20;
}

/* ---- title, client, dates ---- */

/* "Q-000045", from a string or the plain sequence number. */
static void quote_number(const json_t *quote, char *out, size_t n)
{
	const char *s = jstr(quote, "number");
	int64_t v;
	out[0] = '\0';
	if (s)
		snprintf(out, n, "%s", s);
	else if (jint(quote, "number", &v))
		snprintf(out, n, "Q-%06lld", (long long)v);
}

static void heading(struct pdf *p, const struct doc *d)
{
	char num[64], title[96], buf[64];
	int64_t v;
	double y0 = p->y, left, right;

	quote_number(d->quote, num, sizeof(num));
	snprintf(title, sizeof(title), "Quote%s%s", num[0] ? " " : "", num);
	left = y0 + text_at(p, ST_TITLE, title, MARGIN, y0, LEFT_W, PANGO_ALIGN_LEFT, 2);
	if (jint(d->quote, "revision", &v)) {
		snprintf(buf, sizeof(buf), "revision %lld", (long long)v);
		left += text_at(p, ST_SUBTITLE, buf, MARGIN, left, LEFT_W, PANGO_ALIGN_LEFT, 1);
	}

	/* the client's block, under the title */
	const json_t *c = d->company;
	const char *name = jstr(c, "name");
	const char *more[] = { jstr(c, "address"), jstr(c, "email"), jstr(c, "phone"),
			       jstr(c, "website") };
	bool any = name != NULL;
	for (size_t i = 0; i < N_ELEMS(more); i++)
		any = any || more[i];
	if (any) {
		double w = LEFT_W;
		left += 18;
		left += text_at(p, ST_LABEL, "PREPARED FOR", MARGIN, left, w, PANGO_ALIGN_LEFT,
				1) + 3;
		if (name)
			left += text_at(p, ST_STRONG, name, MARGIN, left, w, PANGO_ALIGN_LEFT,
					3) + 1;
		for (size_t i = 0; i < N_ELEMS(more); i++)
			if (more[i])
				left += text_at(p, ST_BODY, more[i], MARGIN, left, w,
						PANGO_ALIGN_LEFT, i == 0 ? 5 : 2);
	}

	/* dates and status, a small table on the right */
	char created[11], valid[11], status[64];
	const char *st = jstr(d->quote, "status");
	const char *rows[3][2] = { { "Date", NULL }, { "Valid until", NULL }, { "Status", NULL } };
	if (date_of(jstr(d->quote, "created_at"), created))
		rows[0][1] = created;
	if (date_of(jstr(d->quote, "valid_until"), valid))
		rows[1][1] = valid;
	if (st) {
		enum_label(st, NULL, status, sizeof(status));
		rows[2][1] = status;
	}
	double mx = MARGIN + CONTENT_W - META_W;
	right = y0 + 6;
	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		if (!rows[i][1])
			continue;
		double hl = text_at(p, ST_BODY_MUTED, rows[i][0], mx, right, 90, PANGO_ALIGN_LEFT,
				    1);
		double hv = text_at(p, i == 2 ? ST_BODY_BOLD : ST_BODY, rows[i][1], mx + 90, right,
				    META_W - 90, PANGO_ALIGN_RIGHT, 2);
		right += fmax(hl, hv) + 3;
		hline(p, mx, mx + META_W, right, 0.5, RULE);
		right += 4;
	}

	p->y = fmax(left, right) + 24;
}

/* ---- the lines table ---- */

static PangoLayout *head_cell(struct pdf *p, enum col c)
{
	return text_new(p, ST_TH, cols[c].title, col_width(c) - 2 * CELL_PAD, cols[c].align);
}

static double table_head_h(struct pdf *p)
{
	double h = 0;
	for (int i = 0; i < COL__MAX; i++) {
		PangoLayout *l = head_cell(p, (enum col)i);
		h = fmax(h, text_h(l));
		g_object_unref(l);
	}
	return h + 2 * ROW_PAD;
}

static void table_head(struct pdf *p)
{
	double h = table_head_h(p);
	fill(p, MARGIN, p->y, CONTENT_W, h, BAND);
	for (int i = 0; i < COL__MAX; i++) {
		PangoLayout *l = head_cell(p, (enum col)i);
		show(p, l, ST_TH, col_x((enum col)i) + CELL_PAD, p->y + ROW_PAD);
		g_object_unref(l);
	}
	p->y += h;
	hline(p, MARGIN, MARGIN + CONTENT_W, p->y, 0.9, INK);
}

static const char *const kinds[][2] = {
	{ "equipment", "Equipment" },
	{ "labor", "Labor" },
	{ "service", "Service" },
	{ NULL, NULL },
};

/*
 * The description cell: the description, and under it in small grey the
 * kind of line and whether it is taxed, so the tax line adds up.
 */
static PangoLayout *desc_cell(struct pdf *p, const json_t *line)
{
	const char *desc = jstr(line, "description");
	const char *kind = jstr(line, "kind");
	const json_t *taxable = json_object_get(line, "taxable");
	char caption[96] = "";

	if (kind)
		enum_label(kind, kinds, caption, sizeof(caption));
	if (json_is_false(taxable)) {
		size_t k = strlen(caption);
		snprintf(caption + k, sizeof(caption) - k, "%snot taxed", k ? " \xc2\xb7 " : "");
	}
	if (!caption[0])
		return text_new(p, ST_BODY, desc ? desc : "", col_width(COL_DESC) - 2 * CELL_PAD,
				PANGO_ALIGN_LEFT);

	struct buf b;
	buf_init(&b, 0);
	if (desc) {
		buf_addstr(&b, desc);
		buf_addch(&b, '\n');
	}
	size_t start = b.len;
	buf_addstr(&b, caption);
	if (b.failed) {
		p->failed = true;
		return text_new(p, ST_BODY, "", col_width(COL_DESC) - 2 * CELL_PAD,
				PANGO_ALIGN_LEFT);
	}
	PangoLayout *l = text_new(p, ST_BODY, buf_str(&b), col_width(COL_DESC) - 2 * CELL_PAD,
				  PANGO_ALIGN_LEFT);
	PangoAttrList *attrs = pango_attr_list_new();
	PangoAttribute *a = pango_attr_size_new((int)(styles[ST_SMALL].size * PANGO_SCALE));
	a->start_index = (guint)start;
	a->end_index = (guint)b.len;
	pango_attr_list_insert(attrs, a);
	a = pango_attr_foreground_new((guint16)(styles[ST_SMALL].r * 65535),
				      (guint16)(styles[ST_SMALL].g * 65535),
				      (guint16)(styles[ST_SMALL].b * 65535));
	a->start_index = (guint)start;
	a->end_index = (guint)b.len;
	pango_attr_list_insert(attrs, a);
	pango_layout_set_attributes(l, attrs);
	pango_attr_list_unref(attrs);
	buf_release(&b);
	return l;
}

/* The first row brings the table header along, so a header never ends a page. */
static void table_row(struct pdf *p, const struct doc *d, const json_t *line, bool first)
{
	char qty[32] = "", price[MONEY_TEXT_LEN] = "", disc[24] = "", amount[MONEY_TEXT_LEN] = "";
	int64_t q = 0, u = 0, bp = 0, a;
	bool has_q = quantity_of(json_object_get(line, "quantity"), &q);
	bool has_u = jint(line, "unit_price", &u);
	bool has_bp = jint(line, "discount_bp", &bp);

	if (has_q)
		quantity_format(q, qty, sizeof(qty));
	if (has_u)
		money_text(u, d->currency, price);
	if (has_bp && bp != 0)
		bp_format(bp, disc, sizeof(disc));
	/* the server's amount; worked out the same way when it is not there */
	if (jint(line, "amount", &a) ||
	    (has_q && has_u && money_line_amount(q, u, has_bp ? bp : 0, &a) == 0))
		money_text(a, d->currency, amount);

	const char *text[COL__MAX] = { NULL, qty, price, disc, amount };
	PangoLayout *l[COL__MAX];
	double h = 0;
	l[COL_DESC] = desc_cell(p, line);
	for (int i = 0; i < COL__MAX; i++) {
		if (i != COL_DESC)
			l[i] = text_new(p, ST_BODY, text[i], col_width((enum col)i) - 2 * CELL_PAD,
					cols[i].align);
		h = fmax(h, text_h(l[i]));
	}

	/*
	 * A row is kept whole; only one taller than a page (a very long
	 * description) starts where it is and flows on.
	 */
	double head = table_head_h(p), want = h + 2 * ROW_PAD;
	if (want > BOTTOM - TOP - head)
		want = first_line_h(l[COL_DESC]) + 2 * ROW_PAD;
	if (first) {
		need(p, head + want);
		p->in_table = true;
		table_head(p);
	} else {
		need(p, want);
	}

	int page = p->page;
	double top = p->y + ROW_PAD, others = top;
	for (int i = 1; i < COL__MAX; i++) {
		show(p, l[i], ST_BODY, col_x((enum col)i) + CELL_PAD, top);
		others = fmax(others, top + text_h(l[i]));
	}
	p->y = top;
	flow(p, l[COL_DESC], ST_BODY, col_x(COL_DESC) + CELL_PAD);
	if (p->page == page)
		p->y = fmax(p->y, others);
	p->y += ROW_PAD;
	hline(p, MARGIN, MARGIN + CONTENT_W, p->y, 0.5, RULE);
	for (int i = 0; i < COL__MAX; i++)
		g_object_unref(l[i]);
}

static void table(struct pdf *p, const struct doc *d)
{
	const json_t *lines = json_object_get(d->quote, "lines");
	if (!json_is_array(lines) || json_array_size(lines) == 0)
		return;
	size_t i;
	const json_t *line;
	bool first = true;
	json_array_foreach(lines, i, line) {
		if (!json_is_object(line))
			continue;
		table_row(p, d, line, first);
		first = false;
	}
	p->in_table = false;
}

/* ---- totals ---- */

static void totals(struct pdf *p, const struct doc *d)
{
	char label[48], val[3][MONEY_TEXT_LEN];
	const char *labels[3] = { "Subtotal", NULL, "Total" };
	bool has[3];
	int64_t v[3], rate;

	has[0] = jint(d->quote, "subtotal", &v[0]);
	has[1] = jint(d->quote, "tax", &v[1]);
	has[2] = jint(d->quote, "total", &v[2]);
	if (jint(d->quote, "tax_rate_bp", &rate)) {
		char pct[24];
		bp_format(rate, pct, sizeof(pct));
		snprintf(label, sizeof(label), "Tax %s", pct);
		labels[1] = label;
	} else {
		labels[1] = "Tax";
	}
	if (!has[0] && !has[1] && !has[2])
		return;

	/* the block sits under Unit price .. Amount */
	double x = col_x(COL_PRICE), w = MARGIN + CONTENT_W - x;
	PangoLayout *ll[3] = { NULL }, *lv[3] = { NULL };
	double rh[3] = { 0 }, h = 10;
	for (int i = 0; i < 3; i++) {
		if (!has[i])
			continue;
		enum style st = i == 2 ? ST_TOTAL : ST_BODY;
		money_text(v[i], d->currency, val[i]);
		ll[i] = text_new(p, i == 2 ? ST_TOTAL : ST_BODY_MUTED, labels[i], 90,
				 PANGO_ALIGN_LEFT);
		lv[i] = text_new(p, st, val[i], w - 90 - 2 * CELL_PAD, PANGO_ALIGN_RIGHT);
		rh[i] = fmax(text_h(ll[i]), text_h(lv[i])) + (i == 2 ? 12 : 6);
		h += rh[i];
	}
	need(p, h);
	gap(p, 10);
	for (int i = 0; i < 3; i++) {
		if (!has[i])
			continue;
		enum style st = i == 2 ? ST_TOTAL : ST_BODY;
		double pad = (rh[i] - fmax(text_h(ll[i]), text_h(lv[i]))) / 2;
		if (i == 2) {
			fill(p, x, p->y, w, rh[i], BAND);
			hline(p, x, x + w, p->y, 1.0, INK);
		}
		show(p, ll[i], i == 2 ? ST_TOTAL : ST_BODY_MUTED, x + CELL_PAD, p->y + pad);
		show(p, lv[i], st, x + 90 + CELL_PAD, p->y + pad);
		p->y += rh[i];
		g_object_unref(ll[i]);
		g_object_unref(lv[i]);
	}
}

/* ---- terms ---- */

struct term {
	const char *label;
	const char *value;
};

static void section_title(struct pdf *p, PangoLayout *title)
{
	show(p, title, ST_HEAD, MARGIN, p->y);
	p->y += text_h(title) + 3;
	hline(p, MARGIN, MARGIN + CONTENT_W, p->y, 0.75, RULE);
	p->y += 7;
}

static void terms(struct pdf *p, const struct doc *d)
{
	char response[64], coverage[64], warranty[48];
	struct term t[5];
	size_t n = 0;
	int64_t v;
	const char *s;

	if (jint(d->quote, "response_time_minutes", &v) && v >= 0) {
		duration_format(v, response, sizeof(response));
		t[n++] = (struct term){ "Response time", response };
	}
	s = jstr(d->quote, "coverage");
	if (s) {
		enum_label(s, coverages, coverage, sizeof(coverage));
		t[n++] = (struct term){ "Coverage", coverage };
	}
	if (jint(d->quote, "warranty_days", &v) && v >= 0) {
		snprintf(warranty, sizeof(warranty), "%lld day%s", (long long)v, v == 1 ? "" : "s");
		t[n++] = (struct term){ "Warranty", warranty };
	}
	s = jstr(d->quote, "qualifications");
	if (s)
		t[n++] = (struct term){ "Qualifications", s };
	s = jstr(d->quote, "notes");
	if (s)
		t[n++] = (struct term){ "Notes", s };
	if (n == 0)
		return;

	PangoLayout *title = text_new(p, ST_HEAD, "Terms", 0, PANGO_ALIGN_LEFT);
	double vx = MARGIN + TERM_LABEL_W, vw = CONTENT_W - TERM_LABEL_W;
	for (size_t i = 0; i < n; i++) {
		PangoLayout *label = text_new(p, ST_BODY_MUTED, t[i].label, TERM_LABEL_W - 8,
					      PANGO_ALIGN_LEFT);
		PangoLayout *value = text_new(p, ST_BODY, t[i].value, vw, PANGO_ALIGN_LEFT);
		/* up to three lines stay together; a longer text starts with three */
		double keep = fmax(text_h(label), fmin(text_h(value), 3 * first_line_h(value)));
		if (i == 0) {
			need(p, 22 + text_h(title) + 10 + keep);
			gap(p, 22);
			section_title(p, title);
		} else {
			need(p, keep);
		}
		show(p, label, ST_BODY_MUTED, MARGIN, p->y);
		double label_end = p->y + text_h(label);
		int page = p->page;
		flow(p, value, ST_BODY, vx);
		if (p->page == page)
			p->y = fmax(p->y, label_end);
		p->y += 6;
		g_object_unref(label);
		g_object_unref(value);
	}
	g_object_unref(title);
}

/* ---- acceptance ---- */

/* While the quote is still open, room for the client's signature. */
static void acceptance(struct pdf *p, const struct doc *d)
{
	const char *st = jstr(d->quote, "status");
	if (st && strcmp(st, "draft") != 0 && strcmp(st, "sent") != 0)
		return;

	const char *name = jstr(d->company, "name");
	char intro[512];
	snprintf(intro, sizeof(intro), "Signed for %s, accepting this quote and its terms.",
		 name ? name : "the client");
	PangoLayout *title = text_new(p, ST_HEAD, "Acceptance", 0, PANGO_ALIGN_LEFT);
	PangoLayout *text = text_new(p, ST_BODY, intro, CONTENT_W, PANGO_ALIGN_LEFT);
	double h = 22 + text_h(title) + 10 + text_h(text) + 40 + 14;
	need(p, h);
	gap(p, 22);
	section_title(p, title);
	show(p, text, ST_BODY, MARGIN, p->y);
	p->y += text_h(text) + 40;

	static const char *const fields[] = { "Name", "Signature", "Date" };
	double space = 18, w = (CONTENT_W - 2 * space) / 3;
	for (size_t i = 0; i < N_ELEMS(fields); i++) {
		double x = MARGIN + (double)i * (w + space);
		hline(p, x, x + w, p->y, 0.75, INK);
		text_at(p, ST_SMALL, fields[i], x, p->y + 3, w, PANGO_ALIGN_LEFT, 0);
	}
	p->y += 14;
	g_object_unref(title);
	g_object_unref(text);
}

/* ---- one pass ---- */

static void render(struct pdf *p, const struct doc *d)
{
	p->page = 1;
	p->y = p->page_top = TOP;
	letterhead(p, d);
	heading(p, d);
	table(p, d);
	totals(p, d);
	terms(p, d);
	acceptance(p, d);
	footer(p);
	if (!p->dry)
		cairo_show_page(p->cr);
}

/* Where cairo's bytes go: out, or nowhere in the dry pass. */
struct sink {
	struct buf *out;
	bool too_big;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct sink *s = closure;
	if (!s->out)
		return CAIRO_STATUS_SUCCESS;
	if (!s->out->failed && length > s->out->max - s->out->len)
		s->too_big = true;
	if (buf_add(s->out, data, length) < 0)
		return CAIRO_STATUS_WRITE_ERROR;
	return CAIRO_STATUS_SUCCESS;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* Renders d once; pages is 0 for the dry pass. Writes *counted on success. */
static int pass(const struct doc *d, struct buf *out, int pages, int *counted, char *err,
		size_t errlen)
{
	struct sink sink = { .out = out, .too_big = false };
	struct pdf p = { .dry = pages == 0, .pages = pages, .firm_name = d->firm->name };
	cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(sink_write, &sink, PAGE_W,
								       PAGE_H);
	cairo_t *cr = cairo_create(surface);
	char num[64];

	quote_number(d->quote, num, sizeof(num));
	int64_t rev;
	if (jint(d->quote, "revision", &rev))
		snprintf(p.ident, sizeof(p.ident), "%s%srev %lld", num, num[0] ? " " : "",
			 (long long)rev);
	else
		snprintf(p.ident, sizeof(p.ident), "%s", num);

	if (cairo_status(cr) == CAIRO_STATUS_SUCCESS) {
		char title[96];
		snprintf(title, sizeof(title), "Quote%s%s", num[0] ? " " : "", num);
		cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
		cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Servio");
		if (d->firm->name && g_utf8_validate(d->firm->name, -1, NULL))
			cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR,
						       d->firm->name);

		p.cr = cr;
		p.pc = pango_cairo_create_context(cr);
		/* one user unit is one point: 72 dpi, and no rounding to device pixels */
		pango_cairo_context_set_resolution(p.pc, 72);
		pango_context_set_round_glyph_positions(p.pc, FALSE);
		for (int i = 0; i < ST__MAX; i++) {
			p.font[i] = pango_font_description_new();
			pango_font_description_set_family_static(p.font[i], FONT_FAMILY);
			pango_font_description_set_size(p.font[i],
							(int)(styles[i].size * PANGO_SCALE));
			pango_font_description_set_weight(p.font[i], styles[i].weight);
		}
		render(&p, d);
		for (int i = 0; i < ST__MAX; i++)
			pango_font_description_free(p.font[i]);
		g_object_unref(p.pc);
	}

	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_finish(surface);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(surface);
	cairo_surface_destroy(surface);

	if (sink.too_big) {
		set_err(err, errlen, "pdf larger than the buffer cap");
		return -1;
	}
	if (p.failed || st == CAIRO_STATUS_NO_MEMORY || (out && out->failed)) {
		set_err(err, errlen, "cannot render the pdf: out of memory");
		return -1;
	}
	if (st != CAIRO_STATUS_SUCCESS) {
		if (err && errlen)
			snprintf(err, errlen, "cannot render the pdf: %s",
				 cairo_status_to_string(st));
		return -1;
	}
	*counted = p.page;
	return 0;
}

/* ---- the logo ---- */

struct png_reader {
	const unsigned char *data;
	size_t len, off;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int length)
{
	struct png_reader *r = closure;
	if (length > r->len - r->off)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->data + r->off, length);
	r->off += length;
	return CAIRO_STATUS_SUCCESS;
}

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * The decoded logo, or NULL when there is none or it is not a PNG we
 * take: a logo is decoration, so a bad one is left out, not an error.
 * The size in the header is checked first because cairo allocates
 * width x height x 4 bytes before it reads a pixel.
 */
static cairo_surface_t *logo_load(const unsigned char *png, size_t len)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	if (!png || len < 33 || memcmp(png, sig, sizeof(sig)) != 0 ||
	    memcmp(png + 12, "IHDR", 4) != 0)
		return NULL;
	uint32_t w = be32(png + 16), h = be32(png + 20);
	if (w == 0 || h == 0 || w > LOGO_MAX_PX || h > LOGO_MAX_PX)
		return NULL;
	struct png_reader r = { png, len, 0 };
	cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &r);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS ||
	    cairo_image_surface_get_width(s) <= 0 || cairo_image_surface_get_height(s) <= 0) {
		cairo_surface_destroy(s);
		return NULL;
	}
	return s;
}

/* ---- the entry point ---- */

int quote_pdf_render(const json_t *quote, const json_t *company,
		     const struct quote_pdf_firm *firm, struct buf *out, char *err, size_t errlen)
{
	static const struct quote_pdf_firm no_firm;
	if (!json_is_object(quote)) {
		set_err(err, errlen, "cannot render the pdf: the quote is not a json object");
		return -1;
	}
	if (!firm)
		firm = &no_firm;
	if (!json_is_object(company))
		company = NULL;

	struct doc d = {
		.quote = quote,
		.company = company,
		.firm = firm,
		.logo = logo_load(firm->logo_png, firm->logo_len),
		.currency = jstr(quote, "currency"),
	};
	int pages = 0, printed = 0;
	int rc = pass(&d, NULL, 0, &pages, err, errlen);
	if (rc == 0)
		rc = pass(&d, out, pages, &printed, err, errlen);
	/* both passes break pages at the same places, or the footers lie */
	assert(rc != 0 || printed == pages);
	if (d.logo)
		cairo_surface_destroy(d.logo);
	return rc;
}

void quote_pdf_cleanup(void)
{
	/* this thread's font map holds fontconfig patterns; then fontconfig itself */
	pango_cairo_font_map_set_default(NULL);
	FcFini();
}
