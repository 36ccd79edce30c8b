# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers for skillrun's integration tests (stdlib only).

A test builds a Worker (a private temp dir with skills, tokens and a work dir),
starts the real `skillrun` binary behind `systemd-socket-activate --accept`,
talks HTTP to it over loopback and prints TAP through a Tap object. On
teardown the activator is stopped and the test asserts that nothing is left:
no skillrun-* directory in the work dir and no process that carries the test's
unique marker (every worker gets it in its environment, every test skill in
its manifest "env").
"""

import base64
import http.client
import json
import os
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# realpath: under distcheck $(abs_top_srcdir) is ".../_build/sub/../..", and manifests refuse ".."
TOP_SRCDIR = os.path.realpath(os.environ.get("top_srcdir") or os.path.join(HERE, "..", ".."))
SKILLS_SRC = os.path.join(TOP_SRCDIR, "tests", "integration", "skills")
PY = "/usr/bin/python3"
SH = "/bin/sh"

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43,}$")


# ---------------------------------------------------------------- TAP


class Skip(Exception):
    pass


class Tap:
    """Minimal TAP producer. The plan is printed at the end (done())."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        cond = bool(cond)
        name = name.replace("#", "\\#").replace("\n", " ")
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag is not None:
                self.diag(diag)
        return cond

    def is_(self, got, expected, name, diag=None):
        msg = "got: %r\n  expected: %r" % (got, expected)
        return self.ok(got == expected, name, msg if diag is None else msg + "\n" + str(diag))

    def isnt(self, got, unexpected, name):
        return self.ok(got != unexpected, name, "got: %r (should differ)" % (got,))

    def contains(self, haystack, needle, name):
        return self.ok(haystack is not None and needle in haystack, name,
                       "%r\n  does not contain %r" % (haystack, needle))

    def like(self, got, regex, name):
        return self.ok(isinstance(got, str) and re.search(regex, got) is not None, name,
                       "%r\n  does not match /%s/" % (got, regex))

    def skip(self, reason):
        self.n += 1
        print("ok %d # SKIP %s" % (self.n, reason.replace("\n", " ")), flush=True)

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def skip_all(reason):
    print("1..0 # SKIP %s" % reason, flush=True)
    sys.exit(77)


def main(body):
    """Run body(tap); turn Skip into a TAP skip and any crash into a failed test."""
    sys.dont_write_bytecode = True
    tap = Tap()
    try:
        body(tap)
    except Skip as e:
        if tap.n == 0:
            skip_all(str(e))
        tap.diag("skipped the rest: %s" % e)
    except Exception:
        import traceback
        tap.ok(False, "test body raised")
        tap.diag(traceback.format_exc())
    finally:
        for w in list(Worker.live):
            try:
                w.stop(tap)
            except Exception:
                import traceback
                tap.ok(False, "teardown raised")
                tap.diag(traceback.format_exc())
        # workers never started (CLI tests) still own a temp dir: a failing body must not leak it
        for w in list(Worker.created):
            w.stop(None, check=False)
    tap.done()


# ---------------------------------------------------------------- environment


def skillrun_bin():
    b = os.environ.get("SKILLRUN_BIN")
    if not b:
        cand = os.path.join(os.environ.get("top_builddir", os.getcwd()), "skillrun")
        b = cand
    if not os.access(b, os.X_OK):
        raise Skip("skillrun binary not found (SKILLRUN_BIN=%s)" % b)
    return b


def elf_machine(path):
    """e_machine of an ELF file (62 x86_64, 3 i386), None if it is none."""
    with open(path, "rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")


# socketcall(2)'s number where the arch has it, by ELF machine: i386, ppc, ppc64, s390(x)
SOCKETCALL_NR = {3: 102, 20: 102, 21: 102, 22: 102}
_libc_socketcall = None


def socket_made_through(nr):
    """Whether this process's C library makes socket(2) through system call 'nr': asked of a child
    under a seccomp filter that answers 'nr' alone with ENOTBLK, which socket(2) never returns."""
    import ctypes
    import errno

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            # nr = seccomp_data.nr; nr == 'nr' ? ERRNO(ENOTBLK) : ALLOW
            insns = (SockFilter * 4)((0x20, 0, 0, 0), (0x15, 0, 1, nr), (0x06, 0, 0, 0x00050000 | errno.ENOTBLK),
                                     (0x06, 0, 0, 0x7fff0000))
            prog = SockFprog(4, insns)
            libc = ctypes.CDLL(None, use_errno=True)
            # PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP with SECCOMP_MODE_FILTER
            if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
                code = 2
            else:
                try:
                    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
                    code = 0
                except OSError as e:
                    code = 1 if e.errno == errno.ENOTBLK else 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) > 1:
        raise RuntimeError("socket(2) probe under a seccomp filter failed (status %#x)" % status)
    return os.WEXITSTATUS(status) == 1


def libc_socketcall():
    """Whether skills get their sockets through socketcall(2), as from Debian's i386 glibc: permissive
    and restrictive refuse those whole, whatever the family (skillrun.skill(5)), network or not. Asked
    of the C library at run time, as sandbox-driver does (s390x's glibc, or an i386 one built for
    Linux 4.3 and later, decide otherwise), where the build's arch has socketcall(2) at all."""
    global _libc_socketcall
    if _libc_socketcall is None:
        nr = SOCKETCALL_NR.get(elf_machine(skillrun_bin()))
        _libc_socketcall = nr is not None and socket_made_through(nr)
    return _libc_socketcall


def landlock_abi():
    """This kernel's landlock ABI (landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)),
    or 0 without landlock."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    return max(libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1)), 0)


def private_mounts_refused():
    """Why this process cannot have a mount namespace with a private / (a chroot whose / is no
    mount point: schroot and sbuild bind-mount it, a plain chroot does not), or None."""
    if shutil.which("unshare") is None:
        return "no unshare(1)"
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if r.returncode == 0:
        return None
    return "the kernel refuses a mount namespace with a private / (%s)" % r.stderr.decode(errors="replace").strip()


def find_program(prog):
    """prog on PATH or in the sbin directories a non-login root shell may lack, or None."""
    return shutil.which(prog) or next((p for p in ("/usr/sbin/" + prog, "/sbin/" + prog) if os.access(p, os.X_OK)),
                                      None)


def substitute(text, pairs):
    """Replace each old text of a shipped file exactly once: a file that changed shape fails loudly."""
    for old, new in pairs:
        if text.count(old) != 1:
            raise AssertionError("expected %r once in the shipped file, found it %d times" % (old, text.count(old)))
        text = text.replace(old, new)
    return text


def socket_activate_bin():
    b = os.environ.get("SOCKET_ACTIVATE", "")
    if not b or b == "no":
        b = shutil.which("systemd-socket-activate") or ""
    if not b or not os.access(b, os.X_OK):
        raise Skip("systemd-socket-activate not found")
    return b


def require_python():
    if not os.access(PY, os.X_OK):
        raise Skip("%s not found (test skills need it)" % PY)


def new_token():
    return secrets.token_urlsafe(32)  # 43 chars of base64url


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_state(pid):
    """The state letter of /proc/PID/stat (R, S, T, Z...); None when there is no such process,
    "?" when it cannot be read."""
    try:
        with open("/proc/%d/stat" % int(pid)) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return "?"
    return stat[stat.rfind(")") + 2:].split(" ", 1)[0]


def uids_running():
    """The real uids of every process now."""
    uids = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("Uid:"):
                        uids.add(int(line.split()[1]))
                        break
        except (OSError, ValueError, IndexError):
            pass  # gone meanwhile
    return uids


def unused_uid():
    """A uid that no passwd entry names and no process runs as, as DynamicUser= would pick one:
    a worker run as it (Worker(user=...)) has RLIMIT_NPROC, which counts a uid's processes
    host-wide, to itself, whatever other suites run as nobody at the same time."""
    taken = {pw.pw_uid for pw in pwd.getpwall()} | uids_running()
    rng = random.SystemRandom()
    while True:
        uid = rng.randrange(0x10000000, 0x7fff0000)
        if uid not in taken:
            return uid


def pid_alive(pid):
    """True if pid exists and is not a zombie (a zombie is dead; PID 1 may never reap it)."""
    return proc_state(pid) not in (None, "Z", "X")


def wait_gone(pids, timeout=3.0):
    """Wait until none of pids is alive; return the ones still alive."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in pids if pid_alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def wait_for(pred, timeout=5.0, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def processes_with(marker):
    """Pids (not ours) whose cmdline or environment mentions marker."""
    m = marker.encode()
    found = []
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        pid = int(d)
        hit = False
        for what in ("cmdline", "environ"):
            try:
                with open("/proc/%s/%s" % (d, what), "rb") as f:
                    if m in f.read():
                        hit = True
                        break
            except OSError:
                pass
        if hit and pid_alive(pid):
            found.append(pid)
    return found


def memory_readable():
    """Why another process' memory cannot be read here (None when it can): the worker is not
    dumpable, so reading it takes root (CAP_SYS_PTRACE), as the deb build's make check as nobody
    has not."""
    return None if os.geteuid() == 0 else "reading a worker's memory needs root"


def sanitized_binary(path):
    """Whether path was built with ASan: its runtime keeps a copy of the initial environment
    (/proc/self/environ, read at start-up) that skillrun cannot wipe."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def memory_holds(pid, needles, max_mapping=1 << 30):
    """Which of needles (bytes) are in pid's readable private memory, read through
    /proc/<pid>/mem (root: the worker is not dumpable). Mappings over max_mapping are left out
    (a sanitizer's shadow); so is whatever cannot be read."""
    found = set()
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            if not fields[1].startswith("r") or not fields[1].endswith("p") or hi - lo > max_mapping or \
                    fields[-1] in ("[vvar]", "[vvar_vclock]", "[vsyscall]"):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            found.update(n for n in needles if n in data)
    return found


def ppid_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        return int(stat[stat.rfind(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


SANITIZER_PATTERNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "LeakSanitizer has encountered",
                      "runtime error:", "ERROR: UndefinedBehaviorSanitizer")


def sanitizer_reports(text):
    """First line of each ASan/LSan/UBSan report in text."""
    return [l.strip() for l in text.splitlines() if any(p in l for p in SANITIZER_PATTERNS)][:5]


def cmdline_of(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


# ---------------------------------------------------------------- request log


JOURNAL_SOCKET = "/run/systemd/journal/socket"


def journal_in_use():
    """The worker sends its request records to the journal when it can write to its socket."""
    return os.access(JOURNAL_SOCKET, os.W_OK) and shutil.which("journalctl") is not None


def parse_stderr_records(text):
    """Records from the worker's stderr fallback: 'skillrun: status=200 skill=x ... error=why'."""
    out = []
    for line in text.splitlines():
        if not line.startswith("skillrun: status="):
            continue
        rec, rest = {}, line[len("skillrun: "):]
        head, sep, err = rest.partition(" error=")
        for kv in head.split(" "):
            k, _, v = kv.partition("=")
            rec[k] = v
        if sep:
            rec["error"] = err
        rec["_raw"] = line
        out.append(rec)
    return out


def journal_records(since, pids=None):
    """skillrun request records from the journal since a time.time() value, same keys as stderr;
    with pids, only those the processes with these pids logged (the journal is the host's: other
    tests' workers, and a host's own skillrun, log there too)."""
    try:
        # what was sent before this is stored once --sync returns (a worker logs just before it
        # exits; journald takes the datagram a moment later)
        subprocess.run(["journalctl", "--sync"], capture_output=True, timeout=20)
        p = subprocess.run(["journalctl", "-q", "--no-pager", "-o", "json", "--since=@%d" % int(since),
                            "SYSLOG_IDENTIFIER=skillrun"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    out = []
    for line in p.stdout.decode(errors="replace").splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if "SKILLRUN_STATUS" not in e:
            continue
        if pids is not None and e.get("_PID") not in pids:
            continue
        rec = {k[len("SKILLRUN_"):].lower(): v for k, v in e.items() if k.startswith("SKILLRUN_")}
        rec["token"] = rec.pop("token_name", "-") or "-"
        rec["_raw"] = line
        out.append(rec)
    return out


# ---------------------------------------------------------------- HTTP


class Response:
    def __init__(self, status, reason, version, headers, body, raw):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers  # list of (name, value)
        self.body = body
        self.raw = raw
        self._json = None

    def header(self, name):
        vals = self.headers_all(name)
        return vals[0] if vals else None

    def headers_all(self, name):
        return [v for (n, v) in self.headers if n.lower() == name.lower()]

    @property
    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError):
                self._json = None
        return self._json

    def __repr__(self):
        return "<Response %s %r>" % (self.status, self.body[:300])


def parse_head(data):
    """Split one response head off data. Returns (status, reason, version, headers, rest) or None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = data[:end].decode("latin-1")
    rest = data[end + 4:]
    lines = head.split("\r\n")
    m = re.match(r"^(HTTP/1\.[01]) (\d{3}) ?(.*)$", lines[0])
    if not m:
        raise ValueError("bad status line %r" % lines[0])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    return int(m.group(2)), m.group(3), m.group(1), headers, rest


def parse_responses(data):
    """Every response in data (a 100 Continue head included), bodies framed by Content-Length."""
    out = []
    while data:
        p = parse_head(data)
        if p is None:
            raise ValueError("incomplete response head: %r" % data[:200])
        status, reason, version, headers, rest = p
        cl = [v for (n, v) in headers if n.lower() == "content-length"]
        if 100 <= status < 200:
            body = b""
        elif cl:
            n = int(cl[0])
            body, rest = rest[:n], rest[n:]
        else:
            body, rest = rest, b""
        out.append(Response(status, reason, version, headers, body, data[:len(data) - len(rest)]))
        data = rest
    return out


def recv_all(s, timeout=20.0):
    s.settimeout(timeout)
    chunks = []
    while True:
        try:
            c = s.recv(65536)
        except ConnectionResetError:
            break
        if not c:
            break
        chunks.append(c)
    return b"".join(chunks)


def recv_until(s, token, timeout=10.0):
    s.settimeout(timeout)
    buf = b""
    while token not in buf:
        c = s.recv(1)
        if not c:
            break
        buf += c
    return buf


def build_request(method, path, body=None, headers=None, token=None, version="HTTP/1.1",
                  content_type="application/json", eol=b"\r\n"):
    if body is not None and not isinstance(body, bytes):
        body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    lines = ["%s %s %s" % (method, path, version), "Host: 127.0.0.1"]
    if token is not None:
        lines.append("Authorization: Bearer %s" % token)
    if body is not None:
        if content_type:
            lines.append("Content-Type: %s" % content_type)
        lines.append("Content-Length: %d" % len(body))
    for k, v in (headers or {}).items() if isinstance(headers, dict) else (headers or []):
        lines.append("%s: %s" % (k, v))
    head = eol.join(l.encode("latin-1") for l in lines) + eol + eol
    return head + (body or b"")


# what the worker logs, which must never be in what a client gets (its "skillrun:" lines on
# stderr, syslog's tag, the warning about a bad tokens line, the request record)
LOG_TEXT = (b"skillrun:", b"skillrun[", b"line ignored", b"token-shaped", b"status=")


def one_response(tap, what, data):
    """Check that data is exactly one HTTP response with no log text in it; that response, or None."""
    try:
        rs = parse_responses(data)
    except ValueError as e:
        rs = [e]
    tap.is_(len(rs), 1, "%s: exactly one HTTP response on the connection" % what, repr(data[:500]))
    tap.ok(not any(t in data for t in LOG_TEXT), "%s: no log text in it" % what, repr(data[:500]))
    return rs[0] if len(rs) == 1 and not isinstance(rs[0], ValueError) else None


def serve_like_xinetd(w, request, prefix=()):
    """Serve one connection as xinetd does: a worker (started through the command prefix) with the
    connection as its stdin, stdout and stderr. What the client got, the worker's exit status and
    pid."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    c = socket.create_connection(ls.getsockname(), timeout=20)
    conn, _ = ls.accept()
    ls.close()
    p = subprocess.Popen(list(prefix) + [w.bin], stdin=conn.fileno(), stdout=conn.fileno(), stderr=conn.fileno(),
                         env=w.env())
    conn.close()
    c.sendall(request)
    data = recv_all(c)
    c.close()
    p.wait(timeout=30)
    return data, p.returncode, p.pid


# ---------------------------------------------------------------- the worker under test


class Worker:
    live = []      # started: stopped with checks at the end of main()
    created = []   # all of them: their temp dirs are removed at the end of main() whatever happened

    def __init__(self, skills=None, settings=None, tokens=None, inetd=False, raw_skills=None, user=None,
                 accept=True, activator=True):
        """skills: name -> manifest dict (TEST_MARKER is added to its env);
        raw_skills: file name -> text written as is (broken manifests);
        settings: key -> value, passed as SKILLRUN_<KEY>;
        accept=False: no --accept, so the first connection execs the worker with the listening
        socket as fd 3 (Accept=no), a deployment mistake the worker must refuse;
        user: run the worker as that user (a name, or a uid: unused_uid()) without capabilities,
        as the shipped unit does (DynamicUser=, CapabilityBoundingSet=): no user switch, and no
        cgroup it may write to here;
        activator=False: the test starts the workers its own way (a super-server), so
        systemd-socket-activate is not needed."""
        self.bin = skillrun_bin()
        self.activate = socket_activate_bin() if activator else None
        self.marker = "skrt" + secrets.token_hex(8)
        self.extra_pids = set()  # workers a test started itself (serve_once), for records()
        self.root = tempfile.mkdtemp(prefix="skillrun-it-%s-" % self.marker)
        self.skills_dir = os.path.join(self.root, "skills")
        self.work_dir = os.path.join(self.root, "work")
        self.state_dir = os.path.join(self.root, "state")
        self.creds_dir = os.path.join(self.root, "creds")
        for d in (self.skills_dir, self.work_dir, self.state_dir, self.creds_dir):
            os.mkdir(d)
        # Run as root, the worker drops skills to an unprivileged user (run_user): that user must
        # reach the work dir, the skills' files and the state dir (pidfiles) like it would /tmp.
        os.chmod(self.root, 0o755)
        os.chmod(self.skills_dir, 0o755)
        os.chmod(self.work_dir, 0o755)
        os.chmod(self.state_dir, 0o1777)
        os.chmod(self.creds_dir, 0o700)
        self.tokens = tokens if tokens is not None else {"ci": new_token(), "other": new_token()}
        self.tokens_file = os.path.join(self.root, "tokens")
        self.write_tokens(self.tokens_file, self.tokens)
        # A decoy: the worker must neither use nor leak $CREDENTIALS_DIRECTORY when tokens_file is set.
        self.write_tokens(os.path.join(self.creds_dir, "tokens"), {"decoy": new_token()})
        self.settings = {
            "config": "/nonexistent/skillrun.conf",
            "skills_dir": self.skills_dir,
            "tokens_file": self.tokens_file,
            "work_dir": self.work_dir,
        }
        self.settings.update(settings or {})
        for name, m in (skills or {}).items():
            self.add_skill(name, m)
        for fname, text in (raw_skills or {}).items():
            with open(os.path.join(self.skills_dir, fname), "w") as f:
                f.write(text)
        self.inetd = inetd
        self.accept = accept
        self.user = user
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.root, "activator.log")
        self.stopped = False
        self.t_start = time.time() - 1
        Worker.created.append(self)

    @staticmethod
    def write_tokens(path, tokens):
        with open(path, "w") as f:
            for n, t in tokens.items():
                f.write("%s:%s\n" % (n, t))
        os.chmod(path, 0o600)

    def add_skill(self, name, manifest):
        m = dict(manifest)
        env = dict(m.get("env", {}))
        env.setdefault("TEST_MARKER", self.marker)
        m["env"] = env
        with open(os.path.join(self.skills_dir, name + ".json"), "w") as f:
            json.dump(m, f, indent=1)

    @property
    def token(self):
        return self.tokens["ci"]

    def env(self, extra=None):
        """Environment for running the skillrun binary directly (CLI tests)."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("SKILLRUN_") or k == "SKILLRUN_BIN"}
        for k, v in self.settings.items():
            e["SKILLRUN_" + k.upper()] = str(v)
        e["WORKER_MARKER"] = self.marker
        e.update(extra or {})
        return e

    # -- lifecycle

    def start(self):
        for attempt in range(5):
            self.port = free_port()
            # --inetd alone would hand the listening socket over; with --accept each connection
            # comes as stdin/stdout of its own worker, as inetd/xinetd do it.
            args = [self.activate] + (["--accept"] if self.accept else []) + \
                (["--inetd"] if self.inetd else []) + ["-l", "127.0.0.1:%d" % self.port]
            for k, v in self.settings.items():
                args += ["-E", "SKILLRUN_%s=%s" % (k.upper(), v)]
            args += ["-E", "WORKER_MARKER=%s" % self.marker,
                     "-E", "CREDENTIALS_DIRECTORY=%s" % self.creds_dir,
                     "-E", "PATH=/usr/local/bin:/usr/bin:/bin"]
            for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
                if k in os.environ:
                    args += ["-E", "%s=%s" % (k, os.environ[k])]
            args.append(self.bin)
            if self.inetd:
                args.append("serve")
            # a test killed before its clean-up (a timeout, ^C, SIGKILL) takes its listener along:
            # none is left serving on its port for ever (set after a user switch, which clears it)
            args = self.as_user(args) if self.user else ["setpriv", "--pdeathsig=SIGTERM", "--"] + args
            self.log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                         start_new_session=True)
            Worker.live.append(self)
            if wait_for(lambda: self.proc.poll() is not None or b"Listening on" in self.read_log_bytes(), 10):
                if self.proc.poll() is None:
                    return self
            self.proc.wait()
            Worker.live.remove(self)
            self.log.close()
            if b"in use" not in self.read_log_bytes():
                break
        raise RuntimeError("systemd-socket-activate did not start:\n" + self.read_log())

    def as_user(self, args):
        """args run as self.user with no capability in any set and no_new_privs; the worker's
        files become that user's."""
        if isinstance(self.user, int):
            uid = gid = self.user  # a uid of its own (unused_uid()), no passwd entry
        else:
            pw = pwd.getpwnam(self.user)
            uid, gid = pw.pw_uid, pw.pw_gid
        for d, dirs, files in os.walk(self.root):
            for n in [d] + [os.path.join(d, x) for x in dirs + files]:
                os.lchown(n, uid, gid)
        return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups",
                "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs",
                "--pdeathsig=SIGTERM", "--"] + args

    def under_strace(self, syscall, inject):
        """Run this worker (and what it starts) under strace, which answers syscall as inject
        says (strace(1) -e inject=, e.g. 'error=ENOSYS' or 'retval=2:when=1'): a kernel without a
        feature, or with an older one. Before start(), with inetd=True: strace's child is not the
        LISTEN_PID that --accept would name. Skip when this strace cannot inject."""
        strace = shutil.which("strace")
        if not strace:
            raise Skip("strace not installed (contrib/install-deps.sh --tests installs it)")
        args = [strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + syscall,
                "-e", "inject=%s:%s" % (syscall, inject)]
        if subprocess.run(args + ["true"], capture_output=True).returncode != 0:
            raise Skip("strace cannot inject faults here (no ptrace?)")
        wrapper = os.path.join(self.root, "skillrun-under-strace")
        # LeakSanitizer stops the world with ptrace(2), which a traced process cannot: in the
        # ASan build the leak check is off under strace, the rest of ASan and UBSan on
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\"\n"
                    "export ASAN_OPTIONS\nexec %s '%s' \"$@\"\n" % (" ".join("'%s'" % a for a in args), self.bin))
        os.chmod(wrapper, 0o755)
        self.bin = wrapper
        return self

    def read_log_bytes(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def read_log(self):
        return self.read_log_bytes().decode(errors="replace")

    def records(self, stderr_text=None, want=None, timeout=3.0):
        """Request records the worker logged (journal or stderr), as dicts with the keys of the stderr
        line (status, skill, outcome, exit_code, run_id, token, ...). With want (a run_id), wait for
        that record to show up."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.read_log() if stderr_text is None else stderr_text
            recs = parse_stderr_records(text)
            if journal_in_use():
                recs += journal_records(self.t_start, self.worker_pids())
            if want is None or any(r.get("run_id") == want for r in recs) or time.monotonic() > deadline:
                return recs
            time.sleep(0.1)

    def worker_pids(self):
        """The pids of this Worker's workers, as the journal's _PID strings: each one that
        systemd-socket-activate spawned says so in its log; without --accept it execs the worker
        itself."""
        pids = set(re.findall(r" as PID (\d+)\.$", self.read_log(), re.M))
        if getattr(self, "proc", None) is not None:
            pids.add(str(self.proc.pid))
        return pids | self.extra_pids

    def all_log_text(self, stderr_text=None):
        """Everything the worker may have logged: its stderr and, if in use, its journal records."""
        text = self.read_log() if stderr_text is None else stderr_text
        if journal_in_use():
            text += "\n".join(r["_raw"] for r in journal_records(self.t_start, self.worker_pids()))
        return text

    def live_workers(self):
        """The workers systemd-socket-activate spawned that still run. Found as its children
        running the skillrun binary, not by the marker: a worker is not dumpable, so without root
        its environment cannot be read."""
        if getattr(self, "proc", None) is None:
            return []
        return [int(d) for d in os.listdir("/proc") if d.isdigit() and ppid_of(int(d)) == self.proc.pid
                and cmdline_of(int(d)).split(" ")[0] == self.bin]

    def leftovers(self):
        dirs = [d for d in os.listdir(self.work_dir) if d.startswith("skillrun-")]
        activator = self.proc.pid if self.proc is not None else None
        # workers too, which are not dumpable: without root the marker misses them
        procs = sorted(set(p for p in processes_with(self.marker) if p != activator) | set(self.live_workers()))
        return dirs, procs

    def run_cgroups(self, dirs=()):
        """Run cgroups (v1 'skillrun-run-<id>', v2 'run-<id>') still there for the runs this
        worker logged or left a work dir of."""
        ids = set(re.findall(r"run_id=([0-9a-f]{32})", self.read_log()))
        ids.update(d[len("skillrun-"):] for d in dirs)
        names = {"skillrun-run-" + i for i in ids} | {"run-" + i for i in ids}
        found = []
        for top, subdirs, _ in os.walk("/sys/fs/cgroup"):
            found += [os.path.join(top, d) for d in subdirs if d in names]
        return sorted(found)

    def wait_no_leftovers(self, timeout=3.0):
        """Wait until the work dir is empty of run dirs and no marked process lives."""
        deadline = time.monotonic() + timeout
        while True:
            dirs, procs = self.leftovers()
            if (not dirs and not procs) or time.monotonic() > deadline:
                return dirs, ["%d: %s" % (p, cmdline_of(p)) for p in procs]
            time.sleep(0.05)

    def stop(self, tap=None, check=True):
        if self.stopped:
            return
        self.stopped = True
        if self in Worker.live:
            Worker.live.remove(self)
        if self in Worker.created:
            Worker.created.remove(self)
        dirs, procs = (self.wait_no_leftovers(3.0) if check else ([], []))
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.log.close()
        if tap is not None and check:
            tap.is_(dirs, [], "no run directory left in the work dir")
            tap.is_(procs, [], "no worker or skill process left")
            tap.is_(self.run_cgroups(dirs), [], "no run cgroup left")
            # Served workers' sanitizer reports land in the activator's log, not in any response.
            reports = sanitizer_reports(self.read_log())
            tap.is_(reports, [], "no sanitizer report from any worker")
        # Do not leave our own mess behind either, whatever the worker did.
        for p in processes_with(self.marker):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        # A worker killed above could not remove its run cgroups: neither may the next test meet them.
        for cg in self.run_cgroups(os.listdir(self.work_dir) if os.path.isdir(self.work_dir) else []):
            for _ in range(200):
                try:
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        if tap is not None and tap.failed and os.environ.get("SKILLRUN_TEST_KEEP"):
            tap.diag("kept %s" % self.root)
            return
        if tap is not None and tap.failed:
            log = self.read_log()
            if log:
                tap.diag("activator/worker log (last 3000 bytes):\n" + log[-3000:])
        shutil.rmtree(self.root, ignore_errors=True)

    # -- requests

    def connect(self, timeout=20.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return s

    def raw(self, data, timeout=20.0, shut_wr=False):
        """Send bytes, read to EOF; returns the list of responses parsed from what came back."""
        with self.connect(timeout) as s:
            if data:
                s.sendall(data)
            if shut_wr:
                s.shutdown(socket.SHUT_WR)
            got = recv_all(s, timeout)
        return parse_responses(got), got

    def raw1(self, data, **kw):
        rs, got = self.raw(data, **kw)
        if len(rs) != 1:
            raise AssertionError("expected exactly one response, got %d: %r" % (len(rs), got[:500]))
        return rs[0]

    def request(self, method, path, body=None, token="ci", headers=None, content_type="application/json",
                version="HTTP/1.1", timeout=30.0):
        tok = self.tokens.get(token, token) if token is not None else None
        return self.raw1(build_request(method, path, body, headers, tok, version, content_type),
                         timeout=timeout)

    def get(self, path, token="ci", **kw):
        return self.request("GET", path, None, token, **kw)

    def run(self, skill, req=None, token="ci", **kw):
        body = b"" if req is None else (req if isinstance(req, (bytes, str)) else json.dumps(req))
        return self.request("POST", "/v1/skills/%s/run" % skill, body, token, **kw)

    def http_client(self, method, path, body=None, token="ci", headers=None):
        """The same through http.client (a real, independent HTTP implementation)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer %s" % self.tokens.get(token, token)
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r, data
        finally:
            conn.close()

    # -- CLI

    def cli(self, *args, input=None, env=None, timeout=60):
        return subprocess.run([self.bin] + list(args), input=input, capture_output=True,
                              env=self.env(env), timeout=timeout)


def check_framing(tap, r, what, content_type="application/json"):
    """Every response: Connection: close, exact Content-Length, the content type."""
    ok = True
    ok &= tap.is_((r.header("Connection") or "").lower(), "close", "%s: Connection: close" % what)
    cl = r.headers_all("Content-Length")
    ok &= tap.ok(len(cl) == 1 and cl[0].isdigit() and int(cl[0]) == len(r.body),
                 "%s: exact Content-Length" % what, "Content-Length %r, body %d bytes" % (cl, len(r.body)))
    if content_type is not None:
        ok &= tap.ok((r.header("Content-Type") or "").split(";")[0].strip() == content_type,
                     "%s: Content-Type %s" % (what, content_type), "got %r" % r.header("Content-Type"))
    return ok


# What the worker logs of a tokens file line whose name is not one (the name is not quoted)
BAD_NAME = "invalid token name (want 1 to 64 letters, digits, '_', '.' or '-'), line ignored"

ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 408: "request_timeout", 411: "length_required",
    413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
    431: "request_header_fields_too_large", 500: "internal_error", 501: "not_implemented",
    503: "service_unavailable", 505: "http_version_not_supported",
}


def check_error(tap, r, status, what, framing=True):
    """Status, the {"error","message"} body with the right code, and the framing."""
    ok = tap.is_(r.status, status, "%s: status %d" % (what, status))
    if not ok:
        tap.diag("body: %r" % r.body[:500])
    j = r.json
    ok &= tap.ok(isinstance(j, dict) and j.get("error") == ERROR_CODES[status]
                 and isinstance(j.get("message"), str) and j.get("message") != "",
                 "%s: JSON error body %r" % (what, ERROR_CODES[status]), "body: %r" % r.body[:500])
    if framing:
        ok &= check_framing(tap, r, what)
    return ok


def script(name):
    return os.path.join(SKILLS_SRC, name)


# Manifests of the test skills (policy none: these tests are about the core, not the sandbox).
def probe_skill(**kw):
    m = {"description": "reports what it sees", "command": [PY, "-I", "-S", script("probe.py")],
         "output": "json", "policy": "none"}
    m.update(kw)
    return m


def sh_skill(code, **kw):
    m = {"description": "shell one-liner", "command": [SH, "-c", code, "sh"], "policy": "none"}
    m.update(kw)
    return m


def py_skill(code, **kw):
    m = {"description": "python one-liner", "command": [PY, "-I", "-S", "-c", code], "policy": "none"}
    m.update(kw)
    return m


def tree_skill(**kw):
    m = {"description": "leaves a detached daemon behind", "command": [PY, "-I", "-S", script("tree.py")],
         "policy": "none", "timeout_ms": 20000}
    m.update(kw)
    return m


def run_result_ok(tap, r, what):
    """A 200 run result with the fields of design §4."""
    ok = tap.is_(r.status, 200, "%s: 200" % what)
    j = r.json if isinstance(r.json, dict) else {}
    if not ok:
        tap.diag("body: %r" % r.body[:1000])
    return j
