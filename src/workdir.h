/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "run.h"

/* The private per-run directory: the skill's cwd, HOME and TMPDIR. */
typedef struct Workdir {
        char *path;
        int fd;
} Workdir;

#define WORKDIR_INIT { .path = NULL, .fd = -1 }

/* mkdir <base>/skillrun-<run_id> with mode 0700. */
int workdir_create(const char *base, const char *run_id, Workdir *ret);
/* Write the request's files and code. *ret_code_path is the absolute path of the code file
 * (NULL without code). */
int workdir_populate(Workdir *w, const Manifest *m, const RunRequest *req, char **ret_code_path);
/* Hand the directory, and with 'contents' what we wrote into it, to the skill's user. */
int workdir_chown(Workdir *w, uid_t uid, gid_t gid, bool contents);
/* Remove it, whatever the skill left inside; what cannot be removed is logged. Safe to call
 * on an unset Workdir. */
void workdir_remove(Workdir *w);
