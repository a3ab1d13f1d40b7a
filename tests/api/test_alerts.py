"""
test_alerts.py - monitoring intake through HTTP (POST /api/v1/alerts): one
open ticket per (source, key), repeats append, a clear resolves an unworked
ticket and only notes a worked one, a finished ticket's alert opens a new
one, assets matched by serial number or name or created, bad input, roles,
and two deliveries of one new alert at once.
"""

import threading
import unittest

from harness import ServerTestCase, unique

TECH_PASSWORD = "Tech-Pass-For-Tests-0nly-91!"
BILLING_PASSWORD = "Billing-Pass-For-Tests-0nly-44!"


class AlertCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech_email = unique("tech") + "@example.com"
        cls.server.add_user(cls.tech_email, "technician", TECH_PASSWORD)
        cls.tech = cls.server.client(cls.server.token_for(cls.tech_email))
        cls.billing_email = unique("billing") + "@example.com"
        cls.server.add_user(cls.billing_email, "billing", BILLING_PASSWORD)
        cls.billing = cls.server.client(cls.server.token_for(cls.billing_email))
        cls.company_id = cls.make("companies", {"name": unique("Client ")})["id"]
        cls.asset = cls.make("assets", {"company_id": cls.company_id, "name": unique("srv-"),
                                        "kind": "server", "serial_number": unique("SN")})

    @classmethod
    def make(cls, path, body):
        status, _, rec = cls.admin.post("/api/v1/" + path, body)
        assert status == 201, (path, status, rec)
        return rec

    def alert(self, expect, client=None, **fields):
        body = {"source": "rmm", "key": unique("disk-"), "status": "firing",
                "severity": "warning", "subject": "Disk C: 95 % full",
                "asset": {"serial_number": self.asset["serial_number"]}}
        body.update(fields)
        body = {k: v for k, v in body.items() if v is not None}
        resp = (client or self.admin).post("/api/v1/alerts", body)
        return self.assertStatus(resp, expect, "alert %r" % body)

    def ticket(self, tid):
        return self.assertStatus(self.admin.get("/api/v1/tickets/%d" % tid), 200)

    def notes(self, tid):
        return self.assertStatus(self.admin.get("/api/v1/tickets/%d/notes" % tid), 200)["data"]

    def rows(self, **filters):
        q = "&".join("%s=%s" % kv for kv in filters.items())
        return self.assertStatus(self.admin.get("/api/v1/alerts?" + q), 200)["data"]


class TestLifecycle(AlertCase):

    def test_first_firing_opens_a_ticket(self):
        r = self.alert(201, severity="critical", body="C: has 2 GB free",
                       occurred_at="2026-11-22T15:05:00.250+01:00")
        self.assertEqual(r["outcome"], "opened")
        t = r["ticket"]
        self.assertEqual(r["ticket_id"], t["id"])
        self.assertEqual((t["channel"], t["kind"], t["priority"], t["status"]),
                         ("monitoring", "incident", "critical", "new"))
        self.assertEqual(t["company_id"], self.company_id)
        self.assertEqual(t["asset_id"], self.asset["id"])
        self.assertEqual(t["subject"], "Disk C: 95 % full")
        self.assertIn("C: has 2 GB free", t["description"])
        a = r["alert"]
        self.assertEqual((a["state"], a["last_status"], a["count"], a["ticket_id"]),
                         ("open", "firing", 1, t["id"]))
        self.assertEqual(a["first_at"], "2026-11-22T14:05:00Z")
        self.assertNotIn("own_notes", a)
        self.assertIn("sla", t)

    def test_repeats_append_to_one_ticket(self):
        key = unique("cpu-")
        first = self.alert(201, key=key)
        for n in range(2, 6):
            r = self.alert(200, key=key)
            self.assertEqual(r["outcome"], "appended")
            self.assertEqual(r["ticket_id"], first["ticket_id"])
            self.assertEqual(r["alert"]["count"], n)
        notes = self.notes(first["ticket_id"])
        self.assertEqual(len(notes), 4)
        self.assertIn("5th time", notes[-1]["body"])
        self.assertTrue(all(n["visibility"] == "internal" for n in notes))
        rows = self.rows(source="rmm", key=key)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["count"], 5)
        tickets = self.assertStatus(self.admin.get(
            "/api/v1/tickets?channel=monitoring&company_id=%d&limit=200" % self.company_id),
            200)["data"]
        self.assertEqual(sum(1 for t in tickets if t["id"] == first["ticket_id"]), 1)

    def test_a_higher_severity_raises_the_priority_never_lowers(self):
        key = unique("ups-")
        r = self.alert(201, key=key, severity="info")
        self.assertEqual(r["ticket"]["priority"], "low")
        r = self.alert(200, key=key, severity="high")
        self.assertEqual(r["ticket"]["priority"], "high")
        self.assertIn("priority raised from low to high", self.notes(r["ticket_id"])[-1]["body"])
        r = self.alert(200, key=key, severity="info")
        self.assertEqual(r["ticket"]["priority"], "high")

    def test_clear_resolves_an_unworked_ticket(self):
        key = unique("ping-")
        first = self.alert(201, key=key)
        self.alert(200, key=key)  # a repeat's own note is not work
        r = self.alert(200, key=key, status="resolved", subject=None, severity=None)
        self.assertEqual(r["outcome"], "resolved")
        self.assertEqual(r["ticket"]["status"], "resolved")
        self.assertIn("nobody had worked", r["ticket"]["resolution"])
        self.assertEqual((r["alert"]["state"], r["alert"]["last_status"]), ("closed", "resolved"))
        self.assertIsNotNone(r["alert"]["closed_at"])
        self.assertEqual(self.ticket(first["ticket_id"])["status"], "resolved")
        # the next firing is a new episode: a new ticket
        again = self.alert(201, key=key)
        self.assertEqual(again["outcome"], "opened")
        self.assertNotEqual(again["ticket_id"], first["ticket_id"])
        self.assertEqual(len(self.rows(key=key)), 2)
        self.assertEqual(len(self.rows(key=key, state="open")), 1)

    def assert_worked_stays(self, work):
        key = unique("svc-")
        first = self.alert(201, key=key)
        tid = first["ticket_id"]
        work(tid)
        r = self.alert(200, key=key, status="resolved")
        self.assertEqual(r["outcome"], "cleared")
        self.assertNotIn(r["ticket"]["status"], ("resolved", "closed"))
        self.assertEqual((r["alert"]["state"], r["alert"]["last_status"]), ("open", "resolved"))
        self.assertIn("stays open", self.notes(tid)[-1]["body"])
        # while it stays open, the alert firing again still appends to it
        self.assertEqual(self.alert(200, key=key)["ticket_id"], tid)
        return tid

    def test_clear_after_an_assignee_leaves_the_ticket(self):
        users = self.assertStatus(self.admin.get("/api/v1/users?limit=200"), 200)["data"]
        user = next(u["id"] for u in users if u["email"] == self.tech_email)

        def assign(tid):
            t = self.ticket(tid)
            self.assertStatus(self.admin.patch("/api/v1/tickets/%d" % tid, {"assignee_id": user},
                                               headers={"If-Match": '"%d"' % t["version"]}), 200)
        self.assert_worked_stays(assign)

    def test_clear_after_a_note_leaves_the_ticket(self):
        self.assert_worked_stays(lambda tid: self.assertStatus(self.tech.post(
            "/api/v1/tickets/%d/notes" % tid, {"body": "Looking at it"}), 201))

    def test_clear_after_time_leaves_the_ticket(self):
        wt = self.make("work-types", {"name": unique("Remote "), "hourly_rate": 9000,
                                      "billable": True})
        self.assert_worked_stays(lambda tid: self.assertStatus(self.tech.post(
            "/api/v1/time-entries", {"ticket_id": tid, "work_type_id": wt["id"],
                                     "minutes": 15}), 201))

    def test_a_ticket_staff_resolve_closes_the_alert(self):
        key = unique("raid-")
        first = self.alert(201, key=key)
        tid = first["ticket_id"]
        t = self.ticket(tid)
        self.assertStatus(self.admin.post("/api/v1/tickets/%d/resolve" % tid,
                                          {"resolution": "Replaced the disk"},
                                          headers={"If-Match": '"%d"' % t["version"]}), 200)
        row = self.rows(key=key)[0]
        self.assertEqual(row["state"], "closed")
        # a clear now is for no open alert: ignored
        self.assertEqual(self.alert(200, key=key, status="resolved")["outcome"], "ignored")
        r = self.alert(201, key=key)
        self.assertNotEqual(r["ticket_id"], tid)
        # closing the resolved ticket leaves the new episode alone
        t = self.ticket(tid)
        self.assertStatus(self.admin.post("/api/v1/tickets/%d/close" % tid, {},
                                          headers={"If-Match": '"%d"' % t["version"]}), 200)
        self.assertEqual(self.alert(200, key=key)["ticket_id"], r["ticket_id"])

    def test_resolved_for_an_unknown_key_is_ignored(self):
        r = self.alert(200, key=unique("never-"), status="resolved")
        self.assertEqual(r, {"outcome": "ignored", "ticket_id": None, "alert": None,
                             "ticket": None})

    def test_list_filters_and_get(self):
        key = unique("mem-")
        r = self.alert(201, key=key, source="zabbix")
        rows = self.rows(source="zabbix", key=key, state="open")
        self.assertEqual([x["id"] for x in rows], [r["alert"]["id"]])
        self.assertEqual([x["id"] for x in self.rows(ticket_id=r["ticket_id"])],
                         [r["alert"]["id"]])
        got = self.assertStatus(self.tech.get("/api/v1/alerts/%d" % r["alert"]["id"]), 200)
        self.assertEqual(got["key"], key)
        self.assertProblem(self.admin.get("/api/v1/alerts?state=maybe"), 400)
        self.assertProblem(self.admin.get("/api/v1/alerts/99999999"), 404)
        # the rows are the intake's: no create, no change through the list route
        self.assertIn(self.admin.patch("/api/v1/alerts/%d" % r["alert"]["id"],
                                       {"state": "closed"})[0], (404, 405))


class TestAssets(AlertCase):

    def test_matched_by_serial_before_name(self):
        other = self.make("assets", {"company_id": self.company_id, "name": unique("pc-"),
                                     "kind": "workstation", "serial_number": unique("SN")})
        r = self.alert(201, asset={"serial_number": other["serial_number"],
                                   "name": self.asset["name"]})
        self.assertEqual(r["ticket"]["asset_id"], other["id"])

    def test_matched_by_name(self):
        r = self.alert(201, asset=self.asset["name"])
        self.assertEqual(r["ticket"]["asset_id"], self.asset["id"])
        self.assertEqual(r["ticket"]["company_id"], self.company_id)
        r = self.alert(201, asset={"name": self.asset["name"], "serial_number": unique("new")})
        self.assertEqual(r["ticket"]["asset_id"], self.asset["id"])

    def test_created_when_unknown(self):
        name = unique("fw-")
        r = self.alert(201, asset={"name": name, "kind": "network", "manufacturer": "Acme",
                                   "serial_number": unique("SN")}, company_id=self.company_id)
        aid = r["ticket"]["asset_id"]
        a = self.assertStatus(self.admin.get("/api/v1/assets/%d" % aid), 200)
        self.assertEqual((a["name"], a["kind"], a["manufacturer"], a["company_id"]),
                         (name, "network", "Acme", self.company_id))
        # kind defaults to other; the next alert about it finds it
        r = self.alert(201, asset=unique("cam-"), company_id=self.company_id)
        a = self.assertStatus(self.admin.get("/api/v1/assets/%d" % r["ticket"]["asset_id"]), 200)
        self.assertEqual(a["kind"], "other")
        self.assertEqual(self.alert(201, asset=name)["ticket"]["asset_id"], aid)

    def test_unknown_without_company_is_422(self):
        self.assertProblem(self.admin.post("/api/v1/alerts", {
            "source": "rmm", "key": unique("k"), "status": "firing", "subject": "x",
            "asset": unique("nowhere-")}), 422, "company_id")

    def test_ambiguous_name_needs_a_company(self):
        name = unique("dc-")
        other = self.make("companies", {"name": unique("Other ")})["id"]
        mine = self.make("assets", {"company_id": self.company_id, "name": name,
                                    "kind": "server"})
        theirs = self.make("assets", {"company_id": other, "name": name, "kind": "server"})
        self.assertProblem(self.admin.post("/api/v1/alerts", {
            "source": "rmm", "key": unique("k"), "status": "firing", "subject": "x",
            "asset": name}), 422, "asset")
        r = self.alert(201, asset=name, company_id=other)
        self.assertEqual((r["ticket"]["asset_id"], r["ticket"]["company_id"]),
                         (theirs["id"], other))
        r = self.alert(201, asset={"name": name}, company_id=self.company_id)
        self.assertEqual(r["ticket"]["asset_id"], mine["id"])

    def test_no_asset_needs_a_company(self):
        r = self.alert(201, asset=None, company_id=self.company_id)
        self.assertIsNone(r["ticket"]["asset_id"])
        self.assertEqual(r["ticket"]["company_id"], self.company_id)


class TestBadInput(AlertCase):

    def test_field_errors(self):
        ok = {"source": "rmm", "key": "k1", "status": "firing", "subject": "x",
              "company_id": self.company_id}
        cases = [
            ({k: v for k, v in ok.items() if k != "source"}, "source"),
            ({k: v for k, v in ok.items() if k != "key"}, "key"),
            ({k: v for k, v in ok.items() if k != "status"}, "status"),
            ({k: v for k, v in ok.items() if k != "subject"}, "subject"),
            (dict(ok, status="open"), "status"),
            (dict(ok, severity="disaster"), "severity"),
            (dict(ok, source=""), "source"),
            (dict(ok, source=7), "source"),
            (dict(ok, key="x" * 201), "key"),
            (dict(ok, subject="x" * 201), "subject"),
            (dict(ok, subject="a\nb"), "subject"),
            (dict(ok, body=["text"]), "body"),
            (dict(ok, occurred_at="yesterday"), "occurred_at"),
            (dict(ok, company_id="7"), "company_id"),
            (dict(ok, company_id=99999999), "company_id"),
            (dict(ok, asset=12), "asset"),
            (dict(ok, asset=""), "asset"),
            (dict(ok, asset={}), "asset"),
            (dict(ok, asset={"name": "a", "kind": "toaster"}), "asset.kind"),
            (dict(ok, asset={"name": "a", "colour": "red"}), "asset.colour"),
            (dict(ok, asset={"serial_number": 5}), "asset.serial_number"),
            ({k: v for k, v in ok.items() if k != "company_id"}, "company_id"),
            (dict(ok, priority="high"), "priority"),
        ]
        for body, field in cases:
            self.assertProblem(self.admin.post("/api/v1/alerts", body), 422, field, repr(body))
        self.assertEqual(self.rows(key="k1"), [])

    def test_not_an_object(self):
        self.assertProblem(self.admin.post("/api/v1/alerts", raw="[1]"), 400)
        self.assertProblem(self.admin.post("/api/v1/alerts", raw="{"), 400)
        self.assertProblem(self.admin.post("/api/v1/alerts", headers={"Content-Type": None}),
                           400)


class TestRoles(AlertCase):

    def test_who_may_post_and_read(self):
        self.assertEqual(self.alert(201, client=self.tech)["outcome"], "opened")
        self.assertProblem(self.billing.post("/api/v1/alerts", {
            "source": "rmm", "key": "k", "status": "firing", "subject": "x",
            "company_id": self.company_id}), 403)
        self.assertStatus(self.billing.get("/api/v1/alerts"), 200)
        self.assertProblem(self.server.client().post("/api/v1/alerts", {
            "source": "rmm", "key": "k", "status": "firing", "subject": "x"}), 401)
        self.assertProblem(self.server.client().get("/api/v1/alerts"), 401)

    def test_audited_under_the_caller(self):
        r = self.alert(201, client=self.tech)
        audit = self.assertStatus(self.admin.get(
            "/api/v1/audit?resource=alerts&record_id=%d" % r["alert"]["id"]), 200)["data"]
        self.assertTrue(audit, "no audit entry for the alert row")
        self.assertEqual(audit[0]["actor_label"] if "actor_label" in audit[0]
                         else audit[0].get("actor"), self.tech_email)


class TestConcurrency(AlertCase):

    def test_the_same_new_alert_at_once_opens_one_ticket(self):
        for _ in range(3):
            key = unique("flap-")
            results = []
            barrier = threading.Barrier(6)

            def fire():
                barrier.wait()
                results.append(self.admin.post("/api/v1/alerts", {
                    "source": "rmm", "key": key, "status": "firing", "subject": "Flapping",
                    "asset": {"serial_number": self.asset["serial_number"]}}))

            threads = [threading.Thread(target=fire) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            statuses = sorted(r[0] for r in results)
            self.assertEqual(statuses, [200] * 5 + [201], [r[2] for r in results])
            self.assertEqual(len({r[2]["ticket_id"] for r in results}), 1)
            rows = self.rows(key=key)
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0]["count"], 6)


if __name__ == "__main__":
    unittest.main()
