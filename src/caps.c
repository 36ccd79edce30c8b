/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capabilities, with the syscalls libcap's cap_set_secbits(), cap_drop_bound() and
 * cap_set_proc() wrap. skillrun does not link libcap: loading it costs every connection
 * ≈ 50 µs on the test VM (its constructor alone probes the bounding set with 6 prctl calls),
 * for three one-line wrappers. The test suite checks the result with libcap itself
 * (tests/sandbox/test-sandbox-units.c). Nothing here allocates: the child between fork and
 * execve runs it. */
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "caps.h"
#include "util.h"

#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT (1 << 0)
#define SECBIT_NOROOT_LOCKED (1 << 1)
#define SECBIT_NO_SETUID_FIXUP (1 << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED (1 << 3)
#define SECBIT_KEEP_CAPS (1 << 4)
#define SECBIT_KEEP_CAPS_LOCKED (1 << 5)
#endif

bool caps_have(int cap) {
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct cur[_LINUX_CAPABILITY_U32S_3] = {};

        if (cap < 0 || CAP_TO_INDEX(cap) >= _LINUX_CAPABILITY_U32S_3 || syscall(SYS_capget, &hdr, cur) < 0)
                return false;
        return cur[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

bool caps_bounding_empty(void) {
        /* EINVAL names the first capability past the kernel's last */
        for (unsigned long c = 0; c < 64; c++) {
                int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
                if (r < 0)
                        return errno == EINVAL && c > 0;
                if (r > 0)
                        return false;
        }
        return true;
}

int caps_lock_securebits(void) {
        unsigned bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                        SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;

        if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
                return negative_errno();
        return 0;
}

int caps_switch_user(uid_t uid, gid_t gid) {
        /* Raw syscalls: glibc's wrappers broadcast the change to every thread it believes exists,
         * and after a raw clone3() that belief may be stale. The child has one thread. */
        if (syscall(SYS_setgroups, 0, NULL) < 0)
                return negative_errno();
        if (syscall(SYS_setresgid, gid, gid, gid) < 0)
                return negative_errno();
        if (syscall(SYS_setresuid, uid, uid, uid) < 0)
                return negative_errno();
        return 0;
}

int caps_drop_all(bool drop_bounding) {
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

        /* Every capability this kernel knows, which may be more or fewer than our headers do:
         * EINVAL names the first past its last (64 at most: the kernel's sets are 64-bit). */
        for (unsigned long c = 0; drop_bounding && c < 64; c++) {
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) >= 0)
                        continue;
                if (errno != EINVAL || c == 0)
                        return negative_errno();
                break;
        }

        /* One prctl: libcap's cap_reset_ambient() first reads every bit back. EINVAL: a kernel
         * before ambient capabilities (4.3), nothing to clear. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return negative_errno();

        if (syscall(SYS_capset, &hdr, data) < 0)
                return negative_errno();
        return 0;
}
