/*
 * test_mail.c - src/mail/text.c and parse.c: text as UTF-8 whatever came
 * in, HTML as safe text, the quoted history of replies cut off, the
 * subject tag, addresses; and messages parsed with GMime: headers,
 * charsets, multipart bodies, attachments, and what makes a message
 * automatic (RFC 3834, Precedence, read receipts, bounces with their
 * failed recipients and the Message-ID that bounced).
 */
#include "core/arena.h"
#include "core/result.h"
#include "mail/mail.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static struct arena A;

static int setup(void **state)
{
	arena_init(&A);
	return 0;
}

static int teardown(void **state)
{
	arena_release(&A);
	return 0;
}

/* text.c -------------------------------------------------------------------- */

static void clean_text_repairs_bytes(void **state)
{
	assert_string_equal(mail_clean_text(&A, "a\r\nb\rc\n", 7), "a\nb\nc\n");
	/* a lone byte of Latin-1, an overlong slash, a surrogate, a NUL and a bell */
	const char bad[] = "caf\xe9 \xc0\xaf \xed\xa0\x80 x\0y\a!";
	assert_string_equal(mail_clean_text(&A, bad, sizeof(bad) - 1),
			    "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd xy!");
	assert_string_equal(mail_clean_text(&A, "\xf0\x9f\x98\x80 ok\tz", 9), "\xf0\x9f\x98\x80 ok\tz");
}

static void html_to_text_is_safe(void **state)
{
	const char *html = "<html><head><title>T</title><style>p{x:y}</style></head><body>"
			   "<script>alert('x')</script><p>Hello&nbsp;&amp; welcome,</p>"
			   "<div>line<br>two</div><ul><li>one</li><li>two</li></ul>"
			   "<a href=\"javascript:evil()\" onclick='bad()'>link</a> &#233;&#x20AC; &bogus;"
			   "<!-- <p>hidden</p> --><blockquote>quoted<br>more</blockquote>after</body>";
	char *t = mail_html_to_text(&A, html, strlen(html));
	assert_non_null(t);
	assert_string_equal(t, "Hello & welcome,\n\nline\ntwo\n- one\n- two\nlink \xc3\xa9\xe2\x82\xac "
			       "&bogus;\n> quoted\n> more\nafter");
	assert_null(strchr(t, '<'));
	/* unclosed things end the text, never read past it */
	assert_string_equal(mail_html_to_text(&A, "a<b", 3), "a");
	assert_string_equal(mail_html_to_text(&A, "<script>x", 9), "");
	assert_string_equal(mail_html_to_text(&A, "x&#99999999;y", 13), "x\xef\xbf\xbdy");
}

static void trim_quoted_history(void **state)
{
	assert_string_equal(mail_trim_quoted(&A, "Thanks!\n\nOn Mon, 1 Dec 2026 at 10:00, Bob <b@x.y> "
						 "wrote:\n> old\n> older\n"),
			    "Thanks!");
	/* the attribution wrapped over two lines (Gmail) */
	assert_string_equal(mail_trim_quoted(&A, "Yes.\n\nOn Mon, 1 Dec 2026 at 10:00 Support Team <s@"
						 "firm.example>\nwrote:\n> q\n"),
			    "Yes.");
	assert_string_equal(mail_trim_quoted(&A, "Fixed.\n-----Original Message-----\nFrom: x\n"),
			    "Fixed.");
	assert_string_equal(mail_trim_quoted(&A, "Top.\n\n________________________________\nFrom: A\n"
						 "Sent: today\nTo: B\nSubject: c\n\nold"),
			    "Top.");
	assert_string_equal(mail_trim_quoted(&A, "Hi\nFrom: Bob\nSent: Monday\nTo: Ann\n\nold"), "Hi");
	assert_string_equal(mail_trim_quoted(&A, "Danke\nAm 01.12.2026 um 10:00 schrieb Bob:\n> x"),
			    "Danke");
	assert_string_equal(mail_trim_quoted(&A, "Regards\n-- \nJane\nCEO"), "Regards");
	/* trailing quotes go, quotes in the middle stay */
	assert_string_equal(mail_trim_quoted(&A, "You said:\n> it broke\nIt is fixed.\n\n> more\n>\n"),
			    "You said:\n> it broke\nIt is fixed.");
	/* all quote: keep it rather than lose it */
	assert_string_equal(mail_trim_quoted(&A, "> only\n> quote\n"), "> only\n> quote");
	/* "On" in a sentence is no attribution */
	assert_string_equal(mail_trim_quoted(&A, "On Monday the printer broke.\nPlease come."),
			    "On Monday the printer broke.\nPlease come.");
	assert_string_equal(mail_trim_quoted(&A, ""), "");
}

static void subject_tags_and_addresses(void **state)
{
	assert_int_equal(mail_subject_ticket("Re: [T-000123] Printer"), 123);
	assert_int_equal(mail_subject_ticket("[T-7]"), 7);
	assert_int_equal(mail_subject_ticket("T-000123 no brackets"), 0);
	assert_int_equal(mail_subject_ticket("[T-] [T-12x] [T-000045]"), 45);
	assert_int_equal(mail_subject_ticket("[T-1234567890123]"), 0);
	assert_int_equal(mail_subject_ticket(NULL), 0);
	assert_string_equal(mail_address_normal(&A, "Jane.Doe@Example.COM"), "jane.doe@example.com");
	assert_null(mail_address_normal(&A, "no-at-sign"));
	assert_null(mail_address_normal(&A, "a@localhost"));
	assert_null(mail_address_normal(&A, "a b@c.d"));
	assert_null(mail_address_normal(&A, "@c.d"));
	char *t = mail_truncate(&A, "h\xc3\xa9llo world", 8);
	assert_true(strlen(t) <= 8 + 4);
	assert_non_null(strstr(t, "[\xe2\x80\xa6]"));
	assert_string_equal(mail_truncate(&A, "short", 10), "short");
}

/* parse.c -------------------------------------------------------------------- */

static struct mail_msg parse_ok(const char *raw)
{
	struct mail_msg m;
	const char *why;
	assert_int_equal(mail_parse(&A, raw, strlen(raw), &m, &why), RC_OK);
	return m;
}

static void parses_headers_and_charsets(void **state)
{
	struct mail_msg m = parse_ok(
		"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Example.DE>\r\n"
		"To: Support <support@firm.example>\r\n"
		"Subject: =?iso-8859-1?q?Dr=FCcker_kaputt?= [T-000042]\r\n"
		"Message-ID: <abc@example.de>\r\n"
		"In-Reply-To: <servio.t42.aa@firm.example>\r\n"
		"References: <first@example.de> <servio.t42.aa@firm.example>\r\n"
		"Date: Tue, 01 Dec 2026 10:00:00 +0100\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=iso-8859-15\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"Der Drucker druckt =A4-Zeichen nicht.\r\n");
	assert_string_equal(m.from_address, "juergen@example.de");
	assert_string_equal(m.from_name, "J\xc3\xbcrgen M\xc3\xbcller");
	assert_string_equal(m.to_address, "support@firm.example");
	assert_string_equal(m.subject, "Dr\xc3\xbc" "cker kaputt [T-000042]");
	assert_string_equal(m.message_id, "abc@example.de");
	assert_string_equal(m.in_reply_to, "servio.t42.aa@firm.example");
	assert_string_equal(m.references[0], "first@example.de");
	assert_string_equal(m.references[1], "servio.t42.aa@firm.example");
	assert_null(m.references[2]);
	assert_int_equal(m.date, 1796115600);
	assert_string_equal(m.text, "Der Drucker druckt \xe2\x82\xac-Zeichen nicht.\n");
	assert_int_equal(m.automatic, MAIL_HUMAN);
}

static void multipart_prefers_plain_and_keeps_files(void **state)
{
	struct mail_msg m = parse_ok(
		"From: a@b.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"X\"\r\n\r\n"
		"--X\r\nContent-Type: multipart/alternative; boundary=\"Y\"\r\n\r\n"
		"--Y\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain words\r\n"
		"--Y\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html words</p>\r\n"
		"--Y--\r\n"
		"--X\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"shot.png\"\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
		"--X--\r\n");
	assert_string_equal(m.text, "plain words");
	assert_int_equal(m.nattachments, 1);
	assert_string_equal(m.attachments[0].filename, "shot.png");
	assert_string_equal(m.attachments[0].content_type, "image/png");
	assert_int_equal(m.attachments[0].len, 8);
	assert_memory_equal(m.attachments[0].data, "\x89PNG\r\n\x1a\n", 8);
	/* HTML only: reduced to text */
	m = parse_ok("From: a@b.example\r\nSubject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
		     "<b>bold</b> <script>x()</script>move");
	assert_string_equal(m.text, "bold move");
}

static void automatic_mail_is_recognised(void **state)
{
	static const struct {
		const char *header;
		const char *reason;
	} cases[] = {
		{ "Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied" },
		{ "Precedence: bulk", "Precedence: bulk" },
		{ "Precedence: junk", "Precedence: junk" },
		{ "Precedence: list", "Precedence: list" },
		{ "X-Autoreply: yes", "X-Autoreply header" },
		{ "Return-Path: <>", "an empty return path" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char raw[300];
		snprintf(raw, sizeof(raw), "From: a@b.example\r\nSubject: Away\r\n%s\r\n\r\nout\r\n",
			 cases[i].header);
		struct mail_msg m = parse_ok(raw);
		assert_int_equal(m.automatic, MAIL_AUTO_REPLY);
		assert_non_null(strstr(m.auto_reason, cases[i].reason));
	}
	/* Auto-Submitted: no is a person */
	struct mail_msg m = parse_ok("From: a@b.example\r\nAuto-Submitted: no\r\n\r\nhi\r\n");
	assert_int_equal(m.automatic, MAIL_HUMAN);
	m = parse_ok("From: a@b.example\r\nContent-Type: multipart/report; "
		     "report-type=disposition-notification; boundary=R\r\n\r\n--R\r\n"
		     "Content-Type: text/plain\r\n\r\nread\r\n--R--\r\n");
	assert_int_equal(m.automatic, MAIL_AUTO_REPLY);
}

static void bounce_names_failed_recipients(void **state)
{
	struct mail_msg m = parse_ok(
		"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
		"--B\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
		"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
		"Reporting-MTA: dns; mx.example\r\n\r\n"
		"Final-Recipient: rfc822; Gone@Client.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
		"Final-Recipient: rfc822; fine@client.example\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
		"Message-ID: <servio.t9.abc@firm.example>\r\nSubject: x\r\n\r\n"
		"--B--\r\n");
	assert_int_equal(m.automatic, MAIL_BOUNCE);
	assert_non_null(m.failed);
	assert_string_equal(m.failed[0], "gone@client.example");
	assert_null(m.failed[1]);
	assert_non_null(strstr(m.failure, "5.1.1"));
	assert_string_equal(m.bounced_message_id, "servio.t9.abc@firm.example");
	/* the returned message whole (message/rfc822) */
	m = parse_ok("From: postmaster@mx.example\r\nMIME-Version: 1.0\r\n"
		     "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
		     "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
		     "Final-Recipient: rfc822;x@y.example\r\nAction: failed\r\nStatus: 5.0.0\r\n\r\n"
		     "--B\r\nContent-Type: message/rfc822\r\n\r\n"
		     "Message-ID: <ours@firm.example>\r\nSubject: s\r\n\r\nbody\r\n--B--\r\n");
	assert_string_equal(m.failed[0], "x@y.example");
	assert_string_equal(m.bounced_message_id, "ours@firm.example");
}

static void not_a_message(void **state)
{
	struct mail_msg m;
	const char *why;
	assert_int_equal(mail_parse(&A, "", 0, &m, &why), RC_INVALID);
	assert_non_null(strstr(why, "empty"));
	/* any text is a message to GMime; one with nothing in it is refused */
	assert_int_equal(mail_parse(&A, "\r\n\r\n", 4, &m, &why), RC_INVALID);
}

int main(void)
{
	mail_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(clean_text_repairs_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(html_to_text_is_safe, setup, teardown),
		cmocka_unit_test_setup_teardown(trim_quoted_history, setup, teardown),
		cmocka_unit_test_setup_teardown(subject_tags_and_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(parses_headers_and_charsets, setup, teardown),
		cmocka_unit_test_setup_teardown(multipart_prefers_plain_and_keeps_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(automatic_mail_is_recognised, setup, teardown),
		cmocka_unit_test_setup_teardown(bounce_names_failed_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(not_a_message, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
