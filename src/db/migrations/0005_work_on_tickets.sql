-- Work on tickets: certifications a ticket needs, follow-ups, checklists
-- (and their templates), parts used, appointments, and each user's
-- calendar feed.

ALTER TABLE tickets ADD COLUMN required_certifications TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tickets ADD COLUMN follow_up_at TEXT;
ALTER TABLE tickets ADD COLUMN follow_up_user_id BIGINT REFERENCES users(id);
ALTER TABLE tickets ADD COLUMN follow_up_note TEXT;
ALTER TABLE tickets ADD COLUMN recurring_id BIGINT;
ALTER TABLE tickets ADD COLUMN external_reference TEXT;
CREATE INDEX tickets_follow_up ON tickets(follow_up_user_id, follow_up_at, id);

CREATE TABLE checklist_templates (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	name TEXT NOT NULL UNIQUE,
	ticket_kind TEXT NOT NULL,
	items TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE ticket_checklist_items (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	label TEXT NOT NULL,
	required BIGINT NOT NULL DEFAULT 0,
	done BIGINT NOT NULL DEFAULT 0,
	done_by BIGINT REFERENCES users(id),
	done_at TEXT,
	position BIGINT NOT NULL DEFAULT 0,
	template_id BIGINT REFERENCES checklist_templates(id)
);
CREATE INDEX ticket_checklist_ticket ON ticket_checklist_items(ticket_id, position, id);

CREATE TABLE ticket_parts (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	product_id BIGINT NOT NULL REFERENCES products(id),
	quantity BIGINT NOT NULL,
	unit_cost BIGINT NOT NULL,
	unit_price BIGINT NOT NULL,
	serial_number TEXT,
	billable BIGINT NOT NULL DEFAULT 1,
	invoice_id BIGINT
);
CREATE INDEX ticket_parts_ticket ON ticket_parts(ticket_id, id);
CREATE INDEX ticket_parts_serial ON ticket_parts(serial_number);

CREATE TABLE appointments (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT REFERENCES tickets(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	starts_at TEXT NOT NULL,
	ends_at TEXT NOT NULL,
	site_id BIGINT REFERENCES sites(id),
	status TEXT NOT NULL,
	title TEXT,
	notes TEXT
);
CREATE INDEX appointments_user ON appointments(user_id, starts_at, id);
CREATE INDEX appointments_ticket ON appointments(ticket_id, id);
CREATE INDEX appointments_starts ON appointments(starts_at, id);

-- secret, revocable iCalendar feed URLs, one per user
CREATE TABLE calendar_feeds (
	id @ID_PK@,
	user_id BIGINT NOT NULL UNIQUE REFERENCES users(id),
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL
);
