/*
 * service.h - the service desk: calendars, SLA policies and contracts (the
 * terms a ticket is worked under), service orders (tickets) with their
 * notes, history and SLA clocks, and time entries.
 *
 * The resources are tables for the engine; the rules particular to them
 * (status transitions, numbers, clocks) are hooks in contracts.c and
 * tickets.c.
 */
#ifndef SERVIO_SERVICE_H
#define SERVIO_SERVICE_H

#include "resource/resource.h"

extern const struct resource calendar_resource;		/* /api/v1/calendars */
extern const struct resource sla_policy_resource;	/* /api/v1/sla-policies */
extern const struct resource contract_resource;		/* /api/v1/contracts */
extern const struct resource ticket_resource;		/* /api/v1/tickets */
extern const struct resource ticket_note_resource;	/* /api/v1/tickets/{id}/notes */
extern const struct resource time_entry_resource;	/* /api/v1/time-entries */
extern const struct resource ticket_event_resource;	/* /api/v1/tickets/{id}/history */
extern const struct resource checklist_template_resource; /* /api/v1/checklist-templates */
extern const struct resource checklist_item_resource;	/* /api/v1/tickets/{id}/checklist */
extern const struct resource part_resource;		/* /api/v1/tickets/{id}/parts */
extern const struct resource appointment_resource;	/* /api/v1/appointments */
extern const struct resource recurring_resource;	/* /api/v1/recurring-tickets */
extern const struct resource alert_resource;		/* /api/v1/alerts (alerts.c) */

/* Ticket statuses in the order people think of them; NULL-terminated. */
extern const char *const ticket_statuses[];
/* Ticket kinds: incident, service_request, …; NULL-terminated. */
extern const char *const ticket_kinds[];

/*
 * The ticket actions are rows of ticket_resource's action table
 * (escalate, merge, resolve, close, reopen: POST /tickets/{id}/{action});
 * this one is the server's own: the service desk job closes a resolved
 * ticket nobody answered, body {after_days}.
 */
extern const struct resource_action ticket_autoclose;
/* Close a resolved ticket (a client confirming it in the portal): no body. */
extern const struct resource_action ticket_close;
/* Reopen (a client's mail to a resolved ticket reopens it): body {reason}. */
extern const struct resource_action ticket_reopen;
/* Time entry actions: approve and unapprove (POST /time-entries/{id}/approve). */
extern const struct resource_action time_approve;
extern const struct resource_action time_unapprove;

/*
 * GET /tickets/{id}/candidates: active technicians ranked for the ticket
 * by required skills, valid certifications, open workload and booked time
 * in the next working day, each with the reasons. *out: owned by ctx->arena.
 */
int ticket_candidates(struct resource_ctx *ctx, int64_t id, json_t **out);

/*
 * GET /tickets/{id}/sla: the policy, both clocks as of now and the
 * timeline of counted, skipped and paused intervals that explains the due
 * times (see sla.h for the shape). *out (ctx->arena), on RC_OK.
 */
int ticket_sla_explain(struct resource_ctx *ctx, int64_t id, json_t **out);

/*
 * The quality dashboard (quality_dashboard.c, docs/QUALITY.md): SLA
 * compliance by month and by client, first-contact resolution, reopen
 * rate (each by month) over the dates [from, to), and the open backlog by
 * age and priority as of ctx->now; company (0: all) narrows every part.
 * quality_period first fills the period's defaults (the 12 calendar
 * months up to the one holding now, or the day before to) into from_out
 * and to_out, or returns RC_INVALID with *problem saying why (from not
 * before to, more than 120 months). quality_dashboard: RC_OK and *out
 * (ctx->arena), RC_NOT_FOUND for an unknown company, or a failure.
 */
int quality_period(int64_t now, const char *from, const char *to, char from_out[11],
		   char to_out[11], const char **problem);
int quality_dashboard(struct resource_ctx *ctx, const char *from, const char *to,
		      int64_t company, json_t **out);

/*
 * The open backlog by age and priority as of ctx->now (quality_dashboard.c):
 * sets out's member "backlog_by_age" to {as_of, buckets[], totals}; company
 * and assignee (0: all) narrow it. RC_OK or a failure.
 */
int quality_backlog(struct resource_ctx *ctx, int64_t company, int64_t assignee, json_t *out);

/*
 * The manager's dashboard (dashboard.c, GET /api/v1/dashboard): for the
 * team (user 0) or one user's own work ("Mine"), as of ctx->now: open,
 * breached and unassigned counts, the open backlog by age, the share of
 * orders resolved within their SLA per day over the last 30 days and the
 * hours logged per person this week (Monday to today in the firm's time
 * zone). *out (ctx->arena) on RC_OK.
 */
int manager_dashboard(struct resource_ctx *ctx, int64_t user, json_t **out);

/*
 * Assigns every ticket of ids (n of them) to assignee as one change (all
 * or none), each through the engine as the caller (its rules, audit entry
 * and event); override_reason (NULL: none) as a PATCH's
 * assignment_override_reason. RC_OK with *out the tickets (ctx->arena);
 * RC_INVALID with errors [{field "ids", id, status, message}] naming every
 * ticket that cannot be assigned (nothing was); or a failure.
 */
int tickets_assign(struct resource_ctx *ctx, const int64_t *ids, size_t n, int64_t assignee,
		   const char *override_reason, json_t **out, json_t *errors);

/*
 * Adds the items of checklist template template_id (of any ticket kind) to
 * ticket's checklist, after its items, skipping labels already on it;
 * each item is a write audited under the caller. RC_OK with *out
 * {template_id, added[], skipped[]} (ctx->arena); RC_NOT_FOUND for the
 * ticket; RC_INVALID (errors: template_id) for an unknown or archived
 * template; RC_CONFLICT for a closed ticket; or a failure.
 */
int ticket_checklist_apply(struct resource_ctx *ctx, int64_t ticket, int64_t template_id,
			   json_t **out, json_t *errors);

/*
 * Recomputes the clocks of every open ticket with a policy as of now:
 * writes breaches that happened without a write and fires the 50/75/90/100
 * % warnings not fired before (a history entry each). *tickets: how many
 * were computed, *written: how many changed. Returns 0, or -1 with error.
 */
struct db;
int sla_sweep(struct db *db, int64_t now, int64_t *tickets, int64_t *written, char *error,
	      size_t errlen);

/*
 * The calendar feed of a user's appointments (feed.c). feed_create makes
 * a new secret (AUTH_TOKEN_LEN chars with the NUL), replacing the old;
 * feed_revoke ends it (RC_NOT_FOUND when there was none); feed_render
 * appends the VCALENDAR for a secret to out (RC_NOT_FOUND for an unknown
 * or revoked one, or a deactivated user).
 */
int feed_create(struct resource_ctx *ctx, int64_t user, char *token);
int feed_revoke(struct resource_ctx *ctx, int64_t user);
struct buf;
int feed_render(struct resource_ctx *ctx, const char *token, struct buf *out);

/*
 * Monitoring intake (alerts.c): POST /api/v1/alerts. Validates body (422
 * errors naming the member: "asset.kind"), then in one transaction
 * (retried when another delivery of the alert won a race) opens, appends
 * to, resolves or notes the clear on the alert's ticket. *out (ctx->arena)
 * on RC_OK: {outcome: opened|appended|resolved|cleared|ignored, ticket_id,
 * alert, ticket}; *errors (ctx->arena) on RC_INVALID or RC_CONFLICT.
 */
int alert_intake(struct resource_ctx *ctx, const json_t *body, json_t **out, json_t **errors);

/* Alert severities, most urgent first: critical, high, warning, info; NULL-terminated. */
extern const char *const alert_severities[5];
/* The ticket priority of a severity: critical, high, medium, low; NULL for no severity. */
const char *alert_priority(const char *severity);
/* Whether priority a is more urgent than b (critical > high > medium > low > anything else). */
bool alert_priority_higher(const char *a, const char *b);

/* What has been done on an alert's ticket. */
struct alert_work {
	const char *status;	/* the ticket's */
	bool assigned;		/* it has an assignee */
	int64_t time_entries;	/* live time entries on it */
	int64_t parts;		/* live parts used on it */
	int64_t notes;		/* its live notes, all of them */
	int64_t own_notes;	/* of those, the ones the alert intake wrote */
};
/*
 * Whether someone has worked the ticket, so that the alert's clear must
 * not resolve it: its status is no longer new (assigned, started, waiting,
 * escalated), or it has an assignee, a time entry, a part, or a note the
 * intake did not write (public or internal, by anyone).
 */
bool alert_worked(const struct alert_work *w);

#endif
