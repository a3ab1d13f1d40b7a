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

/* Ticket statuses in the order people think of them; NULL-terminated. */
extern const char *const ticket_statuses[];

#endif
