/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between cgroup.c (the per-run cgroups), cgroup-layout.c (finding where they can go)
 * and cgroup-parse.c (pure text handling); not for other modules. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

/* /proc/self/mountinfo can be long on hosts with many mounts; cgroup.procs of a run is bounded
 * by pids.max but the fallback loop should still cope with a big one. */
#define PROC_FILE_MAX (UINT64_C(4) << 20)

enum { V1_MEMORY, V1_PIDS, V1_CPU, _V1_MAX };
extern const char *const cgroup_v1_controller[_V1_MAX];

/* What cgroup_detect() found, for the life of the process. */
typedef struct CgroupLayout {
        bool probed;
        CgroupMode mode;
        char *v2_dir;       /* delegated: our cgroup (the parent of "worker/" once we moved) */
        char *v2_path;      /* the same as /proc/self/cgroup names it */
        bool v2_cpu;        /* cpu in its cgroup.controllers, and not refused by the kernel when enabled */
        bool v2_in_leaf;    /* we already live in v2_dir/worker */
        bool v2_ready;      /* ... and the controllers are enabled in v2_dir */
        bool v2_self_listed; /* our pid is in its cgroup.procs: v2_dir is surely ours */
        char *v1_dir[_V1_MAX];  /* our v1 cgroup directory per controller, NULL if unusable */
        char *v1_path[_V1_MAX]; /* the same as /proc/self/cgroup names it */
        char *notes;        /* why better layouts are not usable, one line each */
        char *self_cgroup;  /* /proc/self/cgroup and mountinfo as probed, for cgroup_own_oom_kills() */
        char *mountinfo;
        bool by_statmount;  /* found without reading /proc/self/mountinfo */
        bool by_access;     /* ... nor any mount: memory and pids refused at their usual places */
        bool elsewhere;     /* a mount the usual places lack might have answered otherwise */
} CgroupLayout;

/* Probed once per process by cgroup_detect(); cgroup.c also records what it did to it (the
 * move into the delegated leaf). */
extern CgroupLayout cgroup_layout;
/* Tests: a fake file system root below which /sys and /proc are looked for; NULL in production. */
extern char *cgroup_test_root;

/* Small cgroup attribute files: read NUL-terminated, returning the length; written with one
 * write(), as cgroupfs takes each write as one command. */
int cgroup_read_attr(int dirfd, const char *name, char *buf, size_t size);
int cgroup_write_attr(int dirfd, const char *name, const char *value);

/* Whitespace-separated list (cgroup.controllers, cgroup.subtree_control) contains word? */
bool cgroup_words_contain(const char *words, const char *word);

/* A list separated by sep ("rw,memory" with ',') contains word? */
bool cgroup_list_contains(const char *list, char sep, const char *word);

/* The cgroup path in one hierarchy (controller NULL: v2) from the text of /proc/<pid>/cgroup.
 * -ENOENT when absent or outside our cgroup namespace. */
int cgroup_parse_proc_cgroup(const char *text, const char *controller, char **ret);

/* a + "/" + b with the slashes between them collapsed; a alone when b is empty or "/".
 * NULL on OOM. */
char *cgroup_path_join(const char *a, const char *b);

/* The value of the "key N" line of a flat keyed file (memory.events, memory.oom_control).
 * -ENOENT when the key is absent, -EINVAL when its value is not a number. */
int cgroup_keyed_u64(const char *text, const char *key, uint64_t *ret);

/* [A-Za-z0-9_-], 1 to 64 characters: safe as a directory name component. */
bool cgroup_run_id_valid(const char *id);

/* A limit as cgroupfs takes it: 0 is "max", else the decimal number. */
void cgroup_format_limit(char *buf, size_t size, uint64_t v);

/* Tests: probe the real layout again, from /proc/self/mountinfo alone when mountinfo_only (else
 * statmount(2) first, as in production); *ret_by_statmount says whether that sufficed. */
int cgroup_probe_for_test(bool mountinfo_only, bool *ret_by_statmount);
