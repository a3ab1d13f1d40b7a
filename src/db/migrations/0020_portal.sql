-- The client portal: a contact with portal_access signs in with a login of
-- their own, a row of users with role 'portal' tied to the contact (the
-- staff's /users never show it). Invitations and password resets are
-- one-time links whose secrets are kept hashed.

ALTER TABLE contacts ADD COLUMN portal_role TEXT NOT NULL DEFAULT 'technical';
ALTER TABLE contacts ADD COLUMN portal_invited_at TEXT;
ALTER TABLE contacts ADD COLUMN portal_activated_at TEXT;

ALTER TABLE users ADD COLUMN contact_id BIGINT REFERENCES contacts(id);
CREATE UNIQUE INDEX users_contact ON users(contact_id);

CREATE TABLE portal_links (
	id @ID_PK@,
	user_id BIGINT NOT NULL REFERENCES users(id),
	kind TEXT NOT NULL,		-- 'invite' or 'reset'
	token_hash TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at TEXT,
	created_by BIGINT REFERENCES users(id)
);
CREATE INDEX portal_links_user ON portal_links(user_id, kind);

-- the real text of a mail that carries a secret link; body shows it hidden
ALTER TABLE outbound_messages ADD COLUMN secret_body TEXT;

INSERT INTO mail_templates (created_at, updated_at, event, description, subject, body) VALUES
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'portal_invitation',
 'To a contact invited to the client portal: the link that sets their password (valid 7 days).',
 'Your {{firm_name}} client portal',
 'Hello {{contact_name}},

{{inviter_name}} has invited you to the {{firm_name}} client portal, where you can open service requests and follow them, answer quotes and see your invoices.

Choose your password here (the link works once, for 7 days):
{{invite_url}}

You sign in with this e-mail address: {{login_email}}

{{firm_name}}
{{firm_phone}}'),
('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'portal_reset',
 'To a portal contact who asked to reset their password: the link that sets a new one (valid 1 hour).',
 'Reset your {{firm_name}} portal password',
 'Hello {{contact_name}},

Someone (we hope you) asked to reset the password of your {{firm_name}} client portal account. Choose a new password here (the link works once, for one hour):
{{reset_url}}

If you did not ask for it, ignore this message: your password stays as it is.

{{firm_name}}
{{firm_phone}}');
