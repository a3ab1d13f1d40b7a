"""
test_kb.py - the knowledge base through HTTP, on SQLite and PostgreSQL:
articles (create, read, edit with If-Match, archive and restore, the
rendered html), their revisions, full-text search and the tag and
visibility filters, links from tickets (ticket_count follows), the
articles like a ticket (also for tickets with odd text), who may do what,
the bad input a real client sends, and the sanitiser fed what an attacker
would write.
"""

import re
import unittest

from harness import ServerTestCase, unique

PASSWORD = "Knowledge-Base-Tests-Pass-7!"


class KbCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {}
        for role in ("technician", "manager", "sales", "billing"):
            email = unique(role) + "@firm.example"
            cls.server.add_user(email, role, PASSWORD)
            client = cls.server.client(cls.server.token_for(email))
            me = client.get("/api/v1/me")[2]["user"]
            cls.users[role] = {"client": client, "id": me["id"]}
        cls.tech = cls.users["technician"]["client"]
        cls.sales = cls.users["sales"]["client"]
        cls.billing = cls.users["billing"]["client"]
        cls.manager = cls.users["manager"]["client"]
        status, _, company = cls.admin.post("/api/v1/companies", {"name": unique("Client ")})
        assert status == 201, company
        cls.company_id = company["id"]

    def article(self, client=None, **fields):
        body = {"title": unique("Reinstall the printer driver "),
                "body": "Open **Devices**, remove the printer, add it again."}
        body.update(fields)
        return self.assertStatus((client or self.admin).post("/api/v1/kb/articles", body), 201,
                                 "create article")

    def patch(self, path, body, client=None, expect=200):
        c = client or self.admin
        status, headers, cur = c.get(path)
        self.assertEqual(status, 200, cur)
        return self.assertStatus(c.patch(path, body, headers={"If-Match": headers["etag"]}),
                                 expect, "patch %s" % path)

    def ticket(self, **fields):
        body = {"subject": unique("Printer jams "), "company_id": self.company_id}
        body.update(fields)
        return self.assertStatus(self.admin.post("/api/v1/tickets", body), 201, "ticket")

    def html(self, markdown):
        return self.assertStatus(self.tech.post("/api/v1/kb/preview", {"body": markdown}), 200,
                                 "preview")["html"]


class TestArticles(KbCase):

    def test_create_read_defaults_and_html(self):
        a = self.article(self.tech, body="# Steps\n\n1. Open *Devices*\n2. Remove it\n",
                         tags=[" Printer ", "DRIVERS", "printer"])
        self.assertEqual(a["visibility"], "internal")
        self.assertEqual(a["tags"], ["printer", "drivers"])
        self.assertEqual(a["revision"], 1)
        self.assertEqual(a["author_id"], self.users["technician"]["id"])
        self.assertEqual(a["edited_by_id"], self.users["technician"]["id"])
        self.assertEqual(a["ticket_count"], 0)
        self.assertIn("<h1>Steps</h1>", a["html"])
        self.assertIn("<li>Open <em>Devices</em></li>", a["html"])
        status, headers, got = self.sales.get("/api/v1/kb/articles/%d" % a["id"])
        self.assertEqual(status, 200, got)
        self.assertEqual(headers["etag"], '"%d"' % got["version"])
        self.assertEqual(got["html"], a["html"])

    def test_edit_keeps_revisions_newest_first(self):
        a = self.article(title="VPN setup", body="Install the client.", tags=["vpn"])
        path = "/api/v1/kb/articles/%d" % a["id"]
        b = self.patch(path, {"body": "Install the client, then import the profile."},
                       client=self.tech)
        self.assertEqual(b["revision"], 2)
        self.assertEqual(b["edited_by_id"], self.users["technician"]["id"])
        self.assertEqual(b["author_id"], a["author_id"])
        c = self.patch(path, {"title": "VPN setup (Windows)", "visibility": "portal"})
        self.assertEqual(c["revision"], 3)
        revs = self.assertStatus(self.sales.get(path + "/revisions"), 200, "revisions")["data"]
        self.assertEqual([r["revision"] for r in revs], [2, 1])
        self.assertEqual(revs[0]["body"], "Install the client, then import the profile.")
        self.assertEqual(revs[0]["edited_by_id"], self.users["technician"]["id"])
        self.assertIsNotNone(revs[0]["replaced_at"])
        self.assertEqual(revs[1]["title"], "VPN setup")
        self.assertEqual(revs[1]["body"], "Install the client.")
        self.assertEqual(revs[1]["visibility"], "internal")
        self.assertEqual(revs[1]["tags"], ["vpn"])
        self.assertIn("<p>Install the client.</p>", revs[1]["html"])
        one = self.assertStatus(self.admin.get("%s/revisions/%d" % (path, revs[1]["id"])), 200)
        self.assertEqual(one["revision"], 1)
        # an edit that changes nothing of the content keeps the revision
        d = self.patch(path, {"tags": ["vpn"]})
        self.assertEqual(d["revision"], 3)
        self.assertEqual(len(self.admin.get(path + "/revisions")[2]["data"]), 2)
        # a revision of another article is not found under this one
        other = self.article()
        self.assertProblem(self.admin.get("/api/v1/kb/articles/%d/revisions/%d"
                                          % (other["id"], revs[0]["id"])), 404)
        self.assertProblem(self.admin.get("/api/v1/kb/articles/999999/revisions"), 404)

    def test_stale_if_match_and_archive_restore(self):
        a = self.article()
        path = "/api/v1/kb/articles/%d" % a["id"]
        self.assertProblem(self.admin.patch(path, {"title": "x"}), 428)
        self.assertProblem(self.admin.patch(path, {"title": "x"}, headers={"If-Match": '"99"'}),
                           412)
        etag = self.admin.get(path)[1]["etag"]
        self.assertProblem(self.tech.delete(path, headers={"If-Match": etag}), 403)
        self.assertStatus(self.manager.delete(path, headers={"If-Match": etag}), 200)
        listed = self.admin.get("/api/v1/kb/articles?limit=200")[2]["data"]
        self.assertNotIn(a["id"], [x["id"] for x in listed])
        self.assertStatus(self.admin.post(path + "/restore"), 200)
        listed = self.admin.get("/api/v1/kb/articles?limit=200")[2]["data"]
        self.assertIn(a["id"], [x["id"] for x in listed])

    def test_roles(self):
        for name in ("sales", "billing"):
            c = self.users[name]["client"]
            self.assertProblem(c.post("/api/v1/kb/articles", {"title": "t", "body": "b"}), 403)
            self.assertProblem(c.post("/api/v1/kb/preview", {"body": "b"}), 403)
            self.assertStatus(c.get("/api/v1/kb/articles"), 200)
        a = self.article(self.manager)
        path = "/api/v1/kb/articles/%d" % a["id"]
        etag = self.sales.get(path)[1]["etag"]
        self.assertProblem(self.sales.patch(path, {"title": "no"}, headers={"If-Match": etag}),
                           403)
        t = self.ticket()
        self.assertProblem(self.sales.post("/api/v1/tickets/%d/kb-links" % t["id"],
                                           {"article_id": a["id"]}), 403)
        anon = self.server.client()
        self.assertProblem(anon.get("/api/v1/kb/articles"), 401)
        self.assertProblem(anon.get("/api/v1/tickets/%d/similar-articles" % t["id"]), 401)

    def test_bad_input(self):
        big = "x" * (2 * 1024 * 1024)
        status, _, body = self.admin.post("/api/v1/kb/articles", {"title": "big", "body": big})
        self.assertIn(status, (413, 422), body)
        self.assertIn("body", body["detail"])
        # over the limit in bytes but not in characters: 150,000 two-byte characters
        self.assertProblem(self.admin.post("/api/v1/kb/articles",
                                           {"title": "wide", "body": "\u00e9" * 150000}),
                           422, "body")
        self.assertProblem(self.admin.post("/api/v1/kb/articles",
                                           {"title": "long", "body": "y" * 200001}), 422, "body")
        self.assertStatus(self.admin.post("/api/v1/kb/articles",
                                          {"title": "max", "body": "y" * 200000}), 201)
        self.assertProblem(self.admin.post("/api/v1/kb/preview", {"body": "z" * 200001}), 422,
                           "body")
        for body, field in (({"body": "no title"}, "title"),
                            ({"title": "no body"}, "body"),
                            ({"title": "   ", "body": "b"}, "title"),
                            ({"title": 5, "body": "b"}, "title"),
                            ({"title": "t", "body": ["b"]}, "body"),
                            ({"title": "t", "body": "b", "visibility": "public"}, "visibility"),
                            ({"title": "t", "body": "b", "tags": "vpn"}, "tags"),
                            ({"title": "t", "body": "b", "tags": [1]}, "tags"),
                            ({"title": "t", "body": "b", "tags": [" "]}, "tags"),
                            ({"title": "t", "body": "b", "tag": ["vpn"]}, "tag"),
                            ({"title": "t", "body": "b", "html": "<b>x</b>"}, "html"),
                            ({"title": "t", "body": "b", "revision": 7}, "revision"),
                            ({"title": "t", "body": "b", "ticket_count": 7}, "ticket_count"),
                            ({"title": "t", "body": "b", "author_id": 1}, "author_id")):
            self.assertProblem(self.admin.post("/api/v1/kb/articles", body), 422, field,
                               repr(body)[:80])
        self.assertProblem(self.admin.post("/api/v1/kb/preview", {"body": 1}), 422, "body")
        self.assertProblem(self.admin.post("/api/v1/kb/preview", {"markdown": "x"}), 422)
        self.assertProblem(self.admin.post("/api/v1/kb/preview", raw="{"), 400)
        self.assertProblem(self.admin.get("/api/v1/kb/articles?visibility=public"), 400)
        self.assertProblem(self.admin.get("/api/v1/kb/articles?colour=red"), 400)
        self.assertProblem(self.admin.get("/api/v1/kb/articles/abc"), 404)
        self.assertProblem(self.admin.get("/api/v1/kb/articles/999999"), 404)
        self.assertProblem(self.admin.get("/api/v1/kb/articles/999999/tickets"), 404)
        self.assertProblem(self.admin.get("/api/v1/tickets/999999/similar-articles"), 404)


class TestAuditAndEvents(KbCase):

    def test_every_change_is_audited_and_an_event(self):
        a = self.article(self.tech, title="Audited article")
        path = "/api/v1/kb/articles/%d" % a["id"]
        self.patch(path, {"body": "Second text."}, client=self.tech)
        audit = self.assertStatus(self.admin.get(
            "/api/v1/audit?resource=kb/articles&record_id=%d&sort=at" % a["id"]), 200)["data"]
        self.assertEqual([e["action"] for e in audit], ["create", "update"])
        self.assertEqual(audit[0]["actor_id"], self.users["technician"]["id"])
        t = self.ticket()
        link = self.assertStatus(self.tech.post("/api/v1/tickets/%d/kb-links" % t["id"],
                                                {"article_id": a["id"]}), 201)
        types = [e["type"] for e in self.admin.get(
            "/api/v1/events?limit=200&sort=-id")[2]["data"]
            if e["record_id"] in (a["id"], link["id"])
            and e["type"].startswith(("kb_article.", "kb_link."))]
        self.assertIn("kb_article.created", types)
        self.assertIn("kb_link.created", types)
        # the count is written through the engine too: an audited update of the article
        audit = self.admin.get("/api/v1/audit?resource=kb/articles&record_id=%d&sort=at"
                               % a["id"])[2]["data"]
        self.assertEqual(audit[-1]["after"]["ticket_count"], 1)
        # webhooks may subscribe to the knowledge base's events
        hook = self.admin.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook",
                                                    "events": ["kb_article.*", "kb_link.created"]})
        self.assertStatus(hook, 201)


class TestSearch(KbCase):

    def test_q_tags_and_visibility(self):
        word = unique("zq")
        a = self.article(title="Outlook profile repair " + word,
                         body="Run **scanpst** first.", tags=["outlook", "email"],
                         visibility="portal")
        b = self.article(title="Mailbox full", body="Archive old mail; see " + word + ".",
                         tags=["email"])
        c = self.article(title="Unrelated", body="Nothing here.", tags=["misc"])
        ids = lambda q: [x["id"] for x in self.admin.get("/api/v1/kb/articles?limit=200&" + q)[2]["data"]]
        self.assertEqual(sorted(ids("q=" + word)), sorted([a["id"], b["id"]]))
        self.assertEqual(ids("q=scanpst+" + word), [a["id"]])
        self.assertEqual(ids("q=" + word + "&tags=outlook"), [a["id"]])
        self.assertEqual(sorted(ids("q=" + word + "&tags=email")), sorted([a["id"], b["id"]]))
        self.assertEqual(sorted(ids("q=" + word + "&tags=outlook,misc")), [a["id"]])
        self.assertIn(c["id"], ids("tags=misc"))
        self.assertNotIn(a["id"], ids("tags=misc"))
        self.assertEqual(ids("q=" + word + "&visibility=portal"), [a["id"]])
        self.assertEqual(ids("q=" + word + "&visibility=internal"), [b["id"]])
        # a tag with LIKE's wildcards is only itself
        d = self.article(tags=["50%_off"])
        self.assertIn(d["id"], ids("tags=50%25_off"))
        self.assertNotIn(d["id"], ids("tags=50%25"))
        self.assertEqual(ids("q=%22%27*%28+OR+NEAR"), [])
        self.assertProblem(self.admin.get("/api/v1/kb/articles?tags=%FF"), 400)
        self.assertProblem(self.admin.get("/api/v1/kb/articles?tags="), 400)


class TestLinksAndSimilar(KbCase):

    def test_link_unlink_counts(self):
        a = self.article()
        t1, t2 = self.ticket(), self.ticket()
        link = self.assertStatus(self.tech.post("/api/v1/tickets/%d/kb-links" % t1["id"],
                                                {"article_id": a["id"]}), 201, "link")
        self.assertEqual(link["ticket_id"], t1["id"])
        self.assertEqual(link["linked_by_id"], self.users["technician"]["id"])
        self.assertProblem(self.tech.post("/api/v1/tickets/%d/kb-links" % t1["id"],
                                          {"article_id": a["id"]}), 409, "article_id")
        self.assertStatus(self.admin.post("/api/v1/tickets/%d/kb-links" % t2["id"],
                                          {"article_id": a["id"]}), 201)
        path = "/api/v1/kb/articles/%d" % a["id"]
        self.assertEqual(self.admin.get(path)[2]["ticket_count"], 2)
        solved = self.assertStatus(self.sales.get(path + "/tickets"), 200)["data"]
        self.assertEqual([s["ticket_id"] for s in solved], [t2["id"], t1["id"]])
        self.assertEqual(solved[1]["number"], t1["number"])
        self.assertEqual(solved[1]["subject"], t1["subject"])
        listed = self.assertStatus(self.sales.get("/api/v1/tickets/%d/kb-links" % t1["id"]),
                                   200)["data"]
        self.assertEqual([x["article_id"] for x in listed], [a["id"]])
        lpath = "/api/v1/tickets/%d/kb-links/%d" % (t1["id"], link["id"])
        etag = self.tech.get(lpath)[1]["etag"]
        self.assertStatus(self.tech.delete(lpath, headers={"If-Match": etag}), 200)
        self.assertEqual(self.admin.get(path)[2]["ticket_count"], 1)
        self.assertEqual(self.admin.get("/api/v1/tickets/%d/kb-links" % t1["id"])[2]["data"], [])
        # linked again, the old link cannot come back beside it
        again = self.assertStatus(self.tech.post("/api/v1/tickets/%d/kb-links" % t1["id"],
                                                 {"article_id": a["id"]}), 201)
        self.assertProblem(self.tech.post(lpath + "/restore"), 409, "article_id")
        etag = self.tech.get("/api/v1/tickets/%d/kb-links/%d" % (t1["id"], again["id"]))[1]["etag"]
        self.tech.delete("/api/v1/tickets/%d/kb-links/%d" % (t1["id"], again["id"]),
                         headers={"If-Match": etag})
        self.assertStatus(self.tech.post(lpath + "/restore"), 200)
        self.assertEqual(self.admin.get(path)[2]["ticket_count"], 2)
        # the link of one ticket is not found under another
        self.assertProblem(self.admin.get("/api/v1/tickets/%d/kb-links/%d"
                                          % (t2["id"], link["id"])), 404)
        for body, field, status in (({}, "article_id", 422),
                                    ({"article_id": "1"}, "article_id", 422),
                                    ({"article_id": 999999}, "article_id", 422),
                                    ({"article_id": a["id"], "note": "x"}, "note", 422)):
            self.assertProblem(self.tech.post("/api/v1/tickets/%d/kb-links" % t2["id"], body),
                               status, field, repr(body))
        self.assertProblem(self.tech.post("/api/v1/tickets/999999/kb-links",
                                          {"article_id": a["id"]}), 404)

    def test_similar_articles(self):
        word = unique("fuser")
        vpn = self.article(title="VPN client cannot connect " + word,
                           body="Check the **certificate** and the VPN gateway address.\n\n"
                                "Then reinstall the VPN client.", tags=["vpn"])
        printer = self.article(title="Printer driver reinstall " + word,
                               body="Remove the printer driver and install the newest one.",
                               tags=["printer"])
        t = self.ticket(subject="The VPN will not connect since Monday",
                        description="Hello, the VPN client says the certificate expired. "
                                    "Thanks " + word)
        got = self.assertStatus(self.tech.get("/api/v1/tickets/%d/similar-articles" % t["id"]),
                                200)["data"]
        self.assertLessEqual(len(got), 5)
        self.assertGreaterEqual(len(got), 2)
        self.assertEqual(got[0]["id"], vpn["id"])
        self.assertIn(printer["id"], [g["id"] for g in got])
        self.assertTrue(got[0]["excerpt"].startswith("Check the certificate and the VPN"),
                        got[0]["excerpt"])
        self.assertNotIn("**", got[0]["excerpt"])
        self.assertEqual(got[0]["tags"], ["vpn"])
        # archived articles are not suggested
        path = "/api/v1/kb/articles/%d" % vpn["id"]
        self.manager.delete(path, headers={"If-Match": self.admin.get(path)[1]["etag"]})
        got = self.admin.get("/api/v1/tickets/%d/similar-articles" % t["id"])[2]["data"]
        self.assertNotIn(vpn["id"], [g["id"] for g in got])
        # at most five
        for i in range(7):
            self.article(body="About the %s number %d." % (word, i))
        got = self.admin.get("/api/v1/tickets/%d/similar-articles" % t["id"])[2]["data"]
        self.assertEqual(len(got), 5)

    def test_similar_with_odd_text(self):
        self.article(title="Quotes and operators", body='He said "NEAR" AND OR NOT * ^ :')
        for subject, description in (('"', None), ('a " b', ""), ("NEAR(x y) OR", "AND NOT *"),
                                     ("a:b c^d {x}", "'; DROP TABLE kb_articles; --"),
                                     ("\u00e9t\u00e9 \u2014 \u00fcber \U0001F600", "\\ % _"),
                                     ("of it is", "to be or not to be"),
                                     ("x" * 200, "y " * 3000)):
            body = {"subject": subject}
            if description is not None:
                body["description"] = description
            t = self.ticket(**body)
            got = self.assertStatus(self.admin.get("/api/v1/tickets/%d/similar-articles"
                                                   % t["id"]), 200, repr(subject))
            self.assertIsInstance(got["data"], list)
            self.assertLessEqual(len(got["data"]), 5)


class TestSanitiser(KbCase):
    """Whatever the Markdown, no script, handler or dangerous address comes out."""

    def assertSafe(self, html):
        # text is escaped (no "<" but ours); what matters is inside the tags
        tags = re.findall(r"<[^>]*>", html)
        self.assertEqual(html.count("<"), len(tags), html)
        low = " ".join(tags).lower()
        for bad in ("<script", "<img src=x", "onerror", "onload", "<iframe", "<svg",
                    "javascript:", "vbscript:", "data:", "<style", "<object", "<embed"):
            self.assertNotIn(bad, low, html)
        # every tag is one of ours, and only with our attributes
        allowed = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "a", "img", "ul",
                   "ol", "li", "blockquote", "pre", "code", "hr", "br"}
        for m in re.finditer(r"<(/?)([a-zA-Z0-9]+)([^>]*)>", html):
            self.assertIn(m.group(2), allowed, html)
            attrs = re.findall(r'\s([a-zA-Z-]+)="([^"]*)"', m.group(3))
            self.assertEqual(re.sub(r'\s([a-zA-Z-]+)="([^"]*)"', "", m.group(3)).strip(), "",
                             html)
            for attr, _ in attrs:
                self.assertIn(attr, ("href", "src", "alt", "title", "rel", "class", "start",
                                     "loading"), html)

    def test_attacks(self):
        cases = [
            "<script>alert(1)</script>",
            "text <script>alert(1)</script> more",
            "<img src=x onerror=alert(1)>",
            "inline <img src=x onerror=alert(1)> html",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](javascript&#58;alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](<java\tscript:alert(1)>)",
            "[x]( javascript:alert(1))",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![y](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
            "![y](javascript:alert(1))",
            "[ref]\n\n[ref]: javascript:alert(1)",
            "<javascript:alert(1)>",
            "<div onclick=\"alert(1)\">block</div>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)>",
            '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
            "<a href=\"javascript:alert(1)\">a</a>",
            "```\n<script>alert(1)</script>\n```",
            "`<script>`",
            "<style>body{}</style>",
        ]
        for md in cases:
            html = self.html(md)
            self.assertSafe(html)
        # what is dropped leaves its text; raw HTML is shown as text
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", self.html("<script>alert(1)</script>"))
        self.assertEqual(self.html("[x](javascript:alert(1))"), "<p>x</p>\n")
        self.assertEqual(self.html("![alt text](data:image/png;base64,AAAA)"), "<p>alt text</p>\n")
        html = self.html('[x](https://ok.example "title\\" onmouseover=\\"alert(1)")')
        self.assertIn('title="title&quot; onmouseover=&quot;alert(1)"', html)
        # and the article's html is the same rendering
        md = "See [the portal](https://portal.example/help?a=1&b=2) and ![logo](/img/logo.png)"
        a = self.article(body=md)
        self.assertEqual(a["html"], self.html(md))
        self.assertIn('<a href="https://portal.example/help?a=1&amp;b=2" rel=', a["html"])
        self.assertIn('<img src="/img/logo.png" alt="logo"', a["html"])
        self.assertIn('<a href="mailto:help@firm.example"',
                      self.html("[mail](mailto:help@firm.example)"))


if __name__ == "__main__":
    unittest.main()
