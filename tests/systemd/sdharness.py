# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot the distribution's systemd as PID 1 of private namespaces over a throw-away
overlay of "/", with skillrun installed into it by `make install DESTDIR=`, and talk
HTTP to the sockets it listens on. Used by tests/systemd/test-systemd.py and
bench/systemd-latency.py. Needs root; nothing reaches the host's file systems."""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# where the system manager looks for units (a DESTDIR install under another prefix,
# e.g. distcheck's, is copied to /etc/systemd/system instead)
HIDDEN = ("/tmp/", "/var/tmp/", "/home/", "/root/", "/run/user/")
UNIT_PATH = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
             "/usr/lib/systemd/system", "/lib/systemd/system")


def missing_requirements():
    """Why this machine cannot boot a test systemd, or None."""
    if os.geteuid() != 0:
        return "needs root"
    if not os.access("/lib/systemd/systemd", os.X_OK):
        return "no /lib/systemd/systemd"
    for tool in ("unshare", "nsenter", "script", "setpriv", "tar", "systemctl"):
        if not shutil.which(tool):
            return "no %s" % tool
    if not os.path.isdir("/sys/fs/cgroup"):
        return "no cgroup file system"
    # The harness's mount namespace needs a private /, and the shipped unit's PrivateUsers= a
    # new user namespace: a chroot gets neither (its / is no mount point unless bind-mounted,
    # and the kernel refuses a chrooted process user namespaces)
    for argv, what in ((["unshare", "-m", "--propagation", "private", "true"],
                        "a mount namespace with a private / (a chroot whose / is no mount point?)"),
                       (["unshare", "-U", "true"], "a user namespace, which the unit's PrivateUsers= needs "
                                                   "(refused to a chrooted process, or by sysctl)")):
        if subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            return "the kernel refuses %s" % what
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_token():
    return secrets.token_urlsafe(32)


class Install:
    """`make install DESTDIR=<payload>` and where it put things."""

    def __init__(self, top_builddir, payload):
        self.payload = payload
        os.makedirs(payload, exist_ok=True)
        r = subprocess.run(["make", "-s", "-C", top_builddir, "install", "DESTDIR=" + payload],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("make install failed:\n" + r.stdout)
        self._read_unit()
        # A prefix below a directory the hardened unit hides from its processes (PrivateTmp=,
        # ProtectHome=; distcheck installs below the build tree) is moved to /opt/skillrun-test
        # in the payload, and the installed files that name it are rewritten to match.
        self.moved_from = None
        if self.exec_start.startswith(HIDDEN):
            old = os.path.dirname(os.path.dirname(self.exec_start))    # $(prefix) of $(bindir)
            new = "/opt/skillrun-test"
            os.makedirs(self.path(os.path.dirname(new)), exist_ok=True)
            shutil.move(self.path(old), self.path(new))
            for d, _, files in os.walk(self.payload):
                for f in files:
                    full = os.path.join(d, f)
                    if f.endswith((".service", ".socket", ".slice", ".conf")) and not os.path.islink(full):
                        text = open(full, errors="surrogateescape").read()
                        if old in text:
                            with open(full, "w", errors="surrogateescape") as fh:
                                fh.write(text.replace(old, new))
            self.moved_from = old
            self._read_unit()
            # ...but not the binary's default configuration file, which still names the old
            # place: hidden under /root or /home (ProtectHome=, EACCES) it is a configuration
            # error, not an absent file. The unit is told where it went instead.
            self.dropin("skillrun@.service", "relocated-config",
                        "[Service]\nEnvironment=SKILLRUN_CONFIG=%s/skillrun.conf\n" % self.confdir)
        self.relocated = self.unitdir not in UNIT_PATH
        if self.relocated:
            for name in ("skillrun.socket", "skillrun@.service", "skillrun.slice"):
                self.write("/etc/systemd/system/" + name, open(self.path(self.unitdir + "/" + name)).read())

    def _read_unit(self):
        self.service = self._find("skillrun@.service")
        self.unitdir = os.path.dirname(self.service)[len(self.payload):]
        text = open(self.service).read()
        self.exec_start = re.search(r"^ExecStart=(\S+)", text, re.M).group(1)
        self.tokens_file = re.search(r"^LoadCredential=tokens:(\S+)", text, re.M).group(1)
        self.confdir = os.path.dirname(self.tokens_file)

    def _find(self, name):
        for d, _, files in os.walk(self.payload):
            if name in files:
                return os.path.join(d, name)
        # DESTDIR + a relative directory lands next to the payload, not in it
        parent = os.path.dirname(self.payload)
        for d, _, files in os.walk(parent):
            if name in files and not d.startswith(self.payload + "/"):
                raise RuntimeError("make install DESTDIR=%s put %s in %s: the install directory is not "
                                   "absolute (configure left systemdsystemunitdir unresolved?)"
                                   % (self.payload, name, d))
        raise RuntimeError("make install did not install %s" % name)

    def path(self, p):
        return self.payload + p

    def write(self, p, text, mode=0o644):
        full = self.path(p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, mode)

    def skill(self, name, manifest, skills_dir=None):
        self.write((skills_dir or self.confdir + "/skills") + "/%s.json" % name, json.dumps(manifest) + "\n")

    def dropin(self, unit, name, text):
        self.write("/etc/systemd/system/%s.d/%s.conf" % (unit, name), text)

    def target(self, name, wants):
        self.write("/etc/systemd/system/" + name,
                   "[Unit]\nDescription=skillrun test boot target\nWants=%s\n" % " ".join(wants))


class Systemd:
    def __init__(self, work, payload, target="skillrun-test.target"):
        self.env = dict(os.environ, SDTEST_WORK=work, SDTEST_PAYLOAD=payload, SDTEST_TARGET=target)
        self.work = work
        self.started = False

    def start(self):
        r = subprocess.run([HERE + "/sd-start.sh"], env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120)
        self.started = True
        if r.returncode != 0:
            raise RuntimeError("systemd did not boot:\n" + r.stdout + self.console())

    def stop(self):
        if self.started:
            subprocess.run([HERE + "/sd-stop.sh"], env=self.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)
            self.started = False

    def run(self, *args, timeout=60):
        """A command inside the namespaces; returns (rc, stdout+stderr)."""
        r = subprocess.run([HERE + "/sdctl"] + list(args), env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return r.returncode, r.stdout

    def show(self, unit, prop):
        return self.run("systemctl", "show", unit, "-p", prop, "--value")[1].strip()

    def console(self):
        try:
            with open(os.path.join(self.work, "console.log"), errors="replace") as f:
                return f.read().replace("\r", "")
        except OSError:
            return ""


class Response:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
        self.status = int(m.group(1)) if m else None
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def json(self):
        return json.loads(self.body)


def request(port, method="GET", path="/healthz", token=None, body=None, headers=None, raw=None,
            src="127.0.0.1", timeout=30):
    """One HTTP exchange on a fresh connection. Returns Response (status None when the
    connection closed without a status line)."""
    if raw is None:
        h = {"Host": "127.0.0.1"}
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None:
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
            h["Content-Length"] = str(len(body))
        h.update(headers or {})
        raw = ("%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items())
               + "\r\n").encode() + (body or b"")
    with socket.socket() as s:
        s.settimeout(timeout)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(raw)
        buf = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
        except ConnectionResetError:
            pass
    return Response(buf)


def hold(port, src="127.0.0.1"):
    """A connection that sent half a request: it holds one worker until closed."""
    s = socket.socket()
    s.settimeout(5)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    return s


def refused(s, wait=1.0):
    """True when systemd closed the connection without starting a worker."""
    s.settimeout(wait)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
