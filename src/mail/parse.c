/*
 * parse.c - one RFC 5322 message into struct mail_msg, with GMime 3: the
 * headers decoded (RFC 2047), every text part converted to UTF-8 from its
 * charset (windows-1252 when it names none or a wrong one), the body as
 * text (text/plain preferred, else the HTML reduced by text.c), the parts
 * that are files as attachments, and what marks it automatic: RFC 3834
 * Auto-Submitted, Precedence bulk/junk/list, auto-responder headers, an
 * empty return path, and delivery status reports (bounces, whose failed
 * recipients and original Message-ID are read from the report).
 */
#include "mail.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/result.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	g_mime_init();
}

void mail_init(void)
{
	pthread_once(&once, init_once);
}

struct walk {
	struct arena *a;
	struct mail_msg *m;
	struct buf plain;	/* text/plain parts that are no attachments */
	struct buf html;	/* text/html likewise */
	struct mail_attachment *att;
	size_t natt, capatt;
	const char **failed;
	size_t nfailed;
	const char *status;	/* a failed recipient's Status / Diagnostic-Code */
	bool report;		/* multipart/report: delivery-status */
	bool failed_memory;
};

/* A GMime string into the arena, as clean UTF-8. */
static const char *keep(struct arena *a, const char *s)
{
	return s ? mail_clean_text(a, s, strlen(s)) : NULL;
}

/* The decoded bytes of a part into out. */
static int part_bytes(GMimePart *part, struct buf *out)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	if (!w)
		return 0;
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	int rc = buf_add(out, bytes->data, bytes->len);
	g_object_unref(mem);
	return rc;
}

/*
 * A text part as UTF-8: GMime converts from the named charset; when the
 * result is still no UTF-8 (no charset, a wrong one) the bytes are read
 * as windows-1252, which every byte is.
 */
static char *part_text(struct arena *a, GMimePart *part)
{
	struct buf raw;
	buf_init(&raw, 0);
	if (part_bytes(part, &raw) < 0 || raw.failed) {
		buf_release(&raw);
		return NULL;
	}
	const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	char *text = NULL;
	gsize n = 0;
	if (charset && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "us-ascii") != 0) {
		const char *iconv_name = g_mime_charset_iconv_name(charset);
		text = g_convert(raw.data ? raw.data : "", (gssize)raw.len, "UTF-8", iconv_name, NULL,
				 &n, NULL);
	}
	if (!text && !g_utf8_validate(raw.data ? raw.data : "", (gssize)raw.len, NULL))
		text = g_convert(raw.data ? raw.data : "", (gssize)raw.len, "UTF-8", "WINDOWS-1252",
				 NULL, &n, NULL);
	char *out;
	if (text)
		out = mail_clean_text(a, text, n);
	else
		out = mail_clean_text(a, raw.data ? raw.data : "", raw.len);
	g_free(text);
	buf_release(&raw);
	return out;
}

static void add_attachment(struct walk *w, GMimeObject *obj, const char *filename,
			   const unsigned char *data, size_t len)
{
	if (w->natt == w->capatt) {
		size_t cap = w->capatt ? w->capatt * 2 : 4;
		struct mail_attachment *n = arena_alloc(w->a, cap * sizeof(*n));
		if (!n) {
			w->failed_memory = true;
			return;
		}
		if (w->natt)
			memcpy(n, w->att, w->natt * sizeof(*n));
		w->att = n;
		w->capatt = cap;
	}
	char *type = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj));
	struct mail_attachment *at = &w->att[w->natt++];
	at->filename = keep(w->a, filename);
	at->content_type = arena_strdup(w->a, type ? type : "application/octet-stream");
	for (char *p = (char *)at->content_type; p && *p; p++)
		*p = (char)g_ascii_tolower(*p);
	unsigned char *copy = arena_alloc(w->a, len ? len : 1);
	if (!copy) {
		w->failed_memory = true;
		w->natt--;
	} else {
		memcpy(copy, data, len);
		at->data = copy;
		at->len = len;
	}
	g_free(type);
}

/* "Final-Recipient: rfc822; a@b" lines of a delivery-status report. */
static void read_delivery_status(struct walk *w, const char *report)
{
	char *failed_to = NULL;
	bool failed = false;
	const char *p = report;
	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = arena_strndup(w->a, p, n);
		p += n + (p[n] == '\n');
		if (!line)
			return;
		if (strncasecmp(line, "Final-Recipient:", 16) == 0 ||
		    (strncasecmp(line, "Original-Recipient:", 19) == 0 && !failed_to)) {
			const char *v = strchr(line, ';');
			v = v ? v + 1 : strchr(line, ':') + 1;
			while (*v == ' ')
				v++;
			failed_to = mail_address_normal(w->a, g_strstrip((char *)v));
		} else if (strncasecmp(line, "Action:", 7) == 0) {
			failed = strstr(line + 7, "failed") != NULL;
		} else if (strncasecmp(line, "Status:", 7) == 0 && !w->status) {
			w->status = arena_strdup(w->a, g_strstrip(line + 7));
		} else if (strncasecmp(line, "Diagnostic-Code:", 16) == 0) {
			w->status = arena_printf(w->a, "%s%s%s", w->status ? w->status : "",
						 w->status ? " " : "", g_strstrip(line + 16));
		}
		/* a blank line ends one recipient's fields */
		if (line[0] == '\0' || line[0] == '\r') {
			if (failed && failed_to && w->nfailed < 16) {
				const char **f = arena_alloc(w->a, (w->nfailed + 2) * sizeof(*f));
				if (!f)
					return;
				if (w->nfailed)
					memcpy(f, w->failed, w->nfailed * sizeof(*f));
				f[w->nfailed++] = failed_to;
				f[w->nfailed] = NULL;
				w->failed = f;
			}
			failed = false;
			failed_to = NULL;
		}
	}
	if (failed && failed_to && w->nfailed < 16) {
		const char **f = arena_alloc(w->a, (w->nfailed + 2) * sizeof(*f));
		if (!f)
			return;
		if (w->nfailed)
			memcpy(f, w->failed, w->nfailed * sizeof(*f));
		f[w->nfailed++] = failed_to;
		f[w->nfailed] = NULL;
		w->failed = f;
	}
}

/* The Message-ID line of returned headers (text/rfc822-headers). */
static const char *returned_message_id(struct arena *a, const char *headers)
{
	for (const char *p = headers; *p;) {
		size_t n = strcspn(p, "\n");
		if (strncasecmp(p, "Message-ID:", 11) == 0) {
			char *v = arena_strndup(a, p + 11, n - 11);
			if (!v)
				return NULL;
			g_strstrip(v);
			if (*v == '<')
				v++;
			char *end = strchr(v, '>');
			if (end)
				*end = '\0';
			return *v ? v : NULL;
		}
		p += n + (p[n] == '\n');
	}
	return NULL;
}

static void visit(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct walk *w = data;
	if (w->failed_memory)
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	if (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
	    g_mime_content_type_is_type(ct, "message", "global-delivery-status")) {
		/* GMime may read the report's fields as a message of headers: back to text */
		char *t = NULL;
		if (GMIME_IS_MESSAGE_PART(part)) {
			GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
			char *s = inner ? g_mime_object_to_string(GMIME_OBJECT(inner), NULL) : NULL;
			t = s ? mail_clean_text(w->a, s, strlen(s)) : NULL;
			g_free(s);
		} else if (GMIME_IS_PART(part)) {
			t = part_text(w->a, GMIME_PART(part));
		}
		if (t)
			read_delivery_status(w, t);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		if (w->report) {
			/* the returned message of a bounce: which of ours it was */
			if (inner && !w->m->bounced_message_id)
				w->m->bounced_message_id =
					keep(w->a, g_mime_message_get_message_id(inner));
			return;
		}
		/* a forwarded message: kept whole, as an .eml file */
		if (!inner)
			return;
		char *s = g_mime_object_to_string(GMIME_OBJECT(inner), NULL);
		if (!s)
			return;
		const char *subject = g_mime_message_get_subject(inner);
		char *name = g_strdup_printf("%s.eml", subject && *subject ? subject : "message");
		for (char *p = name; *p; p++)
			if (*p == '/' || *p == '\\')
				*p = '_';
		add_attachment(w, part, name, (const unsigned char *)s, strlen(s));
		g_free(name);
		g_free(s);
		return;
	}
	if (!GMIME_IS_PART(part))
		return;
	GMimePart *p = GMIME_PART(part);
	if (w->report && (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
			  g_mime_content_type_is_type(ct, "message", "rfc822-headers"))) {
		char *t = part_text(w->a, p);
		if (t && !w->m->bounced_message_id)
			w->m->bounced_message_id = returned_message_id(w->a, t);
		return;
	}
	const char *filename = g_mime_part_get_filename(p);
	bool attachment = g_mime_part_is_attachment(p) || filename;
	if (!attachment && g_mime_content_type_is_type(ct, "text", "plain")) {
		char *t = part_text(w->a, p);
		if (t) {
			if (w->plain.len)
				buf_addstr(&w->plain, "\n\n");
			buf_addstr(&w->plain, t);
		}
		return;
	}
	if (!attachment && g_mime_content_type_is_type(ct, "text", "html")) {
		char *t = part_text(w->a, p);
		if (t) {
			if (w->html.len)
				buf_addstr(&w->html, "\n");
			buf_addstr(&w->html, t);
		}
		return;
	}
	if (!attachment && g_mime_content_type_is_type(ct, "text", "*"))
		return;	/* text/calendar inline, text/enriched: not the body */
	struct buf bytes;
	buf_init(&bytes, MAIL_MAX_BYTES);
	if (part_bytes(p, &bytes) == 0 && !bytes.failed)
		add_attachment(w, part, filename, (const unsigned char *)(bytes.data ? bytes.data : ""),
			       bytes.len);
	buf_release(&bytes);
	(void)parent;
}

/* The first mailbox of an address list (groups opened). */
static InternetAddressMailbox *first_mailbox(InternetAddressList *list)
{
	if (!list)
		return NULL;
	for (int i = 0; i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			return INTERNET_ADDRESS_MAILBOX(ia);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressMailbox *m =
				first_mailbox(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)));
			if (m)
				return m;
		}
	}
	return NULL;
}

static const char *header(GMimeMessage *msg, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(msg), name);
}

/* Why the message is automatic (RFC 3834 and the headers responders use), or NULL. */
static const char *automatic(struct arena *a, GMimeMessage *msg)
{
	const char *v = header(msg, "Auto-Submitted");
	if (v) {
		char *s = arena_strdup(a, v);
		if (s && strcasecmp(g_strstrip(s), "no") != 0)
			return arena_printf(a, "Auto-Submitted: %s", s);
	}
	v = header(msg, "Precedence");
	if (v) {
		char *s = arena_strdup(a, v);
		if (s) {
			g_strstrip(s);
			if (!strcasecmp(s, "bulk") || !strcasecmp(s, "junk") || !strcasecmp(s, "list"))
				return arena_printf(a, "Precedence: %s", s);
		}
	}
	static const char *const responders[] = { "X-Autoreply", "X-Autorespond", "X-Autoresponse",
						  NULL };
	for (const char *const *h = responders; *h; h++)
		if (header(msg, *h))
			return arena_printf(a, "%s header", *h);
	v = header(msg, "Return-Path");
	if (v) {
		char *s = arena_strdup(a, v);
		if (s && strcmp(g_strstrip(s), "<>") == 0)
			return "an empty return path (<>): sent by a mail system, not a person";
	}
	return NULL;
}

static int64_t message_date(GMimeMessage *msg)
{
	GDateTime *d = g_mime_message_get_date(msg);
	return d ? (int64_t)g_date_time_to_unix(d) : 0;
}

static const char *bare_id(struct arena *a, const char *id)
{
	if (!id)
		return NULL;
	char *s = mail_clean_text(a, id, strlen(id));
	if (!s)
		return NULL;
	g_strstrip(s);
	if (*s == '<')
		s++;
	size_t n = strlen(s);
	if (n && s[n - 1] == '>')
		s[n - 1] = '\0';
	/* a msg-id is id-left@id-right: no brackets, blanks or controls inside */
	if (!*s || strlen(s) > 500 || strpbrk(s, "<> \t\n\"(),;:\\[]"))
		return NULL;
	return s;
}

/* References (and In-Reply-To), oldest first, at most 50. */
static const char **references(struct arena *a, GMimeMessage *msg)
{
	const char *v = header(msg, "References");
	GMimeReferences *refs = v ? g_mime_references_parse(NULL, v) : NULL;
	int n = refs ? g_mime_references_length(refs) : 0;
	int first = n > 50 ? n - 50 : 0;
	const char **out = arena_alloc(a, (size_t)(n - first + 1) * sizeof(*out));
	if (!out) {
		if (refs)
			g_mime_references_free(refs);
		return NULL;
	}
	size_t k = 0;
	for (int i = first; i < n; i++) {
		const char *id = bare_id(a, g_mime_references_get_message_id(refs, i));
		if (id)
			out[k++] = id;
	}
	out[k] = NULL;
	if (refs)
		g_mime_references_free(refs);
	return out;
}

static const char *in_reply_to(struct arena *a, GMimeMessage *msg)
{
	const char *v = header(msg, "In-Reply-To");
	if (!v)
		return NULL;
	GMimeReferences *refs = g_mime_references_parse(NULL, v);
	const char *id = NULL;
	if (refs && g_mime_references_length(refs) > 0)
		id = bare_id(a, g_mime_references_get_message_id(refs, 0));
	if (refs)
		g_mime_references_free(refs);
	return id;
}

int mail_parse(struct arena *a, const char *raw, size_t len, struct mail_msg *m, const char **why)
{
	mail_init();
	memset(m, 0, sizeof(*m));
	*why = NULL;
	if (len == 0) {
		*why = "the message is empty";
		return RC_INVALID;
	}
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeParserOptions *opts = g_mime_parser_options_new();
	static const char *fallback[] = { "UTF-8", "WINDOWS-1252", NULL };
	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	g_object_unref(stream);
	if (!msg) {
		g_mime_parser_options_free(opts);
		*why = "it is not an RFC 5322 message";
		return RC_INVALID;
	}
	int rc = RC_OK;
	m->message_id = bare_id(a, g_mime_message_get_message_id(msg));
	m->in_reply_to = in_reply_to(a, msg);
	m->references = references(a, msg);
	InternetAddressMailbox *from = first_mailbox(g_mime_message_get_from(msg));
	if (!from)
		from = first_mailbox(g_mime_message_get_sender(msg));
	if (from) {
		m->from_address = mail_address_normal(a, internet_address_mailbox_get_addr(from));
		const char *name = internet_address_get_name(INTERNET_ADDRESS(from));
		m->from_name = name && *name ? keep(a, name) : NULL;
	}
	InternetAddressMailbox *to = first_mailbox(g_mime_message_get_to(msg));
	if (to)
		m->to_address = mail_address_normal(a, internet_address_mailbox_get_addr(to));
	const char *subject = g_mime_message_get_subject(msg);
	m->subject = keep(a, subject ? subject : "");
	m->date = message_date(msg);

	struct walk w = { .a = a, .m = m };
	buf_init(&w.plain, MAIL_MAX_BYTES);
	buf_init(&w.html, MAIL_MAX_BYTES);
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	GMimeContentType *ct = body ? g_mime_object_get_content_type(body) : NULL;
	if (ct && g_mime_content_type_is_type(ct, "multipart", "report")) {
		const char *type = g_mime_object_get_content_type_parameter(body, "report-type");
		if (type && (!strcasecmp(type, "delivery-status") ||
			     !strcasecmp(type, "global-delivery-status")))
			w.report = true;
		else if (type && !strcasecmp(type, "disposition-notification")) {
			m->automatic = MAIL_AUTO_REPLY;
			m->auto_reason = "a read receipt (multipart/report; disposition-notification)";
		}
	}
	g_mime_message_foreach(msg, visit, &w);
	if (w.failed_memory || w.plain.failed || w.html.failed) {
		rc = RC_ERROR;
		goto out;
	}
	if (w.plain.len)
		m->text = arena_strdup(a, buf_str(&w.plain));
	else if (w.html.len)
		m->text = mail_html_to_text(a, w.html.data, w.html.len);
	if (!m->text)
		m->text = "";
	m->attachments = w.att;
	m->nattachments = w.natt;
	if (w.report) {
		m->automatic = MAIL_BOUNCE;
		m->auto_reason = "a delivery status report (multipart/report)";
		m->failed = w.failed;
		m->failure = w.status;
	} else if (m->automatic == MAIL_HUMAN) {
		const char *reason = automatic(a, msg);
		if (reason) {
			m->automatic = MAIL_AUTO_REPLY;
			m->auto_reason = reason;
		}
	}
	if (!m->from_address && m->automatic == MAIL_HUMAN && !m->message_id && !*m->subject &&
	    m->text[strspn(m->text, " \t\n")] == '\0' && m->nattachments == 0) {
		*why = "it is not an RFC 5322 message (no sender, subject or body)";
		rc = RC_INVALID;
	}
out:
	buf_release(&w.plain);
	buf_release(&w.html);
	g_object_unref(msg);
	g_mime_parser_options_free(opts);
	return rc;
}
