"""
test_http_hardening.py - what the HTTP layer refuses and whom it believes:

  - framings a proxy and we could read two ways, or that could hold a
    connection (no Host, two Hosts, two Content-Lengths, any transfer
    coding, chunked included, a length and a coding at once) are answered
    at once with a 400/411/501, never left to the idle timeout;
  - a request for a non-public route is authenticated before its body is
    read: a stranger's malformed or large body gets the 401, a caller
    without the role the 403, never a 400 that tells the route exists;
  - the client's address is the peer's, unless the peer is a trusted proxy
    (SERVIO_TRUSTED_PROXIES), whose X-Forwarded-For is then read from the
    right; per-address sign-in limits therefore hold per client behind
    nginx, and an untrusted peer cannot claim another address;
  - connections past the total or per-address limit are answered 503 at
    once, and a flood of idle connections from one address does not stop
    the server answering another;
  - cookies get Secure and replies HSTS when clients reach us over https
    (SERVIO_HTTPS=on, a trusted proxy's X-Forwarded-Proto, or an https
    public_url), and not otherwise.

Every raw exchange waits 20 s at most, a third of the server's idle
timeout: a server that waits for more bytes instead of refusing the request
fails the test (status None), it is not merely slow.
"""

import json
import socket
import time
import unittest

from harness import ADMIN_EMAIL, ADMIN_PASSWORD, Client, ServerTestCase, raw_http

WAIT = 20


def raw(port, text, source=None):
    """raw_http with this file's wait, optionally from another loopback address (127.0.0.x)."""
    return raw_http(port, text.encode() if isinstance(text, str) else text, timeout=WAIT,
                    source=source)


def request_text(method, path, headers=(), body=b""):
    lines = ["%s %s HTTP/1.1" % (method, path)] + list(headers) + ["Connection: close", "", ""]
    return "\r\n".join(lines).encode() + body


class FramingTest(ServerTestCase):
    """Hostile framings are refused at once; authentication comes before the body."""

    def send(self, method, path, headers, body=b""):
        return raw_http(self.server.port, request_text(method, path, headers, body), timeout=WAIT)

    def test_host_is_required_once(self):
        status, _, body = self.send("GET", "/healthz", [])
        self.assertEqual(status, 400, "an HTTP/1.1 request without Host: %s" % body)
        self.assertIn("Host", body)
        status, _, body = self.send("GET", "/healthz", ["Host: a.example", "Host: b.example"])
        self.assertEqual(status, 400, body)
        # HTTP/1.0 had no Host; it is served
        status, _, _ = raw_http(self.server.port, b"GET /healthz HTTP/1.0\r\n\r\n", timeout=WAIT)
        self.assertEqual(status, 200)
        status, _, _ = self.send("GET", "/healthz", ["Host: 127.0.0.1"])
        self.assertEqual(status, 200)

    def test_content_length_must_be_one_number(self):
        auth = ["Host: 127.0.0.1", "Authorization: Bearer " + self.admin.token,
                "Content-Type: application/json"]
        data = b'{"name": "Framed"}'
        for lengths in (["Content-Length: %d" % len(data), "Content-Length: %d" % (len(data) + 4)],
                        ["Content-Length: %d, %d" % (len(data), len(data) + 4)],
                        ["Content-Length: 0x12"],
                        ["Content-Length: -18"]):
            with self.subTest(lengths=lengths):
                status, _, body = self.send("POST", "/api/v1/companies", auth + lengths, data)
                self.assertEqual(status, 400, body)
                self.assertIn("Content-Length", body)
        # the same length twice is one length
        status, _, body = self.send("POST", "/api/v1/companies",
                                    auth + ["Content-Length: %d" % len(data)] * 2, data)
        self.assertEqual(status, 201, body)

    def test_transfer_codings(self):
        auth = ["Host: 127.0.0.1", "Authorization: Bearer " + self.admin.token,
                "Content-Type: application/json"]
        data = b'{"name": "Coded"}'
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)
        for codings, want in ((["Transfer-Encoding: gzip"], 501),
                              (["Transfer-Encoding: gzip, chunked"], 501),
                              (["Transfer-Encoding: chunked, chunked"], 501),
                              (["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], 501),
                              (["Transfer-Encoding: chunked", "Content-Length: %d" % len(chunked)],
                               400)):
            with self.subTest(codings=codings):
                status, _, body = self.send("POST", "/api/v1/companies", auth + codings, chunked)
                self.assertEqual(status, want, body)
        # plain chunked, even a chunk size of 2^64-1 that never comes: 411 at once
        for data_ in (chunked, b"ffffffffffffffff\r\n" + data):
            status, _, body = self.send("POST", "/api/v1/companies",
                                        auth + ["Transfer-Encoding: chunked"], data_)
            self.assertEqual(status, 411, body)

    def test_strangers_body_is_not_read(self):
        # malformed: without authentication first this was a 400 naming the JSON error
        anon = Client(self.server.port)
        status, _, body = anon.request("POST", "/api/v1/companies", raw='{"name": ')
        self.assertEqual(status, 401, body)
        # large (under the body limit): refused without being taken in
        status, _, body = anon.request("POST", "/api/v1/companies",
                                       raw=json.dumps({"name": "x" * (864 * 1024)}))
        self.assertEqual(status, 401, body)
        # announced and never sent: answered at once, not after the idle timeout
        status, _, body = self.send("POST", "/api/v1/companies",
                                    ["Host: 127.0.0.1", "Content-Type: application/json",
                                     "Content-Length: 500000"])
        self.assertEqual(status, 401, body)
        # a signed-in caller without the role: 403 before the body is parsed
        tech = self.server.admin().post("/api/v1/users", {
            "email": "tech.framing@example.com", "name": "Tess", "role": "technician",
            "password": "Correct-Horse-Battery-Staple-9"})
        self.assertEqual(tech[0], 201, tech)
        tess = self.server.session("tech.framing@example.com", "Correct-Horse-Battery-Staple-9")
        status, _, body = tess.request("POST", "/api/v1/users", raw='{"email": ')
        self.assertEqual(status, 403, body)

    def test_refused_small_body_keeps_the_connection(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=WAIT)
        try:
            conn.request("POST", "/api/v1/companies", body=b'{"name": "x"}',
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 401)
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200, "the connection is still usable")
        finally:
            conn.close()


class TrustedProxyTest(ServerTestCase):
    """127.0.0.1 is the proxy; 127.0.0.2 is a client that talks to us directly."""

    server_env = {"SERVIO_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}

    def login_from(self, headers, source=None, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
        body = json.dumps({"email": email, "password": password}).encode()
        text = request_text("POST", "/api/v1/auth/login",
                            ["Host: 127.0.0.1", "Content-Type: application/json",
                             "Content-Length: %d" % len(body)] + headers, body)
        return raw(self.server.port, text.decode(), source)

    def last_login_address(self):
        status, _, body = self.admin.get("/api/v1/audit?action=login&limit=1")
        self.assertEqual(status, 200, body)
        self.assertTrue(body["data"], "a login is audited")
        return json.dumps(body["data"][0])

    def test_address_from_forwarded_for(self):
        for xff, want in (("203.0.113.7", "203.0.113.7"),
                          ("198.51.100.9, 203.0.113.7", "203.0.113.7"),   # the left is the client's word
                          ("203.0.113.8, 10.1.2.3", "203.0.113.8"),       # a trusted hop is skipped
                          ("not-an-address", "127.0.0.1")):
            with self.subTest(xff=xff):
                status, _, body = self.login_from(["X-Forwarded-For: " + xff])
                self.assertEqual(status, 200, body)
                self.assertIn('"%s"' % want, self.last_login_address())
        # two header lines are one list
        status, _, body = self.login_from(["X-Forwarded-For: 198.51.100.1",
                                           "X-Forwarded-For: 203.0.113.9"])
        self.assertEqual(status, 200, body)
        self.assertIn('"203.0.113.9"', self.last_login_address())

    def test_untrusted_peer_cannot_claim_an_address(self):
        status, _, body = self.login_from(["X-Forwarded-For: 203.0.113.77"], source="127.0.0.2")
        self.assertEqual(status, 200, body)
        got = self.last_login_address()
        self.assertIn('"127.0.0.2"', got)
        self.assertNotIn("203.0.113.77", got)

    def test_one_clients_failures_do_not_block_another(self):
        # 25 wrong passwords from one client behind the proxy (over the per-address limit)
        for i in range(25):
            status, _, body = self.login_from(["X-Forwarded-For: 192.0.2.66"],
                                              email="nobody%d@example.com" % i,
                                              password="wrong-password-%d" % i)
            self.assertIn(status, (401, 429), body)
        self.assertEqual(status, 429, "the attacker's address is throttled")
        # the admin, behind the same proxy from elsewhere, signs in
        status, _, body = self.login_from(["X-Forwarded-For: 192.0.2.67"])
        self.assertEqual(status, 200, body)

    def test_forwarded_https_makes_cookies_secure(self):
        status, headers, body = self.login_from(["X-Forwarded-For: 203.0.113.10",
                                                 "X-Forwarded-Proto: https"])
        self.assertEqual(status, 200, body)
        self.assertIn("Secure", headers.get("set-cookie", ""))
        self.assertIn("max-age=", headers.get("strict-transport-security", ""))
        # an untrusted peer saying https is not believed
        status, headers, body = self.login_from(["X-Forwarded-Proto: https"], source="127.0.0.2")
        self.assertEqual(status, 200, body)
        self.assertNotIn("Secure", headers.get("set-cookie", ""))
        self.assertNotIn("strict-transport-security", headers)


class HttpsTest(ServerTestCase):
    """SERVIO_HTTPS=auto (the default) follows public_url's scheme."""

    def test_public_url_https_turns_on_secure_and_hsts(self):
        c = Client(self.server.port)
        status, headers, _ = c.request("POST", "/api/v1/auth/login",
                                       {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        self.assertEqual(status, 200)
        self.assertNotIn("Secure", headers.get("set-cookie", ""))
        self.assertNotIn("strict-transport-security", headers)
        status, headers, _ = self.admin.get("/api/v1/settings")
        try:
            self.assertStatus(self.admin.patch("/api/v1/settings",
                                               {"public_url": "https://psa.example"},
                                               headers={"If-Match": headers["etag"]}), 200)
            status, headers, _ = c.request("POST", "/api/v1/auth/login",
                                           {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            self.assertEqual(status, 200)
            self.assertIn("Secure", headers.get("set-cookie", ""))
            status, headers, _ = self.admin.get("/api/v1/companies?limit=1")
            self.assertEqual(headers.get("strict-transport-security"), "max-age=31536000")
        finally:
            status, headers, _ = self.admin.get("/api/v1/settings")
            self.admin.patch("/api/v1/settings", {"public_url": "http://127.0.0.1:8080"},
                             headers={"If-Match": headers["etag"]})


class HttpsOnTest(ServerTestCase):
    server_env = {"SERVIO_HTTPS": "on"}

    def test_flag_on(self):
        status, headers, _ = Client(self.server.port).request(
            "POST", "/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        self.assertEqual(status, 200)
        self.assertIn("; Secure", headers.get("set-cookie", ""))
        self.assertEqual(headers.get("strict-transport-security"), "max-age=31536000")


class ConnectionLimitTest(ServerTestCase):
    server_env = {"SERVIO_MAX_CONNECTIONS": "40", "SERVIO_MAX_CONNECTIONS_PER_ADDRESS": "8"}

    def hold(self, source, n):
        """n idle connections from source, closed at the end of the test."""
        held = []
        for _ in range(n):
            s = socket.socket()
            s.settimeout(WAIT)
            s.bind((source, 0))
            try:
                s.connect(("127.0.0.1", self.server.port))
            except OSError:
                s.close()
                continue
            held.append(s)
        self.addCleanup(lambda: [h.close() for h in held])
        return held

    def healthz(self, source):
        return raw(self.server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                   source)

    def test_one_address_flooding(self):
        self.hold("127.0.0.3", 200)
        status, headers, body = self.healthz("127.0.0.3")
        # past the limit and its slack the flood is refused at accept (status None) or told 503
        self.assertIn(status, (None, 503), body)
        if status == 503:
            self.assertIn("too many connections", body)
            self.assertEqual(headers.get("retry-after"), "5")
        # everyone else is answered
        status, _, body = self.healthz("127.0.0.4")
        self.assertEqual(status, 200, body)

    def test_per_address_limit_says_503(self):
        held = self.hold("127.0.0.5", 8)
        self.assertEqual(len(held), 8)
        # a connect() returns once the kernel has queued it, maybe before the server has
        # accepted (and counted) it: a ninth may come first while the server catches up
        for _ in range(50):
            status, headers, body = self.healthz("127.0.0.5")
            if status != 200:
                break
            time.sleep(0.1)
        self.assertEqual(status, 503, body)
        self.assertIn("too many connections", body)
        for s in held:
            s.close()
        # once they close, the address is served again (the server counts closes as it sees them)
        for _ in range(100):
            status, _, body = self.healthz("127.0.0.5")
            if status == 200:
                break
        self.assertEqual(status, 200, body)

    def test_total_limit_says_503(self):
        held = []
        for i in range(6):
            held += self.hold("127.0.1.%d" % (i + 1), 7)
        self.assertEqual(len(held), 42)
        status, headers, body = self.healthz("127.0.2.1")
        self.assertEqual(status, 503, body)
        for s in held:
            s.close()


if __name__ == "__main__":
    unittest.main()
