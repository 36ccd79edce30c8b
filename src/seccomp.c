/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading seccomp programs. The programs themselves are said in seccomp-compile.c and, at build
 * time, turned into BPF by seccomp-gen into seccomp-bpf.h: building a libseccomp filter costs
 * 0.05–0.25 ms per run on the test VM, loading a ready one a few µs, and not linking libseccomp
 * spares every connection loading it. */
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "seccomp-bpf.h"
#include "seccomp-filter.h"
#include "util.h"

/* The AUDIT_ARCH_* the kernel reports for this binary's syscalls, i.e. the arch the generated
 * programs must check for. Said by the compiler, not configure: a binary built with CC -m32 on
 * an x86_64 host is an i386 one, whatever the host triplet told seccomp-gen. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__x86_64__)
#error "x32 is not supported: its syscalls report AUDIT_ARCH_X86_64 and need filters of their own"
#elif defined(__i386__)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__) && defined(__AARCH64EL__)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARMEL__)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_ARM
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__powerpc64__)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_PPC64
#elif defined(__powerpc__)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_PPC
#elif defined(__s390x__)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_S390X
#elif defined(__s390__)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_S390
#elif defined(__riscv) && __riscv_xlen == 64
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_RISCV64
#elif defined(__loongarch__) && __loongarch_grlen == 64 && defined(AUDIT_ARCH_LOONGARCH64)
#define SECCOMP_NATIVE_AUDIT_ARCH AUDIT_ARCH_LOONGARCH64
#else
#error "Unknown architecture: add its AUDIT_ARCH_* to src/seccomp.c and its libseccomp name to configure.ac"
#endif

bool seccomp_filter_available(void) {
        /* EFAULT: the kernel knows filter mode and choked on our NULL program; EINVAL: it does
         * not (CONFIG_SECCOMP_FILTER=n). Nothing is installed either way. */
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
                return false;
        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) < 0 && errno == EFAULT;
}

int seccomp_program_get(SeccompProfile p, SeccompProgram *ret) {
        if ((unsigned) p >= _SECCOMP_PROFILE_MAX)
                return -EINVAL;

        /* Generated for configure's idea of the host; a program for another arch would kill us
         * at the first syscall (its bad-arch action), so refuse rather than load it. Both sides
         * are constants: the check costs nothing. */
        if (SECCOMP_BPF_AUDIT_ARCH != SECCOMP_NATIVE_AUDIT_ARCH)
                return -EOPNOTSUPP;

        *ret = (SeccompProgram) {
                .fprog.filter = (struct sock_filter *) seccomp_bpf_programs[p].filter,
                .fprog.len = seccomp_bpf_programs[p].len,
        };
        return 0;
}

void seccomp_program_done(SeccompProgram *prog) {
        *prog = (SeccompProgram) {};
}

int seccomp_program_load(const SeccompProgram *prog) {
        if (!prog->fprog.filter || prog->fprog.len == 0)
                return -EINVAL;
        if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog->fprog) < 0)
                return -errno;
        return 0;
}
