"""
The client portal: invitations, activation, sign-in, password reset and
TOTP for contacts; their company's tickets, quotes, invoices, contracts and
assets under /api/v1/portal/; and a leak test generated from the route
table: every portal route tried with another company's ids, every staff
route tried with a portal session.
"""
import base64
import hashlib
import hmac
import re
import struct
import sys
import unittest

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, BIN, Client, ServerTestCase, route_table,
                     unique)
from mailservers import SmtpSink

CLIENT_PASSWORD = "Quiet-lantern-47-river"


def totp_now(secret, at):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10 ** 6)


def link_token(text, kind):
    m = re.search(r"/portal/%s/([A-Za-z0-9_-]{43})" % kind, text)
    return m.group(1) if m else None


class PortalCase(ServerTestCase):

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

    @classmethod
    def tearDownClass(cls):
        try:
            cls.smtp.stop()
        finally:
            super().tearDownClass()

    def create(self, path, body, client=None):
        return self.assertStatus((client or self.admin).post("/api/v1/" + path, body), 201,
                                 "create %s %r" % (path, body))

    def patch(self, path, body, client=None, expect=200):
        c = client or self.admin
        status, headers, cur = c.get("/api/v1/" + path)
        self.assertEqual(status, 200, cur)
        return self.assertStatus(c.patch("/api/v1/" + path, body,
                                         headers={"If-Match": headers["etag"]}), expect)

    def company(self, name="Client"):
        return self.create("companies", {"name": unique(name + " ")})

    def contact(self, company, role="admin", access=True, email=None):
        return self.create("contacts", {
            "company_id": company["id"], "first_name": "Cy", "last_name": unique("Client"),
            "email": email or unique("cy") + "@client.example", "portal_access": access,
            "portal_role": role})

    def invite(self, contact, expect=200, client=None):
        return self.assertStatus((client or self.admin).post(
            "/api/v1/contacts/%d/invite" % contact["id"]), expect, "invite")

    def portal(self, contact):
        """A signed-in portal client for the contact (invited and activated)."""
        made = self.invite(contact)
        token = link_token(made["invite_url"], "activate")
        c = Client(self.server.port)
        status, headers, body = c.post("/api/v1/portal/auth/activate",
                                       {"token": token, "password": CLIENT_PASSWORD})
        self.assertEqual(status, 200, body)
        c.adopt_portal_session(headers, body)
        return c


class TestSignIn(PortalCase):

    def test_no_public_url_no_invitation(self):
        """Without the firm's address there is no link to send: a 409 naming the setting."""
        person = self.contact(self.company())
        before = self.assertStatus(self.admin.get("/api/v1/settings"), 200)["public_url"]
        self.patch("settings", {"public_url": None})
        try:
            body = self.assertProblem(self.admin.post(
                "/api/v1/contacts/%d/invite" % person["id"], headers={"Host": "evil.example"}),
                409, "public_url")
            self.assertIn("public_url", body["detail"])
        finally:
            self.patch("settings", {"public_url": before})
        self.assertTrue(self.invite(person)["invite_url"].startswith(before + "/portal/"))

    def test_invite_activate_sign_in_and_out(self):
        co = self.company()
        person = self.contact(co, role="technical")
        sent_before = len(self.smtp.messages)
        made = self.assertStatus(self.admin.post(
            "/api/v1/contacts/%d/invite" % person["id"], headers={"Host": "evil.example"}),
            200, "invite")
        self.assertTrue(made["invite_url"].startswith("https://psa.firm.example/portal/activate/"),
                        "the link is on public_url, never the caller's Host: %s" % made)
        self.assertTrue(made["email_queued"])
        mail = self.smtp.wait_to(person["email"], after=sent_before)
        text = mail.get_body(("plain",)).get_content()
        token = link_token(text, "activate")
        self.assertEqual(token, link_token(made["invite_url"], "activate"))
        # staff reading the mail log never see the link
        msgs = self.assertStatus(self.admin.get(
            "/api/v1/outbound-messages?template=portal_invitation"), 200)["data"]
        mine = [m for m in msgs if m["to_address"] == person["email"]]
        self.assertTrue(mine)
        self.assertNotIn(token, mine[0]["body"])
        self.assertIn("never shown here", mine[0]["body"])

        anon = Client(self.server.port)
        who = self.assertStatus(anon.get("/api/v1/portal/auth/invitation/" + token), 200)
        self.assertEqual(who["email"], person["email"])
        self.assertEqual(who["company_name"], co["name"])
        # a weak password is refused and the link still works
        self.assertProblem(anon.post("/api/v1/portal/auth/activate",
                                     {"token": token, "password": "short"}), 422, "password")
        status, headers, body = anon.post("/api/v1/portal/auth/activate",
                                          {"token": token, "password": CLIENT_PASSWORD})
        self.assertEqual(status, 200, body)
        self.assertIn("servio_portal=", headers["set-cookie"])
        self.assertNotIn("servio_session=", headers["set-cookie"])
        self.assertEqual(body["contact"]["portal_role"], "technical")
        self.assertEqual(body["contact"]["company_id"], co["id"])
        # the link works once
        self.assertProblem(anon.post("/api/v1/portal/auth/activate",
                                     {"token": token, "password": CLIENT_PASSWORD}), 404)
        self.assertProblem(anon.get("/api/v1/portal/auth/invitation/" + token), 404)
        got = self.assertStatus(self.admin.get("/api/v1/contacts/%d" % person["id"]), 200)
        self.assertIsNotNone(got["portal_activated_at"])
        self.assertIsNotNone(got["portal_invited_at"])

        c = Client(self.server.port)
        c.portal_login(person["email"].upper(), CLIENT_PASSWORD)
        me = self.assertStatus(c.get("/api/v1/portal/auth/me"), 200)
        self.assertEqual(me["contact"]["id"], person["id"])
        self.assertTrue(me["csrf_token"])
        # unsafe methods need the CSRF token
        self.assertProblem(c.post("/api/v1/portal/tickets", {"subject": "x"},
                                  headers={"X-CSRF-Token": "nope"}), 403)
        self.assertStatus(c.post("/api/v1/portal/auth/logout"), 204)
        self.assertProblem(c.get("/api/v1/portal/auth/me"), 401)
        # wrong password, unknown address: the same answer
        bad = Client(self.server.port)
        self.assertProblem(bad.post("/api/v1/portal/auth/login", {
            "email": person["email"], "password": "wrong-password-123"}), 401)
        self.assertProblem(bad.post("/api/v1/portal/auth/login", {
            "email": "nobody@client.example", "password": "wrong-password-123"}), 401)
        # a portal login is no staff login, and the reverse
        self.assertProblem(bad.post("/api/v1/auth/login", {
            "email": person["email"], "password": CLIENT_PASSWORD}), 401)
        self.assertProblem(bad.post("/api/v1/portal/auth/login", {
            "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}), 401)

    def test_invitations_refused(self):
        co = self.company()
        no_access = self.contact(co, access=False)
        self.assertProblem(self.admin.post("/api/v1/contacts/%d/invite" % no_access["id"]), 409)
        no_mail = self.create("contacts", {"company_id": co["id"], "first_name": "No",
                                           "last_name": "Mail", "portal_access": True})
        self.assertProblem(self.admin.post("/api/v1/contacts/%d/invite" % no_mail["id"]), 409)
        self.assertProblem(self.admin.post("/api/v1/contacts/99999999/invite"), 404)
        self.assertProblem(self.admin.post("/api/v1/contacts/abc/invite"), 404)
        ok = self.contact(co)
        self.assertProblem(self.admin.post("/api/v1/contacts/%d/invite" % ok["id"],
                                           {"role": "admin"}), 422)
        tech_email = unique("tech") + "@firm.example"
        self.server.add_user(tech_email, "technician", ADMIN_PASSWORD)
        tech = self.server.client(self.server.token_for(tech_email))
        self.assertProblem(tech.post("/api/v1/contacts/%d/invite" % ok["id"]), 403)
        # an address that is a staff user's cannot become a portal login
        clash = self.contact(co, email=tech_email)
        self.assertProblem(self.admin.post("/api/v1/contacts/%d/invite" % clash["id"]), 409)
        # a second invitation ends the first
        first = link_token(self.invite(ok)["invite_url"], "activate")
        second = link_token(self.invite(ok)["invite_url"], "activate")
        anon = Client(self.server.port)
        self.assertProblem(anon.get("/api/v1/portal/auth/invitation/" + first), 404)
        self.assertStatus(anon.get("/api/v1/portal/auth/invitation/" + second), 200)
        self.assertProblem(anon.get("/api/v1/portal/auth/invitation/" + "x" * 43), 404)
        self.assertProblem(anon.post("/api/v1/portal/auth/activate",
                                     {"token": "forged", "password": CLIENT_PASSWORD}), 404)
        self.assertProblem(anon.post("/api/v1/portal/auth/activate",
                                     {"token": 5, "password": CLIENT_PASSWORD}), 422, "token")

    def test_invitation_expires(self):
        co = self.company()
        person = self.contact(co)
        token = link_token(self.invite(person)["invite_url"], "activate")
        self.server.move_clock(8 * 86400)
        try:
            self.assertProblem(Client(self.server.port).post(
                "/api/v1/portal/auth/activate", {"token": token, "password": CLIENT_PASSWORD}),
                404)
        finally:
            self.server.set_clock(0)

    def test_password_reset_by_mail(self):
        co = self.company()
        person = self.contact(co)
        before_reset = self.portal(person)
        self.smtp.wait_to(person["email"])  # the invitation
        anon = Client(self.server.port)
        before = len(self.smtp.messages)
        self.assertStatus(anon.post("/api/v1/portal/auth/reset-request",
                                    {"email": person["email"]}), 202)
        # an unknown address gets the same answer and no mail
        self.assertStatus(anon.post("/api/v1/portal/auth/reset-request",
                                    {"email": "nobody@client.example"}), 202)
        self.assertProblem(anon.post("/api/v1/portal/auth/reset-request",
                                     {"email": "not an address"}), 422, "email")
        mail = self.smtp.wait_to(person["email"], after=before)
        text = mail.get_body(("plain",)).get_content()
        token = link_token(text, "reset")
        self.assertTrue(token, text)
        new = "Another-quiet-lantern-58"
        self.assertProblem(anon.post("/api/v1/portal/auth/reset",
                                     {"token": token, "password": "1234"}), 422, "password")
        self.assertProblem(anon.post("/api/v1/portal/auth/reset",
                                     {"token": token, "password": "password12"}), 422, "password")
        self.assertStatus(before_reset.get("/api/v1/portal/auth/me"), 200)
        self.assertStatus(anon.post("/api/v1/portal/auth/reset",
                                    {"token": token, "password": new}), 204)
        self.assertProblem(before_reset.get("/api/v1/portal/auth/me"), 401,
                           what="a portal session from before the reset")
        self.assertProblem(anon.post("/api/v1/portal/auth/reset",
                                     {"token": token, "password": new}), 404)
        Client(self.server.port).portal_login(person["email"], CLIENT_PASSWORD, expect=401)
        Client(self.server.port).portal_login(person["email"], new)
        # an invitation token is no reset token
        invite = link_token(self.invite(person)["invite_url"], "activate")
        self.assertProblem(anon.post("/api/v1/portal/auth/reset",
                                     {"token": invite, "password": new}), 404)

    def test_totp(self):
        co = self.company()
        person = self.contact(co)
        c = self.portal(person)
        secret = self.assertStatus(c.post("/api/v1/portal/auth/totp"), 200)["secret"]
        now = self.server.now()
        wrong = "%06d" % ((int(totp_now(secret, now)) + 1) % 10 ** 6)
        self.assertProblem(c.post("/api/v1/portal/auth/totp/confirm", {"code": wrong}), 422,
                           "code")
        self.assertStatus(c.post("/api/v1/portal/auth/totp/confirm",
                                 {"code": totp_now(secret, now + 30)}), 200)
        anon = Client(self.server.port)
        status, _, body = anon.portal_login(person["email"], CLIENT_PASSWORD, expect=401)
        self.assertIn("totp-required", body["type"])

    def test_access_follows_the_contact(self):
        co = self.company()
        person = self.contact(co)
        c = self.portal(person)
        self.assertStatus(c.get("/api/v1/portal/auth/me"), 200)
        # a new address moves the login with it
        new = unique("moved") + "@client.example"
        self.patch("contacts/%d" % person["id"], {"email": new})
        Client(self.server.port).portal_login(new, CLIENT_PASSWORD)
        Client(self.server.port).portal_login(person["email"], CLIENT_PASSWORD, expect=401)
        # portal logins are no staff users: not listed, not editable
        users = self.assertStatus(self.admin.get("/api/v1/users?limit=200"), 200)["data"]
        self.assertFalse([u for u in users if u["email"] == new])
        self.assertProblem(self.admin.post("/api/v1/users", {
            "email": unique("p") + "@x.example", "name": "P", "role": "portal",
            "password": CLIENT_PASSWORD}), 422, "role")
        # taking access away ends the session at once
        self.patch("contacts/%d" % person["id"], {"portal_access": False})
        self.assertProblem(c.get("/api/v1/portal/auth/me"), 401)
        Client(self.server.port).portal_login(new, CLIENT_PASSWORD, expect=401)


class TestRecords(PortalCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

    def setUp(self):
        self.co = self.company("Mine")
        self.other = self.company("Theirs")
        self.me = self.contact(self.co, role="admin")
        self.c = self.portal(self.me)

    def ticket(self, company, **fields):
        body = {"company_id": company["id"], "subject": "Printer jam " + unique()}
        body.update(fields)
        return self.create("tickets", body)

    def test_tickets_conversation_confirm_and_reopen(self):
        site = self.create("sites", {"company_id": self.co["id"], "name": "HQ"})
        theirs = self.create("sites", {"company_id": self.other["id"], "name": "Their HQ"})
        made = self.assertStatus(self.c.post("/api/v1/portal/tickets", {
            "subject": "VPN drops every hour", "description": "Since Monday.",
            "priority": "high", "site_id": site["id"]}), 201)
        self.assertEqual(made["channel"], "portal")
        self.assertEqual(made["contact_id"], self.me["id"])
        self.assertEqual(made["company_id"], self.co["id"])
        for hidden in ("assignee_id", "sla", "sla_warnings", "tier", "follow_up_note",
                       "response_due_at"):
            self.assertNotIn(hidden, made)
        self.assertProblem(self.c.post("/api/v1/portal/tickets", {
            "subject": "x", "site_id": theirs["id"]}), 422, "site_id")
        self.assertProblem(self.c.post("/api/v1/portal/tickets", {
            "subject": "x", "status": "resolved"}), 422, "status")
        self.assertProblem(self.c.post("/api/v1/portal/tickets", {
            "subject": "x", "company_id": self.other["id"]}), 422, "company_id")
        self.assertProblem(self.c.post("/api/v1/portal/tickets", {"subject": 7}), 422, "subject")
        self.assertProblem(self.c.post("/api/v1/portal/tickets", raw="{"), 400)
        tid = made["id"]
        # staff write a public and an internal note; the client sees the public one
        self.create("tickets/%d/notes" % tid, {"body": "We are looking into it.",
                                               "visibility": "public"})
        self.create("tickets/%d/notes" % tid, {"body": "Firewall password is hunter2",
                                               "visibility": "internal"})
        conv = self.assertStatus(self.c.get("/api/v1/portal/tickets/%d/notes" % tid), 200)
        bodies = [n["body"] for n in conv["data"]]
        self.assertEqual(bodies, ["We are looking into it."])
        self.assertFalse(conv["data"][0]["from_client"])
        reply = self.assertStatus(self.c.post("/api/v1/portal/tickets/%d/notes" % tid,
                                              {"body": "Thanks, it dropped again at 10:00."}),
                                  201)
        self.assertTrue(reply["from_client"])
        staff_view = self.assertStatus(self.admin.get("/api/v1/tickets/%d/notes" % tid), 200)
        mine = [n for n in staff_view["data"] if n["body"].startswith("Thanks")]
        self.assertEqual(mine[0]["contact_id"], self.me["id"])
        self.assertEqual(mine[0]["visibility"], "public")
        self.assertIsNone(mine[0]["author_id"])
        self.assertProblem(self.c.post("/api/v1/portal/tickets/%d/notes" % tid,
                                       {"body": "x", "visibility": "internal"}), 422,
                           "visibility")
        # confirm only a resolved ticket
        self.assertProblem(self.c.post("/api/v1/portal/tickets/%d/confirm" % tid), 409)
        self.assertProblem(self.c.post("/api/v1/portal/tickets/%d/rate" % tid, {"rating": 4}),
                           409)
        self.assertProblem(self.c.get("/api/v1/portal/tickets/%d/survey" % tid), 404)
        self.assertStatus(self.admin.post("/api/v1/tickets/%d/resolve" % tid,
                                          {"resolution": "Replaced the router."},
                                          headers={"If-Match": "*"}), 200)
        reopened = self.assertStatus(self.c.post("/api/v1/portal/tickets/%d/reopen" % tid,
                                                 {"reason": "Still dropping."}), 200)
        self.assertEqual(reopened["status"], "in_progress")
        self.assertStatus(self.admin.post("/api/v1/tickets/%d/resolve" % tid,
                                          {"resolution": "Firmware updated."},
                                          headers={"If-Match": "*"}), 200)
        # the client rates it: the survey the resolution made
        self.assertProblem(self.c.post("/api/v1/portal/tickets/%d/rate" % tid, {"rating": 7}),
                           422, "rating")
        self.assertProblem(self.c.post("/api/v1/portal/tickets/%d/rate" % tid, {"rating": "5"}),
                           422, "rating")
        rated = self.assertStatus(self.c.post("/api/v1/portal/tickets/%d/rate" % tid, {
            "rating": 5, "comment": "Quick and friendly."}), 200)
        self.assertEqual(rated["rating"], 5)
        got = self.assertStatus(self.c.get("/api/v1/portal/tickets/%d/survey" % tid), 200)
        self.assertEqual(got["comment"], "Quick and friendly.")
        staff = self.assertStatus(self.admin.get("/api/v1/surveys?ticket_id=%d" % tid), 200)
        self.assertEqual(staff["data"][0]["rating"], 5)
        closed = self.assertStatus(self.c.post("/api/v1/portal/tickets/%d/confirm" % tid), 200)
        self.assertEqual(closed["status"], "closed")
        # a reply to a closed ticket is refused with what to do instead
        body = self.assertProblem(self.c.post("/api/v1/portal/tickets/%d/notes" % tid,
                                              {"body": "One more thing"}), 409)
        self.assertIn("open a new ticket", body["detail"])
        self.assertProblem(self.c.post("/api/v1/portal/tickets/%d/reopen" % tid,
                                       {"reason": "again"}), 409)
        listed = self.assertStatus(self.c.get("/api/v1/portal/tickets"), 200)["data"]
        self.assertEqual({t["company_id"] for t in listed}, {self.co["id"]})

    def test_search_sees_only_their_company(self):
        word = unique("sprocket")
        theirs = [self.ticket(self.other, subject="%s broken" % word)["id"] for _ in range(3)]
        mine = [self.ticket(self.co, subject="%s broken" % word)["id"] for _ in range(3)]
        theirs += [self.ticket(self.other, subject="%s broken" % word)["id"] for _ in range(3)]
        seen, path = [], "/api/v1/portal/tickets?q=%s&limit=2" % word[:-2]
        while path:
            body = self.assertStatus(self.c.get(path), 200)
            seen += [t["id"] for t in body["data"]]
            path = body["next_cursor"] and ("/api/v1/portal/tickets?q=%s&limit=2&cursor=%s"
                                            % (word[:-2], body["next_cursor"]))
        self.assertEqual(seen, mine[::-1], "their own, newest first")
        other = self.portal(self.contact(self.other, role="admin"))
        found = self.assertStatus(other.get("/api/v1/portal/tickets?q=broken+" + word), 200)
        self.assertEqual([t["id"] for t in found["data"]], theirs[::-1])

    def test_help_articles(self):
        shown = self.create("kb/articles", {"title": "Reset your VPN token " + unique(),
                                            "body": "1. Open the **app**.", "visibility": "portal",
                                            "tags": ["vpn"]})
        inner = self.create("kb/articles", {"title": "Firewall admin password " + unique(),
                                            "body": "Ask Morgan.", "visibility": "internal"})
        listed = self.assertStatus(self.c.get("/api/v1/portal/kb/articles?limit=200"), 200)["data"]
        ids = [a["id"] for a in listed]
        self.assertIn(shown["id"], ids)
        self.assertNotIn(inner["id"], ids)
        self.assertEqual({a["visibility"] for a in listed}, {"portal"})
        found = self.assertStatus(self.c.get("/api/v1/portal/kb/articles?q=vpn"), 200)["data"]
        self.assertIn(shown["id"], [a["id"] for a in found])
        one = self.assertStatus(self.c.get("/api/v1/portal/kb/articles/%d" % shown["id"]), 200)
        self.assertIn("<strong>app</strong>", one["html"])
        self.assertNotIn("author_id", one)
        self.assertProblem(self.c.get("/api/v1/portal/kb/articles/%d" % inner["id"]), 404)
        self.assertProblem(self.c.get("/api/v1/portal/kb/articles?visibility=internal"), 400)
        billing = self.portal(self.contact(self.co, role="billing"))
        self.assertProblem(billing.get("/api/v1/portal/kb/articles"), 403)

    def test_attachments(self):
        t = self.ticket(self.co, contact_id=self.me["id"])
        boundary = "XyZ" + unique()
        payload = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"log.txt\""
                   "\r\nContent-Type: text/plain\r\n\r\nerror 42\r\n--%s--\r\n"
                   % (boundary, boundary)).encode()
        up = self.assertStatus(self.c.request(
            "POST", "/api/v1/portal/tickets/%d/attachments" % t["id"], raw=payload,
            headers={"Content-Type": "multipart/form-data; boundary=" + boundary}), 201)
        att = up["data"][0]
        self.assertEqual(att["contact_id"], self.me["id"])
        got = self.c.get("/api/v1/portal/attachments/%d/content" % att["id"])
        self.assertEqual(got[0], 200)
        self.assertEqual(got[1]["x-content-type-options"], "nosniff")
        # a file on an internal note stays the firm's
        note = self.create("tickets/%d/notes" % t["id"], {"body": "internal screenshot"})
        boundary2 = "QqQ" + unique()
        payload2 = ("--%s\r\nContent-Disposition: form-data; name=\"note_id\"\r\n\r\n%d\r\n"
                    "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pw.txt\""
                    "\r\nContent-Type: text/plain\r\n\r\nsecret\r\n--%s--\r\n"
                    % (boundary2, note["id"], boundary2, boundary2)).encode()
        inner = self.assertStatus(self.admin.request(
            "POST", "/api/v1/tickets/%d/attachments" % t["id"], raw=payload2,
            headers={"Content-Type": "multipart/form-data; boundary=" + boundary2}), 201)
        hidden = inner["data"][0]["id"]
        seen = self.assertStatus(self.c.get("/api/v1/portal/tickets/%d/attachments" % t["id"]),
                                 200)["data"]
        self.assertEqual([a["id"] for a in seen], [att["id"]])
        self.assertProblem(self.c.get("/api/v1/portal/attachments/%d/content" % hidden), 404)
        # the portal attaches to the ticket, never to a note
        self.assertProblem(self.c.request(
            "POST", "/api/v1/portal/tickets/%d/attachments" % t["id"], raw=payload2,
            headers={"Content-Type": "multipart/form-data; boundary=" + boundary2}), 422,
            "note_id")

    def test_quotes_invoices_contracts_and_roles(self):
        lines = [{"kind": "service", "description": "Cabling", "unit_price": 25000}]
        draft = self.create("quotes", {"company_id": self.co["id"], "title": "Draft",
                                       "lines": lines})
        sent = self.create("quotes", {"company_id": self.co["id"], "title": "Wifi",
                                      "lines": lines})
        self.assertStatus(self.admin.post("/api/v1/quotes/%d/send" % sent["id"],
                                          headers={"If-Match": "*"}), 200)
        listed = self.assertStatus(self.c.get("/api/v1/portal/quotes"), 200)["data"]
        self.assertEqual([q["id"] for q in listed], [sent["id"]])
        self.assertTrue(listed[0]["can_respond"])
        self.assertProblem(self.c.get("/api/v1/portal/quotes/%d" % draft["id"]), 404)
        self.assertProblem(self.c.get("/api/v1/portal/quotes?status=draft"), 400)
        pdf = self.c.get("/api/v1/portal/quotes/%d.pdf" % sent["id"])
        self.assertEqual(pdf[0], 200)
        self.assertEqual(pdf[1]["content-type"], "application/pdf")
        self.assertProblem(self.c.post("/api/v1/portal/quotes/%d/accept" % sent["id"], {}),
                           422, "name")
        accepted = self.assertStatus(self.c.post("/api/v1/portal/quotes/%d/accept" % sent["id"],
                                                 {"name": "Cy Client"}), 200)
        self.assertEqual(accepted["status"], "accepted")
        self.assertProblem(self.c.post("/api/v1/portal/quotes/%d/decline" % sent["id"],
                                       {"reason": "changed my mind"}), 409)

        inv = self.create("invoices", {"company_id": self.co["id"], "lines": [
            {"description": "Support", "quantity": 1, "unit_price": 12000}]})
        self.assertProblem(self.c.get("/api/v1/portal/invoices/%d" % inv["id"]), 404)
        self.assertEqual(self.assertStatus(self.c.get("/api/v1/portal/invoices"), 200)["data"],
                         [])
        self.assertStatus(self.admin.post("/api/v1/invoices/%d/issue" % inv["id"],
                                          headers={"If-Match": "*"}), 200)
        got = self.assertStatus(self.c.get("/api/v1/portal/invoices/%d" % inv["id"]), 200)
        self.assertEqual(got["status"], "issued")
        pdf = self.c.get("/api/v1/portal/invoices/%d.pdf" % inv["id"])
        self.assertEqual(pdf[1]["content-type"], "application/pdf")
        bal = self.assertStatus(self.c.get("/api/v1/portal/balance"), 200)["data"]
        self.assertEqual(len(bal), 1)
        self.assertEqual(bal[0]["balance"], got["balance"])
        self.assertEqual(bal[0]["invoices_open"], 1)

        self.create("contracts", {"company_id": self.co["id"], "name": "10 hours",
                                  "kind": "block_hours", "starts_on": "2026-01-01",
                                  "block_minutes": 600, "block_price": 100000})
        cs = self.assertStatus(self.c.get("/api/v1/portal/contracts"), 200)["data"]
        self.assertEqual(cs[0]["block"]["remaining_minutes"], 600)

        # portal_role decides the areas
        tech = self.portal(self.contact(self.co, role="technical"))
        self.assertProblem(tech.get("/api/v1/portal/invoices"), 403)
        self.assertProblem(tech.get("/api/v1/portal/quotes"), 403)
        self.assertStatus(tech.get("/api/v1/portal/tickets"), 200)
        billing = self.portal(self.contact(self.co, role="billing"))
        self.assertProblem(billing.get("/api/v1/portal/tickets"), 403)
        self.assertStatus(billing.get("/api/v1/portal/invoices"), 200)
        self.assertStatus(billing.get("/api/v1/portal/auth/me"), 200)


class TestNoLeaks(PortalCase):
    """Generated from the route table: a new route is covered without a new test."""

    def test_every_route(self):
        routes = route_table(BIN)
        self.assertTrue(routes)
        mine, theirs = self.company("Mine"), self.company("Theirs")
        me = self.contact(mine, role="admin")
        them = self.contact(theirs, role="admin")
        c = self.portal(me)
        # the other company's records, one of each kind the portal knows
        ids = {}
        t = self.create("tickets", {"company_id": theirs["id"], "subject": "Theirs",
                                    "contact_id": them["id"]})
        ids["tickets"] = t["id"]
        note = self.create("tickets/%d/notes" % t["id"], {"body": "their note",
                                                          "visibility": "public"})
        ids["notes"] = note["id"]
        boundary = "B" + unique()
        payload = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\""
                   "\r\nContent-Type: text/plain\r\n\r\ntheirs\r\n--%s--\r\n"
                   % (boundary, boundary)).encode()
        att = self.assertStatus(self.admin.request(
            "POST", "/api/v1/tickets/%d/attachments" % t["id"], raw=payload,
            headers={"Content-Type": "multipart/form-data; boundary=" + boundary}), 201)
        ids["attachments"] = att["data"][0]["id"]
        q = self.create("quotes", {"company_id": theirs["id"], "title": "Theirs", "lines": [
            {"kind": "service", "description": "x", "unit_price": 100}]})
        self.assertStatus(self.admin.post("/api/v1/quotes/%d/send" % q["id"],
                                          headers={"If-Match": "*"}), 200)
        ids["quotes"] = q["id"]
        inv = self.create("invoices", {"company_id": theirs["id"], "lines": [
            {"description": "x", "quantity": 1, "unit_price": 100}]})
        self.assertStatus(self.admin.post("/api/v1/invoices/%d/issue" % inv["id"],
                                          headers={"If-Match": "*"}), 200)
        ids["invoices"] = inv["id"]
        ids["assets"] = self.create("assets", {"company_id": theirs["id"], "name": "PC",
                                               "kind": "workstation"})["id"]
        ids["sites"] = self.create("sites", {"company_id": theirs["id"], "name": "S"})["id"]
        ids["articles"] = self.create("kb/articles", {"title": "Internal only", "body": "x",
                                                      "visibility": "internal"})["id"]
        ids["contracts"] = self.create("contracts", {
            "company_id": theirs["id"], "name": "Block", "kind": "block_hours",
            "starts_on": "2026-01-01", "block_minutes": 60, "block_price": 100})["id"]
        their_ids = set(ids.values())

        def fill(pattern, kind_id):
            path = pattern
            for name in re.findall(r":([a-z_]+)", pattern):
                path = path.replace(":" + name, str(kind_id) if name != "token" else "x" * 43, 1)
            return path

        def kind_of(pattern):
            for seg in reversed(re.sub(r"/:[a-z_]+.*$", "", pattern).split("/")):
                if seg in ids:
                    return seg
            return None

        checked = 0
        for method, pattern, roles in routes:
            if "public" in roles:
                continue
            body = {} if method in ("POST", "PATCH", "PUT") else None
            extra = {}
            if method == "POST" and pattern.endswith("/attachments"):
                body = None
                extra = {"raw": payload, "headers": {
                    "Content-Type": "multipart/form-data; boundary=" + boundary}}
            if "portal" in roles:
                kind = kind_of(pattern)
                if ":" in pattern:
                    for suffix in ("", ".pdf") if pattern.endswith(":id") else ("",):
                        path = fill(pattern, ids.get(kind, 1)) + suffix
                        status, _, reply = c.request(method, path, body, **extra)
                        self.assertIn(status, (400, 403, 404, 409, 422),
                                      "%s %s with another company's id answered %s: %r"
                                      % (method, path, status, reply))
                        checked += 1
                elif method == "GET":
                    status, _, reply = c.get(pattern)
                    self.assertIn(status, (200, 403), "%s %s: %s %r" % (method, pattern,
                                                                        status, reply))
                    for rec in (reply.get("data", []) if isinstance(reply, dict) else []):
                        if isinstance(rec, dict):
                            self.assertNotEqual(rec.get("company_id"), theirs["id"],
                                                "%s leaked %r" % (pattern, rec))
                            self.assertFalse(kind_of(pattern) and rec.get("id") in their_ids
                                             and rec.get("id") == ids.get(kind_of(pattern)),
                                             "%s leaked %r" % (pattern, rec))
                    checked += 1
            else:
                # a staff route with the portal session: by its own cookie, and
                # smuggled in the staff cookie's place
                path = fill(pattern, 1)
                status, _, reply = c.request(method, path, body)
                self.assertIn(status, (401, 403), "staff route %s %s answered a portal "
                              "session with %s: %r" % (method, path, status, reply))
                smuggled = Client(self.server.port)
                smuggled.session, smuggled.csrf = c.session, c.csrf
                status, _, reply = smuggled.request(method, path, body)
                self.assertIn(status, (401, 403), "staff route %s %s answered a portal "
                              "session in servio_session with %s: %r"
                              % (method, path, status, reply))
                checked += 1
        # and a staff session never reaches the portal's routes
        for method, pattern, roles in routes:
            if "portal" in roles and "public" not in roles:
                path = fill(pattern, 1)
                status, _, _ = self.admin.request(method, path,
                                                  {} if method != "GET" else None)
                self.assertIn(status, (401, 403), "%s %s answered staff" % (method, path))
        self.assertGreater(checked, 100)


if __name__ == "__main__":
    unittest.main()
