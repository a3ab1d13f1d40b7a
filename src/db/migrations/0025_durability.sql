-- Room to write: /healthz rewrites this one row (at most every 30 s) and
-- commits it, to find out whether the database can still take a write
-- (src/api/system.c, db_write_probe). Nothing else reads or writes it.

CREATE TABLE write_probes (
	id @ID_PK@,
	probed_at TEXT NOT NULL
);
