"""
test_engine.py - what the resource engine declares and enforces, through HTTP:

  * field masks by role: a technician never reads, filters, sorts by or
    writes a price, a rate or an estimated value;
  * owner rows: a technician logs and edits only their own time;
  * actions as a table: the ticket actions (resolve, close, reopen) with
    their bodies, starting statuses, If-Match and Idempotency-Key;
  * same-company references, also when a record changes company;
  * trusted writes: what a domain writes for itself (an accepted quote's
    contract and service orders, a merge moving notes) is in the audit log
    under the person who caused it, and agrees with the rows;
  * the event outbox (GET /api/v1/events).

Runs on SQLite and PostgreSQL like every API test.
"""

import unittest

from harness import ServerTestCase, problem_fields, unique

TECH_PASSWORD = "Tech-Pass-For-Engine-Tests-7!"


class EngineCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech_email = unique("tech") + "@example.com"
        cls.server.add_user(cls.tech_email, "technician", TECH_PASSWORD)
        cls.tech = cls.server.client(cls.server.token_for(cls.tech_email))
        status, _, me = cls.tech.get("/api/v1/me")
        assert status == 200, me
        cls.tech_id = me["user"]["id"]
        status, _, me = cls.admin.get("/api/v1/me")
        cls.admin_id = me["user"]["id"]
        cls.company_id = cls.make(cls.admin, "companies", {"name": unique("Client ")})["id"]
        cls.other_id = cls.make(cls.admin, "companies", {"name": unique("Other ")})["id"]

    @staticmethod
    def make(client, path, body):
        status, _, rec = client.post("/api/v1/" + path, body)
        assert status == 201, (path, status, rec)
        return rec

    def create(self, path, body, client=None):
        return self.assertStatus((client or self.admin).post("/api/v1/" + path, body), 201,
                                 "create %s" % path)

    def etag(self, path, client=None):
        status, headers, body = (client or self.admin).get("/api/v1/" + path)
        self.assertEqual(status, 200, body)
        return headers["etag"]

    def act(self, path, body=None, client=None, expect=200, headers=None):
        c = client or self.admin
        h = {"If-Match": self.etag(path.rsplit("/", 1)[0], c)}
        h.update(headers or {})
        return self.assertStatus(c.post("/api/v1/" + path, body, headers=h), expect,
                                 "POST %s" % path)

    def ticket(self, **fields):
        body = {"subject": unique("Scanner stuck "), "company_id": self.company_id}
        body.update(fields)
        return self.create("tickets", body)


class TestFieldMasks(EngineCase):

    def setUp(self):
        self.product = self.create("products", {
            "sku": unique("SKU-"), "name": unique("Toner "), "kind": "equipment",
            "unit_cost": 4000, "unit_price": 6500})
        self.work_type = self.create("work-types", {"name": unique("Bench "),
                                                    "hourly_rate": 9000})

    def test_a_technician_never_sees_prices(self):
        p = self.assertStatus(self.tech.get("/api/v1/products/%d" % self.product["id"]), 200)
        for hidden in ("unit_cost", "unit_price", "markup_bp"):
            self.assertNotIn(hidden, p)
        self.assertEqual(p["sku"], self.product["sku"])
        page = self.assertStatus(self.tech.get("/api/v1/products?limit=200"), 200)
        for rec in page["data"]:
            self.assertNotIn("unit_price", rec)
        w = self.assertStatus(self.tech.get("/api/v1/work-types/%d" % self.work_type["id"]), 200)
        self.assertNotIn("hourly_rate", w)
        # the office still sees them
        p = self.assertStatus(self.admin.get("/api/v1/products/%d" % self.product["id"]), 200)
        self.assertEqual((p["unit_cost"], p["unit_price"], p["markup_bp"]), (4000, 6500, 6250))

    def test_nor_filters_or_sorts_by_them(self):
        self.assertProblem(self.tech.get("/api/v1/products?sort=unit_cost"), 400)
        self.assertProblem(self.tech.get("/api/v1/products?sort=-unit_price"), 400)
        self.assertProblem(self.tech.get("/api/v1/work-types?sort=hourly_rate"), 400)
        self.assertProblem(self.tech.get("/api/v1/opportunities?sort=estimated_value"), 400)
        self.assertStatus(self.admin.get("/api/v1/products?sort=unit_cost"), 200)

    def test_an_opportunity_keeps_its_value_from_technicians(self):
        opp = self.create("opportunities", {"company_id": self.company_id,
                                             "title": unique("Network refresh "),
                                             "estimated_value": 1200000})
        seen = self.assertStatus(self.tech.get("/api/v1/opportunities/%d" % opp["id"]), 200)
        self.assertNotIn("estimated_value", seen)
        self.assertEqual(seen["title"], opp["title"])

    def test_parts_price_themselves_for_a_technician(self):
        t = self.ticket()
        path = "tickets/%d/parts" % t["id"]
        # writing a price is refused, naming the field
        r = self.tech.post("/api/v1/" + path, {"product_id": self.product["id"],
                                               "unit_price": 1})
        self.assertProblem(r, 422, "unit_price")
        r = self.tech.post("/api/v1/" + path, {"product_id": self.product["id"],
                                               "unit_cost": 1})
        self.assertProblem(r, 422, "unit_cost")
        part = self.create(path, {"product_id": self.product["id"], "quantity": 2},
                           client=self.tech)
        self.assertNotIn("unit_price", part)
        self.assertNotIn("unit_cost", part)
        # the catalog's prices were taken all the same
        full = self.assertStatus(self.admin.get("/api/v1/%s/%d" % (path, part["id"])), 200)
        self.assertEqual((full["unit_cost"], full["unit_price"]), (4000, 6500))
        # a technician's patch of a price is refused too; the quantity is theirs
        etag = self.etag("%s/%d" % (path, part["id"]), self.tech)
        r = self.tech.patch("/api/v1/%s/%d" % (path, part["id"]), {"unit_price": 0},
                            headers={"If-Match": etag})
        self.assertProblem(r, 422, "unit_price")
        r = self.tech.patch("/api/v1/%s/%d" % (path, part["id"]), {"quantity": 3},
                            headers={"If-Match": etag})
        self.assertStatus(r, 200)


class TestOwnRows(EngineCase):

    def setUp(self):
        self.t = self.ticket()
        self.wt = self.create("work-types", {"name": unique("Remote "), "hourly_rate": 8000})

    def entry(self, client, **fields):
        body = {"ticket_id": self.t["id"], "work_type_id": self.wt["id"], "minutes": 30}
        body.update(fields)
        return client.post("/api/v1/time-entries", body)

    def test_a_technician_logs_only_their_own_time(self):
        mine = self.assertStatus(self.entry(self.tech), 201)
        self.assertEqual(mine["user_id"], self.tech_id)
        self.assertStatus(self.entry(self.tech, user_id=self.tech_id), 201)
        self.assertProblem(self.entry(self.tech, user_id=self.admin_id), 403, "user_id")

    def test_and_edits_only_their_own(self):
        theirs = self.assertStatus(self.entry(self.admin, user_id=self.admin_id), 201)
        path = "/api/v1/time-entries/%d" % theirs["id"]
        etag = self.etag(path[len("/api/v1/"):], self.tech)
        self.assertProblem(self.tech.patch(path, {"minutes": 45}, headers={"If-Match": etag}),
                           403, "user_id")
        mine = self.assertStatus(self.entry(self.tech), 201)
        mpath = "/api/v1/time-entries/%d" % mine["id"]
        etag = self.etag(mpath[len("/api/v1/"):], self.tech)
        # nor hand their own to someone else
        self.assertProblem(self.tech.patch(mpath, {"user_id": self.admin_id},
                                           headers={"If-Match": etag}), 403, "user_id")
        self.assertStatus(self.tech.patch(mpath, {"minutes": 45}, headers={"If-Match": etag}),
                          200)
        # a manager (here the admin) edits anyone's
        etag = self.etag(mpath[len("/api/v1/"):])
        self.assertStatus(self.admin.patch(mpath, {"minutes": 50}, headers={"If-Match": etag}),
                          200)


class TestTicketActions(EngineCase):

    def test_resolve_close_reopen(self):
        t = self.ticket()
        path = "tickets/%d" % t["id"]
        # a body is required, and its fields are checked like any record's
        r = self.admin.post("/api/v1/%s/resolve" % path, headers={"If-Match": self.etag(path)})
        self.assertProblem(r, 400)
        r = self.admin.post("/api/v1/%s/resolve" % path, {"resolution": "", "x": 1},
                            headers={"If-Match": self.etag(path)})
        body = self.assertProblem(r, 422)
        self.assertEqual(sorted(problem_fields(body)), ["resolution", "x"])
        # If-Match, as for any change
        self.assertProblem(self.admin.post("/api/v1/%s/resolve" % path,
                                           {"resolution": "Reseated the tray"}), 428)
        self.assertProblem(self.admin.post("/api/v1/%s/resolve" % path,
                                           {"resolution": "Reseated the tray"},
                                           headers={"If-Match": '"999"'}), 412)
        done = self.act(path + "/resolve", {"resolution": "Reseated the tray"})
        self.assertEqual((done["status"], done["resolution"]), ("resolved", "Reseated the tray"))
        self.assertIsNotNone(done["resolved_at"])
        # only from an open status
        self.assertProblem(self.admin.post("/api/v1/%s/resolve" % path, {"resolution": "again"},
                                           headers={"If-Match": self.etag(path)}), 409, "status")
        # close takes no body
        self.assertProblem(self.admin.post("/api/v1/%s/close" % path, {"why": 1},
                                           headers={"If-Match": self.etag(path)}), 422)
        closed = self.act(path + "/close")
        self.assertEqual(closed["status"], "closed")
        self.assertIsNotNone(closed["closed_at"])
        back = self.act(path + "/reopen", {"reason": "Jams again after an hour"})
        self.assertEqual(back["status"], "in_progress")
        self.assertIsNone(back["resolved_at"])
        history = self.assertStatus(self.admin.get("/api/v1/%s/history?kind=reopen" % path), 200)
        self.assertEqual(len(history["data"]), 1)
        self.assertIn("Jams again", history["data"][0]["detail"])
        # an open ticket cannot be closed by the action
        self.assertProblem(self.admin.post("/api/v1/%s/close" % path,
                                           headers={"If-Match": self.etag(path)}), 409, "status")

    def test_an_action_is_idempotent_with_a_key(self):
        t = self.ticket()
        path = "tickets/%d" % t["id"]
        h = {"If-Match": self.etag(path), "Idempotency-Key": unique("esc-")}
        body = {"to": "tier", "reason": "Needs the network team"}
        first = self.assertStatus(self.admin.post("/api/v1/%s/escalate" % path, body,
                                                  headers=h), 200)
        again = self.admin.post("/api/v1/%s/escalate" % path, body, headers=h)
        self.assertEqual(self.assertStatus(again, 200), first)
        self.assertEqual(again[1].get("idempotent-replayed"), "true")
        self.assertEqual(first["tier"], 2)

    def test_a_billing_user_has_no_ticket_actions(self):
        billing_email = unique("bill") + "@example.com"
        self.server.add_user(billing_email, "billing", TECH_PASSWORD)
        billing = self.server.client(self.server.token_for(billing_email))
        t = self.ticket()
        r = billing.post("/api/v1/tickets/%d/resolve" % t["id"], {"resolution": "x"},
                         headers={"If-Match": '"1"'})
        self.assertProblem(r, 403)


class TestSameCompany(EngineCase):

    def test_references_belong_to_the_records_company(self):
        theirs = self.create("contacts", {"company_id": self.other_id, "first_name": "Ola",
                                          "last_name": unique("Nordmann")})
        site = self.create("sites", {"company_id": self.other_id, "name": unique("Depot ")})
        r = self.admin.post("/api/v1/tickets", {"subject": "x", "company_id": self.company_id,
                                                "contact_id": theirs["id"],
                                                "site_id": site["id"]})
        body = self.assertProblem(r, 422)
        self.assertEqual(sorted(problem_fields(body)), ["contact_id", "site_id"])
        r = self.admin.post("/api/v1/recurring-tickets", {
            "name": unique("Checks "), "rrule": "FREQ=MONTHLY", "starts_local": "2027-01-04T09:00",
            "timezone": "UTC", "subject": "Check", "company_id": self.company_id,
            "site_id": site["id"]})
        self.assertProblem(r, 422, "site_id")
        asset = self.admin.post("/api/v1/assets", {"company_id": self.company_id,
                                                   "name": "PC", "kind": "workstation",
                                                   "site_id": site["id"]})
        self.assertProblem(asset, 422, "site_id")

    def test_a_record_that_changes_company_takes_no_contact_along(self):
        mine = self.create("contacts", {"company_id": self.company_id, "first_name": "Kari",
                                        "last_name": unique("Nordmann")})
        t = self.ticket(contact_id=mine["id"])
        path = "tickets/%d" % t["id"]
        r = self.admin.patch("/api/v1/" + path, {"company_id": self.other_id},
                             headers={"If-Match": self.etag(path)})
        self.assertProblem(r, 422, "contact_id")
        moved = self.assertStatus(self.admin.patch("/api/v1/" + path,
                                                   {"company_id": self.other_id,
                                                    "contact_id": None},
                                                   headers={"If-Match": self.etag(path)}), 200)
        self.assertEqual(moved["company_id"], self.other_id)


class TestTrustedWrites(EngineCase):

    def audit(self, query):
        return self.assertStatus(self.admin.get("/api/v1/audit?" + query), 200)["data"]

    def test_an_accepted_quotes_records_are_audited_under_who_accepted(self):
        wt = self.create("work-types", {"name": unique("Install "), "hourly_rate": 10000})
        q = self.create("quotes", {"company_id": self.company_id, "title": unique("Wi-Fi "),
                                   "lines": [{"kind": "labor", "work_type_id": wt["id"],
                                              "quantity": 4}]})
        self.act("quotes/%d/send" % q["id"])
        accepted = self.assertStatus(self.admin.post("/api/v1/quotes/%d/accept" % q["id"],
                                                     {"name": "Pat Client"}), 200)
        contract = self.assertStatus(self.admin.get("/api/v1/contracts/%d"
                                                    % accepted["contract_id"]), 200)
        self.assertEqual(contract["quote_id"], q["id"])
        made = self.audit("resource=contracts&record_id=%d" % contract["id"])
        self.assertEqual([e["action"] for e in made], ["create"])
        # the audit's record is the row: the quote it came from is in it
        self.assertEqual(made[0]["after"]["quote_id"], q["id"])
        self.assertEqual(made[0]["actor_id"], self.admin_id)
        orders = self.assertStatus(self.admin.get("/api/v1/tickets?quote_id=%d" % q["id"]), 200)
        self.assertEqual(len(orders["data"]), 1)
        order = orders["data"][0]
        created = self.audit("resource=tickets&action=create&record_id=%d" % order["id"])
        self.assertEqual(created[0]["after"]["quote_id"], q["id"])
        mine = self.audit("resource=quotes&action=accept&record_id=%d" % q["id"])
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["after"]["status"], "accepted")

    def test_a_merge_moves_the_notes_on_the_record(self):
        a, b = self.ticket(), self.ticket()
        note = self.create("tickets/%d/notes" % a["id"], {"body": unique("Seen before ")})
        self.act("tickets/%d/merge" % a["id"], {"into_id": b["id"]})
        moved = self.assertStatus(self.admin.get("/api/v1/tickets/%d/notes/%d"
                                                 % (b["id"], note["id"])), 200)
        self.assertEqual(moved["ticket_id"], b["id"])
        log = self.audit("resource=notes&record_id=%d" % note["id"])
        changes = [(e["action"], e["before"] and e["before"]["ticket_id"],
                    e["after"]["ticket_id"]) for e in reversed(log)]
        self.assertEqual(changes, [("create", None, a["id"]), ("update", a["id"], b["id"])])
        # the merged ticket is found by the words of the notes it took
        found = self.assertStatus(self.admin.get("/api/v1/tickets?q=%s"
                                                 % note["body"].split()[-1]), 200)
        self.assertIn(b["id"], [t["id"] for t in found["data"]])


class TestEvents(EngineCase):

    def test_changes_are_events_in_order(self):
        t = self.ticket()
        path = "tickets/%d" % t["id"]
        self.act(path + "/escalate", {"to": "tier", "reason": "Hardware"})
        events = self.assertStatus(self.admin.get(
            "/api/v1/events?resource=tickets&record_id=%d&sort=id" % t["id"]), 200)["data"]
        self.assertEqual([e["type"] for e in events], ["ticket.created", "ticket.escalated"])
        last = events[-1]
        self.assertEqual(last["data"]["status"], "escalated")
        self.assertEqual(last["actor_id"], self.admin_id)
        one = self.assertStatus(self.admin.get("/api/v1/events/%d" % last["id"]), 200)
        self.assertEqual(one, last)
        self.assertProblem(self.tech.get("/api/v1/events"), 403)


if __name__ == "__main__":
    unittest.main()
