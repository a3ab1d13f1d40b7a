-- The foundation: staff users and how they sign in (sessions, API tokens,
-- the login rate limit), idempotency keys, the audit log, and the first
-- records of the CRM: companies, contacts, sites and assets.
--
-- Every record table starts with the same five columns: id, created_at,
-- updated_at, version (the ETag) and archived_at.

CREATE TABLE users (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	active BIGINT NOT NULL DEFAULT 1,
	skills TEXT NOT NULL DEFAULT '[]',
	password_hash TEXT,
	totp_secret TEXT,
	totp_enabled BIGINT NOT NULL DEFAULT 0,
	totp_last_step BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
	id @ID_PK@,
	token_hash TEXT NOT NULL UNIQUE,
	user_id BIGINT NOT NULL REFERENCES users(id),
	csrf_token TEXT NOT NULL,
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	remote_addr TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
	id @ID_PK@,
	user_id BIGINT NOT NULL REFERENCES users(id),
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_at TEXT NOT NULL,
	last_used_at TEXT,
	expires_at TEXT,
	revoked_at TEXT
);

CREATE TABLE login_failures (
	scope TEXT NOT NULL,
	key TEXT NOT NULL,
	window_start TEXT NOT NULL,
	count BIGINT NOT NULL,
	PRIMARY KEY (scope, key)
);

CREATE TABLE idempotency_keys (
	id @ID_PK@,
	user_id BIGINT NOT NULL,
	key TEXT NOT NULL,
	method TEXT NOT NULL,
	path TEXT NOT NULL,
	body_hash TEXT NOT NULL,
	state TEXT NOT NULL,
	status BIGINT,
	content_type TEXT,
	response TEXT,
	location TEXT,
	etag TEXT,
	created_at TEXT NOT NULL,
	UNIQUE (user_id, key)
);

CREATE TABLE audit_log (
	id @ID_PK@,
	at TEXT NOT NULL,
	actor_id BIGINT,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	resource TEXT NOT NULL,
	record_id BIGINT,
	before TEXT,
	after TEXT,
	request_id TEXT
);
CREATE INDEX audit_log_record ON audit_log(resource, record_id, id);
CREATE INDEX audit_log_actor ON audit_log(actor_id, id);
CREATE INDEX audit_log_at ON audit_log(at, id);

CREATE TABLE companies (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	phone TEXT,
	email TEXT,
	website TEXT,
	referred_by_id BIGINT REFERENCES companies(id) DEFERRABLE INITIALLY IMMEDIATE,
	lead_source TEXT,
	notes TEXT
);
CREATE INDEX companies_name ON companies(name, id);
CREATE INDEX companies_kind ON companies(kind, id);
CREATE INDEX companies_created ON companies(created_at, id);
CREATE INDEX companies_updated ON companies(updated_at, id);
CREATE INDEX companies_referred ON companies(referred_by_id);

CREATE TABLE contacts (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	company_id BIGINT NOT NULL REFERENCES companies(id),
	first_name TEXT NOT NULL,
	last_name TEXT NOT NULL,
	email TEXT,
	phone TEXT,
	mobile TEXT,
	title TEXT,
	portal_access BIGINT NOT NULL DEFAULT 0,
	notes TEXT
);
CREATE INDEX contacts_company ON contacts(company_id, id);
CREATE INDEX contacts_email ON contacts(email);
CREATE INDEX contacts_last_name ON contacts(last_name, id);
CREATE INDEX contacts_created ON contacts(created_at, id);

CREATE TABLE sites (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	company_id BIGINT NOT NULL REFERENCES companies(id),
	name TEXT NOT NULL,
	address_line1 TEXT,
	address_line2 TEXT,
	city TEXT,
	region TEXT,
	postal_code TEXT,
	country TEXT,
	timezone TEXT,
	phone TEXT,
	notes TEXT
);
CREATE INDEX sites_company ON sites(company_id, id);
CREATE INDEX sites_name ON sites(name, id);
CREATE INDEX sites_created ON sites(created_at, id);

CREATE TABLE assets (
	id @ID_PK@,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	archived_at TEXT,
	company_id BIGINT NOT NULL REFERENCES companies(id),
	site_id BIGINT REFERENCES sites(id),
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	manufacturer TEXT,
	model TEXT,
	serial_number TEXT,
	warranty_expires_on TEXT,
	notes TEXT
);
CREATE INDEX assets_company ON assets(company_id, id);
CREATE INDEX assets_site ON assets(site_id, id);
CREATE INDEX assets_serial ON assets(serial_number);
CREATE INDEX assets_name ON assets(name, id);
CREATE INDEX assets_created ON assets(created_at, id);
CREATE INDEX assets_warranty ON assets(warranty_expires_on, id);

-- @fts companies name,email,website,phone,notes
-- @fts contacts first_name,last_name,email,phone,mobile,title
-- @fts sites name,address_line1,city,postal_code
-- @fts assets name,manufacturer,model,serial_number
