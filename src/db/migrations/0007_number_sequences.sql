-- On PostgreSQL ticket numbers come from a sequence: one counter row
-- that every new ticket updates made concurrent creates fail with
-- serialization errors (bench/run.sh). It starts where the row is.
-- SQLite keeps the counter row: its writers are serialized anyway.

-- @postgres
CREATE SEQUENCE counter_tickets;
SELECT setval('counter_tickets', COALESCE((SELECT value FROM counters WHERE name = 'tickets'), 0) + 1, false);
