/*
 * dispatch.c - the webhook dispatcher the job worker runs: fan-out of the
 * event outbox into deliveries, and the sending of deliveries with libcurl.
 *
 * Fan-out. The outbox ("events") is read in commit order, (txid, id), from
 * the cursor in webhook_cursor, and only as far as transactions that have
 * ended (db_txid_ended): a PostgreSQL transaction that took an event id
 * earlier but commits later is not passed over. The cursor row is claimed
 * FOR UPDATE SKIP LOCKED (SQLite: its writers are serialized), and the
 * deliveries of a batch are written in the transaction that moves the
 * cursor, so with any number of workers and restarts each event reaches
 * each endpoint once. An event goes to the webhooks active at fan-out that
 * existed when it happened and subscribed to its type.
 *
 * Sending. Due deliveries are claimed (SKIP LOCKED again) with a lease,
 * sent outside any transaction, and their result written: a 2xx delivers,
 * 410 Gone fails the delivery and disables the webhook (a trusted write,
 * audited under "webhooks"), anything else is retried on
 * webhook_retry_delays, then failed. Redirects are not followed; connect
 * 5 s, whole request 10 s; only the first WEBHOOK_EXCERPT_MAX bytes of a
 * response are kept and at most 64 KiB read.
 */
#include "webhooks.h"

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "resource/resource.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define FANOUT_BATCH 500
#define MAX_WEBHOOKS 1000
#define SEND_BATCH 50
#define LEASE_SECONDS 900	/* longer than a batch can take: 50 × 10 s */
#define READ_MAX (64 * 1024)
#define SEND_BUDGET_SECONDS 20

static const struct audit_actor dispatcher = { .label = "webhooks" };

/* Fan-out --------------------------------------------------------------------- */

struct hook {
	int64_t id;
	json_t *events;
	char created_at[TIME_RFC3339_LEN];
};

struct fanout {
	int64_t now;
	int events;		/* out: events read */
	struct hook hooks[MAX_WEBHOOKS];
	int nhooks;
};

static void hooks_release(struct fanout *f)
{
	for (int i = 0; i < f->nhooks; i++)
		json_decref(f->hooks[i].events);
	f->nhooks = 0;
}

static int load_hooks(struct db *db, struct fanout *f)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, events, created_at FROM webhooks"
					    " WHERE active = 1 AND archived_at IS NULL ORDER BY id");
	if (!st)
		return RC_ERROR;
	int rc;
	while ((rc = db_step(st)) == RC_ROW && f->nhooks < MAX_WEBHOOKS) {
		struct hook *h = &f->hooks[f->nhooks];
		h->id = db_col_int(st, 0);
		h->events = json_loads(db_col_text(st, 1), 0, NULL);
		snprintf(h->created_at, sizeof(h->created_at), "%s", db_col_text(st, 2));
		if (json_is_array(h->events))
			f->nhooks++;
		else
			json_decref(h->events);
	}
	db_done(st);
	return rc == RC_ROW || rc == RC_DONE ? RC_OK : rc;
}

/* The body of an event's message: {type, timestamp, data} (heap, caller frees). */
static char *event_payload(const char *type, const char *at, const char *data, int64_t record)
{
	json_t *d = data ? json_loads(data, JSON_DECODE_ANY, NULL) : NULL;
	if (!json_is_object(d)) {
		json_decref(d);
		d = json_object();
	}
	/* every message names its record (a block warning's data is the warning) */
	if (!json_object_get(d, "id"))
		json_object_set_new(d, "id", json_integer(record));
	json_t *msg = json_pack("{s:s, s:s, s:o}", "type", type, "timestamp", at, "data", d);
	char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	return text;
}

struct event_row {
	int64_t id, txid, record;
	char *type, *at, *data;
};

static void rows_free(struct event_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		xfree(rows[i].type);
		xfree(rows[i].at);
		xfree(rows[i].data);
	}
	xfree(rows);
}

static int fanout_txn(struct db *db, void *arg)
{
	struct fanout *f = arg;
	f->events = 0;
	hooks_release(f);
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT txid, event_id FROM webhook_cursor WHERE id = 1%s",
		 db_skip_locked(db));
	struct db_stmt *st;
	int rc = db_run(db, &st, sql, "");
	if (rc == RC_DONE)
		return RC_OK;	/* another worker holds it */
	if (rc != RC_ROW)
		return rc;
	int64_t txid = db_col_int(st, 0), last = db_col_int(st, 1);
	db_done(st);

	snprintf(sql, sizeof(sql),
		 "SELECT id, txid, type, at, data, record_id FROM events WHERE %s"
		 " AND (txid > ? OR (txid = ? AND id > ?)) ORDER BY txid, id LIMIT %d",
		 db_txid_ended(db), FANOUT_BATCH);
	st = db_prepare(db, sql);
	if (!st)
		return RC_ERROR;
	struct event_row *rows = xcalloc(FANOUT_BATCH, sizeof(*rows));
	if (!rows) {
		db_done(st);
		return RC_ERROR;
	}
	int n = 0;
	if (db_bind_int(st, 1, txid) != RC_OK || db_bind_int(st, 2, txid) != RC_OK ||
	    db_bind_int(st, 3, last) != RC_OK) {
		db_done(st);
		xfree(rows);
		return RC_ERROR;
	}
	while ((rc = db_step(st)) == RC_ROW && n < FANOUT_BATCH) {
		struct event_row *r = &rows[n++];
		r->id = db_col_int(st, 0);
		r->txid = db_col_int(st, 1);
		r->type = xstrdup(db_col_text(st, 2));
		r->at = xstrdup(db_col_text(st, 3));
		r->data = db_col_null(st, 4) ? NULL : xstrdup(db_col_text(st, 4));
		r->record = db_col_int(st, 5);
		if (!r->type || !r->at || (!db_col_null(st, 4) && !r->data))
			rc = RC_ERROR;
	}
	db_done(st);
	if (rc != RC_ROW && rc != RC_DONE) {
		rows_free(rows, n);
		return rc;
	}
	if (n == 0) {
		xfree(rows);
		return RC_OK;
	}
	rc = load_hooks(db, f);
	char now[TIME_RFC3339_LEN];
	time_format(f->now, now);
	for (int i = 0; i < n && rc == RC_OK; i++) {
		struct event_row *e = &rows[i];
		char *payload = NULL;
		for (int k = 0; k < f->nhooks && rc == RC_OK; k++) {
			struct hook *h = &f->hooks[k];
			/* a webhook hears of what happens once it exists, not of the past */
			if (strcmp(e->at, h->created_at) < 0 ||
			    !webhook_patterns_match(h->events, e->type))
				continue;
			if (!payload)
				payload = event_payload(e->type, e->at, e->data, e->record);
			if (!payload) {
				rc = RC_ERROR;
				break;
			}
			char msg[40];
			snprintf(msg, sizeof(msg), "msg_evt_%lld", (long long)e->id);
			rc = db_run(db, NULL,
				    "INSERT INTO webhook_deliveries (webhook_id, event_id, msg_id, type,"
				    " payload, status, attempts, next_attempt_at, created_at, updated_at)"
				    " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT DO NOTHING",
				    "iissssss", h->id, e->id, msg, e->type, payload, now, now, now);
			rc = rc == RC_DONE ? RC_OK : rc;
		}
		free(payload);
	}
	if (rc == RC_OK) {
		rc = db_run(db, NULL, "UPDATE webhook_cursor SET txid = ?, event_id = ? WHERE id = 1",
			    "ii", rows[n - 1].txid, rows[n - 1].id);
		rc = rc == RC_DONE ? RC_OK : rc;
	}
	f->events = rc == RC_OK ? n : 0;
	rows_free(rows, n);
	return rc;
}

/*
 * Makes the cursor row if there is none, and mends txids that came from
 * another database: servio copy carries events and the cursor over as
 * they were, and txids of another PostgreSQL cluster (or of one copied to
 * SQLite) would sort the new events before the copied ones, where the
 * cursor never looks. A txid above the current transaction's is such a
 * one: it becomes 0, as for every event SQLite writes, and the copied
 * events not fanned out yet are read from the cursor's event id on (a
 * delivery made twice is refused by the unique index). Once a process.
 */
static int cursor_txn(struct db *db, void *arg)
{
	(void)arg;
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT 1 FROM webhook_cursor WHERE id = 1", "");
	if (rc == RC_ROW)
		db_done(st);
	else if (rc == RC_DONE)
		rc = db_run(db, NULL, "INSERT INTO webhook_cursor (id, txid, event_id)"
				      " VALUES (1, '0', 0)", "");
	if (rc != RC_ROW && rc != RC_DONE)
		return rc;
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE events SET txid = '0' WHERE txid > %s",
		 db_txid_now(db));
	rc = db_run(db, NULL, sql, "");
	if (rc != RC_DONE)
		return rc;
	if (db_changes(db) > 0)
		log_warn("webhooks: %lld events carry the transaction ids of another database"
			 " (a copy): they now sort first", (long long)db_changes(db));
	snprintf(sql, sizeof(sql), "UPDATE webhook_cursor SET txid = '0' WHERE txid > %s",
		 db_txid_now(db));
	rc = db_run(db, NULL, sql, "");
	return rc == RC_DONE ? RC_OK : rc;
}

static int cursor_ready(struct db *db)
{
	static _Atomic bool ready;
	if (ready)
		return RC_OK;
	int rc = db_txn(db, cursor_txn, NULL);
	if (rc == RC_CONSTRAINT)
		rc = RC_OK;	/* another worker made the row first */
	if (rc == RC_OK)
		ready = true;
	return rc;
}

/*
 * Whether an event is past the cursor (ended: of a transaction that has
 * ended, so it can go out; else of one still open, holding it back): a
 * read, so that an idle worker takes no write lock.
 */
static int events_past(struct db *db, bool ended)
{
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT txid, event_id FROM webhook_cursor WHERE id = 1", "");
	if (rc != RC_ROW)
		return -1;
	int64_t txid = db_col_int(st, 0), last = db_col_int(st, 1);
	db_done(st);
	char sql[384];
	snprintf(sql, sizeof(sql),
		 "SELECT 1 FROM events WHERE %s(%s) AND (txid > ? OR (txid = ? AND id > ?)) LIMIT 1",
		 ended ? "" : "NOT ", db_txid_ended(db));
	rc = db_run(db, &st, sql, "iii", txid, txid, last);
	if (rc == RC_ROW)
		db_done(st);
	return rc == RC_ROW ? 1 : rc == RC_DONE ? 0 : -1;
}

/* Events fanned out, or -1. */
static int fan_out(struct db *db, int64_t now)
{
	if (cursor_ready(db) != RC_OK)
		return -1;
	int waiting = events_past(db, true);
	if (waiting <= 0)
		return waiting;
	struct fanout *f = xcalloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->now = now;
	int total = 0, rc;
	do {
		rc = db_txn(db, fanout_txn, f);
		hooks_release(f);
		if (rc != RC_OK) {
			total = -1;
			break;
		}
		total += f->events;
	} while (f->events == FANOUT_BATCH && total < 20 * FANOUT_BATCH);
	xfree(f);
	return total;
}

/* Sending ---------------------------------------------------------------------- */

struct outgoing {
	int64_t id, webhook, attempts;
	bool active;
	char *msg_id, *payload, *url, *secret, *previous, *previous_until;
};

static void outgoing_free(struct outgoing *o)
{
	xfree(o->msg_id);
	xfree(o->payload);
	xfree(o->url);
	xfree(o->secret);
	xfree(o->previous);
	xfree(o->previous_until);
	memset(o, 0, sizeof(*o));
}

struct claim {
	int64_t now;
	struct outgoing out[SEND_BATCH];
	int n;
};

static int claim_txn(struct db *db, void *arg)
{
	struct claim *c = arg;
	for (int i = 0; i < c->n; i++)
		outgoing_free(&c->out[i]);
	c->n = 0;
	char now[TIME_RFC3339_LEN], lease[TIME_RFC3339_LEN];
	time_format(c->now, now);
	time_format(c->now + LEASE_SECONDS, lease);
	/* a test or a replay goes to a disabled webhook too: that is how one tries a fix */
	char sql[768];
	snprintf(sql, sizeof(sql),
		 "SELECT id FROM webhook_deliveries WHERE status = 'pending'"
		 " AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?)"
		 " AND (event_id IS NULL OR replay_of_id IS NOT NULL OR webhook_id IN"
		 " (SELECT id FROM webhooks WHERE active = 1 AND archived_at IS NULL))"
		 " ORDER BY next_attempt_at, id LIMIT %d%s",
		 SEND_BATCH, db_skip_locked(db));
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return RC_ERROR;
	int64_t ids[SEND_BATCH];
	int n = 0, rc;
	if (db_bind_text(st, 1, now) != RC_OK || db_bind_text(st, 2, now) != RC_OK) {
		db_done(st);
		return RC_ERROR;
	}
	while ((rc = db_step(st)) == RC_ROW && n < SEND_BATCH)
		ids[n++] = db_col_int(st, 0);
	db_done(st);
	if (rc != RC_ROW && rc != RC_DONE)
		return rc;
	for (int i = 0; i < n; i++) {
		rc = db_run(db, NULL, "UPDATE webhook_deliveries SET locked_until = ? WHERE id = ?",
			    "si", lease, ids[i]);
		if (rc != RC_DONE)
			return rc;
		rc = db_run(db, &st,
			    "SELECT d.msg_id, d.payload, d.attempts, w.id, w.url, w.signing_secret,"
			    " w.previous_secret, w.previous_secret_expires_at, w.active"
			    " FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
			    " WHERE d.id = ?",
			    "i", ids[i]);
		if (rc != RC_ROW)
			return rc == RC_DONE ? RC_RETRY : rc;
		struct outgoing *o = &c->out[c->n++];
		o->id = ids[i];
		o->msg_id = xstrdup(db_col_text(st, 0));
		o->payload = xstrdup(db_col_text(st, 1));
		o->attempts = db_col_int(st, 2);
		o->webhook = db_col_int(st, 3);
		o->url = xstrdup(db_col_text(st, 4));
		o->secret = xstrdup(db_col_text(st, 5));
		o->previous = db_col_null(st, 6) ? NULL : xstrdup(db_col_text(st, 6));
		o->previous_until = db_col_null(st, 7) ? NULL : xstrdup(db_col_text(st, 7));
		o->active = db_col_int(st, 8) != 0;
		db_done(st);
		if (!o->msg_id || !o->payload || !o->url || !o->secret)
			return RC_ERROR;
	}
	return RC_OK;
}

struct response {
	char excerpt[WEBHOOK_EXCERPT_MAX + 1];
	size_t kept, read;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct response *r = arg;
	size_t n = size * nmemb;
	if (r->kept < WEBHOOK_EXCERPT_MAX) {
		size_t take = n < WEBHOOK_EXCERPT_MAX - r->kept ? n : WEBHOOK_EXCERPT_MAX - r->kept;
		memcpy(r->excerpt + r->kept, data, take);
		r->kept += take;
		r->excerpt[r->kept] = '\0';
	}
	r->read += n;
	return r->read > READ_MAX ? 0 : n;	/* enough of it: stop reading */
}

void webhook_excerpt_clean(char *s, size_t n)
{
	unsigned char *p = (unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
			   : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
		if (len == 1) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				p[i] = '?';
			i++;
			continue;
		}
		bool ok = len > 0 && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			ok = (p[i + k] & 0xC0) == 0x80;
		if (ok && len == 3)
			ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
		if (ok && len == 4)
			ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90);
		if (!ok && len > 0 && i + len > n) {
			p[i] = '\0';	/* cut off at the end */
			return;
		}
		if (!ok) {
			p[i++] = '?';
			continue;
		}
		i += len;
	}
	p[n] = '\0';
}

struct attempt_result {
	long status;		/* 0: no HTTP answer */
	char error[256];
	struct response body;
};

/* One attempt: POSTs o's payload, signed, to its URL. */
static void send_one(CURL *curl, const struct outgoing *o, int64_t now, struct attempt_result *res)
{
	memset(res, 0, sizeof(*res));
	char sig[WEBHOOK_SIGNATURE_LEN], old[WEBHOOK_SIGNATURE_LEN];
	size_t len = strlen(o->payload);
	if (webhook_sign(o->secret, o->msg_id, now, o->payload, len, sig) != 0) {
		snprintf(res->error, sizeof(res->error), "the webhook's secret is not base64");
		return;
	}
	int64_t until = 0;
	bool two = o->previous && o->previous_until && time_parse(o->previous_until, &until) == 0 &&
		   now < until && webhook_sign(o->previous, o->msg_id, now, o->payload, len, old) == 0;
	char h_id[160], h_ts[64], h_sig[2 * WEBHOOK_SIGNATURE_LEN + 40];
	snprintf(h_id, sizeof(h_id), "webhook-id: %s", o->msg_id);
	snprintf(h_ts, sizeof(h_ts), "webhook-timestamp: %lld", (long long)now);
	snprintf(h_sig, sizeof(h_sig), "webhook-signature: %s%s%s", sig, two ? " " : "",
		 two ? old : "");
	struct curl_slist *headers = NULL, *h;
	const char *const lines[] = {
		"Content-Type: application/json", "User-Agent: Servio-Webhooks/1", "Expect:",
		h_id, h_ts, h_sig,
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		h = curl_slist_append(headers, lines[i]);
		if (!h) {
			curl_slist_free_all(headers);
			snprintf(res->error, sizeof(res->error), "out of memory");
			return;
		}
		headers = h;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(curl, CURLOPT_URL, o->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, o->payload);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res->body);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(curl);
	webhook_excerpt_clean(res->body.excerpt, res->body.kept);
	res->body.kept = strlen(res->body.excerpt);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && res->status))
		snprintf(res->error, sizeof(res->error), "%s", errbuf[0] ? errbuf
							: curl_easy_strerror(cc));
	else if (res->status < 200 || res->status > 299)
		snprintf(res->error, sizeof(res->error), "the endpoint answered %ld", res->status);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
}

struct outcome {
	const struct outgoing *o;
	const struct attempt_result *res;
	int64_t now;
};

/* Disables the webhook after a 410, through the engine (audited). */
static int disable(struct db *db, const struct outcome *oc, const char *at)
{
	struct arena arena;
	arena_init(&arena);
	struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &dispatcher };
	json_t *patch = arena_json(&arena, json_pack(
		"{s:b, s:s}", "active", 0, "disabled_reason",
		arena_printf(&arena, "the endpoint answered 410 Gone at %s", at)));
	json_t *out, *errors;
	int rc = patch ? resource_update_trusted(&ctx, &webhook_resource, oc->o->webhook, patch,
						 &out, &errors)
		       : RC_ERROR;
	arena_release(&arena);
	return rc == RC_NOT_FOUND ? RC_OK : rc;
}

static int outcome_write(struct db *db, const struct outcome *oc)
{
	const struct attempt_result *res = oc->res;
	char at[TIME_RFC3339_LEN], next[TIME_RFC3339_LEN];
	time_format(oc->now, at);
	int64_t attempts = oc->o->attempts + 1;
	const char *status = "pending";
	const char *next_at = NULL;
	bool gone = res->status == 410;
	if (res->status >= 200 && res->status <= 299) {
		status = "delivered";
	} else if (gone || attempts >= WEBHOOK_ATTEMPTS) {
		status = "failed";
	} else {
		time_format(oc->now + webhook_retry_delays[attempts - 1], next);
		next_at = next;
	}
	const char *error = res->error[0] ? res->error : NULL;
	char gone_error[160];
	if (gone) {
		snprintf(gone_error, sizeof(gone_error),
			 "the endpoint answered 410 Gone: the webhook is disabled");
		error = gone_error;
	}
	int rc = db_run(db, NULL,
			"UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = NULLIF(?, 0),"
			" last_error = ?, response_excerpt = ?, next_attempt_at = ?,"
			" last_attempt_at = ?, delivered_at = CASE WHEN ? = 'delivered' THEN ?"
			" ELSE delivered_at END, locked_until = NULL, updated_at = ? WHERE id = ?",
			"siisssssssi", status, attempts, (int64_t)res->status,
			error, res->body.kept ? res->body.excerpt : NULL, next_at, at, status, at,
			at, oc->o->id);
	if (rc != RC_DONE)
		return rc;
	if (gone && oc->o->active)
		return disable(db, oc, at);
	return RC_OK;
}

struct outcomes {
	struct claim *c;
	struct attempt_result *res;
	int64_t *at;
	int n;
};

/* The outcomes of a batch, in one transaction (a crash before it: the batch is sent again). */
static int outcomes_txn(struct db *db, void *arg)
{
	const struct outcomes *w = arg;
	for (int i = 0; i < w->n; i++) {
		struct outcome oc = { .o = &w->c->out[i], .res = &w->res[i], .now = w->at[i] };
		int rc = outcome_write(db, &oc);
		if (rc != RC_OK)
			return rc;
	}
	return RC_OK;
}

/* Deliveries sent, or -1. */
static int send_due(struct db *db, int64_t now)
{
	char at[TIME_RFC3339_LEN];
	time_format(now, at);
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT 1 FROM webhook_deliveries WHERE status = 'pending'"
				 " AND next_attempt_at <= ? LIMIT 1", "s", at);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	db_done(st);
	struct claim *c = xcalloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->now = now;
	rc = db_txn(db, claim_txn, c);
	int sent = 0;
	CURL *curl = NULL;
	if (rc == RC_OK && c->n) {
		curl = curl_easy_init();
		if (!curl) {
			log_error("webhooks: cannot start libcurl");
			rc = RC_ERROR;
		}
	}
	struct attempt_result *res = rc == RC_OK && c->n ? xcalloc((size_t)c->n, sizeof(*res)) : NULL;
	int64_t sent_at[SEND_BATCH];
	if (rc == RC_OK && c->n && !res)
		rc = RC_ERROR;
	int64_t start = time_mono_ns();
	int i;
	for (i = 0; rc == RC_OK && i < c->n; i++) {
		/* a slow endpoint must not hold the worker from its other jobs for long */
		if (time_mono_ns() - start > SEND_BUDGET_SECONDS * INT64_C(1000000000))
			break;
		sent_at[i] = time_now();
		send_one(curl, &c->out[i], sent_at[i], &res[i]);
		if (res[i].error[0])
			log_info("webhook %lld delivery %lld: %s", (long long)c->out[i].webhook,
				 (long long)c->out[i].id, res[i].error);
		/* one 410 disables the webhook once: the rest of the batch knows */
		if (res[i].status == 410)
			for (int k = i + 1; k < c->n; k++)
				if (c->out[k].webhook == c->out[i].webhook)
					c->out[k].active = false;
		sent++;
	}
	if (curl)
		curl_easy_cleanup(curl);
	if (sent) {
		struct outcomes w = { .c = c, .res = res, .at = sent_at, .n = sent };
		int r = db_txn(db, outcomes_txn, &w);
		if (rc == RC_OK)
			rc = r;
	}
	xfree(res);
	/* the rest of the batch goes back to the queue now, not when its lease ends */
	for (; rc == RC_OK && i < c->n; i++) {
		int r = db_run(db, NULL, "UPDATE webhook_deliveries SET locked_until = NULL"
					 " WHERE id = ?", "i", c->out[i].id);
		rc = r == RC_DONE ? RC_OK : r;
	}
	for (int k = 0; k < c->n; k++)
		outgoing_free(&c->out[k]);
	xfree(c);
	return rc == RC_OK ? sent : -1;
}

int webhooks_pump(struct db *db, int64_t now)
{
	int events = fan_out(db, now);
	if (events < 0)
		return -1;
	int sent = send_due(db, now);
	if (sent < 0)
		return -1;
	return events + sent;
}

/*
 * How long a run waits, when nothing else is due, for transactions still
 * open that hold back events behind the cursor (on PostgreSQL any write
 * transaction of the server, of any database, that began before them).
 */
#define HELD_WAIT_MS 3000

/* The job: fan out and send until nothing is due (for ten minutes at most). */
enum job_result webhooks_run(struct db *db, const json_t *payload, char *error, size_t errlen)
{
	(void)payload;
	int64_t start = time_mono_ns(), idle = 0;
	while (time_mono_ns() - start < 600 * INT64_C(1000000000)) {
		int n = webhooks_pump(db, time_now());
		int held = n == 0 ? events_past(db, false) : 0;
		if (n < 0 || held < 0) {
			snprintf(error, errlen, "webhooks: database error: %s", db_errmsg(db));
			return JOB_RETRY;
		}
		if (n > 0) {
			idle = 0;
			continue;
		}
		if (!held || idle >= HELD_WAIT_MS)
			break;
		struct timespec pause = { 0, 20 * 1000000L };
		nanosleep(&pause, NULL);
		idle += 20;
	}
	return JOB_DONE;
}
