"""
test_mail.py - e-mail in and out, end to end with real servers, on SQLite
and PostgreSQL:

  * mail in through `servio mail-in` (the MTA pipe) and through the IMAP
    poller against a real Dovecot: a new ticket for a contact, for a
    company by its e-mail domain, triage for strangers (assign, discard),
    replies threaded by In-Reply-To/References and by the [T-000123] tag
    (and a stranger's tag held), charsets, HTML, quoted history trimmed;
    auto-replies, bounces (the contact's address marked), duplicates,
    floods, exit 75 without a database; the inbound log says why;
  * mail out through a real SMTP server (aiosmtpd): ticket received,
    public note, resolved, quote sent with its PDF and link, our
    Message-IDs, [T-] subjects, Auto-Submitted, threading back; templates
    editable by admins; refusals and retries in the delivery log; a
    test message from the settings; and the bad input a real client sends.
"""

import base64
import json
import re
import subprocess
import tempfile
import time
import unittest

from harness import BIN, ServerTestCase, base_env, needs_test_build, unique
from mailservers import Dovecot, SmtpSink

PASSWORD = "Mail-Tests-Pass-For-Users-5!"


def message(frm, subject, body, msgid=None, headers=None, ctype="text/plain; charset=utf-8",
            cte=None):
    lines = ["From: %s" % frm, "To: support@firm.example", "Subject: %s" % subject,
             "Date: Sun, 06 Dec 2026 10:00:00 +0000", "MIME-Version: 1.0",
             "Content-Type: %s" % ctype]
    if msgid:
        lines.append("Message-ID: <%s>" % msgid)
    if cte:
        lines.append("Content-Transfer-Encoding: %s" % cte)
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n" + re.sub(r"(?<!\r)\n", "\r\n", body)).encode("utf-8") \
        if isinstance(body, str) else ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class MailCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.smtp = SmtpSink().start()
        cls.imap = Dovecot().start()
        status, headers, _ = cls.admin.get("/api/v1/settings")
        status, _, body = cls.admin.patch("/api/v1/settings", {
            "firm_name": "Fixit IT", "mail_from": "support@firm.example",
            "smtp_host": "127.0.0.1", "smtp_port": cls.smtp.port, "smtp_security": "none",
            "imap_host": "127.0.0.1", "imap_port": cls.imap.port, "imap_security": "none",
            "imap_username": Dovecot.USER, "imap_password": Dovecot.PASSWORD,
            "public_url": "https://psa.firm.example"},
            headers={"If-Match": headers["etag"]})
        assert status == 200, body
        cls.manager_email = unique("mgr") + "@example.com"
        cls.server.add_user(cls.manager_email, "manager", PASSWORD)
        cls.manager = cls.server.client(cls.server.token_for(cls.manager_email))
        cls.tech_email = unique("tech") + "@example.com"
        cls.server.add_user(cls.tech_email, "technician", PASSWORD)
        cls.tech = cls.server.client(cls.server.token_for(cls.tech_email))

    @classmethod
    def tearDownClass(cls):
        try:
            cls.smtp.stop()
            cls.imap.stop()
        finally:
            super().tearDownClass()

    # helpers

    def create(self, path, body, client=None, expect=201):
        return self.assertStatus((client or self.admin).post("/api/v1/" + path, body), expect,
                                 "create %s" % path)

    def get(self, path, client=None):
        return self.assertStatus((client or self.admin).get("/api/v1/" + path), 200, path)

    def company(self, domain=None):
        body = {"name": unique("Client ")}
        if domain:
            body["email_domain"] = domain
        return self.create("companies", body)

    def contact(self, company, address):
        return self.create("contacts", {"company_id": company["id"], "first_name": "Jane",
                                        "last_name": "Client", "email": address})

    def mail_in(self, raw, expect=0):
        """Pipes raw (bytes) to servio mail-in, as a mail server does; the record it made."""
        r = subprocess.run([BIN, "mail-in"] + self.server.conf_args(), input=raw,
                           capture_output=True, env=base_env(self.server._with_clock(None)),
                           timeout=60)
        self.assertEqual(r.returncode, expect, (r.stdout + r.stderr).decode(errors="replace"))
        return self.latest_inbound()

    def act(self, path, body=None, client=None, expect=200):
        """POST /api/v1/<record>/<action> with the record's ETag."""
        c = client or self.admin
        record = "/api/v1/" + path.rsplit("/", 1)[0]
        status, headers, _ = c.get(record)
        return self.assertStatus(c.post("/api/v1/" + path, body,
                                        headers={"If-Match": headers.get("etag", "")}),
                                 expect, path)

    def latest_inbound(self):
        return self.get("inbound-messages?limit=1")["data"][0]

    def sent_count(self):
        return len(self.smtp.messages)

    def index_after(self, parsed):
        """The sink's index just after the message with parsed's Message-ID."""
        for i in range(len(self.smtp.messages)):
            if self.smtp.parsed(i)["Message-ID"] == parsed["Message-ID"]:
                return i + 1
        return 0

    def wait_sent(self, before, to):
        """The first message to `to` the SMTP sink got after `before` messages."""
        return self.smtp.wait_to(to, before)

    # mail in: new conversations

    def test_contact_mail_opens_ticket_and_is_answered(self):
        co = self.company()
        addr = unique("jane") + "@client.example"
        ct = self.contact(co, addr)
        before = self.sent_count()
        got = self.mail_in(message('"Jane Client" <%s>' % addr.upper(), "Printer on fire",
                                   "The printer is smoking.\n\nOn Sat, 5 Dec 2026, Bob wrote:\n"
                                   "> earlier words\n", msgid=unique("m") + "@client.example"))
        self.assertEqual(got["outcome"], "ticket", got)
        self.assertIn("is a contact", got["reason"])
        self.assertEqual(got["contact_id"], ct["id"])
        ticket = self.get("tickets/%d" % got["ticket_id"])
        self.assertEqual(ticket["channel"], "email")
        self.assertEqual(ticket["contact_id"], ct["id"])
        self.assertEqual(ticket["subject"], "Printer on fire")
        self.assertEqual(ticket["description"], "The printer is smoking.")
        # the acknowledgement: ours, automatic, threaded to the client's message
        m = self.wait_sent(before, addr)
        self.assertIn("[%s]" % ticket["number"], m["Subject"])
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        self.assertEqual(m["In-Reply-To"], "<%s>" % got["message_id"])
        self.assertIn(got["message_id"], m["References"])
        self.assertTrue(m["Message-ID"].startswith("<servio.t%d." % ticket["id"]), m["Message-ID"])
        self.assertIn("Fixit IT", m["From"])
        self.assertIn(addr, m["To"])
        out = self.get("outbound-messages?ticket_id=%d" % ticket["id"])["data"]
        self.assertEqual(len(out), 1)
        self.wait_status(out[0]["id"], "sent")
        attempts = self.get("outbound-messages/%d/attempts" % out[0]["id"])["data"]
        self.assertTrue(attempts[-1]["ok"], attempts)

    def wait_status(self, out_id, status, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rec = self.get("outbound-messages/%d" % out_id)
            if rec["status"] == status:
                return rec
            time.sleep(0.1)
        self.fail("outbound message %d never became %s: %r" % (out_id, status, rec))

    def test_domain_opens_ticket_without_contact(self):
        domain = unique("d") + ".example"
        co = self.company(domain)
        got = self.mail_in(message("someone@%s" % domain, "Need a new laptop", "Please."))
        self.assertEqual(got["outcome"], "ticket", got)
        self.assertIn("domain", got["reason"])
        ticket = self.get("tickets/%d" % got["ticket_id"])
        self.assertEqual(ticket["company_id"], co["id"])
        self.assertIsNone(ticket.get("contact_id"))
        self.assertIn("From: someone@%s" % domain, ticket["description"])

    def test_stranger_goes_to_triage_then_assign_or_discard(self):
        got = self.mail_in(message("Stranger Danger <who@nowhere.example>", "Hello?", "Hi there"))
        self.assertEqual(got["outcome"], "triage")
        self.assertEqual(got["triage"], "open")
        self.assertIn("no contact", got["reason"])
        self.assertIsNone(got.get("ticket_id"))
        listed = self.get("inbound-messages?triage=open")["data"]
        self.assertIn(got["id"], [m["id"] for m in listed])
        # assign: a ticket for the company chosen, the sender made a contact
        co = self.company()
        r = self.assertStatus(self.manager.post("/api/v1/inbound-messages/%d/assign" % got["id"],
                                                {"company_id": co["id"], "add_contact": True}),
                              200)
        self.assertEqual(r["triage"], "assigned")
        self.assertTrue(r["ticket_id"])
        ticket = self.get("tickets/%d" % r["ticket_id"])
        self.assertEqual(ticket["company_id"], co["id"])
        contact = self.get("contacts/%d" % ticket["contact_id"])
        self.assertEqual(contact["email"], "who@nowhere.example")
        self.assertEqual(contact["last_name"], "Danger")
        # assigned once: not again
        self.assertProblem(self.admin.post("/api/v1/inbound-messages/%d/assign" % got["id"],
                                           {"company_id": co["id"]}), 409)
        # discard another
        got2 = self.mail_in(message("spam@nowhere.example", "Buy now", "cheap"))
        r = self.assertStatus(self.admin.post("/api/v1/inbound-messages/%d/discard" % got2["id"]),
                              200)
        self.assertEqual(r["triage"], "discarded")
        self.assertIsNone(r.get("ticket_id"))
        # bad input
        got3 = self.mail_in(message("x@nowhere.example", "Third", "x"))
        self.assertProblem(self.admin.post("/api/v1/inbound-messages/%d/assign" % got3["id"], {}),
                           422, "company_id")
        self.assertProblem(self.admin.post("/api/v1/inbound-messages/%d/assign" % got3["id"],
                                           {"company_id": 999999}), 422, "company_id")
        self.assertProblem(self.admin.post("/api/v1/inbound-messages/%d/assign" % got3["id"],
                                           {"company_id": co["id"], "nonsense": 1}), 422,
                           "nonsense")
        self.assertProblem(self.tech.post("/api/v1/inbound-messages/%d/discard" % got3["id"]),
                           403)
        self.assertProblem(self.tech.get("/api/v1/inbound-messages"), 403)
        self.assertProblem(self.admin.get("/api/v1/inbound-messages/999999"), 404)

    # mail in: replies

    def test_reply_threads_to_our_message_and_reopens(self):
        co = self.company()
        addr = unique("r") + "@client.example"
        ct = self.contact(co, addr)
        before = self.sent_count()
        first = self.mail_in(message(addr, "VPN down", "It is down.",
                                     msgid=unique("v") + "@client.example"))
        ack = self.wait_sent(before, addr)
        tid = first["ticket_id"]
        # the client answers our acknowledgement (their program quotes it)
        reply = message(addr, "Re: " + ack["Subject"], "It works again.\n\n> we have received",
                        msgid=unique("v2") + "@client.example",
                        headers={"In-Reply-To": ack["Message-ID"],
                                 "References": "<%s> %s" % (first["message_id"], ack["Message-ID"])})
        got = self.mail_in(reply)
        self.assertEqual(got["outcome"], "reply", got)
        self.assertEqual(got["ticket_id"], tid)
        self.assertIn("In-Reply-To", got["reason"])
        notes = self.get("tickets/%d/notes" % tid)["data"]
        self.assertEqual(notes[-1]["body"], "It works again.")
        self.assertEqual(notes[-1]["contact_id"], ct["id"])
        self.assertEqual(notes[-1]["visibility"], "public")
        # a client's note is never mailed back to them (mail is queued with the change)
        self.assertEqual(len(self.get("outbound-messages?ticket_id=%d" % tid)["data"]), 1)
        # resolved: the resolution goes out; a reply reopens the ticket
        self.act("tickets/%d/resolve" % tid, {"resolution": "Restarted the VPN gateway."})
        resolved = self.smtp.wait_to(addr, self.index_after(ack))
        self.assertIn("Resolved", resolved["Subject"])
        self.assertIn("Restarted the VPN gateway.", resolved.get_body(("plain",)).get_content())
        got = self.mail_in(message(addr, "Re: " + resolved["Subject"], "Broken again!",
                                   headers={"In-Reply-To": resolved["Message-ID"]}))
        self.assertEqual(got["outcome"], "reply")
        self.assertIn("reopened", got["reason"])
        self.assertEqual(self.get("tickets/%d" % tid)["status"], "in_progress")

    def test_subject_tag_threads_for_the_company_only(self):
        co = self.company()
        addr = unique("t") + "@client.example"
        self.contact(co, addr)
        first = self.mail_in(message(addr, "Scanner jam", "Jammed."))
        number = self.get("tickets/%d" % first["ticket_id"])["number"]
        got = self.mail_in(message(addr, "more on [%s] please" % number, "Still jammed."))
        self.assertEqual(got["outcome"], "reply")
        self.assertEqual(got["ticket_id"], first["ticket_id"])
        self.assertIn("subject names %s" % number, got["reason"])
        # a stranger naming the ticket is held, not added
        got = self.mail_in(message("mallory@evil.example", "[%s] hello" % number, "Injected"))
        self.assertEqual(got["outcome"], "triage")
        self.assertIn("not of its company", got["reason"])
        notes = self.get("tickets/%d/notes" % first["ticket_id"])["data"]
        self.assertNotIn("Injected", [n["body"] for n in notes])

    def test_reply_to_closed_ticket_opens_follow_up(self):
        co = self.company()
        addr = unique("c") + "@client.example"
        self.contact(co, addr)
        first = self.mail_in(message(addr, "Old issue", "Help."))
        tid = first["ticket_id"]
        number = self.get("tickets/%d" % tid)["number"]
        self.act("tickets/%d/resolve" % tid, {"resolution": "Done."})
        self.act("tickets/%d/close" % tid)
        got = self.mail_in(message(addr, "Re: [%s] Old issue" % number, "Again"))
        self.assertEqual(got["outcome"], "ticket")
        self.assertNotEqual(got["ticket_id"], tid)
        self.assertIn("closed", got["reason"])
        self.assertIn("Follow-up to %s" % number,
                      self.get("tickets/%d" % got["ticket_id"])["description"])

    # mail in: what is decoded

    def test_charsets_html_and_encoded_headers(self):
        co = self.company()
        addr = unique("h") + "@client.example"
        self.contact(co, addr)
        got = self.mail_in(message(addr, "=?iso-8859-1?q?Caf=E9_printer?=",
                                   "The caf=E9 printer prints =E4=F6=FC.\n",
                                   ctype="text/plain; charset=iso-8859-1",
                                   cte="quoted-printable"))
        t = self.get("tickets/%d" % got["ticket_id"])
        self.assertEqual(t["subject"], "Café printer")
        self.assertEqual(t["description"], "The café printer prints äöü.")
        html = ("<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
                "<body><p>Hello&nbsp;team,</p><p>the <b>server</b> is down &amp; "
                "<a href=\"javascript:x()\" onclick=\"evil()\">click</a></p>"
                "<blockquote>old quoted text</blockquote></body></html>")
        got = self.mail_in(message(addr, "HTML only", html, ctype="text/html; charset=utf-8"))
        body = self.get("tickets/%d" % got["ticket_id"])["description"]
        self.assertIn("Hello team,", body)
        self.assertIn("the server is down & click", body)
        for bad in ("<", "alert", "evil", "color:red", "old quoted text"):
            self.assertNotIn(bad, body)
        # windows-1252 bytes with no charset named
        got = self.mail_in(message(addr, "No charset", b"Smart \x93quotes\x94 here\r\n",
                                   ctype="text/plain"))
        self.assertEqual(self.get("tickets/%d" % got["ticket_id"])["description"],
                         "Smart \u201cquotes\u201d here")

    def test_files_are_kept_and_the_original_too(self):
        co = self.company()
        addr = unique("att") + "@client.example"
        self.contact(co, addr)
        png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()
        raw = ("From: %s\r\nTo: support@firm.example\r\nSubject: Screenshot\r\n"
               "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"Z\"\r\n\r\n"
               "--Z\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the screen.\r\n"
               "--Z\r\nContent-Type: image/png\r\nContent-Disposition: attachment; "
               "filename=\"screen.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n"
               "--Z\r\nContent-Type: application/x-msdownload\r\nContent-Disposition: attachment; "
               "filename=\"fix.exe\"\r\n\r\nMZ\r\n--Z--\r\n") % (addr, png)
        got = self.mail_in(raw.encode())
        self.assertEqual(got["outcome"], "ticket")
        self.assertEqual(got["attachments"], 2)
        self.assertIn("1 file kept", got["reason"])
        self.assertIn("refused: fix.exe", got["reason"])
        files = self.get("tickets/%d/attachments" % got["ticket_id"])["data"]
        self.assertEqual([f["filename"] for f in files], ["screen.png"])
        self.assertEqual(files[0]["content_type"], "image/png")
        # the original, byte for byte
        status, headers, body = self.admin.request("GET", "/api/v1/inbound-messages/%d/raw"
                                                   % got["id"])
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "message/rfc822")
        self.assertIn("attachment", headers["content-disposition"])
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertEqual(body if isinstance(body, bytes) else body.encode(), raw.encode())
        self.assertProblem(self.tech.get("/api/v1/inbound-messages/%d/raw" % got["id"]), 403)
        # a held message's files reach the ticket it is assigned to
        held = self.mail_in(raw.replace(addr, "stranger@nowhere.example").encode())
        self.assertEqual(held["outcome"], "triage")
        r = self.assertStatus(self.admin.post("/api/v1/inbound-messages/%d/assign" % held["id"],
                                              {"company_id": co["id"]}), 200)
        files = self.get("tickets/%d/attachments" % r["ticket_id"])["data"]
        self.assertEqual([f["filename"] for f in files], ["screen.png"])

    # mail in: what never opens a ticket

    def test_automatic_mail_is_recorded_and_ignored(self):
        co = self.company()
        addr = unique("a") + "@client.example"
        self.contact(co, addr)
        before_tickets = len(self.get("tickets?company_id=%d" % co["id"])["data"])
        before = self.sent_count()
        for headers, why in (({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
                             ({"Precedence": "bulk"}, "Precedence: bulk"),
                             ({"Precedence": "list"}, "Precedence: list"),
                             ({"X-Autoreply": "yes"}, "X-Autoreply"),
                             ({"Return-Path": "<>"}, "empty return path")):
            got = self.mail_in(message(addr, "Out of office", "I am away.", headers=headers))
            self.assertEqual(got["outcome"], "auto_reply", headers)
            self.assertIn(why, got["reason"])
            self.assertIsNone(got.get("ticket_id"))
        self.assertEqual(len(self.get("tickets?company_id=%d" % co["id"])["data"]), before_tickets)
        self.assertEqual(self.get("outbound-messages?to_address=" + addr)["data"], [],
                         "automatic mail must never be answered")

    def test_bounce_marks_the_contact(self):
        co = self.company()
        addr = unique("b") + "@client.example"
        ct = self.contact(co, addr)
        before = self.sent_count()
        first = self.mail_in(message(addr, "Bounce me", "Hello"))
        ack = self.wait_sent(before, addr)
        report = ("--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
                  "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
                  "Reporting-MTA: dns; mx.client.example\r\n\r\n"
                  "Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                  "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
                  "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
                  "Message-ID: %s\r\nSubject: x\r\n\r\n--B--\r\n") % (addr, ack["Message-ID"])
        got = self.mail_in(message("MAILER-DAEMON@mx.client.example", "Undelivered Mail", report,
                                   ctype='multipart/report; report-type=delivery-status; '
                                         'boundary="B"'))
        self.assertEqual(got["outcome"], "bounce", got)
        self.assertIn(addr, got["reason"])
        self.assertEqual(got["ticket_id"], first["ticket_id"])
        contact = self.get("contacts/%d" % ct["id"])
        self.assertTrue(contact["email_bounced_at"])
        self.assertIn("5.1.1", contact["email_bounce_reason"])
        out = self.get("outbound-messages?ticket_id=%d" % first["ticket_id"])["data"]
        self.assertEqual(out[0]["status"], "bounced")
        # no more mail to a bounced address; a new address is tried again
        self.create("tickets/%d/notes" % first["ticket_id"],
                    {"body": "Any news?", "visibility": "public"})
        self.assertEqual(len(self.get("outbound-messages?ticket_id=%d" % first["ticket_id"])
                             ["data"]), 1)
        status, headers, _ = self.admin.get("/api/v1/contacts/%d" % ct["id"])
        fixed = self.assertStatus(self.admin.patch("/api/v1/contacts/%d" % ct["id"],
                                                   {"email": "new-" + addr},
                                                   headers={"If-Match": headers["etag"]}), 200)
        self.assertIsNone(fixed["email_bounced_at"])

    def test_duplicate_and_flood(self):
        co = self.company()
        addr = unique("f") + "@client.example"
        self.contact(co, addr)
        raw = message(addr, "Once", "Only once", msgid=unique("dup") + "@client.example")
        first = self.mail_in(raw)
        again = self.mail_in(raw)
        self.assertEqual(again["outcome"], "duplicate")
        self.assertEqual(again["ticket_id"], first["ticket_id"])
        self.assertIn("inbound message %d" % first["id"], again["reason"])
        # a flood: over the limit, held for people (nothing lost, nothing answered)
        status, headers, _ = self.admin.get("/api/v1/settings")
        self.assertStatus(self.admin.patch("/api/v1/settings", {"mail_flood_limit": 3},
                                           headers={"If-Match": headers["etag"]}), 200)
        try:
            # "Once" above was the first of the hour; two more, then held
            outcomes = [self.mail_in(message(addr, "Flood %d" % i, "x"))["outcome"]
                        for i in range(4)]
            self.assertEqual(outcomes, ["ticket", "ticket", "triage", "triage"])
            self.assertIn("the limit is 3", self.latest_inbound()["reason"])
        finally:
            status, headers, _ = self.admin.get("/api/v1/settings")
            self.admin.patch("/api/v1/settings", {"mail_flood_limit": 20},
                             headers={"If-Match": headers["etag"]})

    def test_rejected_input_and_exit_codes(self):
        got = self.mail_in(b"")
        self.assertEqual(got["outcome"], "rejected")
        self.assertIn("empty", got["reason"])
        got = self.mail_in(message("not an address", "No sender", "x"))
        self.assertEqual(got["outcome"], "rejected")
        self.assertIn("no sender", got["reason"])
        # no database: 75, so the mail server keeps the message and tries again
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([BIN, "mail-in", "--data-dir", d, "--database-url",
                                "postgres://nobody@127.0.0.1:1/none"],
                               input="From: a@b.example\r\n\r\nx", capture_output=True,
                               text=True, env=base_env(), timeout=60)
        self.assertEqual(r.returncode, 75, r.stdout + r.stderr)
        r = self.server.run_cli("mail-in", "extra", input="")
        self.assertEqual(r.returncode, 2)

    # IMAP

    def test_imap_poller_takes_and_marks(self):
        co = self.company()
        addr = unique("i") + "@client.example"
        self.contact(co, addr)
        subject = unique("Polled ")
        self.imap.deliver(message(addr, subject, "From the mailbox.",
                                  msgid=unique("imap") + "@client.example"))
        self.assertEqual(len(self.imap.untaken()), 1)
        r = self.server.run_cli("worker", "--run", "mail-poll")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        got = self.latest_inbound()
        self.assertEqual(got["via"], "imap")
        self.assertEqual(got["outcome"], "ticket")
        self.assertEqual(self.get("tickets/%d" % got["ticket_id"])["subject"], subject)
        self.assertEqual(self.imap.untaken(), [])
        # polling again takes nothing twice
        r = self.server.run_cli("worker", "--run", "mail-poll")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.latest_inbound()["id"], got["id"])

    # mail out

    def test_public_note_reaches_the_contact_and_threads_back(self):
        co = self.company()
        addr = unique("n") + "@client.example"
        ct = self.contact(co, addr)
        t = self.create("tickets", {"subject": "Phone ticket", "company_id": co["id"],
                                    "contact_id": ct["id"], "channel": "phone"})
        before = self.sent_count()
        self.create("tickets/%d/notes" % t["id"], {"body": "Internal only",
                                                   "visibility": "internal"})
        self.create("tickets/%d/notes" % t["id"], {"body": "We ordered the part.",
                                                   "visibility": "public"})
        m = self.wait_sent(before, addr)
        self.assertEqual(len(self.get("outbound-messages?ticket_id=%d" % t["id"])["data"]), 1,
                         "only the public note goes out")
        self.assertIn("[%s]" % t["number"], m["Subject"])
        self.assertIsNone(m["Auto-Submitted"], "a person wrote it")
        self.assertIn("We ordered the part.", m.get_body(("plain",)).get_content())
        self.assertEqual(m["References"], "<servio.t%d@firm.example>" % t["id"])
        # the client answers it: a reply to the same ticket
        got = self.mail_in(message(addr, "Re: " + m["Subject"], "Thanks!",
                                   headers={"In-Reply-To": m["Message-ID"],
                                            "References": m["References"] + " " +
                                            m["Message-ID"]}))
        self.assertEqual(got["outcome"], "reply")
        self.assertEqual(got["ticket_id"], t["id"])

    def test_quote_sent_with_pdf_and_link(self):
        co = self.company()
        ct = self.contact(co, unique("q") + "@client.example")
        wt = self.create("work-types", {"name": unique("Labour "), "hourly_rate": 9000})
        q = self.create("quotes", {"company_id": co["id"], "contact_id": ct["id"],
                                   "title": "New network", "currency": "USD",
                                   "lines": [{"kind": "labor", "work_type_id": wt["id"],
                                              "quantity": 2}]})
        before = self.sent_count()
        sent = self.act("quotes/%d/send" % q["id"])
        m = self.wait_sent(before, ct["email"])
        self.assertIn(q["number"], m["Subject"])
        text = m.get_body(("plain",)).get_content()
        self.assertIn(sent["public_url"], text, "the link staff see is the one the client gets")
        pdfs = [p for p in m.iter_attachments() if p.get_content_type() == "application/pdf"]
        self.assertEqual(len(pdfs), 1)
        self.assertTrue(pdfs[0].get_content().startswith(b"%PDF"))
        self.assertEqual(pdfs[0].get_filename(), "%s.pdf" % q["number"])

    def test_templates_are_editable_by_admins(self):
        tpls = self.get("mail-templates")["data"]
        events = {t["event"] for t in tpls}
        self.assertTrue({"ticket_received", "note_public", "ticket_resolved", "quote_sent",
                         "invoice_issued"} <= events)
        tpl = [t for t in tpls if t["event"] == "note_public"][0]
        path = "/api/v1/mail-templates/%d" % tpl["id"]
        status, headers, _ = self.admin.get(path)
        self.assertProblem(self.admin.patch(path, {"body": "Hi {{nope}}"},
                                            headers={"If-Match": headers["etag"]}), 422, "body")
        self.assertProblem(self.admin.patch(path, {"subject": "two\nlines"},
                                            headers={"If-Match": headers["etag"]}), 422, "subject")
        self.assertProblem(self.admin.patch(path, {"event": "x"},
                                            headers={"If-Match": headers["etag"]}), 422, "event")
        self.assertProblem(self.manager.patch(path, {"body": "x"},
                                              headers={"If-Match": headers["etag"]}), 403)
        self.assertStatus(self.admin.patch(path, {
            "subject": "News on {{ticket_subject}}",
            "body": "Dear {{contact_name}},\n{{note_body}}\n-- {{author_name}}, {{firm_name}}"},
            headers={"If-Match": headers["etag"]}), 200)
        try:
            co = self.company()
            ct = self.contact(co, unique("tp") + "@client.example")
            t = self.create("tickets", {"subject": "Templated", "company_id": co["id"],
                                        "contact_id": ct["id"]})
            before = self.sent_count()
            self.create("tickets/%d/notes" % t["id"], {"body": "Fixed it.",
                                                       "visibility": "public"})
            m = self.wait_sent(before, ct["email"])
            self.assertEqual(m["Subject"], "[%s] News on Templated" % t["number"])
            text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
            self.assertIn("Dear Jane,\nFixed it.\n-- ", text)
            self.assertIn("Fixit IT", m.get_body(("plain",)).get_content())
        finally:
            status, headers, _ = self.admin.get(path)
            self.admin.patch(path, {"subject": tpl["subject"], "body": tpl["body"]},
                             headers={"If-Match": headers["etag"]})

    @needs_test_build
    def test_refusal_and_retry(self):
        co = self.company()
        bad = unique("no") + "@client.example"
        ct = self.contact(co, bad)
        t = self.create("tickets", {"subject": "Refused", "company_id": co["id"],
                                    "contact_id": ct["id"]})
        self.smtp.refuse.add(bad)
        try:
            self.create("tickets/%d/notes" % t["id"], {"body": "Hello?", "visibility": "public"})
            out = self.get("outbound-messages?ticket_id=%d" % t["id"])["data"][0]
            rec = self.wait_status(out["id"], "failed")
            self.assertIn("550", rec["last_error"])
            attempts = self.get("outbound-messages/%d/attempts" % out["id"])["data"]
            self.assertEqual(len(attempts), 1)
            self.assertFalse(attempts[0]["ok"])
        finally:
            self.smtp.refuse.discard(bad)
        # a temporary failure is retried with backoff until it goes
        self.smtp.tempfail = True
        before = self.sent_count()
        try:
            self.create("tickets/%d/notes" % t["id"], {"body": "Again", "visibility": "public"})
            out = self.get("outbound-messages?ticket_id=%d&status=queued" % t["id"])["data"][0]
            deadline = time.monotonic() + 30
            while self.get("outbound-messages/%d" % out["id"])["attempts"] < 1:
                self.assertLess(time.monotonic(), deadline, "no first attempt")
                time.sleep(0.1)
            rec = self.get("outbound-messages/%d" % out["id"])
            self.assertEqual(rec["status"], "queued")
            self.assertIn("451", rec["last_error"])
        finally:
            self.smtp.tempfail = False
        self.server.move_clock(120)
        self.wait_sent(before, bad)
        rec = self.wait_status(out["id"], "sent")
        self.assertGreaterEqual(rec["attempts"], 2)
        # a failed one is sent again on request
        r = self.assertStatus(self.admin.post("/api/v1/outbound-messages/%d/retry" %
                                              self.get("outbound-messages?ticket_id=%d&status=failed"
                                                       % t["id"])["data"][0]["id"]), 200)
        self.assertEqual(r["status"], "queued")
        self.wait_status(r["id"], "sent")

    def test_settings_keep_mail_secrets(self):
        s = self.get("settings")
        self.assertNotIn("smtp_password", s)
        self.assertNotIn("imap_password", s)
        self.assertEqual(s["smtp_host"], "127.0.0.1")
        mine = self.get("settings", client=self.manager)
        self.assertNotIn("smtp_host", mine)
        self.assertNotIn("imap_username", mine)
        status, headers, _ = self.admin.get("/api/v1/settings")
        for body, field in (({"smtp_security": "ssl3"}, "smtp_security"),
                            ({"smtp_port": 0}, "smtp_port"),
                            ({"smtp_host": "smtp://x:25"}, "smtp_host"),
                            ({"mail_from": "not-an-address"}, "mail_from"),
                            ({"mail_flood_limit": -1}, "mail_flood_limit")):
            self.assertProblem(self.admin.patch("/api/v1/settings", body,
                                                headers={"If-Match": headers["etag"]}), 422, field)

    def test_mail_test_message(self):
        before = self.sent_count()
        r = self.assertStatus(self.admin.post("/api/v1/settings/mail-test",
                                              {"to": "it@firm.example"}), 200)
        self.assertTrue(r["sent"], r)
        m = self.wait_sent(before, "it@firm.example")
        self.assertIn("Test message", m["Subject"])
        self.assertProblem(self.admin.post("/api/v1/settings/mail-test", {"to": "nope"}), 422, "to")
        self.assertProblem(self.manager.post("/api/v1/settings/mail-test",
                                             {"to": "it@firm.example"}), 403)

    def test_smtp_auth_with_the_saved_password(self):
        sink = SmtpSink(login=("mailer", "s3cret-Pass")).start()
        self.addCleanup(sink.stop)
        status, headers, _ = self.admin.get("/api/v1/settings")
        self.assertStatus(self.admin.patch("/api/v1/settings", {
            "smtp_port": sink.port, "smtp_username": "mailer", "smtp_password": "wrong"},
            headers={"If-Match": headers["etag"]}), 200)
        try:
            r = self.assertStatus(self.admin.post("/api/v1/settings/mail-test",
                                                  {"to": "it@firm.example"}), 200)
            self.assertFalse(r["sent"])
            self.assertTrue(r["detail"])
            self.assertEqual(sink.messages, [])
            status, headers, _ = self.admin.get("/api/v1/settings")
            self.assertStatus(self.admin.patch("/api/v1/settings", {"smtp_password": "s3cret-Pass"},
                                               headers={"If-Match": headers["etag"]}), 200)
            r = self.assertStatus(self.admin.post("/api/v1/settings/mail-test",
                                                  {"to": "it@firm.example"}), 200)
            self.assertTrue(r["sent"], r)
            self.assertEqual(sink.logins[-1][1], ("mailer", "s3cret-Pass"))
            # the worker may also hand this server mail other tests queued;
            # the test message went exactly once
            tests = [m for m in sink.messages if "it@firm.example" in m["to"]]
            self.assertEqual(len(tests), 1)
            # the password is never shown, nor in the audit log
            self.assertNotIn("smtp_password", self.get("settings"))
            audit = self.get("audit?resource=settings")["data"]
            self.assertNotIn("s3cret-Pass", json.dumps(audit))
        finally:
            status, headers, _ = self.admin.get("/api/v1/settings")
            self.admin.patch("/api/v1/settings", {"smtp_port": self.smtp.port,
                                                  "smtp_username": None, "smtp_password": None},
                             headers={"If-Match": headers["etag"]})

    def test_company_email_domain_is_checked(self):
        for bad in ("Example.com", "@example.com", "example", "a..b.com", "-x.com"):
            self.assertProblem(self.admin.post("/api/v1/companies",
                                               {"name": "D", "email_domain": bad}), 422,
                               "email_domain")


if __name__ == "__main__":
    unittest.main()
