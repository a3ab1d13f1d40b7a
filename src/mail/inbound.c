/*
 * inbound.c - what becomes of a message that came in, and its record.
 *
 * In order (the first that applies decides the outcome):
 *   rejected    too large, no message at all, or no sender address
 *   duplicate   its Message-ID was taken before
 *   bounce      a delivery status report: the failed addresses are marked
 *               on their contacts (no more mail goes there), the message
 *               of ours that bounced is marked
 *   auto_reply  RFC 3834 Auto-Submitted, Precedence bulk/junk/list, an
 *               auto-responder header, an empty return path, a read receipt
 *   triage      its sender sent more than the flood limit in the last hour
 *   reply       In-Reply-To/References name a message of a ticket's thread,
 *               or the subject's [T-000123] tag names a ticket of the
 *               sender's company: a note of the client's words (a resolved
 *               ticket reopens; a closed one gets a follow-up ticket)
 *   ticket      a new ticket (channel email) for the sender's contact's
 *               company, else the company whose email_domain is the sender's
 *   triage      an unknown sender: held until staff assign it or discard it
 * Automatic mail never opens a ticket and is never answered. Everything is
 * one transaction: a message is recorded with what it made, or not at all.
 */
#include "mail.h"

#include "auth/auth.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/blob.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "resource/audit.h"
#include "service/attachments.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const vias[] = { "pipe", "imap", NULL };
static const char *const outcomes[] = { "ticket", "reply", "triage", "auto_reply", "bounce",
					"duplicate", "rejected", NULL };
static const char *const triage_states[] = { "open", "assigned", "discarded", NULL };

static const struct field inbound_fields[] = {
	{ .name = "received_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When it reached us." },
	{ .name = "via", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER, .enum_values = vias,
	  .doc = "`pipe` (servio mail-in from the mail server) or `imap` (the poller)." },
	{ .name = "message_id", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .max = 1000,
	  .doc = "Its Message-ID, without the angle brackets." },
	{ .name = "in_reply_to", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 1000 },
	{ .name = "from_address", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .max = 254, .doc = "The sender's address, lower case." },
	{ .name = "from_name", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 1000 },
	{ .name = "to_address", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 254 },
	{ .name = "subject", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 100000 },
	{ .name = "sent_at", .type = FT_TIME, .flags = F_READ_ONLY, .doc = "Its Date header." },
	{ .name = "size", .type = FT_INT, .flags = F_READ_ONLY, .doc = "Bytes as received." },
	{ .name = "attachments", .type = FT_INT, .flags = F_READ_ONLY,
	  .doc = "How many files it carried." },
	{ .name = "body", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 100000,
	  .doc = "The sender's own words: as text, quoted history trimmed." },
	{ .name = "outcome", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .enum_values = outcomes,
	  .doc = "What became of it: `ticket` (opened one), `reply` (a note on one), `triage` "
		 "(held for staff), `auto_reply`, `bounce`, `duplicate`, `rejected`." },
	{ .name = "reason", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 4000,
	  .doc = "Why, in a sentence." },
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &ticket_resource, .doc = "The ticket it opened or went to." },
	{ .name = "note_id", .type = FT_INT, .flags = F_READ_ONLY, .min = 1,
	  .doc = "The note it made on that ticket." },
	{ .name = "contact_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &contact_resource, .doc = "The contact who sent it, when known." },
	{ .name = "company_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &company_resource },
	{ .name = "triage", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER,
	  .enum_values = triage_states,
	  .doc = "For held messages: `open` until staff `assign` or `discard` it." },
	{ .name = "raw_sha256", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 64,
	  .doc = "The message as received is kept under this hash: "
		 "`GET /inbound-messages/{id}/raw`." },
	{ .name = "handled_by_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &user_resource },
	{ .name = "handled_at", .type = FT_TIME, .flags = F_READ_ONLY },
	FIELD_END
};

static const struct audit_actor mail_actor = { .label = "e-mail" };

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Lookups ------------------------------------------------------------------ */

/* The ticket whose thread holds Message-ID id (ours or the client's), or 0. */
static int thread_of(struct db *db, const char *id, int64_t *ticket)
{
	struct db_stmt *st;
	*ticket = 0;
	int rc = db_run(db, &st, "SELECT ticket_id FROM outbound_messages WHERE message_id = ?"
			" AND ticket_id IS NOT NULL", "s", id);
	if (rc == RC_ROW) {
		*ticket = db_col_int(st, 0);
		db_done(st);
		return RC_OK;
	}
	if (rc != RC_DONE)
		return rc;
	rc = db_run(db, &st, "SELECT ticket_id FROM inbound_messages WHERE message_id = ?"
		    " AND ticket_id IS NOT NULL AND outcome IN ('ticket', 'reply', 'triage')"
		    " ORDER BY id LIMIT 1", "s", id);
	if (rc == RC_ROW) {
		*ticket = db_col_int(st, 0);
		db_done(st);
		return RC_OK;
	}
	if (rc != RC_DONE)
		return rc;
	/* a ticket's own thread id: servio.t<id>@… (mail_ticket_thread_id) */
	if (strncmp(id, "servio.t", 8) == 0) {
		char *end;
		long long t = strtoll(id + 8, &end, 10);
		if (t > 0 && *end == '@') {
			rc = db_run(db, &st, "SELECT id FROM tickets WHERE id = ?", "i", (int64_t)t);
			if (rc == RC_ROW) {
				*ticket = db_col_int(st, 0);
				db_done(st);
			} else if (rc != RC_DONE) {
				return rc;
			}
		}
	}
	return RC_OK;
}

/* The sender's contact in company (0 when none). */
static int contact_in(struct db *db, const char *address, int64_t company, int64_t *contact)
{
	struct db_stmt *st;
	*contact = 0;
	int rc = db_run(db, &st, "SELECT id FROM contacts WHERE lower(email) = ? AND company_id = ?"
			" AND archived_at IS NULL ORDER BY id LIMIT 1", "si", address, company);
	if (rc == RC_ROW) {
		*contact = db_col_int(st, 0);
		db_done(st);
		return RC_OK;
	}
	return rc == RC_DONE ? RC_OK : rc;
}

static const char *domain_of(const char *address)
{
	const char *at = strrchr(address, '@');
	return at ? at + 1 : "";
}

/* Whether the sender belongs to company: one of its contacts, or from its domain. */
static int belongs(struct db *db, const char *address, int64_t company, int64_t *contact,
		   bool *yes)
{
	int rc = contact_in(db, address, company, contact);
	if (rc != RC_OK)
		return rc;
	*yes = *contact > 0;
	if (*yes)
		return RC_OK;
	struct db_stmt *st;
	rc = db_run(db, &st, "SELECT 1 FROM companies WHERE id = ? AND email_domain = ?", "is",
		    company, domain_of(address));
	if (rc == RC_ROW) {
		*yes = true;
		db_done(st);
		return RC_OK;
	}
	return rc == RC_DONE ? RC_OK : rc;
}

/* Taking one message -------------------------------------------------------- */

struct take {
	struct arena *a;
	const char *raw_sha256;		/* where the message as received is kept, or NULL */
	const struct mail_msg *m;	/* NULL when it could not be parsed */
	const char *invalid;		/* why it is no message, when so */
	size_t size;
	const char *via;
	int64_t now;
	/* the record being made */
	json_t *row;
	struct mail_taken *out;
	struct resource_ctx ctx;
};

static void set_outcome(struct take *t, const char *outcome, const char *reason)
{
	json_object_set_new(t->row, "outcome", json_string(outcome));
	json_object_set_new(t->row, "reason", json_string(reason));
	if (strcmp(outcome, "triage") == 0)
		json_object_set_new(t->row, "triage", json_string("open"));
}

static void set_id(json_t *row, const char *name, int64_t id)
{
	json_object_set_new(row, name, id ? json_integer(id) : json_null());
}

/* The ticket's number ("T-000123") and a few members, for reasons and rules. */
static int ticket_row(struct take *t, int64_t id, json_t **ticket)
{
	struct resource_ctx c = t->ctx;
	c.parent_id = 0;
	return resource_get(&c, &ticket_resource, id, ticket);
}

/* A sentence naming the sender. */
static const char *sender(struct take *t)
{
	const struct mail_msg *m = t->m;
	return m->from_name ? arena_printf(t->a, "%s <%s>", m->from_name, m->from_address)
			    : m->from_address;
}

/* The text a ticket or a note gets: the words, attachments named when there are no words. */
static const char *words(struct take *t, bool name_sender)
{
	const struct mail_msg *m = t->m;
	const char *text = str(t->row, "body");
	if (!text || !*text)
		text = m->nattachments ? "(no text; see the attached files)" : "(no text)";
	if (name_sender)
		text = arena_printf(t->a, "From: %s\n\n%s", sender(t), text);
	return mail_truncate(t->a, text, MAIL_MAX_TEXT);
}

/* Makes a ticket for company (contact may be 0) from the message. */
static int open_ticket(struct take *t, int64_t company, int64_t contact, const char *preface,
		       int64_t *ticket, json_t **errors)
{
	const char *subject = str(t->row, "subject");
	if (!subject || !*subject)
		subject = "(no subject)";
	const char *text = words(t, contact == 0);
	if (preface)
		text = mail_truncate(t->a, arena_printf(t->a, "%s\n\n%s", preface, text), MAIL_MAX_TEXT);
	json_t *body = arena_json(t->a, json_pack("{s:s, s:s, s:s, s:I}", "subject",
						  mail_truncate(t->a, subject, 200), "description",
						  text, "channel", "email", "company_id",
						  (json_int_t)company));
	if (!body)
		return RC_ERROR;
	if (contact)
		json_object_set_new(body, "contact_id", json_integer(contact));
	struct resource_ctx c = t->ctx;
	c.parent_id = 0;
	json_t *out;
	int rc = resource_create_trusted(&c, &ticket_resource, body, &out, errors);
	if (rc == RC_OK)
		*ticket = num(out, "id");
	return rc;
}

/* A note of the client's words on ticket (reopening it when resolved). */
static int add_reply(struct take *t, const json_t *ticket, int64_t contact, int64_t *note,
		     bool *reopened, json_t **errors)
{
	int64_t id = num(ticket, "id");
	*reopened = false;
	if (strcmp(str(ticket, "status"), "resolved") == 0) {
		json_t *body = arena_json(t->a, json_pack("{s:s}", "reason",
							  "the client replied by e-mail"));
		json_t *out;
		struct resource_ctx c = t->ctx;
		c.parent_id = 0;
		int rc = body ? resource_act_trusted(&c, &ticket_resource, &ticket_reopen, id, body,
						     &out, errors)
			      : RC_ERROR;
		if (rc != RC_OK)
			return rc;
		*reopened = true;
	}
	json_t *body = arena_json(t->a, json_pack("{s:s, s:s}", "body", words(t, contact == 0),
						  "visibility", "public"));
	if (!body)
		return RC_ERROR;
	if (contact)
		json_object_set_new(body, "contact_id", json_integer(contact));
	struct resource_ctx c = t->ctx;
	c.parent_id = id;
	json_t *out;
	int rc = resource_create_trusted(&c, &ticket_note_resource, body, &out, errors);
	if (rc == RC_OK)
		*note = num(out, "id");
	return rc;
}

static const char *errors_text(struct take *t, const json_t *errors)
{
	const json_t *e = json_array_get(errors, 0);
	if (!e)
		return "the ticket could not be made";
	return arena_printf(t->a, "%s %s", str(e, "field") ? str(e, "field") : "",
			    str(e, "message") ? str(e, "message") : "");
}

/*
 * The message's files on the ticket (and note) it made: each kept that the
 * attachment rules allow; the others named in the reason, never a reason
 * to lose the message. Appends to *reason (arena).
 */
static int keep_files(struct resource_ctx *ctx, const struct mail_msg *m, int64_t ticket,
		      int64_t note, int64_t contact, const char **reason)
{
	if (!m || m->nattachments == 0)
		return RC_OK;
	struct resource_ctx c = *ctx;
	c.parent_id = 0;
	size_t kept = 0;
	const char *refused = "";
	for (size_t i = 0; i < m->nattachments; i++) {
		const struct mail_attachment *f = &m->attachments[i];
		const char *name = f->filename ? f->filename : "attachment";
		int64_t id;
		json_t *errors = NULL;
		int rc = attachment_store(&c, ticket, note, contact, name, f->content_type, f->data,
					  f->len, &id, &errors);
		if (rc == RC_OK) {
			kept++;
			continue;
		}
		if (rc != RC_INVALID)
			return rc;
		const json_t *e = json_array_get(errors, 0);
		refused = arena_printf(ctx->arena, "%s%s%s (%s)", refused, *refused ? ", " : "",
				       name, e && str(e, "message") ? str(e, "message") : "refused");
	}
	*reason = arena_printf(ctx->arena, "%s; %zu file%s kept%s%s", *reason, kept,
			       kept == 1 ? "" : "s", *refused ? "; refused: " : "", refused);
	return RC_OK;
}

/* The ticket a reply goes to: one merged away goes to the one it was merged into. */
static int follow_merges(struct take *t, int64_t id, json_t **ticket)
{
	for (int hops = 0; hops < 8; hops++) {
		int rc = ticket_row(t, id, ticket);
		if (rc != RC_OK)
			return rc;
		int64_t into = num(*ticket, "merged_into_id");
		if (!into)
			return RC_OK;
		id = into;
	}
	return RC_OK;
}

/* A message threaded to ticket id (how: why, for the record). */
static int take_reply(struct take *t, int64_t id, const char *how)
{
	json_t *ticket;
	int rc = follow_merges(t, id, &ticket);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_ERROR : rc;
	int64_t company = num(ticket, "company_id");
	const char *number = str(ticket, "number");
	const char *from = t->m->from_address;
	int64_t contact;
	bool yes;
	rc = belongs(t->ctx.db, from, company, &contact, &yes);
	if (rc != RC_OK)
		return rc;
	set_id(t->row, "company_id", company);
	set_id(t->row, "contact_id", contact);
	const char *status = str(ticket, "status");
	json_t *errors = NULL;
	if (strcmp(status, "closed") == 0 || strcmp(status, "cancelled") == 0) {
		int64_t made;
		rc = open_ticket(t, company, contact,
				 arena_printf(t->a, "Follow-up to %s, which was %s.", number, status),
				 &made, &errors);
		if (rc == RC_INVALID || rc == RC_CONFLICT) {
			set_outcome(t, "triage", arena_printf(t->a, "%s, which is %s; a follow-up "
						 "ticket could not be made: %s", how, status,
						 errors_text(t, errors)));
			return RC_OK;
		}
		if (rc != RC_OK)
			return rc;
		set_id(t->row, "ticket_id", made);
		const char *reason = arena_printf(t->a, "%s, which is %s: a follow-up ticket was "
						  "opened", how, status);
		if ((rc = keep_files(&t->ctx, t->m, made, 0, contact, &reason)) != RC_OK)
			return rc;
		set_outcome(t, "ticket", reason);
		return RC_OK;
	}
	int64_t note;
	bool reopened;
	rc = add_reply(t, ticket, contact, &note, &reopened, &errors);
	if (rc == RC_INVALID || rc == RC_CONFLICT) {
		set_outcome(t, "triage", arena_printf(t->a, "%s, but the note could not be added: %s",
						      how, errors_text(t, errors)));
		return RC_OK;
	}
	if (rc != RC_OK)
		return rc;
	set_id(t->row, "ticket_id", num(ticket, "id"));
	set_id(t->row, "note_id", note);
	const char *reason = arena_printf(t->a, "%s%s%s", how,
					  id != num(ticket, "id")
						  ? arena_printf(t->a, " (merged into %s)", number)
						  : "",
					  reopened ? "; it was resolved and is reopened" : "");
	if ((rc = keep_files(&t->ctx, t->m, num(ticket, "id"), note, contact, &reason)) != RC_OK)
		return rc;
	set_outcome(t, "reply", reason);
	return RC_OK;
}

/* A new conversation: the sender's company, or triage. */
static int take_new(struct take *t)
{
	const char *from = t->m->from_address;
	struct db *db = t->ctx.db;
	struct db_stmt *st;
	int64_t contact = 0, company = 0;
	int found = 0, rc;
	struct db_stmt *q = db_prepare(db, "SELECT id, company_id FROM contacts WHERE lower(email) = ?"
				       " AND archived_at IS NULL ORDER BY id LIMIT 20");
	if (!q)
		return RC_ERROR;
	db_bind_text(q, 1, from);
	while ((rc = db_step(q)) == RC_ROW) {
		int64_t c = db_col_int(q, 1);
		if (!found || c != company)
			found++;
		if (found == 1 && !contact) {
			contact = db_col_int(q, 0);
			company = c;
		}
	}
	db_done(q);
	if (rc != RC_DONE)
		return rc;
	const char *how;
	if (found > 1) {
		set_outcome(t, "triage", arena_printf(t->a, "%s is a contact of %d companies: "
					 "staff choose which one it is for", from, found));
		return RC_OK;
	}
	if (found == 1) {
		how = arena_printf(t->a, "%s is a contact", from);
	} else {
		rc = db_run(db, &st, "SELECT id FROM companies WHERE email_domain = ?"
			    " AND archived_at IS NULL ORDER BY id LIMIT 2", "s", domain_of(from));
		int n = 0;
		while (rc == RC_ROW) {
			company = db_col_int(st, 0);
			n++;
			rc = db_step(st);
		}
		if (n)
			db_done(st);
		if (rc != RC_DONE)
			return rc;
		if (n == 0) {
			set_outcome(t, "triage", arena_printf(t->a, "%s is no contact of ours and no "
						 "company has the e-mail domain %s: held for staff "
						 "to assign or discard", from, domain_of(from)));
			return RC_OK;
		}
		if (n > 1) {
			set_outcome(t, "triage", arena_printf(t->a, "several companies have the e-mail "
						 "domain %s: staff choose which one it is for",
						 domain_of(from)));
			return RC_OK;
		}
		how = arena_printf(t->a, "the sender's domain %s is a company's", domain_of(from));
	}
	set_id(t->row, "company_id", company);
	set_id(t->row, "contact_id", contact);
	int64_t ticket;
	json_t *errors = NULL;
	rc = open_ticket(t, company, contact, NULL, &ticket, &errors);
	if (rc == RC_INVALID || rc == RC_CONFLICT) {
		set_outcome(t, "triage", arena_printf(t->a, "%s, but the ticket could not be made: %s",
						      how, errors_text(t, errors)));
		return RC_OK;
	}
	if (rc != RC_OK)
		return rc;
	set_id(t->row, "ticket_id", ticket);
	const char *reason = arena_printf(t->a, "a new conversation; %s", how);
	if ((rc = keep_files(&t->ctx, t->m, ticket, 0, contact, &reason)) != RC_OK)
		return rc;
	set_outcome(t, "ticket", reason);
	return RC_OK;
}

/* The ticket the message's headers thread it to (0), and how. */
static int threaded(struct take *t, int64_t *ticket, const char **how)
{
	const struct mail_msg *m = t->m;
	*ticket = 0;
	const char *ids[52];
	size_t n = 0;
	if (m->in_reply_to)
		ids[n++] = m->in_reply_to;
	/* the newest reference first: the message it answers */
	size_t nrefs = 0;
	while (m->references && m->references[nrefs])
		nrefs++;
	for (size_t i = nrefs; i > 0 && n < 51; i--)
		ids[n++] = m->references[i - 1];
	for (size_t i = 0; i < n; i++) {
		int rc = thread_of(t->ctx.db, ids[i], ticket);
		if (rc != RC_OK)
			return rc;
		if (*ticket) {
			*how = arena_printf(t->a, "%s names <%s>, a message of the ticket's thread",
					    ids[i] == m->in_reply_to ? "In-Reply-To" : "References",
					    ids[i]);
			return RC_OK;
		}
	}
	return RC_OK;
}

static int decide(struct take *t)
{
	const struct mail_msg *m = t->m;
	struct db *db = t->ctx.db;
	struct db_stmt *st;
	int rc;
	if (!m) {
		set_outcome(t, "rejected", t->invalid);
		return RC_OK;
	}
	if (m->message_id) {
		rc = db_run(db, &st, "SELECT id, ticket_id, received_at FROM inbound_messages"
			    " WHERE message_id = ? AND outcome <> 'duplicate'", "s", m->message_id);
		if (rc == RC_ROW) {
			int64_t first = db_col_int(st, 0);
			if (!db_col_null(st, 1))
				set_id(t->row, "ticket_id", db_col_int(st, 1));
			const char *when = arena_strdup(t->a, db_col_text(st, 2));
			db_done(st);
			set_outcome(t, "duplicate", arena_printf(t->a, "the same Message-ID was taken "
						    "on %s (inbound message %lld)", when,
						    (long long)first));
			return RC_OK;
		}
		if (rc != RC_DONE)
			return rc;
	}
	if (m->automatic == MAIL_BOUNCE) {
		char at[TIME_RFC3339_LEN];
		time_format(t->now, at);
		struct buf who;
		buf_init(&who, 4096);
		for (const char **f = m->failed; f && *f; f++) {
			int64_t ids[20];
			int n = 0;
			struct db_stmt *q = db_prepare(db, "SELECT id FROM contacts WHERE lower(email) = ?"
						       " AND archived_at IS NULL LIMIT 20");
			if (!q) {
				buf_release(&who);
				return RC_ERROR;
			}
			db_bind_text(q, 1, *f);
			while ((rc = db_step(q)) == RC_ROW)
				ids[n++] = db_col_int(q, 0);
			db_done(q);
			if (rc != RC_DONE) {
				buf_release(&who);
				return rc;
			}
			for (int i = 0; i < n; i++) {
				json_t *patch = arena_json(t->a, json_pack(
					"{s:s, s:s}", "email_bounced_at", at, "email_bounce_reason",
					mail_truncate(t->a, m->failure ? m->failure : "undeliverable",
						      2000)));
				json_t *out, *errors = NULL;
				struct resource_ctx c = t->ctx;
				rc = patch ? resource_update_trusted(&c, &contact_resource, ids[i], patch,
								     &out, &errors)
					   : RC_ERROR;
				if (rc != RC_OK && rc != RC_NOT_FOUND) {
					buf_release(&who);
					return rc == RC_INVALID ? RC_ERROR : rc;
				}
				if (i == 0 && !json_is_integer(json_object_get(t->row, "contact_id")))
					set_id(t->row, "contact_id", ids[i]);
			}
			buf_addf(&who, "%s%s%s", who.len ? ", " : "", *f,
				 n ? (n == 1 ? " (its contact is marked)" : " (its contacts are marked)")
				   : " (no contact has it)");
		}
		if (m->bounced_message_id) {
			rc = db_run(db, &st, "SELECT id, ticket_id FROM outbound_messages"
				    " WHERE message_id = ?", "s", m->bounced_message_id);
			if (rc == RC_ROW) {
				int64_t out_id = db_col_int(st, 0);
				if (!db_col_null(st, 1))
					set_id(t->row, "ticket_id", db_col_int(st, 1));
				db_done(st);
				json_t *patch = arena_json(t->a, json_pack(
					"{s:s, s:s}", "status", "bounced", "last_error",
					mail_truncate(t->a, m->failure ? m->failure : "bounced", 2000)));
				json_t *out, *errors = NULL;
				rc = patch ? resource_update_trusted(&t->ctx, &outbound_message_resource,
								     out_id, patch, &out, &errors)
					   : RC_ERROR;
				if (rc != RC_OK) {
					buf_release(&who);
					return rc == RC_INVALID ? RC_ERROR : rc;
				}
			} else if (rc != RC_DONE) {
				buf_release(&who);
				return rc;
			}
		}
		const char *reason = who.len ? arena_printf(t->a, "a delivery report: mail to %s "
							    "could not be delivered%s%s",
							    buf_str(&who),
							    m->failure ? ": " : "",
							    m->failure ? m->failure : "")
					     : "a delivery report naming no failed recipient";
		buf_release(&who);
		set_outcome(t, "bounce", mail_truncate(t->a, reason, 4000));
		return RC_OK;
	}
	if (m->automatic == MAIL_AUTO_REPLY) {
		int64_t ticket = 0;
		const char *how;
		if (m->from_address && (rc = threaded(t, &ticket, &how)) != RC_OK)
			return rc;
		set_id(t->row, "ticket_id", ticket);
		set_outcome(t, "auto_reply", arena_printf(t->a, "an automatic message (%s): it opens "
					     "no ticket and is not answered", m->auto_reason));
		return RC_OK;
	}
	if (!m->from_address) {
		set_outcome(t, "rejected", "it names no sender address to answer");
		return RC_OK;
	}
	/* a flood: held for people to look at, nothing lost and nothing answered */
	json_t *settings;
	struct resource_ctx sys = t->ctx;
	sys.parent_id = 0;
	if ((rc = resource_get(&sys, &settings_resource, SETTINGS_ID, &settings)) != RC_OK)
		return rc == RC_NOT_FOUND ? RC_ERROR : rc;
	int64_t limit = num(settings, "mail_flood_limit");
	char since[TIME_RFC3339_LEN];
	time_format(t->now - 3600, since);
	rc = db_run(db, &st, "SELECT count(*) FROM inbound_messages WHERE from_address = ?"
		    " AND received_at > ? AND outcome IN ('ticket', 'reply', 'triage')", "ss",
		    m->from_address, since);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	int64_t recent = db_col_int(st, 0);
	db_done(st);
	if (limit > 0 && recent >= limit) {
		set_outcome(t, "triage", arena_printf(t->a, "%s sent %lld messages in the last hour "
					 "(the limit is %lld): held for staff instead of opening "
					 "tickets or answering", m->from_address, (long long)recent,
					 (long long)limit));
		return RC_OK;
	}
	int64_t ticket;
	const char *how;
	if ((rc = threaded(t, &ticket, &how)) != RC_OK)
		return rc;
	if (ticket)
		return take_reply(t, ticket, how);
	int64_t tagged = mail_subject_ticket(m->subject);
	if (tagged) {
		char number[32];
		snprintf(number, sizeof(number), "T-%06lld", (long long)tagged);
		rc = db_run(db, &st, "SELECT id, company_id FROM tickets WHERE number = ?", "s",
			    number);
		if (rc == RC_ROW) {
			int64_t id = db_col_int(st, 0), company = db_col_int(st, 1);
			db_done(st);
			int64_t contact;
			bool yes;
			if ((rc = belongs(db, m->from_address, company, &contact, &yes)) != RC_OK)
				return rc;
			if (yes)
				return take_reply(t, id, arena_printf(t->a, "the subject names %s",
								      number));
			set_id(t->row, "ticket_id", id);
			set_outcome(t, "triage", arena_printf(t->a, "the subject names %s, but %s is "
						 "not of its company: held for staff to assign",
						 number, m->from_address));
			return RC_OK;
		}
		if (rc != RC_DONE)
			return rc;
	}
	return take_new(t);
}

static int take_txn(struct db *db, void *arg)
{
	struct take *t = arg;
	t->ctx = (struct resource_ctx){ .db = db, .arena = t->a, .actor = &mail_actor,
					.now = t->now };
	const struct mail_msg *m = t->m;
	char received[TIME_RFC3339_LEN], sent[TIME_RFC3339_LEN];
	time_format(t->now, received);
	t->row = arena_json(t->a, json_object());
	if (!t->row)
		return RC_ERROR;
	json_t *row = t->row;
	json_object_set_new(row, "received_at", json_string(received));
	json_object_set_new(row, "via", json_string(t->via));
	json_object_set_new(row, "size", json_integer((json_int_t)t->size));
	if (t->raw_sha256)
		json_object_set_new(row, "raw_sha256", json_string(t->raw_sha256));
	if (m) {
		if (m->message_id)
			json_object_set_new(row, "message_id",
					    json_string(mail_truncate(t->a, m->message_id, 1000)));
		if (m->in_reply_to)
			json_object_set_new(row, "in_reply_to",
					    json_string(mail_truncate(t->a, m->in_reply_to, 1000)));
		if (m->from_address)
			json_object_set_new(row, "from_address", json_string(m->from_address));
		if (m->from_name)
			json_object_set_new(row, "from_name",
					    json_string(mail_truncate(t->a, m->from_name, 1000)));
		if (m->to_address)
			json_object_set_new(row, "to_address", json_string(m->to_address));
		json_object_set_new(row, "subject",
				    json_string(mail_truncate(t->a, m->subject, 2000)));
		if (m->date > 0 && m->date < 253402300800) {
			time_format(m->date, sent);
			json_object_set_new(row, "sent_at", json_string(sent));
		}
		json_object_set_new(row, "attachments", json_integer((json_int_t)m->nattachments));
		const char *text = mail_trim_quoted(t->a, m->text);
		if (!text)
			return RC_ERROR;
		json_object_set_new(row, "body", json_string(mail_truncate(t->a, text, MAIL_MAX_TEXT)));
	}
	int rc = decide(t);
	if (rc != RC_OK)
		return rc;
	json_t *out, *errors = NULL;
	rc = resource_create_trusted(&t->ctx, &inbound_message_resource, row, &out, &errors);
	if (rc == RC_CONFLICT)
		return RC_RETRY;	/* taken meanwhile by another: it is a duplicate now */
	if (rc != RC_OK) {
		if (rc == RC_INVALID) {
			char *e = json_dumps(errors, JSON_COMPACT);
			log_error("mail: cannot record an inbound message: %s", e ? e : "");
			free(e);
			return RC_ERROR;
		}
		return rc;
	}
	t->out->id = num(out, "id");
	t->out->outcome = arena_strdup(t->a, str(out, "outcome"));
	t->out->reason = arena_strdup(t->a, str(out, "reason"));
	t->out->ticket_id = num(out, "ticket_id");
	return RC_OK;
}

int mail_take(struct db *db, struct arena *a, const char *raw, size_t len, const char *via,
	      struct mail_taken *out)
{
	struct mail_msg m;
	struct take t = { .a = a, .size = len, .via = via, .now = time_now(), .out = out };
	memset(out, 0, sizeof(*out));
	if (!raw || len > MAIL_MAX_BYTES) {
		t.invalid = arena_printf(a, "it is larger than the limit of %u MB",
					 MAIL_MAX_BYTES / (1024 * 1024));
	} else {
		const char *why;
		int rc = mail_parse(a, raw, len, &m, &why);
		if (rc == RC_OK)
			t.m = &m;
		else if (rc == RC_INVALID)
			t.invalid = arena_printf(a, "%s", why);
		else
			return rc;
	}
	/* the message as it came, first: whatever it becomes, the original is kept */
	char hash[65];
	if (raw && len > 0 && len <= MAIL_MAX_BYTES) {
		if (blob_put(raw, len, hash) != RC_OK)
			return RC_ERROR;
		t.raw_sha256 = hash;
	}
	int rc = db_txn(db, take_txn, &t);
	if (rc != RC_OK)
		return rc > 0 ? RC_ERROR : rc;
	log_info("mail: message %lld from %s: %s (%s)", (long long)out->id,
		 t.m && t.m->from_address ? t.m->from_address : "(no sender)", out->outcome,
		 out->reason);
	return RC_OK;
}

/* Triage: staff assign a held message to a company or ticket, or discard it. */

static const struct field assign_body[] = {
	{ .name = "company_id", .type = FT_REF, .ref = &company_resource,
	  .doc = "The company to open a ticket for (unless ticket_id)." },
	{ .name = "contact_id", .type = FT_REF, .ref = &contact_resource,
	  .doc = "The contact it is from (of that company)." },
	{ .name = "ticket_id", .type = FT_REF, .ref = &ticket_resource,
	  .doc = "Add it to this ticket as the client's note instead of opening one." },
	{ .name = "add_contact", .type = FT_BOOL,
	  .doc = "Make the sender a contact of the company (from its name and address)." },
	FIELD_END
};

/* A held message as struct take's record, for open_ticket/add_reply. */
static int assign(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	struct take t = { .a = ctx->arena, .row = rec, .ctx = *ctx };
	struct mail_msg m = { .from_address = str(cur, "from_address"),
			      .from_name = str(cur, "from_name"),
			      .nattachments = (size_t)num(cur, "attachments") };
	t.m = &m;
	t.ctx.parent_id = 0;
	int64_t ticket = num(body, "ticket_id"), company = num(body, "company_id"),
		contact = num(body, "contact_id");
	if (!ticket && !company) {
		resource_error(errors, "company_id", "is required unless ticket_id is given");
		return RC_INVALID;
	}
	json_t *tk = NULL;
	if (ticket) {
		int rc = resource_get(&t.ctx, &ticket_resource, ticket, &tk);
		if (rc != RC_OK)
			return rc;
		if (company && company != num(tk, "company_id")) {
			resource_error(errors, "company_id", "is not the ticket's company");
			return RC_INVALID;
		}
		company = num(tk, "company_id");
	}
	if (contact) {
		int64_t of;
		int rc = resource_company_of(&t.ctx, &contact_resource, contact, &of);
		if (rc != RC_OK || of != company) {
			resource_error(errors, "contact_id", "must be a contact of the company");
			return rc == RC_OK || rc == RC_NOT_FOUND ? RC_INVALID : rc;
		}
	}
	json_t *errs = NULL;
	int rc;
	if (!contact && json_is_true(json_object_get(body, "add_contact"))) {
		if (!m.from_address) {
			resource_error(errors, "add_contact", "the message has no sender address");
			return RC_INVALID;
		}
		const char *name = m.from_name ? m.from_name : m.from_address;
		const char *space = strrchr(name, ' ');
		const char *first = space ? arena_strndup(ctx->arena, name, (size_t)(space - name))
					  : name;
		const char *last = space ? space + 1 : "-";
		json_t *c = arena_json(ctx->arena, json_pack(
			"{s:I, s:s, s:s, s:s}", "company_id", (json_int_t)company, "first_name",
			mail_truncate(ctx->arena, first, 100), "last_name",
			mail_truncate(ctx->arena, last, 100), "email", m.from_address));
		json_t *made;
		rc = c ? resource_create_trusted(&t.ctx, &contact_resource, c, &made, &errs) : RC_ERROR;
		if (rc == RC_INVALID || rc == RC_CONFLICT) {
			resource_error(errors, "add_contact", errors_text(&t, errs));
			return RC_INVALID;
		}
		if (rc != RC_OK)
			return rc;
		contact = num(made, "id");
	}
	int64_t note = 0;
	if (tk) {
		bool reopened;
		rc = add_reply(&t, tk, contact, &note, &reopened, &errs);
		if (rc == RC_OK)
			set_id(rec, "note_id", note);
	} else {
		rc = open_ticket(&t, company, contact, NULL, &ticket, &errs);
	}
	if (rc == RC_INVALID || rc == RC_CONFLICT) {
		resource_error(errors, tk ? "ticket_id" : "company_id", errors_text(&t, errs));
		return RC_INVALID;
	}
	if (rc != RC_OK)
		return rc;
	/* its files, from the message as it came */
	const char *raw_hash = str(cur, "raw_sha256");
	if (raw_hash && num(cur, "attachments") > 0) {
		struct buf raw;
		buf_init(&raw, MAIL_MAX_BYTES);
		struct mail_msg full;
		const char *why, *reason = "";
		rc = blob_read(raw_hash, &raw);
		if (rc == RC_OK && mail_parse(ctx->arena, raw.data ? raw.data : "", raw.len, &full,
					      &why) == RC_OK)
			rc = keep_files(&t.ctx, &full, ticket, note, contact, &reason);
		else if (rc == RC_NOT_FOUND)
			rc = RC_OK;	/* the original is gone (a copy without files): text only */
		buf_release(&raw);
		if (rc != RC_OK)
			return rc;
	}
	char at[TIME_RFC3339_LEN];
	time_format(ctx->now, at);
	set_id(rec, "ticket_id", ticket);
	set_id(rec, "company_id", company);
	set_id(rec, "contact_id", contact);
	set_id(rec, "handled_by_id", ctx->actor ? ctx->actor->user_id : 0);
	json_object_set_new(rec, "handled_at", json_string(at));
	json_object_set_new(rec, "triage", json_string("assigned"));
	return RC_OK;
}

static int discard(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		   json_t *errors)
{
	char at[TIME_RFC3339_LEN];
	time_format(ctx->now, at);
	set_id(rec, "handled_by_id", ctx->actor ? ctx->actor->user_id : 0);
	json_object_set_new(rec, "handled_at", json_string(at));
	json_object_set_new(rec, "triage", json_string("discarded"));
	return RC_OK;
}

#define TRIAGERS (ROLE_ADMIN | ROLE_MANAGER)

static const char *const held[] = { "open", NULL };

static const struct resource_action assign_action = {
	.name = "assign", .body = assign_body, .from = held, .roles = TRIAGERS,
	.flags = ACTION_IF_MATCH_OPTIONAL, .event = "assigned", .apply = assign,
	.summary = "Open a ticket from a held message (or add it to a ticket as the client's note)",
};
static const struct resource_action discard_action = {
	.name = "discard", .from = held, .roles = TRIAGERS, .flags = ACTION_IF_MATCH_OPTIONAL,
	.event = "discarded", .apply = discard, .summary = "Discard a held message (it stays on record)",
};
static const struct resource_action *const inbound_actions[] = { &assign_action,
								 &discard_action, NULL };

const struct resource inbound_message_resource = {
	.name = "inbound-messages",
	.singular = "inbound message",
	.table = "inbound_messages",
	.fields = inbound_fields,
	.default_sort = "-received_at",
	.status_field = "triage",
	.actions = inbound_actions,
	.company_field = "company_id",
	.doc = "Every message that came in by mail, with what became of it (`outcome`) and why "
	       "(`reason`). Held messages (`triage: open`) wait for staff to `assign` or "
	       "`discard` them.",
};
