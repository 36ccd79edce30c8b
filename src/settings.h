/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util.h"

typedef enum Policy {
        POLICY_NONE,
        POLICY_PERMISSIVE,
        POLICY_RESTRICTIVE,
        _POLICY_MAX,
        _POLICY_INVALID = -EINVAL,
} Policy;
const char *policy_to_string(Policy p);
/* Accepts "none", "permissive", "restrictive" (also the ABBOT_SANDBOX_POLICY spellings). */
Policy policy_from_string(const char *s);

typedef enum SandboxMode {
        SANDBOX_STRICT,
        SANDBOX_BEST_EFFORT,
        _SANDBOX_MODE_MAX,
        _SANDBOX_MODE_INVALID = -EINVAL,
} SandboxMode;
const char *sandbox_mode_to_string(SandboxMode m);
SandboxMode sandbox_mode_from_string(const char *s);

/* Resource limits of one run. 0 means "no limit" for cpu_max only; every other field is
 * always set (the settings supply the ceilings, a manifest and the request may lower them). */
typedef struct Limits {
        uint64_t timeout_ms;
        uint64_t memory_max;   /* bytes */
        uint64_t tasks_max;
        uint64_t cpu_max;      /* percent of one CPU (100 = one full CPU); 0 = unlimited */
        uint64_t output_max;   /* bytes kept per stream */
        uint64_t workdir_max;  /* bytes a skill may write in one file (RLIMIT_FSIZE) and in the work dir */
} Limits;

/* Built-in defaults (documented in skillrun.conf(5)). */
/* SYSCONFDIR and DATADIR come from configure: /etc and /usr/share for a default build */
#define DEFAULT_CONFIG_PATH SYSCONFDIR "/skillrun/skillrun.conf"
#define DEFAULT_SKILLS_DIR SYSCONFDIR "/skillrun/skills:" DATADIR "/skillrun/skills"
#define DEFAULT_TOKENS_FILE SYSCONFDIR "/skillrun/tokens"
#define DEFAULT_TIMEOUT_MS UINT64_C(30000)
#define DEFAULT_MEMORY_MAX (UINT64_C(256) << 20)
#define DEFAULT_TASKS_MAX UINT64_C(64)
#define DEFAULT_CPU_MAX UINT64_C(0)
#define DEFAULT_OUTPUT_MAX (UINT64_C(1) << 20)
#define DEFAULT_WORKDIR_MAX (UINT64_C(64) << 20)
#define DEFAULT_MAX_BODY (UINT64_C(1) << 20)
#define DEFAULT_MAX_HEADER (UINT64_C(16) << 10)
#define DEFAULT_MAX_HEADER_FIELDS UINT64_C(100)
#define DEFAULT_READ_TIMEOUT_MS UINT64_C(10000)
#define DEFAULT_KILL_GRACE_MS UINT64_C(500)
#define DEFAULT_MAX_FILES UINT64_C(64)
#define DEFAULT_RUN_USER "nobody"
#define DEFAULT_WORK_DIR "/tmp"
#define DEFAULT_ABBOT_SKILL "abbot-python"

typedef struct Settings {
        char *config_path;      /* file actually consulted (may not exist) */
        char **skills_dirs;     /* search order, earlier wins */
        char *tokens_file;
        Policy policy;
        SandboxMode sandbox;
        Limits limits;          /* ceilings for every skill */
        uint64_t max_body;
        uint64_t max_header;
        uint64_t max_header_fields;
        uint64_t read_timeout_ms;
        uint64_t kill_grace_ms;
        uint64_t max_files;     /* "files" entries per run request */
        char *run_user;
        char *work_dir;
        char *abbot_skill;
        char *abbot_api_base_url; /* optional: where Abbot skills post replies; NULL = inline only */
        char **file_warnings;   /* each line giving a key again (the last one counts), for check */
} Settings;

/* Every key skillrun.conf knows, in documentation order (used by the man page test); NULL-terminated. */
extern const char *const settings_keys[];

/* Whether the environment variable named by var[0..len) is one settings_load() reads
 * (SKILLRUN_CONFIG, SKILLRUN_<KEY>). */
bool settings_env_var_known(const char *var, size_t len);

void settings_init(Settings *s);   /* built-in defaults, no I/O */
void settings_done(Settings *s);   /* idempotent: frees and zeroes */

/* cpu_max syntax shared with manifests: "50%", "200%", a bare number (percent), or
 * "", "max", "0" for unlimited (0). At most SETTINGS_CPU_MAX_LIMIT (-ERANGE above). */
#define SETTINGS_CPU_MAX_LIMIT UINT64_C(100000) /* percent: a thousand CPUs, far from overflowing cpu.max */
int settings_parse_cpu_max(const char *s, uint64_t *ret);
/* Bytes as the shortest exact size text: 268435456 → "256M", 1000 → "1000". NULL on OOM. */
char *settings_format_size(uint64_t bytes);

/* Set one key from a string, blanks around it trimmed as in the file. On a malformed value
 * returns -EINVAL and, if ret_error is not NULL, a message naming the key ("memory_max: invalid
 * size 'x'"). Unknown key: -ENOENT
 * (message "unknown key 'x'"). A failed set leaves the previous value. */
int settings_set(Settings *s, const char *key, const char *value, char **ret_error);

/* Parse the text of skillrun.conf ("key = value" lines, '#' comments, blank lines).
 * Errors carry "<path>:<line>: ..." in *ret_error. */
int settings_parse_text(Settings *s, const char *path, const char *text, size_t len, char **ret_error);

/* The whole thing: defaults, then the file ($SKILLRUN_CONFIG or the default path; missing is
 * fine), then SKILLRUN_<KEY> environment variables, which win. Also resolves $CREDENTIALS_DIRECTORY
 * and $RUNTIME_DIRECTORY defaults. No quoting: a value is the rest of its line, trimmed, and a
 * variable's value is trimmed the same way.
 * Errors from the environment name the variable ("SKILLRUN_MEMORY_MAX: invalid ...").
 * *s is always initialised on return, even on failure: call settings_done() in every case. */
int settings_load(Settings *s, char **ret_error);
