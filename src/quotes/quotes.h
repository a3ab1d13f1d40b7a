/*
 * quotes.h - winning work: opportunities in a pipeline, activities and
 * follow-ups, and quotes for equipment and labour that state their terms
 * (response time, coverage, warranty, qualifications), go to the client
 * through a secret link, and on acceptance become a contract and service
 * orders in one transaction.
 *
 * A quote's lines live in the quote (lines[]); amounts and totals are
 * computed on every write with core/money.h, never taken from the client.
 * A quote is edited while it is a draft; once sent it changes only through
 * actions: a revision (a new draft with the same number and the next
 * revision, the old one superseded), acceptance, decline or expiry. The
 * member "version" is the record's edit counter (its ETag) as on every
 * record; "revision" is the quote's version as clients see it.
 */
#ifndef SERVIO_QUOTES_H
#define SERVIO_QUOTES_H

#include "resource/resource.h"

#include <stdbool.h>

extern const struct resource opportunity_resource;	/* /api/v1/opportunities */
extern const struct resource activity_resource;		/* /api/v1/activities */
extern const struct resource quote_resource;		/* /api/v1/quotes */

/*
 * The quote actions, rows of quote_resource's action table (their routes
 * are POST /quotes/{id}/{name}; the public link calls accept and decline
 * too, as the client):
 *
 *   send     a draft (or a sent quote, whose old link then stops) becomes
 *            sent with a new secret link: the reply's public_url, shown once
 *   revise   a new draft with the quote's content, number and the next
 *            revision (the reply, 201); the quote becomes superseded
 *   accept   {name}: in the same transaction the opportunity is won and the
 *            contract (with an SLA policy for the promised response time)
 *            and the service orders are made; 409 for a quote that is not
 *            open to an answer (accepted, declined, expired, superseded,
 *            past valid_until)
 *   decline  {reason}
 *
 * Who answers is ctx->actor: a user (staff recording the answer) or the
 * client's link (user_id 0), with its address.
 */
extern const struct resource_action quote_send;
extern const struct resource_action quote_revise;
extern const struct resource_action quote_accept;
extern const struct resource_action quote_decline;

/* The quote a link's token opens: RC_OK with *id, RC_NOT_FOUND, or RC_ERROR. */
int quote_by_token(struct resource_ctx *ctx, const char *token, int64_t *id);

/* Whether a client may still answer the quote (sent, not past valid_until). */
bool quote_open_to_answer(const json_t *quote, int64_t now);

/* Marks sent quotes past valid_until expired (the "sales" job). Returns 0 or -1. */
int quotes_expire(struct db *db, int64_t now, char *error, size_t errlen);

/*
 * GET /me/follow-ups: the caller's open activities, overdue first (by due
 * time), then those without a due time. *out: {"data": [...]} (ctx->arena).
 */
int activity_follow_ups(struct resource_ctx *ctx, json_t **out);

/*
 * Reports over [from, to) (dates, either may be NULL):
 * pipeline: open value by stage, and the quote win rate by month;
 * referrals: revenue won per referral partner and per lead source.
 * *out belongs to ctx->arena.
 */
int report_pipeline(struct resource_ctx *ctx, const char *from, const char *to, json_t **out);
int report_referrals(struct resource_ctx *ctx, const char *from, const char *to, json_t **out);

#endif
