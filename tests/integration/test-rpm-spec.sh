#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# contrib/rpm/skillrun.spec builds: rpmbuild -tb on the `make dist` tarball (a scratch build
# directory configured from the source tree makes it), and the binary package holds what
# `make install` installs, skillrun.conf a noreplace %config file, the token file left to
# tmpfiles.d, the scriptlets naming skillrun.socket (and not the skillrun@.service template),
# and rpmlint finds nothing but what is known (when installed).
#
# With Debian's rpm package: it lacks Fedora's systemd-rpm-macros, for which
# rpm-systemd-macros here stands in (rpmbuild --load; loaded where the real ones exist too, so
# that the scriptlets checked below read the same everywhere), and installs none of the
# BuildRequires into an rpm database (--nodeps). %check is skipped (--nocheck): it is this make check
# again, and would double the test's time. Not a Fedora build: see README (Building).
srcdir=${top_srcdir:-.}
. "$srcdir/tests/lib/tap.sh"

command -v rpmbuild >/dev/null 2>&1 ||
        { echo "1..0 # SKIP rpmbuild not installed (Debian: apt-get install rpm)"; exit 77; }
[ -x "$srcdir/configure" ] || { echo "1..0 # SKIP no configure in $srcdir (autoreconf -fi)"; exit 77; }
[ -f "$srcdir/config.status" ] &&
        { echo "1..0 # SKIP $srcdir is configured in place: configure refuses another build directory"; exit 77; }
srcdir=$(cd "$srcdir" && pwd) || exit 1

t=$(mktemp -d "${TMPDIR:-/tmp}/skillrun-rpm.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT
# Run from make check: its MAKEFLAGS (the job server of another tree) and the test
# environment are not for the builds here. rpmbuild gets a HOME of its own (no ~/.rpmmacros).
unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir "$t/dist" "$t/home" "$t/tmp"
out=$(cd "$t/dist" && "$srcdir/configure" -q 2>&1 && make -s dist 2>&1)
tarball=$(ls "$t"/dist/skillrun-*.tar.xz 2>/dev/null)
check "$([ -n "$tarball" ]; echo $?)" "make dist in a scratch build directory" "$(echo "$out" | tail -n 20)"
[ -n "$tarball" ] || { echo "1..$n"; exit 1; }

# Debian's brp-compress is a bash script run by /bin/sh (dash: "read: Illegal option -d"),
# which leaves the manual pages uncompressed: run by bash, it gzips them as Fedora's does.
# _buildhost: without it rpmbuild looks the machine's host name up for the package's BUILDHOST
# and warns "Could not canonicalize hostname" where nothing resolves it (a chroot or container
# whose /etc/hosts lacks it), a warning about the machine, not the spec.
out=$(env -i PATH="$PATH" HOME="$t/home" LANG=C.UTF-8 \
        rpmbuild -tb --nocheck --nodeps \
        --load "$srcdir/tests/integration/rpm-systemd-macros" \
        --define "_topdir $t/rpmbuild" --define "_tmppath $t/tmp" --define "_buildhost localhost" \
        --define '__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}' \
        "$tarball" 2>&1)
rc=$?
rpm=$(ls "$t"/rpmbuild/RPMS/*/skillrun-[0-9]*.rpm 2>/dev/null | grep -v -- '-debug')
check "$([ $rc = 0 ] && [ -n "$rpm" ] && [ "$(echo "$rpm" | wc -l)" = 1 ]; echo $?)" \
        "rpmbuild -tb builds one binary package from the tarball" "$(echo "$out" | tail -n 30)"
[ $rc = 0 ] && [ -n "$rpm" ] || { echo "1..$n"; exit 1; }
warnings=$(echo "$out" | grep -i 'warning:' | grep -v '^checking ')
check "$([ -z "$warnings" ]; echo $?)" "... without a warning from rpmbuild" "$warnings"

# What make install installs (the units where Fedora has them), the licence and README, and
# nothing else; the build-id links for the binary's debuginfo vary with the build.
cat > "$t/expected" <<'EOF'
/etc/skillrun
/etc/skillrun/skillrun.conf
/etc/skillrun/skills
/usr/bin/skillrun
/usr/lib/systemd/system/skillrun.slice
/usr/lib/systemd/system/skillrun.socket
/usr/lib/systemd/system/skillrun@.service
/usr/lib/tmpfiles.d/skillrun.conf
/usr/share/bash-completion/completions/skillrun
/usr/share/doc/skillrun
/usr/share/doc/skillrun/README.md
/usr/share/doc/skillrun/examples
/usr/share/doc/skillrun/examples/proxy
/usr/share/doc/skillrun/examples/proxy/haproxy-skillrun.cfg
/usr/share/doc/skillrun/examples/proxy/nginx-skillrun.conf
/usr/share/doc/skillrun/examples/proxy/skillrun-behind-proxy.conf
/usr/share/doc/skillrun/examples/tcpserver
/usr/share/doc/skillrun/examples/tcpserver/run
/usr/share/doc/skillrun/examples/xinetd
/usr/share/doc/skillrun/examples/xinetd/skillrun
/usr/share/doc/skillrun/systemd
/usr/share/doc/skillrun/systemd/README
/usr/share/doc/skillrun/systemd/latency.conf
/usr/share/licenses/skillrun
/usr/share/licenses/skillrun/LICENSE
/usr/share/man/man5/skillrun.conf.5.gz
/usr/share/man/man5/skillrun.skill.5.gz
/usr/share/man/man8/skillrun.8.gz
/usr/share/skillrun
/usr/share/skillrun/skills
/usr/share/skillrun/skills/abbot-python
/usr/share/skillrun/skills/abbot-python.json
/usr/share/skillrun/skills/abbot-python/abbot-python.py
/usr/share/skillrun/skills/json-transform
/usr/share/skillrun/skills/json-transform.json
/usr/share/skillrun/skills/json-transform/json-transform.py
/usr/share/skillrun/skills/python.json
/usr/share/skillrun/skills/sha256.json
/usr/share/skillrun/skills/wc.json
EOF
rpm -qlp "$rpm" 2>/dev/null | grep -v '^/usr/lib/\.build-id' > "$t/listed"
check "$(cmp -s "$t/expected" "$t/listed"; echo $?)" "rpm -qlp: exactly the files make install installs" \
        "$(diff "$t/expected" "$t/listed" | grep '^[<>]')"

# %config(noreplace): the flags c and n; and only skillrun.conf (the tokens belong to no package)
flags=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" 2>/dev/null | grep '^[a-z]*c[a-z]* ')
check "$([ "$flags" = "cn /etc/skillrun/skillrun.conf" ]; echo $?)" \
        "the one %config file is /etc/skillrun/skillrun.conf, noreplace" "$flags"
owners=$(rpm -qp --qf '[%{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm" 2>/dev/null | grep -v '^root:root ')
check "$([ -z "$owners" ]; echo $?)" "every file belongs to root:root" "$owners"

# The scriptlets, one section each in rpm --scripts; their comments (the spec's) left out
rpm -qp --scripts "$rpm" 2>/dev/null | grep -v '^[[:space:]]*#' > "$t/scripts"
scriptlet() { # name as rpm prints it (postinstall, preuninstall, postuninstall)
        awk -v s="$1 scriptlet" 'index($0, s) == 1 { on = 1; next } / scriptlet( \(using [^)]*\))?:$/ { on = 0 } on' "$t/scripts"
}
post=$(scriptlet postinstall) preun=$(scriptlet preuninstall) postun=$(scriptlet postuninstall)
check "$(echo "$post" | grep -q 'preset skillrun\.socket' && echo "$post" | grep -q 'systemd-tmpfiles --create skillrun\.conf' &&
        ! echo "$post" | grep -Eq -- '--now|start|enable'; echo $?)" \
        "%post: %systemd_post skillrun.socket (presets, no start) and the token file from tmpfiles.d" "$post"
check "$(echo "$preun" | grep -q 'disable --now skillrun\.socket'; echo $?)" \
        "%preun: %systemd_preun skillrun.socket (removal stops it)" "$preun"
check "$(echo "$postun" | grep -q 'try-restart skillrun\.socket'; echo $?)" \
        "%postun: %systemd_postun_with_restart skillrun.socket (an upgrade restarts it if running)" "$postun"
check "$(! grep -q 'skillrun@' "$t/scripts"; echo $?)" \
        "no scriptlet names the skillrun@.service template (its instances finish their request)" "$(cat "$t/scripts")"
check "$(! grep -Eq '^(preinstall|pretrans|posttrans) scriptlet' "$t/scripts"; echo $?)" \
        "no %pre, %pretrans or %posttrans (nothing stops before an upgrade)" "$(cat "$t/scripts")"

# Run-time dependencies: json-c (the one library linked) and python3 (the packaged skills)
requires=$(rpm -qRp "$rpm" 2>/dev/null)
check "$(echo "$requires" | grep -q '^libjson-c\.so' && echo "$requires" | grep -qx 'python3' &&
        ! echo "$requires" | grep -Eq 'libcap|libseccomp|libsystemd'; echo $?)" \
        "requires libjson-c and python3, not libcap, libseccomp or libsystemd" "$requires"

if command -v rpmlint >/dev/null 2>&1; then
        # Debian's rpmlint with the settings rpmlint-debian.toml explains; what it still says
        # is real: the project has no address yet for URL: and a full Source0: URL.
        lint=$(env -i PATH="$PATH" HOME="$t/home" LANG=C.UTF-8 rpmlint \
                -c "$srcdir/tests/integration/rpmlint-debian.toml" "$rpm" "$srcdir/contrib/rpm/skillrun.spec" 2>&1)
        found=$(echo "$lint" | grep -E '^skillrun[^ ]*: [EW]: ' | sed 's/^[^:]*: //' | sort)
        known=$(printf '%s\n' "W: invalid-url Source0: ${tarball##*/}" 'W: no-url-tag' | sort)
        check "$([ "$found" = "$known" ]; echo $?)" "rpmlint: no error, and only the warnings for the missing URL" "$lint"
else
        n=$((n + 1)); echo "ok $n - rpmlint # SKIP not installed (Debian: apt-get install rpmlint)"
fi
echo "1..$n"
exit $failed
