#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# What the built binary loads and how it is linked, as the README and configure promise:
# no libsystemd, libseccomp or libcap at run time (the journal protocol, socket activation,
# capabilities and the precompiled filters are skillrun's own), full RELRO when configure
# found the linker flags, no executable stack, and no dynamic loader for a static binary.
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import Skip, main  # noqa: E402


def readelf(binary, *opts):
    return subprocess.run(["readelf", "-W"] + list(opts) + [binary], check=True, capture_output=True,
                          text=True, timeout=60).stdout


def body(tap):
    if not shutil.which("readelf"):
        raise Skip("readelf (binutils) not installed")
    binary = os.environ.get("SKILLRUN_BIN", "./skillrun")
    ldflags = os.environ.get("SKILLRUN_LDFLAGS")
    if ldflags is None:
        raise Skip("SKILLRUN_LDFLAGS not set (run through make check)")
    static = "-static-pie" in ldflags.split()

    dynamic = readelf(binary, "-d")
    needed = sorted(re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", dynamic))
    if static:
        tap.is_(needed, [], "a static binary needs no shared library")
    else:
        # the loader is named when a static json-c brings its TLS along (--enable-static-deps)
        allowed = re.compile(r"^(libc\.so\.6|ld-linux[-\w.]*\.so\.\d+|libjson-c\.so\.\d+|"
                             r"libasan\.so\.\d+|libubsan\.so\.\d+)$")
        tap.is_([n for n in needed if not allowed.match(n)], [],
                "only libc and json-c are loaded (%s)" % ", ".join(needed))
        tap.ok("libc.so.6" in needed, "libc is a shared library")

    segments = readelf(binary, "-l")
    # Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align: the flags are split by spaces
    stack = [line.split() for line in segments.splitlines() if line.split()[:1] == ["GNU_STACK"]]
    flags = "".join(stack[0][6:-1]) if stack else None
    tap.ok(flags is not None and "E" not in flags, "the stack is not executable (%s)" % flags)
    # the link line has skillrun's flags, then the caller's LDFLAGS: the last -z now or -z lazy wins
    binding = None
    for w in ldflags.split():
        if w in ("-Wl,-z,now", "-Wl,-z,lazy"):
            binding = w
    if binding == "-Wl,-z,now":
        tap.ok(re.search(r"^\s*GNU_RELRO\s", segments, re.M) is not None, "a RELRO segment")
        tap.ok(re.search(r"\(FLAGS_1\)\s+Flags:.*\bNOW\b", dynamic) is not None or
               re.search(r"\(FLAGS\)\s+.*\bBIND_NOW\b", dynamic) is not None,
               "every symbol is bound at start-up (full RELRO)")
    else:
        tap.skip("configure found no -z relro -z now, or LDFLAGS say -z lazy")


if __name__ == "__main__":
    main(body)
