"""
test_allocfail.py - the allocation-failure sweep: representative API
requests replayed with the Nth allocation failing, for every N along the
request's path (sampled when a path has many), against a live server.

How. A test build honours "X-Servio-Fail-Alloc: N" (src/api/testing.c):
from the first pipeline hook the request reaches (authenticate, else
before) to the release of its arena, its thread's allocations through
core/alloc's wrappers are counted and the Nth fails, with every later one
("N", sticky) or alone ("N once"). GET /api/v1/test/alloc then says how
many allocations the request asked for and how many were refused. A run
with N = 0 counts the request's allocations, K (the second such run: the
first also fills caches); the sweep then runs N = 1 .. K in both modes
(sampled above MAX_RUNS, see allocfail.sample()).

What each run must show:
- an answer: the request's own success (the failure was absorbed, or came
  after the reply was built) or a clean 500/503 with a problem+json body
  (the static one when even the problem could not be built); never a 4xx
  (an allocation failure must not look like the client's fault), never a
  closed connection, never another success status;
- for a write, no partial write: the audit rows the request wrote (they
  carry its X-Request-Id) and the rows it changed agree: nothing at all, or
  the whole record with its audit row (read back and checked); a success
  always has its audit row;
- the server still answers, and at the end it stops cleanly with no
  sanitizer report and no leak (LeakSanitizer runs at exit; harness.stop
  fails on any report).

What it does not cover: allocations that do not go through our wrappers
(SQLite's, libpq's, libmicrohttpd's own, libsodium's), and the HTTP layer
before the first hook (URI, route match, query, body parse), whose failures
tests/unit/test_http.c injects.

SERVIO_ALLOCFAIL_MAX_RUNS (default 60) bounds the runs per request and mode.
"""

import os
import re
import socket
import sqlite3
import struct
import unittest
import urllib.parse

from allocfail import HEADER, Conn, sample
from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, BACKEND, TEST_BUILD, ServerTestCase,
                     unique)


MAX_RUNS = int(os.environ.get("SERVIO_ALLOCFAIL_MAX_RUNS", "60"))


class PgReader:
    """One PostgreSQL connection (trust authentication, simple queries) that reads a value."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 5432),
                                             timeout=60)
        user = urllib.parse.unquote(u.username or "postgres")
        dbname = urllib.parse.unquote(u.path.lstrip("/"))
        params = b"user\0" + user.encode() + b"\0database\0" + dbname.encode() + b"\0\0"
        self.sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        self.until_ready()

    def read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("PostgreSQL closed the connection")
            data += chunk
        return data

    def until_ready(self):
        first, error = None, None
        while True:
            kind = self.read(1)
            (length,) = struct.unpack("!i", self.read(4))
            payload = self.read(length - 4)
            if kind == b"E":
                error = payload.replace(b"\0", b" ").decode(errors="replace")
            elif kind == b"D" and first is None:
                (vlen,) = struct.unpack("!i", payload[2:6])
                first = None if vlen < 0 else payload[6:6 + vlen].decode()
            elif kind == b"Z":
                if error:
                    raise RuntimeError("PostgreSQL: " + error)
                return first

    def value(self, sql):
        q = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", 4 + len(q)) + q)
        return self.until_ready()

    def close(self):
        self.sock.sendall(b"X" + struct.pack("!i", 4))
        self.sock.close()


@unittest.skipUnless(TEST_BUILD, "needs a test build (SERVIO_TEST_HOOKS) for X-Servio-Fail-Alloc")
class AllocFailSweep(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conn = Conn(cls.server.port)
        cls.auth = {"Authorization": "Bearer " + cls.admin.token}
        cls.figures = []
        cls.pg = None

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        if cls.pg:
            cls.pg.close()
        for name, k, runs, absorbed, failed in cls.figures:
            print("allocfail %-24s %5d allocations, %4d runs: %4d answered 5xx, %4d absorbed"
                  % (name, k, runs, failed, absorbed))
        super().tearDownClass()

    # the database, read directly (the API could itself be what is broken)

    def sql(self, query, *args):
        """The first column of the first row of query on the server's database."""
        if BACKEND == "postgres":
            text = query
            for a in args:
                text = text.replace("?", "'%s'" % str(a).replace("'", "''"), 1)
            if self.pg is None:
                type(self).pg = PgReader(self.server.database_url)
            return int(self.pg.value(text))
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.server.dir, "servio.db"),
                              uri=True, timeout=30)
        try:
            return con.execute(query, args).fetchone()[0]
        finally:
            con.close()

    # set-up through the API, with no injection

    def create(self, path, body):
        status, _, reply = self.admin.post("/api/v1/" + path, body)
        self.assertEqual(status, 201, "create %s: %r" % (path, reply))
        return reply

    def company(self):
        return self.create("companies", {"name": unique("Allocfail Ltd "), "kind": "client"})

    def ticket(self, company):
        return self.create("tickets", {"subject": unique("Printer jams "),
                                       "company_id": company["id"], "priority": "high"})

    # one run

    def stats(self):
        status, _, body = self.conn.request("GET", "/api/v1/test/alloc", headers=self.auth)
        self.assertEqual(status, 200, body)
        return body

    def run_once(self, spec, nth, mode):
        """Sends the request with the nth allocation failing; returns (status, reply, stats, rid)."""
        method, path, body, headers = spec["make"]()
        rid = unique("allocfail-")
        hdrs = dict(spec.get("auth", self.auth))
        hdrs.update(headers or {})
        hdrs["X-Request-Id"] = rid
        hdrs[HEADER] = str(nth) + (" once" if mode == "once" else "")
        before = self.stats()["seq"]
        watch = spec.get("watch")
        state = watch() if watch else None
        status, rhdrs, reply = self.conn.request(method, path, body, hdrs)
        after = self.stats()
        what = "%s with allocation %d failing (%s)" % (spec["name"], nth, mode)
        self.assertIsNotNone(status, "%s: the server closed the connection\n%s"
                             % (what, self.server.log_text(30)))
        self.assertEqual(after["seq"], before + 1,
                         "%s: the request was not armed (%s %r)" % (what, status, reply))
        self.assertEqual(after["nth"], nth, what)
        if status >= 500:
            self.assertIn(status, (500, 503), "%s: %s %r" % (what, status, reply))
            self.assertTrue(rhdrs.get("content-type", "").startswith("application/problem+json"),
                            "%s: %s with %r" % (what, status, rhdrs.get("content-type")))
            self.assertIsInstance(reply, dict, what)
            self.assertEqual(reply.get("status"), status, what)
        else:
            self.assertEqual(status, spec["status"],
                             "%s: %s %r (refused %d)\n%s" % (what, status, reply,
                                                             after["refused"],
                                                             self.server.log_text(30)))
        if watch:
            self.check_write(spec, what, rid, status, reply, state, watch())
        if "after" in spec:
            spec["after"](status)
        return status, after

    def check_write(self, spec, what, rid, status, reply, state, now):
        audits = self.sql("SELECT count(*) FROM audit_log WHERE request_id = ?", rid)
        events = self.sql("SELECT count(*) FROM events WHERE request_id = ?", rid)
        if status < 300:
            self.assertGreaterEqual(audits, 1, "%s: a success without its audit row" % what)
        if audits == 0:
            self.assertEqual(now, state, "%s: %s, rows changed with no audit row (partial write)"
                             % (what, status))
            self.assertEqual(events, 0, "%s: an event with no audit row" % what)
        else:
            self.assertEqual(now, spec["changed"](state),
                             "%s: %s, audit rows but the rows did not change as a whole"
                             % (what, status))
            if "whole" in spec:
                rec = self.sql("SELECT max(record_id) FROM audit_log WHERE request_id = ?"
                               " AND resource = ?", rid, spec["resource"])
                spec["whole"](rec)

    def sweep(self, spec):
        # the count, with no failure: K allocations and the request's own answer
        spec.setdefault("status", 200)
        # twice: the first run also fills caches (prepared statements) that
        # later runs find, so its count runs past where the later ones end
        for _ in range(2):
            status, after = self.run_once(spec, 0, "sticky")
            self.assertEqual(status, spec["status"])
        k = after["allocations"]
        self.assertGreater(k, 0, "%s allocated nothing through our wrappers?" % spec["name"])
        self.assertEqual(after["refused"], 0)
        runs = absorbed = failed = 0
        for mode in ("sticky", "once"):
            for nth in sample(k, MAX_RUNS):
                status, after = self.run_once(spec, nth, mode)
                runs += 1
                if status >= 500:
                    failed += 1
                else:
                    absorbed += 1
                if nth <= k and mode == "sticky" and after["allocations"] >= nth:
                    self.assertGreaterEqual(after["refused"], 1)
        # the server answers normally afterwards
        status, after = self.run_once(spec, 0, "sticky")
        self.assertEqual(status, spec["status"], "%s after the sweep" % spec["name"])
        type(self).figures.append((spec["name"], k, runs, absorbed, failed))

    # the requests

    def test_login(self):
        body = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}

        def make():
            return "POST", "/api/v1/auth/login", body, None

        def after(status):
            # A sign-in that failed on our side still counted as an attempt (the
            # count comes before the password check, so parallel guesses cannot
            # slip past); the owner's next sign-in succeeds and clears it.
            if status >= 500:
                again = self.conn.request("POST", "/api/v1/auth/login", body)
                self.assertEqual(again[0], 200, again)

        self.sweep({"name": "login", "make": make, "auth": {}, "after": after,
                    "watch": lambda: self.sql("SELECT count(*) FROM sessions"),
                    "changed": lambda n: n + 1})

    def test_portal_login(self):
        status, headers, _ = self.admin.get("/api/v1/settings")
        status, _, reply = self.admin.patch("/api/v1/settings", {
            "public_url": "https://psa.firm.example"}, headers={"If-Match": headers["etag"]})
        self.assertEqual(status, 200, reply)
        email = unique("cy") + "@client.example"
        contact = self.create("contacts", {
            "company_id": self.company()["id"], "first_name": "Cy", "last_name": "Client",
            "email": email, "portal_access": True, "portal_role": "admin"})
        status, _, made = self.admin.post("/api/v1/contacts/%d/invite" % contact["id"])
        self.assertEqual(status, 200, made)
        token = re.search(r"/portal/activate/([A-Za-z0-9_-]{43})", made["invite_url"]).group(1)
        body = {"email": email, "password": "Quiet-lantern-47-river"}
        status, _, reply = self.conn.request("POST", "/api/v1/portal/auth/activate",
                                             {"token": token, "password": body["password"]})
        self.assertEqual(status, 200, reply)

        def after(status):
            if status >= 500:  # as for staff (test_login)
                again = self.conn.request("POST", "/api/v1/portal/auth/login", body)
                self.assertEqual(again[0], 200, again)

        self.sweep({"name": "portal login", "auth": {}, "after": after,
                    "make": lambda: ("POST", "/api/v1/portal/auth/login", body, None),
                    "watch": lambda: self.sql("SELECT count(*) FROM sessions"),
                    "changed": lambda n: n + 1})

    def test_ticket_create(self):
        c = self.company()

        def make():
            return "POST", "/api/v1/tickets", {
                "subject": unique("Scanner offline "), "company_id": c["id"],
                "priority": "high", "description": "Since the update."}, None

        def whole(tid):
            t = self.admin.get("/api/v1/tickets/%d" % tid)[2]
            self.assertEqual((t["priority"], t["description"]), ("high", "Since the update."), t)
            self.assertRegex(t["number"], r"^T-\d{6}$")

        self.sweep({"name": "ticket create", "make": make, "status": 201,
                    "watch": lambda: self.sql("SELECT count(*) FROM tickets"),
                    "changed": lambda n: n + 1, "resource": "tickets", "whole": whole})

    def test_ticket_create_idempotent(self):
        c = self.company()
        sent = []

        def make():
            sent.append(({"subject": unique("Phone dead "), "company_id": c["id"]},
                         unique("key-")))
            body, key = sent[-1]
            return "POST", "/api/v1/tickets", body, {"Idempotency-Key": key}

        self.sweep({"name": "ticket create (idem)", "make": make, "status": 201,
                    "watch": lambda: self.sql("SELECT count(*) FROM tickets"),
                    "changed": lambda n: n + 1})
        # A key whose 5xx could not even be forgotten (the DELETE needed memory
        # too) stays pending, like one whose server died: a retry gets 409 until
        # it is five minutes old, then the key is reused and the request runs.
        pending = [(b, k) for b, k in sent if self.sql(
            "SELECT count(*) FROM idempotency_keys WHERE key = ? AND state = 'pending'", k)]
        print("allocfail idempotency keys left pending by a 5xx: %d" % len(pending))
        if pending:
            body, key = pending[-1]
            self.assertEqual(self.admin.post("/api/v1/tickets", body,
                                             headers={"Idempotency-Key": key})[0], 409)
            self.server.move_clock(5 * 60 + 1)
            try:
                status, _, reply = self.admin.post("/api/v1/tickets", body,
                                                   headers={"Idempotency-Key": key})
                self.assertEqual(status, 201, reply)
            finally:
                self.server.set_clock(0)

    def test_ticket_read(self):
        t = self.ticket(self.company())
        self.sweep({"name": "ticket read",
                    "make": lambda: ("GET", "/api/v1/tickets/%d" % t["id"], None, None)})

    def test_list_with_filters(self):
        c = self.company()
        for _ in range(3):
            self.ticket(c)
        path = ("/api/v1/tickets?status=new,in_progress&priority=high,critical&company_id=%d"
                "&sort=-created_at&limit=2" % c["id"])
        self.sweep({"name": "ticket list (filters)", "make": lambda: ("GET", path, None, None)})

    def test_search(self):
        c = self.company()
        self.create("tickets", {"subject": "Printer toner smudges", "company_id": c["id"]})
        self.sweep({"name": "ticket search (q)",
                    "make": lambda: ("GET", "/api/v1/tickets?q=printer%20toner&limit=10",
                                     None, None)})

    def test_note_create(self):
        t = self.ticket(self.company())
        path = "/api/v1/tickets/%d/notes" % t["id"]

        def make():
            return "POST", path, {"body": unique("Called the client back "),
                                  "visibility": "public"}, None

        def state():
            return (self.sql("SELECT count(*) FROM ticket_notes"),
                    self.sql("SELECT count(*) FROM tickets WHERE id = ? AND"
                             " first_responded_at IS NOT NULL", t["id"]))

        self.sweep({"name": "note create", "make": make, "status": 201, "watch": state,
                    "changed": lambda s: (s[0] + 1, 1)})

    def test_bulk_assign(self):
        c = self.company()
        tech = self.create("users", {"email": unique("allocfail-tech") + "@example.com",
                                     "name": "Allocfail Tech", "role": "technician",
                                     "password": "Allocfail-Tech-Pass-42!"})

        def make():
            ids = [self.ticket(c)["id"], self.ticket(c)["id"]]
            return "POST", "/api/v1/tickets/assign", {"ids": ids, "assignee_id": tech["id"]}, None

        def state():
            return self.sql("SELECT count(*) FROM tickets WHERE assignee_id = ?", tech["id"])

        self.sweep({"name": "bulk assign", "make": make, "watch": state,
                    "changed": lambda s: s + 2})

    def test_checklist_apply(self):
        c = self.company()
        tpl = self.create("checklist-templates", {
            "name": unique("Allocfail install "), "ticket_kind": "installation",
            "items": [{"label": "Sign-off", "required": True}, {"label": "Photos"}]})

        def make():
            t = self.ticket(c)
            return ("POST", "/api/v1/tickets/%d/checklist/apply" % t["id"],
                    {"template_id": tpl["id"]}, None)

        def state():
            return self.sql("SELECT count(*) FROM ticket_checklist_items")

        self.sweep({"name": "checklist apply", "make": make, "watch": state,
                    "changed": lambda s: s + 2})

    def test_patch_if_match(self):
        t = self.ticket(self.company())
        path = "/api/v1/tickets/%d" % t["id"]
        flip = {"high": "low", "low": "high"}

        def make():
            status, headers, cur = self.admin.get(path)
            self.assertEqual(status, 200, cur)
            return "PATCH", path, {"priority": flip[cur["priority"]]}, {
                "If-Match": headers["etag"]}

        def state():
            return (self.sql("SELECT version FROM tickets WHERE id = ?", t["id"]),
                    self.sql("SELECT CASE WHEN priority = 'high' THEN 1 ELSE 0 END"
                             " FROM tickets WHERE id = ?", t["id"]))

        self.sweep({"name": "ticket patch (If-Match)", "make": make, "watch": state,
                    "changed": lambda s: (s[0] + 1, 1 - s[1])})

    def test_quote_create(self):
        c = self.company()
        product = self.create("products", {"sku": unique("SW-"), "name": "Switch 24p",
                                           "kind": "equipment", "unit_cost": 9000,
                                           "unit_price": 12500})
        labour = self.create("work-types", {"name": unique("Engineer "), "hourly_rate": 9000})

        def make():
            return "POST", "/api/v1/quotes", {
                "company_id": c["id"], "title": unique("Network refresh "),
                "tax_rate_bp": 825, "lines": [
                    {"kind": "equipment", "product_id": product["id"], "quantity": 2,
                     "discount_bp": 1000},
                    {"kind": "labor", "work_type_id": labour["id"], "quantity": 1.5},
                    {"kind": "service", "description": "Monitoring", "unit_price": 4999}]}, None

        def whole(qid):
            q = self.admin.get("/api/v1/quotes/%d" % qid)[2]
            self.assertEqual(len(q["lines"]), 3, q)
            self.assertEqual(q["subtotal"], 22500 + 13500 + 4999, q)

        self.sweep({"name": "quote create", "make": make, "status": 201,
                    "watch": lambda: self.sql("SELECT count(*) FROM quotes"),
                    "changed": lambda n: n + 1, "resource": "quotes", "whole": whole})

    def test_invoice_create(self):
        c = self.company()

        def make():
            return "POST", "/api/v1/invoices", {"company_id": c["id"]}, None

        self.sweep({"name": "invoice create", "make": make, "status": 201,
                    "watch": lambda: self.sql("SELECT count(*) FROM invoices"),
                    "changed": lambda n: n + 1})

    def test_invoice_run(self):
        c = self.company()
        remote = self.create("work-types", {"name": unique("Remote "), "hourly_rate": 12000})
        t = self.create("tickets", {"subject": unique("Backup job "), "company_id": c["id"]})
        period = {"from": "2026-11-01", "to": "2026-11-30", "company_id": c["id"]}

        def work():
            self.create("time-entries", {"ticket_id": t["id"], "work_type_id": remote["id"],
                                         "minutes": 45, "started_at": "2026-11-03T09:00:00Z"})

        work()
        # the dry run: its reply written as it goes (src/billing/run.c), nothing kept
        self.sweep({"name": "invoice run, dry", "status": 200,
                    "make": lambda: ("POST", "/api/v1/invoice-runs", dict(period, dry_run=True),
                                     None)})

        def make():
            work()  # something to bill every time
            return "POST", "/api/v1/invoice-runs", period, None

        # the real run: the run, its draft and the entries marked, or nothing
        self.sweep({"name": "invoice run", "make": make, "status": 201,
                    "watch": lambda: self.sql("SELECT count(*) FROM invoice_runs"),
                    "changed": lambda n: n + 1})


if __name__ == "__main__":
    unittest.main()
