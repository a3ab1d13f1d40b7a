/*
 * pdf.h - a quote as a clean, paginated PDF (cairo + pango).
 *
 * The renderer knows no database and no HTTP: it takes the quote as the
 * API returns it and the firm's letterhead, and writes PDF bytes. The
 * layout is the firm's document layout, shared with invoices
 * (render/document.h); what is particular to quotes is here.
 */
#ifndef SERVIO_QUOTES_PDF_H
#define SERVIO_QUOTES_PDF_H

#include "core/buf.h"
#include "render/document.h"

#include <jansson.h>
#include <stddef.h>

/*
 * Renders quote (a JSON object as GET /api/v1/quotes/{id} returns it:
 * number ("Q-000045"), revision, status, currency, valid_until,
 * created_at, lines[] with description, kind, quantity, unit_price,
 * discount_bp, taxable, amount; subtotal, tax_rate_bp, tax, total;
 * response_time_minutes, coverage, warranty_days, qualifications, notes)
 * for the client company (a JSON object with name and, when known,
 * address, email, phone, website; may be NULL) under firm's letterhead
 * (may be NULL). The member "version" is the record's edit counter and is
 * not printed. Absent, null or mistyped members are left out; a logo that
 * is not a readable PNG is left out. Money is printed as the quote gives
 * it, never recomputed (except a line without an amount). All borrowed.
 *
 * Appends the PDF to out and returns 0, or returns -1 with a lowercase
 * message in err ("pdf larger than the buffer cap", "cannot render the
 * pdf: out of memory"); out may then hold part of a document, or have
 * failed and freed itself (see buf.h). Safe to call from several threads
 * at once; nothing is kept between calls but pango's and fontconfig's
 * font caches.
 */
int quote_pdf_render(const json_t *quote, const json_t *company, const struct doc_firm *firm,
		     struct buf *out, char *err, size_t errlen);

/*
 * doc_cleanup(), under the name the server has always called at exit:
 * releases the font caches every document shares. Optional, once, at
 * exit, after every rendering thread has finished.
 */
void quote_pdf_cleanup(void);

#endif
