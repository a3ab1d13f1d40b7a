/*
 * feed.c - each technician's appointments as an iCalendar feed that
 * calendar programs subscribe to. The feed URL carries a random secret
 * (only its SHA-256 is stored, as for API tokens); making a new one
 * replaces the old, and revoking it ends every subscription at once.
 * The feed covers thirty days back and a year ahead.
 */
#include "service.h"

#include "auth/auth.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "ical.h"

#include <stdio.h>
#include <string.h>

struct feed_write {
	struct resource_ctx *ctx;
	int64_t user;
	const char *hash;	/* NULL: revoke */
	int status;
};

/* Replaces (or with no hash, removes) the user's feed and audits it, in one transaction. */
static int feed_txn(struct db *db, void *arg)
{
	struct feed_write *w = arg;
	char now[TIME_RFC3339_LEN];
	time_format(w->ctx->now, now);
	int rc = db_run(db, NULL, "DELETE FROM calendar_feeds WHERE user_id = ?", "i", w->user);
	if (rc != RC_DONE)
		return rc;
	if (!w->hash && db_changes(db) == 0) {
		w->status = RC_NOT_FOUND;
		return RC_ERROR;	/* nothing to roll back, nothing to audit */
	}
	if (w->hash) {
		rc = db_run(db, NULL,
			    "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES (?, ?, ?)",
			    "iss", w->user, w->hash, now);
		if (rc != RC_DONE)
			return rc;
	}
	/* the audit says what happened, never the secret */
	return audit_write(db, w->ctx->actor, w->hash ? "create" : "archive", "calendar-feeds",
			   w->user, NULL, NULL);
}

static int feed_write(struct resource_ctx *ctx, int64_t user, const char *hash)
{
	struct feed_write w = { ctx, user, hash, RC_OK };
	int rc = db_txn(ctx->db, feed_txn, &w);
	if (rc == RC_OK)
		return RC_OK;
	return w.status == RC_NOT_FOUND ? RC_NOT_FOUND : RC_ERROR;
}

int feed_create(struct resource_ctx *ctx, int64_t user, char *token)
{
	char hash[65];
	auth_random_token(token);
	auth_sha256_hex(token, hash);
	return feed_write(ctx, user, hash);
}

int feed_revoke(struct resource_ctx *ctx, int64_t user)
{
	return feed_write(ctx, user, NULL);
}

static enum ical_feed_status feed_status(const char *s)
{
	if (strcmp(s, "cancelled") == 0)
		return ICAL_FEED_CANCELLED;
	if (strcmp(s, "scheduled") == 0 || strcmp(s, "proposed") == 0)
		return ICAL_FEED_TENTATIVE;
	return ICAL_FEED_CONFIRMED;
}

int feed_render(struct resource_ctx *ctx, const char *token, struct buf *out)
{
	char hash[65];
	auth_sha256_hex(token, hash);
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT u.id, u.name FROM calendar_feeds f JOIN users u ON u.id = f.user_id"
			" WHERE f.token_hash = ? AND u.active = 1 AND u.archived_at IS NULL",
			"s", hash);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_NOT_FOUND : RC_ERROR;
	int64_t user = db_col_int(st, 0);
	const char *name = arena_printf(ctx->arena, "Servio: %s", db_col_text(st, 1));
	db_done(st);

	char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN];
	time_format(ctx->now - 30 * 24 * 3600, from);
	time_format(ctx->now + 366 * 24 * 3600, to);
	st = db_prepare(ctx->db,
			"SELECT a.id, a.starts_at, a.ends_at, a.updated_at, a.version, a.status,"
			" a.title, a.notes, t.number, t.subject, s.name, s.address_line1, s.city"
			" FROM appointments a LEFT JOIN tickets t ON t.id = a.ticket_id"
			" LEFT JOIN sites s ON s.id = a.site_id"
			" WHERE a.user_id = ? AND a.ends_at > ? AND a.starts_at < ?"
			" AND a.archived_at IS NULL ORDER BY a.starts_at, a.id LIMIT 5000");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, user);
	db_bind_text(st, 2, from);
	db_bind_text(st, 3, to);
	size_t n = 0, cap = 64;
	struct ical_event *ev = arena_alloc(ctx->arena, cap * sizeof(*ev));
	while (ev && (rc = db_step(st)) == RC_ROW) {
		if (n == cap) {
			struct ical_event *more = arena_alloc(ctx->arena, 2 * cap * sizeof(*ev));
			if (!more)
				break;
			memcpy(more, ev, n * sizeof(*ev));
			ev = more;
			cap *= 2;
		}
		struct ical_event *e = &ev[n++];
		memset(e, 0, sizeof(*e));
		e->kind = "appointment";
		e->id = db_col_int(st, 0);
		time_parse(db_col_text(st, 1), &e->starts_at);
		time_parse(db_col_text(st, 2), &e->ends_at);
		time_parse(db_col_text(st, 3), &e->updated_at);
		e->version = (int)db_col_int(st, 4);
		e->status = feed_status(db_col_text(st, 5));
		const char *title = db_col_text(st, 6), *number = db_col_text(st, 8);
		e->summary = number ? arena_printf(ctx->arena, "%s %s", number,
						   title ? title : db_col_text(st, 9))
				    : arena_strdup(ctx->arena, title ? title : "Appointment");
		const char *site = db_col_text(st, 10), *street = db_col_text(st, 11),
			   *city = db_col_text(st, 12);
		if (site)
			e->location = arena_printf(ctx->arena, "%s%s%s%s%s", site,
						   street ? ", " : "", street ? street : "",
						   city ? ", " : "", city ? city : "");
		const char *notes = db_col_text(st, 7);
		e->description = notes ? arena_strdup(ctx->arena, notes) : NULL;
	}
	db_done(st);
	if (!ev || (rc != RC_DONE && rc != RC_ROW))
		return RC_ERROR;
	return ical_feed_render(out, name, ev, n, ctx->now) == 0 ? RC_OK : RC_ERROR;
}
