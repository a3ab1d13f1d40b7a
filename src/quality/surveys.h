/*
 * surveys.h - satisfaction surveys: one per resolved service order, sent
 * to its contact with the resolved mail and answered through a secret link
 * (or the client portal) with a rating of 1 to 5 and an optional comment.
 *
 * Life of a survey:
 *   - a ticket resolved (the resolve action or a status PATCH) makes its
 *     survey (an observer of the engine's events, in the change's own
 *     transaction); resolving again after a reopening reuses it, answer
 *     and all, and only moves sent_at;
 *   - the link is /s/<token>, the token 256 bits derived from a server key
 *     (link_keys) and the ticket id with HMAC-SHA256, stored as its
 *     SHA-256 only: a lookup never needs the secret, and staff can be shown
 *     the link again (`url`, from settings public_url alone);
 *   - one answer per ticket, changeable for SURVEY_CHANGE_DAYS after the
 *     first one, then final (409);
 *   - a rating of 1 or 2 (a first answer, or a change down from 3 to 5)
 *     tells the assignee's manager (users.manager_id; every active manager
 *     when unset or nobody had the ticket) with a negative_rating
 *     notification and opens a follow-up on the ticket for that manager
 *     (follow_up_at, follow_up_user_id, follow_up_note), with a history
 *     entry;
 *   - each answer is the event survey.answered (webhooks).
 *
 * Every write goes through the engine (audited); the functions below take
 * a request's (or job's) resource context and return core/result.h codes.
 */
#ifndef SERVIO_QUALITY_SURVEYS_H
#define SERVIO_QUALITY_SURVEYS_H

#include "resource/resource.h"

#include <stdint.h>

/* How long an answer may be changed after the first one. */
#define SURVEY_CHANGE_DAYS 7
/* The longest comment, in characters. */
#define SURVEY_COMMENT_MAX 2000

/* /api/v1/surveys: read-only for staff; made by the resolve flow alone. */
extern const struct resource survey_resource;

/* Registers the observer that makes a resolved ticket's survey (at start-up, once). */
void survey_startup(void);

/*
 * The survey of ticket (a record as the system sees it), made when it has
 * none: *out (ctx->arena) on RC_OK. A trusted write in the caller's
 * transaction (or its own); an existing survey is returned unchanged.
 */
int survey_ensure(struct resource_ctx *ctx, const json_t *ticket, json_t **out);

/*
 * The public link of a survey record: settings public_url + "/s/<token>",
 * or "/s/<token>" when public_url is unset (never the caller's Host).
 * Arena string, or NULL on a failure of ours.
 */
const char *survey_url(struct resource_ctx *ctx, const json_t *survey);

/* Adds `url` to each survey record of list (an array of records). RC_OK or a failure. */
int survey_add_urls(struct resource_ctx *ctx, json_t *list);

/*
 * Decodes an answer's body {rating 1..5, comment optional}: 0 with *rating
 * and *comment (borrowed from body, NULL when none) set, or the number of
 * {field, message} errors appended to errors (unknown members, a rating
 * that is no integer 1..5 or is missing, a comment too long).
 */
int survey_decode_answer(const json_t *body, int *rating, const char **comment,
			 json_t *errors);

/*
 * Answers (or changes the answer to) the survey of ticket_id: rating 1..5,
 * comment (NULL or "" for none; at most SURVEY_COMMENT_MAX characters).
 * Callable inside a request by a client portal contact (ctx->scope_company
 * set: a ticket of another company is RC_NOT_FOUND) or with no scope (the
 * public link, which authorised the caller). Rules as above: RC_OK;
 * RC_NOT_FOUND when the ticket has no survey (or is out of scope);
 * RC_INVALID with {field, message} appended to errors for a bad rating or
 * comment; RC_CONFLICT (the field "rating") when the answer is final; or
 * a failure. Runs in its own transaction, or the caller's (then
 * RC_RETRY may be returned too).
 */
int survey_answer_ticket(struct resource_ctx *ctx, int64_t ticket_id, int rating,
			 const char *comment, json_t *errors);

/*
 * The survey behind a link's token: RC_OK with its ticket in *ticket_id,
 * RC_NOT_FOUND for an unknown or malformed token, or a failure.
 */
int survey_by_token(struct resource_ctx *ctx, const char *token, int64_t *ticket_id);

/*
 * What the client sees of the survey of ticket_id: {ticket_number,
 * ticket_subject, firm_name, firm_phone, firm_email, firm_website,
 * contact_name, rating, comment, answered_at, changeable_until,
 * can_answer} in *out (ctx->arena). Reads only.
 */
int survey_public_view(struct resource_ctx *ctx, int64_t ticket_id, json_t **out);

/*
 * GET /reports/csat: surveys sent in [from, to) (dates, each NULL when
 * open) grouped by group ("technician", "client" or "month"): *out
 * {group, from, to, rows: [{key, label, surveys_sent, answered,
 * response_rate_bp, average_rating (hundredths: 433 is 4.33), csat_bp}],
 * total: {…the same members but key and label}}.
 */
int report_csat(struct resource_ctx *ctx, const char *group, const char *from, const char *to,
		json_t **out);

#endif
