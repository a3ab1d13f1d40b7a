/*
 * fuzz_markdown.c - libFuzzer harness for an article's Markdown as HTML and
 * as an excerpt (kb/markdown.c): whatever bytes an author sends, the HTML
 * must be valid UTF-8 in which every "<" opens one of the elements we
 * write, with only our attributes, each value double-quoted, and no link
 * or image address kb_url_allowed refuses; the excerpt must be valid
 * UTF-8 no longer than its limit (and the ellipsis).
 */
#include "core/alloc.h"
#include "core/utf8.h"
#include "kb/kb.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool word_in(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return true;
	return false;
}

/* The value of an attribute as the browser reads it: &amp; and &quot; and the like decoded. */
static bool address_ok(const char *v, size_t n, bool image)
{
	char *s = xmalloc(n + 1);
	if (!s)
		return true;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '&') {
			static const struct { const char *ent; char c; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
				{ "&quot;", '"' }, { "&#39;", '\'' },
			};
			bool done = false;
			for (size_t e = 0; e < sizeof(ents) / sizeof(ents[0]) && !done; e++) {
				size_t len = strlen(ents[e].ent);
				if (n - i >= len && memcmp(v + i, ents[e].ent, len) == 0) {
					s[k++] = ents[e].c;
					i += len - 1;
					done = true;
				}
			}
			if (!done)
				__builtin_trap();	/* a bare & we did not escape */
			continue;
		}
		s[k++] = v[i];
	}
	s[k] = '\0';
	bool ok = kb_url_allowed(s, image);
	xfree(s);
	return ok;
}

static void check_html(const char *h)
{
	static const char *const tags[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "em",
		"strong", "a", "img", "ul", "ol", "li", "blockquote", "pre", "code", "hr", "br",
		NULL };
	static const char *const attrs[] = { "href", "src", "alt", "title", "rel", "class",
		"start", "loading", NULL };
	if (!utf8_valid(h))
		__builtin_trap();
	for (const char *p = strchr(h, '<'); p; p = strchr(p, '<')) {
		p++;
		if (*p == '/')
			p++;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789");
		if (!word_in(p, n, tags))
			__builtin_trap();
		bool img = n == 3 && memcmp(p, "img", 3) == 0;
		p += n;
		while (*p == ' ') {
			p++;
			size_t an = strspn(p, "abcdefghijklmnopqrstuvwxyz");
			if (!word_in(p, an, attrs) || p[an] != '=' || p[an + 1] != '"')
				__builtin_trap();
			bool address = (an == 4 && memcmp(p, "href", 4) == 0) ||
				       (an == 3 && memcmp(p, "src", 3) == 0);
			const char *v = p + an + 2;
			const char *end = strchr(v, '"');
			if (!end || memchr(v, '<', (size_t)(end - v)) || memchr(v, '>', (size_t)(end - v)))
				__builtin_trap();
			if (address && !address_ok(v, (size_t)(end - v), img))
				__builtin_trap();
			p = end + 1;
		}
		if (*p != '>')
			__builtin_trap();
	}
	/* no ">" outside a tag either: text is escaped */
	int depth = 0;
	for (const char *p = h; *p; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>' && --depth < 0)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		size = 64 * 1024;
	char *html = kb_markdown_html((const char *)data, size);
	if (html) {
		check_html(html);
		xfree(html);
	}
	size_t max = size % 300;
	char *text = kb_markdown_text((const char *)data, size, max);
	if (text) {
		if (!utf8_valid(text) || strlen(text) > max + 3)
			__builtin_trap();
		xfree(text);
	}
	return 0;
}
