/*
 * imap.c - the mailbox poller: every minute the worker asks the IMAP
 * server of the settings (libcurl) for the messages not yet taken
 * (UID SEARCH UNKEYWORD ServioTaken), fetches each, takes it (inbound.c),
 * and marks it taken (\Seen and the ServioTaken keyword) once its record
 * is committed. A message whose taking failed stays unmarked and is tried
 * at the next poll; one taken but not marked is recorded as a duplicate
 * then, never twice as a ticket.
 */
#include "mail.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "crm/crm.h"
#include "db/db.h"
#include "jobs/jobs.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PER_POLL 100	/* messages taken per poll at most; the rest at the next */
#define KEYWORD "ServioTaken"

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	return buf_add(b, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

struct imap {
	CURL *c;
	const char *base;	/* imap[s]://host:port/MAILBOX */
	char errbuf[CURL_ERROR_SIZE];
};

/* One request: url with an optional custom command; the answer in out. */
static CURLcode imap_do(struct imap *m, const char *url, const char *command, struct buf *out)
{
	buf_reset(out);
	m->errbuf[0] = '\0';
	curl_easy_setopt(m->c, CURLOPT_URL, url);
	curl_easy_setopt(m->c, CURLOPT_CUSTOMREQUEST, command);
	curl_easy_setopt(m->c, CURLOPT_WRITEDATA, out);
	return curl_easy_perform(m->c);
}

static const char *what(struct imap *m, CURLcode rc)
{
	return *m->errbuf ? m->errbuf : curl_easy_strerror(rc);
}

/* The UIDs of "* SEARCH 3 7 9" into uids (at most max); how many. */
static size_t search_uids(const char *answer, long long *uids, size_t max)
{
	size_t n = 0;
	for (const char *p = strstr(answer, "* SEARCH"); p; p = strstr(p + 1, "* SEARCH")) {
		const char *q = p + 8;
		while (*q && *q != '\r' && *q != '\n' && n < max) {
			char *end;
			long long uid = strtoll(q, &end, 10);
			if (end == q) {
				q++;
				continue;
			}
			if (uid > 0)
				uids[n++] = uid;
			q = end;
		}
	}
	return n;
}

enum job_result mail_poll_run(struct db *db, const json_t *payload, char *error, size_t errlen)
{
	struct arena arena;
	arena_init(&arena);
	struct resource_ctx ctx = { .db = db, .arena = &arena, .trusted = true };
	json_t *s;
	enum job_result result = JOB_DONE;
	if (resource_get(&ctx, &settings_resource, SETTINGS_ID, &s) != RC_OK) {
		snprintf(error, errlen, "cannot read the settings: %s", db_errmsg(db));
		arena_release(&arena);
		return JOB_RETRY;
	}
	const char *host = str(s, "imap_host");
	if (!host) {
		arena_release(&arena);
		return JOB_DONE;	/* no mailbox to poll */
	}
	const char *security = str(s, "imap_security");
	bool tls = !security || strcmp(security, "tls") == 0;
	struct imap m = { .c = curl_easy_init() };
	if (!m.c) {
		snprintf(error, errlen, "cannot start libcurl");
		arena_release(&arena);
		return JOB_RETRY;
	}
	char *box = curl_easy_escape(m.c, str(s, "imap_mailbox") ? str(s, "imap_mailbox") : "INBOX",
				     0);
	m.base = arena_printf(&arena, "%s://%s:%lld/%s", tls ? "imaps" : "imap", host,
			      (long long)json_integer_value(json_object_get(s, "imap_port")),
			      box ? box : "INBOX");
	curl_free(box);
	curl_easy_setopt(m.c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(m.c, CURLOPT_USE_SSL,
			 tls || (security && strcmp(security, "starttls") == 0) ? (long)CURLUSESSL_ALL
										  : (long)CURLUSESSL_NONE);
	if (str(s, "imap_username")) {
		curl_easy_setopt(m.c, CURLOPT_USERNAME, str(s, "imap_username"));
		const char *password = settings_secret(&ctx, "imap_password");
		curl_easy_setopt(m.c, CURLOPT_PASSWORD, password ? password : "");
	}
	curl_easy_setopt(m.c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(m.c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(m.c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(m.c, CURLOPT_ERRORBUFFER, m.errbuf);
	curl_easy_setopt(m.c, CURLOPT_WRITEFUNCTION, write_cb);

	struct buf answer;
	buf_init(&answer, MAIL_MAX_BYTES + 65536);
	long long uids[PER_POLL];
	CURLcode rc = imap_do(&m, m.base, "UID SEARCH UNKEYWORD " KEYWORD, &answer);
	if (rc != CURLE_OK) {
		snprintf(error, errlen, "IMAP %s: cannot search the mailbox: %s", host, what(&m, rc));
		result = JOB_RETRY;
		goto out;
	}
	size_t n = search_uids(answer.data ? answer.data : "", uids, PER_POLL);
	size_t taken = 0;
	for (size_t i = 0; i < n; i++) {
		const char *url = arena_printf(&arena, "%s/;UID=%lld", m.base, uids[i]);
		rc = imap_do(&m, url, NULL, &answer);
		/* one too large for the buffer is still recorded, as rejected */
		bool too_large = answer.failed;
		if (rc != CURLE_OK && !too_large) {
			snprintf(error, errlen, "IMAP %s: cannot fetch message %lld: %s", host, uids[i],
				 what(&m, rc));
			result = JOB_RETRY;
			break;
		}
		struct arena one;
		arena_init(&one);
		struct mail_taken t;
		int r = mail_take(db, &one, too_large ? NULL : answer.data ? answer.data : "",
				  too_large ? 0 : answer.len, "imap", &t);
		if (too_large) {
			buf_release(&answer);
			buf_init(&answer, MAIL_MAX_BYTES + 65536);
		}
		arena_release(&one);
		if (r != RC_OK) {
			snprintf(error, errlen, "cannot record message %lld of the mailbox: %s", uids[i],
				 db_errmsg(db));
			result = JOB_RETRY;
			break;
		}
		const char *store = arena_printf(&arena, "UID STORE %lld +FLAGS (\\Seen %s)", uids[i],
						 KEYWORD);
		rc = imap_do(&m, m.base, store, &answer);
		if (rc != CURLE_OK)
			log_warn("IMAP %s: cannot mark message %lld taken: %s (its copy will be "
				 "recorded as a duplicate)", host, uids[i], what(&m, rc));
		taken++;
	}
	if (taken)
		log_info("IMAP %s: took %zu message%s", host, taken, taken == 1 ? "" : "s");
out:
	buf_release(&answer);
	curl_easy_cleanup(m.c);
	arena_release(&arena);
	(void)payload;
	return result;
}
