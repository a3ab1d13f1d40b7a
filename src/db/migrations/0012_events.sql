-- The engine's event outbox: one row per change of a ticket (and its
-- notes), a quote or a contract, written in the change's transaction, for
-- integrations to read in order (GET /api/v1/events) and for the webhooks
-- to deliver. Pruned after 30 days by the hourly housekeeping.

CREATE TABLE events (
	id @ID_PK@,
	at TEXT NOT NULL,
	type TEXT NOT NULL,
	resource TEXT NOT NULL,
	record_id BIGINT NOT NULL,
	actor_id BIGINT,
	actor TEXT NOT NULL,
	request_id TEXT,
	data TEXT
);
CREATE INDEX events_type ON events(type, id);
CREATE INDEX events_record ON events(resource, record_id, id);
CREATE INDEX events_at ON events(at, id);

-- An accepted quote and its contract refer to each other: a copy to
-- PostgreSQL (servio copy) writes one before the other, so the check waits
-- for the end of the transaction there, as for companies.referred_by_id.
-- @postgres
ALTER TABLE contracts ALTER CONSTRAINT contracts_quote_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
ALTER TABLE quotes ALTER CONSTRAINT quotes_contract_id_fkey DEFERRABLE INITIALLY IMMEDIATE;
