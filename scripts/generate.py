#!/usr/bin/env python3
"""
generate.py - writes into the tree what "servio schema" makes from the route
and resource tables, or checks that what is committed is what it makes.

    scripts/generate.py [--check] [SERVIO]

SERVIO is the program to ask (default: build/servio). The files:

    docs/openapi.yaml           the blocks between its "# BEGIN GENERATED: servio
                                schema openapi ..." and "# END GENERATED: ..."
                                lines (servio schema openapi); the rest of the
                                document is hand-written
    web/src/lib/records.gen.ts  servio schema typescript
    web/src/lib/roles.gen.ts    servio schema roles

With --check nothing is written: each file that differs is named with a diff,
and the exit status is 1. "make generate" runs it without --check; the CTest
test lint.generated with it. Standard library only; no network.
"""

import difflib
import os
import subprocess
import sys

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BEGIN = "# BEGIN GENERATED: "
END = "# END GENERATED: "


def servio(program, *args):
    # the caller's configuration must not make servio refuse to start
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVIO_")}
    proc = subprocess.run([program, "schema", *args], capture_output=True, text=True, env=env,
                          timeout=120)
    if proc.returncode != 0:
        sys.exit("generate: %s schema %s exited with %d:\n%s"
                 % (program, " ".join(args), proc.returncode, proc.stderr))
    return proc.stdout


def blocks(text, where):
    """{title: the lines from its BEGIN line to its END line, both included}."""
    out, title, start = {}, None, 0
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith(BEGIN):
            if title is not None:
                sys.exit("generate: %s line %d: %r begins inside %r"
                         % (where, i + 1, s[len(BEGIN):], title))
            title, start = s[len(BEGIN):], i
        elif s.startswith(END):
            if s[len(END):] != title:
                sys.exit("generate: %s line %d: %r ends, but %r began"
                         % (where, i + 1, s[len(END):], title))
            out[title] = (start, i + 1, "".join(lines[start:i + 1]))
            title = None
    if title is not None:
        sys.exit("generate: %s: %r never ends" % (where, title))
    return out


def spliced(document, generated, where):
    """document with each generated block put in the place of its namesake."""
    made = blocks(generated, "servio schema openapi")
    have = blocks(document, where)
    if set(made) != set(have):
        sys.exit("generate: %s has the generated blocks %s, servio makes %s"
                 % (where, sorted(have), sorted(made)))
    lines = document.splitlines(keepends=True)
    for title, (start, end, _) in sorted(have.items(), key=lambda kv: -kv[1][0]):
        lines[start:end] = [made[title][2]]
    return "".join(lines)


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        sys.exit("usage: scripts/generate.py [--check] [SERVIO]")
    program = os.path.abspath(args[0]) if args else os.path.join(SOURCE_DIR, "build", "servio")
    if not os.access(program, os.X_OK):
        sys.exit("generate: no servio program at %s: build it first" % program)

    spec = os.path.join(SOURCE_DIR, "docs", "openapi.yaml")
    with open(spec, encoding="utf-8") as f:
        document = f.read()
    files = {
        spec: spliced(document, servio(program, "openapi"), "docs/openapi.yaml"),
        os.path.join(SOURCE_DIR, "web", "src", "lib", "records.gen.ts"):
            servio(program, "typescript"),
        os.path.join(SOURCE_DIR, "web", "src", "lib", "roles.gen.ts"): servio(program, "roles"),
    }
    stale, written = [], 0
    for path, text in files.items():
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current == text:
            continue
        name = os.path.relpath(path, SOURCE_DIR)
        if check:
            stale.append(name)
            diff = difflib.unified_diff(current.splitlines(keepends=True),
                                        text.splitlines(keepends=True),
                                        "committed/" + name, "generated/" + name, n=2)
            sys.stdout.writelines(list(diff)[:200])
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            written += 1
            print("generate: wrote %s" % name)
    if stale:
        print("\ngenerate: %s differ%s from what %s makes from the tables: run \"make generate\""
              " and commit the result" % (", ".join(stale), "s" if len(stale) == 1 else "",
                                          program))
        return 1
    if check or not written:
        print("generate: the generated files are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
