#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Supervision (issue 2 item 9): the timeout kills the whole process tree, daemons
# that setsid() and double-fork included, SIGKILL after the grace period; a client
# hang-up kills the run at once; nothing is left behind afterwards; workdir_max counts what an
# unprivileged worker's skill hides in directories it made unreadable.
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (Worker, build_request, cmdline_of, main, pid_alive, proc_state, require_python,  # noqa: E402
                           sh_skill, py_skill, skillrun_bin, tree_skill, wait_for, wait_gone)

GRACE_MS = 300


def pids_of(stdout):
    try:
        d = json.loads((stdout or "").strip().splitlines()[0])
        return [d["skill"], d["daemon"]]
    except (ValueError, IndexError, KeyError, TypeError):
        return []


# Writers left behind by a skill that exits: in its group, in the group below a parent that waits
# for them, out of it (setsid) below a parent that waits for them. Killed as the skill exits, none
# may write "late".
# Without a run cgroup tasks_max is RLIMIT_NPROC, which counts every process of the user: the
# default 64 let the other tests make -j2 check runs beside this one as nobody (a fork bomb held
# to its own 64) fail the leaver's forks ("Cannot fork", exit 2). Nothing here tests tasks_max.
NO_NPROC_SQUEEZE = 4096

LEAVER = sh_skill("(sleep 1; echo late) & for i in 1 2 3 4; do (sh -c 'sleep 1; echo late$0' $i; true) & done; "
                  "(setsid sh -c '(sleep 1; echo late-s; true); true' &); sleep 0.1; echo early", timeout_ms=20000)


# workdir_max under DynamicUser: the skill has the worker's uid and the worker no DAC capability,
# so what the skill writes into a directory it made unreadable (or into its work dir made so)
# must still be counted. Killed while it sleeps, it never says "done".
def hider(before, into="", after=""):
    """A skill that writes 10 MB into its work dir (or 'into' below it) between two commands."""
    return sh_skill("%s; for i in 1 2 3 4 5 6 7 8 9 10; do head -c 1000000 /dev/zero > %sf$i; done; sleep 1; "
                    "%secho done" % (before, into, after), workdir_max="2M", timeout_ms=20000)


HIDERS = {
    "hide-subdir": hider("mkdir d; chmod 300 d", "d/", "chmod 700 d; "),
    "hide-workdir": hider("chmod 300 .", "", "chmod 700 .; "),
    # the work root is the worker's, so the skill may rename its work dir there (policy none):
    # what it writes is still counted, and the renamed copy removed
    "move-workdir": hider('mv "$PWD" "$PWD.x" || exit 7'),
    "move-workdir-file": hider('mv "$PWD" "$PWD.x" && : > "$PWD" || exit 7'),
    # an empty directory at its path: that one removed alone would leave the moved one, 10 MB
    "move-workdir-dir": hider('mv "$PWD" "$PWD.x" && mkdir "$PWD" || exit 7'),
    # the moved one made unwritable: emptied only once its mode is given back
    "move-workdir-locked": hider('mv "$PWD" "$PWD.x" && mkdir d && chmod 500 . || exit 7', "d/"),
}

# A tree made readable but not searchable (0600): the worker gives the search bit back and counts
# it, small as it is, rather than taking what it cannot stat for over workdir_max.
UNSEARCHABLE = sh_skill("mkdir d && echo x > d/f && chmod 600 d . && sleep 1 && echo done", workdir_max="2M")


# A worker that owns its work root (one under RuntimeDirectory=, or started by hand as its owner)
# shares that owner with its skills: landlock does not rule chmod(2), so a sandboxed skill can take
# every bit of the root away. Its own work dir must still go, and the next run must get one.
LOCKROOT = sh_skill('chmod 0 "${PWD%/*}" && echo locked', policy="permissive")
# Nor does it rule setxattr(2): a default ACL on the root whose owner entry grants nothing would give
# every later run's work dir mode 0 (mkdir's mode only narrows what the ACL gives), which the worker,
# without CAP_DAC_OVERRIDE, could then not open. "unsupported" where the file system has no ACLs.
ACLROOT = py_skill("import os, struct\n"
                   "acl = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', tag, 0, 0xffffffff) for tag in (1, 4, 0x20))\n"
                   "try:\n"
                   "    os.setxattr('..', 'system.posix_acl_default', acl)\n"
                   "    print('set')\n"
                   "except OSError as e:\n"
                   "    print('unsupported' if e.errno == 95 else e)\n", policy="permissive")
# what the next run's work dir and a file made there are like
WDMODE = sh_skill('stat -c %a . && umask 022 && : > f && stat -c %a f', policy="permissive")


# skillrun.conf(5), workdir_max: a work dir nested deeper than 128 directories counts as over it.
# Small in bytes either way; killed while it sleeps, the deeper one never says "done".
def nester(depth):
    return py_skill("import os, time; os.makedirs('/'.join(['d'] * %d)); time.sleep(1); print('done')" % depth,
                    workdir_max="16M", timeout_ms=20000)


# What the btrfs skills below share: subvolumes made with fcntl.ioctl (every policy allows it), and
# the requests the worker's seccomp filter refuses, tried through libc's ioctl(), whose request is
# an unsigned long: also with its upper half set, which the kernel ignores. try_ioctl() says the
# errno's name, or ok.
BTRFS_HELPERS = ("import ctypes, errno, fcntl, os, struct\n"
                 "libc = ctypes.CDLL(None, use_errno=True)\n"
                 "def try_ioctl(fd, request, arg, high=False):\n"
                 "    if high:\n"
                 "        request |= 0xffffffff << 32\n"
                 "    if libc.ioctl(fd, ctypes.c_ulong(request), arg) < 0:\n"
                 "        return errno.errorcode[ctypes.get_errno()]\n"
                 "    return 'ok'\n"
                 "def subvol(parent, name):\n"
                 "    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)\n"
                 "    # BTRFS_IOC_SUBVOL_CREATE, struct btrfs_ioctl_vol_args (4096 bytes)\n"
                 "    fcntl.ioctl(fd, 0x5000940e, bytearray(struct.pack('q4088s', 0, name.encode())))\n"
                 "    os.close(fd)\n"
                 "def snapshot(src_fd, parent, name, high=False):\n"
                 "    d = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)\n"
                 "    # BTRFS_IOC_SNAP_CREATE, struct btrfs_ioctl_vol_args: writable\n"
                 "    r = try_ioctl(d, 0x50009401, ctypes.create_string_buffer(struct.pack('q4088s', src_fd, name.encode())),\n"
                 "                  high)\n"
                 "    os.close(d)\n"
                 "    return r\n"
                 "def snapshot_rdonly(src_fd, parent, name, high=False):\n"
                 "    d = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)\n"
                 "    # BTRFS_IOC_SNAP_CREATE_V2, struct btrfs_ioctl_vol_args_v2 (4096 bytes), BTRFS_SUBVOL_RDONLY\n"
                 "    r = try_ioctl(d, 0x50009417,\n"
                 "                  ctypes.create_string_buffer(struct.pack('qQQ32s4040s', src_fd, 0, 2, b'', name.encode())),\n"
                 "                  high)\n"
                 "    os.close(d)\n"
                 "    return r\n"
                 "def set_rdonly(fd, high=False):\n"
                 "    # BTRFS_IOC_SUBVOL_SETFLAGS, BTRFS_SUBVOL_RDONLY\n"
                 "    return try_ioctl(fd, 0x4008941a, ctypes.byref(ctypes.c_uint64(2)), high)\n"
                 "def reflink(src, dst):\n"
                 "    open(src, 'wb').write(b'x' * 100000)\n"
                 "    s = os.open(src, os.O_RDONLY); d = os.open(dst, os.O_WRONLY | os.O_CREAT, 0o600)\n"
                 "    # FICLONE: the reflink request of the same type (cp --reflink), the file system's\n"
                 "    r = try_ioctl(d, 0x40049409, ctypes.c_int(s))\n"
                 "    os.close(s); os.close(d)\n"
                 "    return r\n"
                 "def sv_with_data(parent):\n"
                 "    subvol(parent, 'sv'); os.makedirs(parent + '/sv/d')\n"
                 "    open(parent + '/sv/d/f', 'wb').write(b'x' * 1000000)\n"
                 "    subvol(parent + '/sv', 'inner')\n")


# On btrfs a skill may create subvolumes in its work dir (an unprivileged ioctl, allowed by the
# permissive policy): each has a st_dev of its own, yet is no mount, and must go with the work dir.
SUBVOLS = py_skill(BTRFS_HELPERS +
                   "subvol('.', 'sv'); subvol('sv', 'inner'); os.makedirs('sv/inner/d')\n"
                   "open('sv/inner/d/f', 'wb').write(b'x' * 1000000)\n"
                   "print('made', os.stat('sv').st_dev != os.stat('.').st_dev)",
                   policy="permissive", timeout_ms=20000)


# Any owner of a subvolume may snapshot it read-only, or make it read-only, and nothing in it can be
# removed until it is made writable again, through an fd of it: one whose mode is 0 (its owner
# chmods it so, holding an fd of it) neither its owner nor the worker sharing its uid could open or
# chmod again (EROFS), and the work dir stayed. The worker's filter refuses all three requests,
# under every policy, whatever the upper half of the request says; a subvolume and a reflink still
# work.
def locked_subvols(policy):
    return py_skill(BTRFS_HELPERS +
                    "sv_with_data('.'); s = os.open('sv', os.O_RDONLY | os.O_DIRECTORY); os.chmod('sv', 0)\n"
                    "print(*[f(h) for h in (False, True) for f in (lambda h: snapshot_rdonly(s, '.', 'ro', h),\n"
                    "                                              lambda h: snapshot(s, '.', 'snap', h),\n"
                    "                                              lambda h: set_rdonly(s, h))])\n"
                    "print('reflink', reflink('a', 'b'))",
                    policy=policy, timeout_ms=20000)


# Policy none, in a work root of its own (the unprivileged worker's): a read-only snapshot put where
# the work dir was, itself the top that rm_rf() would be given, is refused; the moved work dir goes.
RO_SNAP_TOP = py_skill(BTRFS_HELPERS +
                       "here = os.getcwd(); os.rename(here, here + '.x'); sv_with_data(here + '.x')\n"
                       "s = os.open(here + '.x/sv', os.O_RDONLY | os.O_DIRECTORY)\n"
                       "print(snapshot_rdonly(s, os.path.dirname(here), os.path.basename(here)),\n"
                       "      os.path.exists(here))", timeout_ms=20000)


def btrfs_subvolumes(tap, user=None):
    who = "unprivileged worker" if user else "worker"
    if os.geteuid() != 0 or not shutil.which("mkfs.btrfs") or not shutil.which("mount"):
        tap.skip("btrfs subvolumes in a work dir (%s): needs root, mkfs.btrfs (btrfs-progs) and mount" % who)
        return
    with open("/proc/filesystems") as f:
        if "\tbtrfs\n" not in f.read():
            tap.skip("btrfs subvolumes in a work dir (%s): no btrfs in /proc/filesystems" % who)
            return
    if user and not shutil.which("setpriv"):
        tap.skip("btrfs subvolumes in a work dir (%s): needs setpriv" % who)
        return
    w = Worker(skills={"subvols": SUBVOLS, "locked-none": locked_subvols("none"),
                       "locked-permissive": locked_subvols("permissive"), "rosnap-top": RO_SNAP_TOP}, user=user)
    img = os.path.join(w.root, "btrfs.img")
    with open(img, "wb") as f:
        f.truncate(128 << 20)  # sparse
    subprocess.run(["mkfs.btrfs", "-q", img], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # -o loop: util-linux takes a free loop device and detaches it (autoclear) as it is unmounted
    m = subprocess.run(["mount", "-o", "loop", img, w.work_dir], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if m.returncode != 0:
        tap.skip("btrfs subvolumes in a work dir (%s): mounting a btrfs image failed: %s" % (who, m.stdout.strip()))
        shutil.rmtree(w.root, ignore_errors=True)
        Worker.created.remove(w)
        return
    try:
        os.chmod(w.work_dir, 0o755)  # start() gives it to 'user'
        w.start()

        def removed(skill, stdout, did, gone):
            r = w.run(skill, {})
            j = r.json or {}
            tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("stdout")), (200, "ok", 0, stdout),
                    "%s: a skill %s" % (who, did), "body: %r" % r.body[:500])
            dirs, procs = w.wait_no_leftovers(3.0)
            tap.is_(dirs, [], "... " + gone)

        removed("subvols", "made True\n", "made btrfs subvolumes in its work dir",
                "its work dir, subvolumes and all, is removed")
        for policy in ("none", "permissive"):
            removed("locked-" + policy, "EPERM EPERM EPERM EPERM EPERM EPERM\nreflink ok\n",
                    "(policy %s) chmodded its subvolume to 0: snapshots and the read-only flag refused with EPERM, "
                    "the upper half of the request set or not; a subvolume and a reflink made" % policy,
                    "its work dir, mode 0 subvolume and all, is removed")
        if user:  # only a worker that owns the work root shares it with its skills
            removed("rosnap-top", "EPERM False\n",
                    "moved its work dir and tried to put a read-only snapshot in its place: EPERM",
                    "the moved work dir is removed")
        tap.ok("left behind" not in w.read_log(), "... and the worker's log says nothing was left behind",
               w.read_log()[-2000:])
    finally:
        # before stop(), whose rmtree() cannot take a mount point (nor should walk the image)
        subprocess.run(["umount", "-l", w.work_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w.stop(tap)


def leavers(tap, w, who):
    r = w.run("leaver", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code")), (200, "ok", 0),
            "%s: skill that leaves writers behind: ok" % who, "body: %r" % r.body[:1000])
    tap.is_(j.get("stdout"), "early\n", "... they were killed when it exited (nothing 'late' on stdout)")
    dirs, procs = w.wait_no_leftovers(2.0)
    tap.is_(procs, [], "... and none is left")


# Until the process $1 names is stopped (state T in /proc/$1/stat; a shell's $! for $1).
UNTIL_STOPPED = "until [ \"$(sed 's/.*) //' /proc/$1/stat | cut -d' ' -f1)\" = T ]; do sleep 0.01; done"


def stopped_and_closed(tap):
    """A skill that closes its stdout and stderr early is still waited for, and its exit status
    read; processes that hold the output pipes while stopped (SIGSTOP), in its group or out of it
    (setsid), die as the skill exits and hold up nothing; a main process that stopped itself dies
    at a hang-up. Each state is reached before the skill goes on (it waits for it)."""
    w = Worker(skills={
        "closes": sh_skill("echo a; echo b >&2; exec >&- 2>&-; sleep 0.2; exit 3", timeout_ms=20000),
        "stoppedkid": sh_skill("sh -c 'kill -STOP $$; echo late' & set -- $!; %s; echo early" % UNTIL_STOPPED,
                               timeout_ms=20000),
        "stoppeddaemon": sh_skill("setsid sh -c 'kill -STOP $$; echo late' & set -- $!; %s; echo early"
                                  % UNTIL_STOPPED, timeout_ms=20000),
    }, settings={"timeout_ms": 120000})
    pidfile = os.path.join(w.state_dir, "stopped.pid")
    # its stdout and stderr handed (SCM_RIGHTS) to a process outside the run, which no kill reaches
    holder_path = os.path.join(w.state_dir, "holder.sock")
    w.add_skill("handsout", py_skill("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(%r)\n"
                                     "socket.send_fds(s, [b'x'], [1, 2])\nprint('handed')" % holder_path,
                                     timeout_ms=20000))
    w.add_skill("stopsself", sh_skill("echo $$ > %s; kill -STOP $$; echo resumed" % pidfile, timeout_ms=120000))
    w.start()
    r = w.run("closes", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("stdout"), j.get("stderr")),
            (200, "failed", 3, "a\n", "b\n"), "a skill that closes stdout and stderr early: its own exit status")
    for name, what in (("stoppedkid", "in its group"), ("stoppeddaemon", "that called setsid()")):
        r = w.run(name, {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("stdout")), (200, "ok", 0, "early\n"),
                "a stopped child %s holding stdout as the skill exits: ok, answered, nothing 'late'" % what,
                "body: %r" % r.body[:500])
        dirs, procs = w.wait_no_leftovers(3.0)
        tap.is_(procs, [], "... and it was killed")
    held = []
    with socket.socket(socket.AF_UNIX) as srv:
        srv.bind(holder_path)
        os.chmod(holder_path, 0o777)
        srv.listen(1)
        srv.settimeout(20)

        def hold():
            try:
                c, _ = srv.accept()
                with c:
                    held.extend(socket.recv_fds(c, 16, 4)[1])
            except OSError:
                pass
        holder = threading.Thread(target=hold)
        holder.start()
        t0 = time.monotonic()
        r = w.run("handsout", {})
        dt = time.monotonic() - t0
        holder.join()
    j = r.json or {}
    tap.is_((len(held), r.status, j.get("outcome"), j.get("stdout")), (2, 200, "ok", "handed\n"),
            "a skill that handed its output pipes to a process outside the run: ok", "body: %r" % r.body[:500])
    # the pipes are closed 2 s after the skill exits, not held until the holder lets go
    tap.ok(dt < 6.0, "... answered %.2fs after the request, its pipes still held" % dt)
    for fd in held:
        os.close(fd)
    s = socket.create_connection(("127.0.0.1", w.port))
    s.sendall(build_request("POST", "/v1/skills/stopsself/run", {}, token=w.token))
    pid = wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), 15)
    stopped = pid and wait_for(lambda: proc_state(pid) == "T", 10)
    tap.ok(stopped, "a skill stopped itself (SIGSTOP)")
    s.close()
    tap.is_(wait_gone([int(pid)] if pid else [], 10.0), [], "... a hang-up kills it all the same")
    dirs, procs = w.wait_no_leftovers(3.0)
    tap.is_((dirs, procs), ([], []), "... nothing left")
    w.stop(tap)


def body(tap):
    require_python()
    # the tree's own timeout far above every bound below, so that reaching it fails them
    w = Worker(skills={"tree": tree_skill(timeout_ms=120000), "sleep": sh_skill("sleep 30", timeout_ms=20000),
                       "stopped": sh_skill("trap 'echo term; exit 7' TERM; echo stopping; kill -STOP $$; echo resumed",
                                           timeout_ms=20000),
                       # a stopped process of the group that is not its leader
                       "stoppedkid": sh_skill("sh -c 'trap \"echo kid-term; exit 0\" TERM; echo stopping; kill -STOP $$; "
                                              "echo resumed' & k=$!; trap 'wait $k; exit 7' TERM; wait $k",
                                              timeout_ms=20000),
                       "spawner": sh_skill("sleep 30 & sleep 30 & (sleep 30 &) ; wait", timeout_ms=20000),
                       "leaver": LEAVER, "deep128": nester(128), "deep129": nester(129),
                       # over workdir_max only together, each file under it (RLIMIT_FSIZE does not stop them)
                       "twofiles": py_skill("import time\nfor n in 'ab': open(n, 'wb').write(b'x' * 700000)\n"
                                            "time.sleep(10); print('done')", workdir_max="1M", timeout_ms=20000),
                       # no block allocated to any, but each takes an inode: SUPERVISE_ENTRY_MIN apiece
                       "empties": py_skill("import time\nfor i in range(600): open('e%d' % i, 'w').close()\n"
                                           "time.sleep(10); print('done')", workdir_max="2M", timeout_ms=20000),
                       # 512 of them: exactly workdir_max, which is not over it
                       "empties512": py_skill("import time\nfor i in range(512): open('e%d' % i, 'w').close()\n"
                                              "time.sleep(1); print('done')", workdir_max="2M", timeout_ms=20000),
                       # a symlink counts as itself, never as what it points to (the worker binary here)
                       "biglink": sh_skill("ln -s %s big && sleep 1 && echo done" % skillrun_bin(),
                                           workdir_max="64K", timeout_ms=20000)},
               settings={"kill_grace_ms": GRACE_MS, "timeout_ms": 120000, "tasks_max": NO_NPROC_SQUEEZE}).start()

    # --- timeout: the skill and its detached daemon both die
    t0 = time.monotonic()
    r = w.run("tree", {"timeout_ms": 700})
    dt = time.monotonic() - t0
    j = r.json or {}
    tap.is_((r.status, j.get("outcome")), (200, "timeout"), "timeout: 200, outcome timeout")
    # not before the timeout; the skill would sleep for 1000 s, and 120 s is its manifest's limit
    tap.ok(0.7 <= dt < 15.0, "response after the timeout, not the manifest's 120 s (%.2fs)" % dt)
    pids = pids_of(j.get("stdout"))
    tap.is_(len(pids), 2, "the skill reported its pid and its daemon's", repr(j.get("stdout")))
    tap.is_(wait_gone(pids, 2.0), [], "skill and setsid()+double-forked daemon are gone after a timeout")
    dirs, procs = w.wait_no_leftovers(2.0)
    tap.is_(dirs, [], "work dir removed after a timeout")

    # --- SIGTERM ignored: SIGKILL after kill_grace_ms
    t0 = time.monotonic()
    r = w.run("tree", {"timeout_ms": 500, "args": ["--ignore-term"]})
    dt = time.monotonic() - t0
    j = r.json or {}
    tap.is_((r.status, j.get("outcome")), (200, "timeout"), "SIGTERM ignored: still outcome timeout")
    tap.ok(0.5 + GRACE_MS / 1000.0 - 0.05 <= dt < 15.0,
           "SIGKILL came after the %d ms grace, not before (%.2fs)" % (GRACE_MS, dt))
    pids = pids_of(j.get("stdout"))
    tap.is_(len(pids), 2, "pids reported", repr(j.get("stdout")))
    tap.is_(wait_gone(pids, 2.0), [], "SIGTERM-ignoring skill and daemon are gone")

    # --- a stopped skill is continued with its SIGTERM, and so can act on it within the grace
    r = w.run("stopped", {"timeout_ms": 400})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal"), j.get("stdout")),
            (200, "timeout", 7, None, "stopping\nterm\n"),
            "stopped at the timeout: SIGCONT after SIGTERM, its trap runs (exit 7), no SIGKILL")
    r = w.run("stoppedkid", {"timeout_ms": 400})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal"), j.get("stdout")),
            (200, "timeout", 7, None, "stopping\nkid-term\n"),
            "a stopped child in the group at the timeout: the whole group is continued, its trap runs too")

    # --- plain children in the background
    t0 = time.monotonic()
    r = w.run("spawner", {"timeout_ms": 400})
    dt = time.monotonic() - t0
    tap.is_((r.json or {}).get("outcome"), "timeout", "shell with background children: timeout")
    tap.ok(dt < 15.0, "... answered in %.2fs, not after the children's 30 s (holding the pipes does not stall it)" % dt)
    dirs, procs = w.wait_no_leftovers(2.0)
    tap.is_(procs, [], "background children killed")

    # --- a skill that exits at once but leaves a daemon: the daemon is killed too
    t0 = time.monotonic()
    r = w.run("tree", {"args": ["--exit"]})
    dt = time.monotonic() - t0
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code")), (200, "ok", 0), "skill that leaves a daemon: ok")
    tap.ok(dt < 15.0, "... answered without waiting for the daemon's 1000 s or the 120 s timeout (%.2fs)" % dt)
    pids = pids_of(j.get("stdout"))
    tap.is_(len(pids), 2, "pids reported", repr(j.get("stdout")))
    tap.is_(wait_gone(pids[1:], 2.0), [], "the daemon left behind is killed")

    # --- background children still holding stdout die when the skill exits, before they write
    leavers(tap, w, "root worker, run cgroup" if os.geteuid() == 0 else "unprivileged worker")

    # --- workdir_max: nesting depth
    r = w.run("deep128", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("stdout")), (200, "ok", 0, "done\n"),
            "work dir nested 128 directories deep: within workdir_max", "body: %r" % r.body[:500])
    r = w.run("deep129", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal"), j.get("stdout")),
            (200, "output_limit", None, "SIGKILL", ""),
            "work dir nested 129 directories deep: killed, outcome output_limit", "body: %r" % r.body[:500])
    dirs, procs = w.wait_no_leftovers(3.0)
    tap.is_(dirs, [], "... and the deep work dir is removed")
    for skill, what in (("twofiles", "two files of 700 KB, each under workdir_max 1M"),
                        ("empties", "600 empty files, counted 4 KiB each, under workdir_max 2M")):
        r = w.run(skill, {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("signal"), j.get("stdout")), (200, "output_limit", "SIGKILL", ""),
                "%s: killed, outcome output_limit" % what, "body: %r" % r.body[:500])
    for skill, what in (("empties512", "512 empty files, 4 KiB each, exactly workdir_max 2M"),
                        ("biglink", "a symlink to the worker binary (%d KiB) under workdir_max 64K" %
                         (os.path.getsize(skillrun_bin()) // 1024))):
        r = w.run(skill, {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("signal"), j.get("stdout")), (200, "ok", None, "done\n"),
                "%s: not over it, outcome ok" % what, "body: %r" % r.body[:500])

    # --- client hang-up during a run kills it at once
    pidfile = os.path.join(w.state_dir, "hangup.pid")
    s = socket.create_connection(("127.0.0.1", w.port))
    s.sendall(build_request("POST", "/v1/skills/tree/run", {"args": [pidfile]}, token=w.token))
    ok = wait_for(lambda: os.path.exists(pidfile), 15)
    tap.ok(ok, "the skill started and wrote its pidfile")
    pids = []
    if ok:
        with open(pidfile) as f:
            d = json.load(f)
        pids = [d["skill"], d["daemon"]]
        tap.ok(all(pid_alive(p) for p in pids), "both alive while the client waits")
    t0 = time.monotonic()
    s.close()
    left = wait_gone(pids, 10.0)
    dt = time.monotonic() - t0
    tap.is_(left, [], "client hang-up: skill and daemon killed (%.2fs after it), not at the 120 s timeout" % dt)
    dirs, procs = w.wait_no_leftovers(3.0)
    tap.is_(dirs, [], "work dir removed after a hang-up")
    tap.is_(procs, [], "worker exited after a hang-up")

    # --- hang-up with RST (SO_LINGER 0) rather than FIN
    pidfile = os.path.join(w.state_dir, "rst.pid")
    s = socket.create_connection(("127.0.0.1", w.port))
    s.sendall(build_request("POST", "/v1/skills/tree/run", {"args": [pidfile]}, token=w.token))
    ok = wait_for(lambda: os.path.exists(pidfile), 15)
    pids = []
    if ok:
        with open(pidfile) as f:
            d = json.load(f)
        pids = [d["skill"], d["daemon"]]
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    tap.ok(ok and wait_gone(pids, 3.0) == [], "connection reset: skill and daemon killed")

    # --- hang-up on a plain sleep (nothing on stdout to notice)
    s = socket.create_connection(("127.0.0.1", w.port))
    s.sendall(build_request("POST", "/v1/skills/sleep/run", {}, token=w.token))
    found = wait_for(lambda: [p for p in w.leftovers()[1] if cmdline_of(p) == "sleep 30 "], 10)
    tap.ok(found, "sleep skill running")
    s.close()
    tap.is_(wait_gone(found or [], 3.0), [], "hang-up during sleep: killed")

    w.stop(tap)

    stopped_and_closed(tap)
    btrfs_subvolumes(tap)
    btrfs_subvolumes(tap, user="nobody")

    # --- as the shipped unit runs it: no user to switch to and no cgroup it may write to here,
    # only the process tree (the worker is the subreaper) to find what the skill left
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        tap.skip("an unprivileged worker needs root and setpriv to be started")
        return
    w = Worker(skills=dict(HIDERS, leaver=LEAVER, tree=tree_skill(),
                           rmwd=sh_skill('rmdir "$PWD" && sleep 0.5 && echo done', workdir_max="2M"),
                           lockroot=LOCKROOT, aclroot=ACLROOT, wdmode=WDMODE, unsearchable=UNSEARCHABLE),
               settings={"tasks_max": NO_NPROC_SQUEEZE}, user="nobody").start()
    leavers(tap, w, "unprivileged worker, no cgroup")
    r = w.run("tree", {"args": ["--exit"]})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome")), (200, "ok"), "unprivileged: skill that leaves a daemon: ok")
    tap.is_(j.get("sandbox", {}).get("cgroup"), "rlimit", "... with no run cgroup")
    tap.is_(wait_gone(pids_of(j.get("stdout"))[1:], 2.0), [], "... the daemon left behind is killed")
    for name in sorted(HIDERS):
        r = w.run(name, {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal"), j.get("stdout")),
                (200, "output_limit", None, "SIGKILL", ""),
                "unprivileged: %s: 10 MB it hid counts against workdir_max 2M" % name, "body: %r" % r.body[:500])
        dirs, procs = w.wait_no_leftovers(3.0)
        tap.is_(dirs, [], "... and nothing of its work dir is left")
    # a skill may remove its own work dir (it owns it here): no work dir is none over workdir_max
    r = w.run("rmwd", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", "done\n"),
            "unprivileged: a skill that removes its own work dir runs on", "body: %r" % r.body[:500])
    for name, out, what in (("unsearchable", "done\n", "a small tree made 0600, the work dir too: counted, outcome ok"),
                            ("lockroot", "locked\n", "a permissive skill locks the work root it shares an owner with")):
        r = w.run(name, {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", out), "unprivileged: " + what,
                "body: %r" % r.body[:500])
        dirs, procs = w.wait_no_leftovers(3.0)
        tap.is_(dirs, [], "... its work dir is removed all the same")
    r = w.run("rmwd", {})
    tap.is_((r.status, (r.json or {}).get("outcome")), (200, "ok"), "... and the next run gets a work dir",
            "body: %r" % r.body[:500])
    r = w.run("aclroot", {})
    j = r.json or {}
    if j.get("stdout") == "unsupported\n":
        tap.skip("the work root's file system has no POSIX ACLs")
    else:
        tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", "set\n"),
                "unprivileged: a permissive skill gives the work root a default ACL that grants its owner nothing",
                "body: %r" % r.body[:500])
        r = w.run("wdmode", {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", "700\n644\n"),
                "... the next run's work dir is still 0700, without the ACL, and what it makes there as umask says",
                "body: %r" % r.body[:500])
    w.stop(tap)


main(body)
