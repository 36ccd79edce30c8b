/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sandbox escape tests without the worker: settings and a manifest as the worker would load them,
 * then sandbox_prepare → sandbox_spawn → sandbox_enter → execve of tests/sandbox/hostile, and the
 * exact outcome of every attempt asserted per policy. Needs root (the skill must become another
 * user, and the setuid test needs a root-owned setuid file); needs landlock and seccomp.
 *
 *   sandbox-driver            run the tests (TAP)
 *   sandbox-driver bench N    time prepare+spawn+enter+exec+wait of a trivial run per policy
 *                             (hostile with no attempt), N times, and print p50 per policy */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "deny-syscall.h"
#include "landlock.h"
#include "manifest.h"
#include "run.h"
#include "sandbox.h"
#include "seccomp-bpf.h"
#include "settings.h"
#include "tap.h"
#include "util.h"

static char tmp[64];                /* our scratch tree, 0755 */
static char hostile[128];           /* tmp/bin/hostile */
static char hostile_suid[128];      /* tmp/bin/hostile-suid, setuid root */
static char etc_secret_dir[64];
static char tokens[128];
static int tcp_port;
static char abstract_name[64];
static char dgram_path[128];        /* tmp/open/dgram.sock, 0666, like journald's or /dev/log */
static int leaked_fd = -1;
static int landlock_abi;
static bool libc_socketcall;        /* libc_uses_socketcall() */

typedef struct Outcome_ {
        char *out;        /* hostile's stdout */
        int status;       /* wait status; -1: nothing ran */
        char *step;       /* sandbox_enter failure step */
        SandboxReport report;
} Run;

static void run_done(Run *r) {
        free(r->out);
        free(r->step);
        sandbox_report_done(&r->report);
}

static void cleanup(void) {
        if (*etc_secret_dir) {
                (void) rm_rf(etc_secret_dir);
                *etc_secret_dir = 0;
        }
        if (*tmp)
                (void) rm_rf(tmp);
}

static int copy_file(const char *from, const char *to, mode_t mode) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = read_full_file(from, 64 << 20, &data, &len);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, data, len);
        if (r < 0)
                return r;
        /* after the write: writing clears the setuid bit */
        return fchmod(fd, mode) < 0 ? -errno : 0;
}

static int setup(void) {
        char self[PATH_MAX], path[256];
        _cleanup_free_ char *built = NULL;
        ssize_t n;
        int r;

        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return -errno;
        self[n] = 0;
        *strrchr(self, '/') = 0;

        snprintf(tmp, sizeof(tmp), "/tmp/skillrun-sandbox-test-XXXXXX");
        if (!mkdtemp(tmp))
                return -errno;
        atexit(cleanup);
        if (chmod(tmp, 0755) < 0)
                return -errno;
        snprintf(path, sizeof(path), "%s/bin", tmp);
        if (mkdir(path, 0755) < 0)
                return -errno;
        snprintf(path, sizeof(path), "%s/work", tmp);
        if (mkdir(path, 0755) < 0)
                return -errno;
        /* world-writable, like /tmp: only landlock keeps the skill out */
        snprintf(path, sizeof(path), "%s/open", tmp);
        if (mkdir(path, 0755) < 0 || chmod(path, 01777) < 0)
                return -errno;

        /* A copy the run user can reach, wherever the build tree is (CI clones under /root). */
        if (asprintf(&built, "%s/hostile", self) < 0)
                return -ENOMEM;
        snprintf(hostile, sizeof(hostile), "%s/bin/hostile", tmp);
        r = copy_file(built, hostile, 0755);
        if (r < 0)
                return r;
        snprintf(hostile_suid, sizeof(hostile_suid), "%s/bin/hostile-suid", tmp);
        r = copy_file(built, hostile_suid, 04755);
        if (r < 0)
                return r;

        /* The tokens file, world-readable on purpose: only landlock keeps it from the skill. In
         * /etc, so the "every /etc entry but the secrets" rule is what is tested. */
        snprintf(etc_secret_dir, sizeof(etc_secret_dir), "/etc/skillrun-test-%ld", (long) getpid());
        if (mkdir(etc_secret_dir, 0755) < 0)
                return -errno;
        snprintf(tokens, sizeof(tokens), "%s/tokens", etc_secret_dir);
        r = write_file_at(AT_FDCWD, tokens, "ci:0123456789abcdef0123456789abcdef\n", 36, 0644);
        if (r < 0)
                return r;
        return 0;
}

static int listen_tcp(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return -errno;
        tcp_port = ntohs(sa.sin_port);
        return fd;
}

static int listen_abstract(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(abstract_name, sizeof(abstract_name), "skillrun-test-%ld", (long) getpid());
        memcpy(sa.sun_path + 1, abstract_name, strlen(abstract_name));
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 ||
            bind(fd, (struct sockaddr *) &sa, offsetof(struct sockaddr_un, sun_path) + 1 + strlen(abstract_name)) < 0 ||
            listen(fd, 16) < 0)
                return -errno;
        return fd;
}

/* A datagram socket by path that anybody may write to, as journald's and syslog's are. */
static int listen_dgram(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(dgram_path, sizeof(dgram_path), "%s/open/dgram.sock", tmp);
        strcpy(sa.sun_path, dgram_path);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(dgram_path, 0666) < 0)
                return -errno;
        return fd;
}

static int make_settings(Settings *s, const char *mode) {
        _cleanup_free_ char *err = NULL;
        char work[128];

        settings_init(s);
        snprintf(work, sizeof(work), "%s/work", tmp);
        if (settings_set(s, "tokens_file", tokens, &err) < 0 || settings_set(s, "run_user", "nobody", &err) < 0 ||
            settings_set(s, "work_dir", work, &err) < 0 || settings_set(s, "sandbox", mode, &err) < 0) {
                printf("# settings: %s\n", strempty(err));
                return -EINVAL;
        }
        return 0;
}

static int make_manifest(const Settings *s, const char *policy, bool network, Manifest **ret) {
        _cleanup_free_ char *text = NULL, *err = NULL, *path = NULL;
        int r;

        if (asprintf(&text,
                     "{\"description\": \"hostile\", \"command\": [\"%s\"], \"policy\": \"%s\", \"network\": %s,"
                     " \"read_paths\": [\"%s/bin\"], \"timeout_ms\": 10000}",
                     hostile, policy, network ? "true" : "false", tmp) < 0 ||
            asprintf(&path, "%s/skills/hostile.json", tmp) < 0)
                return -ENOMEM;
        r = manifest_parse(s, "hostile", path, text, strlen(text), ret, &err);
        if (r < 0)
                printf("# manifest: %s\n", strempty(err));
        return r;
}

typedef struct HostileChild {
        SandboxPlan *plan;
        int out_fd, ep_fd;
        const char *workdir;
        char **argv, **envp;
} HostileChild;

/* test_error_pipe_at_3(): the child's error pipe moved to fd 3 (closing what the child had
 * there, a listener of ours), and the command replaced by one that does not exist */
static bool ep_at_3, exec_missing;

/* The child of sandbox_spawn(): syscalls only, it may share the driver's memory. */
static void hostile_child(void *userdata) {
        const HostileChild *c = userdata;
        const char *step = "setup";
        char msg[256];
        int r, ep = c->ep_fd, nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (nul < 0 || dup2(nul, 0) < 0 || dup2(c->out_fd, 1) < 0 || chdir(c->workdir) < 0)
                _exit(126);
        if (ep_at_3 && (ep = dup3(c->ep_fd, 3, O_CLOEXEC)) < 0)
                _exit(126);
        r = sandbox_enter(c->plan, ep, &step);
        if (r >= 0) {
                execve(exec_missing ? "/nonexistent/hostile" : c->argv[0], c->argv, c->envp);
                r = -errno;
                step = "execve";
        }
        snprintf(msg, sizeof(msg), "%s: %s", step, strerrorname_np(-r) ?: "?");
        (void) !write(ep, msg, strlen(msg));
        _exit(127);
}

/* One sandboxed run of hostile with these attempts, the way run.c does it. */
static int run_hostile(const char *policy, bool network, const char *mode, char *const *attempts, Run *ret) {
        _cleanup_(sandbox_plan_freep) SandboxPlan *plan = NULL;
        _cleanup_manifest_ Manifest *m = NULL;
        _cleanup_free_ char *err = NULL;
        char workdir[256] = "", id[33];
        char *argv[96];
        char *envp[] = { (char *) "PATH=/usr/bin:/bin", NULL, NULL };
        char home[300];
        Settings s;
        int out[2], ep[2];
        size_t n = 0;
        int r;

        *ret = (Run) { .status = -1 };
        r = make_settings(&s, mode);
        if (r < 0)
                return r;
        r = make_manifest(&s, policy, network, &m);
        if (r < 0)
                goto finish;

        r = random_hex(id, 16);
        if (r < 0)
                goto finish;
        snprintf(workdir, sizeof(workdir), "%s/work/skillrun-%s", tmp, id);
        if (mkdir(workdir, 0700) < 0) {
                r = -errno;
                goto finish;
        }
        snprintf(home, sizeof(home), "HOME=%s", workdir);
        envp[1] = home;

        r = sandbox_prepare(&s, m, workdir, &m->limits, &plan, &ret->report, &err);
        if (r < 0) {
                printf("# sandbox_prepare: %s (%s)\n", strerror(-r), strempty(err));
                goto finish;
        }
        uid_t uid;
        gid_t gid;
        if (sandbox_plan_user(plan, &uid, &gid) && chown(workdir, uid, gid) < 0) {
                r = -errno;
                goto finish;
        }

        argv[n++] = hostile;
        for (char *const *a = attempts; *a && n < ELEMENTSOF(argv) - 1; a++)
                argv[n++] = *a;
        argv[n] = NULL;

        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
                r = -errno;
                goto finish;
        }
        HostileChild child = { .plan = plan, .out_fd = out[1], .ep_fd = ep[1], .workdir = workdir,
                               .argv = argv, .envp = envp };
        pid_t pid = sandbox_spawn(plan, hostile_child, &child);
        if (pid < 0) {
                r = pid;
                goto finish;
        }
        close(out[1]);
        close(ep[1]);

        char buf[512];
        ssize_t k = read(ep[0], buf, sizeof(buf) - 1);
        if (k > 0) {
                buf[k] = 0;
                ret->step = strdup(buf);
        }
        close(ep[0]);
        size_t len;
        r = read_full_fd(out[0], 1 << 20, &ret->out, &len);
        close(out[0]);
        if (waitpid(pid, &ret->status, 0) < 0 && r >= 0)
                r = -errno;
        sandbox_kill(plan);
finish:
        if (*workdir)
                (void) rm_rf(workdir);
        settings_done(&s);
        return r;
}

/* The line hostile printed for one attempt. */
static const char *line_of(const Run *r, const char *attempt, char *buf, size_t size) {
        size_t n = strlen(attempt);
        for (const char *p = r->out; p && *p;) {
                const char *e = strchr(p, '\n');
                size_t l = e ? (size_t) (e - p) : strlen(p);
                if (l > n && strncmp(p, attempt, n) == 0 && p[n] == ' ') {
                        snprintf(buf, size, "%.*s", (int) (l - n - 1), p + n + 1);
                        return buf;
                }
                p += l + (e ? 1 : 0);
        }
        return NULL;
}

#define expect(r, attempt, want)                                                              \
        do {                                                                                  \
                char _b[512];                                                                 \
                is_str(line_of(r, attempt, _b, sizeof(_b)), want, "%s: %s → %s", policy_name, \
                       attempt, want);                                                        \
        } while (0)

#define expect_prefix(r, attempt, want)                                                       \
        do {                                                                                  \
                char _b[512];                                                                 \
                contains_str(line_of(r, attempt, _b, sizeof(_b)), want, "%s: %s → %s…",       \
                             policy_name, attempt, want);                                     \
        } while (0)

/* An attempt that must kill the process with SIGSYS. */
static void expect_killed(const char *policy, const char *policy_name, bool network, const char *attempt) {
        char *a[] = { (char *) attempt, (char *) "uid", NULL };
        Run r;
        int k = run_hostile(policy, network, "strict", a, &r);
        ok(k >= 0 && r.status >= 0 && WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS && !strstr(strempty(r.out), "uid"),
           "%s: %s → killed by SIGSYS", policy_name, attempt);
        if (k >= 0 && r.status >= 0 && !(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS))
                printf("#   status 0x%x, output '%s'\n", r.status, strempty(r.out));
        run_done(&r);
}

static void common_attempts(char **a, size_t *n, char *bufs, size_t bufsize) {
        /* bufs: room for the formatted attempts, 8 × bufsize */
        size_t i = 0;
        char *b = bufs;
#define ADD(...)                                        \
        do {                                            \
                snprintf(b, bufsize, __VA_ARGS__);      \
                a[(*n)++] = b;                          \
                b += bufsize;                           \
                i++;                                    \
        } while (0)
        ADD("read:%s", tokens);
        ADD("connect:%d", tcp_port);
        ADD("abstract-unix:%s", abstract_name);
        ADD("fd:%d", leaked_fd);
        ADD("setuid-exec:%s", hostile_suid);
        ADD("write:%s/open/escape", tmp);
        ADD("unix-dgram:%s", dgram_path);
#undef ADD
        (void) i;
}

/* What to exec: true(1) is /usr/bin/true on a merged-/usr system, /bin/true only on one that is
 * not (a bookworm buildd chroot, as debootstrap --variant=buildd makes it). main() picks. */
static char exec_true[] = "exec:/usr/bin/true";

static const char *const fixed_attempts[] = {
        "read:/etc/shadow", "read:/etc/passwd", "read:/etc/hostname", "write:/etc/skillrun-escape", "write:/usr/escape",
        "write:inside", "read:/proc/self/status", "environ:parent", "environ:1", "kill-parent", "kill:1",
        "ptrace-parent", "mount", "unshare-user", "unshare-net", "clone-newuser", "clone3", "bpf", "perf", "keyctl",
        "io_uring", "userfaultfd", "sysv-shm", "mqueue", "personality", "personality-query", "personality-long",
        "personality-query-long", "bind:0", "udp", "netlink", "packet",
        exec_true, "caps", "uid", "prlimit-parent", "prlimit-child", "setaffinity-parent",
        "setaffinity-child", "setpriority-user", "setpriority-pgrp", "ioprio-child", "rlimit-self", "setaffinity-self",
        "nice-self", "socketpair-unix", "socketpair-inet", "above-max", "listmount", "lsm-self", "aio",
        "isatty:/dev/null", "isatty:/dev/zero", "isatty:/dev/full", "isatty:/dev/random", "isatty:/dev/urandom",
        "read:/etc/mtab", "read:/proc/self/mounts", "read:/proc/self/mountinfo", "mounts:parent",
};

/* Other processes' limits and priorities: EPERM under every policy, from the worker's own
 * filter up. The parent is root here, so the kernel refuses the -parent attempts anyway; the
 * child is of the skill's uid, as another run's skill is. CPU affinity stays open (glibc's
 * thread affinity calls pass a tid, which a filter cannot tell from another process'). */
static void expect_other_processes(const Run *r, const char *policy_name, bool allow_list) {
        expect(r, "prlimit-parent", "denied errno=EPERM");
        expect(r, "prlimit-child", "denied errno=EPERM");
        expect(r, "setaffinity-parent", "denied errno=EPERM");
        expect(r, "setaffinity-child", "ok");
        expect(r, "rlimit-self", "ok nofile=64 hard<=256 core=0"); /* positive controls: the caller itself */
        expect(r, "setaffinity-self", "ok");
        if (allow_list)
                return; /* the rest kills there (expect_killed) */
        expect(r, "setpriority-user", "denied errno=EPERM");
        expect(r, "setpriority-pgrp", "denied errno=EPERM");
        expect(r, "ioprio-child", "denied errno=EPERM");
        expect(r, "nice-self", "ok");
}

/* The devices every landlock policy grants: isatty() on them (stdio asks it of every stream,
 * Python of its standard streams) answers as on the host (ENOTTY; EINVAL from the random
 * devices), never EACCES from landlock's ioctl right (LANDLOCK_ACCESS_FS_IOCTL_DEV, ABI 5), under
 * every policy. */
static const char *const devices[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };

/* The mount table: /etc/mtab (a symlink to ../proc/self/mounts), /proc/self's own files and
 * those of the process that built the rules (the worker; here the driver, hostile's parent),
 * where /etc/mtab led when the /etc walk resolved it. Kept out by landlock; under none the
 * positive controls. */
static void expect_mount_table(const Run *r, const char *policy_name, bool landlock) {
        const char *want = landlock ? "denied errno=EACCES" : "ok";
        struct stat st;

        if (lstat("/etc/mtab", &st) < 0)
                ok(1, "# SKIP %s: no /etc/mtab here", policy_name);
        else
                expect(r, "read:/etc/mtab", want);
        expect(r, "read:/proc/self/mounts", want);
        expect(r, "read:/proc/self/mountinfo", want);
        expect(r, "mounts:parent", want);
}

static void expect_devices_no_tty(const Run *r, const char *policy_name) {
        for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
                char key[64], want[64];
                /* the kernel's own answer, without a sandbox */
                int fd = open(devices[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);

                if (fd < 0) {
                        ok(1, "# SKIP %s: no %s here", policy_name, devices[i]);
                        continue;
                }
                errno = 0;
                if (isatty(fd))
                        snprintf(want, sizeof(want), "ok");
                else
                        snprintf(want, sizeof(want), "denied errno=%s", strerrorname_np(errno) ?: "?");
                close(fd);
                snprintf(key, sizeof(key), "isatty:%s", devices[i]);
                expect(r, key, want);
        }
}

static int full_run(const char *policy, bool network, Run *r) {
        char *a[96], bufs[8][PATH_MAX + 32];
        size_t n = 0;
        common_attempts(a, &n, &bufs[0][0], sizeof(bufs[0]));
        for (size_t i = 0; i < ELEMENTSOF(fixed_attempts); i++)
                a[n++] = (char *) fixed_attempts[i];
        a[n] = NULL;
        return run_hostile(policy, network, "strict", a, r);
}

static void test_permissive(bool network) {
        const char *policy_name = network ? "permissive+network" : "permissive";
        char want[PATH_MAX + 64], key[PATH_MAX + 32];
        Run r;

        int k = full_run("permissive", network, &r);
        ok(k >= 0 && !r.step && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s: hostile ran to the end", policy_name);
        if (r.step)
                printf("#   sandbox step failed: %s\n", r.step);
        is_int(r.report.landlock_abi, landlock_abi, "%s: report landlock_abi", policy_name);
        is_str(r.report.seccomp, "permissive", "%s: report seccomp", policy_name);
        is_int(r.report.network, network, "%s: report network", policy_name);
        ok(r.report.user_switched && r.report.caps_dropped && r.report.no_new_privs, "%s: report user/caps/nnp", policy_name);

        /* files */
        snprintf(key, sizeof(key), "read:%s", tokens);
        expect(&r, key, "denied errno=EACCES");      /* 0644 in /etc: only landlock stops it */
        expect(&r, "read:/etc/shadow", "denied errno=EACCES");
        expect(&r, "read:/etc/passwd", "ok");         /* positive control */
        expect(&r, "read:/etc/hostname", "ok");
        expect(&r, "write:/etc/skillrun-escape", "denied errno=EACCES");
        expect(&r, "write:/usr/escape", "denied errno=EACCES");
        snprintf(key, sizeof(key), "write:%s/open/escape", tmp);
        expect(&r, key, "denied errno=EACCES");      /* a 1777 directory, like /tmp */
        expect(&r, "write:inside", "ok");             /* the work dir */
        expect(&r, "read:/proc/self/status", "denied errno=EACCES");
        expect(&r, exec_true, "ok status=0");
        expect_devices_no_tty(&r, policy_name);
        expect_mount_table(&r, policy_name, true);
        /* other processes */
        expect(&r, "environ:parent", "denied errno=EACCES");
        expect(&r, "environ:1", "denied errno=EACCES");
        expect(&r, "kill-parent", "denied errno=EPERM");
        expect(&r, "kill:1", "denied errno=EPERM");
        expect(&r, "ptrace-parent", "denied errno=EPERM");
        /* kernel attack surface */
        expect(&r, "mount", "denied errno=EPERM");
        expect(&r, "unshare-user", "denied errno=EPERM");
        expect(&r, "unshare-net", "denied errno=EPERM");
        expect(&r, "clone-newuser", "denied errno=EPERM");
        expect(&r, "clone3", "denied errno=ENOSYS");
        expect(&r, "bpf", "denied errno=EPERM");
        expect(&r, "perf", "denied errno=EPERM");
        expect(&r, "keyctl", "denied errno=EPERM");
        expect(&r, "io_uring", "denied errno=EPERM");
        expect(&r, "userfaultfd", "denied errno=EPERM");
        expect(&r, "sysv-shm", "denied errno=EPERM"); /* would outlive the run */
        expect(&r, "mqueue", "denied errno=EPERM");   /* as would this */
        expect(&r, "aio", "denied errno=EPERM");      /* the host's fs.aio-max-nr */
        expect(&r, "personality", "denied errno=EPERM");
        expect(&r, "personality-query", "ok");
        /* the kernel reads an unsigned int: ~0UL, glibc's unsigned long all ones, is the query too,
         * and the upper bits do not hide a change */
        expect(&r, "personality-query-long", "ok");
        expect(&r, "personality-long", "denied errno=EPERM");
        /* newer than the deny-list's review, or the build's libseccomp if it knows fewer: "no such
         * call", whatever it is (statmount with Debian 12's libseccomp, file_getattr with a newer one) */
        expect(&r, "above-max", "denied errno=ENOSYS");
        /* the mount table and LSM attributes, /proc/self's by system call: the same answer
         * whether this libseccomp knows them (2.6) or not (2.5, above-max) */
        expect(&r, "listmount", "denied errno=ENOSYS");
        expect(&r, "lsm-self", "denied errno=ENOSYS");
        /* network */
        /* where the C library goes through socketcall(2), no socket of any family (documented) */
        bool sockets = !libc_socketcall;
        snprintf(key, sizeof(key), "connect:%d", tcp_port);
        expect(&r, key, network && sockets ? "ok" : "denied errno=EPERM");
        expect(&r, "bind:0", network && sockets ? "ok" : "denied errno=EPERM");
        expect(&r, "udp", network && sockets ? "ok" : "denied errno=EPERM");
        expect(&r, "netlink", network && sockets ? "ok" : "denied errno=EPERM");
        expect(&r, "packet", "denied errno=EPERM");
        snprintf(key, sizeof(key), "abstract-unix:%s", abstract_name);
        expect(&r, key, landlock_abi >= 6 || !sockets ? "denied errno=EPERM" : "ok");
        snprintf(key, sizeof(key), "unix-dgram:%s", dgram_path);
        /* unix sockets by path stay open to permissive, as documented */
        expect(&r, key, sockets ? "ok" : "denied errno=EPERM");
        expect(&r, "socketpair-unix", sockets ? "ok" : "denied errno=EPERM");
        expect(&r, "socketpair-inet", "denied errno=EPERM"); /* the families' rule holds for pairs too */
        /* privileges */
        snprintf(key, sizeof(key), "fd:%d", leaked_fd);
        expect(&r, key, "denied errno=EBADF");
        snprintf(key, sizeof(key), "setuid-exec:%s", hostile_suid);
        expect(&r, key, "ok euid=65534");
        expect_prefix(&r, "caps", "eff=0 prm=0 inh=0 bnd=0 amb=0 nnp=1 seccomp=2 securebits=0x2f");
        expect(&r, "uid", "ok uid=65534 euid=65534 gid=65534 groups=0");
        expect_other_processes(&r, policy_name, false);
        (void) want;
        run_done(&r);

#if defined(__x86_64__)
        /* the other ABIs of the x86_64 kernel; on i386 int 0x80 is the native one */
        expect_killed("permissive", policy_name, network, "int80");
        expect_killed("permissive", policy_name, network, "x32");
#endif
}

static void test_restrictive(void) {
        const char *policy_name = "restrictive";
        char key[PATH_MAX + 32];
        Run r;

        /* Only attempts that do not kill: the first killing one would end the list. */
        char *a[64], bufs[8][PATH_MAX + 32];
        size_t n = 0;
        common_attempts(a, &n, &bufs[0][0], sizeof(bufs[0]));
        const char *safe[] = { "read:/etc/passwd", "read:/etc/ld.so.cache", "read:/usr/lib/os-release", "write:inside",
                               "write:/etc/escape", exec_true, "kill-parent", "environ:parent",
                               "clone3", "personality-query", "personality-query-long", "fsetxattr", "fremovexattr", "udp", "netlink", "caps", "uid",
                               "prlimit-parent", "prlimit-child", "setaffinity-parent", "setaffinity-child",
                               "rlimit-self", "setaffinity-self", "socketpair-unix", "socketpair-inet",
                               "isatty:/dev/null", "isatty:/dev/zero", "isatty:/dev/full", "isatty:/dev/random",
                               "isatty:/dev/urandom", "read:/etc/mtab", "read:/proc/self/mounts",
                               "read:/proc/self/mountinfo", "mounts:parent" };
        for (size_t i = 0; i < ELEMENTSOF(safe); i++)
                a[n++] = (char *) safe[i];
        a[n] = NULL;
        int k = run_hostile("restrictive", false, "best-effort" /* restrictive is always strict anyway */, a, &r);
        ok(k >= 0 && !r.step && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s: hostile ran to the end", policy_name);
        if (r.step)
                printf("#   sandbox step failed: %s\n", r.step);
        is_str(r.report.seccomp, "restrictive", "%s: report seccomp", policy_name);
        is_int(r.report.network, false, "%s: report network", policy_name);

        snprintf(key, sizeof(key), "read:%s", tokens);
        expect(&r, key, "denied errno=EACCES");
        expect(&r, "read:/etc/passwd", "denied errno=EACCES");
        expect(&r, "read:/etc/ld.so.cache", "ok");
        expect(&r, "read:/usr/lib/os-release", "ok");
        expect(&r, "write:inside", "ok");
        expect(&r, "write:/etc/escape", "denied errno=EACCES");
        snprintf(key, sizeof(key), "write:%s/open/escape", tmp);
        expect(&r, key, "denied errno=EACCES");
        expect(&r, exec_true, "denied errno=EACCES");
        expect_devices_no_tty(&r, policy_name);
        expect_mount_table(&r, policy_name, true);
        expect(&r, "kill-parent", "denied errno=EPERM");
        expect(&r, "environ:parent", "denied errno=EACCES");
        expect(&r, "clone3", "denied errno=ENOSYS");
        expect(&r, "personality-query", "ok");
        expect(&r, "personality-query-long", "ok");
        /* extended attributes and ACLs of a file it has opened (cp -a, install -m): the kernel
         * answers, here for the empty name */
        expect(&r, "fsetxattr", "denied errno=ERANGE");
        expect(&r, "fremovexattr", "denied errno=ERANGE");
        snprintf(key, sizeof(key), "connect:%d", tcp_port);
        expect(&r, key, "denied errno=EPERM");
        expect(&r, "udp", "denied errno=EPERM");
        expect(&r, "netlink", "denied errno=EPERM");
        /* no socket by path either through a pair's datagram end: sendto() takes an address */
        snprintf(key, sizeof(key), "unix-dgram:%s", dgram_path);
        expect(&r, key, "denied errno=EPERM");
        expect(&r, "socketpair-unix", libc_socketcall ? "denied errno=EPERM" : "ok");
        expect(&r, "socketpair-inet", "denied errno=EPERM");
        snprintf(key, sizeof(key), "fd:%d", leaked_fd);
        expect(&r, key, "denied errno=EBADF");
        snprintf(key, sizeof(key), "setuid-exec:%s", hostile_suid);
        expect(&r, key, "ok euid=65534");
        expect_prefix(&r, "caps", "eff=0 prm=0 inh=0 bnd=0 amb=0 nnp=1 seccomp=2 securebits=0x2f");
        expect(&r, "uid", "ok uid=65534 euid=65534 gid=65534 groups=0");
        expect_other_processes(&r, policy_name, true);
        run_done(&r);

        static const char *const killers[] = { "mount", "ptrace-parent", "unshare-user", "bpf", "perf", "keyctl",
                                               "io_uring", "sysv-shm", "mqueue", "personality", "personality-long", "clone-newuser", "int80", "x32",
                                               "setpriority-user", "ioprio-child", "above-max", "listmount",
                                               "lsm-self", "aio" };
        for (size_t i = 0; i < ELEMENTSOF(killers); i++) {
#if !defined(__x86_64__)
                if (streq(killers[i], "int80") || streq(killers[i], "x32"))
                        continue; /* x86_64's other ABIs */
#endif
                expect_killed("restrictive", policy_name, false, killers[i]);
        }
}

static void test_none(void) {
        const char *policy_name = "none";
        char key[PATH_MAX + 32];
        Run r;

        int k = full_run("none", false, &r);
        ok(k >= 0 && !r.step && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s: hostile ran to the end", policy_name);
        is_int(r.report.landlock_abi, 0, "%s: report landlock_abi", policy_name);
        is_str(r.report.seccomp, "none", "%s: report seccomp", policy_name);
        is_int(r.report.network, true, "%s: report network", policy_name);

        /* as host, for the run user… */
        expect(&r, "read:/etc/passwd", "ok");
        expect(&r, "read:/proc/self/status", "ok");
        snprintf(key, sizeof(key), "read:%s", tokens);
        expect(&r, key, "ok"); /* no landlock: file modes only, and the file is 0644 */
        snprintf(key, sizeof(key), "connect:%d", tcp_port);
        expect(&r, key, "ok");
        expect(&r, "udp", "ok");
        snprintf(key, sizeof(key), "unix-dgram:%s", dgram_path);
        expect(&r, key, "ok");
        expect(&r, "socketpair-inet", "denied errno=EOPNOTSUPP"); /* the kernel's answer: no rule */
        expect(&r, exec_true, "ok status=0");
        expect_devices_no_tty(&r, policy_name); /* the kernel's own answer */
        expect_mount_table(&r, policy_name, false);
        expect(&r, "write:inside", "ok");
        snprintf(key, sizeof(key), "write:%s/open/escape", tmp);
        expect(&r, key, "ok");
        /* …but never root, never new privileges, and the worker's own filter still holds */
        expect(&r, "mount", "denied errno=EPERM");
        expect(&r, "unshare-user", "denied errno=EPERM");
        expect(&r, "clone-newuser", "denied errno=EPERM");
        expect(&r, "clone3", "denied errno=ENOSYS");
        expect(&r, "bpf", "denied errno=EPERM");
        expect(&r, "keyctl", "denied errno=EPERM");
        expect(&r, "io_uring", "denied errno=EPERM");
        expect(&r, "personality-query-long", "ok");
        expect(&r, "personality-long", "denied errno=EPERM");
        expect(&r, "sysv-shm", "ok"); /* not in the worker's filter */
        expect(&r, "mqueue", "ok");
        expect(&r, "aio", "ok");
        /* nor are syscalls above SECCOMP_BPF_SYSCALL_MAX: the kernel answers, as it answers us
         * (all arguments 0: a NULL pointer or fd 0) */
        errno = 0;
        long above = syscall(SECCOMP_BPF_SYSCALL_MAX + 1, 0, 0, 0, 0, 0, 0);
        if (above < 0 && errno == ENOSYS)
                ok(1, "# SKIP %s: above-max: this kernel lacks syscall %d", policy_name, SECCOMP_BPF_SYSCALL_MAX + 1);
        else {
                char want[64] = "ok";
                if (above < 0)
                        snprintf(want, sizeof(want), "denied errno=%s", strerrorname_np(errno));
                expect(&r, "above-max", want);
        }
        expect(&r, "ptrace-parent", "denied errno=EPERM");
        expect(&r, "environ:parent", "denied errno=EACCES");
        snprintf(key, sizeof(key), "fd:%d", leaked_fd);
        expect(&r, key, "denied errno=EBADF");
        snprintf(key, sizeof(key), "setuid-exec:%s", hostile_suid);
        expect(&r, key, "ok euid=65534");
        expect_prefix(&r, "caps", "eff=0 prm=0 inh=0 bnd=0 amb=0 nnp=1 seccomp=2 securebits=0x2f");
        expect(&r, "uid", "ok uid=65534 euid=65534 gid=65534 groups=0");
        expect_other_processes(&r, policy_name, false); /* the worker's filter, inherited */
        run_done(&r);

        /* the worker's filter, which "none" inherits, kills foreign-arch syscalls too */
#if defined(__x86_64__)
        expect_killed("none", policy_name, false, "int80");
        expect_killed("none", policy_name, false, "x32");
#endif
}

static void test_status_lines(void) {
        /* /proc/self/status is out of reach under landlock: read it under "none", where the
         * same user/caps/no_new_privs steps ran. */
        const char *policy_name = "none";
        char *a[] = { (char *) "status", NULL };
        Run r;
        int k = run_hostile("none", false, "strict", a, &r);
        ok(k >= 0, "status run");
        expect_prefix(&r, "status", "NoNewPrivs: 1");
        expect_prefix(&r, "status", "Seccomp: 2");
        expect_prefix(&r, "status", "CapEff: 0000000000000000");
        expect_prefix(&r, "status", "CapBnd: 0000000000000000");
        expect_prefix(&r, "status", "Uid: 65534 65534 65534 65534");
        run_done(&r);
}

/* A kernel without seccomp filters, as seccomp_filter_available() sees it: prctl(PR_SET_SECCOMP)
 * and seccomp(2) answer EINVAL. No arch check: it only ever refuses, and the worker's filter
 * under it kills other arches' calls. */
static int hide_seccomp(void) {
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 3, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prctl, 0, 3),
                /* the option's low 32 bits */
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) +
                                                           (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_SECCOMP, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = ELEMENTSOF(f), .filter = f };

        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -errno : 0;
}

/* Whether the C library makes socket(2) through socketcall(2), as Debian's i386 glibc does: under
 * permissive and restrictive those are refused whole, whatever the family (skillrun.skill(5)),
 * and the skill gets no socket and no pair. Asked of a child under a filter that answers
 * socketcall(2) alone with ENOTBLK, which socket(2) never returns. */
static bool libc_uses_socketcall(void) {
#ifdef __NR_socketcall
        pid_t pid = fork();
        if (pid < 0)
                return false;
        if (pid == 0) {
                if (deny_syscall(__NR_socketcall, ENOTBLK) < 0)
                        _exit(2);
                _exit(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) < 0 && errno == ENOTBLK ? 1 : 0);
        }
        int st;
        return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 1;
#else
        return false;
#endif
}

static char *join_missing(const SandboxReport *rep) {
        char *s = strdup("");
        for (char **m = rep->missing; s && m && *m; m++) {
                char *n = NULL;
                if (asprintf(&n, "%s%s%s", s, *s ? "," : "", *m) < 0)
                        n = NULL;
                free(s);
                s = n;
        }
        return s;
}

/* Best-effort permissive without seccomp filters: landlock (ABI ≥ 4) still fences TCP, but
 * UDP and every other family are open, and the report must say so. In a child, whose
 * seccomp the filter above hides; it sends back the report and hostile's lines. */
static void test_without_seccomp(void) {
        const char *policy_name = "permissive without seccomp";
        _cleanup_free_ char *base = NULL, *got = NULL, *want = NULL;
        char key[64], *a[] = { key, (char *) "bind:0", (char *) "udp", (char *) "uid", NULL };
        int fds[2], status;
        Run r;

        snprintf(key, sizeof(key), "connect:%d", tcp_port);
        /* what is missing with seccomp, in this environment (a cgroup, cpu_max) */
        int k = run_hostile("permissive", false, "best-effort", a, &r);
        ok(k >= 0 && !r.report.network, "%s: with seccomp, network closed", policy_name);
        base = join_missing(&r.report);
        run_done(&r);

        assert_se(pipe2(fds, O_CLOEXEC) == 0);
        fflush(stdout);
        pid_t pid = fork();
        assert_se(pid >= 0);
        if (pid == 0) {
                _cleanup_free_ char *missing = NULL, *msg = NULL;
                if (hide_seccomp() < 0)
                        _exit(2);
                /* strict refuses outright */
                int strict = run_hostile("permissive", false, "strict", a, &r);
                run_done(&r);
                /* and restrictive, whatever the mode */
                int restrictive = run_hostile("restrictive", false, "best-effort", a, &r);
                run_done(&r);
                k = run_hostile("permissive", false, "best-effort", a, &r);
                missing = join_missing(&r.report);
                if (k < 0 || !missing ||
                    asprintf(&msg, "strict=%d restrictive=%d network=%d seccomp=%s missing=%s\n%s", strict, restrictive,
                             r.report.network, strempty(r.report.seccomp), missing, strempty(r.out)) < 0)
                        _exit(3);
                fflush(stdout);
                _exit(loop_write(fds[1], msg, strlen(msg)) < 0 ? 4 : 0);
        }
        close(fds[1]);
        size_t len;
        k = read_full_fd(fds[0], 1 << 20, &got, &len);
        close(fds[0]);
        assert_se(waitpid(pid, &status, 0) == pid);
        is_int(status, 0, "%s: the child ran", policy_name);
        if (k < 0 || !got || !base)
                return;

        if (asprintf(&want, "strict=%d restrictive=%d network=1 seccomp=none missing=seccomp%s%s", -EOPNOTSUPP,
                     -EOPNOTSUPP, *base ? "," : "", base) < 0)
                return;
        char *nl = strchr(got, '\n');
        if (nl)
                *nl = 0;
        is_str(got, want, "%s: strict and restrictive refuse; best-effort reports the network open, no filter and "
               "seccomp missing", policy_name);
        r = (Run) { .out = nl ? nl + 1 : NULL };
        /* landlock's TCP rules still hold (ABI >= 4, Linux 6.7); below that nothing fences TCP
         * here, as the report's network=1 says (Debian 12's 6.1 has ABI 2) */
        const char *tcp = landlock_abi >= 4 ? "denied errno=EACCES" : "ok";
        expect(&r, key, tcp);
        expect(&r, "bind:0", tcp);
        expect(&r, "udp", "ok");
        expect(&r, "uid", "ok uid=65534 euid=65534 gid=65534 groups=0");
}

/* The skill's own no_new_privs: everywhere else here it is inherited from
 * sandbox_confine_worker(), which every worker runs first, so a sandbox_enter() that skipped
 * the step would go unseen. Run before this process confines itself, under "none" (no skill
 * filter, which would need no_new_privs to load at all). */
static void test_own_no_new_privs(void) {
        const char *policy_name = "none, unconfined caller";
        char *a[] = { (char *) "caps", NULL };
        Run r;

        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0) {
                ok(1, "# SKIP %s: this process has no_new_privs already", policy_name);
                return;
        }
        int k = run_hostile("none", false, "strict", a, &r);
        ok(k >= 0, "%s: hostile ran", policy_name);
        expect_prefix(&r, "caps", "eff=0 prm=0 inh=0 bnd=0 amb=0 nnp=1 seccomp=0 securebits=0x2f");
        run_done(&r);
}

/* sandbox_enter() closes every fd but 0-2 and the ones it keeps: kept at fd 3 itself, the
 * lowest it closes, the error pipe stays open through the closing (a failure after it still
 * reaches the worker), and the range below it is empty, not an error. */
static void test_error_pipe_at_3(void) {
        const char *policy_name = "permissive, error pipe at fd 3";
        char *a[] = { (char *) "uid", NULL };
        int saved = fcntl(3, F_DUPFD_CLOEXEC, 10), nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        Run r;

        /* fd 3 held (whatever was there, make's jobserver say, put back after) while the plan is
         * made, so that the landlock ruleset is not the fd the child then moves the pipe to */
        assert_se(nul >= 0 && (nul == 3 || dup3(nul, 3, O_CLOEXEC) == 3));
        if (nul != 3)
                close(nul);
        ep_at_3 = true;
        int k = run_hostile("permissive", false, "strict", a, &r);
        ok(k >= 0 && !r.step && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s: hostile ran (%s)",
           policy_name, r.step ? r.step : "no step");
        run_done(&r);
        exec_missing = true;
        k = run_hostile("permissive", false, "strict", a, &r);
        is_str(r.step, "execve: ENOENT", "%s: a command that is not there: said through fd 3", policy_name);
        run_done(&r);
        ep_at_3 = exec_missing = false;
        if (saved >= 0) {
                assert_se(dup3(saved, 3, O_CLOEXEC) == 3);
                close(saved);
        } else
                close(3);
}

static void test_prepare_errors(void) {
        _cleanup_(sandbox_plan_freep) SandboxPlan *plan = NULL;
        _cleanup_manifest_ Manifest *m = NULL;
        _cleanup_free_ char *text = NULL, *err = NULL;
        SandboxReport rep = {};
        Settings s;
        char dir[128];

        /* A read path that contains the tokens file is refused, with the path named. */
        if (make_settings(&s, "strict") < 0)
                return;
        if (asprintf(&text, "{\"command\": [\"%s\"], \"policy\": \"permissive\", \"read_paths\": [\"/etc\"]}", hostile) < 0)
                return;
        if (manifest_parse(&s, "hostile", "/nonexistent/hostile.json", text, strlen(text), &m, &err) < 0) {
                ok(false, "manifest with read_paths /etc: %s", strempty(err));
                settings_done(&s);
                return;
        }
        snprintf(dir, sizeof(dir), "%s/work", tmp);
        int r = sandbox_prepare(&s, m, dir, &m->limits, &plan, &rep, &err);
        is_int(r, -EPERM, "read_paths [\"/etc\"] refused (it holds the tokens file)");
        contains_str(err, "'/etc'", "…and the message names the path");
        sandbox_report_done(&rep);
        settings_done(&s);
}

static uint64_t time_run(const char *policy) {
        char *a[] = { NULL };
        Run r;
        uint64_t t0 = now_usec();
        int k = run_hostile(policy, false, "strict", a, &r);
        uint64_t t = now_usec() - t0;
        if (k < 0 || r.status != 0)
                t = UINT64_MAX;
        run_done(&r);
        return t;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static int bench(int n) {
        static const char *const policies[] = { "none", "permissive", "restrictive" };
        uint64_t *t[3], p50[3];

        for (size_t p = 0; p < 3; p++)
                t[p] = calloc(n, sizeof(uint64_t));
        /* interleaved, so drift hits every policy alike */
        for (int i = 0; i < n; i++)
                for (size_t p = 0; p < 3; p++)
                        t[p][i] = time_run(policies[p]);
        for (size_t p = 0; p < 3; p++) {
                qsort(t[p], n, sizeof(uint64_t), cmp_u64);
                p50[p] = t[p][n / 2];
        }
        for (size_t p = 0; p < 3; p++)
                printf("%-12s p50 %7.3f ms  added over none %+7.3f ms\n", policies[p], p50[p] / 1000.0,
                       ((double) p50[p] - (double) p50[0]) / 1000.0);
        for (size_t p = 0; p < 3; p++)
                free(t[p]);
        return 0;
}

int main(int argc, char **argv) {
        int errno_ll = 0, r, tcp, ab, dg;

        if (geteuid() != 0)
                tap_skip_all("needs root (the skill switches to another user; setuid test)");
        if (access("/usr/bin/true", X_OK) < 0)
                strcpy(exec_true, "exec:/bin/true");
        landlock_abi = landlock_probe(&errno_ll);
        libc_socketcall = libc_uses_socketcall();
        if (libc_socketcall)
                printf("# the C library makes socket(2) through socketcall(2): permissive and restrictive refuse it\n");
        if (landlock_abi <= 0)
                tap_skip_all("landlock unavailable");
        if (!getpwnam("nobody") || getpwnam("nobody")->pw_uid != 65534)
                tap_skip_all("no user 'nobody' with uid 65534");

        /* a supplementary group, as root has in a login shell: every skill's "groups=0" below
         * then says the switch dropped it */
        if (setgroups(1, (const gid_t[]) { 4243 }) < 0) {
                printf("Bail out! setgroups: %s\n", strerror(errno));
                return 1;
        }

        r = setup();
        if (r < 0) {
                printf("Bail out! setup: %s\n", strerror(-r));
                return 1;
        }
        tcp = listen_tcp();
        ab = listen_abstract();
        dg = listen_dgram();
        if (tcp < 0 || ab < 0 || dg < 0) {
                printf("Bail out! listeners: %s\n", strerror(-(tcp < 0 ? tcp : ab < 0 ? ab : dg)));
                return 1;
        }
        /* an fd without O_CLOEXEC: must not reach the skill */
        leaked_fd = open("/etc/passwd", O_RDONLY);
        if (leaked_fd < 0)
                return 1;

        test_own_no_new_privs();

        /* as the worker does, before anything else */
        r = sandbox_confine_worker();
        if (r < 0) {
                printf("Bail out! sandbox_confine_worker: %s\n", strerror(-r));
                return 1;
        }
        /* what the worker keeps for itself (its skills get their own): no_new_privs, which the
         * driver's being root would otherwise let its seccomp load without, and no dumps */
        ok(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "sandbox_confine_worker: no_new_privs set");
        ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "sandbox_confine_worker: not dumpable");

        if (argc > 2 && streq(argv[1], "bench"))
                return bench(atoi(argv[2]));

        test_permissive(false);
        test_permissive(true);
        test_restrictive();
        test_none();
        test_status_lines();
        test_without_seccomp();
        test_error_pipe_at_3();
        test_prepare_errors();
        return done_testing();
}
