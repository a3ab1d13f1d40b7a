"""
test_notifications.py - staff notifications through HTTP, on SQLite and
PostgreSQL: a ticket assigned to you (not when you take it yourself), the
client replying on your ticket (or on nobody's: the managers), SLA warnings
at 75, 90 and 100 % (not 50) for the assignee and the managers, a quote
accepted for its author and the managers; e-mail only for the kinds each
user chose (queued in outbound_messages and delivered to a real SMTP
server); the unread count, marking one and all read; every user sees and
changes only their own; and the bad input a real client sends.
"""

import json
import subprocess
import unittest

from harness import BIN, ServerTestCase, base_env, needs_test_build, unique
from mailservers import SmtpSink

PASSWORD = "Notify-Tests-Pass-For-Users-7!"
ALL_KINDS = ["assigned", "client_replied", "sla_warning", "quote_accepted", "negative_rating"]


class NotifyCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.smtp = SmtpSink().start()
        status, headers, _ = cls.admin.get("/api/v1/settings")
        status, _, body = cls.admin.patch("/api/v1/settings", {
            "firm_name": "Fixit IT", "mail_from": "support@firm.example",
            "smtp_host": "127.0.0.1", "smtp_port": cls.smtp.port, "smtp_security": "none",
            "public_url": "https://psa.firm.example"},
            headers={"If-Match": headers["etag"]})
        assert status == 200, body
        cls.users = {}
        for name, role in (("tech", "technician"), ("tech2", "technician"),
                           ("manager", "manager"), ("sales", "sales")):
            email = unique(name) + "@firm.example"
            cls.server.add_user(email, role, PASSWORD)
            client = cls.server.client(cls.server.token_for(email))
            me = client.get("/api/v1/me")[2]["user"]
            cls.users[name] = {"email": email, "client": client, "id": me["id"]}
        cls.tech = cls.users["tech"]["client"]
        cls.tech2 = cls.users["tech2"]["client"]
        cls.manager = cls.users["manager"]["client"]
        cls.sales = cls.users["sales"]["client"]
        status, _, company = cls.admin.post("/api/v1/companies", {"name": unique("Client ")})
        assert status == 201, company
        cls.company_id = company["id"]
        status, _, contact = cls.admin.post("/api/v1/contacts", {
            "company_id": cls.company_id, "first_name": "Cy", "last_name": "Client",
            "email": unique("cy") + "@client.example"})
        assert status == 201, contact
        cls.contact_id = contact["id"]
        cls.contact_email = contact["email"]

    @classmethod
    def tearDownClass(cls):
        try:
            cls.smtp.stop()
        finally:
            super().tearDownClass()

    # helpers

    def uid(self, name):
        return self.users[name]["id"]

    def create(self, path, body, client=None):
        return self.assertStatus((client or self.admin).post("/api/v1/" + path, body), 201,
                                 "create %s %r" % (path, body))

    def patch(self, path, body, client=None):
        c = client or self.admin
        status, headers, cur = c.get("/api/v1/" + path)
        self.assertEqual(status, 200, cur)
        return self.assertStatus(c.patch("/api/v1/" + path, body,
                                         headers={"If-Match": headers["etag"]}), 200)

    def ticket(self, client=None, **fields):
        body = {"subject": unique("Printer jams "), "company_id": self.company_id}
        body.update(fields)
        return self.create("tickets", body, client)

    def mine(self, client, query=""):
        """Every notification of the client's user (all pages), newest first."""
        out, path = [], "/api/v1/me/notifications" + query
        while True:
            page = self.assertStatus(client.get(path), 200, "GET " + path)
            out.extend(page["data"])
            if not page["next_cursor"]:
                return out
            sep = "&" if "?" in query else "?"
            path = "/api/v1/me/notifications%s%scursor=%s" % (query, sep, page["next_cursor"])

    def about(self, client, ticket_id=None, quote_id=None, kind=None):
        q = []
        if ticket_id:
            q.append("ticket_id=%d" % ticket_id)
        if quote_id:
            q.append("quote_id=%d" % quote_id)
        if kind:
            q.append("kind=" + kind)
        return self.mine(client, "?" + "&".join(q) if q else "")

    def unread(self, client):
        return self.assertStatus(client.get("/api/v1/me/notifications/count"), 200)["unread"]

    def set_email(self, client, kinds):
        return self.assertStatus(client.patch("/api/v1/me/notification-settings",
                                              {"email": kinds}), 200)

    def outbound(self, template, to):
        return self.assertStatus(self.admin.get(
            "/api/v1/outbound-messages?template=%s&to_address=%s" % (template, to)), 200)["data"]


class TestEvents(NotifyCase):

    def test_assignment_notifies_the_assignee_not_who_assigned_themselves(self):
        before = self.unread(self.tech)
        t = self.ticket(assignee_id=self.uid("tech"))
        got = self.about(self.tech, ticket_id=t["id"])
        self.assertEqual([n["kind"] for n in got], ["assigned"])
        n = got[0]
        self.assertEqual(n["user_id"], self.uid("tech"))
        self.assertEqual(n["link"], "/tickets/%d" % t["id"])
        self.assertIn(t["number"], n["title"])
        self.assertEqual(n["body"], t["subject"])
        self.assertFalse(n["read"])
        self.assertIsNone(n["read_at"])
        self.assertEqual(self.unread(self.tech), before + 1)
        # nobody else hears of it
        self.assertEqual(self.about(self.tech2, ticket_id=t["id"]), [])
        self.assertEqual(self.about(self.manager, ticket_id=t["id"]), [])
        # a technician taking a ticket themselves is no news to them
        own = self.ticket(client=self.tech, assignee_id=self.uid("tech"))
        self.assertEqual(self.about(self.tech, ticket_id=own["id"]), [])
        # handed on: the new assignee hears, the old one not again
        self.patch("tickets/%d" % t["id"], {"assignee_id": self.uid("tech2")})
        self.assertEqual([n["kind"] for n in self.about(self.tech2, ticket_id=t["id"])],
                         ["assigned"])
        self.assertEqual(len(self.about(self.tech, ticket_id=t["id"])), 1)
        # a change that leaves the assignee as it was tells nobody
        self.patch("tickets/%d" % t["id"], {"priority": "high"})
        self.assertEqual(len(self.about(self.tech2, ticket_id=t["id"])), 1)
        # escalating to a user assigns too
        self.assertStatus(self.admin.post("/api/v1/tickets/%d/escalate" % t["id"], {
            "to": "user", "user_id": self.uid("tech"), "reason": "needs the printer expert"},
            headers={"If-Match": "*"}), 200)
        self.assertEqual(len(self.about(self.tech, ticket_id=t["id"], kind="assigned")), 2)

    def test_client_reply_notifies_the_assignee_or_the_managers(self):
        t = self.ticket(assignee_id=self.uid("tech"), contact_id=self.contact_id)
        self.create("tickets/%d/notes" % t["id"], {
            "body": "The printer jams again on tray 2.", "visibility": "public",
            "contact_id": self.contact_id})
        got = self.about(self.tech, ticket_id=t["id"], kind="client_replied")
        self.assertEqual(len(got), 1, got)
        self.assertIn("Cy Client", got[0]["title"])
        self.assertEqual(got[0]["body"], "The printer jams again on tray 2.")
        self.assertEqual(self.about(self.manager, ticket_id=t["id"], kind="client_replied"), [])
        # staff's own notes are no client reply
        self.create("tickets/%d/notes" % t["id"], {"body": "Ordered a roller."})
        self.assertEqual(len(self.about(self.tech, ticket_id=t["id"], kind="client_replied")), 1)
        # nobody has the ticket: the managers hear
        u = self.ticket(contact_id=self.contact_id)
        self.create("tickets/%d/notes" % u["id"], {
            "body": "Anyone there?", "contact_id": self.contact_id})
        self.assertEqual(len(self.about(self.manager, ticket_id=u["id"],
                                        kind="client_replied")), 1)
        self.assertEqual(self.about(self.tech, ticket_id=u["id"]), [])

    def test_a_client_reply_by_mail_notifies_the_assignee(self):
        t = self.ticket(assignee_id=self.uid("tech"), contact_id=self.contact_id)
        raw = ("From: Cy Client <%s>\r\nTo: support@firm.example\r\n"
               "Subject: Re: [%s] %s\r\nMessage-ID: <%s@client.example>\r\n"
               "Date: Sun, 06 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\n"
               "Still jamming, see the photo.\r\n"
               % (self.contact_email, t["number"], t["subject"], unique("m"))).encode()
        r = subprocess.run([BIN, "mail-in"] + self.server.conf_args(), input=raw,
                           capture_output=True, env=base_env(self.server._with_clock(None)),
                           timeout=60)
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr).decode(errors="replace"))
        got = self.about(self.tech, ticket_id=t["id"], kind="client_replied")
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0]["body"], "Still jamming, see the photo.")
        # someone of the client's domain who is no contact yet: a client's reply all the same
        domain = unique("dom") + ".example"
        status, headers, _ = self.admin.get("/api/v1/companies/%d" % self.company_id)
        self.assertStatus(self.admin.patch("/api/v1/companies/%d" % self.company_id,
                                           {"email_domain": domain},
                                           headers={"If-Match": headers["etag"]}), 200)
        raw = ("From: New Colleague <new@%s>\r\nTo: support@firm.example\r\n"
               "Subject: Re: [%s] %s\r\nMessage-ID: <%s@client.example>\r\n\r\n"
               "I work here too: it is still jamming.\r\n"
               % (domain, t["number"], t["subject"], unique("m"))).encode()
        r = subprocess.run([BIN, "mail-in"] + self.server.conf_args(), input=raw,
                           capture_output=True, env=base_env(self.server._with_clock(None)),
                           timeout=60)
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr).decode(errors="replace"))
        got = self.about(self.tech, ticket_id=t["id"], kind="client_replied")
        self.assertEqual(len(got), 2, got)
        self.assertIn("new@" + domain, got[0]["body"])

    @needs_test_build
    def test_sla_warnings_at_75_90_and_100_percent(self):
        cal = self.create("calendars", {"name": unique("24x7 "), "timezone": "UTC",
                                        "always_open": True})
        policy = self.create("sla-policies", {
            "name": unique("Fast "), "calendar_id": cal["id"],
            "targets": [{"priority": "critical", "response_minutes": 60,
                         "resolution_minutes": 600}]})
        contract = self.create("contracts", {
            "company_id": self.company_id, "name": "Fast", "kind": "time_materials",
            "starts_on": "2026-01-01", "sla_policy_id": policy["id"]})
        t = self.ticket(contract_id=contract["id"], priority="critical",
                        assignee_id=self.uid("tech"))
        # 40 minutes: 67 % of the response time, only the 50 % warning
        self.server.move_clock(40 * 60)
        try:
            r = self.server.run_cli("worker", "--run", "sla")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.about(self.tech, ticket_id=t["id"], kind="sla_warning"), [])
            self.server.move_clock(80 * 60)     # two hours in
            for _ in range(2):  # the second run fires nothing new
                r = self.server.run_cli("worker", "--run", "sla")
                self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            self.server.set_clock(0)
        for who in ("tech", "manager"):
            got = self.about(self.users[who]["client"], ticket_id=t["id"], kind="sla_warning")
            titles = sorted(n["title"] for n in got)
            self.assertEqual(len(got), 3, (who, titles))
            self.assertEqual(titles, sorted([
                "%s: 75 %% of the response time used" % t["number"],
                "%s: 90 %% of the response time used" % t["number"],
                "%s: the response time is up" % t["number"]]), who)
            # the audit log keeps each as it was made (on PostgreSQL the sweep
            # writes them without reading them back: the record is made from
            # what was written, and must be the row as read)
            for n in got:
                audit = self.assertStatus(self.admin.get(
                    "/api/v1/audit?resource=notifications&record_id=%d" % n["id"]), 200)["data"]
                self.assertEqual([a["action"] for a in audit], ["create"], n)
                # as text: in Python 0 == False
                self.assertEqual(json.dumps(audit[0]["after"], sort_keys=True),
                                 json.dumps(n, sort_keys=True))
        self.assertEqual(self.about(self.tech2, ticket_id=t["id"]), [])
        # the warnings are events of the outbox too (for webhooks)
        events = self.assertStatus(self.admin.get(
            "/api/v1/events?type=ticket.sla_warning&record_id=%d" % t["id"]), 200)["data"]
        self.assertEqual(sorted(e["data"]["percent"] for e in events), [50, 75, 90, 100])

    def test_quote_accepted_tells_its_author_and_the_managers(self):
        q = self.create("quotes", {
            "company_id": self.company_id, "contact_id": self.contact_id,
            "title": "Network refresh",
            "lines": [{"kind": "service", "description": "Monitoring", "unit_price": 4999}]},
            client=self.sales)
        sent = self.assertStatus(self.sales.post("/api/v1/quotes/%d/send" % q["id"], {},
                                                 headers={"If-Match": "*"}), 200)
        token = sent["public_url"].rsplit("/", 1)[1]
        anon = self.server.client()
        self.assertStatus(anon.post("/api/v1/public/quotes/%s/accept" % token,
                                    {"name": "Cy Client"}), 200)
        for who in ("sales", "manager"):
            got = self.about(self.users[who]["client"], quote_id=q["id"])
            self.assertEqual([n["kind"] for n in got], ["quote_accepted"], who)
            self.assertEqual(got[0]["link"], "/quotes/%d" % q["id"])
            self.assertIn(q["number"], got[0]["title"])
        self.assertEqual(self.about(self.tech, quote_id=q["id"]), [])


class TestEmail(NotifyCase):

    def test_mail_goes_only_for_the_kinds_chosen(self):
        tech = self.users["tech"]
        self.assertEqual(self.set_email(self.tech, ["sla_warning"])["email"], ["sla_warning"])
        try:
            t = self.ticket(assignee_id=tech["id"])
            n = self.about(self.tech, ticket_id=t["id"])[0]
            self.assertFalse(n["emailed"])
            self.assertEqual(self.outbound("notify_assigned", tech["email"]), [])
            self.set_email(self.tech, ["assigned", "client_replied"])
            seen = len(self.smtp.messages)
            t2 = self.ticket(assignee_id=tech["id"])
            n = self.about(self.tech, ticket_id=t2["id"])[0]
            self.assertTrue(n["emailed"])
            queued = self.outbound("notify_assigned", tech["email"])
            self.assertEqual(len(queued), 1, queued)
            self.assertIn(t2["number"], queued[0]["subject"])
            self.assertTrue(queued[0]["automatic"])
            # it is the staff's, not the client's thread
            self.assertIsNone(queued[0]["ticket_id"])
            self.assertIsNone(queued[0]["contact_id"])
            msg = self.smtp.wait_to(tech["email"], after=seen)
            self.assertIn(t2["number"], msg["Subject"])
            self.assertEqual(msg["Auto-Submitted"], "auto-generated")
            body = msg.get_body(("plain",)).get_content()
            self.assertIn("https://psa.firm.example/tickets/%d" % t2["id"], body)
            self.assertIn(t2["subject"], body)
        finally:
            self.set_email(self.tech, ALL_KINDS)

    def test_nothing_is_mailed_without_outgoing_mail(self):
        status, headers, _ = self.admin.get("/api/v1/settings")
        self.assertStatus(self.admin.patch("/api/v1/settings", {"smtp_host": None},
                                           headers={"If-Match": headers["etag"]}), 200)
        try:
            t = self.ticket(assignee_id=self.uid("tech2"))
            n = self.about(self.tech2, ticket_id=t["id"])
            self.assertEqual(len(n), 1)
            self.assertFalse(n[0]["emailed"])
        finally:
            status, headers, _ = self.admin.get("/api/v1/settings")
            self.assertStatus(self.admin.patch("/api/v1/settings", {"smtp_host": "127.0.0.1"},
                                               headers={"If-Match": headers["etag"]}), 200)


class TestReading(NotifyCase):

    def test_read_one_read_all_and_the_count(self):
        a = self.ticket(assignee_id=self.uid("tech2"))
        b = self.ticket(assignee_id=self.uid("tech2"))
        self.assertGreaterEqual(self.unread(self.tech2), 2)
        n = self.about(self.tech2, ticket_id=a["id"])[0]
        before = self.unread(self.tech2)
        done = self.assertStatus(self.tech2.post("/api/v1/me/notifications/%d/read" % n["id"]),
                                 200)
        self.assertTrue(done["read"])
        self.assertRegex(done["read_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(self.unread(self.tech2), before - 1)
        # again: no change
        again = self.assertStatus(self.tech2.post("/api/v1/me/notifications/%d/read" % n["id"]),
                                  200)
        self.assertEqual(again["read_at"], done["read_at"])
        self.assertEqual(self.unread(self.tech2), before - 1)
        unread = self.mine(self.tech2, "?read=false")
        self.assertNotIn(n["id"], [x["id"] for x in unread])
        self.assertIn(self.about(self.tech2, ticket_id=b["id"])[0]["id"],
                      [x["id"] for x in unread])
        all_read = self.assertStatus(self.tech2.post("/api/v1/me/notifications/read-all"), 200)
        self.assertEqual(all_read["updated"], before - 1)
        self.assertEqual(self.unread(self.tech2), 0)
        self.assertEqual(self.mine(self.tech2, "?read=false"), [])
        self.assertEqual(self.assertStatus(self.tech2.post(
            "/api/v1/me/notifications/read-all"), 200)["updated"], 0)

    def test_paging_newest_first(self):
        for _ in range(3):
            self.ticket(assignee_id=self.uid("manager"))
        page = self.assertStatus(self.manager.get("/api/v1/me/notifications?limit=2"), 200)
        self.assertEqual(len(page["data"]), 2)
        self.assertIsNotNone(page["next_cursor"])
        every = self.mine(self.manager)
        ids = [n["id"] for n in every]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(ids[:2], [n["id"] for n in page["data"]])

    def test_only_your_own(self):
        t = self.ticket(assignee_id=self.uid("tech"))
        theirs = self.about(self.tech, ticket_id=t["id"])[0]
        # another user: not in their list, not theirs to read
        self.assertNotIn(theirs["id"], [n["id"] for n in self.mine(self.tech2)])
        self.assertProblem(self.tech2.post("/api/v1/me/notifications/%d/read" % theirs["id"]),
                           404)
        self.assertProblem(self.admin.post("/api/v1/me/notifications/%d/read" % theirs["id"]),
                           404)
        self.assertFalse(self.about(self.tech, ticket_id=t["id"])[0]["read"])
        # nor can a list name another user
        self.assertProblem(self.tech2.get("/api/v1/me/notifications?user_id=%d"
                                          % self.uid("tech")), 400)
        self.assertProblem(self.tech2.post("/api/v1/me/notifications/999999999/read"), 404)
        self.assertProblem(self.tech2.post("/api/v1/me/notifications/abc/read"), 404)
        # one's settings are one's own
        self.set_email(self.tech2, ["quote_accepted"])
        try:
            self.assertEqual(self.assertStatus(self.tech.get(
                "/api/v1/me/notification-settings"), 200)["email"], ALL_KINDS)
        finally:
            self.set_email(self.tech2, ALL_KINDS)
        # clients of the portal and the anonymous have none
        self.assertProblem(self.server.client().get("/api/v1/me/notifications"), 401)

    def test_settings_and_bad_input(self):
        got = self.assertStatus(self.sales.get("/api/v1/me/notification-settings"), 200)
        self.assertEqual(got, {"email": ALL_KINDS, "kinds": ALL_KINDS})
        path = "/api/v1/me/notification-settings"
        self.assertProblem(self.sales.patch(path, {"email": ["assigned", "gossip"]}), 422,
                           "email")
        self.assertProblem(self.sales.patch(path, {"email": "assigned"}), 422, "email")
        self.assertProblem(self.sales.patch(path, {"email": [1]}), 422, "email")
        self.assertProblem(self.sales.patch(path, {}), 422, "email")
        self.assertProblem(self.sales.patch(path, {"email": [], "sms": []}), 422, "sms")
        self.assertProblem(self.sales.patch(path, [1]), 400)
        self.assertProblem(self.sales.patch(path, None, raw=b"{nope"), 400)
        # nothing changed by the refusals
        self.assertEqual(self.assertStatus(self.sales.get(path), 200)["email"], ALL_KINDS)
        # an empty choice is a choice; duplicates are kept once
        self.assertEqual(self.set_email(self.sales, [])["email"], [])
        self.assertEqual(self.set_email(self.sales, ["assigned", "assigned"])["email"],
                         ["assigned"])
        me = self.assertStatus(self.admin.get("/api/v1/users/%d" % self.uid("sales")), 200)
        self.assertEqual(me["notify_email"], ["assigned"])
        # the change is audited under the user
        audit = self.assertStatus(self.admin.get(
            "/api/v1/audit?resource=users&record_id=%d" % self.uid("sales")), 200)["data"]
        self.assertTrue(any((a.get("after") or {}).get("notify_email") == ["assigned"]
                            for a in audit), audit)
        self.set_email(self.sales, ALL_KINDS)
        # nobody else may set them (read-only on the user)
        status, headers, _ = self.admin.get("/api/v1/users/%d" % self.uid("sales"))
        self.assertProblem(self.admin.patch("/api/v1/users/%d" % self.uid("sales"),
                                            {"notify_email": []},
                                            headers={"If-Match": headers["etag"]}), 422,
                           "notify_email")
        # the list's bad queries
        self.assertProblem(self.sales.get("/api/v1/me/notifications?kind=gossip"), 400)
        self.assertProblem(self.sales.get("/api/v1/me/notifications?read=maybe"), 400)
        self.assertProblem(self.sales.get("/api/v1/me/notifications/count?x=1"), 400)


if __name__ == "__main__":
    unittest.main()
