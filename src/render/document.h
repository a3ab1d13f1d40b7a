/*
 * document.h - the layout shared by the firm's documents (quotes,
 * invoices): an A4 PDF drawn with cairo and laid out with pango.
 *
 * A document is a letterhead, a heading (title, addressee, key facts), a
 * table of lines whose header repeats on every page it continues on, a
 * totals block that is never split, sections of labelled text and, on
 * every page, a footer "IDENT - page N of M". The module knows no JSON
 * and no domain: a caller turns its record into strings and calls the
 * blocks below, top to bottom, from a body function.
 *
 * Cairo cannot go back to a finished page, yet each footer needs M, so
 * doc_render() calls the body twice: a dry pass that only measures and
 * counts pages, then the real one. The body must therefore make the same
 * calls with the same strings both times (it is given nothing that would
 * let it tell the passes apart). All text is plain text, never markup, so
 * nothing a user typed can restyle the page; invalid UTF-8 is repaired.
 *
 * Ownership: every pointer passed in is borrowed for the length of the
 * call, except the table given to doc_table_row(), which must live until
 * doc_table_end(). A struct doc exists only inside doc_render().
 */
#ifndef SERVIO_RENDER_DOCUMENT_H
#define SERVIO_RENDER_DOCUMENT_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* The firm's letterhead, from the settings. Any member may be NULL. */
struct doc_firm {
	const char *name;
	const char *address;		/* may hold newlines */
	const char *phone;
	const char *email;
	const char *website;
	const unsigned char *logo_png;	/* PNG bytes, or NULL */
	size_t logo_len;
	/* a line under every page's footer: registration, tax id, bank; may be NULL */
	const char *footer;
};

/* What is the same on every page. Any member may be NULL. */
struct doc_info {
	const struct doc_firm *firm;	/* letterhead and footer; NULL: none */
	const char *title;		/* the PDF's title metadata: "Quote Q-000045" */
	const char *ident;		/* the footer's: "Q-000045 rev 2" */
	const char *stamp;		/* large and pale across every page: "VOID" (as
					   outlines: not in the text, say it there too) */
};

/* One pass of a rendering, given to the body; opaque. */
struct doc;

/*
 * Renders a document: calls body(d, arg) once to measure and once to
 * draw, then appends the PDF to out and returns 0. A logo that is not a
 * readable PNG (or is over 2048 px a side) is left out, not an error.
 *
 * Returns -1 with a lowercase message in err (may be NULL): "pdf larger
 * than the buffer cap", "cannot render the pdf: out of memory" (one of our
 * allocations failed, or the body called doc_fail), or "cannot render the
 * pdf: " and cairo's reason. out may then hold part of a document, or
 * have failed and freed itself (see buf.h). Safe to call from several
 * threads at once; nothing is kept between calls but pango's and
 * fontconfig's font caches.
 */
int doc_render(const struct doc_info *info, void (*body)(struct doc *d, void *arg), void *arg,
	       struct buf *out, char *err, size_t errlen);

/* The body's own allocation failed: doc_render() returns the out-of-memory error. */
void doc_fail(struct doc *d);

/* The firm's logo, name and contact lines, then a rule; nothing without a firm. */
void doc_letterhead(struct doc *d);

/* A key fact beside the title ("Valid until", "2026-12-22"); NULL value: left out. */
struct doc_fact {
	const char *label;
	const char *value;
	bool strong;			/* in bold (a status) */
};

/*
 * The heading: the title and subtitle, under them the addressee (a small
 * caps label such as "PREPARED FOR", the name, an address of up to five
 * lines, then up to three contact lines), and on the right the facts, one
 * ruled row each. Any string may be NULL; without a name, address and
 * contact the addressee block is left out. What a user typed is cut with
 * an ellipsis rather than pushed over the page.
 */
struct doc_heading {
	const char *title;
	const char *subtitle;
	const char *to_label;
	const char *to_name;
	const char *to_address;		/* may hold newlines */
	const char *to_contact[3];
	const struct doc_fact *facts;
	size_t nfacts;
};
void doc_heading(struct doc *d, const struct doc_heading *h);

/*
 * A table's columns span the text width. Exactly one column has width 0:
 * it takes what the others leave, wraps, carries a row's second line and
 * is the one that flows on to the next page when a row is taller than a
 * page. Widths are in points (1/72 in).
 */
struct doc_col {
	const char *title;
	double width;
	bool right;			/* right-aligned (money, quantities) */
};

struct doc_table {
	const char *title;		/* a section title above the table, or NULL */
	const struct doc_col *cols;
	size_t ncols;			/* 1 to 8 */
};

/*
 * Adds a row: cells[i] is column i's text (NULL: empty) and sub, when
 * not NULL or "", a second line in smaller grey type under the wrapping
 * column's text. The first row of a table brings its title and header
 * along, so neither ends a page; a page break inside the table repeats the
 * header. A row is kept whole unless it is taller than a page. Rows must
 * be followed by doc_table_end() before any other block.
 */
void doc_table_row(struct doc *d, const struct doc_table *t, const char *const cells[],
		   const char *sub);
void doc_table_end(struct doc *d);

/* A row of the totals; a grand one is large, bold and on a band (Total, Balance due). */
struct doc_total {
	const char *label;
	const char *value;
	bool grand;
};

/* The totals (up to 8 rows), width points wide at the right margin, on one page together. */
void doc_totals(struct doc *d, double width, const struct doc_total *rows, size_t n);

/* A labelled text: "Warranty", "90 days". */
struct doc_term {
	const char *label;
	const char *value;		/* may hold newlines */
};

/*
 * A titled section of labelled texts. An item of up to three lines is
 * kept whole; a longer one starts with at least three lines on the page
 * and flows on line by line. n 0: nothing.
 */
void doc_terms(struct doc *d, const char *title, const struct doc_term *items, size_t n);

/*
 * A place to sign, kept whole: a titled section with a sentence and n
 * lines side by side to sign on, each labelled below ("Name", "Date").
 */
void doc_sign_here(struct doc *d, const char *title, const char *text,
		   const char *const labels[], size_t n);

/*
 * Releases the process-wide font caches (pango's font map of the calling
 * thread, then fontconfig) so a leak checker sees none of them at exit.
 * Optional; call once, at exit, after every thread that rendered has
 * finished (their own font maps go with them). Never needed for correctness.
 */
void doc_cleanup(void);

#endif
