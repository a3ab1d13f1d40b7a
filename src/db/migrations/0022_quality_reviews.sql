-- Random quality reviews (src/quality/): each ended week the worker draws
-- a sample of every technician's finished service orders, once; managers
-- review each against a checklist template with weighted items.

-- the share of a technician's finished tickets drawn each week, in basis
-- points (1000 = 10 %); 0 turns the draw off
ALTER TABLE settings ADD COLUMN qa_sample_rate_bp BIGINT NOT NULL DEFAULT 1000;

CREATE TABLE qa_templates (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	name TEXT NOT NULL,
	description TEXT,
	items TEXT NOT NULL DEFAULT '[]',
	active BIGINT NOT NULL DEFAULT 1,
	is_default BIGINT NOT NULL DEFAULT 0
);
-- at most one live default (the hooks move it; this makes sure)
CREATE UNIQUE INDEX qa_templates_default ON qa_templates(is_default)
	WHERE is_default = 1 AND archived_at IS NULL;

-- one row per technician and week drawn: never drawn again
CREATE TABLE qa_draws (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	user_id BIGINT NOT NULL REFERENCES users(id),
	week_start TEXT NOT NULL,
	seed TEXT NOT NULL,
	rate_bp BIGINT NOT NULL,
	closed_count BIGINT NOT NULL,
	drawn_count BIGINT NOT NULL,
	drawn_at TEXT NOT NULL,
	UNIQUE (user_id, week_start)
);
CREATE INDEX qa_draws_week ON qa_draws(week_start, id);

CREATE TABLE qa_reviews (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT NOT NULL REFERENCES tickets(id),
	technician_id BIGINT NOT NULL REFERENCES users(id),
	reviewer_id BIGINT REFERENCES users(id),
	template_id BIGINT REFERENCES qa_templates(id),
	status TEXT NOT NULL DEFAULT 'pending',
	answers TEXT NOT NULL DEFAULT '[]',
	checklist TEXT NOT NULL DEFAULT '[]',
	score BIGINT,
	notes TEXT,
	week_start TEXT NOT NULL,
	draw_id BIGINT REFERENCES qa_draws(id),
	completed_at TEXT
);
CREATE INDEX qa_reviews_ticket ON qa_reviews(ticket_id, id);
CREATE INDEX qa_reviews_status ON qa_reviews(status, week_start, id);
CREATE INDEX qa_reviews_technician ON qa_reviews(technician_id, week_start, id);

-- every firm starts with one checklist (weights 1..100; the score is the
-- share of the points given)
INSERT INTO qa_templates (created_at, updated_at, name, description, items, active, is_default)
VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'Service order review',
 'The services manager''s check of a finished service order.',
 '[{"label":"Diagnosis documented","weight":20,"guidance":"The notes say what was found and how."},{"label":"Customer kept informed","weight":20,"guidance":"Public notes at each step; no silent waits."},{"label":"Time recorded accurately","weight":15,"guidance":"Time entries match the work and carry notes."},{"label":"Resolution confirmed with client","weight":20,"guidance":"The client agreed it is fixed before resolving."},{"label":"Notes professional","weight":15,"guidance":"Clear, polite, no jargon in public notes."},{"label":"Knowledge base consulted or updated","weight":10,"guidance":"A known procedure was followed, or a new one written."}]',
 1, 1);
