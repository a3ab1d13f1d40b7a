-- Recurring tickets: templates with an RRULE in a time zone, from which
-- the job worker opens a ticket at each occurrence.

CREATE TABLE recurring_tickets (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	name TEXT NOT NULL,
	rrule TEXT NOT NULL,
	starts_local TEXT NOT NULL,
	timezone TEXT NOT NULL,
	active BIGINT NOT NULL DEFAULT 1,
	next_run_at TEXT,
	last_run_at TEXT,
	subject TEXT NOT NULL,
	description TEXT,
	kind TEXT NOT NULL,
	priority TEXT NOT NULL,
	company_id BIGINT NOT NULL REFERENCES companies(id),
	site_id BIGINT REFERENCES sites(id),
	asset_id BIGINT REFERENCES assets(id),
	contract_id BIGINT REFERENCES contracts(id),
	assignee_id BIGINT REFERENCES users(id),
	required_skills TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX recurring_tickets_due ON recurring_tickets(active, next_run_at, id);
CREATE INDEX recurring_tickets_name ON recurring_tickets(name, id);

-- one ticket per template and occurrence, however often a worker retries
ALTER TABLE tickets ADD COLUMN recurring_at TEXT;
CREATE UNIQUE INDEX tickets_recurring ON tickets(recurring_id, recurring_at);
