#!/usr/bin/env python3
"""
gen.py DB [COMPANIES] [CONTACTS] - fills a migrated, empty Servio SQLite
database with a benchmark firm: companies of realistic kinds and names and
about ten contacts each. Deterministic (fixed seed). Rows go straight into
the tables `servio init` created; the FTS triggers index them.
"""
import random
import sqlite3
import sys
import time

db = sys.argv[1]
ncomp = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
ncont = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
rnd = random.Random(20261122)
words = ["Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
         "Tyrell", "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Wonka", "Oceanic", "Pied",
         "Piper", "Blue", "Summit", "Harbor", "Cedar", "Maple", "River", "Granite", "Apex"]
trades = ["Printing", "Dental", "Logistics", "Legal", "Clinic", "Bakery", "Realty",
          "Accounting", "Architects", "Motors", "Pharmacy", "School", "Hotel", "Networks"]
suffix = ["Ltd", "LLC", "Inc", "GmbH", "& Co", "Group", ""]
first = ["Ann", "Bob", "Carla", "Dev", "Eve", "Farid", "Gina", "Hugo", "Ines", "Jon", "Kim",
         "Lena", "Marco", "Nora", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara"]
last = ["Lee", "Smith", "Garcia", "Müller", "Rossi", "Novak", "Khan", "Okafor", "Tanaka",
        "Silva", "Berg", "Dubois", "Kowalski", "Nguyen", "Haddad"]
kinds = ["client"] * 70 + ["prospect"] * 20 + ["partner"] * 6 + ["vendor"] * 4
now = "2026-11-22T12:00:00Z"
t0 = time.time()
con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=WAL")
cur = con.cursor()
cur.execute("BEGIN")
for i in range(1, ncomp + 1):
    name = "%s %s %s" % (rnd.choice(words), rnd.choice(trades), rnd.choice(suffix))
    dom = name.split()[0].lower() + str(i)
    cur.execute("INSERT INTO companies (id, created_at, updated_at, version, name, kind, phone,"
                " email, website, lead_source) VALUES (?,?,?,1,?,?,?,?,?,?)",
                (i, now, now, name.strip(), rnd.choice(kinds),
                 "+1 555 %04d" % rnd.randrange(10000), "info@%s.example" % dom,
                 "https://%s.example" % dom, rnd.choice(["web", "referral", "event", None])))
for i in range(1, ncont + 1):
    f, l = rnd.choice(first), rnd.choice(last)
    cur.execute("INSERT INTO contacts (created_at, updated_at, version, company_id, first_name,"
                " last_name, email, phone, title) VALUES (?,?,1,?,?,?,?,?,?)",
                (now, now, rnd.randrange(1, ncomp + 1), f, l,
                 "%s.%s%d@example.com" % (f.lower(), l.lower(), i),
                 "+1 555 %04d" % rnd.randrange(10000), rnd.choice(["Owner", "IT", "Office"])))
con.commit()
print("generated %d companies and %d contacts in %.1f s" % (ncomp, ncont, time.time() - t0))
