/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where per-run cgroups can go, probed once per process: a delegated cgroup v2 of our own, the
 * v1 memory/pids/cpu hierarchies below our cgroup, or nowhere (the rlimit fallback). cgroup.c
 * makes the per-run cgroups in what this finds. */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "cgroup-internal.h"
#include "util.h"

const char *const cgroup_v1_controller[_V1_MAX] = {
        [V1_MEMORY] = "memory",
        [V1_PIDS] = "pids",
        [V1_CPU] = "cpu",
};

CgroupLayout cgroup_layout = {};
char *cgroup_test_root = NULL;
static bool test_mountinfo_only = false;

/* A cgroup directory refused by its own permissions is refused through any mount of its
 * hierarchy (every mount reaches the same kernfs node, and cgroupfs cannot be idmapped); one
 * refused for another reason (EROFS: a read-only mount, as ProtectControlGroups= makes, with a
 * writable bind mount of the unit's subtree elsewhere) may not be. (An LSM profile denying by
 * path could also tell mounts apart; skillrun ships none.) */
static void refused(int error) {
        if (error != EACCES && error != EPERM)
                cgroup_layout.elsewhere = true;
}

/* No mount in these texts shows our cgroup of that hierarchy (controller NULL: v2). Another
 * mount might, unless /proc/self/cgroup does not name one we can reach at all (v1 controllers
 * on a cgroup2-only host, a cgroup outside our namespace). */
static void unseen(const char *self_cgroup, const char *controller) {
        _cleanup_free_ char *path = NULL;

        if (cgroup_parse_proc_cgroup(self_cgroup, controller, &path) != -ENOENT)
                cgroup_layout.elsewhere = true;
}

/* Whether the probe writes down why it did not use a layout, for cgroup_describe(): a worker
 * never reads them, and formatting them (strerror() among it) was most of its probe. */
static bool notes_wanted = false;

_printf_(1, 2) static void note(const char *fmt, ...) {
        _cleanup_free_ char *line = NULL;
        char *joined;
        va_list ap;

        if (!notes_wanted)
                return;
        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                line = NULL;
        va_end(ap);
        if (!line)
                return;
        if (asprintf(&joined, "%s%s\n", strempty(cgroup_layout.notes), line) < 0)
                return;
        free(cgroup_layout.notes);
        cgroup_layout.notes = joined;
}

/* A path of the (possibly fake) system. */
static char *sys_path(const char *p) {
        char *s;

        if (!cgroup_test_root)
                return strdup(p);
        if (asprintf(&s, "%s%s", cgroup_test_root, p) < 0)
                return NULL;
        return s;
}

static int read_sys_file(const char *p, char **ret) {
        _cleanup_free_ char *full = sys_path(p);
        if (!full)
                return -ENOMEM;
        return read_full_file(full, PROC_FILE_MAX, ret, NULL);
}

static int read_attr_path(const char *dir, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return cgroup_read_attr(fd, name, buf, size);
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
                unseen(self_cgroup, NULL);
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
                refused(-r);
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
                        int e = errno;
                        refused(e);
                        /* EROFS: delegated perhaps, but seen through a read-only mount */
                        note("cgroup v2 '%s': '%s' not writable (%s): %s", base, needed[i], strerror(e),
                             e == EROFS ? "a read-only mount of it (a container's /sys/fs/cgroup, or "
                                          "ProtectControlGroups= without ReadWritePaths= for it)"
                                        : "no Delegate=yes?");
                        return;
                }
        }

        /* Controllers can only be enabled in a cgroup without processes of its own, so we must be
         * able to move every one of them (just us) into the leaf. */
        r = cgroup_alone(dir, &other);
        if (r < 0) {
                refused(-r);
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
        cgroup_layout.v2_dir = steal_pointer(&base);
        cgroup_layout.v2_path = steal_pointer(&path);
        cgroup_layout.v2_cpu = cgroup_words_contain(controllers, "cpu");
        cgroup_layout.v2_in_leaf = in_leaf;
        cgroup_layout.v2_self_listed = r == 2;
        cgroup_layout.mode = CGROUP_MODE_DELEGATED;
}

static void probe_v1(const char *self_cgroup, const char *mountinfo) {
        for (int i = 0; i < _V1_MAX; i++) {
                _cleanup_free_ char *found = NULL, *path = NULL, *dir = NULL;
                int r;

                r = cgroup_find_dir(self_cgroup, mountinfo, cgroup_v1_controller[i], &found, &path);
                if (r < 0) {
                        unseen(self_cgroup, cgroup_v1_controller[i]);
                        note("cgroup v1 %s: not mounted", cgroup_v1_controller[i]);
                        continue;
                }
                dir = sys_path(found);
                if (!dir)
                        return;
                if (access(dir, W_OK) < 0) {
                        refused(errno);
                        note("cgroup v1 %s '%s': not writable (%s)", cgroup_v1_controller[i], dir, strerror(errno));
                        continue;
                }
                cgroup_layout.v1_dir[i] = steal_pointer(&dir);
                cgroup_layout.v1_path[i] = steal_pointer(&path);
        }
        if (cgroup_layout.v1_dir[V1_MEMORY] && cgroup_layout.v1_dir[V1_PIDS])
                cgroup_layout.mode = CGROUP_MODE_V1;
}

static void layout_reset(void) {
        free(cgroup_layout.v2_dir);
        free(cgroup_layout.v2_path);
        for (int i = 0; i < _V1_MAX; i++) {
                free(cgroup_layout.v1_dir[i]);
                free(cgroup_layout.v1_path[i]);
        }
        free(cgroup_layout.notes);
        free(cgroup_layout.self_cgroup);
        free(cgroup_layout.mountinfo);
        cgroup_layout = (CgroupLayout) {};
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
static int mountinfo_usual(char **ret, bool *ret_unified, bool *ret_v1_both) {
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
        *ret_v1_both = v1_memory && v1_pids;
        return 0;
}

/* An unprivileged worker on a v1 or hybrid host (an ordinary user behind systemd-socket-activate
 * or inetd) learns that it has no cgroup to use from two access() calls: where /proc/self/cgroup
 * puts our memory and pids cgroups below their usual mount points and both are refused by their
 * permissions, v1 cannot be used (refused through any mount, as refused() says), and v2 cannot
 * hold controllers v1 holds. statmount(2) would only confirm the mounts (≈ 30 µs a request on
 * the test VM). Anything else (a directory missing there, writable, or refused otherwise, as
 * EROFS) is probed in full. */
static bool v1_refused_at_usual_places(const char *self_cgroup) {
        static const int needed[] = { V1_MEMORY, V1_PIDS };
        char *dirs[ELEMENTSOF(needed)] = {};
        int errors[ELEMENTSOF(needed)];
        bool refused_all = true;

        for (size_t i = 0; refused_all && i < ELEMENTSOF(needed); i++) {
                const char *controller = cgroup_v1_controller[needed[i]];
                _cleanup_free_ char *path = NULL, *mount_point = NULL, *dir = NULL;

                refused_all = cgroup_parse_proc_cgroup(self_cgroup, controller, &path) >= 0 &&
                              asprintf(&mount_point, "/sys/fs/cgroup/%s", controller) >= 0 &&
                              (dir = cgroup_path_join(mount_point, path)) && (dirs[i] = sys_path(dir)) &&
                              access(dirs[i], W_OK) < 0 && (errno == EACCES || errno == EPERM);
                errors[i] = errno;
        }
        if (refused_all) {
                for (size_t i = 0; i < ELEMENTSOF(needed); i++)
                        note("cgroup v1 %s '%s': not writable (%s)", cgroup_v1_controller[needed[i]], dirs[i],
                             strerror(errors[i]));
                note("cgroup v2: holds neither memory nor pids (they are on v1)");
                /* the memory mount this assumed, for cgroup_own_oom_kills() (none without memory) */
                cgroup_layout.mountinfo = strdup("0 0 0:0 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
        }
        for (size_t i = 0; i < ELEMENTSOF(needed); i++)
                free(dirs[i]);
        return refused_all;
}

/* Good enough to skip /proc/self/mountinfo: a delegated v2 cgroup (cgroup_alone() found our pid
 * in it), or every v1 controller found. Anything less is looked for in the real mountinfo,
 * unless nothing but permissions stood in the way (refused()). */
static bool layout_complete(void) {
        if (cgroup_layout.mode == CGROUP_MODE_DELEGATED)
                return cgroup_layout.v2_self_listed;
        for (int i = 0; i < _V1_MAX; i++)
                if (!cgroup_layout.v1_dir[i])
                        return false;
        return cgroup_layout.mode == CGROUP_MODE_V1;
}

/* The layout from these texts: v2 (delegated) before v1, or v1 first where it is known to hold
 * memory and pids, since a controller lives in one hierarchy only; then v2 is not looked at
 * when the texts leave it out for that reason (v2_listed false). */
static void layout_fill(const char *self_cgroup, const char *mountinfo, bool v1_first, bool v2_listed) {
        if (v1_first)
                probe_v1(self_cgroup, mountinfo);
        if (cgroup_layout.mode == CGROUP_MODE_NONE) {
                if (v2_listed)
                        probe_v2(self_cgroup, mountinfo);
                else
                        note("cgroup v2: holds neither memory nor pids (they are on v1)");
        }
        if (!v1_first && cgroup_layout.mode == CGROUP_MODE_NONE)
                probe_v1(self_cgroup, mountinfo);
}

static void layout_probe(void) {
        _cleanup_free_ char *self_cgroup = NULL, *mountinfo = NULL;
        bool unified = false, v1_both = false;
        int r;

        cgroup_layout.probed = true;
        cgroup_layout.mode = CGROUP_MODE_NONE;

        r = read_sys_file("/proc/self/cgroup", &self_cgroup);
        if (r < 0) {
                note("cannot read /proc/self/cgroup: %s", strerror(-r));
                return;
        }

        if (!test_mountinfo_only && v1_refused_at_usual_places(self_cgroup)) {
                cgroup_layout.by_statmount = cgroup_layout.by_access = true;
                cgroup_layout.self_cgroup = steal_pointer(&self_cgroup);
                return;
        }

        if (!cgroup_test_root && !test_mountinfo_only && mountinfo_usual(&mountinfo, &unified, &v1_both) >= 0) {
                /* on a hybrid host, the v1 mounts first: with memory and pids there, v2 has
                 * neither, and its cgroup.controllers need not be read */
                layout_fill(self_cgroup, mountinfo, !unified, !v1_both);
                /* Nothing better to find when what is missing was refused by permissions alone:
                 * an unprivileged worker behind systemd-socket-activate or inetd is spared the
                 * mountinfo. (Under the unit, ProtectControlGroups= makes it EROFS: looked for.) */
                if (layout_complete() || (cgroup_layout.mode == CGROUP_MODE_NONE && !cgroup_layout.elsewhere)) {
                        cgroup_layout.by_statmount = true;
                        goto keep;
                }
                /* anything less: from the real mountinfo, as if this had not happened */
                free(mountinfo);
                mountinfo = NULL;
                layout_reset();
                cgroup_layout.probed = true;
        }

        r = read_sys_file("/proc/self/mountinfo", &mountinfo);
        if (r < 0) {
                note("cannot read /proc/self/mountinfo: %s", strerror(-r));
                return;
        }
        layout_fill(self_cgroup, mountinfo, false, true);
keep:
        cgroup_layout.self_cgroup = steal_pointer(&self_cgroup);
        cgroup_layout.mountinfo = steal_pointer(&mountinfo);
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
        if (!cgroup_layout.self_cgroup || !cgroup_layout.mountinfo)
                return -ENODATA;
        for (size_t i = 0; i < ELEMENTSOF(sources); i++) {
                _cleanup_free_ char *found = NULL, *path = NULL, *file = NULL, *text = NULL;

                if (cgroup_find_dir(cgroup_layout.self_cgroup, cgroup_layout.mountinfo, sources[i].controller, &found, &path) < 0)
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
        if (!cgroup_layout.probed)
                layout_probe();
        return cgroup_layout.mode;
}

int cgroup_set_root_for_test(const char *root) {
        char *copy = NULL;

        if (root) {
                copy = strdup(root);
                if (!copy)
                        return -ENOMEM;
        }
        free(cgroup_test_root);
        cgroup_test_root = copy;
        layout_reset();
        return 0;
}

int cgroup_probe_for_test(bool mountinfo_only, bool *ret_by_statmount) {
        test_mountinfo_only = mountinfo_only;
        layout_reset();
        (void) cgroup_detect();
        if (ret_by_statmount)
                *ret_by_statmount = cgroup_layout.by_statmount;
        return 0;
}

CgroupMode cgroup_unit_mode(void) {
        _cleanup_free_ char *root = sys_path("/sys/fs/cgroup");
        char controllers[512];
        struct statfs sfs;

        /* hybrid and legacy layouts: systemd delegates the unit's cgroup in the unified tree
         * (no controllers there) and the name=systemd one only; the unit's v1 memory and pids
         * cgroups stay root's, and read-only */
        if (!root || statfs(root, &sfs) < 0 || (sfs.f_type != CGROUP2_SUPER_MAGIC && !cgroup_test_root))
                return CGROUP_MODE_NONE;
        if (read_attr_path(root, "cgroup.controllers", controllers, sizeof controllers) < 0)
                return CGROUP_MODE_NONE;
        controllers[strcspn(controllers, "\n")] = '\0';
        return cgroup_words_contain(controllers, "memory") && cgroup_words_contain(controllers, "pids")
                       ? CGROUP_MODE_DELEGATED
                       : CGROUP_MODE_NONE;
}

int cgroup_describe(char **ret) {
        _cleanup_free_ char *head = NULL;
        char *s;
        int r;

        if (!notes_wanted) {
                /* probed again, as before, with the notes this time */
                notes_wanted = true;
                layout_reset();
        }
        switch (cgroup_detect()) {
        case CGROUP_MODE_DELEGATED:
                r = asprintf(&head, "mode: delegated (cgroup v2)\ncgroup: %s (controllers: memory pids%s)\n",
                             cgroup_layout.v2_dir, cgroup_layout.v2_cpu ? " cpu" : "");
                break;
        case CGROUP_MODE_V1:
                r = asprintf(&head, "mode: v1 (cgroup v1 hierarchies)\nmemory: %s\npids: %s\ncpu: %s\n",
                             cgroup_layout.v1_dir[V1_MEMORY], cgroup_layout.v1_dir[V1_PIDS],
                             cgroup_layout.v1_dir[V1_CPU] ?: "(not usable: cpu_max not enforced)");
                break;
        default:
                r = asprintf(&head, "mode: rlimit (no writable cgroup: memory, tasks and cpu limited by "
                                    "RLIMIT_AS, RLIMIT_NPROC, RLIMIT_CPU)\n");
                break;
        }
        if (r < 0)
                return -ENOMEM;
        if (asprintf(&s, "%s%s%s", head, cgroup_layout.notes ? "not used:\n" : "", strempty(cgroup_layout.notes)) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}
