"""
test_quoteconv.py - a quote's acceptance does what the quote said: the
equipment to install becomes parts on its installation order, the labour
the work planned on it, the proposed technician who holds the promised
certifications is assigned and a visit proposed at the next opening of the
business hours, the orders are at the quote's site, the opportunity is won
at the accepted total, and the SLA policy of the promise (with a
resolution target) is reused by the next quote that promises the same.
The client reads the terms in words: the coverage spelled out from the
calendar, the response time in working hours, and never "no current
certifications".
"""

import shutil
import subprocess
import tempfile

from harness import Client, ServerTestCase, unique

TECH_PASSWORD = "Tech-Pass-For-Tests-0nly-77!"
# a Tuesday, 10:00 UTC: inside the business hours
NOW = "2026-12-08T10:00:00Z"
CERT = "CompTIA Network+"


class TestQuoteConversion(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.set_clock(now=NOW)
        # the firm's business hours: Monday to Friday 08:00-18:00, UTC
        status, _, cal = cls.admin.post("/api/v1/calendars", {
            "name": "Business hours", "timezone": "UTC",
            "hours": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(1, 6)]})
        assert status == 201, cal
        cls.calendar = cal
        cls.techs = []
        for name in ("Ana Certified", "Bo Uncertified"):
            email = unique("tech") + "@example.com"
            cls.server.add_user(email, "technician", TECH_PASSWORD, name=name)
            _, _, users = cls.admin.get("/api/v1/users?email=" + email)
            cls.techs.append(users["data"][0])
        status, _, cert = cls.admin.post(
            "/api/v1/users/%d/certifications" % cls.techs[0]["id"],
            {"name": CERT, "issuer": "CompTIA", "expires_on": "2030-01-01"})
        assert status == 201, cert

    def create(self, path, body):
        return self.assertStatus(self.admin.post("/api/v1/" + path, body), 201, path)

    def get(self, path):
        return self.assertStatus(self.admin.get("/api/v1/" + path), 200, path)

    def setUp(self):
        self.company = self.create("companies", {"name": unique("Client ")})
        self.site = self.create("sites", {"company_id": self.company["id"],
                                          "name": "Head office"})
        self.switch = self.create("products", {"sku": unique("SW-"), "name": "Switch 24p",
                                               "kind": "equipment", "unit_cost": 9000,
                                               "unit_price": 12500})
        self.ap = self.create("products", {"sku": unique("AP-"), "name": "Access point",
                                           "kind": "equipment", "unit_cost": 4000,
                                           "unit_price": 7000})
        self.labour = self.create("work-types", {"name": unique("Installation "),
                                                 "hourly_rate": 9000})

    def quote(self, **fields):
        body = {"company_id": self.company["id"], "title": "Office network",
                "response_time_minutes": 240, "coverage": "business_hours",
                "site_id": self.site["id"], "required_certifications": [CERT],
                "technicians": [{"user_id": t["id"]} for t in self.techs],
                "lines": [
                    {"kind": "equipment", "product_id": self.switch["id"], "quantity": 2,
                     "discount_bp": 1000, "install": True},
                    {"kind": "equipment", "product_id": self.ap["id"], "quantity": 3,
                     "install": True},
                    {"kind": "labor", "work_type_id": self.labour["id"], "quantity": 6},
                    {"kind": "labor", "work_type_id": self.labour["id"], "quantity": 2.5,
                     "description": "Configuration"},
                ]}
        body.update(fields)
        return self.create("quotes", body)

    def act(self, q, name, body=None):
        _, headers, _ = self.admin.get("/api/v1/quotes/%d" % q["id"])
        return self.assertStatus(self.admin.post("/api/v1/quotes/%d/%s" % (q["id"], name), body,
                                                 headers={"If-Match": headers["etag"]}), 200)

    def send(self, q):
        return self.act(q, "send")["public_url"].rsplit("/", 1)[1]

    def test_terms_in_words(self):
        q = self.quote()
        self.assertEqual(q["coverage_text"], "Mon\u2013Fri 08:00\u201318:00 (UTC)")
        self.assertEqual(q["response_text"], "within 4 working hours")
        # the technician without a current certification is not mentioned
        self.assertIn("Ana Certified: " + CERT, q["qualifications"])
        self.assertNotIn("Bo Uncertified", q["qualifications"])
        self.assertNotIn("no current certifications", q["qualifications"])
        around = self.quote(coverage="24x7", response_time_minutes=60)
        self.assertEqual((around["coverage_text"], around["response_text"]),
                         ("around the clock", "within 1 hour"))
        token = self.send(q)
        page = self.assertStatus(Client(self.server.port).get("/api/v1/public/quotes/" + token),
                                 200)["quote"]
        self.assertEqual(page["coverage_text"], "Mon\u2013Fri 08:00\u201318:00 (UTC)")
        self.assertEqual(page["response_text"], "within 4 working hours")
        self.assertEqual(page["required_certifications"], [CERT])
        self.assertNotIn("technicians", page)
        # a revision keeps the site and the certifications
        _, headers, _ = self.admin.get("/api/v1/quotes/%d" % q["id"])
        rev = self.assertStatus(self.admin.post("/api/v1/quotes/%d/revise" % q["id"], None,
                                                headers={"If-Match": headers["etag"]}), 201)
        self.assertEqual((rev["site_id"], rev["required_certifications"], rev["coverage_text"]),
                         (self.site["id"], [CERT], q["coverage_text"]))
        # only a technician without one: nothing is said
        alone = self.quote(technicians=[{"user_id": self.techs[1]["id"]}])
        self.assertIsNone(alone["qualifications"])
        # a quote written before: the client's copy leaves the line out
        older = self.quote(qualifications="Ana Certified: CCNA\nBo Uncertified: no current "
                                          "certifications")
        page = self.assertStatus(Client(self.server.port).get(
            "/api/v1/public/quotes/" + self.send(older)), 200)["quote"]
        self.assertEqual(page["qualifications"], "Ana Certified: CCNA")
        status, _, pdf = Client(self.server.port).request(
            "GET", "/api/v1/public/quotes/%s/pdf" % token)
        self.assertEqual(status, 200)
        if shutil.which("pdftotext"):
            with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
                f.write(pdf)
                f.flush()
                text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True,
                                      text=True, check=True).stdout
            flat = " ".join(text.split())
            self.assertIn("within 4 working hours", flat)
            self.assertIn("Mon\u2013Fri 08:00\u201318:00", flat)
            self.assertIn(CERT, flat)
            self.assertNotIn("no current certifications", flat)

    def test_acceptance_does_what_the_quote_said(self):
        opp = self.create("opportunities", {"company_id": self.company["id"],
                                            "title": "Office network", "estimated_value": 1000})
        q = self.quote(opportunity_id=opp["id"])
        token = self.send(q)
        self.assertStatus(Client(self.server.port).post(
            "/api/v1/public/quotes/%s/accept" % token, {"name": "Cy Client"}), 200)
        accepted = self.get("quotes/%d" % q["id"])
        # the deal is worth what was accepted
        won = self.get("opportunities/%d" % opp["id"])
        self.assertEqual((won["stage"], won["estimated_value"]), ("won", q["total"]))
        orders = self.get("tickets?quote_id=%d&sort=created_at" % q["id"])["data"]
        # one installation order per line to install; the labour is planned on them
        self.assertEqual([o["subject"] for o in orders],
                         ["Install: Switch 24p", "Install: Access point"])
        # 8.5 h shared out: 255 min each
        self.assertEqual([o["planned_minutes"] for o in orders], [255, 255])
        for o in orders:
            self.assertEqual(o["kind"], "installation")
            self.assertEqual(o["site_id"], self.site["id"])
            self.assertEqual(o["required_certifications"], [CERT])
            self.assertEqual(o["contract_id"], accepted["contract_id"])
            # the certified technician; the other one lacks the certification
            self.assertEqual((o["assignee_id"], o["status"]), (self.techs[0]["id"], "assigned"))
            self.assertIn("Configuration", o["description"])
        # the equipment as parts, at the price quoted
        parts = self.get("tickets/%d/parts" % orders[0]["id"])["data"]
        self.assertEqual([(p["product_id"], p["quantity"], p["unit_price"], p["unit_cost"])
                          for p in parts], [(self.switch["id"], 2, 11250, 9000)])
        parts = self.get("tickets/%d/parts" % orders[1]["id"])["data"]
        self.assertEqual([(p["product_id"], p["quantity"], p["unit_price"]) for p in parts],
                         [(self.ap["id"], 3, 7000)])
        # a proposed visit each: the next morning, then after the first
        visits = self.get("appointments?user_id=%d&sort=starts_at" % self.techs[0]["id"])["data"]
        visits = [v for v in visits if v["ticket_id"] in {o["id"] for o in orders}]
        self.assertEqual([(v["status"], v["starts_at"], v["ends_at"], v["site_id"])
                          for v in visits],
                         [("proposed", "2026-12-09T08:00:00Z", "2026-12-09T12:15:00Z",
                           self.site["id"]),
                          ("proposed", "2026-12-09T12:15:00Z", "2026-12-09T16:30:00Z",
                           self.site["id"])])
        # dispatch holds the order to the certification
        cands = self.get("tickets/%d/candidates" % orders[0]["id"])["candidates"]
        eligible = {c["user_id"]: c["eligible"] for c in cands}
        self.assertTrue(eligible[self.techs[0]["id"]])
        self.assertFalse(eligible[self.techs[1]["id"]])
        # the SLA of the promise: response and resolution, on the business hours
        contract = self.get("contracts/%d" % accepted["contract_id"])
        policy = self.get("sla-policies/%d" % contract["sla_policy_id"])
        self.assertEqual(policy["calendar_id"], self.calendar["id"])
        self.assertEqual({(t["response_minutes"], t["resolution_minutes"])
                          for t in policy["targets"]}, {(240, 960)})
        self.assertEqual(len(policy["targets"]), 4)
        # the next quote with the same promise reuses it; another promise gets its own
        again = self.quote(lines=[{"kind": "labor", "work_type_id": self.labour["id"],
                                   "quantity": 1}])
        self.send(again)
        done = self.act(again, "accept", {"name": "Cy Client"})
        self.assertEqual(self.get("contracts/%d" % done["contract_id"])["sla_policy_id"],
                         policy["id"])
        faster = self.quote(response_time_minutes=120)
        self.send(faster)
        done = self.act(faster, "accept", {"name": "Cy Client"})
        other = self.get("sla-policies/%d" % self.get(
            "contracts/%d" % done["contract_id"])["sla_policy_id"])
        self.assertNotEqual(other["id"], policy["id"])
        self.assertEqual(other["name"], "Respond within 2 working hours, Business hours")
        self.assertEqual({(t["response_minutes"], t["resolution_minutes"])
                          for t in other["targets"]}, {(120, 480)})
        # labour alone: an order of its own, planned, assigned, with a visit
        lone = self.get("tickets?quote_id=%d" % again["id"])["data"]
        self.assertEqual([(o["planned_minutes"], o["assignee_id"]) for o in lone],
                         [(60, self.techs[0]["id"])])

    def test_nobody_qualified_waits_for_dispatch(self):
        q = self.quote(technicians=[{"user_id": self.techs[1]["id"]}])
        self.send(q)
        self.act(q, "accept", {"name": "Cy Client"})
        orders = self.get("tickets?quote_id=%d" % q["id"])["data"]
        self.assertEqual(len(orders), 2)
        for o in orders:
            self.assertIsNone(o["assignee_id"])
            self.assertEqual(o["status"], "new")
            self.assertIn("dispatch chooses", o["description"])
            visits = self.get("appointments?ticket_id=%d" % o["id"])["data"]
            self.assertEqual(visits, [])

    def test_site_of_another_company(self):
        other = self.create("companies", {"name": unique("Other ")})
        site = self.create("sites", {"company_id": other["id"], "name": "Elsewhere"})
        self.assertProblem(self.admin.post("/api/v1/quotes", {
            "company_id": self.company["id"], "title": "x", "site_id": site["id"]}), 422,
            "site_id")
        self.assertProblem(self.admin.post("/api/v1/quotes", {
            "company_id": self.company["id"], "title": "x",
            "required_certifications": [""]}), 422, "required_certifications")
