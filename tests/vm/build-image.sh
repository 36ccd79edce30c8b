#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds a Debian VM image (12 by default, SUITE=trixie for 13) with skillrun installed
# from a build tree (see README).
#   [SUITE=bookworm|trixie] tests/vm/build-image.sh BUILD_DIR WORK_DIR
# BUILD_DIR: configured with --prefix=/usr --sysconfdir=/etc (built), or the tree that
# `make install DESTDIR=...` made there (a build made in a chroot of SUITE: its build dir
# cannot be installed from the host, whose make would rebuild against the host's headers);
# WORK_DIR: where root/, payload/ and root.img go (a few GB).
# Needs root, debootstrap and network access to deb.debian.org.
set -euo pipefail
BUILD=$(realpath "$1")
WORK=$(realpath -m "$2")
HERE=$(dirname "$(realpath "$0")")
ROOT=$WORK/root
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=${SUITE:-bookworm}
# a codename, as the root's os-release names it below: "stable" would be debootstrapped, then refused
case $SUITE in
bookworm|trixie) ;;
*)
        echo "SUITE=$SUITE: bookworm (Debian 12) or trixie (Debian 13)" >&2
        exit 2
        ;;
esac

mkdir -p "$WORK"
if [ ! -x "$ROOT/usr/bin/python3" ]; then
        debootstrap --variant=minbase \
                --include=systemd,systemd-sysv,udev,kmod,libjson-c5,python3,curl,procps \
                "$SUITE" "$ROOT" "$MIRROR"
fi
# one WORK_DIR, one suite: a root debootstrapped for another suite would be reused silently
have=$(sed -n 's/^VERSION_CODENAME=//p' "$ROOT/etc/os-release")
if [ "$have" != "$SUITE" ]; then
        echo "$ROOT is Debian $have, not $SUITE: use another WORK_DIR" >&2
        exit 1
fi
if ! ls "$ROOT"/boot/vmlinuz-* >/dev/null 2>&1; then
        cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
        chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get -q update
        chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends \
                linux-image-amd64 procps
        chroot "$ROOT" apt-get clean
fi

# skillrun itself
rm -rf "$WORK/payload"
if [ -f "$BUILD/Makefile" ]; then
        make -C "$BUILD" -s install DESTDIR="$WORK/payload" >/dev/null
else
        cp -a "$BUILD/." "$WORK/payload/"
fi
test -x "$WORK/payload/usr/bin/skillrun" || { echo "$BUILD installs no usr/bin/skillrun" >&2; exit 1; }
cp -a "$WORK/payload/." "$ROOT/"

# configuration: a token, the test skills, the socket enabled
install -d -m 0755 "$ROOT/etc/skillrun/skills"
rm -f "$ROOT"/etc/skillrun/skills/vm-*.json
install -m 0644 "$HERE"/skills/*.json "$ROOT/etc/skillrun/skills/"
line=$(chroot "$ROOT" skillrun token vm)
printf '%s\n' "$line" > "$ROOT/etc/skillrun/tokens"
chmod 0600 "$ROOT/etc/skillrun/tokens"
printf '%s\n' "${line#*:}" > "$ROOT/etc/skillrun/vm-token"
chmod 0600 "$ROOT/etc/skillrun/vm-token"
install -m 0755 "$HERE/vm-check.py" "$ROOT/usr/local/bin/vm-check.py"

# the test: after the socket, results tarred onto the second disk, then power off
cat > "$ROOT/etc/systemd/system/vm-check.service" <<'EOF'
[Unit]
Description=skillrun VM check
Wants=skillrun.socket
After=skillrun.socket
[Service]
Type=oneshot
StandardOutput=journal+console
StandardError=journal+console
ExecStart=/usr/local/bin/vm-check.py /results
ExecStopPost=/bin/sh -c 'journalctl -b --no-pager -o short-precise > /results/journal.txt; tar -C / -cf /dev/vdb results'
ExecStopPost=/bin/systemctl --no-block poweroff
TimeoutStartSec=15min
[Install]
WantedBy=multi-user.target
EOF
chroot "$ROOT" systemctl enable skillrun.socket vm-check.service
chroot "$ROOT" systemctl mask getty@tty1.service serial-getty@ttyS0.service >/dev/null 2>&1 || true
echo vm > "$ROOT/etc/hostname"
printf '/dev/vda / ext4 rw 0 1\n' > "$ROOT/etc/fstab"
rm -rf "$ROOT/results"

# the image
rm -f "$WORK/root.img"
mkfs.ext4 -q -L vmroot -d "$ROOT" "$WORK/root.img" 3G
echo "$WORK/root.img"
