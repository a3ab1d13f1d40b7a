"""
test_webhooks.py - outgoing webhooks through HTTP, against a real receiving
HTTP server started here: Standard Webhooks signatures checked with the
secret as the spec says (HMAC-SHA256 over id.timestamp.body, computed
here), events of a ticket change arriving, event filters, a retry after a
500 on the server's clock, 410 disabling the webhook, replay, test-send,
secret rotation signing with both secrets, several workers fanning out at
once, and the bad input a client sends.

The server runs without its worker (--no-worker), and each test runs the
dispatcher as an operator would, "servio worker --run webhooks", so that
what is sent when is decided by the test. WorkerCase runs one with the
worker, to see an event go out on its own.
"""

import base64
import hashlib
import hmac
import http.server
import json
import subprocess
import threading
import time
import unittest

from harness import BIN, Server, ServerTestCase, base_env, needs_test_build, unique

MANAGER_PASSWORD = "Manager-Pass-For-Tests-0nly-63!"


class Receiver:
    """An HTTP server in a thread that records what it is sent and answers as told."""

    def __init__(self):
        self.requests = []
        self.answers = []          # statuses to answer, in turn; then 200
        self.bodies = []           # bodies to answer with, in turn
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with receiver.lock:
                    receiver.requests.append({
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body})
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    body = receiver.bodies.pop(0) if receiver.bodies else None
                    receiver.arrived.notify_all()
                reply = b'{"ok": true}' if status < 300 else b"no thanks " * 300
                if body is not None:
                    reply = body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/hook" % self.httpd.server_address[1]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, *statuses):
        with self.lock:
            self.answers.extend(statuses)

    def got(self):
        with self.lock:
            return list(self.requests)

    def wait_for(self, count, deadline=60):
        """Waits until count requests arrived (the worker works on its own time)."""
        end = time.monotonic() + deadline
        with self.lock:
            while len(self.requests) < count and time.monotonic() < end:
                self.arrived.wait(0.5)
            return list(self.requests)


def signatures(secret, msg_id, timestamp, body):
    """Standard Webhooks: base64 of HMAC-SHA256 keyed with the secret's base64 part."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verified(secret, request):
    """Whether one of the request's v1 signatures is secret's."""
    h = request["headers"]
    want = signatures(secret, h["webhook-id"], h["webhook-timestamp"], request["body"])
    sigs = h["webhook-signature"].split(" ")
    return any(s.startswith("v1,") and hmac.compare_digest(s[3:], want) for s in sigs)


class WebhookCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        unittest.TestCase.setUpClass()
        cls.server = Server(serve_args=["--no-worker"])
        cls.server.start()
        try:
            cls.admin = cls.server.admin()
            email = unique("manager") + "@example.com"
            cls.server.add_user(email, "manager", MANAGER_PASSWORD)
            cls.manager = cls.server.client(cls.server.token_for(email))
            status, _, company = cls.admin.post("/api/v1/companies",
                                                {"name": unique("Acme "), "kind": "client"})
            assert status == 201, company
            cls.company_id = company["id"]
        except BaseException:
            cls.server.stop(check=False)
            raise

    def setUp(self):
        self.receiver = Receiver()
        self.addCleanup(self.receiver.stop)

    def hook(self, events=("*",), url=None, **fields):
        body = {"url": url or self.receiver.url, "events": list(events)}
        body.update(fields)
        h = self.assertStatus(self.admin.post("/api/v1/webhooks", body), 201, "create webhook")
        self.addCleanup(self.archive, h["id"])
        return h

    def archive(self, hook_id):
        status, headers, _ = self.admin.get("/api/v1/webhooks/%d" % hook_id)
        if status == 200:
            self.admin.delete("/api/v1/webhooks/%d" % hook_id,
                              headers={"If-Match": headers["etag"]})

    def dispatch(self):
        r = self.server.run_cli("worker", "--run", "webhooks")
        self.assertEqual(r.returncode, 0, r.stderr)

    def ticket(self, **fields):
        body = {"subject": unique("Printer jams "), "company_id": self.company_id}
        body.update(fields)
        return self.assertStatus(self.admin.post("/api/v1/tickets", body), 201, "ticket")

    def deliveries(self, hook_id, query=""):
        return self.assertStatus(self.admin.get(
            "/api/v1/webhooks/%d/deliveries%s" % (hook_id, query)), 200, "deliveries")["data"]

    def patch(self, path, body, client=None):
        c = client or self.admin
        status, headers, _ = c.get(path)
        self.assertEqual(status, 200)
        return c.patch(path, body, headers={"If-Match": headers["etag"]})

    def of_type(self, requests, type_):
        return [r for r in requests if json.loads(r["body"])["type"] == type_]


class TestWebhookRecords(WebhookCase):

    def test_the_secret_is_shown_once(self):
        h = self.hook(["ticket.*"], description="the intranet's ticket board")
        self.assertRegex(h["secret"], r"^whsec_[A-Za-z0-9+/]{43}=$")
        self.assertEqual(len(base64.b64decode(h["secret"][6:])), 32)
        self.assertTrue(h["active"])
        self.assertIsNone(h["disabled_reason"])
        got = self.assertStatus(self.admin.get("/api/v1/webhooks/%d" % h["id"]), 200)
        self.assertTrue(got["secret"].startswith(h["secret"][:10]))
        self.assertNotEqual(got["secret"], h["secret"])
        self.assertNotIn("signing_secret", got)
        listed = self.assertStatus(self.admin.get("/api/v1/webhooks"), 200)["data"]
        self.assertIn(got["secret"], [x["secret"] for x in listed if x["id"] == h["id"]])
        for row in listed:
            self.assertNotIn(h["secret"], json.dumps(row))
        # nor does the audit log hold it
        audit = self.assertStatus(self.admin.get("/api/v1/audit?resource=webhooks"), 200)
        self.assertNotIn(h["secret"], json.dumps(audit))

    def test_edit_events_and_switch_off(self):
        h = self.hook(["ticket.created"])
        got = self.assertStatus(self.patch("/api/v1/webhooks/%d" % h["id"],
                                           {"events": ["quote.*", "invoice.paid"],
                                            "active": False}), 200)
        self.assertEqual(got["events"], ["quote.*", "invoice.paid"])
        self.assertFalse(got["active"])

    def test_bad_input(self):
        cases = [
            ({"url": "ftp://example.com/x", "events": ["*"]}, "url"),
            ({"url": "not a url", "events": ["*"]}, "url"),
            ({"url": "https://user:pw@example.com/hook", "events": ["*"]}, "url"),
            ({"url": "https://example.com/hook", "events": ["tickets.*"]}, "events"),
            ({"url": "https://example.com/hook", "events": ["ticket.exploded"]}, "events"),
            ({"url": "https://example.com/hook", "events": []}, "events"),
            ({"url": "https://example.com/hook"}, "events"),
            ({"events": ["*"]}, "url"),
            ({"url": "https://example.com/hook", "events": ["*"], "secret": "mine"}, "secret"),
            ({"url": "https://example.com/hook", "events": ["*"], "colour": "red"}, "colour"),
        ]
        for body, field in cases:
            self.assertProblem(self.admin.post("/api/v1/webhooks", body), 422, field, repr(body))
        h = self.hook(["*"])
        self.assertProblem(self.patch("/api/v1/webhooks/%d" % h["id"], {"events": ["nope.*"]}),
                           422, "events")

    def test_admins_only(self):
        h = self.hook(["*"])
        for method, path, body in (
                ("GET", "/api/v1/webhooks", None),
                ("POST", "/api/v1/webhooks", {"url": self.receiver.url, "events": ["*"]}),
                ("GET", "/api/v1/webhooks/%d" % h["id"], None),
                ("GET", "/api/v1/webhooks/%d/deliveries" % h["id"], None),
                ("POST", "/api/v1/webhooks/%d/test" % h["id"], None),
                ("POST", "/api/v1/webhooks/%d/rotate-secret" % h["id"], None),
                ("POST", "/api/v1/webhooks/%d/deliveries/1/replay" % h["id"], None)):
            self.assertProblem(self.manager.request(method, path, body), 403,
                               what="%s %s" % (method, path))

    def test_unknown_ids(self):
        self.assertProblem(self.admin.get("/api/v1/webhooks/999999"), 404)
        self.assertProblem(self.admin.get("/api/v1/webhooks/999999/deliveries"), 404)
        self.assertProblem(self.admin.post("/api/v1/webhooks/999999/test"), 404)
        self.assertProblem(self.admin.post("/api/v1/webhooks/999999/rotate-secret"), 404)
        h = self.hook(["*"])
        self.assertProblem(self.admin.post(
            "/api/v1/webhooks/%d/deliveries/999999/replay" % h["id"]), 404)
        self.assertProblem(self.admin.get(
            "/api/v1/webhooks/%d/deliveries/999999" % h["id"]), 404)
        # a delivery of another webhook is not this one's
        other = self.hook(["*"])
        d = self.assertStatus(self.admin.post("/api/v1/webhooks/%d/test" % other["id"]), 200)
        self.assertProblem(self.admin.post("/api/v1/webhooks/%d/deliveries/%d/replay"
                                           % (h["id"], d["delivery_id"])), 404)
        self.assertProblem(self.admin.post("/api/v1/webhooks/%d/deliveries/%d/replay"
                                           % (h["id"], d["delivery_id"]), {"x": 1}), 422)


class TestDelivery(WebhookCase):

    def test_a_ticket_change_arrives_signed(self):
        h = self.hook(["ticket.*"])
        t = self.ticket()
        self.dispatch()
        got = self.of_type(self.receiver.got(), "ticket.created")
        self.assertEqual(len(got), 1, self.receiver.got())
        req = got[0]
        self.assertEqual(req["path"], "/hook")
        self.assertEqual(req["headers"]["content-type"], "application/json")
        self.assertRegex(req["headers"]["webhook-id"], r"^msg_")
        self.assertAlmostEqual(int(req["headers"]["webhook-timestamp"]), self.server.now(),
                               delta=120)
        self.assertTrue(verified(h["secret"], req), req["headers"])
        # a signature under another secret, or of another body, does not verify
        self.assertFalse(verified("whsec_" + base64.b64encode(b"x" * 32).decode(), req))
        self.assertFalse(verified(h["secret"], dict(req, body=req["body"] + b" ")))
        body = json.loads(req["body"])
        self.assertEqual(set(body), {"type", "timestamp", "data"})
        self.assertRegex(body["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(body["data"]["id"], t["id"])
        self.assertEqual(body["data"]["subject"], t["subject"])
        log = self.deliveries(h["id"])
        self.assertEqual(len(log), 1)
        self.assertEqual(log[0]["status"], "delivered")
        self.assertEqual(log[0]["attempts"], 1)
        self.assertEqual(log[0]["last_status"], 200)
        self.assertEqual(log[0]["type"], "ticket.created")
        self.assertEqual(log[0]["msg_id"], req["headers"]["webhook-id"])
        self.assertEqual(log[0]["response_excerpt"], '{"ok": true}')
        self.assertEqual(log[0]["payload"], body)
        # the ticket changes: the update follows, once; running again sends nothing new
        self.assertStatus(self.patch("/api/v1/tickets/%d" % t["id"], {"priority": "high"}), 200)
        self.dispatch()
        self.dispatch()
        updated = self.of_type(self.receiver.got(), "ticket.updated")
        self.assertEqual(len(updated), 1)
        self.assertEqual(json.loads(updated[0]["body"])["data"]["priority"], "high")
        self.assertEqual(len(self.receiver.got()), 2)

    def test_filters(self):
        only_updates = self.hook(["ticket.updated"])
        quotes = Receiver()
        self.addCleanup(quotes.stop)
        self.hook(["quote.*"], url=quotes.url)
        t = self.ticket()
        self.assertStatus(self.patch("/api/v1/tickets/%d" % t["id"], {"priority": "low"}), 200)
        self.dispatch()
        types = [json.loads(r["body"])["type"] for r in self.receiver.got()]
        self.assertEqual(types, ["ticket.updated"])
        self.assertEqual(quotes.got(), [])
        self.assertEqual([d["type"] for d in self.deliveries(only_updates["id"])],
                         ["ticket.updated"])
        # a webhook hears nothing of what happened before it existed
        late = Receiver()
        self.addCleanup(late.stop)
        self.hook(["*"], url=late.url)
        self.dispatch()
        self.assertEqual(late.got(), [])

    @needs_test_build
    def test_retry_after_500(self):
        h = self.hook(["ticket.created"])
        self.receiver.answer(500, 503)
        self.ticket()
        self.dispatch()
        self.assertEqual(len(self.receiver.got()), 1)
        d = self.deliveries(h["id"])[0]
        self.assertEqual((d["status"], d["attempts"], d["last_status"]), ("pending", 1, 500))
        self.assertEqual(d["last_error"], "the endpoint answered 500")
        self.assertTrue(d["response_excerpt"].startswith("no thanks"))
        self.assertLessEqual(len(d["response_excerpt"]), 1024)
        first_try = self.server.now()
        self.assertLessEqual(abs(self.parse(d["next_attempt_at"]) - (first_try + 5)), 60)
        # not due yet: nothing is sent
        self.dispatch()
        self.assertEqual(len(self.receiver.got()), 1)
        self.server.move_clock(6)
        self.dispatch()
        self.assertEqual(len(self.receiver.got()), 2)
        d = self.deliveries(h["id"])[0]
        self.assertEqual((d["status"], d["attempts"], d["last_status"]), ("pending", 2, 503))
        # the second retry waits five minutes
        self.assertGreaterEqual(self.parse(d["next_attempt_at"]) - self.server.now(), 290)
        self.server.move_clock(301)
        self.dispatch()
        got = self.receiver.got()
        self.assertEqual(len(got), 3)
        # every attempt has the same webhook-id and a signature of its own time
        self.assertEqual(len({r["headers"]["webhook-id"] for r in got}), 1)
        self.assertTrue(all(verified(h["secret"], r) for r in got))
        d = self.deliveries(h["id"])[0]
        self.assertEqual((d["status"], d["attempts"], d["last_status"]), ("delivered", 3, 200))
        self.assertIsNone(d["last_error"])

    def test_an_answer_of_any_bytes(self):
        h = self.hook(["ticket.created"])
        self.receiver.answer(500)
        self.receiver.bodies.append(b"\xff\xfe\x00ok caf\xc3\xa9 \xe2\x82")
        self.ticket()
        self.dispatch()
        d = self.deliveries(h["id"])[0]
        # bytes that are not UTF-8 and control characters are '?'; a character cut off goes
        self.assertEqual(d["response_excerpt"], "???ok caf\u00e9 ")
        self.assertEqual(d["last_status"], 500)

    @needs_test_build
    def test_gives_up_after_a_day(self):
        h = self.hook(["ticket.created"])
        self.receiver.answer(*([500] * 20))
        self.ticket()
        self.dispatch()
        for _ in range(7):
            self.server.move_clock(10 * 3600 + 1)
            self.dispatch()
        self.assertEqual(len(self.receiver.got()), 8)
        d = self.deliveries(h["id"])[0]
        self.assertEqual((d["status"], d["attempts"]), ("failed", 8))
        self.server.move_clock(10 * 3600 + 1)
        self.dispatch()
        self.assertEqual(len(self.receiver.got()), 8)
        # a webhook that fails is not disabled: only 410 does that
        self.assertTrue(self.assertStatus(self.admin.get("/api/v1/webhooks/%d" % h["id"]),
                                          200)["active"])

    def test_410_disables(self):
        h = self.hook(["ticket.*"])
        self.receiver.answer(410)
        self.ticket()
        self.dispatch()
        got = self.assertStatus(self.admin.get("/api/v1/webhooks/%d" % h["id"]), 200)
        self.assertFalse(got["active"])
        self.assertIn("410", got["disabled_reason"])
        d = self.deliveries(h["id"])[0]
        self.assertEqual((d["status"], d["last_status"]), ("failed", 410))
        # disabled: no more events go out
        self.ticket()
        self.dispatch()
        self.assertEqual(len(self.receiver.got()), 1)
        # the change was the server's, in the audit log
        audit = self.assertStatus(self.admin.get(
            "/api/v1/audit?resource=webhooks&record_id=%d" % h["id"]), 200)["data"]
        self.assertIn("webhooks", [a.get("actor") for a in audit])
        # switched on again by hand, the reason goes
        on = self.assertStatus(self.patch("/api/v1/webhooks/%d" % h["id"], {"active": True}), 200)
        self.assertTrue(on["active"])
        self.assertIsNone(on["disabled_reason"])

    def test_replay(self):
        h = self.hook(["ticket.created"])
        self.ticket()
        self.dispatch()
        first = self.receiver.got()
        self.assertEqual(len(first), 1)
        d = self.deliveries(h["id"])[0]
        resp = self.admin.post("/api/v1/webhooks/%d/deliveries/%d/replay" % (h["id"], d["id"]))
        again = self.assertStatus(resp, 201)
        self.assertEqual(resp[1]["location"],
                         "/api/v1/webhooks/%d/deliveries/%d" % (h["id"], again["id"]))
        self.assertEqual((again["status"], again["replay_of_id"], again["msg_id"]),
                         ("pending", d["id"], d["msg_id"]))
        self.dispatch()
        got = self.receiver.got()
        self.assertEqual(len(got), 2)
        self.assertEqual(got[1]["headers"]["webhook-id"], first[0]["headers"]["webhook-id"])
        self.assertEqual(got[1]["body"], first[0]["body"])
        self.assertTrue(verified(h["secret"], got[1]))
        log = self.deliveries(h["id"])
        self.assertEqual([x["id"] for x in log], [again["id"], d["id"]])    # newest first
        self.assertEqual(log[0]["status"], "delivered")
        # paged like every list
        page = self.assertStatus(self.admin.get(
            "/api/v1/webhooks/%d/deliveries?limit=1" % h["id"]), 200)
        self.assertEqual(len(page["data"]), 1)
        self.assertIsNotNone(page["next_cursor"])

    def test_test_send(self):
        h = self.hook(["quote.*"])
        sent = self.assertStatus(self.admin.post("/api/v1/webhooks/%d/test" % h["id"]), 200)
        self.assertEqual(sent["id"], h["id"])
        self.assertIsInstance(sent["delivery_id"], int)
        self.dispatch()
        got = self.receiver.got()
        self.assertEqual(len(got), 1)
        body = json.loads(got[0]["body"])
        self.assertEqual(body["type"], "webhook.test")
        self.assertEqual(body["data"]["webhook_id"], h["id"])
        self.assertTrue(verified(h["secret"], got[0]))
        d = self.assertStatus(self.admin.get("/api/v1/webhooks/%d/deliveries/%d"
                                             % (h["id"], sent["delivery_id"])), 200)
        self.assertEqual((d["status"], d["type"], d["event_id"]),
                         ("delivered", "webhook.test", None))
        # a disabled webhook can still be tried
        self.assertStatus(self.patch("/api/v1/webhooks/%d" % h["id"], {"active": False}), 200)
        self.assertStatus(self.admin.post("/api/v1/webhooks/%d/test" % h["id"]), 200)
        self.dispatch()
        self.assertEqual(len(self.receiver.got()), 2)

    @needs_test_build
    def test_rotation_signs_with_both_secrets_for_a_day(self):
        h = self.hook(["ticket.created"])
        old = h["secret"]
        rotated = self.assertStatus(self.admin.post("/api/v1/webhooks/%d/rotate-secret"
                                                    % h["id"]), 200)
        new = rotated["secret"]
        self.assertRegex(new, r"^whsec_")
        self.assertNotEqual(new, old)
        self.assertIsNotNone(rotated["previous_secret_expires_at"])
        self.assertNotEqual(self.assertStatus(self.admin.get("/api/v1/webhooks/%d" % h["id"]),
                                              200)["secret"], new)
        self.ticket()
        self.dispatch()
        req = self.receiver.got()[0]
        self.assertEqual(len(req["headers"]["webhook-signature"].split(" ")), 2)
        self.assertTrue(verified(new, req))
        self.assertTrue(verified(old, req))
        # a day on, the old secret signs no more
        self.server.move_clock(24 * 3600 + 60)
        self.ticket()
        self.dispatch()
        req = self.receiver.got()[1]
        self.assertEqual(len(req["headers"]["webhook-signature"].split(" ")), 1)
        self.assertTrue(verified(new, req))
        self.assertFalse(verified(old, req))

    def test_several_workers_send_each_event_once(self):
        self.hook(["ticket.created"])
        for _ in range(25):
            self.ticket()
        workers = [subprocess.Popen([BIN, "worker", "--run", "webhooks"] + self.server.conf_args(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    env=base_env(self.server._with_clock(None)))
                   for _ in range(3)]
        for w in workers:
            _, err = w.communicate(timeout=120)
            self.assertEqual(w.returncode, 0, err)
        ids = [r["headers"]["webhook-id"] for r in self.receiver.got()]
        self.assertEqual(len(ids), 25)
        self.assertEqual(len(set(ids)), 25)

    @staticmethod
    def parse(text):
        import calendar
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class TestWithTheWorker(unittest.TestCase):
    """The server's own worker sends without being asked."""

    def test_an_event_goes_out_on_its_own(self):
        receiver = Receiver()
        self.addCleanup(receiver.stop)
        with Server() as srv:
            admin = srv.admin()
            status, _, h = admin.post("/api/v1/webhooks", {"url": receiver.url,
                                                           "events": ["ticket.created"]})
            self.assertEqual(status, 201, h)
            status, _, c = admin.post("/api/v1/companies", {"name": "Acme", "kind": "client"})
            self.assertEqual(status, 201, c)
            status, _, t = admin.post("/api/v1/tickets", {"subject": "Printer", "company_id":
                                                          c["id"]})
            self.assertEqual(status, 201, t)
            got = receiver.wait_for(1)
            self.assertEqual(len(got), 1, srv.log_text())
            self.assertTrue(verified(h["secret"], got[0]))
            self.assertEqual(json.loads(got[0]["body"])["data"]["id"], t["id"])


if __name__ == "__main__":
    unittest.main()
