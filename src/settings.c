/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "manifest.h"
#include "settings.h"

/* skillrun.conf is a handful of lines; anything bigger is a mistake, not a config. */
#define SETTINGS_FILE_MAX (UINT64_C(1) << 20)

static const char *const policy_table[_POLICY_MAX] = {
        [POLICY_NONE] = "none",
        [POLICY_PERMISSIVE] = "permissive",
        [POLICY_RESTRICTIVE] = "restrictive",
};

const char *policy_to_string(Policy p) {
        if (p < 0 || p >= _POLICY_MAX)
                return NULL;
        return policy_table[p];
}

Policy policy_from_string(const char *s) {
        if (!s)
                return _POLICY_INVALID;
        for (Policy p = 0; p < _POLICY_MAX; p++)
                if (streq(s, policy_table[p]))
                        return p;
        return _POLICY_INVALID;
}

static const char *const sandbox_mode_table[_SANDBOX_MODE_MAX] = {
        [SANDBOX_STRICT] = "strict",
        [SANDBOX_BEST_EFFORT] = "best-effort",
};

const char *sandbox_mode_to_string(SandboxMode m) {
        if (m < 0 || m >= _SANDBOX_MODE_MAX)
                return NULL;
        return sandbox_mode_table[m];
}

SandboxMode sandbox_mode_from_string(const char *s) {
        if (!s)
                return _SANDBOX_MODE_INVALID;
        for (SandboxMode m = 0; m < _SANDBOX_MODE_MAX; m++)
                if (streq(s, sandbox_mode_table[m]))
                        return m;
        return _SANDBOX_MODE_INVALID;
}

int settings_parse_cpu_max(const char *s, uint64_t *ret) {
        _cleanup_free_ char *digits = NULL;
        uint64_t v;
        size_t n;
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (streq(s, "") || streq(s, "max")) {
                *ret = 0;
                return 0;
        }

        n = strlen(s);
        if (s[n - 1] == '%')
                n--;
        if (n == 0)
                return -EINVAL;
        digits = strndup(s, n);
        if (!digits)
                return -ENOMEM;
        r = parse_u64(digits, &v);
        if (r < 0)
                return r;
        if (v > SETTINGS_CPU_MAX_LIMIT)
                return -ERANGE;
        *ret = v;
        return 0;
}

char *settings_format_size(uint64_t bytes) {
        static const struct {
                unsigned shift;
                char suffix;
        } units[] = { { 30, 'G' }, { 20, 'M' }, { 10, 'K' } };
        char *s;

        /* Only exact multiples get a suffix, so the text parses back to the same number. */
        if (bytes > 0)
                for (size_t i = 0; i < ELEMENTSOF(units); i++)
                        if ((bytes & ((UINT64_C(1) << units[i].shift) - 1)) == 0) {
                                if (asprintf(&s, "%" PRIu64 "%c", bytes >> units[i].shift, units[i].suffix) < 0)
                                        return NULL;
                                return s;
                        }

        if (asprintf(&s, "%" PRIu64, bytes) < 0)
                return NULL;
        return s;
}

/* Value parsers. Each writes the field only on success, so a bad value leaves the previous one. */
typedef int (*SettingParseFunc)(const char *value, void *field);

/* Store v if lo <= v <= hi. */
static int set_bounded(void *field, uint64_t v, uint64_t lo, uint64_t hi) {
        if (v < lo || v > hi)
                return -EINVAL;
        *(uint64_t *) field = v;
        return 0;
}

/* Sizes take K, M, G suffixes (parse_size()); integers and durations are plain numbers. */
#define SIZE_PARSER(fn, lo, hi)                                                \
        static int fn(const char *value, void *field) {                       \
                uint64_t v;                                                    \
                return parse_size(value, &v) < 0 ? -EINVAL : set_bounded(field, v, lo, hi); \
        }
#define INTEGER_PARSER(fn, lo, hi)                                             \
        static int fn(const char *value, void *field) {                       \
                uint64_t v;                                                    \
                return parse_u64(value, &v) < 0 ? -EINVAL : set_bounded(field, v, lo, hi); \
        }

/* The request's head and body are held in memory whole: a bound far above any real request,
 * and far from where a size plus one wraps around. */
#define REQUEST_BUFFER_MAX (UINT64_C(1) << 30)
/* Deadlines are microseconds since boot and poll() takes an int of milliseconds: a day keeps
 * every sum and conversion far from wrapping, and no HTTP request waits that long. */
#define DURATION_MAX_MS UINT64_C(86400000)
/* The kernel's own bound on pids, PID_MAX_LIMIT of a 64-bit kernel: pids.max takes no more
 * (a 32-bit kernel's is 32768; pids.max then refuses more, and the run says what is missing). */
#define TASKS_MAX_MAX UINT64_C(4194304)

SIZE_PARSER(parse_size_field, 0, UINT64_MAX)
SIZE_PARSER(parse_size_positive_field, 1, UINT64_MAX)
SIZE_PARSER(parse_buffer_size_field, 0, REQUEST_BUFFER_MAX)
SIZE_PARSER(parse_buffer_size_positive_field, 1, REQUEST_BUFFER_MAX)
INTEGER_PARSER(parse_integer_field, 0, UINT64_MAX)
INTEGER_PARSER(parse_integer_positive_field, 1, UINT64_MAX)
INTEGER_PARSER(parse_duration_field, 0, DURATION_MAX_MS)
INTEGER_PARSER(parse_duration_positive_field, 1, DURATION_MAX_MS)
INTEGER_PARSER(parse_tasks_field, 1, TASKS_MAX_MAX)

static int parse_cpu_field(const char *value, void *field) {
        uint64_t v;
        int r;

        r = settings_parse_cpu_max(value, &v);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return -EINVAL;
        *(uint64_t *) field = v;
        return 0;
}

static int parse_policy_field(const char *value, void *field) {
        Policy p = policy_from_string(value);

        if (p < 0)
                return -EINVAL;
        *(Policy *) field = p;
        return 0;
}

static int parse_sandbox_field(const char *value, void *field) {
        SandboxMode m = sandbox_mode_from_string(value);

        if (m < 0)
                return -EINVAL;
        *(SandboxMode *) field = m;
        return 0;
}

/* Absolute, as a worker's cwd is /, and without a control character: only the environment can
 * give one a line of the file cannot (a newline), and no file is meant by it. */
static bool path_valid(const char *p) {
        if (p[0] != '/')
                return false;
        for (; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        return false;
        return true;
}

static int parse_dir_list_field(const char *value, void *field) {
        _cleanup_strv_free_ char **dirs = NULL;
        char ***dirsp = field;
        int r;

        r = strv_split(value, ':', &dirs);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || strv_length(dirs) == 0)
                return -EINVAL;
        /* Each is a path setting. Empty ones (a doubled or trailing ":") are gone already:
         * strv_split() skips them, where $PATH would read the cwd. */
        for (char **d = dirs; *d; d++)
                if (!path_valid(*d))
                        return -EINVAL;

        strv_free(*dirsp);
        *dirsp = steal_pointer(&dirs);
        return 0;
}

static int parse_absolute_path_field(const char *value, void *field) {
        if (!path_valid(value))
                return -EINVAL;
        return free_and_strdup(field, value);
}

static int parse_user_field(const char *value, void *field) {
        if (value[0] == '\0')
                return -EINVAL;
        /* A user name or a numeric uid: nothing that could split a passwd line or a path. */
        for (const char *p = value; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == ':' || *p == '/')
                        return -EINVAL;
        return free_and_strdup(field, value);
}

static int parse_skill_name_field(const char *value, void *field) {
        if (!skill_name_valid(value))
                return -EINVAL;
        return free_and_strdup(field, value);
}

static int parse_url_field(const char *value, void *field) {
        const char *rest;
        char **fieldp = field;

        /* Empty means "not configured": replies are only returned inline. */
        if (value[0] == '\0') {
                free(*fieldp);
                *fieldp = NULL;
                return 0;
        }

        rest = startswith(value, "https://");
        if (!rest)
                rest = startswith(value, "http://");
        if (!rest || rest[0] == '\0' || rest[0] == '/')
                return -EINVAL;
        for (const char *p = value; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f)
                        return -EINVAL;
        return free_and_strdup(fieldp, value);
}

typedef struct SettingDef {
        const char *key;
        const char *kind; /* what a malformed value is called in the error message */
        SettingParseFunc parse;
        size_t offset;
} SettingDef;

/* Same order as settings_keys[]. */
static const SettingDef setting_defs[] = {
        { "skills_dir", "directory list", parse_dir_list_field, offsetof(Settings, skills_dirs) },
        { "tokens_file", "absolute path", parse_absolute_path_field, offsetof(Settings, tokens_file) },
        { "policy", "policy (none, permissive or restrictive)", parse_policy_field, offsetof(Settings, policy) },
        { "sandbox", "sandbox mode (strict or best-effort)", parse_sandbox_field, offsetof(Settings, sandbox) },
        { "timeout_ms", "duration in ms (1 to 86400000)", parse_duration_positive_field, offsetof(Settings, limits.timeout_ms) },
        { "memory_max", "positive size", parse_size_positive_field, offsetof(Settings, limits.memory_max) },
        { "tasks_max", "number of tasks (1 to 4194304)", parse_tasks_field, offsetof(Settings, limits.tasks_max) },
        { "cpu_max", "CPU percentage", parse_cpu_field, offsetof(Settings, limits.cpu_max) },
        { "output_max", "size", parse_size_field, offsetof(Settings, limits.output_max) },
        { "workdir_max", "positive size", parse_size_positive_field, offsetof(Settings, limits.workdir_max) },
        { "max_body", "size (at most 1G)", parse_buffer_size_field, offsetof(Settings, max_body) },
        { "max_header", "positive size (at most 1G)", parse_buffer_size_positive_field, offsetof(Settings, max_header) },
        { "max_header_fields", "positive integer", parse_integer_positive_field, offsetof(Settings, max_header_fields) },
        { "read_timeout_ms", "duration in ms (1 to 86400000)", parse_duration_positive_field, offsetof(Settings, read_timeout_ms) },
        { "kill_grace_ms", "duration in ms (0 to 86400000)", parse_duration_field, offsetof(Settings, kill_grace_ms) },
        { "max_files", "integer", parse_integer_field, offsetof(Settings, max_files) },
        { "run_user", "user name", parse_user_field, offsetof(Settings, run_user) },
        { "work_dir", "absolute path", parse_absolute_path_field, offsetof(Settings, work_dir) },
        { "abbot_skill", "skill name", parse_skill_name_field, offsetof(Settings, abbot_skill) },
        { "abbot_api_base_url", "URL", parse_url_field, offsetof(Settings, abbot_api_base_url) },
};

const char *const settings_keys[ELEMENTSOF(setting_defs) + 1] = {
        "skills_dir",
        "tokens_file",
        "policy",
        "sandbox",
        "timeout_ms",
        "memory_max",
        "tasks_max",
        "cpu_max",
        "output_max",
        "workdir_max",
        "max_body",
        "max_header",
        "max_header_fields",
        "read_timeout_ms",
        "kill_grace_ms",
        "max_files",
        "run_user",
        "work_dir",
        "abbot_skill",
        "abbot_api_base_url",
        NULL,
};

void settings_init(Settings *s) {
        *s = (Settings) {
                .policy = POLICY_PERMISSIVE,
                .sandbox = SANDBOX_STRICT,
                .limits = {
                        .timeout_ms = DEFAULT_TIMEOUT_MS,
                        .memory_max = DEFAULT_MEMORY_MAX,
                        .tasks_max = DEFAULT_TASKS_MAX,
                        .cpu_max = DEFAULT_CPU_MAX,
                        .output_max = DEFAULT_OUTPUT_MAX,
                        .workdir_max = DEFAULT_WORKDIR_MAX,
                },
                .max_body = DEFAULT_MAX_BODY,
                .max_header = DEFAULT_MAX_HEADER,
                .max_header_fields = DEFAULT_MAX_HEADER_FIELDS,
                .read_timeout_ms = DEFAULT_READ_TIMEOUT_MS,
                .kill_grace_ms = DEFAULT_KILL_GRACE_MS,
                .max_files = DEFAULT_MAX_FILES,
        };

        /* No way to fail here; settings_load() notices a NULL left by a failed allocation. */
        s->config_path = strdup(DEFAULT_CONFIG_PATH);
        (void) strv_split(DEFAULT_SKILLS_DIR, ':', &s->skills_dirs);
        s->tokens_file = strdup(DEFAULT_TOKENS_FILE);
        s->run_user = strdup(DEFAULT_RUN_USER);
        s->work_dir = strdup(DEFAULT_WORK_DIR);
        s->abbot_skill = strdup(DEFAULT_ABBOT_SKILL);
}

void settings_done(Settings *s) {
        if (!s)
                return;
        free(s->config_path);
        strv_free(s->skills_dirs);
        free(s->tokens_file);
        free(s->run_user);
        free(s->work_dir);
        free(s->abbot_skill);
        free(s->abbot_api_base_url);
        strv_free(s->file_warnings);
        /* Safe to call twice, and after a failed settings_load(). */
        *s = (Settings) {};
}

static const SettingDef *setting_def_find(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(setting_defs); i++)
                if (streq(setting_defs[i].key, key))
                        return &setting_defs[i];
        return NULL;
}

#define BLANKS " \t\r\v\f"

static bool is_blank(char c) {
        return c != '\0' && strchr(BLANKS, c);
}

static char *trim(char *s) {
        size_t n;

        while (is_blank(*s))
                s++;
        n = strlen(s);
        while (n > 0 && is_blank(s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* How much of a refused value an error quotes: enough to recognise it, not a pasted file. */
#define QUOTED_VALUE_MAX 128

/* 'label' is what the message names: the key, or the environment variable it came from. The
 * value is trimmed whatever its source, so a line of the file, settings_set() and a variable
 * (systemd's Environment="SKILLRUN_X= 1" keeps the blank) take the same values. */
static int setting_apply(Settings *s, const SettingDef *def, const char *label, const char *value, char **ret_error) {
        _cleanup_free_ char *copy = NULL;
        size_t n;
        int r;

        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        value = trim(copy);
        n = strlen(value);
        r = def->parse(value, (uint8_t *) s + def->offset);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && n <= QUOTED_VALUE_MAX)
                return set_error(ret_error, -EINVAL, "%s: invalid %s '%s'", label, def->kind, value);
        if (r < 0) /* cut at a character's start, and say how long it was */
                return set_error(ret_error, -EINVAL, "%s: invalid %s '%.*s'... (%zu bytes)", label, def->kind,
                                 (int) utf8_cut(value, n, QUOTED_VALUE_MAX), value, n);
        return 0;
}

int settings_set(Settings *s, const char *key, const char *value, char **ret_error) {
        const SettingDef *def;

        if (ret_error)
                *ret_error = NULL;
        if (!s || !key || !value)
                return -EINVAL;

        def = setting_def_find(key);
        if (!def)
                return set_error(ret_error, -ENOENT, "unknown key '%s'", key);
        return setting_apply(s, def, key, value, ret_error);
}

int settings_parse_text(Settings *s, const char *path, const char *text, size_t len, char **ret_error) {
        const char *p = text, *end = text + len;
        unsigned line_no = 0, first_line[ELEMENTSOF(setting_defs)] = {};
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!s || (!text && len > 0))
                return -EINVAL;
        path = path ?: "skillrun.conf";

        p = skip_utf8_bom(p, end);
        while (p < end) {
                _cleanup_free_ char *line = NULL, *error = NULL;
                const char *nl;
                char *eq, *key, *value;
                size_t n;

                line_no++;
                nl = memchr(p, '\n', end - p);
                n = (nl ? nl : end) - p;
                if (memchr(p, '\0', n))
                        return set_error(ret_error, -EINVAL, "%s:%u: unexpected NUL byte", path, line_no);
                line = strndup(p, n);
                if (!line)
                        return -ENOMEM;
                p = nl ? nl + 1 : end;

                key = trim(line);
                if (key[0] == '\0' || key[0] == '#')
                        continue;

                /* No quoting and no trailing comments: the value is the rest of the line, trimmed
                 * by setting_apply() as a value from any other source is. */
                eq = strchr(key, '=');
                if (!eq)
                        return set_error(ret_error, -EINVAL, "%s:%u: expected 'key = value'", path, line_no);
                *eq = '\0';
                value = eq + 1;
                key = trim(key);
                if (key[0] == '\0')
                        return set_error(ret_error, -EINVAL, "%s:%u: expected 'key = value'", path, line_no);

                const SettingDef *def = setting_def_find(key);
                if (!def)
                        return set_error(ret_error, -EINVAL, "%s:%u: unknown key '%s'", path, line_no, key);
                /* the last one counts, as in systemd's files; likely a slip all the same: each
                 * said, not only the first, to be found by the next check */
                unsigned *first = &first_line[def - setting_defs];
                if (*first == 0)
                        *first = line_no;
                else {
                        _cleanup_free_ char *warning = NULL;
                        if (asprintf(&warning, "%s:%u: '%s' is given again (first on line %u); the last one counts",
                                     path, line_no, key, *first) < 0)
                                return -ENOMEM;
                        if (strv_push(&s->file_warnings, steal_pointer(&warning)) < 0)
                                return -ENOMEM;
                }

                r = setting_apply(s, def, key, value, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return set_error(ret_error, r, "%s:%u: %s", path, line_no, strempty(error));
        }

        return 0;
}

/* SKILLRUN_ and the key in upper case: the variable that overrides it. */
static void env_name(const char *key, char ret[static 64]) {
        size_t n = strlen("SKILLRUN_");

        memcpy(ret, "SKILLRUN_", n);
        for (const char *k = key; *k && n < 63; k++)
                ret[n++] = (*k >= 'a' && *k <= 'z') ? *k - 'a' + 'A' : *k;
        ret[n] = '\0';
}

bool settings_env_var_known(const char *var, size_t len) {
        char name[64];

        if (len == strlen("SKILLRUN_CONFIG") && strncmp(var, "SKILLRUN_CONFIG", len) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(setting_defs); i++) {
                env_name(setting_defs[i].key, name);
                if (strlen(name) == len && strncmp(var, name, len) == 0)
                        return true;
        }
        return false;
}

/* Defaults that come from what systemd hands the service. */
static int settings_apply_environment_defaults(Settings *s) {
        const char *e;

        e = getenv("CREDENTIALS_DIRECTORY");
        if (e && e[0] == '/') {
                char *t;

                if (asprintf(&t, "%s/tokens", e) < 0)
                        return -ENOMEM;
                free(s->tokens_file);
                s->tokens_file = t;
        }

        /* RuntimeDirectory= may list several directories; the first is ours. */
        e = getenv("RUNTIME_DIRECTORY");
        if (e && e[0] == '/') {
                char *w = strndup(e, strcspn(e, ":"));

                if (!w)
                        return -ENOMEM;
                free(s->work_dir);
                s->work_dir = w;
        }

        return 0;
}

/* The worker reads the file before the request, before its read timeout can help: a FIFO there
 * (a blocking open, then a read) would hold it until the unit's RuntimeMaxSec=, the client
 * unanswered. O_NONBLOCK, and a FIFO is refused (-EBADFD): without a writer it would read as an
 * empty file. Anything else reads as before (a directory fails with EISDIR, /dev/null is empty). */
static int read_config_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISFIFO(st.st_mode))
                return -EBADFD;
        return read_full_fd(fd, SETTINGS_FILE_MAX, ret, ret_len);
}

int settings_load(Settings *s, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        const char *e;
        size_t len = 0;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!s)
                return -EINVAL;

        settings_init(s);
        if (!s->config_path || !s->skills_dirs || !s->tokens_file || !s->run_user || !s->work_dir ||
            !s->abbot_skill)
                return -ENOMEM;

        r = settings_apply_environment_defaults(s);
        if (r < 0)
                return r;

        /* Empty counts as unset, as systemd's "Environment=SKILLRUN_CONFIG=" would leave it; so
         * do blanks alone, trimmed as every value is. */
        e = getenv("SKILLRUN_CONFIG");
        if (e && e[strspn(e, BLANKS)] != '\0') {
                /* parsed as every path setting: a worker's cwd is /, so a relative one would be
                 * read there or, missing, silently mean the defaults */
                static const SettingDef config_def = {
                        "SKILLRUN_CONFIG", "absolute path", parse_absolute_path_field, offsetof(Settings, config_path)
                };
                r = setting_apply(s, &config_def, "SKILLRUN_CONFIG", e, ret_error);
                if (r < 0)
                        return r;
        }

        r = read_config_file(s->config_path, &text, &len);
        if (r == -ENOMEM)
                return r;
        if (r == -EFBIG) /* the bound, not the file system's "File too large" */
                return set_error(ret_error, r, "%s: larger than %" PRIu64 " bytes", s->config_path, SETTINGS_FILE_MAX);
        if (r < 0 && r != -ENOENT)
                return set_error(ret_error, r, "%s: %s", s->config_path,
                                 r == -EBADFD ? "a FIFO, not a regular file" : strerror(-r));
        if (r >= 0) {
                r = settings_parse_text(s, s->config_path, text, len, ret_error);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < ELEMENTSOF(setting_defs); i++) {
                const SettingDef *def = &setting_defs[i];
                char name[64];

                env_name(def->key, name);
                e = getenv(name);
                if (!e)
                        continue;
                r = setting_apply(s, def, name, e, ret_error);
                if (r < 0)
                        return r;
        }

        return 0;
}
