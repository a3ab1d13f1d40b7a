#!/usr/bin/env python3
"""
cpu_per_request.py URL TOKEN PIDS PATH... - the CPU time a request costs,
which a shared machine disturbs much less than a rate or a percentile:
for each PATH, 100 requests to warm up, then N (env N, default 1000) one
after the other on one keep-alive connection, and the user + system CPU
the processes PIDS (comma-separated: the server and, for PostgreSQL, its
server processes) spent meanwhile, divided by N. Prints a Markdown row a
PATH: path, microseconds of CPU a request, wall microseconds a request.
"""
import http.client
import os
import sys
import time
import urllib.parse

url, token, pids = sys.argv[1], sys.argv[2], sys.argv[3]
paths = sys.argv[4:]
n = int(os.environ.get("N", "1000"))
hz = os.sysconf("SC_CLK_TCK")
u = urllib.parse.urlsplit(url)


def processes():
    """The PIDS and every descendant of them (PostgreSQL's backends)."""
    want = {int(p) for p in pids.split(",") if p}
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    grew = True
    while grew:
        more = {p for p, pp in parent.items() if pp in want} - want
        grew = bool(more)
        want |= more
    return want


def ticks():
    total = 0
    for p in processes():
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total


conn = http.client.HTTPConnection(u.hostname, u.port)
headers = {"Authorization": "Bearer " + token}


def get(path):
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("%s: HTTP %d" % (path, r.status))


for path in paths:
    for _ in range(100):
        get(path)
    c0, t0 = ticks(), time.perf_counter()
    for _ in range(n):
        get(path)
    c1, t1 = ticks(), time.perf_counter()
    print("| %s | %.0f | %.0f |" % (path, (c1 - c0) * 1e6 / hz / n, (t1 - t0) * 1e6 / n))
    sys.stdout.flush()
