/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Readers and validators of single manifest values: one JSON value and its key in, a C value or
 * a "<path>: <key>: <why>" error out. manifest.c decides which key means what. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "auth.h"
#include "manifest-internal.h"

#define FILE_NAME_MAX 255

bool skill_name_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > SKILL_NAME_MAX)
                return false;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
                return false;
        for (const char *p = name + 1; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
                        return false;
        return true;
}

bool manifest_file_name(const char *filename) {
        const char *dot = strrchr(filename, '.');
        return dot && streq(dot, ".json");
}

static bool env_name_valid(const char *n) {
        if (!n || !((*n >= 'A' && *n <= 'Z') || (*n >= 'a' && *n <= 'z') || *n == '_'))
                return false;
        for (const char *p = n + 1; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                      *p == '_'))
                        return false;
        return true;
}

/* Names a skill must never set or receive: skillrun's own configuration, socket activation and
 * credentials of the worker, and dynamic-linker hooks that would run code before the skill's. */
static bool env_name_reserved(const char *n) {
        return startswith(n, "SKILLRUN_") || startswith(n, "LISTEN_") || streq(n, "CREDENTIALS_DIRECTORY") ||
               streq(n, "LD_PRELOAD") || streq(n, "LD_LIBRARY_PATH") || streq(n, "LD_AUDIT");
}

bool manifest_file_name_valid(const char *n) {
        return n && *n && !strchr(n, '/') && !streq(n, ".") && !streq(n, "..") && strlen(n) <= FILE_NAME_MAX;
}

static bool path_has_dotdot(const char *p) {
        for (;;) {
                size_t n = strcspn(p, "/");

                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return true;
                if (p[n] == '\0')
                        return false;
                p += n + 1;
        }
}

/* "<path>: <key>: <why>", the shape every per-key error has. Always -EINVAL. */
_printf_(4, 5) int manifest_key_error(char **ret_error, const char *path, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *why = NULL;
        va_list ap;

        if (!ret_error)
                return -EINVAL;
        va_start(ap, fmt);
        if (vasprintf(&why, fmt, ap) < 0)
                why = NULL;
        va_end(ap);
        return set_error(ret_error, -EINVAL, "%s: %s: %s", path, key, strempty(why));
}

int manifest_get_string(const ParseContext *c, const char *key, json_object *v, const char **ret) {
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return manifest_key_error(c->ret_error, c->path, key, "expected a string");
        s = json_object_get_string(v);
        /* JSON allows "\u0000"; a C string would silently end there. */
        if ((size_t) json_object_get_string_len(v) != strlen(s))
                return manifest_key_error(c->ret_error, c->path, key, "unexpected NUL character");
        *ret = s;
        return 0;
}

int manifest_get_string_array(const ParseContext *c, const char *key, json_object *v, ManifestCheckFunc check,
                              char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n;

        if (!json_object_is_type(v, json_type_array))
                return manifest_key_error(c->ret_error, c->path, key, "expected an array of strings");
        n = json_object_array_length(v);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                const char *s = NULL; /* gcc -O3 cannot see manifest_get_string() fail < 0 (set_error() is elsewhere) */

                /* which one, as a run request's "args[2]": the message quotes no value to find it by
                 * (the keys are manifest_keys[]' short names) */
                char at[64];
                snprintf(at, sizeof(at), "%s[%zu]", key, i);
                if (manifest_get_string(c, at, e, &s) < 0)
                        return -EINVAL;
                l[i] = strdup(s);
                if (!l[i])
                        return -ENOMEM;
        }
        /* Only once all are strings, so a type error anywhere is the one reported. */
        for (char **p = l; check && *p; p++) {
                int r = check(c, key, *p);
                if (r < 0)
                        return r;
        }
        *ret = steal_pointer(&l);
        return 0;
}

int manifest_get_bool(const ParseContext *c, const char *key, json_object *v, bool *ret) {
        if (!json_object_is_type(v, json_type_boolean))
                return manifest_key_error(c->ret_error, c->path, key, "expected a boolean");
        *ret = json_object_get_boolean(v);
        return 0;
}

/* 'what' finishes "expected ..." for the type error. */
int manifest_get_uint(const ParseContext *c, const char *key, json_object *v, const char *what, uint64_t *ret) {
        if (!json_object_is_type(v, json_type_int))
                return manifest_key_error(c->ret_error, c->path, key, "expected %s", what);
        if (json_object_get_int64(v) < 0)
                return manifest_key_error(c->ret_error, c->path, key, "must not be negative");
        /* json-c clamps a larger number to UINT64_MAX without a word: never show the operator a
         * value the file does not hold. No limit comes near it. */
        if (json_object_get_uint64(v) == UINT64_MAX)
                return manifest_key_error(c->ret_error, c->path, key, "out of range (%" PRIu64 " or more)",
                                          UINT64_MAX);
        *ret = json_object_get_uint64(v);
        return 0;
}

int manifest_check_ceiling_plain(const ParseContext *c, const char *key, uint64_t v, uint64_t ceiling) {
        if (v > ceiling)
                return manifest_key_error(c->ret_error, c->path, key, "%" PRIu64 " is above the ceiling %" PRIu64, v,
                                          ceiling);
        return 0;
}

int manifest_check_ceiling_size(const ParseContext *c, const char *key, uint64_t v, uint64_t ceiling) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        if (v <= ceiling)
                return 0;
        a = settings_format_size(v);
        b = settings_format_size(ceiling);
        if (!a || !b)
                return -ENOMEM;
        return manifest_key_error(c->ret_error, c->path, key, "%s is above the ceiling %s", a, b);
}

/* An integer number of bytes or a size string ("64M"). */
int manifest_get_size(const ParseContext *c, const char *key, json_object *v, uint64_t *ret) {
        const char *s = NULL; /* as above, for gcc -O3's -Wmaybe-uninitialized */

        if (json_object_is_type(v, json_type_int))
                return manifest_get_uint(c, key, v, "an integer or a size string", ret);
        if (!json_object_is_type(v, json_type_string))
                return manifest_key_error(c->ret_error, c->path, key, "expected an integer or a size string");
        if (manifest_get_string(c, key, v, &s) < 0)
                return -EINVAL;
        if (parse_size(s, ret) < 0)
                return manifest_key_error(c->ret_error, c->path, key, "invalid size '%s'", s);
        return 0;
}

int manifest_check_path(const ParseContext *c, const char *key, const char *path) {
        if (path[0] != '/')
                return manifest_key_error(c->ret_error, c->path, key, "'%s' is not an absolute path", path);
        /* Landlock resolves paths itself, but the manifest should say what it means. */
        if (path_has_dotdot(path))
                return manifest_key_error(c->ret_error, c->path, key, "'%s' contains a '..' component", path);
        return 0;
}

int manifest_check_env_name(const ParseContext *c, const char *key, const char *name) {
        if (!env_name_valid(name))
                return manifest_key_error(c->ret_error, c->path, key, "invalid variable name '%s'", name);
        if (env_name_reserved(name))
                return manifest_key_error(c->ret_error, c->path, key, "variable '%s' is reserved", name);
        return 0;
}

int manifest_check_token_name(const ParseContext *c, const char *key, const char *name) {
        /* the tokens file's rule: a longer name could never match a token */
        if (!name || !auth_token_name_valid(name))
                return manifest_key_error(c->ret_error, c->path, key, "invalid token name '%s'", name);
        return 0;
}
