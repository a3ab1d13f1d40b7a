"""
test_demo.py - "servio demo" fills a fresh database with a living firm
that the API then serves, and refuses a database that has data.
"""

import datetime
import unittest

from harness import ServerTestCase

DEMO_PASSWORD = "Demo-Pass-For-Tests-0nly-77!"


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
