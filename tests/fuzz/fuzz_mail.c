/*
 * fuzz_mail.c - libFuzzer harness for the mail parser (mail/parse.c, with
 * GMime) and the text functions behind it (mail/text.c): whatever a
 * stranger mails us must neither crash nor leak, and what comes out must
 * be what inbound.c relies on.
 *
 * Checked: a refusal has a reason; every string is well-formed UTF-8
 * (the text, subject, names, reasons); an address is lower case with an
 * "@"; ids carry no angle brackets; attachments have a type and bytes;
 * a bounce names failed recipients that are addresses; the input read as
 * HTML becomes UTF-8 text with no tag left; trimming the quoted history
 * never grows the text.
 */
#include "core/arena.h"
#include "core/result.h"
#include "core/utf8.h"
#include "mail/mail.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void text_ok(const char *s)
{
	if (s && !utf8_valid(s))
		abort();
}

static void address_ok(const char *s)
{
	if (!s)
		return;
	text_ok(s);
	if (!strchr(s, '@'))
		abort();
	for (const char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			abort();
}

static void id_ok(const char *s)
{
	if (s && (strchr(s, '<') || strchr(s, '>') || !*s))
		abort();
	text_ok(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		mail_init();
		ready = 1;
	}
	if (size > 1024 * 1024)
		return 0;
	struct arena a;
	arena_init(&a);
	struct mail_msg m;
	const char *why = NULL;
	int rc = mail_parse(&a, (const char *)data, size, &m, &why);
	if (rc == RC_INVALID && !why)
		abort();
	if (rc == RC_OK) {
		text_ok(m.text);
		text_ok(m.subject);
		text_ok(m.from_name);
		text_ok(m.auto_reason);
		text_ok(m.failure);
		address_ok(m.from_address);
		address_ok(m.to_address);
		id_ok(m.message_id);
		id_ok(m.in_reply_to);
		for (const char **r = m.references; r && *r; r++)
			id_ok(*r);
		for (const char **f = m.failed; f && *f; f++)
			address_ok(*f);
		if (m.automatic == MAIL_BOUNCE && !m.auto_reason)
			abort();
		for (size_t i = 0; i < m.nattachments; i++) {
			if (!m.attachments[i].content_type || (!m.attachments[i].data &&
							      m.attachments[i].len))
				abort();
			text_ok(m.attachments[i].filename);
		}
		char *trimmed = mail_trim_quoted(&a, m.text);
		if (!trimmed || strlen(trimmed) > strlen(m.text))
			abort();
		text_ok(trimmed);
		(void)mail_subject_ticket(m.subject);
	}
	/* the same bytes as HTML */
	char *t = mail_html_to_text(&a, (const char *)data, size);
	if (t) {
		text_ok(t);
		char *cut = mail_truncate(&a, t, 100);
		text_ok(cut);
	}
	arena_release(&a);
	return 0;
}
