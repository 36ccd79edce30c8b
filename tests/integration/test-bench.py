#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The benchmarks still run: bench/core-latency and bench/policy-cost on a few requests each,
# and bench/sandbox-floor on its own. No figure is asserted (timings belong to benchmarks run
# by hand), only that every worker answered, that each prints the rows and ratios it promises,
# and that the sandbox floor leaves no work dir or cgroup behind and refuses to measure less
# when a step fails.
import os
import pwd
import re
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import Skip, build_request, landlock_abi, main, parse_responses, recv_all, skillrun_bin, \
    socket_activate_bin  # noqa: E402

ROW = r"^%s\s+%d\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+$"


def python3():
    return os.environ.get("PYTHON3") or sys.executable


def builddir_program(name):
    path = os.path.join(os.environ.get("top_builddir", os.getcwd()), "bench", name)
    if not os.access(path, os.X_OK):
        raise Skip("%s not built" % path)
    return path


def bench_script(name):
    return os.path.join(os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", "..")),
                        "bench", name)


def run_bench(args):
    p = subprocess.run([python3(), bench_script("core-latency")] + args, capture_output=True, text=True,
                       timeout=300)
    return p.returncode, p.stdout + p.stderr


def check_core_latency(tap, what, args, workers):
    rc, out = run_bench(args)
    tap.is_(rc, 0, "%s: core-latency exits 0" % what, out)
    for c in (1, 2):
        for name in workers:
            tap.ok(re.search(ROW % (re.escape(name), c), out, re.M),
                   "%s: a %s row at concurrency %d" % (what, name, c), out)
        tap.ok(re.search(r"^ratio p50 skillrun/floor at concurrency %d: [0-9.]+, skillrun adds [-+][0-9.]+ ms"
                         % c, out, re.M), "%s: the skillrun/floor ratio at concurrency %d" % (what, c), out)
        split = re.search(r"^  of which the required kernel steps \(sandbox-floor/floor\): [0-9.]+, [-+][0-9.]+ ms; "
                          r"skillrun's own: [-+][0-9.]+ ms$", out, re.M)
        tap.is_(bool(split), "sandbox-floor" in workers, "%s: the sandbox floor's split printed iff it ran" % what)
    return out


def own_cgroup_dirs():
    """Our own cgroup in every hierarchy mounted under /sys/fs/cgroup, as directories."""
    dirs = []
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(",") if ctrls else ["", "unified"]:
                d = os.path.join("/sys/fs/cgroup", c.replace("name=", ""), path.lstrip("/"))
                if os.path.isdir(d):
                    dirs.append(d)
    return dirs


def leftovers(dirs):
    out = []
    for d in dirs:
        try:
            out += [os.path.join(d, e) for e in os.listdir(d) if e.startswith("sandbox-floor-")]
        except OSError:
            pass
    return out


def nobody_can_run(path):
    pw = pwd.getpwnam("nobody")
    return subprocess.run(["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups",
                           "test", "-x", path]).returncode == 0


def sandbox_floor_inetd(prog, work):
    """sandbox-floor with the connection on stdin, as under --inetd; returns (response, status)."""
    a, b = socket.socketpair()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SKILLRUN_WORK_DIR": work}
    p = subprocess.Popen([prog], stdin=b.fileno(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    b.close()
    a.sendall(build_request("POST", "/v1/skills/true/run", body=b"{}", token="x" * 43))
    data = recv_all(a)
    a.close()
    p.wait(timeout=30)
    return data, p.returncode


def check_worker_ab(tap, skillrun, floor):
    """bench/worker-ab: a row per worker, the first its baseline; a worker that does not answer
    200 stops it with the driver's reason."""
    driver = builddir_program("ab-driver")
    script = bench_script("worker-ab")
    p = subprocess.run([python3(), script, "-n", "20", "--driver", driver, floor, skillrun],
                       capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    tap.is_(p.returncode, 0, "worker-ab exits 0", out)
    # p25 p50 p75, the p50 difference and ratio, the peak RSS in KiB and its ratio, the CPU time
    # in microseconds and its ratio, the time from the answer to the exit
    row = (r"(?m)^%s\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+\s+%s\s+%s\s+([0-9]+)\s+%s\s+([0-9]+)\s+%s\s+([0-9]+)$")
    tap.like(out, row % (re.escape(floor[-40:]), r"\+0\.0", r"1\.000", r"1\.000", r"1\.000"),
             "worker-ab: the baseline's row")
    any4 = (r"[-+][0-9.]+", r"[0-9.]+", r"[0-9.]+", r"[0-9.]+")
    tap.like(out, row % ((re.escape(skillrun[-40:]),) + any4), "worker-ab: skillrun's row")
    got = [m.groups() for w in (floor, skillrun) for m in [re.search(row % ((re.escape(w[-40:]),) + any4), out)] if m]
    rss = [int(g[0]) for g in got]
    tap.ok(len(rss) == 2 and all(100 < kb < 1 << 20 for kb in rss), "worker-ab: each peak RSS is some KiB, not 0", rss)
    # a worker and its /bin/true take some CPU time, not none and not seconds
    cpu = [int(g[1]) for g in got]
    tap.ok(len(cpu) == 2 and all(0 < us < 5000000 for us in cpu), "worker-ab: each CPU time is some microseconds",
           cpu)
    # /bin/false answers nothing: exit status 1 and the driver says which worker
    p = subprocess.run([python3(), script, "-n", "20", "--driver", driver, floor, "/bin/false"],
                       capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    tap.is_(p.returncode, 1, "worker-ab with a worker that does not answer: exit status 1", out)
    tap.contains(out, "ab-driver: /bin/false answered ''", "... and the driver names it")
    if os.geteuid() != 0 or not all(nobody_can_run(x) for x in (skillrun, floor)):
        tap.skip("worker-ab --user nobody: needs root, and programs nobody can run")
        return
    p = subprocess.run([python3(), script, "-n", "20", "--driver", driver, "--user", "nobody", floor, skillrun],
                       capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    tap.is_(p.returncode, 0, "worker-ab --user nobody exits 0", out)
    tap.contains(out, "as nobody without capabilities", "... and says how the workers ran")


def body(tap):
    skillrun = skillrun_bin()
    activate = socket_activate_bin()
    floor, sandbox_floor = builddir_program("floor"), builddir_program("sandbox-floor")
    common = ["--skillrun", skillrun, "--floor", floor, "--socket-activate", activate, "-n", "40"]

    # the sandbox floor alone: one answer, nothing left behind
    cgroups = own_cgroup_dirs()
    with tempfile.TemporaryDirectory(prefix="skillrun-test-bench-") as work:
        os.chmod(work, 0o711)
        before = leftovers(cgroups)
        data, rc = sandbox_floor_inetd(sandbox_floor, work)
        rs = parse_responses(data)
        tap.is_(len(rs), 1, "sandbox-floor: one response")
        tap.is_(rs[0].status if rs else None, 200, "sandbox-floor: 200", data[:300])
        tap.like(rs[0].body.decode() if rs else "", r'^\{"outcome":"ok","exit_code":0\}$',
                 "sandbox-floor: /bin/true ran and exited 0")
        tap.is_(rc, 0, "sandbox-floor: exit status 0")
        tap.is_(os.listdir(work), [], "sandbox-floor: its work dir is removed")
        left = [d for d in leftovers(cgroups) if d not in before]
        tap.is_(left, [], "sandbox-floor: its run cgroups are removed")
        for d in left:  # a failure above must not leave them to the next test
            try:
                os.rmdir(d)
            except OSError:
                pass

        # a step that fails answers 500, so that a benchmark stops instead of measuring less
        data, rc = sandbox_floor_inetd(sandbox_floor, os.path.join(work, "missing", "dir"))
        rs = parse_responses(data)
        tap.is_(rs[0].status if rs else None, 500, "sandbox-floor: a work dir it cannot make answers 500",
                data[:300])
        tap.is_(rc, 2, "sandbox-floor: and exits 2")

    out = check_core_latency(tap, "as we are", common + ["--sandbox-floor", sandbox_floor],
                             ["floor", "sandbox-floor", "skillrun"])
    tap.like(out, r"(?m)^worker\s+conc\s+p50 ms", "the table has its header")
    check_core_latency(tap, "--sandbox-floor no", common + ["--sandbox-floor", "no"], ["floor", "skillrun"])
    # another build to compare with, in the same run: here the same one
    out = check_core_latency(tap, "--baseline", common + ["--sandbox-floor", "no", "--baseline", skillrun],
                             ["floor", "skillrun", "baseline"])
    for c in (1, 2):
        tap.like(out, r"(?m)^  skillrun/baseline \(%s\) at concurrency %d: [0-9.]+, [-+][0-9.]+ ms$"
                 % (re.escape(skillrun), c), "--baseline: skillrun/baseline at concurrency %d" % c)
    rc, out = run_bench(common + ["--sandbox-floor", "no", "--baseline", os.path.join(os.path.dirname(floor), "missing")])
    tap.is_(rc, 1, "a baseline that is not there: exit status 1", out)
    tap.contains(out, "is not executable", "... and says which program")
    # it models a policy "none" run: next to another policy its split would mislead
    out = check_core_latency(tap, "--policy permissive", common + ["--sandbox-floor", sandbox_floor, "--policy",
                                                                     "permissive"], ["floor", "skillrun"])
    tap.contains(out, "left out for policy permissive", "--policy permissive: says why the sandbox floor is left out")
    rc, out = run_bench(common + ["--sandbox-floor", os.path.join(os.path.dirname(floor), "missing")])
    tap.is_(rc, 1, "a sandbox floor that is not there: exit status 1", out)
    tap.contains(out, "is not executable", "and says which program")

    if os.geteuid() != 0:
        tap.skip("--user nobody needs root")
    elif not all(nobody_can_run(p) for p in (skillrun, floor, sandbox_floor)):
        # tests/run-all.sh runs the suite from a copy nobody can reach; a bare make check may not
        tap.skip("--user nobody: nobody cannot run the programs from %s" % os.path.dirname(floor))
    else:
        check_core_latency(tap, "--user nobody", common + ["--sandbox-floor", sandbox_floor, "--user", "nobody"],
                           ["floor", "sandbox-floor", "skillrun"])

    check_worker_ab(tap, skillrun, floor)

    if landlock_abi() < 1:
        tap.skip("policy-cost: landlock is not enabled in this kernel")
        return
    landlock_floor = builddir_program("landlock-floor")
    p = subprocess.run([python3(), bench_script("policy-cost"), "--skillrun", skillrun, "-n", "20",
                        "--socket-activate", activate, "--landlock-floor", landlock_floor],
                       capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    tap.is_(p.returncode, 0, "policy-cost exits 0", out)
    for policy in ("none", "permissive", "restrictive"):
        tap.ok(re.search(r"(?m)^%s\s+[0-9.]+\s+[0-9.]+\s+[-+][0-9.]+$" % policy, out),
               "policy-cost: a %s row" % policy, out)


if __name__ == "__main__":
    main(body)
