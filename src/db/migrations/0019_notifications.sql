-- Staff notifications: what happened that a user should know of (assigned
-- to them, the client replied, an SLA warning, a quote accepted), shown in
-- the UI and, for the kinds each user chose, sent by e-mail.

-- the kinds a user has sent by e-mail (a JSON array); every kind to start with
ALTER TABLE users ADD COLUMN notify_email TEXT NOT NULL
	DEFAULT '["assigned","client_replied","sla_warning","quote_accepted","negative_rating"]';

CREATE TABLE notifications (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	user_id BIGINT NOT NULL REFERENCES users(id),
	kind TEXT NOT NULL,
	ticket_id BIGINT REFERENCES tickets(id),
	quote_id BIGINT REFERENCES quotes(id),
	title TEXT NOT NULL,
	body TEXT,
	link TEXT,
	emailed BIGINT NOT NULL DEFAULT 0,
	read BIGINT NOT NULL DEFAULT 0,
	read_at TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at, id);
CREATE INDEX notifications_unread ON notifications(user_id, read, id);

-- the staff's mail; {{name}} as in the client's (src/mail/outbound.c)
INSERT INTO mail_templates (created_at, updated_at, event, description, subject, body) VALUES
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'notify_assigned',
 'To a staff member when a service order is assigned to them (if they chose it).',
 'Assigned to you: {{ticket_number}} {{ticket_subject}}',
 'Hello {{user_name}},

{{actor_name}} assigned service order {{ticket_number}} to you:
"{{ticket_subject}}" ({{ticket_priority}} priority, {{company_name}}).

{{link}}'),
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'notify_client_replied',
 'To the assignee (or the managers, when nobody has it) when the client writes on a service order.',
 'Client replied: {{ticket_number}} {{ticket_subject}}',
 'Hello {{user_name}},

{{client_name}} wrote on service order {{ticket_number}} ("{{ticket_subject}}"):

{{note_body}}

{{link}}'),
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'notify_sla',
 'To the assignee and the managers when a service order reaches 75, 90 or 100 % of an SLA target.',
 'SLA {{sla_percent}} %: {{ticket_number}} {{ticket_subject}}',
 'Hello {{user_name}},

service order {{ticket_number}} ("{{ticket_subject}}", {{company_name}}) has
used {{sla_percent}} % of its {{sla_clock}} time; it is due at {{sla_due_at}}.

{{link}}'),
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'notify_quote_accepted',
 'To the quote''s author, the opportunity''s owner and the managers when a client accepts a quote.',
 'Quote accepted: {{quote_number}} {{quote_title}}',
 'Hello {{user_name}},

{{accepted_name}} accepted quote {{quote_number}} ("{{quote_title}}", {{quote_total}})
for {{company_name}}.

{{link}}');
