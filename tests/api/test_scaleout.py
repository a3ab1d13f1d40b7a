"""
test_scaleout.py - several servio processes on one database, as behind a
load balancer: two "servio serve" (A and B) on the same database, plus a
"servio worker", none of which holds state of its own.

  a) a session made on A works on B, and logging out on B ends it on A
  b) concurrent creates through both servers all succeed with distinct ids
  c) an Idempotency-Key used on A replays on B; racing the same key on A
     and B creates one record
  d) jobs run exactly once with every worker running: the hourly
     housekeeping job exists once and is claimed once; a batch of queued
     jobs is drained with no job claimed twice

(a) and (c) are for PostgreSQL (the scale-out backend); (b) and (d) also
run on SQLite with both servers on one data directory (WAL lets several
processes share it).

To see every claim, the test adds a trigger to the jobs table before the
servers start: it records each state change in a table of its own.
"""

import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import unittest
import urllib.parse

import harness
from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, BACKEND, BIN, Client, Server, base_env,
                     needs_test_build, unique)

PG = BACKEND == "postgres"
JOBS_TIMEOUT = 40


# --- reading the database behind the servers -----------------------------------------

def pg_rows(url, sql):
    """The rows of the last result of SQL (one or more statements)."""
    return harness.pg_query(url, sql)[1]


class Database:
    """The database under a server, read and written behind its back."""

    def __init__(self, server):
        self.url = server.database_url
        self.path = None if self.url else os.path.join(server.dir, "servio.db")

    def query(self, sql):
        """Rows as tuples of str or None (the same on both backends)."""
        if self.url:
            return pg_rows(self.url, sql)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
        return [tuple(None if v is None else str(v) for v in row) for row in rows]

    def insert_held(self, sql, hold):
        """
        Runs an INSERT in a transaction that holds the table's write lock for
        hold seconds before it commits, so that every worker is waiting for
        the rows when they appear.
        """
        if self.url:
            pg_rows(self.url, "BEGIN; LOCK TABLE jobs IN EXCLUSIVE MODE; %s;"
                               " SELECT pg_sleep(%s); COMMIT" % (sql, hold))
            return
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute(sql)
            time.sleep(hold)
            con.execute("COMMIT")
        finally:
            con.close()

    def script(self, sql):
        if self.url:
            pg_rows(self.url, sql)
            return
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.executescript(sql)
        finally:
            con.close()


# --- more processes on one server's data ---------------------------------------------

class Peer(Server):
    """Another "servio serve" on an existing server's data: no init, its own port."""

    def __init__(self, primary, serve_args=()):
        super().__init__(init=False, serve_args=serve_args, env=primary.extra_env)
        self.dir = primary.dir
        self.web_root = primary.web_root
        self.database_url = primary.database_url

    def stop(self, check=True):
        # the data belongs to the primary: stop the process, remove nothing
        self.dir = None
        super().stop(check)


class Worker:
    """A "servio worker" process on a server's data."""

    def __init__(self, server):
        self.cmd = [BIN, "worker"] + server.conf_args() + ["--log-level", "info"]
        self.proc = None
        self.log = []
        self._started = threading.Event()

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=base_env())
        self._drain = threading.Thread(target=self._read, daemon=True)
        self._drain.start()
        if not self._started.wait(harness.START_TIMEOUT):
            self.stop(check=False)
            raise AssertionError("servio worker did not start:\n" + "\n".join(self.log))
        return self

    def _read(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            self.log.append(line)
            if "job worker" in line and "started" in line:
                self._started.set()
        self.proc.stderr.close()

    def stop(self, check=True):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(harness.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._drain.join(10)
        rc, self.proc = self.proc.returncode, None
        if check:
            bad = [l for l in self.log if "Sanitizer" in l or "runtime error:" in l]
            if rc != 0 or bad:
                raise AssertionError("servio worker exited with status %d%s:\n%s" % (
                    rc, " and a sanitizer error" if bad else "", "\n".join(self.log[-100:])))


JOB_EVENTS_SQLITE = """
CREATE TABLE test_job_events (seq INTEGER PRIMARY KEY, job_id INTEGER NOT NULL,
                              state TEXT NOT NULL, worker TEXT, attempts INTEGER);
CREATE TRIGGER test_job_events_t AFTER UPDATE ON jobs
BEGIN
  INSERT INTO test_job_events (job_id, state, worker, attempts)
  VALUES (NEW.id, NEW.state, NEW.locked_by, NEW.attempts);
END;
"""

JOB_EVENTS_POSTGRES = """
CREATE TABLE test_job_events (seq BIGSERIAL PRIMARY KEY, job_id BIGINT NOT NULL,
                              state TEXT NOT NULL, worker TEXT, attempts BIGINT);
CREATE FUNCTION test_job_events_f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO test_job_events (job_id, state, worker, attempts)
  VALUES (NEW.id, NEW.state, NEW.locked_by, NEW.attempts);
  RETURN NEW;
END $$;
CREATE TRIGGER test_job_events_t AFTER UPDATE ON jobs
FOR EACH ROW EXECUTE FUNCTION test_job_events_f();
"""


def hour_key(t):
    return "housekeeping:" + time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(t))


class ScaleOutTest(unittest.TestCase):
    """Servers A and B (each with its job worker) and a lone worker on one database."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = Server()
        cls.b = cls.w = None
        try:
            cls.a.setup_data()
            cls.a.init()
            cls.db = Database(cls.a)
            cls.db.script(JOB_EVENTS_POSTGRES if PG else JOB_EVENTS_SQLITE)
            cls.t_start = time.time()
            cls.a.start()
            cls.b = Peer(cls.a)
            cls.b.start()
            cls.w = Worker(cls.a).start()
            cls.token = cls.a.token_for(ADMIN_EMAIL, name="scaleout")
        except BaseException:
            cls.stop_all(check=False)
            raise
        cls.ca = Client(cls.a.port, token=cls.token)
        cls.cb = Client(cls.b.port, token=cls.token)

    @classmethod
    def stop_all(cls, check):
        problems = []
        if check:
            # sharing a database is normal operation: nothing may be logged as an error
            for name, lines in (("A", cls.a.log), ("B", cls.b.log if cls.b else []),
                                ("worker", cls.w.log if cls.w else [])):
                errors = [l for l in lines if re.match(r"\S+ error ", l)]
                if errors:
                    problems.append("%s logged errors:\n%s" % (name, "\n".join(errors[:20])))
        for p in (cls.w, cls.b, cls.a):  # the primary last: it removes the data
            if p is None:
                continue
            try:
                p.stop(check=check)
            except AssertionError as e:
                problems.append(str(e))
        if problems:
            raise AssertionError("\n\n".join(problems))

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stop_all(check=True)
        finally:
            super().tearDownClass()

    def logs(self):
        return ("server A:\n%s\nserver B:\n%s\nworker:\n%s" %
                (self.a.log_text(40), self.b.log_text(40), "\n".join(self.w.log[-40:])))

    def ok(self, resp, expected, what):
        status, headers, body = resp
        if status != expected:
            self.fail("%s: expected %s, got %s %r\n%s" % (what, expected, status, body,
                                                          self.logs()))
        return body

    def all_ids(self, client, path):
        """Every id of a list, through its cursor pages."""
        ids, cursor, pages = [], None, 0
        while True:
            q = path + ("&" if "?" in path else "?") + "limit=200"
            if cursor:
                q += "&cursor=" + urllib.parse.quote(cursor)
            body = self.ok(client.get(q), 200, "GET " + q)
            ids += [r["id"] for r in body["data"]]
            cursor = body.get("next_cursor")
            pages += 1
            self.assertLess(pages, 100, "the cursor does not end")
            if not cursor:
                return ids

    # a) sessions live in the database

    @unittest.skipUnless(PG, "scale-out sessions: PostgreSQL")
    def test_a_session_from_a_works_on_b_and_logout_on_b_ends_it_on_a(self):
        on_a = Client(self.a.port)
        on_a.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.assertTrue(on_a.session and on_a.csrf)
        on_b = Client(self.b.port)
        on_b.session, on_b.csrf = on_a.session, on_a.csrf

        me = self.ok(on_b.get("/api/v1/me"), 200, "GET /me on B with A's session")
        self.assertEqual(me["user"]["email"], ADMIN_EMAIL)
        self.assertEqual(me.get("csrf_token"), on_a.csrf, "B sees the session's CSRF token")
        # an unsafe method on B: the CSRF token made on A is checked on B
        made = self.ok(on_b.post("/api/v1/companies", {"name": unique("via-b-session ")}), 201,
                       "POST on B with A's session")
        self.ok(on_a.get("/api/v1/companies/%d" % made["id"]), 200, "GET on A")
        bad = Client(self.b.port)
        bad.session, bad.csrf = on_a.session, "not-the-token"
        status, _, _ = bad.post("/api/v1/companies", {"name": unique("csrf ")})
        self.assertEqual(status, 403, "a wrong CSRF token on B")

        self.ok(on_b.post("/api/v1/auth/logout"), 204, "logout on B")
        status, _, body = on_a.get("/api/v1/me")
        self.assertEqual(status, 401, "A still accepts the session ended on B: %r" % (body,))
        status, _, _ = on_b.get("/api/v1/me")
        self.assertEqual(status, 401, "B still accepts its ended session")
        rows = self.db.query("SELECT COUNT(*) FROM sessions")
        self.assertEqual(rows[0][0], "0", "the session row outlived the logout")

    # b) concurrent creates through both servers

    def test_b_concurrent_creates_through_both_servers(self):
        threads_per_server, per_thread = 4, 25
        prefix = unique("scale-")
        results, failures, lock = {}, [], threading.Lock()

        def create(client, tag):
            for i in range(per_thread):
                name = "%s %s-%02d" % (prefix, tag, i)
                try:
                    status, headers, body = client.post("/api/v1/companies",
                                                        {"name": name, "kind": "client"})
                except Exception as e:  # a dropped connection is a failure too
                    status, headers, body = None, {}, repr(e)
                with lock:
                    if status == 201 and isinstance(body, dict):
                        results[name] = (body["id"], headers.get("location"))
                    else:
                        failures.append((tag, name, status, body))

        threads = []
        for server_tag, client in (("A", self.ca), ("B", self.cb)):
            for t in range(threads_per_server):
                threads.append(threading.Thread(target=create,
                                                args=(client, "%s%d" % (server_tag, t))))
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        total = 2 * threads_per_server * per_thread
        self.assertEqual(failures, [], "creates that failed:\n%r\n%s" % (failures[:10],
                                                                         self.logs()))
        self.assertEqual(len(results), total)
        ids = [v[0] for v in results.values()]
        self.assertEqual(len(set(ids)), total, "ids handed out twice")
        for name, (rid, location) in results.items():
            self.assertEqual(location, "/api/v1/companies/%d" % rid, name)

        # each server lists every one of them, with the right name
        mine = set(ids)
        for tag, client in (("A", self.ca), ("B", self.cb)):
            listed = self.all_ids(client, "/api/v1/companies?sort=id")
            self.assertEqual(len(listed), len(set(listed)), "%s lists an id twice" % tag)
            self.assertEqual(mine - set(listed), set(), "%s does not list these" % tag)
        by_id = {v[0]: k for k, v in results.items()}
        for rid in sorted(mine)[::20]:
            body = self.ok(self.cb.get("/api/v1/companies/%d" % rid), 200, "GET on B")
            self.assertEqual(body["name"], by_id[rid])
        rows = self.db.query("SELECT COUNT(*) FROM companies WHERE name LIKE '%s %%'" % prefix)
        self.assertEqual(int(rows[0][0]), total, "rows in the table")
        # one audit entry per create
        rows = self.db.query("SELECT COUNT(*) FROM audit_log WHERE resource = 'companies' AND "
                             "record_id IN (%s)" % ",".join(str(i) for i in ids))
        self.assertEqual(int(rows[0][0]), total, "audit entries for the creates")

    # c) idempotency keys live in the database

    @unittest.skipUnless(PG, "scale-out idempotency: PostgreSQL")
    def test_c_idempotency_key_used_on_a_replays_on_b(self):
        key = unique("idem-")
        body = {"name": unique("Idempotent Ltd "), "kind": "prospect"}
        s1, h1, b1 = self.ca.post("/api/v1/companies", body, headers={"Idempotency-Key": key})
        self.assertEqual(s1, 201, b1)
        self.assertNotEqual(h1.get("idempotent-replayed"), "true")
        s2, h2, b2 = self.cb.post("/api/v1/companies", body, headers={"Idempotency-Key": key})
        self.assertEqual(s2, 201, "replay on B: %r" % (b2,))
        self.assertEqual(h2.get("idempotent-replayed"), "true", h2)
        self.assertEqual(b2, b1, "B replays A's response")
        self.assertEqual(h2.get("location"), h1.get("location"))
        # the same key with another body, on B: 422
        s3, _, b3 = self.cb.post("/api/v1/companies", dict(body, kind="client"),
                                 headers={"Idempotency-Key": key})
        self.assertEqual(s3, 422, b3)
        rows = self.db.query("SELECT COUNT(*) FROM companies WHERE name = '%s'" % body["name"])
        self.assertEqual(rows[0][0], "1")

    @unittest.skipUnless(PG, "scale-out idempotency: PostgreSQL")
    def test_c_same_key_racing_on_both_servers_creates_once(self):
        rounds = 12
        for r in range(rounds):
            key = unique("race-")
            body = {"name": unique("Race %d " % r)}
            answers = [None, None]
            go = threading.Barrier(2)

            def send(i, client):
                go.wait()
                answers[i] = client.post("/api/v1/companies", body,
                                         headers={"Idempotency-Key": key})

            ts = [threading.Thread(target=send, args=(i, c))
                  for i, c in enumerate((self.ca, self.cb))]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)
            statuses = sorted(a[0] for a in answers)
            for st, hd, bd in answers:
                self.assertIn(st, (201, 409), "round %d: %r %r" % (r, st, bd))
            created = [a for a in answers if a[0] == 201 and
                       a[1].get("idempotent-replayed") != "true"]
            self.assertEqual(len(created), 1, "round %d: statuses %r" % (r, statuses))
            ids = {a[2]["id"] for a in answers if a[0] == 201}
            self.assertEqual(len(ids), 1, "round %d: two ids for one key" % r)
            # once settled, a retry on either server replays the one record
            for c in (self.ca, self.cb):
                st, hd, bd = c.post("/api/v1/companies", body, headers={"Idempotency-Key": key})
                self.assertEqual((st, hd.get("idempotent-replayed")), (201, "true"), bd)
                self.assertEqual(bd["id"], created[0][2]["id"])
            rows = self.db.query("SELECT COUNT(*) FROM companies WHERE name = '%s'" %
                                 body["name"])
            self.assertEqual(rows[0][0], "1", "round %d: the key created twice" % r)

    # e) login rate limits live in the database

    @unittest.skipUnless(PG, "scale-out rate limits: PostgreSQL")
    @needs_test_build
    def test_e_login_rate_limit_counts_guesses_on_both_servers(self):
        email = unique("guess") + "@example.com"
        password = "Right-Passw0rd-For-Guessing-1"
        self.a.add_user(email, "technician", password)

        def login(srv, pw):
            return Client(srv.port).request("POST", "/api/v1/auth/login",
                                            {"email": email, "password": pw})

        def wait(seconds):  # both servers' clocks, alike
            for srv in (self.a, self.b):
                srv.move_clock(seconds)

        # slowed to a wait of a minute and more, guessing on either server in turn
        for i in range(3):
            self.assertEqual(login((self.a, self.b)[i % 2], "free-%d" % i)[0], 401)
        retry, i = 0, 0
        while retry < 60:
            st, hd, body = login((self.a, self.b)[i % 2], password)
            self.assertEqual(st, 429, body)
            retry = int(hd["retry-after"])
            wait(retry)
            i += 1
            if retry < 60:
                self.assertEqual(login((self.a, self.b)[i % 2], "slow-%d" % i)[0], 401)
        # one attempt may go on now: of 10 sent at once to both servers, one is checked
        guesses = 10
        answers, go = [None] * guesses, threading.Barrier(guesses)

        def guess(i):
            client = Client((self.a if i % 2 else self.b).port)
            go.wait()
            answers[i] = client.request("POST", "/api/v1/auth/login",
                                        {"email": email, "password": "wrong-%d" % i})

        ts = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        statuses = sorted(a[0] for a in answers)
        self.assertEqual(statuses, [401] + [429] * 9,
                         "parallel guesses on two servers: %r\n%s" % (statuses, self.logs()))
        for st, hd, _ in answers:
            if st == 429:
                self.assertTrue(hd.get("retry-after", "").isdigit(), hd)
        # slowed on both servers, even with the right password
        for srv in (self.a, self.b):
            st, _, body = Client(srv.port).request("POST", "/api/v1/auth/login",
                                                   {"email": email, "password": password})
            self.assertEqual(st, 429, body)

    # f) If-Match holds across servers

    @unittest.skipUnless(PG, "scale-out optimistic locking: PostgreSQL")
    def test_f_racing_patches_with_one_etag_on_both_servers_one_wins(self):
        for r in range(10):
            made = self.ok(self.ca.post("/api/v1/companies", {"name": unique("Etag ")}), 201,
                           "create")
            path = "/api/v1/companies/%d" % made["id"]
            st, hd, _ = self.cb.get(path)
            etag = hd.get("etag")
            self.assertTrue(etag, hd)
            answers, go = [None, None], threading.Barrier(2)

            def patch(i, client):
                go.wait()
                answers[i] = client.patch(path, {"name": "winner %d-%d" % (r, i)},
                                          headers={"If-Match": etag})

            ts = [threading.Thread(target=patch, args=(i, c))
                  for i, c in enumerate((self.ca, self.cb))]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)
            statuses = sorted(a[0] for a in answers)
            self.assertEqual(statuses, [200, 412], "round %d: %r\n%s" % (
                r, [(a[0], a[2]) for a in answers], self.logs()))
            winner = [i for i in (0, 1) if answers[i][0] == 200][0]
            now = self.ok(self.ca.get(path), 200, "GET")
            self.assertEqual(now["name"], "winner %d-%d" % (r, winner))
            self.assertEqual(answers[winner][2]["name"], now["name"])

    # d) jobs run once

    def events(self):
        out = {}
        for job_id, state, worker, attempts in self.db.query(
                "SELECT job_id, state, worker, attempts FROM test_job_events ORDER BY seq"):
            out.setdefault(int(job_id), []).append((state, worker, attempts))
        return out

    def wait_jobs_done(self, where, n, what):
        deadline = time.monotonic() + JOBS_TIMEOUT
        while True:
            rows = self.db.query("SELECT id, state, attempts, unique_key FROM jobs WHERE " +
                                 where)
            if len(rows) >= n and all(r[1] in ("done", "failed") for r in rows):
                return rows
            if time.monotonic() > deadline:
                self.fail("%s: not done within %d s: %r\n%s" % (what, JOBS_TIMEOUT, rows[:20],
                                                               self.logs()))
            time.sleep(0.2)

    def check_ran_once(self, rows, events, what):
        for job_id, state, attempts, key in rows:
            self.assertEqual((state, attempts), ("done", "1"),
                             "%s: job %s (%s)\n%s" % (what, job_id, key, self.logs()))
            seq = [e[0] for e in events.get(int(job_id), [])]
            self.assertEqual(seq, ["running", "done"],
                             "%s: job %s (%s) went through %r" % (what, job_id, key,
                                                                   events.get(int(job_id))))

    def test_d_hourly_housekeeping_exists_once_and_runs_once(self):
        rows = self.wait_jobs_done("kind = 'housekeeping' AND unique_key LIKE 'housekeeping:%'",
                                   1, "the hourly housekeeping job")
        # let every worker (A, B and the lone one) poll and schedule a few more times
        time.sleep(2.5)
        now = time.time()
        rows = self.db.query("SELECT id, state, attempts, unique_key FROM jobs"
                             " WHERE unique_key LIKE 'housekeeping:%' ORDER BY id")
        keys = [r[3] for r in rows]
        self.assertEqual(len(keys), len(set(keys)), "one key queued twice: %r" % keys)
        expected = {hour_key(self.t_start), hour_key(now)}  # an hour may turn meanwhile
        self.assertIn(hour_key(now), keys, "no housekeeping for this hour: %r" % keys)
        self.assertEqual(set(keys) - expected, set(), "housekeeping for other hours")
        rows = self.wait_jobs_done("unique_key LIKE 'housekeeping:%'", len(rows),
                                   "the hourly housekeeping job")
        self.check_ran_once(rows, self.events(), "hourly housekeeping")
        rows = self.db.query("SELECT COUNT(*) FROM jobs WHERE unique_key = '%s'" % hour_key(now))
        self.assertEqual(rows[0][0], "1")

    def test_d_a_job_abandoned_by_a_dead_worker_is_run_again_once(self):
        key = unique("abandoned")
        # "running" since long before the lease: its worker died (no such pid runs)
        self.db.script("INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts,"
                       " unique_key, locked_by, locked_at, created_at) VALUES ('housekeeping',"
                       " '{}', 'running', '2000-01-01T00:00:00Z', 1, 3, '%s', 'gone:1',"
                       " '2000-01-01T00:00:01Z', '2000-01-01T00:00:00Z')" % key)
        rows = self.wait_jobs_done("unique_key = '%s'" % key, 1, "the abandoned job")
        job_id, state, attempts, _ = rows[0]
        self.assertEqual((state, attempts), ("done", "2"))
        seq = [e[0] for e in self.events().get(int(job_id), [])]
        self.assertEqual(seq, ["running", "done"], "re-claimed more than once")

    def test_d_queued_jobs_are_each_claimed_once_by_competing_workers(self):
        n = 1000
        batch = unique("batch")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        values = ",".join("('housekeeping', '{}', '2000-01-01T00:00:00Z', 3, '%s:%03d', '%s')" %
                          (batch, i, now) for i in range(n))
        # every worker waits on the lock, then all see the whole batch at once
        self.db.insert_held("INSERT INTO jobs (kind, payload, run_at, max_attempts, unique_key,"
                            " created_at) VALUES " + values, 1.5)
        rows = self.wait_jobs_done("unique_key LIKE '%s:%%'" % batch, n, "the batch")
        self.assertEqual(len(rows), n)
        events = self.events()
        self.check_ran_once(rows, events, "batch")
        workers = {}
        for job_id, *_ in rows:
            w = events[int(job_id)][0][1]
            workers[w] = workers.get(w, 0) + 1
        self.assertTrue(all(workers), "a claim without locked_by: %r" % workers)
        pids = {"A": self.a.proc.pid, "B": self.b.proc.pid, "worker": self.w.proc.pid}
        per_process = {}
        for w, count in workers.items():
            owner = [k for k, pid in pids.items() if w.endswith(":%d" % pid)]
            self.assertEqual(len(owner), 1, "a claim by an unknown worker %r" % w)
            per_process[owner[0]] = count
        print("\n    claims per process: %r" % per_process, end=" ")
        if PG:
            # they competed (SKIP LOCKED): no one process drained the batch alone. On
            # SQLite the writer that holds the lock tends to keep it, so there one
            # process may well take every job; what counts is that none ran twice.
            self.assertGreaterEqual(len(per_process), 2, per_process)


class StartTogetherTest(unittest.TestCase):
    """
    After an upgrade every server of a deployment starts at once and each
    applies pending migrations ("servio serve" does unless --no-migrate):
    all of them must come up, and each migration must be applied once.
    Also on SQLite (several servers on one data directory).
    """

    SERVERS = 4
    ROUNDS = 3  # a race: on SQLite one round shows it more often than not, so try a few

    def test_servers_starting_at_once_on_an_unmigrated_database_all_serve(self):
        for r in range(self.ROUNDS):
            self.start_together(r)

    def start_together(self, round_no):
        base = Server(init=False)
        base.setup_data()
        if not PG:
            # the file exists (in WAL mode, as servio leaves it) but has no tables yet
            con = sqlite3.connect(os.path.join(base.dir, "servio.db"))
            con.execute("PRAGMA journal_mode=WAL")
            con.close()
        peers = [Peer(base) for _ in range(self.SERVERS)]
        failures = [None] * len(peers)
        go = threading.Barrier(len(peers))

        def start(i):
            go.wait()
            try:
                peers[i].start()
            except AssertionError as e:
                failures[i] = str(e)

        ts = [threading.Thread(target=start, args=(i,)) for i in range(len(peers))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        try:
            failed = [f for f in failures if f]
            if failed:
                self.fail("round %d: %d of %d servers did not start (each applied the pending"
                          " migrations without taking a lock or re-reading the schema version"
                          " inside the migration's transaction):\n%s" %
                          (round_no + 1, len(failed), len(peers), "\n\n".join(failed)))
            for p in peers:
                st, _, body = Client(p.port).get("/healthz")
                self.assertEqual(st, 200, body)
            rows = Database(base).query("SELECT version, COUNT(*) FROM schema_migrations"
                                        " GROUP BY version ORDER BY version")
            self.assertTrue(rows)
            self.assertEqual([r[1] for r in rows], ["1"] * len(rows), rows)
        finally:
            for p in peers:
                p.stop(check=False)
            base.stop(check=False)


if __name__ == "__main__":
    unittest.main()
