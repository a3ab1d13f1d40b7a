#!/usr/bin/env python3
"""
gen_billing.py DB [CONTRACTS] - gives a benchmark firm made by gen.py and
gen_tickets.py its terms, so that an invoice run has every rule to apply:
CONTRACTS contracts (default 3,000, on the first companies, a third each
of managed services, block hours and time & materials), each company's
tickets under its contract, two monitored workstations per managed client
(a per-device addition), an on-site work type for a tenth of the time
entries (outside the managed fee, at a T&M rate override), cost rates for
the technicians. The other companies' tickets have no contract and bill as
time & materials at list rates, as DESIGN.md says. Deterministic.
"""
import json
import random
import sqlite3
import sys
import time

db = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
rnd = random.Random(20261206)
t0 = time.time()
con = sqlite3.connect(db)
cur = con.cursor()
cur.execute("BEGIN")
if cur.execute("SELECT COUNT(*) FROM time_entries").fetchone()[0] == 0:
    sys.exit("gen_billing.py: run gen.py and gen_tickets.py first (no time entries)")
stamp = "2026-11-23T00:00:00Z"
remote = cur.execute("SELECT id FROM work_types ORDER BY id LIMIT 1").fetchone()[0]
cur.execute("INSERT INTO work_types (created_at, updated_at, name, currency, hourly_rate)"
            " VALUES (?, ?, 'On-site technician', 'USD', 12500)", (stamp, stamp))
onsite = cur.lastrowid
cur.execute("UPDATE time_entries SET work_type_id = ? WHERE id % 10 = 3", (onsite,))
cur.execute("UPDATE users SET cost_rate = 4200 WHERE role = 'technician'")
companies = [r[0] for r in cur.execute("SELECT id FROM companies ORDER BY id LIMIT ?", (n,))]
kinds = {"managed": 0, "block_hours": 0, "time_materials": 0}
for k, company in enumerate(companies):
    kind = ("managed", "block_hours", "time_materials")[k % 3]
    kinds[kind] += 1
    fields = {"monthly_fee": None, "block_minutes": None, "block_price": None,
              "overage_rate": None, "rates": "[]", "covered_work_type_ids": "[]",
              "additions": "[]", "rollover": 0}
    if kind == "managed":
        fields["monthly_fee"] = rnd.choice([90000, 150000, 240000])
        fields["covered_work_type_ids"] = json.dumps([remote])
        fields["additions"] = json.dumps([{"description": "Monitoring, per workstation",
                                           "unit_price": 2500, "asset_kind": "workstation"}])
        for a in range(2):
            cur.execute("INSERT INTO assets (created_at, updated_at, company_id, name, kind)"
                        " VALUES (?, ?, ?, ?, 'workstation')",
                        (stamp, stamp, company, "PC-%02d" % (a + 1)))
    elif kind == "block_hours":
        fields["block_minutes"] = rnd.choice([600, 1200, 2400])
        fields["block_price"] = fields["block_minutes"] * 150
        fields["overage_rate"] = 11000
        fields["rollover"] = 1     # a new block this October: the run bills its price
    else:
        fields["rates"] = json.dumps([{"work_type_id": onsite, "hourly_rate": 11000}])
    cur.execute(
        "INSERT INTO contracts (created_at, updated_at, company_id, name, kind, status,"
        " starts_on, currency, monthly_fee, block_minutes, block_price, overage_rate,"
        " rollover, rates, covered_work_type_ids, additions)"
        " VALUES (?, ?, ?, ?, ?, 'active', ?, 'USD', ?, ?, ?, ?, ?, ?, ?, ?)",
        (stamp, stamp, company, "%s terms" % kind.replace("_", " ").capitalize(), kind,
         "2026-10-01" if kind == "block_hours" else "2024-11-01",
         fields["monthly_fee"], fields["block_minutes"], fields["block_price"],
         fields["overage_rate"], fields["rollover"], fields["rates"],
         fields["covered_work_type_ids"], fields["additions"]))
    cur.execute("UPDATE tickets SET contract_id = ? WHERE company_id = ?", (cur.lastrowid, company))
con.commit()
print("generated %d contracts (%s) in %.1f s"
      % (len(companies), ", ".join("%d %s" % (v, k) for k, v in kinds.items()),
         time.time() - t0))
