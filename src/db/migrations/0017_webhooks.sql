-- Outgoing webhooks (Standard Webhooks): the endpoints, their deliveries,
-- and the dispatcher's place in the event outbox.

CREATE TABLE webhooks (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	url TEXT NOT NULL,
	events TEXT NOT NULL DEFAULT '[]',
	description TEXT,
	active BIGINT NOT NULL DEFAULT 1,
	disabled_reason TEXT,
	-- the masked form shown in replies; the signing secrets only the server reads
	secret TEXT NOT NULL,
	signing_secret TEXT NOT NULL,
	previous_secret TEXT,
	previous_secret_expires_at TEXT
);
CREATE INDEX webhooks_created ON webhooks(created_at, id);

-- One message to one endpoint: an event fanned out, a test, or a replay of
-- either. Written by the dispatcher (not through the engine: it is a log).
CREATE TABLE webhook_deliveries (
	id @ID_PK@,
	webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
	event_id BIGINT,
	replay_of_id BIGINT REFERENCES webhook_deliveries(id),
	msg_id TEXT NOT NULL,
	type TEXT NOT NULL,
	payload TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'pending',
	attempts BIGINT NOT NULL DEFAULT 0,
	last_status BIGINT,
	last_error TEXT,
	response_excerpt TEXT,
	next_attempt_at TEXT,
	last_attempt_at TEXT,
	delivered_at TEXT,
	locked_until TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
-- an event reaches an endpoint once (replays and tests name no event, or repeat one)
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries(webhook_id, event_id)
	WHERE event_id IS NOT NULL AND replay_of_id IS NULL;
CREATE INDEX webhook_deliveries_list ON webhook_deliveries(webhook_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at, id);

-- The dispatcher's cursor in the outbox: the last event fanned out, in
-- commit order (txid, id). One row, made by the dispatcher when it first
-- runs (so that a new database's tables are all empty, as servio copy
-- wants them).
-- @sqlite
CREATE TABLE webhook_cursor (
	id BIGINT PRIMARY KEY,
	txid BIGINT NOT NULL,
	event_id BIGINT NOT NULL
);
-- @postgres
CREATE TABLE webhook_cursor (
	id BIGINT PRIMARY KEY,
	txid xid8 NOT NULL,
	event_id BIGINT NOT NULL
);
-- @all

-- Which transaction wrote an event. On PostgreSQL ids are taken when a row
-- is inserted but become visible when its transaction commits, so a reader
-- going by id alone could pass over an event whose transaction was still
-- open; the dispatcher reads in (txid, id) order only events of
-- transactions older than any still running. SQLite commits one writer at
-- a time in id order: there txid stays 0.
-- @sqlite
ALTER TABLE events ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
-- @postgres
ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
-- @all
CREATE INDEX events_txid ON events(txid, id);
