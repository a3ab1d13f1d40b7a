"""
test_copy.py - "servio copy" moves a whole database to another backend and
proves it; "servio backup" copies a live SQLite database.

Round trip: a server's database is filled through the API (companies that
refer to each other, contacts, sites, assets, archived records, unicode,
a second user with a token and a session, an idempotency key, the audit
log), every list page and record is read, the server is stopped, and the
database is copied:

    PostgreSQL run:  PostgreSQL -> new SQLite file -> fresh PostgreSQL
    SQLite run:      SQLite -> new SQLite file

Each copy must exit 0 and print a line per table whose row count matches
the source and whose SHA-256 matches one computed here over the rows. A
server on the final copy must answer every read as the original did, keep
the credentials working, and give new records ids after the copied ones.

Also: a copy into a non-empty target fails, names the table and changes
nothing; "servio backup" of a SQLite database being written to gives a file
that is consistent and serves; it refuses an existing file; on PostgreSQL
it refuses and points to pg_dump.
"""

import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness
from harness import BACKEND, BIN, Client, Server, base_env, pg_query, unique

PG = BACKEND == "postgres"

# the schema's tables (db_table_list reads them from the database); a new table must
# show up in the copy too
TABLES = ["schema_migrations", "users", "sessions", "api_tokens", "login_failures",
          "idempotency_keys", "audit_log", "companies", "contacts", "sites", "assets", "jobs",
          "counters", "user_certifications", "calendars", "sla_policies", "contracts",
          "products", "work_types", "tickets", "ticket_events", "ticket_notes", "time_entries",
          "checklist_templates", "ticket_checklist_items", "ticket_parts", "appointments",
          "calendar_feeds", "recurring_tickets", "settings", "opportunities", "activities",
          "quotes", "events"]
KEYS = {"schema_migrations": "version", "login_failures": "scope, key", "counters": "name"}
ID_TABLES = [t for t in TABLES if t not in KEYS]
# the tables the served copy must number on after the copied rows
NEW_ROW_TABLES = ["users", "sessions", "api_tokens", "idempotency_keys", "audit_log",
                  "companies", "contacts", "sites", "assets", "jobs"]
RESOURCES = ["companies", "contacts", "sites", "assets"]
# read back too (their records, pages and ETags)
MORE_RESOURCES = ["users", "calendars", "sla-policies", "contracts", "products", "work-types",
                  "tickets", "time-entries"]
USER_EMAIL = "zoe.tech@example.com"
USER_PASSWORD = "Zoë-Passwört-1234-long"


# --- the databases, read behind the servers' backs -----------------------------------

class Db:
    """One database by its servio URL: postgres://… or sqlite:PATH."""

    def __init__(self, url):
        self.url = url
        self.pg = url.startswith(("postgres://", "postgresql://"))

    def query(self, sql):
        """(column names, rows as tuples of str or None) on either backend."""
        if self.pg:
            return pg_query(self.url, sql)
        con = sqlite3.connect(self.url[len("sqlite:"):], timeout=30, isolation_level=None)
        try:
            cur = con.execute(sql)
            cols = [d[0] for d in cur.description or ()]
            rows = [tuple(None if v is None else
                          v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else str(v)
                          for v in row) for row in cur.fetchall()]
        finally:
            con.close()
        return cols, rows

    def rows(self, sql):
        return self.query(sql)[1]

    def execute(self, sql):
        self.query(sql)

    def count(self, table):
        return int(self.rows("SELECT COUNT(*) FROM " + table)[0][0])

    def max_id(self, table):
        v = self.rows("SELECT MAX(id) FROM " + table)[0][0]
        return int(v) if v is not None else 0

    def checksum(self, table):
        """What db_table_checksum computes: SHA-256 over the rows in key order."""
        order = KEYS.get(table, "id")
        cols, _ = self.query("SELECT * FROM %s WHERE 1 = 0" % table)
        cols = [c for c in cols if c != "search_vector"]
        _, rows = self.query("SELECT %s FROM %s ORDER BY %s" % (", ".join(cols), table, order))
        h = hashlib.sha256()
        for row in rows:
            for v in row:
                if v is None:
                    h.update(b"n")
                else:
                    h.update(b"v" + v.encode("utf-8", "surrogateescape") + b"\0")
        return len(rows), h.hexdigest()

    def dump(self, tables):
        """Every row of the tables, to show that nothing changed."""
        out = {}
        for t in tables:
            cols, _ = self.query("SELECT * FROM %s WHERE 1 = 0" % t)
            cols = [c for c in cols if c != "search_vector"]
            out[t] = self.rows("SELECT %s FROM %s ORDER BY %s" %
                               (", ".join(cols), t, ", ".join(cols)))
        return out


def fresh_pg():
    """A new empty PostgreSQL database: (url, admin url, name)."""
    return harness._pg_fresh_database()


def drop_pg(admin_url, name):
    try:
        harness._pg_simple_query(admin_url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    except Exception:
        pass


def servio(*args, data_dir, database_url=None, timeout=120):
    """Runs the servio command line on the given data directory and database."""
    cmd = [BIN] + list(args) + ["--data-dir", data_dir]
    if database_url:
        cmd += ["--database-url", database_url]
    return subprocess.run(cmd, capture_output=True, text=True, env=base_env(),
                          stdin=subprocess.DEVNULL, timeout=timeout)


def url_of(server):
    return server.database_url or "sqlite:" + os.path.join(server.dir, "servio.db")


# --- servers that outlive their process or serve a given database --------------------

class KeptServer(Server):
    """A server whose process can stop while its data stays for the copy."""

    def halt(self):
        """SIGTERM (as harness.Server.stop) and the same checks, but keep the data."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(harness.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("servio serve did not stop on SIGTERM:\n" + self.log_text())
        self._drain.join(10)
        rc = self.proc.returncode
        if rc != 0 or any("Sanitizer" in l or "runtime error:" in l for l in self.log):
            raise AssertionError("servio serve exited with status %d:\n%s" %
                                 (rc, self.log_text(400)))


class AttachedServer(Server):
    """A server on an existing database (a copy or a backup) with a data dir of its own."""

    def __init__(self, database_url):
        super().__init__(init=False)
        self.dir = tempfile.mkdtemp(prefix="servio-copytest-")
        self.web_root = os.path.join(self.dir, "web")
        os.makedirs(self.web_root)
        with open(os.path.join(self.web_root, "index.html"), "w") as f:
            f.write(harness.INDEX_HTML)
        self.database_url = database_url


# --- reading everything a client can read --------------------------------------------

def read_all(client, extra_paths=()):
    """
    Every list page (all records, the archived ones, default order and
    another sort, small pages so the cursors are used), every record with
    its ETag, and the audit log. Returns [(path, status, etag, body)].
    """
    out = []

    def pages(path):
        sep = "&" if "?" in path else "?"
        cursor, n = None, 0
        while True:
            p = path + (sep + "cursor=" + urllib.parse.quote(cursor) if cursor else "")
            status, headers, body = client.get(p)
            out.append((p, status, headers.get("etag"), body))
            n += 1
            if status != 200 or not body.get("next_cursor") or n > 200:
                return body

    for res in RESOURCES + MORE_RESOURCES:
        pages("/api/v1/%s?limit=3&archived=all" % res)
        pages("/api/v1/%s?limit=4" % res)
        pages("/api/v1/%s?limit=2&archived=true" % res)
        pages("/api/v1/%s?limit=5&sort=-created_at" % res)
        body = pages("/api/v1/%s?limit=200&archived=all&sort=id" % res)
        for rec in body["data"]:
            p = "/api/v1/%s/%d" % (res, rec["id"])
            status, headers, rbody = client.get(p)
            out.append((p, status, headers.get("etag"), rbody))
    pages("/api/v1/audit?limit=7")
    pages("/api/v1/audit?limit=50&resource=companies")
    for p in extra_paths:
        status, headers, body = client.get(p)
        out.append((p, status, headers.get("etag"), body))
    return out


def ids_of(snapshot, res):
    ids = set()
    for path, status, _, body in snapshot:
        if path.startswith("/api/v1/%s?" % res) and status == 200:
            ids |= {r["id"] for r in body["data"]}
    return ids


COPY_LINE = re.compile(r"^(\w+)\s+(\d+) rows\s+sha256 ([0-9a-f]{64})$")


class CopyRoundTripTest(unittest.TestCase):
    """One source server, filled, read, stopped; then copied."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cleanup = []
        cls.src = KeptServer()
        try:
            cls.src.start()
            cls.fill()
            cls.src.halt()
        except BaseException:
            cls.src.stop(check=False)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for fn in reversed(cls.cleanup):
                fn()
            cls.src.stop(check=False)  # only removes the data: the process is gone
        finally:
            super().tearDownClass()

    @classmethod
    def fill(cls):
        src = cls.src
        admin = src.admin()
        cls.admin_token = admin.token

        def made(resp, what):
            status, headers, body = resp
            if status not in (200, 201):
                raise AssertionError("%s: %s %r\n%s" % (what, status, body, src.log_text(20)))
            return body

        def create(res, body, **kw):
            return made(admin.post("/api/v1/" + res, body, **kw), "create " + res)

        def archive(res, rec):
            path = "/api/v1/%s/%d" % (res, rec["id"])
            _, headers, _ = admin.get(path)
            return made(admin.delete(path, headers={"If-Match": headers["etag"]}), "archive")

        partner = create("companies", {
            "name": "Partner Ünïcode GmbH — 東京 🛰", "kind": "partner",
            "email": "info@partner.example", "website": "https://partner.example/ü",
            "phone": "+49 30 1234567", "lead_source": "conférence",
            "notes": "line one\nline two\ttabbed \"quoted\" back\\slash ' apostrophe\n"})
        client = create("companies", {"name": "Client référé Ltd", "kind": "client",
                                      "referred_by_id": partner["id"]})
        create("companies", {"name": "Prospect via client", "kind": "prospect",
                             "referred_by_id": client["id"], "lead_source": "referral"})
        create("companies", {"name": "O'Reilly \"Quotes\" & <Tags>; DROP TABLE companies;--",
                             "kind": "vendor", "email": "sales@vendor.example"})
        gone = create("companies", {"name": "Archived Åb ✝", "kind": "client"})
        create("companies", {"name": "Referred by the archived one", "kind": "prospect",
                             "referred_by_id": gone["id"]})
        for i in range(7):
            create("companies", {"name": "Filler %02d Ωmega" % i, "kind": "client"})
        # an update (version 2, an audit entry with before/after), a field cleared
        path = "/api/v1/companies/%d" % client["id"]
        _, headers, _ = admin.get(path)
        made(admin.patch(path, {"phone": "+33 1 23 45 67 89", "notes": "ça va"},
                         headers={"If-Match": headers["etag"]}), "patch")
        _, headers, _ = admin.get(path)
        made(admin.patch(path, {"notes": None}, headers={"If-Match": headers["etag"]}), "patch")
        archive("companies", gone)

        people = [("Zoë", "Åström", partner), ("李", "小龍", partner), ("Nguyễn", "Văn An", client),
                  ("Renée", "O'Connor", client), ("Ελένη", "Παπαδοπούλου", partner)]
        contacts = [create("contacts", {"company_id": c["id"], "first_name": f, "last_name": l,
                                        "email": "%d@people.example" % i, "title": "Tëster",
                                        "portal_access": i % 2 == 0})
                    for i, (f, l, c) in enumerate(people)]
        archive("contacts", contacts[3])

        berlin = create("sites", {"company_id": partner["id"], "name": "Zentrale München",
                                  "address_line1": "Straße 1", "city": "München",
                                  "postal_code": "80331", "country": "DE",
                                  "timezone": "Europe/Berlin"})
        tokyo = create("sites", {"company_id": partner["id"], "name": "東京オフィス",
                                 "city": "Tokyo", "country": "JP", "timezone": "Asia/Tokyo"})
        side = create("sites", {"company_id": client["id"], "name": "Side office"})
        archive("sites", side)
        create("assets", {"company_id": partner["id"], "site_id": berlin["id"],
                          "name": "Drucker Süd", "kind": "printer", "manufacturer": "Kyocera",
                          "model": "ECOSYS M5526", "serial_number": "SN-ÄÖÜ-1",
                          "warranty_expires_on": "2027-02-28"})
        create("assets", {"company_id": partner["id"], "site_id": tokyo["id"],
                          "name": "サーバー", "kind": "server"})
        old = create("assets", {"company_id": client["id"], "name": "Old switch",
                                "kind": "network", "warranty_expires_on": "2020-01-01"})
        archive("assets", old)

        # an idempotent create (its key is kept and must replay on the copy)
        cls.idem_body = {"name": "Idempotent Ümlaut", "kind": "client"}
        cls.idem_key = unique("copy-key-")
        cls.idem_company = create("companies", cls.idem_body,
                                  headers={"Idempotency-Key": cls.idem_key})

        # a second user with a token and a session; a failed login for the counters
        src.add_user(USER_EMAIL, "technician", USER_PASSWORD, name="Zoë Tëchnician")
        cls.user_token = src.token_for(USER_EMAIL, name="copy-test ü")
        cls.user_session = Client(src.port)
        cls.user_session.login(USER_EMAIL, USER_PASSWORD)
        Client(src.port).login("nobody@example.com", "wrong-password", expect=401)

        # the service desk: terms, a ticket with its history, a note and time
        cal = create("calendars", {"name": "Bürozeiten", "timezone": "Europe/Berlin",
                                   "hours": [{"weekday": 1, "start": "08:00", "end": "17:00"}],
                                   "holidays": ["2026-12-25"]})
        policy = create("sla-policies", {"name": "Standard", "calendar_id": cal["id"],
                                         "is_default": True,
                                         "targets": [{"priority": "high", "response_minutes": 60,
                                                      "resolution_minutes": 480}]})
        contract = create("contracts", {"company_id": client["id"], "name": "Wartung",
                                        "kind": "managed", "starts_on": "2026-01-01",
                                        "monthly_fee": 99000, "sla_policy_id": policy["id"]})
        work = create("work-types", {"name": "Vor Ort", "hourly_rate": 11000})
        create("products", {"sku": "TON-1", "name": "Toner", "kind": "equipment",
                            "unit_price": 4500, "unit_cost": 3000})
        ticket = create("tickets", {"subject": "Drucker druckt nicht", "company_id": client["id"],
                                    "contract_id": contract["id"], "priority": "high"})
        create("tickets/%d/notes" % ticket["id"], {"body": "Wir kümmern uns", "visibility": "public"})
        create("time-entries", {"ticket_id": ticket["id"], "work_type_id": work["id"],
                                "minutes": 30})
        # an accepted quote and the contract it made refer to each other
        quote = create("quotes", {"company_id": client["id"], "title": "Neues Netz",
                                  "lines": [{"kind": "labor", "work_type_id": work["id"],
                                             "quantity": 2}]})
        _, headers, _ = admin.get("/api/v1/quotes/%d" % quote["id"])
        made(admin.post("/api/v1/quotes/%d/send" % quote["id"],
                        headers={"If-Match": headers["etag"]}), "send a quote")
        made(admin.post("/api/v1/quotes/%d/accept" % quote["id"], {"name": "Kunde"}),
             "accept a quote")
        me = admin.get("/api/v1/me")[2]["user"]
        create("users/%d/certifications" % me["id"], {"name": "Elektrofachkraft",
                                                      "expires_on": "2028-01-31"})
        cls.extra = ["/api/v1/tickets/%d/notes" % ticket["id"],
                     "/api/v1/users/%d/certifications" % me["id"], "/api/v1/tickets?q=drucker"]
        cls.extra += ["/api/v1/me", "/api/v1/companies?q=muenchen", "/api/v1/sites?q=munchen",
                     "/api/v1/companies?q=partner", "/api/v1/contacts?q=zoe",
                     "/api/v1/assets?q=drucker", "/api/v1/companies?referred_by_id=%d" %
                     partner["id"], "/api/v1/companies?kind=prospect,vendor&limit=1"]
        # the job worker has queued (and probably run) this hour's housekeeping
        deadline = time.monotonic() + 10
        while Db(url_of(src)).count("jobs") == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        cls.snapshot = read_all(admin, cls.extra)
        cls.user_me = Client(src.port, token=cls.user_token).get("/api/v1/me")
        cls.session_me = cls.user_session.get("/api/v1/me")
        for status_path in cls.snapshot:
            if status_path[1] != 200:
                raise AssertionError("reading the source: %r" % (status_path[:2],))

    # helpers

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="servio-copytest-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def fresh_pg(self):
        url, admin_url, name = fresh_pg()
        self.addCleanup(drop_pg, admin_url, name)
        return url

    def copy(self, from_url, to_url, expect=0):
        r = servio("copy", "--to", to_url, data_dir=self.tmpdir(), database_url=from_url)
        if expect is not None and r.returncode != expect:
            self.fail("servio copy %s -> %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s" %
                      (from_url, to_url, r.returncode, expect, r.stdout, r.stderr))
        return r

    def check_copy_output(self, r, source, target):
        """A line per table: rows as in the source, SHA-256 as computed here on both sides."""
        lines = {}
        for line in r.stdout.splitlines():
            m = COPY_LINE.match(line.strip())
            if m:
                self.assertNotIn(m.group(1), lines, "table printed twice")
                lines[m.group(1)] = (int(m.group(2)), m.group(3))
        self.assertEqual(sorted(set(TABLES) - set(lines)), [],
                         "tables without a line:\n" + r.stdout)
        self.assertIn("verified", r.stdout)
        for table, (rows, sha) in lines.items():
            self.assertEqual(source.checksum(table), (rows, sha),
                             "%s: the line does not match the source" % table)
            self.assertEqual(target.checksum(table), (rows, sha),
                             "%s: the line does not match the target" % table)
        for t in ("companies", "contacts", "sites", "assets", "users", "api_tokens", "sessions",
                  "audit_log", "idempotency_keys", "login_failures", "jobs"):
            self.assertGreater(lines[t][0], 0, "the test meant %s to have rows" % t)
        return lines

    # the round trip

    def test_round_trip_through_the_other_backend(self):
        source = Db(url_of(self.src))
        if PG:
            middle = Db("sqlite:" + os.path.join(self.tmpdir(), "middle.db"))
            r1 = self.copy(source.url, middle.url)
            first = self.check_copy_output(r1, source, middle)
            final = Db(self.fresh_pg())
            r2 = self.copy(middle.url, final.url)
            second = self.check_copy_output(r2, middle, final)
            self.assertEqual(first, second, "the two hops saw different data")
            # the tables with rows are analyzed, the empty ones not: analyzed, an
            # empty table is planned as empty by the session that fills it
            _, rows = final.query("SELECT relname, reltuples >= 0 FROM pg_class"
                                  " WHERE relname IN ('companies', 'credit_notes')")
            self.assertEqual(sorted((r[0], r[1]) for r in rows),
                             [("companies", "t"), ("credit_notes", "f")])
        else:
            final = Db("sqlite:" + os.path.join(self.tmpdir(), "copy.db"))
            self.check_copy_output(self.copy(source.url, final.url), source, final)
        old_max = {t: source.max_id(t) for t in ID_TABLES}

        srv = AttachedServer(final.url)
        srv.start()
        self.addCleanup(srv.stop, False)
        self.check_served_copy(srv, final, old_max)
        srv.stop(check=True)

    def check_served_copy(self, srv, db, old_max):
        admin = Client(srv.port, token=self.admin_token)
        # every read as before: list pages (cursors too), records, ETags, audit, search
        again = read_all(admin, self.extra)
        self.assertEqual(len(again), len(self.snapshot))
        for before, after in zip(self.snapshot, again):
            self.assertEqual(before, after, "%s differs on the copy" % before[0])
        # the credentials moved with the data
        self.assertEqual(Client(srv.port, token=self.user_token).get("/api/v1/me")[::2],
                         self.user_me[::2])
        session = Client(srv.port)
        session.session, session.csrf = self.user_session.session, self.user_session.csrf
        self.assertEqual(session.get("/api/v1/me")[::2], self.session_me[::2])
        relogin = Client(srv.port)
        relogin.login(USER_EMAIL, USER_PASSWORD)
        # the stored idempotent response replays
        st, hd, body = admin.post("/api/v1/companies", self.idem_body,
                                  headers={"Idempotency-Key": self.idem_key})
        self.assertEqual((st, hd.get("idempotent-replayed")), (201, "true"), body)
        self.assertEqual(body, self.idem_company)

        # new rows get ids after the copied ones, in every table
        old_ids = {res: ids_of(self.snapshot, res) for res in RESOURCES}
        company = self.created(admin, "companies", {
            "name": "Nach der Kopie", "referred_by_id": min(old_ids["companies"])},
            headers={"Idempotency-Key": unique("after-copy-")})
        contact = self.created(admin, "contacts", {"company_id": company["id"],
                                                   "first_name": "Neu", "last_name": "Kontakt"})
        site = self.created(admin, "sites", {"company_id": company["id"], "name": "Neu"})
        asset = self.created(admin, "assets", {"company_id": company["id"], "site_id": site["id"],
                                               "name": "Neu", "kind": "other"})
        for res, rec in (("companies", company), ("contacts", contact), ("sites", site),
                         ("assets", asset)):
            self.assertGreater(rec["id"], max(old_ids[res]), "%s id reused" % res)
            self.assertGreater(rec["id"], old_max[res])
        # ticket numbers go on after the copied ones (a counter row or a sequence)
        copied = [t["number"] for path, st, _, body in self.snapshot
                  if path.startswith("/api/v1/tickets?") and st == 200 for t in body["data"]]
        self.assertTrue(copied)
        ticket = self.created(admin, "tickets", {"subject": "Nach der Kopie",
                                                 "company_id": company["id"]})
        self.assertGreater(int(ticket["number"][2:]), max(int(n[2:]) for n in copied))
        audit = admin.get("/api/v1/audit?limit=1")[2]["data"][0]
        self.assertGreater(audit["id"], old_max["audit_log"])
        r = srv.run_cli("user", "add", "--email", "after.copy@example.com", "--name", "After",
                        "--role", "sales", "--password", "Kopie-lantern-orchid-7")
        self.assertEqual(r.returncode, 0, "user add on the copy:\n%s%s" % (r.stdout, r.stderr))
        srv.token_for("after.copy@example.com")
        db.execute("INSERT INTO jobs (kind, payload, run_at, max_attempts, created_at) VALUES"
                   " ('housekeeping', '{}', '9999-01-01T00:00:00Z', 1, '2026-01-01T00:00:00Z')")
        for table in NEW_ROW_TABLES:
            self.assertGreater(db.max_id(table), old_max[table],
                               "%s: no new row after the copied ones" % table)
            new = db.rows("SELECT COUNT(*) FROM %s WHERE id > %d" % (table, old_max[table]))
            self.assertGreater(int(new[0][0]), 0, table)

    def created(self, client, res, body, headers=None):
        st, _, rec = client.post("/api/v1/" + res, body, headers=headers)
        self.assertEqual(st, 201, "create %s on the copy: %r" % (res, rec))
        return rec

    def test_copy_of_companies_referring_to_later_ones(self):
        # referred_by_id set by a PATCH may point to a newer company (a higher id), and two
        # companies may refer to each other: copying in id order must still work
        src = KeptServer()
        self.addCleanup(src.stop, False)
        src.start()
        admin = src.admin()
        older = admin.post("/api/v1/companies", {"name": "Older, referred later"})[2]
        newer = admin.post("/api/v1/companies", {"name": "Newer referrer"})[2]
        for rec, ref in ((older, newer), (newer, older)):
            path = "/api/v1/companies/%d" % rec["id"]
            etag = admin.get(path)[1]["etag"]
            st, _, body = admin.patch(path, {"referred_by_id": ref["id"]},
                                      headers={"If-Match": etag})
            self.assertEqual(st, 200, body)
        before = read_all(admin)
        src.halt()
        source = Db(url_of(src))
        target = Db("sqlite:" + os.path.join(self.tmpdir(), "refs.db"))
        r = self.copy(source.url, target.url, expect=None)
        self.assertEqual(r.returncode, 0,
                         "servio copy fails on a company whose referred_by_id is a higher id:"
                         "\n%s%s" % (r.stdout, r.stderr))
        self.assertEqual(target.checksum("companies"), source.checksum("companies"))
        srv = AttachedServer(target.url)
        srv.start()
        self.addCleanup(srv.stop, False)
        self.assertEqual(read_all(Client(srv.port, token=admin.token)), before)
        srv.stop(check=True)

    # refusals

    def check_refused(self, r, table, target, before, tables):
        self.assertEqual(r.returncode, 1, "copy into a non-empty target:\n%s%s" %
                         (r.stdout, r.stderr))
        self.assertIn(table, r.stderr, "the message names the table")
        self.assertIn("not empty", r.stderr)
        self.assertNotIn("verified", r.stdout)
        self.assertEqual(target.dump(tables), before, "the target changed")

    def test_copy_into_a_database_with_users_is_refused(self):
        # a target that "servio init" made: its admin is a row in users
        d = self.tmpdir()
        r = subprocess.run([BIN, "init", "--data-dir", d], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL,
                           env=base_env({"SERVIO_ADMIN_EMAIL": "other@example.com",
                                         "SERVIO_ADMIN_PASSWORD": "Distant-orchid-lamp-123456"}))
        self.assertEqual(r.returncode, 0, r.stderr)
        target = Db("sqlite:" + os.path.join(d, "servio.db"))
        before = target.dump(TABLES)
        r = self.copy(url_of(self.src), target.url, expect=None)
        self.check_refused(r, "users", target, before, TABLES)

    def test_copy_into_a_database_with_only_a_job_is_refused(self):
        targets = []
        path = os.path.join(self.tmpdir(), "jobs-only.db")
        sqlite3.connect(path).close()
        targets.append(Db("sqlite:" + path))
        if PG:
            targets.append(Db(self.fresh_pg()))
        for target in targets:
            r = servio("migrate", data_dir=self.tmpdir(), database_url=target.url)
            self.assertEqual(r.returncode, 0, r.stderr)
            target.execute("INSERT INTO jobs (kind, payload, run_at, max_attempts, created_at)"
                           " VALUES ('housekeeping', '{}', '2030-01-01T00:00:00Z', 1,"
                           " '2026-01-01T00:00:00Z')")
            before = target.dump(TABLES)
            r = self.copy(url_of(self.src), target.url, expect=None)
            self.check_refused(r, "jobs", target, before, TABLES)

    def test_copy_onto_itself_is_refused(self):
        url = url_of(self.src)
        before = Db(url).dump(TABLES)
        r = self.copy(url, url, expect=None)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("source", r.stderr)
        self.assertEqual(Db(url).dump(TABLES), before)


# --- backup --------------------------------------------------------------------------

@unittest.skipIf(PG, "servio backup is for SQLite")
class BackupTest(harness.ServerTestCase):

    def test_backup_while_writing_is_consistent_and_serves(self):
        stop, created, errors = threading.Event(), [], []
        existing = set()
        cursor = None
        while True:  # what other tests of the class made
            body = self.admin.get("/api/v1/companies?limit=200&archived=all" + (
                "&cursor=" + urllib.parse.quote(cursor) if cursor else ""))[2]
            existing |= {r["id"] for r in body["data"]}
            cursor = body["next_cursor"]
            if not cursor:
                break

        def writer():
            i = 0
            while not stop.is_set():
                st, _, body = self.admin.post("/api/v1/companies",
                                              {"name": "Backup writer %04d ü" % i})
                if st == 201:
                    created.append(body["id"])
                else:
                    errors.append((st, body))
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            deadline = time.monotonic() + 10
            while len(created) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            n_before = len(created)
            d = tempfile.mkdtemp(prefix="servio-backuptest-")
            self.addCleanup(shutil.rmtree, d, True)
            path = os.path.join(d, "backup.db")
            r = self.server.run_cli("backup", "--to", path, timeout=120)
            time.sleep(0.3)  # and the writer goes on afterwards
        finally:
            stop.set()
            t.join(60)
        self.assertEqual(r.returncode, 0, "servio backup:\n%s%s" % (r.stdout, r.stderr))
        self.assertEqual(errors, [], "the writer failed during the backup")
        self.assertGreater(len(created), n_before, "the writer stopped during the backup")

        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            self.assertEqual(con.execute("PRAGMA foreign_key_check").fetchall(), [])
            try:
                con.execute("INSERT INTO companies_fts(companies_fts) VALUES('integrity-check')")
            except sqlite3.OperationalError as e:
                if "readonly" not in str(e) and "read-only" not in str(e):
                    raise
            ids = [r[0] for r in con.execute("SELECT id FROM companies ORDER BY id")]
            audited = {r[0] for r in con.execute(
                "SELECT record_id FROM audit_log WHERE resource = 'companies' AND"
                " action = 'create'")}
        finally:
            con.close()
        self.assertFalse(os.path.exists(path + "-wal") and os.path.getsize(path + "-wal"),
                         "the backup needs its WAL file")
        # a snapshot: what was created before it began, and a prefix of the writer's ids
        self.assertTrue(existing <= set(ids), "older records are missing")
        new = [i for i in ids if i not in existing]
        self.assertGreaterEqual(len(new), n_before)
        self.assertLessEqual(len(new), len(created))
        self.assertEqual(new, sorted(created)[:len(new)], "the backup is not one moment")
        self.assertEqual(audited, set(ids), "records and their audit entries disagree")
        print("\n    backup holds %d of the writer's %d records" % (len(new), len(created)),
              end=" ")

        srv = AttachedServer("sqlite:" + path)
        srv.start()
        self.addCleanup(srv.stop, False)
        client = Client(srv.port, token=self.admin.token)
        listed, cursor = [], None
        while True:
            p = "/api/v1/companies?limit=200&sort=id" + (
                "&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            st, _, body = client.get(p)
            self.assertEqual(st, 200, body)
            listed += [r["id"] for r in body["data"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        self.assertEqual(listed, ids)
        for rid in ids[::7] + ids[-1:]:
            live = self.admin.get("/api/v1/companies/%d" % rid)
            served = client.get("/api/v1/companies/%d" % rid)
            self.assertEqual((served[0], served[1].get("etag"), served[2]),
                             (live[0], live[1].get("etag"), live[2]))
        st, _, body = client.post("/api/v1/companies", {"name": "After restore"})
        self.assertEqual(st, 201, body)
        self.assertGreater(body["id"], ids[-1])
        srv.stop(check=True)

    def test_backup_refuses_an_existing_file(self):
        d = tempfile.mkdtemp(prefix="servio-backuptest-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "exists.db")
        r = self.server.run_cli("backup", "--to", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path, "rb") as f:
            first = f.read()
        self.admin.post("/api/v1/companies", {"name": "changes the database"})
        r = self.server.run_cli("backup", "--to", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("exists", r.stderr)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), first, "the existing file was changed")
        # also a file that is not a database at all
        other = os.path.join(d, "notes.txt")
        with open(other, "w") as f:
            f.write("keep me\n")
        r = self.server.run_cli("backup", "--to", other)
        self.assertEqual(r.returncode, 1)
        with open(other) as f:
            self.assertEqual(f.read(), "keep me\n")


@unittest.skipIf(PG, "servio backup is for SQLite")
class BackupUnderLoadTest(unittest.TestCase):
    """A database of some size and a server that keeps writing: backup must still end."""

    BACKUP_TIMEOUT = 20  # an idle backup of this database takes well under a second

    def test_backup_of_a_40mb_database_finishes_while_the_server_writes(self):
        srv = Server()
        srv.setup_data()
        self.addCleanup(srv.stop, False)
        srv.init()
        con = sqlite3.connect(os.path.join(srv.dir, "servio.db"))
        t = "2026-01-01T00:00:00Z"
        con.executemany("INSERT INTO companies (created_at, updated_at, name, kind, notes)"
                        " VALUES (?, ?, ?, 'client', ?)",
                        [(t, t, "Bulk %05d" % i, "n" * 2000) for i in range(10000)])
        con.commit()
        con.close()
        srv.start()
        admin = srv.admin()

        idle = os.path.join(srv.dir, "idle.db")
        t0 = time.monotonic()
        r = srv.run_cli("backup", "--to", idle, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        idle_seconds = time.monotonic() - t0

        stop, writes = threading.Event(), [0]

        def writer():  # a few dozen writes a second: a busy office, not a benchmark
            while not stop.is_set():
                admin.post("/api/v1/companies", {"name": "Steady %d" % writes[0]})
                writes[0] += 1
                time.sleep(0.01)

        th = threading.Thread(target=writer)
        th.start()
        path = os.path.join(srv.dir, "busy.db")
        t0 = time.monotonic()
        try:
            time.sleep(0.3)
            r = srv.run_cli("backup", "--to", path, timeout=self.BACKUP_TIMEOUT)
        except subprocess.TimeoutExpired:
            r = None
        finally:
            busy_seconds = time.monotonic() - t0
            stop.set()
            th.join(60)
        self.assertIsNotNone(r, "servio backup did not finish within %d s while the server made"
                                " %d writes (idle it took %.2f s): each write by another"
                                " connection restarts SQLite's backup, which copies 256 pages"
                                " a step" % (self.BACKUP_TIMEOUT, writes[0], idle_seconds))
        self.assertEqual(r.returncode, 0, r.stderr)
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            self.assertGreaterEqual(con.execute("SELECT COUNT(*) FROM companies").fetchone()[0],
                                    10000)
        finally:
            con.close()
        print("\n    backup took %.2f s idle, %.2f s under %d writes" %
              (idle_seconds, busy_seconds, writes[0]), end=" ")


@unittest.skipUnless(PG, "the PostgreSQL refusal")
class BackupOnPostgresTest(unittest.TestCase):

    def test_backup_refuses_and_points_to_pg_dump(self):
        srv = Server()
        srv.setup_data()
        try:
            srv.init()
            path = os.path.join(srv.dir, "backup.db")
            r = srv.run_cli("backup", "--to", path)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("pg_dump", r.stderr)
            self.assertFalse(os.path.exists(path), "a file was left behind")
        finally:
            srv.stop(check=False)


if __name__ == "__main__":
    unittest.main()
