/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Not called seccomp.h: on the -I path that name would shadow libseccomp's <seccomp.h>. */

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum SeccompProfile {
        SECCOMP_PROFILE_WORKER,          /* the worker itself, before it reads the request */
        SECCOMP_PROFILE_PERMISSIVE,      /* deny-list, no network */
        SECCOMP_PROFILE_PERMISSIVE_NET,  /* deny-list, AF_INET/AF_INET6 and netlink route allowed */
        SECCOMP_PROFILE_RESTRICTIVE,     /* allow-list, anything else kills the process */
        /* What permissive adds to the worker's filter, for a skill that inherits that filter:
         * socket(2) families (AF_UNIX only; or without the long tail of families) and SysV IPC. */
        SECCOMP_PROFILE_SOCKETS_LOCAL,
        SECCOMP_PROFILE_SOCKETS_NET,
        _SECCOMP_PROFILE_MAX,
} SeccompProfile;

/* LeakSanitizer stops the world with ptrace(2) at exit: a sanitizer build's worker profile keeps
 * ptrace, and is then no longer permissive's deny-list minus the socket families. */
#if defined(__SANITIZE_ADDRESS__)
#define SKILLRUN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SKILLRUN_ASAN 1
#endif
#endif
#ifdef SKILLRUN_ASAN
#define SECCOMP_WORKER_IS_PERMISSIVE_BASE 0
#else
#define SECCOMP_WORKER_IS_PERMISSIVE_BASE 1
#endif

/* Can this kernel load seccomp filters (CONFIG_SECCOMP_FILTER)? */
bool seccomp_filter_available(void);

/* A BPF program ready for seccomp(SECCOMP_SET_MODE_FILTER). The programs are generated at build
 * time and point into .rodata: seccomp_program_done() only resets. */
typedef struct SeccompProgram {
        struct sock_fprog fprog;
} SeccompProgram;

/* The profile's program, as generated at build time. -EOPNOTSUPP if it was generated for another
 * architecture than this binary's (the filter would kill us at the first syscall). */
int seccomp_program_get(SeccompProfile p, SeccompProgram *ret);
void seccomp_program_done(SeccompProgram *prog);

/* Install the program on the calling thread. Needs PR_SET_NO_NEW_PRIVS (or CAP_SYS_ADMIN).
 * Async-signal-safe: for the child between fork and execve. */
int seccomp_program_load(const SeccompProgram *prog);

/* Build time only, in seccomp-compile.c: linked into seccomp-gen and the tests that compare its
 * output, never into skillrun, which would otherwise load libseccomp for every connection. */
const char *seccomp_profile_to_string(SeccompProfile p);
/* Build the profile with libseccomp for one architecture, a libseccomp token (SCMP_ARCH_*,
 * 0 for libseccomp's native one), and export it. */
int seccomp_profile_compile_arch(SeccompProfile p, uint32_t arch, struct sock_filter **ret, size_t *ret_len);
/* The same for the architecture seccomp-gen runs on. */
int seccomp_profile_compile(SeccompProfile p, struct sock_filter **ret, size_t *ret_len);
/* The highest syscall number this libseccomp knows for the arch (0: the native one); -ENOENT if
 * it knows none. */
int seccomp_syscall_max(uint32_t arch);
/* The newest system call (Linux 6.15's) that deny_list[] in seccomp-compile.c was reviewed
 * against. Whoever reviews newer calls, and adds the dangerous ones to deny_list[], moves it to
 * the newest they reviewed: until then, every call above it gets ENOSYS under permissive. */
#define SECCOMP_REVIEWED_LAST "open_tree_attr"
/* The lower of libseccomp's highest number and the reviewed-last call's (negative: libseccomp
 * does not know it, or not for this arch) */
int seccomp_reviewed_max(int libseccomp_max, int reviewed_last);
/* That for the arch (0: the native one), the reviewed-last call resolved by name; -ENOENT if
 * libseccomp knows no call of it. The profiles for which this is true answer every number above
 * it with ENOSYS (permissive's and what it adds to the worker's: the deny-lists a skill gets). */
int seccomp_syscall_reviewed_max(uint32_t arch);
bool seccomp_profile_enosys_above_max(SeccompProfile p);
/* …up to this (0: the native arch), x32's bit, or arm's private calls: from there on
 * libseccomp's program decides, as without the range */
uint32_t seccomp_unknown_end(uint32_t arch);
#define SECCOMP_UNKNOWN_END 0x40000000U
#define SECCOMP_UNKNOWN_END_ARM 0xf0000U
