"""
test_resources.py - the resource engine through HTTP, on the CRM records
(companies, contacts, sites, assets): create, get, list with filters,
search, sort and cursor paging, merge-patch updates with If-Match,
archive and restore, the audit log, references, enums, and who may do what.

Each class gets one fresh server; tests isolate their records with a
random tag (in lead_source or in a name) instead of expecting an empty
database.
"""

import re
import unittest
import urllib.parse

from harness import BACKEND, ServerTestCase, unique, problem_fields

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
TECH_PASSWORD = "Wrench-Pass-For-Tests-0nly-91!"
MANAGER_PASSWORD = "Ledger-Pass-For-Tests-0nly-27!"


def q(params):
    return urllib.parse.urlencode(params, safe=",")


def next_link(headers):
    """The URL of the Link rel="next", or None."""
    link = headers.get("link")
    if not link:
        return None
    for part in link.split(","):
        m = re.match(r'\s*<([^>]*)>\s*;\s*rel="?next"?', part)
        if m:
            return m.group(1)
    return None


class ResourceCase(ServerTestCase):
    """Helpers shared by the resource tests."""

    def create(self, name, body, client=None):
        resp = (client or self.admin).post("/api/v1/" + name, body)
        rec = self.assertStatus(resp, 201, "create %s %r" % (name, body))
        return rec

    def company(self, **fields):
        body = {"name": unique("Company ")}
        body.update(fields)
        return self.create("companies", body)

    def get(self, path, client=None):
        return (client or self.admin).get(path)

    def list_ids(self, name, params, client=None):
        resp = (client or self.admin).get("/api/v1/%s?%s" % (name, q(params)))
        body = self.assertStatus(resp, 200, "list %s %r" % (name, params))
        self.assertIn("data", body)
        self.assertIn("next_cursor", body)
        return [r["id"] for r in body["data"]]

    def walk(self, name, params, limit, use_link=True):
        """Every page of a list; returns the records in order and the page count."""
        params = dict(params, limit=limit)
        url = "/api/v1/%s?%s" % (name, q(params))
        records, pages = [], 0
        while url:
            resp = self.admin.get(url)
            body = self.assertStatus(resp, 200, "page %d of %s" % (pages + 1, url))
            _, headers, _ = resp
            pages += 1
            self.assertLessEqual(len(body["data"]), limit)
            records.extend(body["data"])
            cursor = body["next_cursor"]
            link = next_link(headers)
            if cursor is None:
                self.assertIsNone(link, "a Link rel=next on the last page: %r" % headers)
                url = None
            else:
                self.assertIsInstance(cursor, str)
                self.assertEqual(len(body["data"]), limit, "a short page before the last")
                self.assertIsNotNone(link, "no Link rel=next although next_cursor is %r" %
                                     cursor)
                explicit = "/api/v1/%s?%s" % (name, q(dict(params, cursor=cursor)))
                if use_link:
                    # the link must lead where the cursor leads
                    a = self.assertStatus(self.admin.get(link), 200, "Link " + link)
                    b = self.assertStatus(self.admin.get(explicit), 200, explicit)
                    self.assertEqual([r["id"] for r in a["data"]], [r["id"] for r in b["data"]])
                    url = link
                else:
                    url = explicit
            self.assertLess(pages, 200, "paging does not end")
        return records, pages


class CrudTest(ResourceCase):

    def check_record(self, rec, body):
        for k, v in body.items():
            self.assertEqual(rec.get(k), v, "field %s" % k)
        self.assertIsInstance(rec["id"], int)
        self.assertGreater(rec["id"], 0)
        self.assertEqual(rec["version"], 1)
        self.assertIsNone(rec["archived_at"])
        self.assertRegex(rec["created_at"], RFC3339)
        self.assertRegex(rec["updated_at"], RFC3339)

    def create_and_get(self, name, body):
        resp = self.admin.post("/api/v1/" + name, body)
        rec = self.assertStatus(resp, 201, "create " + name)
        _, headers, _ = resp
        self.check_record(rec, body)
        self.assertEqual(headers.get("location"), "/api/v1/%s/%d" % (name, rec["id"]))
        self.assertEqual(headers.get("etag"), '"1"')
        self.assertTrue(headers.get("content-type", "").startswith("application/json"))
        resp = self.admin.get(headers["location"])
        got = self.assertStatus(resp, 200, "get " + name)
        self.assertEqual(resp[1].get("etag"), '"1"')
        self.assertEqual(got, rec)
        return rec

    def test_create_and_get_every_resource(self):
        company = self.create_and_get("companies", {
            "name": "Acme Printing", "kind": "client", "phone": "+1 555 0100",
            "email": "info@acme.example", "website": "https://acme.example",
            "lead_source": "trade show", "notes": "two floors\nback entrance"})
        partner = self.create_and_get("companies", {"name": "Referral Partner Ltd",
                                                    "kind": "partner"})
        self.create_and_get("companies", {"name": "Referred Co", "kind": "prospect",
                                          "referred_by_id": partner["id"]})
        self.create_and_get("contacts", {
            "company_id": company["id"], "first_name": "Ada", "last_name": "Lovelace",
            "email": "ada@acme.example", "phone": "+1 555 0101", "mobile": "+1 555 0199",
            "title": "CTO", "portal_access": True})
        site = self.create_and_get("sites", {
            "company_id": company["id"], "name": "Head office",
            "address_line1": "1 Main Street", "address_line2": "Suite 4",
            "city": "Springfield", "region": "IL", "postal_code": "62701",
            "country": "US", "timezone": "America/Chicago", "phone": "+1 555 0102"})
        self.create_and_get("assets", {
            "company_id": company["id"], "site_id": site["id"], "name": "Front desk printer",
            "kind": "printer", "manufacturer": "HP", "model": "LaserJet M404",
            "serial_number": "PHB8K12345", "warranty_expires_on": "2027-03-31"})

    def test_defaults(self):
        c = self.create("companies", {"name": "Default Kind Inc"})
        self.assertEqual(c["kind"], "client")
        self.assertIsNone(c["phone"])
        contact = self.create("contacts", {"company_id": c["id"], "first_name": "Bo",
                                           "last_name": "Default"})
        self.assertIs(contact["portal_access"], False)

    def test_patch_with_if_match(self):
        c = self.company(phone="+1 555 0000", website="https://old.example")
        path = "/api/v1/companies/%d" % c["id"]
        resp = self.admin.patch(path, {"name": "Renamed Co", "phone": None},
                                headers={"If-Match": '"1"'})
        rec = self.assertStatus(resp, 200, "patch")
        self.assertEqual(resp[1].get("etag"), '"2"')
        self.assertEqual(rec["version"], 2)
        self.assertEqual(rec["name"], "Renamed Co")
        self.assertIsNone(rec["phone"], "merge-patch null must clear the field")
        self.assertEqual(rec["website"], "https://old.example", "untouched fields stay")
        self.assertEqual(rec["created_at"], c["created_at"])
        self.assertGreaterEqual(rec["updated_at"], c["updated_at"])
        # the stored record is what PATCH returned
        resp = self.admin.get(path)
        self.assertEqual(self.assertStatus(resp, 200), rec)
        self.assertEqual(resp[1].get("etag"), '"2"')
        # the old version is stale now
        self.assertProblem(self.admin.patch(path, {"name": "Again"}, headers={"If-Match": '"1"'}),
                           412, what="stale If-Match")
        # the current one works, also as a weak validator
        rec = self.assertStatus(self.admin.patch(path, {"kind": "vendor"},
                                                 headers={"If-Match": 'W/"2"'}), 200)
        self.assertEqual(rec["version"], 3)
        self.assertEqual(rec["kind"], "vendor")

    def test_empty_patch_changes_nothing(self):
        c = self.company()
        path = "/api/v1/companies/%d" % c["id"]
        rec = self.assertStatus(self.admin.patch(path, {}, headers={"If-Match": '"1"'}), 200)
        self.assertEqual(rec, c)
        rec = self.assertStatus(self.admin.patch(path, {"name": c["name"]},
                                                 headers={"If-Match": '"1"'}), 200)
        self.assertEqual(rec["version"], 1, "a patch that changes nothing is no new version")
        entries = self.assertStatus(self.admin.get("/api/v1/audit?" + q(
            {"resource": "companies", "record_id": c["id"]})), 200)["data"]
        self.assertEqual([e["action"] for e in entries], ["create"])

    def test_patch_cannot_clear_required_field(self):
        c = self.company()
        path = "/api/v1/companies/%d" % c["id"]
        self.assertProblem(self.admin.patch(path, {"name": None}, headers={"If-Match": '"1"'}),
                           422, field="name")
        self.assertProblem(self.admin.patch(path, {"kind": "customer"},
                                            headers={"If-Match": '"1"'}), 422, field="kind")
        rec = self.assertStatus(self.admin.get(path), 200)
        self.assertEqual(rec["version"], 1, "a refused patch changes nothing")

    def test_patch_contact_and_asset(self):
        company = self.company()
        other = self.company()
        contact = self.create("contacts", {"company_id": company["id"], "first_name": "Cy",
                                           "last_name": "Mover", "title": "Buyer"})
        path = "/api/v1/contacts/%d" % contact["id"]
        rec = self.assertStatus(self.admin.patch(path, {"company_id": other["id"], "title": None},
                                                 headers={"If-Match": '"1"'}), 200)
        self.assertEqual(rec["company_id"], other["id"])
        self.assertIsNone(rec["title"])
        asset = self.create("assets", {"company_id": company["id"], "name": "NAS",
                                       "kind": "server", "warranty_expires_on": "2026-01-01"})
        path = "/api/v1/assets/%d" % asset["id"]
        rec = self.assertStatus(self.admin.patch(path, {"warranty_expires_on": None},
                                                 headers={"If-Match": "*"}), 200)
        self.assertIsNone(rec["warranty_expires_on"])
        self.assertEqual(rec["version"], 2)

    def test_archive_and_restore(self):
        tag = unique("arch")
        a = self.company(lead_source=tag)
        b = self.company(lead_source=tag)
        c = self.company(lead_source=tag)
        path = "/api/v1/companies/%d" % b["id"]
        self.assertProblem(self.admin.delete(path), 428, what="DELETE without If-Match")
        self.assertProblem(self.admin.delete(path, headers={"If-Match": '"7"'}), 412,
                           what="DELETE with a stale If-Match")
        resp = self.admin.delete(path, headers={"If-Match": '"1"'})
        rec = self.assertStatus(resp, 200, "archive")
        self.assertRegex(rec["archived_at"] or "", RFC3339)
        self.assertEqual(rec["version"], 2)
        self.assertEqual(resp[1].get("etag"), '"2"')

        self.assertEqual(sorted(self.list_ids("companies", {"lead_source": tag})),
                         sorted([a["id"], c["id"]]), "archived records are hidden by default")
        self.assertEqual(sorted(self.list_ids("companies", {"lead_source": tag,
                                                            "archived": "false"})),
                         sorted([a["id"], c["id"]]))
        self.assertEqual(self.list_ids("companies", {"lead_source": tag, "archived": "true"}),
                         [b["id"]])
        self.assertEqual(sorted(self.list_ids("companies", {"lead_source": tag,
                                                            "archived": "all"})),
                         sorted([a["id"], b["id"], c["id"]]))
        self.assertProblem(self.admin.get("/api/v1/companies?archived=maybe"), 400)
        # an archived record can still be read by id
        got = self.assertStatus(self.admin.get(path), 200)
        self.assertIsNotNone(got["archived_at"])

        rec = self.assertStatus(self.admin.post(path + "/restore"), 200, "restore")
        self.assertIsNone(rec["archived_at"])
        self.assertEqual(rec["version"], 3)
        self.assertEqual(sorted(self.list_ids("companies", {"lead_source": tag})),
                         sorted([a["id"], b["id"], c["id"]]))
        self.assertProblem(self.admin.post("/api/v1/companies/999999999/restore"), 404)
        self.assertProblem(self.admin.delete("/api/v1/companies/999999999",
                                             headers={"If-Match": "*"}), 404)

    def test_archive_every_resource(self):
        company = self.company()
        site = self.create("sites", {"company_id": company["id"], "name": "Depot"})
        asset = self.create("assets", {"company_id": company["id"], "name": "Switch",
                                       "kind": "network"})
        contact = self.create("contacts", {"company_id": company["id"], "first_name": "Al",
                                           "last_name": "Gone"})
        for name, rec in (("sites", site), ("assets", asset), ("contacts", contact)):
            path = "/api/v1/%s/%d" % (name, rec["id"])
            got = self.assertStatus(self.admin.delete(path, headers={"If-Match": '"1"'}), 200,
                                    "archive " + name)
            self.assertIsNotNone(got["archived_at"])
            self.assertNotIn(rec["id"], self.list_ids(name, {"company_id": company["id"]}))
            self.assertIn(rec["id"], self.list_ids(name, {"company_id": company["id"],
                                                          "archived": "true"}))


class ListTest(ResourceCase):

    def test_filters(self):
        tag = unique("flt")
        made = {}
        for kind in ("client", "client", "prospect", "partner", "vendor"):
            rec = self.company(kind=kind, lead_source=tag)
            made.setdefault(kind, []).append(rec["id"])
        ids = self.list_ids("companies", {"lead_source": tag, "kind": "client"})
        self.assertEqual(sorted(ids), sorted(made["client"]))
        ids = self.list_ids("companies", {"lead_source": tag, "kind": "partner,vendor"})
        self.assertEqual(sorted(ids), sorted(made["partner"] + made["vendor"]))
        ids = self.list_ids("companies", {"lead_source": tag})
        self.assertEqual(len(ids), 5)
        # id lists
        pick = [made["client"][0], made["vendor"][0]]
        ids = self.list_ids("companies", {"id": "%d,%d" % tuple(pick)})
        self.assertEqual(sorted(ids), sorted(pick))
        # a kind that is not in the enum is refused, not ignored
        self.assertProblem(self.admin.get("/api/v1/companies?kind=customer"), 400)
        self.assertProblem(self.admin.get("/api/v1/companies?kind=client,"), 400)
        self.assertProblem(self.admin.get("/api/v1/companies?id=abc"), 400)
        # nothing matches: an empty page without a next link
        resp = self.admin.get("/api/v1/companies?lead_source=" + unique("none"))
        body = self.assertStatus(resp, 200)
        self.assertEqual(body, {"data": [], "next_cursor": None})
        self.assertIsNone(next_link(resp[1]))

    def test_filter_by_company(self):
        a, b, c = self.company(), self.company(), self.company()
        for company, n in ((a, 2), (b, 3), (c, 1)):
            for i in range(n):
                self.create("contacts", {"company_id": company["id"], "first_name": "P%d" % i,
                                         "last_name": "Person"})
                self.create("sites", {"company_id": company["id"], "name": "Site %d" % i})
        self.assertEqual(len(self.list_ids("contacts", {"company_id": a["id"]})), 2)
        self.assertEqual(len(self.list_ids("contacts", {"company_id": "%d,%d" %
                                                        (a["id"], b["id"])})), 5)
        self.assertEqual(len(self.list_ids("sites", {"company_id": b["id"]})), 3)
        self.assertEqual(len(self.list_ids("sites", {"company_id": c["id"]})), 1)
        for rec in self.assertStatus(self.admin.get("/api/v1/contacts?company_id=%d" % b["id"]),
                                     200)["data"]:
            self.assertEqual(rec["company_id"], b["id"])
        self.assertEqual(self.list_ids("contacts", {"portal_access": "true",
                                                    "company_id": a["id"]}), [])
        self.assertProblem(self.admin.get("/api/v1/contacts?portal_access=yes"), 400)

    def test_asset_kind_and_date_filters(self):
        company = self.company()
        made = {}
        for kind, warranty in (("printer", "2026-05-01"), ("printer", "2028-01-01"),
                               ("server", "2027-06-30"), ("workstation", None),
                               ("phone", "2025-12-31"), ("other", None), ("network", None)):
            body = {"company_id": company["id"], "name": "%s %s" % (kind, warranty),
                    "kind": kind}
            if warranty:
                body["warranty_expires_on"] = warranty
            made.setdefault(kind, []).append(self.create("assets", body)["id"])
        base = {"company_id": company["id"]}
        self.assertEqual(sorted(self.list_ids("assets", dict(base, kind="printer"))),
                         sorted(made["printer"]))
        self.assertEqual(sorted(self.list_ids("assets", dict(base, kind="printer,server"))),
                         sorted(made["printer"] + made["server"]))
        self.assertProblem(self.admin.get("/api/v1/assets?kind=toaster"), 400)
        before = self.list_ids("assets", dict(base, warranty_expires_on_before="2027-01-01"))
        self.assertEqual(sorted(before), sorted([made["printer"][0], made["phone"][0]]))
        after = self.list_ids("assets", dict(base, warranty_expires_on_after="2027-01-01"))
        self.assertEqual(sorted(after), sorted([made["printer"][1], made["server"][0]]))
        self.assertProblem(self.admin.get("/api/v1/assets?warranty_expires_on_before=soon"),
                           400)
        # created_at bounds exist on every resource
        self.assertEqual(len(self.list_ids("assets", dict(base,
                                                          created_at_after="2000-01-01"))), 7)
        self.assertEqual(self.list_ids("assets", dict(base,
                                                      created_at_before="2000-01-01")), [])

    def test_search(self):
        tag = unique("s")
        names = {
            "northwind": "Northwind Traders %s" % tag,
            "northgate": "Northgate Plumbing %s" % tag,
            "southwind": "Southwind Logistics %s" % tag,
        }
        ids = {k: self.company(name=v, notes="keyword note%s%s" % (k, tag))["id"]
               for k, v in names.items()}

        def search(text, **extra):
            return sorted(self.list_ids("companies", dict(extra, q=text)))

        self.assertEqual(search(tag), sorted(ids.values()), "the whole word")
        self.assertEqual(search(tag + " north"), sorted([ids["northwind"], ids["northgate"]]),
                         "a word and a prefix, both required")
        self.assertEqual(search("north " + tag), [], "only the last word is a prefix")
        self.assertEqual(search(tag + " northw"), [ids["northwind"]], "prefix, any order")
        self.assertEqual(search("TRADERS " + tag.upper()), [ids["northwind"]],
                         "case does not matter")
        self.assertEqual(search(tag + " logist"), [ids["southwind"]])
        self.assertEqual(search(tag + " plumbing northgate"), [ids["northgate"]])
        self.assertEqual(search(tag + " nothing"), [])
        self.assertEqual(search("southwind " + tag, kind="client"), [ids["southwind"]],
                         "search combines with filters")
        self.assertEqual(search("southwind " + tag, kind="vendor"), [])
        # other fields are indexed too: the notes
        self.assertEqual(search("notenorthg"), [ids["northgate"]])
        # syntax of the search engine in the text is just text
        for text in ('"', "north*", "a OR b", "NEAR(", "'; --", "(", "-x", "x:y", "&|!"):
            self.assertStatus(self.admin.get("/api/v1/companies?" + q({"q": text})), 200,
                              "q=%r" % text)
        # an edit is searchable at once, and the old words are gone
        rec = self.assertStatus(self.admin.get("/api/v1/companies/%d" % ids["southwind"]), 200)
        self.assertStatus(self.admin.patch("/api/v1/companies/%d" % rec["id"],
                                           {"name": "Eastbound Freight %s" % tag},
                                           headers={"If-Match": '"%d"' % rec["version"]}), 200)
        self.assertEqual(search(tag + " eastbound"), [ids["southwind"]])
        self.assertEqual(search(tag + " southwind"), [])

    def test_search_a_common_word(self):
        """Over 2000 matches the database walks the order instead of sorting: same answers."""
        tag = unique("walrus")
        rows = ("SELECT '%s ' || x, 'client', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'"
                % tag.capitalize())
        if BACKEND == "postgres":
            sql = ("INSERT INTO companies (name, kind, created_at, updated_at) "
                   + rows.replace("|| x", "|| lpad(x::text, 5, '0')")
                   + " FROM generate_series(1, 2300) AS g(x)")
        else:
            sql = ("WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 2300)"
                   " INSERT INTO companies (name, kind, created_at, updated_at) "
                   + rows.replace("|| x", "|| printf('%05d', x)") + " FROM g")
        self.server.execute(sql)
        names, path = [], "/api/v1/companies?" + q({"q": tag, "limit": 200})
        while path:
            body = self.assertStatus(self.admin.get(path), 200)
            names += [c["name"] for c in body["data"]]
            path = next_link(self.admin.get(path)[1])
        self.assertEqual(len(names), 2300)
        self.assertEqual(names, sorted(names))
        self.assertEqual(len(set(names)), 2300)
        # and newest first, the other way round
        body = self.assertStatus(self.admin.get("/api/v1/companies?" + q(
            {"q": tag, "sort": "-name", "limit": 3})), 200)
        self.assertEqual([c["name"] for c in body["data"]],
                         ["%s %05d" % (tag.capitalize(), n) for n in (2300, 2299, 2298)])

    def test_search_other_resources(self):
        tag = unique("r")
        company = self.company()
        contact = self.create("contacts", {"company_id": company["id"], "first_name": "Grace",
                                           "last_name": "Hopper" + tag, "title": "Admiral"})
        site = self.create("sites", {"company_id": company["id"], "name": "Depot " + tag,
                                     "city": "Arlington"})
        asset = self.create("assets", {"company_id": company["id"], "name": "Copier " + tag,
                                       "kind": "printer", "manufacturer": "Kyocera",
                                       "serial_number": "KY" + tag})
        self.assertEqual(self.list_ids("contacts", {"q": "grace hopper" + tag}), [contact["id"]])
        self.assertEqual(self.list_ids("sites", {"q": tag + " arling"}), [site["id"]])
        self.assertEqual(self.list_ids("assets", {"q": tag + " kyoc"}), [asset["id"]])
        self.assertEqual(self.list_ids("assets", {"q": "ky" + tag}), [asset["id"]],
                         "serial numbers are searchable")

    def test_sort(self):
        tag = unique("srt")
        names = ["Mango", "apple", "Cherry", "banana", "Date", "Elder", "fig"]
        recs = [self.company(name=n, lead_source=tag) for n in names]
        by_id = {r["id"]: r for r in recs}

        def names_sorted(sort):
            ids = self.list_ids("companies", {"lead_source": tag, "sort": sort})
            return [by_id[i]["name"] for i in ids], ids

        got, _ = names_sorted("name")
        self.assertEqual(got, sorted(names), "sort=name (byte order)")
        got, _ = names_sorted("-name")
        self.assertEqual(got, sorted(names, reverse=True), "sort=-name")
        _, ids = names_sorted("created_at")
        self.assertEqual(ids, [r["id"] for r in sorted(recs, key=lambda r: (r["created_at"],
                                                                            r["id"]))])
        _, ids = names_sorted("-id")
        self.assertEqual(ids, sorted(by_id, reverse=True))
        _, ids = names_sorted("id")
        self.assertEqual(ids, sorted(by_id))
        # the default sort of companies is by name
        ids = self.list_ids("companies", {"lead_source": tag})
        self.assertEqual([by_id[i]["name"] for i in ids], sorted(names))
        for bad in ("phone", "bogus", "-", "name,id", "--name"):
            self.assertProblem(self.admin.get("/api/v1/companies?" + q({"sort": bad})), 400,
                               what="sort=%s" % bad)

    def test_paging_walks_every_record_once(self):
        tag = unique("pg")
        # ties on the sort key must not lose or repeat records across pages
        names = ["Dup"] * 6 + ["Name %02d" % i for i in range(17)]
        recs = [self.company(name=n, lead_source=tag, kind=("client", "vendor")[i % 2])
                for i, n in enumerate(names)]
        expected = {
            "name": sorted(recs, key=lambda r: (r["name"], r["id"])),
            "-name": sorted(recs, key=lambda r: (r["name"], r["id"]), reverse=True),
            "created_at": sorted(recs, key=lambda r: (r["created_at"], r["id"])),
            "-id": sorted(recs, key=lambda r: r["id"], reverse=True),
            "id": sorted(recs, key=lambda r: r["id"]),
            "-created_at": sorted(recs, key=lambda r: (r["created_at"], r["id"]), reverse=True),
        }
        for sort, want in expected.items():
            for limit in (5, 1, 23, 50):
                with self.subTest(sort=sort, limit=limit):
                    got, pages = self.walk("companies", {"lead_source": tag, "sort": sort},
                                           limit, use_link=limit == 5)
                    ids = [r["id"] for r in got]
                    self.assertEqual(len(ids), len(set(ids)), "a record came twice")
                    self.assertEqual(ids, [r["id"] for r in want])
                    self.assertEqual(pages, max(1, -(-len(recs) // limit)))
        # filters stay in force across pages (the Link keeps them)
        got, _ = self.walk("companies", {"lead_source": tag, "kind": "vendor", "sort": "-name"}, 3)
        self.assertEqual([r["id"] for r in got],
                         [r["id"] for r in sorted([r for r in recs if r["kind"] == "vendor"],
                                                  key=lambda r: (r["name"], r["id"]),
                                                  reverse=True)])

    def test_paging_link_keeps_awkward_values(self):
        tag = "R&D + m\u00e1s/\u00fc=?#%s" % unique("")
        recs = [self.company(name="Awkward %d" % i, lead_source=tag) for i in range(5)]
        got, pages = self.walk("companies", {"lead_source": tag}, 2)
        self.assertEqual(pages, 3)
        self.assertEqual([r["id"] for r in got],
                         [r["id"] for r in sorted(recs, key=lambda r: (r["name"], r["id"]))])

    def test_paging_on_a_nullable_sort_key(self):
        tag = unique("nul")
        recs = []
        for i, lead in enumerate([None, "web", None, "referral", "web", None, "ads"]):
            body = {"name": "%s %d" % (tag, i)}
            if lead:
                body["lead_source"] = lead
            recs.append(self.create("companies", body))
        for sort in ("lead_source", "-lead_source"):
            with self.subTest(sort=sort):
                got, _ = self.walk("companies", {"q": tag, "sort": sort}, 2)
                want = sorted(recs, key=lambda r: (r["lead_source"] or "", r["id"]),
                              reverse=sort.startswith("-"))
                self.assertEqual([r["id"] for r in got], [r["id"] for r in want])

    def test_paging_is_stable_under_inserts(self):
        tag = unique("ins")
        recs = [self.company(name="Stable %02d" % i, lead_source=tag) for i in range(10)]
        url = "/api/v1/companies?" + q({"lead_source": tag, "sort": "id", "limit": 4})
        first = self.assertStatus(self.admin.get(url), 200)
        # records added while a client pages appear once, at their place
        late = self.company(name="Stable late", lead_source=tag)
        seen = [r["id"] for r in first["data"]]
        cursor = first["next_cursor"]
        while cursor:
            page = self.assertStatus(self.admin.get(url + "&cursor=" + cursor), 200)
            seen += [r["id"] for r in page["data"]]
            cursor = page["next_cursor"]
        self.assertEqual(seen, [r["id"] for r in recs] + [late["id"]])

    def test_cursor_belongs_to_its_sort(self):
        tag = unique("cur")
        for i in range(3):
            self.company(lead_source=tag)
        page = self.assertStatus(self.admin.get("/api/v1/companies?" +
                                                q({"lead_source": tag, "limit": 1,
                                                   "sort": "name"})), 200)
        self.assertIsNotNone(page["next_cursor"])
        self.assertProblem(self.admin.get("/api/v1/companies?" +
                                          q({"lead_source": tag, "limit": 1, "sort": "-id",
                                             "cursor": page["next_cursor"]})), 400)

    def test_limit(self):
        tag = unique("lim")
        for i in range(3):
            self.company(lead_source=tag)
        self.assertEqual(len(self.list_ids("companies", {"lead_source": tag, "limit": 2})), 2)
        self.assertEqual(len(self.list_ids("companies", {"lead_source": tag, "limit": 200})), 3)
        for bad in ("0", "-1", "201", "abc", "", "1.5", "99999999999999999999"):
            self.assertProblem(self.admin.get("/api/v1/companies?limit=" + bad), 400,
                               what="limit=%s" % bad)


class ReferenceTest(ResourceCase):

    def test_contact_needs_a_live_company(self):
        resp = self.admin.post("/api/v1/contacts", {"company_id": 987654321, "first_name": "No",
                                                    "last_name": "Body"})
        body = self.assertProblem(resp, 422, field="company_id", what="unknown company")
        company = self.company()
        path = "/api/v1/companies/%d" % company["id"]
        self.assertStatus(self.admin.delete(path, headers={"If-Match": '"1"'}), 200)
        resp = self.admin.post("/api/v1/contacts", {"company_id": company["id"],
                                                    "first_name": "Late", "last_name": "Comer"})
        body = self.assertProblem(resp, 422, field="company_id", what="archived company")
        self.assertEqual(len(body["errors"]), 1, body)
        # nothing was created
        self.assertEqual(self.list_ids("contacts", {"company_id": company["id"],
                                                    "archived": "all"}), [])
        # moving a contact to an archived company is refused too
        live = self.company()
        contact = self.create("contacts", {"company_id": live["id"], "first_name": "Stay",
                                           "last_name": "Put"})
        self.assertProblem(self.admin.patch("/api/v1/contacts/%d" % contact["id"],
                                            {"company_id": company["id"]},
                                            headers={"If-Match": '"1"'}), 422,
                           field="company_id")
        for bad in ("7", 0, -3, 1.5, True, [1]):
            self.assertProblem(self.admin.post("/api/v1/contacts", {
                "company_id": bad, "first_name": "X", "last_name": "Y"}), 422,
                field="company_id", what="company_id %r" % (bad,))

    def test_sites_and_assets_need_a_live_company(self):
        for name, extra in (("sites", {"name": "S"}), ("assets", {"name": "A", "kind": "other"})):
            self.assertProblem(self.admin.post("/api/v1/" + name,
                                               dict(extra, company_id=876543210)),
                               422, field="company_id", what=name)

    def test_asset_site_of_another_company(self):
        a, b = self.company(), self.company()
        site_b = self.create("sites", {"company_id": b["id"], "name": "B's site"})
        self.assertProblem(self.admin.post("/api/v1/assets", {
            "company_id": a["id"], "site_id": site_b["id"], "name": "Misplaced",
            "kind": "workstation"}), 422, field="site_id")
        self.assertProblem(self.admin.post("/api/v1/assets", {
            "company_id": a["id"], "site_id": 765432109, "name": "Nowhere",
            "kind": "workstation"}), 422, field="site_id")

    def test_referred_by_must_exist(self):
        self.assertProblem(self.admin.post("/api/v1/companies", {
            "name": "Ref", "referred_by_id": 999999999}), 422, field="referred_by_id")

    def test_asset_kind_enum(self):
        company = self.company()
        for kind in ("workstation", "server", "printer", "network", "phone", "other"):
            rec = self.create("assets", {"company_id": company["id"], "name": "A " + kind,
                                         "kind": kind})
            self.assertEqual(rec["kind"], kind)
        for bad in ("toaster", "Printer", "", 3, None):
            self.assertProblem(self.admin.post("/api/v1/assets", {
                "company_id": company["id"], "name": "Bad", "kind": bad}), 422, field="kind",
                what="kind %r" % (bad,))
        self.assertProblem(self.admin.post("/api/v1/assets", {
            "company_id": company["id"], "name": "No kind"}), 422, field="kind",
            what="kind is required")

    def test_field_formats(self):
        company = self.company()
        cases = [
            ("companies", {"name": "X", "email": "not-an-email"}, "email"),
            ("companies", {"name": "X", "website": "ftp://example.com"}, "website"),
            ("companies", {"name": "X", "website": "javascript:alert(1)"}, "website"),
            ("companies", {"name": ""}, "name"),
            ("companies", {"name": "x" * 201}, "name"),
            ("companies", {"name": "bad\u0001name"}, "name"),
            ("sites", {"company_id": company["id"], "name": "S", "timezone": "Mars/Olympus"},
             "timezone"),
            ("sites", {"company_id": company["id"], "name": "S", "timezone": "../etc/passwd"},
             "timezone"),
            ("sites", {"company_id": company["id"], "name": "S", "country": "USA"}, "country"),
            ("assets", {"company_id": company["id"], "name": "A", "kind": "other",
                        "warranty_expires_on": "2027-02-30"}, "warranty_expires_on"),
            ("assets", {"company_id": company["id"], "name": "A", "kind": "other",
                        "warranty_expires_on": "31/12/2027"}, "warranty_expires_on"),
            ("contacts", {"company_id": company["id"], "first_name": "A", "last_name": "B",
                          "portal_access": "yes"}, "portal_access"),
        ]
        for name, body, field in cases:
            with self.subTest(name=name, field=field, body=body):
                self.assertProblem(self.admin.post("/api/v1/" + name, body), 422, field=field)


    def test_asset_moved_away_from_its_site(self):
        a, b = self.company(), self.company()
        site = self.create("sites", {"company_id": a["id"], "name": "A's site"})
        asset = self.create("assets", {"company_id": a["id"], "site_id": site["id"],
                                       "name": "Mover", "kind": "server"})
        path = "/api/v1/assets/%d" % asset["id"]
        # the rule holds for the record as it would be after the patch
        self.assertProblem(self.admin.patch(path, {"company_id": b["id"]},
                                            headers={"If-Match": '"1"'}), 422, field="site_id")
        rec = self.assertStatus(self.admin.patch(path, {"company_id": b["id"], "site_id": None},
                                                 headers={"If-Match": '"1"'}), 200)
        self.assertEqual((rec["company_id"], rec["site_id"]), (b["id"], None))

    def test_timezones(self):
        company = self.company()
        for tz in ("Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5"):
            with self.subTest(tz=tz):
                rec = self.create("sites", {"company_id": company["id"], "name": tz,
                                            "timezone": tz})
                self.assertEqual(rec["timezone"], tz)
        # files of the zone database that are not zones are not time zones
        for tz in ("leapseconds", "zone.tab", "tzdata.zi", "Europe", "europe/berlin",
                   "Europe/Berlin/", "/etc/localtime", "Europe//Berlin"):
            with self.subTest(tz=tz):
                self.assertProblem(self.admin.post("/api/v1/sites", {
                    "company_id": company["id"], "name": "S", "timezone": tz}), 422,
                    field="timezone")

    def test_lengths_count_characters(self):
        rec = self.create("companies", {"name": "\U0001F600" * 200})
        self.assertEqual(rec["name"], "\U0001F600" * 200)
        rec = self.create("companies", {"name": "\u00e9" * 200})
        self.assertEqual(len(rec["name"]), 200)
        self.assertProblem(self.admin.post("/api/v1/companies", {"name": "\U0001F600" * 201}),
                           422, field="name")
        # newlines are for long texts only
        self.assertProblem(self.admin.post("/api/v1/companies", {"name": "two\nlines"}), 422,
                           field="name")
        rec = self.create("companies", {"name": "Notes", "notes": "line one\nline two\tend"})
        self.assertEqual(rec["notes"], "line one\nline two\tend")


class AuditTest(ResourceCase):

    def entries(self, **params):
        body = self.assertStatus(self.admin.get("/api/v1/audit?" + q(params)), 200, "audit")
        return body["data"]

    def test_audit_trail(self):
        c = self.company(name="Audited Ltd", phone="+1 555 0110")
        path = "/api/v1/companies/%d" % c["id"]
        self.assertStatus(self.admin.patch(path, {"name": "Audited Group", "phone": None},
                                           headers={"If-Match": '"1"'}), 200)
        self.assertStatus(self.admin.delete(path, headers={"If-Match": '"2"'}), 200)
        self.assertStatus(self.admin.post(path + "/restore"), 200)

        entries = self.entries(resource="companies", record_id=c["id"])
        actions = [e["action"] for e in entries]
        self.assertEqual(actions, ["restore", "archive", "update", "create"],
                         "newest first by default")
        for e in entries:
            self.assertEqual(e["resource"], "companies")
            self.assertEqual(e["record_id"], c["id"])
            self.assertEqual(e["actor"], "admin@example.com")
            self.assertIsInstance(e["actor_id"], int)
            self.assertRegex(e["at"], RFC3339)
            self.assertTrue(e.get("request_id"), "an audit entry names its request")
        by_action = {e["action"]: e for e in entries}
        create = by_action["create"]
        self.assertIsNone(create["before"])
        self.assertEqual(create["after"]["name"], "Audited Ltd")
        self.assertEqual(create["after"]["id"], c["id"])
        update = by_action["update"]
        self.assertEqual(update["before"]["name"], "Audited Ltd")
        self.assertEqual(update["before"]["phone"], "+1 555 0110")
        self.assertEqual(update["after"]["name"], "Audited Group")
        self.assertIsNone(update["after"]["phone"])
        self.assertEqual(update["after"]["version"], 2)
        archive = by_action["archive"]
        self.assertIsNone(archive["before"]["archived_at"])
        self.assertIsNotNone(archive["after"]["archived_at"])
        self.assertIsNone(by_action["restore"]["after"]["archived_at"])

        # filters
        only = self.entries(resource="companies", record_id=c["id"], action="update")
        self.assertEqual([e["id"] for e in only], [update["id"]])
        one = self.assertStatus(self.admin.get("/api/v1/audit/%d" % update["id"]), 200)
        self.assertEqual(one, update)
        self.assertProblem(self.admin.get("/api/v1/audit/999999999"), 404)
        # the audit log is read-only
        for method in ("POST", "PATCH", "DELETE", "PUT"):
            path_ = "/api/v1/audit" if method == "POST" else "/api/v1/audit/%d" % update["id"]
            status = self.admin.request(method, path_, body={}, headers={"If-Match": "*"})[0]
            self.assertIn(status, (404, 405), "%s %s" % (method, path_))
        # a failed change leaves no entry
        before = len(self.entries(resource="companies", record_id=c["id"]))
        self.admin.patch(path, {"name": ""}, headers={"If-Match": "*"})
        self.assertEqual(len(self.entries(resource="companies", record_id=c["id"])), before)

    def test_audit_names_the_request(self):
        resp = self.admin.post("/api/v1/companies", {"name": "Traced"},
                               headers={"X-Request-Id": "trace-4711"})
        rec = self.assertStatus(resp, 201)
        self.assertEqual(resp[1].get("x-request-id"), "trace-4711")
        entries = self.entries(resource="companies", record_id=rec["id"])
        self.assertEqual(entries[0]["request_id"], "trace-4711")
        resp = self.admin.post("/api/v1/companies", {"name": "Traced 2"})
        rec = self.assertStatus(resp, 201)
        entries = self.entries(resource="companies", record_id=rec["id"])
        self.assertEqual(entries[0]["request_id"], resp[1].get("x-request-id"))
        self.assertEqual([e["record_id"] for e in self.entries(request_id=resp[1]["x-request-id"])],
                         [rec["id"]])

    def test_audit_of_other_resources(self):
        c = self.company()
        contact = self.create("contacts", {"company_id": c["id"], "first_name": "Aud",
                                           "last_name": "It"})
        entries = self.entries(resource="contacts", record_id=contact["id"])
        self.assertEqual([e["action"] for e in entries], ["create"])
        self.assertEqual(entries[0]["after"]["company_id"], c["id"])
        self.assertProblem(self.admin.get("/api/v1/audit?bogus=1"), 400)


class RoleTest(ResourceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.server.add_user("tech@example.com", "technician", TECH_PASSWORD, name="Tess Tech")
            cls.server.add_user("manager@example.com", "manager", MANAGER_PASSWORD,
                                name="Max Manager")
            cls.tech = cls.server.client(cls.server.token_for("tech@example.com"))
            cls.manager = cls.server.client(cls.server.token_for("manager@example.com"))
        except BaseException:
            cls.server.stop(check=False)
            raise

    def test_technician(self):
        rec = self.create("companies", {"name": "Tech Made"}, client=self.tech)
        path = "/api/v1/companies/%d" % rec["id"]
        self.assertStatus(self.tech.get(path), 200)
        self.assertStatus(self.tech.get("/api/v1/companies"), 200)
        rec = self.assertStatus(self.tech.patch(path, {"phone": "+1 555 0199"},
                                                headers={"If-Match": '"1"'}), 200)
        self.assertProblem(self.tech.delete(path, headers={"If-Match": '"2"'}), 403,
                           what="technician archives")
        self.assertIsNone(self.assertStatus(self.admin.get(path), 200)["archived_at"])
        self.assertStatus(self.admin.delete(path, headers={"If-Match": '"2"'}), 200)
        self.assertProblem(self.tech.post(path + "/restore"), 403, what="technician restores")
        self.assertProblem(self.tech.get("/api/v1/audit"), 403, what="technician reads audit")
        self.assertProblem(self.tech.get("/api/v1/audit/1"), 403)
        # the audit names the technician as the actor
        entries = self.assertStatus(self.admin.get("/api/v1/audit?" + q(
            {"resource": "companies", "record_id": rec["id"], "action": "create"})), 200)["data"]
        self.assertEqual([e["actor"] for e in entries], ["tech@example.com"])

    def test_manager(self):
        rec = self.create("companies", {"name": "Managed"}, client=self.manager)
        path = "/api/v1/companies/%d" % rec["id"]
        self.assertStatus(self.manager.delete(path, headers={"If-Match": '"1"'}), 200)
        self.assertStatus(self.manager.post(path + "/restore"), 200)
        self.assertStatus(self.manager.get("/api/v1/audit?" + q({"record_id": rec["id"],
                                                                 "resource": "companies"})), 200)


if __name__ == "__main__":
    unittest.main()
