"""
test_auth.py - signing in and out: login and its validation, the login rate
limits, session cookies and CSRF, idle expiry of sessions, API tokens,
roles, TOTP second factor, password change, and what the audit log keeps
of it all (never a password or a hash).

Each area has its own server (they start in a fraction of a second), so the
failed logins of one never count against the 20-per-address limit of
another. Nothing waits for time to pass: the idle-expiry check and the
TOTP tests (which need a fresh 30-second step) move the server's clock
instead (a test build's POST /api/v1/test/clock, see harness.py), so they
are skipped on a release build.
"""

import base64
import hashlib
import hmac
import json
import secrets
import struct
import threading
import time
import unittest
import urllib.parse

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, Client, ServerTestCase, needs_test_build,
                     problem_fields, unique)

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"


# --- TOTP (RFC 6238 / RFC 4226), computed here with the standard library ------------

def b32decode(secret):
    s = secret.strip().replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def hotp(key, counter, digits=6):
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%0*d" % (digits, code % 10 ** digits)


def totp(secret, counter=None, at=None):
    if counter is None:
        counter = int((time.time() if at is None else at) // 30)
    return hotp(b32decode(secret), counter)


def fresh_counter(server, margin=10):
    """
    The server's current 30-second step, with at least margin seconds of it
    left: when fewer are left, the server's clock moves on to the start of
    the next step rather than the test waiting for it.
    """
    now = server.now()
    left = 30 - now % 30
    if left <= margin:  # <=: the server's now is whole seconds, its fraction unknown
        now = server.move_clock(left)
    return now // 30


def wrong_code(secret, counter):
    """A 6-digit code that no step near counter accepts."""
    near = {totp(secret, counter + d) for d in range(-3, 4)}
    for candidate in ("000000", "123456", "999999", "424242"):
        if candidate not in near:
            return candidate
    raise AssertionError("no wrong code found")  # never: 7 codes cannot cover 4 candidates


# RFC 4226 appendix D and RFC 6238 appendix B: the reference implementation is right.
assert hotp(b"12345678901234567890", 0) == "755224"
assert hotp(b"12345678901234567890", 9) == "520489"
assert hotp(b"12345678901234567890", 59 // 30, digits=8) == "94287082"


# --- helpers -------------------------------------------------------------------------

def cookie_attrs(set_cookie):
    """The servio_session Set-Cookie as (value, {lower-cased attribute: value})."""
    for line in (set_cookie or "").split("\n"):
        parts = [p.strip() for p in line.split(";")]
        name, _, value = parts[0].partition("=")
        if name.strip() != "servio_session":
            continue
        attrs = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip()
        return value, attrs
    return None, {}


def login_body(email, password, **extra):
    body = {"email": email, "password": password}
    body.update(extra)
    return body


class AuthCase(ServerTestCase):
    """Small helpers shared by the classes below."""

    def anon(self):
        return Client(self.server.port)

    def new_user(self, role="technician", password=None, prefix="user"):
        email = "%s@example.com" % unique(prefix)
        password = password or "Pw-" + secrets.token_hex(8)
        self.server.add_user(email, role, password)
        return email, password

    def login(self, email, password, expect=200, **extra):
        c = self.anon()
        resp = c.post(LOGIN, login_body(email, password, **extra))
        if expect == 200:
            body = self.assertStatus(resp, 200, "login of %s" % email)
            value, _ = cookie_attrs(resp[1].get("set-cookie"))
            self.assertTrue(value, "login set no servio_session cookie: %r" % (resp[1],))
            c.session, c.csrf = value, body.get("csrf_token")
        return c, resp

    def assertType(self, body, slug):
        self.assertTrue(str(body.get("type", "")).endswith(slug),
                        "problem type %r does not end in %r" % (body.get("type"), slug))

    def audit_entries(self, query=""):
        """Every audit entry (admin token), following next_cursor."""
        out, cursor = [], None
        for _ in range(200):
            q = "limit=200" + (("&" + query) if query else "")
            if cursor:
                q += "&cursor=" + urllib.parse.quote(cursor, safe="")
            body = self.assertStatus(self.admin.get("/api/v1/audit?" + q), 200, "audit list")
            out.extend(body["data"])
            cursor = body.get("next_cursor")
            if not cursor:
                return out
        self.fail("audit paging does not end")


# --- login ---------------------------------------------------------------------------

class LoginTest(AuthCase):

    def test_success_sets_cookie_and_returns_csrf(self):
        email, password = self.new_user("sales")
        status, headers, body = self.anon().post(LOGIN, login_body(email, password))
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"user", "csrf_token"}, body)
        self.assertIsInstance(body["csrf_token"], str)
        self.assertGreaterEqual(len(body["csrf_token"]), 32)
        user = body["user"]
        self.assertEqual(user["email"], email)
        self.assertEqual(user["role"], "sales")
        self.assertIs(user["totp_enabled"], False)
        self.assertIsInstance(user["id"], int)
        for secret in ("password", "password_hash", "totp_secret"):
            self.assertNotIn(secret, user)
        self.assertNotIn("argon2", json.dumps(body))
        value, attrs = cookie_attrs(headers.get("set-cookie"))
        self.assertTrue(value, "no servio_session cookie: %r" % headers.get("set-cookie"))
        self.assertGreaterEqual(len(value), 40, "a session token carries 256 random bits")
        self.assertIn("httponly", attrs)
        self.assertEqual(attrs.get("samesite", "").lower(), "lax")
        self.assertEqual(attrs.get("path"), "/")
        self.assertNotIn("domain", attrs)
        self.assertGreater(int(attrs.get("max-age", "1")), 0)
        self.assertNotIn(value, json.dumps(body), "the session token is only in the cookie")
        # two logins are two sessions
        _, _, again = self.anon().post(LOGIN, login_body(email, password))
        self.assertNotEqual(again["csrf_token"], body["csrf_token"])

    def test_wrong_password_and_unknown_email_look_the_same(self):
        email, password = self.new_user()
        wrong = self.assertProblem(self.anon().post(LOGIN, login_body(email, password + "x")),
                                   401, what="wrong password")
        unknown = self.assertProblem(self.anon().post(
            LOGIN, login_body("nobody-%s@example.com" % secrets.token_hex(3), password)),
            401, what="unknown e-mail")
        self.assertEqual(wrong["detail"], unknown["detail"])
        self.assertEqual(wrong["type"], unknown["type"])
        self.assertType(wrong, "invalid-credentials")
        # neither set a cookie
        self.assertStatus(self.login(email, password)[1], 200)

    def test_email_is_case_insensitive(self):
        email, password = self.new_user("billing")
        for variant in (email.upper(), email.capitalize(), "  %s " % email.swapcase()):
            with self.subTest(variant=variant):
                _, resp = self.login(variant, password)
                self.assertEqual(resp[2]["user"]["email"], email)
        # the password is not
        self.assertProblem(self.anon().post(LOGIN, login_body(email, password.swapcase())), 401)

    def test_validation(self):
        cases = [
            ({"password": "whatever-pw"}, "email"),
            ({"email": ADMIN_EMAIL}, "password"),
            ({"email": "", "password": "whatever-pw"}, "email"),
            ({"email": ADMIN_EMAIL, "password": ""}, "password"),
            ({"email": 5, "password": "whatever-pw"}, "email"),
            ({"email": ADMIN_EMAIL, "password": 12345678901}, "password"),
            ({"email": ADMIN_EMAIL, "password": ["x"]}, "password"),
            ({"email": None, "password": "whatever-pw"}, "email"),
            ({"email": ADMIN_EMAIL, "password": "whatever-pw", "totp": 123456}, "totp"),
            ({"email": ADMIN_EMAIL, "password": "whatever-pw", "remember": True}, "remember"),
            ({"email": ADMIN_EMAIL, "password": "whatever-pw", "pasword": "x"}, "pasword"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                resp = self.anon().post(LOGIN, body)
                problem = self.assertProblem(resp, 422, field=field)
                self.assertNotIn("set-cookie", resp[1])
                self.assertEqual(problem_fields(problem).count(field), 1, problem)
        both = self.assertProblem(self.anon().post(LOGIN, {}), 422)
        self.assertEqual(sorted(problem_fields(both)), ["email", "password"])
        # none of these was a failed login: the admin is not rate-limited now
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    def test_bad_bodies(self):
        anon = self.anon()
        self.assertProblem(anon.request("POST", LOGIN), 400, what="no body at all")
        self.assertProblem(anon.request("POST", LOGIN, raw=b""), 400, what="empty body")
        self.assertProblem(anon.request("POST", LOGIN, raw='{"email": '), 400, what="bad JSON")
        for raw in ("[]", '"x"', "null", "7"):
            with self.subTest(raw=raw):
                self.assertProblem(anon.request("POST", LOGIN, raw=raw), 400)
        self.assertProblem(anon.request("POST", LOGIN, raw=json.dumps(
            login_body(ADMIN_EMAIL, ADMIN_PASSWORD)), headers={"Content-Type": "text/plain"}),
            415)

    def test_disabled_user(self):
        email, password = self.new_user("manager")
        s, _ = self.login(email, password)
        r = self.server.run_cli("user", "disable", "--email", email)
        self.assertEqual(r.returncode, 0, r.stderr)
        resp = self.anon().post(LOGIN, login_body(email, password))
        disabled = self.assertProblem(resp, 401, what="login of a disabled user")
        self.assertNotIn("set-cookie", resp[1])
        unknown = self.assertProblem(self.anon().post(
            LOGIN, login_body("ghost-%s@example.com" % secrets.token_hex(3), password)), 401)
        self.assertEqual(disabled["detail"], unknown["detail"],
                         "a disabled account must look like a wrong password")
        self.assertProblem(s.get(ME), 401, what="session of a disabled user")


# --- rate limits ---------------------------------------------------------------------

class RateLimitTest(AuthCase):
    """
    Failed sign-ins slow an account down, never lock it: three go at once,
    then each next attempt waits twice as long (1 s, 2 s, 4 s …). Known
    devices are test_throttle.py's.
    """

    def fail_login(self, email, n, password="not-the-password"):
        for i in range(n):
            self.assertProblem(self.anon().post(LOGIN, login_body(email, password + str(i))),
                               401, what="failed login %d of %s" % (i + 1, email))

    def assertLimited(self, resp, what):
        body = self.assertProblem(resp, 429, what=what)
        self.assertType(body, "rate-limited")
        retry = resp[1].get("retry-after", "")
        self.assertRegex(retry, r"^[0-9]+$", "%s: Retry-After %r" % (what, retry))
        self.assertGreater(int(retry), 0, what)
        self.assertLessEqual(int(retry), 15 * 60, what)
        self.assertNotIn("set-cookie", resp[1], what)
        self.assertIn("try again in %s second" % retry, body.get("detail", ""), what)
        return int(retry)

    @needs_test_build
    def test_account_delay(self):
        email, password = self.new_user("sales", prefix="limited")
        other, other_pw = self.new_user("sales", prefix="neighbour")
        before, _ = self.login(email, password)
        # two failures and a success: the success resets the count
        self.fail_login(email, 2)
        self.login(email, password)
        # three go at once (counted on the normalised e-mail); the next waits a second
        self.fail_login(email, 2)
        self.fail_login(email.upper(), 1)
        resp = self.anon().post(LOGIN, login_body(email, password))
        # a second, in whole seconds: 2 read at once, 1 once the next second began
        waits = [self.assertLimited(resp, "the right password after 3 failures")]
        self.assertIn(waits[0], (1, 2))
        # each failure after doubles the wait
        for _ in range(3):
            self.server.move_clock(waits[-1])
            self.fail_login(email, 1)
            waits.append(self.assertLimited(self.anon().post(LOGIN, login_body(email, password)),
                                            "the right password while slowed"))
        self.assertEqual(waits, sorted(waits))
        self.assertGreaterEqual(waits[-1], 8)
        self.assertLimited(self.anon().post(LOGIN, login_body(email.upper(), password)),
                           "the same account in upper case")
        # another account from the same address still gets in
        self.login(other, other_pw)
        # only signing in is slowed: a session made before keeps working
        self.assertStatus(before.get(ME), 200)
        # once the wait is over the owner signs in, which resets the count
        self.server.move_clock(waits[-1])
        self.login(email, password)
        self.fail_login(email, 3)

    def test_unknown_accounts_are_limited_alike(self):
        ghost = "ghost-%s@example.com" % secrets.token_hex(3)
        self.fail_login(ghost, 3)
        self.assertLimited(self.anon().post(LOGIN, login_body(ghost, "anything-at-all")),
                           "an unknown e-mail after 3 failures")


class RateLimitAddressTest(AuthCase):

    def test_address_delay(self):
        email, password = self.new_user("technician", prefix="victim")
        # 20 failures from this address, each on another (unknown) account
        for i in range(20):
            resp = self.anon().post(LOGIN, login_body("spray%02d-%s@example.com" %
                                                      (i, secrets.token_hex(2)), "Spray-pw-1"))
            self.assertProblem(resp, 401, what="failure %d of the address" % (i + 1))
        resp = self.anon().post(LOGIN, login_body(email, password))
        body = self.assertProblem(resp, 429, what="any account once the address is slowed")
        self.assertRegex(resp[1].get("retry-after", ""), r"^[1-9][0-9]*$")
        self.assertType(body, "rate-limited")
        # tokens and sessions made before are no logins and still work
        self.assertStatus(self.admin.get(ME), 200)


@needs_test_build
class RateLimitRaceTest(AuthCase):
    """The delay holds for guesses sent all at once, too."""

    def test_concurrent_guesses(self):
        email, password = self.new_user("technician", prefix="raced")
        # slowed to a wait of a minute and more, one attempt at a time
        for i in range(3):
            self.assertEqual(self.anon().post(LOGIN, login_body(email, "free-%d" % i))[0], 401)
        retry = 0
        while retry < 60:
            resp = self.anon().post(LOGIN, login_body(email, password))
            self.assertEqual(resp[0], 429, resp)
            retry = int(resp[1]["retry-after"])
            self.server.move_clock(retry)
            if retry < 60:
                resp = self.anon().post(LOGIN, login_body(email, "one-at-a-time-%d" % retry))
                self.assertEqual(resp[0], 401, resp)
        # now one attempt may go on: of 15 sent at once, one has its password checked
        statuses = []
        lock = threading.Lock()
        barrier = threading.Barrier(15)

        def guess(i):
            c = self.anon()
            try:
                barrier.wait(10)
            except threading.BrokenBarrierError:
                pass
            s = c.post(LOGIN, login_body(email, "guess-number-%d" % i))[0]
            with lock:
                statuses.append(s)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(15)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(sorted(statuses), [401] + [429] * 14,
                         "15 concurrent guesses when one may go on")
        self.assertProblem(self.anon().post(LOGIN, login_body(email, password)), 429,
                           what="the right password after 15 concurrent guesses")


# --- sessions ------------------------------------------------------------------------

class SessionTest(AuthCase):

    def test_me_and_csrf(self):
        email, password = self.new_user("manager")
        s, resp = self.login(email, password)
        me = self.assertStatus(s.get(ME), 200)
        self.assertEqual(me["user"]["email"], email)
        self.assertEqual(me["user"]["role"], "manager")
        self.assertEqual(me["csrf_token"], resp[2]["csrf_token"])
        # unsafe methods need the CSRF token
        self.assertProblem(s.post("/api/v1/companies", {"name": "No CSRF"},
                                  headers={"X-CSRF-Token": None}), 403, what="no X-CSRF-Token")
        self.assertProblem(s.post("/api/v1/companies", {"name": "Bad CSRF"},
                                  headers={"X-CSRF-Token": "wrong"}), 403, what="wrong token")
        other, _ = self.login(email, password)
        self.assertProblem(s.post("/api/v1/companies", {"name": "Other CSRF"},
                                  headers={"X-CSRF-Token": other.csrf}), 403,
                           what="the CSRF token of another session")
        self.assertProblem(s.post("/api/v1/me/totp", headers={"X-CSRF-Token": None}), 403)
        self.assertProblem(s.post("/api/v1/me/password", {"current_password": password,
                                                           "new_password": "x" * 20},
                                  headers={"X-CSRF-Token": None}), 403)
        created = self.assertStatus(s.post("/api/v1/companies", {"name": "With CSRF"}), 201)
        self.assertEqual(created["name"], "With CSRF")
        names = [c["name"] for c in self.assertStatus(
            self.admin.get("/api/v1/companies?limit=200"), 200)["data"]]
        for refused in ("No CSRF", "Bad CSRF", "Other CSRF"):
            self.assertNotIn(refused, names)
        # the password did not change behind the refused request
        self.login(email, password)

    def test_logout(self):
        email, password = self.new_user("sales")
        s, _ = self.login(email, password)
        kept, _ = self.login(email, password)
        # logging out is a POST: a cross-site page cannot do it without the token
        self.assertProblem(s.post(LOGOUT, headers={"X-CSRF-Token": None}), 403)
        self.assertStatus(s.get(ME), 200)
        status, headers, body = s.post(LOGOUT)
        self.assertEqual(status, 204, body)
        value, attrs = cookie_attrs(headers.get("set-cookie"))
        self.assertEqual(value, "", "logout must clear the cookie: %r" % headers)
        self.assertEqual(attrs.get("max-age"), "0")
        self.assertEqual(attrs.get("path"), "/")
        gone = self.assertProblem(s.get(ME), 401, what="the cookie after logout")
        self.assertType(gone, "unauthenticated")
        self.assertProblem(s.post(LOGOUT), 401, what="logging out twice")
        self.assertProblem(s.post("/api/v1/companies", {"name": "After logout"}), 401)
        # only that session ended
        self.assertStatus(kept.get(ME), 200)

    def test_made_up_cookies(self):
        s, _ = self.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        for value in (secrets.token_urlsafe(32), "x", "", s.session[:-1], s.session + "A",
                      s.session.upper() if s.session.upper() != s.session else "A" * 43):
            with self.subTest(cookie=value[:12]):
                forged = self.anon()
                forged.session, forged.csrf = value, s.csrf
                resp = forged.get(ME, headers=None if value else
                                  {"Cookie": "servio_session="})
                self.assertProblem(resp, 401)
                self.assertIn("www-authenticate", resp[1])
        self.assertProblem(self.anon().get(ME), 401, what="no credentials at all")
        # the real one still works
        self.assertStatus(s.get(ME), 200)

    def test_me_with_token(self):
        body = self.assertStatus(self.admin.get(ME), 200)
        self.assertEqual(body["user"]["email"], ADMIN_EMAIL)
        self.assertEqual(body["user"]["role"], "admin")
        self.assertNotIn("csrf_token", body, "a token has no CSRF token")


# --- bearer tokens -------------------------------------------------------------------

class BearerTest(AuthCase):

    def test_token_works_without_csrf(self):
        email, _ = self.new_user("technician")
        c = self.server.client(self.server.token_for(email, name="script"))
        me = self.assertStatus(c.get(ME), 200)
        self.assertEqual(me["user"]["email"], email)
        rec = self.assertStatus(c.post("/api/v1/companies", {"name": "Via token"},
                                       headers={"X-CSRF-Token": None}), 201)
        self.assertEqual(rec["name"], "Via token")
        # case of the scheme does not matter (RFC 9110: schemes are case-insensitive)
        self.assertStatus(c.get(ME, headers={"Authorization": "bearer " + c.token}), 200)

    def test_bad_authorization(self):
        anon = self.anon()
        for value in ("Bearer wrong", "Bearer svo_" + secrets.token_urlsafe(32),
                      "Bearer " + self.admin.token[:-1], "Bearer", "Bearer ",
                      "Basic " + base64.b64encode(
                          ("%s:%s" % (ADMIN_EMAIL, ADMIN_PASSWORD)).encode()).decode(),
                      "Basic " + base64.b64encode(b"svo_x:").decode(),
                      "Token " + self.admin.token, self.admin.token):
            with self.subTest(value=value[:24]):
                resp = anon.get(ME, headers={"Authorization": value})
                body = self.assertProblem(resp, 401)
                self.assertType(body, "unauthenticated")
                self.assertRegex(resp[1].get("www-authenticate", ""), r"(?i)^bearer\b",
                                 "401 must say how to authenticate")

    def test_authorization_wins_over_cookie(self):
        s, _ = self.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        resp = s.get(ME, headers={"Authorization": "Bearer wrong"})
        self.assertProblem(resp, 401, what="a wrong token next to a good cookie")

    def test_revoked_token(self):
        email, _ = self.new_user("billing")
        name = unique("revokeme")
        token = self.server.token_for(email, name=name)
        keep = self.server.token_for(email, name=unique("keepme"))
        c, k = self.server.client(token), self.server.client(keep)
        self.assertStatus(c.get(ME), 200)
        listing = self.server.run_cli("token", "list", "--email", email)
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertNotIn(token, listing.stdout)
        lines = [l for l in listing.stdout.splitlines() if name in l]
        self.assertEqual(len(lines), 1, listing.stdout)
        token_id = lines[0].split()[0]
        self.assertRegex(token_id, r"^[0-9]+$", lines[0])
        r = self.server.run_cli("token", "revoke", token_id)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        body = self.assertProblem(c.get(ME), 401, what="a revoked token")
        self.assertIn("www-authenticate", c.get(ME)[1])
        self.assertType(body, "unauthenticated")
        self.assertProblem(c.post("/api/v1/companies", {"name": "Revoked"}), 401)
        self.assertStatus(k.get(ME), 200, "the user's other token")
        listing = self.server.run_cli("token", "list", "--email", email).stdout
        self.assertRegex([l for l in listing.splitlines() if name in l][0], r"\brevoked\b")
        # revoking twice is an error and changes nothing
        r = self.server.run_cli("token", "revoke", token_id)
        self.assertNotEqual(r.returncode, 0)
        self.assertStatus(k.get(ME), 200)


# --- roles ---------------------------------------------------------------------------

ROLES = ("admin", "manager", "technician", "sales", "billing")


class RoleTest(AuthCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {}
        for role in ROLES:
            email = "role-%s@example.com" % role
            password = "Orchid-%s-lamp-93" % role
            cls.server.add_user(email, role, password)
            cls.users[role] = (email, password)

    def session_of(self, role):
        s, resp = self.login(*self.users[role])
        self.assertEqual(resp[2]["user"]["role"], role)
        return s

    def test_audit_is_for_admins_and_managers(self):
        for role in ROLES:
            with self.subTest(role=role):
                s = self.session_of(role)
                resp = s.get("/api/v1/audit?limit=5")
                token = self.server.client(self.server.token_for(self.users[role][0]))
                if role in ("admin", "manager"):
                    self.assertIsInstance(self.assertStatus(resp, 200)["data"], list)
                    self.assertStatus(token.get("/api/v1/audit?limit=5"), 200)
                else:
                    self.assertType(self.assertProblem(resp, 403), "forbidden")
                    self.assertProblem(token.get("/api/v1/audit?limit=5"), 403)
                    self.assertProblem(s.get("/api/v1/audit/1"), 403)

    def test_archive_needs_manager(self):
        rec = self.assertStatus(self.admin.post("/api/v1/companies", {"name": "Archivable"}), 201)
        path = "/api/v1/companies/%d" % rec["id"]
        status, headers, _ = self.admin.get(path)
        etag = headers.get("etag")
        self.assertTrue(etag, "GET gives an ETag")
        for role in ("technician", "sales", "billing"):
            with self.subTest(role=role):
                s = self.session_of(role)
                self.assertStatus(s.get(path), 200)
                self.assertProblem(s.delete(path, headers={"If-Match": etag}), 403)
        current = self.assertStatus(self.admin.get(path), 200)
        self.assertIsNone(current.get("archived_at"), "a refused archive changed the record")
        m = self.session_of("manager")
        archived = self.assertStatus(m.delete(path, headers={"If-Match": etag}), 200)
        self.assertTrue(archived.get("archived_at"), archived)


# --- TOTP ----------------------------------------------------------------------------

@needs_test_build
class TotpTest(AuthCase):

    def begin(self, client, email):
        body = self.assertStatus(client.post("/api/v1/me/totp"), 200, "POST /me/totp")
        secret = body["secret"]
        self.assertRegex(secret, r"^[A-Z2-7]+=*$", "a base32 secret")
        self.assertGreaterEqual(len(b32decode(secret)), 16, "at least 128 bits")
        url = urllib.parse.urlparse(body["otpauth_url"])
        self.assertEqual((url.scheme, url.netloc), ("otpauth", "totp"))
        self.assertIn(email, urllib.parse.unquote(body["otpauth_url"]))
        q = urllib.parse.parse_qs(url.query)
        self.assertEqual(q.get("secret"), [secret])
        self.assertEqual(q.get("digits", ["6"]), ["6"])
        self.assertEqual(q.get("period", ["30"]), ["30"])
        self.assertEqual(q.get("algorithm", ["SHA1"]), ["SHA1"])
        return secret

    def test_enrol_login_disable(self):
        email, password = self.new_user("technician", prefix="totp")
        s, _ = self.login(email, password)
        secret = self.begin(s, email)
        c = fresh_counter(self.server)
        bad = wrong_code(secret, c)
        # confirming checks the code
        for code in (bad, "12345", "1234567", "abcdef", ""):
            with self.subTest(confirm=code):
                self.assertProblem(s.post("/api/v1/me/totp/confirm", {"code": code}), 422,
                                   field="code")
        self.assertProblem(s.post("/api/v1/me/totp/confirm", {"code": int(totp(secret, c))}),
                           422, field="code")
        self.assertProblem(s.post("/api/v1/me/totp/confirm", {}), 422, field="code")
        self.assertProblem(s.post("/api/v1/me/totp/confirm",
                                  {"code": totp(secret, c), "extra": "x"}), 422, field="extra")
        self.assertIs(self.assertStatus(s.get(ME), 200)["user"]["totp_enabled"], False)
        # a wrong confirmation did not turn it on: login needs no code yet
        self.login(email, password)
        # three distinct codes of the current window, oldest first, so that a server
        # refusing reused codes (RFC 6238 section 5.2) passes this test too
        body = self.assertStatus(s.post("/api/v1/me/totp/confirm",
                                        {"code": totp(secret, c - 1)}), 200)
        self.assertEqual(body, {"totp_enabled": True})
        self.assertIs(self.assertStatus(s.get(ME), 200)["user"]["totp_enabled"], True)
        # enrolling again while on is a conflict
        self.assertProblem(s.post("/api/v1/me/totp"), 409)
        self.assertProblem(s.post("/api/v1/me/totp/confirm", {"code": totp(secret, c)}), 409)
        # login needs the code now. Every attempt counts against the account
        # (a missing code reveals a right password, so it counts too), three go
        # at once, and a success resets the count: so in two rounds.
        resp = self.anon().post(LOGIN, login_body(email, password))
        self.assertType(self.assertProblem(resp, 401, what="login without totp"),
                        "totp-required")
        self.assertNotIn("set-cookie", resp[1])
        # a wrong password says nothing about the second factor
        resp = self.anon().post(LOGIN, login_body(email, password + "x"))
        self.assertType(self.assertProblem(resp, 401), "invalid-credentials")
        resp = self.anon().post(LOGIN, login_body(email, password, totp=bad))
        self.assertType(self.assertProblem(resp, 401, what="wrong code"), "invalid-totp")
        self.assertNotIn("set-cookie", resp[1])
        # three failures: the next attempt waits a second (two, in whole seconds)
        self.assertProblem(self.anon().post(LOGIN, login_body(email, password,
                                                              totp=totp(secret, c))), 429)
        self.server.move_clock(2)
        s2, resp = self.login(email, password, totp=totp(secret, c))
        self.assertIs(resp[2]["user"]["totp_enabled"], True)
        self.assertStatus(s2.get(ME), 200)
        # second round, after the success reset the count
        resp = self.anon().post(LOGIN, login_body(email, password, totp=""))
        self.assertType(self.assertProblem(resp, 401), "totp-required")
        resp = self.anon().post(LOGIN, login_body(email, password + "x", totp=totp(secret, c)))
        self.assertType(self.assertProblem(resp, 401), "invalid-credentials")
        resp = self.anon().post(LOGIN, login_body(email, password,
                                                  totp=totp(secret, c + 40)))
        self.assertType(self.assertProblem(resp, 401, what="code of 20 minutes later"),
                        "invalid-totp")
        # turning it off needs a right code
        self.assertProblem(s.request("DELETE", "/api/v1/me/totp", {"code": bad}), 422,
                           field="code")
        self.assertProblem(s.request("DELETE", "/api/v1/me/totp", {}), 422, field="code")
        resp = s.request("DELETE", "/api/v1/me/totp", {"code": totp(secret, c + 1)})
        self.assertEqual(resp[0], 204, resp)
        self.assertIs(self.assertStatus(s.get(ME), 200)["user"]["totp_enabled"], False)
        self.server.move_clock(2)
        self.login(email, password)
        # and off twice is a conflict
        self.assertProblem(s.request("DELETE", "/api/v1/me/totp", {"code": totp(secret, c)}),
                           409)

    def test_with_token(self):
        email, password = self.new_user("billing", prefix="totptoken")
        t = self.server.client(self.server.token_for(email))
        secret = self.begin(t, email)
        # beginning again before confirming starts over with a new secret
        secret2 = self.begin(t, email)
        self.assertNotEqual(secret, secret2)
        c = fresh_counter(self.server)
        self.assertProblem(t.post("/api/v1/me/totp/confirm", {"code": totp(secret, c)}), 422,
                           field="code", what="the code of the replaced secret")
        self.assertStatus(t.post("/api/v1/me/totp/confirm", {"code": totp(secret2, c - 1)}),
                          200)
        self.assertProblem(t.post("/api/v1/me/totp"), 409)
        self.assertType(self.assertProblem(
            self.anon().post(LOGIN, login_body(email, password)), 401), "totp-required")
        self.login(email, password, totp=totp(secret2, c))
        self.assertEqual(t.request("DELETE", "/api/v1/me/totp",
                                   {"code": totp(secret2, c + 1)})[0], 204)
        self.login(email, password)

    def test_code_cannot_be_used_twice(self):
        """RFC 6238 section 5.2: a code accepted once must not be accepted again."""
        email, password = self.new_user("sales", prefix="totpreplay")
        t = self.server.client(self.server.token_for(email))
        secret = self.begin(t, email)
        c = fresh_counter(self.server)
        self.assertStatus(t.post("/api/v1/me/totp/confirm", {"code": totp(secret, c - 1)}), 200)
        code = totp(secret, c)
        self.login(email, password, totp=code)
        resp = self.anon().post(LOGIN, login_body(email, password, totp=code))
        self.assertProblem(resp, 401, what="the same TOTP code a second time (a replayed "
                           "code, e.g. one shoulder-surfed or phished, signs in again)")


# --- password change ----------------------------------------------------------------

class PasswordTest(AuthCase):

    def test_change(self):
        email, password = self.new_user("manager", prefix="pw")
        other, _ = self.login(email, password)        # another browser, logged in before
        s, _ = self.login(email, password)
        token = self.server.client(self.server.token_for(email))
        path = "/api/v1/me/password"
        new = "New-pass-phrase-" + secrets.token_hex(4)
        self.assertProblem(s.post(path, {"current_password": password + "x",
                                         "new_password": new}), 422, field="current_password")
        for weak in ("short", "123456789", "\u00e9" * 9, "1234567890", "password12", " " * 10,
                     "\u200b" * 10, email, "x" * 20):
            with self.subTest(weak=weak):
                self.assertProblem(s.post(path, {"current_password": password,
                                                 "new_password": weak}), 422,
                                   field="new_password")
        self.assertProblem(s.post(path, {"current_password": password,
                                         "new_password": "x" * 600}), 422, field="new_password")
        self.assertProblem(s.post(path, {"current_password": password}), 422,
                           field="new_password")
        self.assertProblem(s.post(path, {"new_password": new}), 422, field="current_password")
        self.assertProblem(s.post(path, {"current_password": password, "new_password": new,
                                         "confirm": new}), 422, field="confirm")
        self.assertProblem(s.post(path, {"current_password": password, "new_password": 1234567890}),
                           422, field="new_password")
        self.assertProblem(s.request("POST", path), 400)
        # nothing changed so far
        self.assertStatus(other.get(ME), 200)
        self.login(email, password)
        resp = s.post(path, {"current_password": password, "new_password": new})
        self.assertEqual(resp[0], 204, resp)
        self.assertType(self.assertProblem(self.anon().post(LOGIN, login_body(email, password)),
                                           401, what="the old password"), "invalid-credentials")
        self.login(email, new)
        self.assertProblem(other.get(ME), 401, what="another session after a password change")
        self.assertStatus(s.get(ME), 200, "the session that changed the password")
        self.assertStatus(s.post("/api/v1/companies", {"name": "Still here"}), 201)
        self.assertProblem(token.get(ME), 401, what="an API token made before the change")
        # characters, not bytes, count
        newer = "\u00e9t\u00e9 \u00e0 l'\u00eele fl\u00fbte"
        self.assertEqual(s.post(path, {"current_password": new, "new_password": newer})[0], 204)
        self.login(email.upper(), newer)


    def test_admin_reset_revokes_tokens_and_sessions(self):
        email, password = self.new_user("technician", prefix="reset")
        s, resp = self.login(email, password)
        uid = resp[2]["user"]["id"]
        token = self.server.client(self.server.token_for(email))
        self.assertStatus(token.get(ME), 200)
        etag = self.admin.get("/api/v1/users/%d" % uid)[1]["etag"]
        # a weak password changes nothing
        self.assertProblem(self.admin.patch("/api/v1/users/%d" % uid, {"password": "password12"},
                                            headers={"If-Match": etag}), 422, field="password")
        self.assertStatus(token.get(ME), 200)
        new = "Reset-by-admin-" + secrets.token_hex(4)
        self.assertStatus(self.admin.patch("/api/v1/users/%d" % uid, {"password": new},
                                           headers={"If-Match": etag}), 200)
        self.assertProblem(token.get(ME), 401, what="a token made before an admin reset")
        self.assertProblem(s.get(ME), 401, what="a session from before an admin reset")
        self.assertStatus(self.admin.get(ME), 200, "the admin's own token")
        self.login(email, new)
        revoked = self.assertStatus(self.admin.get("/api/v1/tokens?user_id=%d" % uid), 200)
        self.assertTrue(revoked["data"] and all(t["revoked_at"] for t in revoked["data"]),
                        revoked)

    def test_policy_on_users(self):
        email = "%s@example.com" % unique("policy")
        for weak, why in (("          ", "blank|only spaces"), ("\u200b" * 10, "invisible"),
                          ("1234567890", "too easy to guess"), ("password12", "too easy to guess"),
                          (email, "your name or e-mail"),
                          ("Policy Person 2026", "your name or e-mail")):
            with self.subTest(weak=weak):
                body = self.assertProblem(self.admin.post("/api/v1/users", {
                    "email": email, "name": "Policy Person", "role": "sales",
                    "password": weak}), 422, field="password")
                message = [e["message"] for e in body["errors"] if e["field"] == "password"][0]
                self.assertRegex(message, why)
        self.assertStatus(self.admin.post("/api/v1/users", {
            "email": email, "name": "Policy Person", "role": "sales",
            "password": "lantern orchard velvet stream"}), 201)


# --- audit ---------------------------------------------------------------------------

class AuditTest(AuthCase):

    def test_login_is_audited_without_secrets(self):
        email, password = self.new_user("technician", prefix="audited")
        s, resp = self.login(email, password)
        uid = resp[2]["user"]["id"]
        entries = self.audit_entries("resource=users")
        logins = [e for e in entries if e.get("action") == "login" and e.get("record_id") == uid]
        self.assertEqual(len(logins), 1, entries)
        entry = logins[0]
        self.assertEqual(entry.get("resource"), "users")
        self.assertEqual(entry.get("actor_id"), uid)
        self.assertTrue(entry.get("at"))
        self.assertNotIn(s.session, json.dumps(entry))
        self.assertEqual(self.audit_entries("resource=users&action=login&record_id=%d" % uid),
                         logins)
        # a failed login writes no success
        self.anon().post(LOGIN, login_body(email, "Wrong-password-1"))
        after = self.audit_entries("resource=users&action=login&record_id=%d" % uid)
        self.assertEqual(len(after), 1)

    @needs_test_build
    def test_no_secrets_anywhere(self):
        email, password = self.new_user("manager", prefix="secretive")
        s, login = self.login(email, password)
        new = "Changed-" + secrets.token_hex(6)
        self.assertEqual(s.post("/api/v1/me/password", {"current_password": password,
                                                         "new_password": new})[0], 204)
        # made after the change, which revokes the tokens made before
        token = self.server.token_for(email, name="audit-token")
        t = self.server.client(token)
        secret = self.assertStatus(t.post("/api/v1/me/totp"), 200)["secret"]
        c = fresh_counter(self.server)
        self.assertStatus(t.post("/api/v1/me/totp/confirm", {"code": totp(secret, c - 1)}), 200)
        self.assertEqual(t.request("DELETE", "/api/v1/me/totp",
                                   {"code": totp(secret, c)})[0], 204)
        self.anon().post(LOGIN, login_body(email, "A-wrong-guess-9"))
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        entries = self.audit_entries()
        text = json.dumps(entries)
        actions = {(e.get("resource"), e.get("action")) for e in entries}
        for want in (("users", "create"), ("users", "login"), ("users", "password"),
                     ("users", "totp_enable"), ("users", "totp_disable"),
                     ("api_tokens", "create")):
            self.assertIn(want, actions)
        for needle, what in (("argon2", "a password hash"), (password, "the old password"),
                             (new, "the new password"), (ADMIN_PASSWORD, "the admin password"),
                             ("A-wrong-guess-9", "a wrong password"),
                             (secret, "the TOTP secret"), (token, "an API token"),
                             (token[4:], "an API token's secret"),
                             (s.session, "a session token"), (s.csrf, "a CSRF token"),
                             ("password_hash", "a hash column"), ("totp_secret", "a secret column")):
            with self.subTest(what=what):
                self.assertNotIn(needle, text, "the audit log holds %s" % what)
        self.assertNotRegex(text, r"\$argon2", "the audit log holds a password hash")


# --- idle expiry ---------------------------------------------------------------------

@needs_test_build
class IdleExpiryTest(AuthCase):
    """SERVIO_SESSION_IDLE_MINUTES=1: a session unused for over a minute ends."""

    server_env = {"SERVIO_SESSION_IDLE_MINUTES": "1"}

    def test_idle_session_expires(self):
        srv = self.server
        srv.add_user("idle@example.com", "technician", "Sleepy-harbour-61")
        unused = srv.session("idle@example.com", "Sleepy-harbour-61")
        used = srv.session("idle@example.com", "Sleepy-harbour-61")
        token = srv.client(srv.token_for("idle@example.com"))
        srv.move_clock(35)
        self.assertEqual(used.get(ME)[0], 200, "the session used after 35 s")
        srv.move_clock(31)
        resp = unused.get(ME)
        self.assertEqual(resp[0], 401, "a session unused for 66 s with a 1-minute idle "
                         "limit: %r\n%s" % (resp, srv.log_text(20)))
        self.assertEqual(resp[2].get("type", "")[-len("unauthenticated"):], "unauthenticated")
        self.assertEqual(token.get(ME)[0], 200, "API tokens do not idle out")
        # a fresh login works again
        fresh = srv.session("idle@example.com", "Sleepy-harbour-61")
        self.assertEqual(fresh.get(ME)[0], 200)
        # the session used at 35 s has been idle for 31 s only
        resp = used.get(ME)
        self.assertEqual(resp[0], 200, "a session last used 31 s ago must still be valid with "
                         "a 1-minute idle limit (use must slide the idle expiry): %r" % (resp,))


if __name__ == "__main__":
    unittest.main()
