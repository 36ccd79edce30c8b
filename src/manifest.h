/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "settings.h"

typedef enum InputMode {
        INPUT_STDIN,   /* request "input"/"stdin" goes to the skill's stdin (default) */
        INPUT_NONE,    /* stdin is /dev/null; a request carrying input is refused */
        _INPUT_MODE_MAX,
        _INPUT_MODE_INVALID = -EINVAL,
} InputMode;

typedef enum OutputMode {
        OUTPUT_TEXT,
        OUTPUT_JSON,   /* stdout parsed as JSON into the result's "output" */
        _OUTPUT_MODE_MAX,
        _OUTPUT_MODE_INVALID = -EINVAL,
} OutputMode;

typedef struct Manifest {
        char *name;
        char *path;            /* file it came from */
        char *dir;             /* directory of that file (the skill's own dir for restrictive) */
        char *description;     /* "" when the manifest has none */
        char **command;        /* absolute argv[0] + fixed args */
        InputMode input;
        OutputMode output;
        Policy policy;         /* resolved: the manifest's, else the settings' default */
        bool policy_set;
        Limits limits;         /* resolved: manifest values, else the ceilings */
        char **read_paths;
        char **write_paths;
        bool network;
        char **env;            /* "NAME=value" */
        char **allow_env;
        bool accepts_code;
        char *code_file;       /* file name for "code" in the work dir, default "code" */
        char **tokens;         /* NULL = every token may run it */
} Manifest;

extern const char *const manifest_keys[];

/* The PATH a skill gets unless its manifest's "env" sets one. */
#define SKILL_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
/* The PATH m's runs get (a request may not set it): where "#!/usr/bin/env NAME" finds NAME. */
const char *manifest_skill_path(const Manifest *m);

#define SKILL_NAME_MAX 64
bool skill_name_valid(const char *name);
/* Is this directory entry a manifest's file name ("<name>.json")? The name part is not judged. */
bool manifest_file_name(const char *filename);
/* "DIR/FILE<suffix>" (allocated; NULL on OOM), one '/' between however DIR is written: how a
 * skills directory's files are named in every message. */
char *manifest_file_path(const char *dir, const char *file, const char *suffix);

Manifest *manifest_free(Manifest *m);
static inline void manifest_freep(Manifest **m) {
        manifest_free(*m);
}
#define _cleanup_manifest_ _cleanup_(manifest_freep)

/* Parse and validate one manifest text. Errors: -EINVAL with "<path>: <key>: <why>" in *ret_error. */
int manifest_parse(const Settings *s, const char *name, const char *path, const char *text, size_t len,
                   Manifest **ret, char **ret_error);

/* Find <name>.json in the settings' skills_dirs (earlier wins) and parse it.
 * -ENOENT if no directory has it (then *ret_error is NULL). */
int manifest_load(const Settings *s, const char *name, Manifest **ret, char **ret_error);
/* One manifest file (what manifest_load() does per directory): -ENOENT, without a message, when
 * there is none; a FIFO or other special file, an oversized or unreadable one is an error naming
 * the path. */
int manifest_load_file(const Settings *s, const char *name, const char *path, Manifest **ret, char **ret_error);

/* Names of every skill visible through skills_dirs (deduplicated, sorted; *ret is never NULL on
 * success). Returns how many. Missing directories are skipped; unreadable ones are an error, and
 * then *ret_failed_dir (if given) is the one that failed. */
int manifest_list_names(const Settings *s, char ***ret, const char **ret_failed_dir);

/* May token 'token_name' run this skill? */
bool manifest_token_allowed(const Manifest *m, const char *token_name);
