"""
test_storage_full.py - a database with no room left to write: the write is
answered 507 (never a 500, never a success), reads go on, /healthz says the
database is unwritable, a login reports no success (and leaves no session
behind) when its audit entry cannot be written, and everything recovers
once there is room again.

How the database is made full, for real:

* SQLite: the file size limit of the running server process (RLIMIT_FSIZE,
  set from outside with prlimit(2)) is lowered to one byte, so every
  write(2) of the server at an offset past it fails with EFBIG - the
  database file, its WAL, everything - exactly as writes fail on a full
  disk (ENOSPC), without filling this machine's disk. The server ignores
  SIGXFSZ, so it gets the error rather than dying. (PRAGMA max_page_count
  would give SQLITE_FULL, but only to the writes that need a new page: a
  small row still fits in a half-empty page and the login would pass; the
  unit test test_db covers SQLITE_FULL that way.) Raising the limit again
  makes the room.
* PostgreSQL: a trigger on every table of the server's database raises
  SQLSTATE 53100 (disk_full) before each row is written, which is the
  error PostgreSQL gives when it cannot extend a file; dropping the
  triggers makes the room.

The audit case: a trigger that makes only the audit entry fail (SQLite: the
trigger's RAISE(ABORT) is a plain failure, a 500; PostgreSQL: disk_full on
audit_log alone, a 507) - the login must not succeed, and no session row
may be left without its audit entry.
"""

import os
import resource
import sqlite3
import unittest

from harness import BACKEND, ADMIN_EMAIL, ADMIN_PASSWORD, Client, ServerTestCase, \
    needs_test_build, pg_query, unique

PG = BACKEND == "postgres"
PROBE_SECONDS = 30      # src/api/system.c: /healthz writes at most this often

FULL_FUNCTION = ("CREATE OR REPLACE FUNCTION servio_test_disk_full() RETURNS trigger"
                 " LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION"
                 " 'could not extend file: No space left on device'"
                 " USING ERRCODE = 'disk_full'; END $f$")


class StorageFullTest(ServerTestCase):

    # --- the database, behind the server's back

    def query(self, sql):
        if PG:
            _, rows = pg_query(self.server.database_url, sql)
            return rows
        con = sqlite3.connect(os.path.join(self.server.dir, "servio.db"), timeout=30)
        try:
            return [[None if v is None else str(v) for v in r] for r in con.execute(sql)]
        finally:
            con.close()

    def sessions(self):
        return int(self.query("SELECT COUNT(*) FROM sessions")[0][0])

    def fill(self):
        """No room: every write of the server fails as on a full disk."""
        if PG:
            self.server.execute(FULL_FUNCTION)
            self.server.execute(
                "DO $d$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables"
                " WHERE schemaname = current_schema() LOOP EXECUTE format('CREATE TRIGGER"
                " servio_test_full BEFORE INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW"
                " EXECUTE FUNCTION servio_test_disk_full()', t); END LOOP; END $d$")
        else:
            pid = self.server.proc.pid
            _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, hard))

    def make_room(self):
        if PG:
            self.server.execute(
                "DO $d$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables"
                " WHERE schemaname = current_schema() LOOP EXECUTE format('DROP TRIGGER IF"
                " EXISTS servio_test_full ON %I', t); END LOOP; END $d$")
        else:
            pid = self.server.proc.pid
            _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard))

    def tearDown(self):
        self.make_room()
        super().tearDown()

    # --- the checks

    def assertFull(self, resp, what):
        body = self.assertStatus(resp, 507, what)
        self.assertEqual(body["type"], "urn:servio:problem:storage-full", what)
        self.assertEqual(body["status"], 507)
        self.assertIn("no room left to write", body["detail"])
        return body

    def health(self):
        return self.server.client().get("/healthz")

    def new_company(self, name):
        return self.admin.post("/api/v1/companies", {"name": name, "kind": "client"})

    def names(self):
        body = self.assertStatus(self.admin.get("/api/v1/companies?limit=200"), 200)
        return [c["name"] for c in body["data"]]

    @needs_test_build
    def test_full_database(self):
        staff = Client(self.server.port)
        staff.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        before = self.sessions()
        kept = unique("Kept Ltd")
        self.assertStatus(self.new_company(kept), 201)
        self.assertStatus(self.health(), 200, "healthy to begin with")

        self.fill()
        lost = unique("Lost Ltd")
        self.assertFull(self.new_company(lost), "a create on a full database")
        # an action and a patch go the same way
        cid = self.assertStatus(self.admin.get("/api/v1/companies?limit=1"), 200)["data"][0]["id"]
        self.assertFull(self.admin.patch("/api/v1/companies/%d" % cid, {"notes": "more"},
                                         headers={"If-Match": "*"}), "a patch")
        # reads go on, on a token and on a session signed in before
        self.assertIn(kept, self.names())
        self.assertStatus(staff.get("/api/v1/me"), 200, "a session's read")
        self.assertFull(staff.post("/api/v1/companies", {"name": lost, "kind": "client"}),
                        "a session's create")
        # health names the database
        status, _, body = self.health()
        self.assertEqual(status, 503, body)
        self.assertEqual(body["status"], "unavailable")
        self.assertEqual(body["database"], "unwritable")
        self.assertIn("no room left to write", body["detail"])
        # a login cannot succeed: no session, no cookie
        c = Client(self.server.port)
        status, headers, body = c.login(ADMIN_EMAIL, ADMIN_PASSWORD, expect=None)
        self.assertIn(status, (503, 507), body)
        self.assertNotIn("servio_session=", headers.get("set-cookie", ""))
        self.assertEqual(self.sessions(), before, "no session row left by the failed login")

        self.make_room()
        self.assertStatus(self.new_company(lost), 201, "a create once there is room")
        self.assertStatus(self.health(), 200, "healthy once a write succeeded")
        self.assertEqual(self.names().count(lost), 1, "the refused create left nothing")
        c.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.assertStatus(c.get("/api/v1/me"), 200)

    @needs_test_build
    def test_health_probes_on_its_own(self):
        """With no one writing, /healthz finds the disk full, and room again, by itself."""
        self.assertStatus(self.new_company(unique("Room Ltd")), 201)
        self.assertStatus(self.health(), 200)
        self.fill()
        self.server.move_clock(PROBE_SECONDS + 1)
        status, _, body = self.health()
        self.assertEqual((status, body.get("database")), (503, "unwritable"), body)
        self.make_room()
        self.server.move_clock(PROBE_SECONDS + 1)
        status, _, body = self.health()
        self.assertEqual((status, body.get("database")), (200, "ok"), body)


class AuditFailureTest(ServerTestCase):
    """A login whose audit entry cannot be written is no login."""

    def query(self, sql):
        return StorageFullTest.query(self, sql)

    def test_login_fails_with_its_audit_entry(self):
        sessions = int(self.query("SELECT COUNT(*) FROM sessions")[0][0])
        logins = int(self.query("SELECT COUNT(*) FROM audit_log WHERE action = 'login'")[0][0])
        if PG:
            self.server.execute(FULL_FUNCTION)
            self.server.execute("CREATE TRIGGER servio_test_audit BEFORE INSERT ON audit_log"
                                " FOR EACH ROW EXECUTE FUNCTION servio_test_disk_full()")
            drop = "DROP TRIGGER servio_test_audit ON audit_log"
        else:
            self.server.execute("CREATE TRIGGER servio_test_audit BEFORE INSERT ON audit_log"
                                " BEGIN SELECT RAISE(ABORT, 'the audit entry cannot be"
                                " written'); END")
            drop = "DROP TRIGGER servio_test_audit"
        try:
            c = Client(self.server.port)
            status, headers, body = c.login(ADMIN_EMAIL, ADMIN_PASSWORD, expect=None)
            self.assertEqual(status, 507 if PG else 500, body)
            self.assertNotIn("servio_session=", headers.get("set-cookie", ""))
            self.assertEqual(int(self.query("SELECT COUNT(*) FROM sessions")[0][0]), sessions,
                             "the session was rolled back with its audit entry")
        finally:
            self.server.execute(drop)
        c.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.assertStatus(c.get("/api/v1/me"), 200)
        self.assertEqual(int(self.query("SELECT COUNT(*) FROM sessions")[0][0]), sessions + 1)
        self.assertEqual(
            int(self.query("SELECT COUNT(*) FROM audit_log WHERE action = 'login'")[0][0]),
            logins + 1)


if __name__ == "__main__":
    unittest.main()
