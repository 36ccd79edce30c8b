/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "log.h"
#include "supervise.h"

#define DIR_CHECK_INTERVAL_USEC UINT64_C(200000)
#define REAP_ROUNDS 200
#define LIST_TASKS_MAX 1024
/* How long after an OOM event its kill is looked for in the run's cgroup, and how often */
#define OOM_WATCH_USEC UINT64_C(1000000)
#define OOM_RECHECK_USEC UINT64_C(5000)

/* The parent of 'pid' by its /proc/<pid>/stat, or -1. */
static pid_t proc_ppid(pid_t pid) {
        char path[64], buf[512], *rp;
        long ppid;
        ssize_t k;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k <= 0)
                return -1;
        buf[k] = 0;
        /* "pid (comm) state ppid ...": comm may hold anything, so from the last ')' */
        rp = strrchr(buf, ')');
        if (!rp || sscanf(rp + 1, " %*c %ld", &ppid) != 1)
                return -1;
        return (pid_t) ppid;
}

/* Without CONFIG_PROC_CHILDREN: every /proc/<pid>/stat whose parent is 'parent'. */
size_t supervise_scan_children(pid_t parent, pid_t *out, size_t max) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        size_t n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)) && n < max) {
                char *e;
                long pid;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                pid = strtol(de->d_name, &e, 10);
                if (*e == 0 && pid > 0 && proc_ppid((pid_t) pid) == parent)
                        out[n++] = (pid_t) pid;
        }
        closedir(d);
        return n;
}

/* The pids in one task's children file (its first 4 KiB) that are not among out[0..n), appended
 * to out[] up to 'max'. The new count, or -errno of the open. */
static ssize_t read_children(const char *path, pid_t *out, size_t n, size_t max) {
        char buf[4096];
        size_t known = n;
        ssize_t k;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k <= 0)
                return (ssize_t) n;
        buf[k] = 0;
        for (char *p = buf; *p && n < max;) {
                char *e;
                long v = strtol(p, &e, 10);
                size_t i = 0;
                if (e == p)
                        break;
                p = e;
                while (*p == ' ')
                        p++;
                /* a child is listed under the thread that forked it; one whose thread ended
                 * while we read is listed again, under the thread it was handed to */
                while (i < known && out[i] != (pid_t) v)
                        i++;
                if (v > 0 && i == known)
                        out[n++] = (pid_t) v;
        }
        return (ssize_t) n;
}

/* The children of 'parent', from /proc/<parent>/task/<tid>/children: those its main thread
 * forked, and (all_threads) those of each of its other threads, which a parent we may not kill,
 * or one stuck in the kernel, would otherwise hide for good. The worker's own: it is
 * single-threaded, and one file is all that every run leaving a child behind pays. Without
 * CONFIG_PROC_CHILDREN: by /proc/<pid>/stat, whose parent is the process, whichever thread
 * forked it. At most LIST_TASKS_MAX entries of the task directory, more than tasks_max lets a
 * run have under the shipped unit (TasksMax=96): one list takes bounded time without it too. */
static size_t list_children(pid_t parent, bool all_threads, pid_t *out, size_t max) {
        char path[64];
        struct dirent *de;
        ssize_t n;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int) parent, (int) parent);
        n = read_children(path, out, 0, max);
        if (n < 0)
                return n == -ENOENT ? supervise_scan_children(parent, out, max) : 0;
        if (!all_threads)
                return (size_t) n;
        snprintf(path, sizeof(path), "/proc/%d/task", (int) parent);
        d = opendir(path);
        if (!d)
                return (size_t) n;
        for (int tasks = 0; (de = readdir(d)) && (size_t) n < max && tasks < LIST_TASKS_MAX; tasks++) {
                char *e;
                long tid = strtol(de->d_name, &e, 10);
                if (*e != 0 || tid <= 0 || tid == parent)
                        continue; /* ".", "..", the main thread: read above */
                snprintf(path, sizeof(path), "/proc/%d/task/%ld/children", (int) parent, tid);
                ssize_t r = read_children(path, out, (size_t) n, max);
                if (r >= 0) /* (else a thread that ended since: ENOENT) */
                        n = r;
        }
        closedir(d);
        return (size_t) n;
}

/* SIGKILL 'pid' and what it started. At depth 0 it is our own child, whose number is its own
 * until we reap it. Deeper, it was read from the children of 'parent' (parent_fd: its pidfd,
 * or -1 when it is our child too, or had none): it may since have exited, been reaped and its
 * number given to another process. So it is opened as a pidfd, and signalled through it only
 * while its parent is still 'parent', a number that is still that process' own as long as it
 * has not ended (its children are handed on as it ends), or us, the subreaper 'parent' handed
 * it to as it died. Without pidfd_open (ENOSYS before Linux 5.3, a seccomp filter's EPERM,
 * EMFILE): kill(2), as kill_pid() in cgroup.c does; the window is then the few microseconds
 * between the read and the kill. */
static void kill_subtree(pid_t pid, pid_t parent, int parent_fd, int depth) {
        _cleanup_close_ int fd = -1;
        pid_t kids[256];
        size_t n;

        if (depth > 0)
                fd = pidfd_open_compat(pid);
        if (fd >= 0) {
                pid_t ppid = proc_ppid(pid);
                if (ppid != getpid() && (ppid != parent || (parent_fd >= 0 && pidfd_ended(parent_fd))))
                        return; /* another process' now, or gone */
                /* pidfd_send_signal(2) fails with ESRCH for a process reaped since, and with
                 * EPERM for one we may not signal (kill(2) is refused the same way) or under a
                 * seccomp filter that refuses this call but not kill(2), as one that does not
                 * know it does (some answer ENOSYS). Then by number, as without a pidfd, but only
                 * while the process has not ended: until then the number is its own; after, it
                 * has handed its children on, and its number may be another's already. */
                if (pidfd_signal(fd, SIGKILL) < 0) {
                        if (pidfd_ended(fd))
                                return;
                        (void) kill(pid, SIGKILL);
                }
        } else if (depth == 0 || errno != ESRCH)
                (void) kill(pid, SIGKILL);
        else
                return; /* gone already */
        /* Its children, every thread's, as far as it has not exited yet: those it hands to us
         * (the subreaper) as it exits are found by supervise_kill_descendants()'s next round. */
        if (depth > 64)
                return;
        n = list_children(pid, true, kids, ELEMENTSOF(kids));
        for (size_t i = 0; i < n; i++)
                kill_subtree(kids[i], pid, fd, depth + 1);
}

size_t supervise_kill_descendants(void) {
        pid_t self = getpid(), kids[256];
        size_t n = 0;

        for (int round = 0; round < REAP_ROUNDS; round++) {
                bool reaped_any = false;

                /* no child at all, the usual end of a run: nothing to list */
                pid_t w = waitpid(-1, NULL, WNOHANG);
                if (w < 0 && errno == ECHILD)
                        return 0;
                reaped_any = w > 0;
                n = list_children(self, false, kids, ELEMENTSOF(kids));

                for (size_t i = 0; i < n; i++)
                        kill_subtree(kids[i], 0, -1, 0);
                for (;;) {
                        pid_t p = waitpid(-1, NULL, WNOHANG);
                        if (p > 0) {
                                reaped_any = true;
                                continue;
                        }
                        if (p < 0 && errno == ECHILD)
                                return 0;
                        break;
                }
                if (!reaped_any)
                        usleep(5000);
        }
        /* Still there after a second of SIGKILLs: say so, or a leak would go unnoticed (a
         * process stuck in the kernel, uninterruptibly, or a worker starved of CPU). */
        n = list_children(self, false, kids, ELEMENTSOF(kids));
        if (n > 0)
                log_warning("%zu process%s of the run survived %d rounds of SIGKILL and %s left running, the first pid %d",
                            n, n == 1 ? "" : "es", REAP_ROUNDS, n == 1 ? "is" : "are", (int) kids[0]);
        return n;
}

static void stream_append(OutputStream *s, const char *buf, size_t n, uint64_t cap) {
        s->total += n;
        if (s->len < cap) {
                size_t take = (size_t) MIN((uint64_t) n, cap - s->len);
                char *nb = realloc(s->buf, s->len + take + 1);
                if (!nb) {
                        s->truncated = true;
                        return;
                }
                s->buf = nb;
                memcpy(s->buf + s->len, buf, take);
                s->len += take;
                s->buf[s->len] = 0;
                if (take < n)
                        s->truncated = true;
        } else if (n > 0)
                s->truncated = true;
}

bool supervise_drain(int *fd, OutputStream *s, uint64_t cap) {
        char buf[65536];

        /* At most SUPERVISE_DRAIN_MAX a call: writers that keep the pipe full (several of them,
         * a pipe grown to 1 MiB) would otherwise keep us here, and the timeout, the work dir
         * check, a hang-up and a stop request all wait until they pause. */
        for (size_t got = 0; got < SUPERVISE_DRAIN_MAX;) {
                ssize_t k = read(*fd, buf, sizeof(buf));
                if (k > 0) {
                        stream_append(s, buf, (size_t) k, cap);
                        if ((size_t) k < sizeof(buf))
                                return true;
                        got += (size_t) k;
                        continue;
                }
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return true;
                close(*fd);
                *fd = -1;
                return false;
        }
        return true;
}

/* The skill owns what is below the work dir and may rearrange it while we look: walk by
 * directory fds (no path strings, so no symlink in the middle is ever followed), and bound the
 * depth so that a deeply nested tree can neither exhaust our stack nor our fds. It may also
 * take our access away (it shares our uid under DynamicUser=, and we have no DAC capability):
 * we give it back, and what still cannot be read counts as over the limit, as it could hold
 * anything. */
static uint64_t dir_usage_at(int dfd, unsigned depth, bool *ret_uncounted) {
        uint64_t total = 0;
        struct dirent *de;
        DIR *d;

        if (depth > SUPERVISE_DIR_DEPTH_MAX) {
                *ret_uncounted = true;
                close(dfd);
                return 0;
        }
        d = fdopendir(dfd);
        if (!d) {
                *ret_uncounted = true;
                close(dfd);
                return 0;
        }
        while ((de = readdir(d))) {
                struct stat st;
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW);
                /* readable but not searchable: give the search bit back, then retry */
                if (r < 0 && errno == EACCES && fstat(dirfd(d), &st) == 0 &&
                    fchmod(dirfd(d), (st.st_mode & 07777) | S_IXUSR) == 0)
                        r = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW);
                if (r < 0) {
                        if (errno == ENOENT) /* removed since readdir() */
                                continue;
                        *ret_uncounted = true;
                        break;
                }
                /* at least a block for every entry: an empty file, a fast symlink or a fifo has
                 * none allocated, yet takes an inode of the file system, so that without this
                 * a skill could use up the inodes of the work root's file system (every other
                 * run's and the host's) with a few MiB counted */
                total += MAX((uint64_t) st.st_blocks * 512, SUPERVISE_ENTRY_MIN);
                if (S_ISDIR(st.st_mode)) {
                        int cfd = open_dir_granting(dirfd(d), de->d_name, S_IRUSR | S_IXUSR);
                        if (cfd >= 0)
                                total += dir_usage_at(cfd, depth + 1, ret_uncounted);
                        else if (cfd != -ENOENT && cfd != -ENOTDIR && cfd != -ELOOP)
                                /* (those: replaced since fstatat(), counted the next time) */
                                *ret_uncounted = true;
                }
                if (*ret_uncounted)
                        break;
        }
        closedir(d);
        return total;
}

uint64_t supervise_dir_usage(int dir_fd, bool *ret_uncounted) {
        /* A copy of the fd: what the skill does to the directory's path (rename it, put something
         * else there) or mode does not change what it reads. Rewound: copies share the offset. */
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        bool uncounted = fd < 0;
        uint64_t total = 0;

        if (fd >= 0) {
                (void) lseek(fd, 0, SEEK_SET);
                total = dir_usage_at(fd, 0, &uncounted);
        }
        if (ret_uncounted)
                *ret_uncounted = uncounted;
        return total;
}

/* 'pid' is the run's process group (its leader's pid), or 0 once the leader is reaped: then
 * the pgid may already belong to someone else, and only our own descendants are signalled. */
static void signal_run(pid_t pid, SandboxPlan *plan, int sig) {
        if (pid > 0)
                (void) kill(-pid, sig);
        if (sig == SIGKILL) {
                sandbox_kill(plan);
                /* whatever left the process group (setsid) is still below us: walk the tree */
                pid_t kids[256];
                size_t n = list_children(getpid(), false, kids, ELEMENTSOF(kids));
                for (size_t i = 0; i < n; i++)
                        kill_subtree(kids[i], 0, -1, 0);
        } else if (pid > 0) {
                (void) kill(pid, sig);
                /* a stopped process acts on SIGTERM only once continued: wake the group now, as
                 * systemd does, so that its grace is a grace and not a wait for SIGKILL */
                (void) kill(-pid, SIGCONT);
                (void) kill(pid, SIGCONT);
        }
}

/* Any child, running or not yet reaped: one system call, no /proc. */
static bool have_children(void) {
        siginfo_t si = {};
        return !(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD);
}

static void set_nonblock(int fd) {
        int fl;
        if (fd >= 0 && (fl = fcntl(fd, F_GETFL)) >= 0)
                (void) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd) {
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

int supervise_run(pid_t pid, SuperviseIO *io, const Limits *l, uint64_t kill_grace_ms, SandboxPlan *plan,
                  RunResult *r) {
        uint64_t start = now_usec(), deadline = start + l->timeout_ms * 1000, kill_at = 0, exit_time = 0;
        uint64_t next_dir_check = start + DIR_CHECK_INTERVAL_USEC;
        pid_t group = pid;
        size_t in_off = 0;
        bool exited = false, timed_out = false, client_gone = false, too_big = false, stopped = false;
        bool oom = false;
        uint64_t oom_watch_until = 0; /* after an OOM event: until when to look for its kill */
        bool killed_alive = false; /* a hang-up or stop request's SIGKILL went out before we saw it exit */
        int status = 0;
        _cleanup_close_ int pidfd = pidfd_open_compat(pid);
        struct rusage ru = {};

        set_nonblock(io->stdin_fd);
        set_nonblock(io->stdout_fd);
        set_nonblock(io->stderr_fd);
        if (io->in_len == 0)
                close_fd(&io->stdin_fd);

        while (!exited || io->stdout_fd >= 0 || io->stderr_fd >= 0) {
                struct pollfd p[7];
                int n = 0, i_pid = -1, i_in = -1, i_out = -1, i_err = -1, i_cl = -1, i_stop = -1, i_oom = -1, k;
                uint64_t now = now_usec(), wake = UINT64_MAX;

                if (!exited && pidfd >= 0)
                        p[i_pid = n++] = (struct pollfd) { .fd = pidfd, .events = POLLIN };
                if (io->stdin_fd >= 0)
                        p[i_in = n++] = (struct pollfd) { .fd = io->stdin_fd, .events = POLLOUT };
                if (io->stdout_fd >= 0)
                        p[i_out = n++] = (struct pollfd) { .fd = io->stdout_fd, .events = POLLIN };
                if (io->stderr_fd >= 0)
                        p[i_err = n++] = (struct pollfd) { .fd = io->stderr_fd, .events = POLLIN };
                if (io->client_fd >= 0 && !client_gone)
                        p[i_cl = n++] = (struct pollfd) { .fd = io->client_fd, .events = POLLIN | POLLRDHUP };
                if (io->stop_fd >= 0 && !stopped)
                        p[i_stop = n++] = (struct pollfd) { .fd = io->stop_fd, .events = POLLIN };
                if (io->oom_fd >= 0 && !oom && !exited)
                        p[i_oom = n++] = (struct pollfd) { .fd = io->oom_fd, .events = POLLIN };

                if (!exited && !timed_out && !client_gone && !stopped)
                        wake = MIN(wake, deadline);
                if (kill_at)
                        wake = MIN(wake, kill_at);
                if (io->workdir_fd >= 0 && !exited)
                        wake = MIN(wake, next_dir_check);
                if (oom_watch_until && !exited)
                        wake = MIN(wake, now + OOM_RECHECK_USEC);
                if (!exited && pidfd < 0)
                        wake = MIN(wake, now + 20000);      /* no pidfd: poll waitpid */
                if (exited)
                        wake = MIN(wake, exit_time + 2000000); /* pipes held open by nobody we know */
                k = poll(p, (nfds_t) n, wake == UINT64_MAX ? -1 : (int) ((MAX(wake, now) - now + 999) / 1000));
                if (k < 0 && errno != EINTR) {
                        int e = negative_errno();
                        signal_run(group, plan, SIGKILL);
                        supervise_kill_descendants();
                        return e;
                }
                if (k > 0) {
                        if (i_in >= 0 && p[i_in].revents) {
                                if (p[i_in].revents & POLLOUT) {
                                        ssize_t w = write(io->stdin_fd, io->in + in_off, MIN(io->in_len - in_off, (size_t) 65536));
                                        if (w > 0)
                                                in_off += (size_t) w;
                                        else if (w < 0 && errno != EAGAIN && errno != EINTR)
                                                in_off = io->in_len; /* EPIPE: the skill does not read its input */
                                } else
                                        in_off = io->in_len;
                                if (in_off >= io->in_len)
                                        close_fd(&io->stdin_fd);
                        }
                        if (i_out >= 0 && p[i_out].revents)
                                (void) supervise_drain(&io->stdout_fd, &r->out, l->output_max);
                        if (i_err >= 0 && p[i_err].revents)
                                (void) supervise_drain(&io->stderr_fd, &r->err, l->output_max);
                        if (i_stop >= 0 && p[i_stop].revents) {
                                /* the worker is being stopped (systemd's RuntimeMaxSec=, a shutdown,
                                 * ^C): end the run now, so that cleanup and an answer still happen */
                                char info[128];
                                (void) !read(io->stop_fd, info, sizeof(info));
                                stopped = true;
                                stop_requested_set();
                                if (!exited) {
                                        signal_run(group, plan, SIGKILL);
                                        killed_alive = true;
                                }
                                kill_at = 0;
                        }
                        if (i_oom >= 0 && p[i_oom].revents) {
                                uint64_t count;
                                (void) !read(io->oom_fd, &count, sizeof(count));
                                oom_watch_until = now_usec() + OOM_WATCH_USEC;
                        }
                        if (i_cl >= 0 && p[i_cl].revents) {
                                char scratch[4096];
                                ssize_t c = (p[i_cl].revents & POLLIN) ? recv(io->client_fd, scratch, sizeof(scratch), MSG_DONTWAIT) : 0;
                                /* extra bytes (a pipelined request) are ignored; EOF or an error is a hang-up */
                                if (c == 0 || (c < 0 && errno != EAGAIN && errno != EINTR) ||
                                    (p[i_cl].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
                                        client_gone = true;
                                        signal_run(group, plan, SIGKILL);
                                        killed_alive = killed_alive || !exited;
                                        kill_at = 0;
                                }
                        }
                }
                if (!exited) {
                        siginfo_t si = {};
                        /* WNOWAIT: the zombie leader keeps its pgid ours while we kill the group */
                        if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
                                exited = true;
                                exit_time = now_usec();
                                /* The run is over when its main process is: nothing may outlive it.
                                 * The group in one call; then what left it came back to us (the
                                 * subreaper), so no child at all, the usual end, means nothing is
                                 * left. Else kill and reap in rounds: a killed parent hands its
                                 * children to us only as it exits. */
                                if (group > 0) /* never kill(0): that is our own group */
                                        (void) kill(-group, SIGKILL);
                                (void) waitpid(pid, &status, 0);
                                group = 0;
                                if (have_children()) {
                                        sandbox_kill(plan);
                                        supervise_kill_descendants();
                                }
                                close_fd(&io->stdin_fd);
                        }
                }
                now = now_usec();
                if (!exited && !timed_out && !client_gone && !stopped && now >= deadline) {
                        timed_out = true;
                        signal_run(group, plan, SIGTERM);
                        kill_at = now + kill_grace_ms * 1000;
                }
                if (kill_at && now >= kill_at) {
                        signal_run(group, plan, SIGKILL);
                        kill_at = 0;
                }
                /* The OOM event comes as the OOM killer starts, before it has picked anyone, and
                 * for an ancestor's OOM too, whose victim may be elsewhere: once a process of the
                 * run is the one killed (cgroup v1: one process, the rest run on), the rest of
                 * the run goes with it, as memory.oom.group has it in v2, rather than go on and
                 * answer as if nothing had been lost. */
                if (oom_watch_until && !exited) {
                        bool killed = false;
                        sandbox_collect(plan, &killed, NULL);
                        if (killed) {
                                oom = true;
                                signal_run(group, plan, SIGKILL);
                                kill_at = 0;
                        }
                        if (killed || now >= oom_watch_until)
                                oom_watch_until = 0;
                }
                if (io->workdir_fd >= 0 && !exited && now >= next_dir_check) {
                        next_dir_check = now + DIR_CHECK_INTERVAL_USEC;
                        bool uncounted = false;
                        if (!too_big && (supervise_dir_usage(io->workdir_fd, &uncounted) > l->workdir_max || uncounted)) {
                                too_big = true;
                                signal_run(group, plan, SIGKILL);
                        }
                }
                if (exited && now >= exit_time + 2000000) {
                        close_fd(&io->stdout_fd);
                        close_fd(&io->stderr_fd);
                }
        }

        supervise_kill_descendants();
        (void) getrusage(RUSAGE_CHILDREN, &ru);
        r->duration_ms = (now_usec() - start) / 1000;
        r->cpu_ms = (uint64_t) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                    (uint64_t) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
        r->max_rss_kb = (uint64_t) ru.ru_maxrss;

        if (WIFEXITED(status))
                r->exit_code = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                r->signal = WTERMSIG(status);

        /* A hang-up or stop request kills the run, unless its main process had already ended on
         * its own: while we waited for its pipes, or in the same poll round, by an exit or by a
         * signal of its own (SIGABRT, SIGSEGV: not our SIGKILL). Then the outcome is its own. */
        r->killed_on_request = killed_alive && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        if (r->killed_on_request)
                r->outcome = OUTCOME_KILLED;
        else if (timed_out)
                r->outcome = OUTCOME_TIMEOUT;
        else if (too_big || (r->signal == SIGXFSZ))
                r->outcome = OUTCOME_OUTPUT_LIMIT;
        else if (WIFEXITED(status))
                r->outcome = r->exit_code == 0 ? OUTCOME_OK : OUTCOME_FAILED;
        else if (r->signal == SIGKILL)
                r->outcome = OUTCOME_KILLED;
        else
                r->outcome = OUTCOME_SIGNALED;
        return 0;
}
