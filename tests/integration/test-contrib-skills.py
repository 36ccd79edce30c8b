#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The example skills of contrib/skills through the real worker. Their manifests are
# generated from the .json.in templates with the install location of their scripts
# pointed at the source tree, then served as any installed skill would be.
import base64
import glob
import hashlib
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import TOP_SRCDIR, Worker, b64, check_error, main, require_python  # noqa: E402

CONTRIB = os.path.join(TOP_SRCDIR, "contrib", "skills")


def manifests(skills_dir):
    """The manifests as `make install` makes them, for skills installed in skills_dir."""
    out = {}
    for path in sorted(glob.glob(os.path.join(CONTRIB, "*.json.in"))):
        with open(path) as f:
            text = f.read().replace("@datadir@/skillrun/skills", skills_dir)
        out[os.path.basename(path)[:-3]] = text
    return out


def install_scripts(skills_dir):
    """Copy each skill's own directory (contrib/skills/<name>/) next to the manifests, as installed."""
    for d in sorted(os.listdir(CONTRIB)):
        src = os.path.join(CONTRIB, d)
        if os.path.isdir(src):
            dst = os.path.join(skills_dir, d)
            shutil.copytree(src, dst)
            os.chmod(dst, 0o755)
            for f in os.listdir(dst):
                os.chmod(os.path.join(dst, f), 0o755)


def body(tap):
    require_python()
    # The skills as they ship (restrictive/permissive policies); best-effort so that a kernel
    # without some sandbox feature still runs them: what is tested here is the skill.
    w = Worker(settings={"sandbox": "best-effort"})
    install_scripts(w.skills_dir)
    raw = manifests(w.skills_dir)
    for name, text in raw.items():
        with open(os.path.join(w.skills_dir, name), "w") as f:
            f.write(text)
    tap.ok({"wc.json", "json-transform.json", "python.json", "sha256.json"} <= set(raw),
           "contrib ships wc, json-transform, python and sha256", sorted(raw))
    for name, text in raw.items():
        m = json.loads(text)
        tap.ok(all(os.path.isabs(c) for c in m["command"][:1]) and os.access(m["command"][0], os.X_OK),
               "%s: command is an absolute path to an executable" % name)
        for a in m["command"][1:]:
            if a.startswith("/"):
                tap.ok(os.path.exists(a), "%s: %s exists" % (name, a))
    p = w.cli("check")
    tap.is_(p.returncode, 0, "skillrun check accepts every contrib manifest")
    if p.returncode:
        tap.diag(p.stdout.decode() + p.stderr.decode())
    w.start()

    r = w.get("/v1/skills")
    tap.is_(sorted(s["name"] for s in (r.json or {}).get("skills", [])), sorted(n[:-5] for n in raw),
            "all contrib skills are listed")

    def result(r, what):
        j = r.json or {}
        if not tap.is_((r.status, j.get("outcome")), (200, "ok"), "%s: 200, outcome ok" % what):
            tap.diag(r.body[:2000].decode(errors="replace"))
        return j

    # --- wc
    text = "hello world\nsecond line here\n\u00e9t\u00e9\n"
    j = result(w.run("wc", {"stdin": text}), "wc")
    tap.is_((j.get("stdout") or "").split(), ["3", "6", str(len(text.encode()))], "wc counts lines, words, bytes")
    j = result(w.run("wc", {"stdin": text, "args": ["-w"]}), "wc -w")
    tap.is_((j.get("stdout") or "").strip(), "6", "wc -w counts words")
    j = result(w.run("wc", {"stdin": text, "args": ["-m"]}), "wc -m")
    tap.is_((j.get("stdout") or "").strip(), str(len(text)), "wc -m counts characters (UTF-8 locale)")
    for arg, want in [("-l", "3"), ("-c", str(len(text.encode()))), ("-L", str(len("second line here")))]:
        j = result(w.run("wc", {"stdin": text, "args": [arg]}), "wc %s" % arg)
        tap.is_((j.get("stdout") or "").strip(), want, "wc %s" % arg)
    j = result(w.run("wc", {}), "wc of no input")
    tap.is_((j.get("stdout") or "").split(), ["0", "0", "0"], "wc of no input counts nothing")

    # --- sha256
    data = b"abc"
    j = result(w.run("sha256", {"stdin": "abc"}), "sha256 of stdin")
    tap.is_((j.get("stdout") or "").split()[:1], [hashlib.sha256(data).hexdigest()], "sha256 of stdin is right")
    blob = os.urandom(3000)
    j = result(w.run("sha256", {"files": {"a.bin": b64(blob), "b.txt": b64("x")}, "args": ["a.bin", "b.txt"]}),
               "sha256 of files")
    tap.is_((j.get("stdout") or "").splitlines(),
            ["%s  a.bin" % hashlib.sha256(blob).hexdigest(), "%s  b.txt" % hashlib.sha256(b"x").hexdigest()],
            "sha256 of uploaded files, by name")
    j = (w.run("sha256", {"args": ["--version"]}).json or {})
    tap.is_(j.get("outcome"), "failed", "sha256 takes no options from args ('--' in the manifest)")

    # --- json-transform
    data = {"users": [{"name": "bo", "age": 30, "address": {"city": "Oslo"}},
                      {"name": "al", "age": 12, "address": {"city": "Rome"}},
                      {"name": "cy", "age": 41}],
            "meta": {"a.b": [5, 6, 7]}}
    for req, want, what in [
        ({"data": data, "query": "users[0].name"}, "bo", "path with an index"),
        ({"data": data, "query": "users[-1].age"}, 41, "negative index"),
        ({"data": data, "query": "users[*].address.city"}, ["Oslo", "Rome", None], "wildcard"),
        ({"data": data, "query": 'meta["a.b"][1]'}, 6, "quoted key"),
        ({"data": data, "query": "users", "where": [{"path": "age", "op": ">=", "value": 18}],
          "sort_by": "name", "fields": ["name", "address.city"]},
         [{"name": "bo", "address.city": "Oslo"}, {"name": "cy", "address.city": None}], "where, sort_by, fields"),
        ({"data": data, "query": "users", "sort_by": "age", "reverse": True, "limit": 2, "fields": ["age"]},
         [{"age": 41}, {"age": 30}], "reverse sort and limit"),
        ({"data": data, "query": "users", "where": [{"path": "name", "op": "in", "value": ["al", "cy"]}],
          "count": True}, 2, "count of a filtered list"),
        ({"data": data}, data, "no query: the data itself"),
        ({"data": data, "query": "users[0].name", "count": True}, 1, "count of one string is 1, not its length"),
        ({"data": data, "query": "users[0]", "count": True}, 1, "count of one object is 1, not its keys"),
        ({"data": data, "query": "users[0].*", "count": True}, 3, "count of an object's values"),
        ({"data": data, "query": "nothing", "count": True}, 0, "count of nothing found is 0"),
        ({"data": data, "query": "nothing.here"}, None, "a missing path gives null"),
    ]:
        j = result(w.run("json-transform", {"input": req}), "json-transform %s" % what)
        tap.is_(j.get("output"), want, "json-transform: %s" % what)
    # every "where" operator, and "exists" telling a key that holds null from a missing one
    people = [{"name": "bo", "age": 30, "email": None, "tags": ["x"]}, {"name": "al", "age": 12},
              {"name": "cy", "age": 41, "email": "cy@example.org"}]
    for where, want, what in [
        ({"path": "name", "op": "!=", "value": "bo"}, ["al", "cy"], "!="),
        ({"path": "age", "op": "<=", "value": 30}, ["bo", "al"], "<="),
        ({"path": "age", "op": ">", "value": 30}, ["cy"], ">"),
        ({"path": "name", "op": "contains", "value": "o"}, ["bo"], "contains a substring"),
        ({"path": "tags", "op": "contains", "value": "x"}, ["bo"], "contains an element"),
        ({"path": "name", "op": "startswith", "value": "a"}, ["al"], "startswith"),
        ({"path": "email", "op": "matches", "value": "@example\\.org$"}, ["cy"], "matches"),
        ({"path": "email", "op": "exists"}, ["bo", "cy"], "exists: a key holding null exists"),
        ({"path": "email", "op": "exists", "value": True}, ["bo", "cy"], "exists true"),
        ({"path": "email", "op": "exists", "value": False}, ["al"], "exists false: only the missing key"),
        ({"path": "nothing.here", "op": "exists", "value": False}, ["bo", "al", "cy"],
         "exists false: a missing path"),
    ]:
        j = result(w.run("json-transform", {"input": {"data": people, "where": [where], "fields": ["name"]}}),
                   "json-transform %s" % what)
        tap.is_([p.get("name") for p in j.get("output") or []], want, "json-transform: %s" % what)
    j = result(w.run("json-transform", {"input": {"data": people, "query": "[2]", "fields": ["name", "age"]}}),
               "json-transform fields of one object")
    tap.is_(j.get("output"), {"name": "cy", "age": 41}, "json-transform: fields of one object give one object")
    for req, why, what in [
        ({"data": [2, 1], "sort_by": ".", "reverse": "no"}, "reverse must be true or false", "reverse \"no\""),
        ({"data": [2, 1], "count": "yes"}, "count must be true or false", "count \"yes\""),
        ({"data": [{}], "where": [{"path": "a", "op": "exists", "value": "no"}]},
         "\"exists\" takes a value of true or false", "exists \"no\""),
        ({"data": [1], "limit": -1}, "limit must be a non-negative integer", "a negative limit"),
        ({"data": [1], "fields": "a"}, "fields must be a list of paths", "fields that is no list"),
    ]:
        j = w.run("json-transform", {"input": req}).json or {}
        tap.is_((j.get("outcome"), j.get("exit_code")), ("failed", 2), "json-transform: %s: exit 2" % what)
        tap.contains(j.get("stderr") or "", why, "... and says why")
    j = w.run("json-transform", {"input": {"data": [1], "query": "a..b"}}).json or {}
    tap.is_((j.get("outcome"), j.get("exit_code")), ("failed", 2), "json-transform: a bad path fails with exit 2")
    tap.contains(j.get("stderr") or "", "bad path", "... and says why on stderr")
    j = w.run("json-transform", {"stdin": "not json"}).json or {}
    tap.is_(j.get("exit_code"), 2, "json-transform: input that is not JSON fails with exit 2")
    j = w.run("json-transform", {"stdin": '{"data": [NaN]}'}).json or {}
    tap.is_(j.get("exit_code"), 2, "json-transform: NaN in its input is no JSON: exit 2")
    tap.contains(j.get("stderr") or "", "NaN is not JSON", "... and says why")
    j = w.run("json-transform", {"stdin": '{"data": [1e400]}'}).json or {}
    tap.is_((j.get("exit_code"), "Infinity" in (j.get("stdout") or "")), (2, False),
            "json-transform: 1e400 (inf as a float) is not written as Infinity")
    tap.contains(j.get("stderr") or "", "the result is not JSON", "... and says why")
    # every bad request is a message and exit 2, never a traceback (exit 1)
    for stdin, why, what in [
        (json.dumps({"data": [1], "where": 5}), '"where" must be a list', "where that is no list"),
        (json.dumps({"data": ["abc"], "where": [{"op": "matches", "value": "("}]}),
         "bad regular expression", "a bad regular expression"),
        (json.dumps({"data": {"a": 1}, "query": '["a\\x"]'}), "bad path", "a bad escape in a quoted key"),
        (json.dumps({"data": [1], "query": "[1%s]" % ("0" * 5000)}), "bad path", "an index of 5001 digits"),
        # deeper than any Python's parser goes: 3.13 and older stop at the recursion limit (1000),
        # 3.14 only near the end of the C stack (8 MiB: about 200000 lists); 600 kB of request
        ('{"data": %s}' % ("[" * 300000 + "]" * 300000), "nested too deeply", "input nested 300000 deep"),
        ('{"data": "\\ud800"}', "lone surrogate", "a lone surrogate in the result"),
    ]:
        j = w.run("json-transform", {"stdin": stdin}).json or {}
        tap.is_((j.get("outcome"), j.get("exit_code")), ("failed", 2), "json-transform: %s: exit 2" % what)
        err = j.get("stderr") or ""
        tap.ok(why in err and "Traceback" not in err, "... and says why, no traceback", err[-500:])
    j = result(w.run("json-transform", {"input": {"data": ["abc", "x1"],
                                                  "where": [{"op": "contains", "value": 1}]}}),
               "json-transform contains a number in strings")
    tap.is_(j.get("output"), [], "json-transform: a string never contains a number (no TypeError)")
    # JSON's true is not 1 nor false 0 (Python's == says they are)
    mixed = [1, True, 1.0, 0, False, None, [1], [True]]
    for where, want, what in [
        ({"op": "==", "value": 1}, [1, 1.0], "== 1 is not true"),
        ({"op": "==", "value": False}, [False], "== false is not 0"),
        ({"op": "==", "value": [1]}, [[1]], "== [1] is not [true]"),
        ({"op": "in", "value": [True]}, [True], "in [true] is not 1"),
        ({"op": "<", "value": 2}, [1, 1.0, 0], "< 2: numbers only"),
    ]:
        j = result(w.run("json-transform", {"input": {"data": mixed, "where": [where]}}),
                   "json-transform %s" % what)
        tap.is_(json.dumps(j.get("output")), json.dumps(want), "json-transform: %s" % what)
    j = result(w.run("json-transform", {"input": {"data": [[1, 2], [True]],
                                                  "where": [{"op": "contains", "value": 1}]}}),
               "json-transform contains 1")
    tap.is_(j.get("output"), [[1, 2]], "json-transform: a list holding true does not contain 1")
    # a "where" entry is checked even when no element is left to apply it to
    for data, cond, why, what in [
        ([], {"op": "~=", "value": 1}, "one of ==", "an unknown operator on an empty list"),
        ([1], {"op": "~=", "value": 1}, "one of ==", "an unknown operator names the known ones"),
        ([1, 2], {"pth": "x", "op": "==", "value": 1}, "unknown field(s) in a \"where\" entry: pth",
         "a misspelt key"),
        ([], {"path": "a..b", "op": "==", "value": 1}, "bad path", "a bad path on an empty list"),
        ([], {"op": "matches", "value": "("}, "bad regular expression",
         "a bad regular expression on an empty list"),
    ]:
        j = w.run("json-transform", {"input": {"data": data, "where": [cond]}}).json or {}
        tap.is_((j.get("outcome"), j.get("exit_code")), ("failed", 2), "json-transform: %s: exit 2" % what)
        tap.contains(j.get("stderr") or "", why, "... and says why")
    # A request near max_body (1M) whose result is its whole data, sorted: output_max (1M) holds it
    # only when written as compactly as it came (", " and ": " would add a quarter here).
    big = [{"a": i % 7, "b": "x"} for i in range(55000)]
    req = json.dumps({"input": {"data": big, "sort_by": "a"}}, separators=(",", ":"))
    j = result(w.run("json-transform", req), "json-transform of %dK" % (len(req) // 1024))
    tap.is_((j.get("stdout_truncated"), len(j.get("output") or [])), (False, len(big)),
            "json-transform: a result as large as the input is not truncated")

    # --- python
    j = result(w.run("python", {"code": "print(sum(range(10)))"}), "python code")
    tap.is_(j.get("stdout"), "45\n", "python runs the submitted code")
    code = ("import sys, json, os\n"
            "data = json.load(sys.stdin)\n"
            "print(json.dumps({'argv': sys.argv[1:], 'n': data['n'] * 2, 'file': open('in.txt').read(),\n"
            "                  'script': os.path.basename(sys.argv[0])}))\n")
    j = result(w.run("python", {"code": code, "args": ["a", "b"], "input": {"n": 21},
                                "files": {"in.txt": b64("from a file")}}), "python with args/input/files")
    tap.is_(json.loads(j.get("stdout") or "null"),
            {"argv": ["a", "b"], "n": 42, "file": "from a file", "script": "main.py"},
            "python: args, stdin JSON and files reach the code")
    j = result(w.run("python", {"code": "import helper\nprint(helper.answer())",
                                "files": {"helper.py": b64("def answer():\n    return 42\n")}}),
               "python importing an uploaded module")
    tap.is_(j.get("stdout"), "42\n", "python: a module sent in files can be imported")
    j = result(w.run("python", {"code": "import os, sys; print(os.environ.get('PYTHONPATH'), sys.flags.ignore_environment)",
                                "env": {}}), "python ignores PYTHON* variables")
    tap.is_(j.get("stdout"), "None 1\n", "python: PYTHON* variables are ignored (-E)")
    j = w.run("python", {"code": "raise SystemExit(3)"}).json or {}
    tap.is_((j.get("outcome"), j.get("exit_code")), ("failed", 3), "python: the exit code is reported")
    j = w.run("python", {"code": "1/0"}).json or {}
    tap.contains(j.get("stderr") or "", "ZeroDivisionError", "python: the traceback is on stderr")
    j = w.run("python", {"code": "import time; time.sleep(30)", "timeout_ms": 500}).json or {}
    tap.is_(j.get("outcome"), "timeout", "python: timeout_ms applies")
    j = w.run("python", {"code": "import sys; sys.stdout.buffer.write(bytes([255, 0]))"}).json or {}
    tap.is_((j.get("stdout_encoding"), base64.b64decode(j.get("stdout") or "")), ("base64", b"\xff\x00"),
            "python: binary output comes back base64")
    check_error(tap, w.run("wc", {"code": "x"}), 400, "wc does not accept code")
    w.stop(tap)


main(body)
