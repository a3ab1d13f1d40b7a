"""
test_parity.py - the same calls on SQLite and on PostgreSQL give the same
answers. Two servers, one per backend, receive an identical script of
requests (creates, updates, archives, lists with filters, sorts, search and
paging, bad input, the audit log); every response's status and JSON must
match once the values that are meant to differ (timestamps, request ids,
cursors, which embed timestamps) are masked.

Runs in the PostgreSQL pass of the suite (it needs the throwaway server).
"""

import unittest

import harness
from harness import Server

TIME_KEYS = {"created_at", "updated_at", "archived_at", "at", "request_id"}
RANDOM_KEYS = {"prefix"}  # an API token's display prefix


def mask(value):
    """Masks what legitimately differs between two runs: times, ids of requests, cursors."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in TIME_KEYS:
                out[k] = "<set>" if v is not None else None
            elif k in RANDOM_KEYS:
                out[k] = "<random>"
            elif k == "next_cursor":
                out[k] = "<cursor>" if v is not None else None
            elif k == "detail" and isinstance(v, str) and "request id" in v:
                out[k] = "<internal error>"
            else:
                out[k] = mask(v)
        return out
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def start(backend):
    """A server on the given backend, whatever this run's default is."""
    saved = harness.BACKEND
    harness.BACKEND = backend
    try:
        srv = Server()
        srv.start()
    finally:
        harness.BACKEND = saved
    return srv


@unittest.skipUnless(harness.BACKEND == "postgres", "needs the throwaway PostgreSQL")
class ParityTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.servers = {}
        try:
            for backend in ("sqlite", "postgres"):
                cls.servers[backend] = start(backend)
        except BaseException:
            for srv in cls.servers.values():
                srv.stop(check=False)
            raise
        cls.clients = {b: s.admin() for b, s in cls.servers.items()}

    @classmethod
    def tearDownClass(cls):
        for srv in cls.servers.values():
            srv.stop(check=True)

    def both(self, method, path, body=None, headers=None, what=None):
        """Sends one request to both servers; asserts equal status and masked JSON."""
        answers = {}
        for backend, client in self.clients.items():
            status, hdrs, payload = client.request(method, path, body, headers=headers)
            answers[backend] = (status, hdrs, payload)
        (s1, h1, b1), (s2, h2, b2) = answers["sqlite"], answers["postgres"]
        label = what or "%s %s" % (method, path)
        self.assertLess(s1, 500, "%s: sqlite answered %s: %r" % (label, s1, b1))
        self.assertEqual(s1, s2, "%s: status differs: sqlite %s %r, postgres %s %r"
                         % (label, s1, b1, s2, b2))
        self.assertEqual(mask(b1), mask(b2), "%s: body differs" % label)
        self.assertEqual(h1.get("etag"), h2.get("etag"), "%s: ETag differs" % label)
        return s1, b1

    def test_a_script_of_calls(self):
        names = ["Acme Printing", "acme printing", "Zeta Networks", "Beta Security",
                 "Alpha & Omega IT", "Ünicode Systems", "ångström labs", "Café Copiers",
                 "Northwind", "northwind traders", "O'Brien Telecom", "100 Percent IT",
                 "a", "Z", "Mid Co"]
        kinds = ["client", "prospect", "partner", "vendor"]
        ids = []
        for i, name in enumerate(names):
            body = {"name": name, "kind": kinds[i % 4],
                    "email": "info%d@example.com" % i if i % 3 else None,
                    "lead_source": ["web", "referral", None][i % 3]}
            if i > 4:
                body["referred_by_id"] = ids[i % 5]
            status, rec = self.both("POST", "/api/v1/companies", body)
            self.assertEqual(status, 201)
            ids.append(rec["id"])
        for i, cid in enumerate(ids[:6]):
            status, site = self.both("POST", "/api/v1/sites",
                                     {"company_id": cid, "name": "Site %d" % i,
                                      "city": ["Berlin", "Austin", None][i % 3],
                                      "timezone": "Europe/Berlin"})
            self.both("POST", "/api/v1/contacts",
                      {"company_id": cid, "first_name": "Pat", "last_name": "Lee %d" % i,
                       "email": "pat%d@example.com" % i, "portal_access": i % 2 == 0})
            self.both("POST", "/api/v1/assets",
                      {"company_id": cid, "site_id": site["id"], "name": "Printer %d" % i,
                       "kind": "printer", "serial_number": "SN-%04d" % i,
                       "warranty_expires_on": "2027-0%d-15" % (i % 9 + 1)})

        # updates, archive, restore, with the ETags both hand out
        self.both("PATCH", "/api/v1/companies/%d" % ids[0], {"phone": "+1 555 0100"},
                  headers={"If-Match": '"1"'})
        self.both("PATCH", "/api/v1/companies/%d" % ids[0], {"phone": None},
                  headers={"If-Match": '"2"'})
        self.both("PATCH", "/api/v1/companies/%d" % ids[1], {"name": "x"},
                  headers={"If-Match": '"9"'}, what="stale If-Match")
        self.both("DELETE", "/api/v1/companies/%d" % ids[2], headers={"If-Match": '"1"'})
        self.both("POST", "/api/v1/companies/%d/restore" % ids[2])
        self.both("DELETE", "/api/v1/companies/%d" % ids[3], headers={"If-Match": "*"})

        # reads: filters, sorts, search, paging
        lists = [
            "/api/v1/companies", "/api/v1/companies?sort=-name", "/api/v1/companies?sort=id",
            "/api/v1/companies?sort=-id&limit=4", "/api/v1/companies?sort=lead_source",
            "/api/v1/companies?sort=-lead_source&limit=3", "/api/v1/companies?kind=client,vendor",
            "/api/v1/companies?archived=true", "/api/v1/companies?archived=all&sort=kind",
            "/api/v1/companies?referred_by_id=%d" % ids[0], "/api/v1/companies?q=acme",
            "/api/v1/companies?q=north", "/api/v1/companies?q=printing%20acme",
            "/api/v1/companies?q=zzzz", "/api/v1/companies?q=cafe",
            "/api/v1/companies?q=%C3%BCnicode", "/api/v1/companies?q=unicode", "/api/v1/companies?q=%21%21",
            "/api/v1/companies?email=info1@example.com",
            "/api/v1/contacts?company_id=%d" % ids[1], "/api/v1/contacts?portal_access=true",
            "/api/v1/sites?city=Berlin", "/api/v1/sites?sort=-city",
            "/api/v1/assets?warranty_expires_on_after=2027-03-01&sort=warranty_expires_on",
            "/api/v1/assets?kind=printer&sort=-name", "/api/v1/assets?q=sn",
            "/api/v1/audit?resource=companies&limit=50", "/api/v1/audit?action=archive",
        ]
        for path in lists:
            self.both("GET", path)
        # walk a whole sort by cursor on both: the same records in the same order
        for sort in ("name", "-name", "lead_source", "-created_at"):
            seen = {}
            for backend, client in self.clients.items():
                path, order = "/api/v1/companies?archived=all&limit=2&sort=" + sort, []
                for _ in range(50):
                    status, headers, body = client.get(path)
                    self.assertEqual(status, 200, body)
                    order += [r["id"] for r in body["data"]]
                    if not body["next_cursor"]:
                        break
                    path = ("/api/v1/companies?archived=all&limit=2&sort=%s&cursor=%s"
                            % (sort, body["next_cursor"]))
                seen[backend] = order
            self.assertEqual(seen["sqlite"], seen["postgres"], "paging by %s differs" % sort)
            self.assertEqual(sorted(seen["sqlite"]), sorted(ids), "paging by %s loses rows" % sort)

        # bad input answers alike
        for path, body in [
            ("/api/v1/companies", {"name": ""}),
            ("/api/v1/companies", {"name": "x", "kind": "alien"}),
            ("/api/v1/companies", {"name": "x", "bogus": 1}),
            ("/api/v1/contacts", {"company_id": 999999, "first_name": "a", "last_name": "b"}),
            ("/api/v1/contacts", {"company_id": ids[3], "first_name": "a", "last_name": "b"}),
            ("/api/v1/assets", {"company_id": ids[0], "site_id": 999999, "name": "n",
                                "kind": "server"}),
        ]:
            self.both("POST", path, body)
        for path in ["/api/v1/companies?kind=alien", "/api/v1/companies?sort=phone",
                     "/api/v1/companies?limit=0", "/api/v1/companies?cursor=bogus",
                     "/api/v1/companies/999999", "/api/v1/companies?q=%ff"]:
            self.both("GET", path)

        # and the audit trail of all of it
        self.both("GET", "/api/v1/audit?limit=200")


if __name__ == "__main__":
    unittest.main()
