"""
test_quality_dashboard.py - GET /api/v1/reports/quality, the services
manager's quality dashboard (docs/QUALITY.md "The quality dashboard").

The test clock builds three months of service orders with known outcomes
(SLA met and breached, a reopened ticket, an escalation, a wait for the
customer, two public replies, a ticket without targets, a cancelled one)
and an open backlog of known ages, then checks every number the report
gives: per month, per client, for one client, for part of a month, and
for the default period. Then the roles and the bad queries.
"""

import unittest

from harness import ClassFixtures, ServerTestCase, needs_test_build, unique

PASSWORD = "Quality-Pass-For-Tests-0nly-27!"
PATH = "/api/v1/reports/quality"
PERIOD = "?from=2026-01-01&to=2026-04-01"
NOW = "2026-03-20T12:00:00Z"


def sla(res_met, res_breached, resp_met, resp_breached):
    def bp(met, total):
        return None if total == 0 else (2 * 10000 * met + total) // (2 * total)
    return {"resolution_total": res_met + res_breached, "resolution_met": res_met,
            "resolution_breached": res_breached,
            "resolution_compliance_bp": bp(res_met, res_met + res_breached),
            "response_total": resp_met + resp_breached, "response_met": resp_met,
            "response_breached": resp_breached,
            "response_compliance_bp": bp(resp_met, resp_met + resp_breached)}


@needs_test_build
class TestQualityDashboard(ClassFixtures, ServerTestCase):

    @classmethod
    def build(cls):
        srv = cls.server
        cls.company_a = cls.post("companies", {"name": unique("Acme ")})
        cls.company_b = cls.post("companies", {"name": unique("Beta ")})
        cal = cls.post("calendars", {"name": unique("24x7 "), "timezone": "UTC",
                                     "always_open": True})
        # high and medium have targets; low and critical none (no SLA)
        cls.post("sla-policies", {
            "name": unique("Default "), "calendar_id": cal["id"], "is_default": True,
            "targets": [{"priority": "high", "response_minutes": 60, "resolution_minutes": 240},
                        {"priority": "medium", "response_minutes": 120,
                         "resolution_minutes": 480}]})
        ids = {}

        def new(name, company, priority):
            def step():
                t = cls.post("tickets", {"subject": name, "priority": priority,
                                         "company_id": company["id"]})
                ids[name] = t["id"]
            return step

        def status(name, to, **extra):
            return lambda: cls.patch("tickets/%d" % ids[name], dict(extra, status=to))

        def resolve(name):
            return status(name, "resolved", resolution="Fixed")

        def note(name):
            return lambda: cls.post("tickets/%d/notes" % ids[name],
                                    {"body": "We are on it", "visibility": "public"})

        def act(name, action, body=None):
            def step():
                path = "tickets/%d" % ids[name]
                cls.post(path + "/" + action, body, etag_of=path)
            return step

        a, b = cls.company_a, cls.company_b
        steps = [
            # January
            ("2026-01-05T10:00:00Z", new("A1", a, "high")),       # met, one public note
            ("2026-01-05T10:30:00Z", status("A1", "in_progress")),
            ("2026-01-05T10:40:00Z", note("A1")),
            ("2026-01-05T12:00:00Z", resolve("A1")),
            ("2026-01-06T10:00:00Z", new("A2", a, "high")),       # both clocks breached
            ("2026-01-06T15:00:00Z", resolve("A2")),
            ("2026-01-07T10:00:00Z", new("B1", b, "medium")),     # met, waited for the client
            ("2026-01-07T10:10:00Z", status("B1", "in_progress")),
            ("2026-01-07T10:20:00Z", status("B1", "waiting_customer")),
            ("2026-01-07T11:00:00Z", status("B1", "in_progress")),
            ("2026-01-07T12:00:00Z", resolve("B1")),
            ("2026-01-20T10:00:00Z", new("A6", a, "medium")),     # resolved, closed, reopened
            ("2026-01-20T10:10:00Z", status("A6", "in_progress")),
            ("2026-01-20T11:00:00Z", resolve("A6")),
            ("2026-01-21T10:00:00Z", act("A6", "close")),
            # February
            ("2026-02-03T10:00:00Z", new("A3", a, "high")),       # resolved, reopened, resolved
            ("2026-02-03T10:10:00Z", status("A3", "in_progress")),
            ("2026-02-03T11:00:00Z", resolve("A3")),
            ("2026-02-04T10:00:00Z", status("A3", "in_progress")),
            ("2026-02-04T11:00:00Z", resolve("A3")),
            ("2026-02-08T12:00:00Z", new("O1", a, "critical")),   # open, 40 days old
            ("2026-02-10T10:00:00Z", new("B2", b, "low")),        # no targets: no SLA
            ("2026-02-10T11:00:00Z", resolve("B2")),
            ("2026-02-12T10:00:00Z", new("A4", a, "medium")),     # escalated
            ("2026-02-12T10:10:00Z", act("A4", "escalate", {"to": "tier", "reason": "network"})),
            ("2026-02-12T10:20:00Z", status("A4", "in_progress")),
            ("2026-02-12T13:00:00Z", resolve("A4")),
            ("2026-02-15T10:00:00Z", new("A5", a, "medium")),     # two public notes
            ("2026-02-15T10:10:00Z", note("A5")),
            ("2026-02-15T10:20:00Z", note("A5")),
            ("2026-02-15T11:00:00Z", resolve("A5")),
            ("2026-02-28T12:00:00Z", new("O2", a, "high")),       # open, 20 days
            # March
            ("2026-03-02T10:00:00Z", act("A6", "reopen", {"reason": "Jams again"})),
            ("2026-03-02T12:00:00Z", resolve("A6")),
            ("2026-03-05T10:00:00Z", new("A7", a, "high")),       # late response, in time
            ("2026-03-05T12:00:00Z", status("A7", "in_progress")),
            ("2026-03-05T13:00:00Z", resolve("A7")),
            ("2026-03-06T10:00:00Z", new("C1", a, "medium")),     # cancelled: nowhere
            ("2026-03-06T10:30:00Z", status("C1", "cancelled")),
            ("2026-03-10T12:00:00Z", new("O3", a, "medium")),     # open, 10 days
            ("2026-03-15T12:00:00Z", new("O4", a, "low")),        # 5 days
            ("2026-03-18T12:00:00Z", new("O5", a, "medium")),     # 2 days
            ("2026-03-19T11:00:00Z", new("O7", b, "critical")),   # 1 day 1 hour, waiting
            ("2026-03-19T11:05:00Z", status("O7", "waiting_customer")),
            ("2026-03-20T10:00:00Z", new("O6", a, "high")),       # 2 hours
            (NOW, lambda: None),
        ]
        steps.sort(key=lambda s: s[0])
        for at, step in steps:
            srv.set_clock(now=at)
            step()
        cls.ids = ids
        cls.tickets = {name: cls.admin.get("/api/v1/tickets/%d" % i)[2]
                       for name, i in ids.items()}

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server:
                cls.server.set_clock(0)
        finally:
            super().tearDownClass()

    def report(self, query=PERIOD, client=None):
        return self.assertStatus((client or self.admin).get(PATH + query), 200, query)

    def test_the_tickets_are_what_the_test_says(self):
        t = self.tickets
        flags = {n: (t[n]["sla"]["resolution_breached"], t[n]["sla"]["response_breached"])
                 for n in ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "B1")}
        self.assertEqual(flags, {"A1": (False, False), "A2": (True, True), "A3": (False, False),
                                 "A4": (False, False), "A5": (False, False),
                                 "A6": (False, False), "A7": (False, True),
                                 "B1": (False, False)})
        self.assertIsNone(t["B2"]["sla"]["resolution_due_at"])
        self.assertEqual(t["A6"]["resolved_at"][:10], "2026-03-02")
        self.assertEqual(t["A3"]["resolved_at"][:10], "2026-02-04")

    def test_sla_by_month(self):
        r = self.report()
        self.assertEqual((r["from"], r["to"], r["time_zone"], r["company"]),
                         ("2026-01-01", "2026-04-01", "UTC", None))
        months = r["sla_by_month"]
        self.assertEqual([m["month"] for m in months], ["2026-01", "2026-02", "2026-03"])
        # January: A1 met, A2 breached (both clocks), B1 met; A6's resolution moved to March
        self.assertEqual(months[0], dict(sla(2, 1, 2, 1), month="2026-01"))
        self.assertEqual(months[0]["resolution_compliance_bp"], 6667)
        # February: A3 (its last resolution), A4, A5 met; B2 has no targets
        self.assertEqual(months[1], dict(sla(3, 0, 3, 0), month="2026-02"))
        # March: A6 met; A7 resolved in time but answered late
        self.assertEqual(months[2], dict(sla(2, 0, 1, 1), month="2026-03"))
        self.assertEqual(r["sla"], sla(7, 1, 6, 2))
        self.assertEqual(r["sla"]["resolution_compliance_bp"], 8750)

    def test_sla_by_client(self):
        r = self.report()
        rows = r["sla_by_client"]
        self.assertEqual([c["company_id"] for c in rows],
                         [self.company_a["id"], self.company_b["id"]])
        self.assertEqual(rows[0], dict(sla(6, 1, 5, 2), company_id=self.company_a["id"],
                                       company_name=self.company_a["name"]))
        self.assertEqual(rows[0]["resolution_compliance_bp"], 8571)
        self.assertEqual(rows[0]["response_compliance_bp"], 7143)
        self.assertEqual(rows[1], dict(sla(1, 0, 1, 0), company_id=self.company_b["id"],
                                       company_name=self.company_b["name"]))

    def test_first_contact_resolution(self):
        r = self.report()
        # Jan: A1, A2 yes, B1 waited; Feb: B2 yes, A3 reopened, A4 escalated, A5 two
        # public notes; Mar: A7 yes, A6 reopened
        self.assertEqual(r["first_contact_resolution_by_month"], [
            {"month": "2026-01", "resolved": 3, "first_contact": 2, "rate_bp": 6667},
            {"month": "2026-02", "resolved": 4, "first_contact": 1, "rate_bp": 2500},
            {"month": "2026-03", "resolved": 2, "first_contact": 1, "rate_bp": 5000}])
        self.assertEqual(r["first_contact_resolution"],
                         {"resolved": 9, "first_contact": 4, "rate_bp": 4444})

    def test_reopen_rate(self):
        r = self.report()
        # resolutions: Jan A1 A2 B1 A6 (A6 reopened in March); Feb A3 twice (the first
        # reopened), B2, A4, A5; Mar A6, A7
        self.assertEqual(r["reopen_rate_by_month"], [
            {"month": "2026-01", "resolved": 4, "reopened": 1, "rate_bp": 2500},
            {"month": "2026-02", "resolved": 5, "reopened": 1, "rate_bp": 2000},
            {"month": "2026-03", "resolved": 2, "reopened": 0, "rate_bp": 0}])
        self.assertEqual(r["reopen_rate"], {"resolved": 11, "reopened": 2, "rate_bp": 1818})

    def test_backlog_by_age(self):
        r = self.report()
        backlog = r["backlog_by_age"]
        self.assertEqual(backlog["as_of"][:13], NOW[:13])
        got = {b["bucket"]: {p: b[p] for p in ("critical", "high", "medium", "low", "total")}
               for b in backlog["buckets"]}

        def row(critical=0, high=0, medium=0, low=0):
            return {"critical": critical, "high": high, "medium": medium, "low": low,
                    "total": critical + high + medium + low}
        self.assertEqual(got, {"lt_1d": row(high=1), "1_3d": row(critical=1, medium=1),
                               "3_7d": row(low=1), "7_14d": row(medium=1),
                               "14_30d": row(high=1), "gt_30d": row(critical=1)})
        self.assertEqual([(b["min_days"], b["max_days"]) for b in backlog["buckets"]],
                         [(0, 1), (1, 3), (3, 7), (7, 14), (14, 30), (30, None)])
        self.assertEqual(backlog["totals"], row(critical=2, high=2, medium=2, low=1))

    def test_one_client(self):
        b = self.company_b
        r = self.report(PERIOD + "&company_id=%d" % b["id"])
        self.assertEqual(r["company"], {"id": b["id"], "name": b["name"]})
        self.assertEqual([m["resolution_total"] for m in r["sla_by_month"]], [1, 0, 0])
        self.assertIsNone(r["sla_by_month"][1]["resolution_compliance_bp"])
        self.assertEqual(r["sla"], sla(1, 0, 1, 0))
        self.assertEqual([c["company_id"] for c in r["sla_by_client"]], [b["id"]])
        self.assertEqual(r["first_contact_resolution"],
                         {"resolved": 2, "first_contact": 1, "rate_bp": 5000})
        self.assertEqual(r["reopen_rate"], {"resolved": 2, "reopened": 0, "rate_bp": 0})
        self.assertEqual(r["backlog_by_age"]["totals"]["total"], 1)
        self.assertEqual(r["backlog_by_age"]["buckets"][1]["critical"], 1)

    def test_part_of_months(self):
        # [Jan 6, Feb 13): A1 (Jan 5) and A5 (Feb 15) fall outside
        r = self.report("?from=2026-01-06&to=2026-02-13")
        self.assertEqual([m["month"] for m in r["sla_by_month"]], ["2026-01", "2026-02"])
        self.assertEqual(r["sla_by_month"][0], dict(sla(1, 1, 1, 1), month="2026-01"))
        self.assertEqual(r["sla_by_month"][1], dict(sla(2, 0, 2, 0), month="2026-02"))
        self.assertEqual(r["first_contact_resolution"]["resolved"], 5)

    def test_default_period_is_the_last_twelve_months(self):
        r = self.report("")
        self.assertEqual((r["from"], r["to"]), ("2025-04-01", "2026-04-01"))
        self.assertEqual(len(r["sla_by_month"]), 12)
        self.assertEqual(r["sla_by_month"][0]["month"], "2025-04")
        self.assertEqual(r["sla_by_month"][0]["resolution_total"], 0)
        self.assertIsNone(r["sla_by_month"][0]["resolution_compliance_bp"])
        self.assertEqual(r["sla"], sla(7, 1, 6, 2))
        self.assertEqual(r["reopen_rate"]["resolved"], 11)
        # only "to": the twelve months up to the day before it
        r = self.report("?to=2026-02-15")
        self.assertEqual((r["from"], r["to"]), ("2025-03-01", "2026-02-15"))

    def test_roles(self):
        for role in ("technician", "billing", "sales"):
            email = unique(role) + "@example.com"
            self.server.add_user(email, role, PASSWORD)
            c = self.server.client(self.server.token_for(email))
            self.assertProblem(c.get(PATH + PERIOD), 403, what=role)
        email = unique("manager") + "@example.com"
        self.server.add_user(email, "manager", PASSWORD)
        manager = self.server.client(self.server.token_for(email))
        self.assertEqual(self.report(client=manager)["sla"], sla(7, 1, 6, 2))
        self.assertProblem(self.server.client().get(PATH + PERIOD), 401)

    def test_bad_queries(self):
        for query in ("?from=2026-02-30", "?from=2026-03-01&to=2026-02-01",
                      "?from=2026-03-01&to=2026-03-01", "?from=2027-01-01",
                      "?from=2000-01-01&to=2026-01-01", "?from=1.1.2026", "?x=1",
                      "?company_id=abc", "?company_id=0", "?to=0000-03-01", "?company_id=-3", "?limit=5"):
            self.assertProblem(self.admin.get(PATH + query), 400, what=query)
        self.assertProblem(self.admin.get(PATH + "?company_id=99999999"), 404)


class TestTopClients(ServerTestCase):
    """sla_by_client holds the 20 clients with most SLA tickets, ties by name."""

    def test_twenty_clients_most_tickets_first(self):
        cal = self.assertStatus(self.admin.post("/api/v1/calendars", {
            "name": "24x7", "timezone": "UTC", "always_open": True}), 201)
        self.assertStatus(self.admin.post("/api/v1/sla-policies", {
            "name": "Default", "calendar_id": cal["id"], "is_default": True,
            "targets": [{"priority": "medium", "response_minutes": 600,
                         "resolution_minutes": 6000}]}), 201)
        ids = []
        for i in range(22):
            c = self.assertStatus(self.admin.post("/api/v1/companies",
                                                  {"name": "Client %02d" % i}), 201)
            ids.append(c["id"])
            for _ in range(2 if i < 5 else 1):
                t = self.assertStatus(self.admin.post("/api/v1/tickets", {
                    "subject": "Printer", "company_id": c["id"]}), 201)
                self.assertStatus(self.admin.post(
                    "/api/v1/tickets/%d/resolve" % t["id"], {"resolution": "Fixed"},
                    headers={"If-Match": "*"}), 200)
        r = self.assertStatus(self.admin.get(PATH), 200)
        self.assertEqual([c["company_id"] for c in r["sla_by_client"]], ids[:20])
        self.assertEqual([c["resolution_total"] for c in r["sla_by_client"]], [2] * 5 + [1] * 15)
        self.assertEqual(r["sla"]["resolution_total"], 27)


if __name__ == "__main__":
    unittest.main()


class TestSatisfactionAndReviews(ServerTestCase):
    """csat and qa_scores: the surveys answered and the reviews completed, by month."""

    def test_csat_and_review_scores(self):
        import datetime
        import re
        tech = unique("tech") + "@firm.example"
        self.server.add_user(tech, "technician", PASSWORD)
        tech_id = self.server.client(self.server.token_for(tech)).get("/api/v1/me")[2]["user"]["id"]
        c = self.assertStatus(self.admin.post("/api/v1/companies", {"name": unique("C ")}), 201)
        person = self.assertStatus(self.admin.post("/api/v1/contacts", {
            "company_id": c["id"], "first_name": "Cy", "last_name": "Client",
            "email": unique("cy") + "@client.example"}), 201)
        tickets = []
        for _ in range(3):
            t = self.assertStatus(self.admin.post("/api/v1/tickets", {
                "subject": "Printer", "company_id": c["id"], "contact_id": person["id"],
                "assignee_id": tech_id}), 201)
            self.assertStatus(self.admin.post("/api/v1/tickets/%d/resolve" % t["id"],
                                              {"resolution": "Fixed"},
                                              headers={"If-Match": "*"}), 200)
            tickets.append(t["id"])
        # two answers (5 and 2), one survey left unanswered
        for tid, rating in zip(tickets, (5, 2)):
            s = self.assertStatus(self.admin.get("/api/v1/surveys?ticket_id=%d" % tid), 200)
            token = re.search(r"/s/([^/?]+)$", s["data"][0]["url"]).group(1)
            self.assertStatus(self.server.client().post("/api/v1/public/surveys/" + token,
                                                        {"rating": rating}), 200)
        # two reviews: full points (100) and 75 of 100
        tpl = self.assertStatus(self.admin.get("/api/v1/qa-templates?is_default=true"),
                                200)["data"][0]
        weights = [item["weight"] for item in tpl["items"]]
        for tid, points in zip(tickets, (weights, [w * 3 // 4 for w in weights])):
            review = self.assertStatus(self.admin.post("/api/v1/qa-reviews",
                                                       {"ticket_id": tid}), 201)
            answers = [{"item": i, "points": p} for i, p in enumerate(points)]
            self.assertStatus(self.admin.post("/api/v1/qa-reviews/%d/complete" % review["id"],
                                              {"answers": answers},
                                              headers={"If-Match": "*"}), 200)
        scores = [self.assertStatus(self.admin.get("/api/v1/qa-reviews?ticket_id=%d" % tid),
                                    200)["data"][0]["score"] for tid in tickets[:2]]
        r = self.assertStatus(self.admin.get(PATH + "?company_id=%d" % c["id"]), 200)
        self.assertEqual(r["csat"], {"answered": 2, "satisfied": 1, "rating_points": 7,
                                     "csat_bp": 5000, "average_rating": 350})
        total = sum(scores)
        self.assertEqual(r["qa_scores"], {"reviewed": 2, "score_points": total,
                                          "average_score": (2 * 100 * total + 2) // 4})
        month = datetime.datetime.fromtimestamp(self.server.now(),
                                                datetime.timezone.utc).strftime("%Y-%m")
        this = [m for m in r["csat_by_month"] if m["month"] == month]
        self.assertEqual(this[0]["answered"], 2)
        self.assertEqual([m for m in r["qa_scores_by_month"] if m["month"] == month][0]
                         ["reviewed"], 2)
        self.assertEqual(sum(m["answered"] for m in r["csat_by_month"]), 2)
        # another client's numbers are not these
        other = self.assertStatus(self.admin.post("/api/v1/companies", {"name": unique("O ")}), 201)
        r = self.assertStatus(self.admin.get(PATH + "?company_id=%d" % other["id"]), 200)
        self.assertEqual(r["csat"]["answered"], 0)
        self.assertIsNone(r["csat"]["csat_bp"])
        self.assertIsNone(r["qa_scores"]["average_score"])
