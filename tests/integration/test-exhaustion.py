#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A worker short of memory (a low RLIMIT_AS, so that malloc fails) still answers every request
# completely: the run's 200 result, or a 500 with a JSON body and the same status in its record.
# Never nothing at all, and a request that is valid JSON is never called invalid (400).
import os
import stat
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (ERROR_CODES, Skip, Worker, main, sanitized_binary, sh_skill,  # noqa: E402
                           skillrun_bin, wait_for)

# Where malloc starts failing depends on the libraries and the layout: a sweep from "cannot run
# the skill" up to "everything fits" meets the failures in between wherever they are.
LIMITS_KB = range(6000, 40001, 2000)

# ~2.7 MB of result JSON (1 MB per stream, base64) from a skill that itself needs little memory
BIG = sh_skill("head -c 1000000 /dev/zero | tr '\\000' '\\377'; head -c 1000000 /dev/zero | tr '\\000' '\\376' >&2")
ECHO = sh_skill("echo ok")
# a valid body that takes json-c many allocations to parse
MANY_ARGS = {"args": ["x"] * 150000}


def limited_bin(root, kb):
    path = os.path.join(root, "skillrun-as-%d" % kb)
    with open(path, "w") as f:
        f.write("#!/bin/sh\nulimit -v %d || exit 99\nexec '%s' \"$@\"\n" % (kb, skillrun_bin()))
    os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    return path


def run_records(w):
    return [x for x in w.records() if x.get("path", "").endswith("/run")]


def complete(tap, w, r, what, n):
    """r: the answer to the n-th run request of worker w (None: nothing came back)."""
    if r is None:
        return tap.ok(False, "%s: an answer" % what)
    # the record is written once the answer is out
    rec = wait_for(lambda: run_records(w)[n - 1:], 5)
    logged = rec[0].get("status") if rec else None
    j = r.json if isinstance(r.json, dict) else {}
    if r.status == 200:
        ok = isinstance(j.get("run_id"), str) and "outcome" in j
    else:
        ok = r.status == 500 and j.get("error") == ERROR_CODES[500] and bool(j.get("message"))
    return tap.ok(ok and logged == str(r.status), "%s: a complete answer, the status logged" % what,
                  "status %d, logged %r, body %r" % (r.status, logged, r.body[:200]))


def body(tap):
    if sanitized_binary(skillrun_bin()):
        raise Skip("a sanitizer's runtime needs far more address space than these limits")
    for kb in LIMITS_KB:
        w = Worker(skills={"big": BIG, "echo": ECHO})
        w.bin = limited_bin(w.root, kb)
        w.start()
        for n, (skill, req) in enumerate((("big", {}), ("echo", MANY_ARGS)), 1):
            what = "RLIMIT_AS %d KiB, %s" % (kb, skill)
            try:
                r = w.run(skill, req)
            except AssertionError:  # nothing came back
                r = None
            complete(tap, w, r, what, n)
        w.stop(tap)


main(body)
