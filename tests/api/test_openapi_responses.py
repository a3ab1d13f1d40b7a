"""
test_openapi_responses.py - the replies of the server are what
docs/openapi.yaml says they are.

test_openapi.py checks the document's routes and roles against the route
table; this test checks its response schemas against real replies. "servio
demo" fills a fresh database with a realistic firm; then every GET route
that answers JSON is fetched - the routes without path parameters (lists
paged to the end, /me, /settings, audit ..., and the reports with their
default period and with one that holds all of the demo's data) and every
route with :id/:item parameters, filled with ids taken from the lists
(child routes such as /tickets/{id}/notes and /tickets/{id}/sla for every
ticket; a route only some records have, a contract's block balance, for
those, while another record must answer an error status the document
gives) - and each body is validated against the 200 response schema the
document gives
for that operation, with $refs resolved within the document (JSON Schema
Draft 2020-12, as OpenAPI 3.1 uses, with the formats date, date-time, email
and uri checked). The demo's staff sign in and read /me and their
follow-ups; a few records are archived first (lists are read with
archived=all) and a ticket is made to need certifications, so those shapes
are seen too; a sent quote's public page is read as its visitor (no
credentials) sees it. Every GET route of "servio routes" is either
validated or documented as not JSON (metrics, iCalendar feed, PDF,
accounting exports): the content types are the document's.

Where the document says "unevaluatedProperties: false", a member the server
returns but the schema does not name is a failure: the document must name
every field. Every failure names the request, the JSON pointer of the value
and the message; all are collected before the test fails, so one run shows
everything.

Needs python3-jsonschema and python3-yaml (scripts/deps.sh test).
"""

import collections
import datetime
import decimal
import re
import unittest
import urllib.parse

import jsonschema
import yaml

from harness import ServerTestCase
from test_openapi import SPEC, server_routes

DEMO_PASSWORD = "Demo-Pass-For-OpenAPI-Response-Tests-0nly-83!"
# the demo's staff, who sign in with DEMO_PASSWORD (see src/cli/demo.c)
DEMO_DOMAIN = "@northwind.example"
API = "/api/v1"
PAGE = 200              # the largest page a list gives
MAX_RECORD_GETS = 150   # records fetched one by one per route (spread over the list)
MAX_EXAMPLES = 3        # places named per group of alike failures


# --- the document ------------------------------------------------------------------

class _Yaml12Loader(yaml.SafeLoader):
    """
    YAML as OpenAPI 3.1 reads it (1.2 core schema): 2026-11-22 stays a
    string and yes/no/on/off are not booleans. A mapping key given twice
    is recorded (PyYAML would silently keep the last one).
    """

    duplicates = None


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            loader.duplicates.append("line %d: key %r given twice (first on line %d)"
                                     % (key_node.start_mark.line + 1, key, seen[key]))
        else:
            seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_Yaml12Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                              _construct_mapping)


def load_document():
    """The document as JSON-like data, and the keys it gives twice."""
    with open(SPEC, encoding="utf-8") as f:
        loader = _Yaml12Loader(f.read())
    loader.duplicates = []
    try:
        doc = loader.get_single_data()
    finally:
        loader.dispose()
    return doc, loader.duplicates


def pointer_escape(token):
    return str(token).replace("~", "~0").replace("/", "~1")


def ref_escape(token):
    """A JSON pointer token as a URI fragment writes it ({id} -> %7Bid%7D)."""
    return urllib.parse.quote(pointer_escape(token), safe="~!$&'()*+,;=:@")


def json_pointer(parts):
    return "".join("/" + pointer_escape(p) for p in parts) or "(the body)"


# formats, checked strictly (jsonschema's own checkers are lenient or need extras)
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(value):
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("not YYYY-MM-DD")
    datetime.date.fromisoformat(value)
    return True


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value):
    if not isinstance(value, str):
        return True
    m = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
                     r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})", value)
    if not m:
        raise ValueError("not an RFC 3339 time")
    datetime.date.fromisoformat(m.group(1))
    if int(m.group(2)) > 23 or int(m.group(3)) > 59 or int(m.group(4)) > 60:
        raise ValueError("no such time of day")
    return True


@FORMATS.checks("email")
def _is_email(value):
    return not isinstance(value, str) or re.fullmatch(r"[^@\s]+@[^@\s]+", value) is not None


@FORMATS.checks("uri")
def _is_uri(value):
    return not isinstance(value, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]*",
                                                      value) is not None


def _multiple_of(validator, divisor, instance, schema):
    """
    multipleOf on decimal values: JSON numbers are decimals, and in binary
    floating point 0.043 is no multiple of 0.001 (jsonschema's own check
    says so for one value in eight with three decimals).
    """
    if not validator.is_type(instance, "number") or isinstance(instance, bool):
        return
    if decimal.Decimal(repr(instance)) % decimal.Decimal(repr(divisor)) != 0:
        yield jsonschema.ValidationError("%r is not a multiple of %r" % (instance, divisor))


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                         {"multipleOf": _multiple_of})


class ResponseSchemas:
    """The 200 (JSON) response schemas of the document's operations."""

    def __init__(self, doc):
        self.doc = doc
        self.validators = {}

    def target(self, ref):
        """What a local $ref names (one step)."""
        if not ref.startswith("#"):
            raise AssertionError("$ref %s is not within the document" % ref)
        node = self.doc
        for token in ref[1:].split("/")[1:]:
            token = urllib.parse.unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                raise AssertionError("$ref %s names nothing" % ref)
        return node

    def resolve(self, node, where):
        """Follows a local $ref (responses, media types); returns (node, its pointer)."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise AssertionError("%s: $ref %s refers to itself" % (where, ref))
            seen.add(ref)
            try:
                node = self.target(ref)
            except AssertionError as e:
                raise AssertionError("%s: %s" % (where, e))
            where = ref
        return node, where

    def operation(self, method, path):
        item = self.doc.get("paths", {}).get(path)
        op = item.get(method.lower()) if isinstance(item, dict) else None
        return op

    def success(self, method, path, status="200"):
        """The pointer of the JSON schema of a response, or None when it is not JSON."""
        op = self.operation(method, path)
        if op is None:
            raise AssertionError("%s %s is not in the document" % (method, path))
        where = "#/paths/%s/%s/responses" % (ref_escape(path), method.lower())
        responses = op.get("responses") or {}
        key = next((k for k in (status, status[0] + "XX", "default")
                    if k in responses or str(k) in map(str, responses)), None)
        if key is None:
            raise AssertionError("%s %s documents no %s response" % (method, path, status))
        resp = responses[key] if key in responses else responses[int(key)]
        resp, where = self.resolve(resp, "%s/%s" % (where, key))
        content = resp.get("content") or {}
        for ctype in content:
            base = ctype.split(";")[0].strip().lower()
            if base == "application/json" or base.endswith("+json"):
                if "schema" not in content[ctype]:
                    raise AssertionError("%s %s: the %s response has no schema"
                                         % (method, path, status))
                return "%s/content/%s/schema" % (where, ref_escape(ctype))
        return None

    def validator(self, pointer):
        v = self.validators.get(pointer)
        if v is None:
            # The document itself is the root schema: its members (openapi,
            # paths, components ...) are no JSON Schema keywords, so only the
            # $ref applies, and every $ref inside resolves within the document.
            root = dict(self.doc)
            root["$ref"] = pointer
            v = Validator(root, format_checker=FORMATS)
            self.validators[pointer] = v
        return v

    def errors(self, pointer, instance):
        """[(JSON pointer of the value, message, schema location)] for one body."""
        out = []
        errors = list(self.validator(pointer).iter_errors(instance))
        for err in errors:
            where = json_pointer(list(err.absolute_path))
            msg = err.message if len(err.message) <= 300 else err.message[:300] + "..."
            if err.context:
                # oneOf/anyOf: why each branch failed
                why = []
                for sub in sorted(err.context, key=lambda e: list(map(str, e.schema_path))):
                    deeper = list(sub.absolute_path)[len(err.absolute_path):]
                    why.append("[%s] %s%s" % (sub.schema_path[0] if sub.schema_path else "?",
                                              json_pointer(deeper) + ": " if deeper else "",
                                              sub.message[:200]))
                msg += " (%s)" % "; ".join(why)
            if err.validator == "unevaluatedProperties" and any(
                    e is not err and list(e.absolute_path)[:len(err.absolute_path)]
                    == list(err.absolute_path) for e in errors):
                msg += (" [a member of allOf that fails evaluates nothing: the other"
                        " failures of this object may be the cause]")
            out.append((where, msg, self.location(pointer, err)))
        return out

    def location(self, pointer, err):
        """
        Where in the document the failing keyword is. jsonschema's schema
        path leaves out the $ref steps: a token the current schema does not
        have is looked for where its $ref leads.
        """
        where, node = pointer, {"$ref": pointer}
        referrer = None     # where the last $ref was followed from
        for token in err.absolute_schema_path:
            while (isinstance(node, dict) and token not in node
                   and isinstance(node.get("$ref"), str)):
                referrer = where if where != pointer else None
                where = node["$ref"]
                node = self.target(where)
            try:
                node = node[token]
            except (KeyError, IndexError, TypeError):
                return "%s/%s (?)" % (urllib.parse.unquote(where), token)
            where += "/" + ref_escape(token)
        out = urllib.parse.unquote(where)
        if referrer and not where.startswith(referrer):
            out += ", through " + urllib.parse.unquote(referrer)
        return out


# --- the test ----------------------------------------------------------------------

class OpenApiResponsesTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            r = cls.server.run_cli("demo", "--password", DEMO_PASSWORD, timeout=300)
            if r.returncode != 0:
                raise AssertionError("servio demo failed (%d):\n%s%s"
                                     % (r.returncode, r.stdout, r.stderr))
            cls.doc, cls.duplicate_keys = load_document()
            cls.schemas = ResponseSchemas(cls.doc)
            cls.routes = server_routes()
            users = cls.admin.get(API + "/users?limit=%d" % PAGE)[2]["data"]
            cls.staff = sorted(u["email"] for u in users if u["email"].endswith(DEMO_DOMAIN))
            cls.sent_quote = cls.send_a_quote()
            cls.archived = cls.archive_some()
            cls.needs_certifications()
            cls.add_a_webhook()
            cls.portal = cls.portal_client()
        except BaseException:
            cls.server.stop(check=False)
            raise

    @classmethod
    def portal_client(cls):
        """The demo's portal admin (a client contact), signed in to the portal."""
        status, _, body = cls.admin.get(API + "/contacts?portal_access=true&portal_role=admin")
        assert status == 200 and body["data"], body
        client = cls.server.client()
        client.portal_login(body["data"][0]["email"], DEMO_PASSWORD)
        return client

    def client_for(self, path):
        """Who reads a route: the portal's routes its contact, the others the admin."""
        return self.portal if path.startswith(API + "/portal/") else self.admin

    @classmethod
    def add_a_webhook(cls):
        """A webhook (the demo has none) to a port nobody listens on, and a test delivery."""
        status, _, hook = cls.admin.post(API + "/webhooks", {
            "url": "http://127.0.0.1:9/hook", "events": ["ticket.*", "invoice.paid"],
            "description": "the firm's intranet board"})
        if status != 201:
            raise AssertionError("POST /webhooks: %s %r" % (status, hook))
        status, _, body = cls.admin.post(API + "/webhooks/%d/test" % hook["id"])
        if status != 200:
            raise AssertionError("POST /webhooks/%d/test: %s %r" % (hook["id"], status, body))
        r = cls.server.run_cli("worker", "--run", "webhooks")
        if r.returncode != 0:
            raise AssertionError("servio worker --run webhooks failed:\n%s" % r.stderr)

    @classmethod
    def send_a_quote(cls):
        """Sends a draft quote (else resends a sent one): (request, status, headers, body)."""
        status, _, body = cls.admin.get(API + "/quotes?limit=%d" % PAGE)
        if status != 200:
            raise AssertionError("GET /quotes: %s %r" % (status, body))
        quotes = sorted(body["data"], key=lambda q: (q["status"] != "draft", q["id"]))
        tried = []
        for q in quotes:
            if q["status"] not in ("draft", "sent"):
                continue
            path = "%s/quotes/%d/send" % (API, q["id"])
            status, headers, sent = cls.admin.post(path, headers={"If-Match": "*"})
            if status == 200:
                return "POST " + path, status, headers, sent
            tried.append("%s %s: %s %r" % (q["status"], path, status, sent))
        raise AssertionError("no demo quote could be sent:\n  " + "\n  ".join(tried))

    # what the demo lacks, so that the documents of those shapes are checked too

    ARCHIVE = ("/contacts", "/assets", "/products", "/appointments", "/activities",
               "/time-entries", "/tickets/{id}/notes", "/users/{id}/certifications")

    @classmethod
    def archive_some(cls):
        """
        Archives one record of a few resources (lists are then read with
        archived=all, so archived_at is seen set); returns the DELETE
        replies as [(route, request, status, body)].
        """
        replies = []
        for coll in cls.ARCHIVE:
            path = API + coll
            if "{id}" in coll:
                parent = coll.split("/{id}")[0]
                owners = cls.admin.get(API + parent + "?limit=%d" % PAGE)[2]["data"]
                for owner in owners:
                    path = API + coll.replace("{id}", str(owner["id"]))
                    if cls.admin.get(path + "?limit=1")[2]["data"]:
                        break
            status, _, body = cls.admin.get(path + "?limit=1")
            if status != 200 or not body.get("data"):
                raise AssertionError("GET %s gave nothing to archive: %s %r" % (path, status, body))
            request = "%s/%d" % (path, body["data"][0]["id"])
            status, _, reply = cls.admin.delete(request, headers={"If-Match": "*"})
            replies.append((("DELETE", API + coll + "/{%s}" % ("item" if "{id}" in coll else "id")),
                            "DELETE " + request, status, reply))
        return replies

    @classmethod
    def needs_certifications(cls):
        """An open, unassigned ticket that needs certifications (candidates then name them)."""
        names = set()
        for user in cls.admin.get(API + "/users?limit=%d" % PAGE)[2]["data"]:
            certs = cls.admin.get("%s/users/%d/certifications?limit=%d"
                                  % (API, user["id"], PAGE))[2]["data"]
            names.update(c["name"] for c in certs)
        if not names:
            raise AssertionError("the demo has no certifications")
        tickets = cls.admin.get(API + "/tickets?limit=%d" % PAGE)[2]["data"]
        open_ = [t for t in tickets if t["status"] == "new" and t["assignee_id"] is None]
        if not open_:
            raise AssertionError("the demo has no new unassigned ticket")
        wanted = sorted(names)[:9] + ["No-Such-Certification"]   # at most 10
        status, _, body = cls.admin.patch("%s/tickets/%d" % (API, open_[0]["id"]),
                                          {"required_certifications": wanted},
                                          headers={"If-Match": "*"})
        if status != 200:
            raise AssertionError("PATCH of ticket %d: %s %r" % (open_[0]["id"], status, body))

    # helpers

    def setUp(self):
        # (operation, place, schema keyword) -> [count, examples, message, schema location]
        self.failures = collections.OrderedDict()
        self.checked = []   # (route, request) of each body validated

    def fetch(self, client, path, what=None):
        """GETs path; returns the body, or None after recording why it is not usable."""
        status, headers, body = client.get(path)
        label = what or "GET " + path
        if status != 200:
            self.record(label, None, "(status)", "expected 200, got %s: %r"
                        % (status, body if not isinstance(body, bytes) else body[:200]))
            return None
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if not (ctype == "application/json" or ctype.endswith("+json")):
            self.record(label, None, "(content-type)",
                        "the document gives JSON, the server sent %r" % ctype)
            return None
        if isinstance(body, (str, bytes)):
            self.record(label, None, "(body)", "not JSON: %r" % body[:200])
            return None
        return body

    def validate(self, route, request, body, status="200"):
        """Validates body against the route's documented response; records failures."""
        method, path = route
        try:
            pointer = self.schemas.success(method, path, status)
        except AssertionError as e:
            self.record(request, route, "(document)", str(e))
            return
        if pointer is None:
            self.record(request, route, "(document)",
                        "the document gives no JSON schema for the %s response" % status)
            return
        self.checked.append((route, request))
        for where, msg, schema_at in self.schemas.errors(pointer, body):
            self.record(request, route, where, msg, schema_at)

    def record(self, request, route, where, msg, schema_at=""):
        # alike failures (same operation, same place up to array indexes, same
        # schema keyword) are one entry with a count, naming the first few
        general = re.sub(r"/[0-9]+(?=/|$)", "/*", where)
        key = ("%s %s" % route if route else request, general, schema_at or msg)
        entry = self.failures.get(key)
        if entry is None:
            entry = self.failures[key] = [0, [], msg, schema_at]
        entry[0] += 1
        if len(entry[1]) < MAX_EXAMPLES:
            entry[1].append("%s %s" % (request, where))

    def report(self, title, minimum=1):
        self.assertGreaterEqual(len(self.checked), minimum,
                                "%s: fewer bodies validated than expected" % title)
        if not self.failures:
            return
        lines = []
        for (op, general, _), (count, examples, msg, schema_at) in self.failures.items():
            line = "%s: %s: %s" % (op, general, msg)
            if schema_at:
                line += "\n      schema: %s" % schema_at
            line += "\n      at: %s" % "; ".join(examples)
            if count > len(examples):
                line += " (and %d more)" % (count - len(examples))
            lines.append(line)
        self.fail("%s: %d kinds of failure in %d bodies validated:\n  %s"
                  % (title, len(lines), len(self.checked), "\n  ".join(lines)))

    def get_routes(self):
        """GET routes of the server as (GET, documented path)."""
        return sorted(k for k in self.routes if k[0] == "GET")

    def json_route(self, route):
        """Whether the document gives a JSON body for the route's 200 (None: no operation)."""
        if self.schemas.operation(*route) is None:
            return None
        try:
            return self.schemas.success(*route) is not None
        except AssertionError:
            return True     # documented badly: validate() names the problem

    def has_parameter(self, route, name):
        op = self.schemas.operation(*route) or {}
        item = self.doc["paths"].get(route[1], {})
        for p in (op.get("parameters") or []) + (item.get("parameters") or []):
            if isinstance(p, dict) and "$ref" in p:
                try:
                    p, _ = self.schemas.resolve(p, route[1])
                except AssertionError:
                    continue
            if isinstance(p, dict) and p.get("name") == name and p.get("in") == "query":
                return True
        return False

    def is_list(self, route):
        return self.has_parameter(route, "limit")

    def walk_list(self, client, route, path):
        """Every page of a list, each validated; returns all records."""
        records = []
        query = {"limit": PAGE}
        if self.has_parameter(route, "archived"):
            query["archived"] = "all"   # the archived records too
        for _ in range(1000):
            request_path = path + "?" + urllib.parse.urlencode(query)
            body = self.fetch(client, request_path)
            if body is None:
                break
            self.validate(route, "GET " + request_path, body)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                break
            records.extend(r for r in data if isinstance(r, dict))
            cursor = body.get("next_cursor")
            if not isinstance(cursor, str) or not cursor:
                break
            query["cursor"] = cursor
        return records

    # the tests

    def test_document_has_no_duplicate_keys(self):
        """A key given twice in YAML silently replaces the first (a schema lost)."""
        if self.duplicate_keys:
            self.fail("docs/openapi.yaml gives keys twice (%d):\n  %s"
                      % (len(self.duplicate_keys), "\n  ".join(self.duplicate_keys)))

    def test_every_get_route_is_covered(self):
        """Each GET route is validated here, or the document gives it no JSON body."""
        covered = set(self.routes_without_parameters()) | set(self.routes_with_ids())
        covered.add(("GET", API + "/public/quotes/{token}"))
        covered.add(("GET", API + "/portal/auth/invitation/{token}"))
        covered.add(("GET", API + "/public/surveys/{token}"))
        missed = []
        for route in self.get_routes():
            if route in covered:
                continue
            json_body = self.json_route(route)
            if json_body is None:
                missed.append("GET %s is not in the document" % route[1])
            elif json_body:
                missed.append("GET %s answers JSON but this test does not fetch it" % route[1])
        if missed:
            self.fail("GET routes not validated (%d):\n  %s" % (len(missed), "\n  ".join(missed)))

    def routes_without_parameters(self):
        return [r for r in self.get_routes() if "{" not in r[1] and self.json_route(r)]

    def routes_with_ids(self):
        return [r for r in self.get_routes()
                if "{" in r[1] and "{token}" not in r[1] and self.json_route(r)]

    def report_periods(self, route):
        """
        Queries that give a report a period, besides its default (which is
        fetched too): for the parameters the document gives the route
        (from and to; as_of), a period that holds all of the demo's data.
        """
        today = datetime.date.today()
        early, late = today.replace(year=today.year - 3), today.replace(year=today.year + 1)
        queries = []
        if self.has_parameter(route, "from") and self.has_parameter(route, "to"):
            queries.append("?" + urllib.parse.urlencode({"from": early.isoformat(),
                                                         "to": late.isoformat()}))
        if self.has_parameter(route, "as_of"):
            queries.append("?" + urllib.parse.urlencode({"as_of": late.isoformat()}))
        return queries

    def test_routes_without_parameters(self):
        """Lists (every page), /me, /settings, /me/follow-ups, reports, audit, /healthz."""
        for route in self.routes_without_parameters():
            path = route[1]
            if self.is_list(route):
                self.walk_list(self.client_for(path), route, path)
                continue
            for query in [""] + self.report_periods(route):
                body = self.fetch(self.client_for(path), path + query)
                if body is not None:
                    self.validate(route, "GET " + path + query, body)
        # the demo's staff, signed in with a cookie session (/me then has a
        # csrf_token), each see their own follow-ups
        per_user = [r for r in self.routes_without_parameters()
                    if r[1] in (API + "/me", API + "/me/follow-ups")]
        self.assertTrue(self.staff, "the demo has no staff (%s)" % DEMO_DOMAIN)
        for email in self.staff:
            client = self.server.client()
            status, _, body = client.login(email, DEMO_PASSWORD, expect=None)
            if status != 200:
                self.record("POST %s/auth/login as %s" % (API, email), None, "(status)",
                            "expected 200, got %s: %r" % (status, body))
                continue
            self.validate(("POST", API + "/auth/login"), "POST /auth/login as " + email, body)
            for route in per_user:
                body = self.fetch(client, route[1], "GET %s as %s" % (route[1], email))
                if body is not None:
                    self.validate(route, "GET %s as %s" % (route[1], email), body)
        self.report("GET routes without parameters",
                    minimum=len(self.routes_without_parameters()))

    # child routes that only some records have: {id} is filled with the
    # records whose member has the value; one record whose member has none
    # of the refused values (any other value when None) is asked too, and
    # must answer with an error status the document gives the route
    ONLY_FOR = {API + "/contracts/{id}/balance": ("kind", "block_hours", None),
                # a survey is asked when a ticket is resolved (the demo closes
                # most of them); an open ticket has none yet
                API + "/portal/tickets/{id}/survey": (
                    "status", "closed",
                    ("new", "assigned", "in_progress", "waiting_customer", "waiting_parts",
                     "escalated"))}

    def test_routes_with_ids(self):
        """Every GET route with :id/:item, filled with real ids from the lists."""
        routes = self.routes_with_ids()
        lists = {}      # collection path with ids filled -> records

        def records(path):
            if path not in lists:
                route = ("GET", re.sub(r"/[0-9]+(?=/|$)", "/{id}", path, count=1))
                lists[path] = self.walk_list(self.client_for(path), route, path) \
                    if route in self.routes and self.is_list(route) else []
            return lists[path]

        def spread(items, most):
            if len(items) <= most:
                return items
            step = len(items) / most
            return [items[int(i * step)] for i in range(most)] + [items[-1]]

        def ids(path):
            return [r["id"] for r in records(path) if isinstance(r.get("id"), int)]

        for route in routes:
            template = route[1]
            head, _, tail = template.partition("/{id}")
            parents = ids(head)
            if template in self.ONLY_FOR:
                member, value, refused = self.ONLY_FOR[template]
                others = [r["id"] for r in records(head) if r.get(member) != value
                          and (refused is None or r.get(member) in refused)]
                parents = [r["id"] for r in records(head)
                           if r.get(member) == value and isinstance(r.get("id"), int)]
                if others:
                    self.check_refused(route, "%s/%d%s" % (head, others[0], tail))
            if not parents:
                self.record("GET " + template, route, "(ids)",
                            "no ids: GET %s gave no records to fill {id} with" % head)
                continue
            # a record's own route: a spread of ids; child routes: every parent
            own = tail == ""
            for pid in (spread(parents, MAX_RECORD_GETS) if own else parents):
                path = "%s/%d%s" % (head, pid, tail)
                if "{item}" in path:
                    coll, _, rest = path.partition("/{item}")
                    children = ids(coll)
                    for cid in spread(children, 20):
                        self.check_get(route, "%s/%d%s" % (coll, cid, rest))
                elif self.is_list(route):
                    records(path)   # walks and validates it
                else:
                    self.check_get(route, path)
        validated = {route for route, _ in self.checked}
        for route in routes:
            if route not in validated:
                self.record("GET " + route[1], route, "(coverage)",
                            "no request of this route was validated (no records to fill "
                            "its parameters?)")
        self.report("GET routes with ids", minimum=len(routes))

    def check_refused(self, route, path):
        """GETs path, which must answer a (problem) status the document gives the route."""
        status, headers, body = self.client_for(path).get(path)
        responses = (self.schemas.operation(*route) or {}).get("responses") or {}
        documented = {str(k) for k in responses}
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if status < 400 or str(status) not in documented:
            self.record("GET " + path, route, "(status)",
                        "expected an error status the document gives (%s), got %s: %r"
                        % (", ".join(sorted(documented)), status, body))
        elif ctype != "application/problem+json":
            self.record("GET " + path, route, "(content-type)",
                        "an error must be application/problem+json, not %r" % ctype)

    def check_get(self, route, path):
        body = self.fetch(self.client_for(path), path)
        if body is not None:
            self.validate(route, "GET " + path, body)

    def test_archived_records(self):
        """The replies of DELETE (the archived record); the lists and GETs show them too."""
        for route, request, status, body in self.archived:
            if status != 200:
                self.record(request, route, "(status)", "expected 200, got %s: %r" % (status, body))
                continue
            self.validate(route, request, body)
        self.report("archiving", minimum=len(self.ARCHIVE))

    def test_portal_invitation(self):
        """An invitation's page, as the invited contact opens it (no credentials)."""
        status, _, body = self.admin.get(API + "/contacts?portal_access=false&limit=1")
        self.assertEqual(status, 200, body)
        contact = body["data"][0]
        status, headers, _ = self.admin.get(API + "/contacts/%d" % contact["id"])
        self.admin.patch(API + "/contacts/%d" % contact["id"], {"portal_access": True},
                         headers={"If-Match": headers["etag"]})
        status, _, made = self.admin.post(API + "/contacts/%d/invite" % contact["id"])
        self.assertEqual(status, 200, made)
        self.validate(("POST", API + "/contacts/{id}/invite"), "POST /contacts/{id}/invite", made)
        token = made["invite_url"].rsplit("/", 1)[1]
        route = ("GET", API + "/portal/auth/invitation/{token}")
        body = self.fetch(self.server.client(), API + "/portal/auth/invitation/" + token,
                          "GET %s/portal/auth/invitation/<token>" % API)
        if body is not None:
            self.validate(route, "GET %s/portal/auth/invitation/<token>" % API, body)
        self.report("the portal invitation", minimum=2)

    def test_public_quote_page(self):
        """A sent quote's secret link, read without credentials."""
        request, status, headers, sent = self.sent_quote
        self.validate(("POST", API + "/quotes/{id}/send"), request, sent)
        url = sent.get("public_url") if isinstance(sent, dict) else None
        m = re.search(r"/q/([^/?#]+)$", url or "")
        self.assertIsNotNone(m, "the sent quote's public_url %r has no /q/<token>" % url)
        route = ("GET", API + "/public/quotes/{token}")
        self.assertIn(route, self.routes)
        path = API + "/public/quotes/" + m.group(1)
        body = self.fetch(self.server.client(), path, "GET %s/public/quotes/<token>" % API)
        if body is not None:
            self.validate(route, "GET %s/public/quotes/<token>" % API, body)
        self.report("the public quote page", minimum=2)

    def test_public_survey_page(self):
        """A demo survey's link (its url), read without credentials, answered and unanswered."""
        route = ("GET", API + "/public/surveys/{token}")
        self.assertIn(route, self.routes)
        for answered in ("true", "false"):
            status, _, page = self.admin.get(API + "/surveys?limit=1&answered=" + answered)
            self.assertEqual(status, 200, page)
            self.assertTrue(page["data"], "the demo has no survey answered=%s" % answered)
            m = re.search(r"/s/([^/?#]+)$", page["data"][0]["url"])
            self.assertIsNotNone(m, page["data"][0]["url"])
            request = "GET %s/public/surveys/<token> (answered=%s)" % (API, answered)
            body = self.fetch(self.server.client(), API + "/public/surveys/" + m.group(1), request)
            if body is not None:
                self.validate(route, request, body)
        self.report("the public survey page", minimum=2)


if __name__ == "__main__":
    unittest.main()
