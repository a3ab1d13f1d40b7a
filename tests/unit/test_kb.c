/*
 * test_kb.c - src/kb/markdown.c: an article's Markdown as safe HTML (the
 * elements we write, escaping, raw HTML shown as text, the addresses links
 * and images may have) and as plain text for excerpts.
 */
#include "core/alloc.h"
#include "kb/kb.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* The HTML of md, compared whole with want. */
static void html_is(const char *md, const char *want)
{
	char *html = kb_markdown_html(md, strlen(md));
	assert_non_null(html);
	assert_string_equal(html, want);
	xfree(html);
}

/* Whether the HTML of md holds needle. */
static bool html_has(const char *md, const char *needle)
{
	char *html = kb_markdown_html(md, strlen(md));
	assert_non_null(html);
	bool has = strstr(html, needle) != NULL;
	xfree(html);
	return has;
}

static void renders_commonmark(void **state)
{
	(void)state;
	html_is("", "");
	html_is("# Title\n\nSome *emphasis* and **strong** and `code`.\n",
		"<h1>Title</h1>\n<p>Some <em>emphasis</em> and <strong>strong</strong> and "
		"<code>code</code>.</p>\n");
	html_is("- one\n- two\n", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n");
	html_is("3. three\n4. four\n", "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n");
	html_is("- a\n\n- b\n", "<ul>\n<li><p>a</p>\n</li>\n<li><p>b</p>\n</li>\n</ul>\n");
	html_is("> quoted\n", "<blockquote>\n<p>quoted</p>\n</blockquote>\n");
	html_is("```sh\nls -l\n```\n", "<pre><code class=\"language-sh\">ls -l\n</code></pre>\n");
	/* an info string that is no plain word gives no class */
	html_is("```\" onclick=\"x\nls\n```\n", "<pre><code>ls\n</code></pre>\n");
	html_is("a  \nb\n---\n", "<h2>a<br>\nb</h2>\n");
	html_is("***\n", "<hr>\n");
	html_is("[site](https://example.com/a?b=1&c=2 \"The site\")",
		"<p><a href=\"https://example.com/a?b=1&amp;c=2\" title=\"The site\" "
		"rel=\"nofollow noopener noreferrer\">site</a></p>\n");
	html_is("![a *logo*](/img/logo.png)",
		"<p><img src=\"/img/logo.png\" alt=\"a logo\" loading=\"lazy\"></p>\n");
}

static void escapes_text_and_raw_html(void **state)
{
	(void)state;
	html_is("<script>alert(1)</script>\n",
		"<pre class=\"raw-html\">&lt;script&gt;alert(1)&lt;/script&gt;\n</pre>\n");
	html_is("a <b onclick=\"x()\">b</b> & 'c' \"d\"",
		"<p>a &lt;b onclick=&quot;x()&quot;&gt;b&lt;/b&gt; &amp; &#39;c&#39; "
		"&quot;d&quot;</p>\n");
	html_is("<img src=x onerror=alert(1)>",
		"<pre class=\"raw-html\">&lt;img src=x onerror=alert(1)&gt;\n</pre>\n");
	html_is("`<script>`", "<p><code>&lt;script&gt;</code></p>\n");
	/* an attribute value cannot be left: quotes in a title are escaped */
	assert_true(html_has("[x](/a \"t\\\" onmouseover=\\\"y\")",
			     "title=\"t&quot; onmouseover=&quot;y\""));
}

static void drops_dangerous_addresses(void **state)
{
	(void)state;
	html_is("[x](javascript:alert(1))", "<p>x</p>\n");
	html_is("[x](JaVaScRiPt:alert(1))", "<p>x</p>\n");
	html_is("[x](javascript&#58;alert(1))", "<p>x</p>\n");
	html_is("[x](&#x6A;avascript:alert(1))", "<p>x</p>\n");
	html_is("[x](<java\tscript:alert(1)>)", "<p>x</p>\n");
	html_is("[x](vbscript:msgbox)", "<p>x</p>\n");
	html_is("[x](data:text/html,<script>alert(1)</script>)", "<p>x</p>\n");
	html_is("[x]\n\n[x]: javascript:alert(1)\n", "<p>x</p>\n");
	html_is("<javascript:alert(1)>", "<p>javascript:alert(1)</p>\n");
	html_is("![pic](data:image/png;base64,AAAA)", "<p>pic</p>\n");
	html_is("![pic](javascript:alert(1))", "<p>pic</p>\n");
	/* images: http(s) and relative only; links also mailto and tel */
	html_is("![pic](mailto:a@b.example)", "<p>pic</p>\n");
	assert_true(html_has("[m](mailto:help@firm.example)", "href=\"mailto:help@firm.example\""));
	assert_true(html_has("[t](tel:+12175550100)", "href=\"tel:+12175550100\""));
	assert_true(html_has("<https://example.com>", "href=\"https://example.com\""));
}

static void url_rules(void **state)
{
	(void)state;
	assert_true(kb_url_allowed("https://example.com", false));
	assert_true(kb_url_allowed("HTTP://example.com", true));
	assert_true(kb_url_allowed("/relative/path", true));
	assert_true(kb_url_allowed("page.html", false));
	assert_true(kb_url_allowed("page.html?a=b:c", false));
	assert_true(kb_url_allowed("#section", false));
	assert_true(kb_url_allowed("//cdn.example/x.png", true));
	assert_true(kb_url_allowed("my file.html", false));
	assert_false(kb_url_allowed(NULL, false));
	assert_false(kb_url_allowed("", false));
	assert_false(kb_url_allowed("javascript:x", false));
	assert_false(kb_url_allowed(" \x01javascript:x", false));
	assert_false(kb_url_allowed("jav\na\rscr\tipt:x", false));
	assert_false(kb_url_allowed("data:,x", true));
	assert_false(kb_url_allowed("file:///etc/passwd", false));
	assert_false(kb_url_allowed("a b:c", false));
	assert_false(kb_url_allowed(":x", false));
	assert_false(kb_url_allowed("averyveryverylongscheme:x", false));
	assert_false(kb_url_allowed("tel:123", true));
}

static void plain_text_excerpts(void **state)
{
	(void)state;
	/* markup is left out, its text kept */
	const char *md = "# Steps\n\n1. Open **Devices**\n2. Remove `it`\n\n<b>raw</b>\n\n<div>\nx\n</div>\n";
	char *t = kb_markdown_text(md, strlen(md), 200);
	assert_non_null(t);
	assert_string_equal(t, "Steps Open Devices Remove it raw");
	xfree(t);
	/* cut at a word's end, with an ellipsis */
	const char *long_md = "alpha beta gamma delta";
	t = kb_markdown_text(long_md, strlen(long_md), 12);
	assert_string_equal(t, "alpha beta\xe2\x80\xa6");
	xfree(t);
	/* one long word: cut at a character boundary, never inside a UTF-8 sequence */
	const char *word = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	t = kb_markdown_text(word, strlen(word), 5);
	assert_string_equal(t, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
	xfree(t);
	t = kb_markdown_text("", 0, 10);
	assert_string_equal(t, "");
	xfree(t);
}

static void invalid_bytes_become_text(void **state)
{
	(void)state;
	const char md[] = "a\xff\xfe b\x00 c";
	char *html = kb_markdown_html(md, sizeof(md) - 1);
	assert_non_null(html);
	assert_true(strncmp(html, "<p>a", 4) == 0);
	assert_null(strchr(html + 4, '\xff'));
	xfree(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renders_commonmark),
		cmocka_unit_test(escapes_text_and_raw_html),
		cmocka_unit_test(drops_dangerous_addresses),
		cmocka_unit_test(url_rules),
		cmocka_unit_test(plain_text_excerpts),
		cmocka_unit_test(invalid_bytes_become_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
