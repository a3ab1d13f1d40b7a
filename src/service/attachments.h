/*
 * attachments.h - files on a ticket (and on one of its notes): staff
 * uploads, a client's mail attachments, later the portal's.
 *
 * The bytes go to the blob store (core/blob.h) under the data directory,
 * named by their SHA-256; the record (attachment_resource) says which
 * ticket and note they belong to, the cleaned file name, the type from the
 * allow-list, the size, the hash and who sent them. A record is written
 * only by attachment_store (a trusted write: every field is the server's)
 * and is archived and restored like any record; the bytes stay.
 *
 * Rules: at most ATTACHMENT_MAX_BYTES a file; a type of the allow-list
 * (images png/jpeg/gif/webp, pdf, text, csv, zip, office documents, mail);
 * an image, pdf, zip or office file must start as its type does (no
 * pretend images); a name is a base name (a path is cut to its last part,
 * control characters replaced), 1..255 bytes of UTF-8, and not one that
 * runs or renders (.html, .svg, .exe …). The records belong to the ticket's
 * company (company_via ticket_id) for the client portal.
 */
#ifndef SERVIO_SERVICE_ATTACHMENTS_H
#define SERVIO_SERVICE_ATTACHMENTS_H

#include "resource/resource.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTACHMENT_MAX_BYTES (25u * 1024 * 1024)	/* one file */
#define ATTACHMENT_MAX_LIMIT_TEXT "25 MiB"
#define ATTACHMENT_MAX_NAME 255			/* bytes of a file name */

extern const struct resource attachment_resource;	/* /api/v1/attachments */

/*
 * Stores one file as an attachment of a ticket (and of one of its notes when note_id > 0) in
 * the caller's transaction (ctx->db): the bytes to the blob store, the row through the engine
 * (audited). contact_id > 0 records a client contact as the sender. Returns RC_OK with *id,
 * RC_INVALID with *errors (too large, type not allowed, bad name), or a negative result.
 *
 * Also RC_NOT_FOUND when the ticket does not exist for the caller (ctx's
 * scope). filename and content_type are as sent (content_type may be NULL
 * or application/octet-stream: the name's extension then tells the type).
 * Without contact_id the record's uploaded_by_id is ctx->actor's user.
 * *errors belongs to ctx->arena.
 */
int attachment_store(struct resource_ctx *ctx, int64_t ticket_id, int64_t note_id,
		     int64_t contact_id, const char *filename, const char *content_type,
		     const void *data, size_t len, int64_t *id, json_t **errors);

/* One file of an upload. */
struct attachment_file {
	const char *filename;		/* as sent */
	const char *content_type;	/* as sent, or NULL */
	const void *data;
	size_t len;
};

/*
 * Stores n files on one ticket (and note) all or none, in one transaction
 * of its own (retried on contention) or the caller's: attachment_store for
 * each, the errors' fields prefixed "file[i]." (the i-th file). Returns
 * RC_OK with ids[0..n-1], or as attachment_store.
 */
int attachment_store_all(struct resource_ctx *ctx, int64_t ticket_id, int64_t note_id,
			 int64_t contact_id, const struct attachment_file *files, size_t n,
			 int64_t *ids, json_t **errors);

/*
 * The name a file is kept under: the last part of a path, control and
 * reserved characters (<>:"|?*) replaced by "_", spaces and dots trimmed at
 * the ends. Returns the name (arena), or NULL with *why (static) when
 * nothing is left, it is not UTF-8 or longer than ATTACHMENT_MAX_NAME
 * bytes, or its extension is refused.
 */
const char *attachment_clean_name(struct arena *arena, const char *filename, const char **why);

/*
 * The type a file is kept as, from the type sent (may be NULL), the
 * cleaned name and the first bytes: a static string of the allow-list, or
 * NULL with *why (arena) naming the problem.
 */
const char *attachment_type(struct arena *arena, const char *declared, const char *name,
			    const void *data, size_t len, const char **why);

/* Whether a type (of the allow-list) is an image a browser may show inline. */
bool attachment_type_is_image(const char *type);

#endif
