/*
 * idempotency.c - Idempotency-Key on POST: a retried request gets the
 * stored response instead of doing the work twice.
 *
 *   first time        record the key as pending, run the handler, store
 *                     the response (or forget the key after a 5xx that
 *                     wrote nothing, so the client can try again)
 *   same key again    same request: replay the stored response, with
 *                     Idempotent-Replayed: true; different body, method or
 *                     path: 422; first one still running: 409
 *
 * Keys are per user and live 24 hours. The handler's transactions mark the
 * key "committed" in the same commit as their work (db_set_commit_mark), so
 * a server that dies between its commit and storing the response leaves a
 * key that says the work is done: a retry gets a 409 saying so, never the
 * work twice. A key still pending after five minutes wrote nothing: its
 * server died (or failed) before any commit, and the key is reused. The
 * state is in the database, so it holds across several servers.
 */
#include "api.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define KEY_TTL (24 * 3600)
#define PENDING_TTL (5 * 60)

struct idem {
	int64_t row_id;
};

static bool key_valid(const char *k)
{
	size_t n = strlen(k);
	if (n < 1 || n > 255)
		return false;
	for (; *k; k++)
		if ((unsigned char)*k < 0x21 || (unsigned char)*k > 0x7e)
			return false;
	return true;
}

static void body_hash(const struct http_req *req, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)buf_str(&req->raw_body), req->raw_body.len);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

static int replay(struct http_req *req, struct db_stmt *st)
{
	/* columns: method, path, body_hash, state, status, content_type, response, location,
	 * created_at, id, etag */
	int status = (int)db_col_int(st, 4);
	const char *ctype = db_col_text(st, 5);
	const char *body = db_col_text(st, 6);
	const char *location = db_col_text(st, 7);
	const char *etag = db_col_text(st, 10);
	if (location)
		http_set_header(req, "Location", location);
	if (etag)
		http_set_header(req, "ETag", etag);
	http_set_header(req, "Idempotent-Replayed", "true");
	if (!body || !*body)
		return http_reply_empty(req, status);
	return http_reply_text(req, status, ctype ? ctype : "application/json", body, strlen(body));
}

int api_idempotency_before(struct http_req *req)
{
	if (strcmp(req->method, "POST") != 0 || !req->user_id ||
	    req->route->flags & HTTP_SECRET_REPLY)
		return 0;
	const char *key = http_header(req, "Idempotency-Key");
	if (!key)
		return 0;
	if (!key_valid(key)) {
		http_reply_problem(req, 400, "bad-idempotency-key", NULL,
				   "Idempotency-Key must be 1 to 255 printable ASCII characters");
		return 1;
	}
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 1;
	char hash[65], now[TIME_RFC3339_LEN];
	body_hash(req, hash);
	int64_t t = time_now();
	time_format(t, now);

	for (int attempt = 0; attempt < 2; attempt++) {
		struct db_stmt *st;
		int rc = db_run(db, &st,
				"INSERT INTO idempotency_keys (user_id, key, method, path, body_hash,"
				" state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?) RETURNING id",
				"isssss", req->user_id, key, req->method, req->path, hash, now);
		if (rc == RC_ROW) {
			struct idem *s = arena_zalloc(&req->arena, sizeof(*s));
			if (!s) {
				db_done(st);
				return -1;
			}
			s->row_id = db_col_int(st, 0);
			db_done(st);
			req->hook_state = s;
			db_set_commit_mark(db, "UPDATE idempotency_keys SET state = 'committed'"
					       " WHERE id = ?", s->row_id);
			return 0;
		}
		if (rc != RC_CONSTRAINT)
			return -1;

		rc = db_run(db, &st,
			    "SELECT method, path, body_hash, state, status, content_type, response,"
			    " location, created_at, id, etag FROM idempotency_keys"
			    " WHERE user_id = ? AND key = ?",
			    "is", req->user_id, key);
		if (rc == RC_DONE)
			continue;	/* deleted meanwhile: try the insert again */
		if (rc != RC_ROW)
			return -1;
		int64_t created = 0;
		time_parse(db_col_text(st, 8), &created);
		bool pending = strcmp(db_col_text(st, 3), "pending") == 0;
		bool expired = t - created > KEY_TTL || (pending && t - created > PENDING_TTL);
		if (expired) {
			int64_t id = db_col_int(st, 9);
			db_done(st);
			db_run(db, NULL, "DELETE FROM idempotency_keys WHERE id = ?", "i", id);
			continue;
		}
		if (strcmp(db_col_text(st, 0), req->method) || strcmp(db_col_text(st, 1), req->path) ||
		    strcmp(db_col_text(st, 2), hash)) {
			db_done(st);
			http_reply_problem(req, 422, "idempotency-key-reused", NULL,
					   "this Idempotency-Key was already used for a different "
					   "request; use a new key for a new request");
			return 1;
		}
		if (pending) {
			db_done(st);
			http_reply_problem(req, 409, "idempotency-in-progress", NULL,
					   "a request with this Idempotency-Key is still in progress");
			return 1;
		}
		if (strcmp(db_col_text(st, 3), "committed") == 0) {
			db_done(st);
			http_reply_problem(req, 409, "idempotency-reply-lost", NULL,
					   "the request with this Idempotency-Key was carried out, but "
					   "the server stopped before its reply was kept; look the "
					   "result up rather than sending the request again");
			return 1;
		}
		replay(req, st);
		db_done(st);
		return 1;
	}
	return -1;
}

/*
 * The reply's body as text to keep: its buffer's, or what a reply sent
 * from a file sends (an invoice run's, spooled past 256 KiB), read back
 * into *heap (the caller xfree()s it). NULL when the file cannot be read
 * back whole or is past BUF_DEFAULT_MAX.
 */
static const char *reply_text(const struct http_req *req, char **heap)
{
	*heap = NULL;
	if (req->file_fd < 0)
		return buf_str(&req->out);
	if (req->file_size > BUF_DEFAULT_MAX)
		return NULL;
	size_t n = (size_t)req->file_size, got = 0;
	char *text = xmalloc(n + 1);
	while (text && got < n) {
		ssize_t r = pread(req->file_fd, text + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			xfree(text);
			return NULL;
		}
		got += (size_t)r;
	}
	if (text)
		text[n] = '\0';
	*heap = text;
	return text;
}

void api_idempotency_after(struct http_req *req)
{
	struct idem *s = req->hook_state;
	if (!s)
		return;
	struct db *db = db_pool_get();
	if (!db)
		return;
	db_set_commit_mark(db, NULL, 0);
	if (req->status >= 500 || req->status == 0) {
		/* nothing committed: the client may try again; else keep what it got */
		if (db_run(db, NULL, "DELETE FROM idempotency_keys WHERE id = ? AND state = 'pending'",
			   "i", s->row_id) == RC_DONE && db_changes(db) == 1)
			return;
	}
	char *heap;
	const char *response = reply_text(req, &heap);
	if (!response) {
		/*
		 * the reply cannot be kept: a key of no work is forgotten (the
		 * client may try again); one of committed work stays so, and a
		 * retry hears that the work was done (409)
		 */
		log_error("request %s: cannot keep its reply for its Idempotency-Key", req->id);
		db_run(db, NULL, "DELETE FROM idempotency_keys WHERE id = ? AND state = 'pending'",
		       "i", s->row_id);
		return;
	}
	const char *location = NULL, *etag = NULL;
	for (struct http_reply_header *h = req->headers; h; h = h->next) {
		if (strcasecmp(h->name, "Location") == 0)
			location = h->value;
		else if (strcasecmp(h->name, "ETag") == 0)
			etag = h->value;
	}
	db_run(db, NULL,
	       "UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?,"
	       " response = ?, location = ?, etag = ? WHERE id = ?",
	       "issssi", (int64_t)req->status, req->content_type, response, location, etag,
	       s->row_id);
	xfree(heap);
}
