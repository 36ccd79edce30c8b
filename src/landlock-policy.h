/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "landlock.h"
#include "manifest.h"

/* Add the rules of m's policy (permissive or restrictive) for a run in workdir to rs: system
 * directories, /etc but skillrun's configuration and the host's secrets, devices, the manifest's
 * paths, the work dir. -EPERM with a message when a manifest path would expose skillrun's tokens
 * or configuration; -EINVAL for policy none (no landlock at all). */
int landlock_policy_build(LandlockRuleset *rs, const Settings *s, const Manifest *m, const char *workdir,
                          char **ret_error);

/* Would the manifest's read_paths/write_paths expose the tokens or the configuration? -EPERM with
 * the path named; what `skillrun check` reports before any run would refuse it. */
int landlock_policy_check(const Settings *s, const Manifest *m, char **ret_error);
