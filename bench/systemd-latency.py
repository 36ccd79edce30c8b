#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Latency and requests/s through the real systemd Accept=yes path (issue 4).

Boots a private systemd (tests/systemd harness) with skillrun installed by
`make install DESTDIR=`, and measures, in the same systemd and the same run:

  skillrun   the installed skillrun@.service running a trivial skill (/bin/true)
  responder  bench/systemd-responder (reads the request, answers a fixed 200) under a
             copy of the installed skillrun@.service with only ExecStart= changed:
             the same hardening and limits
each as shipped ("hardened"), with contrib/systemd/latency.conf added ("latency.conf"),
and with every hardening and resource-control directive removed ("plain"). Prints
p50/p99 latency at concurrency 1, requests/s at concurrency 1 and 2 (each configuration
measured in blocks, three rounds round-robin), and the ratios
skillrun/responder (skillrun's own cost; target <= 1.2) and hardened/plain (the price of
the hardening). Loopback only; bounded: SKILLRUN_BENCH_N requests per configuration and
concurrency (default 200). Root only.

  sudo top_builddir=$PWD top_srcdir=/path/to/src python3 bench/systemd-latency.py
"""

import os
import re
import statistics
import sys
import tempfile
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

top_srcdir = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
top_builddir = os.environ.get("top_builddir") or "."
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(top_srcdir, "tests", "systemd"))
import sdharness as sd  # noqa: E402

N = int(os.environ.get("SKILLRUN_BENCH_N", "200"))
WARMUP = 10
ROUNDS = 3

# What "plain" keeps of the installed unit: what it needs to work at all.
PLAIN_KEEP = ("Type", "ExecStart", "StandardInput", "StandardOutput", "StandardError", "LoadCredential",
              "RuntimeDirectory", "RuntimeDirectoryMode", "Slice", "Environment", "Description", "Documentation",
              "CollectMode")


def plain(unit_text):
    out = []
    for line in unit_text.splitlines():
        m = re.match(r"^([A-Za-z]+)=", line)
        if line.startswith("[") or (m and m.group(1) in PLAIN_KEEP):
            out.append(line)
    return "\n".join(out) + "\n"


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    why = sd.missing_requirements()
    if why:
        print("systemd-latency: cannot run here: " + why)
        return 77
    responder_bin = os.path.join(top_builddir, "bench", "systemd-responder")
    if not os.access(os.path.join(top_builddir, "skillrun"), os.X_OK) or not os.access(responder_bin, os.X_OK):
        print("systemd-latency: build first (make skillrun bench/systemd-responder)")
        return 1

    work = tempfile.mkdtemp(prefix="skillrun-bench-")
    inst = sd.Install(top_builddir, os.path.join(work, "payload"))
    token = sd.make_token()
    inst.write(inst.tokens_file, "bench:%s\n" % token, mode=0o600)
    bench_skills = "/usr/local/lib/skillrun-bench/skills"
    inst.skill("true", {"description": "does nothing", "command": ["/bin/true"], "input": "none"},
               skills_dir=bench_skills)
    shutil.copy(responder_bin, inst.path("/usr/local/lib/skillrun-bench/responder"))

    unitdir = "/etc/systemd/system" if inst.relocated else inst.unitdir
    service = open(inst.path(unitdir + "/skillrun@.service")).read()
    socket_unit = open(inst.path(unitdir + "/skillrun.socket")).read()
    latency = open(os.path.join(top_srcdir, "contrib", "systemd", "latency.conf")).read()
    env = "[Service]\nEnvironment=SKILLRUN_SKILLS_DIR=%s ASAN_OPTIONS=detect_leaks=0\n" % bench_skills

    variants = {"hardened": service, "latency.conf": service, "plain": plain(service)}
    configs = []   # (label, kind, port)
    for variant, text in variants.items():
        for kind in ("skillrun", "responder"):
            name = "bench-%s-%s" % (kind, re.sub(r"\W", "", variant))
            port = sd.free_port()
            unit = text if kind == "skillrun" else re.sub(r"(?m)^ExecStart=.*$",
                                                          "ExecStart=/usr/local/lib/skillrun-bench/responder", text)
            inst.write("/etc/systemd/system/%s@.service" % name, unit)
            inst.write("/etc/systemd/system/%s.socket" % name,
                       re.sub(r"(?m)^ListenStream=.*$", "ListenStream=127.0.0.1:%d" % port, socket_unit))
            inst.dropin(name + "@.service", "bench", env)
            if variant == "latency.conf":
                inst.dropin(name + "@.service", "latency", latency)
            configs.append((variant, kind, name, port))
    inst.target("skillrun-bench.target", [c[2] + ".socket" for c in configs])
    # "plain" has no TemporaryFileSystem=/run/skillrun: its work dirs go to a plain directory
    # there, made at boot (not as a side effect of a hardened instance making its mount point)
    inst.write("/etc/tmpfiles.d/skillrun-bench.conf", "d /run/skillrun 1777 root root -\n")

    sdm = sd.Systemd(os.path.join(work, "sd"), inst.payload, target="skillrun-bench.target")
    errors = {}

    def one(c):
        _, kind, _, port = c
        t0 = time.perf_counter()
        r = sd.request(port, "POST", "/v1/skills/true/run", token=token, body={}, timeout=30)
        dt = time.perf_counter() - t0
        good = r.status == 200 and (kind == "responder" or b'"outcome":"ok"' in r.body.replace(b" ", b""))
        if not good:
            errors[c[2]] = errors.get(c[2], 0) + 1
            if errors[c[2]] == 1:
                print("# %s: unexpected answer: %r" % (c[2], r.raw[:300]))
        return dt

    try:
        sdm.start()
        print("systemd %s, kernel %s, %d CPUs, %d requests per configuration" % (
            sdm.run("systemctl", "--version")[1].split()[1], os.uname().release, os.cpu_count(), N))
        for c in configs:
            for _ in range(WARMUP):
                one(c)
        lat = {c: [] for c in configs}
        # concurrency 1: each configuration in blocks, ROUNDS times round-robin, after a pause, so
        # that each one pays for its own instances' teardown in PID 1 and drift hits all alike
        for _ in range(ROUNDS):
            for c in configs:
                time.sleep(0.3)
                lat[c].extend(one(c) for _ in range(N // ROUNDS))
        rps1 = {c: len(lat[c]) / sum(lat[c]) for c in configs}
        rps2 = {c: 0.0 for c in configs}
        for _ in range(ROUNDS):
            for c in configs:
                time.sleep(0.3)
                with ThreadPoolExecutor(2) as ex:
                    t0 = time.perf_counter()
                    list(ex.map(lambda _: one(c), range(N // ROUNDS)))
                    rps2[c] += (N // ROUNDS) / (time.perf_counter() - t0) / ROUNDS
        rc, failed = sdm.run("systemctl", "list-units", "--failed", "--no-legend", "--plain")
    finally:
        sdm.stop()
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("%-13s %-10s %9s %9s %9s %10s %10s %7s" % ("units", "instance", "p50 ms", "p99 ms", "mean ms",
                                                      "req/s c=1", "req/s c=2", "errors"))
    for c in configs:
        xs = [x * 1000 for x in lat[c]]
        print("%-13s %-10s %9.2f %9.2f %9.2f %10.1f %10.1f %7d" % (c[0], c[1], percentile(xs, 50),
              percentile(xs, 99), statistics.mean(xs), rps1[c], rps2[c], errors.get(c[2], 0)))
    print()
    by = {(c[0], c[1]): c for c in configs}

    def p50(v, k):
        return percentile(lat[by[(v, k)]], 50) * 1000
    for v in variants:
        print("%-13s skillrun/responder p50 %.2fx (%+.2f ms)   req/s c=2 %.2fx" % (
            v, p50(v, "skillrun") / p50(v, "responder"), p50(v, "skillrun") - p50(v, "responder"),
            rps2[by[(v, "skillrun")]] / rps2[by[(v, "responder")]]))
    for k in ("skillrun", "responder"):
        print("price of hardening, %-9s p50 %+.2f ms (hardened/plain %.2fx), latency.conf saves %.2f ms" % (
            k, p50("hardened", k) - p50("plain", k), p50("hardened", k) / p50("plain", k),
            p50("hardened", k) - p50("latency.conf", k)))
    if failed.strip():
        print("failed units:\n" + failed)
    return 1 if errors or failed.strip() else 0


if __name__ == "__main__":
    sys.exit(main())
