#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# inetd/xinetd style: the connection is stdin, stdout and stderr of the worker at once.
# Nothing the worker logs (warnings, the per-request record on stderr when there is no
# journal) may reach the client: the response must be exactly one HTTP response.
# A listening socket instead of a connection (xinetd "wait = yes", Accept=no,
# systemd-socket-activate without --accept) is refused with a log line that says
# how to fix the unit, and exit status 1.
import os
import socket
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (Worker, build_request, main, parse_responses, parse_stderr_records, recv_all,  # noqa: E402
                           serve_like_xinetd, wait_for)

LISTENING = "Got a listening socket, not a connection"


def global_ipv6():
    """A global IPv6 address of this host that is usable (not tentative, DAD not failed), or None."""
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 5 and fields[3] == "00" and not int(fields[4], 16) & 0x48:
                    return socket.inet_ntop(socket.AF_INET6, bytes.fromhex(fields[0]))
    except OSError:
        pass
    return None


def body(tap):
    w = Worker(skills={})
    # a malformed line makes the worker log a warning while it authenticates
    with open(w.tokens_file, "a") as f:
        f.write("this line is not name:token-shaped enough\nshort:tooshort\n")

    data, rc, _ = serve_like_xinetd(w, build_request("GET", "/v1/info", token=w.token))
    tap.ok(data.startswith(b"HTTP/1.1 200 "), "xinetd style: the response starts with the status line",
           data[:300].decode(errors="replace"))
    tap.is_(len(parse_responses(data)), 1, "exactly one response on the connection")
    tap.ok(b"skillrun:" not in data and b"tooshort" not in data and b"tokens" not in data.split(b"\r\n\r\n")[0],
           "no log line, path or token text in what the client got")
    tap.is_(rc, 0, "worker exit status 0")

    data, rc, _ = serve_like_xinetd(w, b"BREW /pot HTTP/1.1\r\n\r\n")
    tap.ok(data.startswith(b"HTTP/1.1 "), "a refused request also gets only the response",
           data[:300].decode(errors="replace"))
    tap.ok(b"skillrun:" not in data, "no log line in the refusal")

    # the exit status says whether the worker failed, for the unit's state: HTTP/2 (505) and a
    # chunked body (501) are the client's to change, a broken setting is ours (answered all the same)
    for raw, status in ((b"GET /healthz HTTP/2.0\r\n\r\n", 505),
                        (b"POST /v1/info HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501)):
        data, rc, _ = serve_like_xinetd(w, raw)
        tap.is_((data[:12], rc), (b"HTTP/1.1 %d" % status, 0), "a %d refusal: worker exit status 0" % status)
    w.settings["max_body"] = "lots"
    data, rc, _ = serve_like_xinetd(w, build_request("GET", "/healthz"))
    del w.settings["max_body"]
    tap.ok(data.startswith(b"HTTP/1.1 500 ") and b"skillrun is misconfigured" in data,
           "a broken setting: still answered, 500 misconfigured", data[:300].decode(errors="replace"))
    tap.is_(rc, 1, "... and worker exit status 1")

    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        p = subprocess.run([w.bin, "serve"], stdin=ls, capture_output=True, env=w.env(), timeout=20)
    tap.is_(p.returncode, 1, "a listening socket on stdin (xinetd wait = yes): exit status 1")
    tap.contains(p.stderr.decode(errors="replace"), LISTENING, "... and the log says why")

    # no connection at all: started by hand, or by a unit without its socket
    for what, stdin, extra in (("stdin a pipe", {"input": b"GET /healthz HTTP/1.1\r\n\r\n"}, {}),
                               ("stdin /dev/null", {"stdin": subprocess.DEVNULL}, {}),
                               ("LISTEN_FDS for another process", {"stdin": subprocess.DEVNULL},
                                {"LISTEN_FDS": "1", "LISTEN_PID": "1"})):
        p = subprocess.run([w.bin, "serve"], capture_output=True, env=w.env(extra), timeout=20, **stdin)
        tap.is_((p.returncode, p.stdout), (1, b""), "%s: exit status 1, nothing on stdout" % what)
        tap.contains(p.stderr.decode(errors="replace"), "No connection to serve: not socket-activated (LISTEN_FDS) "
                     "and stdin is not a socket", "%s: the log says why" % what)
    # socket activation variables that say nothing usable (a hand-written unit's Environment=, an
    # activator of one's own): refused, and the log names the variable, not "stdin is not a
    # socket" of a stdin that is one
    for what, env, why in (("LISTEN_PID not a number", "LISTEN_PID=abc LISTEN_FDS=1",
                            "LISTEN_PID 'abc' is not a process ID"),
                           ("LISTEN_PID ours, LISTEN_FDS missing", "LISTEN_PID=$$",
                            "LISTEN_PID names this process, but LISTEN_FDS is not set"),
                           ("LISTEN_PID ours, LISTEN_FDS not a number", "LISTEN_PID=$$ LISTEN_FDS=x",
                            "LISTEN_FDS 'x' is not a number of sockets"),
                           # sd_listen_fds(3) calls this invalid too; stdin, a socket here, is not
                           # what a launcher that set them meant to hand over
                           ("LISTEN_PID ours, LISTEN_FDS 0", "LISTEN_PID=$$ LISTEN_FDS=0",
                            "LISTEN_PID names this process, but LISTEN_FDS is 0")):
        a, b = socket.socketpair()
        with a, b:
            a.sendall(build_request("GET", "/healthz"))
            p = subprocess.run(["sh", "-c", 'unset LISTEN_FDS; %s exec "$0" serve' % env, w.bin],
                               stdin=b, stdout=b, stderr=subprocess.PIPE, env=w.env(), timeout=20)
        err = p.stderr.decode(errors="replace")
        tap.is_(p.returncode, 1, "%s: exit status 1" % what)
        tap.is_([l for l in err.splitlines() if l.startswith("skillrun: ")],
                ["skillrun: Malformed socket activation variables: %s (systemd and systemd-socket-activate "
                 "set LISTEN_PID and LISTEN_FDS together)" % why], "%s: the log names the variable" % what, err)
    # two sockets handed over (Accept=no with two ListenStream=): one connection is what it serves
    a, b = socket.socketpair()
    with a, b:
        p = subprocess.run(["sh", "-c", 'exec 3<&0 4<&0; LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" serve', w.bin],
                           stdin=a, capture_output=True, env=w.env(), timeout=20)
    tap.is_(p.returncode, 1, "two sockets handed over: exit status 1")
    tap.contains(p.stderr.decode(errors="replace"), "Got more than one socket: skillrun serves one connection; "
                 "use Accept=yes", "two sockets handed over: the log says why")

    # a client over IPv6: its address in the record as [addr]:port; an IPv4 client of a dual-stack
    # listener (ListenStream=8080 or [::]:8080 binds one) as a.b.c.d:port, the form systemd's
    # instance name and an IPv4 listener give it, not the v4-mapped [::ffff:a.b.c.d]:port
    # ... and a client from an IPv6 address that is neither loopback nor v4-mapped stays [addr]:port
    cases = [("::1", "::1", "[::1]:%d", "over IPv6: the record names the peer as [::1]:port"),
             ("::", "127.0.0.1", "127.0.0.1:%d",
              "IPv4 to a dual-stack listener: the record names the peer as 127.0.0.1:port, not [::ffff:127.0.0.1]:port")]
    addr6 = global_ipv6()
    if addr6:
        cases.append(("::", addr6, "[%s]:%%d" % addr6,
                      "IPv6 from a global address to a dual-stack listener: the record names the peer as [addr]:port"))
    else:
        tap.skip("no global IPv6 address here")
        tap.skip("no global IPv6 address here")
    for listen, client, want, what in cases:
        ls = None
        try:
            ls = socket.socket(socket.AF_INET6)
            ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            ls.bind((listen, 0))
        except OSError as e:
            if ls is not None:
                ls.close()
            tap.skip("no IPv6 here: %s" % e)
            tap.skip("no IPv6 here")
            continue
        with ls:
            ls.listen(1)
            c = socket.create_connection((client, ls.getsockname()[1]), timeout=20)
            conn, _ = ls.accept()
        port = c.getsockname()[1]
        with c, conn:
            q = subprocess.Popen([w.bin, "serve"], stdin=conn, stdout=conn, stderr=subprocess.PIPE, env=w.env())
            conn.close()
            c.sendall(build_request("GET", "/healthz"))
            got = recv_all(c)
            _, err = q.communicate(timeout=20)
        tap.ok(got.startswith(b"HTTP/1.1 200 "), "%s: 200" % what.split(":")[0], got[:200])
        w.extra_pids.add(str(q.pid))
        recs = w.records(stderr_text=err.decode(errors="replace"))
        tap.is_([r.get("peer") for r in recs if r.get("path") == "/healthz"], [want % port], what)

    # stderr a socket, but not the connection (systemd's journal stream, tcpserver's log): it is
    # the same kind of file as the connection, and still where the log goes
    a, b = socket.socketpair()
    with socket.socket() as ls, a, b:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        c = socket.create_connection(ls.getsockname(), timeout=20)
        conn, _ = ls.accept()
        with c, conn:
            q = subprocess.Popen([w.bin, "serve"], stdin=conn, stdout=conn, stderr=a, env=w.env())
            w.extra_pids.add(str(q.pid))
            conn.close()
            a.close()
            c.sendall(build_request("GET", "/healthz"))
            got = recv_all(c)
            q.wait(timeout=20)
        err = recv_all(b)
    tap.ok(got.startswith(b"HTTP/1.1 200 "), "stderr a socket of its own: 200", got[:200])
    tap.is_([r.get("path") for r in parse_stderr_records(err.decode(errors="replace"))], ["/healthz"],
            "... and the request's record on that stderr, not taken away as the connection's")
    w.stop(None, check=False)

    # Accept=no: systemd-socket-activate execs the worker itself, so its exit status is the worker's.
    w = Worker(skills={}, accept=False).start()
    try:
        # the worker may refuse the socket, and close it with this connection still queued on
        # it, before connect() returns: a reset then, at any step
        with w.connect() as c:
            c.sendall(build_request("GET", "/healthz"))
            got = recv_all(c)
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    tap.is_(got, b"", "a listening socket as fd 3 (Accept=no): no answer")
    tap.ok(wait_for(lambda: w.proc.poll() is not None, 20), "... the worker exits")
    tap.is_(w.proc.returncode, 1, "... with status 1")
    tap.contains(w.read_log(), LISTENING, "... and the log says why")
    w.stop(tap)


main(body)
