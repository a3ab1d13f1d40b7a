/*
 * attachments.c - the attachment records, their rules (names, the type
 * allow-list, sniffing) and attachment_store, which every way a file
 * arrives (an upload, a mail, the portal) goes through. See attachments.h.
 */
#include "service/attachments.h"

#include "service.h"

#include "auth/auth.h"
#include "core/blob.h"
#include "core/utf8.h"
#include "crm/crm.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* What a file of a type starts with. */
enum magic {
	MAGIC_NONE,	/* text: anything */
	MAGIC_PNG,
	MAGIC_JPEG,
	MAGIC_GIF,
	MAGIC_WEBP,
	MAGIC_PDF,
	MAGIC_ZIP,	/* zip, and the OOXML and OpenDocument formats inside one */
	MAGIC_OLE,	/* the old Office formats */
	MAGIC__MAX
};

struct file_type {
	const char *type;
	const char *exts;	/* space-separated, lower case */
	enum magic magic;
	bool image;
};

/* The allow-list. */
static const struct file_type types[] = {
	{ "image/png", "png", MAGIC_PNG, true },
	{ "image/jpeg", "jpg jpeg jpe jfif", MAGIC_JPEG, true },
	{ "image/gif", "gif", MAGIC_GIF, true },
	{ "image/webp", "webp", MAGIC_WEBP, true },
	{ "application/pdf", "pdf", MAGIC_PDF, false },
	{ "text/plain", "txt text log", MAGIC_NONE, false },
	{ "text/csv", "csv", MAGIC_NONE, false },
	{ "application/zip", "zip", MAGIC_ZIP, false },
	{ "message/rfc822", "eml", MAGIC_NONE, false },
	{ "application/msword", "doc", MAGIC_OLE, false },
	{ "application/vnd.ms-excel", "xls", MAGIC_OLE, false },
	{ "application/vnd.ms-powerpoint", "ppt", MAGIC_OLE, false },
	{ "application/vnd.ms-outlook", "msg", MAGIC_OLE, false },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
	  MAGIC_ZIP, false },
	{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", MAGIC_ZIP,
	  false },
	{ "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx",
	  MAGIC_ZIP, false },
	{ "application/vnd.oasis.opendocument.text", "odt", MAGIC_ZIP, false },
	{ "application/vnd.oasis.opendocument.spreadsheet", "ods", MAGIC_ZIP, false },
	{ "application/vnd.oasis.opendocument.presentation", "odp", MAGIC_ZIP, false },
	{ "application/rtf", "rtf", MAGIC_NONE, false },
};

/* Other names clients send for the same types. */
static const struct {
	const char *alias, *type;
} aliases[] = {
	{ "image/jpg", "image/jpeg" },
	{ "image/pjpeg", "image/jpeg" },
	{ "image/x-png", "image/png" },
	{ "application/x-zip-compressed", "application/zip" },
	{ "application/x-zip", "application/zip" },
	{ "application/x-pdf", "application/pdf" },
	{ "text/comma-separated-values", "text/csv" },
	{ "application/csv", "text/csv" },
	{ "text/rtf", "application/rtf" },
	{ "text/x-log", "text/plain" },
};

/* Names that run or render when opened from a downloads folder. */
static const char *const refused_exts[] = {
	"html", "htm", "xhtml", "xht", "shtml", "svg", "svgz", "xml", "xsl", "js", "mjs", "jse",
	"vbs", "vbe", "wsf", "wsh", "hta", "exe", "com", "bat", "cmd", "scr", "pif", "msi",
	"msp", "cpl", "jar", "ps1", "psm1", "lnk", "reg", "sh", "desktop", "app", "dll", NULL
};

static bool word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && strncmp(p, w, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

static const struct file_type *type_named(const char *t)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].alias, t) == 0)
			t = aliases[i].type;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].type, t) == 0)
			return &types[i];
	return NULL;
}

/* The name's extension in lower case (arena), or NULL when it has none. */
static char *extension(struct arena *arena, const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name || !dot[1] || strlen(dot + 1) > 16)
		return NULL;
	char *e = arena_strdup(arena, dot + 1);
	for (char *p = e; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return e;
}

static const struct file_type *type_of_ext(const char *ext)
{
	for (size_t i = 0; ext && i < sizeof(types) / sizeof(types[0]); i++)
		if (word_in(types[i].exts, ext))
			return &types[i];
	return NULL;
}

bool attachment_type_is_image(const char *type)
{
	const struct file_type *t = type ? type_named(type) : NULL;
	return t && t->image;
}

static bool starts(const void *data, size_t len, const void *magic, size_t n)
{
	return len >= n && memcmp(data, magic, n) == 0;
}

static bool magic_fits(enum magic m, const unsigned char *d, size_t len)
{
	switch (m) {
	case MAGIC_NONE:
		return true;
	case MAGIC_PNG:
		return starts(d, len, "\x89PNG\r\n\x1a\n", 8);
	case MAGIC_JPEG:
		return starts(d, len, "\xff\xd8\xff", 3);
	case MAGIC_GIF:
		return starts(d, len, "GIF87a", 6) || starts(d, len, "GIF89a", 6);
	case MAGIC_WEBP:
		return len >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0;
	case MAGIC_PDF: {
		/* "%PDF-" within the first KiB (some writers put bytes before it) */
		size_t n = len < 1024 ? len : 1024;
		for (size_t i = 0; i + 5 <= n; i++)
			if (memcmp(d + i, "%PDF-", 5) == 0)
				return true;
		return false;
	}
	case MAGIC_ZIP:
		return starts(d, len, "PK\x03\x04", 4) || starts(d, len, "PK\x05\x06", 4);
	case MAGIC_OLE:
		return starts(d, len, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
	case MAGIC__MAX:
		break;
	}
	return false;
}

const char *attachment_type(struct arena *arena, const char *declared, const char *name,
			    const void *data, size_t len, const char **why)
{
	/* the media type sent, without parameters, in lower case */
	char sent[128] = "";
	if (declared) {
		size_t n = strcspn(declared, ";");
		while (n && (declared[n - 1] == ' ' || declared[n - 1] == '\t'))
			n--;
		while (n && (*declared == ' ' || *declared == '\t')) {
			declared++;
			n--;
		}
		if (n >= sizeof(sent)) {
			*why = "is not an allowed type";
			return NULL;
		}
		for (size_t i = 0; i < n; i++)
			sent[i] = (char)(declared[i] >= 'A' && declared[i] <= 'Z' ?
						 declared[i] - 'A' + 'a' : declared[i]);
		sent[n] = '\0';
	}
	const char *ext = extension(arena, name);
	const struct file_type *by_ext = type_of_ext(ext), *t;
	if (!sent[0] || strcmp(sent, "application/octet-stream") == 0) {
		t = by_ext;
		if (!t) {
			*why = "cannot tell the file's type: send its Content-Type or a name with a"
			       " known extension";
			return NULL;
		}
	} else {
		t = type_named(sent);
		if (!t) {
			*why = arena_printf(arena, "%s is not an allowed type (images png, jpeg, gif,"
						   " webp; pdf; text; csv; zip; office documents;"
						   " mail)", sent);
			return NULL;
		}
		if (by_ext && by_ext != t) {
			if (t->image || by_ext->image) {
				*why = arena_printf(arena, "the name's extension .%s does not fit %s",
						    ext, t->type);
				return NULL;
			}
			t = by_ext;	/* a .csv sent as vnd.ms-excel is a csv */
		}
	}
	if (!magic_fits(t->magic, data, len)) {
		*why = arena_printf(arena, "the content is not %s (it does not start as one does)",
				    t->type);
		return NULL;
	}
	return t->type;
}

const char *attachment_clean_name(struct arena *arena, const char *filename, const char **why)
{
	if (!filename || !*filename) {
		*why = "is required";
		return NULL;
	}
	/* a path's last part ("C:\Users\me\scan.pdf" from old browsers) */
	const char *base = filename;
	for (const char *p = filename; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	if (!utf8_valid(base)) {
		*why = "is not UTF-8";
		return NULL;
	}
	char *s = arena_strdup(arena, base);
	if (!s) {
		*why = "out of memory";
		return NULL;
	}
	for (char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || strchr("<>:\"|?*", c))
			*p = '_';
	}
	char *start = s;
	while (*start == ' ' || *start == '.')
		start++;
	size_t n = strlen(start);
	while (n && (start[n - 1] == ' ' || start[n - 1] == '.'))
		n--;
	start[n] = '\0';
	if (!n) {
		*why = "has no name left once its path and dots are taken away";
		return NULL;
	}
	if (n > ATTACHMENT_MAX_NAME) {
		*why = "is longer than 255 bytes";
		return NULL;
	}
	const char *ext = extension(arena, start);
	for (const char *const *r = refused_exts; ext && *r; r++) {
		if (strcmp(ext, *r) == 0) {
			*why = "names a file that runs or renders when opened (.html, .svg, .exe …):"
			       " zip it first";
			return NULL;
		}
	}
	return start;
}

static const struct field attachment_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .ref = &ticket_resource,
	  .flags = F_REQUIRED | F_READ_ONLY | F_FILTER, .doc = "The ticket the file is on." },
	{ .name = "note_id", .type = FT_REF, .ref = &ticket_note_resource,
	  .flags = F_READ_ONLY | F_FILTER,
	  .doc = "The note of the ticket the file came with (null: the ticket's own)." },
	{ .name = "filename", .type = FT_TEXT, .min = 1, .max = ATTACHMENT_MAX_NAME,
	  .flags = F_REQUIRED | F_READ_ONLY | F_SORT,
	  .doc = "The file's name as sent, cleaned: no path, no control characters." },
	{ .name = "content_type", .type = FT_TEXT, .min = 1, .max = 100,
	  .flags = F_REQUIRED | F_READ_ONLY | F_FILTER,
	  .doc = "The type it is kept and served as, one of the allow-list." },
	{ .name = "size", .type = FT_INT, .min = 0, .max = ATTACHMENT_MAX_BYTES,
	  .flags = F_REQUIRED | F_READ_ONLY | F_SORT, .doc = "Bytes." },
	{ .name = "sha256", .type = FT_TEXT, .min = 64, .max = 64,
	  .flags = F_REQUIRED | F_READ_ONLY | F_FILTER,
	  .doc = "SHA-256 of the content, lower-case hex: its name in the store and the "
		 "download's ETag." },
	{ .name = "uploaded_by_id", .type = FT_REF, .ref = &user_resource,
	  .flags = F_READ_ONLY | F_FILTER,
	  .doc = "The user who uploaded it (null for a client's mail)." },
	{ .name = "contact_id", .type = FT_REF, .ref = &contact_resource,
	  .flags = F_READ_ONLY | F_FILTER | F_SAME_COMPANY,
	  .doc = "The client contact who sent it (mail, portal), or null." },
	FIELD_END
};

/* A note named must be one of the ticket's. */
static int attachment_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	json_t *note = json_object_get(rec, "note_id");
	if (!json_is_integer(note))
		return RC_OK;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT ticket_id FROM ticket_notes WHERE id = ?", "i",
			json_integer_value(note));
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_OK : rc;	/* a missing note: the reference check said */
	int64_t ticket = db_col_int(st, 0);
	db_done(st);
	if (ticket != json_integer_value(json_object_get(rec, "ticket_id")))
		resource_error(errors, "note_id", "is a note of another ticket");
	return RC_OK;
}

const struct resource attachment_resource = {
	.name = "attachments",
	.singular = "attachment",
	.table = "attachments",
	.fields = attachment_fields,
	.default_sort = "created_at",
	.check = attachment_check,
	.company_via = "ticket_id",
	/* a technician archives the files they uploaded; managers any */
	.owner_field = "uploaded_by_id",
	.any_owner_roles = ROLE_ADMIN | ROLE_MANAGER,
	.event = "attachment",
	.doc = "Files on a ticket or one of its notes: staff uploads (POST "
	       "/tickets/{id}/attachments, multipart/form-data) and a client's mail. The bytes "
	       "are served by GET /attachments/{id}/content.",
};

int attachment_store(struct resource_ctx *ctx, int64_t ticket_id, int64_t note_id,
		     int64_t contact_id, const char *filename, const char *content_type,
		     const void *data, size_t len, int64_t *id, json_t **errors)
{
	json_t *errs = arena_json(ctx->arena, json_array());
	if (!errs)
		return RC_ERROR;
	/* the ticket as the caller sees it (a portal contact: only their company's) */
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	json_t *ticket;
	int rc = resource_get(&c, &ticket_resource, ticket_id, &ticket);
	if (rc != RC_OK)
		return rc;
	if (len > ATTACHMENT_MAX_BYTES)
		resource_error(errs, "size",
			       arena_printf(ctx->arena, "is %zu bytes, more than the limit of "
						       ATTACHMENT_MAX_LIMIT_TEXT " (%u bytes)",
					    len, ATTACHMENT_MAX_BYTES));
	const char *why = NULL;
	const char *name = attachment_clean_name(ctx->arena, filename, &why);
	if (!name)
		resource_error(errs, "filename", why);
	/* the type too, so that a refused name and a refused type are both said */
	const char *type = attachment_type(ctx->arena, content_type,
					   name ? name : filename ? filename : "", data, len, &why);
	if (!type)
		resource_error(errs, "content_type", why ? why : "is not an allowed type");
	if (json_array_size(errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	char sha[65];
	rc = blob_put(data, len, sha);
	if (rc != RC_OK)
		return rc;
	json_t *body = arena_json(ctx->arena, json_pack("{s:I, s:s, s:s, s:I, s:s}",
							 "ticket_id", (json_int_t)ticket_id,
							 "filename", name, "content_type", type,
							 "size", (json_int_t)len, "sha256", sha));
	if (!body)
		return RC_ERROR;
	if (note_id > 0)
		json_object_set_new(body, "note_id", json_integer(note_id));
	if (contact_id > 0)
		json_object_set_new(body, "contact_id", json_integer(contact_id));
	else if (ctx->actor->user_id)
		json_object_set_new(body, "uploaded_by_id", json_integer(ctx->actor->user_id));
	json_t *out;
	rc = resource_create_trusted(&c, &attachment_resource, body, &out, errors);
	if (rc != RC_OK)
		return rc;
	*id = json_integer_value(json_object_get(out, "id"));
	return RC_OK;
}

struct store_all {
	struct resource_ctx *ctx;
	int64_t ticket_id, note_id, contact_id;
	const struct attachment_file *files;
	size_t n;
	int64_t *ids;
	json_t **errors;
};

static int store_all_txn(struct db *db, void *arg)
{
	struct store_all *w = arg;
	(void)db;
	for (size_t i = 0; i < w->n; i++) {
		const struct attachment_file *f = &w->files[i];
		json_t *errors = NULL;
		int rc = attachment_store(w->ctx, w->ticket_id, w->note_id, w->contact_id, f->filename,
					  f->content_type, f->data, f->len, &w->ids[i], &errors);
		if (rc == RC_INVALID || rc == RC_CONFLICT) {
			size_t k;
			json_t *e;
			json_array_foreach(errors, k, e) {
				const char *field = json_string_value(json_object_get(e, "field"));
				if (field && (strcmp(field, "note_id") == 0 ||
					      strcmp(field, "ticket_id") == 0))
					continue;	/* the request's, not the file's */
				char *named = arena_printf(w->ctx->arena, "file[%zu].%s", i,
							   field ? field : "");
				if (!named)
					return RC_ERROR;
				json_object_set_new(e, "field", json_string(named));
			}
			*w->errors = errors;
		}
		if (rc != RC_OK)
			return rc;
	}
	return RC_OK;
}

int attachment_store_all(struct resource_ctx *ctx, int64_t ticket_id, int64_t note_id,
			 int64_t contact_id, const struct attachment_file *files, size_t n,
			 int64_t *ids, json_t **errors)
{
	struct store_all w = { ctx, ticket_id, note_id, contact_id, files, n, ids, errors };
	return db_in_txn(ctx->db) ? store_all_txn(ctx->db, &w) : db_txn(ctx->db, store_all_txn, &w);
}
