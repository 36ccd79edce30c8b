/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one place that fixes the order of the sandbox layers (see sandbox.h). The parent decides
 * and builds everything that can be built before fork; the child only flips switches, with
 * async-signal-safe calls, and any failing switch aborts the run before execve. */
#include <fcntl.h>
#include <linux/sched.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "caps.h"
#include "cgroup.h"
#include "landlock-policy.h"
#include "landlock.h"
#include "log.h"
#include "sandbox.h"
#include "seccomp-filter.h"
#include "util.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Open files a skill may hold at once (RLIMIT_NOFILE, soft and hard). */
#define SANDBOX_NOFILE 256

/* Set once the worker's own seccomp filter is loaded: it answers clone3 with ENOSYS (namespace
 * flags cannot be checked there), so sandbox_spawn() does not try CLONE_INTO_CGROUP. */
static bool worker_confined;

struct SandboxPlan {
        Policy policy;
        Limits limits;
        bool switch_user;        /* we are root: become uid/gid */
        bool drop_bounding;      /* CAP_SETPCAP (not so in some containers, nor as a user): the
                                  * child locks the securebits and empties the bounding set */
        uid_t uid;
        gid_t gid;
        bool rlimit_fallback;    /* no cgroup: RLIMIT_AS, RLIMIT_NPROC, RLIMIT_CPU */
        LandlockRuleset landlock; /* fd -1: no landlock */
        SeccompProgram seccomp;  /* fprog.filter NULL: no skill filter */
        Cgroup *cgroup;
        bool cgroup_placed;      /* the child was born in its cgroup (CLONE_INTO_CGROUP) */
        pid_t worker;            /* the child's parent, for its parent-death signal */
        uint64_t reset_signals;  /* set back to SIG_DFL in the child: bit N-1 is signal N */
};

/* ---- kernel features ------------------------------------------------------------------------ */

int sandbox_probe(SandboxFeatures *ret) {
        /* not written through ret inside the literal below: assigning the literal would then
         * overwrite it with the 0 of a member left out */
        int landlock_errno = 0, landlock_abi = landlock_probe(&landlock_errno);

        *ret = (SandboxFeatures) {
                .landlock_abi = landlock_abi,
                .landlock_errno = landlock_errno,
                .seccomp = seccomp_filter_available(),
                .cgroup = cgroup_detect(),
                .running_as_root = geteuid() == 0,
        };
        return 0;
}

json_object *sandbox_features_to_json(const SandboxFeatures *f) {
        json_object *j = json_object_new_object();
        if (!j)
                return NULL;
        if (json_object_object_add(j, "landlock_abi", json_object_new_int(f->landlock_abi)) < 0 ||
            json_object_object_add(j, "landlock", json_object_new_string(landlock_status_to_string(
                                                          f->landlock_abi, f->landlock_errno))) < 0 ||
            json_object_object_add(j, "seccomp", json_object_new_boolean(f->seccomp)) < 0 ||
            json_object_object_add(j, "cgroup", json_object_new_string(strempty(cgroup_mode_to_string(f->cgroup)))) < 0 ||
            json_object_object_add(j, "root", json_object_new_boolean(f->running_as_root)) < 0) {
                json_object_put(j);
                return NULL;
        }
        return j;
}

const char *sandbox_features_caveat(const SandboxFeatures *f) {
        /* landlock_scopes() is 0 below ABI 6; without landlock at all, permissive is refused or
         * reported missing as a whole */
        if (f->landlock_abi > 0 && landlock_scopes(f->landlock_abi) == 0)
                return "landlock below ABI 6 (Linux 6.12) cannot scope signals and abstract sockets: "
                       "skills that share a uid (every run as run_user, every instance under the unit) "
                       "can signal each other and a worker of their uid (skillrun.skill(5))";
        return NULL;
}

const char *sandbox_policy_lacks(const SandboxFeatures *f, SandboxMode mode, Policy p, bool *ret_refused) {
        /* restrictive promises a kill on anything unexpected: never half of it */
        *ret_refused = mode == SANDBOX_STRICT || p == POLICY_RESTRICTIVE;
        if (p == POLICY_NONE)
                return NULL;
        if (f->landlock_abi <= 0 && !f->seccomp)
                return "landlock and seccomp filters";
        if (f->landlock_abi <= 0)
                return "landlock";
        if (!f->seccomp)
                return "seccomp filters";
        return NULL;
}

/* ---- prepare -------------------------------------------------------------------------------- */

/* One read of /proc/self/status tells which signals the child must set back to SIG_DFL before
 * execve, and whether our bounding set is empty: otherwise a sigaction() for each of the 64
 * signals and a prctl() for each of 41 capabilities (≈ 22 µs a run on the test VM; ≈ 7 µs this
 * way). Ignored signals survive execve (the worker ignores SIGPIPE, and whoever started it may
 * have ignored others: nohup, a shell's background job); a caught one would run our handler in
 * the child, which shares our memory until it execs. false when /proc cannot tell. */
static bool self_status_masks(uint64_t *ret_reset, uint64_t *ret_bounding) {
        _cleanup_free_ char *text = NULL;
        uint64_t ignored, caught;

        if (read_full_file("/proc/self/status", 64 * 1024, &text, NULL) < 0)
                return false;
        if (proc_status_mask(text, "SigIgn", &ignored) < 0 || proc_status_mask(text, "SigCgt", &caught) < 0 ||
            proc_status_mask(text, "CapBnd", ret_bounding) < 0)
                return false;
        *ret_reset = ignored | caught;
        return true;
}

uint64_t sandbox_plan_reset_signals(const SandboxPlan *p) {
        return p->reset_signals;
}

static int add_missing(SandboxReport *report, const char *what) {
        return strv_contains(report->missing, what) ? 0 : strv_extend(&report->missing, what);
}

/* The cgroup's name: the run id when the work dir is ".../skillrun-<id>", else a fresh one. */
static int cgroup_run_id(const char *workdir, char ret[static 65]) {
        const char *base = strrchr(workdir, '/');
        const char *id = startswith(base ? base + 1 : workdir, "skillrun-");

        if (id && *id && strlen(id) <= 64 && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == strlen(id)) {
                strcpy(ret, id);
                return 0;
        }
        return random_hex(ret, 16);
}

#ifndef STATIC_BINARY
#define STATIC_BINARY 0 /* config.h: 1 with --enable-static-binary */
#endif

#define PASSWD_FILE_MAX (16U << 20)

/* run_user's ids: /etc/passwd first, where hosts keep their system users (nobody, a packaged
 * skillrun user), read and scanned directly: NSS would first parse nsswitch.conf and set up
 * its modules, fgetpwent() parse every line (≈ 30 and 20 µs here). Then NSS, for users only it
 * knows (nss-systemd, LDAP), except in a static binary, which cannot load NSS modules
 * reliably. -ESRCH when none knows the name. */
static int lookup_user(const char *name, uid_t *ret_uid, gid_t *ret_gid) {
        _cleanup_free_ char *passwd = NULL;
        uint32_t uid, gid;
        int r;

        r = read_full_file("/etc/passwd", PASSWD_FILE_MAX, &passwd, NULL);
        if (r >= 0 && passwd_find(passwd, name, &uid, &gid) >= 0) {
                *ret_uid = uid;
                *ret_gid = gid;
                return 0;
        }
#if STATIC_BINARY
        /* no NSS to ask after it: a file that could not be read (no fd left, no memory) says
         * nothing of the name */
        return r < 0 && r != -ENOENT ? r : -ESRCH;
#else
        struct passwd *pw;

        errno = 0;
        pw = getpwnam(name);
        if (!pw) {
                /* getpwnam(3): these, or none, say only that the name is unknown */
                bool unknown = errno <= 0 || errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM;
                return unknown ? -ESRCH : -errno;
        }
        *ret_uid = pw->pw_uid;
        *ret_gid = pw->pw_gid;
        return 0;
#endif
}

int sandbox_resolve_run_user(const Settings *s, uid_t *ret_uid, gid_t *ret_gid, char **ret_error) {
        uint64_t numeric;
        /* set on every path that reaches their use; gcc -flto cannot tell (-Wmaybe-uninitialized),
         * and 0 would be refused below as root anyway */
        uid_t uid = 0;
        gid_t gid = 0;
        int r;

        r = lookup_user(s->run_user, &uid, &gid);
        if (r == -ESRCH && parse_u64(s->run_user, &numeric) >= 0 && numeric < UINT32_MAX) {
                /* a bare number needs no passwd entry: uid and gid alike */
                uid = (uid_t) numeric;
                gid = (gid_t) numeric;
        } else if (r < 0 && r != -ESRCH)
                /* the lookup itself failed (no fd left, no memory): the user may well exist */
                return set_error(ret_error, r, "cannot look up run_user '%s': %s", s->run_user, strerror(-r));
        else if (r < 0)
                return set_error(ret_error, r, "run_user '%s' not found%s", s->run_user,
                                 STATIC_BINARY ? " in /etc/passwd (a static skillrun does not use NSS: "
                                                 "give a number or a user from /etc/passwd)" : "");
        if (uid == 0 || gid == 0)
                return set_error(ret_error, -EPERM, "run_user '%s' is root: skills never run as root", s->run_user);
        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}

/* strict mode: what the policy needs and the kernel lacks. */
static int refuse(char **ret_error, Policy policy, const char *what) {
        if (ret_error) {
                free(*ret_error);
                *ret_error = NULL;
        }
        return set_error(ret_error, -EOPNOTSUPP, "sandbox: the '%s' policy needs %s, which this kernel lacks",
                         policy_to_string(policy), what);
}

int sandbox_prepare(const Settings *s, const Manifest *m, const char *workdir, const Limits *limits,
                    SandboxPlan **ret, SandboxReport *report, char **ret_error) {
        _cleanup_(sandbox_plan_freep) SandboxPlan *p = NULL;
        SandboxFeatures f;
        const char *lacks;
        bool strict, confine, network;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->landlock.fd = -1;
        p->policy = m->policy;
        p->limits = *limits;

        (void) sandbox_probe(&f);
        lacks = sandbox_policy_lacks(&f, s->sandbox, m->policy, &strict);
        confine = m->policy != POLICY_NONE;
        /* what the policy gives; the report may have to say more is open */
        network = m->policy == POLICY_NONE || (m->policy == POLICY_PERMISSIVE && m->network);

        report->policy = m->policy;
        report->landlock_abi = 0;
        report->seccomp = "none";
        report->cgroup = cgroup_mode_to_string(CGROUP_MODE_NONE);
        report->network = network;
        report->user_switched = false;
        report->caps_dropped = false;
        report->no_new_privs = false;
        report->missing = strv_free(report->missing);

        if (lacks && strict)
                return refuse(ret_error, m->policy, lacks);
        if (confine) {
                /* best-effort: without what is missing, and said */
                if (f.landlock_abi <= 0) {
                        r = add_missing(report, "landlock");
                        if (r < 0)
                                return r;
                }
                if (!f.seccomp) {
                        r = add_missing(report, "seccomp");
                        if (r < 0)
                                return r;
                }
                /* Defence in depth only: no refusal. Without landlock's network rules (ABI 4) the
                 * seccomp socket filter still keeps AF_INET/AF_INET6 out; without scoping (ABI 6)
                 * signals and abstract sockets are fenced by uid alone, which other runs' skills and
                 * a worker that is not root share: documented, as a filter cannot tell their pids. */
                if (f.landlock_abi > 0 && f.landlock_abi < 4 && !network) {
                        r = add_missing(report, "landlock-network");
                        if (r < 0)
                                return r;
                }
                if (f.landlock_abi > 0 && f.landlock_abi < 6) {
                        r = add_missing(report, "landlock-scope");
                        if (r < 0)
                                return r;
                }
                /* below ABI 3 truncate(2) by path, below ABI 5 device ioctls are not ruled */
                if (f.landlock_abi > 0 && f.landlock_abi < 3) {
                        r = add_missing(report, "landlock-truncate");
                        if (r < 0)
                                return r;
                }
                if (f.landlock_abi > 0 && f.landlock_abi < 5) {
                        r = add_missing(report, "landlock-ioctl");
                        if (r < 0)
                                return r;
                }
                /* Never claim a closed network nothing closes: only the seccomp socket rules
                 * do. Landlock's network rules (ABI 4 and later) fence TCP bind and connect,
                 * and still apply, but UDP, raw and the other families stay open: in
                 * best-effort mode without seccomp filters ("seccomp" above) the skill has
                 * the network. */
                if (!f.seccomp)
                        report->network = true;
        }

        /* Root hands the skill to run_user; looked up here because NSS has no place after fork. */
        if (f.running_as_root) {
                r = sandbox_resolve_run_user(s, &p->uid, &p->gid, ret_error);
                if (r < 0)
                        return r;
                p->switch_user = true;
        }

        /* Limits hold for every policy: a per-run cgroup, else rlimits. A cgroup that cannot be
         * made is no reason to refuse: the rlimits are the honest fallback and say so, and the
         * log says why for the operator (the result's "missing" cannot). */
        if (f.cgroup != CGROUP_MODE_NONE) {
                _cleanup_free_ char *why = NULL;
                char id[65];
                r = cgroup_run_id(workdir, id);
                if (r < 0)
                        return r;
                r = cgroup_create(limits, id, &p->cgroup, &why);
                if (r < 0) {
                        if (why)
                                log_warning("No run cgroup, resource limits instead: %s", why);
                        else
                                log_warning_errno(r, "No run cgroup, resource limits instead: %m");
                        p->cgroup = NULL;
                        r = add_missing(report, "cgroup");
                        if (r < 0)
                                return r;
                }
        }
        p->rlimit_fallback = !p->cgroup;
        /* a CPU share has no rlimit equivalent (RLIMIT_CPU bounds the total, from the timeout):
         * without a cpu controller it is not enforced, and the report says so */
        if (limits->cpu_max > 0 && !(p->cgroup && cgroup_cpu_limited(p->cgroup))) {
                r = add_missing(report, "cpu_max");
                if (r < 0)
                        return r;
        }
        report->cgroup = cgroup_mode_to_string(p->cgroup ? cgroup_mode(p->cgroup) : CGROUP_MODE_NONE);

        if (confine && f.seccomp) {
                SeccompProfile prof;

                if (m->policy == POLICY_RESTRICTIVE)
                        prof = SECCOMP_PROFILE_RESTRICTIVE;
                else if (worker_confined && SECCOMP_WORKER_IS_PERMISSIVE_BASE)
                        /* The skill inherits the worker's filter, which is permissive's deny-list
                         * but for socket(2), SysV IPC and ENOSYS above the syscalls libseccomp
                         * knows: only that is left to load (64 or 68 instructions to JIT on
                         * x86_64 instead of 201 or 211). */
                        prof = m->network ? SECCOMP_PROFILE_SOCKETS_NET : SECCOMP_PROFILE_SOCKETS_LOCAL;
                else
                        prof = m->network ? SECCOMP_PROFILE_PERMISSIVE_NET : SECCOMP_PROFILE_PERMISSIVE;
                r = seccomp_program_get(prof, &p->seccomp);
                if (r < 0)
                        return r;
                report->seccomp = policy_to_string(m->policy);
        }

        /* The landlock ruleset is built here, in the parent: the child only enforces it. */
        if (confine && f.landlock_abi > 0) {
                uint64_t net = network ? 0 : LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;

                r = landlock_ruleset_new(&p->landlock, f.landlock_abi, LL_FS_ALL, net,
                                         LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL);
                if (r < 0)
                        return r;
                r = landlock_policy_build(&p->landlock, s, m, workdir, ret_error);
                if (r < 0)
                        return r;
                report->landlock_abi = f.landlock_abi;
        }

        /* Every policy, "none" included: the user switch, the capability drop and no_new_privs
         * (the worker set that already; it is inherited and cannot be undone). Emptying the
         * bounding set takes CAP_SETPCAP, which a worker that is not root lacks: one started
         * with a full bounding set (outside the shipped unit, which empties it) leaves it full,
         * and the report says so. No refusal: under no_new_privs no execve can raise a
         * capability from it. */
        uint64_t bounding = UINT64_MAX;
        bool status_known = self_status_masks(&p->reset_signals, &bounding);
        if (!status_known)
                p->reset_signals = UINT64_MAX; /* every one */
        p->drop_bounding = caps_have(CAP_SETPCAP);
        report->user_switched = p->switch_user;
        report->caps_dropped = p->drop_bounding || (status_known ? bounding == 0 : caps_bounding_empty());
        report->no_new_privs = true;
        if (!report->caps_dropped) {
                r = add_missing(report, "capability-bounding-set");
                if (r < 0)
                        return r;
        }

        *ret = steal_pointer(&p);
        return 0;
}

bool sandbox_plan_user(const SandboxPlan *p, uid_t *ret_uid, gid_t *ret_gid) {
        if (!p->switch_user)
                return false;
        if (ret_uid)
                *ret_uid = p->uid;
        if (ret_gid)
                *ret_gid = p->gid;
        return true;
}

bool sandbox_plan_has_cgroup(const SandboxPlan *p) {
        return p && p->cgroup;
}

/* ---- spawn ---------------------------------------------------------------------------------- */

/* The child's own stack while it shares our memory (CLONE_VM): sandbox_enter() and its callers
 * need a few KiB; a guard page below catches a runaway. */
#define SPAWN_STACK_SIZE (256U * 1024U)

typedef struct SpawnArgs {
        void (*child)(void *userdata);
        void *userdata;
} SpawnArgs;

static int spawn_trampoline(void *userdata) {
        const SpawnArgs *a = userdata;

        a->child(a->userdata);
        _exit(127); /* child() execs or exits; never come back to a stack we share */
}

/* clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no page tables copied for the child and none
 * torn down again by its execve (≈ 0.15 ms a run on the test VM), and we sleep until it has
 * exec'd or died, which we would have waited for anyway. The child only makes syscalls
 * (sandbox_enter() never allocates) on its own stack; the one thing of ours it writes is the
 * ChildError run.c's child_fail() leaves for us before it exits, read once it has. */
static pid_t spawn_vfork(void (*child)(void *userdata), void *userdata) {
        /* Mapped once, with its guard page, and kept for the life of the process (a worker
         * spawns one skill): the child may have run on it on another CPU, and unmapping it
         * would then wait for that CPU to flush its TLB, an IPI that costs most on a busy VM. */
        static char *stack = NULL;
        SpawnArgs args = { .child = child, .userdata = userdata };
        size_t page = (size_t) sysconf(_SC_PAGESIZE);
        pid_t pid;

        if (!stack) {
                char *s = mmap(NULL, SPAWN_STACK_SIZE + page, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
                if (s == MAP_FAILED)
                        return -errno;
                if (mprotect(s, page, PROT_NONE) < 0) {
                        int r = -errno;
                        (void) munmap(s, SPAWN_STACK_SIZE + page);
                        return r;
                }
                stack = s;
        }
        /* the stack grows down on every architecture Linux runs us on but parisc */
        pid = clone(spawn_trampoline, stack + page + SPAWN_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
        return pid < 0 ? -errno : pid;
}

pid_t sandbox_spawn(SandboxPlan *p, void (*child)(void *userdata), void *userdata) {
        int cg_fd = p->cgroup ? cgroup_dir_fd(p->cgroup) : -1;
        pid_t pid;

        p->worker = getpid();

        /* Born in its cgroup: no migration, and nothing runs outside the limits even briefly.
         * A plain fork's copy of us: the raw clone3() cannot share memory safely. */
        if (cg_fd >= 0 && !worker_confined) {
                struct clone_args args = {
                        .flags = CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                        .cgroup = (uint64_t) cg_fd,
                };

                pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
                if (pid == 0) {
                        child(userdata);
                        _exit(127);
                }
                if (pid > 0) {
                        p->cgroup_placed = true;
                        return pid;
                }
                /* ENOSYS/E2BIG: kernel before 5.7 or seccomp; EINVAL: no CLONE_INTO_CGROUP. */
                if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EPERM)
                        return -errno;
        }

        return spawn_vfork(child, userdata);
}

/* ---- enter (child) -------------------------------------------------------------------------- */

static int set_limit(int resource, rlim_t value) {
        struct rlimit rl;

        /* Only ever lower: an unprivileged worker cannot raise a hard limit. */
        if (getrlimit(resource, &rl) < 0)
                return -errno;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
                value = rl.rlim_max;
        rl.rlim_cur = rl.rlim_max = value;
        if (setrlimit(resource, &rl) < 0)
                return -errno;
        return 0;
}

static int set_rlimits(const SandboxPlan *p, rlim_t *ret_old_nofile) {
        struct rlimit rl;
        int r;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        *ret_old_nofile = rl.rlim_max;

        r = set_limit(RLIMIT_CORE, 0);
        if (r < 0)
                return r;
        r = set_limit(RLIMIT_NOFILE, SANDBOX_NOFILE);
        if (r < 0)
                return r;
        if (p->limits.workdir_max > 0) {
                r = set_limit(RLIMIT_FSIZE, p->limits.workdir_max);
                if (r < 0)
                        return r;
        }
        if (!p->rlimit_fallback)
                return 0;

        /* No cgroup: the per-process approximations. RLIMIT_NPROC counts every process of the
         * uid, not of this run, and RLIMIT_AS counts address space, not memory. */
        if (p->limits.memory_max > 0) {
                r = set_limit(RLIMIT_AS, p->limits.memory_max);
                if (r < 0)
                        return r;
        }
        /* (RLIMIT_NPROC: set_nproc_limit(), after the user switch) */
        if (p->limits.timeout_ms > 0) {
                struct rlimit cpu;
                rlim_t sec = (p->limits.timeout_ms + 999) / 1000 + 1;

                /* SIGXCPU at the soft limit, SIGKILL a second later. */
                if (getrlimit(RLIMIT_CPU, &cpu) < 0)
                        return -errno;
                if (cpu.rlim_max == RLIM_INFINITY || cpu.rlim_max > sec + 1)
                        cpu.rlim_max = sec + 1;
                cpu.rlim_cur = MIN(sec, cpu.rlim_max);
                if (setrlimit(RLIMIT_CPU, &cpu) < 0)
                        return -errno;
        }
        return 0;
}

/* The fallback's RLIMIT_NPROC, set once we are the run user: set before the switch, the kernel
 * would note at setuid() that the user already has more processes than tasks_max (other runs,
 * anything else of that uid) and fail the execve() with EAGAIN, so that nothing of the skill
 * ran. Set after it, the limit does what skillrun.conf(5) says: the skill's own forks fail. */
static int set_nproc_limit(const SandboxPlan *p) {
        if (!p->rlimit_fallback || p->limits.tasks_max == 0)
                return 0;
        return set_limit(RLIMIT_NPROC, p->limits.tasks_max);
}

/* close_range(2), or before Linux 5.9 one close(2) at a time up to what could have been open. */
static int close_between(unsigned first, unsigned last, rlim_t old_nofile) {
        if (syscall(SYS_close_range, first, last, 0) >= 0)
                return 0;
        if (errno != ENOSYS)
                return -errno;
        rlim_t stop = old_nofile == RLIM_INFINITY || old_nofile > (1U << 20) ? (1U << 20) : old_nofile;
        for (rlim_t fd = first; fd <= last && fd < stop; fd++)
                (void) close((int) fd);
        return 0;
}

/* SIGKILL when the worker dies. A worker killed outright (SIGKILL, OOM killer, a crash) can end
 * nothing; under systemd the unit's cgroup goes with it, but behind systemd-socket-activate or
 * inetd the skill would run on, past its timeout. Only this process: what it starts is killed
 * with it only where a cgroup holds the run. */
static int die_with_worker(pid_t worker) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return -errno;
        /* the worker may already be gone: then we were handed to a reaper */
        if (getppid() != worker)
                return -ESRCH;
        return 0;
}

/* Close every fd ≥ 3 except keep_a and keep_b (-1: none). */
static int close_fds_except(int keep_a, int keep_b, rlim_t old_nofile) {
        int keep[2] = { MIN(keep_a, keep_b), MAX(keep_a, keep_b) };
        unsigned first = 3;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
                if (keep[i] < (int) first)
                        continue; /* none, or the same fd twice */
                if ((unsigned) keep[i] > first) {
                        r = close_between(first, (unsigned) keep[i] - 1, old_nofile);
                        if (r < 0)
                                return r;
                }
                first = (unsigned) keep[i] + 1;
        }
        return close_between(first, ~0U, old_nofile);
}

int sandbox_enter(const SandboxPlan *p, int keep_fd, const char **ret_step) {
        rlim_t old_nofile = RLIM_INFINITY;
        const char *step;
        int r;

#define STEP(name, expr)                   \
        do {                               \
                step = (name);             \
                r = (expr);                \
                if (r < 0)                 \
                        goto fail;         \
        } while (0)

        /* 1. own session and process group, in the run's cgroup (a plain write: the fds were
         *    opened by cgroup_create). A session of its own has no controlling terminal: in the
         *    worker's, started from a shell (skillrun run, systemd-socket-activate), a skill
         *    could open /dev/tty, push input into that shell (TIOCSTI) or read what is typed. */
        STEP("setsid", setsid() < 0 ? -errno : 0);
        if (p->cgroup && !p->cgroup_placed)
                STEP("cgroup", cgroup_attach_child(p->cgroup));

        /* 2. rlimits */
        STEP("rlimit", set_rlimits(p, &old_nofile));

        /* 3. every fd but 0-2, the caller's error pipe and the landlock ruleset */
        STEP("close_range", close_fds_except(keep_fd >= 3 ? keep_fd : -1, p->landlock.fd, old_nofile));

        /* 4. the run user. Securebits first, while root still holds CAP_SETPCAP; with
         *    NO_SETUID_FIXUP the switch keeps our capabilities so step 5 can clear the bounding
         *    set, and NOROOT makes sure no execve gives any back. */
        if (p->switch_user) {
                /* Without CAP_SETPCAP (root in some containers) the kernel's own fixup clears
                 * the capabilities at the switch, and the bounding set stays (NNP makes it moot). */
                if (p->drop_bounding)
                        STEP("securebits", caps_lock_securebits());
                STEP("user", caps_switch_user(p->uid, p->gid));
        }
        STEP("rlimit", set_nproc_limit(p));

        /* 4b. after the switch, which clears it: die with the worker */
        STEP("parent_death_signal", die_with_worker(p->worker));

        /* 5. capabilities: every set, bounding and ambient included; the bounding set where
         *    sandbox_prepare() said it would be (never a report that claims more) */
        STEP("capabilities", caps_drop_all(p->drop_bounding));

        /* 6. */
        STEP("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0);

        /* 7. landlock: the ruleset was built by the parent */
        if (p->landlock.fd >= 0) {
                STEP("landlock", landlock_enforce(p->landlock.fd));
                (void) close(p->landlock.fd);
        }

        /* 8. seccomp, last: from here on, only execve */
        if (p->seccomp.fprog.filter)
                STEP("seccomp", seccomp_program_load(&p->seccomp));

#undef STEP
        return 0;
fail:
        if (ret_step)
                *ret_step = step;
        return r;
}

/* ---- after the run -------------------------------------------------------------------------- */

void sandbox_kill(SandboxPlan *p) {
        if (p && p->cgroup)
                cgroup_kill(p->cgroup);
}

int sandbox_oom_event_fd(const SandboxPlan *p) {
        return cgroup_oom_event_fd(p ? p->cgroup : NULL);
}

void sandbox_collect(SandboxPlan *p, bool *ret_oom, uint64_t *ret_peak_bytes) {
        cgroup_collect(p ? p->cgroup : NULL, ret_oom, ret_peak_bytes);
}

SandboxPlan *sandbox_plan_free(SandboxPlan *p) {
        if (!p)
                return NULL;
        cgroup_free(p->cgroup);
        landlock_ruleset_done(&p->landlock);
        seccomp_program_done(&p->seccomp);
        free(p);
        return NULL;
}

/* ---- the worker ----------------------------------------------------------------------------- */

int sandbox_confine_worker(void) {
        SeccompProgram prog = {};
        int r;

        if (worker_confined)
                return 0; /* filters stack: a second copy would only cost */

        /* No core dumps, no ptrace by our own uid (a skill under DynamicUser shares it), and
         * /proc/<worker>/ owned by root. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (!seccomp_filter_available())
                return -EOPNOTSUPP;

        r = seccomp_program_get(SECCOMP_PROFILE_WORKER, &prog);
        if (r < 0)
                return r;
        r = seccomp_program_load(&prog);
        seccomp_program_done(&prog);
        if (r < 0)
                return r;
        worker_confined = true;
        return 0;
}
