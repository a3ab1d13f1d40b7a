#!/usr/bin/env python3
"""
bench/webhooks.py - webhook fan-out throughput: events in the outbox to
deliveries taken by a local receiver, per second.

For each backend (SQLite, and PostgreSQL through scripts/pg-temp.sh unless
BENCH_PG=0 or its server is missing): a fresh database, "servio serve
--no-worker", WEBHOOKS webhooks (default 5) subscribed to ticket.* and
pointing at a receiver on 127.0.0.1 (asyncio, keep-alive, answers 200 at
once), EVENTS tickets made through the API (default 2,000: as many
ticket.created events). Then WORKERS (default 1, then 2) "servio worker
--run webhooks" processes are started at once and timed until they exit,
which is when every delivery has been sent and its outcome written; the
receiver's count must equal EVENTS x WEBHOOKS, each webhook-id once per
webhook. Prints a Markdown table.

    make build/servio; python3 bench/webhooks.py
    EVENTS=5000 WEBHOOKS=10 python3 bench/webhooks.py
"""

import asyncio
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SERVIO_BIN", os.path.join(ROOT, "build", "servio"))
EVENTS = int(os.environ.get("EVENTS", "2000"))
WEBHOOKS = int(os.environ.get("WEBHOOKS", "5"))
WORKER_COUNTS = [int(x) for x in os.environ.get("WORKERS", "1,2").split(",")]
PASSWORD = "Quartz-Lantern-Meadow-71!"


class Receiver:
    """A small keep-alive HTTP/1.1 server on asyncio, in its own thread: counts POSTs."""

    def __init__(self):
        self.count = 0
        self.ids = set()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait()

    def run(self, ready):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self.handle, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, msg = 0, None
                for line in head.split(b"\r\n"):
                    k, _, v = line.partition(b":")
                    k = k.strip().lower()
                    if k == b"content-length":
                        length = int(v)
                    elif k == b"webhook-id":
                        msg = v.strip()
                    elif k == b"host":
                        pass
                body = await reader.readexactly(length)
                hook = json.loads(body)["type"]
                self.count += 1
                self.ids.add((head.split(b" ")[1], msg, hook))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    def reset(self):
        self.count = 0
        self.ids = set()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def api(port, token, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise SystemExit("%s %s: %d %s" % (method, path, r.status, data[:300]))
    return json.loads(data) if data else None


def run(backend, url, receiver):
    tmp = tempfile.mkdtemp(prefix="servio-bench-hooks.")
    conf = ["--data-dir", tmp] + (["--database-url", url] if url else [])
    env = dict(os.environ, SERVIO_ADMIN_EMAIL="admin@example.com",
               SERVIO_ADMIN_PASSWORD=PASSWORD, SERVIO_ARGON2_FAST="1")
    subprocess.run([BIN, "init"] + conf, env=env, check=True, capture_output=True)
    out = subprocess.run([BIN, "token", "create", "--email", "admin@example.com", "--name",
                          "bench"] + conf, env=env, check=True, capture_output=True, text=True)
    token = [w for w in out.stdout.split() if len(w) > 30][0]
    port = free_port()
    serve = subprocess.Popen([BIN, "serve", "--no-worker", "--listen", "127.0.0.1:%d" % port,
                              "--log-level", "warn"] + conf, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        for _ in range(300):
            try:
                api(port, token, "GET", "/api/v1/me")
                break
            except (ConnectionError, OSError):
                time.sleep(0.1)
        for i in range(WEBHOOKS):
            api(port, token, "POST", "/api/v1/webhooks",
                {"url": "http://127.0.0.1:%d/hook%d" % (receiver.port, i),
                 "events": ["ticket.*"]})
        company = api(port, token, "POST", "/api/v1/companies",
                      {"name": "Bench client", "kind": "client"})
        for workers in WORKER_COUNTS:
            receiver.reset()
            for i in range(EVENTS):
                api(port, token, "POST", "/api/v1/tickets",
                    {"subject": "bench %d" % i, "company_id": company["id"]})
            start = time.monotonic()
            procs = [subprocess.Popen([BIN, "worker", "--run", "webhooks"] + conf, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                     for _ in range(workers)]
            for p in procs:
                _, err = p.communicate()
                if p.returncode:
                    raise SystemExit("worker failed: %s" % err.decode()[-500:])
            elapsed = time.monotonic() - start
            want = EVENTS * WEBHOOKS
            if receiver.count != want or len(receiver.ids) != want:
                raise SystemExit("%s: %d requests, %d distinct, want %d" % (
                    backend, receiver.count, len(receiver.ids), want))
            rows.append((backend, workers, EVENTS, want, elapsed))
    finally:
        serve.terminate()
        serve.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main():
    if not os.access(BIN, os.X_OK):
        raise SystemExit("no servio at %s (make build/servio, or set SERVIO_BIN)" % BIN)
    receiver = Receiver()
    rows = run("SQLite", None, receiver)
    pgdir = None
    if os.environ.get("BENCH_PG", "1") == "1" and subprocess.run(
            [os.path.join(ROOT, "scripts", "pg-temp.sh"), "check"],
            capture_output=True).returncode == 0:
        pgdir = tempfile.mkdtemp(prefix="servio-bench-pg.")
        os.chmod(pgdir, 0o755)
        try:
            url = subprocess.run([os.path.join(ROOT, "scripts", "pg-temp.sh"), "start", pgdir],
                                 check=True, capture_output=True, text=True).stdout.strip()
            rows += run("PostgreSQL", url, receiver)
        finally:
            subprocess.run([os.path.join(ROOT, "scripts", "pg-temp.sh"), "stop", pgdir],
                           capture_output=True)
            shutil.rmtree(pgdir, ignore_errors=True)
    else:
        print("(PostgreSQL skipped)", file=sys.stderr)
    print("| backend | workers | events | deliveries | seconds | deliveries/s | events/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for backend, workers, events, deliveries, secs in rows:
        print("| %s | %d | %d | %d | %.2f | %.0f | %.0f |" % (
            backend, workers, events, deliveries, secs, deliveries / secs, events / secs))


if __name__ == "__main__":
    main()
