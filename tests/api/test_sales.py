"""
test_sales.py - winning work through HTTP: the pipeline (opportunities,
activities, my follow-ups), quotes with exact totals, sending, the public
link (view, accept, decline), revisions, expiry, the conversion into a
contract and service orders, the PDF, the reports and the firm's settings,
with the bad input a real client sends.
"""

import base64
import datetime
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import Client, ServerTestCase, unique

SALES_PASSWORD = "Sales-Pass-For-Tests-0nly-52!"
TECH_PASSWORD = "Tech-Pass-For-Tests-0nly-91!"
BILLING_PASSWORD = "Billing-Pass-For-Tests-0nly-44!"
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
# a 1x1 PNG
PNG_1X1 = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2"
    "21bc330000000049454e44ae426082")).decode()


class SalesCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for role, pw in (("sales", SALES_PASSWORD), ("technician", TECH_PASSWORD),
                         ("billing", BILLING_PASSWORD)):
            email = unique(role) + "@example.com"
            cls.server.add_user(email, role, pw)
            setattr(cls, role, cls.server.client(cls.server.token_for(email)))
        status, _, me = cls.sales.get("/api/v1/me")
        cls.sales_id = me["user"]["id"] if "user" in me else me["id"]

    def create(self, path, body, client=None):
        resp = (client or self.admin).post("/api/v1/" + path, body)
        return self.assertStatus(resp, 201, "create %s %r" % (path, body))

    def get(self, path, client=None):
        return self.assertStatus((client or self.admin).get("/api/v1/" + path), 200, path)

    def patch(self, path, body, client=None, expect=200):
        c = client or self.admin
        status, headers, cur = c.get("/api/v1/" + path)
        self.assertEqual(status, 200, cur)
        resp = c.patch("/api/v1/" + path, body, headers={"If-Match": headers["etag"]})
        if expect is None:
            return resp
        return self.assertStatus(resp, expect, "patch %s %r" % (path, body))

    def action(self, path, body=None, client=None, expect=200):
        c = client or self.admin
        status, headers, cur = c.get("/api/v1/" + path.rsplit("/", 1)[0])
        resp = c.post("/api/v1/" + path, body, headers={"If-Match": headers.get("etag", "*")})
        if expect is None:
            return resp
        return self.assertStatus(resp, expect, path)

    def company(self, **fields):
        body = {"name": unique("Client ")}
        body.update(fields)
        return self.create("companies", body)

    def catalog(self):
        product = self.create("products", {"sku": unique("SW-"), "name": "Managed switch 24p",
                                           "kind": "equipment", "unit_cost": 9000,
                                           "unit_price": 12500})
        labour = self.create("work-types", {"name": unique("Field engineer "),
                                            "hourly_rate": 9000})
        return product, labour

    def quote(self, company, **fields):
        product, labour = self.catalog()
        body = {"company_id": company["id"], "title": "Network refresh",
                "tax_rate_bp": 825, "response_time_minutes": 240,
                "coverage": "business_hours", "warranty_days": 90,
                "lines": [
                    {"kind": "equipment", "product_id": product["id"], "quantity": 2,
                     "discount_bp": 1000, "install": True},
                    {"kind": "labor", "work_type_id": labour["id"], "quantity": 1.5},
                    {"kind": "service", "description": "Monitoring, first month",
                     "unit_price": 4999},
                ]}
        body.update(fields)
        return self.create("quotes", body, client=self.sales)

    def send(self, quote):
        sent = self.action("quotes/%d/send" % quote["id"], client=self.sales)
        self.assertEqual(sent["status"], "sent")
        m = re.search(r"/q/([A-Za-z0-9_-]+)$", sent["public_url"])
        self.assertIsNotNone(m, sent["public_url"])
        return sent, m.group(1)

    def public(self):
        return Client(self.server.port)


class TestPipeline(SalesCase):

    def test_opportunity_stages(self):
        c = self.company()
        opp = self.create("opportunities", {"company_id": c["id"], "title": "Printers",
                                            "estimated_value": 500000}, client=self.sales)
        self.assertEqual(opp["stage"], "new")
        self.assertEqual(opp["owner_id"], self.sales_id)
        self.assertIsNone(opp["closed_at"])
        path = "opportunities/%d" % opp["id"]
        self.assertProblem(self.patch(path, {"stage": "lost"}, expect=None), 422, "lost_reason")
        self.assertProblem(self.patch(path, {"stage": "bought"}, expect=None), 422, "stage")
        lost = self.patch(path, {"stage": "lost", "lost_reason": "went with a cheaper firm"})
        self.assertRegex(lost["closed_at"], r"^\d{4}-\d\d-\d\dT")
        reopened = self.patch(path, {"stage": "qualified"})
        self.assertIsNone(reopened["closed_at"])
        # the technician reads the pipeline but does not sell
        self.assertProblem(self.technician.post("/api/v1/opportunities", {
            "company_id": c["id"], "title": "x"}), 403)

    def test_referral_partner_must_be_a_partner(self):
        c, client = self.company(kind="partner"), self.company()
        self.assertProblem(self.admin.post("/api/v1/opportunities", {
            "company_id": client["id"], "title": "x", "referral_partner_id": client["id"]}),
            422, "referral_partner_id")
        opp = self.create("opportunities", {"company_id": client["id"], "title": "x",
                                            "referral_partner_id": c["id"],
                                            "source": "referral", "campaign": "spring"})
        found = self.get("opportunities?referral_partner_id=%d" % c["id"])["data"]
        self.assertEqual([o["id"] for o in found], [opp["id"]])

    def test_activities_and_my_follow_ups(self):
        c = self.company()
        past = (datetime.datetime.now(datetime.timezone.utc)
                - datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        future = (datetime.datetime.now(datetime.timezone.utc)
                  + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        later = self.create("activities", {"kind": "call", "subject": "Call back",
                                           "company_id": c["id"], "due_at": future},
                            client=self.sales)
        undated = self.create("activities", {"kind": "task", "subject": "Send brochure"},
                              client=self.sales)
        overdue = self.create("activities", {"kind": "visit", "subject": "Site survey",
                                             "company_id": c["id"], "due_at": past},
                              client=self.sales)
        done = self.create("activities", {"kind": "email", "subject": "Thank you",
                                          "due_at": past}, client=self.sales)
        self.patch("activities/%d" % done["id"], {"done_at": past}, client=self.sales)
        self.assertTrue(overdue["overdue"])
        self.assertFalse(later["overdue"])
        mine = self.get("me/follow-ups", client=self.sales)["data"]
        self.assertEqual([a["id"] for a in mine], [overdue["id"], later["id"], undated["id"]])
        # another user's list is theirs
        self.assertNotIn(overdue["id"], [a["id"] for a in self.get("me/follow-ups")["data"]])
        self.assertProblem(self.admin.post("/api/v1/activities", {"kind": "lunch",
                                                                  "subject": "x"}), 422, "kind")

    def test_activity_contact_of_another_company(self):
        a, b = self.company(), self.company()
        contact = self.create("contacts", {"company_id": b["id"], "first_name": "Bo",
                                           "last_name": "B"})
        self.assertProblem(self.admin.post("/api/v1/activities", {
            "kind": "call", "subject": "x", "company_id": a["id"],
            "contact_id": contact["id"]}), 422, "contact_id")
        # the company follows from the contact
        act = self.create("activities", {"kind": "call", "subject": "x",
                                          "contact_id": contact["id"]})
        self.assertEqual(act["company_id"], b["id"])


class TestQuotes(SalesCase):

    def test_totals_are_exact(self):
        q = self.quote(self.company())
        self.assertRegex(q["number"], r"^Q-\d{6}$")
        self.assertEqual(q["revision"], 1)
        self.assertEqual(q["status"], "draft")
        self.assertEqual(q["currency"], "USD")
        self.assertEqual(q["valid_until"], str(TODAY + datetime.timedelta(days=30)))
        eq, lab, svc = q["lines"]
        # 2 x 125.00 less 10 %
        self.assertEqual((eq["description"], eq["unit_price"], eq["amount"], eq["taxable"]),
                         ("Managed switch 24p", 12500, 22500, True))
        # 1.5 h x 90.00, labour untaxed by default
        self.assertEqual((lab["unit_price"], lab["amount"], lab["taxable"]), (9000, 13500, False))
        self.assertEqual((svc["amount"], svc["taxable"], svc["quantity"]), (4999, True, 1))
        self.assertEqual(q["subtotal"], 22500 + 13500 + 4999)
        # 8.25 % of 274.99 = 22.686675 -> 22.69
        self.assertEqual(q["tax"], 2269)
        self.assertEqual(q["total"], 22500 + 13500 + 4999 + 2269)

    def test_rounding_half_away_from_zero(self):
        q = self.create("quotes", {"company_id": self.company()["id"], "title": "Cables",
                                   "lines": [{"kind": "service", "description": "cable",
                                              "quantity": 0.5, "unit_price": 5},
                                             {"kind": "service", "description": "tie",
                                              "quantity": 0.125, "unit_price": 4}],
                                   "tax_rate_bp": 5000})
        # 2.5 -> 3; 0.5 -> 1; tax 50 % of 4 = 2
        self.assertEqual([l["amount"] for l in q["lines"]], [3, 1])
        self.assertEqual((q["subtotal"], q["tax"], q["total"]), (4, 2, 6))

    def test_bad_lines(self):
        c = self.company()
        product, labour = self.catalog()
        base = {"company_id": c["id"], "title": "x"}
        cases = [
            [{"kind": "equipment", "product_id": product["id"], "quantity": -1}],
            [{"kind": "equipment", "product_id": 99999999}],
            [{"kind": "labor", "product_id": product["id"]}],
            [{"kind": "gadget", "description": "x", "unit_price": 1}],
            [{"kind": "service", "unit_price": 100}],
            [{"kind": "service", "description": "x", "unit_price": 1, "quantity": 1.2345}],
            [{"kind": "service", "description": "x", "unit_price": 1, "discount_bp": 10001}],
            [{"kind": "labor", "work_type_id": labour["id"], "install": True}],
            [{"kind": "service", "description": "x", "unit_price": 1, "colour": "red"}],
            "not an array",
        ]
        for lines in cases:
            self.assertProblem(self.admin.post("/api/v1/quotes", dict(base, lines=lines)), 422,
                               "lines", repr(lines))
        self.assertProblem(self.admin.post("/api/v1/quotes", dict(base, coverage="weekends")),
                           422, "coverage")
        # a product priced in another currency
        eur = self.create("products", {"sku": unique("EU-"), "name": "Router",
                                       "kind": "equipment", "unit_price": 100,
                                       "currency": "EUR"})
        self.assertProblem(self.admin.post("/api/v1/quotes", dict(
            base, lines=[{"kind": "equipment", "product_id": eur["id"]}])), 422, "lines")
        # a contact of another company
        other = self.create("contacts", {"company_id": self.company()["id"],
                                         "first_name": "A", "last_name": "B"})
        self.assertProblem(self.admin.post("/api/v1/quotes", dict(base, contact_id=other["id"])),
                           422, "contact_id")

    def test_defaults_are_never_cleared(self):
        q = self.quote(self.company())
        for field in ("valid_until", "currency", "tax_rate_bp"):
            self.assertProblem(self.patch("quotes/%d" % q["id"], {field: None}, expect=None),
                               422, field)

    def test_qualifications_from_technicians(self):
        email = unique("ana") + "@example.com"
        self.server.add_user(email, "technician", TECH_PASSWORD, name="Ana Lopez")
        uid = [u for u in self.get("users?limit=200")["data"] if u["email"] == email][0]["id"]
        self.create("users/%d/certifications" % uid, {"name": "CompTIA A+", "issuer": "CompTIA",
                                                      "expires_on": "2099-05-01"})
        self.create("users/%d/certifications" % uid, {"name": "Old badge",
                                                      "expires_on": "2001-01-01"})
        q = self.quote(self.company(), technicians=[{"user_id": uid}])
        self.assertIn("Ana Lopez", q["qualifications"])
        self.assertIn("CompTIA A+ (CompTIA, valid until 2099-05-01)", q["qualifications"])
        self.assertNotIn("Old badge", q["qualifications"])
        # stated qualifications are kept as written
        q2 = self.quote(self.company(), technicians=[{"user_id": uid}],
                        qualifications="Licensed electricians")
        self.assertEqual(q2["qualifications"], "Licensed electricians")

    def test_roles(self):
        c = self.company()
        self.assertProblem(self.technician.get("/api/v1/quotes"), 403)
        self.assertProblem(self.billing.post("/api/v1/quotes", {"company_id": c["id"],
                                                                "title": "x"}), 403)
        self.assertStatus(self.billing.get("/api/v1/quotes"), 200)

    def test_send_and_accept_through_the_link(self):
        partner = self.company(kind="partner", name=unique("Supplier "))
        c = self.company(referred_by_id=partner["id"])
        contact = self.create("contacts", {"company_id": c["id"], "first_name": "Cy",
                                           "last_name": "Client", "email": "cy@example.com"})
        opp = self.create("opportunities", {"company_id": c["id"], "title": "Refresh",
                                            "source": "trade show"})
        q = self.quote(c, opportunity_id=opp["id"], contact_id=contact["id"])
        sent, token = self.send(q)
        self.assertRegex(sent["sent_at"], r"^\d{4}-")
        self.assertNotIn("link_hash", sent)
        self.assertEqual(self.get("opportunities/%d" % opp["id"])["stage"], "quoted")
        # a sent quote is no longer edited in place
        self.assertProblem(self.patch("quotes/%d" % q["id"], {"title": "y"}, expect=None), 409,
                           "status")
        anon = self.public()
        for _ in range(2):  # a GET never changes state
            page = self.assertStatus(anon.get("/api/v1/public/quotes/" + token), 200)
        self.assertTrue(page["can_respond"])
        self.assertEqual(page["quote"]["number"], q["number"])
        self.assertEqual(page["quote"]["total"], q["total"])
        self.assertEqual(page["company"]["name"], c["name"])
        self.assertNotIn("opportunity_id", page["quote"])
        self.assertEqual(self.get("quotes/%d" % q["id"])["status"], "sent")
        # a forged or malformed link opens nothing
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        self.assertProblem(anon.get("/api/v1/public/quotes/" + forged), 404)
        self.assertProblem(anon.post("/api/v1/public/quotes/%s/accept" % forged,
                                     {"name": "Mallory"}), 404)
        self.assertProblem(anon.get("/api/v1/public/quotes/short"), 404)
        # a signature needs a name
        self.assertProblem(anon.post("/api/v1/public/quotes/%s/accept" % token, {"name": "  "}),
                           422, "name")
        self.assertProblem(anon.post("/api/v1/public/quotes/%s/accept" % token, {}), 422, "name")
        accepted = self.assertStatus(anon.post("/api/v1/public/quotes/%s/accept" % token,
                                               {"name": "Cy Client"}), 200)
        self.assertEqual(accepted["status"], "accepted")
        self.assertEqual(accepted["accepted_name"], "Cy Client")
        self.assertRegex(accepted["accepted_at"], r"^\d{4}-")
        # the client sees the document, not our side of the deal
        for internal in ("opportunity_id", "contract_id", "accepted_address", "company_id"):
            self.assertNotIn(internal, accepted)
        accepted = self.get("quotes/%d" % q["id"])
        self.assertEqual(accepted["accepted_address"], "127.0.0.1")
        self.assertIsNone(accepted["accepted_by_id"])
        # twice is a conflict, and so is a decline now
        self.assertProblem(anon.post("/api/v1/public/quotes/%s/accept" % token,
                                     {"name": "Cy Client"}), 409)
        self.assertProblem(anon.post("/api/v1/public/quotes/%s/decline" % token,
                                     {"reason": "changed my mind"}), 409)
        self.assertFalse(self.assertStatus(anon.get("/api/v1/public/quotes/" + token),
                                           200)["can_respond"])
        # the conversion: opportunity won, contract with the promised response, orders
        self.assertEqual(self.get("opportunities/%d" % opp["id"])["stage"], "won")
        contract = self.get("contracts/%d" % accepted["contract_id"])
        self.assertEqual((contract["company_id"], contract["kind"], contract["quote_id"],
                          contract["status"]), (c["id"], "time_materials", q["id"], "active"))
        policy = self.get("sla-policies/%d" % contract["sla_policy_id"])
        self.assertEqual({t["response_minutes"] for t in policy["targets"]}, {240})
        self.assertEqual(self.get("calendars/%d" % policy["calendar_id"])["name"],
                         "Business hours")
        orders = self.get("tickets?quote_id=%d&sort=created_at" % q["id"])["data"]
        # the switch to install; the labour (1.5 h) is the work planned on it
        self.assertEqual(len(orders), 1)
        self.assertEqual(orders[0]["planned_minutes"], 90)
        self.assertEqual({o["kind"] for o in orders}, {"installation"})
        self.assertEqual({o["contract_id"] for o in orders}, {contract["id"]})
        self.assertEqual({o["sla_policy_id"] for o in orders}, {policy["id"]})
        self.assertEqual({o["contact_id"] for o in orders}, {contact["id"]})
        self.assertTrue(any(o["subject"].startswith("Install: Managed switch") for o in orders))
        # a second quote promising the same response reuses the policy
        q2 = self.quote(c)
        self.send(q2)
        done = self.action("quotes/%d/accept" % q2["id"], {"name": "Cy Client"},
                           client=self.sales)
        self.assertEqual(done["accepted_by_id"], self.sales_id)
        self.assertEqual(self.get("contracts/%d" % done["contract_id"])["sla_policy_id"],
                         policy["id"])
        # and the referral report credits the partner and the source
        rep = self.get("reports/referrals", client=self.sales)
        mine = [p for p in rep["partners"] if p["partner_id"] == partner["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual((mine[0]["won"], mine[0]["revenue"]), (2, q["total"] * 2))
        sources = {s["source"]: s for s in rep["sources"]}
        self.assertGreaterEqual(sources["trade show"]["won"], 1)

    def test_decline_with_reason(self):
        q = self.quote(self.company())
        _, token = self.send(q)
        anon = self.public()
        self.assertProblem(anon.post("/api/v1/public/quotes/%s/decline" % token, {}), 422,
                           "reason")
        declined = self.assertStatus(anon.post("/api/v1/public/quotes/%s/decline" % token,
                                               {"reason": "over budget"}), 200)
        self.assertEqual(declined["status"], "declined")
        declined = self.get("quotes/%d" % q["id"])
        self.assertEqual((declined["status"], declined["decline_reason"]),
                         ("declined", "over budget"))
        self.assertIsNone(declined["contract_id"])

    def test_revision_supersedes(self):
        q = self.quote(self.company())
        self.assertProblem(self.action("quotes/%d/revise" % q["id"], client=self.sales,
                                       expect=None), 409, "status")
        _, old_token = self.send(q)
        rev = self.action("quotes/%d/revise" % q["id"], client=self.sales, expect=201)
        self.assertEqual((rev["number"], rev["revision"], rev["status"], rev["previous_id"]),
                         (q["number"], 2, "draft", q["id"]))
        self.assertEqual(rev["total"], q["total"])
        old = self.get("quotes/%d" % q["id"])
        self.assertEqual((old["status"], old["superseded_by_id"]), ("superseded", rev["id"]))
        # every version stays readable, by number
        both = self.get("quotes?number=%s&sort=revision" % q["number"])["data"]
        self.assertEqual([x["revision"] for x in both], [1, 2])
        # the old link shows the old version and refuses an answer
        anon = self.public()
        page = self.assertStatus(anon.get("/api/v1/public/quotes/" + old_token), 200)
        self.assertEqual(page["quote"]["status"], "superseded")
        self.assertFalse(page["can_respond"])
        self.assertProblem(anon.post("/api/v1/public/quotes/%s/accept" % old_token,
                                     {"name": "Cy"}), 409, "status")
        # the draft is edited, then sent with a new link
        edited = self.patch("quotes/%d" % rev["id"], {"warranty_days": 365})
        self.assertEqual(edited["warranty_days"], 365)
        _, new_token = self.send(edited)
        self.assertNotEqual(new_token, old_token)
        self.assertStatus(anon.post("/api/v1/public/quotes/%s/accept" % new_token,
                                    {"name": "Cy"}), 200)

    def test_expired_quote(self):
        q = self.quote(self.company())
        _, token = self.send(q)
        yesterday = str(TODAY - datetime.timedelta(days=1))
        self.server.execute("UPDATE quotes SET valid_until = '%s' WHERE id = %d"
                            % (yesterday, q["id"]))
        anon = self.public()
        self.assertFalse(self.assertStatus(anon.get("/api/v1/public/quotes/" + token),
                                           200)["can_respond"])
        self.assertProblem(anon.post("/api/v1/public/quotes/%s/accept" % token,
                                     {"name": "Cy"}), 409, "status")
        r = self.server.run_cli("worker", "--run", "sales")
        self.assertEqual(r.returncode, 0, r.stderr)
        expired = self.get("quotes/%d" % q["id"])
        self.assertEqual(expired["status"], "expired")
        self.assertRegex(expired["expired_at"], r"^\d{4}-")
        # an expired quote is revised into a new one, valid again
        rev = self.action("quotes/%d/revise" % q["id"], client=self.sales, expect=201)
        self.assertGreaterEqual(rev["valid_until"], str(TODAY))

    def test_sending_needs_a_complete_quote(self):
        c = self.company()
        empty = self.create("quotes", {"company_id": c["id"], "title": "Empty"})
        self.assertProblem(self.action("quotes/%d/send" % empty["id"], expect=None), 422, "lines")
        managed = self.create("quotes", {"company_id": c["id"], "title": "Managed",
                                         "contract_kind": "managed",
                                         "lines": [{"kind": "labor", "description": "setup",
                                                    "unit_price": 100}]})
        self.assertProblem(self.action("quotes/%d/send" % managed["id"], expect=None), 422,
                           "lines")
        self.assertProblem(self.admin.post("/api/v1/quotes/%d/send" % empty["id"]), 428)
        self.assertProblem(self.admin.post("/api/v1/quotes/99999999/send",
                                           headers={"If-Match": "*"}), 404)

    def test_managed_and_block_hours_contracts(self):
        c = self.company()
        managed = self.create("quotes", {
            "company_id": c["id"], "title": "Managed IT", "contract_kind": "managed",
            "response_time_minutes": 60, "coverage": "24x7",
            "lines": [{"kind": "service", "description": "Per seat", "quantity": 10,
                       "unit_price": 4500}]})
        self.send(managed)
        done = self.action("quotes/%d/accept" % managed["id"], {"name": "Cy"})
        contract = self.get("contracts/%d" % done["contract_id"])
        self.assertEqual((contract["kind"], contract["monthly_fee"]), ("managed", 45000))
        policy = self.get("sla-policies/%d" % contract["sla_policy_id"])
        self.assertTrue(self.get("calendars/%d" % policy["calendar_id"])["always_open"])
        self.assertEqual(self.get("tickets?quote_id=%d" % managed["id"])["data"], [])
        block = self.create("quotes", {
            "company_id": c["id"], "title": "Ten hours", "contract_kind": "block_hours",
            "lines": [{"kind": "labor", "description": "Support hours", "quantity": 10,
                       "unit_price": 8000}]})
        self.send(block)
        done = self.action("quotes/%d/accept" % block["id"], {"name": "Cy"})
        contract = self.get("contracts/%d" % done["contract_id"])
        self.assertEqual((contract["block_minutes"], contract["block_price"]), (600, 80000))
        self.assertIsNone(contract["sla_policy_id"])

    def test_pdf(self):
        c = self.company(name=unique("Acme Printing "))
        q = self.quote(c, qualifications="Certified cabling technicians")
        status, headers, body = self.admin.request("GET", "/api/v1/quotes/%d.pdf" % q["id"])
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/pdf")
        # our own UI may frame it for a preview; nobody else may
        self.assertEqual(headers["x-frame-options"], "SAMEORIGIN")
        self.assertIn("frame-ancestors 'self'", headers["content-security-policy"])
        raw = body
        self.assertTrue(raw.startswith(b"%PDF-"))
        self.assertIn(b"%%EOF", raw[-32:])
        if shutil.which("pdftotext"):
            with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
                f.write(raw)
                f.flush()
                text = subprocess.run(["pdftotext", "-layout", f.name, "-"],
                                      capture_output=True, text=True, check=True).stdout
            self.assertIn(q["number"], text)
            total = "{:,}.{:02d}".format(q["total"] // 100, q["total"] % 100)
            self.assertIn(total, text)
            self.assertIn("Certified cabling technicians", text)
        self.assertProblem(self.admin.get("/api/v1/quotes/99999999.pdf"), 404)
        self.assertProblem(self.admin.get("/api/v1/quotes/abc.pdf"), 404)
        self.assertProblem(self.technician.get("/api/v1/quotes/%d.pdf" % q["id"]), 403)
        # the client's copy through the link
        _, token = self.send(q)
        status, headers, body = self.public().request("GET",
                                                      "/api/v1/public/quotes/%s/pdf" % token)
        self.assertEqual((status, headers["content-type"]), (200, "application/pdf"))


class TestReportsAndSettings(SalesCase):

    def test_pipeline_report(self):
        c = self.company()
        for stage, value in (("new", 1000), ("qualified", 2000), ("qualified", 3000)):
            self.create("opportunities", {"company_id": c["id"], "title": unique("o"),
                                          "stage": stage, "estimated_value": value})
        won = self.quote(c)
        self.send(won)
        self.action("quotes/%d/accept" % won["id"], {"name": "Cy"})
        lost = self.quote(c)
        self.send(lost)
        self.action("quotes/%d/decline" % lost["id"], {"reason": "price"})
        rep = self.get("reports/pipeline?from=%s" % TODAY, client=self.sales)
        by = {(s["stage"], s["currency"]): s for s in rep["stages"]}
        self.assertGreaterEqual(by[("qualified", "USD")]["value"], 5000)
        month = [m for m in rep["win_rate"] if m["period"] == TODAY.strftime("%Y-%m")][0]
        self.assertGreaterEqual(month["accepted"], 1)
        self.assertGreaterEqual(month["declined"], 1)
        self.assertEqual(month["win_rate_bp"], month["accepted"] * 10000 //
                         (month["accepted"] + month["declined"] + month["expired"]))
        self.assertProblem(self.admin.get("/api/v1/reports/pipeline?from=2026-13-01"), 400)
        self.assertProblem(self.admin.get("/api/v1/reports/pipeline?since=2026-01-01"), 400)
        self.assertProblem(self.technician.get("/api/v1/reports/pipeline"), 403)

    def test_settings(self):
        self.assertProblem(self.admin.get("/api/v1/settings?x=1"), 400)
        self.assertProblem(self.admin.get("/api/v1/me/follow-ups?limit=5"), 400)
        s = self.get("settings")
        self.assertEqual((s["currency"], s["timezone"]), ("USD", "UTC"))
        self.assertProblem(self.patch("settings", {"logo_png": "bm90IGEgcG5n"}, expect=None),
                           422, "logo_png")
        self.assertProblem(self.patch("settings", {"currency": "usd"}, expect=None), 422,
                           "currency")
        self.assertProblem(self.patch("settings", {"tax_rate_bp": None}, expect=None), 422,
                           "tax_rate_bp")
        self.assertProblem(self.patch("settings", {"firm_name": "x"}, client=self.sales,
                                      expect=None), 403)
        before = s["public_url"]
        s = self.patch("settings", {"firm_name": "Northwind IT", "logo_png": PNG_1X1,
                                    "public_url": "https://portal.example.com",
                                    "quote_validity_days": 14})
        self.assertEqual(s["firm_name"], "Northwind IT")
        q = self.quote(self.company())
        self.assertEqual(q["valid_until"], str(TODAY + datetime.timedelta(days=14)))
        # the client's link is on the firm's address, whatever Host the caller sent
        status, headers, cur = self.admin.get("/api/v1/quotes/%d" % q["id"])
        sent = self.assertStatus(self.admin.post(
            "/api/v1/quotes/%d/send" % q["id"], None,
            headers={"If-Match": headers["etag"], "Host": "evil.example"}), 200)
        self.assertTrue(sent["public_url"].startswith("https://portal.example.com/q/"), sent)
        status, _, _ = self.admin.request("GET", "/api/v1/quotes/%d.pdf" % q["id"])
        self.assertEqual(status, 200)
        # with no address set there is no link to give: a 409 naming the setting
        self.patch("settings", {"public_url": None, "quote_validity_days": 30})
        q2 = self.quote(self.company())
        body = self.assertProblem(self.action("quotes/%d/send" % q2["id"], expect=None,
                                              ), 409, "public_url")
        self.assertIn("public_url", body["detail"])
        self.assertEqual(self.get("quotes/%d" % q2["id"])["status"], "draft", "nothing sent")
        self.patch("settings", {"public_url": before})
        self.assertTrue(self.action("quotes/%d/send" % q2["id"])["public_url"].startswith(
            before + "/q/"))

    def test_document_footer(self):
        self.assertProblem(self.patch("settings", {"document_footer": "x" * 301}, expect=None),
                           422, "document_footer")
        self.assertProblem(self.patch("settings", {"document_footer": 7}, expect=None), 422,
                           "document_footer")
        self.assertProblem(self.patch("settings", {"document_footer": "Reg. 1"},
                                      client=self.sales, expect=None), 403)
        line = "Registered in Illinois No. 7781204 - EIN 36-4455120"
        self.assertEqual(self.patch("settings", {"document_footer": line})["document_footer"],
                         line)
        try:
            q = self.quote(self.company())
            status, _, raw = self.admin.request("GET", "/api/v1/quotes/%d.pdf" % q["id"])
            self.assertEqual(status, 200)
            if shutil.which("pdftotext"):
                with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
                    f.write(raw)
                    f.flush()
                    text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True,
                                          text=True, check=True).stdout
                self.assertIn("EIN 36-4455120", text)
        finally:
            self.assertIsNone(self.patch("settings", {"document_footer": None})["document_footer"])


if __name__ == "__main__":
    unittest.main()
