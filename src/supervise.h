/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "run.h"
#include "sandbox.h"

typedef struct SuperviseIO {
        int stdin_fd;        /* write end of the skill's stdin, or -1 */
        int stdout_fd;       /* read ends */
        int stderr_fd;
        const char *in;
        size_t in_len;
        int client_fd;       /* watched for hang-up, -1 for none */
        int workdir_fd;      /* the work dir, open for reading, watched for size; -1 for none */
        int stop_fd;         /* signalfd of SIGTERM/SIGINT/SIGHUP to the worker, or -1 */
        int oom_fd;          /* readable when the run meets the OOM killer (sandbox_oom_event_fd()), or -1 */
} SuperviseIO;

/* Pump stdin/stdout/stderr of the skill 'pid' (leader of its own process group) without
 * deadlock, enforce the wall-clock timeout (SIGTERM, then SIGKILL after kill_grace_ms), the
 * output caps and the work dir size, kill the run at once when the client hangs up or the OOM
 * killer ends one of its processes (oom_fd), and at the end kill and reap every descendant
 * (the worker is a child subreaper, so setsid()/double-fork cannot escape). Fills outcome,
 * exit_code, signal, out/err, duration, cpu, rss. */
int supervise_run(pid_t pid, SuperviseIO *io, const Limits *l, uint64_t kill_grace_ms, SandboxPlan *plan,
                  RunResult *r);

/* Read what the pipe 'fd' holds into s, keeping at most 'cap' bytes: false on EOF or an error
 * (*fd is then closed and -1). Returns after SUPERVISE_DRAIN_MAX bytes even if more is there,
 * so that the caller gets to its deadlines. */
#define SUPERVISE_DRAIN_MAX (256 * 1024)
bool supervise_drain(int *fd, OutputStream *s, uint64_t cap);

/* The children of 'parent' found by scanning /proc/<pid>/stat: the fallback for kernels
 * without /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN). */
size_t supervise_scan_children(pid_t parent, pid_t *out, size_t max);

/* SIGKILL every descendant of this process and reap them all, in at most 200 rounds
 * (about a second when nothing dies). Returns how many children were still there, with a
 * warning logged; 0 is the usual end. */
size_t supervise_kill_descendants(void);

/* Bytes used below the directory dir_fd is open on (allocated blocks, at least
 * SUPERVISE_ENTRY_MIN for each entry), without following symlinks; dir_fd is left as it was.
 * A directory below it that we cannot read is made readable (owner bits) if we may. What still
 * cannot be measured, a tree nested deeper than SUPERVISE_DIR_DEPTH_MAX included, sets
 * *ret_uncounted: it counts as over workdir_max. */
#define SUPERVISE_DIR_DEPTH_MAX 128
/* What every entry of the work dir counts at least, whatever blocks it has allocated (an
 * empty file: none, but an inode). */
#define SUPERVISE_ENTRY_MIN UINT64_C(4096)
uint64_t supervise_dir_usage(int dir_fd, bool *ret_uncounted);
