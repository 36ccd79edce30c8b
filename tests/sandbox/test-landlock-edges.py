#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The edges of the landlock policies, through the real worker (`skillrun run`), as
test-worker-sandbox.py drives it (its Env, its hostile skill): a restrictive command whose #!
line leads nowhere, or to a secret; manifest paths that are "/", end in '/', have a component
or a link target too long to walk; a worker without /proc; the tokens right in /etc; /etc on
a file system without d_type.
Needs root (the skill switches to the run user); skips otherwise.
"""
import importlib.util
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))

_spec = importlib.util.spec_from_file_location("worker_sandbox", os.path.join(HERE, "test-worker-sandbox.py"))
ws = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ws)

EXPOSE = "would expose what skillrun keeps out (its tokens, configuration, manifests or other runs' work dirs)"


def write_script(env, name, text, mode=0o755):
    path = os.path.join(env.bin, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def env_name():
    """How env(1) names itself in its messages: Debian 12's coreutils as it was run
    ("/usr/bin/env"), Debian 13's by its base name ("env"). Asked of env itself, unconfined."""
    p = subprocess.run(["/usr/bin/env", "no-such-program-zz"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=60)
    return p.stderr.decode(errors="replace").split(":", 1)[0]


def check(env, name, **kw):
    """`skillrun check` in the environment env.run() gives a skill (env.command()'s keywords:
    a setup, extra_env): its exit status, and the lines that name the skill."""
    args, cenv = env.command(name, [], **kw)
    args = args[:args.index(ws.SKILLRUN) + 1] + ["check"]
    p = subprocess.run(args, env=cenv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return p.returncode, [ln for ln in p.stdout.decode(errors="replace").splitlines() if name in ln]


brief = ws.brief


def interpreters(tap, env):
    """restrictive: the command's #! chain, as execdeps follows it, where it ends early"""
    # an interpreter that is missing, or no regular file: the execve's own answer, as without
    # any sandbox (policy none), and nothing granted for it. The kernel's ENOENT names no file:
    # where the command is there, the result says which is not.
    for name, line, err in (("nointerp", "#!/nonexistent/interp\n",
                             "execve: No such file or directory (the interpreter its #! line names, "
                             "'/nonexistent/interp')"),
                            ("dirinterp", "#!/usr\n", "execve: Permission denied"),
                            ("devinterp", "#!/dev/null\n", "execve: Permission denied")):
        script = write_script(env, name, line)
        for policy in ("restrictive", "none"):
            env.skill("%s-%s" % (name, policy), policy, command=[script])
            res = env.run("%s-%s" % (name, policy))
            tap.is_((res.get("outcome"), res.get("sandbox_error"), res["_rc"]), ("sandbox_error", err, 0),
                    "%s, %s: '%s' -> %s" % (policy, name, line.strip(), err), repr(brief(res)))

    # env that finds no program: env says so, as it would unconfined
    script = write_script(env, "envmissing", "#!/usr/bin/env no-such-program-zz\n")
    env.skill("envmissing", "restrictive", command=[script])
    res = env.run("envmissing")
    tap.is_((res.get("outcome"), res.get("exit_code"), res.get("stderr")),
            ("failed", 127, "%s: \u2018no-such-program-zz\u2019: No such file or directory\n" % env_name()),
            "restrictive: '#!/usr/bin/env no-such-program-zz': env's own 127", repr(brief(res)))

    # A #! line naming what is kept out (a skill that may rewrite its own script could write
    # one): never granted as a dependency. A program in the runs' work root (another run's,
    # say) is refused; the same program anywhere else is granted, and runs.
    kept_out = os.path.join(env.work, "zz-prog")
    elsewhere = os.path.join(env.root, "zz-prog")
    for prog in (kept_out, elsewhere):
        shutil.copy(env.hostile, prog)
        os.chmod(prog, 0o755)
    try:
        # (the program's own stderr is not compared: a coverage build's says its profile could
        # not be written, which the sandbox rightly refuses)
        for prog, want in ((kept_out, ("failed", 126, None)), (elsewhere, ("ok", 0, "ok"))):
            script = write_script(env, "envprog", "#!/usr/bin/env -S %s fd:0\n" % prog)
            env.skill("envprog", "restrictive", command=[script])
            res = env.run("envprog")
            what = "restrictive: '#!/usr/bin/env -S %s': " % prog
            tap.is_((res.get("outcome"), res.get("exit_code"), ws.lines(res).get("fd:0", "")[:2] or None), want,
                    what + ("not granted" if prog == kept_out else "granted, it runs"), repr(brief(res)))
            if prog == kept_out:
                tap.is_(res.get("stderr"), "%s: \u2018%s\u2019: Permission denied\n" % (env_name(), prog),
                        what + "env says it may not run it")
    finally:
        os.unlink(kept_out)
        os.unlink(elsewhere)


def etc_secret_link(tap, env):
    """restrictive: a command that is a link of root's into a host secret of /etc (landlock
    checks where a path resolves to) is never granted as a dependency, though the link itself
    is no secret: here an executable bound over /etc/shadow in the run's mount namespace."""
    link = os.path.join(env.bin, "zz-shadow-link")
    os.symlink("/etc/shadow", link)
    try:
        env.skill("etclink", "restrictive", command=[link])
        res = env.run("etclink", setup="mount --bind %s /etc/shadow" % env.hostile)
        tap.is_((res.get("outcome"), res.get("sandbox_error")), ("sandbox_error", "execve: Permission denied"),
                "restrictive: a command linked to /etc/shadow (an executable there): not granted", repr(brief(res)))
    finally:
        os.unlink(link)


def manifest_paths(tap, env):
    data = os.path.join(env.root, "data")
    os.mkdir(data)
    os.chmod(data, 0o755)
    with open(os.path.join(data, "f"), "w") as f:
        f.write("data\n")
    os.chmod(os.path.join(data, "f"), 0o644)

    # "/" holds everything kept out: refused, in either list and however written, by run and check
    for name, key, path in (("root-read", "read_paths", "/"), ("root-write", "write_paths", "//")):
        env.skill(name, "permissive", **{key: [path]})
        res = env.run(name, "uid")
        tap.is_((res["_rc"], res.get("_stderr")),
                (1, "skillrun: Running skill '%s' failed: %s: '%s' %s\n" % (name, key, path, EXPOSE)),
                "%s '%s': the run is refused, and says why" % (key, path))
    rc, said = check(env, "root-read")
    tap.ok(any("read_paths: '/' %s" % EXPOSE in ln for ln in said) and rc != 0,
           "check: read_paths '/' is an error (%r, exit %d)" % (said, rc))

    # '/' at the end (and doubled) names the same directory: granted as without
    env.skill("slashes", "permissive", read_paths=[env.bin + "/", data + "//"])
    res = env.run("slashes", "read:%s/f" % data)
    tap.is_((res.get("outcome"), ws.lines(res).get("read:%s/f" % data)), ("ok", "ok"),
            "read path 'dir//': granted as 'dir'", repr(brief(res)))

    # A read or write path naming a file: that file, with the rights a file can have (the
    # kernel refuses a directory's rights on a file), and nothing else of its directory; writable
    # only where the manifest says write. Everything here is open to all: only landlock decides.
    rw = os.path.join(env.root, "rw")
    os.mkdir(rw)
    os.chmod(rw, 0o777)
    for name in ("f", "other"):
        with open(os.path.join(rw, name), "w") as f:
            f.write("data\n")
        os.chmod(os.path.join(rw, name), 0o666)
    for key in ("read_paths", "write_paths"):
        paths = {"read_paths": [env.bin], "write_paths": []}
        paths[key].append(rw + "/f")
        env.skill("onefile", "permissive", **paths)
        res = env.run("onefile", "read:%s/f" % rw, "read:%s/other" % rw, "write:%s/f" % rw)
        got = ws.lines(res)
        tap.is_((res.get("outcome"), got.get("read:%s/f" % rw), got.get("read:%s/other" % rw)),
                ("ok", "ok", "denied errno=EACCES"), "%s naming a file: that file alone" % key, repr(brief(res)))
        tap.is_(got.get("write:%s/f" % rw), "ok" if key == "write_paths" else "denied errno=EACCES",
                "%s naming a file: %s" % (key, "writable" if key == "write_paths" else "not writable"))
    # nor anything in a directory only read_paths name
    env.skill("readdir", "permissive", read_paths=[env.bin, rw])
    res = env.run("readdir", "read:%s/f" % rw, "write:%s/f" % rw, "write:%s/new" % rw)
    got = ws.lines(res)
    tap.is_((got.get("read:%s/f" % rw), got.get("write:%s/f" % rw), got.get("write:%s/new" % rw)),
            ("ok", "denied errno=EACCES", "denied errno=EACCES"),
            "read_paths naming a directory: read, neither written nor added to", repr(brief(res)))

    # restrictive grants the command and its interpreter to read and run, never to change: a
    # script anyone could write (DAC aside) stays unwritable to the skill it starts
    script = os.path.join(rw, "zz-wrap")
    with open(script, "w") as f:
        f.write('#!/bin/sh\nexec %s "$@"\n' % env.hostile)
    os.chmod(script, 0o777)
    env.skill("wrapped", "restrictive", command=[script])
    res = env.run("wrapped", "read:%s" % script, "write:%s" % script)
    got = ws.lines(res)
    tap.is_((res.get("outcome"), got.get("read:%s" % script), got.get("write:%s" % script)),
            ("ok", "ok", "denied errno=EACCES"), "restrictive: the command's script is read, not written",
            repr(brief(res)))

    # a component longer than NAME_MAX, or a root link whose target and the rest of the path
    # make more than PATH_MAX: nothing to walk, nothing granted, and the run goes on
    long_link = os.path.join(env.root, "long-link")
    os.symlink("/" + "/".join(["b" * 205] * 19), long_link)
    env.skill("toolong", "permissive",
              read_paths=[env.bin, os.path.join(data, "a" * 300), long_link + "/" + "c" * 250, data])
    res = env.run("toolong", "read:%s/f" % data, "uid")
    got = ws.lines(res)
    tap.is_((res.get("outcome"), res["_rc"], got.get("read:%s/f" % data), got.get("uid", "")[:2]),
            ("ok", 0, "ok", "ok"), "read paths too long to walk: grant nothing, stop nothing", repr(brief(res)))
    # ...and `skillrun check` finds nothing wrong with paths that only grant nothing
    rc, said = check(env, "toolong")
    tap.ok(said and said[0].startswith("ok: toolong"), "check: read paths too long to walk are no error (%r)" % said)


def no_proc(tap, env):
    """A worker without /proc (a chroot that has none): where a path leads is resolved again, as
    the fallback of secrets_canonical_of() does; what is granted and kept out is the same. And
    where a skill moved its work dir is found without /proc's fd links."""
    data = os.path.join(env.root, "data")
    link = os.path.join(env.root, "data-link")  # root's: followed
    os.symlink(data, link)
    for policy, passwd in (("permissive", "ok"), ("restrictive", "denied errno=EACCES")):
        env.skill("noproc-" + policy, policy, read_paths=[env.bin, link])
        att = {"read:%s/f" % link: "ok", "read:" + env.secret: "denied errno=EACCES", "read:/etc/passwd": passwd}
        res = env.run("noproc-" + policy, *att, setup="mount -t tmpfs none /proc")
        tap.is_(res.get("outcome"), "ok", "no /proc, %s: outcome ok" % policy, repr(brief(res)))
        ws.check_attempts(tap, "no /proc, " + policy, res, att)

    # policy none, in a work root the skill may write to (/tmp): a skill that renamed its work
    # dir has it removed where it is now, found without /proc's fd links too
    os.chmod(env.work, 0o1777)
    try:
        env.skill("moves", "none", command=["/bin/sh", "-c", 'mv "$PWD" "$PWD.moved" && echo moved'])
        for label, setup in (("with /proc", None), ("no /proc", "mount -t tmpfs none /proc")):
            res = env.run("moves", setup=setup)
            left = sorted(os.listdir(env.work))
            tap.is_((res.get("outcome"), res.get("stdout"), left), ("ok", "moved\n", []),
                    "%s: a work dir the skill renamed is removed where it is now" % label, repr(brief(res)))
            for d in left:
                shutil.rmtree(os.path.join(env.work, d), ignore_errors=True)
    finally:
        os.chmod(env.work, 0o755)


def tokens_in_etc(tap, env):
    """The tokens right in /etc, not in a directory of their own: that name (and the copies an
    editor leaves of it) is hidden, its neighbours are not."""
    setup = "\n".join([
        ws.etc_overlay(env, "overlay-tokens"),
        "cp %s /etc/zz-tokens && echo old > /etc/zz-tokens~ && echo other > /etc/zz-tokensx" % env.secret,
        "chmod 0644 /etc/zz-tokens /etc/zz-tokens~ /etc/zz-tokensx",
    ])
    att = {"read:/etc/zz-tokens": "denied errno=EACCES", "read:/etc/zz-tokens~": "denied errno=EACCES",
           "read:/etc/zz-tokensx": "ok", "read:/etc/passwd": "ok"}
    env.skill("hostile-permissive", "permissive")
    ws.run_attempts(tap, env, "tokens right in /etc", att, setup,
                    ("overlay", "no overlay file system: tokens right in /etc not tested"),
                    extra_env={"SKILLRUN_TOKENS_FILE": "/etc/zz-tokens"})


def secret_copies(tap, env):
    """permissive: a command under a name the walk around a secret in a system tree hides as a
    copy of it (the tokens' directory /usr/local/etc/skillrun: "skillrun.bak" beside it, ".etc~"
    and "etc.old" beside the directory on the way to it) cannot be executed, as one in the
    secret itself cannot: check says so, as a run finds it. A name that is no copy ("etcx") is
    executable, and check finds nothing wrong. Set up in a private mount namespace (a tmpfs on
    /usr/local), so the host's trees are left alone."""
    tokens = "/usr/local/etc/skillrun/tokens"
    dirs = {"/usr/local/etc/skillrun": False, "/usr/local/etc/skillrun.bak": False, "/usr/local/.etc~": False,
            "/usr/local/etc.old": False, "/usr/local/etcx": True}
    setup = "\n".join(["mount -t tmpfs -o mode=0755 none /usr/local",
                       "mkdir -p %s" % " ".join(dirs),
                       "cp %s %s && chmod 0644 %s" % (env.secret, tokens, tokens)] +
                      ["printf '#!/bin/sh\\necho ran\\n' > %s/tool && chmod 0755 %s/tool" % (d, d) for d in dirs])
    extra = {"SKILLRUN_TOKENS_FILE": tokens}
    for i, (d, runs) in enumerate(dirs.items()):
        name = "copy%d" % i
        command = d + "/tool"
        env.skill(name, "permissive", command=[command])
        rc, said = check(env, name, setup=setup, extra_env=extra)
        denied = "error: %s/%s.json: command: '%s': policy permissive does not let the skill execute it (" % \
            (env.skills, name, command)
        if runs:
            tap.ok(said and said[0].startswith("ok: %s (" % name), "check: a command in %s: ok (%r)" % (d, said))
        else:
            tap.ok(any(ln.startswith(denied) for ln in said), "check: a command in %s: not executable (%r)" % (d, said))
        res = env.run(name, setup=setup, extra_env=extra)
        want = ("ok", None, "ran\n") if runs else ("sandbox_error", "execve: Permission denied", "")
        tap.is_((res.get("outcome"), res.get("sandbox_error"), res.get("stdout")), want,
                "... and a run of it: %s" % want[0], repr(brief(res)))
        os.unlink(os.path.join(env.skills, name + ".json"))


def etc_without_d_type(tap, env):
    """/etc on a file system whose directory entries carry no type (ext2 without 'filetype', XFS
    without ftype, ISO 9660): every entry is lstat'ed, so that a symlink is still known for one
    and vetted. Taken for a directory instead, a link onto the tokens would get a rule."""
    mkfs = shutil.which("mkfs.ext2") or next((p for p in ("/usr/sbin/mkfs.ext2", "/sbin/mkfs.ext2")
                                                 if os.access(p, os.X_OK)), None)
    if not mkfs:
        tap.skip("no mkfs.ext2 (e2fsprogs): /etc without d_type not tested")
        return
    img = os.path.join(env.root, "etc.img")
    stage = os.path.join(env.root, "etc-stage")
    os.mkdir(stage)
    with open(img, "wb") as f:
        f.truncate(16 << 20)
    subprocess.run([mkfs, "-q", "-F", "-O", "^filetype", img], check=True)
    public = os.path.join(env.root, "public")
    os.makedirs(public, exist_ok=True)
    os.chmod(public, 0o755)
    with open(os.path.join(public, "file"), "w") as f:
        f.write("public\n")
    os.chmod(os.path.join(public, "file"), 0o644)
    # a loop mount in the run's private mount namespace: gone with it, its loop device too
    setup = "\n".join([
        "mount -o loop %s %s" % (img, stage),
        "for f in passwd group nsswitch.conf ld.so.cache; do [ ! -e /etc/$f ] || cp -a /etc/$f %s/; done" % stage,
        "echo secret > %s/shadow && chmod 0644 %s/shadow && chmod 0755 %s" % (stage, stage, stage),
        "ln -s %s %s/zz-tokens && ln -s %s %s/zz-public && ln -s passwd %s/zz-passwd" %
        (env.secret, stage, public, stage, stage),
        "mount --bind %s /etc" % stage,
    ])
    att = {"read:/etc/passwd": "ok", "read:/etc/shadow": "denied errno=EACCES",
           "read:/etc/zz-tokens": "denied errno=EACCES", "read:" + env.secret: "denied errno=EACCES",
           "read:/etc/zz-public/file": "ok", "read:/etc/zz-passwd": "ok"}
    env.skill("hostile-permissive", "permissive")
    ws.run_attempts(tap, env, "/etc without d_type", att, setup,
                    ("mount", "no loop mount of an ext2 image here: /etc without d_type not tested"))


def body(tap, env):
    interpreters(tap, env)
    etc_secret_link(tap, env)
    manifest_paths(tap, env)
    no_proc(tap, env)
    tokens_in_etc(tap, env)
    secret_copies(tap, env)
    etc_without_d_type(tap, env)


def main():
    # test-worker-sandbox.py's own main(): the same skips (root, the binaries, a private mount
    # namespace, landlock), its Env, and this file's body
    ws.body = body
    ws.main()


if __name__ == "__main__":
    main()
