/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Landlock access rights and flags, spelled out here because distribution headers lag the
 * kernel (Debian 12's linux/landlock.h stops at ABI 2). Values are kernel ABI, never change. */
#define LL_FS_EXECUTE (UINT64_C(1) << 0)
#define LL_FS_WRITE_FILE (UINT64_C(1) << 1)
#define LL_FS_READ_FILE (UINT64_C(1) << 2)
#define LL_FS_READ_DIR (UINT64_C(1) << 3)
#define LL_FS_REMOVE_DIR (UINT64_C(1) << 4)
#define LL_FS_REMOVE_FILE (UINT64_C(1) << 5)
#define LL_FS_MAKE_CHAR (UINT64_C(1) << 6)
#define LL_FS_MAKE_DIR (UINT64_C(1) << 7)
#define LL_FS_MAKE_REG (UINT64_C(1) << 8)
#define LL_FS_MAKE_SOCK (UINT64_C(1) << 9)
#define LL_FS_MAKE_FIFO (UINT64_C(1) << 10)
#define LL_FS_MAKE_BLOCK (UINT64_C(1) << 11)
#define LL_FS_MAKE_SYM (UINT64_C(1) << 12)
#define LL_FS_REFER (UINT64_C(1) << 13)     /* ABI 2 */
#define LL_FS_TRUNCATE (UINT64_C(1) << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (UINT64_C(1) << 15) /* ABI 5 */

#define LL_NET_BIND_TCP (UINT64_C(1) << 0)    /* ABI 4 */
#define LL_NET_CONNECT_TCP (UINT64_C(1) << 1) /* ABI 4 */

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (UINT64_C(1) << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (UINT64_C(1) << 1)               /* ABI 6 */

/* The rights that make sense on a non-directory; the kernel refuses the others there. */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define LL_FS_READ (LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_FS_READ_EXEC (LL_FS_READ | LL_FS_EXECUTE)
/* Everything: what a write path gets (masked to the ABI by the ruleset). */
#define LL_FS_ALL ((UINT64_C(1) << 16) - 1)

/* The newest ABI whose rights this file knows. A newer kernel is driven as if it had this one. */
#define LANDLOCK_ABI_KNOWN 7

/* Landlock ABI of the running kernel, capped to LANDLOCK_ABI_KNOWN; 0 when unusable, with the
 * reason in *ret_errno: ENOSYS (not built in), EOPNOTSUPP (built in but disabled at boot). */
int landlock_probe(int *ret_errno);
const char *landlock_status_to_string(int abi, int error);

/* What an ABI can handle. */
uint64_t landlock_fs_rights(int abi);
uint64_t landlock_net_rights(int abi);
uint64_t landlock_scopes(int abi);

/* The O_PATH fds that named the rules' inodes, kept open until the ruleset is done: closing one
 * costs ≈ 0.6 µs on the test VM, ≈ 90 µs for permissive's ~150 rules, which the worker pays
 * after it has answered rather than before the skill starts. Past the bound they close at once. */
#define LANDLOCK_HELD_FDS_MAX 256

/* A ruleset being built in the parent. Rights passed to the add functions are masked to what
 * the ruleset handles, and to file rights on non-directories. Not to be copied (the held fds). */
typedef struct LandlockRuleset {
        int fd;
        int abi;
        uint64_t handled_fs;
        uint64_t handled_net;
        uint64_t scoped;
        int held[LANDLOCK_HELD_FDS_MAX];
        size_t n_held;
        size_t hold_max;     /* LANDLOCK_HELD_FDS_MAX, or less under a low RLIMIT_NOFILE */
} LandlockRuleset;

/* handled_fs/net/scoped are masked to the ABI first. Returns 0 or -errno; rs->fd is O_CLOEXEC. */
int landlock_ruleset_new(LandlockRuleset *rs, int abi, uint64_t handled_fs, uint64_t handled_net,
                         uint64_t scoped);
void landlock_ruleset_done(LandlockRuleset *rs);

/* Allow 'access' beneath the file fd refers to (an O_PATH fd is fine). is_dir < 0: unknown,
 * tried as a directory first. */
int landlock_ruleset_allow_fd(LandlockRuleset *rs, int fd, int is_dir, uint64_t access);
/* Same for a path (relative to dirfd, or absolute). Symlinks are followed: the rule lands on
 * the target. -ENOENT when it does not exist (callers usually skip that). */
int landlock_ruleset_allow_path(LandlockRuleset *rs, int dirfd, const char *path, uint64_t access);

/* Take an O_PATH fd whose rule was added with landlock_ruleset_allow_fd(): held until
 * landlock_ruleset_done(), or closed at once past the bound. */
void landlock_ruleset_hold_fd(LandlockRuleset *rs, int fd);

/* What landlock_ruleset_allow_entries() leaves out; either callback may be NULL. */
typedef struct LandlockEntryFilter {
        /* by name, before anything is opened */
        bool (*skip)(const char *name, void *userdata);
        /* a symlink, once its target is open (fd, O_PATH; path: the symlink's own): its rule
         * would land on the target, wherever that is */
        bool (*skip_link)(int fd, const char *path, void *userdata);
        /* symlinks left out unopened (a dangling or endless one cannot fail the walk) */
        bool no_links;
        void *userdata;
} LandlockEntryFilter;

/* Allow every entry of directory 'path' but those the filter leaves out. This is how "all of
 * /etc but the secrets" is said in a language that can only allow. Entries are opened relative
 * to the directory and typed from d_type, so this costs one openat and one landlock_add_rule per
 * entry, no stat (but for symlinks, and on file systems without d_type, when skip_link is set). */
int landlock_ruleset_allow_entries(LandlockRuleset *rs, const char *path, uint64_t access,
                                   const LandlockEntryFilter *filter);

/* In the child, after PR_SET_NO_NEW_PRIVS: enforce. Async-signal-safe. */
int landlock_enforce(int ruleset_fd);
