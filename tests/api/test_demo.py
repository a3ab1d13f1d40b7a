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
        # the demo loads only into a fresh database
        again = self.server.run_cli("demo", "--password", DEMO_PASSWORD)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already has data", again.stderr)

    def test_demo_rejects_a_weak_password(self):
        r = self.server.run_cli("demo", "--password", "short")
        self.assertEqual(r.returncode, 2, r.stderr)


if __name__ == "__main__":
    unittest.main()
