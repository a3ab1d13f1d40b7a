-- Background jobs are rows that the job worker claims; and the indexes
-- its housekeeping deletes expired sessions, idempotency keys and login
-- failures by.

CREATE TABLE jobs (
	id @ID_PK@,
	kind TEXT NOT NULL,
	payload TEXT NOT NULL DEFAULT '{}',
	state TEXT NOT NULL DEFAULT 'queued',
	run_at TEXT NOT NULL,
	attempts BIGINT NOT NULL DEFAULT 0,
	max_attempts BIGINT NOT NULL DEFAULT 10,
	unique_key TEXT UNIQUE,
	locked_by TEXT,
	locked_at TEXT,
	last_error TEXT,
	created_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE INDEX jobs_due ON jobs(state, run_at, id);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX idempotency_created ON idempotency_keys(created_at);
CREATE INDEX login_failures_window ON login_failures(window_start);
