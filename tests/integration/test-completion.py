#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/bash-completion/skillrun, sourced into a real bash: commands, run's options,
# skill names from `skillrun list` under the worker's configuration, files after --input.
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skillrun_test import Skip, Worker, main, sh_skill  # noqa: E402

SCRIPT = os.path.join(os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", "..")),
                      "contrib", "bash-completion", "skillrun")


def complete(w, words, cwd=None):
    """COMPREPLY for the command line `words` (the last one is the word being completed)."""
    line = " ".join(words)
    prog = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="%s"; ' \
           'COMP_POINT=${#COMP_LINE}; _skillrun; printf "%%s\\n" "${COMPREPLY[@]}"' % line.replace('"', '\\"')
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog, "bash", SCRIPT, w.bin] + list(words[1:]),
                       capture_output=True, env=w.env(), cwd=cwd, timeout=60)
    if p.returncode != 0 or p.stderr:
        raise AssertionError("bash failed (%d): %s" % (p.returncode, p.stderr.decode(errors="replace")))
    return sorted(x for x in p.stdout.decode().split("\n") if x)


def body(tap):
    if not shutil.which("bash"):
        raise Skip("bash not installed")
    w = Worker(skills={"alpha": sh_skill("cat"), "beta": sh_skill("cat"), "alps": sh_skill("cat")})

    tap.is_(complete(w, ["skillrun", ""]), ["check", "list", "run", "serve", "token"], "the commands")
    tap.is_(complete(w, ["skillrun", "r"]), ["run"], "'r' completes to run")
    tap.is_(complete(w, ["skillrun", "--"]), ["--help", "--version"], "the global options")
    for opt in ("--version", "--help", "-h"):
        tap.is_(complete(w, ["skillrun", opt, ""]), [], "nothing after %s, which takes no argument" % opt)
    tap.is_(complete(w, ["skillrun", "run", ""]), ["alpha", "alps", "beta"], "run: the skills `skillrun list` knows")
    tap.is_(complete(w, ["skillrun", "run", "al"]), ["alpha", "alps"], "run: skill names by prefix")
    tap.is_(complete(w, ["skillrun", "run", "-"]), ["--arg", "--input", "--request"], "run: its options")
    tap.is_(complete(w, ["skillrun", "run", "alpha", ""]), [], "run: one skill name only")
    tap.is_(complete(w, ["skillrun", "run", "--arg", "x", ""]), ["alpha", "alps", "beta"],
            "run: an option's value is not the skill name")
    tap.is_(complete(w, ["skillrun", "run", "--arg", ""]), [], "run --arg: free text, nothing offered")
    # getopt takes the word after --arg whatever it is: "--input" there is an argument, no option
    tap.is_(complete(w, ["skillrun", "run", "--arg", "--input", "al"]), ["alpha", "alps"],
            "run --arg --input: the skill name follows, no file")
    tap.is_(complete(w, ["skillrun", "run", "--arg", "--input", "alpha", ""]), [],
            "run --arg --input NAME: one skill name only")
    # after "--" nothing is an option: the first word is the skill name, whatever it starts with
    tap.is_(complete(w, ["skillrun", "run", "--", "al"]), ["alpha", "alps"], "run --: the skill names")
    tap.is_(complete(w, ["skillrun", "run", "--", "-"]), [], "run -- -: no option offered after --")
    tap.is_(complete(w, ["skillrun", "run", "--", "--input", ""]), [],
            "run -- --input: that is the skill name, nothing after it")
    tap.is_(complete(w, ["skillrun", "check", ""]), [], "check takes no argument")

    d = os.path.join(w.root, "files")
    os.makedirs(d)
    for name in ("input.json", "other.txt", "in put.txt"):
        open(os.path.join(d, name), "w").close()
    tap.is_(complete(w, ["skillrun", "run", "alpha", "--input", "in"], cwd=d), ["in put.txt", "input.json"],
            "run --input: files, a name with a space as one word")
    tap.is_(complete(w, ["skillrun", "run", "alpha", "--request", ""], cwd=d),
            ["-", "in put.txt", "input.json", "other.txt"], "run --request: files, or - for standard input")
    # bash splits "--input=in" into "--input", "=", "in"
    tap.is_(complete(w, ["skillrun", "run", "alpha", "--input", "=", "in"], cwd=d), ["in put.txt", "input.json"],
            "run --input=: files too, not skill names")
    tap.is_(complete(w, ["skillrun", "run", "--request", "=", "x.json", "al"]), ["alpha", "alps"],
            "run --request=FILE: the skill name still follows")

    # the names come from the configuration a run would use: none without readable skills
    w2 = Worker(settings={"skills_dir": os.path.join(w.root, "no-such-dir")})
    tap.is_(complete(w2, ["skillrun", "run", ""]), [], "run: no skills, no names (and no error shown)")


if __name__ == "__main__":
    main(body)
