-- Getting paid: contracts that bill themselves (rate overrides, covered
-- work types and parts, recurring additions, renewals with rollover, block
-- warnings), invoices with their lines, runs, payments and credit notes,
-- time worth billing (approval, time not on a ticket, cost rates), and the
-- firm's billing defaults.

-- the firm's defaults for work under no contract, and its invoices' terms
ALTER TABLE settings ADD COLUMN billing_increment_minutes BIGINT NOT NULL DEFAULT 15;
ALTER TABLE settings ADD COLUMN minimum_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE settings ADD COLUMN labor_taxable BIGINT NOT NULL DEFAULT 0;
ALTER TABLE settings ADD COLUMN payment_terms_days BIGINT NOT NULL DEFAULT 30;
ALTER TABLE settings ADD COLUMN time_approval BIGINT NOT NULL DEFAULT 0;

-- a client's own tax rate and payment terms (else the firm's)
ALTER TABLE companies ADD COLUMN tax_rate_bp BIGINT;
ALTER TABLE companies ADD COLUMN payment_terms_days BIGINT;

-- what a technician's hour costs, and the calendar of their working hours
ALTER TABLE users ADD COLUMN cost_rate BIGINT;
ALTER TABLE users ADD COLUMN calendar_id BIGINT REFERENCES calendars(id);

ALTER TABLE contracts ADD COLUMN rates TEXT NOT NULL DEFAULT '[]';
ALTER TABLE contracts ADD COLUMN covered_work_type_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE contracts ADD COLUMN parts_covered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contracts ADD COLUMN additions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE contracts ADD COLUMN carried_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contracts ADD COLUMN renewed_from_id BIGINT REFERENCES contracts(id);
ALTER TABLE contracts ADD COLUMN renewed_by_id BIGINT REFERENCES contracts(id);
ALTER TABLE contracts ADD COLUMN block_warnings BIGINT NOT NULL DEFAULT 0;

CREATE TABLE invoice_runs (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	period_from TEXT NOT NULL,
	period_to TEXT NOT NULL,
	company_id BIGINT REFERENCES companies(id),
	run_by_id BIGINT REFERENCES users(id),
	invoices BIGINT NOT NULL DEFAULT 0,
	summary TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX invoice_runs_created ON invoice_runs(created_at, id);

CREATE TABLE invoices (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	number TEXT UNIQUE,
	company_id BIGINT NOT NULL REFERENCES companies(id),
	status TEXT NOT NULL,
	currency TEXT NOT NULL,
	issued_on TEXT,
	due_on TEXT,
	payment_terms_days BIGINT,
	period_from TEXT,
	period_to TEXT,
	run_id BIGINT REFERENCES invoice_runs(id),
	lines TEXT NOT NULL DEFAULT '[]',
	next_line BIGINT NOT NULL DEFAULT 1,
	tax_rate_bp BIGINT NOT NULL DEFAULT 0,
	subtotal BIGINT NOT NULL DEFAULT 0,
	tax BIGINT NOT NULL DEFAULT 0,
	total BIGINT NOT NULL DEFAULT 0,
	paid BIGINT NOT NULL DEFAULT 0,
	credited BIGINT NOT NULL DEFAULT 0,
	balance BIGINT NOT NULL DEFAULT 0,
	paid_on TEXT,
	voided_at TEXT,
	void_reason TEXT,
	notes TEXT
);
CREATE INDEX invoices_live_created ON invoices(created_at, id) WHERE archived_at IS NULL;
CREATE INDEX invoices_status ON invoices(status, due_on, id);
CREATE INDEX invoices_company ON invoices(company_id, created_at, id);
CREATE INDEX invoices_issued ON invoices(issued_on, id);

-- an index of the invoices' lines (their JSON is the record): what
-- block-hours lines drew and what each contract and rule earned, for the
-- runs and the reports; kept by the invoice's own writes
CREATE TABLE invoice_lines (
	id @ID_PK@,
	invoice_id BIGINT NOT NULL REFERENCES invoices(id),
	line_id BIGINT NOT NULL,
	rule TEXT NOT NULL,
	contract_id BIGINT REFERENCES contracts(id),
	billed_minutes BIGINT NOT NULL DEFAULT 0,
	amount BIGINT NOT NULL,
	month TEXT,
	UNIQUE (invoice_id, line_id)
);
CREATE INDEX invoice_lines_contract ON invoice_lines(contract_id, rule);

-- the fees, additions and block purchases a contract's invoices bill, one
-- row each: a run that races another one trips over the unique key instead
-- of billing a month twice; a void invoice's rows go, so its month bills again
CREATE TABLE billed_periods (
	id @ID_PK@,
	contract_id BIGINT NOT NULL REFERENCES contracts(id),
	kind TEXT NOT NULL,
	month TEXT NOT NULL,
	invoice_id BIGINT NOT NULL REFERENCES invoices(id),
	UNIQUE (contract_id, kind, month)
);
CREATE INDEX billed_periods_invoice ON billed_periods(invoice_id);

CREATE TABLE invoice_payments (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	invoice_id BIGINT NOT NULL REFERENCES invoices(id),
	amount BIGINT NOT NULL,
	received_on TEXT NOT NULL,
	method TEXT NOT NULL,
	reference TEXT,
	notes TEXT
);
CREATE INDEX invoice_payments_invoice ON invoice_payments(invoice_id, id);

CREATE TABLE credit_notes (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	number TEXT NOT NULL UNIQUE,
	invoice_id BIGINT NOT NULL REFERENCES invoices(id),
	company_id BIGINT NOT NULL REFERENCES companies(id),
	currency TEXT NOT NULL,
	issued_on TEXT NOT NULL,
	amount BIGINT NOT NULL,
	tax BIGINT NOT NULL DEFAULT 0,
	total BIGINT NOT NULL,
	reason TEXT NOT NULL
);
CREATE INDEX credit_notes_invoice ON credit_notes(invoice_id, id);
CREATE INDEX credit_notes_company ON credit_notes(company_id, id);

CREATE INDEX ticket_parts_invoice ON ticket_parts(invoice_id);

-- time not on a ticket (travel, admin, training) and approval: the ticket
-- and the work type become optional, which SQLite can only do by rebuilding
-- the table
-- @postgres
ALTER TABLE time_entries ALTER COLUMN ticket_id DROP NOT NULL;
ALTER TABLE time_entries ALTER COLUMN work_type_id DROP NOT NULL;
ALTER TABLE time_entries ADD COLUMN kind TEXT NOT NULL DEFAULT 'ticket';
ALTER TABLE time_entries ADD COLUMN approved_at TEXT;
ALTER TABLE time_entries ADD COLUMN approved_by_id BIGINT REFERENCES users(id);
-- @sqlite
CREATE TABLE time_entries_rebuilt (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT REFERENCES tickets(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	work_type_id BIGINT REFERENCES work_types(id),
	started_at TEXT NOT NULL,
	minutes BIGINT NOT NULL,
	billable BIGINT NOT NULL DEFAULT 1,
	notes TEXT,
	invoice_id BIGINT,
	kind TEXT NOT NULL DEFAULT 'ticket',
	approved_at TEXT,
	approved_by_id BIGINT REFERENCES users(id)
);
INSERT INTO time_entries_rebuilt (id, created_at, updated_at, version, archived_at, ticket_id,
	user_id, work_type_id, started_at, minutes, billable, notes, invoice_id)
	SELECT id, created_at, updated_at, version, archived_at, ticket_id, user_id, work_type_id,
	started_at, minutes, billable, notes, invoice_id FROM time_entries;
DROP TABLE time_entries;
ALTER TABLE time_entries_rebuilt RENAME TO time_entries;
CREATE INDEX time_entries_ticket ON time_entries(ticket_id, id);
CREATE INDEX time_entries_user ON time_entries(user_id, started_at, id);
CREATE INDEX time_entries_started ON time_entries(started_at, id);
-- @all
CREATE INDEX time_entries_invoice ON time_entries(invoice_id);
