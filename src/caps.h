/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Is cap in our effective set? (Parent side, at prepare time.) */
bool caps_have(int cap);

/* Is our bounding set empty already (as the shipped unit leaves it)? false when the kernel
 * cannot say. */
bool caps_bounding_empty(void);

/* The rest runs in the forked child before execve: no allocation, no locks. */

/* Lock the securebits so that no later execve or uid change can give capabilities back
 * (NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, all locked). Needs CAP_SETPCAP: call while root.
 * NO_SETUID_FIXUP also keeps our capabilities across caps_switch_user(), which the bounding set
 * drop after it needs. */
int caps_lock_securebits(void);

/* setgroups(0), setresgid, setresuid to uid/gid (all three ids). */
int caps_switch_user(uid_t uid, gid_t gid);

/* Drop every capability: the ambient set, effective/permitted/inheritable, and with
 * drop_bounding the bounding set (which takes CAP_SETPCAP: -EPERM without it; a caller without
 * it leaves the set, and under PR_SET_NO_NEW_PRIVS no execve can raise a capability from it). */
int caps_drop_all(bool drop_bounding);
