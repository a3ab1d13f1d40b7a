"""
test_transfer.py - CSV import and export (POST /imports/{kind}, GET
/exports/{kind}, servio import / servio export):

  - files as spreadsheets save them: a byte order mark, ";" separators with
    decimal commas, quoted line breaks, CRLF;
  - a dry run checks and writes nothing; a file with problems reports every
    one with its line and writes nothing, also when the problem only shows
    once earlier rows are in (two rows with one SKU);
  - references by name (a contact's company, an asset's site at its
    company), updates through an "id" column, headers mapped or left out;
  - an export imports back as updates, and a name a spreadsheet would run
    as a formula is written with an apostrophe that the import removes;
  - admins and managers only; the command line does the same with exit
    codes.
"""

import os
import tempfile
import unittest

from harness import ServerTestCase

CSV = "text/csv"


class TransferTest(ServerTestCase):

    def import_csv(self, kind, text, query="", client=None):
        client = client or self.admin
        data = text.encode("utf-8") if isinstance(text, str) else text
        return client.request("POST", "/api/v1/imports/%s%s" % (kind, query), raw=data,
                              headers={"Content-Type": CSV})

    def names(self, kind, field="name"):
        status, _, body = self.admin.get("/api/v1/%s?limit=200" % kind)
        self.assertEqual(status, 200, body)
        return sorted(r[field] for r in body["data"])

    def test_spreadsheet_file_dry_run_then_import(self):
        text = ("\ufeffName;Kind;Phone;Notes\r\n"
                "Harbour Dental;client;+1 555 0100;\"front desk\r\nback office\"\r\n"
                "Kestrel Law;PROSPECT;;\r\n")
        status, _, body = self.import_csv("companies", text, "?dry_run=true")
        self.assertEqual(status, 200, body)
        self.assertEqual((body["rows"], body["created"], body["dry_run"]), (2, 0, True))
        self.assertEqual([c["field"] for c in body["columns"]], ["name", "kind", "phone", "notes"])
        self.assertNotIn("Harbour Dental", self.names("companies"), "a dry run writes nothing")
        status, _, body = self.import_csv("companies", text)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["created"], 2)
        status, _, page = self.admin.get("/api/v1/companies?name=Kestrel%20Law")
        self.assertEqual(page["data"][0]["kind"], "prospect")
        status, _, page = self.admin.get("/api/v1/companies?name=Harbour%20Dental")
        self.assertEqual(page["data"][0]["notes"], "front desk\r\nback office")
        # each record is audited as the importer's create
        status, _, audit = self.admin.get("/api/v1/audit?resource=companies&action=create")
        self.assertIn("Kestrel Law", str(audit["data"]))

    def test_every_problem_by_line_and_nothing_written(self):
        self.assertEqual(self.import_csv("companies", "name\nOrchid Vets\n")[0], 200)
        text = ("first name,last name,company,email,shoe size\n"
                "Ann,Lee,Orchid Vets,ann@orchid.example,40\n"
                "Bob,Ray,Nowhere Inc,bob@,41\n"
                ",Kim,Orchid Vets,kim@orchid.example,42\n")
        status, _, body = self.import_csv("contacts", text)
        self.assertEqual(status, 422, body)
        self.assertEqual(body["type"], "urn:servio:problem:import-invalid")
        # the unknown header first: the rows are not read until the columns are right
        self.assertEqual(body["errors"][0]["line"], 1)
        self.assertIn("shoe size", body["errors"][0]["message"])
        status, _, body = self.import_csv("contacts", text, "?map=shoe%20size=-")
        self.assertEqual(status, 422, body)
        got = sorted((e["line"], e.get("field")) for e in body["errors"])
        self.assertEqual(got, [(3, "company_id"), (3, "email"), (4, "first_name")], body)
        self.assertIn('no company is named "Nowhere Inc"', str(body["errors"]))
        self.assertNotIn("Ann", self.names("contacts", "first_name"), "nothing was written")

    def test_duplicate_within_the_file_rolls_back(self):
        text = "sku;name;kind;unit_price;unit_cost\nRT-1;Router;equipment;1.234,50;900\nRT-1;Twin;equipment;1;1\n"
        status, _, body = self.import_csv("products", text)
        self.assertEqual(status, 422, body)
        self.assertEqual([e["line"] for e in body["errors"]], [3])
        self.assertNotIn("RT-1", self.names("products", "sku"))
        status, _, body = self.import_csv("products", text.replace("RT-1;Twin", "RT-2;Twin"))
        self.assertEqual(status, 200, body)
        status, _, page = self.admin.get("/api/v1/products?sku=RT-1")
        self.assertEqual(page["data"][0]["unit_price"], 123450)
        self.assertEqual(page["data"][0]["unit_cost"], 90000)
        status, _, body = self.import_csv("products", "sku,name,kind,unit_price\nRT-3,X,equipment,1.999\n")
        self.assertEqual(status, 422, body)
        self.assertEqual(body["errors"][0]["field"], "unit_price")

    def test_sites_and_assets_by_name(self):
        self.assertEqual(self.import_csv("companies", "name\nPine Clinic\nOak Clinic\n")[0], 200)
        self.assertEqual(self.import_csv(
            "sites", "company,name,city\nPine Clinic,Main office,Leeds\nOak Clinic,Main office,York\n")[0], 200)
        status, _, body = self.import_csv(
            "assets", "company,site,name,kind,serial number\n"
                      "Oak Clinic,Main office,Reception PC,Workstation,SN-1\n"
                      "Oak Clinic,Annex,Printer,printer,SN-2\n")
        self.assertEqual(status, 422, body)
        self.assertEqual(body["errors"][0]["line"], 3)
        self.assertIn("at this company", body["errors"][0]["message"])
        status, _, body = self.import_csv(
            "assets", "company,site,name,kind,serial number\nOak Clinic,Main office,Reception PC,Workstation,SN-1\n")
        self.assertEqual(status, 200, body)
        status, _, page = self.admin.get("/api/v1/assets?serial_number=SN-1")
        asset = page["data"][0]
        status, _, site = self.admin.get("/api/v1/sites/%d" % asset["site_id"])
        self.assertEqual(site["city"], "York", "the site of the row's company, not the other one")

    def test_export_edits_import_back_and_formulas_are_guarded(self):
        self.assertEqual(self.import_csv("companies", 'name,phone\n"=HYPERLINK(""http://x"")",+44 20 7946 0000\nMaple Farm,\n')[0], 200)
        status, headers, text = self.admin.get("/api/v1/exports/companies")
        self.assertEqual(status, 200, text)
        self.assertTrue(headers["content-type"].startswith("text/csv"))
        self.assertIn("attachment; filename=\"companies-", headers["content-disposition"])
        self.assertIn("\"'=HYPERLINK(\"\"http://x\"\")\"", text)
        self.assertIn("+44 20 7946 0000", text)
        edited = text.replace("Maple Farm", "Maple Farm Ltd")
        status, _, body = self.import_csv("companies", edited)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["created"], 0)
        self.assertGreaterEqual(body["updated"], 2)
        names = self.names("companies")
        self.assertIn("Maple Farm Ltd", names)
        self.assertIn('=HYPERLINK("http://x")', names, "the apostrophe is removed again")

    def test_roles_and_bad_requests(self):
        tech = self.server.admin().post("/api/v1/users", {
            "email": "tech.transfer@example.com", "name": "Tia", "role": "technician",
            "password": "Correct-Horse-Battery-Staple-9"})
        self.assertEqual(tech[0], 201, tech)
        tia = self.server.session("tech.transfer@example.com", "Correct-Horse-Battery-Staple-9")
        self.assertEqual(self.import_csv("companies", "name\nX\n", client=tia)[0], 403)
        self.assertEqual(tia.get("/api/v1/exports/contacts")[0], 403)
        anon = self.server.client()
        self.assertEqual(anon.get("/api/v1/exports/contacts")[0], 401)
        self.assertEqual(self.import_csv("invoices", "name\nX\n")[0], 404)
        status, _, body = self.admin.request("POST", "/api/v1/imports/companies", raw=b"name\nX\n",
                                             headers={"Content-Type": "application/json"})
        self.assertEqual(status, 415, body)
        self.assertEqual(self.import_csv("companies", "name\nX\n", "?dry_run=maybe")[0], 400)
        self.assertEqual(self.import_csv("companies", "name\nX\n", "?map=nothing")[0], 400)
        status, _, body = self.import_csv("companies", b"name\n\xff\n")
        self.assertEqual(status, 422, body)
        self.assertIn("UTF-8", body["errors"][0]["message"])
        status, _, body = self.import_csv("companies", "")
        self.assertEqual(status, 422, body)
        status, _, body = self.import_csv("companies", "kind\nclient\n")
        self.assertEqual(status, 422, body)
        self.assertEqual(body["errors"][0]["field"], "name", "a required field without a column")

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "companies.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write("name;kind\nWillow Books;client\nNo Kind Ltd;unicorn\n")
            r = self.server.run_cli("import", "companies", path)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("companies.csv:3: kind:", r.stderr)
            self.assertIn("nothing written", r.stderr)
            with open(path, "w", encoding="utf-8") as f:
                f.write("Firm;kind\nWillow Books;client\n")
            r = self.server.run_cli("import", "companies", path, "--map", "Firm=name", "--dry-run")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("1 rows are right", r.stdout)
            self.assertNotIn("Willow Books", self.names("companies"))
            r = self.server.run_cli("import", "companies", path, "--map", "Firm=name")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Willow Books", self.names("companies"))
        r = self.server.run_cli("export", "companies")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("id,name,kind"))
        self.assertIn("Willow Books", r.stdout)
        self.assertEqual(self.server.run_cli("export", "widgets").returncode, 2)
        self.assertEqual(self.server.run_cli("import", "companies").returncode, 2)


if __name__ == "__main__":
    unittest.main()
