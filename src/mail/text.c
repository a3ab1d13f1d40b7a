/*
 * text.c - the text of a message as people read it: well-formed UTF-8,
 * HTML reduced to plain text, the quoted history of a reply cut off.
 * Pure functions over arena strings; tests/unit/test_mail.c has the cases.
 */
#define _GNU_SOURCE	/* memmem */
#include "mail.h"

#include "core/arena.h"
#include "core/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The length of the well-formed UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len;
	unsigned cp;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

char *mail_clean_text(struct arena *a, const char *s, size_t len)
{
	char *out = arena_alloc(a, len * 3 + 1);
	if (!out)
		return NULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t k = 0;
	for (size_t i = 0; i < len;) {
		if (p[i] == '\r') {
			out[k++] = '\n';
			i += (i + 1 < len && p[i + 1] == '\n') ? 2 : 1;
			continue;
		}
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') {
			i++;
			continue;
		}
		if (p[i] == 0x7f) {
			i++;
			continue;
		}
		size_t n = utf8_seq(p + i, len - i);
		if (!n) {
			memcpy(out + k, "\xef\xbf\xbd", 3);	/* U+FFFD */
			k += 3;
			i++;
			continue;
		}
		memcpy(out + k, p + i, n);
		k += n;
		i += n;
	}
	out[k] = '\0';
	return out;
}

char *mail_truncate(struct arena *a, const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len <= max)
		return arena_strdup(a, s);
	static const char mark[] = "\n[\xe2\x80\xa6]";
	size_t keep = max > sizeof(mark) ? max - (sizeof(mark) - 1) : 0;
	while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
		keep--;
	return arena_printf(a, "%.*s%s", (int)keep, s, mark);
}

/* HTML ------------------------------------------------------------------- */

struct html {
	struct buf out;
	int quote;		/* <blockquote> depth */
	bool space;		/* a space is owed before the next word */
	bool line_start;	/* at the start of an output line */
	int newlines;		/* line breaks at the end of out */
};

static void html_prefix(struct html *h)
{
	if (h->line_start) {
		for (int i = 0; i < h->quote; i++)
			buf_addstr(&h->out, "> ");
		h->line_start = false;
	}
}

static void html_break(struct html *h, int want)
{
	if (h->out.len == 0)
		return;
	while (h->newlines < want) {
		buf_addch(&h->out, '\n');
		h->newlines++;
	}
	h->line_start = true;
	h->space = false;
}

static void html_char(struct html *h, const char *s, size_t n)
{
	if (h->space && !h->line_start)
		buf_addch(&h->out, ' ');
	h->space = false;
	html_prefix(h);
	buf_add(&h->out, s, n);
	h->newlines = 0;
}

static void put_codepoint(struct html *h, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp == 0xa0)
		cp = ' ';
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp < 0x20 && cp != '\t'))
		cp = 0xfffd;
	if (cp == ' ' || cp == '\t') {
		h->space = true;
		return;
	}
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	html_char(h, u, n);
}

static const struct {
	const char *name;
	unsigned long cp;
} entities[] = {
	{ "amp", '&' },	    { "lt", '<' },	  { "gt", '>' },	{ "quot", '"' },
	{ "apos", '\'' },   { "nbsp", 0xa0 },	  { "copy", 0xa9 },	{ "reg", 0xae },
	{ "euro", 0x20ac }, { "pound", 0xa3 },	  { "mdash", 0x2014 },	{ "ndash", 0x2013 },
	{ "hellip", 0x2026 }, { "rsquo", 0x2019 }, { "lsquo", 0x2018 }, { "rdquo", 0x201d },
	{ "ldquo", 0x201c }, { "bull", 0x2022 },   { "middot", 0xb7 },	{ "trade", 0x2122 },
	{ "auml", 0xe4 },   { "ouml", 0xf6 },	  { "uuml", 0xfc },	{ "szlig", 0xdf },
	{ "eacute", 0xe9 }, { "egrave", 0xe8 },	  { "agrave", 0xe0 },	{ "ccedil", 0xe7 },
};

/* An entity at s ("&amp;" …): its length consumed, or 0 when none is there. */
static size_t entity(struct html *h, const char *s, size_t n)
{
	size_t end = 1;
	while (end < n && end < 12 && s[end] != ';')
		end++;
	if (end >= n || s[end] != ';')
		return 0;
	if (s[1] == '#') {
		char *stop;
		unsigned long cp;
		char num[12];
		memcpy(num, s + 2, end - 2);
		num[end - 2] = '\0';
		if (num[0] == 'x' || num[0] == 'X')
			cp = strtoul(num + 1, &stop, 16);
		else
			cp = strtoul(num, &stop, 10);
		if (*stop || stop == num)
			return 0;
		put_codepoint(h, cp);
		return end + 1;
	}
	for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		if (strlen(entities[i].name) == end - 1 &&
		    memcmp(entities[i].name, s + 1, end - 1) == 0) {
			put_codepoint(h, entities[i].cp);
			return end + 1;
		}
	return 0;
}

/* Whether tag (len bytes, lower case) is one of the space-separated names. */
static bool tag_in(const char *tag, size_t len, const char *names)
{
	for (const char *p = names; *p;) {
		size_t n = strcspn(p, " ");
		if (n == len && memcmp(p, tag, len) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

char *mail_html_to_text(struct arena *a, const char *html, size_t len)
{
	struct html h = { .line_start = true };
	buf_init(&h.out, 0);
	const char *skip_until = NULL;	/* inside script/style/head: its end tag */
	size_t i = 0;
	while (i < len) {
		char c = html[i];
		if (c == '<') {
			if (i + 3 < len && memcmp(html + i, "<!--", 4) == 0) {
				const char *end = memmem(html + i + 4, len - i - 4, "-->", 3);
				i = end ? (size_t)(end - html) + 3 : len;
				continue;
			}
			size_t j = i + 1;
			bool closing = j < len && html[j] == '/';
			if (closing)
				j++;
			char tag[16];
			size_t t = 0;
			while (j < len && (isalnum((unsigned char)html[j])) && t < sizeof(tag) - 1)
				tag[t++] = (char)tolower((unsigned char)html[j++]);
			tag[t] = '\0';
			/* the end of the tag, past quoted attribute values */
			char q = 0;
			while (j < len && (q || html[j] != '>')) {
				if (q && html[j] == q)
					q = 0;
				else if (!q && (html[j] == '"' || html[j] == '\''))
					q = html[j];
				j++;
			}
			i = j < len ? j + 1 : len;
			if (t == 0)
				continue;
			if (skip_until) {
				if (closing && strcmp(tag, skip_until) == 0)
					skip_until = NULL;
				continue;
			}
			if (!closing && tag_in(tag, t, "script style head title template")) {
				skip_until = tag_in(tag, t, "script") ? "script" :
					     tag_in(tag, t, "style") ? "style" :
					     tag_in(tag, t, "head") ? "head" :
					     tag_in(tag, t, "title") ? "title" : "template";
				continue;
			}
			if (tag_in(tag, t, "br")) {
				if (h.newlines < 2)
					html_break(&h, h.newlines + 1);
			} else if (tag_in(tag, t, "blockquote")) {
				html_break(&h, 1);
				h.quote += closing ? (h.quote > 0 ? -1 : 0) : 1;
			} else if (tag_in(tag, t, "p h1 h2 h3 h4 h5 h6 table pre hr")) {
				html_break(&h, 2);
			} else if (tag_in(tag, t, "div tr ul ol dl dt dd section article header footer address")) {
				html_break(&h, 1);
			} else if (tag_in(tag, t, "li")) {
				html_break(&h, 1);
				if (!closing)
					html_char(&h, "- ", 2);
			} else if (tag_in(tag, t, "td th")) {
				if (!closing)
					h.space = true;
			}
			continue;
		}
		if (skip_until) {
			i++;
			continue;
		}
		if (c == '&') {
			size_t n = entity(&h, html + i, len - i);
			if (n) {
				i += n;
				continue;
			}
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			h.space = true;
			i++;
			continue;
		}
		size_t n = utf8_seq((const unsigned char *)html + i, len - i);
		if (!n) {
			put_codepoint(&h, 0xfffd);
			i++;
			continue;
		}
		if ((unsigned char)c < 0x20) {
			i++;
			continue;
		}
		html_char(&h, html + i, n);
		i += n;
	}
	if (h.out.failed) {
		buf_release(&h.out);
		return NULL;
	}
	char *s = arena_strdup(a, buf_str(&h.out));
	buf_release(&h.out);
	/* trailing line breaks */
	if (s) {
		size_t n = strlen(s);
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
			s[--n] = '\0';
	}
	return s;
}

/* Quoted history ---------------------------------------------------------- */

static bool starts_with_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The line at s, without its line break, in line (at most cap - 1 bytes). */
static const char *next_line(const char *s, char *line, size_t cap)
{
	size_t n = strcspn(s, "\n");
	size_t k = n < cap - 1 ? n : cap - 1;
	memcpy(line, s, k);
	line[k] = '\0';
	while (k > 0 && (line[k - 1] == ' ' || line[k - 1] == '\t'))
		line[--k] = '\0';
	return s[n] ? s + n + 1 : s + n;
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* "On Tue, 1 Dec 2026 … wrote:", "Am … schrieb Bob:", "Le … a écrit :", on one line or two. */
static bool attribution(const char *line, const char *next)
{
	static const char *const forms[][2] = {
		{ "On ", "wrote" }, { "Am ", "schrieb" }, { "Le ", "a \xc3\xa9" "crit" },
		{ "El ", "escribi\xc3\xb3" }, { "Op ", "geschreven" }, { "Il ", "scritto" },
	};
	char both[1300];
	snprintf(both, sizeof(both), "%s %s", line, next);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (!starts_with_ci(line, forms[i][0]))
			continue;
		if (ends_with(line, ":") && strstr(line, forms[i][1]))
			return true;
		if (strlen(next) < 100 && ends_with(both, ":") && strstr(next, forms[i][1]))
			return true;
	}
	return false;
}

/* Whether the line at s starts the quoted history. */
static bool separator(const char *s)
{
	char line[600], next[600], third[600];
	const char *after = next_line(s, line, sizeof(line));
	const char *after2 = next_line(after, next, sizeof(next));
	next_line(after2, third, sizeof(third));
	const char *l = skip_blanks(line);
	if (strcmp(line, "--") == 0)	/* "-- ", the signature's start */
		return true;
	if (strstr(l, "-----Original Message-----") || strstr(l, "----- Original Message -----") ||
	    strstr(l, "-----Urspr\xc3\xbcngliche Nachricht-----") ||
	    strstr(l, "---------- Forwarded message") || starts_with_ci(l, "Begin forwarded message"))
		return true;
	/* Outlook: a rule of underscores, then From: / Sent: */
	if (strncmp(l, "________________", 16) == 0 &&
	    (starts_with_ci(skip_blanks(next), "From:") || starts_with_ci(skip_blanks(next), "Von:")))
		return true;
	if ((starts_with_ci(l, "From:") || starts_with_ci(l, "Von:")) &&
	    (starts_with_ci(skip_blanks(next), "Sent:") || starts_with_ci(skip_blanks(next), "Date:") ||
	     starts_with_ci(skip_blanks(next), "Gesendet:") ||
	     starts_with_ci(skip_blanks(next), "To:")) &&
	    (starts_with_ci(skip_blanks(third), "To:") || starts_with_ci(skip_blanks(third), "Sent:") ||
	     starts_with_ci(skip_blanks(third), "Subject:") ||
	     starts_with_ci(skip_blanks(third), "An:") || starts_with_ci(skip_blanks(third), "Date:")))
		return true;
	return attribution(l, skip_blanks(next));
}

char *mail_trim_quoted(struct arena *a, const char *text)
{
	if (!text)
		return NULL;
	/* the part above the first separator */
	size_t cut = strlen(text);
	for (const char *p = text; *p;) {
		if (separator(p)) {
			cut = (size_t)(p - text);
			break;
		}
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	char *s = arena_strndup(a, text, cut);
	if (!s)
		return NULL;
	/* without the trailing lines that are blank or quoted */
	size_t end = strlen(s);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && s[start - 1] != '\n')
			start--;
		const char *l = skip_blanks(s + start);
		if (l != s + end && *l != '>')
			break;
		end = start > 0 ? start - 1 : 0;
	}
	s[end] = '\0';
	/* leading blank lines */
	char *b = s;
	for (;;) {
		const char *l = skip_blanks(b);
		if (*l == '\n')
			b = (char *)l + 1;
		else
			break;
	}
	/* trailing blanks */
	size_t n = strlen(b);
	while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\n' || b[n - 1] == '\t'))
		b[--n] = '\0';
	if (!*b) {
		/* a reply that was all quote: keep what there is, trimmed */
		char *w = arena_strdup(a, text);
		if (!w)
			return NULL;
		size_t m = strlen(w);
		while (m > 0 && (w[m - 1] == ' ' || w[m - 1] == '\n'))
			w[--m] = '\0';
		return w;
	}
	return b;
}

int64_t mail_subject_ticket(const char *subject)
{
	if (!subject)
		return 0;
	for (const char *p = strstr(subject, "[T-"); p; p = strstr(p + 1, "[T-")) {
		const char *d = p + 3;
		size_t n = 0;
		while (isdigit((unsigned char)d[n]) && n < 12)
			n++;
		if (n >= 1 && d[n] == ']')
			return strtoll(d, NULL, 10);
	}
	return 0;
}

char *mail_address_normal(struct arena *a, const char *addr)
{
	if (!addr)
		return NULL;
	size_t n = strlen(addr);
	const char *at = strrchr(addr, '@');
	if (n == 0 || n > 254 || !at || at == addr || !at[1] || strchr(at + 1, '.') == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)addr[i] <= ' ' || addr[i] == '<' || addr[i] == '>' ||
		    addr[i] == ',' || addr[i] == '"')
			return NULL;
	char *s = arena_strdup(a, addr);
	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}
