# SPDX-License-Identifier: LGPL-2.1-or-later
"""What bench/core-latency and bench/policy-cost share: a worker behind systemd-socket-activate,
one timed request, and where the per-run work dirs go."""
import json
import os
import pwd
import socket
import subprocess
import tempfile
import time


def fs_type(path):
    """The filesystem type of the mount holding 'path' (longest mount point prefix)."""
    path = os.path.realpath(path)
    best, kind = "", None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mnt = fields[4].replace("\\040", " ")
            fstype = fields[fields.index("-") + 1]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, fstype
    return kind


def work_dir(requested):
    """A fresh directory for skillrun's work_dir, and a description of it.

    The shipped unit puts the work dirs on a private tmpfs (SKILLRUN_WORK_DIR=/run/skillrun,
    TemporaryFileSystem=), so the benchmarks do too unless told otherwise: a directory on a
    disk filesystem adds a journalled mkdir and unlink per run that no deployment pays."""
    if requested:
        parent = requested
    elif fs_type("/dev/shm") == "tmpfs":
        parent = "/dev/shm"
    else:
        parent = None
    d = tempfile.mkdtemp(prefix="skillrun-bench-work-", dir=parent)
    os.chmod(d, 0o1777)
    return d, "%s (%s)" % (d, fs_type(d))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_user_prefix(user):
    """A command prefix that runs what follows the way the shipped unit runs the worker
    (DynamicUser=, CapabilityBoundingSet=, NoNewPrivileges=): as user, in its group only, with
    no capability in any set. None: as we are."""
    if not user:
        return []
    if os.geteuid() != 0:
        raise SystemExit("--user needs root")
    pw = pwd.getpwnam(user)
    return ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups",
            "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


def give_to(user, paths):
    """chown paths (a directory and what it holds) to user, so a worker run as user reads them."""
    if not user:
        return
    if os.geteuid() != 0:
        raise SystemExit("--user needs root")
    pw = pwd.getpwnam(user)
    for top in paths:
        os.chown(top, pw.pw_uid, pw.pw_gid)
        for d, dirs, files in os.walk(top):
            for n in dirs + files:
                os.chown(os.path.join(d, n), pw.pw_uid, pw.pw_gid)


class Server:
    def __init__(self, activate, argv, env, user=None):
        self.port = free_port()
        cmd = as_user_prefix(user) + [activate, "--accept", "-l", "127.0.0.1:%d" % self.port]
        for k, v in env.items():
            cmd += ["-E", "%s=%s" % (k, v)]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd + argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            self.log.seek(0)
            if b"Listening on" in self.log.read():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.log.seek(0)
        raise SystemExit("could not start %s:\n%s" % (argv[0], self.log.read().decode(errors="replace")))

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def complete(data):
    """True once the head and Content-Length bytes of body are in: where an HTTP client is done
    (both workers send Content-Length; what they do after the answer is not the client's wait)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def one_request(port, payload):
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(payload)
        data = b""
        while not complete(data):
            c = s.recv(65536)
            if not c:
                break
            data += c
        dt = time.perf_counter() - t0
    if not data.startswith(b"HTTP/1.1 200 "):
        raise RuntimeError("unexpected response: %r" % data[:300])
    body = data.split(b"\r\n\r\n", 1)[1]
    if json.loads(body).get("outcome") != "ok":
        raise RuntimeError("run did not succeed: %r" % body[:300])
    return dt
