/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup.c: the pure /proc parsers, the delegated-v2 and v1 logic against fake directory trees
 * (cgroup_set_root_for_test), and, as root, real limits on whatever layout this machine has:
 * a memory bomb is OOM-killed and reported, a fork bomb stops at tasks_max, cgroup_kill()
 * reaches a setsid()+double-forked process, cgroup_free() leaves nothing behind. */
#include <fcntl.h>
#include <inttypes.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup-internal.h"
#include "deny-syscall.h"
#include "next-pid.h"
#include "tap.h"
#include "util.h"

/* The real cgroups made here are named with this as well as their role: a PID alone is not
 * unique on a host running two suites in different PID namespaces (one in a chroot or a
 * container sharing the cgroup tree), nor are fixed names. */
static char uniq[17];

/* "<base>-<uniq>", valid as a run id; one of a few static buffers, enough for one call's args */
static const char *real_id(const char *base) {
        static char bufs[4][64];
        static unsigned next;
        char *b = bufs[next++ % 4];

        snprintf(b, sizeof bufs[0], "%s-%s", base, uniq);
        return b;
}

static char tmp_root[] = "/tmp/test-cgroup-XXXXXX";

/* write(2) is wrapped (cgroup.am): with refuse_cpu_enable, a write that enables the cpu
 * controller in a cgroup.subtree_control fails with EINVAL, the whole write, as the kernel
 * refuses it (a realtime process under CONFIG_RT_GROUP_SCHED); with refuse_cpu_max, a write to
 * a cpu.max does. subtree_writes counts the writes to a cgroup.subtree_control. */
static bool refuse_cpu_enable, refuse_cpu_max;
static int subtree_writes;

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && streq(s + a - b, suffix);
}

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n) {
        char link[64], path[4096], text[256];
        ssize_t k;

        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        k = readlink(link, path, sizeof path - 1);
        path[k > 0 ? k : 0] = '\0';
        snprintf(text, sizeof text, "%.*s", (int) MIN(n, sizeof text - 1), (const char *) buf);
        if (ends_with(path, "/cgroup.subtree_control")) {
                subtree_writes++;
                if (refuse_cpu_enable && cgroup_words_contain(text, "+cpu")) {
                        errno = EINVAL;
                        return -1;
                }
        }
        if (refuse_cpu_max && ends_with(path, "/cpu.max")) {
                errno = EINVAL;
                return -1;
        }
        return __real_write(fd, buf, n);
}

/* pidfd_signal() is wrapped too: with reuse_at_signal set to the number of a child of ours, it is
 * refused with EPERM, as by a seccomp filter refusing only pidfd_send_signal(2), right after that
 * child was killed and reaped and its number given to 'reused', a new child of ours. */
static pid_t reuse_at_signal, reused;
/* With join_at_signal set, the call is refused with EPERM too, once, after a new process
 * ('joined') has joined join_cgroup's run, as a fork of the run between the read of cgroup.procs
 * and the kill adds one. */
static pid_t join_at_signal, joined;
static Cgroup *join_cgroup;
static pid_t sleeper_in(Cgroup *c, bool attach, const char *dir, const char *rel);

int __real_pidfd_signal(int pidfd, int sig);
int __wrap_pidfd_signal(int pidfd, int sig);
int __wrap_pidfd_signal(int pidfd, int sig) {
        pid_t victim = reuse_at_signal;

        if (join_at_signal > 0) {
                join_at_signal = 0;
                joined = sleeper_in(join_cgroup, true, NULL, NULL);
                errno = EPERM;
                return -1;
        }
        if (victim <= 0)
                return __real_pidfd_signal(pidfd, sig);
        reuse_at_signal = 0;
        (void) kill(victim, SIGKILL);
        (void) waitpid(victim, NULL, 0);
        reused = fork_at(victim);
        if (reused == 0)
                for (;;)
                        pause();
        errno = EPERM;
        return -1;
}

static void skip(const char *why) {
        printf("ok %d # SKIP %s\n", ++tap_n, why);
}

static char *pathf(const char *fmt, ...) _printf_(1, 2);
static char *pathf(const char *fmt, ...) {
        static char buf[8][4096];
        static int slot;
        char *b = buf[slot++ % 8];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(b, sizeof buf[0], fmt, ap);
        va_end(ap);
        return b;
}

static void mkdir_p(const char *path) {
        char buf[4096];

        snprintf(buf, sizeof buf, "%s", path);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        (void) mkdir(buf, 0755);
                        *p = '/';
                }
        (void) mkdir(buf, 0755);
}

static void put(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f) {
                printf("# cannot write %s: %m\n", path);
                exit(1);
        }
        fputs(text, f);
        fclose(f);
}

/* File contents (static buffer), or "(missing)". */
static const char *get(const char *path) {
        static char buf[8][4096];
        static int slot;
        char *b = buf[slot++ % 8];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return "(missing)";
        n = read(fd, b, sizeof buf[0] - 1);
        close(fd);
        b[n < 0 ? 0 : n] = '\0';
        return b;
}

static bool exists(const char *path) {
        struct stat st;
        return stat(path, &st) == 0;
}

static const char self_hybrid[] = "12:pids:/\n"
                                  "9:name=systemd:/\n"
                                  "4:memory:/process_api/b835\n"
                                  "3:cpuset:/\n"
                                  "1:cpu,cpuacct:/x\n"
                                  "0::/\n";
static const char mountinfo_hybrid[] =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* head and n optional fields "shared:<i>" after it: a long mountinfo line's first part */
static char *with_optional_fields(const char *head, int n) {
        char *line = strdup(head);

        for (int i = 0; i < n && line; i++) {
                char *more = NULL;
                if (asprintf(&more, "%s shared:%d", line, i) < 0)
                        more = NULL;
                free(line);
                line = more;
        }
        return line;
}

static void test_find_dir(void) {
        char *dir = NULL, *path = NULL;

        is_int(cgroup_find_dir(self_hybrid, mountinfo_hybrid, "memory", &dir, &path), 0, "hybrid: memory found");
        is_str(dir, "/sys/fs/cgroup/memory/process_api/b835", "memory dir");
        is_str(path, "/process_api/b835", "memory path");
        free(dir), free(path), dir = path = NULL;

        is_int(cgroup_find_dir(self_hybrid, mountinfo_hybrid, "pids", &dir, NULL), 0, "hybrid: pids found");
        is_str(dir, "/sys/fs/cgroup/pids", "root cgroup is the mount point itself, no trailing slash");
        free(dir), dir = NULL;

        is_int(cgroup_find_dir(self_hybrid, mountinfo_hybrid, "cpu", &dir, NULL), 0, "co-mounted cpu,cpuacct");
        is_str(dir, "/sys/fs/cgroup/cpu,cpuacct/x", "cpu dir");
        free(dir), dir = NULL;

        is_int(cgroup_find_dir(self_hybrid, mountinfo_hybrid, NULL, &dir, &path), 0, "hybrid: unified found");
        is_str(dir, "/sys/fs/cgroup/unified", "unified dir");
        is_str(path, "/", "unified path");
        free(dir), free(path), dir = path = NULL;

        is_int(cgroup_find_dir(self_hybrid, mountinfo_hybrid, "systemd", &dir, NULL), -ENOENT,
               "'systemd' is not 'name=systemd'");
        is_int(cgroup_find_dir(self_hybrid, mountinfo_hybrid, "hugetlb", &dir, NULL), -ENOENT,
               "controller absent from /proc/self/cgroup");
        is_int(cgroup_find_dir("5:cpuset:/\n", "34 31 0:31 / /c rw - cgroup cgroup rw,cpuset\n", "cpu", &dir, NULL),
               -ENOENT, "'cpu' does not match 'cpuset'");
        is_int(cgroup_find_dir("4:memory:/a\n", "", "memory", &dir, NULL), -ENOENT, "hierarchy not mounted");

        is_int(cgroup_find_dir("0::/system.slice/skillrun@3.service\n",
                               "25 1 0:22 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", NULL,
                               &dir, &path),
               0, "pure v2 unit");
        is_str(dir, "/sys/fs/cgroup/system.slice/skillrun@3.service", "unit directory");
        is_str(path, "/system.slice/skillrun@3.service", "unit path");
        free(dir), free(path), dir = path = NULL;

        /* A container's bind mount of part of the hierarchy: path is below the mount's root. */
        const char *mi = "100 99 0:30 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
                         "101 99 0:30 /docker/abc /mnt/cg\\040x rw - cgroup cgroup rw,memory\n";
        is_int(cgroup_find_dir("4:memory:/docker/abc/sub\n", mi, "memory", &dir, NULL), 0, "bind-mounted root");
        is_str(dir, "/sys/fs/cgroup/memory/sub", "path below the mount's root");
        free(dir), dir = NULL;
        is_int(cgroup_find_dir("4:memory:/docker/abcd\n", mi, "memory", &dir, NULL), -ENOENT,
               "'/docker/abcd' is not below '/docker/abc'");
        is_int(cgroup_find_dir("4:memory:/docker/abc\n", mi + strlen(mi) / 2 + 1, "memory", &dir, NULL), 0,
               "second mount");
        is_str(dir, "/mnt/cg x", "octal escapes in the mount point undone");
        free(dir), dir = NULL;
        is_int(cgroup_find_dir("0::/../../other\n", "25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", NULL,
                               &dir, NULL),
               -ENOENT, "cgroup outside our cgroup namespace");
        is_int(cgroup_parse_proc_cgroup("0::/a/b/..\n", NULL, &path), -ENOENT, "a path ending in '..' is outside too");
        is_int(cgroup_parse_proc_cgroup("0::/a../b\n", NULL, &path), 0, "'a..' is a name, not '..'");
        is_str(path, "/a../b", "... and the path is kept");
        free(path), path = NULL;

        /* cgroup.controllers and cgroup.subtree_control: whole words only */
        is_int(cgroup_words_contain("cpuset cpu io", "cpu"), true, "'cpu' after 'cpuset'");
        is_int(cgroup_words_contain("cpuset io memory", "cpu"), false, "'cpuset' is not 'cpu'");
        is_int(cgroup_words_contain("io memory\n", "memoryx"), false, "'memory' is not 'memoryx'");
        is_int(cgroup_words_contain("io\tpids\n", "pids"), true, "tab and newline separate words");

        /* The text is scanned in place: odd lines are passed over, the last needs no newline. */
        _cleanup_free_ char *crowded = with_optional_fields("90 1 0:40 / /x rw", 70);
        _cleanup_free_ char *odd = NULL;
        if (crowded && asprintf(&odd, "%s - cgroup2 cgroup2 rw\n\n25 1 0:22 / /sys/fs/cgroup\n"
                                      "26 1 0:23 / /srv/cg rw - cgroup2 cgroup2 rw", crowded) < 0)
                odd = NULL;
        is_int(odd ? cgroup_find_dir("0::/a\n", odd, NULL, &dir, NULL) : -ENOMEM, 0,
               "past a line of 70 optional fields, an empty line and a short one");
        is_str(dir, "/srv/cg/a", "the last line, without a newline");
        free(dir), dir = NULL;
        /* 64 fields are not too many: 6, 54 optional ones, the separator and 3 */
        _cleanup_free_ char *full = with_optional_fields("90 1 0:40 / /y rw", 54);
        _cleanup_free_ char *line64 = NULL;
        if (full && asprintf(&line64, "%s - cgroup2 cgroup2 rw\n", full) < 0)
                line64 = NULL;
        is_int(line64 ? cgroup_find_dir("0::/a\n", line64, NULL, &dir, NULL) : -ENOMEM, 0, "a line of 64 fields");
        is_str(dir, "/y/a", "... is read");
        free(dir), dir = NULL;
        is_int(cgroup_find_dir("0::/a", "26 1 0:23 / /srv/cg rw - cgroup2 cgroup2 rw\n", NULL, &dir, NULL), 0,
               "/proc/self/cgroup without a final newline");
        is_str(dir, "/srv/cg/a", "its path whole");
        free(dir), dir = NULL;
        is_int(cgroup_find_dir("4:memory:/a\n", "26 1 0:23 / /m rw - cgroup cgroup rw,nomemory,memory\n", "memory",
                               &dir, NULL),
               0, "controller last in the super options");
        free(dir), dir = NULL;
        is_int(cgroup_find_dir("4:memory,pids:/a\n", "26 1 0:23 / /m rw - cgroup cgroup rw,pids,memory\n", "pids",
                               &dir, NULL),
               0, "co-mounted controllers, first of two in /proc/self/cgroup");
        free(dir), dir = NULL;
        is_int(cgroup_find_dir("4:memory:/a\n", "26 1 0:23 / /m rw - cgroup cgroup rw,memoryx\n", "memory", &dir,
                               NULL),
               -ENOENT, "'memoryx' is not 'memory'");
        is_int(cgroup_find_dir("1::/a\n", "26 1 0:23 / /m rw - cgroup2 cgroup2 rw\n", NULL, &dir, NULL), -ENOENT,
               "a v1 hierarchy named by number is not the unified one");
        /* an empty root would make every path below it */
        is_int(cgroup_find_dir("0::/a\n", "26 1 0:23 / m rw - cgroup2 cgroup2 rw\n26 1 0:23 a /n rw - cgroup2 cgroup2 rw\n"
                               "26 1 0:23  /e rw - cgroup2 cgroup2 rw\n"
                               "27 1 0:24 / /srv/cg rw - cgroup2 cgroup2 rw\n", NULL, &dir, NULL), 0,
               "mounts with a relative mount point or root passed over");
        is_str(dir, "/srv/cg/a", "... for the absolute one");
        free(dir), dir = NULL;
        is_int(cgroup_find_dir("0::/a\n", "26 1 0:23 / /srv/cg rw - cgroup2 cgroup2\n", NULL, &dir, NULL), -ENOENT,
               "a line cut before its super options is passed over");

        /* memory.events, memory.oom_control */
        uint64_t v = 7;
        is_int(cgroup_keyed_u64("oom 0\noom_kill 3\n", "oom_kill", &v), 0, "keyed: found");
        is_int((int) v, 3, "keyed: its value");
        is_int(cgroup_keyed_u64("oom_kill x\n", "oom_kill", &v), -EINVAL, "keyed: not a number");
        is_int(cgroup_keyed_u64("oom_kill 18446744073709551616\n", "oom_kill", &v), -EINVAL,
               "keyed: a number past 64 bits");
        is_int((int) v, 3, "keyed: ... leaves the value");
        /* every digit starts a value: 0 (no OOM kill yet, the usual line) and 9 are the bounds */
        is_int(cgroup_keyed_u64("oom_kill 0\n", "oom_kill", &v), 0, "keyed: 0, the value before any OOM kill");
        is_int((int) v, 0, "keyed: ... is 0");
        is_int(cgroup_keyed_u64("oom_kill 9\n", "oom_kill", &v), 0, "keyed: a value that starts with 9");
        is_int((int) v, 9, "keyed: ... is 9");
        v = 3;
        /* strtoull(3) alone would take these: -1 as 2^64-1 (an OOM kill on every read), the
         * next line's number past a blank value, a number with something after it */
        is_int(cgroup_keyed_u64("oom_kill -1\n", "oom_kill", &v), -EINVAL, "keyed: a sign is not a number");
        is_int(cgroup_keyed_u64("oom_kill +1\n", "oom_kill", &v), -EINVAL, "keyed: nor a plus");
        is_int(cgroup_keyed_u64("oom_kill \n5\n", "oom_kill", &v), -EINVAL,
               "keyed: an empty value is not the next line's number");
        is_int(cgroup_keyed_u64("oom_kill  5\n", "oom_kill", &v), -EINVAL, "keyed: nor one after two spaces");
        is_int(cgroup_keyed_u64("oom_kill 5x\n", "oom_kill", &v), -EINVAL, "keyed: nor a number with more after it");
        is_int((int) v, 3, "keyed: ... all of them leave the value");
        is_int(cgroup_keyed_u64("oom_kill 18446744073709551615", "oom_kill", &v), 0,
               "keyed: 2^64-1, at the end of the text without a newline");
        ok(v == UINT64_MAX, "keyed: ... is its value");

        /* run ids name directories: 64 characters at most */
        char id[66];
        memset(id, 'a', 64), id[64] = '\0';
        is_int(cgroup_run_id_valid(id), true, "run id of 64 characters");
        id[64] = 'a', id[65] = '\0';
        is_int(cgroup_run_id_valid(id), false, "run id of 65 characters");
}

static void test_mode_strings(void) {
        is_str(cgroup_mode_to_string(CGROUP_MODE_NONE), "rlimit", "mode none");
        is_str(cgroup_mode_to_string(CGROUP_MODE_V1), "v1", "mode v1");
        is_str(cgroup_mode_to_string(CGROUP_MODE_DELEGATED), "delegated", "mode delegated");
        is_str(cgroup_mode_to_string(_CGROUP_MODE_MAX), NULL, "mode out of range");
}

/* A fake root with a pure cgroup2 mount and our unit at /system.slice/u.service. */
static const char *fake_v2(const char *name, const char *self_path, const char *controllers, const char *procs) {
        char root[1024], unit[2048];

        /* pathf() buffers rotate; these must outlive the calls below. */
        snprintf(root, sizeof root, "%s/%s", tmp_root, name);
        snprintf(unit, sizeof unit, "%s/sys/fs/cgroup%s", root, self_path);

        mkdir_p(pathf("%s/proc/self", root));
        put(pathf("%s/proc/self/cgroup", root), pathf("0::%s\n", self_path));
        put(pathf("%s/proc/self/mountinfo", root),
            "25 1 0:22 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
        mkdir_p(unit);
        put(pathf("%s/cgroup.controllers", unit), controllers);
        put(pathf("%s/cgroup.procs", unit), procs);
        put(pathf("%s/cgroup.subtree_control", unit), "");
        is_int(cgroup_set_root_for_test(root), 0, "fake root '%s'", name);
        return pathf("%s/sys/fs/cgroup%s", root, self_path);
}

static void test_fake_v2(void) {
        Limits l = { .memory_max = 32 << 20, .tasks_max = 4, .cpu_max = 50 };
        char mypid[32], *err = NULL, *text = NULL;
        Cgroup *c = NULL;
        bool oom = false;
        uint64_t peak = 0;
        const char *unit, *run;

        snprintf(mypid, sizeof mypid, "%d\n", (int) getpid());
        unit = strdup(fake_v2("v2", "/system.slice/u.service", "cpuset cpu io memory hugetlb pids\n", mypid));

        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "delegated unit detected");
        is_int(cgroup_describe(&text), 0, "describe");
        contains_str(text, "mode: delegated", "describe names the mode");
        contains_str(text, "/sys/fs/cgroup/system.slice/u.service (controllers: memory pids cpu)", "and the path");
        free(text);

        subtree_writes = 0;
        is_int(cgroup_create(&l, "abc123", &c, &err), 0, "create");
        is_str(err, NULL, "no error");
        is_int(cgroup_mode(c), CGROUP_MODE_DELEGATED, "mode of the run");
        /* memory.oom.group kills the whole run: no OOM event for the supervisor to poll, and
         * neither fd 0 (its stdin) nor another taken for one */
        is_int(cgroup_oom_event_fd(c), -1, "delegated: no OOM event fd");
        run = strdup(pathf("%s/run-abc123", unit));
        is_str(cgroup_path(c, 0), run, "run directory");
        is_str(cgroup_path(c, 1), NULL, "one directory only");
        ok(cgroup_dir_fd(c) >= 0, "dir fd for CLONE_INTO_CGROUP");
        ok(cgroup_cpu_limited(c), "cpu limited");
        is_str(get(pathf("%s/worker/cgroup.procs", unit)), "0", "worker moved itself into the leaf");
        is_str(get(pathf("%s/cgroup.subtree_control", unit)), "+memory +pids +cpu", "controllers enabled");
        is_int(subtree_writes, 1, "... in one write");
        is_str(get(pathf("%s/memory.max", run)), "33554432", "memory.max");
        is_str(get(pathf("%s/memory.swap.max", run)), "0", "memory.swap.max");
        is_str(get(pathf("%s/memory.oom.group", run)), "1", "memory.oom.group");
        is_str(get(pathf("%s/pids.max", run)), "4", "pids.max");
        is_str(get(pathf("%s/cpu.max", run)), "50000 100000", "cpu.max");
        ok(exists(pathf("%s/cgroup.procs", run)), "cgroup.procs opened before fork");

        cgroup_collect(c, &oom, &peak);
        ok(!oom, "no oom without memory.events");
        is_int(peak, 0, "no peak without memory.peak");
        put(pathf("%s/memory.events", run), "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 1\n");
        put(pathf("%s/memory.peak", run), "33550336\n");
        cgroup_collect(c, &oom, &peak);
        ok(oom, "oom from memory.events oom_kill");
        is_int(peak, 33550336, "peak from memory.peak");


        cgroup_kill(c);
        is_str(get(pathf("%s/cgroup.kill", run)), "1", "cgroup.kill written");

        /* Same run id again while the first exists: never share a run cgroup. */
        Cgroup *dup = NULL;
        is_int(cgroup_create(&l, "abc123", &dup, &err), -EEXIST, "duplicate run id");
        contains_str(err, "cannot create", "duplicate: message");
        ok(!dup, "duplicate: nothing returned");
        free(err), err = NULL;
        is_int(cgroup_create(&l, "../x", &dup, &err), -EINVAL, "run id with a slash");
        contains_str(err, "invalid run id '../x'", "invalid run id: message");
        free(err), err = NULL;
        is_int(cgroup_create(&l, "", &dup, NULL), -EINVAL, "empty run id");

        /* Second run: the leaf and the controllers are done once per process. */
        unlink(pathf("%s/worker/cgroup.procs", unit));
        put(pathf("%s/cgroup.subtree_control", unit), "x");
        Limits l2 = { .memory_max = 0, .tasks_max = 64, .cpu_max = 0 };
        Cgroup *c2 = NULL;
        is_int(cgroup_create(&l2, "second", &c2, NULL), 0, "second create");
        ok(!exists(pathf("%s/worker/cgroup.procs", unit)), "worker not moved twice");
        is_str(get(pathf("%s/cgroup.subtree_control", unit)), "x", "controllers not enabled twice");
        is_str(get(pathf("%s/run-second/memory.max", unit)), "max", "memory_max 0 → max");
        ok(!exists(pathf("%s/run-second/memory.swap.max", unit)), "no swap.max without a memory limit");
        is_str(get(pathf("%s/run-second/pids.max", unit)), "64", "pids.max");
        ok(!exists(pathf("%s/run-second/cpu.max", unit)), "cpu_max 0: cpu.max untouched");
        ok(!cgroup_cpu_limited(c2), "cpu not limited");

        c = cgroup_free(c);
        ok(!c, "free returns NULL");
        ok(!exists(run), "run directory removed");
        c2 = cgroup_free(c2);
        ok(!exists(pathf("%s/run-second", unit)), "second run directory removed");
        ok(exists(pathf("%s/worker", unit)), "the worker's leaf stays");
        free((char *) unit);
        free((char *) run);
}

static void test_fake_v2_variants(void) {
        Limits l = { .memory_max = 1 << 20, .tasks_max = 2, .cpu_max = 10 };
        char mypid[32], *text = NULL;
        Cgroup *c = (Cgroup *) 1;
        const char *unit;

        snprintf(mypid, sizeof mypid, "%d\n", (int) getpid());

        fake_v2("v2-nodeleg", "/system.slice/u.service", "cpu io\n", mypid);
        is_int(cgroup_detect(), CGROUP_MODE_NONE, "v2 without memory/pids, no v1: none");
        is_int(cgroup_describe(&text), 0, "describe");
        contains_str(text, "mode: rlimit", "describe: rlimit");
        contains_str(text, "controllers 'cpu io' lack memory and pids", "describe: why not v2");
        contains_str(text, "cgroup v1 memory: not mounted", "describe: why not v1");
        free(text);
        is_int(cgroup_create(&l, "r", &c, NULL), 0, "create in mode none succeeds");
        ok(!c, "... with no cgroup");
        is_int(cgroup_dir_fd(c), -1, "no dir fd");
        is_int(cgroup_attach_child(c), 0, "attach of NULL is a no-op");
        cgroup_kill(c);
        bool oom = true;
        uint64_t peak = 1;
        cgroup_collect(c, &oom, &peak);
        ok(!oom && peak == 0, "collect of NULL: no oom, no peak");
        ok(!cgroup_free(c), "free of NULL");

        fake_v2("v2-shared", "/user.slice/session-1.scope", "memory pids\n", pathf("1\n%s", mypid));
        is_int(cgroup_detect(), CGROUP_MODE_NONE, "v2 shared with other processes: not delegated");
        is_int(cgroup_describe(&text), 0, "describe");
        contains_str(text, "shared with other processes (pid 1)", "describe says why");
        free(text);

        /* both are needed: a run limited in memory alone could fork without bound */
        fake_v2("v2-memory-only", "/system.slice/u.service", "cpu io memory\n", mypid);
        is_int(cgroup_detect(), CGROUP_MODE_NONE, "v2 with memory but not pids: not delegated");
        fake_v2("v2-pids-only", "/system.slice/u.service", "pids\n", mypid);
        is_int(cgroup_detect(), CGROUP_MODE_NONE, "v2 with pids but not memory: not delegated");

        /* a cgroup named "worker" right below the root is a base, not a leaf of one */
        fake_v2("v2-root-worker", "/worker", "memory pids\n", mypid);
        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "'/worker' delegated");
        is_int(cgroup_describe(&text), 0, "describe");
        contains_str(text, "v2-root-worker/sys/fs/cgroup/worker (controllers", "'/worker' is the base itself");
        free(text);

        /* Already in the leaf (a second probe after the worker moved): the unit stays the base. */
        unit = fake_v2("v2-leaf", "/system.slice/u.service/worker", "", mypid);
        const char *base = strdup(pathf("%.*s", (int) (strlen(unit) - strlen("/worker")), unit));
        put(pathf("%s/cgroup.controllers", base), "memory pids\n");
        put(pathf("%s/cgroup.procs", base), "");
        put(pathf("%s/cgroup.subtree_control", base), "memory pids\n");
        is_int(cgroup_set_root_for_test(pathf("%s/v2-leaf", tmp_root)), 0, "reset");
        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "in worker/: delegated");
        is_int(cgroup_create(&l, "leaf", &c, NULL), 0, "create");
        is_str(cgroup_path(c, 0), pathf("%s/run-leaf", base), "run made next to worker/, not inside");
        is_str(get(pathf("%s/worker/cgroup.procs", base)), mypid, "not moved again");
        is_str(get(pathf("%s/cgroup.subtree_control", base)), "memory pids\n", "already enabled: not rewritten");
        ok(!cgroup_cpu_limited(c), "no cpu controller: cpu not limited");
        ok(!exists(pathf("%s/run-leaf/cpu.max", base)), "no cpu.max");
        c = cgroup_free(c);
        free((char *) base);
}

static void test_fake_v1(void) {
        char root[1024];
        Limits l = { .memory_max = 32 << 20, .tasks_max = 4, .cpu_max = 25 };
        char *text = NULL;
        Cgroup *c = NULL;
        bool oom = false;
        uint64_t peak = 0;

        snprintf(root, sizeof root, "%s/v1", tmp_root);
        mkdir_p(pathf("%s/proc/self", root));
        put(pathf("%s/proc/self/cgroup", root), self_hybrid);
        put(pathf("%s/proc/self/mountinfo", root), mountinfo_hybrid);
        mkdir_p(pathf("%s/sys/fs/cgroup/memory/process_api/b835", root));
        mkdir_p(pathf("%s/sys/fs/cgroup/pids", root));
        mkdir_p(pathf("%s/sys/fs/cgroup/cpu,cpuacct/x", root));
        mkdir_p(pathf("%s/sys/fs/cgroup/unified", root));
        put(pathf("%s/sys/fs/cgroup/unified/cgroup.controllers", root), "hugetlb\n");
        is_int(cgroup_set_root_for_test(root), 0, "fake hybrid root");

        is_int(cgroup_detect(), CGROUP_MODE_V1, "hybrid: v1");
        is_int(cgroup_describe(&text), 0, "describe");
        contains_str(text, "mode: v1", "describe: v1");
        contains_str(text, "/sys/fs/cgroup/memory/process_api/b835\n", "describe: memory path");
        contains_str(text, "controllers 'hugetlb' lack memory and pids", "describe: why not v2");
        free(text);

        is_int(cgroup_create(&l, "r1", &c, NULL), 0, "create");
        is_int(cgroup_mode(c), CGROUP_MODE_V1, "mode v1");
        is_int(cgroup_dir_fd(c), -1, "no CLONE_INTO_CGROUP in v1");
        const char *mem = strdup(pathf("%s/sys/fs/cgroup/memory/process_api/b835/skillrun-run-r1", root));
        const char *pids = strdup(pathf("%s/sys/fs/cgroup/pids/skillrun-run-r1", root));
        const char *cpu = strdup(pathf("%s/sys/fs/cgroup/cpu,cpuacct/x/skillrun-run-r1", root));
        is_str(cgroup_path(c, 0), mem, "memory run dir");
        is_str(cgroup_path(c, 1), pids, "pids run dir");
        is_str(cgroup_path(c, 2), cpu, "cpu run dir");
        is_str(cgroup_path(c, 3), NULL, "three at most");
        is_str(get(pathf("%s/memory.limit_in_bytes", mem)), "33554432", "memory.limit_in_bytes");
        is_str(get(pathf("%s/memory.memsw.limit_in_bytes", mem)), "33554432", "memory.memsw.limit_in_bytes");
        is_str(get(pathf("%s/pids.max", pids)), "4", "pids.max");
        is_str(get(pathf("%s/cpu.cfs_period_us", cpu)), "100000", "cpu.cfs_period_us");
        is_str(get(pathf("%s/cpu.cfs_quota_us", cpu)), "25000", "cpu.cfs_quota_us");
        ok(cgroup_cpu_limited(c), "cpu limited");

        put(pathf("%s/memory.oom_control", mem), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        put(pathf("%s/memory.max_usage_in_bytes", mem), "33542144\n");
        cgroup_collect(c, &oom, &peak);
        ok(oom, "oom from memory.oom_control");
        is_int(peak, 33542144, "peak from memory.max_usage_in_bytes");
        put(pathf("%s/memory.oom_control", mem), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
        cgroup_collect(c, &oom, NULL);
        ok(!oom, "oom_kill 0: no oom (oom_kill_disable is not oom_kill)");


        /* a listed pid that /proc does not show in the run cgroup (here a child of ours, in
         * our own cgroup) is not killed: the number may have been reused */
        pid_t child = fork();
        if (child == 0) {
                pause();
                _exit(0);
        }
        int status;
        put(pathf("%s/cgroup.procs", pids), pathf("%d\n", (int) child));
        cgroup_kill(c);
        is_int(waitpid(child, &status, WNOHANG), 0, "a pid listed but not in the run cgroup is not killed");
        kill(child, SIGKILL);
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
        put(pathf("%s/cgroup.procs", pids), "");

        cgroup_kill(c); /* empty cgroup.procs: returns at once */
        c = cgroup_free(c);
        ok(!exists(mem) && !exists(pids) && !exists(cpu), "all three removed");

        Limits l2 = { .memory_max = 32 << 20, .tasks_max = 4, .cpu_max = 0 };
        is_int(cgroup_create(&l2, "r2", &c, NULL), 0, "create without cpu_max");
        is_str(cgroup_path(c, 2), NULL, "no cpu cgroup without cpu_max");
        ok(!cgroup_cpu_limited(c), "cpu not limited");
        c = cgroup_free(c);

        Limits l0 = { .memory_max = 0, .tasks_max = 4 };
        is_int(cgroup_create(&l0, "r0", &c, NULL), 0, "create without memory_max");
        ok(!exists(pathf("%s/sys/fs/cgroup/memory/process_api/b835/skillrun-run-r0/memory.limit_in_bytes", root)),
           "memory_max 0: memory.limit_in_bytes untouched (v1 takes no 'max')");
        c = cgroup_free(c);

        /* The cpu cgroup cannot be made (here: its name is taken): the run keeps its memory and
         * pids cgroups, and only cpu_max goes unenforced. */
        const char *taken = strdup(pathf("%s/sys/fs/cgroup/cpu,cpuacct/x/skillrun-run-r3", root));
        put(taken, "not a cgroup");
        is_int(cgroup_create(&l, "r3", &c, NULL), 0, "create with the cpu cgroup refused");
        is_int(cgroup_mode(c), CGROUP_MODE_V1, "... still v1");
        ok(exists(pathf("%s/sys/fs/cgroup/memory/process_api/b835/skillrun-run-r3/memory.limit_in_bytes", root)) &&
                   exists(pathf("%s/sys/fs/cgroup/pids/skillrun-run-r3/pids.max", root)),
           "... with its memory and pids cgroups");
        is_str(cgroup_path(c, 2), NULL, "... and no cpu one");
        ok(!cgroup_cpu_limited(c), "... cpu not limited");
        c = cgroup_free(c);
        is_str(get(taken), "not a cgroup", "what held the name is left alone");
        unlink(taken);
        free((char *) taken);
        free((char *) mem), free((char *) pids), free((char *) cpu);

        /* pids hierarchy missing: v1 needs memory and pids. */
        put(pathf("%s/proc/self/cgroup", root), "4:memory:/process_api/b835\n0::/\n");
        is_int(cgroup_set_root_for_test(root), 0, "reset");
        is_int(cgroup_detect(), CGROUP_MODE_NONE, "memory without pids: none");

        /* v1 mounted away from /sys/fs/cgroup (older distributions' /cgroup): nothing at the
         * usual places says it is refused, mountinfo finds it */
        snprintf(root, sizeof root, "%s/v1-elsewhere", tmp_root);
        mkdir_p(pathf("%s/proc/self", root));
        put(pathf("%s/proc/self/cgroup", root), "6:pids:/a\n4:memory:/a\n0::/\n");
        put(pathf("%s/proc/self/mountinfo", root), "30 1 0:30 / /cgroup/memory rw - cgroup cgroup rw,memory\n"
                                                   "31 1 0:31 / /cgroup/pids rw - cgroup cgroup rw,pids\n");
        mkdir_p(pathf("%s/cgroup/memory/a", root));
        mkdir_p(pathf("%s/cgroup/pids/a", root));
        is_int(cgroup_set_root_for_test(root), 0, "fake root 'v1-elsewhere'");
        is_int(cgroup_detect(), CGROUP_MODE_V1, "v1 mounted at /cgroup: v1");
}

/* ---- real cgroups (root) ---- */

static int wait_child(pid_t pid, struct rusage *ru) {
        int status;
        while (wait4(pid, &status, 0, ru) < 0)
                if (errno != EINTR)
                        return -1;
        return status;
}

static bool procs_empty(const char *dir, int wait_ms) {
        for (int i = 0; i <= wait_ms; i++) {
                if (get(pathf("%s/cgroup.procs", dir))[0] == '\0')
                        return true;
                usleep(1000);
        }
        return false;
}

static void real_memory(void) {
        Limits l = { .memory_max = 32 << 20, .tasks_max = 16 };
        _cleanup_free_ char *err = NULL;
        Cgroup *c = NULL;
        bool oom = false;
        uint64_t peak = 0;

        int fds = tap_open_fds();

        is_int(cgroup_create(&l, real_id("t-mem"), &c, &err), 0, "memory: create");
        if (err)
                printf("# %s\n", err);
        if (!c)
                return;
        if (cgroup_mode(c) == CGROUP_MODE_V1 &&
            exists(pathf("%s/memory.memsw.limit_in_bytes", cgroup_path(c, 0))))
                is_str(get(pathf("%s/memory.memsw.limit_in_bytes", cgroup_path(c, 0))), "33554432\n",
                       "memory+swap limited too");
        /* v1 kills one process at an OOM: the supervisor learns of it from this eventfd */
        int efd = cgroup_oom_event_fd(c);
        if (cgroup_mode(c) == CGROUP_MODE_V1)
                ok(efd >= 0, "v1: an OOM event fd");
        else
                is_int(efd, -1, "delegated: no OOM event fd (memory.oom.group kills the whole run)");

        pid_t pid = fork();
        if (pid == 0) {
                if (cgroup_attach_child(c) < 0)
                        _exit(2);
                size_t size = 100 << 20;
                char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        _exit(3);
                for (size_t i = 0; i < size; i += 4096)
                        p[i] = 1;
                _exit(0);
        }
        int status = wait_child(pid, NULL);
        ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "memory bomb SIGKILLed (status 0x%x)", status);
        if (efd >= 0) {
                uint64_t events = 0;
                ssize_t k = read(efd, &events, sizeof(events));
                ok(k == (ssize_t) sizeof(events) && events >= 1, "v1: the OOM event came (%" PRIu64 ")", events);
        }
        cgroup_collect(c, &oom, &peak);
        ok(oom, "OOM reported");
        ok(peak >= (16u << 20) && peak <= (33u << 20), "peak %" PRIu64 " near the 32M limit", peak);
        c = cgroup_free(c);
        /* a worker runs one skill, but skillrun run and the tests run many in one process */
        is_int(tap_open_fds(), fds, "memory: cgroup_free() closes what the run opened, the OOM event fd too");
}

static void real_fork_bomb(void) {
        Limits l = { .memory_max = 256 << 20, .tasks_max = 4 };
        Cgroup *c = NULL;

        is_int(cgroup_create(&l, real_id("t-bomb"), &c, NULL), 0, "fork bomb: create");
        if (!c)
                return;
        const char *dir = strdup(cgroup_path(c, 0));

        pid_t pid = fork();
        if (pid == 0) {
                int forked = 0, first_errno = 0;
                if (cgroup_attach_child(c) < 0)
                        _exit(100);
                for (int i = 0; i < 10; i++) {
                        pid_t k = fork();
                        if (k == 0) {
                                sleep(30);
                                _exit(0);
                        }
                        if (k > 0)
                                forked++;
                        else if (!first_errno)
                                first_errno = errno;
                }
                _exit(forked | (first_errno == EAGAIN ? 0x10 : 0));
        }
        int status = wait_child(pid, NULL);
        ok(WIFEXITED(status), "bomb exited");
        is_int(WEXITSTATUS(status), 3 | 0x10, "3 forks succeeded besides itself, then EAGAIN");
        ok(!procs_empty(dir, 0), "sleepers still in the cgroup");
        cgroup_kill(c);
        ok(procs_empty(dir, 1000), "cgroup_kill emptied the cgroup");
        /* We are their subreaper: reap the three sleepers. */
        int reaped = 0, killed = 0;
        for (;;) {
                int st;
                pid_t k = waitpid(-1, &st, 0);
                if (k < 0)
                        break;
                reaped++;
                killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        }
        is_int(reaped, 3, "three sleepers reaped");
        is_int(killed, 3, "all SIGKILLed");
        c = cgroup_free(c);
        ok(!exists(dir), "run cgroup removed");
        free((char *) dir);
}

/* pids.current counts the main process until it is reaped, and every other task: the check
 * that lets the worker skip killing after an ordinary exit. */
static void real_kill_escaped(void) {
        Limits l = { .memory_max = 256 << 20, .tasks_max = 16 };
        Cgroup *c = NULL;
        int pipefd[2];
        char *dirs[3] = {};

        is_int(cgroup_create(&l, real_id("t-kill"), &c, NULL), 0, "kill: create");
        if (!c)
                return;
        for (unsigned i = 0; i < 3 && cgroup_path(c, i); i++)
                dirs[i] = strdup(cgroup_path(c, i));
        assert_se(pipe2(pipefd, O_CLOEXEC) == 0);

        pid_t pid = fork();
        if (pid == 0) {
                if (cgroup_attach_child(c) < 0)
                        _exit(100);
                setsid();
                pid_t k = fork();
                if (k == 0) {
                        pid_t g = fork();
                        if (g == 0) {
                                setsid();
                                for (;;)
                                        pause();
                        }
                        if (write(pipefd[1], &g, sizeof g) != sizeof g)
                                _exit(1);
                        _exit(0);
                }
                _exit(k > 0 && wait_child(k, NULL) == 0 ? 0 : 1);
        }
        close(pipefd[1]);
        is_int(wait_child(pid, NULL), 0, "double fork done");
        pid_t g = 0;
        is_int(read(pipefd[0], &g, sizeof g), sizeof g, "got the grandchild's pid");
        close(pipefd[0]);
        contains_str(get(pathf("%s/cgroup.procs", dirs[0])), pathf("%d\n", (int) g), "orphan is in the run cgroup");

        cgroup_kill(c);
        int status = wait_child(g, NULL);
        ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "escaped orphan SIGKILLed");
        ok(procs_empty(dirs[0], 1000), "cgroup empty");
        c = cgroup_free(c);
        bool gone = true;
        for (unsigned i = 0; i < 3; i++)
                if (dirs[i]) {
                        gone = gone && !exists(dirs[i]);
                        free(dirs[i]);
                }
        ok(gone, "cgroup_free left no directory behind");
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* A process that moves itself into dir/rel (after joining the run's cgroups, if attach; dir NULL:
 * only that) and waits there. Returns its pid once it is there, or -1. */
static pid_t sleeper_in(Cgroup *c, bool attach, const char *dir, const char *rel) {
        int ready[2];
        char x;

        assert_se(pipe2(ready, O_CLOEXEC) == 0);
        pid_t pid = fork();
        if (pid == 0) {
                if (attach && cgroup_attach_child(c) < 0)
                        _exit(1);
                _cleanup_close_ int procs = dir ? open(pathf("%s/%s/cgroup.procs", dir, rel), O_WRONLY | O_CLOEXEC) : -1;
                if (dir && (procs < 0 || write(procs, "0", 1) != 1))
                        _exit(2);
                if (write(ready[1], "x", 1) != 1)
                        _exit(3);
                for (;;)
                        pause();
        }
        close(ready[1]);
        ssize_t n = read(ready[0], &x, 1);
        close(ready[0]);
        if (n != 1) {
                (void) wait_child(pid, NULL);
                return -1;
        }
        return pid;
}

/* Was pid SIGKILLed (waiting up to 2 s)? Kills and reaps it otherwise. */
static bool was_killed(pid_t pid) {
        int status = 0;

        for (int i = 0; i < 2000; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
                usleep(1000);
        }
        (void) kill(pid, SIGKILL);
        (void) wait_child(pid, NULL);
        return false;
}

/* A system call of the kill refused as a seccomp filter that does not know it refuses it: with
 * EPERM (the shipped unit's SystemCallErrorNumber=, a systemd whose @system-service predates the
 * call), or ENOSYS. cgroup_kill() must still SIGKILL what the run cgroup holds: without
 * pidfd_open(2) as on a kernel that lacks it, with a refused pidfd_send_signal(2) by kill(2) while
 * the pidfd says the process lives. In a child: the filter stays with the process that installed
 * it. In delegated mode cgroup.kill takes the run, and neither call is made. */
static void real_kill_refused(long nr, int error, const char *what) {
        Limits l = { .memory_max = 256 << 20, .tasks_max = 16 };

        pid_t pid = fork();
        if (pid == 0) {
                Cgroup *c = NULL;

                if (deny_syscall(nr, error) < 0)
                        _exit(10);
                if (syscall(nr, -1, 0, NULL, 0) >= 0 || errno != error)
                        _exit(11);
                if (cgroup_create(&l, real_id("t-refused"), &c, NULL) < 0 || !c)
                        _exit(12);
                pid_t s = sleeper_in(c, true, NULL, NULL);
                if (s < 0)
                        _exit(13);
                cgroup_kill(c);
                bool killed = was_killed(s);
                c = cgroup_free(c);
                _exit(killed ? 0 : 14);
        }
        int status = wait_child(pid, NULL);
        is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
               "%s refused with %s: cgroup_kill still SIGKILLs the run (10-13: set-up, 14: not killed)", what,
               error == EPERM ? "EPERM" : "ENOSYS");
}

/* A refused pidfd signal, and a process that joined the run meanwhile: the kill(2) that took its
 * place counts as a kill, so cgroup_kill() reads cgroup.procs again and kills the newcomer too,
 * not only what the first read listed. In v1 (a delegated run is killed by cgroup.kill). */
static void real_kill_refused_joined(void) {
        Limits l = { .memory_max = 64 << 20, .tasks_max = 8 };
        Cgroup *c = NULL;

        if (cgroup_detect() != CGROUP_MODE_V1) {
                skip("refused pidfd signal and a process joining: cgroup.kill kills a delegated run");
                return;
        }
        is_int(cgroup_create(&l, real_id("t-joined"), &c, NULL), 0, "refused pidfd signal, a process joining: create");
        if (!c)
                return;
        pid_t s = sleeper_in(c, true, NULL, NULL);
        joined = 0;
        join_cgroup = c;
        join_at_signal = s;
        cgroup_kill(c);
        join_at_signal = 0;
        ok(s > 0 && was_killed(s), "refused pidfd signal, a process joining: the listed one SIGKILLed by number");
        ok(joined > 0 && was_killed(joined), "... and the one that joined meanwhile, on a second read");
        c = cgroup_free(c);
}

/* As pid 1 of a PID namespace of its own: the run process S, listed in cgroup.procs, ends right
 * at the refused pidfd signal, and its number goes to V, a process not of the run. Exit status:
 * 0, 1 V was killed, 2 V did not get S's number, 3 the pidfd signal was not reached, 8 set-up,
 * 77 no /proc of its own or no ns_last_pid. */
static int reused_in_namespace(void) {
        Limits l = { .memory_max = 64 << 20, .tasks_max = 8 };
        Cgroup *c = NULL;
        int r;

        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 || set_next_pid(2) < 0)
                return 77;
        if (cgroup_create(&l, real_id("t-reused"), &c, NULL) < 0 || !c)
                return 8;
        pid_t s = sleeper_in(c, true, NULL, NULL);
        if (s < 0)
                return 8;
        reuse_at_signal = s;
        cgroup_kill(c);
        r = reuse_at_signal != 0 ? 3 : reused != s ? 2 : 0;
        if (reuse_at_signal != 0) {
                (void) kill(s, SIGKILL);
                (void) waitpid(s, NULL, 0);
        }
        if (reused > 0) {
                int st = 0;

                /* V ends by this SIGTERM unless a SIGKILL reached it first, which then wins; not a
                 * WNOHANG wait, which can come before a SIGKILL sent a moment ago has ended V */
                (void) kill(reused, SIGTERM);
                (void) waitpid(reused, &st, 0);
                if (r == 0 && !(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM))
                        r = 1;
        }
        c = cgroup_free(c);
        return r;
}

/* kill_pid()'s kill(2) after a refused pidfd signal goes only to a process that has not ended:
 * by then, its number may be another's. In v1 (a delegated run is killed by cgroup.kill). */
static void real_kill_refused_reused(void) {
        if (cgroup_detect() != CGROUP_MODE_V1) {
                skip("refused pidfd signal and a reused pid: cgroup.kill kills a delegated run");
                return;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(77);
                pid_t one = fork();
                if (one == 0)
                        _exit(reused_in_namespace());
                int st = wait_child(one, NULL);
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 9);
        }
        int status = wait_child(pid, NULL);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                skip("refused pidfd signal and a reused pid: no PID namespace with a /proc of its own here");
        else
                is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
                       "pidfd_send_signal refused, the run process' number reused meanwhile: no kill(2) to it "
                       "(1: the reuser killed, 2, 3, 8: set-up)");
}

static void real_kill_syscalls_refused(void) {
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
        real_kill_refused(SYS_pidfd_open, EPERM, "pidfd_open");
        real_kill_refused(SYS_pidfd_send_signal, EPERM, "pidfd_send_signal");
        real_kill_refused(SYS_pidfd_send_signal, ENOSYS, "pidfd_send_signal");
        real_kill_refused_reused();
        real_kill_refused_joined();
#else
        skip("no pidfd_open or pidfd_send_signal in these headers");
#endif
}

static void real_cpu(void) {
        Limits l = { .memory_max = 256 << 20, .tasks_max = 4, .cpu_max = 20 };
        Cgroup *c = NULL;
        struct rusage ru;

        is_int(cgroup_create(&l, real_id("t-cpu"), &c, NULL), 0, "cpu: create");
        if (!c)
                return;
        if (!cgroup_cpu_limited(c)) {
                skip("no usable cpu controller");
                c = cgroup_free(c);
                return;
        }
        pid_t pid = fork();
        if (pid == 0) {
                if (cgroup_attach_child(c) < 0)
                        _exit(100);
                uint64_t end = now_ms() + 600;
                while (now_ms() < end)
                        ;
                _exit(0);
        }
        is_int(wait_child(pid, &ru), 0, "spinner exited");
        uint64_t cpu_ms = (uint64_t) ru.ru_utime.tv_sec * 1000 + (uint64_t) ru.ru_utime.tv_usec / 1000 +
                          (uint64_t) ru.ru_stime.tv_sec * 1000 + (uint64_t) ru.ru_stime.tv_usec / 1000;
        ok(cpu_ms > 0 && cpu_ms < 300, "600 ms spin at cpu_max 20%% used %" PRIu64 " ms of CPU", cpu_ms);
        c = cgroup_free(c);
}

/* v1 refuses a cfs quota above an ancestor's (v2 applies the lower one): a run whose cpu_max
 * is above the quota of the worker's own cpu cgroup must still get its memory and pids
 * cgroups, with cpu_max reported as not enforced. */
static void real_cpu_above_parent(void) {
        Limits l = { .memory_max = 64 << 20, .tasks_max = 8, .cpu_max = 100 };
        _cleanup_free_ char *orig = NULL, *parent = NULL;
        Cgroup *c = NULL;

        if (cgroup_detect() != CGROUP_MODE_V1 || !cgroup_layout.v1_dir[V1_CPU]) {
                skip("cpu above the parent's quota: no writable v1 cpu hierarchy");
                return;
        }
        orig = strdup(cgroup_layout.v1_dir[V1_CPU]);
        if (!orig || asprintf(&parent, "%s/skillrun-test-cpuparent-%s", orig, uniq) < 0 || mkdir(parent, 0755) < 0) {
                ok(false, "cpu above the parent's quota: make the parent");
                return;
        }
        put(pathf("%s/cpu.cfs_period_us", parent), "100000");
        put(pathf("%s/cpu.cfs_quota_us", parent), "50000");
        put(pathf("%s/cgroup.procs", parent), "0");
        is_int(cgroup_set_root_for_test(NULL), 0, "cpu above the parent's quota: re-detect in it");
        is_int(cgroup_detect(), CGROUP_MODE_V1, "... v1 there");
        is_str(cgroup_layout.v1_dir[V1_CPU], parent, "... the worker's cpu cgroup is the 50%% one");

        is_int(cgroup_create(&l, real_id("t-cpu100"), &c, NULL), 0, "cpu_max 100 under a 50%% quota: create");
        is_int(cgroup_mode(c), CGROUP_MODE_V1, "... v1, not the rlimit fallback");
        ok(cgroup_path(c, 0) && exists(cgroup_path(c, 0)) && cgroup_path(c, 1) && exists(cgroup_path(c, 1)),
           "... with its memory and pids cgroups");
        is_str(cgroup_path(c, 2), NULL, "... and no cpu cgroup");
        ok(!cgroup_cpu_limited(c), "... cpu_max not claimed");
        ok(!exists(pathf("%s/skillrun-run-%s", parent, real_id("t-cpu100"))), "... nothing left in the cpu hierarchy");
        c = cgroup_free(c);

        put(pathf("%s/cgroup.procs", orig), "0");
        ok(rmdir(parent) == 0, "cpu above the parent's quota: parent removed");
        (void) cgroup_set_root_for_test(NULL);
}

/* On a pure cgroup v2 host (CI) our cgroup is usually shared (a session scope, the runner's
 * service): as root, make ourselves a delegated cgroup of our own next to the top, as systemd
 * would with Delegate=yes, so that the delegated path runs for real. Returns the directory to
 * undo, or NULL. */
static char *make_own_v2_cgroup(char **ret_orig) {
        char *dir, *orig = NULL, *mi = NULL, *self = NULL;

        if (read_full_file("/proc/self/cgroup", 1 << 20, &self, NULL) < 0 ||
            read_full_file("/proc/self/mountinfo", 4 << 20, &mi, NULL) < 0)
                goto fail;
        if (cgroup_find_dir(self, mi, NULL, &orig, NULL) < 0)
                goto fail;
        const char *top = "/sys/fs/cgroup";
        if (!strstr(get(pathf("%s/cgroup.subtree_control", top)), "memory") ||
            !strstr(get(pathf("%s/cgroup.subtree_control", top)), "pids"))
                goto fail;
        if (asprintf(&dir, "%s/skillrun-test-%s", top, uniq) < 0)
                goto fail;
        if (mkdir(dir, 0755) < 0) {
                free(dir);
                goto fail;
        }
        put(pathf("%s/cgroup.procs", dir), "0");
        free(self), free(mi);
        *ret_orig = orig;
        return dir;
fail:
        free(self), free(mi), free(orig);
        return NULL;
}

static void undo_own_v2_cgroup(char *dir, char *orig) {
        if (!dir)
                return;
        put(pathf("%s/cgroup.procs", orig), "0");
        (void) rmdir(pathf("%s/worker", dir));
        ok(rmdir(dir) == 0, "own test cgroup removed");
        free(dir), free(orig);
}

/* cgroup_describe() without its "not used:" notes. */
static void cut_notes(char *text) {
        char *notes = text ? strstr(text, "not used:") : NULL;
        if (notes)
                *notes = 0;
}

/* What v1_refused_at_usual_places() decides by, found independently: our v1 memory and pids
 * cgroups, from /proc/self/cgroup, refused for their permissions below /sys/fs/cgroup. */
static bool usual_places_refused(void) {
        static const char *const controllers[] = { "memory", "pids" };
        _cleanup_free_ char *self = NULL;

        if (read_full_file("/proc/self/cgroup", 65536, &self, NULL) < 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                _cleanup_free_ char *want = NULL;
                char dir[4096];

                if (asprintf(&want, ":%s:", controllers[i]) < 0)
                        return false;
                /* "ID:memory:/path": a hierarchy of that controller alone, as on Debian's hybrid */
                const char *line = strstr(self, want);
                if (!line)
                        return false;
                line += strlen(want);
                snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s%.*s", controllers[i], (int) strcspn(line, "\n"), line);
                if (access(dir, W_OK) >= 0 || (errno != EACCES && errno != EPERM))
                        return false;
        }
        return true;
}

/* statmount(2) finds what /proc/self/mountinfo finds, or steps aside for it. */
static void real_probe_paths_agree(void) {
        _cleanup_free_ char *fast = NULL, *slow = NULL;
        bool by_statmount = false, by_statmount_slow = true;

        is_int(cgroup_probe_for_test(true, &by_statmount_slow), 0, "probe from mountinfo alone");
        ok(!by_statmount_slow, "...and it did not use statmount");
        is_int(cgroup_describe(&slow), 0, "describe (mountinfo)");
        is_int(cgroup_probe_for_test(false, &by_statmount), 0, "probe as in production");
        is_int(cgroup_layout.by_access, usual_places_refused(), "access() alone decided exactly where %s",
               "v1 memory and pids are refused at their usual places");
        is_int(cgroup_describe(&fast), 0, "describe (production)");
        /* the layout, not the notes on what was not used: with memory and pids on v1 the fast
         * probe does not look at v2 at all */
        cut_notes(fast);
        cut_notes(slow);
        is_str(fast, slow, "both probes found the same layout");
        /* kernels before 6.8 have no statmount(2); with it the usual layout needs no mountinfo */
        struct utsname u;
        unsigned major = 0, minor = 0;
        if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
            (major > 6 || (major == 6 && minor >= 8)) && cgroup_detect() != CGROUP_MODE_NONE)
                ok(by_statmount, "statmount sufficed (kernel %s)", u.release);
        else
                skip(pathf("statmount(2) needs Linux 6.8 and a usable cgroup (kernel %s)", u.release));
}

/* As an unprivileged worker (the unit's DynamicUser=, a container) cgroups refused for their
 * permissions alone are refused through any mount: the fast probe keeps its answer, the same
 * as mountinfo's, rather than reading mountinfo to learn nothing more. */
static void real_probe_unprivileged(void) {
        struct {
                bool same, by_statmount, elsewhere, statmount_kernel, by_access, usual_refused;
                int mode, setup_errno;
        } got = {};
        int pfd[2];

        if (pipe(pfd) < 0) {
                ok(false, "pipe: %m");
                return;
        }
        pid_t pid = fork();
        if (pid == 0) {
                _cleanup_free_ char *fast = NULL, *slow = NULL;
                struct utsname u;
                unsigned major = 0, minor = 0;

                close(pfd[0]);
                if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                    setresuid(65534, 65534, 65534) < 0) {
                        /* EINVAL: 65534 is not mapped in this user namespace */
                        got.setup_errno = errno;
                        _exit(write(pfd[1], &got, sizeof(got)) == (ssize_t) sizeof(got) ? 0 : 3);
                }
                (void) cgroup_probe_for_test(true, NULL);
                got.elsewhere = cgroup_layout.elsewhere;
                (void) cgroup_describe(&slow);
                (void) cgroup_probe_for_test(false, &got.by_statmount);
                got.by_access = cgroup_layout.by_access;
                got.mode = cgroup_detect();
                got.usual_refused = usual_places_refused();
                (void) cgroup_describe(&fast);
                cut_notes(fast);
                cut_notes(slow);
                got.same = fast && slow && streq(fast, slow);
                got.statmount_kernel = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
                                       (major > 6 || (major == 6 && minor >= 8));
                _exit(write(pfd[1], &got, sizeof(got)) == (ssize_t) sizeof(got) ? 0 : 3);
        }
        close(pfd[1]);
        ssize_t n = pid > 0 ? read(pfd[0], &got, sizeof(got)) : -1;
        close(pfd[0]);
        int status = 0;
        if (pid > 0)
                (void) waitpid(pid, &status, 0);
        if (n == (ssize_t) sizeof(got) && got.setup_errno != 0) {
                skip(pathf("cannot become uid 65534 here: %s", strerror(got.setup_errno)));
                return;
        }
        is_int(n, (ssize_t) sizeof(got), "unprivileged probe ran (status %d)", status);
        ok(got.same, "unprivileged: both probes found the same layout");
        if (got.statmount_kernel && !got.elsewhere)
                ok(got.by_statmount, "unprivileged, only permissions in the way: statmount sufficed (mode %s)",
                   cgroup_mode_to_string(got.mode));
        else
                skip(got.elsewhere ? "unprivileged: a cgroup refused for more than its permissions"
                                   : "statmount(2) needs Linux 6.8");
        /* v1 memory and pids refused where they usually are: not a mount looked at */
        is_int(got.by_access, got.usual_refused, "unprivileged: access() alone decided (%s)",
               got.usual_refused ? "v1 memory and pids refused at /sys/fs/cgroup" : "not so here");
        if (got.usual_refused)
                is_int(got.mode, CGROUP_MODE_NONE, "...and no cgroup is used");
}

/* stderr into a pipe, until captured() puts it back */
typedef struct Capture {
        int saved, read_fd;
} Capture;

static Capture capture_stderr(void) {
        Capture cap;
        int fds[2];

        assert_se(pipe(fds) == 0);
        cap.saved = dup(STDERR_FILENO);
        assert_se(cap.saved >= 0 && dup2(fds[1], STDERR_FILENO) >= 0);
        close(fds[1]);
        cap.read_fd = fds[0];
        return cap;
}

/* stderr back, and what was written to it meanwhile in said */
static void captured(Capture cap, char *said, size_t size) {
        assert_se(dup2(cap.saved, STDERR_FILENO) >= 0);
        close(cap.saved);
        ssize_t n = read(cap.read_fd, said, size - 1);
        said[n > 0 ? n : 0] = '\0';
        close(cap.read_fd);
}

/* cgroup_free(c), with what it logs to stderr in said. */
static Cgroup *free_capturing_log(Cgroup *c, char *said, size_t size) {
        Capture cap = capture_stderr();

        c = cgroup_free(c);
        captured(cap, said, size);
        return c;
}

/* mkdir dir/x/x/... depth levels deep; returns the deepest path (static buffer). */
static const char *chain(const char *dir, int depth) {
        static char deep[4096];

        snprintf(deep, sizeof deep, "%s", dir);
        for (int i = 0; i < depth; i++) {
                strcat(deep, "/x");
                assert_se(mkdir(deep, 0755) == 0);
        }
        return deep;
}

/* rmdir a chain from its deepest directory up to dir itself. */
static bool unchain(const char *deepest, const char *dir) {
        char p[4096];
        bool all = true;

        snprintf(p, sizeof p, "%s", deepest);
        while (strlen(p) > strlen(dir)) {
                all = rmdir(p) == 0 && all;
                *strrchr(p, '/') = '\0';
        }
        return rmdir(dir) == 0 && all;
}

/* Child cgroups a skill made inside its run cgroups (policy "none" in a delegated tree, a
 * container tool) go with them, their processes killed first: one that moved into a child of
 * the last hierarchy after joining the run (in v1 it stays in the other run cgroups' roots, so
 * those wait for it), one in a child of the first only, and a 16-deep chain. */
static void real_children_removed(void) {
        Limits l = { .memory_max = 64 << 20, .tasks_max = 8 };
        char said[1024] = "";
        char *dirs[3] = {};
        unsigned n = 0;
        Cgroup *c = NULL;

        is_int(cgroup_create(&l, real_id("t-kids"), &c, NULL), 0, "children: create");
        if (!c)
                return;
        for (; n < 3 && cgroup_path(c, n); n++)
                assert_se((dirs[n] = strdup(cgroup_path(c, n))));
        for (unsigned i = 0; i < n; i++)
                assert_se(mkdir(pathf("%s/a", dirs[i]), 0755) == 0 && mkdir(pathf("%s/a/b", dirs[i]), 0755) == 0 &&
                          mkdir(pathf("%s/a/b/c", dirs[i]), 0755) == 0 && mkdir(pathf("%s/d", dirs[i]), 0755) == 0);
        (void) chain(pathf("%s/d", dirs[0]), 15); /* d + 15: 16 levels below the run cgroup */

        pid_t moved = sleeper_in(c, true, dirs[n - 1], "a/b");
        ok(moved > 0, "children: a run process moved itself into a/b of the last hierarchy (of %u)", n);
        pid_t alone = sleeper_in(c, false, dirs[0], "a/b/c");
        ok(alone > 0, "children: another one sits in a/b/c of the first hierarchy only");

        c = free_capturing_log(c, said, sizeof said);

        ok(moved > 0 && was_killed(moved), "children: the moved run process was SIGKILLed");
        ok(alone > 0 && was_killed(alone), "children: the other one too");
        bool gone = true;
        for (unsigned i = 0; i < n; i++)
                gone = gone && !exists(dirs[i]);
        ok(gone, "children: every run cgroup, a, a/b, a/b/c, d and the 16-deep chain are gone");
        is_str(said, "", "children: nothing logged");
        /* after a failure: leave nothing for the next run */
        for (unsigned i = 0; i < n; i++) {
                static const char *const tree[] = { "a/b/c", "a/b", "a" };
                for (size_t j = 0; j < ELEMENTSOF(tree); j++)
                        (void) rmdir(pathf("%s/%s", dirs[i], tree[j]));
                if (i == 0 && exists(pathf("%s/d/x", dirs[0])))
                        (void) unchain(pathf("%s/d%s", dirs[0], "/x/x/x/x/x/x/x/x/x/x/x/x/x/x/x"), pathf("%s/d", dirs[0]));
                (void) rmdir(pathf("%s/d", dirs[i]));
                (void) rmdir(dirs[i]);
                free(dirs[i]);
        }
}

/* A run cgroup that cannot go (here: children nested deeper than cgroup.c follows) is left
 * whole, without waiting for it, and logged with its path. */
static void real_left_behind(void) {
        enum { DEPTH = 17 }; /* SUBTREE_DEPTH_MAX + 1 */
        Limits l = { .memory_max = 64 << 20, .tasks_max = 8 };
        _cleanup_free_ char *dir = NULL, *deep = NULL;
        char said[1024] = "";
        Cgroup *c = NULL;

        is_int(cgroup_create(&l, real_id("t-busy"), &c, NULL), 0, "left behind: create");
        if (!c)
                return;
        dir = strdup(cgroup_path(c, 0));
        assert_se(dir);
        deep = strdup(chain(dir, DEPTH));
        assert_se(deep);

        c = free_capturing_log(c, said, sizeof said);

        ok(exists(dir), "left behind: the run cgroup is still there");
        ok(exists(deep), "left behind: the chain is left whole (its bottom is out of reach)");
        ok(strstr(said, "Cannot remove run cgroup") && strstr(said, dir) && strstr(said, strerror(EBUSY)),
           "left behind: logged with its path and EBUSY");
        printf("# %s", said);
        ok(unchain(deep, dir), "left behind: cleanup");
}

/* "<our cgroup v2 directory>/skillrun-test-<role>-<uniq>" made, with children a and a/b, its
 * path in *ret_dir and as /proc/<pid>/cgroup names it in *ret_cg; false (skipped, saying why)
 * where there is no such tree to make it in. */
static bool v2_test_tree(const char *role, char **ret_dir, char **ret_cg) {
        _cleanup_free_ char *self = NULL, *mi = NULL, *top = NULL, *path = NULL;

        if (read_full_file("/proc/self/cgroup", 1 << 20, &self, NULL) < 0 ||
            read_full_file("/proc/self/mountinfo", 4 << 20, &mi, NULL) < 0 ||
            cgroup_find_dir(self, mi, NULL, &top, &path) < 0) {
                skip(pathf("%s: no cgroup2 mount shows our cgroup", role));
                return false;
        }
        assert_se(asprintf(ret_dir, "%s/skillrun-test-%s-%s", top, role, uniq) >= 0);
        assert_se((*ret_cg = cgroup_path_join(path, strrchr(*ret_dir, '/') + 1)));
        if (mkdir(*ret_dir, 0755) < 0) {
                skip(pathf("%s: cannot make %s: %s", role, *ret_dir, strerror(errno)));
                return false;
        }
        assert_se(mkdir(pathf("%s/a", *ret_dir), 0755) == 0 && mkdir(pathf("%s/a/b", *ret_dir), 0755) == 0);
        return true;
}

/* rmdir what v2_test_tree() made and a failed test left. */
static void v2_test_tree_done(const char *dir) {
        (void) rmdir(pathf("%s/a/b", dir));
        (void) rmdir(pathf("%s/a", dir));
        (void) rmdir(dir);
}

/* The delegated mode's kill and removal on the real cgroup v2 tree of a host where cgroup_create()
 * cannot make a delegated run cgroup (the hybrid layout's v2 tree holds no memory or pids
 * controller): cgroup.kill takes a run process and one that moved into a child cgroup, and
 * cgroup_free() removes the run cgroup and its children once they are out, logging nothing. */
static void real_v2_kill(void) {
        _cleanup_free_ char *dir = NULL, *cg = NULL;
        char said[1024] = "";
        Cgroup *c = NULL;

        if (!v2_test_tree("v2kill", &dir, &cg))
                return;
        if (!exists(pathf("%s/cgroup.kill", dir))) {
                skip("v2 kill: no cgroup.kill (Linux 5.14)");
                v2_test_tree_done(dir);
                return;
        }
        is_int(cgroup_adopt_for_test(dir, cg, &c), 0, "v2 kill: a delegated Cgroup for %s", dir);
        if (c) {
                pid_t run = sleeper_in(c, true, dir, ".");
                pid_t moved = sleeper_in(c, true, dir, "a/b");
                ok(run > 0 && moved > 0, "v2 kill: a run process in the run cgroup, another moved to a/b");
                c = free_capturing_log(c, said, sizeof said);
                ok(run > 0 && was_killed(run), "v2 kill: the run process was SIGKILLed");
                ok(moved > 0 && was_killed(moved), "v2 kill: the moved one too");
                ok(!exists(dir), "v2 kill: the run cgroup, a and a/b removed");
                is_str(said, "", "v2 kill: nothing logged");
        }
        v2_test_tree_done(dir);
}

/* Kernels before 5.14 (Debian 11's 5.10) have no cgroup.kill: cgroup_kill() falls back to
 * SIGKILLing what cgroup.procs lists, in the run cgroup and its children, matching each pid's
 * "0::" line. Here cgroup.kill is refused (a read-only file bind-mounted over it in a child's
 * private mount namespace, where the run lives); the mount goes before cgroup_free(). Exit
 * status of the child: bit 0 the run process not killed, bit 1 the moved one, 8 set-up. */
static void real_v2_kill_without_file(void) {
        _cleanup_free_ char *dir = NULL, *cg = NULL;
        const char *empty = pathf("%s/empty", tmp_root);

        if (!v2_test_tree("v2nokill", &dir, &cg))
                return;
        put(empty, "");
        pid_t pid = fork();
        if (pid == 0) {
                const char *kill_file = pathf("%s/cgroup.kill", dir);
                Cgroup *c = NULL;
                int status = 0;

                (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    (exists(kill_file) && (mount(empty, kill_file, NULL, MS_BIND, NULL) < 0 ||
                                           mount(NULL, kill_file, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)))
                        _exit(77);
                if (cgroup_adopt_for_test(dir, cg, &c) < 0)
                        _exit(8);
                pid_t run = sleeper_in(c, true, dir, ".");
                pid_t moved = sleeper_in(c, true, dir, "a/b");
                if (run < 0 || moved < 0)
                        _exit(8);
                cgroup_kill(c);
                if (!was_killed(run))
                        status |= 1;
                if (!was_killed(moved))
                        status |= 2;
                (void) umount2(kill_file, MNT_DETACH);
                c = cgroup_free(c);
                _exit(status);
        }
        int status = wait_child(pid, NULL);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
                skip("v2 kill without cgroup.kill: no private mount namespace here");
        else
                is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
                       "v2 kill without cgroup.kill: the run process and the one moved to a/b SIGKILLed from cgroup.procs");
        ok(!exists(dir), "v2 kill without cgroup.kill: the run cgroup, a and a/b removed");
        v2_test_tree_done(dir);
}

/* rmdir(2) answers EBUSY while a process is still in the run cgroup, as one the kill has not
 * yet taken out (a dying task the kernel still counts): cgroup_free() retries rather than
 * leaving the directory. The process here is this test itself, which cgroup.c never kills,
 * moved into the run cgroup of the kill hierarchy and moved back 150 ms later by a helper. In
 * v1 only: a delegated tree's cgroup.kill would take the test with it. */
static void real_rmdir_busy(void) {
        Limits l = { .memory_max = 64 << 20, .tasks_max = 8 };
        _cleanup_free_ char *self = NULL, *orig = NULL;
        char *dirs[3] = {};
        const char *procs_dir = NULL;
        char said[1024] = "", mypid[32];
        int go[2];
        unsigned n = 0;
        Cgroup *c = NULL;

        if (cgroup_detect() != CGROUP_MODE_V1) {
                skip("rmdir busy: cgroup.kill of a delegated run cgroup would kill this test");
                return;
        }
        assert_se(read_full_file("/proc/self/cgroup", 65536, &self, NULL) >= 0);
        is_int(cgroup_create(&l, real_id("t-rmbusy"), &c, NULL), 0, "rmdir busy: create");
        if (!c)
                return;
        for (; n < 3 && cgroup_path(c, n); n++) {
                assert_se((dirs[n] = strdup(cgroup_path(c, n))));
                if (strstr(dirs[n], "/sys/fs/cgroup/pids/"))
                        procs_dir = dirs[n];
        }
        /* our own pids cgroup, to come back to */
        const char *line = strstr(self, ":pids:");
        assert_se(line && procs_dir);
        line += strlen(":pids:");
        assert_se(asprintf(&orig, "/sys/fs/cgroup/pids%.*s", (int) strcspn(line, "\n"), line) >= 0);
        snprintf(mypid, sizeof mypid, "%d", (int) getpid());

        assert_se(pipe2(go, O_CLOEXEC) == 0);
        pid_t helper = fork();
        if (helper == 0) {
                char b;
                close(go[1]);
                if (read(go[0], &b, 1) != 1)
                        _exit(1);
                usleep(150 * 1000);
                _cleanup_close_ int fd = open(pathf("%s/cgroup.procs", orig), O_WRONLY | O_CLOEXEC);
                _exit(fd >= 0 && write(fd, mypid, strlen(mypid)) == (ssize_t) strlen(mypid) ? 0 : 2);
        }
        close(go[0]);
        put(pathf("%s/cgroup.procs", procs_dir), "0");
        ok(strstr(get(pathf("%s/cgroup.procs", procs_dir)), mypid) != NULL, "rmdir busy: this test is in the run's pids cgroup");
        uint64_t t0 = now_usec();
        assert_se(write(go[1], "x", 1) == 1);
        close(go[1]);
        c = free_capturing_log(c, said, sizeof said);
        uint64_t took_ms = (now_usec() - t0) / 1000;
        is_int(wait_child(helper, NULL), 0, "rmdir busy: the helper moved this test back");
        bool gone = true;
        for (unsigned i = 0; i < n; i++)
                gone = gone && !exists(dirs[i]);
        ok(gone, "rmdir busy: every run cgroup removed, the busy one once it emptied (%" PRIu64 " ms)", took_ms);
        ok(took_ms >= 100, "rmdir busy: ... after waiting for it");
        is_str(said, "", "rmdir busy: nothing logged");
        for (unsigned i = 0; i < n; i++) {
                (void) rmdir(dirs[i]);
                free(dirs[i]);
        }
}

static void test_real(void) {
        char *own = NULL, *orig = NULL, *text = NULL;

        is_int(cgroup_set_root_for_test(NULL), 0, "back to the real system");
        if (geteuid() != 0) {
                skip("real cgroups need root");
                return;
        }
        CgroupMode mode = cgroup_detect();
        if (mode == CGROUP_MODE_NONE) {
                own = make_own_v2_cgroup(&orig);
                is_int(cgroup_set_root_for_test(NULL), 0, "re-detect");
                mode = cgroup_detect();
        }
        if (cgroup_describe(&text) >= 0) {
                for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
                        printf("# %s\n", line);
                free(text);
        }
        real_probe_paths_agree();
        real_probe_unprivileged();
        if (mode == CGROUP_MODE_NONE) {
                skip("no writable cgroup on this machine");
                undo_own_v2_cgroup(own, orig);
                return;
        }
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        real_memory();
        real_fork_bomb();
        real_kill_escaped();
        real_kill_syscalls_refused();
        real_cpu();
        real_cpu_above_parent();
        real_children_removed();
        real_left_behind();
        real_rmdir_busy();
        if (mode != CGROUP_MODE_DELEGATED) {
                real_v2_kill();
                real_v2_kill_without_file();
        }
        undo_own_v2_cgroup(own, orig);
}

/* A v1 layout whose cpu hierarchy is not mounted (a container given memory and pids only): v1
 * all the same, the run gets its memory and pids cgroups, and cpu_max is not claimed. */
static void test_fake_v1_without_cpu(void) {
        static const char mountinfo[] =
                "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
                "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
        Limits l = { .memory_max = 32 << 20, .tasks_max = 4, .cpu_max = 25 };
        const char *root = strdup(pathf("%s/v1-nocpu", tmp_root));
        char *text = NULL;
        Cgroup *c = NULL;

        mkdir_p(pathf("%s/proc/self", root));
        put(pathf("%s/proc/self/cgroup", root), self_hybrid);
        put(pathf("%s/proc/self/mountinfo", root), mountinfo);
        mkdir_p(pathf("%s/sys/fs/cgroup/memory/process_api/b835", root));
        mkdir_p(pathf("%s/sys/fs/cgroup/pids", root));
        is_int(cgroup_set_root_for_test(root), 0, "fake v1 root without cpu");
        is_int(cgroup_detect(), CGROUP_MODE_V1, "no cpu hierarchy: v1 still");
        is_int(cgroup_describe(&text), 0, "no cpu hierarchy: describe");
        contains_str(text, "cpu: (not usable: cpu_max not enforced)\n", "no cpu hierarchy: describe says cpu_max is not enforced");
        contains_str(text, "cgroup v1 cpu: not mounted\n", "no cpu hierarchy: ... and why");
        free(text);
        is_int(cgroup_create(&l, "r1", &c, NULL), 0, "no cpu hierarchy: create with cpu_max");
        const char *mem = strdup(pathf("%s/sys/fs/cgroup/memory/process_api/b835/skillrun-run-r1", root));
        const char *pids = strdup(pathf("%s/sys/fs/cgroup/pids/skillrun-run-r1", root));
        is_str(cgroup_path(c, 0), mem, "no cpu hierarchy: memory run dir");
        is_str(cgroup_path(c, 1), pids, "no cpu hierarchy: pids run dir");
        is_str(cgroup_path(c, 2), NULL, "no cpu hierarchy: no third");
        is_str(get(pathf("%s/pids.max", pids)), "4", "no cpu hierarchy: pids.max");
        ok(!cgroup_cpu_limited(c), "no cpu hierarchy: cpu not limited");
        c = cgroup_free(c);
        ok(!exists(mem) && !exists(pids), "no cpu hierarchy: both removed");
        free((char *) mem), free((char *) pids), free((char *) root);
}

/* What a delegated tree that refuses a step says: the step, the path and the errno, as the run's
 * error. Each refusal in a fresh fake unit, as the once-per-process preparation is not done. */
static void v2_refused(const char *name, const char *controllers, void (*spoil)(const char *unit), const char *before,
                       const char *after, int want_r) {
        Limits l = { .memory_max = 1 << 20, .tasks_max = 2 };
        char mypid[32], want[4096], *err = NULL;
        Cgroup *c = NULL;
        const char *unit;

        snprintf(mypid, sizeof mypid, "%d\n", (int) getpid());
        unit = strdup(fake_v2(name, "/system.slice/u.service", controllers, mypid));
        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "%s: delegated", name);
        spoil(unit);
        is_int(cgroup_create(&l, "r", &c, &err), want_r, "%s: create refused", name);
        snprintf(want, sizeof want, "cgroup: %s'%s%s': %s", before, unit, after, strerror(-want_r));
        is_str(err, want, "%s: the message", name);
        ok(!c, "%s: no cgroup returned", name);
        ok(!exists(pathf("%s/run-r", unit)), "%s: no run cgroup made", name);
        free(err);
        free((char *) unit);
}

static void spoil_gone(const char *unit) {
        (void) rm_rf(unit);
}

static void spoil_worker_file(const char *unit) {
        put(pathf("%s/worker", unit), "");
}

static void spoil_worker_procs(const char *unit) {
        mkdir_p(pathf("%s/worker/cgroup.procs", unit));
}

static void spoil_subtree_dir(const char *unit) {
        unlink(pathf("%s/cgroup.subtree_control", unit));
        mkdir_p(pathf("%s/cgroup.subtree_control", unit));
}

static void spoil_subtree_full(const char *unit) {
        unlink(pathf("%s/cgroup.subtree_control", unit));
        if (symlink("/dev/full", pathf("%s/cgroup.subtree_control", unit)) < 0)
                printf("# symlink: %m\n");
}

static void test_fake_v2_refusals(void) {
        static const char mp[] = "memory pids\n";

        v2_refused("v2-gone", mp, spoil_gone, "cannot open ", "", -ENOENT);
        v2_refused("v2-worker-file", mp, spoil_worker_file, "cannot open ", "/worker", -ENOTDIR);
        v2_refused("v2-worker-procs", mp, spoil_worker_procs, "cannot move the worker into ", "/worker", -EISDIR);
        v2_refused("v2-subtree-dir", mp, spoil_subtree_dir, "cannot read ", "/cgroup.subtree_control", -EISDIR);
        v2_refused("v2-subtree-full", mp, spoil_subtree_full, "cannot enable '+memory +pids' in ",
                   "/cgroup.subtree_control", -ENOSPC);
        /* with cpu available too: what failed is memory and pids, which the run cannot do without */
        v2_refused("v2-subtree-full-cpu", "cpu memory pids\n", spoil_subtree_full, "cannot enable '+memory +pids' in ",
                   "/cgroup.subtree_control", -ENOSPC);
}

/* The kernel refuses the cpu controller (EINVAL: a realtime process under CONFIG_RT_GROUP_SCHED)
 * or a run's cpu.max: cpu is optional, as in v1. The run keeps its memory and pids limits and
 * only cpu_max goes unenforced (sandbox.c reports it missing); a refused controller is not asked
 * for again by the same process. */
static void test_fake_v2_cpu_refused(void) {
        Limits l = { .memory_max = 32 << 20, .tasks_max = 4, .cpu_max = 50 };
        char mypid[32], said[1024] = "", *err = NULL;
        Cgroup *c = NULL, *c2 = NULL;
        const char *unit;

        snprintf(mypid, sizeof mypid, "%d\n", (int) getpid());
        unit = strdup(fake_v2("v2-cpu-refused", "/system.slice/u.service", "cpu io memory pids\n", mypid));
        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "cpu refused: delegated");
        refuse_cpu_enable = true;
        subtree_writes = 0;
        Capture cap = capture_stderr();
        int r = cgroup_create(&l, "r1", &c, &err);
        captured(cap, said, sizeof said);
        is_int(r, 0, "cpu refused: create");
        is_str(err, NULL, "cpu refused: no error");
        is_int(cgroup_mode(c), CGROUP_MODE_DELEGATED, "cpu refused: a delegated run cgroup, not the rlimits");
        is_str(get(pathf("%s/cgroup.subtree_control", unit)), "+memory +pids", "cpu refused: memory and pids enabled");
        is_int(subtree_writes, 2, "cpu refused: in a second write, after the one with cpu");
        is_str(get(pathf("%s/run-r1/memory.max", unit)), "33554432", "cpu refused: memory.max");
        is_str(get(pathf("%s/run-r1/pids.max", unit)), "4", "cpu refused: pids.max");
        ok(!exists(pathf("%s/run-r1/cpu.max", unit)), "cpu refused: no cpu.max");
        ok(!cgroup_cpu_limited(c), "cpu refused: cpu not limited");
        contains_str(said,
                     pathf("Cannot enable the cpu controller in '%s/cgroup.subtree_control', cpu_max not enforced: %s\n",
                           unit, strerror(EINVAL)),
                     "cpu refused: logged, with the path and the errno");

        subtree_writes = 0;
        is_int(cgroup_create(&l, "r2", &c2, NULL), 0, "cpu refused: second create");
        is_int(subtree_writes, 0, "cpu refused: not asked for again");
        ok(!exists(pathf("%s/run-r2/cpu.max", unit)), "cpu refused: second run: no cpu.max");
        ok(!cgroup_cpu_limited(c2), "cpu refused: second run: cpu not limited");
        refuse_cpu_enable = false;
        c = cgroup_free(c);
        c2 = cgroup_free(c2);
        free((char *) unit);

        /* memory and pids enabled already, cpu refused: nothing else to write, and the run made */
        unit = strdup(fake_v2("v2-cpu-alone-refused", "/system.slice/u.service", "cpu memory pids\n", mypid));
        put(pathf("%s/cgroup.subtree_control", unit), "memory pids\n");
        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "cpu alone refused: delegated");
        refuse_cpu_enable = true;
        subtree_writes = 0;
        cap = capture_stderr();
        r = cgroup_create(&l, "r1", &c, NULL);
        captured(cap, said, sizeof said);
        refuse_cpu_enable = false;
        is_int(r, 0, "cpu alone refused: create");
        is_int(subtree_writes, 1, "cpu alone refused: the one write, of '+cpu'");
        ok(exists(pathf("%s/run-r1/pids.max", unit)) && !exists(pathf("%s/run-r1/cpu.max", unit)),
           "cpu alone refused: pids.max, no cpu.max");
        ok(!cgroup_cpu_limited(c), "cpu alone refused: cpu not limited");
        c = cgroup_free(c);
        free((char *) unit);

        /* all three enabled already (by the unit's Delegate=, or a worker before): nothing is
         * written, so a kernel that would refuse "+cpu" now does not cost the run its cpu_max */
        unit = strdup(fake_v2("v2-cpu-enabled", "/system.slice/u.service", "cpu memory pids\n", mypid));
        put(pathf("%s/cgroup.subtree_control", unit), "cpu memory pids\n");
        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "cpu enabled already: delegated");
        refuse_cpu_enable = true;
        subtree_writes = 0;
        r = cgroup_create(&l, "r1", &c, NULL);
        refuse_cpu_enable = false;
        is_int(r, 0, "cpu enabled already: create");
        is_int(subtree_writes, 0, "cpu enabled already: cgroup.subtree_control not written");
        is_str(get(pathf("%s/run-r1/cpu.max", unit)), "50000 100000", "cpu enabled already: cpu.max");
        ok(cgroup_cpu_limited(c), "cpu enabled already: cpu limited");
        c = cgroup_free(c);
        free((char *) unit);

        /* the controller enabled, the run's cpu.max refused */
        unit = strdup(fake_v2("v2-cpu-max-refused", "/system.slice/u.service", "cpu memory pids\n", mypid));
        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "cpu.max refused: delegated");
        refuse_cpu_max = true;
        subtree_writes = 0;
        is_int(cgroup_create(&l, "r1", &c, &err), 0, "cpu.max refused: create");
        refuse_cpu_max = false;
        is_str(err, NULL, "cpu.max refused: no error");
        is_int(cgroup_mode(c), CGROUP_MODE_DELEGATED, "cpu.max refused: a delegated run cgroup");
        is_str(get(pathf("%s/cgroup.subtree_control", unit)), "+memory +pids +cpu", "cpu.max refused: all three enabled");
        is_int(subtree_writes, 1, "cpu.max refused: in one write");
        is_str(get(pathf("%s/run-r1/memory.max", unit)), "33554432", "cpu.max refused: memory.max");
        is_str(get(pathf("%s/run-r1/pids.max", unit)), "4", "cpu.max refused: pids.max");
        ok(!cgroup_cpu_limited(c), "cpu.max refused: cpu not limited");
        c = cgroup_free(c);
        ok(!exists(pathf("%s/run-r1", unit)), "cpu.max refused: run directory removed");
        free(err);
        free((char *) unit);
}

/* Why the probe passed a layout over, in cgroup_describe()'s notes. */
static void layout_note(const char *name, const char *self, const char *mountinfo, const char *unit_procs,
                        bool subtree_control, const char *before, const char *after) {
        const char *root = strdup(pathf("%s/%s", tmp_root, name));
        const char *unit = strdup(pathf("%s/sys/fs/cgroup/system.slice/u.service", root));
        char want[4096], *text = NULL;

        mkdir_p(pathf("%s/proc/self", root));
        put(pathf("%s/proc/self/cgroup", root), self);
        if (mountinfo)
                put(pathf("%s/proc/self/mountinfo", root), mountinfo);
        mkdir_p(unit);
        put(pathf("%s/cgroup.controllers", unit), "memory pids\n");
        if (unit_procs)
                put(pathf("%s/cgroup.procs", unit), unit_procs);
        else
                mkdir_p(pathf("%s/cgroup.procs", unit));
        if (subtree_control)
                put(pathf("%s/cgroup.subtree_control", unit), "");
        is_int(cgroup_set_root_for_test(root), 0, "%s: fake root", name);
        is_int(cgroup_detect(), CGROUP_MODE_NONE, "%s: no layout", name);
        is_int(cgroup_describe(&text), 0, "%s: describe", name);
        snprintf(want, sizeof want, "%s%s%s", before, after ? unit : "", strempty(after));
        contains_str(text, want, "%s: says why", name);
        free(text);
        free((char *) unit);
        free((char *) root);
}

static void test_fake_layout_notes(void) {
        static const char v2_mount[] = "25 1 0:22 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw\n";
        char mypid[32];

        snprintf(mypid, sizeof mypid, "%d\n", (int) getpid());
        layout_note("note-mountinfo", "0::/system.slice/u.service\n", NULL, mypid, true,
                    "not used:\ncannot read /proc/self/mountinfo: No such file or directory\n", NULL);
        /* cgroup2 mounted with another root (a container's view): our cgroup is not below it */
        layout_note("note-unseen", "0::/system.slice/u.service\n",
                    "25 1 0:22 /other /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", mypid, true,
                    "cgroup v2: no cgroup2 mount shows our cgroup\n", NULL);
        layout_note("note-no-subtree", "0::/system.slice/u.service\n", v2_mount, mypid, false,
                    "cgroup v2 '", "': 'cgroup.subtree_control' not writable (No such file or directory): "
                                   "no Delegate=yes?\n");
        layout_note("note-procs", "0::/system.slice/u.service\n", v2_mount, NULL, true,
                    "cgroup v2 '", "': cannot read cgroup.procs: Is a directory\n");

        /* a worker already in the leaf (the probe after a reset) whose leaf is gone, or holds no
         * cgroup.procs: not delegated, and the note says which directory */
        layout_note("note-leaf-gone", "0::/system.slice/u.service/worker\n", v2_mount, "", true, "cgroup v2 '",
                    "/worker': cannot read cgroup.procs: No such file or directory\n");
        mkdir_p(pathf("%s/note-leaf-empty/sys/fs/cgroup/system.slice/u.service/worker", tmp_root));
        layout_note("note-leaf-empty", "0::/system.slice/u.service/worker\n", v2_mount, "", true, "cgroup v2 '",
                    "/worker': cannot read cgroup.procs: No such file or directory\n");

        /* a cgroup.procs that lists no pid we can read: nobody else is in it, delegated */
        const char *unit = fake_v2("v2-unreadable-procs", "/system.slice/u.service", "memory pids\n", "x\n");
        is_int(cgroup_detect(), CGROUP_MODE_DELEGATED, "cgroup.procs without a pid: delegated");
        (void) unit;
}

/* A delegated cgroup on a read-only mount (a container's /sys/fs/cgroup, as Docker mounts it;
 * ProtectControlGroups= without the unit's ReadWritePaths= for it, as after a drop-in moved it
 * to another Slice=): not used, and the note names the mount, not Delegate=. As root, in a
 * private mount namespace of a child, the fake unit bind-mounted read-only onto itself. */
static void test_fake_v2_read_only(void) {
        char mypid[32], text[4096] = "";
        int pfd[2];

        snprintf(mypid, sizeof mypid, "%d\n", (int) getpid());
        const char *unit = strdup(fake_v2("v2-read-only", "/system.slice/u.service", "memory pids\n", mypid));
        assert_se(unit && pipe2(pfd, O_CLOEXEC) == 0);
        pid_t pid = fork();
        if (pid == 0) {
                _cleanup_free_ char *said = NULL;
                close(pfd[0]);
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount(unit, unit, NULL, MS_BIND, NULL) < 0 ||
                    mount(NULL, unit, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                        _exit(77);
                (void) cgroup_set_root_for_test(cgroup_test_root);
                if (cgroup_detect() != CGROUP_MODE_NONE)
                        _exit(2);
                if (cgroup_describe(&said) < 0)
                        _exit(3);
                _exit(write(pfd[1], said, strlen(said)) == (ssize_t) strlen(said) ? 0 : 4);
        }
        close(pfd[1]);
        ssize_t n = read(pfd[0], text, sizeof text - 1);
        close(pfd[0]);
        text[n > 0 ? n : 0] = '\0';
        int status = wait_child(pid, NULL);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
                skip("read-only cgroup v2: no private mount namespace here (needs root)");
                free((char *) unit);
                return;
        }
        is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0, "read-only cgroup v2: no layout (2), described (3, 4)");
        contains_str(text, pathf("cgroup v2 '%s': '.' not writable (%s): a read-only mount of it "
                                 "(a container's /sys/fs/cgroup, or ProtectControlGroups= without ReadWritePaths= for it)\n",
                                 unit, strerror(EROFS)),
                     "read-only cgroup v2: the note names the read-only mount");
        free((char *) unit);
}

/* cgroup_own_oom_kills(): the OOM kills of our own cgroup, which tell a worker without a run
 * cgroup that its skill's SIGKILL was the unit's MemoryMax=. Found once, then read again. */
static void test_own_oom_kills(void) {
        char mypid[32];
        uint64_t kills = 7;
        const char *root = pathf("%s/oom-none", tmp_root);

        mkdir_p(pathf("%s/proc/self", root));
        is_int(cgroup_set_root_for_test(root), 0, "fake root without /proc/self/cgroup");
        is_int(cgroup_own_oom_kills(&kills), -ENODATA, "no cgroup of our own known: -ENODATA");
        is_int(kills, 7, "... nothing written");

        snprintf(mypid, sizeof mypid, "%d\n", (int) getpid());
        const char *unit = strdup(fake_v2("oom-v2", "/system.slice/u.service", "memory pids\n", mypid));
        is_int(cgroup_own_oom_kills(&kills), -ENODATA, "no memory.events: -ENODATA");
        put(pathf("%s/memory.events", unit), "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
        is_int(cgroup_own_oom_kills(&kills), 0, "memory.events found");
        is_int(kills, 1, "... oom_kill 1");
        put(pathf("%s/memory.events", unit), "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");
        is_int(cgroup_own_oom_kills(&kills), 0, "read again");
        is_int(kills, 2, "... oom_kill 2");
        put(pathf("%s/memory.events", unit), "low 0\n");
        is_int(cgroup_own_oom_kills(&kills), -ENODATA, "no oom_kill key any more: -ENODATA");
        unlink(pathf("%s/memory.events", unit));
        is_int(cgroup_own_oom_kills(&kills), -ENOENT, "the file gone: its errno");
        free((char *) unit);
}

/* cgroup_unit_mode(): what a worker under the shipped unit gets, from the root cgroup's
 * controllers (a fake root stands for a cgroup2 /sys/fs/cgroup). */
static void test_unit_mode(void) {
        const char *root = pathf("%s/unit-mode", tmp_root);

        mkdir_p(pathf("%s/sys/fs/cgroup", root));
        is_int(cgroup_set_root_for_test(root), 0, "fake root for the unit's mode");
        is_int(cgroup_unit_mode(), CGROUP_MODE_NONE, "no cgroup.controllers: rlimit");
        put(pathf("%s/sys/fs/cgroup/cgroup.controllers", root), "cpuset cpu io memory hugetlb pids\n");
        is_int(cgroup_unit_mode(), CGROUP_MODE_DELEGATED, "memory and pids on cgroup v2: delegated");
        put(pathf("%s/sys/fs/cgroup/cgroup.controllers", root), "hugetlb\n");
        is_int(cgroup_unit_mode(), CGROUP_MODE_NONE, "cgroup v2 without them (hybrid's unified tree): rlimit");
        put(pathf("%s/sys/fs/cgroup/cgroup.controllers", root), "cpu memory\n");
        is_int(cgroup_unit_mode(), CGROUP_MODE_NONE, "memory without pids: rlimit");
        put(pathf("%s/sys/fs/cgroup/cgroup.controllers", root), "cpu pids\n");
        is_int(cgroup_unit_mode(), CGROUP_MODE_NONE, "pids without memory: rlimit");
        is_int(cgroup_set_root_for_test(NULL), 0, "back to the real system");
}

int main(void) {
        uint64_t r = 0;

        if (getrandom(&r, sizeof r, 0) != (ssize_t) sizeof r) {
                printf("Bail out! getrandom: %m\n");
                return 1;
        }
        snprintf(uniq, sizeof uniq, "%016" PRIx64, r);
        if (!mkdtemp(tmp_root)) {
                printf("Bail out! mkdtemp: %m\n");
                return 1;
        }
        test_find_dir();
        test_mode_strings();
        test_fake_v2();
        test_fake_v2_variants();
        test_fake_v1();
        test_fake_v1_without_cpu();
        test_fake_v2_refusals();
        test_fake_v2_cpu_refused();
        test_fake_layout_notes();
        test_fake_v2_read_only();
        test_own_oom_kills();
        test_unit_mode();
        test_real();
        (void) rm_rf(tmp_root);
        return done_testing();
}
