/*
 * kb.h - the knowledge base: Markdown articles the firm writes down once
 * and finds again (DESIGN.md, "Satisfaction and quality").
 *
 *   /kb/articles                 title, body (Markdown), visibility, tags,
 *                                html (computed: the body rendered and
 *                                sanitised here), revision, ticket_count
 *   /kb/articles/{id}/revisions  every earlier version, newest first
 *   /tickets/{id}/kb-links       the articles that solved a ticket
 *
 * Articles belong to no company: the staff see all of them; the client
 * portal (later) sees those with visibility "portal", without the fields
 * hidden from ROLE_PORTAL (authors, revision bookkeeping, ticket counts).
 *
 * The Markdown is parsed by cmark and rendered to HTML here, from cmark's
 * tree, by our own writer: only the elements it knows come out, every text
 * and attribute is escaped, raw HTML in the Markdown is shown as text, and
 * link and image addresses must be relative or use an allowed scheme
 * (links: http, https, mailto, tel; images: http, https) else the link is
 * dropped (its text kept) or the image shown as its alt text.
 */
#ifndef SERVIO_KB_H
#define SERVIO_KB_H

#include "resource/resource.h"

#include <jansson.h>
#include <stddef.h>

/* The most bytes an article's body may have. */
#define KB_BODY_MAX_BYTES 200000

extern const struct resource kb_article_resource;	/* /api/v1/kb/articles */
extern const struct resource kb_revision_resource;	/* /api/v1/kb/articles/{id}/revisions */
extern const struct resource kb_link_resource;		/* /api/v1/tickets/{id}/kb-links */

/*
 * md (len bytes, any bytes: invalid UTF-8 is replaced) rendered as safe
 * HTML. Returns a heap string the caller xfree()s, or NULL when memory
 * ran out.
 */
char *kb_markdown_html(const char *md, size_t len);

/*
 * The plain text of md's blocks, whitespace folded, cut at a word end
 * before max bytes (with "…" when cut): for excerpts. Heap string the
 * caller xfree()s, or NULL when memory ran out.
 */
char *kb_markdown_text(const char *md, size_t len, size_t max);

/*
 * Whether url may be the address of a link (image false) or of an image
 * (image true) in rendered HTML: relative, or with an allowed scheme
 * (browsers ignore tabs and line ends inside a scheme, so they are
 * ignored here too).
 */
bool kb_url_allowed(const char *url, bool image);

/*
 * The articles most like a ticket's subject and description: its
 * significant words (at most 16, common words left out) as alternatives,
 * ranked by the database's full-text rank; live articles only, at most
 * limit (1..20). *out (ctx->arena) is an array of {id, title, visibility,
 * tags, excerpt}; empty when the text has no significant words. Returns
 * RC_OK or a failure.
 */
int kb_similar(struct resource_ctx *ctx, const char *subject, const char *description,
	       int limit, json_t **out);

/*
 * The tickets that article id solved (its live links), newest link first:
 * *out (ctx->arena) an array of {link_id, ticket_id, number, subject,
 * status, linked_at}. RC_OK, RC_NOT_FOUND (no such article) or a failure.
 */
int kb_article_tickets(struct resource_ctx *ctx, int64_t id, json_t **out);

#endif
