-- The order list's default order, SLA urgency (issue 16 point 4): a
-- stored sort key kept by the ticket's prepare hook (tickets.c,
-- urgency_key) whenever the SLA members, the first response or the
-- status change, so the engine sorts and pages by it like any column.
--   '1 <due time>'  an open order's running SLA clock's due time: the
--                   response target until the first response, then the
--                   resolution target (RFC 3339 UTC, so a breached one,
--                   being past, sorts first)
--   '2'             an open order without an unmet target (no SLA)
--   '3'             a resolved, closed or cancelled order
-- The rows there already get their key here, from the same rule.

ALTER TABLE tickets ADD COLUMN sla_urgency TEXT;

UPDATE tickets SET sla_urgency = CASE
	WHEN status NOT IN ('new', 'assigned', 'in_progress', 'waiting_customer',
			    'waiting_parts', 'escalated') THEN '3'
	WHEN first_responded_at IS NULL AND response_due_at IS NOT NULL
		THEN '1 ' || response_due_at
	WHEN resolution_due_at IS NOT NULL THEN '1 ' || resolution_due_at
	ELSE '2' END;

-- the engine orders a nullable text column by COALESCE(column, '')
CREATE INDEX tickets_live_sla_urgency ON tickets((COALESCE(sla_urgency, '')), id)
	WHERE archived_at IS NULL;
