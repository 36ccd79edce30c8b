/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's floor under permissive's /etc rules, for bench/policy-cost. Design §5 makes /etc
 * readable but for skillrun's configuration and the host's secrets, and landlock can only
 * allow: so every entry of /etc gets a rule of its own, and a rule needs an open fd. This does
 * only that, nothing any implementation could leave out: one O_PATH open and one
 * landlock_add_rule per entry, then landlock_restrict_self in a new process. No secret is
 * looked for, no other path allowed, no seccomp filter loaded: skillrun's permissive does all
 * of that besides. Prints the p50 of both parts in microseconds.
 *
 *   bench/landlock-floor [ROUNDS]
 *
 * Exit 77 when the kernel has no landlock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

/* ABI 1 is enough for a rule's cost; values are kernel ABI (linux/landlock.h). */
#define FS_EXECUTE (1ULL << 0)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_ABI1_ALL ((1ULL << 13) - 1)
#define RULE_PATH_BENEATH 1

struct ruleset_attr {
        uint64_t handled_access_fs;
};

struct path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

#define ENTRIES_MAX 4096

static uint64_t now_ns(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (uint64_t) t.tv_sec * 1000000000 + (uint64_t) t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* One ruleset allowing every entry of /etc, as permissive's walk would; the fds stay open (as
 * skillrun holds them) and are returned for the caller to close outside the timing. */
static int build(int *fds, size_t *n_fds, size_t *n_rules) {
        struct ruleset_attr attr = { .handled_access_fs = FS_ABI1_ALL };
        char buf[16384] __attribute__((aligned(8)));
        int rs, dfd;

        rs = (int) syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (rs < 0)
                return -errno;
        dfd = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                close(rs);
                return -errno;
        }
        *n_fds = *n_rules = 0;
        for (;;) {
                long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (long off = 0; off < n;) {
                        struct dirent64 *de = (struct dirent64 *) (buf + off);
                        off += de->d_reclen;
                        if (de->d_name[0] == '.' &&
                            (de->d_name[1] == 0 || (de->d_name[1] == '.' && de->d_name[2] == 0)))
                                continue;
                        if (*n_fds >= ENTRIES_MAX)
                                break;
                        int fd = openat(dfd, de->d_name, O_PATH | O_CLOEXEC);
                        if (fd < 0)
                                continue;
                        fds[(*n_fds)++] = fd;
                        /* file rights for a file; a directory's (or, through a symlink, maybe a
                         * file's) get directory rights, and file rights alone where refused */
                        bool dir = de->d_type != DT_REG && de->d_type != DT_CHR && de->d_type != DT_BLK &&
                                   de->d_type != DT_FIFO && de->d_type != DT_SOCK;
                        struct path_beneath_attr pb = { .allowed_access = FS_READ_FILE | (dir ? FS_READ_DIR : 0),
                                                        .parent_fd = fd };
                        if (syscall(__NR_landlock_add_rule, rs, RULE_PATH_BENEATH, &pb, 0) < 0 && errno == EINVAL && dir) {
                                pb.allowed_access = FS_READ_FILE;
                                if (syscall(__NR_landlock_add_rule, rs, RULE_PATH_BENEATH, &pb, 0) < 0)
                                        continue;
                        }
                        (*n_rules)++;
                }
        }
        close(dfd);
        return rs;
}

/* landlock_restrict_self in a new process, as a skill's: its duration, or 0 on failure. */
static uint64_t restrict_in_child(int rs) {
        int p[2];
        uint64_t dt = 0;

        if (pipe2(p, O_CLOEXEC) < 0)
                return 0;
        pid_t pid = fork();
        if (pid == 0) {
                uint64_t t0 = now_ns();
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(__NR_landlock_restrict_self, rs, 0) < 0)
                        _exit(1);
                t0 = now_ns() - t0;
                _exit(write(p[1], &t0, sizeof(t0)) == sizeof(t0) ? 0 : 1);
        }
        close(p[1]);
        if (pid < 0 || read(p[0], &dt, sizeof(dt)) != sizeof(dt))
                dt = 0;
        close(p[0]);
        if (pid > 0)
                (void) waitpid(pid, NULL, 0);
        return dt;
}

int main(int argc, char **argv) {
        int rounds = argc > 1 ? atoi(argv[1]) : 400;
        static int fds[ENTRIES_MAX];
        size_t n_fds = 0, n_rules = 0;

        if (rounds < 10 || rounds > 100000) {
                fprintf(stderr, "usage: %s [ROUNDS (10-100000)]\n", argv[0]);
                return 2;
        }
        uint64_t *b = calloc((size_t) rounds, sizeof(*b)), *r = calloc((size_t) rounds, sizeof(*r));
        if (!b || !r)
                return 1;

        for (int i = 0; i < rounds; i++) {
                uint64_t t0 = now_ns();
                int rs = build(fds, &n_fds, &n_rules);
                b[i] = now_ns() - t0;
                if (rs < 0) {
                        fprintf(stderr, "landlock-floor: no landlock ruleset: %s\n", strerror(-rs));
                        return rs == -ENOSYS || rs == -EOPNOTSUPP ? 77 : 1;
                }
                r[i] = restrict_in_child(rs);
                if (r[i] == 0) {
                        fprintf(stderr, "landlock-floor: landlock_restrict_self failed in the child\n");
                        return 1;
                }
                close(rs);
                for (size_t k = 0; k < n_fds; k++)
                        close(fds[k]);
        }
        qsort(b, (size_t) rounds, sizeof(*b), cmp_u64);
        qsort(r, (size_t) rounds, sizeof(*r), cmp_u64);
        printf("entries %zu rules %zu build_us %.1f restrict_us %.1f\n", n_fds, n_rules, b[rounds / 2] / 1e3,
               r[rounds / 2] / 1e3);
        free(b);
        free(r);
        return 0;
}
