/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading seccomp programs. The programs themselves are said in seccomp-compile.c and, at build
 * time, turned into BPF by seccomp-gen into seccomp-bpf.h: building a libseccomp filter costs
 * 0.05–0.25 ms per run on the test VM, loading a ready one a few µs. */
#include <limits.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "seccomp-bpf.h"
#include "seccomp-filter.h"
#include "util.h"

bool seccomp_filter_available(void) {
        /* EFAULT: the kernel knows filter mode and choked on our NULL program; EINVAL: it does
         * not (CONFIG_SECCOMP_FILTER=n). Nothing is installed either way. */
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
                return false;
        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) < 0 && errno == EFAULT;
}

int seccomp_program_get(SeccompProfile p, SeccompProgram *ret) {
        struct sock_filter *filter = NULL;
        size_t len = 0;
        int r;

        if ((unsigned) p >= _SECCOMP_PROFILE_MAX)
                return -EINVAL;

#if SECCOMP_BPF_PRECOMPILED
        /* Precompiled for the build host's arch; a program for another arch would kill us at the
         * first syscall, so only use it when it matches. */
        if (seccomp_bpf_arch == seccomp_native_arch() && seccomp_bpf_programs[p].len > 0) {
                *ret = (SeccompProgram) {
                        .fprog.filter = (struct sock_filter *) seccomp_bpf_programs[p].filter,
                        .fprog.len = seccomp_bpf_programs[p].len,
                        .owned = false,
                };
                return 0;
        }
#endif

        r = seccomp_profile_compile(p, &filter, &len);
        if (r < 0)
                return r;
        if (len > USHRT_MAX) {
                free(filter);
                return -E2BIG;
        }
        *ret = (SeccompProgram) {
                .fprog.filter = filter,
                .fprog.len = (unsigned short) len,
                .owned = true,
        };
        return 0;
}

void seccomp_program_done(SeccompProgram *prog) {
        if (prog->owned)
                free(prog->fprog.filter);
        *prog = (SeccompProgram) {};
}

int seccomp_program_load(const SeccompProgram *prog) {
        if (!prog->fprog.filter || prog->fprog.len == 0)
                return -EINVAL;
        if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog->fprog) < 0)
                return -errno;
        return 0;
}
