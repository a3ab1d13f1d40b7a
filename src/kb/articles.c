/*
 * articles.c - the knowledge base's resources: articles, the versions an
 * edit replaced, and the links from tickets to the articles that solved
 * them; and the two reads the engine cannot make (the articles like a
 * ticket, the tickets of an article).
 *
 * An edit of title, body, visibility or tags raises the article's revision
 * and keeps the version it replaced in kb_article_revisions (in the same
 * transaction). ticket_count follows the live links, written through the
 * engine (a trusted write) whenever a link is made, archived or restored.
 */
#include "kb/kb.h"

#include "auth/auth.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonout.h"
#include "core/timeutil.h"
#include "core/utf8.h"
#include "db/db.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const visibilities[] = { "internal", "portal", NULL };

/* Articles ---------------------------------------------------------------- */

static const struct field article_fields[] = {
	{ .name = "title", .type = FT_TEXT, .flags = F_REQUIRED | F_SORT, .min = 1, .max = 200,
	  .doc = "What the article answers: \"Reinstall a printer driver\"." },
	{ .name = "body", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1,
	  .max = KB_BODY_MAX_BYTES,
	  .doc = "The article in Markdown (CommonMark), at most 200,000 bytes." },
	{ .name = "visibility", .type = FT_ENUM, .flags = F_FILTER | F_SORT,
	  .enum_values = visibilities, .dflt = "\"internal\"",
	  .doc = "`internal`: staff only; `portal`: also the client portal's contacts." },
	{ .name = "tags", .type = FT_STRINGS, .flags = F_FILTER, .min = 20, .max = 40,
	  .dflt = "[]",
	  .doc = "Kept in lower case without surrounding spaces; the filter `tags=a,b` lists "
		 "articles with any of them." },
	{ .name = "html", .type = FT_TEXT, .flags = F_COMPUTED,
	  .doc = "The body rendered as HTML, sanitised: no raw HTML, scripts, event handlers, "
		 "nor links or images other than relative or http(s) (links also mailto, tel)." },
	{ .name = "revision", .type = FT_INT, .flags = F_READ_ONLY | F_SORT, .min = 1,
	  .max = INT64_MAX, .hidden_from = ROLE_PORTAL,
	  .doc = "1, raised by every edit of title, body, visibility or tags (the version "
		 "replaced is kept: /kb/articles/{id}/revisions)." },
	{ .name = "author_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &user_resource, .hidden_from = ROLE_PORTAL, .doc = "Who wrote it first." },
	{ .name = "edited_by_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &user_resource,
	  .hidden_from = ROLE_PORTAL, .doc = "Who wrote this revision." },
	{ .name = "edited_at", .type = FT_TIME, .flags = F_READ_ONLY | F_SORT,
	  .doc = "When this revision was written." },
	{ .name = "ticket_count", .type = FT_INT, .flags = F_READ_ONLY | F_SORT, .min = 0,
	  .max = INT64_MAX, .dflt = "0", .hidden_from = ROLE_PORTAL,
	  .doc = "How many tickets it solved: its live links (/tickets/{id}/kb-links)." },
	FIELD_END
};

static const char *const content_fields[] = { "title", "body", "visibility", "tags", NULL };

static bool same(const json_t *a, const json_t *b, const char *name)
{
	return json_equal(json_object_get(a, name), json_object_get(b, name));
}

/* Tags in lower case (ASCII) without surrounding spaces, once each; false for a blank one. */
static bool normalise_tags(json_t *rec)
{
	json_t *tags = json_object_get(rec, "tags");
	if (!json_is_array(tags))
		return true;
	json_t *out = json_array();
	size_t i;
	json_t *t;
	bool ok = out != NULL;
	json_array_foreach(tags, i, t) {
		const char *s = json_string_value(t);
		if (!ok || !s)
			break;
		while (*s == ' ')
			s++;
		size_t n = strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (n == 0) {
			ok = false;
			break;
		}
		char *lower = xstrndup(s, n);
		if (!lower) {
			ok = false;
			break;
		}
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		bool seen = false;
		size_t j;
		json_t *o;
		json_array_foreach(out, j, o)
			seen = seen || strcmp(json_string_value(o), lower) == 0;
		if (!seen)
			json_array_append_new(out, json_string(lower));
		xfree(lower);
	}
	if (ok)
		json_object_set(rec, "tags", out);
	json_decref(out);
	return ok;
}

static json_t *actor_id(const struct resource_ctx *ctx)
{
	return ctx->actor && ctx->actor->user_id ? json_integer(ctx->actor->user_id) : json_null();
}

static int article_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			   json_t *errors)
{
	if (!normalise_tags(rec)) {
		resource_error(errors, "tags", "items must not be blank");
		return RC_OK;
	}
	bool changed = !cur;
	for (const char *const *f = content_fields; cur && *f; f++)
		changed = changed || !same(cur, rec, *f);
	if (!changed)
		return RC_OK;
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	if (!cur) {
		json_object_set_new(rec, "revision", json_integer(1));
		json_object_set_new(rec, "author_id", actor_id(ctx));
	} else {
		json_int_t r = json_integer_value(json_object_get(cur, "revision"));
		json_object_set_new(rec, "revision", json_integer(r + 1));
	}
	json_object_set_new(rec, "edited_by_id", actor_id(ctx));
	json_object_set_new(rec, "edited_at", json_string(now));
	return RC_OK;
}

static int article_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	const char *body = json_string_value(json_object_get(rec, "body"));
	if (body && strlen(body) > KB_BODY_MAX_BYTES)
		resource_error(errors, "body", "must be at most 200000 bytes");
	return RC_OK;
}

/* The version an edit replaced, kept as it was. */
static int article_after_write(struct resource_ctx *ctx, const json_t *before,
			       const json_t *after)
{
	if (!before)
		return RC_OK;
	json_int_t was = json_integer_value(json_object_get(before, "revision"));
	if (was == json_integer_value(json_object_get(after, "revision")))
		return RC_OK;
	char *tags = json_dumps(json_object_get(before, "tags"), JSON_COMPACT | JSON_ENCODE_ANY);
	if (!tags)
		return RC_ERROR;
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	json_t *by = json_object_get(before, "edited_by_id");
	int64_t actor = ctx->actor ? ctx->actor->user_id : 0;
	const char *sql = "INSERT INTO kb_article_revisions (article_id, revision, title, body,"
			  " visibility, tags, edited_at, edited_by_id, replaced_at, replaced_by_id)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	int64_t id = json_integer_value(json_object_get(before, "id"));
	const char *title = json_string_value(json_object_get(before, "title"));
	const char *body = json_string_value(json_object_get(before, "body"));
	const char *vis = json_string_value(json_object_get(before, "visibility"));
	const char *edited_at = json_string_value(json_object_get(before, "edited_at"));
	int rc;
	/* a NULL id is 'n' in db_run's format, which takes no argument */
	if (json_is_integer(by) && actor)
		rc = db_run(ctx->db, NULL, sql, "iisssssisi", id, (int64_t)was, title, body, vis,
			    tags, edited_at, (int64_t)json_integer_value(by), now, actor);
	else if (json_is_integer(by))
		rc = db_run(ctx->db, NULL, sql, "iisssssisn", id, (int64_t)was, title, body, vis,
			    tags, edited_at, (int64_t)json_integer_value(by), now);
	else if (actor)
		rc = db_run(ctx->db, NULL, sql, "iisssssnsi", id, (int64_t)was, title, body, vis,
			    tags, edited_at, now, actor);
	else
		rc = db_run(ctx->db, NULL, sql, "iisssssnsn", id, (int64_t)was, title, body, vis,
			    tags, edited_at, now);
	free(tags);
	return rc == RC_DONE ? RC_OK : rc;
}

static void article_present(json_t *rec)
{
	const char *body = json_string_value(json_object_get(rec, "body"));
	char *html = body ? kb_markdown_html(body, strlen(body)) : NULL;
	json_object_set_new(rec, "html", html ? json_string(html) : json_null());
	xfree(html);
}

static int article_present_text(struct buf *b, const struct resource_row *r)
{
	const char *body = resource_row_text(r, "body");
	char *html = body ? kb_markdown_html(body, strlen(body)) : NULL;
	size_t len = html ? strlen(html) : 0;
	/* json_string refuses text that is not UTF-8, and the member is then left out */
	int rc = html && !utf8_valid(html) ? 0
		 : buf_addstr(b, ",\"html\":") < 0 ? -1
		 : html ? json_write_utf8(b, html, len)
			: buf_addstr(b, "null");
	xfree(html);
	return rc;
}

const struct resource kb_article_resource = {
	.name = "kb/articles",
	.singular = "knowledge-base article",
	.table = "kb_articles",
	.fields = article_fields,
	.searchable = true,
	.default_sort = "title",
	.prepare = article_prepare,
	.check = article_check,
	.after_write = article_after_write,
	.present = article_present,
	.present_text = article_present_text,
	.event = "kb_article",
	.doc = "The knowledge base: how-tos and fixes in Markdown, for the staff (`internal`) or "
	       "also the client portal (`portal`); full-text search with q= over title, body "
	       "and tags.",
};

/* Revisions --------------------------------------------------------------- */

static const struct field revision_fields[] = {
	{ .name = "article_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &kb_article_resource,
	  .doc = "The article (from the path)." },
	{ .name = "revision", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 1,
	  .max = INT64_MAX, .doc = "The article's revision this was." },
	FIELD_TEXT("title", F_READ_ONLY, 0, 0),
	FIELD_TEXT("body", F_READ_ONLY, 0, 0),
	FIELD_ENUM("visibility", F_READ_ONLY, visibilities, NULL),
	FIELD_STRINGS("tags", F_READ_ONLY, 20, 40),
	{ .name = "html", .type = FT_TEXT, .flags = F_COMPUTED,
	  .doc = "The body as HTML, sanitised as the article's." },
	{ .name = "edited_by_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &user_resource,
	  .hidden_from = ROLE_PORTAL, .doc = "Who wrote this revision." },
	FIELD_TIME("edited_at", F_READ_ONLY),
	{ .name = "replaced_by_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &user_resource,
	  .hidden_from = ROLE_PORTAL, .doc = "Who replaced it with the next revision." },
	FIELD_TIME("replaced_at", F_READ_ONLY | F_SORT),
	FIELD_END
};

const struct resource kb_revision_resource = {
	.name = "revisions",
	.singular = "article revision",
	.table = "kb_article_revisions",
	.fields = revision_fields,
	.default_sort = "-id",
	.read_only = true,
	.no_record_columns = true,
	.parent = &kb_article_resource,
	.parent_field = "article_id",
	.present = article_present,
	.present_text = article_present_text,
	.doc = "The versions of an article that edits replaced, newest first: what it was, who "
	       "wrote it when, who replaced it when.",
};

/* Links from tickets ------------------------------------------------------ */

static const struct field link_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &ticket_resource,
	  .doc = "The ticket (from the path)." },
	{ .name = "article_id", .type = FT_REF, .flags = F_REQUIRED | F_FILTER,
	  .ref = &kb_article_resource, .doc = "The article that solved it (a live one)." },
	{ .name = "linked_by_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &user_resource,
	  .hidden_from = ROLE_PORTAL, .doc = "Who linked them." },
	FIELD_END
};

/* RC_CONFLICT (with the error) when ticket and article have a live link other than id. */
static int link_unique(struct resource_ctx *ctx, int64_t ticket, int64_t article, int64_t id,
		       json_t *errors)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT id FROM kb_links WHERE ticket_id = ? AND article_id = ?"
			" AND archived_at IS NULL AND id <> ?",
			"iii", ticket, article, id);
	if (rc == RC_DONE)
		return RC_OK;
	if (rc != RC_ROW)
		return rc;
	int64_t other = db_col_int(st, 0);
	db_done(st);
	char msg[96];
	snprintf(msg, sizeof(msg), "is linked to this ticket already (link %lld)",
		 (long long)other);
	resource_error(errors, "article_id", msg);
	return RC_CONFLICT;
}

static int64_t int_of(const json_t *rec, const char *name)
{
	return json_integer_value(json_object_get(rec, name));
}

static int link_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			json_t *errors)
{
	if (cur) {
		if (!same(cur, rec, "article_id"))
			resource_error(errors, "article_id",
				       "cannot change: unlink (DELETE) and link the other article");
		return RC_OK;
	}
	json_object_set_new(rec, "linked_by_id", actor_id(ctx));
	int64_t ticket = int_of(rec, "ticket_id") ? int_of(rec, "ticket_id") : ctx->parent_id;
	return link_unique(ctx, ticket, int_of(rec, "article_id"), 0, errors);
}

static int link_archive_check(struct resource_ctx *ctx, const json_t *cur, bool archive,
			      json_t *errors)
{
	if (archive)
		return RC_OK;
	return link_unique(ctx, int_of(cur, "ticket_id"), int_of(cur, "article_id"),
			   int_of(cur, "id"), errors);
}

/* ticket_count of article: its live links, written through the engine when it changed. */
static int recount(struct resource_ctx *ctx, int64_t article)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT COUNT(*) FROM kb_links WHERE article_id = ? AND archived_at IS NULL",
			"i", article);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	int64_t n = db_col_int(st, 0);
	db_done(st);
	struct resource_ctx own = *ctx;
	own.parent_id = 0;
	json_t *cur;
	rc = resource_get(&own, &kb_article_resource, article, &cur);
	if (rc == RC_NOT_FOUND)
		return RC_OK;	/* the article went (it cannot: linked ones are never deleted) */
	if (rc != RC_OK)
		return rc;
	if (int_of(cur, "ticket_count") == n)
		return RC_OK;
	json_t *patch = json_pack("{s:I}", "ticket_count", (json_int_t)n);
	if (!patch)
		return RC_ERROR;
	json_t *out, *errors = NULL;
	rc = resource_update_trusted(&own, &kb_article_resource, article, patch, &out, &errors);
	json_decref(patch);
	return rc;
}

static int link_after_write(struct resource_ctx *ctx, const json_t *before, const json_t *after)
{
	int rc = recount(ctx, int_of(after, "article_id"));
	if (rc == RC_OK && before && int_of(before, "article_id") != int_of(after, "article_id"))
		rc = recount(ctx, int_of(before, "article_id"));
	return rc;
}

const struct resource kb_link_resource = {
	.name = "kb-links",
	.singular = "knowledge-base link",
	.table = "kb_links",
	.fields = link_fields,
	.default_sort = "-created_at",
	.prepare = link_prepare,
	.archive_check = link_archive_check,
	.after_write = link_after_write,
	.parent = &ticket_resource,
	.parent_field = "ticket_id",
	.company_via = "ticket_id",
	.event = "kb_link",
	.doc = "The knowledge-base articles that solved a ticket. Unlinking archives the link "
	       "(DELETE); the article's ticket_count follows.",
};

/* Reads ------------------------------------------------------------------- */

/* Words too common to tell one ticket from another. */
static const char *const common_words[] = {
	"about", "after", "again", "all", "also", "and", "any", "are", "because", "been",
	"before", "but", "can", "cannot", "could", "does", "doesn", "don", "for", "from",
	"get", "gets", "getting", "had", "has", "have", "hello", "help", "her", "here", "him",
	"his", "how", "into", "its", "just", "not", "now", "our", "out", "please", "regards",
	"she", "should", "some", "than", "thank", "thanks", "that", "the", "their", "them",
	"then", "there", "they", "this", "was", "were", "what", "when", "which", "while",
	"who", "why", "will", "with", "would", "you", "your", NULL
};

static bool word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Appends text's significant words to b (space-separated, lower case), up to *left of them. */
static void significant_words(struct buf *b, const char *text, int *left)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	while (*p && *left > 0) {
		while (*p && !word_byte(*p))
			p++;
		const unsigned char *start = p;
		bool ascii_letter = false;
		while (word_byte(*p)) {
			ascii_letter = ascii_letter || (*p < 0x80 && *p > '9');
			p++;
		}
		size_t n = (size_t)(p - start);
		/* a word has a letter and three bytes at least; at most 40 */
		if (n < 3 || n > 40 || (!ascii_letter && start[0] < 0x80))
			continue;
		char w[41];
		for (size_t i = 0; i < n; i++)
			w[i] = (char)(start[i] >= 'A' && start[i] <= 'Z' ? start[i] | 0x20 : start[i]);
		w[n] = '\0';
		bool skip = false;
		for (const char *const *c = common_words; *c && !skip; c++)
			skip = strcmp(*c, w) == 0;
		/* once each: " word " in what is there already */
		char padded[44];
		snprintf(padded, sizeof(padded), " %s ", w);
		if (skip || (b->len && strstr(buf_str(b), padded)))
			continue;
		buf_addstr(b, b->len ? "" : " ");
		buf_addstr(b, w);
		buf_addch(b, ' ');
		(*left)--;
	}
}

int kb_similar(struct resource_ctx *ctx, const char *subject, const char *description,
	       int limit, json_t **out)
{
	if (limit < 1 || limit > 20)
		limit = 5;
	struct buf words;
	buf_init(&words, 4096);
	int left = 16;
	/* the subject's words first: they say most */
	significant_words(&words, subject, &left);
	significant_words(&words, description, &left);
	if (words.failed)
		return RC_ERROR;
	char *fts = words.len ? db_fts_any_query(ctx->db, buf_str(&words)) : NULL;
	buf_release(&words);
	json_t *list = arena_json(ctx->arena, json_array());
	if (!list) {
		xfree(fts);
		return RC_ERROR;
	}
	*out = list;
	if (!fts)
		return RC_OK;

	struct buf sql;
	buf_init(&sql, 4096);
	buf_addstr(&sql, "SELECT a.id, a.title, a.visibility, a.tags, a.body FROM ");
	db_fts_ranked(ctx->db, "kb_articles", &sql);
	buf_addstr(&sql, " r JOIN kb_articles a ON a.id = r.id WHERE a.archived_at IS NULL"
			 " ORDER BY r.score DESC, a.id LIMIT ?");
	struct db_stmt *st = sql.failed ? NULL : db_prepare(ctx->db, buf_str(&sql));
	buf_release(&sql);
	if (!st) {
		xfree(fts);
		return RC_ERROR;
	}
	db_bind_text(st, 1, fts);
	db_bind_int(st, 2, limit);
	int rc;
	while ((rc = db_step(st)) == RC_ROW) {
		const char *body = db_col_text(st, 4);
		char *excerpt = kb_markdown_text(body, strlen(body), 200);
		json_t *tags = json_loads(db_col_text(st, 3), 0, NULL);
		json_t *item = json_pack("{s:I, s:s, s:s, s:o, s:s?}", "id",
					 (json_int_t)db_col_int(st, 0), "title", db_col_text(st, 1),
					 "visibility", db_col_text(st, 2), "tags",
					 tags ? tags : json_array(), "excerpt", excerpt);
		xfree(excerpt);
		if (!item || json_array_append_new(list, item) < 0) {
			rc = RC_ERROR;
			break;
		}
	}
	db_done(st);
	xfree(fts);
	return rc == RC_DONE ? RC_OK : rc;
}

int kb_article_tickets(struct resource_ctx *ctx, int64_t id, json_t **out)
{
	json_t *article;
	int rc = resource_get(ctx, &kb_article_resource, id, &article);
	if (rc != RC_OK)
		return rc;
	json_t *list = arena_json(ctx->arena, json_array());
	if (!list)
		return RC_ERROR;
	struct db_stmt *st = db_prepare(ctx->db,
		"SELECT l.id, l.ticket_id, t.number, t.subject, t.status, l.created_at"
		" FROM kb_links l JOIN tickets t ON t.id = l.ticket_id"
		" WHERE l.article_id = ? AND l.archived_at IS NULL ORDER BY l.id DESC LIMIT 500");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, id);
	while ((rc = db_step(st)) == RC_ROW) {
		json_t *item = json_pack("{s:I, s:I, s:s?, s:s?, s:s?, s:s?}",
					 "link_id", (json_int_t)db_col_int(st, 0),
					 "ticket_id", (json_int_t)db_col_int(st, 1),
					 "number", db_col_text(st, 2), "subject", db_col_text(st, 3),
					 "status", db_col_text(st, 4), "linked_at", db_col_text(st, 5));
		if (!item || json_array_append_new(list, item) < 0) {
			rc = RC_ERROR;
			break;
		}
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	*out = list;
	return RC_OK;
}
