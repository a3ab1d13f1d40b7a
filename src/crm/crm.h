/*
 * crm.h - the firm's clients: companies, their contacts, sites and assets,
 * as resource tables (see resource/resource.h). Fields follow the contract
 * in DESIGN.md; names are never renamed, only added.
 */
#ifndef SERVIO_CRM_H
#define SERVIO_CRM_H

#include "resource/resource.h"

extern const struct resource company_resource;
extern const struct resource contact_resource;
extern const struct resource site_resource;
extern const struct resource asset_resource;
/* Asset kinds: workstation, server, printer, network, phone, other; NULL-terminated. */
extern const char *const asset_kinds[];
/* The firm's own settings: one record, id 1 (settings.c). */
extern const struct resource settings_resource;
#define SETTINGS_ID 1

/*
 * The logo of a settings record: *png (heap, caller xfree()s) and *len, or
 * NULL and 0 when there is none. Returns -1 when it is not a base64 PNG.
 */
int settings_logo(const json_t *settings, unsigned char **png, size_t *len);
/* A write-only secret of the settings ("smtp_password", "imap_password"), arena-owned; NULL when unset. */
const char *settings_secret(struct resource_ctx *ctx, const char *name);
/*
 * Where clients reach this server, the start of every link we give out
 * (quote, portal invitation and reset, survey, notification): the settings'
 * public_url ("https://psa.example.com", no trailing slash), ctx->arena's;
 * NULL when it is unset or cannot be read. The only source of a link's
 * address: a request's Host header never is one (anyone can send any).
 * "servio init" fills it from the listen address; admins change it.
 */
const char *settings_public_url(struct resource_ctx *ctx);

/*
 * A company's postal address for its documents (invoices, quotes,
 * exports): its first site (by id) that has an address line. *site is that
 * site's record (ctx->arena's), or NULL when none has one. Returns RC_OK
 * or a failure.
 */
int company_postal_site(struct resource_ctx *ctx, int64_t company_id, json_t **site);

/*
 * A document (quote, invoice: borrowed) as a PDF in out, rendered by
 * render with the firm's letterhead from the settings and the client's
 * name and postal address. out is initialised here; the caller releases
 * it. Returns 0, or -1 with a message in err (out released).
 */
struct doc_firm;
struct buf;
typedef int (*document_renderer)(const json_t *doc, const json_t *company,
				 const struct doc_firm *firm, struct buf *out, char *err,
				 size_t errlen);
int document_pdf(struct resource_ctx *ctx, const json_t *doc, document_renderer render,
		 struct buf *out, char *err, size_t errlen);

#endif
