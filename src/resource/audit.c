/*
 * audit.c - writes audit entries. Reading them is the "audit" resource.
 */
#include "audit.h"

#include "core/alloc.h"
#include "core/jsonout.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "resource/resource.h"

int audit_write_dumped(struct db *db, const struct audit_actor *actor, const char *action,
		       const char *resource, int64_t record_id, const char *before,
		       const char *after)
{
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	/* actor_id NULL for the system: NULLIF keeps one statement for both */
	int rc = db_run_later(db,
			"INSERT INTO audit_log (at, actor_id, actor, action, resource, record_id,"
			" before, after, request_id) VALUES (?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?)",
			"sisssisss", now, actor->user_id, actor->label, action, resource,
			record_id, before, after, actor->request_id);
	return rc == RC_DONE ? RC_OK : rc;
}

int audit_write(struct db *db, const struct audit_actor *actor, const char *action,
		const char *resource, int64_t record_id, const json_t *before,
		const json_t *after)
{
	char *b = json_text_sorted(before), *a = json_text_sorted(after);
	int rc = (before && !b) || (after && !a)
		 ? RC_ERROR
		 : audit_write_dumped(db, actor, action, resource, record_id, b, a);
	xfree(b);
	xfree(a);
	return rc;
}

static const struct field audit_fields[] = {
	{ .name = "at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT, .doc = "When." },
	{ .name = "actor_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = INT64_MAX,
	  .doc = "The user who made the change; null for the command line or the system." },
	{ .name = "actor", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1, .max = 254,
	  .doc = "The user's e-mail, or `cli`, `system`." },
	{ .name = "action", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1, .max = 50,
	  .doc = "`create`, `update`, `archive`, `restore` (records); an action's name (`send`, "
		 "`escalate`, …); `login`, `disable`, `totp_enable`, `totp_disable` (users); "
		 "`revoke` (API tokens); more as features arrive." },
	{ .name = "resource", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = 50,
	  .doc = "The resource's name (`companies`, `contacts`, `sites`, `assets`, `users`, "
		 "`api_tokens`, …)." },
	{ .name = "record_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 0,
	  .max = INT64_MAX, .doc = "The changed record's id." },
	{ .name = "before", .type = FT_JSON, .flags = F_READ_ONLY,
	  .doc = "The record before the change (any JSON, usually an object); null for a create." },
	{ .name = "after", .type = FT_JSON, .flags = F_READ_ONLY,
	  .doc = "The record after the change (any JSON, usually an object); null when there is "
		 "none." },
	{ .name = "request_id", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = 64,
	  .doc = "The `X-Request-Id` of the request that made the change; null outside a "
		 "request." },
	FIELD_END
};

const struct resource audit_resource = {
	.name = "audit",
	.singular = "audit entry",
	.table = "audit_log",
	.fields = audit_fields,
	.default_sort = "-id",
	.read_only = true,
	.no_record_columns = true,
	.doc = "One change: who, when, what, before and after, written in the same transaction as "
	       "the change. Read-only; secrets never appear in it.",
};
