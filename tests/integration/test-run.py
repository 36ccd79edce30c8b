#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Running a skill (design §4): every run request field, the result object, the
# skill's environment, descriptors and work directory, exit codes and signals,
# output modes and encodings.
import base64
import json
import os
import resource
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (PY, SH, Worker, b64, build_request, check_error, check_framing, cmdline_of, main,  # noqa: E402
                           memory_holds, new_token, parse_responses, ppid_of, probe_skill, processes_with, py_skill,
                           recv_all, require_python, sanitized_binary, sh_skill, skillrun_bin, wait_for,
                           memory_readable)

RESULT_KEYS = {"run_id", "skill", "outcome", "exit_code", "signal", "stdout", "stderr", "stdout_truncated",
               "stderr_truncated", "duration_ms", "cpu_ms", "max_rss_kb", "limits", "sandbox"}
LIMIT_KEYS = {"timeout_ms", "memory_max", "tasks_max", "cpu_max", "output_max", "workdir_max"}
SANDBOX_KEYS = {"policy", "landlock_abi", "seccomp", "cgroup", "network"}


def tokens_wiped(tap):
    """Issue 2: the token is wiped from memory before any skill starts. While the skill runs, the
    worker's memory holds neither the token presented nor any other of the tokens file (the
    last 24 characters: a block freed unwiped loses its first bytes to the allocator). Its
    marker, in the worker's environment, shows the scan sees what is there."""
    if memory_readable():
        tap.skip("tokens wiped: %s" % memory_readable())
        return
    # tokens of several lengths, so that some block of the table is still free when the skill starts
    # the presented token deep in a head of 90k, in a buffer of max_header: the allocations after
    # the read do not write over the end of the freed buffer, only its wipe takes the token out
    w = Worker(settings={"max_header": "100K"},
               tokens=dict({"ci": new_token(), "other": new_token()},
                           **{"t%d" % i: "x" * (8 * i) + new_token() for i in range(24)}))
    started, go = os.path.join(w.state_dir, "started"), os.path.join(w.state_dir, "go")
    w.add_skill("waits", sh_skill("touch %s; i=0; while [ ! -e %s ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done"
                                  % (started, go)))
    w.start()
    s = socket.create_connection(("127.0.0.1", w.port), timeout=20)
    s.sendall(build_request("POST", "/v1/skills/waits/run", b"{}",
                            headers=[("X-Pad", "p" * 90000), ("Authorization", "Bearer " + w.token)]))
    tap.ok(wait_for(lambda: os.path.exists(started), timeout=10), "tokens wiped: the skill started")
    skill = [q for q in processes_with(w.marker) if (cmdline_of(ppid_of(q) or 0).split(" ") or [""])[0] == w.bin]
    worker = ppid_of(skill[0]) if skill else None
    needles = {w.tokens[n][-24:].encode(): n for n in w.tokens}
    needles[w.marker.encode()] = "marker"
    found = sorted(needles[n] for n in memory_holds(worker, needles)) if worker else None
    tap.is_(found, ["marker"], "tokens wiped: the worker's memory holds no token while the skill runs")
    with open(go, "w"):
        pass
    rs = parse_responses(recv_all(s))
    s.close()
    tap.is_([r.status for r in rs], [200], "tokens wiped: the run answered")
    w.stop(tap)


def cpu_seconds(pid):
    """The user and system CPU time of pid so far, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        fields = stat[stat.rfind(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def stdin_closed_early(tap):
    """A skill that closes its stdin unread with input left to write: poll() then says POLLERR
    alone, the pipe being full; the worker gives up the input and waits for the skill, rather
    than spinning on a pipe that will take nothing until the skill exits."""
    w = Worker()
    pidfile = os.path.join(w.state_dir, "worker.pid")
    w.add_skill("closes", sh_skill("exec <&-; echo $PPID > %s.new && mv %s.new %s; sleep 1.5; echo done"
                                   % (pidfile, pidfile, pidfile)))
    w.start()
    s = socket.create_connection(("127.0.0.1", w.port), timeout=20)
    # far more than a pipe holds: the worker is still writing when the skill closes its end
    s.sendall(build_request("POST", "/v1/skills/closes/run", {"stdin": "x" * 1000000}, token=w.token))
    ppid = wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), timeout=10)
    worker = int(ppid) if ppid else None
    is_worker = worker is not None and cmdline_of(worker).split(" ")[0] == w.bin
    tap.ok(is_worker, "stdin closed early: the skill's parent is the worker", "ppid %r" % ppid)
    before = cpu_seconds(worker) if is_worker else None
    time.sleep(0.8)
    after = cpu_seconds(worker) if is_worker else None
    used = after - before if before is not None and after is not None else None
    tap.ok(used is not None and used < 0.3, "... the worker idles while the skill sleeps (%r s of CPU in 0.8 s)" % used)
    rs = parse_responses(recv_all(s))
    s.close()
    j = rs[0].json if rs else {}
    tap.is_(([r.status for r in rs], (j or {}).get("outcome"), (j or {}).get("stdout")), ([200], "ok", "done\n"),
            "... and answers ok when it is done")
    w.stop(tap)


def body(tap):
    require_python()
    skills = {
        "probe": probe_skill(command=[PY, "-I", "-S", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                   "skills", "probe.py"), "fixed-arg"],
                             allow_env=["FOO", "BAR_BAZ"], env={"LC_ALL": "C"}, timeout_ms=10000),
        "cat": sh_skill("cat"),
        "true": {"description": "nothing", "command": ["/bin/true"], "policy": "none"},
        "noinput": sh_skill("cat", input="none"),
        "code": {"description": "runs shell code", "command": [SH], "accepts_code": True, "policy": "none"},
        "pycode": {"description": "runs python code", "command": [PY, "-I", "-S"], "accepts_code": True,
                   "code_file": "main.py", "policy": "none"},
        "exit3": sh_skill("echo out; echo err >&2; exit 3"),
        "exit1": sh_skill("exit 1"),
        "segv": sh_skill("echo before; kill -SEGV $$; echo after"),
        "sleep": sh_skill("echo started; sleep 20", timeout_ms=5000),
        "jsonout": sh_skill("echo '{\"a\": [1, 2], \"b\": \"x\"}'", output="json"),
        "jsonbad": sh_skill("echo 'not json {'", output="json"),
        "textjson": sh_skill("echo '{\"a\": 1}'"),
        "jsonbin": py_skill("import sys; sys.stdout.buffer.write(b'{\"a\":\"\\xff\"}')", output="json"),
        "binary": py_skill("import sys; sys.stdout.buffer.write(bytes(range(256))); "
                           "sys.stderr.write('plain text')"),
        "binerr": py_skill("import sys; sys.stderr.buffer.write(b'\\xff\\xfe err')"),
        # what it was given, as hex: stdin, then each arg; its manifest (json.dump escapes) has
        # U+1DF00 in its description
        "hexin": py_skill("import sys; sys.stdout.write(' '.join([sys.stdin.buffer.read().hex()] + "
                          "[a.encode('utf-8', 'surrogateescape').hex() for a in sys.argv[1:]]))",
                          description="gives back what it got, \U0001df00"),
        "jsonsurr": py_skill("import json; print(json.dumps({'\U0001df00': '\U0001d800 \U0002d800'}))", output="json"),
        "utf8": py_skill("import sys; sys.stdout.buffer.write('h\u00e9llo \u2713\\n'.encode())"),
        "bigout": py_skill("import sys; sys.stdout.write('x' * 5000); sys.stderr.write('y' * 3000)",
                           output_max="1K"),
        "bigfail": py_skill("import sys; sys.stdout.write('z' * 4096); sys.exit(4)", output_max="1K"),
        "exact": py_skill("import sys; sys.stdout.write('e' * 1024)", output_max="1K"),
        # one byte over, in one write (one read of the pipe: under PIPE_BUF, so atomic)
        "overbyone": py_skill("import sys; sys.stdout.write('o' * 1025)", output_max="1K"),
        "cututf8": py_skill("import sys; sys.stdout.buffer.write('\u00e9'.encode() * 100); "
                            "sys.stderr.buffer.write('\U0001d11e'.encode() * 10)", output_max=11),
        "small": probe_skill(workdir_max="4K"),
        "fat": py_skill("import sys; sys.stdout.write('f' * 300000); sys.stderr.write('g' * 300000)"),
        # exactly output_max, then (in a later read of the pipe) one byte more: still truncated
        "latemore": sh_skill("head -c 1024 /dev/zero | tr '\\0' a; head -c 1024 /dev/zero | tr '\\0' b >&2; "
                             "sleep 0.3; printf m; printf m >&2", output_max="1K"),
        # the main process itself dies of SIGXFSZ writing a file beyond workdir_max (RLIMIT_FSIZE)
        "fsize": sh_skill("exec head -c 3000000 /dev/zero > big", workdir_max="1M"),
        "selfkill": sh_skill("echo before; kill -KILL $$; echo after"),
        # an OOM kill: at once, or only in the grace period after a timeout (which then wins)
        "oomnow": py_skill("x = b'x' * (256 << 20)", memory_max="32M"),
        # a child of the skill reaches memory_max: the whole run ends with it, not only the child
        # the OOM killer picks (cgroup v1 has no memory.oom.group)
        "oomchild": py_skill("import os, time\n"
                             "pid = os.fork()\n"
                             "if pid == 0:\n    x = b'x' * (256 << 20)\n    os._exit(0)\n"
                             "os.waitpid(pid, 0)\n"
                             "time.sleep(3)\n"
                             "print('after')", memory_max="32M"),
        # 64 meant as 64M: the sandbox's own set-up spends it before anything is executed
        "tiny": sh_skill("echo hi", memory_max=64, policy="permissive"),
        "oomgrace": py_skill("import signal, time\n"
                             "def eat(*a):\n    global x\n    x = b'x' * (256 << 20)\n"
                             "signal.signal(signal.SIGTERM, eat)\n"
                             "while True: time.sleep(0.1)", memory_max="32M", timeout_ms=300),
        # the environment exactly as execve() passed it, duplicates included
        "envover": sh_skill("tr '\\0' '\\n' < /proc/$$/environ | grep -E '^(LANG|PATH|FOO)=' | sort",
                            env={"LANG": "C", "PATH": "/usr/bin:/bin", "FOO": "from-manifest"}, allow_env=["FOO"]),
        # names that begin another's: each its own variable
        "envprefix": sh_skill("tr '\\0' '\\n' < /proc/$$/environ | grep -E '^(LANG?|PATH?|FOO?)=' | sort",
                              env={"LAN": "x", "PAT": "y", "FOO": "from-manifest"}, allow_env=["FO"]),
    }
    w = Worker(skills=skills).start()

    # --- the result object
    r = w.run("probe", {})
    tap.is_(r.status, 200, "run with {}: 200")
    check_framing(tap, r, "run result")
    j = r.json or {}
    tap.ok(set(j) >= RESULT_KEYS, "result has every field of design section 4", "missing: %s" % (RESULT_KEYS - set(j)))
    tap.is_(j.get("skill"), "probe", "result skill")
    tap.is_(j.get("outcome"), "ok", "outcome ok")
    tap.is_(j.get("exit_code"), 0, "exit_code 0")
    tap.is_(j.get("signal"), None, "signal null")
    tap.is_(j.get("stderr"), "", "stderr empty")
    tap.is_(j.get("stdout_truncated"), False, "stdout_truncated false")
    tap.is_(j.get("stderr_truncated"), False, "stderr_truncated false")
    tap.ok("stdout_encoding" not in j and "stderr_encoding" not in j, "no encoding fields for UTF-8 output")
    tap.like(j.get("run_id"), r"^[A-Za-z0-9_-]{8,64}$", "run_id looks like an id")
    for k in ("duration_ms", "cpu_ms", "max_rss_kb"):
        tap.ok(isinstance(j.get(k), int) and j[k] >= 0, "%s is a non-negative integer" % k)
    tap.ok(isinstance(j.get("max_rss_kb"), int) and j["max_rss_kb"] > 1000, "max_rss_kb of python > 1000 KiB",
           "got %r" % j.get("max_rss_kb"))
    tap.is_(set(j.get("limits") or {}), LIMIT_KEYS, "result limits keys")
    tap.is_((j.get("limits") or {}).get("timeout_ms"), 10000, "result limits: the manifest's timeout_ms")
    tap.ok(set(j.get("sandbox") or {}) >= SANDBOX_KEYS, "result sandbox has %s" % sorted(SANDBOX_KEYS),
           "got %s" % sorted(j.get("sandbox") or {}))
    tap.is_((j.get("sandbox") or {}).get("policy"), "none", "sandbox policy reported")
    out = j.get("output") or {}
    tap.ok(isinstance(j.get("output"), dict), "output json parsed into 'output'")
    tap.is_(json.loads(j.get("stdout") or "null"), out, "stdout is kept next to output")
    run_id = j.get("run_id")
    r2 = w.run("probe", {})
    tap.isnt((r2.json or {}).get("run_id"), run_id, "run_id differs between runs")

    # --- environment rebuilt from scratch
    env = out.get("env") or {}
    tap.is_(sorted(env), sorted(["PATH", "HOME", "TMPDIR", "LANG", "SKILLRUN_RUN_ID", "SKILLRUN_SKILL", "LC_ALL",
                                  "TEST_MARKER"]),
            "skill environment: exactly the documented variables + manifest env")
    tap.is_(env.get("PATH"), "/usr/local/bin:/usr/bin:/bin", "PATH")
    tap.is_(env.get("LANG"), "C.UTF-8", "LANG")
    tap.is_(env.get("LC_ALL"), "C", "manifest env passed")
    tap.is_(env.get("SKILLRUN_RUN_ID"), run_id, "SKILLRUN_RUN_ID = result run_id")
    tap.is_(env.get("SKILLRUN_SKILL"), "probe", "SKILLRUN_SKILL")
    tap.is_(env.get("HOME"), out.get("cwd"), "HOME = cwd")
    tap.is_(env.get("TMPDIR"), out.get("cwd"), "TMPDIR = cwd")
    for k in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "SKILLRUN_CONFIG", "SKILLRUN_TOKENS_FILE",
              "CREDENTIALS_DIRECTORY", "WORKER_MARKER"):
        tap.ok(k not in env, "%s does not reach the skill" % k)
    tap.ok(not any(w.token in v or w.tokens["other"] in v for v in env.values()), "no token in the environment")

    # --- descriptors, work dir
    tap.is_(out.get("fds"), [0, 1, 2], "only fds 0-2 are open in the skill")
    cwd = out.get("cwd") or ""
    tap.is_(os.path.dirname(cwd), w.work_dir, "cwd is under work_dir")
    tap.is_(os.path.basename(cwd), "skillrun-%s" % run_id, "cwd is named skillrun-<run_id>")
    tap.is_(out.get("cwd_mode"), "700", "work dir mode 0700")
    tap.is_(out.get("files"), {}, "work dir starts empty")
    tap.ok(not os.path.exists(cwd), "work dir removed after the run")
    tap.is_(out.get("argv"), ["fixed-arg"], "no request args: only the manifest's")
    tap.ok(out.get("pgid") == out.get("pid"), "skill leads its own process group")
    # ... and its own session: none of the worker's controlling terminal (skillrun.skill(5))
    tap.is_(out.get("sid"), out.get("pid"), "skill leads its own session")
    # skillrun.skill(5): no core dumps, at most 256 open files (never above the worker's own)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = 256 if hard == resource.RLIM_INFINITY else min(256, hard)
    tap.is_(out.get("rlimits"), {"core": [0, 0], "nofile": [nofile, nofile]},
            "RLIMIT_CORE 0 and RLIMIT_NOFILE %d in the skill" % nofile)

    # --- Content-Type
    r = w.run("true", b"", content_type=None)
    tap.is_(r.status, 200, "no body and no Content-Type: 200")
    r = w.request("POST", "/v1/skills/true/run", None, content_type=None, headers={"Content-Length": "0"})
    tap.is_(r.status, 200, "Content-Length: 0 without Content-Type: 200")
    r = w.run("true", {}, content_type="application/json; charset=utf-8")
    tap.is_(r.status, 200, "Content-Type with charset parameter: 200")
    check_error(tap, w.run("true", {}, content_type="text/plain"), 415, "Content-Type text/plain")
    check_error(tap, w.run("true", {}, content_type="application/x-www-form-urlencoded"), 415,
                "Content-Type form-urlencoded")
    check_error(tap, w.run("true", {}, content_type="application/js"), 415,
                "Content-Type application/js, a prefix of application/json")
    check_error(tap, w.run("true", {}, content_type=None), 415, "a body without Content-Type")

    # --- body shape
    for bad, what in [(b"[]", "array body"), (b'"x"', "string body"), (b"null", "null body"), (b"{", "truncated JSON"),
                      (b'{"a":1}', "unknown field"), (b'{"stdin":"x"} {}', "trailing garbage"),
                      (b"\xff\xfe", "not UTF-8"), (b'{"input":1,"stdin":"x"}', "input and stdin together")]:
        check_error(tap, w.run("cat", bad), 400, "bad body: %s" % what)
    # the client's key quoted in the message as it sent it: its backslash, before "x0a" here,
    # is the JSON string's own (escaped as JSON escapes it), not a \xNN of the program's
    r = w.run("cat", b'{"a\\\\x0ab\\\\":1}')
    check_error(tap, r, 400, "bad body: an unknown field holding backslashes")
    tap.is_(((r.json or {}).get("message"), b'\\\\x0ab\\\\' in r.body), ("unknown field 'a\\x0ab\\'", True),
            "... the message quotes it as sent, each backslash escaped as JSON does", r.body)
    # json-c keeps the last of a key given twice: what a proxy checked need not be what runs
    r = w.run("cat", b'{"args":[],"args":["--evil"]}')
    check_error(tap, r, 400, "bad body: a key given twice")
    tap.is_((r.json or {}).get("message"), "request body is not valid JSON: a key given twice in one object",
            "... and the message says so")
    # JSON is UTF-8: a stray byte inside a string must not reach the skill's stdin or argv
    for bad, what in [(b'{"input":"\xff"}', "an input string"), (b'{"\xff":1}', "a key"),
                      (b'{"args":["\xff"]}', "args"), (b'{"stdin":"\xed\xa0\x80 \xc0\xaf"}', "surrogate, overlong")]:
        r = w.run("cat", bad)
        check_error(tap, r, 400, "invalid UTF-8 in %s" % what)
        tap.contains((r.json or {}).get("message"), "not valid UTF-8", "... and the message says so")
    # the same code point escaped: json-c would hand the skill U+FFFD instead
    r = w.run("cat", b'{"stdin":"\\ud800"}')
    check_error(tap, r, 400, "half a surrogate pair in a \\u escape")
    tap.is_((r.json or {}).get("message"),
            "request body is not valid JSON: half a UTF-16 surrogate pair in a \\u escape (line 1, column 11)",
            "... and the message says so, and where")
    r = w.run("cat", b'{"stdin":"\\ud83d\\ude00"}')
    tap.is_(((r.json or {}).get("outcome"), (r.json or {}).get("stdout")), ("ok", "\U0001f600"),
            "a whole pair reaches the skill as one code point")
    # json-c's surrogate test ignores the plane: U+1D800-U+1DFFF, U+2D800-U+2DFFF, ... escaped (as
    # Python's json.dumps writes every non-ASCII character) it made U+FFFD
    r = w.run("hexin", {"stdin": "\U0001df00", "args": ["\U0001df00", "\U0001d800x"]})
    tap.is_((r.json or {}).get("stdout"), "f09dbc80 f09dbc80 f09da08078",
            "U+1DF00 and U+1D800 escaped reach stdin and args as the exact bytes")
    r = w.get("/v1/skills/hexin")
    tap.is_((r.json or {}).get("description"), "gives back what it got, \U0001df00",
            "... and U+1DF00 escaped in a manifest is kept")
    r = w.run("jsonsurr", {})
    tap.is_((r.json or {}).get("output"), {"\U0001df00": "\U0001d800 \U0002d800"},
            "... and in a skill's JSON output, key and value")

    # --- input / stdin
    inp = {"a": 1, "b": [True, None, "x y"], "c": {"d": 1.5, "e": "\u00e9"}}
    r = w.run("cat", {"input": inp})
    tap.is_((r.json or {}).get("stdout") and json.loads(r.json["stdout"]), inp, "input arrives as JSON on stdin")
    tap.is_((r.json or {}).get("stdout"), json.dumps(inp, separators=(",", ":"), ensure_ascii=False),
            "... compact, in key order, no newline")
    r = w.run("cat", {"input": "just a string"})
    tap.is_((r.json or {}).get("stdout"), '"just a string"', "a string input is JSON-encoded")
    r = w.run("cat", {"input": None})
    tap.is_((r.json or {}).get("stdout"), "null", "input null is written as null")
    text = "line 1\nline 2 \u2713\n\n"
    r = w.run("cat", {"stdin": text})
    tap.is_((r.json or {}).get("stdout"), text, "stdin is passed verbatim")
    r = w.run("cat", {})
    tap.is_((r.json or {}).get("stdout"), "", "no input: empty stdin")
    big = "0123456789abcdef" * 40000  # 640 KB in and out at once: the pump must not deadlock
    r = w.run("cat", {"stdin": big})
    tap.ok((r.json or {}).get("stdout") == big, "640 KB through cat: stdin pumped while stdout drained",
           "status %d, len %d" % (r.status, len((r.json or {}).get("stdout") or "")))
    r = w.run("true", {"stdin": big})
    tap.is_((r.status, (r.json or {}).get("outcome")), (200, "ok"),
            "a skill that never reads its stdin: ok (EPIPE is not the worker's death)")
    check_error(tap, w.run("noinput", {"stdin": "x"}), 400, "stdin for a skill with input none")
    r = w.run("noinput", {})
    tap.is_((r.json or {}).get("stdout"), "", "input none: stdin is empty")
    check_error(tap, w.run("cat", {"stdin": 5}), 400, "stdin not a string")

    # --- args
    args = ["--flag", "x y", "$HOME", ";rm -rf /", "", "\u00e9", "*"]
    r = w.run("probe", {"args": args})
    tap.is_(((r.json or {}).get("output") or {}).get("argv"), ["fixed-arg"] + args,
            "args appended after the manifest command, verbatim, no shell")
    check_error(tap, w.run("probe", {"args": "x"}), 400, "args not an array")
    check_error(tap, w.run("probe", {"args": ["a", 1]}), 400, "args with a number")
    check_error(tap, w.run("probe", {"args": ["a\u0000b"]}), 400, "args with a NUL byte")
    # execve(2) takes no string longer than 32 pages (NUL included): the caller's 400, never a run
    # whose sandbox_error the journal records at priority err, as what the operator must fix
    arg_max = os.sysconf("SC_PAGESIZE") * 32 - 1
    r = w.run("probe", {"args": ["a" * arg_max]})
    tap.is_(len((((r.json or {}).get("output") or {}).get("argv") or ["", ""])[-1]), arg_max,
            "an arg of %d bytes, the most execve(2) takes, reaches the skill" % arg_max)
    r = w.run("probe", {"args": ["a" * (arg_max + 1)]})
    check_error(tap, r, 400, "an arg one byte longer")
    tap.is_((r.json or {}).get("message"), "args[0]: longer than %d bytes, the most execve(2) takes" % arg_max,
            "... said so")
    # ... nor, all together, more than it copies onto the new stack (a quarter of RLIMIT_STACK, at
    # most 6 MiB): a quarter million empty args in a max_body of 1M are 2 MiB of pointers alone
    stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
    if stack == resource.RLIM_INFINITY or stack // 4 >= (1 << 21) + (1 << 16):
        tap.skip("RLIMIT_STACK here lets execve(2) take more than 2 MiB of args")
    else:
        r = w.run("probe", {"args": [""] * 260000})
        check_error(tap, r, 400, "260000 empty args")
        tap.like((r.json or {}).get("message"),
                 r"^args and env: \d+ bytes with their pointers, more than the \d+ execve\(2\) takes$", "... said so")
    r = w.run("probe", {"args": [""] * 10000})
    tap.is_(len(((r.json or {}).get("output") or {}).get("argv") or []), 10001, "10000 empty args reach the skill")

    # --- env
    r = w.run("probe", {"env": {"FOO": "bar baz", "BAR_BAZ": ""}})
    e = ((r.json or {}).get("output") or {}).get("env") or {}
    tap.is_((e.get("FOO"), e.get("BAR_BAZ")), ("bar baz", ""), "allowed env passed")
    check_error(tap, w.run("probe", {"env": {"NOPE": "x"}}), 400, "env name not in allow_env")
    check_error(tap, w.run("probe", {"env": {"PATH": "/tmp"}}), 400, "PATH cannot be overridden unless allowed")
    check_error(tap, w.run("probe", {"env": {"LD_PRELOAD": "/tmp/x.so"}}), 400, "LD_PRELOAD refused")
    check_error(tap, w.run("cat", {"env": {"FOO": "x"}}), 400, "env for a skill that allows none")
    check_error(tap, w.run("probe", {"env": {"FOO": 1}}), 400, "env value not a string")
    check_error(tap, w.run("probe", {"env": ["FOO=x"]}), 400, "env not an object")
    check_error(tap, w.run("probe", {"env": {"FOO": "a\u0000b"}}), 400, "env value with NUL")
    r = w.run("probe", {"env": {"FOO": "a" * (arg_max - len("FOO="))}})
    tap.is_(len(((((r.json or {}).get("output") or {}).get("env") or {}).get("FOO")) or ""), arg_max - len("FOO="),
            "FOO=value of %d bytes reaches the skill" % arg_max)
    r = w.run("probe", {"env": {"FOO": "a" * (arg_max - len("FOO=") + 1)}})
    check_error(tap, r, 400, "FOO=value one byte longer")
    tap.is_((r.json or {}).get("message"),
            "env: 'FOO': longer than %d bytes with its name and '=', the most execve(2) takes" % arg_max,
            "... said so")

    # --- files
    blob = bytes(range(256)) * 4
    files = {"data.txt": b64("hello\n"), "bin.dat": b64(blob), "empty": "", ".hidden": b64("h")}
    r = w.run("probe", {"files": files})
    got = ((r.json or {}).get("output") or {}).get("files")
    tap.is_(got, files, "files written into the work dir, exact bytes, nothing else there")
    for bad in ("a/b", "..", ".", "", "../x", "x/", "/abs"):
        check_error(tap, w.run("probe", {"files": {bad: b64("x")}}), 400, "file name %r refused" % bad)
    check_error(tap, w.run("probe", {"files": {"x": "***not base64***"}}), 400, "file content not base64")
    check_error(tap, w.run("probe", {"files": {"x": 5}}), 400, "file content not a string")
    check_error(tap, w.run("probe", {"files": ["x"]}), 400, "files not an object")
    many = {"f%03d" % i: b64("%d" % i) for i in range(64)}
    r = w.run("probe", {"files": many})
    tap.is_(len(((r.json or {}).get("output") or {}).get("files") or {}), 64, "64 files (max_files) are fine")
    many["f064"] = b64("x")
    check_error(tap, w.run("probe", {"files": many}), 400, "65 files: over max_files")

    r = w.run("small", {"files": {"a": b64(b"a" * 3000)}})
    tap.is_(r.status, 200, "files within workdir_max=4K: 200")
    check_error(tap, w.run("small", {"files": {"a": b64(b"a" * 5000)}}), 400, "a file over workdir_max")
    check_error(tap, w.run("small", {"files": {"a": b64(b"a" * 3000), "b": b64(b"b" * 3000)}}), 400,
                "files adding up over workdir_max")
    # counted as the work dir's usage is (whole blocks, one at least): two bytes in two files are
    # 8K, and were a run killed at once for output_limit, the skill having written nothing
    r = w.run("small", {"files": {"a": b64("a"), "b": b64("b")}})
    check_error(tap, r, 400, "two one-byte files over workdir_max=4K")
    tap.is_((r.json or {}).get("message"),
            "files: more than 4096 bytes in all (each file in whole 4096-byte blocks, the code included)", "... said so")

    # --- code
    code = 'echo "$0"; echo "$@"; pwd; cat "$0"'
    r = w.run("code", {"code": code, "args": ["a", "b c"]})
    lines = ((r.json or {}).get("stdout") or "").split("\n")
    tap.is_((r.json or {}).get("outcome"), "ok", "code runs")
    if len(lines) >= 4:
        tap.is_(os.path.dirname(lines[0]), lines[2], "code file is in the work dir")
        tap.is_(lines[1], "a b c", "args follow the code path")
        tap.is_(os.path.basename(lines[0]), "code", "default code_file name")
        tap.is_(lines[3:], [code], "code file holds the code verbatim")
    else:
        tap.ok(False, "code output", repr(lines))
    r = w.run("pycode", {"code": "import os, sys; print(os.path.basename(sys.argv[0]), sys.argv[1:])",
                         "args": ["x"]})
    tap.is_((r.json or {}).get("stdout"), "main.py ['x']\n", "code_file from the manifest; path before args")
    check_error(tap, w.run("probe", {"code": "print(1)"}), 400, "code for a skill without accepts_code")
    check_error(tap, w.run("code", {"code": 5}), 400, "code not a string")

    # --- exit codes, signals, timeouts
    r = w.run("exit3", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal")), (200, "failed", 3, None),
            "exit 3: 200, outcome failed, exit_code 3, signal null")
    tap.is_((j.get("stdout"), j.get("stderr")), ("out\n", "err\n"), "stdout and stderr kept apart")
    r = w.run("exit1", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal")), (200, "failed", 1, None),
            "exit 1, the least failure: outcome failed, exit_code 1")
    r = w.run("segv", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal")), (200, "signaled", None, "SIGSEGV"),
            "death by SIGSEGV: outcome signaled, exit_code null, signal SIGSEGV")
    tap.is_(j.get("stdout"), "before\n", "output before the signal kept")
    r = w.run("sleep", {"timeout_ms": 300})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome")), (200, "timeout"), "timeout_ms lowered to 300: outcome timeout")
    tap.is_((j.get("limits") or {}).get("timeout_ms"), 300, "result limits show the lowered timeout")
    tap.ok(isinstance(j.get("duration_ms"), int) and 290 <= j["duration_ms"] < 3000,
           "duration_ms about the timeout (%r)" % j.get("duration_ms"))
    tap.is_(j.get("stdout"), "started\n", "output before the timeout kept")
    # the deadline is a wake-up of its own, not noticed only at the next look at the work dir
    # (every 200 ms, so never before 200 ms): a run of 30 ms takes about that (30 to 39 ms seen),
    # and 190 leaves a loaded host all the room there is below 200
    r = w.run("sleep", {"timeout_ms": 30})
    j = r.json or {}
    tap.ok(j.get("outcome") == "timeout" and isinstance(j.get("duration_ms"), int) and 30 <= j["duration_ms"] < 190,
           "timeout_ms 30: outcome timeout, duration_ms 30 to 190 (%r)" % j.get("duration_ms"))
    r = w.run("true", {"timeout_ms": 10 ** 9})
    j = r.json or {}
    tap.is_((r.status, (j.get("limits") or {}).get("timeout_ms")), (200, 30000),
            "timeout_ms above the limit does not raise it")
    for bad in (0, -5, "300", 1.5, True, None):
        check_error(tap, w.run("true", {"timeout_ms": bad}), 400, "timeout_ms %r refused" % (bad,))

    # --- output modes and encodings
    r = w.run("jsonout", {})
    tap.is_((r.json or {}).get("output"), {"a": [1, 2], "b": "x"}, "output json: parsed into output")
    r = w.run("jsonbad", {})
    j = r.json or {}
    tap.is_((j.get("outcome"), "output" in j, j.get("stdout")), ("ok", False, "not json {\n"),
            "output json but stdout is not JSON: no output field, stdout kept")
    r = w.run("jsonbin", {})
    j = r.json or {}
    try:
        r.body.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    tap.ok(utf8, "output json but stdout not UTF-8: the answer is UTF-8", "body: %r" % r.body[:500])
    tap.is_((j.get("outcome"), "output" in j, j.get("stdout_encoding"), base64.b64decode(j.get("stdout") or "")),
            ("ok", False, "base64", b'{"a":"\xff"}'), "... no output field, stdout base64 of the exact bytes")
    r = w.run("textjson", {})
    tap.ok("output" not in (r.json or {}), "output text: no output field even for JSON-looking stdout")
    r = w.run("binary", {})
    j = r.json or {}
    tap.is_(j.get("stdout_encoding"), "base64", "non-UTF-8 stdout: stdout_encoding base64")
    tap.is_(base64.b64decode(j.get("stdout") or ""), bytes(range(256)), "... decodes to the exact bytes")
    tap.ok("stderr_encoding" not in j and j.get("stderr") == "plain text", "UTF-8 stderr stays text")
    r = w.run("binerr", {})
    j = r.json or {}
    tap.is_((j.get("stderr_encoding"), base64.b64decode(j.get("stderr") or "")), ("base64", b"\xff\xfe err"),
            "non-UTF-8 stderr: stderr_encoding base64")
    r = w.run("utf8", {})
    tap.is_((r.json or {}).get("stdout"), "h\u00e9llo \u2713\n", "UTF-8 stdout returned as text")

    # --- output caps
    r = w.run("bigout", {})
    j = r.json or {}
    tap.is_((j.get("outcome"), j.get("stdout"), j.get("stdout_truncated")), ("ok", "x" * 1024, True),
            "output_max=1K: stdout cut at 1024 bytes, stdout_truncated, outcome still ok")
    tap.is_((j.get("stderr"), j.get("stderr_truncated")), ("y" * 1024, True), "... stderr likewise")
    tap.is_((j.get("limits") or {}).get("output_max"), 1024, "result limits.output_max 1024")
    r = w.run("bigfail", {})
    j = r.json or {}
    tap.is_((j.get("outcome"), j.get("exit_code"), len(j.get("stdout") or ""), j.get("stdout_truncated")),
            ("failed", 4, 1024, True), "truncated output of a failing skill: outcome failed")
    r = w.run("exact", {})
    j = r.json or {}
    tap.is_((len(j.get("stdout") or ""), j.get("stdout_truncated")), (1024, False),
            "exactly output_max bytes: not truncated")
    j = w.run("overbyone", {}).json or {}
    tap.is_((len(j.get("stdout") or ""), j.get("stdout_truncated"), j.get("stdout_bytes")), (1024, True, 1025),
            "output_max + 1 bytes in one write: cut at output_max, stdout_truncated")
    r = w.run("cututf8", {})
    j = r.json or {}
    tap.is_((j.get("outcome"), j.get("stdout"), "stdout_encoding" in j, j.get("stdout_truncated"),
             j.get("stdout_bytes")), ("ok", "\u00e9" * 5, False, True, 200),
            "output_max=11 cuts the 6th 2-byte character: 5 kept as text, the half dropped, counts unchanged")
    tap.is_((j.get("stderr"), "stderr_encoding" in j, j.get("stderr_truncated"), j.get("stderr_bytes")),
            ("\U0001d11e" * 2, False, True, 40), "... stderr cut 3 bytes into a 4-byte character: 2 kept as text")
    r = w.run("fat", {})
    j = r.json or {}
    tap.is_((len(j.get("stdout") or ""), len(j.get("stderr") or ""), j.get("stdout_truncated")),
            (300000, 300000, False), "300 KB on both streams under the default cap: all kept")

    r = w.run("latemore", {})
    j = r.json or {}
    tap.is_((j.get("outcome"), j.get("stdout"), j.get("stdout_truncated"), j.get("stdout_bytes")),
            ("ok", "a" * 1024, True, 1025),
            "exactly output_max bytes, then one more in a later write: stdout_truncated, all counted")
    tap.is_((j.get("stderr"), j.get("stderr_truncated"), j.get("stderr_bytes")), ("b" * 1024, True, 1025),
            "... stderr likewise")

    # --- output_limit and killed, as skillrun.skill(5) defines them
    r = w.run("fsize", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal")), (200, "output_limit", None, "SIGXFSZ"),
            "main process killed by SIGXFSZ (a file over workdir_max): outcome output_limit", "body: %r" % r.body[:500])
    r = w.run("selfkill", {})
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal"), j.get("stdout")),
            (200, "killed", None, "SIGKILL", "before\n"),
            "main process killed by a SIGKILL from elsewhere: outcome killed, not signaled")

    r = w.run("oomnow", {})
    j = r.json or {}
    if (j.get("sandbox") or {}).get("cgroup") in ("v1", "delegated"):
        tap.is_((r.status, j.get("outcome"), j.get("signal")), (200, "oom", "SIGKILL"), "memory_max reached: outcome oom")
        r = w.run("oomgrace", {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("signal")), (200, "timeout", "SIGKILL"),
                "memory_max reached in the grace period after a timeout: outcome timeout, not oom")
        r = w.run("oomchild", {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("exit_code"), j.get("signal"), j.get("stdout")),
                (200, "oom", None, "SIGKILL", ""),
                "memory_max reached by a child: the whole run is killed, outcome oom (cgroup %s)"
                % j.get("sandbox", {}).get("cgroup"), "body: %r" % r.body[:500])
        tap.ok(j.get("duration_ms", 0) < 2500, "... at once, not after the main process' 3 s (%r ms)"
               % j.get("duration_ms"))
    else:
        tap.skip("no run cgroup (%r): no OOM kill to tell apart" % (j.get("sandbox") or {}).get("cgroup"))

    # a memory_max too small for the set-up: said as a sandbox_error naming it, never "failed"
    # with exit status 127 and no word (the error pipe's page is refused by the run cgroup too)
    # (ASan's runtime in the child needs memory of its own first, and ends it with exit status 1)
    if sanitized_binary(skillrun_bin()):
        tap.skip("memory_max 64: a sanitized worker's child cannot set up in 64 bytes either")
    else:
        r = w.run("tiny", {})
        j = r.json or {}
        cg = (j.get("sandbox") or {}).get("cgroup")
        if cg in ("v1", "delegated"):
            tap.is_((r.status, j.get("outcome"), j.get("exit_code")), (200, "sandbox_error", None),
                    "memory_max 64: outcome sandbox_error (cgroup %s)" % cg, "body: %r" % r.body[:500])
            tap.like(j.get("sandbox_error") or "",
                     r"^[a-z_ ]+: Cannot allocate memory \(the run's memory_max is 64 bytes\)$",
                     "... which says so, and names memory_max")
        else:
            # RLIMIT_AS instead: the set-up needs no address space, the program does, and dies of
            # it (an exhausted RLIMIT_AS is no oom outcome, skillrun.conf(5) LIMITS)
            tap.is_((r.status, j.get("outcome"), j.get("signal")), (200, "signaled", "SIGSEGV"),
                    "memory_max 64 as RLIMIT_AS (cgroup %s): the program dies of SIGSEGV, said so" % cg,
                    "body: %r" % r.body[:500])

    # --- the bounds at 0, as skillrun.conf(5) says of them: output_max keeps nothing but the
    # counts, max_body allows only an empty body, max_files no file
    z = Worker(skills={"echo": sh_skill("echo hi", input="none")},
               settings={"output_max": 0, "max_body": 0}).start()
    r = z.run("echo")
    j = r.json or {}
    tap.is_((r.status, j.get("outcome"), j.get("stdout"), j.get("stdout_truncated"), j.get("stdout_bytes")),
            (200, "ok", "", True, 3), "output_max 0: nothing kept, all counted; max_body 0: an empty body runs",
            "body: %r" % r.body[:500])
    check_error(tap, z.run("echo", {}), 413, "max_body 0: a body of 2 bytes")
    z.stop(tap)
    z = Worker(skills={"echo": sh_skill("echo hi", input="none")}, settings={"max_files": 0}).start()
    r = z.run("echo", {"files": {"a.txt": "x"}})
    check_error(tap, r, 400, "max_files 0: a file")
    tap.is_((r.json or {}).get("message"), "files: more than 0 files", "... says so")
    tap.is_(z.run("echo", {"files": {}}).status, 200, "max_files 0: an empty files object runs")
    z.stop(tap)

    # --- environment: manifest env replaces the defaults, allowed request env replaces both
    r = w.run("envover", {})
    tap.is_((r.json or {}).get("stdout"), "FOO=from-manifest\nLANG=C\nPATH=/usr/bin:/bin\n",
            "manifest env replaces LANG and PATH (no duplicate entries)")
    r = w.run("envover", {"env": {"FOO": "from-request"}})
    tap.is_((r.json or {}).get("stdout"), "FOO=from-request\nLANG=C\nPATH=/usr/bin:/bin\n",
            "allowed request env replaces the manifest's value (no duplicate entry)")
    r = w.run("envprefix", {"env": {"FO": "from-request"}})
    tap.is_((r.json or {}).get("stdout"),
            "FO=from-request\nFOO=from-manifest\nLAN=x\nLANG=C.UTF-8\nPAT=y\nPATH=/usr/local/bin:/usr/bin:/bin\n",
            "a name that begins another's (LAN, LANG) adds a variable, replaces none")

    # --- the log: one line per request, never the token, never the input
    secret = "input-that-must-not-be-logged-%s" % w.marker
    r = w.run("cat", {"stdin": secret})
    rid = (r.json or {}).get("run_id", "?")
    w.wait_no_leftovers(3.0)
    recs = [x for x in w.records(want=rid) if x.get("run_id") == rid]
    tap.is_(len(recs), 1, "the run is logged once, with its run_id")
    rec = recs[0] if recs else {}
    for k, v in (("status", "200"), ("skill", "cat"), ("outcome", "ok"), ("exit_code", "0"), ("token", "ci")):
        tap.is_(rec.get(k), v, "log record has %s=%s" % (k, v))
    for k in ("peer", "duration_usec", "max_rss_kb"):
        tap.ok(rec.get(k) not in (None, "", "-"), "log record has %s" % k)
    log = w.all_log_text()
    tap.ok(secret not in log, "the skill's input is never logged")
    tap.ok(w.token not in log, "the token is never logged")

    w.stop(tap)
    tokens_wiped(tap)
    stdin_closed_early(tap)


main(body)
