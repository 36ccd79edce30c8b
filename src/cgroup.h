/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sandbox.h"  /* CgroupMode */
#include "settings.h" /* Limits */

/* Per-run cgroups (design §5 limits, issue 3 item 5).
 *
 * Layouts, in order of preference:
 *   DELEGATED  cgroup v2, our own cgroup (systemd Delegate=yes) writable and alone, memory+pids
 *              available in its cgroup.controllers (cpu optional). The worker moves itself into the
 *              leaf "<our cgroup>/worker" (no-internal-process rule), enables the controllers in
 *              "<our cgroup>/cgroup.subtree_control" and makes "<our cgroup>/run-<id>" per run.
 *   V1         hybrid/legacy hosts: the v1 memory and pids hierarchies (cpu optional) below our
 *              own cgroups writable; "skillrun-run-<id>" is made in each.
 *   NONE       nothing usable: the sandbox falls back to rlimits.
 */

typedef struct Cgroup Cgroup;

/* Cheap detection of what this process can use; cached after the first call. */
CgroupMode cgroup_detect(void);

/* Creates the per-run cgroup(s) for run_id ([A-Za-z0-9_-], ≤ 64 chars) with the limits
 * (memory.max + memory.swap.max=0 + memory.oom.group, pids.max, cpu.max; v1: memory.limit_in_bytes
 * and memory.memsw.limit_in_bytes when swap accounting exists, pids.max, cpu.cfs_quota_us/period_us).
 * A limit of 0 means "max". cpu is limited only when cpu_max > 0 and a cpu controller is usable
 * (see cgroup_cpu_limited()); in v1 a cpu cgroup that cannot be made or takes no such quota is
 * left out, the memory and pids cgroups stay. Opens before fork every fd the child needs, so that
 * cgroup_attach_child() is a plain write(). Returns 0 with *ret = NULL when the mode is NONE.
 * On failure returns -errno, nothing is left behind and *ret_error (if not NULL) says what failed. */
int cgroup_create(const Limits *l, const char *run_id, Cgroup **ret, char **ret_error);

CgroupMode cgroup_mode(const Cgroup *c);
/* v2 run directory fd (O_RDONLY|O_DIRECTORY|O_CLOEXEC) for clone3(CLONE_INTO_CGROUP), or -1. */
int cgroup_dir_fd(const Cgroup *c);
/* v1: an eventfd (O_NONBLOCK) that becomes readable when the run's memory cgroup meets the OOM
 * killer, for the supervisor to kill the whole run (in v2 memory.oom.group has the kernel do
 * that); -1 in v2, without a cgroup, or where the kernel took no such event. Closed by
 * cgroup_free(). */
int cgroup_oom_event_fd(const Cgroup *c);
/* True when cpu_max was written to a cpu controller (else the sandbox should use RLIMIT_CPU). */
bool cgroup_cpu_limited(const Cgroup *c);
/* The i-th run directory (v2: one; v1: memory, pids, then cpu if made), NULL past the end.
 * For logs and tests. */
const char *cgroup_path(const Cgroup *c, unsigned i);

/* In the forked child, before anything else: async-signal-safe, writes "0" to each cgroup.procs
 * fd opened by cgroup_create(). Harmless after CLONE_INTO_CGROUP. Returns 0 or -errno. */
int cgroup_attach_child(const Cgroup *c);

/* Kills every process of the run: cgroup.kill (v2, kernel ≥ 5.14), else SIGKILL every pid in
 * cgroup.procs, re-reading until empty (bounded). NULL is a no-op. */
void cgroup_kill(Cgroup *c);

/* After the run: whether the OOM killer fired in the run's cgroup (v2: memory.events oom_kill;
 * v1: memory.oom_control oom_kill, kernel ≥ 4.13) and peak memory in bytes (v2: memory.peak,
 * kernel ≥ 5.19; v1: memory.max_usage_in_bytes); 0 when unknown. NULL gives false/0. */
void cgroup_collect(Cgroup *c, bool *ret_oom, uint64_t *ret_peak_bytes);

/* Kills leftovers, removes the run's directories (retrying briefly while busy), closes fds. */
Cgroup *cgroup_free(Cgroup *c);
static inline void cgroup_freep(Cgroup **c) {
        cgroup_free(*c);
}
#define _cleanup_cgroup_free_ _cleanup_(cgroup_freep)

/* Human text for `skillrun check`: the mode, the paths, and why a better layout was not usable. */
/* The oom_kill counter of our own cgroup (the unit's, e.g. skillrun@3.service): -ENODATA when
 * no memory controller counts for us. Readable without write access. */
int cgroup_own_oom_kills(uint64_t *ret);
int cgroup_describe(char **ret);

/* The mode a worker under the shipped skillrun@.service (Delegate=yes, ProtectControlGroups=)
 * gets on this host, from the layout alone: DELEGATED where cgroup v2 alone is mounted and
 * holds memory and pids, else NONE (systemd delegates no v1 hierarchy to a service). Not
 * necessarily cgroup_detect()'s: that is what this process can use. */
CgroupMode cgroup_unit_mode(void);

/* Pure: the directory of our cgroup for one hierarchy, from the text of /proc/self/cgroup and
 * /proc/self/mountinfo. controller NULL means the cgroup v2 ("0::") hierarchy, else a v1
 * controller name ("memory"). *ret_dir is the mount point joined with our path below the mount's
 * root; *ret_path (may be NULL) is our cgroup path as /proc/self/cgroup shows it.
 * -ENOENT when the hierarchy is not there or our cgroup is not visible through any mount. */
int cgroup_find_dir(const char *self_cgroup, const char *mountinfo, const char *controller, char **ret_dir,
                    char **ret_path);

/* Tests only: treat root (a directory tree) as "/": proc/self/cgroup and proc/self/mountinfo are
 * read below it and every path found is prefixed with it. In this mode files are created when
 * written (a plain directory has no kernel-made cgroup files) and run directories are removed
 * recursively. NULL returns to the real system. Either way the detection cache is reset. */
int cgroup_set_root_for_test(const char *root);
/* Tests only: a delegated-mode Cgroup for dir, an existing cgroup v2 directory (cg_path: its path
 * as /proc/<pid>/cgroup names it), as if cgroup_create() had made it without limits: attach,
 * kill, collect and free (which removes it) act on it. For hosts whose cgroup v2 tree holds no
 * memory and pids controllers (the hybrid layout), where cgroup_create() cannot make one. */
int cgroup_adopt_for_test(const char *dir, const char *cg_path, Cgroup **ret);
