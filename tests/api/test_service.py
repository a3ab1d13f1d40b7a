"""
test_service.py - the service desk through HTTP: users and certifications,
the catalog (products, work types), calendars, SLA policies, contracts,
service orders with their status rules, notes and SLA clocks, and time
entries, including the bad input a real client sends.
"""

import re
import unittest
import urllib.parse

import harness
from harness import BACKEND, ServerTestCase, needs_test_build, unique

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TECH_PASSWORD = "Tech-Pass-For-Tests-0nly-91!"
BILLING_PASSWORD = "Billing-Pass-For-Tests-0nly-44!"


class ServiceCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech_email = unique("tech") + "@example.com"
        cls.server.add_user(cls.tech_email, "technician", TECH_PASSWORD)
        cls.tech = cls.server.client(cls.server.token_for(cls.tech_email))
        cls.billing_email = unique("billing") + "@example.com"
        cls.server.add_user(cls.billing_email, "billing", BILLING_PASSWORD)
        cls.billing = cls.server.client(cls.server.token_for(cls.billing_email))
        status, _, company = cls.admin.post("/api/v1/companies", {"name": unique("Client ")})
        assert status == 201, company
        cls.company_id = company["id"]

    def create(self, path, body, client=None):
        resp = (client or self.admin).post("/api/v1/" + path, body)
        return self.assertStatus(resp, 201, "create %s %r" % (path, body))

    def patch(self, path, body, client=None, expect=200):
        c = client or self.admin
        status, headers, cur = c.get("/api/v1/" + path)
        self.assertEqual(status, 200, cur)
        resp = c.patch("/api/v1/" + path, body, headers={"If-Match": headers["etag"]})
        if expect is None:
            return resp
        return self.assertStatus(resp, expect, "patch %s %r" % (path, body))

    def ticket(self, **fields):
        body = {"subject": unique("Printer jams "), "company_id": self.company_id}
        body.update(fields)
        return self.create("tickets", body)

    def calendar(self, **fields):
        body = {"name": unique("Office hours "), "timezone": "Europe/Berlin",
                "hours": [{"weekday": d, "start": "08:00", "end": "17:00"} for d in range(1, 6)]}
        body.update(fields)
        return self.create("calendars", body)


class TestTickets(ServiceCase):

    def test_numbers_are_sequential_and_unique(self):
        a, b = self.ticket(), self.ticket()
        for t in (a, b):
            self.assertRegex(t["number"], r"^T-\d{6}$")
        self.assertEqual(int(b["number"][2:]), int(a["number"][2:]) + 1)
        self.assertEqual(a["status"], "new")
        self.assertEqual(a["priority"], "medium")
        self.assertIn("sla", a)
        for key in ("policy_id", "response_due_at", "resolution_due_at", "response_breached",
                    "resolution_breached", "paused_minutes"):
            self.assertIn(key, a["sla"])

    def test_number_is_read_only(self):
        self.assertProblem(self.admin.post("/api/v1/tickets", {
            "subject": "x", "company_id": self.company_id, "number": "T-999999"}), 422, "number")

    def test_bad_input(self):
        cases = [
            ({"company_id": self.company_id}, "subject"),
            ({"subject": "x"}, "company_id"),
            ({"subject": "x", "company_id": self.company_id, "priority": "urgent"}, "priority"),
            ({"subject": "x", "company_id": self.company_id, "kind": "party"}, "kind"),
            ({"subject": "x", "company_id": 99999999}, "company_id"),
            ({"subject": "x", "company_id": self.company_id, "tier": 4}, "tier"),
            ({"subject": "x", "company_id": self.company_id, "required_skills": "wifi"},
             "required_skills"),
            ({"subject": "x", "company_id": self.company_id, "status": "resolved"}, "status"),
            ({"subject": "x", "company_id": self.company_id, "assignee_id": 99999999},
             "assignee_id"),
        ]
        for body, field in cases:
            self.assertProblem(self.admin.post("/api/v1/tickets", body), 422, field, repr(body))

    def test_site_must_belong_to_the_company(self):
        other = self.create("companies", {"name": unique("Other ")})
        site = self.create("sites", {"company_id": other["id"], "name": "HQ"})
        self.assertProblem(self.admin.post("/api/v1/tickets", {
            "subject": "x", "company_id": self.company_id, "site_id": site["id"]}), 422, "site_id")

    def test_transitions(self):
        t = self.ticket()
        path = "tickets/%d" % t["id"]
        # new -> closed is not allowed: 409 naming the allowed ones
        resp = self.patch(path, {"status": "closed"}, expect=None)
        body = self.assertProblem(resp, 409, "status")
        self.assertIn("in_progress", body["detail"])
        self.assertIn("resolved", body["detail"])
        t = self.patch(path, {"status": "in_progress"})
        self.assertRegex(t["first_responded_at"], RFC3339)
        # resolving needs a resolution
        self.assertProblem(self.patch(path, {"status": "resolved"}, expect=None), 422,
                           "resolution")
        t = self.patch(path, {"status": "resolved", "resolution": "Replaced the fuser"})
        self.assertRegex(t["resolved_at"], RFC3339)
        t = self.patch(path, {"status": "closed"})
        self.assertRegex(t["closed_at"], RFC3339)
        # closed: read-only but for reopening
        self.assertProblem(self.patch(path, {"subject": "changed"}, expect=None), 409, "subject")
        self.assertProblem(self.admin.post("/api/v1/tickets/%d/notes" % t["id"],
                                           {"body": "late note"}), 409)
        t = self.patch(path, {"status": "in_progress"})
        self.assertIsNone(t["resolved_at"])
        self.assertIsNone(t["closed_at"])

    def test_assigning_a_new_ticket_assigns_it(self):
        status, _, users = self.admin.get("/api/v1/users?email=" + self.tech_email)
        self.assertEqual(status, 200)
        tech_id = users["data"][0]["id"]
        t = self.ticket()
        t = self.patch("tickets/%d" % t["id"], {"assignee_id": tech_id})
        self.assertEqual(t["status"], "assigned")
        status, _, page = self.admin.get("/api/v1/tickets?assignee_id=%d&status=assigned" % tech_id)
        self.assertIn(t["id"], [x["id"] for x in page["data"]])
        # created with an assignee, a ticket starts assigned
        made = self.ticket(assignee_id=tech_id)
        self.assertEqual(made["status"], "assigned")
        # "none" finds the ones nobody has
        loose = self.ticket()
        status, _, page = self.admin.get("/api/v1/tickets?assignee_id=none&limit=200")
        ids = [x["id"] for x in page["data"]]
        self.assertIn(loose["id"], ids)
        self.assertNotIn(made["id"], ids)
        self.assertTrue(all(x["assignee_id"] is None for x in page["data"]))
        self.assertProblem(self.admin.get("/api/v1/tickets?assignee_id=none,%d" % tech_id), 400)
        self.assertProblem(self.admin.get("/api/v1/tickets?priority=none"), 400)

    def test_notes_public_note_is_first_response(self):
        t = self.ticket()
        self.assertIsNone(t["first_responded_at"])
        path = "/api/v1/tickets/%d/notes" % t["id"]
        internal = self.create(path[8:], {"body": "Checked the logs"})
        self.assertEqual(internal["visibility"], "internal")
        self.assertEqual(internal["ticket_id"], t["id"])
        self.assertIsNotNone(internal["author_id"])
        status, _, t2 = self.admin.get("/api/v1/tickets/%d" % t["id"])
        self.assertIsNone(t2["first_responded_at"])
        self.create(path[8:], {"body": "We are on it", "visibility": "public"})
        status, _, t3 = self.admin.get("/api/v1/tickets/%d" % t["id"])
        self.assertRegex(t3["first_responded_at"], RFC3339)
        status, _, notes = self.admin.get(path)
        self.assertEqual(status, 200)
        self.assertEqual([n["body"] for n in notes["data"]], ["Checked the logs", "We are on it"])
        # notes are searchable through their ticket
        word = unique("zebra")
        self.create(path[8:], {"body": "the %s cable" % word})
        status, _, found = self.admin.get("/api/v1/tickets?q=" + word)
        self.assertEqual([x["id"] for x in found["data"]], [t["id"]])

    def test_client_note_is_no_first_response(self):
        t = self.ticket()
        contact = self.create("contacts", {"company_id": self.company_id,
                                           "first_name": "Grace", "last_name": "Caller"})
        note = self.create("tickets/%d/notes" % t["id"], {
            "body": "Client called: still jammed", "visibility": "public",
            "contact_id": contact["id"]})
        self.assertEqual(note["contact_id"], contact["id"])
        self.assertIsNone(self.admin.get("/api/v1/tickets/%d" % t["id"])[2]["first_responded_at"])
        # a contact of another company cannot speak on this ticket
        other = self.create("companies", {"name": unique("Other ")})
        stranger = self.create("contacts", {"company_id": other["id"], "first_name": "Eve",
                                            "last_name": "Stranger"})
        self.assertProblem(self.admin.post("/api/v1/tickets/%d/notes" % t["id"], {
            "body": "x", "contact_id": stranger["id"]}), 422, "contact_id")
        self.assertProblem(self.admin.post("/api/v1/tickets/%d/notes" % t["id"], {
            "body": "x", "contact_id": 99999999}), 422, "contact_id")

    def test_notes_of_unknown_or_other_ticket(self):
        t, other = self.ticket(), self.ticket()
        note = self.create("tickets/%d/notes" % t["id"], {"body": "x"})
        self.assertProblem(self.admin.get("/api/v1/tickets/99999999/notes"), 404)
        self.assertProblem(self.admin.post("/api/v1/tickets/99999999/notes", {"body": "x"}), 404)
        self.assertProblem(self.admin.get("/api/v1/tickets/%d/notes/%d" % (other["id"], note["id"])),
                           404)
        self.assertProblem(self.admin.post("/api/v1/tickets/%d/notes" % t["id"],
                                           {"body": "x", "ticket_id": other["id"]}), 422,
                           "ticket_id")

    def test_priority_sorts_by_urgency(self):
        company = self.create("companies", {"name": unique("Sorted ")})
        for p in ("low", "critical", "medium", "high", "critical"):
            self.ticket(priority=p, company_id=company["id"])
        seen, cursor = [], None
        while True:  # two at a time: the cursor carries the enum's place
            q = "/api/v1/tickets?company_id=%d&sort=priority&limit=2" % company["id"]
            status, _, page = self.admin.get(q + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(status, 200, page)
            seen += [t["priority"] for t in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, ["critical", "critical", "high", "medium", "low"])
        status, _, page = self.admin.get("/api/v1/tickets?company_id=%d&sort=-priority"
                                         % company["id"])
        self.assertEqual([t["priority"] for t in page["data"]][:2], ["low", "medium"])

    def test_search_by_subject(self):
        word = unique("toner")
        t = self.ticket(subject="Out of %s on floor 3" % word)
        status, _, found = self.admin.get("/api/v1/tickets?q=" + word)
        self.assertEqual([x["id"] for x in found["data"]], [t["id"]])

    def test_a_rare_word_searched_again_pages_alike(self):
        # past a window of 200 tickets a rare word is fetched through the index,
        # and on PostgreSQL remembered as rare: the same search again goes there
        # at once; both ways give the same pages, newest first
        word = unique("quokka")
        made = [self.ticket(subject="Backup %s failed" % word)["id"] for _ in range(3)]
        for _ in range(205):
            self.ticket(subject="Routine check")
        for _ in range(3):
            first = self.assertStatus(self.admin.get(
                "/api/v1/tickets?limit=2&q=" + word), 200)
            self.assertEqual([x["id"] for x in first["data"]], made[:0:-1])
            rest = self.assertStatus(self.admin.get(
                "/api/v1/tickets?limit=2&q=%s&cursor=%s"
                % (word, urllib.parse.quote(first["next_cursor"], safe=""))), 200)
            self.assertEqual([x["id"] for x in rest["data"]], made[:1])
            self.assertIsNone(rest.get("next_cursor"))
            # the prefix as it is typed, and the word with another
            typed = self.assertStatus(self.admin.get(
                "/api/v1/tickets?q=backup%20" + word[:-2]), 200)
            self.assertEqual([x["id"] for x in typed["data"]], made[::-1])

    def test_history_records_changes(self):
        t = self.ticket()
        self.patch("tickets/%d" % t["id"], {"priority": "high"})
        status, _, audit = self.admin.get("/api/v1/audit?resource=tickets&record_id=%d" % t["id"])
        self.assertEqual(status, 200, audit)
        self.assertGreaterEqual(len(audit["data"]), 2)

    def test_roles(self):
        # billing reads tickets but does not edit them
        t = self.ticket()
        self.assertStatus(self.billing.get("/api/v1/tickets/%d" % t["id"]), 200)
        self.assertProblem(self.billing.post("/api/v1/tickets", {
            "subject": "x", "company_id": self.company_id}), 403)
        # technicians work tickets
        self.assertStatus(self.tech.post("/api/v1/tickets", {
            "subject": "x", "company_id": self.company_id}), 201)
        # tickets are never deleted
        status, _, _ = self.admin.delete("/api/v1/tickets/%d" % t["id"],
                                         headers={"If-Match": "*"})
        self.assertIn(status, (404, 405))


class TestSearch(ServiceCase):
    """
    Searching service orders: newest first, the last word a prefix as it is
    typed (the others whole words), with filters and cursors, over more
    matches than the index's first window.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.word = unique("gizmo")
        cls.other_id = cls.admin.post("/api/v1/companies", {"name": unique("Other ")})[2]["id"]

        def made(company_id, n, **fields):
            out = []
            for _ in range(n):
                body = {"subject": "The %s is jammed" % cls.word, "company_id": company_id}
                body.update(fields)
                status, _, t = cls.admin.post("/api/v1/tickets", body)
                assert status == 201, t
                out.append(t)
            return out

        old = made(cls.company_id, 2, priority="high")
        cls.mine_old = [t["id"] for t in old]
        # 1,200 more of another company's, made at the same time as the old ones
        rows = ("SELECT '%s', '%s', 'S-%s-' || x, 'Widget %s ' || x, 'incident', 'phone',"
                " 'low', 'new', %d" % (old[-1]["created_at"], old[-1]["created_at"], cls.word,
                                      cls.word, cls.other_id))
        cols = ("INSERT INTO tickets (created_at, updated_at, number, subject, kind, channel,"
                " priority, status, company_id) ")
        if BACKEND == "postgres":
            cls.server.execute(cols + rows.replace("|| x", "|| x::text")
                               + " FROM generate_series(1, 1200) AS g(x)")
        else:
            cls.server.execute("WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g"
                               " WHERE x < 1200) " + cols + rows + " FROM g")
        cls.mine_new = [t["id"] for t in made(cls.company_id, 3)]
        cls.theirs_new = [t["id"] for t in made(cls.other_id, 4)]

    @unittest.skipUnless(BACKEND == "postgres", "a GIN index's pending list (PostgreSQL)")
    def test_few_words_wait_unmerged_in_the_index(self):
        # The 1,200 tickets written in one statement (setUpClass): their words
        # went to the GIN index's pending list first, which every search
        # reads whole until it outgrows gin_pending_list_limit and is merged.
        # 64 kB (0037) holds at most 8 pages; the default 4 MB kept them all.
        harness.pg_query(self.server.database_url, "CREATE EXTENSION IF NOT EXISTS pgstattuple")
        _, rows = harness.pg_query(
            self.server.database_url,
            "SELECT c.relname, c.reloptions::text, (pgstatginindex(c.oid)).pending_pages"
            " FROM pg_class c JOIN pg_am a ON a.oid = c.relam"
            " WHERE a.amname = 'gin' ORDER BY c.relname")
        self.assertIn("tickets_search", [r[0] for r in rows])
        self.assertGreaterEqual(len(rows), 9)
        for name, options, pending in rows:
            self.assertEqual(options, "{gin_pending_list_limit=64}", name)
            self.assertLessEqual(int(pending), 8, name)
        # and what waits is found
        body = self.assertStatus(self.admin.get("/api/v1/tickets?" + urllib.parse.urlencode(
            {"q": "widget " + self.word, "limit": 3})), 200)
        self.assertEqual(len(body["data"]), 3)

    def walk(self, params, client=None, path="/api/v1/tickets"):
        """Every page of a search: the records in order."""
        out, cursor = [], None
        for _ in range(100):
            page = dict(params, cursor=cursor) if cursor else params
            body = self.assertStatus((client or self.admin).get(
                path + "?" + urllib.parse.urlencode(page)), 200)
            out += body["data"]
            cursor = body["next_cursor"]
            if not cursor:
                return out
        self.fail("more than 100 pages")

    def test_newest_first(self):
        first = self.assertStatus(self.admin.get("/api/v1/tickets?" + urllib.parse.urlencode(
            {"q": self.word, "limit": 5})), 200)["data"]
        newest = self.theirs_new[::-1] + self.mine_new[::-1]
        self.assertEqual([t["id"] for t in first], newest[:5])
        for sort in ("-created_at", "-id"):
            found = self.walk({"q": self.word, "limit": 200, "sort": sort})
            ids = [t["id"] for t in found]
            self.assertEqual(len(ids), 1209, sort)
            self.assertEqual(ids, sorted(ids, reverse=True), sort)
            self.assertEqual(ids[:7], newest, sort)
            self.assertEqual(ids[-2:], self.mine_old[::-1], sort)
            times = [t["created_at"] for t in found]
            self.assertEqual(times, sorted(times, reverse=True), sort)
        # oldest first the other way round
        ids = [t["id"] for t in self.walk({"q": self.word, "limit": 150, "sort": "created_at"})]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(ids), 1209)

    def test_filters_and_scope_with_a_search(self):
        mine = {"q": self.word, "company_id": self.company_id, "limit": 2}
        self.assertEqual([t["id"] for t in self.walk(mine)],
                         self.mine_new[::-1] + self.mine_old[::-1])
        self.assertEqual([t["id"] for t in self.walk({"q": "jammed " + self.word,
                                                       "priority": "high"})],
                         self.mine_old[::-1])
        self.assertEqual([t["id"] for t in self.walk(dict(mine, priority="low"))], [])
        # sorted by another column, the search is the same set
        by_priority = self.walk({"q": self.word, "company_id": self.company_id,
                                 "sort": "priority", "limit": 2})
        self.assertEqual([t["id"] for t in by_priority][:2], self.mine_old)
        self.assertEqual(sorted(t["id"] for t in by_priority),
                         sorted(self.mine_new + self.mine_old))

    def test_the_last_word_is_a_prefix(self):
        part = self.word[:-3]
        first = self.assertStatus(self.admin.get("/api/v1/tickets?" + urllib.parse.urlencode(
            {"q": "JAMMED " + part, "limit": 2})), 200)["data"]
        self.assertEqual([t["id"] for t in first], self.theirs_new[::-1][:2])
        # an earlier word must be whole
        for text in (part + " jammed", part + " " + self.word):
            self.assertEqual(self.assertStatus(self.admin.get(
                "/api/v1/tickets?" + urllib.parse.urlencode({"q": text})), 200)["data"], [], text)
        # widget is only in the 1,200: the prefix spells out to the whole word
        found = self.assertStatus(self.admin.get("/api/v1/tickets?" + urllib.parse.urlencode(
            {"q": self.word + " widg", "limit": 3})), 200)["data"]
        self.assertEqual(len(found), 3)
        self.assertTrue(all(t["subject"].startswith("Widget ") for t in found))
        self.assertTrue(all(t["company_id"] == self.other_id for t in found))

    def test_nothing_and_syntax(self):
        for text in (self.word + "x", "zq" + self.word, self.word + " nosuchwordqq"):
            body = self.assertStatus(self.admin.get("/api/v1/tickets?" + urllib.parse.urlencode(
                {"q": text})), 200)
            self.assertEqual((body["data"], body["next_cursor"]), ([], None), text)
        # query syntax of either database is just text: never an error
        for text in ('"', '"%s"' % self.word, self.word + "*", "%s OR x" % self.word,
                     "NOT " + self.word, "NEAR(%s" % self.word, "%s:*" % self.word, "a & !b | c",
                     "x <-> y", "'; --", "(", ")", "-" + self.word, "col:" + self.word, "^",
                     "\\", "%", "_", "日本", "ünïcödé", "😀", "\x01", "O'Brien", "  ",
                     "«%s»" % self.word, "‹x› ﬀ ½ ⅓ ™ ©", "—", "x‐y"):
            self.assertStatus(self.admin.get("/api/v1/tickets?" + urllib.parse.urlencode(
                {"q": text, "company_id": self.company_id})), 200, "q=%r" % text)
            self.assertStatus(self.admin.get("/api/v1/tickets?" + urllib.parse.urlencode(
                {"q": text, "limit": 3})), 200, "q=%r" % text)
        # quotes and punctuation separate words like spaces
        quoted = self.assertStatus(self.admin.get("/api/v1/tickets?" + urllib.parse.urlencode(
            {"q": '"%s" (jammed)' % self.word, "company_id": self.company_id})), 200)["data"]
        self.assertEqual(len(quoted), 5)


class TestTerms(ServiceCase):

    def test_calendar_validation(self):
        bad = [
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"hours": [{"weekday": 8, "start": "08:00", "end": "17:00"}]}, "hours"),
            ({"hours": [{"weekday": 1, "start": "8am", "end": "17:00"}]}, "hours"),
            ({"hours": [{"weekday": 1, "start": "17:00", "end": "08:00"}]}, "hours"),
            ({"hours": [{"weekday": 1, "start": "08:00", "end": "12:00"},
                        {"weekday": 1, "start": "11:00", "end": "17:00"}]}, "hours"),
            ({"hours": [{"weekday": 1, "start": "08:00"}]}, "hours"),
            ({"hours": [{"weekday": 1, "start": "08:00", "end": "17:00", "lunch": 1}]}, "hours"),
            ({"hours": []}, "hours"),
            ({"holidays": ["2026-13-01"]}, "holidays"),
        ]
        for fields, field in bad:
            body = {"name": unique("Cal "), "timezone": "Europe/Berlin",
                    "hours": [{"weekday": 1, "start": "08:00", "end": "17:00"}]}
            body.update(fields)
            self.assertProblem(self.admin.post("/api/v1/calendars", body), 422, field, repr(fields))
        always = self.create("calendars", {"name": unique("24x7 "), "timezone": "UTC",
                                           "always_open": True})
        self.assertEqual(always["hours"], [])

    def test_policy_and_contract_drive_the_ticket_sla(self):
        cal = self.create("calendars", {"name": unique("24x7 "), "timezone": "UTC",
                                        "always_open": True})
        policy = self.create("sla-policies", {
            "name": unique("Gold "), "calendar_id": cal["id"],
            "targets": [{"priority": "high", "response_minutes": 60, "resolution_minutes": 240},
                        {"priority": "medium", "response_minutes": 120,
                         "resolution_minutes": 480}]})
        self.assertEqual(policy["pause_statuses"], ["waiting_customer"])
        self.assertProblem(self.admin.post("/api/v1/sla-policies", {
            "name": unique("Dup "), "calendar_id": cal["id"],
            "targets": [{"priority": "high"}, {"priority": "high"}]}), 422, "targets")
        self.assertProblem(self.admin.post("/api/v1/sla-policies", {
            "name": unique("Bad "), "calendar_id": cal["id"],
            "pause_statuses": ["closed"]}), 422, "pause_statuses")
        contract = self.create("contracts", {
            "company_id": self.company_id, "name": "Managed IT", "kind": "managed",
            "starts_on": "2026-01-01", "monthly_fee": 250000, "sla_policy_id": policy["id"]})
        self.assertEqual(contract["status"], "active")
        self.assertEqual(contract["billing_increment_minutes"], 15)
        t = self.ticket(contract_id=contract["id"], priority="high")
        self.assertEqual(t["sla"]["policy_id"], policy["id"])
        # 24x7: due times are created_at (rounded up to the minute) plus the targets
        created = t["created_at"]
        self.assertIn(seconds_between(created, t["sla"]["response_due_at"]) // 60, (60, 59))
        self.assertIn(seconds_between(created, t["sla"]["resolution_due_at"]) // 60, (240, 239))
        self.assertFalse(t["sla"]["response_breached"])
        # a priority change recomputes from created_at
        t = self.patch("tickets/%d" % t["id"], {"priority": "medium"})
        self.assertIn(seconds_between(created, t["sla"]["response_due_at"]) // 60, (120, 119))
        self.assertIn(seconds_between(created, t["sla"]["resolution_due_at"]) // 60, (480, 479))
        # the explanation agrees with the ticket and its timeline adds up
        status, _, sla = self.admin.get("/api/v1/tickets/%d/sla" % t["id"])
        self.assertEqual(status, 200, sla)
        self.assertEqual(sla["policy"]["id"], policy["id"])
        self.assertEqual(sla["response"]["due_at"], t["sla"]["response_due_at"])
        self.assertEqual(sla["resolution"]["due_at"], t["sla"]["resolution_due_at"])
        self.assertEqual(sla["resolution"]["target_minutes"], 480)
        counted = sum(i["minutes"] for i in sla["timeline"]
                      if i["kind"] == "counted" and i["clock"] in ("both", "resolution"))
        self.assertEqual(counted, 480)
        self.assertProblem(self.admin.get("/api/v1/tickets/99999999/sla"), 404)
        # without a contract policy, the default policy applies
        default = self.create("sla-policies", {"name": unique("Default "),
                                               "calendar_id": cal["id"], "is_default": True})
        # (the company has one contract, which a new ticket would take unless told none)
        plain = self.ticket(contract_id=None)
        self.assertEqual(plain["sla"]["policy_id"], default["id"])
        t = self.patch("tickets/%d" % t["id"], {"contract_id": None})
        self.assertEqual(t["sla"]["policy_id"], default["id"])

    def test_contract_rules(self):
        base = {"company_id": self.company_id, "name": "Block", "starts_on": "2026-01-01"}
        self.assertProblem(self.admin.post("/api/v1/contracts", dict(base, kind="block_hours")),
                           422, "block_minutes")
        self.assertProblem(self.admin.post("/api/v1/contracts", dict(base, kind="managed")),
                           422, "monthly_fee")
        self.assertProblem(self.admin.post("/api/v1/contracts", dict(
            base, kind="time_materials", ends_on="2025-12-31")), 422, "ends_on")
        self.assertProblem(self.admin.post("/api/v1/contracts", dict(
            base, kind="time_materials", currency="usd")), 422, "currency")
        # technicians do not see contracts (fees)
        self.assertProblem(self.tech.get("/api/v1/contracts"), 403)

    def test_one_default_policy(self):
        cal = self.calendar()
        a = self.create("sla-policies", {"name": unique("A "), "calendar_id": cal["id"],
                                         "is_default": True})
        b = self.create("sla-policies", {"name": unique("B "), "calendar_id": cal["id"],
                                         "is_default": True})
        status, _, a2 = self.admin.get("/api/v1/sla-policies/%d" % a["id"])
        self.assertFalse(a2["is_default"])
        self.assertTrue(b["is_default"])


class TestPeopleAndCatalog(ServiceCase):

    def test_users_and_certifications(self):
        email = unique("new") + "@Example.com"
        u = self.create("users", {"email": email, "name": "New Tech", "role": "technician",
                                  "password": "A-good-long-password-1", "skills": ["wifi"]})
        self.assertEqual(u["email"], email.lower())
        self.assertNotIn("password", u)
        self.assertNotIn("password_hash", u)
        self.assertTrue(u["active"])
        self.assertProblem(self.admin.post("/api/v1/users", {
            "email": unique("x") + "@example.com", "name": "x", "role": "technician",
            "password": "short"}), 422, "password")
        self.assertProblem(self.admin.post("/api/v1/users", {
            "email": email, "name": "dup", "role": "technician",
            "password": "A-good-long-password-1"}), 409)
        self.assertProblem(self.tech.post("/api/v1/users", {
            "email": unique("x") + "@example.com", "name": "x", "role": "admin",
            "password": "A-good-long-password-1"}), 403)
        # the new user can log in with that password
        c = self.server.client()
        c.login(email.lower(), "A-good-long-password-1")
        cert = self.create("users/%d/certifications" % u["id"], {
            "name": "Electrical safety", "issuer": "TUV", "expires_on": "2027-06-30"})
        self.assertEqual(cert["user_id"], u["id"])
        self.assertProblem(self.admin.post("/api/v1/users/%d/certifications" % u["id"], {
            "name": "x", "issued_on": "2026-01-02", "expires_on": "2026-01-01"}), 422,
            "expires_on")
        self.assertProblem(self.tech.post("/api/v1/users/%d/certifications" % u["id"],
                                          {"name": "x"}), 403)
        status, _, certs = self.tech.get("/api/v1/users/%d/certifications" % u["id"])
        self.assertEqual([x["name"] for x in certs["data"]], ["Electrical safety"])
        # deactivating ends the user's sessions
        self.patch("users/%d" % u["id"], {"active": False})
        self.assertProblem(c.get("/api/v1/me"), 401)

    def test_products_and_work_types(self):
        p = self.create("products", {"sku": unique("SKU-"), "name": "Laser printer",
                                     "kind": "equipment", "unit_cost": 20000,
                                     "unit_price": 25000})
        self.assertEqual(p["markup_bp"], 2500)
        self.assertEqual(p["currency"], "USD")
        self.assertProblem(self.admin.post("/api/v1/products", {
            "sku": unique("S"), "name": "x", "kind": "equipment", "unit_price": -1}), 422,
            "unit_price")
        w = self.create("work-types", {"name": unique("Onsite "), "hourly_rate": 12000})
        self.assertTrue(w["billable"])
        self.assertProblem(self.tech.post("/api/v1/work-types", {"name": "x",
                                                                 "hourly_rate": 1}), 403)

    def test_time_entries(self):
        w = self.create("work-types", {"name": unique("Remote "), "hourly_rate": 9000,
                                       "billable": False})
        t = self.create("tickets", {"subject": "x", "company_id": self.company_id})
        e = self.create("time-entries", {"ticket_id": t["id"], "work_type_id": w["id"],
                                         "minutes": 45}, client=self.tech)
        self.assertFalse(e["billable"])  # from the work type
        self.assertRegex(e["started_at"], RFC3339)
        self.assertIsNotNone(e["user_id"])
        for body, field in [({"ticket_id": t["id"], "work_type_id": w["id"], "minutes": 0},
                             "minutes"),
                            ({"ticket_id": t["id"], "work_type_id": w["id"], "minutes": 1441},
                             "minutes"),
                            ({"ticket_id": 99999999, "work_type_id": w["id"], "minutes": 5},
                             "ticket_id"),
                            ({"ticket_id": t["id"], "minutes": 5}, "work_type_id")]:
            self.assertProblem(self.admin.post("/api/v1/time-entries", body), 422, field)
        status, _, page = self.admin.get("/api/v1/time-entries?ticket_id=%d" % t["id"])
        self.assertEqual([x["id"] for x in page["data"]], [e["id"]])
        # who and when are filled in when left out, but never cleared
        for field in ("user_id", "started_at"):
            self.assertProblem(self.patch("time-entries/%d" % e["id"], {field: None},
                                          expect=None), 422, field)

    def test_null_inside_items(self):
        cal = self.calendar()
        self.assertProblem(self.admin.post("/api/v1/sla-policies", {
            "name": unique("P "), "calendar_id": cal["id"],
            "targets": [{"priority": "high", "response_minutes": None}]}), 422, "targets")


class TestWork(ServiceCase):

    def user_id(self, email):
        status, _, users = self.admin.get("/api/v1/users?email=" + email)
        return users["data"][0]["id"]

    def test_checklist_from_template_blocks_resolving(self):
        self.create("checklist-templates", {
            "name": unique("Electrical safety "), "ticket_kind": "installation",
            "items": [{"label": "Insulation measured", "required": True},
                      {"label": "Photo of the panel"}]})
        self.assertProblem(self.admin.post("/api/v1/checklist-templates", {
            "name": unique("x"), "ticket_kind": "installation", "items": []}), 422, "items")
        self.assertProblem(self.admin.post("/api/v1/checklist-templates", {
            "name": unique("x"), "ticket_kind": "installation",
            "items": [{"label": ""}]}), 422, "items")
        t = self.ticket(kind="installation")
        status, _, items = self.admin.get("/api/v1/tickets/%d/checklist" % t["id"])
        self.assertEqual(status, 200)
        labels = [i["label"] for i in items["data"]]
        self.assertIn("Insulation measured", labels)
        required = [i for i in items["data"] if i["required"]]
        self.patch("tickets/%d" % t["id"], {"status": "in_progress"})
        resp = self.patch("tickets/%d" % t["id"], {"status": "resolved", "resolution": "done"},
                          expect=None)
        body = self.assertProblem(resp, 409, "status")
        self.assertIn("Insulation measured", body["detail"])
        for item in required:
            done = self.patch("tickets/%d/checklist/%d" % (t["id"], item["id"]), {"done": True})
            self.assertTrue(done["done"])
            self.assertRegex(done["done_at"], RFC3339)
            self.assertIsNotNone(done["done_by"])
        t = self.patch("tickets/%d" % t["id"], {"status": "resolved", "resolution": "done"})
        self.assertEqual(t["status"], "resolved")
        # an incident gets no installation checklist
        other = self.ticket(kind="incident")
        status, _, items = self.admin.get("/api/v1/tickets/%d/checklist" % other["id"])
        self.assertNotIn("Insulation measured", [i["label"] for i in items["data"]])
        # ad-hoc items
        item = self.create("tickets/%d/checklist" % other["id"], {"label": "Call back", "required": True})
        self.assertFalse(item["done"])

    def test_parts(self):
        p = self.create("products", {"sku": unique("P-"), "name": "Fuser unit",
                                     "kind": "equipment", "unit_cost": 8000, "unit_price": 12000})
        t = self.ticket()
        part = self.create("tickets/%d/parts" % t["id"], {"product_id": p["id"], "quantity": 1.5,
                                                          "serial_number": "SN-123"})
        self.assertEqual(part["quantity"], 1.5)
        self.assertEqual(part["unit_price"], 12000)
        self.assertEqual(part["unit_cost"], 8000)
        one = self.create("tickets/%d/parts" % t["id"], {"product_id": p["id"]})
        self.assertEqual(one["quantity"], 1)
        for q in (0, -1, 0.0001, "2", True):
            self.assertProblem(self.admin.post("/api/v1/tickets/%d/parts" % t["id"], {
                "product_id": p["id"], "quantity": q}), 422, "quantity", repr(q))
        self.assertProblem(self.admin.post("/api/v1/tickets/%d/parts" % t["id"], {
            "product_id": 99999999}), 422, "product_id")
        status, _, found = self.admin.get("/api/v1/tickets/%d/parts?serial_number=SN-123" % t["id"])
        self.assertEqual([x["id"] for x in found["data"]], [part["id"]])
        self.assertProblem(self.billing.post("/api/v1/tickets/%d/parts" % t["id"], {
            "product_id": p["id"]}), 403)

    def test_appointments_detect_double_booking(self):
        tech = self.user_id(self.tech_email)
        t = self.ticket()
        a = self.create("appointments", {"ticket_id": t["id"], "user_id": tech,
                                         "starts_at": "2030-03-04T09:00:00Z",
                                         "ends_at": "2030-03-04T11:00:00Z"})
        self.assertEqual(a["status"], "scheduled")
        resp = self.admin.post("/api/v1/appointments", {
            "user_id": tech, "starts_at": "2030-03-04T10:30:00Z", "ends_at": "2030-03-04T12:00:00Z"})
        body = self.assertProblem(resp, 409, "starts_at")
        self.assertIn(str(a["id"]), body["detail"])
        # back to back is fine; overlapping on purpose is allowed when asked
        self.create("appointments", {"user_id": tech, "starts_at": "2030-03-04T11:00:00Z",
                                     "ends_at": "2030-03-04T12:00:00Z"})
        self.create("appointments", {"user_id": tech, "starts_at": "2030-03-04T10:00:00Z",
                                     "ends_at": "2030-03-04T10:30:00Z", "allow_overlap": True})
        self.assertProblem(self.admin.post("/api/v1/appointments", {
            "user_id": tech, "starts_at": "2030-03-05T10:00:00Z",
            "ends_at": "2030-03-05T09:00:00Z"}), 422, "ends_at")
        # moving it onto another booking is refused too
        resp = self.patch("appointments/%d" % a["id"], {"starts_at": "2030-03-04T11:30:00Z",
                                                         "ends_at": "2030-03-04T12:30:00Z"},
                          expect=None)
        self.assertProblem(resp, 409, "starts_at")

    def test_escalation_and_history(self):
        t = self.ticket()
        path = "/api/v1/tickets/%d/escalate" % t["id"]
        self.assertProblem(self.admin.post(path, {"to": "tier", "reason": "x"}), 428)
        etag = self.admin.get("/api/v1/tickets/%d" % t["id"])[1]["etag"]
        esc = self.assertStatus(self.admin.post(path, {"to": "tier", "reason": "needs network team"},
                                                headers={"If-Match": etag}), 200)
        self.assertEqual(esc["tier"], 2)
        self.assertEqual(esc["status"], "escalated")
        self.assertProblem(self.admin.post(path, {"to": "vendor", "reason": "firmware bug"},
                                           headers={"If-Match": "*"}), 422, "reference")
        self.assertProblem(self.admin.post(path, {"to": "moon", "reason": "x"},
                                           headers={"If-Match": "*"}), 422, "to")
        self.assertProblem(self.admin.post(path, {"to": "tier"}, headers={"If-Match": "*"}),
                           422, "reason")
        self.assertProblem(self.admin.post(path, {"to": "tier", "reason": "x"},
                                           headers={"If-Match": etag}), 412)
        v = self.assertStatus(self.admin.post(path, {"to": "vendor", "reason": "firmware bug",
                                                     "reference": "HP-CASE-7781"},
                                              headers={"If-Match": "*"}), 200)
        self.assertEqual(v["external_reference"], "HP-CASE-7781")
        self.assertProblem(self.admin.post("/api/v1/tickets/99999999/escalate",
                                           {"to": "tier", "reason": "x"},
                                           headers={"If-Match": "*"}), 404)
        status, _, history = self.admin.get("/api/v1/tickets/%d/history" % t["id"])
        self.assertEqual(status, 200, history)
        kinds = [e["kind"] for e in history["data"]]
        self.assertEqual(kinds.count("escalation"), 2, kinds)
        self.assertIn("created", kinds)
        self.assertIn("status", kinds)
        self.assertIn("HP-CASE-7781", " ".join(e["detail"] or "" for e in history["data"]))

    def test_merge(self):
        a, b = self.ticket(), self.ticket()
        self.create("tickets/%d/notes" % a["id"], {"body": "duplicate note"})
        resp = self.admin.post("/api/v1/tickets/%d/merge" % a["id"], {"into_id": b["id"]},
                               headers={"If-Match": "*"})
        merged = self.assertStatus(resp, 200)
        self.assertEqual(merged["merged_into_id"], b["id"])
        self.assertEqual(merged["status"], "cancelled")
        status, _, notes = self.admin.get("/api/v1/tickets/%d/notes" % b["id"])
        self.assertIn("duplicate note", [n["body"] for n in notes["data"]])
        self.assertProblem(self.admin.post("/api/v1/tickets/%d/merge" % b["id"],
                                           {"into_id": b["id"]}, headers={"If-Match": "*"}),
                           422, "into_id")
        other = self.create("companies", {"name": unique("Else ")})
        c = self.create("tickets", {"subject": "x", "company_id": other["id"]})
        self.assertProblem(self.admin.post("/api/v1/tickets/%d/merge" % b["id"],
                                           {"into_id": c["id"]}, headers={"If-Match": "*"}),
                           422, "into_id")
        self.assertProblem(self.admin.post("/api/v1/tickets/%d/merge" % b["id"], {"into": 1},
                                           headers={"If-Match": "*"}), 422, "into_id")

    def test_candidates_and_certified_assignment(self):
        cert_name = unique("HV-")
        good = self.create("users", {"email": unique("good") + "@example.com", "name": "A Good",
                                     "role": "technician", "password": "A-good-long-password-1",
                                     "skills": ["wifi", "printers"]})
        stale = self.create("users", {"email": unique("stale") + "@example.com",
                                      "name": "B Stale", "role": "technician",
                                      "password": "A-good-long-password-1",
                                      "skills": ["wifi", "printers"]})
        self.create("users/%d/certifications" % good["id"], {"name": cert_name,
                                                             "expires_on": "2099-01-01"})
        self.create("users/%d/certifications" % stale["id"], {"name": cert_name,
                                                              "expires_on": "2020-01-01"})
        t = self.ticket(required_skills=["wifi"], required_certifications=[cert_name])
        status, _, ranked = self.tech.get("/api/v1/tickets/%d/candidates" % t["id"])
        self.assertEqual(status, 200, ranked)
        by_id = {c["user_id"]: c for c in ranked["candidates"]}
        self.assertTrue(by_id[good["id"]]["eligible"])
        self.assertFalse(by_id[stale["id"]]["eligible"])
        self.assertLess(by_id[good["id"]]["rank"], by_id[stale["id"]]["rank"])
        self.assertTrue(any("expired on 2020-01-01" in r for r in by_id[stale["id"]]["reasons"]))
        self.assertTrue(any("valid until 2099-01-01" in r for r in by_id[good["id"]]["reasons"]))
        # a technician without the skills is told so in words, not as a JSON array
        t3 = self.ticket(required_skills=["fiber", "wifi", "cabling"])
        status, _, ranked = self.tech.get("/api/v1/tickets/%d/candidates" % t3["id"])
        reasons = {c["user_id"]: c["reasons"] for c in ranked["candidates"]}[good["id"]]
        self.assertIn("lacks skills: fiber, cabling", reasons)
        # assigning the expired one is refused, unless a manager gives a reason
        path = "tickets/%d" % t["id"]
        self.assertProblem(self.patch(path, {"assignee_id": stale["id"]}, client=self.tech,
                                      expect=None), 409, "assignee_id")
        self.assertProblem(self.patch(path, {"assignee_id": stale["id"],
                                             "assignment_override_reason": "urgent"},
                                      client=self.tech, expect=None), 422, "assignee_id")
        t2 = self.patch(path, {"assignee_id": stale["id"],
                               "assignment_override_reason": "only one on site, renewal booked"})
        self.assertEqual(t2["assignee_id"], stale["id"])
        status, _, history = self.admin.get("/api/v1/tickets/%d/history?kind=assignment_override"
                                            % t["id"])
        self.assertEqual(len(history["data"]), 1)
        self.assertIn("renewal booked", history["data"][0]["detail"])
        self.assertIn(cert_name, history["data"][0]["detail"])
        self.patch(path, {"assignee_id": good["id"]}, client=self.tech)


class TestSchedule(ServiceCase):
    """Recurring tickets and closing resolved ones: the job runs when a server starts."""

    def run_service_desk(self):
        """Runs the service-desk job now, as the worker would within the minute."""
        r = self.server.run_cli("worker", "--run", "service-desk")
        self.assertEqual(r.returncode, 0, r.stderr)

    def wait_for(self, check, what, timeout=20):
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.2)
        self.fail("%s did not happen within %d s\n%s" % (what, timeout, self.server.log_text(30)))

    def test_recurring_template(self):
        bad = {"name": "x", "subject": "x", "company_id": self.company_id,
               "starts_local": "2026-01-05T09:00", "timezone": "Europe/Berlin"}
        for rule in ("FREQ=MINUTELY", "BYDAY=MO", "FREQ=MONTHLY;FOO=1", "garbage"):
            self.assertProblem(self.admin.post("/api/v1/recurring-tickets", dict(bad, rrule=rule)),
                               422, "rrule", rule)
        self.assertProblem(self.admin.post("/api/v1/recurring-tickets", dict(
            bad, rrule="FREQ=DAILY", starts_local="2026-02-30T09:00")), 422, "starts_local")
        tpl = self.create("recurring-tickets", {
            "name": unique("Printer service "), "rrule": "FREQ=MONTHLY;BYDAY=1MO",
            "starts_local": "2026-01-05T09:00", "timezone": "Europe/Berlin",
            "subject": "Monthly printer service", "company_id": self.company_id,
            "kind": "maintenance"})
        self.assertRegex(tpl["next_run_at"], RFC3339)
        self.assertEqual(len(tpl["next_occurrences"]), 5)
        # first Mondays at 09:00 Berlin: 08:00Z in winter, 07:00Z in summer
        for at in tpl["next_occurrences"]:
            self.assertIn(at[11:], ("08:00:00Z", "07:00:00Z"))
        # make it due (an occurrence in the past) and let a starting server run the job
        due = "2026-01-05T08:00:00Z"
        self.server.execute("UPDATE recurring_tickets SET next_run_at = '%s' WHERE id = %d"
                            % (due, tpl["id"]))
        self.run_service_desk()
        found = self.wait_for(lambda: self.admin.get(
            "/api/v1/tickets?recurring_id=%d" % tpl["id"])[2]["data"], "the recurring ticket")
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["recurring_at"], due)
        self.assertEqual(found[0]["subject"], "Monthly printer service")
        moved = self.wait_for(lambda: (lambda t: t if t["next_run_at"] != due else None)(
            self.admin.get("/api/v1/recurring-tickets/%d" % tpl["id"])[2]), "the template moving on")
        self.assertGreater(moved["next_run_at"], due)
        # a worker that runs the same occurrence again makes no second ticket
        self.server.execute("UPDATE recurring_tickets SET next_run_at = '%s' WHERE id = %d"
                            % (due, tpl["id"]))
        self.run_service_desk()
        self.wait_for(lambda: self.admin.get("/api/v1/recurring-tickets/%d" % tpl["id"])[2][
            "next_run_at"] != due, "the template moving on again")
        again = self.admin.get("/api/v1/tickets?recurring_id=%d" % tpl["id"])[2]["data"]
        self.assertEqual(len(again), 1)

    @needs_test_build
    def test_resolved_tickets_close_by_themselves(self):
        t = self.ticket()
        resolved = self.patch("tickets/%d" % t["id"], {"status": "resolved", "resolution": "fixed"})
        # staff writing after the resolution does not hold a ticket open...
        self.create("tickets/%d/notes" % t["id"], {
            "body": "Let us know if it comes back", "visibility": "public"})
        # ...the client answering does: that one stays for a person
        contact = self.create("contacts", {"company_id": self.company_id,
                                           "first_name": "Ada", "last_name": "Client"})
        replied = self.ticket()
        self.patch("tickets/%d" % replied["id"], {"status": "resolved", "resolution": "fixed"})
        self.create("tickets/%d/notes" % replied["id"], {
            "body": "Client: it broke again", "visibility": "public",
            "contact_id": contact["id"]})
        # a week and a day later (the default is 7 days), one more is resolved today
        self.server.move_clock(8 * 24 * 3600)
        try:
            fresh = self.ticket()
            self.patch("tickets/%d" % fresh["id"], {"status": "resolved", "resolution": "fixed"})
            self.run_service_desk()
        finally:
            self.server.set_clock(0)
        closed = self.wait_for(lambda: (lambda x: x if x["status"] == "closed" else None)(
            self.admin.get("/api/v1/tickets/%d" % t["id"])[2]), "the auto-close")
        self.assertRegex(closed["closed_at"], RFC3339)
        # closing keeps when it was resolved
        self.assertEqual(closed["resolved_at"], resolved["resolved_at"])
        history = self.admin.get("/api/v1/tickets/%d/history?kind=autoclose" % t["id"])[2]
        self.assertEqual(len(history["data"]), 1)
        self.assertEqual(self.admin.get("/api/v1/tickets/%d" % fresh["id"])[2]["status"],
                         "resolved")
        self.assertEqual(self.admin.get("/api/v1/tickets/%d" % replied["id"])[2]["status"],
                         "resolved")


class TestCalendarFeed(ServiceCase):

    def test_feed(self):
        status, _, me = self.tech.get("/api/v1/me")
        tech_id = me["user"]["id"]
        site = self.create("sites", {"company_id": self.company_id, "name": "Lager; Nord",
                                     "city": "Köln"})
        t = self.ticket(subject="Drucker, 3. Stock")
        import datetime
        day = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7))
        start = day.strftime("%Y-%m-%dT07:00:00Z")
        appt = self.create("appointments", {"ticket_id": t["id"], "user_id": tech_id,
                                            "site_id": site["id"], "starts_at": start,
                                            "ends_at": day.strftime("%Y-%m-%dT09:00:00Z"),
                                            "notes": "Bring toner\nand the ladder"})
        # another technician cannot make a feed of this one's calendar
        other_email = unique("other") + "@example.com"
        self.server.add_user(other_email, "technician", TECH_PASSWORD)
        other = self.server.client(self.server.token_for(other_email))
        self.assertProblem(other.post("/api/v1/users/%d/calendar-feed" % tech_id), 403)
        made = self.assertStatus(self.tech.post("/api/v1/users/%d/calendar-feed" % tech_id), 201)
        path = made["path"]
        self.assertTrue(path.startswith("/api/v1/public/calendar/") and path.endswith(".ics"))
        anon = self.server.client()
        status, headers, text = anon.get(path)
        self.assertEqual(status, 200, text)
        self.assertTrue(headers["content-type"].startswith("text/calendar"))
        self.assertIn("BEGIN:VCALENDAR\r\n", text)
        self.assertIn("UID:appointment-%d@servio" % appt["id"], text)
        self.assertIn("DTSTART:%sT070000Z" % day.strftime("%Y%m%d"), text)
        unfolded = text.replace("\r\n ", "")
        self.assertIn("SUMMARY:%s Drucker\\, 3. Stock" % t["number"], unfolded)
        self.assertIn("Lager\\; Nord", unfolded)
        self.assertIn("Bring toner\\nand the ladder", unfolded)
        # a new feed replaces the old; revoking ends it
        again = self.assertStatus(self.admin.post("/api/v1/users/%d/calendar-feed" % tech_id), 201)
        self.assertNotEqual(again["path"], path)
        self.assertProblem(anon.get(path), 404)
        self.assertStatus(anon.get(again["path"]), 200)
        status, _, _ = self.tech.delete("/api/v1/users/%d/calendar-feed" % tech_id)
        self.assertEqual(status, 204)
        self.assertProblem(anon.get(again["path"]), 404)
        self.assertProblem(self.tech.delete("/api/v1/users/%d/calendar-feed" % tech_id), 404)
        self.assertProblem(anon.get("/api/v1/public/calendar/nonsense.ics"), 404)


class TestClocks(ServiceCase):
    """SLA clocks over HTTP; the arithmetic itself is unit-tested (test_sla, test_calendar)."""

    def test_business_hours_and_the_sweep(self):
        cal = self.calendar(timezone="Europe/Berlin", holidays=["2026-12-25"])
        policy = self.create("sla-policies", {
            "name": unique("Office "), "calendar_id": cal["id"],
            "targets": [{"priority": "high", "response_minutes": 60,
                         "resolution_minutes": 480}]})
        contract = self.create("contracts", {
            "company_id": self.company_id, "name": "T&M", "kind": "time_materials",
            "starts_on": "2026-01-01", "sla_policy_id": policy["id"]})
        t = self.ticket(contract_id=contract["id"], priority="high")
        # move the ticket to the past: created Friday 2026-11-20 16:30 Berlin (15:30Z)
        self.server.execute("UPDATE tickets SET created_at = '2026-11-20T15:30:00Z' WHERE id = %d"
                            % t["id"])
        self.server.execute("UPDATE ticket_events SET at = '2026-11-20T15:30:00Z'"
                            " WHERE ticket_id = %d" % t["id"])
        r = self.server.run_cli("worker", "--run", "sla")
        self.assertEqual(r.returncode, 0, r.stderr)
        t = self.admin.get("/api/v1/tickets/%d" % t["id"])[2]
        # 30 minutes on Friday, 30 more from Monday 08:00 Berlin (07:00Z)
        self.assertEqual(t["sla"]["response_due_at"], "2026-11-23T07:30:00Z")
        # 480 minutes: 30 on Friday, 450 from Monday 08:00 -> 15:30 Berlin
        self.assertEqual(t["sla"]["resolution_due_at"], "2026-11-23T14:30:00Z")
        status, _, sla = self.admin.get("/api/v1/tickets/%d/sla" % t["id"])
        kinds = {i["kind"] for i in sla["timeline"]}
        self.assertIn("outside_hours", kinds)
        self.assertIn("counted", kinds)
        self.assertEqual(sla["policy"]["timezone"], "Europe/Berlin")

    def fast_contract(self):
        """A contract under a round-the-clock policy: critical, 1 h response, 10 h resolution."""
        cal = self.create("calendars", {"name": unique("24x7 "), "timezone": "UTC",
                                        "always_open": True})
        policy = self.create("sla-policies", {
            "name": unique("Fast "), "calendar_id": cal["id"],
            "targets": [{"priority": "critical", "response_minutes": 60,
                         "resolution_minutes": 600}]})
        return self.create("contracts", {
            "company_id": self.company_id, "name": "Fast", "kind": "time_materials",
            "starts_on": "2026-01-01", "sla_policy_id": policy["id"]})

    @needs_test_build
    def test_breach_and_warnings_without_a_write(self):
        contract = self.fast_contract()
        t = self.ticket(contract_id=contract["id"], priority="critical")
        self.assertFalse(t["sla"]["response_breached"])
        made = t
        # two hours pass with no write; the sweep finds the breach
        self.server.move_clock(2 * 3600)
        try:
            for _ in range(2):  # the second run fires nothing new
                r = self.server.run_cli("worker", "--run", "sla")
                self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            self.server.set_clock(0)
        t = self.admin.get("/api/v1/tickets/%d" % t["id"])[2]
        # the clock's own write is no activity by anyone
        self.assertNotEqual(t["updated_at"], made["updated_at"])
        self.assertEqual(t["last_activity_at"], made["last_activity_at"])
        self.assertTrue(t["sla"]["response_breached"])
        self.assertFalse(t["sla"]["resolution_breached"])
        # the highest warning per clock, for the lists' "at risk" (75 % of working time used)
        self.assertEqual((t["sla"]["response_warned_percent"],
                          t["sla"]["resolution_warned_percent"]), (100, 0))
        self.assertEqual(t["sla_warnings"], 0b1111)
        history = self.admin.get("/api/v1/tickets/%d/history?kind=sla_warning" % t["id"])[2]
        fired = sorted((e["from_value"], int(e["to_value"])) for e in history["data"])
        # response: 2 h of a 1 h target; resolution: 2 h of 10 h (20 %: nothing yet)
        self.assertEqual(fired, [("response", 50), ("response", 75), ("response", 90),
                                 ("response", 100)])

    def refuse_breach(self, t):
        """The database refuses the sweep's write of t's breach; returns what undoes it."""
        if self.server.database_url:
            self.server.execute("CREATE FUNCTION sweep_test_refuse() RETURNS trigger"
                                " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused';"
                                " END $$")
            self.server.execute("CREATE TRIGGER sweep_test_refuse BEFORE UPDATE ON tickets"
                                " FOR EACH ROW WHEN (NEW.id = %d AND NEW.response_breached"
                                " <> OLD.response_breached) EXECUTE FUNCTION"
                                " sweep_test_refuse()" % t["id"])
        else:
            self.server.execute("CREATE TRIGGER sweep_test_refuse BEFORE UPDATE OF"
                                " response_breached ON tickets WHEN new.id = %d AND"
                                " new.response_breached <> old.response_breached"
                                " BEGIN SELECT RAISE(ABORT, 'refused'); END" % t["id"])

        def undo():
            self.server.execute("DROP TRIGGER sweep_test_refuse"
                                + (" ON tickets" if self.server.database_url else ""))
            if self.server.database_url:
                self.server.execute("DROP FUNCTION sweep_test_refuse()")
        return undo

    def clocks_written(self, t):
        """Whether t's response breached, its updates audited, its warnings in its history."""
        audit = self.assertStatus(self.admin.get(
            "/api/v1/audit?resource=tickets&record_id=%d" % t["id"]), 200)["data"]
        history = self.admin.get("/api/v1/tickets/%d/history?kind=sla_warning"
                                 % t["id"])[2]["data"]
        now = self.admin.get("/api/v1/tickets/%d" % t["id"])[2]
        return (now["sla"]["response_breached"],
                len([e for e in audit if e["action"] == "update"]), len(history))

    def critical_tickets(self, n):
        """n critical tickets under a round-the-clock policy (fast_contract)."""
        contract = self.fast_contract()
        return [self.ticket(contract_id=contract["id"], priority="critical") for _ in range(n)]

    def sweep_with_one_refused(self, tickets, refused):
        """Sweeps with refused's write refused, then again without; checks each written once."""
        undo = self.refuse_breach(refused)
        written, none = (True, 1, 4), (False, 0, 0)
        self.server.move_clock(2 * 3600)
        try:
            r = self.server.run_cli("worker", "--run", "sla")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("cannot sweep 1 tickets, the first %d" % refused["id"], r.stderr)
            # the others written once, with their four warnings; refused not at all
            self.assertEqual([self.clocks_written(t) for t in tickets],
                             [none if t is refused else written for t in tickets])
        finally:
            undo()
        try:
            # the next sweep writes it, and nothing of the others again
            for _ in range(2):
                r = self.server.run_cli("worker", "--run", "sla")
                self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            self.server.set_clock(0)
        self.assertEqual([self.clocks_written(t) for t in tickets], [written] * len(tickets))

    @needs_test_build
    def test_sweep_keeps_the_others_work_when_one_ticket_fails(self):
        tickets = self.critical_tickets(3)
        # one transaction holds all three
        self.sweep_with_one_refused(tickets, tickets[1])

    @needs_test_build
    def test_sweep_of_many_tickets_on_two_connections(self):
        # past 64 changed tickets a page, PostgreSQL's sweep gives the later part
        # to a thread of its own: each ticket is written once, warned once, and
        # a ticket that fails there is found and kept out as on the first
        tickets = self.critical_tickets(90)
        self.sweep_with_one_refused(tickets, tickets[-3])
        # and each warning is one event of the outbox
        events, cursor = [], None
        while True:
            body = self.assertStatus(self.admin.get(
                "/api/v1/events?type=ticket.sla_warning&limit=200"
                + ("&cursor=" + urllib.parse.quote(cursor, safe="") if cursor else "")), 200)
            events += body["data"]
            cursor = body.get("next_cursor")
            if not cursor:
                break
        ours = {t["id"] for t in tickets}
        warned = sorted(e["record_id"] for e in events if e["record_id"] in ours)
        self.assertEqual(warned, sorted(list(ours) * 4))

    @needs_test_build
    def test_sweep_of_several_pages(self):
        # 500 open tickets a page: while PostgreSQL's helper writes its part of
        # one page, the next is read into another buffer, and what it did is
        # counted before the next page's writes; a page without a change waits
        # for it too. The refused ticket is in the first page's helper part.
        tickets = self.critical_tickets(1060)
        self.sweep_with_one_refused(tickets, tickets[400])

    @needs_test_build
    def test_last_activity_follows_people_not_the_clock(self):
        t = self.ticket()
        self.assertEqual(t["last_activity_at"], t["created_at"])
        self.server.move_clock(3600)
        try:
            # a note: activity, without a new version (the ticket's ETag holds)
            note = self.create("tickets/%d/notes" % t["id"], {"body": "Called the client.",
                                                              "visibility": "internal"})
            after = self.admin.get("/api/v1/tickets/%d" % t["id"])[2]
            self.assertEqual(after["last_activity_at"], note["created_at"])
            self.assertEqual(after["version"], t["version"])
            self.server.move_clock(7200)
            changed = self.assertStatus(self.admin.patch(
                "/api/v1/tickets/%d" % t["id"], {"priority": "high"},
                headers={"If-Match": '"%d"' % after["version"]}), 200)
            self.assertEqual(changed["last_activity_at"], changed["updated_at"])
            self.assertGreater(changed["last_activity_at"], after["last_activity_at"])
            # the list sorts and filters by it; it is the server's to keep
            listed = self.admin.get("/api/v1/tickets?sort=-last_activity_at&limit=1")[2]
            self.assertEqual(listed["data"][0]["id"], t["id"])
            since = self.admin.get("/api/v1/tickets?last_activity_at_after=%s&id=%d"
                                   % (after["last_activity_at"], t["id"]))[2]
            self.assertEqual([x["id"] for x in since["data"]], [t["id"]])
            self.assertProblem(self.admin.patch("/api/v1/tickets/%d" % t["id"],
                                                {"last_activity_at": "2026-01-01T00:00:00Z"},
                                                headers={"If-Match": '"%d"' % changed["version"]}),
                               422, field="last_activity_at")
        finally:
            self.server.set_clock(0)


def seconds_between(a, b):
    import datetime
    fa = datetime.datetime.strptime(a, "%Y-%m-%dT%H:%M:%SZ")
    fb = datetime.datetime.strptime(b, "%Y-%m-%dT%H:%M:%SZ")
    return int((fb - fa).total_seconds())


if __name__ == "__main__":
    unittest.main()
