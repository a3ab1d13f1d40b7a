/*
 * pdf.h - an invoice as a clean, paginated PDF, in the same document
 * layout as quotes (render/document.h).
 *
 * The renderer knows no database and no HTTP: it takes the invoice as the
 * API returns it, the client company and the firm's letterhead, and
 * writes PDF bytes. Each line shows the sentence that explains it to the
 * client (the rule's explanation) under its description.
 */
#ifndef SERVIO_BILLING_PDF_H
#define SERVIO_BILLING_PDF_H

#include "core/buf.h"
#include "render/document.h"

#include <jansson.h>
#include <stddef.h>

/*
 * Renders invoice (a JSON object as GET /api/v1/invoices/{id} returns it:
 * number ("INV-000017", or null while a draft), status (draft, issued,
 * paid, void), issued_on, due_on, currency, payment_terms_days,
 * lines[] with description, quantity (up to three decimals), unit_price,
 * amount, taxable and explanation (rule, billed_minutes and sources are
 * not printed: the explanation says them in words); tax_rate_bp,
 * subtotal, tax, total, paid, balance; payments[] with received_on,
 * amount, method and reference) for company (a JSON object with name,
 * address or address_line1, address_line2, city, region, postal_code,
 * country, and email, phone; may be NULL) under firm's letterhead (may be
 * NULL). Money is in minor units of the invoice's currency and printed as
 * the invoice gives it, never recomputed. All arguments are borrowed.
 *
 * A draft (no number, or status draft) says DRAFT across every page and
 * in the footer, a void invoice says VOID across every page; only an
 * issued or paid invoice shows what was paid and the balance due. Absent,
 * null or mistyped members are left out.
 *
 * Appends the PDF to out and returns RC_OK, or returns RC_ERROR with a
 * lowercase message in err ("cannot render the pdf: the invoice is not a
 * json object", "pdf larger than the buffer cap", "cannot render the pdf:
 * out of memory"); out may then hold part of a document, or have failed
 * and freed itself (see buf.h). Safe to call from several threads at once.
 */
int invoice_pdf_render(const json_t *invoice, const json_t *company,
		       const struct doc_firm *firm, struct buf *out, char *err, size_t errlen);

#endif
