"""
test_pipeline.py - what every request goes through: limits, routing,
content type, JSON parsing, authentication and CSRF, validation, If-Match,
Idempotency-Key, query parameters, security headers, health and metrics,
static files, a burst of concurrent writes, and slow requests beside quick
ones.

Bad input must always be a 4xx RFC 9457 problem, never a 500.
"""

import http.client
import json
import os
import re
import signal
import socket
import threading
import time
import unittest
import urllib.parse

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, Client, Server, ServerTestCase, raw_http,
                     unique, problem_fields)


def named(body, name):
    """Whether a problem names a parameter or field (in errors[] or in detail)."""
    return name in problem_fields(body) or name in str(body.get("detail", ""))


class BodyTest(ServerTestCase):
    """Request bodies: JSON syntax, shape, fields, sizes, content type."""

    def post_raw(self, path, raw, ctype="application/json"):
        return self.admin.request("POST", path, raw=raw, headers={"Content-Type": ctype})

    def test_malformed_json(self):
        for raw in ('{"name": ', "{name: 'x'}", '{"name": "a"} trailing', "{,}",
                    '{"name": "a",}', "\x00", "nul", '{"name": "\\x41"}',
                    b'{"name": "\xff\xfe"}',
                    "[" * 5000 + "]" * 5000):
            with self.subTest(raw=raw[:40]):
                self.assertProblem(self.post_raw("/api/v1/companies", raw), 400)

    def test_body_must_be_an_object(self):
        for raw in ("[]", '[{"name": "x"}]', '"name"', "42", "true", "null"):
            with self.subTest(raw=raw):
                self.assertProblem(self.post_raw("/api/v1/companies", raw), 400)
        c = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Shape Co"}), 201)
        for raw in ("[]", '"x"', "null"):
            with self.subTest(patch=raw):
                self.assertProblem(self.admin.request(
                    "PATCH", "/api/v1/companies/%d" % c["id"], raw=raw,
                    headers={"If-Match": "*"}), 400)

    def test_missing_body(self):
        self.assertProblem(self.post_raw("/api/v1/companies", b""), 400)
        self.assertProblem(self.admin.request("POST", "/api/v1/companies"), (400, 415))

    def test_duplicate_keys(self):
        self.assertProblem(self.post_raw("/api/v1/companies",
                                         '{"name": "One", "name": "Two"}'), 400)

    def test_wrong_types(self):
        cases = [
            ({"name": 5}, "name"),
            ({"name": ["x"]}, "name"),
            ({"name": {"first": "x"}}, "name"),
            ({"name": "X", "kind": 7}, "kind"),
            ({"name": "X", "referred_by_id": "12"}, "referred_by_id"),
            ({"name": "X", "referred_by_id": 1.5}, "referred_by_id"),
            ({"name": "X", "phone": 5550100}, "phone"),
            ({"name": "X", "email": True}, "email"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertProblem(self.admin.post("/api/v1/companies", body), 422, field=field)
        c = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Typed"}), 201)
        self.assertProblem(self.admin.post("/api/v1/contacts", {
            "company_id": c["id"], "first_name": "A", "last_name": "B", "portal_access": 1}),
            422, field="portal_access")

    def test_several_errors_at_once(self):
        body = self.assertProblem(self.admin.post("/api/v1/contacts", {}), 422)
        self.assertEqual(sorted(problem_fields(body)), ["company_id", "first_name", "last_name"])
        for e in body["errors"]:
            self.assertTrue(e.get("message"), e)

    def test_unknown_field(self):
        body = self.assertProblem(self.admin.post("/api/v1/companies", {"name": "X", "nmae": "Y"}),
                                  422, field="nmae")
        self.assertNotIn("name", problem_fields(body))
        c = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Typo Co"}), 201)
        self.assertProblem(self.admin.patch("/api/v1/companies/%d" % c["id"], {"phnoe": "1"},
                                            headers={"If-Match": "*"}), 422, field="phnoe")

    def test_read_only_fields(self):
        for field, value in (("id", 5), ("version", 3), ("created_at", "2020-01-01T00:00:00Z"),
                             ("updated_at", "2020-01-01T00:00:00Z"), ("archived_at", None)):
            with self.subTest(field=field):
                self.assertProblem(self.admin.post("/api/v1/companies",
                                                   {"name": "RO", field: value}), 422,
                                   field=field)
        c = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "RO Co"}), 201)
        for field, value in (("id", c["id"] + 1), ("version", 9)):
            with self.subTest(patch=field):
                self.assertProblem(self.admin.patch("/api/v1/companies/%d" % c["id"],
                                                    {field: value}, headers={"If-Match": "*"}),
                                   422, field=field)

    def test_missing_required(self):
        self.assertProblem(self.admin.post("/api/v1/companies", {"kind": "client"}), 422,
                           field="name")
        self.assertProblem(self.admin.post("/api/v1/companies", {"name": None}), 422,
                           field="name")

    def test_oversized_body(self):
        big = {"name": "Big", "notes": "a" * (1024 * 1024 + 10)}
        self.assertProblem(self.admin.post("/api/v1/companies", big), 413)
        # the same without a Content-Length, chunked: refused for being chunked (411)
        data = json.dumps(big).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 65536]), data[i:i + 65536])
                          for i in range(0, len(data), 65536)) + b"0\r\n\r\n"
        head = ("POST /api/v1/companies HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" % self.admin.token)
        status, headers, _ = raw_http(self.server.port, head.encode() + chunks)
        self.assertEqual(status, 411)
        # just under the limit is fine as far as size goes (notes is capped by validation)
        resp = self.admin.post("/api/v1/companies", {"name": "Big", "notes": "a" * 900000})
        self.assertProblem(resp, 422, field="notes")
        # the server still works
        self.assertStatus(self.admin.get("/api/v1/companies?limit=1"), 200)

    def test_body_size_boundary(self):
        limit = 1024 * 1024
        prefix, suffix = b'{"name": "Edge", "notes": "', b'"}'
        exact = prefix + b"n" * (limit - len(prefix) - len(suffix)) + suffix
        self.assertEqual(len(exact), limit)
        # exactly the limit is read and validated (notes is too long for the field)
        self.assertProblem(self.post_raw("/api/v1/companies", exact), 422, field="notes")
        over = prefix + b"n" * (limit + 1 - len(prefix) - len(suffix)) + suffix
        self.assertProblem(self.post_raw("/api/v1/companies", over), 413)

    def test_expect_continue_too_large(self):
        head = ("POST /api/v1/companies HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
                % (self.admin.token, 50 * 1024 * 1024))
        status, headers, body = raw_http(self.server.port, head.encode())
        self.assertEqual(status, 413, "the body must be refused before it is sent")

    def test_chunked_body_is_refused(self):
        # libmicrohttpd reads chunk sizes itself: a huge one would hold the connection, so
        # no chunked body is taken; a client sends a Content-Length (411 says so)
        data = json.dumps({"name": "Chunked Co"}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 5]), data[i:i + 5])
                          for i in range(0, len(data), 5)) + b"0\r\n\r\n"
        head = ("POST /api/v1/companies HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" % self.admin.token)
        status, headers, body = raw_http(self.server.port, head.encode() + chunks)
        self.assertEqual(status, 411, body)
        self.assertIn("Content-Length", json.loads(body)["detail"])

    def test_keep_alive_after_errors(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        auth = {"Authorization": "Bearer " + self.admin.token,
                "Content-Type": "application/json"}
        try:
            for method, path, body, want in (
                    ("POST", "/api/v1/nope", b'{"name": "x"}', 404),
                    ("PUT", "/api/v1/companies", b'{"name": "x"}', 405),
                    ("POST", "/api/v1/companies", b'{"name": ', 400),
                    ("POST", "/api/v1/companies", b'{"nmae": "x"}', 422),
                    ("POST", "/api/v1/companies", b'{"name": "Kept alive"}', 201),
                    ("GET", "/api/v1/companies?limit=1", None, 200)):
                conn.request(method, path, body=body, headers=auth)
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, want, "%s %s on a kept-alive connection" %
                                 (method, path))
        finally:
            conn.close()

    def test_wrong_content_type(self):
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                      "application/jsonp", "text/json"):
            with self.subTest(ctype=ctype):
                self.assertProblem(self.post_raw("/api/v1/companies", '{"name": "T"}', ctype),
                                   415)
        c = self.assertStatus(self.post_raw("/api/v1/companies", '{"name": "Charset"}',
                                            "application/json; charset=utf-8"), 201)
        self.assertProblem(self.admin.request("PATCH", "/api/v1/companies/%d" % c["id"],
                                              raw='{"name": "x"}',
                                              headers={"Content-Type": "text/plain",
                                                       "If-Match": "*"}), 415)

    def test_merge_patch_content_type(self):
        # RFC 7396's own media type for a JSON merge patch is JSON too
        c = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Merge"}), 201)
        self.assertStatus(self.admin.request("PATCH", "/api/v1/companies/%d" % c["id"],
                                             raw='{"name": "Merged"}',
                                             headers={"Content-Type":
                                                      "application/merge-patch+json",
                                                      "If-Match": "*"}), 200)

    def test_never_a_500(self):
        weird = [
            '{"name": 1e400}', '{"name": "x", "referred_by_id": 99999999999999999999}',
            '{"name": "x", "referred_by_id": -9223372036854775808}',
            '{"name": "x", "referred_by_id": 9223372036854775807}',
            '{"name": "' + "\u00e9" * 300 + '"}', '{"name": "\\ud800"}',
            '{"": ""}', '{"name": "x", "kind": null}', '{"name": "x", "notes": null}',
            '{"name": "\U0001F600 emoji"}', '{"name": "x", "website": "http://"}',
            '{"name": "x", "email": "@"}', '{"name": "x", "email": "a@b"}',
            '{"name": "' + "x" * 70000 + '"}', '{"name": "a\\u0000b"}',
        ]
        for raw in weird:
            for path in ("/api/v1/companies", "/api/v1/contacts", "/api/v1/sites",
                         "/api/v1/assets"):
                status, headers, body = self.admin.request("POST", path, raw=raw)
                self.assertLess(status, 500, "POST %s %r -> %s %r" % (path, raw[:60], status,
                                                                     body))
        for path in ("/api/v1/companies/9223372036854775807",
                     "/api/v1/companies/9223372036854775808", "/api/v1/companies/%00",
                     "/api/v1/companies/%ff", "/api/v1/companies/1%2f2",
                     "/api/v1/companies?q=%00", "/api/v1/companies?q=%ff%fe",
                     "/api/v1/companies?sort=%00", "/api/v1/companies?%zz=1",
                     "/api/v1/companies?cursor=" + "A" * 1000,
                     "/api/v1/companies?id=" + ",".join(["1"] * 60),
                     "/api/v1/companies?created_at_after=2026-13-45",
                     "/api/v1/companies?name=" + "%C3%A9" * 500, "/api/v1/companies?&&&",
                     "/api/v1/companies?=x", "/api/v1/audit?after=1", "/api/v1/audit?id=0"):
            status, headers, body = self.admin.get(path)
            self.assertLess(status, 500, "GET %s -> %s %r" % (path, status, body))
        self.assertStatus(self.admin.get("/healthz"), 200)


class RoutingTest(ServerTestCase):
    """Ids, routes, methods, URL length and query parameters."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status, _, body = cls.admin.post("/api/v1/companies", {"name": "Routing Co"})
        if status != 201:
            cls.server.stop(check=False)
            raise AssertionError("cannot create a company: %s %r" % (status, body))
        cls.company = body

    def test_unknown_ids(self):
        for id_ in ("999999999", "abc", "0", "-1", "01", "1.0", "+1", "1e3", " 1",
                    "99999999999999999999999", "0x10"):
            for name in ("companies", "contacts", "sites", "assets"):
                path = "/api/v1/%s/%s" % (name, urllib.parse.quote(id_))
                with self.subTest(path=path):
                    self.assertProblem(self.admin.get(path), 404)
        self.assertProblem(self.admin.patch("/api/v1/companies/999999999", {"name": "x"},
                                            headers={"If-Match": "*"}), 404)
        self.assertProblem(self.admin.delete("/api/v1/companies/abc",
                                             headers={"If-Match": "*"}), 404)
        # an id of another resource is not found either
        self.assertProblem(self.admin.get("/api/v1/contacts/%d" % self.company["id"]), 404)

    def test_unknown_routes(self):
        for path in ("/api/v1/nope", "/api/v1/companies/1/nope", "/api/v2/companies",
                     "/api/v1", "/api/v1/", "/api", "/api/v1/companies/1/restore/x"):
            with self.subTest(path=path):
                resp = self.admin.get(path)
                self.assertProblem(resp, 404)

    def test_wrong_method(self):
        cases = [
            ("PUT", "/api/v1/companies", {"GET", "POST"}),
            ("DELETE", "/api/v1/companies", {"GET", "POST"}),
            ("PUT", "/api/v1/companies/%d" % self.company["id"], {"GET", "PATCH", "DELETE"}),
            ("POST", "/api/v1/companies/%d" % self.company["id"], {"GET", "PATCH", "DELETE"}),
            ("GET", "/api/v1/companies/%d/restore" % self.company["id"], {"POST"}),
            ("POST", "/healthz", {"GET"}),
        ]
        for method, path, allowed in cases:
            with self.subTest(method=method, path=path):
                resp = self.admin.request(method, path, body={"name": "x"})
                self.assertProblem(resp, 405)
                allow = {m.strip() for m in resp[1].get("allow", "").split(",") if m.strip()}
                self.assertTrue(allowed <= allow, "Allow %r lacks %r" % (allow, allowed))
                self.assertNotIn(method, allow)

    def test_huge_url(self):
        self.assertProblem(self.admin.get("/api/v1/companies?q=" + "a" * 9000), 414)
        self.assertProblem(self.admin.get("/api/v1/" + "a" * 9000), 414)
        status, headers, _ = raw_http(self.server.port, (
            "GET /api/v1/companies?name=%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            % ("b" * 20000)).encode())
        self.assertIn(status, (414, 431, 400), "20 kB URL")
        # just under the limit is served
        self.assertStatus(self.admin.get("/api/v1/companies?name=" + "c" * 7000), 200)

    def test_url_length_boundary(self):
        base = "/api/v1/companies?name="
        self.assertStatus(self.admin.get(base + "u" * (8192 - len(base))), 200, "8192 bytes")
        self.assertProblem(self.admin.get(base + "u" * (8193 - len(base))), 414)

    def test_query_parameters_outside_lists(self):
        # routes that take no query parameters refuse them like a list refuses
        # an unknown one: a typo ("?fields=", "?expand=") is never ignored silently
        c = self.company
        for method, path, body in (("GET", "/api/v1/companies/%d?bogus=1" % c["id"], None),
                                   ("POST", "/api/v1/companies?bogus=1", {"name": "Q"}),
                                   ("PATCH", "/api/v1/companies/%d?bogus=1" % c["id"], {})):
            with self.subTest(method=method, path=path):
                body = self.assertProblem(self.admin.request(method, path, body=body,
                                                             headers={"If-Match": "*"}), 400)
                self.assertTrue(named(body, "bogus"), body)

    def test_if_match_list(self):
        c = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "List Co"}), 201)
        path = "/api/v1/companies/%d" % c["id"]
        # RFC 9110 13.1.1: If-Match is a list; it matches when any entity-tag does
        rec = self.assertStatus(self.admin.patch(path, {"name": "Listed"},
                                                 headers={"If-Match": '"7", "1"'}), 200)
        self.assertEqual(rec["version"], 2)
        self.assertProblem(self.admin.patch(path, {"name": "x"},
                                            headers={"If-Match": '"7", "1"'}), 412)

    def test_head(self):
        for path in ("/healthz", "/api/v1/companies", "/"):
            with self.subTest(path=path):
                status, headers, body = self.admin.request("HEAD", path)
                self.assertEqual(status, 200)
                self.assertEqual(body, "")

    def test_unknown_query_parameter(self):
        for param in ("bogus", "Name", "nmae", "phone", "notes", "limit_", "archived_at"):
            with self.subTest(param=param):
                body = self.assertProblem(self.admin.get("/api/v1/companies?%s=1" % param), 400)
                self.assertTrue(named(body, param), "the problem does not name %r: %r" %
                                (param, body))
        self.assertProblem(self.admin.get("/api/v1/companies?kind=client&kind=vendor"), 400)

    def test_bad_limit_and_cursor(self):
        for limit in ("0", "-5", "abc", "201", "1e2"):
            self.assertProblem(self.admin.get("/api/v1/companies?limit=" + limit), 400)
        for cursor in ("!!!", "abc", "AAAA", "not-a-cursor", "%20", "eyJpZCI6MX0"):
            with self.subTest(cursor=cursor):
                self.assertProblem(self.admin.get("/api/v1/companies?cursor=" + cursor), 400)

    def test_if_match(self):
        c = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Match Co"}), 201)
        path = "/api/v1/companies/%d" % c["id"]
        self.assertProblem(self.admin.patch(path, {"name": "No header"}), 428)
        self.assertProblem(self.admin.patch(path, {"name": "Stale"}, headers={"If-Match": '"2"'}),
                           412)
        self.assertProblem(self.admin.patch(path, {"name": "Junk"}, headers={"If-Match": "junk"}),
                           412)
        rec = self.assertStatus(self.admin.patch(path, {"name": "Current"},
                                                 headers={"If-Match": '"1"'}), 200)
        self.assertEqual(rec["version"], 2)
        rec = self.assertStatus(self.admin.patch(path, {"name": "Star"},
                                                 headers={"If-Match": "*"}), 200)
        self.assertEqual(rec["version"], 3)
        self.assertEqual(rec["name"], "Star")
        self.assertProblem(self.admin.patch(path, {"name": "Stale"}, headers={"If-Match": '"2"'}),
                           412)
        self.assertEqual(self.assertStatus(self.admin.get(path), 200)["name"], "Star")


class IdempotencyTest(ServerTestCase):

    def test_replay(self):
        tag = unique("idem")
        key = unique("key-")
        body = {"name": "Idempotent Co", "lead_source": tag}
        first = self.admin.post("/api/v1/companies", body, headers={"Idempotency-Key": key})
        rec = self.assertStatus(first, 201)
        self.assertNotEqual(first[1].get("idempotent-replayed"), "true")
        second = self.admin.post("/api/v1/companies", body, headers={"Idempotency-Key": key})
        again = self.assertStatus(second, 201, "replay")
        self.assertEqual(again, rec)
        self.assertEqual(second[1].get("idempotent-replayed"), "true")
        self.assertEqual(second[1].get("location"), first[1].get("location"))
        self.assertTrue(second[1].get("content-type", "").startswith("application/json"))
        listed = self.assertStatus(self.admin.get("/api/v1/companies?lead_source=" + tag),
                                   200)["data"]
        self.assertEqual([r["id"] for r in listed], [rec["id"]], "one record, not two")

        # the same key for another body is an error, not a replay
        other = dict(body, name="Another Co")
        self.assertProblem(self.admin.post("/api/v1/companies", other,
                                           headers={"Idempotency-Key": key}), 422)
        # or for another path
        self.assertProblem(self.admin.post("/api/v1/sites", body,
                                           headers={"Idempotency-Key": key}), 422)
        listed = self.assertStatus(self.admin.get("/api/v1/companies?lead_source=" + tag),
                                   200)["data"]
        self.assertEqual(len(listed), 1)

        # a new key makes a new record
        third = self.assertStatus(self.admin.post("/api/v1/companies", body,
                                                  headers={"Idempotency-Key": unique("k")}), 201)
        self.assertNotEqual(third["id"], rec["id"])

    def test_concurrent_retries(self):
        tag = unique("idc")
        key = unique("conc-")
        results = []
        lock = threading.Lock()
        start = threading.Barrier(6)

        def work():
            start.wait()
            r = self.admin.post("/api/v1/companies", {"name": "Concurrent", "lead_source": tag},
                                headers={"Idempotency-Key": key})
            with lock:
                results.append(r)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        statuses = sorted(r[0] for r in results)
        self.assertTrue(set(statuses) <= {201, 409}, statuses)
        ids = {r[2]["id"] for r in results if r[0] == 201}
        self.assertEqual(len(ids), 1, results)
        for r in results:
            if r[0] == 409:
                self.assertProblem(r, 409)
        listed = self.assertStatus(self.admin.get("/api/v1/companies?lead_source=" + tag),
                                   200)["data"]
        self.assertEqual(len(listed), 1)

    def test_failed_validation_is_replayed_too(self):
        key = unique("bad-")
        body = {"nmae": "typo"}
        a = self.admin.post("/api/v1/companies", body, headers={"Idempotency-Key": key})
        b = self.admin.post("/api/v1/companies", body, headers={"Idempotency-Key": key})
        self.assertProblem(a, 422, field="nmae")
        self.assertEqual(b[0], 422)
        self.assertEqual(b[2], a[2])

    def test_keys_are_per_user(self):
        key = unique("shared-")
        self.server.add_user("other@example.com", "sales", "Sidekick-Pass-For-Tests-0nly-55!")
        other = self.server.client(self.server.token_for("other@example.com"))
        a = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Mine"},
                                              headers={"Idempotency-Key": key}), 201)
        b = self.assertStatus(other.post("/api/v1/companies", {"name": "Theirs"},
                                         headers={"Idempotency-Key": key}), 201)
        self.assertNotEqual(a["id"], b["id"])

    def test_bad_key(self):
        self.assertProblem(self.admin.post("/api/v1/companies", {"name": "K"},
                                           headers={"Idempotency-Key": "x" * 300}), 400)


class AuthTest(ServerTestCase):
    """Credentials and CSRF as the pipeline applies them to any route."""

    def anon(self):
        return Client(self.server.port)

    def test_no_credentials(self):
        anon = self.anon()
        for method, path in (("GET", "/api/v1/companies"), ("POST", "/api/v1/companies"),
                             ("GET", "/api/v1/companies/1"), ("GET", "/api/v1/audit"),
                             ("PATCH", "/api/v1/companies/1"),
                             ("DELETE", "/api/v1/companies/1")):
            with self.subTest(method=method, path=path):
                self.assertProblem(anon.request(method, path, body={"name": "x"},
                                                headers={"If-Match": "*"}), 401)

    def test_bad_bearer_token(self):
        for value in ("Bearer svo_" + "0" * 43, "Bearer nonsense", "Bearer ", "Bearer",
                      "Basic YWRtaW46YWRtaW4=", "bearer " + "svo_x", self.admin.token,
                      "Bearer " + self.admin.token + "x", "Bearer " + self.admin.token[:-1]):
            with self.subTest(value=value[:20]):
                resp = self.anon().get("/api/v1/companies", headers={"Authorization": value})
                self.assertProblem(resp, 401)

    def test_bearer_needs_no_csrf(self):
        self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Bearer Co"}), 201)

    def test_session_and_csrf(self):
        s = Client(self.server.port)
        status, headers, body = s.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.assertTrue(s.csrf, "login returned no csrf_token: %r" % body)
        # GET needs no CSRF token
        self.assertStatus(s.get("/api/v1/companies", headers={"X-CSRF-Token": None}), 200)
        # unsafe methods do
        self.assertProblem(s.post("/api/v1/companies", {"name": "No CSRF"},
                                  headers={"X-CSRF-Token": None}), 403, what="no CSRF token")
        self.assertProblem(s.post("/api/v1/companies", {"name": "Bad CSRF"},
                                  headers={"X-CSRF-Token": "wrong"}), 403, what="wrong token")
        self.assertProblem(s.post("/api/v1/companies", {"name": "Bad CSRF"},
                                  headers={"X-CSRF-Token": s.csrf[:-1]}), 403)
        self.assertProblem(s.post("/api/v1/companies", {"name": "Empty CSRF"},
                                  headers={"X-CSRF-Token": ""}), 403)
        rec = self.assertStatus(s.post("/api/v1/companies", {"name": "With CSRF"}), 201)
        path = "/api/v1/companies/%d" % rec["id"]
        self.assertProblem(s.patch(path, {"name": "x"}, headers={"If-Match": "*",
                                                                  "X-CSRF-Token": None}), 403)
        self.assertProblem(s.delete(path, headers={"If-Match": "*", "X-CSRF-Token": "nope"}),
                           403)
        self.assertProblem(s.post(path + "/restore", headers={"X-CSRF-Token": None}), 403)
        self.assertStatus(s.patch(path, {"name": "Patched via session"},
                                  headers={"If-Match": "*"}), 200)
        # nothing slipped through
        names = [r["name"] for r in self.assertStatus(self.admin.get(
            "/api/v1/companies?limit=200"), 200)["data"]]
        for refused in ("No CSRF", "Bad CSRF", "Empty CSRF"):
            self.assertNotIn(refused, names)
        # a forged cookie is no session
        forged = Client(self.server.port)
        forged.session, forged.csrf = "f" * 43, s.csrf
        self.assertProblem(forged.get("/api/v1/companies"), 401)


class HeadersTest(ServerTestCase):
    """Security headers, request ids, health, metrics and static files."""

    def check_security_headers(self, resp, what):
        status, headers, _ = resp
        self.assertTrue(headers.get("x-request-id"), "%s (%s): no X-Request-Id" % (what, status))
        self.assertEqual(headers.get("x-content-type-options"), "nosniff", what)
        self.assertEqual(headers.get("x-frame-options", "").upper(), "DENY", what)
        self.assertTrue(headers.get("content-security-policy"), "%s: no CSP" % what)

    def test_security_headers_everywhere(self):
        anon = Client(self.server.port)
        rec = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Hdr"}), 201)
        cases = [
            ("list", self.admin.get("/api/v1/companies")),
            ("create", self.admin.post("/api/v1/companies", {"name": "Hdr 2"})),
            ("get", self.admin.get("/api/v1/companies/%d" % rec["id"])),
            ("404", self.admin.get("/api/v1/companies/999999999")),
            ("unknown route", self.admin.get("/api/v1/nope")),
            ("401", anon.get("/api/v1/companies")),
            ("405", self.admin.request("PUT", "/api/v1/companies")),
            ("400", self.admin.get("/api/v1/companies?bogus=1")),
            ("422", self.admin.post("/api/v1/companies", {})),
            ("415", self.admin.request("POST", "/api/v1/companies", raw="{}",
                                       headers={"Content-Type": "text/plain"})),
            ("413", self.admin.post("/api/v1/companies", {"notes": "n" * (1 << 21)})),
            ("414", self.admin.get("/api/v1/companies?q=" + "q" * 9000)),
            ("healthz", anon.get("/healthz")),
            ("metrics", anon.get("/metrics")),
            ("index", anon.get("/")),
            ("spa", anon.get("/tickets/12")),
            ("login failure", anon.post("/api/v1/auth/login", {"email": "nobody@example.com",
                                                               "password": "wrong-password"})),
        ]
        ids = set()
        for what, resp in cases:
            with self.subTest(what=what):
                self.assertLess(resp[0], 500, what)
                self.check_security_headers(resp, what)
                ids.add(resp[1].get("x-request-id"))
        self.assertEqual(len(ids), len(cases), "request ids must differ")

    def test_problem_documents(self):
        body = self.assertProblem(self.admin.get("/api/v1/companies/999999999"), 404)
        self.assertIsInstance(body["type"], str)
        self.assertTrue(body["type"])
        self.assertEqual(body["title"], "Not Found")

    def test_healthz(self):
        resp = Client(self.server.port).get("/healthz")
        body = self.assertStatus(resp, 200)
        self.assertEqual(body.get("status"), "ok")
        self.assertTrue(resp[1].get("content-type", "").startswith("application/json"))

    def test_metrics(self):
        rec = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Metered"}), 201)
        self.assertStatus(self.admin.get("/api/v1/companies/%d" % rec["id"]), 200)
        self.admin.get("/api/v1/companies/999999999")
        # a request is counted when its connection completes, which may be a
        # moment after the client has read the reply: scrape until it shows
        deadline = time.monotonic() + 10
        while True:
            resp = Client(self.server.port).get("/metrics")
            text = self.assertStatus(resp, 200)
            if 'route="/api/v1/companies/:id"' in text or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertIsInstance(text, str)
        self.assertTrue(resp[1].get("content-type", "").startswith("text/plain"))
        self.assertRegex(text, r'servio_http_requests_total\{[^}]*route="[^"]+"[^}]*\} \d+')
        self.assertRegex(text, r'route="/api/v1/companies/:id"',
                         "the route label is the pattern, not the path")
        self.assertNotIn('route="/api/v1/companies/%d"' % rec["id"], text,
                         "a route label per id would grow without bound")
        self.assertNotIn("999999999", text)

    def test_static_files(self):
        with open(os.path.join(self.server.web_root, "app.js"), "w") as f:
            f.write("console.log('servio-test-js');\n")
        os.makedirs(os.path.join(self.server.web_root, "assets"), exist_ok=True)
        with open(os.path.join(self.server.web_root, "assets", "style.css"), "w") as f:
            f.write("body{color:#123}\n")
        anon = Client(self.server.port)
        for path in ("/", "/index.html", "/some/app/route", "/tickets/123?tab=notes"):
            with self.subTest(path=path):
                status, headers, body = anon.get(path)
                self.assertEqual(status, 200, path)
                self.assertTrue(headers.get("content-type", "").startswith("text/html"), headers)
                self.assertIn("servio-test-index", body)
        status, headers, body = anon.get("/app.js")
        self.assertEqual(status, 200)
        self.assertIn("javascript", headers.get("content-type", ""))
        self.assertIn("servio-test-js", body)
        status, headers, body = anon.get("/assets/style.css")
        self.assertEqual(status, 200)
        self.assertIn("text/css", headers.get("content-type", ""))
        # the API never falls back to the UI
        resp = anon.get("/api/v1/no-such-thing")
        self.assertNotIn("servio-test-index", str(resp[2]))
        self.assertIn(resp[0], (401, 404))

    def test_path_traversal(self):
        secret = os.path.join(self.server.dir, "secret.txt")
        with open(secret, "w") as f:
            f.write("servio-test-secret\n")
        for path in ("/../etc/passwd", "/../../../../etc/passwd", "/..%2f..%2fetc%2fpasswd",
                     "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../secret.txt", "/../secret.txt",
                     "/%2e%2e/secret.txt", "/..%5csecret.txt", "//etc/passwd",
                     "/.%2e/secret.txt", "/index.html%00.js", "/%c0%ae%c0%ae/secret.txt"):
            with self.subTest(path=path):
                status, headers, body = raw_http(self.server.port, (
                    "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path
                ).encode())
                self.assertIsNotNone(status, "no reply for " + path)
                self.assertLess(status, 500, path)
                self.assertNotIn("root:", body)
                self.assertNotIn("servio-test-secret", body)
                if status == 200:
                    # only the SPA's index may come back
                    self.assertIn("servio-test-index", body, path)


class ConcurrencyTest(ServerTestCase):

    def test_parallel_creates(self):
        tag = unique("par")
        results, errors = [], []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def work(n):
            start.wait()
            for i in range(20):
                try:
                    status, _, body = self.admin.post("/api/v1/companies", {
                        "name": "Parallel %d-%d" % (n, i), "lead_source": tag})
                except Exception as e:  # a dropped connection is a failure too
                    status, body = None, repr(e)
                with lock:
                    if status == 201:
                        results.append(body["id"])
                    else:
                        errors.append((status, body))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        self.assertEqual(errors, [], "failed creates (server log:\n%s)" %
                         self.server.log_text(20))
        self.assertEqual(len(results), 160)
        self.assertEqual(len(set(results)), 160, "ids must be distinct")
        listed, cursor = [], None
        while True:
            url = "/api/v1/companies?lead_source=%s&limit=200" % tag
            page = self.assertStatus(self.admin.get(url + ("&cursor=" + cursor if cursor
                                                           else "")), 200)
            listed += [r["id"] for r in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(sorted(listed), sorted(results))

    def test_parallel_updates_of_one_record(self):
        rec = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Contended"}), 201)
        path = "/api/v1/companies/%d" % rec["id"]
        statuses = []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def work(n):
            start.wait()
            status = self.admin.patch(path, {"phone": "+1 555 %04d" % n},
                                      headers={"If-Match": '"1"'})[0]
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        # optimistic concurrency: exactly one writer wins with version 1
        self.assertEqual(sorted(statuses), [200] + [412] * 7, statuses)
        self.assertEqual(self.assertStatus(self.admin.get(path), 200)["version"], 2)


class SlowRequestTest(unittest.TestCase):
    """
    A slow request runs on the slow threads, not on the HTTP thread that
    serves other connections: with one HTTP thread, a mail test waiting on
    an SMTP server that never answers leaves every other request served.
    """

    def hold_mail_test(self, server):
        """
        A mail test on server, held by an SMTP server that accepts and says
        nothing: (its connection, the thread waiting for the reply, the
        replies list the thread fills). Closing the connection ends it.
        """
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        silent.settimeout(60)
        self.addCleanup(silent.close)
        admin = server.admin()
        status, headers, _ = admin.get("/api/v1/settings")
        self.assertEqual(admin.patch("/api/v1/settings", {
            "mail_from": "support@firm.example", "smtp_host": "127.0.0.1",
            "smtp_port": silent.getsockname()[1], "smtp_security": "none"},
            headers={"If-Match": headers["etag"]})[0], 200)
        replies = []
        waiting = threading.Thread(target=lambda: replies.append(admin.post(
            "/api/v1/settings/mail-test", {"to": "it@firm.example"}, timeout=120)))
        waiting.start()
        try:
            conn, _ = silent.accept()   # the mail test waits for the greeting now
        except BaseException:
            waiting.join(130)
            raise
        return conn, waiting, replies

    def assertNotSent(self, replies):
        """The mail test's reply: answered, and the message not sent."""
        status, _, body = replies[0]
        self.assertEqual(status, 200, body)
        self.assertFalse(body["sent"], body)
        return body

    def test_a_waiting_request_does_not_hold_the_others(self):
        with Server(serve_args=["--threads", "1"]) as server:
            admin = server.admin()
            conn, waiting, replies = self.hold_mail_test(server)
            try:
                # the one HTTP thread goes on serving: a read, a write, a sign-in
                self.assertEqual(admin.get("/api/v1/me", timeout=30)[0], 200)
                self.assertEqual(admin.post("/api/v1/companies", {"name": unique("Slow")},
                                            timeout=30)[0], 201)
                Client(server.port).login(ADMIN_EMAIL, ADMIN_PASSWORD)
                self.assertEqual(replies, [], "the mail test ended before the SMTP server "
                                              "said a word")
            finally:
                conn.close()
                waiting.join(130)
            body = self.assertNotSent(replies)
            self.assertTrue(body["detail"], body)

    def test_a_stopping_server_answers_its_waiting_request(self):
        server = Server(serve_args=["--threads", "1"]).start()
        try:
            conn, waiting, replies = self.hold_mail_test(server)
            # asked to stop while the request waits on a slow thread: it waits for it
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            self.assertIsNone(server.proc.poll(), "the server stopped before its request ended")
            conn.close()
            waiting.join(130)
            self.assertNotSent(replies)
            server.proc.wait(60)
        finally:
            server.stop(check=True)    # exited 0, no sanitizer report


if __name__ == "__main__":
    unittest.main()
