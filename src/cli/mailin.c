/*
 * mailin.c - `servio mail-in`: one RFC 5322 message on standard input, as
 * a mail server's pipe delivers it (Postfix: a transport or an alias
 * "|servio mail-in"), taken as inbound.c says. Exit 0 when the message is
 * recorded (a ticket, a reply, held for triage, or deliberately ignored:
 * an auto-reply, a bounce, a duplicate, a rejection), 75 (EX_TEMPFAIL)
 * when the database cannot be reached, so the mail server keeps the
 * message and tries again; 2 for a usage error.
 */
#include "cli.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/log.h"
#include "db/db.h"
#include "mail/mail.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EX_TEMPFAIL 75

int cmd_mail_in(struct conf *c, int argc, char **argv)
{
	if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		printf("usage: servio mail-in < message.eml\n\n"
		       "Takes one e-mail message from standard input: a reply to a ticket, a new\n"
		       "ticket, or held for triage; automatic mail and bounces are recorded and\n"
		       "ignored. Exits 0 when the message is recorded, 75 when the database is\n"
		       "unavailable (the mail server then tries again later).\n");
		return 0;
	}
	if (argc > 0) {
		fprintf(stderr, "servio mail-in: unexpected argument \"%s\" (the message comes on "
			"standard input)\n", argv[0]);
		return 2;
	}
	/* the whole message first: a mail server may not be kept waiting on a full pipe */
	struct buf raw;
	buf_init(&raw, MAIL_MAX_BYTES + 1);
	char chunk[65536];
	bool too_large = false;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0) {
			perror("servio mail-in: cannot read standard input");
			buf_release(&raw);
			return EX_TEMPFAIL;
		}
		if (n == 0)
			break;
		if (!too_large && buf_add(&raw, chunk, (size_t)n) < 0)
			too_large = true;	/* read on to the end; recorded as rejected */
	}
	struct db *db = cli_open_db(c);
	if (!db) {
		buf_release(&raw);
		return EX_TEMPFAIL;
	}
	struct arena arena;
	arena_init(&arena);
	struct mail_taken t;
	int rc = mail_take(db, &arena, too_large ? NULL : raw.data ? raw.data : "",
			   too_large ? 0 : raw.len, "pipe", &t);
	buf_release(&raw);
	if (rc == RC_OK)
		printf("servio mail-in: inbound message %lld: %s: %s\n", (long long)t.id, t.outcome,
		       t.reason);
	else
		fprintf(stderr, "servio mail-in: cannot record the message: %s\n", db_errmsg(db));
	arena_release(&arena);
	db_disconnect(db);
	return rc == RC_OK ? 0 : EX_TEMPFAIL;
}
