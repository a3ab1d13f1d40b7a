-- Hearing the client: the firm's mail servers, every message that came in
-- (and what became of it), every message we send with its delivery log,
-- the templates of our mail, and bounced client addresses.

-- outgoing mail (SMTP) and the mailbox the poller reads (IMAP); no host, no mail
ALTER TABLE settings ADD COLUMN mail_from TEXT;
ALTER TABLE settings ADD COLUMN smtp_host TEXT;
ALTER TABLE settings ADD COLUMN smtp_port BIGINT NOT NULL DEFAULT 587;
ALTER TABLE settings ADD COLUMN smtp_security TEXT NOT NULL DEFAULT 'starttls';
ALTER TABLE settings ADD COLUMN smtp_username TEXT;
ALTER TABLE settings ADD COLUMN smtp_secret TEXT;
ALTER TABLE settings ADD COLUMN imap_host TEXT;
ALTER TABLE settings ADD COLUMN imap_port BIGINT NOT NULL DEFAULT 993;
ALTER TABLE settings ADD COLUMN imap_security TEXT NOT NULL DEFAULT 'tls';
ALTER TABLE settings ADD COLUMN imap_username TEXT;
ALTER TABLE settings ADD COLUMN imap_secret TEXT;
ALTER TABLE settings ADD COLUMN imap_mailbox TEXT NOT NULL DEFAULT 'INBOX';
ALTER TABLE settings ADD COLUMN mail_flood_limit BIGINT NOT NULL DEFAULT 20;

-- mail from this domain belongs to the company when the sender is no contact
ALTER TABLE companies ADD COLUMN email_domain TEXT;
CREATE INDEX companies_email_domain ON companies(email_domain);

-- a bounce marks the address: no more mail goes to it until it changes
ALTER TABLE contacts ADD COLUMN email_bounced_at TEXT;
ALTER TABLE contacts ADD COLUMN email_bounce_reason TEXT;
CREATE INDEX contacts_email_lower ON contacts(lower(email));

CREATE TABLE inbound_messages (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	received_at TEXT NOT NULL,
	via TEXT NOT NULL,
	message_id TEXT,
	in_reply_to TEXT,
	from_address TEXT,
	from_name TEXT,
	to_address TEXT,
	subject TEXT,
	sent_at TEXT,
	size BIGINT NOT NULL DEFAULT 0,
	attachments BIGINT NOT NULL DEFAULT 0,
	body TEXT,
	outcome TEXT NOT NULL,
	reason TEXT NOT NULL,
	ticket_id BIGINT REFERENCES tickets(id),
	note_id BIGINT REFERENCES ticket_notes(id),
	contact_id BIGINT REFERENCES contacts(id),
	company_id BIGINT REFERENCES companies(id),
	triage TEXT,
	handled_by_id BIGINT REFERENCES users(id),
	handled_at TEXT
);
CREATE INDEX inbound_messages_received ON inbound_messages(received_at, id);
CREATE INDEX inbound_messages_outcome ON inbound_messages(outcome, id);
CREATE INDEX inbound_messages_triage ON inbound_messages(triage, id);
CREATE INDEX inbound_messages_ticket ON inbound_messages(ticket_id, id);
CREATE INDEX inbound_messages_sender ON inbound_messages(from_address, received_at);
-- a Message-ID is taken once; its later copies are recorded as duplicates
CREATE UNIQUE INDEX inbound_messages_taken ON inbound_messages(message_id)
	WHERE outcome <> 'duplicate';

CREATE TABLE outbound_messages (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	template TEXT NOT NULL,
	automatic BIGINT NOT NULL DEFAULT 0,
	ticket_id BIGINT REFERENCES tickets(id),
	note_id BIGINT REFERENCES ticket_notes(id),
	quote_id BIGINT REFERENCES quotes(id),
	invoice_id BIGINT REFERENCES invoices(id),
	contact_id BIGINT REFERENCES contacts(id),
	to_address TEXT NOT NULL,
	to_name TEXT,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	message_id TEXT NOT NULL UNIQUE,
	in_reply_to TEXT,
	references_ids TEXT,
	status TEXT NOT NULL,
	attempts BIGINT NOT NULL DEFAULT 0,
	last_error TEXT,
	sent_at TEXT,
	next_attempt_at TEXT
);
CREATE INDEX outbound_messages_created ON outbound_messages(created_at, id);
CREATE INDEX outbound_messages_ticket ON outbound_messages(ticket_id, id);
CREATE INDEX outbound_messages_status ON outbound_messages(status, id);

-- each try to hand a message to the SMTP server, and what it answered
CREATE TABLE outbound_attempts (
	id @ID_PK@,
	message_id BIGINT NOT NULL REFERENCES outbound_messages(id),
	at TEXT NOT NULL,
	ok BIGINT NOT NULL,
	detail TEXT NOT NULL
);
CREATE INDEX outbound_attempts_message ON outbound_attempts(message_id, id);

CREATE TABLE mail_templates (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	event TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL
);

-- {{name}} is replaced when a message is made; what each event knows is in
-- src/mail/templates.c. Ticket mail always carries [T-000123] in its subject.
INSERT INTO mail_templates (created_at, updated_at, event, description, subject, body) VALUES
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'ticket_received',
 'To the client when their e-mail or portal request opens a service order.',
 '[{{ticket_number}}] {{ticket_subject}}',
 'Hello {{contact_name}},

we have received your request and opened service order {{ticket_number}}:
"{{ticket_subject}}". We will be in touch.

To add anything, reply to this e-mail and keep {{ticket_number}} in the subject.

{{firm_name}}
{{firm_phone}}'),
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'note_public',
 'To the client when staff write a note visible to them.',
 '[{{ticket_number}}] {{ticket_subject}}',
 'Hello {{contact_name}},

{{note_body}}

{{author_name}}
{{firm_name}}

Reply to this e-mail to answer; please keep {{ticket_number}} in the subject.'),
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'ticket_resolved',
 'To the client when their service order is resolved.',
 '[{{ticket_number}}] Resolved: {{ticket_subject}}',
 'Hello {{contact_name}},

service order {{ticket_number}} ("{{ticket_subject}}") is resolved:

{{resolution}}

If the problem is not solved, reply to this e-mail and we will reopen it.

{{firm_name}}
{{firm_phone}}'),
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'quote_sent',
 'To the client with a quote: its PDF attached and the link to accept it.',
 'Quote {{quote_number}}: {{quote_title}}',
 'Hello {{contact_name}},

please find our quote {{quote_number}} for "{{quote_title}}" attached,
{{quote_total}} in total, valid until {{quote_valid_until}}.

You can read it and accept or decline it here:
{{quote_url}}

{{firm_name}}
{{firm_phone}}'),
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'invoice_issued',
 'To the client when an invoice is issued, with its PDF attached.',
 'Invoice {{invoice_number}} from {{firm_name}}',
 'Hello {{contact_name}},

please find invoice {{invoice_number}} attached: {{invoice_total}},
due on {{invoice_due_on}}.

{{firm_name}}
{{firm_phone}}');
