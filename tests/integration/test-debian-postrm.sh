#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# debian/postrm: purge removes the token file tmpfiles.d made and the package's emptied
# directories, nothing an administrator put there, and nothing on remove; under dpkg's
# DPKG_ROOT (--root with --force-script-chrootless) it works below that root, as the
# postinst's systemd-tmpfiles --root does, never on the running system's /etc. Runs the
# script in a private mount namespace with a scratch directory bound over /etc, so even a
# wrong postrm cannot touch the real one (root only).
srcdir=${top_srcdir:-.}
. "$srcdir/tests/lib/tap.sh"

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (a mount namespace)"; exit 77; }
command -v unshare >/dev/null 2>&1 || { echo "1..0 # SKIP no unshare"; exit 77; }
unshare -m true 2>/dev/null || { echo "1..0 # SKIP unshare -m not permitted here"; exit 77; }

t=$(mktemp -d "${TMPDIR:-/tmp}/skillrun-postrm.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT

# run ACTION with DPKG_ROOT (may be empty) and an /etc of its own: $t/etc bound over /etc
postrm() { # dpkg_root action
        unshare -m --propagation private sh -c \
                'mount --bind "$1" /etc && DPKG_ROOT=$2 exec sh "$3" "$4"' \
                sh "$t/etc" "$1" "$srcdir/debian/postrm" "$2"
}
fresh() { # a configured installation at $t/etc and at $t/root/etc, with an admin's skill in the latter
        rm -rf "$t/etc" "$t/root"
        for e in "$t/etc" "$t/root/etc"; do
                mkdir -p "$e/skillrun/skills" && : > "$e/skillrun/tokens"
        done
}

fresh
: > "$t/root/etc/skillrun/skills/mine.json"
out=$(postrm "$t/root" purge 2>&1)
check $? "postrm purge with DPKG_ROOT exits 0" "$out"
check "$([ ! -e "$t/root/etc/skillrun/tokens" ]; echo $?)" "... removes the token file below DPKG_ROOT"
check "$([ -f "$t/root/etc/skillrun/skills/mine.json" ]; echo $?)" "... keeps the administrator's skill (and so its directories)"
check "$([ -f "$t/etc/skillrun/tokens" ] && [ -d "$t/etc/skillrun/skills" ]; echo $?)" \
        "... and leaves the running system's /etc/skillrun alone" "$(ls -R "$t/etc")"

fresh
out=$(postrm "" purge 2>&1)
check $? "postrm purge exits 0" "$out"
check "$([ ! -e "$t/etc/skillrun" ]; echo $?)" "... removes the token file and the emptied directories" "$(ls -R "$t/etc")"

fresh
out=$(postrm "" remove 2>&1)
check "$([ -f "$t/etc/skillrun/tokens" ]; echo $?)" "postrm remove keeps the token file" "$out"

echo "1..$n"
exit $failed
