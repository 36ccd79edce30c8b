#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Paths a kernel, a client or a skill can send the worker down that no other test takes (found by
# tests/coverage.sh): a kernel without pidfd_open(2) (before 5.3, or a seccomp filter that does
# not know it), where the supervisor polls waitpid() and the run cgroup's kill uses kill(2); a
# kernel without getrandom(2) for `skillrun token`; a skill that reads part of its input and
# exits; a directory an unprivileged worker's skill makes readable but not searchable, which
# workdir_max must still count; a process chain deeper than the supervisor's walk, and one of
# subreapers of a skill's own; a manifest that is a symlink loop; a work root whose file system
# has no Unix owners.
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (Skip, Worker, check_error, main, pid_alive, py_skill, sh_skill,  # noqa: E402
                           skillrun_bin, unused_uid, wait_for, wait_gone)


def strace_args(syscall, inject):
    strace = shutil.which("strace")
    if not strace:
        raise Skip("strace not installed (contrib/install-deps.sh --tests installs it)")
    args = [strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + syscall, "-e",
            "inject=%s:%s" % (syscall, inject)]
    if subprocess.run(args + ["true"], capture_output=True).returncode != 0:
        raise Skip("strace cannot inject faults here (no ptrace?)")
    return args


def no_pidfd(tap):
    """pidfd_open(2) answered ENOSYS: runs end as they do with it, a timeout too."""
    w = Worker(skills={"echo": sh_skill("echo hi", input="none"),
                       # what it leaves out of its group holds stdout open: killed as the skill
                       # ends, by the walk of the worker's descendants and the run cgroup's kill
                       "leave": sh_skill("setsid sleep 30 & echo $!", input="none"),
                       # ignores SIGTERM: SIGKILL after the grace, the run cgroup's kill among it
                       "sleep": sh_skill("trap '' TERM; echo $$; exec sleep 30", input="none", timeout_ms=300)},
               settings={"kill_grace_ms": 100}, inetd=True)
    w.under_strace("pidfd_open", "error=ENOSYS").start()

    t = time.monotonic()
    r = w.run("echo", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", "hi\n"),
            "no pidfd: a skill runs", "body: %r" % r.body[:500])
    tap.ok(time.monotonic() - t < 5, "... and its end is noticed (%.2fs)" % (time.monotonic() - t))

    r = w.run("leave", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome")), (200, "ok"), "no pidfd: a skill that leaves a process behind: ok",
            "body: %r" % r.body[:500])
    left = int((j.get("stdout") or "0").strip() or 0)
    tap.ok(left > 0 and wait_for(lambda: not pid_alive(left), 3), "... which is killed")

    r = w.run("sleep", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("signal")), (200, "timeout", "SIGKILL"),
            "no pidfd: a skill that ignores SIGTERM is killed at its timeout", "body: %r" % r.body[:500])
    pid = int((j.get("stdout") or "0").strip() or 0)
    tap.ok(pid > 0 and not pid_alive(pid), "... and gone")
    tap.ok(j.get("duration_ms", 99999) < 5000, "... soon (%s ms)" % j.get("duration_ms"))
    w.stop(tap)


def no_getrandom(tap):
    """`skillrun token` when getrandom(2) is interrupted, or missing."""
    bin_ = skillrun_bin()
    # LeakSanitizer cannot stop the world under ptrace (as in Worker.under_strace)
    env = dict(os.environ, ASAN_OPTIONS=":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"])))
    p = subprocess.run(strace_args("getrandom", "error=EINTR:when=1") + [bin_, "token", "ci"], capture_output=True,
                       env=env)
    out = p.stdout.decode()
    tap.ok(p.returncode == 0 and out.startswith("ci:") and len(out.strip()) == len("ci:") + 44,
           "getrandom interrupted once: tried again, a 44-character token", repr((p.returncode, out, p.stderr)))
    p = subprocess.run(strace_args("getrandom", "error=ENOSYS") + [bin_, "token", "ci"], capture_output=True, env=env)
    tap.is_((p.returncode, p.stdout), (1, b""), "no getrandom: exit 1, no token")
    tap.contains(p.stderr.decode(), "Failed to generate a token: Function not implemented",
                 "... and stderr says why")


def partial_reader(tap):
    """A skill that reads 10 bytes of a 500 kB input and exits: the rest of the input is dropped
    (the write fails with EPIPE, SIGPIPE ignored), the run is the skill's own."""
    w = Worker(skills={"head": py_skill("import sys; print(len(sys.stdin.buffer.read(10)))")}).start()
    for i in range(3):
        r = w.run("head", {"stdin": "x" * 500000})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", "10\n"),
                "a skill that reads 10 bytes of 500 kB of input: ok (%d)" % i, "body: %r" % r.body[:500])
    w.stop(tap)


def unsearchable_dir(tap):
    """Under DynamicUser= the skill has the worker's uid and the worker no DAC capability: a
    directory the skill makes readable but not searchable gets its search bit back from the
    worker, so that what is in it is counted, not taken for over workdir_max."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        tap.skip("an unprivileged worker needs root and setpriv to be started")
        return
    w = Worker(skills={
        "small": sh_skill("mkdir d && echo x > d/f && chmod 600 d && sleep 1 && stat -c %a d && chmod 700 d && echo done",
                          workdir_max="2M", timeout_ms=20000),
        "big": sh_skill("mkdir d && for i in 1 2 3 4 5; do head -c 1000000 /dev/zero > d/f$i; done && chmod 600 d && "
                        "sleep 1 && chmod 700 d && echo done", workdir_max="2M", timeout_ms=20000),
    }, user="nobody").start()
    r = w.run("small", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", "700\ndone\n"),
            "unprivileged: a readable, unsearchable dir: searchable again, counted, the run goes on",
            "body: %r" % r.body[:500])
    r = w.run("big", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("signal"), j.get("stdout")), (200, "output_limit", "SIGKILL", ""),
            "unprivileged: 5 MB in a readable, unsearchable dir count against workdir_max 2M",
            "body: %r" % r.body[:500])
    w.stop(tap)


# A chain of processes, each the child of the one before and in a session of its own, so that
# the group kill reaches none of them: the supervisor kills down the tree (kill_subtree(), at most
# 64 deep) and, as each killed parent hands its children to it, the subreaper, goes on in rounds
# until none is left.
CHAIN = 80
CHAINER = py_skill("import os, time\n"
                   "r, w = os.pipe()\n"
                   "for depth in range(%d):\n"
                   "    if os.fork():\n"
                   "        if depth == 0:\n"
                   "            os.close(w)\n"
                   "            f = os.fdopen(r)\n"
                   "            os.write(1, (' '.join(f.read().split()) + '\\n').encode())\n"
                   "            os._exit(0)\n"
                   "        os.close(w)\n"
                   "        time.sleep(60)\n"
                   "        os._exit(0)\n"
                   "    os.setsid()\n"
                   "    os.write(w, b'%%d ' %% os.getpid())\n"
                   "os.close(w)\n"
                   "time.sleep(60)\n" % CHAIN, input="none", tasks_max=CHAIN + 16, timeout_ms=20000)


def deep_chain(tap):
    """Without a run cgroup (an unprivileged worker), a process chain deeper than the walk's
    bound is killed whole as the skill ends. The worker runs as a uid of its own: its
    tasks_max becomes RLIMIT_NPROC, which counts every process of the uid on the host, and
    nobody's are other suites' too."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        tap.skip("an unprivileged worker needs root and setpriv to be started")
        return
    uid = unused_uid()
    w = Worker(skills={"chain": CHAINER}, settings={"tasks_max": CHAIN + 16}, user=uid).start()
    r = w.run("chain", {})
    j = r.json or {}
    pids = [int(x) for x in (j.get("stdout") or "").split() if x.isdigit()]
    tap.is_((r.status, j.get("outcome"), len(pids)), (200, "ok", CHAIN),
            "a chain of %d processes, each in its own session: the run is ok" % CHAIN, "body: %r" % r.body[:300])
    tap.is_(wait_gone(pids, 3.0), [], "... and every one of them is killed")
    w.stop(tap)


# A skill that makes itself and its processes subreapers (PR_SET_CHILD_SUBREAPER, no privilege
# needed), each in a session of its own, and processes that hop to a new pid as fast as they can
# fork: the walk below the worker's children signals a grandchild only while its parent is still
# the one it was listed under (be4e613), so an orphan that one of the skill's own subreapers
# adopted meanwhile waits for a later round. Every one of them still dies with the run.
HOPPER = py_skill("import ctypes, os, time\n"
                  "prctl = ctypes.CDLL(None).prctl\n"
                  "prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER\n"
                  "def hop(reaper):\n"
                  "    while True:\n"
                  "        if reaper:\n"
                  "            prctl(36, 1, 0, 0, 0)\n"
                  "        if os.fork():\n"
                  "            while reaper:  # stays, and reaps what comes to it\n"
                  "                try:\n"
                  "                    os.wait()\n"
                  "                except ChildProcessError:\n"
                  "                    time.sleep(0.001)\n"
                  "            os._exit(0)\n"
                  "        os.setsid()\n"
                  "for i in range(6):\n"
                  "    if os.fork() == 0:\n"
                  "        hop(i % 2)\n"
                  "print('started', flush=True)\n"
                  "time.sleep(60)\n", input="none", tasks_max=150, timeout_ms=2000)


def uid_pythons(uid):
    """The pids of uid's python3 processes (its skill's; the worker's listener is none)."""
    pids = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/status" % pid) as f:
                st = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        except (OSError, ValueError):
            continue
        if st.get("Name") == "python3" and st.get("Uid", "").split()[0] == str(uid) and st.get("State", "")[:1] != "Z":
            pids.append(int(pid))
    return pids


def own_subreapers(tap):
    """Without a run cgroup (an unprivileged worker), a skill's own subreapers and its pid-hopping
    processes are all killed as its timeout ends it. A uid of its own, as in deep_chain()."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        tap.skip("an unprivileged worker needs root and setpriv to be started")
        return
    uid = unused_uid()
    w = Worker(skills={"hop": HOPPER}, settings={"tasks_max": 150}, user=uid).start()
    for attempt in range(3):
        r = w.run("hop", {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "timeout", "started\n"),
                "subreapers and pid hoppers of their own (%d): the run times out" % attempt, "body: %r" % r.body[:300])
        left = wait_gone(uid_pythons(uid), 3.0)
        tap.is_(left, [], "... and none of its processes is left")
        for pid in left:
            os.kill(pid, 9)
    w.stop(tap)


def symlink_loop(tap):
    w = Worker(skills={"echo": sh_skill("echo hi", input="none")})
    loop = os.path.join(w.skills_dir, "loop.json")
    os.symlink("loop.json", loop)
    w.start()
    r = w.run("loop", {})
    check_error(tap, r, 500, "a manifest that is a symlink loop")
    tap.is_((r.json or {}).get("message"), "skill 'loop' is misconfigured; see the journal", "... the message")
    tap.contains(w.all_log_text(), "Skill 'loop' is broken: %s: Too many levels of symbolic links" % loop,
                 "... the log names the path and the errno")
    r = w.get("/v1/skills")
    tap.is_((r.status, [s.get("name") for s in (r.json or {}).get("skills", [])]), (200, ["echo"]),
            "... the list leaves it out")
    w.stop(tap)


def chown_refused(tap):
    """As root the worker gives each work dir to run_user; where the work root's file system
    cannot (vfat, NFS with root_squash: fchown(2) answers EPERM) the run fails before anything is
    executed, and the journal says why and what to do, not only "Operation not permitted"."""
    if os.geteuid() != 0:
        tap.skip("only a worker run as root gives the work dir away")
        return
    w = Worker(skills={"echo": sh_skill("echo hi", input="none")}, inetd=True)
    w.under_strace("fchown", "error=EPERM").start()
    r = w.run("echo", {})
    check_error(tap, r, 500, "the work dir cannot be given to run_user")
    tap.is_((r.json or {}).get("message"), "running skill 'echo' failed; see the journal", "... the message")
    tap.contains(w.all_log_text(), "cannot give the work directory in '%s' to uid " % w.work_dir,
                 "... the log names the work root")
    tap.contains(w.all_log_text(), "Operation not permitted (a file system without Unix owners, such as vfat, "
                 "or NFS with root_squash, cannot hold work directories; set work_dir to a local one)",
                 "... and says what to do")
    w.stop(tap)


def body(tap):
    for part in (no_getrandom, partial_reader, unsearchable_dir, deep_chain, own_subreapers, symlink_loop,
                 chown_refused, no_pidfd):
        try:
            part(tap)
        except Skip as e:
            tap.skip("%s: %s" % (part.__name__, e))


main(body)
