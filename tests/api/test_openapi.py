"""
test_openapi.py - docs/openapi.yaml describes exactly the routes the server has.

Runs "$SERVIO_BIN routes" (lines "METHOD PATTERN ROLES", ROLES being
"public" or a comma list such as "admin,manager") and checks, naming every
offender:

  * every route of the server is an operation of docs/openapi.yaml
    (":id" in a pattern is "{id}" in the document);
  * every operation of the document is a route of the server, except that
    an operation marked "x-test-build-only: true" is absent from a release
    build (and must be absent there); a test build (SERVIO_TEST_HOOKS,
    "servio version" says "(test build)") must have it;
  * each operation's x-roles are the route's roles ("public" is [public]);
  * every operation has an operationId (unique), a summary and a 2xx
    response;
  * every "$ref" names a component that exists;
  * every list operation (one that takes an XSort parameter) names all the
    parameters generated for its resource (XFilter..., XQ, XSort: "servio
    schema openapi" makes them from the field table), so a new filter field
    cannot be left out of the route's documentation, and for records with
    the engine's record columns (X is a Record) archived and the
    created_at/updated_at bounds.

No server is started and no database is needed. Standard library only: the
YAML is read by a small line-based reader that relies on the document's
consistent two-space indentation (see OpenApiOutline).

    cd tests/api && SERVIO_BIN=… SERVIO_SOURCE_DIR=… python3 -m unittest -v test_openapi
"""

import os
import re
import subprocess
import unittest

from harness import TEST_BUILD

SOURCE_DIR = os.environ.get("SERVIO_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("SERVIO_BIN") or os.path.join(SOURCE_DIR, "build", "servio")
SPEC = os.path.join(SOURCE_DIR, "docs", "openapi.yaml")

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Configuration of the caller's environment that could make "servio" refuse to start.
_CONF_VARS = ("SERVIO_DATA_DIR", "SERVIO_LISTEN", "SERVIO_DATABASE_URL", "SERVIO_LOG_LEVEL",
              "SERVIO_WEB_ROOT", "SERVIO_THREADS", "SERVIO_MAX_BODY",
              "SERVIO_SESSION_IDLE_MINUTES", "SERVIO_SESSION_MAX_HOURS")


# --- a small reader for the YAML outline ----------------------------------------------

class Node:
    """A "key: value" line of the YAML and the lines nested under it."""

    def __init__(self, key, value, indent, lineno):
        self.key = key
        self.value = value          # the scalar after the colon, or "" when nested
        self.indent = indent
        self.lineno = lineno
        self.children = []          # Nodes
        self.items = []             # scalar list items ("- admin") directly under it

    def child(self, key):
        for c in self.children:
            if c.key == key:
                return c
        return None


_BLOCK_SCALAR = re.compile(r"^[|>][+-]?[0-9]?[+-]?\s*(#.*)?$")
_REF = re.compile(r"""\$ref['"]?\s*:\s*(['"]?)([^'"\s,}]+)\1""")


def _unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] == "'":
        return s[1:-1].replace("''", "'")
    if len(s) >= 2 and s[0] == s[-1] == '"':
        return s[1:-1]
    return s


def _strip_comment(s):
    """Drops a trailing " # comment" that is outside quotes."""
    quote = None
    for i, ch in enumerate(s):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s


def _split_key(text):
    """'key: value' -> (key, value), or None when the text is not a mapping entry."""
    if text[:1] in ("'", '"'):
        q = text[0]
        i = 1
        while i < len(text):
            if text[i] == q:
                if q == "'" and text[i + 1:i + 2] == "'":
                    i += 2
                    continue
                break
            i += 1
        rest = text[i + 1:]
        if not rest.startswith(":") or (len(rest) > 1 and rest[1] not in " \t"):
            return None
        return _unquote(text[:i + 1]), rest[1:].strip()
    m = re.search(r":(\s|$)", text)
    if not m or text.startswith(("[", "{")):
        return None
    return text[:m.start()].strip(), text[m.end():].strip()


def flow_list(value):
    """'[a, "b", c]' or 'a' -> list of scalars."""
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        inner = value[1:-1].strip()
        return [_unquote(v) for v in inner.split(",")] if inner else []
    return [_unquote(value)] if value else []


class OpenApiOutline:
    """
    The outline of a YAML document: mapping keys with their scalar values
    and nesting, scalar list items, and every $ref with its line. Block
    scalars ("description: |") are skipped whole. Enough for the keys of
    an OpenAPI document written with consistent indentation; not a YAML
    parser.
    """

    def __init__(self, text):
        self.root = Node(None, "", -1, 0)
        self.refs = []              # (line number, target)
        stack = [self.root]
        block_indent = None         # skipping a block scalar deeper than this
        last_key = None
        for lineno, raw in enumerate(text.splitlines(), 1):
            if "\t" in raw[:len(raw) - len(raw.lstrip())]:
                raise ValueError("line %d: a tab in the indentation" % lineno)
            stripped = raw.strip()
            indent = len(raw) - len(raw.lstrip(" "))
            if block_indent is not None:
                if not stripped or indent > block_indent:
                    continue
                block_indent = None
            if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
                continue
            text_ = _strip_comment(stripped)
            for m in _REF.finditer(text_):
                self.refs.append((lineno, m.group(2)))
            is_item = text_ == "-" or text_.startswith("- ")
            if is_item:
                body = text_[1:].strip()
                item_indent = indent
                # a list item belongs to the nearest shallower key, or to a
                # key at the same indentation that has no value ("a:\n- x")
                while len(stack) > 1 and stack[-1].indent >= item_indent and not (
                        stack[-1] is last_key and stack[-1].indent == item_indent
                        and not stack[-1].value):
                    stack.pop()
                parent = stack[-1]
                kv = _split_key(body) if body else None
                if kv is None:
                    if body and not _BLOCK_SCALAR.match(body):
                        parent.items.append(_unquote(body))
                    elif body:
                        block_indent = indent
                    last_key = None
                    continue
                # "- key: value": a mapping inside a list; its keys are not
                # part of the outline we need, but block scalars must be skipped
                if _BLOCK_SCALAR.match(kv[1]):
                    block_indent = indent
                last_key = None
                continue
            kv = _split_key(text_)
            if kv is None:
                continue            # a continuation line of a plain scalar
            key, value = kv
            while stack[-1].indent >= indent:
                stack.pop()
            node = Node(key, value, indent, lineno)
            stack[-1].children.append(node)
            if _BLOCK_SCALAR.match(value):
                node.value = "|"
                block_indent = indent
            else:
                stack.append(node)
            last_key = node


def load_spec():
    with open(SPEC, encoding="utf-8") as f:
        return OpenApiOutline(f.read())


def documented_operations(outline):
    """{(METHOD, path): operation Node} and the problems found on the way."""
    ops, problems = {}, []
    paths = outline.root.child("paths")
    if paths is None:
        return ops, ["docs/openapi.yaml has no top-level \"paths:\""]
    seen_paths = set()
    for p in paths.children:
        if p.key in seen_paths:
            problems.append("line %d: path %s is given twice" % (p.lineno, p.key))
        seen_paths.add(p.key)
        for op in p.children:
            if op.key.lower() not in HTTP_METHODS:
                continue            # parameters, summary, servers …
            key = (op.key.upper(), p.key)
            if key in ops:
                problems.append("line %d: %s %s is given twice" % (op.lineno, *key))
            ops[key] = op
    return ops, problems


def only_in_test_builds(op):
    """Whether an operation exists only in test builds (x-test-build-only: true)."""
    mark = op.child("x-test-build-only")
    return mark is not None and mark.value == "true"


def server_routes():
    """{(METHOD, path with {param}): [roles]} from "servio routes"."""
    env = {k: v for k, v in os.environ.items() if k not in _CONF_VARS}
    proc = subprocess.run([BIN, "routes"], capture_output=True, text=True, env=env,
                          timeout=60)
    if proc.returncode != 0:
        raise AssertionError("%s routes exited with %d:\n%s" % (BIN, proc.returncode,
                                                                 proc.stderr))
    routes = {}
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 3:
            raise AssertionError("unexpected line from \"servio routes\": %r" % line)
        method, pattern, roles = parts
        path = "/".join("{%s}" % seg[1:] if seg.startswith(":") else seg
                        for seg in pattern.split("/"))
        routes[(method.upper(), path)] = roles.split(",")
    if not routes:
        raise AssertionError("\"servio routes\" printed no routes")
    return routes


class OpenApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(SPEC):
            raise AssertionError("%s does not exist" % SPEC)
        if not os.access(BIN, os.X_OK):
            raise AssertionError("no server program at %s: build it, or set SERVIO_BIN" % BIN)
        cls.outline = load_spec()
        cls.ops, cls.structure_problems = documented_operations(cls.outline)
        cls.routes = server_routes()

    def fail_with(self, title, lines, keep_order=False):
        if lines:
            lines = lines if keep_order else sorted(lines)
            self.fail("%s (%d):\n  %s" % (title, len(lines), "\n  ".join(lines)))

    def test_document_structure(self):
        self.assertIsNotNone(self.outline.root.child("openapi"), "no \"openapi:\" version")
        self.assertTrue(self.outline.root.child("openapi").value.strip("'\"").startswith("3.1"),
                        "the document must be OpenAPI 3.1")
        self.fail_with("malformed paths in docs/openapi.yaml", self.structure_problems)
        self.assertTrue(self.ops, "docs/openapi.yaml documents no operations")

    def test_every_route_is_documented(self):
        missing = ["%s %s" % k for k in self.routes if k not in self.ops]
        self.fail_with("routes of the server missing from docs/openapi.yaml", missing)

    def test_every_documented_operation_exists(self):
        extra = ["%s %s (line %d)" % (k[0], k[1], op.lineno)
                 for k, op in self.ops.items()
                 if k not in self.routes and (TEST_BUILD or not only_in_test_builds(op))]
        self.fail_with("operations in docs/openapi.yaml the %s does not have"
                       % ("test build" if TEST_BUILD else "server"), extra)

    def test_test_build_only_operations(self):
        """Test hooks are marked, and a release build has none of them."""
        problems = []
        for (method, path), op in self.ops.items():
            where = "%s %s (line %d)" % (method, path, op.lineno)
            mark = op.child("x-test-build-only")
            if mark is not None and mark.value != "true":
                problems.append("%s: x-test-build-only is %r; write true or leave it out"
                                % (where, mark.value))
            if path.startswith("/api/v1/test/") and not only_in_test_builds(op):
                problems.append("%s: a test route without x-test-build-only: true" % where)
            if only_in_test_builds(op) and not TEST_BUILD and (method, path) in self.routes:
                problems.append("%s: a release build has this test-build-only route" % where)
        for method, path in self.routes:
            if path.startswith("/api/v1/test/") and not TEST_BUILD:
                problems.append("%s %s: a release build has a test route" % (method, path))
        self.fail_with("test-build-only operations", problems)
        self.assertTrue(any(only_in_test_builds(op) for op in self.ops.values()),
                        "no operation is marked x-test-build-only: is the reader broken?")

    def test_roles_match(self):
        wrong = []
        for key, roles in self.routes.items():
            op = self.ops.get(key)
            if op is None:
                continue            # reported by test_every_route_is_documented
            node = op.child("x-roles")
            if node is None:
                wrong.append("%s %s (line %d): no x-roles; the server allows %s"
                             % (key[0], key[1], op.lineno, ",".join(roles)))
                continue
            documented = flow_list(node.value) if node.value else list(node.items)
            if sorted(documented) != sorted(roles) or len(set(documented)) != len(documented):
                wrong.append("%s %s (line %d): x-roles [%s] but the server allows %s"
                             % (key[0], key[1], node.lineno, ", ".join(documented),
                                ",".join(roles)))
        self.fail_with("operations whose x-roles differ from the route table", wrong)

    def test_operations_have_id_summary_and_success(self):
        problems = []
        owners = {}
        for (method, path), op in self.ops.items():
            where = "%s %s (line %d)" % (method, path, op.lineno)
            op_id = op.child("operationId")
            if op_id is None or not _unquote(op_id.value):
                problems.append("%s: no operationId" % where)
            else:
                owners.setdefault(_unquote(op_id.value), []).append(where)
            summary = op.child("summary")
            if summary is None or not (summary.value and _unquote(summary.value)):
                problems.append("%s: no summary" % where)
            responses = op.child("responses")
            codes = [c.key for c in responses.children] if responses else []
            if not any(re.fullmatch(r"2(\d\d|XX)", str(c)) for c in codes):
                problems.append("%s: no 2xx response (has: %s)"
                                % (where, ", ".join(map(str, codes)) or "none"))
        for op_id, where in owners.items():
            if len(where) > 1:
                problems.append("operationId %s is used %d times: %s"
                                % (op_id, len(where), "; ".join(where)))
        self.fail_with("incomplete operations in docs/openapi.yaml", problems)

    def refs_under(self, node):
        """The $ref targets on the lines of node and of what is nested under it."""
        later = [n.lineno for n in self.all_nodes()
                 if n.lineno > node.lineno and n.indent <= node.indent]
        end = min(later) if later else float("inf")
        return [target for lineno, target in self.outline.refs if node.lineno <= lineno < end]

    def all_nodes(self):
        if not hasattr(self, "_nodes"):
            self._nodes, todo = [], [self.outline.root]
            while todo:
                n = todo.pop()
                self._nodes.extend(n.children)
                todo.extend(n.children)
        return self._nodes

    def test_lists_take_their_generated_parameters(self):
        components = self.outline.root.child("components")
        section = components.child("parameters") if components else None
        defined = [c.key for c in section.children] if section else []
        schemas = components.child("schemas") if components else None
        prefix = "#/components/parameters/"
        problems, lists = [], 0
        for (method, path), op in sorted(self.ops.items()):
            params = op.child("parameters")
            named = [r[len(prefix):] for r in self.refs_under(params) if r.startswith(prefix)] \
                if params else []
            sorts = [n for n in named if n.endswith("Sort")]
            if method != "GET" or not sorts:
                continue
            lists += 1
            kind = sorts[0][:-len("Sort")]
            wanted = [d for d in defined
                      if d.startswith(kind + "Filter") or d in (kind + "Q", kind + "Sort")]
            wanted += ["FilterId", "Limit", "Cursor"]
            # records with the engine's record columns also take archived= and their bounds
            record = schemas.child(kind + "Members") or schemas.child(kind) if schemas else None
            if record is not None and "#/components/schemas/Record" in self.refs_under(record):
                wanted += ["CreatedAtBefore", "CreatedAtAfter", "UpdatedAtBefore",
                           "UpdatedAtAfter", "Archived"]
            missing = [w for w in wanted if w not in named]
            if missing:
                problems.append("%s %s (line %d) lacks %s" % (method, path, op.lineno,
                                                             ", ".join(missing)))
        self.fail_with("list operations without all of their resource's parameters", problems)
        self.assertGreater(lists, 20, "fewer list operations than expected: is the reader broken?")

    def test_refs_resolve(self):
        components = self.outline.root.child("components")
        defined = {}
        if components is not None:
            for section in components.children:
                defined[section.key] = {c.key for c in section.children}
        broken = []
        for lineno, target in self.outline.refs:
            m = re.fullmatch(r"#/components/([^/]+)/([^/]+)", target)
            if not m:
                broken.append("line %d: $ref %s is not #/components/<section>/<name>"
                              % (lineno, target))
                continue
            section, name = m.group(1), m.group(2).replace("~1", "/").replace("~0", "~")
            if name not in defined.get(section, ()):
                broken.append("line %d: $ref %s names no component" % (lineno, target))
        self.fail_with("broken $refs in docs/openapi.yaml", broken, keep_order=True)
        self.assertTrue(self.outline.refs, "no $ref found: is the reader broken?")


class OutlineReaderTest(unittest.TestCase):
    """The line-based reader itself, on the shapes the document uses."""

    def test_outline(self):
        outline = OpenApiOutline(
            "openapi: 3.1.0\n"
            "info:\n"
            "  description: |\n"
            "    paths:\n"
            "      /not/a/path:\n"
            "        get: {}\n"
            "paths:\n"
            "  /a/{id}:  # a comment\n"
            "    parameters:\n"
            "      - $ref: '#/components/parameters/Id'\n"
            "    get:\n"
            "      operationId: getA\n"
            "      summary: Get an A\n"
            "      description: >-\n"
            "        get:\n"
            "      x-roles: [admin, 'manager']\n"
            "      responses:\n"
            "        '200':\n"
            "          $ref: \"#/components/responses/Ok\"\n"
            "    delete:\n"
            "      x-roles:\n"
            "        - public\n"
            "      responses:\n"
            "        204:\n"
            "          description: gone\n"
            "components:\n"
            "  parameters:\n"
            "    Id: {}\n")
        ops, problems = documented_operations(outline)
        self.assertEqual(problems, [])
        self.assertEqual(sorted(ops), [("DELETE", "/a/{id}"), ("GET", "/a/{id}")])
        get = ops[("GET", "/a/{id}")]
        self.assertEqual(get.child("operationId").value, "getA")
        self.assertEqual(flow_list(get.child("x-roles").value), ["admin", "manager"])
        self.assertEqual([c.key for c in get.child("responses").children], ["200"])
        self.assertEqual(ops[("DELETE", "/a/{id}")].child("x-roles").items, ["public"])
        self.assertEqual([t for _, t in outline.refs],
                         ["#/components/parameters/Id", "#/components/responses/Ok"])


if __name__ == "__main__":
    unittest.main()
