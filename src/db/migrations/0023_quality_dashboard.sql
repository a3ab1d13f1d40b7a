-- The quality dashboard (src/service/quality_dashboard.c) reads tickets
-- by when they were resolved and the history's status changes to
-- resolved by when they happened: indexes for those ranges, so a month
-- of a large firm is not a scan of every ticket and every event.

CREATE INDEX tickets_resolved ON tickets(resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX ticket_events_kind ON ticket_events(kind, to_value, at);
