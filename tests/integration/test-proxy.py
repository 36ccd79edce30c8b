#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped TLS-terminating proxy configs (contrib/proxy/) in front of the real worker:
# nginx and HAProxy, each run from the shipped file with only its ports and certificate
# paths replaced. Through TLS: the routes, skillrun's own errors passed unchanged, the
# proxy's own refusals (body too large, too many runs per client, skillrun down) in
# skillrun's JSON shape, and a client hang-up still killing the run.
# Skips a proxy that is not installed (contrib/install-deps.sh --tests installs both).
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (TOP_SRCDIR, Worker, cmdline_of, find_program, free_port, main, processes_with,  # noqa: E402
                           sh_skill, skip_all, substitute, wait_for)

PROXY_DIR = os.path.join(TOP_SRCDIR, "contrib", "proxy")
PER_CLIENT = 8  # the configs' per-client cap, as the socket's MaxConnectionsPerSource=


def make_cert(d):
    crt, key, pem = (os.path.join(d, n) for n in ("cert.pem", "key.pem", "both.pem"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", crt],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    with open(pem, "w") as out:
        for p in (crt, key):
            with open(p) as f:
                out.write(f.read())
    return crt, key, pem


class Proxy:
    def __init__(self, name, args, port, log, check_args):
        self.name, self.port, self.log = name, port, log
        # (major, minor) from "nginx version: nginx/1.26.3" or "HAProxy version 3.0.11-1 ..."
        v = subprocess.run([args[0], "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        m = re.search(r"version:? (?:nginx/)?(\d+)\.(\d+)", v.stdout.decode(errors="replace"))
        self.version = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        # the proxy's own configuration check, as an operator runs it before a reload
        p = subprocess.run(check_args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.check = (p.returncode, [ln for ln in p.stdout.decode(errors="replace").splitlines()
                                     if "warn" in ln.lower() or "emerg" in ln.lower() or "alert" in ln.lower()])
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self):
        def up():
            if self.proc.poll() is not None:
                return True
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(up, 15)
        if self.proc.poll() is not None:
            with open(self.log, errors="replace") as f:
                raise RuntimeError("%s exited %d:\n%s" % (self.name, self.proc.returncode, f.read()[-3000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_nginx(binary, d, upstream, crt, key):
    port = free_port()
    with open(os.path.join(PROXY_DIR, "nginx-skillrun.conf")) as f:
        site = substitute(f.read(), [
            ("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % port),
            ("listen [::]:443 ssl;", ""),
            ("/etc/ssl/certs/skillrun.pem", crt),
            ("/etc/ssl/private/skillrun.key", key),
            ("server 127.0.0.1:8080 ", "server 127.0.0.1:%d " % upstream),
        ])
    with open(os.path.join(d, "site.conf"), "w") as f:
        f.write(site)
    # the host's nginx.conf is not ours to use: a minimal one, everything in d
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write("daemon off;\nmaster_process off;\npid %(d)s/nginx.pid;\nerror_log %(d)s/error.log info;\n"
                "events { worker_connections 64; }\n"
                "http {\n access_log %(d)s/access.log;\n client_body_temp_path %(d)s/body;\n"
                " proxy_temp_path %(d)s/proxy;\n fastcgi_temp_path %(d)s/fastcgi;\n uwsgi_temp_path %(d)s/uwsgi;\n"
                " scgi_temp_path %(d)s/scgi;\n include %(d)s/site.conf;\n}\n" % {"d": d})
    return Proxy("nginx", [binary, "-p", d, "-c", conf], port, os.path.join(d, "nginx.out"), [binary, "-t", "-p", d, "-c", conf])


def start_haproxy(binary, d, upstream, pem):
    port = free_port()
    with open(os.path.join(PROXY_DIR, "haproxy-skillrun.cfg")) as f:
        cfg = substitute(f.read(), [
            ("bind :443 ssl crt /etc/haproxy/certs/skillrun.pem", "bind 127.0.0.1:%d ssl crt %s" % (port, pem)),
            ("server skillrun 127.0.0.1:8080 ", "server skillrun 127.0.0.1:%d " % upstream),
        ])
    conf = os.path.join(d, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(cfg)
    return Proxy("haproxy", [binary, "-db", "-f", conf], port, os.path.join(d, "haproxy.out"), [binary, "-c", "-f", conf])


class Client:
    def __init__(self, crt):
        self.ctx = ssl.create_default_context(cafile=crt)
        self.ctx.set_alpn_protocols(["http/1.1"])

    def connect(self, port):
        raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        return self.ctx.wrap_socket(raw, server_hostname="127.0.0.1")

    def send(self, port, method, path, body=b"", token=None, extra=None, body_len=None):
        s = self.connect(port)
        head = "%s %s HTTP/1.1\r\nHost: skillrun.test\r\n" % (method, path)
        if token:
            head += "Authorization: Bearer %s\r\n" % token
        if method == "POST":
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % (len(body) if body_len is None
                                                                                 else body_len)
        head += (extra or "") + "\r\n"
        try:
            s.sendall(head.encode() + body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # refused before the body was all sent: the answer may still be there
        return s

    @staticmethod
    def response(s):
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                lines = head.decode(errors="replace").split("\r\n")
                hdrs = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
                if "content-length" in hdrs and len(rest) >= int(hdrs["content-length"]):
                    break
        s.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else 0
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        try:
            j = json.loads(rest)
        except ValueError:
            j = None
        return status, hdrs, j

    def request(self, port, *a, **kw):
        return self.response(self.send(port, *a, **kw))


def sleepers(w):
    return [p for p in processes_with(w.marker) if cmdline_of(p).startswith("sleep ")]


def check_proxy(tap, p, w, cl):
    n = p.name
    status, hdrs, j = cl.request(p.port, "GET", "/healthz")
    tap.is_((status, (j or {}).get("status")), (200, "ok"), "%s: GET /healthz through TLS → 200, status ok" % n)

    status, hdrs, j = cl.request(p.port, "POST", "/v1/skills/echo/run", body=b'{"stdin": "hello over TLS"}',
                                 token=w.token)
    j = j or {}
    tap.is_((status, j.get("outcome"), j.get("stdout")), (200, "ok", "hello over TLS"),
            "%s: a run through TLS → 200, outcome ok, its stdout" % n)

    status, hdrs, j = cl.request(p.port, "GET", "/v1/info")
    tap.is_((status, hdrs.get("www-authenticate", "").split(" ")[0], (j or {}).get("error")),
            (401, "Bearer", "unauthorized"),
            "%s: skillrun's own 401 passes unchanged (WWW-Authenticate, JSON)" % n)

    # skillrun's max_body is 1M: the proxy refuses a bigger body before skillrun sees it
    s = cl.send(p.port, "POST", "/v1/skills/echo/run", body=b"{" + b" " * 1023, token=w.token, body_len=2 << 20)
    status, hdrs, j = cl.response(s)
    tap.is_((status, hdrs.get("content-type"), (j or {}).get("error")),
            (413, "application/json", "payload_too_large"), "%s: a 2 MiB body → 413 in skillrun's JSON shape" % n)

    # A slow client holds the proxy, not a worker: nothing reaches skillrun before the body is whole
    body = b'{"stdin": "' + b"s" * 200 + b'"}'
    before = w.read_log().count("Connection from")
    s = cl.send(p.port, "POST", "/v1/skills/echo/run", body=body[:100], token=w.token, body_len=len(body))
    time.sleep(1)
    tap.is_(w.read_log().count("Connection from"), before, "%s: half a body after 1 s: no worker started yet" % n)
    s.sendall(body[100:])
    status, hdrs, j = cl.response(s)
    tap.is_((status, (j or {}).get("stdout")), (200, "s" * 200), "%s: the rest of the body → the run" % n)

    # A client that hangs up: nginx closes its connection to skillrun, which kills the run at
    # once (its timeout is 20 s); so does HAProxy 3.0 (Debian 13) with abortonclose. HAProxy 2.6
    # (Debian 12) keeps that connection until skillrun answers (abortonclose covers only the
    # queue and the connect), so the run lasts until its own timeout (8 s here) and the answer
    # is dropped: what contrib/proxy/haproxy-skillrun.cfg says.
    passes_hangup = n == "nginx" or p.version >= (3, 0)
    skill = "sleep" if passes_hangup else "sleep-short"
    s = cl.send(p.port, "POST", "/v1/skills/%s/run" % skill, body=b"{}", token=w.token)
    started = wait_for(lambda: sleepers(w), 10)
    tap.ok(started, "%s: the sleeping skill runs" % n)
    s.close()
    if passes_hangup:
        tap.is_(wait_for(lambda: not sleepers(w), 10) and sleepers(w), [],
                "%s: the client hangs up → the run is killed" % n)
    else:
        time.sleep(1)
        tap.is_(len(sleepers(w)), 1, "%s: the client hangs up → the run goes on (as documented)" % n)
        tap.is_(wait_for(lambda: not sleepers(w), 25) and sleepers(w), [], "%s: …until its timeout" % n)

    # one client, more runs at once than the per-client cap: the one over it is refused
    held = [cl.send(p.port, "POST", "/v1/skills/%s/run" % skill, body=b"{}", token=w.token)
            for _ in range(PER_CLIENT)]
    wait_for(lambda: len(sleepers(w)) >= PER_CLIENT, 15)
    tap.is_(len(sleepers(w)), PER_CLIENT, "%s: %d runs at once from one client" % (n, PER_CLIENT))
    status, hdrs, j = cl.request(p.port, "POST", "/v1/skills/echo/run", body=b'{"stdin": "x"}', token=w.token)
    tap.is_((status, hdrs.get("content-type"), (j or {}).get("error")),
            (429, "application/json", "too_many_requests"), "%s: run %d from that client → 429, JSON" % (n, PER_CLIENT + 1))
    for s in held:
        s.close()
    tap.is_(wait_for(lambda: not sleepers(w), 30) and sleepers(w), [], "%s: all %d runs end" % (n, PER_CLIENT))


def body(tap):
    if os.geteuid() != 0:
        # both proxies would run fine as a user, but the run user switch of the skills
        # (and the sleepers' /proc environment) are root's
        skip_all("needs root (as the other run tests)")
    if not shutil.which("openssl"):
        skip_all("openssl not installed (contrib/install-deps.sh --tests)")
    nginx, haproxy = find_program("nginx"), find_program("haproxy")
    if not nginx and not haproxy:
        skip_all("neither nginx nor haproxy installed (contrib/install-deps.sh --tests)")

    w = Worker(skills={"echo": sh_skill("cat", input="stdin"),
                       "sleep": sh_skill("exec sleep 30", timeout_ms=20000),
                       "sleep-short": sh_skill("exec sleep 30", timeout_ms=8000)}).start()
    d = tempfile.mkdtemp(prefix="skillrun-proxy-")
    proxies = []
    try:
        crt, key, pem = make_cert(d)
        cl = Client(crt)
        for name, binary in (("nginx", nginx), ("haproxy", haproxy)):
            if not binary:
                tap.skip("%s not installed (contrib/install-deps.sh --tests)" % name)
                continue
            pd = os.path.join(d, name)
            os.mkdir(pd)
            p = start_nginx(binary, pd, w.port, crt, key) if name == "nginx" else start_haproxy(binary, pd, w.port, pem)
            proxies.append(p)
            tap.is_(p.check, (0, []), "%s: the shipped config passes its check without a warning" % name)
            p.wait_ready()
            check_proxy(tap, p, w, cl)

        # skillrun gone: the proxy answers for it, in the same JSON shape
        w.stop(tap)
        for p in proxies:
            want = (502, "bad_gateway") if p.name == "nginx" else (503, "service_unavailable")
            status, hdrs, j = cl.request(p.port, "GET", "/healthz")
            tap.is_((status, hdrs.get("content-type"), (j or {}).get("error")), (want[0], "application/json", want[1]),
                    "%s: skillrun not listening → %d, JSON" % (p.name, want[0]))
    finally:
        for p in proxies:
            p.stop()
        shutil.rmtree(d, ignore_errors=True)


main(body)
