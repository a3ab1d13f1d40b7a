-- Ticket lists in their default order (newest first) over live
-- tickets: the filter columns, then created_at, in partial indexes
-- that answer "archived_at IS NULL" themselves, so a page walks the
-- index instead of sorting every match (bench/run.sh, 1,000,000
-- tickets).

CREATE INDEX tickets_live_created ON tickets(created_at, id) WHERE archived_at IS NULL;
CREATE INDEX tickets_live_status ON tickets(status, created_at, id) WHERE archived_at IS NULL;
DROP INDEX tickets_assignee;
CREATE INDEX tickets_live_assignee ON tickets(assignee_id, status, created_at, id) WHERE archived_at IS NULL;
