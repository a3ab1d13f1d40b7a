/*
 * notify.h - staff notifications: telling a member of staff what happened
 * that is theirs to act on.
 *
 * An observer of the engine's events (notify_startup registers it) sees,
 * in the change's own transaction:
 *
 *   ticket.assigned                  the new assignee            assigned
 *   ticket.note.created with a       the assignee, else the      client_replied
 *     contact_id (the client's words)  managers
 *   ticket.sla_warning at 75, 90,    the assignee and the        sla_warning
 *     100 %                            managers
 *   quote.accepted                   the quote's author, the     quote_accepted
 *                                      opportunity's owner, the
 *                                      managers
 *   a survey answered 1 or 2         the assignee's manager,     negative_rating
 *     (notify_negative_rating,         else the managers
 *     src/quality/surveys.c)
 *
 * Each recipient gets a notifications row (the bell in the UI), and a mail
 * (through the outgoing mail queue, src/mail/outbound.c) when the kind is
 * one they chose (users.notify_email), they have an address and outgoing
 * mail is set up. Nobody is told of their own doing: the person whose
 * change it was is never a recipient. Managers are the active users of
 * role manager (users have no team; a manager hears of every ticket).
 *
 * Every row belongs to one user; only that user reads it or marks it read
 * (the API checks, here each function takes the user).
 */
#ifndef SERVIO_NOTIFY_H
#define SERVIO_NOTIFY_H

#include "resource/resource.h"

#include <stdint.h>

/* The kinds, NULL-terminated: "assigned", "client_replied", … */
extern const char *const notify_kinds[];

/* The notifications, one row per recipient (read through /api/v1/me/notifications). */
extern const struct resource notification_resource;

/* Registers the observer, once, at start-up before any write. */
void notify_startup(void);

/*
 * A memo of what notices read and a transaction leaves as it is: the
 * managers, each addressee, the public URL, whether mail is set up. For a
 * caller that writes many records in one transaction writing no user and
 * no settings (the SLA sweep's batch), given to the observer as
 * resource_ctx.memo. Made in arena a, for one transaction (a retried one
 * makes a new one); NULL without memory.
 */
struct notify_memo *notify_memo_new(struct arena *a);

/*
 * A survey of ticket answered with rating 1 or 2 by client (a name), with
 * comment (may be NULL): tells users[0..n) (the survey module chose them),
 * in the caller's transaction. RC_OK or a failure.
 */
int notify_negative_rating(struct resource_ctx *ctx, const json_t *ticket, int rating,
			   const char *client, const char *comment, const int64_t *users, int n);

/* The number of user's unread notifications in *n. RC_OK or a failure. */
int notify_unread(struct resource_ctx *ctx, int64_t user, int64_t *n);

/*
 * Marks user's notification id read (once: reading again changes nothing)
 * and sets *out to it. RC_NOT_FOUND when it is not theirs (or none), else
 * as resource_update_trusted. In its own transaction or the caller's.
 */
int notify_mark_read(struct resource_ctx *ctx, int64_t user, int64_t id, json_t **out);

/* Marks every unread notification of user read; *n: how many. One transaction. */
int notify_mark_all_read(struct resource_ctx *ctx, int64_t user, int64_t *n);

/*
 * The user's choices: {"email": [kinds mailed], "kinds": [every kind]}
 * in *out (ctx->arena).
 */
int notify_settings(struct resource_ctx *ctx, int64_t user, json_t **out);

/*
 * Sets the user's choices from body {"email": [kinds]} (audited as a change
 * of the user): RC_INVALID with {field, message} errors for anything else
 * (an unknown kind, a member that is no field), then *out as
 * notify_settings gives it.
 */
int notify_settings_set(struct resource_ctx *ctx, int64_t user, const json_t *body,
			json_t **out, json_t **errors);

#endif
