#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The HTTP subset (design §2) over real sockets: every bound and error status,
# bare LF, Expect: 100-continue, one request per connection, the 408 deadline.
import fcntl
import os
import re
import socket
import struct
import subprocess
import sys
import termios
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (Worker, build_request, check_error, check_framing, main, parse_responses,  # noqa: E402
                           recv_all, recv_until, sh_skill, wait_for)

READ_TIMEOUT_MS = 500
MAX_BODY = 1 << 20


def body(tap):
    # "big" answers with about 12 MB of JSON: 1 MiB of \x01 on stdout and on stderr, \u0001 each
    w = Worker(skills={"echo": sh_skill("cat"), "count": sh_skill("wc -c"), "private": sh_skill("cat", tokens=["other"]),
                       "big": sh_skill("head -c 1048576 /dev/zero | tr '\\0' '\\1' | tee /dev/stderr")},
               settings={"read_timeout_ms": READ_TIMEOUT_MS}).start()
    tok = w.token
    auth = "Authorization: Bearer %s\r\n" % tok

    # --- the basics
    r = w.raw1(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    tap.is_(r.status, 200, "GET /healthz: 200")
    check_framing(tap, r, "GET /healthz")
    tap.is_(r.json.get("status") if r.json else None, "ok", "healthz body status ok")

    r = w.raw1(b"GET /healthz HTTP/1.0\r\n\r\n")
    tap.is_(r.status, 200, "HTTP/1.0 request without Host: 200")
    check_framing(tap, r, "HTTP/1.0")

    r = w.raw1(b"GET /healthz?probe=1&x=%20 HTTP/1.1\r\nHost: x\r\n\r\n")
    tap.is_(r.status, 200, "query string is ignored by the router")

    r = w.raw1(b"GET /healthz HTTP/1.1\nHost: x\nUser-Agent: lf-only\n\n")
    tap.is_(r.status, 200, "bare LF line ends are tolerated")

    payload = '{"stdin":"bare"}'
    req = ("POST /v1/skills/echo/run HTTP/1.1\nHost: x\nAuthorization: Bearer %s\n"
           "Content-Type: application/json\nContent-Length: %d\n\n%s" % (tok, len(payload), payload))
    r = w.raw1(req.encode())
    tap.is_(r.status, 200, "bare LF POST with a body runs the skill")
    tap.is_(r.json.get("stdout") if r.json else None, "bare", "... and the body arrived intact")

    r = w.raw1(("get /healthz HTTP/1.1\r\nhOST: x\r\n\r\n").encode())
    check_error(tap, r, 501, "lowercase get (methods are case-sensitive: no method of ours)")
    tap.is_(r.json.get("message") if r.json else None, "method get is not implemented", "... and says which method")
    tap.is_(r.header("Allow"), None, "... with no Allow: no resource here has that method")

    r = w.raw1(("POST /v1/skills/echo/run HTTP/1.1\r\nhost: x\r\nauthorization: bearer %s\r\n"
                "content-type: application/json\r\ncontent-length: 2\r\n\r\n{}" % tok).encode())
    tap.is_(r.status, 200, "header names and the auth scheme are case-insensitive")

    # --- garbage and versions
    for raw, what in [(b"HELLO\r\n\r\n", "garbage line"),
                      (b"GET /healthz\r\n\r\n", "request line without version"),
                      (b"GET  /healthz HTTP/1.1\r\n\r\n", "double space in request line"),
                      (b"GET healthz HTTP/1.1\r\nHost: x\r\n\r\n", "target not in origin-form"),
                      (b"GET /healthz FTP/1.1\r\nHost: x\r\n\r\n", "not HTTP"),
                      (b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", "header line without colon"),
                      (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", "space in header name"),
                      (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n  folded\r\n\r\n", "obsolete line folding"),
                      (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "a TLS client hello")]:
        rs, got = w.raw(raw)
        if len(rs) == 1:
            check_error(tap, rs[0], 400, what)
        else:
            tap.ok(False, "%s: one 400 response" % what, repr(got[:300]))

    for ver in (b"HTTP/2.0", b"HTTP/3.0", b"HTTP/2"):
        r = w.raw1(b"GET /healthz " + ver + b"\r\nHost: x\r\n\r\n")
        check_error(tap, r, 505, "request with %s" % ver.decode())
    # RFC 9110 section 6.2: a later HTTP/1.x is answered as 1.1
    r = w.raw1(b"GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n")
    tap.is_(r.status, 200, "HTTP/1.2 is answered as 1.1")
    tap.is_(r.json.get("status") if isinstance(r.json, dict) else None, "ok", "HTTP/1.2: the health answer")
    # RFC 9112 section 2.2: an empty line before the request line is ignored, and a body after it
    # is where Content-Length says
    body = '{"input": {"a": 1}}'
    r = w.raw1(("\r\nPOST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n%s" % (auth, len(body), body)).encode())
    tap.is_(r.status, 200, "an empty line before the request line is skipped")
    tap.is_(r.json.get("stdout") if isinstance(r.json, dict) else None, '{"a":1}', "...and the body read after it")
    # what a client with HTTP/2 prior knowledge sends first
    r = w.raw1(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    check_error(tap, r, 505, "the HTTP/2 connection preface")

    # --- bounds of the head (default 16 KiB, 100 fields)
    r = w.raw1(b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check_error(tap, r, 414, "request line over max_header")
    r = w.raw1(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 17000 + b"\r\n\r\n")
    check_error(tap, r, 431, "header line over max_header")
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-F%d: v\r\n" % i for i in range(120))
    r = w.raw1(head + b"\r\n")
    check_error(tap, r, 431, "more than 100 header fields")
    # the log names the setting each ran into, and its value (the client is told only the bound)
    # (a worker writes its record after its answer: waited for)
    for said in ("Request line too long (max_header is 16384)", "Request header too large (max_header is 16384)",
                 "Too many header fields (max_header_fields is 100)"):
        tap.ok(wait_for(lambda: said in w.all_log_text(), 5), "the log: %s" % said)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-F%d: v\r\n" % i for i in range(50))
    r = w.raw1(head + b"\r\n")
    tap.is_(r.status, 200, "51 header fields are fine")
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-G%d: %s\r\n" % (i, b"v" * 1000) for i in range(14))
    r = w.raw1(head + b"\r\n")
    tap.is_(r.status, 200, "a 14 KiB head is within the 16 KiB bound")

    # --- bodies
    r = w.raw1(("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%s\r\n" % auth).encode())
    check_error(tap, r, 411, "POST without Content-Length")
    r = w.raw1(("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % (auth, MAX_BODY + 1)).encode())
    check_error(tap, r, 413, "Content-Length over max_body (body never sent)")
    tap.ok(wait_for(lambda: "Request body too large (max_body is %d)" % MAX_BODY in w.all_log_text(), 5),
           "the log: ... naming max_body and its value")
    r = w.raw1(("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                "Content-Length: 99999999999999999999999\r\n\r\n" % auth).encode())
    tap.ok(r.status in (400, 413), "absurd Content-Length: 400 or 413", "got %d" % r.status)

    pad = MAX_BODY - len('{"stdin":""}')
    big = ('{"stdin":"' + "a" * pad + '"}').encode()
    tap.is_(len(big), MAX_BODY, "(a body of exactly max_body)")
    r = w.raw1(build_request("POST", "/v1/skills/count/run", big, token=tok), timeout=60)
    tap.is_(r.status, 200, "a body of exactly max_body is accepted")
    tap.is_((r.json or {}).get("stdout", "").strip(), str(pad), "... and reaches the skill whole")

    # a body of max_body holds a quarter million one-letter args: read, parsed and checked against
    # what execve takes; test-runreq checks the vector is not regrown per arg. Whether execve takes
    # that many depends on the stack rlimit (a quarter of it, at most 6 MiB): the request's 400 under
    # 8 MiB (never a run that ends in sandbox_error), run under more.
    many = ('{"args":[' + ",".join(['"a"'] * ((MAX_BODY - 11) // 4)) + ']}').encode()
    r = w.raw1(build_request("POST", "/v1/skills/echo/run", many, token=tok), timeout=60)
    res = r.json or {}
    tap.ok((r.status, res.get("outcome")) == (200, "ok") or
           (r.status == 400 and re.match(r"args and env: \d+ bytes with their pointers, more than the \d+ execve\(2\) "
                                         r"takes$", res.get("message") or "")),
           "a body of max_body full of args: the skill ran, or 400 for more than execve takes",
           "got: %d %r" % (r.status, {k: res.get(k) for k in ("outcome", "sandbox_error", "message")}))

    te = "POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n" % auth
    r = w.raw1((te + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").encode())
    check_error(tap, r, 501, "Transfer-Encoding: chunked")
    r = w.raw1((te + "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}").encode())
    check_error(tap, r, 400, "Transfer-Encoding together with Content-Length (smuggling)")
    r = w.raw1((te + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}").encode())
    check_error(tap, r, 400, "duplicate Content-Length (same value)")
    r = w.raw1((te + "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}").encode())
    check_error(tap, r, 400, "duplicate Content-Length (different values)")
    for bad in ("abc", "-1", "1 2", "0x10", "+2", ""):
        r = w.raw1((te + "Content-Length: %s\r\n\r\n{}" % bad).encode())
        check_error(tap, r, 400, "Content-Length %r" % bad, framing=False)
    r = w.raw1(("GET /v1/info HTTP/1.1\r\nHost: x\r\n%s%s\r\n" % (auth, auth)).encode())
    check_error(tap, r, 400, "duplicate Authorization")
    r = w.raw1(("GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n").encode())
    check_error(tap, r, 400, "duplicate Host")
    r = w.raw1(("GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n").encode())
    check_error(tap, r, 400, "Expect other than 100-continue")

    # --- Expect: 100-continue: the interim response comes before we send the body
    payload = b'{"stdin":"continued"}'
    with w.connect() as s:
        s.sendall(("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                   "Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % (auth, len(payload))).encode())
        first = recv_until(s, b"\r\n\r\n", timeout=5)
        tap.ok(first.startswith(b"HTTP/1.1 100 Continue\r\n"), "Expect: 100-continue gets 'HTTP/1.1 100 Continue'",
               repr(first[:200]))
        s.sendall(payload)
        rest = recv_all(s)
    rs = parse_responses(rest)
    tap.ok(len(rs) == 1 and rs[0].status == 200, "... then the final response after the body", repr(rest[:300]))
    if rs:
        tap.is_((rs[0].json or {}).get("stdout"), "continued", "... with the body we sent after the 100")
        check_framing(tap, rs[0], "final response after 100 Continue")

    # A client that sends head and body at once may or may not see the 100: the final answer is what counts.
    rs, got = w.raw(("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                     "Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % (auth, len(payload))).encode() + payload)
    finals = [x for x in rs if x.status >= 200]
    tap.ok(len(finals) == 1 and finals[0].status == 200, "Expect with the body already sent: one final 200",
           repr(got[:300]))

    # --- a request refused for its head is answered before its body is sent: no 100 Continue
    # for it (RFC 9110 section 10.1.1), and no wait for a body that never comes (that would be 408)
    bad = "Authorization: Bearer %s\r\n" % ("x" * 43)
    for what, path, hdrs, ctype, want in [
            ("no token", "/v1/skills/echo/run", "", "application/json", 401),
            ("unknown token", "/v1/skills/echo/run", bad, "application/json", 401),
            ("unknown skill", "/v1/skills/nosuch/run", auth, "application/json", 404),
            ("a skill the token may not run", "/v1/skills/private/run", auth, "application/json", 403),
            ("not JSON", "/v1/skills/echo/run", auth, "text/plain", 415),
            ("Abbot, unknown token", "/api/v1/execute", bad, "application/json", 401),
            ("GET route", "/v1/skills", auth, "application/json", 405)]:
        for expect in (True, False):
            label = "%s%s" % (what, ", Expect: 100-continue" if expect else "")
            with w.connect() as s:
                s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: %s\r\n%sContent-Length: 100000\r\n\r\n"
                           % (path, hdrs, ctype, "Expect: 100-continue\r\n" if expect else "")).encode())
                got = recv_all(s, timeout=10)
            tap.is_([x.status for x in parse_responses(got)], [want], "%s: %d before the body" % (label, want))

    # A client refused before its body that sends it anyway, slowly (no Expect): the body is taken
    # in and dropped within the request's deadline, so the client gets its 401, not a reset when
    # the connection goes quiet between two pieces.
    slow = Worker(skills={"echo": sh_skill("cat")}, settings={"read_timeout_ms": 5000}).start()
    piece = b"x" * 20000
    with slow.connect() as s:
        sent = True
        try:
            s.sendall(("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n" % (bad, 3 * len(piece))).encode())
            for _ in range(3):
                time.sleep(0.3)
                s.sendall(piece)
        except OSError:
            sent = False
        got = recv_all(s, timeout=10)
    tap.ok(sent, "a slow body after an early 401: every piece could be sent")
    tap.is_([x.status for x in parse_responses(got)], [401], "... and the 401 arrives whole")
    slow.stop(tap)

    # --- one request per connection: a pipelined second request is ignored
    rs, got = w.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nonexistent HTTP/1.1\r\nHost: x\r\n\r\n")
    tap.is_([x.status for x in rs], [200], "pipelined second request gets no response")
    p = b'{"stdin":"one"}'
    rs, got = w.raw(build_request("POST", "/v1/skills/echo/run", p, token=tok)
                    + build_request("POST", "/v1/skills/echo/run", b'{"stdin":"two"}', token=tok))
    tap.is_([x.status for x in rs], [200], "pipelined request after a POST body: one response")
    tap.is_((rs[0].json or {}).get("stdout") if rs else None, "one", "... for the first request only")

    # --- 405 with Allow, 404
    r = w.raw1(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    check_error(tap, r, 405, "POST /healthz")
    tap.is_(r.header("Allow"), "GET, HEAD", "405 for /healthz says Allow: GET, HEAD")
    r = w.request("GET", "/v1/skills/echo/run")
    check_error(tap, r, 405, "GET /v1/skills/echo/run")
    tap.like(r.header("Allow"), r"\bPOST\b", "405 for .../run says Allow: POST")
    r = w.request("DELETE", "/v1/skills")
    check_error(tap, r, 405, "DELETE /v1/skills")
    tap.like(r.header("Allow"), r"\bGET\b", "405 for /v1/skills says Allow: GET")
    r = w.request("PUT", "/v1/info", b"")
    check_error(tap, r, 405, "PUT /v1/info")
    # --- a method HTTP does not define: 501 on every path, known or not (RFC 9110 §9.1)
    for path in ("/v1/skills", "/nonexistent"):
        r = w.raw1(b"BREW %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
        check_error(tap, r, 501, "BREW %s" % path)
    # --- HEAD: a GET route's status and headers, Content-Length included, and no body (RFC 9110 §9.3.2)
    _, got = w.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    get_head, _, get_body = got.partition(b"\r\n\r\n")
    _, got = w.raw(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    head, sep, rest = got.partition(b"\r\n\r\n")
    tap.ok(head.startswith(b"HTTP/1.1 200 ") and sep and rest == b"", "HEAD /healthz: 200 and nothing after the head",
           got[:300])
    tap.ok(b"Content-Length: %d\r\n" % len(get_body) in head + b"\r\n",
           "HEAD /healthz: the Content-Length of the GET (%d)" % len(get_body), head)
    _, got = w.raw(b"HEAD /v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
    head, sep, rest = got.partition(b"\r\n\r\n")
    tap.ok(head.startswith(b"HTTP/1.1 401 ") and b"WWW-Authenticate: Bearer" in head and sep and rest == b"",
           "HEAD /v1/info without a token: 401, WWW-Authenticate, no body", got[:300])
    _, got = w.raw(b"HEAD /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n\r\n")
    head, sep, rest = got.partition(b"\r\n\r\n")
    tap.ok(head.startswith(b"HTTP/1.1 405 ") and b"\r\nAllow: POST\r\n" in head + b"\r\n" and sep and rest == b"",
           "HEAD on a run route: 405, Allow: POST, no body", got[:300])
    # ... also when the head itself is refused (the method was read all the same) or never completes
    for raw, status, what in [(b"HEAD /healthz HTTP/1.1\r\n\r\n", 400, "without Host"),
                              (b"\r\nHEAD /healthz HTTP/1.1\r\nHost: x\r\nX: \x01\r\n\r\n", 400,
                               "with a control byte in a field, after an empty line"),
                              (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
                               "with Transfer-Encoding"),
                              (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999\r\n\r\n", 413,
                               "with a Content-Length over max_body"),
                              (b"HEAD /healthz HTTP/2.0\r\n\r\n", 505, "refused by its request line"),
                              (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n", 408, "that never ends")]:
        _, got = w.raw(raw)
        head, sep, rest = got.partition(b"\r\n\r\n")
        tap.ok(head.startswith(b"HTTP/1.1 %d " % status) and b"\r\nContent-Length: " in head and sep and rest == b"",
               "HEAD %s: %d with its Content-Length, and no body" % (what, status), got[:300])

    # --- Host: required in HTTP/1.1, well-formed always (RFC 9112 §3.2)
    r = w.raw1(b"GET /healthz HTTP/1.1\r\n\r\n")
    check_error(tap, r, 400, "HTTP/1.1 without Host")
    tap.is_((r.json or {}).get("message"), "Host header required", "... says Host is required")
    r = w.raw1(b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n")
    check_error(tap, r, 400, "malformed Host")
    r = w.raw1(b"GET /healthz HTTP/1.0\r\n\r\n")
    tap.is_(r.status, 200, "HTTP/1.0 without Host: 200")

    r = w.get("/nonexistent")
    check_error(tap, r, 404, "unknown path")
    r = w.get("/v1/skills/echo/run/extra")
    check_error(tap, r, 404, "path under a run route")
    r = w.get("/")
    check_error(tap, r, 404, "GET /")

    # --- the read deadline: 408 for a client that stops half-way
    for what, data in [("half a head", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"),
                       ("head but half the body",
                        ("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                         "Content-Length: 10\r\n\r\n{\"st" % auth).encode())]:
        with w.connect() as s:
            t0 = time.monotonic()
            s.sendall(data)
            got = recv_all(s, timeout=10)
            dt = time.monotonic() - t0
        rs = parse_responses(got) if got else []
        tap.ok(len(rs) == 1 and rs[0].status == 408, "slow client (%s): 408" % what, repr(got[:300]))
        if rs:
            check_error(tap, rs[0], 408, "slow client (%s)" % what)
        # not before the deadline; the upper bound only tells a dropped client from recv_all()'s 10 s
        tap.ok(0.4 <= dt < 8.0, "... after read_timeout_ms=%d (%.2fs)" % (READ_TIMEOUT_MS, dt))

    # A client that closes its side before the request is whole (nc -N, a crashed proxy) is told
    # so: 400, not the 408 of read_timeout_ms later, and nothing at all if it said nothing. One
    # that resets the connection instead (SO_LINGER 0) can be told nothing, but the request, an
    # authenticated run among them, still leaves its record.
    cut_short = [("half a head", b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
                  "the request ended before its head was complete",
                  "the connection was reset before the head was complete"),
                 ("half the body", ("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json"
                                    "\r\nContent-Length: 10\r\n\r\n{\"st" % auth).encode(),
                  "the request body ended before its Content-Length",
                  "the connection was reset before the body was complete")]
    for what, data, want, _ in cut_short:
        r = w.raw1(data, shut_wr=True)
        check_error(tap, r, 400, "half-closed after %s" % what)
        tap.is_((r.json or {}).get("message"), want, "... says the request ended early (no 408 after the deadline)")
        tap.ok(wait_for(lambda: want in w.all_log_text(), 5), "... and logs it in the request's record")
    for what, data, _, want in cut_short:
        with w.connect() as s:
            s.sendall(data)
            time.sleep(0.2)  # the worker has read it all and waits for the rest
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        recs = wait_for(lambda: [r for r in w.records() if r.get("error") == want], 5)
        tap.is_([str(r.get("status")) for r in recs], ["400"], "reset after %s: logged, as a 400" % what)
    # ... also when the reset is there before the worker writes its 100 Continue, whose write then
    # fails: an authenticated run request still leaves its record
    body_reset = cut_short[1][3]
    with w.connect() as s:
        s.sendall(("POST /v1/skills/echo/run HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                   "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n" % auth).encode())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    recs = wait_for(lambda: [r for r in w.records() if r.get("error") == body_reset][1:], 5)
    tap.is_([str(r.get("status")) for r in recs], ["400"], "reset before the 100 Continue: logged, as a 400")
    _, got = w.raw(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n", shut_wr=True)
    head, sep, rest = got.partition(b"\r\n\r\n")
    tap.ok(head.startswith(b"HTTP/1.1 400 ") and sep and rest == b"", "HEAD half-closed half-way: 400, no body",
           got[:300])
    _, got = w.raw(b"", shut_wr=True)
    tap.is_(got, b"", "a client that half-closes without a byte is asked nothing and told nothing")
    # Empty lines before a request line are ignored (RFC 9112 §2.2): a client that sent only those
    # (`echo | nc -N`, a TCP probe) asked nothing either, whether it then closes or goes quiet; a
    # CR last is the start of one more empty line, not of a request line
    wait_for(lambda: not w.live_workers(), 5)
    n_records = len(w.records())
    for sent in (b"\r\n\n", b"\r\n\r", b"\r"):
        for what, shut in [("closes", True), ("waits past read_timeout_ms", False)]:
            _, got = w.raw(sent, shut_wr=shut)
            tap.is_(got, b"", "a client that sends only %r and %s is told nothing" % (sent, what))
    wait_for(lambda: not w.live_workers(), 5)
    tap.is_(len(w.records()) - n_records, 0, "... and no record is logged for any of them")

    # A trickling client cannot extend the deadline: one byte every 100 ms, 14 s for all of it.
    with w.connect() as s:
        data = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100
        got, sent = b"", 0
        try:
            for c in data:
                s.sendall(bytes([c]))
                sent += 1
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            got = recv_all(s, timeout=5)
        except OSError:
            pass
    tap.ok(got.startswith(b"HTTP/1.1 408") or got.startswith(b"HTTP/1.0 408"),
           "trickling client gets 408 (deadline is for the whole request)", repr(got[:200]))
    tap.ok(sent < len(data), "... and is cut off before it has sent the whole head (%d of %d bytes)"
           % (sent, len(data)))

    with w.connect() as s:
        t0 = time.monotonic()
        got = recv_all(s, timeout=10)
        dt = time.monotonic() - t0
    tap.ok(dt < 8.0, "a client that sends nothing is dropped, not kept until recv_all() gives up (%.2fs)" % dt)
    # it never spoke (a port probe, say): nothing to answer, as nothing was asked
    tap.is_(got, b"", "... with nothing, not a 408")

    # A client that stops reading cannot hold the worker either: the answer must be taken within
    # read_timeout_ms, as the request had to come. Far more than the socket buffers hold.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", w.port))
    s.sendall(build_request("POST", "/v1/skills/big/run", {}, token=tok))
    gave_up = "the client did not take the answer within read_timeout_ms (%d ms)" % READ_TIMEOUT_MS
    tap.ok(wait_for(lambda: gave_up in w.all_log_text(), 15),
           "a client that does not read the answer: the worker gives up and says so in the request's record")
    dirs, procs = w.wait_no_leftovers(5.0)
    tap.is_(procs, [], "... and exits while the client still holds the connection")
    s.close()

    # A client that connects and closes at once costs nothing and leaves nothing.
    s = socket.create_connection(("127.0.0.1", w.port))
    s.close()

    w.stop(tap)

    # A head that comes a byte per read costs the worker no more to parse than one read whole:
    # each parse goes on where the one before left off. Parsed afresh on each read, 60 000 bytes
    # so sent took the worker 1.2 s of user time (a quadratic scan), rather than 0.05 s. Each
    # byte is sent once the worker has read the one before (nothing left in its socket's queue).
    wb = Worker(skills={}, settings={"max_header": "65536", "read_timeout_ms": 60000})
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 60000 + b"\r\n\r\n"
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        c = socket.create_connection(ls.getsockname()[:2], timeout=60)
        srv, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    p = subprocess.Popen([wb.bin, "serve"], stdin=srv, stdout=srv, stderr=subprocess.DEVNULL, env=wb.env())
    unread = bytearray(4)
    for i in range(len(head)):
        c.sendall(head[i:i + 1])
        while True:
            fcntl.ioctl(srv.fileno(), termios.FIONREAD, unread)
            if struct.unpack("i", unread)[0] == 0 or p.poll() is not None:
                break
    srv.close()
    got = recv_all(c, timeout=30)
    c.close()
    _, status, usage = os.wait4(p.pid, 0)
    tap.is_((got[:13], status), (b"HTTP/1.1 200 ", 0), "a 60 000-byte head read a byte at a time: 200",
            got[:300].decode(errors="replace"))
    tap.ok(usage.ru_utime < 0.5, "... its parse costs the worker little: %.2f s of user time, not a scan of "
           "the whole head on each read" % usage.ru_utime)
    wb.stop(None, check=False)


main(body)
