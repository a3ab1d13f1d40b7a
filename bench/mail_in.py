#!/usr/bin/env python3
"""
bench/mail_in.py - mail in, messages per second, into the benchmark firm
(bench/gen.py: 10,000 companies, 100,000 contacts; bench/gen_tickets.py:
TICKETS service orders, default 100,000), on SQLite:

  1. the MTA pipe: MESSAGES (default 1,000) messages, each its own
     "servio mail-in" process, as a mail server's pipe runs it (process
     start, migrations check, parse, thread, write, commit);
  2. the IMAP poller: the same number delivered to a real Dovecot mailbox
     (tests/api/mailservers.py), then "servio worker --run mail-poll" run
     until the mailbox has nothing untaken (100 messages a poll).

The mix is what a help desk gets: 60 % new requests from known contacts
(a ticket each), 25 % replies naming an open ticket of the sender's
company ([T-] tag), 10 % from unknown senders (triage), 5 % auto-replies.
Every message is checked to be recorded with the outcome its kind should
get. Prints a Markdown table.

    make build/servio; python3 bench/mail_in.py
    TICKETS=20000 MESSAGES=500 python3 bench/mail_in.py
"""

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
from mailservers import Dovecot  # noqa: E402

BIN = os.environ.get("SERVIO_BIN", os.path.join(ROOT, "build", "servio"))
TICKETS = int(os.environ.get("TICKETS", "100000"))
MESSAGES = int(os.environ.get("MESSAGES", "1000"))


def env(data):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("SERVIO_"):
            del e[k]
    e["SERVIO_LOG_LEVEL"] = "error"
    return e


def messages(db, n, tag):
    """n raw messages and the outcome each should get."""
    con = sqlite3.connect(db)
    contacts = con.execute("SELECT email, company_id FROM contacts WHERE email IS NOT NULL"
                           " ORDER BY id LIMIT 20000").fetchall()
    open_tickets = {}
    for number, company in con.execute(
            "SELECT number, company_id FROM tickets WHERE status NOT IN"
            " ('resolved', 'closed', 'cancelled') ORDER BY id LIMIT 50000"):
        open_tickets.setdefault(company, []).append(number)
    con.close()
    rnd = random.Random(42)
    repliers = [c for c in contacts if c[1] in open_tickets]
    out = []
    for i in range(n):
        r = rnd.random()
        mid = "<bench-%s-%d@client.example>" % (tag, i)
        if r < 0.60:
            addr, _ = rnd.choice(contacts)
            subject, want = "Printer %d is jammed again" % i, "ticket"
        elif r < 0.85 and repliers:
            addr, company = rnd.choice(repliers)
            subject = "Re: [%s] update" % rnd.choice(open_tickets[company])
            want = "reply"
        elif r < 0.95:
            addr, subject, want = "someone%d@unknown-%d.example" % (i, i), "Hello", "triage"
        else:
            addr, _ = rnd.choice(contacts)
            subject, want = "Out of office", "auto_reply"
        extra = "Auto-Submitted: auto-replied\r\n" if want == "auto_reply" else ""
        body = ("Hello,\r\n\r\nthe printer on the second floor shows error %d again.\r\n"
                "Could someone come by today?\r\n\r\nThanks\r\n\r\n"
                "On Mon, 30 Nov 2026, Support wrote:\r\n> earlier words\r\n" % i)
        raw = ("From: %s\r\nTo: support@firm.example\r\nSubject: %s\r\nMessage-ID: %s\r\n"
               "Date: Sun, 06 Dec 2026 10:00:00 +0000\r\n%sMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\n%s"
               % (addr, subject, mid, extra, body))
        out.append((raw.encode(), want))
    return out


def check(db, tag, batch):
    con = sqlite3.connect(db)
    got = dict(con.execute("SELECT message_id, outcome FROM inbound_messages"
                           " WHERE message_id LIKE ?", ("bench-%s-%%" % tag,)).fetchall())
    con.close()
    wrong = 0
    for i, (_, want) in enumerate(batch):
        if got.get("bench-%s-%d@client.example" % (tag, i)) != want:
            wrong += 1
    if wrong:
        sys.exit("bench: %d of %d messages were not taken as expected" % (wrong, len(batch)))


def main():
    if not os.path.exists(BIN):
        sys.exit("bench: no %s (make build)" % BIN)
    tmp = tempfile.mkdtemp(prefix="servio-mailbench-")
    os.chmod(tmp, 0o755)
    data = os.path.join(tmp, "data")
    dovecot = None
    try:
        e = env(data)
        e.update(SERVIO_ADMIN_EMAIL="bench@example.com", SERVIO_ADMIN_PASSWORD="quartz-lantern-meadow-41")
        subprocess.run([BIN, "init", "--data-dir", data], env=e, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = os.path.join(data, "servio.db")
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), db, "10000", "100000"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_tickets.py"), db, str(TICKETS)],
                       check=True, stdout=subprocess.DEVNULL)
        rows = []
        # 1. the pipe
        batch = messages(db, MESSAGES, "pipe")
        t0 = time.monotonic()
        for raw, _ in batch:
            r = subprocess.run([BIN, "mail-in", "--data-dir", data], input=raw, env=env(data),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                sys.exit("bench: mail-in exited %d: %s" % (r.returncode, r.stderr.decode()))
        dt = time.monotonic() - t0
        check(db, "pipe", batch)
        rows.append(("`servio mail-in` per message (MTA pipe)", len(batch), dt))
        # 2. the poller
        dovecot = Dovecot().start()
        con = sqlite3.connect(db)
        con.execute("UPDATE settings SET imap_host = '127.0.0.1', imap_port = ?,"
                    " imap_security = 'none', imap_username = ?, imap_secret = ?",
                    (dovecot.port, Dovecot.USER, Dovecot.PASSWORD))
        con.commit()
        con.close()
        batch = messages(db, MESSAGES, "imap")
        m = dovecot.connect()
        for raw, _ in batch:
            m.append("INBOX", None, None, raw)
        m.logout()
        t0 = time.monotonic()
        polls = 0
        while dovecot.untaken():
            r = subprocess.run([BIN, "worker", "--run", "mail-poll", "--data-dir", data],
                               env=env(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                sys.exit("bench: mail-poll failed: %s" % r.stderr.decode())
            polls += 1
            if polls > MESSAGES:
                sys.exit("bench: the poller makes no progress")
        dt = time.monotonic() - t0
        check(db, "imap", batch)
        rows.append(("IMAP poller (`worker --run mail-poll`, %d polls)" % polls, len(batch), dt))
        print("| path | messages | seconds | messages/s |")
        print("| --- | ---: | ---: | ---: |")
        for name, n, dt in rows:
            print("| %s | %d | %.1f | %.0f |" % (name, n, dt, n / dt))
        print()
        print("Firm: 10,000 companies, 100,000 contacts, %d tickets; SQLite; %d CPUs." %
              (TICKETS, os.cpu_count()))
    finally:
        if dovecot:
            dovecot.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
