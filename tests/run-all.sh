#!/bin/bash
# The whole test suite, as CI runs it (as root on a fresh Debian 12 checkout):
# dependencies, a -Werror build with `make check`, the same under ASan+UBSan and with
# --enable-static-binary, a build with --enable-static-deps, `make distcheck`, and the
# Debian package built from the release tarball as nobody, with its own `make check`.
# Ends with one line "tests: N passed, N failed, N skipped" over every run.
set -uo pipefail
# The sandbox tests exec binaries built here as the unprivileged run user, and the real-systemd
# test installs into a tree its DynamicUser must read: both need the usual 022, not a
# caller's 077 (under which make check fails with execve EACCES, as it should).
umask 022
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
jobs=$(nproc)
# The same tests, and the .deb build, read this tree as nobody: from one nobody cannot reach (a
# clone in root's home, 0700 on Debian, as root on a fresh machine makes it) they would all fail.
# The suite then runs in a copy under /var/tmp. SKILLRUN_TESTS_COPY names it to the copy's own run,
# which removes it: only a tree of that name made here is taken for one.
is_copy() { [ "${SKILLRUN_TESTS_COPY:-}" = "$top" ] && [[ $top == /var/tmp/skillrun-tests.?????? ]]; }
if [ "$(id -u)" = 0 ] && ! is_copy &&
        ! setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$top/tests/run-all.sh"; then
        copy=$(mktemp -d /var/tmp/skillrun-tests.XXXXXX) && chmod 0755 "$copy" || exit 1
        echo "=== $top is out of nobody's reach: the suite runs in a copy, $copy"
        # readable by all, as a clone under umask 022 is: root's tar keeps a 077 clone's modes
        tar -C "$top" --mode=a+rX --exclude=./build --exclude=./build-release --exclude=./build-asan \
                --exclude=./build-static --exclude=./build-static-deps --exclude=./build-deb -cf - . |
                tar -C "$copy" -xf - || exit 1
        SKILLRUN_TESTS_COPY=$copy exec bash "$copy/tests/run-all.sh"
fi

# in the copy: any failure, an early one included, names it (its logs are there)
if is_copy; then trap 'st=$?; [ "$st" = 0 ] || echo "the logs are in the copy, $top"' EXIT; fi

if [ "$(id -u)" = 0 ]; then sh contrib/install-deps.sh --tests || exit 1; fi
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
report() { # status (0 = ok), description, details shown when not ok
        if [ "$1" = 0 ]; then
                echo "ok - $2"
                pass=$((pass + 1))
        else
                echo "not ok - $2${3:+: $3}"
                fail=$((fail + 1))
        fi
}
# the point of --enable-static-binary: no dynamic loader, nothing to load at each connection
check_static() { # build dir, what ldd must not show, description
        local bin=$1/skillrun
        [ -x "$bin" ] || return
        local found
        found=$(ldd "$bin" 2>&1 | grep -E "$2" | tr '\n' ' ')
        report "$([ -z "$found" ]; echo $?)" "$3" "$found"
}
check_static "$top/build-static" '=>|ld-linux' "--enable-static-binary links no shared library"
# --enable-static-deps (glibc stays dynamic) is the same code, linked differently: build it only
echo "=== static-deps: configure --enable-werror --enable-static-deps, build"
rm -rf "$top/build-static-deps"; mkdir -p "$top/build-static-deps"
if (cd "$top/build-static-deps" && "$top"/configure -q --enable-werror --enable-static-deps) &&
        make -C "$top/build-static-deps" -j"$jobs" skillrun >"$top/build-static-deps/build.log" 2>&1; then
        check_static "$top/build-static-deps" 'libjson-c|libcap|libseccomp' "--enable-static-deps loads no json-c, libcap or libseccomp"
else
        tail -n 40 "$top/build-static-deps/build.log"; report 1 "--enable-static-deps build failed"
fi
echo "=== distcheck"
make -C "$top/build-release" -j"$jobs" distcheck >"$top/build-release/distcheck.log" 2>&1 \
        || { tail -n 60 "$top/build-release/distcheck.log"; echo "distcheck failed"; rc=1; fail=$((fail + 1)); }
[ $rc = 0 ] && echo "distcheck: ok"
# The tarball is what a distribution builds and what README's commands run in: every file
# git tracks must be in it (.gitignore aside), tests/run-all.sh and contrib/*.sh included.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
        tarball=$(ls "$top"/build-release/skillrun-*.tar.xz 2>/dev/null | head -n 1) && [ -n "$tarball" ]; then
        missing=$(comm -23 <(git -C "$top" ls-files | grep -vx '.gitignore' | sort) \
                <(tar -tJf "$tarball" | sed 's|^[^/]*/||' | sort) | tr '\n' ' ')
        report "$([ -z "$missing" ]; echo $?)" "dist: the tarball holds every file git tracks" "missing $missing"
elif [ -n "$(ls "$top"/build-release/skillrun-*.tar.xz 2>/dev/null)" ]; then
        echo "ok - dist: the tarball holds every file git tracks # SKIP not a git work tree, or no git"
        skip=$((skip + 1))
fi

# The Debian package, built as a distribution's build daemon would: from the release tarball,
# with dpkg-buildflags' hardening (fortify included), as an unprivileged user (nobody, when
# we are root) with a clean environment, its `make check` included. That run takes the
# non-root paths the root builds above skip, and its results count with theirs.
check_deb() { # dir holding the .deb and build.log
        local deb ctl listing missing p warnings unitdir
        deb=$(ls "$1"/skillrun_*.deb)
        ctl=$1/control
        dpkg-deb -e "$deb" "$ctl"
        listing=$(dpkg-deb -c "$deb")
        # the compiler's, dpkg's and debhelper's warnings; not the test suite's own lines (a test
        # named "check: ... is a warning: ..." is no warning of the build)
        warnings=$(grep 'warning:' "$1/build.log" | grep -Ev '^(PASS|FAIL|XPASS|XFAIL|SKIP|ERROR): ' || true)
        report "$([ -z "$warnings" ]; echo $?)" "deb: builds without a warning" "$(head -3 <<<"$warnings" | tr '\n' ' ')"
        missing=
        # the units where configure put them: systemd.pc's systemdsystemunitdir (Debian 12's systemd:
        # /lib/systemd/system), else $prefix/lib/systemd/system (Debian 13, whose systemd.pc is in
        # systemd-dev, which the package does not build-depend on: /usr/lib/systemd/system)
        unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
        unitdir=${unitdir:-/usr/lib/systemd/system}
        unitdir=${unitdir#/}
        for p in usr/bin/skillrun "$unitdir"/skillrun.socket "$unitdir"/skillrun@.service \
                usr/lib/tmpfiles.d/skillrun.conf etc/skillrun/skillrun.conf usr/share/man/man8/skillrun.8.gz \
                usr/share/man/man5/skillrun.skill.5.gz usr/share/skillrun/skills/wc.json \
                usr/share/bash-completion/completions/skillrun \
                usr/share/doc/skillrun/examples/proxy/nginx-skillrun.conf \
                usr/share/doc/skillrun/examples/xinetd/skillrun usr/share/doc/skillrun/examples/tcpserver/run; do
                grep -q " \./$p\$" <<<"$listing" || missing="$missing $p"
        done
        report "$([ -z "$missing" ]; echo $?)" "deb: ships the binary, units, tmpfiles.d, config, man pages, skills, completion, proxy and super-server examples" "missing$missing"
        report "$(dpkg-deb -f "$deb" Depends | grep -q 'libjson-c5' && dpkg-deb -f "$deb" Depends | grep -qw 'python3' &&
                ! dpkg-deb -f "$deb" Depends | grep -q 'libcap'; echo $?)" \
                "deb: depends on libjson-c5 and python3 (its packaged skills), not libcap2" "$(dpkg-deb -f "$deb" Depends)"
        report "$(grep -qx /etc/skillrun/skillrun.conf "$ctl/conffiles"; echo $?)" "deb: skillrun.conf is a conffile"
        # deb-systemd-invoke in postinst only as the upgrade's try-restart (the socket keeps
        # running if it was), never a start; no stop before an upgrade; a stop on removal
        report "$(grep -q 'systemd-tmpfiles.*--create skillrun.conf' "$ctl/postinst" &&
                ! grep 'deb-systemd-invoke' "$ctl/postinst" | grep -qv 'deb-systemd-invoke try-restart'; echo $?)" \
                "deb: postinst creates the token file, starts nothing"
        report "$(! grep -qs 'deb-systemd-invoke stop' "$ctl/preinst" &&
                grep -q 'systemctl --system daemon-reload' "$ctl/postinst" &&
                grep -q "deb-systemd-invoke try-restart 'skillrun.socket'" "$ctl/postinst"; echo $?)" \
                "deb: an upgrade reloads the units and leaves a running socket running"
        report "$(grep -qs '"$1" = remove' "$ctl/prerm" && grep -q 'deb-systemd-invoke stop skillrun.socket' "$ctl/prerm"; echo $?)" \
                "deb: removal stops the socket"
        if command -v lintian >/dev/null; then
                lintian --fail-on error,warning "$1"/skillrun_*.changes >"$1/lintian.log" 2>&1
                report $? "deb: lintian finds no error or warning" "$(grep -E '^[EW]:' "$1/lintian.log" | head -5 | tr '\n' ' ')"
        else
                echo "ok - deb: lintian # SKIP not installed (contrib/install-deps.sh --tests installs it)"
                skip=$((skip + 1))
        fi
}
# The .deb installed with dpkg under a real systemd in namespaces: debian/tests (its autopkgtests),
# then upgrade, removal and purge. tests/systemd/test-deb.sh, root only (it says why it skips)
run_installed() { # dir holding the .deb
        local out status line
        out=$("$top/tests/systemd/test-deb.sh" "$(ls "$1"/skillrun_*.deb)" 2>&1)
        status=$?
        echo "$out"
        while IFS= read -r line; do
                case $line in
                "ok - "*" # SKIP"*|"1..0 # SKIP"*) skip=$((skip + 1)) ;;
                "ok - "*) pass=$((pass + 1)) ;;
                "not ok - "*) fail=$((fail + 1)) ;;
                esac
        done <<<"$out"
        if [ "$status" != 0 ] && [ "$status" != 77 ] && ! grep -q '^not ok - ' <<<"$out"; then
                report 1 "deb: tests/systemd/test-deb.sh exited $status"
        fi
}
echo "=== deb: dpkg-buildpackage -b from the release tarball"
rm -rf "$top/build-deb"; mkdir -p "$top/build-deb"
tarball=$(ls "$top"/build-release/skillrun-*.tar.xz 2>/dev/null | head -n 1)
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
        echo "ok - deb # SKIP dpkg-buildpackage or debhelper not installed (contrib/install-deps.sh --tests installs them)"
        skip=$((skip + 1))
elif [ -n "$tarball" ] && tar -C "$top/build-deb" -xJf "$tarball" && mkdir "$top/build-deb/home"; then
        as_user=
        if [ "$(id -u)" = 0 ]; then
                chown -R 65534:65534 "$top/build-deb"
                as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
        fi
        # shellcheck disable=SC2086
        if (cd "$top"/build-deb/skillrun-*/ && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$top/build-deb/home" \
                LANG=C.UTF-8 $as_user dpkg-buildpackage -b -us -uc) >"$top/build-deb/build.log" 2>&1; then
                check_deb "$top/build-deb"
                echo "=== deb: installed under a real systemd: debian/tests, upgrade, removal, purge"
                run_installed "$top/build-deb"
        else
                tail -n 40 "$top/build-deb/build.log"; report 1 "deb: dpkg-buildpackage failed"
        fi
        # Its passes and failures count with the rest. Its skips are the root-only tests, which
        # ran in the builds above: said here, not added to the final count of tests never run.
        local_skip=$skip
        tally "$(echo "$top"/build-deb/skillrun-*/)"
        echo "deb: $((skip - local_skip)) root-only tests skipped as nobody (they ran as root above)"
        skip=$local_skip
else
        report 1 "deb: cannot unpack $tarball"
fi

echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] || rc=1
# the copy made for nobody's sake goes once it has served; its logs stay after a failure
if is_copy && [ "$rc" = 0 ]; then cd / && rm -rf "$top"; fi
exit $rc
