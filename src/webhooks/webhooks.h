/*
 * webhooks.h - outgoing webhooks, as Standard Webhooks specifies them
 * (https://www.standardwebhooks.com): each event of the outbox (the
 * engine's "events" table) that an endpoint subscribed to is POSTed to it
 * as {"type", "timestamp", "data"} with the headers webhook-id,
 * webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>" under the endpoint's secret).
 *
 * webhooks.c holds the resource (/api/v1/webhooks: url, events, secret,
 * active), its actions (rotate-secret, test), the event patterns and the
 * signing; dispatch.c the dispatcher the worker runs: it reads the outbox
 * in commit order from a cursor kept in the database, fans each event out
 * into webhook_deliveries rows (one transaction with the cursor's advance,
 * so an event is fanned out once whatever the number of workers), and
 * sends the deliveries due with libcurl, retrying on the schedule below
 * for about a day. A 410 Gone disables the webhook.
 */
#ifndef SERVIO_WEBHOOKS_H
#define SERVIO_WEBHOOKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct resource_ctx;

extern const struct resource webhook_resource;		/* /api/v1/webhooks */
extern const struct resource webhook_delivery_resource;	/* /api/v1/webhooks/{id}/deliveries */

/* Seconds to wait after the nth failed attempt (1-based); after the last, the delivery fails. */
extern const int webhook_retry_delays[];
#define WEBHOOK_ATTEMPTS 8	/* the first try and seven retries */

/* How long a rotated-out secret keeps signing beside the new one. */
#define WEBHOOK_OLD_SECRET_SECONDS (24 * 3600)

/* The response body kept in the delivery log, in bytes. */
#define WEBHOOK_EXCERPT_MAX 1024

/*
 * The start of an answer as text the log can hold: its bytes may be
 * anything, and a cut may end inside a character. s holds n bytes and has
 * room for n + 1; in place, bytes that do not make UTF-8 and control
 * characters but tab and line ends become '?', a character cut off at the
 * end is dropped, and s is NUL-terminated. Afterwards s is valid UTF-8
 * (core/utf8.h's utf8_valid).
 */
void webhook_excerpt_clean(char *s, size_t n);

/*
 * Whether pattern is one a webhook may subscribe to: "*", a known event
 * type ("ticket.updated"), or a known family followed by ".*"
 * ("ticket.*", which also covers "ticket.note.created").
 */
bool webhook_pattern_valid(const char *pattern);
/* Whether type matches pattern (see webhook_pattern_valid). */
bool webhook_pattern_match(const char *pattern, const char *type);
/* Whether any pattern of the JSON array patterns matches type. */
bool webhook_patterns_match(const json_t *patterns, const char *type);

/*
 * A new secret, "whsec_" and the base64 of 32 random bytes, into out
 * (at least WEBHOOK_SECRET_LEN bytes).
 */
#define WEBHOOK_SECRET_LEN 64
void webhook_secret_new(char out[WEBHOOK_SECRET_LEN]);

/*
 * The Standard Webhooks signature "v1,<base64>" of id.timestamp.body
 * under secret ("whsec_<base64 key>"; without the prefix the whole string
 * is taken as base64). Writes out (NUL-terminated, at least
 * WEBHOOK_SIGNATURE_LEN bytes) and returns 0, or -1 when the secret is
 * not base64.
 */
#define WEBHOOK_SIGNATURE_LEN 64
int webhook_sign(const char *secret, const char *id, int64_t timestamp, const char *body,
		 size_t body_len, char out[WEBHOOK_SIGNATURE_LEN]);

/*
 * Queues a copy of delivery delivery_id of webhook webhook_id to be sent
 * again now (same webhook-id, the payload as first sent), audited under
 * ctx->actor. RC_OK with *out the new delivery (ctx->arena), RC_NOT_FOUND,
 * or a failure.
 */
int webhook_replay(struct resource_ctx *ctx, int64_t webhook_id, int64_t delivery_id,
		   json_t **out);

/*
 * One pass of the dispatcher: fans out the events committed since the
 * cursor and sends up to a batch of the deliveries due at now. Returns the
 * number of events and deliveries handled (0: nothing to do), or -1 on a
 * database error. Safe to run in any number of workers at once.
 */
int webhooks_pump(struct db *db, int64_t now);

#endif
