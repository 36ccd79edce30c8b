#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# debian/postrm: purge removes the token file tmpfiles.d made and the package's emptied
# directories, nothing an administrator put there, and nothing on remove; under dpkg's
# DPKG_ROOT (--root with --force-script-chrootless) it works below that root, as the
# postinst's systemd-tmpfiles --root does, never on the running system's /etc. And
# debian/postinst's own part: configure makes a missing token file empty and root-only
# whatever the umask, and leaves one that is there (or a symbolic link) as it is. Runs the
# scripts in a private mount namespace with a scratch directory bound over /etc, so even a
# wrong one cannot touch the real one (root only).
srcdir=${top_srcdir:-.}
. "$srcdir/tests/lib/tap.sh"

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (a mount namespace)"; exit 77; }
command -v unshare >/dev/null 2>&1 || { echo "1..0 # SKIP no unshare"; exit 77; }
unshare -m true 2>/dev/null || { echo "1..0 # SKIP unshare -m not permitted here"; exit 77; }

t=$(mktemp -d "${TMPDIR:-/tmp}/skillrun-postrm.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT

# run debian/SCRIPT ACTION with DPKG_ROOT (may be empty) and an /etc of its own: $t/etc bound over /etc
maint() { # script dpkg_root action
        unshare -m --propagation private sh -c \
                'mount --bind "$1" /etc && DPKG_ROOT=$2 exec sh "$3" "$4"' \
                sh "$t/etc" "$2" "$srcdir/debian/$1" "$3"
}
postrm() { maint postrm "$@"; }
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

# the postinst after dpkg unpacked the package (no token file yet), under a umask that would
# make it world-readable; the generated part after it is only debhelper's comment here
rm -rf "$t/etc" "$t/root"
mkdir -p "$t/etc/skillrun/skills" "$t/root/etc/skillrun/skills"
out=$(umask 022 && maint postinst "$t/root" configure 2>&1)
check $? "postinst configure with DPKG_ROOT exits 0" "$out"
check "$([ "$(stat -c '%a %U %s' "$t/root/etc/skillrun/tokens")" = "600 root 0" ] && [ ! -e "$t/etc/skillrun/tokens" ]; echo $?)" \
        "... makes a missing token file below DPKG_ROOT, empty and root-only under umask 022, not in /etc" \
        "$(ls -l "$t/root/etc/skillrun" "$t/etc/skillrun")"
out=$(umask 022 && maint postinst "" configure 2>&1)
check "$([ "$(stat -c '%a %U %s' "$t/etc/skillrun/tokens")" = "600 root 0" ]; echo $?)" \
        "postinst configure makes a missing token file, empty and root-only" "$out$(ls -l "$t/etc/skillrun")"
echo 'admin:kept' > "$t/etc/skillrun/tokens" && chmod 640 "$t/etc/skillrun/tokens"
out=$(maint postinst "" configure 2>&1)
check "$([ "$(cat "$t/etc/skillrun/tokens")" = admin:kept ] && [ "$(stat -c %a "$t/etc/skillrun/tokens")" = 640 ]; echo $?)" \
        "... leaves an administrator's token file as it is" "$out"
rm "$t/etc/skillrun/tokens" && ln -s "$t/elsewhere" "$t/etc/skillrun/tokens"
out=$(maint postinst "" configure 2>&1)
check "$([ $? = 0 ] && [ "$(readlink "$t/etc/skillrun/tokens")" = "$t/elsewhere" ] && [ ! -e "$t/elsewhere" ]; echo $?)" \
        "... and a symbolic link there, dangling or not" "$out"

echo "1..$n"
exit $failed
