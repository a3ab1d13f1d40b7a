/*
 * document.c - a business document as an A4 PDF, drawn with cairo and
 * laid out with pango (see document.h).
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
 * The blocks are laid out top to bottom from a cursor (y). Before a block
 * is drawn it is measured, and a page break comes first when it would
 * cross the bottom margin: that is how the totals stay together, a
 * table's header never ends a page and a short text is kept whole. Units
 * are PDF points (1/72 in).
 */
#include "document.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include <assert.h>
#include <math.h>
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
#define MAX_COLS	8		/* of a table */
#define MAX_TOTALS	8		/* rows of the totals */
#define LOGO_W		170.0		/* the box the logo is scaled into */
#define LOGO_H		54.0
#define LOGO_MAX_PX	2048u		/* refuse bigger images before decoding them */
#define TERM_LABEL_W	110.0
#define TOTAL_LABEL_W	90.0
#define META_W		210.0		/* the facts: top right */
#define META_LABEL_W	90.0
#define LEFT_W		(CONTENT_W - META_W - 16)	/* left of the facts */
#define FONT_FAMILY	"DejaVu Sans,Sans"
#define EM_DASH		"\xe2\x80\x94"

/* ---- styles ---- */

#define INK	0.10, 0.11, 0.13
#define MUTED	0.42, 0.45, 0.50
#define ACCENT	0.11, 0.23, 0.38
#define RULE	0.80, 0.83, 0.87
#define BAND	0.94, 0.95, 0.97
#define STAMP	0.75, 0.15, 0.12

enum style {
	ST_BODY, ST_BODY_MUTED, ST_BODY_BOLD, ST_STRONG, ST_SMALL, ST_LABEL, ST_FIRM,
	ST_TITLE, ST_SUBTITLE, ST_HEAD, ST_TH, ST_TOTAL, ST_FOOT, ST_STAMP,
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
	[ST_STAMP]	= { 110.0, PANGO_WEIGHT_BOLD, STAMP },
};
_Static_assert(N_ELEMS(styles) == ST__MAX, "one row per style");

/* ---- the renderer's state for one pass ---- */

struct doc {
	cairo_t *cr;
	PangoContext *pc;
	PangoFontDescription *font[ST__MAX];
	const struct doc_info *info;
	const struct doc_firm *firm;	/* never NULL */
	cairo_surface_t *logo;	/* NULL when absent or unreadable */
	bool dry;		/* first pass: measure and count pages, draw nothing */
	bool failed;		/* one of our own allocations failed */
	int page;		/* 1-based */
	int pages;		/* the total, or 0 in the dry pass */
	double y;		/* where the next thing goes */
	double page_top;	/* y of the first thing on this page (after a table header) */
	const struct doc_table *table;	/* the open table: a page break repeats its header */
};

void doc_fail(struct doc *p)
{
	p->failed = true;
}

/* ---- text ---- */

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

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
static PangoLayout *text_new(struct doc *p, enum style st, const char *s, double width,
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

static void color(struct doc *p, enum style st)
{
	cairo_set_source_rgb(p->cr, styles[st].r, styles[st].g, styles[st].b);
}

static void show(struct doc *p, PangoLayout *l, enum style st, double x, double y)
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
static double text_at(struct doc *p, enum style st, const char *s, double x, double y,
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

static void hline(struct doc *p, double x1, double x2, double y, double width, double r,
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

static void fill(struct doc *p, double x, double y, double w, double h, double r, double g,
		 double b)
{
	if (p->dry)
		return;
	cairo_set_source_rgb(p->cr, r, g, b);
	cairo_rectangle(p->cr, x, y, w, h);
	cairo_fill(p->cr);
}

/* ---- pages ---- */

static void table_head(struct doc *p);

/*
 * The stamp ("VOID") large and pale across the page, under what comes
 * after it. It is drawn as outlines, not text: rotated letters would be
 * read by text extractors and screen readers into the middle of the lines
 * around them, so the document says it in words elsewhere.
 */
static void stamp(struct doc *p)
{
	const char *s = p->info->stamp;
	if (p->dry || !s || !s[0])
		return;
	PangoLayout *l = text_new(p, ST_STAMP, s, 0, PANGO_ALIGN_LEFT);
	int w, h;
	pango_layout_get_size(l, &w, &h);
	/* a longer word is made smaller to stay on the page */
	double fit = w > 0 ? 0.7 * hypot(PAGE_W, PAGE_H) / pango_units_to_double(w) : 1;
	cairo_save(p->cr);
	cairo_translate(p->cr, PAGE_W / 2, PAGE_H / 2);
	cairo_rotate(p->cr, -atan2(PAGE_H, PAGE_W) / 1.5);	/* rising, about 36 degrees */
	if (fit < 1)
		cairo_scale(p->cr, fit, fit);
	cairo_set_source_rgba(p->cr, styles[ST_STAMP].r, styles[ST_STAMP].g, styles[ST_STAMP].b,
			      0.16);
	cairo_move_to(p->cr, -pango_units_to_double(w) / 2, -pango_units_to_double(h) / 2);
	pango_cairo_layout_path(p->cr, l);
	cairo_fill(p->cr);
	cairo_restore(p->cr);
	g_object_unref(l);
}

static void footer(struct doc *p)
{
	if (p->dry)
		return;
	const char *ident = or_empty(p->info->ident);
	char right[160];
	snprintf(right, sizeof(right), "%s%spage %d of %d", ident, ident[0] ? " " EM_DASH " " : "",
		 p->page, p->pages);
	hline(p, MARGIN, MARGIN + CONTENT_W, FOOTER_Y, 0.5, RULE);
	/* the page number is never cut; the firm's name gets what is left */
	PangoLayout *l = text_new(p, ST_FOOT, right, 0, PANGO_ALIGN_LEFT);
	int w;
	pango_layout_get_size(l, &w, NULL);
	double rw = pango_units_to_double(w);
	show(p, l, ST_FOOT, MARGIN + CONTENT_W - rw, FOOTER_Y + 6);
	g_object_unref(l);
	if (p->firm->name && CONTENT_W - rw > 40)
		text_at(p, ST_FOOT, p->firm->name, MARGIN, FOOTER_Y + 6, CONTENT_W - rw - 16,
			PANGO_ALIGN_LEFT, 1);
	/* the firm's own line (registration, tax id, bank) under it, the width of the page */
	if (p->firm->footer && p->firm->footer[0])
		text_at(p, ST_FOOT, p->firm->footer, MARGIN, FOOTER_Y + 17, CONTENT_W,
			PANGO_ALIGN_LEFT, 1);
}

static void new_page(struct doc *p)
{
	footer(p);
	if (!p->dry)
		cairo_show_page(p->cr);
	p->page++;
	stamp(p);
	p->y = TOP;
	if (p->table)
		table_head(p);
	p->page_top = p->y;
}

/* Starts a new page unless h more points fit on this one (or this one is still empty). */
static void need(struct doc *p, double h)
{
	if (p->y + h > BOTTOM && p->y > p->page_top)
		new_page(p);
}

/* Space before a block, but none at the top of a page. */
static void gap(struct doc *p, double g)
{
	if (p->y > p->page_top)
		p->y += g;
}

/*
 * Draws l at x from p->y one line at a time, going on to a new page where
 * the next line would cross the bottom margin, and leaves p->y under it.
 */
static void flow(struct doc *p, PangoLayout *l, enum style st, double x)
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

/* A section's title over a rule. */
static void section_title(struct doc *p, PangoLayout *title)
{
	show(p, title, ST_HEAD, MARGIN, p->y);
	p->y += text_h(title) + 3;
	hline(p, MARGIN, MARGIN + CONTENT_W, p->y, 0.75, RULE);
	p->y += 7;
}

/* The space a section's title takes with the gap above it. */
static double section_title_h(PangoLayout *title)
{
	return 22 + text_h(title) + 10;
}

/* ---- the letterhead ---- */

void doc_letterhead(struct doc *p)
{
	const struct doc_firm *f = p->firm;
	double left = TOP, right = TOP;

	if (p->logo) {
		double w = cairo_image_surface_get_width(p->logo);
		double h = cairo_image_surface_get_height(p->logo);
		double s = fmin(LOGO_W / w, LOGO_H / h);
		if (!p->dry) {
			cairo_save(p->cr);
			cairo_translate(p->cr, MARGIN, TOP);
			cairo_scale(p->cr, s, s);
			cairo_set_source_surface(p->cr, p->logo, 0, 0);
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

/* ---- title, addressee, facts ---- */

void doc_heading(struct doc *p, const struct doc_heading *h)
{
	double y0 = p->y, left = y0, right;

	if (h->title)
		left += text_at(p, ST_TITLE, h->title, MARGIN, y0, LEFT_W, PANGO_ALIGN_LEFT, 2);
	if (h->subtitle)
		left += text_at(p, ST_SUBTITLE, h->subtitle, MARGIN, left, LEFT_W,
				PANGO_ALIGN_LEFT, 1);

	/* the addressee's block, under the title */
	const char *more[] = { h->to_address, h->to_contact[0], h->to_contact[1],
			       h->to_contact[2] };
	bool any = h->to_name != NULL;
	for (size_t i = 0; i < N_ELEMS(more); i++)
		any = any || more[i];
	if (any) {
		double w = LEFT_W;
		left += 18;
		if (h->to_label)
			left += text_at(p, ST_LABEL, h->to_label, MARGIN, left, w,
					PANGO_ALIGN_LEFT, 1) + 3;
		if (h->to_name)
			left += text_at(p, ST_STRONG, h->to_name, MARGIN, left, w,
					PANGO_ALIGN_LEFT, 3) + 1;
		for (size_t i = 0; i < N_ELEMS(more); i++)
			if (more[i])
				left += text_at(p, ST_BODY, more[i], MARGIN, left, w,
						PANGO_ALIGN_LEFT, i == 0 ? 5 : 2);
	}

	/* the facts, a small table on the right */
	double mx = MARGIN + CONTENT_W - META_W;
	right = y0 + 6;
	for (size_t i = 0; i < h->nfacts; i++) {
		const struct doc_fact *f = &h->facts[i];
		if (!f->value)
			continue;
		double hl = text_at(p, ST_BODY_MUTED, or_empty(f->label), mx, right,
				    META_LABEL_W, PANGO_ALIGN_LEFT, 1);
		double hv = text_at(p, f->strong ? ST_BODY_BOLD : ST_BODY, f->value,
				    mx + META_LABEL_W, right, META_W - META_LABEL_W,
				    PANGO_ALIGN_RIGHT, 2);
		right += fmax(hl, hv) + 3;
		hline(p, mx, mx + META_W, right, 0.5, RULE);
		right += 4;
	}

	p->y = fmax(left, right) + 24;
}

/* ---- tables ---- */

/* The column that wraps and flows: the one of width 0. */
static size_t flow_col(const struct doc_table *t)
{
	size_t found = t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		if (t->cols[i].width == 0) {
			assert(found == t->ncols);
			found = i;
		}
	}
	assert(found < t->ncols);
	return found;
}

static double col_width(const struct doc_table *t, size_t c)
{
	if (t->cols[c].width != 0)
		return t->cols[c].width;
	double w = CONTENT_W;
	for (size_t i = 0; i < t->ncols; i++)
		w -= t->cols[i].width;
	return w;
}

static double col_x(const struct doc_table *t, size_t c)
{
	double x = MARGIN;
	for (size_t i = 0; i < c; i++)
		x += col_width(t, i);
	return x;
}

static PangoAlignment col_align(const struct doc_table *t, size_t c)
{
	return t->cols[c].right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
}

static PangoLayout *head_cell(struct doc *p, const struct doc_table *t, size_t c)
{
	return text_new(p, ST_TH, or_empty(t->cols[c].title),
			col_width(t, c) - 2 * CELL_PAD, col_align(t, c));
}

static double table_head_h(struct doc *p, const struct doc_table *t)
{
	double h = 0;
	for (size_t i = 0; i < t->ncols; i++) {
		PangoLayout *l = head_cell(p, t, i);
		h = fmax(h, text_h(l));
		g_object_unref(l);
	}
	return h + 2 * ROW_PAD;
}

static void table_head(struct doc *p)
{
	const struct doc_table *t = p->table;
	double h = table_head_h(p, t);
	fill(p, MARGIN, p->y, CONTENT_W, h, BAND);
	for (size_t i = 0; i < t->ncols; i++) {
		PangoLayout *l = head_cell(p, t, i);
		show(p, l, ST_TH, col_x(t, i) + CELL_PAD, p->y + ROW_PAD);
		g_object_unref(l);
	}
	p->y += h;
	hline(p, MARGIN, MARGIN + CONTENT_W, p->y, 0.9, INK);
}

/* The wrapping cell: text, and under it sub in small grey (either may be absent). */
static PangoLayout *wrap_cell(struct doc *p, const char *text, const char *sub, double width)
{
	if (!sub || !sub[0])
		return text_new(p, ST_BODY, or_empty(text), width, PANGO_ALIGN_LEFT);

	struct buf b;
	buf_init(&b, 0);
	if (text) {
		buf_addstr(&b, text);
		buf_addch(&b, '\n');
	}
	size_t start = b.len;
	buf_addstr(&b, sub);
	if (b.failed) {
		p->failed = true;
		return text_new(p, ST_BODY, "", width, PANGO_ALIGN_LEFT);
	}
	PangoLayout *l = text_new(p, ST_BODY, buf_str(&b), width, PANGO_ALIGN_LEFT);
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

void doc_table_row(struct doc *p, const struct doc_table *t, const char *const cells[],
		   const char *sub)
{
	assert(t->ncols > 0 && t->ncols <= MAX_COLS);
	assert(p->table == NULL || p->table == t);
	size_t fc = flow_col(t);
	PangoLayout *l[MAX_COLS];
	double h = 0;
	for (size_t i = 0; i < t->ncols; i++) {
		double w = col_width(t, i) - 2 * CELL_PAD;
		if (i == fc)
			l[i] = wrap_cell(p, cells[i], sub, w);
		else
			l[i] = text_new(p, ST_BODY, or_empty(cells[i]), w, col_align(t, i));
		h = fmax(h, text_h(l[i]));
	}

	/*
	 * A row is kept whole; only one taller than a page (a very long
	 * description) starts where it is and flows on. The first row brings
	 * the table's title and header along, so neither ends a page.
	 */
	double head = table_head_h(p, t), want = h + 2 * ROW_PAD;
	if (want > BOTTOM - TOP - head)
		want = first_line_h(l[fc]) + 2 * ROW_PAD;
	if (p->table != t) {
		PangoLayout *title = NULL;
		if (t->title) {
			title = text_new(p, ST_HEAD, t->title, 0, PANGO_ALIGN_LEFT);
			need(p, section_title_h(title) + head + want);
			gap(p, 22);
			section_title(p, title);
			g_object_unref(title);
		} else {
			need(p, head + want);
		}
		p->table = t;
		table_head(p);
	} else {
		need(p, want);
	}

	int page = p->page;
	double top = p->y + ROW_PAD, others = top;
	for (size_t i = 0; i < t->ncols; i++) {
		if (i == fc)
			continue;
		show(p, l[i], ST_BODY, col_x(t, i) + CELL_PAD, top);
		others = fmax(others, top + text_h(l[i]));
	}
	p->y = top;
	flow(p, l[fc], ST_BODY, col_x(t, fc) + CELL_PAD);
	if (p->page == page)
		p->y = fmax(p->y, others);
	p->y += ROW_PAD;
	hline(p, MARGIN, MARGIN + CONTENT_W, p->y, 0.5, RULE);
	for (size_t i = 0; i < t->ncols; i++)
		g_object_unref(l[i]);
}

void doc_table_end(struct doc *p)
{
	p->table = NULL;
}

/* ---- totals ---- */

void doc_totals(struct doc *p, double width, const struct doc_total *rows, size_t n)
{
	assert(n <= MAX_TOTALS);
	if (n == 0)
		return;
	double x = MARGIN + CONTENT_W - width, w = width;
	PangoLayout *ll[MAX_TOTALS], *lv[MAX_TOTALS];
	double rh[MAX_TOTALS], h = 10;
	for (size_t i = 0; i < n; i++) {
		bool g = rows[i].grand;
		ll[i] = text_new(p, g ? ST_TOTAL : ST_BODY_MUTED, or_empty(rows[i].label),
				 TOTAL_LABEL_W, PANGO_ALIGN_LEFT);
		lv[i] = text_new(p, g ? ST_TOTAL : ST_BODY, or_empty(rows[i].value),
				 w - TOTAL_LABEL_W - 2 * CELL_PAD, PANGO_ALIGN_RIGHT);
		rh[i] = fmax(text_h(ll[i]), text_h(lv[i])) + (g ? 12 : 6);
		h += rh[i];
	}
	need(p, h);
	gap(p, 10);
	for (size_t i = 0; i < n; i++) {
		bool g = rows[i].grand;
		double pad = (rh[i] - fmax(text_h(ll[i]), text_h(lv[i]))) / 2;
		if (g) {
			fill(p, x, p->y, w, rh[i], BAND);
			hline(p, x, x + w, p->y, 1.0, INK);
		}
		show(p, ll[i], g ? ST_TOTAL : ST_BODY_MUTED, x + CELL_PAD, p->y + pad);
		show(p, lv[i], g ? ST_TOTAL : ST_BODY, x + TOTAL_LABEL_W + CELL_PAD, p->y + pad);
		p->y += rh[i];
		g_object_unref(ll[i]);
		g_object_unref(lv[i]);
	}
}

/* ---- sections ---- */

void doc_terms(struct doc *p, const char *title, const struct doc_term *items, size_t n)
{
	if (n == 0)
		return;
	PangoLayout *head = text_new(p, ST_HEAD, or_empty(title), 0, PANGO_ALIGN_LEFT);
	double vx = MARGIN + TERM_LABEL_W, vw = CONTENT_W - TERM_LABEL_W;
	for (size_t i = 0; i < n; i++) {
		PangoLayout *label = text_new(p, ST_BODY_MUTED, or_empty(items[i].label),
					      TERM_LABEL_W - 8, PANGO_ALIGN_LEFT);
		PangoLayout *value = text_new(p, ST_BODY, or_empty(items[i].value), vw,
					      PANGO_ALIGN_LEFT);
		/* up to three lines stay together; a longer text starts with three */
		double keep = fmax(text_h(label), fmin(text_h(value), 3 * first_line_h(value)));
		if (i == 0) {
			need(p, section_title_h(head) + keep);
			gap(p, 22);
			section_title(p, head);
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
	g_object_unref(head);
}

void doc_sign_here(struct doc *p, const char *title, const char *text,
		   const char *const labels[], size_t n)
{
	PangoLayout *head = text_new(p, ST_HEAD, or_empty(title), 0, PANGO_ALIGN_LEFT);
	PangoLayout *body = text_new(p, ST_BODY, or_empty(text), CONTENT_W, PANGO_ALIGN_LEFT);
	double h = section_title_h(head) + text_h(body) + 40 + 14;
	need(p, h);
	gap(p, 22);
	section_title(p, head);
	show(p, body, ST_BODY, MARGIN, p->y);
	p->y += text_h(body) + 40;

	double space = 18, w = n ? (CONTENT_W - (double)(n - 1) * space) / (double)n : 0;
	for (size_t i = 0; i < n; i++) {
		double x = MARGIN + (double)i * (w + space);
		hline(p, x, x + w, p->y, 0.75, INK);
		text_at(p, ST_SMALL, or_empty(labels[i]), x, p->y + 3, w, PANGO_ALIGN_LEFT, 0);
	}
	p->y += 14;
	g_object_unref(head);
	g_object_unref(body);
}

/* ---- one pass ---- */

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

static void set_metadata(cairo_surface_t *surface, cairo_pdf_metadata_t key, const char *s)
{
	if (s && g_utf8_validate(s, -1, NULL))
		cairo_pdf_surface_set_metadata(surface, key, s);
}

/* What both passes share. */
struct job {
	const struct doc_info *info;
	const struct doc_firm *firm;	/* never NULL */
	cairo_surface_t *logo;
	void (*body)(struct doc *d, void *arg);
	void *arg;
};

/* Renders once; pages is 0 for the dry pass. Writes *counted on success. */
static int pass(const struct job *j, struct buf *out, int pages, int *counted, char *err,
		size_t errlen)
{
	struct sink sink = { .out = out, .too_big = false };
	struct doc p = {
		.info = j->info, .firm = j->firm, .logo = j->logo,
		.dry = pages == 0, .pages = pages,
	};
	cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(sink_write, &sink, PAGE_W,
								       PAGE_H);
	cairo_t *cr = cairo_create(surface);

	if (cairo_status(cr) == CAIRO_STATUS_SUCCESS) {
		set_metadata(surface, CAIRO_PDF_METADATA_TITLE, j->info->title);
		cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Servio");
		set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, j->firm->name);

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
		p.page = 1;
		p.y = p.page_top = TOP;
		stamp(&p);
		j->body(&p, j->arg);
		/* a body that left a table open would repeat its header on no page */
		assert(p.table == NULL);
		footer(&p);
		if (!p.dry)
			cairo_show_page(p.cr);
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

/* ---- the entry points ---- */

int doc_render(const struct doc_info *info, void (*body)(struct doc *d, void *arg), void *arg,
	       struct buf *out, char *err, size_t errlen)
{
	static const struct doc_firm no_firm;
	const struct doc_firm *firm = info->firm ? info->firm : &no_firm;
	struct job j = {
		.info = info,
		.firm = firm,
		.logo = logo_load(firm->logo_png, firm->logo_len),
		.body = body,
		.arg = arg,
	};
	int pages = 0, printed = 0;
	int rc = pass(&j, NULL, 0, &pages, err, errlen);
	if (rc == 0)
		rc = pass(&j, out, pages, &printed, err, errlen);
	/* both passes break pages at the same places, or the footers lie */
	assert(rc != 0 || printed == pages);
	if (j.logo)
		cairo_surface_destroy(j.logo);
	return rc;
}

void doc_cleanup(void)
{
	/* this thread's font map holds fontconfig patterns; then fontconfig itself */
	pango_cairo_font_map_set_default(NULL);
	FcFini();
}
