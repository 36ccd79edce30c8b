#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boots the image of build-image.sh once: vm-check.service runs the checks and
# powers off; the results land in WORK_DIR/results (summary.txt, evidence.txt,
# journal.txt) and the serial console in WORK_DIR/serial.log.
#   tests/vm/boot.sh WORK_DIR
set -euo pipefail
WORK=$(realpath "$1")
ROOT=$WORK/root
kernel=$(ls "$ROOT"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$(ls "$ROOT"/boot/initrd.img-* | sort -V | tail -1)
# TCG on one host thread: with one thread per vCPU (QEMU 7.2) a Debian 13 guest once ran an
# int3 its kernel had already patched away again (static keys flip as instances' cgroups
# come and go) and panicked ("Oops: int3" in get_page_from_freelist)
accel=${VM_ACCEL:-tcg,thread=single}

rm -f "$WORK/out.img"
truncate -s 64M "$WORK/out.img"
rm -rf "$WORK/results"
timeout "${VM_TIMEOUT:-1200}" qemu-system-x86_64 -accel "$accel" -m 1024 -smp 2 \
        -kernel "$kernel" -initrd "$initrd" \
        -append "root=/dev/vda rw console=ttyS0 systemd.show_status=0 panic=-1 ${VM_APPEND:-}" \
        -drive file="$WORK/root.img",format=raw,if=virtio,snapshot=on \
        -drive file="$WORK/out.img",format=raw,if=virtio \
        -nic none -display none -serial file:"$WORK/serial.log" -no-reboot \
        -pidfile "$WORK/qemu.pid"
# panic=-1 with -no-reboot: a guest that panics ends qemu now, not at VM_TIMEOUT
if ! tar -C "$WORK" -xf "$WORK/out.img" 2>/dev/null || [ ! -f "$WORK/results/summary.txt" ]; then
        echo "no results from the VM; the end of $WORK/serial.log:" >&2
        tail -20 "$WORK/serial.log" >&2
        exit 1
fi
cat "$WORK/results/summary.txt"
! grep -q '^FAIL' "$WORK/results/summary.txt" && grep -q '^DONE 0 failures' "$WORK/results/summary.txt"
