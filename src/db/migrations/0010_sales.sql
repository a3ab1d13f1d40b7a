-- Winning work: the firm's own settings (one row), opportunities,
-- activities and quotes with their lines, revisions and the secret
-- link a client accepts through. Contracts and tickets remember the
-- quote they came from.

CREATE TABLE settings (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	firm_name TEXT NOT NULL,
	address TEXT,
	phone TEXT,
	email TEXT,
	website TEXT,
	public_url TEXT,
	timezone TEXT NOT NULL,
	currency TEXT NOT NULL,
	tax_rate_bp BIGINT NOT NULL DEFAULT 0,
	quote_validity_days BIGINT NOT NULL DEFAULT 30,
	logo_png TEXT
);
INSERT INTO settings (id, created_at, updated_at, firm_name, timezone, currency)
	VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'Our firm', 'UTC', 'USD');

CREATE TABLE opportunities (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	company_id BIGINT NOT NULL REFERENCES companies(id),
	title TEXT NOT NULL,
	stage TEXT NOT NULL,
	source TEXT,
	campaign TEXT,
	referral_partner_id BIGINT REFERENCES companies(id),
	estimated_value BIGINT,
	currency TEXT NOT NULL,
	owner_id BIGINT REFERENCES users(id),
	expected_close_on TEXT,
	lost_reason TEXT,
	closed_at TEXT,
	notes TEXT
);
CREATE INDEX opportunities_stage ON opportunities(stage, id);
CREATE INDEX opportunities_company ON opportunities(company_id, id);
CREATE INDEX opportunities_owner ON opportunities(owner_id, id);
CREATE INDEX opportunities_created ON opportunities(created_at, id);

CREATE TABLE activities (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	kind TEXT NOT NULL,
	subject TEXT NOT NULL,
	company_id BIGINT REFERENCES companies(id),
	contact_id BIGINT REFERENCES contacts(id),
	opportunity_id BIGINT REFERENCES opportunities(id),
	owner_id BIGINT REFERENCES users(id),
	due_at TEXT,
	done_at TEXT,
	notes TEXT
);
CREATE INDEX activities_owner_due ON activities(owner_id, done_at, due_at, id);
CREATE INDEX activities_due ON activities(due_at, id);
CREATE INDEX activities_opportunity ON activities(opportunity_id, id);
CREATE INDEX activities_company ON activities(company_id, id);

CREATE TABLE quotes (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	number TEXT NOT NULL,
	revision BIGINT NOT NULL DEFAULT 1,
	previous_id BIGINT REFERENCES quotes(id),
	superseded_by_id BIGINT REFERENCES quotes(id),
	company_id BIGINT NOT NULL REFERENCES companies(id),
	contact_id BIGINT REFERENCES contacts(id),
	opportunity_id BIGINT REFERENCES opportunities(id),
	title TEXT NOT NULL,
	contract_kind TEXT NOT NULL,
	status TEXT NOT NULL,
	valid_until TEXT NOT NULL,
	currency TEXT NOT NULL,
	response_time_minutes BIGINT,
	coverage TEXT NOT NULL,
	warranty_days BIGINT,
	qualifications TEXT,
	technicians TEXT NOT NULL DEFAULT '[]',
	lines TEXT NOT NULL DEFAULT '[]',
	tax_rate_bp BIGINT NOT NULL DEFAULT 0,
	subtotal BIGINT NOT NULL DEFAULT 0,
	tax BIGINT NOT NULL DEFAULT 0,
	total BIGINT NOT NULL DEFAULT 0,
	notes TEXT,
	sent_at TEXT,
	link_hash TEXT UNIQUE,
	accepted_at TEXT,
	accepted_name TEXT,
	accepted_address TEXT,
	accepted_by_id BIGINT REFERENCES users(id),
	declined_at TEXT,
	decline_reason TEXT,
	expired_at TEXT,
	contract_id BIGINT REFERENCES contracts(id),
	UNIQUE (number, revision)
);
CREATE INDEX quotes_company ON quotes(company_id, id);
CREATE INDEX quotes_status_valid ON quotes(status, valid_until, id);
CREATE INDEX quotes_opportunity ON quotes(opportunity_id, id);
CREATE INDEX quotes_created ON quotes(created_at, id);

ALTER TABLE contracts ADD COLUMN quote_id BIGINT REFERENCES quotes(id);
ALTER TABLE tickets ADD COLUMN quote_id BIGINT REFERENCES quotes(id);

-- @postgres
-- quote numbers from a sequence, as ticket numbers (0007)
CREATE SEQUENCE counter_quotes;

-- @all
-- @fts opportunities title,source,campaign,notes
-- @fts quotes number,title,notes
