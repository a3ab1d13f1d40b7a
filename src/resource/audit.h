/*
 * audit.h - the audit log: who changed what, when, before and after.
 * Every change the API or the CLI makes writes one entry in the same
 * transaction as the change, so the log and the data never disagree.
 */
#ifndef SERVIO_RESOURCE_AUDIT_H
#define SERVIO_RESOURCE_AUDIT_H

#include <jansson.h>
#include <stdint.h>

struct db;

struct audit_actor {
	int64_t user_id;	/* 0 for the system or the command line */
	const char *label;	/* the user's e-mail, or "cli", "system" */
	const char *request_id;	/* NULL outside a request */
	unsigned role;		/* the caller's role bit (auth/auth.h), 0 for the system */
	const char *address;	/* the caller's network address, NULL outside a request */
};

/*
 * Writes one entry. action: "create", "update", "archive", "restore",
 * "login", … resource: "companies", "users", … before/after are borrowed
 * (not stolen) and may be NULL; secrets must already be removed from them.
 * Returns RC_OK or a negative result.
 */
int audit_write(struct db *db, const struct audit_actor *actor, const char *action,
		const char *resource, int64_t record_id, const json_t *before,
		const json_t *after);

/* The same with before and after already as JSON text (NULL for none). */
int audit_write_dumped(struct db *db, const struct audit_actor *actor, const char *action,
		       const char *resource, int64_t record_id, const char *before,
		       const char *after);

/* The audit log as a read-only resource: GET /api/v1/audit. */
struct resource;
extern const struct resource audit_resource;

#endif
