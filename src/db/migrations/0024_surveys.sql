-- Satisfaction surveys: one per resolved ticket, answered through a secret
-- link (only its hash is kept), with the rating feeding the CSAT report;
-- the manager a user reports to (a negative rating alerts them); and the
-- keys the server derives link secrets with.

CREATE TABLE surveys (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	ticket_id BIGINT NOT NULL UNIQUE REFERENCES tickets(id),
	company_id BIGINT NOT NULL REFERENCES companies(id),
	contact_id BIGINT REFERENCES contacts(id),
	technician_id BIGINT REFERENCES users(id),
	sent_at TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	answered BIGINT NOT NULL DEFAULT 0,
	rating BIGINT,
	comment TEXT,
	answered_at TEXT,
	first_answered_at TEXT,
	alerted_user_id BIGINT REFERENCES users(id)
);
CREATE INDEX surveys_company ON surveys(company_id, created_at, id);
CREATE INDEX surveys_technician ON surveys(technician_id, created_at, id);
CREATE INDEX surveys_sent ON surveys(sent_at, id);
CREATE INDEX surveys_answered ON surveys(answered_at, id);

-- whom a user reports to (managers and admins set it)
ALTER TABLE users ADD COLUMN manager_id BIGINT REFERENCES users(id);

-- server secrets made on first use (HMAC keys for links staff may show again)
CREATE TABLE link_keys (
	id @ID_PK@,
	name TEXT NOT NULL UNIQUE,
	secret TEXT NOT NULL,
	created_at TEXT NOT NULL
);

-- the resolved mail carries the survey (an edited template is left as it is)
UPDATE mail_templates SET body = 'Hello {{contact_name}},

service order {{ticket_number}} ("{{ticket_subject}}") is resolved:

{{resolution}}

How did we do? One click rates our work:

{{survey_ratings}}
Or open {{survey_url}} to rate it and tell us more.

If the problem is not solved, reply to this e-mail and we will reopen it.

{{firm_name}}
{{firm_phone}}', description = 'To the client when their service order is resolved, with the satisfaction survey.'
WHERE event = 'ticket_resolved' AND body = 'Hello {{contact_name}},

service order {{ticket_number}} ("{{ticket_subject}}") is resolved:

{{resolution}}

If the problem is not solved, reply to this e-mail and we will reopen it.

{{firm_name}}
{{firm_phone}}';

-- to the manager a rating of 1 or 2 alerts (src/notify/)
INSERT INTO mail_templates (created_at, updated_at, event, description, subject, body) VALUES
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'notify_negative_rating',
 'To the assignee''s manager (or every manager) when a client rates a service order 1 or 2.',
 'Rated {{rating}}/5: {{ticket_number}} {{ticket_subject}}',
 'Hello {{user_name}},

{{client_name}} ({{company_name}}) rated service order {{ticket_number}}
("{{ticket_subject}}") {{rating}} out of 5:

{{survey_comment}}

A follow-up is open for you on the service order.

{{link}}');
