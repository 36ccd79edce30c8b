#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Which lines of src/ `make check` runs: a clang build with source-based coverage, its test
# suite, and llvm-cov's report. By hand, not in CI; for finding what no test exercises.
#
#   tests/coverage.sh [BUILDDIR]      (default: ./build-coverage; run from the source tree)
#
# Every process of the build writes its own profile (%p: the pid) into a directory anyone may
# write, so workers run as nobody count, and so does the work a skill's sandbox set-up does
# before execve (clang's runtime, unlike gcc's, writes nothing at exec). Written at exit, a
# profile is lost for processes that never exit normally (SIGKILLed workers), and none comes
# from inside a sandbox (landlock keeps the directory out): those lines show as not run.
# A few checks fail in such a build for reasons of its own (test-stop's strace fault injection
# hits the profile runtime's own mkdir first), and make check's status is not this script's.
#
# Prints the per-file summary, and writes BUILDDIR/coverage/missed.txt (file:line|source of
# every line no test ran) and BUILDDIR/coverage/report.txt.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-coverage}
for p in clang llvm-profdata llvm-cov; do
        command -v "$p" >/dev/null || { echo "coverage.sh: $p not found (apt install clang llvm)" >&2; exit 1; }
done
mkdir -p "$build"
build=$(cd "$build" && pwd)
prof="$build/coverage/profiles"
flags="-fprofile-instr-generate=$prof/%p-%m.profraw"
cd "$build"
if [ -f Makefile ] && ! grep -q -- "$flags" Makefile; then
        echo "coverage.sh: $build holds another build: give a new directory" >&2
        exit 1
fi
rm -rf coverage
mkdir -p "$prof"
chmod 1777 "$prof"
# a clone from git has no configure yet: made as the README's build and run-all.sh make it
[ -f Makefile ] || [ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
[ -f Makefile ] || "$top/configure" -q CC=clang CFLAGS="-O0 -g $flags -fcoverage-mapping" LDFLAGS="$flags"
make -j"$(nproc)" >/dev/null
make -j"$(nproc)" check >coverage/check.log 2>&1 || echo "coverage.sh: make check did not pass in this build (see coverage/check.log)" >&2
# a process killed while writing its profile leaves it corrupt: merge the rest
llvm-profdata merge -sparse --failure-mode=all "$prof"/*.profraw -o coverage/merged.profdata
llvm-cov report ./skillrun -instr-profile=coverage/merged.profdata >coverage/report.txt
llvm-cov show ./skillrun -instr-profile=coverage/merged.profdata |
        awk -F'|' -v top="$top/src/" '/^\//{f=$0; sub(/:$/, "", f); sub(top, "", f)}
                NF >= 3 && $2 ~ /^ *0$/ {src = $0; sub(/^[^|]*\|[^|]*\|/, "", src); sub(/^ +/, "", $1)
                        print f ":" $1 "|" src}' |
        grep -v '^/' >coverage/missed.txt || true
# lines run, per file of src/ (llvm-cov names them from the paths' common prefix on)
awk 'BEGIN {printf "%-24s %6s %7s %7s\n", "file", "lines", "missed", "cover"}
        $1 ~ /\/src\/[^\/]*\.c$/ || $1 == "TOTAL" {sub(/^.*\/src\//, "src/", $1);
                printf "%-24s %6s %7s %7s\n", $1, $8, $9, $10}' coverage/report.txt
echo "lines no test ran: $build/coverage/missed.txt ($(wc -l <coverage/missed.txt))"
