/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <sys/types.h>

#include "run.h"

/* The one place that fixes the order of the sandbox layers (design §5, issue 3):
 *   parent: sandbox_prepare() probes the kernel, decides (strict refuses), builds everything
 *           that can be built before fork: landlock ruleset fd, the seccomp program, the cgroup.
 *   child:  sandbox_enter() after sandbox_spawn(), before execve, in this order:
 *           own session and process group (no controlling terminal), cgroup placement →
 *           rlimits (CORE=0, NOFILE, FSIZE, and AS/NPROC/CPU when no cgroup can enforce
 *           memory/tasks/cpu) → every fd but 0-2 (and keep_fd) closed →
 *           if root: securebits locked (while CAP_SETPCAP is still held), setgroups/setresgid/
 *           setresuid to run_user → all capabilities dropped, bounding (with CAP_SETPCAP) and
 *           ambient cleared → PR_SET_NO_NEW_PRIVS → landlock → seccomp.
 *           The caller then execve()s with an environment it rebuilt from scratch.
 *   parent: sandbox_kill() / sandbox_collect() / sandbox_plan_free() after the run. */

typedef enum CgroupMode {
        CGROUP_MODE_NONE,       /* nothing writable: rlimits only */
        CGROUP_MODE_V1,         /* v1 memory/pids/cpu hierarchies below our own cgroup */
        CGROUP_MODE_DELEGATED,  /* cgroup v2 with delegated controllers */
        _CGROUP_MODE_MAX,
} CgroupMode;
const char *cgroup_mode_to_string(CgroupMode m); /* "rlimit", "v1", "delegated" */

typedef struct SandboxFeatures {
        int landlock_abi;       /* 0 when unavailable */
        int landlock_errno;     /* ENOSYS: not built; EOPNOTSUPP: disabled at boot; 0 */
        bool seccomp;           /* seccomp filter mode usable */
        CgroupMode cgroup;
        bool running_as_root;
} SandboxFeatures;

int sandbox_probe(SandboxFeatures *ret);
json_object *sandbox_features_to_json(const SandboxFeatures *f);
/* What this kernel cannot keep apart although the policies promise it, for skillrun check; NULL
 * when nothing. */
const char *sandbox_features_caveat(const SandboxFeatures *f);
/* What a skill of policy p needs and this kernel lacks ("landlock", "seccomp filters", or both
 * in one phrase), or NULL. *ret_refused: whether a run is refused for it (sandbox strict, and
 * restrictive always), else it runs without and its result's sandbox.missing says so. */
const char *sandbox_policy_lacks(const SandboxFeatures *f, SandboxMode mode, Policy p, bool *ret_refused);

typedef struct SandboxPlan SandboxPlan;

/* run_user as the uid and gid a worker running as root hands skills to: a passwd entry, else a
 * bare number; never 0. -ESRCH (not found) or -EPERM (root), with *ret_error saying so. */
int sandbox_resolve_run_user(const Settings *s, uid_t *ret_uid, gid_t *ret_gid, char **ret_error);

/* workdir exists already. limits are the run's effective limits. -EOPNOTSUPP (message in
 * *ret_error) when mode is strict and the policy needs something this kernel lacks; the report
 * is filled with what will be enforced. */
int sandbox_prepare(const Settings *s, const Manifest *m, const char *workdir, const Limits *limits,
                    SandboxPlan **ret, SandboxReport *report, char **ret_error);

/* uid/gid the skill will run as (for chown of the work dir); switch_user false when the worker
 * is not root (then the skill keeps the worker's uid). */
bool sandbox_plan_user(const SandboxPlan *p, uid_t *ret_uid, gid_t *ret_gid);

/* Does the run get a cgroup of its own (v1 or v2), with its own memory accounting? */
bool sandbox_plan_has_cgroup(const SandboxPlan *p);
/* The signals the child sets back to SIG_DFL before execve (bit N-1: signal N; all ones when
 * the worker could not tell which it ignores or catches). */
uint64_t sandbox_plan_reset_signals(const SandboxPlan *p);

/* Start child(userdata) in a new process and return its pid (-errno on failure). The child
 * calls sandbox_enter() and execve(), or _exit()s; it must not return. It may share our memory
 * until then (CLONE_VM | CLONE_VFORK; we resume once it exec'd or died), so it only makes
 * syscalls and writes its own stack: no malloc, no stdio, no locks. With a v2 cgroup and a
 * kernel that allows it, the child is a copy instead, born in its cgroup (CLONE_INTO_CGROUP). */
pid_t sandbox_spawn(SandboxPlan *p, void (*child)(void *userdata), void *userdata);

/* In the child. keep_fd (≥ 3) survives the fd sweep (the CLOEXEC error pipe). On failure returns
 * -errno and *ret_step names the step ("landlock", "seccomp", ...) for the report. */
int sandbox_enter(const SandboxPlan *p, int keep_fd, const char **ret_step);

/* Kill everything in the run's cgroup (cgroup.kill, or v1 freezer-less loop). No-op without one. */
void sandbox_kill(SandboxPlan *p);
/* cgroup_oom_event_fd() of the run's cgroup: -1 without one, or where the kernel kills the
 * whole run itself. */
int sandbox_oom_event_fd(const SandboxPlan *p);
/* After the run: did the cgroup see an OOM kill, and its peak memory (0 if unknown). */
void sandbox_collect(SandboxPlan *p, bool *ret_oom, uint64_t *ret_peak_bytes);
/* Remove the cgroup, close fds, free. */
SandboxPlan *sandbox_plan_free(SandboxPlan *p);
static inline void sandbox_plan_freep(SandboxPlan **p) {
        sandbox_plan_free(*p);
}

/* The worker confines itself before it reads a byte from the client: not dumpable,
 * PR_SET_NO_NEW_PRIVS and a seccomp deny-list of what no worker needs. */
int sandbox_confine_worker(void);
