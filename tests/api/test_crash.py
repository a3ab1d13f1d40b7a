"""
test_crash.py - crash safety and backups, through HTTP, on SQLite and
PostgreSQL:

  * kill -9: client threads write (tickets with a note and now and then an
    attachment, invoices drafted and issued, credit notes) while the server
    is killed several times at random points of the load and started again
    on the same data, with no repair in between. Afterwards every write that
    was answered 2xx is there with its content; invoice and credit-note
    numbers run from 1 without a gap or a repeat ("gapless, never reused",
    DESIGN.md) and the next ones continue the run; ticket numbers are
    unique and a new ticket's is above every earlier one (they come from a
    sequence on PostgreSQL, which may skip values after a crash; DESIGN.md
    promises no more for them). Every write carries an Idempotency-Key;
    the ones a kill cut off are sent again with it afterwards and are then
    done once: now, or before the kill (409 idempotency-reply-lost), never
    twice.
  * backups: "servio backup" (SQLite) or pg_dump (PostgreSQL) taken while
    the same load runs, restored as docs/DEPLOY.md says into a new server:
    every write answered before the backup started is there, the numbers
    hold and go on, the copy passes the database's own checks, and the
    restored server serves and writes.

The kills fall at random counts of answered writes. Each test prints its
seed; SERVIO_CRASH_SEED=N runs with the same kill points again (the
threads' interleaving is the machine's). Nothing here waits for time: the
threads wait for each other (counts of answers, restarts).
"""

import collections
import hashlib
import http.client
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest

from harness import BACKEND, TEST_BUILD, Client, Server, pg_tool, unique
from test_attachments import multipart

THREADS = 3
KILLS = 4
# how many answered writes between two kills (the kill falls at random within)
KILL_EVERY = (4, 24)
# what the load writes
KINDS = ("ticket", "note", "attachment", "invoice", "issued", "credit")
# how long a key stays "in progress" after its server died (src/api/idempotency.c)
IDEMPOTENCY_PENDING_SECONDS = 5 * 60
# the longest a thread waits for the others (a restart under ASan takes seconds)
WAIT = 120


class Unanswered(Exception):
    """The request got no reply: the server died under it (its outcome is unknown)."""


class Load:
    """
    Client threads writing through HTTP. Each answered write (2xx) is kept in
    acked, in the order answered, with what it wrote. A request the server
    dies under is left as unknown (it may or may not have happened); the
    thread then waits for the restart. While the server is down (between
    down() and up()) no thread sends anything.
    """

    def __init__(self, srv, seed):
        self.srv = srv
        self.token = srv.admin().token
        status, _, company = srv.admin().post("/api/v1/companies", {"name": unique("Client ")})
        if status != 201:
            raise AssertionError("create company: %s %r" % (status, company))
        self.company_id = company["id"]
        self.seed = seed
        self.cond = threading.Condition()
        self.acked = []
        self.cut = []            # the requests the kills cut off
        self.generation = 0
        self.is_down = False
        self.stopping = False
        self.errors = []
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                        for n in range(THREADS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        for t in self.threads:
            t.join(WAIT)
            if t.is_alive():
                self.errors.append("a load thread did not stop within %d s" % WAIT)
        self.check()

    def check(self):
        if self.errors:
            raise AssertionError("seed %d: %s\nserver log tail:\n%s" % (
                self.seed, "\n".join(self.errors), self.srv.log_text(40)))

    def count(self):
        with self.cond:
            return len(self.acked)

    def snapshot(self):
        with self.cond:
            return list(self.acked)

    def wait_for(self, count, kinds=()):
        """Until count writes have been answered, among them one of each of kinds."""
        def reached():
            return len(self.acked) >= count and set(kinds) <= {w["kind"] for w in self.acked}
        with self.cond:
            self.cond.wait_for(lambda: reached() or self.errors, WAIT)
            done = reached()
        self.check()
        if not done:
            raise AssertionError("seed %d: %d writes answered (%s), waited for %d with %s" % (
                self.seed, len(self.acked), sorted({w["kind"] for w in self.acked}), count,
                sorted(kinds)))

    def down(self):
        """No new requests from now on (the server is about to go)."""
        with self.cond:
            self.is_down = True

    def up(self):
        """The server serves again (on srv.port)."""
        with self.cond:
            self.is_down = False
            self.generation += 1
            self.cond.notify_all()

    # the threads

    def _run(self, n):
        rng = random.Random(self.seed * 100 + n)
        rounds = 0
        while True:
            with self.cond:
                self.cond.wait_for(lambda: not self.is_down or self.stopping)
                if self.stopping or self.errors:
                    return
                gen = self.generation
            try:
                if rounds % 2 == 0:
                    self._ticket(rng, with_file=rounds % 6 == 0)
                else:
                    self._invoice(rng, with_credit=rounds % 4 == 1)
            except Unanswered:
                with self.cond:
                    back = self.cond.wait_for(
                        lambda: self.generation != gen or self.stopping, WAIT)
                    if not back:
                        self.errors.append("thread %d: a request went unanswered and the "
                                           "server was not restarted (it died by itself?)" % n)
                        self.cond.notify_all()
                        return
            except Exception as e:  # an unexpected reply: the test fails with it
                with self.cond:
                    self.errors.append("thread %d: %s" % (n, e))
                    self.cond.notify_all()
                return
            rounds += 1

    def _post(self, path, body=None, raw=None, headers=None):
        with self.cond:
            port = self.srv.port
        try:
            status, _, reply = Client(port, self.token).request("POST", path, body, raw=raw,
                                                                headers=headers)
        except (OSError, http.client.HTTPException):
            raise Unanswered()
        if status not in (200, 201):
            raise AssertionError("POST %s: %s %r" % (path, status, reply))
        return reply

    def _write(self, path, body=None, raw=None, headers=None, record=None, content=None):
        """
        POSTs with a new Idempotency-Key; keeps record(reply) as answered and
        returns the reply. A request the server dies under is kept in cut
        (to be sent again with its key) before Unanswered is raised.
        content names what it writes, to be found once afterwards.
        """
        h = dict(headers or {}, **{"Idempotency-Key": unique("crash-")})
        try:
            reply = self._post(path, body, raw, h)
        except Unanswered:
            with self.cond:
                self.cut.append({"path": path, "body": body, "raw": raw, "headers": h,
                                 "record": record, "content": content})
            raise
        self._answered(record(reply))
        return reply

    def _answered(self, write):
        with self.cond:
            self.acked.append(write)
            self.cond.notify_all()

    def _ticket(self, rng, with_file):
        subject = unique("Crash ticket ")
        description = "written %s" % unique()
        t = self._write("/api/v1/tickets", {"subject": subject, "company_id": self.company_id,
                                            "description": description},
                        record=lambda t: {"kind": "ticket", "id": t["id"], "number": t["number"],
                                          "subject": subject, "description": description},
                        content=("ticket", subject))
        body = "note %s %d" % (unique(), rng.randrange(10 ** 6))
        self._write("/api/v1/tickets/%d/notes" % t["id"], {"body": body},
                    record=lambda n: {"kind": "note", "id": n["id"], "ticket_id": t["id"],
                                      "body": body},
                    content=("note", t["id"], body))
        if with_file:
            data = ("attachment of %s: %s\n" % (t["number"], unique())).encode() * 50
            sha = hashlib.sha256(data).hexdigest()
            raw, ctype = multipart([("file", "log.txt", "text/plain", data)])
            self._write("/api/v1/tickets/%d/attachments" % t["id"], raw=raw,
                        headers={"Content-Type": ctype},
                        record=lambda a: {"kind": "attachment", "id": a["data"][0]["id"],
                                          "sha256": sha, "data": data},
                        content=("attachment", t["id"], sha))

    def _invoice(self, rng, with_credit):
        description = unique("Work ")
        price = rng.randrange(1000, 100000)
        inv = self._write("/api/v1/invoices", {"company_id": self.company_id, "lines": [
            {"description": description, "quantity": 1, "unit_price": price,
             "taxable": False}]},
            record=lambda inv: {"kind": "invoice", "id": inv["id"], "description": description,
                                "total": price},
            content=("invoice", description))
        self._write("/api/v1/invoices/%d/issue" % inv["id"], headers={"If-Match": "*"},
                    record=lambda i: {"kind": "issued", "id": inv["id"], "number": i["number"]},
                    content=("issued", inv["id"]))
        if with_credit:
            reason = unique("goodwill ")
            self._write("/api/v1/invoices/%d/credit" % inv["id"],
                        {"amount": 100, "taxable": False, "reason": reason},
                        record=lambda n: {"kind": "credit", "id": n["id"], "number": n["number"],
                                          "invoice_id": inv["id"], "reason": reason},
                        content=("credit", reason))

    def send_cut_again(self):
        """
        Sends every request the kills cut off again, with its key (the load
        stopped, the pending keys' five minutes past). Each gets its reply
        now (2xx: kept as answered) or 409 idempotency-reply-lost (it was
        done before the kill). Returns the contents of the latter.
        """
        done_before = []
        for c in self.cut:
            status, _, reply = Client(self.srv.port, self.token).request(
                "POST", c["path"], c["body"], raw=c["raw"], headers=c["headers"])
            if status in (200, 201):
                self.acked.append(c["record"](reply))
            elif status == 409 and reply.get("type", "").endswith("idempotency-reply-lost"):
                done_before.append(c["content"])
            else:
                raise AssertionError("seed %d: POST %s again with its key: %s %r" %
                                     (self.seed, c["path"], status, reply))
        return done_before


def seed_for_run():
    env = os.environ.get("SERVIO_CRASH_SEED")
    seed = int(env) if env else random.randrange(1, 10 ** 6)
    print("(seed %d: SERVIO_CRASH_SEED=%d runs it again)" % (seed, seed), end=" ",
          file=sys.stderr, flush=True)
    return seed


class CrashCase(unittest.TestCase):

    def get(self, client, path, what=""):
        status, _, body = client.get(path)
        self.assertEqual(status, 200, "%s GET %s: %r" % (what, path, body))
        return body

    def all_rows(self, client, path):
        rows, cursor = [], None
        while True:
            page = self.get(client, path + "?limit=200" + ("&cursor=" + cursor if cursor else ""))
            rows += page["data"]
            cursor = page["next_cursor"]
            if not cursor:
                return rows

    def download(self, client, att_id):
        conn = http.client.HTTPConnection(client.host, client.port, timeout=60)
        try:
            conn.request("GET", "/api/v1/attachments/%d/content" % att_id,
                         headers={"Authorization": "Bearer " + client.token})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def assert_writes_present(self, client, acked, what):
        """Every write in acked is there, with what it wrote."""
        issued = {w["id"]: w["number"] for w in acked if w["kind"] == "issued"}
        for w in acked:
            kind = w["kind"]
            if kind == "ticket":
                t = self.get(client, "/api/v1/tickets/%d" % w["id"], what)
                self.assertEqual((t["number"], t["subject"], t["description"]),
                                 (w["number"], w["subject"], w["description"]), what)
            elif kind == "note":
                n = self.get(client, "/api/v1/tickets/%d/notes/%d" % (w["ticket_id"], w["id"]),
                             what)
                self.assertEqual(n["body"], w["body"], what)
            elif kind == "attachment":
                a = self.get(client, "/api/v1/attachments/%d" % w["id"], what)
                self.assertEqual(a["sha256"], w["sha256"], what)
                status, data = self.download(client, w["id"])
                self.assertEqual((status, data), (200, w["data"]), what)
            elif kind == "invoice":
                inv = self.get(client, "/api/v1/invoices/%d" % w["id"], what)
                self.assertEqual([l["description"] for l in inv["lines"]], [w["description"]],
                                 what)
                self.assertEqual(inv["total"], w["total"], what)
                if w["id"] in issued:
                    self.assertEqual((inv["status"], inv["number"]),
                                     ("issued", issued[w["id"]]), what)
            elif kind == "credit":
                cn = self.get(client, "/api/v1/credit-notes/%d" % w["id"], what)
                self.assertEqual((cn["number"], cn["invoice_id"], cn["reason"], cn["amount"]),
                                 (w["number"], w["invoice_id"], w["reason"], 100), what)

    def assert_once(self, client, done_before, what):
        """
        Nothing is there twice: each ticket subject, invoice line, credit-note
        reason, and each note and attachment of a ticket (the load writes
        each once); and each write in done_before (contents) is there once.
        """
        count = collections.Counter()
        tickets = self.all_rows(client, "/api/v1/tickets")
        for t in tickets:
            count["ticket", t["subject"]] += 1
            for n in self.all_rows(client, "/api/v1/tickets/%d/notes" % t["id"]):
                count["note", t["id"], n["body"]] += 1
            for a in self.all_rows(client, "/api/v1/tickets/%d/attachments" % t["id"]):
                count["attachment", t["id"], a["sha256"]] += 1
        for inv in self.all_rows(client, "/api/v1/invoices"):
            for line in inv["lines"]:
                count["invoice", line["description"]] += 1
            if inv["number"]:
                count["issued", inv["id"]] += 1
        for cn in self.all_rows(client, "/api/v1/credit-notes"):
            count["credit", cn["reason"]] += 1
        self.assertEqual([k for k, n in count.items() if n > 1], [], what + ": written twice")
        self.assertEqual([c for c in done_before if count[c] != 1], [],
                         what + ": said done before the kill (409 idempotency-reply-lost), "
                         "but not there once")

    def assert_numbers(self, client, company_id, what):
        """
        Invoice and credit-note numbers are 1..N, each once, and the next of
        each is N+1; ticket numbers are unique and the next is above them all.
        """
        for path, prefix in (("/api/v1/invoices", "INV-"), ("/api/v1/credit-notes", "CN-")):
            numbers = [r["number"] for r in self.all_rows(client, path) if r["number"]]
            for n in numbers:
                self.assertRegex(n, "^%s\\d{6}$" % prefix, what)
            values = sorted(int(n[len(prefix):]) for n in numbers)
            self.assertEqual(values, list(range(1, len(values) + 1)),
                             "%s: %s numbers with a gap or a repeat" % (what, prefix))
            if path == "/api/v1/invoices":
                invoices = len(values)
            else:
                credits = len(values)
        tickets = [int(r["number"][2:]) for r in self.all_rows(client, "/api/v1/tickets")]
        self.assertEqual(len(tickets), len(set(tickets)), "%s: a ticket number twice" % what)
        # and the next numbers go on from there
        status, _, t = client.post("/api/v1/tickets", {"subject": "after", "company_id":
                                                       company_id})
        self.assertEqual(status, 201, t)
        self.assertGreater(int(t["number"][2:]), max(tickets, default=0), what)
        status, _, inv = client.post("/api/v1/invoices", {"company_id": company_id, "lines": [
            {"description": "after", "quantity": 1, "unit_price": 500}]})
        self.assertEqual(status, 201, inv)
        status, _, inv = client.post("/api/v1/invoices/%d/issue" % inv["id"],
                                     headers={"If-Match": "*"})
        self.assertEqual((status, inv["number"]), (200, "INV-%06d" % (invoices + 1)), what)
        status, _, cn = client.post("/api/v1/invoices/%d/credit" % inv["id"],
                                    {"amount": 100, "reason": "after"})
        self.assertEqual((status, cn["number"]), (201, "CN-%06d" % (credits + 1)), what)

    def assert_serves(self, srv, what):
        status, _, body = Client(srv.port).get("/healthz")
        self.assertEqual((status, body.get("status") if isinstance(body, dict) else body),
                         (200, "ok"), "%s: /healthz %r\n%s" % (what, body, srv.log_text(40)))


class TestKill(CrashCase):

    def test_acknowledged_writes_survive_kill_9(self):
        seed = seed_for_run()
        rng = random.Random(seed)
        srv = Server().start()
        try:
            load = Load(srv, seed).start()
            try:
                for k in range(KILLS):
                    load.wait_for(load.count() + rng.randint(*KILL_EVERY))
                    load.down()
                    srv.kill()
                    srv.restart()  # the same data, as the crash left it: no repair
                    self.assert_serves(srv, "seed %d, after kill %d" % (seed, k + 1))
                    load.up()
                load.wait_for(load.count() + KILL_EVERY[0], KINDS)  # and writes go on
            finally:
                load.stop()
            # what the kills cut off, sent again with its Idempotency-Key once
            # the keys left pending have lapsed: done now or done before, never twice
            done_before = []
            if TEST_BUILD:
                srv.move_clock(IDEMPOTENCY_PENDING_SECONDS + 1)
                done_before = load.send_cut_again()
            acked = load.snapshot()
            what = "seed %d (%d writes answered, %d cut off by %d kills)" % (
                seed, len(acked), len(load.cut), KILLS)
            admin = srv.admin()
            self.assert_writes_present(admin, acked, what)
            self.assert_once(admin, done_before, what)
            self.assert_numbers(admin, load.company_id, what)
            # and once more after a graceful restart
            srv.restart()
            self.assert_writes_present(srv.admin(), acked[-10:], what + ", restarted")
        finally:
            srv.stop()


    def test_a_key_whose_work_committed_is_not_run_again(self):
        # the state a kill leaves between the commit and the stored reply
        # (made here by hand; the kill test above meets it by chance)
        with Server() as srv:
            admin = srv.admin()
            company = admin.post("/api/v1/companies", {"name": unique("Client ")})[2]
            key, subject = unique("k-"), unique("Once ")
            body = {"subject": subject, "company_id": company["id"]}
            status, _, _ = admin.post("/api/v1/tickets", body, headers={"Idempotency-Key": key})
            self.assertEqual(status, 201)
            srv.execute("UPDATE idempotency_keys SET state = 'committed', status = NULL,"
                        " response = NULL WHERE key = '%s'" % key)
            status, _, reply = admin.post("/api/v1/tickets", body,
                                          headers={"Idempotency-Key": key})
            self.assertEqual((status, reply["type"]),
                             (409, "urn:servio:problem:idempotency-reply-lost"), reply)
            tickets = self.all_rows(admin, "/api/v1/tickets")
            self.assertEqual([t["subject"] for t in tickets].count(subject), 1)


def sqlite_scalar(path, sql):
    con = sqlite3.connect(path, timeout=30)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


class TestBackup(CrashCase):

    def assert_sound(self, path):
        """The SQLite file passes its integrity and foreign-key checks."""
        con = sqlite3.connect(path, timeout=30)
        try:
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)], path)
            self.assertEqual(con.execute("PRAGMA foreign_key_check").fetchall(), [], path)
        finally:
            con.close()

    def backed_up_under_load(self, srv, backup):
        """
        Runs backup() while the load writes; returns (the writes answered
        before it began, the load's company id).
        """
        seed = seed_for_run()
        load = Load(srv, seed).start()
        try:
            load.wait_for(12, KINDS)
            before = load.snapshot()
            backup()
            load.wait_for(load.count() + 6)  # the load went on meanwhile and after
        finally:
            load.stop()
        return before, load.company_id

    def check_restored(self, restored, before, company_id):
        what = "restored backup"
        self.assert_serves(restored, what)
        admin = restored.admin()
        self.assert_writes_present(admin, before, what)
        self.assert_once(admin, [], what)
        self.assert_numbers(admin, company_id, what)

    @unittest.skipUnless(BACKEND == "sqlite", "servio backup is for SQLite")
    def test_servio_backup_taken_under_load_restores(self):
        srv = Server().start()
        restored = Server(init=False)
        work = tempfile.mkdtemp(prefix="servio-backup-")
        try:
            path = os.path.join(work, "servio-backup.db")

            def backup():
                r = srv.run_cli("backup", "--to", path, timeout=WAIT)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            before, company_id = self.backed_up_under_load(srv, backup)

            # a self-contained file that passes SQLite's own checks
            self.assertFalse(os.path.exists(path + "-wal"))
            self.assert_sound(path)
            self.assertEqual(sqlite_scalar(path, "PRAGMA journal_mode"), "delete")
            in_backup = sqlite_scalar(path, "SELECT group_concat(number) FROM tickets")

            # restore as docs/DEPLOY.md says, into a new data directory
            restored.setup_data()
            shutil.copyfile(path, os.path.join(restored.dir, "servio.db"))
            shutil.copytree(path + ".attachments", os.path.join(restored.dir, "attachments"))
            restored.start()
            self.check_restored(restored, before, company_id)

            # and over the data of the server, crashed (a journal left beside it)
            srv.kill()
            for journal in ("servio.db-wal", "servio.db-shm"):
                if os.path.exists(os.path.join(srv.dir, journal)):
                    os.remove(os.path.join(srv.dir, journal))
            shutil.copyfile(path, os.path.join(srv.dir, "servio.db"))
            shutil.copytree(path + ".attachments", os.path.join(srv.dir, "attachments"),
                            dirs_exist_ok=True)
            srv.restart()
            db = os.path.join(srv.dir, "servio.db")
            self.assertEqual(sqlite_scalar(db, "SELECT group_concat(number) FROM tickets"),
                             in_backup, "restored in place: the tickets are the backup's")
            self.check_restored(srv, before, company_id)
            self.assert_sound(db)
        finally:
            restored.stop()
            srv.stop()
            shutil.rmtree(work, ignore_errors=True)

    @unittest.skipUnless(BACKEND == "postgres", "pg_dump is for PostgreSQL")
    def test_pg_dump_taken_under_load_restores(self):
        pg_dump, pg_restore = pg_tool("pg_dump"), pg_tool("pg_restore")
        self.assertTrue(pg_dump and pg_restore, "no pg_dump/pg_restore beside the server")
        srv = Server().start()
        restored = Server(init=False)
        work = tempfile.mkdtemp(prefix="servio-backup-")
        try:
            # servio backup says what to use instead
            r = srv.run_cli("backup", "--to", os.path.join(work, "no.db"))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("pg_dump", r.stderr)
            path = os.path.join(work, "servio.dump")

            def backup():
                r = subprocess.run([pg_dump, "--format=custom", "--file=" + path,
                                    srv.database_url], capture_output=True, text=True,
                                   stdin=subprocess.DEVNULL, timeout=WAIT)
                self.assertEqual(r.returncode, 0, r.stderr)
            before, company_id = self.backed_up_under_load(srv, backup)

            # restore as docs/DEPLOY.md says: into an empty database, with the files beside
            restored.setup_data()
            r = subprocess.run([pg_restore, "--no-owner", "--exit-on-error",
                                "--dbname=" + restored.database_url, path],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL,
                               timeout=WAIT)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            shutil.copytree(os.path.join(srv.dir, "attachments"),
                            os.path.join(restored.dir, "attachments"))
            restored.start()
            self.check_restored(restored, before, company_id)
        finally:
            restored.stop()
            srv.stop()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
