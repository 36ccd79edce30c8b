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
from skillrun_test import (Worker, build_request, main, parse_responses, recv_all, serve_like_xinetd,  # noqa: E402
                           wait_for)

LISTENING = "Got a listening socket, not a connection"


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

    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        p = subprocess.run([w.bin, "serve"], stdin=ls, capture_output=True, env=w.env(), timeout=20)
    tap.is_(p.returncode, 1, "a listening socket on stdin (xinetd wait = yes): exit status 1")
    tap.contains(p.stderr.decode(errors="replace"), LISTENING, "... and the log says why")
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
