#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Abbot's runner protocol through the real worker: systemd-socket-activate
--accept, auth, the sandbox and the abbot-python shim, with requests shaped
exactly like Abbot's (the SkillMessage fixture)."""

import glob
import json
import os
import shutil
import socket
import stat
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import abbottest as a  # noqa: E402
import skillrun_test as st  # noqa: E402

TIMEOUT_MS = 3000


def abbot_manifest(**kw):
    """The shipped manifest (contrib/abbot/abbot-python.json.in), pointed at the shim in
    the source tree, which the sandbox must then be allowed to read."""
    with open(os.path.join(a.TOP_SRCDIR, "contrib", "abbot", "abbot-python.json.in")) as f:
        m = json.load(f)
    m["command"] = [st.PY, "-I", a.SHIM]
    m["read_paths"] = [os.path.dirname(a.SHIM)]
    m["timeout_ms"] = TIMEOUT_MS
    m.update(kw)
    return m


class AbbotWorker(st.Worker):
    """A worker whose process also gets the ABBOT_* variables an operator would set in
    the unit (systemd-socket-activate passes only what it is told to)."""

    def __init__(self, abbot_env=None, **kw):
        super().__init__(**kw)
        # Skills run as an unprivileged user when the tests run as root: they must be able
        # to reach the work dir below the test's private root.
        os.chmod(self.root, 0o755)
        os.chmod(self.work_dir, 0o755)
        if abbot_env:
            wrapper = os.path.join(self.root, "skillrun-with-abbot-env")
            with open(wrapper, "w") as f:
                f.write("#!/bin/sh\n")
                for k, v in abbot_env.items():
                    f.write("%s='%s'; export %s\n" % (k, v, k))
                f.write("exec '%s' \"$@\"\n" % self.bin)
            os.chmod(wrapper, stat.S_IRWXU)
            self.bin = wrapper

    def execute(self, msg, token="ci", header="Authorization", api_token="per-call-api-token",
                content_type="application/json", body=None):
        headers = []
        tok = self.tokens.get(token, token) if token is not None else None
        if tok is not None:
            headers.append((header, "Bearer " + tok if header == "Authorization" else tok))
        if api_token is not None:
            headers.append(("X-Abbot-SkillApiToken", api_token))
        data = body if body is not None else json.dumps(msg).encode()
        return self.raw1(st.build_request("POST", "/api/v1/execute", data, headers, None,
                                          content_type=content_type), timeout=30)


def check_abbot(tap, r, want, what):
    """200, Content-Type exactly Abbot's media type, framing, and the exact body in Abbot's key order."""
    ok = tap.is_(r.status, 200, "%s: 200" % what)
    ok &= tap.is_(r.header("Content-Type"), a.MEDIA_TYPE, "%s: Content-Type exactly %s" % (what, a.MEDIA_TYPE))
    ok &= st.check_framing(tap, r, what, content_type=None)
    try:
        got = a.parse_ordered(r.body.decode())
    except (ValueError, UnicodeDecodeError):
        got = r.body
    ok &= tap.is_(got, a.pairs(want), "%s: exact body" % what)
    return ok


def body(tap):
    st.require_python()
    if not os.path.exists(a.SHIM):
        raise st.Skip("shim not found at " + a.SHIM)

    runner_token = st.new_token()
    w = AbbotWorker(skills={"abbot-python": abbot_manifest(tokens=["ci", "abbot"])},
                    abbot_env={"ABBOT_SKILL_RUNNER_TOKEN": runner_token})
    w.start()

    # --- status, no auth ---
    r = w.request("GET", "/api/v1/status", token=None)
    tap.is_(r.status, 200, "GET /api/v1/status without a token: 200")
    st.check_framing(tap, r, "status")
    j = a.parse_ordered(r.body.decode()) if r.status == 200 else []
    tap.is_([k for k, _ in j], ["status", "version", "skill"], "status keys")
    tap.is_(dict(j).get("status"), "ok", "status is ok")
    tap.is_(dict(j).get("skill"), "abbot-python", "status names the Abbot skill")

    # --- every shared case, as Abbot sends it ---
    for name, msg, want in a.cases():
        check_abbot(tap, w.execute(msg), want, name)

    # --- auth ---
    reply = a.message('bot.reply(f"hi {bot.from_user.user_name}")')
    check_abbot(tap, w.execute(reply, header="X-Functions-Key"), a.result(["hi haacked"]),
                "auth by X-Functions-Key alone")
    check_abbot(tap, w.execute(reply, token=runner_token, header="X-Functions-Key"), a.result(["hi haacked"]),
                "ABBOT_SKILL_RUNNER_TOKEN is accepted (as token 'abbot')")
    check_abbot(tap, w.execute(reply, token=runner_token), a.result(["hi haacked"]),
                "ABBOT_SKILL_RUNNER_TOKEN as a Bearer token")
    # Abbot sends the token in both headers; when they differ the bearer token is the one checked
    # (skillrun(8)), as in Abbot's own runner
    both = [("Authorization", "Bearer " + runner_token), ("X-Functions-Key", runner_token)]
    r = w.raw1(st.build_request("POST", "/api/v1/execute", json.dumps(reply).encode(), both, None,
                                content_type="application/json"), timeout=30)
    check_abbot(tap, r, a.result(["hi haacked"]), "both headers, as Abbot sends them")
    for name, bearer, key, status in (("a wrong X-Functions-Key beside a right bearer token", runner_token,
                                       st.new_token(), 200),
                                      ("a right X-Functions-Key beside a wrong bearer token", st.new_token(),
                                       runner_token, 401)):
        r = w.raw1(st.build_request("POST", "/api/v1/execute", json.dumps(reply).encode(),
                                    [("Authorization", "Bearer " + bearer), ("X-Functions-Key", key)], None,
                                    content_type="application/json"), timeout=30)
        tap.is_(r.status, status, "%s: %d" % (name, status))
    r = w.execute(reply, token=st.new_token())
    st.check_error(tap, r, 401, "wrong token")
    tap.ok((r.header("WWW-Authenticate") or "").startswith("Bearer"), "wrong token: WWW-Authenticate: Bearer")
    st.check_error(tap, w.execute(reply, token=st.new_token(), header="X-Functions-Key"), 401,
                   "wrong X-Functions-Key")
    st.check_error(tap, w.execute(reply, token=None), 401, "no token")
    # an empty X-Functions-Key is no token at all (RFC 6750 §3.1: no error code then), not a wrong one
    r = w.raw1(st.build_request("POST", "/api/v1/execute", json.dumps(reply).encode(), [("X-Functions-Key", "")],
                                None, content_type="application/json"), timeout=30)
    tap.is_((r.status, r.header("WWW-Authenticate")), (401, 'Bearer realm="skillrun"'),
            "an empty X-Functions-Key: 401 as for no token, no invalid_token")
    st.check_error(tap, w.execute(reply, token="other"), 403, "a token the Abbot skill does not allow")

    # --- malformed requests ---
    r = w.execute(None, body=b"{")
    st.check_error(tap, r, 400, "truncated SkillMessage")
    tap.is_((r.json or {}).get("message"), "body is not valid JSON: unexpected end of data", "400 says why")
    # a SkillMessage of many lines says where it breaks, as a run request does
    r = w.execute(None, body=b'{\n  "SkillInfo": {},\n  "RunnerInfo": {"Code": "x",}\n}\n')
    st.check_error(tap, r, 400, "a trailing comma in a SkillMessage")
    tap.is_((r.json or {}).get("message"), "body is not valid JSON: a trailing comma (line 3, column 30)",
            "400 gives line and column")
    r = w.execute(None, body=json.dumps({"SkillInfo": {}, "RunnerInfo": {}}).encode())
    st.check_error(tap, r, 400, "SkillMessage without code")
    tap.is_((r.json or {}).get("message"), "RunnerInfo.Code: missing", "400 names the field")
    st.check_error(tap, w.execute(reply, content_type="text/plain"), 415, "a SkillMessage that is not JSON")

    # --- limits and the sandbox ---
    check_abbot(tap, w.execute(a.message('bot.reply("spinning")\nwhile True:\n    pass\n')),
                a.result(success=False, errors=[a.error(
                    "Timeout", "The skill did not finish within its time limit of %d ms and was stopped" % TIMEOUT_MS)]),
                "an infinite loop times out")
    check_abbot(tap, w.execute(a.message('x = 1\nsecret = open("/etc/shadow").read()\nbot.reply(secret)\n')),
                a.result(success=False, errors=[a.error(
                    "PermissionError", "[Errno 13] Permission denied: '/etc/shadow'", 2)]),
                "reading /etc/shadow is denied")

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        code = ('import socket\n'
                's = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n'
                's.connect(("127.0.0.1", %d))\n'
                'bot.reply("connected")\n' % port)
        # seccomp refuses the INET socket itself (EPERM, line 2) before landlock could refuse the
        # connect (EACCES, line 3).
        check_abbot(tap, w.execute(a.message(code)),
                    a.result(success=False, errors=[a.error("PermissionError", "[Errno 1] Operation not permitted", 2)]),
                    "connecting a socket is denied (manifest network: false)")
        try:
            conn, _ = listener.accept()
            conn.close()
            tap.ok(False, "the listener saw no connection from the skill")
        except socket.timeout:
            tap.ok(True, "the listener saw no connection from the skill")
    finally:
        listener.close()

    check_abbot(tap, w.execute(a.message('import os\nbot.reply(str("ABBOT_SKILL_API_TOKEN" in os.environ))\n'
                                         'bot.reply(str(bot.api_available))\n')),
                a.result(["False", "False"]), "network off: the per-call API token never reaches the skill")
    w.stop(tap)

    # --- callbacks: "network": true plus abbot_api_base_url hand the shim Abbot's API ---
    api = a.FakeAbbotApi({
        ("POST", "/api/skills/42/reply"): (200, {"success": True}),
        ("GET", "/api/skills/42/brain?key=fave"): (200, {"value": "Dynamite"}),
    })
    try:
        w = AbbotWorker(skills={"abbot-python": abbot_manifest(network=True)},
                        settings={"abbot_api_base_url": api.base_url})
        w.start()
        code = ('import os\n'
                'bot.reply("posted")\n'
                'bot.outputs["fave"] = bot.brain.get("fave")\n'
                'bot.outputs["token_in_env"] = "ABBOT_SKILL_API_TOKEN" in os.environ\n')
        if st.libc_socketcall():
            # Debian's i386 glibc: permissive refuses socket(2) through socketcall(2), network or not
            check_abbot(tap, w.execute(a.message(code), api_token="per-call-api-token"),
                        a.result([], success=False, errors=[a.error(
                            "AbbotApiError", "bot.reply failed: cannot reach Abbot's API: "
                            "<urlopen error [Errno 1] Operation not permitted>", 2)]),
                        "network allowed, socket(2) through socketcall(2): EPERM, said as Abbot's API error")
            tap.is_(api.requests, [], "... and nothing reached Abbot's API")
        else:
            check_abbot(tap, w.execute(a.message(code), api_token="per-call-api-token"),
                        a.result([], outputs={"fave": "Dynamite", "token_in_env": False}),
                        "network allowed: the reply is POSTed to Abbot, bot.brain answers")
            tap.is_([(r["method"], r["path"], r["headers"].get("x-abbot-skillapitoken")) for r in api.requests],
                    [("POST", "/api/skills/42/reply", "per-call-api-token"),
                     ("GET", "/api/skills/42/brain?key=fave", "per-call-api-token")],
                    "the skill called Abbot's API with the per-call token from X-Abbot-SkillApiToken")
        api.requests.clear()
        check_abbot(tap, w.execute(a.message('bot.reply("inline")', PassiveReplies=True)), a.result(["inline"]),
                    "network allowed, PassiveReplies: the reply comes back inline")
        tap.is_(api.requests, [], "... and nothing was POSTed")
        w.stop(tap)
    finally:
        api.close()

    # --- ABBOT_SANDBOX_POLICY ---
    w = AbbotWorker(skills={"abbot-python": abbot_manifest()}, abbot_env={"ABBOT_SANDBOX_POLICY": "restrictive"})
    w.start()
    check_abbot(tap, w.execute(reply), a.result(["hi haacked"]), "ABBOT_SANDBOX_POLICY=restrictive runs skills")
    check_abbot(tap, w.execute(a.message('x = 1\nsecret = open("/etc/shadow").read()\n')),
                a.result(success=False, errors=[a.error(
                    "PermissionError", "[Errno 13] Permission denied: '/etc/shadow'", 2)]),
                "restrictive: /etc/shadow denied")
    w.stop(tap)

    w = AbbotWorker(skills={"abbot-python": abbot_manifest()}, abbot_env={"ABBOT_SANDBOX_POLICY": "sandboxed"})
    w.start()
    st.check_error(tap, w.execute(reply), 500, "an unknown ABBOT_SANDBOX_POLICY is a server error")
    w.stop(tap)

    # --- a kernel without landlock (strace answers landlock_create_ruleset(2) with ENOSYS): the
    # permissive Abbot skill is refused as every route refuses it, in Abbot's shape
    w = AbbotWorker(skills={"abbot-python": abbot_manifest()}, inetd=True)
    w.under_strace("landlock_create_ruleset", "error=ENOSYS").start()
    r = w.execute(reply)
    tap.is_((r.status, r.header("Content-Type")), (503, a.MEDIA_TYPE),
            "no landlock, sandbox strict: 503 with Abbot's media type")
    st.check_framing(tap, r, "no landlock", content_type=None)
    try:
        got = a.parse_ordered(r.body.decode())
    except (ValueError, UnicodeDecodeError):
        got = r.body
    tap.is_(got, a.pairs(a.result(success=False, errors=[a.error(
        "SandboxUnavailable", "sandbox: the 'permissive' policy needs landlock, which this kernel lacks")])),
        "no landlock: Abbot's error body, SandboxUnavailable, says why")
    w.stop(tap)

    # --- the shipped manifest, copied to the admin's directory as the README's migration says
    # (to add "tokens" or "network"): its own directory is no longer next to it, and under
    # restrictive the shim must still be readable
    w = AbbotWorker(abbot_env={"ABBOT_SANDBOX_POLICY": "restrictive"})
    datadir = os.path.join(w.root, "share")
    shim_dir = os.path.join(datadir, "skillrun", "skills", "abbot-python")
    os.makedirs(shim_dir)
    shutil.copy(a.SHIM, shim_dir)
    for d in (datadir, os.path.dirname(shim_dir), shim_dir):
        os.chmod(d, 0o755)
    os.chmod(os.path.join(shim_dir, os.path.basename(a.SHIM)), 0o755)
    with open(os.path.join(a.TOP_SRCDIR, "contrib", "abbot", "abbot-python.json.in")) as f:
        shipped = json.loads(f.read().replace("@datadir@", datadir))
    shipped["tokens"] = ["ci", "abbot"]
    w.add_skill("abbot-python", shipped)
    w.start()
    check_abbot(tap, w.execute(reply), a.result(["hi haacked"]),
                "the shipped manifest copied elsewhere still runs its shim under restrictive")
    w.stop(tap)

    # --- abbot_skill naming no skill: the operator's mistake, not a wrong URL of the client's
    w = AbbotWorker(skills={"other": abbot_manifest()}, settings={"abbot_skill": "abbot-python"})
    w.start()
    st.check_error(tap, w.execute(reply), 500, "abbot_skill naming no skill: 500, not 404")
    w.stop(tap)

    # --- a manifest that cannot run Abbot code is the server's fault, known before the body:
    # no 100 Continue, no wait for the body (that would end in 408 and hide the fault)
    w = AbbotWorker(skills={"abbot-python": abbot_manifest(accepts_code=False)}, settings={"read_timeout_ms": 2000})
    w.start()
    with w.connect() as s:
        s.sendall(("POST /api/v1/execute HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n"
                   % w.tokens["ci"]).encode())
        got = st.recv_all(s, timeout=10)
    tap.is_([x.status for x in st.parse_responses(got)], [500],
            "a manifest without accepts_code: 500 before the body, without 100 Continue")
    log = w.all_log_text()
    tap.is_(log.count("cannot run Abbot code"), 1, "... the log says why, once", log[-2000:])
    tap.contains(log, "skill 'abbot-python' cannot run Abbot code: its manifest lacks \"accepts_code\": true",
                 "... naming the skill and the key")
    w.stop(tap)

    runner_token_wiped(tap)


def runner_token_wiped(tap):
    """Issue 2: the token is wiped from memory before any skill starts, ABBOT_SKILL_RUNNER_TOKEN
    in the worker's environment too, and both headers Abbot sends (the X-Functions-Key ignored beside a
    bearer token). While the skill runs (it waits for a file in its work dir),
    the worker's memory holds no token; its marker, also in its environment, is the control."""
    if st.memory_readable():
        tap.skip("runner token wiped: %s" % st.memory_readable())
        return
    runner = st.new_token()
    w = AbbotWorker(skills={"abbot-python": abbot_manifest(tokens=["ci", "abbot"], timeout_ms=20000)},
                    abbot_env={"ABBOT_SKILL_RUNNER_TOKEN": runner})
    w.start()
    code = ('import os, time\nopen("started", "w").close()\nfor _ in range(400):\n'
            '    if os.path.exists("go"):\n        break\n    time.sleep(0.05)\nbot.reply("done")\n')
    s = w.connect()
    s.sendall(st.build_request("POST", "/api/v1/execute", json.dumps(a.message(code)).encode(),
                               [("Authorization", "Bearer " + w.tokens["ci"]), ("X-Functions-Key", w.tokens["other"])],
                               None, content_type="application/json"))
    started = st.wait_for(lambda: glob.glob(os.path.join(w.work_dir, "skillrun-*", "started")), timeout=10)
    tap.ok(started, "runner token wiped: the skill started")
    real_bin = st.skillrun_bin()
    skill = [q for q in st.processes_with(w.marker) if st.cmdline_of(st.ppid_of(q) or 0).split(" ")[0] == real_bin]
    worker = st.ppid_of(skill[0]) if skill else None
    needles = {w.marker.encode(): "marker"}
    # ASan's runtime holds its own copy of the environment it started with: skillrun wipes the
    # variable in place, not that copy
    if not st.sanitized_binary(st.skillrun_bin()):
        needles[runner[-24:].encode()] = "runner"
    needles.update({t[-24:].encode(): n for n, t in w.tokens.items()})
    found = sorted(needles[n] for n in st.memory_holds(worker, needles)) if worker else None
    tap.is_(found, ["marker"], "runner token wiped: the worker's memory holds no token while the skill runs")
    for d in started:
        with open(os.path.join(os.path.dirname(d), "go"), "w"):
            pass
    rs = st.parse_responses(st.recv_all(s))
    s.close()
    tap.is_([(r.status, a.parse_ordered(r.body.decode()) if r.status == 200 else None) for r in rs],
            [(200, a.pairs(a.result(["done"])))], "runner token wiped: the run answered")
    w.stop(tap)


if __name__ == "__main__":
    st.main(body)
