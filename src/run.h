/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <sys/types.h>

#include "journal.h"
#include "manifest.h"

typedef struct RunFile {
        char *name;
        char *data;
        size_t len;
} RunFile;

/* A parsed run request (design §4). */
typedef struct RunRequest {
        char *stdin_data;     /* JSON of "input" or "stdin" verbatim; NULL = empty stdin */
        size_t stdin_len;
        char **args;
        char **env;           /* "NAME=value", names checked against allow_env */
        RunFile *files;
        size_t n_files;
        char *code;
        size_t code_len;
        bool has_code;
        uint64_t timeout_ms;  /* 0 = not given */
} RunRequest;

/* -EINVAL, with a message naming the field as what, for code of len bytes that would put the work
 * dir's usage, as the supervisor counts it, over the manifest's workdir_max. */
int run_code_size_check(const Manifest *m, size_t len, const char *what, char **ret_error);

/* -EINVAL with a message for the client (→ 400) when the body breaks the rules. */
bool run_file_name_valid(const char *name);
int run_request_parse(const Settings *s, const Manifest *m, const char *body, size_t len, RunRequest *ret,
                      char **ret_error);
void run_request_done(RunRequest *r);

typedef enum Outcome {
        OUTCOME_OK,
        OUTCOME_FAILED,
        OUTCOME_TIMEOUT,
        OUTCOME_OOM,
        OUTCOME_KILLED,
        OUTCOME_OUTPUT_LIMIT,
        OUTCOME_SIGNALED,
        OUTCOME_SANDBOX_ERROR,   /* a sandbox step failed in the child: nothing was executed */
        _OUTCOME_MAX,
} Outcome;
const char *outcome_to_string(Outcome o);

typedef struct OutputStream {
        char *buf;
        size_t len;          /* bytes kept (≤ output_max) */
        uint64_t total;      /* bytes the skill wrote */
        bool truncated;
} OutputStream;

/* What the kernel actually enforced for one run (never what was asked). */
typedef struct SandboxReport {
        Policy policy;
        int landlock_abi;           /* 0: landlock not applied */
        const char *seccomp;        /* "none", "permissive", "restrictive" */
        const char *cgroup;         /* "delegated", "v1", "rlimit", "none" */
        bool network;               /* true: the skill may use the network */
        bool user_switched;         /* dropped from root to run_user */
        bool caps_dropped;
        bool no_new_privs;
        char **missing;             /* best-effort: features the policy wanted but the kernel (or, for
                                     * capability-bounding-set, the worker) lacks */
} SandboxReport;
void sandbox_report_done(SandboxReport *r);

typedef struct RunResult {
        char run_id[33];
        char *skill;
        Outcome outcome;
        int exit_code;              /* -1: did not exit normally */
        int signal;                 /* 0: not killed by a signal */
        OutputStream out;
        OutputStream err;
        uint64_t duration_ms;
        uint64_t cpu_ms;
        uint64_t max_rss_kb;
        Limits limits;
        OutputMode output_mode;
        SandboxReport sandbox;
        char *sandbox_error;        /* OUTCOME_SANDBOX_ERROR: which step and why */
        bool killed_on_request;     /* OUTCOME_KILLED because the client went away or the worker
                                     * got SIGTERM/SIGINT/SIGHUP while the main process ran */
} RunResult;

void run_result_init(RunResult *r);
void run_result_done(RunResult *r);
/* The result as JSON text (design §4): 0 and *ret (the caller's) with its length, or -ENOMEM. */
int run_result_format(const RunResult *r, char **ret, size_t *ret_len);
json_object *limits_to_json(const Limits *l);

/* The effective limits of a run: manifest limits lowered by the request's timeout_ms. */
void run_effective_limits(const Manifest *m, const RunRequest *req, Limits *ret);

/* Run one skill through the full sandbox path and supervise it. client_fd ≥ 0 is watched for
 * hang-up (the run is killed at once). Returns 0 when the run happened (whatever its outcome),
 * -EOPNOTSUPP when the sandbox mode is strict and the kernel lacks something (→ 503, message in
 * *ret_error), other -errno on internal failure (→ 500). */
int run_skill(const Settings *s, const Manifest *m, const RunRequest *req, int client_fd, RunResult *ret,
              char **ret_error);

/* What run_skill() leaves once the run is over and every process of it reaped: removing the
 * work dir and the run's cgroup. Deferred so that the answer goes out first; call it after
 * answering (it is a no-op when nothing is pending). */
void run_cleanup(void);

/* Then, once the request is logged, unblock the stop signals run_skill() blocked (whatever it
 * returned): a stop request that came meanwhile ends us only now, with nothing left undone. */
void run_unblock_stop_signals(void);

/* The request's or run's journal record, after run_cleanup(): the datagram, which never waits.
 * A journal too busy to take it may not read its stream (stderr under systemd) either, so the
 * stop signals are let in before it is tried once more and then written to stderr; without a
 * journal, stderr at once. */
void run_log_record(const RequestLog *l);
