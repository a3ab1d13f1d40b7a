-- Monitoring intake (POST /api/v1/alerts): one row per alert episode of a
-- monitoring tool, an alert (source, key) with the ticket it opened. While
-- state is 'open' the row takes the alert's repeats and its clear; at most
-- one open row per (source, key), which is what makes two deliveries of the
-- same new alert at once open one ticket, not two.

CREATE TABLE alerts (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	source TEXT NOT NULL,
	key TEXT NOT NULL,
	state TEXT NOT NULL,
	last_status TEXT NOT NULL,
	severity TEXT NOT NULL,
	subject TEXT,
	count BIGINT NOT NULL,
	first_at TEXT NOT NULL,
	last_at TEXT NOT NULL,
	cleared_at TEXT,
	closed_at TEXT,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	company_id BIGINT NOT NULL REFERENCES companies(id),
	asset_id BIGINT REFERENCES assets(id),
	own_notes BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alerts_open_key ON alerts(source, key) WHERE state = 'open';
CREATE INDEX alerts_key ON alerts(source, key, id);
CREATE INDEX alerts_ticket ON alerts(ticket_id, id);
CREATE INDEX alerts_company ON alerts(company_id, id);
CREATE INDEX alerts_created ON alerts(created_at, id);
