/*
 * notify.c - staff notifications (see notify.h): the observer that turns
 * events into a row per recipient and, for the kinds they chose, a mail;
 * and what the API needs to read them, mark them read and set the choices.
 */
#include "notify.h"

#include "auth/auth.h"
#include "core/log.h"
#include "core/money.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "mail/mail.h"
#include "quotes/quotes.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECIPIENTS 64

const char *const notify_kinds[] = { "assigned", "client_replied", "sla_warning",
				     "quote_accepted", "negative_rating", NULL };

static const struct field notification_fields[] = {
	{ .name = "user_id", .type = FT_REF, .flags = F_READ_ONLY | F_NOT_NULL,
	  .ref = &user_resource,
	  .doc = "Whom it is for: always the caller." },
	{ .name = "kind", .type = FT_ENUM, .flags = F_READ_ONLY | F_FILTER | F_NOT_NULL,
	  .enum_values = notify_kinds,
	  .doc = "`assigned` (a service order is yours now), `client_replied` (the client wrote "
		 "on one), `sla_warning` (75, 90 or 100 % of an SLA target used), "
		 "`quote_accepted`, `negative_rating` (a survey answered with 1 or 2)." },
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &ticket_resource, .doc = "The service order it is about, if any." },
	{ .name = "quote_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &quote_resource, .doc = "The quote it is about, if any." },
	{ .name = "title", .type = FT_TEXT, .flags = F_READ_ONLY | F_NOT_NULL, .min = 1, .max = 300,
	  .doc = "One line: what happened." },
	{ .name = "body", .type = FT_TEXT, .flags = F_READ_ONLY, .max = 2000,
	  .doc = "More: the ticket's subject, the start of the client's words." },
	{ .name = "link", .type = FT_TEXT, .flags = F_READ_ONLY | F_NOT_NULL, .max = 200,
	  .doc = "Where it is in the UI (`/tickets/42`, `/quotes/7`)." },
	{ .name = "emailed", .type = FT_BOOL, .flags = F_READ_ONLY | F_NOT_NULL,
	  .doc = "Whether a mail was queued for it too (the user chose the kind)." },
	{ .name = "read", .type = FT_BOOL, .flags = F_READ_ONLY | F_FILTER | F_NOT_NULL, .dflt = "false",
	  .doc = "Whether the user has read it; `read=false` lists the unread." },
	{ .name = "read_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When it was marked read; null while unread." },
	FIELD_END
};

const struct resource notification_resource = {
	.name = "notifications",
	.singular = "notification",
	.table = "notifications",
	.fields = notification_fields,
	.default_sort = "-created_at",
	.doc = "What happened that is yours to act on; each user reads only their own.",
};

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static bool listed(const json_t *array, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(array, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* Making them ------------------------------------------------------------- */

/* Whom one event tells: distinct users, never the one whose change it was. */
struct recipients {
	int64_t id[MAX_RECIPIENTS];
	int n;
	int64_t actor;
};

static void add(struct recipients *r, int64_t user)
{
	if (!user || user == r->actor || r->n == MAX_RECIPIENTS)
		return;
	for (int i = 0; i < r->n; i++)
		if (r->id[i] == user)
			return;
	r->id[r->n++] = user;
}

/* What one event says; vars are the mail's placeholders (ctx->arena). */
struct notice {
	const char *kind, *template;
	int64_t ticket_id, quote_id;
	const char *title, *body, *link;
	json_t *vars;
	unsigned roles;	/* who may be told (the link must open for them); 0: anyone */
};

/*
 * What a notice needs of a user, read straight from the row: a sweep
 * tells thousands, and the engine's whole record costs several times as
 * much (the caller is trusted: every user row, as resource_get would).
 */
struct addressee {
	bool found, active;
	const char *role, *email, *name;
	json_t *notify_email;	/* the kinds mailed too (arena) */
};

#define MEMO_USERS 64

/* notify_memo_new's: each read once, in its arena */
struct notify_memo {
	struct arena *arena;
	bool managers_read, url_read, mail_read, mail_on;
	int nmanagers;
	int64_t managers[MAX_RECIPIENTS];
	const char *public_url;
	/* the last ticket told of (its members that on_sla reads) and company named */
	int64_t ticket_id, company_id;
	json_t *ticket, *company_name;
	int nusers;
	int64_t user_id[MEMO_USERS];
	struct addressee user[MEMO_USERS];
};

struct notify_memo *notify_memo_new(struct arena *a)
{
	struct notify_memo *m = arena_alloc(a, sizeof(*m));
	if (m) {
		memset(m, 0, sizeof(*m));
		m->arena = a;
	}
	return m;
}

/* The active managers, read once a memo when there is one. */
static int add_managers(struct resource_ctx *ctx, struct recipients *r)
{
	struct notify_memo *m = ctx->memo;
	int64_t read[MAX_RECIPIENTS];
	int none = 0;
	int64_t *id = m ? m->managers : read;
	int *n = m ? &m->nmanagers : &none;
	if (!m || !m->managers_read) {
		struct db_stmt *st = db_prepare(ctx->db, "SELECT id FROM users WHERE role = 'manager'"
						" AND active = 1 AND archived_at IS NULL ORDER BY id");
		if (!st)
			return RC_ERROR;
		int rc;
		while ((rc = db_step(st)) == RC_ROW)
			if (*n < MAX_RECIPIENTS)
				id[(*n)++] = db_col_int(st, 0);
		db_done(st);
		if (rc != RC_DONE)
			return rc;
		if (m)
			m->managers_read = true;
	}
	for (int i = 0; i < *n; i++)
		add(r, id[i]);
	return RC_OK;
}

/* Column c's text in arena a, or NULL for NULL (or no memory). */
static const char *col_text(struct arena *a, struct db_stmt *st, int c)
{
	const char *s = db_col_null(st, c) ? NULL : db_col_text(st, c);
	return s ? arena_strdup(a, s) : NULL;
}

/* User uid as a notice needs them (a->found false when there is none), in the memo if any. */
static int addressee(struct resource_ctx *ctx, int64_t uid, struct addressee *a)
{
	struct notify_memo *m = ctx->memo;
	for (int i = 0; m && i < m->nusers; i++)
		if (m->user_id[i] == uid) {
			*a = m->user[i];
			return RC_OK;
		}
	struct arena *ar = m && m->nusers < MEMO_USERS ? m->arena : ctx->arena;
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT active, role, email, name, notify_email FROM users"
			" WHERE id = ?", "i", uid);
	if (rc != RC_ROW && rc != RC_DONE)
		return rc;
	*a = (struct addressee){ .found = rc == RC_ROW };
	if (a->found) {
		a->active = db_col_int(st, 0) != 0;
		a->role = col_text(ar, st, 1);
		a->email = col_text(ar, st, 2);
		a->name = col_text(ar, st, 3);
		const char *kinds = db_col_null(st, 4) ? NULL : db_col_text(st, 4);
		a->notify_email = kinds ? arena_json(ar, json_loads(kinds, 0, NULL)) : NULL;
		db_done(st);
	}
	if (ar != ctx->arena) {
		m->user_id[m->nusers] = uid;
		m->user[m->nusers++] = *a;
	}
	return RC_OK;
}

/* Whether outgoing mail is set up: read for each notice, or once in the memo. */
static int mail_on(struct resource_ctx *ctx, bool *on)
{
	struct notify_memo *m = ctx->memo;
	if (!m) {
		*on = true;	/* mail_queue_staff reads the settings and sees */
		return RC_OK;
	}
	if (!m->mail_read) {
		int rc = mail_outgoing(ctx, &m->mail_on);
		if (rc != RC_OK)
			return rc;
		m->mail_read = true;
	}
	*on = m->mail_on;
	return RC_OK;
}

static const char *public_url(struct resource_ctx *ctx)
{
	struct notify_memo *m = ctx->memo;
	if (!m)
		return settings_public_url(ctx);
	if (!m->url_read) {
		struct resource_ctx c = *ctx;
		c.arena = m->arena;
		m->public_url = settings_public_url(&c);
		m->url_read = true;
	}
	return m->public_url;
}

/* The row for one user, and their mail when they chose the kind. */
static int tell(struct resource_ctx *ctx, const struct notice *n, const char *public_url,
		int64_t uid)
{
	struct addressee user;
	int rc = addressee(ctx, uid, &user);
	if (rc != RC_OK)
		return rc;
	if (!user.found || !user.active)
		return RC_OK;
	if (n->roles && !(role_parse(user.role) & n->roles))
		return RC_OK;
	bool emailed = false, mail = false;
	if (user.email && listed(user.notify_email, n->kind) && (rc = mail_on(ctx, &mail)) != RC_OK)
		return rc;
	if (mail) {
		json_t *vars = arena_json(ctx->arena, json_deep_copy(n->vars));
		if (!vars)
			return RC_ERROR;
		json_object_set_new(vars, "user_name", user.name ? json_string(user.name) : json_null());
		json_object_set_new(vars, "link", json_string(arena_printf(
			ctx->arena, "%s%s", public_url ? public_url : "", n->link)));
		rc = mail_queue_staff(ctx, n->template, user.email, user.name, vars, &emailed);
		if (rc != RC_OK)
			return rc;
	}
	json_t *row = arena_json(ctx->arena, json_pack(
		"{s:I, s:s, s:s, s:s, s:b, s:b}", "user_id", (json_int_t)uid, "kind", n->kind, "title",
		n->title, "link", n->link, "emailed", emailed, "read", 0));
	if (!row)
		return RC_ERROR;
	if (n->body)
		json_object_set_new(row, "body", json_string(n->body));
	if (n->ticket_id)
		json_object_set_new(row, "ticket_id", json_integer(n->ticket_id));
	if (n->quote_id)
		json_object_set_new(row, "quote_id", json_integer(n->quote_id));
	json_t *errors = NULL;
	rc = resource_create_trusted(ctx, &notification_resource, row, NULL, &errors);
	if (rc == RC_INVALID || rc == RC_CONFLICT) {
		char *e = json_dumps(errors, JSON_COMPACT);
		log_error("notify: cannot record a %s notification for user %lld: %s", n->kind,
			  (long long)uid, e ? e : "");
		free(e);
		return RC_ERROR;
	}
	return rc;
}

static int tell_all(struct resource_ctx *ctx, const struct notice *n, const struct recipients *r)
{
	const char *base = public_url(ctx);
	int rc = RC_OK;
	for (int i = 0; rc == RC_OK && i < r->n; i++)
		rc = tell(ctx, n, base, r->id[i]);
	return rc;
}

/* The placeholders every ticket notice has. */
static json_t *ticket_vars(struct resource_ctx *ctx, const json_t *ticket)
{
	json_t *vars = arena_json(ctx->arena, json_object());
	if (!vars)
		return NULL;
	json_object_set(vars, "ticket_number", json_object_get(ticket, "number"));
	json_object_set(vars, "ticket_subject", json_object_get(ticket, "subject"));
	json_object_set(vars, "ticket_priority", json_object_get(ticket, "priority"));
	/* the company's name read straight (see addressee); with a memo, once for a run of its tickets */
	struct notify_memo *m = ctx->memo;
	int64_t id = num(ticket, "company_id");
	if (m && id && m->company_id == id) {
		json_object_set(vars, "company_name", m->company_name);
		return vars;
	}
	/* or the company's row, read ahead by the sweep */
	json_t *company = m && id ? resource_rows_get(ctx->rows, &company_resource, id) : NULL;
	if (company) {
		json_object_set(vars, "company_name", json_object_get(company, "name"));
		return vars;
	}
	struct db_stmt *st;
	if (id && db_run(ctx->db, &st, "SELECT name FROM companies WHERE id = ?", "i", id) == RC_ROW) {
		json_t *name = json_string(db_col_text(st, 0));
		db_done(st);
		if (name && m && (m->company_name = arena_json(m->arena, json_incref(name))))
			m->company_id = id;
		json_object_set_new(vars, "company_name", name);
	}
	return vars;
}

static const char *user_name(struct resource_ctx *ctx, int64_t id)
{
	json_t *u;
	if (id && resource_get(ctx, &user_resource, id, &u) == RC_OK)
		return str(u, "name");
	return NULL;
}

static int on_assigned(struct resource_ctx *ctx, const json_t *ticket, struct recipients *r)
{
	add(r, num(ticket, "assignee_id"));
	if (!r->n)
		return RC_OK;	/* assigning yourself is no news */
	json_t *vars = ticket_vars(ctx, ticket);
	if (!vars)
		return RC_ERROR;
	const char *who = user_name(ctx, r->actor);
	if (!who)
		who = ctx->actor && ctx->actor->label ? ctx->actor->label : "The system";
	json_object_set_new(vars, "actor_name", json_string(who));
	struct notice n = {
		.kind = "assigned", .template = "notify_assigned", .ticket_id = num(ticket, "id"),
		.title = arena_printf(ctx->arena, "%s assigned to you by %s", str(ticket, "number"),
				      who),
		.body = str(ticket, "subject"),
		.link = arena_printf(ctx->arena, "/tickets/%lld", (long long)num(ticket, "id")),
		.vars = vars,
	};
	return tell_all(ctx, &n, r);
}

/* A note of the client's words: whoever has the ticket, else the managers. */
static int on_client_note(struct resource_ctx *ctx, const json_t *note, struct recipients *r)
{
	json_t *ticket, *contact;
	int rc = resource_get(ctx, &ticket_resource, num(note, "ticket_id"), &ticket);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_OK : rc;
	if (num(ticket, "assignee_id"))
		add(r, num(ticket, "assignee_id"));
	else if ((rc = add_managers(ctx, r)) != RC_OK)
		return rc;
	if (!r->n)
		return RC_OK;
	json_t *vars = ticket_vars(ctx, ticket);
	if (!vars)
		return RC_ERROR;
	const char *client = "The client";
	if (resource_get(ctx, &contact_resource, num(note, "contact_id"), &contact) == RC_OK)
		client = arena_printf(ctx->arena, "%s %s", str(contact, "first_name"),
				      str(contact, "last_name"));
	json_object_set_new(vars, "client_name", json_string(client));
	json_object_set(vars, "note_body", json_object_get(note, "body"));
	struct notice n = {
		.kind = "client_replied", .template = "notify_client_replied",
		.ticket_id = num(ticket, "id"),
		.title = arena_printf(ctx->arena, "%s: %s replied", str(ticket, "number"), client),
		.body = mail_truncate(ctx->arena, str(note, "body") ? str(note, "body") : "", 500),
		.link = arena_printf(ctx->arena, "/tickets/%lld", (long long)num(ticket, "id")),
		.vars = vars,
	};
	return tell_all(ctx, &n, r);
}

/*
 * The members of ticket id a warning's notice uses, read straight (see
 * addressee); with a memo, once for the warnings of one ticket (the sweep
 * writes its clocks, not these).
 */
static int sla_ticket(struct resource_ctx *ctx, int64_t id, json_t **out)
{
	struct notify_memo *m = ctx->memo;
	if (m && m->ticket_id == id) {
		*out = m->ticket;
		return RC_OK;
	}
	/* with a memo, the row the sweep read ahead has them, if it did */
	json_t *row = m ? resource_rows_get(ctx->rows, &ticket_resource, id) : NULL;
	if (row) {
		*out = row;
		return RC_OK;
	}
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT number, subject, priority, assignee_id, company_id"
			" FROM tickets WHERE id = ?", "i", id);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_NOT_FOUND : rc;
	json_t *ticket = arena_json(m ? m->arena : ctx->arena, json_object());
	for (int c = 0; ticket && c < 5; c++) {
		static const char *const names[] = { "number", "subject", "priority", "assignee_id",
						     "company_id" };
		json_t *v = db_col_null(st, c) ? json_null()
			    : c < 3	       ? json_string(db_col_text(st, c))
					       : json_integer(db_col_int(st, c));
		if (json_object_set_new(ticket, names[c], v) < 0)
			ticket = NULL;
	}
	db_done(st);
	if (!ticket)
		return RC_ERROR;
	if (m) {
		m->ticket_id = id;
		m->ticket = ticket;
	}
	*out = ticket;
	return RC_OK;
}

static int on_sla(struct resource_ctx *ctx, int64_t id, const json_t *warning,
		  struct recipients *r)
{
	int64_t percent = num(warning, "percent");
	const char *clock = str(warning, "clock");
	if ((percent != 75 && percent != 90 && percent != 100) || !clock)
		return RC_OK;
	json_t *ticket = NULL;
	int rc = sla_ticket(ctx, id, &ticket);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_OK : rc;
	add(r, num(ticket, "assignee_id"));
	if ((rc = add_managers(ctx, r)) != RC_OK || !r->n)
		return rc;
	json_t *vars = ticket_vars(ctx, ticket);
	if (!vars)
		return RC_ERROR;
	json_object_set_new(vars, "sla_percent",
			    json_string(arena_printf(ctx->arena, "%lld", (long long)percent)));
	json_object_set_new(vars, "sla_clock", json_string(clock));
	json_object_set(vars, "sla_due_at", json_object_get(warning, "due_at"));
	struct notice n = {
		.kind = "sla_warning", .template = "notify_sla", .ticket_id = id,
		.title = percent == 100
				 ? arena_printf(ctx->arena, "%s: the %s time is up",
						str(ticket, "number"), clock)
				 : arena_printf(ctx->arena, "%s: %lld %% of the %s time used",
						str(ticket, "number"), (long long)percent, clock),
		.body = str(ticket, "subject"),
		.link = arena_printf(ctx->arena, "/tickets/%lld", (long long)id),
		.vars = vars,
	};
	return tell_all(ctx, &n, r);
}

/* Who made the quote: the actor of its create entry in the audit log. */
static int quote_author(struct resource_ctx *ctx, int64_t id, int64_t *author)
{
	struct db_stmt *st;
	*author = 0;
	int rc = db_run(ctx->db, &st, "SELECT actor_id FROM audit_log WHERE resource = 'quotes'"
			" AND record_id = ? AND action = 'create' ORDER BY id LIMIT 1", "i", id);
	if (rc == RC_ROW) {
		*author = db_col_int(st, 0);
		db_done(st);
		return RC_OK;
	}
	return rc == RC_DONE ? RC_OK : rc;
}

static int on_quote_accepted(struct resource_ctx *ctx, const json_t *quote, struct recipients *r)
{
	int64_t author, id = num(quote, "id");
	int rc = quote_author(ctx, id, &author);
	if (rc != RC_OK)
		return rc;
	add(r, author);
	json_t *opp, *company;
	if (num(quote, "opportunity_id") &&
	    resource_get(ctx, &opportunity_resource, num(quote, "opportunity_id"), &opp) == RC_OK)
		add(r, num(opp, "owner_id"));
	if ((rc = add_managers(ctx, r)) != RC_OK || !r->n)
		return rc;
	json_t *vars = arena_json(ctx->arena, json_object());
	if (!vars)
		return RC_ERROR;
	json_object_set(vars, "quote_number", json_object_get(quote, "number"));
	json_object_set(vars, "quote_title", json_object_get(quote, "title"));
	json_object_set(vars, "accepted_name", json_object_get(quote, "accepted_name"));
	char total[MONEY_TEXT_LEN];
	money_format(num(quote, "total"), str(quote, "currency") ? str(quote, "currency") : "USD",
		     total);
	json_object_set_new(vars, "quote_total", json_string(total));
	const char *company_name = NULL;
	if (resource_get(ctx, &company_resource, num(quote, "company_id"), &company) == RC_OK)
		company_name = str(company, "name");
	json_object_set_new(vars, "company_name", json_string(company_name ? company_name : ""));
	struct notice n = {
		.kind = "quote_accepted", .template = "notify_quote_accepted", .quote_id = id,
		.title = arena_printf(ctx->arena, "%s accepted%s%s", str(quote, "number"),
				      company_name ? " by " : "", company_name ? company_name : ""),
		.body = arena_printf(ctx->arena, "%s (%s)", str(quote, "title"), total),
		.link = arena_printf(ctx->arena, "/quotes/%lld", (long long)id),
		.vars = vars,
		.roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES | ROLE_BILLING,
	};
	return tell_all(ctx, &n, r);
}

int notify_negative_rating(struct resource_ctx *ctx, const json_t *ticket, int rating,
			   const char *client, const char *comment, const int64_t *users, int n)
{
	struct resource_ctx sys = *ctx;
	sys.parent_id = 0;
	sys.trusted = true;
	sys.scope_company = 0;
	struct recipients r = { .n = 0, .actor = ctx->actor ? ctx->actor->user_id : 0 };
	for (int i = 0; i < n; i++)
		add(&r, users[i]);
	if (!r.n)
		return RC_OK;
	json_t *vars = ticket_vars(&sys, ticket);
	if (!vars)
		return RC_ERROR;
	const char *rated = arena_printf(sys.arena, "%d", rating);
	json_object_set_new(vars, "client_name", json_string(client));
	json_object_set_new(vars, "rating", json_string(rated));
	json_object_set_new(vars, "survey_comment", json_string(comment ? comment : ""));
	struct notice no = {
		.kind = "negative_rating", .template = "notify_negative_rating",
		.ticket_id = num(ticket, "id"),
		.title = arena_printf(sys.arena, "%s rated %d/5 by %s", str(ticket, "number"), rating,
				      client),
		.body = comment && *comment ? mail_truncate(sys.arena, comment, 500)
					    : str(ticket, "subject"),
		.link = arena_printf(sys.arena, "/tickets/%lld", (long long)num(ticket, "id")),
		.vars = vars,
	};
	return tell_all(&sys, &no, &r);
}

static int observe(struct resource_ctx *ctx, const char *type, const struct resource *res,
		   int64_t id, const json_t *data)
{
	bool assigned = strcmp(type, "ticket.assigned") == 0;
	/*
	 * the client's words: a note recording a contact's, or a public note no
	 * staff member wrote (mail from the client's domain by someone who is no
	 * contact yet: inbound.c names the sender in the note)
	 */
	const char *visibility = str(data, "visibility");
	bool note = strcmp(type, "ticket.note.created") == 0 &&
		    (num(data, "contact_id") ||
		     (!num(data, "author_id") && visibility && strcmp(visibility, "public") == 0));
	bool sla = strcmp(type, "ticket.sla_warning") == 0;
	bool quote = strcmp(type, "quote.accepted") == 0;
	if (!assigned && !note && !sla && !quote)
		return RC_OK;
	struct resource_ctx sys = *ctx;
	sys.parent_id = 0;
	sys.trusted = true;
	sys.scope_company = 0;
	struct recipients r = { .n = 0, .actor = ctx->actor ? ctx->actor->user_id : 0 };
	if (assigned)
		return on_assigned(&sys, data, &r);
	if (note)
		return on_client_note(&sys, data, &r);
	if (sla)
		return on_sla(&sys, id, data, &r);
	return on_quote_accepted(&sys, data, &r);
	(void)res;
}

void notify_startup(void)
{
	resource_observe(observe);
}

/* Reading them -------------------------------------------------------------- */

int notify_unread(struct resource_ctx *ctx, int64_t user, int64_t *n)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT COUNT(*) FROM notifications WHERE user_id = ?"
			" AND read = 0 AND archived_at IS NULL", "i", user);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	*n = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

int notify_mark_read(struct resource_ctx *ctx, int64_t user, int64_t id, json_t **out)
{
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	json_t *cur;
	int rc = resource_get(&sys, &notification_resource, id, &cur);
	if (rc != RC_OK)
		return rc;
	if (num(cur, "user_id") != user)
		return RC_NOT_FOUND;	/* someone else's is as good as none */
	if (json_is_true(json_object_get(cur, "read"))) {
		*out = cur;
		return RC_OK;
	}
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now ? ctx->now : time_now(), now);
	json_t *patch = arena_json(ctx->arena, json_pack("{s:b, s:s}", "read", 1, "read_at", now));
	json_t *errors = NULL;
	return patch ? resource_update_trusted(&sys, &notification_resource, id, patch, out, &errors)
		     : RC_ERROR;
}

struct all_read {
	struct resource_ctx *ctx;
	int64_t user, n;
};

static int all_read_txn(struct db *db, void *arg)
{
	struct all_read *a = arg;
	a->n = 0;
	for (;;) {
		/* a page at a time: each is marked through the engine (audited) */
		int64_t ids[200];
		int k = 0, rc;
		struct db_stmt *st = db_prepare(db, "SELECT id FROM notifications WHERE user_id = ?"
						" AND read = 0 AND archived_at IS NULL ORDER BY id"
						" LIMIT 200");
		if (!st)
			return RC_ERROR;
		db_bind_int(st, 1, a->user);
		while ((rc = db_step(st)) == RC_ROW && k < 200)
			ids[k++] = db_col_int(st, 0);
		db_done(st);
		if (rc != RC_DONE && rc != RC_ROW)
			return rc;
		for (int i = 0; i < k; i++) {
			json_t *out;
			rc = notify_mark_read(a->ctx, a->user, ids[i], &out);
			if (rc != RC_OK)
				return rc;
		}
		a->n += k;
		if (k < 200)
			return RC_OK;
	}
}

int notify_mark_all_read(struct resource_ctx *ctx, int64_t user, int64_t *n)
{
	struct all_read a = { ctx, user, 0 };
	int rc = db_txn(ctx->db, all_read_txn, &a);
	if (rc == RC_OK)
		*n = a.n;
	return rc;
}

/* Choices ----------------------------------------------------------------- */

int notify_settings(struct resource_ctx *ctx, int64_t user, json_t **out)
{
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	json_t *u;
	int rc = resource_get(&sys, &user_resource, user, &u);
	if (rc != RC_OK)
		return rc;
	json_t *kinds = json_array();
	for (const char *const *k = notify_kinds; kinds && *k; k++)
		json_array_append_new(kinds, json_string(*k));
	json_t *email = json_object_get(u, "notify_email");
	*out = arena_json(ctx->arena, json_pack("{s:O, s:o}", "email",
						json_is_array(email) ? email : json_array(),
						"kinds", kinds));
	return *out ? RC_OK : RC_ERROR;
}

int notify_settings_set(struct resource_ctx *ctx, int64_t user, const json_t *body,
			json_t **out, json_t **errors)
{
	json_t *errs = arena_json(ctx->arena, json_array());
	if (!errs)
		return RC_ERROR;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v) {
		if (strcmp(key, "email") != 0)
			resource_error(errs, key, "is not a field here; the field is email");
	}
	json_t *email = json_object_get(body, "email");
	json_t *chosen = arena_json(ctx->arena, json_array());
	if (!chosen)
		return RC_ERROR;
	if (!email) {
		resource_error(errs, "email", "is required: the kinds to send by e-mail (may be [])");
	} else if (!json_is_array(email)) {
		resource_error(errs, "email", "must be an array of kinds");
	} else {
		size_t i;
		json_array_foreach(email, i, v) {
			const char *k = json_string_value(v);
			bool known = false;
			for (const char *const *n = notify_kinds; k && *n && !known; n++)
				known = strcmp(*n, k) == 0;
			if (!known) {
				resource_error(errs, "email", arena_printf(
					ctx->arena, "item %zu is no kind of notification; the kinds "
					"are assigned, client_replied, sla_warning, quote_accepted, "
					"negative_rating", i));
				break;
			}
			if (!listed(chosen, k))
				json_array_append_new(chosen, json_string(k));
		}
	}
	if (json_array_size(errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	json_t *patch = arena_json(ctx->arena, json_pack("{s:O}", "notify_email", chosen));
	json_t *rec, *uerrs = NULL;
	int rc = patch ? resource_update_trusted(&sys, &user_resource, user, patch, &rec, &uerrs)
		       : RC_ERROR;
	if (rc != RC_OK)
		return rc == RC_INVALID ? RC_ERROR : rc;
	return notify_settings(ctx, user, out);
}
