"""
test_demo.py - "servio demo" fills a fresh database with a living firm
that the API then serves, and refuses a database that has data.

The firm looks well run on the day it is loaded: the test clock sets that
day (a Monday morning here, a Saturday night below), and every record is
checked against it: orders opened and work done on working days in the
office's hours (08:00-17:00, America/Chicago), visits this week and next,
nothing in the future but what is due or booked, most open orders within
their SLA with a few at risk and one or two breached, every quoted deal
worth its quote, and real-looking names, addresses and phone numbers.
"""

import datetime
import re
import unittest
from zoneinfo import ZoneInfo

from harness import ServerTestCase

DEMO_PASSWORD = "Demo-Pass-For-Tests-0nly-77!"
ZONE = ZoneInfo("America/Chicago")
OPEN_STATUSES = {"new", "assigned", "in_progress", "waiting_customer", "waiting_parts",
                 "escalated"}
# the fictional range: 555-0100 to 555-0199
PHONE = re.compile(r"^\+1 217 555 01[0-9]{2}$")


def parse(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))


def local(t):
    return parse(t).astimezone(ZONE)


class DemoDayChecks:
    """The checks of a demo loaded at LOAD (UTC), shared by the Monday and Saturday cases."""

    LOAD = None

    @classmethod
    def load_demo(cls):
        cls.server.set_clock(now=cls.LOAD)
        r = cls.server.run_cli("demo", "--password", DEMO_PASSWORD, timeout=600)
        if r.returncode != 0:
            raise AssertionError("servio demo failed (%d):\n%s%s"
                                 % (r.returncode, r.stdout, r.stderr))
        cls.demo_output = r.stdout
        cls.loaded = parse(cls.LOAD)
        cls.today = cls.loaded.astimezone(ZONE).date()

    def all(self, path):
        """Every record of a list, following next_cursor."""
        out, cursor = [], None
        sep = "&" if "?" in path else "?"
        while True:
            url = path + sep + "limit=100" + ("&cursor=" + cursor if cursor else "")
            status, _, body = self.admin.get(url)
            self.assertEqual(status, 200, (url, body))
            out.extend(body["data"])
            cursor = body.get("next_cursor")
            if not cursor:
                return out

    def assertOfficeHours(self, t, what, end=None):
        """t (and end) on a weekday between 08:00 and 17:00 in the firm's zone."""
        start = local(t)
        finish = local(end) if end else start
        self.assertLess(start.weekday(), 5, "%s on a %s: %s" % (what, start.strftime("%A"), t))
        self.assertEqual(start.date(), finish.date(), (what, t, end))
        self.assertGreaterEqual((start.hour, start.minute), (8, 0), (what, t))
        self.assertLessEqual((finish.hour, finish.minute, finish.second), (17, 0, 0),
                             (what, t, end))

    def test_work_happens_on_working_days_in_office_hours(self):
        tickets = self.all("/api/v1/tickets")
        self.assertGreaterEqual(len(tickets), 50)
        for t in tickets:
            self.assertOfficeHours(t["created_at"], "order %s opened" % t["number"])
            for key in ("first_responded_at", "resolved_at"):
                if t.get(key):
                    self.assertOfficeHours(t[key], "order %s %s" % (t["number"], key))
        # what the desk wrote on the open orders, and when clients answered surveys
        for t in tickets:
            if t["status"] in OPEN_STATUSES:
                for n in self.all("/api/v1/tickets/%d/notes" % t["id"]):
                    self.assertOfficeHours(n["created_at"], "note on %s" % t["number"])
        surveys = [s for s in self.all("/api/v1/surveys") if s.get("answered_at")]
        self.assertGreater(len(surveys), 10)
        for s in surveys:
            self.assertOfficeHours(s["answered_at"], "survey %d answered" % s["id"])
        for e in self.all("/api/v1/time-entries"):
            end = parse(e["started_at"]) + datetime.timedelta(minutes=e["minutes"])
            self.assertOfficeHours(e["started_at"], "time entry %d" % e["id"],
                                   end.strftime("%Y-%m-%dT%H:%M:%SZ"))
        appointments = self.all("/api/v1/appointments")
        self.assertGreater(len(appointments), 5)
        monday = self.today - datetime.timedelta(days=self.today.weekday())
        finished = {t["id"] for t in self.all("/api/v1/tickets")
                    if t["status"] in ("resolved", "closed", "cancelled")}
        for a in appointments:
            self.assertOfficeHours(a["starts_at"], "visit %d" % a["id"], a["ends_at"])
            if a["ticket_id"] in finished and parse(a["ends_at"]) <= self.loaded:
                # the visit of a finished order (the accepted quote's installation):
                # done, in the weeks the history covers
                self.assertEqual(a["status"], "done", a)
                self.assertGreater(local(a["starts_at"]).date(),
                                   self.today - datetime.timedelta(weeks=10), a)
                continue
            # this week's and next week's
            self.assertTrue(monday <= local(a["starts_at"]).date()
                            < monday + datetime.timedelta(days=14), a)
            self.assertEqual(a["status"] == "done", parse(a["ends_at"]) <= self.loaded, a)
        self.assertTrue(any(local(a["starts_at"]).date() > self.today for a in appointments))
        for q in self.all("/api/v1/quotes"):
            self.assertOfficeHours(q["created_at"], "quote %s" % q["number"])
        for o in self.all("/api/v1/opportunities"):
            self.assertOfficeHours(o["created_at"], "opportunity %d" % o["id"])
        for a in self.all("/api/v1/activities"):
            self.assertOfficeHours(a["due_at"], "activity %d" % a["id"])
        for c in self.all("/api/v1/companies"):
            self.assertOfficeHours(c["created_at"], "company %s" % c["name"])

    def test_dates_follow_the_load_day(self):
        now = self.loaded + datetime.timedelta(minutes=30)   # the clock ran on a little
        weeks_ago = lambda n: self.loaded - datetime.timedelta(weeks=n)
        tickets = self.all("/api/v1/tickets")
        created = [parse(t["created_at"]) for t in tickets]
        self.assertTrue(all(weeks_ago(10) <= c <= now for c in created))
        # history spread over past weeks, and orders of this week
        self.assertLess(min(created), weeks_ago(4))
        self.assertGreater(max(created), self.loaded - datetime.timedelta(days=4))
        for path in ("/api/v1/companies", "/api/v1/contacts", "/api/v1/quotes",
                     "/api/v1/opportunities", "/api/v1/invoices", "/api/v1/time-entries",
                     "/api/v1/kb/articles"):
            for rec in self.all(path):
                self.assertTrue(weeks_ago(20) <= parse(rec["created_at"]) <= now,
                                (path, rec["id"], rec["created_at"]))
        for e in self.all("/api/v1/time-entries"):
            self.assertLessEqual(parse(e["started_at"]), now)
        today = self.today.isoformat()
        # quotes out with the client are valid into the future
        quotes = self.all("/api/v1/quotes")
        self.assertEqual({q["status"] for q in quotes}, {"accepted", "sent", "declined", "draft"})
        for q in quotes:
            if q["status"] in ("sent", "draft"):
                self.assertGreater(q["valid_until"], today, q["number"])
        # contracts are current
        for c in self.all("/api/v1/contracts"):
            self.assertLessEqual(c["starts_on"], today, c["name"])
            self.assertTrue(not c.get("ends_on") or c["ends_on"] >= today, c["name"])
        # two months billed: the last two before the load day's
        first = self.today.replace(day=1)
        months = {i["period_from"][:7] for i in self.all("/api/v1/invoices")}
        last = (first - datetime.timedelta(days=1)).replace(day=1)
        before = (last - datetime.timedelta(days=1)).replace(day=1)
        self.assertEqual(months, {last.isoformat()[:7], before.isoformat()[:7]})

    def test_sla_mix_of_the_open_orders(self):
        tickets = self.all("/api/v1/tickets")
        open_orders = [t for t in tickets if t["status"] in OPEN_STATUSES]
        self.assertGreaterEqual(len(open_orders), 10)
        breached, at_risk = [], []
        for t in open_orders:
            status, _, sla = self.admin.get("/api/v1/tickets/%d/sla" % t["id"])
            self.assertEqual(status, 200, sla)
            clocks = [sla["response"], sla["resolution"]]
            if any(c["breached"] for c in clocks):
                breached.append(t["number"])
            elif any((c["elapsed_percent"] or 0) > 75 for c in clocks if c["running"]):
                at_risk.append(t["number"])
        self.assertGreaterEqual(len(breached), 1, "no open order breached")
        self.assertLessEqual(len(breached), 3, breached)
        self.assertLessEqual(len(breached) * 5, len(open_orders), (breached, len(open_orders)))
        self.assertGreaterEqual(len(at_risk), 1, "no open order at risk")
        self.assertLessEqual(len(at_risk) + len(breached), len(open_orders) // 2,
                             (at_risk, breached))
        # the fresh ones for the dispatcher
        self.assertTrue([t for t in open_orders if t["status"] == "new"
                         and not t.get("assignee_id")])
        # resolved history: mostly met
        done = [t for t in tickets if t["status"] in ("resolved", "closed")]
        self.assertGreaterEqual(len(done), 40)
        late = [t for t in done if t["resolution_breached"] or t["response_breached"]]
        self.assertLessEqual(len(late) * 8, len(done), [t["number"] for t in late])

    def test_quoted_deals_are_worth_their_quotes(self):
        quotes = self.all("/api/v1/quotes")
        latest = {}
        for q in sorted(quotes, key=lambda q: q["id"]):
            if q.get("opportunity_id"):
                latest[q["opportunity_id"]] = q
        self.assertGreaterEqual(len(latest), 4)
        opps = {o["id"]: o for o in self.all("/api/v1/opportunities")}
        for opp_id, q in latest.items():
            self.assertEqual(opps[opp_id]["estimated_value"], q["total"],
                             (opps[opp_id]["title"], q["number"]))
        stages = {o["stage"] for o in opps.values()}
        self.assertTrue({"won", "lost", "quoted"} <= stages, stages)
        won = [o for o in opps.values() if o["stage"] == "won"]
        accepted = [q for q in quotes if q["status"] == "accepted"]
        self.assertEqual([latest[o["id"]]["id"] for o in won], [q["id"] for q in accepted])

    def test_names_addresses_and_phones_look_real(self):
        companies = self.all("/api/v1/companies")
        clients = [c for c in companies if c["kind"] == "client"]
        self.assertEqual(len(clients), 12)
        self.assertEqual(len({c["name"] for c in clients}), 12)
        for c in companies:
            self.assertTrue(c["name"].strip())
            self.assertRegex(c.get("phone") or "", PHONE, c["name"])
        for c in clients:
            self.assertTrue(c["email_domain"].endswith(".example"), c)
            self.assertTrue(c["website"].endswith(c["email_domain"]), c)
        domains = {c["id"]: c["email_domain"] for c in clients}
        contacts = self.all("/api/v1/contacts")
        self.assertEqual(len({(k["first_name"], k["last_name"]) for k in contacts}),
                         len(contacts))
        for k in contacts:
            self.assertTrue(k["first_name"].strip() and k["last_name"].strip(), k)
            self.assertRegex(k["phone"], PHONE)
            self.assertEqual(k["email"].split("@")[1], domains[k["company_id"]], k)
            self.assertEqual(k["email"].split("@")[0],
                             ("%s.%s" % (k["first_name"], k["last_name"])).lower())
        sites = self.all("/api/v1/sites")
        self.assertEqual(len(sites), 12)
        for s in sites:
            for key in ("address_line1", "city", "region", "postal_code", "country"):
                self.assertTrue((s.get(key) or "").strip(), (key, s))
            self.assertRegex(s["address_line1"], r"^[0-9]+ [A-Z]")
            self.assertRegex(s["postal_code"], r"^6[0-9]{4}$")
        for u in self.all("/api/v1/users"):
            self.assertTrue(u["name"].strip())


class DemoMondayTest(DemoDayChecks, ServerTestCase):
    """Loaded on Monday 16 March 2026 at 10:30 in Springfield (CDT, UTC-5)."""

    LOAD = "2026-03-16T15:30:00Z"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_demo()


class DemoSaturdayTest(DemoDayChecks, ServerTestCase):
    """Loaded on Saturday 21 March 2026 at 03:00 in Springfield: the office is closed."""

    LOAD = "2026-03-21T08:00:00Z"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_demo()


class DemoTest(ServerTestCase):

    def test_demo_firm(self):
        r = self.server.run_cli("demo", "--password", DEMO_PASSWORD, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ana@northwind.example", r.stdout)
        admin = self.admin
        companies = admin.get("/api/v1/companies?limit=100")[2]["data"]
        self.assertGreaterEqual(len(companies), 12)
        tickets = admin.get("/api/v1/tickets?limit=200")[2]["data"]
        self.assertGreaterEqual(len(tickets), 50)
        statuses = {t["status"] for t in tickets}
        self.assertTrue({"new", "resolved"} <= statuses, statuses)
        # three weeks of history: the oldest order is weeks old, with clocks computed
        def day(t):
            return datetime.date.fromisoformat(t["created_at"][:10])
        span = max(day(t) for t in tickets) - min(day(t) for t in tickets)
        self.assertGreaterEqual(span.days, 14)
        self.assertTrue(all(t["response_due_at"] for t in tickets))
        quotes = admin.get("/api/v1/quotes?limit=50")[2]["data"]
        self.assertEqual({q["status"] for q in quotes}, {"accepted", "sent", "declined", "draft"})
        accepted = [q for q in quotes if q["status"] == "accepted"][0]
        self.assertIsNotNone(accepted["contract_id"])
        orders = admin.get("/api/v1/tickets?quote_id=%d" % accepted["id"])[2]["data"]
        self.assertGreaterEqual(len(orders), 1)
        self.assertGreater(len(admin.get("/api/v1/appointments?limit=100")[2]["data"]), 5)
        # monitoring: one alert open with its repeats, one cleared before anyone worked it
        alerts = {a["source"]: a for a in admin.get("/api/v1/alerts")[2]["data"]}
        self.assertEqual((alerts["rmm"]["state"], alerts["rmm"]["count"]), ("open", 4))
        self.assertEqual(admin.get("/api/v1/tickets/%d" % alerts["rmm"]["ticket_id"])[2]
                         ["priority"], "high")
        self.assertEqual((alerts["zabbix"]["state"], alerts["zabbix"]["last_status"]),
                         ("closed", "resolved"))
        self.assertEqual(admin.get("/api/v1/tickets/%d" % alerts["zabbix"]["ticket_id"])[2]
                         ["status"], "resolved")
        # the demo staff sign in
        tech = self.server.client()
        tech.login("ana@northwind.example", DEMO_PASSWORD)
        status, _, me = tech.get("/api/v1/me")
        self.assertEqual(status, 200, me)
        # a technician's expired certification is there to be seen in dispatch
        users = admin.get("/api/v1/users?limit=50")[2]["data"]
        dana = [u for u in users if u["email"] == "dana@northwind.example"][0]
        certs = admin.get("/api/v1/users/%d/certifications" % dana["id"])[2]["data"]
        self.assertTrue(certs and certs[0]["expires_on"] < tickets[0]["created_at"][:10])
        # two months billed: invoices under every contract kind, issued and paid, one
        # left in draft, one paid in part, a credit note; nothing of it billed twice
        invoices = admin.get("/api/v1/invoices?limit=100")[2]["data"]
        self.assertTrue({"draft", "issued", "paid"} <= {i["status"] for i in invoices})
        months = {i["period_from"][:7] for i in invoices}
        self.assertEqual(len(months), 2, months)
        rules = {line["rule"] for i in invoices for line in i["lines"]}
        self.assertTrue({"managed_fee", "addition", "block_purchase", "block_draw", "time",
                         "part"} <= rules, rules)
        billed_kinds = set()
        contracts = {c["id"]: c for c in admin.get("/api/v1/contracts?limit=100")[2]["data"]}
        for i in invoices:
            for line in i["lines"]:
                if line.get("contract_id") in contracts:
                    billed_kinds.add(contracts[line.get("contract_id")]["kind"])
        self.assertEqual(billed_kinds, {"managed", "block_hours", "time_materials"})
        self.assertTrue(all(line["explanation"] for i in invoices for line in i["lines"]))
        numbers = sorted(i["number"] for i in invoices if i["number"])
        self.assertEqual(numbers, ["INV-%06d" % n for n in range(1, len(numbers) + 1)])
        self.assertTrue(any(0 < i["paid"] < i["total"] for i in invoices))
        notes = admin.get("/api/v1/credit-notes")[2]["data"]
        self.assertEqual([n["number"] for n in notes], ["CN-000001"])
        dry = admin.post("/api/v1/invoice-runs", {"from": min(months) + "-01",
                                                  "to": max(i["period_to"] for i in invoices),
                                                  "dry_run": True})
        self.assertEqual(dry[0], 200, dry)
        self.assertEqual(dry[2]["invoices"], [])
        # the demo loads only into a fresh database
        again = self.server.run_cli("demo", "--password", DEMO_PASSWORD)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already has data", again.stderr)

    def test_demo_rejects_a_weak_password(self):
        r = self.server.run_cli("demo", "--password", "short")
        self.assertEqual(r.returncode, 2, r.stderr)


if __name__ == "__main__":
    unittest.main()
