#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A kernel with less than this one: the worker run under strace, which answers its
# landlock_create_ruleset(2) as a kernel without landlock (ENOSYS: not built; EOPNOTSUPP: not
# in lsm= at boot) or with an older ABI would. What the design promises there (§5, issue #3
# item 7): `sandbox = strict` refuses a policy the kernel cannot give with a 503 that says why;
# `best-effort` runs it and lists what was missing; restrictive is never run half-built;
# /v1/info and `skillrun check` say what this kernel enforces. The test kernels all have
# landlock ABI 6 or later, so without this none of those paths would ever run (the older
# ABIs are skipped on a kernel older than they are).
import errno
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import SH, Worker, check_error, landlock_abi, main  # noqa: E402


def skills(tokens_file):
    # the permissive one tries to read the tokens file: 0644 here, so that only landlock keeps it
    # out, whether the skill runs as run_user (a root worker) or as the worker's own uid
    cat = {"description": "reads the tokens file", "command": [SH, "-c", 'cat "$1" && echo read', "sh", tokens_file],
           "input": "none"}
    return {
        "perm": dict(cat, policy="permissive"),
        "permnet": dict(cat, policy="permissive", network=True),
        "restr": {"description": "echo", "command": ["/bin/echo", "hi"], "policy": "restrictive", "input": "none"},
        "none": {"description": "echo", "command": ["/bin/echo", "hi"], "policy": "none", "input": "none"},
    }


def landlock_missing(sandbox):
    """sandbox.missing but for what a worker started without CAP_SETPCAP and with a bounding set
    also lists (capability-bounding-set: not this test's matter)."""
    return [x for x in sandbox.get("missing", []) if x != "capability-bounding-set"]


class DegradedWorker(Worker):
    def __init__(self, inject, settings=None, syscall="landlock_create_ruleset"):
        super().__init__(settings=settings, inetd=True)
        os.chmod(self.tokens_file, 0o644)
        os.chmod(self.root, 0o755)
        for name, m in skills(self.tokens_file).items():
            self.add_skill(name, m)
        self.under_strace(syscall, inject)


def body(tap):
    # --- no landlock at all, strict (the default)
    # (EPERM: what a container's seccomp filter that does not know landlock answers)
    for errno_name, status in (("ENOSYS", "not built (ENOSYS)"), ("EOPNOTSUPP", "disabled (EOPNOTSUPP)"),
                               ("EPERM", "unavailable")):
        w = DegradedWorker("error=" + errno_name).start()
        r = w.get("/v1/info")
        feat = (r.json or {}).get("features", {})
        tap.is_((r.status, feat.get("landlock_abi"), feat.get("landlock")), (200, 0, status),
                "%s: /v1/info says landlock is %s" % (errno_name, status))
        for skill, policy in (("perm", "permissive"), ("restr", "restrictive")):
            r = w.run(skill, {})
            check_error(tap, r, 503, "%s, strict: %s" % (errno_name, policy))
            tap.is_((r.json or {}).get("message"),
                    "sandbox: the '%s' policy needs landlock, which this kernel lacks" % policy,
                    "%s, strict: %s: the message names the policy and landlock" % (errno_name, policy))
        r = w.run("none", {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", "hi\n"),
                "%s, strict: policy none needs no landlock: it runs" % errno_name)
        recs = w.records(want=j.get("run_id"))
        tap.is_(sorted((x.get("skill"), x.get("status"), x.get("error")) for x in recs if x.get("method") == "POST"),
                [("none", "200", None),
                 ("perm", "503", "sandbox: the 'permissive' policy needs landlock, which this kernel lacks"),
                 ("restr", "503", "sandbox: the 'restrictive' policy needs landlock, which this kernel lacks")],
                "%s: the refusals are logged as 503, with why" % errno_name, repr(recs))
        dirs, procs = w.wait_no_leftovers()
        tap.is_((dirs, procs), ([], []), "%s: no work dir or process left" % errno_name)
        tap.is_(w.run_cgroups(dirs), [], "%s: no run cgroup left" % errno_name)

        p = w.cli("check")
        out = p.stdout.decode(errors="replace")
        tap.contains(out, '"landlock":"%s"' % status, "%s: check's kernel line says so" % errno_name)
        for skill, policy in (("perm", "permissive"), ("permnet", "permissive"), ("restr", "restrictive")):
            tap.contains(out, "warning: %s/%s.json: policy %s needs landlock, which this kernel lacks: every run is "
                         "refused with 503 (sandbox strict)\n" % (w.skills_dir, skill, policy),
                         "%s: check warns that %s's runs will be refused" % (errno_name, skill))
        tap.ok("none.json: policy none needs" not in out, "%s: ... and not of policy none's" % errno_name)
        tap.is_(p.returncode, 0, "%s: check still exits 0 (the configuration is sound; the kernel lacks)" % errno_name)
        w.stop(tap)

    # --- neither landlock nor seccomp filters (prctl(PR_SET_SECCOMP) answering EINVAL, as without
    # CONFIG_SECCOMP_FILTER): /v1/info and check name both. (Not a run: every other prctl fails
    # too here, the worker's PR_SET_CHILD_SUBREAPER first, which no real kernel does.)
    w = DegradedWorker("error=EINVAL", syscall="landlock_create_ruleset,prctl").start()
    r = w.get("/v1/info")
    feat = (r.json or {}).get("features", {})
    tap.is_((feat.get("landlock"), feat.get("seccomp")), ("unavailable", False),
            "neither: /v1/info says landlock unavailable, no seccomp")
    for mode, said in (("strict", "needs landlock and seccomp filters, which this kernel lacks: every run is "
                                  "refused with 503 (sandbox strict)"),
                       ("best-effort", "runs without landlock and seccomp filters, which this kernel lacks "
                                       "(sandbox best-effort)")):
        out = w.cli("check", env={"SKILLRUN_SANDBOX": mode}).stdout.decode(errors="replace")
        tap.contains(out, "warning: %s/perm.json: policy permissive %s" % (w.skills_dir, said),
                     "neither, %s: check names both" % mode)
    w.stop(tap)

    # --- seccomp filters alone missing (prctl alone answering EINVAL): check names them alone
    w = DegradedWorker("error=EINVAL", syscall="prctl").start()
    out = w.cli("check").stdout.decode(errors="replace")
    tap.contains(out, "warning: %s/perm.json: policy permissive needs seccomp filters, which this kernel lacks: "
                 "every run is refused with 503 (sandbox strict)" % w.skills_dir,
                 "no seccomp filters, strict: check names them, not landlock")
    w.stop(tap)

    # --- no landlock, best-effort: permissive runs, without it, and says so; restrictive does not
    w = DegradedWorker("error=ENOSYS", settings={"sandbox": "best-effort"})
    # a command outside what landlock's rules would let a permissive skill execute: without
    # landlock it runs, and check calls it no error
    opt = os.path.join(w.root, "opt")
    os.mkdir(opt)
    os.chmod(opt, 0o755)
    shutil.copy("/bin/echo", os.path.join(opt, "echo"))
    w.add_skill("permopt", {"description": "echo", "command": [os.path.join(opt, "echo"), "hi"], "input": "none"})
    w.start()
    r = w.run("permopt", {})
    tap.is_((r.status, (r.json or {}).get("outcome"), (r.json or {}).get("stdout")), (200, "ok", "hi\n"),
            "best-effort: a permissive command landlock would leave out runs without it", repr(r.body[:500]))
    r = w.run("perm", {})
    j = r.json or {}
    sb = j.get("sandbox", {})
    tap.is_((r.status, j.get("outcome")), (200, "ok"), "best-effort: permissive runs without landlock",
            repr(r.body[:500]))
    tap.is_((sb.get("landlock_abi"), landlock_missing(sb), sb.get("seccomp")), (0, ["landlock"], "permissive"),
            "best-effort: ... reported: landlock_abi 0, missing [landlock], seccomp still permissive")
    tap.is_(sb.get("network"), False, "best-effort: ... the network still closed (seccomp's socket rules)")
    tap.contains(j.get("stdout", ""), "read", "best-effort: ... and without landlock the tokens file is readable "
                 "(what 'missing' warns of)")
    r = w.run("restr", {})
    check_error(tap, r, 503, "best-effort: restrictive is never run half-built")
    tap.is_((r.json or {}).get("message"), "sandbox: the 'restrictive' policy needs landlock, which this kernel lacks",
            "best-effort: ... and says why")
    dirs, procs = w.wait_no_leftovers()
    tap.is_((dirs, procs), ([], []), "best-effort: no work dir or process left")
    out = w.cli("check").stdout.decode(errors="replace")
    tap.contains(out, "warning: %s/perm.json: policy permissive runs without landlock, which this kernel lacks "
                 "(sandbox best-effort): its results list it in sandbox.missing\n" % w.skills_dir,
                 "best-effort: check warns that permissive runs without landlock")
    tap.contains(out, "warning: %s/restr.json: policy restrictive needs landlock, which this kernel lacks: every run "
                 "is refused with 503 (restrictive, best-effort or not)\n" % w.skills_dir,
                 "best-effort: check warns that restrictive's runs will be refused")
    tap.ok("ok: permopt (" in out and "does not let the skill execute" not in out,
           "best-effort: ... and calls the command landlock would leave out no error", out)
    w.stop(tap)

    # --- older landlock ABIs: the version probe, the worker's first landlock_create_ruleset(2),
    # answers 2 (Linux 6.1, Debian 12's own kernel), 4 (6.7: network rules) or 5 (6.10: device
    # ioctls); the ruleset itself is then made by this kernel for the rights that ABI knows, which
    # a kernel with an older ABI refuses (Debian 12's 6.1, ABI 2: E2BIG for ABI 4's network rights)
    real_abi = landlock_abi()
    for abi, lacks in ((2, ["landlock-network", "landlock-scope", "landlock-truncate", "landlock-ioctl"]),
                       (4, ["landlock-scope", "landlock-ioctl"]),
                       (5, ["landlock-scope"])):
        if abi > real_abi:
            tap.skip("ABI %d: this kernel has landlock ABI %d, which cannot make an ABI %d ruleset"
                     % (abi, real_abi, abi))
            continue
        w = DegradedWorker("retval=%d:when=1" % abi).start()
        r = w.run("perm", {})
        j = r.json or {}
        sb = j.get("sandbox", {})
        tap.is_((r.status, sb.get("landlock_abi")), (200, abi), "ABI %d, strict: permissive runs" % abi,
                repr(r.body[:500]))
        tap.is_(landlock_missing(sb), lacks, "ABI %d: missing lists what ABI %d cannot rule" % (abi, abi))
        tap.is_((j.get("outcome"), j.get("exit_code")), ("failed", 1), "ABI %d: the tokens file stays out of reach" % abi)
        tap.contains(j.get("stderr", ""), "Permission denied", "ABI %d: ... cat says why" % abi)
        r = w.run("permnet", {})
        sb = (r.json or {}).get("sandbox", {})
        tap.is_(landlock_missing(sb), [x for x in lacks if x != "landlock-network"],
                "ABI %d: a skill given the network misses no network rules" % abi)
        r = w.run("restr", {})
        j = r.json or {}
        tap.is_((r.status, j.get("outcome"), j.get("stdout")), (200, "ok", "hi\n"), "ABI %d: restrictive runs" % abi)
        dirs, procs = w.wait_no_leftovers()
        tap.is_((dirs, procs), ([], []), "ABI %d: no work dir or process left" % abi)
        out = w.cli("check").stdout.decode(errors="replace")
        tap.contains(out, '"landlock_abi":%d,"landlock":"available"' % abi, "ABI %d: check's kernel line" % abi)
        tap.contains(out, "warning: kernel: landlock below ABI 6 (Linux 6.12) cannot scope signals",
                     "ABI %d: check warns what it cannot scope" % abi)
        tap.ok("which this kernel lacks" not in out, "ABI %d: ... and of no skill refused or run without landlock" % abi)
        w.stop(tap)

    # --- a run cgroup the kernel will not make (mkdirat(2) refused, as a cgroup tree made
    # read-only or taken back would): the run falls back to rlimits and says so, and the worker's
    # log says why, with the directory and the errno, for the operator
    w = DegradedWorker("error=EACCES", syscall="mkdirat").start()
    mode = ((w.get("/v1/info").json or {}).get("features") or {}).get("cgroup")
    if mode not in ("v1", "delegated"):
        tap.skip("no run cgroup to refuse: this worker's cgroup mode is %s" % mode)
    else:
        r = w.run("none", {})
        j = r.json or {}
        sb = j.get("sandbox", {})
        tap.is_((r.status, j.get("outcome"), sb.get("cgroup"), "cgroup" in sb.get("missing", [])),
                (200, "ok", "rlimit", True), "no run cgroup (%s): the run has rlimits and says cgroup is missing" % mode)
        made = "skillrun-run-" if mode == "v1" else "worker"
        tap.ok(re.search(r"No run cgroup, resource limits instead: cgroup: cannot create '/[^']*/%s[^']*': %s\n"
                         % (made, re.escape(os.strerror(errno.EACCES))), w.all_log_text()),
               "no run cgroup: the worker logs which directory it could not make, and why", w.read_log()[-2000:])
        dirs, procs = w.wait_no_leftovers()
        tap.is_((dirs, procs, w.run_cgroups(dirs)), ([], [], []), "no run cgroup: nothing left behind")
    w.stop(tap)

if __name__ == "__main__":
    main(body)
