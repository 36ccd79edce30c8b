#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs inside the test VM (see README): drives the installed skillrun.socket on
# 127.0.0.1:8080 with curl and checks the delegated cgroup v2 path. Writes
# PASS/FAIL lines and the raw evidence to the directory given as argv[1].
import glob
import json
import os
import subprocess
import sys
import threading
import time

OUT = sys.argv[1] if len(sys.argv) > 1 else "/results"
TOKEN = open("/etc/skillrun/vm-token").read().strip()
BASE = "http://127.0.0.1:8080"
SLICE = "/sys/fs/cgroup/skillrun.slice"
os.makedirs(OUT, exist_ok=True)
summary = open(os.path.join(OUT, "summary.txt"), "w")
evidence = open(os.path.join(OUT, "evidence.txt"), "w")
failures = 0
requests = 0


def log(line):
    print(line, flush=True)
    summary.write(line + "\n")
    summary.flush()


def ev(title, text):
    evidence.write("==== %s\n%s\n" % (title, text.rstrip("\n")))
    evidence.flush()


def check(name, ok, detail=""):
    global failures
    if not ok:
        failures += 1
    log("%s %s%s" % ("PASS" if ok else "FAIL", name, (": " + detail) if detail else ""))


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout


def curl(method, path, body=None, auth=True):
    global requests
    requests += 1
    cmd = ["curl", "-s", "-m", "60", "-o", "-", "-w", "\n%{http_code}", "-X", method]
    if auth:
        cmd += ["-H", "Authorization: Bearer " + TOKEN]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
    cmd.append(BASE + path)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    text, _, code = p.stdout.rpartition("\n")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    return int(code or 0), doc, text, wall


def run(skill, body=None):
    code, doc, text, wall = curl("POST", "/v1/skills/%s/run" % skill, body if body is not None else {})
    ev("POST %s -> %d (%.2f s)" % (skill, code, wall), text)
    return code, doc or {}, wall


def instances_gone(timeout=10.0):
    """Wait until no skillrun@ instance cgroup is left; returns the leftovers."""
    deadline = time.monotonic() + timeout
    while True:
        left = [d for d in glob.glob(SLICE + "/**/", recursive=True) if d.rstrip("/") != SLICE]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def stray(pattern):
    return subprocess.run(["pgrep", "-a", "-f", pattern], capture_output=True, text=True).stdout.strip()


def cgroup_tree():
    """The directories under SLICE, one a line (a walk in this process: a find forked every
    50 ms took CPU from the instances it waited for, under TCG)."""
    return "".join(d + "\n" for d, _, _ in os.walk(SLICE))


def wait_for_runs(n, timeout=20.0):
    """Poll until n run cgroups exist; returns the tree as seen then. Under TCG on a busy
    host systemd 257 took 5-6 s to start two instances at once (Debian 13)."""
    deadline = time.monotonic() + timeout
    tree = ""
    while time.monotonic() < deadline:
        tree = cgroup_tree()
        if tree.count("/run-") >= n:
            break
        time.sleep(0.05)
    return tree


def after(name, procs=None):
    left = instances_gone()
    check(name + ": no cgroup left under " + SLICE, not left, " ".join(left))
    if procs:
        s = stray(procs)
        check(name + ": no process of the skill left", not s, s)


def outcome_then_clean(skill, want, name, after_name, procs=None):
    """Run skill, check its outcome is want, then that nothing of the run is left."""
    _, doc, _ = run(skill)
    check(name, doc.get("outcome") == want, str(doc.get("outcome")))
    after(after_name, procs)


def systemd_cleaned_nothing(name):
    """PID 1's journal says it never had to stop a process a worker left behind."""
    sysd = sh("journalctl --no-pager -o cat _PID=1 | "
              "grep -E 'skillrun@.*(timed out|Killing process|remains running|left-over process)' || true")
    ev("systemd: clean-up after workers (%s)" % name, sysd)
    check(name, not sysd.strip(), sysd.strip()[:400])


def sandbox_delegated(name, doc):
    cg = (doc.get("sandbox") or {}).get("cgroup")
    check(name + ': sandbox.cgroup is "delegated"', cg == "delegated", "got %r" % cg)


# --- the host ---
ev("uname", sh("uname -a"))
ev("/proc/self/mountinfo cgroup lines", sh("grep cgroup /proc/self/mountinfo"))
ev("systemctl --version", sh("systemctl --version"))
ev("skillrun.socket", sh("systemctl status --no-pager skillrun.socket 2>&1"))
check("cgroup2 is the only hierarchy", sh("stat -fc %T /sys/fs/cgroup").strip() == "cgroup2fs")

# --- skillrun check as root ---
out = sh("skillrun check 2>&1")
ev("skillrun check", out)
check("skillrun check: a unit worker gets delegated",
      'gets "delegated"' in out or '"cgroup":"delegated"' in out)

# --- GET /v1/info ---
code, doc, text, _ = curl("GET", "/v1/info")
ev("GET /v1/info -> %d" % code, text)
info_cg = json.dumps(doc)
check("GET /v1/info: 200", code == 200, str(code))
check('GET /v1/info says "delegated"', '"delegated"' in info_cg, text[:300])
after("info")

# --- a normal run and its cgroup ---
code, doc, wall = run("vm-cgself")
ev("vm-cgself stdout", doc.get("stdout", ""))
check("vm-cgself: 200 ok", code == 200 and doc.get("outcome") == "ok", "%d %s" % (code, doc.get("outcome")))
sandbox_delegated("vm-cgself", doc)
so = doc.get("stdout", "")
check("vm-cgself: runs in <unit>/run-<id>", "/skillrun.slice/skillrun@" in so and "/run-" in so, so.split("\n")[0])
check("vm-cgself: memory.max=48M", "memory.max=50331648" in so)
check("vm-cgself: memory.swap.max=0", "memory.swap.max=0" in so)
check("vm-cgself: memory.oom.group=1", "memory.oom.group=1" in so)
check("vm-cgself: pids.max=12", "pids.max=12" in so)
check("vm-cgself: cpu.max=30000 100000", "cpu.max=30000 100000" in so)
after("vm-cgself")

code, doc, wall = run("wc", {"stdin": "one two three\n"})
check("wc: 200 ok", code == 200 and doc.get("outcome") == "ok", "%d %s %s" % (code, doc.get("outcome"), doc.get("error") or doc.get("stderr")))
sandbox_delegated("wc", doc)
after("wc")

code, doc, wall = run("python", {"code": "print(sum(range(10)))"})
check("python: 200 ok, prints 45", code == 200 and doc.get("outcome") == "ok" and doc.get("stdout") == "45\n",
      "%d %s %r" % (code, doc.get("outcome"), doc.get("stdout")))
sandbox_delegated("python", doc)
after("python")

# --- memory ---
code, doc, wall = run("vm-hog")
check('vm-hog: outcome "oom"', doc.get("outcome") == "oom", "%d %s signal=%s" % (code, doc.get("outcome"), doc.get("signal")))
sandbox_delegated("vm-hog", doc)
after("vm-hog", "bytearray")

code, doc, wall = run("vm-hogfork")
check('vm-hogfork: outcome "oom", the whole run killed', doc.get("outcome") == "oom" and wall < 15
      and "parent-done" not in doc.get("stdout", ""), "%s wall=%.1f" % (doc.get("outcome"), wall))
after("vm-hogfork", "bytearray|sleep 30")

# --- tasks ---
code, doc, wall = run("vm-forkcount")
so = doc.get("stdout", "")
check("vm-forkcount: fork refused below tasks_max 8", doc.get("outcome") == "ok" and so.startswith("forked ")
      and int(so.split()[1]) <= 7, "%s %r" % (doc.get("outcome"), so))
sandbox_delegated("vm-forkcount", doc)
after("vm-forkcount")

code, doc, wall = run("vm-forkbomb")
# the bomb's own shell may be the one refused a fork (dash then exits 2: "failed"), or
# it sleeps into the timeout; either way pids.max held it and nothing is left
check("vm-forkbomb: held by pids.max, answered 200 (timeout or failed)", code == 200
      and doc.get("outcome") in ("timeout", "failed") and "Cannot fork" in doc.get("stderr", ""),
      "%d %s wall=%.1f" % (code, doc.get("outcome"), wall))
sandbox_delegated("vm-forkbomb", doc)
check("vm-forkbomb: answered within timeout + grace", wall < 6, "%.2f s" % wall)
after("vm-forkbomb", "b | b")

# --- cpu ---
code, doc, wall = run("vm-spin")
cpu, dur = doc.get("cpu_ms") or 0, doc.get("duration_ms") or 1
ev("vm-spin", "cpu_ms=%s duration_ms=%s ratio=%.3f" % (cpu, dur, cpu / dur))
check("vm-spin: cpu_max 20 throttles (cpu_ms/duration_ms <= 0.30)", doc.get("outcome") == "ok" and cpu / dur <= 0.30,
      "cpu_ms=%s duration_ms=%s" % (cpu, dur))
sandbox_delegated("vm-spin", doc)
after("vm-spin")

code, doc, wall = run("vm-spin2")
cpu, dur = doc.get("cpu_ms") or 0, doc.get("duration_ms") or 1
ev("vm-spin2", "cpu_ms=%s duration_ms=%s ratio=%.3f" % (cpu, dur, cpu / dur))
check("vm-spin2: two spinners share cpu_max 50 (ratio <= 0.60)", doc.get("outcome") == "ok" and cpu / dur <= 0.60,
      "cpu_ms=%s duration_ms=%s" % (cpu, dur))
after("vm-spin2")

# --- timeout kills the tree ---
seen = {}


def watch():
    seen["tree"] = wait_for_runs(1)
    time.sleep(0.2)
    seen["ps"] = stray("sleep 30[0-9]")


t = threading.Thread(target=watch)
t.start()
code, doc, wall = run("vm-sleeper")
t.join()
ev("vm-sleeper during the run: cgroups", seen.get("tree", ""))
ev("vm-sleeper during the run: processes", seen.get("ps", ""))
check("vm-sleeper: outcome timeout", doc.get("outcome") == "timeout", "%s wall=%.2f" % (doc.get("outcome"), wall))
check("vm-sleeper: the tree ran in worker + run-<id>", "/worker" in seen.get("tree", "") and "/run-" in seen.get("tree", ""))
# skillrun's own time (timeout_ms 1000, the default grace 500), and the client's: not held
# until the children that ignore TERM end (they sleep 300 s; curl gives up at 60). The
# client's includes starting a new instance, 1.2 s to 5 s under TCG (Debian 13 on a busy host).
dur = doc.get("duration_ms") or 1e9
check("vm-sleeper: answered within timeout + grace", dur < 2000 and wall < 20,
      "duration_ms=%s wall=%.2f" % (dur, wall))
after("vm-sleeper", "sleep 30[0-9]")

outcome_then_clean("vm-leaver", "ok", "vm-leaver: ok", "vm-leaver", "sleep 304")
outcome_then_clean("vm-none-leaver", "ok", "vm-none-leaver: ok", "vm-none-leaver", "sleep 305")

# --- two at once ---
res = {}


def one(i):
    res[i] = run("vm-slow")


seen = {}
ts = [threading.Thread(target=one, args=(i,)) for i in range(2)]
t0 = time.monotonic()
for t in ts:
    t.start()
seen["tree"] = wait_for_runs(2)
for t in ts:
    t.join()
both = time.monotonic() - t0
ev("two at once: cgroups during", seen["tree"])
check("two at once: both ok", all(res[i][1].get("outcome") == "ok" and res[i][1].get("stdout") == "done\n" for i in res),
      str([res[i][1].get("outcome") for i in res]))
check("two at once: both delegated", all((res[i][1].get("sandbox") or {}).get("cgroup") == "delegated" for i in res))
ev("two at once: wall", "%.2f s for two 2 s runs" % both)
check("two at once: two instance cgroups during", seen["tree"].count("/run-") == 2, seen["tree"].replace("\n", " "))
after("two at once")

# --- tmpfs pages in the work dir count against memory_max ---
code, doc, wall = run("vm-tmpfill")
check('vm-tmpfill: 48M file under memory_max 32M ends "oom"', doc.get("outcome") == "oom",
      "%s %r" % (doc.get("outcome"), doc.get("stdout", "") + doc.get("stderr", "")))
after("vm-tmpfill")

outcome_then_clean("vm-bighog", "oom", 'vm-bighog: 600M under the default 256M ends "oom"', "vm-bighog", "bytearray")

# --- a permissive skill cannot touch its cgroup ---
code, doc, wall = run("vm-cgwrite")
so = doc.get("stdout", "")
ev("vm-cgwrite stdout+stderr", so + doc.get("stderr", ""))
check("vm-cgwrite: cannot lift memory.max / pids.max, move or mkdir", doc.get("outcome") in ("ok", "failed")
      and not any(w in so for w in ("WROTE", "MOVED", "MKDIR")), repr(so))
after("vm-cgwrite")

# --- policy none: child cgroups, and a process moved out to the worker's leaf ---
code, doc, wall = run("vm-none-subcg")
ev("vm-none-subcg stdout+stderr", doc.get("stdout", "") + doc.get("stderr", ""))
check("vm-none-subcg: ok, made RUN/a/b", doc.get("outcome") == "ok" and "RUN/a/b" in doc.get("stdout", ""),
      repr(doc.get("stdout")))
after("vm-none-subcg", "sleep 307")

code, doc, wall = run("vm-none-escape")
ev("vm-none-escape stdout+stderr", doc.get("stdout", "") + doc.get("stderr", ""))
check("vm-none-escape: ok", doc.get("outcome") == "ok", repr(doc.get("stdout")))
after("vm-none-escape", "sleep 308")

# --- the client hangs up mid-run ---
requests += 1
p = subprocess.run(["curl", "-s", "-m", "1", "-H", "Authorization: Bearer " + TOKEN,
                    "-H", "Content-Type: application/json", "-d", "{}",
                    "http://127.0.0.1:8080/v1/skills/vm-sleeper/run"], capture_output=True, text=True)
wait_for_runs(1, 1)
after("client hang-up", "sleep 30[0-9]")
hang = sh("journalctl -o cat --no-pager SYSLOG_IDENTIFIER=skillrun | grep vm-sleeper | tail -1")
ev("client hang-up: journal", hang)
check("client hang-up: logged as killed", "outcome=killed" in hang, hang.strip())

# --- the instance is stopped mid-run (shutdown, RuntimeMaxSec=) ---
res = {}
t2 = threading.Thread(target=lambda: res.setdefault("s", run("vm-slow")))
t2.start()
tree = wait_for_runs(1)
units = sh("systemctl list-units --no-legend --plain 'skillrun@*' | cut -d' ' -f1").split()
ev("stop: units", " ".join(units))
sh("systemctl stop %s" % " ".join("'%s'" % u for u in units))
t2.join()
code, doc, wall = res["s"]
check("stop: answered, outcome killed", code == 200 and doc.get("outcome") == "killed", "%d %s" % (code, doc.get("outcome")))
after("stop", "sleep 2")

# --- an OOM next to a normal run ---
res = {}
ts = [threading.Thread(target=lambda: res.setdefault("slow", run("vm-slow"))),
      threading.Thread(target=lambda: res.setdefault("hog", run("vm-hog")))]
for t in ts:
    t.start()
for t in ts:
    t.join()
check("oom next to a normal run: oom + ok", res["hog"][1].get("outcome") == "oom" and res["slow"][1].get("outcome") == "ok",
      "%s %s" % (res["hog"][1].get("outcome"), res["slow"][1].get("outcome")))
after("oom next to a normal run", "bytearray")

# --- systemd never had to clean up after a worker ---
systemd_cleaned_nothing("systemd killed nothing a worker left (TERM-ignoring leftovers)")

# --- journal ---
time.sleep(1)
jl = sh("journalctl -o json --no-pager SYSLOG_IDENTIFIER=skillrun")
recs = []
for line in jl.splitlines():
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if "SKILLRUN_RUN_ID" in r or "SKILLRUN_STATUS" in r:
        recs.append(r)
fields = ["SKILLRUN_RUN_ID", "SKILLRUN_SKILL", "SKILLRUN_TOKEN_NAME", "SKILLRUN_PEER", "SKILLRUN_STATUS",
          "SKILLRUN_OUTCOME", "SKILLRUN_EXIT_CODE", "SKILLRUN_DURATION_USEC", "SKILLRUN_MAX_RSS_KB"]
ev("journal records", "\n".join(json.dumps({k: v for k, v in r.items() if k.startswith("SKILLRUN_") or k == "MESSAGE"})
                                for r in recs))
check("journal: one record per request", len(recs) == requests, "%d records, %d requests" % (len(recs), requests))
runs = [r for r in recs if r.get("SKILLRUN_SKILL")]
missing = sorted({f for r in runs for f in fields if f not in r})
check("journal: run records carry the design §7 fields", runs and not missing, "missing %s" % missing)
check("journal: no token in any record", TOKEN not in jl)
warn = sh("journalctl --no-pager -o cat SYSLOG_IDENTIFIER=skillrun -p warning")
ev("journal: warnings from skillrun", warn)
check("journal: no run cgroup left behind", "left behind" not in warn, warn)
ev("failed units", sh("systemctl list-units --failed --no-pager"))
check("no failed skillrun@ instance", "skillrun@" not in sh("systemctl list-units --failed --no-pager"))

# --- phase 2: contrib/systemd/latency.conf (ProtectControlGroups=no) and an IPv6 socket ---
os.makedirs("/etc/systemd/system/skillrun@.service.d", exist_ok=True)
os.makedirs("/etc/systemd/system/skillrun.socket.d", exist_ok=True)
sh("cp /usr/share/doc/skillrun/systemd/latency.conf /etc/systemd/system/skillrun@.service.d/")
open("/etc/systemd/system/skillrun.socket.d/v6.conf", "w").write("[Socket]\nListenStream=\nListenStream=[::1]:8080\n")
sh("systemctl daemon-reload; systemctl restart skillrun.socket")
ev("phase 2: socket", sh("systemctl status --no-pager skillrun.socket 2>&1"))
BASE = "http://[::1]:8080"
code, doc, text, _ = curl("GET", "/v1/info")
ev("phase 2: GET /v1/info -> %d" % code, text)
check("phase 2: GET /v1/info over [::1] says delegated", '"cgroup":"delegated"' in text, text[:200])
after("phase 2 info")
code, doc, wall = run("vm-cgself")
ev("phase 2: vm-cgself", doc.get("stdout", ""))
check("phase 2: vm-cgself delegated, limits set", doc.get("outcome") == "ok" and
      (doc.get("sandbox") or {}).get("cgroup") == "delegated" and "pids.max=12" in doc.get("stdout", ""),
      "%s %r" % (doc.get("outcome"), doc.get("stdout")))
after("phase 2 vm-cgself")
outcome_then_clean("vm-hog", "oom", 'phase 2: vm-hog outcome "oom"', "phase 2 vm-hog", "bytearray")
outcome_then_clean("vm-sleeper", "timeout", "phase 2: vm-sleeper timeout", "phase 2 vm-sleeper", "sleep 30[0-9]")
systemd_cleaned_nothing("phase 2: systemd killed nothing a worker left")
warn = sh("journalctl --no-pager -o cat SYSLOG_IDENTIFIER=skillrun -p warning")
check("phase 2: no skillrun warnings", not warn.strip(), warn[:400])

# the unit's MemoryMax=384M below the ceiling: the unit's OOM, not the run's
open("/etc/systemd/system/skillrun@.service.d/memory.conf", "w").write("[Service]\nEnvironment=SKILLRUN_MEMORY_MAX=1G\n")
sh("systemctl daemon-reload")
code, doc, wall = run("vm-bighog")
ev("phase 2: vm-bighog under the unit's MemoryMax", json.dumps(doc))
check('phase 2: vm-bighog (memory_max 1G) hits the unit\'s MemoryMax=384M: "oom", answered',
      code == 200 and doc.get("outcome") == "oom", "%d %s" % (code, doc.get("outcome")))
after("phase 2 vm-bighog", "bytearray")

# calibration: a TERM-ignoring process put into an instance's cgroup from outside (a skill cannot
# escape the worker, its subreaper, which kills every descendant) is left to systemd, and the
# check above sees it
res = {}
t = threading.Thread(target=lambda: res.setdefault("r", run("vm-slow")))
t.start()
tree = wait_for_runs(1)
inst = [l for l in tree.split() if l.endswith("/worker")]
intruder = subprocess.Popen(["sh", "-c", "trap '' TERM; exec sleep 309"])
if inst:
    open(inst[0] + "/cgroup.procs", "w").write(str(intruder.pid))
t.join()
time.sleep(7)
intruder.wait()
sysd = sh("journalctl --no-pager -o cat _PID=1 | grep -E 'skillrun@.*(timed out|Killing process|remains running|left-over process)' || true")
ev("calibration: systemd after an intruder", sysd)
check("calibration: the systemd check sees a leftover (so it can fail)", bool(inst) and sysd.strip() != "",
      sysd.strip().replace("\n", " ")[:300])

log("DONE %d failures, %d requests" % (failures, requests))
