"""
test_authorization.py - every route of the server, called by every kind of
caller, answers as the route table says it must. Generated from `servio
schema roles` (harness.role_schema): a new route, role, portal role or field
mask is covered without anyone writing a test.

The callers: nobody (no credentials); one user of every staff role the
schema names (created here, signed in with a cookie session; each also
holds an API token, asked on the portal's routes); and a client portal
session of every portal_role for a contact of company A. The data: "servio
demo" (a firm with a record of every resource), two of its client companies
as A and B, an attachment and a help-article link on a ticket of each, a
webhook with a delivery. Every ":id"/":item" is filled with a real id taken from
the staff lists (the portal's routes from the staff list of the same
records; a child's list under the parent chosen), in company A where the
records belong to a company.

What must hold, per route:
  - nobody gets 401 on every route that is not public; a public route never
    answers 401 nor 5xx, whoever calls;
  - a staff role the route does not list gets 403 (the route exists; the
    decision is about the role, made before any id is looked up or any body
    read), a staff role it lists never gets 401/403 nor 5xx (4xx for the
    body, the state or a missing If-Match is fine);
  - a portal session on a staff route gets 403 when its session rides in
    the staff cookie (401 in its own, which a staff route does not read);
    staff on a portal route get 401 by session and 403 by API token;
  - a portal role reaches the portal routes of its areas (portalAreas) and
    gets 403 on the others; on its own areas, never 401/403 nor 5xx with
    company A's ids, and 404 with company B's (company B's own portal admin
    is asked first, and gets 2xx for the GETs: the ids are real and visible
    to their owner);
  - a field hidden from a role (fieldMasks) never appears in a 2xx reply to
    that role: each JSON reply is walked together with the response schema
    of docs/openapi.yaml, and every object the document types as a record
    of a masked type is checked.

Nothing here is destructive before its time: the refusals are asked first
(they must change nothing), then the portal's other-company ids, then the
allowed GETs, then the allowed writes, with bodies of {}: a PATCH with
If-Match: * (an empty merge patch changes nothing but reaches the engine),
the others without If-Match (so most stop at 422/428); a session that a
write ended (sign-out) is signed in again and the request asked once more.
A staff caller's "/users/:id" is their own, and so are their notifications
(a ticket is assigned to each). Every violation is collected and listed at
the end, with a summary of routes x callers checked.
"""

import collections
import re
import secrets
import sys
import unittest

from harness import BIN, Client, role_schema, unique
from test_openapi_responses import ResponseSchemas, load_document
from test_portal import CLIENT_PASSWORD, PortalCase

API = "/api/v1"
DEMO_PASSWORD = "Demo-Pass-For-Authorization-Tests-0nly-52!"
STAFF_PASSWORD = "Authz-" + secrets.token_hex(6) + "-Quiet-Lantern-47"
PAGE = 200
MAX_PARENTS = 40        # parents tried for one with children
DENIED = (401, 403)
TIMEOUT = 30            # seconds a request may take (ASan, a loaded machine)
PORTAL = API + "/portal/"


def doc_path(pattern):
    """/api/v1/tickets/:id -> /api/v1/tickets/{id} (the document's spelling)."""
    return re.sub(r":([a-z_]+)", r"{\1}", pattern)


def staff_path(prefix):
    """A portal collection's staff twin: /api/v1/portal/tickets -> /api/v1/tickets."""
    return prefix.replace(PORTAL, API + "/", 1) if prefix.startswith(PORTAL) else prefix


class Caller:
    """Someone who calls the routes: a role, a client, and how to sign in again."""

    def __init__(self, name, kind, role, client, relogin=None, user_id=None):
        self.user_id = user_id  # a staff caller's own user id
        self.name = name        # "anonymous", "technician", "portal:billing", ...
        self.kind = kind        # "anonymous", "staff", "portal"
        self.role = role        # the role a mask names: a staff role, "portal", or None
        self.client = client
        self.relogin = relogin  # () -> a new signed-in client, or None


class TestAuthorization(PortalCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            r = cls.server.run_cli("demo", "--password", DEMO_PASSWORD, timeout=300)
            if r.returncode != 0:
                raise AssertionError("servio demo failed (%d):\n%s%s"
                                     % (r.returncode, r.stdout, r.stderr))
            # what the demo lacks: a webhook with a delivery
            status, _, hook = cls.admin.post(API + "/webhooks", {
                "url": "http://127.0.0.1:9/hook", "events": ["ticket.*"]})
            assert status == 201, hook
            status, _, body = cls.admin.post(API + "/webhooks/%d/test" % hook["id"])
            assert status == 200, body
            r = cls.server.run_cli("worker", "--run", "webhooks")
            assert r.returncode == 0, r.stderr
            cls.schema = role_schema(BIN)
            cls.doc, _ = load_document()
            cls.schemas = ResponseSchemas(cls.doc)
        except BaseException:
            cls.server.stop(check=False)
            raise

    # --- helpers --------------------------------------------------------------------

    def setUp(self):
        self.violations = []
        self.checked = collections.Counter()   # caller -> requests checked
        self.routes_seen = set()
        self.lists = {}

    def violation(self, caller, method, path, status, why, body=None):
        text = "" if body is None else " " + (body if isinstance(body, str) else repr(body))
        self.violations.append("%s %s as %s: %s, got %s%s"
                               % (method, path, caller.name, why, status, text[:160]))

    def list_of(self, path, who=None):
        """The records of a staff list as the admin (or who) sees them (its first page)."""
        key = (who.name, path) if who else path
        if key not in self.lists:
            status, _, body = (who.client if who else self.admin).get(path + "?limit=%d" % PAGE)
            data = body.get("data") if status == 200 and isinstance(body, dict) else None
            self.lists[key] = [r for r in data or [] if isinstance(r, dict)
                               and isinstance(r.get("id"), int)]
        return self.lists[key]

    def company_of(self, record):
        """The client company a record belongs to, through company_id or a parent's."""
        if isinstance(record.get("company_id"), int):
            return record["company_id"]
        for key, value in record.items():
            if key.endswith("_id") and isinstance(value, int) and key != "id":
                parents = self.lists.get(API + "/" + key[:-3] + "s")
                for p in parents or []:
                    if p["id"] == value and isinstance(p.get("company_id"), int):
                        return p["company_id"]
        return None

    def candidates(self, prefix, company, who=None):
        """Ids for the parameter after prefix: the company's records first, then any."""
        if who and staff_path(prefix) == API + "/users":
            # their own first (a calendar feed), then the others (whose certifications)
            return [who.user_id] + [r["id"] for r in self.list_of(API + "/users")
                                    if r["id"] != who.user_id]
        # the caller's own (notifications): listed as the caller
        records = self.list_of(prefix, who) if who and prefix.startswith(API + "/me/") \
            else self.list_of(staff_path(prefix))
        mine = [r["id"] for r in records if self.company_of(r) == company]
        if company is not None and self.strict:
            return mine
        free = [r["id"] for r in records if self.company_of(r) is None]
        return mine + free + [r["id"] for r in records if r["id"] not in mine + free]

    def fill(self, pattern, company, pick=0, who=None):
        """The pattern with real ids (the pick-th candidate of the last one), or None."""
        path = ""
        params = re.findall(r":[a-z_]+", pattern)
        rest = pattern
        for n, param in enumerate(params):
            head, _, rest = rest.partition(param)
            path += head
            if param == ":token":
                path += "x" * 43
                continue
            ids = self.candidates(path.rstrip("/"), company, who)
            if n == len(params) - 1:
                if len(ids) <= pick:
                    return None
                path += str(ids[pick])
                continue
            # a parent: the first with records under it (/tickets/7/notes has notes)
            child = re.match(r"/[a-z-]+", rest)
            under = [i for i in ids[:MAX_PARENTS] if not child or
                     self.list_of("%s%d%s" % (path, i, child.group(0)))]
            if not under:
                return None
            path += str(under[0])
        return path + rest

    def call(self, caller, method, path, retry=True, headers=None, malformed=False):
        """
        One request. malformed: a body that is not JSON, sent as text/plain
        (a refusal comes before the body is read, so it must not matter).
        """
        body = {} if method in ("POST", "PATCH", "PUT") else None
        raw = None
        if malformed and method != "GET":
            body, raw = None, '{"not json'
            headers = dict(headers or {}, **{"Content-Type": "text/plain"})
        try:
            status, answered, reply = caller.client.request(method, path, body, headers=headers,
                                                            raw=raw, timeout=TIMEOUT)
        except OSError as e:
            raise AssertionError("%s %s as %s: no answer (%s)\nserver log tail:\n%s"
                                 % (method, path, caller.name, e, self.server.log_text(20)))
        if status == 401 and retry and caller.relogin:
            caller.client.close()
            caller.client = caller.relogin()     # a sign-out earlier ended the session
            return self.call(caller, method, path, retry=False, headers=headers)
        self.checked[caller.name] += 1
        return status, answered, reply

    # --- the field masks ------------------------------------------------------------

    def masked_fields(self, node, value, role, where, found, depth=0):
        """Walks value with its schema node; appends where a field hidden from role shows."""
        if depth > 40 or not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if isinstance(value, dict):
                for field, roles in self.schema["masks"].get(name, {}).items():
                    if role in roles and field in value:
                        found.append("%s/%s (%s)" % (where, field, name))
            self.masked_fields(self.schemas.target(node["$ref"]), value, role, where, found,
                               depth + 1)
            return
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key) or []:
                self.masked_fields(sub, value, role, where, found, depth + 1)
        if isinstance(value, dict):
            props = node.get("properties") or {}
            for key, sub in value.items():
                schema = props.get(key, node.get("additionalProperties"))
                self.masked_fields(schema, sub, role, "%s/%s" % (where, key), found, depth + 1)
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for i, item in enumerate(value):
                self.masked_fields(node["items"], item, role, "%s/%d" % (where, i), found,
                                   depth + 1)

    def check_masks(self, caller, method, pattern, path, status, reply):
        if caller.role is None or not isinstance(reply, (dict, list)):
            return
        try:
            pointer = self.schemas.success(method, doc_path(pattern), str(status))
        except AssertionError:
            pointer = None
        if pointer is None:
            return
        found = []
        node = self.schemas.target(pointer)
        self.masked_fields(node, reply, caller.role, "", found)
        for where in found:
            self.violation(caller, method, path, status,
                           "a field hidden from %s is in the reply at %s" % (caller.role, where))
        self.masks_checked += 1

    def record_type(self, method, pattern):
        """The record type the document gives the route's success reply, or None."""
        for status in ("200", "201"):
            try:
                pointer = self.schemas.success(method, doc_path(pattern), status)
            except AssertionError:
                continue
            node = self.schemas.target(pointer) if pointer else None
            if isinstance(node, dict) and "$ref" in node:
                return node["$ref"].rsplit("/", 1)[-1]
        return None

    def someone_elses(self, caller, method, pattern, path):
        """
        Whether a 403 to a caller the route allows is the own-rows rule
        (ownerRows): the record is of a type with own rows, the caller's role
        may change only its own, and this one is not the caller's.
        """
        owner = self.schema["owners"].get(self.record_type(method, pattern))
        if method == "GET" or not owner or caller.role in owner[1]:
            return False
        m = re.match(r"(.*/[0-9]+)(/[a-z-]+)?$", path)
        status, _, record = self.admin.get(m.group(1)) if m else (None, None, None)
        return status == 200 and record.get(owner[0]) != caller.user_id

    # --- the callers ----------------------------------------------------------------

    def staff_callers(self):
        callers = []
        for role in self.schema["roles"]:
            email = "%s-%s@authz.example" % (role, secrets.token_hex(3))
            user = self.create("users", {"email": email, "name": "Authz " + role,
                                         "role": role, "password": STAFF_PASSWORD})

            def login(email=email):
                c = Client(self.server.port)
                c.keep_alive = True
                c.login(email, STAFF_PASSWORD)
                return c
            c = login()
            callers.append(Caller(role, "staff", role, c, login, user["id"]))
            # a ticket assigned to them: a notification of their own
            ticket = self.list_of(API + "/tickets")[len(callers)]
            self.admin.patch(API + "/tickets/%d" % ticket["id"], {"assignee_id": user["id"]},
                             headers={"If-Match": "*"})
            made = self.assertStatus(c.post(API + "/tokens", {"name": "authz"}), 201, "token")
            bearer = Client(self.server.port, token=made["token"])
            bearer.keep_alive = True
            callers.append(Caller(role + " (API token)", "token", role, bearer))
        return callers

    def portal_callers(self, company):
        callers = []
        for prole in self.schema["portal_roles"]:
            contact = self.contact(company, role=prole)

            def login(email=contact["email"]):
                c = Client(self.server.port)
                c.keep_alive = True
                c.portal_login(email, CLIENT_PASSWORD)
                return c
            c = self.portal(contact)
            c.keep_alive = True
            callers.append(Caller("portal:" + prole, "portal", "portal", c, login))
        return callers

    def attach(self, ticket_id):
        boundary = "B" + unique()
        payload = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\""
                   "\r\nContent-Type: text/plain\r\n\r\nauthz\r\n--%s--\r\n"
                   % (boundary, boundary)).encode()
        self.assertStatus(self.admin.request(
            "POST", API + "/tickets/%d/attachments" % ticket_id, raw=payload,
            headers={"Content-Type": "multipart/form-data; boundary=" + boundary}), 201,
            "attachment")

    def two_companies(self):
        """The demo's two client companies with the most kinds of records."""
        kinds = collections.defaultdict(set)
        for method, pattern, roles in self.schema["routes"]:
            if method != "GET" or ":" in pattern or "public" in roles or pattern.startswith(PORTAL):
                continue
            for r in self.list_of(pattern) if roles & set(self.schema["roles"]) else []:
                if isinstance(r.get("company_id"), int):
                    kinds[r["company_id"]].add(pattern)
        companies = {c["id"]: c for c in self.list_of(API + "/companies")}
        ranked = sorted((cid for cid in kinds if cid in companies),
                        key=lambda cid: (-len(kinds[cid]), cid))
        self.assertGreaterEqual(len(ranked), 2, "the demo has fewer than two companies")
        return companies[ranked[0]], companies[ranked[1]]

    # --- the test -------------------------------------------------------------------

    def test_every_route_every_caller(self):
        routes = list(self.schema["routes"])
        self.assertGreater(len(routes), 100, "servio schema roles lists too few routes")
        self.strict = False
        self.masks_checked = 0
        a, b = self.two_companies()
        article = self.list_of(API + "/kb/articles")[0]
        for company in (a, b):
            ticket = next(t for t in self.list_of(API + "/tickets")
                          if t.get("company_id") == company["id"])
            self.attach(ticket["id"])
            self.create("tickets/%d/kb-links" % ticket["id"], {"article_id": article["id"]})
        self.lists.clear()
        nobody = Caller("anonymous", "anonymous", None, Client(self.server.port))
        nobody.client.keep_alive = True
        staff = self.staff_callers()
        portal = self.portal_callers(a)
        # company B's portal admin: the control that B's ids are real and visible to B
        theirs = Caller("company B's portal admin", "portal", "portal",
                        self.portal(self.contact(b, role="admin")))
        theirs.client.keep_alive = True
        callers = [nobody] + staff + portal

        def allowed(caller, method, pattern, roles):
            """Whether the route table lets the caller through."""
            if "public" in roles:
                return True
            if caller.kind in ("staff", "token"):
                return caller.role in roles and not pattern.startswith(PORTAL)
            if caller.kind == "portal":
                prole = caller.name.split(":", 1)[1]
                return "portal" in roles and any(
                    pattern.startswith(prefix) and prole in proles
                    for prefix, proles in self.schema["portal_areas"])
            return False

        def refusal(caller, pattern, roles):
            """The status a caller the route does not let through must get."""
            if caller.kind == "anonymous":
                return (401,)
            if caller.kind == "staff" and pattern.startswith(PORTAL):
                return (401,)       # the portal reads its own cookie, which staff lack
            if caller.kind == "portal" and not pattern.startswith(PORTAL):
                return (401,)       # a staff route reads servio_session, not servio_portal
            return (403,)

        unfilled = []
        plan = []       # (route, path)
        for method, pattern, roles in routes:
            path = self.fill(pattern, a["id"])
            if path is None:
                unfilled.append("%s %s" % (method, pattern))
                path = re.sub(r":[a-z_]+", "999999999", pattern)
            plan.append(((method, pattern, roles), path))

        # 1. the refusals: change nothing, whatever they are, and come before the body is
        #    read (each sends a body that is not JSON: a 400 or 415 would mean it was read)
        smuggled = []
        for p in portal:
            c = Client(self.server.port)
            c.keep_alive = True
            c.session, c.csrf = p.client.session, p.client.csrf     # in servio_session
            smuggled.append(Caller(p.name + " (in the staff cookie)", "smuggled", "portal", c))
        for (method, pattern, roles), path in plan:
            for caller in callers + smuggled:
                if caller.kind == "smuggled":
                    if pattern.startswith(PORTAL) or "public" in roles:
                        continue
                    expect = (403,)
                elif allowed(caller, method, pattern, roles):
                    continue
                elif caller.kind == "token" and not pattern.startswith(PORTAL):
                    continue    # after sign-in, a token's role is a session's (asked above)
                else:
                    expect = refusal(caller, pattern, roles)
                status, _, reply = self.call(caller, method, path, retry=False, malformed=True)
                self.routes_seen.add((method, pattern))
                if status not in expect:
                    who = ", ".join(sorted(roles))
                    if caller.kind == "portal" and "portal" in roles:
                        who = "the portal roles of its area (%s)" % "; ".join(
                            "%s: %s" % (prefix, ", ".join(sorted(proles)))
                            for prefix, proles in self.schema["portal_areas"]
                            if pattern.startswith(prefix)) or "no portal role"
                    self.violation(caller, method, path, status, "the route allows %s: expected %s"
                                   % (who, " or ".join(map(str, expect))), reply)

        # 2. the portal with company B's ids: 404 (B's own admin sees them)
        other_checked = 0
        self.strict = True
        portal_id_routes = [(r, p) for r, p in plan
                            if r[1].startswith(PORTAL) and ":id" in r[1] and "public" not in r[2]]
        portal_id_routes.sort(key=lambda rp: rp[0][0] != "GET")     # GETs choose the ids
        chosen = {}     # collection pattern -> pick that B's portal sees
        for (method, pattern, roles), _ in portal_id_routes:
            coll = pattern.split("/:id")[0]
            if not any(self.company_of(r) for r in self.list_of(staff_path(coll))):
                continue    # the firm's records (help articles): no company's to ask for
            pick = chosen.get(coll, 0)
            path = self.fill(pattern, b["id"], pick)
            while method == "GET" and coll not in chosen and path is not None:
                status, _, _ = self.call(theirs, method, path)
                if status < 300:
                    chosen[coll] = pick
                    break
                pick += 1
                path = self.fill(pattern, b["id"], pick) if pick < 20 else None
            if path is None or coll not in chosen:
                unfilled.append("%s %s (company B, seen by B's portal)" % (method, pattern))
                continue
            for caller in portal:
                if not allowed(caller, method, pattern, roles):
                    continue
                status, _, reply = self.call(caller, method, path)
                other_checked += 1
                if status != 404:
                    self.violation(caller, method, path, status,
                                   "another company's record must not exist (404)", reply)
        self.strict = False

        # 3. the allowed GETs, then 4. the allowed writes ({} bodies, no If-Match)
        ordered = sorted(plan, key=lambda rp: rp[0][0] != "GET")
        own_rows = 0
        for (method, pattern, roles), planned in ordered:
            for caller in callers:
                if caller.kind == "token" or not allowed(caller, method, pattern, roles):
                    continue
                path = planned
                if caller.user_id and ("/users/:id" in pattern or pattern.startswith(API + "/me/")):
                    path = self.fill(pattern, a["id"], who=caller)
                    if path is None:
                        path = planned
                        unfilled.append("%s %s (%s's own)" % (method, pattern, caller.name))
                    elif "%s %s" % (method, pattern) in unfilled:
                        unfilled.remove("%s %s" % (method, pattern))
                # an empty merge patch changes nothing: it goes as far as the engine
                status, _, reply = self.call(caller, method, path, headers={"If-Match": "*"}
                                             if method == "PATCH" else None)
                if status == 403 and self.someone_elses(caller, method, pattern, path):
                    own_rows += 1
                    continue
                self.routes_seen.add((method, pattern))
                if status >= 500:
                    self.violation(caller, method, path, status, "a server error", reply)
                elif "public" in roles and status == 401:
                    self.violation(caller, method, path, status, "a public route", reply)
                elif "public" not in roles and status in DENIED:
                    self.violation(caller, method, path, status,
                                   "the route allows %s" % ", ".join(sorted(roles)), reply)
                elif 200 <= status < 300:
                    self.check_masks(caller, method, pattern, path, status, reply)

        for caller in callers + smuggled + [theirs]:
            caller.client.close()
        summary = ("authorization: %d routes x %d callers (%s; and %d portal sessions in the "
                   "staff cookie): %d requests; %d with another company's ids; %d replies "
                   "walked for hidden fields; %d refused by the own-rows rule; %d routes "
                   "without a real id"
                   % (len(routes), len(callers), ", ".join(c.name for c in callers),
                      len(smuggled), sum(self.checked.values()), other_checked,
                      self.masks_checked, own_rows, len(unfilled)))
        print("\n" + summary, file=sys.stderr)
        if unfilled:
            print("  without a real id:\n    " + "\n    ".join(unfilled), file=sys.stderr)
        missed = {(m, p) for m, p, _ in routes} - self.routes_seen
        for m, p in sorted(missed):
            self.violations.append("%s %s: no caller was checked" % (m, p))
        if self.violations:
            self.fail("%s\n%d violations:\n  %s" % (summary, len(self.violations),
                                                   "\n  ".join(self.violations)))


if __name__ == "__main__":
    unittest.main()
