#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The command line (design §8): --version, --help, token, list, check (file and
# key named for every kind of manifest error), run (--input, --request, --arg),
# and `serve` inetd-style: stdin is the socket, exit code 0 for any answered
# request (4xx included), 1 for a 5xx.
import ctypes
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (SH, Worker, b64, build_request, main, new_token,  # noqa: E402
                           parse_responses, probe_skill, py_skill, recv_all, require_python, sh_skill,
                           skillrun_bin)

# Reads 70000 bytes of its input, closes its stdin while the rest is still being written, and
# lives on: the CLI's next write to it fails (EPIPE), and must not kill the CLI (SIGPIPE).
CLOSER = py_skill("import os, time\nn = 0\nwhile n < 70000:\n    b = os.read(0, 70000 - n)\n"
                  "    if not b:\n        break\n    n += len(b)\nos.close(0)\ntime.sleep(0.5)\nprint(n)")


def serve_once(w, request, timeout=30):
    """Run `skillrun serve` with an accepted TCP connection as stdin/stdout (inetd style)."""
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        c = socket.create_connection(ls.getsockname())
        conn, _ = ls.accept()
        p = subprocess.Popen([w.bin, "serve"], stdin=conn, stdout=conn, stderr=subprocess.PIPE, env=w.env(),
                             close_fds=True)
        w.extra_pids.add(str(p.pid))  # its record, where a journal takes it
        conn.close()
        c.sendall(request)
        got = recv_all(c, timeout)
        c.close()
        _, err = p.communicate(timeout=timeout)
    rs = parse_responses(got) if got else []
    return (rs[0].status if rs else None), p.returncode, err.decode(errors="replace")


def serve_gone(w, request, debug):
    """`skillrun serve` with one end of a socketpair as stdin/stdout, the request already sent
    and the other end closed: the answer finds the client gone (EPIPE). SKILLRUN_DEBUG as
    debug (None: unset). Its standard error."""
    a, b = socket.socketpair()
    a.sendall(request)
    a.close()
    env = w.env({} if debug is None else {"SKILLRUN_DEBUG": debug})
    p = subprocess.Popen([w.bin, "serve"], stdin=b, stdout=b, stderr=subprocess.PIPE, env=env, close_fds=True)
    w.extra_pids.add(str(p.pid))  # its record, where a journal takes it
    b.close()
    _, err = p.communicate(timeout=30)
    return err.decode(errors="replace")


def body(tap):
    require_python()
    good = {"echo": sh_skill("cat", description="Echo stdin"),
            "probe": probe_skill(),
            "fail": sh_skill("echo bad >&2; exit 7"),
            "quiet": sh_skill("cat", input="none"),
            "closer": CLOSER,
            "sigs": {"description": "its own signal masks", "command": [shutil.which("cat"), "/proc/self/status"],
                     "policy": "none", "input": "none"}}
    w = Worker(skills=good)

    # --- --version / --help
    p = w.cli("--version")
    tap.is_(p.returncode, 0, "--version exits 0")
    tap.like(p.stdout.decode(), r"^skillrun \d+\.\d+(\.\d+)?", "--version prints 'skillrun X.Y.Z'")
    p = w.cli("--help")
    tap.is_(p.returncode, 0, "--help exits 0")
    for word in ("serve", "run", "check", "list", "token"):
        tap.contains(p.stdout.decode(), word, "--help mentions %s" % word)
    p = w.cli("no-such-command")
    tap.ok(p.returncode != 0 and p.stderr, "an unknown command fails with a message")

    # --- token
    p = w.cli("token", "ci-bot")
    line = p.stdout.decode()
    tap.is_(p.returncode, 0, "token NAME exits 0")
    tap.like(line, r"^ci-bot:[A-Za-z0-9_-]{43,}\n$", "token prints NAME:<43+ base64url chars>")
    tap.isnt(w.cli("token", "ci-bot").stdout.decode(), line, "two tokens differ")
    p = w.cli("token", "bad name:x")
    tap.ok(p.returncode != 0 and p.stderr, "token with an invalid name fails with a message")
    p = w.cli("token")
    tap.ok(p.returncode != 0, "token without a name fails")
    # a name may start with '-' (skillrun(8)): after "--", which an option cannot be confused with
    p = w.cli("token", "--", "-ci")
    tap.is_((p.returncode, p.stdout.decode()[:4], p.stderr.decode()), (0, "-ci:", ""),
            "token -- -ci: a token named '-ci'")
    for args in (("-ci",), ("--verbose",), ("--", "-ci", "x"), ("--",), ("x", "--")):
        p = w.cli("token", *args)
        tap.is_((p.returncode, p.stdout.decode(), p.stderr.decode()),
                (2, "", "skillrun: Usage: skillrun token [--] NAME\n"),
                "token %s: usage, exit 2, no token" % " ".join(args))
    # the generated line is a working tokens file entry
    newtok = line.strip().split(":", 1)[1]

    # --- list
    p = w.cli("list")
    tap.is_(p.returncode, 0, "list exits 0")
    tap.is_(sorted(l.split("\t")[0] for l in p.stdout.decode().splitlines()), sorted(good), "list shows every skill")
    tap.contains(p.stdout.decode(), "Echo stdin", "list shows descriptions")
    wl = Worker(skills={"multi": sh_skill("true", description="first line\nsecond\tpart")})
    p = wl.cli("list")
    tap.is_(p.stdout.decode(), "multi\tfirst line second part\n",
            "list: a description's newline and tab become spaces, one line per skill")
    # so do the C1 controls (CSI, which a terminal acts on as ESC [ is, and NEL) and the Unicode
    # line and paragraph separators, where splitlines() ends a line: as check escapes them
    wl.add_skill("multi", sh_skill("true", description="a\u009b2Jb\u0085c\u2028d\u2029e \u00e9\u2026"))
    p = wl.cli("list")
    tap.is_(p.stdout.decode(), "multi\ta 2Jb c d e \u00e9\u2026\n",
            "list: C1 controls, U+2028 and U+2029 in a description become spaces too, other UTF-8 kept")
    # an error that quotes a key holding a newline is one line too, not a second skill
    wl2 = Worker(skills={}, raw_skills={"nl.json": json.dumps({"command": ["/bin/true"], "x\nok\tfake": 1})})
    p = wl2.cli("list")
    tap.is_((p.returncode, p.stdout.decode()),
            (1, "nl\t(broken: %s: unknown key 'x ok fake')\n" % os.path.join(wl2.skills_dir, "nl.json")),
            "list: a broken skill's error is one line, its newline and tab spaces")
    # check quotes the same key: one line too, with the newline, tab and ESC as \xNN (a manifest
    # cannot forge a line of check's report or send the terminal a control sequence)
    with open(os.path.join(wl2.skills_dir, "esc.json"), "w") as f:
        json.dump({"command": ["/bin/true"], "y\x1b[2J\u2028z": 1}, f, ensure_ascii=False)
    p = wl2.cli("check")
    out = p.stdout.decode(errors="replace")
    tap.is_([l for l in out.splitlines() if l.startswith("error: ")],
            ["error: %s: unknown key 'y\\x1b[2J\\xe2\\x80\\xa8z'" % os.path.join(wl2.skills_dir, "esc.json"),
             "error: %s: unknown key 'x\\x0aok\\x09fake'" % os.path.join(wl2.skills_dir, "nl.json")],
            "check: a key's newline, tab, ESC and U+2028 are written as \\xNN, one line per error", out)
    tap.ok("\x1b" not in out and "\u2028" not in out and all(l.split(":")[0] in (
        "config", "tokens", "error", "ok", "note", "warning", "kernel", "cgroup", "limits", "policy", "2 error(s)")
        for l in out.splitlines()), "check: no raw control character, every line one of the report's", out)

    def run_logs_key(name, key, what):
        """`skillrun run NAME` of a manifest with the unknown key 'key': exit 1, one log line
        quoting it as key (escaped as the log escapes it)"""
        p = wl2.cli("run", name)
        err = p.stderr.decode(errors="replace")
        tap.is_((p.returncode, [l for l in err.splitlines() if "unknown key" in l]),
                (1, ["skillrun: %s: unknown key '%s'" % (os.path.join(wl2.skills_dir, name + ".json"), key)]),
                what, err)

    # a run of that skill logs the same error on one line, ESC escaped too
    run_logs_key("esc", "y\\x1b[2J\\xe2\\x80\\xa8z", "run: the log line quotes the key escaped, on one line")
    # a backslash in what they quote is kept as it is, in check's report and the log's messages
    # alike (skillrun(8)): only the request record's line writes it as \x5c
    os.unlink(os.path.join(wl2.skills_dir, "esc.json"))
    with open(os.path.join(wl2.skills_dir, "bs.json"), "w") as f:
        json.dump({"command": ["/bin/true"], "k\\x0a\\": 1}, f)
    p = wl2.cli("check")
    out = p.stdout.decode(errors="replace")
    tap.is_([l for l in out.splitlines() if "bs.json" in l],
            ["error: %s: unknown key 'k\\x0a\\'" % os.path.join(wl2.skills_dir, "bs.json")],
            "check: a key's backslash is kept as it is", out)
    run_logs_key("bs", "k\\x0a\\", "run: the log line keeps the key's backslash as it is")
    os.unlink(os.path.join(wl2.skills_dir, "bs.json"))
    # a file name that is no UTF-8 (Latin-1 "café"): its byte as \xNN too, where journalctl would
    # show the whole line as "[blob data]" and a terminal may act on a byte such as 0x9b
    latin1 = os.path.join(wl2.skills_dir.encode(), b"caf\xe9.json")
    with open(latin1, "w") as f:
        json.dump({"command": ["/bin/true"]}, f)
    p = wl2.cli("check")
    tap.contains(p.stdout, b"error: %s/caf\\xe9.json: invalid skill name 'caf\\xe9' (want [a-z0-9][a-z0-9_-]{0,63})\n"
                 % wl2.skills_dir.encode(), "check: a file name's byte that is no UTF-8 is written as \\xNN")
    try:
        utf8 = p.stdout.decode("utf-8") is not None
    except UnicodeDecodeError:
        utf8 = False
    tap.ok(utf8, "check: ... and the whole report is UTF-8")
    os.unlink(latin1)
    wl2.stop(None, check=False)
    # a skills dir that cannot be listed is named (a file here: root reads any directory)
    notdir = os.path.join(wl.root, "not-a-dir")
    with open(notdir, "w") as f:
        f.write("x\n")
    p = wl.cli("list", env={"SKILLRUN_SKILLS_DIR": "%s:%s:%s" % (os.path.join(wl.root, "missing"), wl.skills_dir,
                                                                    notdir)})
    tap.is_(p.returncode, 1, "list: a skills dir that cannot be listed is exit 1")
    tap.contains(p.stderr.decode(errors="replace"), "Failed to list skills in '%s': Not a directory" % notdir,
                 "list: ... and names that directory")
    # ... and so does the worker's log for GET /v1/skills, which cannot list them either
    wn = Worker(settings={"skills_dir": "%s:%s" % (wl.skills_dir, notdir)}).start()
    r = wn.get("/v1/skills")
    tap.is_((r.status, (r.json or {}).get("error")), (500, "internal_error"),
            "GET /v1/skills with a skills dir that cannot be listed: 500")
    tap.contains(wn.all_log_text(), "Failed to list skills in '%s': Not a directory" % notdir,
                 "GET /v1/skills: the log names that directory")
    wn.stop(tap)
    # ... and a run of a skill looked for there first blames that entry, not the skill
    wn = Worker(skills={"echo": {"command": ["/bin/echo", "hi"], "input": "none"}})
    wn.settings["skills_dir"] = "%s:%s" % (notdir, wn.skills_dir)
    wn.start()
    p = wn.cli("run", "echo")
    tap.is_(p.returncode, 1, "run: a skills_dir entry that is a file, looked in first: exit 1")
    tap.contains(p.stderr.decode(errors="replace"), "skills_dir entry '%s': not a directory" % notdir,
                 "run: ... naming that entry")
    r = wn.run("echo", {})
    tap.is_(r.status, 500, "... and the worker answers 500")
    tap.contains(wn.all_log_text(), "Skill 'echo' is broken: skills_dir entry '%s': not a directory" % notdir,
                 "... its log naming that entry")
    wn.stop(tap)
    wl.stop(None, check=False)

    # --- check: a good configuration
    p = w.cli("check")
    tap.is_(p.returncode, 0, "check of good manifests exits 0")
    tap.ok(p.stdout, "check prints a report")
    out = p.stdout.decode(errors="replace") if isinstance(p.stdout, bytes) else p.stdout
    mode = re.search(r'^kernel: .*"cgroup":"([a-z0-9]+)"', out, re.M)
    tap.ok(mode and re.search(r"^cgroup: mode: %s \(" % mode.group(1), out, re.M),
           "check says how it found the cgroup mode of the kernel line, on a 'cgroup: mode:' line", out)
    tap.ok(not re.search(r"^cgroup: not used:$", out, re.M), "... each layout not used on its own line, with why")

    # --- run
    inp = os.path.join(w.root, "input.txt")
    with open(inp, "w") as f:
        f.write("from a file\n")
    p = w.cli("run", "echo", "--input", inp)
    tap.is_(p.returncode, 0, "run --input FILE exits 0")
    j = json.loads(p.stdout or b"null") or {}
    tap.is_((j.get("skill"), j.get("outcome"), j.get("stdout")), ("echo", "ok", "from a file\n"),
            "run prints the result JSON; FILE is the skill's stdin")
    # SKILLRUN_LOG_CLI: one record per run, as a served request has; one that cannot start too
    for what, env, want in (("a run", {}, {"status": "0", "skill": "echo", "method": "CLI", "path": "run",
                                           "outcome": "ok", "exit_code": "0"}),
                            ("a run that cannot start", {"SKILLRUN_WORK_DIR": os.path.join(w.root, "no-such-dir")},
                             {"status": "0", "skill": "echo", "method": "CLI", "path": "run"})):
        env = dict(env, SKILLRUN_LOG_CLI="1")
        q = subprocess.Popen([w.bin, "run", "echo", "--input", inp], env=w.env(env), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        w.extra_pids.add(str(q.pid))
        out, err = q.communicate(timeout=60)
        recs = [r for r in w.records(stderr_text=err.decode(errors="replace")) if r.get("method") == "CLI"]
        w.extra_pids.discard(str(q.pid))
        tap.is_([{k: r.get(k) for k in want} for r in recs], [want], "SKILLRUN_LOG_CLI: %s is logged" % what,
                err.decode(errors="replace"))
        if env.get("SKILLRUN_WORK_DIR"):
            tap.is_(q.returncode, 1, "... a run that cannot start is exit 1")
            tap.ok(recs and "work" in (recs[0].get("error") or "") and recs[0].get("outcome") in ("-", ""),
                   "... and its record says why, with no outcome", repr(recs))
    p = w.cli("run", "echo", "--input", "-", input=b"from stdin")
    tap.is_((json.loads(p.stdout or b"null") or {}).get("stdout"), "from stdin", "run --input - reads stdin")
    p = w.cli("run", "probe", "--arg", "a b", "--arg", "--c")
    tap.is_(((json.loads(p.stdout or b"null") or {}).get("output") or {}).get("argv"), ["a b", "--c"],
            "run --arg appends arguments")
    # descriptors the caller left open without close-on-exec (a shell's 3<file, a supervisor's
    # stray fd 1000) do not reach the skill: neither fd 3, the first one closed, nor one above
    # every descriptor the sandbox keeps until execve
    inherit = ("import os, sys\nfd = os.open('/dev/null', os.O_RDONLY)\nfor n in (3, 1000):\n"
               "    if n != fd:\n        os.dup2(fd, n)\n    os.set_inheritable(n, True)\n"
               "os.execv(sys.argv[1], sys.argv[1:])\n")
    p = subprocess.run([sys.executable, "-c", inherit, w.bin, "run", "probe"], capture_output=True,
                       env=w.env(None), timeout=60)
    tap.is_(((json.loads(p.stdout or b"null") or {}).get("output") or {}).get("fds"), [0, 1, 2],
            "run started with fds 3 and 1000 open: only 0-2 reach the skill", p.stderr.decode(errors="replace"))
    req = os.path.join(w.root, "req.json")
    with open(req, "w") as f:
        json.dump({"input": {"k": [1]}, "args": ["x"]}, f)
    p = w.cli("run", "probe", "--request", req)
    out = (json.loads(p.stdout or b"null") or {}).get("output") or {}
    tap.is_((out.get("argv"), out.get("stdin")), (["x"], "eyJrIjpbMV19"), "run --request FILE: a whole run request")
    p = w.cli("run", "probe", "--request", req, "--arg", "y", "--arg", "z")
    tap.is_(((json.loads(p.stdout or b"null") or {}).get("output") or {}).get("argv"), ["x", "y", "z"],
            "run --request FILE --arg: the request's args, then the options'")
    p = w.cli("run", "fail")
    j = json.loads(p.stdout or b"null") or {}
    tap.is_((p.returncode, j.get("outcome"), j.get("exit_code"), j.get("stderr")), (0, "failed", 7, "bad\n"),
            "run of a failing skill: exit 0 (the run happened), outcome failed")
    tap.ok(not os.listdir(w.work_dir), "run leaves no work dir behind")
    big = os.path.join(w.root, "big.txt")
    with open(big, "wb") as f:
        f.write(b"i" * 900000)
    p = w.cli("run", "closer", "--input", big)
    j = json.loads(p.stdout or b"null") or {}
    tap.is_((p.returncode, j.get("outcome"), j.get("exit_code"), j.get("stdout")), (0, "ok", 0, "70000\n"),
            "run --input of 900 KB to a skill that closes its stdin after 70000: exit 0, outcome ok",
            "rc %d, stderr %r" % (p.returncode, p.stderr[-500:]))
    dirs = os.listdir(w.work_dir)
    tap.is_(dirs, [], "... no work dir left")
    tap.is_(w.run_cgroups(dirs + ["skillrun-" + str(j.get("run_id"))]), [], "... no run cgroup left")
    rfd, wfd = os.pipe()
    os.close(rfd)
    p = subprocess.run([w.bin, "run", "echo", "--input", inp], stdout=wfd, stderr=subprocess.PIPE, env=w.env(),
                       timeout=60)
    os.close(wfd)
    tap.ok(p.returncode == 1 and b"Failed to write the result" in p.stderr and not os.listdir(w.work_dir),
           "run with its stdout closed: exit 1, a message, no work dir left",
           "rc %d, stderr %r" % (p.returncode, p.stderr[-500:]))
    p = w.cli("run", "nope")
    tap.ok(p.returncode == 1 and b"nope" in p.stderr and not p.stdout, "run of an unknown skill: exit 1, message",
           "rc %d, stderr %r" % (p.returncode, p.stderr))
    p = w.cli("run", "echo", "--input", os.path.join(w.root, "missing"))
    tap.ok(p.returncode != 0 and p.stderr, "run --input of a missing file fails with a message")
    # "-" with standard input closed (<&-) reads no input: it is missing, not empty (the /dev/null
    # skillrun puts in its place is no input anybody gave), and nothing is run
    for opt in ("--input", "--request"):
        p = subprocess.run([w.bin, "run", "echo", opt, "-"], capture_output=True, env=w.env(), timeout=60,
                           stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(0))
        tap.is_((p.returncode, p.stdout, p.stderr.decode(errors="replace")),
                (1, b"", "skillrun: %s -: standard input is closed\n" % opt),
                "run %s - with standard input closed: exit 1, a message, nothing run" % opt)
    # more than max_body: the setting named, not the file system's "File too large"
    p = w.cli("run", "echo", "--input", inp, env={"SKILLRUN_MAX_BODY": "4"})
    tap.ok(p.returncode == 1 and ("'%s' is larger than max_body (4)" % inp).encode() in p.stderr and not p.stdout,
           "run --input FILE over max_body: exit 1 naming the file and max_body", repr(p.stderr))
    p = w.cli("run", "echo", "--request", "-", input=b'{"stdin": "x"}', env={"SKILLRUN_MAX_BODY": "1K"})
    tap.is_((p.returncode, (json.loads(p.stdout or b"null") or {}).get("stdout")), (0, "x"),
            "run --request - within max_body runs")
    p = w.cli("run", "echo", "--request", "-", input=b" " * 1025 + b"{}", env={"SKILLRUN_MAX_BODY": "1K"})
    tap.ok(p.returncode == 1 and b"Standard input is larger than max_body (1K)" in p.stderr and not p.stdout,
           "run --request - over max_body: exit 1 naming standard input and max_body", repr(p.stderr))
    p = w.cli("run", "quiet", "--input", inp)
    tap.ok(p.returncode != 0 and p.stderr, "run --input for a skill with input none fails")
    bad = os.path.join(w.root, "bad.json")
    with open(bad, "w") as f:
        f.write('{"bogus": 1}')
    p = w.cli("run", "echo", "--request", bad)
    tap.ok(p.returncode != 0 and b"bogus" in p.stderr, "run --request with an unknown field: fails naming it",
           repr(p.stderr))
    # a request written out over lines: the JSON error says where
    with open(bad, "w") as f:
        f.write('{\n  "stdin": "x",\n  "args" ["a"]\n}')
    p = w.cli("run", "echo", "--request", bad)
    tap.is_((p.returncode, p.stderr.decode(errors="replace")),
            (1, "skillrun: %s: request body is not valid JSON: no ':' after an object key (line 3, column 10)\n" % bad),
            "run --request with a JSON error: exit 1, the file, the line and the column")
    p = w.cli("run")
    tap.ok(p.returncode != 0, "run without a name fails")

    # A skill starts with every signal at its default and none blocked, whatever the worker
    # inherited: ignored signals survive execve (nohup, a shell's background job), and the worker
    # itself ignores SIGPIPE. Real-time signals too, up to the last.
    # And 32 and 33, which glibc keeps for itself and will not set (nor reset) through signal():
    # GNU make runs its recipes with them ignored, so under `make check` every worker has them.
    inherited = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGRTMIN + 3, signal.SIGRTMAX]
    raw_rt_sigaction = {"x86_64": 13, "i686": 174, "i386": 174, "aarch64": 134, "riscv64": 134,
                        "armv7l": 174, "ppc64le": 173}.get(os.uname().machine)
    libc = ctypes.CDLL(None, use_errno=True)

    def ignore_some():
        for s in inherited:
            signal.signal(s, signal.SIG_IGN)
        # the kernel's struct sigaction starts with the handler on these: SIG_IGN, no flags or mask
        ign = (ctypes.c_void_p * 8)(1)
        for s in (32, 33) if raw_rt_sigaction else ():
            libc.syscall(raw_rt_sigaction, s, ign, None, 8)

    p = subprocess.run([w.bin, "run", "sigs"], capture_output=True, env=w.env(), timeout=60, preexec_fn=ignore_some)
    out = (json.loads(p.stdout or b"null") or {}).get("stdout") or ""
    masks = dict(line.split(":\t", 1) for line in out.splitlines() if line.startswith(("SigIgn:", "SigCgt:", "SigBlk:")))
    tap.is_(masks, {"SigIgn": "0" * 16, "SigCgt": "0" * 16, "SigBlk": "0" * 16},
            "a skill of a worker started with %d signals ignored ignores, catches and blocks none"
            % (len(inherited) + (2 if raw_rt_sigaction else 0)),
            "rc %d, stderr %r" % (p.returncode, p.stderr[-300:]))

    # SIGCHLD ignored survives execve too, and would have the kernel reap the skill behind the
    # worker's back: its run must still end when the skill does, with its exit status
    try:
        p = subprocess.run([w.bin, "run", "fail"], capture_output=True, env=w.env(), timeout=20,
                           preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
        j = json.loads(p.stdout or b"null") or {}
        got = (p.returncode, j.get("outcome"), j.get("exit_code"), j.get("stderr"))
    except subprocess.TimeoutExpired:
        got = "no result within 20 s"
    tap.is_(got, (0, "failed", 7, "bad\n"), "a worker started with SIGCHLD ignored: the run ends with the skill")
    tap.is_(w.wait_no_leftovers(3.0), ([], []), "... and leaves nothing behind")

    # The work dir is 0700 and the request's files 0600 whatever umask the worker inherited
    # (under 0277 the skill could not write its work dir, under 0777 not even enter it)
    req = os.path.join(w.root, "files.json")
    with open(req, "w") as f:
        json.dump({"files": {"in.txt": b64(b"hi")}}, f)
    for mask in (0o277, 0o777):
        p = subprocess.run([w.bin, "run", "probe", "--request", req], capture_output=True, env=w.env(), timeout=60,
                           preexec_fn=lambda: os.umask(mask))
        j = json.loads(p.stdout or b"null") or {}
        out = j.get("output") or {}
        tap.is_((j.get("outcome"), out.get("cwd_mode"), out.get("files")), ("ok", "700", {"in.txt": b64(b"hi")}),
                "a worker started with umask %04o: work dir 0700, its files readable" % mask,
                "stderr %r" % (j.get("stderr") or p.stderr)[-300:])
    # ... also for a worker without capabilities, as under the unit: it cannot open a work dir
    # made 0000 by the umask at all
    if os.geteuid() == 0:
        wn = Worker(skills={"probe": probe_skill()}, user="nobody")
        reqn = os.path.join(wn.root, "files.json")
        with open(reqn, "w") as f:
            json.dump({"files": {"in.txt": b64(b"hi")}}, f)
        p = subprocess.run(wn.as_user([wn.bin, "run", "probe", "--request", reqn]), capture_output=True,
                           env=wn.env(), timeout=60, preexec_fn=lambda: os.umask(0o777))
        j = json.loads(p.stdout or b"null") or {}
        out = j.get("output") or {}
        tap.is_((j.get("outcome"), out.get("cwd_mode"), out.get("files")), ("ok", "700", {"in.txt": b64(b"hi")}),
                "a worker as nobody started with umask 0777: work dir 0700, its files readable",
                "stderr %r" % (j.get("stderr") or p.stderr)[-300:])
        wn.stop(None, check=False)
    else:
        tap.skip("the umask case as nobody: the suite runs as uid %d, the cases above were it" % os.geteuid())

    # --- serve, inetd style (stdin is the socket), and its exit codes
    tap_token = w.token
    status, rc, err = serve_once(w, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    tap.is_((status, rc), (200, 0), "serve with a socket on stdin: 200, exit 0")
    status, rc, err = serve_once(w, build_request("POST", "/v1/skills/echo/run", {"stdin": "hi"}, token=tap_token))
    tap.is_((status, rc), (200, 0), "serve: a run, exit 0")
    status, rc, err = serve_once(w, build_request("POST", "/v1/skills/fail/run", {}, token=tap_token))
    tap.is_((status, rc), (200, 0), "serve: a failing skill is still exit 0")
    status, rc, err = serve_once(w, b"GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
    tap.is_((status, rc), (401, 0), "serve: 401 is exit 0 (a client's mistake is not a failed worker)")
    status, rc, err = serve_once(w, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
    tap.is_((status, rc), (404, 0), "serve: 404 is exit 0")
    status, rc, err = serve_once(w, b"garbage\r\n\r\n")
    tap.is_((status, rc), (400, 0), "serve: 400 is exit 0")
    tap.ok(any(r.get("status") == "400" for r in w.records(stderr_text=err)),
           "serve logs the request (stderr without a journal)", err)
    # SKILLRUN_DEBUG set, to anything ("0" and "" too), adds the debug messages: here that the
    # answer found the client gone
    for debug in (None, "1", "0", ""):
        err = serve_gone(w, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", debug)
        tap.is_("skillrun: Writing the response failed: Broken pipe\n" in err, debug is not None,
                "SKILLRUN_DEBUG %s: the debug message that the client did not take the answer %s" %
                ("unset" if debug is None else "%r" % debug, "not written" if debug is None else "written"), err)
    with open(os.path.join(w.skills_dir, "broken.json"), "w") as f:
        f.write('{"command": ["/bin/true"], "timeout_ms": "soon"}')
    status, rc, err = serve_once(w, build_request("POST", "/v1/skills/broken/run", {}, token=tap_token))
    tap.is_((status, rc), (500, 1), "serve: a broken manifest is 500 and exit 1")
    tap.contains(w.all_log_text(stderr_text=err), "timeout_ms", "... and the reason is logged")
    os.unlink(os.path.join(w.skills_dir, "broken.json"))
    # a token made by `skillrun token` works
    with open(w.tokens_file, "a") as f:
        f.write(line)
    status, rc, err = serve_once(w, build_request("GET", "/v1/info", token=newtok))
    tap.is_((status, rc), (200, 0), "a token made by 'skillrun token' authenticates")
    w.stop(tap)

    # --- check: every kind of manifest error names the file and the key
    cases = [
        ("unknown.json", {"command": ["/bin/true"], "bogus": 1}, "bogus"),
        ("wrongtype.json", {"command": ["/bin/true"], "timeout_ms": "soon"}, "timeout_ms"),
        ("relative.json", {"command": ["bin/true"]}, "command"),
        ("nocommand.json", {"description": "x"}, "command"),
        ("emptycmd.json", {"command": []}, "command"),
        ("ceiling.json", {"command": ["/bin/true"], "timeout_ms": 10 ** 9}, "timeout_ms"),
        ("memceiling.json", {"command": ["/bin/true"], "memory_max": "64G"}, "memory_max"),
        ("badsize.json", {"command": ["/bin/true"], "output_max": "12Q"}, "output_max"),
        ("badpolicy.json", {"command": ["/bin/true"], "policy": "lax"}, "policy"),
        ("badinput.json", {"command": ["/bin/true"], "input": "socket"}, "input"),
        ("badoutput.json", {"command": ["/bin/true"], "output": "xml"}, "output"),
        ("badenv.json", {"command": ["/bin/true"], "env": {"A": 1}}, "env"),
        ("badallow.json", {"command": ["/bin/true"], "allow_env": "FOO"}, "allow_env"),
        ("badtokens.json", {"command": ["/bin/true"], "tokens": [1]}, "tokens"),
        ("badcode.json", {"command": ["/bin/true"], "accepts_code": "yes"}, "accepts_code"),
        ("badcodefile.json", {"command": ["/bin/true"], "accepts_code": True, "code_file": "../x"}, "code_file"),
        ("badnet.json", {"command": ["/bin/true"], "network": "no"}, "network"),
        ("badpaths.json", {"command": ["/bin/true"], "read_paths": ["relative/path"]}, "read_paths"),
        ("notobject.json", ["/bin/true"], None),
        ("restrictnet.json", {"command": ["/bin/true"], "policy": "restrictive", "network": True}, "network"),
        ("zerowork.json", {"command": ["/bin/true"], "workdir_max": 0}, "workdir_max"),
        ("gonecmd.json", {"command": ["/nonexistent/skillrun-test-prog"]}, "command"),
        ("noexeccmd.json", {"command": ["/etc/passwd"]}, "command"),
    ]
    for fname, manifest, key in cases:
        wb = Worker(skills={}, raw_skills={"ok.json": json.dumps({"command": ["/bin/true"]}),
                                           fname: json.dumps(manifest)})
        p = wb.cli("check")
        out = (p.stdout + p.stderr).decode(errors="replace")
        tap.is_(p.returncode, 1, "check: %s exits 1" % fname)
        path = os.path.join(wb.skills_dir, fname)
        errline = next((l for l in out.splitlines() if fname in l and "ok:" not in l[:3]), "")
        tap.contains(errline, path, "check names the file of %s" % fname)
        if key == "bogus":
            tap.like(errline, r"%s:.*\b%s\b" % (re.escape(path), re.escape(key)),
                     "check names the unknown key %s in %s" % (key, fname))
        elif key:
            tap.like(errline, r"%s:\s*%s\b" % (re.escape(path), re.escape(key)),
                     "check says '<file>: %s: why' for %s" % (key, fname))
        wb.stop(None, check=False)

    # a key given twice: json-c would keep the last, which need not be the one the operator read
    wb = Worker(skills={}, raw_skills={"twice.json": '{"command": ["/bin/true"],\n "timeout_ms": 5,\n "timeout_ms": 600000}'})
    p = wb.cli("check")
    tap.is_(p.returncode, 1, "check: a key given twice exits 1")
    tap.contains((p.stdout + p.stderr).decode(errors="replace"),
                 "%s:3: key 'timeout_ms' given twice" % os.path.join(wb.skills_dir, "twice.json"),
                 "check names the file, line and key given twice")
    wb.stop(None, check=False)

    # ...and a run of such a skill stops before exec, with the step and errno in the result
    wb = Worker(skills={}, raw_skills={"gone.json": json.dumps({"command": ["/nonexistent/skillrun-test-prog"],
                                                                "input": "none"})})
    p = wb.cli("run", "gone")
    try:
        res = json.loads(p.stdout)
    except ValueError:
        res = {}
    tap.is_((p.returncode, res.get("outcome"), res.get("sandbox_error"), res.get("exit_code")),
            (0, "sandbox_error", "execve: No such file or directory", None),
            "run of a missing command: outcome sandbox_error naming execve and ENOENT", p.stderr)
    wb.stop(None, check=False)

    # what is no manifest is no error, as the loader skips it too: ".json" alone, other suffixes
    wb = Worker(skills={}, raw_skills={"ok.json": json.dumps({"command": ["/bin/true"]}), ".json": "junk",
                                       "notes.txt": "junk", "ok.json.bak": "junk"})
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: '.json', 'notes.txt' and 'ok.json.bak' are no manifests", out)
    tap.ok("junk" not in out and ".txt" not in out and ".bak" not in out and "'.json" not in out,
           "... and check says nothing of them", out)
    wb.stop(None, check=False)

    # a FIFO, a directory or an oversized file named like a manifest: check names the file and
    # does not hang on the FIFO (the loader opens them the same way)
    wb = Worker(skills={}, raw_skills={"ok.json": json.dumps({"command": ["/bin/true"]}),
                                       "big.json": " " * (1 << 20) + "{}"})
    os.mkfifo(os.path.join(wb.skills_dir, "fifo.json"))
    os.mkdir(os.path.join(wb.skills_dir, "dir.json"))
    # regular by its type, but the kernel's: a symlink to /proc/kmsg would block check as root and
    # take the kernel's messages from syslog (a harmless file of /proc stands in for it)
    os.symlink("/proc/self/status", os.path.join(wb.skills_dir, "kern.json"))
    p = wb.cli("check", timeout=20)
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 1, "check: a FIFO, a directory, a file of /proc and a big file named *.json exit 1", out)
    for name, why in (("fifo.json", "not a regular file"), ("dir.json", "not a regular file"),
                      ("kern.json", "a file of the kernel's (/proc, /sys), not a manifest"),
                      ("big.json", "larger than 1048576 bytes")):
        tap.contains(out, "error: %s: %s" % (os.path.join(wb.skills_dir, name), why),
                     "check names %s and says why" % name)
    # list shows them as the worker serves them: broken skills (500), a directory too, so that a
    # directory named like a manifest does not hide from list while shadowing a later one
    p = wb.cli("list", timeout=20)
    out = p.stdout.decode(errors="replace")
    tap.is_(p.returncode, 1, "list: a FIFO or a directory named *.json is a broken skill, exit 1", p.stderr)
    for name in ("fifo", "dir"):
        tap.contains(out, "%s\t(broken: %s: not a regular file)\n" % (name, os.path.join(wb.skills_dir, name + ".json")),
                     "list shows %s.json as broken" % name)

    # ... and neither they nor the worker open what is no regular file: a device's open(2) can act
    # (a watchdog starts, a tape rewinds on close), and a skills dir shared with a deploy user
    # can hold a symlink to one. Seen with the FIFO: a writer blocked in open(2) wakes up only
    # once a reader opens it.
    fifo = os.path.join(wb.skills_dir, "fifo.json")

    def opened_by(what, action):
        woke = threading.Event()
        writer = threading.Thread(target=lambda: (os.close(os.open(fifo, os.O_WRONLY)), woke.set()))
        writer.start()
        action()
        opened = woke.wait(0.5)
        if not opened:  # the writer's open returns once we are the reader
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join()
        tap.ok(not opened, "%s does not open a FIFO named *.json (a writer waiting in open(2) still waits)" % what)

    opened_by("check", lambda: wb.cli("check", timeout=20))
    opened_by("list", lambda: wb.cli("list", timeout=20))
    wb.start()
    opened_by("GET /v1/skills/fifo", lambda: tap.is_(wb.get("/v1/skills/fifo").status, 500,
                                                     "GET /v1/skills/fifo: 500, a broken skill"))
    wb.stop(None, check=False)

    # a dangling symlink named like a manifest: the worker looks on in the next directory, and
    # check says so without calling it an error
    wb = Worker(skills={}, raw_skills={"ok.json": json.dumps({"command": ["/bin/true"]})})
    os.symlink("/nonexistent/gone.json", os.path.join(wb.skills_dir, "gone.json"))
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a dangling symlink is no error", out)
    tap.contains(out, "note: %s: no such file, skipped" % os.path.join(wb.skills_dir, "gone.json"),
                 "... it is noted and skipped, as the worker skips it")
    p = wb.cli("list")
    tap.is_((p.returncode, p.stdout.decode(errors="replace")), (0, "ok\t\n"),
            "list: a dangling symlink is no skill and no broken one either", p.stderr)
    # ... nor for the worker: GET /v1/skills lists the others and logs nothing about it
    wb.start()
    r = wb.get("/v1/skills")
    tap.is_((r.status, [s.get("name") for s in (r.json or {}).get("skills", [])]), (200, ["ok"]),
            "GET /v1/skills: a dangling symlink is no skill")
    tap.ok("gone" not in wb.all_log_text(), "GET /v1/skills: ... and no broken one in the log", wb.all_log_text())
    wb.stop(tap)

    # a skills_dir written with a final '/': check names the manifest as the worker does, with one
    wb = Worker(skills={}, raw_skills={"one.json": json.dumps({"command": ["/bin/true"]})})
    wb.settings["skills_dir"] = wb.skills_dir + "/"
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.ok(p.returncode == 0 and "ok: one (%s/one.json, " % wb.skills_dir in out and "//" not in out,
           "check: a skills_dir with a final '/' names DIR/one.json, not DIR//one.json", out)
    wb.stop(None, check=False)

    # the same skill in two directories: the earlier wins, for check as for the worker; the later
    # one is noted, and not checked (broken here, it is no error)
    wb = Worker(skills={}, raw_skills={"dup.json": json.dumps({"command": ["/bin/true"]})})
    later = os.path.join(wb.root, "later")
    os.mkdir(later)
    with open(os.path.join(later, "dup.json"), "w") as f:
        f.write("{broken")
    wb.settings["skills_dir"] = "%s:%s" % (wb.skills_dir, later)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a skill shadowed by an earlier directory is no error", out)
    ok_at = out.find("ok: dup (%s/dup.json, policy permissive)\n" % wb.skills_dir)
    note_at = out.find("note: %s/dup.json: shadowed by an earlier directory\n" % later)
    tap.ok(0 <= ok_at < note_at, "check: the earlier one is checked, the later one noted after it", out)
    wb.stop(None, check=False)

    # a script whose #! interpreter does not exist: every run would end in "execve: No such file
    # or directory", so check says so, as of a missing command; an interpreter that is there (and
    # env, which finds its program only when run) passes
    wb = Worker(skills={})
    for name, first in (("gone", "#!/nonexistent/python9"), ("there", "#!/bin/sh"), ("viaenv", "#!/usr/bin/env nope9"),
                        ("notdir", "#!/bin/sh/python9")):
        os.mkdir(os.path.join(wb.skills_dir, name))
        script = os.path.join(wb.skills_dir, name, name + ".sh")
        with open(script, "w") as f:
            f.write(first + "\nexit 0\n")
        os.chmod(script, 0o755)
        with open(os.path.join(wb.skills_dir, name + ".json"), "w") as f:
            json.dump({"command": [script]}, f)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 1, "check: a script whose #! interpreter is missing is an error", out)
    tap.contains(out, "error: %s/gone.json: command: '%s/gone/gone.sh': the interpreter its #! line names, "
                 "'/nonexistent/python9', does not exist\n" % (wb.skills_dir, wb.skills_dir), "check: ... naming both")
    # a path through a file: ENOTDIR, not ENOENT, from the kernel, the same mistake
    tap.contains(out, "error: %s/notdir.json: command: '%s/notdir/notdir.sh': the interpreter its #! line names, "
                 "'/bin/sh/python9', does not exist\n" % (wb.skills_dir, wb.skills_dir),
                 "check: ... and of one whose path leads through a file")
    r = wb.cli("run", "notdir")
    j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
    tap.is_((j.get("outcome"), j.get("sandbox_error")),
            ("sandbox_error", "execve: Not a directory (the interpreter its #! line names, '/bin/sh/python9')"),
            "run: ... and a run of it names that interpreter", r.stdout.decode(errors="replace"))
    tap.ok("ok: there (" in out and "ok: viaenv (" in out, "check: ... other scripts pass", out)
    wb.stop(None, check=False)

    # ... and the kernel follows the chain further: an interpreter that is itself a script needs
    # its own interpreter, each one a file with an execute bit, and the last one ELF; a file with
    # no #! line (a shell runs it, execve(2) does not) is "Exec format error". Check follows the
    # chain too, and says what each run of these ends in; a chain three deep passes
    wb = Worker(skills={})
    lib = os.path.join(wb.root, "lib")
    os.mkdir(lib)
    os.chmod(lib, 0o755)
    files = {"deep1": "#!%s/deep2\n" % lib, "deep2": "#!/nonexistent/sh9\n", "ok1": "#!%s/ok2\n" % lib,
             "ok2": "#!/bin/sh\nexit 0\n", "plain": "exit 0\n", "readonly": "#!/bin/sh\nexit 0\n"}
    for i in range(1, 6):  # nest1 runs /bin/sh, nest2 nest1, ...: the command on nest5 is six deep
        files["nest%d" % i] = "#!%s\nexit 0\n" % (os.path.join(lib, "nest%d" % (i - 1)) if i > 1 else "/bin/sh")
    for name, text in files.items():
        with open(os.path.join(lib, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(lib, name), 0o644 if name == "readonly" else 0o755)
    binfmt = [e for e in (os.listdir("/proc/sys/fs/binfmt_misc") if os.path.isdir("/proc/sys/fs/binfmt_misc") else [])
              if e not in ("register", "status")]
    cases = {  # name: first line, what check says, the run's sandbox_error (None: it runs)
        # the run's sandbox_error names it too
        "deep": ("#!%s/deep1" % lib, "'/nonexistent/sh9', the interpreter the #! line of '%s/deep2' names, does not "
                 "exist" % lib, "execve: No such file or directory (the interpreter the #! line of '%s/deep2' names, "
                 "'/nonexistent/sh9')" % lib),
        "chain3": ("#!%s/ok1" % lib, None, None),
        # five nested scripts the kernel executes, six not: ELOOP
        "nest5": ("#!%s/nest4" % lib, None, None),
        "nest6": ("#!%s/nest5" % lib, "its #! line leads through more than five nested scripts ('%s/nest1' is the "
                  "sixth), more than the kernel executes: every run would end in sandbox_error \"execve: Too many "
                  "levels of symbolic links\"" % lib, "execve: Too many levels of symbolic links"),
        "readonly": ("#!%s/readonly" % lib, "the interpreter its #! line names, '%s/readonly', is not an executable "
                     "file: every run would end in sandbox_error \"execve: Permission denied\"" % lib,
                     "execve: Permission denied"),
        "dirinterp": ("#!%s" % lib, "the interpreter its #! line names, '%s', is not an executable file: every run "
                      "would end in sandbox_error \"execve: Permission denied\"" % lib, "execve: Permission denied"),
    }
    if binfmt:  # a binfmt_misc handler may take a file without a #! line: check says nothing of them
        tap.skip("binfmt_misc has handlers (%s): no Exec format error to foresee" % ", ".join(binfmt))
    else:
        cases["noshebang"] = ("", "it is neither an ELF binary nor a script with a #! line: every run would end in "
                              "sandbox_error \"execve: Exec format error\"", "execve: Exec format error")
        cases["plaininterp"] = ("#!%s/plain" % lib, "the interpreter its #! line names, '%s/plain', is neither an ELF "
                                "binary nor a script with a #! line: every run would end in sandbox_error \"execve: "
                                "Exec format error\"" % lib, "execve: Exec format error")
    for name, (first, _, _) in cases.items():
        os.mkdir(os.path.join(wb.skills_dir, name))
        script = os.path.join(wb.skills_dir, name, "run")
        with open(script, "w") as f:
            f.write((first + "\n" if first else "") + "exit 0\n")
        os.chmod(script, 0o755)
        with open(os.path.join(wb.skills_dir, name + ".json"), "w") as f:
            json.dump({"command": [script], "policy": "none"}, f)
    # an ELF binary of another machine (arm64's on x86-64; x86-64's elsewhere), as a release
    # download of the wrong architecture is: the kernel refuses it too
    if not binfmt:
        cases["foreign"] = (None, "it is an ELF file this machine does not execute (another architecture's, or no "
                            "program): every run would end in sandbox_error \"execve: Exec format error\"",
                            "execve: Exec format error")
        os.mkdir(os.path.join(wb.skills_dir, "foreign"))
        with open(os.path.realpath(shutil.which("true")), "rb") as f:
            elf = bytearray(f.read())
        elf[18:20] = (183 if os.uname().machine == "x86_64" else 62).to_bytes(2, sys.byteorder)  # e_machine
        with open(os.path.join(wb.skills_dir, "foreign", "run"), "wb") as f:
            f.write(elf)
        os.chmod(os.path.join(wb.skills_dir, "foreign", "run"), 0o755)
        with open(os.path.join(wb.skills_dir, "foreign.json"), "w") as f:
            json.dump({"command": [os.path.join(wb.skills_dir, "foreign", "run")], "policy": "none"}, f)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 1, "check: a #! chain the kernel would refuse is an error", out)
    for name, (_, said, failure) in cases.items():
        if said is None:
            tap.contains(out, "ok: %s (" % name, "check: %s: ok" % name)
        else:
            tap.contains(out, "error: %s/%s.json: command: '%s/%s/run': %s\n" % (wb.skills_dir, name, wb.skills_dir,
                                                                                name, said),
                         "check: %s: an error naming what the kernel would refuse" % name)
        r = wb.cli("run", name)
        j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
        want = ("ok", None) if failure is None else ("sandbox_error", failure)
        tap.is_((j.get("outcome"), j.get("sandbox_error")), want, "... and a run of %s: %s" % (name, want),
                r.stderr.decode(errors="replace"))
    wb.stop(None, check=False)

    # ... and a #! line may name what is no regular file: check reads the head of what it names
    # for a #! line of its own, but opens only a regular file (a device's open(2) can act, and
    # check runs as root). Seen with a FIFO: a writer blocked in open(2) wakes once a reader opens it.
    wb = Worker(skills={})
    fifo = os.path.join(wb.skills_dir, "interp.fifo")
    os.mkfifo(fifo)
    script = os.path.join(wb.skills_dir, "fifo.sh")
    with open(script, "w") as f:
        f.write("#!%s\nexit 0\n" % fifo)
    os.chmod(script, 0o755)
    with open(os.path.join(wb.skills_dir, "fifo.json"), "w") as f:
        json.dump({"command": [script]}, f)
    woke = threading.Event()
    writer = threading.Thread(target=lambda: (os.close(os.open(fifo, os.O_WRONLY)), woke.set()))
    writer.start()
    p = wb.cli("check", timeout=20)
    opened = woke.wait(0.5)
    if not opened:  # the writer's open returns once we are the reader
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    writer.join()
    tap.ok(not opened, "check does not open a FIFO a script's #! line names (a writer waiting in open(2) still "
           "waits)", (p.stdout + p.stderr).decode(errors="replace"))
    wb.stop(None, check=False)

    # what landlock's rules leave out cannot be executed: under permissive only what lies in the
    # system directories, the skill's own directory and its read or write paths, under
    # restrictive the command and what it needs by themselves, and under neither what lies in a
    # skills directory (other skills' manifests). Every run would end in sandbox_error "execve:
    # Permission denied": check says so, as of a missing command, and each run shows it right.
    wb = Worker(skills={})
    opt = os.path.join(wb.root, "opt")
    os.mkdir(opt)
    os.chmod(opt, 0o755)
    tool = os.path.join(opt, "tool")
    shutil.copy("/bin/true", tool)
    shell = os.path.join(opt, "sh")
    shutil.copy(SH, shell)
    # a symlink not root's grants nothing (a deploy user's "current" link, say)
    userlink = os.path.join(wb.root, "userlink")
    os.symlink(opt, userlink)
    if os.geteuid() == 0:
        os.lchown(userlink, 65534, 65534)
    loose = os.path.join(wb.skills_dir, "loose.sh")
    own = os.path.join(wb.skills_dir, "own", "own.sh")
    viaopt = os.path.join(wb.skills_dir, "viaopt", "viaopt.sh")
    for script, first in ((loose, "#!/bin/sh"), (own, "#!/bin/sh"), (viaopt, "#!" + shell)):
        os.makedirs(os.path.dirname(script), exist_ok=True)
        with open(script, "w") as f:
            f.write(first + "\nexit 0\n")
        os.chmod(script, 0o755)
    cases = {  # name: manifest, the path check names as not executable (None: ok)
        "outside": ({"command": [tool]}, tool),
        "outsideread": ({"command": [tool], "read_paths": [opt]}, None),
        "outsidewrite": ({"command": [tool], "write_paths": [opt]}, None),
        "userlink": ({"command": [tool], "read_paths": [userlink]}, tool),
        "outsiderestr": ({"command": [tool], "policy": "restrictive"}, None),
        "inskills": ({"command": [loose]}, loose),
        "inskillsrestr": ({"command": [loose], "policy": "restrictive"}, loose),
        "own": ({"command": [own]}, None),
        "viaopt": ({"command": [viaopt]}, shell),
    }
    if os.geteuid() == 0:
        # the own directory a link of root's to another in the skills directory (a packaged
        # skill's "current" version): granted by that name, as the rules grant it
        os.mkdir(os.path.join(wb.skills_dir, "versioned-1.2"))
        os.symlink("versioned-1.2", os.path.join(wb.skills_dir, "versioned"))
        versioned = os.path.join(wb.skills_dir, "versioned", "run.sh")
        with open(versioned, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(versioned, 0o755)
        cases["versioned"] = ({"command": [versioned]}, None)
        # …but not through a link not root's (another user's in a skills directory of theirs, a
        # Stow-style own directory): as a read path through one, it grants nothing
        os.mkdir(os.path.join(wb.skills_dir, "foreign-1.2"))
        os.symlink("foreign-1.2", os.path.join(wb.skills_dir, "foreign"))
        os.lchown(os.path.join(wb.skills_dir, "foreign"), 65534, 65534)
        foreign = os.path.join(wb.skills_dir, "foreign", "run.sh")
        with open(foreign, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(foreign, 0o755)
        cases["foreign"] = ({"command": [foreign]}, foreign)
    for name, (manifest, denied) in cases.items():
        with open(os.path.join(wb.skills_dir, name + ".json"), "w") as f:
            json.dump(manifest, f)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 1, "check: a command the policy's landlock rules leave out is an error", out)
    for name, (manifest, denied) in cases.items():
        policy = manifest.get("policy", "permissive")
        if denied is None:
            tap.contains(out, "ok: %s (" % name, "check: %s: ok" % name)
        else:
            what = "it" if denied == manifest["command"][0] else \
                "'%s', which running it needs (its #! interpreter or the loader)" % denied
            tap.contains(out, "error: %s/%s.json: command: '%s': policy %s does not let the skill execute %s (%s "
                         "its own directory '%s/%s/', read_paths and write_paths are granted, through root's "
                         "symlinks only; never a skills "
                         "directory, the work root or skillrun's files): every run would end in sandbox_error "
                         "\"execve: Permission denied\"\n"
                         % (wb.skills_dir, name, manifest["command"][0], policy, what,
                            "/usr, /bin, /sbin and /lib* are executable, and" if policy == "permissive" else
                            "the command and what it needs are executable, and", wb.skills_dir, name),
                         "check: %s: an error naming the command%s and the policy" %
                         (name, "" if what == "it" else ", what it needs"))
        r = wb.cli("run", name)
        j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
        want = ("ok", None) if denied is None else ("sandbox_error", "execve: Permission denied")
        tap.is_((j.get("outcome"), j.get("sandbox_error")), want, "... and a run of %s: %s" % (name, want[0]),
                r.stderr.decode(errors="replace"))
    # "#!/usr/bin/env tool" finds tool in the PATH the manifest's env gives the skill, so the
    # rules grant that tool (restrictive), and check judges that one; env, not the kernel,
    # fails to execute it where the policy leaves it out (exit code 126)
    for name in cases:
        os.unlink(os.path.join(wb.skills_dir, name + ".json"))
    envcases = {  # name: manifest, whether check and a run take it
        "envrestr": ({"policy": "restrictive"}, True),
        "envperm": ({}, False),
        "envpermread": ({"read_paths": [opt]}, True),
        # a PATH entry written with doubled slashes and "/./": check names the program as the
        # kernel takes it, opt/tool
        "envpermslashes": ({"env": {"PATH": "/%s/.//:/usr/bin:/bin" % opt}}, False),
    }
    for name, (extra, takes) in envcases.items():
        script = os.path.join(wb.skills_dir, name, "run.sh")  # the skill's own directory
        os.makedirs(os.path.dirname(script))
        with open(script, "w") as f:
            f.write("#!/usr/bin/env tool\n")
        os.chmod(script, 0o755)
        with open(os.path.join(wb.skills_dir, name + ".json"), "w") as f:
            json.dump(dict({"command": [script], "env": {"PATH": opt + ":/usr/bin:/bin"}}, **extra), f)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 1, "check: a program #!/usr/bin/env finds in the manifest's PATH, left out, is an error", out)
    for name, (extra, takes) in envcases.items():
        if takes:
            tap.contains(out, "ok: %s (" % name, "check: %s: ok" % name)
        else:
            tap.contains(out, "error: %s/%s.json: command: '%s': policy permissive does not let the skill execute "
                         "'%s', the program its #!/usr/bin/env line runs (/usr, /bin, /sbin and /lib* are "
                         "executable, and its own directory '%s/%s/', read_paths and write_paths are granted, "
                         "through root's symlinks only; never a skills directory, the work root or skillrun's "
                         "files): every run would fail with exit code 126 (env: Permission denied), unless env "
                         "finds another of that name further along PATH that the policy lets it execute, and runs "
                         "that one\n"
                         % (wb.skills_dir, name, os.path.join(wb.skills_dir, name, "run.sh"), tool, wb.skills_dir,
                            name),
                         "check: %s: an error naming the program env runs, and how a run fails" % name)
        r = wb.cli("run", name)
        j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
        want = ("ok", 0) if takes else ("failed", 126)
        tap.is_((j.get("outcome"), j.get("exit_code")), want, "... and a run of %s: %s" % (name, want),
                r.stdout.decode(errors="replace"))
    # what that program needs (its #! interpreter, here opt's shell), left out: env's execvp()
    # fails on it, not the kernel's execve of the command, so a run fails with 126 too, as check
    # says, where it said sandbox_error
    envbin = os.path.join(wb.root, "envbin")
    os.mkdir(envbin)
    os.chmod(envbin, 0o755)
    with open(os.path.join(envbin, "viash"), "w") as f:
        f.write("#!%s\nexit 0\n" % shell)
    os.chmod(os.path.join(envbin, "viash"), 0o755)
    script = os.path.join(wb.skills_dir, "envneeds", "run.sh")
    os.makedirs(os.path.dirname(script))
    with open(script, "w") as f:
        f.write("#!/usr/bin/env viash\n")
    os.chmod(script, 0o755)
    with open(os.path.join(wb.skills_dir, "envneeds.json"), "w") as f:
        json.dump({"command": [script], "env": {"PATH": envbin + ":/usr/bin:/bin"}, "read_paths": [envbin]}, f)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "error: %s/envneeds.json: command: '%s': policy permissive does not let the skill execute '%s', "
                 "which the program its #!/usr/bin/env line runs needs (its #! interpreter or the loader) (/usr, /bin, "
                 "/sbin and /lib* are executable, and its own directory '%s/envneeds/', read_paths and write_paths "
                 "are granted, through root's symlinks only; never a skills directory, the work root or skillrun's "
                 "files): every run would fail with exit code 126 (env: Permission denied), unless env finds another "
                 "of that name further along PATH that the policy lets it execute, and runs that one\n"
                 % (wb.skills_dir, script, shell, wb.skills_dir),
                 "check: the #! interpreter of the program env runs, left out: an error saying a run fails with 126")
    r = wb.cli("run", "envneeds")
    j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
    tap.is_((j.get("outcome"), j.get("exit_code")), ("failed", 126), "... and a run of it: failed, 126",
            r.stdout.decode(errors="replace"))
    # a skills directory below a system directory (a package's /usr/share/skillrun/skills) is
    # kept out under permissive too, though /usr is executable: a command in it is an error
    true = os.path.realpath(shutil.which("true"))
    with open(os.path.join(wb.skills_dir, "insystem.json"), "w") as f:
        json.dump({"command": [true]}, f)
    env = {"SKILLRUN_SKILLS_DIR": "%s:%s" % (wb.skills_dir, os.path.dirname(true))}
    p = wb.cli("check", env=env)
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "error: %s/insystem.json: command: '%s': policy permissive does not let the skill execute it"
                 % (wb.skills_dir, true), "check: a command in a skills directory below /usr is an error")
    r = wb.cli("run", "insystem", env=env)
    j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
    tap.is_((j.get("outcome"), j.get("sandbox_error")), ("sandbox_error", "execve: Permission denied"),
            "... and a run of it: sandbox_error", r.stderr.decode(errors="replace"))
    # a script landlock keeps from being executed says so, even where its #! interpreter is
    # missing too (the kernel never read that far): no hint of the interpreter
    gone = os.path.join(opt, "gone.sh")
    with open(gone, "w") as f:
        f.write("#!/nonexistent/python9\n")
    os.chmod(gone, 0o755)
    with open(os.path.join(wb.skills_dir, "deniedgone.json"), "w") as f:
        json.dump({"command": [gone]}, f)
    r = wb.cli("run", "deniedgone")
    j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
    tap.is_((j.get("outcome"), j.get("sandbox_error")), ("sandbox_error", "execve: Permission denied"),
            "a run of a script landlock denies, its interpreter missing too: only Permission denied",
            r.stderr.decode(errors="replace"))
    wb.stop(None, check=False)

    # allow_env naming a variable that makes the program load code where it says (PYTHONPATH):
    # with "files" a caller runs its own code; check warns, unless the skill takes code anyway
    wb = Worker(skills={}, raw_skills={
        "pyenv.json": json.dumps({"command": ["/bin/true"], "allow_env": ["DEBUG", "PYTHONPATH", "BASH_ENV"]}),
        "pycode.json": json.dumps({"command": ["/bin/true"], "allow_env": ["PYTHONPATH"], "accepts_code": True})})
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: allow_env naming PYTHONPATH is a warning, not an error", out)
    for name in ("PYTHONPATH", "BASH_ENV"):
        tap.contains(out, "warning: %s/pyenv.json: allow_env: '%s' makes the skill's program load code from where a "
                     "request says, its own files included: the caller runs code of its own, though accepts_code "
                     "is false\n" % (wb.skills_dir, name), "check: ... naming the file and %s" % name)
    tap.is_(out.count("makes the skill's program load code"), 2,
            "check: ... and nothing of DEBUG, nor of a skill with accepts_code", out)
    wb.stop(None, check=False)

    # a manifest's "tokens" list naming no token of the tokens file (a typo): whoever it was meant
    # for gets 403; a warning naming it, not the names that are there; none without a tokens file
    wb = Worker(skills={}, raw_skills={"limited.json": json.dumps({"command": ["/bin/true"],
                                                                   "tokens": ["ci", "c1-typo", "-ci"]})})
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a tokens list naming no token is a warning, not an error", out)
    tap.contains(out, "warning: %s/limited.json: tokens: 'c1-typo' names no token in '%s' (a client whose token is "
                 "named otherwise gets 403; add one: skillrun token c1-typo >> '%s')\n"
                 % (wb.skills_dir, wb.tokens_file, wb.tokens_file), "check: ... naming the name and the file")
    # the command it offers works for a name that starts with '-' too
    tap.contains(out, "warning: %s/limited.json: tokens: '-ci' names no token in '%s' (a client whose token is "
                 "named otherwise gets 403; add one: skillrun token -- -ci >> '%s')\n"
                 % (wb.skills_dir, wb.tokens_file, wb.tokens_file), "check: ... 'skillrun token -- -ci' for '-ci'")
    tap.is_(out.count("names no token"), 2, "check: ... and only those names ('ci' has a token)")
    # "abbot": the README keeps Abbot's token in the unit's environment (ABBOT_SKILL_RUNNER_TOKEN),
    # which check, run from a shell, does not have: a note saying so, not "add one"
    with open(os.path.join(wb.skills_dir, "abbotonly.json"), "w") as f:
        json.dump({"command": ["/bin/true"], "tokens": ["abbot"]}, f)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "note: %s/abbotonly.json: tokens: 'abbot' names no token in '%s': only a worker given "
                 "ABBOT_SKILL_RUNNER_TOKEN (the token named 'abbot') accepts it\n" % (wb.skills_dir, wb.tokens_file),
                 "check: tokens 'abbot' without such a token: a note naming ABBOT_SKILL_RUNNER_TOKEN, no warning")
    p = wb.cli("check", env={"ABBOT_SKILL_RUNNER_TOKEN": "a" * 40})
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.ok("'abbot' names no token" not in out, "check: ... nothing where check has that token too", out)
    # the file's count is the file's: the variable's token is named apart, not counted into it
    in_file = sum(1 for line in open(wb.tokens_file) if line.strip() and not line.startswith("#"))
    tap.contains(out, "tokens: %d usable in '%s', and ABBOT_SKILL_RUNNER_TOKEN's (named 'abbot')\n"
                 % (in_file, wb.tokens_file), "check: ... whose token is not counted as the tokens file's")
    p = wb.cli("check", env={"ABBOT_SKILL_RUNNER_TOKEN": "a" * 40,
                             "SKILLRUN_TOKENS_FILE": os.path.join(wb.root, "no-tokens")})
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "tokens: 0 usable in '%s' (No such file or directory), and ABBOT_SKILL_RUNNER_TOKEN's "
                 "(named 'abbot')\n" % os.path.join(wb.root, "no-tokens"),
                 "check: ... also where the tokens file is missing, which is said")
    # ... but one it refused (too short) is no token: a warning as for any other name
    p = wb.cli("check", env={"ABBOT_SKILL_RUNNER_TOKEN": "short"})
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "warning: %s/abbotonly.json: tokens: 'abbot' names no token in '%s'"
                 % (wb.skills_dir, wb.tokens_file),
                 "check: ... a warning where ABBOT_SKILL_RUNNER_TOKEN is there but refused")
    os.unlink(os.path.join(wb.skills_dir, "abbotonly.json"))
    p = wb.cli("check", env={"SKILLRUN_TOKENS_FILE": os.path.join(wb.root, "no-tokens")})
    tap.ok("names no token" not in p.stdout.decode(errors="replace"),
           "check: ... and nothing of it where the tokens file cannot be read (warned about itself)")
    wb.stop(None, check=False)

    # the skill abbot_skill names, unable to run Abbot code: every POST /api/v1/execute would be a
    # 500; check says so then (and of no other skill that lacks the same)
    wb = Worker(skills={}, raw_skills={
        "abbot-python.json": json.dumps({"command": ["/bin/true"]}),
        "mine.json": json.dumps({"command": ["/bin/true"]}),
        "notstdin.json": json.dumps({"command": ["/bin/true"], "accepts_code": True, "input": "none"})})
    for abbot_skill, why in (("abbot-python", "its manifest lacks \"accepts_code\": true"),
                             ("notstdin", "it takes no input on stdin")):
        wb.settings["abbot_skill"] = abbot_skill
        p = wb.cli("check")
        out = (p.stdout + p.stderr).decode(errors="replace")
        tap.is_(p.returncode, 0, "check: abbot_skill %s unable to run Abbot code is a warning, not an error" % abbot_skill,
                out)
        tap.contains(out, "warning: %s/%s.json: skill '%s' cannot run Abbot code: %s: POST /api/v1/execute "
                     "(abbot_skill) will answer 500\n" % (wb.skills_dir, abbot_skill, abbot_skill, why),
                     "check: ... it names the file, the skill and why")
        tap.is_(out.count("cannot run Abbot code"), 1, "check: ... and only of the skill abbot_skill names")
        tap.ok("names no skill" not in out, "check: ... and not that abbot_skill names none", out)
    # abbot_skill naming no skill: the Abbot route answers every token 500; a warning where the
    # operator named it, a note for the default name, which a host without Abbot callers lacks
    for abbot_skill, level in (("nosuch", "warning"), (None, "note")):
        if abbot_skill:
            wb.settings["abbot_skill"] = abbot_skill
        else:
            wb.settings.pop("abbot_skill", None)
        os.rename(os.path.join(wb.skills_dir, "abbot-python.json"), os.path.join(wb.skills_dir, "other.json"))
        p = wb.cli("check")
        os.rename(os.path.join(wb.skills_dir, "other.json"), os.path.join(wb.skills_dir, "abbot-python.json"))
        out = (p.stdout + p.stderr).decode(errors="replace")
        tap.is_(p.returncode, 0, "check: abbot_skill %s naming no skill is no error" % abbot_skill, out)
        tap.contains(out, "%s: abbot_skill '%s' names no skill in the skills directories: POST /api/v1/execute "
                     "(the Abbot route) will answer 500\n" % (level, abbot_skill or "abbot-python"),
                     "check: ... a %s naming it" % level)
    # ... but not where a skills directory could not be read, which may hold it (an error itself)
    notdir = os.path.join(wb.root, "notdir")
    open(notdir, "w").close()
    wb.settings["skills_dir"] = "%s:%s" % (notdir, wb.skills_dir)
    os.rename(os.path.join(wb.skills_dir, "abbot-python.json"), os.path.join(wb.skills_dir, "other.json"))
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.ok(p.returncode == 1 and "error: %s: Not a directory\n" % notdir in out and "names no skill" not in out,
           "check: an unreadable skills directory is an error, and no note of abbot_skill", out)
    wb.stop(None, check=False)

    # a FIFO as the configuration file: an error naming it, from check and from the worker (500),
    # never a hang (the worker reads it before the request, its read timeout not yet in force)
    wb = Worker(skills={"echo": good["echo"]})
    fifo = os.path.join(wb.root, "fifo.conf")
    os.mkfifo(fifo)
    wb.settings["config"] = fifo
    p = wb.cli("check", timeout=20)
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 1, "check: a FIFO as the configuration file exits 1", out)
    tap.contains(out, "error: %s: a FIFO, not a regular file" % fifo, "check names the FIFO and says why")
    status, rc, err = serve_once(wb, build_request("GET", "/healthz"), timeout=20)
    tap.is_((status, rc), (500, 1), "serve: a FIFO as the configuration file is a 500, exit 1", err)
    tap.contains(err, "%s: a FIFO, not a regular file" % fifo, "serve: the log names the FIFO")
    wb.stop(None, check=False)

    # a FIFO as the tokens file: a warning naming it from check, a 500 from the worker, no hang
    wb = Worker(skills={"echo": good["echo"]})
    fifo = os.path.join(wb.root, "fifo.tokens")
    os.mkfifo(fifo)
    wb.settings["tokens_file"] = fifo
    p = wb.cli("check", timeout=20)
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a FIFO as the tokens file is only a warning", out)
    tap.contains(out, "warning: tokens file '%s': not a regular file" % fifo, "check names the FIFO and says why")
    status, rc, err = serve_once(wb, build_request("GET", "/v1/skills", token=new_token()), timeout=20)
    tap.is_((status, rc), (500, 1), "serve: a FIFO as the tokens file is a 500, exit 1", err)
    tap.contains(err, "Failed to read tokens file '%s': not a regular file" % fifo, "serve: the log says why")
    # ... and a file of /proc, which the worker must not read either
    wb.settings["tokens_file"] = "/proc/self/status"
    p = wb.cli("check", timeout=20)
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "warning: tokens file '/proc/self/status': a file of the kernel's (/proc, /sys), not a "
                 "tokens file", "check: a file of /proc as the tokens file is named and refused")
    status, rc, err = serve_once(wb, build_request("GET", "/v1/skills", token=new_token()), timeout=20)
    tap.is_((status, rc), (500, 1), "serve: a file of /proc as the tokens file is a 500, exit 1", err)
    wb.stop(None, check=False)

    # one token under two names: the second can never be told apart (a client presenting it is
    # the first), which check says without printing the token
    wt = Worker(skills={"echo": good["echo"]})
    shared, other = new_token(), new_token()
    with open(wt.tokens_file, "w") as f:
        f.write("ci:%s\nsecond:%s\nci:%s\nthird:%s\n" % (shared, shared, shared, other))
    p = wt.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a token under two names is only a warning", out)
    tap.contains(out, "'second' has the same token as 'ci', so a client presenting it is 'ci'",
                 "check names both and which one a client is")
    tap.is_(out.count("the same token"), 1, "... once: 'ci' twice with it and 'third' are no news")
    tap.ok(shared not in out and other not in out, "... and prints no token")
    tap.ok("holds a blank" not in out, "check: tokens without a blank are no news", out)
    wt.stop(None, check=False)

    # a comment after a token is part of it (only whole lines are comments): no client sends that
    wt = Worker(skills={"echo": good["echo"]})
    commented, plain, tabbed = new_token(), new_token(), new_token()
    with open(wt.tokens_file, "w") as f:
        f.write("ci:%s  # the CI server\nother:%s\nbackup:%s\t#backup\n" % (commented, plain, tabbed))
    p = wt.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a token with a blank in it is only a warning", out)
    tap.contains(out, "warning: tokens file '%s': the token of 'ci' holds a blank, which a client must send too "
                 "(a comment after it? only whole lines are comments)\n" % wt.tokens_file,
                 "check names the token's name and suspects a comment")
    tap.contains(out, "warning: tokens file '%s': the token of 'backup' holds a blank" % wt.tokens_file,
                 "check: ... a tab too")
    tap.is_(out.count("holds a blank"), 2, "... only of those two")
    tap.ok(commented not in out and plain not in out and tabbed not in out, "... and prints no token")
    wt.stop(None, check=False)

    # an empty tokens file (as the Debian package installs it): fine to load, but no request can
    # pass, which check says
    wt = Worker(skills={"echo": good["echo"]})
    open(wt.tokens_file, "w").close()
    p = wt.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: an empty tokens file is only a warning", out)
    tap.contains(out, "warning: tokens file '%s' has no usable token: every request but GET /healthz will be "
                 "refused with 401 (add one: skillrun token NAME >> '%s')" % (wt.tokens_file, wt.tokens_file),
                 "check says no request can pass and how to add a token")
    with open(wt.tokens_file, "w") as f:
        f.write("ci:%s\n" % new_token())
    p = wt.cli("check")
    tap.ok(p.returncode == 0 and "no usable token" not in (p.stdout + p.stderr).decode(errors="replace"),
           "... and says nothing of it with one token")
    # one past the bound (1 MiB): the bound in words, not the file system's "File too large"
    with open(wt.tokens_file, "w") as f:
        f.write("#" * 1048576 + "\n")
    p = wt.cli("check")
    tap.contains((p.stdout + p.stderr).decode(errors="replace"),
                 "tokens file '%s': larger than 1048576 bytes: every request but GET /healthz will be refused "
                 "(500 if it presents a token, 401 if not)\n" % wt.tokens_file,
                 "check: a tokens file too large: the bound, and what a client gets")
    # no tokens file: every client is refused, and one with a token gets 500 (a server's fault)
    os.unlink(wt.tokens_file)
    p = wt.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "warning: tokens file '%s': No such file or directory: every request but GET /healthz will "
                 "be refused (500 if it presents a token, 401 if not)\n" % wt.tokens_file,
                 "check: a missing tokens file and what a client gets")
    # ... and with ABBOT_SKILL_RUNNER_TOKEN refused: the file is said to be missing, not to hold nothing
    p = wt.cli("check", env={"ABBOT_SKILL_RUNNER_TOKEN": "short"})
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "warning: tokens file '%s' does not exist and ABBOT_SKILL_RUNNER_TOKEN is refused: every "
                 "request but GET /healthz will be refused with 401 (add a token: skillrun token NAME >> '%s')\n"
                 % (wt.tokens_file, wt.tokens_file), "check: no file and a refused variable: both named")
    tap.ok("has no usable token" not in out, "... and not 'has no usable token'", out)
    wt.stop(None, check=False)

    # a tokens file every local user may read or write: its tokens are anyone's, check says so
    wt = Worker(skills={"echo": good["echo"]})
    for mode, want in ((0o600, None), (0o640, None), (0o644, "readable"), (0o602, "writable"),
                       (0o666, "readable and writable")):
        os.chmod(wt.tokens_file, mode)
        p = wt.cli("check")
        out = (p.stdout + p.stderr).decode(errors="replace")
        said = "warning: tokens file '%s': %s by every user of this host (chmod 600 it)" % (wt.tokens_file, want)
        if want:
            tap.ok(p.returncode == 0 and said in out, "check: a %o tokens file is a warning: %s" % (mode, want), out)
        else:
            tap.ok(p.returncode == 0 and "by every user" not in out, "check: a %o tokens file is fine" % mode, out)
    wt.stop(None, check=False)

    # one body per run: --input or --request twice is a usage error, not the last one silently
    for opt in ("--input", "--request"):
        p = w.cli("run", "echo", opt, "/dev/null", opt, "-")
        tap.is_((p.returncode, p.stdout), (2, b""), "run %s twice: exit 2, nothing run" % opt)
        tap.contains(p.stderr.decode(errors="replace"), "%s given twice" % opt, "run %s twice: said so" % opt)
    p = w.cli("run", "echo", "--input", "/dev/null", "--request", "-", input=b"{}")
    tap.is_((p.returncode, p.stdout), (2, b""), "run --input and --request: exit 2, nothing run")
    tap.contains(p.stderr.decode(errors="replace"), "--input and --request are mutually exclusive",
                 "run --input and --request: said so")
    # the usage on stderr, as check's; getopt's own words first for an unknown option
    for args, said in ((("run", "echo", "--bogus"), "skillrun run: unrecognized option '--bogus'"),
                       (("run", "echo", "--bogus"), "Usage: skillrun run NAME"),
                       (("run",), "Usage: skillrun run NAME"), (("run", "echo", "extra"), "Usage: skillrun run NAME")):
        p = w.cli(*args)
        tap.is_((p.returncode, p.stdout), (2, b""), "skillrun %s: exit 2, nothing run" % " ".join(args))
        tap.contains(p.stderr.decode(errors="replace"), said, "skillrun %s: %r on stderr" % (" ".join(args), said))

    # a command's --help is the help, as skillrun --help is ("token --help" is no token for a
    # client named so); the same output, exit 0
    want_help = w.cli("--help").stdout
    for args in (("check", "--help"), ("list", "-h"), ("token", "--help"), ("serve", "--help"), ("run", "--help")):
        p = w.cli(*args)
        tap.is_((p.returncode, p.stdout, p.stderr), (0, want_help, b""),
                "skillrun %s: the help on stdout, exit 0" % " ".join(args))

    # check and list take no arguments; "token -x" is no token for a client named so
    for args in (("check", "extra"), ("check", "--bogus"), ("list", "extra"), ("list", "--bogus"),
                 ("token", "-x"), ("serve", "extra"), ("--version", "x"), ("--help", "x"),
                 ("help", "x"), ("check", "--help", "x")):
        p = w.cli(*args)
        tap.is_(p.returncode, 2, "skillrun %s: exit 2" % " ".join(args))
        tap.contains(p.stderr.decode(errors="replace"), "Usage: skillrun %s" % args[0],
                     "skillrun %s: the usage on stderr" % " ".join(args))
        tap.is_(p.stdout, b"", "skillrun %s: nothing on stdout" % " ".join(args))
    # an unknown command is a usage error as well (skillrun(8): exit 2), not a failure of one
    p = w.cli("frobnicate")
    tap.is_((p.returncode, p.stdout), (2, b""), "skillrun frobnicate: exit 2, nothing on stdout")
    tap.contains(p.stderr.decode(errors="replace"), "Unknown command 'frobnicate'",
                 "skillrun frobnicate: said so on stderr")

    # the shipped example configuration (as built: it names the configured paths), every key
    # uncommented, is a valid configuration
    example = os.path.join(os.environ.get("top_builddir", os.getcwd()), "units", "skillrun.conf.example")
    with open(example) as f:
        lines = f.read().splitlines()
    keys = [l[1:] for l in lines if re.match(r"^#[a-z_]+ =", l)]
    # ... and its commented default skills_dir is the binary's own (a literal of its build)
    ex_dirs = [k.split(" = ", 1)[1] for k in keys if k.startswith("skills_dir =")]
    with open(skillrun_bin(), "rb") as f:
        built = f.read()
    tap.ok(len(ex_dirs) == 1 and ex_dirs[0].encode() + b"\0" in built,
           "the example's skills_dir is the built-in default", "example: %r" % ex_dirs)
    want = {"skills_dir", "policy", "sandbox", "timeout_ms", "memory_max", "tasks_max", "cpu_max", "output_max",
            "workdir_max", "max_body", "max_header", "max_header_fields", "read_timeout_ms", "max_files",
            "kill_grace_ms", "run_user", "work_dir", "abbot_skill", "abbot_api_base_url"}
    tap.is_(sorted(k.split(" =")[0] for k in keys), sorted(want),
            "the example configuration names every key but tokens_file")
    wb = Worker(skills={"echo": good["echo"]})
    conf = os.path.join(wb.root, "example.conf")
    with open(conf, "w") as f:
        f.write("\n".join(keys) + "\n")
    # as under the unit: the tokens come from the credential, which the example must not override
    creds = os.path.join(wb.root, "credentials")
    os.mkdir(creds)
    with open(os.path.join(creds, "tokens"), "w") as f:
        f.write("ci:%s\n" % new_token())
    env = wb.env({"SKILLRUN_CONFIG": conf, "CREDENTIALS_DIRECTORY": creds})
    env.pop("SKILLRUN_TOKENS_FILE", None)
    p = subprocess.run([wb.bin, "check"], capture_output=True, env=env, timeout=60)
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: the example configuration, every key uncommented, passes", out)
    tap.ok("error" not in out, "... with no error", out)
    tap.contains(out, "tokens: 1 usable in '%s/tokens'" % creds, "... and the tokens still come from the credential")
    wb.stop(None, check=False)

    # settings that pass their syntax but make every run fail: check warns (the unit's environment
    # may differ from this one), and a run shows the warning was right
    # (a static skillrun says more: "not found in /etc/passwd (... no NSS ...)")
    for env, want in (({"SKILLRUN_RUN_USER": "nosuchuser"}, "warning: run_user 'nosuchuser' not found"),
                      ({"SKILLRUN_RUN_USER": "0"}, "warning: run_user '0' is root: skills never run as root"),
                      ({"SKILLRUN_WORK_DIR": "/nonexistent"},
                       "warning: work_dir '/nonexistent': No such file or directory: every run fails "
                       "(SKILLRUN_WORK_DIR names it)\n"),
                      ({"SKILLRUN_WORK_DIR": "/etc/passwd"}, "warning: work_dir '/etc/passwd': Not a directory: every "
                       "run fails (SKILLRUN_WORK_DIR names it)\n")):
        wb = Worker(skills={"echo": good["echo"]})
        p = wb.cli("check", env=env)
        out = (p.stdout + p.stderr).decode(errors="replace")
        tap.is_(p.returncode, 0, "check with %s: a warning, no error" % env, out)
        tap.contains(out, want, "check with %s says why runs would fail" % env)
        if "SKILLRUN_RUN_USER" in env:
            tap.contains(out, "a worker running as root refuses every run", "... and what it means")
        if "SKILLRUN_WORK_DIR" in env or os.geteuid() == 0:
            p = wb.cli("run", "echo", "--input", "-", input=b"x", env=env)
            tap.is_(p.returncode, 1, "... and a run with %s fails" % env, p.stderr.decode(errors="replace"))
        wb.stop(None, check=False)

    # ... and from the configuration file, where the unit's SKILLRUN_WORK_DIR would name another
    wb = Worker(skills={"echo": good["echo"]})
    conf = os.path.join(wb.root, "workdir.conf")
    with open(conf, "w") as f:
        f.write("work_dir = /nonexistent\n")
    del wb.settings["work_dir"]
    p = wb.cli("check", env={"SKILLRUN_CONFIG": conf})
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check with work_dir missing in the file: a warning, no error", out)
    tap.contains(out, "warning: work_dir '/nonexistent': No such file or directory: every run fails unless "
                 "SKILLRUN_WORK_DIR names another (skillrun@.service sets it)\n", "... which says the unit names another")
    wb.stop(None, check=False)

    # ... and the worker logs the reason as the run says it, without an errno after it that repeats
    # it or misleads ("not found (No such process)")
    for settings, why in [({"work_dir": "/nonexistent"},
                           "cannot create work directory in '/nonexistent': No such file or directory")] + \
            ([({"run_user": "0"}, "run_user '0' is root: skills never run as root")] if os.geteuid() == 0 else []):
        wb = Worker(skills={"echo": good["echo"]}, settings=settings).start()
        r = wb.run("echo", {})
        tap.is_(r.status, 500, "a run with %s: 500" % settings)
        tap.like(wb.all_log_text(), r"(?m)Running skill 'echo' failed: %s$" % re.escape(why),
                 "... and the log says why, once")
        wb.stop(tap)

    # a work dir this worker may not write (root may write any but on a read-only mount: there as
    # nobody): a warning too, and the run fails as it said
    if os.geteuid() != 0 or shutil.which("setpriv"):
        wb = Worker(skills={"echo": good["echo"]}, user="nobody" if os.geteuid() == 0 else None)
        ro = os.path.join(wb.root, "ro-work")
        os.mkdir(ro)
        as_worker = wb.as_user if wb.user else list
        checked = as_worker([wb.bin, "check"])
        ran = as_worker([wb.bin, "run", "echo", "--input", "/dev/null"])
        os.chmod(ro, 0o555)
        env = wb.env({"SKILLRUN_WORK_DIR": ro})
        p = subprocess.run(checked, capture_output=True, env=env, timeout=60)
        out = (p.stdout + p.stderr).decode(errors="replace")
        tap.is_(p.returncode, 0, "check with a work_dir it may not write: a warning, no error", out)
        tap.contains(out, "warning: work_dir '%s': Permission denied to uid %d, which runs check: a worker running "
                     "as it fails every run (SKILLRUN_WORK_DIR names it)\n"
                     % (ro, pwd.getpwnam(wb.user).pw_uid if wb.user else os.geteuid()),
                     "check with a work_dir it may not write says why runs would fail, for whom")
        p = subprocess.run(ran, capture_output=True, env=env, timeout=60)
        tap.is_(p.returncode, 1, "... and a run there fails", p.stderr.decode(errors="replace"))
        wb.stop(None, check=False)
    else:
        tap.skip("a work_dir the worker may not write: root needs setpriv to be another user")

    # policy none reads what the worker reads: check warns, but it is no error
    wb = Worker(skills={}, raw_skills={"loose.json": json.dumps({"command": ["/bin/true"], "policy": "none"})})
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a policy none skill is not an error")
    tap.contains(out, "warning: %s: policy none" % os.path.join(wb.skills_dir, "loose.json"),
                 "check warns about a policy none skill")
    tap.contains(out, "and is not kept apart from other runs", "… which is not kept apart from other runs")
    wb.stop(None, check=False)

    # what only its owner may read passes a check as root, then fails every request of a worker
    # under skillrun@.service (a DynamicUser=, never the owner): check warns, naming each
    wb = Worker(skills={}, raw_skills={"ok.json": json.dumps({"command": ["/bin/true"]}),
                                       "priv.json": json.dumps({"command": ["/bin/true"]})})
    os.chmod(os.path.join(wb.skills_dir, "priv.json"), 0o600)
    os.mkdir(os.path.join(wb.skills_dir, "px"))  # where a permissive skill may execute its own
    prog = os.path.join(wb.skills_dir, "px", "owner-only-true")
    shutil.copy("/bin/true", prog)
    os.chmod(prog, 0o750)
    with open(os.path.join(wb.skills_dir, "px.json"), "w") as f:
        json.dump({"command": [prog]}, f)
    # ... and so of what running a command needs: a #! interpreter only its owner may execute, a
    # script only its owner may read (its interpreter opens it as the skill's user)
    interp = os.path.join(wb.skills_dir, "px", "owner-only-sh")
    shutil.copy(SH, interp)
    os.chmod(interp, 0o750)
    pint = os.path.join(wb.skills_dir, "px", "pint.sh")
    pscript = os.path.join(wb.skills_dir, "px", "pscript.sh")
    for script, first, mode in ((pint, "#!" + interp, 0o755), (pscript, "#!/bin/sh", 0o711)):
        with open(script, "w") as f:
            f.write(first + "\nexit 0\n")
        os.chmod(script, mode)
    with open(os.path.join(wb.skills_dir, "pint.json"), "w") as f:
        json.dump({"command": [pint], "read_paths": [os.path.dirname(pint)], "input": "none"}, f)
    with open(os.path.join(wb.skills_dir, "pscript.json"), "w") as f:
        json.dump({"command": [pscript], "read_paths": [os.path.dirname(pint)], "input": "none"}, f)
    # ... or a command in a directory they may not search (root's home, say)
    closedbin = os.path.join(wb.root, "closed-bin")
    os.mkdir(closedbin)
    os.chmod(closedbin, 0o700)
    pdir = os.path.join(closedbin, "true")
    shutil.copy("/bin/true", pdir)
    os.chmod(pdir, 0o755)
    with open(os.path.join(wb.skills_dir, "pdir.json"), "w") as f:
        json.dump({"command": [pdir], "read_paths": [closedbin], "input": "none"}, f)
    closed = os.path.join(wb.root, "closed-skills")
    os.mkdir(closed, 0o700)
    os.chmod(closed, 0o700)
    conf = os.path.join(wb.root, "private.conf")
    with open(conf, "w") as f:
        f.write("timeout_ms = 1000\n")
    os.chmod(conf, 0o600)
    p = wb.cli("check", env={"SKILLRUN_CONFIG": conf, "SKILLRUN_SKILLS_DIR": "%s:%s" % (wb.skills_dir, closed)})
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 0, "check: files only their owner may read are warnings, not errors", out)
    for what, want in (("a 0600 configuration file", "warning: %s: not readable by other users: a worker under "
                         "skillrun@.service (DynamicUser=) cannot read it" % conf),
                       ("a 0600 manifest", "warning: %s: not readable by other users"
                        % os.path.join(wb.skills_dir, "priv.json")),
                       ("a 0750 command", "warning: %s: command '%s': not executable by other users"
                        % (os.path.join(wb.skills_dir, "px.json"), prog)),
                       ("a 0700 skills directory", "warning: %s: not readable and searchable by other users"
                        % closed),
                       ("a 0750 #! interpreter", "warning: %s: command '%s': '%s', which running it needs, is not "
                        "executable by other users: the skill runs as the unit's DynamicUser= or as run_user, which "
                        "cannot execute it (sandbox_error)\n" % (os.path.join(wb.skills_dir, "pint.json"), pint, interp)),
                       ("a 0711 script", "warning: %s: command '%s': it is a script not readable by other users: its "
                        "interpreter runs as the unit's DynamicUser= or as run_user, which cannot read it (the run "
                        "fails)\n" % (os.path.join(wb.skills_dir, "pscript.json"), pscript)),
                       ("a command in a 0700 directory", "warning: %s: command '%s': it lies in '%s', which other users "
                        "may not search: the skill runs as the unit's DynamicUser= or as run_user, which cannot execute "
                        "it (sandbox_error)\n" % (os.path.join(wb.skills_dir, "pdir.json"), pdir, closedbin))):
        tap.contains(out, want, "check warns about %s" % what)
    if os.geteuid() == 0:  # a run as run_user: what check warned of
        for name, want in (("pint", ("sandbox_error", "execve: Permission denied")), ("pscript", ("failed", None)),
                           ("pdir", ("sandbox_error", "execve: Permission denied"))):
            r = wb.cli("run", name)
            j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
            tap.is_((j.get("outcome"), j.get("sandbox_error")), want, "... and a run of %s as run_user: %s" % (name, want),
                    r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace"))
    else:
        tap.skip("a run as run_user of what others may not execute or read: needs root")
    tap.ok("ok.json: not" not in out and "%s: not" % wb.skills_dir not in out,
           "... and not about what others may read", out)

    # what the worker would ignore without a word, or answer 500 for, check names
    missing = os.path.join(wb.root, "no-such-skills")
    p = wb.cli("check", env={"SKILLRUN_TIMEOUTMS": "5", "SKILLRUN_timeout_ms": "4", "SKILLRUN_TIMEOUT_MS": "3000",
                             "SKILLRUN_DEBUG": "1", "SKILLRUN_LOG_CLI": "1", "ABBOT_SANDBOX_POLICY": "strict",
                             "SKILLRUN_SKILLS_DIR": "%s:%s" % (missing, wb.skills_dir)})
    out = p.stdout.decode(errors="replace")
    tap.is_(p.returncode, 0, "check: unknown SKILLRUN_ variables and a missing skills dir are no errors",
            out + p.stderr.decode(errors="replace"))
    for name in ("SKILLRUN_TIMEOUTMS", "SKILLRUN_timeout_ms"):
        tap.contains(out, "warning: environment variable %s names no setting and is ignored" % name,
                     "check warns about %s" % name)
    tap.is_([ln for ln in out.splitlines() if "names no setting" in ln and
             ("SKILLRUN_TIMEOUT_MS" in ln or "SKILLRUN_DEBUG" in ln or "SKILLRUN_LOG_CLI" in ln
              or "SKILLRUN_SKILLS_DIR" in ln or "SKILLRUN_CONFIG" in ln)], [],
            "... and not about the settings' variables or skillrun's own")
    tap.contains(out, "warning: ABBOT_SANDBOX_POLICY: unknown policy 'strict' (want none, permissive or "
                 "restrictive): POST /api/v1/execute will answer 500", "check warns about a bad ABBOT_SANDBOX_POLICY")
    tap.contains(out, "note: %s: no such directory, no skills from it\n" % missing,
                 "check notes a skills directory that does not exist")
    tap.contains(out, '"timeout_ms":3000', "... and SKILLRUN_TIMEOUT_MS was applied")
    twice = os.path.join(wb.root, "twice.conf")
    with open(twice, "w") as f:
        f.write("timeout_ms = 1000\n# later\ntimeout_ms = 2000\n")
    p = wb.cli("check", env={"SKILLRUN_CONFIG": twice})
    out = p.stdout.decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a key given twice in the file is no error", out)
    tap.contains(out, "warning: %s:3: 'timeout_ms' is given again (first on line 1); the last one counts\n" % twice,
                 "check: ... but a warning naming both lines")
    tap.contains(out, '"timeout_ms":2000', "... and the last one counts")
    # every key given again, each time: not only the first, to be found on the next check
    with open(twice, "a") as f:
        f.write("memory_max = 1M\nmemory_max = 2M\ntimeout_ms = 3000\n")
    p = wb.cli("check", env={"SKILLRUN_CONFIG": twice})
    out = p.stdout.decode(errors="replace")
    tap.is_([l for l in out.splitlines() if "given again" in l],
            ["warning: %s:3: 'timeout_ms' is given again (first on line 1); the last one counts" % twice,
             "warning: %s:5: 'memory_max' is given again (first on line 4); the last one counts" % twice,
             "warning: %s:6: 'timeout_ms' is given again (first on line 1); the last one counts" % twice],
            "check: a warning for every key given again, each time", out)
    tap.ok("no such file, built-in defaults" not in out, "check: a configuration file read is not noted as missing",
           out)
    # a missing file is fine, but a typo in SKILLRUN_CONFIG must not look like a file read
    typo = os.path.join(wb.root, "twcie.conf")
    p = wb.cli("check", env={"SKILLRUN_CONFIG": typo})
    out = p.stdout.decode(errors="replace")
    tap.is_(p.returncode, 0, "check: a configuration file that does not exist is no error", out)
    tap.contains(out, "config: %s\nnote: %s: no such file, built-in defaults and SKILLRUN_<KEY> variables only\n"
                 % (typo, typo), "check: ... but noted, as not read")
    wb.stop(None, check=False)

    # a read path over the tokens file would be refused at run time: check says so first
    wb = Worker(skills={}, raw_skills={"ok.json": json.dumps({"command": ["/bin/true"]})})
    with open(os.path.join(wb.skills_dir, "exposing.json"), "w") as f:
        json.dump({"command": ["/bin/true"], "read_paths": [wb.root]}, f)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 1, "check: a read path exposing the tokens exits 1")
    tap.contains(out, "%s: read_paths: '%s' would expose what skillrun keeps out"
                 % (os.path.join(wb.skills_dir, "exposing.json"), wb.root),
                 "check names the file and the exposing path")
    # ... but read_paths and write_paths are landlock's: under policy none a run never looks at
    # them, and runs fine; no error then, but for abbot_skill, which the Abbot route may run under
    # ABBOT_SANDBOX_POLICY's policy instead
    for name in ("exposingnone", "abbot-python"):
        with open(os.path.join(wb.skills_dir, name + ".json"), "w") as f:
            json.dump({"command": ["/bin/true"], "policy": "none", "read_paths": [wb.root], "write_paths": [wb.root],
                       "input": "none"}, f)
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.contains(out, "ok: exposingnone (%s/exposingnone.json, policy none)\n" % wb.skills_dir,
                 "check: read_paths over the tokens under policy none: ok")
    tap.contains(out, "error: %s/abbot-python.json: read_paths: '%s' would expose what skillrun keeps out"
                 % (wb.skills_dir, wb.root), "check: ... but an error for abbot_skill")
    r = wb.cli("run", "exposingnone")
    j = json.loads(r.stdout or b"{}") if r.stdout.startswith(b"{") else {}
    tap.is_((j.get("outcome"), j.get("exit_code")), ("ok", 0), "... and a run of the none skill: ok",
            r.stderr.decode(errors="replace"))
    wb.stop(None, check=False)

    wb = Worker(skills={}, raw_skills={"notjson.json": "{ nope", "Bad_Name.json": json.dumps({"command": [SH]})})
    p = wb.cli("check")
    out = (p.stdout + p.stderr).decode(errors="replace")
    tap.is_(p.returncode, 1, "check: invalid JSON and a bad skill name exit 1")
    tap.contains(out, os.path.join(wb.skills_dir, "notjson.json"), "check names the file with invalid JSON")
    tap.contains(out, "Bad_Name", "check names the badly named manifest")
    wb.stop(None, check=False)

    wb = Worker(skills={"echo": sh_skill("cat")}, settings={"timeout_ms": "ten"})
    p = wb.cli("check")
    tap.is_(p.returncode, 1, "check: a malformed setting exits 1")
    tap.contains((p.stdout + p.stderr).decode().lower(), "timeout_ms", "... naming the key")
    p = wb.cli("run", "echo")
    tap.ok(p.returncode == 1 and b"timeout_ms" in p.stderr.lower(), "run with a malformed setting: exit 1 naming the key",
           repr(p.stderr))
    wb.stop(None, check=False)

    wc = Worker(skills={"echo": sh_skill("cat")})
    cpath = os.path.join(wc.root, "skillrun.conf")
    with open(cpath, "w") as f:
        f.write("# comment\n\nmemory_max = 12X\n")
    wc.settings["config"] = cpath
    p = wc.cli("check")
    out = (p.stdout + p.stderr).decode()
    tap.is_(p.returncode, 1, "check: a malformed skillrun.conf exits 1")
    tap.ok(cpath in out and "memory_max" in out, "... naming the file and the key", out)
    with open(cpath, "w") as f:
        f.write("timeout_ms = 1234\n")
    p = wc.cli("run", "echo")
    tap.is_((json.loads(p.stdout or b"null") or {}).get("limits", {}).get("timeout_ms"), 1234,
            "a key from skillrun.conf applies")
    p = wc.cli("run", "echo", env={"SKILLRUN_TIMEOUT_MS": "999"})
    tap.is_((json.loads(p.stdout or b"null") or {}).get("limits", {}).get("timeout_ms"), 999,
            "SKILLRUN_<KEY> wins over skillrun.conf")
    wc.stop(None, check=False)

    # --- started with fds 0, 1 and 2 closed (the result then goes nowhere, the run still
    # happens): what the run opens must not get those numbers, which the child overwrites with
    # the skill's stdio before it uses them (the landlock ruleset, cgroup.procs)
    # (as nobody only from root: the first round already runs as whoever runs the tests)
    for user in (None, "nobody") if os.geteuid() == 0 and shutil.which("setpriv") else (None,):
        who = user or ("root" if os.geteuid() == 0 else "as the tests run")
        wn = Worker(user=user)
        out = os.path.join(wn.root, "out")
        os.mkdir(out)
        os.chmod(out, 0o777)
        wn.add_skill("ran", sh_skill("echo ran > %s/ran" % out, policy="permissive", write_paths=[out]))
        # policy none may read /proc/self/cgroup: is it in its run cgroup (cgroup.procs written)?
        wn.add_skill("where", sh_skill("cat /proc/self/cgroup > %s/cgroup" % out, policy="none"))
        args = [wn.bin, "run", "where"]
        p = subprocess.run(wn.as_user(args) if user else args, env=wn.env(), timeout=60, capture_output=True)
        mode = ((json.loads(p.stdout or b"null") or {}).get("sandbox") or {}).get("cgroup")
        for skill in ("ran", "where"):
            args = [wn.bin, "run", skill]
            subprocess.run(wn.as_user(args) if user else args, env=wn.env(), timeout=60,
                           preexec_fn=lambda: [os.close(fd) for fd in (0, 1, 2)])
        try:
            with open(os.path.join(out, "ran")) as f:
                ran = f.read()
        except OSError as e:
            ran = str(e)
        tap.is_(ran, "ran\n", "%s, run with fds 0-2 closed: the skill runs in its sandbox" % who)
        if mode in ("v1", "delegated"):
            with open(os.path.join(out, "cgroup")) as f:
                lines = [l for l in f.read().splitlines()
                         if l.split(":")[1] == ("memory" if mode == "v1" else "")]
            tap.ok(lines and all("/skillrun-run-" in l for l in lines),
                   "%s, run with fds 0-2 closed: the skill is in its run cgroup (%s)" % (who, mode), repr(lines))
        else:
            tap.skip("%s: no run cgroup here (%s)" % (who, mode))
        wn.stop(None, check=False)

    # --- a skills directory whose reading fails part way (EIO, an NFS server gone: strace makes
    # its first getdents64 fail) is an unreadable directory to check, as it is to list: an error,
    # exit 1, not the broken manifest it holds passed over in silence with exit 0. Group-writable,
    # the directory is not one whose links the policies read (landlock-secrets.c): check alone
    # reads it.
    strace = shutil.which("strace")
    wr = Worker(skills={}, raw_skills={"bad.json": json.dumps({"command": ["/nonexistent"]})})
    os.chmod(wr.skills_dir, 0o775)
    inject = ["-qq", "-o", "/dev/null", "-f", "-P", wr.skills_dir, "-e", "trace=getdents64",
              "-e", "inject=getdents64:error=EIO:when=1"]
    if strace and subprocess.run([strace] + inject + ["true"], capture_output=True).returncode == 0:
        # (LeakSanitizer cannot work under ptrace: it would fail the ASan build's exit status)
        env = wr.env({"ASAN_OPTIONS": (os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")})
        for cmd in ("check", "list"):
            p = subprocess.run([strace] + inject + [wr.bin, cmd], env=env, capture_output=True, timeout=60)
            out = (p.stdout + p.stderr).decode(errors="replace")
            tap.is_((p.returncode, [l for l in out.splitlines() if wr.skills_dir in l]),
                    (1, ["error: %s: Input/output error" % wr.skills_dir] if cmd == "check" else
                        ["skillrun: Failed to list skills in '%s': Input/output error" % wr.skills_dir]),
                    "%s: a skills directory that cannot be read to its end: exit 1, an error naming it" % cmd, out)
            if cmd == "check":
                # what was read before the error is no listing of the directory: no abbot_skill
                # note drawn from it, which check does give when it reads the directory whole
                tap.is_([l for l in out.splitlines() if "abbot_skill" in l], [],
                        "check: ... and no note that abbot_skill names no skill in it", out)
                whole = wr.cli("check").stdout.decode(errors="replace")
                tap.contains(whole, "note: abbot_skill 'abbot-python' names no skill in the skills directories",
                             "check: ... which it gives when the directory is read to its end")
    else:
        tap.skip("no strace that injects errors")
    wr.stop(None, check=False)

    # --- check of many manifests: what the policies keep out (the skills directories' links,
    # the host's secrets) is read once, not once per manifest, which made check quadratic (a
    # minute for 10 000 skills, nearly all of it in the kernel reading the directory again)
    wm = Worker(skills={})
    for i in range(5000):
        with open(os.path.join(wm.skills_dir, "s%d.json" % i), "w") as f:
            f.write('{"command": ["/bin/true"]}')
    t0 = time.monotonic()
    p = wm.cli("check", timeout=300)
    took = time.monotonic() - t0
    out = p.stdout.decode(errors="replace")
    tap.is_((p.returncode, sum(l.startswith("ok: s") for l in out.splitlines())), (0, 5000),
            "check of 5000 manifests: each is ok", out[-2000:] + p.stderr.decode(errors="replace")[-500:])
    tap.ok(took < 5, "... within 5 s (took %.1f s)" % took)
    wm.stop(None, check=False)

    # --- a full standard output is a failure, not a lost token behind exit 0
    if os.path.exists("/dev/full"):
        wf = Worker(skills={"echo": good["echo"]})
        for args in (("token", "ci"), ("--version",), ("--help",), ("list",), ("check",), ("check", "--help"),
                     ("run", "--help"), ("run", "echo", "-h")):
            with open("/dev/full", "w") as full:
                p = subprocess.run([wf.bin] + list(args), stdout=full, stderr=subprocess.PIPE, env=wf.env(),
                                   timeout=60)
            tap.ok(p.returncode == 1 and b"Failed to write to standard output: No space left on device" in p.stderr,
                   "skillrun %s > /dev/full: exit 1 and a message" % " ".join(args),
                   "rc %d, stderr %r" % (p.returncode, p.stderr[-300:]))
        wf.stop(None, check=False)
    else:
        tap.skip("no /dev/full")

    # --- systemd-socket-activate --inetd
    wi = Worker(skills=good, inetd=True).start()
    r = wi.get("/healthz", token=None)
    tap.is_(r.status, 200, "under systemd-socket-activate --inetd: healthz 200")
    r = wi.run("echo", {"stdin": "inetd"})
    tap.is_((r.json or {}).get("stdout"), "inetd", "under --inetd: a run works")
    wi.stop(tap)


main(body)
