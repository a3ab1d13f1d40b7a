"""
test_billing.py - getting paid, through HTTP, on SQLite and PostgreSQL:

  * invoice runs under each contract kind: time & materials (rounding,
    minimums, rate overrides), managed services (a prorated fee, covered
    work shown, uncovered work billed), block hours (drawn in the order
    worked, the entry that half fits split, overage); a dry run returns
    exactly what the real run makes; running again bills nothing twice,
    also when two runs race;
  * the invoice's life: drafts with manual lines (removing a planned line
    frees its work), issue with gapless numbers (also when issued at
    once), immutability, payments (partial, overpayment refused), paid,
    void (the number kept, the work billable again), credit notes;
  * time worth billing: approval, time not on a ticket, cost rates;
  * contracts: rates, additions per device, renewal with rollover, the
    block balance and its warnings, the contract chosen for a new ticket;
  * the reports, and the bad input a real client sends.
"""

import json
import threading
import time
import unittest

from harness import ServerTestCase, needs_test_build, problem_fields, unique

TECH_PASSWORD = "Tech-Pass-For-Billing-Tests-3!"
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


class BillingCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech_email = unique("tech") + "@example.com"
        cls.server.add_user(cls.tech_email, "technician", TECH_PASSWORD)
        cls.tech = cls.server.client(cls.server.token_for(cls.tech_email))
        cls.tech_id = cls.tech.get("/api/v1/me")[2]["user"]["id"]
        cls.billing_email = unique("billing") + "@example.com"
        cls.server.add_user(cls.billing_email, "billing", TECH_PASSWORD)
        cls.billing = cls.server.client(cls.server.token_for(cls.billing_email))
        # the firm bills in quarter hours, no minimum, labour untaxed, 10 % tax
        status, headers, _ = cls.admin.get("/api/v1/settings")
        status, _, body = cls.admin.patch("/api/v1/settings", {
            "billing_increment_minutes": 15, "minimum_minutes": 0, "labor_taxable": False,
            "tax_rate_bp": 1000, "payment_terms_days": 30, "currency": "USD"},
            headers={"If-Match": headers["etag"]})
        assert status == 200, body

    def create(self, path, body, client=None, expect=201):
        return self.assertStatus((client or self.admin).post("/api/v1/" + path, body), expect,
                                 "create %s %r" % (path, body))

    def get(self, path, client=None):
        return self.assertStatus((client or self.admin).get("/api/v1/" + path), 200, path)

    def act(self, path, body=None, client=None, expect=200):
        c = client or self.admin
        record = path.rsplit("/", 1)[0]
        status, headers, _ = c.get("/api/v1/" + record)
        h = {"If-Match": headers["etag"]} if status == 200 else {}
        resp = c.post("/api/v1/" + path, body, headers=h)
        if expect is None:
            return resp
        return self.assertStatus(resp, expect, "POST %s" % path)

    def company(self, **fields):
        body = {"name": unique("Client ")}
        body.update(fields)
        return self.create("companies", body)

    def work_type(self, rate, **fields):
        body = {"name": unique("Work "), "hourly_rate": rate}
        body.update(fields)
        return self.create("work-types", body)

    def ticket(self, company, **fields):
        body = {"subject": unique("Job "), "company_id": company["id"]}
        body.update(fields)
        return self.create("tickets", body)

    def entry(self, ticket, work_type, minutes, started_at, client=None, **fields):
        body = {"ticket_id": ticket["id"], "work_type_id": work_type["id"],
                "minutes": minutes, "started_at": started_at}
        body.update(fields)
        return self.create("time-entries", body, client=client)

    def invoice_run(self, company=None, dry_run=False, expect=None, **period):
        body = dict(PERIOD, dry_run=dry_run)
        body.update(period)
        if company:
            body["company_id"] = company["id"]
        return self.assertStatus(self.admin.post("/api/v1/invoice-runs", body),
                                 expect or (200 if dry_run else 201), "run %r" % body)

    @staticmethod
    def lines(invoice, rule=None):
        return [l for l in invoice["lines"] if rule is None or l["rule"] == rule]


class TestTimeAndMaterials(BillingCase):

    def test_a_month_billed_issued_and_paid(self):
        c = self.company()
        remote = self.work_type(12000)
        t = self.ticket(c)
        self.entry(t, remote, 45, "2026-11-03T09:00:00Z")
        self.entry(t, remote, 50, "2026-11-04T09:00:00Z")
        self.entry(t, remote, 30, "2026-12-01T09:00:00Z")  # next month: not this run's
        dry = self.invoice_run(c, dry_run=True)
        self.assertEqual(len(dry["invoices"]), 1)
        inv = dry["invoices"][0]
        self.assertIsNone(inv["number"])
        lines = self.lines(inv, "time")
        self.assertEqual([l["billed_minutes"] for l in lines], [45, 60])
        # 45 min at 120.00/h = 90.00; 50 min billed 1:00 = 120.00
        self.assertEqual([l["amount"] for l in lines], [9000, 12000])
        self.assertIn("45 min", lines[0]["explanation"])
        self.assertIn("120.00", lines[0]["explanation"])
        self.assertEqual(inv["total"], 21000)  # labour untaxed
        for line in lines:
            self.assertEqual([s["type"] for s in line["sources"]], ["time_entry"])
        # the real run makes exactly the dry run's invoices
        real = self.invoice_run(c)
        self.assertEqual(len(real["invoices"]), 1)
        made = real["invoices"][0]
        for member in ("company_id", "currency", "tax_rate_bp", "subtotal", "tax", "total",
                       "lines", "period_from", "period_to"):
            self.assertEqual(made[member], inv[member], member)
        self.assertEqual(made["status"], "draft")
        self.assertEqual(made["run_id"], real["run"]["id"])
        # again: nothing left to bill
        self.assertEqual(self.invoice_run(c)["invoices"], [])
        # what it billed is on it
        billed = self.get("time-entries?invoice_id=%d" % made["id"])["data"]
        self.assertEqual(len(billed), 2)
        # issue: the number, the dates; then nothing changes
        issued = self.act("invoices/%d/issue" % made["id"])
        self.assertRegex(issued["number"], r"^INV-\d{6}$")
        self.assertEqual(issued["status"], "issued")
        self.assertEqual(issued["due_on"] > issued["issued_on"], True)
        self.assertProblem(self.act("invoices/%d/issue" % made["id"], expect=None), 409)
        # its document: every line's explanation on it
        status, headers, pdf = self.admin.get("/api/v1/invoices/%d.pdf" % made["id"])
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/pdf")
        self.assertIn(issued["number"], headers["content-disposition"])
        self.assertProblem(self.admin.get("/api/v1/invoices/99999999.pdf"), 404)
        self.assertProblem(self.tech.get("/api/v1/invoices/%d.pdf" % made["id"]), 403)
        etag = self.admin.get("/api/v1/invoices/%d" % made["id"])[1]["etag"]
        self.assertProblem(self.admin.patch("/api/v1/invoices/%d" % made["id"],
                                            {"notes": "changed"}, headers={"If-Match": etag}),
                           409, "status")
        e = billed[0]
        etag = self.admin.get("/api/v1/time-entries/%d" % e["id"])[1]["etag"]
        self.assertProblem(self.admin.patch("/api/v1/time-entries/%d" % e["id"],
                                            {"minutes": 5}, headers={"If-Match": etag}),
                           409, "invoice_id")
        self.assertProblem(self.admin.delete("/api/v1/invoices/%d" % made["id"],
                                             headers={"If-Match": etag}), 409)
        # payments: partial, then the rest; an overpayment and a negative one are refused
        pay = "invoices/%d/payments" % made["id"]
        self.assertProblem(self.admin.post("/api/v1/" + pay, {"amount": -5,
                                                              "received_on": "2026-12-02"}),
                           422, "amount")
        self.assertProblem(self.admin.post("/api/v1/" + pay, {"amount": 21001,
                                                              "received_on": "2026-12-02"}),
                           422, "amount")
        self.create(pay, {"amount": 1000, "received_on": "2026-12-02", "method": "card"})
        part = self.get("invoices/%d" % made["id"])
        self.assertEqual((part["paid"], part["balance"], part["status"]),
                         (1000, 20000, "issued"))
        self.create(pay, {"amount": 20000, "received_on": "2026-12-05",
                          "reference": "wire 4711"}, client=self.billing)
        paid = self.get("invoices/%d" % made["id"])
        self.assertEqual((paid["balance"], paid["status"], paid["paid_on"]),
                         (0, "paid", "2026-12-05"))
        # a technician sees no invoices
        self.assertProblem(self.tech.get("/api/v1/invoices/%d" % made["id"]), 403)

    def test_rounding_minimums_and_rate_overrides(self):
        c = self.company()
        onsite = self.work_type(10000)
        contract = self.create("contracts", {
            "company_id": c["id"], "name": "T&M", "kind": "time_materials",
            "starts_on": "2026-01-01", "billing_increment_minutes": 30, "minimum_minutes": 60,
            "rates": [{"work_type_id": onsite["id"], "hourly_rate": 8000}]})
        t = self.ticket(c, contract_id=contract["id"])
        self.entry(t, onsite, 10, "2026-11-05T08:00:00Z")   # the minimum: 1:00
        self.entry(t, onsite, 61, "2026-11-05T10:00:00Z")   # 30-min steps: 1:30
        inv = self.invoice_run(c, dry_run=True)["invoices"][0]
        lines = self.lines(inv, "time")
        self.assertEqual([l["billed_minutes"] for l in lines], [60, 90])
        self.assertEqual([l["amount"] for l in lines], [8000, 12000])  # the override, 80.00/h
        self.assertIn("1:00 minimum", lines[0]["explanation"])
        self.assertEqual([l["contract_id"] for l in lines], [contract["id"]] * 2)

    def test_parts_are_billed_and_taxed(self):
        c = self.company(tax_rate_bp=2000)
        p = self.create("products", {"sku": unique("P-"), "name": "Switch", "kind": "equipment",
                                     "unit_price": 15000, "unit_cost": 9000})
        t = self.ticket(c)
        self.create("tickets/%d/parts" % t["id"], {"product_id": p["id"], "quantity": 2})
        self.assertProblem(self.admin.post("/api/v1/invoice-runs", {
            "from": "2000-01-01", "to": "2099-12-31"}), 422, "to")  # over a year
        today = self.server.clock()["now"][:10]
        inv = self.invoice_run(c, dry_run=True, **{"from": today, "to": today})["invoices"][0]
        parts = self.lines(inv, "part")
        self.assertEqual(parts[0]["amount"], 30000)
        self.assertEqual(inv["tax_rate_bp"], 2000)  # the company's, not the firm's
        self.assertEqual((inv["tax"], inv["total"]), (6000, 36000))


class TestManagedAndBlock(BillingCase):

    def test_a_managed_contract_starting_mid_month(self):
        c = self.company()
        covered = self.work_type(9000)
        other = self.work_type(15000)
        contract = self.create("contracts", {
            "company_id": c["id"], "name": "Managed", "kind": "managed",
            "starts_on": "2026-11-16", "monthly_fee": 300000,
            "covered_work_type_ids": [covered["id"]]})
        t = self.ticket(c, contract_id=contract["id"])
        self.entry(t, covered, 120, "2026-11-20T09:00:00Z")
        self.entry(t, other, 60, "2026-11-21T09:00:00Z")
        inv = self.invoice_run(c, dry_run=True)["invoices"][0]
        fee = self.lines(inv, "managed_fee")
        self.assertEqual(len(fee), 1)
        # 15 of 30 days of November: 150,000
        self.assertEqual(fee[0]["amount"], 150000)
        self.assertIn("15 of 30 days", fee[0]["explanation"])
        # the covered time is shown, not billed
        self.assertIn("2:00", fee[0]["explanation"])
        self.assertIn({"type": "contract", "id": contract["id"]}, fee[0]["sources"])
        time = self.lines(inv, "time")
        self.assertEqual([l["amount"] for l in time], [15000])
        # December's fee is billed by December's run, once
        real = self.invoice_run(c, **{"from": "2026-12-01", "to": "2026-12-31"})
        dec = self.lines(real["invoices"][0], "managed_fee")
        self.assertEqual([l["amount"] for l in dec], [300000])
        again = self.invoice_run(c, dry_run=True, **{"from": "2026-12-01", "to": "2026-12-31"})
        self.assertEqual(again["invoices"], [])

    def test_a_block_drawn_in_the_order_worked(self):
        c = self.company()
        wt = self.work_type(12000)
        contract = self.create("contracts", {
            "company_id": c["id"], "name": "10 hours", "kind": "block_hours",
            "starts_on": "2026-11-01", "block_minutes": 600, "block_price": 100000,
            "overage_rate": 15000})
        t = self.ticket(c, contract_id=contract["id"])
        self.entry(t, wt, 300, "2026-11-02T08:00:00Z")
        self.entry(t, wt, 232, "2026-11-03T08:00:00Z")  # billed 3:60, in quarter hours
        self.entry(t, wt, 90, "2026-11-04T08:00:00Z")  # 60 fit, 30 over
        balance = self.get("contracts/%d/balance" % contract["id"])
        self.assertEqual((balance["block_minutes"], balance["used_minutes"],
                          balance["remaining_minutes"], balance["overage_minutes"]),
                         (600, 630, 0, 30))
        self.assertEqual([e["drawn_minutes"] for e in balance["entries"]], [300, 240, 60])
        inv = self.invoice_run(c)["invoices"][0]
        self.assertEqual([l["amount"] for l in self.lines(inv, "block_purchase")], [100000])
        draws = self.lines(inv, "block_draw")
        self.assertEqual([l["billed_minutes"] for l in draws], [300, 240, 60])
        self.assertEqual({l["amount"] for l in draws}, {0})
        over = self.lines(inv, "block_overage")
        self.assertEqual([(l["billed_minutes"], l["amount"]) for l in over], [(30, 7500)])
        # the split entry is the source of both its lines
        self.assertEqual(draws[-1]["sources"], over[0]["sources"])
        self.assertEqual(inv["total"], 100000 + 7500)
        # dropping the overage (a write-off) keeps the entry billed by its drawn half,
        # and dropping the block purchase keeps the block bought: nothing bills twice
        path = "/api/v1/invoices/%d" % inv["id"]
        kept = [{"id": l["id"]} for l in inv["lines"]
                if l["rule"] not in ("block_overage", "block_purchase")]
        etag = self.admin.get(path)[1]["etag"]
        edited = self.assertStatus(self.admin.patch(path, {"lines": kept},
                                                    headers={"If-Match": etag}), 200)
        self.assertEqual(edited["total"], 0)
        split = over[0]["sources"][0]["id"]
        self.assertEqual(self.get("time-entries/%d" % split)["invoice_id"], inv["id"])
        again = self.invoice_run(c)["invoices"]
        self.assertEqual([l["rule"] for i in again for l in i["lines"]], ["block_purchase"])
        etag = self.admin.get(path)[1]["etag"]
        self.assertStatus(self.admin.delete(path, headers={"If-Match": etag}), 200)
        self.admin.delete("/api/v1/invoices/%d" % again[0]["id"], headers={
            "If-Match": self.admin.get("/api/v1/invoices/%d" % again[0]["id"])[1]["etag"]})
        inv = self.invoice_run(c)["invoices"][0]
        self.assertEqual(inv["total"], 100000 + 7500)
        # the block is bought once
        self.entry(t, wt, 15, "2026-11-20T08:00:00Z")
        inv2 = self.invoice_run(c)["invoices"][0]
        self.assertEqual(self.lines(inv2, "block_purchase"), [])
        self.assertEqual([l["amount"] for l in self.lines(inv2, "block_overage")], [3750])
        # a technician sees the hours left, never a price
        seen = self.get("contracts/%d/balance" % contract["id"], client=self.tech)
        self.assertEqual(seen["remaining_minutes"], 0)

    def test_block_warnings_once_each(self):
        c = self.company()
        wt = self.work_type(12000)
        contract = self.create("contracts", {
            "company_id": c["id"], "name": "5 hours", "kind": "block_hours",
            "starts_on": "2026-01-01", "block_minutes": 300, "block_price": 50000})
        t = self.ticket(c, contract_id=contract["id"])
        self.entry(t, wt, 250, "2026-11-02T08:00:00Z")
        for _ in range(2):
            r = self.server.run_cli("worker", "--run", "service-desk")
            self.assertEqual(r.returncode, 0, r.stderr)
        events = self.get("events?resource=contracts&record_id=%d&sort=id" % contract["id"])
        types = [e["type"] for e in events["data"]]
        self.assertEqual(types.count("contract.block_80_percent"), 1)
        self.assertNotIn("contract.block_used_up", types)
        self.entry(t, wt, 60, "2026-11-03T08:00:00Z")
        r = self.server.run_cli("worker", "--run", "service-desk")
        self.assertEqual(r.returncode, 0, r.stderr)
        events = self.get("events?resource=contracts&record_id=%d&sort=id" % contract["id"])
        types = [e["type"] for e in events["data"]]
        self.assertEqual(types.count("contract.block_used_up"), 1)

    def test_renewal_carries_the_unused_block(self):
        c = self.company()
        wt = self.work_type(12000)
        contract = self.create("contracts", {
            "company_id": c["id"], "name": "Yearly block", "kind": "block_hours",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "block_minutes": 600,
            "block_price": 100000, "rollover": True})
        t = self.ticket(c, contract_id=contract["id"])
        self.entry(t, wt, 90, "2026-11-02T08:00:00Z")
        new = self.act("contracts/%d/renew" % contract["id"], expect=201)
        self.assertEqual((new["starts_on"], new["ends_on"]), ("2027-01-01", "2027-12-31"))
        self.assertEqual(new["carried_minutes"], 510)
        self.assertEqual(new["renewed_from_id"], contract["id"])
        old = self.get("contracts/%d" % contract["id"])
        self.assertEqual(old["renewed_by_id"], new["id"])
        self.assertProblem(self.act("contracts/%d/renew" % contract["id"], expect=None), 409)
        self.assertEqual(self.get("contracts/%d/balance" % new["id"])["block_minutes"], 1110)

    def test_additions_per_device(self):
        c = self.company()
        for name in ("PC-01", "PC-02", "PC-03"):
            self.create("assets", {"company_id": c["id"], "name": name, "kind": "workstation"})
        self.create("assets", {"company_id": c["id"], "name": "SRV", "kind": "server"})
        self.create("contracts", {
            "company_id": c["id"], "name": "Per device", "kind": "managed",
            "starts_on": "2026-11-01", "monthly_fee": 10000,
            "additions": [{"description": "Endpoint protection", "unit_price": 500,
                           "asset_kind": "workstation"},
                          {"description": "Backup", "unit_price": 2500, "quantity": 2}]})
        inv = self.invoice_run(c, dry_run=True)["invoices"][0]
        adds = self.lines(inv, "addition")
        self.assertEqual(sorted((l["quantity"], l["amount"]) for l in adds), [(2, 5000), (3, 1500)])
        per_device = [l for l in adds if l["quantity"] == 3][0]
        for name in ("PC-01", "PC-02", "PC-03"):
            self.assertIn(name, per_device["explanation"])
        self.assertEqual(len([s for s in per_device["sources"] if s["type"] == "asset"]), 3)

    def test_a_new_ticket_takes_the_only_active_contract(self):
        c = self.company()
        one = self.create("contracts", {"company_id": c["id"], "name": "Only",
                                        "kind": "time_materials", "starts_on": "2026-01-01"})
        self.assertEqual(self.ticket(c)["contract_id"], one["id"])
        self.create("contracts", {"company_id": c["id"], "name": "Second",
                                  "kind": "time_materials", "starts_on": "2026-01-01"})
        self.assertIsNone(self.ticket(c)["contract_id"])


class TestInvoiceLife(BillingCase):

    def drafted(self):
        c = self.company()
        wt = self.work_type(6000)
        t = self.ticket(c)
        entries = [self.entry(t, wt, 60, "2026-11-%02dT09:00:00Z" % d) for d in (9, 10)]
        inv = self.invoice_run(c)["invoices"][0]
        return c, wt, t, entries, inv

    def test_drafts_take_manual_lines_and_free_what_they_drop(self):
        c, wt, t, entries, inv = self.drafted()
        path = "invoices/%d" % inv["id"]
        keep = [{"id": l["id"]} for l in inv["lines"]][1:]  # drop the first planned line
        etag = self.admin.get("/api/v1/" + path)[1]["etag"]
        edited = self.assertStatus(self.admin.patch("/api/v1/" + path, {"lines": keep + [
            {"description": "Travel flat rate", "unit_price": 2500, "quantity": 2,
             "taxable": False}]}, headers={"If-Match": etag}), 200)
        rules = [l["rule"] for l in edited["lines"]]
        self.assertEqual(rules, ["time", "manual"])
        self.assertEqual(edited["lines"][1]["amount"], 5000)
        self.assertEqual(edited["total"], 6000 + 5000)
        # the dropped line's entry is billable again
        freed = self.get("time-entries/%d" % entries[0]["id"])
        self.assertIsNone(freed["invoice_id"])
        again = self.invoice_run(c)["invoices"]
        self.assertEqual(len(again), 1)
        self.assertEqual(again[0]["lines"][0]["sources"],
                         [{"type": "time_entry", "id": entries[0]["id"]}])
        # a planned line is the run's: it changes only by going
        etag = self.admin.get("/api/v1/" + path)[1]["etag"]
        same = self.assertStatus(self.admin.patch("/api/v1/" + path, {"lines": [
            {"id": edited["lines"][0]["id"], "unit_price": 1}, edited["lines"][1]]},
            headers={"If-Match": etag}), 200)
        self.assertEqual(same["lines"][0]["amount"], 6000)
        # discarding a draft frees all it billed
        etag = self.admin.get("/api/v1/" + path)[1]["etag"]
        self.assertStatus(self.admin.delete("/api/v1/" + path, headers={"If-Match": etag}), 200)
        self.assertIsNone(self.get("time-entries/%d" % entries[1]["id"])["invoice_id"])

    def test_void_keeps_the_number_and_bills_the_work_again(self):
        c, wt, t, entries, inv = self.drafted()
        issued = self.act("invoices/%d/issue" % inv["id"])
        self.assertProblem(self.act("invoices/%d/void" % inv["id"], {}, expect=None), 422,
                           "reason")
        void = self.act("invoices/%d/void" % inv["id"], {"reason": "wrong client"})
        self.assertEqual((void["status"], void["number"]), ("void", issued["number"]))
        self.assertEqual(self.get("time-entries/%d" % entries[0]["id"])["invoice_id"], None)
        rebilled = self.invoice_run(c)["invoices"][0]
        self.assertEqual(len(self.lines(rebilled, "time")), 2)
        again = self.act("invoices/%d/issue" % rebilled["id"])
        self.assertNotEqual(again["number"], issued["number"])

    def test_credit_notes_correct_an_issued_invoice(self):
        c, wt, t, entries, inv = self.drafted()
        self.act("invoices/%d/issue" % inv["id"])
        made = self.admin.post("/api/v1/invoices/%d/credit" % inv["id"], {
            "amount": 2000, "taxable": False, "reason": "goodwill"})
        note = self.assertStatus(made, 201)
        self.assertRegex(note["number"], r"^CN-\d{6}$")
        self.assertEqual(made[1]["location"], "/api/v1/credit-notes/%d" % note["id"])
        after = self.get("invoices/%d" % inv["id"])
        self.assertEqual((after["credited"], after["balance"]), (2000, 12000 - 2000))
        self.assertProblem(self.admin.post("/api/v1/invoices/%d/credit" % inv["id"], {
            "amount": 999999, "reason": "too much"}), 409, "amount")
        self.assertProblem(self.act("invoices/%d/void" % inv["id"], {"reason": "x"},
                                    expect=None), 409)
        notes = self.get("credit-notes?invoice_id=%d" % inv["id"])["data"]
        self.assertEqual([n["id"] for n in notes], [note["id"]])

    def test_exports_for_the_accounting_products(self):
        import csv
        import io
        c, wt, t, entries, inv = self.drafted()
        # the bill-to address is the company's first site with an address
        self.create("sites", {"company_id": c["id"], "name": "Head office",
                              "address_line1": "12 Mill Lane", "city": "Springfield",
                              "region": "IL", "postal_code": "62701", "country": "US"})
        issued = self.act("invoices/%d/issue" % inv["id"])
        period = "from=%s&to=2099-01-01" % issued["issued_on"]
        status, headers, body = self.admin.request(
            "GET", "/api/v1/exports/invoices?format=qbo&" + period, raw=None)
        self.assertEqual(status, 200)
        self.assertIn("attachment", headers["content-disposition"])
        text = body if isinstance(body, str) else body.decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        mine = [r for r in rows if r["*InvoiceNo"] == issued["number"]]
        self.assertEqual(len(mine), 2)
        self.assertEqual({r["*ItemAmount"] for r in mine}, {"60.00"})
        self.assertEqual(mine[0]["*Customer"], c["name"].replace(":", "-"))
        status, _, body = self.admin.request(
            "GET", "/api/v1/exports/invoices?format=xero&" + period, raw=None)
        text = body if isinstance(body, str) else body.decode("utf-8")
        rows = [r for r in csv.DictReader(io.StringIO(text))
                if r["*InvoiceNumber"] == issued["number"]]
        self.assertEqual([r["*UnitAmount"] for r in rows], ["60.00", "60.00"])
        self.assertEqual((rows[0]["POAddressLine1"], rows[0]["POCity"], rows[0]["POPostalCode"]),
                         ("12 Mill Lane", "Springfield", "62701"))
        status, _, body = self.admin.request(
            "GET", "/api/v1/exports/invoices?format=iif&" + period, raw=None)
        text = body if isinstance(body, str) else body.decode("cp1252")
        trns = [l.split("\t") for l in text.splitlines() if l.startswith("TRNS\t")]
        self.assertTrue(any(issued["number"] in l for l in trns))
        self.assertProblem(self.admin.get("/api/v1/exports/invoices?format=csv"), 422, "format")
        self.assertProblem(self.admin.get("/api/v1/exports/invoices?format=qbo&from=x"), 400)

    def test_numbers_are_gapless_when_issued_at_once(self):
        c = self.company()
        wt = self.work_type(6000)
        drafts = []
        for i in range(6):
            t = self.ticket(c)
            self.entry(t, wt, 30, "2026-11-%02dT09:00:00Z" % (i + 1))
            drafts.append(self.invoice_run(c, **{"from": "2026-11-%02d" % (i + 1),
                                         "to": "2026-11-%02d" % (i + 1)})["invoices"][0])
        numbers, errors = [], []

        def issue(inv):
            client = self.server.admin()
            for _ in range(20):
                status, _, body = client.post("/api/v1/invoices/%d/issue" % inv["id"],
                                              headers={"If-Match": '"%d"' % inv["version"]})
                if status == 200:
                    numbers.append(int(body["number"][4:]))
                    return
                if status != 503:
                    errors.append((status, body))
                    return
            errors.append("gave up")

        threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(errors, [])
        numbers.sort()
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 6)))

    def test_two_runs_at_once_bill_nothing_twice(self):
        c = self.company()
        wt = self.work_type(6000)
        for d in range(1, 21):
            t = self.ticket(c)
            self.entry(t, wt, 30, "2026-11-%02dT09:00:00Z" % d)
        results = []

        def run():
            client = self.server.admin()
            results.append(client.post("/api/v1/invoice-runs",
                                       dict(PERIOD, company_id=c["id"])))

        threads = [threading.Thread(target=run) for _ in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for status, _, body in results:
            # a 500 here came once in a clean-clone run and never again: the server's log says why
            self.assertEqual(status, 201, (body, self.server.log_text(80)))
        made = [inv for _, _, body in results for inv in body["invoices"]]
        self.assertEqual(len(made), 1)
        sources = [s["id"] for inv in made for l in inv["lines"] for s in l["sources"]]
        self.assertEqual(len(sources), 20)
        self.assertEqual(len(set(sources)), 20)


class TestTimeWorthBilling(BillingCase):

    def test_approval_and_time_not_on_a_ticket(self):
        c = self.company()
        wt = self.work_type(6000)
        t = self.ticket(c)
        e = self.entry(t, wt, 60, "2026-11-09T09:00:00Z", client=self.tech)
        travel = self.create("time-entries", {"kind": "travel", "minutes": 45,
                                              "started_at": "2026-11-09T08:00:00Z"},
                             client=self.tech)
        self.assertFalse(travel["billable"])
        self.assertIsNone(travel["ticket_id"])
        self.assertProblem(self.tech.post("/api/v1/time-entries", {
            "kind": "admin", "minutes": 10, "ticket_id": t["id"]}), 422, "ticket_id")
        self.assertProblem(self.tech.post("/api/v1/time-entries", {
            "kind": "training", "minutes": 10, "billable": True}), 422, "billable")
        status, headers, _ = self.admin.get("/api/v1/settings")
        self.assertStatus(self.admin.patch("/api/v1/settings", {"time_approval": True},
                                           headers={"If-Match": headers["etag"]}), 200)
        try:
            self.assertEqual(self.invoice_run(c, dry_run=True)["invoices"], [])
            self.assertProblem(self.tech.post("/api/v1/time-entries/approve-week",
                                              {"user_id": self.tech_id, "week_of": "2026-11-09"}),
                               403)
            week = self.assertStatus(self.admin.post("/api/v1/time-entries/approve-week", {
                "user_id": self.tech_id, "week_of": "2026-11-12"}), 200)
            self.assertEqual(week["week_of"], "2026-11-09")
            self.assertIn(e["id"], week["entries"])
            approved = self.get("time-entries/%d" % e["id"])
            self.assertIsNotNone(approved["approved_at"])
            # approved time does not change under the technician
            etag = self.tech.get("/api/v1/time-entries/%d" % e["id"])[1]["etag"]
            self.assertProblem(self.tech.patch("/api/v1/time-entries/%d" % e["id"],
                                               {"minutes": 90}, headers={"If-Match": etag}),
                               409, "approved_at")
            inv = self.invoice_run(c)["invoices"][0]
            self.assertEqual(len(self.lines(inv, "time")), 1)
            # an invoiced approval stands
            self.assertProblem(self.act("time-entries/%d/unapprove" % e["id"], expect=None),
                               409, "invoice_id")
        finally:
            status, headers, _ = self.admin.get("/api/v1/settings")
            self.admin.patch("/api/v1/settings", {"time_approval": False},
                             headers={"If-Match": headers["etag"]})

    def test_cost_rates_are_for_managers(self):
        status, _, me = self.tech.get("/api/v1/users/%d" % self.tech_id)
        self.assertNotIn("cost_rate", me)
        path = "/api/v1/users/%d" % self.tech_id
        etag = self.admin.get(path)[1]["etag"]
        done = self.assertStatus(self.admin.patch(path, {"cost_rate": 4500},
                                                  headers={"If-Match": etag}), 200)
        self.assertEqual(done["cost_rate"], 4500)
        self.assertNotIn("cost_rate", self.get("users/%d" % self.tech_id, client=self.billing))


class TestFirmWideRun(BillingCase):
    """A run over every company goes through them in batches of 500 (src/billing/run.c)
    and writes its reply as it goes, to a file once past 256 KiB (src/api/billing.c)."""

    def test_every_company_billed_once_in_id_order(self):
        remote = self.work_type(6000)
        ids = []
        for _ in range(700):  # more than a batch, and a reply past 256 KiB
            c = self.company()
            self.entry(self.ticket(c), remote, 60, "2026-11-10T10:00:00Z")
            ids.append(c["id"])
        status, headers, dry = self.admin.post("/api/v1/invoice-runs", dict(PERIOD, dry_run=True))
        self.assertEqual(status, 200, dry)
        self.assertGreater(int(headers["content-length"]), 256 * 1024)  # sent from its file
        self.assertEqual(headers["content-type"], "application/json")
        self.assertIsNone(dry["run"])
        self.assertEqual([i["company_id"] for i in dry["invoices"]], ids)
        self.assertEqual({i["total"] for i in dry["invoices"]}, {6000})
        key = {"Idempotency-Key": unique("firm-run-")}
        status, headers, real = self.admin.post("/api/v1/invoice-runs", PERIOD, headers=key)
        self.assertEqual(status, 201, real)
        # the same request again: the reply kept for its key, though it was sent from a file
        status, again_headers, replayed = self.admin.post("/api/v1/invoice-runs", PERIOD,
                                                          headers=key)
        self.assertEqual(status, 201, replayed)
        self.assertEqual(again_headers.get("idempotent-replayed"), "true")
        self.assertEqual(again_headers["location"], headers["location"])
        self.assertEqual(replayed, real)
        run = real["run"]
        self.assertEqual(headers["location"], "/api/v1/invoice-runs/%d" % run["id"])
        self.assertGreater(int(headers["content-length"]), 256 * 1024)
        self.assertEqual([i["company_id"] for i in real["invoices"]], ids)
        for planned, made in zip(dry["invoices"], real["invoices"]):
            for member in ("currency", "subtotal", "tax", "total", "lines"):
                self.assertEqual(made[member], planned[member], member)
            self.assertEqual(made["run_id"], run["id"])
            self.assertEqual(made["status"], "draft")
        self.assertEqual(len({i["id"] for i in real["invoices"]}), len(ids))
        # the run's record: every invoice in its summary, as the reply said
        self.assertEqual(run["invoices"], len(ids))
        self.assertEqual(run["summary"], [{"company_id": i, "currency": "USD", "lines": 1,
                                           "total": 6000} for i in ids])
        self.assertEqual(self.get("invoice-runs/%d" % run["id"]), run)
        # again: nothing is billed twice
        again = self.invoice_run()
        self.assertEqual(again["invoices"], [])
        self.assertEqual(again["run"]["summary"], [])
        self.assertEqual(again["run"]["invoices"], 0)


class TestReportsAndBadInput(BillingCase):

    def test_bad_runs(self):
        for body, field in (({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
                            ({"from": "2026-11-31", "to": "2026-12-01"}, "from"),
                            ({"to": "2026-12-01"}, "from"),
                            ({"from": "2026-11-01", "to": "2026-11-30", "dry": True}, "dry"),
                            ({"from": "2026-11-01", "to": "2026-11-30", "company_id": "x"},
                             "company_id")):
            self.assertProblem(self.admin.post("/api/v1/invoice-runs", body), 422, field,
                               repr(body))
        self.assertProblem(self.admin.post("/api/v1/invoice-runs", dict(PERIOD, company_id=999999)),
                           422, "company_id")
        self.assertProblem(self.tech.post("/api/v1/invoice-runs", PERIOD), 403)

    def test_bad_invoices_payments_and_approvals(self):
        c = self.company()
        self.assertProblem(self.admin.post("/api/v1/invoices", {"company_id": c["id"],
                                                                "currency": "XYZ"}),
                           422, "currency")
        self.assertProblem(self.admin.post("/api/v1/time-entries/approve-week", {
            "user_id": 999999, "week_of": "2026-11-02"}), 422, "user_id")
        # a payment removed, the balance paid, then the first restored: an overpayment
        wt = self.work_type(6000)
        t = self.ticket(c)
        self.entry(t, wt, 60, "2026-11-09T09:00:00Z")
        inv = self.invoice_run(c)["invoices"][0]
        self.act("invoices/%d/issue" % inv["id"])
        pay = "invoices/%d/payments" % inv["id"]
        first = self.create(pay, {"amount": 1000, "received_on": "2026-12-01"})
        gone = self.assertStatus(self.admin.delete(
            "/api/v1/%s/%d" % (pay, first["id"]), headers={"If-Match": '"%d"' % first["version"]}),
            200)
        self.create(pay, {"amount": 6000, "received_on": "2026-12-02"})
        self.assertProblem(self.admin.post("/api/v1/%s/%d/restore" % (pay, first["id"]),
                                           headers={"If-Match": '"%d"' % gone["version"]}),
                           409, "amount")
        self.assertEqual(self.get("invoices/%d" % inv["id"])["balance"], 0)
        # what an invoice billed is not removed from under it
        entry = self.admin.get("/api/v1/time-entries?ticket_id=%d" % t["id"])[2]["data"][0]
        self.assertProblem(self.admin.delete("/api/v1/time-entries/%d" % entry["id"],
                                             headers={"If-Match": '"%d"' % entry["version"]}),
                           409, "invoice_id")

    @needs_test_build
    def test_ageing_and_profitability(self):
        c = self.company(payment_terms_days=14)
        wt = self.work_type(6000)
        t = self.ticket(c)
        self.entry(t, wt, 120, "2026-11-09T09:00:00Z")
        inv = self.invoice_run(c)["invoices"][0]
        issued = self.act("invoices/%d/issue" % inv["id"])
        # 14 + 40 days later the invoice is 40 days past due
        moved = self.server.move_clock(54 * 86400)
        try:
            late = self.get("invoices/%d" % inv["id"])
            self.assertTrue(late["overdue"])
            ageing = self.get("reports/ar-ageing")
            mine = [r for r in ageing["companies"] if r["company_id"] == c["id"]][0]
            self.assertEqual((mine["days_31_60"], mine["total"]), (12000, 12000))
            self.assertEqual(mine["invoices"][0]["number"], issued["number"])
            # paid in part 60 days on; the report as of before the payment still has it whole
            paid_on = time.strftime("%Y-%m-%d", time.gmtime(moved))
            self.create("invoices/%d/payments" % inv["id"], {"amount": 5000,
                                                             "received_on": paid_on})
            now = self.get("reports/ar-ageing")
            mine = [r for r in now["companies"] if r["company_id"] == c["id"]][0]
            self.assertEqual(mine["total"], 7000)
            before = self.get("reports/ar-ageing?as_of=%s" % issued["due_on"])
            mine = [r for r in before["companies"] if r["company_id"] == c["id"]][0]
            self.assertEqual((mine["current"], mine["total"]), (12000, 12000))
            earlier = self.get("reports/ar-ageing?as_of=2000-01-01")
            self.assertFalse([r for r in earlier["companies"] if r["company_id"] == c["id"]])
        finally:
            self.server.set_clock(0)
        # revenue counts in the month served (the run's November), where its cost is
        prof = self.get("reports/profitability?from=2026-11-01&to=2026-12-01")
        rows = [r for r in prof["clients"] if r["company_id"] == c["id"]]
        self.assertEqual(rows[0]["revenue"], 12000)
        months = [m for m in prof["months"] if m["month"] == "2026-11"]
        self.assertGreaterEqual(months[0]["revenue"], 12000)
        kinds = self.get("reports/revenue-by-kind")["rows"]
        self.assertTrue(any(r["kind"] == "none" and r["revenue"] >= 12000 for r in kinds))
        util = self.get("reports/utilisation?from=2026-11-01&to=2026-12-01")
        self.assertIn("technicians", util)
        burn = self.get("reports/block-burn")
        self.assertIn("contracts", burn)


if __name__ == "__main__":
    unittest.main()
