"""
test_manager.py - the services manager's day (issue 16 points 4 and 6):

  GET  /api/v1/dashboard                      the team's figures, or "mine"
  GET  /api/v1/tickets?sort=sla_urgency       the order list by SLA urgency
  POST /api/v1/tickets/assign                 bulk assignment, all or nothing
  POST /api/v1/tickets/:id/checklist/apply    a checklist template on any ticket
  new tickets under the company's only active contract

The test clock builds known service orders and time entries around a
Wednesday in a firm whose time zone is New York (UTC-4 that week), so the
day and week boundaries are the firm's, not UTC's; every figure is checked.
"""

import unittest

from harness import ClassFixtures, ServerTestCase, needs_test_build, unique

PASSWORD = "Manager-Pass-For-Tests-0nly-27!"
NOW = "2026-03-18T12:00:00Z"          # Wednesday, 08:00 in New York


class ManagerCase(ClassFixtures, ServerTestCase):

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server:
                cls.server.set_clock(0)
        finally:
            super().tearDownClass()

    @classmethod
    def user(cls, role, name):
        email = unique(role) + "@example.com"
        cls.server.add_user(email, role, PASSWORD, name=name)
        client = cls.server.client(cls.server.token_for(email))
        users = cls.admin.get("/api/v1/users?email=" + email)[2]["data"]
        return client, users[0]["id"]

    @classmethod
    def policy(cls):
        """The default policy: around the clock; high and medium have targets, low none."""
        cal = cls.post("calendars", {"name": unique("24x7 "), "timezone": "UTC",
                                     "always_open": True})
        cls.post("sla-policies", {
            "name": unique("Default "), "calendar_id": cal["id"], "is_default": True,
            "targets": [{"priority": "high", "response_minutes": 60, "resolution_minutes": 240},
                        {"priority": "medium", "response_minutes": 120,
                         "resolution_minutes": 480}]})

    def dashboard(self, client=None, query="", status=200):
        return self.assertStatus((client or self.admin).get("/api/v1/dashboard" + query),
                                 status, query)

    def ticket(self, name):
        return self.admin.get("/api/v1/tickets/%d" % self.ids[name])[2]


@needs_test_build
class TestDashboard(ManagerCase):

    @classmethod
    def build(cls):
        srv = cls.server
        srv.set_clock(now="2026-01-10T12:00:00Z")
        cls.patch("settings", {"timezone": "America/New_York"})
        cls.tech1, cls.tech1_id = cls.user("technician", "Alice Tech")
        cls.tech2, cls.tech2_id = cls.user("technician", "Bob Tech")
        cls.tech3, cls.tech3_id = cls.user("technician", "Cara Tech")
        cls.manager, cls.manager_id = cls.user("manager", "Max Manager")
        cls.billing, _ = cls.user("billing", "Bea Billing")
        cls.sales, _ = cls.user("sales", "Sam Sales")
        cls.company = cls.post("companies", {"name": unique("Acme ")})
        cls.policy()
        ids = {}

        def new(name, priority, assignee=None):
            def step():
                body = {"subject": name, "priority": priority, "company_id": cls.company["id"]}
                if assignee:
                    body["assignee_id"] = assignee
                ids[name] = cls.post("tickets", body)["id"]
            return step

        def status(name, to, **extra):
            return lambda: cls.patch("tickets/%d" % ids[name], dict(extra, status=to))

        def resolve(name):
            return status(name, "resolved", resolution="Fixed")

        def time(user, at, minutes):
            return lambda: cls.post("time-entries", {"user_id": user, "kind": "admin",
                                                     "started_at": at, "minutes": minutes})

        t1, t2 = cls.tech1_id, cls.tech2_id
        steps = [
            ("2026-02-01T10:00:00Z", new("R5", "high", t1)),       # resolved outside the 30 days
            ("2026-02-01T10:30:00Z", resolve("R5")),
            ("2026-03-01T12:00:00Z", new("O3", "low", t2)),        # open, no SLA, 17 days old
            ("2026-03-10T10:00:00Z", new("R1", "high", t1)),       # met
            ("2026-03-10T10:30:00Z", status("R1", "in_progress")),
            ("2026-03-10T12:00:00Z", resolve("R1")),
            ("2026-03-10T13:00:00Z", new("R2", "high", t2)),       # both clocks breached
            ("2026-03-10T19:00:00Z", resolve("R2")),
            ("2026-03-12T10:00:00Z", new("R3", "low", t1)),        # no targets
            ("2026-03-12T11:00:00Z", resolve("R3")),
            ("2026-03-16T23:00:00Z", new("R4", "medium", t1)),     # met, resolved on the 16th
            ("2026-03-16T23:10:00Z", status("R4", "in_progress")),  # in New York
            ("2026-03-17T02:00:00Z", resolve("R4")),
            ("2026-03-18T10:00:00Z", new("O1", "high")),           # unanswered: breached at 11:00
            ("2026-03-18T11:00:00Z", new("O4", "high", t1)),       # answered: due 15:00
            ("2026-03-18T11:05:00Z", status("O4", "in_progress")),
            ("2026-03-18T11:30:00Z", new("O2", "medium", t1)),     # response due 13:30
            # time: Monday 16 March begins at 04:00 UTC in New York
            ("2026-03-16T03:00:00Z", time(t1, "2026-03-16T03:00:00Z", 30)),   # Sunday there
            ("2026-03-16T05:00:00Z", time(t1, "2026-03-16T05:00:00Z", 60)),
            ("2026-03-17T15:00:00Z", time(t2, "2026-03-17T15:00:00Z", 90)),
            ("2026-03-17T10:00:00Z", time(cls.manager_id, "2026-03-17T10:00:00Z", 15)),
            ("2026-03-18T11:00:00Z", time(t1, "2026-03-18T10:00:00Z", 45)),
            (NOW, lambda: None),
        ]
        steps.sort(key=lambda s: s[0])
        for at, step in steps:
            srv.set_clock(now=at)
            step()
        cls.ids = ids

    # the dashboard

    def test_the_team_figures(self):
        d = self.dashboard()
        self.assertEqual((d["scope"], d["user_id"], d["time_zone"], d["generated_at"][:13]),
                         ("team", None, "America/New_York", NOW[:13]))
        # open: O1 (breached, unassigned), O2, O3 (no SLA), O4
        self.assertEqual((d["open"], d["breached"], d["unassigned"]), (4, 1, 1))
        backlog = {b["bucket"]: b["total"] for b in d["backlog_by_age"]["buckets"]}
        self.assertEqual(backlog, {"lt_1d": 3, "1_3d": 0, "3_7d": 0, "7_14d": 0,
                                   "14_30d": 1, "gt_30d": 0})
        self.assertEqual(d["backlog_by_age"]["totals"]["high"], 2)

    def test_sla_met_per_day_of_the_firm(self):
        d = self.dashboard()
        days = d["sla_by_day"]
        self.assertEqual(len(days), 30)
        self.assertEqual((days[0]["day"], days[-1]["day"]), ("2026-02-17", "2026-03-18"))
        by_day = {x["day"]: (x["with_sla"], x["met"], x["met_bp"]) for x in days}
        # R1 met and R2 breached on the 10th; R3 had no targets on the 12th;
        # R4 was resolved at 02:00 UTC on the 17th, 22:00 on the 16th in New York
        self.assertEqual(by_day["2026-03-10"], (2, 1, 5000))
        self.assertEqual(by_day["2026-03-12"], (0, 0, None))
        self.assertEqual(by_day["2026-03-16"], (1, 1, 10000))
        self.assertEqual(by_day["2026-03-17"], (0, 0, None))
        self.assertEqual(sum(x["with_sla"] for x in days), 3)
        self.assertEqual(d["sla_30_days"], {"from": "2026-02-17", "to": "2026-03-18",
                                            "with_sla": 3, "met": 2, "met_bp": 6667})

    def test_hours_per_technician_this_week(self):
        d = self.dashboard()
        week = d["hours_this_week"]
        self.assertEqual((week["from"], week["to"]), ("2026-03-16", "2026-03-18"))
        people = {p["name"]: p["minutes"] for p in week["people"]}
        # Alice: 60 + 45 (her 30 on Sunday night in New York is last week);
        # Cara logged nothing; the manager logged time, so counts too
        self.assertEqual(people, {"Alice Tech": 105, "Bob Tech": 90, "Cara Tech": 0,
                                  "Max Manager": 15})
        self.assertEqual([p["name"] for p in week["people"]],
                         ["Alice Tech", "Bob Tech", "Cara Tech", "Max Manager"])
        self.assertEqual(week["total_minutes"], 210)

    def test_a_technician_sees_their_own(self):
        d = self.dashboard(self.tech1)
        self.assertEqual((d["scope"], d["user_id"]), ("mine", self.tech1_id))
        # O2 and O4 are Alice's; nothing of hers is past due; no unassigned count
        self.assertEqual((d["open"], d["breached"], d["unassigned"]), (2, 0, None))
        self.assertEqual(d["backlog_by_age"]["totals"]["total"], 2)
        by_day = {x["day"]: (x["with_sla"], x["met"]) for x in d["sla_by_day"]}
        self.assertEqual((by_day["2026-03-10"], by_day["2026-03-16"]), ((1, 1), (1, 1)))
        self.assertEqual(d["hours_this_week"]["people"],
                         [{"user_id": self.tech1_id, "name": "Alice Tech", "minutes": 105}])
        d = self.dashboard(self.tech3)
        self.assertEqual((d["open"], d["hours_this_week"]["total_minutes"]), (0, 0))
        self.assertEqual(d["hours_this_week"]["people"][0]["name"], "Cara Tech")
        self.assertProblem(self.tech1.get("/api/v1/dashboard?scope=team"), 403)

    def test_a_manager_may_look_at_their_own(self):
        d = self.dashboard(self.manager, "?scope=mine")
        self.assertEqual((d["scope"], d["open"]), ("mine", 0))
        self.assertEqual(d["hours_this_week"]["total_minutes"], 15)
        self.assertEqual(self.dashboard(self.manager, "?scope=team")["open"], 4)
        self.assertEqual(self.dashboard(self.billing)["scope"], "team")

    def test_bad_dashboard_queries(self):
        self.assertProblem(self.admin.get("/api/v1/dashboard?scope=all"), 400)
        self.assertProblem(self.admin.get("/api/v1/dashboard?team=1"), 400)
        self.assertProblem(self.server.client().get("/api/v1/dashboard"), 401)

    # the order list by SLA urgency

    def test_sla_urgency_order(self):
        order = ["O1", "O2", "O4", "O3", "R5", "R1", "R2", "R3", "R4"]
        want = [self.ids[n] for n in order]
        body = self.assertStatus(self.admin.get("/api/v1/tickets?sort=sla_urgency&limit=50"),
                                 200)
        self.assertEqual([t["id"] for t in body["data"]], want)
        self.assertEqual(self.ticket("O1")["sla_urgency"], "1 2026-03-18T11:00:00Z")
        self.assertEqual(self.ticket("O4")["sla_urgency"], "1 2026-03-18T15:00:00Z")
        self.assertEqual(self.ticket("O3")["sla_urgency"], "2")
        self.assertEqual(self.ticket("R1")["sla_urgency"], "3")
        # page by page, the same order
        seen, cursor = [], None
        while True:
            q = "/api/v1/tickets?sort=sla_urgency&limit=2" + ("&cursor=" + cursor if cursor
                                                              else "")
            page = self.assertStatus(self.admin.get(q), 200)
            seen += [t["id"] for t in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, want)
        back = self.assertStatus(self.admin.get("/api/v1/tickets?sort=-sla_urgency&limit=50"),
                                 200)["data"]
        self.assertEqual([t["id"] for t in back], want[::-1])
        self.assertProblem(self.admin.get("/api/v1/tickets?sla_urgency=2"), 400)


@needs_test_build
class TestManagerActions(ManagerCase):
    """Bulk assignment, templates and contracts: on a server of their own, so
    that the tickets they make leave the figures above alone."""

    @classmethod
    def build(cls):
        srv = cls.server
        srv.set_clock(now=NOW)
        cls.tech1, cls.tech1_id = cls.user("technician", "Alice Tech")
        cls.tech2, cls.tech2_id = cls.user("technician", "Bob Tech")
        cls.tech3, cls.tech3_id = cls.user("technician", "Cara Tech")
        cls.manager, cls.manager_id = cls.user("manager", "Max Manager")
        cls.billing, _ = cls.user("billing", "Bea Billing")
        cls.sales, _ = cls.user("sales", "Sam Sales")
        cls.company = cls.post("companies", {"name": unique("Acme ")})
        cls.policy()
        cls.ids = {"O1": cls.post("tickets", {"subject": "O1",
                                              "company_id": cls.company["id"]})["id"],
                   "O3": cls.post("tickets", {"subject": "O3", "company_id": cls.company["id"],
                                              "assignee_id": cls.tech2_id})["id"]}

    def test_the_key_follows_the_ticket(self):
        srv = self.server
        srv.set_clock(now=NOW)
        try:
            t = self.post("tickets", {"subject": "Key", "priority": "medium",
                                      "company_id": self.company["id"]})
            self.assertEqual(t["sla_urgency"], "1 2026-03-18T14:00:00Z")   # response
            path = "tickets/%d" % t["id"]
            t = self.patch(path, {"status": "in_progress"})
            self.assertEqual(t["sla_urgency"], "1 2026-03-18T20:00:00Z")   # resolution
            t = self.patch(path, {"priority": "low"})
            self.assertEqual(t["sla_urgency"], "2")
            t = self.patch(path, {"status": "resolved", "resolution": "Done"})
            self.assertEqual(t["sla_urgency"], "3")
            t = self.post(path + "/reopen", {"reason": "Again"}, etag_of=path)
            self.assertEqual(t["sla_urgency"], "2")
            self.patch(path, {"status": "cancelled"})
        finally:
            srv.set_clock(now=NOW)

    # bulk assignment

    def assign(self, body, status, client=None):
        return self.assertStatus((client or self.manager).post("/api/v1/tickets/assign", body),
                                 status, repr(body))

    def test_bulk_assign(self):
        srv = self.server
        srv.set_clock(now=NOW)
        a = self.post("tickets", {"subject": "Bulk A", "company_id": self.company["id"]})
        b = self.post("tickets", {"subject": "Bulk B", "company_id": self.company["id"]})
        r = self.assign({"ids": [a["id"], b["id"]], "assignee_id": self.tech3_id}, 200)
        self.assertEqual(r["assigned"], 2)
        self.assertEqual([(t["id"], t["assignee_id"], t["status"]) for t in r["data"]],
                         [(a["id"], self.tech3_id, "assigned"),
                          (b["id"], self.tech3_id, "assigned")])
        # each audited under the manager, with its own history line
        audit = self.assertStatus(self.admin.get(
            "/api/v1/audit?resource=tickets&record_id=%d" % a["id"]), 200)["data"]
        self.assertTrue(any(e.get("actor_id") == self.manager_id or
                            e.get("user_id") == self.manager_id for e in audit), audit)
        history = self.assertStatus(self.admin.get(
            "/api/v1/tickets/%d/history" % b["id"]), 200)["data"]
        self.assertTrue(any(h["kind"] == "assignee" and h["to_value"] == str(self.tech3_id)
                            for h in history), history)
        self.assertEqual(self.ticket("O1")["assignee_id"], None)

    def test_bulk_assign_is_all_or_nothing(self):
        srv = self.server
        srv.set_clock(now=NOW)
        ok = self.post("tickets", {"subject": "Fine", "company_id": self.company["id"]})
        closed = self.post("tickets", {"subject": "Closed", "company_id": self.company["id"]})
        path = "tickets/%d" % closed["id"]
        self.patch(path, {"status": "resolved", "resolution": "Done"})
        self.post(path + "/close", None, etag_of=path)
        certified = self.post("tickets", {"subject": "Needs a cert",
                                          "company_id": self.company["id"],
                                          "required_certifications": ["Fire safety"]})
        ids = [ok["id"], closed["id"], 999999, certified["id"]]
        p = self.assertProblem(self.manager.post("/api/v1/tickets/assign",
                                                 {"ids": ids, "assignee_id": self.tech2_id}),
                               422, "ids")
        failed = {e["id"]: (e["status"], e["message"]) for e in p["errors"]}
        self.assertEqual(sorted(failed), sorted([closed["id"], 999999, certified["id"]]))
        self.assertEqual(failed[999999], (404, "no ticket with id 999999"))
        self.assertEqual(failed[closed["id"]][0], 409)
        self.assertIn("closed", failed[closed["id"]][1])
        self.assertEqual(failed[certified["id"]][0], 409)
        self.assertIn("Fire safety", failed[certified["id"]][1])
        self.assertIn("3 of 4", p["detail"])
        # nothing was kept, not even the ticket that could be assigned
        self.assertIsNone(self.admin.get("/api/v1/tickets/%d" % ok["id"])[2]["assignee_id"])
        # a manager's reason overrides the certification, as on a PATCH
        r = self.assign({"ids": [ok["id"], certified["id"]], "assignee_id": self.tech2_id,
                         "assignment_override_reason": "Only one on site"}, 200)
        self.assertEqual([t["assignee_id"] for t in r["data"]], [self.tech2_id] * 2)

    def test_bulk_assign_bad_input_and_roles(self):
        one = [self.ids["O3"]]
        self.assertProblem(self.tech1.post("/api/v1/tickets/assign",
                                           {"ids": one, "assignee_id": self.tech1_id}), 403)
        self.assertProblem(self.sales.post("/api/v1/tickets/assign",
                                           {"ids": one, "assignee_id": self.tech1_id}), 403)
        self.assertProblem(self.manager.post("/api/v1/tickets/assign"), 400)
        for body, field in [({"ids": [], "assignee_id": self.tech1_id}, "ids"),
                            ({"ids": "1", "assignee_id": self.tech1_id}, "ids"),
                            ({"ids": [0], "assignee_id": self.tech1_id}, "ids"),
                            ({"ids": one}, "assignee_id"),
                            ({"ids": one, "assignee_id": "x"}, "assignee_id"),
                            ({"ids": one, "assignee_id": 999999}, "assignee_id"),
                            ({"ids": one, "assignee_id": self.tech1_id, "asignee": 1},
                             "asignee"),
                            ({"ids": list(range(1, 202)), "assignee_id": self.tech1_id},
                             "ids")]:
            self.assertProblem(self.manager.post("/api/v1/tickets/assign", body), 422, field,
                               repr(body)[:80])
        self.assertEqual(self.ticket("O3")["assignee_id"], self.tech2_id)

    # checklist templates on any ticket

    def test_apply_a_template_to_any_ticket(self):
        srv = self.server
        srv.set_clock(now=NOW)
        tpl = self.post("checklist-templates", {
            "name": unique("Install "), "ticket_kind": "installation",
            "items": [{"label": "Check power", "required": True}, {"label": "Label cables"}]})
        t = self.post("tickets", {"subject": "Incident", "kind": "incident",
                                  "company_id": self.company["id"]})
        path = "tickets/%d/checklist" % t["id"]
        self.post(path, {"label": "Label cables", "position": 5}, client=self.tech1)
        r = self.post(path + "/apply", {"template_id": tpl["id"]}, client=self.tech1)
        self.assertEqual((r["template_id"], r["template_name"], r["skipped"]),
                         (tpl["id"], tpl["name"], ["Label cables"]))
        self.assertEqual([(i["label"], i["required"], i["template_id"], i["position"])
                          for i in r["added"]], [("Check power", True, tpl["id"], 6)])
        items = self.admin.get("/api/v1/" + path)[2]["data"]
        self.assertEqual([i["label"] for i in items], ["Label cables", "Check power"])
        again = self.post(path + "/apply", {"template_id": tpl["id"]})
        self.assertEqual((again["added"], again["skipped"]), ([], ["Check power",
                                                                   "Label cables"]))
        audit = self.assertStatus(self.admin.get(
            "/api/v1/audit?resource=checklist&record_id=%d" % r["added"][0]["id"]), 200)["data"]
        self.assertTrue(audit, "no audit entry for the item added")

    def test_apply_bad_input_and_roles(self):
        srv = self.server
        srv.set_clock(now=NOW)
        tpl = self.post("checklist-templates", {"name": unique("Gone "),
                                                "ticket_kind": "repair",
                                                "items": [{"label": "X"}]})
        status, headers, _ = self.admin.get("/api/v1/checklist-templates/%d" % tpl["id"])
        self.assertStatus(self.admin.delete("/api/v1/checklist-templates/%d" % tpl["id"],
                                            headers={"If-Match": headers["etag"]}), (200, 204))
        t = self.post("tickets", {"subject": "Apply", "company_id": self.company["id"]})
        path = "/api/v1/tickets/%d/checklist/apply" % t["id"]
        p = self.assertProblem(self.admin.post(path, {"template_id": tpl["id"]}), 422,
                               "template_id")
        self.assertIn("no checklist template with id", p["detail"])
        self.assertProblem(self.admin.post(path, {"template_id": 999999}), 422, "template_id")
        self.assertProblem(self.admin.post(path, {"template_id": "one"}), 422, "template_id")
        self.assertProblem(self.admin.post(path, {}), 422, "template_id")
        self.assertProblem(self.admin.post(path, {"template_id": 1, "x": 1}), 422, "x")
        self.assertProblem(self.admin.post(path), 400)
        self.assertProblem(self.admin.post("/api/v1/tickets/999999/checklist/apply",
                                           {"template_id": 1}), 404)
        self.assertProblem(self.admin.post("/api/v1/tickets/abc/checklist/apply",
                                           {"template_id": 1}), 404)
        self.assertProblem(self.billing.post(path, {"template_id": 1}), 403)
        live = self.post("checklist-templates", {"name": unique("Live "),
                                                 "ticket_kind": "repair",
                                                 "items": [{"label": "Y"}]})
        tp = "tickets/%d" % t["id"]
        self.patch(tp, {"status": "resolved", "resolution": "Done"})
        self.post(tp + "/close", None, etag_of=tp)
        self.assertProblem(self.admin.post(path, {"template_id": live["id"]}), 409)

    # the company's only active contract

    def test_only_active_contract_is_taken(self):
        srv = self.server
        srv.set_clock(now=NOW)
        one = self.post("companies", {"name": unique("One ")})
        c = self.post("contracts", {"company_id": one["id"], "name": "Care", "kind":
                                    "time_materials", "status": "active",
                                    "starts_on": "2026-01-01"})
        t = self.post("tickets", {"subject": "Preselected", "company_id": one["id"]})
        self.assertEqual(t["contract_id"], c["id"])
        self.post("contracts", {"company_id": one["id"], "name": "More", "kind":
                                "time_materials", "status": "active", "starts_on": "2026-01-01"})
        t = self.post("tickets", {"subject": "Nobody guesses", "company_id": one["id"]})
        self.assertIsNone(t["contract_id"])
        t = self.post("tickets", {"subject": "Chosen", "company_id": one["id"],
                                  "contract_id": c["id"]})
        self.assertEqual(t["contract_id"], c["id"])


if __name__ == "__main__":
    unittest.main()
