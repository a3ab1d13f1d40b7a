/*
 * internal.h - what the files of src/service/ share and nobody else uses.
 */
#ifndef SERVIO_SERVICE_INTERNAL_H
#define SERVIO_SERVICE_INTERNAL_H

#include "resource/resource.h"

/* work.c: adds the items of the kind's checklist templates to a new ticket. */
int ticket_checklist_from_templates(struct resource_ctx *ctx, int64_t ticket, const char *kind);
/*
 * work.c: the number of required checklist items still open on a ticket,
 * their labels joined by ", " in *labels (arena), or -1 (error), -2 (retry).
 */
int ticket_open_required_items(struct resource_ctx *ctx, int64_t ticket, const char **labels);

/*
 * clock.c: recomputes the SLA members of rec (the due times, breach flags,
 * paused_minutes) from its policy (rec's sla_policy_id) and the ticket's
 * history as of ctx->now, taking a status change from cur to rec as made.
 * cur is NULL on create. Returns RC_OK, RC_RETRY or RC_ERROR.
 */
int ticket_sla_update(struct resource_ctx *ctx, const json_t *cur, json_t *rec);
/*
 * A new ticket's clocks worked out ahead of its transaction, from rec as
 * its prepare will make it (contract, status, first response, policy):
 * left in ctx->plan for ticket_sla_update, which takes them only when the
 * policy's row and the ticket's inputs are the same in the transaction.
 * Leaves ctx->plan alone when there is nothing to compute or it fails.
 */
void ticket_sla_plan(struct resource_ctx *ctx, const json_t *rec);

/* tickets.c: the resolve action ({resolution}), for the alert intake's trusted writes. */
extern const struct resource_action ticket_resolve;

/*
 * alerts.c: the ticket was resolved, closed or cancelled: its open alert
 * row (if any) is closed, so the alert's next firing opens a new ticket.
 * In the ticket write's transaction. RC_OK or a failure.
 */
int alert_ticket_finished(struct resource_ctx *ctx, int64_t ticket);

/* visits.c: the appointment actions check-in and check-out. */
extern const struct resource_action visit_check_in;
extern const struct resource_action visit_check_out;
/*
 * visits.c: RC_CONFLICT with an error on status while a technician is
 * checked in (and not out) on a visit to the ticket, else RC_OK (or a
 * failure). For a ticket about to be resolved, closed or cancelled.
 */
int visits_block_finish(struct resource_ctx *ctx, int64_t ticket, json_t *errors);
/*
 * visits.c: the ticket was resolved, closed or cancelled: its open visits
 * are closed through the engine (begun by now: done, else cancelled). In
 * the ticket write's transaction. RC_OK or a failure.
 */
int visits_close(struct resource_ctx *ctx, int64_t ticket);
#endif
