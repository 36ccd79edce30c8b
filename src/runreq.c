/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run request body (design §4): pure parsing and validation, no I/O. */
#include <json-c/json.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "json-util.h"
#include "run.h"
#include "supervise.h"

/* A JSON string without embedded NULs (they would silently cut argv/env entries short): -EINVAL
 * for another type, -EBADMSG for a string with a NUL, so that the message says which. */
static int get_plain_string(json_object *v, const char **ret, size_t *ret_len) {
        const char *s;
        size_t n;

        if (!json_object_is_type(v, json_type_string))
                return -EINVAL;
        s = json_object_get_string(v);
        n = (size_t) json_object_get_string_len(v);
        if (strlen(s) != n)
                return -EBADMSG;
        *ret = s;
        if (ret_len)
                *ret_len = n;
        return 0;
}

#define FILE_NAME_MAX 255
/* How much of a refused name a message quotes, as skillrun.conf's errors do: enough to know it. */
#define QUOTED_NAME_MAX 128

/* Why a request's file name is refused, or NULL: the rule it breaks, said as it is. */
static const char *file_name_problem(const char *name) {
        size_t n = strlen(name);

        if (n == 0)
                return "it is empty";
        if (n > FILE_NAME_MAX)
                return "it is longer than " STRINGIFY(FILE_NAME_MAX) " bytes";
        if (streq(name, ".") || streq(name, ".."))
                return "'.' and '..' name no file";
        if (strchr(name, '/'))
                return "it holds a '/'";
        for (const char *p = name; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return "it holds a control character";
        return NULL;
}

/* The longest string execve(2) takes in argv or envp, its NUL not counted (MAX_ARG_STRLEN, 32
 * pages): a longer one fails the exec, and the run would end in a sandbox_error that the journal
 * records as the operator's to fix, when it is the request's. */
static size_t exec_string_max(void) {
        long page = sysconf(_SC_PAGESIZE);
        return (size_t) (page > 0 ? page : 4096) * 32 - 1;
}

/* What get_plain_string()'s error k says, in a manifest's words */
#define NOT_PLAIN_STRING(k) ((k) == -EBADMSG ? "unexpected NUL character (\\u0000)" : "expected a string")

bool run_file_name_valid(const char *name) {
        return !file_name_problem(name);
}

static int parse_args(json_object *v, RunRequest *r, char **ret_error) {
        size_t n;

        if (!json_object_is_type(v, json_type_array))
                return set_error(ret_error, -EINVAL, "args: expected an array of strings");
        n = json_object_array_length(v);
        /* One allocation: strv_extend() walks and grows the vector on every call, and a body of
         * max_body holds a quarter million of "a", which would take seconds of CPU. calloc()
         * keeps the vector NULL-terminated however far the loop gets. */
        r->args = calloc(n + 1, sizeof(char *));
        if (!r->args)
                return -ENOMEM;
        const size_t longest = exec_string_max();
        for (size_t i = 0; i < n; i++) {
                const char *s;
                size_t len;
                int k = get_plain_string(json_object_array_get_idx(v, i), &s, &len);
                if (k < 0)
                        return set_error(ret_error, -EINVAL, "args[%zu]: %s", i, NOT_PLAIN_STRING(k));
                if (len > longest)
                        return set_error(ret_error, -EINVAL, "args[%zu]: longer than %zu bytes, the most execve(2) takes",
                                         i, longest);
                r->args[i] = strdup(s);
                if (!r->args[i])
                        return -ENOMEM;
        }
        return 0;
}

static bool env_name_valid(const char *n) {
        if (!*n || ('0' <= *n && *n <= '9'))
                return false;
        for (; *n; n++)
                if (!(*n == '_' || ('a' <= *n && *n <= 'z') || ('A' <= *n && *n <= 'Z') || ('0' <= *n && *n <= '9')))
                        return false;
        return true;
}

static int parse_env(const Manifest *m, json_object *v, RunRequest *r, char **ret_error) {
        if (!json_object_is_type(v, json_type_object))
                return set_error(ret_error, -EINVAL, "env: expected an object of strings");
        json_object_object_foreach(v, name, val) {
                const char *s;
                char *e;
                if (!env_name_valid(name))
                        return set_error(ret_error, -EINVAL, "env: invalid variable name '%s'", name);
                if (!strv_contains(m->allow_env, name))
                        return set_error(ret_error, -EINVAL, "env: '%s' is not allowed by skill '%s'", name, m->name);
                int k = get_plain_string(val, &s, NULL);
                if (k < 0)
                        return set_error(ret_error, -EINVAL, "env: '%s': %s", name, NOT_PLAIN_STRING(k));
                if (strlen(name) + 1 + strlen(s) > exec_string_max())
                        return set_error(ret_error, -EINVAL,
                                         "env: '%s': longer than %zu bytes with its name and '=', the most execve(2) takes",
                                         name, exec_string_max());
                if (asprintf(&e, "%s=%s", name, s) < 0 || strv_push(&r->env, e) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* What a file of len bytes adds to the work dir's usage as the supervisor counts it (whole blocks,
 * one at least): counted so, what the request sends is refused here rather than accepted and the
 * run killed for output_limit at its first look, the skill having written nothing. */
static uint64_t file_usage(size_t len) {
        uint64_t n = ((uint64_t) len + SUPERVISE_ENTRY_MIN - 1) / SUPERVISE_ENTRY_MIN;
        return MAX(n, UINT64_C(1)) * SUPERVISE_ENTRY_MIN;
}

int run_code_size_check(const Manifest *m, size_t len, const char *what, char **ret_error) {
        if (file_usage(len) > m->limits.workdir_max)
                return set_error(ret_error, -EINVAL, "%s: more than %" PRIu64 " bytes (in whole %" PRIu64 "-byte blocks)",
                                 what, m->limits.workdir_max, SUPERVISE_ENTRY_MIN);
        return 0;
}

static int parse_files(const Settings *s, const Manifest *m, json_object *v, RunRequest *r, char **ret_error) {
        uint64_t total = r->has_code ? file_usage(r->code_len) : 0;

        if (!json_object_is_type(v, json_type_object))
                return set_error(ret_error, -EINVAL, "files: expected an object of base64 strings");
        if ((uint64_t) json_object_object_length(v) > s->max_files)
                return set_error(ret_error, -EINVAL, "files: more than %" PRIu64 " files", s->max_files);
        r->files = calloc((size_t) json_object_object_length(v) + 1, sizeof(RunFile));
        if (!r->files)
                return -ENOMEM;
        json_object_object_foreach(v, name, val) {
                RunFile *f = &r->files[r->n_files];
                const char *b64;
                size_t len;
                int k;

                const char *why = file_name_problem(name);
                size_t n = strlen(name);
                if (why && n > QUOTED_NAME_MAX) /* cut at a character's start: the body is UTF-8 */
                        return set_error(ret_error, -EINVAL, "files: invalid file name '%.*s'... (%zu bytes): %s",
                                         (int) utf8_cut(name, n, QUOTED_NAME_MAX), name, n, why);
                if (why)
                        return set_error(ret_error, -EINVAL, "files: invalid file name '%s': %s", name, why);
                if (r->has_code && m->code_file && streq(name, m->code_file))
                        return set_error(ret_error, -EINVAL, "files: '%s' would overwrite the code file", name);
                if (get_plain_string(val, &b64, &len) < 0)
                        return set_error(ret_error, -EINVAL, "files: '%s': expected a base64 string", name);
                f->name = strdup(name);
                if (!f->name)
                        return -ENOMEM;
                r->n_files++;
                k = base64_decode(b64, len, &f->data, &f->len);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        return set_error(ret_error, -EINVAL, "files: '%s': invalid base64", name);
                total += file_usage(f->len);
                if (total > m->limits.workdir_max)
                        return set_error(ret_error, -EINVAL,
                                         "files: more than %" PRIu64 " bytes in all (each file in whole %" PRIu64
                                         "-byte blocks, the code included)", m->limits.workdir_max, SUPERVISE_ENTRY_MIN);
        }
        return 0;
}

int run_request_parse(const Settings *s, const Manifest *m, const char *body, size_t len, RunRequest *ret,
                      char **ret_error) {
        json_object *root = NULL, *v;
        RunRequest r = {};
        int k = 0;

        if (len == 0) {
                *ret = r;
                return 0;
        }
        /* JSON is UTF-8 (RFC 8259 §8.1); anything else would reach the skill's stdin, argv or
         * environment as is, and "input" would no longer be JSON on its stdin. json-c's own
         * JSON_TOKENER_VALIDATE_UTF8 lets overlong forms and surrogates through. */
        if (!utf8_valid(body, len))
                return set_error(ret_error, -EINVAL, "request body is not valid UTF-8");
        k = json_parse_strict_said(body, len, JSON_TOKENER_DEFAULT_DEPTH, "request body", &root, ret_error);
        if (k < 0)
                return k;
        if (!json_object_is_type(root, json_type_object)) {
                json_object_put(root);
                return set_error(ret_error, -EINVAL, "request body must be a JSON object");
        }

        /* "code" first, so that "files" can refuse a name that would overwrite the code file */
        if (json_object_object_get_ex(root, "code", &v)) {
                const char *c;
                size_t n;
                if (!m->accepts_code) {
                        k = set_error(ret_error, -EINVAL, "code: skill '%s' does not accept code", m->name);
                        goto out;
                }
                if (!json_object_is_type(v, json_type_string)) {
                        k = set_error(ret_error, -EINVAL, "code: expected a string");
                        goto out;
                }
                c = json_object_get_string(v);
                n = (size_t) json_object_get_string_len(v);
                r.code = malloc(n + 1);
                if (!r.code) {
                        k = -ENOMEM;
                        goto out;
                }
                memcpy(r.code, c, n + 1);
                r.code_len = n;
                r.has_code = true;
                k = run_code_size_check(m, n, "code", ret_error);
                if (k < 0)
                        goto out;
        }

        json_object_object_foreach(root, key, val) {
                if (streq(key, "code"))
                        continue;
                if (streq(key, "input") || streq(key, "stdin")) {
                        if (r.stdin_data) {
                                k = set_error(ret_error, -EINVAL, "input and stdin are mutually exclusive");
                                goto out;
                        }
                        if (m->input == INPUT_NONE) {
                                k = set_error(ret_error, -EINVAL, "%s: skill '%s' takes no input", key, m->name);
                                goto out;
                        }
                        if (streq(key, "stdin")) {
                                if (!json_object_is_type(val, json_type_string)) {
                                        k = set_error(ret_error, -EINVAL, "stdin: expected a string");
                                        goto out;
                                }
                                r.stdin_len = (size_t) json_object_get_string_len(val);
                                r.stdin_data = malloc(r.stdin_len + 1);
                                if (r.stdin_data)
                                        memcpy(r.stdin_data, json_object_get_string(val), r.stdin_len + 1);
                        } else {
                                size_t n;
                                const char *j = json_object_to_json_string_length(
                                        val, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
                                r.stdin_data = strndup(j, n);
                                r.stdin_len = n;
                        }
                        if (!r.stdin_data) {
                                k = -ENOMEM;
                                goto out;
                        }
                } else if (streq(key, "args"))
                        k = parse_args(val, &r, ret_error);
                else if (streq(key, "env"))
                        k = parse_env(m, val, &r, ret_error);
                else if (streq(key, "files"))
                        k = parse_files(s, m, val, &r, ret_error);
                else if (streq(key, "timeout_ms")) {
                        int64_t t;
                        if (!json_object_is_type(val, json_type_int) || (t = json_object_get_int64(val)) < 1) {
                                k = set_error(ret_error, -EINVAL, "timeout_ms: expected a positive integer");
                                goto out;
                        }
                        r.timeout_ms = (uint64_t) t;
                } else
                        k = set_error(ret_error, -EINVAL, "unknown field '%s'", key);
                if (k < 0)
                        goto out;
        }
out:
        json_object_put(root);
        if (k < 0) {
                run_request_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

void run_request_done(RunRequest *r) {
        free(r->stdin_data);
        strv_free(r->args);
        strv_free(r->env);
        for (size_t i = 0; i < r->n_files; i++) {
                free(r->files[i].name);
                free(r->files[i].data);
        }
        free(r->files);
        free(r->code);
        *r = (RunRequest) {};
}
