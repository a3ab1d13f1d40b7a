"""
test_throttle.py - sign-in throttling that slows an attacker without
locking the owner out: failures on an account or from an address make the
next attempt wait (1 s, 2 s, 4 s …, a 429 with Retry-After), but a browser
that signed in to the account before carries a signed device cookie whose
sign-ins count only that device's own failures. The waits pass by moving
the server's clock (a test build's), never by sleeping.

All requests come from 127.0.0.1: the attacker and the owner share the
address, as everyone did behind a proxy.
"""

import re
import secrets

from harness import Client, ServerTestCase, needs_test_build, unique

LOGIN = "/api/v1/auth/login"
PORTAL_LOGIN = "/api/v1/portal/auth/login"


def device_of(headers, name="servio_device"):
    """The device cookie a reply set, as (value, {attribute: value}), or (None, {})."""
    for line in (headers.get("set-cookie") or "").split("\n"):
        parts = [p.strip() for p in line.split(";")]
        key, _, value = parts[0].partition("=")
        if key.strip() == name:
            attrs = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                attrs[k.strip().lower()] = v.strip()
            return value, attrs
    return None, {}


class ThrottleCase(ServerTestCase):

    def new_user(self, prefix="owner"):
        email = "%s@example.com" % unique(prefix)
        password = "Pw-" + secrets.token_hex(8)
        self.server.add_user(email, "technician", password)
        return email, password

    def attempt(self, email, password, device=None, path=LOGIN, cookie="servio_device"):
        headers = {"Cookie": "%s=%s" % (cookie, device)} if device else None
        return Client(self.server.port).post(path, {"email": email, "password": password},
                                             headers=headers)

    def sign_in(self, email, password, device=None):
        """Signs in (200 expected) and returns the device cookie the reply set."""
        resp = self.attempt(email, password, device)
        self.assertStatus(resp, 200, "sign-in of %s" % email)
        value, _ = device_of(resp[1])
        self.assertTrue(value, "no device cookie: %r" % (resp[1],))
        return value

    def refused(self, resp, what, at=False):
        """
        A 429 with a Retry-After in seconds, and the problem saying when;
        returns the seconds, or with at the time it names.
        """
        body = self.assertProblem(resp, 429, what=what)
        self.assertTrue(body.get("type", "").endswith("rate-limited"), body)
        retry = resp[1].get("retry-after", "")
        self.assertRegex(retry, r"^[1-9][0-9]*$", what)
        m = re.search(r"try again in %s seconds? \(at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\)"
                      % retry, body.get("detail", ""))
        self.assertTrue(m, "%s: %r" % (what, body))
        return m.group(1) if at else int(retry)

    def assertGrowing(self, waits, last):
        """
        Each wait at least the one before, ending at last or more. The server
        counts whole seconds, so a wait read just after a second began is
        one less than the same wait read at its start: never exact.
        """
        self.assertEqual(waits, sorted(waits), waits)
        self.assertLessEqual(waits[0], 2, waits)
        self.assertGreaterEqual(waits[-1], last, waits)
        self.assertLessEqual(waits[-1], 2 * last, waits)

    def hammer(self, email, times):
        """
        The attacker: times wrong passwords on email, waiting out each delay
        (moving the clock) so that every one of them is checked. Returns the
        Retry-After seen after each, from the third on.
        """
        waits = []
        for i in range(times):
            resp = self.attempt(email, "guess-%d-%s" % (i, secrets.token_hex(3)))
            if resp[0] == 429:
                self.server.move_clock(self.refused(resp, "a guess while slowed"))
                resp = self.attempt(email, "guess-%d-%s" % (i, secrets.token_hex(3)))
            self.assertProblem(resp, 401, what="guess %d" % (i + 1))
            if i >= 2:
                waits.append(self.refused(self.attempt(email, "peek"), "after guess %d" % (i + 1)))
        return waits


# One server per class: the failures of one test would slow the address of the next.

@needs_test_build
class AttackerTest(ThrottleCase):

    def test_attacker_slowed_owner_with_device_signs_in_at_once(self):
        email, password = self.new_user()
        device = self.sign_in(email, password)
        # the attacker's failures slow him down more and more
        waits = self.hammer(email, 7)
        self.assertGrowing(waits, 16)
        until = self.refused(self.attempt(email, "another-guess"), "the attacker", at=True)
        # meanwhile the owner, from a browser that signed in before, gets in at once
        again = self.sign_in(email, password, device=device)
        self.sign_in(email, password, device=again)
        # and his sign-in hands the attacker no fresh guesses: the same wait
        self.assertEqual(self.refused(self.attempt(email, "another-guess"), "the attacker",
                                      at=True), until)
        # the owner without the cookie waits like anyone
        self.refused(self.attempt(email, password), "the owner without his device")


@needs_test_build
class OwnerWithoutDeviceTest(ThrottleCase):

    def test_owner_without_device_signs_in_after_the_delay(self):
        email, password = self.new_user()
        waits = self.hammer(email, 6)
        self.assertGrowing(waits, 8)
        retry = self.refused(self.attempt(email, password), "the owner while slowed")
        self.assertLessEqual(retry, 9)
        self.server.move_clock(retry)
        self.sign_in(email, password)
        # the success reset the account: three attempts go at once again
        for i in range(3):
            self.assertProblem(self.attempt(email, "typo-%d" % i), 401)


@needs_test_build
class DeviceTest(ThrottleCase):

    def test_device_cookie_is_bound_to_its_account(self):
        email, password = self.new_user()
        other, other_pw = self.new_user("other")
        mine = self.sign_in(email, password)
        theirs = self.sign_in(other, other_pw)
        self.hammer(email, 4)
        # another account's device cookie, a forged one or garbage: no way round the delay
        forged = re.sub(r"^\d+", lambda m: str(int(m.group(0)) + 1), theirs)
        tampered = mine[:-2] + ("AA" if not mine.endswith("AA") else "BB")
        for value, what in ((theirs, "another account's device"), (forged, "a forged device"),
                            (tampered, "a tampered device"), ("junk", "garbage")):
            with self.subTest(what=what):
                self.refused(self.attempt(email, password, device=value), what)
        self.sign_in(email, password, device=mine)

    def test_device_has_its_own_small_budget(self):
        email, password = self.new_user()
        device = self.sign_in(email, password)
        for i in range(5):
            self.assertProblem(self.attempt(email, "my-typo-%d" % i, device=device), 401)
        self.assertIn(self.refused(self.attempt(email, password, device=device),
                                   "the device after its own failures"), (1, 2))
        # those failures were its own: the account is not slowed for anyone else
        self.sign_in(email, password)

    def test_cookie_attributes(self):
        email, password = self.new_user()
        resp = self.attempt(email, password)
        value, attrs = device_of(resp[1])
        self.assertRegex(value, r"^\d+\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$")
        self.assertIn("httponly", attrs)
        self.assertEqual(attrs.get("path"), "/api/v1/auth/")
        self.assertEqual(attrs.get("samesite"), "Strict")
        self.assertGreaterEqual(int(attrs.get("max-age", "0")), 180 * 86400)
        # a failed sign-in sets none
        resp = self.attempt(email, "wrong-one-here")
        self.assertEqual(device_of(resp[1]), (None, {}))


@needs_test_build
class AddressTest(ThrottleCase):

    def test_spraying_from_one_address_does_not_block_a_device_owner(self):
        email, password = self.new_user()
        device = self.sign_in(email, password)
        bystander, bystander_pw = self.new_user("bystander")
        # 24 wrong passwords from this address, each on another account, delays waited out
        for i in range(24):
            ghost = "spray%02d-%s@example.com" % (i, secrets.token_hex(2))
            resp = self.attempt(ghost, "Spray-pw-1")
            if resp[0] == 429:
                self.server.move_clock(self.refused(resp, "spraying"))
                resp = self.attempt(ghost, "Spray-pw-1")
            self.assertProblem(resp, 401, what="spray %d" % (i + 1))
        # the address is slowed for whoever has no device cookie ...
        self.refused(self.attempt(bystander, bystander_pw), "an account without its device")
        # ... but the owner signing in from his known device gets in at once
        self.sign_in(email, password, device=device)


@needs_test_build
class PortalTest(ThrottleCase):
    """The client portal's sign-in has the same throttle and its own device cookie."""

    def test_portal_owner_with_device_signs_in(self):
        admin = self.admin
        co = self.assertStatus(admin.post("/api/v1/companies", {"name": unique("Client ")}), 201)
        email = unique("cy") + "@client.example"
        person = self.assertStatus(admin.post("/api/v1/contacts", {
            "company_id": co["id"], "first_name": "Cy", "last_name": "Client", "email": email,
            "portal_access": True, "portal_role": "admin"}), 201)
        made = self.assertStatus(admin.post("/api/v1/contacts/%d/invite" % person["id"]), 200)
        token = re.search(r"/portal/activate/([A-Za-z0-9_-]{43})", made["invite_url"]).group(1)
        password = "Quiet-lantern-%s" % secrets.token_hex(4)
        anon = Client(self.server.port)
        self.assertStatus(anon.post("/api/v1/portal/auth/activate",
                                    {"token": token, "password": password}), 200)
        resp = self.attempt(email, password, path=PORTAL_LOGIN)
        self.assertStatus(resp, 200)
        device, attrs = device_of(resp[1], "servio_portal_device")
        self.assertTrue(device, resp[1])
        self.assertEqual(attrs.get("path"), "/api/v1/portal/auth/")
        for i in range(6):
            resp = self.attempt(email, "guess-%d" % i, path=PORTAL_LOGIN)
            if resp[0] == 429:
                self.server.move_clock(self.refused(resp, "a portal guess"))
                resp = self.attempt(email, "guess-%d" % i, path=PORTAL_LOGIN)
            self.assertProblem(resp, 401)
        self.refused(self.attempt(email, password, path=PORTAL_LOGIN), "the portal owner")
        # a staff device cookie is no portal one
        self.refused(self.attempt(email, password, device=device, path=PORTAL_LOGIN),
                     "the portal device sent as a staff one")
        resp = self.attempt(email, password, device=device, path=PORTAL_LOGIN,
                            cookie="servio_portal_device")
        self.assertStatus(resp, 200, "the portal owner from his known device")
