#!/usr/bin/env python3
"""
gen_tickets.py DB [TICKETS] - adds the service desk to a benchmark firm made
by gen.py: ten technicians, a business-hours calendar with a default SLA
policy, a work type, and TICKETS service orders (default 100,000) spread over
the last two years, each with its history, two or three notes and a time
entry; about 5 % are open. Deterministic (fixed seed). Rows go straight into
the tables `servio init` created; the full-text triggers index them.

The rare search word ("quasar") is in about one ticket in 10,000, the common
one ("printer") in about one in four.

Ids follow creation order, as they do when tickets are made through the
API: the creation times are drawn first and handed out oldest first.
"""
import json
import random
import sqlite3
import sys
import time

db = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
rnd = random.Random(20261123)
t0 = time.time()
con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=WAL")
cur = con.cursor()
cur.execute("BEGIN")
ncomp = cur.execute("SELECT COUNT(*) FROM companies").fetchone()[0]
if ncomp == 0:
    sys.exit("gen_tickets.py: run gen.py first (no companies)")
now = 1795392000  # 2026-11-23T00:00:00Z


def ts(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


stamp = ts(now)
techs = []
for i in range(10):
    cur.execute("INSERT INTO users (created_at, updated_at, email, name, role, skills)"
                " VALUES (?, ?, ?, ?, 'technician', ?)",
                (stamp, stamp, "tech%d@bench.example" % i, "Technician %d" % i,
                 json.dumps(rnd.sample(["printers", "wifi", "servers", "cctv", "voip"], 2))))
    techs.append(cur.lastrowid)
cur.execute("INSERT INTO calendars (created_at, updated_at, name, timezone, hours, holidays)"
            " VALUES (?, ?, 'Office hours', 'Europe/Berlin', ?, ?)",
            (stamp, stamp, json.dumps([{"weekday": d, "start": "08:00", "end": "17:00"}
                                       for d in range(1, 6)]),
             json.dumps(["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"])))
cal = cur.lastrowid
cur.execute("INSERT INTO sla_policies (created_at, updated_at, name, calendar_id, targets,"
            " is_default) VALUES (?, ?, 'Standard', ?, ?, 1)",
            (stamp, stamp, cal, json.dumps([
                {"priority": "critical", "response_minutes": 30, "resolution_minutes": 240},
                {"priority": "high", "response_minutes": 60, "resolution_minutes": 480},
                {"priority": "medium", "response_minutes": 240, "resolution_minutes": 1440},
                {"priority": "low", "response_minutes": 480, "resolution_minutes": 4320}])))
policy = cur.lastrowid
cur.execute("INSERT INTO work_types (created_at, updated_at, name, currency, hourly_rate)"
            " VALUES (?, ?, 'Remote support', 'USD', 9500)", (stamp, stamp))
work = cur.lastrowid

things = ["printer", "laptop", "switch", "firewall", "phone", "server", "scanner", "router",
          "camera", "mailbox"]
faults = ["does not start", "is slow", "shows an error", "is offline", "makes a noise",
          "needs an update", "lost its settings", "cannot connect"]
kinds = ["incident"] * 6 + ["service_request"] * 2 + ["repair", "installation", "maintenance"]
prios = ["low"] * 3 + ["medium"] * 5 + ["high"] * 2 + ["critical"]
created_times = sorted(now - rnd.randrange(2 * 365 * 24 * 3600) for _ in range(n))
for i in range(1, n + 1):
    created = created_times[i - 1]
    thing = "printer" if rnd.random() < 0.22 else rnd.choice(things)
    subject = "%s %s" % (thing.capitalize(), rnd.choice(faults))
    if rnd.random() < 0.0001:
        subject += " (quasar model)"
    open_ = rnd.random() < 0.05
    status = rnd.choice(["new", "assigned", "in_progress", "waiting_customer"]) if open_ \
        else rnd.choice(["closed"] * 9 + ["resolved"])
    assignee = None if status == "new" else rnd.choice(techs)
    responded = ts(created + rnd.randrange(60, 4 * 3600)) if status != "new" else None
    resolved = ts(created + rnd.randrange(3600, 5 * 24 * 3600)) \
        if status in ("resolved", "closed") else None
    notes = ["Called the client about the %s." % thing, "Checked the logs; %s." %
             rnd.choice(faults)]
    if rnd.random() < 0.5:
        notes.append("Replaced a part of the %s." % thing)
    cur.execute(
        "INSERT INTO tickets (created_at, updated_at, number, subject, description, kind,"
        " channel, priority, status, company_id, assignee_id, tier, first_responded_at,"
        " resolved_at, closed_at, resolution, sla_policy_id, notes_text)"
        " VALUES (?, ?, ?, ?, ?, ?, 'phone', ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
        (ts(created), ts(created), "T-%06d" % i, subject,
         "The client reports that the %s %s." % (thing, rnd.choice(faults)),
         rnd.choice(kinds), rnd.choice(prios), status, rnd.randrange(1, ncomp + 1), assignee,
         responded, resolved, resolved if status == "closed" else None,
         "Fixed on site." if resolved else None, policy, "\n" + "\n".join(notes)))
    tid = cur.lastrowid
    cur.execute("INSERT INTO ticket_events (ticket_id, at, kind, to_value) VALUES (?, ?,"
                " 'created', 'new')", (tid, ts(created)))
    if status != "new":
        cur.execute("INSERT INTO ticket_events (ticket_id, at, kind, from_value, to_value)"
                    " VALUES (?, ?, 'status', 'new', ?)", (tid, responded, status))
    for k, body in enumerate(notes):
        at = ts(created + 600 * (k + 1))
        cur.execute("INSERT INTO ticket_notes (created_at, updated_at, ticket_id, body,"
                    " visibility, author_id) VALUES (?, ?, ?, ?, ?, ?)",
                    (at, at, tid, body, "public" if k == 0 else "internal",
                     assignee or techs[0]))
    cur.execute("INSERT INTO time_entries (created_at, updated_at, ticket_id, user_id,"
                " work_type_id, started_at, minutes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ts(created), ts(created), tid, assignee or techs[0], work,
                 ts(created + 900), rnd.choice([15, 30, 45, 60, 90])))
cur.execute("INSERT INTO counters (name, value) VALUES ('tickets', ?) ON CONFLICT (name)"
            " DO UPDATE SET value = excluded.value", (n,))
con.commit()
open_n = cur.execute("SELECT COUNT(*) FROM tickets WHERE status NOT IN"
                     " ('resolved', 'closed', 'cancelled')").fetchone()[0]
print("generated %d tickets (%d open) with notes, history and time in %.1f s"
      % (n, open_n, time.time() - t0))
