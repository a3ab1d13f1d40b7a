-- A note can record a client's own words (a call, a reply): the
-- contact who said it. Such a note is no first response, and on a
-- resolved ticket it keeps the ticket from closing by itself.

ALTER TABLE ticket_notes ADD COLUMN contact_id BIGINT REFERENCES contacts(id);
