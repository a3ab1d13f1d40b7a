-- The service desk: technicians' certifications, business-hours
-- calendars, SLA policies, contracts, the catalog (products and work
-- types), and tickets with their events, notes and time entries.

-- human numbers (T-000123): a row per sequence, made on first use
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);

CREATE TABLE user_certifications (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	user_id BIGINT NOT NULL REFERENCES users(id),
	name TEXT NOT NULL,
	issuer TEXT,
	number TEXT,
	issued_on TEXT,
	expires_on TEXT
);
CREATE INDEX user_certifications_user ON user_certifications(user_id, name, id);
CREATE INDEX users_name ON users(name, id);

CREATE TABLE calendars (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	name TEXT NOT NULL UNIQUE,
	timezone TEXT NOT NULL,
	always_open BIGINT NOT NULL DEFAULT 0,
	hours TEXT NOT NULL DEFAULT '[]',
	holidays TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE sla_policies (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	name TEXT NOT NULL UNIQUE,
	calendar_id BIGINT NOT NULL REFERENCES calendars(id),
	targets TEXT NOT NULL DEFAULT '[]',
	pause_statuses TEXT NOT NULL DEFAULT '["waiting_customer"]',
	is_default BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE contracts (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	company_id BIGINT NOT NULL REFERENCES companies(id),
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	status TEXT NOT NULL,
	starts_on TEXT NOT NULL,
	ends_on TEXT,
	sla_policy_id BIGINT REFERENCES sla_policies(id),
	currency TEXT NOT NULL,
	monthly_fee BIGINT,
	block_minutes BIGINT,
	block_price BIGINT,
	overage_rate BIGINT,
	billing_increment_minutes BIGINT NOT NULL DEFAULT 15,
	minimum_minutes BIGINT NOT NULL DEFAULT 0,
	rollover BIGINT NOT NULL DEFAULT 0,
	notes TEXT
);
CREATE INDEX contracts_company_name ON contracts(company_id, name, id);
CREATE INDEX contracts_name ON contracts(name, id);

CREATE TABLE products (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	sku TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	description TEXT,
	currency TEXT NOT NULL,
	unit_cost BIGINT NOT NULL DEFAULT 0,
	unit_price BIGINT NOT NULL,
	taxable BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX products_name ON products(name, id);

CREATE TABLE work_types (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	name TEXT NOT NULL UNIQUE,
	currency TEXT NOT NULL,
	hourly_rate BIGINT NOT NULL,
	billable BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE tickets (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	number TEXT NOT NULL UNIQUE,
	subject TEXT NOT NULL,
	description TEXT,
	kind TEXT NOT NULL,
	channel TEXT NOT NULL,
	priority TEXT NOT NULL,
	status TEXT NOT NULL,
	company_id BIGINT NOT NULL REFERENCES companies(id),
	contact_id BIGINT REFERENCES contacts(id),
	site_id BIGINT REFERENCES sites(id),
	asset_id BIGINT REFERENCES assets(id),
	contract_id BIGINT REFERENCES contracts(id),
	assignee_id BIGINT REFERENCES users(id),
	tier BIGINT NOT NULL DEFAULT 1,
	required_skills TEXT NOT NULL DEFAULT '[]',
	resolution TEXT,
	first_responded_at TEXT,
	resolved_at TEXT,
	closed_at TEXT,
	sla_policy_id BIGINT REFERENCES sla_policies(id),
	response_due_at TEXT,
	resolution_due_at TEXT,
	response_breached BIGINT NOT NULL DEFAULT 0,
	resolution_breached BIGINT NOT NULL DEFAULT 0,
	paused_minutes BIGINT NOT NULL DEFAULT 0,
	sla_warnings BIGINT NOT NULL DEFAULT 0,
	merged_into_id BIGINT REFERENCES tickets(id) DEFERRABLE INITIALLY IMMEDIATE,
	notes_text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tickets_status ON tickets(status, id);
CREATE INDEX tickets_company ON tickets(company_id, id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, status, id);
CREATE INDEX tickets_created ON tickets(created_at, id);
CREATE INDEX tickets_updated ON tickets(updated_at, id);
CREATE INDEX tickets_resolution_due ON tickets(resolution_due_at, id);
CREATE INDEX tickets_contract ON tickets(contract_id);

-- the history the SLA clock is computed from, and the ticket's timeline
CREATE TABLE ticket_events (
	id @ID_PK@,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	at TEXT NOT NULL,
	kind TEXT NOT NULL,
	from_value TEXT,
	to_value TEXT,
	actor_id BIGINT REFERENCES users(id),
	detail TEXT
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

CREATE TABLE ticket_notes (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	body TEXT NOT NULL,
	visibility TEXT NOT NULL,
	author_id BIGINT REFERENCES users(id)
);
CREATE INDEX ticket_notes_ticket ON ticket_notes(ticket_id, id);

CREATE TABLE time_entries (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	work_type_id BIGINT NOT NULL REFERENCES work_types(id),
	started_at TEXT NOT NULL,
	minutes BIGINT NOT NULL,
	billable BIGINT NOT NULL DEFAULT 1,
	notes TEXT,
	invoice_id BIGINT
);
CREATE INDEX time_entries_ticket ON time_entries(ticket_id, id);
CREATE INDEX time_entries_user ON time_entries(user_id, started_at, id);
CREATE INDEX time_entries_started ON time_entries(started_at, id);

-- @fts tickets number,subject,description,notes_text
-- @fts products sku,name,description
