/*
 * assign.c - bulk assignment (POST /api/v1/tickets/assign): a dispatcher
 * gives many service orders to one technician at once. All or nothing:
 * every ticket is assigned through the engine as the caller, in one
 * transaction, so each keeps the rules of a single PATCH (the assignee
 * active and certified, or a manager's override reason; a closed ticket
 * read-only) and gets its own audit entry, history line and
 * "ticket.assigned" event. When any ticket cannot be assigned, every one
 * that cannot is named with the reason and nothing is kept.
 */
#include "service.h"

#include "db/db.h"

#include <stdio.h>
#include <string.h>

struct assign {
	struct resource_ctx *ctx;
	const int64_t *ids;
	size_t n;
	int64_t assignee;
	const char *reason;
	json_t *done, *failed;
};

static int http_status(int rc)
{
	switch (rc) {
	case RC_NOT_FOUND:
		return 404;
	case RC_CONFLICT:
		return 409;
	case RC_FORBIDDEN:
		return 403;
	case RC_STALE:
		return 412;
	default:
		return 422;
	}
}

/* One ticket that cannot be assigned: {field "ids", id, status, message}. */
static int failure(struct assign *a, int64_t id, int rc, json_t *errors)
{
	json_t *first = json_array_get(errors, 0);
	const char *field = json_string_value(json_object_get(first, "field"));
	const char *msg = json_string_value(json_object_get(first, "message"));
	char text[700];
	if (rc == RC_NOT_FOUND)
		snprintf(text, sizeof(text), "no ticket with id %lld", (long long)id);
	else if (field && msg)
		snprintf(text, sizeof(text), "%s: %s", field, msg);
	else
		snprintf(text, sizeof(text), "the ticket cannot be assigned");
	return json_array_append_new(a->failed, json_pack("{s:s, s:I, s:i, s:s}", "field", "ids",
							  "id", (json_int_t)id, "status",
							  http_status(rc), "message", text)) == 0
		       ? RC_OK
		       : RC_ERROR;
}

static int assign_txn(struct db *db, void *arg)
{
	struct assign *a = arg;
	(void)db;
	json_array_clear(a->done);
	json_array_clear(a->failed);
	json_t *patch = arena_json(a->ctx->arena, json_pack("{s:I}", "assignee_id",
							    (json_int_t)a->assignee));
	if (!patch)
		return RC_ERROR;
	if (a->reason)
		json_object_set_new(patch, "assignment_override_reason", json_string(a->reason));
	for (size_t i = 0; i < a->n; i++) {
		json_t *rec, *errors = NULL;
		int rc = resource_update(a->ctx, &ticket_resource, a->ids[i], patch,
					 RESOURCE_ANY_VERSION, &rec, &errors);
		if (rc == RC_OK)
			rc = json_array_append(a->done, rec) == 0 ? RC_OK : RC_ERROR;
		else if (rc > 0)	/* the client's fault: name it, go on with the others */
			rc = failure(a, a->ids[i], rc, errors);
		if (rc != RC_OK)
			return rc;
	}
	return json_array_size(a->failed) ? RC_INVALID : RC_OK;
}

int tickets_assign(struct resource_ctx *ctx, const int64_t *ids, size_t n, int64_t assignee,
		   const char *override_reason, json_t **out, json_t *errors)
{
	struct assign a = { ctx, ids, n, assignee, override_reason,
			    arena_json(ctx->arena, json_array()), errors };
	if (!a.done)
		return RC_ERROR;
	int rc = db_txn(ctx->db, assign_txn, &a);
	if (rc == RC_OK)
		*out = a.done;
	return rc;
}
