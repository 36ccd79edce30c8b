/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "landlock-secrets.h"
#include "landlock.h"
#include "manifest.h"

/* Add the rules of m's policy (permissive or restrictive) for a run in workdir to rs: system
 * directories, /etc but skillrun's configuration and the host's secrets, devices, the manifest's
 * paths, the work dir. -EPERM with a message when a manifest path would expose skillrun's tokens
 * or configuration; -EINVAL for policy none (no landlock at all). */
int landlock_policy_build(LandlockRuleset *rs, const Settings *s, const Manifest *m, const char *workdir,
                          char **ret_error);

/* Would the manifest's read_paths/write_paths expose the tokens or the configuration? -EPERM with
 * the path named; what `skillrun check` reports before any run would refuse it. 'sec' is what
 * secrets_init() found for the settings: check reads it once for all its manifests. */
int landlock_policy_check(const Secrets *sec, const Manifest *m, char **ret_error);

/* What executing m's command needs (the command, its #! interpreters, their loader, the program
 * "#!/usr/bin/env NAME" runs: see execdeps_collect()) that m's policy would not let the skill
 * execute: the first such path, as found, in *ret_path (allocated), for `skillrun check`; 1
 * returned where the kernel executes it (every run would end in sandbox_error "execve:
 * Permission denied"), 2 where env does (it fails with 126, or runs another further along
 * PATH), 3 where it is what the program env runs needs (env's execvp() fails on it the same way),
 * 0 when there is none. Judged as the rules are built: granted by name (the skill's own
 * directory, read_paths, write_paths), else in permissive below a system directory, in
 * restrictive by itself, and never inside what is kept out (the skills directories, the work
 * root, skillrun's files, the host's secrets). */
int landlock_policy_unexecutable(const Secrets *sec, const Manifest *m, char **ret_path);
