/*
 * migrate.c - versioned schema migrations, each applied in one transaction.
 *
 * A migration is portable SQL plus, where the dialects differ, a part for
 * each. "@ID_PK@" stands for the driver's self-numbering integer primary
 * key. Full-text indexes are declared as (table, columns) and built by
 * fts_sql() for the dialect, so domain tables never spell FTS5 or tsvector.
 *
 * Add a migration by appending to the table; never edit one that shipped.
 */
#include "driver.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>

const char *db_id_pk_type(const struct db *db);
const struct db_driver *db_driver_of(const struct db *db);

struct fts_index {
	const char *table;
	const char *columns;	/* comma-separated, no spaces */
};

struct migration {
	int version;
	const char *name;
	const char *sql;
	const char *sqlite_sql;
	const char *postgres_sql;
	struct fts_index fts[8];
};

/* Columns every record has; spelled once. */
#define RECORD_COLUMNS                                   \
	"id @ID_PK@,"                                    \
	"created_at TEXT NOT NULL,"                      \
	"updated_at TEXT NOT NULL,"                      \
	"version BIGINT NOT NULL DEFAULT 1,"             \
	"archived_at TEXT"

static const struct migration migrations[] = {
	{ 1, "foundation",
	  "CREATE TABLE users (" RECORD_COLUMNS ","
	  " email TEXT NOT NULL UNIQUE,"
	  " name TEXT NOT NULL,"
	  " role TEXT NOT NULL,"
	  " active BIGINT NOT NULL DEFAULT 1,"
	  " skills TEXT NOT NULL DEFAULT '[]',"
	  " password_hash TEXT,"
	  " totp_secret TEXT,"
	  " totp_enabled BIGINT NOT NULL DEFAULT 0,"
	  " totp_last_step BIGINT NOT NULL DEFAULT 0);"

	  "CREATE TABLE sessions ("
	  " id @ID_PK@,"
	  " token_hash TEXT NOT NULL UNIQUE,"
	  " user_id BIGINT NOT NULL REFERENCES users(id),"
	  " csrf_token TEXT NOT NULL,"
	  " created_at TEXT NOT NULL,"
	  " last_seen_at TEXT NOT NULL,"
	  " expires_at TEXT NOT NULL,"
	  " remote_addr TEXT);"
	  "CREATE INDEX sessions_user ON sessions(user_id);"

	  "CREATE TABLE api_tokens ("
	  " id @ID_PK@,"
	  " user_id BIGINT NOT NULL REFERENCES users(id),"
	  " name TEXT NOT NULL,"
	  " token_hash TEXT NOT NULL UNIQUE,"
	  " prefix TEXT NOT NULL,"
	  " created_at TEXT NOT NULL,"
	  " last_used_at TEXT,"
	  " expires_at TEXT,"
	  " revoked_at TEXT);"

	  "CREATE TABLE login_failures ("
	  " scope TEXT NOT NULL,"
	  " key TEXT NOT NULL,"
	  " window_start TEXT NOT NULL,"
	  " count BIGINT NOT NULL,"
	  " PRIMARY KEY (scope, key));"

	  "CREATE TABLE idempotency_keys ("
	  " id @ID_PK@,"
	  " user_id BIGINT NOT NULL,"
	  " key TEXT NOT NULL,"
	  " method TEXT NOT NULL,"
	  " path TEXT NOT NULL,"
	  " body_hash TEXT NOT NULL,"
	  " state TEXT NOT NULL,"
	  " status BIGINT,"
	  " content_type TEXT,"
	  " response TEXT,"
	  " location TEXT,"
	  " etag TEXT,"
	  " created_at TEXT NOT NULL,"
	  " UNIQUE (user_id, key));"

	  "CREATE TABLE audit_log ("
	  " id @ID_PK@,"
	  " at TEXT NOT NULL,"
	  " actor_id BIGINT,"
	  " actor TEXT NOT NULL,"
	  " action TEXT NOT NULL,"
	  " resource TEXT NOT NULL,"
	  " record_id BIGINT,"
	  " before TEXT,"
	  " after TEXT,"
	  " request_id TEXT);"
	  "CREATE INDEX audit_log_record ON audit_log(resource, record_id, id);"
	  "CREATE INDEX audit_log_actor ON audit_log(actor_id, id);"
	  "CREATE INDEX audit_log_at ON audit_log(at, id);"

	  "CREATE TABLE companies (" RECORD_COLUMNS ","
	  " name TEXT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " phone TEXT,"
	  " email TEXT,"
	  " website TEXT,"
	  " referred_by_id BIGINT REFERENCES companies(id) DEFERRABLE INITIALLY IMMEDIATE,"
	  " lead_source TEXT,"
	  " notes TEXT);"
	  "CREATE INDEX companies_name ON companies(name, id);"
	  "CREATE INDEX companies_kind ON companies(kind, id);"
	  "CREATE INDEX companies_created ON companies(created_at, id);"
	  "CREATE INDEX companies_updated ON companies(updated_at, id);"
	  "CREATE INDEX companies_referred ON companies(referred_by_id);"

	  "CREATE TABLE contacts (" RECORD_COLUMNS ","
	  " company_id BIGINT NOT NULL REFERENCES companies(id),"
	  " first_name TEXT NOT NULL,"
	  " last_name TEXT NOT NULL,"
	  " email TEXT,"
	  " phone TEXT,"
	  " mobile TEXT,"
	  " title TEXT,"
	  " portal_access BIGINT NOT NULL DEFAULT 0,"
	  " notes TEXT);"
	  "CREATE INDEX contacts_company ON contacts(company_id, id);"
	  "CREATE INDEX contacts_email ON contacts(email);"
	  "CREATE INDEX contacts_last_name ON contacts(last_name, id);"
	  "CREATE INDEX contacts_created ON contacts(created_at, id);"

	  "CREATE TABLE sites (" RECORD_COLUMNS ","
	  " company_id BIGINT NOT NULL REFERENCES companies(id),"
	  " name TEXT NOT NULL,"
	  " address_line1 TEXT,"
	  " address_line2 TEXT,"
	  " city TEXT,"
	  " region TEXT,"
	  " postal_code TEXT,"
	  " country TEXT,"
	  " timezone TEXT,"
	  " phone TEXT,"
	  " notes TEXT);"
	  "CREATE INDEX sites_company ON sites(company_id, id);"
	  "CREATE INDEX sites_name ON sites(name, id);"
	  "CREATE INDEX sites_created ON sites(created_at, id);"

	  "CREATE TABLE assets (" RECORD_COLUMNS ","
	  " company_id BIGINT NOT NULL REFERENCES companies(id),"
	  " site_id BIGINT REFERENCES sites(id),"
	  " name TEXT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " manufacturer TEXT,"
	  " model TEXT,"
	  " serial_number TEXT,"
	  " warranty_expires_on TEXT,"
	  " notes TEXT);"
	  "CREATE INDEX assets_company ON assets(company_id, id);"
	  "CREATE INDEX assets_site ON assets(site_id, id);"
	  "CREATE INDEX assets_serial ON assets(serial_number);"
	  "CREATE INDEX assets_name ON assets(name, id);"
	  "CREATE INDEX assets_created ON assets(created_at, id);"
	  "CREATE INDEX assets_warranty ON assets(warranty_expires_on, id);",
	  NULL, NULL,
	  { { "companies", "name,email,website,phone,notes" },
	    { "contacts", "first_name,last_name,email,phone,mobile,title" },
	    { "sites", "name,address_line1,city,postal_code" },
	    { "assets", "name,manufacturer,model,serial_number" } } },
	{ 2, "jobs",
	  "CREATE TABLE jobs ("
	  " id @ID_PK@,"
	  " kind TEXT NOT NULL,"
	  " payload TEXT NOT NULL DEFAULT '{}',"
	  " state TEXT NOT NULL DEFAULT 'queued',"
	  " run_at TEXT NOT NULL,"
	  " attempts BIGINT NOT NULL DEFAULT 0,"
	  " max_attempts BIGINT NOT NULL DEFAULT 10,"
	  " unique_key TEXT UNIQUE,"
	  " locked_by TEXT,"
	  " locked_at TEXT,"
	  " last_error TEXT,"
	  " created_at TEXT NOT NULL,"
	  " finished_at TEXT);"
	  "CREATE INDEX jobs_due ON jobs(state, run_at, id);"
	  "CREATE INDEX sessions_expires ON sessions(expires_at);"
	  "CREATE INDEX idempotency_created ON idempotency_keys(created_at);"
	  "CREATE INDEX login_failures_window ON login_failures(window_start);",
	  NULL, NULL, { { NULL, NULL } } },
	/*
	 * Filtered lists in their default order read the first page straight
	 * from an index: "partners by name" or "the sites of a company by name"
	 * no longer sort every match (bench/run.sh measured 4x on companies).
	 */
	{ 3, "list indexes",
	  "DROP INDEX companies_kind;"
	  "CREATE INDEX companies_kind_name ON companies(kind, name, id);"
	  "DROP INDEX contacts_company;"
	  "CREATE INDEX contacts_company_name ON contacts(company_id, last_name, id);"
	  "DROP INDEX sites_company;"
	  "CREATE INDEX sites_company_name ON sites(company_id, name, id);"
	  "DROP INDEX assets_company;"
	  "CREATE INDEX assets_company_name ON assets(company_id, name, id);"
	  "DROP INDEX assets_site;"
	  "CREATE INDEX assets_site_name ON assets(site_id, name, id);",
	  NULL, NULL, { { NULL, NULL } } },
	{ 4, "service desk",
	  /* human numbers (T-000123): a row per sequence, made on first use */
	  "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"

	  "CREATE TABLE user_certifications (" RECORD_COLUMNS ","
	  " user_id BIGINT NOT NULL REFERENCES users(id),"
	  " name TEXT NOT NULL,"
	  " issuer TEXT,"
	  " number TEXT,"
	  " issued_on TEXT,"
	  " expires_on TEXT);"
	  "CREATE INDEX user_certifications_user ON user_certifications(user_id, name, id);"
	  "CREATE INDEX users_name ON users(name, id);"

	  "CREATE TABLE calendars (" RECORD_COLUMNS ","
	  " name TEXT NOT NULL UNIQUE,"
	  " timezone TEXT NOT NULL,"
	  " always_open BIGINT NOT NULL DEFAULT 0,"
	  " hours TEXT NOT NULL DEFAULT '[]',"
	  " holidays TEXT NOT NULL DEFAULT '[]');"

	  "CREATE TABLE sla_policies (" RECORD_COLUMNS ","
	  " name TEXT NOT NULL UNIQUE,"
	  " calendar_id BIGINT NOT NULL REFERENCES calendars(id),"
	  " targets TEXT NOT NULL DEFAULT '[]',"
	  " pause_statuses TEXT NOT NULL DEFAULT '[\"waiting_customer\"]',"
	  " is_default BIGINT NOT NULL DEFAULT 0);"

	  "CREATE TABLE contracts (" RECORD_COLUMNS ","
	  " company_id BIGINT NOT NULL REFERENCES companies(id),"
	  " name TEXT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " status TEXT NOT NULL,"
	  " starts_on TEXT NOT NULL,"
	  " ends_on TEXT,"
	  " sla_policy_id BIGINT REFERENCES sla_policies(id),"
	  " currency TEXT NOT NULL,"
	  " monthly_fee BIGINT,"
	  " block_minutes BIGINT,"
	  " block_price BIGINT,"
	  " overage_rate BIGINT,"
	  " billing_increment_minutes BIGINT NOT NULL DEFAULT 15,"
	  " minimum_minutes BIGINT NOT NULL DEFAULT 0,"
	  " rollover BIGINT NOT NULL DEFAULT 0,"
	  " notes TEXT);"
	  "CREATE INDEX contracts_company_name ON contracts(company_id, name, id);"
	  "CREATE INDEX contracts_name ON contracts(name, id);"

	  "CREATE TABLE products (" RECORD_COLUMNS ","
	  " sku TEXT NOT NULL UNIQUE,"
	  " name TEXT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " description TEXT,"
	  " currency TEXT NOT NULL,"
	  " unit_cost BIGINT NOT NULL DEFAULT 0,"
	  " unit_price BIGINT NOT NULL,"
	  " taxable BIGINT NOT NULL DEFAULT 1);"
	  "CREATE INDEX products_name ON products(name, id);"

	  "CREATE TABLE work_types (" RECORD_COLUMNS ","
	  " name TEXT NOT NULL UNIQUE,"
	  " currency TEXT NOT NULL,"
	  " hourly_rate BIGINT NOT NULL,"
	  " billable BIGINT NOT NULL DEFAULT 1);"

	  "CREATE TABLE tickets (" RECORD_COLUMNS ","
	  " number TEXT NOT NULL UNIQUE,"
	  " subject TEXT NOT NULL,"
	  " description TEXT,"
	  " kind TEXT NOT NULL,"
	  " channel TEXT NOT NULL,"
	  " priority TEXT NOT NULL,"
	  " status TEXT NOT NULL,"
	  " company_id BIGINT NOT NULL REFERENCES companies(id),"
	  " contact_id BIGINT REFERENCES contacts(id),"
	  " site_id BIGINT REFERENCES sites(id),"
	  " asset_id BIGINT REFERENCES assets(id),"
	  " contract_id BIGINT REFERENCES contracts(id),"
	  " assignee_id BIGINT REFERENCES users(id),"
	  " tier BIGINT NOT NULL DEFAULT 1,"
	  " required_skills TEXT NOT NULL DEFAULT '[]',"
	  " resolution TEXT,"
	  " first_responded_at TEXT,"
	  " resolved_at TEXT,"
	  " closed_at TEXT,"
	  " sla_policy_id BIGINT REFERENCES sla_policies(id),"
	  " response_due_at TEXT,"
	  " resolution_due_at TEXT,"
	  " response_breached BIGINT NOT NULL DEFAULT 0,"
	  " resolution_breached BIGINT NOT NULL DEFAULT 0,"
	  " paused_minutes BIGINT NOT NULL DEFAULT 0,"
	  " sla_warnings BIGINT NOT NULL DEFAULT 0,"
	  " merged_into_id BIGINT REFERENCES tickets(id) DEFERRABLE INITIALLY IMMEDIATE,"
	  " notes_text TEXT NOT NULL DEFAULT '');"
	  "CREATE INDEX tickets_status ON tickets(status, id);"
	  "CREATE INDEX tickets_company ON tickets(company_id, id);"
	  "CREATE INDEX tickets_assignee ON tickets(assignee_id, status, id);"
	  "CREATE INDEX tickets_created ON tickets(created_at, id);"
	  "CREATE INDEX tickets_updated ON tickets(updated_at, id);"
	  "CREATE INDEX tickets_resolution_due ON tickets(resolution_due_at, id);"
	  "CREATE INDEX tickets_contract ON tickets(contract_id);"

	  /* the history the SLA clock is computed from, and the ticket's timeline */
	  "CREATE TABLE ticket_events ("
	  " id @ID_PK@,"
	  " ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
	  " at TEXT NOT NULL,"
	  " kind TEXT NOT NULL,"
	  " from_value TEXT,"
	  " to_value TEXT,"
	  " actor_id BIGINT REFERENCES users(id),"
	  " detail TEXT);"
	  "CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);"

	  "CREATE TABLE ticket_notes (" RECORD_COLUMNS ","
	  " ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
	  " body TEXT NOT NULL,"
	  " visibility TEXT NOT NULL,"
	  " author_id BIGINT REFERENCES users(id));"
	  "CREATE INDEX ticket_notes_ticket ON ticket_notes(ticket_id, id);"

	  "CREATE TABLE time_entries (" RECORD_COLUMNS ","
	  " ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
	  " user_id BIGINT NOT NULL REFERENCES users(id),"
	  " work_type_id BIGINT NOT NULL REFERENCES work_types(id),"
	  " started_at TEXT NOT NULL,"
	  " minutes BIGINT NOT NULL,"
	  " billable BIGINT NOT NULL DEFAULT 1,"
	  " notes TEXT,"
	  " invoice_id BIGINT);"
	  "CREATE INDEX time_entries_ticket ON time_entries(ticket_id, id);"
	  "CREATE INDEX time_entries_user ON time_entries(user_id, started_at, id);"
	  "CREATE INDEX time_entries_started ON time_entries(started_at, id);",
	  NULL, NULL,
	  { { "tickets", "number,subject,description,notes_text" },
	    { "products", "sku,name,description" } } },
	{ 5, "work on tickets",
	  "ALTER TABLE tickets ADD COLUMN required_certifications TEXT NOT NULL DEFAULT '[]';"
	  "ALTER TABLE tickets ADD COLUMN follow_up_at TEXT;"
	  "ALTER TABLE tickets ADD COLUMN follow_up_user_id BIGINT REFERENCES users(id);"
	  "ALTER TABLE tickets ADD COLUMN follow_up_note TEXT;"
	  "ALTER TABLE tickets ADD COLUMN recurring_id BIGINT;"
	  "ALTER TABLE tickets ADD COLUMN external_reference TEXT;"
	  "CREATE INDEX tickets_follow_up ON tickets(follow_up_user_id, follow_up_at, id);"

	  "CREATE TABLE checklist_templates (" RECORD_COLUMNS ","
	  " name TEXT NOT NULL UNIQUE,"
	  " ticket_kind TEXT NOT NULL,"
	  " items TEXT NOT NULL DEFAULT '[]');"

	  "CREATE TABLE ticket_checklist_items (" RECORD_COLUMNS ","
	  " ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
	  " label TEXT NOT NULL,"
	  " required BIGINT NOT NULL DEFAULT 0,"
	  " done BIGINT NOT NULL DEFAULT 0,"
	  " done_by BIGINT REFERENCES users(id),"
	  " done_at TEXT,"
	  " position BIGINT NOT NULL DEFAULT 0,"
	  " template_id BIGINT REFERENCES checklist_templates(id));"
	  "CREATE INDEX ticket_checklist_ticket ON ticket_checklist_items(ticket_id, position, id);"

	  "CREATE TABLE ticket_parts (" RECORD_COLUMNS ","
	  " ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
	  " product_id BIGINT NOT NULL REFERENCES products(id),"
	  " quantity BIGINT NOT NULL,"
	  " unit_cost BIGINT NOT NULL,"
	  " unit_price BIGINT NOT NULL,"
	  " serial_number TEXT,"
	  " billable BIGINT NOT NULL DEFAULT 1,"
	  " invoice_id BIGINT);"
	  "CREATE INDEX ticket_parts_ticket ON ticket_parts(ticket_id, id);"
	  "CREATE INDEX ticket_parts_serial ON ticket_parts(serial_number);"

	  "CREATE TABLE appointments (" RECORD_COLUMNS ","
	  " ticket_id BIGINT REFERENCES tickets(id),"
	  " user_id BIGINT NOT NULL REFERENCES users(id),"
	  " starts_at TEXT NOT NULL,"
	  " ends_at TEXT NOT NULL,"
	  " site_id BIGINT REFERENCES sites(id),"
	  " status TEXT NOT NULL,"
	  " title TEXT,"
	  " notes TEXT);"
	  "CREATE INDEX appointments_user ON appointments(user_id, starts_at, id);"
	  "CREATE INDEX appointments_ticket ON appointments(ticket_id, id);"
	  "CREATE INDEX appointments_starts ON appointments(starts_at, id);"

	  /* secret, revocable iCalendar feed URLs, one per user */
	  "CREATE TABLE calendar_feeds ("
	  " id @ID_PK@,"
	  " user_id BIGINT NOT NULL UNIQUE REFERENCES users(id),"
	  " token_hash TEXT NOT NULL UNIQUE,"
	  " created_at TEXT NOT NULL);",
	  NULL, NULL, { { NULL, NULL } } },
	{ 6, "recurring tickets",
	  "CREATE TABLE recurring_tickets (" RECORD_COLUMNS ","
	  " name TEXT NOT NULL,"
	  " rrule TEXT NOT NULL,"
	  " starts_local TEXT NOT NULL,"
	  " timezone TEXT NOT NULL,"
	  " active BIGINT NOT NULL DEFAULT 1,"
	  " next_run_at TEXT,"
	  " last_run_at TEXT,"
	  " subject TEXT NOT NULL,"
	  " description TEXT,"
	  " kind TEXT NOT NULL,"
	  " priority TEXT NOT NULL,"
	  " company_id BIGINT NOT NULL REFERENCES companies(id),"
	  " site_id BIGINT REFERENCES sites(id),"
	  " asset_id BIGINT REFERENCES assets(id),"
	  " contract_id BIGINT REFERENCES contracts(id),"
	  " assignee_id BIGINT REFERENCES users(id),"
	  " required_skills TEXT NOT NULL DEFAULT '[]');"
	  "CREATE INDEX recurring_tickets_due ON recurring_tickets(active, next_run_at, id);"
	  "CREATE INDEX recurring_tickets_name ON recurring_tickets(name, id);"
	  /* one ticket per template and occurrence, however often a worker retries */
	  "ALTER TABLE tickets ADD COLUMN recurring_at TEXT;"
	  "CREATE UNIQUE INDEX tickets_recurring ON tickets(recurring_id, recurring_at);",
	  NULL, NULL, { { NULL, NULL } } },
	/*
	 * On PostgreSQL ticket numbers come from a sequence: one counter row
	 * that every new ticket updates made concurrent creates fail with
	 * serialization errors (bench/run.sh). It starts where the row is.
	 */
	{ 7, "number sequences", "SELECT 1;", NULL,
	  "CREATE SEQUENCE counter_tickets;"
	  "SELECT setval('counter_tickets', COALESCE((SELECT value FROM counters"
	  " WHERE name = 'tickets'), 0) + 1, false);",
	  { { NULL, NULL } } },
	/*
	 * Ticket lists in their default order (newest first) over live
	 * tickets: the filter columns, then created_at, in partial indexes
	 * that answer "archived_at IS NULL" themselves, so a page walks the
	 * index instead of sorting every match (bench/run.sh, 1,000,000
	 * tickets).
	 */
	{ 8, "ticket list indexes",
	  "CREATE INDEX tickets_live_created ON tickets(created_at, id) WHERE archived_at IS NULL;"
	  "CREATE INDEX tickets_live_status ON tickets(status, created_at, id)"
	  " WHERE archived_at IS NULL;"
	  "DROP INDEX tickets_assignee;"
	  "CREATE INDEX tickets_live_assignee ON tickets(assignee_id, status, created_at, id)"
	  " WHERE archived_at IS NULL;",
	  NULL, NULL, { { NULL, NULL } } },
	/*
	 * A note can record a client's own words (a call, a reply): the
	 * contact who said it. Such a note is no first response, and on a
	 * resolved ticket it keeps the ticket from closing by itself.
	 */
	{ 9, "client notes",
	  "ALTER TABLE ticket_notes ADD COLUMN contact_id BIGINT REFERENCES contacts(id);",
	  NULL, NULL, { { NULL, NULL } } },
	/*
	 * Winning work: the firm's own settings (one row), opportunities,
	 * activities and quotes with their lines, revisions and the secret
	 * link a client accepts through. Contracts and tickets remember the
	 * quote they came from.
	 */
	{ 10, "sales",
	  "CREATE TABLE settings (" RECORD_COLUMNS ","
	  " firm_name TEXT NOT NULL,"
	  " address TEXT,"
	  " phone TEXT,"
	  " email TEXT,"
	  " website TEXT,"
	  " public_url TEXT,"
	  " timezone TEXT NOT NULL,"
	  " currency TEXT NOT NULL,"
	  " tax_rate_bp BIGINT NOT NULL DEFAULT 0,"
	  " quote_validity_days BIGINT NOT NULL DEFAULT 30,"
	  " logo_png TEXT);"
	  "INSERT INTO settings (id, created_at, updated_at, firm_name, timezone, currency)"
	  " VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'Our firm', 'UTC', 'USD');"

	  "CREATE TABLE opportunities (" RECORD_COLUMNS ","
	  " company_id BIGINT NOT NULL REFERENCES companies(id),"
	  " title TEXT NOT NULL,"
	  " stage TEXT NOT NULL,"
	  " source TEXT,"
	  " campaign TEXT,"
	  " referral_partner_id BIGINT REFERENCES companies(id),"
	  " estimated_value BIGINT,"
	  " currency TEXT NOT NULL,"
	  " owner_id BIGINT REFERENCES users(id),"
	  " expected_close_on TEXT,"
	  " lost_reason TEXT,"
	  " closed_at TEXT,"
	  " notes TEXT);"
	  "CREATE INDEX opportunities_stage ON opportunities(stage, id);"
	  "CREATE INDEX opportunities_company ON opportunities(company_id, id);"
	  "CREATE INDEX opportunities_owner ON opportunities(owner_id, id);"
	  "CREATE INDEX opportunities_created ON opportunities(created_at, id);"

	  "CREATE TABLE activities (" RECORD_COLUMNS ","
	  " kind TEXT NOT NULL,"
	  " subject TEXT NOT NULL,"
	  " company_id BIGINT REFERENCES companies(id),"
	  " contact_id BIGINT REFERENCES contacts(id),"
	  " opportunity_id BIGINT REFERENCES opportunities(id),"
	  " owner_id BIGINT REFERENCES users(id),"
	  " due_at TEXT,"
	  " done_at TEXT,"
	  " notes TEXT);"
	  "CREATE INDEX activities_owner_due ON activities(owner_id, done_at, due_at, id);"
	  "CREATE INDEX activities_due ON activities(due_at, id);"
	  "CREATE INDEX activities_opportunity ON activities(opportunity_id, id);"
	  "CREATE INDEX activities_company ON activities(company_id, id);"

	  "CREATE TABLE quotes (" RECORD_COLUMNS ","
	  " number TEXT NOT NULL,"
	  " revision BIGINT NOT NULL DEFAULT 1,"
	  " previous_id BIGINT REFERENCES quotes(id),"
	  " superseded_by_id BIGINT REFERENCES quotes(id),"
	  " company_id BIGINT NOT NULL REFERENCES companies(id),"
	  " contact_id BIGINT REFERENCES contacts(id),"
	  " opportunity_id BIGINT REFERENCES opportunities(id),"
	  " title TEXT NOT NULL,"
	  " contract_kind TEXT NOT NULL,"
	  " status TEXT NOT NULL,"
	  " valid_until TEXT NOT NULL,"
	  " currency TEXT NOT NULL,"
	  " response_time_minutes BIGINT,"
	  " coverage TEXT NOT NULL,"
	  " warranty_days BIGINT,"
	  " qualifications TEXT,"
	  " technicians TEXT NOT NULL DEFAULT '[]',"
	  " lines TEXT NOT NULL DEFAULT '[]',"
	  " tax_rate_bp BIGINT NOT NULL DEFAULT 0,"
	  " subtotal BIGINT NOT NULL DEFAULT 0,"
	  " tax BIGINT NOT NULL DEFAULT 0,"
	  " total BIGINT NOT NULL DEFAULT 0,"
	  " notes TEXT,"
	  " sent_at TEXT,"
	  " link_hash TEXT UNIQUE,"
	  " accepted_at TEXT,"
	  " accepted_name TEXT,"
	  " accepted_address TEXT,"
	  " accepted_by_id BIGINT REFERENCES users(id),"
	  " declined_at TEXT,"
	  " decline_reason TEXT,"
	  " expired_at TEXT,"
	  " contract_id BIGINT REFERENCES contracts(id),"
	  " UNIQUE (number, revision));"
	  "CREATE INDEX quotes_company ON quotes(company_id, id);"
	  "CREATE INDEX quotes_status_valid ON quotes(status, valid_until, id);"
	  "CREATE INDEX quotes_opportunity ON quotes(opportunity_id, id);"
	  "CREATE INDEX quotes_created ON quotes(created_at, id);"

	  "ALTER TABLE contracts ADD COLUMN quote_id BIGINT REFERENCES quotes(id);"
	  "ALTER TABLE tickets ADD COLUMN quote_id BIGINT REFERENCES quotes(id);",
	  NULL,
	  "CREATE SEQUENCE counter_quotes;",
	  { { "opportunities", "title,source,campaign,notes" }, { "quotes", "number,title,notes" } } },
	/*
	 * Quote and pipeline lists in their default order (newest first) by
	 * the filters people use, over live records: a page walks the index
	 * instead of sorting every match with its lines (bench/quotes.sh: the
	 * drafts among 5,000 quotes went from 35 to about 600 requests/s).
	 */
	{ 11, "sales list indexes",
	  "CREATE INDEX quotes_live_created ON quotes(created_at, id) WHERE archived_at IS NULL;"
	  "CREATE INDEX quotes_live_status ON quotes(status, created_at, id)"
	  " WHERE archived_at IS NULL;"
	  "CREATE INDEX quotes_live_company ON quotes(company_id, created_at, id)"
	  " WHERE archived_at IS NULL;"
	  "CREATE INDEX quotes_number ON quotes(number, revision);"
	  "CREATE INDEX opportunities_live_stage ON opportunities(stage, created_at, id)"
	  " WHERE archived_at IS NULL;"
	  "CREATE INDEX activities_live_created ON activities(created_at, id)"
	  " WHERE archived_at IS NULL;",
	  NULL, NULL, { { NULL, NULL } } },
	/*
	 * The engine's event outbox: one row per change of a ticket, quote or
	 * contract, in the change's transaction, for integrations to read in
	 * order (GET /api/v1/events) and for the webhooks to deliver.
	 */
	{ 12, "events",
	  "CREATE TABLE events ("
	  " id @ID_PK@,"
	  " at TEXT NOT NULL,"
	  " type TEXT NOT NULL,"
	  " resource TEXT NOT NULL,"
	  " record_id BIGINT NOT NULL,"
	  " actor_id BIGINT,"
	  " actor TEXT NOT NULL,"
	  " request_id TEXT,"
	  " data TEXT);"
	  "CREATE INDEX events_type ON events(type, id);"
	  "CREATE INDEX events_record ON events(resource, record_id, id);"
	  "CREATE INDEX events_at ON events(at, id);",
	  NULL, NULL, { { NULL, NULL } } },
};

/* Parents before children, so rows copy in an order foreign keys accept. */
const char *const db_tables[] = {
	"schema_migrations", "users", "sessions", "api_tokens", "login_failures",
	"idempotency_keys", "audit_log", "companies", "contacts", "sites", "assets", "jobs",
	"counters", "user_certifications", "calendars", "sla_policies", "contracts", "products", "work_types", "tickets",
	"ticket_events", "ticket_notes", "time_entries", "checklist_templates",
	"ticket_checklist_items", "ticket_parts", "appointments", "calendar_feeds",
	"recurring_tickets", "settings", "opportunities", "activities", "quotes", "events",
	NULL,
};

static const size_t nmigrations = sizeof(migrations) / sizeof(migrations[0]);

/* Appends "prefix.col1, prefix.col2" (prefix may be empty). */
static void columns_list(struct buf *b, const char *prefix, const char *cols)
{
	const char *p = cols;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (p != cols)
			buf_addstr(b, ", ");
		buf_addf(b, "%s%.*s", prefix, (int)n, p);
		p += n + (end ? 1 : 0);
	}
}

static void fts_sqlite(struct buf *b, const struct fts_index *f)
{
	const char *t = f->table;
	buf_addf(b, "CREATE VIRTUAL TABLE %s_fts USING fts5(", t);
	columns_list(b, "", f->columns);
	buf_addf(b, ", content='%s', content_rowid='id',"
		    " tokenize='unicode61 remove_diacritics 2');", t);

	buf_addf(b, "CREATE TRIGGER %s_fts_ai AFTER INSERT ON %s BEGIN"
		    " INSERT INTO %s_fts(rowid, ", t, t, t);
	columns_list(b, "", f->columns);
	buf_addstr(b, ") VALUES (new.id, ");
	columns_list(b, "new.", f->columns);
	buf_addstr(b, "); END;");

	buf_addf(b, "CREATE TRIGGER %s_fts_ad AFTER DELETE ON %s BEGIN"
		    " INSERT INTO %s_fts(%s_fts, rowid, ", t, t, t, t);
	columns_list(b, "", f->columns);
	buf_addstr(b, ") VALUES ('delete', old.id, ");
	columns_list(b, "old.", f->columns);
	buf_addstr(b, "); END;");

	buf_addf(b, "CREATE TRIGGER %s_fts_au AFTER UPDATE ON %s BEGIN"
		    " INSERT INTO %s_fts(%s_fts, rowid, ", t, t, t, t);
	columns_list(b, "", f->columns);
	buf_addstr(b, ") VALUES ('delete', old.id, ");
	columns_list(b, "old.", f->columns);
	buf_addf(b, "); INSERT INTO %s_fts(rowid, ", t);
	columns_list(b, "", f->columns);
	buf_addstr(b, ") VALUES (new.id, ");
	columns_list(b, "new.", f->columns);
	buf_addstr(b, "); END;");
}

/*
 * PostgreSQL: a generated tsvector over the columns and a GIN index on it.
 * 'simple' (no stemming) over unaccented text matches what FTS5's
 * unicode61 with remove_diacritics does on SQLite, so "cafe" finds "Café"
 * on both. servio_unaccent wraps unaccent as IMMUTABLE (it is, with a
 * fixed dictionary) so a generated column may use it.
 */
static const char fts_postgres_setup[] =
	"CREATE EXTENSION IF NOT EXISTS unaccent;"
	"CREATE OR REPLACE FUNCTION servio_unaccent(text) RETURNS text"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
	" AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;";

static void fts_postgres(struct buf *b, const struct fts_index *f)
{
	const char *t = f->table;
	buf_addf(b, "ALTER TABLE %s ADD COLUMN search_vector tsvector GENERATED ALWAYS AS"
		    " (to_tsvector('simple', servio_unaccent(", t);
	const char *p = f->columns;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		buf_addf(b, "%scoalesce(%.*s, '')", p == f->columns ? "" : " || ' ' || ", (int)n,
			 p);
		p += n + (end ? 1 : 0);
	}
	buf_addf(b, "))) STORED; CREATE INDEX %s_search ON %s USING GIN (search_vector);", t, t);
}

/* Replaces every @ID_PK@ with the driver's type. */
static void add_sql(struct buf *b, const char *sql, const char *id_pk)
{
	const char *p = sql;
	const char *hit;
	while ((hit = strstr(p, "@ID_PK@"))) {
		buf_add(b, p, (size_t)(hit - p));
		buf_addstr(b, id_pk);
		p = hit + 7;
	}
	buf_addstr(b, p);
}

struct apply_ctx {
	const struct migration *m;
	const char *sql;
};

static int apply_one(struct db *db, void *arg)
{
	struct apply_ctx *ctx = arg;
	/* several servers may start at once: one migrates, the others find it done */
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", "i",
			(int64_t)ctx->m->version);
	if (rc != RC_ROW)
		return rc;
	int64_t done = db_col_int(st, 0);
	db_done(st);
	if (done)
		return RC_OK;
	rc = db_exec(db, ctx->sql);
	if (rc != RC_OK)
		return rc;
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	return db_run(db, NULL,
		      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		      "iss", (int64_t)ctx->m->version, ctx->m->name, now) == RC_DONE
		       ? RC_OK
		       : RC_ERROR;
}

static int ensure_table(struct db *db)
{
	return db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			   " version BIGINT PRIMARY KEY,"
			   " name TEXT NOT NULL,"
			   " applied_at TEXT NOT NULL)");
}

int db_schema_version(struct db *db, int *current, int *latest)
{
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "");
	if (rc != RC_ROW)
		return RC_ERROR;
	*current = (int)db_col_int(st, 0);
	db_done(st);
	*latest = migrations[nmigrations - 1].version;
	return RC_OK;
}

static int migrate_locked(struct db *db, bool verbose);

/*
 * Several servers may start at once on one database: on PostgreSQL a
 * session lock lets one migrate while the others wait (and then find the
 * work done); on SQLite each migration's IMMEDIATE transaction does the
 * same, and apply_one re-reads the version inside it.
 */
int db_migrate(struct db *db, bool verbose)
{
	const struct db_driver *drv = db_driver_of(db);
	if (drv->migrate_lock_sql && db_exec(db, drv->migrate_lock_sql) != RC_OK)
		return RC_ERROR;
	int rc = migrate_locked(db, verbose);
	if (drv->migrate_unlock_sql) {
		char why[256];
		snprintf(why, sizeof(why), "%s", rc == RC_OK ? "" : db_errmsg(db));
		db_exec(db, drv->migrate_unlock_sql);
		if (rc != RC_OK)
			db_fail(db, "%s", why);	/* the reason, not the unlock's */
	}
	return rc;
}

static int migrate_locked(struct db *db, bool verbose)
{
	int current, latest;
	if (ensure_table(db) != RC_OK || db_schema_version(db, &current, &latest) != RC_OK)
		return RC_ERROR;
	if (current > latest) {
		db_fail(db, "the database schema version %d is newer than this program's (%d):"
			    " upgrade servio", current, latest);
		return RC_ERROR;
	}
	const char *dialect = db_dialect(db);
	for (size_t i = 0; i < nmigrations; i++) {
		const struct migration *m = &migrations[i];
		if (m->version <= current)
			continue;
		struct buf sql;
		buf_init(&sql, 0);
		add_sql(&sql, m->sql, db_id_pk_type(db));
		const char *extra = strcmp(dialect, "sqlite") == 0 ? m->sqlite_sql : m->postgres_sql;
		if (extra)
			add_sql(&sql, extra, db_id_pk_type(db));
		if (m->fts[0].table && strcmp(dialect, "sqlite") != 0)
			buf_addstr(&sql, fts_postgres_setup);
		for (size_t f = 0; f < sizeof(m->fts) / sizeof(m->fts[0]) && m->fts[f].table; f++)
			if (strcmp(dialect, "sqlite") == 0)
				fts_sqlite(&sql, &m->fts[f]);
			else
				fts_postgres(&sql, &m->fts[f]);
		if (sql.failed) {
			db_fail(db, "cannot build migration %d: out of memory", m->version);
			return RC_ERROR;
		}
		struct apply_ctx ctx = { m, buf_str(&sql) };
		int rc = db_txn(db, apply_one, &ctx);
		buf_release(&sql);
		if (rc != RC_OK) {
			char why[200];
			snprintf(why, sizeof(why), "%s", db_errmsg(db));
			db_fail(db, "cannot apply migration %d (%s): %s", m->version, m->name, why);
			return RC_ERROR;
		}
		if (verbose)
			log_info("applied migration %d (%s)", m->version, m->name);
	}
	return RC_OK;
}
