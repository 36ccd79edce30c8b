/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One run: work dir, sandbox plan, spawn, sandbox_enter, execve, supervision, cleanup. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "execdeps.h"
#include "sandbox.h"
#include "supervise.h"
#include "workdir.h"

/* What the child reports through the CLOEXEC pipe when a step before execve fails. */
typedef struct ChildError {
        int error;
        char step[32];
} ChildError;

/* The request's args can be a quarter million: appended at once, not one strv_extend() each. */
static int build_argv(const Manifest *m, const RunRequest *req, const char *code_path, char ***ret) {
        _cleanup_strv_free_ char **argv = strv_copy(m->command);

        if (!argv)
                return -ENOMEM;
        if (code_path && strv_extend(&argv, code_path) < 0)
                return -ENOMEM;
        if (strv_extend_n(&argv, req->args, strv_length(req->args)) < 0)
                return -ENOMEM;
        *ret = steal_pointer(&argv);
        return 0;
}

/* What execve(2) copies onto the new stack must fit a quarter of RLIMIT_STACK, at most 6 MiB
 * and at least 128 KiB (fs/exec.c): the file name, the strings of argv and envp and a pointer to
 * each. The sandbox leaves RLIMIT_STACK as the worker has it. -E2BIG, said, when they do not:
 * a request's many args would otherwise make a run that ends in sandbox_error, the operator's
 * to fix in the journal's eyes. */
static int exec_size_check(char *const *argv, char *const *envp, char **ret_error) {
        size_t limit = 6u << 20, need = strlen(argv[0]) + 1, n = 0;
        struct rlimit rl;

        if (getrlimit(RLIMIT_STACK, &rl) >= 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < limit)
                limit = MAX((size_t) (rl.rlim_cur / 4), (size_t) 128u << 10);
        for (int pass = 0; pass < 2; pass++)
                for (char *const *e = pass == 0 ? argv : envp; e && *e; e++, n++)
                        need += strlen(*e) + 1;
        need += n * sizeof(char *);
        if (need > limit)
                return set_error(ret_error, -E2BIG, "args and env: %zu bytes with their pointers, more than the %zu "
                                 "execve(2) takes", need, limit);
        return 0;
}

static int env_add(char ***env, const char *fmt, ...) _printf_(2, 3);
static int env_add(char ***env, const char *fmt, ...) {
        char *s;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return strv_push(env, s);
}

/* From scratch: nothing of the worker's environment reaches the skill. */
static int build_env(const Manifest *m, const RunRequest *req, const char *workdir, const char *run_id, char ***ret) {
        _cleanup_strv_free_ char **env = NULL;

        if (env_add(&env, "PATH=%s", SKILL_DEFAULT_PATH) < 0 || env_add(&env, "HOME=%s", workdir) < 0 ||
            env_add(&env, "TMPDIR=%s", workdir) < 0 || env_add(&env, "LANG=C.UTF-8") < 0 ||
            env_add(&env, "SKILLRUN_RUN_ID=%s", run_id) < 0 || env_add(&env, "SKILLRUN_SKILL=%s", m->name) < 0)
                return -ENOMEM;
        /* manifest env overrides the defaults above; allowed request env overrides both */
        for (int pass = 0; pass < 2; pass++)
                for (char **e = pass == 0 ? m->env : req->env; e && *e; e++) {
                        size_t n = strcspn(*e, "=");
                        for (char **o = env; *o; o++)
                                if (strncmp(*o, *e, n) == 0 && (*o)[n] == '=') {
                                        char *d = strdup(*e);
                                        if (!d)
                                                return -ENOMEM;
                                        free(*o);
                                        *o = d;
                                        goto next;
                                }
                        if (strv_extend(&env, *e) < 0)
                                return -ENOMEM;
                next:;
                }
        *ret = steal_pointer(&env);
        return 0;
}

/* What the child needs: all of it built by the parent, the child only makes syscalls. */
typedef struct ChildArgs {
        SandboxPlan *plan;
        int in_fd, out_fd, err_fd, errfd;
        char **argv, **envp;
        const char *workdir;
        ChildError *shared; /* the parent's, where the child shares its memory (vfork-style) */
} ChildArgs;

static _noreturn_ void child_fail(const ChildArgs *a, const char *step, int error) {
        ChildError ce = { .error = error < 0 ? -error : error };
        snprintf(ce.step, sizeof(ce.step), "%s", step);
        /* Said twice: the pipe needs a page for it, which a run cgroup whose memory the set-up
         * already spent refuses (ENOMEM), while a child that shares our memory can always say it
         * there (a forked one writes its own copy, unseen). */
        *a->shared = ce;
        (void) !write(a->errfd, &ce, sizeof(ce));
        _exit(127);
}

static void child_exec(void *userdata) {
        const ChildArgs *a = userdata;
        const char *step = "setup";
        sigset_t all;
        int r;

        /* Dispositions set to "ignore" survive execve: give the skill a clean slate (only the
         * signals the worker ignores or catches need it; those past 64 are not in the mask).
         * The raw call, as glibc's refuses the two signals it keeps for itself (32 and 33), which
         * a parent may have ignored all the same. A zeroed struct is SIG_DFL with no flags and
         * an empty mask in every architecture's layout of it. */
        uint64_t reset = sandbox_plan_reset_signals(a->plan);
        static const char dfl[64] = {};
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP && (sig > 64 || (reset & (UINT64_C(1) << (sig - 1)))))
                        (void) syscall(SYS_rt_sigaction, sig, dfl, NULL, (size_t) (_NSIG - 1) / 8);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);

        if (dup2(a->in_fd, 0) < 0 || dup2(a->out_fd, 1) < 0 || dup2(a->err_fd, 2) < 0)
                child_fail(a, "stdio", -errno);
        if (chdir(a->workdir) < 0)
                child_fail(a, "chdir", -errno);

        r = sandbox_enter(a->plan, a->errfd, &step);
        if (r < 0)
                child_fail(a, step, r);
        execve(a->argv[0], a->argv, a->envp);
        child_fail(a, "execve", -errno);
}

/* One worker, one run: what run_cleanup() still has to remove. */
static Workdir pending_workdir = WORKDIR_INIT;
static SandboxPlan *pending_plan = NULL;
/* the stop signals stay blocked until the cleanup is done and the request logged: a SIGTERM in
 * between must neither leave the work dir behind nor lose the record (it is delivered, and acted
 * on, right after) */
static sigset_t pending_mask;
static bool pending_mask_saved = false;

void run_cleanup(void) {
        pending_plan = sandbox_plan_free(pending_plan);
        workdir_remove(&pending_workdir);
}

void run_unblock_stop_signals(void) {
        if (pending_mask_saved) {
                pending_mask_saved = false;
                (void) sigprocmask(SIG_SETMASK, &pending_mask, NULL);
        }
}

void run_log_record(const RequestLog *l) {
        int r = journal_log_request_nowait(l);

        if (r == -EAGAIN || r == -ENOBUFS) {
                run_unblock_stop_signals();
                journal_log_request(l);
        } else if (r < 0)
                journal_log_request_stderr(l); /* no journal: trying again finds none */
}

int run_skill(const Settings *s, const Manifest *m, const RunRequest *req, int client_fd, RunResult *ret,
              char **ret_error) {
        _cleanup_(sandbox_plan_freep) SandboxPlan *plan = NULL;
        _cleanup_strv_free_ char **argv = NULL, **envp = NULL;
        _cleanup_free_ char *code_path = NULL;
        Workdir w = WORKDIR_INIT;
        int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, ep[2] = { -1, -1 };
        Limits limits;
        uid_t uid;
        gid_t gid;
        pid_t pid;
        ChildError ce, shared_error = {};
        uint64_t oom_before = 0;
        bool have_oom_before, mask_saved = false;
        sigset_t stop_signals, saved_mask;
        int stop_fd = -1;
        const char *step = "signal handling"; /* what failed, for a log line that says it */
        ssize_t k;
        int r;

        r = random_hex(ret->run_id, 16);
        if (r < 0)
                return r;
        free(ret->skill);
        ret->skill = strdup(m->name);
        if (!ret->skill)
                return -ENOMEM;
        run_effective_limits(m, req, &limits);
        ret->limits = limits;
        ret->output_mode = m->output;

        /* orphaned descendants (setsid, double fork) come back to us, so they can be killed */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                return negative_errno();
        /* ... and their exit statuses to us: SIGCHLD ignored survives execve (a parent that set
         * it so), and then the kernel reaps the skill itself, no waitid() ever sees it end, and
         * supervision would spin past every timeout with the work dir in place */
        if (signal(SIGCHLD, SIG_DFL) == SIG_ERR)
                return negative_errno();

        /* A stop request (SIGTERM from systemd, ^C) during the run ends the run instead of the
         * worker: the skill tree is killed, the work dir and cgroup removed, the client answered.
         * Blocked before the work dir exists: one that comes while it and the cgroup are being
         * made would otherwise end the worker and leave both behind; it then waits in stop_fd,
         * and ends the run as soon as supervision starts. The child unblocks everything before
         * execve. */
        stop_signals_fill(&stop_signals);
        if (sigprocmask(SIG_BLOCK, &stop_signals, &saved_mask) < 0)
                return negative_errno();
        mask_saved = true;
        stop_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
        if (stop_fd < 0) {
                /* without it a stop request would wait, blocked and unread, for the whole run */
                r = negative_errno();
                goto out;
        }

        step = "work directory";
        r = workdir_create(s->work_dir, ret->run_id, &w);
        if (r < 0) {
                (void) set_error(ret_error, r, "cannot create work directory in '%s': %s", s->work_dir, strerror(-r));
                goto out;
        }
        r = workdir_populate(&w, m, req, &code_path);
        if (r < 0) {
                (void) set_error(ret_error, r, "cannot write request files: %s", strerror(-r));
                goto out;
        }
        step = "sandbox";
        r = sandbox_prepare(s, m, w.path, &limits, &plan, &ret->sandbox, ret_error);
        if (r < 0)
                goto out;
        step = "work directory owner";
        if (sandbox_plan_user(plan, &uid, &gid)) {
                r = workdir_chown(&w, uid, gid, req->n_files > 0 || req->has_code);
                if (r < 0) {
                        /* root may chown anywhere but where the file system has no such owners */
                        (void) set_error(ret_error, r, "cannot give the work directory in '%s' to uid %u: %s%s",
                                         s->work_dir, (unsigned) uid, strerror(-r),
                                         r == -EPERM || r == -EINVAL ?
                                         " (a file system without Unix owners, such as vfat, or NFS with root_squash, "
                                         "cannot hold work directories; set work_dir to a local one)" : "");
                        goto out;
                }
        }
        step = "command line and environment";
        r = build_argv(m, req, code_path, &argv);
        if (r < 0)
                goto out;
        r = build_env(m, req, w.path, ret->run_id, &envp);
        if (r < 0)
                goto out;
        r = exec_size_check(argv, envp, ret_error);
        if (r < 0)
                goto out;

        step = "pipes";
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
            pipe2(ep, O_CLOEXEC) < 0) {
                r = negative_errno();
                goto out;
        }
        if (m->input == INPUT_NONE || !req->stdin_data) {
                /* the skill sees EOF at once */
                close(in[1]);
                in[1] = -1;
        }

        /* The unit's own memory limit may be what kills the skill. A run cgroup sees that kill
         * too (the kernel counts an OOM kill in the victim's memory cgroup, whichever limit was
         * hit); without one, only the unit's own counter tells that SIGKILL apart. */
        have_oom_before = !sandbox_plan_has_cgroup(plan) && cgroup_own_oom_kills(&oom_before) >= 0;

        ChildArgs child = {
                .plan = plan,
                .in_fd = in[0],
                .out_fd = out[1],
                .err_fd = err[1],
                .errfd = ep[1],
                .argv = argv,
                .envp = envp,
                .workdir = w.path,
                .shared = &shared_error,
        };
        step = "spawn";
        pid = sandbox_spawn(plan, child_exec, &child);
        if (pid < 0) {
                r = pid;
                goto out;
        }

        /* No setpgid(pid, pid) here: the child's setsid() would fail as a group leader. Nothing
         * signals its group before the error pipe below says it has exec'd. */
        close(in[0]), in[0] = -1;
        close(out[1]), out[1] = -1;
        close(err[1]), err[1] = -1;
        close(ep[1]), ep[1] = -1;

        do
                k = read(ep[0], &ce, sizeof(ce));
        while (k < 0 && errno == EINTR);
        if (k != (ssize_t) sizeof(ce) && shared_error.error != 0) {
                ce = shared_error; /* the pipe refused it (child_fail()) */
                k = sizeof(ce);
        }
        if (k == (ssize_t) sizeof(ce)) {
                /* nothing was executed: report which layer failed, never run half-sandboxed */
                ce.step[sizeof(ce.step) - 1] = 0;
                (void) waitpid(pid, NULL, 0);
                supervise_kill_descendants();
                ret->outcome = OUTCOME_SANDBOX_ERROR;
                /* The kernel's ENOENT (or ENOTDIR) for a script whose #! interpreter is missing
                 * names no file, and the command is there: say which is not, also where it is
                 * the interpreter of an interpreter (check says the same). */
                _cleanup_free_ char *interp = NULL, *via = NULL, *hint = NULL;
                if (streq(ce.step, "execve") && (ce.error == ENOENT || ce.error == ENOTDIR) &&
                    execdeps_chain_fault(argv[0], &interp, &via) == -ENOENT) {
                        if (streq(via, argv[0]) ?
                                    asprintf(&hint, " (the interpreter its #! line names, '%s')", interp) < 0 :
                                    asprintf(&hint, " (the interpreter the #! line of '%s' names, '%s')", via,
                                             interp) < 0)
                                hint = NULL;
                } else if (ce.error == ENOMEM) {
                        /* a memory_max so small that the set-up alone spends it (64 meant as 64M) */
                        if (asprintf(&hint, " (the run's memory_max is %" PRIu64 " bytes)", limits.memory_max) < 0)
                                hint = NULL;
                }
                if (asprintf(&ret->sandbox_error, "%s: %s%s", ce.step, strerror(ce.error), strempty(hint)) < 0)
                        ret->sandbox_error = NULL;
                r = 0;
                goto out;
        }

        SuperviseIO io = {
                .stdin_fd = in[1],
                .stdout_fd = out[0],
                .stderr_fd = err[0],
                .in = req->stdin_data,
                .in_len = req->stdin_data ? req->stdin_len : 0,
                .client_fd = client_fd,
                .workdir_fd = w.fd,
                .stop_fd = stop_fd,
                .oom_fd = sandbox_oom_event_fd(plan),
        };
        in[1] = out[0] = err[0] = -1;
        step = "supervision";
        r = supervise_run(pid, &io, &limits, s->kill_grace_ms, plan, ret);
        if (io.stdin_fd >= 0)
                close(io.stdin_fd);
        if (io.stdout_fd >= 0)
                close(io.stdout_fd);
        if (io.stderr_fd >= 0)
                close(io.stderr_fd);
        if (r >= 0) {
                bool oom = false;
                uint64_t peak = 0, oom_after = 0;
                sandbox_collect(plan, &oom, &peak);
                /* the OOM killer's SIGKILL looks like any other: the cgroup's counter tells
                 * them apart (a timeout, or a run killed for a hang-up or stop, is still
                 * reported as such) */
                if (!oom && have_oom_before && ret->signal == SIGKILL && cgroup_own_oom_kills(&oom_after) >= 0)
                        oom = oom_after > oom_before;
                if (oom && ret->outcome != OUTCOME_TIMEOUT && !ret->killed_on_request)
                        ret->outcome = OUTCOME_OOM;
                if (peak / 1024 > ret->max_rss_kb)
                        ret->max_rss_kb = peak / 1024;
        }
out:
        /* (a refusal, EOPNOTSUPP, says why itself, or gets the caller's words) */
        if (r < 0 && r != -EOPNOTSUPP && ret_error && !*ret_error)
                (void) set_error(ret_error, r, "%s: %s", step, strerror(-r));
        for (size_t i = 0; i < 2; i++) {
                if (in[i] >= 0)
                        close(in[i]);
                if (out[i] >= 0)
                        close(out[i]);
                if (err[i] >= 0)
                        close(err[i]);
                if (ep[i] >= 0)
                        close(ep[i]);
        }
        if (r >= 0 && !pending_plan && !pending_workdir.path) {
                /* every process of the run is gone: the rest can wait until the answer is out */
                pending_plan = steal_pointer(&plan);
                pending_workdir = w;
                w = (Workdir) WORKDIR_INIT;
        }
        /* Restored by run_unblock_stop_signals(), after the answer and its record, on every path:
         * a stop request that came while the run was being prepared is still pending when the
         * preparation fails, and unblocked here it would end us before the caller has answered
         * (500, 503). */
        if (mask_saved && !pending_mask_saved) {
                pending_mask = saved_mask;
                pending_mask_saved = true;
                mask_saved = false;
        }
        plan = sandbox_plan_free(plan);
        workdir_remove(&w);
        if (stop_fd >= 0)
                close(stop_fd);
        if (mask_saved)
                (void) sigprocmask(SIG_SETMASK, &saved_mask, NULL);
        return r;
}
