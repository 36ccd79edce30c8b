/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between cgroup.c (side effects) and cgroup-parse.c (pure text handling); not for other
 * modules. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

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
