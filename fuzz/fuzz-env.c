/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz settings_load() with what the environment gives it: SKILLRUN_<KEY> for every key,
 * SKILLRUN_CONFIG, CREDENTIALS_DIRECTORY and RUNTIME_DIRECTORY. Their values may hold what no
 * line of skillrun.conf can (a newline), and they override the file. The input is split at its
 * NUL bytes: the first piece is the config file (a memfd, which SKILLRUN_CONFIG names, within
 * the blanks a piece puts around it, unless that piece sets it to something not absolute), each
 * further piece a variable, picked by its first byte, and its value; a first byte past the
 * variables asks settings_env_var_known() about "SKILLRUN_" and the rest.
 * Checked: settings_load() fails exactly when the file or one of the values is refused, a
 * refusal names the variable or the file, and otherwise gives what settings_set() makes of each
 * value after the file, the variables winning; and a value a line of the file can hold is taken
 * or refused alike from the variable and from the file (blanks around it trimmed in both). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "settings.h"

/* settings_keys[] has its NULL-terminated length only at run time: the keys, then these three */
#define MAX_VARS 64
/* what settings.h trims around a value, as around one in the file */
#define BLANKS " \t\r\v\f"
static size_t n_keys, n_vars, VAR_CONFIG, VAR_CREDENTIALS, VAR_RUNTIME;
static char names[MAX_VARS][64];
static char config_path[64];
static int config_fd = -1;

static void setup(void) {
        while (settings_keys[n_keys])
                n_keys++;
        VAR_CONFIG = n_keys;
        VAR_CREDENTIALS = n_keys + 1;
        VAR_RUNTIME = n_keys + 2;
        n_vars = n_keys + 3;
        fuzz_check(n_vars <= MAX_VARS);
        for (size_t i = 0; i < n_keys; i++) {
                size_t n = (size_t) snprintf(names[i], sizeof(names[i]), "SKILLRUN_%s", settings_keys[i]);
                fuzz_check(n < sizeof(names[i]));
                for (char *c = names[i]; *c; c++)
                        if (*c >= 'a' && *c <= 'z')
                                *c = (char) (*c - 'a' + 'A');
        }
        strcpy(names[VAR_CONFIG], "SKILLRUN_CONFIG");
        strcpy(names[VAR_CREDENTIALS], "CREDENTIALS_DIRECTORY");
        strcpy(names[VAR_RUNTIME], "RUNTIME_DIRECTORY");
        for (size_t i = 0; i < n_vars; i++)
                unsetenv(names[i]);
        /* a regular file that leaves nothing behind */
        config_fd = memfd_create("fuzz-env-config", MFD_CLOEXEC);
        fuzz_check(config_fd >= 0);
        snprintf(config_path, sizeof(config_path), "/proc/self/fd/%d", config_fd);
}

static bool strv_same(char **a, char **b) {
        if (!a || !b)
                return a == b;
        for (; *a && *b; a++, b++)
                if (!streq(*a, *b))
                        return false;
        return !*a && !*b;
}

static bool settings_same(const Settings *a, const Settings *b) {
        return streq_ptr(a->config_path, b->config_path) && strv_same(a->skills_dirs, b->skills_dirs) &&
               streq_ptr(a->tokens_file, b->tokens_file) && a->policy == b->policy && a->sandbox == b->sandbox &&
               memcmp(&a->limits, &b->limits, sizeof(a->limits)) == 0 && a->max_body == b->max_body &&
               a->max_header == b->max_header && a->max_header_fields == b->max_header_fields &&
               a->read_timeout_ms == b->read_timeout_ms && a->kill_grace_ms == b->kill_grace_ms &&
               a->max_files == b->max_files && streq_ptr(a->run_user, b->run_user) &&
               streq_ptr(a->work_dir, b->work_dir) && streq_ptr(a->abbot_skill, b->abbot_skill) &&
               streq_ptr(a->abbot_api_base_url, b->abbot_api_base_url) &&
               strv_same(a->file_warnings, b->file_warnings);
}

/* SKILLRUN_<KEY>=value and the line "key = value" are one setting: the same value or the same
 * refusal, which the file's message gives after its "path:line: ". */
static void check_file_agrees(const char *key, const char *value) {
        _cleanup_free_ char *line = NULL, *set_error = NULL, *file_error = NULL;
        const char *rest;
        Settings a, b;
        int r, k;

        if (strchr(value, '\n')) /* no line holds it */
                return;
        fuzz_check(asprintf(&line, "%s = %s", key, value) >= 0);
        settings_init(&a);
        settings_init(&b);
        r = settings_set(&a, key, value, &set_error);
        k = settings_parse_text(&b, "f", line, strlen(line), &file_error);
        if (r != -ENOMEM && k != -ENOMEM) {
                fuzz_check((r < 0) == (k < 0));
                if (r < 0)
                        fuzz_check(set_error && (rest = startswith(file_error, "f:1: ")) && streq(rest, set_error));
                else
                        fuzz_check(settings_same(&a, &b));
        }
        settings_done(&a);
        settings_done(&b);
}

/* What settings_load() should give, step by step from what settings.h promises: the systemd
 * defaults, the file, then each variable as settings_set() takes it. 0, or < 0 for a refusal. */
static int reference(Settings *s, const char *file, size_t file_len, char *const values[MAX_VARS]) {
        _cleanup_free_ char *error = NULL;
        const char *e;
        int r;

        settings_init(s);
        fuzz_check(s->config_path && s->skills_dirs && s->tokens_file && s->run_user && s->work_dir &&
                   s->abbot_skill);
        e = values[VAR_CREDENTIALS];
        if (e && e[0] == '/') {
                free(s->tokens_file);
                fuzz_check(asprintf(&s->tokens_file, "%s/tokens", e) >= 0);
        }
        e = values[VAR_RUNTIME];
        if (e && e[0] == '/') {
                free(s->work_dir);
                s->work_dir = strndup(e, strcspn(e, ":"));
                fuzz_check(s->work_dir);
        }
        e = values[VAR_CONFIG];
        if (e && e[strspn(e, BLANKS)] != '/')
                return -EINVAL;
        free(s->config_path);
        s->config_path = strdup(config_path);
        fuzz_check(s->config_path);
        r = settings_parse_text(s, config_path, file, file_len, &error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_keys; i++) {
                if (!values[i])
                        continue;
                free(error);
                error = NULL;
                r = settings_set(s, settings_keys[i], values[i], &error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *input = NULL, *error = NULL, *config_value = NULL;
        char *values[MAX_VARS] = {}, *assignments[MAX_VARS] = {};
        const char *file, *end;
        size_t file_len;
        Settings s, ref;
        int r, k;

        if (config_fd < 0)
                setup();

        /* a NUL-terminated copy, so each piece is a string */
        input = malloc(size + 1);
        fuzz_check(input);
        memcpy(input, data, size);
        input[size] = '\0';
        end = input + size;

        file = input;
        file_len = strlen(file);
        for (const char *p = file + file_len + 1; p < end; p += strlen(p) + 1) {
                unsigned char which = (unsigned char) p[0];

                if (which == '\0')
                        continue;
                which = (unsigned char) (which % (n_vars + 1));
                if (which == n_vars) {
                        /* settings_env_var_known() knows exactly the variables settings_load() reads */
                        _cleanup_free_ char *var = NULL;
                        bool known = false;

                        fuzz_check(asprintf(&var, "SKILLRUN_%s", p + 1) >= 0);
                        for (size_t i = 0; i < n_vars; i++)
                                known = known || (startswith(names[i], "SKILLRUN_") && streq(names[i], var));
                        fuzz_check(settings_env_var_known(var, strlen(var)) == known);
                        /* as cli.c asks it, of a whole "NAME=value" entry of environ */
                        free(var);
                        var = NULL;
                        fuzz_check(asprintf(&var, "SKILLRUN_%s=x", p + 1) >= 0);
                        if (!strchr(p + 1, '='))
                                fuzz_check(settings_env_var_known(var, strlen(var) - 2) == known);
                        continue;
                }
                /* the last piece for a variable counts, as a later assignment would */
                values[which] = (char *) p + 1;
        }
        /* an absolute SKILLRUN_CONFIG names the memfd, within the blanks it had (trimmed, as every
         * value is); so does an empty or blank one, which counts as unset and would read the
         * built-in path; the rest is refused before anything is read */
        if (values[VAR_CONFIG] && values[VAR_CONFIG][strspn(values[VAR_CONFIG], BLANKS)] == '/') {
                const char *v = values[VAR_CONFIG];
                size_t lead = strspn(v, BLANKS), n = strlen(v);

                while (strchr(BLANKS, v[n - 1]))
                        n--;
                fuzz_check(asprintf(&config_value, "%.*s%s%s", (int) lead, v, config_path, v + n) >= 0);
                values[VAR_CONFIG] = config_value;
        } else if (!values[VAR_CONFIG] || values[VAR_CONFIG][strspn(values[VAR_CONFIG], BLANKS)] == '\0')
                values[VAR_CONFIG] = config_path;

        fuzz_check(ftruncate(config_fd, 0) == 0);
        fuzz_check(pwrite(config_fd, file, file_len, 0) == (ssize_t) file_len);

        /* putenv() strings we own, taken out again below: setenv() would keep every value */
        for (size_t i = 0; i < n_vars; i++) {
                if (!values[i])
                        continue;
                fuzz_check(asprintf(&assignments[i], "%s=%s", names[i], values[i]) >= 0);
                fuzz_check(putenv(assignments[i]) == 0);
        }

        r = settings_load(&s, &error);
        k = reference(&ref, file, file_len, values);
        for (size_t i = 0; i < n_keys; i++)
                if (values[i])
                        check_file_agrees(settings_keys[i], values[i]);

        for (size_t i = 0; i < n_vars; i++) {
                if (!assignments[i])
                        continue;
                unsetenv(names[i]);
                free(assignments[i]);
        }

        if (r == -ENOMEM || k == -ENOMEM)
                goto done;
        fuzz_check((r < 0) == (k < 0));
        if (r < 0) {
                fuzz_check(r == -EINVAL && error && error[0] != '\0');
                /* "SKILLRUN_KEY: invalid ..." or "/proc/self/fd/N:LINE: ..." */
                fuzz_check(startswith(error, "SKILLRUN_") || startswith(error, config_path));
        } else {
                fuzz_check(settings_same(&s, &ref));
                fuzz_check(s.max_header >= 1 && s.max_header <= (UINT64_C(1) << 30));
                fuzz_check(s.max_body <= (UINT64_C(1) << 30));
                fuzz_check(s.max_header_fields >= 1);
                fuzz_check(s.read_timeout_ms >= 1 && s.read_timeout_ms <= UINT64_C(86400000));
                fuzz_check(s.tokens_file && s.tokens_file[0] == '/' && s.work_dir && s.work_dir[0] == '/');
                fuzz_check(s.skills_dirs && s.skills_dirs[0]);
                for (char **d = s.skills_dirs; *d; d++)
                        fuzz_check((*d)[0] == '/');
        }
done:
        settings_done(&s);
        settings_done(&ref);
        return 0;
}
