-- A ticket's last activity: when someone last changed it or wrote a note.
-- The SLA clock's own writes (due times, breaches, warnings) move
-- updated_at but not this. Existing tickets start from their last note or
-- their last change, whichever is later.
ALTER TABLE tickets ADD COLUMN last_activity_at TEXT;
UPDATE tickets SET last_activity_at = updated_at;
UPDATE tickets SET last_activity_at = (SELECT MAX(n.created_at) FROM ticket_notes n
				       WHERE n.ticket_id = tickets.id)
	WHERE (SELECT MAX(n.created_at) FROM ticket_notes n WHERE n.ticket_id = tickets.id)
	      > last_activity_at;
CREATE INDEX tickets_last_activity ON tickets(last_activity_at, id);
