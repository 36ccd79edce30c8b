/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Landlock through raw syscalls: glibc has no wrappers and the distribution header may be older
 * than the kernel, so the structures are declared here at their newest size. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "landlock.h"
#include "util.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

struct ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net; /* ABI 4 */
        uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

int landlock_probe(int *ret_errno) {
        long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
        if (abi < 0) {
                /* ENOSYS: CONFIG_SECURITY_LANDLOCK=n; EOPNOTSUPP: built but not in lsm= at boot. */
                if (ret_errno)
                        *ret_errno = errno;
                return 0;
        }
        if (ret_errno)
                *ret_errno = 0;
        return (int) MIN(abi, (long) LANDLOCK_ABI_KNOWN);
}

const char *landlock_status_to_string(int abi, int error) {
        if (abi > 0)
                return "available";
        switch (error) {
        case ENOSYS:
                return "not built (ENOSYS)";
        case EOPNOTSUPP:
                return "disabled (EOPNOTSUPP)";
        default:
                return "unavailable";
        }
}

uint64_t landlock_fs_rights(int abi) {
        if (abi <= 0)
                return 0;
        uint64_t r = (UINT64_C(1) << 13) - 1; /* ABI 1: EXECUTE … MAKE_SYM */
        if (abi >= 2)
                r |= LL_FS_REFER;
        if (abi >= 3)
                r |= LL_FS_TRUNCATE;
        if (abi >= 5)
                r |= LL_FS_IOCTL_DEV;
        return r;
}

uint64_t landlock_net_rights(int abi) {
        return abi >= 4 ? LL_NET_BIND_TCP | LL_NET_CONNECT_TCP : 0;
}

uint64_t landlock_scopes(int abi) {
        return abi >= 6 ? LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL : 0;
}

int landlock_ruleset_new(LandlockRuleset *rs, int abi, uint64_t handled_fs, uint64_t handled_net,
                         uint64_t scoped) {
        struct ll_ruleset_attr attr = {
                .handled_access_fs = handled_fs & landlock_fs_rights(abi),
                .handled_access_net = handled_net & landlock_net_rights(abi),
                .scoped = scoped & landlock_scopes(abi),
        };
        size_t size;

        /* Pass the size the ABI knows: older kernels reject a larger struct (E2BIG) even when the
         * extra fields are zero. */
        if (abi >= 6)
                size = sizeof(attr);
        else if (abi >= 4)
                size = offsetof(struct ll_ruleset_attr, scoped);
        else
                size = offsetof(struct ll_ruleset_attr, handled_access_net);

        long fd = syscall(__NR_landlock_create_ruleset, &attr, size, 0);
        if (fd < 0)
                return negative_errno();

        /* Hold at most half of what RLIMIT_NOFILE leaves: a low limit must not make the walk of
         * /etc fail with EMFILE for fds kept only to close them later. */
        struct rlimit nofile;
        size_t hold_max = LANDLOCK_HELD_FDS_MAX;
        if (getrlimit(RLIMIT_NOFILE, &nofile) >= 0 && nofile.rlim_cur != RLIM_INFINITY)
                hold_max = MIN(hold_max, (size_t) nofile.rlim_cur / 2);

        *rs = (LandlockRuleset) {
                .fd = (int) fd, /* the kernel makes it O_CLOEXEC */
                .hold_max = hold_max,
                .abi = abi,
                .handled_fs = attr.handled_access_fs,
                .handled_net = attr.handled_access_net,
                .scoped = attr.scoped,
        };
        return 0;
}

void landlock_ruleset_done(LandlockRuleset *rs) {
        if (rs->fd >= 0)
                close(rs->fd);
        rs->fd = -1;
        for (size_t i = 0; i < rs->n_held; i++)
                close(rs->held[i]);
        rs->n_held = 0;
}

void landlock_ruleset_hold_fd(LandlockRuleset *rs, int fd) {
        if (rs->n_held < rs->hold_max)
                rs->held[rs->n_held++] = fd;
        else
                close(fd);
}

static int add_rule_fd(int ruleset_fd, int fd, uint64_t access) {
        struct ll_path_beneath_attr pb = {
                .allowed_access = access,
                .parent_fd = fd,
        };

        if (access == 0)
                return 0; /* the kernel says ENOMSG; nothing to allow is not an error */
        if (syscall(__NR_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
                return negative_errno();
        return 0;
}

int landlock_ruleset_allow_fd(LandlockRuleset *rs, int fd, int is_dir, uint64_t access) {
        access &= rs->handled_fs;
        if (is_dir < 0) {
                struct stat st;

                if (fstat(fd, &st) < 0)
                        return negative_errno();
                is_dir = S_ISDIR(st.st_mode);
        }
        return add_rule_fd(rs->fd, fd, is_dir ? access : access & LL_FS_FILE_RIGHTS);
}

int landlock_ruleset_allow_path(LandlockRuleset *rs, int dirfd, const char *path, uint64_t access) {
        int fd = openat(dirfd, path, O_PATH | O_CLOEXEC);
        int r;

        if (fd < 0)
                return negative_errno();
        r = landlock_ruleset_allow_fd(rs, fd, -1, access);
        landlock_ruleset_hold_fd(rs, fd);
        return r;
}

/* One rule for dirfd/name, typed by d_type when known. Missing targets are skipped. */
static int allow_entry(LandlockRuleset *rs, int dirfd, const char *dirpath, const char *name, unsigned char type,
                       uint64_t access, const LandlockEntryFilter *filter) {
        bool vet = filter && (filter->skip_link || filter->no_links);
        int fd, r;

        if (type == DT_UNKNOWN && vet) {
                /* no d_type from this file system: only a stat tells a symlink */
                struct stat st;
                if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return errno == ENOENT ? 0 : negative_errno();
                type = IFTODT(st.st_mode);
        }

        if (type == DT_LNK && filter && filter->no_links)
                return 0;

        fd = openat(dirfd, name, O_PATH | O_CLOEXEC);
        if (fd < 0)
                /* gone, unreachable or a link going nowhere (a loop, a name too long): no rule */
                return errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EACCES ||
                                       errno == ENAMETOOLONG
                               ? 0
                               : negative_errno();

        if (type == DT_LNK && filter && filter->skip_link) {
                char full[PATH_MAX];
                if (snprintf(full, sizeof(full), "%s/%s", dirpath, name) >= (int) sizeof(full) ||
                    filter->skip_link(fd, full, filter->userdata)) {
                        close(fd);
                        return 0;
                }
        }

        switch (type) {
        case DT_REG:
        case DT_CHR:
        case DT_BLK:
        case DT_FIFO:
        case DT_SOCK:
                r = add_rule_fd(rs->fd, fd, access & LL_FS_FILE_RIGHTS);
                break;
        default:
                /* A directory, a symlink (we hold its target now) or no d_type: try directory
                 * rights, which fail with EINVAL on a file, instead of paying for a stat on every
                 * entry. */
                r = add_rule_fd(rs->fd, fd, access);
                if (r == -EINVAL)
                        r = add_rule_fd(rs->fd, fd, access & LL_FS_FILE_RIGHTS);
                break;
        }
        landlock_ruleset_hold_fd(rs, fd);
        return r;
}

int landlock_ruleset_allow_entries(LandlockRuleset *rs, const char *path, uint64_t access,
                                   const LandlockEntryFilter *filter) {
        _cleanup_close_ int dfd = -1;
        /* /etc fits in one or two calls; on the stack so nothing is allocated per run. */
        char buf[16384] __attribute__((aligned(8)));
        int r;

        access &= rs->handled_fs;
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();

        for (;;) {
                long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return 0;

                for (long off = 0; off < n;) {
                        struct dirent64 *de = (struct dirent64 *) (buf + off);
                        const char *name = de->d_name;

                        off += de->d_reclen;
                        if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
                                continue;
                        if (filter && filter->skip && filter->skip(name, filter->userdata))
                                continue;
                        r = allow_entry(rs, dfd, path, name, de->d_type, access, filter);
                        if (r < 0)
                                return r;
                }
        }
}

int landlock_enforce(int ruleset_fd) {
        if (syscall(__NR_landlock_restrict_self, ruleset_fd, 0) < 0)
                return -errno;
        return 0;
}
