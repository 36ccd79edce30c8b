/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json.h>
#include <stdio.h>
#include <sys/stat.h>

#include "json-util.h"
#include "manifest-internal.h"

/* A manifest is a screenful of JSON; cap what we read and how deep we let the parser go. */
#define MANIFEST_SIZE_MAX (UINT64_C(1) << 20)
#define MANIFEST_JSON_DEPTH 16
#define CODE_FILE_DEFAULT "code"

const char *const manifest_keys[] = {
        "description",
        "command",
        "input",
        "output",
        "policy",
        "timeout_ms",
        "memory_max",
        "tasks_max",
        "cpu_max",
        "output_max",
        "workdir_max",
        "read_paths",
        "write_paths",
        "network",
        "env",
        "allow_env",
        "accepts_code",
        "code_file",
        "tokens",
        NULL,
};

typedef int (*ManifestKeyFunc)(const ParseContext *c, const char *key, json_object *v, Manifest *m);

static int parse_description(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        const char *s;

        if (manifest_get_string(c, key, v, &s) < 0)
                return -EINVAL;
        return free_and_strdup(&m->description, s);
}

static int parse_command(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = manifest_get_string_array(c, key, v, NULL, &l);
        if (r < 0)
                return r;
        if (!l[0])
                return manifest_key_error(c->ret_error, c->path, key, "must not be empty");
        /* Never looked up in $PATH: the manifest says exactly which binary runs. */
        if (l[0][0] != '/')
                return manifest_key_error(c->ret_error, c->path, key, "'%s' is not an absolute path", l[0]);
        strv_free(m->command);
        m->command = steal_pointer(&l);
        return 0;
}

/* A string naming one of two modes: 0 for names[0], 1 for names[1]. */
static int parse_either(const ParseContext *c, const char *key, json_object *v, const char *const names[2]) {
        const char *s;

        if (manifest_get_string(c, key, v, &s) < 0)
                return -EINVAL;
        for (int i = 0; i < 2; i++)
                if (streq(s, names[i]))
                        return i;
        return manifest_key_error(c->ret_error, c->path, key, "invalid value '%s' (expected '%s' or '%s')", s,
                                  names[0], names[1]);
}

static int parse_input(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        static const char *const names[_INPUT_MODE_MAX] = { [INPUT_STDIN] = "stdin", [INPUT_NONE] = "none" };
        int r = parse_either(c, key, v, names);

        if (r >= 0)
                m->input = r;
        return r < 0 ? r : 0;
}

static int parse_output(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        static const char *const names[_OUTPUT_MODE_MAX] = { [OUTPUT_TEXT] = "text", [OUTPUT_JSON] = "json" };
        int r = parse_either(c, key, v, names);

        if (r >= 0)
                m->output = r;
        return r < 0 ? r : 0;
}

static int parse_policy(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        const char *s;
        Policy p;

        if (manifest_get_string(c, key, v, &s) < 0)
                return -EINVAL;
        p = policy_from_string(s);
        if (p < 0)
                return manifest_key_error(c->ret_error, c->path, key,
                                          "unknown policy '%s' (expected 'none', 'permissive' or 'restrictive')", s);
        m->policy = p;
        m->policy_set = true;
        return 0;
}

typedef enum LimitFlags {
        LIMIT_POSITIVE = 1 << 0, /* 0 is refused */
        LIMIT_SIZE = 1 << 1,     /* bytes: "64M" is accepted, and the ceiling is reported so */
} LimitFlags;

/* A limit the manifest may only lower: at most the settings' ceiling for it. */
static int parse_limit(const ParseContext *c, const char *key, json_object *v, uint64_t *field, uint64_t ceiling,
                       LimitFlags flags) {
        uint64_t t;
        int r;

        if (flags & LIMIT_SIZE)
                r = manifest_get_size(c, key, v, &t);
        else
                r = manifest_get_uint(c, key, v, "an integer", &t);
        if (r < 0)
                return r;
        if ((flags & LIMIT_POSITIVE) && t == 0)
                return manifest_key_error(c->ret_error, c->path, key, "must be at least 1");
        if (flags & LIMIT_SIZE)
                r = manifest_check_ceiling_size(c, key, t, ceiling);
        else
                r = manifest_check_ceiling_plain(c, key, t, ceiling);
        if (r < 0)
                return r;
        *field = t;
        return 0;
}

static int parse_timeout(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return parse_limit(c, key, v, &m->limits.timeout_ms, c->settings->limits.timeout_ms, LIMIT_POSITIVE);
}

static int parse_tasks(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return parse_limit(c, key, v, &m->limits.tasks_max, c->settings->limits.tasks_max, LIMIT_POSITIVE);
}

static int parse_memory(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return parse_limit(c, key, v, &m->limits.memory_max, c->settings->limits.memory_max,
                           LIMIT_SIZE | LIMIT_POSITIVE);
}

static int parse_output_max(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return parse_limit(c, key, v, &m->limits.output_max, c->settings->limits.output_max, LIMIT_SIZE);
}

static int parse_workdir_max(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return parse_limit(c, key, v, &m->limits.workdir_max, c->settings->limits.workdir_max,
                           LIMIT_SIZE | LIMIT_POSITIVE);
}

static int parse_cpu(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        uint64_t ceiling = c->settings->limits.cpu_max, t;
        const char *s;

        if (json_object_is_type(v, json_type_int)) {
                if (manifest_get_uint(c, key, v, "an integer or a percentage string", &t) < 0)
                        return -EINVAL;
                if (t > SETTINGS_CPU_MAX_LIMIT)
                        return manifest_key_error(c->ret_error, c->path, key,
                                                  "invalid CPU percentage '%" PRIu64 "'", t);
        } else if (json_object_is_type(v, json_type_string)) {
                int r;

                if (manifest_get_string(c, key, v, &s) < 0)
                        return -EINVAL;
                r = settings_parse_cpu_max(s, &t);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return manifest_key_error(c->ret_error, c->path, key, "invalid CPU percentage '%s'", s);
        } else
                return manifest_key_error(c->ret_error, c->path, key, "expected an integer or a percentage string");

        /* 0 means unlimited, which only fits under an unlimited ceiling. */
        if (ceiling != 0 && (t == 0 || t > ceiling)) {
                if (t == 0)
                        return manifest_key_error(c->ret_error, c->path, key,
                                                  "unlimited is above the ceiling %" PRIu64 "%%", ceiling);
                return manifest_key_error(c->ret_error, c->path, key,
                                          "%" PRIu64 "%% is above the ceiling %" PRIu64 "%%", t, ceiling);
        }
        m->limits.cpu_max = t;
        return 0;
}

/* A string array, each element passing 'check', replaces *field. */
static int parse_strv(const ParseContext *c, const char *key, json_object *v, ManifestCheckFunc check,
                      char ***field) {
        char **l;
        int r;

        r = manifest_get_string_array(c, key, v, check, &l);
        if (r < 0)
                return r;
        strv_free(*field);
        *field = l;
        return 0;
}

static int parse_read_paths(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return parse_strv(c, key, v, manifest_check_path, &m->read_paths);
}

static int parse_write_paths(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return parse_strv(c, key, v, manifest_check_path, &m->write_paths);
}

static int parse_network(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return manifest_get_bool(c, key, v, &m->network);
}

static int parse_accepts_code(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return manifest_get_bool(c, key, v, &m->accepts_code);
}

static int parse_env(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        int r;

        if (!json_object_is_type(v, json_type_object))
                return manifest_key_error(c->ret_error, c->path, key, "expected an object of strings");
        l = calloc(json_object_object_length(v) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;

        for (struct lh_entry *e = json_object_get_object(v)->head; e; e = e->next) {
                const char *name = e->k;
                json_object *val = (json_object *) e->v;
                const char *s;

                r = manifest_check_env_name(c, key, name);
                if (r < 0)
                        return r;
                if (!json_object_is_type(val, json_type_string))
                        return manifest_key_error(c->ret_error, c->path, key, "'%s': expected a string", name);
                if (manifest_get_string(c, key, val, &s) < 0)
                        return -EINVAL;
                /* An empty or relative entry would be the work dir, which holds the request's files:
                 * "#!/usr/bin/env NAME" could run one of them. */
                if (streq(name, "PATH"))
                        for (const char *p = s;; p += strcspn(p, ":") + 1) {
                                if (*p != '/')
                                        return manifest_key_error(c->ret_error, c->path, key,
                                                                  "PATH: '%.*s' is not an absolute directory: a "
                                                                  "command looked up there could be a request's file",
                                                                  (int) strcspn(p, ":"), p);
                                if (!strchr(p, ':'))
                                        break;
                        }
                if (asprintf(&l[n], "%s=%s", name, s) < 0) {
                        l[n] = NULL;
                        return -ENOMEM;
                }
                n++;
        }

        strv_free(m->env);
        m->env = steal_pointer(&l);
        return 0;
}

static int check_allow_env_name(const ParseContext *c, const char *key, const char *name) {
        int r = manifest_check_env_name(c, key, name);
        if (r < 0)
                return r;
        /* what "#!/usr/bin/env NAME" runs, and so what the sandbox's rules grant, is the manifest's */
        if (streq(name, "PATH"))
                return manifest_key_error(c->ret_error, c->path, key,
                                          "a request may not set PATH: it chooses the programs the skill runs "
                                          "by name (set it in \"env\")");
        return 0;
}

static int parse_allow_env(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        return parse_strv(c, key, v, check_allow_env_name, &m->allow_env);
}

static int parse_code_file(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        const char *s;

        if (manifest_get_string(c, key, v, &s) < 0)
                return -EINVAL;
        if (!manifest_file_name_valid(s))
                return manifest_key_error(c->ret_error, c->path, key, "invalid file name '%s'", s);
        return free_and_strdup(&m->code_file, s);
}

static int parse_tokens(const ParseContext *c, const char *key, json_object *v, Manifest *m) {
        /* An empty list stays non-NULL: no token may run the skill over HTTP. */
        return parse_strv(c, key, v, manifest_check_token_name, &m->tokens);
}

/* Same order as manifest_keys[]. */
static const struct {
        const char *key;
        ManifestKeyFunc parse;
} manifest_key_defs[] = {
        { "description", parse_description },
        { "command", parse_command },
        { "input", parse_input },
        { "output", parse_output },
        { "policy", parse_policy },
        { "timeout_ms", parse_timeout },
        { "memory_max", parse_memory },
        { "tasks_max", parse_tasks },
        { "cpu_max", parse_cpu },
        { "output_max", parse_output_max },
        { "workdir_max", parse_workdir_max },
        { "read_paths", parse_read_paths },
        { "write_paths", parse_write_paths },
        { "network", parse_network },
        { "env", parse_env },
        { "allow_env", parse_allow_env },
        { "accepts_code", parse_accepts_code },
        { "code_file", parse_code_file },
        { "tokens", parse_tokens },
};

Manifest *manifest_free(Manifest *m) {
        if (!m)
                return NULL;
        free(m->name);
        free(m->path);
        free(m->dir);
        free(m->description);
        strv_free(m->command);
        strv_free(m->read_paths);
        strv_free(m->write_paths);
        strv_free(m->env);
        strv_free(m->allow_env);
        free(m->code_file);
        strv_free(m->tokens);
        free(m);
        return NULL;
}

static char *dir_of(const char *path) {
        const char *slash = strrchr(path, '/');

        if (!slash)
                return strdup(".");
        if (slash == path)
                return strdup("/");
        return strndup(path, slash - path);
}

static unsigned line_of_offset(const char *text, size_t offset) {
        unsigned line = 1;

        for (size_t i = 0; i < offset; i++)
                if (text[i] == '\n')
                        line++;
        return line;
}

typedef struct RepeatedKey {
        bool seen[ELEMENTSOF(manifest_key_defs)];
        const char *key; /* the definition's name, once one is found twice */
        size_t offset;
} RepeatedKey;

/* A key as json_text_foreach_key() hands it over (quoted, escapes and all), decoded into a json-c
 * string (NULL if json-c could not make one). */
static int decode_key(const char *key, size_t len, json_object **ret) {
        _cleanup_free_ char *quoted = strndup(key, len);

        if (!quoted)
                return -ENOMEM;
        *ret = json_tokener_parse(quoted);
        return 0;
}

static int find_repeated_key(const char *key, size_t len, size_t offset, void *userdata) {
        RepeatedKey *k = userdata;
        json_object *name;

        if (decode_key(key, len, &name) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(manifest_key_defs); i++)
                if (json_object_is_type(name, json_type_string) &&
                    streq(json_object_get_string(name), manifest_key_defs[i].key)) {
                        if (k->seen[i]) {
                                k->key = manifest_key_defs[i].key;
                                k->offset = offset;
                                json_object_put(name);
                                return -EEXIST;
                        }
                        k->seen[i] = true;
                }
        json_object_put(name);
        return 0; /* an unknown key: reported below */
}

/* Below the top level only "env" holds an object (every other value is a scalar or an array of
 * strings, checked by then), so the keys two levels down are its variable names. */
typedef struct RepeatedName {
        char **seen;
        char *name; /* the first name found twice */
        size_t offset;
} RepeatedName;

static int find_repeated_name(const char *key, size_t len, size_t offset, void *userdata) {
        RepeatedName *k = userdata;
        json_object *name;
        int r = 0;

        if (decode_key(key, len, &name) < 0)
                return -ENOMEM;
        if (json_object_is_type(name, json_type_string)) {
                const char *n = json_object_get_string(name);

                if (!strv_contains(k->seen, n))
                        r = strv_extend(&k->seen, n);
                else if (!(k->name = strdup(n)))
                        r = -ENOMEM;
                else {
                        k->offset = offset;
                        r = -EEXIST;
                }
        }
        json_object_put(name);
        return r;
}

int manifest_parse(const Settings *s, const char *name, const char *path, const char *text, size_t len,
                   Manifest **ret, char **ret_error) {
        _cleanup_(json_read_done) JsonRead j = {};
        _cleanup_manifest_ Manifest *m = NULL;
        json_object *root;
        const char *label;
        ParseContext c;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!s || !ret || (!text && len > 0))
                return -EINVAL;
        label = path ?: "(manifest)";
        c = (ParseContext) { .settings = s, .path = label, .ret_error = ret_error };

        if (!skill_name_valid(name))
                return set_error(ret_error, -EINVAL, "%s: invalid skill name '%s'", label, strempty(name));
        if (len > MANIFEST_SIZE_MAX)
                return set_error(ret_error, -EFBIG, "%s: larger than %" PRIu64 " bytes", label, MANIFEST_SIZE_MAX);

        /* an editor's UTF-8 byte order mark, which skillrun.conf and the tokens file skip: JSON has
         * none, and json-c would call it invalid UTF-8 */
        if (len > 0 && skip_utf8_bom(text, text + len) != text)
                return set_error(ret_error, -EINVAL,
                                 "%s:1: invalid JSON: a byte order mark (U+FEFF) at the start: save the file without it",
                                 label);

        /* "\u0000" in a value is caught where strings are read, but json-c keeps an object key
         * as a C string: {"PATH\u0000x": ...} would quietly set PATH. Half a surrogate pair it
         * would make U+FFFD. Escapes are read whole, so an escaped backslash before "u0000" is
         * not taken for one. */
        for (size_t i = 0; i + 1 < len; i++)
                if (text[i] == '\\') {
                        bool nul;
                        int k = json_escape_len(text + i, len - i, &nul);
                        if (nul)
                                return set_error(ret_error, -EINVAL, "%s:%u: unexpected NUL character (\\u0000)",
                                                 label, line_of_offset(text, i));
                        if (k < 0)
                                return set_error(ret_error, -EINVAL,
                                                 "%s:%u: half a UTF-16 surrogate pair in a \\u escape", label,
                                                 line_of_offset(text, i));
                        i += (size_t) k - 1;
                }

        /* json-c reads the text with the \u pairs it would misread as UTF-8, not strict where its
         * strict mode refuses UTF-8 (the grammar is checked below); the key checks below read the
         * text as written */
        r = json_read(strempty(text), len, MANIFEST_JSON_DEPTH, JSON_TOKENER_VALIDATE_UTF8, &j);
        if (r < 0)
                return r;
        if (j.error == json_tokener_continue || j.error == json_tokener_error_parse_eof) {
                /* json-c takes a NUL byte for the end of the text: not "end of input" when the
                 * file goes on after it (skillrun.conf and the tokens file name it too) */
                const char *nul = len > 0 ? memchr(text, '\0', len) : NULL;
                if (nul)
                        return set_error(ret_error, -EINVAL, "%s:%u: unexpected NUL byte", label,
                                         line_of_offset(text, nul - text));
                /* json-c 0.18 and 0.19's strict mode take a bare integer beyond 64 bits that ends
                 * the file for one cut short: when the text is whole, say what it is */
                const char *why = json_text_grammar_problem(j.text, j.len, MANIFEST_JSON_DEPTH + 1, NULL)
                                          ? NULL
                                          : json_text_problem(j.text, j.len);
                if (why)
                        return set_error(ret_error, -EINVAL, "%s:%u: invalid JSON: %s", label,
                                         line_of_offset(j.text, j.end), why);
                return set_error(ret_error, -EINVAL, "%s: invalid JSON: unexpected end of input", label);
        }
        /* RFC 8259's grammar, in its own words, whether json-c refused the text or not: its default
         * mode (taken for UTF-8 where its strict mode refuses that: json-c 0.18) does not enforce
         * it, nor does its strict mode all of it (json-c 0.16 takes a key in single quotes) */
        {
                size_t at = j.end;
                const char *why = json_text_grammar_problem(j.text, j.len, MANIFEST_JSON_DEPTH + 1, &at);
                /* json-c 0.18's strict mode refuses an integer beyond 64 bits itself, as "number
                 * expected": say what it is */
                if (!why && j.error != json_tokener_success) {
                        at = j.end;
                        why = json_text_problem_at(j.text, MIN(j.len, j.end + 1), &at) ?: json_tokener_error_desc(j.error);
                }
                if (why)
                        return set_error(ret_error, -EINVAL, "%s:%u: invalid JSON: %s", label, line_of_offset(j.text, at), why);
        }
        /* What even strict mode takes: a raw control character in a string, NaN, Infinity (json-c
         * 0.18's refuses the first two itself, 0.16's none; a run request's body is refused for
         * them everywhere). Up to where the value ends: what follows is trailing data, below. */
        {
                size_t at;
                const char *why = json_text_problem_at(j.text, j.end, &at);
                if (why)
                        return set_error(ret_error, -EINVAL, "%s:%u: invalid JSON: %s", label, line_of_offset(j.text, at),
                                         why);
        }
        /* Strict mode refuses trailing characters itself but stops quietly at a NUL byte. */
        for (size_t i = j.end; i < j.len; i++)
                if (!strchr(" \t\r\n", j.text[i]) || j.text[i] == '\0')
                        return set_error(ret_error, -EINVAL, "%s:%u: invalid JSON: trailing data", label,
                                         line_of_offset(j.text, i));
        root = j.value;
        if (!json_object_is_type(root, json_type_object))
                return set_error(ret_error, -EINVAL, "%s: expected a JSON object", label);
        /* json-c keeps the last of a key given twice, without a word: the operator may have
         * meant, and reviewed, the first. Counting the keys tells; which key, only when one is. */
        bool repeated_key = json_has_repeated_key(text, len, root);
        RepeatedKey repeated = {};
        r = repeated_key ? json_text_foreach_key(text, len, 1, find_repeated_key, &repeated) : 0;
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return set_error(ret_error, -EINVAL, "%s:%u: key '%s' given twice", label,
                                 line_of_offset(text, repeated.offset), repeated.key);

        m = calloc(1, sizeof(Manifest));
        if (!m)
                return -ENOMEM;
        *m = (Manifest) {
                .input = INPUT_STDIN,
                .output = OUTPUT_TEXT,
                .policy = s->policy,
                .limits = s->limits,
        };
        m->name = strdup(name);
        m->description = strdup("");
        m->code_file = strdup(CODE_FILE_DEFAULT);
        if (!m->name || !m->description || !m->code_file)
                return -ENOMEM;
        if (path) {
                m->path = strdup(path);
                m->dir = dir_of(path);
                if (!m->path || !m->dir)
                        return -ENOMEM;
        }

        /* File order, so the first bad key in the file is the one reported. */
        for (struct lh_entry *e = json_object_get_object(root)->head; e; e = e->next) {
                const char *key = e->k;
                ManifestKeyFunc parse = NULL;

                for (size_t i = 0; i < ELEMENTSOF(manifest_key_defs); i++)
                        if (streq(manifest_key_defs[i].key, key)) {
                                parse = manifest_key_defs[i].parse;
                                break;
                        }
                if (!parse)
                        return set_error(ret_error, -EINVAL, "%s: unknown key '%s'", label, key);
                r = parse(&c, key, (json_object *) e->v, m);
                if (r < 0)
                        return r;
        }
        /* a key twice in a nested object ("env"), where no key outside it gave an error: named
         * with its line, as one at the top level is */
        if (repeated_key) {
                RepeatedName rn = {};

                r = json_text_foreach_key(text, len, 2, find_repeated_name, &rn);
                strv_free(rn.seen);
                if (r == -ENOMEM)
                        return r;
                if (r == -EEXIST) {
                        r = set_error(ret_error, -EINVAL, "%s:%u: env: variable '%s' given twice", label,
                                      line_of_offset(text, rn.offset), rn.name);
                        free(rn.name);
                        return r;
                }
                return set_error(ret_error, -EINVAL, "%s: invalid JSON: a key given twice in one object", label);
        }

        if (!m->command)
                return manifest_key_error(ret_error, label, "command", "missing");
        /* restrictive never has network: asking for both is a contradiction, not a wish to drop */
        if (m->network && m->policy == POLICY_RESTRICTIVE)
                return manifest_key_error(ret_error, label, "network", "not available under policy 'restrictive'");

        *ret = steal_pointer(&m);
        return 0;
}

int manifest_load_file(const Settings *s, const char *name, const char *path, Manifest **ret, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t len;
        int r;

        if (ret_error)
                *ret_error = NULL;

        /* Symlinks are followed: packagers and admins use them. What is no regular file (a
         * FIFO, a device a deploy user's symlink names) is never opened: check runs as root. */
        fd = open_regular(path, &st);
        if (fd == -ENOENT)
                return -ENOENT;
        if (fd == -EBADFD)
                return set_error(ret_error, -EINVAL, "%s: not a regular file", path);
        if (fd == -EMEDIUMTYPE)
                return set_error(ret_error, -EINVAL, "%s: a file of the kernel's (/proc, /sys), not a manifest", path);
        if (fd < 0)
                return set_error(ret_error, fd, "%s: %s", path, strerror(-fd));
        if ((uint64_t) st.st_size > MANIFEST_SIZE_MAX)
                return set_error(ret_error, -EFBIG, "%s: larger than %" PRIu64 " bytes", path, MANIFEST_SIZE_MAX);

        r = read_full_fd(fd, MANIFEST_SIZE_MAX, &text, &len);
        if (r == -ENOMEM)
                return r;
        if (r == -EFBIG)
                return set_error(ret_error, r, "%s: larger than %" PRIu64 " bytes", path, MANIFEST_SIZE_MAX);
        if (r < 0)
                return set_error(ret_error, r, "%s: %s", path, strerror(-r));

        return manifest_parse(s, name, path, text, len, ret, ret_error);
}

const char *manifest_skill_path(const Manifest *m) {
        for (char **e = m->env; e && *e; e++) {
                const char *v = startswith(*e, "PATH=");
                if (v)
                        return v;
        }
        return SKILL_DEFAULT_PATH;
}

char *manifest_file_path(const char *dir, const char *file, const char *suffix) {
        size_t n = strlen(dir);
        char *path;

        if (asprintf(&path, "%s%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", file, suffix) < 0)
                return NULL;
        return path;
}

int manifest_load(const Settings *s, const char *name, Manifest **ret, char **ret_error) {
        if (ret_error)
                *ret_error = NULL;
        if (!s || !ret)
                return -EINVAL;
        if (!skill_name_valid(name))
                return set_error(ret_error, -EINVAL, "invalid skill name '%s'", strempty(name));

        for (char **d = s->skills_dirs; d && *d; d++) {
                _cleanup_free_ char *path = manifest_file_path(*d, name, ".json");
                int r;

                if (!path)
                        return -ENOMEM;
                r = manifest_load_file(s, name, path, ret, ret_error);
                if (r == -ENOTDIR) {
                        struct stat st;
                        /* the skills directory itself, not the skill: say which to fix */
                        if (stat(*d, &st) >= 0 && !S_ISDIR(st.st_mode)) {
                                if (ret_error)
                                        free(*ret_error), *ret_error = NULL;
                                return set_error(ret_error, r, "skills_dir entry '%s': not a directory", *d);
                        }
                }
                if (r != -ENOENT)
                        return r;
        }

        return -ENOENT;
}

static int cmp_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int manifest_list_names(const Settings *s, char ***ret, const char **ret_failed_dir) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0;
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (ret_failed_dir)
                *ret_failed_dir = NULL;

        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;

        for (char **d = s->skills_dirs; d && *d; d++) {
                DIR *dir;
                struct dirent *de;

                if (ret_failed_dir)
                        *ret_failed_dir = *d;
                dir = opendir(*d);
                if (!dir) {
                        if (errno == ENOENT)
                                continue;
                        return negative_errno();
                }

                for (;;) {
                        const char *dot;
                        char *nm;

                        errno = 0;
                        de = readdir(dir);
                        if (!de)
                                break;

                        /* a directory named like a manifest is kept: manifest_load() calls it
                         * broken, as it does a FIFO, and it hides the name's later directories */
                        if (!manifest_file_name(de->d_name))
                                continue;
                        dot = strrchr(de->d_name, '.');
                        nm = strndup(de->d_name, dot - de->d_name);
                        if (!nm) {
                                closedir(dir);
                                return -ENOMEM;
                        }
                        if (!skill_name_valid(nm) || strv_contains(names, nm)) {
                                free(nm);
                                continue;
                        }
                        r = strv_push(&names, nm);
                        if (r < 0) {
                                closedir(dir);
                                return r;
                        }
                        n++;
                }
                r = errno > 0 ? -errno : 0;
                closedir(dir);
                if (r < 0)
                        return r;
        }

        if (ret_failed_dir)
                *ret_failed_dir = NULL;
        qsort(names, n, sizeof(char *), cmp_strings);
        *ret = steal_pointer(&names);
        return (int) MIN(n, (size_t) INT32_MAX);
}

bool manifest_token_allowed(const Manifest *m, const char *token_name) {
        if (!m)
                return false;
        if (!m->tokens)
                return true;
        return token_name && strv_contains(m->tokens, token_name);
}
