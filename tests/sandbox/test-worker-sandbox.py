#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The hostile helper through the real worker: `skillrun run hostile-<policy> --arg …`.

The same sandbox path a served request takes (settings, manifest, work dir, sandbox,
supervision, result JSON), under every policy, with positive controls, plus the limits:
fork bomb (tasks_max), memory bomb (oom, or ENOMEM under the rlimit fallback), disk fill
(workdir_max), CPU spin (timeout), and a restrictive kill reported as signaled/SIGSYS.
Needs root (the skill switches to the run user, as in CI); skips otherwise.
"""
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from skillrun_test import (main as tap_main, skip_all, elf_machine, libc_socketcall, ppid_of,  # noqa: E402
                           private_mounts_refused)

TOP_BUILDDIR = os.environ.get("top_builddir") or os.getcwd()
SKILLRUN = os.environ.get("SKILLRUN_BIN") or os.path.join(TOP_BUILDDIR, "skillrun")
HOSTILE = os.path.join(TOP_BUILDDIR, "tests", "sandbox", "hostile")


class Env:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="skillrun-sbx-worker-")
        os.chmod(self.root, 0o755)
        self.bin = os.path.join(self.root, "bin")
        self.skills = os.path.join(self.root, "skills")
        self.work = os.path.join(self.root, "work")
        for d in (self.bin, self.skills, self.work):
            os.mkdir(d)
            os.chmod(d, 0o755)
        self.work_nobody = os.path.join(self.root, "work-nobody")  # for a worker that is not root
        os.mkdir(self.work_nobody)
        os.chown(self.work_nobody, 65534, 65534)
        self.open = os.path.join(self.root, "open")  # world-writable, like /tmp
        os.mkdir(self.open)
        os.chmod(self.open, 0o1777)
        self.hostile = os.path.join(self.bin, "hostile")
        shutil.copy(HOSTILE, self.hostile)
        os.chmod(self.hostile, 0o755)
        # world-readable on purpose, outside every allowed path: only landlock keeps it out
        self.secret = os.path.join(self.root, "tokens")
        with open(self.secret, "w") as f:
            f.write("ci:%s\n" % ("x" * 43))
        os.chmod(self.secret, 0o644)

    def skill(self, name, policy, **extra):
        m = {"description": "hostile", "command": [self.hostile], "input": "none", "policy": policy,
             "read_paths": [self.bin]}
        m.update(extra)
        with open(os.path.join(self.skills, name + ".json"), "w") as f:
            json.dump(m, f)

    def run(self, name, *attempts, **kw):
        args, env = self.command(name, attempts, **kw)
        p = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return self.result(name, p.returncode, p.stdout, p.stderr)

    def run_on_terminal(self, name, *attempts, **kw):
        """run() with a terminal as the worker's controlling terminal, as for `skillrun run` or
        systemd-socket-activate started from a shell: its output still goes to pipes"""
        args, env = self.command(name, attempts, **kw)
        master, slave = os.openpty()

        def take_terminal():
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        try:
            p = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                               start_new_session=True, preexec_fn=take_terminal)
        finally:
            os.close(slave)
            os.close(master)
        return self.result(name, p.returncode, p.stdout, p.stderr)

    def start(self, name, *attempts, **kw):
        """run() in the background: wait with finish()"""
        args, env = self.command(name, attempts, **kw)
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def finish(self, name, proc):
        out, err = proc.communicate(timeout=60)
        return self.result(name, proc.returncode, out, err)

    def command(self, name, attempts, sandbox="strict", extra_env=None, no_cgroups=False, setup=None,
                as_nobody=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLRUN_")}
        env.update(SKILLRUN_CONFIG="/nonexistent/skillrun.conf", SKILLRUN_SKILLS_DIR=self.skills,
                   SKILLRUN_WORK_DIR=self.work, SKILLRUN_TOKENS_FILE=self.secret, SKILLRUN_SANDBOX=sandbox)
        env.update(extra_env or {})
        args = [SKILLRUN, "run", name]
        if as_nobody is not None:
            # the worker itself not root, as under DynamicUser=: its skills share its uid.
            # as_nobody: more setpriv options. A sanitizer build's LeakSanitizer would need
            # ptrace, which the worker, not dumpable and not root, cannot have.
            env.update(SKILLRUN_WORK_DIR=self.work_nobody, ASAN_OPTIONS="detect_leaks=0")
            args = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs"] + \
                as_nobody + args
        if no_cgroups:
            # a private mount namespace with an empty /sys/fs/cgroup: the rlimit fallback
            args = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none /sys/fs/cgroup && exec "$0" "$@"'] + args
        elif setup:
            # shell commands run first in a private mount namespace, as root
            args = ["unshare", "-m", "sh", "-ec", 'mount --make-rprivate /\n%s\nexec "$0" "$@"' % setup] + args
        for a in attempts:
            args += ["--arg", a]
        return args, env

    @staticmethod
    def result(name, rc, stdout, stderr):
        try:
            res = json.loads(stdout)
        except ValueError:
            res = {"_stdout": stdout.decode(errors="replace"), "_stderr": stderr.decode(errors="replace")}
            print("# skillrun run %s: exit %d, no result JSON; stderr:" % (name, rc))
            for line in res["_stderr"].splitlines()[:40]:
                print("#   " + line)
        res["_rc"] = rc
        return res

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def lines(res):
    out = {}
    for line in res.get("stdout", "").splitlines():
        k, _, v = line.partition(" ")
        out[k] = v
    return out


# Other processes of the skill's uid (the worker under DynamicUser=, other runs' skills): their
# limits are not the skill's to change, under any policy; its own are. CPU affinity stays open
# (glibc's thread affinity calls pass a tid; a pinned worker is slower, not broken): only the
# kernel refuses a root worker's, which holds capabilities the skill lacks.
OTHER_PROCESSES = {"prlimit-parent": "denied errno=EPERM", "prlimit-child": "denied errno=EPERM",
                   "setaffinity-parent": "denied errno=EPERM", "setaffinity-child": "ok",
                   "rlimit-self": "ok nofile=64 hard<=256 core=0", "setaffinity-self": "ok"}
# … nor their priorities (restrictive kills these: not on its allow-list)
OTHER_PRIORITIES = {"setpriority-user": "denied errno=EPERM", "setpriority-pgrp": "denied errno=EPERM",
                    "ioprio-child": "denied errno=EPERM", "nice-self": "ok"}
# a sysctl that exists wherever there is a network stack, loopback's: it names an interface
NET_SYSCTL = "read:/proc/sys/net/ipv4/conf/lo/forwarding"


def check_attempts(tap, label, res, expected):
    got = lines(res)
    for attempt, want in expected.items():
        if want.endswith("…"):
            tap.ok(got.get(attempt, "").startswith(want[:-1]), "%s: %s → %s" % (label, attempt, want),
                   "got: %r" % got.get(attempt))
        else:
            tap.is_(got.get(attempt), want, "%s: %s → %s" % (label, attempt, want))


def brief(res):
    """What a run result says of how it ended, for a test's diagnostics."""
    return {k: res.get(k) for k in ("outcome", "exit_code", "stderr", "sandbox_error", "_rc", "_stderr")}


def run_attempts(tap, env, label, attempts, setup, skip_unless=None, **kw):
    """The skill hostile-permissive (made by the caller) making attempts after the root set-up
    commands setup: outcome ok and each attempt as expected. skip_unless=(word, why): where
    the set-up failed with word in its error (no overlay file system, no loop mount), a skip
    saying why instead, and False."""
    res = env.run("hostile-permissive", *attempts, setup=setup, **kw)
    if skip_unless and res.get("outcome") is None and skip_unless[0] in res.get("_stderr", ""):
        tap.skip(skip_unless[1])
        return False
    tap.is_(res.get("outcome"), "ok", "%s: outcome ok" % label, repr(brief(res)))
    check_attempts(tap, label, res, attempts)
    return True


def linked_libc(binary):
    """The libc.so.6 a dynamically linked binary of this build loads, by ldd: the multiarch
    directory's (i386's, x86_64's, …), None for a static binary."""
    out = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         universal_newlines=True).stdout
    for line in out.splitlines():
        name, _, rest = line.strip().partition(" => ")
        if name == "libc.so.6" and rest.startswith("/"):
            return os.path.realpath(rest.split()[0])
    return None


def body(tap, env):
    abi = None
    # Debian's i386 glibc: no socket of any family under permissive or restrictive (documented)
    sockets = not libc_socketcall()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    port = lsock.getsockname()[1]
    connect = "connect:%d" % port
    read_secret = "read:" + env.secret
    write_tmp = "write:" + os.path.join(env.open, "escape")
    # another skill's manifest (its env may carry API keys): not this skill's to read
    env.skill("other", "permissive", env={"OTHER_API_KEY": "s3cr3t"})
    read_manifest = "read:" + os.path.join(env.skills, "other.json")
    # a unix socket anyone may connect to (like journald's or D-Bus'): restrictive must not reach it
    usock_path = os.path.join(env.open, "daemon.sock")
    usock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    usock.bind(usock_path)
    usock.listen(16)
    os.chmod(usock_path, 0o777)
    unix_connect = "unix:" + usock_path

    common = ["read:/etc/shadow", "read:/etc/passwd", read_secret, read_manifest, "write:inside", "write:/etc/escape",
              "write:/usr/escape", write_tmp, "environ:parent", "environ:1", "kill-parent", "fd:3", "clone3", connect,
              "caps", "uid", "ifconf"] + list(OTHER_PROCESSES)
    privs = dict(OTHER_PROCESSES, **{"caps": "ok eff=0 prm=0 inh=0 bnd=0 amb=0 nnp=1 seccomp=2 securebits=0x2f…",
                                     "uid": "ok uid=65534 euid=65534 gid=65534 groups=0", "fd:3": "denied errno=EBADF"})

    # permissive, no network
    env.skill("hostile-permissive", "permissive")
    res = env.run("hostile-permissive", *(common + ["mount", "unshare-user", "ptrace-parent", "bpf", "keyctl",
                                                    "io_uring", "perf", "udp", unix_connect, "above-max",
                                                    "listmount", "lsm-self", "aio", "mounts:parent",
                                                    "read:/proc/sys/kernel/ngroups_max", NET_SYSCTL] +
                                          list(OTHER_PRIORITIES)))
    tap.is_(res.get("outcome"), "ok", "permissive: outcome ok")
    sb = res.get("sandbox", {})
    abi = sb.get("landlock_abi")
    tap.ok(isinstance(abi, int) and abi >= 1, "permissive: landlock applied (abi %r)" % abi)
    tap.is_((sb.get("policy"), sb.get("seccomp"), sb.get("network")), ("permissive", "permissive", False),
            "permissive: sandbox report")
    check_attempts(tap, "permissive", res, dict(privs, **{
        "read:/etc/shadow": "denied errno=EACCES", "read:/etc/passwd": "ok", read_secret: "denied errno=EACCES",
        read_manifest: "denied errno=EACCES",
        "write:inside": "ok", "write:/etc/escape": "denied errno=EACCES", "write:/usr/escape": "denied errno=EACCES",
        write_tmp: "denied errno=EACCES", "environ:parent": "denied errno=EACCES", "environ:1": "denied errno=EACCES",
        "kill-parent": "denied errno=EPERM", "clone3": "denied errno=ENOSYS", connect: "denied errno=EPERM",
        "mount": "denied errno=EPERM", "unshare-user": "denied errno=EPERM", "ptrace-parent": "denied errno=EPERM",
        "bpf": "denied errno=EPERM", "keyctl": "denied errno=EPERM", "io_uring": "denied errno=EPERM",
        "perf": "denied errno=EPERM", "udp": "denied errno=EPERM",
        # no network, no view of it: a socketpair end would answer SIOCGIFCONF, /proc/sys/net
        # name the interfaces
        "ifconf": "denied errno=EPERM", NET_SYSCTL: "denied errno=EACCES",
        "read:/proc/sys/kernel/ngroups_max": "ok",
        # newer than the deny-list's review, or the build's libseccomp if it knows fewer (statmount
        # with Debian 12's, file_getattr with a newer one): "no such call"
        "above-max": "denied errno=ENOSYS",
        # the mount table and the LSM attributes are /proc/self's, which landlock keeps out: their
        # system calls answer as on an older kernel, whichever libseccomp built the filter
        "listmount": "denied errno=ENOSYS", "lsm-self": "denied errno=ENOSYS",
        # nor by the worker's /proc/PID/mounts, where /etc/mtab (../proc/self/mounts) led when
        # the worker walked /etc
        "mounts:parent": "denied errno=EACCES",
        # one context takes the host's whole fs.aio-max-nr, which no cgroup bounds
        "aio": "denied errno=EPERM",
        # documented: permissive keeps the uid's unix sockets (landlock < ABI 9 cannot rule them)
        unix_connect: "ok" if sockets else "denied errno=EPERM"}, **OTHER_PRIORITIES))

    # permissive with network: the positive control for the network rules
    env.skill("hostile-net", "permissive", network=True)
    res = env.run("hostile-net", connect, "udp", "packet", read_secret, "above-max", "mount", "ifconf", NET_SYSCTL,
                  "listmount", "lsm-self")
    tap.is_(res.get("sandbox", {}).get("network"), True, "permissive+network: report network true")
    net = "ok" if sockets else "denied errno=EPERM"
    check_attempts(tap, "permissive+network", res, {connect: net, "udp": net, "packet": "denied errno=EPERM",
                                                    "ifconf": net, NET_SYSCTL: "ok",
                                                    read_secret: "denied errno=EACCES",
                                                    "above-max": "denied errno=ENOSYS", "mount": "denied errno=EPERM",
                                                    "listmount": "denied errno=ENOSYS",
                                                    "lsm-self": "denied errno=ENOSYS"})

    # restrictive: only non-killing attempts in one run, then each killer alone
    env.skill("hostile-restrictive", "restrictive")
    res = env.run("hostile-restrictive", *(common + [unix_connect]))
    tap.is_(res.get("outcome"), "ok", "restrictive: outcome ok")
    tap.is_(res.get("sandbox", {}).get("seccomp"), "restrictive", "restrictive: report seccomp")
    check_attempts(tap, "restrictive", res, dict(privs, **{
        "read:/etc/shadow": "denied errno=EACCES", "read:/etc/passwd": "denied errno=EACCES",
        read_secret: "denied errno=EACCES", read_manifest: "denied errno=EACCES", "write:inside": "ok",
        unix_connect: "denied errno=EPERM", "ifconf": "denied errno=EPERM",
        "write:/etc/escape": "denied errno=EACCES",
        write_tmp: "denied errno=EACCES", "environ:parent": "denied errno=EACCES", "kill-parent": "denied errno=EPERM",
        "clone3": "denied errno=ENOSYS", connect: "denied errno=EPERM"}))
    # int80: x86_64's i386 entry, a foreign arch there; on i386 the native one
    killers = ("mount", "ptrace-parent", "bpf") + (("int80",) if elf_machine(SKILLRUN) == 62 else ()) + \
        ("setpriority-user", "above-max", "listmount", "aio")
    for killer in killers:
        res = env.run("hostile-restrictive", killer, "uid")
        tap.is_((res.get("outcome"), res.get("signal")), ("signaled", "SIGSYS"),
                "restrictive: %s → outcome signaled, SIGSYS" % killer)
        tap.ok("uid" not in res.get("stdout", "x"), "restrictive: %s → nothing ran after it" % killer)

    # none: as host for the run user, but never root and the worker's filter still holds
    env.skill("hostile-none", "none")
    res = env.run("hostile-none", *(common + ["mount", "unshare-user", "read:/proc/self/status", "above-max",
                                              "listmount", "aio"] +
                                    list(OTHER_PRIORITIES)))
    tap.is_(res.get("outcome"), "ok", "none: outcome ok")
    tap.is_((res.get("sandbox", {}).get("landlock_abi"), res.get("sandbox", {}).get("seccomp")), (0, "none"),
            "none: report landlock 0, seccomp none")
    check_attempts(tap, "none", res, dict(privs, **{
        "read:/etc/passwd": "ok", read_secret: "ok", connect: "ok", "read:/proc/self/status": "ok", write_tmp: "ok",
        "ifconf": "ok", "aio": "ok",
        "mount": "denied errno=EPERM", "unshare-user": "denied errno=EPERM", "clone3": "denied errno=ENOSYS",
        "environ:parent": "denied errno=EACCES"}, **OTHER_PRIORITIES))
    # syscalls above SECCOMP_BPF_SYSCALL_MAX are not in the worker's filter: the kernel
    # answers, as it answers hostile run here without a sandbox
    p = subprocess.run([HOSTILE, "above-max"], stdout=subprocess.PIPE, timeout=60)
    kernel = lines({"stdout": p.stdout.decode(errors="replace")}).get("above-max")
    if kernel == "denied errno=ENOSYS":
        tap.skip("none: above-max: this kernel lacks the syscall")
    else:
        tap.is_(lines(res).get("above-max"), kernel, "none: above-max → the kernel's answer, %s" % kernel)
    # by design: the worker's filter lets the mount table through (the worker reads it so)
    p = subprocess.run([HOSTILE, "listmount"], stdout=subprocess.PIPE, timeout=60)
    kernel = lines({"stdout": p.stdout.decode(errors="replace")}).get("listmount", "").split(" mounts=")[0]
    tap.is_(lines(res).get("listmount", "").split(" mounts=")[0], kernel,
            "none: listmount → the kernel's answer, %s" % kernel)

    # a process' own memory protection keys (node's V8 allocates one at start): under restrictive
    # the answer of none (ENOSPC without the CPU feature), not a kill
    host = lines(env.run("hostile-none", "pkey")).get("pkey")
    res = env.run("hostile-restrictive", "pkey", "uid")
    tap.is_((res.get("outcome"), lines(res).get("pkey")), ("ok", host),
            "restrictive: pkey_alloc answers as on the host (%s)" % host)

    nonroot_worker(tap, env)
    controlling_terminal(tap, env)
    btrfs_requests(tap, env)
    other_runs(tap, env, abi, sockets, as_nobody=None)
    other_runs(tap, env, abi, sockets, as_nobody=["--bounding-set=-all"])

    # limits
    env.skill("bomb", "permissive", tasks_max=8, memory_max="64M", timeout_ms=1500, workdir_max="16M")
    res = env.run("bomb", "fork-bomb")
    got = lines(res).get("fork-bomb", "")
    forked = int(got.split("forked=")[1].split()[0]) if "forked=" in got else -1
    tap.ok(0 <= forked < 8 and got.endswith("errno=EAGAIN"), "fork bomb stopped by tasks_max 8 (%s)" % got)

    res = env.run("bomb", "alloc:256")
    cg = res.get("sandbox", {}).get("cgroup")
    if cg in ("v1", "delegated"):
        tap.is_(res.get("outcome"), "oom", "memory bomb → outcome oom (cgroup %s)" % cg)
    else:
        tap.is_(lines(res).get("alloc:256"), "denied errno=ENOMEM", "memory bomb → ENOMEM (rlimit fallback)")
    if cg in ("v1", "delegated"):
        # and without a cgroup, RLIMIT_AS stands in for memory_max
        res = env.run("bomb", "alloc:256", no_cgroups=True)
        tap.is_((res.get("sandbox", {}).get("cgroup"), lines(res).get("alloc:256")), ("rlimit", "denied errno=ENOMEM"),
                "memory bomb without a cgroup → ENOMEM (rlimit fallback)")

    res = env.run("bomb", "fill:64")
    tap.is_(lines(res).get("fill:64"), "denied errno=EFBIG", "disk fill stopped at workdir_max 16M")
    # fallocate(FALLOC_FL_KEEP_SIZE) allocates past the end of a file without growing it, so that
    # RLIMIT_FSIZE never sees it; the file unlinked, the work dir's walk does not either: 20G of the
    # work root's disk held for the whole run, outcome ok. FALLOC_FL_INSERT_RANGE grows the size
    # with no check of RLIMIT_FSIZE (ext4), and a shared mapping of the file then allocates blocks
    # up to there (1G in a second). Refused by the worker's filter under every policy; punching a
    # hole (which frees blocks) stays.
    for name in ("bomb", "hostile-restrictive", "hostile-none"):
        res = env.run(name, "falloc-keep:1024", "falloc-insert:1024", "falloc-punch")
        tap.is_((lines(res).get("falloc-keep:1024"), lines(res).get("falloc-insert:1024"), lines(res).get("falloc-punch")),
                ("denied errno=EOPNOTSUPP", "denied errno=EOPNOTSUPP", "ok"),
                "%s: fallocate past the end or growing the size by an insert refused, a hole punched" % name)
        # each mode by the filter's answer on fd -1 (EBADF: let through to the kernel), whatever the
        # work dir's file system has: KEEP_SIZE with ZERO_RANGE or UNSHARE_RANGE is refused too;
        # mode 0 (posix_fallocate(3)), a zeroed range that grows the size, and collapsing a range pass
        modes = (("0", "EBADF"), ("0x1", "EOPNOTSUPP"), ("0x3", "EBADF"), ("0x8", "EBADF"), ("0x10", "EBADF"),
                 ("0x11", "EOPNOTSUPP"), ("0x20", "EOPNOTSUPP"), ("0x41", "EOPNOTSUPP"))
        res = env.run(name, *["falloc-mode:" + m for m, _ in modes])
        tap.is_([(m, lines(res).get("falloc-mode:" + m)) for m, _ in modes],
                [(m, "denied errno=" + e) for m, e in modes],
                "%s: fallocate modes refused (EOPNOTSUPP) or let through to the kernel (EBADF)" % name)
    # empty files allocate no block but each takes an inode: 2048 of them count as 8M, over
    # workdir_max 1M (else a skill could use up the inodes of the work root's file system).
    # Killed while it makes them, or sleeps after.
    env.skill("inodes", "permissive", timeout_ms=20000, workdir_max="1M")
    res = env.run("inodes", "touch:2048", "sleep:3000")
    tap.is_(res.get("outcome"), "output_limit", "2048 empty files count against workdir_max 1M: outcome output_limit")

    res = env.run("bomb", "spin")
    tap.is_(res.get("outcome"), "timeout", "CPU spin killed at the timeout")
    tap.ok(1500 <= res.get("duration_ms", 0) < 6000, "…after about 1.5 s (%r ms)" % res.get("duration_ms"))

    # a bare uid as run_user needs no passwd entry
    res = env.run("hostile-permissive", "uid", extra_env={"SKILLRUN_RUN_USER": "4242"})
    tap.is_(lines(res).get("uid"), "ok uid=4242 euid=4242 gid=4242 groups=0", "numeric run_user: uid and gid 4242")
    # a name is looked up in /etc/passwd (then NSS): Debian's daemon is 1:1
    with open("/etc/passwd") as f:
        daemon = next((l.split(":") for l in f if l.startswith("daemon:")), None)
    if daemon:
        res = env.run("hostile-permissive", "uid", extra_env={"SKILLRUN_RUN_USER": "daemon"})
        tap.is_(lines(res).get("uid"), "ok uid=%s euid=%s gid=%s groups=0" % (daemon[2], daemon[2], daemon[3]),
                "run_user daemon: its passwd ids %s:%s" % (daemon[2], daemon[3]))
    else:
        tap.skip("no user daemon in /etc/passwd")
    res = env.run("hostile-permissive", "uid", extra_env={"SKILLRUN_RUN_USER": "no-such-user-xyz"})
    tap.ok(res["_rc"] == 1 and "run_user 'no-such-user-xyz' not found" in res.get("_stderr", ""),
           "unknown run_user: exit 1 naming it (%r, %r)" % (res["_rc"], res.get("_stderr", "")[:200]))

    # without a cpu controller a CPU share cannot be enforced: the report must say so
    env.skill("cpu-share", "permissive", cpu_max=50, timeout_ms=1500)
    res = env.run("cpu-share", "uid", "rlimit-cpu", no_cgroups=True)
    sbx = res.get("sandbox", {})
    tap.is_(sbx.get("cgroup"), "rlimit", "no cgroup: the rlimit fallback is reported")
    tap.ok("cpu_max" in (sbx.get("missing") or []), "cpu_max listed as missing (%r)" % sbx.get("missing"))
    tap.is_(lines(res).get("uid"), "ok uid=65534 euid=65534 gid=65534 groups=0", "…and the skill still ran")
    # the fallback's RLIMIT_CPU bounds the skill's CPU time by its timeout, should supervision
    # not end it: SIGXCPU at 1.5 s rounded up plus 1 s, SIGKILL a second later
    tap.is_(lines(res).get("rlimit-cpu"), "ok cpu=3/4", "…with RLIMIT_CPU from timeout_ms 1500")

    # The fallback's RLIMIT_NPROC counts every process of the run user (other runs' skills):
    # with more of them than tasks_max, the skill's own forks fail, but it still runs. (Set
    # before the switch to the run user, the kernel failed its execve with EAGAIN.)
    env.skill("nproc", "permissive", tasks_max=2)
    others = [subprocess.Popen(["setpriv", "--reuid=4244", "--regid=4244", "--clear-groups", "sleep", "60"])
              for _ in range(3)]
    try:
        res = env.run("nproc", "uid", "fork-bomb", no_cgroups=True, extra_env={"SKILLRUN_RUN_USER": "4244"})
    finally:
        for o in others:
            o.kill()
            o.wait()
    tap.is_((res.get("outcome"), res.get("sandbox_error")), ("ok", None),
            "rlimit fallback, run user with 3 other processes, tasks_max 2: the skill runs")
    tap.is_(lines(res).get("uid"), "ok uid=4244 euid=4244 gid=4244 groups=0", "…as the run user")
    tap.is_(lines(res).get("fork-bomb"), "ok forked=0 errno=EAGAIN", "…and its own forks fail (RLIMIT_NPROC)")
    interpreter_libraries(tap, env)
    secrets_elsewhere(tap, env)
    lsock.close()
    usock.close()


def interpreter_libraries(tap, env):
    """restrictive: an interpreter's own modules outside the library dirs (Debian's Perl core
    modules in /usr/share/perl/5.x, Tcl's init.tcl in /usr/share/tcltk) are readable"""
    cases = [("perl-modules", ["/usr/bin/perl", "-MJSON::PP", "-MTime::Local", "-e", "print encode_json([1])"],
              "/usr/share/perl", "[1]"),
             ("tcl-library", ["/usr/bin/tclsh", env.bin + "/clock.tcl"], "/usr/share/tcltk",
              "Thu Jan 01 00:00:00 GMT 1970\n")]
    with open(os.path.join(env.bin, "clock.tcl"), "w") as f:
        f.write("puts [clock format 0 -gmt 1]\n")
    os.chmod(os.path.join(env.bin, "clock.tcl"), 0o644)
    for name, command, tree, want in cases:
        if not os.access(command[0], os.X_OK) or not os.path.isdir(tree):
            tap.skip("%s: no %s or %s" % (name, command[0], tree))
            continue
        env.skill(name, "restrictive", command=command)
        res = env.run(name)
        tap.is_((res.get("outcome"), res.get("stdout")), ("ok", want),
                "restrictive: %s reads its own modules in %s" % (command[0], tree),
                diag=res.get("stderr"))
    # and the time zones: glibc takes UTC, silently, for a TZ whose file it cannot read
    if os.path.exists("/usr/share/zoneinfo/Europe/Paris"):
        env.skill("tz", "restrictive", command=["/bin/date", "-d", "@0", "+%H %Z"], env={"TZ": "Europe/Paris"})
        res = env.run("tz")
        tap.is_((res.get("outcome"), res.get("stdout")), ("ok", "01 CET\n"),
                "restrictive: a TZ the manifest sets is read from /usr/share/zoneinfo", diag=res.get("stderr"))
    else:
        tap.skip("tz: no /usr/share/zoneinfo/Europe/Paris")


def nonroot_worker(tap, env):
    """The worker not root (setpriv to nobody, the bounding set emptied, as the shipped unit's
    DynamicUser= has it): the skill runs as the worker's own uid, so only the seccomp filters keep
    it from the worker's limits. Then with the bounding set left full, which a worker without
    CAP_SETPCAP cannot empty: the report must say so."""
    for policy in ("none", "permissive", "restrictive"):
        label = "worker as nobody, %s" % policy
        expected = dict(OTHER_PROCESSES, **{"setaffinity-parent": "ok"})
        if policy != "restrictive":
            expected.update(OTHER_PRIORITIES)
        res = env.run("hostile-" + policy, "uid", "caps", *expected, as_nobody=["--bounding-set=-all"])
        sb = res.get("sandbox", {})
        tap.is_((res.get("outcome"), res["_rc"], sb.get("user_switched")), ("ok", 0, False),
                "%s: outcome ok, no user switch" % label)
        check_attempts(tap, label, res, dict(expected, uid="ok uid=65534 euid=65534 gid=65534 groups=0",
                                             caps="ok eff=0 prm=0 inh=0 bnd=0 amb=0 nnp=1 seccomp=2 securebits=0x0…"))
        tap.is_((sb.get("capabilities_dropped"), "capability-bounding-set" in (sb.get("missing") or [])),
                (True, False), "%s, bounding set empty: capabilities_dropped true, nothing missing for it" % label)

        # the bounding set as setpriv leaves it: full
        full = env.run("hostile-" + policy, "caps", as_nobody=[])
        sbf = full.get("sandbox", {})
        label = "worker as nobody with a full bounding set, %s" % policy
        tap.is_((full.get("outcome"), full["_rc"]), ("ok", 0), "%s: outcome ok" % label)
        tap.ok(not lines(full).get("caps", "").startswith("ok eff=0 prm=0 inh=0 bnd=0 "),
               "%s: the skill's bounding set is not empty (%r)" % (label, lines(full).get("caps")))
        tap.is_((sbf.get("capabilities_dropped"), sbf.get("missing")),
                (False, (sb.get("missing") or []) + ["capability-bounding-set"]),
                "%s: capabilities_dropped false, capability-bounding-set missing" % label)

    # A worker that is not root cannot raise a hard limit: one given fewer files than the skills'
    # 256 (LimitNOFILE=, a container's) lowers to what it has instead of failing every run.
    res = env.run("hostile-permissive", "rlimit-self", as_nobody=["prlimit", "--nofile=128:128"])
    tap.is_((res.get("outcome"), res.get("sandbox_error"), lines(res).get("rlimit-self")),
            ("ok", None, "ok nofile=64 hard<=256 core=0"),
            "worker as nobody with 128 files at most: the skill runs, with as many")


def controlling_terminal(tap, env):
    """A worker with a controlling terminal (`skillrun run`, or systemd-socket-activate and
    tcpserver started from a shell, as the README shows them): the skill is in a session of its
    own, without it. In the worker's session, a "none" skill opened /dev/tty and, through it,
    pushed input into the shell that started the worker (TIOCSTI), or read what is typed there:
    a run user that types as root. Under every policy, the worker as root and as nobody; the
    others' landlock refuses /dev/tty before the terminal is asked."""
    for as_nobody in (None, ["--bounding-set=-all"]):
        for policy in ("none", "permissive", "restrictive"):
            label = "worker with a controlling terminal%s, %s" % (", as nobody" if as_nobody else "", policy)
            res = env.run_on_terminal("hostile-" + policy, "isatty:/dev/tty", "session", as_nobody=as_nobody)
            tap.is_(res.get("outcome"), "ok", "%s: outcome ok" % label, repr(brief(res)))
            check_attempts(tap, label, res, {
                "isatty:/dev/tty": "denied errno=ENXIO" if policy == "none" else "denied errno=EACCES",
                "session": "ok leader"})


# btrfs' requests that snapshot a subvolume or change its flags, with and without the upper half of
# the request set, and two of the same type that stay the file system's (see hostile.c)
BTRFS_REFUSED = ["btrfs:" + r + h for r in ("snap", "snap-v2", "setflags") for h in ("", "-high")]
BTRFS_KERNEL = ["btrfs:subvol", "btrfs:subvol-high", "btrfs:ficlone", "btrfs:ficlone-high"]


def btrfs_requests(tap, env):
    """Read-only btrfs subvolumes are what a skill must not make (the worker could not remove one
    whose owner locked it): the worker's filter refuses the requests under every policy, none
    included, as root's worker and as nobody's. Tried on the work dir: elsewhere than btrfs the
    kernel answers ENOTTY, so EPERM is the filter's; the kernel's own answer, without a sandbox,
    for the ones left to it."""
    p = subprocess.run([HOSTILE] + BTRFS_REFUSED + BTRFS_KERNEL, cwd=env.open, stdout=subprocess.PIPE, timeout=60)
    kernel = lines({"stdout": p.stdout.decode(errors="replace")})
    tap.ok(all(kernel.get(a, "").startswith("denied errno=") and kernel[a] != "denied errno=EPERM"
               for a in BTRFS_REFUSED + BTRFS_KERNEL),
           "btrfs requests without a sandbox: the kernel's answers, none EPERM", repr(kernel))
    expected = dict({a: "denied errno=EPERM" for a in BTRFS_REFUSED}, **{a: kernel.get(a) for a in BTRFS_KERNEL})
    for as_nobody in (None, ["--bounding-set=-all"]):
        for policy in ("none", "permissive", "restrictive"):
            label = "btrfs requests, %s%s" % (policy, ", worker as nobody" if as_nobody else "")
            res = env.run("hostile-" + policy, *(BTRFS_REFUSED + BTRFS_KERNEL), as_nobody=as_nobody)
            tap.is_(res.get("outcome"), "ok", "%s: outcome ok" % label)
            check_attempts(tap, label, res, expected)


def run_process(marker, timeout=10.0):
    """The pid of the hostile skill whose command line holds marker, once it is listening on the
    abstract socket of that name."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/net/unix") as f:
            listening = any(line.rstrip().endswith(" @" + marker) for line in f)
        if listening:
            for d in os.listdir("/proc"):
                try:
                    with open("/proc/%s/cmdline" % d, "rb") as f:
                        argv = f.read().split(b"\0")
                except (OSError, ValueError):
                    continue
                if argv[0].endswith(b"/hostile") and ("listen-abstract:" + marker).encode() in argv:
                    return int(d)
        time.sleep(0.05)
    return None


def other_runs(tap, env, abi, sockets, as_nobody):
    """Another run in progress (run B) and its worker, from a skill (run A): B's skill runs as the
    same user (run_user; the worker's own, as under DynamicUser=, with as_nobody), and so does
    B's worker when it is not root. permissive and restrictive keep A from all of it (landlock's
    file rules, its signal and abstract socket scoping from ABI 6, seccomp's ptrace rule); none
    only from the workers' memory and environment (they are not dumpable), as documented. Until
    this test, every signal attempt aimed at a root process, which the uid alone refuses: dropping
    landlock's signal scoping failed no test."""
    nobody = as_nobody is not None
    who = "worker as nobody" if nobody else "worker as root"
    marker = "skillrun-other-run-%d-%d" % (os.getpid(), nobody)
    # B's own policy changes nothing of what A may do; where the C library makes sockets through
    # socketcall(2) (i386), permissive refuses B its listening socket, so B is then none
    env.skill("hostile-b", "permissive" if sockets else "none")
    b_run = env.start("hostile-b", "write:held", "listen-abstract:" + marker, "sleep:20000", as_nobody=as_nobody)
    try:
        b = run_process(marker)
        tap.ok(b is not None, "%s: run B is listening on @%s" % (who, marker))
        if b is None:
            return
        b_worker = ppid_of(b)
        b_work = os.readlink("/proc/%d/cwd" % b)
        with open("/proc/%d/cgroup" % b) as f:
            b_cgroups = [l.split(":", 2) for l in f.read().splitlines()]
        b_procs = next(("/sys/fs/cgroup/%s%s/cgroup.procs" % (c[1], c[2]) for c in b_cgroups
                        if c[1] in ("memory", "pids") and "/skillrun-run-" in c[2]), None)
        for policy in ("none", "permissive", "restrictive"):
            none = policy == "none"
            scoped = (abi or 0) >= 6
            uid_only = none or not scoped  # nothing but the uid keeps A's signals out
            abstract = none or (policy == "permissive" and not scoped and sockets)
            # (what B's run holds, the attempt, what it gets)
            attempts = [
                ("B's skill: signal", "kill:%d" % b, "ok" if uid_only else "denied errno=EPERM"),
                ("B's skill: signal by pidfd", "pidfd-signal:%d" % b, "ok" if uid_only else "denied errno=EPERM"),
                ("B's skill: environment", "environ:%d" % b, "ok" if none else "denied errno=EACCES"),
                ("B's skill: command line", "read:/proc/%d/cmdline" % b, "ok" if none else "denied errno=EACCES"),
                ("B's skill: memory", "mem:%d" % b, "ok" if none else "denied errno=EACCES"),
                # a root worker's pipes are root's
                ("B's skill: its output pipe", "fd-open:%d/1" % b,
                 "ok" if none and nobody else "denied errno=EACCES"),
                ("B's work dir: list", "list:" + b_work, "ok entries=1" if none else "denied errno=EACCES"),
                ("B's work dir: read a file", "read:%s/held" % b_work, "ok" if none else "denied errno=EACCES"),
                ("B's abstract socket", "abstract-unix:" + marker, "ok" if abstract else "denied errno=EPERM"),
                # not dumpable, whatever the uid; as root out of reach anyway
                ("B's worker: signal", "kill:%d" % b_worker,
                 "ok" if nobody and uid_only else "denied errno=EPERM"),
                ("B's worker: environment", "environ:%d" % b_worker, "denied errno=EACCES"),
                ("B's worker: memory", "mem:%d" % b_worker, "denied errno=EACCES"),
                ("A's own worker: signal", "kill-parent", "ok" if nobody and uid_only else "denied errno=EPERM"),
            ]
            if b_procs:
                attempts.append(("B's cgroup: its processes", "read:" + b_procs,
                                 "ok" if none else "denied errno=EACCES"))
            if policy == "permissive":  # restrictive kills ptrace (tested above)
                attempts.append(("B's skill: ptrace", "ptrace:%d" % b, "denied errno=EPERM"))
            label = "%s, A %s" % (who, policy)
            res = env.run("hostile-" + policy, *[a for _, a, _ in attempts], as_nobody=as_nobody)
            tap.is_(res.get("outcome"), "ok", "%s: outcome ok" % label)
            got = lines(res)
            for what, attempt, want in attempts:
                tap.is_(got.get(attempt), want, "%s: %s → %s" % (label, what, want))
    finally:
        b_run.send_signal(signal.SIGTERM)
        res = env.finish("hostile-b", b_run)
    got = lines(res)
    tap.is_((got.get("write:held"), got.get("listen-abstract:" + marker)), ("ok", "ok"),
            "%s: run B held its file and socket throughout" % who)


def etc_overlay(env, name):
    """The shell command that puts a private, writable overlay on /etc (inside the run's mount
    namespace), its upper and work dirs under env.root/<name>: what the setup changes in /etc
    stays there."""
    ov = os.path.join(env.root, name)
    for d in (ov, os.path.join(ov, "upper"), os.path.join(ov, "work")):
        os.makedirs(d, exist_ok=True)
    return "mount -t overlay overlay -o lowerdir=/etc,upperdir=%s/upper,workdir=%s/work /etc" % (ov, ov)


def secrets_elsewhere(tap, env):
    """The tokens under a tree permissive allows whole (/usr/local/etc: a --prefix=/usr/local
    build), and symlinks in /etc onto them, onto / and onto an ordinary directory: set up in a
    private mount namespace (a tmpfs on /usr/local, an overlay on /etc), so the host's trees
    are left alone."""
    with open("/proc/filesystems") as f:
        if "overlay" not in f.read():
            try:
                subprocess.run(["modprobe", "overlay"], stderr=subprocess.DEVNULL, timeout=30)
            except OSError:
                pass
    overlay = etc_overlay(env, "overlay")
    public = os.path.join(env.root, "public")
    private = os.path.join(env.root, "private")  # reachable only through a symlink in /usr/local
    for d in (public, private):
        os.mkdir(d)
    for d in (public, private):
        os.chmod(d, 0o755)
        with open(os.path.join(d, "file"), "w") as f:
            f.write("a file\n")
        os.chmod(os.path.join(d, "file"), 0o644)
    tokens = "/usr/local/etc/skillrun/tokens"
    setup = "\n".join([
        "mount -t tmpfs -o mode=0755 none /usr/local",
        "mkdir -p /usr/local/etc/skillrun",
        "cp %s %s && chmod 0644 %s" % (env.secret, tokens, tokens),
        "echo other > /usr/local/etc/other.conf && chmod 0644 /usr/local/etc/other.conf",
        "ln -sfn %s /usr/local/zz-private" % private,
        overlay,
        "ln -sfn /usr/local/etc/skillrun /etc/zz-tokens-dir",
        "ln -sfn %s /etc/zz-tokens-file" % tokens,
        "ln -sfn / /etc/zz-root",
        "ln -sfn %s /etc/zz-public" % public,
        # one of the host's secrets in /etc, world-readable, and a symlink onto it
        "mkdir -p /etc/ssh && echo key > /etc/ssh/zz-key && chmod 0644 /etc/ssh/zz-key",
        "ln -sfn /etc/ssh/zz-key /etc/zz-key",
    ])
    attempts = {
        "read:" + tokens: "denied errno=EACCES",
        "read:/usr/local/etc/other.conf": "ok",  # the rest of the tree stays readable
        "read:/usr/lib/os-release": "ok",
        "read:/etc/zz-tokens-dir/tokens": "denied errno=EACCES",
        "read:/etc/zz-tokens-file": "denied errno=EACCES",
        "read:/etc/zz-root" + env.secret: "denied errno=EACCES",  # a rule on / would allow everything
        "read:/etc/zz-root/etc/passwd": "ok",  # /etc/passwd by its own rule
        "read:/etc/zz-public/file": "ok",  # a symlink to an ordinary directory is still followed
        # walking /usr around the tokens must not follow its symlinks, which /usr whole never did
        "read:/usr/local/zz-private/file": "denied errno=EACCES",
        "read:/etc/ssh/zz-key": "denied errno=EACCES",
        "read:/etc/zz-key": "denied errno=EACCES",
    }
    if not run_attempts(tap, env, "tokens in /usr/local/etc", attempts, setup,
                        ("overlay", "no overlay file system: secrets outside /etc not tested"),
                        extra_env={"SKILLRUN_TOKENS_FILE": tokens}):
        return

    # the tokens right in a tree every policy needs (/usr/local): that file alone is hidden
    loose = "/usr/local/zz-tokens"
    setup_loose = "\n".join([
        "mount -t tmpfs -o mode=0755 none /usr/local",
        "cp %s %s && chmod 0644 %s" % (env.secret, loose, loose),
        "echo other > /usr/local/zz-other && chmod 0644 /usr/local/zz-other",
    ])
    loose_attempts = {"read:" + loose: "denied errno=EACCES", "read:/usr/local/zz-other": "ok",
                      "read:/usr/lib/os-release": "ok"}
    run_attempts(tap, env, "tokens right in /usr/local", loose_attempts, setup_loose,
                 extra_env={"SKILLRUN_TOKENS_FILE": loose})

    # the config's own directory outside /etc holds the operator's manifests: hidden whole
    conf_dir = "/usr/local/etc/skillrun"
    setup_conf = "\n".join([
        "mount -t tmpfs -o mode=0755 none /usr/local",
        "mkdir -p %s/skills && : > %s/skillrun.conf" % (conf_dir, conf_dir),
        "echo '{\"env\": {\"KEY\": \"s3cr3t\"}}' > %s/skills/other.json && chmod -R a+rX /usr/local" % conf_dir,
        "echo other > /usr/local/etc/other.conf && chmod 0644 /usr/local/etc/other.conf",
    ])
    conf_attempts = {"read:%s/skills/other.json" % conf_dir: "denied errno=EACCES",
                     "read:%s/skillrun.conf" % conf_dir: "denied errno=EACCES",
                     "read:/usr/local/etc/other.conf": "ok"}
    res = env.run("hostile-permissive", *conf_attempts, setup=setup_conf,
                  extra_env={"SKILLRUN_CONFIG": conf_dir + "/skillrun.conf"})
    tap.is_(res.get("outcome"), "ok", "config in /usr/local/etc/skillrun: outcome ok")
    check_attempts(tap, "config in /usr/local/etc/skillrun", res, conf_attempts)

    # a secret very deep below a system tree: the walk stops (hiding the rest), never crashes
    for depth in (40, 300):
        deep = "/usr/local" + "/d" * depth
        setup_deep = "\n".join([
            "mount -t tmpfs -o mode=0755 none /usr/local",
            "mkdir -p %s && cp %s %s/tokens && chmod -R a+rX /usr/local" % (deep, env.secret, deep),
            "echo other > /usr/local/zz-other && chmod 0644 /usr/local/zz-other",
        ])
        deep_attempts = {"read:%s/tokens" % deep: "denied errno=EACCES", "read:/usr/local/zz-other": "ok"}
        res = env.run("hostile-permissive", *deep_attempts, setup=setup_deep,
                      extra_env={"SKILLRUN_TOKENS_FILE": deep + "/tokens"})
        tap.is_((res.get("outcome"), res["_rc"]), ("ok", 0), "tokens %d levels below /usr/local: outcome ok" % depth)
        got = lines(res)
        tap.is_(got.get("read:%s/tokens" % deep), "denied errno=EACCES", "… the tokens %d levels deep: denied" % depth)
        tap.is_(got.get("read:/usr/local/zz-other"), "ok", "… /usr/local/zz-other: ok")

    # tokens in a directory of /etc that also holds a listed secret deeper (ssl/private): the
    # exact match wins, and the whole directory is hidden as the tokens' directory
    setup_ssl = "\n".join([
        overlay,
        "mkdir -p /etc/ssl && cp %s /etc/ssl/zz-tokens && echo cred > /etc/ssl/zz-cred" % env.secret,
        "chmod 0644 /etc/ssl/zz-tokens /etc/ssl/zz-cred",
    ])
    ssl_attempts = {"read:/etc/ssl/zz-tokens": "denied errno=EACCES", "read:/etc/ssl/zz-cred": "denied errno=EACCES",
                    "read:/etc/passwd": "ok"}
    res = env.run("hostile-permissive", *ssl_attempts, setup=setup_ssl,
                  extra_env={"SKILLRUN_TOKENS_FILE": "/etc/ssl/zz-tokens"})
    tap.is_(res.get("outcome"), "ok", "tokens in /etc/ssl: outcome ok")
    check_attempts(tap, "tokens in /etc/ssl", res, ssl_attempts)

    # The copies an editor, dpkg or an operator leaves next to a hidden file in /etc are hidden
    # with it: a config kept right in /etc, and the host's shadow.
    copies = ["zz-sr.conf~", "zz-sr.conf.dpkg-old", "zz-sr.conf.bak", ".zz-sr.conf.swp", "#zz-sr.conf#",
              ".#zz-sr.conf", "shadow.bak", "gshadow~", "shadow+"]
    setup_copies = "\n".join([
        overlay,
        "echo 'sandbox = strict' > /etc/zz-sr.conf",
        "for f in %s; do echo secret > \"/etc/$f\"; done" % " ".join("'%s'" % c for c in copies),
        "echo other > /etc/zz-sr.confx && echo other > /etc/zz-sr && chmod 0644 /etc/zz-sr* /etc/.zz-sr* /etc/#zz-sr* "
        "/etc/.#zz-sr* /etc/shadow.bak /etc/gshadow~ /etc/shadow+",
        # a backup of a directory on the way to a secret (ssl/private) holds it too: hidden whole
        "mkdir -p /etc/ssl.bak/private /etc/ssl.bak/certs /etc/ssl/certs && echo key > /etc/ssl.bak/private/zz-k",
        "echo c > /etc/ssl.bak/certs/zz-c && echo c > /etc/ssl/certs/zz-c && chmod -R a+rX /etc/ssl.bak /etc/ssl/certs",
    ])
    copy_attempts = {"read:/etc/" + c: "denied errno=EACCES"
                     for c in ["zz-sr.conf"] + copies + ["ssl.bak/private/zz-k", "ssl.bak/certs/zz-c"]}
    copy_attempts.update({"read:/etc/zz-sr.confx": "ok", "read:/etc/zz-sr": "ok", "read:/etc/passwd": "ok",
                          "read:/etc/ssl/certs/zz-c": "ok"})
    res = env.run("hostile-permissive", *copy_attempts, setup=setup_copies,
                  extra_env={"SKILLRUN_CONFIG": "/etc/zz-sr.conf"})
    tap.is_(res.get("outcome"), "ok", "config right in /etc with copies beside it: outcome ok")
    check_attempts(tap, "copies of hidden files in /etc", res, copy_attempts)
    # a hidden file whose own name starts with '.' (or '#'): hidden itself, and its copies too
    dot_copies = [".zz-dot.conf~", ".zz-dot.conf.swp", ".zz-dot.conf.dpkg-old"]
    setup_dot = "\n".join([
        overlay,
        "echo 'sandbox = strict' > /etc/.zz-dot.conf",
        "for f in %s; do echo secret > \"/etc/$f\"; done" % " ".join("'%s'" % c for c in dot_copies),
        "chmod 0644 /etc/.zz-dot*",
    ])
    dot_attempts = {"read:/etc/" + c: "denied errno=EACCES" for c in [".zz-dot.conf"] + dot_copies}
    dot_attempts.update({"read:/etc/passwd": "ok"})
    res = env.run("hostile-permissive", *dot_attempts, setup=setup_dot,
                  extra_env={"SKILLRUN_CONFIG": "/etc/.zz-dot.conf"})
    tap.is_(res.get("outcome"), "ok", "config with a leading '.' right in /etc: outcome ok")
    check_attempts(tap, "a hidden file named with a leading '.', and its copies", res, dot_attempts)

    # A name given through a symlink in /etc (config /etc/zz/skillrun.conf, /etc/zz -> /) made
    # /etc/zz look like the way to a secret: it was walked, allowing every entry of /.
    setup_via = "\n".join([
        overlay,
        "ln -sfn / /etc/zz-via",
        "mkdir -p /etc/ssh && echo key > /etc/ssh/zz-key && chmod 0644 /etc/ssh/zz-key",
    ])
    via_attempts = {"read:/etc/ssh/zz-key": "denied errno=EACCES", "read:" + env.secret: "denied errno=EACCES",
                    "read:/etc/passwd": "ok"}
    res = env.run("hostile-permissive", *via_attempts, setup=setup_via,
                  extra_env={"SKILLRUN_CONFIG": "/etc/zz-via/skillrun.conf"})
    tap.is_(res.get("outcome"), "ok", "config named through /etc/zz-via -> /: outcome ok")
    check_attempts(tap, "config named through /etc/zz-via -> /", res, via_attempts)

    # skillrun's directory found however it is reached: the config file a symlink into it, or
    # the directory a symlink to one named otherwise
    for label, layout, conf, hidden in (
            ("config file symlinked into skillrun/",
             "mkdir -p /usr/local/etc/skillrun/skills && : > /usr/local/etc/skillrun/skillrun.conf && "
             "ln -sfn skillrun/skillrun.conf /usr/local/etc/skillrun.conf",
             "/usr/local/etc/skillrun.conf", "/usr/local/etc/skillrun"),
            ("skillrun/ a symlink to sr-data/",
             "mkdir -p /usr/local/etc/sr-data/skills && : > /usr/local/etc/sr-data/skillrun.conf && "
             "ln -sfn sr-data /usr/local/etc/skillrun",
             "/usr/local/etc/skillrun/skillrun.conf", "/usr/local/etc/sr-data")):
        setup_l = "\n".join([
            "mount -t tmpfs -o mode=0755 none /usr/local",
            layout,
            "echo '{}' > %s/skills/other.json && echo pw > %s/db-password" % (hidden, hidden),
            "echo other > /usr/local/etc/other.conf && chmod -R a+rX /usr/local",
        ])
        att = {"read:%s/skills/other.json" % hidden: "denied errno=EACCES",
               "read:%s/db-password" % hidden: "denied errno=EACCES", "read:/usr/local/etc/other.conf": "ok"}
        res = env.run("hostile-permissive", *att, setup=setup_l, extra_env={"SKILLRUN_CONFIG": conf})
        tap.is_(res.get("outcome"), "ok", "%s: outcome ok" % label)
        check_attempts(tap, label, res, att)

    # an operator's skills directory in a tree allowed whole: other skills' manifests kept out
    setup_sk = "\n".join([
        "mount -t tmpfs -o mode=0755 none /usr/local",
        "mkdir -p /usr/local/srv-skills && echo '{}' > /usr/local/srv-skills/other.json",
        "echo other > /usr/local/zz-other && chmod -R a+rX /usr/local",
    ])
    sk_att = {"read:/usr/local/srv-skills/other.json": "denied errno=EACCES", "read:/usr/local/zz-other": "ok"}
    res = env.run("hostile-permissive", *sk_att, setup=setup_sk,
                  extra_env={"SKILLRUN_SKILLS_DIR": env.skills + ":/usr/local/srv-skills"})
    tap.is_(res.get("outcome"), "ok", "skills dir in /usr/local: outcome ok")
    check_attempts(tap, "skills dir in /usr/local", res, sk_att)

    # Third review. Host secrets reached through a symlink live where it points; manifests that
    # are symlinks (a Stow layout) too; a path written with '//' still names skillrun/; a tokens
    # directory named through /etc keeps its neighbours; many skills dirs are all kept out; a
    # symlink whose target name is too long breaks no run.
    overlay3 = etc_overlay(env, "overlay3")  # its own: these changes to /etc must not leak into others
    stow = "/usr/local/stow/site/skills"
    many = ":".join("/usr/local/sk%d" % i for i in range(10))
    setup_3 = "\n".join([
        "mount -t tmpfs -o mode=0755 none /usr/local",
        "mkdir -p /usr/local/etc/ssh /usr/local/keys /usr/local/etc/sr-data /usr/local/etc/sr %s" % stow,
        "echo k > /usr/local/etc/ssh/ssh_host_key && echo k > /usr/local/keys/server.key",
        "echo '{}' > %s/other.json && : > /usr/local/etc/sr-data/skillrun.conf" % stow,
        "echo pw > /usr/local/etc/sr-data/db-password && ln -sfn sr-data /usr/local/etc/skillrun",
        "cp %s /usr/local/etc/sr/tokens && echo pw > /usr/local/etc/sr/db-password" % env.secret,
        "for i in $(seq 0 9); do mkdir -p /usr/local/sk$i && echo '{}' > /usr/local/sk$i/m.json; done",
        "ln -sfn /tmp/$(printf 'a%.0s' $(seq 300)) /usr/local/zz-long",
        "echo other > /usr/local/zz-other && chmod -R a+rX /usr/local",
        overlay3,
        "rm -rf /etc/ssh && ln -sfn /usr/local/etc/ssh /etc/ssh",
        "mkdir -p /etc/ssl && rm -rf /etc/ssl/private && ln -sfn /usr/local/keys /etc/ssl/private",
        "ln -sfn private/server.key /etc/ssl/zz-server.key",
        "ln -sfn /usr/local/etc/sr /etc/zz-sr",
        "ln -sfn /tmp/$(printf 'a%.0s' $(seq 300)) /etc/zz-long",
        "mkdir -p %s/stowed && ln -sfn %s/other.json %s/stowed/other.json" % (env.root, stow, env.root),
    ])
    att_3 = {"read:/etc/ssh/ssh_host_key": "denied errno=EACCES",
             "read:/usr/local/etc/ssh/ssh_host_key": "denied errno=EACCES",
             "read:/etc/ssl/zz-server.key": "denied errno=EACCES",
             "read:/usr/local/keys/server.key": "denied errno=EACCES",
             "read:%s/other.json" % stow: "denied errno=EACCES",
             "read:/usr/local/etc/sr-data/db-password": "denied errno=EACCES",
             "read:/usr/local/etc/sr/db-password": "denied errno=EACCES",
             "read:/usr/local/sk9/m.json": "denied errno=EACCES",
             "read:/usr/local/zz-other": "ok", "read:/etc/passwd": "ok"}
    res = env.run("hostile-permissive", *att_3, setup=setup_3,
                  extra_env={"SKILLRUN_CONFIG": "/usr/local/etc/skillrun//skillrun.conf",
                             "SKILLRUN_TOKENS_FILE": "/etc/zz-sr/tokens",
                             "SKILLRUN_SKILLS_DIR": "%s:%s/stowed:%s" % (env.skills, env.root, many)})
    tap.is_((res.get("outcome"), res["_rc"]), ("ok", 0), "third review layout: outcome ok")
    check_attempts(tap, "third review layout", res, att_3)

    # Fourth review: a symlink inside a hidden directory leads to what it holds; a system tree
    # inside a hidden directory stays hidden; a skills dir that is /etc hides its manifests one
    # by one; a manifest link onto a directory hides nothing every skill needs.
    overlay4 = etc_overlay(env, "overlay4")
    stowed2 = os.path.join(env.root, "stowed2")
    os.mkdir(stowed2)
    os.chmod(stowed2, 0o755)
    os.symlink("/usr/lib", os.path.join(stowed2, "a.json"))
    setup_4 = "\n".join([
        "mount -t tmpfs -o mode=0755 none /usr/local",
        "mkdir -p /usr/local/etc/keys /usr/local/etc/cred /usr/local/lib",
        "echo k > /usr/local/etc/keys/zz_host_key && echo k > /usr/local/etc/cred/abbot-key",
        "echo c > /usr/local/lib/zz-cred && echo o > /usr/local/zz-other && chmod -R a+rX /usr/local",
        overlay4,
        "mkdir -p /etc/ssh /etc/zz-sr && ln -sfn /usr/local/etc/keys/zz_host_key /etc/ssh/zz_host_key",
        "cp %s /etc/zz-sr/tokens && ln -sfn /usr/local/etc/cred/abbot-key /etc/zz-sr/abbot-key" % env.secret,
        "echo '{}' > /etc/zz-site.json && chmod 0644 /etc/zz-site.json /etc/zz-sr/tokens",
    ])
    att_4 = {"read:/etc/ssh/zz_host_key": "denied errno=EACCES",
             "read:/usr/local/etc/keys/zz_host_key": "denied errno=EACCES",
             "read:/usr/local/etc/cred/abbot-key": "denied errno=EACCES",
             "read:/etc/zz-site.json": "denied errno=EACCES",
             "read:/usr/lib/os-release": "ok", "read:/usr/local/zz-other": "ok", "read:/etc/passwd": "ok"}
    res = env.run("hostile-permissive", *att_4, setup=setup_4,
                  extra_env={"SKILLRUN_TOKENS_FILE": "/etc/zz-sr/tokens",
                             "SKILLRUN_SKILLS_DIR": "%s:/etc:%s" % (env.skills, stowed2)})
    tap.is_((res.get("outcome"), res["_rc"]), ("ok", 0), "fourth review layout: outcome ok")
    check_attempts(tap, "fourth review layout", res, att_4)
    # the tokens' directory a symlink to /usr/local: restrictive's /usr/local/lib rule is inside it
    setup_4b = setup_4 + "\nln -sfn /usr/local /etc/zz-ul && cp %s /usr/local/tokens" % env.secret
    res = env.run("hostile-restrictive", "read:/usr/local/lib/zz-cred", "uid", setup=setup_4b,
                  extra_env={"SKILLRUN_TOKENS_FILE": "/etc/zz-ul/tokens"})
    tap.is_(lines(res).get("read:/usr/local/lib/zz-cred"), "denied errno=EACCES",
            "restrictive, tokens' directory -> /usr/local: /usr/local/lib stays hidden with it")

    # A name that leads to a secret through a symlink is one of its names: the copies beside it
    # are the secret's copies, as those beside its own name are. A skills directory named by a
    # link in /etc; the links of a chain to the tokens' directory; the config file a link in
    # /usr/local/etc onto a link in /etc; a key's link in /etc/ssh leading on through /etc; a host
    # secret of /etc that is a link onto one.
    setup_5 = "\n".join([
        "mount -t tmpfs -o mode=0755 none /usr/local",
        "mkdir -p /usr/local/etc/tk /usr/local/keys && cp %s /usr/local/etc/tk/tokens" % env.secret,
        "echo 'sandbox = strict' > /usr/local/etc/real.conf && echo k > /usr/local/keys/k && echo k > /usr/local/keys/krb",
        "ln -sfn /etc/zz-l.conf /usr/local/etc/sr.conf && echo 'sandbox = strict' > /usr/local/etc/sr.conf.bak",
        "echo other > /usr/local/etc/other.conf && chmod -R a+rX /usr/local",
        etc_overlay(env, "overlay5"),
        "mkdir -p /etc/zz-skills-real /etc/zz-skills.bak /etc/ssh /etc/zz-sr2.bak",
        "echo '{}' > /etc/zz-skills-real/other.json && cp /etc/zz-skills-real/other.json /etc/zz-skills.bak/",
        "ln -sfn zz-skills-real /etc/zz-skills",
        "ln -sfn /usr/local/etc/tk /etc/zz-sr2 && ln -sfn zz-sr2 /etc/zz-sr && cp %s /etc/zz-sr2.bak/tokens" % env.secret,
        "ln -sfn /usr/local/etc/real.conf /etc/zz-l.conf && echo 'sandbox = strict' > /etc/zz-l.conf.bak",
        "ln -sfn /usr/local/keys/k /etc/zz-k1 && ln -sfn /etc/zz-k1 /etc/ssh/zz_key && echo k > /etc/zz-k1.bak",
        "ln -sfn /usr/local/keys/krb /etc/zz-krb && ln -sfn zz-krb /etc/krb5.keytab && echo k > /etc/zz-krb.bak",
        "mkdir -p /etc/zz-sr.bak && cp %s /etc/zz-sr.bak/tokens && echo other > /etc/zz-other" % env.secret,
        "chmod -R a+rX /etc/zz-skills-real /etc/zz-skills.bak /etc/zz-sr2.bak /etc/zz-sr.bak /etc/zz-l.conf.bak "
        "/etc/zz-k1.bak /etc/zz-krb.bak /etc/zz-other",
    ])
    att_5 = {"read:/etc/zz-skills/other.json": "denied errno=EACCES",
             "read:/etc/zz-skills.bak/other.json": "denied errno=EACCES",
             "read:/etc/zz-sr/tokens": "denied errno=EACCES",
             "read:/etc/zz-sr2.bak/tokens": "denied errno=EACCES",
             "read:/etc/zz-sr.bak/tokens": "denied errno=EACCES",
             "read:/usr/local/etc/sr.conf.bak": "denied errno=EACCES",
             "read:/etc/zz-l.conf.bak": "denied errno=EACCES",
             "read:/etc/ssh/zz_key": "denied errno=EACCES",
             "read:/etc/zz-k1.bak": "denied errno=EACCES",
             "read:/etc/krb5.keytab": "denied errno=EACCES",
             "read:/etc/zz-krb.bak": "denied errno=EACCES",
             "read:/etc/zz-other": "ok", "read:/usr/local/etc/other.conf": "ok", "read:/etc/passwd": "ok"}
    res = env.run("hostile-permissive", *att_5, setup=setup_5,
                  extra_env={"SKILLRUN_CONFIG": "/usr/local/etc/sr.conf", "SKILLRUN_TOKENS_FILE": "/etc/zz-sr/tokens",
                             "SKILLRUN_SKILLS_DIR": "%s:/etc/zz-skills" % env.skills})
    tap.is_((res.get("outcome"), res["_rc"]), ("ok", 0), "names through symlinks: outcome ok")
    check_attempts(tap, "copies of names through symlinks", res, att_5)

    # The links of a hidden directory lead to what it holds, but only where root alone writes
    # there: a tokens directory another user owns, or one its group may write to, has its links
    # not followed, else whoever writes there could hide what every skill needs (libc).
    libc = linked_libc(env.hostile)
    for owner, mode in (("1000:1000", "0755"), ("0:0", "0775")):
        label = "tokens' directory owned %s, mode %s, with a link to libc" % (owner, mode)
        if not libc:
            tap.skip("%s: no libc.so.6 that %s links to" % (label, env.hostile))
            continue
        setup_6 = "\n".join([
            etc_overlay(env, "overlay6-" + mode),
            "mkdir -p /etc/zz-sr && cp %s /etc/zz-sr/tokens && chmod 0644 /etc/zz-sr/tokens" % env.secret,
            "ln -sfn %s /etc/zz-sr/libc && chown -h %s /etc/zz-sr /etc/zz-sr/libc && chmod %s /etc/zz-sr" %
            (libc, owner, mode),
        ])
        att_6 = {"read:/etc/zz-sr/tokens": "denied errno=EACCES", "read:" + libc: "ok",
                 "uid": "ok uid=65534 euid=65534 gid=65534 groups=0"}
        res = env.run("hostile-permissive", *att_6, setup=setup_6, extra_env={"SKILLRUN_TOKENS_FILE": "/etc/zz-sr/tokens"})
        tap.is_((res.get("outcome"), res["_rc"]), ("ok", 0), "%s: the skill runs" % label, repr(brief(res)))
        check_attempts(tap, label, res, att_6)

    # A host secret's link leads to what it holds only through root's links: one of a chain that
    # another user owns is his to point anywhere (deploy's link in his home onto libc, where
    # root's link in /etc/ssl/private, or /etc/krb5.keytab, leads), and is not followed. A chain
    # of root's links alone still hides the key it leads to.
    label = "host secrets' links through a link not root's onto libc"
    if libc:
        setup_7 = "\n".join([
            "mount -t tmpfs -o mode=0755 none /usr/local",
            "mkdir -p /usr/local/deploy /usr/local/keys && echo k > /usr/local/keys/zz-real.key",
            "echo o > /usr/local/zz-other && chmod -R a+rX /usr/local",
            "ln -sfn %s /usr/local/deploy/site.key && ln -sfn %s /usr/local/deploy/krb" % (libc, libc),
            "chown -R 1000:1000 /usr/local/deploy && chown -h 1000:1000 /usr/local/deploy/*",
            # root's own link onto libc, in deploy's directory (his to rename there from beside it)
            "ln -sfn %s /usr/local/deploy/moved" % libc,
            "ln -sfn zz-real.key /usr/local/keys/zz-mid.key",
            etc_overlay(env, "overlay7"),
            "mkdir -p /etc/ssl/private && chmod 0755 /etc/ssl/private",
            "ln -sfn /usr/local/deploy/site.key /etc/ssl/private/site.key",
            "ln -sfn /usr/local/deploy/moved /etc/ssl/private/moved.key",
            "ln -sfn /usr/local/keys/zz-mid.key /etc/ssl/private/zz-root.key",
            "rm -f /etc/krb5.keytab && ln -sfn /usr/local/deploy/krb /etc/krb5.keytab",
        ])
        att_7 = {"read:" + libc: "ok", "read:/usr/local/keys/zz-real.key": "denied errno=EACCES",
                 "read:/etc/ssl/private/zz-root.key": "denied errno=EACCES",
                 "read:/usr/local/zz-other": "ok", "uid": "ok uid=65534 euid=65534 gid=65534 groups=0"}
        res = env.run("hostile-permissive", *att_7, setup=setup_7)
        tap.is_((res.get("outcome"), res["_rc"]), ("ok", 0), "%s: the skill runs" % label, repr(brief(res)))
        check_attempts(tap, label, res, att_7)
    else:
        tap.skip("%s: no libc.so.6 that %s links to" % (label, env.hostile))

    # Fifth review. Restrictive: a #! line naming a secret (env's -u takes a value, not a
    # program) grants nothing. A read path through a symlink a skill could have made, or
    # leading into an /etc secret, or covering the runs' work dirs, is refused.
    script = os.path.join(env.bin, "env-trick")
    with open(script, "w") as f:
        f.write("#!/usr/bin/env -S -u %s %s\n" % (env.secret, env.hostile))
    os.chmod(script, 0o755)
    env.skill("hostile-envtrick", "restrictive", command=[script])
    res = env.run("hostile-envtrick", "read:" + env.secret, "uid")
    got = lines(res)
    tap.is_((res.get("outcome"), got.get("read:" + env.secret)), ("ok", "denied errno=EACCES"),
            "restrictive: a #! line naming the tokens does not grant them (%r)" % res.get("_stderr", "")[-200:])

    # …nor one naming any other file after an option that takes a value
    with open(script, "w") as f:
        f.write("#!/usr/bin/env -S -u /etc/passwd %s\n" % env.hostile)
    res = env.run("hostile-envtrick", "read:/etc/passwd", "uid")
    got = lines(res)
    tap.is_((res.get("outcome"), got.get("read:/etc/passwd")), ("ok", "denied errno=EACCES"),
            "restrictive: 'env -u /etc/passwd' in a #! line does not grant /etc/passwd")

    # Sixth review: the work dir base is anybody's to write (/tmp); links planted there must not
    # hide what every skill needs (libc) from every run.
    libc = linked_libc(env.hostile)
    if libc:
        openwork = os.path.join(env.root, "openwork")
        os.mkdir(openwork)
        os.chmod(openwork, 0o1777)
        planted = os.path.join(openwork, "evil")
        os.symlink(libc, planted)
        os.lchown(planted, 65534, 65534)
        res = env.run("hostile-permissive", "uid", extra_env={"SKILLRUN_WORK_DIR": openwork})
        tap.is_((res.get("outcome"), res["_rc"]), ("ok", 0),
                "a link to libc planted in the work dir base hides nothing (%r)" % res.get("_stderr", "")[-200:])
    else:
        tap.skip("no libc.so.6 that %s links to plant a link to" % env.hostile)

    state = os.path.join(env.open, "state")
    os.mkdir(state)
    os.chown(state, 65534, 65534)
    link = os.path.join(state, "cfg")
    os.symlink("/etc/ssh", link)
    os.lchown(link, 65534, 65534)  # as a skill with this write path would have left it
    # /etc/ssh as a host with sshd has it: a machine without openssh has none, and a link to
    # nothing is a missing path, not one refused
    setup_ssh = "\n".join([
        etc_overlay(env, "overlay-ssh"),
        "mkdir -p /etc/ssh && echo cfg > /etc/ssh/sshd_config && chmod 0644 /etc/ssh/sshd_config",
    ])
    env.skill("hostile-redirect", "permissive", read_paths=[env.bin, link])
    res = env.run("hostile-redirect", "read:%s/sshd_config" % link, "uid", setup=setup_ssh)
    got = lines(res)
    # as a missing path: nothing granted, and the run goes on (a local user's link in /tmp
    # must not be able to stop a skill)
    tap.is_((res.get("outcome"), res["_rc"], got.get("uid", "")[:2]), ("ok", 0, "ok"),
            "read path through a symlink not owned by root: the run goes on (%r)" % res.get("_stderr", "")[-200:])
    tap.ok(got.get("read:%s/sshd_config" % link, "").startswith("denied"),
           "… and the link's target is not granted (%r)" % got.get("read:%s/sshd_config" % link))
    # `skillrun check` says what a run does: no error for a path that only grants nothing
    args, cenv = env.command("hostile-redirect", [], setup=setup_ssh)
    args = args[:args.index(SKILLRUN) + 1] + ["check"]
    p = subprocess.run(args, env=cenv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    said = [ln for ln in p.stdout.decode(errors="replace").splitlines() if "hostile-redirect" in ln]
    tap.ok(said and said[0].startswith("ok: hostile-redirect"),
           "check: read path through a symlink not owned by root is no error (%r)" % said)
    os.lchown(link, 0, 0)
    res = env.run("hostile-redirect", "uid", setup=setup_ssh)
    tap.ok(res["_rc"] != 0 and "read_paths: '%s' would expose what skillrun keeps out" % link in res.get("_stderr", ""),
           "read path led by a symlink into /etc/ssh: refused (%r)" % res.get("_stderr", "")[-200:])
    env.skill("hostile-workbase", "permissive", read_paths=[env.bin, env.work])
    res = env.run("hostile-workbase", "uid")
    tap.ok(res["_rc"] != 0 and "read_paths: '%s' would expose" % env.work in res.get("_stderr", ""),
           "read path covering the runs' work dirs: refused (%r)" % res.get("_stderr", "")[-200:])

    # Seventh review: a read path led by a symlink *into* what is kept out (not above it). A root
    # link straight onto another manifest is the operator's mistake: refused. The operator's root
    # link onto a link the skill planted in its write path is the skill's doing: like a planted
    # link in the path as written, it grants nothing and stops nothing (else any skill could stop
    # another by pointing its link at a secret), and `skillrun check` says no error either.
    planted = os.path.join(env.open, "state2")
    os.mkdir(planted)
    os.chown(planted, 65534, 65534)
    os.symlink(os.path.join(env.skills, "other.json"), os.path.join(planted, "cfg"))
    os.lchown(os.path.join(planted, "cfg"), 65534, 65534)  # as the skill would have left it
    into = os.path.join(env.root, "into-link")
    os.symlink(os.path.join(env.skills, "other.json"), into)
    env.skill("hostile-into", "permissive", read_paths=[env.bin, into], write_paths=[planted])
    res = env.run("hostile-into", "read:" + into, "uid")
    tap.ok(res["_rc"] != 0 and "read_paths: '%s' would expose what skillrun keeps out" % into in
           res.get("_stderr", ""),
           "read path led by a root link into another skill's manifest: refused (%r, %r)" %
           (res["_rc"], lines(res).get("read:" + into)))
    os.unlink(into)
    os.symlink(os.path.join(planted, "cfg"), into)
    res = env.run("hostile-into", "read:" + into, "uid")
    got = lines(res)
    tap.is_((res.get("outcome"), res["_rc"], got.get("uid", "")[:2], got.get("read:" + into)),
            ("ok", 0, "ok", "denied errno=EACCES"),
            "read path led by a root link onto a skill's link into another manifest: nothing granted, "
            "the run goes on (%r)" % res.get("_stderr", "")[-200:])
    args, cenv = env.command("hostile-into", [])
    args = args[:args.index(SKILLRUN) + 1] + ["check"]
    p = subprocess.run(args, env=cenv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    said = [ln for ln in p.stdout.decode(errors="replace").splitlines() if "hostile-into" in ln]
    tap.ok(said and said[0].startswith("ok: hostile-into"),
           "check: read path through a root link onto a skill's link is no error (%r)" % said)

    # …and one led by the operator's root link onto a skill's link to anywhere else: a symlink
    # not owned by root on the way grants nothing, in a link's target as in the path as written
    elsewhere = os.path.join(env.root, "elsewhere")  # readable by mode, allowed by no rule
    os.mkdir(elsewhere)
    os.chmod(elsewhere, 0o755)
    with open(os.path.join(elsewhere, "file"), "w") as f:
        f.write("elsewhere\n")
    os.chmod(os.path.join(elsewhere, "file"), 0o644)
    os.symlink(elsewhere, os.path.join(planted, "data"))
    os.lchown(os.path.join(planted, "data"), 65534, 65534)  # as the skill would have left it
    into = os.path.join(env.root, "into-data")
    os.symlink(os.path.join(planted, "data"), into)
    env.skill("hostile-into", "permissive", read_paths=[env.bin, into], write_paths=[planted])
    res = env.run("hostile-into", "read:%s/file" % into, "read:%s/file" % elsewhere, "uid")
    got = lines(res)
    tap.is_((res.get("outcome"), res["_rc"], got.get("uid", "")[:2]), ("ok", 0, "ok"),
            "read path led by a root link onto a skill's link: the run goes on (%r)" % res.get("_stderr", "")[-200:])
    tap.is_((got.get("read:%s/file" % into), got.get("read:%s/file" % elsewhere)),
            ("denied errno=EACCES", "denied errno=EACCES"),
            "… and the skill's link's target is not granted")

    # a read path that loops grants nothing and breaks nothing
    loop = os.path.join(env.root, "loop")
    os.symlink(loop, loop)
    env.skill("hostile-loop", "permissive", read_paths=[env.bin, loop])
    res = env.run("hostile-loop", "uid")
    tap.is_((res.get("outcome"), res["_rc"]), ("ok", 0), "a read path that is a symlink loop: the run still happens")

    # "file/" names no file for the kernel (ENOTDIR): as a read path it grants nothing, the run
    # goes on, as when the worker opened it whole; also reached through a link to the file
    slashed = os.path.join(env.root, "slashed")
    with open(slashed, "w") as f:
        f.write("slashed\n")
    os.chmod(slashed, 0o644)
    os.symlink(slashed, slashed + "-link")
    env.skill("hostile-slash", "permissive", read_paths=[env.bin, slashed + "/", slashed + "-link/"])
    res = env.run("hostile-slash", "read:" + slashed, "uid")
    got = lines(res)
    tap.is_((res.get("outcome"), res["_rc"], got.get("uid", "")[:2], got.get("read:" + slashed)),
            ("ok", 0, "ok", "denied errno=EACCES"),
            "read path 'file/' (and 'link-to-file/'): the file is not granted, the run goes on (%r)" %
            res.get("_stderr", "")[-200:])

    # a manifest path that is a symlink to the tokens' directory is refused, as the directory is
    env.skill("hostile-linkpath", "permissive", read_paths=["/etc/zz-tokens-dir"])
    res = env.run("hostile-linkpath", "uid", setup=setup, extra_env={"SKILLRUN_TOKENS_FILE": tokens})
    tap.ok(res["_rc"] != 0 and "read_paths: '/etc/zz-tokens-dir' would expose what skillrun keeps out" in res.get("_stderr", ""),
           "read path symlinked to the tokens' directory: refused (%r, %r)" % (res["_rc"], res.get("_stderr", "")[-200:]))


def main():
    if os.geteuid() != 0:
        skip_all("needs root (skills switch to the run user)")
    if not os.access(SKILLRUN, os.X_OK) or not os.access(HOSTILE, os.X_OK):
        skip_all("skillrun or tests/sandbox/hostile not built")
    # the rlimit fallback and the planted-path cases run the worker in a mount namespace of its own
    why = private_mounts_refused()
    if why:
        skip_all(why)
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the ABI, or -1
    if libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1)) < 1:
        skip_all("landlock unavailable (strict mode would refuse every confined run)")
    env = Env()
    try:
        # The shared TAP runner: a crash in body is a failed test, then the plan and the exit code.
        tap_main(lambda tap: body(tap, env))
    finally:
        env.close()


if __name__ == "__main__":
    main()
