/*
 * outbound.c - the mail we send: what makes it, its record, and sending it.
 *
 * An observer of the engine's events (mail_observe) sees, in the change's
 * own transaction:
 *   ticket.created   (channel email or portal)  ticket_received  automatic
 *   ticket.note.created (public, by staff)       note_public      written by a person
 *   ticket.resolved (or its status patched)      ticket_resolved  automatic, with the survey
 *   quote.sent                                   quote_sent       with the PDF and the link
 *   invoice.issued                               invoice_issued   with the PDF
 * and, when outgoing mail is set up (settings: smtp_host and mail_from),
 * renders the event's template into an outbound_messages row and queues a
 * "mail-send" job for it: the mail goes exactly when the change commits.
 * Nothing goes to an address that bounced, and nothing answers automatic
 * mail (it never makes a ticket or a note).
 *
 * The job composes the message with GMime (our Message-ID, [T-000123] in
 * a ticket's subject, In-Reply-To/References to the ticket's thread,
 * Auto-Submitted: auto-generated on automatic mail) and hands it to the
 * SMTP server with libcurl (STARTTLS, TLS or plain; AUTH when a user is
 * set). Each try is logged in outbound_attempts; a temporary failure is
 * retried with the job queue's backoff, up to MAX_ATTEMPTS; a 5xx answer
 * fails it for good.
 */
#include "mail.h"

#include "auth/auth.h"
#include "billing/billing.h"
#include "billing/pdf.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/money.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "quotes/pdf.h"
#include "quality/surveys.h"
#include "quotes/quotes.h"
#include "resource/audit.h"
#include "service/service.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTEMPTS 30	/* with the queue's backoff (to an hour apart): about a day */

static const char *const templates[] = { "ticket_received", "note_public", "ticket_resolved",
					 "quote_sent", "invoice_issued", "portal_invitation",
					 "portal_reset", "notify_assigned", "notify_client_replied",
					 "notify_sla", "notify_quote_accepted", "notify_negative_rating",
					 NULL };
static const char *const statuses[] = { "queued", "sent", "failed", "bounced", NULL };

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Templates ------------------------------------------------------------------ */

/* What {{name}} each event's template may use (besides the firm's and the contact's). */
static const struct {
	const char *event;
	const char *names;
} placeholders[] = {
	{ "ticket_received", "ticket_number ticket_subject" },
	{ "note_public", "ticket_number ticket_subject note_body author_name" },
	{ "ticket_resolved", "ticket_number ticket_subject resolution survey_url survey_ratings" },
	{ "quote_sent", "quote_number quote_title quote_total quote_valid_until quote_url" },
	{ "invoice_issued", "invoice_number invoice_total invoice_balance invoice_due_on" },
	{ "portal_invitation", "invite_url login_email inviter_name" },
	{ "portal_reset", "reset_url" },
	/* to staff (src/notify/) */
	{ "notify_assigned", "user_name actor_name ticket_number ticket_subject ticket_priority "
			     "company_name link" },
	{ "notify_client_replied", "user_name client_name ticket_number ticket_subject note_body "
				   "link" },
	{ "notify_sla", "user_name ticket_number ticket_subject company_name sla_percent sla_clock "
			"sla_due_at link" },
	{ "notify_quote_accepted", "user_name accepted_name quote_number quote_title quote_total "
				   "company_name link" },
	{ "notify_negative_rating", "user_name client_name rating survey_comment ticket_number "
				    "ticket_subject ticket_priority company_name link" },
};
static const char common_names[] = "firm_name firm_phone firm_email firm_website contact_name";

static bool listed(const char *names, const char *name, size_t len)
{
	for (const char *p = names; *p;) {
		size_t n = strcspn(p, " ");
		if (n == len && memcmp(p, name, len) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

static const char *event_names(const char *event)
{
	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (event && strcmp(placeholders[i].event, event) == 0)
			return placeholders[i].names;
	return "";
}

/* Each {{name}} of text must be one the event knows. */
static void check_placeholders(const char *event, const char *field, const char *text,
			       json_t *errors, struct arena *a)
{
	for (const char *p = text ? strstr(text, "{{") : NULL; p; p = strstr(p + 2, "{{")) {
		const char *end = strstr(p + 2, "}}");
		if (!end) {
			resource_error(errors, field, "has a \"{{\" without its \"}}\"");
			return;
		}
		const char *name = p + 2;
		size_t len = (size_t)(end - name);
		if (!listed(common_names, name, len) && !listed(event_names(event), name, len)) {
			resource_error(errors, field,
				       arena_printf(a, "knows no {{%.*s}}; it may use %s %s",
						    (int)(len > 40 ? 40 : len), name, common_names,
						    event_names(event)));
			return;
		}
	}
}

static int template_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	check_placeholders(str(rec, "event"), "subject", str(rec, "subject"), errors, ctx->arena);
	check_placeholders(str(rec, "event"), "body", str(rec, "body"), errors, ctx->arena);
	const char *subject = str(rec, "subject");
	if (subject && strpbrk(subject, "\r\n"))
		resource_error(errors, "subject", "must be one line");
	return RC_OK;
}

/* text with each {{name}} replaced by vars' member (nothing when it has none). */
static char *render(struct arena *a, const char *text, const json_t *vars)
{
	struct buf out;
	buf_init(&out, 1024 * 1024);
	const char *p = text;
	for (const char *open; (open = strstr(p, "{{"));) {
		const char *end = strstr(open + 2, "}}");
		if (!end)
			break;
		buf_add(&out, p, (size_t)(open - p));
		char *name = arena_strndup(a, open + 2, (size_t)(end - open - 2));
		const char *v = name ? str(vars, name) : NULL;
		if (v)
			buf_addstr(&out, v);
		p = end + 2;
	}
	buf_addstr(&out, p);
	char *s = out.failed ? NULL : arena_strdup(a, buf_str(&out));
	buf_release(&out);
	return s;
}

static const struct field template_fields[] = {
	{ .name = "event", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .enum_values = templates, .doc = "The event whose mail this is." },
	{ .name = "description", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 1000,
	  .doc = "When it is sent, and to whom." },
	{ .name = "subject", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1, .max = 500,
	  .doc = "One line; {{name}} placeholders. Ticket mail always carries its [T-000123] tag." },
	{ .name = "body", .type = FT_TEXT, .flags = F_REQUIRED, .min = 1, .max = 20000,
	  .doc = "Plain text; {{name}} placeholders: firm_name, firm_phone, firm_email, "
		 "firm_website, contact_name, and the event's own (ticket_number, ticket_subject, "
		 "note_body, author_name, resolution, survey_url, survey_ratings, quote_number, "
		 "quote_title, quote_total, "
		 "quote_valid_until, quote_url, invoice_number, invoice_total, invoice_balance, "
		 "invoice_due_on; to staff: user_name, actor_name, client_name, ticket_priority, "
		 "company_name, sla_percent, sla_clock, sla_due_at, accepted_name, rating, "
		 "survey_comment, link)." },
	FIELD_END
};

const struct resource mail_template_resource = {
	.name = "mail-templates",
	.singular = "mail template",
	.table = "mail_templates",
	.fields = template_fields,
	.default_sort = "event",
	.check = template_check,
	.doc = "The text of the mail each event sends, in the firm's name.",
};

/* The record of a message ------------------------------------------------------ */

static const struct field outbound_fields[] = {
	{ .name = "template", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER,
	  .enum_values = templates, .doc = "The event it was made for." },
	{ .name = "automatic", .type = FT_BOOL, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "Sent by the system (Auto-Submitted: auto-generated), not written by a person." },
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &ticket_resource },
	{ .name = "note_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .doc = "The public note it carries." },
	{ .name = "quote_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &quote_resource },
	{ .name = "invoice_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &invoice_resource },
	{ .name = "contact_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &contact_resource },
	{ .name = "to_address", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .max = 254 },
	{ .name = "to_name", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 1000 },
	{ .name = "subject", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 2000 },
	{ .name = "body", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 200000,
	  .doc = "The text sent; a one-time link it carries (a portal invitation, a password "
		 "reset) is shown hidden." },
	/* the text as sent when body shows a secret hidden; the sender's alone */
	{ .name = "secret_body", .type = FT_TEXT, .flags = F_HIDDEN, .max = 200000 },
	{ .name = "message_id", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .max = 1000,
	  .doc = "Our Message-ID, without the angle brackets." },
	{ .name = "in_reply_to", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 1000 },
	{ .name = "references_ids", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 4000,
	  .doc = "Its References header: the thread it belongs to." },
	{ .name = "status", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .enum_values = statuses,
	  .doc = "`queued` (waiting or retrying), `sent` (the SMTP server took it), `failed` (for "
		 "good), `bounced` (a delivery report came back)." },
	{ .name = "attempts", .type = FT_INT, .flags = F_READ_ONLY },
	{ .name = "last_error", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 4000 },
	{ .name = "sent_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT },
	FIELD_END
};

static const char *const retryable[] = { "failed", "bounced", NULL };

static int retry(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		 json_t *errors)
{
	json_object_set_new(rec, "status", json_string("queued"));
	json_object_set_new(rec, "attempts", json_integer(0));
	int64_t id = num(cur, "id");
	json_t *payload = arena_json(ctx->arena, json_pack("{s:I}", "id", (json_int_t)id));
	return payload ? jobs_enqueue(ctx->db, "mail-send", payload, 0, NULL, NULL) : RC_ERROR;
}

static const struct resource_action retry_action = {
	.name = "retry", .from = retryable, .roles = ROLE_ADMIN | ROLE_MANAGER,
	.flags = ACTION_IF_MATCH_OPTIONAL, .event = "retried",
	.apply = retry, .summary = "Send a failed or bounced message again",
};
static const struct resource_action *const outbound_actions[] = { &retry_action, NULL };

const struct resource outbound_message_resource = {
	.name = "outbound-messages",
	.singular = "outbound message",
	.table = "outbound_messages",
	.fields = outbound_fields,
	.default_sort = "-created_at",
	.status_field = "status",
	.actions = outbound_actions,
	.company_field = NULL,
	.doc = "Every message we send, with its delivery state; "
	       "`GET /outbound-messages/{id}/attempts` has each try.",
};

/* Making a message ------------------------------------------------------------ */

static const struct audit_actor mail_actor = { .label = "e-mail" };

/* The domain of our Message-IDs: mail_from's. */
static const char *our_domain(const json_t *settings)
{
	const char *from = str(settings, "mail_from");
	const char *at = from ? strrchr(from, '@') : NULL;
	return at ? at + 1 : "servio.invalid";
}

const char *mail_ticket_thread_id(struct resource_ctx *ctx, int64_t ticket_id, const char *domain)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT message_id FROM inbound_messages WHERE ticket_id = ?"
			" AND outcome = 'ticket' AND message_id IS NOT NULL ORDER BY id LIMIT 1",
			"i", ticket_id);
	if (rc == RC_ROW) {
		const char *id = arena_strdup(ctx->arena, db_col_text(st, 0));
		db_done(st);
		return id;
	}
	return arena_printf(ctx->arena, "servio.t%lld@%s", (long long)ticket_id, domain);
}

/* The client's latest message on the ticket (what we answer), or NULL. */
static const char *latest_from_client(struct resource_ctx *ctx, int64_t ticket_id)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT message_id FROM inbound_messages WHERE ticket_id = ?"
			" AND outcome IN ('ticket', 'reply') AND message_id IS NOT NULL"
			" ORDER BY id DESC LIMIT 1", "i", ticket_id);
	if (rc != RC_ROW)
		return NULL;
	const char *id = arena_strdup(ctx->arena, db_col_text(st, 0));
	db_done(st);
	return id;
}

struct draft {
	const char *template;
	bool automatic;
	int64_t ticket_id, note_id, quote_id, invoice_id, contact_id;
	const char *to_address, *to_name;
	json_t *vars;
	/* the placeholder whose value is a secret (a one-time link), or NULL */
	const char *secret;
};

#define SECRET_SHOWN "(a one-time link: in the message itself, never shown here)"

/* The firm's and the contact's placeholders. */
static void common_vars(json_t *vars, const json_t *settings, const json_t *contact)
{
	json_object_set(vars, "firm_name", json_object_get(settings, "firm_name"));
	json_object_set(vars, "firm_phone", json_object_get(settings, "phone"));
	json_object_set(vars, "firm_email", json_object_get(settings, "email"));
	json_object_set(vars, "firm_website", json_object_get(settings, "website"));
	const char *first = contact ? str(contact, "first_name") : NULL;
	json_object_set_new(vars, "contact_name", json_string(first ? first : "there"));
}

/* Renders the draft's template and queues it. */
static int queue(struct resource_ctx *ctx, const json_t *settings, struct draft *d)
{
	struct resource_ctx sys = *ctx;
	sys.parent_id = 0;
	sys.trusted = true;
	sys.scope_company = 0;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT subject, body FROM mail_templates WHERE event = ?",
			"s", d->template);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	const char *subject_tpl = arena_strdup(ctx->arena, db_col_text(st, 0));
	const char *body_tpl = arena_strdup(ctx->arena, db_col_text(st, 1));
	db_done(st);
	const char *subject = render(ctx->arena, subject_tpl, d->vars);
	const char *body = render(ctx->arena, body_tpl, d->vars);
	if (!subject || !body)
		return RC_ERROR;
	/* a secret is sent, never kept where staff read the mail */
	const char *secret_body = NULL;
	if (d->secret) {
		secret_body = body;
		json_t *shown = arena_json(ctx->arena, json_deep_copy(d->vars));
		if (!shown || json_object_set_new(shown, d->secret, json_string(SECRET_SHOWN)) ||
		    !(body = render(ctx->arena, body_tpl, shown)))
			return RC_ERROR;
	}
	const char *domain = our_domain(settings);
	unsigned char rnd[8];
	randombytes_buf(rnd, sizeof(rnd));
	char hex[17];
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	const char *kind = d->ticket_id ? "t" : d->quote_id ? "q" : d->invoice_id ? "i" : "n";
	int64_t of = d->ticket_id ? d->ticket_id : d->quote_id ? d->quote_id : d->invoice_id;
	const char *message_id = arena_printf(ctx->arena, "servio.%s%lld.%s@%s", kind,
					      (long long)of, hex, domain);
	json_t *row = arena_json(ctx->arena, json_pack(
		"{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:I}", "template", d->template, "automatic",
		d->automatic, "to_address", d->to_address, "subject", subject, "body", body,
		"message_id", message_id, "status", "queued", "attempts", (json_int_t)0));
	if (!row)
		return RC_ERROR;
	if (d->to_name)
		json_object_set_new(row, "to_name", json_string(d->to_name));
	if (secret_body)
		json_object_set_new(row, "secret_body", json_string(secret_body));
	static const char *const refs[] = { "ticket_id", "note_id", "quote_id", "invoice_id",
					    "contact_id" };
	int64_t ids[] = { d->ticket_id, d->note_id, d->quote_id, d->invoice_id, d->contact_id };
	for (size_t i = 0; i < 5; i++)
		if (ids[i])
			json_object_set_new(row, refs[i], json_integer(ids[i]));
	if (d->ticket_id) {
		/* [T-000123] always, and the thread the client's mail program knows */
		const char *number = str(d->vars, "ticket_number");
		if (number && !strstr(subject, arena_printf(ctx->arena, "[%s]", number)))
			json_object_set_new(row, "subject", json_string(arena_printf(
				ctx->arena, "[%s] %s", number, subject)));
		/* In-Reply-To and References are the thread as it is when it is sent */
	}
	json_t *out, *errors = NULL;
	sys.actor = ctx->actor ? ctx->actor : &mail_actor;
	rc = resource_create_trusted(&sys, &outbound_message_resource, row, &out, &errors);
	if (rc != RC_OK) {
		if (rc == RC_INVALID || rc == RC_CONFLICT) {
			char *e = json_dumps(errors, JSON_COMPACT);
			log_error("mail: cannot queue %s to %s: %s", d->template, d->to_address,
				  e ? e : "");
			free(e);
			return RC_ERROR;
		}
		return rc;
	}
	json_t *payload = arena_json(ctx->arena, json_pack("{s:I}", "id", (json_int_t)num(out, "id")));
	return payload ? jobs_enqueue(ctx->db, "mail-send", payload, 0, NULL, NULL) : RC_ERROR;
}

/*
 * Where a ticket's mail goes: its contact's address (unless it bounced),
 * else the address its first mail came from. NULL: nowhere.
 */
static int ticket_recipient(struct resource_ctx *ctx, const json_t *ticket, struct draft *d,
			    json_t **contact)
{
	*contact = NULL;
	int64_t cid = num(ticket, "contact_id");
	if (cid) {
		int rc = resource_get(ctx, &contact_resource, cid, contact);
		if (rc != RC_OK)
			return rc == RC_NOT_FOUND ? RC_OK : rc;
		if (str(*contact, "email") && !str(*contact, "email_bounced_at")) {
			d->to_address = str(*contact, "email");
			d->to_name = arena_printf(ctx->arena, "%s %s", str(*contact, "first_name"),
						  str(*contact, "last_name"));
			d->contact_id = cid;
		}
		return RC_OK;
	}
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT from_address, from_name FROM inbound_messages"
			" WHERE ticket_id = ? AND outcome = 'ticket' ORDER BY id LIMIT 1", "i",
			num(ticket, "id"));
	if (rc == RC_ROW) {
		d->to_address = arena_strdup(ctx->arena, db_col_text(st, 0));
		d->to_name = db_col_text(st, 1) ? arena_strdup(ctx->arena, db_col_text(st, 1)) : NULL;
		db_done(st);
		return RC_OK;
	}
	return rc == RC_DONE ? RC_OK : rc;
}

/* The survey's link and a line per rating, each its one click (src/quality/surveys.c). */
static int survey_vars(struct resource_ctx *ctx, const json_t *ticket, json_t *vars)
{
	static const char *const words[] = { "", "Very poor", "Poor", "Fair", "Good",
					     "Excellent" };
	json_t *survey;
	int rc = survey_ensure(ctx, ticket, &survey);
	if (rc != RC_OK)
		return rc;
	const char *url = survey_url(ctx, survey);
	if (!url)
		return RC_ERROR;
	struct buf b;
	buf_init(&b, 16 * 1024);
	for (int r = 5; r >= 1; r--)
		buf_addf(&b, "  %d - %s: %s?rating=%d\n", r, words[r], url, r);
	const char *ratings = b.failed ? NULL : arena_strdup(ctx->arena, buf_str(&b));
	buf_release(&b);
	if (!ratings)
		return RC_ERROR;
	json_object_set_new(vars, "survey_url", json_string(url));
	json_object_set_new(vars, "survey_ratings", json_string(ratings));
	return RC_OK;
}

static int ticket_mail(struct resource_ctx *ctx, const json_t *settings, const char *template,
		       bool automatic, const json_t *ticket, const json_t *note)
{
	struct draft d = { .template = template, .automatic = automatic,
			   .ticket_id = num(ticket, "id") };
	json_t *contact;
	int rc = ticket_recipient(ctx, ticket, &d, &contact);
	if (rc != RC_OK || !d.to_address)
		return rc;
	d.vars = arena_json(ctx->arena, json_object());
	if (!d.vars)
		return RC_ERROR;
	common_vars(d.vars, settings, contact);
	json_object_set(d.vars, "ticket_number", json_object_get(ticket, "number"));
	json_object_set(d.vars, "ticket_subject", json_object_get(ticket, "subject"));
	json_object_set(d.vars, "resolution", json_object_get(ticket, "resolution"));
	if (strcmp(template, "ticket_resolved") == 0) {
		rc = survey_vars(ctx, ticket, d.vars);
		if (rc != RC_OK)
			return rc;
	}
	if (note) {
		d.note_id = num(note, "id");
		json_object_set(d.vars, "note_body", json_object_get(note, "body"));
		json_t *author;
		if (num(note, "author_id") &&
		    resource_get(ctx, &user_resource, num(note, "author_id"), &author) == RC_OK)
			json_object_set(d.vars, "author_name", json_object_get(author, "name"));
	}
	return queue(ctx, settings, &d);
}

static void money_var(struct arena *a, json_t *vars, const char *name, const json_t *doc,
		      const char *member)
{
	char text[MONEY_TEXT_LEN];
	money_format(num(doc, member), str(doc, "currency") ? str(doc, "currency") : "USD", text);
	json_object_set_new(vars, name, json_string(text));
	(void)a;
}

static int quote_mail(struct resource_ctx *ctx, const json_t *settings, const json_t *quote)
{
	struct draft d = { .template = "quote_sent", .quote_id = num(quote, "id") };
	json_t *contact = NULL, *company = NULL;
	if (num(quote, "contact_id") &&
	    resource_get(ctx, &contact_resource, num(quote, "contact_id"), &contact) == RC_OK &&
	    str(contact, "email") && !str(contact, "email_bounced_at")) {
		d.to_address = str(contact, "email");
		d.to_name = arena_printf(ctx->arena, "%s %s", str(contact, "first_name"),
					 str(contact, "last_name"));
		d.contact_id = num(contact, "id");
	} else if (resource_get(ctx, &company_resource, num(quote, "company_id"), &company) ==
			   RC_OK &&
		   str(company, "email")) {
		contact = NULL;
		d.to_address = str(company, "email");
		d.to_name = str(company, "name");
	}
	if (!d.to_address)
		return RC_OK;
	d.vars = arena_json(ctx->arena, json_object());
	if (!d.vars)
		return RC_ERROR;
	common_vars(d.vars, settings, d.contact_id ? contact : NULL);
	json_object_set(d.vars, "quote_number", json_object_get(quote, "number"));
	json_object_set(d.vars, "quote_title", json_object_get(quote, "title"));
	json_object_set(d.vars, "quote_valid_until", json_object_get(quote, "valid_until"));
	money_var(ctx->arena, d.vars, "quote_total", quote, "total");
	/* the new link the send action made (shown once to staff, here to the client) */
	json_object_set(d.vars, "quote_url", json_object_get(ctx->reply_extra, "public_url"));
	return queue(ctx, settings, &d);
}

static int invoice_mail(struct resource_ctx *ctx, const json_t *settings, const json_t *invoice)
{
	struct draft d = { .template = "invoice_issued", .invoice_id = num(invoice, "id") };
	json_t *company;
	if (resource_get(ctx, &company_resource, num(invoice, "company_id"), &company) != RC_OK ||
	    !str(company, "email"))
		return RC_OK;
	d.to_address = str(company, "email");
	d.to_name = str(company, "name");
	d.vars = arena_json(ctx->arena, json_object());
	if (!d.vars)
		return RC_ERROR;
	common_vars(d.vars, settings, NULL);
	json_object_set(d.vars, "invoice_number", json_object_get(invoice, "number"));
	json_object_set(d.vars, "invoice_due_on", json_object_get(invoice, "due_on"));
	money_var(ctx->arena, d.vars, "invoice_total", invoice, "total");
	money_var(ctx->arena, d.vars, "invoice_balance", invoice, "balance");
	return queue(ctx, settings, &d);
}

/*
 * The system's view of ctx (sys: trusted, no parent, no scope), the
 * settings as it reads them, and whether outgoing mail is set up (a
 * server and a From address).
 */
static int outgoing(const struct resource_ctx *ctx, struct resource_ctx *sys, json_t **settings,
		    bool *on)
{
	*sys = *ctx;
	sys->parent_id = 0;
	sys->trusted = true;
	sys->scope_company = 0;
	int rc = resource_get(sys, &settings_resource, SETTINGS_ID, settings);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_ERROR : rc;
	*on = str(*settings, "smtp_host") && str(*settings, "mail_from");
	return RC_OK;
}

static int observe(struct resource_ctx *ctx, const char *type, const struct resource *res,
		   int64_t id, const json_t *data)
{
	bool ticket_created = strcmp(type, "ticket.created") == 0;
	bool note = strcmp(type, "ticket.note.created") == 0;
	/* resolved by the action, or by a PATCH of its status (resolved_at is set by that write) */
	bool resolved = strcmp(type, "ticket.resolved") == 0 ||
			(strcmp(type, "ticket.updated") == 0 && str(data, "status") &&
			 strcmp(str(data, "status"), "resolved") == 0 && str(data, "resolved_at") &&
			 str(data, "updated_at") &&
			 strcmp(str(data, "resolved_at"), str(data, "updated_at")) == 0);
	bool quote = strcmp(type, "quote.sent") == 0;
	bool invoice = strcmp(type, "invoice.issued") == 0;
	if (!ticket_created && !note && !resolved && !quote && !invoice)
		return RC_OK;
	if (ticket_created) {
		const char *channel = str(data, "channel");
		if (!channel || (strcmp(channel, "email") != 0 && strcmp(channel, "portal") != 0))
			return RC_OK;
	}
	/* staff writing to the client; a note of the client's own words goes nowhere */
	if (note && (!str(data, "visibility") || strcmp(str(data, "visibility"), "public") != 0 ||
		     !num(data, "author_id") || num(data, "contact_id")))
		return RC_OK;
	struct resource_ctx sys;
	json_t *settings;
	bool on;
	int rc = outgoing(ctx, &sys, &settings, &on);
	if (rc != RC_OK || !on)
		return rc;	/* a failure, or outgoing mail is not set up */
	if (quote)
		return quote_mail(&sys, settings, data);
	if (invoice)
		return invoice_mail(&sys, settings, data);
	json_t *ticket;
	int64_t ticket_id = note ? num(data, "ticket_id") : id;
	rc = resource_get(&sys, &ticket_resource, ticket_id, &ticket);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_OK : rc;
	if (note)
		return ticket_mail(&sys, settings, "note_public", false, ticket, data);
	return ticket_mail(&sys, settings, ticket_created ? "ticket_received" : "ticket_resolved",
			   true, ticket, NULL);
	(void)res;
}

int mail_outgoing(struct resource_ctx *ctx, bool *on)
{
	struct resource_ctx sys;
	json_t *settings;
	return outgoing(ctx, &sys, &settings, on);
}

int mail_queue_staff(struct resource_ctx *ctx, const char *template, const char *to_address,
		     const char *to_name, json_t *vars, bool *queued)
{
	*queued = false;
	struct resource_ctx sys;
	json_t *settings;
	bool on;
	int rc = outgoing(ctx, &sys, &settings, &on);
	if (rc != RC_OK || !on)
		return rc;	/* a failure, or outgoing mail is not set up */
	/* no ticket or quote on the row: it is not the client's thread, and carries no PDF */
	struct draft d = { .template = template, .automatic = true, .to_address = to_address,
			   .to_name = to_name, .vars = vars };
	common_vars(vars, settings, NULL);
	rc = queue(&sys, settings, &d);
	*queued = rc == RC_OK;
	return rc;
}

int mail_queue_contact(struct resource_ctx *ctx, const char *template, int64_t contact_id,
		       const char *to_address, json_t *vars, const char *secret, bool *queued)
{
	*queued = false;
	struct resource_ctx sys;
	json_t *settings, *contact;
	bool on;
	int rc = outgoing(ctx, &sys, &settings, &on);
	if (rc != RC_OK || !on)
		return rc;	/* a failure, or outgoing mail is not set up */
	rc = resource_get(&sys, &contact_resource, contact_id, &contact);
	if (rc != RC_OK)
		return rc;
	if (json_is_string(json_object_get(contact, "email_bounced_at")))
		return RC_OK;	/* nothing goes to a bounced address */
	const char *name = arena_printf(ctx->arena, "%s %s", str(contact, "first_name"),
					str(contact, "last_name"));
	struct draft d = { .template = template, .automatic = true, .to_address = to_address,
			   .to_name = name, .vars = vars, .contact_id = contact_id,
			   .secret = secret };
	common_vars(vars, settings, contact);
	rc = queue(&sys, settings, &d);
	*queued = rc == RC_OK;
	return rc;
}

void mail_observe(void)
{
	resource_observe(observe);
}

void mail_startup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mail_init();
	mail_observe();
}

/* Sending ---------------------------------------------------------------------- */

struct upload {
	const char *data;
	size_t len, at;
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;
	if (n > u->len - u->at)
		n = u->len - u->at;
	memcpy(ptr, u->data + u->at, n);
	u->at += n;
	return n;
}

/* The attachment a message carries: its quote's or invoice's PDF. */
static int attach_document(struct resource_ctx *ctx, const json_t *msg, GMimeMultipart *mixed,
			   char *err, size_t errlen)
{
	const struct resource *res = num(msg, "quote_id") ? &quote_resource : &invoice_resource;
	int64_t id = num(msg, "quote_id") ? num(msg, "quote_id") : num(msg, "invoice_id");
	document_renderer renderer = res == &quote_resource ? quote_pdf_render : invoice_pdf_render;
	json_t *doc;
	if (resource_get(ctx, res, id, &doc) != RC_OK) {
		snprintf(err, errlen, "cannot read the %s to attach", res->singular);
		return -1;
	}
	struct buf pdf;
	if (document_pdf(ctx, doc, renderer, &pdf, err, errlen) < 0)
		return -1;
	GMimePart *part = g_mime_part_new_with_type("application", "pdf");
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(pdf.data, pdf.len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(stream,
								   GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	const char *number = str(doc, "number");
	char *name = g_strdup_printf("%s.pdf", number ? number : "document");
	g_mime_part_set_filename(part, name);
	g_free(name);
	g_mime_multipart_add(mixed, GMIME_OBJECT(part));
	g_object_unref(w);
	g_object_unref(stream);
	g_object_unref(part);
	buf_release(&pdf);
	return 0;
}

/* The message as RFC 5322 text with CRLF line ends (g_free it), or NULL. */
static char *compose(struct resource_ctx *ctx, const json_t *settings, const json_t *msg,
		     char *err, size_t errlen)
{
	mail_init();
	GMimeMessage *m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, str(settings, "firm_name"),
				   str(settings, "mail_from"));
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, str(msg, "to_name"),
				   str(msg, "to_address"));
	g_mime_message_set_subject(m, str(msg, "subject"), "utf-8");
	GDateTime *now = g_date_time_new_from_unix_utc(time_now());
	g_mime_message_set_date(m, now);
	g_date_time_unref(now);
	g_mime_message_set_message_id(m, str(msg, "message_id"));
	GMimeObject *o = GMIME_OBJECT(m);
	if (str(msg, "in_reply_to"))
		g_mime_object_set_header(o, "In-Reply-To",
					 arena_printf(ctx->arena, "<%s>", str(msg, "in_reply_to")),
					 NULL);
	if (str(msg, "references_ids"))
		g_mime_object_set_header(o, "References", str(msg, "references_ids"), NULL);
	if (json_is_true(json_object_get(msg, "automatic"))) {
		g_mime_object_set_header(o, "Auto-Submitted", "auto-generated", NULL);
		/* Exchange: no out-of-office answers to automatic mail */
		g_mime_object_set_header(o, "X-Auto-Response-Suppress", "All", NULL);
	}
	GMimeTextPart *text = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(text, str(msg, "body"));
	g_mime_part_set_content_encoding(GMIME_PART(text), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	char *out = NULL;
	if (num(msg, "quote_id") || num(msg, "invoice_id")) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mixed, GMIME_OBJECT(text));
		if (attach_document(ctx, msg, mixed, err, errlen) < 0) {
			g_object_unref(mixed);
			goto done;
		}
		g_mime_message_set_mime_part(m, GMIME_OBJECT(mixed));
		g_object_unref(mixed);
	} else {
		g_mime_message_set_mime_part(m, GMIME_OBJECT(text));
	}
	GMimeFormatOptions *fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	out = g_mime_object_to_string(o, fo);
	g_mime_format_options_free(fo);
done:
	g_object_unref(text);
	g_object_unref(m);
	return out;
}

enum sent { SENT, TRY_AGAIN, REFUSED };

/* Hands raw to the SMTP server of settings; what it said in detail. */
static enum sent smtp_send(struct resource_ctx *ctx, const json_t *settings, const char *to,
			   const char *raw, char *detail, size_t len)
{
	const char *host = str(settings, "smtp_host");
	const char *security = str(settings, "smtp_security");
	bool tls = security && strcmp(security, "tls") == 0;
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(detail, len, "cannot start libcurl");
		return TRY_AGAIN;
	}
	char url[600], from[300], rcpt[300], errbuf[CURL_ERROR_SIZE] = "";
	snprintf(url, sizeof(url), "%s://%s:%lld", tls ? "smtps" : "smtp", host,
		 (long long)num(settings, "smtp_port"));
	snprintf(from, sizeof(from), "<%s>", str(settings, "mail_from"));
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	struct upload u = { raw, strlen(raw), 0 };
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, tls || (security && strcmp(security, "starttls") == 0)
						     ? (long)CURLUSESSL_ALL
						     : (long)CURLUSESSL_NONE);
	if (str(settings, "smtp_username")) {
		curl_easy_setopt(c, CURLOPT_USERNAME, str(settings, "smtp_username"));
		const char *password = settings_secret(ctx, "smtp_password");
		curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode res = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	if (res == CURLE_OK) {
		snprintf(detail, len, "accepted by %s (%ld)", host, code);
		return SENT;
	}
	snprintf(detail, len, "%s%s%s%s", curl_easy_strerror(res), *errbuf ? ": " : "", errbuf,
		 code ? "" : "");
	if (code)
		snprintf(detail + strlen(detail), len - strlen(detail), " (the server answered %ld)",
			 code);
	/* a 5xx is the server's final word (but not a refused login, which settings can fix) */
	return code >= 500 && code < 600 && code != 535 && code != 530 ? REFUSED : TRY_AGAIN;
}

int mail_record_attempt(struct resource_ctx *ctx, int64_t id, bool ok, const char *detail,
			const json_t *patch)
{
	char at[TIME_RFC3339_LEN];
	time_format(time_now(), at);
	int rc = db_run(ctx->db, NULL, "INSERT INTO outbound_attempts (message_id, at, ok, detail)"
			" VALUES (?, ?, ?, ?)", "isis", id, at, (int64_t)ok, detail);
	if (rc != RC_DONE)
		return rc;
	json_t *out, *errors = NULL;
	rc = resource_update_trusted(ctx, &outbound_message_resource, id, patch, &out, &errors);
	return rc == RC_INVALID ? RC_ERROR : rc;
}

/* One line of the delivery log, and the message's state, in one transaction. */
struct outcome {
	struct resource_ctx *ctx;
	int64_t id;
	bool ok;
	const char *detail;
	json_t *patch;
};

static int record_txn(struct db *db, void *arg)
{
	struct outcome *o = arg;
	return mail_record_attempt(o->ctx, o->id, o->ok, o->detail, o->patch);
}

enum job_result mail_send_run(struct db *db, const json_t *payload, char *error, size_t errlen)
{
	int64_t id = num(payload, "id");
	struct arena arena;
	arena_init(&arena);
	struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &mail_actor,
				    .trusted = true };
	enum job_result result = JOB_DONE;
	json_t *msg, *settings;
	int rc = resource_get(&ctx, &outbound_message_resource, id, &msg);
	if (rc == RC_NOT_FOUND)
		goto out;
	if (rc != RC_OK || resource_get(&ctx, &settings_resource, SETTINGS_ID, &settings) != RC_OK) {
		snprintf(error, errlen, "cannot read outbound message %lld: %s", (long long)id,
			 db_errmsg(db));
		result = JOB_RETRY;
		goto out;
	}
	if (strcmp(str(msg, "status"), "queued") != 0)
		goto out;	/* sent meanwhile, or given up */
	struct db_stmt *st;
	rc = db_run(db, &st, "SELECT secret_body FROM outbound_messages WHERE id = ?", "i", id);
	if (rc != RC_ROW) {
		snprintf(error, errlen, "cannot read outbound message %lld: %s", (long long)id,
			 db_errmsg(db));
		result = JOB_RETRY;
		goto out;
	}
	if (!db_col_null(st, 0))
		json_object_set_new(msg, "body", json_string(db_col_text(st, 0)));
	db_done(st);
	int64_t ticket = num(msg, "ticket_id");
	if (ticket) {
		/* a ticket's thread: its first message, and the client's latest we answer */
		const char *root = mail_ticket_thread_id(&ctx, ticket, our_domain(settings));
		const char *last = latest_from_client(&ctx, ticket);
		json_object_set_new(msg, "in_reply_to", json_string(last ? last : root));
		json_object_set_new(msg, "references_ids",
				    json_string(last && strcmp(last, root) != 0
							? arena_printf(&arena, "<%s> <%s>", root, last)
							: arena_printf(&arena, "<%s>", root)));
	}
	char detail[1024];
	enum sent sent;
	if (!str(settings, "smtp_host") || !str(settings, "mail_from")) {
		snprintf(detail, sizeof(detail), "outgoing mail is not set up (settings: smtp_host, "
			 "mail_from)");
		sent = TRY_AGAIN;
	} else {
		char *raw = compose(&ctx, settings, msg, detail, sizeof(detail));
		if (!raw)
			sent = TRY_AGAIN;
		else
			sent = smtp_send(&ctx, settings, str(msg, "to_address"), raw, detail,
					 sizeof(detail));
		g_free(raw);
	}
	int64_t attempts = num(msg, "attempts") + 1;
	bool give_up = sent == REFUSED || (sent == TRY_AGAIN && attempts >= MAX_ATTEMPTS);
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	json_t *patch = arena_json(&arena, json_pack("{s:s, s:I}", "status",
						     sent == SENT ? "sent" : give_up ? "failed" : "queued",
						     "attempts", (json_int_t)attempts));
	if (!patch) {
		result = JOB_RETRY;
		goto out;
	}
	if (ticket) {
		json_object_set(patch, "in_reply_to", json_object_get(msg, "in_reply_to"));
		json_object_set(patch, "references_ids", json_object_get(msg, "references_ids"));
	}
	if (sent == SENT)
		json_object_set_new(patch, "sent_at", json_string(now));
	else
		json_object_set_new(patch, "last_error", json_string(detail));
	struct outcome o = { &ctx, id, sent == SENT, detail, patch };
	rc = db_txn(db, record_txn, &o);
	if (rc != RC_OK) {
		/* sent but not recorded: sending again is worse than a missing log line */
		log_error("mail: message %lld: %s; cannot record it: %s", (long long)id, detail,
			  db_errmsg(db));
		if (sent != SENT) {
			snprintf(error, errlen, "%s", detail);
			result = JOB_RETRY;
		}
		goto out;
	}
	if (sent == SENT) {
		log_info("mail: message %lld to %s: %s", (long long)id, str(msg, "to_address"), detail);
	} else {
		log_warn("mail: message %lld to %s: %s%s", (long long)id, str(msg, "to_address"),
			 detail, give_up ? " (given up)" : "");
		snprintf(error, errlen, "%s", detail);
		result = give_up ? JOB_FAIL : JOB_RETRY;
	}
out:
	arena_release(&arena);
	return result;
}

int mail_send_test(struct resource_ctx *ctx, const char *to, char *detail, size_t len)
{
	json_t *settings;
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	if (resource_get(&sys, &settings_resource, SETTINGS_ID, &settings) != RC_OK)
		return RC_ERROR;
	if (!str(settings, "smtp_host") || !str(settings, "mail_from")) {
		snprintf(detail, len, "outgoing mail is not set up: set smtp_host and mail_from");
		return 0;
	}
	unsigned char rnd[8];
	char hex[17];
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	json_t *msg = arena_json(ctx->arena, json_pack(
		"{s:s, s:s, s:s, s:s, s:b}", "to_address", to, "subject",
		arena_printf(ctx->arena, "Test message from %s", str(settings, "firm_name")), "body",
		"This is a test of the outgoing mail settings. It arrived, so they work.",
		"message_id", arena_printf(ctx->arena, "servio.test.%s@%s", hex, our_domain(settings)),
		"automatic", 1));
	if (!msg)
		return RC_ERROR;
	char *raw = compose(&sys, settings, msg, detail, len);
	if (!raw)
		return 0;
	enum sent sent = smtp_send(&sys, settings, to, raw, detail, len);
	g_free(raw);
	return sent == SENT ? 1 : 0;
}
