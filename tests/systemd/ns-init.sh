#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PID 1 of fresh pid/mount/cgroup/uts/ipc namespaces (started by sd-start.sh): builds a
# throw-away copy-on-write view of the host root (overlayfs over "/", tmpfs upper), gives
# it container-style API filesystems, copies the payload tree (a `make install DESTDIR=`
# staging tree plus the test's own files) over it, pivots and execs the distribution's
# systemd as PID 1. Nothing reaches the host's file systems.
set -euo pipefail
W=${SDTEST_WORK:?}; PAYLOAD=${SDTEST_PAYLOAD:?}; TARGET=${SDTEST_TARGET:-skillrun-test.target}
R=$W/root
# our PID as the host sees it (host procfs is still mounted on /proc here; bash's own
# redirect, so /proc/self is this shell, not a child)
read -r hostpid _ < /proc/self/stat; echo $hostpid > $W/systemd.pid

mkdir -p $W/ovl $R
mount -t tmpfs -o mode=755 sdtest-ovl $W/ovl
mkdir -p $W/ovl/upper $W/ovl/work
# lower = the host's root file system only (sub-mounts are not part of it); every write
# (the payload, systemd-tmpfiles, journald, machine-id, ...) lands in the tmpfs upper
mount -t overlay sdtest-root -o lowerdir=/,upperdir=$W/ovl/upper,workdir=$W/ovl/work $R

# /proc of the new pid namespace; /proc/sys read-only (no sysctl changes leak to the host)
mount -t proc -o nosuid,nodev,noexec proc $R/proc
mount --bind $R/proc/sys $R/proc/sys
mount -o remount,bind,ro,nosuid,nodev,noexec $R/proc/sys
# read-only /sys (systemd then skips udev & co), writable cgroup tree
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs $R/sys
# systemd 258 and later (sid's 262) have no cgroup v1 at all and refuse the hybrid layout
# ("Detected unsupported legacy cgroup hierarchy, refusing execution"): such a systemd gets the
# unified tree alone, also on a hybrid host. Its controllers are then the host's v1 ones, out of
# its reach: test-systemd.py finds none and says what it skips. 256 and 257 (Debian 13) still
# boot on the hybrid layout here, only "tainted", and keep the host's controllers.
sd_major=$(/lib/systemd/systemd --version 2>/dev/null | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
if [[ ${SDTEST_CGMODE:-} == unified ]] || [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] ||
   (( ${sd_major:-0} >= 258 )); then
  # the host runs the unified layout, or this systemd knows no other: so does the test systemd
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 $R/sys/fs/cgroup
else
  mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup-root $R/sys/fs/cgroup
  # hybrid layout like the host (v1 controllers + name=systemd + cgroup2 "unified").
  # Mounted inside the new cgroup namespace => every hierarchy is rooted at our own sub-cgroup.
  for c in $(awk -F: '$1 != 0 {print $2}' /proc/self/cgroup); do
    d=${c#name=}; mkdir -p $R/sys/fs/cgroup/$d
    if [[ $c == name=* ]]; then o=none,$c; else o=$c; fi
    mount -t cgroup -o nosuid,nodev,noexec,$o cgroup $R/sys/fs/cgroup/$d
  done
  mkdir -p $R/sys/fs/cgroup/unified
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 $R/sys/fs/cgroup/unified
fi
# minimal private /dev (no host block devices, no /dev/kmsg)
mount -t tmpfs -o mode=755,nosuid sdtest-dev $R/dev
for n in null zero full random urandom tty; do touch $R/dev/$n; mount --bind /dev/$n $R/dev/$n; done
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts $R/dev/pts
ln -s pts/ptmx $R/dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev shm $R/dev/shm
ln -s /proc/self/fd $R/dev/fd
for i in 0:stdin 1:stdout 2:stderr; do ln -s /proc/self/fd/${i%%:*} $R/dev/${i#*:}; done
# PID 1 only writes to /dev/console if it is a tty: give it the pty of script(1)
touch $R/dev/console
con=$(readlink /proc/self/fd/0 || true)
if [[ $con == /dev/pts/* ]]; then mount --bind $con $R/dev/console; fi
mount -t tmpfs -o mode=755,nosuid,nodev run $R/run
mount -t tmpfs -o mode=1777,nosuid,nodev tmp $R/tmp

# the payload: installed files and test fixtures (keep the host's /lib -> usr/lib style
# symlinks instead of replacing them with directories)
tar -C "$PAYLOAD" -cf - . | tar -C $R -xf - --keep-directory-symlink --no-same-owner

# wait until sd-start.sh has moved script(1)/unshare(1) (which live outside our pid namespace)
# out of what will be systemd's root cgroup; otherwise systemd warns that it cannot migrate them
for i in $(seq 100); do [[ -e $W/go ]] && break; sleep 0.05; done
hostname sdtest
cd $R; mkdir -p .oldroot; pivot_root . .oldroot; cd /
umount -l /.oldroot; rmdir /.oldroot
# a booted system's / is rshared; systemd relies on it, e.g. to propagate the per-service
# credential mounts (LoadCredential=) it makes in a child mount namespace back to PID 1's
mount --make-rshared /
# drop capabilities a test container never needs from the bounding set
exec setpriv --bounding-set -sys_module,-sys_time,-sys_rawio,-mknod \
     env -i container=sdtest-ns TERM=dumb \
     /lib/systemd/systemd --unit=$TARGET --log-target=console --log-level=info --show-status=yes --log-color=no
