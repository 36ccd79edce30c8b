/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Build-time generator: compiles every seccomp profile with libseccomp and prints them as a C
 * header of ready BPF programs (seccomp-bpf.h), so that a run loads a filter instead of building
 * one, and skillrun needs no libseccomp at all.
 * Usage: seccomp-gen --arch ARCH > seccomp-bpf.h, ARCH a libseccomp name (x86_64, aarch64, …):
 * the target's, which configure derives from the host triplet, not the arch this runs on. */
#include <limits.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>

#include "seccomp-filter.h"
#include "util.h"

/* libseccomp's program for a single arch opens with "load seccomp_data.arch; compare it with
 * ARCH" (the mismatch going to the bad-arch action, which kills). seccomp.c compares our ARCH
 * with its own: make sure the program's is the one asked for, rather than trust libseccomp's
 * layout, and that the mismatch still ends where it did before seccomp-compile.c inserted its
 * ENOSYS range behind the check. */
static bool program_checks_arch(const struct sock_filter *f, size_t len, uint32_t audit_arch) {
        return len >= 3 &&
               f[0].code == (BPF_LD | BPF_W | BPF_ABS) && f[0].k == offsetof(struct seccomp_data, arch) &&
               f[1].code == (BPF_JMP | BPF_JEQ | BPF_K) && f[1].k == audit_arch &&
               f[1].jf < len - 2 && f[2 + f[1].jf].code == (BPF_RET | BPF_K) &&
               f[2 + f[1].jf].k == SCMP_ACT_KILL_PROCESS;
}

/* Every jump lands inside the program, and it ends in a return: what seccomp-compile.c inserted
 * into libseccomp's program moved the jumps that cross it. (The kernel checks the same at load
 * time; here a mistake fails the build instead of every run.) */
static bool program_jumps_inside(const struct sock_filter *f, size_t len) {
        if (len == 0 || BPF_CLASS(f[len - 1].code) != BPF_RET)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (BPF_CLASS(f[i].code) != BPF_JMP)
                        continue;
                if (BPF_OP(f[i].code) == BPF_JA ? f[i].k >= len - i - 1 : MAX(f[i].jt, f[i].jf) >= len - i - 1)
                        return false;
        }
        return true;
}

/* The ENOSYS range seccomp-compile.c inserts right after the arch check: "A = nr; if A > max and
 * A < end: return ENOSYS", and the arch check's match goes there. */
static bool program_enosys_above(const struct sock_filter *f, size_t len, uint32_t max, uint32_t end) {
        return len > 6 && f[1].jt == 0 &&
               f[2].code == (BPF_LD | BPF_W | BPF_ABS) && f[2].k == offsetof(struct seccomp_data, nr) &&
               f[3].code == (BPF_JMP | BPF_JGT | BPF_K) && f[3].k == max && f[3].jt == 0 && f[3].jf == 2 &&
               f[4].code == (BPF_JMP | BPF_JGE | BPF_K) && f[4].k == end && f[4].jt == 1 &&
               f[4].jf == 0 &&
               f[5].code == (BPF_RET | BPF_K) && f[5].k == SCMP_ACT_ERRNO(ENOSYS);
}

int main(int argc, char *argv[]) {
        if (argc != 3 || !streq(argv[1], "--arch")) {
                fprintf(stderr, "Usage: seccomp-gen --arch ARCH > seccomp-bpf.h\n");
                return 2;
        }
        const char *arch_name = argv[2];

        /* libseccomp's arch tokens are the AUDIT_ARCH_* values, except x32's: its programs check
         * AUDIT_ARCH_X86_64 like x86_64's, so seccomp.c could not tell the two apart. */
        uint32_t arch = seccomp_arch_resolve_name(arch_name);
        if (arch == 0) {
                fprintf(stderr, "seccomp-gen: unknown architecture '%s' (a libseccomp name, e.g. x86_64, aarch64)\n",
                        arch_name);
                return 1;
        }
        if (arch == SCMP_ARCH_X32) {
                fprintf(stderr, "seccomp-gen: x32 is not supported\n");
                return 1;
        }
        /* libseccomp exports in the target's byte order, but (2.5.4, x86_64 → ppc64/s390x) not
         * the returns it inserts where a jump would be too long: those stay in ours. Rather than
         * fix its output up, generate on a machine of the target's byte order. */
        if (!!(arch & __AUDIT_ARCH_LE) != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)) {
                fprintf(stderr, "seccomp-gen: %s has the other byte order than this machine: libseccomp would mix both "
                        "in the programs. Build on a machine of %s's byte order.\n", arch_name, arch_name);
                return 1;
        }

        int max = seccomp_syscall_reviewed_max(arch);
        if (max < 0) {
                fprintf(stderr, "seccomp-gen: libseccomp knows no system call of %s\n", arch_name);
                return 1;
        }
        const struct scmp_version *v = seccomp_version();

        /* which of the two bounds it is */
        int known = seccomp_syscall_max(arch), reviewed = seccomp_syscall_resolve_name_arch(arch, SECCOMP_REVIEWED_LAST);
        char bound[200];
        if (reviewed >= 0 && max == reviewed)
                snprintf(bound, sizeof(bound), "%s's, the newest call the deny-list was reviewed against\n"
                         " * (libseccomp %u.%u.%u, at build time, knows up to %d)", SECCOMP_REVIEWED_LAST,
                         v->major, v->minor, v->micro, known);
        else
                snprintf(bound, sizeof(bound), "the highest that libseccomp %u.%u.%u, at build time, knows (it does\n"
                         " * not know %s, the newest call the deny-list was reviewed against)", v->major, v->minor,
                         v->micro, SECCOMP_REVIEWED_LAST);
        printf("/* Generated by seccomp-gen from src/seccomp-compile.c. Do not edit. */\n"
               "#pragma once\n"
               "#include <linux/filter.h>\n\n"
               "/* The AUDIT_ARCH_* every program below checks for: %s's */\n"
               "#define SECCOMP_BPF_AUDIT_ARCH 0x%08xU\n\n"
               "/* The highest system call number the skills' deny-lists rule by name for %s: %d.\n"
               " * The bound: %s.\n"
               " * Their programs answer every number above it (up to 0x%x) with ENOSYS. */\n"
               "#define SECCOMP_BPF_SYSCALL_MAX %d\n\n",
               arch_name, arch, arch_name, max, bound, seccomp_unknown_end(arch) - 1, max);

        for (SeccompProfile p = 0; p < _SECCOMP_PROFILE_MAX; p++) {
                _cleanup_free_ struct sock_filter *filter = NULL;
                size_t len;
                int r = seccomp_profile_compile_arch(p, arch, &filter, &len);
                if (r == -EBADMSG) {
                        fprintf(stderr, "seccomp-gen: profile '%s' for %s: libseccomp's program does not start with "
                                "the arch check that src/seccomp-compile.c inserts its ENOSYS range after\n",
                                seccomp_profile_to_string(p), arch_name);
                        return 1;
                }
                if (r == -E2BIG) {
                        fprintf(stderr, "seccomp-gen: profile '%s' for %s: the arch check's jump to the bad-arch action "
                                "is too long for the ENOSYS range inserted before its target\n",
                                seccomp_profile_to_string(p), arch_name);
                        return 1;
                }
                if (r < 0) {
                        fprintf(stderr, "seccomp-gen: profile '%s' for %s: %s\n", seccomp_profile_to_string(p),
                                arch_name, strerror(-r));
                        return 1;
                }
                if (len > USHRT_MAX) { /* sock_fprog.len */
                        fprintf(stderr, "seccomp-gen: profile '%s': %zu instructions, too many\n",
                                seccomp_profile_to_string(p), len);
                        return 1;
                }
                if (!program_checks_arch(filter, len, arch)) {
                        fprintf(stderr, "seccomp-gen: profile '%s': the program does not start with the check for %s, "
                                "killing on a mismatch\n", seccomp_profile_to_string(p), arch_name);
                        return 1;
                }
                if (!program_jumps_inside(filter, len)) {
                        fprintf(stderr, "seccomp-gen: profile '%s': a jump leads out of the program, or it does not "
                                "end in a return\n", seccomp_profile_to_string(p));
                        return 1;
                }
                bool enosys = seccomp_profile_enosys_above_max(p);
                if (program_enosys_above(filter, len, max, seccomp_unknown_end(arch)) != enosys) {
                        fprintf(stderr, "seccomp-gen: profile '%s': %s the ENOSYS range above %d after the arch check\n",
                                seccomp_profile_to_string(p), enosys ? "lacks" : "has", max);
                        return 1;
                }

                printf("/* %s: %zu instructions%s */\n"
                       "static const struct sock_filter seccomp_bpf_%d[] = {\n",
                       seccomp_profile_to_string(p), len, enosys ? ", ENOSYS above SECCOMP_BPF_SYSCALL_MAX" : "",
                       (int) p);
                for (size_t i = 0; i < len; i++)
                        printf("\t{ 0x%04x, %u, %u, 0x%08xU },\n", filter[i].code, filter[i].jt, filter[i].jf,
                               filter[i].k);
                printf("};\n\n");
        }

        printf("static const struct {\n"
               "\tconst struct sock_filter *filter;\n"
               "\tunsigned short len;\n"
               "} seccomp_bpf_programs[] = {\n");
        for (SeccompProfile p = 0; p < _SECCOMP_PROFILE_MAX; p++)
                printf("\t[%d] = { seccomp_bpf_%d, sizeof(seccomp_bpf_%d) / sizeof(struct sock_filter) }, /* %s */\n",
                       (int) p, (int) p, (int) p, seccomp_profile_to_string(p));
        printf("};\n");

        if (fflush(stdout) != 0 || ferror(stdout)) {
                perror("seccomp-gen");
                return 1;
        }
        return 0;
}
