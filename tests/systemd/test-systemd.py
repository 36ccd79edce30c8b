#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""skillrun under a real systemd: boots the distribution's systemd as PID 1 of private
namespaces with the units and binary installed by `make install DESTDIR=`, and shows
through real connections what the units promise (issue 4). TAP; root only (skip 77)."""

import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdharness as sd  # noqa: E402

n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print("%sok %d - %s" % ("" if cond else "not ", n, name), flush=True)
    if not cond:
        failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[-40:]:
                print("#   " + line)
    return cond


def skip(why):
    global n
    n += 1
    print("ok %d # SKIP %s" % (n, why), flush=True)


def skip_all(why):
    print("1..0 # SKIP " + why)
    sys.exit(77)


def body_json(r):
    try:
        return r.json()
    except ValueError:
        return None


def journal_entries(sdm, *matches):
    """The journal's entries for these journalctl matches, parsed."""
    rc, out = sdm.run("journalctl", "-o", "json", "--no-pager", *matches)
    entries = []
    for line in out.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            pass
    return entries


def journal_record(sdm, match, want=lambda j: True):
    """The last journal record matching a journalctl match and want(), waited for up to 5 s
    (journald writes it after the worker sent it); None if none came."""
    for _ in range(50):
        recs = [j for j in journal_entries(sdm, match) if want(j)]
        if recs:
            return recs[-1]
        time.sleep(0.1)
    return None


def wait_idle():
    """Until no skillrun@ instance is left (connections of an earlier step)."""
    for _ in range(200):
        rc, out = sdm.run("systemctl", "list-units", "--no-legend", "--plain", "skillrun@*")
        if not out.strip():
            return
        time.sleep(0.1)


why = sd.missing_requirements()
if why:
    skip_all(why)


def enforced_controllers(sdm):
    """True when the test systemd can enforce MemoryMax=/TasksMax= on its units, else why not:
    v1 memory and pids hierarchies (hybrid host), or both in its cgroup2 root's controllers."""
    rc, out = sdm.run("sh", "-c", "stat -fc %T /sys/fs/cgroup; cat /sys/fs/cgroup/cgroup.controllers "
                      "2>/dev/null; test -d /sys/fs/cgroup/memory && test -d /sys/fs/cgroup/pids && echo v1-both")
    words = out.split()
    if "v1-both" in words or ("memory" in words and "pids" in words):
        return True
    return ("the test systemd's cgroup has no memory and pids controllers (%s: %s), so the units' "
            "limits are not enforced" % (words[0] if words else "?", " ".join(words[1:]) or "none"))


def hostile_skills():
    r = sd.request(port, "POST", "/v1/skills/forkbomb/run", token=TOKEN, body={}, timeout=60)
    res = body_json(r) or {}
    out = res.get("output") or {}
    ok(r.status == 200 and 0 < out.get("forked", 0) < 96 and out.get("error") == "Resource temporarily unavailable",
       "fork bomb stopped by TasksMax=96 (forked %s)" % out.get("forked"), r.raw[:1000])
    r = sd.request(port, "POST", "/v1/skills/memhog/run", token=TOKEN, body={}, timeout=60)
    res = body_json(r) or {}
    got = [int(x) for x in re.findall(r"allocated (\d+) MiB", res.get("stdout", ""))]
    # the worker counts the instance's own OOM kills, so the unit's limit reads as "oom" too
    ok(r.status == 200 and res.get("outcome") == "oom" and res.get("signal") == "SIGKILL"
       and "allocated all" not in res.get("stdout", "") and got and max(got) < 384,
       "memory hog killed by MemoryMax=384M (reached %s MiB, outcome %s)" % (max(got) if got else None,
                                                                            res.get("outcome")), r.raw[:1500])


top_builddir = os.environ.get("top_builddir")
if not top_builddir or not os.access(os.path.join(top_builddir, "skillrun"), os.X_OK):
    skip_all("skillrun is not built (top_builddir unset?)")

work = tempfile.mkdtemp(prefix="skillrun-systemd-")
port = sd.free_port()
TOKEN, OTHER = sd.make_token(), sd.make_token()
try:
    inst = sd.Install(top_builddir, os.path.join(work, "payload"))
except RuntimeError as e:
    shutil.rmtree(work, ignore_errors=True)
    print("Bail out! " + str(e).replace("\n", "\n# "))
    sys.exit(1)
print("# installed: %s (units in %s%s), config in %s" % (inst.exec_start, inst.unitdir,
      ", copied to /etc/systemd/system" if inst.relocated else "", inst.confdir))
if inst.moved_from:
    print("# the install prefix %s is hidden by the unit's sandbox: moved to %s" % (inst.moved_from,
          os.path.dirname(os.path.dirname(inst.exec_start))))

# --- fixtures: tokens (root-only, as an administrator would leave them), skills, drop-ins
inst.write(inst.tokens_file, "ci:%s\nother:%s\n" % (TOKEN, OTHER), mode=0o600)
helpers = "/usr/local/lib/skillrun-test"
inst.write(helpers + "/forkbomb.py", """import os, sys, time
ok = 0; err = None
for i in range(int(sys.argv[1])):
    try:
        pid = os.fork()
    except OSError as e:
        err = e.strerror; break
    if pid == 0:
        time.sleep(3); os._exit(0)
    ok += 1
print('{"forked": %d, "error": "%s"}' % (ok, err), flush=True)
os._exit(0)
""")
inst.write(helpers + "/memhog.py", """import sys
chunks = []
for i in range(int(sys.argv[1]) // 16):
    chunks.append(bytearray(16 << 20))
    print('allocated %d MiB' % ((i + 1) * 16), flush=True)
print('allocated all', flush=True)
""")
inst.skill("whoami", {
    "description": "what the unit makes of a skill",
    "command": ["/bin/sh", "-c", "id -u; pwd; grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; "
                "cat /proc/self/cgroup"],
    "policy": "none", "input": "none"})
inst.skill("true", {"command": ["/bin/true"], "input": "none"})
inst.skill("readtokens", {
    "description": "tries to read the token file and this instance's credential",
    "command": ["/bin/sh", "-c", "cat %s; cat /run/credentials/*/tokens; exit 0" % inst.tokens_file],
    "policy": "permissive", "input": "none"})
inst.skill("forkbomb", {"command": ["/usr/bin/python3", helpers + "/forkbomb.py", "400"],
                        "policy": "permissive", "input": "none", "output": "json"})
inst.skill("memhog", {"command": ["/usr/bin/python3", helpers + "/memhog.py", "1600"],
                      "policy": "permissive", "input": "none"})
inst.skill("cgprobe", {
    "description": "tries to make a cgroup in its own instance's and in every other instance's cgroup",
    "command": ["/bin/sh", "-c",
                "own=$(sed -n 's|^0::/skillrun.slice/\\([^/]*\\).*|\\1|p' /proc/self/cgroup); "
                "for root in /sys/fs/cgroup/skillrun.slice /sys/fs/cgroup/unified/skillrun.slice; do "
                "for d in $root/skillrun@*.service; do [ -d \"$d\" ] || continue; "
                "if mkdir \"$d/probe-$$\" 2>/dev/null; then rmdir \"$d/probe-$$\"; r=writable; else r=denied; fi; "
                "if [ \"${d##*/}\" = \"$own\" ]; then echo \"own $r $d\"; else echo \"other $r $d\"; fi; "
                "done; done"],
    "policy": "none", "input": "none"})
# /dev/shm as skillrun.skill(5) suggests it, for POSIX shared memory and semaphores
inst.skill("shm", {
    "description": "lists /dev/shm, then leaves a file there named after its run",
    "command": ["/bin/sh", "-c", "ls -A /dev/shm; echo x > /dev/shm/run-$SKILLRUN_RUN_ID && echo wrote"],
    "policy": "permissive", "write_paths": ["/dev/shm"], "input": "none"})
inst.write(helpers + "/journalflood.py", """import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"MESSAGE=journalflood %d\\n" % i, "/run/systemd/journal/socket")
print("sent", sys.argv[1], flush=True)
""")
inst.skill("journalflood", {
    "description": "writes to the journal itself, more than journald's rate limit lets through",
    "command": ["/usr/bin/python3", helpers + "/journalflood.py", "150000"], "input": "none"})
inst.skill("sleeper", {"command": ["/bin/sleep", "20"], "input": "none", "timeout_ms": 25000})
inst.skill("cionly", {"command": ["/bin/true"], "input": "none", "tokens": ["ci"]})
inst.skill("trapterm", {
    "description": "ends on its own, with status 3, if it gets a SIGTERM",
    "command": ["/bin/sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo trapterm ready; sleep 30 & wait"],
    "input": "none"})

inst.skill("bulky", {
    "description": "an answer of about 6 MB (a million NUL bytes, each written as \\u0000)",
    "command": ["/usr/bin/head", "-c", "1000000", "/dev/zero"], "input": "none"})

inst.dropin("skillrun.socket", "test", "[Socket]\nListenStream=\nListenStream=127.0.0.1:%d\n" % port)
# The test skills live in the installed configuration directory; the ceilings are raised
# far above the unit's MemoryMax=/TasksMax= so that the hostile skills meet the unit's
# limits, not skillrun's own.
inst.dropin("skillrun@.service", "test",
            "[Service]\nEnvironment=SKILLRUN_SKILLS_DIR=%s/skills\n"
            "Environment=SKILLRUN_TASKS_MAX=100000 SKILLRUN_MEMORY_MAX=16G\n"
            # a sanitizer build: LeakSanitizer needs ptrace, which the unit's filter denies
            "Environment=ASAN_OPTIONS=detect_leaks=0\n" % inst.confdir)
inst.target("skillrun-test.target", ["skillrun.socket"])

sdm = sd.Systemd(os.path.join(work, "sd"), inst.payload)
try:
    t0 = time.time()
    sdm.start()
    print("# systemd booted in %.1fs, port %d" % (time.time() - t0, port))

    # --- the installed units themselves
    unitdir = "/etc/systemd/system" if inst.relocated else inst.unitdir
    rc, out = sdm.run("systemd-analyze", "verify", "--man=no", unitdir + "/skillrun.socket",
                      unitdir + "/skillrun@.service", unitdir + "/skillrun.slice")
    ok(rc == 0 and out.strip() == "", "systemd-analyze verify: installed units are clean", out)
    ok(sdm.show("skillrun.socket", "ActiveState") == "active", "skillrun.socket is active")
    ok(sdm.show("skillrun.socket", "Accept") == "yes", "Accept=yes")
    ok(sdm.show("skillrun.socket", "MaxConnections") == "32" and
       sdm.show("skillrun.socket", "MaxConnectionsPerSource") == "8", "MaxConnections=32, MaxConnectionsPerSource=8")
    ok(sdm.show("skillrun.socket", "TriggerLimitBurst") == "5000", "trigger limit raised")
    ok(sdm.show("skillrun.slice", "TasksMax") == str(32 * 96),
       "skillrun.slice TasksMax= fits MaxConnections=32 instances of TasksMax=96 (%s)" % sdm.show("skillrun.slice", "TasksMax"))

    # --- HTTP through systemd
    r = sd.request(port, "GET", "/healthz")
    ok(r.status == 200 and (body_json(r) or {}).get("status") == "ok", "GET /healthz answers 200 through systemd",
       r.raw[:500])
    ok(r.headers.get("connection") == "close", "Connection: close")

    r = sd.request(port, "GET", "/v1/info", token=TOKEN)
    ok(r.status == 200 and "limits" in (body_json(r) or {}), "credential token accepted (GET /v1/info 200)", r.raw[:500])
    info_cgroup = ((body_json(r) or {}).get("features") or {}).get("cgroup")
    # `skillrun check` on the host (as root here) names the mode of its own process; it must
    # also tell the one a worker under the unit gets, which GET /v1/info reports
    import subprocess
    p = subprocess.run([os.path.join(top_builddir, "skillrun"), "check"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True,
                       env=dict(os.environ, SKILLRUN_CONFIG=inst.path(inst.confdir + "/skillrun.conf"),
                                SKILLRUN_SKILLS_DIR=inst.path(inst.confdir + "/skills")))
    m = re.search(r'^kernel: .*"cgroup":"([a-z0-9]+)"', p.stdout, re.M)
    own = m.group(1) if m else None
    ok(info_cgroup and (own == info_cgroup or re.search(r'^warning: kernel: cgroup "%s" .* a worker under '
                                                        r'skillrun@\.service gets "%s"' % (own, info_cgroup),
                                                        p.stdout, re.M)),
       "skillrun check names the cgroup mode GET /v1/info reports under the unit (%s; check's own: %s)"
       % (info_cgroup, own), p.stdout)
    r = sd.request(port, "GET", "/v1/info", token=sd.make_token())
    ok(r.status == 401 and r.headers.get("www-authenticate", "").startswith("Bearer"), "unknown token refused (401)",
       r.raw[:500])
    r = sd.request(port, "GET", "/v1/info")
    ok(r.status == 401, "missing token refused (401)", r.raw[:300])
    r = sd.request(port, "POST", "/v1/skills/cionly/run", token=OTHER, body={})
    ok(r.status == 403, "second credential token known, not allowed for a ci-only skill (403)", r.raw[:300])

    # --- one instance per connection, DynamicUser, what the unit enforces
    runs = []
    for _ in range(2):
        r = sd.request(port, "POST", "/v1/skills/whoami/run", token=TOKEN, body={})
        runs.append((r, body_json(r) or {}))
    r, res = runs[0]
    ok(r.status == 200 and res.get("outcome") == "ok", "a skill runs through systemd", r.raw[:800])
    lines = res.get("stdout", "").splitlines()
    uid = int(lines[0]) if lines and lines[0].isdigit() else -1
    ok(61184 <= uid <= 65519, "DynamicUser: the skill runs as a dynamic uid (%d), not root" % uid, res.get("stdout"))
    units = []
    for _, rr in runs:
        m = re.search(r"^0::/skillrun\.slice/(skillrun@[^/\s]+\.service)", rr.get("stdout", ""), re.M)
        units.append(m.group(1) if m else None)
    ok(None not in units and units[0] != units[1], "one skillrun@ instance per connection, in skillrun.slice: %s" % units,
       runs[1][1].get("stdout"))
    out = res.get("stdout", "")
    ok("NoNewPrivs:\t1" in out and "Seccomp:\t2" in out and "CapEff:\t0000000000000000" in out,
       "skill has no_new_privs, a seccomp filter and no capabilities", out)
    ok(len(lines) > 1 and lines[1] == "/run/skillrun/skillrun-%s" % res.get("run_id"),
       "work directory is in the instance's private tmpfs (%s)" % (lines[1] if len(lines) > 1 else None), out)
    run_id = res.get("run_id")

    r = sd.request(port, "POST", "/v1/skills/readtokens/run", token=TOKEN, body={})
    res = body_json(r) or {}
    ok(r.status == 200 and TOKEN not in res.get("stdout", "") and TOKEN not in res.get("stderr", ""),
       "a permissive skill reads neither the token file nor the credential", r.raw[:800])

    # concurrent connections are separate instances, none of them root
    held = [sd.hold(port) for _ in range(3)]
    time.sleep(1.0)
    rc, out = sdm.run("systemctl", "list-units", "--no-legend", "--plain", "--state=active", "skillrun@*")
    active = [l.split()[0] for l in out.splitlines() if l.startswith("skillrun@")]
    ok(len(active) == 3, "3 open connections = 3 active skillrun@ instances", out)
    rc, out = sdm.run("sh", "-c", "for u in $(systemctl list-units --no-legend --plain 'skillrun@*' | cut -d' ' -f1); "
                      "do systemctl show -p MainPID --value $u; done | xargs -r -n1 sh -c 'stat -c %u /proc/$0'")
    uids = out.split()
    ok(len(uids) == 3 and all(61184 <= int(u) <= 65519 for u in uids),
       "every instance runs as the dynamic user: %s" % uids, out)
    # instances share the dynamic uid, so ownership does not keep one instance out of another's
    # delegated cgroup: only the unit's ReadWritePaths= can (cgroup.kill, cgroup.freeze, ...)
    r = sd.request(port, "POST", "/v1/skills/cgprobe/run", token=TOKEN, body={})
    res = body_json(r) or {}
    lines = res.get("stdout", "").splitlines()
    others = [l for l in lines if l.startswith("other ")]
    ok(r.status == 200 and others and all(l.startswith("other denied ") for l in others)
       and any(l.startswith("own writable ") for l in lines),
       "an instance can make cgroups in its own delegated cgroup only, not in the %d other instances'" % len(others),
       r.raw[:1500])
    # /dev/shm is the instance's own too: the host's would hand one run's files to the next
    # runs' skills and keep them, charged to skillrun.slice, until no instance is left (the held
    # connections keep the dynamic user, and so RemoveIPC= from removing them, here)
    shm = []
    for _ in range(2):
        r = sd.request(port, "POST", "/v1/skills/shm/run", token=TOKEN, body={})
        shm.append((r, body_json(r) or {}))
    (r1, res1), (r2, res2) = shm
    rc, out = sdm.run("sh", "-c", "ls -A /dev/shm")
    ok(r1.status == 200 and res1.get("stdout") == "wrote\n" and r2.status == 200
       and res2.get("stdout") == "wrote\n" and out.strip() == "",
       "a skill's /dev/shm is its instance's own: empty for the next run, not the host's",
       "first: %r\nsecond: %r\nhost /dev/shm: %r" % (res1.get("stdout"), res2.get("stdout"), out))
    for s in held:
        s.close()
    rc, out = sdm.run("sh", "-c", "ls -A /run/skillrun 2>/dev/null")
    ok(out.strip() == "", "no work directory is visible outside the instances", out)

    # --- journal record of a run
    rec = journal_record(sdm, "SKILLRUN_SKILL=whoami", lambda j: j.get("SKILLRUN_RUN_ID") == run_id)
    ok(rec is not None and rec.get("SKILLRUN_STATUS") == "200" and rec.get("SKILLRUN_TOKEN_NAME") == "ci"
       and rec.get("SKILLRUN_OUTCOME") == "ok" and rec.get("_SYSTEMD_UNIT", "").startswith("skillrun@"),
       "journalctl SKILLRUN_SKILL=whoami finds the run's record (run_id %s)" % run_id, json.dumps(rec))
    ok(rec is not None and TOKEN not in json.dumps(rec), "the journal record does not contain the token")

    # an error answer: its reason as a field of its own, at notice priority
    r = sd.request(port, "GET", "/v1/skills/no-such-skill", token=TOKEN)
    ok(r.status == 404, "GET of an unknown skill: 404", r.status)
    rec = journal_record(sdm, "SKILLRUN_PATH=/v1/skills/no-such-skill")
    ok(rec is not None and rec.get("SKILLRUN_STATUS") == "404" and rec.get("PRIORITY") == "5"
       and "no-such-skill" in rec.get("SKILLRUN_ERROR", "") and rec.get("SYSLOG_IDENTIFIER") == "skillrun"
       and rec.get("MESSAGE", "").startswith("GET /v1/skills/no-such-skill → 404"),
       "the 404's record has SKILLRUN_ERROR, PRIORITY 5 and its MESSAGE", json.dumps(rec))

    # a skill reaches journald too (landlock does not govern connecting to a named socket): one
    # that sends more than the burst journald lets through per unit must not have the worker's
    # record of its run dropped
    r = sd.request(port, "POST", "/v1/skills/journalflood/run", token=TOKEN, body={}, timeout=60)
    res = body_json(r) or {}
    flood_id = res.get("run_id")
    rec = journal_record(sdm, "SKILLRUN_SKILL=journalflood", lambda j: j.get("SKILLRUN_RUN_ID") == flood_id)
    ok(r.status == 200 and res.get("stdout") == "sent 150000\n" and rec is not None
       and rec.get("SKILLRUN_OUTCOME") == "ok",
       "a skill that floods the journal does not suppress its run's record", r.raw[:600])

    # --- what a client that sends nothing costs (skillrun.socket's DeferAcceptSec=5s): systemd gets
    # the connection only once data came, the client closed it (a port scan's connect and close
    # starts a worker, which finds nothing to read), or the kernel gave up deferring it (its SYN-ACK
    # retransmissions: 7 s), and its worker then waits read_timeout_ms for a request
    wait_idle()
    accepted0 = int(sdm.show("skillrun.socket", "NAccepted") or 0)
    silent = socket.socket()
    silent.connect(("127.0.0.1", port))
    time.sleep(3)
    held_back = int(sdm.show("skillrun.socket", "NAccepted") or 0) - accepted0
    silent.close()
    for _ in range(30):
        on_close = int(sdm.show("skillrun.socket", "NAccepted") or 0) - accepted0
        if on_close:
            break
        time.sleep(0.1)
    ok(held_back == 0 and on_close == 1,
       "a silent connection reaches systemd not in 3 s (DeferAcceptSec=5s) but once it is closed (%d, then %d)"
       % (held_back, on_close))

    # --- MaxConnectionsPerSource= / MaxConnections=
    wait_idle()
    before = int(sdm.show("skillrun.socket", "NRefused") or 0)
    conns = []
    for _ in range(8):
        conns.append(sd.hold(port, "127.0.0.1"))
        time.sleep(0.05)
    extra = sd.hold(port, "127.0.0.1")
    ok(sd.refused(extra), "9th connection from one source refused (MaxConnectionsPerSource=8)")
    ok(not any(sd.refused(c, 0.05) for c in conns), "the first 8 from that source are held by workers")
    for src in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        for _ in range(8):
            conns.append(sd.hold(port, src))
            time.sleep(0.05)
    time.sleep(0.5)
    over = sd.hold(port, "127.0.0.5")
    ok(sd.refused(over), "33rd connection refused (MaxConnections=32)")
    refused_n = int(sdm.show("skillrun.socket", "NRefused") or 0) - before
    ok(refused_n == 2, "NRefused counted both (%d)" % refused_n)
    for c in conns + [extra, over]:
        c.close()
    wait_idle()   # systemd stops the 32 instances one by one; until then new ones are refused

    # --- per-instance TasksMax=/MemoryMax= meet a hostile skill
    # Only where this systemd has the memory and pids controllers: on a cgroup v2 host the
    # test's own cgroup delegates none (its processes keep it from enabling any for the child
    # it boots in), so nothing would hold the units, and the memory hog would take its
    # 1600 MiB from the host (a global OOM on a small one).
    limits_held = enforced_controllers(sdm)
    if limits_held is not True:
        skip("the unit's TasksMax=/MemoryMax= against hostile skills: %s" % limits_held)
        skip("(memory hog)")
    else:
        hostile_skills()

    # --- a burst of bad requests leaves no failed instance, sustained load no failed socket
    mark = len(sdm.console())
    bad = [(dict(raw=b"garbage\r\n\r\n"), 400),
           (dict(method="GET", path="/nope", token=TOKEN), 404),
           (dict(method="GET", path="/v1/skills"), 401),
           (dict(method="DELETE", path="/healthz"), 405),
           (dict(method="POST", path="/v1/skills/whoami/run", token=TOKEN, body=b"{not json"), 400),
           (dict(method="POST", path="/v1/skills/nosuch/run", token=TOKEN, body={}), 404),
           (dict(method="POST", path="/v1/skills/true/run", token=TOKEN, raw=None,
                 headers={"Content-Length": "999999999"}), 413)]

    def one(i):
        # a source address per client thread: a finished instance still counts against
        # MaxConnectionsPerSource= until systemd has processed its exit
        kw, want = bad[i % len(bad)]
        return sd.request(port, src="127.0.1.%d" % (1 + i % 6), **kw).status, want
    with ThreadPoolExecutor(6) as ex:
        got = list(ex.map(one, range(70)))
    wrong = [g for g in got if g[0] != g[1]]
    ok(not wrong, "70 bad requests all got their 4xx", wrong[:10])
    # a flood well above 100 connections/s for over 2 s: with the default trigger limit
    # (200 per 2 s) systemd would put the socket into a failed state
    flood, t0 = [], time.time()
    for i in range(600):
        try:
            s = socket.socket()
            s.bind(("127.0.0.%d" % (10 + i % 50), 0))
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            flood.append(s)
        except OSError:
            s.close()
    rate = len(flood) / (time.time() - t0)
    for s in flood:
        s.close()
    ok(len(flood) == 600, "600 connections accepted by the kernel")
    # the flood's rate is the premise, not a result: a busy host may not reach it
    if rate > 100:
        print("# the flood ran at %.0f connections/s" % rate, flush=True)
    else:
        skip("the flood reached only %.0f/s: it did not test the trigger limit" % rate)
    wait_idle()
    time.sleep(1.0)
    failed_logs = [l for l in sdm.console()[mark:].splitlines()
                   if re.search(r"skillrun@.*(Failed with result|status=[1-9])", l)]
    ok(not failed_logs, "no skillrun@ instance failed during the bursts", "\n".join(failed_logs[:10]))
    rc, out = sdm.run("systemctl", "list-units", "--failed", "--no-legend", "--plain")
    ok(out.strip() == "", "systemctl list-units --failed is empty", out)
    ok(sdm.show("skillrun.socket", "ActiveState") == "active" and sdm.show("skillrun.socket", "Result") == "success",
       "skillrun.socket still active after sustained load (trigger limit not hit)")

    # --- contrib/proxy/skillrun-behind-proxy.conf: a proxy on this host (every connection from
    # one address) may use all of MaxConnections=, not the per-source 8
    import base64
    with open(os.path.join(sd.HERE, "..", "..", "contrib", "proxy", "skillrun-behind-proxy.conf"), "rb") as f:
        dropin = base64.b64encode(f.read()).decode()
    rc, out = sdm.run("sh", "-c", "mkdir -p /etc/systemd/system/skillrun.socket.d && echo %s | base64 -d > "
                      "/etc/systemd/system/skillrun.socket.d/behind-proxy.conf && systemctl daemon-reload" % dropin)
    ok(rc == 0 and sdm.show("skillrun.socket", "MaxConnectionsPerSource") == "32",
       "behind-proxy drop-in loaded: MaxConnectionsPerSource=32", out)
    wait_idle()
    conns = []
    for _ in range(12):
        conns.append(sd.hold(port, "127.0.0.1"))
        time.sleep(0.05)
    ok(not any(sd.refused(c, 0.05) for c in conns), "12 connections from one source held by workers")
    for c in conns:
        c.close()
    rc, out = sdm.run("sh", "-c", "rm /etc/systemd/system/skillrun.socket.d/behind-proxy.conf && "
                      "systemctl daemon-reload")
    wait_idle()

    # --- a stop while a skill runs is the worker's to carry out (skillrun(8)): systemd signals
    # the worker only (KillMode=mixed), which kills the run and answers "killed". With systemd's
    # default KillMode=control-group the skill got the SIGTERM as well, and one that handles it
    # could end on its own first, reported as its own outcome. To take the race out, the worker
    # is frozen while systemd sends its signals, in a cgroup of its own that systemd does not
    # freeze: a v1 freezer one, or where this systemd has cgroup v2 only (systemd 258 and later
    # on any host, older ones on a v2 host) a child of the instance's delegated cgroup, frozen
    # with cgroup.freeze (no controller needed), the worker still in the unit.
    rc, out = sdm.run("sh", "-c", "test -d /sys/fs/cgroup/freezer && echo v1 || stat -fc %T /sys/fs/cgroup")
    freezer = out.strip()
    if freezer not in ("v1", "cgroup2fs"):
        skip("a stop reaches the worker only: neither a v1 freezer hierarchy nor cgroup v2 (%s) to hold "
             "the worker with" % (freezer or "?"))
    else:
        wait_idle()
        hold = ""
        with ThreadPoolExecutor(1) as ex:
            fut = ex.submit(sd.request, port, "POST", "/v1/skills/trapterm/run", token=TOKEN, body={}, timeout=30)
            unit = ""
            for _ in range(100):
                rc, out = sdm.run("sh", "-c", "pgrep -f '^sleep 30$' >/dev/null && "
                                  "systemctl list-units --no-legend --plain 'skillrun@*' | cut -d' ' -f1")
                if out.strip():
                    unit = out.split()[0]
                    break
                time.sleep(0.1)
            if freezer == "v1":
                hold = "/sys/fs/cgroup/freezer/sdtest-hold"
            elif unit:
                hold = "/sys/fs/cgroup%s/sdtest-hold" % sdm.show(unit, "ControlGroup")
            frozen, thawed = ("freezer.state", ("FROZEN", "THAWED")) if freezer == "v1" else ("cgroup.freeze", ("1", "0"))
            rc, out = sdm.run("sh", "-c", "d='%s'; mkdir $d && echo %s > $d/cgroup.procs && echo %s > $d/%s && "
                              "systemctl stop --no-block %s && sleep 0.5; echo %s > $d/%s"
                              % (hold or "/nonexistent", sdm.show(unit, "MainPID") if unit else "none", thawed[0],
                                 frozen, unit, thawed[1], frozen))
            r = fut.result()
        res = body_json(r) or {}
        ok(unit and rc == 0 and r.status == 200 and res.get("outcome") == "killed"
           and "got TERM" not in res.get("stdout", ""),
           "systemctl stop of an instance (worker held in a %s freezer): the worker kills the run, the skill gets no "
           "SIGTERM of systemd's (outcome %s)" % ("v1" if freezer == "v1" else "cgroup v2", res.get("outcome")),
           out + r.raw[:600].decode(errors="replace"))
        wait_idle()
        if hold:
            sdm.run("rmdir", hold)

    # --- a stop while a slow client takes the answer (skillrun(8)): the client gets kill_grace_ms
    # more, then the request is logged and the worker ends on its own. Waiting for the rest of
    # read_timeout_ms (10 s) instead, it met systemd's SIGKILL at TimeoutStopSec=5s first, and
    # the record was lost.
    wait_idle()
    mark = len(sdm.console())
    body = b"{}"
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.settimeout(20)
    c.connect(("127.0.0.1", port))
    c.sendall(("POST /v1/skills/bulky/run HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (TOKEN, len(body))).encode() + body)
    head = c.recv(12)  # the answer has begun, and the client takes no more of it for now
    rc, out = sdm.run("systemctl", "list-units", "--no-legend", "--plain", "skillrun@*")
    unit = out.split()[0] if out.strip() else ""
    t0 = time.time()
    rc, out = sdm.run("systemctl", "stop", unit or "none", timeout=30)
    took = time.time() - t0
    c.close()
    rec = journal_record(sdm, "SKILLRUN_SKILL=bulky", lambda j: j.get("_SYSTEMD_UNIT") == unit)
    killed = [l for l in sdm.console()[mark:].splitlines() if unit and unit in l and "SIGKILL" in l]
    ok(head == b"HTTP/1.1 200" and unit and rc == 0 and rec and not killed
       and rec.get("SKILLRUN_ERROR", "").startswith("told to stop while the client was taking the answer"),
       "systemctl stop during a slow answer: cut short after kill_grace_ms and logged, no SIGKILL (%.1fs)" % took,
       "head %r, unit %r, record %r, console %r, %s" % (head, unit, rec, killed, out))
    wait_idle()

    # --- RuntimeMaxSec= backstop (last: it needs a daemon-reload with a shorter limit)
    rc, out = sdm.run("sh", "-c", "mkdir -p /etc/systemd/system/skillrun@.service.d && printf '[Service]\\n"
                      "RuntimeMaxSec=3\\n' > /etc/systemd/system/skillrun@.service.d/zz-runtime.conf && "
                      "systemctl daemon-reload")
    ok(rc == 0, "drop-in RuntimeMaxSec=3 loaded", out)
    mark = len(sdm.console())
    t0 = time.time()
    r = sd.request(port, "POST", "/v1/skills/sleeper/run", token=TOKEN, body={}, timeout=30)
    took = time.time() - t0
    # systemd's SIGTERM ends the run, not the worker: the client still gets the result
    res = body_json(r) or {}
    ok(r.status == 200 and res.get("outcome") == "killed" and 2.8 <= took < 15,
       "RuntimeMaxSec=3 stops a 20 s skill run with a 25 s timeout, answered 'killed' after %.1fs" % took,
       r.raw[:300])
    time.sleep(0.5)
    log = sdm.console()[mark:]
    ok(re.search(r"skillrun@.*runtime time limit", log) is not None and
       re.search(r"skillrun@.*Failed with result 'timeout'", log) is not None,
       "systemd logged the runtime limit and the failed instance", log[-2000:])
    rc, out = sdm.run("sh", "-c", "pgrep -x sleep || true")
    ok(out.strip() == "", "no skill process survives the stopped instance", out)

    # every record the workers sent names its unit: a worker stays until journald has read its
    # datagram, else journald finds no process to learn the unit from (systemd#2913), and
    # `journalctl -u 'skillrun@*'` misses the record
    recs = journal_entries(sdm, "SYSLOG_IDENTIFIER=skillrun", "_TRANSPORT=journal")
    unitless = [r.get("MESSAGE") for r in recs if not r.get("_SYSTEMD_UNIT", "").startswith("skillrun@")]
    ok(len(recs) >= 10 and not unitless,
       "all %d request records name their skillrun@ unit (%d do not)" % (len(recs), len(unitless)), unitless[:5])
    # ...and the comment datagram a worker sends after its record, to learn when journald is done
    # with it, is no entry of its own (the workers' entries only: journalflood's are its skill's)
    extra = [json.dumps(j)[:300] for j in journal_entries(sdm, "_TRANSPORT=journal", "_COMM=skillrun")
             if j.get("_SYSTEMD_UNIT", "").startswith("skillrun@") and j.get("SYSLOG_IDENTIFIER") != "skillrun"]
    ok(not extra, "the workers' native-protocol entries are their request records only (%d others)" % len(extra),
       extra[:3])

    # --- listening elsewhere as skillrun(8) and skillrun.socket say: a drop-in, then a restart
    # of the socket. After the reload alone, systemd shows the new address but listens on none
    # (which is why the documentation asks for the restart).
    def answers(p):
        try:
            return sd.request(p, "GET", "/healthz", timeout=5).status
        except OSError as e:
            return e.__class__.__name__
    new_port = sd.free_port()
    rc, out = sdm.run("sh", "-c", "printf '[Socket]\\nListenStream=\\nListenStream=127.0.0.1:%d\\n' > "
                      "/etc/systemd/system/skillrun.socket.d/zz-listen.conf && systemctl daemon-reload"
                      % new_port)
    listen = sdm.show("skillrun.socket", "Listen")
    before = (answers(port), answers(new_port))
    ok(rc == 0 and str(new_port) in listen and before == ("ConnectionRefusedError", "ConnectionRefusedError"),
       "after a reload alone the socket shows 127.0.0.1:%d but listens on neither port (%s)" % (new_port, before),
       out + listen)
    rc, out = sdm.run("systemctl", "restart", "skillrun.socket")
    after = (answers(port), answers(new_port))
    ok(rc == 0 and after == ("ConnectionRefusedError", 200),
       "after systemctl restart skillrun.socket it listens on the new address only (%s)" % (after,), out)
finally:
    sdm.stop()
    if failed:
        keep = os.path.join(top_builddir, "tests", "systemd", "console.log")
        os.makedirs(os.path.dirname(keep), exist_ok=True)
        with open(keep, "w") as f:
            f.write(sdm.console())
        print("# console log of the test systemd kept in " + keep)
    shutil.rmtree(work, ignore_errors=True)

print("1..%d" % n)
sys.exit(1 if failed else 0)
