/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor under the sandbox steps, for bench/core-latency: bench/floor plus the kernel work
 * that issues #2 and #3 and design §4-5 require for a policy "none" run, and nothing else. It
 * says about how much of skillrun's time over the floor any implementation of the contract pays
 * here, and so how much is skillrun's own. An estimate, not a bound: it forks as bench/floor
 * does, where skillrun's vfork-style clone copies no page tables.
 *
 * Per connection, the same as bench/floor (fork, execve /bin/true, a fixed answer), plus:
 *   - no_new_privs and skillrun's own worker filter (the generated program, not a copy),
 *     loaded before the first byte is read (#3 item 6);
 *   - a private work dir (mkdir 0700, given to the run user as root, removed afterwards);
 *   - the skill's stdin, stdout and stderr on pipes, read until both outputs end (§4);
 *   - a run cgroup below our own in each v1 hierarchy of memory and pids that we may write, or
 *     in a cgroup2 that enables both for its children, with memory and task limits, the child
 *     moved in, the OOM state read back and the cgroups removed after the answer (#3 item 5);
 *     without one, RLIMIT_AS and RLIMIT_NPROC instead;
 *   - in the child: its own process group, RLIMIT_CORE, RLIMIT_NOFILE, RLIMIT_FSIZE, every fd
 *     but 0-2 closed, and as root the switch to nobody and every capability dropped from every
 *     set (§5 steps 1-4).
 * Not here, though skillrun does it: HTTP parsing, the token, the manifest, JSON, the journal
 * record, the signal dispositions reset, securebits, the subreaper and the process tree kill,
 * the timeout, probing what the kernel has. Those are skillrun's own cost. Errors answer 500, so
 * that the benchmark stops instead of measuring less. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "floor-request.h"
#include "seccomp-bpf.h"

#define MEMORY_MAX "268435456"
#define TASKS_MAX "64"
#define RUN_UID 65534
#define CGROUP2_SUPER_MAGIC 0x63677270

#ifndef CAP_LAST_CAP
#define CAP_LAST_CAP 40
#endif

typedef struct Cgroup {
        int dir_fd;       /* the run cgroup, -1 if none */
        int procs_fd;     /* its cgroup.procs, for the child */
        char path[4096];  /* for rmdir */
} Cgroup;

static int load_worker_filter(void) {
        struct sock_fprog prog = {
                .len = seccomp_bpf_programs[0].len,
                .filter = (struct sock_filter *) seccomp_bpf_programs[0].filter,
        };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                return -errno;
        return 0;
}

/* The start of file 'name' (at dir_fd, or AT_FDCWD) into buf, NUL-terminated: its length or -errno. */
static ssize_t read_at(int dir_fd, const char *name, char *buf, size_t size) {
        int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        n = n < 0 ? -errno : n;
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        return n;
}

static int write_at(int dir_fd, const char *name, const char *value) {
        int fd = openat(dir_fd, name, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, value, strlen(value));
        n = n < 0 ? -errno : 0;
        close(fd);
        return (int) n;
}

/* Our own cgroup in controller CTRL's v1 hierarchy ("" for cgroup2), from /proc/self/cgroup. */
static int own_cgroup(const char *table, const char *ctrl, char *out, size_t size) {
        size_t cl = strlen(ctrl);

        for (const char *line = table; *line;) {
                const char *colon1 = strchr(line, ':'), *colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t) (nl - line) : strlen(line);

                if (colon2 && colon2 < line + len) {
                        const char *list = colon1 + 1;
                        size_t ll = (size_t) (colon2 - list);
                        bool match = cl == 0 ? ll == 0 : false;

                        for (const char *c = list; cl > 0 && c < colon2;) {
                                const char *comma = memchr(c, ',', (size_t) (colon2 - c));
                                size_t n = comma ? (size_t) (comma - c) : (size_t) (colon2 - c);
                                if (n == cl && memcmp(c, ctrl, cl) == 0)
                                        match = true;
                                c += n + 1;
                        }
                        if (match) {
                                int w = snprintf(out, size, "%.*s", (int) (line + len - colon2 - 1), colon2 + 1);
                                return w < 0 || (size_t) w >= size ? -ENAMETOOLONG : 0;
                        }
                }
                line += len + (nl ? 1 : 0);
        }
        return -ENOENT;
}

/* mkdir NAME below BASE/OWN, LIMITS as (file, value) pairs, open cgroup.procs. -EACCES/-EROFS
 * when we may not write there: no cgroup, not an error. */
static int cgroup_make(Cgroup *cg, const char *base, const char *own, const char *name,
                       const char *const *limits) {
        int w, r;

        w = snprintf(cg->path, sizeof cg->path, "%s%s/%s", base, own, name);
        if (w < 0 || (size_t) w >= sizeof cg->path)
                return -ENAMETOOLONG;
        if (mkdir(cg->path, 0755) < 0)
                return -errno;
        cg->dir_fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg->dir_fd < 0)
                return -errno;
        for (; *limits; limits += 2) {
                r = write_at(cg->dir_fd, limits[0], limits[1]);
                /* memsw: only with swap accounting */
                if (r < 0 && !(r == -ENOENT && strstr(limits[0], ".memsw.")))
                        return r;
        }
        cg->procs_fd = openat(cg->dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        return cg->procs_fd < 0 ? -errno : 0;
}

static void cgroup_remove(Cgroup *cg) {
        if (cg->procs_fd >= 0)
                close(cg->procs_fd);
        if (cg->dir_fd >= 0) {
                close(cg->dir_fd);
                (void) rmdir(cg->path);
        }
        cg->dir_fd = cg->procs_fd = -1;
}

/* The run cgroups: v1 memory and pids where writable, else a cgroup2 with both controllers. */
static int cgroups_make(Cgroup cg[2], const char *name, bool *ret_any) {
        static const char *const mem_v1[] = { "memory.limit_in_bytes", MEMORY_MAX,
                                              "memory.memsw.limit_in_bytes", MEMORY_MAX, NULL };
        static const char *const pids_v1[] = { "pids.max", TASKS_MAX, NULL };
        static const char *const v2[] = { "memory.max", MEMORY_MAX, "pids.max", TASKS_MAX, NULL };
        char table[4096], own[2048];
        struct statfs sf;
        ssize_t n;
        int r;

        *ret_any = false;
        n = read_at(AT_FDCWD, "/proc/self/cgroup", table, sizeof table);
        if (n < 0)
                return (int) n;

        if (own_cgroup(table, "memory", own, sizeof own) == 0) {
                r = cgroup_make(&cg[0], "/sys/fs/cgroup/memory", own, name, mem_v1);
                if (r < 0 && r != -EACCES && r != -EROFS && r != -ENOENT)
                        return r;
                if (own_cgroup(table, "pids", own, sizeof own) == 0) {
                        int r2 = cgroup_make(&cg[1], "/sys/fs/cgroup/pids", own, name, pids_v1);
                        if (r2 < 0 && r2 != -EACCES && r2 != -EROFS && r2 != -ENOENT)
                                return r2;
                }
                *ret_any = cg[0].procs_fd >= 0 || cg[1].procs_fd >= 0;
                return 0;
        }
        /* a pure cgroup2 host: below our own cgroup where memory and pids are enabled for its
         * children already (a delegated subtree; skillrun would also move itself into a leaf and
         * enable them, which this leaves out: untested here, on a hybrid host) */
        if (own_cgroup(table, "", own, sizeof own) == 0 && statfs("/sys/fs/cgroup", &sf) == 0 &&
            sf.f_type == CGROUP2_SUPER_MAGIC) {
                char path[4096], ctl[256];
                snprintf(path, sizeof path, "/sys/fs/cgroup%s/cgroup.subtree_control", own);
                if (read_at(AT_FDCWD, path, ctl, sizeof ctl) < 0 || !strstr(ctl, "memory") || !strstr(ctl, "pids"))
                        return 0;
                r = cgroup_make(&cg[0], "/sys/fs/cgroup", own, name, v2);
                if (r < 0 && r != -EACCES && r != -EROFS)
                        return r;
                *ret_any = cg[0].procs_fd >= 0;
        }
        return 0;
}

static int set_limit(int resource, rlim_t value) {
        struct rlimit rl = { value, value };
        return setrlimit(resource, &rl) < 0 ? -errno : 0;
}

/* After fork, before exec: §5 steps 1-4 for policy "none". Returns only on failure. */
static void child(int in_fd, int out_fd, int err_fd, const char *work, const Cgroup cg[2], bool any_cg) {
        static char *const argv[] = { (char *) "/bin/true", NULL };
        char home[4200], *envp[4] = { (char *) "PATH=/usr/bin:/bin", home, NULL, NULL };
        struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2] = { { 0 } };

        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0 || chdir(work) < 0)
                _exit(126);
        snprintf(home, sizeof home, "HOME=%s", work);
        if (setpgid(0, 0) < 0)
                _exit(126);
        for (int i = 0; i < 2; i++)
                if (cg[i].procs_fd >= 0 && write(cg[i].procs_fd, "0", 1) != 1)
                        _exit(126);
        if (!any_cg && (set_limit(RLIMIT_AS, 268435456) < 0))
                _exit(126);
        if (set_limit(RLIMIT_CORE, 0) < 0 || set_limit(RLIMIT_NOFILE, 256) < 0 ||
            set_limit(RLIMIT_FSIZE, 64 << 20) < 0)
                _exit(126);
        if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
                _exit(126);
        /* as root: every capability out of the bounding set while we still hold CAP_SETPCAP,
         * then the run user, which empties the others; the ambient set and capset for the rest */
        if (geteuid() == 0) {
                for (int c = 0; c <= CAP_LAST_CAP; c++)
                        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                                _exit(126);
                if (setgroups(0, NULL) < 0 || setresgid(RUN_UID, RUN_UID, RUN_UID) < 0 ||
                    setresuid(RUN_UID, RUN_UID, RUN_UID) < 0)
                        _exit(126);
        }
        if (!any_cg && set_limit(RLIMIT_NPROC, 64) < 0)
                _exit(126);
        (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        if (syscall(SYS_capset, &hdr, data) < 0)
                _exit(126);
        execve(argv[0], argv, envp);
        _exit(127);
}

static int run_true(const char *work, const Cgroup cg[2], bool any_cg) {
        int in[2], out[2], err[2], status;
        struct pollfd p[2];
        char buf[4096];
        pid_t pid;

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child(in[0], out[1], err[1], work, cg, any_cg);
        close(in[0]);
        close(in[1]);  /* input "none": stdin ends at once */
        close(out[1]);
        close(err[1]);
        p[0] = (struct pollfd) { .fd = out[0], .events = POLLIN };
        p[1] = (struct pollfd) { .fd = err[0], .events = POLLIN };
        while (p[0].fd >= 0 || p[1].fd >= 0) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < 2; i++)
                        if (p[i].fd >= 0 && p[i].revents && read(p[i].fd, buf, sizeof buf) <= 0) {
                                close(p[i].fd);
                                p[i].fd = -1;
                        }
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int oom_state(const Cgroup *mem) {
        char buf[1024];
        ssize_t n;

        if (mem->dir_fd < 0)
                return 0;
        n = read_at(mem->dir_fd, "memory.oom_control", buf, sizeof buf);
        if (n == -ENOENT)
                n = read_at(mem->dir_fd, "memory.events", buf, sizeof buf);
        return n < 0 ? (int) n : 0;
}

static int answer(int fd, int status, int rc) {
        static const char body_fmt[] = "{\"outcome\":\"%s\",\"exit_code\":%d}";
        char body[64], resp[256];
        int n, m;

        n = snprintf(body, sizeof body, body_fmt, status == 200 ? "ok" : "error", rc);
        m = snprintf(resp, sizeof resp,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, status == 200 ? "OK" : "Internal Server Error", n, body);
        for (int off = 0; off < m;) {
                ssize_t w = write(fd, resp + off, (size_t) (m - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                off += (int) w;
        }
        return 0;
}

int main(void) {
        const char *e = getenv("LISTEN_FDS"), *base = getenv("SKILLRUN_WORK_DIR");
        int fd = e && atoi(e) >= 1 ? 3 : STDIN_FILENO;
        Cgroup cg[2] = { { -1, -1, "" }, { -1, -1, "" } };
        char name[64], work[4096];
        bool any_cg = false;
        int rc, status = 200;

        if (load_worker_filter() < 0)
                return answer(fd, 500, -1) < 0 ? 1 : 2;
        if (read_request(fd) < 0)
                return 1;

        /* random, as skillrun's run ids: a PID repeats in another PID namespace sharing the
         * cgroup tree (two test suites, one in a chroot) */
        uint64_t id;
        if (getrandom(&id, sizeof id, 0) != (ssize_t) sizeof id)
                return answer(fd, 500, -errno) < 0 ? 1 : 2;
        snprintf(name, sizeof name, "sandbox-floor-%016llx", (unsigned long long) id);
        snprintf(work, sizeof work, "%s/%s", base && *base ? base : "/tmp", name);
        if (mkdir(work, 0700) < 0 || (geteuid() == 0 && chown(work, RUN_UID, RUN_UID) < 0))
                return answer(fd, 500, -errno) < 0 ? 1 : 2;
        rc = cgroups_make(cg, name, &any_cg);
        if (rc >= 0)
                rc = run_true(work, cg, any_cg);
        if (rc >= 0 && oom_state(&cg[0]) < 0)
                rc = -EIO;
        if (rc < 0)
                status = 500;
        (void) answer(fd, status, rc);
        (void) shutdown(fd, SHUT_WR);

        cgroup_remove(&cg[0]);
        cgroup_remove(&cg[1]);
        (void) rmdir(work);
        return status == 200 ? 0 : 2;
}
