"""
test_dispatch.py - a technician's visits through HTTP: check-in and
check-out (recorded times, the time entry the check-out logs on the order
with the technician's default work type, the order's work starting),
the mistakes a phone on a bad network makes (twice, out of order, a visit
for no order, another technician's visit), and what an order's end does to
its visits (closed in the same write, audited; refused while someone is
checked in).
"""

import unittest

from harness import ServerTestCase, parse_time, unique

TECH_PASSWORD = "Tech-Pass-For-Dispatch-0nly-73!"
OTHER_PASSWORD = "Other-Tech-For-Dispatch-0nly-19!"
SALES_PASSWORD = "Sales-Pass-For-Dispatch-0nly-28!"


def rfc(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class DispatchCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a fixed morning: 2026-03-10 08:00 UTC
        cls.t0 = cls.server.set_clock(now="2026-03-10T08:00:00Z")
        srv = cls.server
        cls.tech_email = unique("tina") + "@example.com"
        srv.add_user(cls.tech_email, "technician", TECH_PASSWORD, name="Tina Field")
        cls.tech = srv.client(srv.token_for(cls.tech_email))
        cls.other_email = unique("omar") + "@example.com"
        srv.add_user(cls.other_email, "technician", OTHER_PASSWORD, name="Omar Other")
        cls.other = srv.client(srv.token_for(cls.other_email))
        cls.sales_email = unique("sam") + "@example.com"
        srv.add_user(cls.sales_email, "sales", SALES_PASSWORD)
        cls.sales = srv.client(srv.token_for(cls.sales_email))
        _, _, users = cls.admin.get("/api/v1/users?limit=100")
        ids = {u["email"]: u["id"] for u in users["data"]}
        cls.tech_id, cls.other_id = ids[cls.tech_email], ids[cls.other_email]
        status, _, company = cls.admin.post("/api/v1/companies", {"name": unique("Harbor Dental ")})
        assert status == 201, company
        cls.company_id = company["id"]
        status, _, wt = cls.admin.post("/api/v1/work-types", {"name": unique("On-site "),
                                                              "hourly_rate": 12000})
        assert status == 201, wt
        cls.onsite = wt["id"]
        status, _, wt = cls.admin.post("/api/v1/work-types", {"name": unique("Remote "),
                                                              "hourly_rate": 9000})
        assert status == 201, wt
        cls.remote = wt["id"]
        # Tina logs on-site work unless she says otherwise
        status, headers, _ = cls.admin.get("/api/v1/users/%d" % cls.tech_id)
        status, _, body = cls.admin.patch("/api/v1/users/%d" % cls.tech_id,
                                          {"default_work_type_id": cls.onsite},
                                          headers={"If-Match": headers["etag"]})
        assert status == 200 and body["default_work_type_id"] == cls.onsite, body

    def ticket(self, **fields):
        body = {"subject": unique("Chair light flickers "), "company_id": self.company_id}
        body.update(fields)
        return self.assertStatus(self.admin.post("/api/v1/tickets", body), 201, "ticket")

    def visit(self, ticket_id=None, user_id=None, start=0, hours=2, **extra):
        """A visit starting start seconds from now (the server's clock)."""
        now = self.server.now()
        body = {"user_id": user_id or self.tech_id, "starts_at": rfc(now + start),
                "ends_at": rfc(now + start + hours * 3600), "title": unique("Visit "),
                "allow_overlap": True}
        if ticket_id:
            body["ticket_id"] = ticket_id
        body.update(extra)
        return self.assertStatus(self.admin.post("/api/v1/appointments", body), 201, "visit")

    def act(self, client, visit_id, verb, body=None):
        return client.post("/api/v1/appointments/%d/%s" % (visit_id, verb), body or {})

    def get(self, path):
        return self.assertStatus(self.admin.get("/api/v1/" + path), 200, path)

    def resolve(self, client, ticket_id, resolution):
        status, headers, _ = client.get("/api/v1/tickets/%d" % ticket_id)
        self.assertEqual(status, 200)
        return client.post("/api/v1/tickets/%d/resolve" % ticket_id, {"resolution": resolution},
                           headers={"If-Match": headers["etag"]})

    def patch(self, path, body, expect=200):
        status, headers, _ = self.admin.get("/api/v1/" + path)
        self.assertEqual(status, 200)
        resp = self.admin.patch("/api/v1/" + path, body, headers={"If-Match": headers["etag"]})
        return resp if expect is None else self.assertStatus(resp, expect, path)


class TestCheckInOut(DispatchCase):

    def test_check_in_then_out_logs_the_time_on_the_order(self):
        t = self.ticket(assignee_id=self.tech_id)
        self.assertEqual(t["status"], "assigned")
        v = self.visit(t["id"])
        self.assertIsNone(v["checked_in_at"])
        self.assertIsNone(v["checked_out_at"])

        v1 = self.assertStatus(self.act(self.tech, v["id"], "check-in"), 200, "check-in")
        self.assertEqual(v1["status"], "in_progress")
        arrived = parse_time(v1["checked_in_at"])
        self.assertLessEqual(abs(arrived - self.server.now()), 120)
        # the technician on site: the order's work has started
        self.assertEqual(self.get("tickets/%d" % t["id"])["status"], "in_progress")

        # twice (a phone retrying) is a conflict that says since when
        p = self.assertProblem(self.act(self.tech, v["id"], "check-in"), 409, "checked_in_at")
        self.assertIn("checked in already", p["errors"][0]["message"])

        # leaving 47 minutes after arriving, told afterwards
        self.server.move_clock(3600)
        v2 = self.assertStatus(self.act(self.tech, v["id"], "check-out",
                                        {"at": rfc(arrived + 47 * 60)}), 200, "check-out")
        self.assertEqual(v2["status"], "done")
        self.assertEqual(parse_time(v2["checked_out_at"]), arrived + 47 * 60)
        te = self.get("time-entries/%d" % v2["time_entry_id"])
        self.assertEqual(te["ticket_id"], t["id"])
        self.assertEqual(te["user_id"], self.tech_id)
        self.assertEqual(te["minutes"], 47)
        self.assertEqual(te["work_type_id"], self.onsite)	# her default
        self.assertEqual(te["started_at"], v1["checked_in_at"])
        self.assertTrue(te["billable"])
        self.assertEqual(te["notes"], v["title"])
        entries = self.get("time-entries?ticket_id=%d" % t["id"])["data"]
        self.assertEqual([e["id"] for e in entries], [te["id"]])

        p = self.assertProblem(self.act(self.tech, v["id"], "check-out"), 409, "checked_out_at")
        self.assertIn("checked out already", p["errors"][0]["message"])
        p = self.assertProblem(self.act(self.tech, v["id"], "check-in"), 409, "checked_in_at")
        # both are in the audit log under the technician
        audit = self.get("audit?resource=appointments&record_id=%d" % v["id"])["data"]
        actions = sorted(a["action"] for a in audit)
        self.assertIn("check-in", actions)
        self.assertIn("check-out", actions)

    def test_check_out_now_counts_a_started_minute(self):
        t = self.ticket()
        v = self.visit(t["id"])
        v1 = self.assertStatus(self.act(self.tech, v["id"], "check-in"), 200)
        self.server.move_clock(20 * 60)
        v2 = self.assertStatus(self.act(self.tech, v["id"], "check-out",
                                        {"work_type_id": self.remote, "notes": "Reseated cable"}),
                               200)
        worked = parse_time(v2["checked_out_at"]) - parse_time(v1["checked_in_at"])
        te = self.get("time-entries/%d" % v2["time_entry_id"])
        self.assertEqual(te["minutes"], max(1, -(-worked // 60)))
        self.assertEqual(te["work_type_id"], self.remote)
        self.assertEqual(te["notes"], "Reseated cable")

    def test_out_of_order_and_bad_input(self):
        t = self.ticket()
        v = self.visit(t["id"])
        p = self.assertProblem(self.act(self.tech, v["id"], "check-out"), 409, "checked_in_at")
        self.assertIn("check in before checking out", p["errors"][0]["message"])
        self.assertProblem(self.act(self.tech, 999999, "check-in"), 404)
        self.assertProblem(self.tech.post("/api/v1/appointments/abc/check-in", {}), (400, 404))
        # the times are the server's: not writable
        self.patch("appointments/%d" % v["id"], {"checked_in_at": "2026-03-10T08:00:00Z"},
                   expect=422)
        # a check-in takes no body
        self.assertProblem(self.act(self.tech, v["id"], "check-in", {"at": "x"}), 422, "")

        self.assertStatus(self.act(self.tech, v["id"], "check-in"), 200)
        arrived = parse_time(self.get("appointments/%d" % v["id"])["checked_in_at"])
        for body, field in (({"at": "yesterday"}, "at"),
                            ({"at": rfc(arrived - 60)}, "at"),
                            ({"at": rfc(self.server.now() + 3600)}, "at"),
                            ({"work_type_id": 999999}, "work_type_id"),
                            ({"work_type_id": "x"}, "work_type_id"),
                            ({"notes": "x" * 10001}, "notes"),
                            ({"minutes": 5}, "minutes")):
            self.assertProblem(self.act(self.tech, v["id"], "check-out", body), 422, field,
                               "check-out %r" % (body,))
        # nothing was logged by the refused check-outs
        self.assertEqual(self.get("time-entries?ticket_id=%d" % t["id"])["data"], [])
        self.assertIsNone(self.get("appointments/%d" % v["id"])["checked_out_at"])

    def test_more_than_a_day_needs_the_time_left(self):
        t = self.ticket()
        v = self.visit(t["id"])
        v1 = self.assertStatus(self.act(self.tech, v["id"], "check-in"), 200)
        self.server.move_clock(26 * 3600)
        p = self.assertProblem(self.act(self.tech, v["id"], "check-out"), 422, "at")
        self.assertIn("more than 24 hours", p["errors"][0]["message"])
        arrived = parse_time(v1["checked_in_at"])
        v2 = self.assertStatus(self.act(self.tech, v["id"], "check-out",
                                        {"at": rfc(arrived + 5 * 3600)}), 200)
        self.assertEqual(self.get("time-entries/%d" % v2["time_entry_id"])["minutes"], 300)

    def test_a_visit_for_no_order(self):
        v = self.visit(None, title="Team meeting")
        p = self.assertProblem(self.act(self.tech, v["id"], "check-in"), 409, "ticket_id")
        self.assertIn("no service order", p["errors"][0]["message"])

    def test_a_cancelled_visit(self):
        t = self.ticket()
        v = self.visit(t["id"], status="cancelled")
        p = self.assertProblem(self.act(self.tech, v["id"], "check-in"), 409, "status")
        self.assertIn("cancelled", p["errors"][0]["message"])

    def test_without_a_default_work_type_the_check_out_asks(self):
        t = self.ticket()
        v = self.visit(t["id"], user_id=self.other_id)
        self.assertStatus(self.act(self.other, v["id"], "check-in"), 200)
        p = self.assertProblem(self.act(self.other, v["id"], "check-out"), 422, "work_type_id")
        self.assertIn("no default work type", p["errors"][0]["message"])
        v2 = self.assertStatus(self.act(self.other, v["id"], "check-out",
                                        {"work_type_id": self.remote}), 200)
        self.assertEqual(self.get("time-entries/%d" % v2["time_entry_id"])["user_id"],
                         self.other_id)


class TestRoles(DispatchCase):

    def test_a_technician_checks_in_on_their_own_visits_only(self):
        t = self.ticket()
        v = self.visit(t["id"], user_id=self.tech_id)
        p = self.assertProblem(self.act(self.other, v["id"], "check-in"), 403, "user_id")
        self.assertIn("only your own", p["errors"][0]["message"])
        self.assertProblem(self.act(self.sales, v["id"], "check-in"), 403)
        self.assertProblem(self.server.client().post(
            "/api/v1/appointments/%d/check-in" % v["id"], {}), 401)
        self.assertIsNone(self.get("appointments/%d" % v["id"])["checked_in_at"])
        self.assertStatus(self.act(self.tech, v["id"], "check-in"), 200)
        self.assertProblem(self.act(self.other, v["id"], "check-out"), 403, "user_id")
        # a manager (here the admin) checks anyone out
        v2 = self.assertStatus(self.act(self.admin, v["id"], "check-out"), 200)
        self.assertEqual(v2["status"], "done")

    def test_a_technician_books_and_moves_their_own_visits_only(self):
        now = self.server.now()
        body = {"user_id": self.other_id, "starts_at": rfc(now + 86400),
                "ends_at": rfc(now + 90000), "allow_overlap": True}
        self.assertProblem(self.tech.post("/api/v1/appointments", body), 403, "user_id")
        body["user_id"] = self.tech_id
        mine = self.assertStatus(self.tech.post("/api/v1/appointments", body), 201)
        theirs = self.visit(None, user_id=self.other_id, start=86400)
        status, headers, _ = self.tech.get("/api/v1/appointments/%d" % theirs["id"])
        self.assertEqual(status, 200)	# reading the board is for everyone
        self.assertProblem(self.tech.patch("/api/v1/appointments/%d" % theirs["id"],
                                           {"title": "Mine now"},
                                           headers={"If-Match": headers["etag"]}), 403)
        # nor give their own away
        self.assertProblem(self.tech.patch("/api/v1/appointments/%d" % mine["id"],
                                           {"user_id": self.other_id},
                                           headers={"If-Match": '"%d"' % mine["version"]}), 403)

    def test_only_an_admin_sets_the_default_work_type(self):
        status, headers, _ = self.tech.get("/api/v1/users/%d" % self.tech_id)
        self.assertEqual(status, 200)
        self.assertProblem(self.tech.patch("/api/v1/users/%d" % self.tech_id,
                                           {"default_work_type_id": self.remote},
                                           headers={"If-Match": headers["etag"]}), 403)
        self.patch("users/%d" % self.other_id, {"default_work_type_id": 999999}, expect=422)


class TestOrderEnd(DispatchCase):

    def test_resolving_closes_the_open_visits(self):
        t = self.ticket(assignee_id=self.tech_id)
        begun = self.visit(t["id"], start=-3600)		# this morning, never checked in
        later = self.visit(t["id"], start=2 * 86400)		# the day after tomorrow
        done = self.visit(t["id"], start=-7200, hours=1)
        self.assertStatus(self.act(self.tech, done["id"], "check-in"), 200)
        self.server.move_clock(600)
        self.assertStatus(self.act(self.tech, done["id"], "check-out"), 200)
        other_order = self.visit(self.ticket()["id"], start=3600)
        self.assertStatus(self.resolve(self.tech, t["id"], "Replaced the lamp driver."), 200)
        self.assertEqual(self.get("appointments/%d" % begun["id"])["status"], "done")
        self.assertEqual(self.get("appointments/%d" % later["id"])["status"], "cancelled")
        self.assertEqual(self.get("appointments/%d" % done["id"])["status"], "done")
        self.assertEqual(self.get("appointments/%d" % other_order["id"])["status"], "scheduled")
        # audited as the technician's resolution did it
        audit = self.get("audit?resource=appointments&record_id=%d" % later["id"])["data"]
        changes = [a for a in audit if a["action"] == "update"]
        self.assertEqual(len(changes), 1, audit)
        self.assertEqual(changes[0]["after"]["status"], "cancelled")
        self.assertEqual(changes[0]["actor_id"], self.tech_id)
        # a visit booked on the resolved order cannot be checked into
        v = self.visit(t["id"], start=3600)
        p = self.assertProblem(self.act(self.tech, v["id"], "check-in"), 409, "ticket_id")
        self.assertIn("is resolved", p["errors"][0]["message"])

    def test_cancelling_by_patch_closes_them_too(self):
        t = self.ticket()
        v = self.visit(t["id"], start=86400)
        # a visit a quote's acceptance proposed and nobody agreed yet goes too
        proposed = self.visit(t["id"], start=2 * 86400, status="proposed")
        self.patch("tickets/%d" % t["id"], {"status": "cancelled"})
        self.assertEqual(self.get("appointments/%d" % v["id"])["status"], "cancelled")
        self.assertEqual(self.get("appointments/%d" % proposed["id"])["status"], "cancelled")

    def test_no_end_while_someone_is_on_site(self):
        t = self.ticket()
        v = self.visit(t["id"])
        self.assertStatus(self.act(self.tech, v["id"], "check-in"), 200)
        p = self.assertProblem(self.resolve(self.admin, t["id"], "Done remotely."), 409, "status")
        self.assertIn("is checked in on a visit", p["errors"][0]["message"])
        self.patch("tickets/%d" % t["id"], {"status": "cancelled"}, expect=409)
        self.assertEqual(self.get("tickets/%d" % t["id"])["status"], "in_progress")
        self.server.move_clock(900)
        self.assertStatus(self.act(self.tech, v["id"], "check-out"), 200)
        self.assertStatus(self.resolve(self.admin, t["id"], "Done on site."), 200)
        self.assertEqual(self.get("appointments/%d" % v["id"])["status"], "done")


if __name__ == "__main__":
    unittest.main()
