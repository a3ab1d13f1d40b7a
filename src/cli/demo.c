/*
 * demo.c - "servio demo": loads a small, living firm into an empty
 * database so a newcomer sees a real workspace at once: the firm's
 * settings, calendars and SLA policies, staff with skills and
 * certifications (one expired), a catalog, twelve clients with contacts,
 * sites (street addresses, fictional .example domains and 555-01xx phone
 * numbers), assets and contracts, four weeks of resolved service orders
 * with notes, time, parts, checklists and attachments (a log file, a
 * screenshot), today's open orders, this week's and next week's visits,
 * an open pipeline with activities and quotes (one accepted, which made
 * its contract and orders; every quoted deal worth its quote's total),
 * and two months billed: a month of work under every contract kind, each
 * month's invoice run, invoices issued, paid (one in part, one overdue,
 * one corrected by a credit note) and one draft left to review; two
 * monitoring alerts taken as an RMM tool posts them; and a knowledge base
 * of a dozen how-tos (some for the client portal, some edited since, some
 * linked to the service orders they solved).
 *
 * A well-run firm on the day it is loaded. Every date follows the load
 * moment (time_now(): the test clock sets it), and the firm's past lies
 * on its working days, in its office hours (08:00-17:00 in Springfield's
 * zone): wd() and local() give "n working days ago at HH:MM", past()
 * keeps the latest of it before now. The SLA mix is made, not edited: each
 * resolved order is resolved at a share of its target (one in ten late),
 * and each open order is opened at the moment that leaves it the share of
 * its target it should have used by now (created_for): most well within,
 * three over 75 %, two past it.
 *
 * Everything goes through the resource engine and the domain actions, as
 * the API would, so every rule, history entry and audit record is real.
 * The past is written by moving the clock (time_pretend) through it, so
 * SLA clocks are computed from real event times. Deterministic: the same
 * seed every time, so the same firm for the same load moment.
 */
#include "cli.h"

#include "auth/auth.h"
#include "billing/billing.h"
#include "catalog/catalog.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/calendar.h"
#include "core/conf.h"
#include "core/spool.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "kb/kb.h"
#include "mail/mail.h"
#include "quality/quality.h"
#include "quality/surveys.h"
#include "quotes/quotes.h"
#include "resource/resource.h"
#include "service/attachments.h"
#include "service/service.h"

#include <cairo.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct demo {
	struct db *db;
	struct arena arena;
	struct audit_actor actor;
	int64_t now;		/* the moment of loading: every date follows it */
	int64_t today;		/* the firm's local day of now (days since 1970-01-01) */
	struct calendar work;	/* the firm's office hours (its Standard SLA's calendar) */
	struct calendar open;	/* around the clock (the Premium SLA's) */
	struct calendar_zone zone;
	uint64_t seed;
	bool failed;
};

/* A small deterministic generator (xorshift64*): the same firm every time. */
static unsigned pick(struct demo *d, unsigned n)
{
	d->seed ^= d->seed >> 12;
	d->seed ^= d->seed << 25;
	d->seed ^= d->seed >> 27;
	return (unsigned)((d->seed * 2685821657736338717ULL) >> 33) % n;
}

/* Time --------------------------------------------------------------------- */

#define FIRM_TZ "America/Chicago"
#define OPENS (8 * 60)		/* the office hours, local minutes of the day */
#define CLOSES (17 * 60)
#define HOLIDAY_1 22		/* the office's holidays, days after the load day */
#define HOLIDAY_2 29

/* Monday 1 .. Sunday 7 of a day since 1970-01-01 (a Thursday). */
static int weekday(int64_t day)
{
	return (int)(((day + 3) % 7 + 7) % 7) + 1;
}

static bool working_day(struct demo *d, int64_t day)
{
	return weekday(day) <= 5 && day != d->today + HOLIDAY_1 && day != d->today + HOLIDAY_2;
}

/* The working day on or before day; on or after it. */
static int64_t workday_back(struct demo *d, int64_t day)
{
	while (!working_day(d, day))
		day--;
	return day;
}

static int64_t workday_on(struct demo *d, int64_t day)
{
	while (!working_day(d, day))
		day++;
	return day;
}

/* The n-th working day before today (n < 0) or after it (n > 0); 0: today or the last before. */
static int64_t wd(struct demo *d, int n)
{
	int64_t day = workday_back(d, d->today);
	for (; n < 0; n++)
		day = workday_back(d, day - 1);
	if (n > 0)
		day = d->today;
	for (; n > 0; n--)
		day = workday_on(d, day + 1);
	return day;
}

/* The instant of local hour:minute on day in the firm's zone (daylight saving included). */
static int64_t local(struct demo *d, int64_t day, int hour, int minute)
{
	int64_t t, wall;
	if (calendar_zone_day_start(&d->zone, day, &t) < 0)
		return d->now;
	t += hour * 3600 + minute * 60;
	if (calendar_zone_local(&d->zone, t, &wall) == 0)
		t -= wall - day * 86400 - (hour * 3600 + minute * 60);
	return t;
}

/* The firm's local minute of the day of instant t, and its day. */
static int minute_of(struct demo *d, int64_t t, int64_t *day)
{
	int64_t wall = t;
	calendar_zone_local(&d->zone, t, &wall);
	int64_t z = wall >= 0 ? wall / 86400 : -((-wall + 86399) / 86400);
	if (day)
		*day = z;
	return (int)((wall - z * 86400) / 60);
}

/* minutes working minutes after t, in the office's hours. */
static int64_t wadd(struct demo *d, int64_t t, int64_t minutes)
{
	int64_t due = t + minutes * 60;
	calendar_add_minutes(&d->work, t, minutes, &due, NULL, 0);
	return due;
}

/* Working minutes from a to b on the office's calendar, or around the clock. */
static int64_t clock_minutes(struct demo *d, bool around_the_clock, int64_t a, int64_t b)
{
	int64_t m = 0;
	calendar_minutes_between(around_the_clock ? &d->open : &d->work, a, b, &m, NULL, 0);
	return m;
}

/*
 * t when it lies at least ten minutes before now, else the last moment of
 * office hours that does: the demo's past never reaches into the future.
 */
static int64_t past(struct demo *d, int64_t t)
{
	int64_t limit = d->now - 600;
	if (t <= limit)
		return t;
	int64_t day;
	int m = minute_of(d, limit, &day);
	if (working_day(d, day) && m >= OPENS && m < CLOSES)
		return limit - limit % 60;
	if (working_day(d, day) && m >= CLOSES)
		return local(d, day, 16, 50);
	return local(d, workday_back(d, day - 1), 16, 50);
}

static void at_time(struct demo *d, int64_t t)
{
	time_pretend(t);
}

/* Pretends it is local hour:minute of the working day `days` calendar days ago (or the last before). */
static void at(struct demo *d, int days, int hour, int minute)
{
	at_time(d, past(d, local(d, workday_back(d, d->today - days), hour, minute)));
}

static void as(struct demo *d, int64_t user)
{
	d->actor.user_id = user;
}

static struct resource_ctx ctx_of(struct demo *d, int64_t parent)
{
	struct resource_ctx c = { .db = d->db, .arena = &d->arena, .actor = &d->actor,
				  .parent_id = parent, .now = time_now() };
	return c;
}

static void report(struct demo *d, const char *what, int rc, json_t *errors)
{
	char *e = errors ? json_dumps(errors, JSON_COMPACT) : NULL;
	fprintf(stderr, "servio demo: cannot %s (status %d)%s%s\n", what, rc, e ? ": " : "",
		e ? e : "");
	free(e);
	d->failed = true;
}

/* Creates a record from body (stolen); returns its id, 0 after a failure (said). */
static int64_t make(struct demo *d, const struct resource *res, int64_t parent, json_t *body)
{
	if (d->failed || !body) {
		json_decref(body);
		d->failed = true;
		return 0;
	}
	struct resource_ctx c = ctx_of(d, parent);
	json_t *out = NULL, *errors = NULL;
	int rc = resource_create(&c, res, body, &out, &errors);
	json_decref(body);
	if (rc != RC_OK) {
		report(d, arena_printf(&d->arena, "create a %s", res->singular), rc, errors);
		return 0;
	}
	return json_integer_value(json_object_get(out, "id"));
}

/* The bytes of a PNG written by cairo, appended to a buf. */
static cairo_status_t png_out(void *closure, const unsigned char *data, unsigned int len)
{
	return buf_add(closure, data, len) < 0 ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* A small "screenshot": a window with an error dialog, as a client would send. */
static int demo_screenshot(struct buf *out)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 320, 200);
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0.92, 0.93, 0.95);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.20, 0.33, 0.60);
	cairo_rectangle(cr, 0, 0, 320, 24);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, 60, 60, 200, 90);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.80, 0.15, 0.15);
	cairo_arc(cr, 90, 105, 16, 0, 6.2832);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
	for (int i = 0; i < 3; i++) {
		cairo_rectangle(cr, 120, 88 + 14 * i, 120 - 30 * i, 6);
		cairo_fill(cr);
	}
	cairo_destroy(cr);
	cairo_status_t st = cairo_surface_write_to_png_stream(s, png_out, out);
	cairo_surface_destroy(s);
	return st == CAIRO_STATUS_SUCCESS && !out->failed ? 0 : -1;
}

/* A log file on the diagnosing note, and on some tickets the client's screenshot. */
static void attach_demo_files(struct demo *d, int64_t ticket, int64_t note, bool screenshot)
{
	if (d->failed)
		return;
	struct resource_ctx c = ctx_of(d, 0);
	static const char log_text[] =
		"2024-05-02 08:14:07 INFO  service started\n"
		"2024-05-02 08:14:09 WARN  spooler queue 12 jobs behind\n"
		"2024-05-02 08:15:31 ERROR device not responding (timeout 30 s)\n"
		"2024-05-02 08:16:02 INFO  device reset by technician\n"
		"2024-05-02 08:16:05 INFO  queue drained\n";
	int64_t id;
	json_t *errors = NULL;
	int rc = attachment_store(&c, ticket, note, 0, "diagnostics.log", "text/plain", log_text,
				  sizeof(log_text) - 1, &id, &errors);
	if (rc != RC_OK) {
		report(d, "attach a log file", rc, errors);
		return;
	}
	if (!screenshot)
		return;
	struct buf png;
	buf_init(&png, 0);
	if (demo_screenshot(&png) < 0) {
		buf_release(&png);
		report(d, "draw a screenshot", RC_ERROR, NULL);
		return;
	}
	rc = attachment_store(&c, ticket, 0, 0, "error screen.png", "image/png", png.data, png.len,
			      &id, &errors);
	buf_release(&png);
	if (rc != RC_OK)
		report(d, "attach a screenshot", rc, errors);
}

static void change(struct demo *d, const struct resource *res, int64_t parent, int64_t id,
		   json_t *patch)
{
	if (d->failed || !patch) {
		json_decref(patch);
		d->failed = true;
		return;
	}
	struct resource_ctx c = ctx_of(d, parent);
	json_t *out = NULL, *errors = NULL;
	int rc = resource_update(&c, res, id, patch, RESOURCE_ANY_VERSION, &out, &errors);
	json_decref(patch);
	if (rc != RC_OK)
		report(d, arena_printf(&d->arena, "change a %s", res->singular), rc, errors);
}

static const char *day_str(struct demo *d, int64_t day)
{
	int64_t y;
	unsigned m, dd;
	civil_from_days(day, &y, &m, &dd);
	return arena_printf(&d->arena, "%04lld-%02u-%02u", (long long)y, m, dd);
}

static const char *date_str(struct demo *d, int days_from_today)
{
	return day_str(d, d->today + days_from_today);
}

static const char *time_text(struct demo *d, int64_t t)
{
	char s[TIME_RFC3339_LEN];
	time_format(t, s);
	return arena_strdup(&d->arena, s);
}

/* The firm ------------------------------------------------------------------- */

struct staff {
	const char *name, *email;
	unsigned role;
	const char *skills;	/* JSON array */
	const char *cert, *issuer;
	int cert_days;		/* from today; negative: expired */
	int64_t id;
};

static struct staff staff[] = {
	{ "Morgan Reyes", "morgan@northwind.example", ROLE_MANAGER, "[\"networking\",\"windows\"]",
	  "ITIL 4 Foundation", "Axelos", 900, 0 },
	{ "Ana Lopez", "ana@northwind.example", ROLE_TECHNICIAN,
	  "[\"networking\",\"cabling\",\"electrical\"]", "Licensed electrician", "State board",
	  420, 0 },
	{ "Ben Okafor", "ben@northwind.example", ROLE_TECHNICIAN, "[\"printers\",\"windows\"]",
	  "CompTIA A+", "CompTIA", 300, 0 },
	{ "Chen Wei", "chen@northwind.example", ROLE_TECHNICIAN,
	  "[\"linux\",\"networking\",\"security\"]", "Cisco CCNA", "Cisco", 610, 0 },
	{ "Dana Kowalski", "dana@northwind.example", ROLE_TECHNICIAN,
	  "[\"security\",\"cabling\",\"electrical\"]", "Licensed electrician", "State board", -20,
	  0 },
	{ "Eli Haddad", "eli@northwind.example", ROLE_TECHNICIAN, "[\"windows\",\"printers\"]",
	  "Microsoft 365 Administrator", "Microsoft", 150, 0 },
	{ "Sam Patel", "sam@northwind.example", ROLE_SALES, "[]", NULL, NULL, 0, 0 },
	{ "Riley Brooks", "riley@northwind.example", ROLE_BILLING, "[]", NULL, NULL, 0, 0 },
};
#define NSTAFF (sizeof(staff) / sizeof(staff[0]))
#define NTECH 5	/* staff[1..5] */

static int64_t tech(struct demo *d)
{
	return staff[1 + pick(d, NTECH)].id;
}

/*
 * The clients: real-looking firms around Springfield, Illinois, with
 * fictional domains (.example) and phone numbers in the range kept for
 * fiction (555-0100 to 555-0199).
 */
static const struct {
	const char *name, *domain, *street, *city, *postal_code;
} clients_of[] = {
	{ "Harbor Dental Group", "harbordental.example", "1120 South Sixth Street", "Springfield",
	  "62703" },
	{ "Lakeside Veterinary Clinic", "lakesidevet.example", "2845 Lake Shore Drive",
	  "Springfield", "62712" },
	{ "Prairie Freight Logistics", "prairiefreight.example", "4100 Industrial Avenue",
	  "Decatur", "62526" },
	{ "Oakridge Law Partners", "oakridgelaw.example", "225 East Monroe Street", "Springfield",
	  "62701" },
	{ "Summit Physical Therapy", "summitpt.example", "3201 Wabash Avenue", "Springfield",
	  "62704" },
	{ "Blue Heron Hotel", "blueheronhotel.example", "701 East Adams Street", "Springfield",
	  "62701" },
	{ "Millbrook Public Library", "millbrooklibrary.example", "14 North Walnut Street",
	  "Chatham", "62629" },
	{ "Cedar Valley School District", "cedarvalley-sd.example", "900 Cedar Valley Road",
	  "Rochester", "62563" },
	{ "Riverside Auto Repair", "riversideauto.example", "1530 North Grand Avenue East",
	  "Springfield", "62702" },
	{ "Greenleaf Architects", "greenleafarch.example", "312 South Fifth Street", "Springfield",
	  "62701" },
	{ "Northgate Pharmacy", "northgaterx.example", "2600 North Dirksen Parkway", "Springfield",
	  "62702" },
	{ "Maple Street Bakery", "maplestreetbakery.example", "118 West Main Street", "Sherman",
	  "62684" },
};
#define NCLIENTS (sizeof(clients_of) / sizeof(clients_of[0]))

/* Two contacts a client, each name once (ASCII, so their e-mail addresses are plain). */
static const char *const first[] = { "Alex", "Jordan", "Taylor", "Casey", "Priya", "Omar",
				     "Grace", "Hiro", "Lena", "Marcus", "Nora", "Victor",
				     "Rachel", "Dev", "Hannah", "Luis", "Megan", "Tomas",
				     "Fatima", "Owen", "Julia", "Kwame", "Sofia", "Ethan" };
static const char *const last[] = { "Nguyen", "Smith", "Garcia", "Johnson", "Kim", "Mueller",
				    "Rossi", "Dubois", "Silva", "Cohen", "Jensen", "Ibrahim",
				    "Walsh", "Okoro", "Brennan", "Fischer", "Patel", "Larsen",
				    "Moreau", "Schultz", "Bauer", "Reed", "Hughes", "Castillo" };
#define NNAMES (sizeof(first) / sizeof(first[0]))

static const struct {
	const char *subject, *kind, *skill;
} problems[] = {
	{ "Printer on 2nd floor jams on every job", "repair", "printers" },
	{ "Wi-Fi drops in the conference room", "incident", "networking" },
	{ "New starter needs a laptop and accounts", "service_request", "windows" },
	{ "Firewall firmware update", "maintenance", "security" },
	{ "Outlook keeps asking for the password", "incident", "windows" },
	{ "Install two access points in the warehouse", "installation", "networking" },
	{ "Server backup failed last night", "incident", "linux" },
	{ "Badge reader at the back door offline", "incident", "security" },
	{ "Scanner does not send to e-mail", "repair", "printers" },
	{ "Run cabling for three new desks", "installation", "cabling" },
	{ "VPN slow for remote staff", "incident", "networking" },
	{ "Replace UPS battery in the server room", "maintenance", "electrical" },
};
#define NPROBLEMS (sizeof(problems) / sizeof(problems[0]))

struct ids {
	int64_t calendar, always, standard, premium;
	int64_t remote, onsite, project;	/* work types */
	int64_t products[10];
	int64_t clients[NCLIENTS], contacts[NCLIENTS], sites[NCLIENTS], contracts[NCLIENTS];
	int64_t partner, supplier, prospect;
};

/*
 * The SLA targets (response, resolution minutes) by priority: Standard on
 * the office's hours, Premium around the clock for the managed clients.
 * The orders are made to meet, near or miss them by these numbers.
 */
enum prio { CRITICAL, HIGH, MEDIUM, LOW, PRIO__MAX };
static const char *const prio_names[] = { "critical", "high", "medium", "low" };
static const int standard_targets[][2] = { { 60, 240 }, { 120, 480 }, { 240, 1440 },
					   { 480, 2880 } };
static const int premium_targets[][2] = { { 30, 240 }, { 60, 480 }, { 120, 1440 },
					  { 240, 2880 } };
_Static_assert(sizeof(prio_names) / sizeof(prio_names[0]) == PRIO__MAX, "a name a priority");
_Static_assert(sizeof(standard_targets) / sizeof(standard_targets[0]) == PRIO__MAX,
	       "Standard: targets for every priority");
_Static_assert(sizeof(premium_targets) / sizeof(premium_targets[0]) == PRIO__MAX,
	       "Premium: targets for every priority");

static json_t *targets_json(const int targets[][2])
{
	json_t *a = json_array();
	for (int i = 0; i < PRIO__MAX; i++)
		json_array_append_new(a, json_pack("{s:s, s:i, s:i}", "priority", prio_names[i],
						   "response_minutes", targets[i][0],
						   "resolution_minutes", targets[i][1]));
	return a;
}

/* The managed clients (every third) are on Premium 24x7, the others on Standard. */
static bool premium_client(size_t c)
{
	return c % 3 == 0;
}

static void settings_and_terms(struct demo *d, struct ids *x)
{
	change(d, &settings_resource, 0, SETTINGS_ID,
	       json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "firm_name",
			 "Northwind Field Services", "address",
			 "400 Commerce Street\nSpringfield, IL 62701", "phone", "+1 217 555 0100",
			 "email", "service@northwind.example", "website",
			 "https://northwind.example", "timezone", "America/Chicago", "tax_rate_bp",
			 825));
	/* mail as the firm sent it while the demo's weeks passed (see mail()) */
	change(d, &settings_resource, 0, SETTINGS_ID,
	       json_pack("{s:s, s:s, s:i, s:s}", "mail_from", "service@northwind.example",
			 "smtp_host", "smtp.northwind.example", "smtp_port", 587, "smtp_security",
			 "starttls"));
	json_t *hours = json_array();
	for (int day = 1; day <= 5; day++)
		json_array_append_new(hours, json_pack("{s:i, s:s, s:s}", "weekday", day, "start",
						       "08:00", "end", "17:00"));
	x->calendar = make(d, &calendar_resource, 0,
			   json_pack("{s:s, s:s, s:o, s:[s,s]}", "name", "Springfield office",
				     "timezone", FIRM_TZ, "hours", hours, "holidays",
				     date_str(d, HOLIDAY_1), date_str(d, HOLIDAY_2)));
	x->always = make(d, &calendar_resource, 0,
			 json_pack("{s:s, s:s, s:b}", "name", "Around the clock", "timezone",
				   "America/Chicago", "always_open", 1));
	x->standard = make(d, &sla_policy_resource, 0,
			   json_pack("{s:s, s:I, s:b, s:o}", "name", "Standard", "calendar_id",
				     (json_int_t)x->calendar, "is_default", 1, "targets",
				     targets_json(standard_targets)));
	x->premium = make(d, &sla_policy_resource, 0,
			  json_pack("{s:s, s:I, s:o}", "name", "Premium 24x7", "calendar_id",
				    (json_int_t)x->always, "targets", targets_json(premium_targets)));
	make(d, &checklist_template_resource, 0,
	     json_pack("{s:s, s:s, s:[{s:s,s:b},{s:s,s:b},{s:s,s:b}]}", "name",
		       "Electrical safety check", "ticket_kind", "installation", "items", "label",
		       "Circuit isolated and tested dead", "required", 1, "label",
		       "Earth continuity measured", "required", 1, "label",
		       "Site left clean, customer walked through", "required", 0));
}

static void people(struct demo *d, const char *password)
{
	for (size_t i = 0; i < NSTAFF && !d->failed; i++) {
		const char *problem = NULL;
		struct audit_actor cli = { .label = "demo" };
		if (auth_user_create(d->db, &cli, staff[i].email, staff[i].name, staff[i].role,
				     password, &staff[i].id, &problem) != 0) {
			fprintf(stderr, "servio demo: cannot create %s: %s\n", staff[i].email,
				problem ? problem : "database error");
			d->failed = true;
			return;
		}
		change(d, &user_resource, 0, staff[i].id,
		       json_pack("{s:o}", "skills", json_loads(staff[i].skills, 0, NULL)));
		/* the technicians report to the services manager (a bad rating tells her) */
		if (staff[i].role == ROLE_TECHNICIAN)
			change(d, &user_resource, 0, staff[i].id,
			       json_pack("{s:I}", "manager_id", (json_int_t)staff[0].id));
		if (staff[i].cert)
			make(d, &certification_resource, staff[i].id,
			     json_pack("{s:s, s:s, s:s}", "name", staff[i].cert, "issuer",
				       staff[i].issuer, "expires_on",
				       date_str(d, staff[i].cert_days)));
	}
}

static void catalog(struct demo *d, struct ids *x)
{
	x->remote = make(d, &work_type_resource, 0,
			 json_pack("{s:s, s:i}", "name", "Remote support", "hourly_rate", 9500));
	x->onsite = make(d, &work_type_resource, 0,
			 json_pack("{s:s, s:i}", "name", "On-site technician", "hourly_rate", 12500));
	x->project = make(d, &work_type_resource, 0,
			  json_pack("{s:s, s:i}", "name", "Project engineer", "hourly_rate", 15000));
	static const struct {
		const char *sku, *name, *kind;
		int cost, price;
	} items[10] = {
		{ "NET-SW24", "Managed switch, 24 ports PoE", "equipment", 28000, 41900 },
		{ "NET-AP6", "Wi-Fi 6 access point", "equipment", 12000, 18900 },
		{ "SEC-FW200", "Firewall appliance", "equipment", 52000, 74900 },
		{ "PWR-UPS15", "UPS 1500 VA", "equipment", 21000, 32900 },
		{ "PRN-TONER", "Toner cartridge, black", "equipment", 4500, 8900 },
		{ "CAB-CAT6", "Cat6 cable run, terminated", "equipment", 3500, 9500 },
		{ "SVC-MON", "Monitoring and patching, per device, monthly", "service", 800, 2500 },
		{ "SW-M365", "Microsoft 365 Business, per user, monthly", "software", 1800, 2400 },
		{ "PRN-MFP", "Multifunction printer, A3 colour", "equipment", 168000, 239000 },
		{ "WS-SFF", "Small-form-factor PC, i5, 16 GB, Windows 11 Pro", "equipment", 54000,
		  76900 },
	};
	for (int i = 0; i < 10; i++)
		x->products[i] = make(d, &product_resource, 0,
				      json_pack("{s:s, s:s, s:s, s:i, s:i, s:b}", "sku", items[i].sku,
						"name", items[i].name, "kind", items[i].kind,
						"unit_cost", items[i].cost, "unit_price",
						items[i].price, "taxable",
						strcmp(items[i].kind, "service") != 0));
}

/* The first day of the month after day: when the contracts of a firm set up on day start. */
static int64_t next_month(int64_t day)
{
	int64_t y;
	unsigned m, dd;
	civil_from_days(day, &y, &m, &dd);
	return m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
}

static void clients(struct demo *d, struct ids *x, int64_t setup)
{
	at_time(d, local(d, setup, 9, 0));
	x->partner = make(d, &company_resource, 0,
			  json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "Midwest Office Supply",
				    "kind", "partner", "phone", "+1 217 555 0180", "website",
				    "https://midwestofficesupply.example", "notes",
				    "Refers printer and network clients"));
	x->supplier = make(d, &company_resource, 0,
			   json_pack("{s:s, s:s, s:s, s:s}", "name", "Ingram Distribution", "kind",
				     "vendor", "phone", "+1 217 555 0181", "website",
				     "https://ingram-distribution.example"));
	static const char *const kinds[] = { "workstation", "server", "printer", "network" };
	static const char *const makers[] = { "Dell", "HPE", "Brother", "Ubiquiti" };
	static const char *const models[] = { "OptiPlex 7010", "ProLiant DL20 Gen11",
					      "MFC-L8900CDW", "UniFi Switch 24 PoE" };
	const char *starts = day_str(d, next_month(setup));
	for (size_t i = 0; i < NCLIENTS && !d->failed; i++) {
		const char *name = clients_of[i].name, *domain = clients_of[i].domain;
		/* the clients signed one after another in the firm's first weeks */
		at_time(d, local(d, workday_on(d, setup + 1 + (int64_t)i), 10, (int)(i * 4) % 60));
		json_t *body = json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s}", "name", name, "phone",
			arena_printf(&d->arena, "+1 217 555 %04zu", 110 + i), "email",
			arena_printf(&d->arena, "info@%s", domain), "website",
			arena_printf(&d->arena, "https://www.%s", domain), "email_domain", domain,
			"lead_source", i % 3 == 0 ? "referral" : i % 3 == 1 ? "web" : "trade show");
		if (i % 3 == 0)
			json_object_set_new(body, "referred_by_id", json_integer(x->partner));
		x->clients[i] = make(d, &company_resource, 0, body);
		for (size_t k = 0; k < 2; k++) {
			const char *fn = first[(2 * i + k) % NNAMES];
			const char *ln = last[(5 * i + 7 * k) % NNAMES];
			char *mail = arena_printf(&d->arena, "%s.%s@%s", fn, ln, domain);
			for (char *p = mail; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
			int64_t id = make(d, &contact_resource, 0,
					  json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "company_id",
						    (json_int_t)x->clients[i], "first_name", fn,
						    "last_name", ln, "email", mail, "phone",
						    arena_printf(&d->arena, "+1 217 555 %04zu",
								 130 + 2 * i + k),
						    "title", k ? "Operations lead" : "Office manager"));
			if (!k)
				x->contacts[i] = id;
		}
		x->sites[i] = make(d, &site_resource, 0,
				   json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
					     "company_id", (json_int_t)x->clients[i], "name",
					     "Main office", "address_line1", clients_of[i].street,
					     "city", clients_of[i].city, "region", "IL",
					     "postal_code", clients_of[i].postal_code, "country", "US",
					     "timezone", FIRM_TZ, "phone",
					     arena_printf(&d->arena, "+1 217 555 %04zu", 110 + i)));
		for (int k = 0; k < 4; k++)
			make(d, &asset_resource, 0,
			     json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "company_id",
				       (json_int_t)x->clients[i], "site_id", (json_int_t)x->sites[i],
				       "name", arena_printf(&d->arena, "%s-%02d", kinds[k], k + 1),
				       "kind", kinds[k], "manufacturer", makers[k], "model", models[k],
				       "serial_number",
				       arena_printf(&d->arena, "SN%06u", pick(d, 999999)),
				       "warranty_expires_on", date_str(d, 90 + (int)pick(d, 700))));
		/* terms: managed for a third, block hours for a third, the rest T&M */
		json_t *c = json_pack("{s:I, s:s, s:s, s:s}", "company_id", (json_int_t)x->clients[i],
				      "starts_on", starts, "name",
				      arena_printf(&d->arena, "%s %s", name,
						   i % 3 == 0 ? "managed services" :
						   i % 3 == 1 ? "support hours" : "break-fix"),
				      "kind", i % 3 == 0 ? "managed" : i % 3 == 1 ? "block_hours"
										 : "time_materials");
		if (i % 3 == 0) {
			json_object_set_new(c, "monthly_fee", json_integer(150000 + 25000 * (int)(i % 4)));
			json_object_set_new(c, "sla_policy_id", json_integer(x->premium));
			/* remote support is in the fee; each workstation is monitored */
			json_object_set_new(c, "covered_work_type_ids", json_pack("[I]", (json_int_t)x->remote));
			json_object_set_new(c, "additions",
					    json_pack("[{s:s, s:I, s:i, s:s}]", "description",
						      "Monitoring and patching, per workstation",
						      "product_id", (json_int_t)x->products[6],
						      "unit_price", 2500, "asset_kind", "workstation"));
		} else if (i % 3 == 1) {
			json_object_set_new(c, "block_minutes", json_integer(1200));
			json_object_set_new(c, "block_price", json_integer(190000));
			json_object_set_new(c, "overage_rate", json_integer(11000));
			json_object_set_new(c, "rollover", json_true());
		} else if (i == 2) {
			/* a loyal client's on-site rate, with a half-hour minimum */
			json_object_set_new(c, "rates", json_pack("[{s:I, s:i}]", "work_type_id",
								  (json_int_t)x->onsite, "hourly_rate",
								  11000));
			json_object_set_new(c, "minimum_minutes", json_integer(30));
		}
		x->contracts[i] = make(d, &contract_resource, 0, c);
	}
	at(d, 30, 11, 20);
	x->prospect = make(d, &company_resource, 0,
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "name",
				     "Westfield Medical Center", "kind", "prospect", "phone",
				     "+1 217 555 0190", "website", "https://westfieldmedical.example",
				     "lead_source", "referral", "referred_by_id",
				     (json_int_t)x->partner));
}

/* The checklist's required items of ticket t, ticked by the technician. */
static void tick_required(struct demo *d, int64_t t)
{
	struct db_stmt *st;
	int64_t items[16];
	int k = 0;
	int rc = db_run(d->db, &st, "SELECT id FROM ticket_checklist_items WHERE ticket_id = ?"
				    " AND required = 1 ORDER BY id",
			"i", t);
	bool open = rc == RC_ROW;
	while (rc == RC_ROW && k < 16) {
		items[k++] = db_col_int(st, 0);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	for (int i = 0; i < k; i++)
		change(d, &checklist_item_resource, t, items[i], json_pack("{s:b}", "done", 1));
}

static const char *const channels[] = { "phone", "email", "portal", "phone", "email",
					"portal" };

/* A new service order of client c about problem p, taken by the dispatcher at t. */
static int64_t order(struct demo *d, struct ids *x, size_t c, size_t p, int prio, int64_t t)
{
	at_time(d, t);
	as(d, staff[0].id);
	return make(d, &ticket_resource, 0,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:[s]}", "subject",
			      problems[p].subject, "description",
			      "Reported by the client; see the notes for what was done.", "kind",
			      problems[p].kind, "priority", prio_names[prio], "channel",
			      channels[pick(d, 6)], "company_id", (json_int_t)x->clients[c],
			      "contact_id", (json_int_t)x->contacts[c], "site_id",
			      (json_int_t)x->sites[c], "contract_id", (json_int_t)x->contracts[c],
			      "required_skills", problems[p].skill));
}

/* The dispatcher gives order t to a technician at `when`; returns the technician. */
static int64_t assign(struct demo *d, int64_t t, int64_t when)
{
	int64_t who = tech(d);
	at_time(d, when);
	as(d, staff[0].id);
	change(d, &ticket_resource, 0, t,
	       json_pack("{s:I, s:s, s:s}", "assignee_id", (json_int_t)who, "status", "assigned",
			 "assignment_override_reason", "demo: assigned by the dispatcher"));
	return who;
}

/* The technician answers the client and starts (the first response). */
static void answer(struct demo *d, int64_t t, int64_t who, int64_t when)
{
	at_time(d, when);
	as(d, who);
	make(d, &ticket_note_resource, t,
	     json_pack("{s:s, s:s}", "body",
		       "Thanks for reporting this. I am looking into it now and will update you "
		       "within the hour.",
		       "visibility", "public"));
	change(d, &ticket_resource, 0, t, json_pack("{s:s}", "status", "in_progress"));
}

/*
 * Time worked on t from start: about `minutes`, cut to end by the office's
 * closing and by limit; recorded when the work ended.
 */
static void work(struct demo *d, struct ids *x, int64_t t, int64_t who, int64_t start,
		 int minutes, int64_t limit, const char *notes)
{
	int room = CLOSES - minute_of(d, start, NULL);
	if (limit > start && (limit - start) / 60 < room)
		room = (int)((limit - start) / 60);
	if (minutes > room)
		minutes = room / 5 * 5;
	if (minutes < 10)
		return;
	at_time(d, start + minutes * 60);
	as(d, who);
	make(d, &time_entry_resource, 0,
	     json_pack("{s:I, s:I, s:I, s:s, s:i, s:s}", "ticket_id", (json_int_t)t, "user_id",
		       (json_int_t)who, "work_type_id",
		       (json_int_t)(pick(d, 2) ? x->remote : x->onsite), "started_at",
		       time_text(d, start), "minutes", minutes, "notes", notes));
}

/* The n-th working day after the day of instant t. */
static int64_t workdays_after(struct demo *d, int64_t t, int n)
{
	int64_t day;
	minute_of(d, t, &day);
	while (n-- > 0)
		day = workday_on(d, day + 1);
	return day;
}

#define NHISTORY 40

/*
 * A resolved order of the last four weeks, lived through at its own
 * times: opened in office hours, answered within minutes, resolved well
 * within its target (one in ten late), some closed since.
 */
static void history_order(struct demo *d, struct ids *x, int n)
{
	static const int prios[] = { MEDIUM, MEDIUM, HIGH, LOW, CRITICAL, MEDIUM, HIGH, LOW };
	int back = 20 - n * 20 / NHISTORY;	/* working days ago, oldest first */
	size_t c = pick(d, NCLIENTS), p = pick(d, NPROBLEMS);
	int prio = prios[pick(d, 8)];
	bool around = premium_client(c);
	const int *target = around ? premium_targets[prio] : standard_targets[prio];
	int64_t created = local(d, wd(d, -back), 8 + (int)pick(d, 8), 10 * (int)pick(d, 6));
	int64_t t = order(d, x, c, p, prio, created);
	int64_t assigned = wadd(d, created, 5 + pick(d, 8));
	int64_t who = assign(d, t, assigned);
	int64_t answered = wadd(d, assigned, 5 + pick(d, 10));
	answer(d, t, who, answered);
	/* resolved at a share of its resolution target, in office hours */
	int share = n % 10 == 5 ? 110 + (int)pick(d, 30) : 20 + (int)pick(d, 55);
	int64_t due = created;
	calendar_add_minutes(around ? &d->open : &d->work, created, target[1] * share / 100, &due,
			     NULL, 0);
	int64_t least = clock_minutes(d, false, created, answered) + 30;
	int64_t m = clock_minutes(d, false, created, due);
	int64_t resolved = wadd(d, created, m > least ? m : least);
	if (resolved > d->now - 3600) {
		m = clock_minutes(d, false, created, d->now) * 3 / 4;
		resolved = wadd(d, created, m > least ? m : least);
	}
	at_time(d, answered + 60);
	int64_t note = make(d, &ticket_note_resource, t,
			    json_pack("{s:s}", "body", "Checked the logs and the device; cause found."));
	if (n % 4 == 1)
		attach_demo_files(d, t, note, n % 8 == 1);
	if (strcmp(problems[p].kind, "repair") == 0 || strcmp(problems[p].kind, "installation") == 0)
		make(d, &part_resource, t,
		     json_pack("{s:I, s:i, s:s}", "product_id",
			       (json_int_t)x->products[strcmp(problems[p].skill, "printers") == 0 ? 4
												   : 1],
			       "quantity", 1, "serial_number",
			       arena_printf(&d->arena, "P%06u", pick(d, 999999))));
	work(d, x, t, who, answered, 15 * (2 + (int)pick(d, 8)), resolved, "Diagnosis and fix");
	/* some needed the client first (no first-contact resolution) */
	if (n % 6 == 4 && clock_minutes(d, false, answered, resolved) > 120) {
		at_time(d, wadd(d, answered, 30));
		change(d, &ticket_resource, 0, t, json_pack("{s:s}", "status", "waiting_customer"));
		at_time(d, wadd(d, answered, 90));
		change(d, &ticket_resource, 0, t, json_pack("{s:s}", "status", "in_progress"));
	}
	at_time(d, resolved);
	as(d, who);
	tick_required(d, t);
	change(d, &ticket_resource, 0, t,
	       json_pack("{s:s, s:s}", "status", "resolved", "resolution",
			 "Fixed and tested with the client."));
	/* and a few came back: reopened the next working day, resolved again (the reopen rate) */
	int64_t next = local(d, workdays_after(d, resolved, 1), 10, 0);
	if (n % 8 == 2 && next + 5 * 3600 < d->now - 3600) {
		at_time(d, next);
		change(d, &ticket_resource, 0, t, json_pack("{s:s}", "status", "in_progress"));
		at_time(d, next + 5 * 3600);
		change(d, &ticket_resource, 0, t,
		       json_pack("{s:s, s:s}", "status", "resolved", "resolution",
				 "Fixed again: the cause was the cable, replaced."));
		resolved = next + 5 * 3600;
	}
	int64_t closing = local(d, workdays_after(d, resolved, 3), 9, 0);
	if (pick(d, 2) && closing < d->now - 600) {
		at_time(d, closing);
		as(d, 0);
		change(d, &ticket_resource, 0, t, json_pack("{s:s}", "status", "closed"));
	}
}

/*
 * The latest moment of office hours (on the ten minutes, 08:00 to 16:30)
 * at which an order of this policy and priority, whose last step so far
 * came `after` working minutes later, has used between lo and hi percent
 * of its resolution target now (of its response target too while nobody
 * answered it); 0 when no moment of the last eight weeks fits.
 */
static int64_t created_for(struct demo *d, bool around, int prio, bool answered, int after,
			   int lo, int hi)
{
	const int *target = around ? premium_targets[prio] : standard_targets[prio];
	int want = lo + (int)pick(d, (unsigned)(hi - lo + 1));
	for (int k = 0; k < 40; k++) {
		int64_t day = wd(d, -k);
		for (int m = 16 * 60 + 30; m >= OPENS; m -= 10) {
			int64_t t = local(d, day, m / 60, m % 60);
			if (wadd(d, t, after) > d->now - 600)
				continue;
			int64_t used = clock_minutes(d, around, t, d->now);
			int64_t pct = used * 100 / target[1];
			if (!answered && used * 100 / target[0] > pct)
				pct = used * 100 / target[0];
			if (pct < want)
				continue;
			return pct <= hi ? t : 0;
		}
	}
	return 0;
}

/*
 * The open orders, made at the times that give the SLA mix of a well-run
 * desk today: most comfortably within their targets, three at risk (over
 * 75 % used), two breached; two fresh ones wait for the dispatcher.
 */
static const struct {
	const char *status;
	int prio, lo, hi;	/* the share of the target used now, percent */
	const char *note;	/* the technician's latest, or NULL */
	int client;		/* the client's index, -1: any */
} open_orders[] = {
	{ "new", MEDIUM, 5, 35, NULL, -1 },
	{ "new", LOW, 5, 30, NULL, -1 },
	{ "assigned", HIGH, 10, 40, NULL, -1 },
	{ "in_progress", MEDIUM, 10, 55, NULL, -1 },
	{ "in_progress", LOW, 15, 50, NULL, -1 },
	{ "waiting_customer", MEDIUM, 20, 55,
	  "Asked the client when the room is free for the on-site visit.", 0 },
	{ "in_progress", HIGH, 20, 55, NULL, -1 },
	{ "waiting_customer", LOW, 10, 45,
	  "Sent the client the steps to try; waiting for their answer.", -1 },
	{ "in_progress", MEDIUM, 25, 60, NULL, -1 },
	{ "in_progress", MEDIUM, 78, 92, "Replacement part ordered from the supplier; due tomorrow.",
	  -1 },
	{ "in_progress", HIGH, 80, 94, "Escalated to the vendor's support; case open.", -1 },
	{ "in_progress", LOW, 77, 90, NULL, -1 },
	{ "in_progress", MEDIUM, 115, 160,
	  "The vendor's replacement unit is late; client informed and agreed to wait.", -1 },
	{ "in_progress", HIGH, 125, 190, "Needs a second visit with the electrician.", -1 },
};
#define NOPEN (sizeof(open_orders) / sizeof(open_orders[0]))

static void open_order(struct demo *d, struct ids *x, size_t i)
{
	const char *status = open_orders[i].status;
	bool answered = strcmp(status, "new") != 0 && strcmp(status, "assigned") != 0;
	int after = strcmp(status, "new") == 0 ? 0 : !answered ? 5
				: strcmp(status, "in_progress") == 0 ? 15 : 30;
	/*
	 * A Standard client's, or a managed client's (around the clock) when
	 * its clock fits. Waiting for the client pauses the resolution clock:
	 * such an order is aged by office hours, its clock stays low.
	 */
	bool waiting = strcmp(status, "waiting_customer") == 0;
	size_t start = open_orders[i].client >= 0 ? (size_t)open_orders[i].client
						  : pick(d, NCLIENTS);
	size_t c = 0;
	int64_t created = 0;
	for (size_t k = 0; k < NCLIENTS && !created; k++) {
		c = (start + k) % NCLIENTS;
		if (!premium_client(c) || i % 4 == 3 || waiting)
			created = created_for(d, premium_client(c) && !waiting,
					      open_orders[i].prio, answered, after,
					      open_orders[i].lo, open_orders[i].hi);
	}
	if (!created)
		return;
	size_t p = (i * 5 + 1) % NPROBLEMS;	/* a different problem each */
	int64_t t = order(d, x, c, p, open_orders[i].prio, created);
	if (strcmp(status, "new") == 0)
		return;
	int64_t who = assign(d, t, wadd(d, created, 5));
	if (!answered)
		return;
	int64_t answered_at = wadd(d, created, 15);
	answer(d, t, who, answered_at);
	work(d, x, t, who, answered_at, 15 * (2 + (int)pick(d, 4)),
	     strcmp(status, "in_progress") == 0 ? d->now - 600 : wadd(d, created, 30),
	     "Diagnosis");
	if (strcmp(status, "waiting_customer") == 0) {
		at_time(d, wadd(d, created, 30));
		make(d, &ticket_note_resource, t,
		     json_pack("{s:s, s:s}", "body", open_orders[i].note, "visibility", "public"));
		change(d, &ticket_resource, 0, t, json_pack("{s:s}", "status", "waiting_customer"));
	} else if (open_orders[i].note) {
		int64_t note_at = wadd(d, answered_at, 60);
		at_time(d, note_at < d->now - 600 ? note_at : past(d, d->now));
		make(d, &ticket_note_resource, t, json_pack("{s:s}", "body", open_orders[i].note));
	}
}

/* Four weeks of resolved orders, and today's open ones. */
static void tickets(struct demo *d, struct ids *x)
{
	for (int n = 0; n < NHISTORY && !d->failed; n++)
		history_order(d, x, n);
	for (size_t i = 0; i < NOPEN && !d->failed; i++)
		open_order(d, x, i);
	time_pretend(0);
}

/* The knowledge base ----------------------------------------------------------- */

static const struct {
	const char *title, *visibility, *tags;	/* tags: JSON array */
	const char *body;
	const char *solves;	/* the subject of the demo's orders it solved, or NULL */
	const char *edit;	/* a later, better body (a second revision), or NULL */
} articles[] = {
	{ "Printer jams on every job: clear the path and reinstall the driver", "portal",
	  "[\"printers\",\"drivers\"]",
	  "## When to use this\n\nThe printer jams or stops on every job although the paper tray is full.\n\n"
	  "## Steps\n\n1. Switch the printer off and open **every** door; remove torn paper.\n"
	  "2. Check the pickup rollers: worn rollers are glossy. Order the roller kit for the model.\n"
	  "3. On the PC, open *Settings > Bluetooth & devices > Printers*, remove the printer.\n"
	  "4. Install the vendor's current driver (not the one Windows offers), then add the printer again.\n"
	  "5. Print a test page and a 20-page job.\n\n"
	  "> If the jam comes back within a week, the fuser may be worn: book an on-site repair.\n",
	  "Printer on 2nd floor jams on every job", NULL },
	{ "Reinstall a printer driver on Windows", "portal", "[\"printers\",\"drivers\",\"windows\"]",
	  "1. Open *Print Management* (`printmanagement.msc`).\n"
	  "2. Under **Drivers**, remove the printer's driver package.\n"
	  "3. Download the newest driver from the vendor's site, e.g. "
	  "[HP support](https://support.hp.com/drivers).\n"
	  "4. Add the printer again by IP address, not by discovery.\n",
	  NULL, NULL },
	{ "Scan to e-mail stopped working", "internal", "[\"printers\",\"email\",\"smtp\"]",
	  "Most multifunction printers send with SMTP AUTH. When the mailbox password changed or "
	  "basic authentication was turned off, scanning to e-mail stops.\n\n"
	  "- Check the printer's SMTP log (web interface, *Network > E-mail*).\n"
	  "- Use the client's SMTP relay (port 587, STARTTLS) with the scanner's own account.\n"
	  "- Send a test scan to yourself.\n",
	  "Scanner does not send to e-mail", NULL },
	{ "Set up the VPN client on a new laptop", "portal", "[\"vpn\",\"remote-work\"]",
	  "You need your company account and the authenticator app.\n\n"
	  "1. Install the VPN client from the company portal.\n"
	  "2. Import the connection profile your IT contact sent you.\n"
	  "3. Connect and approve the sign-in in the authenticator app.\n\n"
	  "If it says *certificate expired*, call us: the gateway's certificate must be renewed.\n",
	  NULL,
	  "You need your company account and the authenticator app.\n\n"
	  "1. Install the VPN client from the company portal.\n"
	  "2. Import the connection profile your IT contact sent you (`.ovpn` file).\n"
	  "3. Connect and approve the sign-in in the authenticator app.\n"
	  "4. Check that you can open the file share.\n\n"
	  "If it says *certificate expired*, call us: the gateway's certificate must be renewed.\n" },
	{ "VPN is slow for remote staff", "internal", "[\"vpn\",\"networking\",\"performance\"]",
	  "Usual causes, in order:\n\n1. Full tunnel sends video calls through the office line: "
	  "use split tunnelling for the meeting service.\n"
	  "2. The gateway's CPU is at 100 % (check the firewall dashboard).\n"
	  "3. MTU problems on the user's home router: lower the tunnel MTU to 1380.\n",
	  "VPN slow for remote staff", NULL },
	{ "Password reset procedure", "internal", "[\"accounts\",\"security\",\"passwords\"]",
	  "**Never** reset a password on the strength of an e-mail alone.\n\n"
	  "1. Call the user back on the number in the client's directory.\n"
	  "2. Ask the client's named approver when the user is not known to you.\n"
	  "3. Set a temporary password and *require a change at next sign-in*.\n"
	  "4. Note in the ticket who approved it.\n",
	  NULL,
	  "**Never** reset a password on the strength of an e-mail or a call alone.\n\n"
	  "1. Call the user back on the number in the client's directory.\n"
	  "2. Ask the client's named approver when the user is not known to you.\n"
	  "3. Set a temporary password and *require a change at next sign-in*.\n"
	  "4. Check that multi-factor sign-in is still registered to the user's own phone.\n"
	  "5. Note in the ticket who approved it.\n" },
	{ "Outlook keeps asking for the password: repair the profile", "portal",
	  "[\"outlook\",\"email\",\"windows\"]",
	  "1. Close Outlook. Open *Control Panel > Mail > Show Profiles*.\n"
	  "2. Add a new profile, sign in with your company account.\n"
	  "3. Choose *Always use this profile* and start Outlook.\n"
	  "4. When it works, remove the old profile.\n\n"
	  "Also remove old entries for the mailbox in *Credential Manager*.\n",
	  "Outlook keeps asking for the password", NULL },
	{ "Wi-Fi drops in meeting rooms", "internal", "[\"wifi\",\"networking\"]",
	  "Check the access point's channel plan: two APs on the same 5 GHz channel in "
	  "neighbouring rooms make clients roam constantly.\n\n"
	  "- Lower transmit power on the meeting room APs.\n"
	  "- Turn on band steering.\n"
	  "- Update the controller's firmware.\n",
	  "Wi-Fi drops in the conference room", NULL },
	{ "New starter checklist", "internal", "[\"onboarding\",\"accounts\",\"windows\"]",
	  "- Create the account and licence it.\n- Enrol the laptop in device management.\n"
	  "- Install the standard apps and the VPN client.\n- Add the user to the right groups "
	  "and shared mailboxes.\n- Hand over with a 15-minute walkthrough.\n",
	  "New starter needs a laptop and accounts", NULL },
	{ "When the nightly backup fails", "internal", "[\"backup\",\"linux\",\"servers\"]",
	  "1. Read the job log: `journalctl -u backup --since yesterday`.\n"
	  "2. Full target disk? Prune old snapshots per the client's retention.\n"
	  "3. Run the job by hand and watch it finish.\n"
	  "4. Test a restore of one file before you close the ticket.\n",
	  "Server backup failed last night", NULL },
	{ "Replace a UPS battery safely", "internal", "[\"ups\",\"electrical\",\"servers\"]",
	  "Put the UPS in bypass first; servers stay on mains while you work. Wear gloves: "
	  "old batteries may leak.\n\nAfter the swap, run a self-test and reset the battery date.\n",
	  "Replace UPS battery in the server room", NULL },
	{ "How to reach the service desk", "portal", "[\"support\",\"contact\"]",
	  "- Portal: open a ticket any time.\n- E-mail: service@northwind.example\n"
	  "- Phone: +1 217 555 0100 (8:00-17:00, Mon-Fri)\n\n"
	  "For an outage, **call**: e-mail is read in order of arrival.\n",
	  NULL, NULL },
};

/* A dozen articles, two edited since, linked to the orders they solved. */
static void knowledge_base(struct demo *d)
{
	int64_t ids[sizeof(articles) / sizeof(articles[0])];
	for (size_t i = 0; i < sizeof(articles) / sizeof(articles[0]) && !d->failed; i++) {
		at(d, 40 - (int)i, 10, 0);
		as(d, staff[i % (NTECH + 1)].id);
		json_t *tags = json_loads(articles[i].tags, 0, NULL);
		ids[i] = make(d, &kb_article_resource, 0,
			      json_pack("{s:s, s:s, s:s, s:o}", "title", articles[i].title, "body",
					articles[i].body, "visibility", articles[i].visibility,
					"tags", tags ? tags : json_array()));
	}
	for (size_t i = 0; i < sizeof(articles) / sizeof(articles[0]) && !d->failed; i++) {
		if (!articles[i].edit)
			continue;
		at(d, 12, 15, 0);
		as(d, staff[0].id);
		change(d, &kb_article_resource, 0, ids[i],
		       json_pack("{s:s}", "body", articles[i].edit));
	}
	/* linked to the orders they solved, lately (in office hours) */
	at_time(d, past(d, d->now));
	for (size_t i = 0; i < sizeof(articles) / sizeof(articles[0]) && !d->failed; i++) {
		if (!articles[i].solves)
			continue;
		struct db_stmt *st;
		int64_t tickets[2];
		int n = 0;
		int rc = db_run(d->db, &st, "SELECT id FROM tickets WHERE subject = ? AND status IN"
					    " ('resolved', 'closed') ORDER BY id LIMIT 2",
				"s", articles[i].solves);
		bool open = rc == RC_ROW;
		while (rc == RC_ROW && n < 2) {
			tickets[n++] = db_col_int(st, 0);
			rc = db_step(st);
		}
		if (open)
			db_done(st);
		as(d, staff[1].id);
		for (int k = 0; k < n; k++)
			make(d, &kb_link_resource, tickets[k],
			     json_pack("{s:I}", "article_id", (json_int_t)ids[i]));
	}
}

/*
 * The clients' answers to the surveys the resolutions made: most 4 or 5,
 * some never answered, two bad ones (a follow-up each for the manager).
 */
static void surveys(struct demo *d)
{
	static const struct {
		int rating;
		const char *comment;
	} answers[] = {
		{ 5, "Quick and friendly, thank you!" }, { 4, NULL }, { 5, NULL },
		{ 2, "Took three visits and the printer still jams now and then." },
		{ 5, "Fixed before lunch." }, { 0, NULL }, { 4, "Good, but the first call waited." },
		{ 5, NULL }, { 1, "Nobody told us the network would be down all morning." },
		{ 4, NULL }, { 0, NULL }, { 5, "Great as always." },
	};
	int64_t ids[200], sent[200];
	int n = 0;
	struct db_stmt *st;
	int rc = db_run(d->db, &st, "SELECT ticket_id, sent_at FROM surveys ORDER BY id", "");
	while (rc == RC_ROW && n < 200) {
		ids[n] = db_col_int(st, 0);
		if (time_parse(db_col_text(st, 1), &sent[n]) == 0)
			n++;
		rc = db_step(st);
	}
	if (rc == RC_ROW)
		db_done(st);
	else if (rc != RC_DONE)
		d->failed = true;
	for (int i = 0; i < n && !d->failed; i++) {
		size_t k = (size_t)i % (sizeof(answers) / sizeof(answers[0]));
		if (!answers[k].rating)
			continue;
		/* answered in the client's office hours, an hour to a day later */
		at_time(d, past(d, wadd(d, sent[i], 60 + 25 * (i % 20))));
		as(d, 0);
		struct resource_ctx c = ctx_of(d, 0);
		json_t *errors = json_array();
		rc = survey_answer_ticket(&c, ids[i], answers[k].rating, answers[k].comment, errors);
		if (rc != RC_OK)
			report(d, "answer a survey", rc, errors);
		json_decref(errors);
	}
	time_pretend(0);
}

/* This week's and next week's visits: done when over, else scheduled or confirmed. */
static void schedule(struct demo *d, struct ids *x)
{
	as(d, staff[0].id);
	at_time(d, past(d, d->now));
	int64_t monday = d->today - (weekday(d->today) - 1);
	for (int64_t day = monday; day < monday + 12; day++) {
		if (!working_day(d, day))
			continue;
		for (int k = 1; k <= NTECH; k++) {
			if (pick(d, 3) == 0)
				continue;
			int start = 8 + (int)pick(d, 7);
			size_t c = pick(d, NCLIENTS);
			int64_t from = local(d, day, start, 0), to = local(d, day, start + 2, 0);
			make(d, &appointment_resource, 0,
			     json_pack("{s:I, s:s, s:s, s:I, s:s, s:s}", "user_id",
				       (json_int_t)staff[k].id, "starts_at", time_text(d, from),
				       "ends_at", time_text(d, to), "site_id", (json_int_t)x->sites[c],
				       "title",
				       arena_printf(&d->arena, "Visit %s", clients_of[c].name),
				       "status", to <= d->now ? "done"
					       : day - d->today < 3 ? "confirmed"
								     : "scheduled"));
		}
	}
	make(d, &recurring_resource, 0,
	     json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "name",
		       "Monthly server health check", "rrule", "FREQ=MONTHLY;BYDAY=1MO",
		       "starts_local", arena_printf(&d->arena, "%sT09:00", day_str(d, wd(d, 1))),
		       "timezone", FIRM_TZ, "subject", "Server health check",
		       "kind", "maintenance", "company_id", (json_int_t)x->clients[0],
		       "contract_id", (json_int_t)x->contracts[0]));
}

/* Sets opportunity opp's value to quote q's total: the deal is worth what was offered. */
static void value_of_quote(struct demo *d, int64_t opp, int64_t q)
{
	if (d->failed)
		return;
	struct resource_ctx c = ctx_of(d, 0);
	json_t *quote = NULL;
	if (resource_get(&c, &quote_resource, q, &quote) != RC_OK) {
		report(d, "read a quote", RC_ERROR, NULL);
		return;
	}
	change(d, &opportunity_resource, 0, opp,
	       json_pack("{s:O}", "estimated_value", json_object_get(quote, "total")));
}

static void quote_act(struct demo *d, const struct audit_actor *actor,
		      const struct resource_action *action, int64_t q, json_t *body)
{
	if (d->failed) {
		json_decref(body);
		return;
	}
	struct resource_ctx c = ctx_of(d, 0);
	if (actor)
		c.actor = actor;
	json_t *out = NULL, *errors = NULL;
	int rc = resource_act(&c, &quote_resource, action, q, arena_json(&d->arena, body),
			      RESOURCE_ANY_VERSION, &out, &errors);
	if (rc != RC_OK)
		report(d, arena_printf(&d->arena, "%s a quote", action->name), rc, errors);
}

/*
 * The pipeline: opportunities, follow-ups and quotes in every state, each
 * quoted deal worth its quote's total.
 */
static void sales(struct demo *d, struct ids *x)
{
	int64_t seller = staff[6].id;
	as(d, seller);
	static const struct {
		const char *title, *stage, *source;
		int value, client, opened, qualified;	/* working days ago */
	} opps[] = {
		{ "Clinic-wide Wi-Fi upgrade", "qualified", "referral", 1850000, -1, 12, 9 },
		{ "Security cameras for the warehouse", "new", "trade show", 920000, 2, 4, 0 },
		{ "Managed services for 40 seats", "quoted", "web", 2400000, 3, 15, 11 },
		{ "Library public PC refresh", "qualified", "web", 1400000, 6, 10, 8 },
		{ "Printer fleet consolidation", "won", "referral", 610000, 0, 25, 21 },
		{ "Hotel guest network", "lost", "web", 1250000, 5, 20, 19 },
	};
	int64_t ids[6];
	for (int i = 0; i < 6; i++) {
		at_time(d, local(d, wd(d, -opps[i].opened), 10, 15 + 5 * i));
		int64_t company = opps[i].client < 0 ? x->prospect : x->clients[opps[i].client];
		json_t *b = json_pack("{s:I, s:s, s:s, s:s, s:i, s:s}", "company_id",
				      (json_int_t)company, "title", opps[i].title, "stage", "new",
				      "source", opps[i].source, "estimated_value", opps[i].value,
				      "expected_close_on",
				      day_str(d, strcmp(opps[i].stage, "won") == 0 ||
							 strcmp(opps[i].stage, "lost") == 0
						     ? wd(d, -opps[i].qualified + 8)
						     : wd(d, 10 + i * 7)));
		if (strcmp(opps[i].source, "referral") == 0)
			json_object_set_new(b, "referral_partner_id", json_integer(x->partner));
		ids[i] = make(d, &opportunity_resource, 0, b);
		if (opps[i].qualified) {
			at_time(d, local(d, wd(d, -opps[i].qualified), 14, 0));
			change(d, &opportunity_resource, 0, ids[i],
			       json_pack("{s:s}", "stage", "qualified"));
		}
	}
	static const struct {
		const char *kind, *subject;
		int days;	/* working days from today */
	} acts[] = {
		{ "call", "Call the practice manager about the Wi-Fi survey", -2 },
		{ "visit", "Site survey for the camera positions", 1 },
		{ "email", "Send the revised managed services proposal", -1 },
		{ "meeting", "Quarterly review with the library board", 4 },
		{ "task", "Ask the supplier for switch lead times", 2 },
	};
	at_time(d, local(d, wd(d, -3), 15, 30));
	for (int i = 0; i < 5; i++)
		make(d, &activity_resource, 0,
		     json_pack("{s:s, s:s, s:I, s:s}", "kind", acts[i].kind, "subject",
			       acts[i].subject, "opportunity_id", (json_int_t)ids[i % 4], "due_at",
			       time_text(d, local(d, wd(d, acts[i].days), 10, 0))));
	/*
	 * The quotes, in the order they were written: the printer fleet
	 * (accepted: it made its contract and orders), the hotel's network
	 * (declined), the managed seats (sent, waiting), the library's PCs (a
	 * draft). Lines as such deals have them.
	 */
	static const struct audit_actor client = { .label = "client (quote link)",
						   .address = "203.0.113.7" };
	struct {
		int opp, written, sent, answered;	/* working days ago */
		const char *answer;
		json_t *lines;
	} qs[] = {
		{ 4, 19, 18, 14, "accept",
		  json_pack("[{s:s, s:I, s:i, s:b}, {s:s, s:I, s:f}, {s:s, s:I, s:i}]", "kind",
			    "equipment", "product_id", (json_int_t)x->products[8], "quantity", 2,
			    "install", 1, "kind", "labor", "work_type_id", (json_int_t)x->onsite,
			    "quantity", 3.0, "kind", "service", "product_id",
			    (json_int_t)x->products[6], "quantity", 2) },
		{ 5, 18, 17, 13, "decline",
		  json_pack("[{s:s, s:I, s:i, s:b}, {s:s, s:I, s:i, s:b}, {s:s, s:I, s:f}]", "kind",
			    "equipment", "product_id", (json_int_t)x->products[1], "quantity", 8,
			    "install", 1, "kind", "equipment", "product_id",
			    (json_int_t)x->products[0], "quantity", 1, "install", 1, "kind",
			    "labor", "work_type_id", (json_int_t)x->onsite, "quantity", 12.0) },
		{ 2, 7, 6, 0, NULL,
		  json_pack("[{s:s, s:I, s:i}, {s:s, s:I, s:i}, {s:s, s:I, s:f}]", "kind", "service",
			    "product_id", (json_int_t)x->products[6], "quantity", 40, "kind",
			    "service", "product_id", (json_int_t)x->products[7], "quantity", 40,
			    "kind", "labor", "work_type_id", (json_int_t)x->project, "quantity",
			    16.0) },
		{ 3, 2, 0, 0, "draft",
		  json_pack("[{s:s, s:I, s:i, s:b}, {s:s, s:I, s:f}]", "kind", "equipment",
			    "product_id", (json_int_t)x->products[9], "quantity", 12, "install", 1,
			    "kind", "labor", "work_type_id", (json_int_t)x->onsite, "quantity",
			    10.0) },
	};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		int o = qs[i].opp;
		if (d->failed || !qs[i].lines) {
			json_decref(qs[i].lines);
			d->failed = true;
			continue;
		}
		as(d, seller);
		at_time(d, local(d, wd(d, -qs[i].written), 11, 0));
		int64_t q = make(d, &quote_resource, 0,
				 json_pack("{s:I, s:I, s:I, s:I, s:s, s:i, s:s, s:i, s:[{s:I}], s:o}",
					   "company_id", (json_int_t)x->clients[opps[o].client],
					   "opportunity_id", (json_int_t)ids[o], "contact_id",
					   (json_int_t)x->contacts[opps[o].client], "site_id",
					   (json_int_t)x->sites[opps[o].client], "title",
					   opps[o].title, "response_time_minutes", 240, "coverage",
					   "business_hours", "warranty_days", 90, "technicians",
					   "user_id", (json_int_t)staff[1].id, "lines", qs[i].lines));
		value_of_quote(d, ids[o], q);
		if (qs[i].answer && strcmp(qs[i].answer, "draft") == 0)
			continue;
		at_time(d, local(d, wd(d, -qs[i].sent), 9, 30));
		quote_act(d, NULL, &quote_send, q, NULL);
		if (!qs[i].answer)
			continue;
		/* the client answers through the link */
		at_time(d, local(d, wd(d, -qs[i].answered), 10, 30));
		bool yes = strcmp(qs[i].answer, "accept") == 0;
		quote_act(d, &client, yes ? &quote_accept : &quote_decline, q,
			  yes ? json_pack("{s:s}", "name",
					  arena_printf(&d->arena, "%s %s", first[0], last[0]))
			      : json_pack("{s:s}", "reason", "Over this year's budget"));
		if (!yes) {
			as(d, seller);
			at_time(d, local(d, wd(d, -qs[i].answered), 15, 0));
			change(d, &opportunity_resource, 0, ids[o],
			       json_pack("{s:s, s:s}", "stage", "lost", "lost_reason",
					 "Chose a cheaper provider"));
			continue;
		}
		/* the orders it made: taken at once, installed within the week */
		struct db_stmt *st;
		int64_t orders[8];
		int n = 0;
		int rc = db_run(d->db, &st, "SELECT id FROM tickets WHERE quote_id = ? ORDER BY id",
				"i", q);
		bool open = rc == RC_ROW;
		while (rc == RC_ROW && n < 8) {
			orders[n++] = db_col_int(st, 0);
			rc = db_step(st);
		}
		if (open)
			db_done(st);
		int64_t accepted = local(d, wd(d, -qs[i].answered), 10, 30);
		for (int k = 0; k < n && !d->failed; k++) {
			int64_t who = assign(d, orders[k], wadd(d, accepted, 20 + 5 * k));
			answer(d, orders[k], who, wadd(d, accepted, 45 + 5 * k));
			int64_t done = local(d, wd(d, -qs[i].answered + 3), 15, 0);
			work(d, x, orders[k], who, done - 150 * 60, 150, done, "Installed and tested");
			at_time(d, done);
			as(d, who);
			tick_required(d, orders[k]);
			change(d, &ticket_resource, 0, orders[k],
			       json_pack("{s:s, s:s}", "status", "resolved", "resolution",
					 "Installed, configured and shown to the staff."));
		}
	}
}

/* Getting paid ------------------------------------------------------------- */

/* How many days before today day `day` (1-28) of the month `months` before this one is. */
static int days_back(struct demo *d, int months, int day)
{
	int64_t y;
	unsigned m, dd;
	civil_from_days(d->today, &y, &m, &dd);
	int64_t month = y * 12 + (m - 1) - months;
	return (int)(d->today - days_from_civil(month / 12, (unsigned)(month % 12) + 1,
							(unsigned)day));
}

/* A service order of client c worked `back` days ago (or the working day before), closed since. */
static void worked(struct demo *d, struct ids *x, size_t c, int back)
{
	static const size_t billable[] = { 0, 1, 2, 3, 4, 6, 7, 8, 10, 11 };
	size_t p = billable[pick(d, sizeof(billable) / sizeof(billable[0]))];
	int64_t who = tech(d);
	int64_t day = workday_back(d, d->today - back);
	int64_t created = local(d, day, 8 + (int)pick(d, 6), 5);
	at_time(d, created);
	as(d, staff[0].id);
	int64_t t = make(d, &ticket_resource, 0,
			 json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s}", "subject",
				   problems[p].subject, "kind", problems[p].kind, "priority",
				   "medium", "channel", "phone", "company_id",
				   (json_int_t)x->clients[c], "contact_id",
				   (json_int_t)x->contacts[c], "site_id", (json_int_t)x->sites[c],
				   "contract_id", (json_int_t)x->contracts[c], "assignee_id",
				   (json_int_t)who, "status", "assigned"));
	as(d, who);
	at_time(d, created + 35 * 60);
	change(d, &ticket_resource, 0, t, json_pack("{s:s}", "status", "in_progress"));
	int64_t resolved = created + 175 * 60;
	int minutes = 15 * (3 + (int)pick(d, 10));
	work(d, x, t, who, created + 35 * 60, minutes, resolved,
	     "Diagnosed, fixed and tested with the client");
	if (strcmp(problems[p].kind, "repair") == 0) {
		at_time(d, created + 90 * 60);
		make(d, &part_resource, t,
		     json_pack("{s:I, s:i}", "product_id",
			       (json_int_t)x->products[strcmp(problems[p].skill, "printers") == 0 ? 4
												   : 3],
			       "quantity", 1));
	}
	at_time(d, resolved);
	tick_required(d, t);
	change(d, &ticket_resource, 0, t,
	       json_pack("{s:s, s:s}", "status", "resolved", "resolution",
			 "Fixed and tested with the client."));
	int64_t closing = local(d, workdays_after(d, resolved, 3), 9, 0);
	if (closing < d->now - 600) {
		as(d, 0);
		at_time(d, closing);
		change(d, &ticket_resource, 0, t, json_pack("{s:s}", "status", "closed"));
	}
}

static json_t *act(struct demo *d, const char *action, int64_t invoice, json_t *body)
{
	json_t *out = NULL, *errors = NULL;
	if (d->failed) {
		json_decref(body);
		return NULL;
	}
	struct resource_ctx c = ctx_of(d, 0);
	int rc = resource_act(&c, &invoice_resource, resource_action(&invoice_resource, action),
			      invoice, arena_json(&d->arena, body), RESOURCE_ANY_VERSION, &out,
			      &errors);
	if (rc != RC_OK) {
		report(d, arena_printf(&d->arena, "%s an invoice", action), rc, errors);
		return NULL;
	}
	return out;
}

/* A payment received on the local day `day` (none yet when that is after today). */
static void pay(struct demo *d, int64_t invoice, json_int_t amount, int64_t day,
		const char *method)
{
	day = workday_on(d, day);
	if (day > d->today || amount <= 0)
		return;
	int64_t t = local(d, day, 10, 0);
	if (t > d->now - 600)
		return;
	at_time(d, t);
	make(d, &payment_resource, invoice,
	     json_pack("{s:I, s:s, s:s, s:s}", "amount", amount, "received_on", day_str(d, day),
		       "method", method, "reference",
		       arena_printf(&d->arena, "REM-%06u", pick(d, 999999))));
}

/* The day of the run of the month `months` before this one: the next month's first working day. */
static int64_t run_day(struct demo *d, int months)
{
	return workday_on(d, d->today - days_back(d, months - 1, 1));
}

/*
 * The run of the month `months` before this one, made on the next
 * month's first working day by the billing clerk; every draft is issued
 * but the one of client `keep_draft` (-1: none). Returns the invoices issued.
 */
static json_t *run_month(struct demo *d, int months, int keep_draft, struct ids *x)
{
	int start = days_back(d, months, 1), next = days_back(d, months - 1, 1);
	at_time(d, past(d, local(d, run_day(d, months), 9, 0)));
	as(d, staff[NSTAFF - 1].id);
	struct resource_ctx c = ctx_of(d, 0);
	json_t *out = NULL, *errors = NULL;
	int64_t run;
	struct spool text;
	spool_init(&text, 0);	/* a demo firm's month: its text stays in memory */
	int rc = d->failed ? RC_ERROR
			   : invoice_run(&c, date_str(d, -start), date_str(d, -next - 1), 0, false,
					 &text, &run, &errors);
	if (rc == RC_OK) {
		out = arena_json(&d->arena, json_loadb(text.b.data, text.b.len, 0, NULL));
		rc = out ? RC_OK : RC_ERROR;
	}
	spool_release(&text);
	if (rc != RC_OK) {
		report(d, "run the month's invoices", rc, errors);
		return NULL;
	}
	json_t *issued = arena_json(&d->arena, json_array()), *inv;
	size_t i;
	at_time(d, past(d, local(d, run_day(d, months), 9, 30)));
	json_array_foreach(json_object_get(out, "invoices"), i, inv) {
		int64_t company = json_integer_value(json_object_get(inv, "company_id"));
		if (keep_draft >= 0 && company == x->clients[keep_draft])
			continue;
		json_t *done = act(d, "issue", json_integer_value(json_object_get(inv, "id")), NULL);
		if (done)
			json_array_append(issued, done);
	}
	return issued;
}

/*
 * Two months billed: the month before last issued and paid but for one
 * client, now overdue; last month issued on the first working day (one
 * draft left for review), about half paid, one in part, one corrected by
 * a credit note. Last month also has a month of work under every contract
 * kind, some travel, and the technicians' cost rates and calendars for
 * the reports.
 */
static void billing(struct demo *d, struct ids *x)
{
	at_time(d, local(d, wd(d, -40), 16, 0));
	as(d, staff[0].id);
	for (size_t i = 0; i < NSTAFF; i++)
		change(d, &user_resource, 0, staff[i].id,
		       json_pack("{s:i, s:I}", "cost_rate", 3800 + 400 * (int)(i % 4),
				 "calendar_id", (json_int_t)x->calendar));
	/* what a technician's check-out logs */
	for (int k = 1; k <= NTECH; k++)
		change(d, &user_resource, 0, staff[k].id,
		       json_pack("{s:I}", "default_work_type_id", (json_int_t)x->onsite));
	for (size_t c = 0; c < NCLIENTS && !d->failed; c++) {
		worked(d, x, c, days_back(d, 1, 3 + (int)(c * 2) % 20));
		worked(d, x, c, days_back(d, 1, 12 + (int)pick(d, 14)));
	}
	for (int k = 1; k <= NTECH; k++) {
		int64_t start = local(d, workday_back(d, d->today - days_back(d, 1, 5 + 3 * k)), 14,
				      30);
		as(d, staff[k].id);
		at_time(d, start + 3 * 3600);
		make(d, &time_entry_resource, 0,
		     json_pack("{s:s, s:I, s:s, s:i, s:s}", "kind", k % 2 ? "travel" : "training",
			       "user_id", (json_int_t)staff[k].id, "started_at", time_text(d, start),
			       "minutes", 45 + 15 * k, "notes",
			       k % 2 ? "Drive between client sites" : "Vendor certification course"));
	}
	json_t *older = run_month(d, 2, -1, x), *inv;
	size_t i;
	int64_t paid = run_day(d, 2) + 18;
	json_array_foreach(older, i, inv)
		if (i != 1)
			pay(d, json_integer_value(json_object_get(inv, "id")),
			    json_integer_value(json_object_get(inv, "balance")), paid - (int)(i % 5),
			    i % 3 ? "bank_transfer" : "check");
	json_t *recent = run_month(d, 1, 5, x);
	int64_t run = run_day(d, 1);
	json_array_foreach(recent, i, inv) {
		int64_t id = json_integer_value(json_object_get(inv, "id"));
		json_int_t balance = json_integer_value(json_object_get(inv, "balance"));
		if (i == 0) {
			as(d, staff[NSTAFF - 1].id);
			at_time(d, past(d, local(d, run, 11, 0)));
			act(d, "credit", id,
			    json_pack("{s:i, s:b, s:s}", "amount", 5000, "taxable", 0, "reason",
				      "Goodwill: the second visit was needed because of our error"));
			pay(d, id, balance - 5000, run + 3, "card");
		} else if (i == 2) {
			pay(d, id, balance / 2, run + 4, "bank_transfer");
		} else if (i % 2) {
			pay(d, id, balance, run + 2 + (int)(i % 3), "direct_debit");
		}
	}
	time_pretend(0);
}

/* One message in at t, as the mail server's pipe would give it; returns the order it opened. */
static int64_t mail_in(struct demo *d, int64_t t, const char *raw)
{
	if (d->failed)
		return 0;
	at_time(d, t);
	struct mail_taken taken;
	if (mail_take(d->db, &d->arena, raw, strlen(raw), "pipe", &taken) != RC_OK) {
		report(d, "take a demo e-mail", RC_ERROR, NULL);
		return 0;
	}
	return taken.ticket_id;
}

/*
 * Mail: clients writing in (a new order, a reply, an out-of-office, a
 * stranger held for triage, a newsletter, a bounce), and the record of
 * what the firm's server accepted: the demo has no mail server, so the
 * messages its weeks queued are recorded as taken by the firm's, and
 * outgoing mail is switched off for the demo firm (no smtp_host).
 */
static void mail(struct demo *d, struct ids *x)
{
	/* mail from a client's domain (the company's email_domain) opens orders for it */
	const char *dom = clients_of[1].domain;
	int64_t opened = local(d, wd(d, -3), 9, 10 + (int)pick(d, 40));
	int64_t order = mail_in(d, opened, arena_printf(&d->arena,
		"From: Facilities <facilities@%s>\r\nTo: service@northwind.example\r\n"
		"Subject: Badge reader at the back door\r\nMessage-ID: <demo-1@%s>\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"Hello,\r\n\r\nthe badge reader at the back door stopped working this morning;\r\n"
		"nobody can get in from the car park.\r\n\r\nThanks,\r\nFacilities\r\n", dom, dom));
	if (order) {
		int64_t who = assign(d, order, wadd(d, opened, 10));
		answer(d, order, who, wadd(d, opened, 25));
	}
	mail_in(d, local(d, wd(d, -2), 14, 12), arena_printf(&d->arena,
		"From: Facilities <facilities@%s>\r\nTo: service@northwind.example\r\n"
		"Subject: Re: Badge reader at the back door\r\n"
		"Message-ID: <demo-2@%s>\r\nIn-Reply-To: <demo-1@%s>\r\n"
		"References: <demo-1@%s>\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"\r\nIt is the reader by the loading dock, not the main one.\r\n\r\n"
		"On Mon, Facilities wrote:\r\n> the badge reader at the back door stopped\r\n",
		dom, dom, dom, dom));
	mail_in(d, local(d, wd(d, -2), 15, 3), arena_printf(&d->arena,
		"From: Out of office <facilities@%s>\r\n"
		"To: service@northwind.example\r\nSubject: Automatic reply: Badge reader\r\n"
		"Auto-Submitted: auto-replied\r\nMessage-ID: <demo-3@%s>\r\n\r\n"
		"I am out of the office until Monday.\r\n", dom, dom));
	if (order) {
		at_time(d, local(d, wd(d, -1), 11, 30));
		tick_required(d, order);
		change(d, &ticket_resource, 0, order,
		       json_pack("{s:s, s:s}", "status", "resolved", "resolution",
				 "Replaced the reader by the loading dock; badges work again."));
	}
	mail_in(d, local(d, wd(d, -1), 10, 4),
		"From: \"Dana Whitfield\" <dana@whitfield-law.example>\r\n"
		"To: service@northwind.example\r\nSubject: Do you support small law offices?\r\n"
		"Message-ID: <demo-4@whitfield-law.example>\r\n\r\n"
		"We are five people with two printers and a file server. Could you look after us?\r\n");
	mail_in(d, local(d, wd(d, -1), 11, 15),
		"From: Printer Weekly <news@printerweekly.example>\r\n"
		"To: service@northwind.example\r\nSubject: This week in toner\r\n"
		"Precedence: bulk\r\nMessage-ID: <demo-5@printerweekly.example>\r\n\r\nNews.\r\n");
	/* what the firm sent: recorded as its mail server took it */
	struct db_stmt *st = db_prepare(d->db, "SELECT id, created_at FROM outbound_messages"
					" WHERE status = 'queued' ORDER BY id");
	int64_t ids[512];
	char at_[512][TIME_RFC3339_LEN];
	size_t n = 0;
	while (st && n < 512 && db_step(st) == RC_ROW) {
		ids[n] = db_col_int(st, 0);
		snprintf(at_[n], sizeof(at_[n]), "%s", db_col_text(st, 1));
		n++;
	}
	if (st)
		db_done(st);
	for (size_t i = 0; i < n && !d->failed; i++) {
		int64_t t;
		time_parse(at_[i], &t);
		time_pretend(t + 2);
		struct resource_ctx c = ctx_of(d, 0);
		json_t *patch = json_pack("{s:s, s:i, s:s}", "status", "sent", "attempts", 1,
					  "sent_at", at_[i]);
		int rc = patch ? mail_record_attempt(&c, ids[i], true,
						     "accepted by smtp.northwind.example "
						     "(demo data: no mail left this machine)",
						     patch)
			       : RC_ERROR;
		json_decref(patch);
		if (rc != RC_OK)
			report(d, "record a demo message as sent", rc, NULL);
	}
	/* the demo firm sends nothing for real */
	change(d, &settings_resource, 0, SETTINGS_ID, json_pack("{s:n}", "smtp_host"));
}

/*
 * The demo's clock: now, the firm's local day, and its calendars (the
 * office's hours with its holidays, and around the clock) to place every
 * moment of its past in office hours and to aim each order's SLA clocks.
 */
static int demo_clock(struct demo *d)
{
	char err[CALENDAR_ERR_LEN];
	d->now = time_now();
	if (calendar_zone_init(&d->zone, FIRM_TZ, err, sizeof(err)) < 0) {
		fprintf(stderr, "servio demo: %s\n", err);
		return -1;
	}
	minute_of(d, d->now, &d->today);
	struct calendar_hours hours[5];
	for (int i = 0; i < 5; i++)
		hours[i] = (struct calendar_hours){ .weekday = i + 1, .start = OPENS, .end = CLOSES };
	const char *holidays[2] = { date_str(d, HOLIDAY_1), date_str(d, HOLIDAY_2) };
	if (calendar_init(&d->work, FIRM_TZ, false, hours, 5, holidays, 2, err, sizeof(err)) < 0 ||
	    calendar_init(&d->open, FIRM_TZ, true, NULL, 0, NULL, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "servio demo: %s\n", err);
		calendar_release(&d->work);
		calendar_zone_release(&d->zone);
		return -1;
	}
	return 0;
}

static void demo_clock_release(struct demo *d)
{
	calendar_release(&d->work);
	calendar_release(&d->open);
	calendar_zone_release(&d->zone);
}

static bool empty(struct db *db)
{
	struct db_stmt *st;
	if (db_run(db, &st, "SELECT (SELECT COUNT(*) FROM companies) + (SELECT COUNT(*) FROM"
			    " tickets) + (SELECT COUNT(*) FROM users WHERE role <> 'admin')",
		   "") != RC_ROW)
		return false;
	bool none = db_col_int(st, 0) == 0;
	db_done(st);
	return none;
}

/*
 * Monitoring (the intake's own path, as an RMM tool would post): one alert
 * still open with its repeats, one cleared by its source before anyone
 * touched it; the open one was taken at once, so it keeps its SLA.
 */
static int64_t alert(struct demo *d, json_t *body)
{
	if (d->failed || !body) {
		json_decref(body);
		d->failed = true;
		return 0;
	}
	struct resource_ctx c = ctx_of(d, 0);
	json_t *out = NULL, *errors = NULL;
	int rc = alert_intake(&c, body, &out, &errors);
	json_decref(body);
	if (rc != RC_OK) {
		report(d, "take a monitoring alert", rc, errors);
		return 0;
	}
	return json_integer_value(json_object_get(out, "ticket_id"));
}

static void monitoring(struct demo *d, struct ids *x)
{
	/*
	 * A disk filling up at a Standard client: it fired in office hours
	 * lately, was taken at once, and fired again (higher) since.
	 */
	int64_t fired = created_for(d, false, HIGH, true, 15, 10, 45);
	if (!fired)
		fired = past(d, d->now);
	int64_t gap = clock_minutes(d, false, fired, d->now - 600) / 4;
	for (int i = 0; i < 4; i++) {
		as(d, staff[0].id);
		at_time(d, wadd(d, fired, gap * i));
		int64_t t = alert(d, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source",
					       "rmm", "key", "disk-c:server-02", "status", "firing",
					       "severity", i < 2 ? "warning" : "high", "subject",
					       "server-02: disk C: over 90 % full", "body",
					       "C: has 9 GB free of 120 GB; it grew 4 GB in the last day.",
					       "asset", "server-02", "company_id",
					       (json_int_t)x->clients[4]));
		if (i == 0 && t) {
			int64_t who = assign(d, t, wadd(d, fired, 5));
			answer(d, t, who, wadd(d, fired, 15));
		}
	}
	/* an uplink that came back by itself within minutes */
	as(d, staff[0].id);
	at_time(d, local(d, wd(d, -1), 14, 5));
	alert(d, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:I}", "source", "zabbix", "key",
			   "trigger:18234", "status", "firing", "severity", "critical", "subject",
			   "network-04: uplink down", "asset", "name", "network-04", "company_id",
			   (json_int_t)x->clients[1]));
	at_time(d, local(d, wd(d, -1), 14, 19));
	alert(d, json_pack("{s:s, s:s, s:s, s:s}", "source", "zabbix", "key", "trigger:18234",
			   "status", "resolved", "body", "Uplink up again after 14 minutes."));
}

/*
 * Two clients' office managers use the portal: the first client's as its
 * portal admin, the second's for billing; both signed up (their password
 * the staff's), so the portal can be tried at once.
 */
static const char *const portal_roles[] = { "admin", "billing" };
static char portal_emails[2][256];

static void portal(struct demo *d, struct ids *x, const char *password)
{
	for (size_t i = 0; i < 2 && !d->failed; i++) {
		change(d, &contact_resource, 0, x->contacts[i],
		       json_pack("{s:b, s:s}", "portal_access", 1, "portal_role", portal_roles[i]));
		struct resource_ctx c = ctx_of(d, 0);
		char token[AUTH_TOKEN_LEN];
		int64_t expires, login;
		const char *problem = NULL;
		int rc = auth_portal_invite(&c, x->contacts[i], token, &expires, &login, &problem);
		sodium_memzero(token, sizeof(token));
		if (rc != RC_OK ||
		    auth_user_set_password(d->db, &d->actor, login, password, 0, &problem) != 0) {
			report(d, arena_printf(&d->arena, "give contact %lld a portal login%s%s",
					       (long long)x->contacts[i], problem ? ": " : "",
					       problem ? problem : ""),
			       rc, NULL);
			d->failed = true;
			return;
		}
		char at[TIME_RFC3339_LEN];
		time_format(time_now(), at);
		json_t *patch = arena_json(&d->arena, json_pack("{s:s}", "portal_activated_at", at));
		json_t *out = NULL, *errors = NULL;
		rc = resource_update_trusted(&c, &contact_resource, x->contacts[i], patch, &out,
					     &errors);
		if (rc != RC_OK) {
			report(d, "mark a portal login activated", rc, errors);
			return;
		}
		snprintf(portal_emails[i], sizeof(portal_emails[i]), "%s",
			 json_string_value(json_object_get(out, "email")));
	}
}

/* Quality reviews: the weekly draws of the last weeks; the older ones reviewed, one skipped. */
static void quality(struct demo *d)
{
	if (d->failed)
		return;
	time_pretend(0);
	char error[256];
	int64_t drawn;
	if (qa_draw(d->db, time_now(), &drawn, error, sizeof(error)) < 0) {
		fprintf(stderr, "servio demo: cannot draw the quality reviews: %s\n", error);
		d->failed = true;
		return;
	}
	struct db_stmt *st;
	int64_t ids[200], latest = 0;
	char weeks[200][11];
	int n = 0;
	int rc = db_run(d->db, &st,
			"SELECT id, week_start FROM qa_reviews WHERE status = 'pending'"
			" ORDER BY week_start, id",
			"");
	while (rc == RC_ROW && n < 200) {
		ids[n] = db_col_int(st, 0);
		snprintf(weeks[n], sizeof(weeks[n]), "%s", db_col_text(st, 1));
		latest = date_day(weeks[n]);
		n++;
		rc = db_step(st);
	}
	if (rc == RC_ROW)
		db_done(st);
	/* the weights of the default template (the migration's) */
	static const int weights[] = { 20, 20, 15, 20, 15, 10 };
	static const char *const notes[] = {
		"Clear notes and a confirmed fix; good work.",
		"Fixed well, but the client heard nothing for a day: post public updates.",
		"Time entries lacked notes; otherwise solid.",
		"Textbook: diagnosis, updates, confirmation and a KB article.",
	};
	as(d, staff[0].id);
	for (int i = 0; i < n && !d->failed; i++) {
		int64_t week = date_day(weeks[i]);
		if (week >= latest)
			continue;	/* last week's draw waits in the queue */
		/* reviewed on the Tuesday after the week, mid-morning */
		time_pretend((week + 8) * 86400 + 16 * 3600 + i * 60);
		struct resource_ctx c = ctx_of(d, 0);
		json_t *out = NULL, *errors = NULL;
		if (i % 7 == 3) {
			json_t *body = json_pack("{s:s}", "notes",
						 "Duplicate of a ticket reviewed last week.");
			rc = resource_act(&c, &qa_review_resource, &qa_review_skip, ids[i], body,
					  RESOURCE_ANY_VERSION, &out, &errors);
			json_decref(body);
		} else {
			json_t *answers = json_array();
			for (int k = 0; k < 6; k++) {
				unsigned roll = pick(d, 5);
				int points = roll == 0 ? weights[k] / 2 : roll == 1 ? weights[k] * 3 / 4
										    : weights[k];
				json_array_append_new(answers, json_pack("{s:i, s:i}", "item", k, "points",
									 points));
			}
			json_t *body = json_pack("{s:o, s:s}", "answers", answers, "notes",
						 notes[pick(d, 4)]);
			rc = resource_act(&c, &qa_review_resource, &qa_review_complete, ids[i], body,
					  RESOURCE_ANY_VERSION, &out, &errors);
			json_decref(body);
		}
		if (rc != RC_OK)
			report(d, "review a service order", rc, errors);
	}
	time_pretend(0);
}

int cmd_demo(struct conf *c, int argc, char **argv)
{
	const char *password = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: servio demo [--password PASSWORD]\n\n"
			       "Loads a small demo firm into an empty database (after servio init):\n"
			       "settings, calendars, SLA policies, eight staff with skills and\n"
			       "certifications, a catalog, twelve clients with contacts, sites,\n"
			       "assets and contracts, four weeks of service orders (the resolved\n"
			       "ones with their clients' satisfaction surveys) and today's open\n"
			       "ones (most within their SLA, a few at risk, two breached), this\n"
			       "week's and next week's visits, a pipeline with activities and\n"
			       "quotes, the last two months invoiced, issued and mostly paid,\n"
			       "two monitoring alerts (one open with repeats, one cleared), and\n"
			       "the weekly quality draws (older weeks reviewed, last week's\n"
			       "pending). Every date follows today; the firm's work lies on\n"
			       "working days in its office hours. The staff sign in as\n"
			       "NAME@northwind.example with PASSWORD (or\n"
			       "SERVIO_DEMO_PASSWORD, or a generated one, printed).\n");
			return 0;
		}
		if (strcmp(argv[i], "--password") == 0 && i + 1 < argc) {
			password = argv[++i];
			continue;
		}
		fprintf(stderr, "servio demo: unexpected argument \"%s\"\n", argv[i]);
		return 2;
	}
	if (!password)
		password = getenv("SERVIO_DEMO_PASSWORD");
	char generated[24];
	if (!password) {
		static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
		for (int i = 0; i < 18; i++)
			generated[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
		memcpy(generated + 18, "-Demo", 6);
		password = generated;
	}
	const char *problem = auth_password_problem(password, NULL, NULL);
	if (problem) {
		fprintf(stderr, "servio demo: the password %s\n", problem);
		return 2;
	}
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	if (!empty(db)) {
		fprintf(stderr, "servio demo: the database already has data; the demo loads only"
				" into a fresh one (servio init with a new --data-dir)\n");
		db_disconnect(db);
		return 1;
	}
	struct demo d = { .db = db, .seed = 0x5e7410u, .actor = { .label = "demo" } };
	arena_init(&d.arena);
	if (demo_clock(&d) < 0) {
		arena_release(&d.arena);
		db_disconnect(db);
		return 1;
	}
	struct ids x;
	memset(&x, 0, sizeof(x));
	/* the firm was set up some eighteen weeks ago; its contracts run from the month after */
	int64_t setup = workday_back(&d, d.today - 126);
	at_time(&d, local(&d, setup, 8, 30));
	settings_and_terms(&d, &x);
	people(&d, password);
	catalog(&d, &x);
	clients(&d, &x, setup);
	at(&d, 25, 11, 0);
	portal(&d, &x, password);
	tickets(&d, &x);
	knowledge_base(&d);
	surveys(&d);
	schedule(&d, &x);
	sales(&d, &x);
	billing(&d, &x);
	monitoring(&d, &x);
	mail(&d, &x);
	quality(&d);
	time_pretend(0);
	/* the admin servio init made: its password is the demo's (make demo) or its own */
	char admin[256] = "";
	bool admin_shares = false;
	struct db_stmt *st;
	if (db_run(db, &st, "SELECT email, password_hash FROM users WHERE role = 'admin'"
		   " AND archived_at IS NULL ORDER BY id LIMIT 1", "") == RC_ROW) {
		snprintf(admin, sizeof(admin), "%s", db_col_text(st, 0));
		admin_shares = auth_password_verify(db_col_text(st, 1), password);
		db_done(st);
	}
	arena_release(&d.arena);
	demo_clock_release(&d);
	db_disconnect(db);
	if (d.failed)
		return 1;
	printf("demo firm loaded: Northwind Field Services\n");
	printf("staff sign in with password %s as:\n", password);
	if (*admin && admin_shares)
		printf("  %-36s admin\n", admin);
	for (size_t i = 0; i < NSTAFF; i++)
		printf("  %-36s %s\n", staff[i].email, role_name(staff[i].role));
	if (*admin && !admin_shares)
		printf("the admin %s signs in with the password servio init gave it\n", admin);
	printf("clients sign in to the portal (/portal) with the same password as:\n");
	for (size_t i = 0; i < 2; i++)
		printf("  %-36s portal %s\n", portal_emails[i], portal_roles[i]);
	return 0;
}
