/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Not called seccomp.h: on the -I path that name would shadow libseccomp's <seccomp.h>. */

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum SeccompProfile {
        SECCOMP_PROFILE_WORKER,          /* the worker itself, before it reads the request */
        SECCOMP_PROFILE_PERMISSIVE,      /* deny-list, no network */
        SECCOMP_PROFILE_PERMISSIVE_NET,  /* deny-list, AF_INET/AF_INET6 and netlink route allowed */
        SECCOMP_PROFILE_RESTRICTIVE,     /* allow-list, anything else kills the process */
        _SECCOMP_PROFILE_MAX,
} SeccompProfile;

const char *seccomp_profile_to_string(SeccompProfile p);

/* Can this kernel load seccomp filters (CONFIG_SECCOMP_FILTER)? */
bool seccomp_filter_available(void);

/* A BPF program ready for seccomp(SECCOMP_SET_MODE_FILTER). 'owned' programs were built at run
 * time and are freed by seccomp_program_done(); precompiled ones point into .rodata. */
typedef struct SeccompProgram {
        struct sock_fprog fprog;
        bool owned;
} SeccompProgram;

/* The profile's program: the one generated at build time when it was made for this architecture,
 * else built now with libseccomp (≈ 0.1–0.3 ms, hence the precompiled copy). */
int seccomp_program_get(SeccompProfile p, SeccompProgram *ret);
void seccomp_program_done(SeccompProgram *prog);

/* Build the profile with libseccomp now, and export it. Used by the build-time generator and as
 * the fallback of seccomp_program_get(). */
int seccomp_profile_compile(SeccompProfile p, struct sock_filter **ret, size_t *ret_len);
/* The native audit arch libseccomp builds for (AUDIT_ARCH_*). */
unsigned seccomp_native_arch(void);

/* Install the program on the calling thread. Needs PR_SET_NO_NEW_PRIVS (or CAP_SYS_ADMIN).
 * Async-signal-safe: for the child between fork and execve. */
int seccomp_program_load(const SeccompProgram *prog);
