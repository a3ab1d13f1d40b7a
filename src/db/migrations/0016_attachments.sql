-- Attachments: files on a ticket (and on one of its notes), uploaded by
-- staff or kept from a client's mail. The bytes live in the blob store
-- under the data directory, named by their SHA-256 (sha256 here); the same
-- content stored twice is one file and two rows.

CREATE TABLE attachments (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	note_id BIGINT REFERENCES ticket_notes(id),
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	uploaded_by_id BIGINT REFERENCES users(id),
	contact_id BIGINT REFERENCES contacts(id)
);
CREATE INDEX attachments_ticket ON attachments(ticket_id, id);
CREATE INDEX attachments_sha256 ON attachments(sha256);
CREATE INDEX attachments_created ON attachments(created_at, id);
