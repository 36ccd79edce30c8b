#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every route (design §3) and every auth case, through http.client and raw sockets.
import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (Worker, check_error, check_framing, main, new_token, probe_skill,  # noqa: E402
                           sh_skill, wait_for)

LIST_KEYS = {"name", "description", "policy", "input", "output", "accepts_code", "network", "limits"}
LIMIT_KEYS = {"timeout_ms", "memory_max", "tasks_max", "cpu_max", "output_max", "workdir_max"}


def body(tap):
    skills = {
        "echo": sh_skill("cat", description="Echo stdin"),
        "cionly": sh_skill("echo only-ci", description="Only for ci", tokens=["ci"]),
        "envy": probe_skill(description="Env probe", allow_env=["FOO"], timeout_ms=4000, memory_max="64M",
                            output_max="64K", accepts_code=False, input="stdin", output="json"),
        "coder": sh_skill("true", description="Takes code", accepts_code=True),
    }
    raw = {"broken.json": json.dumps({"description": "broken", "command": ["/bin/true"], "bogus_key": 1}),
           "notjson.json": "{ this is not json",
           "README": "not a manifest"}
    w = Worker(skills=skills, raw_skills=raw,
               settings={"timeout_ms": 20000, "max_body": "512K", "output_max": "512K"}).start()

    version = w.cli("--version").stdout.decode().strip()

    # --- /healthz: no auth, cheap
    r, data = w.http_client("GET", "/healthz", token=None)
    tap.is_(r.status, 200, "GET /healthz without a token: 200 (http.client)")
    j = json.loads(data)
    healthz_version = j.get("version")
    tap.is_(j.get("status"), "ok", "healthz status ok")
    tap.ok(isinstance(j.get("version"), str) and j["version"] and j["version"] in version,
           "healthz version %r is the one --version prints (%r)" % (j.get("version"), version))
    tap.is_((r.getheader("Content-Type") or "").split(";")[0], "application/json", "healthz Content-Type")
    tap.is_((r.getheader("Connection") or "").lower(), "close", "healthz Connection: close (http.client)")
    r = w.get("/healthz", token="not-a-token-at-all")
    tap.is_(r.status, 200, "healthz ignores a bad token")

    # --- /v1/info
    r = w.get("/v1/info")
    tap.is_(r.status, 200, "GET /v1/info: 200")
    check_framing(tap, r, "/v1/info")
    j = r.json or {}
    for k in ("version", "policy", "sandbox_mode", "features", "limits", "http"):
        tap.ok(k in j, "info has %r" % k)
    tap.is_(j.get("version"), healthz_version, "info version = healthz version")
    tap.is_(j.get("policy"), "permissive", "info policy: the default, permissive")
    tap.is_(j.get("sandbox_mode"), "strict", "info sandbox_mode: the default, strict")
    tap.ok(isinstance(j.get("features"), dict), "info features is an object")
    lim = j.get("limits") or {}
    tap.is_(set(lim) >= LIMIT_KEYS, True, "info limits has %s" % sorted(LIMIT_KEYS))
    tap.is_(lim.get("timeout_ms"), 20000, "info limits.timeout_ms from SKILLRUN_TIMEOUT_MS")
    tap.is_(lim.get("output_max"), 512 * 1024, "info limits.output_max from SKILLRUN_OUTPUT_MAX=512K")
    tap.is_(lim.get("memory_max"), 256 << 20, "info limits.memory_max default 256M")
    tap.is_(lim.get("tasks_max"), 64, "info limits.tasks_max default 64")
    h = j.get("http") or {}
    tap.is_(h.get("max_body"), 512 * 1024, "info http.max_body from SKILLRUN_MAX_BODY=512K")
    tap.is_(h.get("max_header"), 16 * 1024, "info http.max_header default 16K")
    tap.is_(h.get("read_timeout_ms"), 10000, "info http.read_timeout_ms default")

    # --- auth cases
    def unauthorized(r, what):
        check_error(tap, r, 401, what)
        tap.like(r.header("WWW-Authenticate") or "", r'^Bearer\b.*realm="skillrun"', "%s: WWW-Authenticate" % what)

    unauthorized(w.get("/v1/info", token=None), "no Authorization")
    unauthorized(w.get("/v1/info", token=new_token()), "unknown token")
    unauthorized(w.get("/v1/info", token=w.token[:-1]), "token missing its last character")
    unauthorized(w.get("/v1/info", token=w.token + "x"), "token with a character added")
    unauthorized(w.get("/v1/info", token=""), "empty bearer token")
    unauthorized(w.request("GET", "/v1/info", token=None, headers={"Authorization": "Basic %s" % w.token}),
                 "Basic scheme with a valid token")
    unauthorized(w.request("GET", "/v1/info", token=None, headers={"Authorization": w.token}),
                 "token without a scheme")
    unauthorized(w.request("GET", "/v1/info", token=None, headers={"X-Functions-Key": w.token}),
                 "X-Functions-Key is not accepted on /v1 routes")
    decoy = open(os.path.join(w.creds_dir, "tokens")).read().split(":", 1)[1].strip()
    unauthorized(w.get("/v1/info", token=decoy), "token from $CREDENTIALS_DIRECTORY when tokens_file is set")
    unauthorized(w.get("/v1/skills", token=None), "GET /v1/skills without a token")
    unauthorized(w.run("echo", {}, token=None), "POST run without a token")
    unauthorized(w.get("/v1/skills/echo", token=None), "GET /v1/skills/echo without a token")
    for scheme in ("bearer", "BEARER", "BeArEr"):
        r = w.request("GET", "/v1/info", token=None, headers={"Authorization": "%s %s" % (scheme, w.token)})
        tap.is_(r.status, 200, "scheme %r is accepted" % scheme)
    r = w.get("/v1/info", token="other")
    tap.is_(r.status, 200, "the second token works too")
    # no tokens file (read on every request): a token is 500, the server's fault, which check
    # (test-cli.py) announces; no token is still 401, and /healthz needs none
    os.rename(w.tokens_file, w.tokens_file + ".away")
    try:
        r = w.get("/v1/info")
        check_error(tap, r, 500, "a token and no tokens file")
        tap.is_((r.json or {}).get("message"), "no tokens are configured; see the journal",
                "... says no tokens are configured")
        unauthorized(w.get("/v1/info", token=None), "no token and no tokens file")
        tap.is_(w.get("/healthz", token=None).status, 200, "no tokens file: /healthz still 200")
    finally:
        os.rename(w.tokens_file + ".away", w.tokens_file)

    # --- /v1/skills
    r = w.get("/v1/skills")
    tap.is_(r.status, 200, "GET /v1/skills: 200")
    check_framing(tap, r, "/v1/skills")
    lst = (r.json or {}).get("skills")
    tap.ok(isinstance(lst, list), "skills is a list")
    lst = lst if isinstance(lst, list) else []
    names = [s.get("name") for s in lst]
    tap.is_(sorted(names), ["cionly", "coder", "echo", "envy"], "ci sees every good skill, broken ones omitted")
    for s in lst:
        tap.ok(set(s) >= LIST_KEYS, "list entry %r has %s" % (s.get("name"), sorted(LIST_KEYS)),
               "keys: %s" % sorted(s))
    envy = next((s for s in lst if s.get("name") == "envy"), {})
    tap.is_(envy.get("description"), "Env probe", "description listed")
    tap.is_(envy.get("policy"), "none", "policy listed")
    tap.is_(envy.get("input"), "stdin", "input mode listed")
    tap.is_(envy.get("output"), "json", "output mode listed")
    tap.is_(envy.get("accepts_code"), False, "accepts_code false listed")
    tap.is_(envy.get("network"), False, "network listed (false by default)")
    el = envy.get("limits") or {}
    tap.is_(el.get("timeout_ms"), 4000, "manifest timeout_ms in limits")
    tap.is_(el.get("memory_max"), 64 << 20, "manifest memory_max in limits (bytes)")
    tap.is_(el.get("output_max"), 64 << 10, "manifest output_max in limits (bytes)")
    tap.is_(el.get("tasks_max"), 64, "unset limits are the ceilings")
    coder = next((s for s in lst if s.get("name") == "coder"), {})
    tap.is_(coder.get("accepts_code"), True, "accepts_code true listed")
    tap.is_((next((s for s in lst if s.get("name") == "echo"), {}).get("limits") or {}).get("timeout_ms"), 20000,
            "a skill without timeout_ms gets the ceiling")

    r = w.get("/v1/skills", token="other")
    tap.is_(sorted(s.get("name") for s in (r.json or {}).get("skills", [])), ["coder", "echo", "envy"],
            "token 'other' does not see the ci-only skill")
    # skillrun(8): /v1/skills/ with a trailing slash is the list, not a skill of an empty name
    r = w.get("/v1/skills/")
    tap.is_((r.status, sorted(s.get("name") for s in (r.json or {}).get("skills", []))),
            (200, ["cionly", "coder", "echo", "envy"]), "GET /v1/skills/ (trailing slash): the list")

    # --- /v1/skills/{name}
    r = w.get("/v1/skills/envy")
    tap.is_(r.status, 200, "GET /v1/skills/envy: 200")
    check_framing(tap, r, "/v1/skills/envy")
    one = r.json or {}
    tap.is_({k: v for k, v in one.items() if k != "allow_env"}, envy, "one skill = its list entry (+ allow_env)")
    tap.is_(one.get("allow_env"), ["FOO"], "allow_env shown")
    tap.is_((w.get("/v1/skills/echo").json or {}).get("allow_env"), [], "empty allow_env shown as []")
    check_error(tap, w.get("/v1/skills/nope"), 404, "unknown skill")
    check_error(tap, w.get("/v1/skills/cionly", token="other"), 403, "skill not allowed for 'other'")
    tap.is_(w.get("/v1/skills/cionly").status, 200, "... but allowed for 'ci'")
    check_error(tap, w.get("/v1/skills/broken"), 500, "broken manifest (unknown key)")
    check_error(tap, w.get("/v1/skills/notjson"), 500, "broken manifest (not JSON)")
    for bad in ("UPPER", "..", "a.b", "%2e%2e", "-lead", "x" * 65, "a%2Fb", "README"):
        r = w.get("/v1/skills/" + bad)
        check_error(tap, r, 404, "invalid or unknown skill name %r" % bad, framing=False)
    tap.is_(w.get("/v1/skills/" + "x" * 64).status, 404, "64-char name is valid but unknown: 404")

    # --- run: the route itself (fields are tested in test-run)
    r = w.run("cionly", {})
    tap.is_(r.status, 200, "POST /v1/skills/cionly/run as ci: 200")
    check_framing(tap, r, "run")
    tap.is_((r.json or {}).get("stdout"), "only-ci\n", "run stdout")
    check_error(tap, w.run("cionly", {}, token="other"), 403, "run of a skill not allowed for the token")
    check_error(tap, w.run("nope", {}), 404, "run of an unknown skill")
    check_error(tap, w.run("broken", {}), 500, "run of a broken skill")
    r = w.run("echo", {"stdin": "still fine"})
    tap.is_((r.json or {}).get("stdout"), "still fine", "other skills keep working next to broken ones")
    r, data = w.http_client("POST", "/v1/skills/echo/run", body={"stdin": "via http.client"})
    tap.is_(r.status, 200, "run via http.client")
    tap.is_(json.loads(data).get("stdout"), "via http.client", "... stdout")

    # A request the parser refuses after its request line is logged with its method and path (not
    # the query): which route got the oversized body?
    r = w.raw1(b"POST /v1/skills/echo/run?q=secretquery HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
    check_error(tap, r, 413, "body over max_body", framing=False)
    # the record is written after the answer: wait for it
    recs = wait_for(lambda: [x for x in w.records() if x.get("status") == "413"], 10.0) or []
    tap.ok(len(recs) == 1 and recs[0].get("method") == "POST" and recs[0].get("path") == "/v1/skills/echo/run",
           "the 413's record names the method and the path", recs)
    tap.ok("secretquery" not in w.all_log_text(), "... but not the query")

    # Each 401/403/404 is a normal answer: the worker log must not carry the token.
    log = w.all_log_text()
    tap.ok(w.token not in log and w.tokens["other"] not in log, "tokens never appear in the worker's log")
    statuses = sorted(set(r.get("status") for r in w.records()))
    tap.ok({"200", "401", "403", "404", "500"} <= set(statuses), "requests are logged with their status",
           "logged statuses: %s" % statuses)
    w.stop(tap)

    # --- tokens file rules: short tokens are refused at load (and the good ones keep working)
    short = "shortsecret"
    w2 = Worker(skills={"echo": sh_skill("cat")},
                tokens={"ci": new_token(), "short": short, "other": new_token()}).start()
    unauthorized(w2.get("/v1/info", token=short), "a token shorter than 32 bytes is refused")
    unauthorized(w2.get("/v1/info", token="x" * 31), "31 bytes of token: refused")
    tap.is_(w2.get("/v1/info").status, 200, "the valid tokens of that file still work")
    tap.is_(w2.get("/v1/info", token="other").status, 200, "... all of them")
    tap.ok(re.search(r"short", w2.read_log()) is not None, "the refused short token is logged by name",
           w2.read_log()[-500:])
    tap.ok(short not in w2.read_log(), "... but not its value")
    w2.stop(tap)


main(body)
