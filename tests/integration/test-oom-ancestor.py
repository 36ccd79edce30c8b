#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# cgroup v1: the OOM event the supervisor polls (memory.oom_control through cgroup.event_control)
# also comes when an ancestor of the run's memory cgroup is out of memory, and then the process
# the OOM killer takes may be no process of the run. The run goes on as if nothing happened: no
# kill, outcome ok, and the supervisor stops looking for a kill after its watch, having read the
# event (an eventfd left readable would make its poll() return at once for the rest of the run).
# Root and a v1 memory hierarchy of our own that we can make a child in; skipped otherwise.
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import PY, Skip, Worker, main, py_skill, wait_for  # noqa: E402

MEMORY_V1 = "/sys/fs/cgroup/memory"


def own_memory_cgroup():
    """Our cgroup in the v1 memory hierarchy, or None."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if "memory" in controllers.split(","):
                    return MEMORY_V1 + path.rstrip("/")
    except (OSError, ValueError):
        pass
    return None


def body(tap):
    if os.geteuid() != 0:
        raise Skip("not root: no memory cgroup of the test's own")
    own = own_memory_cgroup()
    if not own or not os.path.exists(os.path.join(own, "cgroup.event_control")):
        raise Skip("no cgroup v1 memory hierarchy here")
    parent = os.path.join(own, "skillrun-test-oom-%d" % os.getpid())
    try:
        os.mkdir(parent)
    except OSError as e:
        raise Skip("cannot make a memory cgroup in %s: %s" % (own, e))

    def join():
        with open(os.path.join(parent, "cgroup.procs"), "w") as f:
            f.write("0")

    w = Worker(skills={"sleeper": py_skill("import time\ntime.sleep(3)\nprint('done')", memory_max="256M",
                                           timeout_ms=20000)})
    try:
        with open(os.path.join(parent, "memory.limit_in_bytes"), "w") as f:
            f.write(str(96 << 20))
        # skillrun run in the limited cgroup: the run's memory cgroup is made below it
        p = subprocess.Popen([w.bin, "run", "sleeper"], env=w.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, preexec_fn=join)
        runs = wait_for(lambda: [d for d in os.listdir(parent) if d.startswith("skillrun-run-")], timeout=10)
        tap.ok(runs, "the run's memory cgroup is below the limited one (%r)" % runs)
        # a process beside the run, not in it, takes the limited cgroup's memory: the OOM killer
        # takes it, the biggest, and the event reaches the run's cgroup too
        hog = subprocess.run([PY, "-I", "-S", "-c", "x = [b'x' * (1 << 20) for i in range(512)]"],
                             preexec_fn=join, capture_output=True, timeout=60)
        tap.is_(hog.returncode, -9, "the process beside the run is OOM-killed")
        _, status, usage = os.wait4(p.pid, 0)
        out, err = p.stdout.read(), p.stderr.read().decode(errors="replace")
        p.stdout.close()
        p.stderr.close()
        try:
            res = json.loads(out)
        except ValueError:
            res = {}
        tap.is_((status, res.get("outcome"), res.get("exit_code"), res.get("stdout")), (0, "ok", 0, "done\n"),
                "an ancestor's OOM that took no process of the run: the run goes on, outcome ok", err)
        cpu = usage.ru_utime + usage.ru_stime
        tap.ok(cpu < 0.5, "... and the supervisor did not spin on the event for the rest of the run "
               "(%.2f s of CPU in a 3 s run)" % cpu)
    finally:
        with open(os.path.join(parent, "cgroup.procs")) as f:
            left = f.read().split()
        for pid in left:
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        wait_for(lambda: not open(os.path.join(parent, "cgroup.procs")).read().strip(), timeout=10)
        for d in os.listdir(parent):
            if os.path.isdir(os.path.join(parent, d)):
                try:
                    os.rmdir(os.path.join(parent, d))
                except OSError:
                    pass
        os.rmdir(parent)
        w.stop(None, check=False)


main(body)
