/*
 * transfer.h - CSV import and export of the firm's master data:
 * companies, contacts, sites, assets and products.
 *
 * Columns are the resource's fields (DESIGN.md's names; a header matches
 * case-insensitively, with spaces, hyphens or nothing for underscores:
 * "E-mail", "Serial Number"). A reference
 * can be given by id (company_id) or by name (a "company" column holding
 * the company's name; a site by name within the row's company). An "id"
 * column updates that record instead of creating one, so an export edited
 * in a spreadsheet imports back. A mapping renames headers ("Firma" ->
 * "name") or drops them ("-").
 *
 * An import is all or nothing: every row is checked through the engine
 * (each in a transaction that is rolled back), every problem is reported
 * with its line number, and only a file without problems is written, in
 * one transaction, audited row by row. A dry run stops after the check.
 *
 * Money columns hold amounts in the firm's currency with its decimals
 * ("12.50", or "12,50" in a ";" file); booleans true/false/yes/no/1/0;
 * list fields their items separated by commas.
 */
#ifndef SERVIO_TRANSFER_TRANSFER_H
#define SERVIO_TRANSFER_TRANSFER_H

#include "core/buf.h"
#include "resource/resource.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The kinds, NULL-terminated: "companies", "contacts", … */
extern const char *const transfer_kinds[];

/* The resource a kind names, or NULL. */
const struct resource *transfer_resource(const char *kind);

/*
 * Imports text (a CSV file of len bytes) as records of kind. mapping (may
 * be NULL) is an object header -> field name or "-". Writes *report (in
 * ctx->arena): {kind, dry_run, rows, created, updated, columns:[{header,
 * field}], problems:[{line, field, message}]}. Returns RC_OK (written, or
 * checked when dry_run, without problems), RC_INVALID (problems: nothing
 * written), or a failure of ours.
 */
int transfer_import(struct resource_ctx *ctx, const char *kind, const char *text, size_t len,
		    const json_t *mapping, bool dry_run, json_t **report);

/*
 * Appends every record of kind (archived ones too when archived) to out
 * as CSV with a header row: id and the importable fields, in the order an
 * import reads them back. Returns RC_OK or a failure.
 */
int transfer_export(struct resource_ctx *ctx, const char *kind, bool archived, struct buf *out);

#endif
