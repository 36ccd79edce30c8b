#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A worker short of memory (a low RLIMIT_AS, so that malloc fails) still answers every request
# completely: the run's 200 result, or a 500 with a JSON body and the same status in its record.
# Never nothing at all, and a request that is valid JSON is never called invalid (400).
# The same with few file descriptors (a low RLIMIT_NOFILE): and the journal line of a failed run
# says which step failed and why, without blaming what did not fail (run_user 'nobody' "not
# found", a work dir "left behind" that was removed).
import os
import re
import shutil
import stat
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (ERROR_CODES, Skip, Worker, b64, check_error, main, sanitized_binary,  # noqa: E402
                           sh_skill, journal_in_use, skillrun_bin, wait_for)

# Where malloc starts failing depends on the libraries and the layout: a sweep from "cannot run
# the skill" up to "everything fits" meets the failures in between wherever they are.
LIMITS_KB = range(6000, 40001, 2000)

# ~2.7 MB of result JSON (1 MB per stream, base64) from a skill that itself needs little memory
BIG = sh_skill("head -c 1000000 /dev/zero | tr '\\000' '\\377'; head -c 1000000 /dev/zero | tr '\\000' '\\376' >&2")
ECHO = sh_skill("echo ok")
# a valid body that takes json-c many allocations to parse
MANY_ARGS = {"args": ["x"] * 150000}


def limited_bin(root, kb, flag="-v"):
    path = os.path.join(root, "skillrun-limited-%s%d" % (flag, kb))
    with open(path, "w") as f:
        f.write("#!/bin/sh\nulimit %s %d || exit 99\nexec '%s' \"$@\"\n" % (flag, kb, skillrun_bin()))
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


def few_fds(tap):
    """The worker with 5 to 40 fds: somewhere in between each step of a run fails for want of one."""
    messages = not journal_in_use()
    if not messages:
        tap.skip("the worker logs to the journal: only its request records are read back here")
    for n in range(5, 41):
        w = Worker(skills={"p": sh_skill("cat f 2>/dev/null; echo", policy="permissive")})
        w.bin = limited_bin(w.root, n, "-n")
        w.start()
        try:
            w.get("/healthz", token=None)
        except (AssertionError, OSError):
            w.stop(None, check=False)  # the binary does not even start: the loader's business
            continue
        # with files (written before the sandbox is prepared) and without
        for k, req in enumerate(({"files": {"f": "eA=="}}, {}), 1):
            what = "RLIMIT_NOFILE %d, request %d" % (n, k)
            try:
                r = w.run("p", req)
            except AssertionError:
                r = None
            complete(tap, w, r, what, k)
            if messages and r is not None and r.status == 500:
                log = w.read_log()
                why = re.findall(r"Running skill 'p' failed: (.*)", log)[-1:]  # logged before the answer
                tap.ok(why and re.match(r"\w", why[0]) and "not found" not in why[0],
                       "%s: the failed step named, the true reason given" % what, "%r" % why)
                gone = not any(d.startswith("skillrun-") for d in os.listdir(w.work_dir))
                tap.ok(not (gone and "left behind" in log), "%s: no work dir called left behind that is gone" % what,
                       log[-2000:])
        w.stop(tap)


def full_work_dir(tap):
    """The work dir's file system without room for the request's files: 503 (what the host
    lacks, the worker exits 0, as for a kernel without the sandbox), the step in the record,
    nothing left behind; a request that fits still runs."""
    if os.geteuid() != 0:
        return tap.skip("mounting a small tmpfs for the work dir needs root")
    w = Worker(skills={"echo": ECHO})
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "skillrun-test", w.work_dir],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode == 0
    if not mounted:
        w.stop(None, check=False)
        return tap.skip("cannot mount a tmpfs here")
    try:
        w.start()
        r = w.run("echo", {"files": {"big": b64(b"x" * 200000)}})
        check_error(tap, r, 503, "files larger than the work dir's file system")
        tap.like(r.json.get("message", "") if isinstance(r.json, dict) else "", r"no room on the host",
                 "... saying the host has no room")
        rec = wait_for(lambda: run_records(w), 5)
        tap.is_(rec[0].get("status") if rec else None, "503", "... logged as 503")
        tap.like(w.all_log_text(), r"cannot write request files: No space left on device",
                 "... with the step in the worker's log")
        r = w.run("echo", {"files": {"small": b64(b"y" * 1000)}})
        tap.is_((r.status, r.json.get("outcome") if isinstance(r.json, dict) else None), (200, "ok"),
                "a request that fits still runs")
        def both_exits():
            e = re.findall(r"died with code (\d+)", w.read_log())
            return e if len(e) >= 2 else None
        exits = wait_for(both_exits, 5)
        tap.is_(exits, ["0", "0"], "both workers exited 0")
        w.stop(tap)
    finally:
        w.stop(None, check=False)
        subprocess.run(["umount", w.work_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(w.root, ignore_errors=True)


def no_inode_work_dir(tap):
    """The work dir's file system without an inode left (a tmpfs's nr_inodes, a full ext4's
    inode table): the run's own directory cannot be made, the same 503 and the step named."""
    if os.geteuid() != 0:
        return tap.skip("mounting a small tmpfs for the work dir needs root")
    w = Worker(skills={"echo": ECHO})
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,nr_inodes=1,mode=0755", "skillrun-test",
                              w.work_dir], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode == 0
    if not mounted:
        w.stop(None, check=False)
        return tap.skip("cannot mount a tmpfs here")
    try:
        w.start()
        r = w.run("echo", {})
        check_error(tap, r, 503, "no inode for the run's directory")
        tap.is_(r.json.get("message") if isinstance(r.json, dict) else None,
                "no room on the host for this run: No space left on device", "... saying the host has no room")
        rec = wait_for(lambda: run_records(w), 5)
        tap.is_([(x.get("status"), x.get("error")) for x in rec or []],
                [("503", "no room on the host for this run: cannot create work directory in '%s': No space left "
                  "on device" % w.work_dir)], "... logged as 503, the step and the work root named")
        w.stop(tap)
    finally:
        w.stop(None, check=False)
        subprocess.run(["umount", w.work_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(w.root, ignore_errors=True)


def body(tap):
    full_work_dir(tap)
    no_inode_work_dir(tap)
    few_fds(tap)
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
