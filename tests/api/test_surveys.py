"""
test_surveys.py - satisfaction surveys through HTTP, on SQLite and
PostgreSQL: resolving a ticket makes its survey (once; a second resolve
keeps the answer) and the resolved mail, delivered to a real SMTP server,
carries the link and a one-click link per rating; the public link reads
without changing anything and takes one answer, changeable for 7 days (the
test clock), then final; bad ratings and forged tokens; a rating of 1 or 2
tells the assignee's manager (or every manager) and opens a follow-up on the
ticket; survey.answered in the event outbox; the staff list with filters,
roles and each survey's url from settings public_url; the CSAT report
against known numbers.
"""

import re
import unittest
import urllib.parse

from harness import Client, ServerTestCase, unique
from mailservers import SmtpSink

PASSWORD = "Survey-Tests-Pass-For-Users-7!"
PUBLIC = "https://psa.firm.example"
LINK = re.compile(re.escape(PUBLIC) + r"/s/([A-Za-z0-9_-]{43})")


class SurveyCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.smtp = SmtpSink().start()
        cls.set_settings({"firm_name": "Fixit IT", "mail_from": "support@firm.example",
                          "smtp_host": "127.0.0.1", "smtp_port": cls.smtp.port,
                          "smtp_security": "none", "public_url": PUBLIC})
        cls.users = {}
        for name, role in (("tech", "technician"), ("tech2", "technician"),
                           ("boss", "manager"), ("manager", "manager"),
                           ("billing", "billing"), ("sales", "sales")):
            email = unique(name) + "@firm.example"
            cls.server.add_user(email, role, PASSWORD, name=name.title())
            client = cls.server.client(cls.server.token_for(email))
            me = client.get("/api/v1/me")[2]["user"]
            cls.users[name] = {"email": email, "client": client, "id": me["id"]}
        # tech reports to boss; tech2 to nobody (every manager hears)
        status, headers, _ = cls.admin.get("/api/v1/users/%d" % cls.uid("tech"))
        status, _, body = cls.admin.patch("/api/v1/users/%d" % cls.uid("tech"),
                                          {"manager_id": cls.uid("boss")},
                                          headers={"If-Match": headers["etag"]})
        assert status == 200 and body["manager_id"] == cls.uid("boss"), body
        status, _, company = cls.admin.post("/api/v1/companies", {"name": unique("Client ")})
        assert status == 201, company
        cls.company_id = company["id"]

    @classmethod
    def tearDownClass(cls):
        try:
            cls.smtp.stop()
        finally:
            super().tearDownClass()

    @classmethod
    def set_settings(cls, patch):
        status, headers, _ = cls.admin.get("/api/v1/settings")
        status, _, body = cls.admin.patch("/api/v1/settings", patch,
                                          headers={"If-Match": headers["etag"]})
        assert status == 200, body

    @classmethod
    def uid(cls, name):
        return cls.users[name]["id"]

    def client(self, name):
        return self.users[name]["client"]

    def get(self, path, client=None):
        return self.assertStatus((client or self.admin).get("/api/v1/" + path), 200, "GET " + path)

    def act(self, path, body=None, client=None, expect=200):
        c = client or self.admin
        item = path.rsplit("/", 1)[0]
        _, headers, _ = c.get("/api/v1/" + item)
        return self.assertStatus(c.post("/api/v1/" + path, body or {},
                                        headers={"If-Match": headers.get("etag", "")}),
                                 expect, "POST " + path)

    def contact(self, company_id=None):
        status, _, ct = self.admin.post("/api/v1/contacts", {
            "company_id": company_id or self.company_id, "first_name": "Cy",
            "last_name": unique("Client"), "email": unique("cy") + "@client.example"})
        self.assertEqual(status, 201, ct)
        return ct

    def ticket(self, assignee=None, company_id=None, contact=None):
        ct = contact or self.contact(company_id)
        body = {"subject": unique("Printer jams "), "company_id": company_id or self.company_id,
                "contact_id": ct["id"]}
        if assignee:
            body["assignee_id"] = self.uid(assignee)
        status, _, t = self.admin.post("/api/v1/tickets", body)
        self.assertEqual(status, 201, t)
        return t, ct

    def resolve(self, ticket_id):
        return self.act("tickets/%d/resolve" % ticket_id, {"resolution": "Replaced the fuser."})

    def survey_of(self, ticket_id):
        data = self.get("surveys?ticket_id=%d" % ticket_id)["data"]
        self.assertEqual(len(data), 1, data)
        return data[0]

    def token_of(self, ticket_id):
        url = self.survey_of(ticket_id)["url"]
        m = LINK.fullmatch(url)
        self.assertTrue(m, url)
        return m.group(1)

    def public(self, token):
        return Client(self.server.port)  # no credentials: the link alone

    def open_link(self, token):
        anon = self.public(token)
        return anon.get("/api/v1/public/surveys/" + token)

    def answer(self, token, body, expect=200):
        anon = self.public(token)
        resp = anon.post("/api/v1/public/surveys/" + token, body)
        if expect == 200:
            return self.assertStatus(resp, 200, "answer %r" % (body,))
        return resp

    def wait_subject(self, address, text, after=0):
        """The first message to address after index `after` whose subject has text."""
        while True:
            mail = self.smtp.wait_to(address, after)
            if text in mail["Subject"]:
                return mail
            after = next(i for i in range(after, len(self.smtp.messages))
                         if address in self.smtp.messages[i]["to"]) + 1

    def resolved_with_survey(self, assignee="tech", company_id=None):
        t, ct = self.ticket(assignee, company_id)
        self.resolve(t["id"])
        return t, ct, self.token_of(t["id"])


class TestMaking(SurveyCase):

    def test_resolve_makes_the_survey_and_the_mail_carries_its_links(self):
        before = len(self.smtp.messages)
        t, ct = self.ticket("tech")
        self.resolve(t["id"])
        s = self.survey_of(t["id"])
        self.assertEqual(s["company_id"], self.company_id)
        self.assertEqual(s["contact_id"], ct["id"])
        self.assertEqual(s["technician_id"], self.uid("tech"))
        self.assertFalse(s["answered"])
        self.assertIsNone(s["rating"])
        self.assertNotIn("token_hash", s)
        token = LINK.fullmatch(s["url"]).group(1)
        mail = self.smtp.wait_to(ct["email"], before)
        self.assertIn("Resolved", mail["Subject"])
        text = mail.get_body(("plain",)).get_content()
        self.assertIn(s["url"], text)
        for r in range(1, 6):
            self.assertIn("%s?rating=%d" % (s["url"], r), text)
        # the link in the mail opens the survey
        view = self.assertStatus(self.open_link(token), 200)
        self.assertEqual(view["ticket_number"], t["number"])
        self.assertEqual(view["ticket_subject"], t["subject"])
        self.assertEqual(view["firm_name"], "Fixit IT")
        self.assertIsNone(view["rating"])
        self.assertIsNone(view["changeable_until"])
        self.assertTrue(view["can_answer"])

    def test_status_patch_to_resolved_makes_one_too(self):
        t, _ = self.ticket("tech")
        _, headers, _ = self.admin.get("/api/v1/tickets/%d" % t["id"])
        self.assertStatus(self.admin.patch("/api/v1/tickets/%d" % t["id"], {
            "status": "resolved", "resolution": "Fixed."},
            headers={"If-Match": headers["etag"]}), 200)
        self.assertEqual(self.survey_of(t["id"])["ticket_id"], t["id"])

    def test_resolving_again_reuses_the_survey_and_keeps_the_answer(self):
        t, _, token = self.resolved_with_survey()
        first = self.survey_of(t["id"])
        self.answer(token, {"rating": 4, "comment": "Quick."})
        self.act("tickets/%d/reopen" % t["id"], {"reason": "Jams again"})
        self.server.move_clock(60)
        self.resolve(t["id"])
        again = self.survey_of(t["id"])
        self.assertEqual(again["id"], first["id"])
        self.assertEqual(again["url"], first["url"])
        self.assertEqual(again["rating"], 4)
        self.assertEqual(again["comment"], "Quick.")
        self.assertGreater(again["sent_at"], first["sent_at"])

    def test_nobody_makes_or_edits_a_survey_over_the_api(self):
        t, _, _ = self.resolved_with_survey()
        s = self.survey_of(t["id"])
        self.assertIn(self.admin.post("/api/v1/surveys", {"ticket_id": t["id"]})[0], (404, 405))
        self.assertIn(self.admin.patch("/api/v1/surveys/%d" % s["id"], {"rating": 5},
                                       headers={"If-Match": "*"})[0], (404, 405))


class TestPublicLink(SurveyCase):

    def test_get_never_changes_state(self):
        t, _, token = self.resolved_with_survey()
        before = self.survey_of(t["id"])
        for _ in range(3):
            self.assertStatus(self.open_link(token), 200)
            self.assertStatus(self.public(token).get(
                "/api/v1/public/surveys/%s?rating=1" % token), 400)
        after = self.survey_of(t["id"])
        self.assertEqual(after, before)
        events = self.get("events?type=survey.answered&record_id=%d" % before["id"])["data"]
        self.assertEqual(events, [])

    def test_answer_change_within_seven_days_then_final(self):
        t, ct, token = self.resolved_with_survey()
        view = self.answer(token, {"rating": 5, "comment": "Great work"})
        self.assertEqual(view["rating"], 5)
        self.assertEqual(view["comment"], "Great work")
        self.assertTrue(view["can_answer"])
        s = self.survey_of(t["id"])
        self.assertTrue(s["answered"])
        self.assertEqual(s["rating"], 5)
        self.assertEqual(s["answered_at"], s["first_answered_at"])
        until = view["changeable_until"]
        self.assertIsNotNone(until)
        # six days on: still changeable (a comment may go)
        self.server.move_clock(6 * 86400)
        try:
            view = self.answer(token, {"rating": 4})
            self.assertEqual(view["rating"], 4)
            self.assertIsNone(view["comment"])
            self.assertEqual(view["changeable_until"], until)
            # past the seventh day: final
            self.server.move_clock(86400 + 60)
            p = self.assertProblem(self.answer(token, {"rating": 3}, expect=None), 409, "rating")
            self.assertIn(until, p["detail"])
            view = self.assertStatus(self.open_link(token), 200)
            self.assertFalse(view["can_answer"])
            self.assertEqual(view["rating"], 4)
        finally:
            self.server.set_clock(0)
        # every answer is an event for webhooks, with the rating
        events = self.get("events?type=survey.answered&limit=100")["data"]
        mine = [e for e in events if e["data"].get("ticket_id") == t["id"]]
        self.assertNotIn("token_hash", mine[0]["data"])
        self.assertEqual(sorted(e["data"]["rating"] for e in mine), [4, 5])
        history = self.get("tickets/%d/history" % t["id"])["data"]
        self.assertIn("survey_answered", [h["kind"] for h in history])

    def test_bad_answers_are_422_naming_rating(self):
        _, _, token = self.resolved_with_survey()
        for body in ({"rating": 7}, {"rating": 0}, {"rating": "5"}, {}, {"comment": "x"},
                     {"rating": 4.5}, {"rating": None}):
            self.assertProblem(self.answer(token, body, expect=None), 422, "rating",
                               "body %r" % (body,))
        self.assertProblem(self.answer(token, {"rating": 5, "comment": "x" * 2001},
                                       expect=None), 422, "comment")
        self.assertProblem(self.answer(token, {"rating": 5, "stars": 5}, expect=None), 422,
                           "stars")
        anon = self.public(token)
        status, _, _ = anon.request("POST", "/api/v1/public/surveys/" + token,
                                    raw=b"{not json", headers={"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        # nothing was taken
        view = self.assertStatus(self.open_link(token), 200)
        self.assertIsNone(view["rating"])
        # a comment of exactly 2000 characters is fine
        self.assertEqual(self.answer(token, {"rating": 5, "comment": "é" * 2000})["rating"], 5)

    def test_forged_tokens_are_404_revealing_nothing(self):
        _, _, token = self.resolved_with_survey()
        forged = token[:-1] + ("A" if token[-1] != "A" else "B")
        for t in (forged, "x", "A" * 43, "A" * 44, urllib.parse.quote("../../etc")):
            for method, body in (("GET", None), ("POST", {"rating": 5})):
                resp = self.public(t).request(method, "/api/v1/public/surveys/" + t, body)
                p = self.assertProblem(resp, 404, what="%s %s" % (method, t))
                self.assertNotIn("ticket", str(p).lower())


class TestNegative(SurveyCase):

    def test_low_rating_tells_the_managers_manager_and_opens_a_follow_up(self):
        t, ct, token = self.resolved_with_survey("tech")
        before = len(self.smtp.messages)
        self.answer(token, {"rating": 2, "comment": "Took three visits and it still jams."})
        ticket = self.get("tickets/%d" % t["id"])
        self.assertEqual(ticket["follow_up_user_id"], self.uid("boss"))
        self.assertIsNotNone(ticket["follow_up_at"])
        self.assertEqual(ticket["follow_up_note"],
                         "Rated 2/5 by Cy %s: Took three visits and it still jams."
                         % ct["last_name"])
        boss = self.get("me/notifications?ticket_id=%d" % t["id"], self.client("boss"))["data"]
        self.assertEqual([n["kind"] for n in boss], ["negative_rating"])
        self.assertIn("2/5", boss[0]["title"])
        other = self.get("me/notifications?ticket_id=%d&kind=negative_rating" % t["id"],
                         self.client("manager"))["data"]
        self.assertEqual(other, [])
        self.assertEqual(self.survey_of(t["id"])["alerted_user_id"], self.uid("boss"))
        kinds = [h["kind"] for h in self.get("tickets/%d/history" % t["id"])["data"]]
        self.assertIn("negative_rating", kinds)
        # 2 -> 1 has been heard already; the mail to the manager went out
        self.answer(token, {"rating": 1})
        boss = self.get("me/notifications?ticket_id=%d" % t["id"], self.client("boss"))["data"]
        self.assertEqual(len(boss), 1)
        # (an earlier test's alert may still be on its way: find this one's)
        mail = self.wait_subject(self.users["boss"]["email"], t["number"], before)
        self.assertIn("Rated 2/5", mail["Subject"])
        self.assertIn("Took three visits", mail.get_body(("plain",)).get_content())

    def test_without_a_manager_every_manager_hears_and_a_change_down_alerts(self):
        t, _, token = self.resolved_with_survey("tech2")
        self.answer(token, {"rating": 4})
        for name in ("boss", "manager"):
            self.assertEqual(self.get("me/notifications?ticket_id=%d" % t["id"],
                                      self.client(name))["data"], [])
        self.assertIsNone(self.get("tickets/%d" % t["id"])["follow_up_at"])
        self.answer(token, {"rating": 1})
        for name in ("boss", "manager"):
            got = self.get("me/notifications?ticket_id=%d" % t["id"], self.client(name))["data"]
            self.assertEqual([n["kind"] for n in got], ["negative_rating"], name)
        ticket = self.get("tickets/%d" % t["id"])
        self.assertEqual(ticket["follow_up_user_id"], min(self.uid("boss"), self.uid("manager")))
        self.assertTrue(ticket["follow_up_note"].startswith("Rated 1/5 by Cy "))

    def test_a_closed_ticket_still_gets_its_follow_up(self):
        t, _, token = self.resolved_with_survey(None)
        self.act("tickets/%d/close" % t["id"])
        self.answer(token, {"rating": 1, "comment": "No."})
        ticket = self.get("tickets/%d" % t["id"])
        self.assertEqual(ticket["status"], "closed")
        self.assertTrue(ticket["follow_up_note"].endswith(": No."))


class TestStaff(SurveyCase):

    def test_roles_and_filters(self):
        mine, _, tok1 = self.resolved_with_survey("tech")
        theirs, _, tok2 = self.resolved_with_survey("tech2")
        self.answer(tok1, {"rating": 5})
        # technicians read their own tickets' surveys only
        data = self.get("surveys?limit=200", self.client("tech"))["data"]
        self.assertIn(mine["id"], [s["ticket_id"] for s in data])
        self.assertNotIn(theirs["id"], [s["ticket_id"] for s in data])
        other = self.get("surveys?ticket_id=%d" % theirs["id"])["data"][0]
        self.assertEqual(self.client("tech").get("/api/v1/surveys/%d" % other["id"])[0], 404)
        self.assertEqual(self.client("tech2").get("/api/v1/surveys/%d" % other["id"])[0], 200)
        for name in ("billing", "sales"):
            self.assertEqual(self.client(name).get("/api/v1/surveys")[0], 403, name)
            self.assertEqual(self.client(name).get("/api/v1/reports/csat?group=month")[0], 403)
        self.assertEqual(self.client("tech").get("/api/v1/reports/csat?group=month")[0], 403)
        self.assertEqual(self.client("manager").get("/api/v1/surveys")[0], 200)
        # filters
        answered = self.get("surveys?answered=true&limit=200")["data"]
        self.assertIn(mine["id"], [s["ticket_id"] for s in answered])
        self.assertNotIn(theirs["id"], [s["ticket_id"] for s in answered])
        fives = self.get("surveys?rating=5&company_id=%d&limit=200" % self.company_id)["data"]
        self.assertTrue(all(s["rating"] == 5 for s in fives))
        self.assertIn(mine["id"], [s["ticket_id"] for s in fives])
        self.assertEqual(self.get("surveys?answered_at_after=2999-01-01T00:00:00Z")["data"], [])
        one = self.get("surveys/%d" % self.survey_of(mine["id"])["id"])
        self.assertEqual(one["rating"], 5)
        self.assertTrue(LINK.fullmatch(one["url"]))
        self.assertEqual(self.admin.get("/api/v1/surveys?stars=5")[0], 400)

    def test_url_comes_from_public_url_never_the_host(self):
        t, _, token = self.resolved_with_survey()
        status, _, s = self.admin.request("GET", "/api/v1/surveys?ticket_id=%d" % t["id"],
                                          headers={"Host": "evil.example"})
        self.assertEqual(status, 200, s)
        self.assertEqual(s["data"][0]["url"], PUBLIC + "/s/" + token)
        self.set_settings({"public_url": None})
        try:
            status, _, s = self.admin.request("GET", "/api/v1/surveys?ticket_id=%d" % t["id"],
                                              headers={"Host": "evil.example"})
            self.assertEqual(s["data"][0]["url"], "/s/" + token)
        finally:
            self.set_settings({"public_url": PUBLIC})


class TestReport(ServerTestCase):
    """Known data in a fresh server: no mail set up, surveys still made."""

    def test_csat_numbers(self):
        users = {}
        for name in ("ann", "bob"):
            email = unique(name) + "@firm.example"
            self.server.add_user(email, "technician", PASSWORD, name=name.title())
            users[name] = self.server.client(self.server.token_for(email)).get(
                "/api/v1/me")[2]["user"]["id"]
        companies = {}
        for name in ("Acme", "Bolt"):
            companies[name] = self.assertStatus(self.admin.post(
                "/api/v1/companies", {"name": name + unique(" ")}), 201)["id"]

        def survey(tech, company, rating):
            t = self.assertStatus(self.admin.post("/api/v1/tickets", {
                "subject": "x", "company_id": companies[company],
                "assignee_id": users[tech]}), 201)
            _, headers, _ = self.admin.get("/api/v1/tickets/%d" % t["id"])
            self.assertStatus(self.admin.post("/api/v1/tickets/%d/resolve" % t["id"],
                                              {"resolution": "done"},
                                              headers={"If-Match": headers["etag"]}), 200)
            s = self.admin.get("/api/v1/surveys?ticket_id=%d" % t["id"])[2]["data"][0]
            token = s["url"].rsplit("/", 1)[1]
            if rating:
                self.assertStatus(self.server.client().post(
                    "/api/v1/public/surveys/" + token, {"rating": rating}), 200)

        self.server.set_clock(now="2026-03-10T12:00:00Z")
        try:
            survey("ann", "Acme", 5)
            survey("ann", "Acme", 4)
            survey("ann", "Bolt", 2)
            survey("bob", "Bolt", None)
            self.server.set_clock(now="2026-04-02T12:00:00Z")
            survey("bob", "Acme", 5)
            survey("bob", "Bolt", 3)
        finally:
            self.server.set_clock(0)

        def report(query):
            return self.assertStatus(self.admin.get("/api/v1/reports/csat?" + query), 200, query)

        tech = report("group=technician&from=2026-03-01&to=2026-05-01")
        rows = {r["label"]: r for r in tech["rows"]}
        self.assertEqual(rows["Ann"], {"key": users["ann"], "label": "Ann", "surveys_sent": 3,
                                       "answered": 3, "response_rate_bp": 10000,
                                       "average_rating": 367, "csat_bp": 6667})
        self.assertEqual(rows["Bob"], {"key": users["bob"], "label": "Bob", "surveys_sent": 3,
                                       "answered": 2, "response_rate_bp": 6667,
                                       "average_rating": 400, "csat_bp": 5000})
        self.assertEqual(tech["total"], {"surveys_sent": 6, "answered": 5,
                                         "response_rate_bp": 8333, "average_rating": 380,
                                         "csat_bp": 6000})
        months = report("group=month&from=2026-03-01&to=2026-05-01")["rows"]
        self.assertEqual([(m["key"], m["surveys_sent"], m["answered"], m["average_rating"])
                          for m in months], [("2026-03", 4, 3, 367), ("2026-04", 2, 2, 400)])
        march = report("group=client&from=2026-03-01&to=2026-04-01")["rows"]
        by = {r["key"]: r for r in march}
        self.assertEqual(by[companies["Acme"]]["csat_bp"], 10000)
        self.assertEqual(by[companies["Bolt"]]["surveys_sent"], 2)
        self.assertEqual(by[companies["Bolt"]]["answered"], 1)
        self.assertEqual(by[companies["Bolt"]]["csat_bp"], 0)
        empty = report("group=client&from=2020-01-01&to=2020-02-01")
        self.assertEqual(empty["rows"], [])
        self.assertIsNone(empty["total"]["average_rating"])
        self.assertEqual(report("from=2026-03-01&to=2026-05-01"), tech)
        for bad in ("group=", "group=week", "group=month&from=2026-13-01", "group=month&x=1",
                    "group=month&from=2026-05-01&to=2026-03-01"):
            self.assertProblem(self.admin.get("/api/v1/reports/csat?" + bad), 400, what=bad)


if __name__ == "__main__":
    unittest.main()
