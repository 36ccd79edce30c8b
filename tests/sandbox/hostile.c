/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hostile skill: each argument names one attempt, and one line per attempt says what happened:
 *   "<attempt> ok[ detail]"  or  "<attempt> denied errno=<ENAME>"
 * Attempts the sandbox answers with a kill (seccomp restrictive, foreign-arch syscalls) end the
 * process with SIGSYS instead; the caller then sees no line for it. Exit status 0 otherwise.
 *
 *   read:PATH write:PATH exec:PATH   open/read, create/write, fork+execve PATH (child's status)
 *   connect:PORT bind:PORT udp       TCP to 127.0.0.1:PORT, bind 127.0.0.1:PORT, a UDP socket
 *   netlink packet                   socket(AF_NETLINK, NETLINK_ROUTE), socket(AF_PACKET)
 *   abstract-unix:NAME               connect to the abstract unix socket "@NAME"
 *   unix:PATH                        connect to the unix socket at PATH
 *   unix-dgram:PATH                  a datagram to the unix socket at PATH, sent from one end of a
 *                                    socketpair(AF_UNIX, SOCK_DGRAM): no socket(2) needed
 *   socketpair-unix socketpair-inet  socketpair(AF_UNIX or AF_INET, SOCK_STREAM)
 *   ifconf                           ioctl(SIOCGIFCONF) on a socketpair end: the host's interfaces
 *                                    and addresses, without socket(2) or the network
 *   kill:PID kill-parent             kill(PID or parent, 0)
 *   pidfd-signal:PID                 pidfd_open(PID), then pidfd_send_signal(0) through it
 *   ptrace-parent ptrace:PID         PTRACE_ATTACH to the parent, to PID
 *   environ:PID|parent               read /proc/PID/environ
 *   mounts:PID|parent                read /proc/PID/mounts (its mount table, what /etc/mtab shows)
 *   mem:PID                          open /proc/PID/mem (where the kernel checks ptrace access)
 *   fd-open:PID/N                    open /proc/PID/fd/N write-only, closed at once: another
 *                                    process' pipe (its stdin, or its output to its worker)
 *   list:PATH                        read a directory: "ok entries=N" (besides . and ..)
 *   isatty:PATH                      open PATH, then isatty(3), as stdio asks of every stream:
 *                                    the driver's answer for what is no terminal (ENOTTY, EINVAL
 *                                    from the random devices), or EACCES from the sandbox
 *   listen-abstract:NAME             listen on the abstract unix socket "@NAME" until exit (another
 *                                    run's socket, for abstract-unix:NAME)
 *   mount unshare-user unshare-net clone-newuser clone3 bpf perf keyctl io_uring userfaultfd
 *   sysv-shm                         shmget(IPC_PRIVATE) (removed again at once when it works)
 *   mqueue                           mq_open(O_CREAT) of a POSIX message queue (unlinked again)
 *   personality personality-query    personality(READ_IMPLIES_EXEC), personality(0xffffffff)
 *   fsetxattr fremovexattr           on a file of the work dir, with an empty name: the kernel's
 *                                    ERANGE once it gets the call (as cp -a and install make it)
 *   btrfs:REQ btrfs:REQ-high         ioctl(2) on the work dir: REQ snap, snap-v2, setflags, subvol
 *                                    (BTRFS_IOC_SNAP_CREATE, _SNAP_CREATE_V2, _SUBVOL_SETFLAGS,
 *                                    _SUBVOL_CREATE) or ficlone, with arguments btrfs refuses too
 *                                    (source fd -1, a name with a slash); -high: the upper 32 bits
 *                                    of the request set, which the kernel ignores. ENOTTY (EBADF for
 *                                    ficlone) is the file system's answer, EPERM the filter's
 *   personality-long personality-query-long   the same with the upper 32 bits of the unsigned long
 *                                    set, which the kernel ignores: ~0UL is the query too
 *   prlimit-parent prlimit-child     RLIMIT_NOFILE of the parent, of a child of ours: read, then
 *                                    set to what was read (no change, but the permission is used)
 *   setaffinity-parent setaffinity-child   sched_setaffinity(PID) to the CPUs we have ourselves
 *   setpriority-user setpriority-pgrp      setpriority(PRIO_USER or PRIO_PGRP, 0) to our own nice
 *                                    (setpriority-user answers EDOM as root: every root process)
 *   ioprio-child                     ioprio_set(IOPRIO_WHO_PROCESS, a child of ours), best-effort 4
 *   rlimit-self setaffinity-self nice-self  positive controls: prlimit(0)/setrlimit, sched_setaffinity(0),
 *                                    setpriority(PRIO_PROCESS, 0); rlimit-self also says whether the
 *                                    sandbox bounded RLIMIT_NOFILE (hard<=256) and RLIMIT_CORE (core=0)
 *   rlimit-cpu                       RLIMIT_CPU, soft/hard seconds ("cpu=unlimited" if either is)
 *   int80 x32                        getpid through the i386 (int 0x80) and x32 syscall ABIs
 *   aio                              io_setup(2) of a one-event context (destroyed again at once):
 *                                    the kernel's AIO, whose contexts count against the host's
 *                                    fs.aio-max-nr
 *   listmount lsm-self               listmount(2) of the mounts below the root (the mount table,
 *                                    "ok mounts=N"), lsm_get_self_attr(2) of LSM_ATTR_CURRENT (its
 *                                    size only): what /proc/self/mountinfo and /proc/self/attr show
 *   above-max                        syscall SECCOMP_BPF_SYSCALL_MAX + 1, the first number
 *                                    permissive does not rule by name, all arguments 0
 *   setuid-exec:PATH                 run PATH (a setuid-root copy of this program) "euid"
 *   fd:N                             is fd N open?
 *   session                          "ok leader" when this process leads its session, which
 *                                    then has no controlling terminal but one it opens itself
 *   caps                             capability sets, no_new_privs, seccomp mode, securebits
 *   status                           NoNewPrivs/Seccomp/Cap* lines of /proc/self/status
 *   uid euid                         ids ("euid" prints just the number: for setuid-exec)
 *   fork-bomb alloc:MB fill:MB touch:N spin sleep:MS    for the limit tests (touch: N empty
 *                                    files in the work dir)
 *   falloc-keep:MB falloc-punch      fallocate(2) of MB past the end of a file of the work dir
 *                                    unlinked first (FALLOC_FL_KEEP_SIZE: blocks, no size); a hole
 *                                    punched in a file of one block (PUNCH_HOLE|KEEP_SIZE)
 *   falloc-insert:MB                 FALLOC_FL_INSERT_RANGE of MB at the start of an unlinked file
 *                                    of one block: its size grows by MB, unchecked, and a mapping
 *                                    of it could then allocate blocks up to there ("ok size=N")
 *   falloc-mode:MODE                 fallocate(2) of MODE (0x11: ZERO_RANGE|KEEP_SIZE) on fd -1:
 *                                    the seccomp filter's answer (EOPNOTSUPP) before the kernel's
 *                                    EBADF, whatever modes the work dir's file system has
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/btrfs.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <mqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "seccomp-bpf.h" /* SECCOMP_BPF_SYSCALL_MAX */

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
/* Linux 6.8: the number every architecture but alpha, ia64 and mips gives them */
#ifndef SYS_listmount
#define SYS_listmount 458
#endif
#ifndef SYS_lsm_get_self_attr
#define SYS_lsm_get_self_attr 459
#endif
#ifndef FICLONE
#define FICLONE _IOW(0x94, 9, int) /* <linux/fs.h>, which clashes with <sys/mount.h> */
#endif
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_BE_4 ((2 << 13) | 4) /* IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4): nice 0's default */

static const char *attempt;

static const char *errname(int e) {
        const char *n = strerrorname_np(e);
        static char buf[32];
        if (n)
                return n;
        snprintf(buf, sizeof(buf), "%d", e);
        return buf;
}

/* r < 0: denied with errno; else ok. */
static void report(long r, const char *detail) {
        if (r < 0)
                printf("%s denied errno=%s\n", attempt, errname(errno));
        else if (detail && *detail)
                printf("%s ok %s\n", attempt, detail);
        else
                printf("%s ok\n", attempt);
}

static long do_read(const char *path) {
        char c;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -1;
        long n = read(fd, &c, 1);
        int e = errno;
        close(fd);
        errno = e;
        return n < 0 ? -1 : 0;
}

static long do_write(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -1;
        long n = write(fd, "x", 1);
        int e = errno;
        close(fd);
        errno = e;
        return n < 0 ? -1 : 0;
}

static void do_exec(const char *path) {
        char detail[64];
        int st;
        pid_t pid = fork();
        if (pid < 0)
                return report(-1, NULL);
        if (pid == 0) {
                execl(path, path, (char *) NULL);
                _exit(errno == EACCES ? 126 : 127);
        }
        if (waitpid(pid, &st, 0) < 0)
                return report(-1, NULL);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 126) {
                errno = EACCES;
                return report(-1, NULL);
        }
        snprintf(detail, sizeof(detail), "status=%d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        report(0, detail);
}

static long inet_socket(int type, uint16_t port, bool do_bind, bool do_connect) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
        long r = 0;
        if (fd < 0)
                return -1;
        if (do_bind)
                r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        if (r >= 0 && do_connect)
                r = connect(fd, (struct sockaddr *) &sa, sizeof(sa));
        int e = errno;
        close(fd);
        errno = e;
        return r;
}

/* connect to a unix socket by path: landlock (before ABI 9) does not rule this, seccomp must */
static long do_unix_path(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        long r = connect(fd, (struct sockaddr *) &sa, sizeof(sa));
        int e = errno;
        close(fd);
        errno = e;
        return r;
}

/* sendto() with an address: a datagram socket of a pair is not bound to its peer */
static long do_unix_dgram(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int sv[2];
        if (strlen(path) >= sizeof(sa.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(sa.sun_path, path);
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        long r = sendto(sv[0], "x", 1, 0, (struct sockaddr *) &sa, sizeof(sa));
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        errno = e;
        return r;
}

static long do_ifconf(void) {
        char buf[4096];
        struct ifconf ifc = { .ifc_len = sizeof(buf), .ifc_buf = buf };
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        long r = ioctl(sv[0], SIOCGIFCONF, &ifc);
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        errno = e;
        return r;
}

static long do_btrfs(const char *req) {
        static const struct {
                const char *name;
                unsigned long request;
        } requests[] = {
                { "snap", BTRFS_IOC_SNAP_CREATE },          { "snap-v2", BTRFS_IOC_SNAP_CREATE_V2 },
                { "setflags", BTRFS_IOC_SUBVOL_SETFLAGS },  { "subvol", BTRFS_IOC_SUBVOL_CREATE },
                { "ficlone", FICLONE },
        };
        union {
                char bytes[4096];
                int64_t fd;
        } args = { .fd = -1 };
        unsigned long request = 0;
        bool high = false;

        for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
                size_t n = strlen(requests[i].name);
                if (strncmp(req, requests[i].name, n) == 0 && (req[n] == 0 || strcmp(req + n, "-high") == 0)) {
                        request = requests[i].request;
                        high = req[n] != 0;
                        break;
                }
        }
        if (request == 0) {
                errno = EINVAL;
                return -1;
        }
#if ULONG_MAX > UINT32_MAX
        if (high)
                request |= ~0UL << 32; /* a 32-bit long has no upper half to set */
#endif
        strcpy(args.bytes + offsetof(struct btrfs_ioctl_vol_args, name), "a/b");
        strcpy(args.bytes + offsetof(struct btrfs_ioctl_vol_args_v2, name), "a/b");
        int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        long r = (request & 0xffffffffUL) == FICLONE ? ioctl(fd, request, -1) : ioctl(fd, request, &args);
        int e = errno;
        close(fd);
        errno = e;
        return r;
}

static long do_socketpair(int family) {
        int sv[2];
        if (socketpair(family, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        close(sv[0]);
        close(sv[1]);
        return 0;
}

/* The abstract address @name, and a stream socket to use it with: the fd, or -1 (errno set). */
static int abstract_socket(const char *name, struct sockaddr_un *ret_sa, socklen_t *ret_len) {
        size_t n = strlen(name);

        *ret_sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        if (n + 1 > sizeof(ret_sa->sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(ret_sa->sun_path + 1, name, n);
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n);
        return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static long do_abstract(const char *name) {
        struct sockaddr_un sa;
        socklen_t len;
        int fd = abstract_socket(name, &sa, &len);
        if (fd < 0)
                return -1;
        long r = connect(fd, (struct sockaddr *) &sa, len);
        int e = errno;
        close(fd);
        errno = e;
        return r;
}

/* The socket stays open until the process exits: another run's, for abstract-unix:NAME. */
static long do_listen_abstract(const char *name) {
        struct sockaddr_un sa;
        socklen_t len;
        int fd = abstract_socket(name, &sa, &len);
        if (fd < 0)
                return -1;
        if (bind(fd, (struct sockaddr *) &sa, len) < 0 ||
            listen(fd, 4) < 0) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return 0;
}

static long do_pidfd_signal(pid_t pid) {
        long fd = syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return -1;
        long r = syscall(SYS_pidfd_send_signal, (int) fd, 0, NULL, 0);
        int e = errno;
        close((int) fd);
        errno = e;
        return r;
}

static long do_listmount(char *detail, size_t size) {
        /* struct mnt_id_req (<linux/mount.h> of Linux 6.8): size, spare, mnt_id, param */
        struct { uint32_t size, spare; uint64_t mnt_id, param; } req = { .size = 24, .mnt_id = UINT64_MAX /* LSMT_ROOT */ };
        uint64_t ids[256];
        long n = syscall(SYS_listmount, &req, ids, 256, 0);
        if (n >= 0)
                snprintf(detail, size, "mounts=%ld", n);
        return n;
}

static long do_lsm_self(void) {
        uint32_t size = 0;
        long r = syscall(SYS_lsm_get_self_attr, 100 /* LSM_ATTR_CURRENT */, NULL, &size, 0);
        /* the size it asks for, where an LSM answers: the kernel took the call */
        return r < 0 && errno == E2BIG ? 0 : r;
}

static long do_ptrace(pid_t pid) {
        long r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
        if (r >= 0)
                ptrace(PTRACE_DETACH, pid, NULL, NULL);
        return r;
}

/* open(2) alone: for /proc/PID/mem and /proc/PID/fd/N that is where the kernel decides */
static long do_open(const char *path, int flags) {
        int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0)
                close(fd);
        return fd;
}

/* Count the entries: their names are what another run's directory gives away. */
static void do_list(const char *path) {
        char detail[32];
        long n = 0;
        DIR *d = opendir(path);
        if (!d)
                return report(-1, NULL);
        for (struct dirent *de; (de = readdir(d));)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        snprintf(detail, sizeof(detail), "entries=%ld", n);
        report(0, detail);
}

/* read /proc/WHO/NAME, WHO a pid or "parent" */
static long do_proc_read(const char *who, const char *name) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/%s", strcmp(who, "parent") == 0 ? (long) getppid() : atol(who), name);
        return do_read(path);
}

static long do_isatty(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -1;
        int r = isatty(fd), e = errno;
        close(fd);
        errno = e;
        return r ? 0 : -1;
}

static long do_int80(void) {
#if defined(__x86_64__)
        long ret;
        /* i386 getpid (20) through the 32-bit entry point */
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "rcx", "r11", "r8", "r9", "r10");
        if (ret < 0) {
                errno = (int) -ret;
                return -1;
        }
        return 0;
#else
        errno = ENOSYS;
        return -1;
#endif
}

static long do_x32(void) {
#if defined(__x86_64__)
        return syscall(0x40000000L | 39 /* getpid */);
#else
        errno = ENOSYS;
        return -1;
#endif
}

static void do_setuid_exec(const char *path) {
        int p[2];
        char buf[64] = "";
        int st;

        if (pipe2(p, O_CLOEXEC) < 0)
                return report(-1, NULL);
        pid_t pid = fork();
        if (pid < 0)
                return report(-1, NULL);
        if (pid == 0) {
                dup2(p[1], 1);
                execl(path, path, "euid", (char *) NULL);
                _exit(127);
        }
        close(p[1]);
        ssize_t n = read(p[0], buf, sizeof(buf) - 1);
        close(p[0]);
        waitpid(pid, &st, 0);
        if (n <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                errno = EACCES;
                return report(-1, NULL);
        }
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        char detail[80];
        snprintf(detail, sizeof(detail), "euid=%s", buf);
        report(0, detail);
}

static void do_caps(void) {
        struct { uint32_t version; int pid; } hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
        struct { uint32_t eff, prm, inh; } data[2] = {};
        uint64_t bnd = 0, amb = 0;
        char detail[256];

        if (syscall(SYS_capget, &hdr, data) < 0)
                return report(-1, NULL);
        for (int c = 0; c < 64; c++) {
                int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
                if (r < 0)
                        break;
                if (r > 0)
                        bnd |= UINT64_C(1) << c;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0)
                        amb |= UINT64_C(1) << c;
        }
        snprintf(detail, sizeof(detail),
                 "eff=%llx prm=%llx inh=%llx bnd=%llx amb=%llx nnp=%d seccomp=%d securebits=0x%x dumpable=%d",
                 (unsigned long long) data[0].eff | (unsigned long long) data[1].eff << 32,
                 (unsigned long long) data[0].prm | (unsigned long long) data[1].prm << 32,
                 (unsigned long long) data[0].inh | (unsigned long long) data[1].inh << 32, (unsigned long long) bnd,
                 (unsigned long long) amb, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_SECCOMP, 0, 0, 0, 0),
                 prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        report(0, detail);
}

static void do_status(void) {
        char buf[8192], detail[512] = "";
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return report(-1, NULL);
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return report(-1, NULL);
        buf[n] = 0;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                if (strncmp(line, "NoNewPrivs:", 11) && strncmp(line, "Seccomp:", 8) && strncmp(line, "CapEff:", 7) &&
                    strncmp(line, "CapBnd:", 7) && strncmp(line, "CapPrm:", 7) && strncmp(line, "CapAmb:", 7) &&
                    strncmp(line, "Uid:", 4))
                        continue;
                for (char *t = line; *t; t++)
                        if (*t == '\t')
                                *t = ' ';
                strncat(detail, line, sizeof(detail) - strlen(detail) - 3);
                strcat(detail, "; ");
        }
        report(0, detail);
}

/* A child of ours that waits to be killed: a process of our uid that is not us. It dies with us
 * when an attempt gets us killed (SIGSYS) before we can end it, and holds no pipe of the caller's
 * open meanwhile. */
static pid_t waiting_child(void) {
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid == 0) {
                close(1);
                close(2);
                if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                        _exit(0);
                pause();
                _exit(0);
        }
        return pid;
}

static void end_child(pid_t pid) {
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
}

/* try() on a waiting child */
static void on_child(long (*try)(pid_t pid)) {
        pid_t pid = waiting_child();
        report(pid < 0 ? -1 : try(pid), NULL);
        end_child(pid);
}

/* Another process' RLIMIT_NOFILE set to what it is: the permission, without the harm. */
static long do_prlimit(pid_t pid) {
        struct rlimit rl;
        if (prlimit(pid, RLIMIT_NOFILE, NULL, &rl) < 0)
                return -1;
        return prlimit(pid, RLIMIT_NOFILE, &rl, NULL);
}

/* Another process' CPUs set to ours. */
static long do_setaffinity(pid_t pid) {
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) < 0)
                return -1;
        return sched_setaffinity(pid, sizeof(set), &set);
}

static long do_ioprio(pid_t pid) {
        return syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, pid, IOPRIO_BE_4);
}

/* Our own nice value, given to everything which/who names. Never as root outside a sandbox: that
 * would renice every root process and kernel thread. */
static long do_setpriority(int which, int who) {
        if (which == PRIO_USER && geteuid() == 0) {
                errno = EDOM;
                return -1;
        }
        errno = 0;
        int nice = getpriority(PRIO_PROCESS, 0);
        if (nice == -1 && errno)
                return -1;
        return setpriority(which, who, nice);
}

static void do_rlimit_self(void) {
        struct rlimit rl, given_core, core = { 0, 0 };
        char detail[64];
        if (getrlimit(RLIMIT_CORE, &given_core) < 0 || prlimit(0, RLIMIT_NOFILE, NULL, &rl) < 0)
                return report(-1, NULL);
        /* what the sandbox set: no core dumps, at most SANDBOX_NOFILE (256) files */
        bool bounded = rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= 256;
        if (rl.rlim_cur > 64)
                rl.rlim_cur = 64;
        if (prlimit(0, RLIMIT_NOFILE, &rl, NULL) < 0 || setrlimit(RLIMIT_CORE, &core) < 0 ||
            getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return report(-1, NULL);
        snprintf(detail, sizeof(detail), "nofile=%llu%s core=%s", (unsigned long long) rl.rlim_cur,
                 bounded ? " hard<=256" : "", given_core.rlim_max == 0 ? "0" : "allowed");
        report(0, detail);
}

/* RLIMIT_CPU as the sandbox left it: soft/hard seconds, or "unlimited". */
static void do_rlimit_cpu(void) {
        struct rlimit rl;
        char detail[64];
        if (getrlimit(RLIMIT_CPU, &rl) < 0)
                return report(-1, NULL);
        if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_max == RLIM_INFINITY)
                return report(0, "cpu=unlimited");
        snprintf(detail, sizeof(detail), "cpu=%llu/%llu", (unsigned long long) rl.rlim_cur,
                 (unsigned long long) rl.rlim_max);
        report(0, detail);
}

static void do_fork_bomb(void) {
        /* Children wait; the parent counts how many it got, then kills and reaps them. */
        static pid_t pids[4096];
        long n = 0;
        int e = 0;
        for (; n < (long) (sizeof(pids) / sizeof(pids[0])); n++) {
                pid_t pid = fork();
                if (pid < 0) {
                        e = errno;
                        break;
                }
                if (pid == 0) {
                        pause();
                        _exit(0);
                }
                pids[n] = pid;
        }
        for (long i = 0; i < n; i++)
                kill(pids[i], SIGKILL);
        for (long i = 0; i < n; i++)
                waitpid(pids[i], NULL, 0);
        char detail[64];
        snprintf(detail, sizeof(detail), "forked=%ld errno=%s", n, e ? errname(e) : "0");
        report(0, detail);
}

/* The blocks stay reachable from here: clang drops a malloc() and memset() of a block that
 * nothing reads, and then nothing is allocated at all. */
static void *volatile alloc_kept;

static void do_alloc(long mb) {
        long done = 0;
        for (; done < mb; done++) {
                char *p = malloc(1 << 20);
                if (!p)
                        break;
                memset(p, 1, 1 << 20);
                *(void **)p = alloc_kept;
                alloc_kept = p;
        }
        char detail[64];
        snprintf(detail, sizeof(detail), "mb=%ld", done);
        report(done == mb ? 0 : -1, done == mb ? detail : NULL);
}

/* n empty files in the work dir: no block allocated, but an inode each */
static void do_touch(long n) {
        long made = 0;
        char name[32], detail[64];
        int e = 0;

        for (; made < n; made++) {
                snprintf(name, sizeof(name), "empty-%ld", made);
                int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0) {
                        e = errno;
                        break;
                }
                close(fd);
        }
        snprintf(detail, sizeof(detail), "files=%ld", made);
        errno = e;
        report(made == n ? 0 : -1, made == n ? detail : NULL);
}

static void do_fill(long mb) {
        static char block[1 << 16];
        long bytes = 0;
        int fd = open("fill.bin", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return report(-1, NULL);
        signal(SIGXFSZ, SIG_IGN); /* get EFBIG instead of dying */
        memset(block, 'x', sizeof(block));
        while (bytes < mb << 20) {
                ssize_t n = write(fd, block, sizeof(block));
                if (n <= 0)
                        break;
                bytes += n;
        }
        int e = errno;
        close(fd);
        char detail[64];
        snprintf(detail, sizeof(detail), "bytes=%ld", bytes);
        if (bytes < mb << 20) {
                errno = e;
                return report(-1, NULL);
        }
        report(0, detail);
}

/* Blocks past the end of a file nobody sees: unlinked, so that no walk of the work dir finds
 * it, and its size stays 0 for RLIMIT_FSIZE to compare. */
static void do_falloc_keep(long mb) {
        int fd = open("falloc.bin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return report(-1, NULL);
        (void) unlink("falloc.bin");
        long r = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t) mb << 20);
        int e = errno;
        close(fd);
        errno = e;
        report(r, NULL);
}

static void do_falloc_insert(long mb) {
        static const char block[4096];
        char detail[64];
        struct stat st;
        int fd = open("insert.bin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return report(-1, NULL);
        (void) unlink("insert.bin");
        long r = write(fd, block, sizeof(block)) == (ssize_t) sizeof(block) ? 0 : -1;
        if (r == 0)
                r = fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, (off_t) mb << 20);
        if (r == 0)
                r = fstat(fd, &st);
        int e = errno;
        close(fd);
        errno = e;
        if (r == 0)
                snprintf(detail, sizeof(detail), "size=%lld", (long long) st.st_size);
        report(r, r == 0 ? detail : NULL);
}

static void do_falloc_punch(void) {
        static const char block[4096];
        int fd = open("punch.bin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return report(-1, NULL);
        long r = write(fd, block, sizeof(block)) == (ssize_t) sizeof(block) ? 0 : -1;
        if (r == 0)
                r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, sizeof(block));
        int e = errno;
        close(fd);
        (void) unlink("punch.bin");
        errno = e;
        report(r, NULL);
}

static void do_falloc_mode(const char *mode) {
        report(fallocate(-1, (int) strtol(mode, NULL, 0), 0, 4096), NULL);
}

static void one(const char *a) {
        const char *v = strchr(a, ':');
        char detail[64], path[64];
        v = v ? v + 1 : "";
        attempt = a;

        if (!strncmp(a, "read:", 5))
                report(do_read(v), NULL);
        else if (!strncmp(a, "write:", 6))
                report(do_write(v), NULL);
        else if (!strncmp(a, "exec:", 5))
                do_exec(v);
        else if (!strncmp(a, "connect:", 8))
                report(inet_socket(SOCK_STREAM, (uint16_t) atoi(v), false, true), NULL);
        else if (!strncmp(a, "bind:", 5))
                report(inet_socket(SOCK_STREAM, (uint16_t) atoi(v), true, false), NULL);
        else if (!strcmp(a, "udp"))
                report(inet_socket(SOCK_DGRAM, 0, false, false), NULL);
        else if (!strcmp(a, "netlink")) {
                int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
                report(fd, NULL);
                if (fd >= 0)
                        close(fd);
        } else if (!strcmp(a, "packet")) {
                int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
                report(fd, NULL);
                if (fd >= 0)
                        close(fd);
        } else if (!strncmp(a, "abstract-unix:", 14))
                report(do_abstract(v), NULL);
        else if (!strncmp(a, "unix:", 5))
                report(do_unix_path(v), NULL);
        else if (!strncmp(a, "unix-dgram:", 11))
                report(do_unix_dgram(v), NULL);
        else if (!strcmp(a, "socketpair-unix"))
                report(do_socketpair(AF_UNIX), NULL);
        else if (!strcmp(a, "socketpair-inet"))
                report(do_socketpair(AF_INET), NULL);
        else if (!strcmp(a, "ifconf"))
                report(do_ifconf(), NULL);
        else if (!strncmp(a, "btrfs:", 6))
                report(do_btrfs(v), NULL);
        else if (!strncmp(a, "kill:", 5))
                report(kill((pid_t) atol(v), 0), NULL);
        else if (!strcmp(a, "kill-parent"))
                report(kill(getppid(), 0), NULL);
        else if (!strncmp(a, "pidfd-signal:", 13))
                report(do_pidfd_signal((pid_t) atol(v)), NULL);
        else if (!strncmp(a, "ptrace:", 7))
                report(do_ptrace((pid_t) atol(v)), NULL);
        else if (!strncmp(a, "mem:", 4)) {
                snprintf(path, sizeof(path), "/proc/%ld/mem", atol(v));
                report(do_open(path, O_RDONLY), NULL);
        } else if (!strncmp(a, "fd-open:", 8)) {
                const char *n = strchr(v, '/');
                snprintf(path, sizeof(path), "/proc/%ld/fd/%ld", atol(v), n ? atol(n + 1) : -1L);
                report(do_open(path, O_WRONLY | O_NONBLOCK), NULL);
        } else if (!strncmp(a, "list:", 5))
                do_list(v);
        else if (!strncmp(a, "listen-abstract:", 16))
                report(do_listen_abstract(v), NULL);
        else if (!strcmp(a, "ptrace-parent")) {
                long r = ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);
                report(r, NULL);
                if (r >= 0)
                        ptrace(PTRACE_DETACH, getppid(), NULL, NULL);
        } else if (!strncmp(a, "environ:", 8))
                report(do_proc_read(v, "environ"), NULL);
        else if (!strncmp(a, "mounts:", 7))
                report(do_proc_read(v, "mounts"), NULL);
        else if (!strncmp(a, "isatty:", 7))
                report(do_isatty(v), NULL);
        else if (!strcmp(a, "mount"))
                report(mount("none", "/tmp", "tmpfs", 0, NULL), NULL);
        else if (!strcmp(a, "unshare-user"))
                report(unshare(CLONE_NEWUSER), NULL);
        else if (!strcmp(a, "unshare-net"))
                report(unshare(CLONE_NEWNET), NULL);
        else if (!strcmp(a, "clone-newuser")) {
                long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
                if (pid == 0)
                        _exit(0);
                if (pid > 0)
                        waitpid((pid_t) pid, NULL, 0);
                report(pid, NULL);
        } else if (!strcmp(a, "clone3")) {
                struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } args = {
                        .exit_signal = SIGCHLD,
                };
                long pid = syscall(__NR_clone3, &args, sizeof(args));
                if (pid == 0)
                        _exit(0);
                if (pid > 0)
                        waitpid((pid_t) pid, NULL, 0);
                report(pid, NULL);
        } else if (!strcmp(a, "pkey")) {
                /* without the CPU's protection keys the kernel answers ENOSPC (or EINVAL) */
#ifdef SYS_pkey_alloc
                long k = syscall(SYS_pkey_alloc, 0, 0);
                report(k, NULL);
                if (k >= 0)
                        (void) syscall(SYS_pkey_free, k);
#else
                errno = ENOSYS;
                report(-1, NULL);
#endif
        } else if (!strcmp(a, "bpf")) {
                union bpf_attr attr = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1 };
                long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
                report(fd, NULL);
                if (fd >= 0)
                        close((int) fd);
        } else if (!strcmp(a, "perf")) {
                struct perf_event_attr pa = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pa), .config = PERF_COUNT_SW_CPU_CLOCK,
                                              .disabled = 1, .exclude_kernel = 1, .exclude_hv = 1 };
                long fd = syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
                report(fd, NULL);
                if (fd >= 0)
                        close((int) fd);
        } else if (!strcmp(a, "keyctl"))
                report(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), NULL);
        else if (!strcmp(a, "sysv-shm")) {
                int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
                report(id, NULL);
                if (id >= 0)
                        (void) shmctl(id, IPC_RMID, NULL);
        } else if (!strcmp(a, "mqueue")) {
                char name[64];
                snprintf(name, sizeof(name), "/skillrun-hostile-%ld", (long) getpid());
                mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, NULL);
                report(q == (mqd_t) -1 ? -1 : 0, NULL);
                if (q != (mqd_t) -1) {
                        (void) mq_close(q);
                        (void) mq_unlink(name);
                }
        } else if (!strcmp(a, "aio")) {
                unsigned long ctx = 0;
                long r = syscall(SYS_io_setup, 1, &ctx);
                report(r, NULL);
                if (r >= 0)
                        (void) syscall(SYS_io_destroy, ctx);
        } else if (!strcmp(a, "io_uring")) {
                char params[120] = {};
                long fd = syscall(__NR_io_uring_setup, 1, params);
                report(fd, NULL);
                if (fd >= 0)
                        close((int) fd);
        } else if (!strcmp(a, "userfaultfd")) {
                long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
                report(fd, NULL);
                if (fd >= 0)
                        close((int) fd);
        } else if (!strcmp(a, "personality"))
                report(personality(READ_IMPLIES_EXEC), NULL);
        else if (!strcmp(a, "personality-query"))
                report(personality(0xffffffff), NULL);
        else if (!strcmp(a, "fsetxattr") || !strcmp(a, "fremovexattr")) {
                int fd = open("xattr", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                if (fd < 0)
                        report(-1, NULL);
                else {
                        report(a[1] == 's' ? fsetxattr(fd, "", "1", 1, 0) : fremovexattr(fd, ""), NULL);
                        close(fd);
                }
        } else if (!strcmp(a, "personality-long"))
                report(personality(~0xffffffffUL | READ_IMPLIES_EXEC), NULL);
        else if (!strcmp(a, "personality-query-long"))
                report(personality(~0UL), NULL);
        else if (!strcmp(a, "prlimit-parent"))
                report(do_prlimit(getppid()), NULL);
        else if (!strcmp(a, "prlimit-child"))
                on_child(do_prlimit);
        else if (!strcmp(a, "setaffinity-parent"))
                report(do_setaffinity(getppid()), NULL);
        else if (!strcmp(a, "setaffinity-child"))
                on_child(do_setaffinity);
        else if (!strcmp(a, "setaffinity-self"))
                report(do_setaffinity(0), NULL);
        else if (!strcmp(a, "setpriority-user"))
                report(do_setpriority(PRIO_USER, 0), NULL);
        else if (!strcmp(a, "setpriority-pgrp"))
                report(do_setpriority(PRIO_PGRP, 0), NULL);
        else if (!strcmp(a, "nice-self"))
                report(do_setpriority(PRIO_PROCESS, 0), NULL);
        else if (!strcmp(a, "ioprio-child"))
                on_child(do_ioprio);
        else if (!strcmp(a, "rlimit-self"))
                do_rlimit_self();
        else if (!strcmp(a, "rlimit-cpu"))
                do_rlimit_cpu();
        else if (!strcmp(a, "int80"))
                report(do_int80(), NULL);
        else if (!strcmp(a, "x32"))
                report(do_x32(), NULL);
        else if (!strcmp(a, "listmount")) {
                long r = do_listmount(detail, sizeof(detail));
                report(r, r >= 0 ? detail : NULL);
        } else if (!strcmp(a, "lsm-self"))
                report(do_lsm_self(), NULL);
        else if (!strcmp(a, "above-max"))
                report(syscall(SECCOMP_BPF_SYSCALL_MAX + 1, 0, 0, 0, 0, 0, 0), NULL);
        else if (!strncmp(a, "setuid-exec:", 12))
                do_setuid_exec(v);
        else if (!strncmp(a, "fd:", 3))
                report(fcntl(atoi(v), F_GETFD), NULL);
        else if (!strcmp(a, "session")) {
                pid_t sid = getsid(0);
                report(sid, sid == getpid() ? "leader" : "joined");
        } else if (!strcmp(a, "caps"))
                do_caps();
        else if (!strcmp(a, "status"))
                do_status();
        else if (!strcmp(a, "uid")) {
                snprintf(detail, sizeof(detail), "uid=%d euid=%d gid=%d groups=%d", (int) getuid(), (int) geteuid(),
                         (int) getgid(), getgroups(0, NULL));
                report(0, detail);
        } else if (!strcmp(a, "euid"))
                printf("%d\n", (int) geteuid());
        else if (!strcmp(a, "fork-bomb"))
                do_fork_bomb();
        else if (!strncmp(a, "alloc:", 6))
                do_alloc(atol(v));
        else if (!strncmp(a, "fill:", 5))
                do_fill(atol(v));
        else if (!strncmp(a, "touch:", 6))
                do_touch(atol(v));
        else if (!strncmp(a, "falloc-keep:", 12))
                do_falloc_keep(atol(v));
        else if (!strncmp(a, "falloc-insert:", 14))
                do_falloc_insert(atol(v));
        else if (!strcmp(a, "falloc-punch"))
                do_falloc_punch();
        else if (!strncmp(a, "falloc-mode:", 12))
                do_falloc_mode(v);
        else if (!strcmp(a, "spin"))
                /* a constant controlling expression: C11 (6.8.5p6) keeps the loop, no counter
                 * needed (gcc 16 warns about one that is only incremented) */
                for (;;)
                        ;
        else if (!strncmp(a, "sleep:", 6)) {
                struct timespec ts = { atol(v) / 1000, (atol(v) % 1000) * 1000000L };
                nanosleep(&ts, NULL);
                report(0, NULL);
        } else {
                printf("%s unknown\n", a);
        }
        fflush(stdout);
}

int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (int i = 1; i < argc; i++)
                one(argv[i]);
        return 0;
}
