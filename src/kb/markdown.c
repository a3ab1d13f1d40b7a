/*
 * markdown.c - an article's Markdown as HTML that is safe to put in a page,
 * and as plain text for excerpts.
 *
 * cmark parses; we write the HTML ourselves from its tree rather than
 * clean up what its renderer makes: an allow-list by construction. Only
 * the elements below are ever written, every text and attribute value is
 * escaped, raw HTML (blocks and inline) is written as escaped text, and a
 * link or image keeps its address only when kb_url_allowed says so. cmark
 * has decoded entities and backslash escapes in addresses already, so
 * "javascript&#58;" is seen as the "javascript:" a browser would see.
 */
#include "kb/kb.h"

#include "core/alloc.h"
#include "core/buf.h"

#include <cmark.h>
#include <stdbool.h>
#include <string.h>

/* Rendered HTML may be some times the Markdown (escapes, tags); a hard cap all the same. */
#define HTML_MAX (16u * 1024 * 1024)

static const int parse_options = CMARK_OPT_VALIDATE_UTF8;

static void escape(struct buf *b, const char *s)
{
	if (!s)
		return;
	const char *run = s;
	for (const char *p = s; *p; p++) {
		const char *rep;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_add(b, run, (size_t)(p - run));
		buf_addstr(b, rep);
		run = p + 1;
	}
	buf_addstr(b, run);
}

/* ` name="value"` (escaped); nothing when value is NULL. */
static void attr(struct buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	buf_addf(b, " %s=\"", name);
	escape(b, value);
	buf_addch(b, '"');
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static bool ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool kb_url_allowed(const char *url, bool image)
{
	static const char *const link_schemes[] = { "http", "https", "mailto", "tel", NULL };
	static const char *const image_schemes[] = { "http", "https", NULL };
	if (!url)
		return false;
	/* what a browser does first: leading C0 controls and spaces go, tabs and line ends anywhere */
	while (*url && (unsigned char)*url <= 0x20)
		url++;
	char scheme[16];
	size_t n = 0;
	for (const char *p = url; *p; p++) {
		if (*p == '\t' || *p == '\n' || *p == '\r')
			continue;
		if (*p == ':')
			break;
		if (*p == '/' || *p == '?' || *p == '#')
			return true;	/* a path, query or fragment before any colon: relative */
		bool ok = ascii_alpha(*p) || (n > 0 && ((*p >= '0' && *p <= '9') || *p == '+' ||
						       *p == '-' || *p == '.'));
		if (!ok)
			return !strchr(p, ':');	/* no scheme can start here: relative, unless unclear */
		if (n == sizeof(scheme) - 1)
			return false;
		scheme[n++] = (char)(*p | 0x20);
		if (!p[1])
			return true;	/* "page" alone: relative */
	}
	if (n == 0)
		return *url == '\0' ? false : !strchr(url, ':');
	scheme[n] = '\0';
	for (const char *const *s = image ? image_schemes : link_schemes; *s; s++)
		if (strcmp(scheme, *s) == 0)
			return true;
	return false;
}

/* The text of node's descendants (an image's alt text), escaped. */
static void plain_children(struct buf *b, cmark_node *node)
{
	cmark_iter *it = cmark_iter_new(node);
	if (!it) {
		buf_addstr(b, "");
		return;
	}
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER || n == node)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_HTML_INLINE:
			escape(b, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_addch(b, ' ');
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

/* Whether a paragraph is in a tight list's item (written without <p>). */
static bool tight(cmark_node *paragraph)
{
	cmark_node *item = cmark_node_parent(paragraph);
	cmark_node *list = item ? cmark_node_parent(item) : NULL;
	return list && cmark_node_get_type(list) == CMARK_NODE_LIST &&
	       cmark_node_get_list_tight(list);
}

/* A code block's language from its info string, as a class, when it is one plain word. */
static void code_language(struct buf *b, const char *info)
{
	size_t n = 0;
	while (info && info[n] && info[n] != ' ' && info[n] != '\t')
		n++;
	if (n == 0 || n > 30)
		return;
	for (size_t i = 0; i < n; i++) {
		char c = info[i];
		if (!ascii_alpha(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' && c != '+')
			return;
	}
	buf_addstr(b, " class=\"language-");
	buf_add(b, info, n);
	buf_addch(b, '"');
}

static void node_html(struct buf *b, cmark_iter *it, cmark_node *n, bool enter)
{
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_BLOCK_QUOTE:
		buf_addstr(b, enter ? "<blockquote>\n" : "</blockquote>\n");
		break;
	case CMARK_NODE_LIST: {
		bool ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
		if (!enter)
			buf_addstr(b, ordered ? "</ol>\n" : "</ul>\n");
		else if (!ordered)
			buf_addstr(b, "<ul>\n");
		else if (cmark_node_get_list_start(n) != 1)
			buf_addf(b, "<ol start=\"%d\">\n", cmark_node_get_list_start(n));
		else
			buf_addstr(b, "<ol>\n");
		break;
	}
	case CMARK_NODE_ITEM:
		buf_addstr(b, enter ? "<li>" : "</li>\n");
		break;
	case CMARK_NODE_CODE_BLOCK:
		buf_addstr(b, "<pre><code");
		code_language(b, cmark_node_get_fence_info(n));
		buf_addch(b, '>');
		escape(b, cmark_node_get_literal(n));
		buf_addstr(b, "</code></pre>\n");
		break;
	case CMARK_NODE_HTML_BLOCK:
		/* raw HTML is shown as what it is, never interpreted */
		buf_addstr(b, "<pre class=\"raw-html\">");
		escape(b, cmark_node_get_literal(n));
		buf_addstr(b, "</pre>\n");
		break;
	case CMARK_NODE_PARAGRAPH:
		if (tight(n))
			break;
		buf_addstr(b, enter ? "<p>" : "</p>\n");
		break;
	case CMARK_NODE_HEADING:
		buf_addf(b, enter ? "<h%d>" : "</h%d>\n", cmark_node_get_heading_level(n));
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		buf_addstr(b, "<hr>\n");
		break;
	case CMARK_NODE_TEXT:
	case CMARK_NODE_HTML_INLINE:
		escape(b, cmark_node_get_literal(n));
		break;
	case CMARK_NODE_SOFTBREAK:
		buf_addch(b, '\n');
		break;
	case CMARK_NODE_LINEBREAK:
		buf_addstr(b, "<br>\n");
		break;
	case CMARK_NODE_CODE:
		buf_addstr(b, "<code>");
		escape(b, cmark_node_get_literal(n));
		buf_addstr(b, "</code>");
		break;
	case CMARK_NODE_EMPH:
		buf_addstr(b, enter ? "<em>" : "</em>");
		break;
	case CMARK_NODE_STRONG:
		buf_addstr(b, enter ? "<strong>" : "</strong>");
		break;
	case CMARK_NODE_LINK: {
		/* decided the same way on enter and exit: the tag opens and closes, or neither */
		const char *url = cmark_node_get_url(n);
		if (!kb_url_allowed(url, false))
			break;
		if (!enter) {
			buf_addstr(b, "</a>");
			break;
		}
		buf_addstr(b, "<a");
		attr(b, "href", url ? url : "");
		attr(b, "title", nonempty(cmark_node_get_title(n)));
		buf_addstr(b, " rel=\"nofollow noopener noreferrer\">");
		break;
	}
	case CMARK_NODE_IMAGE: {
		const char *url = cmark_node_get_url(n);
		if (kb_url_allowed(url, true)) {
			buf_addstr(b, "<img");
			attr(b, "src", url ? url : "");
			buf_addstr(b, " alt=\"");
			plain_children(b, n);
			buf_addch(b, '"');
			attr(b, "title", nonempty(cmark_node_get_title(n)));
			buf_addstr(b, " loading=\"lazy\">");
		} else {
			plain_children(b, n);
		}
		/* the alt text is written: go on after the image */
		cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
		break;
	}
	default:
		/* the document, and custom nodes (which the parser never makes): their children only */
		break;
	}
}

/* Walks the tree of md with fn; NULL when memory ran out (cmark aborts then itself). */
static cmark_node *parse(const char *md, size_t len)
{
	return cmark_parse_document(md ? md : "", md ? len : 0, parse_options);
}

char *kb_markdown_html(const char *md, size_t len)
{
	cmark_node *doc = parse(md, len);
	if (!doc)
		return NULL;
	cmark_iter *it = cmark_iter_new(doc);
	if (!it) {
		cmark_node_free(doc);
		return NULL;
	}
	struct buf b;
	buf_init(&b, HTML_MAX);
	buf_addstr(&b, "");
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && !b.failed)
		node_html(&b, it, cmark_iter_get_node(it), ev == CMARK_EVENT_ENTER);
	cmark_iter_free(it);
	cmark_node_free(doc);
	if (b.failed)
		return NULL;
	return buf_take(&b);
}

/* Appends s with runs of whitespace folded to one space; stops at max bytes. */
static void add_folded(struct buf *b, const char *s, bool *space)
{
	for (; s && *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			*space = true;
			continue;
		}
		if (*space && b->len > 0)
			buf_addch(b, ' ');
		*space = false;
		buf_addch(b, *s);
	}
}

char *kb_markdown_text(const char *md, size_t len, size_t max)
{
	cmark_node *doc = parse(md, len);
	if (!doc)
		return NULL;
	cmark_iter *it = cmark_iter_new(doc);
	if (!it) {
		cmark_node_free(doc);
		return NULL;
	}
	/* room for one more word than fits: the cut is made below */
	struct buf b;
	buf_init(&b, max + 4096);
	buf_addstr(&b, "");
	bool space = false;
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && !b.failed && b.len <= max) {
		cmark_node *n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_CODE_BLOCK:
			add_folded(&b, cmark_node_get_literal(n), &space);
			break;
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			break;	/* markup is no prose */
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
		case CMARK_NODE_ITEM:
			space = true;
			break;
		default:
			break;
		}
		(void)ev;
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	if (b.failed)
		return NULL;
	if (b.len > max) {
		/* cut at the last space before max, else at a character boundary */
		size_t cut = max;
		while (cut > 0 && b.data[cut] != ' ')
			cut--;
		if (cut == 0) {
			cut = max;
			while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
				cut--;
		}
		b.len = cut;
		b.data[cut] = '\0';
		buf_addstr(&b, "\xe2\x80\xa6");
		if (b.failed)
			return NULL;
	}
	return buf_take(&b);
}
