"""
test_clock.py - the clock a test can set (GET/POST /api/v1/test/clock, in
test builds only): who may call it, what it accepts, and that the server's
business time follows it - records, sessions, login rate limits, and a
worker or CLI command started afterwards.

The route exists only in a test build; test_openapi.py checks that a
release build has none of it.
"""

import secrets
import time
import unittest

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, CLOCK_PATH, Client, ServerTestCase,
                     find_token, needs_test_build, parse_time, unique)

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/me"


@needs_test_build
class ClockTest(ServerTestCase):

    def tearDown(self):
        # the next test starts on the real clock (moving back is allowed; the
        # tests here use nothing that minds)
        self.server.set_clock(0)
        super().tearDown()

    def new_user(self, role, prefix="clock"):
        email = "%s@example.com" % unique(prefix)
        password = "Pw-" + secrets.token_hex(8)
        self.server.add_user(email, role, password)
        return email, password

    def assertNear(self, t, want, what, slack=5):
        self.assertLessEqual(abs(t - want), slack,
                             "%s: %s is not within %d s of %s" % (what, t, slack, want))

    def test_admin_only(self):
        self.assertProblem(Client(self.server.port).get(CLOCK_PATH), 401)
        self.assertProblem(Client(self.server.port).post(CLOCK_PATH, {"offset_seconds": 60}),
                           401)
        for role in ("technician", "manager", "billing"):
            email, password = self.new_user(role)
            token = self.server.client(self.server.token_for(email))
            session = self.server.session(email, password)
            for who, c in (("token", token), ("session", session)):
                with self.subTest(role=role, who=who):
                    self.assertProblem(c.get(CLOCK_PATH), 403)
                    self.assertProblem(c.post(CLOCK_PATH, {"offset_seconds": 3600}), 403)
        self.assertEqual(self.server.clock()["offset_seconds"], 0,
                         "a refused call moved the clock")
        # an admin with a cookie session may, like one with a token
        admin = self.server.session(ADMIN_EMAIL, ADMIN_PASSWORD)
        body = self.assertStatus(admin.post(CLOCK_PATH, {"offset_seconds": 120}), 200)
        self.assertEqual(body["offset_seconds"], 120)

    def test_moves_time(self):
        body = self.assertStatus(self.admin.get(CLOCK_PATH), 200)
        self.assertEqual(set(body), {"now", "offset_seconds"})
        self.assertEqual(body["offset_seconds"], 0)
        self.assertNear(parse_time(body["now"]), time.time(), "the real clock")

        body = self.assertStatus(self.admin.post(CLOCK_PATH, {"offset_seconds": 86400}), 200)
        self.assertEqual(body["offset_seconds"], 86400)
        self.assertNear(parse_time(body["now"]), time.time() + 86400, "a day ahead")
        self.assertEqual(self.assertStatus(self.admin.get(CLOCK_PATH), 200)["offset_seconds"],
                         86400, "GET shows what POST set")

        body = self.assertStatus(self.admin.post(CLOCK_PATH, {"offset_seconds": -3600}), 200)
        self.assertNear(parse_time(body["now"]), time.time() - 3600, "an hour behind")

        body = self.assertStatus(self.admin.post(CLOCK_PATH, {"now": "2031-02-03T04:05:06Z"}),
                                 200)
        self.assertNear(parse_time(body["now"]), parse_time("2031-02-03T04:05:06Z"),
                        "set to a time")
        self.assertNear(body["offset_seconds"], parse_time("2031-02-03T04:05:06Z") - time.time(),
                        "the offset of that time")
        # an offset in another form is the same instant
        body = self.assertStatus(self.admin.post(CLOCK_PATH,
                                                 {"now": "2031-02-03T05:05:06+01:00"}), 200)
        self.assertNear(parse_time(body["now"]), parse_time("2031-02-03T04:05:06Z"),
                        "set with an offset")

        body = self.assertStatus(self.admin.post(CLOCK_PATH, {"offset_seconds": 0}), 200)
        self.assertEqual(body["offset_seconds"], 0)
        self.assertNear(parse_time(body["now"]), time.time(), "back to the real clock")

    def test_bad_settings(self):
        century = 100 * 366 * 86400
        for body, field in (({}, "offset_seconds"),
                            ({"offset_seconds": "60"}, "offset_seconds"),
                            ({"offset_seconds": 1.5}, "offset_seconds"),
                            ({"offset_seconds": None}, "offset_seconds"),
                            ({"offset_seconds": century + 1}, "offset_seconds"),
                            ({"offset_seconds": -century - 1}, "offset_seconds"),
                            ({"now": "tomorrow"}, "now"),
                            ({"now": 1700000000}, "now"),
                            ({"now": "2031-02-30T00:00:00Z"}, "now"),
                            ({"now": "9999-01-01T00:00:00Z"}, "now"),
                            ({"now": "2031-02-03T04:05:06Z", "offset_seconds": 5}, "now"),
                            ({"offset_seconds": 5, "speed": 2}, "speed")):
            with self.subTest(body=body):
                self.assertProblem(self.admin.post(CLOCK_PATH, body), 422, field=field)
        self.assertProblem(self.admin.post(CLOCK_PATH), 400)
        self.assertProblem(self.admin.post(CLOCK_PATH, raw="[60]"), 400)
        self.assertProblem(self.admin.post(CLOCK_PATH + "?offset_seconds=60",
                                           {"offset_seconds": 60}), 400)
        self.assertProblem(self.admin.get(CLOCK_PATH + "?x=1"), 400)
        self.assertEqual(self.server.clock()["offset_seconds"], 0, "a refusal moved the clock")
        # the limits themselves are fine
        self.assertNear(self.server.set_clock(century), time.time() + century, "a century on")
        self.assertNear(self.server.set_clock(-century), time.time() - century, "a century back")

    def test_records_take_the_moved_time(self):
        self.server.set_clock(now="2031-02-03T04:05:06Z")
        rec = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Future Ltd"}),
                                201)
        self.assertNear(parse_time(rec["created_at"]), parse_time("2031-02-03T04:05:06Z"),
                        "created_at")
        self.server.move_clock(3600)
        rec = self.assertStatus(self.admin.request(
            "PATCH", "/api/v1/companies/%d" % rec["id"], {"phone": "+1 555 0100"},
            headers={"If-Match": '"%d"' % rec["version"]}), 200)
        self.assertNear(parse_time(rec["updated_at"]), parse_time("2031-02-03T05:05:06Z"),
                        "updated_at an hour later")

    def test_idle_session_expires_when_the_clock_moves(self):
        # the default idle limit is 120 minutes, the absolute one 7 days
        email, password = self.new_user("technician", prefix="idle")
        used = self.server.session(email, password)
        unused = self.server.session(email, password)
        token = self.server.client(self.server.token_for(email))
        self.server.move_clock(119 * 60)
        self.assertStatus(used.get(ME), 200, "a session used after 119 idle minutes")
        self.server.move_clock(2 * 60)
        self.assertProblem(unused.get(ME), 401, what="a session unused for 121 minutes")
        self.assertStatus(used.get(ME), 200, "a session last used 2 minutes ago")
        self.assertStatus(token.get(ME), 200, "API tokens do not idle out")
        # the absolute limit ends even a session in use
        for _ in range(7 * 12):
            self.server.move_clock(119 * 60)
            if used.get(ME)[0] != 200:
                break
        moved = self.server.clock()["offset_seconds"]
        self.assertProblem(used.get(ME), 401, what="a session in use for 7 days")
        self.assertGreaterEqual(moved, 7 * 86400 - 119 * 60,
                                "the session ended before its 7 days: after %d s" % moved)
        self.assertLessEqual(moved, 7 * 86400 + 119 * 60, "the session outlived its 7 days")

    def test_login_delay_passes_when_the_clock_moves(self):
        email, password = self.new_user("sales", prefix="limited")
        for i in range(3):
            self.assertProblem(Client(self.server.port).post(
                LOGIN, {"email": email, "password": "wrong-%d" % i}), 401)
        # each failure after doubles the wait, up to 15 minutes
        retry = 0
        for i in range(12):
            resp = Client(self.server.port).post(LOGIN, {"email": email, "password": password})
            self.assertProblem(resp, 429)
            retry = int(resp[1]["retry-after"])
            self.server.move_clock(retry)
            self.assertProblem(Client(self.server.port).post(
                LOGIN, {"email": email, "password": "wrong-again-%d" % i}), 401)
        resp = Client(self.server.port).post(LOGIN, {"email": email, "password": password})
        self.assertProblem(resp, 429)
        retry = int(resp[1]["retry-after"])
        self.assertGreater(retry, 800)
        self.assertLessEqual(retry, 15 * 60 + 1)
        self.server.move_clock(retry - 60)
        resp = Client(self.server.port).post(LOGIN, {"email": email, "password": password})
        self.assertProblem(resp, 429, what="a minute before the window closes")
        self.assertLessEqual(int(resp[1]["retry-after"]), 62)
        self.server.move_clock(62)
        Client(self.server.port).login(email, password)

    def test_commands_started_later_share_the_clock(self):
        # a token made by the CLI on the moved clock expires by it too
        email, _ = self.new_user("technician", prefix="cli")
        self.server.set_clock(now="2031-02-03T04:05:06Z")
        r = self.server.run_cli("token", "create", "--email", email, "--name", "soon",
                                "--expires-days", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        token = self.server.client(find_token(r.stdout))
        self.assertStatus(token.get(ME), 200)
        tokens = self.assertStatus(self.admin.get("/api/v1/tokens?limit=200"), 200)["data"]
        mine = [t for t in tokens if t.get("name") == "soon"]
        self.assertEqual(len(mine), 1, tokens)
        self.assertNear(parse_time(mine[0]["expires_at"]), parse_time("2031-02-04T04:05:06Z"),
                        "expires_at of a token made a day before on the moved clock")
        self.server.move_clock(86400 + 60)
        self.assertProblem(token.get(ME), 401, what="a token past its expiry")


if __name__ == "__main__":
    unittest.main()
