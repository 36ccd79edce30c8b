/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>

#include "cgroup-internal.h"
#include "log.h"
#include "util.h"

/* cpu.max / cfs period; cpu_max is a percentage of one CPU, so quota = cpu_max * period / 100. */
#define CPU_PERIOD_USEC UINT64_C(100000)
/* /proc/self/mountinfo can be long on hosts with many mounts; cgroup.procs of a run is bounded
 * by pids.max but the fallback loop should still cope with a big one. */
#define PROC_FILE_MAX (UINT64_C(4) << 20)
/* Rounds of "read cgroup.procs, SIGKILL each pid" before cgroup_kill() gives up (~1 s). */
#define KILL_ROUNDS 1000
/* rmdir() of a cgroup fails with EBUSY until its killed processes have exited (~1 s). */
#define RMDIR_TRIES 1000
#define RETRY_SLEEP_NSEC 1000000L

enum { V1_MEMORY, V1_PIDS, V1_CPU, _V1_MAX };
static const char *const v1_controller[_V1_MAX] = {
        [V1_MEMORY] = "memory",
        [V1_PIDS] = "pids",
        [V1_CPU] = "cpu",
};

/* What cgroup_detect() found, for the life of the process. */
typedef struct Layout {
        bool probed;
        CgroupMode mode;
        char *v2_dir;       /* delegated: our cgroup (the parent of "worker/" once we moved) */
        char *v2_path;      /* the same as /proc/self/cgroup names it */
        bool v2_cpu;        /* cpu in its cgroup.controllers */
        bool v2_in_leaf;    /* we already live in v2_dir/worker */
        bool v2_ready;      /* ... and the controllers are enabled in v2_dir */
        bool v2_self_listed; /* our pid is in its cgroup.procs: v2_dir is surely ours */
        char *v1_dir[_V1_MAX];  /* our v1 cgroup directory per controller, NULL if unusable */
        char *v1_path[_V1_MAX]; /* the same as /proc/self/cgroup names it */
        char *notes;        /* why better layouts are not usable, one line each */
        char *self_cgroup;  /* /proc/self/cgroup and mountinfo as probed, for cgroup_own_oom_kills() */
        char *mountinfo;
        bool by_statmount;  /* found without reading /proc/self/mountinfo */
} Layout;

static Layout layout = {};
static char *test_root = NULL;
static bool test_mountinfo_only = false;

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

_printf_(1, 2) static void note(const char *fmt, ...) {
        _cleanup_free_ char *line = NULL;
        char *joined;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                line = NULL;
        va_end(ap);
        if (!line)
                return;
        if (asprintf(&joined, "%s%s\n", strempty(layout.notes), line) < 0)
                return;
        free(layout.notes);
        layout.notes = joined;
}

/* A path of the (possibly fake) system. */
static char *sys_path(const char *p) {
        char *s;

        if (!test_root)
                return strdup(p);
        if (asprintf(&s, "%s%s", test_root, p) < 0)
                return NULL;
        return s;
}

static int read_sys_file(const char *p, char **ret) {
        _cleanup_free_ char *full = sys_path(p);
        if (!full)
                return -ENOMEM;
        return read_full_file(full, PROC_FILE_MAX, ret, NULL);
}

/* Small cgroup attribute files; NUL-terminated, returns the length. */
static int read_attr(int dirfd, const char *name, char *buf, size_t size) {
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

static int read_attr_path(const char *dir, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return read_attr(fd, name, buf, size);
}

/* One write(): cgroupfs takes each write as one command, so no loop_write(). */
static int write_attr(int dirfd, const char *name, const char *value) {
        int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (test_root ? O_CREAT | O_TRUNC : 0);
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

/* Are all processes listed in dir/cgroup.procs us? 2: yes, and we are listed; 1: nobody is
 * listed; 0: *ret_other is the first other pid. */
static int cgroup_alone(const char *dir, pid_t *ret_other) {
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        bool seen = false;
        int r;

        if (dfd < 0)
                return -errno;
        fd = openat(dfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = read_full_fd(fd, PROC_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        for (char *p = text; *p;) {
                char *end;
                long pid = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (pid != getpid()) {
                        *ret_other = (pid_t) pid;
                        return 0;
                }
                seen = true;
                p = end + strspn(end, "\n");
        }
        *ret_other = 0;
        return seen ? 2 : 1;
}

static void probe_v2(const char *self_cgroup, const char *mountinfo) {
        _cleanup_free_ char *found = NULL, *path = NULL, *dir = NULL, *base = NULL;
        char controllers[512];
        const char *last;
        pid_t other = 0;
        int r;

        r = cgroup_find_dir(self_cgroup, mountinfo, NULL, &found, &path);
        if (r < 0) {
                note("cgroup v2: no cgroup2 mount shows our cgroup");
                return;
        }
        dir = sys_path(found);
        if (!dir)
                return;

        /* A worker that already moved itself into "<unit cgroup>/worker" (a second probe after
         * a reset) keeps using the unit's cgroup as the base. Unit cgroups end in .service/.scope,
         * so a real base is never called "worker". */
        last = strrchr(path, '/');
        bool in_leaf = last && streq(last, "/worker") && last != path;
        base = in_leaf ? strndup(dir, strlen(dir) - strlen("/worker")) : strdup(dir);
        if (!base)
                return;

        r = read_attr_path(base, "cgroup.controllers", controllers, sizeof controllers);
        if (r < 0) {
                note("cgroup v2 '%s': cannot read cgroup.controllers: %s", base, strerror(-r));
                return;
        }
        controllers[strcspn(controllers, "\n")] = '\0';
        if (!cgroup_words_contain(controllers, "memory") || !cgroup_words_contain(controllers, "pids")) {
                note("cgroup v2 '%s': controllers '%s' lack memory and pids (not delegated to us)", base,
                     controllers);
                return;
        }

        /* mkdir for the run cgroups, cgroup.procs to move ourselves out, subtree_control. */
        static const char *const needed[] = { ".", "cgroup.procs", "cgroup.subtree_control" };
        for (size_t i = 0; i < ELEMENTSOF(needed); i++) {
                _cleanup_free_ char *p = cgroup_path_join(base, needed[i]);
                if (!p)
                        return;
                if (access(p, W_OK) < 0) {
                        note("cgroup v2 '%s': '%s' not writable (%s): no Delegate=yes?", base, needed[i],
                             strerror(errno));
                        return;
                }
        }

        /* Controllers can only be enabled in a cgroup without processes of its own, so we must be
         * able to move every one of them (just us) into the leaf. */
        r = cgroup_alone(dir, &other);
        if (r < 0) {
                note("cgroup v2 '%s': cannot read cgroup.procs: %s", dir, strerror(-r));
                return;
        }
        if (r == 0) {
                note("cgroup v2 '%s': shared with other processes (pid %d), not a delegated unit of our own",
                     dir, (int) other);
                return;
        }

        if (in_leaf)
                path[last - path] = '\0';
        layout.v2_dir = steal_pointer(&base);
        layout.v2_path = steal_pointer(&path);
        layout.v2_cpu = cgroup_words_contain(controllers, "cpu");
        layout.v2_in_leaf = in_leaf;
        layout.v2_self_listed = r == 2;
        layout.mode = CGROUP_MODE_DELEGATED;
}

static void probe_v1(const char *self_cgroup, const char *mountinfo) {
        for (int i = 0; i < _V1_MAX; i++) {
                _cleanup_free_ char *found = NULL, *path = NULL, *dir = NULL;
                int r;

                r = cgroup_find_dir(self_cgroup, mountinfo, v1_controller[i], &found, &path);
                if (r < 0) {
                        note("cgroup v1 %s: not mounted", v1_controller[i]);
                        continue;
                }
                dir = sys_path(found);
                if (!dir)
                        return;
                if (access(dir, W_OK) < 0) {
                        note("cgroup v1 %s '%s': not writable (%s)", v1_controller[i], dir, strerror(errno));
                        continue;
                }
                layout.v1_dir[i] = steal_pointer(&dir);
                layout.v1_path[i] = steal_pointer(&path);
        }
        if (layout.v1_dir[V1_MEMORY] && layout.v1_dir[V1_PIDS])
                layout.mode = CGROUP_MODE_V1;
}

static void layout_reset(void) {
        free(layout.v2_dir);
        free(layout.v2_path);
        for (int i = 0; i < _V1_MAX; i++) {
                free(layout.v1_dir[i]);
                free(layout.v1_path[i]);
        }
        free(layout.notes);
        free(layout.self_cgroup);
        free(layout.mountinfo);
        layout = (Layout) {};
}

/* statmount(2), Linux 6.8; not in older headers. */
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#define STATX_MNT_ID_UNIQUE_ 0x4000U
#define STATX_ATTR_MOUNT_ROOT_ 0x2000
#define STATMOUNT_MNT_ROOT_ 0x8U
#define STATMOUNT_MNT_POINT_ 0x10U
#define STATMOUNT_FS_TYPE_ 0x20U
#define STATMOUNT_MNT_OPTS_ 0x80U

typedef struct MountIdReq {
        uint32_t size, spare;
        uint64_t mnt_id, param;
} MountIdReq;

typedef struct StatMount {
        uint32_t size, mnt_opts;
        uint64_t mask;
        uint32_t sb_dev_major, sb_dev_minor;
        uint64_t sb_magic;
        uint32_t sb_flags, fs_type;
        uint64_t mnt_id, mnt_parent_id;
        uint32_t mnt_id_old, mnt_parent_id_old;
        uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
        uint32_t mnt_root, mnt_point;
        uint64_t mnt_ns_id;
        uint64_t spare[49];
        char str[];
} StatMount;

/* The mountinfo lines of the cgroup mounts at their usual places, from statmount(2): rendering
 * all of /proc/self/mountinfo costs 50–130 µs on the test VM (more under a unit's sandboxing
 * mounts), a statmount ≈ 8 µs. -EOPNOTSUPP when the kernel (or a seccomp filter) says no, or a
 * name would need mountinfo's escaping: the caller reads the real thing. */
static int mountinfo_usual(char **ret, bool *ret_unified) {
        /* the hybrid layout's unified mount last: with memory and pids on v1 mounts, v2 cannot
         * hold them and is not looked at */
        static const char *const points[] = {
                "/sys/fs/cgroup", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpu",
                "/sys/fs/cgroup/unified",
        };
        bool v1_memory = false, v1_pids = false;
        _cleanup_free_ char *text = NULL;
        union {
                StatMount sm;
                char buf[4096];
        } u;

        struct statfs sfs;
        /* cgroup2 at /sys/fs/cgroup itself: unified, nothing else to look at */
        bool unified = statfs(points[0], &sfs) >= 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;

        for (size_t i = unified ? 0 : 1; i < (unified ? 1 : ELEMENTSOF(points)); i++) {
                struct statx stx;
                MountIdReq req = { .size = 24, .param = STATMOUNT_MNT_ROOT_ | STATMOUNT_MNT_POINT_ |
                                                         STATMOUNT_FS_TYPE_ | STATMOUNT_MNT_OPTS_ };
                const char *root, *point, *type, *opts;
                char *joined;

                if (streq(points[i], "/sys/fs/cgroup/unified") && v1_memory && v1_pids)
                        break;

                if (statx(AT_FDCWD, points[i], 0, STATX_MNT_ID_UNIQUE_, &stx) < 0 ||
                    !(stx.stx_mask & STATX_MNT_ID_UNIQUE_) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT_))
                        continue; /* not a mount point here (a kernel before 6.8 lands here too) */
                req.mnt_id = stx.stx_mnt_id;
                if (syscall(__NR_statmount, &req, &u, sizeof(u), 0) < 0)
                        return errno == E2BIG || errno == EOVERFLOW || errno == ENOENT ? -EOPNOTSUPP : -errno;
                if ((u.sm.mask & (STATMOUNT_MNT_ROOT_ | STATMOUNT_MNT_POINT_ | STATMOUNT_FS_TYPE_)) !=
                    (STATMOUNT_MNT_ROOT_ | STATMOUNT_MNT_POINT_ | STATMOUNT_FS_TYPE_))
                        return -EOPNOTSUPP;
                root = u.sm.str + u.sm.mnt_root;
                point = u.sm.str + u.sm.mnt_point;
                type = u.sm.str + u.sm.fs_type;
                opts = u.sm.mask & STATMOUNT_MNT_OPTS_ ? u.sm.str + u.sm.mnt_opts : "";
                if (!streq(type, "cgroup") && !streq(type, "cgroup2"))
                        continue;
                if (strpbrk(root, " \t\n\\") || strpbrk(point, " \t\n\\") || strpbrk(opts, " \t\n\\"))
                        return -EOPNOTSUPP;
                if (streq(type, "cgroup")) {
                        v1_memory = v1_memory || cgroup_list_contains(opts, ',', "memory");
                        v1_pids = v1_pids || cgroup_list_contains(opts, ',', "pids");
                }
                /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS - FSTYPE SOURCE SUPEROPTIONS */
                if (asprintf(&joined, "%s0 0 0:0 %s %s rw - %s %s rw%s%s\n", strempty(text), root, point, type,
                             type, *opts ? "," : "", opts) < 0)
                        return -ENOMEM;
                free(text);
                text = joined;
        }
        if (!text)
                return -EOPNOTSUPP;
        *ret = steal_pointer(&text);
        *ret_unified = unified;
        return 0;
}

/* Good enough to skip /proc/self/mountinfo: a delegated v2 cgroup (cgroup_alone() found our pid
 * in it), or every v1 controller found. Anything less is looked for in the real mountinfo. */
static bool layout_complete(void) {
        if (layout.mode == CGROUP_MODE_DELEGATED)
                return layout.v2_self_listed;
        for (int i = 0; i < _V1_MAX; i++)
                if (!layout.v1_dir[i])
                        return false;
        return layout.mode == CGROUP_MODE_V1;
}

/* The layout from these texts: v2 (delegated) before v1, or v1 first where it is known to hold
 * memory and pids, since a controller lives in one hierarchy only. */
static void layout_fill(const char *self_cgroup, const char *mountinfo, bool v1_first) {
        if (v1_first)
                probe_v1(self_cgroup, mountinfo);
        if (layout.mode == CGROUP_MODE_NONE)
                probe_v2(self_cgroup, mountinfo);
        if (!v1_first && layout.mode == CGROUP_MODE_NONE)
                probe_v1(self_cgroup, mountinfo);
}

static void layout_probe(void) {
        _cleanup_free_ char *self_cgroup = NULL, *mountinfo = NULL;
        bool unified = false;
        int r;

        layout.probed = true;
        layout.mode = CGROUP_MODE_NONE;

        r = read_sys_file("/proc/self/cgroup", &self_cgroup);
        if (r < 0) {
                note("cannot read /proc/self/cgroup: %s", strerror(-r));
                return;
        }

        if (!test_root && !test_mountinfo_only && mountinfo_usual(&mountinfo, &unified) >= 0) {
                /* on a hybrid host, the v1 mounts first: with memory and pids there, v2 has
                 * neither, and its cgroup.controllers need not be read */
                layout_fill(self_cgroup, mountinfo, !unified);
                if (layout_complete()) {
                        layout.by_statmount = true;
                        goto keep;
                }
                /* anything less: from the real mountinfo, as if this had not happened */
                free(mountinfo);
                mountinfo = NULL;
                layout_reset();
                layout.probed = true;
        }

        r = read_sys_file("/proc/self/mountinfo", &mountinfo);
        if (r < 0) {
                note("cannot read /proc/self/mountinfo: %s", strerror(-r));
                return;
        }
        layout_fill(self_cgroup, mountinfo, false);
keep:
        layout.self_cgroup = steal_pointer(&self_cgroup);
        layout.mountinfo = steal_pointer(&mountinfo);
}

/* OOM kills counted in our own cgroup (the unit's), whether or not we may write to it: the
 * skill of a worker without a per-run cgroup dies by the unit's MemoryMax=, and only this
 * counter tells that SIGKILL apart from any other. v2 memory.events, else v1 oom_control. */
int cgroup_own_oom_kills(uint64_t *ret) {
        /* read before and after every run: find the file once, as mountinfo is costly to read */
        static char *cached_file = NULL;
        static const struct {
                const char *controller;
                const char *file;
        } sources[] = {
                { NULL, "memory.events" },
                { "memory", "memory.oom_control" },
        };
        int r;

        if (cached_file) {
                _cleanup_free_ char *text = NULL;
                r = read_sys_file(cached_file, &text);
                if (r < 0)
                        return r;
                return cgroup_keyed_u64(text, "oom_kill", ret) < 0 ? -ENODATA : 0;
        }
        /* the texts the layout probe read already: mountinfo is costly to render */
        (void) cgroup_detect();
        if (!layout.self_cgroup || !layout.mountinfo)
                return -ENODATA;
        for (size_t i = 0; i < ELEMENTSOF(sources); i++) {
                _cleanup_free_ char *found = NULL, *path = NULL, *file = NULL, *text = NULL;

                if (cgroup_find_dir(layout.self_cgroup, layout.mountinfo, sources[i].controller, &found, &path) < 0)
                        continue;
                file = cgroup_path_join(found, sources[i].file);
                if (!file)
                        return -ENOMEM;
                if (read_sys_file(file, &text) < 0)
                        continue;
                if (cgroup_keyed_u64(text, "oom_kill", ret) >= 0) {
                        cached_file = steal_pointer(&file);
                        return 0;
                }
        }
        return -ENODATA;
}

CgroupMode cgroup_detect(void) {
        if (!layout.probed)
                layout_probe();
        return layout.mode;
}

int cgroup_set_root_for_test(const char *root) {
        char *copy = NULL;

        if (root) {
                copy = strdup(root);
                if (!copy)
                        return -ENOMEM;
        }
        free(test_root);
        test_root = copy;
        layout_reset();
        return 0;
}

int cgroup_probe_for_test(bool mountinfo_only, bool *ret_by_statmount) {
        test_mountinfo_only = mountinfo_only;
        layout_reset();
        (void) cgroup_detect();
        if (ret_by_statmount)
                *ret_by_statmount = layout.by_statmount;
        return 0;
}

int cgroup_describe(char **ret) {
        _cleanup_free_ char *head = NULL;
        char *s;
        int r;

        switch (cgroup_detect()) {
        case CGROUP_MODE_DELEGATED:
                r = asprintf(&head, "mode: delegated (cgroup v2)\ncgroup: %s (controllers: memory pids%s)\n",
                             layout.v2_dir, layout.v2_cpu ? " cpu" : "");
                break;
        case CGROUP_MODE_V1:
                r = asprintf(&head, "mode: v1 (cgroup v1 hierarchies)\nmemory: %s\npids: %s\ncpu: %s\n",
                             layout.v1_dir[V1_MEMORY], layout.v1_dir[V1_PIDS],
                             layout.v1_dir[V1_CPU] ?: "(not usable: cpu_max not enforced)");
                break;
        default:
                r = asprintf(&head, "mode: rlimit (no writable cgroup: memory, tasks and cpu limited by "
                                    "RLIMIT_AS, RLIMIT_NPROC, RLIMIT_CPU)\n");
                break;
        }
        if (r < 0)
                return -ENOMEM;
        if (asprintf(&s, "%s%s%s", head, layout.notes ? "not used:\n" : "", strempty(layout.notes)) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* The delegated parent, once per process: move ourselves into the leaf "worker", then enable the
 * controllers for our children (the order the no-internal-process rule demands). */
static int v2_prepare(char **ret_error) {
        _cleanup_close_ int base = -1;
        char cur[256], want[64] = "";
        int r;

        if (layout.v2_ready)
                return 0;
        base = open(layout.v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base < 0)
                return fail(ret_error, -errno, "cgroup: cannot open '%s'", layout.v2_dir);

        if (!layout.v2_in_leaf) {
                _cleanup_close_ int leaf = -1;

                if (mkdirat(base, "worker", 0755) < 0 && errno != EEXIST)
                        return fail(ret_error, -errno, "cgroup: cannot create '%s/worker'", layout.v2_dir);
                leaf = openat(base, "worker", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (leaf < 0)
                        return fail(ret_error, -errno, "cgroup: cannot open '%s/worker'", layout.v2_dir);
                r = write_attr(leaf, "cgroup.procs", "0");
                if (r < 0)
                        return fail(ret_error, r, "cgroup: cannot move the worker into '%s/worker'",
                                    layout.v2_dir);
                layout.v2_in_leaf = true;
        }

        r = read_attr(base, "cgroup.subtree_control", cur, sizeof cur);
        if (r < 0 && !(test_root && r == -ENOENT))
                return fail(ret_error, r, "cgroup: cannot read '%s/cgroup.subtree_control'", layout.v2_dir);
        if (r < 0)
                cur[0] = '\0';
        static const char *const wanted[] = { "memory", "pids", "cpu" };
        for (size_t i = 0; i < ELEMENTSOF(wanted); i++) {
                if (streq(wanted[i], "cpu") && !layout.v2_cpu)
                        continue;
                if (cgroup_words_contain(cur, wanted[i]))
                        continue;
                strcat(want, want[0] ? " +" : "+");
                strcat(want, wanted[i]);
        }
        if (want[0]) {
                r = write_attr(base, "cgroup.subtree_control", want);
                if (r < 0)
                        return fail(ret_error, r, "cgroup: cannot enable '%s' in '%s/cgroup.subtree_control'",
                                    want, layout.v2_dir);
        }
        layout.v2_ready = true;
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
        int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (test_root ? O_CREAT : 0);

        d->procs_fd = openat(d->dir_fd, "cgroup.procs", flags, 0644);
        if (d->procs_fd < 0)
                return fail(ret_error, -errno, "cgroup: cannot open '%s/cgroup.procs'", d->path);
        return 0;
}

static int set_attr(RunDir *d, const char *name, const char *value, bool optional, char **ret_error) {
        int r = write_attr(d->dir_fd, name, value);
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
        r = run_dir_make(d, layout.v2_dir, layout.v2_path, name, NULL, ret_error);
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
        if (l->cpu_max > 0 && layout.v2_cpu) {
                snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64, l->cpu_max * CPU_PERIOD_USEC / 100,
                         CPU_PERIOD_USEC);
                r = set_attr(d, "cpu.max", buf, false, ret_error);
                if (r < 0)
                        return r;
                c->cpu_limited = true;
        }
        c->kill_index = c->memory_index = 0;
        return run_dir_open_procs(d, ret_error);
}

static int create_v1(Cgroup *c, const Limits *l, const char *run_id, char **ret_error) {
        _cleanup_free_ char *name = NULL;
        char buf[64];
        int r;

        if (asprintf(&name, "skillrun-run-%s", run_id) < 0)
                return -ENOMEM;

        for (int i = 0; i < _V1_MAX; i++) {
                if (!layout.v1_dir[i])
                        continue;
                if (i == V1_CPU && l->cpu_max == 0)
                        continue;

                RunDir *d = &c->dirs[c->n++];
                r = run_dir_make(d, layout.v1_dir[i], layout.v1_path[i], name, v1_controller[i], ret_error);
                if (r < 0)
                        return r;

                switch (i) {
                case V1_MEMORY:
                        c->memory_index = (int) (d - c->dirs);
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
                case V1_CPU:
                        snprintf(buf, sizeof buf, "%" PRIu64, CPU_PERIOD_USEC);
                        r = set_attr(d, "cpu.cfs_period_us", buf, false, ret_error);
                        if (r < 0)
                                return r;
                        snprintf(buf, sizeof buf, "%" PRIu64, l->cpu_max * CPU_PERIOD_USEC / 100);
                        r = set_attr(d, "cpu.cfs_quota_us", buf, false, ret_error);
                        if (r < 0)
                                return r;
                        c->cpu_limited = true;
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
        for (int i = 0; i < _V1_MAX; i++)
                c->dirs[i].dir_fd = c->dirs[i].procs_fd = -1;

        r = mode == CGROUP_MODE_DELEGATED ? create_v2(c, l, run_id, ret_error)
                                          : create_v1(c, l, run_id, ret_error);
        if (r < 0)
                return r;
        *ret = steal_pointer(&c);
        return 0;
}

CgroupMode cgroup_mode(const Cgroup *c) {
        return c ? c->mode : CGROUP_MODE_NONE;
}

int cgroup_dir_fd(const Cgroup *c) {
        return c && c->mode == CGROUP_MODE_DELEGATED ? c->dirs[0].dir_fd : -1;
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

static void kill_pid(pid_t pid, const RunDir *d) {
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd >= 0) {
                if (pid_in_cgroup(pid, d))
                        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                return;
        }
        if (errno != ENOSYS)
                return; /* ESRCH: gone already */
#endif
        /* Kernels before 5.3: a pid read from cgroup.procs could in theory be reused before the
         * kill; the window is the few microseconds between the read and here. */
        (void) kill(pid, SIGKILL);
}

/* SIGKILL every process listed in cgroup.procs until none is left. Without a freezer a forking
 * process can add pids between the read and the kill, hence the loop; pids.max bounds them. */
static void kill_loop(const RunDir *d) {
        for (int round = 0; round < KILL_ROUNDS; round++) {
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
                        if (pid > 0 && pid != getpid()) {
                                kill_pid((pid_t) pid, d);
                                any = true;
                        }
                        p = end + strspn(end, "\n");
                }
                if (!any)
                        return;
                sleep_retry();
        }
}

void cgroup_kill(Cgroup *c) {
        if (!c || c->n == 0)
                return;
        RunDir *d = &c->dirs[c->kill_index];
        if (c->mode == CGROUP_MODE_DELEGATED && write_attr(d->dir_fd, "cgroup.kill", "1") >= 0)
                return;
        kill_loop(d);
}

bool cgroup_only_one_task(const Cgroup *c) {
        char text[32];

        if (!c || c->n == 0)
                return false;
        /* v2: the one directory; v1: the pids hierarchy's */
        return read_attr(c->dirs[c->kill_index].dir_fd, "pids.current", text, sizeof text) >= 0 &&
               streq(text, "1\n");
}

void cgroup_collect(Cgroup *c, bool *ret_oom, uint64_t *ret_peak_bytes) {
        char text[1024];
        uint64_t kills = 0, peak = 0;

        if (c && c->n > 0) {
                RunDir *d = &c->dirs[c->memory_index];
                bool v2 = c->mode == CGROUP_MODE_DELEGATED;

                if (read_attr(d->dir_fd, v2 ? "memory.events" : "memory.oom_control", text, sizeof text) >= 0)
                        (void) cgroup_keyed_u64(text, "oom_kill", &kills);
                const char *peak_file = v2 ? "memory.peak" : "memory.max_usage_in_bytes";

                if (read_attr(d->dir_fd, peak_file, text, sizeof text) >= 0)
                        peak = strtoull(text, NULL, 10);
        }
        if (ret_oom)
                *ret_oom = kills > 0;
        if (ret_peak_bytes)
                *ret_peak_bytes = peak;
}

/* rmdir, retried while the kernel still says EBUSY (the last task's exit is not yet
 * complete); what stays behind is logged for the operator. */
static void remove_dir(const char *path) {
        int r = 0;

        if (test_root)
                r = rm_rf(path);
        else
                for (int i = 0; i < RMDIR_TRIES; i++) {
                        if (rmdir(path) >= 0 || errno == ENOENT) {
                                r = 0;
                                break;
                        }
                        r = negative_errno();
                        if (r != -EBUSY)
                                break;
                        sleep_retry();
                }
        if (r < 0)
                log_warning_errno(r, "Cannot remove run cgroup %s, left behind: %m", path);
}

Cgroup *cgroup_free(Cgroup *c) {
        if (!c)
                return NULL;
        cgroup_kill(c);
        for (unsigned i = 0; i < c->n; i++) {
                RunDir *d = &c->dirs[i];
                if (d->procs_fd >= 0)
                        close(d->procs_fd);
                if (d->dir_fd >= 0)
                        close(d->dir_fd);
                if (d->path)
                        remove_dir(d->path);
                free(d->path);
                free(d->cg_path);
        }
        free(c);
        return NULL;
}
