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
 * POST /quotes/{id}/send: a draft (or an already sent quote, whose old
 * link then stops) becomes sent with a new secret link; token receives it
 * (AUTH_TOKEN_LEN bytes; only its hash is stored). Results as
 * resource_update (RC_CONFLICT when the status forbids it, RC_INVALID
 * when the quote is not complete enough to send).
 */
int quote_send(struct resource_ctx *ctx, int64_t id, int64_t version, char *token,
	       json_t **out, json_t **errors);

/*
 * POST /quotes/{id}/revise: a new draft with the quote's content, number
 * and the next revision; the quote becomes superseded. *out is the new
 * draft. RC_CONFLICT unless the quote is sent, declined or expired.
 */
int quote_revise(struct resource_ctx *ctx, int64_t id, json_t **out, json_t **errors);

/* Who accepts or declines, and from where. */
struct quote_answer {
	const char *name;	/* the typed name (accept) */
	const char *reason;	/* why not (decline) */
	const char *address;	/* the client's IP address */
	bool staff;		/* recorded by staff (ctx->actor) rather than through the link */
};

/*
 * Accepts a sent, unexpired quote and, in the same transaction, marks its
 * opportunity won, creates the contract (with an SLA policy whose response
 * target is the promised response time, made when none matches) and a
 * service order per labour line and per equipment line to install.
 * *out: the accepted quote. RC_CONFLICT for a quote that is not open to
 * an answer (accepted, declined, expired, superseded, past valid_until).
 */
int quote_accept(struct resource_ctx *ctx, int64_t id, const struct quote_answer *a,
		 json_t **out, json_t **errors);
int quote_decline(struct resource_ctx *ctx, int64_t id, const struct quote_answer *a,
		  json_t **out, json_t **errors);

/* The quote a link's token opens: RC_OK with *id, RC_NOT_FOUND, or RC_ERROR. */
int quote_by_token(struct resource_ctx *ctx, const char *token, int64_t *id);

/* Whether a client may still answer the quote (sent, not past valid_until). */
bool quote_open_to_answer(const json_t *quote, int64_t now);

/* Marks sent quotes past valid_until expired (the "sales" job). Returns 0 or -1. */
int quotes_expire(struct db *db, int64_t now, char *error, size_t errlen);

/*
 * GET /me/follow-ups: the caller's open activities, overdue first (by due
 * time), then those without a due time. *out: {"data": [...]}.
 */
int activity_follow_ups(struct resource_ctx *ctx, json_t **out);

/*
 * Reports over [from, to) (dates, either may be NULL):
 * pipeline: open value by stage, and the quote win rate by month;
 * referrals: revenue won per referral partner and per lead source.
 */
int report_pipeline(struct resource_ctx *ctx, const char *from, const char *to, json_t **out);
int report_referrals(struct resource_ctx *ctx, const char *from, const char *to, json_t **out);

#endif
