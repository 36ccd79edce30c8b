/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-run cgroups: made with the run's limits where cgroup-layout.c found room, the skill
 * placed in them, killed, read and removed. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup-internal.h"
#include "log.h"
#include "util.h"

/* cpu.max / cfs period; cpu_max is a percentage of one CPU, so quota = cpu_max * period / 100. */
#define CPU_PERIOD_USEC UINT64_C(100000)
/* How long cgroup_kill() goes on killing what a run's cgroups list, and cgroup_free() killing
 * and retrying rmdir() (EBUSY until the killed have exited), all of it together: then whatever
 * is left is logged and left. */
#define CLEANUP_USEC UINT64_C(1000000)
#define RETRY_SLEEP_NSEC 1000000L

typedef struct RunDir {
        char *path;          /* absolute directory */
        char *cg_path;       /* as /proc/<pid>/cgroup shows it, to check a pid before killing it */
        const char *controller; /* v1 controller, NULL for v2 */
        int dir_fd;
        int procs_fd;        /* cgroup.procs, O_WRONLY, for the child */
} RunDir;

struct Cgroup {
        CgroupMode mode;
        unsigned n;
        RunDir dirs[_V1_MAX];
        int kill_index;      /* the directory whose cgroup.procs lists the run's processes */
        int memory_index;    /* the directory with the memory controller's files */
        int oom_event_fd;    /* v1: eventfd of memory.oom_control, or -1 */
        bool cpu_limited;
};

static void sleep_retry(void) {
        struct timespec ts = { .tv_sec = 0, .tv_nsec = RETRY_SLEEP_NSEC };
        (void) nanosleep(&ts, NULL);
}

_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...) {
        if (ret_error) {
                _cleanup_free_ char *what = NULL;
                va_list ap;

                va_start(ap, fmt);
                if (vasprintf(&what, fmt, ap) < 0)
                        what = NULL;
                va_end(ap);
                if (!what || asprintf(ret_error, "%s: %s", what, strerror(-r)) < 0)
                        *ret_error = NULL;
        }
        return r;
}

int cgroup_read_attr(int dirfd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        size_t n = 0;

        if (fd < 0)
                return -errno;
        while (n + 1 < size) {
                ssize_t k = read(fd, buf + n, size - 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';
        return (int) n;
}

int cgroup_write_attr(int dirfd, const char *name, const char *value) {
        int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (cgroup_test_root ? O_CREAT | O_TRUNC : 0);
        _cleanup_close_ int fd = openat(dirfd, name, flags, 0644);
        size_t len = strlen(value);
        ssize_t k;

        if (fd < 0)
                return -errno;
        k = write(fd, value, len);
        if (k < 0)
                return -errno;
        return (size_t) k == len ? 0 : -EIO;
}

/* The delegated parent, once per process: move ourselves into the leaf "worker", then enable the
 * controllers for our children (the order the no-internal-process rule demands). memory and pids
 * are needed; cpu is optional, as in v1: the kernel can refuse it (EINVAL for a realtime process
 * under CONFIG_RT_GROUP_SCHED), and refuses the whole write then, so it is written again without
 * cpu, and the process runs on with cpu_max unenforced. */
static int v2_prepare(char **ret_error) {
        _cleanup_close_ int base = -1;
        char cur[256], want[64] = "", all[64];
        int r;

        if (cgroup_layout.v2_ready)
                return 0;
        base = open(cgroup_layout.v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base < 0)
                return fail(ret_error, -errno, "cgroup: cannot open '%s'", cgroup_layout.v2_dir);

        if (!cgroup_layout.v2_in_leaf) {
                _cleanup_close_ int leaf = -1;

                if (mkdirat(base, "worker", 0755) < 0 && errno != EEXIST)
                        return fail(ret_error, -errno, "cgroup: cannot create '%s/worker'", cgroup_layout.v2_dir);
                leaf = openat(base, "worker", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (leaf < 0)
                        return fail(ret_error, -errno, "cgroup: cannot open '%s/worker'", cgroup_layout.v2_dir);
                r = cgroup_write_attr(leaf, "cgroup.procs", "0");
                if (r < 0)
                        return fail(ret_error, r, "cgroup: cannot move the worker into '%s/worker'",
                                    cgroup_layout.v2_dir);
                cgroup_layout.v2_in_leaf = true;
        }

        r = cgroup_read_attr(base, "cgroup.subtree_control", cur, sizeof cur);
        if (r < 0 && !(cgroup_test_root && r == -ENOENT))
                return fail(ret_error, r, "cgroup: cannot read '%s/cgroup.subtree_control'", cgroup_layout.v2_dir);
        if (r < 0)
                cur[0] = '\0';
        static const char *const needed[] = { "memory", "pids" };
        for (size_t i = 0; i < ELEMENTSOF(needed); i++) {
                if (cgroup_words_contain(cur, needed[i]))
                        continue;
                strcat(want, want[0] ? " +" : "+");
                strcat(want, needed[i]);
        }
        bool cpu = cgroup_layout.v2_cpu && !cgroup_words_contain(cur, "cpu");
        snprintf(all, sizeof all, "%s%s", want, !cpu ? "" : want[0] ? " +cpu" : "+cpu");

        /* one write where the kernel takes them all, as it usually does */
        r = all[0] ? cgroup_write_attr(base, "cgroup.subtree_control", all) : 0;
        if (r < 0 && cpu) {
                int cpu_r = r;

                r = want[0] ? cgroup_write_attr(base, "cgroup.subtree_control", want) : 0;
                if (r >= 0) {
                        cgroup_layout.v2_cpu = false;
                        log_warning_errno(cpu_r, "Cannot enable the cpu controller in '%s/cgroup.subtree_control', "
                                                 "cpu_max not enforced: %m", cgroup_layout.v2_dir);
                }
        }
        if (r < 0)
                return fail(ret_error, r, "cgroup: cannot enable '%s' in '%s/cgroup.subtree_control'", want,
                            cgroup_layout.v2_dir);
        cgroup_layout.v2_ready = true;
        return 0;
}

/* mkdir below parent and open what the run needs; d->path is set as soon as the directory
 * exists so that cgroup_free() removes it on a later failure. */
static int run_dir_make(RunDir *d, const char *parent, const char *parent_cg_path, const char *name,
                        const char *controller, char **ret_error) {
        _cleanup_close_ int pfd = -1;

        d->controller = controller;
        d->path = cgroup_path_join(parent, name);
        d->cg_path = cgroup_path_join(parent_cg_path ?: "/", name);
        if (!d->path || !d->cg_path)
                return -ENOMEM;

        pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return fail(ret_error, -errno, "cgroup: cannot open '%s'", parent);
        if (mkdirat(pfd, name, 0755) < 0) {
                int r = -errno;
                free(d->path);
                d->path = NULL;
                return fail(ret_error, r, "cgroup: cannot create '%s/%s'", parent, name);
        }
        d->dir_fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->dir_fd < 0)
                return fail(ret_error, -errno, "cgroup: cannot open '%s'", d->path);
        return 0;
}

static int run_dir_open_procs(RunDir *d, char **ret_error) {
        int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (cgroup_test_root ? O_CREAT : 0);

        d->procs_fd = openat(d->dir_fd, "cgroup.procs", flags, 0644);
        if (d->procs_fd < 0)
                return fail(ret_error, -errno, "cgroup: cannot open '%s/cgroup.procs'", d->path);
        return 0;
}

static int set_attr(RunDir *d, const char *name, const char *value, bool optional, char **ret_error) {
        int r = cgroup_write_attr(d->dir_fd, name, value);
        if (r == -ENOENT && optional)
                return 0;
        if (r < 0)
                return fail(ret_error, r, "cgroup: cannot write '%s' to '%s/%s'", value, d->path, name);
        return 0;
}

static int create_v2(Cgroup *c, const Limits *l, const char *run_id, char **ret_error) {
        _cleanup_free_ char *name = NULL;
        RunDir *d = &c->dirs[0];
        char buf[64];
        int r;

        r = v2_prepare(ret_error);
        if (r < 0)
                return r;
        if (asprintf(&name, "run-%s", run_id) < 0)
                return -ENOMEM;
        c->n = 1;
        r = run_dir_make(d, cgroup_layout.v2_dir, cgroup_layout.v2_path, name, NULL, ret_error);
        if (r < 0)
                return r;

        cgroup_format_limit(buf, sizeof buf, l->memory_max);
        r = set_attr(d, "memory.max", buf, false, ret_error);
        if (r < 0)
                return r;
        if (l->memory_max > 0) {
                /* Swap would let a run exceed memory_max unseen; absent without swap accounting. */
                r = set_attr(d, "memory.swap.max", "0", true, ret_error);
                if (r < 0)
                        return r;
        }
        /* An OOM kill takes the whole run, not one random process of it (kernel ≥ 4.19). */
        r = set_attr(d, "memory.oom.group", "1", true, ret_error);
        if (r < 0)
                return r;
        cgroup_format_limit(buf, sizeof buf, l->tasks_max);
        r = set_attr(d, "pids.max", buf, false, ret_error);
        if (r < 0)
                return r;
        if (l->cpu_max > 0 && cgroup_layout.v2_cpu) {
                snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64, l->cpu_max * CPU_PERIOD_USEC / 100,
                         CPU_PERIOD_USEC);
                /* optional, as in v1: a quota the kernel refuses costs the run its cpu_max only,
                 * which the report then lists as missing, never its memory and pids limits */
                c->cpu_limited = cgroup_write_attr(d->dir_fd, "cpu.max", buf) >= 0;
        }
        c->kill_index = c->memory_index = 0;
        return run_dir_open_procs(d, ret_error);
}

static void run_dir_done(RunDir *d, uint64_t deadline);

/* The v1 cpu directory of a run with its quota; on failure nothing is left of it. */
static int create_v1_cpu(RunDir *d, const Limits *l, const char *name) {
        char buf[64];
        int r;

        r = run_dir_make(d, cgroup_layout.v1_dir[V1_CPU], cgroup_layout.v1_path[V1_CPU], name,
                         cgroup_v1_controller[V1_CPU], NULL);
        if (r >= 0) {
                snprintf(buf, sizeof buf, "%" PRIu64, CPU_PERIOD_USEC);
                r = set_attr(d, "cpu.cfs_period_us", buf, false, NULL);
        }
        if (r >= 0) {
                snprintf(buf, sizeof buf, "%" PRIu64, l->cpu_max * CPU_PERIOD_USEC / 100);
                r = set_attr(d, "cpu.cfs_quota_us", buf, false, NULL);
        }
        if (r >= 0)
                r = run_dir_open_procs(d, NULL);
        if (r < 0)
                run_dir_done(d, now_usec() + CLEANUP_USEC);
        return r;
}

/* v1 has no memory.oom.group: its OOM killer ends one process of the run, and the rest run on,
 * the main process too, which could then exit 0 with a result the killed one never gave. The
 * memory cgroup's OOM event (an eventfd registered in cgroup.event_control for
 * memory.oom_control) wakes the supervisor, which kills the rest once memory.oom_control counts
 * the kill (the event comes first, and for an ancestor's OOM too, whose victim may be no process
 * of the run). Where the kernel takes no such event, the run is as before: -1. The registration
 * holds until the eventfd is closed or the cgroup removed. */
static int v1_oom_event_fd(RunDir *d) {
        _cleanup_close_ int efd = -1, ofd = -1;
        char buf[64];

        if (cgroup_test_root)
                return -1; /* a plain file takes any text: nothing would ever fire */
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        ofd = openat(d->dir_fd, "memory.oom_control", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (efd < 0 || ofd < 0)
                return -1;
        snprintf(buf, sizeof buf, "%d %d", efd, ofd);
        if (cgroup_write_attr(d->dir_fd, "cgroup.event_control", buf) < 0)
                return -1;
        return TAKE_FD(efd);
}

static int create_v1(Cgroup *c, const Limits *l, const char *run_id, char **ret_error) {
        _cleanup_free_ char *name = NULL;
        char buf[64];
        int r;

        if (asprintf(&name, "skillrun-run-%s", run_id) < 0)
                return -ENOMEM;

        for (int i = 0; i < _V1_MAX; i++) {
                if (!cgroup_layout.v1_dir[i])
                        continue;
                if (i == V1_CPU) {
                        /* last, and optional: a quota this hierarchy refuses (v1 takes none above
                         * an ancestor's, where v2 would just apply the lower one) or a cpu cgroup
                         * that cannot be made costs the run its cpu_max only, which the report
                         * then lists as missing, never its memory and pids limits */
                        if (l->cpu_max > 0 && create_v1_cpu(&c->dirs[c->n], l, name) >= 0) {
                                c->n++;
                                c->cpu_limited = true;
                        }
                        continue;
                }

                RunDir *d = &c->dirs[c->n++];
                r = run_dir_make(d, cgroup_layout.v1_dir[i], cgroup_layout.v1_path[i], name, cgroup_v1_controller[i], ret_error);
                if (r < 0)
                        return r;

                switch (i) {
                case V1_MEMORY:
                        c->memory_index = (int) (d - c->dirs);
                        c->oom_event_fd = v1_oom_event_fd(d);
                        if (l->memory_max == 0)
                                break;
                        cgroup_format_limit(buf, sizeof buf, l->memory_max);
                        r = set_attr(d, "memory.limit_in_bytes", buf, false, ret_error);
                        if (r < 0)
                                return r;
                        /* memory+swap, so swap cannot stretch the limit (must be ≥ the above, so second);
                         * absent when the kernel has no swap accounting. */
                        r = set_attr(d, "memory.memsw.limit_in_bytes", buf, true, ret_error);
                        if (r < 0)
                                return r;
                        break;
                case V1_PIDS:
                        c->kill_index = (int) (d - c->dirs);
                        cgroup_format_limit(buf, sizeof buf, l->tasks_max);
                        r = set_attr(d, "pids.max", buf, false, ret_error);
                        if (r < 0)
                                return r;
                        break;
                }
                r = run_dir_open_procs(d, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_create(const Limits *l, const char *run_id, Cgroup **ret, char **ret_error) {
        _cleanup_cgroup_free_ Cgroup *c = NULL;
        CgroupMode mode;
        int r;

        if (!l || !ret)
                return -EINVAL;
        if (!cgroup_run_id_valid(run_id))
                return fail(ret_error, -EINVAL, "cgroup: invalid run id '%s'", strempty(run_id));

        mode = cgroup_detect();
        if (mode == CGROUP_MODE_NONE) {
                *ret = NULL;
                return 0;
        }

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->mode = mode;
        c->oom_event_fd = -1;
        for (int i = 0; i < _V1_MAX; i++)
                c->dirs[i].dir_fd = c->dirs[i].procs_fd = -1;

        r = mode == CGROUP_MODE_DELEGATED ? create_v2(c, l, run_id, ret_error)
                                          : create_v1(c, l, run_id, ret_error);
        if (r < 0)
                return r;
        *ret = steal_pointer(&c);
        return 0;
}

int cgroup_adopt_for_test(const char *dir, const char *cg_path, Cgroup **ret) {
        Cgroup *c = calloc(1, sizeof *c);
        RunDir *d;
        int r;

        if (!c)
                return -ENOMEM;
        for (int i = 0; i < _V1_MAX; i++)
                c->dirs[i].dir_fd = c->dirs[i].procs_fd = -1;
        c->mode = CGROUP_MODE_DELEGATED;
        c->oom_event_fd = -1;
        c->n = 1;
        d = &c->dirs[0];
        d->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = d->dir_fd < 0 ? -errno : run_dir_open_procs(d, NULL);
        if (r >= 0 && (!(d->path = strdup(dir)) || !(d->cg_path = strdup(cg_path))))
                r = -ENOMEM;
        if (r < 0) {
                /* not cgroup_free(): that would kill what dir holds and remove it */
                closep(&d->procs_fd);
                closep(&d->dir_fd);
                free(d->path);
                free(d->cg_path);
                free(c);
                return r;
        }
        *ret = c;
        return 0;
}

CgroupMode cgroup_mode(const Cgroup *c) {
        return c ? c->mode : CGROUP_MODE_NONE;
}

int cgroup_dir_fd(const Cgroup *c) {
        return c && c->mode == CGROUP_MODE_DELEGATED ? c->dirs[0].dir_fd : -1;
}

int cgroup_oom_event_fd(const Cgroup *c) {
        return c ? c->oom_event_fd : -1;
}

bool cgroup_cpu_limited(const Cgroup *c) {
        return c && c->cpu_limited;
}

const char *cgroup_path(const Cgroup *c, unsigned i) {
        return c && i < c->n ? c->dirs[i].path : NULL;
}

int cgroup_attach_child(const Cgroup *c) {
        if (!c)
                return 0;
        for (unsigned i = 0; i < c->n; i++) {
                ssize_t k = write(c->dirs[i].procs_fd, "0", 1);
                if (k < 0)
                        return -errno;
                if (k != 1)
                        return -EIO;
        }
        return 0;
}

/* Is pid (still) in our run cgroup? Checked after pidfd_open(), so the answer holds for the
 * process the pidfd names even if the number is reused later. */
static bool pid_in_cgroup(pid_t pid, const RunDir *d) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        char proc[64];

        snprintf(proc, sizeof proc, "/proc/%d/cgroup", (int) pid);
        if (read_full_file(proc, PROC_FILE_MAX, &text, NULL) < 0)
                return false;
        if (cgroup_parse_proc_cgroup(text, d->controller, &path) < 0)
                return false;
        return streq(path, d->cg_path);
}

/* Returns whether a SIGKILL went out. */
static bool kill_pid(pid_t pid, const RunDir *d) {
        _cleanup_close_ int pidfd = pidfd_open_compat(pid);
        if (pidfd >= 0) {
                if (!pid_in_cgroup(pid, d))
                        return false;
                if (pidfd_signal(pidfd, SIGKILL) >= 0)
                        return true;
                /* Refused by a seccomp filter that knows pidfd_open(2) but not this call (EPERM, or
                 * ENOSYS), as supervise.c's kill_subtree() meets it: by number, but only while the
                 * process has not ended, until when the number is its own. ESRCH: ended already. */
                return !pidfd_ended(pidfd) && kill(pid, SIGKILL) >= 0;
        }
        if (errno == ESRCH)
                return false; /* gone already */
        /* Kernels before 5.3 (ENOSYS), a seccomp filter that does not know pidfd_open (EPERM, as
         * the unit's SystemCallErrorNumber= answers), no fd left (EMFILE): a pid read from
         * cgroup.procs could in theory be reused before the kill; the window is the few
         * microseconds between the read and here. */
        return kill(pid, SIGKILL) >= 0;
}

/* SIGKILL every process listed in cgroup.procs until none is left that we may kill, or the
 * deadline. Without a freezer a forking process can add pids between the read and the kill,
 * hence the loop; pids.max bounds them. A listed process that is not ours to kill (in v1, a
 * thread moved here alone lists its process) does not keep the loop going. */
static void kill_loop(const RunDir *d, uint64_t deadline) {
        for (;;) {
                _cleanup_close_ int fd = openat(d->dir_fd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOCTTY);
                _cleanup_free_ char *text = NULL;
                bool any = false;

                if (fd < 0 || read_full_fd(fd, PROC_FILE_MAX, &text, NULL) < 0)
                        return;
                for (char *p = text; *p;) {
                        char *end;
                        long pid = strtol(p, &end, 10);
                        if (end == p)
                                break;
                        if (pid > 0 && pid != getpid() && kill_pid((pid_t) pid, d))
                                any = true;
                        p = end + strspn(end, "\n");
                }
                if (!any || now_usec() >= deadline)
                        return;
                sleep_retry();
        }
}

/* Child cgroups inside a run cgroup: a skill that may write there (policy "none" in a delegated
 * tree) makes them, or a container tool it runs does, and may move processes into them. They
 * are followed this deep; a deeper tree stays (its processes too, unless the supervisor's kill
 * of the skill's descendants got them), and the run cgroup with it, logged. */
#define SUBTREE_DEPTH_MAX 16

typedef bool (*ChildFn)(const RunDir *parent, const RunDir *child, const char *name, bool all_below, uint64_t deadline);

/* Calls fn for each child cgroup of d, deepest level first; all_below says whether fn went well
 * for everything below that child. kernfs counts a directory's subdirectories in its link count,
 * so a cgroup without any, the usual case, costs one fstat. Returns false if some child was not
 * visited or fn failed for one. */
static bool for_each_child(const RunDir *d, unsigned depth, uint64_t deadline, ChildFn fn) {
        struct stat st;
        struct dirent *de;
        bool all = true;
        DIR *dir;
        int fd;

        if (fstat(d->dir_fd, &st) >= 0 && st.st_nlink == 2)
                return true;
        if (depth >= SUBTREE_DEPTH_MAX)
                return false;
        fd = openat(d->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return false;
        dir = fdopendir(fd);
        if (!dir) {
                close(fd);
                return false;
        }
        while ((de = readdir(dir))) {
                _cleanup_free_ char *cg_path = NULL;

                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                cg_path = cgroup_path_join(d->cg_path, de->d_name);
                if (!cg_path) {
                        all = false;
                        break;
                }
                RunDir sub = {
                        .cg_path = cg_path,
                        .controller = d->controller,
                        .dir_fd = openat(d->dir_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
                        .procs_fd = -1,
                };
                if (sub.dir_fd < 0) {
                        all = all && errno == ENOENT;
                        continue;
                }
                bool below = for_each_child(&sub, depth + 1, deadline, fn);
                if (!fn(d, &sub, de->d_name, below, deadline) || !below)
                        all = false;
                close(sub.dir_fd);
        }
        closedir(dir);
        return all;
}

static bool kill_child(const RunDir *parent, const RunDir *child, const char *name, bool all_below, uint64_t deadline) {
        kill_loop(child, deadline);
        return true;
}

/* The run's processes in d's hierarchy, wherever in its subtree they moved. */
static void kill_tree(const RunDir *d, uint64_t deadline) {
        (void) for_each_child(d, 0, deadline, kill_child);
        kill_loop(d, deadline);
}

void cgroup_kill(Cgroup *c) {
        uint64_t deadline = now_usec() + CLEANUP_USEC;

        if (!c || c->n == 0)
                return;
        RunDir *d = &c->dirs[c->kill_index];
        /* v2: recursive, and no process can slip away in between */
        if (c->mode == CGROUP_MODE_DELEGATED && cgroup_write_attr(d->dir_fd, "cgroup.kill", "1") >= 0)
                return;
        kill_tree(d, deadline);
}

void cgroup_collect(Cgroup *c, bool *ret_oom, uint64_t *ret_peak_bytes) {
        char text[1024];
        uint64_t kills = 0, peak = 0;

        if (c && c->n > 0) {
                RunDir *d = &c->dirs[c->memory_index];
                bool v2 = c->mode == CGROUP_MODE_DELEGATED;

                if (cgroup_read_attr(d->dir_fd, v2 ? "memory.events" : "memory.oom_control", text, sizeof text) >= 0)
                        (void) cgroup_keyed_u64(text, "oom_kill", &kills);
                const char *peak_file = v2 ? "memory.peak" : "memory.max_usage_in_bytes";

                /* not while the run goes on: supervise_run()'s OOM watch asks for the count alone */
                if (ret_peak_bytes && cgroup_read_attr(d->dir_fd, peak_file, text, sizeof text) >= 0)
                        peak = strtoull(text, NULL, 10);
        }
        if (ret_oom)
                *ret_oom = kills > 0;
        if (ret_peak_bytes)
                *ret_peak_bytes = peak;
}

/* rmdir, retried while the kernel says EBUSY (the killed have not all exited yet) until the
 * deadline; once it has passed, one try. */
static int rmdir_retrying(int dir_fd, const char *name, uint64_t deadline) {
        for (;;) {
                if (unlinkat(dir_fd, name, AT_REMOVEDIR) >= 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || now_usec() >= deadline)
                        return negative_errno();
                sleep_retry();
        }
}

static bool remove_child(const RunDir *parent, const RunDir *child, const char *name, bool all_below, uint64_t deadline) {
        /* with children left it cannot go: one try, no waiting */
        return rmdir_retrying(parent->dir_fd, name, all_below ? deadline : 0) >= 0;
}

/* The run cgroup and whatever the run made inside it, deepest first; what stays behind is logged
 * for the operator. */
static void remove_run_dir(RunDir *d, uint64_t deadline) {
        int r;

        if (cgroup_test_root)
                r = rm_rf(d->path);
        else if (d->dir_fd >= 0 && !for_each_child(d, 0, deadline, remove_child))
                r = (rmdir(d->path) >= 0 || errno == ENOENT) ? 0 : negative_errno();
        else
                r = rmdir_retrying(AT_FDCWD, d->path, deadline);
        if (r < 0)
                log_warning_errno(r, "Cannot remove run cgroup %s, left behind: %m", d->path);
}

/* Closes and removes a run directory, made whole or in part, and leaves it as new. */
static void run_dir_done(RunDir *d, uint64_t deadline) {
        if (d->procs_fd >= 0)
                close(d->procs_fd);
        if (d->path)
                remove_run_dir(d, deadline);
        if (d->dir_fd >= 0)
                close(d->dir_fd);
        free(d->path);
        free(d->cg_path);
        *d = (RunDir) { .dir_fd = -1, .procs_fd = -1 };
}

Cgroup *cgroup_free(Cgroup *c) {
        uint64_t deadline = now_usec() + CLEANUP_USEC;

        if (!c)
                return NULL;
        if (c->mode == CGROUP_MODE_DELEGATED)
                cgroup_kill(c);
        /* in every hierarchy before any rmdir: in v1 a process may have moved into a child of
         * one run cgroup and stay in another's root, which would then wait for it in vain; in
         * v2, cgroup.kill took them all, and this waits until they are gone */
        for (unsigned i = 0; i < c->n; i++)
                if (c->dirs[i].dir_fd >= 0)
                        kill_tree(&c->dirs[i], deadline);
        for (unsigned i = 0; i < c->n; i++)
                run_dir_done(&c->dirs[i], deadline);
        if (c->oom_event_fd >= 0)
                close(c->oom_event_fd);
        free(c);
        return NULL;
}
