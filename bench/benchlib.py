# SPDX-License-Identifier: LGPL-2.1-or-later
"""What bench/core-latency and bench/policy-cost share: where the per-run work dirs go."""
import os
import tempfile


def fs_type(path):
    """The filesystem type of the mount holding 'path' (longest mount point prefix)."""
    path = os.path.realpath(path)
    best, kind = "", None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mnt = fields[4].replace("\\040", " ")
            fstype = fields[fields.index("-") + 1]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, fstype
    return kind


def work_dir(requested):
    """A fresh directory for skillrun's work_dir, and a description of it.

    The shipped unit puts the work dirs on a private tmpfs (SKILLRUN_WORK_DIR=/run/skillrun,
    TemporaryFileSystem=), so the benchmarks do too unless told otherwise: a directory on a
    disk filesystem adds a journalled mkdir and unlink per run that no deployment pays."""
    if requested:
        parent = requested
    elif fs_type("/dev/shm") == "tmpfs":
        parent = "/dev/shm"
    else:
        parent = None
    d = tempfile.mkdtemp(prefix="skillrun-bench-work-", dir=parent)
    os.chmod(d, 0o1777)
    return d, "%s (%s)" % (d, fs_type(d))
