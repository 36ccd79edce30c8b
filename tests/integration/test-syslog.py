#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A host without journald, the worker run inetd style (the connection its stdin, stdout and
# stderr, as xinetd does): its stderr is detached from the connection, so its warnings and its
# request records go to syslog, /dev/log, one datagram a line, facility daemon, tagged
# "skillrun[PID]", nothing of them in the response. Where stderr is still the log (a file here,
# behind systemd-socket-activate) they stay there, and syslog gets nothing.
# /dev/log is the test's own datagram socket (or a stream one, as syslog-ng may listen on),
# bound over /dev/log in a mount namespace of the worker's whose /dev is a tmpfs with the host's
# device nodes bound in: nothing is made in the host's /dev. journald's directory is hidden there too, if there is one. Needs root.
import os
import re
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (BAD_NAME, Worker, build_request, main, one_response, private_mounts_refused,  # noqa: E402
                           serve_like_xinetd, sh_skill, skip_all)

BAD_LINE = "this line is not name:token-shaped enough"  # the worker warns about it (line 3)
DEVICES = ("null", "zero", "full", "random", "urandom")
STAMP = r"[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]"

# Run "$@" with /dev a tmpfs of DEVICES and @D@/log as /dev/log. The standard fds are the
# worker's (the connection, inetd style): the setup writes to its own log, and no other fd
# goes on to the worker.
NS_SETUP = """#!/bin/sh
exec 8>&1 9>&2 >>"@D@/setup.log" 2>&1
set -ex
mkdir -p "@D@/host-dev"
mount --bind /dev "@D@/host-dev"
mount -t tmpfs -o mode=0755,nosuid skillrun-test-dev /dev
for n in @DEVICES@; do
	touch "/dev/$n"
	mount --bind "@D@/host-dev/$n" "/dev/$n"
done
umount "@D@/host-dev"
touch /dev/log
mount --bind "@D@/log" /dev/log
if [ -d /run/systemd/journal ]; then mount -t tmpfs -o mode=0755 skillrun-test-nojournal /run/systemd/journal; fi
set +x
exec 1>&8 2>&9 8>&- 9>&-
exec "$@"
"""


def write_script(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def in_namespace(d):
    """The command prefix that runs a program in the namespace."""
    return ["unshare", "-m", "--propagation", "private", os.path.join(d, "ns-setup")]


def drain(sock):
    """The datagrams queued on sock, as text."""
    out = []
    while True:
        try:
            out.append(sock.recv(65536, socket.MSG_DONTWAIT).decode(errors="replace"))
        except BlockingIOError:
            return out


def accept_all(sock):
    """What each connection queued on the listening sock sent, in order, as bytes."""
    out = []
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return out
        with conn:
            conn.settimeout(5)
            data = b""
            while True:
                k = conn.recv(65536)
                if not k:
                    break
                data += k
            out.append(data)


def line_re(pri, pid, msg_re):
    return r"^<%d>%s skillrun\[%d\]: %s$" % (pri, STAMP, pid, msg_re)


def check_inetd(tap, w, d, log):
    warning = re.escape("%s:3: %s" % (w.tokens_file, BAD_NAME))

    data, rc, pid = serve_like_xinetd(w, build_request("GET", "/v1/info", token="not-" + w.token), in_namespace(d))
    r = one_response(tap, "a bad token", data)
    tap.is_(r.status if r else None, 401, "a bad token: 401")
    tap.is_(rc, 0, "... the worker exits 0")
    got = drain(log)
    tap.is_([g for g in got if re.match(line_re(28, pid, warning), g)], [g for g in got if "invalid token" in g],
            "the worker's warning to syslog as daemon.warning <28>, tagged with its pid, once", got)
    tap.ok(any(re.match(line_re(28, pid, warning), g) for g in got), "... it is there", got)
    rec = [g for g in got if "status=" in g]
    tap.is_(len(rec), 1, "one request record", got)
    tap.ok(rec and re.match(line_re(29, pid, r"status=401 method=GET path=/v1/info skill=- outcome=- exit_code=-1 "
                                    r"run_id=- token=- peer=127\.0\.0\.1:\d+ duration_usec=\d+ max_rss_kb=\d+ "
                                    r"error=unknown token"), rec[0]),
           "... the 401 as daemon.notice <29>, the line stderr would have had", rec)
    tap.is_(len(got), 2, "nothing else", got)

    data, rc, pid = serve_like_xinetd(w, build_request("POST", "/v1/skills/echo/run", {"stdin": "hi"}, token=w.token),
                                     in_namespace(d))
    r = one_response(tap, "a run", data)
    tap.is_((r.status, (r.json or {}).get("outcome"), (r.json or {}).get("stdout")) if r else None, (200, "ok", "hi"),
            "a run in the namespace: 200, outcome ok, its output")
    got = drain(log)
    rec = [g for g in got if "status=" in g]
    tap.ok(len(rec) == 1 and re.match(line_re(30, pid, r"status=200 method=POST path=/v1/skills/echo/run skill=echo "
                                                   r"outcome=ok exit_code=0 run_id=[0-9a-f]{32} token=ci .*"), rec[0]),
           "its record as daemon.info <30>", got)


def check_stderr_closed(tap, w, d, log):
    """Started with stderr closed (the connection on stdin and stdout only): nothing would read
    the /dev/null the worker puts there, so its log goes to syslog too."""
    close_stderr = ["sh", "-c", 'exec "$@" 2>&-', "sh"]
    data, rc, pid = serve_like_xinetd(w, build_request("GET", "/v1/info", token="not-" + w.token),
                                     in_namespace(d) + close_stderr)
    r = one_response(tap, "stderr closed: a bad token", data)
    tap.is_(r.status if r else None, 401, "stderr closed: a bad token: 401")
    got = drain(log)
    warning = re.escape("%s:3: %s" % (w.tokens_file, BAD_NAME))
    tap.ok(len(got) == 2 and re.match(line_re(28, pid, warning), got[0]) and
           re.match(line_re(29, pid, r"status=401 method=GET path=/v1/info .* error=unknown token"), got[1]),
           "... the warning <28> and the 401's record <29> to syslog", got)
    # a command's user who closed its stderr meant it: its error goes nowhere, not to syslog
    p = subprocess.run(in_namespace(d) + close_stderr + [w.bin, "run", "no-such-skill"], env=w.env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, timeout=60)
    tap.ok(p.returncode != 0, "stderr closed: skillrun run of no skill fails", p.returncode)
    # a datagram it sent is queued before it exits
    tap.is_(drain(log), [], "... and says nothing to syslog")


def check_stderr_kept(tap, w, d, log):
    """Behind systemd-socket-activate, stderr a file: the log stays there, syslog gets nothing."""
    wrapper = os.path.join(d, "activate")
    write_script(wrapper, "#!/bin/sh\nexec %s %s \"$@\"\n" % (" ".join(in_namespace(d)), w.activate))
    w.activate = wrapper
    w.start()
    r = w.get("/v1/info", token="not-" + w.token)
    tap.is_(r.status, 401, "stderr a file: a bad token: 401")
    r = w.run("echo", {"stdin": "hi"})
    tap.is_((r.status, (r.json or {}).get("stdout")), (200, "hi"), "... a run: 200")
    deadline = time.monotonic() + 10
    while len(w.records()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    tap.is_(sorted((x.get("status"), x.get("path")) for x in w.records()),
            [("200", "/v1/skills/echo/run"), ("401", "/v1/info")], "... their records on stderr", w.read_log())
    tap.ok("skillrun: %s:3: %s" % (w.tokens_file, BAD_NAME) in w.read_log(),
           "... and the warning", w.read_log())
    time.sleep(0.2)
    tap.is_(drain(log), [], "... and nothing to syslog")
    w.stop(tap)


def check_stream(tap, w, d, log):
    """/dev/log a stream socket (syslog-ng's unix-stream()): a connection a line, each ended by a NUL."""
    data, rc, pid = serve_like_xinetd(w, build_request("GET", "/v1/info", token="not-" + w.token), in_namespace(d))
    r = one_response(tap, "a bad token, /dev/log a stream socket", data)
    tap.is_(r.status if r else None, 401, "/dev/log a stream socket: a bad token: 401")
    got = accept_all(log)
    tap.is_([g[-1:] for g in got], [b"\0", b"\0"], "... two connections, each line ended by its NUL", got)
    lines = [g[:-1].decode(errors="replace") for g in got]
    warning = re.escape("%s:3: %s" % (w.tokens_file, BAD_NAME))
    tap.ok(len(lines) == 2 and re.match(line_re(28, pid, warning), lines[0]) and
           re.match(line_re(29, pid, r"status=401 method=GET path=/v1/info .* error=unknown token"), lines[1]),
           "... the warning <28> and the 401's record <29>, as in datagrams", lines)


def body(tap):
    if os.geteuid() != 0:
        skip_all("needs root: a mount namespace with the test's socket as /dev/log")
    why = private_mounts_refused()
    if why:
        skip_all(why)

    ws = []
    for activator, kind in ((False, socket.SOCK_DGRAM), (True, socket.SOCK_DGRAM), (False, socket.SOCK_STREAM)):
        w = Worker(skills={"echo": sh_skill("cat", input="stdin")}, activator=activator)
        with open(w.tokens_file, "a") as f:
            f.write(BAD_LINE + "\n")
        d = os.path.join(w.root, "ns")
        os.mkdir(d)
        write_script(os.path.join(d, "ns-setup"),
                     NS_SETUP.replace("@D@", d).replace("@DEVICES@", " ".join(DEVICES)))
        log = socket.socket(socket.AF_UNIX, kind)
        log.bind(os.path.join(d, "log"))
        if kind == socket.SOCK_STREAM:
            log.listen(16)
            log.setblocking(False)
        ws.append((w, d, log))

    w, d, log = ws[0]
    if subprocess.run(in_namespace(d) + ["true"]).returncode != 0:
        with open(os.path.join(d, "setup.log"), errors="replace") as f:
            skip_all("cannot make /dev a tmpfs with the host's devices in a mount namespace: %s" %
                     " / ".join(ln.strip() for ln in f.read().splitlines()[-3:]))
    check_inetd(tap, w, d, log)
    check_stderr_closed(tap, w, d, log)
    if tap.failed and os.path.exists(os.path.join(d, "setup.log")):
        with open(os.path.join(d, "setup.log"), errors="replace") as f:
            tap.diag(f.read()[-3000:])
    w.stop(tap)
    w, d, log = ws[1]
    check_stderr_kept(tap, w, d, log)
    w, d, log = ws[2]
    check_stream(tap, w, d, log)
    w.stop(tap)
    for _, _, log in ws:
        log.close()


main(body)
