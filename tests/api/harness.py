"""
harness.py - starts the real servio server for the API tests and speaks
HTTP to it.

    with Server() as srv:                      # or srv.start() / srv.stop()
        admin = srv.admin()                    # Client with a bearer token
        status, headers, body = admin.request("GET", "/api/v1/companies")

A Server is a fresh data directory (and, with SERVIO_TEST_BACKEND=postgres,
a fresh database on the throwaway PostgreSQL whose URL is in
SERVIO_TEST_PG_URL_FILE): "servio init" creates it with an admin, then
"servio serve" listens on a free port of 127.0.0.1. Its stderr is drained
by a thread into srv.log so the pipe never fills; the log is shown when
something goes wrong. stop() sends SIGTERM and checks that the server
exits with status 0 (graceful shutdown); kill() stops it as a crash would
(SIGKILL), and restart() serves the same data again.

Tests start one server per test class (ServerTestCase does it in
setUpClass), never one per test. Standard library only.

Time. A test that needs time to pass (a session to idle out, a rate-limit
window to close, a TOTP step to begin) moves the server's clock rather
than sleeping: srv.move_clock(seconds) or srv.set_clock(offset) through
the admin-only POST /api/v1/test/clock, which only a test build has
(TEST_BUILD; "servio version" says "(test build)"); decorate such tests
with @needs_test_build. Every servio process the Server starts afterwards
(a restart, run_cli, a worker) gets the same offset through
SERVIO_TEST_CLOCK_OFFSET.
"""

import calendar
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

import allocfail

SOURCE_DIR = os.environ.get("SERVIO_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("SERVIO_BIN") or os.path.join(SOURCE_DIR, "build", "servio")
BACKEND = os.environ.get("SERVIO_TEST_BACKEND", "sqlite")

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Adm1n-Pass-For-Tests-Only-7f3c!"
START_TIMEOUT = 20
STOP_TIMEOUT = 30

# Configuration variables of the caller's environment must not leak into a
# test server (a developer's SERVIO_LISTEN would change what we test).
_CONF_VARS = ("SERVIO_DATA_DIR", "SERVIO_LISTEN", "SERVIO_DATABASE_URL", "SERVIO_LOG_LEVEL",
              "SERVIO_WEB_ROOT", "SERVIO_THREADS", "SERVIO_MAX_BODY",
              "SERVIO_SESSION_IDLE_MINUTES", "SERVIO_SESSION_MAX_HOURS",
              "SERVIO_ADMIN_EMAIL", "SERVIO_ADMIN_PASSWORD", "SERVIO_TEST_CLOCK_OFFSET")
CLOCK_ENV = "SERVIO_TEST_CLOCK_OFFSET"
CLOCK_PATH = "/api/v1/test/clock"

INDEX_HTML = ("<!doctype html><html><head><title>Servio test UI</title></head>"
              "<body><div id=\"app\">servio-test-index</div></body></html>\n")


def base_env(extra=None):
    """The environment for a servio process: ours minus its configuration."""
    env = {k: v for k, v in os.environ.items() if k not in _CONF_VARS}
    env["SERVIO_ARGON2_FAST"] = "1"
    if extra:
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
    return env


def _is_test_build():
    """Whether BIN is a test build (SERVIO_TEST_HOOKS): it can move its clock."""
    if not os.access(BIN, os.X_OK):
        return False  # Server.start says what is missing
    r = subprocess.run([BIN, "version"], capture_output=True, text=True, env=base_env(),
                       stdin=subprocess.DEVNULL, timeout=60)
    return r.returncode == 0 and "(test build)" in r.stdout


TEST_BUILD = _is_test_build()

# For tests that move the server's clock: a release build has no clock route.
needs_test_build = unittest.skipUnless(
    TEST_BUILD, "needs a test build of servio (SERVIO_TEST_HOOKS) to move its clock")


def parse_time(text):
    """RFC 3339 UTC as servio writes it ("2026-11-22T14:05:00Z") -> Unix seconds."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


# --- PostgreSQL: a fresh database per server, stdlib only ----------------------------

def _pg_url():
    path = os.environ.get("SERVIO_TEST_PG_URL_FILE")
    if not path or not os.path.exists(path):
        raise RuntimeError("SERVIO_TEST_BACKEND=postgres but SERVIO_TEST_PG_URL_FILE (%r) "
                           "names no file: is the pg.start fixture running?" % path)
    with open(path) as f:
        url = f.read().strip()
    if not url.startswith(("postgres://", "postgresql://")):
        raise RuntimeError("no PostgreSQL URL in %s: %r" % (path, url))
    return url


def pg_query(url, sql):
    """
    Runs SQL (one or more statements) with the simple query protocol and
    trust authentication, behind the servers' backs. Returns (column names,
    rows) of the last result; values are str or None. Raises RuntimeError
    on an error.
    """
    u = urllib.parse.urlparse(url)
    user = urllib.parse.unquote(u.username or "postgres")
    dbname = urllib.parse.unquote(u.path.lstrip("/") or "postgres")
    with socket.create_connection((u.hostname or "127.0.0.1", u.port or 5432), timeout=30) as s:
        params = b"user\0" + user.encode() + b"\0database\0" + dbname.encode() + b"\0\0"
        s.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)

        def read_exact(n):
            data = b""
            while len(data) < n:
                chunk = s.recv(n - len(data))
                if not chunk:
                    raise RuntimeError("PostgreSQL closed the connection")
                data += chunk
            return data

        def read_until_ready():
            error, cols, rows = None, [], []
            while True:
                kind = read_exact(1)
                (length,) = struct.unpack("!i", read_exact(4))
                payload = read_exact(length - 4)
                if kind == b"R" and struct.unpack("!i", payload[:4])[0] != 0:
                    raise RuntimeError("PostgreSQL asks for a password")
                if kind == b"E":
                    error = payload.replace(b"\0", b" ").decode(errors="replace")
                elif kind == b"T":
                    (n,) = struct.unpack("!h", payload[:2])
                    pos, cols, rows = 2, [], []
                    for _ in range(n):
                        end = payload.index(b"\0", pos)
                        cols.append(payload[pos:end].decode())
                        pos = end + 1 + 18
                elif kind == b"D":
                    (n,) = struct.unpack("!h", payload[:2])
                    pos, row = 2, []
                    for _ in range(n):
                        (size,) = struct.unpack("!i", payload[pos:pos + 4])
                        pos += 4
                        if size < 0:
                            row.append(None)
                        else:
                            row.append(payload[pos:pos + size].decode())
                            pos += size
                    rows.append(tuple(row))
                elif kind == b"Z":
                    return error, cols, rows

        err, _, _ = read_until_ready()
        if err:
            raise RuntimeError("PostgreSQL: " + err)
        q = sql.encode() + b"\0"
        s.sendall(b"Q" + struct.pack("!i", 4 + len(q)) + q)
        err, cols, rows = read_until_ready()
        s.sendall(b"X" + struct.pack("!i", 4))
        if err:
            raise RuntimeError("PostgreSQL: %s (for %s)" % (err, sql[:300]))
        return cols, rows


def _pg_simple_query(url, sql):
    """Runs one statement, its result unread."""
    pg_query(url, sql)


def _pg_fresh_database():
    """Creates an empty database; returns (its URL, the admin URL, its name)."""
    url = _pg_url()
    name = "servio_test_" + secrets.token_hex(6)
    _pg_simple_query(url, "CREATE DATABASE " + name)
    u = urllib.parse.urlparse(url)
    return urllib.parse.urlunparse(u._replace(path="/" + name)), url, name


def pg_tool(name):
    """
    A PostgreSQL client program (pg_dump, pg_restore, psql) of the version
    the pg.start fixture runs (scripts/pg-temp.sh takes the newest
    /usr/lib/postgresql/*/bin), or None.
    """
    root = "/usr/lib/postgresql"
    versions = [d for d in os.listdir(root) if d.isdigit()] if os.path.isdir(root) else []
    if not versions:
        return None
    path = os.path.join(root, max(versions, key=int), "bin", name)
    return path if os.access(path, os.X_OK) else None


# --- HTTP ----------------------------------------------------------------------------

class Client:
    """
    Speaks HTTP to one server. Authenticates with a bearer token, or with
    a cookie session after login() (then unsafe methods carry the CSRF
    token, unless the test overrides X-CSRF-Token).
    """

    def __init__(self, port, token=None, host="127.0.0.1"):
        self.host = host
        self.port = port
        self.token = token
        self.session = None
        self.csrf = None
        self.cookie = "servio_session"
        self.keep_alive = False     # True: one connection for every request (see request)
        self._conn = None

    def login(self, email, password, expect=200):
        status, headers, body = self.request(
            "POST", "/api/v1/auth/login", {"email": email, "password": password})
        if expect is not None and status != expect:
            raise AssertionError("login of %s: expected %s, got %s %r" %
                                 (email, expect, status, body))
        if status == 200:
            m = re.search(r"servio_session=([^;,\s]+)", headers.get("set-cookie", ""))
            if not m:
                raise AssertionError("login set no servio_session cookie: %r" % headers)
            self.session = m.group(1)
            self.csrf = body.get("csrf_token") if isinstance(body, dict) else None
            self.token = None
        return status, headers, body

    def portal_login(self, email, password, totp=None, expect=200):
        """Signs in to the client portal: the session rides in servio_portal."""
        body = {"email": email, "password": password}
        if totp is not None:
            body["totp"] = totp
        status, headers, reply = self.request("POST", "/api/v1/portal/auth/login", body)
        if expect is not None and status != expect:
            raise AssertionError("portal login of %s: expected %s, got %s %r" %
                                 (email, expect, status, reply))
        if status == 200:
            self.adopt_portal_session(headers, reply)
        return status, headers, reply

    def adopt_portal_session(self, headers, reply):
        """Takes the portal session a reply (login, activate) set."""
        m = re.search(r"servio_portal=([^;,\s]+)", headers.get("set-cookie", ""))
        if not m:
            raise AssertionError("no servio_portal cookie: %r" % headers)
        self.session = m.group(1)
        self.cookie = "servio_portal"
        self.csrf = reply.get("csrf_token") if isinstance(reply, dict) else None
        self.token = None

    def request(self, method, path, body=None, headers=None, raw=None, timeout=60):
        """
        Sends one request on a new connection. body is encoded as JSON;
        raw (bytes or str) is sent as is (Content-Type application/json
        unless headers say otherwise). A header given as None is left out.
        Returns (status, headers with lower-cased names, parsed JSON or text).
        Repeated headers are joined with ", " (Set-Cookie with "\n").
        """
        hdrs = {}
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        if self.session:
            hdrs["Cookie"] = self.cookie + "=" + self.session
            if method not in ("GET", "HEAD", "OPTIONS") and self.csrf:
                hdrs["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
        elif raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        for k, v in (headers or {}).items():
            for existing in [h for h in hdrs if h.lower() == k.lower()]:
                del hdrs[existing]
            if v is not None:
                hdrs[k] = v
        if allocfail.REPLAY:  # SERVIO_ALLOCFAIL_REPLAY: the sweep replays the suite's GETs
            allocfail.replay(self.port, method, path, hdrs, data)
        if self.keep_alive:
            return self._request_kept(method, path, data, hdrs, timeout)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            try:
                conn.request(method, path, body=data, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer (413) before reading the whole body
            return self._response(conn)
        finally:
            conn.close()

    def _request_kept(self, method, path, data, hdrs, timeout):
        """One request on the kept connection; a connection the server closed is opened again."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                self._conn.request(method, path, body=data, headers=hdrs)
                reply = self._response(self._conn)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                self.close()
                if attempt == 2:
                    raise
                continue
            if reply[1].get("connection", "").lower() == "close":
                self.close()
            return reply

    def close(self):
        """Closes the kept connection (if any)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @staticmethod
    def _response(conn):
        """Reads one response: (status, headers with lower-cased names, decoded body)."""
        resp = conn.getresponse()
        payload = resp.read()
        out = {}
        for k, v in resp.getheaders():
            k = k.lower()
            if k in out:
                out[k] += ("\n" if k == "set-cookie" else ", ") + v
            else:
                out[k] = v
        return resp.status, out, decode_body(out, payload)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def decode_body(headers, payload):
    ctype = headers.get("content-type", "")
    if ctype.startswith("application/pdf"):
        return payload  # binary documents stay bytes
    text = payload.decode("utf-8", errors="replace")
    if "json" in ctype and payload:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def raw_http(port, data, timeout=30, source=None):
    """
    Sends raw bytes on a socket and reads the reply until the server closes
    or Content-Length is read. Returns (status, headers, body text); status
    is None when the server closed without an answer. Repeated headers are
    joined as Client.request joins them. source: another loopback address
    to connect from (127.0.0.x), as another client would.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(source, 0) if source else None) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        while b"\r\n\r\n" not in buf:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                chunk = b""
            if not chunk:
                break
            buf += chunk
        if b"\r\n\r\n" not in buf:
            return None, {}, buf.decode(errors="replace")
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k, v = k.strip().lower(), v.strip()
            headers[k] = headers[k] + ("\n" if k == "set-cookie" else ", ") + v if k in headers else v
        want = int(headers.get("content-length", "-1"))
        while want < 0 or len(rest) < want:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            rest += chunk
        return status, headers, rest.decode(errors="replace")


# --- the server ----------------------------------------------------------------------

class Server:
    """One servio server on a fresh data directory and database."""

    def __init__(self, init=True, serve_args=(), env=None):
        self.do_init = init
        self.serve_args = list(serve_args)
        self.extra_env = dict(env or {})
        self.dir = None
        self.web_root = None
        self.database_url = None
        self._pg_admin_url = None
        self._pg_name = None
        self.proc = None
        self.port = None
        self.log = []
        self._log_lock = threading.Lock()
        self._listening = threading.Event()
        self._drain = None
        self._admin_token = None
        self.clock_offset = 0       # what the last set_clock set

    # lifecycle

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop(check=exc[0] is None)
        return False

    def setup_data(self):
        """The data directory, the web root and (postgres) a database; no init."""
        self.dir = tempfile.mkdtemp(prefix="servio-apitest-")
        self.web_root = os.path.join(self.dir, "web")
        os.makedirs(self.web_root)
        with open(os.path.join(self.web_root, "index.html"), "w") as f:
            f.write(INDEX_HTML)
        if BACKEND == "postgres":
            self.database_url, self._pg_admin_url, self._pg_name = _pg_fresh_database()

    def init(self, check=True):
        r = self.run_cli("init", env={"SERVIO_ADMIN_EMAIL": ADMIN_EMAIL,
                                      "SERVIO_ADMIN_PASSWORD": ADMIN_PASSWORD})
        if check and r.returncode != 0:
            raise AssertionError("servio init failed (%d):\n%s%s" %
                                 (r.returncode, r.stdout, r.stderr))
        return r

    def start(self):
        if not os.access(BIN, os.X_OK):
            raise RuntimeError("no servio binary at %s (set SERVIO_BIN)" % BIN)
        try:
            if self.dir is None:
                self.setup_data()
                if self.do_init:
                    self.init()
            self._spawn()
        except BaseException:
            self.stop(check=False)
            raise
        return self

    def _spawn(self):
        cmd = [BIN, "serve"] + self.conf_args() + [
            "--listen", "127.0.0.1:0", "--web-root", self.web_root,
            "--log-level", "info"] + self.serve_args
        self.log = []
        self._listening.clear()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE,
                                     env=base_env(self._with_clock(self.extra_env)))
        self._drain = threading.Thread(target=self._drain_stderr, args=(self.proc,),
                                       daemon=True)
        self._drain.start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._listening.wait(0.05):
                return
            if self.proc.poll() is not None:
                self._drain.join(5)
                raise AssertionError("servio serve exited with status %d before listening:\n%s"
                                     % (self.proc.returncode, self.log_text()))
        raise AssertionError("servio serve did not say \"listening on\" within %d s:\n%s"
                             % (START_TIMEOUT, self.log_text()))

    def _drain_stderr(self, proc):
        for raw in iter(proc.stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self._log_lock:
                self.log.append(line)
            if not self._listening.is_set():
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    self._listening.set()
        proc.stderr.close()

    def log_text(self, last=200):
        with self._log_lock:
            lines = self.log[-last:]
        return "\n".join("    | " + line for line in lines)

    def stop(self, check=True):
        """SIGTERM; with check, asserts a graceful exit with status 0."""
        problem = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problem = "servio serve did not stop within %d s of SIGTERM" % STOP_TIMEOUT
        if self.proc is not None:
            if self._drain:
                self._drain.join(10)
            if problem is None and self.proc.returncode != 0:
                problem = "servio serve exited with status %d after SIGTERM" % self.proc.returncode
            if problem is None:
                sanitizer = [l for l in self.log if "Sanitizer" in l or "runtime error:" in l]
                if sanitizer:
                    problem = "servio serve reported a sanitizer error"
        log = self.log_text(400)
        self.proc = None
        if self._pg_name:
            try:
                _pg_simple_query(self._pg_admin_url,
                                 "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self._pg_name)
            except Exception:
                pass
            self._pg_name = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        if problem and check:
            raise AssertionError(problem + ":\n" + log)

    @contextlib.contextmanager
    def stopped(self):
        """
        The server stopped (gracefully, checked; its data kept) for the with
        block, then serving the same data again: for what must not run
        beside a live server (servio copy: its worker writes every second).
        """
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(STOP_TIMEOUT)
            self._drain.join(10)
            if self.proc.returncode != 0:
                raise AssertionError("servio serve exited with status %d:\n%s" %
                                     (self.proc.returncode, self.log_text()))
        try:
            yield self
        finally:
            self._spawn()

    def kill(self):
        """
        SIGKILL, as a crash would stop it: no shutdown code runs, the data
        directory and database stay as the moment left them. restart()
        serves them again. Raises when the killed server had reported a
        sanitizer error.
        """
        if self.proc is None or self.proc.poll() is not None:
            raise AssertionError("servio serve is not running (status %r):\n%s" % (
                self.proc and self.proc.returncode, self.log_text()))
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(STOP_TIMEOUT)
        self._drain.join(10)
        if any("Sanitizer" in l or "runtime error:" in l for l in self.log):
            raise AssertionError("servio serve reported a sanitizer error before the kill:\n"
                                 + self.log_text(400))

    def restart(self):
        """Stops (gracefully, checked; after kill() at once) and serves the same data again."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(STOP_TIMEOUT)
            self._drain.join(10)
            if self.proc.returncode != 0:
                raise AssertionError("servio serve exited with status %d:\n%s" %
                                     (self.proc.returncode, self.log_text()))
        self._spawn()

    # the clock (test builds only)

    def _with_clock(self, env):
        """env plus the clock offset, so a process started now shares the server's time."""
        if not self.clock_offset:
            return env
        return dict({CLOCK_ENV: str(self.clock_offset)}, **(env or {}))

    def clock(self):
        """The server's clock: {"now": RFC 3339, "offset_seconds": N}."""
        status, _, body = self.admin().get(CLOCK_PATH)
        if status != 200:
            raise AssertionError("GET %s: %s %r (a test build?)" % (CLOCK_PATH, status, body))
        return body

    def now(self):
        """The server's time_now() in Unix seconds."""
        return parse_time(self.clock()["now"])

    def set_clock(self, offset=None, now=None):
        """
        Sets the server's clock to run offset seconds ahead of the real time
        (behind when negative), or to read now (an RFC 3339 string) at this
        moment. Returns the server's time afterwards in Unix seconds.
        """
        body = {"offset_seconds": offset} if now is None else {"now": now}
        status, _, reply = self.admin().post(CLOCK_PATH, body)
        if status != 200:
            raise AssertionError("POST %s %r: %s %r%s" % (
                CLOCK_PATH, body, status, reply,
                "" if TEST_BUILD else " (%s is not a test build)" % BIN))
        self.clock_offset = reply["offset_seconds"]
        return parse_time(reply["now"])

    def move_clock(self, seconds):
        """Moves the server's clock on by seconds; returns its time afterwards."""
        return self.set_clock(self.clock()["offset_seconds"] + seconds)

    def execute(self, sql):
        """Runs one statement on the server's database (to set up what HTTP cannot: the past)."""
        if self.database_url:
            _pg_simple_query(self.database_url, sql)
            return
        import sqlite3
        con = sqlite3.connect(os.path.join(self.dir, "servio.db"), timeout=30)
        try:
            con.execute(sql)
            con.commit()
        finally:
            con.close()

    # the command line against the same data

    def conf_args(self):
        args = ["--data-dir", self.dir]
        if self.database_url:
            args += ["--database-url", self.database_url]
        return args

    def run_cli(self, *args, env=None, input=None, timeout=60):
        """
        Runs "servio ARGS --data-dir DIR" (on the server's clock); returns the
        CompletedProcess (text).
        """
        cmd = [BIN] + list(args) + self.conf_args()
        kw = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
        return subprocess.run(cmd, capture_output=True, text=True,
                              env=base_env(self._with_clock(env)), timeout=timeout, **kw)

    def add_user(self, email, role, password, name=None):
        r = self.run_cli("user", "add", "--email", email, "--name", name or email.split("@")[0],
                         "--role", role, "--password", password)
        if r.returncode != 0:
            raise AssertionError("servio user add %s failed (%d):\n%s%s" %
                                 (email, r.returncode, r.stdout, r.stderr))
        return r

    def token_for(self, email, name="test"):
        r = self.run_cli("token", "create", "--email", email, "--name", name)
        if r.returncode != 0:
            raise AssertionError("servio token create for %s failed (%d):\n%s%s" %
                                 (email, r.returncode, r.stdout, r.stderr))
        token = find_token(r.stdout)
        if not token:
            raise AssertionError("servio token create printed no svo_ token:\n%s" % r.stdout)
        return token

    # clients

    def client(self, token=None):
        return Client(self.port, token=token)

    def admin(self):
        """A client authenticated as the admin with an API token."""
        if self._admin_token is None:
            self._admin_token = self.token_for(ADMIN_EMAIL, name="admin-test")
        return Client(self.port, token=self._admin_token)

    def session(self, email, password):
        c = Client(self.port)
        c.login(email, password)
        return c


def role_schema(program=None):
    """
    What `servio schema roles` says about who may do what (web/src/lib/roles.gen.ts):
    {"routes": [(method, pattern, {roles})] (a public route's roles are {"public"}),
     "roles": the staff roles, in order,
     "masks": {record type: {field: {roles it is hidden from}}},
     "owners": {record type: (owner field, {roles that may change anyone's rows})},
     "portal_roles": [portal_role, ...],
     "portal_areas": [(path prefix, {portal roles})]}.
    """
    out = subprocess.run([program or BIN, "schema", "roles"], capture_output=True, text=True,
                         check=True, env=base_env()).stdout

    def block(name):
        m = re.search(r"^export const %s = (.*?)^\}" % name, out, re.M | re.S)
        if not m:
            raise AssertionError("servio schema roles gives no %s:\n%s" % (name, out))
        return m.group(1)

    def names(text):
        return re.findall(r'"([a-z_]+)"', text)

    routes = [(m.group(1), m.group(2), set(names(m.group(3))))
              for m in re.finditer(r'^\s+"([A-Z]+) ([^"]+)": \[([^\]]*)\]', block("routeRoles"),
                                   re.M)]
    every = names(re.search(r"^export type RouteRole =(.*);$", out, re.M).group(1))
    masks = {}
    for m in re.finditer(r"^  (\w+): \{\n\s+hiddenFrom: \{([^}]*)\}", block("fieldMasks"), re.M):
        masks[m.group(1)] = {f.group(1): set(names(f.group(2)))
                             for f in re.finditer(r"(\w+): \[([^\]]*)\]", m.group(2))}
    owners = {m.group(1): (m.group(2), set(names(m.group(3))))
              for m in re.finditer(r'^  (\w+): \{ field: "(\w+)", anyOwner: \[([^\]]*)\] \}',
                                   block("ownerRows"), re.M)}
    portal_roles = names(re.search(r"^export const portalRoles = \[(.*)\]", out, re.M).group(1))
    areas = [(m.group(1), set(names(m.group(2))))
             for m in re.finditer(r'^\s+"([^"]+)": \[([^\]]*)\]', block("portalAreas"), re.M)]
    return {"routes": routes, "roles": [r for r in every if r not in ("portal", "public")],
            "masks": masks, "owners": owners, "portal_roles": portal_roles, "portal_areas": areas}


def route_table(program=None):
    """Every route and its roles, from `servio schema roles`: [(method, pattern, {roles})]."""
    return role_schema(program)["routes"]


def find_token(text):
    for word in re.split(r"\s+", text or ""):
        word = word.strip("\"'`,;()[]")
        if word.startswith("svo_"):
            return word
    return None


class ClassFixtures:
    """Writes for a test class that builds its records once, in setUpClass:
    POST and PATCH (with the record's current ETag) as the admin, failing
    loudly with the server's log when the fixture is refused. The class's
    build() makes them once the server is up; a failure stops the server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.build()
        except BaseException:
            cls.server.stop(check=False)
            raise

    @classmethod
    def post(cls, path, body=None, etag_of=None, client=None):
        headers = None
        if etag_of:
            headers = {"If-Match": cls.admin.get("/api/v1/" + etag_of)[1]["etag"]}
        status, _, reply = (client or cls.admin).request("POST", "/api/v1/" + path, body,
                                                         headers=headers)
        assert status in (200, 201), (path, body, status, reply, cls.server.log_text(20))
        return reply

    @classmethod
    def patch(cls, path, body):
        etag = cls.admin.get("/api/v1/" + path)[1]["etag"]
        status, _, reply = cls.admin.patch("/api/v1/" + path, body, headers={"If-Match": etag})
        assert status == 200, (path, body, status, reply)
        return reply


class ServerTestCase(unittest.TestCase):
    """A test class with one fresh server (setUpClass) and an admin client."""

    server_env = None
    server = None
    admin = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(env=cls.server_env)
        cls.server.start()
        try:
            cls.admin = cls.server.admin()
        except BaseException:
            cls.server.stop(check=False)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server:
                cls.server.stop(check=True)
        finally:
            super().tearDownClass()

    # assertions with the server log at hand

    def assertStatus(self, resp, expected, what=""):
        status, headers, body = resp
        ok = status in expected if isinstance(expected, (tuple, list, set)) else status == expected
        if not ok:
            self.fail("%sexpected status %s, got %s\nheaders: %r\nbody: %r\nserver log tail:\n%s"
                      % (what + ": " if what else "", expected, status, headers,
                         body if not isinstance(body, str) else body[:2000],
                         self.server.log_text(30) if self.server else ""))
        return body

    def assertProblem(self, resp, status, field=None, what=""):
        """An RFC 9457 problem with this status (and an error naming field)."""
        body = self.assertStatus(resp, status, what)
        _, headers, _ = resp
        ctype = headers.get("content-type", "")
        self.assertTrue(ctype.startswith("application/problem+json"),
                        "%s: content type %r is not application/problem+json" % (what, ctype))
        self.assertIsInstance(body, dict, what)
        for key in ("type", "title", "status", "detail"):
            self.assertIn(key, body, "%s: problem lacks %r: %r" % (what, key, body))
        self.assertEqual(body["status"], resp[0], what)
        if field is not None:
            names = problem_fields(body)
            self.assertIn(field, names, "%s: no error names %r: %r" % (what, field, body))
        return body


def problem_fields(body):
    """The field names a problem's errors[] (or else its detail) name."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        return [e.get("field") for e in errors if isinstance(e, dict)]
    return []


def unique(prefix="x"):
    return "%s%s" % (prefix, secrets.token_hex(4))


if __name__ == "__main__":
    # a quick manual check: start, print the port, wait for Enter, stop
    with Server() as srv:
        print("servio on port %d, data in %s; admin token %s" % (srv.port, srv.dir,
                                                                 srv.admin().token))
        sys.stdin.readline()
