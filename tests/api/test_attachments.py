"""
test_attachments.py - files on tickets through HTTP: multipart uploads of
one and several files, byte-identical downloads with their safety headers,
one stored file for the same content, the size limit, the type allow-list
and sniffing, malformed bodies, who may upload and archive, notes of the
ticket, archiving, the audit log; and servio backup carrying the files.
"""

import http.client
import os
import secrets
import struct
import unittest
import urllib.parse
import zlib

from harness import ServerTestCase, unique

TECH_PASSWORD = "Tech-Pass-For-Tests-0nly-91!"
BILLING_PASSWORD = "Billing-Pass-For-Tests-0nly-44!"
LIMIT = 25 * 1024 * 1024


def png(width=2, height=2, seed=0):
    """A real PNG image (grey pixels), different per seed."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + bytes([(seed + x) % 256 for x in range(width)])
                   for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def multipart(files, fields=None, boundary=None):
    """(body, content type) for files [(name, filename, type, bytes)] and fields {name: value}."""
    boundary = boundary or "----servio" + secrets.token_hex(8)
    out = []
    for name, value in (fields or {}).items():
        out.append(b"--" + boundary.encode() + b"\r\n")
        out.append(b'Content-Disposition: form-data; name="%s"\r\n\r\n' % name.encode())
        out.append(str(value).encode() + b"\r\n")
    for name, filename, ctype, data in files:
        out.append(b"--" + boundary.encode() + b"\r\n")
        out.append(b'Content-Disposition: form-data; name="%s"; filename="%s"\r\n'
                   % (name.encode(), filename.encode()))
        if ctype:
            out.append(b"Content-Type: %s\r\n" % ctype.encode())
        out.append(b"\r\n" + data + b"\r\n")
    out.append(b"--" + boundary.encode() + b"--\r\n")
    return b"".join(out), "multipart/form-data; boundary=" + boundary


class AttachmentCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech_email = unique("tech") + "@example.com"
        cls.server.add_user(cls.tech_email, "technician", TECH_PASSWORD)
        cls.tech = cls.server.client(cls.server.token_for(cls.tech_email))
        cls.billing_email = unique("billing") + "@example.com"
        cls.server.add_user(cls.billing_email, "billing", BILLING_PASSWORD)
        cls.billing = cls.server.client(cls.server.token_for(cls.billing_email))
        status, _, company = cls.admin.post("/api/v1/companies", {"name": unique("Client ")})
        assert status == 201, company
        cls.company_id = company["id"]

    def ticket(self):
        resp = self.admin.post("/api/v1/tickets", {"subject": unique("Scanner "),
                                                   "company_id": self.company_id})
        return self.assertStatus(resp, 201, "create ticket")

    def upload(self, ticket_id, files, fields=None, client=None, boundary=None):
        body, ctype = multipart(files, fields, boundary)
        return (client or self.admin).post("/api/v1/tickets/%d/attachments" % ticket_id,
                                           raw=body, headers={"Content-Type": ctype})

    def download(self, att_id, query="", client=None, headers=None):
        """GET …/content as raw bytes: (status, headers, bytes)."""
        c = client or self.admin
        hdrs = {"Authorization": "Bearer " + c.token}
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection(c.host, c.port, timeout=60)
        try:
            conn.request("GET", "/api/v1/attachments/%d/content%s" % (att_id, query),
                         headers=hdrs)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def blob_count(self):
        root = os.path.join(self.server.dir, "attachments")
        n = 0
        for d in os.listdir(root) if os.path.isdir(root) else []:
            if len(d) == 2:
                n += len(os.listdir(os.path.join(root, d)))
        return n


class TestUploadDownload(AttachmentCase):

    def test_upload_one_and_download_it_byte_for_byte(self):
        t = self.ticket()
        data = b"line one\r\nline two\x00\xff binary tail\r\n--not-a-boundary\r\n"
        body = self.assertStatus(self.upload(t["id"], [("file", "notes.txt", "text/plain",
                                                         data)]), 201, "upload")
        self.assertEqual(len(body["data"]), 1)
        att = body["data"][0]
        self.assertEqual(att["ticket_id"], t["id"])
        self.assertEqual(att["filename"], "notes.txt")
        self.assertEqual(att["content_type"], "text/plain")
        self.assertEqual(att["size"], len(data))
        self.assertIsNone(att["note_id"])
        import hashlib
        self.assertEqual(att["sha256"], hashlib.sha256(data).hexdigest())
        status, headers, got = self.download(att["id"])
        self.assertEqual(status, 200)
        self.assertEqual(got, data)
        self.assertEqual(headers["content-type"], "text/plain")
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertEqual(headers["content-disposition"],
                         "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt")
        self.assertEqual(headers["etag"], '"%s"' % att["sha256"])
        self.assertIn("sandbox", headers["content-security-policy"])
        # the metadata route and the ticket's list
        got = self.assertStatus(self.admin.get("/api/v1/attachments/%d" % att["id"]), 200)
        self.assertEqual(got["sha256"], att["sha256"])
        listed = self.assertStatus(self.admin.get("/api/v1/tickets/%d/attachments" % t["id"]),
                                   200)
        self.assertEqual([a["id"] for a in listed["data"]], [att["id"]])
        # a revalidation by ETag sends nothing again
        status, _, got = self.download(att["id"], headers={"If-None-Match": headers["etag"]})
        self.assertEqual((status, got), (304, b""))

    def test_several_files_in_one_upload(self):
        t = self.ticket()
        files = [("file", "a.png", "image/png", png(seed=1)),
                 ("file", "b.csv", "text/csv", b"x,y\n1,2\n"),
                 ("file", "c.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")]
        body = self.assertStatus(self.upload(t["id"], files), 201, "upload three")
        self.assertEqual([a["filename"] for a in body["data"]], ["a.png", "b.csv", "c.pdf"])
        self.assertEqual([a["content_type"] for a in body["data"]],
                         ["image/png", "text/csv", "application/pdf"])
        for (_, _, _, data), att in zip(files, body["data"]):
            status, _, got = self.download(att["id"])
            self.assertEqual((status, got), (200, data))
        listed = self.assertStatus(self.admin.get("/api/v1/tickets/%d/attachments" % t["id"]),
                                   200)
        self.assertEqual(len(listed["data"]), 3)

    def test_one_bad_file_stores_none(self):
        t = self.ticket()
        resp = self.upload(t["id"], [("file", "ok.txt", "text/plain", b"fine"),
                                     ("file", "bad.exe", "application/x-msdownload", b"MZ")])
        body = self.assertProblem(resp, 422, "file[1].filename")
        listed = self.assertStatus(self.admin.get("/api/v1/tickets/%d/attachments" % t["id"]),
                                   200)
        self.assertEqual(listed["data"], [], body)

    def test_unicode_name_and_path_are_cleaned(self):
        t = self.ticket()
        name = "C:\\Users\\me\\Übersicht März.txt"
        body, ctype = multipart([("file", "x", "text/plain", b"hello")])
        # filename* (RFC 8187) wins over filename
        body = body.replace(b'filename="x"', b'filename="fallback.txt"; filename*=UTF-8\'\'' +
                            urllib.parse.quote(name).encode())
        resp = self.admin.post("/api/v1/tickets/%d/attachments" % t["id"], raw=body,
                               headers={"Content-Type": ctype})
        att = self.assertStatus(resp, 201)["data"][0]
        self.assertEqual(att["filename"], "Übersicht März.txt")
        status, headers, _ = self.download(att["id"])
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-disposition"],
                         "attachment; filename=\"_bersicht M_rz.txt\"; "
                         "filename*=UTF-8''%C3%9Cbersicht%20M%C3%A4rz.txt")

    def test_type_from_the_extension_when_none_is_sent(self):
        t = self.ticket()
        att = self.assertStatus(self.upload(t["id"], [
            ("file", "report.csv", "application/octet-stream", b"a,b\n")]), 201)["data"][0]
        self.assertEqual(att["content_type"], "text/csv")
        self.assertProblem(self.upload(t["id"], [("file", "blob.bin", None, b"\x00\x01")]),
                           422, "file[0].content_type")

    def test_same_content_is_one_file(self):
        t = self.ticket()
        data = b"identical content " + secrets.token_bytes(16)
        before = self.blob_count()
        a = self.assertStatus(self.upload(t["id"], [("file", "one.txt", "text/plain", data)]),
                              201)["data"][0]
        b = self.assertStatus(self.upload(t["id"], [("file", "two.txt", "text/plain", data)]),
                              201)["data"][0]
        self.assertNotEqual(a["id"], b["id"])
        self.assertEqual(a["sha256"], b["sha256"])
        self.assertEqual(self.blob_count(), before + 1)
        path = os.path.join(self.server.dir, "attachments", a["sha256"][:2], a["sha256"][2:])
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)

    def test_images_inline_for_previews_only(self):
        t = self.ticket()
        image = png(seed=7)
        img, doc = self.assertStatus(self.upload(t["id"], [
            ("file", "shot.png", "image/png", image),
            ("file", "doc.txt", "text/plain", b"text")]), 201)["data"]
        status, headers, got = self.download(img["id"], "?inline=1")
        self.assertEqual((status, got), (200, image))
        self.assertTrue(headers["content-disposition"].startswith("inline; "))
        self.assertEqual(headers["content-type"], "image/png")
        self.assertIn("sandbox", headers["content-security-policy"])
        status, headers, got = self.download(doc["id"], "?inline=1")
        self.assertEqual(status, 400, got)
        status, _, got = self.download(img["id"], "?download=yes")
        self.assertEqual(status, 400, got)


class TestRefusals(AttachmentCase):

    def test_too_large_is_413_naming_the_limit(self):
        t = self.ticket()
        resp = self.upload(t["id"], [("file", "big.txt", "text/plain", b"x" * (LIMIT + 1))])
        body = self.assertProblem(resp, 413)
        self.assertIn("25 MiB", body["detail"])
        self.assertIn(str(LIMIT), body["detail"])
        # exactly the limit is fine
        resp = self.upload(t["id"], [("file", "edge.txt", "text/plain", b"y" * LIMIT)])
        att = self.assertStatus(resp, 201)["data"][0]
        self.assertEqual(att["size"], LIMIT)

    def test_whole_request_over_the_upload_limit_is_413(self):
        t = self.ticket()
        status, _, body = self.admin.post(
            "/api/v1/tickets/%d/attachments" % t["id"], raw=b"",
            headers={"Content-Type": "multipart/form-data; boundary=x",
                     "Content-Length": str(200 * 1024 * 1024)})
        self.assertEqual(status, 413, body)

    def test_at_most_twenty_files_an_upload(self):
        t = self.ticket()
        files = [("file", "f%02d.txt" % i, "text/plain", b"%d" % i) for i in range(21)]
        body = self.assertProblem(self.upload(t["id"], files), 413)
        self.assertIn("20 files", body["detail"])
        self.assertStatus(self.upload(t["id"], files[:20]), 201)

    def test_types_outside_the_allow_list(self):
        t = self.ticket()
        for name, ctype, data, field in [
                ("page.txt", "text/html", b"<script>alert(1)</script>", "file[0].content_type"),
                ("page.html", "text/plain", b"<script>alert(1)</script>", "file[0].filename"),
                ("logo.svg", "image/svg+xml", b"<svg/>", "file[0].content_type"),
                ("tool.exe", "application/octet-stream", b"MZ\x90\x00", "file[0].filename"),
                ("x.txt", "application/x-sh", b"#!/bin/sh", "file[0].content_type")]:
            self.assertProblem(self.upload(t["id"], [("file", name, ctype, data)]), 422, field,
                               name + " " + ctype)

    def test_pretend_images_are_refused(self):
        t = self.ticket()
        html = b"<html><script>alert(document.cookie)</script></html>"
        self.assertProblem(self.upload(t["id"], [("file", "cat.png", "image/png", html)]), 422,
                           "file[0].content_type", "html as a png")
        jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
        self.assertProblem(self.upload(t["id"], [("file", "cat.png", "image/jpeg", jpeg)]),
                           422, "file[0].content_type", "png name, jpeg type")
        self.assertProblem(self.upload(t["id"], [("file", "cat.gif", "image/gif", png())]), 422,
                           "file[0].content_type", "png bytes as a gif")
        self.assertProblem(self.upload(t["id"], [("file", "x.pdf", "application/pdf",
                                                  b"not a pdf")]), 422, "file[0].content_type")
        ok = self.assertStatus(self.upload(t["id"], [("file", "cat.jpg", "image/jpeg", jpeg)]),
                               201)
        self.assertEqual(ok["data"][0]["content_type"], "image/jpeg")

    def test_malformed_multipart_is_400(self):
        t = self.ticket()
        path = "/api/v1/tickets/%d/attachments" % t["id"]
        good, ctype = multipart([("file", "a.txt", "text/plain", b"abc")], boundary="BOUND")
        cases = [
            (good[:-12], ctype, "no closing boundary"),
            (good, "multipart/form-data", "no boundary parameter"),
            (good, "multipart/form-data; boundary=OTHER", "boundary not in the body"),
            (good.replace(b"Content-Disposition: form-data; ", b"Content-Disposition: attachment; "),
             ctype, "not form-data"),
            (good.replace(b'name="file"; ', b""), ctype, "no name"),
            (good.replace(b"\r\n", b"\n"), ctype, "bare LF"),
            (good.replace(b'filename="a.txt"', b'filename="a.txt'), ctype, "unclosed quote"),
            (b"--BOUND\r\n" + b"X-Long: " + b"a" * 9000 + b"\r\n\r\nx\r\n--BOUND--\r\n", ctype,
             "headers too long"),
        ]
        for body, ct, what in cases:
            resp = self.admin.post(path, raw=body, headers={"Content-Type": ct})
            problem = self.assertProblem(resp, 400, what=what)
            self.assertTrue(problem["type"].endswith("malformed-multipart"), problem)
        self.assertProblem(self.admin.post(path, raw=good,
                                           headers={"Content-Type": "application/json"}), 415)
        no_file, ct = multipart([], {"note_id": "1"})
        self.assertProblem(self.admin.post(path, raw=no_file, headers={"Content-Type": ct}),
                           422, "file")

    def test_an_upload_needs_a_file_and_known_fields(self):
        t = self.ticket()
        self.assertProblem(self.upload(t["id"], [], {"note_id": "x"}), 422, "note_id")
        self.assertProblem(self.upload(t["id"], [("file", "a.txt", "text/plain", b"a")],
                                       {"comment": "hi"}), 422, "comment")
        self.assertProblem(self.upload(t["id"], [("attachment", "a.txt", "text/plain", b"a")]),
                           422, "attachment")

    def test_unknown_ticket_is_404(self):
        files = [("file", "a.txt", "text/plain", b"a")]
        self.assertProblem(self.upload(999999999, files), 404)
        self.assertProblem(self.admin.get("/api/v1/tickets/999999999/attachments"), 404)
        self.assertProblem(self.admin.get("/api/v1/attachments/999999999"), 404)
        status, _, _ = self.download(999999999)
        self.assertEqual(status, 404)


class TestRulesAndHistory(AttachmentCase):

    def note(self, ticket_id, body="See the photo"):
        resp = self.admin.post("/api/v1/tickets/%d/notes" % ticket_id, {"body": body})
        return self.assertStatus(resp, 201, "note")

    def test_technician_uploads_billing_may_only_read(self):
        t = self.ticket()
        att = self.assertStatus(self.upload(t["id"], [("file", "t.txt", "text/plain", b"t")],
                                            client=self.tech), 201)["data"][0]
        me = self.assertStatus(self.tech.get("/api/v1/me"), 200)
        self.assertEqual(att["uploaded_by_id"], me["user"]["id"] if "user" in me else me["id"])
        self.assertProblem(self.upload(t["id"], [("file", "b.txt", "text/plain", b"b")],
                                       client=self.billing), 403)
        status, _, got = self.download(att["id"], client=self.billing)
        self.assertEqual((status, got), (200, b"t"))

    def test_technician_archives_only_their_own(self):
        t = self.ticket()
        mine = self.assertStatus(self.upload(t["id"], [("file", "m.txt", "text/plain", b"m")],
                                             client=self.tech), 201)["data"][0]
        theirs = self.assertStatus(self.upload(t["id"], [("file", "a.txt", "text/plain",
                                                          b"a")]), 201)["data"][0]
        self.assertProblem(self.tech.delete("/api/v1/attachments/%d" % theirs["id"],
                                            headers={"If-Match": '"1"'}), 403)
        self.assertStatus(self.tech.delete("/api/v1/attachments/%d" % mine["id"],
                                           headers={"If-Match": '"1"'}), 200)

    def test_attach_to_a_note_of_the_ticket_only(self):
        t, other = self.ticket(), self.ticket()
        n = self.note(t["id"])
        att = self.assertStatus(self.upload(t["id"], [("file", "p.png", "image/png", png())],
                                            {"note_id": n["id"]}), 201)["data"][0]
        self.assertEqual(att["note_id"], n["id"])
        listed = self.assertStatus(self.admin.get(
            "/api/v1/tickets/%d/attachments?note_id=%d" % (t["id"], n["id"])), 200)
        self.assertEqual([a["id"] for a in listed["data"]], [att["id"]])
        foreign = self.note(other["id"])
        self.assertProblem(self.upload(t["id"], [("file", "p.txt", "text/plain", b"p")],
                                       {"note_id": foreign["id"]}), 422, "note_id")
        self.assertProblem(self.upload(t["id"], [("file", "p.txt", "text/plain", b"p")],
                                       {"note_id": 999999999}), 422, "note_id")

    def test_archive_hides_and_restore_brings_back(self):
        t = self.ticket()
        att = self.assertStatus(self.upload(t["id"], [("file", "gone.txt", "text/plain",
                                                       b"bye")]), 201)["data"][0]
        self.assertStatus(self.admin.delete("/api/v1/attachments/%d" % att["id"],
                                            headers={"If-Match": '"1"'}), 200)
        listed = self.assertStatus(self.admin.get("/api/v1/tickets/%d/attachments" % t["id"]),
                                   200)
        self.assertEqual(listed["data"], [])
        status, _, _ = self.download(att["id"])
        self.assertEqual(status, 404)
        archived = self.assertStatus(self.admin.get(
            "/api/v1/tickets/%d/attachments?archived=true" % t["id"]), 200)
        self.assertEqual([a["id"] for a in archived["data"]], [att["id"]])
        self.assertStatus(self.admin.post("/api/v1/attachments/%d/restore" % att["id"],
                                          headers={"If-Match": '"2"'}), 200)
        status, _, got = self.download(att["id"])
        self.assertEqual((status, got), (200, b"bye"))

    def test_audit_and_event(self):
        t = self.ticket()
        att = self.assertStatus(self.upload(t["id"], [("file", "audit.txt", "text/plain",
                                                       b"audited")]), 201)["data"][0]
        audit = self.assertStatus(self.admin.get(
            "/api/v1/audit?resource=attachments&record_id=%d" % att["id"]), 200)
        self.assertEqual(len(audit["data"]), 1, audit)
        self.assertEqual(audit["data"][0]["action"], "create")
        events = self.assertStatus(self.admin.get(
            "/api/v1/events?resource=attachments&record_id=%d" % att["id"]), 200)["data"]
        self.assertEqual([e["type"] for e in events], ["attachment.created"])


class TestBackupAndCopy(AttachmentCase):

    def test_backup_copies_the_files(self):
        if os.environ.get("SERVIO_TEST_BACKEND", "sqlite") != "sqlite":
            self.skipTest("servio backup is for SQLite (PostgreSQL: pg_dump)")
        t = self.ticket()
        data = b"kept in the backup " + secrets.token_bytes(8)
        att = self.assertStatus(self.upload(t["id"], [("file", "k.txt", "text/plain", data)]),
                                201)["data"][0]
        target = os.path.join(self.server.dir, "backup-%s.db" % secrets.token_hex(4))
        proc = self.server.run_cli("backup", "--to", target)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        copy = os.path.join(target + ".attachments", att["sha256"][:2], att["sha256"][2:])
        with open(copy, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertIn("attachment", proc.stdout)

    def test_copy_checks_the_files_are_there(self):
        t = self.ticket()
        data = b"named by a copied row " + secrets.token_bytes(8)
        att = self.assertStatus(self.upload(t["id"], [("file", "c.txt", "text/plain", data)]),
                                201)["data"][0]
        target = "sqlite:" + os.path.join(self.server.dir, "copy-%s.db" % secrets.token_hex(4))
        # a copy is of a database no server is writing (the worker writes every second)
        with self.server.stopped():
            proc = self.server.run_cli("copy", "--to", target, timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertRegex(proc.stdout, r"\d+ attachment files in .*, all present")
            # a store without the file: the copy says so and fails
            os.remove(os.path.join(self.server.dir, "attachments", att["sha256"][:2],
                                   att["sha256"][2:]))
            target = "sqlite:" + os.path.join(self.server.dir,
                                              "copy-%s.db" % secrets.token_hex(4))
            proc = self.server.run_cli("copy", "--to", target, timeout=300)
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn("1 of the", proc.stderr)
        self.assertIn(att["sha256"][2:], proc.stderr)


if __name__ == "__main__":
    unittest.main()
