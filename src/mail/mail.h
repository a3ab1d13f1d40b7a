/*
 * mail.h - e-mail in and out.
 *
 * In: a message (from `servio mail-in` or the IMAP poller) is parsed
 * (parse.c, GMime), reduced to the client's own words (text.c), and taken
 * (inbound.c): threaded to its ticket as a reply, made a new ticket, held
 * for triage, or recorded as an auto-reply, a bounce, a duplicate or a
 * rejection. Every message leaves a row in inbound_messages saying what
 * became of it and why.
 *
 * Out: changes the client should hear of (a ticket opened by mail or the
 * portal, a public note, a resolution, a quote sent, an invoice issued)
 * are seen in their transaction by an observer of the engine's events
 * (outbound.c), which renders the event's template (templates.c) into a
 * row of outbound_messages and queues a job that sends it over SMTP
 * (libcurl), retried with backoff; each try is logged.
 */
#ifndef SERVIO_MAIL_H
#define SERVIO_MAIL_H

#include "resource/resource.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct db;

/* The largest message taken (bigger ones are rejected). */
#define MAIL_MAX_BYTES (25u * 1024 * 1024)
/* The longest text kept of a message (a ticket's description, a note). */
#define MAIL_MAX_TEXT 50000

/* text.c: pure text work, unit tested ------------------------------------- */

/*
 * s (len bytes, any bytes) as well-formed UTF-8 text: invalid sequences
 * become U+FFFD, CR LF and lone CR become LF, other control characters
 * but tab go. Arena-owned.
 */
char *mail_clean_text(struct arena *a, const char *s, size_t len);
/*
 * HTML as plain text, safely: tags dropped (script, style, head and their
 * content with them), entities decoded, blocks and <br> as line breaks,
 * list items as "- ", <blockquote> lines prefixed "> ". Never HTML out.
 */
char *mail_html_to_text(struct arena *a, const char *html, size_t len);
/*
 * The new part of a reply: cut at the first reply separator ("On … wrote:",
 * "-----Original Message-----", an Outlook "From:/Sent:" block, a "-- "
 * signature line) and without a trailing block of "> " quotes; surrounding
 * blank lines removed. When nothing would be left, the whole text.
 */
char *mail_trim_quoted(struct arena *a, const char *text);
/* At most max bytes of s, cut at a character boundary, "[…]" marking a cut. */
char *mail_truncate(struct arena *a, const char *s, size_t max);
/* The ticket number of a subject's "[T-000123]" tag, or 0. */
int64_t mail_subject_ticket(const char *subject);
/* Lower-cased copy of an address; NULL when it is not "local@domain". */
char *mail_address_normal(struct arena *a, const char *addr);

/* parse.c ----------------------------------------------------------------- */

struct mail_attachment {
	const char *filename;		/* as sent (may be NULL) */
	const char *content_type;	/* "image/png" */
	const unsigned char *data;
	size_t len;
};

enum mail_auto {
	MAIL_HUMAN,		/* written by a person */
	MAIL_AUTO_REPLY,	/* RFC 3834 Auto-Submitted, Precedence bulk/junk/list, … */
	MAIL_BOUNCE,		/* a delivery status report (multipart/report) */
};

struct mail_msg {
	const char *message_id;		/* without <>; may be NULL */
	const char *in_reply_to;
	const char **references;	/* NULL-terminated, oldest first */
	const char *from_address;	/* normalised (lower case); NULL when none */
	const char *from_name;
	const char *to_address;
	const char *subject;		/* decoded, may be "" */
	int64_t date;			/* Unix seconds, 0 when none */
	const char *text;		/* the whole text body, UTF-8 */
	const char *html;		/* HTML body's own text when that was all there was */
	enum mail_auto automatic;
	const char *auto_reason;	/* why automatic ("Auto-Submitted: auto-replied") */
	/* a bounce: the addresses that failed, NULL-terminated, and why */
	const char **failed;
	const char *failure;
	const char *bounced_message_id;	/* the Message-ID of the mail that bounced */
	struct mail_attachment *attachments;
	size_t nattachments;
};

/* Once per process, before any parse or compose (mail_startup does it). */
void mail_init(void);
/*
 * At start-up, before any thread: libcurl's and GMime's global state, and
 * the observer that turns events into mail (outbound.c).
 */
void mail_startup(void);

/*
 * Parses raw (len bytes) into *m, everything arena-owned. Returns RC_OK, or
 * RC_INVALID with a reason in *why when it is no message at all.
 */
int mail_parse(struct arena *a, const char *raw, size_t len, struct mail_msg *m,
	       const char **why);

/* inbound.c ---------------------------------------------------------------- */

extern const struct resource inbound_message_resource;

struct mail_taken {
	int64_t id;		/* the inbound_messages row */
	const char *outcome;	/* "ticket", "reply", "triage", … */
	const char *reason;	/* why, a sentence */
	int64_t ticket_id;	/* 0 when none */
};

/*
 * Takes one raw message that arrived `via` ("pipe", "imap"); raw NULL: one
 * too large to read, recorded as rejected. Parses,
 * threads, makes the ticket or the note, records it. Returns RC_OK with
 * *out (arena-owned strings), or a negative result when the database
 * failed (nothing was recorded: try again later).
 */
int mail_take(struct db *db, struct arena *a, const char *raw, size_t len, const char *via,
	      struct mail_taken *out);

/* outbound.c --------------------------------------------------------------- */

extern const struct resource outbound_message_resource;
extern const struct resource mail_template_resource;

/* Registers the engine observer that turns events into mail (at start-up). */
void mail_observe(void);

/*
 * Queues a mail to a member of staff (a notification, src/notify/): the
 * template (a "notify_…" one) rendered with vars (borrowed; the firm's
 * placeholders are added to it), automatic, in the caller's transaction.
 * Nothing is queued when outgoing mail is not set up. RC_OK with *queued
 * saying whether it was, or a failure.
 */
int mail_queue_staff(struct resource_ctx *ctx, const char *template, const char *to_address,
		     const char *to_name, json_t *vars, bool *queued);

/* Whether outgoing mail is set up (a server and a From address), in *on. RC_OK or a failure. */
int mail_outgoing(struct resource_ctx *ctx, bool *on);

/*
 * Queues a mail to a client contact outside a ticket's thread (a portal
 * invitation, a password reset) at to_address: like mail_queue_staff, with
 * the contact's placeholders; the value of the placeholder secret (or
 * NULL) is sent but shown hidden wherever staff read the mail. Nothing
 * goes to a bounced address.
 */
int mail_queue_contact(struct resource_ctx *ctx, const char *template, int64_t contact_id,
		       const char *to_address, json_t *vars, const char *secret, bool *queued);
/*
 * Our Message-ID of a ticket's thread (its first message when mail opened
 * it), without <>; arena-owned.
 */
const char *mail_ticket_thread_id(struct resource_ctx *ctx, int64_t ticket_id,
				  const char *domain);

/*
 * One try to deliver outbound message id: a line of its delivery log (ok,
 * detail) and patch (its status, attempts, …) applied, in the caller's
 * transaction. RC_OK or a failure. The sender's, and the demo's record of
 * the mail its firm sent.
 */
int mail_record_attempt(struct resource_ctx *ctx, int64_t id, bool ok, const char *detail,
			const json_t *patch);

/*
 * Sends a test message to `to` now, with the settings' server: 1 when the
 * server took it, 0 when not (detail says why), or a negative result.
 */
int mail_send_test(struct resource_ctx *ctx, const char *to, char *detail, size_t len);

/* The jobs "mail-send" and "mail-poll" are declared in jobs/jobs.h. */

#endif
