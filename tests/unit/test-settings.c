/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "settings.h"
#include "tap.h"

static char tmpdir[] = "/tmp/test-settings-XXXXXX";

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f) {
                perror(path);
                exit(EXIT_FAILURE);
        }
        fputs(text, f);
        fclose(f);
}

/* Every environment variable settings_load() reads, so the test's outcome does not depend on
 * the environment it was started from. */
static void clear_environment(void) {
        unsetenv("SKILLRUN_CONFIG");
        unsetenv("CREDENTIALS_DIRECTORY");
        unsetenv("RUNTIME_DIRECTORY");
        for (const char *const *k = settings_keys; *k; k++) {
                char name[64] = "SKILLRUN_";
                size_t n = strlen(name);
                for (const char *p = *k; *p; p++)
                        name[n++] = (char) (*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
                name[n] = 0;
                unsetenv(name);
        }
}

static void test_enums(void) {
        is_str(policy_to_string(POLICY_NONE), "none", "policy none");
        is_str(policy_to_string(POLICY_PERMISSIVE), "permissive", "policy permissive");
        is_str(policy_to_string(POLICY_RESTRICTIVE), "restrictive", "policy restrictive");
        ok(policy_to_string(_POLICY_MAX) == NULL, "policy out of range → NULL");
        ok(policy_to_string(_POLICY_INVALID) == NULL, "policy invalid → NULL");
        is_int(policy_from_string("none"), POLICY_NONE, "from none");
        is_int(policy_from_string("permissive"), POLICY_PERMISSIVE, "from permissive");
        is_int(policy_from_string("restrictive"), POLICY_RESTRICTIVE, "from restrictive");
        is_int(policy_from_string("Restrictive"), -EINVAL, "policy names are case-sensitive");
        is_int(policy_from_string(""), -EINVAL, "empty policy");
        is_int(policy_from_string(NULL), -EINVAL, "NULL policy");

        is_str(sandbox_mode_to_string(SANDBOX_STRICT), "strict", "sandbox strict");
        is_str(sandbox_mode_to_string(SANDBOX_BEST_EFFORT), "best-effort", "sandbox best-effort");
        ok(sandbox_mode_to_string(_SANDBOX_MODE_MAX) == NULL, "sandbox out of range → NULL");
        is_int(sandbox_mode_from_string("strict"), SANDBOX_STRICT, "from strict");
        is_int(sandbox_mode_from_string("best-effort"), SANDBOX_BEST_EFFORT, "from best-effort");
        is_int(sandbox_mode_from_string("best_effort"), -EINVAL, "best_effort is not a mode");
        is_int(sandbox_mode_from_string(NULL), -EINVAL, "NULL mode");
}

static void test_keys(void) {
        static const char *const want[] = {
                "skills_dir", "tokens_file", "policy", "sandbox", "timeout_ms", "memory_max", "tasks_max",
                "cpu_max", "output_max", "workdir_max", "max_body", "max_header", "max_header_fields",
                "read_timeout_ms", "kill_grace_ms", "max_files", "run_user", "work_dir", "abbot_skill",
                "abbot_api_base_url",
        };
        size_t n = 0;

        while (settings_keys[n])
                n++;
        is_int(n, ELEMENTSOF(want), "settings_keys has %zu keys", ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want) && i < n; i++)
                is_str(settings_keys[i], want[i], "settings_keys[%zu]", i);

        /* the variables settings_load() reads, for check's warning about the others */
        static const char *const vars[] = { "SKILLRUN_CONFIG", "SKILLRUN_TIMEOUT_MS", "SKILLRUN_ABBOT_API_BASE_URL",
                                            "SKILLRUN_MAX_HEADER_FIELDS" };
        static const char *const not_vars[] = { "SKILLRUN_TIMEOUTMS", "SKILLRUN_timeout_ms", "SKILLRUN_",
                                                "SKILLRUN_DEBUG", "TIMEOUT_MS", "SKILLRUN_CONFIGX" };
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                ok(settings_env_var_known(vars[i], strlen(vars[i])), "%s is read", vars[i]);
        for (size_t i = 0; i < ELEMENTSOF(not_vars); i++)
                ok(!settings_env_var_known(not_vars[i], strlen(not_vars[i])), "%s is no setting's", not_vars[i]);
        ok(settings_env_var_known("SKILLRUN_MAX_HEADER=16K", strlen("SKILLRUN_MAX_HEADER")),
           "only the name's length counts (SKILLRUN_MAX_HEADER, not _FIELDS)");
        ok(!settings_env_var_known("SKILLRUN_TIMEOUT_MS", strlen("SKILLRUN_TIMEOUT")), "a prefix of a name is none");

        /* Every documented key is one settings_set() knows. */
        for (size_t i = 0; i < n; i++) {
                Settings s;
                char *error = NULL;
                int r;

                settings_init(&s);
                r = settings_set(&s, settings_keys[i], "\x01", &error);
                ok(r == -EINVAL && error && strncmp(error, settings_keys[i], strlen(settings_keys[i])) == 0,
                   "settings_set knows '%s' (r=%d, '%s')", settings_keys[i], r, strempty(error));
                free(error);
                settings_done(&s);
        }
}

static void test_defaults(void) {
        Settings s;

        settings_init(&s);
        is_str(s.config_path, DEFAULT_CONFIG_PATH, "default config path");
        is_int(strv_length(s.skills_dirs), 2, "two default skills dirs");
        is_str(s.skills_dirs[0], SYSCONFDIR "/skillrun/skills", "admin dir first");
        is_str(s.skills_dirs[1], DATADIR "/skillrun/skills", "packaged dir second");
        is_str(s.tokens_file, DEFAULT_TOKENS_FILE, "default tokens file");
        is_int(s.policy, POLICY_PERMISSIVE, "default policy");
        is_int(s.sandbox, SANDBOX_STRICT, "default sandbox mode");
        is_int(s.limits.timeout_ms, 30000, "default timeout");
        is_int(s.limits.memory_max, 256 << 20, "default memory_max");
        is_int(s.limits.tasks_max, 64, "default tasks_max");
        is_int(s.limits.cpu_max, 0, "default cpu_max unlimited");
        is_int(s.limits.output_max, 1 << 20, "default output_max");
        is_int(s.limits.workdir_max, 64 << 20, "default workdir_max");
        is_int(s.max_body, 1 << 20, "default max_body");
        is_int(s.max_header, 16 << 10, "default max_header");
        is_int(s.max_header_fields, 100, "default max_header_fields");
        is_int(s.read_timeout_ms, 10000, "default read_timeout_ms");
        is_int(s.kill_grace_ms, 500, "default kill_grace_ms");
        is_int(s.max_files, 64, "default max_files");
        is_str(s.run_user, "nobody", "default run_user");
        is_str(s.work_dir, "/tmp", "default work_dir");
        is_str(s.abbot_skill, "abbot-python", "default abbot_skill");
        ok(s.abbot_api_base_url == NULL, "no default abbot_api_base_url");
        settings_done(&s);
        settings_done(&s);
        ok(s.skills_dirs == NULL && s.run_user == NULL, "settings_done zeroes and is idempotent");
}

typedef struct {
        const char *key, *value;
        const char *error; /* NULL: must be accepted */
} SetCase;

static void test_set_messages(void) {
        static const SetCase cases[] = {
                { "skills_dir", "/a:/b", NULL },
                { "skills_dir", "/a:rel", "skills_dir: invalid directory list '/a:rel'" },
                { "skills_dir", "", "skills_dir: invalid directory list ''" },
                { "skills_dir", ":", "skills_dir: invalid directory list ':'" },
                { "tokens_file", "/run/tokens", NULL },
                { "tokens_file", "tokens", "tokens_file: invalid absolute path 'tokens'" },
                { "tokens_file", "", "tokens_file: invalid absolute path ''" },
                { "policy", "restrictive", NULL },
                { "policy", "strict", "policy: invalid policy (none, permissive or restrictive) 'strict'" },
                { "sandbox", "best-effort", NULL },
                { "sandbox", "lax", "sandbox: invalid sandbox mode (strict or best-effort) 'lax'" },
                { "timeout_ms", "1", NULL },
                { "timeout_ms", "0", "timeout_ms: invalid duration in ms (1 to 86400000) '0'" },
                { "timeout_ms", "5s", "timeout_ms: invalid duration in ms (1 to 86400000) '5s'" },
                { "timeout_ms", "-1", "timeout_ms: invalid duration in ms (1 to 86400000) '-1'" },
                { "timeout_ms", "86400000", NULL },
                { "timeout_ms", "86400001", "timeout_ms: invalid duration in ms (1 to 86400000) '86400001'" },
                { "timeout_ms", "18446744073709551615",
                  "timeout_ms: invalid duration in ms (1 to 86400000) '18446744073709551615'" },
                { "memory_max", "512M", NULL },
                { "memory_max", "lots", "memory_max: invalid positive size 'lots'" },
                { "memory_max", "0", "memory_max: invalid positive size '0'" },
                { "memory_max", "99999999999999999999", "memory_max: invalid positive size '99999999999999999999'" },
                { "tasks_max", "1", NULL },
                { "tasks_max", "0", "tasks_max: invalid number of tasks (1 to 4194304) '0'" },
                { "tasks_max", "4194304", NULL },
                { "tasks_max", "4194305", "tasks_max: invalid number of tasks (1 to 4194304) '4194305'" },
                { "cpu_max", "50%", NULL },
                { "cpu_max", "half", "cpu_max: invalid CPU percentage 'half'" },
                { "cpu_max", "%", "cpu_max: invalid CPU percentage '%'" },
                { "cpu_max", "50%%", "cpu_max: invalid CPU percentage '50%%'" },
                { "cpu_max", "100000", NULL },
                { "cpu_max", "100001", "cpu_max: invalid CPU percentage '100001'" },
                { "output_max", "0", NULL },
                { "output_max", "1T", "output_max: invalid size '1T'" },
                { "workdir_max", "1G", NULL },
                { "workdir_max", "-5", "workdir_max: invalid positive size '-5'" },
                { "workdir_max", "0", "workdir_max: invalid positive size '0'" },
                { "max_body", "2M", NULL },
                { "max_body", "2 M", "max_body: invalid size (at most 1G) '2 M'" },
                { "max_body", "1G", NULL },
                { "max_body", "1073741825", "max_body: invalid size (at most 1G) '1073741825'" },
                { "max_body", "18446744073709551615", "max_body: invalid size (at most 1G) '18446744073709551615'" },
                { "max_header", "8K", NULL },
                { "max_header", "0", "max_header: invalid positive size (at most 1G) '0'" },
                { "max_header", "2G", "max_header: invalid positive size (at most 1G) '2G'" },
                { "max_header_fields", "50", NULL },
                { "max_header_fields", "0", "max_header_fields: invalid positive integer '0'" },
                { "read_timeout_ms", "500", NULL },
                { "read_timeout_ms", "0", "read_timeout_ms: invalid duration in ms (1 to 86400000) '0'" },
                { "read_timeout_ms", "18446744073709551",
                  "read_timeout_ms: invalid duration in ms (1 to 86400000) '18446744073709551'" },
                { "kill_grace_ms", "0", NULL },
                { "kill_grace_ms", "1K", "kill_grace_ms: invalid duration in ms (0 to 86400000) '1K'" },
                { "kill_grace_ms", "86400001", "kill_grace_ms: invalid duration in ms (0 to 86400000) '86400001'" },
                { "max_files", "0", NULL },
                { "max_files", "", "max_files: invalid integer ''" },
                { "run_user", "skill", NULL },
                { "run_user", "", "run_user: invalid user name ''" },
                { "run_user", "a b", "run_user: invalid user name 'a b'" },
                /* a ':' would shift the fields of a passwd line, a '/' a path made of the name */
                { "run_user", "a:b", "run_user: invalid user name 'a:b'" },
                { "run_user", "a/b", "run_user: invalid user name 'a/b'" },
                { "work_dir", "/var/tmp", NULL },
                { "work_dir", "tmp", "work_dir: invalid absolute path 'tmp'" },
                /* blanks around a value are trimmed wherever it comes from, as a line of the file is */
                { "work_dir", " /var/tmp\t", NULL },
                { "work_dir", " tmp ", "work_dir: invalid absolute path 'tmp'" },
                /* a control character in a path: a newline from the environment, a stray byte in
                 * the file; no file is meant, and a log line quoting the path would be split */
                { "tokens_file", "/etc/skillrun/\x01tokens", "tokens_file: invalid absolute path '/etc/skillrun/\x01tokens'" },
                { "tokens_file", "/etc/skill\trun/tokens", "tokens_file: invalid absolute path '/etc/skill\trun/tokens'" },
                { "tokens_file", "/etc/skillrun/tokens\x7f", "tokens_file: invalid absolute path '/etc/skillrun/tokens\x7f'" },
                { "skills_dir", "/srv/\x1bskills", "skills_dir: invalid directory list '/srv/\x1bskills'" },
                /* a blank is no control character: inside a path it is a name's, as in any file name */
                { "tokens_file", "/etc/skill run/tokens", NULL },
                { "skills_dir", "/srv/my skills:/srv/b", NULL },
                { "abbot_skill", "my-abbot", NULL },
                { "abbot_skill", "Abbot", "abbot_skill: invalid skill name 'Abbot'" },
                { "abbot_skill", "", "abbot_skill: invalid skill name ''" },
                { "abbot_api_base_url", "https://abbot.example/api", NULL },
                { "abbot_api_base_url", "ftp://x", "abbot_api_base_url: invalid URL 'ftp://x'" },
                { "abbot_api_base_url", "https://", "abbot_api_base_url: invalid URL 'https://'" },
                { "abbot_api_base_url", "https:///api", "abbot_api_base_url: invalid URL 'https:///api'" },
                /* a blank or a control character inside would split or smuggle a request line */
                { "abbot_api_base_url", "https://abbot.example/a b", "abbot_api_base_url: invalid URL 'https://abbot.example/a b'" },
                { "abbot_api_base_url", "http://x/\ty", "abbot_api_base_url: invalid URL 'http://x/\ty'" },
                { "abbot_api_base_url", "http://x/\x7f", "abbot_api_base_url: invalid URL 'http://x/\x7f'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const SetCase *c = &cases[i];
                Settings s;
                char *error = (char *) "sentinel";
                int r;

                settings_init(&s);
                r = settings_set(&s, c->key, c->value, &error);
                if (c->error) {
                        is_int(r, -EINVAL, "%s = '%s' is refused", c->key, c->value);
                        is_str(error, c->error, "%s = '%s' message", c->key, c->value);
                        free(error);
                } else {
                        is_int(r, 0, "%s = '%s' is accepted", c->key, c->value);
                        ok(error == NULL, "%s = '%s': no message", c->key, c->value);
                }
                settings_done(&s);
        }
}

/* A newline in a path (one from the environment; a line of the file cannot hold one) is
 * refused like the control characters of test_set_messages()' table, whose test names it would
 * split in TAP. */
static void test_set_newline(void) {
        static const struct {
                const char *key, *value, *error, *what;
        } cases[] = {
                { "work_dir", "/var/tmp\n", "work_dir: invalid absolute path '/var/tmp\n'", "work_dir '/var/tmp\\n'" },
                { "skills_dir", "/srv/skills:/srv/more\r\n",
                  "skills_dir: invalid directory list '/srv/skills:/srv/more\r\n'", "skills_dir '...:/srv/more\\r\\n'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *error = NULL;
                Settings s;

                settings_init(&s);
                is_int(settings_set(&s, cases[i].key, cases[i].value, &error), -EINVAL, "%s is refused", cases[i].what);
                is_str(error, cases[i].error, "%s: message", cases[i].what);
                free(error);
                settings_done(&s);
        }
}

/* A long refused value is quoted in part, cut at a character's start, with its length. */
static void test_set_long_value(void) {
        char value[300], want[300];
        char *error = NULL;
        Settings s;

        /* 127 'x', then a 2-byte 'é' across byte 128, then more */
        memset(value, 'x', 127);
        strcpy(value + 127, "\xc3\xa9");
        memset(value + 129, 'y', 100);
        value[229] = 0;
        settings_init(&s);
        is_int(settings_set(&s, "tokens_file", value, &error), -EINVAL, "a 229-byte relative tokens_file is refused");
        snprintf(want, sizeof(want), "tokens_file: invalid absolute path '%.127s'... (229 bytes)", value);
        is_str(error, want, "... quoting its first 127 bytes, not half a character, and its length");
        free(error);
        error = NULL;

        /* 128 bytes, the bound itself, are quoted whole */
        value[127] = 'x';
        value[128] = 0;
        is_int(settings_set(&s, "tokens_file", value, &error), -EINVAL, "a 128-byte relative tokens_file is refused");
        snprintf(want, sizeof(want), "tokens_file: invalid absolute path '%.128s'", value);
        is_str(error, want, "... quoted whole, as it is no longer than the bound");
        free(error);
        error = NULL;

        /* the blanks around it are trimmed before it is measured, as in the file: still 128 */
        char padded[sizeof(value) + 2];
        snprintf(padded, sizeof(padded), " %s\t", value);
        is_int(settings_set(&s, "tokens_file", padded, &error), -EINVAL, "the same with blanks around it is refused");
        is_str(error, want, "... quoted whole still, without the blanks");
        free(error);
        settings_done(&s);
}

static void test_set_values(void) {
        Settings s;
        char *error = NULL;

        settings_init(&s);
        is_int(settings_set(&s, "skills_dir", "/a::/b/", NULL), 0, "skills_dir with empty entry");
        is_int(strv_length(s.skills_dirs), 2, "empty entries are skipped");
        is_str(s.skills_dirs[0], "/a", "first dir");
        is_str(s.skills_dirs[1], "/b/", "second dir");

        is_int(settings_set(&s, "skills_dir", "relative", NULL), -EINVAL, "bad skills_dir");
        is_str(s.skills_dirs[0], "/a", "a refused value leaves the previous one");

        is_int(settings_set(&s, "policy", "none", NULL), 0, "policy none");
        is_int(s.policy, POLICY_NONE, "policy stored");
        is_int(settings_set(&s, "sandbox", "best-effort", NULL), 0, "sandbox best-effort");
        is_int(s.sandbox, SANDBOX_BEST_EFFORT, "sandbox stored");

        is_int(settings_set(&s, "memory_max", "512M", NULL), 0, "memory_max 512M");
        is_int(s.limits.memory_max, 512 << 20, "512M in bytes");
        is_int(settings_set(&s, "output_max", "64K", NULL), 0, "output_max 64K");
        is_int(s.limits.output_max, 64 << 10, "64K in bytes");
        is_int(settings_set(&s, "workdir_max", "2G", NULL), 0, "workdir_max 2G");
        is_int(s.limits.workdir_max, UINT64_C(2) << 30, "2G in bytes");
        is_int(settings_set(&s, "max_body", "12345", NULL), 0, "max_body bytes");
        is_int(s.max_body, 12345, "bare bytes");
        is_int(settings_set(&s, "timeout_ms", "1500", NULL), 0, "timeout 1500");
        is_int(s.limits.timeout_ms, 1500, "timeout stored");
        is_int(settings_set(&s, "timeout_ms", "0", NULL), -EINVAL, "timeout 0 refused");
        is_int(s.limits.timeout_ms, 1500, "timeout unchanged after refusal");

        static const struct {
                const char *v;
                uint64_t want;
        } cpu[] = {
                { "50%", 50 }, { "200%", 200 }, { "150", 150 }, { "", 0 }, { "max", 0 }, { "0", 0 }, { "0%", 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cpu); i++) {
                s.limits.cpu_max = 77;
                is_int(settings_set(&s, "cpu_max", cpu[i].v, NULL), 0, "cpu_max '%s'", cpu[i].v);
                is_int(s.limits.cpu_max, cpu[i].want, "cpu_max '%s' = %" PRIu64, cpu[i].v, cpu[i].want);
        }

        is_int(settings_set(&s, "abbot_api_base_url", "http://127.0.0.1:8080/api", NULL), 0, "url");
        is_str(s.abbot_api_base_url, "http://127.0.0.1:8080/api", "url stored");
        is_int(settings_set(&s, "abbot_api_base_url", "", NULL), 0, "empty url");
        ok(s.abbot_api_base_url == NULL, "empty url unsets it");

        is_int(settings_set(&s, "run_user", "1000", NULL), 0, "numeric run_user");
        is_str(s.run_user, "1000", "run_user stored");

        is_int(settings_set(&s, "config", "/x", &error), -ENOENT, "config is not a file key");
        is_str(error, "unknown key 'config'", "unknown key message");
        free(error);
        error = NULL;
        is_int(settings_set(&s, "nope", "1", &error), -ENOENT, "unknown key");
        is_str(error, "unknown key 'nope'", "unknown key message names it");
        free(error);
        error = (char *) "sentinel";
        is_int(settings_set(&s, "policy", NULL, &error), -EINVAL, "no value: -EINVAL");
        ok(error == NULL, "... and no message");
        is_int(settings_parse_text(&s, NULL, NULL, 1, NULL), -EINVAL, "no text but a length: -EINVAL");
        is_int(settings_load(NULL, NULL), -EINVAL, "settings_load(NULL): -EINVAL");
        settings_done(&s);
        settings_done(NULL); /* a no-op */
}

static void test_format_size(void) {
        static const struct {
                uint64_t v;
                const char *want;
        } cases[] = {
                { 0, "0" },         { 1, "1" },          { 1000, "1000" },     { 1024, "1K" },
                { 1536, "1536" },   { 65536, "64K" },    { 1 << 20, "1M" },    { 256 << 20, "256M" },
                { UINT64_C(3) << 30, "3G" }, { (UINT64_C(1) << 30) + 1024, "1048577K" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *s = settings_format_size(cases[i].v);
                is_str(s, cases[i].want, "format %" PRIu64, cases[i].v);
                free(s);
        }
}

static void parse_case(const char *text, int want_r, const char *want_error, const char *what) {
        Settings s;
        char *error = NULL;

        settings_init(&s);
        is_int(settings_parse_text(&s, "/etc/skillrun/skillrun.conf", text, strlen(text), &error), want_r, "%s",
               what);
        is_str(error, want_error, "%s: message", what);
        free(error);
        settings_done(&s);
}

static void test_parse_text(void) {
        static const char good[] =
                "# skillrun.conf\n"
                "\n"
                "   # indented comment\n"
                "policy = restrictive\n"
                "memory_max=128M\r\n"
                "\t timeout_ms \t=\t 2000 \t\n"
                "run_user = skill user ok?\n" /* refused below, so not here */;
        static const char good2[] =
                "policy = restrictive\n"
                "memory_max=128M\r\n"
                "\t timeout_ms \t=\t 2000 \t\n"
                "cpu_max =\n"
                "abbot_api_base_url = https://example.com/a#b\n"
                "skills_dir = /srv/skills:/usr/share/skillrun/skills\n"
                "policy = none"; /* no final newline; a later line wins */
        Settings s;
        char *error = NULL;

        settings_init(&s);
        s.limits.cpu_max = 5;
        is_int(settings_parse_text(&s, "t.conf", good2, strlen(good2), &error), 0, "good file parses");
        ok(error == NULL, "no message on success");
        is_int(s.policy, POLICY_NONE, "last assignment wins");
        is_int(s.limits.memory_max, 128 << 20, "CRLF line");
        is_int(s.limits.timeout_ms, 2000, "tabs and spaces trimmed");
        is_int(s.limits.cpu_max, 0, "empty value accepted where it means something");
        is_str(s.abbot_api_base_url, "https://example.com/a#b", "'#' inside a value is kept");
        is_str(s.skills_dirs[0], "/srv/skills", "skills_dir from file");
        is_int(strv_length(s.file_warnings), 1, "a key given twice is a warning, for check");
        is_str(s.file_warnings ? s.file_warnings[0] : NULL,
               "t.conf:7: 'policy' is given again (first on line 1); the last one counts", "... naming both lines");
        settings_done(&s);
        settings_init(&s);
        is_int(settings_parse_text(&s, "t.conf", good2, strlen(good2) - strlen("policy = none"), &error), 0,
               "good file without its last line parses");
        ok(s.file_warnings == NULL, "... and a file giving each key once has no warning");
        settings_done(&s);

        parse_case(good, -EINVAL, "/etc/skillrun/skillrun.conf:7: run_user: invalid user name 'skill user ok?'",
                   "bad value names path, line and key");
        parse_case("", 0, NULL, "empty file");
        parse_case("# only\n\n   \n", 0, NULL, "comments only");
        parse_case("policy = none\njust words\n", -EINVAL, "/etc/skillrun/skillrun.conf:2: expected 'key = value'",
                   "line without '='");
        parse_case(" = 5\n", -EINVAL, "/etc/skillrun/skillrun.conf:1: expected 'key = value'", "empty key");
        parse_case("\n\nmemory = 5\n", -EINVAL, "/etc/skillrun/skillrun.conf:3: unknown key 'memory'",
                   "unknown key");
        parse_case("config = /x\n", -EINVAL, "/etc/skillrun/skillrun.conf:1: unknown key 'config'",
                   "config is env-only");
        parse_case("# x\nmemory_max = 1X\n", -EINVAL,
                   "/etc/skillrun/skillrun.conf:2: memory_max: invalid positive size '1X'", "bad size");
        parse_case("policy = \"none\"\n", -EINVAL,
                   "/etc/skillrun/skillrun.conf:1: policy: invalid policy (none, permissive or restrictive) '\"none\"'",
                   "no quoting");
        parse_case("work_dir = /var/\x01tmp\n", -EINVAL,
                   "/etc/skillrun/skillrun.conf:1: work_dir: invalid absolute path '/var/\x01tmp'",
                   "a control character in a path from the file");
        parse_case("timeout_ms = 5 # five\n", -EINVAL,
                   "/etc/skillrun/skillrun.conf:1: timeout_ms: invalid duration in ms (1 to 86400000) '5 # five'",
                   "no trailing comments");

        settings_init(&s);
        is_int(settings_parse_text(&s, "n.conf", "policy = none\0x\n", 16, &error), -EINVAL, "NUL byte refused");
        {
                static const char bom[] = "\xEF\xBB\xBF" "policy = none\n";
                Settings b;
                _cleanup_free_ char *berr = NULL;
                settings_init(&b);
                is_int(settings_parse_text(&b, "b.conf", bom, strlen(bom), &berr), 0, "a leading UTF-8 BOM is skipped");
                is_int(b.policy, POLICY_NONE, "... and the first key still applies");
                settings_done(&b);
        }
        is_str(error, "n.conf:1: unexpected NUL byte", "NUL message");
        free(error);
        settings_done(&s);
}

static void test_load(void) {
        char conf[256], dir_conf[256], missing[256];
        Settings s;
        char *error = NULL;

        snprintf(conf, sizeof(conf), "%s/skillrun.conf", tmpdir);
        snprintf(dir_conf, sizeof(dir_conf), "%s/a-directory", tmpdir);
        snprintf(missing, sizeof(missing), "%s/missing.conf", tmpdir);
        write_file(conf, "memory_max = 128M\n"
                         "timeout_ms = 2000\n"
                         "policy = restrictive\n");
        if (mkdir(dir_conf, 0700) < 0)
                perror("mkdir");

        clear_environment();

        /* File only. */
        setenv("SKILLRUN_CONFIG", conf, 1);
        is_int(settings_load(&s, &error), 0, "load with config file");
        ok(error == NULL, "no message");
        is_str(s.config_path, conf, "config_path is the file consulted");
        is_int(s.limits.memory_max, 128 << 20, "memory_max from file");
        is_int(s.limits.timeout_ms, 2000, "timeout_ms from file");
        is_int(s.policy, POLICY_RESTRICTIVE, "policy from file");
        is_str(s.tokens_file, DEFAULT_TOKENS_FILE, "tokens_file default outside systemd");
        is_str(s.work_dir, "/tmp", "work_dir default outside systemd");
        settings_done(&s);

        /* Environment wins over the file. */
        setenv("SKILLRUN_MEMORY_MAX", "64M", 1);
        setenv("SKILLRUN_POLICY", "none", 1);
        setenv("SKILLRUN_ABBOT_API_BASE_URL", "http://127.0.0.1:1/", 1);
        is_int(settings_load(&s, &error), 0, "load with env overrides");
        is_int(s.limits.memory_max, 64 << 20, "env memory_max wins over file");
        is_int(s.policy, POLICY_NONE, "env policy wins over file");
        is_int(s.limits.timeout_ms, 2000, "file value kept where env is silent");
        is_str(s.abbot_api_base_url, "http://127.0.0.1:1/", "env sets a key the file lacks");
        settings_done(&s);

        /* A bad environment value names the variable. */
        setenv("SKILLRUN_MEMORY_MAX", "lots", 1);
        is_int(settings_load(&s, &error), -EINVAL, "bad env value");
        is_str(error, "SKILLRUN_MEMORY_MAX: invalid positive size 'lots'", "env message names the variable");
        free(error);
        error = NULL;
        settings_done(&s);

        /* Blanks around an environment value are trimmed, as around a value in the file:
         * systemd's Environment="SKILLRUN_MEMORY_MAX= 32M" keeps the space. */
        setenv("SKILLRUN_MEMORY_MAX", " 32M\t", 1);
        setenv("SKILLRUN_POLICY", "\tnone ", 1);
        is_int(settings_load(&s, &error), 0, "env values with blanks around them are taken");
        ok(error == NULL, "... with no message");
        is_int(s.limits.memory_max, 32 << 20, "... memory_max ' 32M\\t' is 32M");
        is_int(s.policy, POLICY_NONE, "... policy '\\tnone ' is none");
        settings_done(&s);
        setenv("SKILLRUN_MEMORY_MAX", "  lots ", 1);
        is_int(settings_load(&s, &error), -EINVAL, "a bad env value with blanks around it");
        is_str(error, "SKILLRUN_MEMORY_MAX: invalid positive size 'lots'", "... quoted trimmed, as from the file");
        free(error);
        error = NULL;
        settings_done(&s);
        unsetenv("SKILLRUN_MEMORY_MAX");
        unsetenv("SKILLRUN_POLICY");
        unsetenv("SKILLRUN_ABBOT_API_BASE_URL");

        /* A path from the environment may hold what no line of the file can: a newline. */
        setenv("SKILLRUN_WORK_DIR", "/var/tmp\n", 1);
        is_int(settings_load(&s, &error), -EINVAL, "an env path with a newline is refused");
        is_str(error, "SKILLRUN_WORK_DIR: invalid absolute path '/var/tmp\n'", "... naming the variable");
        free(error);
        error = NULL;
        settings_done(&s);
        unsetenv("SKILLRUN_WORK_DIR");

        /* Bad file value. */
        write_file(conf, "# c\ntasks_max = 0\n");
        is_int(settings_load(&s, &error), -EINVAL, "bad file value");
        {
                char want[512];
                snprintf(want, sizeof(want), "%s:2: tasks_max: invalid number of tasks (1 to 4194304) '0'", conf);
                is_str(error, want, "file message has path and line");
        }
        free(error);
        error = NULL;
        settings_done(&s);

        /* ... which a valid environment value does not rescue: the file is parsed first. */
        setenv("SKILLRUN_TASKS_MAX", "4", 1);
        is_int(settings_load(&s, &error), -EINVAL, "bad file value is an error even if env overrides");
        free(error);
        error = NULL;
        settings_done(&s);
        unsetenv("SKILLRUN_TASKS_MAX");

        /* Missing file is fine. */
        setenv("SKILLRUN_CONFIG", missing, 1);
        setenv("SKILLRUN_TASKS_MAX", "4", 1);
        is_int(settings_load(&s, &error), 0, "missing config file is fine");
        ok(error == NULL, "no message for a missing file");
        is_str(s.config_path, missing, "config_path still names it");
        is_int(s.limits.tasks_max, 4, "env still applies without a file");
        is_int(s.limits.memory_max, DEFAULT_MEMORY_MAX, "defaults without a file");
        settings_done(&s);
        unsetenv("SKILLRUN_TASKS_MAX");

        /* A relative SKILLRUN_CONFIG is refused, as every path setting is: a worker's cwd is /. */
        setenv("SKILLRUN_CONFIG", "skillrun.conf", 1);
        is_int(settings_load(&s, &error), -EINVAL, "relative SKILLRUN_CONFIG is an error");
        is_str(error, "SKILLRUN_CONFIG: invalid absolute path 'skillrun.conf'", "... naming the variable and the value");
        free(error);
        error = NULL;
        settings_done(&s);

        /* Unreadable (here: a directory) is an error. */
        setenv("SKILLRUN_CONFIG", dir_conf, 1);
        is_int(settings_load(&s, &error), -EISDIR, "directory as config file");
        {
                char want[512];
                snprintf(want, sizeof(want), "%s: %s", dir_conf, strerror(EISDIR));
                is_str(error, want, "unreadable message names the path");
        }
        free(error);
        error = NULL;
        settings_done(&s);

        /* Larger than any configuration (SKILLRUN_CONFIG naming a log, say): the bound is said. */
        {
                char big[256], want[512];
                int fd;

                snprintf(big, sizeof(big), "%s/big.conf", tmpdir);
                fd = open(big, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
                ok(fd >= 0 && ftruncate(fd, (1 << 20) + 1) == 0, "a file of 1M and a byte");
                if (fd >= 0)
                        close(fd);
                setenv("SKILLRUN_CONFIG", big, 1);
                is_int(settings_load(&s, &error), -EFBIG, "too large a config file");
                snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", big);
                is_str(error, want, "... message names the path and the bound");
                free(error);
                error = NULL;
                settings_done(&s);
                unlink(big);
        }

        /* systemd-provided directories. */
        setenv("SKILLRUN_CONFIG", missing, 1);
        setenv("CREDENTIALS_DIRECTORY", "/run/credentials/skillrun@1.service", 1);
        setenv("RUNTIME_DIRECTORY", "/run/skillrun:/run/other", 1);
        is_int(settings_load(&s, &error), 0, "load under systemd");
        is_str(s.tokens_file, "/run/credentials/skillrun@1.service/tokens", "tokens_file from CREDENTIALS_DIRECTORY");
        is_str(s.work_dir, "/run/skillrun", "work_dir is the first RUNTIME_DIRECTORY entry");
        settings_done(&s);

        /* relative ones (not what systemd sets) would be read from the worker's cwd: ignored */
        setenv("CREDENTIALS_DIRECTORY", "credentials", 1);
        setenv("RUNTIME_DIRECTORY", "run/skillrun", 1);
        is_int(settings_load(&s, &error), 0, "load with relative systemd directories");
        is_str(s.tokens_file, DEFAULT_TOKENS_FILE, "relative CREDENTIALS_DIRECTORY ignored");
        is_str(s.work_dir, "/tmp", "relative RUNTIME_DIRECTORY ignored");
        settings_done(&s);

        /* Explicit settings beat the systemd-derived defaults. */
        write_file(conf, "tokens_file = /etc/other-tokens\n");
        setenv("SKILLRUN_CONFIG", conf, 1);
        setenv("SKILLRUN_WORK_DIR", "/var/tmp", 1);
        is_int(settings_load(&s, &error), 0, "load with explicit paths");
        is_str(s.tokens_file, "/etc/other-tokens", "file tokens_file beats CREDENTIALS_DIRECTORY");
        is_str(s.work_dir, "/var/tmp", "env work_dir beats RUNTIME_DIRECTORY");
        settings_done(&s);
        unsetenv("SKILLRUN_WORK_DIR");

        /* Empty SKILLRUN_CONFIG counts as unset; so do blanks alone, trimmed as every value is. */
        setenv("SKILLRUN_CONFIG", "", 1);
        settings_load(&s, &error);
        is_str(s.config_path, DEFAULT_CONFIG_PATH, "empty SKILLRUN_CONFIG → default path");
        free(error);
        error = NULL;
        settings_done(&s);
        setenv("SKILLRUN_CONFIG", " \t", 1);
        settings_load(&s, &error);
        is_str(s.config_path, DEFAULT_CONFIG_PATH, "blank SKILLRUN_CONFIG → default path");
        ok(!error || !startswith(error, "SKILLRUN_CONFIG"), "... and no error about it (%s)", strempty(error));
        free(error);
        error = NULL;
        settings_done(&s);
        {
                char padded[300];

                snprintf(padded, sizeof(padded), " %s ", missing);
                setenv("SKILLRUN_CONFIG", padded, 1);
                is_int(settings_load(&s, &error), 0, "SKILLRUN_CONFIG with blanks around it");
                is_str(s.config_path, missing, "... names the path without them");
                settings_done(&s);
        }

        clear_environment();
        unlink(conf);
        rmdir(dir_conf);
}

int main(void) {
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }

        test_enums();
        test_keys();
        test_defaults();
        test_set_messages();
        test_set_values();
        test_set_newline();
        test_set_long_value();
        test_format_size();
        test_parse_text();
        test_load();

        rmdir(tmpdir);
        return done_testing();
}
