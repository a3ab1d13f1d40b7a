"""
mailservers.py - real mail servers for the mail tests, started unprivileged
in temporary directories and stopped afterwards:

    SmtpSink   Debian's python3-aiosmtpd on a free port of 127.0.0.1: keeps
               every message it is given; can be told to refuse a recipient
               (550) or to fail for a while (451).
    Dovecot    Debian's dovecot-imapd with its own configuration, mail and
               state under a temporary directory, on a free port; one user.

Both need nothing installed by hand beyond scripts/deps.sh's test group.
"""

import email
import email.policy
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.sink.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        if self.sink.tempfail:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        with self.sink.lock:
            self.sink.messages.append({"from": envelope.mail_from,
                                       "to": list(envelope.rcpt_tos), "raw": raw})
        return "250 Message accepted for delivery"


class SmtpSink:
    """
    A real SMTP server keeping what it is given (sink.messages). With
    login=(user, password) it requires AUTH (PLAIN or LOGIN; over plain text,
    as a test may) and records each attempt in sink.logins.
    """

    def __init__(self, login=None):
        self.messages = []
        self.refuse = set()
        self.tempfail = False
        self.logins = []
        self.lock = threading.Lock()
        self.port = free_port()
        kw = {}
        if login:
            def authenticator(server, session, envelope, mechanism, auth_data):
                got = (auth_data.login.decode(), auth_data.password.decode())
                self.logins.append((mechanism, got))
                return AuthResult(success=got == login)
            kw = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kw)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def parsed(self, i):
        return email.message_from_bytes(self.messages[i]["raw"], policy=email.policy.default)

    def wait_to(self, address, after=0, timeout=30):
        """The first message to address among those after index `after` (parsed), waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for i in range(after, len(self.messages)):
                    if address in self.messages[i]["to"]:
                        return self.parsed(i)
            time.sleep(0.1)
        raise AssertionError("no message to %s reached the SMTP sink in %ds" % (address, timeout))

    def wait_for(self, count, timeout=30):
        """Waits until count messages arrived (the server's worker sends within a second)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return self.messages
            time.sleep(0.1)
        raise AssertionError("the SMTP sink got %d of %d messages in %ds" %
                             (len(self.messages), count, timeout))


class Dovecot:
    """A real IMAP server with one mailbox user."""

    USER = "support@firm.example"
    PASSWORD = "imap-test-secret"

    def __init__(self):
        self.dir = None
        self.port = None
        self.proc = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="servio-dovecot-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        if os.getuid() == 0:
            # as root, Dovecot runs its processes as its own users
            internal, login = "dovecot", "dovenull"
            mail_uid, mail_gid = pwd.getpwnam("dovecot").pw_uid, pwd.getpwnam("dovecot").pw_gid
        else:
            me = pwd.getpwuid(os.getuid()).pw_name
            internal = login = me
            mail_uid, mail_gid = os.getuid(), os.getgid()
        mail = os.path.join(self.dir, "mail")
        for d in ("run", "state", "mail", "home"):
            os.makedirs(os.path.join(self.dir, d))
        for d in ("mail", "home"):
            if os.getuid() == 0:
                os.chown(os.path.join(self.dir, d), mail_uid, mail_gid)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (self.USER, self.PASSWORD))
        conf = os.path.join(self.dir, "dovecot.conf")
        with open(conf, "w") as f:
            f.write("""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""".format(d=self.dir, internal=internal, login=login, mail=mail, uid=mail_uid,
                   gid=mail_gid, port=self.port))
        self.proc = subprocess.Popen(["/usr/sbin/dovecot", "-F", "-c", conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                m = self.connect()
                m.logout()
                return self
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        self.stop()
        raise AssertionError("dovecot did not start:\n" + self.log())

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def connect(self):
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(self.USER, self.PASSWORD)
        return m

    def deliver(self, raw):
        """Puts a message in the INBOX (IMAP APPEND, as a mail server's delivery would)."""
        m = self.connect()
        try:
            typ, _ = m.append("INBOX", None, None, raw)
            assert typ == "OK", typ
        finally:
            m.logout()

    def untaken(self):
        """The UIDs of INBOX messages without Servio's keyword."""
        m = self.connect()
        try:
            m.select("INBOX")
            typ, data = m.uid("SEARCH", "UNKEYWORD", "ServioTaken")
            assert typ == "OK", typ
            return data[0].split()
        finally:
            m.logout()

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
