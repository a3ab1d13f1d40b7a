"""
test_cli.py - the servio command line: help texts, version, configuration
errors (refused with exit status 2 and a message naming the problem),
serve before init, init twice, migrate, and the user and token commands
checked against a running server.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, BACKEND, BIN, Client, Server, ServerTestCase,
                     base_env, find_token)

USER_PASSWORD = "User-Pass-For-Tests-0nly-314!"
NEW_PASSWORD = "New-Pass-For-Tests-0nly-2718!"


def run(*args, env=None, timeout=30, cwd=None):
    """Runs servio with args; a command that does not end in time is killed and fails."""
    try:
        return subprocess.run([BIN] + list(args), capture_output=True, text=True,
                              env=base_env(env), timeout=timeout, stdin=subprocess.DEVNULL,
                              cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("servio %s did not finish within %d s (it should have refused "
                             "to run); output:\n%s%s" % (" ".join(args), timeout,
                                                         e.stdout or "", e.stderr or ""))


def output(r):
    return (r.stdout or "") + (r.stderr or "")


class HelpTest(unittest.TestCase):
    """Needs no data: help, version, usage errors."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="servio-clitest-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_main_help(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0, output(r))
        for word in ("serve", "worker", "init", "migrate", "user", "token", "routes", "version",
                     "--data-dir", "--listen", "--database-url", "--log-level", "--web-root"):
            self.assertIn(word, r.stdout, "servio --help does not mention %s" % word)
        r2 = run("-h")
        self.assertEqual(r2.returncode, 0)
        self.assertEqual(r2.stdout, r.stdout)

    def test_command_help(self):
        expect = {
            "serve": ["--no-worker", "--no-migrate"],
            "worker": ["worker"],
            "init": ["init", "SERVIO_ADMIN_EMAIL", "SERVIO_ADMIN_PASSWORD"],
            "migrate": ["migrat"],
            "user": ["add", "list", "passwd", "disable", "--email"],
            "token": ["create", "list", "revoke", "--email"],
            "routes": ["METHOD"],
            "backup": ["--to"],
            "copy": ["--to"],
        }
        for cmd, words in expect.items():
            for flag in ("--help", "-h"):
                with self.subTest(cmd=cmd, flag=flag):
                    # help works even where the data directory does not exist
                    r = run(cmd, flag, "--data-dir", os.path.join(self.tmp, "none"))
                    self.assertEqual(r.returncode, 0, output(r))
                    self.assertIn("usage", r.stdout.lower(), "%s %s: %r" % (cmd, flag, r.stdout))
                    for word in words:
                        self.assertIn(word, r.stdout, "servio %s --help does not mention %s"
                                      % (cmd, word))
                    self.assertFalse(os.path.exists(os.path.join(self.tmp, "none")),
                                     "--help created the data directory")

    def test_subcommand_help(self):
        expect = {
            ("user", "add"): ["--email", "--name", "--role", "--password"],
            ("user", "passwd"): ["--email", "--password"],
            ("user", "disable"): ["--email"],
            ("user", "list"): ["list"],
            ("token", "create"): ["--email", "--name"],
            ("token", "list"): ["list"],
            ("token", "revoke"): ["revoke"],
        }
        for args, words in expect.items():
            with self.subTest(args=args):
                r = run(*args, "--help", "--data-dir", os.path.join(self.tmp, "none"))
                self.assertEqual(r.returncode, 0, output(r))
                for word in words:
                    self.assertIn(word, r.stdout, "servio %s --help does not mention %s" %
                                  (" ".join(args), word))

    def test_version(self):
        for args in (("version",), ("--version",)):
            r = run(*args)
            self.assertEqual(r.returncode, 0, output(r))
            self.assertRegex(r.stdout.strip(), r"^servio \d+\.\d+\.\d+")

    def test_usage_errors(self):
        r = run()
        self.assertEqual(r.returncode, 2, output(r))
        self.assertIn("usage", r.stderr.lower())
        r = run("frobnicate")
        self.assertEqual(r.returncode, 2, output(r))
        self.assertIn("frobnicate", r.stderr)
        r = run("--frobnicate")
        self.assertEqual(r.returncode, 2, output(r))
        self.assertIn("--frobnicate", r.stderr)
        r = run("user", "frobnicate", "--data-dir", self.tmp)
        self.assertNotEqual(r.returncode, 0, output(r))
        r = run("serve", "--bogus-flag", "--data-dir", self.tmp)
        self.assertEqual(r.returncode, 2, output(r))
        self.assertIn("--bogus-flag", r.stderr)

    def test_init_refuses_a_weak_admin_password(self):
        if BACKEND != "sqlite":
            self.skipTest("a fresh PostgreSQL database is the harness's to make")
        data = os.path.join(self.tmp, "weak")
        for weak in ("password12", " " * 12, "1234567890", "admin@example.com"):
            with self.subTest(weak=weak):
                r = run("init", "--data-dir", data,
                        env={"SERVIO_ADMIN_EMAIL": "admin@example.com",
                             "SERVIO_ADMIN_PASSWORD": weak})
                self.assertNotEqual(r.returncode, 0, output(r))
                self.assertRegex(r.stderr, r"too easy to guess|only spaces|your name or e-mail",
                                 output(r))
        r = run("init", "--data-dir", data, env={"SERVIO_ADMIN_EMAIL": "admin@example.com",
                                                 "SERVIO_ADMIN_PASSWORD": "violet harbour tram"})
        self.assertEqual(r.returncode, 0, output(r))

    def test_first_admin_framed_kept_for_the_owner_and_shown_by_serve(self):
        if BACKEND != "sqlite":
            self.skipTest("a fresh PostgreSQL database is the harness's to make")
        data = os.path.join(self.tmp, "first")
        r = run("init", "--data-dir", data,
                env={"SERVIO_ADMIN_EMAIL": None, "SERVIO_ADMIN_PASSWORD": None})
        self.assertEqual(r.returncode, 0, output(r))
        # the password comes last, framed
        box = r.stdout[r.stdout.index("┌"):]
        self.assertTrue(box.rstrip().endswith("┘"), r.stdout)
        password = re.search(r"password: (\S+)", box).group(1)
        self.assertIn("admin@servio.local", box)
        path = os.path.join(data, "first-admin.txt")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, "only the owner reads it")
        with open(path) as f:
            kept = f.read()
        self.assertIn("password: " + password, kept)
        # serve frames the address it really listens on, and the sign-in while the file is there
        proc = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                                 "--no-worker"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=base_env())
        try:
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("└"):
                    break
            text = "".join(lines)
            port = int(re.search(r"open http://127\.0\.0\.1:(\d+)", text).group(1))
            self.assertNotEqual(port, 0, "the real port, not the configured 0")
            self.assertIn("password: " + password, text)
            Client(port).login("admin@servio.local", password)
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
        # a second init changes nothing and writes no new password
        r = run("init", "--data-dir", data,
                env={"SERVIO_ADMIN_EMAIL": None, "SERVIO_ADMIN_PASSWORD": None})
        self.assertEqual(r.returncode, 0, output(r))
        self.assertNotIn("password:", r.stdout)

    def test_serve_without_init(self):
        if BACKEND != "sqlite":
            self.skipTest("a PostgreSQL database exists before init")
        data = os.path.join(self.tmp, "fresh")
        r = run("serve", "--data-dir", data, "--listen", "127.0.0.1:0")
        self.assertNotEqual(r.returncode, 0, output(r))
        self.assertIn("servio init", r.stderr, "serve before init must say to run init")
        self.assertNotIn("listening on", output(r))
        self.assertFalse(os.path.exists(os.path.join(data, "servio.db")),
                         "serve must not create a database")
        for cmd in (("migrate",), ("user", "list"), ("token", "list"), ("worker",)):
            r = run(*cmd, "--data-dir", data)
            self.assertNotEqual(r.returncode, 0, "%s: %s" % (cmd, output(r)))
            self.assertIn("init", r.stderr, "%s before init must say to run init" % (cmd,))


class ConfigTest(unittest.TestCase):
    """An invalid configuration refuses to start, says why, and exits with 2."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.server.setup_data()
        try:
            cls.server.init()
        except BaseException:
            cls.server.stop(check=False)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(check=False)

    def refused(self, args, env=None, mention=()):
        r = run("serve", "--data-dir", self.server.dir, "--web-root", self.server.web_root,
                *args, env=env)
        text = output(r)
        self.assertEqual(r.returncode, 2, "servio serve %s (env %r) should exit 2:\n%s" %
                         (" ".join(args), env, text))
        self.assertNotIn("listening on", text)
        self.assertTrue(r.stderr.strip(), "no message")
        for word in mention:
            self.assertIn(word, r.stderr, "the message does not name %r: %s" % (word, r.stderr))
        self.assertLess(len(r.stderr.splitlines()), 20, "a clear message, not a wall of text")
        return r

    def test_bad_listen(self):
        self.refused(["--listen", "nonsense"], mention=["nonsense"])
        self.refused(["--listen", "127.0.0.1:99999"], mention=["99999"])
        self.refused(["--listen", "127.0.0.1:http"], mention=["127.0.0.1:http"])
        self.refused([], env={"SERVIO_LISTEN": "nowhere"}, mention=["nowhere"])

    def test_bad_log_level(self):
        self.refused(["--listen", "127.0.0.1:0", "--log-level", "loud"], mention=["loud"])
        self.refused(["--listen", "127.0.0.1:0"], env={"SERVIO_LOG_LEVEL": "shouty"},
                     mention=["shouty"])

    def test_bad_threads(self):
        self.refused(["--listen", "127.0.0.1:0"], env={"SERVIO_THREADS": "0"},
                     mention=["SERVIO_THREADS"])
        self.refused(["--listen", "127.0.0.1:0"], env={"SERVIO_THREADS": "many"},
                     mention=["SERVIO_THREADS"])
        self.refused(["--listen", "127.0.0.1:0", "--threads", "0"], mention=["--threads"])
        self.refused(["--listen", "127.0.0.1:0", "--max-body", "10"], mention=["--max-body"])
        self.refused(["--listen", "127.0.0.1:0"], env={"SERVIO_MAX_BODY": "-1"},
                     mention=["SERVIO_MAX_BODY"])

    def test_bad_sqlite_synchronous(self):
        self.refused(["--listen", "127.0.0.1:0"], env={"SERVIO_SQLITE_SYNCHRONOUS": "off"},
                     mention=["SERVIO_SQLITE_SYNCHRONOUS", "off"])

    def test_bad_database_url(self):
        self.refused(["--listen", "127.0.0.1:0", "--database-url", "mysql://x"],
                     mention=["mysql://x"])
        self.refused(["--listen", "127.0.0.1:0"], env={"SERVIO_DATABASE_URL": "oracle:db"},
                     mention=["oracle:db"])

    def test_flag_without_value(self):
        r = run("serve", "--data-dir", self.server.dir, "--listen")
        self.assertEqual(r.returncode, 2, output(r))
        self.assertIn("--listen", r.stderr)

    def test_other_commands_check_too(self):
        for cmd in (("migrate",), ("user", "list"), ("token", "list"), ("init",)):
            r = run(*cmd, "--data-dir", self.server.dir, "--log-level", "loud")
            self.assertEqual(r.returncode, 2, "%s: %s" % (cmd, output(r)))
            self.assertIn("loud", r.stderr)


class CommandsTest(ServerTestCase):
    """init, migrate, user and token against the data of a running server."""

    def cli(self, *args, env=None, ok=True):
        r = self.server.run_cli(*args, env=env)
        if ok and r.returncode != 0:
            self.fail("servio %s failed (%d):\n%s" % (" ".join(args), r.returncode, output(r)))
        return r

    def login_status(self, email, password):
        c = Client(self.server.port)
        return c.login(email, password, expect=None)[0]

    def test_init_twice_is_harmless(self):
        rec = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Survivor"}), 201)
        r = self.server.init(check=False)
        self.assertEqual(r.returncode, 0, "a second init must succeed: " + output(r))
        # a different password in the environment does not overwrite the admin's
        r = self.cli("init", env={"SERVIO_ADMIN_EMAIL": ADMIN_EMAIL,
                                  "SERVIO_ADMIN_PASSWORD": "Another-Pass-For-Tests-9!"})
        self.assertEqual(self.login_status(ADMIN_EMAIL, ADMIN_PASSWORD), 200)
        self.assertEqual(self.login_status(ADMIN_EMAIL, "Another-Pass-For-Tests-9!"), 401)
        r = self.cli("init", env={"SERVIO_ADMIN_EMAIL": None, "SERVIO_ADMIN_PASSWORD": None})
        self.assertStatus(self.admin.get("/api/v1/companies/%d" % rec["id"]), 200)
        users = self.cli("user", "list").stdout
        self.assertEqual(users.count(ADMIN_EMAIL), 1, users)

    def test_init_fills_public_url(self):
        """The start of client links comes from the listen address, and init keeps a firm's own."""
        s = self.assertStatus(self.admin.get("/api/v1/settings"), 200)
        self.assertEqual(s["public_url"], "http://localhost:8080", "the default listen address")
        # a second init with another address changes nothing that is set
        self.cli("init", "--listen", "10.0.0.5:9000")
        self.assertEqual(self.assertStatus(self.admin.get("/api/v1/settings"), 200)["public_url"],
                         "http://localhost:8080")
        # unset, an init fills it from its listen address (a wildcard is localhost)
        status, headers, _ = self.admin.get("/api/v1/settings")
        self.assertStatus(self.admin.patch("/api/v1/settings", {"public_url": None},
                                           headers={"If-Match": headers["etag"]}), 200)
        r = self.cli("init", "--listen", "10.0.0.5:9000")
        self.assertIn("http://10.0.0.5:9000", r.stdout)
        s = self.assertStatus(self.admin.get("/api/v1/settings"), 200)
        self.assertEqual(s["public_url"], "http://10.0.0.5:9000")
        status, headers, _ = self.admin.get("/api/v1/settings")
        self.assertStatus(self.admin.patch("/api/v1/settings", {"public_url": None},
                                           headers={"If-Match": headers["etag"]}), 200)
        self.cli("init", "--listen", "0.0.0.0:8443")
        s = self.assertStatus(self.admin.get("/api/v1/settings"), 200)
        self.assertEqual(s["public_url"], "http://localhost:8443")
        # the change is in the audit log, as the command line's
        audit = self.assertStatus(self.admin.get("/api/v1/audit?resource=settings"), 200)
        self.assertTrue(any(e["actor"] == "cli" for e in audit["data"]), audit)

    def test_migrate_up_to_date(self):
        r1 = self.cli("migrate")
        r2 = self.cli("migrate")
        self.assertRegex(r1.stdout, r"\d+", "migrate should say the schema version")
        self.assertEqual(r1.stdout, r2.stdout)
        self.assertStatus(self.admin.get("/healthz"), 200)
        self.assertNotEqual(self.cli("migrate", "extra", ok=False).returncode, 0)

    def test_a_worker_refuses_a_schema_behind_it(self):
        # as if the newest migration had not run (a new program on an old database)
        latest = int(re.search(r"version (\d+)", self.cli("migrate").stdout).group(1))
        self.server.execute("UPDATE schema_migrations SET version = -version"
                            " WHERE version = %d" % latest)
        try:
            for args in (("worker", "--run", "sla"), ("worker", "--run", "housekeeping")):
                r = self.cli(*args, ok=False)
                self.assertEqual(r.returncode, 1, output(r))
                self.assertIn("schema is at version %d, this program needs %d: run \"servio "
                              "migrate\"" % (latest - 1, latest), r.stderr)
        finally:
            self.server.execute("UPDATE schema_migrations SET version = -version"
                                " WHERE version = %d" % -latest)
        self.assertEqual(self.cli("worker", "--run", "sla").returncode, 0)

    def test_routes(self):
        r = self.cli("routes")
        self.assertRegex(r.stdout, r"(?m)^GET /api/v1/companies\b")
        self.assertRegex(r.stdout, r"(?m)^POST /api/v1/auth/login public")
        self.assertRegex(r.stdout, r"(?m)^GET /healthz public")

    def test_users(self):
        email = "cli-user@example.com"
        self.cli("user", "add", "--email", email, "--name", "Cli User", "--role", "technician",
                 "--password", USER_PASSWORD)
        listing = self.cli("user", "list").stdout
        line = [l for l in listing.splitlines() if email in l]
        self.assertEqual(len(line), 1, listing)
        self.assertIn("technician", line[0])
        self.assertIn(ADMIN_EMAIL, listing)
        self.assertNotIn(USER_PASSWORD, listing)
        self.assertNotIn("argon2", listing, "user list must not show password hashes")

        # refused: a second user with the same e-mail, bad roles, missing arguments
        for args in (["--email", email, "--name", "Again", "--role", "technician",
                      "--password", USER_PASSWORD],
                     ["--email", "x@example.com", "--name", "X", "--role", "wizard",
                      "--password", USER_PASSWORD],
                     ["--email", "not-an-email", "--name", "X", "--role", "sales",
                      "--password", USER_PASSWORD],
                     ["--name", "Z", "--role", "sales", "--password", USER_PASSWORD]):
            with self.subTest(args=args):
                r = self.cli("user", "add", *args, ok=False)
                self.assertNotEqual(r.returncode, 0, output(r))
                self.assertTrue(r.stderr.strip(), "a refusal says why")
        self.assertEqual(self.cli("user", "list").stdout.count(email), 1)
        self.assertNotIn("x@example.com", self.cli("user", "list").stdout)

        # the user can log in, and use a token
        self.assertEqual(self.login_status(email, USER_PASSWORD), 200)
        session = Client(self.server.port)
        session.login(email, USER_PASSWORD)
        token = self.server.client(self.server.token_for(email))
        self.assertStatus(token.get("/api/v1/companies"), 200)

        # passwd: the new password counts, the old one and its sessions end
        self.cli("user", "passwd", "--email", email, "--password", NEW_PASSWORD)
        self.assertEqual(self.login_status(email, USER_PASSWORD), 401)
        self.assertProblem(session.get("/api/v1/companies"), 401,
                           what="session from before a password change")
        self.assertProblem(token.get("/api/v1/companies"), 401,
                           what="API token from before a password change")
        self.assertEqual(self.login_status(email, NEW_PASSWORD), 200)
        token = self.server.client(self.server.token_for(email))
        session = Client(self.server.port)
        session.login(email, NEW_PASSWORD)
        r = self.cli("user", "passwd", "--email", email, "--password", "short", ok=False)
        self.assertNotEqual(r.returncode, 0, "a too short password: " + output(r))
        r = self.cli("user", "passwd", "--email", email, "--password", "password12", ok=False)
        self.assertNotEqual(r.returncode, 0, "a common password: " + output(r))
        self.assertIn("too easy to guess", r.stderr)
        self.assertEqual(self.login_status(email, NEW_PASSWORD), 200)
        r = self.cli("user", "passwd", "--email", "nobody@example.com", "--password",
                     NEW_PASSWORD, ok=False)
        self.assertNotEqual(r.returncode, 0, output(r))

        # disable: no login, and neither sessions nor tokens keep working
        self.cli("user", "disable", "--email", email)
        self.assertEqual(self.login_status(email, NEW_PASSWORD), 401)
        self.assertProblem(token.get("/api/v1/companies"), 401, what="token of a disabled user")
        self.assertProblem(session.get("/api/v1/companies"), 401,
                           what="session of a disabled user")
        listing = self.cli("user", "list").stdout
        line = [l for l in listing.splitlines() if email in l][0]
        self.assertRegex(line, r"\b(no|false|disabled|inactive)\b", "user list shows the state")
        # a token made after disabling does not work either
        r = self.cli("token", "create", "--email", email, "--name", "late", ok=False)
        late = find_token(r.stdout)
        if late:
            self.assertProblem(self.server.client(late).get("/api/v1/companies"), 401,
                               what="token created for a disabled user")
        r = self.cli("user", "disable", "--email", "nobody@example.com", ok=False)
        self.assertNotEqual(r.returncode, 0, output(r))
        # the admin is unaffected
        self.assertStatus(self.admin.get("/api/v1/companies"), 200)

    def test_tokens(self):
        email = "cli-token@example.com"
        self.server.add_user(email, "sales", USER_PASSWORD)
        created = self.cli("token", "create", "--email", email, "--name", "monitoring")
        secret = find_token(created.stdout)
        self.assertTrue(secret, created.stdout)
        self.assertGreaterEqual(len(secret), 40, "a token carries 256 random bits")
        other = self.server.token_for(email, name="backup-script")
        self.assertNotEqual(secret, other)
        client = self.server.client(secret)
        self.assertStatus(client.get("/api/v1/companies"), 200)

        listing = self.cli("token", "list").stdout
        self.assertIn("monitoring", listing)
        self.assertIn("backup-script", listing)
        self.assertNotIn(secret, listing, "token list must not show the secret")
        self.assertNotIn(other, listing)
        line = [l for l in listing.splitlines() if "monitoring" in l]
        self.assertEqual(len(line), 1, listing)
        token_id = re.search(r"\b(\d+)\b", line[0])
        self.assertTrue(token_id, "token list shows no id: %r" % line[0])

        r = self.revoke(token_id.group(1))
        self.assertEqual(r.returncode, 0, output(r))
        self.assertProblem(client.get("/api/v1/companies"), 401, what="revoked token")
        # the other token of the same user still works
        self.assertStatus(self.server.client(other).get("/api/v1/companies"), 200)
        r = self.revoke("987654321")
        self.assertNotEqual(r.returncode, 0, "revoking an unknown token: " + output(r))

        r = self.cli("token", "create", "--email", "nobody@example.com", "--name", "x", ok=False)
        self.assertNotEqual(r.returncode, 0, output(r))
        self.assertIsNone(find_token(r.stdout))

    def test_data_survives_a_restart(self):
        rec = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Durable"}), 201)
        s = Client(self.server.port)
        s.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        self.server.restart()
        self.admin.port = s.port = self.server.port
        self.assertEqual(self.assertStatus(self.admin.get("/api/v1/companies/%d" % rec["id"]),
                                           200), rec)
        self.assertStatus(s.get("/api/v1/companies"), 200, "sessions live in the database")

    def revoke(self, token_id):
        """token revoke, by id as its help describes it (--id N or N)."""
        help_text = self.cli("token", "revoke", "--help").stdout
        if "--id" in help_text:
            return self.cli("token", "revoke", "--id", token_id, ok=False)
        return self.cli("token", "revoke", token_id, ok=False)


if __name__ == "__main__":
    unittest.main()
