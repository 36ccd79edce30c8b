#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A worker told to stop (SIGTERM from systemd's RuntimeMaxSec= or a shutdown, ^C on
# `skillrun run`) in the middle of a run ends the run, not itself: the skill tree is
# killed, the work dir removed, and the caller still gets the result (outcome killed).
# A worker killed outright (SIGKILL) can do none of that, but its skill must not run on:
# it dies with the worker (PR_SET_PDEATHSIG), under every policy.
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import (Worker, b64, build_request, cmdline_of, main, ppid_of, private_mounts_refused,  # noqa: E402
                           proc_state, processes_with, py_skill, recv_all, parse_responses, sh_skill,
                           wait_for, wait_gone)

SKILL = "sleep 30 & (setsid sleep 30 &) ; sleep 30"


def find_worker(w):
    """The worker of w's run: the skill's parent that is the skillrun binary (the activator's
    command line also carries the marker, in its paths: it must never be the one signalled)."""
    for q in processes_with(w.marker):
        pp = ppid_of(q)
        if pp and cmdline_of(pp).split(" ")[0] == w.bin:
            return pp
    return None


def killed_outright(tap, policy):
    w = Worker(skills={"sleepy": {"description": "sleeps", "command": ["/bin/sleep", "30"], "policy": policy,
                                  "input": "none", "timeout_ms": 20000}})
    w.start()
    s = socket.create_connection(("127.0.0.1", w.port), timeout=20)
    s.sendall(build_request("POST", "/v1/skills/sleepy/run", body=b"{}", token=w.token))
    # The skill once it has exec'd: until then the child shares the worker's memory (vfork), so
    # its command line and environment are the worker's and hold the marker too, and a scan in
    # the middle of its execve reads neither.
    def worker_and_skill():
        worker = find_worker(w)
        skill = [q for q in processes_with(w.marker)
                 if ppid_of(q) == worker and cmdline_of(q).split(" ")[0] != w.bin] if worker else []
        return (worker, skill) if skill else None

    worker, skill = wait_for(worker_and_skill, timeout=10) or (find_worker(w), [])
    tap.is_(len(skill), 1, "SIGKILL, %s: found the worker and its skill (%r, %r)" % (policy, worker, skill))
    if worker:
        os.kill(worker, signal.SIGKILL)
    tap.is_(wait_gone(skill, 5.0), [], "SIGKILL, %s: the skill died with its worker" % policy)
    s.close()
    w.stop(check=False)  # the dead worker left its work dir (and run cgroup): stop() removes them


def during_grace(tap):
    """A stop request, or a hang-up, while a timed-out skill that ignores SIGTERM is in its
    kill_grace_ms: skillrun.skill(5) says a hang-up wins over a timeout, and the stopped run is
    reported killed. The skill tells (a marker file) when the timeout's SIGTERM has come."""
    w = Worker(settings={"kill_grace_ms": 20000})

    def add(name):
        marker = os.path.join(w.state_dir, name + ".term")
        w.add_skill(name, sh_skill("trap 'echo term > %s' TERM; while :; do sleep 0.1; done" % marker,
                                   timeout_ms=300))
        return marker

    marker = add("graceful")
    p = subprocess.Popen([w.bin, "run", "graceful"], env=w.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = wait_for(lambda: os.path.exists(marker), timeout=10)
    tap.ok(got, "run: the skill timed out and ignored the SIGTERM")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    try:
        res = json.loads(out)
    except ValueError:
        res = {}
    tap.is_((p.returncode, res.get("outcome"), res.get("exit_code"), res.get("signal")), (0, "killed", None, "SIGKILL"),
            "run: stopped in the grace period after a timeout: outcome killed, not timeout", err.decode(errors="replace"))

    marker = add("graceful2")
    w.start()
    s = socket.create_connection(("127.0.0.1", w.port), timeout=20)
    s.sendall(build_request("POST", "/v1/skills/graceful2/run", body=b"{}", token=w.token))
    got = wait_for(lambda: os.path.exists(marker), timeout=10)
    tap.ok(got, "serve: the skill timed out and ignored the SIGTERM")
    s.close()
    recs = wait_for(lambda: [x for x in w.records() if x.get("skill") == "graceful2"], timeout=10) or []
    tap.is_([x.get("outcome") for x in recs], ["killed"],
            "serve: a hang-up in the grace period after a timeout is logged as killed, not timeout")
    dirs, procs = w.wait_no_leftovers()
    tap.is_((dirs, procs), ([], []), "... nothing left")
    w.stop(tap)


def after_exit(tap):
    """A stop request that comes after the skill's main process has exited on its own, while the
    worker still waits for its output pipes (held here by a process outside the run, to which the
    skill handed its stdout), kills nothing of the skill: the outcome is the skill's own."""
    w = Worker()
    path = os.path.join(w.state_dir, "fd.sock")
    lst = socket.socket(socket.AF_UNIX)
    lst.bind(path)
    os.chmod(path, 0o777)
    lst.listen(1)
    w.add_skill("handover", py_skill(
        "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(%r); "
        "print('bye', flush=True); socket.send_fds(s, [b'x'], [1]); s.recv(1); sys.exit(3)" % path))
    p = subprocess.Popen([w.bin, "run", "handover"], env=w.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lst.settimeout(10)
    conn, _ = lst.accept()
    _, fds, _, _ = socket.recv_fds(conn, 1, 1)
    conn.close()  # the skill's recv() returns: it exits, its stdout still open here
    gone = wait_for(lambda: [q for q in processes_with(w.marker) if q != p.pid] == [], timeout=10)
    tap.ok(gone, "run: the skill exited, its stdout held outside the run")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    for fd in fds:
        os.close(fd)
    lst.close()
    try:
        res = json.loads(out)
    except ValueError:
        res = {}
    tap.is_((p.returncode, res.get("outcome"), res.get("exit_code"), res.get("signal"), res.get("stdout")),
            (0, "failed", 3, None, "bye\n"),
            "run: stopped after the skill exited by itself: its own outcome, not killed", err.decode(errors="replace"))
    dirs, procs = w.wait_no_leftovers()
    tap.is_((dirs, procs), ([], []), "... nothing left")
    w.stop(tap)


def own_signal_first(tap):
    """A stop request or a hang-up that comes after the main process died of a signal of its own
    (SIGABRT here) kills nothing of it: its outcome is its own, signaled, not killed. The worker
    is held stopped (SIGSTOP) while the skill dies and the request comes, so that it sees both at
    once when continued, whatever its speed."""
    w = Worker()
    fifo = os.path.join(w.state_dir, "abort")
    os.mkfifo(fifo)
    os.chmod(fifo, 0o666)
    pidfile = os.path.join(w.state_dir, "abort.pid")
    w.add_skill("aborts", sh_skill("echo $$ > %s; read x < %s; kill -ABRT $$" % (pidfile, fifo), timeout_ms=20000))
    # held open here: the skill's open never waits, and a write never fails for want of a reader
    hold = os.open(fifo, os.O_RDWR)

    def skill_pid():
        try:
            with open(pidfile) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    def abort_while_stopped(worker, request_stop):
        """The skill has started: stop its worker, let the skill abort, request the stop while
        the skill is a zombie, continue the worker."""
        skill = wait_for(skill_pid, timeout=10)
        os.kill(worker, signal.SIGSTOP)
        held = wait_for(lambda: proc_state(worker) == "T", timeout=10)
        os.write(hold, b"\n")
        dead = wait_for(lambda: proc_state(skill) == "Z", timeout=10) if skill else False
        request_stop()
        os.kill(worker, signal.SIGCONT)
        return held and dead

    p = subprocess.Popen([w.bin, "run", "aborts"], env=w.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dead = abort_while_stopped(p.pid, lambda: p.send_signal(signal.SIGTERM))
    out, err = p.communicate(timeout=30)
    try:
        res = json.loads(out)
    except ValueError:
        res = {}
    tap.ok(dead, "run: the skill died of SIGABRT while its worker was held stopped")
    tap.is_((p.returncode, res.get("outcome"), res.get("exit_code"), res.get("signal")), (0, "signaled", None, "SIGABRT"),
            "run: SIGTERM after the skill died of its own signal: outcome signaled, not killed",
            err.decode(errors="replace"))

    os.unlink(pidfile)
    w.start()
    s = socket.create_connection(("127.0.0.1", w.port), timeout=20)
    s.sendall(build_request("POST", "/v1/skills/aborts/run", body=b"{}", token=w.token))
    wait_for(skill_pid, timeout=10)
    worker = ppid_of(skill_pid()) if skill_pid() else None
    dead = abort_while_stopped(worker, s.close) if worker else False
    tap.ok(dead, "serve: the skill died of SIGABRT while its worker was held stopped")
    recs = wait_for(lambda: [x for x in w.records() if x.get("skill") == "aborts"], timeout=10) or []
    tap.is_([x.get("outcome") for x in recs], ["signaled"],
            "serve: a hang-up after the skill died of its own signal is logged as signaled, not killed")
    os.close(hold)
    dirs, procs = w.wait_no_leftovers()
    tap.is_((dirs, procs), ([], []), "... nothing left")
    w.stop(tap)


def signal_pending(pid, sig):
    with open("/proc/%d/status" % pid) as f:
        masks = [int(l.split()[1], 16) for l in f if l.startswith(("SigPnd:", "ShdPnd:"))]
    return any(m & (1 << (sig - 1)) for m in masks)


def ignored(tap):
    """A stop signal the worker was started with ignored (nohup ignores SIGHUP, a shell's
    background job without job control SIGINT) stays ignored during a run: it is no request to
    stop, and the run goes on to its own end."""
    w = Worker()
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
        name = sig.name.lower()
        fifo = os.path.join(w.state_dir, name + ".go")
        os.mkfifo(fifo)
        os.chmod(fifo, 0o666)
        hold = os.open(fifo, os.O_RDWR)  # the skill's open never waits
        pidfile = os.path.join(w.state_dir, name + ".pid")
        w.add_skill(name, sh_skill("echo $$ > %s; read x < %s; echo done" % (pidfile, fifo), timeout_ms=20000))
        p = subprocess.Popen([w.bin, "run", name], env=w.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=lambda: signal.signal(sig, signal.SIG_IGN))
        started = wait_for(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile) > 0, timeout=10)
        os.kill(p.pid, sig)
        # one the worker blocked stays pending until it takes it, and kills the run as it does
        taken = wait_for(lambda: not signal_pending(p.pid, sig), timeout=10)
        os.write(hold, b"\n")
        out, err = p.communicate(timeout=30)
        os.close(hold)
        try:
            res = json.loads(out)
        except ValueError:
            res = {}
        tap.ok(started and taken, "run, %s ignored: the skill started, the worker got the signal" % sig.name)
        tap.is_((p.returncode, res.get("outcome"), res.get("stdout")), (0, "ok", "done\n"),
                "run, %s ignored: the signal does not end the run" % sig.name, err.decode(errors="replace"))
    dirs, procs = w.wait_no_leftovers()
    tap.is_((dirs, procs), ([], []), "... nothing left")
    w.stop(tap)


def slow_run(code, **kw):
    """A worker whose skill runs code (4 MB of output allowed, a 60 s read timeout, a 300 ms kill
    grace), and a client that asked for the run with a 4 KiB receive buffer, taking nothing yet."""
    w = Worker(skills={"bulky": sh_skill(code, output_max="4M", **kw)},
               settings={"output_max": "4M", "read_timeout_ms": 60000, "kill_grace_ms": 300})
    w.start()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", w.port))
    s.sendall(build_request("POST", "/v1/skills/bulky/run", body=b"{}", token=w.token))
    return w, s


def during_answer(tap):
    """A stop request while the answer is being written to a client slow to take it: the client
    gets kill_grace_ms more, not the rest of read_timeout_ms, so that under the unit the request
    is cleaned up and logged before systemd's SIGKILL (TimeoutStopSec=5s, read_timeout_ms 10 s
    by default); the record says why the answer was cut short (skillrun(8): one record per
    request). The answer is made far larger than the socket buffers (4 MB of NUL bytes, each
    written as \\u0000), so that the worker is still writing it."""
    w, s = slow_run("head -c 4000000 /dev/zero")
    worker = wait_for(w.live_workers, timeout=10) or []
    s.settimeout(20)
    head = s.recv(12)
    tap.is_(head, b"HTTP/1.1 200", "answer: the worker is writing the answer")
    t0 = time.monotonic()
    if worker:
        os.kill(worker[0], signal.SIGTERM)
    # read_timeout_ms is 60 s: a worker that waited for it would still be there
    tap.is_(wait_gone(worker, 20.0) if worker else ["no worker found"], [],
            "answer: the worker ends after kill_grace_ms, not read_timeout_ms (%.1fs)" % (time.monotonic() - t0))
    rest = recv_all(s, timeout=10)
    s.close()
    hdrs, _, body_part = (head + rest).partition(b"\r\n\r\n")
    length = [int(l.split(b":", 1)[1]) for l in hdrs.split(b"\r\n") if l.lower().startswith(b"content-length:")]
    tap.ok(length and len(body_part) < length[0], "answer: the client got the answer cut short (%d of %s bytes)"
           % (len(body_part), length[0] if length else "?"))
    recs = wait_for(lambda: w.records(), timeout=10) or []  # a journal may store it a moment later
    tap.is_([(x.get("skill"), x.get("status"), x.get("outcome")) for x in recs], [("bulky", "200", "ok")],
            "answer: a stop request while the answer is written still logs the request")
    tap.is_([x.get("error") for x in recs],
            ["told to stop while the client was taking the answer: cut short after kill_grace_ms (300 ms)"],
            "answer: the record says why the answer was cut short")
    dirs, procs = w.wait_no_leftovers()
    tap.is_(dirs, [], "answer: no work dir left")
    w.stop(tap)


def during_run_slow_answer(tap):
    """A stop request during the run, whose answer (outcome killed, with the 4 MB the skill wrote
    first) then meets a client slow to take it: supervision took the signal, and the answer still
    gets only kill_grace_ms, not read_timeout_ms, so that under the unit the request is logged
    before systemd's SIGKILL."""
    w, s = slow_run("head -c 4000000 /dev/zero; exec sleep 30", timeout_ms=25000)
    # the skill has written its output and sleeps: the worker is its parent
    def sleeping_worker():
        for pp in w.live_workers():
            if any(ppid_of(q) == pp and cmdline_of(q).strip() == "sleep 30" for q in processes_with(w.marker)):
                return [pp]
        return None
    worker = wait_for(sleeping_worker, timeout=10) or []
    time.sleep(0.3)  # supervision has drained the 4 MB (the skill wrote them before it slept)
    t0 = time.monotonic()
    if worker:
        os.kill(worker[0], signal.SIGTERM)
    s.settimeout(20)
    head = s.recv(12)
    tap.is_(head, b"HTTP/1.1 200", "stopped run: the worker answers it")
    tap.is_(wait_gone(worker, 20.0) if worker else ["no worker"], [],
            "stopped run: a slow client gets kill_grace_ms for the answer, not read_timeout_ms (%.1fs)"
            % (time.monotonic() - t0))
    s.close()
    recs = wait_for(lambda: w.records(), timeout=10) or []
    tap.is_([(x.get("skill"), x.get("status"), x.get("outcome"), x.get("error")) for x in recs],
            [("bulky", "200", "killed",
              "told to stop while the client was taking the answer: cut short after kill_grace_ms (300 ms)")],
            "stopped run: logged as killed, with the answer cut short")
    dirs, procs = w.wait_no_leftovers()
    tap.is_((dirs, procs), ([], []), "stopped run: no work dir or process left")
    w.stop(tap)


BUSY_JOURNAL = r"""
import os, socket, subprocess, sys
# a journal that takes nothing: its socket's queue full, so a datagram gets EAGAIN (this runs in
# a mount namespace of its own, over a tmpfs /run: the host's /run is untouched)
subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
os.makedirs("/run/systemd/journal")
j = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
j.bind("/run/systemd/journal/socket")
# A sender also meets its own send buffer (each queued datagram is charged to it): one sender
# alone stops at about 280 datagrams, short of net.unix.max_dgram_qlen where systemd's 512 is set
# (Debian 12), and the worker's would still get in. New senders until a fresh one is refused.
fillers = []
while True:
    f = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    f.setblocking(False)
    fillers.append(f)
    sent = 0
    try:
        while True:
            f.sendto(b"MESSAGE=filler\n", "/run/systemd/journal/socket")
            sent += 1
    except BlockingIOError:
        pass
    if sent == 0:
        break
p = subprocess.Popen(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(p.pid))
sys.exit(0 if p.wait() == 0 else 1)
"""


def during_log(tap):
    """A stop request while the record is written, with a journal too busy to take the datagram
    and a stderr (its stream, under systemd) that does not drain: the worker still stops, on the
    signal, with nothing left behind. Only the record may be lost there. Without any journal,
    stderr is the log itself and the record is waited for (during_answer)."""
    why = "needs root" if os.geteuid() != 0 else private_mounts_refused()
    if why:
        tap.skip("log: a busy journal needs a mount namespace of its own: %s" % why)
        return
    w = Worker(skills={"quick": sh_skill("echo hi")})
    r, wr = os.pipe()
    os.set_blocking(wr, False)
    try:
        while True:
            os.write(wr, b"x" * 4096)
    except BlockingIOError:
        pass
    try:
        while True:
            os.write(wr, b"x")
    except BlockingIOError:
        pass
    os.set_blocking(wr, True)
    pidfile = os.path.join(w.root, "worker.pid")
    with socket.socket() as ls:
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        c = socket.create_connection(ls.getsockname())
        conn, _ = ls.accept()
        p = subprocess.Popen(["unshare", "-m", "--propagation", "private", sys.executable, "-c", BUSY_JOURNAL,
                              pidfile, w.bin, "serve"], stdin=conn, stdout=conn, stderr=wr, env=w.env())
        conn.close()
    os.close(wr)
    worker = wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), timeout=10)
    c.sendall(build_request("POST", "/v1/skills/quick/run", body=b"{}", token=w.token))
    c.settimeout(20)
    rs = parse_responses(recv_all(c))
    c.close()
    tap.is_([x.status for x in rs], [200], "log: the run was answered")
    time.sleep(0.3)  # the answer is out: the worker is writing its record to the full stderr
    with open("/proc/%s/status" % worker) as f:
        state = [l.split(None, 1)[1].strip() for l in f if l.startswith("State:")]
    t0 = time.monotonic()
    os.kill(int(worker), signal.SIGTERM)
    gone = wait_gone([int(worker)], 5.0) == []
    tap.ok(gone, "log: a worker stuck writing its record (%s) stops on SIGTERM (%.1fs)"
           % (state[0] if state else "?", time.monotonic() - t0))
    if not gone:
        os.kill(int(worker), signal.SIGKILL)
    p.wait(10)
    os.close(r)
    dirs, procs = w.wait_no_leftovers()
    tap.is_(dirs, [], "log: no work dir left")
    w.stop(tap)


def body(tap):
    w = Worker(skills={"sleepy": sh_skill(SKILL, timeout_ms=20000), "quick": sh_skill("true")})

    # --- skillrun run, stopped with SIGTERM, or by ^\ (SIGQUIT, whose default action would end
    # the command and leave the run's work dir and cgroups behind)
    for sig in (signal.SIGTERM, signal.SIGQUIT):
        p = subprocess.Popen([w.bin, "run", "sleepy"], env=w.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        skill = wait_for(lambda: [q for q in processes_with(w.marker) if q != p.pid], timeout=10)
        tap.ok(len(skill) >= 1, "run: the skill started (%r)" % skill)
        t0 = time.monotonic()
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)  # the skill's timeout is 20 s: the bound below decides
        dt = time.monotonic() - t0
        tap.is_(p.returncode, 0, "run: %s ends the run, not the command: exit 0" % sig.name,
                err.decode(errors="replace"))
        try:
            res = json.loads(out)
        except ValueError:
            res = {}
        tap.is_(res.get("outcome"), "killed", "run, %s: outcome killed" % sig.name)
        tap.is_(res.get("signal"), "SIGKILL", "run, %s: the skill died of SIGKILL" % sig.name)
        tap.ok(dt < 15, "run, %s: answered at once, not at the skill's 20 s timeout (%.2fs)" % (sig.name, dt))
        dirs, procs = w.wait_no_leftovers()
        tap.is_(dirs, [], "run, %s: no work dir left" % sig.name)
        tap.is_(procs, [], "run, %s: no skill process left (setsid one included)" % sig.name)
        tap.is_(w.run_cgroups(dirs + ["skillrun-" + str(res.get("run_id"))]), [],
                "run, %s: no run cgroup left" % sig.name)

    # --- skillrun run, stopped at any moment: also while the work dir and the cgroup are being
    # made, before the skill runs (a request with files makes that take a while)
    req = os.path.join(w.root, "request.json")
    with open(req, "w") as f:
        json.dump({"files": {"f%d" % i: b64(b"x" * 20000) for i in range(30)}}, f)
    cmd = [w.bin, "run", "quick", "--request", req]
    t0 = time.monotonic()
    subprocess.run(cmd, env=w.env(), capture_output=True, timeout=30)
    one = time.monotonic() - t0
    for i in range(40):
        p = subprocess.Popen(cmd, env=w.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0, one))
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
    dirs, procs = w.wait_no_leftovers()
    tap.is_(dirs, [], "run: SIGTERM at any moment of 40 runs (one takes %.1f ms): no work dir left" % (one * 1000))
    tap.is_(w.run_cgroups(dirs), [], "run: ... nor a run cgroup")

    # --- a stop request during the preparation of a run that then fails (here: the work dir
    # cannot be made): the caller still hears why, and the stop is acted on after. strace
    # delivers the SIGTERM exactly there, at the failing mkdir.
    strace = shutil.which("strace")
    inject = ["-qq", "-o", "/dev/null", "-e", "trace=mkdir,mkdirat", "-e",
              "inject=mkdir,mkdirat:error=EACCES:signal=SIGTERM:when=1"]
    if strace and subprocess.run([strace] + inject + ["true"], capture_output=True).returncode == 0:
        p = subprocess.run([strace] + inject + [w.bin, "run", "quick"], env=w.env(), capture_output=True, timeout=30)
        err = p.stderr.decode(errors="replace")
        tap.contains(err, "cannot create work directory", "run: SIGTERM while preparing a run that fails: the error is said")
        # (strace ends itself with the signal that ended its tracee)
        tap.is_(p.returncode, -signal.SIGTERM, "run: ... and the SIGTERM still ends it after", err)
        with socket.socket() as ls:
            ls.bind(("127.0.0.1", 0))
            ls.listen(1)
            c = socket.create_connection(ls.getsockname())
            conn, _ = ls.accept()
            q = subprocess.Popen([strace] + inject + [w.bin, "serve"], stdin=conn, stdout=conn,
                                 stderr=subprocess.PIPE, env=w.env(), close_fds=True)
            conn.close()
            c.sendall(build_request("POST", "/v1/skills/quick/run", body=b"{}", token=w.token))
            rs = parse_responses(recv_all(c, 30))
            c.close()
            q.communicate(timeout=30)
        tap.is_(rs[0].status if rs else None, 500, "serve: SIGTERM while preparing a run that fails: still a 500")
        dirs, procs = w.wait_no_leftovers()
        tap.is_(dirs, [], "... no work dir left")
    else:
        tap.skip("strace with fault injection is not available")

    # --- a served request, its worker stopped with SIGTERM
    w.start()
    s = socket.create_connection(("127.0.0.1", w.port), timeout=20)
    s.sendall(build_request("POST", "/v1/skills/sleepy/run", body=b"{}", token=w.token))
    worker = wait_for(lambda: find_worker(w), timeout=10)
    tap.ok(worker is not None, "serve: found the worker of the run (%r)" % worker)
    if worker:
        os.kill(worker, signal.SIGTERM)
    rs = parse_responses(recv_all(s))
    s.close()
    r = rs[0] if rs else None
    tap.is_(r.status if r else None, 200, "serve: the client still gets an answer")
    tap.is_((r.json or {}).get("outcome") if r else None, "killed", "serve: outcome killed")
    dirs, procs = w.wait_no_leftovers()
    tap.is_(dirs, [], "serve: no work dir left")
    tap.is_(procs, [], "serve: no skill process left")
    w.stop(tap)

    during_grace(tap)
    after_exit(tap)
    own_signal_first(tap)
    ignored(tap)
    during_answer(tap)
    during_run_slow_answer(tap)
    during_log(tap)

    for policy in ("none", "permissive", "restrictive"):
        killed_outright(tap, policy)


main(body)
