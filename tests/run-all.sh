#!/bin/bash
# The whole test suite, as CI runs it (as root on a fresh Debian 12 checkout):
# dependencies, a -Werror build with `make check`, the same under ASan+UBSan and with
# --enable-static-binary, a build with --enable-static-deps, `make distcheck`.
# Ends with one line "tests: N passed, N failed, N skipped" over every run.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc)

if [ "$(id -u)" = 0 ]; then sh contrib/install-deps.sh || exit 1; fi
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; exit 1; }

pass=0 fail=0 skip=0 rc=0
tally() { # test-suite.log summary of one build dir
        local log=$1/test-suite.log
        [ -f "$log" ] || { echo "no $log"; rc=1; return; }
        local p f s e x
        p=$(sed -n 's/^# PASS: *//p' "$log"); f=$(sed -n 's/^# FAIL: *//p' "$log")
        s=$(sed -n 's/^# SKIP: *//p' "$log"); e=$(sed -n 's/^# ERROR: *//p' "$log")
        x=$(sed -n 's/^# XPASS: *//p' "$log")
        pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0} + ${e:-0} + ${x:-0})); skip=$((skip + ${s:-0}))
}
run_build() { # name, configure flags...
        local name=$1; shift
        local dir=$top/build-$name
        echo "=== $name: configure $*"
        rm -rf "$dir"; mkdir -p "$dir"
        (cd "$dir" && "$top"/configure -q "$@") || { echo "configure ($name) failed"; rc=1; return; }
        make -C "$dir" -j"$jobs" >"$dir/build.log" 2>&1 || { tail -n 40 "$dir/build.log"; echo "build ($name) failed"; rc=1; return; }
        echo "=== $name: make check"
        if ! make -C "$dir" -j"$jobs" check; then
                rc=1
                for l in "$dir"/tests/*/*.log "$dir"/fuzz/*.log "$dir"/man/*.log; do
                        [ -f "$l" ] && grep -qE '^(not ok|FAIL|ERROR)' "$l" && { echo "--- $l"; tail -n 60 "$l"; }
                done
        fi
        tally "$dir"
}

run_build release --enable-werror
run_build asan --enable-werror --enable-sanitizers
run_build static --enable-werror --enable-static-binary
# the point of --enable-static-binary: no dynamic loader, nothing to load at each connection
check_static() { # build dir, what ldd must not show, description
        local bin=$1/skillrun
        [ -x "$bin" ] || return
        if ldd "$bin" 2>&1 | grep -qE "$2"; then
                echo "not ok - $3: $(ldd "$bin" 2>&1 | grep -E "$2" | tr '\n' ' ')"
                fail=$((fail + 1))
        else
                echo "ok - $3"
                pass=$((pass + 1))
        fi
}
check_static "$top/build-static" '=>|ld-linux' "--enable-static-binary links no shared library"
# --enable-static-deps (glibc stays dynamic) is the same code, linked differently: build it only
echo "=== static-deps: configure --enable-werror --enable-static-deps, build"
rm -rf "$top/build-static-deps"; mkdir -p "$top/build-static-deps"
if (cd "$top/build-static-deps" && "$top"/configure -q --enable-werror --enable-static-deps) &&
        make -C "$top/build-static-deps" -j"$jobs" skillrun >"$top/build-static-deps/build.log" 2>&1; then
        check_static "$top/build-static-deps" 'libjson-c|libcap|libseccomp' "--enable-static-deps loads no json-c, libcap or libseccomp"
else
        tail -n 40 "$top/build-static-deps/build.log"; echo "not ok - --enable-static-deps build failed"; fail=$((fail + 1))
fi
echo "=== distcheck"
make -C "$top/build-release" -j"$jobs" distcheck >"$top/build-release/distcheck.log" 2>&1 \
        || { tail -n 60 "$top/build-release/distcheck.log"; echo "distcheck failed"; rc=1; fail=$((fail + 1)); }
[ $rc = 0 ] && echo "distcheck: ok"

echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] || rc=1
exit $rc
