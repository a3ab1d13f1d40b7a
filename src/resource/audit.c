/*
 * audit.c - writes audit entries. Reading them is the "audit" resource.
 */
#include "audit.h"

#include "core/alloc.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "resource/resource.h"

static char *dump(const json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

int audit_write(struct db *db, const struct audit_actor *actor, const char *action,
		const char *resource, int64_t record_id, const json_t *before,
		const json_t *after)
{
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	char *b = dump(before), *a = dump(after);
	if ((before && !b) || (after && !a)) {
		xfree(b);
		xfree(a);
		return RC_ERROR;
	}
	/* actor_id NULL for the system: NULLIF keeps one statement for both */
	int rc = db_run(db, NULL,
			"INSERT INTO audit_log (at, actor_id, actor, action, resource, record_id,"
			" before, after, request_id) VALUES (?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?)",
			"sisssisss", now, actor->user_id, actor->label, action, resource,
			record_id, b, a, actor->request_id);
	xfree(b);
	xfree(a);
	return rc == RC_DONE ? RC_OK : rc;
}

static const struct field audit_fields[] = {
	FIELD_TIME("at", F_READ_ONLY | F_FILTER | F_SORT),
	FIELD_INT("actor_id", F_READ_ONLY | F_FILTER, 1, INT64_MAX),
	FIELD_TEXT("actor", F_READ_ONLY | F_FILTER, 1, 254),
	FIELD_TEXT("action", F_READ_ONLY | F_FILTER, 1, 50),
	FIELD_TEXT("resource", F_READ_ONLY | F_FILTER, 1, 50),
	FIELD_INT("record_id", F_READ_ONLY | F_FILTER, 0, INT64_MAX),
	FIELD_JSON("before", F_READ_ONLY),
	FIELD_JSON("after", F_READ_ONLY),
	FIELD_TEXT("request_id", F_READ_ONLY | F_FILTER, 1, 64),
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
};
