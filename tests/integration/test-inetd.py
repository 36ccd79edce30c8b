#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# inetd/xinetd style: the connection is stdin, stdout and stderr of the worker at once.
# Nothing the worker logs (warnings, the per-request record on stderr when there is no
# journal) may reach the client: the response must be exactly one HTTP response.
import os
import socket
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import Worker, build_request, main, parse_responses, recv_all  # noqa: E402


def serve_like_xinetd(w, request):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    c = socket.create_connection(ls.getsockname(), timeout=20)
    conn, _ = ls.accept()
    ls.close()
    p = subprocess.Popen([w.bin], stdin=conn.fileno(), stdout=conn.fileno(), stderr=conn.fileno(), env=w.env())
    conn.close()
    c.sendall(request)
    data = recv_all(c)
    c.close()
    p.wait(timeout=20)
    return data, p.returncode


def body(tap):
    w = Worker(skills={})
    # a malformed line makes the worker log a warning while it authenticates
    with open(w.tokens_file, "a") as f:
        f.write("this line is not name:token-shaped enough\nshort:tooshort\n")

    data, rc = serve_like_xinetd(w, build_request("GET", "/v1/info", token=w.token))
    tap.ok(data.startswith(b"HTTP/1.1 200 "), "xinetd style: the response starts with the status line",
           data[:300].decode(errors="replace"))
    tap.is_(len(parse_responses(data)), 1, "exactly one response on the connection")
    tap.ok(b"skillrun:" not in data and b"tooshort" not in data and b"tokens" not in data.split(b"\r\n\r\n")[0],
           "no log line, path or token text in what the client got")
    tap.is_(rc, 0, "worker exit status 0")

    data, rc = serve_like_xinetd(w, b"BREW /pot HTTP/1.1\r\n\r\n")
    tap.ok(data.startswith(b"HTTP/1.1 "), "a refused request also gets only the response",
           data[:300].decode(errors="replace"))
    tap.ok(b"skillrun:" not in data, "no log line in the refusal")
    w.stop(None, check=False)


main(body)
