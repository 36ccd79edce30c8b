/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between manifest.c (parse, load, list) and manifest-fields.c (typed readers and
 * validators of single JSON values); not for other modules. */

#include <json.h>
#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"

/* What each handler gets: where to report, and the settings for the ceilings. */
typedef struct ParseContext {
        const Settings *settings;
        const char *path;
        char **ret_error;
} ParseContext;

/* "<path>: <key>: <why>", the shape every per-key error has. Always -EINVAL. */
_printf_(4, 5) int manifest_key_error(char **ret_error, const char *path, const char *key, const char *fmt, ...);

/* The readers check one value's JSON type (and range), report "<path>: <key>: <why>" through
 * c->ret_error and return -EINVAL when it is wrong, or -ENOMEM. */

/* Borrowed from v; refuses embedded NULs. */
int manifest_get_string(const ParseContext *c, const char *key, json_object *v, const char **ret);
/* A check of one string, like manifest_check_env_name() below: 0, or -EINVAL and the error reported. */
typedef int (*ManifestCheckFunc)(const ParseContext *c, const char *key, const char *s);
/* Then each element in order through 'check', unless that is NULL. */
int manifest_get_string_array(const ParseContext *c, const char *key, json_object *v, ManifestCheckFunc check,
                              char ***ret);
int manifest_get_bool(const ParseContext *c, const char *key, json_object *v, bool *ret);
/* A non-negative integer; 'what' finishes "expected ..." for the type error. */
int manifest_get_uint(const ParseContext *c, const char *key, json_object *v, const char *what, uint64_t *ret);
/* An integer number of bytes or a size string ("64M"). */
int manifest_get_size(const ParseContext *c, const char *key, json_object *v, uint64_t *ret);

/* v ≤ ceiling, reported as plain numbers or as sizes ("64M"). */
int manifest_check_ceiling_plain(const ParseContext *c, const char *key, uint64_t v, uint64_t ceiling);
int manifest_check_ceiling_size(const ParseContext *c, const char *key, uint64_t v, uint64_t ceiling);
/* A valid environment variable name that skillrun does not reserve for itself. */
int manifest_check_env_name(const ParseContext *c, const char *key, const char *name);
/* An absolute path without ".." components. */
int manifest_check_path(const ParseContext *c, const char *key, const char *path);
/* [A-Za-z0-9_.-]+ */
int manifest_check_token_name(const ParseContext *c, const char *key, const char *name);

/* One path component, not "." or "..", at most 255 bytes. */
bool manifest_file_name_valid(const char *n);
