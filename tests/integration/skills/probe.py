# SPDX-License-Identifier: LGPL-2.1-or-later
# Test skill: reports as JSON what it was given and what it can see.
# Runs as: python3 -I -S probe.py [args...]
import base64
import json
import os
import resource
import stat
import sys

# First, before anything opens a file: which descriptors did we inherit?
fds = []
for fd in range(0, 4096):
    try:
        os.fstat(fd)
        fds.append(fd)
    except OSError:
        pass

data = sys.stdin.buffer.read()
cwd = os.getcwd()
files = {}
for name in sorted(os.listdir(cwd)):
    p = os.path.join(cwd, name)
    if os.path.isfile(p) and os.path.getsize(p) <= 1 << 20:
        with open(p, "rb") as f:
            files[name] = base64.b64encode(f.read()).decode()

st = os.stat(cwd)
out = {
    "argv": sys.argv[1:],
    "cwd": cwd,
    "cwd_mode": "%o" % stat.S_IMODE(st.st_mode),
    "env": dict(os.environ),
    "stdin": base64.b64encode(data).decode(),
    "files": files,
    "fds": fds,
    "pid": os.getpid(),
    "pgid": os.getpgid(0),
    "sid": os.getsid(0),
    "rlimits": {"core": list(resource.getrlimit(resource.RLIMIT_CORE)),
                "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE))},
}
json.dump(out, sys.stdout)
sys.stdout.write("\n")
