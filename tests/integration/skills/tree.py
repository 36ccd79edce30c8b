# SPDX-License-Identifier: LGPL-2.1-or-later
# Test skill: leaves a detached daemon behind, then hangs.
#   python3 -I -S tree.py [PIDFILE] [--ignore-term] [--exit]
# Forks a child that calls setsid() and forks again; the grandchild (the "daemon")
# closes its stdio so that no pipe ties it to the worker, ignores SIGTERM if asked,
# and sleeps. The skill prints {"skill": pid, "daemon": pid} (and writes it to PIDFILE
# if given), then sleeps too (or, with --exit, exits 0 at once). A correct worker
# kills both on timeout or hang-up, and the daemon when the skill exits.
import json
import os
import signal
import sys
import time

args = [a for a in sys.argv[1:] if not a.startswith("--")]
ignore_term = "--ignore-term" in sys.argv
pidfile = args[0] if args else None

if ignore_term:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

r, w = os.pipe()
child = os.fork()
if child == 0:
    os.close(r)
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.write(w, str(os.getpid()).encode())
    os.close(w)
    while True:
        time.sleep(1000)
os.close(w)
os.waitpid(child, 0)
daemon = int(os.read(r, 64).decode())
os.close(r)
info = json.dumps({"skill": os.getpid(), "daemon": daemon})
if pidfile:
    with open(pidfile + ".tmp", "w") as f:
        f.write(info)
    os.rename(pidfile + ".tmp", pidfile)
sys.stdout.write(info + "\n")
sys.stdout.flush()
if "--exit" in sys.argv:
    sys.exit(0)
while True:
    time.sleep(1000)
