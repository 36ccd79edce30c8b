/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp profiles, said once with libseccomp. Built at build time only, by seccomp-gen (so a
 * run pays nothing for it, and skillrun does not link libseccomp). */
#include <assert.h>
#include <linux/btrfs.h>
#include <linux/falloc.h>
#include <linux/net.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "seccomp-filter.h"
#include "util.h"

/* What no sandboxed process needs and the kernel's biggest attack surface: EPERM, so programs
 * that probe (e.g. for io_uring) fall back instead of dying. Reviewed against the kernel's calls
 * up to SECCOMP_REVIEWED_LAST (seccomp-filter.h), which a review of newer ones moves: calls
 * above it get ENOSYS under permissive. */
static const char *const deny_list[] = {
        /* mounts and the root (open_tree_attr, Linux 6.15: once libseccomp knows it, the top of
         * what permissive rules by name, SECCOMP_REVIEWED_LAST) */
        "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "open_tree_attr",
        "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        /* other processes' memory */
        "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise",
        /* kernel programs and observation */
        "bpf", "perf_event_open", "lookup_dcookie", "syslog",
        /* the kernel itself */
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "create_module", "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
        "iopl", "ioperm", "vhangup", "uselib", "nfsservctl", "_sysctl",
        /* keyrings */
        "keyctl", "add_key", "request_key",
        /* namespaces (clone with namespace flags below) */
        "unshare", "setns",
        /* exploit helpers */
        "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
        "open_by_handle_at", "name_to_handle_at",
        /* clocks */
        "settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime",
        "clock_adjtime64", "adjtimex",
        /* vm86 and other legacy */
        "vm86", "vm86old", "modify_ldt",
};

/* Ordinary process syscalls: enough for /bin/sh, coreutils and python3. */
static const char *const allow_list[] = {
        /* files */
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
        "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range", "stat", "fstat",
        "lstat", "newfstatat", "fstatat64", "stat64", "fstat64", "lstat64", "statx", "statfs",
        "fstatfs", "statfs64", "fstatfs64", "access", "faccessat", "faccessat2", "lseek", "_llseek",
        "getdents", "getdents64", "readlink", "readlinkat", "getcwd", "chdir", "fchdir", "rename",
        "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat", "unlink",
        "unlinkat", "symlink", "symlinkat", "mknod", "mknodat", "chmod", "fchmod", "fchmodat",
        "chown", "fchown", "lchown", "fchownat", "umask", "utime", "utimes", "utimensat",
        "futimesat", "fchmodat2", "truncate", "ftruncate", "fsync", "fdatasync", "sync_file_range", "fallocate",
        "fadvise64", "readahead", "flock", "dup", "dup2", "dup3", "fcntl", "fcntl64",
        "pipe", "pipe2", "sendfile", "sendfile64", "copy_file_range", "splice", "tee",
        "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
        /* setting them on a file it opened, which landlock allowed: cp -a and -p, install and
         * mv across file systems set the copy's ACL so (chmod(2) by path is here anyway) */
        "fsetxattr", "fremovexattr",
        "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "memfd_create",
        /* memory */
        "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "msync", "mincore",
        "mlock", "munlock", "membarrier", "map_shadow_stack",
        /* memory protection keys of its own pages (V8, node's engine, allocates one at start) */
        "pkey_alloc", "pkey_free", "pkey_mprotect",
        /* signals */
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn", "rt_sigsuspend",
        "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack",
        "kill", "tkill", "tgkill", "pause", "alarm", "setitimer", "getitimer", "restart_syscall",
        "signalfd", "signalfd4",
        /* processes and threads (clone: without namespace flags, below) */
        "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "futex",
        "futex_waitv", "set_robust_list", "get_robust_list", "set_tid_address", "rseq",
        "arch_prctl", "prctl", "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
        "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min",
        "getpriority", "setpgid", "getpgid", "getpgrp", "setsid", "getsid", "pidfd_open",
        "pidfd_send_signal", "capget",
        /* identity and limits */
        "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getresuid",
        "getresgid", "getgroups", "getrlimit", "ugetrlimit", "setrlimit", "getrusage",
        "uname", "sysinfo", "times", "getcpu", "getrandom", "get_mempolicy",
        /* changing ids: harmless without capabilities and under no_new_privs (only ever down) */
        "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid",
        "setfsgid", "capset",
        /* time */
        "gettimeofday", "time", "clock_gettime", "clock_gettime64", "clock_getres",
        "clock_getres_time64", "clock_nanosleep", "clock_nanosleep_time64", "nanosleep",
        "timerfd_create", "timerfd_settime", "timerfd_gettime", "timer_create", "timer_settime",
        "timer_gettime", "timer_getoverrun", "timer_delete",
        /* waiting */
        "poll", "ppoll", "select", "_newselect", "pselect6", "epoll_create", "epoll_create1",
        "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
        /* local sockets (socket(2) itself is refused, below: only socketpair pairs exist, and
         * socketpair(2) is ruled below) */
        "connect", "bind", "listen", "accept", "accept4", "getsockname",
        "getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
        "shutdown", "setsockopt", "getsockopt",
        /* calls of their own on the 32-bit tables (arm, ppc; through socketcall(2) on i386), only
         * libc functions over sendto/recvfrom on x86_64: glibc makes them there, and a pair
         * that works only until its first send() is none (asyncio's self-pipe is one) */
        "send", "recv",
        /* the same calls by the names 32-bit tables give them (i386, arm, ppc, mips): 32-bit ids,
         * 64-bit offsets and times, waitpid (glibc's on i386) and i386's TLS setup, which every
         * program runs before main(). The kill default would otherwise end each one at start. */
        "getuid32", "geteuid32", "getgid32", "getegid32", "getresuid32", "getresgid32", "getgroups32",
        "setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32", "setresgid32", "setgroups32",
        "setfsuid32", "setfsgid32", "chown32", "fchown32", "lchown32", "truncate64", "ftruncate64",
        "fadvise64_64", "waitpid", "set_thread_area", "get_thread_area", "futex_time64", "ppoll_time64",
        "pselect6_time64", "utimensat_time64", "rt_sigtimedwait_time64", "recvmmsg_time64",
        "timer_settime64", "timer_gettime64", "timerfd_settime64", "timerfd_gettime64",
        /* 32-bit arm's: its TLS setup (set_tls, also before main()), the cache flush after code
         * is written (libffi's closures, as ctypes' callbacks), and its argument orders of
         * fadvise64_64 and sync_file_range (also ppc's sync_file_range2) */
        "set_tls", "cacheflush", "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
        /* riscv64's cache flush (as arm's), and the hardware probe newer glibc makes at start-up
         * (named here for the libseccomp that knows it; 2.5 does not) */
        "riscv_flush_icache", "riscv_hwprobe",
};

/* Limits and scheduling of a process, the pid in the first argument. The kernel asks no more
 * than the same uid, and the worker (under DynamicUser=) and every run's skills (as run_user)
 * share one: a skill could lower the worker's RLIMIT_NOFILE, or another run's, and make it
 * fail, or put the worker in SCHED_IDLE and starve its timeout. Only pid 0, the caller, is let
 * through: glibc's setrlimit, getrlimit, nice and sched_setscheduler(0, …) pass 0, though its
 * pthread_setschedparam() passes a tid and is refused. prlimit64 only when it sets (a third
 * argument): reading another's limits harms nobody. CPU affinity stays open: glibc's thread
 * affinity calls pass a tid, a filter cannot tell ours from the worker's, and a pinned worker
 * is slower, not broken. The worker itself only ever sets its own (grep for these names). */
static const char *const self_only[] = { "sched_setscheduler", "sched_setparam", "sched_setattr" };

#define IOPRIO_WHO_PROCESS 1 /* <linux/ioprio.h>, which older kernel headers do not export */

/* Namespace flags of clone(2). CLONE_NEWTIME (0x80) is left out: in clone(2) that bit belongs
 * to the exit signal; unshare/clone3 are denied whole. */
static const uint32_t clone_ns_flags[] = {
        CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWPID,
        CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP,
};
#define CLONE_NS_MASK \
        (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

const char *seccomp_profile_to_string(SeccompProfile p) {
        static const char *const table[_SECCOMP_PROFILE_MAX] = {
                [SECCOMP_PROFILE_WORKER] = "worker",
                [SECCOMP_PROFILE_PERMISSIVE] = "permissive",
                [SECCOMP_PROFILE_PERMISSIVE_NET] = "permissive-net",
                [SECCOMP_PROFILE_RESTRICTIVE] = "restrictive",
                [SECCOMP_PROFILE_SOCKETS_LOCAL] = "sockets-local",
                [SECCOMP_PROFILE_SOCKETS_NET] = "sockets-net",
        };
        return (unsigned) p < _SECCOMP_PROFILE_MAX ? table[p] : NULL;
}

/* Add a rule; a syscall this architecture (or this libseccomp) does not have is no error. */
static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n, const struct scmp_arg_cmp *cmp) {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0;
        int r = seccomp_rule_add_array(ctx, action, nr, n, cmp);
        if (r == -EDOM || r == -EOPNOTSUPP)
                return 0; /* pseudo-syscall not on this arch */
        return r;
}

static int deny_all(scmp_filter_ctx ctx, SeccompProfile p, const char *const *names, size_t n) {
        for (size_t i = 0; i < n; i++) {
#ifdef SKILLRUN_ASAN
                if (p == SECCOMP_PROFILE_WORKER && streq(names[i], "ptrace"))
                        continue;
#endif
                int r = rule(ctx, SCMP_ACT_ERRNO(EPERM), names[i], 0, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* clone(2)'s flags under 'mask' equal 'value'. The flags are its first argument, but its second
 * on s390 and s390x, where the first is the new stack (the kernel's CONFIG_CLONE_BACKWARDS2):
 * there a check of the first would test a stack address. */
static struct scmp_arg_cmp clone_flags_masked(uint32_t arch, uint64_t mask, uint64_t value) {
        return (struct scmp_arg_cmp) {
                .arg = arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X ? 1 : 0,
                .op = SCMP_CMP_MASKED_EQ,
                .datum_a = mask,
                .datum_b = value,
        };
}

static int deny_clone_namespaces(scmp_filter_ctx ctx, uint32_t arch) {
        for (size_t i = 0; i < ELEMENTSOF(clone_ns_flags); i++) {
                struct scmp_arg_cmp c = clone_flags_masked(arch, clone_ns_flags[i], clone_ns_flags[i]);
                int r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &c);
                if (r < 0)
                        return r;
        }
        /* clone3 passes its flags in memory, out of BPF's reach: ENOSYS makes libc fall back to
         * clone(2), where the flags are checked. */
        return rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
}

/* personality(2): the query (0xffffffff) answers, any change is refused. Setting PER_LINUX (0),
 * a no-op for a Linux process, is refused too: libseccomp allows one comparison per argument
 * and rule, and saying "neither 0 nor ~0" costs 62 rules, i.e. ~190 BPF instructions that every
 * load pays to JIT. libseccomp 2.5 compares all 64 bits, where the kernel reads an unsigned int:
 * the query spelt personality(~0UL) or (-1), as glibc's unsigned long prototype invites, is let
 * through ahead of this rule, see insert_personality_query(). */
static int deny_personality(scmp_filter_ctx ctx) {
        struct scmp_arg_cmp c = SCMP_A0_32(SCMP_CMP_NE, 0xffffffffU);
        return rule(ctx, SCMP_ACT_ERRNO(EPERM), "personality", 1, &c);
}

/* Where the socket calls are also multiplexed through socketcall(2) (i386, ppc, s390, 32-bit
 * mips), libseccomp 2.5 adds each rule on socket(2) or socketpair(2) for socketcall too, with the
 * call's number in place of the first comparison and the others as they were: those would test
 * socketcall's second argument, the address of the real ones, which BPF cannot read. There the
 * multiplexed socket(2) and socketpair(2) are refused whole, before any rule with arguments is
 * added (libseccomp then drops the longer rules on socketcall as covered, see build_allow()),
 * and the rules on families and types apply to the direct calls (Linux 4.3 and later) only. A C
 * library that still goes through socketcall(2), as Debian's i386 glibc does, gets EPERM for
 * every socket and pair under permissive and restrictive: refused, never let through unchecked.
 * Elsewhere "socketcall" names no syscall and these rules are none. */
static int refuse_multiplexed_sockets(scmp_filter_ctx ctx, uint32_t action) {
        static const uint32_t calls[] = { SYS_SOCKET, SYS_SOCKETPAIR };

        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                struct scmp_arg_cmp c = SCMP_A0_32(SCMP_CMP_EQ, calls[i]);
                int r = rule(ctx, action, "socketcall", 1, &c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* socket(2) families. Without network: AF_UNIX only. With network: also AF_INET, AF_INET6 and
 * NETLINK_ROUTE (getaddrinfo and if_nameindex use it); never AF_PACKET, other netlink
 * families, AF_VSOCK, AF_ALG, AF_XDP and the rest of the long tail. */
static int socket_families(scmp_filter_ctx ctx, uint32_t deny_action, bool network) {
        int r;

        r = refuse_multiplexed_sockets(ctx, deny_action);
        if (r < 0)
                return r;

        /* socketpair(2) creates sockets of its family too (the family's create() runs before
         * the kernel asks whether it has pairs; AF_TIPC has): AF_UNIX only, network or not */
        struct scmp_arg_cmp not_unix = SCMP_A0_32(SCMP_CMP_NE, AF_UNIX);
        r = rule(ctx, deny_action, "socketpair", 1, &not_unix);
        if (r < 0)
                return r;

        if (!network)
                return rule(ctx, deny_action, "socket", 1, &not_unix);

        /* Everything but AF_UNIX (1), AF_INET (2), AF_INET6 (10) and AF_NETLINK (16), in as few
         * single-comparison rules as the ranges allow: 0, 3…9, 11…15, ≥ 17. */
        static const uint32_t singles[] = { 0, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15 };
        for (size_t i = 0; i < ELEMENTSOF(singles); i++) {
                struct scmp_arg_cmp c = SCMP_A0_32(SCMP_CMP_EQ, singles[i]);
                r = rule(ctx, deny_action, "socket", 1, &c);
                if (r < 0)
                        return r;
        }
        struct scmp_arg_cmp high = SCMP_A0_32(SCMP_CMP_GE, AF_NETLINK + 1);
        r = rule(ctx, deny_action, "socket", 1, &high);
        if (r < 0)
                return r;
        struct scmp_arg_cmp nl[2] = {
                SCMP_A0_32(SCMP_CMP_EQ, AF_NETLINK),
                SCMP_A2_32(SCMP_CMP_NE, 0 /* NETLINK_ROUTE */),
        };
        return rule(ctx, deny_action, "socket", 2, nl);
}

/* EPERM for a target other than the caller: self_only with a pid, and setpriority/ioprio_set
 * with another "which" than the process (PRIO_USER with who 0 means every process of the uid;
 * PRIO_PGRP is refused whole, who 0 included: with a session of its own that group is the
 * skill's, but one rule on "which" is cheaper than telling who 0 apart) or another "who" than
 * 0. */
static int deny_other_processes(scmp_filter_ctx ctx) {
        struct scmp_arg_cmp not_self = SCMP_A0_32(SCMP_CMP_NE, 0);
        int r;

        for (size_t i = 0; i < ELEMENTSOF(self_only); i++) {
                r = rule(ctx, SCMP_ACT_ERRNO(EPERM), self_only[i], 1, &not_self);
                if (r < 0)
                        return r;
        }
        /* prlimit64 only when it sets (new_limit, the third argument, not NULL) */
        struct scmp_arg_cmp other_sets[] = { not_self, SCMP_A2_64(SCMP_CMP_NE, 0) };
        r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "prlimit64", ELEMENTSOF(other_sets), other_sets);
        if (r < 0)
                return r;

        static const struct {
                const char *name;
                uint32_t which; /* the one "which" that names a single process */
        } by_which[] = {
                { "setpriority", PRIO_PROCESS },
                { "ioprio_set", IOPRIO_WHO_PROCESS },
        };
        for (size_t i = 0; i < ELEMENTSOF(by_which); i++) {
                struct scmp_arg_cmp other_which = SCMP_A0_32(SCMP_CMP_NE, by_which[i].which);
                struct scmp_arg_cmp other_who = SCMP_A1_32(SCMP_CMP_NE, 0);

                r = rule(ctx, SCMP_ACT_ERRNO(EPERM), by_which[i].name, 1, &other_which);
                if (r < 0)
                        return r;
                r = rule(ctx, SCMP_ACT_ERRNO(EPERM), by_which[i].name, 1, &other_who);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* 'action' for the calls whose argument 'arg', an int or unsigned int, is in [lo, hi) in its
 * low 32 bits, as the kernel reads it. libseccomp 2.5 compares all 64 bits for < and >= even
 * in SCMP_A*_32 (a value with high bits set is above any bound), and cannot have two
 * comparisons of one argument in a rule; a masked == looks at the bits of the mask alone. So
 * the range becomes its aligned power-of-two blocks, one masked == each: at most 2 x 32. The
 * ranges given for one call must not overlap (libseccomp lets the first matching rule win in
 * an order of its own) and should cover all 2^32 values (the rest gets the default). */
static int rule_range32(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned arg,
                        uint64_t lo, uint64_t hi) {
        assert(arg < 6 && lo <= hi && hi <= UINT64_C(1) << 32);
        while (lo < hi) {
                uint64_t size = lo == 0 ? UINT64_C(1) << 32 : lo & -lo; /* lo's alignment */
                while (lo + size > hi)
                        size >>= 1;
                struct scmp_arg_cmp c = {
                        .arg = arg,
                        .op = SCMP_CMP_MASKED_EQ,
                        .datum_a = (uint32_t) ~(size - 1),
                        .datum_b = lo,
                };
                int r = rule(ctx, action, name, 1, &c);
                if (r < 0)
                        return r;
                lo += size;
        }
        return 0;
}

/* An _IOW() request as the arch encodes it: powerpc's has 13 size bits and the write direction 4
 * above them, the generic one (x86, arm, s390, riscv, loongarch) 14 bits and 1. <linux/btrfs.h>
 * says them in this machine's layout, while a profile is built for any arch (the tests build
 * them all). Decoded here, encoded there. */
#define IOW_OF(req) _IOC_TYPE(req), _IOC_NR(req), _IOC_SIZE(req)
static uint32_t ioctl_iow(uint32_t arch, uint32_t type, uint32_t nr, uint32_t size) {
        bool ppc = arch == SCMP_ARCH_PPC || arch == SCMP_ARCH_PPC64 || arch == SCMP_ARCH_PPC64LE;

        return (ppc ? UINT32_C(4) << 29 : UINT32_C(1) << 30) | size << 16 | type << 8 | nr;
}

/* btrfs: the requests that snapshot a subvolume or change its flags, refused with EPERM. Any
 * owner of a subvolume may snapshot it read-only (BTRFS_IOC_SNAP_CREATE_V2 with
 * BTRFS_SUBVOL_RDONLY) or make it so (BTRFS_IOC_SUBVOL_SETFLAGS), no privilege needed, and
 * nothing in it can then be removed until it is made writable again, through an fd of it. A
 * skill that shares the worker's uid (DynamicUser=) and chmods its subvolume to 0 first leaves
 * neither: no open, no chmod (EROFS), and deleting a subvolume as such takes CAP_SYS_ADMIN. Its
 * work dir stayed after every run, with its disk use. In the worker's filter, which every skill
 * inherits, so that no skill can make a read-only subvolume: the worker's rm_rf() then cannot
 * clear the flag either (its own SETFLAGS is refused too), and need not; it still does where
 * the worker has no filter (a kernel without seccomp, sandbox = best-effort). Restrictive's
 * allow-list lets them through to the worker's filter beneath it: three holes in its allowed
 * blocks of ioctl(2) would cost 62 more rules, ~190 instructions. BTRFS_IOC_SNAP_CREATE makes a
 * writable snapshot, but of any subvolume of the uid it can open on that file system, into the
 * work dir, where landlock no longer rules what the copy holds: no skill needs one. Left to the
 * kernel: BTRFS_IOC_SUBVOL_CREATE and _V2 (an empty subvolume, never read-only: the kernel
 * ignores BTRFS_SUBVOL_RDONLY there; rm_rf() removes it), SUBVOL_GETFLAGS,
 * SET_RECEIVED_SUBVOL (it refuses a read-only subvolume and leaves the flag alone), the
 * reflink requests of the same type 0x94 (FICLONE, FICLONERANGE, FIDEDUPERANGE: cp --reflink)
 * and the rest, which need CAP_SYS_ADMIN. The kernel reads the request as an unsigned int:
 * each is one masked == on the low 32 bits (rule_range32()), whatever the upper half says. */
static int deny_btrfs_snapshots(scmp_filter_ctx ctx, uint32_t arch) {
        static const struct {
                uint32_t type, nr, size;
        } requests[] = {
                { IOW_OF(BTRFS_IOC_SNAP_CREATE) },
                { IOW_OF(BTRFS_IOC_SNAP_CREATE_V2) },
                { IOW_OF(BTRFS_IOC_SUBVOL_SETFLAGS) },
        };
        static_assert(_IOC_DIR(BTRFS_IOC_SNAP_CREATE) == _IOC_WRITE && _IOC_DIR(BTRFS_IOC_SNAP_CREATE_V2) == _IOC_WRITE &&
                      _IOC_DIR(BTRFS_IOC_SUBVOL_SETFLAGS) == _IOC_WRITE, "_IOW() requests");

        for (size_t i = 0; i < ELEMENTSOF(requests); i++) {
                uint64_t req = ioctl_iow(arch, requests[i].type, requests[i].nr, requests[i].size);
                int r = rule_range32(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, req, req + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The ioctl(2) requests that read or change the host's network configuration, [first, end):
 * any socket answers them, a socketpair() end too (see build_allow()). */
#define IOCTL_NET_FIRST 0x8908U /* SIOCGSTAMPNS_OLD + 1: routing, interfaces, ARP, bridges, ... */
#define IOCTL_NET_END 0x8c00U   /* SIOCIWLAST + 1: wireless extensions end at 0x8bff */

/* System V IPC and POSIX message queues: segments, queues and semaphore sets outlive the run
 * (its cgroup, its memory limit and its kill), and every run's skill of the uid can attach to
 * what another left or holds, as to the host's own 0666 objects; a message queue also counts
 * against the host's queues_max. POSIX shared memory is kept out with /dev/shm; these are the
 * same thing by other APIs (a message queue needs no path: landlock never sees it). Not in the
 * worker's filter: "none" keeps them. */
static const char *const sysv_ipc[] = {
        "shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl",
        "semget", "semop", "semtimedop", "semtimedop_time64", "semctl", "ipc",
        "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
        "mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
};

/* The kernel's AIO: every context counts against fs.aio-max-nr, one limit for the whole host that
 * neither a cgroup nor an rlimit bounds, and io_setup(2) takes at least as many events as the
 * limit has left. One context of a skill took all 65536 (the default), and every other process
 * of the host (databases, QEMU, other runs) got EAGAIN from io_setup(2) until the run ended.
 * glibc's POSIX AIO (aio_read(3)) uses threads, not these. io_uring is denied outright. Not in
 * the worker's filter: "none" keeps them. */
static const char *const kernel_aio[] = {
        "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
        "io_pgetevents_time64",
};

/* /proc/self by system call: the mount table (listmount, statmount: Linux 6.8) and the LSM
 * attributes (lsm_get_self_attr, lsm_set_self_attr: 6.8) that /proc/self/mountinfo and
 * /proc/self/attr hold, which landlock keeps from permissive skills. A libseccomp that knows
 * them (2.6, Debian 13's) put them below the ENOSYS range, and the skill read the mount table
 * (every mount point, device and option); one that does not (2.5, Debian 12's) left them above
 * it. ENOSYS, then, whichever built the filter: what libmount and systemd take for an older
 * kernel, falling back to /proc/self, where landlock answers. Not in the worker's filter: the
 * worker calls statmount(2) itself, and "none" keeps them. */
static const char *const proc_self_calls[] = {
        "listmount", "statmount", "lsm_get_self_attr", "lsm_set_self_attr",
};

/* What permissive adds to the worker's deny-list, whole or as the remainder stacked on it: System
 * V IPC, the kernel's AIO, /proc/self's system calls, and sockets by family. Without the
 * network, no view of it either: no AF_NETLINK socket then, and the same interfaces, addresses
 * and ARP entries through ioctl(2) on an AF_UNIX socket are refused too. With "network": true
 * the route netlink socket shows them anyway. */
static int deny_permissive_extras(scmp_filter_ctx ctx, SeccompProfile p) {
        bool network = p == SECCOMP_PROFILE_PERMISSIVE_NET || p == SECCOMP_PROFILE_SOCKETS_NET;
        int r;

        r = deny_all(ctx, p, sysv_ipc, ELEMENTSOF(sysv_ipc));
        if (r < 0)
                return r;
        r = deny_all(ctx, p, kernel_aio, ELEMENTSOF(kernel_aio));
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(proc_self_calls); i++) {
                r = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), proc_self_calls[i], 0, NULL);
                if (r < 0)
                        return r;
        }
        if (!network) {
                r = rule_range32(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, IOCTL_NET_FIRST, IOCTL_NET_END);
                if (r < 0)
                        return r;
        }
        return socket_families(ctx, SCMP_ACT_ERRNO(EPERM), network);
}

/* fallocate(2) modes that put blocks or size past what RLIMIT_FSIZE allows, which it checks
 * against a new size only. FALLOC_FL_KEEP_SIZE (alone, or with ZERO_RANGE or UNSHARE_RANGE):
 * blocks past the end of a file, its size unchanged. On ext4 a skill held 4G after 12 ms with
 * workdir_max 8M; in a file it had unlinked, which no walk of the work dir counts, 20G for the
 * whole run, outcome "ok": as much as the work root's disk has, every other run's and the
 * host's (tmpfs checks the limit itself). FALLOC_FL_INSERT_RANGE: the size grows by the length
 * inserted, unchecked on ext4, and a shared mapping of the file then allocates blocks up to
 * there, which no write would (1G in a second, the file unlinked, "ok"). EOPNOTSUPP, the answer
 * of a file system without the mode, which programs that use them are ready for. Mode 0
 * (posix_fallocate(3)) grows the size, which the limit bounds, and stays, as do punching a hole
 * (PUNCH_HOLE|KEEP_SIZE), which frees blocks, and collapsing a range. In the worker's filter,
 * which every skill inherits, restrictive's included (its allow-list has fallocate(2) as such). */
static int deny_fallocate_past_limit(scmp_filter_ctx ctx) {
        static const struct {
                uint32_t mask, value;
        } modes[] = {
                { FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, FALLOC_FL_KEEP_SIZE },
                { FALLOC_FL_INSERT_RANGE, FALLOC_FL_INSERT_RANGE },
        };

        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                struct scmp_arg_cmp c = SCMP_A1_32(SCMP_CMP_MASKED_EQ, modes[i].mask, modes[i].value);
                int r = rule(ctx, SCMP_ACT_ERRNO(EOPNOTSUPP), "fallocate", 1, &c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_deny(scmp_filter_ctx ctx, SeccompProfile p, uint32_t arch) {
        int r;

        /* permissive's remainder, stacked on the worker's filter that the skill inherits */
        if (p == SECCOMP_PROFILE_SOCKETS_LOCAL || p == SECCOMP_PROFILE_SOCKETS_NET)
                return deny_permissive_extras(ctx, p);

        r = deny_all(ctx, p, deny_list, ELEMENTSOF(deny_list));
        if (r < 0)
                return r;
        r = deny_clone_namespaces(ctx, arch);
        if (r < 0)
                return r;
        r = deny_personality(ctx);
        if (r < 0)
                return r;
        r = deny_other_processes(ctx);
        if (r < 0)
                return r;
        r = deny_btrfs_snapshots(ctx, arch);
        if (r < 0)
                return r;
        r = deny_fallocate_past_limit(ctx);
        if (r < 0)
                return r;
        if (p == SECCOMP_PROFILE_WORKER)
                return 0; /* the worker's socket() is free: policy "none" skills inherit this filter */
        return deny_permissive_extras(ctx, p);
}

static int build_allow(scmp_filter_ctx ctx, uint32_t arch) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(allow_list); i++) {
                r = rule(ctx, SCMP_ACT_ALLOW, allow_list[i], 0, NULL);
                if (r < 0)
                        return r;
        }

        /* prlimit64 on itself only; another's is refused rather than killed (a program may probe
         * and go on), reading too: libseccomp cannot mix that rule on two arguments with the
         * allow rule on one without the kill default taking over */
        struct scmp_arg_cmp self = SCMP_A0_32(SCMP_CMP_EQ, 0), not_self = SCMP_A0_32(SCMP_CMP_NE, 0);
        r = rule(ctx, SCMP_ACT_ALLOW, "prlimit64", 1, &self);
        if (r < 0)
                return r;
        r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "prlimit64", 1, &not_self);
        if (r < 0)
                return r;

        /* ioctl(2), but for the host's network configuration. Any socket answers the SIOC*
         * requests of 0x8908-0x89ff and wireless extensions' 0x8b00-0x8bff, a socketpair() end
         * too: interface names, addresses, MAC addresses, the ARP table. Refused, not killed (a
         * library that probes falls back), as socket(2) is, with the 0x8a00 block between them
         * so that one range covers both. Below 0x8908 the socket's own requests stay
         * (FIOSETOWN, SIOCATMARK, SIOCGSTAMP), as every _IOC-encoded request does (their
         * direction and size bits put them far above). 30 masked == rules, 89 instructions. */
        r = rule_range32(ctx, SCMP_ACT_ALLOW, "ioctl", 1, 0, IOCTL_NET_FIRST);
        if (r < 0)
                return r;
        r = rule_range32(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, IOCTL_NET_FIRST, IOCTL_NET_END);
        if (r < 0)
                return r;
        r = rule_range32(ctx, SCMP_ACT_ALLOW, "ioctl", 1, IOCTL_NET_END, UINT64_C(1) << 32);
        if (r < 0)
                return r;

        struct scmp_arg_cmp no_ns = clone_flags_masked(arch, CLONE_NS_MASK, 0);
        r = rule(ctx, SCMP_ACT_ALLOW, "clone", 1, &no_ns);
        if (r < 0)
                return r;
        r = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
        if (r < 0)
                return r;

        struct scmp_arg_cmp per_linux = SCMP_A0_32(SCMP_CMP_EQ, 0);
        struct scmp_arg_cmp per_query = SCMP_A0_32(SCMP_CMP_EQ, 0xffffffffU);
        r = rule(ctx, SCMP_ACT_ALLOW, "personality", 1, &per_linux);
        if (r < 0)
                return r;
        r = rule(ctx, SCMP_ACT_ALLOW, "personality", 1, &per_query);
        if (r < 0)
                return r;

        /* socketpair(2): AF_UNIX stream and seqpacket pairs. The end of a datagram pair is tied
         * to nothing: sendto() with an address, or connect(), reaches any unix socket by path
         * (journald, /dev/log), which refusing socket(2) below is there to keep out. A datagram
         * pair or another family is refused, not killed, as socket(2); other AF_UNIX types (the
         * kernel has none) kill. The type's low bits, as the kernel's SOCK_TYPE_MASK. Through
         * socketcall(2), refused whole: first, so that the allow rules' multiplexed forms, which
         * would test a pointer, are dropped as covered rather than refused as conflicting. */
        r = refuse_multiplexed_sockets(ctx, SCMP_ACT_ERRNO(EPERM));
        if (r < 0)
                return r;
        static const uint32_t pair_types[] = { SOCK_STREAM, SOCK_SEQPACKET };
        for (size_t i = 0; i < ELEMENTSOF(pair_types); i++) {
                struct scmp_arg_cmp c[] = {
                        SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX),
                        SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, pair_types[i]),
                };
                r = rule(ctx, SCMP_ACT_ALLOW, "socketpair", ELEMENTSOF(c), c);
                if (r < 0)
                        return r;
        }
        struct scmp_arg_cmp pair_other_family = SCMP_A0_32(SCMP_CMP_NE, AF_UNIX);
        r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "socketpair", 1, &pair_other_family);
        if (r < 0)
                return r;
        struct scmp_arg_cmp pair_dgram = SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM);
        r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "socketpair", 1, &pair_dgram);
        if (r < 0)
                return r;

        /* No socket(2) at all, refused rather than killed so that a library probing for a
         * daemon (nscd, syslog) falls back quietly: landlock before ABI 9 does not rule
         * connect() to a unix socket by path, and journald, D-Bus or any socket the uid can
         * reach would otherwise be open. socketpair(2) still gives a process its own pairs. */
        return rule(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 0, NULL);
}

static int build(SeccompProfile p, uint32_t arch, scmp_filter_ctx *ret) {
        uint32_t def = p == SECCOMP_PROFILE_RESTRICTIVE ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW;
        scmp_filter_ctx ctx;
        int r;

        ctx = seccomp_init(def);
        if (!ctx)
                return -ENOMEM;

        /* Exactly one architecture, the target's. The rules below still name syscalls by
         * seccomp_syscall_resolve_name(), the native number or a pseudo one for a syscall the
         * native table lacks: libseccomp translates them for the filter's arch. The native arch
         * goes first: libseccomp refuses (EDOM) to add one of the other byte order to it. */
        if (arch != seccomp_arch_native()) {
                r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
                if (r < 0)
                        goto fail;
                r = seccomp_arch_add(ctx, arch);
                if (r < 0)
                        goto fail;
        }

        /* A syscall of another architecture (int 0x80, x32) kills the process: every profile is
         * written for the one table above only. That includes the worker's, which skills of policy
         * "none" inherit, so 32-bit programs do not run there either: a copy of the rules for
         * i386 doubled the worker filter and its load time (≈ 0.1 ms vs 0.04 ms, per request). */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r < 0)
                goto fail;
        /* A binary search over syscall numbers instead of a linear chain: every syscall of the
         * skill runs this program, and (measured) the kernel also loads the tree form faster. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0)
                goto fail;
        /* We set PR_SET_NO_NEW_PRIVS ourselves, at the step the sandbox order says. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                goto fail;
        r = p == SECCOMP_PROFILE_RESTRICTIVE ? build_allow(ctx, arch) : build_deny(ctx, p, arch);
        if (r < 0)
                goto fail;

        *ret = ctx;
        return 0;
fail:
        seccomp_release(ctx);
        return r;
}

/* libseccomp 2.5 exports to an fd only (seccomp_export_bpf_mem is 2.6): a memfd, read back. */
static int export(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ struct sock_filter *prog = NULL;
        struct stat st;
        size_t done = 0;
        int r;

        fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_size <= 0 || st.st_size > (1 << 20) || st.st_size % sizeof(struct sock_filter) != 0)
                return -EBADMSG;

        prog = malloc(st.st_size);
        if (!prog)
                return -ENOMEM;
        while (done < (size_t) st.st_size) {
                ssize_t n = pread(fd, (char *) prog + done, st.st_size - done, done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -EIO;
                done += n;
        }

        *ret = steal_pointer(&prog);
        *ret_len = st.st_size / sizeof(struct sock_filter);
        return 0;
}

/* A deny-list denies only what it names, and every kernel adds system calls nobody reviewed for
 * it, variants of denied ones among them (open_tree_attr of open_tree, the *xattrat calls,
 * file_setattr, …): permissive's filters answer every number above the reviewed-last call
 * (SECCOMP_REVIEWED_LAST), or above the highest libseccomp knows if that is lower, with ENOSYS,
 * what the C library and programs take for an older kernel and fall back from. Not libseccomp's
 * highest alone: a newer libseccomp at build time would let unreviewed calls through, and the
 * same source would enforce another policy where it is built. Up to x32's bit
 * (arm: its private calls, seccomp_unknown_end()): from there on libseccomp's own check decides,
 * as before (x32 kills, -1 goes on). Not the worker's filter (the worker calls statmount(2),
 * cgroup-layout.c, and "none" skills inherit it as it is), nor restrictive's, whose allow-list
 * kills them already. The sockets-* profiles are what permissive adds to the worker's filter, for
 * the skills that inherit it: this too. */
bool seccomp_profile_enosys_above_max(SeccompProfile p) {
        return p == SECCOMP_PROFILE_PERMISSIVE || p == SECCOMP_PROFILE_PERMISSIVE_NET ||
               p == SECCOMP_PROFILE_SOCKETS_LOCAL || p == SECCOMP_PROFILE_SOCKETS_NET;
}

/* Where the search for the highest number stops, below the range's end. */
#define SECCOMP_SCAN_END (1U << 20)

/* arm numbers its private calls (cacheflush, set_tls, …) from 0xf0001, far above its table: taken
 * for the highest number, they would leave every new call below the range. The range stops
 * below them instead, and they go to libseccomp's program as they did. */
uint32_t seccomp_unknown_end(uint32_t arch) {
        if (arch == SCMP_ARCH_NATIVE)
                arch = seccomp_arch_native();
        return arch == SCMP_ARCH_ARM ? SECCOMP_UNKNOWN_END_ARM : SECCOMP_UNKNOWN_END;
}

int seccomp_syscall_max(uint32_t arch) {
        static uint32_t cached_arch;
        static int cached = -1;
        int max = -1;

        if (arch == SCMP_ARCH_NATIVE)
                arch = seccomp_arch_native();
        if (cached >= 0 && cached_arch == arch)
                return cached;
        /* libseccomp 2.5 has no way to list an arch's table: ask for every number (≈ 0.2 s) */
        uint32_t end = MIN(SECCOMP_SCAN_END, seccomp_unknown_end(arch));
        for (uint32_t n = 0; n < end; n++) {
                char *name = seccomp_syscall_resolve_num_arch(arch, (int) n);
                if (name)
                        max = (int) n;
                free(name);
        }
        if (max < 0)
                return -ENOENT;
        cached_arch = arch;
        cached = max;
        return max;
}

/* Where the ENOSYS range starts: above the reviewed-last call, or above libseccomp's highest if
 * that is lower. A negative reviewed_last (__NR_SCMP_ERROR, a pseudo number) is a call this
 * libseccomp does not know, or not for this arch: its highest is older still. */
int seccomp_reviewed_max(int libseccomp_max, int reviewed_last) {
        return reviewed_last >= 0 ? MIN(libseccomp_max, reviewed_last) : libseccomp_max;
}

int seccomp_syscall_reviewed_max(uint32_t arch) {
        if (arch == SCMP_ARCH_NATIVE)
                arch = seccomp_arch_native();
        int max = seccomp_syscall_max(arch);
        if (max < 0)
                return max;
        /* by name: mips, alpha and others number the same call differently */
        return seccomp_reviewed_max(max, seccomp_syscall_resolve_name_arch(arch, SECCOMP_REVIEWED_LAST));
}

/* libseccomp's program for one arch opens with "A = arch; if A == ARCH go on, else to the
 * bad-arch action", and its own next instruction loads what it compares. Insert 'block' right
 * after that check, so that it stays first. Classic BPF jumps only forward: the one jump that
 * crosses the insertion is the arch check's to the bad-arch action (jf, 8 bits). Anything else
 * than that shape is refused (-EBADMSG), not patched. */
static int insert_after_arch_check(struct sock_filter **prog, size_t *len, const struct sock_filter *block, size_t n) {
        const size_t at = 2;
        struct sock_filter *f = *prog;

        if (*len <= at || f[0].code != (BPF_LD | BPF_W | BPF_ABS) || f[0].k != offsetof(struct seccomp_data, arch) ||
            f[1].code != (BPF_JMP | BPF_JEQ | BPF_K) || f[1].jt != 0 || at + f[1].jf >= *len)
                return -EBADMSG;
        if (f[1].jf + n > UINT8_MAX)
                return -E2BIG;

        f = realloc(f, (*len + n) * sizeof(*f));
        if (!f)
                return -ENOMEM;
        memmove(f + at + n, f + at, (*len - at) * sizeof(*f));
        memcpy(f + at, block, n * sizeof(*f));
        f[1].jf += n;
        *prog = f;
        *len += n;
        return 0;
}

/*     A = nr; if A > max and A < end: return ENOSYS
 * and then libseccomp's program as it was. */
static int insert_enosys_above(struct sock_filter **prog, size_t *len, uint32_t max, uint32_t end) {
        const struct sock_filter check[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max, 0, 2),
                BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, end, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS)),
        };
        return insert_after_arch_check(prog, len, check, ELEMENTSOF(check));
}

/* The profiles that rule personality(2): all but the sockets-* remainders. */
static bool profile_rules_personality(SeccompProfile p) {
        return p != SECCOMP_PROFILE_SOCKETS_LOCAL && p != SECCOMP_PROFILE_SOCKETS_NET;
}

/*     A = nr; if A == personality: A = the low 32 bits of its argument; if A == ~0: allow
 * and then libseccomp's program as it was. The kernel reads the argument as an unsigned int,
 * so whatever the upper bits say, that is the query, which changes nothing; libseccomp's rules
 * compare all 64 bits and would refuse personality(~0UL) (restrictive: kill it). The argument's
 * low half is the first word on a little-endian arch, the second on a big-endian one. */
static int insert_personality_query(struct sock_filter **prog, size_t *len, uint32_t arch) {
        int nr = seccomp_syscall_resolve_name_arch(arch, "personality");
        if (nr < 0)
                return 0; /* no such call on this arch: nothing to let through */
        uint32_t low = offsetof(struct seccomp_data, args[0]) + (arch & __AUDIT_ARCH_LE ? 0 : sizeof(uint32_t));
        const struct sock_filter check[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) nr, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, low),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffU, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
        };
        return insert_after_arch_check(prog, len, check, ELEMENTSOF(check));
}

/* Uses nothing of util.c but its header, so the build-time generator links just this file. */
int seccomp_profile_compile_arch(SeccompProfile p, uint32_t arch, struct sock_filter **ret, size_t *ret_len) {
        _cleanup_free_ struct sock_filter *prog = NULL;
        scmp_filter_ctx ctx = NULL;
        size_t len = 0;
        int max = -1, r;

        if ((unsigned) p >= _SECCOMP_PROFILE_MAX)
                return -EINVAL;
        /* one arch from here on, never SCMP_ARCH_NATIVE's 0: the rules that depend on it ask */
        if (arch == SCMP_ARCH_NATIVE)
                arch = seccomp_arch_native();
        if (seccomp_profile_enosys_above_max(p)) {
                max = seccomp_syscall_reviewed_max(arch);
                if (max < 0)
                        return max;
        }

        r = build(p, arch, &ctx);
        if (r < 0)
                return r;
        r = export(ctx, &prog, &len);
        seccomp_release(ctx);
        if (r < 0)
                return r;
        /* first, so that the ENOSYS range ends up ahead of it, where seccomp-gen looks for it */
        if (profile_rules_personality(p)) {
                r = insert_personality_query(&prog, &len, arch);
                if (r < 0)
                        return r;
        }
        if (max >= 0) {
                r = insert_enosys_above(&prog, &len, (uint32_t) max, seccomp_unknown_end(arch));
                if (r < 0)
                        return r;
        }

        *ret = steal_pointer(&prog);
        *ret_len = len;
        return 0;
}

int seccomp_profile_compile(SeccompProfile p, struct sock_filter **ret, size_t *ret_len) {
        return seccomp_profile_compile_arch(p, SCMP_ARCH_NATIVE, ret, ret_len);
}
