#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What a packager meets in configure: each missing pkg-config module, and pkg-config itself,
# makes it fail naming what to install; --without-systemdsystemunitdir/-tmpfilesdir (daemon(7)'s
# "do not install them") installs nothing there, and a bare --with-DIR means the default, where
# either word used to become a directory "make install" wrote beside $(DESTDIR). Runs the
# source tree's configure in temporary build directories. First, what needs no configure: the
# packages' versions are configure.ac's (a release that bumps one and not the others builds
# a .deb or an .rpm whose version is not the program's, or an rpmbuild that finds no tarball).
srcdir=${top_srcdir:-.}
. "$srcdir/tests/lib/tap.sh"
skip_rest() { ok "configure # SKIP $*"; echo "1..$n"; exit $failed; }

version=$(sed -n 's/^AC_INIT(\[skillrun\], *\[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")
check "$([ -n "$version" ]; echo $?)" "configure.ac's AC_INIT names a version" "$(grep AC_INIT "$srcdir/configure.ac")"
# debian/changelog's first line: skillrun (VERSION) (a native package: no Debian revision)
deb=$(sed -n '1s/^skillrun (\([^)]*\)).*/\1/p' "$srcdir/debian/changelog")
check "$([ "$deb" = "$version" ]; echo $?)" "debian/changelog's version is configure.ac's ($version)" "debian/changelog: '$deb'"
# the spec's Version:, and its newest %changelog entry's VERSION-RELEASE
spec=$srcdir/contrib/rpm/skillrun.spec
rpmv=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
rpmcl=$(sed -n '/^%changelog/,$s/^\* .* - \([^ -]*\)-[^ -]*$/\1/p' "$spec" | head -n 1)
check "$([ "$rpmv" = "$version" ] && [ "$rpmcl" = "$version" ]; echo $?)" \
        "contrib/rpm/skillrun.spec's Version: and newest %changelog entry are configure.ac's ($version)" \
        "Version: '$rpmv', %changelog: '$rpmcl'"

[ -x "$srcdir/configure" ] || skip_rest "no configure in $srcdir (autoreconf -fi)"
[ -f "$srcdir/config.status" ] && skip_rest "$srcdir is configured in place: configure refuses another build directory"
pkgconfig=$(command -v pkg-config) || skip_rest "pkg-config not installed"

t=$(mktemp -d "${TMPDIR:-/tmp}/skillrun-configure.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT
# pkg-config as installed, but without the module named in $HIDE
cat > "$t/pkg-config" <<EOF
#!/bin/sh
for a in "\$@"; do
        case "\$a" in "\$HIDE"|"\$HIDE "*) echo "Package \$HIDE was not found" >&2; exit 1 ;; esac
done
exec '$pkgconfig' "\$@"
EOF
chmod +x "$t/pkg-config"

for m in libsystemd:libsystemd-dev json-c:libjson-c-dev libseccomp:libseccomp-dev libcap:libcap-dev; do
        mod=${m%%:*} deb=${m#*:}
        mkdir "$t/b-$mod"
        out=$(cd "$t/b-$mod" && HIDE=$mod "$srcdir/configure" -q PKG_CONFIG="$t/pkg-config" 2>&1)
        rc=$?
        check "$([ $rc != 0 ] && echo "$out" | grep -q "error: $mod not found: install $deb (Debian)"; echo $?)" \
                "without $mod configure fails naming $deb" "$(echo "$out" | tail -n 3)"
done

mkdir "$t/b-nopc"
out=$(cd "$t/b-nopc" && "$srcdir/configure" -q PKG_CONFIG="$t/no-such-pkg-config" 2>&1)
rc=$?
check "$([ $rc != 0 ] && echo "$out" | grep -q 'error: pkg-config not found: install pkg-config (Debian)' &&
        ! echo "$out" | grep -q 'libsystemd not found'; echo $?)" \
        "without pkg-config configure says so, not that libsystemd is missing" "$(echo "$out" | tail -n 3)"

# The directories' own install targets: no compiler run needed, the units are made by sed
mkdir "$t/b-dirs" "$t/root"
out=$(cd "$t/b-dirs" && "$srcdir/configure" -q --without-systemdsystemunitdir --without-tmpfilesdir \
        --with-bashcompletiondir 2>&1 &&
      make -s DESTDIR="$t/root" install-dist_systemdsystemunitDATA install-nodist_systemdsystemunitDATA \
        install-nodist_tmpfilesDATA install-dist_bashcompletionDATA 2>&1)
check $? "configure --without-systemdsystemunitdir --without-tmpfilesdir --with-bashcompletiondir; make install of those" "$out"
stray=$(cd "$t" && ls -d rootno rootyes b-dirs/no b-dirs/yes 2>/dev/null)
check "$([ -z "$stray" ]; echo $?)" "nothing installed into a directory named 'no' or 'yes'" "$stray"
inroot=$(cd "$t/root" && find . -type f | sort)
check "$([ "$(echo "$inroot" | grep -c .)" = 1 ] && echo "$inroot" | grep -q '/completions/skillrun$'; echo $?)" \
        "DESTDIR holds the bash completion (the default directory), and no unit or tmpfiles.d entry" "$inroot"
check "$([ "$(grep -Ec '^(systemdsystemunitdir|tmpfilesdir) = no$' "$t/b-dirs/Makefile")" = 2 ] &&
        ! grep -q '^bashcompletiondir = yes$' "$t/b-dirs/Makefile"; echo $?)" \
        "the Makefile says no for both, and a directory for the bare --with" \
        "$(grep -E '^(systemdsystemunitdir|tmpfilesdir|bashcompletiondir) =' "$t/b-dirs/Makefile")"
echo "1..$n"
exit $failed
