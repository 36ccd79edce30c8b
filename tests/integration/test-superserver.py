#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped super-server configurations run by the real super-servers, on ports 19200-19299:
# contrib/xinetd/skillrun under xinetd and contrib/tcpserver/run under ucspi-tcp's tcpserver,
# each with only its port, paths and log file replaced (and the test's own settings added to
# the workers' variables). Over TCP: /healthz, a run, a 401, exactly one response per
# connection with nothing the worker logs in it (under tcpserver the log reaches its stderr
# instead), the connection caps as the files describe them, and, after the requests, no
# worker, skill or work dir left and the super-server stopped and reaped.
# Skips a super-server that is not installed (contrib/install-deps.sh --tests installs both).
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (BAD_NAME, TOP_SRCDIR, Skip, Worker, build_request, cmdline_of, find_program,  # noqa: E402
                           journal_in_use, main, one_response, parse_responses, ppid_of, processes_with, recv_all,
                           sh_skill, skip_all, substitute, wait_for)

CONTRIB = os.path.join(TOP_SRCDIR, "contrib")
# this test's range, from a point of its own: another run of it may be choosing at the same time
PORTS = iter([19200 + (os.getpid() + i) % 100 for i in range(100)])
INSTANCES, PER_SOURCE = 32, 8  # skillrun.socket's MaxConnections=, MaxConnectionsPerSource=
# a tokens file line the worker warns about on every authenticated request ("invalid token name")
BAD_LINE = "this line is not name:token-shaped enough"


def next_port():
    for port in PORTS:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise Skip("no free port left in 19200-19299")


def listeners(port):
    """The inodes of the sockets listening on 127.0.0.1:port (read from /proc: a probing connection
    would start a worker)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        return [ln.split()[9] for ln in f.readlines()[1:] if ln.split()[1] == want and ln.split()[3] == "0A"]


def listening(port):
    return bool(listeners(port))


def owns_port(proc, port):
    """Whether proc holds every socket listening on port: a super-server that shares it
    (SO_REUSEPORT) with another run of this test would hand it half of our connections."""
    fds = "/proc/%d/fd" % proc.pid
    mine = set()
    for fd in os.listdir(fds):
        try:
            mine.add(os.readlink(os.path.join(fds, fd)))
        except OSError:
            pass
    found = listeners(port)
    return bool(found) and all("socket:[%s]" % i in mine for i in found)


def test_env(w):
    """The test's settings, as NAME=value words, beside the shipped file's own two."""
    env = ["SKILLRUN_CONFIG=" + w.settings["config"], "SKILLRUN_SKILLS_DIR=" + w.settings["skills_dir"],
           "WORKER_MARKER=" + w.marker]
    env += ["%s=%s" % (k, os.environ[k]) for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
            if k in os.environ]
    return env


def xinetd_args(binary, w, d, port):
    with open(os.path.join(CONTRIB, "xinetd", "skillrun")) as f:
        conf = substitute(f.read(), [
            ("= 8080\n", "= %d\n" % port),
            ("= /usr/bin/skillrun\n", "= %s\n" % w.bin),
            ("= SKILLRUN_WORK_DIR=/run/skillrun SKILLRUN_TOKENS_FILE=/etc/skillrun/tokens\n",
             "= SKILLRUN_WORK_DIR=%s SKILLRUN_TOKENS_FILE=%s %s\n" % (w.work_dir, w.tokens_file, " ".join(test_env(w)))),
            ("= SYSLOG daemon info\n", "= FILE %s/service.log\n" % d),
        ])
    path = os.path.join(d, "xinetd.conf")
    with open(path, "w") as f:
        f.write(conf)
    return [binary, "-dontfork", "-filelog", os.path.join(d, "xinetd.log"), "-f", path]


def tcpserver_args(binary, w, d, port):
    with open(os.path.join(CONTRIB, "tcpserver", "run")) as f:
        run = substitute(f.read(), [
            ("\nPORT=8080 ", "\nPORT=%d " % port),
            ("\nSKILLRUN=/usr/bin/skillrun ", "\nSKILLRUN=%s " % w.bin),
            ("\nWORK_DIR=/run/skillrun ", "\nWORK_DIR=%s " % w.work_dir),
            ("\nTOKENS_FILE=/etc/skillrun/tokens ", "\nTOKENS_FILE=%s " % w.tokens_file),
            ('\tSKILLRUN_TOKENS_FILE="$TOKENS_FILE" \\\n',
             '\tSKILLRUN_TOKENS_FILE="$TOKENS_FILE" \\\n' + "".join("\t%s \\\n" % e for e in test_env(w))),
        ])
    path = os.path.join(d, "run")
    with open(path, "w") as f:
        f.write(run)
    return ["/bin/sh", path]


def start(w, args_for, binary, d):
    """Start the super-server as the Worker's activator: Worker.stop() then checks for leftovers
    and stops it, also when the test body fails."""
    for _ in range(5):
        w.port = next_port()
        w.log = open(w.log_path, "ab")
        w.proc = subprocess.Popen(args_for(binary, w, d, w.port), stdin=subprocess.DEVNULL, stdout=w.log,
                                  stderr=w.log, start_new_session=True)
        Worker.live.append(w)
        if wait_for(lambda: w.proc.poll() is not None or listening(w.port), 10) and w.proc.poll() is None \
                and owns_port(w.proc, w.port):
            return
        if w.proc.poll() is None:
            w.proc.kill()
        w.proc.wait()
        Worker.live.remove(w)
        w.log.close()
    raise RuntimeError("%s did not listen:\n%s" % (binary, w.read_log()[-3000:]))


def exchange(w, request, source="127.0.0.1"):
    """Send request on a new connection, read to EOF: the bytes that came back ('' when the
    connection was closed or reset without an answer)."""
    try:
        s = socket.create_connection(("127.0.0.1", w.port), timeout=20, source_address=(source, 0))
    except ConnectionRefusedError:
        return b""  # nothing listens: xinetd took the service down
    with s:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            return b""
        return recv_all(s)


def sleepers(w):
    return [p for p in processes_with(w.marker) if cmdline_of(p).startswith("sleep ")]


def hold(w, source):
    """A connection whose run sleeps until the connection closes."""
    s = socket.create_connection(("127.0.0.1", w.port), timeout=20, source_address=(source, 0))
    s.sendall(build_request("POST", "/v1/skills/sleep/run", {}, token=w.token))
    return s


def children(proc):
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and ppid_of(int(p)) == proc.pid]


def worker_env_names(w):
    """The names in the environment of one of the super-server's workers (root reads it, although
    the worker is not dumpable)."""
    for pid in children(w.proc):
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                return sorted(e.split(b"=", 1)[0].decode() for e in f.read().split(b"\0") if e)
        except OSError:
            continue
    return None


def check_env(tap, name, w, own):
    """The shipped file passes the workers only its own variables (and the super-server's)."""
    want = sorted(["SKILLRUN_WORK_DIR", "SKILLRUN_TOKENS_FILE"] + [e.split("=", 1)[0] for e in test_env(w)] + own)
    tap.is_(worker_env_names(w), want, "%s: the workers get only the file's variables and %s" % (name, " ".join(own)))


def check_requests(tap, name, w):
    r = one_response(tap, "%s: GET /healthz" % name, exchange(w, build_request("GET", "/healthz")))
    tap.is_((r.status, (r.json or {}).get("status")) if r else None, (200, "ok"), "%s: GET /healthz → 200, ok" % name)

    text = "hello through %s" % name
    r = one_response(tap, "%s: a run" % name, exchange(w, build_request("POST", "/v1/skills/echo/run",
                                                                         {"stdin": text}, token=w.token)))
    j = (r.json or {}) if r else {}
    tap.is_((r.status if r else None, j.get("outcome"), j.get("exit_code"), j.get("stdout")), (200, "ok", 0, text),
            "%s: POST /v1/skills/echo/run with a token → 200, outcome ok, its stdout" % name)
    tap.is_(j.get("sandbox", {}).get("user_switched"), True, "%s: the root worker ran the skill as run_user" % name)

    r = one_response(tap, "%s: no token" % name, exchange(w, build_request("GET", "/v1/info")))
    tap.is_((r.status, (r.json or {}).get("error")) if r else None, (401, "unauthorized"),
            "%s: GET /v1/info without a token → 401" % name)


def check_xinetd_caps(tap, w, d):
    # xinetd counts a worker against per_source and instances until it has reaped it: the
    # earlier requests' workers (slower to exit in a sanitizer build) must be gone first
    tap.ok(wait_for(lambda: not children(w.proc), 30), "xinetd: the earlier requests' workers have ended")
    held = [hold(w, "127.0.0.1") for _ in range(PER_SOURCE)]
    tap.ok(wait_for(lambda: len(sleepers(w)) == PER_SOURCE, 30), "xinetd: %d runs at once from one client" % PER_SOURCE,
           "sleepers: %d" % len(sleepers(w)))
    check_env(tap, "xinetd", w, ["REMOTE_HOST"])
    tap.is_(exchange(w, build_request("GET", "/healthz")), b"",
            "xinetd: connection %d from that client (per_source) → closed without an answer" % (PER_SOURCE + 1))
    r = parse_responses(exchange(w, build_request("GET", "/healthz"), source="127.0.0.2"))
    tap.is_([x.status for x in r], [200], "xinetd: ...while another client is served")
    tap.ok(wait_for(lambda: len(children(w.proc)) == PER_SOURCE, 30), "xinetd: ...whose worker then ends")
    for i in range(2, INSTANCES // PER_SOURCE + 1):
        held += [hold(w, "127.0.0.%d" % i) for _ in range(PER_SOURCE)]
    tap.ok(wait_for(lambda: len(sleepers(w)) == INSTANCES, 60), "xinetd: %d runs at once from %d clients" %
           (INSTANCES, INSTANCES // PER_SOURCE), "sleepers: %d" % len(sleepers(w)))
    tap.is_(exchange(w, build_request("GET", "/healthz"), source="127.0.0.99"), b"",
            "xinetd: connection %d (instances), from a new client → closed without an answer" % (INSTANCES + 1))
    tap.is_(len(sleepers(w)), INSTANCES, "xinetd: ...and no worker started for the refused ones")
    for s in held:
        s.close()
    tap.is_(wait_for(lambda: not sleepers(w), 30) and sleepers(w), [], "xinetd: closing the held connections ends their runs")
    with open(os.path.join(d, "service.log"), errors="replace") as f:
        log = f.read()
    tap.contains(log, "FAIL: skillrun per_source_limit from=127.0.0.1", "xinetd: its log names the per_source refusal")
    tap.contains(log, "FAIL: skillrun service_limit from=127.0.0.99", "xinetd: ...and the instances refusal")
    tap.is_([ln for ln in log.splitlines() if "START:" in ln and "from=127.0.0.99" in ln], [],
            "xinetd: ...for which no worker started")

    # xinetd's default cps (50 connections a second, then 10 s off) would stop the service here.
    # A worker stays a moment after its answer (its clean-up and record come after it), and
    # xinetd counts it against per_source until it has reaped it: the next connection waits for
    # a free place, so that only cps could refuse one.
    def one_healthz():
        wait_for(lambda: len(children(w.proc)) < PER_SOURCE, 30)
        return [x.status for x in parse_responses(exchange(w, build_request("GET", "/healthz")))]

    t0 = time.monotonic()
    statuses = [one_healthz() for _ in range(80)]
    tap.is_([s for s in statuses if s != [200]], [], "xinetd: 80 connections in a row are all served",
            "in %.2f s" % (time.monotonic() - t0))


def check_tcpserver_caps(tap, w):
    held = [hold(w, "127.0.0.%d" % (1 + i // PER_SOURCE)) for i in range(INSTANCES)]
    tap.ok(wait_for(lambda: len(sleepers(w)) == INSTANCES, 60), "tcpserver: %d runs at once" % INSTANCES,
           "sleepers: %d" % len(sleepers(w)))
    check_env(tap, "tcpserver", w, ["PROTO", "TCPLOCALHOST", "TCPLOCALIP", "TCPLOCALPORT", "TCPREMOTEIP",
                                    "TCPREMOTEPORT"])
    waiting = socket.create_connection(("127.0.0.1", w.port), timeout=20, source_address=("127.0.0.99", 0))
    waiting.sendall(build_request("GET", "/healthz"))
    waiting.settimeout(1.5)
    try:
        early = waiting.recv(1)
    except socket.timeout:
        early = None
    tap.is_(early, None, "tcpserver: connection %d (-c) waits, unanswered" % (INSTANCES + 1))
    held.pop().close()
    r = parse_responses(recv_all(waiting))
    waiting.close()
    tap.is_([x.status for x in r], [200], "tcpserver: ...and is served once a run ends")
    for s in held:
        s.close()
    tap.is_(wait_for(lambda: not sleepers(w), 30) and sleepers(w), [],
            "tcpserver: closing the held connections ends their runs")


def check_stopped(tap, name, w, d):
    proc = w.proc
    left = wait_for(lambda: not children(proc), 5) and [] or children(proc)
    if tap.failed:
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n), errors="replace") as f:
                tap.diag("%s:\n%s" % (n, f.read()[-3000:]))
    w.stop(tap)
    tap.is_(left, [], "%s: no process of its own left after the requests" % name,
            "\n".join("%d: %s" % (p, cmdline_of(p)) for p in left))
    tap.ok(proc.returncode is not None, "%s: stopped and reaped" % name)
    tap.ok(not listening(w.port), "%s: nothing listens on its port any more" % name)


def body(tap):
    if os.geteuid() != 0:
        skip_all("needs root: the shipped files run the workers as root, which run the skills as run_user")
    found = {"xinetd": find_program("xinetd"), "tcpserver": find_program("tcpserver")}
    if not any(found.values()):
        skip_all("neither xinetd nor tcpserver (ucspi-tcp) installed (contrib/install-deps.sh --tests)")

    for name, binary in found.items():
        if not binary:
            tap.skip("%s not installed (contrib/install-deps.sh --tests)" % name)
            continue
        w = Worker(skills={"echo": sh_skill("cat", input="stdin"),
                           "sleep": sh_skill("exec sleep 30", timeout_ms=20000)}, activator=False)
        with open(w.tokens_file, "a") as f:
            f.write(BAD_LINE + "\n")
        d = tempfile.mkdtemp(prefix="skillrun-superserver-", dir=w.root)
        start(w, xinetd_args if name == "xinetd" else tcpserver_args, binary, d)
        check_requests(tap, name, w)
        if name == "tcpserver":
            # the worker's stderr is tcpserver's: its warning and its request records land there
            log = w.read_log()
            tap.contains(log, "skillrun: %s:3: %s" % (w.tokens_file, BAD_NAME),
                         "tcpserver: the worker's warnings reach tcpserver's stderr")
            if journal_in_use():
                tap.skip("the request records go to the journal here")
            else:
                # each is written after its answer: the last may still be on its way
                wait_for(lambda: len(w.records()) >= 3, 10)
                tap.is_(sorted((r.get("status"), r.get("path")) for r in w.records()),
                        [("200", "/healthz"), ("200", "/v1/skills/echo/run"), ("401", "/v1/info")],
                        "tcpserver: ...one request record each, there")
            check_tcpserver_caps(tap, w)
        else:
            check_xinetd_caps(tap, w, d)
        check_stopped(tap, name, w, d)


main(body)
