"""
allocfail.py - the allocation-failure sweep's client side, shared by
test_allocfail.py (representative requests, writes checked in the
database) and by the harness's replay of a whole suite's GETs.

A test build honours "X-Servio-Fail-Alloc: N" (the Nth allocation of the
request and every later one fail; "N once": only the Nth; 0: count only)
and GET /api/v1/test/alloc says what the last armed request did (see
src/api/testing.c). Requests go one at a time on one keep-alive
connection: a request completes (and disarms its thread) before the next
starts.

Replay. With SERVIO_ALLOCFAIL_REPLAY=R in the environment of an API test
run, every GET the suite sends through harness.Client is first sent with
N = 0 (its allocations counted, K, and its answer noted), then with each
of sample(K, R) failing; each must answer as the plain request did or with
a clean 500/503 problem, never a closed connection, another 4xx or a
crash. Only GETs: a write that committed before its failure would change
what the suite's own request then finds (test_allocfail.py sweeps writes).
"""

import http.client
import json
import os

HEADER = "X-Servio-Fail-Alloc"
REPLAY = int(os.environ.get("SERVIO_ALLOCFAIL_REPLAY", "0") or 0)


def sample(k, limit):
    """
    The N to run for a request of k allocations: all of 1..k when k <= limit,
    else the first limit/2 (where the request's setup lives: auth, decoding),
    the last limit/4 (the commit, the reply, the access log) and the rest
    spread evenly between, so every stretch of the path is hit.
    """
    if k <= limit:
        return list(range(1, k + 1))
    head = limit // 2
    tail = limit // 4
    mid = limit - head - tail
    picks = set(range(1, head + 1)) | set(range(k - tail + 1, k + 1))
    span = (k - tail) - head
    for i in range(mid):
        picks.add(head + 1 + (i * span) // mid)
    return sorted(picks)


class Conn:
    """One keep-alive connection: a request completes (and disarms) before the next starts."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body) or (None, {}, None) when the server closed without an answer."""
        data = json.dumps(body).encode() if body is not None else None
        hdrs = dict(headers or {})
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 0 and not hdrs.get(HEADER):
                    continue  # a keep-alive connection the server had closed
                return None, {}, None
            out = {k.lower(): v for k, v in resp.getheaders()}
            if resp.will_close:
                self.conn.close()
                self.conn = None
            text = payload.decode("utf-8", errors="replace")
            try:
                parsed = json.loads(text) if "json" in out.get("content-type", "") else text
            except ValueError:
                parsed = text
            return resp.status, out, parsed
        return None, {}, None

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


def clean_failure(status, headers, body):
    """Whether an answer is a clean 500/503 problem."""
    return (status in (500, 503) and
            headers.get("content-type", "").startswith("application/problem+json") and
            isinstance(body, dict) and body.get("status") == status)


def replay(port, method, path, headers, data):
    """
    The replay of one request (harness.Client.request calls it when REPLAY
    is set): raises AssertionError naming the N that broke it.
    """
    if method != "GET" or path.startswith("/api/v1/test/"):
        return
    conn = Conn(port)
    try:
        def armed(nth):
            before = conn.request("GET", "/api/v1/test/alloc")[2]["seq"]
            h = dict(headers)
            h[HEADER] = str(nth)
            status, rh, body = conn.request(method, path, None, h)
            stats = conn.request("GET", "/api/v1/test/alloc")[2]
            return status, rh, body, stats if stats["seq"] == before + 1 else None

        armed(0)  # fills the caches a first run fills, so the count below is the path's
        base, _, _, stats = armed(0)
        if stats is None or base is None:
            return  # answered before the API's hooks (a static file, a 404 path)
        for nth in sample(stats["allocations"], REPLAY):
            status, rh, body, _ = armed(nth)
            if status == base or clean_failure(status, rh, body):
                continue
            raise AssertionError(
                "GET %s with allocation %d of %d failing: %s %r (without: %s)"
                % (path, nth, stats["allocations"], status, body, base))
    finally:
        conn.close()
